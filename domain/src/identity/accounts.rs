//! Users: creating them, listing them, switching them off and on, resetting passwords and
//! changing roles (admins for the platform, bureau officers for their region); a user's own
//! password; the session check every request makes; sign-in with its attempt limit.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::rules::{self, SignInLimits};
use super::{actor_of, hash_password, verify_password, OrgRow, UserRow};
use crate::actor::{Actor, Role};
use crate::audit::{self, AuditEntry};
use crate::clock::{from_db, to_db};
use crate::db::{unique_conflict, write_tx, DbConnection};
use crate::error::{DomainError, DomainResult, ErrorCode, Problem};
use crate::ids::new_id;
use crate::kept::Kept;
use crate::paging::{Page, PageRequest};
use crate::schema::{organizations, sign_in_failures, users};

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewUser {
    pub username: String,
    pub display_name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    pub password: String,
    pub role: Role,
    pub org_id: String,
}

/// A user as shown to others: never the password hash.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserView {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role: String,
    pub org_id: String,
    pub active: bool,
    #[serde(serialize_with = "crate::clock::ser_utc_opt")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<DateTime<Utc>>))]
    pub last_sign_in_at: Option<NaiveDateTime>,
}

impl From<UserRow> for UserView {
    fn from(u: UserRow) -> Self {
        UserView {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            email: u.email,
            role: u.role,
            org_id: u.org_id,
            active: u.active,
            last_sign_in_at: u.last_sign_in_at,
        }
    }
}

/// A user in the administration list: with the organisation's name and, when failed sign-ins
/// lock the account now, until when.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserListItem {
    #[serde(flatten)]
    pub user: UserView,
    pub org_name: String,
    pub org_kind: String,
    pub region_id: Option<String>,
    pub locked_until: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, Default)]
pub struct UserFilter {
    /// Part of the username or display name.
    pub q: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
    pub org_id: Option<String>,
}

fn require_administrator(actor: &Actor, action: &str) -> DomainResult<()> {
    actor.require(&[Role::Admin, Role::BureauOfficer], action)
}

/// The users the caller administers: every user for the admin, the users of the organisations
/// of their own region for a bureau officer.
fn administered(actor: &Actor) -> users::BoxedQuery<'static, crate::db::DbBackend> {
    let q = users::table.into_boxed();
    match actor.role {
        Role::Admin => q,
        _ => q.filter(
            users::org_id.eq_any(
                organizations::table
                    .filter(organizations::region_id.eq(actor.region_id.clone().unwrap_or_default()))
                    .select(organizations::id),
            ),
        ),
    }
}

/// One user the caller administers, with their organisation; another region's user is absent.
fn load_administered(conn: &mut DbConnection, actor: &Actor, id: &str) -> DomainResult<(UserRow, OrgRow)> {
    let user = administered(actor)
        .filter(users::id.eq(id.to_string()))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(DomainError::not_found("user"))?;
    let org = organizations::table.find(&user.org_id).select(OrgRow::as_select()).first(conn)?;
    Ok((user, org))
}

fn may_grant(actor: &Actor, role: Role) -> DomainResult<()> {
    if rules::may_grant(actor.role, role) {
        Ok(())
    } else {
        Err(DomainError::Forbidden(
            Problem::new(
                ErrorCode::RoleNotGrantable,
                format!("a {} may not grant the role {}", actor.role.as_str(), role.as_str()),
            )
            .field("role"),
        ))
    }
}

