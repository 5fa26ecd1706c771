//! CRLs (RFC 5280 §5) signed by a local CA.

use chrono::{DateTime, Utc};
use der::asn1::{BitString, Uint};
use der::Encode;
use p256::ecdsa::DerSignature;
use spki::AlgorithmIdentifierOwned;
use x509_cert::crl::{CertificateList, RevokedCert, TbsCertList};
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, CrlNumber, SubjectKeyIdentifier};
use x509_cert::ext::{AsExtension, Extension};
use x509_cert::serial_number::SerialNumber;
use x509_cert::Version;

use super::{x509_time, RevocationError, RevocationReason, RevokedSerial, OID_ECDSA_SHA256};
use crate::pki::CertificateAuthority;

fn signing(e: impl std::fmt::Display) -> RevocationError {
    RevocationError::Signing(e.to_string())
}

/// A v2 CRL of `ca` listing `revoked` (entries dated after `this_update` are left out: they
/// were not revoked yet at that time). Extensions: authorityKeyIdentifier (the CA's subject
/// key identifier) and cRLNumber = `this_update` in Unix seconds, which grows with every
/// CRL without keeping a counter.
pub fn issue_crl(
    ca: &CertificateAuthority,
    revoked: &[RevokedSerial],
    this_update: DateTime<Utc>,
    next_update: DateTime<Utc>,
) -> Result<Vec<u8>, RevocationError> {
    let ca_cert = ca
        .certificate()
        .map_err(|e| RevocationError::InvalidCertificate(e.to_string()))?;
    let issuer = ca_cert.tbs_certificate.subject.clone();
    let key_id = match ca_cert.tbs_certificate.get::<SubjectKeyIdentifier>() {
        Ok(Some((_, ski))) => ski.0,
        _ => der::asn1::OctetString::new(super::public_key_sha1(&ca_cert).to_vec())
            .map_err(signing)?,
    };
    let aki = AuthorityKeyIdentifier {
        key_identifier: Some(key_id),
        authority_cert_issuer: None,
        authority_cert_serial_number: None,
    };
    let number = CrlNumber(
        Uint::new(
            &u64::try_from(this_update.timestamp())
                .unwrap_or(0)
                .to_be_bytes(),
        )
        .map_err(signing)?,
    );
    // No extension here depends on another, so none needs the others' list.
    let extensions: Vec<Extension> = vec![
        aki.to_extension(&issuer, &[]).map_err(signing)?,
        number.to_extension(&issuer, &[]).map_err(signing)?,
    ];

    let mut entries = Vec::new();
    for r in revoked.iter().filter(|r| r.revoked_at <= this_update) {
        let bytes = hex::decode(&r.serial)
            .map_err(|e| RevocationError::Registry(format!("serial {}: {e}", r.serial)))?;
        let serial_number = SerialNumber::new(&bytes).map_err(signing)?;
        let crl_entry_extensions = match r.reason {
            // RFC 5280 5.3.1: unspecified should be expressed by leaving the code out.
            None | Some(RevocationReason::Unspecified) => None,
            Some(reason) => Some(vec![reason
                .crl_reason()
                .to_extension(&issuer, &[])
                .map_err(signing)?]),
        };
        entries.push(RevokedCert {
            serial_number,
            revocation_date: x509_time(r.revoked_at).map_err(signing)?,
            crl_entry_extensions,
        });
    }
    let algorithm = AlgorithmIdentifierOwned {
        oid: OID_ECDSA_SHA256,
        parameters: None,
    };
    let tbs = TbsCertList {
        version: Version::V2,
        signature: algorithm.clone(),
        issuer,
        this_update: x509_time(this_update).map_err(signing)?,
        next_update: Some(x509_time(next_update).map_err(signing)?),
        // RFC 5280: absent, not empty, when nothing is revoked.
        revoked_certificates: (!entries.is_empty()).then_some(entries),
        crl_extensions: Some(extensions),
    };
    let tbs_der = tbs.to_der().map_err(signing)?;
    let signature: DerSignature =
        signature::Signer::try_sign(ca.signing_key(), &tbs_der).map_err(signing)?;
    let crl = CertificateList {
        tbs_cert_list: tbs,
        signature_algorithm: algorithm,
        signature: BitString::from_bytes(signature.as_bytes()).map_err(signing)?,
    };
    crl.to_der().map_err(signing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use esign_shared::revocation::{parse_crl, serial_hex};

    #[test]
    fn crl_lists_revoked_serials_with_reasons_and_numbers_grow() {
        let now = Utc::now();
        let root = CertificateAuthority::create_root("Rot", "Org", now).unwrap();
        let listed = RevokedSerial {
            serial: "0A0B".into(),
            revoked_at: now - chrono::Duration::hours(1),
            reason: Some(RevocationReason::KeyCompromise),
        };
        let later = RevokedSerial {
            serial: "0C".into(),
            revoked_at: now + chrono::Duration::hours(1),
            reason: None,
        };
        let der = issue_crl(
            &root,
            &[listed, later],
            now,
            now + chrono::Duration::days(7),
        )
        .unwrap();
        let (crl, _) = parse_crl(&der).unwrap();
        let entries = crl.tbs_cert_list.revoked_certificates.unwrap();
        assert_eq!(entries.len(), 1, "future revocations are not listed yet");
        assert_eq!(serial_hex(&entries[0].serial_number), "0A0B");
        assert!(entries[0].crl_entry_extensions.is_some());
        let empty = issue_crl(&root, &[], now, now + chrono::Duration::days(7)).unwrap();
        let (empty, _) = parse_crl(&empty).unwrap();
        assert!(empty.tbs_cert_list.revoked_certificates.is_none());
        assert!(parse_crl(b"garbage").is_err());
    }
}
