//! Certificates for the simulator: an ephemeral CA (until `crate::pki` provides one) and the
//! person certificates BankID would hold on the phone (subject CN "Given Surname",
//! serialNumber = personnummer, test Mobile BankID policy 1.2.3.4.25).

use std::str::FromStr;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use const_oid::ObjectIdentifier;
use der::asn1::{Any, SetOfVec};
use der::{Decode, Encode, Tag};
use p256::ecdsa::{DerSignature, SigningKey};
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rand_core::{OsRng, RngCore};
use spki::{EncodePublicKey, SubjectPublicKeyInfoOwned};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::ext::pkix::certpolicy::PolicyInformation;
use x509_cert::ext::pkix::{CertificatePolicies, ExtendedKeyUsage};
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};
use x509_cert::Certificate;

/// Test-environment policy OID of Mobile BankID.
pub(crate) const MOBILE_BANKID_TEST_POLICY: &str = "1.2.3.4.25";

const OID_C: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.6");
const OID_O: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.10");
const OID_CN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
const OID_SURNAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.4");
const OID_GIVEN_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.42");
const OID_SERIAL_NUMBER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.5");
const OID_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.41");

/// Error text of the simulator's certificate work (reported as 500 internalError).
pub(crate) type PkiResult<T> = Result<T, String>;

fn attribute(oid: ObjectIdentifier, tag: Tag, value: &str) -> PkiResult<RelativeDistinguishedName> {
    let value = Any::new(tag, value.as_bytes()).map_err(|e| e.to_string())?;
    let set = SetOfVec::try_from(vec![AttributeTypeAndValue { oid, value }])
        .map_err(|e| e.to_string())?;
    Ok(RelativeDistinguishedName(set))
}

/// A name in the order BankID's certificates use (C first, CN last in the DER sequence).
fn name(parts: &[(ObjectIdentifier, Tag, &str)]) -> PkiResult<Name> {
    let rdns = parts
        .iter()
        .map(|(oid, tag, value)| attribute(*oid, *tag, value))
        .collect::<PkiResult<Vec<_>>>()?;
    Ok(RdnSequence(rdns))
}

fn to_time(at: DateTime<Utc>) -> PkiResult<Time> {
    let secs = u64::try_from(at.timestamp()).map_err(|_| "time before 1970".to_string())?;
    Time::try_from(SystemTime::UNIX_EPOCH + Duration::from_secs(secs)).map_err(|e| e.to_string())
}

fn random_serial() -> PkiResult<SerialNumber> {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    bytes[0] &= 0x7f; // positive
    bytes[0] |= 0x01; // no leading zero byte to strip
    SerialNumber::new(&bytes).map_err(|e| e.to_string())
}

/// The issuing CA's key: the lead's PKI may hand over P-256 or RSA.
pub(crate) enum IssuerKey {
    P256(SigningKey),
    Rsa(Box<rsa::pkcs1v15::SigningKey<sha2::Sha256>>),
}

impl IssuerKey {
    pub(crate) fn from_pkcs8_der(der: &[u8]) -> PkiResult<IssuerKey> {
        if let Ok(key) = SigningKey::from_pkcs8_der(der) {
            return Ok(IssuerKey::P256(key));
        }
        let key = rsa::RsaPrivateKey::from_pkcs8_der(der)
            .map_err(|e| format!("issuing key is neither P-256 nor RSA PKCS#8: {e}"))?;
        Ok(IssuerKey::Rsa(Box::new(rsa::pkcs1v15::SigningKey::<
            sha2::Sha256,
        >::new(key))))
    }
}