/// Creates a user. `password_hash` may be given to reuse one hash for many demo users.
pub fn create_user(
    conn: &mut DbConnection,
    actor: &Actor,
    input: NewUser,
    password_hash: Option<String>,
    now: DateTime<Utc>,
) -> DomainResult<UserView> {
    require_administrator(actor, "create users")?;
    let username = rules::check_username(&input.username)?;
    rules::check_password(&input.password, "password")?;
    may_grant(actor, input.role)?;
    let org = organizations::table
        .find(input.org_id.trim())
        .select(OrgRow::as_select())
        .first(conn)
        .optional()?
        .filter(|o| actor.role == Role::Admin || (o.region_id.is_some() && o.region_id == actor.region_id))
        .ok_or_else(|| DomainError::invalid(ErrorCode::UnknownOrganization, "org_id", "no such organisation"))?;
    let expected = input.role.org_kind();
    if org.kind != expected.as_str() {
        return Err(DomainError::invalid(
            ErrorCode::RoleMismatch,
            "role",
            format!("a {} belongs to a {} organisation, not a {}", input.role.as_str(), expected.as_str(), org.kind),
        ));
    }
    let hash = match password_hash {
        Some(h) => h,
        None => hash_password(&input.password)?,
    };
    let row = UserRow {
        id: new_id(),
        display_name: input
            .display_name
            .map(|d| d.trim().to_string())
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| username.clone()),
        username,
        email: input.email.map(|e| e.trim().to_string()).filter(|e| !e.is_empty()),
        password_hash: hash,
        role: input.role.as_str().into(),
        org_id: org.id.clone(),
        active: true,
        created_at: to_db(now),
        session_version: 0,
        last_sign_in_at: None,
    };
    let view = UserView::from(row.clone());
    write_tx(conn, |conn| {
        SESSIONS.written();
        diesel::insert_into(users::table).values(&row).execute(conn).map_err(|e| {
            unique_conflict(e, || {
                DomainError::conflict(ErrorCode::DuplicateUsername, format!("username {:?} is taken", row.username))
            })
        })?;
        audit::record(conn, AuditEntry::created(actor, org.region_id.as_deref(), "user", &row.id, &view), now)?;
        Ok(view.clone())
    })
}

/// The users the caller administers, by username, with their organisation and any lock.
pub fn list_users(
    conn: &mut DbConnection,
    actor: &Actor,
    filter: &UserFilter,
    limits: &SignInLimits,
    page: PageRequest,
    now: DateTime<Utc>,
) -> DomainResult<Page<UserListItem>> {
    require_administrator(actor, "list users")?;
    let build = || {
        let mut q = administered(actor);
        if let Some(text) = filter.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            let like = format!("%{}%", super::escape_like(text));
            q = q.filter(
                users::username.like(like.clone()).escape('\\').or(users::display_name.like(like).escape('\\')),
            );
        }
        if let Some(role) = filter.role {
            q = q.filter(users::role.eq(role.as_str()));
        }
        if let Some(active) = filter.active {
            q = q.filter(users::active.eq(active));
        }
        if let Some(org) = &filter.org_id {
            q = q.filter(users::org_id.eq(org.clone()));
        }
        q
    };
    let total = build().count().get_result::<i64>(conn)?;
    let rows: Vec<UserRow> = build()
        .order(users::username.asc())
        .limit(page.per_page)
        .offset(page.offset())
        .select(UserRow::as_select())
        .load(conn)?;
    let org_ids: Vec<&str> = rows.iter().map(|u| u.org_id.as_str()).collect();
    let orgs: std::collections::HashMap<String, OrgRow> = organizations::table
        .filter(organizations::id.eq_any(&org_ids))
        .select(OrgRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|o| (o.id.clone(), o))
        .collect();
    let usernames: Vec<&str> = rows.iter().map(|u| u.username.as_str()).collect();
    let failures: Vec<(String, NaiveDateTime)> = sign_in_failures::table
        .filter(sign_in_failures::username.eq_any(&usernames))
        .filter(sign_in_failures::failed_at.gt(to_db(now - limits.window)))
        .select((sign_in_failures::username, sign_in_failures::failed_at))
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(|u| {
            let times: Vec<DateTime<Utc>> =
                failures.iter().filter(|(name, _)| *name == u.username).map(|(_, at)| from_db(*at)).collect();
            let org = orgs.get(&u.org_id);
            UserListItem {
                locked_until: rules::locked_until(&times, limits.per_account, limits, now),
                org_name: org.map(|o| o.name.clone()).unwrap_or_default(),
                org_kind: org.map(|o| o.kind.clone()).unwrap_or_default(),
                region_id: org.and_then(|o| o.region_id.clone()),
                user: UserView::from(u),
            }
        })
        .collect();
    Ok(Page::new(items, page, total))
}

