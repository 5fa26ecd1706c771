//! The signature fields of a document: every /FT /Sig field with a value, found through the
//! AcroForm's field tree (inherited /FT, partial names joined with dots, cycles and depth cut).

use std::collections::HashSet;

use lopdf::{Dictionary, Object, ObjectId};

use crate::pdf::update::decode_text_string;

const MAX_FIELD_DEPTH: usize = 32;

/// (fully qualified field name, signature dictionary) for every /FT /Sig field with /V.
#[cfg(test)]
pub(crate) fn signature_fields(doc: &lopdf::Document) -> Vec<(String, Dictionary)> {
    let Ok(catalog) = doc.catalog() else {
        return Vec::new();
    };
    signature_fields_with(catalog, &mut |id| doc.get_object(id).ok().cloned())
}

/// The same, with the objects of the document fetched by `get` (a whole parsed document, or
/// one read on demand).
pub(crate) fn signature_fields_with(
    catalog: &Dictionary,
    get: &mut dyn FnMut(ObjectId) -> Option<Object>,
) -> Vec<(String, Dictionary)> {
    let mut out = Vec::new();
    let form = match catalog.get(b"AcroForm") {
        Ok(Object::Reference(id)) => get(*id).and_then(|o| o.as_dict().ok().cloned()),
        Ok(Object::Dictionary(d)) => Some(d.clone()),
        _ => None,
    };
    let Some(form) = form else { return out };
    let fields = match form.get(b"Fields") {
        Ok(Object::Array(a)) => a.clone(),
        Ok(Object::Reference(r)) => match get(*r) {
            Some(Object::Array(a)) => a,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    let mut visited = HashSet::new();
    for field in &fields {
        walk_field(get, field, "", None, 0, &mut visited, &mut out);
    }
    out
}

fn walk_field(
    get: &mut dyn FnMut(ObjectId) -> Option<Object>,
    field: &Object,
    parent_name: &str,
    inherited_ft: Option<Vec<u8>>,
    depth: usize,
    visited: &mut HashSet<(u32, u16)>,
    out: &mut Vec<(String, Dictionary)>,
) {
    if depth > MAX_FIELD_DEPTH {
        return;
    }
    let dict = match field {
        Object::Reference(id) => {
            if !visited.insert(*id) {
                return;
            }
            match get(*id).and_then(|o| o.as_dict().ok().cloned()) {
                Some(d) => d,
                None => return,
            }
        }
        Object::Dictionary(d) => d.clone(),
        _ => return,
    };
    let partial = dict
        .get(b"T")
        .ok()
        .and_then(|t| t.as_str().ok())
        .map(decode_text_string);
    let name = match (&partial, parent_name.is_empty()) {
        (Some(p), true) => p.clone(),
        (Some(p), false) => format!("{parent_name}.{p}"),
        (None, _) => parent_name.to_string(),
    };
    let ft = match dict.get(b"FT") {
        Ok(Object::Name(n)) => Some(n.clone()),
        _ => inherited_ft,
    };
    let kids = match dict.get(b"Kids") {
        Ok(Object::Reference(r)) => get(*r),
        Ok(other) => Some(other.clone()),
        Err(_) => None,
    };
    if let Some(Object::Array(kids)) = kids {
        for kid in &kids {
            walk_field(get, kid, &name, ft.clone(), depth + 1, visited, out);
        }
    }
    if ft.as_deref() == Some(b"Sig".as_slice()) {
        let value = match dict.get(b"V") {
            Ok(Object::Reference(id)) => get(*id).and_then(|o| o.as_dict().ok().cloned()),
            Ok(Object::Dictionary(d)) => Some(d.clone()),
            _ => None,
        };
        if let Some(v) = value {
            out.push((name, v));
        }
    }
}
