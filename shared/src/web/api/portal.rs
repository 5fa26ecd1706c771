//! The bankid-collect function's routes: the signer portal (BankID login, the signer's
//! orders, signing and rejecting).

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};

use super::extract::{ClientIp, JsonBody, SessionAuth, SESSION_COOKIE};
use super::{download, ok, ApiResult};
use crate::app::{views, App};

// --- the public verification page ----------------------------------------------------------

/// Anyone may send a PDF and read whether its seal holds. The file goes to a temporary file
/// (no further than the limit), is checked, and is gone when the answer is: nothing is kept.
async fn verify_document(
    State(app): State<App>,
    headers: axum::http::HeaderMap,
    body: axum::body::Body,
) -> ApiResult {
    use crate::error::ErrorText;
    let file =
        super::documents::pdf_body_to_file(&headers, body, app.settings().max_verify_bytes).await?;
    let anchors = app.tenants.trust_anchors().await?;
    let path = file.path().to_path_buf();
    let checked = tokio::task::spawn_blocking(move || crate::pdf::verify_file(&path, &anchors))
        .await
        .map_err(|e| crate::app::AppError::Internal(e.to_string()))?;
    drop(file);
    let report = checked.map_err(|e| {
        crate::app::AppError::bad_request(
            e.code(),
            "Filen kunde inte läsas som en PDF. Skicka arkivexemplaret som det är, en PDF-fil.",
            "The file could not be read as a PDF. Send the archive version as it is, a PDF file.",
        )
    })?;
    let (valid, headline, details) = crate::app::verification_verdict(&report);
    ok(
        StatusCode::OK,
        json!({ "valid": valid, "headline": headline, "details": details }),
    )
}

/// The archive version the service keeps for an order (a notice links here), checked now.
async fn verify_kept(
    State(app): State<App>,
    Path((tenant, id)): Path<(String, String)>,
) -> ApiResult {
    let report = app.pipeline.verify_kept(&tenant, &id).await?;
    let (valid, headline, details) = crate::app::verification_verdict(&report);
    ok(
        StatusCode::OK,
        json!({ "valid": valid, "headline": headline, "details": details }),
    )
}

// --- portal ---------------------------------------------------------------------------------

fn rfa(
    status: crate::bankid::types::CollectStatus,
    hint: Option<&str>,
    qr: bool,
) -> (String, String) {
    let hint = hint.map(|h| {
        serde_json::from_value::<crate::bankid::types::HintCode>(Value::String(h.to_string()))
            .unwrap_or(crate::bankid::types::HintCode::Unknown(h.to_string()))
    });
    let (sv, en) = crate::bankid::messages::user_message(status, hint.as_ref(), qr);
    (sv.to_string(), en.to_string())
}

/// A collect that is still pending or has failed: the status, the hint and its RFA text (and
/// the QR code of this second while pending).
fn not_done_json(
    status: crate::bankid::types::CollectStatus,
    hint_code: Option<String>,
    qr_data: Option<String>,
) -> Value {
    let (sv, en) = rfa(status, hint_code.as_deref(), true);
    let mut out = json!({
        "status": status,
        "hint_code": hint_code,
        "message_sv": sv,
        "message_en": en,
    });
    if let Some(qr) = qr_data {
        put_qr(&mut out, &qr);
    }
    out
}

/// The QR code of this second: its text (`qr_data`, for integrators who draw their own) and
/// the same code drawn as SVG (`qr_svg`, what the portal shows).
fn put_qr(out: &mut Value, qr_data: &str) {
    out["qr_data"] = json!(qr_data);
    if let Some(svg) = crate::web::qr_svg::qr_svg(qr_data) {
        out["qr_svg"] = json!(svg);
    }
}

fn started_json(s: &crate::app::StartedEid, ref_name: &str) -> Value {
    let (sv, en) = rfa(
        crate::bankid::types::CollectStatus::Pending,
        Some("outstandingTransaction"),
        true,
    );
    let mut out = json!({
        ref_name: s.order_ref,
        "auto_start_token": s.auto_start_token,
        "message_sv": sv,
        "message_en": en,
    });
    put_qr(&mut out, &s.qr_data);
    out
}

async fn login(State(app): State<App>, ClientIp(end_user): ClientIp) -> ApiResult {
    let started = app.portal.start_login(&end_user).await?;
    ok(StatusCode::OK, started_json(&started, "login_ref"))
}

#[derive(Deserialize)]
struct LoginCollectBody {
    login_ref: String,
}

async fn login_collect(
    State(app): State<App>,
    JsonBody(body): JsonBody<LoginCollectBody>,
) -> ApiResult {
    use crate::app::LoginOutcome;
    use crate::bankid::types::CollectStatus;
    let outcome = app.portal.collect_login(&body.login_ref).await?;
    match outcome {
        LoginOutcome::Pending { hint_code, qr_data } => ok(
            StatusCode::OK,
            not_done_json(CollectStatus::Pending, hint_code, Some(qr_data)),
        ),
        LoginOutcome::Failed { hint_code } => ok(
            StatusCode::OK,
            not_done_json(CollectStatus::Failed, hint_code, None),
        ),
        LoginOutcome::Complete {
            session_token,
            name,
        } => {
            let (sv, en) = rfa(CollectStatus::Complete, None, true);
            let secure = if app.settings().public_base_url.starts_with("https://") {
                "; Secure"
            } else {
                ""
            };
            let cookie = format!(
                "{SESSION_COOKIE}={session_token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
                app.settings().session_minutes * 60
            );
            let mut resp = (
                StatusCode::OK,
                axum::Json(json!({"status": "complete", "session_token": session_token, "name": name, "message_sv": sv, "message_en": en})),
            )
                .into_response();
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                resp.headers_mut().insert(header::SET_COOKIE, v);
            }
            Ok(resp)
        }
    }
}

