//! A small local PKI (local mode and tests, never a Lambda): a root CA, sub-CAs, seal (e-sigill) certificates for tenant keys and
//! end-user certificates for the BankID simulator. ECDSA P-256 throughout.
//!
//! Names are encoded as UTF8String (so åäö survive), except countryName and serialNumber, which
//! RFC 5280 / X.520 require to be PrintableString.

use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use der::asn1::{Any, SetOfVec};
use der::{Decode, Encode, Tag};
use p256::ecdsa::{DerSignature, SigningKey};
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use rand_core::{OsRng, RngCore};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AccessDescription, AuthorityInfoAccessSyntax, CrlDistributionPoints, ExtendedKeyUsage,
};
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::{Time, Validity};
use x509_cert::Certificate;

pub use esign_shared::x509::{pem_decode_certs, pem_encode_cert};

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

impl PkiError {
    pub fn code(&self) -> &'static str {
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
    }

    pub fn message_sv(&self) -> String {
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

    pub fn message_en(&self) -> String {
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
        let eku = ExtendedKeyUsage(vec![const_oid::db::rfc5280::ID_KP_TIME_STAMPING]);
        self.issue_leaf(subject.to_name()?, spki_der, now, Some(eku), false)
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
        let spki = SubjectPublicKeyInfoOwned::from_der(spki_der)
            .map_err(|e| PkiError::InvalidPublicKey(e.to_string()))?;
        let mut builder = CertificateBuilder::new(
            Profile::Leaf {
                issuer: self.subject()?,
                enable_key_agreement: false,
                enable_key_encipherment: false,
            },
            random_serial()?,
            validity(now, LEAF_VALIDITY_YEARS)?,
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

/// organizationIdentifier (X.520, 2.5.4.97).
const ORGANIZATION_IDENTIFIER: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("2.5.4.97");

fn ca_name(common_name: &str, organization: &str) -> Result<Name, PkiError> {
    Ok(Name::from(RdnSequence(vec![
        printable_rdn(const_oid::db::rfc4519::C, "SE")?,
        utf8_rdn(const_oid::db::rfc4519::O, organization)?,
        utf8_rdn(const_oid::db::rfc4519::CN, common_name)?,
    ])))
}

fn utf8_rdn(
    oid: der::asn1::ObjectIdentifier,
    value: &str,
) -> Result<RelativeDistinguishedName, PkiError> {
    if value.is_empty() || value.len() > 256 {
        return Err(PkiError::InvalidName(format!(
            "{oid}: value must be 1..256 bytes"
        )));
    }
    rdn(oid, Tag::Utf8String, value)
}

fn printable_rdn(
    oid: der::asn1::ObjectIdentifier,
    value: &str,
) -> Result<RelativeDistinguishedName, PkiError> {
    let printable = |c: char| c.is_ascii_alphanumeric() || " '()+,-./:=?".contains(c);
    if value.is_empty() || value.len() > 64 || !value.chars().all(printable) {
        return Err(PkiError::InvalidName(format!(
            "{oid}: {value:?} is not a PrintableString"
        )));
    }
    rdn(oid, Tag::PrintableString, value)
}

fn rdn(
    oid: der::asn1::ObjectIdentifier,
    tag: Tag,
    value: &str,
) -> Result<RelativeDistinguishedName, PkiError> {
    let any = Any::new(tag, value.as_bytes()).map_err(|e| PkiError::InvalidName(e.to_string()))?;
    let atv = AttributeTypeAndValue { oid, value: any };
    let set = SetOfVec::try_from(vec![atv]).map_err(|e| PkiError::InvalidName(e.to_string()))?;
    Ok(RelativeDistinguishedName(set))
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
mod tests {
    use super::*;
    use std::process::Command;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-23T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn openssl() -> String {
        std::env::var("ESIGN_OPENSSL").unwrap_or_else(|_| "openssl".into())
    }

    #[test]
    fn chain_verifies_with_openssl_and_names_keep_swedish_letters() {
        let root =
            CertificateAuthority::create_root("Test Rot-CA", "Örebro kommun", now()).unwrap();
        let sub = root
            .issue_sub_ca("Test Sigill-CA", "Örebro kommun", now())
            .unwrap();
        let seal = sub
            .issue_seal_cert_with_new_key(
                &SubjectName {
                    common_name: "Kommunstyrelsen Håbo".into(),
                    organization: "Håbo kommun".into(),
                    organization_identifier: Some("NTRSE-2120002759".into()),
                    country: "SE".into(),
                },
                now(),
            )
            .unwrap();
        let person_key = SigningKey::random(&mut OsRng);
        let person_spki = person_key.verifying_key().to_public_key_der().unwrap();
        let person = sub
            .issue_person_cert(
                &PersonName {
                    given_name: "Åsa".into(),
                    surname: "Öberg".into(),
                    personal_number: "198112289874".into(),
                },
                person_spki.as_bytes(),
                now(),
            )
            .unwrap();

        let dir = std::env::temp_dir().join(format!("esign-pki-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("root.pem"), pem_encode_cert(&root.cert_der)).unwrap();
        std::fs::write(dir.join("sub.pem"), pem_encode_cert(&sub.cert_der)).unwrap();
        std::fs::write(dir.join("seal.pem"), pem_encode_cert(&seal.cert_der)).unwrap();
        std::fs::write(dir.join("person.pem"), pem_encode_cert(&person)).unwrap();
        for leaf in ["seal.pem", "person.pem", "sub.pem"] {
            let out = Command::new(openssl())
                .args([
                    "verify",
                    "-attime",
                    &(now().timestamp() + 86_400).to_string(),
                    "-CAfile",
                ])
                .arg(dir.join("root.pem"))
                .arg("-untrusted")
                .arg(dir.join("sub.pem"))
                .arg(dir.join(leaf))
                .output()
                .expect("openssl missing: install it or set ESIGN_OPENSSL");
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success() && stdout.contains(": OK"),
                "openssl verify {leaf}: {stdout} {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        // The verifier must also be able to say no: the seal cert does not chain to a foreign root.
        let other = CertificateAuthority::create_root("Annan rot", "Annan", now()).unwrap();
        std::fs::write(dir.join("other.pem"), pem_encode_cert(&other.cert_der)).unwrap();
        let out = Command::new(openssl())
            .args([
                "verify",
                "-attime",
                &(now().timestamp() + 86_400).to_string(),
                "-CAfile",
            ])
            .arg(dir.join("other.pem"))
            .arg("-untrusted")
            .arg(dir.join("sub.pem"))
            .arg(dir.join("seal.pem"))
            .output()
            .unwrap();
        assert!(!out.status.success());

        // Subject text as openssl prints it (UTF-8 kept).
        let out = Command::new(openssl())
            .args([
                "x509",
                "-noout",
                "-subject",
                "-nameopt",
                "utf8,sep_comma_plus",
                "-in",
            ])
            .arg(dir.join("person.pem"))
            .output()
            .unwrap();
        let subject = String::from_utf8_lossy(&out.stdout);
        assert!(subject.contains("CN=Åsa Öberg"), "{subject}");
        assert!(subject.contains("serialNumber=198112289874"), "{subject}");
        assert!(
            subject.contains("GN=Åsa") || subject.contains("givenName=Åsa"),
            "{subject}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn parsed_certificates_have_expected_fields() {
        let root = CertificateAuthority::create_root("Rot", "Org", now()).unwrap();
        let seal = root
            .issue_seal_cert_with_new_key(
                &SubjectName {
                    common_name: "Sigill Åre".into(),
                    organization: "Åre kommun".into(),
                    organization_identifier: None,
                    country: "SE".into(),
                },
                now(),
            )
            .unwrap();
        let root_cert = parse_cert(&root.cert_der).unwrap();
        let cert = parse_cert(&seal.cert_der).unwrap();
        assert_eq!(
            cert.tbs_certificate.issuer,
            root_cert.tbs_certificate.subject
        );
        let serial = cert.tbs_certificate.serial_number.as_bytes();
        assert!(serial.len() == 16 && serial[0] & 0x80 == 0);
        let years = |c: &Certificate| {
            let v = &c.tbs_certificate.validity;
            (v.not_after.to_unix_duration().as_secs() - v.not_before.to_unix_duration().as_secs())
                / (365 * 86_400)
        };
        assert_eq!(years(&root_cert), 20);
        assert_eq!(years(&cert), 3);
        let exts = cert.tbs_certificate.extensions.as_ref().unwrap();
        let oids: Vec<_> = exts.iter().map(|e| e.extn_id).collect();
        assert!(oids.contains(&const_oid::db::rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER));
        assert!(oids.contains(&const_oid::db::rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER));
        assert!(oids.contains(&const_oid::db::rfc5280::ID_CE_KEY_USAGE));
        // UTF8String in the name, PrintableString in C.
        let subject_der = cert.tbs_certificate.subject.to_der().unwrap();
        assert!(subject_der
            .windows("Åre kommun".len())
            .any(|w| w == "Åre kommun".as_bytes()));
        // Round trip through from_parts and PEM.
        let again =
            CertificateAuthority::from_parts(root.cert_der.clone(), &root.key_pkcs8_der()).unwrap();
        assert_eq!(again.cert_der, root.cert_der);
        let pem = format!(
            "{}{}",
            pem_encode_cert(&seal.cert_der),
            pem_encode_cert(&root.cert_der)
        );
        assert_eq!(
            pem_decode_certs(&pem).unwrap(),
            vec![seal.cert_der.clone(), root.cert_der.clone()]
        );
        let other = CertificateAuthority::create_root("X", "Y", now()).unwrap();
        assert!(matches!(
            CertificateAuthority::from_parts(root.cert_der.clone(), &other.key_pkcs8_der()),
            Err(PkiError::KeyMismatch)
        ));
        assert!(pem_decode_certs("garbage").is_err());
    }

    #[test]
    fn tsa_certificate_has_critical_time_stamping_eku() {
        let root = CertificateAuthority::create_root("Rot", "Org", now()).unwrap();
        let key = SigningKey::random(&mut OsRng);
        let spki = key.verifying_key().to_public_key_der().unwrap();
        let subject = SubjectName {
            common_name: "Lokal TSA".into(),
            organization: "Örebro kommun".into(),
            organization_identifier: None,
            country: "SE".into(),
        };
        let der = root
            .issue_tsa_cert(&subject, spki.as_bytes(), now())
            .unwrap();
        let cert = parse_cert(&der).unwrap();
        let eku = cert
            .tbs_certificate
            .extensions
            .unwrap()
            .into_iter()
            .find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_EXT_KEY_USAGE)
            .unwrap();
        assert!(eku.critical);
        let usages = ExtendedKeyUsage::from_der(eku.extn_value.as_bytes()).unwrap();
        assert_eq!(usages.0, vec![const_oid::db::rfc5280::ID_KP_TIME_STAMPING]);
        // The seal certificate has no EKU.
        let seal = root
            .issue_seal_cert(&subject, spki.as_bytes(), now())
            .unwrap();
        let seal = parse_cert(&seal).unwrap();
        assert!(!seal
            .tbs_certificate
            .extensions
            .unwrap()
            .iter()
            .any(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_EXT_KEY_USAGE));
    }

    #[test]
    fn openssl_reads_the_revocation_pointers_of_issued_certificates() {
        let base = "http://127.0.0.1:8080/pki/";
        let root = CertificateAuthority::create_root("Rot", "Org", now())
            .unwrap()
            .with_revocation_urls(RevocationUrls::under(base, "root-ca").unwrap());
        let subject = SubjectName {
            common_name: "Sigill".into(),
            organization: "Org".into(),
            organization_identifier: None,
            country: "SE".into(),
        };
        let sub = root.issue_sub_ca("Under-CA", "Org", now()).unwrap();
        let seal = root.issue_seal_cert_with_new_key(&subject, now()).unwrap();
        let tsa = root.issue_tsa_cert_with_new_key(&subject, now()).unwrap();
        let key = SigningKey::random(&mut OsRng);
        let spki = key.verifying_key().to_public_key_der().unwrap();
        let responder = root
            .issue_ocsp_responder_cert(&subject, spki.as_bytes(), now())
            .unwrap();
        // A CA loaded from files made before revocation URLs existed issues without them.
        let old =
            CertificateAuthority::from_parts(root.cert_der.clone(), &root.key_pkcs8_der()).unwrap();
        let plain = old.issue_seal_cert_with_new_key(&subject, now()).unwrap();

        let text = |der: &[u8]| {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("c.pem");
            std::fs::write(&path, pem_encode_cert(der)).unwrap();
            let out = Command::new(openssl())
                .args(["x509", "-noout", "-text", "-in"])
                .arg(&path)
                .output()
                .expect("openssl missing: install it or set ESIGN_OPENSSL");
            assert!(out.status.success());
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        for der in [&sub.cert_der, &seal.cert_der, &tsa.cert_der] {
            let t = text(der);
            assert!(t.contains("Authority Information Access"), "{t}");
            assert!(
                t.contains("OCSP - URI:http://127.0.0.1:8080/pki/ocsp"),
                "{t}"
            );
            assert!(
                t.contains("CA Issuers - URI:http://127.0.0.1:8080/pki/ca/root-ca.cer"),
                "{t}"
            );
            assert!(t.contains("X509v3 CRL Distribution Points"), "{t}");
            assert!(
                t.contains("URI:http://127.0.0.1:8080/pki/crl/root-ca.crl"),
                "{t}"
            );
        }
        let t = text(&responder);
        assert!(
            t.contains("OCSP Signing") && t.contains("OCSP No Check"),
            "{t}"
        );
        assert!(!t.contains("Authority Information Access"), "{t}");
        let t = text(&plain.cert_der);
        assert!(!t.contains("Authority Information Access"), "{t}");
        assert!(!t.contains("CRL Distribution Points"), "{t}");
        let t = text(&root.cert_der);
        assert!(!t.contains("Authority Information Access"), "{t}");

        assert!(RevocationUrls::under("ftp://x", "a").is_err());
        assert!(RevocationUrls::under("http://a b", "a").is_err());
        assert!(RevocationUrls::under("http://x", "a/b").is_err());
        assert_eq!(
            RevocationUrls::under("http://x", "ä").unwrap_err().code(),
            "pki.invalid_url"
        );
    }

    #[test]
    fn bad_personal_number_is_refused() {
        let root = CertificateAuthority::create_root("Rot", "Org", now()).unwrap();
        let key = SigningKey::random(&mut OsRng);
        let spki = key.verifying_key().to_public_key_der().unwrap();
        let err = root
            .issue_person_cert(
                &PersonName {
                    given_name: "A".into(),
                    surname: "B".into(),
                    personal_number: "12345".into(),
                },
                spki.as_bytes(),
                now(),
            )
            .unwrap_err();
        assert_eq!(err.code(), "pki.invalid_name");
    }
}