fn build_cert(
    profile: Profile,
    subject: Name,
    spki: SubjectPublicKeyInfoOwned,
    issuer_key: &IssuerKey,
    (not_before, not_after): (DateTime<Utc>, DateTime<Utc>),
    policy: Option<&str>,
    extended_key_usage: Option<ObjectIdentifier>,
) -> PkiResult<Vec<u8>> {
    let eku = extended_key_usage.map(|oid| ExtendedKeyUsage(vec![oid]));
    let validity = Validity {
        not_before: to_time(not_before)?,
        not_after: to_time(not_after)?,
    };
    let serial = random_serial()?;
    let policies = match policy {
        Some(oid) => Some(CertificatePolicies(vec![PolicyInformation {
            policy_identifier: ObjectIdentifier::from_str(oid).map_err(|e| e.to_string())?,
            policy_qualifiers: None,
        }])),
        None => None,
    };
    let cert = match issuer_key {
        IssuerKey::P256(key) => {
            let mut builder =
                CertificateBuilder::new(profile, serial, validity, subject, spki, key)
                    .map_err(|e| e.to_string())?;
            if let Some(p) = &policies {
                builder.add_extension(p).map_err(|e| e.to_string())?;
            }
            if let Some(e) = &eku {
                builder.add_extension(e).map_err(|e| e.to_string())?;
            }
            builder.build::<DerSignature>().map_err(|e| e.to_string())?
        }
        IssuerKey::Rsa(key) => {
            let key: &rsa::pkcs1v15::SigningKey<sha2::Sha256> = key;
            let mut builder =
                CertificateBuilder::new(profile, serial, validity, subject, spki, key)
                    .map_err(|e| e.to_string())?;
            if let Some(p) = &policies {
                builder.add_extension(p).map_err(|e| e.to_string())?;
            }
            if let Some(e) = &eku {
                builder.add_extension(e).map_err(|e| e.to_string())?;
            }
            builder
                .build::<rsa::pkcs1v15::Signature>()
                .map_err(|e| e.to_string())?
        }
    };
    cert.to_der().map_err(|e| e.to_string())
}

/// The CA that issues the simulated users' certificates.
#[derive(Clone)]
pub struct SimulatorCa {
    /// DER certificates: the issuing CA first, then its issuers up to the root.
    pub chain_der: Vec<Vec<u8>>,
    /// PKCS#8 DER of the issuing CA's key (P-256 or RSA).
    pub issuing_key_pkcs8_der: Vec<u8>,
}

/// An ephemeral two-level CA ("Sim BankID Root CA v1 Test" → "Sim Bank CA v1 for BankID Test"),
/// P-256, valid ten years from `now`. For tests and local mode until `crate::pki` provides one.
pub fn generate_simulator_ca(now: DateTime<Utc>) -> Result<SimulatorCa, String> {
    let root_key = SigningKey::random(&mut OsRng);
    let root_name = name(&[
        (OID_C, Tag::PrintableString, "SE"),
        (OID_O, Tag::Utf8String, "e-underskrift simulator"),
        (OID_CN, Tag::Utf8String, "Sim BankID Root CA v1 Test"),
    ])?;
    let root_spki = spki_of(&root_key)?;
    let start = now - chrono::Duration::days(1);
    let end = now + chrono::Duration::days(3650);
    let root_issuer = IssuerKey::P256(root_key);
    let root_der = build_cert(
        Profile::Root,
        root_name.clone(),
        root_spki,
        &root_issuer,
        (start, end),
        None,
        None,
    )?;

    let issuing_key = SigningKey::random(&mut OsRng);
    let issuing_name = name(&[
        (OID_C, Tag::PrintableString, "SE"),
        (OID_O, Tag::Utf8String, "e-underskrift simulator"),
        (OID_CN, Tag::Utf8String, "Sim Bank CA v1 for BankID Test"),
    ])?;
    let issuing_der = build_cert(
        Profile::SubCA {
            issuer: root_name,
            path_len_constraint: Some(0),
        },
        issuing_name,
        spki_of(&issuing_key)?,
        &root_issuer,
        (start, end),
        None,
        None,
    )?;
    let pkcs8 = issuing_key.to_pkcs8_der().map_err(|e| e.to_string())?;
    Ok(SimulatorCa {
        chain_der: vec![issuing_der, root_der],
        issuing_key_pkcs8_der: pkcs8.as_bytes().to_vec(),
    })
}

fn spki_of(key: &SigningKey) -> PkiResult<SubjectPublicKeyInfoOwned> {
    let der = key
        .verifying_key()
        .to_public_key_der()
        .map_err(|e| e.to_string())?;
    SubjectPublicKeyInfoOwned::from_der(der.as_bytes()).map_err(|e| e.to_string())
}

