//! Typed configuration from the environment (or flags), with defaults that run the demo as is.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use clap::Args;
use secrecy::{ExposeSecret, SecretString};

#[derive(Args, Clone, Debug)]
pub struct DbArgs {
    /// Database: `sqlite://path` (default, embedded) or `postgres://user:pass@host/db`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data/jicai.db", hide_env_values = true, global = true)]
    pub database_url: String,
    /// Connections in the pool (default: 16 for PostgreSQL, 8 for SQLite).
    #[arg(long, env = "JICAI_DB_POOL_SIZE", global = true)]
    pub db_pool_size: Option<u32>,
    /// Pretend "now" is this instant (RFC 3339, or a date meaning 10:00 in Asia/Shanghai); time
    /// flows on from there. For demos and tests; never set in production.
    #[arg(long, env = "JICAI_FAKE_NOW", global = true)]
    pub fake_now: Option<String>,
    /// The file holding the key that seals tender bids (64 hex digits), created on first use.
    /// It must never sit in the database: with it, sealed bids could be read before their
    /// opening. Default: beside the SQLite file (`<file>.sealing-key`), or `data/sealing.key`.
    #[arg(long, env = "JICAI_SEALING_KEY_FILE", global = true)]
    pub sealing_key_file: Option<String>,
}

impl DbArgs {
    /// The sealing key, from its file (created with a new random key if missing).
    pub fn sealing_key(&self) -> Result<jicai_domain::tender::seal::SealingKey, String> {
        let path = match &self.sealing_key_file {
            Some(p) if !p.trim().is_empty() => std::path::PathBuf::from(p.trim()),
            _ => match self.database_url.strip_prefix("sqlite://") {
                Some(file) => std::path::PathBuf::from(format!("{file}.sealing-key")),
                None => std::path::PathBuf::from("data/sealing.key"),
            },
        };
        jicai_domain::tender::seal::SealingKey::load_or_create(&path)
    }
}

#[derive(Args, Clone, Debug)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (printed at start).
    #[arg(long, env = "JICAI_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Secret that signs access tokens; when unset, one is generated and kept in the database.
    #[arg(long, env = "JICAI_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Lifetime of an access token, in minutes.
    #[arg(long, env = "JICAI_TOKEN_TTL_MINUTES", default_value_t = 480)]
    pub token_ttl_minutes: i64,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "JICAI_WORKERS")]
    pub workers: Option<usize>,
    /// Folder of the built web app (served at `/`).
    #[arg(long, env = "JICAI_FRONTEND_DIR", default_value = "frontend/dist")]
    pub frontend_dir: String,
    /// The OCDS ocid prefix registered with the Open Contracting Partnership (`ocds-` and six
    /// lowercase letters or digits). The default is a placeholder: replace it before publishing.
    #[arg(long, env = "JICAI_OCDS_PREFIX", default_value = jicai_domain::disclosure::ocds::Publisher::PLACEHOLDER_PREFIX)]
    pub ocds_prefix: String,
    /// The publisher named in OCDS packages.
    #[arg(long, env = "JICAI_OCDS_PUBLISHER", default_value = "集采直结 Jicai (demo publisher)")]
    pub ocds_publisher: String,
    /// A URI identifying the OCDS publisher (optional).
    #[arg(long, env = "JICAI_OCDS_PUBLISHER_URI")]
    pub ocds_publisher_uri: Option<String>,
    /// Failed sign-ins of one username, within the window, that lock it (0: no limit).
    #[arg(long, env = "JICAI_SIGNIN_MAX_FAILURES", default_value_t = 5)]
    pub signin_max_failures: usize,
    /// Failed sign-ins from one client address, within the window, that lock it (0: no limit).
    #[arg(long, env = "JICAI_SIGNIN_MAX_FAILURES_PER_ADDRESS", default_value_t = 30)]
    pub signin_max_failures_per_address: usize,
    /// How far back failed sign-ins count, in minutes; also the longest lock.
    #[arg(long, env = "JICAI_SIGNIN_WINDOW_MINUTES", default_value_t = 15)]
    pub signin_window_minutes: i64,
    /// The first lock's length in seconds; each further failure doubles it.
    #[arg(long, env = "JICAI_SIGNIN_FIRST_DELAY_SECONDS", default_value_t = 60)]
    pub signin_first_delay_seconds: i64,
}

impl ServeArgs {
    pub fn sign_in_limits(&self) -> jicai_domain::identity::SignInLimits {
        jicai_domain::identity::SignInLimits {
            per_account: self.signin_max_failures,
            per_client: self.signin_max_failures_per_address,
            window: chrono::Duration::minutes(self.signin_window_minutes.clamp(1, 24 * 60)),
            first_delay: chrono::Duration::seconds(self.signin_first_delay_seconds.clamp(1, 24 * 3600)),
        }
    }
    /// The OCDS publisher, refusing a prefix of the wrong shape.
    pub fn ocds_publisher(&self) -> Result<jicai_domain::disclosure::ocds::Publisher, String> {
        jicai_domain::disclosure::ocds::Publisher::new(
            &self.ocds_publisher,
            self.ocds_publisher_uri.as_deref(),
            &self.ocds_prefix,
        )
        .map_err(|e| format!("JICAI_OCDS_PREFIX / JICAI_OCDS_PUBLISHER: {e}"))
    }
}

