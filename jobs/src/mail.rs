//! The mail dispatcher: sends the outbox over SMTP (lettre), retries transient failures with
//! backoff and records permanent ones. Without an SMTP host (the demo), mail is written as
//! `.eml` files to a folder instead.
//!
//! Delivery is at least once: a process killed between the SMTP server's acceptance and the
//! `sent` mark sends that message again after ten minutes; its Message-ID stays the same so a
//! receiving system can tell.

use chrono::Duration;
use jicai_domain::clock::SharedClock;
use jicai_domain::db::DbConnection;
use jicai_domain::outbox::{self, OutboxRow};
use jicai_domain::DomainResult;
use lettre::message::{header::ContentType, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{FileTransport, Message, SmtpTransport, Transport};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain SMTP (a relay on the same host or a test server).
    None,
    /// STARTTLS on the submission port.
    StartTls,
    /// Implicit TLS (SMTPS, port 465).
    Tls,
}

impl TlsMode {
    pub fn parse(s: &str) -> Option<TlsMode> {
        match s {
            "none" => Some(TlsMode::None),
            "starttls" => Some(TlsMode::StartTls),
            "tls" => Some(TlsMode::Tls),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub username: Option<String>,
    /// Never printed: its `Debug` is redacted.
    pub password: Option<SecretString>,
}

#[derive(Clone, Debug)]
pub struct MailConfig {
    /// None: write mail to `dir` instead of sending it.
    pub smtp: Option<SmtpConfig>,
    pub from: String,
    pub dir: PathBuf,
    /// Attempts before a transient failure becomes permanent.
    pub max_attempts: i32,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            smtp: None,
            from: "集采直结 Jicai <noreply@jicai.local>".into(),
            dir: PathBuf::from("data/mail"),
            max_attempts: 5,
        }
    }
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct DispatchCounts {
    pub sent: i64,
    pub retried: i64,
    pub failed: i64,
}

enum Failure {
    Transient(String),
    Permanent(String),
}

fn build(cfg: &MailConfig, m: &OutboxRow) -> Result<Message, Failure> {
    let from: Mailbox =
        cfg.from.parse().map_err(|e| Failure::Permanent(format!("sender address {:?}: {e}", cfg.from)))?;
    let mut b = Message::builder()
        .from(from)
        .subject(m.subject.clone())
        .message_id(Some(format!("<{}@jicai>", m.id)))
        .header(ContentType::TEXT_PLAIN);
    for addr in m.to_address.split(',').map(str::trim).filter(|a| !a.is_empty()) {
        let to: Mailbox = addr.parse().map_err(|e| Failure::Permanent(format!("recipient {addr:?}: {e}")))?;
        b = b.to(to);
    }
    b.body(m.body.clone()).map_err(|e| Failure::Permanent(format!("message: {e}")))
}

fn transport(s: &SmtpConfig) -> Result<SmtpTransport, Failure> {
    let builder = match s.tls {
        TlsMode::None => SmtpTransport::builder_dangerous(&s.host),
        TlsMode::StartTls => {
            SmtpTransport::starttls_relay(&s.host).map_err(|e| Failure::Permanent(format!("TLS setup: {e}")))?
        }
        TlsMode::Tls => SmtpTransport::relay(&s.host).map_err(|e| Failure::Permanent(format!("TLS setup: {e}")))?,
    };
    let mut builder = builder.port(s.port).timeout(Some(std::time::Duration::from_secs(20)));
    if let (Some(u), Some(p)) = (&s.username, &s.password) {
        builder = builder.credentials(Credentials::new(u.clone(), p.expose_secret().to_string()));
    }
    Ok(builder.build())
}

fn send(cfg: &MailConfig, m: &OutboxRow) -> Result<(), Failure> {
    let message = build(cfg, m)?;
    match &cfg.smtp {
        None => {
            std::fs::create_dir_all(&cfg.dir)
                .map_err(|e| Failure::Transient(format!("mail folder {}: {e}", cfg.dir.display())))?;
            FileTransport::new(&cfg.dir)
                .send(&message)
                .map(|_| ())
                .map_err(|e| Failure::Transient(format!("writing mail: {e}")))
        }
        Some(s) => transport(s)?.send(&message).map(|_| ()).map_err(|e| {
            if e.is_permanent() {
                Failure::Permanent(e.to_string())
            } else {
                Failure::Transient(e.to_string())
            }
        }),
    }
}

/// Backoff after the `attempt`th failure: 1, 2, 4, 8… minutes, at most an hour.
pub fn backoff(attempt: i32) -> Duration {
    Duration::minutes((1i64 << attempt.clamp(0, 6)).min(60))
}

/// Sends what is due in the outbox.
pub fn dispatch(
    conn: &mut DbConnection,
    clock: &SharedClock,
    cfg: &MailConfig,
    region: Option<&str>,
) -> DomainResult<DispatchCounts> {
    let mut counts = DispatchCounts::default();
    loop {
        let batch = outbox::claim_due(conn, region, clock.now(), 50)?;
        if batch.is_empty() {
            break;
        }
        for m in batch {
            match send(cfg, &m) {
                Ok(()) => {
                    outbox::mark_sent(conn, &m.id, clock.now())?;
                    counts.sent += 1;
                }
                Err(Failure::Transient(e)) if m.attempts + 1 < cfg.max_attempts => {
                    outbox::mark_attempt_failed(conn, &m.id, &e, Some(clock.now() + backoff(m.attempts)))?;
                    counts.retried += 1;
                }
                Err(Failure::Transient(e)) | Err(Failure::Permanent(e)) => {
                    tracing::warn!("mail {} to {} failed for good: {e}", m.id, m.to_address);
                    outbox::mark_attempt_failed(conn, &m.id, &e, None)?;
                    counts.failed += 1;
                }
            }
        }
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(0), Duration::minutes(1));
        assert_eq!(backoff(1), Duration::minutes(2));
        assert_eq!(backoff(3), Duration::minutes(8));
        assert_eq!(backoff(10), Duration::minutes(60));
    }
}
