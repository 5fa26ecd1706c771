//! Mutual TLS towards BankID: the relying-party certificate and key (PEM, also an encrypted
//! PKCS#8 key as BankID ships `FPTestcert5_20240610.pem`, or PKCS#12), and the BankID server
//! root pinned as the *only* trusted root (`tls_built_in_root_certs(false)`).
//!
//! BankID's SSL roots are not embedded: the research digest gives their fingerprints but not
//! their PEM, so the caller supplies the root (test or production) and may have it checked
//! against the fingerprint of [`BankIdEnvironment`].
//!
//! PKCS#12 is read with the pure-Rust `p12-keystore` crate (reqwest's rustls backend has no
//! PKCS#12 support): PBES2 (PBKDF2 + AES, what OpenSSL 3 and BankID's `.p12` use) and the legacy
//! PBES1 3DES / RC2 algorithms of old `.pfx` files.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use der::{Decode, Encode};
use sha2::{Digest, Sha256};
use spki::EncodePublicKey;
use thiserror::Error;

use crate::bankid::client::BankIdClient;

/// Base URL of BankID's production RP API v6.0 (digest §1.1).
pub const PRODUCTION_BASE_URL: &str = "https://appapi2.bankid.com/rp/v6.0/";
/// Base URL of BankID's test RP API v6.0 (digest §1.1).
pub const TEST_BASE_URL: &str = "https://appapi2.test.bankid.com/rp/v6.0/";

/// SHA-256 of "BankID SSL Root CA v1" (production, valid to 2034-12-31). Source: research digest
/// §2.3, identical in ActiveLogin `BankIdApiRootCertificate-Prod.crt`, pybankid and BankID's
/// own sample `truststore.pem`. Only the fingerprint: the caller supplies the certificate.
pub const BANKID_PRODUCTION_SSL_ROOT_SHA256: &str =
    "E6:A2:D4:5C:0A:10:51:C9:59:42:86:49:F8:6A:09:A9:B2:15:2C:D5:51:99:3C:C2:EB:4C:F0:94:BD:AC:BE:CB";
/// SHA-256 of "Test BankID SSL Root CA v1 Test" (test environment). Source as above.
pub const BANKID_TEST_SSL_ROOT_SHA256: &str =
    "F3:D0:74:0E:BF:B3:70:0E:3B:81:AA:79:1F:EE:45:14:72:69:8C:84:E1:99:C2:EB:48:A4:43:FF:1D:5B:40:5C";

/// Which BankID service the client talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BankIdEnvironment {
    Production,
    Test,
}

impl BankIdEnvironment {
    pub fn base_url(self) -> &'static str {
        match self {
            BankIdEnvironment::Production => PRODUCTION_BASE_URL,
            BankIdEnvironment::Test => TEST_BASE_URL,
        }
    }

    /// The SHA-256 fingerprint (colon-separated hex) the pinned SSL root must have.
    pub fn ssl_root_sha256(self) -> &'static str {
        match self {
            BankIdEnvironment::Production => BANKID_PRODUCTION_SSL_ROOT_SHA256,
            BankIdEnvironment::Test => BANKID_TEST_SSL_ROOT_SHA256,
        }
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum TlsError {
    #[error("no relying-party certificate and key were given")]
    MissingIdentity,
    #[error("no BankID server root was given")]
    MissingServerRoot,
    #[error("invalid PEM: {0}")]
    InvalidPem(String),
    #[error("invalid certificate: {0}")]
    InvalidCertificate(String),
    #[error("invalid private key: {0}")]
    InvalidKey(String),
    #[error("the private key is encrypted and no (or a wrong) password was given")]
    WrongPassword,
    #[error("invalid PKCS#12 file: {0}")]
    InvalidPkcs12(String),
    #[error("the private key does not belong to the certificate")]
    KeyMismatch,
    #[error("the server root's SHA-256 fingerprint is {actual}, expected {expected}")]
    RootFingerprintMismatch { expected: String, actual: String },
    #[error("building the HTTP client failed: {0}")]
    Client(String),
}

