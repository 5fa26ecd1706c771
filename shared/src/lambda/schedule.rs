//! The schedule: one round of housekeeping per EventBridge tick.

use serde_json::Value;

use crate::app::{Housekeeping, HousekeepingError, HousekeepingReport};

/// The schedule (an EventBridge `Scheduled Event`, or any payload when invoked by hand): one
/// round of housekeeping. A failed step fails the invocation, so the function's error alarm
/// sees it; EventBridge's retry runs the round again, which is harmless.
pub async fn handle_schedule(
    housekeeping: &Housekeeping,
    event: &Value,
) -> Result<HousekeepingReport, HousekeepingError> {
    tracing::info!(
        detail_type = event["detail-type"].as_str().unwrap_or("manual"),
        time = event["time"].as_str().unwrap_or(""),
        "housekeeping"
    );
    let report = housekeeping.run().await?;
    tracing::info!(
        tenants = report.tenants,
        reminders = report.reminders,
        expired = report.expired,
        requeued = report.requeued,
        renewals = report.renewals,
        failures = report.failures,
        "housekeeping done"
    );
    if report.failures > 0 {
        return Err(HousekeepingError::Steps {
            failures: report.failures,
        });
    }
    Ok(report)
}
