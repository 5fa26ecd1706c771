//! The OCSP responder and CRL issuer of the local PKI ([`RevocationService`], served by
//! [`router`]) and the list of revoked serials ([`RevocationRegistry`]). The collector that
//! reads what they answer is production code: `esign_shared::revocation`.

mod crl;
mod in_process;
mod ocsp;
mod registry;
mod router;

#[cfg(test)]
mod openssl_tests;

// What the responder shares with the collector (errors, reasons, identifiers, times).
#[allow(unused_imports)]
use esign_shared::revocation::{
    cert_id, cert_id_issued_by, normalize_serial_hex, ocsp_time, public_key_sha1, serial_hex,
    verify_ocsp_response, x509_time, CertIdHash, OID_ECDSA_SHA256,
};
pub use esign_shared::revocation::{RevocationError, RevocationReason, RevokedSerial};

pub use crl::issue_crl;
pub use ocsp::{MovableClock, RevocationService};
pub use registry::{JsonFileRevocations, MemoryRevocations, RevocationRegistry};
pub use router::router;