impl crate::error::ErrorText for TlsError {
    fn code(&self) -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed({
            match self {
                TlsError::MissingIdentity => "bankid_tls.missing_identity",
                TlsError::MissingServerRoot => "bankid_tls.missing_server_root",
                TlsError::InvalidPem(_) => "bankid_tls.invalid_pem",
                TlsError::InvalidCertificate(_) => "bankid_tls.invalid_certificate",
                TlsError::InvalidKey(_) => "bankid_tls.invalid_key",
                TlsError::WrongPassword => "bankid_tls.wrong_password",
                TlsError::InvalidPkcs12(_) => "bankid_tls.invalid_pkcs12",
                TlsError::KeyMismatch => "bankid_tls.key_mismatch",
                TlsError::RootFingerprintMismatch { .. } => "bankid_tls.root_fingerprint_mismatch",
                TlsError::Client(_) => "bankid_tls.client",
            }
        })
    }

    fn message_sv(&self) -> String {
        match self {
            TlsError::MissingIdentity => {
                "BankID-kopplingen saknar certifikat och nyckel för förlitande part.".into()
            }
            TlsError::MissingServerRoot => {
                "BankID-kopplingen saknar BankID:s rotcertifikat.".into()
            }
            TlsError::InvalidPem(d) => format!("Ogiltig PEM-fil för BankID-kopplingen: {d}"),
            TlsError::InvalidCertificate(d) => {
                format!("Ogiltigt certifikat för BankID-kopplingen: {d}")
            }
            TlsError::InvalidKey(d) => format!("Ogiltig privat nyckel för BankID-kopplingen: {d}"),
            TlsError::WrongPassword => {
                "Lösenordet till BankID-kopplingens nyckel saknas eller är fel.".into()
            }
            TlsError::InvalidPkcs12(d) => format!("Ogiltig PKCS#12-fil för BankID-kopplingen: {d}"),
            TlsError::KeyMismatch => {
                "Den privata nyckeln hör inte till BankID-kopplingens certifikat.".into()
            }
            TlsError::RootFingerprintMismatch { .. } => {
                "BankID:s rotcertifikat är inte det väntade: kopplingen vägras.".into()
            }
            TlsError::Client(d) => format!("BankID-kopplingen kunde inte skapas: {d}"),
        }
    }
}

/// The relying-party certificate chain (leaf first) and its private key.
#[derive(Clone)]
pub struct ClientIdentity {
    pub cert_chain_der: Vec<Vec<u8>>,
    /// PKCS#8 DER (unencrypted). Never printed.
    key_pkcs8_der: Vec<u8>,
}

impl std::fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientIdentity")
            .field("certificates", &self.cert_chain_der.len())
            .finish_non_exhaustive()
    }
}

impl ClientIdentity {
    /// From DER certificates (leaf first) and an unencrypted PKCS#8 DER key; checks that the key
    /// belongs to the leaf (P-256 and RSA keys; other key types are passed to rustls unchecked).
    pub fn from_der(
        cert_chain_der: Vec<Vec<u8>>,
        key_pkcs8_der: Vec<u8>,
    ) -> Result<Self, TlsError> {
        let leaf = cert_chain_der.first().ok_or(TlsError::MissingIdentity)?;
        for der in &cert_chain_der {
            x509_cert::Certificate::from_der(der)
                .map_err(|e| TlsError::InvalidCertificate(e.to_string()))?;
        }
        check_key_matches(leaf, &key_pkcs8_der)?;
        Ok(ClientIdentity {
            cert_chain_der,
            key_pkcs8_der,
        })
    }

