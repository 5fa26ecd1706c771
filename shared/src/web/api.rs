//! The JSON API of docs/api.md.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Query, State};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::app::{views, App, AppError, CreateOrderInput, SignerSession, Staff};

/// An error as the API shows it: a status, a code and a message in Swedish and English.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message_sv: String,
    pub message_en: String,
}

impl ApiError {
    pub fn new(status: u16, code: &str, sv: &str, en: &str) -> Self {
        Self {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            code: code.into(),
            message_sv: sv.into(),
            message_en: en.into(),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let status = e.http_status();
        if status >= 500 {
            // Our fault: log the detail (never personal data: errors carry none), show a calm text.
            tracing::error!(code = %e.code(), error = %e, "request failed");
        }
        Self {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code: e.code(),
            message_sv: e.message_sv(),
            message_en: e.message_en(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            axum::Json(json!({"error": {
                "code": self.code, "message_sv": self.message_sv, "message_en": self.message_en,
            }})),
        )
            .into_response()
    }
}

type ApiResult = Result<Response, ApiError>;

fn ok(status: StatusCode, v: Value) -> ApiResult {
    Ok((status, axum::Json(v)).into_response())
}

fn file(bytes: Bytes, content_type: &'static str, name: &str) -> ApiResult {
    let disposition = if content_type.starts_with("text/html") {
        "inline".to_string()
    } else {
        // RFC 6266: an ASCII fallback and the UTF-8 name.
        let ascii: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!(
            "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
            percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC)
        )
    };
    let mut resp = (StatusCode::OK, bytes).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    Ok(resp)
}

/// A JSON body, with our error shape when it is not JSON or not the right shape.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> axum::extract::FromRequest<App> for JsonBody<T> {
    type Rejection = ApiError;
    async fn from_request(req: axum::extract::Request, state: &App) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|_| {
            ApiError::new(
                400,
                "input.unreadable_body",
                "Förfrågan kunde inte läsas.",
                "The request body could not be read.",
            )
        })?;
        let bytes = if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            Bytes::from_static(b"{}")
        } else {
            bytes
        };
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| ApiError {
                status: StatusCode::BAD_REQUEST,
                code: "input.invalid_json".into(),
                message_sv: format!("Ogiltiga uppgifter i förfrågan: {e}"),
                message_en: format!("Invalid request data: {e}"),
            })
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// Who acts for a tenant: `Authorization: Bearer <api key>` (e-services, admins), or a member
/// of staff logged in with BankID (the session cookie or bearer token; `X-Tenant` picks the
/// tenant when they serve several).
pub struct StaffAuth(pub Staff);

impl FromRequestParts<App> for StaffAuth {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, ApiError> {
        if let Some(key) = bearer(parts).filter(|b| b.starts_with("esk_")) {
            return Ok(StaffAuth(app.tenants.authenticate_api_key(key).await?));
        }
        let token = session_token(parts).ok_or(AppError::Unauthenticated)?;
        let session = app.portal.authenticate_session(&token).await?;
        let tenant = parts.headers.get("x-tenant").and_then(|v| v.to_str().ok());
        Ok(StaffAuth(
            app.tenants.staff_from_session(&session, tenant).await?,
        ))
    }
}

pub const SESSION_COOKIE: &str = "esign_session";

fn session_token(parts: &Parts) -> Option<String> {
    if let Some(b) = bearer(parts) {
        return Some(b.to_string());
    }
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_string())
}

/// The signer behind the session cookie (or a session bearer token).
pub struct SessionAuth(pub SignerSession);

impl FromRequestParts<App> for SessionAuth {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, ApiError> {
        let token = session_token(parts).ok_or(AppError::Unauthenticated)?;
        Ok(SessionAuth(app.portal.authenticate_session(&token).await?))
    }
}

/// The end user for BankID's risk assessment: the IP is the first X-Forwarded-For hop
/// (function URLs and proxies set it), else the socket's peer; the user agent and the site's
/// host name come from the request.
pub struct ClientIp(pub crate::ports::EndUser);

