//! Credit commitment letters (信用承诺书): each enterprise uploads its signed letter (the file,
//! the template version, the signer, the date). Without one of the policy's template version,
//! bidding and new listings are refused after the policy's grace date (`enforce`).

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::actor::{Actor, OrgKind, Role};
use crate::audit::{self, AuditEntry};
use crate::clock::{from_db, shanghai_date, to_db};
use crate::db::{write_tx, DbConnection};
use crate::error::{required_text, DomainError, DomainResult, ErrorCode};
use crate::ids::new_id;
use crate::paging::{Page, PageRequest};
use crate::schema::{commitment_letters, organizations};

use super::store::LetterRow;

/// The largest letter stored: a scanned, signed page or two.
pub const MAX_LETTER_BYTES: usize = 4 * 1024 * 1024;

/// The letter's particulars, sent beside the file.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewLetter {
    pub template_version: String,
    /// The legal representative or authorised person who signed.
    pub signer: String,
    pub signed_on: NaiveDate,
}

/// A stored letter, without its content.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LetterView {
    pub id: String,
    pub enterprise_id: String,
    pub enterprise_name: String,
    pub template_version: String,
    pub signer: String,
    pub signed_on: NaiveDate,
    pub file_name: String,
    pub content_type: String,
    pub size: usize,
    pub sha256: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub uploaded_at: DateTime<Utc>,
}

fn view(row: LetterRow, enterprise_name: String) -> LetterView {
    LetterView {
        id: row.id,
        enterprise_id: row.enterprise_id,
        enterprise_name,
        template_version: row.template_version,
        signer: row.signer,
        signed_on: row.signed_on,
        file_name: row.file_name,
        content_type: row.content_type,
        size: row.content.len(),
        sha256: row.sha256,
        uploaded_at: from_db(row.uploaded_at),
    }
}

/// What a letter file may be: a PDF or a scanned image, recognised by its first bytes.
fn sniff(content: &[u8]) -> Option<&'static str> {
    if content.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if content.starts_with(&[0x89, b'P', b'N', b'G']) {
        Some("image/png")
    } else if content.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else {
        None
    }
}

/// Stores an enterprise's signed letter (supplier).
pub fn upload_letter(
    conn: &mut DbConnection,
    actor: &Actor,
    input: NewLetter,
    file_name: &str,
    content: Vec<u8>,
    now: DateTime<Utc>,
) -> DomainResult<LetterView> {
    actor.require(&[Role::Supplier], "upload commitment letters")?;
    let template_version = required_text(&input.template_version, "template_version", 50)?;
    let signer = required_text(&input.signer, "signer", 100)?;
    let file_name = required_text(file_name, "file", 200)?;
    if input.signed_on > shanghai_date(now) {
        return Err(DomainError::invalid(ErrorCode::FutureDate, "signed_on", "the letter is not signed in the future"));
    }
    if content.is_empty() || content.len() > MAX_LETTER_BYTES {
        return Err(DomainError::invalid(ErrorCode::InvalidFile, "file", "the letter is a file of at most 4 MB"));
    }
    let content_type = sniff(&content).ok_or_else(|| {
        DomainError::invalid(ErrorCode::InvalidFile, "file", "the letter is a PDF, PNG or JPEG file of the signed page")
    })?;
    write_tx(conn, |conn| {
        let name: String = organizations::table
            .find(&actor.org_id)
            .filter(organizations::kind.eq(OrgKind::Enterprise.as_str()))
            .select(organizations::name)
            .first(conn)?;
        let row = LetterRow {
            id: new_id(),
            enterprise_id: actor.org_id.clone(),
            template_version,
            signer,
            signed_on: input.signed_on,
            file_name,
            content_type: content_type.into(),
            sha256: hex::encode(Sha256::digest(&content)),
            content,
            uploaded_by: actor.user_id.clone(),
            uploaded_at: to_db(now),
        };
        diesel::insert_into(commitment_letters::table).values(&row).execute(conn)?;
        audit::record(
            conn,
            AuditEntry::created(
                actor,
                None,
                "commitment_letter",
                &row.id,
                &serde_json::json!({"template_version": row.template_version, "signed_on": row.signed_on, "sha256": row.sha256}),
            )
            .first_event(),
            now,
        )?;
        Ok(view(row, name))
    })
}

/// Letters, newest first: an enterprise its own, the bureau's and fund's officers every
/// enterprise's (they check them), filtered by enterprise.
pub fn list_letters(
    conn: &mut DbConnection,
    actor: &Actor,
    enterprise_id: Option<&str>,
    page: PageRequest,
) -> DomainResult<Page<LetterView>> {
    actor.require(&[Role::Supplier, Role::BureauOfficer, Role::FundOfficer], "read commitment letters")?;
    let only = if actor.role == Role::Supplier {
        Some(actor.org_id.clone())
    } else {
        enterprise_id.filter(|e| !e.is_empty()).map(str::to_string)
    };
    let query = || {
        let mut q = commitment_letters::table.inner_join(organizations::table).into_boxed();
        if let Some(e) = &only {
            q = q.filter(commitment_letters::enterprise_id.eq(e.clone()));
        }
        q
    };
    let total: i64 = query().count().get_result(conn)?;
    let rows: Vec<(LetterRow, String)> = query()
        .order(commitment_letters::uploaded_at.desc())
        .limit(page.per_page)
        .offset(page.offset())
        .select((LetterRow::as_select(), organizations::name))
        .load(conn)?;
    Ok(Page::new(rows.into_iter().map(|(r, n)| view(r, n)).collect(), page, total))
}

/// A letter's file, for its enterprise and for officers.
pub fn letter_file(conn: &mut DbConnection, actor: &Actor, id: &str) -> DomainResult<(String, String, Vec<u8>)> {
    actor.require(&[Role::Supplier, Role::BureauOfficer, Role::FundOfficer], "read commitment letters")?;
    let row: LetterRow = commitment_letters::table
        .find(id)
        .select(LetterRow::as_select())
        .first(conn)
        .optional()?
        .filter(|r| actor.role != Role::Supplier || r.enterprise_id == actor.org_id)
        .ok_or_else(|| DomainError::not_found("commitment letter"))?;
    Ok((row.file_name, row.content_type, row.content))
}