/// What an administrator changes about a user.
#[derive(Clone, Debug)]
pub enum UserChange {
    /// Switch off (false) or on (true).
    Active(bool),
    /// A new password the administrator hands over.
    ResetPassword(String),
    Role(Role),
    /// Lift a lock from failed sign-ins.
    Unlock,
}

/// Applies an administrator's change to a user, audited. Switching off, a new password and a
/// new role end every session the user has: their next request with an older token is refused.
pub fn change_user(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    change: UserChange,
    now: DateTime<Utc>,
) -> DomainResult<UserView> {
    require_administrator(actor, "administer users")?;
    if let UserChange::ResetPassword(p) = &change {
        rules::check_password(p, "password")?;
    }
    let new_hash = match &change {
        UserChange::ResetPassword(p) => Some(hash_password(p)?),
        _ => None,
    };
    write_tx(conn, |conn| {
        let (user, org) = load_administered(conn, actor, id)?;
        let current = Role::parse(&user.role).ok_or_else(|| DomainError::Internal(format!("role {}", user.role)))?;
        // Whoever may not grant a user's role may not administer that user either.
        may_grant(actor, current)?;
        if user.id == actor.user_id && matches!(change, UserChange::Active(false) | UserChange::Role(_)) {
            return Err(DomainError::conflict(
                ErrorCode::OwnAccount,
                "you cannot switch off your own account or change your own role; ask another administrator",
            ));
        }
        SESSIONS.written();
        let before = UserView::from(user.clone());
        let bump = user.session_version + 1;
        let action = match &change {
            UserChange::Active(true) => {
                diesel::update(users::table.find(&user.id)).set(users::active.eq(true)).execute(conn)?;
                "activate"
            }
            UserChange::Active(false) => {
                diesel::update(users::table.find(&user.id))
                    .set((users::active.eq(false), users::session_version.eq(bump)))
                    .execute(conn)?;
                "deactivate"
            }
            UserChange::ResetPassword(_) => {
                diesel::update(users::table.find(&user.id))
                    .set((
                        users::password_hash.eq(new_hash.clone().unwrap_or_default()),
                        users::session_version.eq(bump),
                    ))
                    .execute(conn)?;
                clear_failures(conn, &user.username)?;
                "reset_password"
            }
            UserChange::Role(role) => {
                may_grant(actor, *role)?;
                if role.org_kind().as_str() != org.kind {
                    return Err(DomainError::invalid(
                        ErrorCode::RoleMismatch,
                        "role",
                        format!(
                            "a {} belongs to a {} organisation, not a {}",
                            role.as_str(),
                            role.org_kind().as_str(),
                            org.kind
                        ),
                    ));
                }
                diesel::update(users::table.find(&user.id))
                    .set((users::role.eq(role.as_str()), users::session_version.eq(bump)))
                    .execute(conn)?;
                "change_role"
            }
            UserChange::Unlock => {
                clear_failures(conn, &user.username)?;
                "unlock"
            }
        };
        let after: UserView = users::table.find(&user.id).select(UserRow::as_select()).first(conn)?.into();
        audit::record(
            conn,
            AuditEntry::changed(actor, org.region_id.as_deref(), "user", &user.id, action, &before, &after),
            now,
        )?;
        Ok(after)
    })
}

fn clear_failures(conn: &mut DbConnection, username: &str) -> DomainResult<()> {
    diesel::delete(sign_in_failures::table.filter(sign_in_failures::username.eq(username))).execute(conn)?;
    Ok(())
}

/// A user changes their own password, giving the current one. Their other sessions end; the
/// caller signs in afresh with the new password.
pub fn change_own_password(
    conn: &mut DbConnection,
    actor: &Actor,
    current: &str,
    new: &str,
    now: DateTime<Utc>,
) -> DomainResult<Actor> {
    rules::check_password(new, "new_password")?;
    let user: UserRow = users::table.find(&actor.user_id).select(UserRow::as_select()).first(conn)?;
    if !verify_password(current, &user.password_hash) {
        return Err(DomainError::invalid(
            ErrorCode::WrongPassword,
            "current_password",
            "the current password is wrong",
        ));
    }
    if current == new {
        return Err(DomainError::invalid(
            ErrorCode::SamePassword,
            "new_password",
            "the new password is the current one",
        ));
    }
    let hash = hash_password(new)?;
    write_tx(conn, |conn| -> DomainResult<()> {
        SESSIONS.written();
        diesel::update(users::table.find(&user.id))
            .set((users::password_hash.eq(&hash), users::session_version.eq(user.session_version + 1)))
            .execute(conn)?;
        let org = organizations::table.find(&user.org_id).select(OrgRow::as_select()).first(conn)?;
        let shown = UserView::from(user.clone());
        audit::record(
            conn,
            AuditEntry::changed(actor, org.region_id.as_deref(), "user", &user.id, "change_password", &shown, &shown),
            now,
        )?;
        Ok(())
    })?;
    Ok(actor.clone())
}

