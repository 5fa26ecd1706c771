//! Sub-CAs made by hand rather than through the certificate builder's profiles, so that they
//! can be wrong on purpose: an explicit validity (an intermediate that has expired), or a
//! keyUsage without keyCertSign. The validators' tests need such CAs; see
//! [`crate::testkit::bad_chains`].

use chrono::{DateTime, Utc};
use der::asn1::{BitString, OctetString};
use der::{Decode, Encode};
use p256::ecdsa::{DerSignature, SigningKey};
use p256::pkcs8::EncodePublicKey;
use rand_core::OsRng;
use sha1::{Digest, Sha1};
use signature::Signer;
use x509_cert::certificate::{TbsCertificate, Version};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, KeyUsage, KeyUsages, SubjectKeyIdentifier,
};
use x509_cert::ext::{AsExtension, Extension};
use x509_cert::name::Name;
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::time::{Time, Validity};
use x509_cert::Certificate;

use super::{
    ca_name, random_serial, validity, CertificateAuthority, PkiError, SubjectName,
    SUB_CA_VALIDITY_YEARS,
};

/// How a sub-CA made by [`CertificateAuthority::issue_sub_ca_with`] differs from
/// [`CertificateAuthority::issue_sub_ca`]'s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubCaOptions {
    /// notBefore and notAfter; `None`: ten years from now, like `issue_sub_ca`.
    pub validity: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// keyUsage keyCertSign (with cRLSign); without it the keyUsage is cRLSign and
    /// digitalSignature: a CA certificate that may not sign certificates.
    pub key_cert_sign: bool,
}

impl Default for SubCaOptions {
    fn default() -> Self {
        Self {
            validity: None,
            key_cert_sign: true,
        }
    }
}

const ECDSA_WITH_SHA256: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");

fn build_error(e: impl std::fmt::Display) -> PkiError {
    PkiError::Build(e.to_string())
}

