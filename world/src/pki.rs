//! A small local PKI (local mode and tests, never a Lambda): a root CA, sub-CAs, seal (e-sigill) certificates for tenant keys and
//! end-user certificates for the BankID simulator. ECDSA P-256 throughout.
//!
//! Names are encoded as UTF8String (so åäö survive), except countryName and serialNumber, which
//! RFC 5280 / X.520 require to be PrintableString.

use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use der::{Decode, Encode, Tag};
use p256::ecdsa::{DerSignature, SigningKey};
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use rand_core::{OsRng, RngCore};
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AccessDescription, AuthorityInfoAccessSyntax, CrlDistributionPoints, ExtendedKeyUsage,
};
use x509_cert::name::{Name, RdnSequence};
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::{Time, Validity};
use x509_cert::Certificate;

pub use crafted::SubCaOptions;
pub use esign_shared::x509::{pem_decode_certs, pem_encode_cert};

mod crafted;
mod names;

use names::{ca_name, printable_rdn, utf8_rdn, ORGANIZATION_IDENTIFIER};

const ROOT_VALIDITY_YEARS: u64 = 20;
const SUB_CA_VALIDITY_YEARS: u64 = 10;
const LEAF_VALIDITY_YEARS: u64 = 3;
/// Back-date notBefore a little so that a clock slightly behind ours still accepts new certs.
const NOT_BEFORE_SKEW: Duration = Duration::from_secs(300);

#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("invalid name: {0}")]
    InvalidName(String),
    #[error("invalid public key: {0}")]
    InvalidPublicKey(String),
    #[error("invalid private key: {0}")]
    InvalidPrivateKey(String),
    #[error("invalid certificate: {0}")]
    InvalidCertificate(String),
    #[error("the private key does not belong to the certificate")]
    KeyMismatch,
    #[error("invalid PEM: {0}")]
    InvalidPem(String),
    #[error("certificate building failed: {0}")]
    Build(String),
    #[error("invalid URL for revocation data: {0}")]
    InvalidUrl(String),
}

impl esign_shared::error::ErrorText for PkiError {
    fn code(&self) -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::from({
            match self {
                PkiError::InvalidName(_) => "pki.invalid_name",
                PkiError::InvalidPublicKey(_) => "pki.invalid_public_key",
                PkiError::InvalidPrivateKey(_) => "pki.invalid_private_key",
                PkiError::InvalidCertificate(_) => "pki.invalid_certificate",
                PkiError::KeyMismatch => "pki.key_mismatch",
                PkiError::InvalidPem(_) => "pki.invalid_pem",
                PkiError::Build(_) => "pki.build_failed",
                PkiError::InvalidUrl(_) => "pki.invalid_url",
            }
        })
    }

    fn message_sv(&self) -> String {
        match self {
            PkiError::InvalidName(d) => format!("Ogiltigt namn i certifikatet: {d}"),
            PkiError::InvalidPublicKey(d) => format!("Ogiltig publik nyckel: {d}"),
            PkiError::InvalidPrivateKey(d) => format!("Ogiltig privat nyckel: {d}"),
            PkiError::InvalidCertificate(d) => format!("Ogiltigt certifikat: {d}"),
            PkiError::KeyMismatch => "Den privata nyckeln hör inte till certifikatet.".into(),
            PkiError::InvalidPem(d) => format!("Ogiltig PEM-fil: {d}"),
            PkiError::Build(d) => format!("Certifikatet kunde inte skapas: {d}"),
            PkiError::InvalidUrl(d) => format!("Ogiltig adress för spärrinformation: {d}"),
        }
    }

    fn message_en(&self) -> String {
        self.to_string()
    }
}

/// A certificate we issued; the private key only when we generated it.
#[derive(Debug, Clone)]
pub struct IssuedCert {
    pub cert_der: Vec<u8>,
    pub key_pkcs8_der: Option<Vec<u8>>,
}

/// Subject of a seal (organisation) certificate.
#[derive(Debug, Clone)]
pub struct SubjectName {
    pub common_name: String,
    pub organization: String,
    /// e.g. "NTRSE-2120001234" (ETSI EN 319 412-1 semantics identifier form).
    pub organization_identifier: Option<String>,
    /// Two-letter ISO 3166 code, e.g. "SE".
    pub country: String,
}

