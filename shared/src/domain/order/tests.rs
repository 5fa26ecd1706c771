//! Tests of the order's state machine, on a three-signer order of the E-nämnden.

use chrono::{Duration, TimeZone};

use super::*;
use crate::domain::DomainError;
use crate::error::ErrorText;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}
fn pnr(s: &str) -> Personnummer {
    Personnummer::parse(s, t0().date_naive()).unwrap()
}
fn doc(n: u8) -> DocumentId {
    DocumentId::of_bytes(&[n])
}
fn signer(name: &str, role: Role, p: &str, step: Option<u32>) -> NewSigner {
    NewSigner {
        name: name.into(),
        email: None,
        role,
        personnummer: pnr(p),
        step,
    }
}
/// What the secretary sends: the E-nämnden's protocol, to be signed within two weeks of t0.
fn new_order(plan: SigningPlan, signers: Vec<NewSigner>) -> NewOrder {
    NewOrder {
        id: OrderId::new(),
        tenant: TenantId::parse("norrbotten").unwrap(),
        meeting: MeetingDetails {
            committee: "E-nämnden".into(),
            meeting_date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            paragraphs: "§§ 1–14".into(),
            title: "Protokoll".into(),
            diarienummer: None,
            message: None,
            secretary_email: None,
            immediate: false,
            confidential: Vec::new(),
        },
        plan,
        signers,
        document_id: doc(1),
        file_name: "protokoll.pdf".into(),
        deadline: t0() + Duration::days(14),
    }
}
fn order(plan: SigningPlan, signers: Vec<NewSigner>) -> SigningOrder {
    SigningOrder::create(new_order(plan, signers), t0()).unwrap()
}
fn three(plan: SigningPlan) -> SigningOrder {
    order(
        plan,
        vec![
            signer(
                "Anna Ordförande",
                Role::Ordforande,
                "19121212-1212",
                Some(0),
            ),
            signer("Bo Justerare", Role::Justerare, "201701102384", Some(1)),
            signer("Cia Justerare", Role::Justerare, "194107086995", Some(1)),
        ],
    )
}
fn ids(o: &SigningOrder) -> Vec<SignerId> {
    o.signers.iter().map(|s| s.id).collect()
}
fn at(mins: i64) -> DateTime<Utc> {
    t0() + Duration::minutes(mins)
}
/// An order every signer has signed (waiting for the seal), and the time it completed.
pub(super) fn completed_order() -> (SigningOrder, DateTime<Utc>) {
    let mut o = three(SigningPlan::Parallel);
    for id in ids(&o) {
        o.sign(id, 1, at(1), "e".into()).unwrap();
    }
    (o, at(2))
}

#[test]
fn parallel_order_completes_when_everybody_signed() {
    let mut o = three(SigningPlan::Parallel);
    let ids = ids(&o);
    o.sign(ids[2], 1, at(1), "e2".into()).unwrap();
    o.sign(ids[0], 1, at(2), "e0".into()).unwrap();
    assert_eq!(o.status, OrderStatus::Open);
    o.sign(ids[1], 1, at(3), "e1".into()).unwrap();
    assert_eq!(o.status, OrderStatus::Completed);
    assert_eq!(o.completed_at, Some(at(3)));
}

#[test]
fn sequential_order_enforces_turns() {
    let mut o = three(SigningPlan::Sequential);
    let ids = ids(&o);
    assert_eq!(
        o.sign(ids[1], 1, at(1), "e".into()),
        Err(DomainError::NotYourTurn)
    );
    o.sign(ids[0], 1, at(1), "e".into()).unwrap();
    assert_eq!(
        o.sign(ids[2], 1, at(2), "e".into()),
        Err(DomainError::NotYourTurn)
    );
    o.sign(ids[1], 1, at(2), "e".into()).unwrap();
    o.sign(ids[2], 1, at(3), "e".into()).unwrap();
    assert_eq!(o.status, OrderStatus::Completed);
}

#[test]
fn steps_open_a_group_at_a_time() {
    let mut o = three(SigningPlan::Steps);
    let ids = ids(&o);
    assert_eq!(
        o.sign(ids[1], 1, at(1), "e".into()),
        Err(DomainError::NotYourTurn)
    );
    o.sign(ids[0], 1, at(1), "e".into()).unwrap();
    // Both justerare share step 1: either may go first.
    o.sign(ids[2], 1, at(2), "e".into()).unwrap();
    o.sign(ids[1], 1, at(3), "e".into()).unwrap();
    assert_eq!(o.status, OrderStatus::Completed);
}

#[test]
fn steps_need_a_step_for_everybody() {
    let r = SigningOrder::create(
        new_order(
            SigningPlan::Steps,
            vec![signer("A", Role::Part, "19121212-1212", None)],
        ),
        t0(),
    );
    assert!(matches!(r, Err(DomainError::InvalidPlan(_))));
}

