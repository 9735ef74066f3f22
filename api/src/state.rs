//! Shared server state and the bridge from async handlers to the synchronous domain.

use actix_web::web;
use chrono::{DateTime, Utc};
use jicai_domain::clock::SharedClock;
use jicai_domain::db::{DbConnection, Pool};
use jicai_domain::error::ErrorCode;
use jicai_domain::DomainResult;
use std::sync::Arc;

use crate::error::ApiError;
use crate::tokens::TokenKeys;

#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub clock: SharedClock,
    pub keys: Arc<TokenKeys>,
    pub backend: &'static str,
    /// Where mail goes and the key that opens sealed bids, for the jobs and tender routes.
    pub jobs: jicai_jobs::JobConfig,
    /// Bounds concurrent password verifications: argon2 takes 19 MiB and a core each, so a
    /// burst of sign-ins queues instead of growing memory (docs/benchmarks.md, "Why the code is
    /// as it is").
    pub logins: Arc<tokio::sync::Semaphore>,
    /// Who publishes the OCDS open data, and its ocid prefix.
    pub ocds: Arc<jicai_domain::disclosure::ocds::Publisher>,
    /// How many failed sign-ins lock an account or a client address, and for how long.
    pub sign_in_limits: jicai_domain::identity::SignInLimits,
}

impl AppState {
    /// Runs a domain operation on a pooled connection in the blocking thread pool (diesel is
    /// synchronous; actix worker threads must never block).
    pub async fn run<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection, DateTime<Utc>) -> DomainResult<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        let clock = self.clock.clone();
        let outcome = web::block(move || -> Result<T, ApiError> {
            let mut conn = pool.get().map_err(|e| {
                tracing::warn!("database pool: {e}");
                ApiError::new(
                    actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
                    ErrorCode::DatabaseUnavailable,
                    "the database is not reachable right now; retry shortly",
                )
                .retry_after(5)
            })?;
            let outcome = f(&mut conn, clock.now());
            jicai_domain::db::forget_if_lost(&mut conn, &outcome);
            outcome.map_err(ApiError::from)
        })
        .await
        .map_err(|e| ApiError::internal(&format!("blocking task failed: {e}")))?;
        outcome
    }
}