impl SubjectName {
    /// C, O, organizationIdentifier (when there is one), CN: the subject of every leaf an
    /// organisation holds (seal, TSA, OCSP responder).
    fn to_name(&self) -> Result<Name, PkiError> {
        let mut rdns = vec![printable_rdn(const_oid::db::rfc4519::C, &self.country)?];
        rdns.push(utf8_rdn(const_oid::db::rfc4519::O, &self.organization)?);
        if let Some(org_id) = &self.organization_identifier {
            rdns.push(utf8_rdn(ORGANIZATION_IDENTIFIER, org_id)?);
        }
        rdns.push(utf8_rdn(const_oid::db::rfc4519::CN, &self.common_name)?);
        Ok(Name::from(RdnSequence(rdns)))
    }
}

/// Subject of a person (end-user) certificate.
#[derive(Debug, Clone)]
pub struct PersonName {
    pub given_name: String,
    pub surname: String,
    /// 12-digit personnummer (YYYYMMDDNNNN).
    pub personal_number: String,
}

/// Where relying parties find status and issuer of the certificates a CA issues: written into
/// each certificate as Authority Information Access (id-ad-ocsp, id-ad-caIssuers) and CRL
/// Distribution Points, so validators (pyHanko, openssl, the seal's collector) can fetch
/// OCSP responses and CRLs for PAdES B-LT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationUrls {
    pub ocsp: String,
    /// The issuing CA's certificate (DER).
    pub ca_issuers: String,
    pub crl: String,
}

impl RevocationUrls {
    /// The layout of [`crate::revocation::router`] mounted at `base_url` (e.g.
    /// `http://127.0.0.1:8080/pki`): `{base}/ocsp`, `{base}/ca/{ca_name}.cer`,
    /// `{base}/crl/{ca_name}.crl`. `ca_name` is the name the CA is registered under there.
    pub fn under(base_url: &str, ca_name: &str) -> Result<Self, PkiError> {
        let base = base_url.trim_end_matches('/');
        let scheme_ok = base.starts_with("http://") || base.starts_with("https://");
        if !scheme_ok || !base.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(PkiError::InvalidUrl(format!(
                "{base_url:?} is not an http(s) URL without spaces"
            )));
        }
        if ca_name.is_empty()
            || !ca_name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(PkiError::InvalidUrl(format!(
                "CA name {ca_name:?} must be letters, digits, '-' or '_'"
            )));
        }
        Ok(Self {
            ocsp: format!("{base}/ocsp"),
            ca_issuers: format!("{base}/ca/{ca_name}.cer"),
            crl: format!("{base}/crl/{ca_name}.crl"),
        })
    }

    fn uri(url: &str) -> Result<GeneralName, PkiError> {
        der::asn1::Ia5String::new(url)
            .map(GeneralName::UniformResourceIdentifier)
            .map_err(|e| PkiError::InvalidUrl(format!("{url:?}: {e}")))
    }

    fn authority_info_access(&self) -> Result<AuthorityInfoAccessSyntax, PkiError> {
        Ok(AuthorityInfoAccessSyntax(vec![
            AccessDescription {
                access_method: const_oid::db::rfc5280::ID_AD_OCSP,
                access_location: Self::uri(&self.ocsp)?,
            },
            AccessDescription {
                access_method: const_oid::db::rfc5280::ID_AD_CA_ISSUERS,
                access_location: Self::uri(&self.ca_issuers)?,
            },
        ]))
    }

    fn crl_distribution_points(&self) -> Result<CrlDistributionPoints, PkiError> {
        Ok(CrlDistributionPoints(vec![DistributionPoint {
            distribution_point: Some(DistributionPointName::FullName(vec![Self::uri(&self.crl)?])),
            reasons: None,
            crl_issuer: None,
        }]))
    }
}

#[derive(Clone)]
pub struct CertificateAuthority {
    pub cert_der: Vec<u8>,
    key: SigningKey,
    /// Written into every certificate this CA issues; `None` for CAs made before revocation
    /// data existed (their certificates simply lack the extensions).
    revocation_urls: Option<RevocationUrls>,
}

impl std::fmt::Debug for CertificateAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.debug_struct("CertificateAuthority")
            .field("cert_der_len", &self.cert_der.len())
            .finish_non_exhaustive()
    }
}

impl CertificateAuthority {
    pub fn create_root(
        common_name: &str,
        organization: &str,
        now: DateTime<Utc>,
    ) -> Result<Self, PkiError> {
        let key = SigningKey::random(&mut OsRng);
        let subject = ca_name(common_name, organization)?;
        let spki = spki_of_key(&key)?;
        let builder = CertificateBuilder::new(
            Profile::Root,
            random_serial()?,
            validity(now, ROOT_VALIDITY_YEARS)?,
            subject,
            spki,
            &key,
        )
        .map_err(|e| PkiError::Build(e.to_string()))?;
        let cert = build(builder)?;
        Ok(Self {
            cert_der: cert,
            key,
            revocation_urls: None,
        })
    }