#[test]
fn a_signer_cannot_sign_twice() {
    let mut o = three(SigningPlan::Parallel);
    let ids = ids(&o);
    o.sign(ids[0], 1, at(1), "e".into()).unwrap();
    assert_eq!(
        o.sign(ids[0], 1, at(2), "e".into()),
        Err(DomainError::AlreadyActed)
    );
}

#[test]
fn unknown_signer_is_refused() {
    let mut o = three(SigningPlan::Parallel);
    assert_eq!(
        o.sign(SignerId::new(), 1, at(1), "e".into()),
        Err(DomainError::NotASigner)
    );
}

#[test]
fn duplicates_and_empty_lists_are_refused() {
    let mk = |signers| SigningOrder::create(new_order(SigningPlan::Parallel, signers), t0());
    assert!(mk(vec![]).is_err());
    let dup = mk(vec![
        signer("A", Role::Justerare, "19121212-1212", None),
        signer("B", Role::Justerare, "191212121212", None),
    ]);
    assert_eq!(dup.unwrap_err().code(), "order.duplicate_signer");
}

#[test]
fn decline_needs_a_comment_and_stops_signing() {
    let mut o = three(SigningPlan::Parallel);
    let ids = ids(&o);
    assert_eq!(
        o.decline(ids[1], 1, at(1), "  "),
        Err(DomainError::CommentRequired)
    );
    o.decline(ids[1], 1, at(1), "Fel datum i § 3").unwrap();
    assert_eq!(o.status, OrderStatus::Declined);
    assert!(matches!(
        o.sign(ids[0], 1, at(2), "e".into()),
        Err(DomainError::IllegalTransition { action: "sign", .. })
    ));
    assert!(matches!(
        o.decline(ids[0], 1, at(2), "me too"),
        Err(DomainError::IllegalTransition { .. })
    ));
}

#[test]
fn recall_then_resend_starts_a_new_version_and_old_signatures_never_count() {
    let mut o = three(SigningPlan::Parallel);
    let ids = ids(&o);
    o.sign(ids[0], 1, at(1), "old".into()).unwrap();
    o.decline(ids[1], 1, at(2), "Fel i § 3").unwrap();
    o.recall(at(3), Some("rättat § 3")).unwrap();
    assert_eq!(o.status, OrderStatus::Recalled);
    // Nothing may be signed on a recalled order.
    assert!(matches!(
        o.sign(ids[2], 1, at(4), "e".into()),
        Err(DomainError::IllegalTransition { .. })
    ));
    let v = o
        .resend(doc(2), "protokoll-v2.pdf".into(), at(5), at(60 * 24))
        .unwrap();
    assert_eq!(v, 2);
    assert_eq!(o.status, OrderStatus::Open);
    assert!(o
        .current()
        .signatures
        .iter()
        .all(|s| *s == SignatureState::Pending));
    // A signature BankID completed for version 1 arrives late: it must not count.
    assert_eq!(
        o.sign(ids[2], 1, at(6), "late".into()),
        Err(DomainError::StaleVersion {
            given: 1,
            current: 2
        })
    );
    // Anna signed version 1; she must sign version 2 again.
    o.sign(ids[1], 2, at(7), "e".into()).unwrap();
    o.sign(ids[2], 2, at(8), "e".into()).unwrap();
    assert_eq!(o.status, OrderStatus::Open);
    o.sign(ids[0], 2, at(9), "e".into()).unwrap();
    assert_eq!(o.status, OrderStatus::Completed);
    // Version 1 keeps its history.
    assert!(matches!(
        o.versions[0].signatures[0],
        SignatureState::Signed { .. }
    ));
}

#[test]
fn resend_directly_after_decline_is_allowed_but_not_when_open() {
    let mut o = three(SigningPlan::Parallel);
    let ids = ids(&o);
    assert!(matches!(
        o.resend(doc(2), "v2.pdf".into(), at(1), at(100)),
        Err(DomainError::IllegalTransition {
            action: "resend",
            ..
        })
    ));
    o.decline(ids[0], 1, at(1), "nej").unwrap();
    assert_eq!(o.resend(doc(2), "v2.pdf".into(), at(2), at(100)), Ok(2));
}

#[test]
fn recall_is_only_for_open_or_declined_orders() {
    let mut o = three(SigningPlan::Parallel);
    o.recall(at(1), None).unwrap();
    assert!(o.recall(at(2), None).is_err());
    let mut done = three(SigningPlan::Parallel);
    for id in ids(&done) {
        done.sign(id, 1, at(1), "e".into()).unwrap();
    }
    assert!(matches!(
        done.recall(at(2), None),
        Err(DomainError::IllegalTransition {
            action: "recall",
            ..
        })
    ));
}

