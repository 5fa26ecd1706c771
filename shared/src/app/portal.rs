//! The signer portal: BankID login, my documents, sign, reject.

use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use rand_core::RngCore;
use serde::Serialize;

use super::repo::{keys, new_item, sha256_hex, EidOrderRecord, EidPurpose, SessionRecord};
use super::{App, AppError};
use crate::bankid::qr::qr_data;
use crate::domain::{OrderId, OrderStatus, Personnummer, SigningOrder, TenantId};
use crate::ports::{EidSignText, EndUser, Expect, Job, Write};

/// A signer logged in with BankID. The session is bound to their personnummer.
#[derive(Clone, Debug)]
pub struct SignerSession {
    pub personnummer: Personnummer,
    pub name: String,
    pub(crate) session_hash: String,
}

/// A BankID order the browser now follows: the autostart token and the current QR.
#[derive(Clone, Debug, Serialize)]
pub struct StartedEid {
    pub order_ref: String,
    pub auto_start_token: String,
    pub qr_data: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum LoginOutcome {
    Pending {
        hint_code: Option<String>,
        qr_data: String,
    },
    Failed {
        hint_code: Option<String>,
    },
    Complete {
        session_token: String,
        name: String,
    },
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CollectOutcome {
    Pending {
        hint_code: Option<String>,
        qr_data: String,
    },
    Failed {
        hint_code: Option<String>,
    },
    Complete {
        order_status: OrderStatus,
    },
}

/// How long we remember a BankID order (BankID forgets them after a few minutes).
const EID_ORDER_TTL_MINUTES: i64 = 10;
/// BankID's rule: call collect at most every two seconds.
const MIN_COLLECT_INTERVAL_MS: i64 = 2000;
/// How many times an order nobody scanned in time (`startFailed`) is started again.
const MAX_RESTARTS: u32 = 3;

fn eid_pk(our_ref: &str) -> String {
    format!("EID#{our_ref}")
}

/// One collect of a BankID order we follow, before the purpose-specific handling.
enum Step {
    Pending {
        hint_code: Option<String>,
        qr_data: String,
    },
    Failed {
        hint_code: Option<String>,
    },
    Complete {
        identity: crate::ports::EidIdentity,
        completion_data: serde_json::Value,
    },
}

impl App {
    fn qr_now(&self, rec: &EidOrderRecord) -> String {
        let secs = (self.ports.clock.now() - rec.started_at)
            .num_seconds()
            .max(0) as u64;
        qr_data(&rec.qr_start_token, &rec.qr_start_secret, secs)
    }

    async fn remember_eid_order(
        &self,
        started: &crate::ports::EidStarted,
        purpose: EidPurpose,
        end_user: &EndUser,
    ) -> Result<StartedEid, AppError> {
        let now = self.ports.clock.now();
        let our_ref = uuid::Uuid::new_v4().to_string();
        let rec = EidOrderRecord {
            purpose,
            bankid_order_ref: started.order_ref.clone(),
            qr_start_token: started.qr_start_token.clone(),
            qr_start_secret: started.qr_start_secret.clone(),
            started_at: now,
            end_user: end_user.clone(),
            restarts: 0,
            last_collect_at: None,
            last_hint: None,
        };
        let mut item = new_item(
            eid_pk(&our_ref),
            "EID".into(),
            serde_json::to_value(&rec).map_err(|e| AppError::Internal(e.to_string()))?,
        );
        item.expires_at = Some((now + Duration::minutes(EID_ORDER_TTL_MINUTES)).timestamp());
        self.ports
            .state
            .transact(vec![Write::Put {
                item,
                expect: Expect::Absent,
            }])
            .await?;
        Ok(StartedEid {
            order_ref: our_ref,
            auto_start_token: started.auto_start_token.clone(),
            qr_data: self.qr_now(&rec),
        })
    }

    async fn eid_order(&self, our_ref: &str) -> Result<(EidOrderRecord, u64), AppError> {
        if uuid::Uuid::parse_str(our_ref).is_err() {
            return Err(AppError::NotFound {
                what: "bankid_order",
            });
        }
        let item = self
            .ports
            .state
            .get(&eid_pk(our_ref), "EID")
            .await?
            .filter(|i| {
                i.expires_at
                    .is_none_or(|e| e > self.ports.clock.now().timestamp())
            })
            .ok_or(AppError::NotFound {
                what: "bankid_order",
            })?;
        Ok((super::repo::from_item(&item)?, item.version))
    }

    /// Write the record back if nobody else did meanwhile; losing that race is harmless
    /// (the other poll wrote an equally fresh state).
    async fn save_eid_order(
        &self,
        our_ref: &str,
        rec: &EidOrderRecord,
        version: u64,
    ) -> Result<(), AppError> {
        let mut item = new_item(
            eid_pk(our_ref),
            "EID".into(),
            serde_json::to_value(rec).map_err(|e| AppError::Internal(e.to_string()))?,
        );
        item.expires_at =
            Some((self.ports.clock.now() + Duration::minutes(EID_ORDER_TTL_MINUTES)).timestamp());
        match self
            .ports
            .state
            .transact(vec![Write::Put {
                item,
                expect: Expect::Version(version),
            }])
            .await
        {
            Ok(()) | Err(crate::ports::StateError::ConditionFailed { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    async fn forget_eid_order(&self, our_ref: &str, version: u64) -> Result<(), AppError> {
        self.ports
            .state
            .transact(vec![Write::Delete {
                pk: eid_pk(our_ref),
                sk: "EID".into(),
                expect: Expect::Version(version),
            }])
            .await?;
        Ok(())
    }

    /// Collect once (at most every two seconds towards BankID). An order nobody scanned in
    /// time is started again, a bounded number of times, under the same reference.
    /// `signer` is the personnummer a sign order is bound to (None for login).
    async fn collect_step(
        &self,
        our_ref: &str,
        rec: &mut EidOrderRecord,
        version: u64,
        signer: Option<&str>,
    ) -> Result<Step, AppError> {
        let now = self.ports.clock.now();
        if let Some(last) = rec.last_collect_at {
            if (now - last).num_milliseconds() < MIN_COLLECT_INTERVAL_MS {
                return Ok(Step::Pending {
                    hint_code: rec.last_hint.clone(),
                    qr_data: self.qr_now(rec),
                });
            }
        }
        match self.ports.eid.collect(&rec.bankid_order_ref).await? {
            crate::ports::EidCollect::Pending { hint_code } => {
                rec.last_collect_at = Some(now);
                rec.last_hint = hint_code.clone();
                self.save_eid_order(our_ref, rec, version).await?;
                Ok(Step::Pending {
                    hint_code,
                    qr_data: self.qr_now(rec),
                })
            }
            crate::ports::EidCollect::Failed { hint_code }
                if hint_code.as_deref() == Some("startFailed") && rec.restarts < MAX_RESTARTS =>
            {
                let started = match (&rec.purpose, signer) {
                    (EidPurpose::Login, _) => self.ports.eid.start_auth(&rec.end_user).await?,
                    (
                        EidPurpose::Sign {
                            user_visible_data_b64,
                            user_non_visible_data_b64,
                            ..
                        },
                        Some(pnr),
                    ) => {
                        let text = EidSignText {
                            user_visible_data_b64: user_visible_data_b64.clone(),
                            user_non_visible_data_b64: user_non_visible_data_b64.clone(),
                        };
                        self.ports.eid.start_sign(&rec.end_user, pnr, &text).await?
                    }
                    (EidPurpose::Sign { .. }, None) => {
                        return Err(AppError::Internal("sign order without its signer".into()))
                    }
                };
                rec.bankid_order_ref = started.order_ref;
                rec.qr_start_token = started.qr_start_token;
                rec.qr_start_secret = started.qr_start_secret;
                rec.started_at = now;
                rec.restarts += 1;
                rec.last_collect_at = Some(now);
                rec.last_hint = Some("outstandingTransaction".into());
                self.save_eid_order(our_ref, rec, version).await?;
                tracing::info!(
                    restarts = rec.restarts,
                    "BankID order restarted after startFailed"
                );
                Ok(Step::Pending {
                    hint_code: rec.last_hint.clone(),
                    qr_data: self.qr_now(rec),
                })
            }
            crate::ports::EidCollect::Failed { hint_code } => {
                self.forget_eid_order(our_ref, version).await?;
                Ok(Step::Failed { hint_code })
            }
            crate::ports::EidCollect::Complete {
                identity,
                completion_data,
            } => Ok(Step::Complete {
                identity,
                completion_data,
            }),
        }
    }

    // --- login --------------------------------------------------------------------------------

    pub async fn start_login(&self, end_user: &EndUser) -> Result<StartedEid, AppError> {
        let started = self.ports.eid.start_auth(end_user).await?;
        self.remember_eid_order(&started, EidPurpose::Login, end_user)
            .await
    }

    pub async fn collect_login(&self, our_ref: &str) -> Result<LoginOutcome, AppError> {
        let (mut rec, version) = self.eid_order(our_ref).await?;
        if !matches!(rec.purpose, EidPurpose::Login) {
            return Err(AppError::NotFound {
                what: "bankid_order",
            });
        }
        match self.collect_step(our_ref, &mut rec, version, None).await? {
            Step::Pending { hint_code, qr_data } => {
                Ok(LoginOutcome::Pending { hint_code, qr_data })
            }
            Step::Failed { hint_code } => Ok(LoginOutcome::Failed { hint_code }),
            Step::Complete {
                identity,
                completion_data,
            } => {
                self.forget_eid_order(our_ref, version).await?;
                self.ports.eid.verify_evidence(
                    &completion_data,
                    &identity.personal_number,
                    None,
                )?;
                let pnr = Personnummer::from_canonical(&identity.personal_number)?;
                let token = self.create_session(&pnr, &identity.name).await?;
                Ok(LoginOutcome::Complete {
                    session_token: token,
                    name: identity.name,
                })
            }
        }
    }

    /// Stop a BankID order the user walked away from.
    pub async fn cancel_eid(&self, our_ref: &str) -> Result<(), AppError> {
        let (rec, version) = self.eid_order(our_ref).await?;
        self.ports.eid.cancel(&rec.bankid_order_ref).await?;
        self.forget_eid_order(our_ref, version).await
    }

    async fn create_session(&self, pnr: &Personnummer, name: &str) -> Result<String, AppError> {
        let mut raw = [0u8; 32];
        rand_core::OsRng.fill_bytes(&mut raw);
        let token = hex::encode(raw);
        let expires_at = self.ports.clock.now() + Duration::minutes(self.settings.session_minutes);
        let rec = SessionRecord {
            personnummer_enc: self.ports.cipher.encrypt(pnr.as_str().as_bytes()).await?,
            personnummer_hash: self.ports.cipher.lookup_hash(pnr.as_str().as_bytes()),
            name: name.to_string(),
            expires_at,
        };
        let mut item = new_item(
            format!("SESSION#{}", sha256_hex(token.as_bytes())),
            "SESSION".into(),
            serde_json::to_value(&rec).map_err(|e| AppError::Internal(e.to_string()))?,
        );
        item.expires_at = Some(expires_at.timestamp());
        self.ports
            .state
            .transact(vec![Write::Put {
                item,
                expect: Expect::Absent,
            }])
            .await?;
        Ok(token)
    }

    pub async fn authenticate_session(&self, token: &str) -> Result<SignerSession, AppError> {
        if token.len() != 64 {
            return Err(AppError::Unauthenticated);
        }
        let hash = sha256_hex(token.as_bytes());
        let item = self
            .ports
            .state
            .get(&format!("SESSION#{hash}"), "SESSION")
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let rec: SessionRecord = super::repo::from_item(&item)?;
        if rec.expires_at <= self.ports.clock.now() {
            return Err(AppError::Unauthenticated);
        }
        let plain = self.ports.cipher.decrypt(&rec.personnummer_enc).await?;
        let pnr = Personnummer::from_canonical(
            std::str::from_utf8(&plain).map_err(|e| AppError::Internal(e.to_string()))?,
        )?;
        Ok(SignerSession {
            personnummer: pnr,
            name: rec.name,
            session_hash: hash,
        })
    }

    pub async fn logout(&self, session: &SignerSession) -> Result<(), AppError> {
        let pk = format!("SESSION#{}", session.session_hash);
        if let Some(item) = self.ports.state.get(&pk, "SESSION").await? {
            self.ports
                .state
                .transact(vec![Write::Delete {
                    pk,
                    sk: "SESSION".into(),
                    expect: Expect::Version(item.version),
                }])
                .await?;
        }
        Ok(())
    }

    // --- my documents -------------------------------------------------------------------------

    /// Orders that name this signer, newest first, from every tenant.
    pub async fn my_orders(&self, session: &SignerSession) -> Result<Vec<SigningOrder>, AppError> {
        let hash = self
            .ports
            .cipher
            .lookup_hash(session.personnummer.as_str().as_bytes());
        let links = self
            .ports
            .state
            .query(&format!("SIGNER#{hash}"), "ORDER#")
            .await?;
        let mut out = Vec::new();
        for link in links {
            let (Some(t), Some(o)) = (link.data.get("tenant"), link.data.get("order_id")) else {
                continue;
            };
            let (Ok(t), Ok(o)) = (
                serde_json::from_value::<TenantId>(t.clone()),
                serde_json::from_value::<OrderId>(o.clone()),
            ) else {
                continue;
            };
            let order = self.load_order(&t, o).await?.value;
            // The link is an index; the order itself decides.
            if order.names(&session.personnummer) {
                out.push(order);
            }
        }
        out.sort_by_key(|o| std::cmp::Reverse(o.created_at));
        Ok(out)
    }

    /// An order as the signer may see it: only if it names them. Otherwise "not found", so
    /// nobody learns that an order exists by guessing its id.
    pub async fn order_for_signer(
        &self,
        session: &SignerSession,
        tenant: &str,
        order_id: &str,
    ) -> Result<SigningOrder, AppError> {
        let t = TenantId::parse(tenant).map_err(|_| AppError::NotFound { what: "order" })?;
        let id = OrderId::parse(order_id).map_err(|_| AppError::NotFound { what: "order" })?;
        let order = self.load_order(&t, id).await?.value;
        if !order.names(&session.personnummer) {
            return Err(AppError::NotFound { what: "order" });
        }
        Ok(order)
    }

    /// The order and the session's own place in it.
    async fn order_and_signer(
        &self,
        session: &SignerSession,
        tenant: &str,
        order_id: &str,
    ) -> Result<(SigningOrder, crate::domain::Signer), AppError> {
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
    ) -> Result<Bytes, AppError> {
        let order = self.order_for_signer(session, tenant, order_id).await?;
        self.ports
            .objects
            .get(&keys::original(&order.tenant, &order.current().document_id))
            .await?
            .ok_or(AppError::NotFound { what: "document" })
    }

    // --- signing ------------------------------------------------------------------------------

    pub async fn start_signing(
        &self,
        session: &SignerSession,
        tenant: &str,
        order_id: &str,
        end_user: &EndUser,
    ) -> Result<StartedEid, AppError> {
        let (order, signer) = self.order_and_signer(session, tenant, order_id).await?;
        order.may_sign(signer.id)?;
        if self.ports.clock.now() > order.current().deadline {
            return Err(crate::domain::DomainError::DeadlinePassed.into());
        }
        let tenant = self.tenant(&order.tenant).await?;
        let text = super::texts::sign_text(&tenant, &order, &signer);
        let started = self
            .ports
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
        let (mut rec, version) = self.eid_order(our_ref).await?;
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
        let (identity, completion_data) = match self
            .collect_step(our_ref, &mut rec, version, Some(&signer_pnr))
            .await?
        {
            Step::Pending { hint_code, qr_data } => {
                return Ok(CollectOutcome::Pending { hint_code, qr_data })
            }
            Step::Failed { hint_code } => return Ok(CollectOutcome::Failed { hint_code }),
            Step::Complete {
                identity,
                completion_data,
            } => (identity, completion_data),
        };
        let now = self.ports.clock.now();
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
            self.ports
                .eid
                .verify_evidence(&completion_data, session.personnummer.as_str(), Some(&text))
                .map_err(AppError::from)
        };
        // Store what BankID completed before anything else happens, verified or not.
        let evidence_key = keys::evidence(&tenant, order_id, order_version, signer_id);
        let evidence = serde_json::json!({
            "order_ref": bankid_order_ref,
            "received_at": now,
            "tenant": tenant,
            "order_id": order_id,
            "order_version": order_version,
            "signer_id": signer_id,
            "user_visible_data": text.user_visible_data_b64,
            "user_non_visible_data": text.user_non_visible_data_b64,
            "completion_data": completion_data,
            "verification": verification.as_ref().ok(),
            "verification_error": verification.as_ref().err().map(|e| e.to_string()),
        });
        self.ports
            .objects
            .put(
                &evidence_key,
                Bytes::from(
                    serde_json::to_vec_pretty(&evidence)
                        .map_err(|e| AppError::Internal(e.to_string()))?,
                ),
                "application/json",
            )
            .await?;
        self.forget_eid_order(our_ref, version).await?;
        verification?;
        let (order, ()) = self
            .update_order(&tenant, order_id, |o| {
                Ok(o.sign(signer_id, order_version, now, evidence_key.clone())?)
            })
            .await?;
        self.after_signature(&order).await?;
        Ok(CollectOutcome::Complete {
            order_status: order.status,
        })
    }

    /// The last signature queues the seal; otherwise the next step may need its invitations.
    async fn after_signature(&self, order: &SigningOrder) -> Result<(), AppError> {
        if order.status == OrderStatus::Completed {
            self.ports
                .queue
                .enqueue(Job::Seal {
                    tenant: order.tenant.to_string(),
                    order_id: order.id.to_string(),
                })
                .await?;
            let (subject, text) =
                super::texts::completed_mail(order, &self.settings.public_base_url);
            self.notify_secretary(order, subject, text).await;
        } else if order.plan != crate::domain::SigningPlan::Parallel {
            let tenant = self.tenant(&order.tenant).await?;
            self.notify_signers(&tenant, order).await;
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
        let now: DateTime<Utc> = self.ports.clock.now();
        let version = order.current().number;
        let (order, ()) = self
            .update_order(&order.tenant, order.id, |o| {
                Ok(o.decline(signer, version, now, comment)?)
            })
            .await?;
        if let Some(s) = order.signer(signer) {
            let (subject, text) = super::texts::declined_mail(
                &order,
                s,
                comment.trim(),
                &self.settings.public_base_url,
            );
            self.notify_secretary(&order, subject, text).await;
        }
        Ok(order)
    }
}

#[cfg(all(test, feature = "embedded"))]
mod tests {
    use super::*;
    use crate::app::test_app;

    #[tokio::test]
    async fn collect_is_asked_of_bankid_at_most_every_two_seconds() {
        let t = test_app::start().await;
        let started = t
            .app
            .start_login(&EndUser::at_ip("192.0.2.1"))
            .await
            .unwrap();
        let first = t.app.collect_login(&started.order_ref).await.unwrap();
        assert!(matches!(first, LoginOutcome::Pending { .. }));
        t.phone_approves(&started.auto_start_token, "191212121212")
            .await;
        // Within two seconds the last answer stands: BankID is not asked.
        t.clock.advance(Duration::milliseconds(1500));
        let again = t.app.collect_login(&started.order_ref).await.unwrap();
        assert!(matches!(again, LoginOutcome::Pending { .. }), "{again:?}");
        t.clock.advance(Duration::milliseconds(600));
        let done = t.app.collect_login(&started.order_ref).await.unwrap();
        let LoginOutcome::Complete {
            session_token,
            name,
        } = done
        else {
            panic!("expected complete, got {done:?}")
        };
        assert_eq!(name, "Tolvan Tolvansson");
        let session = t.app.authenticate_session(&session_token).await.unwrap();
        assert_eq!(session.personnummer.as_str(), "191212121212");
        // The reference is gone once used: a replay finds nothing.
        assert!(t.app.collect_login(&started.order_ref).await.is_err());
    }

    #[tokio::test]
    async fn an_unscanned_order_is_restarted_a_bounded_number_of_times() {
        let t = test_app::start().await;
        let started = t
            .app
            .start_login(&EndUser::at_ip("192.0.2.1"))
            .await
            .unwrap();
        let mut last_qr = started.qr_data.clone();
        for restart in 1..=MAX_RESTARTS {
            // BankID gives up on an order nobody picked up within about 30 seconds.
            t.clock.advance(Duration::seconds(31));
            let out = t.app.collect_login(&started.order_ref).await.unwrap();
            let LoginOutcome::Pending { hint_code, qr_data } = out else {
                panic!("restart {restart}: expected pending, got {out:?}")
            };
            assert_eq!(hint_code.as_deref(), Some("outstandingTransaction"));
            // A new BankID order: a new QR start token under the same reference.
            assert_ne!(qr_data.split('.').nth(1), last_qr.split('.').nth(1));
            last_qr = qr_data;
        }
        t.clock.advance(Duration::seconds(31));
        let out = t.app.collect_login(&started.order_ref).await.unwrap();
        assert!(
            matches!(&out, LoginOutcome::Failed { hint_code } if hint_code.as_deref() == Some("startFailed")),
            "{out:?}"
        );
    }

    #[tokio::test]
    async fn cancel_stops_the_bankid_order() {
        let t = test_app::start().await;
        let started = t
            .app
            .start_login(&EndUser::at_ip("192.0.2.1"))
            .await
            .unwrap();
        t.app.cancel_eid(&started.order_ref).await.unwrap();
        assert!(t.app.collect_login(&started.order_ref).await.is_err());
        assert!(t.app.cancel_eid("not-a-ref").await.is_err());
    }

    #[tokio::test]
    async fn sessions_expire_and_logout_revokes_them() {
        let t = test_app::start().await;
        let started = t
            .app
            .start_login(&EndUser::at_ip("192.0.2.1"))
            .await
            .unwrap();
        t.phone_approves(&started.auto_start_token, "191212121212")
            .await;
        let LoginOutcome::Complete { session_token, .. } =
            t.app.collect_login(&started.order_ref).await.unwrap()
        else {
            panic!("login did not complete")
        };
        let s = t.app.authenticate_session(&session_token).await.unwrap();
        t.app.logout(&s).await.unwrap();
        assert!(t.app.authenticate_session(&session_token).await.is_err());

        let started = t
            .app
            .start_login(&EndUser::at_ip("192.0.2.1"))
            .await
            .unwrap();
        t.clock.advance(Duration::seconds(3));
        t.phone_approves(&started.auto_start_token, "191212121212")
            .await;
        let LoginOutcome::Complete { session_token, .. } =
            t.app.collect_login(&started.order_ref).await.unwrap()
        else {
            panic!("login did not complete")
        };
        t.clock
            .advance(Duration::minutes(t.app.settings.session_minutes) + Duration::seconds(1));
        assert!(matches!(
            t.app.authenticate_session(&session_token).await,
            Err(AppError::Unauthenticated)
        ));
    }
}
