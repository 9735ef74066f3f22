//! Regions, organisations, users, roles, passwords and the acting caller.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::audit::{self, AuditEntry};
use crate::clock::to_db;
use crate::db::{is_unique_violation, unique_conflict, write_tx, DbConnection};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::ids::new_id;
use crate::paging::{Page, PageRequest};
use crate::policy::{DeadlineRule, PolicyRow};
use crate::schema::{organizations, region_policies, regions, users};

pub use crate::actor::{user_names, Actor, OrgKind, Role};
pub use accounts::*;
pub use rules::SignInLimits;

mod accounts;
pub mod rules;
pub use crate::error::required_text;

// ---------------------------------------------------------------- rows

#[derive(Queryable, Selectable, Insertable, Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[diesel(table_name = regions, treat_none_as_default_value = false)]
pub struct RegionRow {
    pub id: String,
    pub code: String,
    pub province_code: String,
    pub name: String,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub created_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[diesel(table_name = organizations, treat_none_as_default_value = false)]
pub struct OrgRow {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub credit_code: Option<String>,
    pub region_id: Option<String>,
    pub hospital_level: Option<i16>,
    pub is_manufacturer: bool,
    pub is_distributor: bool,
    pub bank_name: Option<String>,
    pub bank_account: Option<String>,
    pub is_demo: bool,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub created_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = users, treat_none_as_default_value = false)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub password_hash: String,
    pub role: String,
    pub org_id: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub session_version: i32,
    pub last_sign_in_at: Option<NaiveDateTime>,
}

// ---------------------------------------------------------------- passwords

pub fn hash_password(password: &str) -> DomainResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| DomainError::Internal(format!("password hashing failed: {e}")))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// A hash that no password matches, verified against when the user does not exist so that a
/// wrong username costs as much time as a wrong password.
pub(crate) fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("no user has this password").expect("argon2 works"))
}

fn actor_of(user: &UserRow, org: &OrgRow) -> DomainResult<Actor> {
    let role = Role::parse(&user.role)
        .ok_or_else(|| DomainError::Internal(format!("user {} has unknown role {}", user.id, user.role)))?;
    Ok(Actor {
        user_id: user.id.clone(),
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        role,
        org_id: org.id.clone(),
        region_id: org.region_id.clone(),
    })
}

// ---------------------------------------------------------------- regions

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewRegion {
    pub code: String,
    pub province_code: String,
    pub name: String,
    /// The payment deadline rule in force from the start (default: 30 calendar days).
    #[serde(default)]
    pub deadline_rule: Option<DeadlineRule>,
}

fn check_division_code(code: &str, field: &str) -> DomainResult<String> {
    let c = code.trim();
    if c.len() == 6 && c.chars().all(|ch| ch.is_ascii_digit()) {
        Ok(c.to_string())
    } else {
        Err(DomainError::invalid(
            ErrorCode::InvalidRegionCode,
            field,
            format!("{c:?} is not a 6-digit administrative division code (e.g. 440300)"),
        ))
    }
}

