//! API keys: what a system calling the service may do. A key carries scopes (an e-service
//! that creates orders and reads their status need not add staff), may expire, can be revoked,
//! and says when it was last used. The secret itself is never kept: the repository finds a key
//! by the SHA-256 of the secret.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::TenantId;

/// What a key may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Scope {
    /// Upload documents, create orders, and act on them (recall, resend, retry).
    #[serde(rename = "orders:write")]
    OrdersWrite,
    /// Read orders and their status.
    #[serde(rename = "orders:read")]
    OrdersRead,
    /// Download documents and the files the pipeline made (archive and publication versions,
    /// notices, packages).
    #[serde(rename = "files:read")]
    FilesRead,
    /// Everything, and the tenant's own settings: staff and API keys.
    #[serde(rename = "admin")]
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 4] = [
        Scope::OrdersWrite,
        Scope::OrdersRead,
        Scope::FilesRead,
        Scope::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::OrdersWrite => "orders:write",
            Scope::OrdersRead => "orders:read",
            Scope::FilesRead => "files:read",
            Scope::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == s)
    }
}

/// How often the last-used time is written: often enough to tell a key in use from a
/// forgotten one, seldom enough not to write on every call.
pub const LAST_USED_EVERY: Duration = Duration::hours(1);

/// The longest name a key may have.
pub const MAX_NAME_CHARS: usize = 100;

/// A key as kept: everything but the secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    /// Shown in lists and used to revoke it: `key_` and 16 hex digits.
    pub id: String,
    pub tenant: TenantId,
    /// What the admin calls it: "Ekonomiskt bistånd, e-tjänst".
    pub name: String,
    pub scopes: BTreeSet<Scope>,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub revoked_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_used_at: Option<DateTime<Utc>>,
}

/// Why a key does not let its caller in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyRefused {
    Revoked,
    Expired,
}

impl ApiKey {
    /// Whether the key lets its caller in at `now`.
    pub fn check(&self, now: DateTime<Utc>) -> Result<(), KeyRefused> {
        if self.revoked_at.is_some_and(|at| at <= now) {
            return Err(KeyRefused::Revoked);
        }
        if self.expires_at.is_some_and(|at| at <= now) {
            return Err(KeyRefused::Expired);
        }
        Ok(())
    }

    /// Whether the key may do what `scope` covers (admin covers everything).
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope) || self.scopes.contains(&Scope::Admin)
    }

    /// Whether a use at `now` should be written down (see [`LAST_USED_EVERY`]).
    pub fn use_worth_recording(&self, now: DateTime<Utc>) -> bool {
        self.last_used_at
            .is_none_or(|last| now - last >= LAST_USED_EVERY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(scopes: &[Scope]) -> ApiKey {
        ApiKey {
            id: "key_0123456789abcdef".into(),
            tenant: TenantId::parse("kommun").unwrap(),
            name: "e-tjänst".into(),
            scopes: scopes.iter().copied().collect(),
            created_at: DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
            expires_at: None,
            revoked_at: None,
            last_used_at: None,
        }
    }

    #[test]
    fn scopes_allow_what_they_name_and_admin_allows_all() {
        let service = key(&[Scope::OrdersWrite, Scope::OrdersRead]);
        assert!(service.allows(Scope::OrdersWrite) && service.allows(Scope::OrdersRead));
        assert!(!service.allows(Scope::FilesRead) && !service.allows(Scope::Admin));
        let admin = key(&[Scope::Admin]);
        assert!(Scope::ALL.iter().all(|s| admin.allows(*s)));
        for s in Scope::ALL {
            assert_eq!(Scope::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert_eq!(Scope::parse("orders"), None);
    }

    #[test]
    fn a_revoked_or_expired_key_is_refused_from_its_moment_on() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let mut k = key(&[Scope::OrdersRead]);
        assert_eq!(k.check(now), Ok(()));
        k.expires_at = Some(now + Duration::days(1));
        assert_eq!(k.check(now), Ok(()));
        assert_eq!(k.check(now + Duration::days(1)), Err(KeyRefused::Expired));
        k.revoked_at = Some(now);
        assert_eq!(k.check(now), Err(KeyRefused::Revoked));
    }

    #[test]
    fn use_is_written_at_most_once_an_hour() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let mut k = key(&[Scope::OrdersRead]);
        assert!(k.use_worth_recording(now));
        k.last_used_at = Some(now);
        assert!(!k.use_worth_recording(now + Duration::minutes(59)));
        assert!(k.use_worth_recording(now + Duration::minutes(60)));
    }
}
