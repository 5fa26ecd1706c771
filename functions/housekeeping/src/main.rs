//! The housekeeping function, on a schedule: reminders before the deadline, expiry of overdue
//! orders, the anslagstavla rebuilt (notices taken down when their time is up), and waiting
//! work queued again. Thin: build the housekeeping service once, hand each tick to the shared
//! handler.

use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let housekeeping = esign_shared::config::app_from_env().await?.housekeeping;
    let housekeeping = housekeeping.as_ref();
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            let report =
                esign_shared::lambda::handle_schedule(housekeeping, &event.payload).await?;
            Ok::<_, lambda_runtime::Error>(serde_json::to_value(report)?)
        },
    ))
    .await
}
