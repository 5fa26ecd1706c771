//! The signing order and its state machine. Every transition in DESIGN.md is a method here;
//! anything else is a typed [`DomainError`].
//!
//! ```text
//!  Open ──sign (last)──▶ Completed ──▶ Sealed ──▶ Published ──▶ Exported
//!   │ ▲ ╲
//!   │ │  ╲decline──▶ Declined ──recall──▶ Recalled
//!   │ │                │ resend             │ resend
//!   │ └────────────────┴────────────────────┘ (new version; old signatures never count)
//!   └─deadline──▶ Expired ──resend──▶ Open
//! ```

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::calendar::AnslagDates;
use super::error::PlanProblem;
use super::{DocumentId, DomainError, OrderId, Personnummer, SignerId, TenantId};

/// What the signer does in the justering; decides the wording in the BankID app and on the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// ordförande
    Ordforande,
    /// justerare
    Justerare,
    /// sekreterare (protokollförare)
    Sekreterare,
    /// avtalspart or other party
    Part,
}

impl Role {
    pub fn label_sv(self) -> &'static str {
        match self {
            Role::Ordforande => "Ordförande",
            Role::Justerare => "Justerare",
            Role::Sekreterare => "Sekreterare",
            Role::Part => "Part",
        }
    }
    /// What the signer declares in the BankID app.
    pub fn declaration_sv(self) -> &'static str {
        match self {
            Role::Ordforande | Role::Justerare => "Jag justerar protokollet.",
            Role::Sekreterare => "Jag intygar att protokollet är fört av mig.",
            Role::Part => "Jag godkänner och undertecknar dokumentet.",
        }
    }
}

/// How signers take turns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SigningPlan {
    /// Everybody at once.
    Parallel,
    /// One after the other, in the order given.
    Sequential,
    /// Groups: each signer carries a step number; a step opens when every earlier step is signed.
    Steps,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Open,
    Declined,
    Recalled,
    Expired,
    Completed,
    Sealed,
    Published,
    Exported,
}

