//! The archive version's seal, PAdES B-B up to B-LTA, made in one streaming pass over the
//! original:
//! - update 1: the signature page, an invisible signature field and a /Sig dictionary whose
//!   /Contents holds a detached CAdES CMS (B-B), with a signature timestamp as unsigned
//!   attribute (B-T);
//! - update 2: the DSS with the certificates, OCSP responses and CRLs of the seal and the
//!   timestamp authority's chains (B-LT);
//! - update 3: a document timestamp over everything before it (B-LTA).
//!
//! The original is read once, copied and hashed as it goes; the hash state after it is cloned
//! for each digest, so memory stays the same whatever the size of the file and each level costs
//! only its own small update.

use std::io::{Read, Write};
use std::path::Path;

use chrono::{DateTime, Utc};
use der::Encode;
use lopdf::{Dictionary, Object, ObjectId};
use sha2::{Digest, Sha256};
use x509_cert::Certificate;

use super::cms_build::{self, CmsSignatureAlgorithm};
use super::doc_timestamp::{self, FieldPlace};
use super::field::{
    current_acroform, empty_appearance, field_names, invisible_widget, set_fields, unique_name,
};
use super::ltv::{self, RevocationSource};
pub use super::placeholder::CONTENTS_RESERVED_BYTES;
use super::placeholder::{
    check_fits, fill_byte_range, fill_contents, hash_outside_contents, SigDictionary,
};
use crate::domain::SealLevel;
use crate::pdf::attachments::{
    catalog_with_attachments, pdfa3_metadata, write_attachments, write_metadata, ArchiveMetadata,
    AttachedFile, CatalogUpdate,
};
use crate::pdf::font::FontPair;
use crate::pdf::page::{write_pages, JusteringPage};
use crate::pdf::random_access::Source;
use crate::pdf::timestamp::TimestampSource;
use crate::pdf::update::{
    append_pages_to_root, pdf_date, text_string, PreviousRevision, Revision, UpdateWriter,
};
use crate::pdf::PdfError;

/// The original is copied and hashed in chunks of this size: the whole memory it costs.
const COPY_CHUNK: usize = 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SealAlgorithm {
    EcdsaP256Sha256,
    RsaPkcs1Sha256,
}

pub use super::error::SealError;
pub use crate::domain::seal_level::MissingService;

fn io_error(e: std::io::Error) -> SealError {
    SealError::Io(e.to_string())
}

#[async_trait::async_trait]
pub trait SealSigner: Send + Sync {
    /// Leaf first (seal cert), then CAs.
    fn certificate_chain_der(&self) -> Vec<Vec<u8>>;
    fn algorithm(&self) -> SealAlgorithm;
    /// Sign `message` (the DER of the CMS signed attributes) — the signer hashes it (like KMS
    /// MessageType=RAW). ECDSA returns DER Ecdsa-Sig-Value.
    async fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SealError>;
}

pub struct SealRequest<'a> {
    pub page: &'a JusteringPage,
    pub signing_time: DateTime<Utc>,
    pub reason: Option<String>,
    pub location: Option<String>,
    /// The PAdES baseline level to reach; each level above B-B needs its service below.
    pub level: SealLevel,
    /// B-T and up: the signature timestamp (and for B-LTA the document timestamp).
    pub timestamp: Option<&'a dyn TimestampSource>,
    /// B-LT and up: OCSP responses and CRLs for the seal's and the TSA's chains.
    pub revocation: Option<&'a dyn RevocationSource>,
    /// Files that travel inside the archive version as PDF/A-3 associated files (the BankID
    /// evidence of each signature). An input that claims PDF/A then claims PDF/A-3.
    pub attachments: &'a [AttachedFile<'a>],
}

/// What a seal made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealOutcome {
    pub level: SealLevel,
    pub length: u64,
}

