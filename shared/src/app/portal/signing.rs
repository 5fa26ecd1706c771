//! The signer's documents, and signing or rejecting them with BankID.

use bytes::Bytes;
use chrono::{DateTime, Utc};

use super::eid::Step;
use super::{CollectOutcome, Portal, StartedEid};
use crate::app::tenants::existing_tenant;
use crate::app::{texts, AppError, SignerSession};
use crate::domain::pipeline::{next_step, PipelinePosition};
use crate::domain::{OrderId, Signer, SigningOrder, SigningPlan, Tenant, TenantId};
use crate::ports::{EidIdentity, EidSignText, EndUser, Job};
use crate::repo::{files, EidPurpose, Versioned};

/// What a retried collect needs back from stored evidence.
#[derive(serde::Deserialize)]
pub(super) struct StoredEvidence {
    pub identity: EidIdentity,
    pub completion_data: serde_json::Value,
    pub received_at: DateTime<Utc>,
    #[serde(default)]
    pub user_visible_data: Option<String>,
    #[serde(default)]
    pub user_non_visible_data: Option<String>,
    #[serde(default)]
    pub verification_error: Option<String>,
}

impl Portal {
    async fn tenant(&self, t: &TenantId) -> Result<Tenant, AppError> {
        Ok(existing_tenant(&self.tenants, t).await?.value.tenant)
    }

    /// The order if this signer may see it (`SigningOrder::is_visible_to`), else "not found",
    /// so nobody learns that an order exists by guessing its id. The one gate of the portal.
    async fn visible_order(
        &self,
        session: &SignerSession,
        t: &TenantId,
        id: OrderId,
    ) -> Result<SigningOrder, AppError> {
        let not_found = || AppError::NotFound { what: "order" };
        let order = self.orders.load(t, id).await?.ok_or_else(not_found)?.value;
        if !order.is_visible_to(&session.personnummer) {
            return Err(not_found());
        }
        Ok(order)
    }