impl OrderStatus {
    pub fn label_sv(&self) -> &'static str {
        match self {
            OrderStatus::Open => "väntar på underskrift",
            OrderStatus::Declined => "avböjd",
            OrderStatus::Recalled => "återkallad",
            OrderStatus::Expired => "förfallen",
            OrderStatus::Completed => "signerad av alla",
            OrderStatus::Sealed => "förseglad",
            OrderStatus::Published => "publicerad",
            OrderStatus::Exported => "arkiverad",
        }
    }
    /// Signing is over for good: the seal has (or will) run on this version.
    pub fn is_complete(&self) -> bool {
        matches!(
            self,
            OrderStatus::Completed
                | OrderStatus::Sealed
                | OrderStatus::Published
                | OrderStatus::Exported
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSigner {
    pub name: String,
    pub email: Option<String>,
    pub role: Role,
    pub personnummer: Personnummer,
    /// Only with [`SigningPlan::Steps`].
    pub step: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signer {
    pub id: SignerId,
    pub name: String,
    pub email: Option<String>,
    pub role: Role,
    pub personnummer: Personnummer,
    pub step: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SignatureState {
    Pending,
    Signed {
        at: DateTime<Utc>,
        /// Where the verified BankID evidence is stored.
        evidence_key: String,
    },
    Declined {
        at: DateTime<Utc>,
        comment: String,
    },
}

/// One version of the document sent for signing. A resend makes a new version; signatures
/// live in their version, so nothing signed on an earlier version can count for a later one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderVersion {
    pub number: u32,
    pub document_id: DocumentId,
    pub file_name: String,
    pub sent_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    /// Indexed like `SigningOrder::signers`.
    pub signatures: Vec<SignatureState>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderEvent {
    pub at: DateTime<Utc>,
    pub kind: String,
    pub version: u32,
    pub signer: Option<SignerId>,
    pub detail: Option<String>,
}

/// What the secretary says about the meeting; shown to signers and on the notice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingDetails {
    /// organ / nämnd
    pub committee: String,
    pub meeting_date: NaiveDate,
    /// e.g. "§§ 1–14"
    pub paragraphs: String,
    pub title: String,
    pub diarienummer: Option<String>,
    pub message: Option<String>,
    /// Where the secretary wants word when someone declines or everyone has signed.
    #[serde(default)]
    pub secretary_email: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningOrder {
    pub id: OrderId,
    pub tenant: TenantId,
    pub meeting: MeetingDetails,
    pub plan: SigningPlan,
    pub signers: Vec<Signer>,
    pub status: OrderStatus,
    pub versions: Vec<OrderVersion>,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub history: Vec<OrderEvent>,
    /// The anslag's dates, from the day the notice was posted (set when published).
    #[serde(default)]
    pub anslag: Option<AnslagDates>,
}

pub struct NewOrder {
    pub id: OrderId,
    pub tenant: TenantId,
    pub meeting: MeetingDetails,
    pub plan: SigningPlan,
    pub signers: Vec<NewSigner>,
    pub document_id: DocumentId,
    pub file_name: String,
    pub deadline: DateTime<Utc>,
}

pub const MAX_SIGNERS: usize = 50;
pub const MAX_COMMENT_CHARS: usize = 2000;

impl SigningOrder {
    pub fn create(new: NewOrder, now: DateTime<Utc>) -> Result<Self, DomainError> {
        if new.signers.is_empty() {
            return Err(DomainError::InvalidPlan(PlanProblem::NoSigners));
        }
        if new.signers.len() > MAX_SIGNERS {
            return Err(DomainError::InvalidPlan(PlanProblem::TooManySigners));
        }
        for (i, s) in new.signers.iter().enumerate() {
            if s.name.trim().is_empty() {
                return Err(DomainError::InvalidPlan(PlanProblem::SignerWithoutName(
                    i + 1,
                )));
            }
            if new.signers[..i]
                .iter()
                .any(|t| t.personnummer == s.personnummer)
            {
                return Err(DomainError::InvalidPlan(PlanProblem::DuplicateSigner(
                    i + 1,
                )));
            }
        }
        if new.deadline <= now {
            return Err(DomainError::InvalidPlan(PlanProblem::DeadlineInPast));
        }
        let steps = plan_steps(new.plan, &new.signers)?;
        let signers: Vec<Signer> = new
            .signers
            .into_iter()
            .zip(steps)
            .map(|(s, step)| Signer {
                id: SignerId::new(),
                name: s.name.trim().to_string(),
                email: s.email,
                role: s.role,
                personnummer: s.personnummer,
                step,
            })
            .collect();
        let version = OrderVersion {
            number: 1,
            document_id: new.document_id,
            file_name: new.file_name,
            sent_at: now,
            deadline: new.deadline,
            signatures: vec![SignatureState::Pending; signers.len()],
        };
        let mut order = SigningOrder {
            id: new.id,
            tenant: new.tenant,
            meeting: new.meeting,
            plan: new.plan,
            signers,
            status: OrderStatus::Open,
            versions: vec![version],
            created_at: now,
            completed_at: None,
            anslag: None,
            history: Vec::new(),
        };
        order.record(now, "created", None, None);
        Ok(order)
    }

    pub fn current(&self) -> &OrderVersion {
        // `create` makes version 1 and versions are only ever pushed.
        self.versions
            .last()
            .expect("an order has at least one version")
    }

    fn current_mut(&mut self) -> &mut OrderVersion {
        self.versions
            .last_mut()
            .expect("an order has at least one version")
    }

    pub fn signer(&self, id: SignerId) -> Option<&Signer> {
        self.signers.iter().find(|s| s.id == id)
    }

    pub fn signer_for(&self, who: &Personnummer) -> Option<&Signer> {
        self.signers.iter().find(|s| &s.personnummer == who)
    }

    /// The day of justering: when the last signature made the order complete, in Sweden
    /// (the creation day for an order that is not complete).
    pub fn justering_date(&self) -> chrono::NaiveDate {
        self.completed_at
            .unwrap_or(self.created_at)
            .with_timezone(&chrono_tz::Europe::Stockholm)
            .date_naive()
    }

    /// Whether a signer logged in as `who` may see this order: only if it names them, on
    /// any version. The index of orders by signer only finds candidates; this decides, and
    /// the portal answers "not found" otherwise, so nobody learns an order exists by guessing.
    pub fn is_visible_to(&self, who: &Personnummer) -> bool {
        self.signer_for(who).is_some()
    }

    fn signer_index(&self, id: SignerId) -> Result<usize, DomainError> {
        self.signers
            .iter()
            .position(|s| s.id == id)
            .ok_or(DomainError::NotASigner)
    }

    /// The lowest step that still has a pending signer on the current version.
    pub fn active_step(&self) -> Option<u32> {
        let v = self.current();
        self.signers
            .iter()
            .zip(&v.signatures)
            .filter(|(_, st)| matches!(st, SignatureState::Pending))
            .map(|(s, _)| s.step)
            .min()
    }

    /// Whether `id` may sign the current version now (ignores the deadline clock).
    pub fn may_sign(&self, id: SignerId) -> Result<(), DomainError> {
        if self.status != OrderStatus::Open {
            return Err(DomainError::IllegalTransition {
                action: "sign",
                from: self.status.clone(),
            });
        }
        let i = self.signer_index(id)?;
        if !matches!(self.current().signatures[i], SignatureState::Pending) {
            return Err(DomainError::AlreadyActed);
        }
        if Some(self.signers[i].step) != self.active_step() {
            return Err(DomainError::NotYourTurn);
        }
        Ok(())
    }

    pub fn sign(
        &mut self,
        id: SignerId,
        version: u32,
        at: DateTime<Utc>,
        evidence_key: String,
    ) -> Result<(), DomainError> {
        self.check_version(version)?;
        self.may_sign(id)?;
        if at > self.current().deadline {
            return Err(DomainError::DeadlinePassed);
        }
        let i = self.signer_index(id)?;
        self.current_mut().signatures[i] = SignatureState::Signed { at, evidence_key };
        self.record(at, "signed", Some(id), None);
        if self
            .current()
            .signatures
            .iter()
            .all(|s| matches!(s, SignatureState::Signed { .. }))
        {
            self.status = OrderStatus::Completed;
            self.completed_at = Some(at);
            self.record(at, "completed", None, None);
        }
        Ok(())
    }

    pub fn decline(
        &mut self,
        id: SignerId,
        version: u32,
        at: DateTime<Utc>,
        comment: &str,
    ) -> Result<(), DomainError> {
        self.check_version(version)?;
        let comment = comment.trim();
        if comment.is_empty() {
            return Err(DomainError::CommentRequired);
        }
        if self.status != OrderStatus::Open {
            return Err(DomainError::IllegalTransition {
                action: "decline",
                from: self.status.clone(),
            });
        }
        let i = self.signer_index(id)?;
        if !matches!(self.current().signatures[i], SignatureState::Pending) {
            return Err(DomainError::AlreadyActed);
        }
        let comment: String = comment.chars().take(MAX_COMMENT_CHARS).collect();
        self.current_mut().signatures[i] = SignatureState::Declined {
            at,
            comment: comment.clone(),
        };
        self.status = OrderStatus::Declined;
        self.record(at, "declined", Some(id), Some(comment));
        Ok(())
    }

    pub fn recall(&mut self, at: DateTime<Utc>, reason: Option<&str>) -> Result<(), DomainError> {
        match self.status {
            OrderStatus::Open | OrderStatus::Declined => {
                self.status = OrderStatus::Recalled;
                self.record(at, "recalled", None, reason.map(str::to_string));
                Ok(())
            }
            _ => Err(DomainError::IllegalTransition {
                action: "recall",
                from: self.status.clone(),
            }),
        }
    }

    /// Send a corrected document as a new version. Every signer starts over.
    pub fn resend(
        &mut self,
        document_id: DocumentId,
        file_name: String,
        at: DateTime<Utc>,
        deadline: DateTime<Utc>,
    ) -> Result<u32, DomainError> {
        match self.status {
            OrderStatus::Recalled | OrderStatus::Declined | OrderStatus::Expired => {}
            _ => {
                return Err(DomainError::IllegalTransition {
                    action: "resend",
                    from: self.status.clone(),
                })
            }
        }
        if deadline <= at {
            return Err(DomainError::InvalidPlan(PlanProblem::DeadlineInPast));
        }
        let number = self.current().number + 1;
        self.versions.push(OrderVersion {
            number,
            document_id,
            file_name,
            sent_at: at,
            deadline,
            signatures: vec![SignatureState::Pending; self.signers.len()],
        });
        self.status = OrderStatus::Open;
        self.record(at, "resent", None, None);
        Ok(number)
    }

    /// The deadline passed with signatures missing.
    pub fn expire(&mut self, now: DateTime<Utc>) -> Result<(), DomainError> {
        if self.status != OrderStatus::Open {
            return Err(DomainError::IllegalTransition {
                action: "expire",
                from: self.status.clone(),
            });
        }
        if now <= self.current().deadline {
            return Err(DomainError::NotDueYet);
        }
        self.status = OrderStatus::Expired;
        self.record(now, "expired", None, None);
        Ok(())
    }

    pub fn mark_sealed(&mut self, at: DateTime<Utc>) -> Result<(), DomainError> {
        self.advance(OrderStatus::Completed, OrderStatus::Sealed, "seal", at)
    }
    /// Published, with the notice's dates of law (the secretary sees them, late or not).
    pub fn mark_published(
        &mut self,
        at: DateTime<Utc>,
        anslag: AnslagDates,
    ) -> Result<(), DomainError> {
        self.advance(OrderStatus::Sealed, OrderStatus::Published, "publish", at)?;
        self.anslag = Some(anslag);
        Ok(())
    }
    pub fn mark_exported(&mut self, at: DateTime<Utc>) -> Result<(), DomainError> {
        self.advance(OrderStatus::Published, OrderStatus::Exported, "export", at)
    }

    /// Whether the signers of the current version are due a reminder at `now`: the order is
    /// open, its deadline is less than `before` away, and nobody has reminded them yet.
    pub fn reminder_due(&self, now: DateTime<Utc>, before: chrono::Duration) -> bool {
        let v = self.current();
        self.status == OrderStatus::Open
            && now < v.deadline
            && v.deadline - now <= before
            && !self
                .history
                .iter()
                .any(|e| e.kind == "reminded" && e.version == v.number)
    }

    /// Record that the signers of the current version were reminded.
    pub fn mark_reminded(&mut self, at: DateTime<Utc>) -> Result<(), DomainError> {
        if self.status != OrderStatus::Open {
            return Err(DomainError::IllegalTransition {
                action: "remind",
                from: self.status.clone(),
            });
        }
        self.record(at, "reminded", None, None);
        Ok(())
    }

    /// When the justering happened: the last signature of the completed version.
    pub fn justering_time(&self) -> Option<DateTime<Utc>> {
        self.completed_at
    }

    fn advance(
        &mut self,
        from: OrderStatus,
        to: OrderStatus,
        action: &'static str,
        at: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        if self.status != from {
            return Err(DomainError::IllegalTransition {
                action,
                from: self.status.clone(),
            });
        }
        self.status = to;
        self.record(at, action, None, None);
        Ok(())
    }

    fn check_version(&self, version: u32) -> Result<(), DomainError> {
        let current = self.current().number;
        if version != current {
            return Err(DomainError::StaleVersion {
                given: version,
                current,
            });
        }
        Ok(())
    }

    fn record(
        &mut self,
        at: DateTime<Utc>,
        kind: &str,
        signer: Option<SignerId>,
        detail: Option<String>,
    ) {
        let version = self.versions.last().map(|v| v.number).unwrap_or(0);
        self.history.push(OrderEvent {
            at,
            kind: kind.to_string(),
            version,
            signer,
            detail,
        });
    }
}

fn plan_steps(plan: SigningPlan, signers: &[NewSigner]) -> Result<Vec<u32>, DomainError> {
    match plan {
        SigningPlan::Parallel => Ok(vec![0; signers.len()]),
        SigningPlan::Sequential => Ok((0..signers.len() as u32).collect()),
        SigningPlan::Steps => signers
            .iter()
            .enumerate()
            .map(|(i, s)| {
                s.step
                    .ok_or(DomainError::InvalidPlan(PlanProblem::StepMissing(i + 1)))
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorText;
    use chrono::{Duration, TimeZone};

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
    fn order(plan: SigningPlan, signers: Vec<NewSigner>) -> SigningOrder {
        SigningOrder::create(
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
                },
                plan,
                signers,
                document_id: doc(1),
                file_name: "protokoll.pdf".into(),
                deadline: t0() + Duration::days(14),
            },
            t0(),
        )
        .unwrap()
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
            NewOrder {
                id: OrderId::new(),
                tenant: TenantId::parse("norrbotten").unwrap(),
                meeting: three(SigningPlan::Parallel).meeting,
                plan: SigningPlan::Steps,
                signers: vec![signer("A", Role::Part, "19121212-1212", None)],
                document_id: doc(1),
                file_name: "x.pdf".into(),
                deadline: at(60),
            },
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
        let base = three(SigningPlan::Parallel);
        let mk = |signers| {
            SigningOrder::create(
                NewOrder {
                    id: OrderId::new(),
                    tenant: base.tenant.clone(),
                    meeting: base.meeting.clone(),
                    plan: SigningPlan::Parallel,
                    signers,
                    document_id: doc(1),
                    file_name: "x.pdf".into(),
                    deadline: at(60),
                },
                t0(),
            )
        };
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
        let anslag = crate::domain::calendar::anslag_dates(at(2).date_naive(), at(2).date_naive());
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
}