fn time(at: DateTime<Utc>) -> Result<Time, PkiError> {
    let secs = u64::try_from(at.timestamp()).map_err(|_| build_error("time before 1970"))?;
    Time::try_from(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
        .map_err(build_error)
}

fn key_id(spki: &SubjectPublicKeyInfoOwned) -> Result<OctetString, PkiError> {
    OctetString::new(Sha1::digest(spki.subject_public_key.raw_bytes()).to_vec())
        .map_err(build_error)
}

impl CertificateAuthority {
    /// A sub-CA (cA, pathLenConstraint 0, revocation pointers like `issue_sub_ca`) with a fresh
    /// P-256 key, as `options` say.
    pub fn issue_sub_ca_with(
        &self,
        common_name: &str,
        organization: &str,
        options: SubCaOptions,
        now: DateTime<Utc>,
    ) -> Result<CertificateAuthority, PkiError> {
        let key = SigningKey::random(&mut OsRng);
        let spki_der = key
            .verifying_key()
            .to_public_key_der()
            .map_err(build_error)?;
        let spki = SubjectPublicKeyInfoOwned::from_der(spki_der.as_bytes()).map_err(build_error)?;
        let issuer = self.certificate()?;
        let subject = ca_name(common_name, organization)?;
        let (not_before, not_after) = match options.validity {
            Some(range) => range,
            None => {
                let usual = validity(now, SUB_CA_VALIDITY_YEARS)?;
                (
                    super::from_time(&usual.not_before),
                    super::from_time(&usual.not_after),
                )
            }
        };
        let usage = if options.key_cert_sign {
            KeyUsages::KeyCertSign | KeyUsages::CRLSign
        } else {
            KeyUsages::DigitalSignature | KeyUsages::CRLSign
        };
        let mut extensions = vec![
            SubjectKeyIdentifier(key_id(&spki)?).to_extension(&subject, &[]),
            AuthorityKeyIdentifier {
                key_identifier: Some(key_id(&issuer.tbs_certificate.subject_public_key_info)?),
                ..Default::default()
            }
            .to_extension(&subject, &[]),
            BasicConstraints {
                ca: true,
                path_len_constraint: Some(0),
            }
            .to_extension(&subject, &[]),
            KeyUsage(usage).to_extension(&subject, &[]),
        ];
        if let Some(urls) = self.revocation_urls() {
            extensions.push(urls.authority_info_access()?.to_extension(&subject, &[]));
            extensions.push(urls.crl_distribution_points()?.to_extension(&subject, &[]));
        }
        let extensions_der = extensions
            .into_iter()
            .map(|e| e.and_then(|e| e.to_der()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(build_error)?;
        let cert_der =
            self.sign_certificate(subject, spki, &extensions_der, (not_before, not_after))?;
        Ok(CertificateAuthority {
            cert_der,
            key,
            revocation_urls: None,
        })
    }

    /// A certificate for `spki_der` (DER SubjectPublicKeyInfo) with exactly `extensions_der`
    /// (each a DER Extension, in order) and the validity `not_before..=not_after`, signed by this
    /// CA: for tests that need certificates no profile makes (an unknown critical extension, a
    /// keyUsage that does not fit, a CA where a leaf should be).
    pub fn issue_crafted(
        &self,
        subject: &SubjectName,
        spki_der: &[u8],
        extensions_der: &[Vec<u8>],
        not_before: DateTime<Utc>,
        not_after: DateTime<Utc>,
    ) -> Result<Vec<u8>, PkiError> {
        let spki = SubjectPublicKeyInfoOwned::from_der(spki_der)
            .map_err(|e| PkiError::InvalidPublicKey(e.to_string()))?;
        self.sign_certificate(
            subject.to_name()?,
            spki,
            extensions_der,
            (not_before, not_after),
        )
    }

    fn sign_certificate(
        &self,
        subject: Name,
        spki: SubjectPublicKeyInfoOwned,
        extensions_der: &[Vec<u8>],
        (not_before, not_after): (DateTime<Utc>, DateTime<Utc>),
    ) -> Result<Vec<u8>, PkiError> {
        let extensions = extensions_der
            .iter()
            .map(|d| Extension::from_der(d))
            .collect::<Result<Vec<_>, _>>()
            .map_err(build_error)?;
        let algorithm = AlgorithmIdentifierOwned {
            oid: ECDSA_WITH_SHA256,
            parameters: None,
        };
        let tbs = TbsCertificate {
            version: Version::V3,
            serial_number: random_serial()?,
            signature: algorithm.clone(),
            issuer: self.certificate()?.tbs_certificate.subject,
            validity: Validity {
                not_before: time(not_before)?,
                not_after: time(not_after)?,
            },
            subject,
            subject_public_key_info: spki,
            issuer_unique_id: None,
            subject_unique_id: None,
            extensions: (!extensions.is_empty()).then_some(extensions),
        };
        let signature: DerSignature = self.signing_key().sign(&tbs.to_der().map_err(build_error)?);
        Certificate {
            tbs_certificate: tbs,
            signature_algorithm: algorithm,
            signature: BitString::from_bytes(signature.as_bytes()).map_err(build_error)?,
        }
        .to_der()
        .map_err(build_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-23T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    /// openssl (not our validator) reads what the options ask for, and a default one verifies.
    #[test]
    fn openssl_sees_the_validity_and_key_usage_asked_for() {
        let root = CertificateAuthority::create_root("Rot", "Org", now()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let text = |der: &[u8]| {
            let path = dir.path().join("c.pem");
            std::fs::write(&path, super::super::pem_encode_cert(der)).unwrap();
            let out = std::process::Command::new(
                std::env::var("ESIGN_OPENSSL").unwrap_or_else(|_| "openssl".into()),
            )
            .args(["x509", "-noout", "-text", "-in"])
            .arg(&path)
            .output()
            .expect("openssl missing: install it or set ESIGN_OPENSSL");
            assert!(out.status.success());
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        let plain = root
            .issue_sub_ca_with("Under", "Org", SubCaOptions::default(), now())
            .unwrap();
        let t = text(&plain.cert_der);
        assert!(t.contains("CA:TRUE, pathlen:0"), "{t}");
        assert!(t.contains("Certificate Sign, CRL Sign"), "{t}");
        let no_sign = root
            .issue_sub_ca_with(
                "Utan keyCertSign",
                "Org",
                SubCaOptions {
                    key_cert_sign: false,
                    ..SubCaOptions::default()
                },
                now(),
            )
            .unwrap();
        let t = text(&no_sign.cert_der);
        assert!(
            t.contains("CA:TRUE") && t.contains("Digital Signature, CRL Sign"),
            "{t}"
        );
        assert!(!t.contains("Certificate Sign"), "{t}");
        let expired = root
            .issue_sub_ca_with(
                "Utgånget",
                "Org",
                SubCaOptions {
                    validity: Some((
                        now() - chrono::Duration::days(800),
                        now() - chrono::Duration::days(1),
                    )),
                    ..SubCaOptions::default()
                },
                now(),
            )
            .unwrap();
        let t = text(&expired.cert_der);
        assert!(t.contains("Not After : Nov 22 10:00:00 2026 GMT"), "{t}");
        // A certificate the default one issues verifies with openssl up to the root.
        let leaf = plain
            .issue_seal_cert_with_new_key(
                &super::super::SubjectName {
                    common_name: "Sigill".into(),
                    organization: "Org".into(),
                    organization_identifier: None,
                    country: "SE".into(),
                },
                now(),
            )
            .unwrap();
        for (name, der) in [
            ("root.pem", &root.cert_der),
            ("sub.pem", &plain.cert_der),
            ("leaf.pem", &leaf.cert_der),
        ] {
            std::fs::write(dir.path().join(name), super::super::pem_encode_cert(der)).unwrap();
        }
        let out = std::process::Command::new(
            std::env::var("ESIGN_OPENSSL").unwrap_or_else(|_| "openssl".into()),
        )
        .args([
            "verify",
            "-attime",
            &(now().timestamp() + 60).to_string(),
            "-CAfile",
        ])
        .arg(dir.path().join("root.pem"))
        .arg("-untrusted")
        .arg(dir.path().join("sub.pem"))
        .arg(dir.path().join("leaf.pem"))
        .output()
        .unwrap();
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
