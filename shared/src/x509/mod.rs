//! X.509 as the service meets it: PEM in and out, and the one place where certificates are
//! validated. Issuing certificates is the local world's business (`esign-world`), never
//! production's.
//!
//! - [`validate_path`] / [`validate_supplied_chain`]: a path from an end entity to a trust
//!   anchor, valid at a *given* time (the signing time, a timestamp's genTime, now when
//!   collecting), for a [`Purpose`] the caller picks;
//! - signatures ([`SignatureScheme`], [`verify_with_certificate`]): RSA PKCS#1 v1.5 and PSS,
//!   ECDSA P-256/P-384 with SHA-256/384/512;
//! - the one OCSP response verifier ([`verify_ocsp_response`], [`examine_ocsp_response`]);
//! - the one TSTInfo parser ([`parse_tst_info`]).
//!
//! Its users: the PAdES verifier (`pdf::verify`, behind `esign verify` and the e-archive
//! validation report), the BankID evidence verifier, the revocation collector, and the seal
//! certificate checks when a tenant's chain is installed.
//!
//! Paths are built and checked by **rustls-webpki** (with ring, the service's one crypto
//! provider), the verifier rustls itself uses: maintained, fuzzed, and already in the tree.
//! It checks, for every certificate of a path: the signature (with the algorithms of
//! [`signature`]), validity at the given time, basicConstraints (an issuer must be a CA, an end
//! entity must not be; pathLenConstraint), name constraints, unknown critical extensions, and
//! an extended key usage that, when present, must admit the purpose. What webpki does not
//! check, this module does by hand (each with a test):
//! - keyUsage keyCertSign of every issuer (webpki ignores keyUsage: "BasicConstraints.cA makes
//!   KeyUsage redundant", `verify_cert.rs`);
//! - the trust anchor itself: webpki reduces it to a name and a key, so its validity at the
//!   given time, that it is a CA allowed to sign certificates, and its pathLenConstraint are
//!   checked here (a chain installed without its root is anchored at its last certificate);
//! - the end entity's keyUsage (digitalSignature or nonRepudiation to sign) and that it *has*
//!   the extended key usage a purpose requires (id-kp-timeStamping, id-kp-OCSPSigning): webpki
//!   only refuses a present extension without it;
//! - ECDSA with SHA-512, which ring lacks (RustCrypto's p256/p384 verify it);
//! - a chain whose first certificate is a CA (collecting revocation data for a CA): webpki
//!   validates end entities only, so such a chain is checked link by link with the same rules.
//!
//! x509-verify (RustCrypto) was the other candidate: it verifies one signature and builds no
//! path, so every rule above would have stayed hand-made.

mod error;
mod facts;
mod ocsp;
mod path;
mod pem;
pub mod signature;
mod tst_info;

#[cfg(test)]
mod bad_chain_tests;
#[cfg(test)]
mod ocsp_tests;
#[cfg(test)]
mod path_tests;
#[cfg(test)]
mod signature_tests;

pub use error::X509Error;
pub use facts::{
    check_end_entity, earliest_not_after, has_time_stamping_eku, is_ca, may_sign_certificates,
    may_sign_data, not_after, subject_of, valid_at, Purpose,
};
pub use ocsp::{
    cert_id, cert_id_issued_by, examine_ocsp_response, public_key_sha1, signed_part,
    verify_ocsp_response, CertIdHash, CheckedOcsp, NonceCheck, OcspAnswer, OcspError, OcspFindings,
    OcspQuery,
};
pub use path::{validate_path, validate_supplied_chain, ValidPath};
pub use pem::{parse_cert, pem_decode_certs, pem_encode_cert, CertError};
pub use signature::{
    ecdsa_fixed_to_der, is_issued_by, verify_with_certificate, verify_with_spki_der, Hash,
    SignatureScheme,
};
pub use tst_info::{parse_generalized_time, parse_tst_info, TstInfo};