    /// From PEM: the certificate chain (one or more `CERTIFICATE` blocks, leaf first) and the key
    /// (`PRIVATE KEY`, or `ENCRYPTED PRIVATE KEY` with `password`). Both may be in one text.
    pub fn from_pem(
        cert_chain_pem: &str,
        key_pem: &str,
        password: Option<&str>,
    ) -> Result<Self, TlsError> {
        let certs: Vec<Vec<u8>> = pem_blocks(cert_chain_pem)?
            .into_iter()
            .filter(|(label, _)| label == "CERTIFICATE")
            .map(|(_, der)| der)
            .collect();
        if certs.is_empty() {
            return Err(TlsError::InvalidPem("no CERTIFICATE block".into()));
        }
        let mut key = None;
        for (label, der) in pem_blocks(key_pem)? {
            match label.as_str() {
                "PRIVATE KEY" => key = Some(der),
                "ENCRYPTED PRIVATE KEY" => {
                    let password = password.ok_or(TlsError::WrongPassword)?;
                    key = Some(decrypt_pkcs8(&der, password)?);
                }
                "RSA PRIVATE KEY" | "EC PRIVATE KEY" => {
                    return Err(TlsError::InvalidKey(format!(
                        "{label} is not PKCS#8: convert it with `openssl pkcs8 -topk8 -nocrypt`"
                    )))
                }
                _ => {}
            }
        }
        let key = key.ok_or_else(|| TlsError::InvalidPem("no PRIVATE KEY block".into()))?;
        ClientIdentity::from_der(certs, key)
    }

    /// From a PKCS#12 (`.p12`/`.pfx`) file: the first private key with its certificate chain.
    pub fn from_pkcs12(der: &[u8], password: &str) -> Result<Self, TlsError> {
        // The parser is third-party code on untrusted bytes: a panic becomes an error.
        let parsed =
            std::panic::catch_unwind(|| p12_keystore::KeyStore::from_pkcs12(der, password))
                .map_err(|_| TlsError::InvalidPkcs12("parser failure".into()))?;
        let store = parsed.map_err(|e| {
            let text = e.to_string();
            if text.to_ascii_lowercase().contains("mac") {
                TlsError::WrongPassword
            } else {
                TlsError::InvalidPkcs12(text)
            }
        })?;
        let (_, chain) = store
            .private_key_chain()
            .ok_or_else(|| TlsError::InvalidPkcs12("no private key in the file".into()))?;
        let certs: Vec<Vec<u8>> = chain.chain().iter().map(|c| c.as_der().to_vec()).collect();
        if certs.is_empty() {
            return Err(TlsError::InvalidPkcs12("no certificate for the key".into()));
        }
        ClientIdentity::from_der(certs, chain.key().to_vec())
    }

    /// From the bytes of a credentials file, whichever format it is: PEM (certificate chain and
    /// key in one file, the key possibly encrypted) when it contains a PEM header, else PKCS#12.
    /// For configuration such as `ESIGN_BANKID_CLIENT_CERT` + `ESIGN_BANKID_CLIENT_PASSWORD`.
    pub fn from_file_bytes(bytes: &[u8], password: Option<&str>) -> Result<Self, TlsError> {
        match std::str::from_utf8(bytes) {
            Ok(text) if text.contains("-----BEGIN ") => {
                ClientIdentity::from_pem(text, text, password)
            }
            _ => ClientIdentity::from_pkcs12(bytes, password.unwrap_or("")),
        }
    }

    /// The key as PEM, for tests that hand it to other tools (curl, openssl).
    #[cfg(any(test, feature = "test-support"))]
    pub fn key_pem_for_tests(&self) -> String {
        pem_encode("PRIVATE KEY", &self.key_pkcs8_der)
    }

    /// PEM text with the chain and the key, as `reqwest::Identity::from_pem` reads it.
    fn to_pem(&self) -> String {
        let mut pem = String::new();
        for der in &self.cert_chain_der {
            pem.push_str(&pem_encode("CERTIFICATE", der));
        }
        pem.push_str(&pem_encode("PRIVATE KEY", &self.key_pkcs8_der));
        pem
    }
}

/// Everything needed to build the `reqwest::Client` for [`BankIdClient`].
#[derive(Debug, Clone)]
pub struct TlsConfig {
    pub identity: ClientIdentity,
    /// DER of the BankID server root(s): the only roots the client trusts.
    pub server_roots_der: Vec<Vec<u8>>,
    pub connect_timeout: Duration,
    /// Whole-request timeout.
    pub timeout: Duration,
}

