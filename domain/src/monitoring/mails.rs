//! What monitoring tells each party, kept out of the operations. The body is the warning's own
//! bilingual message, the one the warning list shows.

use chrono::NaiveDate;

use super::NewWarning;
use crate::outbox::Mail;

/// To the organisation a warning concerns: one mail per subject and month, however many days
/// the warning stands.
pub(super) fn warning<'a>(w: &'a NewWarning, org: &'a str, roles: &'a [&'static str], as_of: NaiveDate) -> Mail<'a> {
    Mail {
        dedup_key: format!("warning:{}:{}:{}", w.kind, w.subject, as_of.format("%Y-%m")),
        region_id: Some(&w.region),
        kind: "monitoring_warning",
        to_org_id: org,
        roles,
        subject: format!("集采监测预警 / Procurement warning: {}", w.kind),
        body: w.message.clone(),
    }
}
