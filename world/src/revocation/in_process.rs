//! The responder as a source of revocation data in the same process: local mode's commands
//! that run without the server (`esign seal`, `esign demo`) take its answers directly.

use chrono::{DateTime, Utc};
use esign_shared::revocation::{LocalResponder, RevocationError};
use x509_cert::Certificate;

use super::RevocationService;

impl LocalResponder for RevocationService {
    fn issuer_of(&self, cert: &Certificate) -> Option<Certificate> {
        RevocationService::issuer_of(self, cert)
    }
    fn ocsp_response(&self, request_der: &[u8]) -> Result<Vec<u8>, RevocationError> {
        RevocationService::ocsp_response(self, request_der)
    }
    fn crl_of(&self, issuer: &Certificate) -> Result<Vec<u8>, RevocationError> {
        RevocationService::crl_of(self, issuer)
    }
    fn now(&self) -> DateTime<Utc> {
        RevocationService::now(self)
    }
}
