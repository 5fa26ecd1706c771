//! What the export step knows besides the files: the seal root it checks against, the
//! package's id, and the facts the package's preservation metadata tells (taken in, sealed,
//! checked now), from the order and the verifier's report.

use chrono::{DateTime, Utc};

use super::export::{READABLE_REPORT_PATH, REPORT_PATH};
use super::internal;
use crate::app::AppError;
use crate::archive::{Provenance, SealFact, ValidationFact};
use crate::domain::SigningOrder;
use crate::pdf::{SignatureReport, VerifyReport};

/// The root of the tenant's installed seal chain: what its seals are checked against.
pub(super) fn seal_root(rec: &crate::repo::TenantRecord) -> Result<Vec<Vec<u8>>, AppError> {
    Ok(rec
        .seal_chain_pem
        .as_deref()
        .map(crate::x509::pem_decode_certs)
        .transpose()
        .map_err(internal)?
        .and_then(|c| c.last().cloned())
        .into_iter()
        .collect())
}

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

/// "Sigill (PAdES-B-LTA), CN=…: intakt, giltigt, betrott", or what failed.
fn summary_line(s: &SignatureReport) -> String {
    let kind = if s.level == "DocTimeStamp" {
        "Dokumenttidsstämpel"
    } else {
        "Sigill"
    };
    let yes_no = |ok: bool, yes: &str, no: &str| if ok { yes.to_string() } else { no.to_string() };
    format!(
        "{kind} ({}), {}: {}, {}, {}",
        s.level,
        s.signer_subject,
        yes_no(s.intact, "intakt", "ändrat"),
        yes_no(s.signature_valid, "giltigt", "ogiltigt"),
        yes_no(s.trusted, "betrott", "inte betrott"),
    )
}
