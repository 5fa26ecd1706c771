//! A signature BankID completed counts even when its recording was cut short and BankID will
//! not answer for it again (the signer closed the page; the process died between the stored
//! evidence and the order write; the BankID order record ran out). When the signer comes back
//! to sign, the evidence stored for them on this version is checked again and recorded, and no
//! second signature is asked for.

use super::signing::StoredEvidence;
use super::Portal;
use crate::app::{AppError, SignerSession};
use crate::domain::{Signer, SigningOrder};
use crate::ports::EidSignText;
use crate::repo::files;

impl Portal {
    /// Record the first stored evidence of `signer` on the order's current version that holds:
    /// signed by the logged-in person, for exactly `text`, verified. `true` when one did.
    pub(super) async fn adopt_stored_signature(
        &self,
        session: &SignerSession,
        order: &SigningOrder,
        signer: &Signer,
        text: &EidSignText,
    ) -> Result<bool, AppError> {
        let version = order.current().number;
        let prefix = files::evidence_prefix(&order.tenant, order.id, version, signer.id);
        for key in self.objects.list(&prefix).await? {
            let Some(bytes) = self.objects.get(&key).await? else {
                continue;
            };
            let Ok(stored) = serde_json::from_slice::<StoredEvidence>(&bytes) else {
                tracing::warn!(order = %order.id, "stored evidence cannot be read");
                continue;
            };
            let same_text = stored.user_visible_data.as_deref()
                == Some(text.user_visible_data_b64.as_str())
                && stored.user_non_visible_data.as_deref()
                    == Some(text.user_non_visible_data_b64.as_str());
            if stored.verification_error.is_some()
                || !same_text
                || stored.identity.personal_number != session.personnummer.as_str()
            {
                continue;
            }
            if self
                .eid
                .verify_evidence(
                    &stored.completion_data,
                    session.personnummer.as_str(),
                    Some(text),
                )
                .is_err()
            {
                continue;
            }
            tracing::info!(order = %order.id, signer = %signer.id, "a signature completed earlier is recorded from its stored evidence");
            self.record_signature(
                &order.tenant,
                order.id,
                signer.id,
                version,
                stored.received_at,
                &key,
            )
            .await?;
            return Ok(true);
        }
        Ok(false)
    }
}