impl FromRequestParts<App> for ClientIp {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &App) -> Result<Self, ApiError> {
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|ip| ip.parse::<std::net::IpAddr>().is_ok());
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        let header = |name: header::HeaderName| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let host = header(header::HOST).map(|h| {
            // Drop the port: BankID wants a bare domain.
            match h.rsplit_once(':') {
                Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name.to_string(),
                _ => h,
            }
        });
        Ok(ClientIp(crate::ports::EndUser {
            ip: forwarded
                .map(str::to_string)
                .or(peer)
                .unwrap_or_else(|| "127.0.0.1".into()),
            user_agent: header(header::USER_AGENT),
            referring_domain: host,
        }))
    }
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        405,
        "route.method_not_allowed",
        "Den här adressen tar inte emot den sortens förfrågan.",
        "This address does not accept that request method.",
    )
}

/// Query parameters, with our error shape when they do not parse.
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned> FromRequestParts<App> for QueryParams<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, app)
            .await
            .map(|Query(q)| QueryParams(q))
            .map_err(|e| ApiError {
                status: StatusCode::BAD_REQUEST,
                code: "input.invalid_query".into(),
                message_sv: format!("Ogiltiga parametrar i adressen: {}", e.body_text()),
                message_en: format!("Invalid query parameters: {}", e.body_text()),
            })
    }
}

pub async fn not_found() -> ApiError {
    ApiError::new(
        404,
        "route.not_found",
        "Sidan eller resursen finns inte.",
        "No such page or resource.",
    )
}

// --- upload ---------------------------------------------------------------------------------

#[derive(Deserialize)]
struct UploadQuery {
    file_name: Option<String>,
}

