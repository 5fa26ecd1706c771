//! The attachments in the catalog: `/AF` and the `/Names /EmbeddedFiles` name tree of the
//! previous revision, read as far as needed and merged with the new files.

use std::collections::{BTreeMap, BTreeSet};

use lopdf::{dictionary, Dictionary, Object, ObjectId, StringFormat};

use super::embed::WrittenAttachments;
use super::invalid;
use crate::pdf::update::text_string;
use crate::pdf::PdfError;

/// The outcome of [`catalog_with_attachments`].
#[derive(Debug, Clone, PartialEq)]
pub enum CatalogUpdate {
    /// Write this as the new version of the catalog object.
    Ready(Dictionary),
    /// The catalog refers to these objects of the previous revision (an indirect `/AF`,
    /// `/Names` or name tree node): fetch them and call again with them in `fetched`.
    NeedObjects(Vec<ObjectId>),
}

/// Bounds against hostile name trees.
const MAX_TREE_DEPTH: usize = 32;
const MAX_TREE_ENTRIES: usize = 100_000;

/// The catalog with the attachments added: `/AF` = the existing associated files (if any) plus
/// ours; `/Names` = the existing names dictionary (copied inline) whose `/EmbeddedFiles` is one
/// leaf holding the existing entries plus ours, sorted (a new key that is taken gets " (2)",
/// " (3)", ...). Objects the catalog only refers to are looked up in `fetched`; when some are
/// missing the answer is [`CatalogUpdate::NeedObjects`]. Everything else stays as it was.
pub fn catalog_with_attachments(
    catalog: &Dictionary,
    written: &WrittenAttachments,
    fetched: &BTreeMap<ObjectId, Object>,
) -> Result<CatalogUpdate, PdfError> {
    let mut need = BTreeSet::new();
    let mut out = catalog.clone();

    // /AF
    let mut af = match catalog.get(b"AF").ok() {
        None | Some(Object::Null) => Some(Vec::new()),
        Some(object) => match resolve(object, fetched, &mut need, 0)? {
            Some(Object::Array(items)) => Some(items.clone()),
            Some(Object::Null) => Some(Vec::new()),
            Some(_) => return Err(invalid("catalog /AF is not an array".into())),
            None => None,
        },
    };
    if let Some(af) = af.as_mut() {
        af.extend(written.filespecs.iter().map(|id| Object::Reference(*id)));
    }

    // /Names and its /EmbeddedFiles tree
    let names = match catalog.get(b"Names").ok() {
        None | Some(Object::Null) => Some(Dictionary::new()),
        Some(object) => match resolve(object, fetched, &mut need, 0)? {
            Some(Object::Dictionary(d)) => Some(d.clone()),
            Some(Object::Null) => Some(Dictionary::new()),
            Some(_) => return Err(invalid("catalog /Names is not a dictionary".into())),
            None => None,
        },
    };
    let mut entries: Vec<(Vec<u8>, Object)> = Vec::new();
    if let Some(names) = &names {
        if let Ok(root) = names.get(b"EmbeddedFiles") {
            let mut visited = BTreeSet::new();
            collect_name_tree(root, fetched, &mut need, &mut entries, &mut visited, 0)?;
        }
    }
    if !need.is_empty() {
        return Ok(CatalogUpdate::NeedObjects(need.into_iter().collect()));
    }
    let (Some(af), Some(mut names)) = (af, names) else {
        return Err(invalid("catalog objects could not be resolved".into()));
    };

    let taken: BTreeSet<Vec<u8>> = entries.iter().map(|(k, _)| k.clone()).collect();
    let mut added = BTreeSet::new();
    for (name, spec) in &written.names {
        let key = (1..)
            .map(|n| {
                let candidate = if n == 1 {
                    name.clone()
                } else {
                    format!("{name} ({n})")
                };
                key_bytes(&candidate)
            })
            .find(|k| !taken.contains(k) && !added.contains(k))
            .unwrap_or_default();
        added.insert(key.clone());
        entries.push((key, Object::Reference(*spec)));
    }
    // Name tree keys are sorted by their bytes (ISO 32000-1 7.9.6).
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let flat: Vec<Object> = entries
        .into_iter()
        .flat_map(|(key, value)| [Object::String(key, StringFormat::Literal), value])
        .collect();
    names.set("EmbeddedFiles", dictionary! { "Names" => flat });
    out.set("Names", Object::Dictionary(names));
    out.set("AF", Object::Array(af));
    Ok(CatalogUpdate::Ready(out))
}