    pub fn from_parts(cert_der: Vec<u8>, key_pkcs8_der: &[u8]) -> Result<Self, PkiError> {
        let key = SigningKey::from_pkcs8_der(key_pkcs8_der)
            .map_err(|e| PkiError::InvalidPrivateKey(e.to_string()))?;
        let cert = Certificate::from_der(&cert_der)
            .map_err(|e| PkiError::InvalidCertificate(e.to_string()))?;
        let cert_spki = cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|e| PkiError::InvalidCertificate(e.to_string()))?;
        let key_spki = key
            .verifying_key()
            .to_public_key_der()
            .map_err(|e| PkiError::InvalidPrivateKey(e.to_string()))?;
        if cert_spki != key_spki.as_bytes() {
            return Err(PkiError::KeyMismatch);
        }
        Ok(Self {
            cert_der,
            key,
            revocation_urls: None,
        })
    }

    /// Certificates issued from now on carry AIA and CRL Distribution Points with `urls`.
    pub fn with_revocation_urls(mut self, urls: RevocationUrls) -> Self {
        self.revocation_urls = Some(urls);
        self
    }

    pub fn revocation_urls(&self) -> Option<&RevocationUrls> {
        self.revocation_urls.as_ref()
    }

    /// For CRL and OCSP signing (crate::revocation); never leaves the crate.
    pub(crate) fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    /// The CA certificate, parsed.
    pub fn certificate(&self) -> Result<Certificate, PkiError> {
        parse_cert(&self.cert_der)
    }

    pub fn key_pkcs8_der(&self) -> Vec<u8> {
        // Encoding a valid in-memory P-256 key cannot fail; fall back to empty just in case.
        self.key
            .to_pkcs8_der()
            .map(|d| d.as_bytes().to_vec())
            .unwrap_or_default()
    }

    pub fn issue_sub_ca(
        &self,
        common_name: &str,
        organization: &str,
        now: DateTime<Utc>,
    ) -> Result<CertificateAuthority, PkiError> {
        let key = SigningKey::random(&mut OsRng);
        let subject = ca_name(common_name, organization)?;
        let spki = spki_of_key(&key)?;
        let mut builder = CertificateBuilder::new(
            Profile::SubCA {
                issuer: self.subject()?,
                path_len_constraint: Some(0),
            },
            random_serial()?,
            validity(now, SUB_CA_VALIDITY_YEARS)?,
            subject,
            spki,
            &self.key,
        )
        .map_err(|e| PkiError::Build(e.to_string()))?;
        self.add_revocation_extensions(&mut builder)?;
        Ok(CertificateAuthority {
            cert_der: build(builder)?,
            key,
            revocation_urls: None,
        })
    }

    /// A seal (e-sigill) certificate for a tenant's public key (SPKI DER),
    /// keyUsage digitalSignature+nonRepudiation.
    pub fn issue_seal_cert(
        &self,
        subject: &SubjectName,
        spki_der: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Vec<u8>, PkiError> {
        self.issue_leaf(subject.to_name()?, spki_der, now, None, false)
    }

    /// A time-stamping authority certificate (critical extendedKeyUsage id-kp-timeStamping),
    /// for the local TSA.
    pub fn issue_tsa_cert(
        &self,
        subject: &SubjectName,
        spki_der: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Vec<u8>, PkiError> {
        self.issue_tsa_cert_for_years(subject, spki_der, now, LEAF_VALIDITY_YEARS)
    }

    /// A TSA certificate valid for `years` from `now` (a real authority's runs a few years; a
    /// short one shows what happens when it ends).
    pub fn issue_tsa_cert_for_years(
        &self,
        subject: &SubjectName,
        spki_der: &[u8],
        now: DateTime<Utc>,
        years: u64,
    ) -> Result<Vec<u8>, PkiError> {
        let eku = ExtendedKeyUsage(vec![const_oid::db::rfc5280::ID_KP_TIME_STAMPING]);
        self.issue_leaf_for(
            subject.to_name()?,
            spki_der,
            validity(now, years)?,
            Some(eku),
            false,
        )
    }

    /// A delegated OCSP responder's certificate: critical EKU id-kp-OCSPSigning and
    /// id-pkix-ocsp-nocheck (RFC 6960 4.2.2.2.1), so validators need no status for it.
    pub fn issue_ocsp_responder_cert(
        &self,
        subject: &SubjectName,
        spki_der: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Vec<u8>, PkiError> {
        let eku = ExtendedKeyUsage(vec![const_oid::db::rfc5280::ID_KP_OCSP_SIGNING]);
        self.issue_leaf(subject.to_name()?, spki_der, now, Some(eku), true)
    }

    /// An end-user certificate (used by the BankID simulator): subject CN "Given Surname",
    /// serialNumber attribute = 12-digit personnummer, givenName, surname.
    pub fn issue_person_cert(
        &self,
        person: &PersonName,
        spki_der: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Vec<u8>, PkiError> {
        if person.personal_number.len() != 12
            || !person.personal_number.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(PkiError::InvalidName(
                "personal number must be 12 digits".into(),
            ));
        }
        let common_name = format!("{} {}", person.given_name, person.surname);
        let rdns = vec![
            printable_rdn(const_oid::db::rfc4519::C, "SE")?,
            utf8_rdn(const_oid::db::rfc4519::SN, &person.surname)?,
            utf8_rdn(const_oid::db::rfc4519::GIVEN_NAME, &person.given_name)?,
            printable_rdn(
                const_oid::db::rfc4519::SERIAL_NUMBER,
                &person.personal_number,
            )?,
            utf8_rdn(const_oid::db::rfc4519::CN, &common_name)?,
        ];
        self.issue_leaf(Name::from(RdnSequence(rdns)), spki_der, now, None, false)
    }

    fn issue_leaf(
        &self,
        subject: Name,
        spki_der: &[u8],
        now: DateTime<Utc>,
        extended_key_usage: Option<ExtendedKeyUsage>,
        ocsp_nocheck: bool,
    ) -> Result<Vec<u8>, PkiError> {
        let validity = validity(now, LEAF_VALIDITY_YEARS)?;
        self.issue_leaf_for(
            subject,
            spki_der,
            validity,
            extended_key_usage,
            ocsp_nocheck,
        )
    }

    fn issue_leaf_for(
        &self,
        subject: Name,
        spki_der: &[u8],
        validity: Validity,
        extended_key_usage: Option<ExtendedKeyUsage>,
        ocsp_nocheck: bool,
    ) -> Result<Vec<u8>, PkiError> {
        let spki = SubjectPublicKeyInfoOwned::from_der(spki_der)
            .map_err(|e| PkiError::InvalidPublicKey(e.to_string()))?;
        let mut builder = CertificateBuilder::new(
            Profile::Leaf {
                issuer: self.subject()?,
                enable_key_agreement: false,
                enable_key_encipherment: false,
            },
            random_serial()?,
            validity,
            subject,
            spki,
            &self.key,
        )
        .map_err(|e| PkiError::Build(e.to_string()))?;
        if let Some(eku) = extended_key_usage {
            // Critical: no anyExtendedKeyUsage in it (RFC 3161 2.3 requires critical).
            builder
                .add_extension(&eku)
                .map_err(|e| PkiError::Build(e.to_string()))?;
        }
        if ocsp_nocheck {
            builder
                .add_extension(&OcspNoCheck)
                .map_err(|e| PkiError::Build(e.to_string()))?;
        } else {
            // A responder marked no-check carries no revocation pointers of its own.
            self.add_revocation_extensions(&mut builder)?;
        }
        build(builder)
    }

    fn add_revocation_extensions(
        &self,
        builder: &mut CertificateBuilder<'_, SigningKey>,
    ) -> Result<(), PkiError> {
        if let Some(urls) = &self.revocation_urls {
            builder
                .add_extension(&urls.authority_info_access()?)
                .map_err(|e| PkiError::Build(e.to_string()))?;
            builder
                .add_extension(&urls.crl_distribution_points()?)
                .map_err(|e| PkiError::Build(e.to_string()))?;
        }
        Ok(())
    }

    /// Issue a leaf for a freshly generated P-256 key (handy for tests and local mode).
    pub fn issue_seal_cert_with_new_key(
        &self,
        subject: &SubjectName,
        now: DateTime<Utc>,
    ) -> Result<IssuedCert, PkiError> {
        Self::issue_for_new_key(|spki| self.issue_seal_cert(subject, spki, now))
    }

    /// A TSA certificate for a freshly generated P-256 key (local mode's timestamp authority).
    pub fn issue_tsa_cert_with_new_key(
        &self,
        subject: &SubjectName,
        now: DateTime<Utc>,
    ) -> Result<IssuedCert, PkiError> {
        Self::issue_for_new_key(|spki| self.issue_tsa_cert(subject, spki, now))
    }

    /// A fresh P-256 key, `issue` run on its public key (DER SPKI), and both returned: for
    /// any kind of certificate this CA issues.
    pub fn issue_for_new_key(
        issue: impl FnOnce(&[u8]) -> Result<Vec<u8>, PkiError>,
    ) -> Result<IssuedCert, PkiError> {
        let key = SigningKey::random(&mut OsRng);
        let spki = key
            .verifying_key()
            .to_public_key_der()
            .map_err(|e| PkiError::Build(e.to_string()))?;
        let cert_der = issue(spki.as_bytes())?;
        let key_der = key
            .to_pkcs8_der()
            .map_err(|e| PkiError::Build(e.to_string()))?;
        Ok(IssuedCert {
            cert_der,
            key_pkcs8_der: Some(key_der.as_bytes().to_vec()),
        })
    }

    fn subject(&self) -> Result<Name, PkiError> {
        let cert = Certificate::from_der(&self.cert_der)
            .map_err(|e| PkiError::InvalidCertificate(e.to_string()))?;
        Ok(cert.tbs_certificate.subject)
    }
}

/// id-pkix-ocsp-nocheck: an extension whose value is NULL.
struct OcspNoCheck;

impl const_oid::AssociatedOid for OcspNoCheck {
    const OID: der::asn1::ObjectIdentifier =
        der::asn1::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.5");
}

impl der::FixedTag for OcspNoCheck {
    const TAG: Tag = Tag::Null;
}

impl der::EncodeValue for OcspNoCheck {
    fn value_len(&self) -> der::Result<der::Length> {
        Ok(der::Length::ZERO)
    }
    fn encode_value(&self, _writer: &mut impl der::Writer) -> der::Result<()> {
        Ok(())
    }
}

impl x509_cert::ext::AsExtension for OcspNoCheck {
    fn critical(&self, _subject: &Name, _extensions: &[x509_cert::ext::Extension]) -> bool {
        false
    }
}

fn spki_of_key(key: &SigningKey) -> Result<SubjectPublicKeyInfoOwned, PkiError> {
    let der = key
        .verifying_key()
        .to_public_key_der()
        .map_err(|e| PkiError::Build(e.to_string()))?;
    SubjectPublicKeyInfoOwned::from_der(der.as_bytes()).map_err(|e| PkiError::Build(e.to_string()))
}

/// 16 random bytes with the top bit cleared (positive INTEGER) and non-zero first byte.
fn random_serial() -> Result<SerialNumber, PkiError> {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    bytes[0] = (bytes[0] & 0x7f) | 0x01;
    SerialNumber::new(&bytes).map_err(|e| PkiError::Build(e.to_string()))
}

/// An X.509 time as chrono's (whole seconds).
fn from_time(time: &Time) -> DateTime<Utc> {
    i64::try_from(time.to_unix_duration().as_secs())
        .ok()
        .and_then(|s| DateTime::<Utc>::from_timestamp(s, 0))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

fn validity(now: DateTime<Utc>, years: u64) -> Result<Validity, PkiError> {
    let now_secs =
        u64::try_from(now.timestamp()).map_err(|_| PkiError::Build("time before 1970".into()))?;
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(now_secs) - NOT_BEFORE_SKEW;
    // 365.25 days a year so "20 years" lands on the same calendar day give or take one.
    let end = SystemTime::UNIX_EPOCH
        + Duration::from_secs(now_secs + years * 365 * 86_400 + years / 4 * 86_400);
    Ok(Validity {
        not_before: Time::try_from(start).map_err(|e| PkiError::Build(e.to_string()))?,
        not_after: Time::try_from(end).map_err(|e| PkiError::Build(e.to_string()))?,
    })
}

fn build(builder: CertificateBuilder<'_, SigningKey>) -> Result<Vec<u8>, PkiError> {
    let cert = builder
        .build::<DerSignature>()
        .map_err(|e| PkiError::Build(e.to_string()))?;
    cert.to_der().map_err(|e| PkiError::Build(e.to_string()))
}

/// Parse a certificate the CA issued or was given.
pub fn parse_cert(der: &[u8]) -> Result<Certificate, PkiError> {
    Certificate::from_der(der).map_err(|e| PkiError::InvalidCertificate(e.to_string()))
}

#[cfg(test)]
mod tests;
