//! The pure rules of identity: who may grant which role, what a username and a password look
//! like, and how long failed sign-ins lock an account or a client address.

use chrono::{DateTime, Duration, Utc};

use crate::actor::Role;
use crate::error::{DomainError, DomainResult, ErrorCode};

/// The roles a user of `granter`'s role may give (create, or change a user to): the platform's
/// admin any; a bureau officer the roles of their own region (never admin, never supplier:
/// enterprises belong to no region).
pub fn grantable_roles(granter: Role) -> &'static [Role] {
    match granter {
        Role::Admin => &Role::ALL,
        Role::BureauOfficer => &[Role::BureauOfficer, Role::FundOfficer, Role::HospitalBuyer],
        Role::FundOfficer | Role::HospitalBuyer | Role::Supplier => &[],
    }
}

pub fn may_grant(granter: Role, role: Role) -> bool {
    grantable_roles(granter).contains(&role)
}

pub const MIN_PASSWORD_LEN: usize = 8;
pub const MAX_PASSWORD_LEN: usize = 128;

/// A username: 3 to 40 letters, digits, '.', '_' or '-'; returned trimmed.
pub fn check_username(u: &str) -> DomainResult<String> {
    let u = u.trim();
    let ok =
        (3..=40).contains(&u.len()) && u.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
    if ok {
        Ok(u.to_string())
    } else {
        Err(DomainError::invalid(
            ErrorCode::InvalidUsername,
            "username",
            "a username has 3 to 40 letters, digits, '.', '_' or '-'",
        ))
    }
}

/// A new password: 8 to 128 characters.
pub fn check_password(password: &str, field: &str) -> DomainResult<()> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_LEN {
        return Err(DomainError::invalid(
            ErrorCode::WeakPassword,
            field,
            format!("a password has at least {MIN_PASSWORD_LEN} characters"),
        ));
    }
    if n > MAX_PASSWORD_LEN {
        return Err(DomainError::invalid(
            ErrorCode::TooLong,
            field,
            format!("a password has at most {MAX_PASSWORD_LEN} characters"),
        ));
    }
    Ok(())
}

/// How many failed sign-ins lock an account or a client address, and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignInLimits {
    /// Failures of one username within the window that lock it.
    pub per_account: usize,
    /// Failures from one client address within the window that lock it (any usernames).
    pub per_client: usize,
    /// How far back failures count.
    pub window: Duration,
    /// The first lock's length; each further failure doubles it, up to the window.
    pub first_delay: Duration,
}

impl Default for SignInLimits {
    fn default() -> Self {
        SignInLimits {
            per_account: 5,
            per_client: 30,
            window: Duration::minutes(15),
            first_delay: Duration::minutes(1),
        }
    }
}

/// Until when failures lock their account or address: `None` while fewer than `limit` fall in
/// the window. The `limit`-th failure locks for `first_delay`, each one after it for twice as
/// long as the one before, never longer than the window. `failures` are the failure times
/// within the window, in any order.
pub fn locked_until(
    failures: &[DateTime<Utc>],
    limit: usize,
    limits: &SignInLimits,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if limit == 0 || failures.len() < limit {
        return None;
    }
    let last = *failures.iter().max()?;
    let doublings = (failures.len() - limit).min(20) as u32;
    let delay = (limits.first_delay * 2i32.pow(doublings.min(30))).min(limits.window);
    let until = last + delay;
    (until > now).then_some(until)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    #[test]
    fn a_bureau_officer_grants_the_roles_of_a_region_only() {
        assert!(may_grant(Role::Admin, Role::Admin));
        assert!(may_grant(Role::BureauOfficer, Role::HospitalBuyer));
        assert!(may_grant(Role::BureauOfficer, Role::FundOfficer));
        assert!(!may_grant(Role::BureauOfficer, Role::Admin));
        assert!(!may_grant(Role::BureauOfficer, Role::Supplier));
        assert!(!may_grant(Role::HospitalBuyer, Role::HospitalBuyer));
        assert!(!may_grant(Role::FundOfficer, Role::FundOfficer));
    }

    #[test]
    fn passwords_and_usernames_are_checked() {
        assert!(check_password("1234567", "password").is_err());
        assert!(check_password("12345678", "password").is_ok());
        assert!(check_password(&"x".repeat(129), "password").is_err());
        assert_eq!(check_username("  hospital.9 ").unwrap(), "hospital.9");
        assert!(check_username("医院").is_err());
        assert!(check_username("ab").is_err());
    }

    #[test]
    fn the_fifth_failure_locks_for_a_minute_and_each_further_one_doubles_it_up_to_the_window() {
        let limits = SignInLimits::default();
        let four: Vec<_> = (0..4).map(at).collect();
        assert_eq!(locked_until(&four, 5, &limits, at(4)), None);
        let five: Vec<_> = (0..5).map(at).collect();
        assert_eq!(locked_until(&five, 5, &limits, at(5)), Some(at(4 + 60)));
        // The lock ends: the next attempt may try again.
        assert_eq!(locked_until(&five, 5, &limits, at(4 + 60)), None);
        let six: Vec<_> = (0..5).map(at).chain([at(100)]).collect();
        assert_eq!(locked_until(&six, 5, &limits, at(100)), Some(at(100 + 120)));
        let many: Vec<_> = (0..40).map(at).collect();
        assert_eq!(locked_until(&many, 5, &limits, at(40)), Some(at(39 + 15 * 60)));
        assert_eq!(locked_until(&many, 0, &limits, at(40)), None);
    }
}