/// [`catalog_with_attachments`] for a caller that holds the parsed previous revision: fetches
/// what is asked for from `doc` until the catalog is ready.
pub fn catalog_with_attachments_from(
    doc: &lopdf::Document,
    catalog: &Dictionary,
    written: &WrittenAttachments,
) -> Result<Dictionary, PdfError> {
    let mut fetched = BTreeMap::new();
    // Each round resolves one more level of the tree.
    for _ in 0..=MAX_TREE_DEPTH + 2 {
        match catalog_with_attachments(catalog, written, &fetched)? {
            CatalogUpdate::Ready(dict) => return Ok(dict),
            CatalogUpdate::NeedObjects(ids) => {
                for id in ids {
                    let object = doc.get_object(id).cloned().unwrap_or(Object::Null);
                    fetched.insert(id, object);
                }
            }
        }
    }
    Err(invalid("embedded files name tree too deep".into()))
}

/// The key a name is stored under: a PDF text string's bytes.
fn key_bytes(name: &str) -> Vec<u8> {
    match text_string(name) {
        Object::String(bytes, _) => bytes,
        _ => name.as_bytes().to_vec(),
    }
}

/// Follow references through `fetched`; None (and the id in `need`) when not fetched yet.
fn resolve<'a>(
    object: &'a Object,
    fetched: &'a BTreeMap<ObjectId, Object>,
    need: &mut BTreeSet<ObjectId>,
    depth: usize,
) -> Result<Option<&'a Object>, PdfError> {
    match object {
        Object::Reference(id) => {
            if depth > 8 {
                return Err(invalid("reference chain too long".into()));
            }
            match fetched.get(id) {
                Some(target) => resolve(target, fetched, need, depth + 1),
                None => {
                    need.insert(*id);
                    Ok(None)
                }
            }
        }
        other => Ok(Some(other)),
    }
}

