//! The state machine: creating an order, and every transition of the diagram in the module
//! docs, each recorded in the order's history.

use chrono::{DateTime, Utc};

use super::{
    NewOrder, NewSigner, OrderEvent, OrderStatus, OrderVersion, SignatureState, Signer,
    SigningOrder, SigningPlan, MAX_COMMENT_CHARS, MAX_SIGNERS,
};
use crate::domain::calendar::AnslagDates;
use crate::domain::error::PlanProblem;
use crate::domain::{DocumentId, DomainError, PipelineStep, SignerId};

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
            publication_document: None,
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
            claim: None,
            failure: None,
            archive_proof: None,
            history: Vec::new(),
        };
        order.record(now, "created", None, None);
        Ok(order)
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
            publication_document: None,
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
    /// The publication version had personnummer taken out: the history says where, for the
    /// secretary.
    pub fn note_removed_from_publication(&mut self, at: DateTime<Utc>, detail: String) {
        self.record(at, "personnummer_removed", None, Some(detail));
    }
    /// The paragraphs under sekretess were left out of the publication version.
    pub fn note_confidential_left_out(&mut self, at: DateTime<Utc>, paragraphs: &[u32]) {
        let list: Vec<String> = paragraphs.iter().map(|p| format!("§ {p}")).collect();
        let detail = format!(
            "Sekretess: {} borttagen ur publiceringsversionen.",
            list.join(", ")
        );
        self.record(at, "confidential_removed", None, Some(detail));
    }
    /// The secretary's own publication version, to publish instead of the signed document.
    /// Refused once the notice is up. When the order stopped at the publish step (a page the
    /// service could not check), that step runs again: returned, to be queued.
    pub fn use_publication_version(
        &mut self,
        document: DocumentId,
        at: DateTime<Utc>,
    ) -> Result<Option<PipelineStep>, DomainError> {
        if self.anslag.is_some()
            || matches!(
                self.status,
                OrderStatus::Published | OrderStatus::Exported | OrderStatus::Recalled
            )
        {
            return Err(DomainError::IllegalTransition {
                action: "publication_version",
                from: self.status.clone(),
            });
        }
        self.current_mut().publication_document = Some(document);
        self.record(at, "publication_version_supplied", None, None);
        let stopped_at_publish = self.status == OrderStatus::Failed
            && self
                .failure
                .as_ref()
                .is_some_and(|f| f.step == PipelineStep::Publish);
        if stopped_at_publish {
            return self.retry_pipeline(at).map(Some);
        }
        Ok(None)
    }
    pub fn mark_exported(&mut self, at: DateTime<Utc>) -> Result<(), DomainError> {
        self.advance(OrderStatus::Published, OrderStatus::Exported, "export", at)
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

    fn current_mut(&mut self) -> &mut OrderVersion {
        self.versions
            .last_mut()
            .expect("an order has at least one version")
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
        self.claim = None;
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

    pub(super) fn record(
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
