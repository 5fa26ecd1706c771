//! API keys of a tenant: made with a name and scopes (and an expiry if wanted), listed,
//! revoked; and who a key's caller is. Part of [`Tenants`]. The secret is shown once, when the
//! key is made; only its SHA-256 is kept.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use rand_core::RngCore;

use super::{AppError, Staff, Tenants};
use crate::app::validate::text_field;
use crate::domain::api_key::{ApiKey, KeyRefused, Scope, MAX_NAME_CHARS};
use crate::domain::{StaffRole, TenantId};
use crate::repo::{sha256_hex, RepoError};

/// What a new key is to be.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    pub name: String,
    pub scopes: Vec<Scope>,
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

impl Tenants {
    /// An admin key for the tenant (at its creation, and from the command line); the secret.
    pub async fn issue_api_key(&self, t: &TenantId) -> Result<String, AppError> {
        self.record(t).await?;
        let new = NewApiKey {
            name: "Administratör".into(),
            scopes: vec![Scope::Admin],
            expires_at: None,
        };
        Ok(self.make_key(t, new).await?.1)
    }

    /// A new key of the caller's tenant (admins only): the key as kept, and its secret.
    pub async fn create_api_key(
        &self,
        staff: &Staff,
        new: NewApiKey,
    ) -> Result<(ApiKey, String), AppError> {
        staff.may(Scope::Admin)?;
        self.make_key(&staff.tenant, new).await
    }

    async fn make_key(&self, t: &TenantId, new: NewApiKey) -> Result<(ApiKey, String), AppError> {
        let now = self.clock.now();
        let name = text_field("name", &new.name, MAX_NAME_CHARS)?;
        let scopes: BTreeSet<Scope> = new.scopes.into_iter().collect();
        if scopes.is_empty() {
            return Err(AppError::bad_request(
                "api_key.no_scopes",
                "Ange vad nyckeln får göra (minst en behörighet).",
                "Say what the key may do (at least one scope).",
            ));
        }
        if new.expires_at.is_some_and(|at| at <= now) {
            return Err(AppError::bad_request(
                "api_key.expiry_in_past",
                "Nyckelns sista giltighetstid har redan passerat.",
                "The key's expiry is in the past.",
            ));
        }
        let mut id = [0u8; 8];
        let mut secret = [0u8; 32];
        rand_core::OsRng.fill_bytes(&mut id);
        rand_core::OsRng.fill_bytes(&mut secret);
        let key = ApiKey {
            id: format!("key_{}", hex::encode(id)),
            tenant: t.clone(),
            name,
            scopes,
            created_at: now,
            expires_at: new.expires_at,
            revoked_at: None,
            last_used_at: None,
        };
        let secret = format!("esk_{}_{}", t, hex::encode(secret));
        self.api_keys
            .insert(&sha256_hex(secret.as_bytes()), &key)
            .await?;
        Ok((key, secret))
    }

    /// The caller's tenant's keys, newest first (admins only).
    pub async fn list_api_keys(&self, staff: &Staff) -> Result<Vec<ApiKey>, AppError> {
        staff.may(Scope::Admin)?;
        let mut keys: Vec<ApiKey> = self
            .api_keys
            .list(&staff.tenant)
            .await?
            .into_iter()
            .map(|(_, stored)| stored.key.value)
            .collect();
        keys.sort_by_key(|k| std::cmp::Reverse(k.created_at));
        Ok(keys)
    }

    /// Revoke one of the caller's tenant's keys (admins only): it lets nobody in from now on.
    /// Revoking a revoked key changes nothing.
    pub async fn revoke_api_key(&self, staff: &Staff, id: &str) -> Result<ApiKey, AppError> {
        staff.may(Scope::Admin)?;
        let hash = self
            .api_keys
            .hash_of(&staff.tenant, id)
            .await?
            .ok_or(AppError::NotFound { what: "api_key" })?;
        loop {
            let mut stored = self
                .api_keys
                .find(&hash)
                .await?
                .ok_or(AppError::NotFound { what: "api_key" })?;
            if stored.key.value.revoked_at.is_some() {
                return Ok(stored.key.value);
            }
            stored.key.value.revoked_at = Some(self.clock.now());
            match self.api_keys.update(&hash, &stored).await {
                Ok(()) => return Ok(stored.key.value),
                // Used at the same moment (its last-use time written): read it again.
                Err(RepoError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Who calls with this key: its tenant, with its scopes. A revoked or expired key is
    /// refused with its own code; an unknown one as not logged in.
    pub async fn authenticate_api_key(&self, key: &str) -> Result<Staff, AppError> {
        if key.len() > 200 {
            return Err(AppError::Unauthenticated);
        }
        let hash = sha256_hex(key.as_bytes());
        let mut stored = self
            .api_keys
            .find(&hash)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let now = self.clock.now();
        stored.key.value.check(now).map_err(|why| match why {
            KeyRefused::Revoked => AppError::KeyRefused {
                code: "auth.key_revoked",
            },
            KeyRefused::Expired => AppError::KeyRefused {
                code: "auth.key_expired",
            },
        })?;
        let key = stored.key.value.clone();
        if stored.legacy || key.use_worth_recording(now) {
            stored.key.value.last_used_at = Some(now);
            // Losing this write to a concurrent one loses nothing worth a failed call.
            if let Err(e) = self.api_keys.update(&hash, &stored).await {
                tracing::debug!(error = %e, "API key use not recorded");
            }
        }
        Ok(Staff {
            tenant: key.tenant.clone(),
            role: if key.allows(Scope::Admin) {
                StaffRole::Admin
            } else {
                StaffRole::Secretary
            },
            scopes: Some(key.scopes),
        })
    }
}

#[cfg(all(test, feature = "embedded"))]
#[path = "api_keys_tests.rs"]
mod tests;