/// The scheduler and mail, for every command that runs jobs (`serve`, `worker`, `jobs run`).
#[derive(Args, Clone, Debug)]
pub struct JobArgs {
    /// `off` keeps `jicai serve` from running the scheduler (run `jicai worker` instead).
    #[arg(long, env = "JICAI_SCHEDULER", default_value = "on", value_parser = ["on", "off"], global = true)]
    pub scheduler: String,
    /// Schedule overrides: `job=cron;job=cron` (cron with seconds, Asia/Shanghai), `job=off`.
    #[arg(long, env = "JICAI_SCHEDULE", global = true)]
    pub schedule: Option<String>,
    /// Where mail goes without an SMTP server (the demo), as `.eml` files.
    #[arg(long, env = "JICAI_MAIL_DIR", default_value = "data/mail", global = true)]
    pub mail_dir: std::path::PathBuf,
    /// The sender.
    #[arg(long, env = "JICAI_MAIL_FROM", default_value = "集采直结 Jicai <noreply@jicai.local>", global = true)]
    pub mail_from: String,
    /// Attempts before a refused message is recorded as failed (backoff 1, 2, 4, 8… minutes).
    #[arg(long, env = "JICAI_MAIL_MAX_ATTEMPTS", default_value_t = 5, value_parser = clap::value_parser!(i32).range(1..), global = true)]
    pub mail_max_attempts: i32,
    /// SMTP server; unset (or empty), mail is written to the mail folder.
    #[arg(long, env = "JICAI_SMTP_HOST", global = true)]
    pub smtp_host: Option<String>,
    #[arg(long, env = "JICAI_SMTP_PORT", default_value_t = 25, global = true)]
    pub smtp_port: u16,
    /// `none`, `starttls` or `tls` (implicit TLS).
    #[arg(long, env = "JICAI_SMTP_TLS", default_value = "starttls", value_parser = ["none", "starttls", "tls"], global = true)]
    pub smtp_tls: String,
    #[arg(long, env = "JICAI_SMTP_USERNAME", global = true)]
    pub smtp_username: Option<String>,
    /// Never printed: held as a secret, its environment value hidden from `--help`.
    #[arg(long, env = "JICAI_SMTP_PASSWORD", hide_env_values = true, value_parser = secret, global = true)]
    pub smtp_password: Option<SecretString>,
}

fn secret(s: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(s.to_string()))
}

impl JobArgs {
    pub fn scheduler_on(&self) -> bool {
        self.scheduler != "off"
    }
    pub fn mail(&self) -> jicai_jobs::mail::MailConfig {
        let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
        jicai_jobs::mail::MailConfig {
            smtp: given(&self.smtp_host).map(|host| jicai_jobs::mail::SmtpConfig {
                host,
                port: self.smtp_port,
                tls: jicai_jobs::mail::TlsMode::parse(&self.smtp_tls).unwrap_or(jicai_jobs::mail::TlsMode::StartTls),
                username: given(&self.smtp_username),
                password: self.smtp_password.clone().filter(|p| !p.expose_secret().is_empty()),
            }),
            from: self.mail_from.clone(),
            dir: self.mail_dir.clone(),
            max_attempts: self.mail_max_attempts,
        }
    }
}

/// Parses `JICAI_FAKE_NOW`.
pub fn parse_instant(s: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s.trim()) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
        let local = d.and_time(NaiveTime::from_hms_opt(10, 0, 0).expect("valid"));
        return Shanghai
            .from_local_datetime(&local)
            .single()
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| format!("{s:?} is not a valid local time"));
    }
    Err(format!("{s:?} is neither an RFC 3339 instant nor a YYYY-MM-DD date"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smtp_password_never_prints() {
        use clap::Parser;
        #[derive(Parser)]
        struct T {
            #[command(flatten)]
            jobs: JobArgs,
        }
        let t =
            T::parse_from(["t", "--smtp-host", "mail.example", "--smtp-password", "hunter2", "--smtp-username", "u"]);
        let printed = format!("{:?} {:?}", t.jobs, t.jobs.mail());
        assert!(!printed.contains("hunter2"), "{printed}");
        assert_eq!(t.jobs.mail().smtp.unwrap().password.unwrap().expose_secret(), "hunter2");
        // An empty host means no SMTP server, as an unset one does.
        let t = T::parse_from(["t", "--smtp-host", ""]);
        assert!(t.jobs.mail().smtp.is_none());
        assert!(T::try_parse_from(["t", "--smtp-tls", "ssl"]).is_err());
        assert!(T::try_parse_from(["t", "--mail-max-attempts", "0"]).is_err());
    }

    #[test]
    fn fake_now_accepts_dates_and_instants() {
        assert_eq!(parse_instant("2026-03-01").unwrap().to_rfc3339(), "2026-03-01T02:00:00+00:00");
        assert_eq!(parse_instant("2026-03-01T00:30:00+08:00").unwrap().to_rfc3339(), "2026-02-28T16:30:00+00:00");
        assert!(parse_instant("tomorrow").is_err());
    }
}