#[test]
fn expiry_at_the_deadline() {
    let mut o = three(SigningPlan::Parallel);
    let ids = ids(&o);
    let deadline = o.current().deadline;
    assert!(
        o.expire(deadline).is_err(),
        "not before the deadline has passed"
    );
    assert_eq!(
        o.sign(ids[0], 1, deadline + Duration::seconds(1), "e".into()),
        Err(DomainError::DeadlinePassed)
    );
    o.expire(deadline + Duration::seconds(1)).unwrap();
    assert_eq!(o.status, OrderStatus::Expired);
    assert!(o.expire(deadline + Duration::seconds(2)).is_err());
    // An expired order can be resent with a new deadline.
    let later = deadline + Duration::days(1);
    o.resend(doc(3), "v2.pdf".into(), later, later + Duration::days(7))
        .unwrap();
    assert_eq!(o.status, OrderStatus::Open);
}

#[test]
fn after_completion_seal_publish_export_in_order_only() {
    let mut o = three(SigningPlan::Parallel);
    assert!(o.mark_sealed(at(1)).is_err(), "cannot seal an open order");
    for id in ids(&o) {
        o.sign(id, 1, at(1), "e".into()).unwrap();
    }
    let anslag = crate::domain::calendar::anslag_dates(
        at(2).date_naive(),
        at(2).date_naive(),
        crate::domain::calendar::TakeDown::DayAfterAppeal,
    );
    assert!(o.mark_published(at(2), anslag).is_err());
    assert!(o.mark_exported(at(2)).is_err());
    o.mark_sealed(at(2)).unwrap();
    assert!(o.mark_sealed(at(2)).is_err(), "sealing twice is illegal");
    assert!(o.mark_exported(at(3)).is_err());
    o.mark_published(at(3), anslag).unwrap();
    assert_eq!(o.anslag, Some(anslag));
    o.mark_exported(at(4)).unwrap();
    assert_eq!(o.status, OrderStatus::Exported);
    assert!(o.status.is_complete());
    let kinds: Vec<_> = o.history.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "created",
            "signed",
            "signed",
            "signed",
            "completed",
            "seal",
            "publish",
            "export"
        ]
    );
}

#[test]
fn nothing_can_be_signed_or_declined_after_completion() {
    let mut o = three(SigningPlan::Parallel);
    let ids = ids(&o);
    for id in &ids {
        o.sign(*id, 1, at(1), "e".into()).unwrap();
    }
    assert!(o.decline(ids[0], 1, at(2), "x").is_err());
    assert!(o.expire(at(60 * 24 * 30)).is_err());
}

#[test]
fn one_reminder_per_version_shortly_before_the_deadline() {
    let mut o = three(SigningPlan::Parallel);
    let deadline = o.current().deadline;
    let two_days = Duration::days(2);
    assert!(
        !o.reminder_due(deadline - Duration::days(3), two_days),
        "too early"
    );
    assert!(o.reminder_due(deadline - Duration::days(1), two_days));
    assert!(
        !o.reminder_due(deadline + Duration::seconds(1), two_days),
        "too late"
    );
    o.mark_reminded(deadline - Duration::days(1)).unwrap();
    assert!(
        !o.reminder_due(deadline - Duration::hours(2), two_days),
        "only once"
    );
    // A resent version gets its own reminder.
    let ids = ids(&o);
    o.decline(ids[0], 1, deadline - Duration::hours(1), "fel")
        .unwrap();
    assert!(
        !o.reminder_due(deadline - Duration::minutes(30), two_days),
        "not while declined"
    );
    assert!(o.mark_reminded(deadline - Duration::minutes(30)).is_err());
    let later = deadline + Duration::days(1);
    o.resend(doc(2), "v2.pdf".into(), later - Duration::days(1), later)
        .unwrap();
    assert!(o.reminder_due(later - Duration::hours(5), two_days));
}

#[test]
fn signer_lookup_by_personnummer() {
    let o = three(SigningPlan::Parallel);
    assert!(o.is_visible_to(&pnr("191212121212")));
    assert!(!o.is_visible_to(&pnr("198112189876")));
}

#[test]
fn a_signature_is_recognised_by_its_evidence() {
    let mut o = three(SigningPlan::Parallel);
    let ids = ids(&o);
    assert!(!o.has_signature(ids[0], 1, "e"));
    o.sign(ids[0], 1, at(1), "e".into()).unwrap();
    assert!(o.has_signature(ids[0], 1, "e"));
    assert!(
        !o.has_signature(ids[0], 1, "other"),
        "another attempt's evidence"
    );
    assert!(!o.has_signature(ids[0], 2, "e"), "another version");
    assert!(!o.has_signature(ids[1], 1, "e"), "another signer");
}