/// Builder of [`TlsConfig`]; every setter that parses input reports errors at once.
#[derive(Debug, Default)]
pub struct TlsConfigBuilder {
    identity: Option<ClientIdentity>,
    server_roots_der: Vec<Vec<u8>>,
    connect_timeout: Option<Duration>,
    timeout: Option<Duration>,
}

impl TlsConfig {
    pub fn builder() -> TlsConfigBuilder {
        TlsConfigBuilder::default()
    }

    /// The HTTPS client: RP identity, only the pinned roots, HTTPS only, TLS 1.2 or later,
    /// timeouts (digest §2.4: connect ~5 s, total ~10 s by default).
    pub fn http_client(&self) -> Result<reqwest::Client, TlsError> {
        let identity = reqwest::Identity::from_pem(self.identity.to_pem().as_bytes())
            .map_err(|e| TlsError::Client(e.to_string()))?;
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .identity(identity)
            .tls_built_in_root_certs(false)
            .https_only(true)
            .min_tls_version(reqwest::tls::Version::TLS_1_2)
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout);
        for der in &self.server_roots_der {
            let root = reqwest::Certificate::from_der(der)
                .map_err(|e| TlsError::InvalidCertificate(e.to_string()))?;
            builder = builder.add_root_certificate(root);
        }
        builder.build().map_err(|e| TlsError::Client(e.to_string()))
    }

    /// A [`BankIdClient`] for `base_url` over [`TlsConfig::http_client`].
    pub fn bankid_client(&self, base_url: &str) -> Result<BankIdClient, TlsError> {
        Ok(BankIdClient::new(base_url, self.http_client()?))
    }
}

impl TlsConfigBuilder {
    pub fn client_identity(mut self, identity: ClientIdentity) -> Self {
        self.identity = Some(identity);
        self
    }

    /// See [`ClientIdentity::from_pem`].
    pub fn client_identity_pem(
        self,
        cert_chain_pem: &str,
        key_pem: &str,
        password: Option<&str>,
    ) -> Result<Self, TlsError> {
        Ok(self.client_identity(ClientIdentity::from_pem(cert_chain_pem, key_pem, password)?))
    }

    /// See [`ClientIdentity::from_pkcs12`].
    pub fn client_identity_pkcs12(self, der: &[u8], password: &str) -> Result<Self, TlsError> {
        Ok(self.client_identity(ClientIdentity::from_pkcs12(der, password)?))
    }

    /// Adds a trusted server root (DER). Several may be given (e.g. during a root rollover).
    pub fn server_root_der(mut self, der: Vec<u8>) -> Result<Self, TlsError> {
        x509_cert::Certificate::from_der(&der)
            .map_err(|e| TlsError::InvalidCertificate(e.to_string()))?;
        self.server_roots_der.push(der);
        Ok(self)
    }

    /// Adds every `CERTIFICATE` of `pem` as a trusted server root.
    pub fn server_root_pem(mut self, pem: &str) -> Result<Self, TlsError> {
        let mut found = false;
        for (label, der) in pem_blocks(pem)? {
            if label == "CERTIFICATE" {
                self = self.server_root_der(der)?;
                found = true;
            }
        }
        if !found {
            return Err(TlsError::InvalidPem("no CERTIFICATE block".into()));
        }
        Ok(self)
    }

    /// Adds BankID's SSL root for `environment` after checking its SHA-256 fingerprint.
    pub fn bankid_root_pem(
        self,
        environment: BankIdEnvironment,
        pem: &str,
    ) -> Result<Self, TlsError> {
        let blocks = pem_blocks(pem)?;
        let der = blocks
            .into_iter()
            .find(|(label, _)| label == "CERTIFICATE")
            .map(|(_, der)| der)
            .ok_or_else(|| TlsError::InvalidPem("no CERTIFICATE block".into()))?;
        let actual = sha256_fingerprint(&der);
        let expected = environment.ssl_root_sha256();
        if !actual.eq_ignore_ascii_case(expected) {
            return Err(TlsError::RootFingerprintMismatch {
                expected: expected.to_string(),
                actual,
            });
        }
        self.server_root_der(der)
    }

