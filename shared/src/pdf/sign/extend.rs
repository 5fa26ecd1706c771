//! Renewal of a PAdES file's proof of existence (ETSI EN 319 142-1 5.5, the LTA level's
//! repeated archive timestamp), appended after everything already there:
//! - update 1: the DSS, extended with fresh revocation data (OCSP responses or CRLs) and any
//!   missing certificates for the chain of the newest document timestamp (or, in a file that
//!   has none yet, of each signature and its signature timestamp);
//! - update 2: a new document timestamp over the whole file, from an authority whose
//!   certificate is valid now;
//! - update 3: the DSS again, with the validation data of the new timestamp's own chain, so
//!   that the next renewal (or a validator before it) finds it in the file.
//!
//! Nothing before is touched: every earlier revision stays byte-identical, every earlier
//! signature and timestamp intact. The input is read once, copied and hashed as it goes.

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Utc};
use lopdf::{Dictionary, Object, ObjectId};
use sha2::Digest;
use x509_cert::Certificate;

use super::doc_timestamp::{self, FieldPlace};
use super::error::SealError;
use super::field::{current_acroform, empty_appearance, field_names};
use super::ltv::{self, ExistingDss, RevocationSource};
use super::placeholder::CONTENTS_RESERVED_BYTES;
use crate::pdf::random_access::Source;
use crate::pdf::timestamp::TimestampSource;
use crate::pdf::update::{PreviousRevision, Revision, UpdateWriter};
use crate::pdf::PdfError;

/// Most signature fields looked at (a real document has a handful).
const MAX_FIELDS: usize = 1_000;

/// The services a renewal uses: a timestamp authority whose certificate is valid now, and the
/// revocation data of the chains it covers.
pub struct ExtendRequest<'a> {
    pub timestamp: &'a dyn TimestampSource,
    pub revocation: &'a dyn RevocationSource,
}

/// What a renewal made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtendOutcome {
    pub length: u64,
    /// Document timestamps in the file now (the new one included).
    pub document_timestamps: usize,
    /// Until when the new timestamp proves existence by itself: the earliest notAfter of its
    /// authority's chain. The next renewal is due before then.
    pub proof_until: Option<DateTime<Utc>>,
}

/// A signature dictionary in the file: what the renewal needs of it.
struct SignatureValue {
    document_timestamp: bool,
    /// /Contents as stored, with its zero padding (the DSS's VRI key is over these bytes).
    contents: Vec<u8>,
    /// Where its ByteRange ends: the newest signature ends last.
    covers_until: u64,
    /// The page its widget is on.
    page: Option<ObjectId>,
    /// Its widget's appearance (an empty one for an invisible field), for the new field too.
    appearance: Option<ObjectId>,
}

/// Renew the file at `input` into `output` (see the module comment).
pub async fn extend_file(
    input: &Path,
    output: &Path,
    req: ExtendRequest<'_>,
) -> Result<ExtendOutcome, SealError> {
    let io = |e: std::io::Error| SealError::Io(e.to_string());
    let source = std::io::BufReader::new(std::fs::File::open(input).map_err(io)?);
    let prepared = prepare(source)?;

    // Update 1: the validation data for what the new timestamp must keep provable, alone in
    // its revision (what validators expect of an LTA update).
    let (certs, data) = ltv::validation_data(req.revocation, &prepared.chains).await?;
    let mut catalog = prepared.catalog.clone();
    let (update1, after1, dss_now) = ltv::dss_update(
        &prepared.revision,
        &mut catalog,
        &prepared.dss,
        &certs,
        &data,
        &prepared.newest_contents,
    )?;

    // One pass over the input: copied to the output and hashed.
    let mut original = std::fs::File::open(input).map_err(io)?;
    let mut out =
        std::io::BufWriter::with_capacity(1024 * 1024, std::fs::File::create(output).map_err(io)?);
    let mut hashed = super::seal::copy_and_hash(&mut original, &mut out, prepared.revision.len)?;
    hashed.update(&update1);
    out.write_all(&update1).map_err(io)?;

    // Update 2: the new document timestamp, its field on the page of the newest signature.
    let mut writer = UpdateWriter::after(&after1, 32 * 1024);
    let appearance_id = match prepared.appearance {
        Some(id) => id,
        None => {
            let id = writer.allocate_id();
            writer.write_object(id, &empty_appearance())?;
            id
        }
    };
    let acroform_id = match prepared.acroform_id {
        Some(id) => id,
        None => {
            let id = writer.allocate_id();
            catalog.set("AcroForm", Object::Reference(id));
            writer.write_object(after1.root_id, &Object::Dictionary(catalog.clone()))?;
            id
        }
    };
    let place = FieldPlace {
        page_id: prepared.page_id,
        page: prepared.page,
        annots: prepared.page_annots,
        appearance_id,
        acroform_id,
        acroform: prepared.acroform,
        fields: prepared.fields,
    };
    let field = doc_timestamp::write_field(&mut writer, place, &prepared.field_names)?;
    let (update2, after2, token) =
        doc_timestamp::finish_stamped(writer, &after1, field, hashed, req.timestamp).await?;
    out.write_all(&update2).map_err(io)?;

    // Update 3: the new timestamp's own chain, for whoever validates or renews next.
    let token_certs = ltv::token_certificates(&token);
    let tsa_chain = ltv::complete_chain(&token_certs, &[prepared.known_certs, certs].concat());
    let proof_until = crate::x509::earliest_not_after(&parse_all(&tsa_chain));
    let mut length = after2.len;
    if !tsa_chain.is_empty() {
        let (chain_certs, data) = ltv::validation_data(req.revocation, &[tsa_chain]).await?;
        let mut contents = token;
        contents.resize(CONTENTS_RESERVED_BYTES, 0);
        let (update3, after3, _) = ltv::dss_update(
            &after2,
            &mut catalog,
            &dss_now,
            &chain_certs,
            &data,
            &contents,
        )?;
        out.write_all(&update3).map_err(io)?;
        length = after3.len;
    }
    let file = out.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)?;
    Ok(ExtendOutcome {
        length,
        document_timestamps: prepared.document_timestamps + 1,
        proof_until,
    })
}

