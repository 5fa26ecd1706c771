//! Long-term validation material for PAdES B-LT: the document security store (DSS, ISO 32000-2
//! 12.8.4.3 / ETSI EN 319 142-1 5.4) with the certificates, OCSP responses and CRLs a validator
//! needs decades from now, when no responder answers any more. Revocation data goes here, not
//! into the CMS, which keeps /Contents small (PDF/A's string limit).

use std::collections::HashSet;

use der::{Decode, Encode};
use lopdf::{dictionary, Dictionary, Object, ObjectId, Stream};
use sha1::{Digest as _, Sha1};
use x509_cert::Certificate;

use super::error::SealError;
use crate::pdf::update::{Revision, UpdateWriter};
use crate::pdf::PdfError;

use crate::error::ErrorText;
pub use crate::revocation::{RevocationData, RevocationSource};

impl From<crate::revocation::RevocationError> for SealError {
    fn from(e: crate::revocation::RevocationError) -> Self {
        SealError::Revocation {
            code: e.code(),
            sv: e.message_sv(),
            en: e.message_en(),
        }
    }
}

/// The DSS an input may already carry (an earlier LTV signature): kept and extended.
#[derive(Clone, Debug, Default)]
pub(crate) struct ExistingDss {
    certs: Vec<Object>,
    ocsps: Vec<Object>,
    crls: Vec<Object>,
    vri: Dictionary,
}

impl ExistingDss {
    pub fn read(
        catalog: &Dictionary,
        mut resolve: impl FnMut(&Object) -> Result<Object, PdfError>,
    ) -> Result<Self, PdfError> {
        let Ok(dss) = catalog.get(b"DSS") else {
            return Ok(Self::default());
        };
        let Object::Dictionary(dss) = resolve(dss)? else {
            return Ok(Self::default());
        };
        let mut array = |key: &[u8]| -> Result<Vec<Object>, PdfError> {
            Ok(match dss.get(key).map(&mut resolve) {
                Ok(Ok(Object::Array(a))) => a,
                _ => Vec::new(),
            })
        };
        let certs = array(b"Certs")?;
        let ocsps = array(b"OCSPs")?;
        let crls = array(b"CRLs")?;
        let vri = match dss.get(b"VRI").map(&mut resolve) {
            Ok(Ok(Object::Dictionary(d))) => d,
            _ => Dictionary::new(),
        };
        Ok(Self {
            certs,
            ocsps,
            crls,
            vri,
        })
    }
}

/// Write the DSS (and a stream per certificate, response and CRL) for the signature whose
/// /Contents bytes (with their zero padding) are `signature_contents`; returns its id and the
/// DSS as it now stands (for a later update to extend).
fn write_dss(
    writer: &mut UpdateWriter,
    existing: &ExistingDss,
    certs: &[Vec<u8>],
    data: &RevocationData,
    signature_contents: &[u8],
) -> Result<(ObjectId, ExistingDss), PdfError> {
    let mut streams = |items: &[Vec<u8>]| -> Result<Vec<Object>, PdfError> {
        let mut seen = HashSet::new();
        let mut refs = Vec::new();
        for item in items.iter().filter(|i| seen.insert(i.as_slice())) {
            let id = writer.allocate_id();
            writer.write_object(
                id,
                &Object::Stream(Stream::new(dictionary! {}, item.clone())),
            )?;
            refs.push(Object::Reference(id));
        }
        Ok(refs)
    };
    let cert_refs = streams(certs)?;
    let ocsp_refs = streams(&data.ocsp_responses)?;
    let crl_refs = streams(&data.crls)?;

    // VRI: the validation data of this one signature, keyed by SHA-1 of its /Contents.
    let key = hex::encode_upper(Sha1::digest(signature_contents));
    let mut entry = dictionary! { "Type" => "VRI" };
    for (name, refs) in [
        ("Cert", &cert_refs),
        ("OCSP", &ocsp_refs),
        ("CRL", &crl_refs),
    ] {
        if !refs.is_empty() {
            entry.set(name, Object::Array(refs.clone()));
        }
    }
    let mut vri = existing.vri.clone();
    vri.set(key.into_bytes(), Object::Dictionary(entry));

    let joined = |old: &[Object], new: Vec<Object>| {
        let mut all = old.to_vec();
        all.extend(new);
        all
    };
    let now = ExistingDss {
        certs: joined(&existing.certs, cert_refs),
        ocsps: joined(&existing.ocsps, ocsp_refs),
        crls: joined(&existing.crls, crl_refs),
        vri,
    };
    let mut dss = dictionary! { "Type" => "DSS", "VRI" => Object::Dictionary(now.vri.clone()) };
    dss.set("Certs", Object::Array(now.certs.clone()));
    if !now.ocsps.is_empty() {
        dss.set("OCSPs", Object::Array(now.ocsps.clone()));
    }
    if !now.crls.is_empty() {
        dss.set("CRLs", Object::Array(now.crls.clone()));
    }
    let id = writer.allocate_id();
    writer.write_object(id, &Object::Dictionary(dss))?;
    Ok((id, now))
}

/// What a DSS gets for `chains` (each DER, end-entity first): their certificates, the
/// revocation data of every certificate in them, and the certificates that data came with
/// (issuers fetched, delegated responders).
pub(crate) async fn validation_data(
    source: &dyn RevocationSource,
    chains: &[Vec<Vec<u8>>],
) -> Result<(Vec<Vec<u8>>, RevocationData), SealError> {
    let mut certs = Vec::new();
    let mut data = RevocationData::default();
    for chain in chains.iter().filter(|c| !c.is_empty()) {
        data.extend(source.collect(chain).await?);
        certs.extend(chain.iter().cloned());
    }
    certs.extend(std::mem::take(&mut data.extra_certs));
    Ok((certs, data))
}