    /// Orders that name this signer, newest first, from every tenant.
    pub async fn my_orders(&self, session: &SignerSession) -> Result<Vec<SigningOrder>, AppError> {
        let hash = self.orders.person_hash(&session.personnummer);
        let mut out = Vec::new();
        for (t, id) in self.orders.naming(&hash).await? {
            match self.visible_order(session, &t, id).await {
                Ok(order) => out.push(order),
                // The index is only an index: an entry the order does not back is skipped.
                Err(AppError::NotFound { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
        out.sort_by_key(|o| std::cmp::Reverse(o.created_at));
        Ok(out)
    }

    /// An order as the signer may see it (tenant and id as the caller sent them).
    pub async fn order_for_signer(
        &self,
        session: &SignerSession,
        tenant: &str,
        order_id: &str,
    ) -> Result<SigningOrder, AppError> {
        let t = TenantId::parse(tenant).map_err(|_| AppError::NotFound { what: "order" })?;
        let id = OrderId::parse(order_id).map_err(|_| AppError::NotFound { what: "order" })?;
        self.visible_order(session, &t, id).await
    }

    /// The order and the session's own place in it.
    async fn order_and_signer(
        &self,
        session: &SignerSession,
        tenant: &str,
        order_id: &str,
    ) -> Result<(SigningOrder, Signer), AppError> {
        let order = self.order_for_signer(session, tenant, order_id).await?;
        let signer = order
            .signer_for(&session.personnummer)
            .ok_or(AppError::NotFound { what: "order" })?
            .clone();
        Ok((order, signer))
    }

    pub async fn signer_document(
        &self,
        session: &SignerSession,
        tenant: &str,
        order_id: &str,
    ) -> Result<crate::app::Download, AppError> {
        let order = self.order_for_signer(session, tenant, order_id).await?;
        let key = files::original(&order.tenant, &order.current().document_id);
        crate::app::Download::from_store(self.objects.as_ref(), &key, "document").await
    }

    pub async fn start_signing(
        &self,
        session: &SignerSession,
        tenant: &str,
        order_id: &str,
        end_user: &EndUser,
    ) -> Result<StartedEid, AppError> {
        let (order, signer) = self.order_and_signer(session, tenant, order_id).await?;
        order.may_sign(signer.id)?;
        if self.clock.now() > order.current().deadline {
            return Err(crate::domain::DomainError::DeadlinePassed.into());
        }
        let tenant = self.tenant(&order.tenant).await?;
        let text = texts::sign_text(&tenant, &order, &signer);
        // A signature BankID completed earlier, whose recording was cut short (the page closed,
        // a crash): it counts, and no second one is asked for.
        if self
            .adopt_stored_signature(session, &order, &signer, &text)
            .await?
        {
            return Err(crate::domain::DomainError::AlreadyActed.into());
        }
        let started = self
            .eid
            .start_sign(end_user, session.personnummer.as_str(), &text)
            .await?;
        self.remember_eid_order(
            &started,
            EidPurpose::Sign {
                session_hash: session.session_hash.clone(),
                tenant: order.tenant.clone(),
                order_id: order.id,
                signer_id: signer.id,
                version: order.current().number,
                user_visible_data_b64: text.user_visible_data_b64,
                user_non_visible_data_b64: text.user_non_visible_data_b64,
            },
            end_user,
        )
        .await
    }

    pub async fn collect_signing(
        &self,
        session: &SignerSession,
        our_ref: &str,
    ) -> Result<CollectOutcome, AppError> {
        let Versioned {
            value: mut rec,
            version,
        } = self.eid_order(our_ref).await?;
        let EidPurpose::Sign {
            session_hash,
            tenant,
            order_id,
            signer_id,
            version: order_version,
            user_visible_data_b64,
            user_non_visible_data_b64,
        } = rec.purpose.clone()
        else {
            return Err(AppError::NotFound {
                what: "bankid_order",
            });
        };
        if session_hash != session.session_hash {
            return Err(AppError::NotFound {
                what: "bankid_order",
            });
        }
        let signer_pnr = session.personnummer.as_str().to_string();
        let bankid_order_ref = rec.bankid_order_ref.clone();
        let evidence_key = files::evidence(
            &tenant,
            order_id,
            order_version,
            signer_id,
            &bankid_order_ref,
        );
        // BankID answers `complete` once and refuses to collect that order again, so a poll
        // after a failure further on completes the signature from the evidence stored. Only
        // then is the evidence looked for: a pending poll costs no read of it.
        let (identity, completion_data, received_at, already_stored) = match self
            .collect_step(our_ref, &mut rec, version, Some(&signer_pnr))
            .await
        {
            Ok(Step::Pending { hint_code, qr_data }) => {
                return Ok(CollectOutcome::Pending { hint_code, qr_data })
            }
            Ok(Step::Failed { hint_code }) => return Ok(CollectOutcome::Failed { hint_code }),
            Ok(Step::Complete {
                identity,
                completion_data,
            }) => (identity, completion_data, self.clock.now(), false),
            Err(collect_error) => match self.stored_evidence(&evidence_key).await? {
                Some(s) => (s.identity, s.completion_data, s.received_at, true),
                None => return Err(collect_error),
            },
        };
        let text = EidSignText {
            user_visible_data_b64,
            user_non_visible_data_b64,
        };
        // The evidence must be for the logged-in signer and for exactly what we sent.
        let verification = if identity.personal_number != session.personnummer.as_str() {
            Err(AppError::Eid {
                code: "evidenceRejected".into(),
                details: "signed by another person than the one logged in".into(),
            })
        } else {
            self.eid
                .verify_evidence(&completion_data, session.personnummer.as_str(), Some(&text))
                .map_err(AppError::from)
        };
        // The order of writes is what keeps a completed signature: the evidence first (what
        // BankID completed, verified or not), then the order, and only then the BankID order
        // record, so any failure in between is completed by the next poll.
        if !already_stored {
            let evidence = serde_json::json!({
                "order_ref": bankid_order_ref,
                "received_at": received_at,
                "tenant": tenant,
                "order_id": order_id,
                "order_version": order_version,
                "signer_id": signer_id,
                "identity": identity,
                "user_visible_data": text.user_visible_data_b64,
                "user_non_visible_data": text.user_non_visible_data_b64,
                "completion_data": completion_data,
                "verification": verification.as_ref().ok(),
                "verification_error": verification.as_ref().err().map(|e| e.to_string()),
            });
            let bytes = Bytes::from(
                serde_json::to_vec_pretty(&evidence)
                    .map_err(|e| AppError::Internal(e.to_string()))?,
            );
            self.store_evidence(&evidence_key, bytes).await?;
        }
        if let Err(e) = verification {
            self.forget_eid_order(our_ref, version).await?;
            return Err(e);
        }
        let order = self
            .record_signature(
                &tenant,
                order_id,
                signer_id,
                order_version,
                received_at,
                &evidence_key,
            )
            .await?;
        // The signature is recorded: a record that cannot be forgotten now runs out on its own.
        if let Err(e) = self.forget_eid_order(our_ref, version).await {
            tracing::warn!(error = %e, "BankID order record not removed; it expires by itself");
        }
        Ok(CollectOutcome::Complete {
            order_status: order.status,
        })
    }

    /// BankID's answer lives only in this process until its evidence is stored: a write that
    /// fails for a moment is tried again at once rather than losing the signature.
    async fn store_evidence(&self, key: &str, bytes: Bytes) -> Result<(), AppError> {
        let mut attempt = 0;
        loop {
            match self
                .objects
                .put(key, bytes.clone(), "application/json")
                .await
            {
                Ok(()) => return Ok(()),
                Err(e) if attempt < 3 => {
                    tracing::warn!(error = %e, attempt, "evidence not stored yet; trying again");
                    attempt += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(50 << attempt)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The signature in the order (a repeat of the same one records nothing new), then what
    /// follows a signature: the seal queued after the last one, or the next signers invited.
    pub(super) async fn record_signature(
        &self,
        tenant: &TenantId,
        order_id: crate::domain::OrderId,
        signer_id: crate::domain::SignerId,
        order_version: u32,
        received_at: DateTime<Utc>,
        evidence_key: &str,
    ) -> Result<SigningOrder, AppError> {
        let (order, ()) = self
            .orders
            .update_with(tenant, order_id, |o| {
                if o.has_signature(signer_id, order_version, evidence_key) {
                    return Ok(());
                }
                Ok::<_, AppError>(o.sign(
                    signer_id,
                    order_version,
                    received_at,
                    evidence_key.to_string(),
                )?)
            })
            .await?
            .ok_or(AppError::NotFound { what: "order" })?;
        self.after_signature(&order).await?;
        Ok(order)
    }

    /// The evidence of a collect that completed before: who signed, what BankID returned, and
    /// when it arrived.
    async fn stored_evidence(&self, key: &str) -> Result<Option<StoredEvidence>, AppError> {
        let Some(bytes) = self.objects.get(key).await? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| AppError::Internal(e.to_string()))
    }

    /// The last signature queues the pipeline's first step; otherwise the next step of
    /// signers may need its invitations.
    async fn after_signature(&self, order: &SigningOrder) -> Result<(), AppError> {
        if let PipelinePosition::Waiting(step) = next_step(&order.status) {
            self.queue
                .enqueue(Job::for_step(step, &order.tenant, order.id))
                .await?;
            let (subject, text) = texts::completed_mail(order, self.notify.base_url());
            self.notify.secretary(order, subject, text).await;
        } else if order.plan != SigningPlan::Parallel {
            let tenant = self.tenant(&order.tenant).await?;
            self.notify.signers(&tenant, order, false).await;
        }
        Ok(())
    }

    pub async fn reject(
        &self,
        session: &SignerSession,
        tenant: &str,
        order_id: &str,
        comment: &str,
    ) -> Result<SigningOrder, AppError> {
        let (order, signer) = self.order_and_signer(session, tenant, order_id).await?;
        let signer = signer.id;
        let now: DateTime<Utc> = self.clock.now();
        let version = order.current().number;
        let (order, ()) = self
            .orders
            .update_with(&order.tenant, order.id, |o| {
                Ok::<_, AppError>(o.decline(signer, version, now, comment)?)
            })
            .await?
            .ok_or(AppError::NotFound { what: "order" })?;
        if let Some(s) = order.signer(signer) {
            let (subject, text) =
                texts::declined_mail(&order, s, comment.trim(), self.notify.base_url());
            self.notify.secretary(&order, subject, text).await;
        }
        Ok(order)
    }
}

#[cfg(all(test, feature = "embedded"))]
#[path = "signing_fault_tests.rs"]
mod fault_tests;
