//! The HTTP API: the routes, the RP API's checks (method, content type, injected errors,
//! scenarios) before its operations, and the phone and control APIs' handlers.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::Router;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::order::{OrderKind, StartFields};
use super::phone::{PhoneIdentify, PhoneOpen};
use super::rp::InjectedError;
use super::scenario::{RpScenario, ScenarioKind};
use super::Simulator;
use esign_shared::bankid::client::{
    validate_auth, validate_phone_auth, validate_phone_sign, validate_sign,
};
use esign_shared::bankid::types::{
    AuthRequest, CallInitiator, HintCode, OrderRefRequest, PhoneAuthRequest, PhoneOrderStarted,
    PhoneRequirement, PhoneSignRequest, Requirement, SignRequest,
};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PhoneFail {
    order_ref: String,
    hint_code: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PhoneOrdersQuery {
    personal_number: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InjectErrorRequest {
    error_code: String,
    count: Option<u32>,
    retry_after_seconds: Option<u64>,
}

fn parse_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|_| {
        ApiError::rp(
            StatusCode::BAD_REQUEST,
            "invalidParameters",
            "Invalid request",
        )
    })
}

/// BankID wants exactly `application/json`; any parameter (such as `; charset=UTF-8`) is refused.
fn is_exact_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"))
}

/// The HTTP API: RP API under `/rp/v6.0/`, phone API under `/phone/`, fault injection under `/sim/`.
pub fn router(sim: Arc<Simulator>) -> Router {
    Router::new()
        .route("/rp/v6.0/{method}", any(rp_method))
        .route("/rp/v6.0/phone/{method}", any(rp_phone_method))
        .route("/phone/open", post(phone_open))
        .route("/phone/identify", post(phone_identify))
        .route("/phone/confirm", post(phone_confirm))
        .route("/phone/cancel", post(phone_cancel))
        .route("/phone/fail", post(phone_fail))
        .route("/phone/hint", post(phone_hint))
        .route("/phone/scan-id", post(phone_scan_id))
        .route("/phone/confirm-call", post(phone_confirm_call))
        .route("/phone/decline-call", post(phone_decline_call))
        .route("/phone/orders", get(phone_orders))
        .route("/sim/inject-error", post(inject_error))
        .route("/sim/scenario", post(set_scenario))
        .route("/sim/scenarios", get(list_scenarios))
        .fallback(not_found)
        .with_state(sim)
}

async fn not_found() -> Response {
    ApiError::rp(StatusCode::NOT_FOUND, "notFound", "Not found").into_response()
}

async fn rp_method(
    State(sim): State<Arc<Simulator>>,
    Path(name): Path<String>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    rp_call(&sim, &name, &method, &headers, &body).await
}

async fn rp_phone_method(
    State(sim): State<Arc<Simulator>>,
    Path(name): Path<String>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    rp_call(&sim, &format!("phone/{name}"), &method, &headers, &body).await
}

