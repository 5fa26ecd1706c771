//! The create-signing-order function's routes: signing orders, their files, staff.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

use super::extract::{JsonBody, StaffAuth};
use super::{download, ok, ApiResult};
use crate::app::{views, App, CreateOrderInput, Staff};

// --- orders ---------------------------------------------------------------------------------

async fn staff_order_response(
    app: &App,
    staff: &Staff,
    order: &crate::domain::SigningOrder,
    status: StatusCode,
) -> ApiResult {
    let files = app.orders.outputs_present(staff, order).await;
    ok(
        status,
        json!({ "order": views::order_for_staff(order, files) }),
    )
}

async fn create_order(
    State(app): State<App>,
    StaffAuth(staff): StaffAuth,
    JsonBody(input): JsonBody<CreateOrderInput>,
) -> ApiResult {
    let order = app.orders.create_order(&staff, input).await?;
    staff_order_response(&app, &staff, &order, StatusCode::CREATED).await
}

async fn list_orders(State(app): State<App>, StaffAuth(staff): StaffAuth) -> ApiResult {
    let orders = app.orders.list_orders(&staff).await?;
    ok(
        StatusCode::OK,
        json!({ "orders": orders.iter().map(views::order_summary).collect::<Vec<_>>() }),
    )
}

async fn get_order(
    State(app): State<App>,
    StaffAuth(staff): StaffAuth,
    Path(id): Path<String>,
) -> ApiResult {
    let order = app.orders.get_order(&staff, &id).await?;
    staff_order_response(&app, &staff, &order, StatusCode::OK).await
}

#[derive(Deserialize)]
struct RecallBody {
    reason: Option<String>,
}

async fn recall(
    State(app): State<App>,
    StaffAuth(staff): StaffAuth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<RecallBody>,
) -> ApiResult {
    let order = app
        .orders
        .recall_order(&staff, &id, body.reason.as_deref())
        .await?;
    staff_order_response(&app, &staff, &order, StatusCode::OK).await
}

#[derive(Deserialize)]
struct ResendBody {
    document_id: String,
    deadline: Option<DateTime<Utc>>,
}

async fn resend(
    State(app): State<App>,
    StaffAuth(staff): StaffAuth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ResendBody>,
) -> ApiResult {
    let order = app
        .orders
        .resend_order(&staff, &id, &body.document_id, body.deadline)
        .await?;
    staff_order_response(&app, &staff, &order, StatusCode::OK).await
}

/// Run again the step an order stopped at (status `failed`), once its cause is mended.
async fn retry(
    State(app): State<App>,
    StaffAuth(staff): StaffAuth,
    Path(id): Path<String>,
) -> ApiResult {
    let order = app.orders.retry_order(&staff, &id).await?;
    staff_order_response(&app, &staff, &order, StatusCode::OK).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PublicationVersionBody {
    document_id: String,
}

/// The secretary's own publication version, for a protocol the service cannot check itself.
async fn publication_version(
    State(app): State<App>,
    StaffAuth(staff): StaffAuth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<PublicationVersionBody>,
) -> ApiResult {
    let order = app
        .orders
        .use_publication_version(&staff, &id, &body.document_id)
        .await?;
    staff_order_response(&app, &staff, &order, StatusCode::OK).await
}

async fn order_file(
    State(app): State<App>,
    StaffAuth(staff): StaffAuth,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult {
    let (saved_as, file) = app.orders.order_file(&staff, &id, &name).await?;
    download(file, crate::app::content_type_of(&name), &saved_as)
}

#[derive(Deserialize)]
struct AddStaffBody {
    personnummer: String,
    name: String,
    role: crate::app::StaffRole,
}

async fn add_staff(
    State(app): State<App>,
    StaffAuth(staff): StaffAuth,
    JsonBody(body): JsonBody<AddStaffBody>,
) -> ApiResult {
    app.tenants
        .add_staff(&staff, &body.personnummer, &body.name, body.role)
        .await?;
    ok(StatusCode::CREATED, json!({}))
}

// --- API keys (admins) --------------------------------------------------------------------

async fn create_api_key(
    State(app): State<App>,
    StaffAuth(staff): StaffAuth,
    JsonBody(body): JsonBody<crate::app::NewApiKey>,
) -> ApiResult {
    let (key, secret) = app.tenants.create_api_key(&staff, body).await?;
    ok(
        StatusCode::CREATED,
        json!({ "api_key": views::api_key(&key), "secret": secret }),
    )
}

async fn list_api_keys(State(app): State<App>, StaffAuth(staff): StaffAuth) -> ApiResult {
    let keys = app.tenants.list_api_keys(&staff).await?;
    ok(
        StatusCode::OK,
        json!({ "api_keys": keys.iter().map(views::api_key).collect::<Vec<_>>() }),
    )
}

async fn revoke_api_key(
    State(app): State<App>,
    StaffAuth(staff): StaffAuth,
    Path(id): Path<String>,
) -> ApiResult {
    let key = app.tenants.revoke_api_key(&staff, &id).await?;
    ok(StatusCode::OK, json!({ "api_key": views::api_key(&key) }))
}

async fn whoami(StaffAuth(staff): StaffAuth) -> ApiResult {
    ok(
        StatusCode::OK,
        json!({"tenant": staff.tenant, "role": staff.role, "scopes": staff.scopes}),
    )
}

pub(in crate::web) fn order_routes() -> Router<App> {
    Router::new()
        .route("/api/orders", post(create_order).get(list_orders))
        .route("/api/staff", post(add_staff))
        .route("/api/whoami", get(whoami))
        .route("/api/api-keys", post(create_api_key).get(list_api_keys))
        .route("/api/api-keys/{id}/revoke", post(revoke_api_key))
        .route("/api/orders/{id}", get(get_order))
        .route("/api/orders/{id}/recall", post(recall))
        .route("/api/orders/{id}/resend", post(resend))
        .route("/api/orders/{id}/retry", post(retry))
        .route(
            "/api/orders/{id}/publication-version",
            post(publication_version),
        )
        .route("/api/orders/{id}/{file}", get(order_file))
}
