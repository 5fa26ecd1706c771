//! Who calls a use case: a member of staff (or a system with an API key) acting for a tenant,
//! or a signer logged in with BankID.

use std::collections::BTreeSet;

use super::AppError;
use crate::domain::api_key::Scope;
use crate::domain::{Personnummer, StaffRole, TenantId};

/// A caller acting for a tenant: a system with one of the tenant's API keys, or a member of
/// staff logged in with BankID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Staff {
    pub tenant: TenantId,
    pub role: StaffRole,
    /// What the caller's API key allows; None for a person, who may do what the role allows.
    pub scopes: Option<BTreeSet<Scope>>,
}

impl Staff {
    /// A person of the tenant's staff.
    pub fn person(tenant: TenantId, role: StaffRole) -> Self {
        Self {
            tenant,
            role,
            scopes: None,
        }
    }

    /// Whether the caller may do what `scope` covers: a key by its scopes (admin covers all),
    /// a person by role (a secretary everything but the tenant's settings).
    pub fn may(&self, scope: Scope) -> Result<(), AppError> {
        let allowed = match &self.scopes {
            Some(scopes) => scopes.contains(&scope) || scopes.contains(&Scope::Admin),
            None => self.role == StaffRole::Admin || scope != Scope::Admin,
        };
        if allowed {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// A person logged in with BankID. The session is bound to their personnummer.
#[derive(Clone, Debug)]
pub struct SignerSession {
    pub personnummer: Personnummer,
    pub name: String,
    pub(crate) session_hash: String,
}