/// A person's BankID on the simulated phone.
pub(crate) struct PersonCredential {
    pub cert_der: Vec<u8>,
    pub key: SigningKey,
    pub issued_at: DateTime<Utc>,
}

/// Issues the user certificate for `personal_number` from the simulator CA.
pub(crate) fn issue_person_cert(
    ca: &SimulatorCa,
    personal_number: &str,
    given_name: &str,
    surname: &str,
    now: DateTime<Utc>,
) -> PkiResult<PersonCredential> {
    let issuer_der = ca.chain_der.first().ok_or("simulator CA chain is empty")?;
    let issuer_cert = Certificate::from_der(issuer_der).map_err(|e| e.to_string())?;
    let issuer_key = IssuerKey::from_pkcs8_der(&ca.issuing_key_pkcs8_der)?;
    let key = SigningKey::random(&mut OsRng);
    let full_name = format!("{given_name} {surname}");
    let label = format!(
        "({}) {full_name} - Mobilt BankID",
        now.format("%y%m%d %H.%M")
    );
    let subject = name(&[
        (OID_C, Tag::PrintableString, "SE"),
        (OID_O, Tag::Utf8String, "e-underskrift simulator"),
        (OID_SURNAME, Tag::Utf8String, surname),
        (OID_GIVEN_NAME, Tag::Utf8String, given_name),
        (OID_SERIAL_NUMBER, Tag::PrintableString, personal_number),
        (OID_NAME, Tag::Utf8String, &label),
        (OID_CN, Tag::Utf8String, &full_name),
    ])?;
    let not_before = now - chrono::Duration::minutes(5);
    let cert_der = build_cert(
        Profile::Leaf {
            issuer: issuer_cert.tbs_certificate.subject.clone(),
            enable_key_agreement: false,
            enable_key_encipherment: false,
        },
        subject,
        spki_of(&key)?,
        &issuer_key,
        (not_before, now + chrono::Duration::days(2 * 365)),
        Some(MOBILE_BANKID_TEST_POLICY),
        None,
    )?;
    Ok(PersonCredential {
        cert_der,
        key,
        issued_at: not_before,
    })
}

const OID_OCSP_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.9");

/// The OCSP responder of the simulated issuing CA (EKU OCSPSigning), like BankID's
/// "Customer CA … OCSP Signing" certificates.
pub(crate) fn issue_ocsp_responder(
    ca: &SimulatorCa,
    now: DateTime<Utc>,
) -> PkiResult<PersonCredential> {
    let issuer_der = ca.chain_der.first().ok_or("simulator CA chain is empty")?;
    let issuer_cert = Certificate::from_der(issuer_der).map_err(|e| e.to_string())?;
    let issuer_key = IssuerKey::from_pkcs8_der(&ca.issuing_key_pkcs8_der)?;
    let key = SigningKey::random(&mut OsRng);
    let subject = name(&[
        (OID_C, Tag::PrintableString, "SE"),
        (OID_O, Tag::Utf8String, "e-underskrift simulator"),
        (
            OID_CN,
            Tag::Utf8String,
            "Sim Bank CA v1 for BankID Test OCSP Signing",
        ),
    ])?;
    let not_before = now - chrono::Duration::minutes(5);
    let cert_der = build_cert(
        Profile::Leaf {
            issuer: issuer_cert.tbs_certificate.subject.clone(),
            enable_key_agreement: false,
            enable_key_encipherment: false,
        },
        subject,
        spki_of(&key)?,
        &issuer_key,
        (not_before, now + chrono::Duration::days(365)),
        None,
        Some(OID_OCSP_SIGNING),
    )?;
    Ok(PersonCredential {
        cert_der,
        key,
        issued_at: not_before,
    })
}

const OID_SERVER_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.1");
const OID_CLIENT_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.2");