/// What a file's proof of existence rests on now, without renewing it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CurrentProof {
    pub document_timestamps: usize,
    /// The earliest end of the certificates the proof rests on: the newest document
    /// timestamp's chain, or, in a file without one, each signature's and its timestamp's.
    pub until: Option<DateTime<Utc>>,
}

/// Read what the file's proof of existence rests on (object by object, as the renewal does):
/// what the seal records for the schedule, and how a renewal tells that an earlier attempt
/// already stored its file.
pub fn current_proof(input: &Path) -> Result<CurrentProof, SealError> {
    let io = |e: std::io::Error| SealError::Io(e.to_string());
    let source = std::io::BufReader::new(std::fs::File::open(input).map_err(io)?);
    let prepared = prepare(source)?;
    Ok(CurrentProof {
        document_timestamps: prepared.document_timestamps,
        until: crate::x509::earliest_not_after(&parse_all(&prepared.chains.concat())),
    })
}

/// Everything about the input the renewal needs, read object by object.
struct Prepared {
    revision: Revision,
    catalog: Dictionary,
    dss: ExistingDss,
    /// Certificates already in the file (the DSS's), to complete chains from.
    known_certs: Vec<Vec<u8>>,
    /// The chains whose validation data the new timestamp must cover.
    chains: Vec<Vec<Vec<u8>>>,
    /// The newest signature's /Contents (its VRI key).
    newest_contents: Vec<u8>,
    document_timestamps: usize,
    /// `None`: the AcroForm is new or sits in the catalog, and becomes an object of its own.
    acroform_id: Option<ObjectId>,
    acroform: Dictionary,
    fields: Vec<Object>,
    field_names: Vec<String>,
    page_id: ObjectId,
    page: Dictionary,
    page_annots: Vec<Object>,
    appearance: Option<ObjectId>,
}