/// Produce the archive version in memory: `original` verbatim, then the updates.
pub async fn seal(
    original: &[u8],
    req: SealRequest<'_>,
    signer: &dyn SealSigner,
) -> Result<Vec<u8>, SealError> {
    seal_with_fonts(original, req, signer, crate::pdf::font::registered_fonts()).await
}

pub(crate) async fn seal_with_fonts(
    original: &[u8],
    req: SealRequest<'_>,
    signer: &dyn SealSigner,
    fonts: Option<&FontPair>,
) -> Result<Vec<u8>, SealError> {
    check_services(&req)?;
    let prepared = prepare(std::io::Cursor::new(original), &req, signer, fonts)?;
    let mut out = Vec::with_capacity(original.len() + prepared.update1.len() + 64 * 1024);
    out.extend_from_slice(original);
    let hashed = Sha256::new_with_prefix(original);
    complete(prepared, hashed, &mut out, &req, signer).await?;
    Ok(out)
}

/// Seal the file at `input` into `output`, reading the input once in chunks: memory does not
/// grow with the size of the document.
pub async fn seal_file(
    input: &Path,
    output: &Path,
    req: SealRequest<'_>,
    signer: &dyn SealSigner,
) -> Result<SealOutcome, SealError> {
    check_services(&req)?;
    let fonts = crate::pdf::font::registered_fonts();
    let source = std::fs::File::open(input).map_err(io_error)?;
    let prepared = prepare(std::io::BufReader::new(source), &req, signer, fonts)?;
    let mut original = std::fs::File::open(input).map_err(io_error)?;
    let mut out = std::io::BufWriter::with_capacity(
        COPY_CHUNK,
        std::fs::File::create(output).map_err(io_error)?,
    );
    let hashed = copy_and_hash(&mut original, &mut out, prepared.previous_len)?;
    let length = complete(prepared, hashed, &mut out, &req, signer).await?;
    let file = out.into_inner().map_err(|e| io_error(e.into_error()))?;
    file.sync_all().map_err(io_error)?;
    Ok(SealOutcome {
        level: req.level,
        length,
    })
}

/// Copy `len` bytes from `input` to `out`, hashing them on the way: the one pass over the file.
pub(super) fn copy_and_hash(
    input: &mut impl Read,
    out: &mut impl Write,
    len: u64,
) -> Result<Sha256, SealError> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; COPY_CHUNK];
    let mut left = len;
    while left > 0 {
        let want = left.min(COPY_CHUNK as u64) as usize;
        let n = input.read(&mut buf[..want]).map_err(io_error)?;
        if n == 0 {
            return Err(SealError::Io(
                "the document changed while it was sealed".into(),
            ));
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n]).map_err(io_error)?;
        left -= n as u64;
    }
    Ok(hasher)
}

/// Refuse before any work when the level needs a service the request lacks (the rule is the
/// domain's: `domain::seal_level`).
fn check_services(req: &SealRequest<'_>) -> Result<(), SealError> {
    let services = crate::domain::seal_level::SealServices {
        timestamp_authority: req.timestamp.is_some(),
        revocation: req.revocation.is_some(),
    };
    match services.missing_for(req.level) {
        Some(missing) => Err(SealError::LevelUnavailable {
            level: req.level.name(),
            missing,
        }),
        None => Ok(()),
    }
}

fn service<T: ?Sized>(
    given: Option<&T>,
    level: SealLevel,
    missing: MissingService,
) -> Result<&T, SealError> {
    given.ok_or(SealError::LevelUnavailable {
        level: level.name(),
        missing,
    })
}

/// Everything about the document the later updates need, read while the file was open.
struct Prepared {
    previous_len: u64,
    chain: Vec<Certificate>,
    chain_der: Vec<Vec<u8>>,
    /// Update 1 with its /ByteRange filled in and /Contents still zeros.
    update1: Vec<u8>,
    /// Offset in `update1` of the `<` of /Contents.
    contents_lt: usize,
    after1: Revision,
    /// The catalog and AcroForm as they stand after update 1 (the AcroForm is indirect now).
    catalog: Dictionary,
    acroform_id: ObjectId,
    acroform: Dictionary,
    page_id: ObjectId,
    page: Dictionary,
    appearance_id: ObjectId,
    field_names: Vec<String>,
    existing_dss: ltv::ExistingDss,
}