fn collect_name_tree(
    node: &Object,
    fetched: &BTreeMap<ObjectId, Object>,
    need: &mut BTreeSet<ObjectId>,
    entries: &mut Vec<(Vec<u8>, Object)>,
    visited: &mut BTreeSet<ObjectId>,
    depth: usize,
) -> Result<(), PdfError> {
    if depth > MAX_TREE_DEPTH {
        return Err(invalid("embedded files name tree too deep".into()));
    }
    if let Object::Reference(id) = node {
        if !visited.insert(*id) {
            return Err(invalid("embedded files name tree has a cycle".into()));
        }
    }
    let dict = match resolve(node, fetched, need, 0)? {
        Some(Object::Dictionary(d)) => d,
        Some(Object::Null) => return Ok(()),
        Some(_) => {
            return Err(invalid(
                "embedded files name tree node is not a dictionary".into(),
            ))
        }
        None => return Ok(()),
    };
    if let Ok(names) = dict.get(b"Names") {
        match resolve(names, fetched, need, 0)? {
            Some(Object::Array(items)) => {
                for pair in items.chunks(2) {
                    if let [key, value] = pair {
                        let key = match resolve(key, fetched, need, 0)? {
                            Some(Object::String(bytes, _)) => bytes.clone(),
                            Some(_) => {
                                return Err(invalid(
                                    "embedded files name tree key is not a string".into(),
                                ))
                            }
                            None => continue,
                        };
                        if entries.len() >= MAX_TREE_ENTRIES {
                            return Err(invalid("embedded files name tree too large".into()));
                        }
                        entries.push((key, value.clone()));
                    }
                }
            }
            Some(_) => return Err(invalid("embedded files /Names is not an array".into())),
            None => {}
        }
    }
    if let Ok(kids) = dict.get(b"Kids") {
        match resolve(kids, fetched, need, 0)? {
            Some(Object::Array(kids)) => {
                for kid in kids {
                    collect_name_tree(kid, fetched, need, entries, visited, depth + 1)?;
                }
            }
            Some(_) => return Err(invalid("embedded files /Kids is not an array".into())),
            None => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(n: u32) -> WrittenAttachments {
        WrittenAttachments {
            filespecs: vec![(100 + n, 0)],
            names: vec![("b.xml".into(), (100 + n, 0))],
        }
    }

    fn keys(catalog: &Dictionary) -> Vec<String> {
        let names = catalog.get(b"Names").unwrap().as_dict().unwrap();
        let tree = names.get(b"EmbeddedFiles").unwrap().as_dict().unwrap();
        tree.get(b"Names")
            .unwrap()
            .as_array()
            .unwrap()
            .chunks(2)
            .map(|p| String::from_utf8_lossy(p[0].as_str().unwrap()).into_owned())
            .collect()
    }

    #[test]
    fn catalog_merge_asks_for_indirect_objects_then_merges() {
        let mut catalog = dictionary! {
            "Type" => "Catalog",
            "Pages" => Object::Reference((2, 0)),
            "AF" => Object::Reference((10, 0)),
            "Names" => Object::Reference((11, 0)),
        };
        let mut fetched = BTreeMap::new();
        let need = |r| match r {
            CatalogUpdate::NeedObjects(ids) => ids,
            other => panic!("expected a request, got {other:?}"),
        };
        assert_eq!(
            need(catalog_with_attachments(&catalog, &written(1), &fetched).unwrap()),
            vec![(10, 0), (11, 0)]
        );
        fetched.insert((10, 0), Object::Array(vec![Object::Reference((50, 0))]));
        fetched.insert(
            (11, 0),
            Object::Dictionary(dictionary! {
                "Dests" => Object::Reference((60, 0)),
                "EmbeddedFiles" => Object::Reference((12, 0)),
            }),
        );
        assert_eq!(
            need(catalog_with_attachments(&catalog, &written(1), &fetched).unwrap()),
            vec![(12, 0)]
        );
        // An intermediate node with two leaves.
        fetched.insert(
            (12, 0),
            Object::Dictionary(dictionary! { "Kids" => vec![Object::Reference((13, 0)), Object::Reference((14, 0))] }),
        );
        fetched.insert(
            (13, 0),
            Object::Dictionary(dictionary! { "Limits" => vec![Object::string_literal("a.xml"), Object::string_literal("a.xml")], "Names" => vec![Object::string_literal("a.xml"), Object::Reference((51, 0))] }),
        );
        fetched.insert(
            (14, 0),
            Object::Dictionary(dictionary! { "Names" => vec![Object::string_literal("b.xml"), Object::Reference((52, 0)), Object::string_literal("c.xml"), Object::Reference((53, 0))] }),
        );
        let CatalogUpdate::Ready(merged) =
            catalog_with_attachments(&catalog, &written(1), &fetched).unwrap()
        else {
            panic!("ready");
        };
        assert_eq!(keys(&merged), ["a.xml", "b.xml", "b.xml (2)", "c.xml"]);
        assert_eq!(
            merged.get(b"AF").unwrap().as_array().unwrap(),
            &vec![Object::Reference((50, 0)), Object::Reference((101, 0))]
        );
        let names = merged.get(b"Names").unwrap().as_dict().unwrap();
        assert_eq!(names.get(b"Dests").unwrap(), &Object::Reference((60, 0)));
        assert_eq!(merged.get(b"Pages").unwrap(), &Object::Reference((2, 0)));

        // A cycle in the tree is an error, not a hang.
        fetched.insert(
            (14, 0),
            Object::Dictionary(dictionary! { "Kids" => vec![Object::Reference((12, 0))] }),
        );
        assert!(catalog_with_attachments(&catalog, &written(1), &fetched).is_err());

        // No /AF, no /Names: both made.
        catalog.remove(b"AF");
        catalog.remove(b"Names");
        let CatalogUpdate::Ready(merged) =
            catalog_with_attachments(&catalog, &written(1), &BTreeMap::new()).unwrap()
        else {
            panic!("ready");
        };
        assert_eq!(keys(&merged), ["b.xml"]);
        assert_eq!(merged.get(b"AF").unwrap().as_array().unwrap().len(), 1);
    }
}
