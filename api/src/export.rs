//! Files out and in. Exports: CSV (UTF-8 with a BOM, so spreadsheet software reads Chinese
//! correctly) and XLSX (one sheet per table), cells written as text exactly as the API states
//! them. Imports: the first sheet of an XLSX file, or a CSV file, as rows of cell texts.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use jicai_domain::error::ErrorCode;

use crate::error::ApiError;

pub struct Sheet<'a> {
    pub name: &'a str,
    pub header: Vec<&'a str>,
    pub rows: Vec<Vec<String>>,
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(&e.to_string())
}

pub fn xlsx(sheets: &[Sheet<'_>], file_name: &str) -> Result<HttpResponse, ApiError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    for s in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(s.name).map_err(internal)?;
        for (c, h) in s.header.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, *h, &bold).map_err(internal)?;
        }
        for (r, row) in s.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                sheet.write_string((r + 1) as u32, c as u16, cell).map_err(internal)?;
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(internal)?;
    }
    let bytes = book.save_to_buffer().map_err(internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{file_name}\"")))
        .body(bytes))
}

pub fn csv(sheet: &Sheet<'_>, file_name: &str) -> Result<HttpResponse, ApiError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&sheet.header).map_err(internal)?;
    for row in &sheet.rows {
        w.write_record(row).map_err(internal)?;
    }
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend(w.into_inner().map_err(internal)?);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{file_name}\"")))
        .body(bytes))
}

/// `csv` or `xlsx`, or a 422.
pub fn check_format(format: Option<String>) -> Result<String, ApiError> {
    let f = format.unwrap_or_else(|| "csv".into());
    if f == "csv" || f == "xlsx" {
        Ok(f)
    } else {
        Err(ApiError::new(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidFormat,
            "format is csv or xlsx",
        )
        .field("format"))
    }
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The cells of the first sheet of an XLSX file, or of a CSV file, as text (a whole number
/// stored as a float reads "120000").
/// The most an XLSX file may hold once inflated: its sheets are XML, and a few megabytes of zip
/// can declare gigabytes of it.
pub const MAX_INFLATED_BYTES: u64 = 64 * 1024 * 1024;

/// Refuses a workbook whose parts declare more than [`MAX_INFLATED_BYTES`] inflated, before
/// anything is inflated (the sizes are read from the zip's central directory). A forged header
/// that understates a part gains nothing: the zip reader, which calamine uses too, stops with
/// an error as soon as a part inflates past its declared size (tested below).
fn check_inflated_size(raw: &[u8]) -> Result<(), String> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(raw)).map_err(|e| e.to_string())?;
    let mut total = 0u64;
    for i in 0..zip.len() {
        total = total.saturating_add(zip.by_index_raw(i).map_err(|e| e.to_string())?.size());
    }
    if total > MAX_INFLATED_BYTES {
        return Err(format!(
            "it would inflate to {} MiB, above the {} MiB a sheet may hold",
            total / (1024 * 1024),
            MAX_INFLATED_BYTES / (1024 * 1024)
        ));
    }
    Ok(())
}

pub fn sheet_table(req: &HttpRequest, raw: &[u8]) -> Result<Vec<Vec<String>>, ApiError> {
    let unreadable = |what: &str, e: String| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::UnreadableSheet,
            format!("the {what} file cannot be read: {e}"),
        )
        .field("file")
    };
    let content_type = req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    if content_type.starts_with(XLSX) {
        check_inflated_size(raw).map_err(|e| unreadable("XLSX", e))?;
        use calamine::Reader;
        let mut book =
            calamine::Xlsx::new(std::io::Cursor::new(raw.to_vec())).map_err(|e| unreadable("XLSX", e.to_string()))?;
        let range = book
            .worksheet_range_at(0)
            .ok_or_else(|| unreadable("XLSX", "it has no sheet".into()))?
            .map_err(|e| unreadable("XLSX", e.to_string()))?;
        Ok(range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect())
    } else if content_type.starts_with("text/csv") {
        let text = std::str::from_utf8(raw).map_err(|_| unreadable("CSV", "it is not UTF-8".into()))?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        reader
            .records()
            .map(|r| r.map(|r| r.iter().map(str::to_string).collect()).map_err(|e| unreadable("CSV", e.to_string())))
            .collect()
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            format!("send the sheet as {XLSX} or text/csv"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zipped(parts: &[(&str, usize)]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, size) in parts {
            w.start_file(*name, opts).unwrap();
            let chunk = vec![b' '; 1 << 20];
            let mut left = *size;
            while left > 0 {
                let n = left.min(chunk.len());
                w.write_all(&chunk[..n]).unwrap();
                left -= n;
            }
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn a_workbook_that_would_inflate_past_the_limit_is_refused_before_inflating() {
        let bomb = zipped(&[("xl/worksheets/sheet1.xml", 65 << 20)]);
        assert!(bomb.len() < 1 << 20, "the bomb is small: {} bytes", bomb.len());
        let e = check_inflated_size(&bomb).unwrap_err();
        assert!(e.contains("65 MiB"), "{e}");
        assert!(check_inflated_size(&zipped(&[
            ("xl/worksheets/sheet1.xml", 1 << 20),
            ("xl/sharedStrings.xml", 1 << 20)
        ]))
        .is_ok());
        assert!(check_inflated_size(b"not a zip").is_err());
    }

    /// Writes `size` into every header's uncompressed-size field (local and central), as a
    /// forged file would.
    fn declaring(mut zip: Vec<u8>, size: u32) -> Vec<u8> {
        let mut patched = 0;
        for at in 0..zip.len().saturating_sub(30) {
            let field = match zip[at..at + 4] {
                [0x50, 0x4b, 0x03, 0x04] => at + 22,
                [0x50, 0x4b, 0x01, 0x02] => at + 24,
                _ => continue,
            };
            zip[field..field + 4].copy_from_slice(&size.to_le_bytes());
            patched += 1;
        }
        assert_eq!(patched, 2, "one local and one central header");
        zip
    }

    #[test]
    fn a_part_whose_headers_understate_its_size_stops_inflating_at_the_declared_size() {
        let forged = declaring(zipped(&[("xl/worksheets/sheet1.xml", 65 << 20)]), 1_000);
        // The declared sizes pass the check...
        assert!(check_inflated_size(&forged).is_ok());
        // ...but reading the part, as calamine does, fails once it passes them, long before 65 MiB.
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&forged[..])).unwrap();
        let mut part = zip.by_index(0).unwrap();
        let mut read = 0usize;
        let mut buf = vec![0u8; 64 * 1024];
        let e = loop {
            match std::io::Read::read(&mut part, &mut buf) {
                Ok(0) => panic!("read {read} bytes to the end without an error"),
                Ok(n) => read += n,
                Err(e) => break e,
            }
        };
        assert!(read <= 1_000, "stopped after {read} bytes: {e}");
        let honest = declaring(zipped(&[("xl/worksheets/sheet1.xml", 1_000)]), 1_000);
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&honest[..])).unwrap();
        assert_eq!(std::io::copy(&mut zip.by_index(0).unwrap(), &mut std::io::sink()).unwrap(), 1_000);
    }
}