fn prepare(
    source: impl Source,
    req: &SealRequest<'_>,
    signer: &dyn SealSigner,
    fonts: Option<&FontPair>,
) -> Result<Prepared, SealError> {
    let chain_der = signer.certificate_chain_der();
    let chain: Vec<Certificate> = chain_der
        .iter()
        .map(|d| crate::pdf::signed_data::parse_cert(d))
        .collect::<Result<_, _>>()
        .map_err(|e| SealError::InvalidCertificate(e.to_string()))?;
    if chain.is_empty() {
        return Err(SealError::InvalidCertificate("empty chain".into()));
    }
    let prev = PreviousRevision::open(source)?;
    let mut writer = UpdateWriter::after(&prev.revision, 64 * 1024);
    let sig_id = writer.allocate_id();
    let widget_id = writer.allocate_id();
    let appearance_id = writer.allocate_id();
    let page_id = writer.allocate_id();

    let mut sig =
        SigDictionary::new(b"/Type /Sig\n/Filter /Adobe.PPKLite\n/SubFilter /ETSI.CAdES.detached");
    sig.text("M", &pdf_date(req.signing_time))?;
    for (key, value) in [("Reason", &req.reason), ("Location", &req.location)] {
        if let Some(value) = value {
            sig.text(key, value)?;
        }
    }
    let (byte_range_at, contents_lt) = sig.write(&mut writer, sig_id)?;

    writer.write_object(appearance_id, &empty_appearance())?;

    let mut catalog = prev.catalog()?;
    let original_catalog = catalog.clone();
    let (acroform_id, mut acroform, mut fields) = current_acroform(&prev, &catalog, &mut writer)?;
    let mut field_names = field_names(&prev, &fields);
    let field_name = unique_name("Sigill", &field_names);
    field_names.push(field_name.clone());
    let widget = invisible_widget(&field_name, sig_id, page_id, appearance_id);
    writer.write_object(widget_id, &Object::Dictionary(widget))?;

    let mut page_ids = write_pages(
        &mut writer,
        prev.pages_root_id,
        req.page,
        Some(widget_id),
        Some(page_id),
        fonts,
    )?;
    page_ids.dedup();
    append_pages_to_root(&prev, &mut writer, &page_ids)?;
    fields.push(Object::Reference(widget_id));
    set_fields(&mut acroform, fields);
    writer.write_object(acroform_id, &Object::Dictionary(acroform.clone()))?;
    catalog.set("AcroForm", Object::Reference(acroform_id));
    if !req.attachments.is_empty() {
        catalog = attach(&prev, &mut writer, catalog, req)?;
    }
    if catalog != original_catalog {
        writer.write_object(prev.root_id, &Object::Dictionary(catalog.clone()))?;
    }
    let page = writer
        .written_dictionary(page_id)
        .cloned()
        .ok_or_else(|| PdfError::Unreadable("signature page not written".into()))?;
    let existing_dss = ltv::ExistingDss::read(&catalog, |o| prev.resolve(o))?;
    let (mut update1, after1) = writer.finish(&prev.revision)?;
    fill_byte_range(
        &mut update1,
        prev.revision.len,
        after1.len,
        byte_range_at,
        contents_lt,
    )?;
    Ok(Prepared {
        previous_len: prev.revision.len,
        chain,
        chain_der,
        update1,
        contents_lt,
        after1,
        catalog,
        acroform_id,
        acroform,
        page_id,
        page,
        appearance_id,
        field_names,
        existing_dss,
    })
}

