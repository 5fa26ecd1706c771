//! X.509 certificates as the service meets them: PEM in and out, parsing with a limit.
//! Issuing certificates is the local world's business (`esign-world`), never production's.

mod pem;

pub use pem::{parse_cert, pem_decode_certs, pem_encode_cert, CertError};