/// A TLS leaf certificate for a fresh P-256 key, issued by `ca` (a `crate::pki` CA), with the
/// given subject, subjectAltName entries and extendedKeyUsage. Valid two years from `now`.
fn issue_tls_leaf(
    ca: &crate::pki::CertificateAuthority,
    subject: Name,
    alt_names: Vec<x509_cert::ext::pkix::name::GeneralName>,
    eku: ObjectIdentifier,
    now: DateTime<Utc>,
) -> PkiResult<crate::pki::IssuedCert> {
    let issuer_cert = Certificate::from_der(&ca.cert_der).map_err(|e| e.to_string())?;
    let issuer_key = IssuerKey::from_pkcs8_der(&ca.key_pkcs8_der())?;
    let key = SigningKey::random(&mut OsRng);
    let profile = Profile::Leaf {
        issuer: issuer_cert.tbs_certificate.subject.clone(),
        enable_key_agreement: false,
        enable_key_encipherment: false,
    };
    let validity = Validity {
        not_before: to_time(now - chrono::Duration::minutes(5))?,
        not_after: to_time(now + chrono::Duration::days(2 * 365))?,
    };
    let spki = spki_of(&key)?;
    let san = (!alt_names.is_empty()).then_some(x509_cert::ext::pkix::SubjectAltName(alt_names));
    let eku = ExtendedKeyUsage(vec![eku]);
    let cert = match &issuer_key {
        IssuerKey::P256(signer) => {
            let mut builder =
                CertificateBuilder::new(profile, random_serial()?, validity, subject, spki, signer)
                    .map_err(|e| e.to_string())?;
            if let Some(san) = &san {
                builder.add_extension(san).map_err(|e| e.to_string())?;
            }
            builder.add_extension(&eku).map_err(|e| e.to_string())?;
            builder.build::<DerSignature>().map_err(|e| e.to_string())?
        }
        IssuerKey::Rsa(signer) => {
            let signer: &rsa::pkcs1v15::SigningKey<sha2::Sha256> = signer;
            let mut builder =
                CertificateBuilder::new(profile, random_serial()?, validity, subject, spki, signer)
                    .map_err(|e| e.to_string())?;
            if let Some(san) = &san {
                builder.add_extension(san).map_err(|e| e.to_string())?;
            }
            builder.add_extension(&eku).map_err(|e| e.to_string())?;
            builder
                .build::<rsa::pkcs1v15::Signature>()
                .map_err(|e| e.to_string())?
        }
    };
    let key_der = key.to_pkcs8_der().map_err(|e| e.to_string())?;
    Ok(crate::pki::IssuedCert {
        cert_der: cert.to_der().map_err(|e| e.to_string())?,
        key_pkcs8_der: Some(key_der.as_bytes().to_vec()),
    })
}

/// A TLS server certificate (EKU serverAuth) for the simulator, with `dns_names` and
/// `ip_addresses` as subjectAltName (rustls/webpki match only the SAN, never the CN).
pub fn issue_tls_server_cert(
    ca: &crate::pki::CertificateAuthority,
    dns_names: &[&str],
    ip_addresses: &[std::net::IpAddr],
    now: DateTime<Utc>,
) -> Result<crate::pki::IssuedCert, String> {
    use x509_cert::ext::pkix::name::GeneralName;
    let mut alt_names = Vec::new();
    for dns in dns_names {
        let name = der::asn1::Ia5String::new(dns).map_err(|e| e.to_string())?;
        alt_names.push(GeneralName::DnsName(name));
    }
    for ip in ip_addresses {
        let bytes = match ip {
            std::net::IpAddr::V4(v4) => v4.octets().to_vec(),
            std::net::IpAddr::V6(v6) => v6.octets().to_vec(),
        };
        alt_names.push(GeneralName::IpAddress(
            der::asn1::OctetString::new(bytes).map_err(|e| e.to_string())?,
        ));
    }
    if alt_names.is_empty() {
        return Err("a TLS server certificate needs at least one DNS name or IP address".into());
    }
    let cn = dns_names.first().copied().unwrap_or("BankID simulator");
    let subject = name(&[
        (OID_C, Tag::PrintableString, "SE"),
        (OID_O, Tag::Utf8String, "e-underskrift simulator"),
        (OID_CN, Tag::Utf8String, cn),
    ])?;
    issue_tls_leaf(ca, subject, alt_names, OID_SERVER_AUTH, now)
}