/// The evidence files as associated files, and the PDF/A-3 claim they need when the input
/// claims PDF/A (with the document information's ModDate to match the XMP).
fn attach(
    prev: &PreviousRevision<'_>,
    writer: &mut UpdateWriter,
    catalog: Dictionary,
    req: &SealRequest<'_>,
) -> Result<Dictionary, PdfError> {
    let written = write_attachments(writer, req.attachments)?;
    let mut fetched = std::collections::BTreeMap::new();
    let mut catalog = loop {
        match catalog_with_attachments(&catalog, &written, &fetched)? {
            CatalogUpdate::Ready(updated) => break updated,
            CatalogUpdate::NeedObjects(ids) => {
                let before = fetched.len();
                for id in ids {
                    fetched.insert(id, prev.get_object(id)?);
                }
                if fetched.len() == before || fetched.len() > 10_000 {
                    return Err(PdfError::Unsupported(
                        "the embedded-files name tree does not resolve".into(),
                    ));
                }
            }
        }
    };
    let existing_xmp = match catalog.get(b"Metadata").map(|m| prev.resolve(m)) {
        Ok(Ok(Object::Stream(s))) => {
            match crate::pdf::decode_stream(&s, crate::pdf::MAX_DECODED_METADATA) {
                Ok(xmp) => Some(xmp),
                Err(e @ PdfError::StreamTooLarge { .. }) => return Err(e),
                // A filter we cannot apply: the packet as stored, as before.
                Err(_) => Some(s.content),
            }
        }
        _ => None,
    };
    match pdfa3_metadata(existing_xmp.as_deref(), req.signing_time)
        .map_err(|e| PdfError::Unsupported(e.to_string()))?
    {
        ArchiveMetadata::LeaveAlone => {}
        ArchiveMetadata::Replace { xmp, .. } => {
            let id = write_metadata(writer, &xmp)?;
            catalog.set("Metadata", Object::Reference(id));
            if let Some(Object::Reference(info_id)) = &prev.revision.info {
                if let Object::Dictionary(mut info) = prev.get_object(*info_id)? {
                    info.set("ModDate", text_string(&pdf_date(req.signing_time)));
                    writer.write_object(*info_id, &Object::Dictionary(info))?;
                }
            }
        }
    }
    Ok(catalog)
}