/// Creates a region with the initial versions of its policies, in one transaction. Which
/// policies a new region starts with is `region_setup`'s to say.
pub fn create_region(
    conn: &mut DbConnection,
    actor: &Actor,
    input: NewRegion,
    initial_policies: &[(&'static str, String)],
    now: DateTime<Utc>,
) -> DomainResult<RegionRow> {
    actor.require(&[Role::Admin], "create pooling regions")?;
    let row = RegionRow {
        id: new_id(),
        code: check_division_code(&input.code, "code")?,
        province_code: check_division_code(&input.province_code, "province_code")?,
        name: required_text(&input.name, "name", 100)?,
        created_at: to_db(now),
    };
    write_tx(conn, |conn| {
        diesel::insert_into(regions::table).values(&row).execute(conn).map_err(|e| {
            unique_conflict(e, || {
                DomainError::conflict(ErrorCode::DuplicateRegion, format!("region {} already exists", row.code))
            })
        })?;
        for (kind, params) in initial_policies {
            let policy = PolicyRow {
                id: new_id(),
                region_id: row.id.clone(),
                kind: (*kind).into(),
                effective_from: NaiveDate::from_ymd_opt(2000, 1, 1).expect("valid date"),
                params: params.clone(),
                note: Some("initial policy".into()),
                created_by: Some(actor.user_id.clone()).filter(|id| !id.is_empty()),
                created_at: to_db(now),
            };
            diesel::insert_into(region_policies::table).values(&policy).execute(conn)?;
            crate::policy::version_added();
        }
        audit::record(conn, AuditEntry::created(actor, Some(&row.id), "region", &row.id, &row), now)?;
        Ok(row.clone())
    })
}

pub fn list_regions(conn: &mut DbConnection) -> DomainResult<Vec<RegionRow>> {
    Ok(regions::table.order(regions::code.asc()).select(RegionRow::as_select()).load(conn)?)
}

pub fn find_region_by_code(conn: &mut DbConnection, code: &str) -> DomainResult<Option<RegionRow>> {
    Ok(regions::table.filter(regions::code.eq(code)).select(RegionRow::as_select()).first(conn).optional()?)
}

// ---------------------------------------------------------------- organisations

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewOrg {
    pub kind: OrgKind,
    pub name: String,
    #[serde(default)]
    pub credit_code: Option<String>,
    /// Region code (bureau and hospital).
    #[serde(default)]
    pub region_code: Option<String>,
    #[serde(default)]
    pub hospital_level: Option<i16>,
    #[serde(default)]
    pub is_manufacturer: bool,
    #[serde(default)]
    pub is_distributor: bool,
    #[serde(default)]
    pub bank_name: Option<String>,
    #[serde(default)]
    pub bank_account: Option<String>,
}

fn check_credit_code(code: &str) -> DomainResult<String> {
    let c = code.trim().to_ascii_uppercase();
    let ok = c.len() == 18 && c.chars().all(|ch| ch.is_ascii_digit() || ch.is_ascii_uppercase());
    if ok {
        Ok(c)
    } else {
        Err(DomainError::invalid(
            ErrorCode::InvalidCreditCode,
            "credit_code",
            "a unified social credit code (统一社会信用代码) has 18 digits or capital letters",
        ))
    }
}

pub fn create_org(
    conn: &mut DbConnection,
    actor: &Actor,
    input: NewOrg,
    is_demo: bool,
    now: DateTime<Utc>,
) -> DomainResult<OrgRow> {
    actor.require(&[Role::Admin], "create organisations")?;
    let name = required_text(&input.name, "name", 200)?;
    let region_id = match (&input.kind, &input.region_code) {
        (OrgKind::Bureau | OrgKind::Hospital, None) => {
            return Err(DomainError::invalid(
                ErrorCode::Required,
                "region_code",
                "a bureau or hospital belongs to a pooling region",
            ))
        }
        (_, Some(code)) => Some(
            find_region_by_code(conn, code.trim())?
                .ok_or_else(|| {
                    DomainError::invalid(
                        ErrorCode::UnknownRegion,
                        "region_code",
                        format!("no region with code {code:?}"),
                    )
                })?
                .id,
        ),
        (_, None) => None,
    };
    let hospital_level = match (input.kind, input.hospital_level) {
        (OrgKind::Hospital, Some(level @ 1..=3)) => Some(level),
        (OrgKind::Hospital, _) => {
            return Err(DomainError::invalid(
                ErrorCode::InvalidHospitalLevel,
                "hospital_level",
                "a hospital's level is 1, 2 or 3 (一级/二级/三级)",
            ))
        }
        (_, Some(_)) => {
            return Err(DomainError::invalid(
                ErrorCode::InvalidHospitalLevel,
                "hospital_level",
                "only hospitals have a level",
            ))
        }
        (_, None) => None,
    };
    if input.kind == OrgKind::Enterprise && !input.is_manufacturer && !input.is_distributor {
        return Err(DomainError::invalid(
            ErrorCode::InvalidEnterprise,
            "is_manufacturer",
            "an enterprise is a manufacturer, a distributor, or both",
        ));
    }
    let row = OrgRow {
        id: new_id(),
        kind: input.kind.as_str().into(),
        name,
        credit_code: input.credit_code.as_deref().map(check_credit_code).transpose()?,
        region_id,
        hospital_level,
        is_manufacturer: input.is_manufacturer,
        is_distributor: input.is_distributor,
        bank_name: input.bank_name.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()),
        bank_account: input.bank_account.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()),
        is_demo,
        created_at: to_db(now),
    };
    write_tx(conn, |conn| {
        diesel::insert_into(organizations::table).values(&row).execute(conn).map_err(|e| {
            unique_conflict(e, || {
                DomainError::conflict(
                    ErrorCode::DuplicateOrganization,
                    "an organisation with this credit code already exists",
                )
            })
        })?;
        audit::record(conn, AuditEntry::created(actor, row.region_id.as_deref(), "organization", &row.id, &row), now)?;
        Ok(row.clone())
    })
}

