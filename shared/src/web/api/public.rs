//! The publish function's public routes: the anslagstavla and the files its notices link to.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use super::{file, ApiResult};
use crate::app::App;

// --- public ---------------------------------------------------------------------------------

async fn anslagstavla(State(app): State<App>, Path(tenant): Path<String>) -> ApiResult {
    public_file(app, tenant, "index.html".into()).await
}

async fn public_file_route(
    State(app): State<App>,
    Path((tenant, name)): Path<(String, String)>,
) -> ApiResult {
    public_file(app, tenant, name).await
}

async fn public_file(app: App, tenant: String, name: String) -> ApiResult {
    let found = app.pipeline.public_file(&tenant, &name).await?;
    let ctype = found.content_type;
    if ctype.starts_with("text/html") || ctype == "application/json" {
        let mut resp = (StatusCode::OK, found.bytes).into_response();
        resp.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
        return Ok(resp);
    }
    file(found.bytes, ctype, &name)
}

pub(in crate::web) fn public_routes() -> Router<App> {
    Router::new()
        .route("/public/{tenant}/anslag/", get(anslagstavla))
        .route("/public/{tenant}/anslag/{name}", get(public_file_route))
}