    pub fn timeouts(mut self, connect: Duration, total: Duration) -> Self {
        self.connect_timeout = Some(connect);
        self.timeout = Some(total);
        self
    }

    pub fn build(self) -> Result<TlsConfig, TlsError> {
        let identity = self.identity.ok_or(TlsError::MissingIdentity)?;
        if self.server_roots_der.is_empty() {
            return Err(TlsError::MissingServerRoot);
        }
        Ok(TlsConfig {
            identity,
            server_roots_der: self.server_roots_der,
            connect_timeout: self.connect_timeout.unwrap_or(Duration::from_secs(5)),
            timeout: self.timeout.unwrap_or(Duration::from_secs(10)),
        })
    }
}

/// Colon-separated upper-case hex SHA-256 of a DER certificate (as `openssl x509 -fingerprint`).
pub fn sha256_fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// `(label, DER)` of every PEM block in `text`.
pub(crate) fn pem_blocks(text: &str) -> Result<Vec<(String, Vec<u8>)>, TlsError> {
    let mut blocks = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let line = line.trim();
        let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        else {
            continue;
        };
        let end = format!("-----END {label}-----");
        let mut body = String::new();
        let mut closed = false;
        for inner in lines.by_ref() {
            let inner = inner.trim();
            if inner == end {
                closed = true;
                break;
            }
            // Skip RFC 1421 headers (e.g. Proc-Type) of legacy encrypted keys.
            if inner.contains(':') {
                continue;
            }
            body.push_str(inner);
        }
        if !closed {
            return Err(TlsError::InvalidPem(format!("{label} block is not closed")));
        }
        let der = BASE64
            .decode(body.as_bytes())
            .map_err(|_| TlsError::InvalidPem(format!("{label} block is not base64")))?;
        blocks.push((label.to_string(), der));
    }
    if blocks.is_empty() {
        return Err(TlsError::InvalidPem("no PEM block".into()));
    }
    Ok(blocks)
}

pub fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = BASE64.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn decrypt_pkcs8(der: &[u8], password: &str) -> Result<Vec<u8>, TlsError> {
    let encrypted = pkcs8::EncryptedPrivateKeyInfo::from_der(der)
        .map_err(|e| TlsError::InvalidKey(e.to_string()))?;
    let document = encrypted
        .decrypt(password)
        .map_err(|_| TlsError::WrongPassword)?;
    // A wrong password usually fails the padding check; if it does not, the result is no key.
    pkcs8::PrivateKeyInfo::from_der(document.as_bytes()).map_err(|_| TlsError::WrongPassword)?;
    Ok(document.as_bytes().to_vec())
}

fn check_key_matches(cert_der: &[u8], key_pkcs8_der: &[u8]) -> Result<(), TlsError> {
    use p256::pkcs8::DecodePrivateKey;
    let info = pkcs8::PrivateKeyInfo::from_der(key_pkcs8_der)
        .map_err(|e| TlsError::InvalidKey(e.to_string()))?;
    let cert = x509_cert::Certificate::from_der(cert_der)
        .map_err(|e| TlsError::InvalidCertificate(e.to_string()))?;
    let cert_spki = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| TlsError::InvalidCertificate(e.to_string()))?;
    let key_spki = if let Ok(key) = p256::SecretKey::from_pkcs8_der(key_pkcs8_der) {
        key.public_key()
            .to_public_key_der()
            .map_err(|e| TlsError::InvalidKey(e.to_string()))?
            .as_bytes()
            .to_vec()
    } else if let Ok(key) = rsa::RsaPrivateKey::from_pkcs8_der(key_pkcs8_der) {
        key.to_public_key()
            .to_public_key_der()
            .map_err(|e| TlsError::InvalidKey(e.to_string()))?
            .as_bytes()
            .to_vec()
    } else {
        // Another algorithm (e.g. P-384): rustls decides whether it can use it.
        let _ = info;
        return Ok(());
    };
    if key_spki != cert_spki {
        return Err(TlsError::KeyMismatch);
    }
    Ok(())
}