/// A relying-party client certificate (EKU clientAuth) like the one a bank issues for BankID:
/// subject `C=SE, O=organization, serialNumber=org_number, name=display_name, CN=common_name`.
pub fn issue_tls_client_cert(
    ca: &crate::pki::CertificateAuthority,
    common_name: &str,
    organization: &str,
    now: DateTime<Utc>,
) -> Result<crate::pki::IssuedCert, String> {
    let subject = name(&[
        (OID_C, Tag::PrintableString, "SE"),
        (OID_O, Tag::Utf8String, organization),
        (OID_CN, Tag::Utf8String, common_name),
    ])?;
    issue_tls_leaf(ca, subject, Vec::new(), OID_CLIENT_AUTH, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bankid::xml::{signature_document, SignedDataInput};
    use base64::engine::general_purpose::STANDARD as BASE64;
    use base64::Engine;
    use esign_shared::bankid::evidence::{verify_signature_xml, ExpectedEvidence};

    fn input<'a>(visible: &'a str) -> SignedDataInput<'a> {
        SignedDataInput {
            usr_visible_data: Some(visible),
            usr_non_visible_data: None,
            rp_name: "cn=rp",
            rp_display_name: "RP",
            func_id: "Signing",
            uhi: "abc",
            certificate_policy: MOBILE_BANKID_TEST_POLICY,
        }
    }

    #[test]
    fn person_certificate_carries_name_and_personal_number() {
        let now = Utc::now();
        let ca = generate_simulator_ca(now).expect("ca");
        let person = issue_person_cert(&ca, "198001019876", "Åsa", "Öberg", now).expect("cert");
        let cert = Certificate::from_der(&person.cert_der).expect("parses");
        let subject = cert.tbs_certificate.subject.to_string();
        assert!(subject.contains("CN=Åsa Öberg"), "{subject}");
        assert!(subject.contains("198001019876"), "{subject}");
        let visible = BASE64.encode("text");
        let xml = signature_document(
            &input(&visible),
            &[person.cert_der.clone(), ca.chain_der[0].clone()],
            &person.key,
        );
        let expected = ExpectedEvidence {
            personal_number: "198001019876",
            user_visible_data_b64: &visible,
            user_non_visible_data_b64: None,
        };
        let report = verify_signature_xml(
            &BASE64.encode(&xml),
            &ca.chain_der[1..],
            Some(&expected),
            now,
        )
        .expect("verifies");
        assert_eq!(report.name, "Åsa Öberg");
    }

    #[test]
    fn rsa_issuing_key_is_supported() {
        let now = Utc::now();
        // 2048 bits: the verifier (ring, through the x509 module) refuses smaller RSA keys.
        let rsa_key = rsa::RsaPrivateKey::new(&mut OsRng, 2048).expect("rsa key");
        let pkcs8 = rsa_key.to_pkcs8_der().expect("pkcs8").as_bytes().to_vec();
        let spki_der = rsa_key.to_public_key().to_public_key_der().expect("spki");
        let spki = SubjectPublicKeyInfoOwned::from_der(spki_der.as_bytes()).expect("spki parses");
        let issuer = IssuerKey::from_pkcs8_der(&pkcs8).expect("rsa issuer");
        let ca_name = name(&[(OID_CN, Tag::Utf8String, "RSA CA")]).expect("name");
        let start = now - chrono::Duration::days(1);
        let root = build_cert(
            Profile::Root,
            ca_name,
            spki,
            &issuer,
            (start, now + chrono::Duration::days(30)),
            None,
            None,
        )
        .expect("root");
        let ca = SimulatorCa {
            chain_der: vec![root.clone()],
            issuing_key_pkcs8_der: pkcs8,
        };
        let person = issue_person_cert(&ca, "198001019876", "Per", "Persson", now).expect("cert");
        let visible = BASE64.encode("rsa");
        let xml = signature_document(&input(&visible), &[person.cert_der], &person.key);
        let report = verify_signature_xml(&BASE64.encode(&xml), &[root], None, now)
            .expect("RSA-issued chain verifies");
        assert_eq!(report.certificate_chain_subjects.len(), 2);
        assert!(IssuerKey::from_pkcs8_der(b"junk").is_err());
    }
}
