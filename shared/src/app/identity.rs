//! Who calls a use case: a member of staff (or a system with an API key) acting for a tenant,
//! or a signer logged in with BankID.

use crate::domain::{Personnummer, StaffRole, TenantId};

/// A caller acting for a tenant: an e-service or admin with the tenant's API key, or a
/// member of staff logged in with BankID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Staff {
    pub tenant: TenantId,
    pub role: StaffRole,
}

/// A person logged in with BankID. The session is bound to their personnummer.
#[derive(Clone, Debug)]
pub struct SignerSession {
    pub personnummer: Personnummer,
    pub name: String,
    pub(crate) session_hash: String,
}
