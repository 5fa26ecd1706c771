//! The local CA checked by openssl and by reading back what it issued.

use super::*;
use esign_shared::error::ErrorText;
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
    let root = CertificateAuthority::create_root("Test Rot-CA", "Örebro kommun", now()).unwrap();
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
