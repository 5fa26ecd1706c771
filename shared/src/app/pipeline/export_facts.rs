//! What the export step knows besides the files: the seal root it checks against, the
//! package's id, and the facts the package's preservation metadata tells (taken in, sealed,
//! checked now), from the order and the verifier's report.

use chrono::{DateTime, Utc};

use super::export::{READABLE_REPORT_PATH, REPORT_PATH};
use crate::archive::{Provenance, RenewalFact, SealFact, ValidationFact};
use crate::domain::SigningOrder;
use crate::pdf::{SignatureReport, VerifyReport};

/// The package's id: its METS OBJID, root folder and name where it is delivered. The first
/// package is named by the order; one delivered again after `renewals` renewals of the
/// archive version by a UUID made from the order and that number (the same every time, so a
/// retried delivery overwrites its own files).
pub(super) fn package_id(order: &SigningOrder, renewals: usize) -> String {
    if renewals == 0 {
        return format!("uuid-{}", order.id);
    }
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("{}/renewal/{renewals}", order.id));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    format!(
        "uuid-{}",
        uuid::Builder::from_custom_bytes(bytes).into_uuid()
    )
}

/// Which delivery of the order's package this is.
pub(super) struct Edition {
    pub id: String,
    /// The package it replaces, when one was delivered before.
    pub replaces: Option<String>,
    /// How many renewals of the archive version it tells of.
    pub renewals: usize,
}

/// The package to deliver now: telling of every renewal so far, replacing the one delivered
/// before when that one told of fewer (an order already exported, then renewed).
pub(super) fn edition(order: &SigningOrder) -> Edition {
    let (renewals, exported) = order
        .archive_proof
        .as_ref()
        .map_or((0, 0), |p| (p.renewed.len(), p.exported_renewals as usize));
    Edition {
        id: package_id(order, renewals),
        replaces: (order.status == crate::domain::OrderStatus::Exported && renewals > exported)
            .then(|| package_id(order, exported)),
        renewals,
    }
}

/// What happened to the document, as the package's preservation metadata tells it: taken in,
/// sealed (the order's history and the seal the report found), checked now.
pub(super) fn provenance(
    order: &SigningOrder,
    report: &VerifyReport,
    now: DateTime<Utc>,
) -> Provenance {
    let seal_at = order
        .history
        .iter()
        .rev()
        .find(|e| e.kind == "seal")
        .map(|e| e.at);
    let seal = report
        .signatures
        .iter()
        .find(|s| s.level != "DocTimeStamp")
        .zip(seal_at)
        .map(|(s, at)| SealFact {
            at,
            level: s.level.clone(),
            sealed_by: s.signer_subject.clone(),
        });
    let renewals = order
        .archive_proof
        .iter()
        .flat_map(|p| &p.renewed)
        .map(|r| RenewalFact {
            at: r.at,
            until: r.until,
        })
        .collect();
    Provenance {
        received: order.current().sent_at,
        seal,
        renewals,
        validation: ValidationFact {
            at: now,
            passed: report.all_hold(),
            summary: report.signatures.iter().map(summary_line).collect(),
            reports: vec![REPORT_PATH.into(), READABLE_REPORT_PATH.into()],
        },
    }
}

/// "Sigill (PAdES-B-LTA), CN=…: oförändrat, giltigt, utfärdat av betrodd utfärdare", or what
/// failed (the words are the readable report's, `texts::held_sv`).
fn summary_line(s: &SignatureReport) -> String {
    let kind = if s.level == "DocTimeStamp" {
        "Dokumenttidsstämpel"
    } else {
        "Sigill"
    };
    format!(
        "{kind} ({}), {}: {}",
        s.level,
        s.signer_subject,
        crate::app::texts::held_sv(s)
    )
}