/// An update of its own holding the DSS, extended from `existing` with `certs` and `data` for
/// the signature whose /Contents bytes are `signature_contents`, and `catalog` (changed here)
/// pointing at it. Returns the update, the revision after it and the DSS as it now stands.
pub(crate) fn dss_update(
    prev: &Revision,
    catalog: &mut Dictionary,
    existing: &ExistingDss,
    certs: &[Vec<u8>],
    data: &RevocationData,
    signature_contents: &[u8],
) -> Result<(Vec<u8>, Revision, ExistingDss), PdfError> {
    let mut writer = UpdateWriter::after(prev, 16 * 1024);
    let (dss_id, now) = write_dss(&mut writer, existing, certs, data, signature_contents)?;
    catalog.set("DSS", Object::Reference(dss_id));
    writer.write_object(prev.root_id, &Object::Dictionary(catalog.clone()))?;
    let (update, after) = writer.finish(prev)?;
    Ok((update, after, now))
}

/// Most certificates read back from a DSS (to complete chains with).
const MAX_DSS_CERTS: usize = 1_000;

impl ExistingDss {
    /// The certificates the DSS holds (DER), each stream decoded within the metadata limit; a
    /// stream that cannot be read is left out.
    pub fn certificates(
        &self,
        mut resolve: impl FnMut(&Object) -> Result<Object, PdfError>,
    ) -> Vec<Vec<u8>> {
        self.certs
            .iter()
            .take(MAX_DSS_CERTS)
            .filter_map(|c| match resolve(c) {
                Ok(Object::Stream(s)) => {
                    crate::pdf::decode_stream(&s, crate::pdf::MAX_DECODED_METADATA).ok()
                }
                _ => None,
            })
            .collect()
    }
}

/// The chains a signature's validation rests on: its signer's (from the CMS) and, when it has
/// one, its signature timestamp's authority's; each completed from `known`.
pub(crate) fn signature_chains(contents: &[u8], known: &[Vec<u8>]) -> Vec<Vec<Vec<u8>>> {
    use crate::pdf::signed_data::{self, ID_AA_SIGNATURE_TIME_STAMP_TOKEN};
    let Ok(signed) = signed_data::parse_signed_data(contents) else {
        return Vec::new();
    };
    let certs: Vec<Vec<u8>> = signed_data::certificates_of(&signed)
        .iter()
        .filter_map(|c| c.to_der().ok())
        .collect();
    let mut chains = vec![complete_chain(&certs, known)];
    for info in signed.signer_infos.0.iter() {
        let Some(attrs) = &info.unsigned_attrs else {
            continue;
        };
        for token in signed_data::attribute_value(attrs, ID_AA_SIGNATURE_TIME_STAMP_TOKEN) {
            if let Ok(der) = token.to_der() {
                chains.push(complete_chain(&token_certificates(&der), known));
            }
        }
    }
    chains
}

/// The certificates a timestamp token carries (DER), the TSA's first. The token may be
/// followed by the zero padding of a /Contents string.
pub(crate) fn token_certificates(token_der: &[u8]) -> Vec<Vec<u8>> {
    let Ok(signed) = crate::pdf::signed_data::parse_signed_data(token_der) else {
        return Vec::new();
    };
    crate::pdf::signed_data::certificates_of(&signed)
        .iter()
        .filter_map(|c| c.to_der().ok())
        .collect()
}

/// Order `certs` into a chain from the leaf up, adding issuers found in `known` (the seal's
/// chain: a local TSA and the seal often share a root). The leaf is the certificate no other
/// one names as issuer.
pub(crate) fn complete_chain(certs: &[Vec<u8>], known: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let parsed: Vec<(Vec<u8>, Certificate)> = certs
        .iter()
        .chain(known.iter())
        .filter_map(|d| Certificate::from_der(d).ok().map(|c| (d.clone(), c)))
        .collect();
    let from_token = certs.len().min(parsed.len());
    // The TSA's certificate: from the token, and issuing no other certificate of the token.
    let Some(leaf) = parsed[..from_token].iter().find(|(_, c)| {
        !parsed[..from_token].iter().any(|(_, other)| {
            other.tbs_certificate.issuer == c.tbs_certificate.subject
                && other.tbs_certificate.subject != c.tbs_certificate.subject
        })
    }) else {
        return Vec::new();
    };
    let mut chain = vec![leaf.clone()];
    while chain.len() < 8 {
        let current = &chain[chain.len() - 1].1;
        if current.tbs_certificate.issuer == current.tbs_certificate.subject {
            break;
        }
        match parsed
            .iter()
            .find(|(_, c)| c.tbs_certificate.subject == current.tbs_certificate.issuer)
        {
            Some(issuer) => chain.push(issuer.clone()),
            None => break,
        }
    }
    chain.into_iter().map(|(d, _)| d).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::test_support::*;

    #[test]
    fn the_tsa_chain_is_completed_from_the_seal_chain() {
        let pki = TestPki::new();
        let tsa = test_tsa(&pki);
        let tsa_cert = tsa.certificate_chain_der()[0].clone();
        let chain = complete_chain(
            std::slice::from_ref(&tsa_cert),
            &[pki.chain.clone(), vec![pki.root.cert_der.clone()]].concat(),
        );
        assert_eq!(chain.first(), Some(&tsa_cert));
        assert_eq!(chain.last(), Some(&pki.root.cert_der));
    }
}
