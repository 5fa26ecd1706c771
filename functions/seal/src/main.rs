//! The seal function: SQS messages in, the archive version out. Thin: build the pipeline once, hand each batch to
//! the shared handler.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    // This function is the pipeline's: the other services of the app are never called.
    let pipeline = esign_shared::config::app_from_env().await?.pipeline;
    let pipeline = pipeline.as_ref();
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<SqsBatchResponse, lambda_runtime::Error>(
            esign_shared::lambda::handle_sqs_batch(pipeline, "seal", event.payload).await,
        )
    }))
    .await
}
