//! What the routes take from a request: the JSON body and query with our error shape, the
//! caller (staff or signer), and the end user BankID's risk assessment wants.

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Query};
use axum::http::{header, request::Parts, Method};
use serde::de::DeserializeOwned;

use crate::app::{App, AppError, SignerSession, Staff};
use crate::web::status::{ApiError, RequestError};

/// A JSON body, with our error shape when it is not JSON or not the right shape.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> axum::extract::FromRequest<App> for JsonBody<T> {
    type Rejection = ApiError;
    async fn from_request(req: axum::extract::Request, state: &App) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| RequestError::UnreadableBody)?;
        let bytes = if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            Bytes::from_static(b"{}")
        } else {
            bytes
        };
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| RequestError::InvalidJson(e.to_string()).into())
    }
}

pub(super) fn bearer(parts: &Parts) -> Option<&str> {
    bearer_in(&parts.headers)
}

pub(super) fn bearer_in(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
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
        let token = session_token(parts, app)?;
        let session = app.portal.authenticate_session(&token).await?;
        let tenant = parts.headers.get("x-tenant").and_then(|v| v.to_str().ok());
        Ok(StaffAuth(
            app.tenants.staff_from_session(&session, tenant).await?,
        ))
    }
}

pub const SESSION_COOKIE: &str = "esign_session";

/// The session token: a bearer token as it is, or the session cookie, which a browser sends on
/// its own, so a call with it that changes something must come from our own pages
/// ([`our_own_page`]).
fn session_token(parts: &Parts, app: &App) -> Result<String, ApiError> {
    if let Some(b) = bearer(parts) {
        return Ok(b.to_string());
    }
    let cookie = session_cookie(&parts.headers).ok_or(AppError::Unauthenticated)?;
    if !our_own_page(parts, app.settings().base_url()) {
        return Err(RequestError::CrossSite.into());
    }
    Ok(cookie)
}

/// The session cookie's value.
fn session_cookie(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_string())
}

/// The API key or session token a request presents (bearer first, as [`StaffAuth`] takes
/// them), unchecked: what keys the caller's `Idempotency-Key`s.
pub(super) fn presented_credential(headers: &axum::http::HeaderMap) -> Option<String> {
    bearer_in(headers)
        .map(str::to_string)
        .or_else(|| session_cookie(headers))
}

/// Cross-site request forgery: a page on any site, a sibling subdomain included (SameSite does
/// not stop those), can make a browser send our cookie. A call that changes something is taken
/// with the cookie only when it is JSON (or the PDF upload), which a plain form cannot send,
/// and when the browser says it comes from our own origin (`Sec-Fetch-Site`, else `Origin`:
/// the public address, or the host the request was sent to). Reading is always allowed.
fn our_own_page(parts: &Parts, public_base_url: &str) -> bool {
    if matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return true;
    }
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let media_type = header("content-type")
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase());
    if !matches!(
        media_type.as_deref(),
        Some("application/json" | "application/pdf")
    ) {
        return false;
    }
    if let Some(site) = header("sec-fetch-site") {
        return site.eq_ignore_ascii_case("same-origin");
    }
    match header("origin") {
        None => true,
        Some(origin) => {
            let origin = origin.trim_end_matches('/');
            let host = header("host").unwrap_or_default();
            origin.eq_ignore_ascii_case(&origin_of(public_base_url))
                || ["http://", "https://"]
                    .iter()
                    .any(|scheme| origin.eq_ignore_ascii_case(&format!("{scheme}{host}")))
        }
    }
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => format!("{scheme}://{}", rest.split('/').next().unwrap_or("")),
        None => url.to_string(),
    }
}

/// The signer behind the session cookie (or a session bearer token).
pub struct SessionAuth(pub SignerSession);

impl FromRequestParts<App> for SessionAuth {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, ApiError> {
        let token = session_token(parts, app)?;
        Ok(SessionAuth(app.portal.authenticate_session(&token).await?))
    }
}

/// The end user for BankID's risk assessment: the IP as the installation trusts it
/// (`web::client_ip`); the user agent and the site's host name come from the request.
pub struct ClientIp(pub crate::ports::EndUser);

impl FromRequestParts<App> for ClientIp {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, ApiError> {
        let ip = crate::web::client_ip::client_ip(
            &app.settings().client_ip,
            &parts.headers,
            crate::web::client_ip::peer_ip(parts),
        );
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
            ip: ip.ok_or(RequestError::NoClientAddress)?.to_string(),
            user_agent: header(header::USER_AGENT),
            referring_domain: host,
        }))
    }
}

/// Query parameters, with our error shape when they do not parse.
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned> FromRequestParts<App> for QueryParams<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, app)
            .await
            .map(|Query(q)| QueryParams(q))
            .map_err(|e| RequestError::InvalidQuery(e.body_text()).into())
    }
}