enum UserKey<'a> {
    Id(&'a str),
    Username(&'a str),
}

/// A user and their organisation, in one query.
fn user_with_org(conn: &mut DbConnection, key: UserKey<'_>) -> DomainResult<Option<(UserRow, OrgRow)>> {
    let q =
        users::table.inner_join(organizations::table).select((UserRow::as_select(), OrgRow::as_select())).into_boxed();
    let q = match key {
        UserKey::Id(id) => q.filter(users::id.eq(id.to_string())),
        UserKey::Username(name) => q.filter(users::username.eq(name.to_string())),
    };
    Ok(q.first(conn).optional()?)
}

/// How long a session check's reading of its user is used again. A switch-off, password reset
/// or role change made through this process ends the user's sessions at once; one made by
/// another process sharing the database, within this time.
pub const SESSION_KEPT_FOR: std::time::Duration = std::time::Duration::from_secs(2);

/// The users as the session checks read them, by id: a client's requests read its user once in
/// [`SESSION_KEPT_FOR`] rather than at each request. Whatever changes a user marks it written.
static SESSIONS: Kept<Option<(UserRow, OrgRow)>> = Kept::new(SESSION_KEPT_FOR);

/// The session behind a token, checked on every request: the user as the database has them (as
/// read within [`SESSION_KEPT_FOR`]). A switched-off user, or a token older than the user's last
/// switch-off, password reset or role change, is refused (401).
pub fn current_session(conn: &mut DbConnection, user_id: &str, session_version: i32) -> DomainResult<Actor> {
    let kept = SESSIONS.get(user_id, || user_with_org(conn, UserKey::Id(user_id)))?;
    match kept.as_ref() {
        // A token newer than the reading: the user signed in again after a change that another
        // process made. Read them again.
        Some((user, _)) if user.session_version < session_version => {
            session_of(user_with_org(conn, UserKey::Id(user_id))?.as_ref(), session_version)
        }
        found => session_of(found.as_ref(), session_version),
    }
}

/// [`current_session`] when its user was read a moment ago: answered without the database.
/// `None` when the user must be read.
pub fn kept_session(user_id: &str, session_version: i32) -> Option<DomainResult<Actor>> {
    match SESSIONS.peek(user_id)?.as_ref() {
        Some((user, _)) if user.session_version < session_version => None,
        found => Some(session_of(found.as_ref(), session_version)),
    }
}

fn session_of(found: Option<&(UserRow, OrgRow)>, session_version: i32) -> DomainResult<Actor> {
    match found {
        Some((user, _)) if !user.active => Err(DomainError::SessionEnded(Problem::new(
            ErrorCode::AccountDisabled,
            "your account has been switched off; ask your administrator",
        ))),
        Some((user, _)) if user.session_version != session_version => Err(DomainError::SessionEnded(Problem::new(
            ErrorCode::SessionRevoked,
            "your account was changed (password or role) since you signed in; sign in again",
        ))),
        Some((user, org)) => actor_of(user, org),
        None => Err(DomainError::SessionEnded(Problem::new(ErrorCode::SessionRevoked, "the user no longer exists"))),
    }
}

/// A sign-in attempt: who, with what, from which client address.
pub struct SignIn<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub client: &'a str,
}