#[derive(Clone, Debug, Default)]
pub struct OrgFilter {
    pub kind: Option<OrgKind>,
    pub name_contains: Option<String>,
}

/// Organisations the caller may see: admins all; bureau and fund officers their region's
/// organisations and every enterprise; hospitals their own and every enterprise (the public
/// directory of suppliers); suppliers their own.
pub fn list_orgs(
    conn: &mut DbConnection,
    actor: &Actor,
    filter: &OrgFilter,
    page: PageRequest,
) -> DomainResult<Page<OrgRow>> {
    let build = || {
        let mut q = organizations::table.into_boxed();
        match actor.role {
            Role::Admin => {}
            Role::BureauOfficer | Role::FundOfficer => {
                let region = actor.region_id.clone().unwrap_or_default();
                q = q.filter(
                    organizations::region_id.eq(region).or(organizations::kind.eq(OrgKind::Enterprise.as_str())),
                );
            }
            Role::HospitalBuyer => {
                q = q.filter(
                    organizations::id.eq(actor.org_id.clone()).or(organizations::kind.eq(OrgKind::Enterprise.as_str())),
                )
            }
            // A supplier sees itself and its customers: the hospitals that ordered from it.
            Role::Supplier => {
                let customers = crate::schema::orders::table
                    .filter(crate::schema::orders::supplier_id.eq(actor.org_id.clone()))
                    .select(crate::schema::orders::hospital_id);
                q = q.filter(organizations::id.eq(actor.org_id.clone()).or(organizations::id.eq_any(customers)))
            }
        }
        if let Some(kind) = filter.kind {
            q = q.filter(organizations::kind.eq(kind.as_str()));
        }
        if let Some(name) = filter.name_contains.as_deref().filter(|s| !s.is_empty()) {
            q = q.filter(organizations::name.like(format!("%{}%", escape_like(name))).escape('\\'));
        }
        q
    };
    let total = build().count().get_result::<i64>(conn)?;
    let items = build()
        .order((organizations::kind.asc(), organizations::name.asc()))
        .limit(page.per_page)
        .offset(page.offset())
        .select(OrgRow::as_select())
        .load(conn)?;
    Ok(Page::new(items, page, total))
}

/// An organisation as other records refer to it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgRef {
    pub id: String,
    pub name: String,
}

/// Names of the given organisations, to render references without one query per row.
pub struct OrgNames(std::collections::HashMap<String, String>);

/// Organisation names kept by the process across requests. No statement changes an organisation's
/// name once it is created, so a kept name is never stale, and a page of payables, orders or
/// deliveries reads no organisation it has seen before. Bounded: cleared past `KEPT_NAMES_MAX`.
fn kept_names() -> &'static std::sync::RwLock<std::collections::HashMap<String, String>> {
    static KEPT: std::sync::OnceLock<std::sync::RwLock<std::collections::HashMap<String, String>>> =
        std::sync::OnceLock::new();
    KEPT.get_or_init(Default::default)
}

const KEPT_NAMES_MAX: usize = 100_000;

impl OrgNames {
    pub fn load(conn: &mut DbConnection, ids: &[&str]) -> DomainResult<OrgNames> {
        let mut names = std::collections::HashMap::with_capacity(ids.len());
        let mut missing: Vec<&str> = Vec::new();
        {
            let kept = kept_names().read().unwrap_or_else(std::sync::PoisonError::into_inner);
            for id in ids {
                match kept.get(*id) {
                    Some(name) => {
                        names.insert(id.to_string(), name.clone());
                    }
                    None => missing.push(id),
                }
            }
        }
        if !missing.is_empty() {
            missing.sort_unstable();
            missing.dedup();
            let loaded: Vec<(String, String)> = organizations::table
                .filter(organizations::id.eq_any(&missing))
                .select((organizations::id, organizations::name))
                .load(conn)?;
            let mut kept = kept_names().write().unwrap_or_else(std::sync::PoisonError::into_inner);
            if kept.len() + loaded.len() > KEPT_NAMES_MAX {
                kept.clear();
            }
            for (id, name) in loaded {
                kept.insert(id.clone(), name.clone());
                names.insert(id, name);
            }
        }
        Ok(OrgNames(names))
    }
    pub fn reference(&self, id: &str) -> OrgRef {
        OrgRef { id: id.to_string(), name: self.0.get(id).cloned().unwrap_or_default() }
    }
}