/// Sign, timestamp and write updates 1-3 after the original (already in `out` and `hashed`).
/// Returns the total length.
async fn complete(
    p: Prepared,
    hashed: Sha256,
    out: &mut impl Write,
    req: &SealRequest<'_>,
    signer: &dyn SealSigner,
) -> Result<u64, SealError> {
    let Prepared {
        previous_len: _,
        chain,
        chain_der,
        mut update1,
        contents_lt,
        after1,
        mut catalog,
        acroform_id,
        acroform,
        page_id,
        page,
        appearance_id,
        field_names,
        existing_dss,
    } = p;
    let leaf = &chain[0];
    let mut digest = hashed.clone();
    hash_outside_contents(&mut digest, &update1, contents_lt);
    let document_digest = digest.finalize();

    let attrs = cms_build::signed_attributes(&document_digest, leaf)
        .map_err(|e| SealError::Cms(e.to_string()))?;
    let message = attrs.to_der().map_err(|e| SealError::Cms(e.to_string()))?;
    let signature = signer.sign(&message).await?;
    let algorithm = signer.algorithm();
    let spki = leaf
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| SealError::InvalidCertificate(e.to_string()))?;
    let signature_ok = match algorithm {
        SealAlgorithm::EcdsaP256Sha256 => {
            crate::pdf::signed_data::verify_ecdsa_p256(&spki, &message, &signature)
        }
        SealAlgorithm::RsaPkcs1Sha256 => {
            crate::pdf::signed_data::verify_rsa_pkcs1_sha256(&spki, &message, &signature)
        }
    };
    if !signature_ok {
        return Err(SealError::SignatureMismatch);
    }
    let cms_algorithm = match algorithm {
        SealAlgorithm::EcdsaP256Sha256 => CmsSignatureAlgorithm::EcdsaP256Sha256,
        SealAlgorithm::RsaPkcs1Sha256 => CmsSignatureAlgorithm::RsaPkcs1Sha256,
    };
    // B-T: the signature timestamp over SHA-256 of the signature value (RFC 3161 app. A).
    // Check the size first so a too-large chain does not spend a timestamp.
    let mut tsa_certs: Vec<Vec<u8>> = Vec::new();
    let unsigned = match (req.level >= SealLevel::BT, req.timestamp) {
        (true, Some(source)) => {
            let without =
                cms_build::assemble(attrs.clone(), signature.clone(), cms_algorithm, &chain)
                    .map_err(|e| SealError::Cms(e.to_string()))?;
            check_fits(without.len())?;
            let imprint: [u8; 32] = Sha256::digest(&signature).into();
            let token = source.timestamp(imprint).await?;
            // Whatever the source is, never embed a token that is not over our signature.
            crate::pdf::timestamp::verify_token(&token, &imprint)?;
            tsa_certs = ltv::token_certificates(&token);
            Some(
                cms_build::signature_timestamp_attributes(&token)
                    .map_err(|e| SealError::Cms(e.to_string()))?,
            )
        }
        _ => None,
    };
    let cms_der =
        cms_build::assemble_with_unsigned(attrs, signature, cms_algorithm, &chain, unsigned)
            .map_err(|e| SealError::Cms(e.to_string()))?;
    fill_contents(&mut update1, contents_lt, &cms_der)?;
    out.write_all(&update1).map_err(io_error)?;
    let mut whole = hashed;
    whole.update(&update1);
    drop(update1);
    if req.level < SealLevel::BLT {
        out.flush().map_err(io_error)?;
        return Ok(after1.len);
    }

    // B-LT: the DSS, with what a validator needs for the seal's and the TSA's chains.
    let revocation = service(req.revocation, req.level, MissingService::Revocation)?;
    let tsa_chain = ltv::complete_chain(&tsa_certs, &chain_der);
    let (certs, data) = ltv::validation_data(revocation, &[chain_der, tsa_chain]).await?;
    let mut contents = cms_der;
    contents.resize(CONTENTS_RESERVED_BYTES, 0);
    let (update2, after2, _) = ltv::dss_update(
        &after1,
        &mut catalog,
        &existing_dss,
        &certs,
        &data,
        &contents,
    )?;
    out.write_all(&update2).map_err(io_error)?;
    whole.update(&update2);
    if req.level < SealLevel::BLTA {
        out.flush().map_err(io_error)?;
        return Ok(after2.len);
    }

    // B-LTA: a document timestamp over the whole file so far.
    let source = service(req.timestamp, req.level, MissingService::TimestampAuthority)?;
    let mut writer = UpdateWriter::after(&after2, 32 * 1024);
    let annots = match page.get(b"Annots") {
        Ok(Object::Array(a)) => a.clone(),
        _ => Vec::new(),
    };
    let fields = match acroform.get(b"Fields") {
        Ok(Object::Array(a)) => a.clone(),
        _ => Vec::new(),
    };
    let place = FieldPlace {
        page_id,
        page,
        annots,
        appearance_id,
        acroform_id,
        acroform,
        fields,
    };
    let field = doc_timestamp::write_field(&mut writer, place, &field_names)?;
    let (update3, after3, _) =
        doc_timestamp::finish_stamped(writer, &after2, field, whole, source).await?;
    out.write_all(&update3).map_err(io_error)?;
    out.flush().map_err(io_error)?;
    Ok(after3.len)
}

#[cfg(test)]
#[path = "seal_level_tests.rs"]
mod level_tests;
#[cfg(test)]
#[path = "seal_tests.rs"]
mod tests;