#[derive(Deserialize)]
struct CancelBody {
    order_ref: String,
}

async fn cancel_eid(State(app): State<App>, JsonBody(body): JsonBody<CancelBody>) -> ApiResult {
    app.portal.cancel_eid(&body.order_ref).await?;
    ok(StatusCode::OK, json!({}))
}

async fn logout(State(app): State<App>, SessionAuth(s): SessionAuth) -> ApiResult {
    app.portal.logout(&s).await?;
    let mut resp = (StatusCode::OK, axum::Json(json!({}))).into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("esign_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    Ok(resp)
}

async fn me(SessionAuth(s): SessionAuth) -> ApiResult {
    ok(StatusCode::OK, json!({"name": s.name}))
}

async fn tenant_name(app: &App, t: &crate::domain::TenantId) -> String {
    app.tenants
        .tenant(t)
        .await
        .map(|t| t.name)
        .unwrap_or_else(|_| t.to_string())
}

async fn my_orders(State(app): State<App>, SessionAuth(s): SessionAuth) -> ApiResult {
    let orders = app.portal.my_orders(&s).await?;
    let mut out = Vec::with_capacity(orders.len());
    for o in &orders {
        let name = tenant_name(&app, &o.tenant).await;
        out.push(views::order_for_signer(o, &name, &s.personnummer, false));
    }
    ok(StatusCode::OK, json!({ "orders": out }))
}

async fn my_order(
    State(app): State<App>,
    SessionAuth(s): SessionAuth,
    Path((tenant, id)): Path<(String, String)>,
) -> ApiResult {
    let o = app.portal.order_for_signer(&s, &tenant, &id).await?;
    let name = tenant_name(&app, &o.tenant).await;
    ok(
        StatusCode::OK,
        views::order_for_signer(&o, &name, &s.personnummer, true),
    )
}

async fn my_document(
    State(app): State<App>,
    SessionAuth(s): SessionAuth,
    Path((tenant, id)): Path<(String, String)>,
) -> ApiResult {
    let o = app.portal.order_for_signer(&s, &tenant, &id).await?;
    let bytes = app.portal.signer_document(&s, &tenant, &id).await?;
    download(bytes, "application/pdf", &o.current().file_name)
}

async fn start_sign(
    State(app): State<App>,
    SessionAuth(s): SessionAuth,
    ClientIp(end_user): ClientIp,
    Path((tenant, id)): Path<(String, String)>,
) -> ApiResult {
    let started = app
        .portal
        .start_signing(&s, &tenant, &id, &end_user)
        .await?;
    ok(StatusCode::OK, started_json(&started, "sign_ref"))
}

#[derive(Deserialize)]
struct SignCollectBody {
    sign_ref: String,
}

async fn sign_collect(
    State(app): State<App>,
    SessionAuth(s): SessionAuth,
    JsonBody(body): JsonBody<SignCollectBody>,
) -> ApiResult {
    use crate::app::CollectOutcome;
    use crate::bankid::types::CollectStatus;
    match app.portal.collect_signing(&s, &body.sign_ref).await? {
        CollectOutcome::Pending { hint_code, qr_data } => ok(
            StatusCode::OK,
            not_done_json(CollectStatus::Pending, hint_code, Some(qr_data)),
        ),
        CollectOutcome::Failed { hint_code } => ok(
            StatusCode::OK,
            not_done_json(CollectStatus::Failed, hint_code, None),
        ),
        CollectOutcome::Complete { order_status } => {
            let (sv, en) = rfa(CollectStatus::Complete, None, true);
            ok(
                StatusCode::OK,
                json!({"status": "complete", "order_status": order_status, "message_sv": sv, "message_en": en}),
            )
        }
    }
}

#[derive(Deserialize)]
struct RejectBody {
    comment: String,
}

async fn reject(
    State(app): State<App>,
    SessionAuth(s): SessionAuth,
    Path((tenant, id)): Path<(String, String)>,
    JsonBody(body): JsonBody<RejectBody>,
) -> ApiResult {
    let order = app.portal.reject(&s, &tenant, &id, &body.comment).await?;
    ok(StatusCode::OK, json!({"order_status": order.status}))
}

pub(in crate::web) fn portal_routes() -> Router<App> {
    Router::new()
        .route("/portal/login", post(login))
        .route("/portal/login/collect", post(login_collect))
        .route("/portal/cancel", post(cancel_eid))
        .route("/portal/logout", post(logout))
        .route("/portal/me", get(me))
        .route("/portal/orders", get(my_orders))
        .route("/portal/orders/{tenant}/{id}", get(my_order))
        .route(
            "/portal/orders/{tenant}/{id}/document.pdf",
            get(my_document),
        )
        .route("/portal/orders/{tenant}/{id}/sign", post(start_sign))
        .route("/portal/orders/{tenant}/{id}/reject", post(reject))
        .route("/portal/sign/collect", post(sign_collect))
        .route("/portal/verify", post(verify_document))
        .route("/portal/verify/{tenant}/{id}", get(verify_kept))
}
