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
use lopdf::{dictionary, Dictionary, Object, ObjectId, Stream};
use sha2::{Digest, Sha256};
use x509_cert::Certificate;

use super::attachments::{
    catalog_with_attachments, pdfa3_metadata, write_attachments, write_metadata, ArchiveMetadata,
    AttachedFile, CatalogUpdate,
};
use super::cms_build::{self, CmsSignatureAlgorithm};
use super::font::FontPair;
use super::ltv::{self, RevocationSource};
use super::page::{write_pages, JusteringPage};
use super::random_access::Source;
use super::timestamp::{TimestampError, TimestampSource};
use super::update::{
    append_pages_to_root, pdf_date, text_string, PreviousRevision, Revision, UpdateWriter,
};
use super::PdfError;
use crate::domain::SealLevel;

/// Bytes of DER reserved for the CMS (hex doubles it). Under PDF/A's 32,767-byte string limit.
pub const CONTENTS_RESERVED_BYTES: usize = 16 * 1024;
/// Width of the /ByteRange array placeholder: room for four offsets of 11+ digits.
const BYTE_RANGE_WIDTH: usize = 60;
/// The original is copied and hashed in chunks of this size: the whole memory it costs.
const COPY_CHUNK: usize = 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SealAlgorithm {
    EcdsaP256Sha256,
    RsaPkcs1Sha256,
}

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error(transparent)]
    Pdf(#[from] PdfError),
    #[error("the seal certificate chain is invalid: {0}")]
    InvalidCertificate(String),
    #[error("the seal signer failed: {0}")]
    Signer(String),
    #[error("the seal signature does not verify with the seal certificate")]
    SignatureMismatch,
    #[error("the signature ({needed} bytes) does not fit the reserved space ({reserved} bytes)")]
    ContentsOverflow { needed: usize, reserved: usize },
    #[error("building the CMS failed: {0}")]
    Cms(String),
    #[error(transparent)]
    Timestamp(#[from] TimestampError),
    #[error("{level} needs {missing}, which this installation does not have")]
    LevelUnavailable {
        level: &'static str,
        missing: MissingService,
    },
    #[error("revocation data could not be collected: {en}")]
    Revocation {
        code: std::borrow::Cow<'static, str>,
        sv: String,
        en: String,
    },
    #[error("reading or writing the document failed: {0}")]
    Io(String),
}

impl crate::error::ErrorText for SealError {
    fn code(&self) -> std::borrow::Cow<'static, str> {
        match self {
            SealError::Pdf(e) => e.code(),
            SealError::Timestamp(e) => e.code(),
            SealError::Revocation { code, .. } => code.clone(),
            SealError::InvalidCertificate(_) => "seal.invalid_certificate".into(),
            SealError::Signer(_) => "seal.signer_failed".into(),
            SealError::SignatureMismatch => "seal.signature_mismatch".into(),
            SealError::ContentsOverflow { .. } => "seal.contents_overflow".into(),
            SealError::Cms(_) => "seal.cms_failed".into(),
            SealError::LevelUnavailable { .. } => "seal.level_unavailable".into(),
            SealError::Io(_) => "seal.io_failed".into(),
        }
    }

    fn message_sv(&self) -> String {
        {
            match self {
                SealError::Pdf(e) => e.message_sv(),
                SealError::InvalidCertificate(d) => {
                    format!("Sigillets certifikatkedja är ogiltig: {d}")
                }
                SealError::Signer(d) => format!("Sigillnyckeln kunde inte signera: {d}"),
                SealError::SignatureMismatch => {
                    "Sigillets signatur stämmer inte med sigillcertifikatet.".into()
                }
                SealError::ContentsOverflow { needed, reserved } => format!(
                "Signaturen ({needed} byte) ryms inte i det reserverade utrymmet ({reserved} byte)."
            ),
                SealError::Cms(d) => format!("Signaturen kunde inte byggas: {d}"),
                SealError::Timestamp(e) => e.message_sv(),
                SealError::LevelUnavailable { level, missing } => format!(
                    "Nivån {level} kräver {}, som inte finns i den här installationen.",
                    missing.name_sv()
                ),
                SealError::Revocation { sv, .. } => sv.clone(),
                SealError::Io(d) => format!("Dokumentet kunde inte läsas eller skrivas: {d}"),
            }
        }
    }

    fn message_en(&self) -> String {
        match self {
            SealError::Pdf(e) => e.message_en(),
            SealError::Timestamp(e) => e.message_en(),
            other => other.to_string(),
        }
    }
}

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
    seal_with_fonts(original, req, signer, super::font::registered_fonts()).await
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
    let fonts = super::font::registered_fonts();
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
fn copy_and_hash(
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
        .map(|d| cms_build::parse_cert(d))
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

    // An empty appearance (allowed for invisible fields, and what PDF/A-1 wants).
    let appearance = Stream::new(
        dictionary! {
            "Type" => "XObject",
            "Subtype" => "Form",
            "BBox" => vec![0.into(), 0.into(), 0.into(), 0.into()],
        },
        Vec::new(),
    );
    writer.write_object(appearance_id, &Object::Stream(appearance))?;

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
        Ok(Ok(Object::Stream(s))) => Some(
            s.decompressed_content_with_limit(16 * 1024 * 1024)
                .unwrap_or(s.content),
        ),
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
        mut acroform,
        page_id,
        mut page,
        appearance_id,
        mut field_names,
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
            super::verify::verify_ecdsa_p256(&spki, &message, &signature)
        }
        SealAlgorithm::RsaPkcs1Sha256 => {
            super::verify::verify_rsa_pkcs1_sha256(&spki, &message, &signature)
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
            super::timestamp::verify_token(&token, &imprint)?;
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
    let mut data = revocation.collect(&chain_der).await?;
    if !tsa_chain.is_empty() {
        data.extend(revocation.collect(&tsa_chain).await?);
    }
    let mut certs = chain_der.clone();
    certs.extend(tsa_chain);
    certs.extend(std::mem::take(&mut data.extra_certs));
    let mut contents = cms_der;
    contents.resize(CONTENTS_RESERVED_BYTES, 0);
    let mut writer = UpdateWriter::after(&after1, 16 * 1024);
    let dss_id = ltv::write_dss(&mut writer, &existing_dss, &certs, &data, &contents)?;
    catalog.set("DSS", Object::Reference(dss_id));
    writer.write_object(after1.root_id, &Object::Dictionary(catalog))?;
    let (update2, after2) = writer.finish(&after1)?;
    out.write_all(&update2).map_err(io_error)?;
    whole.update(&update2);
    if req.level < SealLevel::BLTA {
        out.flush().map_err(io_error)?;
        return Ok(after2.len);
    }

    // B-LTA: a document timestamp over the whole file so far.
    let source = service(req.timestamp, req.level, MissingService::TimestampAuthority)?;
    let mut writer = UpdateWriter::after(&after2, 32 * 1024);
    let ts_id = writer.allocate_id();
    let ts_widget_id = writer.allocate_id();
    let (byte_range_at, contents_lt) = SigDictionary::new(
        b"/Type /DocTimeStamp\n/Filter /Adobe.PPKLite\n/SubFilter /ETSI.RFC3161",
    )
    .write(&mut writer, ts_id)?;
    let ts_name = unique_name("Dokumenttidsstampel", &field_names);
    field_names.push(ts_name.clone());
    let widget = invisible_widget(&ts_name, ts_id, page_id, appearance_id);
    writer.write_object(ts_widget_id, &Object::Dictionary(widget))?;
    let mut annots = match page.get(b"Annots") {
        Ok(Object::Array(a)) => a.clone(),
        _ => Vec::new(),
    };
    annots.push(Object::Reference(ts_widget_id));
    page.set("Annots", Object::Array(annots));
    writer.write_object(page_id, &Object::Dictionary(page))?;
    let mut fields = match acroform.get(b"Fields") {
        Ok(Object::Array(a)) => a.clone(),
        _ => Vec::new(),
    };
    fields.push(Object::Reference(ts_widget_id));
    set_fields(&mut acroform, fields);
    writer.write_object(acroform_id, &Object::Dictionary(acroform))?;
    let (mut update3, after3) = writer.finish(&after2)?;
    fill_byte_range(
        &mut update3,
        after2.len,
        after3.len,
        byte_range_at,
        contents_lt,
    )?;
    hash_outside_contents(&mut whole, &update3, contents_lt);
    let imprint: [u8; 32] = whole.finalize().into();
    let token = source.timestamp(imprint).await?;
    super::timestamp::verify_token(&token, &imprint)?;
    fill_contents(&mut update3, contents_lt, &token)?;
    out.write_all(&update3).map_err(io_error)?;
    out.flush().map_err(io_error)?;
    Ok(after3.len)
}

