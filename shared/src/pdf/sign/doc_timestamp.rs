//! The document timestamp (/SubFilter /ETSI.RFC3161): the last update of a B-LTA seal and the
//! heart of each renewal. Its invisible field joins a page and the AcroForm; its token is over
//! everything before the update and the update itself but for /Contents.

use lopdf::{Dictionary, Object, ObjectId};
use sha2::{Digest, Sha256};

use super::error::SealError;
use super::field::{invisible_widget, set_fields, unique_name};
use super::placeholder::{fill_byte_range, fill_contents, hash_outside_contents, SigDictionary};
use crate::pdf::timestamp::TimestampSource;
use crate::pdf::update::{Revision, UpdateWriter};
use crate::pdf::PdfError;

/// Where the timestamp's field goes, as things stand before the update.
pub(super) struct FieldPlace {
    pub page_id: ObjectId,
    pub page: Dictionary,
    /// The page's widgets so far (its /Annots, resolved).
    pub annots: Vec<Object>,
    /// An empty appearance the invisible widget can share.
    pub appearance_id: ObjectId,
    pub acroform_id: ObjectId,
    pub acroform: Dictionary,
    /// The AcroForm's fields so far (its /Fields, resolved).
    pub fields: Vec<Object>,
}

/// A document timestamp's field written, its /Contents still zeros.
pub(super) struct UnstampedField {
    byte_range_at: usize,
    contents_lt: usize,
}

/// Write the timestamp's signature dictionary, its invisible widget (named beside `taken`),
/// and the page and AcroForm with it added.
pub(super) fn write_field(
    writer: &mut UpdateWriter,
    place: FieldPlace,
    taken: &[String],
) -> Result<UnstampedField, PdfError> {
    let FieldPlace {
        page_id,
        mut page,
        mut annots,
        appearance_id,
        acroform_id,
        mut acroform,
        mut fields,
    } = place;
    let ts_id = writer.allocate_id();
    let widget_id = writer.allocate_id();
    let (byte_range_at, contents_lt) = SigDictionary::new(
        b"/Type /DocTimeStamp\n/Filter /Adobe.PPKLite\n/SubFilter /ETSI.RFC3161",
    )
    .write(writer, ts_id)?;
    let name = unique_name("Dokumenttidsstampel", taken);
    let widget = invisible_widget(&name, ts_id, page_id, appearance_id);
    writer.write_object(widget_id, &Object::Dictionary(widget))?;
    annots.push(Object::Reference(widget_id));
    page.set("Annots", Object::Array(annots));
    writer.write_object(page_id, &Object::Dictionary(page))?;
    fields.push(Object::Reference(widget_id));
    set_fields(&mut acroform, fields);
    writer.write_object(acroform_id, &Object::Dictionary(acroform))?;
    Ok(UnstampedField {
        byte_range_at,
        contents_lt,
    })
}

/// Finish the update after `prev` and stamp it: a token from `source` over `before` (the hash
/// of everything up to `prev`) and the update outside /Contents, checked to be over exactly
/// that, goes into /Contents. Returns the update, the revision after it and the token.
pub(super) async fn finish_stamped(
    writer: UpdateWriter,
    prev: &Revision,
    field: UnstampedField,
    mut before: Sha256,
    source: &dyn TimestampSource,
) -> Result<(Vec<u8>, Revision, Vec<u8>), SealError> {
    let (mut update, after) = writer.finish(prev)?;
    fill_byte_range(
        &mut update,
        prev.len,
        after.len,
        field.byte_range_at,
        field.contents_lt,
    )?;
    hash_outside_contents(&mut before, &update, field.contents_lt);
    let imprint: [u8; 32] = before.finalize().into();
    let token = source.timestamp(imprint).await?;
    crate::pdf::timestamp::verify_token(&token, &imprint)?;
    fill_contents(&mut update, field.contents_lt, &token)?;
    Ok((update, after, token))
}
