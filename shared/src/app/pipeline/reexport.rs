//! The e-archive package delivered again after a renewal of an exported order's archive
//! version: the renewed file, its renewals as PREMIS events, `RECORDSTATUS="REPLACEMENT"` and
//! the manifest naming the package it replaces. Done by the archive-export function under the
//! archive version's claim (the one renewals take), so it never runs beside a renewal.

use chrono::Duration;

use super::export_facts::edition;
use super::Pipeline;
use crate::app::AppError;
use crate::domain::{DomainError, SigningOrder};

impl Pipeline {
    /// Deliver the package again if renewals happened that the delivered one does not tell
    /// of (a duplicate delivery finds nothing to do).
    pub(super) async fn export_renewed(&self, order: &SigningOrder) -> Result<(), AppError> {
        let (t, id) = (&order.tenant, order.id);
        if !order.archive_export_due() {
            return Ok(()); // a duplicate delivery: nothing written
        }
        let token = uuid::Uuid::new_v4().to_string();
        let now = self.clock.now();
        let lease = Duration::seconds(self.settings.pipeline_lease_seconds);
        let claimed = match self
            .orders
            .update_with(t, id, |o| {
                if !o.archive_export_due() {
                    return Ok(None);
                }
                o.claim_renewal(&token, now, lease)?;
                Ok::<_, AppError>(Some(o.clone()))
            })
            .await
        {
            Ok(Some((_, Some(order)))) => order,
            Ok(Some((_, None))) => return Ok(()),
            Ok(None) => return Err(AppError::NotFound { what: "order" }),
            Err(AppError::Domain(DomainError::StepClaimed { until })) => {
                // A renewal or another delivery holds it: the job comes back after the lease.
                return Err(AppError::Internal(format!(
                    "the archive version is being worked on until {until}"
                )));
            }
            Err(e) => return Err(e),
        };
        let delivered = self
            .package_and_deliver(&claimed, &edition(&claimed), now)
            .await;
        let recorded = match delivered {
            Ok(()) => {
                self.orders
                    .update_with(t, id, |o| {
                        Ok::<_, AppError>(o.record_renewal_export(&token, now)?)
                    })
                    .await
            }
            Err(e) => Err(e),
        };
        if let Err(e) = recorded {
            self.release_archive_claim(t, id, &token).await;
            return Err(e);
        }
        tracing::info!(event = "archive_reexported", tenant = %t, order = %id, "package delivered again after a renewal");
        Ok(())
    }
}
