//! Logging in with BankID, and the sessions that follow.

use chrono::Duration;
use rand_core::RngCore;

use super::eid::Step;
use super::{LoginOutcome, Portal, StartedEid};
use crate::app::{AppError, SignerSession};
use crate::domain::Personnummer;
use crate::ports::EndUser;
use crate::repo::{sha256_hex, EidPurpose, SessionRecord, Versioned};

impl Portal {
    pub async fn start_login(&self, end_user: &EndUser) -> Result<StartedEid, AppError> {
        let started = self.eid.start_auth(end_user).await?;
        self.remember_eid_order(&started, EidPurpose::Login, end_user)
            .await
    }

    pub async fn collect_login(&self, our_ref: &str) -> Result<LoginOutcome, AppError> {
        let Versioned {
            value: mut rec,
            version,
        } = self.eid_order(our_ref).await?;
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
                self.eid
                    .verify_evidence(&completion_data, &identity.personal_number, None)?;
                let pnr = Personnummer::from_canonical(&identity.personal_number)?;
                let token = self.create_session(&pnr, &identity.name).await?;
                Ok(LoginOutcome::Complete {
                    session_token: token,
                    name: identity.name,
                })
            }
        }
    }

    async fn create_session(&self, pnr: &Personnummer, name: &str) -> Result<String, AppError> {
        let mut raw = [0u8; 32];
        rand_core::OsRng.fill_bytes(&mut raw);
        let token = hex::encode(raw);
        let expires_at = self.clock.now() + Duration::minutes(self.settings.session_minutes);
        let rec = SessionRecord {
            personnummer_enc: self.cipher.encrypt(pnr.as_str().as_bytes()).await?,
            personnummer_hash: self.cipher.lookup_hash(pnr.as_str().as_bytes()),
            name: name.to_string(),
            expires_at,
        };
        self.sessions
            .create(&sha256_hex(token.as_bytes()), &rec)
            .await?;
        Ok(token)
    }

    pub async fn authenticate_session(&self, token: &str) -> Result<SignerSession, AppError> {
        if token.len() != 64 {
            return Err(AppError::Unauthenticated);
        }
        let hash = sha256_hex(token.as_bytes());
        let rec = self
            .sessions
            .get(&hash)
            .await?
            .ok_or(AppError::Unauthenticated)?
            .value;
        if rec.expires_at <= self.clock.now() {
            return Err(AppError::Unauthenticated);
        }
        let plain = self.cipher.decrypt(&rec.personnummer_enc).await?;
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
        Ok(self.sessions.delete(&session.session_hash).await?)
    }
}
