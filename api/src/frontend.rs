//! Serves the built web app at `/`, with client-side routes falling back to `index.html`.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::CACHE_CONTROL;
use actix_web::middleware::DefaultHeaders;
use actix_web::{web, App, HttpResponse};
use std::path::PathBuf;

pub fn mount<T, B>(app: App<T>, dir: Option<PathBuf>) -> App<T>
where
    B: MessageBody + 'static,
    T: ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<B>,
        Error = actix_web::Error,
        InitError = (),
    >,
{
    match dir {
        Some(dir) => {
                        let index = dir.join("index.html");
            // Vite names every asset by its content hash: a browser may keep them for good. The
            // HTML that names them is revalidated on every visit, so a new build is seen at once.
            let assets = web::scope("/assets")
                .wrap(DefaultHeaders::new().add((CACHE_CONTROL, "public, max-age=31536000, immutable")))
                .service(actix_files::Files::new("/", dir.join("assets")));
            let pages = web::scope("").wrap(DefaultHeaders::new().add((CACHE_CONTROL, "no-cache"))).service(
                actix_files::Files::new("/", dir)
                    .index_file("index.html")
                    .default_handler(web::to(move |req: actix_web::HttpRequest| {
                        let index = index.clone();
                        async move {
                                                        actix_files::NamedFile::open_async(index).await.map(|f| f.into_response(&req))
                        }
                    })),
            );
            app.service(assets).service(pages)
        }
        None => app.route(
            "/",
            web::get().to(|| async {
                HttpResponse::Ok().content_type("text/html; charset=utf-8").body(
                    "<!doctype html><meta charset=utf-8><title>集采直结 Jicai</title>\
                     <h1>集采直结 Jicai</h1><p>The API is at <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a>. \
                     The web app has not been built.</p>",
                )
            }),
        ),
    }
}