async fn rp_call(
    sim: &Simulator,
    name: &str,
    method: &Method,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    if method == Method::POST && is_rp_method(name) {
        match sim.rp_scenario(name, body) {
            Some(RpScenario::Delay(delay)) => tokio::time::sleep(delay).await,
            Some(RpScenario::Refuse(error)) => return error.into_response(),
            None => {}
        }
    }
    match rp_dispatch(sim, name, method, headers, body) {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

fn is_rp_method(name: &str) -> bool {
    matches!(
        name,
        "auth" | "sign" | "phone/auth" | "phone/sign" | "collect" | "cancel"
    )
}

/// A `/phone/*` order: bound to the person; no endUserIp is sent, so the device address in
/// `completionData` is the phone's own (`ipAddress` of `/phone/identify`, else a documentation
/// address).
fn phone_fields(
    personal_number: String,
    call_initiator: CallInitiator,
    requirement: Option<PhoneRequirement>,
    user_visible_data: Option<String>,
    user_non_visible_data: Option<String>,
) -> StartFields {
    let requirement = requirement.unwrap_or_default();
    StartFields {
        end_user_ip: "198.51.100.7".into(),
        requirement: Requirement {
            personal_number: Some(personal_number),
            pin_code: requirement.pin_code,
            certificate_policies: requirement.certificate_policies,
            card_reader: requirement.card_reader,
            ..Default::default()
        },
        user_visible_data,
        user_non_visible_data,
        return_risk: false,
        call_initiator: Some(call_initiator),
    }
}

fn rp_dispatch(
    sim: &Simulator,
    name: &str,
    method: &Method,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Response, ApiError> {
    if !is_rp_method(name) {
        return Err(ApiError::rp(StatusCode::NOT_FOUND, "notFound", "Not found"));
    }
    if method != Method::POST {
        return Err(ApiError::rp(
            StatusCode::METHOD_NOT_ALLOWED,
            "methodNotAllowed",
            "Only POST is allowed",
        ));
    }
    if let Some(error) = sim.take_injected_error() {
        return Err(error);
    }
    if !is_exact_json(headers) {
        return Err(ApiError::rp(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupportedMediaType",
            "Content-Type must be application/json",
        ));
    }
    let invalid =
        |details: String| ApiError::rp(StatusCode::BAD_REQUEST, "invalidParameters", &details);
    match name {
        "auth" => {
            let req: AuthRequest = parse_body(body)?;
            validate_auth(&req).map_err(invalid)?;
            let fields = StartFields {
                end_user_ip: req.end_user_ip,
                requirement: req.requirement.unwrap_or_default(),
                user_visible_data: req.user_visible_data,
                user_non_visible_data: req.user_non_visible_data,
                return_risk: req.return_risk == Some(true),
                call_initiator: None,
            };
            Ok(axum::Json(sim.start_order(OrderKind::Auth, fields)?).into_response())
        }
        "sign" => {
            let req: SignRequest = parse_body(body)?;
            validate_sign(&req).map_err(invalid)?;
            let fields = StartFields {
                end_user_ip: req.end_user_ip,
                requirement: req.requirement.unwrap_or_default(),
                user_visible_data: Some(req.user_visible_data),
                user_non_visible_data: req.user_non_visible_data,
                return_risk: req.return_risk == Some(true),
                call_initiator: None,
            };
            Ok(axum::Json(sim.start_order(OrderKind::Sign, fields)?).into_response())
        }
        "phone/auth" => {
            let req: PhoneAuthRequest = parse_body(body)?;
            validate_phone_auth(&req).map_err(invalid)?;
            let fields = phone_fields(
                req.personal_number,
                req.call_initiator,
                req.requirement,
                req.user_visible_data,
                req.user_non_visible_data,
            );
            let started = sim.start_order(OrderKind::Auth, fields)?;
            Ok(axum::Json(PhoneOrderStarted {
                order_ref: started.order_ref,
            })
            .into_response())
        }
        "phone/sign" => {
            let req: PhoneSignRequest = parse_body(body)?;
            validate_phone_sign(&req).map_err(invalid)?;
            let fields = phone_fields(
                req.personal_number,
                req.call_initiator,
                req.requirement,
                Some(req.user_visible_data),
                req.user_non_visible_data,
            );
            let started = sim.start_order(OrderKind::Sign, fields)?;
            Ok(axum::Json(PhoneOrderStarted {
                order_ref: started.order_ref,
            })
            .into_response())
        }
        "collect" => {
            let req: OrderRefRequest = parse_body(body)?;
            Ok(axum::Json(sim.collect(&req.order_ref)?).into_response())
        }
        _ => {
            let req: OrderRefRequest = parse_body(body)?;
            sim.cancel(&req.order_ref)?;
            Ok(axum::Json(serde_json::json!({})).into_response())
        }
    }
}

async fn phone_open(State(sim): State<Arc<Simulator>>, body: Bytes) -> Response {
    respond(parse_body::<PhoneOpen>(&body).and_then(|req| sim.phone_open(req)))
}

async fn phone_identify(State(sim): State<Arc<Simulator>>, body: Bytes) -> Response {
    respond_done(parse_body::<PhoneIdentify>(&body).and_then(|req| sim.phone_identify(req)))
}

async fn phone_confirm(State(sim): State<Arc<Simulator>>, body: Bytes) -> Response {
    respond_done(
        parse_body::<OrderRefRequest>(&body).and_then(|req| sim.phone_confirm(&req.order_ref)),
    )
}

async fn phone_cancel(State(sim): State<Arc<Simulator>>, body: Bytes) -> Response {
    respond_done(
        parse_body::<OrderRefRequest>(&body)
            .and_then(|req| sim.phone_fail(&req.order_ref, HintCode::UserCancel)),
    )
}

async fn phone_hint(State(sim): State<Arc<Simulator>>, body: Bytes) -> Response {
    respond_done(
        parse_body::<PhoneFail>(&body)
            .and_then(|req| sim.phone_hint(&req.order_ref, HintCode::parse(&req.hint_code))),
    )
}

async fn phone_scan_id(State(sim): State<Arc<Simulator>>, body: Bytes) -> Response {
    respond_done(
        parse_body::<OrderRefRequest>(&body).and_then(|req| sim.phone_scan_id(&req.order_ref)),
    )
}

async fn phone_fail(State(sim): State<Arc<Simulator>>, body: Bytes) -> Response {
    respond_done(
        parse_body::<PhoneFail>(&body)
            .and_then(|req| sim.phone_fail(&req.order_ref, HintCode::parse(&req.hint_code))),
    )
}

async fn phone_orders(
    State(sim): State<Arc<Simulator>>,
    Query(query): Query<PhoneOrdersQuery>,
) -> Response {
    axum::Json(sim.phone_orders(&query.personal_number)).into_response()
}

async fn phone_confirm_call(State(sim): State<Arc<Simulator>>, body: Bytes) -> Response {
    respond_done(
        parse_body::<OrderRefRequest>(&body)
            .and_then(|req| sim.phone_call_answer(&req.order_ref, true)),
    )
}

async fn phone_decline_call(State(sim): State<Arc<Simulator>>, body: Bytes) -> Response {
    respond_done(
        parse_body::<OrderRefRequest>(&body)
            .and_then(|req| sim.phone_call_answer(&req.order_ref, false)),
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScenarioRequest {
    personal_number: String,
    scenario: ScenarioKind,
    count: Option<u32>,
    delay_ms: Option<u64>,
}

async fn set_scenario(State(sim): State<Arc<Simulator>>, body: Bytes) -> Response {
    respond(parse_body::<ScenarioRequest>(&body).and_then(|req| {
        sim.set_scenario(&req.personal_number, req.scenario, req.count, req.delay_ms)
            .map_err(|e| ApiError::rp(StatusCode::BAD_REQUEST, "invalidParameters", &e))
    }))
}

async fn list_scenarios(State(sim): State<Arc<Simulator>>) -> Response {
    axum::Json(sim.scenarios()).into_response()
}

async fn inject_error(State(sim): State<Arc<Simulator>>, body: Bytes) -> Response {
    respond(parse_body::<InjectErrorRequest>(&body).map(|req| {
        let count = req.count.unwrap_or(1).max(1);
        sim.lock().injected.push_back(InjectedError {
            error_code: req.error_code,
            remaining: count,
            retry_after: req.retry_after_seconds,
        });
        serde_json::json!({})
    }))
}

fn respond<T: Serialize>(result: Result<T, ApiError>) -> Response {
    match result {
        Ok(value) => axum::Json(value).into_response(),
        Err(error) => error.into_response(),
    }
}

/// The answer of a phone step that gives nothing back: `{}`, or the error.
fn respond_done(result: Result<(), ApiError>) -> Response {
    respond(result.map(|_| serde_json::json!({})))
}