/// The bytes of /Contents, `<` to `>`, that a ByteRange leaves out.
fn contents_hole(contents_lt: usize) -> std::ops::Range<usize> {
    contents_lt..contents_lt + 2 + 2 * CONTENTS_RESERVED_BYTES
}

/// Hash an update but for its /Contents (the signed ranges within it).
fn hash_outside_contents(hasher: &mut Sha256, update: &[u8], contents_lt: usize) {
    let hole = contents_hole(contents_lt);
    hasher.update(&update[..hole.start]);
    hasher.update(&update[hole.end..]);
}

/// Write `der` as hex into the zeros of /Contents.
fn fill_contents(update: &mut [u8], contents_lt: usize, der: &[u8]) -> Result<(), SealError> {
    check_fits(der.len())?;
    let hex = hex::encode_upper(der);
    update[contents_lt + 1..contents_lt + 1 + hex.len()].copy_from_slice(hex.as_bytes());
    Ok(())
}

fn check_fits(needed: usize) -> Result<(), SealError> {
    if needed > CONTENTS_RESERVED_BYTES {
        return Err(SealError::ContentsOverflow {
            needed,
            reserved: CONTENTS_RESERVED_BYTES,
        });
    }
    Ok(())
}

/// A /Sig or /DocTimeStamp dictionary serialised by hand, so the offsets of its /ByteRange and
/// /Contents placeholders are known exactly.
struct SigDictionary {
    body: Vec<u8>,
}

impl SigDictionary {
    fn new(head: &[u8]) -> Self {
        let mut body = b"<<\n".to_vec();
        body.extend_from_slice(head);
        Self { body }
    }

    fn text(&mut self, key: &str, value: &str) -> Result<(), PdfError> {
        self.body.extend_from_slice(format!("\n/{key} ").as_bytes());
        lopdf::Writer::write_object(&mut self.body, &text_string(value))
            .map_err(|e| PdfError::Unreadable(e.to_string()))
    }

    /// Write it; returns the offsets in the update of the `[` of /ByteRange and the `<` of
    /// /Contents.
    fn write(
        mut self,
        writer: &mut UpdateWriter,
        id: ObjectId,
    ) -> Result<(usize, usize), PdfError> {
        self.body.extend_from_slice(b"\n/ByteRange ");
        let byte_range_rel = self.body.len();
        let mut placeholder = b"[0 0 0 0".to_vec();
        placeholder.resize(BYTE_RANGE_WIDTH - 1, b' ');
        placeholder.push(b']');
        self.body.extend_from_slice(&placeholder);
        self.body.extend_from_slice(b"\n/Contents ");
        let contents_rel = self.body.len();
        self.body.push(b'<');
        self.body
            .resize(self.body.len() + 2 * CONTENTS_RESERVED_BYTES, b'0');
        self.body.extend_from_slice(b">\n>>");
        let start = writer.write_raw_object(id, &self.body)?;
        Ok((start + byte_range_rel, start + contents_rel))
    }
}

/// Patch /ByteRange [0 a b c] in place, padded with spaces inside the brackets. `base` is the
/// file offset where `update` starts, `total` the file length after it.
fn fill_byte_range(
    update: &mut [u8],
    base: u64,
    total: u64,
    byte_range_at: usize,
    contents_lt: usize,
) -> Result<(), PdfError> {
    let hole = contents_hole(contents_lt);
    let (contents_start, contents_end) = (base + hole.start as u64, base + hole.end as u64);
    let byte_range = format!(
        "[0 {contents_start} {contents_end} {}",
        total - contents_end
    );
    if byte_range.len() + 1 > BYTE_RANGE_WIDTH {
        return Err(PdfError::TooLarge);
    }
    let mut field = byte_range.into_bytes();
    field.resize(BYTE_RANGE_WIDTH - 1, b' ');
    field.push(b']');
    update[byte_range_at..byte_range_at + BYTE_RANGE_WIDTH].copy_from_slice(&field);
    Ok(())
}

/// An invisible widget merged with its signature field.
fn invisible_widget(
    name: &str,
    value: ObjectId,
    page: ObjectId,
    appearance: ObjectId,
) -> Dictionary {
    dictionary! {
        "Type" => "Annot",
        "Subtype" => "Widget",
        "FT" => "Sig",
        "T" => text_string(name),
        "V" => Object::Reference(value),
        "F" => 132,
        "Rect" => vec![0.into(), 0.into(), 0.into(), 0.into()],
        "P" => Object::Reference(page),
        "AP" => dictionary! { "N" => Object::Reference(appearance) },
    }
}

/// The document's AcroForm as an indirect object (a new one when there is none or it sits
/// directly in the catalog), with its current /Fields.
fn current_acroform(
    prev: &PreviousRevision<'_>,
    catalog: &Dictionary,
    writer: &mut UpdateWriter,
) -> Result<(ObjectId, Dictionary, Vec<Object>), PdfError> {
    let (id, form) = match catalog.get(b"AcroForm") {
        Ok(Object::Reference(id)) => match prev.get_object(*id)? {
            Object::Dictionary(d) => (*id, d),
            _ => (writer.allocate_id(), Dictionary::new()),
        },
        Ok(Object::Dictionary(d)) => (writer.allocate_id(), d.clone()),
        _ => (writer.allocate_id(), Dictionary::new()),
    };
    let fields = match form.get(b"Fields").map(|f| prev.resolve(f)) {
        Ok(Ok(Object::Array(a))) => a,
        _ => Vec::new(),
    };
    Ok((id, form, fields))
}

/// /Fields and /SigFlags 3 (signatures exist, append only). PDF/A forbids NeedAppearances
/// true, and signed forms must not be regenerated by viewers.
fn set_fields(form: &mut Dictionary, fields: Vec<Object>) {
    form.set("Fields", Object::Array(fields));
    form.set("SigFlags", 3);
    form.remove(b"NeedAppearances");
}

/// Names of the top-level fields already in the document.
fn field_names(prev: &PreviousRevision<'_>, fields: &[Object]) -> Vec<String> {
    fields
        .iter()
        .filter_map(|f| prev.resolve(f).ok())
        .filter_map(|f| match f {
            Object::Dictionary(d) => d
                .get(b"T")
                .ok()
                .and_then(|t| t.as_str().ok())
                .map(super::update::decode_text_string),
            _ => None,
        })
        .collect()
}

