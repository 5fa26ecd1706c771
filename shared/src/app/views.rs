//! The JSON shapes of docs/api.md. Personnummer only ever leaves masked.

use serde_json::{json, Value};

use crate::domain::{Document, Personnummer, SignatureState, SigningOrder};

pub fn document(d: &Document) -> Value {
    json!({
        "id": d.id,
        "file_name": d.file_name,
        "size": d.size,
        "page_count": d.page_count,
        "pdfa_claim": d.pdfa_claim,
        "title": d.title,
        "uploaded_at": d.uploaded_at,
        // What publishing it would take out, or the page that stops it (null: not checked).
        "publication": d.publication.as_ref().map(|c| {
            let (sv, en) = c.summary();
            json!({
                "removed": c.removed, "held": c.held, "message_sv": sv, "message_en": en,
            })
        }),
    })
}

/// An API key as its tenant's admin sees it (never its secret).
pub fn api_key(k: &crate::domain::api_key::ApiKey) -> Value {
    json!({
        "id": k.id, "name": k.name, "scopes": k.scopes, "created_at": k.created_at,
        "expires_at": k.expires_at, "revoked_at": k.revoked_at, "last_used_at": k.last_used_at,
    })
}

fn signers(order: &SigningOrder, for_staff: bool) -> Vec<Value> {
    let v = order.current();
    order
        .signers
        .iter()
        .zip(&v.signatures)
        .map(|(s, st)| {
            let (state, signed_at, declined_at, comment) = match st {
                SignatureState::Pending => ("pending", None, None, None),
                SignatureState::Signed { at, .. } => ("signed", Some(*at), None, None),
                SignatureState::Declined { at, comment } => {
                    ("declined", None, Some(*at), Some(comment.clone()))
                }
            };
            let mut out = json!({
                "id": s.id,
                "name": s.name,
                "role": s.role,
                "role_label": s.role.label_sv(),
                "step": s.step,
                "state": state,
                "signed_at": signed_at,
                "declined_at": declined_at,
                "may_sign_now": order.may_sign(s.id).is_ok(),
            });
            if for_staff {
                out["personnummer_masked"] = json!(s.personnummer.masked());
                out["email"] = json!(s.email);
                // The comment reaches the secretary only.
                out["comment"] = json!(comment);
            }
            out
        })
        .collect()
}

/// What the secretary sees. `files` says which outputs exist.
pub fn order_for_staff(order: &SigningOrder, files: [bool; 4]) -> Value {
    let v = order.current();
    json!({
        "id": order.id,
        "status": order.status,
        "status_label": order.status.label_sv(),
        "committee": order.meeting.committee,
        "meeting_date": order.meeting.meeting_date,
        "paragraphs": order.meeting.paragraphs,
        "title": order.meeting.title,
        "diarienummer": order.meeting.diarienummer,
        "message": order.meeting.message,
        "immediate": order.meeting.immediate,
        "confidential": order.meeting.confidential,
        "plan": order.plan,
        "version": v.number,
        "document_id": v.document_id,
        "publication_document_id": v.publication_document,
        "file_name": v.file_name,
        "deadline": v.deadline,
        "created_at": order.created_at,
        "completed_at": order.completed_at,
        "signers": signers(order, true),
        "history": order.history.iter().map(|e| json!({
            "at": e.at, "kind": e.kind, "version": e.version, "detail": e.detail,
            "signer_name": e.signer.and_then(|id| order.signer(id)).map(|s| s.name.clone()),
        })).collect::<Vec<_>>(),
        "files": {
            "archive": files[0], "publication": files[1], "notice": files[2], "sip": files[3],
        },
        // The notice's dates of law once published; `late` when it went up later than the law
        // allows (the second day after justering), which the secretary must know of.
        "anslag": order.anslag.map(|a| json!({
            "posted": a.posted, "appeal_ends": a.appeal_ends, "taken_down": a.taken_down,
            "late": a.late,
        })),
        // Why the pipeline stopped (status `failed`): what the secretary reads, and the step to
        // run again (`POST /api/orders/{id}/retry`) once the cause is mended.
        "failure": failure(order),
    })
}

fn failure(order: &SigningOrder) -> Value {
    match &order.failure {
        Some(f) => json!({
            "step": f.step, "at": f.at, "attempts": f.attempts, "code": f.reason.code,
            "message_sv": f.reason.message_sv, "message_en": f.reason.message_en,
        }),
        None => Value::Null,
    }
}

pub fn order_summary(order: &SigningOrder) -> Value {
    let v = order.current();
    json!({
        "id": order.id,
        "status": order.status,
        "status_label": order.status.label_sv(),
        "committee": order.meeting.committee,
        "meeting_date": order.meeting.meeting_date,
        "title": order.meeting.title,
        "version": v.number,
        "deadline": v.deadline,
        "created_at": order.created_at,
        "signed": v.signatures.iter().filter(|s| matches!(s, SignatureState::Signed { .. })).count(),
        "signers": order.signers.len(),
        "failure": failure(order),
    })
}

/// What a signer sees of an order that names them.
pub fn order_for_signer(
    order: &SigningOrder,
    tenant_name: &str,
    me: &Personnummer,
    with_signers: bool,
) -> Value {
    let v = order.current();
    let mine = order.signer_for(me);
    let my_state = mine
        .and_then(|s| order.signers.iter().position(|x| x.id == s.id))
        .map(|i| match &v.signatures[i] {
            SignatureState::Pending => "pending",
            SignatureState::Signed { .. } => "signed",
            SignatureState::Declined { .. } => "declined",
        });
    let mut out = json!({
        "tenant": order.tenant,
        "tenant_name": tenant_name,
        "id": order.id,
        "committee": order.meeting.committee,
        "meeting_date": order.meeting.meeting_date,
        "paragraphs": order.meeting.paragraphs,
        "title": order.meeting.title,
        "message": order.meeting.message,
        "status": order.status,
        "status_label": order.status.label_sv(),
        "version": v.number,
        "file_name": v.file_name,
        "deadline": v.deadline,
        "my_role": mine.map(|s| s.role.label_sv()),
        "my_state": my_state,
        "may_sign_now": mine.is_some_and(|s| order.may_sign(s.id).is_ok()),
    });
    if with_signers {
        out["signers"] = json!(signers(order, false)
            .into_iter()
            .map(|s| json!({"name": s["name"], "role_label": s["role_label"], "state": s["state"]}))
            .collect::<Vec<_>>());
    }
    out
}
