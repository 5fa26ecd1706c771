//! PEM certificates: seal chains installed by admins, BankID trust anchors, CA files.

use der::Decode;
use x509_cert::Certificate;

#[derive(Debug, thiserror::Error)]
pub enum CertError {
    #[error("invalid certificate: {0}")]
    InvalidCertificate(String),
    #[error("invalid PEM: {0}")]
    InvalidPem(String),
}

impl crate::error::ErrorText for CertError {
    fn code(&self) -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::from({
            match self {
                CertError::InvalidCertificate(_) => "pki.invalid_certificate",
                CertError::InvalidPem(_) => "pki.invalid_pem",
            }
        })
    }

    fn message_sv(&self) -> String {
        match self {
            CertError::InvalidCertificate(d) => format!("Ogiltigt certifikat: {d}"),
            CertError::InvalidPem(d) => format!("Ogiltig PEM-fil: {d}"),
        }
    }

    fn message_en(&self) -> String {
        self.to_string()
    }
}

pub fn pem_encode_cert(der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// All CERTIFICATE blocks of a PEM text, in order; other block types are ignored.
pub fn pem_decode_certs(pem: &str) -> Result<Vec<Vec<u8>>, CertError> {
    use base64::Engine;
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let mut certs = Vec::new();
    let mut rest = pem;
    while let Some(start) = rest.find(BEGIN) {
        let after = &rest[start + BEGIN.len()..];
        let end = after
            .find(END)
            .ok_or_else(|| CertError::InvalidPem("missing END CERTIFICATE".into()))?;
        let body: String = after[..end]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(|e| CertError::InvalidPem(e.to_string()))?;
        Certificate::from_der(&der).map_err(|e| CertError::InvalidCertificate(e.to_string()))?;
        certs.push(der);
        rest = &after[end + END.len()..];
    }
    if certs.is_empty() {
        return Err(CertError::InvalidPem("no CERTIFICATE block".into()));
    }
    Ok(certs)
}

pub fn parse_cert(der: &[u8]) -> Result<Certificate, CertError> {
    Certificate::from_der(der).map_err(|e| CertError::InvalidCertificate(e.to_string()))
}