/// Checks a username and password under the attempt limits; returns the actor and their
/// session version. While failures lock the account or the client address, even the right
/// password is refused (429 with the time to wait); such refusals are not counted. A failure
/// is recorded (and the one that locks is audited); a success clears the account's failures.
pub fn sign_in(
    conn: &mut DbConnection,
    attempt: &SignIn<'_>,
    limits: &SignInLimits,
    now: DateTime<Utc>,
) -> DomainResult<(Actor, i32)> {
    let username = attempt.username.trim();
    let since = to_db(now - limits.window);
    // The failure times of this username, and of this client address, within the window.
    let failures = |conn: &mut DbConnection, by_client: bool| -> DomainResult<Vec<DateTime<Utc>>> {
        let q = sign_in_failures::table.filter(sign_in_failures::failed_at.gt(since)).into_boxed();
        let q = if by_client {
            q.filter(sign_in_failures::client.eq(attempt.client.to_string()))
        } else {
            q.filter(sign_in_failures::username.eq(username.to_string()))
        };
        Ok(q.select(sign_in_failures::failed_at).load::<NaiveDateTime>(conn)?.into_iter().map(from_db).collect())
    };
    let account_failures = failures(conn, false)?;
    let client_failures = failures(conn, true)?;
    let lock = [
        rules::locked_until(&account_failures, limits.per_account, limits, now),
        rules::locked_until(&client_failures, limits.per_client, limits, now),
    ]
    .into_iter()
    .flatten()
    .max();
    if let Some(until) = lock {
        return Err(DomainError::TooManyAttempts { retry_after_secs: (until - now).num_seconds().max(1) });
    }
    let found = user_with_org(conn, UserKey::Username(username))?;
    let ok = match &found {
        Some((user, _)) => user.active && verify_password(attempt.password, &user.password_hash),
        None => {
            let _ = verify_password(attempt.password, super::dummy_hash());
            false
        }
    };
    let outcome: DomainResult<(Actor, i32)> = write_tx(conn, |conn| -> DomainResult<DomainResult<(Actor, i32)>> {
        match (&found, ok) {
            (Some((user, org)), true) => {
                clear_failures(conn, &user.username)?;
                diesel::update(users::table.find(&user.id)).set(users::last_sign_in_at.eq(to_db(now))).execute(conn)?;
                Ok(Ok((actor_of(user, org)?, user.session_version)))
            }
            _ => {
                // Failures older than the window count for nothing: each new one clears them away.
                diesel::delete(sign_in_failures::table.filter(sign_in_failures::failed_at.le(since))).execute(conn)?;
                diesel::insert_into(sign_in_failures::table)
                    .values((
                        sign_in_failures::id.eq(new_id()),
                        sign_in_failures::username.eq(username),
                        sign_in_failures::client.eq(attempt.client),
                        sign_in_failures::failed_at.eq(to_db(now)),
                    ))
                    .execute(conn)?;
                if account_failures.len() + 1 == limits.per_account {
                    let nobody = Actor::system(String::new(), String::new());
                    let region = found.as_ref().and_then(|(_, o)| o.region_id.as_deref());
                    let (entity_type, entity_id) = match &found {
                        Some((user, _)) => ("user", user.id.as_str()),
                        None => ("sign_in", username),
                    };
                    let detail = serde_json::json!({
                        "username": username,
                        "client": attempt.client,
                        "failures": limits.per_account,
                        "window_minutes": limits.window.num_minutes(),
                        "locked_until": now + limits.first_delay,
                    });
                    let mut entry =
                        AuditEntry::changed(&nobody, region, entity_type, entity_id, "sign_in_locked", &(), &detail);
                    entry.before = None;
                    audit::record(conn, entry, now)?;
                }
                Ok(Err(DomainError::BadCredentials))
            }
        }
    })?;
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_view_never_carries_the_password_hash() {
        let row = UserRow {
            id: "u".into(),
            username: "a".into(),
            display_name: "A".into(),
            email: None,
            password_hash: "secret-hash".into(),
            role: "admin".into(),
            org_id: "o".into(),
            active: true,
            created_at: NaiveDateTime::default(),
            session_version: 3,
            last_sign_in_at: None,
        };
        let json = serde_json::to_string(&UserView::from(row)).unwrap();
        assert!(!json.contains("secret-hash"));
        assert!(!json.contains("session_version"));
    }
}