/// "Sigill1", or the first "SigillN" not already used by a top-level field.
fn unique_name(stem: &str, taken: &[String]) -> String {
    (1..)
        .map(|n| format!("{stem}{n}"))
        .find(|name| !taken.contains(name))
        .unwrap_or_else(|| stem.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorText;
    use crate::pdf::test_support::*;
    use crate::pdf::verify::verify;
    use crate::pdf::RevocationSource;
    use std::path::Path;

    /// Every oracle must agree that all `expected` signatures are intact and trusted.
    fn assert_valid_everywhere(
        original: &[u8],
        sealed: &[u8],
        pki: &TestPki,
        expected: usize,
        dir: &Path,
    ) {
        assert!(
            sealed.starts_with(original),
            "original must be a byte-exact prefix"
        );
        let path = dir.join("sealed.pdf");
        std::fs::write(&path, sealed).unwrap();
        let root_pem = pki.write_root_pem(dir);

        let (code, out) = qpdf_check(&path);
        assert_eq!(code, 0, "qpdf --check: {out}");
        assert!(out.contains("No syntax or stream encoding errors"), "{out}");

        let (code, out) = pyhanko_validate(&path, &root_pem);
        let lines: Vec<&str> = out
            .lines()
            .filter(|l| l.contains(":INTACT:TRUSTED"))
            .collect();
        assert_eq!(lines.len(), expected, "pyhanko: {out}");
        assert!(
            lines[expected - 1].ends_with(",UNTOUCHED"),
            "pyhanko: {out}"
        );
        if expected == 1 {
            assert_eq!(code, 0, "pyhanko exit code: {out}");
        } else {
            // Appending a page after an earlier signature is a page-tree change that pyHanko's
            // diff policy calls ILLEGAL_MODIFICATIONS (known, inherent to the design); the
            // cryptographic checks must still pass without diff analysis.
            assert!(out.contains("ILLEGAL_MODIFICATIONS"), "pyhanko: {out}");
            let (code, out) = pyhanko_validate_with(&path, &root_pem, &["--no-diff-analysis"]);
            assert_eq!(code, 0, "pyhanko --no-diff-analysis: {out}");
            assert_eq!(
                out.matches(":INTACT:TRUSTED").count(),
                expected,
                "pyhanko: {out}"
            );
        }

        let out = pdfsig(&path);
        assert_eq!(
            out.matches("Signature is Valid.").count(),
            expected,
            "pdfsig: {out}"
        );
        assert!(!out.contains("Digest Mismatch"), "pdfsig: {out}");

        let report = verify(sealed, std::slice::from_ref(&pki.root.cert_der)).unwrap();
        assert_eq!(report.signatures.len(), expected, "{report:?}");
        assert!(report.all_intact());
        for sig in &report.signatures {
            assert!(sig.signature_valid && sig.covers_whole_revision, "{sig:?}");
        }
        let ours = report.signatures.last().unwrap();
        assert!(ours.trusted, "{ours:?}");
        assert_eq!(ours.level, "PAdES-B-B", "{ours:?}");
        assert_eq!(ours.sub_filter, "ETSI.CAdES.detached");
        assert!(
            ours.signer_subject.contains("Örebro kommun"),
            "{}",
            ours.signer_subject
        );
        assert!(ours.problems.is_empty(), "{:?}", ours.problems);
        // Not trusted against a foreign root.
        let other =
            esign_world::pki::CertificateAuthority::create_root("Annan", "Annan", now()).unwrap();
        let report = verify(sealed, std::slice::from_ref(&other.cert_der)).unwrap();
        assert!(!report.signatures.last().unwrap().trusted);
    }

    fn assert_tamper_detected(sealed: &[u8], pki: &TestPki, dir: &Path) {
        // Flip a byte inside the first signed range (in the original's page content region).
        let mut tampered = sealed.to_vec();
        let pos = tampered.len() / 3;
        tampered[pos] ^= 0x01;
        let report = verify(&tampered, std::slice::from_ref(&pki.root.cert_der)).unwrap();
        assert!(!report.signatures.iter().any(|s| s.intact), "{report:?}");
        let path = dir.join("tampered.pdf");
        std::fs::write(&path, &tampered).unwrap();
        let (code, out) = pyhanko_validate(&path, &pki.write_root_pem(dir));
        assert_ne!(code, 0, "{out}");
        assert!(
            !out.contains(":INTACT:"),
            "pyhanko still says intact: {out}"
        );
        let out = pdfsig(&path);
        assert!(!out.contains("Signature is Valid."), "{out}");
    }

    #[tokio::test]
    async fn sealed_fixture_is_valid_for_every_oracle_and_tamper_is_seen() {
        let dir = temp_dir("seal-fixture");
        let pki = TestPki::new();
        let original = fixture(FIXTURE_2B);
        let sealed = seal_b_b(&original, &pki.signer).await;
        assert_valid_everywhere(&original, &sealed, &pki, 1, &dir);
        // Classic table after a classic table, /ID kept, /Prev set.
        let update = &sealed[original.len()..];
        let text = String::from_utf8_lossy(update);
        assert!(
            text.contains("\nxref\n") && text.contains("/Prev"),
            "{}",
            &text[text.len() - 400..]
        );
        assert!(!text.contains("%PDF-"));
        assert_eq!(page_count(&dir.join("sealed.pdf")), 23);
        assert!(pdftotext(&dir.join("sealed.pdf")).contains("Åsa Öberg"));
        assert_tamper_detected(&sealed, &pki, &dir);
        let _ = std::fs::remove_dir_all(dir);
    }

    /// With embedded fonts the archive version of a PDF/A-2b input stays PDF/A-2b
    /// (page-validation); with the default Helvetica it does not (font not embedded).
    #[tokio::test]
    async fn embedded_fonts_keep_pdfa_2b() {
        let dir = temp_dir("seal-pdfa");
        let pki = TestPki::new();
        let original = fixture(FIXTURE_2B);
        let original_path = dir.join("original.pdf");
        std::fs::write(&original_path, &original).unwrap();
        let (compliant, report) = pdfa_2b_failures(&original_path);
        assert!(compliant, "fixture should be PDF/A-2b: {report}");

        let fonts = test_fonts();
        let page = sample_page("Justerat digitalt – arkivexemplar");
        let request = || SealRequest {
            page: &page,
            signing_time: now(),
            reason: None,
            location: None,
            timestamp: None,
            level: crate::domain::SealLevel::BB,
            revocation: None,
            attachments: &[],
        };
        let sealed = seal_with_fonts(&original, request(), &pki.signer, Some(&fonts))
            .await
            .unwrap();
        assert_valid_everywhere(&original, &sealed, &pki, 1, &dir);
        let path = dir.join("sealed.pdf");
        let (compliant, report) = pdfa_2b_failures(&path);
        assert!(compliant, "sealed with embedded fonts: {report}");
        assert!(pdftotext(&path).contains("Åsa Öberg"));

        let helvetica = seal_with_fonts(&original, request(), &pki.signer, None)
            .await
            .unwrap();
        let path = dir.join("helvetica.pdf");
        std::fs::write(&path, &helvetica).unwrap();
        let (compliant, report) = pdfa_2b_failures(&path);
        assert!(!compliant && report.contains("FONT-EMBEDDING"), "{report}");

        let published =
            crate::pdf::publication::publication_version_with_fonts(&original, &page, Some(&fonts))
                .unwrap();
        let path = dir.join("published.pdf");
        std::fs::write(&path, &published).unwrap();
        let (compliant, report) = pdfa_2b_failures(&path);
        assert!(compliant, "publication with embedded fonts: {report}");
        // ESIGN_KEEP_OUTPUT=1 keeps the files for a look (e.g. pdftoppm).
        if std::env::var("ESIGN_KEEP_OUTPUT").is_ok() {
            eprintln!("outputs kept in {}", dir.display());
        } else {
            let _ = std::fs::remove_dir_all(dir);
        }
    }

    #[tokio::test]
    async fn xref_stream_input_gets_an_xref_stream_update() {
        let dir = temp_dir("seal-xrefstm");
        let pki = TestPki::new();
        let original = qpdf_transform(&fixture(FIXTURE_1B), &["--object-streams=generate"]);
        let sealed = seal_b_b(&original, &pki.signer).await;
        assert_valid_everywhere(&original, &sealed, &pki, 1, &dir);
        let update = String::from_utf8_lossy(&sealed[original.len()..]).into_owned();
        assert!(update.contains("/XRef") && !update.contains("\nxref\n"));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn linearized_input_is_sealed() {
        let dir = temp_dir("seal-linearized");
        let pki = TestPki::new();
        let original = qpdf_transform(&fixture(FIXTURE_2B), &["--linearize"]);
        let sealed = seal_b_b(&original, &pki.signer).await;
        assert_valid_everywhere(&original, &sealed, &pki, 1, &dir);
        assert_eq!(page_count(&dir.join("sealed.pdf")), 23);
        let _ = std::fs::remove_dir_all(dir);
    }

    /// Offsets above 100,000,000 (pyHanko #336 broke there): a 110 MB input.
    #[tokio::test]
    async fn large_input_gets_wide_byte_range() {
        let dir = temp_dir("seal-large");
        let pki = TestPki::new();
        let filler = "0123456789ABCDEF".repeat(110 * 1024 * 1024 / 16);
        let big_object = format!(
            "<< /Length {} >>\nstream\n{filler}\nendstream",
            filler.len()
        );
        let original = tiny_pdf("", &[&big_object]);
        let sealed = seal_b_b(&original, &pki.signer).await;
        assert_valid_everywhere(&original, &sealed, &pki, 1, &dir);
        let report = verify(&sealed, std::slice::from_ref(&pki.root.cert_der)).unwrap();
        assert!(report.signatures[0].covers_whole_revision);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn existing_form_fields_are_kept() {
        let dir = temp_dir("seal-form");
        let pki = TestPki::new();
        let original = tiny_pdf(
            "/AcroForm << /Fields [7 0 R] /NeedAppearances true /DA (/Helv 0 Tf 0 g) >>",
            &["<< /FT /Tx /T (Diarienummer) /V (KS 2026/123) >>"],
        );
        let sealed = seal_b_b(&original, &pki.signer).await;
        assert_valid_everywhere(&original, &sealed, &pki, 1, &dir);
        let doc = crate::pdf::update::load_document(&sealed).unwrap();
        // The seal moves a direct AcroForm into an object of its own, so later updates (the
        // document timestamp) can extend it without a new catalog.
        let form = doc
            .dereference(doc.catalog().unwrap().get(b"AcroForm").unwrap())
            .unwrap()
            .1
            .as_dict()
            .unwrap();
        let fields = form.get(b"Fields").unwrap().as_array().unwrap();
        assert_eq!(fields.len(), 2);
        assert_eq!(fields[0].as_reference().unwrap(), (7, 0));
        assert!(form.has(b"DA") && !form.has(b"NeedAppearances"));
        assert_eq!(form.get(b"SigFlags").unwrap().as_i64().unwrap(), 3);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn sealing_twice_keeps_the_first_signature_valid() {
        let dir = temp_dir("seal-twice");
        let pki = TestPki::new();
        let original = tiny_pdf("", &[]);
        let once = seal_b_b(&original, &pki.signer).await;
        let twice = seal_b_b(&once, &pki.signer).await;
        assert_valid_everywhere(&once, &twice, &pki, 2, &dir);
        let report = verify(&twice, std::slice::from_ref(&pki.root.cert_der)).unwrap();
        let names: Vec<_> = report
            .signatures
            .iter()
            .map(|s| s.field_name.as_str())
            .collect();
        assert_eq!(names, ["Sigill1", "Sigill2"]);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn input_signed_by_pyhanko_keeps_its_signature_and_field() {
        let dir = temp_dir("seal-pyhanko");
        let pki = TestPki::new();
        let input = dir.join("input.pdf");
        std::fs::write(&input, fixture(FIXTURE_2B)).unwrap();
        let (key, cert, chain) = pki.write_signer_pems(&dir);
        let presigned = dir.join("presigned.pdf");
        let out = run(
            &pyhanko(),
            &[
                "sign",
                "addsig",
                "--field",
                "BankID1",
                "pemder",
                "--key",
                key.to_str().unwrap(),
                "--cert",
                cert.to_str().unwrap(),
                "--chain",
                chain.to_str().unwrap(),
                "--no-pass",
                input.to_str().unwrap(),
                presigned.to_str().unwrap(),
            ],
        );
        assert!(
            out.status.success(),
            "pyhanko addsig: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let original = std::fs::read(&presigned).unwrap();
        let facts = crate::pdf::intake::inspect(&original, &Default::default()).unwrap();
        assert_eq!(facts.existing_signatures, 1);
        let sealed = seal_b_b(&original, &pki.signer).await;
        assert_valid_everywhere(&original, &sealed, &pki, 2, &dir);
        let report = verify(&sealed, std::slice::from_ref(&pki.root.cert_der)).unwrap();
        assert_eq!(report.signatures[0].field_name, "BankID1");
        let theirs = &report.signatures[0];
        assert!(
            theirs.intact && theirs.signature_valid && theirs.trusted,
            "{theirs:?}"
        );
        assert_eq!(report.signatures[1].field_name, "Sigill1");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn seal_future_is_send() {
        fn assert_send<T: Send>(_: &T) {}
        let pki = TestPki::new();
        let page = sample_page("x");
        let original = tiny_pdf("", &[]);
        let future = seal(
            &original,
            SealRequest {
                page: &page,
                signing_time: now(),
                reason: None,
                location: None,
                timestamp: None,
                level: crate::domain::SealLevel::BB,
                revocation: None,
                attachments: &[],
            },
            &pki.signer,
        );
        assert_send(&future);
    }

    #[tokio::test]
    async fn cms_is_baseline_b_according_to_openssl() {
        use der::{Decode, Encode};
        let dir = temp_dir("seal-openssl");
        let pki = TestPki::new();
        let original = tiny_pdf("", &[]);
        let sealed = seal_b_b(&original, &pki.signer).await;
        let doc = crate::pdf::update::load_document(&sealed).unwrap();
        let fields = crate::pdf::verify::signature_fields(&doc);
        let (_, sig) = &fields[0];
        let contents = sig.get(b"Contents").unwrap().as_str().unwrap();
        let der_only = der::Any::decode(&mut der::SliceReader::new(contents).unwrap())
            .unwrap()
            .to_der()
            .unwrap();
        assert!(der_only.len() < CONTENTS_RESERVED_BYTES);
        let range: Vec<usize> = sig
            .get(b"ByteRange")
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o.as_i64().unwrap() as usize)
            .collect();
        let mut signed = sealed[range[0]..range[0] + range[1]].to_vec();
        signed.extend_from_slice(&sealed[range[2]..range[2] + range[3]]);
        assert_eq!(range[2] + range[3], sealed.len());
        std::fs::write(dir.join("sig.der"), &der_only).unwrap();
        std::fs::write(dir.join("content.bin"), &signed).unwrap();
        std::fs::write(
            dir.join("sub.pem"),
            crate::x509::pem_encode_cert(&pki.chain[1]),
        )
        .unwrap();
        let root = pki.write_root_pem(&dir);
        let p = |name: &str| dir.join(name).to_str().unwrap().to_string();
        let openssl = tool("ESIGN_OPENSSL", "openssl");
        let out = run(
            &openssl,
            &[
                "cms",
                "-verify",
                "-binary",
                "-inform",
                "DER",
                "-in",
                &p("sig.der"),
                "-content",
                &p("content.bin"),
                "-CAfile",
                root.to_str().unwrap(),
                "-purpose",
                "any",
                "-out",
                "/dev/null",
            ],
        );
        let text = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && text.contains("Verification successful"),
            "{text}"
        );
        // Tampered content must fail.
        signed[100] ^= 1;
        std::fs::write(dir.join("content.bin"), &signed).unwrap();
        let out = run(
            &openssl,
            &[
                "cms",
                "-verify",
                "-binary",
                "-inform",
                "DER",
                "-in",
                &p("sig.der"),
                "-content",
                &p("content.bin"),
                "-CAfile",
                root.to_str().unwrap(),
                "-purpose",
                "any",
                "-out",
                "/dev/null",
            ],
        );
        assert!(!out.status.success());
        let out = run(
            &openssl,
            &[
                "cms",
                "-cmsout",
                "-print",
                "-inform",
                "DER",
                "-in",
                &p("sig.der"),
            ],
        );
        let printed = String::from_utf8_lossy(&out.stdout);
        assert!(printed.contains("signingCertificateV2"), "{printed}");
        assert!(
            printed.contains("messageDigest") && printed.contains("contentType"),
            "{printed}"
        );
        assert!(!printed.contains("signingTime"), "{printed}");
        assert!(printed.contains("ecdsa-with-SHA256"), "{printed}");
        assert!(printed.contains("eContent: <ABSENT>"), "{printed}");
        let _ = std::fs::remove_dir_all(dir);
    }

    /// A KMS-like RSA PKCS#1 v1.5 signer, to exercise the RSA path end to end.
    struct RsaTestSigner {
        key: rsa::pkcs1v15::SigningKey<sha2::Sha256>,
        chain: Vec<Vec<u8>>,
    }

    #[async_trait::async_trait]
    impl SealSigner for RsaTestSigner {
        fn certificate_chain_der(&self) -> Vec<Vec<u8>> {
            self.chain.clone()
        }
        fn algorithm(&self) -> SealAlgorithm {
            SealAlgorithm::RsaPkcs1Sha256
        }
        async fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SealError> {
            use signature::{SignatureEncoding, Signer};
            Ok(self
                .key
                .try_sign(message)
                .map_err(|e| SealError::Signer(e.to_string()))?
                .to_vec())
        }
    }

    #[tokio::test]
    async fn rsa_seal_validates_everywhere() {
        use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
        let dir = temp_dir("seal-rsa");
        let key_path = dir.join("rsa.pem");
        // openssl makes the key quickly; RSA key generation in a debug build is slow.
        let out = run(
            &tool("ESIGN_OPENSSL", "openssl"),
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                key_path.to_str().unwrap(),
            ],
        );
        assert!(out.status.success());
        let private =
            rsa::RsaPrivateKey::from_pkcs8_pem(&std::fs::read_to_string(&key_path).unwrap())
                .unwrap();
        let spki = private.to_public_key().to_public_key_der().unwrap();
        let mut pki = TestPki::new();
        let ca = esign_world::pki::CertificateAuthority::from_parts(
            pki.root.cert_der.clone(),
            &pki.root.key_pkcs8_der(),
        )
        .unwrap();
        let cert = ca
            .issue_seal_cert(
                &esign_world::pki::SubjectName {
                    common_name: "RSA-sigill".into(),
                    organization: "Örebro kommun".into(),
                    organization_identifier: None,
                    country: "SE".into(),
                },
                spki.as_bytes(),
                now(),
            )
            .unwrap();
        let signer = RsaTestSigner {
            key: rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(private),
            chain: vec![cert.clone()],
        };
        pki.chain = vec![cert];
        let original = fixture(FIXTURE_2B);
        let page = sample_page("Justerat digitalt");
        let sealed = seal(
            &original,
            SealRequest {
                page: &page,
                signing_time: now(),
                reason: None,
                location: None,
                timestamp: None,
                level: crate::domain::SealLevel::BB,
                revocation: None,
                attachments: &[],
            },
            &signer,
        )
        .await
        .unwrap();
        assert_valid_everywhere(&original, &sealed, &pki, 1, &dir);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn certified_input_is_refused() {
        let dir = temp_dir("seal-certified");
        let pki = TestPki::new();
        let input = dir.join("input.pdf");
        std::fs::write(&input, tiny_pdf("", &[])).unwrap();
        let (key, cert, chain) = pki.write_signer_pems(&dir);
        let certified = dir.join("certified.pdf");
        let out = run(
            &pyhanko(),
            &[
                "sign",
                "addsig",
                "--field",
                "Cert1",
                "--certify",
                "pemder",
                "--key",
                key.to_str().unwrap(),
                "--cert",
                cert.to_str().unwrap(),
                "--chain",
                chain.to_str().unwrap(),
                "--no-pass",
                input.to_str().unwrap(),
                certified.to_str().unwrap(),
            ],
        );
        assert!(
            out.status.success(),
            "pyhanko: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let original = std::fs::read(&certified).unwrap();
        let intake = crate::pdf::intake::inspect(&original, &Default::default()).unwrap_err();
        assert_eq!(intake.code(), "pdf.certified");
        let page = sample_page("x");
        let err = seal(
            &original,
            SealRequest {
                page: &page,
                signing_time: now(),
                reason: None,
                location: None,
                timestamp: None,
                level: crate::domain::SealLevel::BB,
                revocation: None,
                attachments: &[],
            },
            &pki.signer,
        )
        .await
        .unwrap_err();
        assert_eq!(err.code(), "pdf.certified", "{err}");
        let err = crate::pdf::publication_version(&original, &page).unwrap_err();
        assert_eq!(err.code(), "pdf.certified");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn oversized_chain_is_a_clear_error() {
        let pki = TestPki::new();
        let mut chain = pki.chain.clone();
        for i in 0..40 {
            let ca = esign_world::pki::CertificateAuthority::create_root(
                &format!("Fyllnad {i}"),
                "Org",
                now(),
            )
            .unwrap();
            chain.push(ca.cert_der);
        }
        let signer =
            crate::pdf::SoftwareSealSigner::from_pkcs8_der(&pki.seal_key_pkcs8_der, chain).unwrap();
        let page = sample_page("x");
        let err = seal(
            &tiny_pdf("", &[]),
            SealRequest {
                page: &page,
                signing_time: now(),
                reason: None,
                location: None,
                timestamp: None,
                level: crate::domain::SealLevel::BB,
                revocation: None,
                attachments: &[],
            },
            &signer,
        )
        .await
        .unwrap_err();
        assert_eq!(err.code(), "seal.contents_overflow", "{err}");
    }

    #[tokio::test]
    async fn key_not_matching_the_certificate_is_refused() {
        let pki = TestPki::new();
        let other = TestPki::new();
        let signer = crate::pdf::SoftwareSealSigner::from_pkcs8_der(
            &other.seal_key_pkcs8_der,
            pki.chain.clone(),
        )
        .unwrap();
        let page = sample_page("x");
        let err = seal(
            &tiny_pdf("", &[]),
            SealRequest {
                page: &page,
                signing_time: now(),
                reason: None,
                location: None,
                timestamp: None,
                level: crate::domain::SealLevel::BB,
                revocation: None,
                attachments: &[],
            },
            &signer,
        )
        .await
        .unwrap_err();
        assert_eq!(err.code(), "seal.signature_mismatch");
    }

    #[tokio::test]
    async fn encrypted_or_garbage_input_is_refused_not_panicking() {
        let pki = TestPki::new();
        let page = sample_page("x");
        for input in [
            b"not a pdf".to_vec(),
            qpdf_transform(&tiny_pdf("", &[]), &["--encrypt", "u", "o", "256", "--"]),
        ] {
            let result = seal(
                &input,
                SealRequest {
                    page: &page,
                    signing_time: now(),
                    reason: None,
                    location: None,
                    timestamp: None,
                    level: crate::domain::SealLevel::BB,
                    revocation: None,
                    attachments: &[],
                },
                &pki.signer,
            )
            .await;
            assert!(result.is_err());
        }
    }

    /// The signature timestamp token and the signature value it covers, from the seal's CMS.
    fn signature_timestamp_of(sealed: &[u8]) -> (Vec<u8>, Vec<u8>) {
        use der::Encode;
        let doc = crate::pdf::update::load_document(sealed).unwrap();
        let fields = crate::pdf::verify::signature_fields(&doc);
        let (_, sig) = fields.last().unwrap();
        let contents = sig.get(b"Contents").unwrap().as_str().unwrap();
        let signed_data = cms_build::parse_signed_data(contents).unwrap();
        let signer_info = signed_data.signer_infos.0.iter().next().unwrap();
        let tokens = cms_build::attribute_value(
            signer_info
                .unsigned_attrs
                .as_ref()
                .expect("unsigned attributes"),
            cms_build::ID_AA_SIGNATURE_TIME_STAMP_TOKEN,
        );
        assert_eq!(tokens.len(), 1);
        (
            tokens[0].to_der().unwrap(),
            signer_info.signature.as_bytes().to_vec(),
        )
    }

    async fn seal_b_t(original: &[u8], pki: &TestPki, source: &dyn TimestampSource) -> Vec<u8> {
        let page = sample_page("Justerat digitalt – arkivexemplar");
        seal(
            original,
            SealRequest {
                page: &page,
                signing_time: now(),
                reason: Some("Arkivexemplar fastställt".into()),
                location: Some("Örebro".into()),
                timestamp: Some(source),
                level: crate::domain::SealLevel::BT,
                revocation: None,
                attachments: &[],
            },
            &pki.signer,
        )
        .await
        .expect("B-T seal")
    }

    #[tokio::test]
    async fn b_t_seal_with_local_tsa_over_http_validates_everywhere() {
        let dir = temp_dir("seal-b-t");
        let pki = TestPki::new();
        let tsa = std::sync::Arc::new(test_tsa(&pki).0);
        let url = serve(esign_world::tsa::router(tsa.clone())).await;
        let client = crate::pdf::timestamp::HttpTimestampClient::new(format!("{url}/tsa")).unwrap();
        let original = fixture(FIXTURE_2B);
        let before = chrono::Utc::now() - chrono::Duration::seconds(2);
        let sealed = seal_b_t(&original, &pki, &client).await;
        assert!(
            sealed.starts_with(&original),
            "original must be a byte-exact prefix"
        );
        let path = dir.join("sealed.pdf");
        std::fs::write(&path, &sealed).unwrap();
        let root_pem = pki.write_root_pem(&dir);

        let (code, out) = qpdf_check(&path);
        assert_eq!(code, 0, "qpdf --check: {out}");
        assert!(out.contains("No syntax or stream encoding errors"), "{out}");

        let (code, out) = pyhanko_validate(&path, &root_pem);
        assert_eq!(code, 0, "pyhanko: {out}");
        assert!(
            out.contains(":INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>,UNTOUCHED"),
            "pyhanko: {out}"
        );
        let (code, pretty) = pyhanko_validate_with(&path, &root_pem, &["--pretty-print"]);
        assert_eq!(code, 0, "pyhanko --pretty-print: {pretty}");
        assert!(
            pretty.contains("The signature is judged VALID"),
            "pyhanko --pretty-print: {pretty}"
        );
        // pyHanko reads the same genTime as our verify, and trusts the TSA.
        let report = verify(&sealed, std::slice::from_ref(&pki.root.cert_der)).unwrap();
        let gen_time = report.signatures[0]
            .timestamp_time
            .clone()
            .expect("genTime");
        for expected in [
            format!("Signature timestamp token: {gen_time}"),
            "The timestamp token is cryptographically sound.".to_string(),
            "TSA certificate subject: \"Common Name: Test-TSA Örebro".to_string(),
            "The TSA certificate is trusted.".to_string(),
        ] {
            assert!(
                pretty.contains(&expected),
                "{expected} not in pyhanko: {pretty}"
            );
        }

        let out = pdfsig(&path);
        assert_eq!(
            out.matches("Signature is Valid.").count(),
            1,
            "pdfsig: {out}"
        );
        assert!(!out.contains("Digest Mismatch"), "pdfsig: {out}");

        // openssl's TS verifier accepts the embedded token over our signature value.
        let (token, signature) = signature_timestamp_of(&sealed);
        std::fs::write(dir.join("token.der"), &token).unwrap();
        std::fs::write(dir.join("signature.bin"), &signature).unwrap();
        let tsa_pem = dir.join("tsa.pem");
        std::fs::write(
            &tsa_pem,
            crate::x509::pem_encode_cert(&tsa.certificate_chain_der()[0]),
        )
        .unwrap();
        let ts_verify = |data: &str| {
            let out = run(
                &tool("ESIGN_OPENSSL", "openssl"),
                &[
                    "ts",
                    "-verify",
                    "-data",
                    data,
                    "-in",
                    dir.join("token.der").to_str().unwrap(),
                    "-token_in",
                    "-CAfile",
                    root_pem.to_str().unwrap(),
                    "-untrusted",
                    tsa_pem.to_str().unwrap(),
                ],
            );
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr)
        };
        let text = ts_verify(dir.join("signature.bin").to_str().unwrap());
        assert!(
            text.contains("Verification: OK"),
            "openssl ts -verify: {text}"
        );
        std::fs::write(dir.join("other.bin"), b"not the signature").unwrap();
        let text = ts_verify(dir.join("other.bin").to_str().unwrap());
        assert!(
            !text.contains("Verification: OK"),
            "openssl ts -verify: {text}"
        );

        let report = verify(&sealed, std::slice::from_ref(&pki.root.cert_der)).unwrap();
        assert_eq!(report.signatures.len(), 1);
        let ours = &report.signatures[0];
        assert!(
            ours.intact && ours.signature_valid && ours.trusted,
            "{ours:?}"
        );
        assert_eq!(ours.level, "PAdES-B-T", "{ours:?}");
        assert!(ours.problems.is_empty(), "{:?}", ours.problems);
        let at =
            chrono::DateTime::parse_from_rfc3339(ours.timestamp_time.as_deref().unwrap()).unwrap();
        assert!(at >= before && at <= chrono::Utc::now(), "{at}");
        assert!(ours
            .timestamp_authority
            .as_deref()
            .unwrap()
            .contains("Test-TSA"));
        assert_eq!(ours.higher_level_missing, ["PAdES-B-LT: no DSS"]);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn b_t_seal_with_openssl_tsa_validates_in_pyhanko() {
        let dir = temp_dir("seal-b-t-openssl");
        let pki = TestPki::new();
        let (url, _tsa_pem) = esign_world::testkit::serve_openssl_tsa(&pki.root, &dir).await;
        let client = crate::pdf::timestamp::HttpTimestampClient::new(format!("{url}/tsa")).unwrap();
        let original = tiny_pdf("", &[]);
        let sealed = seal_b_t(&original, &pki, &client).await;
        assert!(sealed.starts_with(&original));
        let path = dir.join("sealed.pdf");
        std::fs::write(&path, &sealed).unwrap();
        let (code, out) = pyhanko_validate(&path, &pki.write_root_pem(&dir));
        assert_eq!(code, 0, "pyhanko: {out}");
        assert!(
            out.contains("TIMESTAMP_TOKEN<INTACT:TRUSTED>"),
            "pyhanko: {out}"
        );
        let report = verify(&sealed, std::slice::from_ref(&pki.root.cert_der)).unwrap();
        assert_eq!(report.signatures[0].level, "PAdES-B-T", "{report:?}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn untrusted_or_missing_timestamp_stays_b_b_and_says_why() {
        let dir = temp_dir("seal-b-t-untrusted");
        let pki = TestPki::new();
        // A TSA from another PKI: the token is intact, but its chain reaches no trust anchor.
        let foreign = test_tsa(&TestPki::new());
        let original = tiny_pdf("", &[]);
        let sealed = seal_b_t(&original, &pki, &foreign).await;
        let report = verify(&sealed, std::slice::from_ref(&pki.root.cert_der)).unwrap();
        let ours = &report.signatures[0];
        assert!(
            ours.intact && ours.signature_valid && ours.trusted,
            "{ours:?}"
        );
        assert_eq!(ours.level, "PAdES-B-B", "{ours:?}");
        assert!(ours.timestamp_time.is_none());
        assert!(
            ours.higher_level_missing[0].starts_with("PAdES-B-T: signature timestamp not trusted"),
            "{ours:?}"
        );
        let path = dir.join("sealed.pdf");
        std::fs::write(&path, &sealed).unwrap();
        let (_, out) = pyhanko_validate(&path, &pki.write_root_pem(&dir));
        assert!(
            out.contains("TIMESTAMP_TOKEN<INTACT:UNTRUSTED>"),
            "pyhanko: {out}"
        );

        // A B-B seal says B-T is missing for want of a timestamp.
        let plain = seal_b_b(&original, &pki.signer).await;
        let report = verify(&plain, std::slice::from_ref(&pki.root.cert_der)).unwrap();
        assert_eq!(
            report.signatures[0].higher_level_missing,
            ["PAdES-B-T: no signature timestamp"]
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    /// A source that returns a valid token over another digest: the seal refuses to embed it.
    struct WrongDigestSource(crate::pdf::test_support::TestTsa);

    #[async_trait::async_trait]
    impl TimestampSource for WrongDigestSource {
        async fn timestamp(&self, _digest: [u8; 32]) -> Result<Vec<u8>, TimestampError> {
            self.0.timestamp([0xAB; 32]).await
        }
    }

    #[tokio::test]
    async fn a_token_over_another_digest_is_not_embedded() {
        let pki = TestPki::new();
        let source = WrongDigestSource(test_tsa(&pki));
        let page = sample_page("x");
        let err = seal(
            &tiny_pdf("", &[]),
            SealRequest {
                page: &page,
                signing_time: now(),
                reason: None,
                location: None,
                timestamp: Some(&source),
                level: crate::domain::SealLevel::BT,
                revocation: None,
                attachments: &[],
            },
            &pki.signer,
        )
        .await
        .unwrap_err();
        assert_eq!(err.code(), "timestamp.imprint_mismatch", "{err}");
    }

    #[test]
    fn b_t_seal_future_is_send() {
        fn assert_send<T: Send>(_: &T) {}
        let pki = TestPki::new();
        let tsa = test_tsa(&pki);
        let page = sample_page("x");
        let original = tiny_pdf("", &[]);
        let future = seal(
            &original,
            SealRequest {
                page: &page,
                signing_time: now(),
                reason: None,
                location: None,
                timestamp: Some(&tsa),
                level: crate::domain::SealLevel::BT,
                revocation: None,
                attachments: &[],
            },
            &pki.signer,
        );
        assert_send(&future);
    }

    async fn seal_at(
        original: &[u8],
        pki: &TestPki,
        level: SealLevel,
        tsa: &dyn TimestampSource,
        revocation: &dyn RevocationSource,
    ) -> Result<Vec<u8>, SealError> {
        let page = sample_page("Justerat digitalt – arkivexemplar");
        seal(
            original,
            SealRequest {
                page: &page,
                signing_time: now(),
                reason: Some("Arkivexemplar fastställt".into()),
                location: None,
                level,
                timestamp: Some(tsa),
                revocation: Some(revocation),
                attachments: &[],
            },
            &pki.signer,
        )
        .await
    }

    #[tokio::test]
    async fn b_lta_is_valid_long_term_for_pyhanko_and_valid_for_pdfsig_and_qpdf() {
        let dir = temp_dir("seal-lta");
        let pki = TestPki::new();
        let tsa = test_tsa(&pki);
        let (revocation, _) = test_revocation(&pki);
        let original = fixture(FIXTURE_2B);
        let sealed = seal_at(&original, &pki, SealLevel::BLTA, &tsa, &revocation)
            .await
            .unwrap();
        assert!(
            sealed.starts_with(&original),
            "the original is a byte-exact prefix"
        );
        let path = dir.join("lta.pdf");
        std::fs::write(&path, &sealed).unwrap();
        let root_pem = pki.write_root_pem(&dir);

        let (code, out) = qpdf_check(&path);
        assert_eq!(code, 0, "qpdf --check: {out}");
        let (code, out) = pyhanko_validate(&path, &root_pem);
        assert_eq!(code, 0, "pyhanko: {out}");
        assert!(
            out.lines().any(|l| l.starts_with("Sigill1:")
                && l.contains(":INTACT:TRUSTED")
                && l.contains("EXTENDED_WITH_LTA_UPDATES")),
            "pyhanko: {out}"
        );
        // Long-term: the DSS alone must carry what the validator needs (nothing to fetch).
        let (code, out) = pyhanko_adesverify(&path, &root_pem);
        assert_eq!(code, 0, "pyhanko adesverify: {out}");
        assert!(
            out.contains(
                ":INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>,EXTENDED_WITH_LTA_UPDATES"
            ),
            "pyhanko adesverify: {out}"
        );
        let out = pdfsig(&path);
        assert!(out.contains("Signature is Valid."), "pdfsig: {out}");
        assert!(!out.contains("Digest Mismatch"), "pdfsig: {out}");

        let report = verify(&sealed, std::slice::from_ref(&pki.root.cert_der)).unwrap();
        let seal = &report.signatures[0];
        assert_eq!(seal.level, "PAdES-B-LTA", "{seal:?}");
        assert!(seal.higher_level_missing.is_empty(), "{seal:?}");
        let ts = &report.signatures[1];
        assert_eq!(ts.level, "DocTimeStamp", "{ts:?}");
        assert!(
            ts.intact && ts.trusted && ts.covers_whole_revision,
            "{ts:?}"
        );
        assert_eq!(ts.revision_length, sealed.len() as u64);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn b_lt_has_the_dss_and_says_why_it_is_not_b_lta() {
        let pki = TestPki::new();
        let tsa = test_tsa(&pki);
        let (revocation, _) = test_revocation(&pki);
        let original = tiny_pdf("", &[]);
        let sealed = seal_at(&original, &pki, SealLevel::BLT, &tsa, &revocation)
            .await
            .unwrap();
        let report = verify(&sealed, std::slice::from_ref(&pki.root.cert_der)).unwrap();
        assert_eq!(report.signatures.len(), 1);
        let seal = &report.signatures[0];
        assert_eq!(seal.level, "PAdES-B-LT", "{seal:?}");
        assert_eq!(
            seal.higher_level_missing,
            vec!["PAdES-B-LTA: no valid document timestamp after the DSS".to_string()]
        );
        // Without the DSS revision it is B-T, and says so.
        let dss_at = sealed.windows(9).rposition(|w| w == b"startxref").unwrap();
        let before_dss = &sealed[..sealed[..dss_at]
            .windows(5)
            .rposition(|w| w == b"%%EOF")
            .unwrap()
            + 6];
        let report = verify(before_dss, std::slice::from_ref(&pki.root.cert_der)).unwrap();
        assert_eq!(report.signatures[0].level, "PAdES-B-T");
        assert_eq!(
            report.signatures[0].higher_level_missing,
            vec!["PAdES-B-LT: no DSS".to_string()]
        );
    }

    #[tokio::test]
    async fn a_revoked_seal_certificate_seals_nothing() {
        let pki = TestPki::new();
        let tsa = test_tsa(&pki);
        let (revocation, registry) = test_revocation(&pki);
        let leaf = crate::x509::parse_cert(&pki.seal_cert_der).unwrap();
        registry
            .revoke(
                &crate::revocation::serial_hex(&leaf.tbs_certificate.serial_number),
                now(),
                None,
            )
            .unwrap();
        let err = seal_at(&tiny_pdf("", &[]), &pki, SealLevel::BLTA, &tsa, &revocation)
            .await
            .unwrap_err();
        assert!(err.code().contains("revoked"), "{}: {}", err.code(), err);
        assert!(
            err.message_sv().contains("spärr") || err.message_sv().contains("återkall"),
            "{}",
            err.message_sv()
        );
    }

    #[tokio::test]
    async fn levels_above_b_b_need_their_services() {
        let pki = TestPki::new();
        let page = sample_page("x");
        for level in [SealLevel::BT, SealLevel::BLT, SealLevel::BLTA] {
            let err = seal(
                &tiny_pdf("", &[]),
                SealRequest {
                    page: &page,
                    signing_time: now(),
                    reason: None,
                    location: None,
                    level,
                    timestamp: None,
                    revocation: None,
                    attachments: &[],
                },
                &pki.signer,
            )
            .await
            .unwrap_err();
            assert_eq!(err.code(), "seal.level_unavailable");
            assert!(err.message_sv().contains(level.name()));
        }
    }

    #[tokio::test]
    async fn seal_file_streams_the_same_archive_version() {
        let dir = temp_dir("seal-file");
        let pki = TestPki::new();
        let tsa = test_tsa(&pki);
        let (revocation, _) = test_revocation(&pki);
        let original = fixture(FIXTURE_2B);
        let input = dir.join("in.pdf");
        let output = dir.join("out.pdf");
        std::fs::write(&input, &original).unwrap();
        let page = sample_page("x");
        let outcome = seal_file(
            &input,
            &output,
            SealRequest {
                page: &page,
                signing_time: now(),
                reason: None,
                location: None,
                level: SealLevel::BLTA,
                timestamp: Some(&tsa),
                revocation: Some(&revocation),
                attachments: &[],
            },
            &pki.signer,
        )
        .await
        .unwrap();
        let sealed = std::fs::read(&output).unwrap();
        assert_eq!(outcome.length, sealed.len() as u64);
        assert_eq!(outcome.level, SealLevel::BLTA);
        assert!(sealed.starts_with(&original));
        let report = verify(&sealed, std::slice::from_ref(&pki.root.cert_der)).unwrap();
        assert_eq!(report.signatures[0].level, "PAdES-B-LTA", "{report:?}");
        let _ = std::fs::remove_dir_all(dir);
    }

    /// Issue 4's proof, on every input shape: B-LTA with the evidence attached, and each
    /// validator we did not write agrees.
    #[tokio::test]
    async fn b_lta_on_every_input_shape_satisfies_every_oracle() {
        let dir = temp_dir("seal-shapes");
        let pki = TestPki::new();
        let root_pem = pki.write_root_pem(&dir);
        let tsa = test_tsa(&pki);
        let (revocation, _) = test_revocation(&pki);
        let evidence = br#"{"signature":"<Signature/>","ocspResponse":"MIIB"}"#;
        let attachments = [AttachedFile {
            name: "bankid-underskrift-1.json".into(),
            bytes: evidence,
            mime_type: "application/json".into(),
            description: "BankID-underskrift av Åsa Öberg (ordförande)".into(),
            modified: now(),
        }];
        let page = sample_page("Justerat digitalt – arkivexemplar");
        for (shape, original) in input_shapes() {
            let sealed = seal(
                &original,
                SealRequest {
                    page: &page,
                    signing_time: now(),
                    reason: Some("Arkivexemplar".into()),
                    location: None,
                    level: SealLevel::BLTA,
                    timestamp: Some(&tsa),
                    revocation: Some(&revocation),
                    attachments: &attachments,
                },
                &pki.signer,
            )
            .await
            .unwrap_or_else(|e| panic!("{shape}: {e}"));
            assert!(
                sealed.starts_with(&original),
                "{shape}: first revision = original"
            );
            let path = dir.join(format!("{shape}.pdf"));
            std::fs::write(&path, &sealed).unwrap();

            let (code, out) = qpdf_check(&path);
            assert_eq!(code, 0, "{shape}: qpdf --check: {out}");
            assert_eq!(pdfa3_attachment_problems(&path), (vec![], 1), "{shape}");
            // pyHanko refuses hybrid-reference files unless told to read them leniently.
            let lenient: &[&str] = if shape == "hybrid-xref" {
                &["--no-strict-syntax"]
            } else {
                &[]
            };
            let (_, out) = pyhanko_validate_with(&path, &root_pem, lenient);
            let ours = out
                .lines()
                .find(|l| l.starts_with("Sigill"))
                .unwrap_or_else(|| panic!("{shape}: pyhanko: {out}"));
            assert!(
                ours.contains(":INTACT:TRUSTED") && ours.contains("EXTENDED_WITH_LTA_UPDATES"),
                "{shape}: pyhanko: {out}"
            );
            if shape == "signed-by-other" {
                // Their signature is judged as before our seal: still intact, same trust (only
                // pyHanko's diff policy objects to the appended page; see the earlier-signature
                // test).
                let status = |text: &str| {
                    text.lines()
                        .find(|l| l.starts_with("Underskrift"))
                        .and_then(|l| l.split(':').nth(2).zip(l.split(':').nth(3)))
                        .map(|(a, b)| format!("{a}:{}", b.split(',').next().unwrap_or("")))
                        .unwrap_or_default()
                };
                let before = dir.join("signed-before.pdf");
                std::fs::write(&before, &original).unwrap();
                let (_, was) = pyhanko_validate(&before, &root_pem);
                assert!(status(&was).starts_with("INTACT:"), "{shape}: {was}");
                assert_eq!(status(&out), status(&was), "{shape}: {out}");
            }
            let (code, out) = pyhanko_adesverify_with(&path, &root_pem, lenient);
            let ours = out.lines().find(|l| l.starts_with("Sigill")).unwrap_or("");
            assert!(
                ours.contains(
                    ":INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>,EXTENDED_WITH_LTA_UPDATES"
                ),
                "{shape}: pyhanko adesverify ({code}): {out}"
            );
            let out = pdfsig(&path);
            assert!(
                out.contains("Signature Field Name: Sigill1")
                    || out.contains("Signature Field Name: Sigill2"),
                "{shape}: pdfsig: {out}"
            );
            assert!(!out.contains("Digest Mismatch"), "{shape}: pdfsig: {out}");
            let valid = out.matches("Signature is Valid.").count();
            let expected = if shape == "signed-by-other" { 2 } else { 1 };
            assert_eq!(valid, expected, "{shape}: pdfsig: {out}");
            let report = verify(&sealed, std::slice::from_ref(&pki.root.cert_der)).unwrap();
            let seal = report
                .signatures
                .iter()
                .find(|s| s.field_name.starts_with("Sigill"))
                .unwrap();
            assert_eq!(seal.level, "PAdES-B-LTA", "{shape}: {seal:?}");
            assert!(report.all_intact(), "{shape}: {report:?}");
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}