pub use crate::db::escape_like;

pub fn get_org(conn: &mut DbConnection, id: &str) -> DomainResult<OrgRow> {
    organizations::table
        .find(id)
        .select(OrgRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(DomainError::not_found("organization"))
}

/// The platform organisation (admins' home), created on first use.
pub fn ensure_platform_org(conn: &mut DbConnection, is_demo: bool, now: DateTime<Utc>) -> DomainResult<OrgRow> {
    if let Some(org) = organizations::table
        .filter(organizations::kind.eq(OrgKind::Platform.as_str()))
        .select(OrgRow::as_select())
        .first(conn)
        .optional()?
    {
        return Ok(org);
    }
    let row = OrgRow {
        id: new_id(),
        kind: OrgKind::Platform.as_str().into(),
        name: "集采直结平台 Jicai platform".into(),
        credit_code: None,
        region_id: None,
        hospital_level: None,
        is_manufacturer: false,
        is_distributor: false,
        bank_name: None,
        bank_account: None,
        is_demo,
        created_at: to_db(now),
    };
    diesel::insert_into(organizations::table).values(&row).execute(conn)?;
    Ok(row)
}

/// Bootstraps a user from the command line (`jicai user add`), without an acting user.
pub fn bootstrap_user(conn: &mut DbConnection, input: NewUser, now: DateTime<Utc>) -> DomainResult<UserView> {
    write_tx(conn, |conn| {
        let platform = ensure_platform_org(conn, false, now)?;
        let system = Actor::system("".into(), platform.id.clone());
        let mut input = input;
        if input.role == Role::Admin && input.org_id.is_empty() {
            input.org_id = platform.id.clone();
        }
        create_user(conn, &system, input, None, now)
    })
}

// ---------------------------------------------------------------- settings

/// Reads a server setting, creating it with `make()` the first time (for example the token
/// signing secret, so that every server process on one database signs alike).
pub fn setting_or_init(conn: &mut DbConnection, name: &str, make: impl FnOnce() -> String) -> DomainResult<String> {
    use crate::schema::settings;
    let read = |conn: &mut DbConnection| -> DomainResult<Option<String>> {
        Ok(settings::table.find(name).select(settings::value).first(conn).optional()?)
    };
    if let Some(v) = read(conn)? {
        return Ok(v);
    }
    let value = make();
    match diesel::insert_into(settings::table)
        .values((settings::name.eq(name), settings::value.eq(&value)))
        .execute(conn)
    {
        Ok(_) => Ok(value),
        Err(e) if is_unique_violation(&e) => read(conn)?.ok_or(DomainError::Database(e)),
        Err(e) => Err(e.into()),
    }
}

/// 32 random bytes, hex-encoded.
pub fn random_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A user's display name, organisation and region (for `/me`).
pub fn profile(conn: &mut DbConnection, user_id: &str) -> DomainResult<(String, OrgRow, Option<RegionRow>)> {
    let (name, org): (String, OrgRow) = users::table
        .inner_join(organizations::table)
        .filter(users::id.eq(user_id))
        .select((users::display_name, OrgRow::as_select()))
        .first(conn)
        .optional()?
        .ok_or(DomainError::not_found("user"))?;
    let region = match &org.region_id {
        Some(r) => regions::table.find(r).select(RegionRow::as_select()).first(conn).optional()?,
        None => None,
    };
    Ok((name, org, region))
}

/// One organisation, if the caller may see it (the same rule as [`list_orgs`]).
pub fn get_visible_org(conn: &mut DbConnection, actor: &Actor, id: &str) -> DomainResult<OrgRow> {
    let org = get_org(conn, id)?;
    let visible = match actor.role {
        Role::Admin => true,
        Role::BureauOfficer | Role::FundOfficer => {
            org.kind == OrgKind::Enterprise.as_str() || (org.region_id.is_some() && org.region_id == actor.region_id)
        }
        Role::HospitalBuyer => org.id == actor.org_id || org.kind == OrgKind::Enterprise.as_str(),
        Role::Supplier => {
            org.id == actor.org_id
                || diesel::select(diesel::dsl::exists(
                    crate::schema::orders::table
                        .filter(crate::schema::orders::supplier_id.eq(&actor.org_id))
                        .filter(crate::schema::orders::hospital_id.eq(&org.id)),
                ))
                .get_result::<bool>(conn)?
        }
    };
    if visible {
        Ok(org)
    } else {
        Err(DomainError::not_found("organization"))
    }
}
