//! The create-signing-order function URL: signing orders: create, list, recall, resend, download. Thin: build the app once and serve the shared routes.

use esign_shared::web::{function_router, Function};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let app = esign_shared::config::app_from_env().await?;
    lambda_http::run(function_router(app, Function::CreateSigningOrder)).await
}
