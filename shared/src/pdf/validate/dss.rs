//! The long-term levels: revocation data in the document security store (B-LT) and a
//! document timestamp over it (B-LTA).

use der::Decode;
use lopdf::{Dictionary, Object};
use x509_cert::Certificate;

use super::signed_file::SignedFile;
use super::SignatureReport;
use crate::pdf::random_access::{RandomAccessPdf, Source};

/// The validation data in the document security store (the last revision's).
pub(super) struct Dss {
    ocsp: Vec<x509_ocsp::BasicOcspResponse>,
    crls: Vec<x509_cert::crl::CertificateList>,
}

pub(super) fn read_dss(pdf: &mut RandomAccessPdf<'_>, catalog: &Dictionary) -> Option<Dss> {
    let dss = match pdf.resolve(catalog.get(b"DSS").ok()?).ok()? {
        Object::Dictionary(d) => d,
        _ => return None,
    };
    let mut streams = |key: &[u8]| -> Vec<Vec<u8>> {
        let Some(Object::Array(items)) = dss.get(key).ok().and_then(|a| pdf.resolve(a).ok()) else {
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| pdf.resolve(item).ok())
            .filter_map(|o| match o {
                Object::Stream(s) => Some(s),
                _ => None,
            })
            .filter_map(|s| crate::pdf::decode_stream(&s, crate::pdf::MAX_DECODED_METADATA).ok())
            .collect()
    };
    let ocsp = streams(b"OCSPs")
        .iter()
        .filter_map(|der| x509_ocsp::OcspResponse::from_der(der).ok())
        .filter_map(|r| r.response_bytes)
        .filter_map(|b| x509_ocsp::BasicOcspResponse::from_der(b.response.as_bytes()).ok())
        .collect();
    let crls = streams(b"CRLs")
        .iter()
        .filter_map(|der| x509_cert::crl::CertificateList::from_der(der).ok())
        .collect();
    Some(Dss { ocsp, crls })
}

/// Revocation data for `cert` in the DSS: an OCSP response saying good, or a CRL of its
/// issuer not listing it. (The responses' own signatures are left to full validators such as
/// pyHanko, which the tests run.)
fn revocation_covered(cert: &Certificate, dss: &Dss) -> bool {
    let serial = &cert.tbs_certificate.serial_number;
    let by_ocsp = dss.ocsp.iter().any(|r| {
        r.tbs_response_data.responses.iter().any(|single| {
            &single.cert_id.serial_number == serial
                && matches!(single.cert_status, x509_ocsp::CertStatus::Good(_))
        })
    });
    let by_crl = dss.crls.iter().any(|crl| {
        crl.tbs_cert_list.issuer == cert.tbs_certificate.issuer
            && !crl
                .tbs_cert_list
                .revoked_certificates
                .as_ref()
                .is_some_and(|list| list.iter().any(|r| &r.serial_number == serial))
    });
    by_ocsp || by_crl
}

/// B-LT: the DSS holds revocation data for every certificate of the seal's and the signature
/// timestamp's chains (but the self-signed roots). B-LTA: then a valid document timestamp
/// covers a revision that already had that DSS.
pub(super) fn long_term_levels<S: Source>(
    file: &mut SignedFile<S>,
    index: usize,
    reports: &mut [SignatureReport],
    needs: &[Certificate],
    dss: Option<&Dss>,
) {
    let Some(dss) = dss else {
        reports[index]
            .higher_level_missing
            .push("PAdES-B-LT: no DSS".into());
        return;
    };
    let missing: Vec<String> = needs
        .iter()
        .filter(|c| c.tbs_certificate.issuer != c.tbs_certificate.subject)
        .filter(|c| !revocation_covered(c, dss))
        .map(|c| c.tbs_certificate.subject.to_string())
        .collect();
    if !missing.is_empty() {
        reports[index].higher_level_missing.push(format!(
            "PAdES-B-LT: no revocation data in the DSS for {}",
            missing.join("; ")
        ));
        return;
    }
    reports[index].level = "PAdES-B-LT".into();
    let signed_end = reports[index].revision_length;
    let stamped: Vec<u64> = reports
        .iter()
        .filter(|r| {
            r.level == "DocTimeStamp"
                && r.intact
                && r.signature_valid
                && r.trusted
                && r.covers_whole_revision
                && r.revision_length > signed_end
        })
        .map(|r| r.revision_length)
        .collect();
    let lta = stamped.into_iter().any(|end| file.revision_has_dss(end));
    if lta {
        reports[index].level = "PAdES-B-LTA".into();
    } else {
        reports[index]
            .higher_level_missing
            .push("PAdES-B-LTA: no valid document timestamp after the DSS".into());
    }
}
