//! The upload function: its function URL (documents), and the S3 notifications of presigned
//! uploads through SQS. Thin: build the app once; tell the two kinds of event apart and hand
//! each to the shared code.

use esign_shared::lambda::{handle_s3_batch, is_sqs_batch};
use esign_shared::web::{function_router, Function};
use lambda_http::request::LambdaRequest;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;
use tower::ServiceExt;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let app = esign_shared::config::app_from_env().await?;
    // The adapter `lambda_http::run` uses, so a function-URL request is answered exactly as the
    // other HTTP functions answer theirs.
    let http = lambda_http::Adapter::from(function_router(app.clone(), Function::Upload));
    // Intake reads what arrives in the uploads bucket (ESIGN_UPLOADS_BUCKET on AWS).
    let intake = app.documents.clone();
    let (intake, http) = (intake.as_ref(), &http);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        if is_sqs_batch(&event.payload) {
            let batch = serde_json::from_value(event.payload)?;
            return Ok::<_, Error>(serde_json::to_value(handle_s3_batch(intake, batch).await)?);
        }
        let request: LambdaRequest = serde_json::from_value(event.payload)?;
        let response = http
            .clone()
            .oneshot(LambdaEvent::new(request, event.context))
            .await?;
        Ok(serde_json::to_value(response)?)
    }))
    .await
}