async fn upload(
    State(app): State<App>,
    StaffAuth(staff): StaffAuth,
    QueryParams(q): QueryParams<UploadQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = ctype
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if !matches!(
        essence.as_str(),
        "application/pdf" | "application/octet-stream"
    ) {
        return Err(ApiError::new(
            415,
            "upload.unsupported_media_type",
            "Skicka dokumentet som PDF (Content-Type: application/pdf).",
            "Send the document as PDF (Content-Type: application/pdf).",
        ));
    }
    let name = q
        .file_name
        .or_else(|| {
            headers
                .get("x-file-name")
                .and_then(|v| v.to_str().ok())
                .map(|v| {
                    percent_encoding::percent_decode_str(v)
                        .decode_utf8_lossy()
                        .into_owned()
                })
        })
        .unwrap_or_else(|| "dokument.pdf".into());
    let (doc, created) = app.documents.upload_document(&staff, &name, body).await?;
    ok(
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        json!({ "document": views::document(&doc) }),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DirectUploadInput {
    file_name: String,
}

/// A presigned PUT for a document too large for this function's request body (about 6 MB on
/// a function URL): the client PUTs the PDF there, and the document appears under its
/// SHA-256 once the upload function has taken it in.
async fn start_direct_upload(
    State(app): State<App>,
    StaffAuth(staff): StaffAuth,
    JsonBody(input): JsonBody<DirectUploadInput>,
) -> ApiResult {
    let ticket = app
        .documents
        .presign_upload(&staff, &input.file_name)
        .await?;
    ok(StatusCode::CREATED, json!({ "upload": ticket }))
}

async fn get_document(
    State(app): State<App>,
    StaffAuth(staff): StaffAuth,
    Path(id): Path<String>,
) -> ApiResult {
    let doc = app.documents.get_document(&staff, &id).await?;
    ok(StatusCode::OK, json!({ "document": views::document(&doc) }))
}

async fn get_document_bytes(
    State(app): State<App>,
    StaffAuth(staff): StaffAuth,
    Path(id): Path<String>,
) -> ApiResult {
    let doc = app.documents.get_document(&staff, &id).await?;
    let bytes = app.documents.document_bytes(&staff, &id).await?;
    file(bytes, "application/pdf", &doc.file_name)
}

pub(super) fn upload_routes() -> Router<App> {
    Router::new()
        .route(
            "/api/documents",
            // The embedded default takes large files directly; in AWS uploads above the
            // function-URL cap go by presigned PUT.
            post(upload).layer(DefaultBodyLimit::max(512 * 1024 * 1024)),
        )
        .route("/api/documents/uploads", post(start_direct_upload))
        .route("/api/documents/{id}", get(get_document))
        .route("/api/documents/{id}/original.pdf", get(get_document_bytes))
}

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

async fn order_file(
    State(app): State<App>,
    StaffAuth(staff): StaffAuth,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult {
    let bytes = app.orders.order_file(&staff, &id, &name).await?;
    file(bytes, crate::app::content_type_of(&name), &name)
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

async fn whoami(StaffAuth(staff): StaffAuth) -> ApiResult {
    ok(
        StatusCode::OK,
        json!({"tenant": staff.tenant, "role": staff.role}),
    )
}

pub(super) fn order_routes() -> Router<App> {
    Router::new()
        .route("/api/orders", post(create_order).get(list_orders))
        .route("/api/staff", post(add_staff))
        .route("/api/whoami", get(whoami))
        .route("/api/orders/{id}", get(get_order))
        .route("/api/orders/{id}/recall", post(recall))
        .route("/api/orders/{id}/resend", post(resend))
        .route("/api/orders/{id}/{file}", get(order_file))
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
    if let Some(svg) = super::qr_svg::qr_svg(qr_data) {
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
    file(bytes, "application/pdf", &o.current().file_name)
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

pub(super) fn portal_routes() -> Router<App> {
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
}

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

pub(super) fn public_routes() -> Router<App> {
    Router::new()
        .route("/public/{tenant}/anslag/", get(anslagstavla))
        .route("/public/{tenant}/anslag/{name}", get(public_file_route))
}

#[cfg(all(test, feature = "embedded"))]
mod tests {
    //! The portal shows the right RFA text for each state of a BankID order, over HTTP.
    use super::*;
    use crate::app::test_app;
    use crate::bankid::messages::{RFA17B, RFA3, RFA6, RFA9};
    use tower::ServiceExt;

    async fn call(app: &App, path: &str, body: Value) -> (u16, Value) {
        let req = http::Request::post(path)
            .header("content-type", "application/json")
            .body(axum::body::Body::from(body.to_string()))
            .unwrap();
        let resp = crate::web::router(app.clone()).oneshot(req).await.unwrap();
        let status = resp.status().as_u16();
        let bytes = http_body_util::BodyExt::collect(resp.into_body())
            .await
            .unwrap()
            .to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or_default())
    }

    async fn phone(t: &test_app::TestApp, path: &str, body: Value) -> Value {
        let r = reqwest::Client::new()
            .post(format!("{}/phone/{path}", t.sim_base))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "phone {path}");
        r.json().await.unwrap_or_default()
    }

    /// The next collect, after the two seconds BankID asks us to wait.
    async fn collect(t: &test_app::TestApp, login_ref: &Value) -> Value {
        t.clock.advance(chrono::Duration::seconds(2));
        let (status, body) = call(
            &t.app,
            "/portal/login/collect",
            json!({"login_ref": login_ref}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    fn expected(status: crate::bankid::types::CollectStatus, hint: &str) -> String {
        let hint = crate::bankid::types::HintCode::parse(hint);
        crate::bankid::messages::user_message(status, Some(&hint), true)
            .0
            .to_string()
    }

    #[tokio::test]
    async fn rfa_text_follows_every_state() {
        use crate::bankid::types::CollectStatus::{Failed, Pending};
        let t = test_app::start().await;

        let (status, started) = call(&t.app, "/portal/login", json!({})).await;
        assert_eq!(status, 200, "{started}");
        assert_eq!(
            started["message_sv"],
            expected(Pending, "outstandingTransaction")
        );
        let pending = collect(&t, &started["login_ref"]).await;
        assert_eq!(
            (pending["status"].as_str(), pending["hint_code"].as_str()),
            (Some("pending"), Some("outstandingTransaction"))
        );
        assert_eq!(
            pending["message_sv"],
            expected(Pending, "outstandingTransaction")
        );
        assert!(pending["qr_data"].as_str().unwrap().starts_with("bankid."));
        // Both the start and the pending collect carry the code drawn as SVG, which reads back
        // (librsvg and zbar) as exactly the QR text of that answer.
        for answer in [&started, &pending] {
            let svg = answer["qr_svg"].as_str().expect("qr_svg");
            assert_eq!(
                crate::web::qr_svg::tests::decode(svg),
                answer["qr_data"].as_str().unwrap()
            );
        }

        let opened = phone(
            &t,
            "open",
            json!({"autoStartToken": started["auto_start_token"]}),
        )
        .await;
        let order_ref = opened["orderRef"].clone();
        let body = collect(&t, &started["login_ref"]).await;
        assert_eq!(body["hint_code"], "started");
        assert_eq!(body["message_sv"], expected(Pending, "started"));

        phone(&t, "identify", json!({"orderRef": order_ref, "personalNumber": "191212121212", "givenName": "Tolvan", "surname": "Tolvansson"})).await;
        let body = collect(&t, &started["login_ref"]).await;
        assert_eq!(body["hint_code"], "userSign");
        assert_eq!(
            (body["message_sv"].as_str(), body["message_en"].as_str()),
            (Some(RFA9.0), Some(RFA9.1))
        );

        phone(&t, "cancel", json!({"orderRef": order_ref})).await;
        let body = collect(&t, &started["login_ref"]).await;
        assert_eq!(
            (body["status"].as_str(), body["hint_code"].as_str()),
            (Some("failed"), Some("userCancel"))
        );
        assert_eq!(body["message_sv"], RFA6.0);
        assert!(body.get("qr_svg").is_none(), "no code once it has failed");

        // Nobody scans: after the bounded restarts, the QR-specific startFailed text.
        let (_, started) = call(&t.app, "/portal/login", json!({})).await;
        let mut body = Value::Null;
        for _ in 0..4 {
            t.clock.advance(chrono::Duration::seconds(31));
            body = collect(&t, &started["login_ref"]).await;
        }
        assert_eq!(
            (body["status"].as_str(), body["hint_code"].as_str()),
            (Some("failed"), Some("startFailed"))
        );
        assert_eq!(body["message_sv"], RFA17B.0);

        // BankID cancelled the order (another one was started for the same person).
        let (_, started) = call(&t.app, "/portal/login", json!({})).await;
        let opened = phone(
            &t,
            "open",
            json!({"autoStartToken": started["auto_start_token"]}),
        )
        .await;
        phone(
            &t,
            "fail",
            json!({"orderRef": opened["orderRef"], "hintCode": "cancelled"}),
        )
        .await;
        let body = collect(&t, &started["login_ref"]).await;
        assert_eq!(body["message_sv"], RFA3.0);
        assert_eq!(body["message_sv"], expected(Failed, "cancelled"));

        // An unknown reference is a clear 404, not a BankID error.
        let (status, body) = call(
            &t.app,
            "/portal/login/collect",
            json!({"login_ref": uuid::Uuid::new_v4()}),
        )
        .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (404, Some("bankid_order.not_found"))
        );
    }
}

#[cfg(all(test, feature = "embedded"))]
mod staff_tests {
    use super::*;
    use crate::app::{test_app, LoginOutcome, StaffRole};
    use tower::ServiceExt;

    async fn get(app: &App, path: &str, headers: &[(&str, &str)]) -> (u16, Value) {
        let mut req = http::Request::get(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = crate::web::router(app.clone())
            .oneshot(req.body(axum::body::Body::empty()).unwrap())
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let bytes = http_body_util::BodyExt::collect(resp.into_body())
            .await
            .unwrap()
            .to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or_default())
    }

    #[tokio::test]
    async fn staff_sessions_reach_the_secretary_routes_of_their_tenant_only() {
        let t = test_app::start().await;
        let key = t.add_tenant("kommun-a").await;
        t.add_tenant("kommun-b").await;
        let admin = t.app.tenants.authenticate_api_key(&key).await.unwrap();
        t.app
            .tenants
            .add_staff(
                &admin,
                "191212121212",
                "Sara Sekreterare",
                StaffRole::Secretary,
            )
            .await
            .unwrap();
        let started = t
            .app
            .portal
            .start_login(&crate::ports::EndUser::at_ip("192.0.2.1"))
            .await
            .unwrap();
        t.phone_approves(&started.auto_start_token, "191212121212")
            .await;
        let LoginOutcome::Complete { session_token, .. } = t
            .app
            .portal
            .collect_login(&started.order_ref)
            .await
            .unwrap()
        else {
            panic!("login did not complete")
        };
        let cookie = format!("esign_session={session_token}");

        let (status, who) = get(&t.app, "/api/whoami", &[("cookie", &cookie)]).await;
        assert_eq!(
            (status, who["tenant"].as_str(), who["role"].as_str()),
            (200, Some("kommun-a"), Some("secretary"))
        );
        let (status, body) = get(&t.app, "/api/orders", &[("cookie", &cookie)]).await;
        assert_eq!((status, &body["orders"]), (200, &json!([])));
        let (status, body) = get(
            &t.app,
            "/api/orders",
            &[("cookie", &cookie), ("x-tenant", "kommun-b")],
        )
        .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (403, Some("auth.forbidden"))
        );
        let (status, _) = get(&t.app, "/api/whoami", &[]).await;
        assert_eq!(status, 401);
    }
}
