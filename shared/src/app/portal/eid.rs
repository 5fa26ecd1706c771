//! BankID orders the portal follows, under our own reference: remembered while in progress,
//! collected at most every two seconds towards BankID, started again (a bounded number of
//! times) when nobody scanned the QR code in time, forgotten when done.

use chrono::Duration;

use super::{Portal, StartedEid};
use crate::app::AppError;
use crate::bankid::qr::qr_data;
use crate::ports::{EidCollect, EidIdentity, EidSignText, EidStarted, EndUser};
use crate::repo::{EidOrderRecord, EidPurpose, RepoError, Versioned};

/// How long we remember a BankID order (BankID forgets them after a few minutes).
const EID_ORDER_TTL_MINUTES: i64 = 10;
/// BankID's rule: call collect at most every two seconds.
const MIN_COLLECT_INTERVAL_MS: i64 = 2000;
/// How many times an order nobody scanned in time (`startFailed`) is started again.
pub(super) const MAX_RESTARTS: u32 = 3;

/// One collect of a BankID order we follow, before the purpose-specific handling.
pub(super) enum Step {
    Pending {
        hint_code: Option<String>,
        qr_data: String,
    },
    Failed {
        hint_code: Option<String>,
    },
    Complete {
        identity: EidIdentity,
        completion_data: serde_json::Value,
    },
}

fn not_found() -> AppError {
    AppError::NotFound {
        what: "bankid_order",
    }
}

impl Portal {
    pub(super) fn qr_now(&self, rec: &EidOrderRecord) -> String {
        let secs = (self.clock.now() - rec.started_at).num_seconds().max(0) as u64;
        qr_data(&rec.qr_start_token, &rec.qr_start_secret, secs)
    }

    pub(super) async fn remember_eid_order(
        &self,
        started: &EidStarted,
        purpose: EidPurpose,
        end_user: &EndUser,
    ) -> Result<StartedEid, AppError> {
        let now = self.clock.now();
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
        self.eid_orders
            .create(
                &our_ref,
                &rec,
                now + Duration::minutes(EID_ORDER_TTL_MINUTES),
            )
            .await?;
        Ok(StartedEid {
            order_ref: our_ref,
            auto_start_token: started.auto_start_token.clone(),
            qr_data: self.qr_now(&rec),
        })
    }

    pub(super) async fn eid_order(
        &self,
        our_ref: &str,
    ) -> Result<Versioned<EidOrderRecord>, AppError> {
        if uuid::Uuid::parse_str(our_ref).is_err() {
            return Err(not_found());
        }
        self.eid_orders
            .get(our_ref, self.clock.now())
            .await?
            .ok_or_else(not_found)
    }

    /// Write the record back if nobody else did meanwhile; losing that race is harmless
    /// (the other poll wrote an equally fresh state).
    async fn save_eid_order(
        &self,
        our_ref: &str,
        rec: &EidOrderRecord,
        version: u64,
    ) -> Result<(), AppError> {
        let expires = self.clock.now() + Duration::minutes(EID_ORDER_TTL_MINUTES);
        match self.eid_orders.save(our_ref, rec, version, expires).await {
            Ok(()) | Err(RepoError::Conflict) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    pub(super) async fn forget_eid_order(
        &self,
        our_ref: &str,
        version: u64,
    ) -> Result<(), AppError> {
        Ok(self.eid_orders.delete(our_ref, version).await?)
    }

    /// Collect once (at most every two seconds towards BankID). An order nobody scanned in
    /// time is started again, a bounded number of times, under the same reference.
    /// `signer` is the personnummer a sign order is bound to (None for login).
    pub(super) async fn collect_step(
        &self,
        our_ref: &str,
        rec: &mut EidOrderRecord,
        version: u64,
        signer: Option<&str>,
    ) -> Result<Step, AppError> {
        let now = self.clock.now();
        if let Some(last) = rec.last_collect_at {
            if (now - last).num_milliseconds() < MIN_COLLECT_INTERVAL_MS {
                return Ok(Step::Pending {
                    hint_code: rec.last_hint.clone(),
                    qr_data: self.qr_now(rec),
                });
            }
        }
        match self.eid.collect(&rec.bankid_order_ref).await? {
            EidCollect::Pending { hint_code } => {
                rec.last_collect_at = Some(now);
                rec.last_hint = hint_code.clone();
                self.save_eid_order(our_ref, rec, version).await?;
                Ok(Step::Pending {
                    hint_code,
                    qr_data: self.qr_now(rec),
                })
            }
            EidCollect::Failed { hint_code }
                if hint_code.as_deref() == Some("startFailed") && rec.restarts < MAX_RESTARTS =>
            {
                let started = match (&rec.purpose, signer) {
                    (EidPurpose::Login, _) => self.eid.start_auth(&rec.end_user).await?,
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
                        self.eid.start_sign(&rec.end_user, pnr, &text).await?
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
            EidCollect::Failed { hint_code } => {
                self.forget_eid_order(our_ref, version).await?;
                Ok(Step::Failed { hint_code })
            }
            EidCollect::Complete {
                identity,
                completion_data,
            } => Ok(Step::Complete {
                identity,
                completion_data,
            }),
        }
    }

    /// Stop a BankID order the user walked away from.
    pub async fn cancel_eid(&self, our_ref: &str) -> Result<(), AppError> {
        let Versioned { value, version } = self.eid_order(our_ref).await?;
        self.eid.cancel(&value.bankid_order_ref).await?;
        self.forget_eid_order(our_ref, version).await
    }
}
