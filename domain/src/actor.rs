//! The caller: who runs an operation, in which role, for which organisation and region. Every
//! query is scoped by it. Part of the base layer: it imports no business module.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::DbConnection;
use crate::error::{DomainError, DomainResult};
use crate::schema::users;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    BureauOfficer,
    FundOfficer,
    HospitalBuyer,
    Supplier,
}

impl Role {
    pub const ALL: [Role; 5] =
        [Role::Admin, Role::BureauOfficer, Role::FundOfficer, Role::HospitalBuyer, Role::Supplier];
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::BureauOfficer => "bureau_officer",
            Role::FundOfficer => "fund_officer",
            Role::HospitalBuyer => "hospital_buyer",
            Role::Supplier => "supplier",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
    /// The organisation kind a user of this role belongs to.
    pub fn org_kind(self) -> OrgKind {
        match self {
            Role::Admin => OrgKind::Platform,
            Role::BureauOfficer | Role::FundOfficer => OrgKind::Bureau,
            Role::HospitalBuyer => OrgKind::Hospital,
            Role::Supplier => OrgKind::Enterprise,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    Platform,
    Bureau,
    Hospital,
    Enterprise,
}

impl OrgKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Platform => "platform",
            OrgKind::Bureau => "bureau",
            OrgKind::Hospital => "hospital",
            OrgKind::Enterprise => "enterprise",
        }
    }
    pub fn parse(s: &str) -> Option<OrgKind> {
        [OrgKind::Platform, OrgKind::Bureau, OrgKind::Hospital, OrgKind::Enterprise]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// The authenticated caller on whose behalf an operation runs. Every query is scoped by it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Actor {
    pub user_id: String,
    pub username: String,
    /// The user's name as shown to others (显示名); empty for the platform's own work.
    pub display_name: String,
    pub role: Role,
    pub org_id: String,
    /// The pooling region of a bureau or hospital; none for enterprises and the platform.
    pub region_id: Option<String>,
}

impl Actor {
    pub fn is(&self, role: Role) -> bool {
        self.role == role
    }
    /// Refuses with 403 unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role], action: &str) -> DomainResult<()> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(DomainError::forbidden(format!("a {} may not {action}", self.role.as_str())))
        }
    }
    /// The caller's region (bureau, fund and hospital users always have one).
    pub fn region(&self) -> DomainResult<&str> {
        self.region_id
            .as_deref()
            .ok_or_else(|| DomainError::forbidden("this operation needs a user of a pooling region"))
    }
    /// An actor for work the platform does itself (demo seeding, jobs).
    pub fn system(user_id: String, org_id: String) -> Actor {
        Actor {
            user_id,
            username: "system".into(),
            display_name: String::new(),
            role: Role::Admin,
            org_id,
            region_id: None,
        }
    }
    /// Who the caller is, as others read it: "显示名 (username)".
    pub fn label(&self) -> String {
        label(&self.display_name, &self.username)
    }
}

/// A user as others read them: "显示名 (username)".
pub fn label(display_name: &str, username: &str) -> String {
    format!("{display_name} ({username})")
}

/// The names of users by id ("显示名 (username)"), for showing who did what; unknown ids are absent.
pub fn user_names<'a>(
    conn: &mut DbConnection,
    ids: impl IntoIterator<Item = &'a str>,
) -> DomainResult<std::collections::HashMap<String, String>> {
    let mut ids: Vec<String> = ids.into_iter().map(str::to_string).collect();
    ids.sort();
    ids.dedup();
    let mut out = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(String, String, String)> = users::table
            .filter(users::id.eq_any(chunk))
            .select((users::id, users::display_name, users::username))
            .load(conn)?;
        out.extend(rows.into_iter().map(|(id, name, username)| (id, label(&name, &username))));
    }
    Ok(out)
}
