//! What the export step knows besides the files: the seal root it checks against, the
//! package's id, and the facts the package's preservation metadata tells (taken in, sealed,
//! checked now), from the order and the verifier's report.

use chrono::{DateTime, Utc};

use super::export::{READABLE_REPORT_PATH, REPORT_PATH};
use crate::archive::{Provenance, SealFact, ValidationFact};
use crate::domain::SigningOrder;
use crate::pdf::{SignatureReport, VerifyReport};

/// The package's id: its METS OBJID, root folder and name where it is delivered.
pub(super) fn package_id(order: &SigningOrder) -> String {
    format!("uuid-{}", order.id)
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
    Provenance {
        received: order.current().sent_at,
        seal,
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