fn prepare(source: impl Source) -> Result<Prepared, SealError> {
    let prev = PreviousRevision::open_for_validation_data(source)?;
    let catalog = prev.catalog()?;
    // An AcroForm that is not an object of its own yet gets its id in the timestamp's update
    // (an id taken here would collide with the DSS update's objects).
    let mut scratch = UpdateWriter::after(&prev.revision, 0);
    let (id, acroform, fields) = current_acroform(&prev, &catalog, &mut scratch)?;
    let acroform_id = match catalog.get(b"AcroForm") {
        Ok(Object::Reference(existing)) if *existing == id => Some(id),
        _ => None,
    };
    let signatures = signature_values(&prev, &fields)?;
    let Some(newest) = signatures.iter().max_by_key(|s| s.covers_until) else {
        return Err(PdfError::Unsupported(
            "the file has no signature or timestamp to renew".into(),
        )
        .into());
    };
    let dss = ExistingDss::read(&catalog, |o| prev.resolve(o))?;
    let known_certs = dss.certificates(|o| prev.resolve(o));
    let document_timestamps = signatures.iter().filter(|s| s.document_timestamp).count();
    let chains = if document_timestamps > 0 {
        let token_certs = ltv::token_certificates(&newest.contents);
        vec![ltv::complete_chain(&token_certs, &known_certs)]
    } else {
        // No archive timestamp yet: each signature's signer and its signature timestamp.
        signatures
            .iter()
            .flat_map(|s| ltv::signature_chains(&s.contents, &known_certs))
            .collect()
    };
    let chains: Vec<_> = chains.into_iter().filter(|c| !c.is_empty()).collect();
    let page_id = match newest.page {
        Some(id) => id,
        None => first_page(&prev)?,
    };
    let page = prev.get_dictionary(page_id)?;
    let page_annots = match page.get(b"Annots").map(|a| prev.resolve(a)) {
        Ok(Ok(Object::Array(a))) => a,
        _ => Vec::new(),
    };
    let field_names = field_names(&prev, &fields);
    Ok(Prepared {
        revision: prev.revision.clone(),
        catalog,
        dss,
        known_certs,
        chains,
        newest_contents: newest.contents.clone(),
        document_timestamps,
        acroform_id,
        acroform,
        fields,
        field_names,
        page_id,
        page,
        page_annots,
        appearance: newest.appearance.filter(|_| newest.page == Some(page_id)),
    })
}

/// The signature dictionaries of the top-level signature fields (and their direct kids).
fn signature_values(
    prev: &PreviousRevision<'_>,
    fields: &[Object],
) -> Result<Vec<SignatureValue>, PdfError> {
    let mut found = Vec::new();
    let mut queue: Vec<Object> = fields.iter().take(MAX_FIELDS).cloned().collect();
    let mut seen = 0;
    while let Some(field) = queue.pop() {
        seen += 1;
        if seen > MAX_FIELDS {
            break;
        }
        let Ok(Object::Dictionary(field)) = prev.resolve(&field) else {
            continue;
        };
        if let Ok(Ok(Object::Array(kids))) = field.get(b"Kids").map(|k| prev.resolve(k)) {
            queue.extend(kids.into_iter().take(MAX_FIELDS));
        }
        let Ok(value) = field.get(b"V") else { continue };
        let Ok(Object::Dictionary(value)) = prev.resolve(value) else {
            continue;
        };
        let Ok(Object::String(contents, _)) = value.get(b"Contents") else {
            continue;
        };
        let covers_until = match value.get(b"ByteRange").map(|b| prev.resolve(b)) {
            Ok(Ok(Object::Array(range))) if range.len() == 4 => {
                let n = |i: usize| range[i].as_i64().unwrap_or(0).max(0) as u64;
                n(2) + n(3)
            }
            _ => continue,
        };
        let document_timestamp = matches!(value.get(b"Type"), Ok(Object::Name(n)) if n == b"DocTimeStamp")
            || matches!(value.get(b"SubFilter"), Ok(Object::Name(n)) if n == b"ETSI.RFC3161");
        let page = field.get(b"P").and_then(Object::as_reference).ok();
        let appearance = match field.get(b"AP") {
            Ok(Object::Dictionary(ap)) => ap.get(b"N").and_then(Object::as_reference).ok(),
            _ => None,
        };
        found.push(SignatureValue {
            document_timestamp,
            contents: contents.clone(),
            covers_until,
            page,
            appearance,
        });
    }
    Ok(found)
}

/// The first page, for a file whose newest signature names none.
fn first_page(prev: &PreviousRevision<'_>) -> Result<ObjectId, PdfError> {
    let mut node = prev.pages_root_id;
    for _ in 0..64 {
        let dict = prev.get_dictionary(node)?;
        if matches!(dict.get(b"Type"), Ok(Object::Name(n)) if n == b"Page") {
            return Ok(node);
        }
        let kids = match dict.get(b"Kids").map(|k| prev.resolve(k)) {
            Ok(Ok(Object::Array(kids))) => kids,
            _ => break,
        };
        match kids.first().and_then(|k| k.as_reference().ok()) {
            Some(id) => node = id,
            None => break,
        }
    }
    Err(PdfError::Unreadable("the document has no page".into()))
}

fn parse_all(ders: &[Vec<u8>]) -> Vec<Certificate> {
    ders.iter()
        .filter_map(|d| crate::pdf::signed_data::parse_cert(d).ok())
        .collect()
}

#[cfg(test)]
#[path = "extend_tests.rs"]
mod tests;
