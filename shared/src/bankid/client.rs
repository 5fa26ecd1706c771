//! Client of the BankID RP API v6.0. The caller builds the `reqwest::Client` (mTLS identity,
//! pinned BankID root, timeouts), so the same code talks to BankID and to the simulator.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::bankid::error::BankIdError;
use crate::bankid::types::{
    AuthRequest, CollectResponse, ErrorBody, OrderRefRequest, OrderStarted, PhoneAuthRequest,
    PhoneOrderStarted, PhoneRequirement, PhoneSignRequest, Requirement, SignRequest, WebDevice,
};

/// `userVisibleData` / `userNonVisibleData` limits of `/auth`, counted on the base64 text.
pub const AUTH_DATA_MAX_CHARS: usize = 1_500;
/// `userVisibleData` limit of `/sign`, counted on the base64 text.
pub const SIGN_VISIBLE_MAX_CHARS: usize = 40_000;
/// `userNonVisibleData` limit of `/sign`, counted on the base64 text.
pub const SIGN_NON_VISIBLE_MAX_CHARS: usize = 200_000;
pub const USER_AGENT_MAX_CHARS: usize = 256;

/// Sleeps for a delay; injectable so tests of the retry logic do not wait.
pub type Sleeper = Arc<dyn Fn(Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// When the client silently repeats a call (digest §1.8):
/// - `maintenance` (503) and `internalError` (500): exponential backoff, `initial_delay`
///   doubling up to `max_delay`, at most `max_attempts` calls in all and at most
///   `max_total_delay` spent waiting. (BankID's error table says an RP should not retry
///   `internalError` automatically; set `retry_internal_error = false` to follow it strictly.)
/// - `tooManyRequests` (429): waits what `Retry-After` / `RateLimit-Reset` asks when that is at
///   most `max_retry_after` (and fits the total budget), else gives up at once; without either
///   header it backs off like above.
/// - Every other error, and transport errors, are returned at once.
#[derive(Clone)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub initial_delay: Duration,
    pub max_delay: Duration,
    pub max_total_delay: Duration,
    pub max_retry_after: Duration,
    pub retry_internal_error: bool,
    pub sleeper: Sleeper,
}

impl std::fmt::Debug for RetryPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RetryPolicy")
            .field("max_attempts", &self.max_attempts)
            .field("initial_delay", &self.initial_delay)
            .field("max_delay", &self.max_delay)
            .field("max_total_delay", &self.max_total_delay)
            .field("max_retry_after", &self.max_retry_after)
            .field("retry_internal_error", &self.retry_internal_error)
            .finish_non_exhaustive()
    }
}

impl Default for RetryPolicy {
    /// 4 calls, 250 ms → 500 ms → 1 s, at most 5 s waiting in all, Retry-After up to 5 s.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(2),
            max_total_delay: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(5),
            retry_internal_error: true,
            sleeper: Arc::new(|delay| Box::pin(tokio::time::sleep(delay))),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The delay before retry number `retry` (0-based) after `error`, or `None` to give up.
    /// `waited` is the time already spent waiting.
    pub fn delay_for(&self, error: &BankIdError, retry: u32, waited: Duration) -> Option<Duration> {
        if retry.saturating_add(1) >= self.max_attempts {
            return None;
        }
        let backoff = self
            .initial_delay
            .saturating_mul(2u32.saturating_pow(retry))
            .min(self.max_delay);
        let delay = match error {
            BankIdError::Maintenance { .. } => backoff,
            BankIdError::InternalError { .. } if self.retry_internal_error => backoff,
            BankIdError::TooManyRequests {
                retry_after_seconds: Some(seconds),
                ..
            } => {
                let asked = Duration::from_secs(*seconds);
                if asked > self.max_retry_after {
                    return None;
                }
                asked
            }
            BankIdError::TooManyRequests { .. } => backoff,
            _ => return None,
        };
        (waited.saturating_add(delay) <= self.max_total_delay).then_some(delay)
    }
}

#[derive(Debug, Clone)]
pub struct BankIdClient {
    base_url: String,
    http: reqwest::Client,
    retry: RetryPolicy,
}

impl BankIdClient {
    /// `base_url` like `https://appapi2.test.bankid.com/rp/v6.0/` (a missing final `/` is added).
    pub fn new(base_url: &str, http: reqwest::Client) -> Self {
        let mut base_url = base_url.to_string();
        if !base_url.ends_with('/') {
            base_url.push('/');
        }
        BankIdClient {
            base_url,
            http,
            retry: RetryPolicy::default(),
        }
    }

    /// Replaces the retry policy (see [`RetryPolicy`]; [`RetryPolicy::none`] turns retries off).
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub async fn auth(&self, req: &AuthRequest) -> Result<OrderStarted, BankIdError> {
        validate_auth(req).map_err(BankIdError::InvalidRequest)?;
        self.post("auth", req).await
    }

    pub async fn sign(&self, req: &SignRequest) -> Result<OrderStarted, BankIdError> {
        validate_sign(req).map_err(BankIdError::InvalidRequest)?;
        self.post("sign", req).await
    }

    /// `/phone/auth`: identify a user who is in a phone call with the RP.
    pub async fn phone_auth(
        &self,
        req: &PhoneAuthRequest,
    ) -> Result<PhoneOrderStarted, BankIdError> {
        validate_phone_auth(req).map_err(BankIdError::InvalidRequest)?;
        self.post("phone/auth", req).await
    }

    /// `/phone/sign`: a signature by a user who is in a phone call with the RP.
    pub async fn phone_sign(
        &self,
        req: &PhoneSignRequest,
    ) -> Result<PhoneOrderStarted, BankIdError> {
        validate_phone_sign(req).map_err(BankIdError::InvalidRequest)?;
        self.post("phone/sign", req).await
    }

    /// Call every two seconds while `pending`; persist `completionData` on the first
    /// `complete`, BankID does not promise a second collect will succeed.
    pub async fn collect(&self, order_ref: &str) -> Result<CollectResponse, BankIdError> {
        validate_order_ref(order_ref).map_err(BankIdError::InvalidRequest)?;
        self.post(
            "collect",
            &OrderRefRequest {
                order_ref: order_ref.to_string(),
            },
        )
        .await
    }

    /// Must be called when the user aborts in our UI, or the order blocks the user until it expires.
    pub async fn cancel(&self, order_ref: &str) -> Result<(), BankIdError> {
        validate_order_ref(order_ref).map_err(BankIdError::InvalidRequest)?;
        let _: serde_json::Value = self
            .post(
                "cancel",
                &OrderRefRequest {
                    order_ref: order_ref.to_string(),
                },
            )
            .await?;
        Ok(())
    }

    /// One RP API call with the retries of [`RetryPolicy`].
    async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        method: &str,
        body: &B,
    ) -> Result<T, BankIdError> {
        let mut waited = Duration::ZERO;
        let mut retry = 0u32;
        loop {
            match self.post_once(method, body).await {
                Ok(value) => return Ok(value),
                Err(error) => {
                    let Some(delay) = self.retry.delay_for(&error, retry, waited) else {
                        return Err(error);
                    };
                    tracing::warn!(
                        method,
                        error_code = error.error_code(),
                        retry = retry + 1,
                        delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                        "bankid: retrying"
                    );
                    (self.retry.sleeper)(delay).await;
                    waited += delay;
                    retry += 1;
                }
            }
        }
    }

    async fn post_once<B: Serialize, T: DeserializeOwned>(
        &self,
        method: &str,
        body: &B,
    ) -> Result<T, BankIdError> {
        let url = format!("{}{method}", self.base_url);
        // `.json()` sets exactly `application/json`; BankID answers 415 to any `; charset=`.
        let response = self
            .http
            .post(&url)
            .json(body)
            .send()
            .await
            .map_err(|e| BankIdError::Transport(format!("{method}: {e}")))?;
        let status = response.status();
        // `Retry-After` (seconds) first, else the draft `RateLimit-Reset` BankID sends.
        let header_seconds = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        let rate_limit_reset =
            header_seconds("Retry-After").or_else(|| header_seconds("RateLimit-Reset"));
        let bytes = response
            .bytes()
            .await
            .map_err(|e| BankIdError::Transport(format!("{method}: reading body: {e}")))?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|e| {
                BankIdError::Transport(format!("{method}: unexpected response body: {e}"))
            });
        }
        let mut error = match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(body) => {
                BankIdError::from_error_code(&body.error_code, body.details, status.as_u16())
            }
            Err(_) => BankIdError::from_http_status(
                status.as_u16(),
                String::from_utf8_lossy(&bytes).chars().take(200).collect(),
            ),
        };
        if let BankIdError::TooManyRequests {
            retry_after_seconds,
            ..
        } = &mut error
        {
            *retry_after_seconds = rate_limit_reset;
        }
        Err(error)
    }
}

fn validate_order_ref(order_ref: &str) -> Result<(), String> {
    if order_ref.is_empty() || order_ref.len() > 100 {
        return Err("orderRef must be 1-100 characters".into());
    }
    Ok(())
}

/// The size limits of the texts of an order (after base64): auth and sign differ.
#[derive(Clone, Copy)]
struct TextLimits {
    visible_min: usize,
    visible_max: usize,
    non_visible_max: usize,
}

impl TextLimits {
    const AUTH: TextLimits = TextLimits {
        visible_min: 0,
        visible_max: AUTH_DATA_MAX_CHARS,
        non_visible_max: AUTH_DATA_MAX_CHARS,
    };
    const SIGN: TextLimits = TextLimits {
        visible_min: 1,
        visible_max: SIGN_VISIBLE_MAX_CHARS,
        non_visible_max: SIGN_NON_VISIBLE_MAX_CHARS,
    };
}

fn validate_texts(
    visible: Option<&str>,
    non_visible: Option<&str>,
    format: Option<&str>,
    limits: TextLimits,
) -> Result<(), String> {
    validate_data(
        "userVisibleData",
        visible,
        limits.visible_min,
        limits.visible_max,
    )?;
    validate_data("userNonVisibleData", non_visible, 0, limits.non_visible_max)?;
    validate_format(format)
}

/// Checks `/auth` limits before sending (also used by the simulator to answer invalidParameters).
pub fn validate_auth(req: &AuthRequest) -> Result<(), String> {
    validate_common(
        &req.end_user_ip,
        req.requirement.as_ref(),
        req.web.as_ref(),
        req.app.is_some(),
    )?;
    validate_texts(
        req.user_visible_data.as_deref(),
        req.user_non_visible_data.as_deref(),
        req.user_visible_data_format.as_deref(),
        TextLimits::AUTH,
    )
}

/// Checks `/sign` limits before sending.
pub fn validate_sign(req: &SignRequest) -> Result<(), String> {
    validate_common(
        &req.end_user_ip,
        req.requirement.as_ref(),
        req.web.as_ref(),
        req.app.is_some(),
    )?;
    validate_texts(
        Some(req.user_visible_data.as_str()),
        req.user_non_visible_data.as_deref(),
        req.user_visible_data_format.as_deref(),
        TextLimits::SIGN,
    )
}

/// Checks `/phone/auth` (also used by the simulator): personalNumber 12 digits, the auth limits.
pub fn validate_phone_auth(req: &PhoneAuthRequest) -> Result<(), String> {
    validate_phone_common(&req.personal_number, req.requirement.as_ref())?;
    validate_texts(
        req.user_visible_data.as_deref(),
        req.user_non_visible_data.as_deref(),
        req.user_visible_data_format.as_deref(),
        TextLimits::AUTH,
    )
}

/// Checks `/phone/sign`: personalNumber 12 digits, userVisibleData required, the sign limits.
pub fn validate_phone_sign(req: &PhoneSignRequest) -> Result<(), String> {
    validate_phone_common(&req.personal_number, req.requirement.as_ref())?;
    validate_texts(
        Some(req.user_visible_data.as_str()),
        req.user_non_visible_data.as_deref(),
        req.user_visible_data_format.as_deref(),
        TextLimits::SIGN,
    )
}

fn validate_phone_common(
    personal_number: &str,
    requirement: Option<&PhoneRequirement>,
) -> Result<(), String> {
    if personal_number.len() != 12 || !personal_number.bytes().all(|b| b.is_ascii_digit()) {
        return Err("personalNumber must be 12 digits (YYYYMMDDNNNN)".into());
    }
    if let Some(card_reader) = requirement.and_then(|r| r.card_reader.as_deref()) {
        if card_reader != "class1" && card_reader != "class2" {
            return Err("requirement.cardReader must be class1 or class2".into());
        }
    }
    Ok(())
}

fn validate_common(
    end_user_ip: &str,
    requirement: Option<&Requirement>,
    web: Option<&WebDevice>,
    has_app: bool,
) -> Result<(), String> {
    if end_user_ip.parse::<std::net::IpAddr>().is_err() {
        return Err("endUserIp must be an IPv4 or IPv6 address".into());
    }
    if let Some(pnr) = requirement.and_then(|r| r.personal_number.as_deref()) {
        if pnr.len() != 12 || !pnr.bytes().all(|b| b.is_ascii_digit()) {
            return Err("requirement.personalNumber must be 12 digits (YYYYMMDDNNNN)".into());
        }
    }
    if let Some(risk) = requirement.and_then(|r| r.risk.as_deref()) {
        if risk != "low" && risk != "moderate" {
            return Err("requirement.risk must be low or moderate".into());
        }
    }
    if let Some(web) = web {
        if has_app {
            return Err("send web or app, not both".into());
        }
        if web
            .user_agent
            .as_deref()
            .is_some_and(|ua| ua.chars().count() > USER_AGENT_MAX_CHARS)
        {
            return Err(format!(
                "web.userAgent exceeds {USER_AGENT_MAX_CHARS} characters"
            ));
        }
        if let Some(domain) = web.referring_domain.as_deref() {
            if !domain
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
            {
                return Err("web.referringDomain may hold only 0-9 a-z . - (punycode)".into());
            }
        }
    }
    Ok(())
}

fn validate_data(field: &str, value: Option<&str>, min: usize, max: usize) -> Result<(), String> {
    let Some(value) = value else {
        return Ok(());
    };
    if value.len() < min || value.len() > max {
        return Err(format!(
            "{field} must be {min}-{max} characters after base64 encoding, got {}",
            value.len()
        ));
    }
    if BASE64.decode(value).is_err() {
        return Err(format!("{field} must be base64"));
    }
    Ok(())
}

fn validate_format(format: Option<&str>) -> Result<(), String> {
    match format {
        None | Some("simpleMarkdownV1") | Some("plaintext") => Ok(()),
        Some(other) => Err(format!("unsupported userVisibleDataFormat {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorText;

    #[test]
    fn sign_limits_are_checked_on_base64_length() {
        let mut req = SignRequest {
            end_user_ip: "192.0.2.1".into(),
            user_visible_data: BASE64.encode("x".repeat(30_000)),
            ..Default::default()
        };
        assert!(req.user_visible_data.len() == 40_000);
        assert_eq!(validate_sign(&req), Ok(()));
        req.user_visible_data = BASE64.encode("x".repeat(30_003));
        assert!(validate_sign(&req).is_err());
        req.user_visible_data = String::new();
        assert!(validate_sign(&req).is_err());
        req.user_visible_data = "not base64!".into();
        assert!(validate_sign(&req).is_err());
    }

    #[test]
    fn auth_limits_and_fields() {
        let mut req = AuthRequest {
            end_user_ip: "2001:db8::1".into(),
            ..Default::default()
        };
        assert_eq!(validate_auth(&req), Ok(()));
        req.user_non_visible_data = Some(BASE64.encode("x".repeat(1_200)));
        assert!(
            validate_auth(&req).is_err(),
            "1600 base64 chars is over the auth limit"
        );
        req.user_non_visible_data = None;
        req.end_user_ip = "localhost".into();
        assert!(validate_auth(&req).is_err());
        req.end_user_ip = "192.0.2.1".into();
        req.requirement = Some(Requirement {
            personal_number: Some("19121212121".into()),
            ..Default::default()
        });
        assert!(validate_auth(&req).is_err());
    }

    #[tokio::test]
    async fn oversized_request_is_refused_without_network() {
        // Port 9 (discard) is never contacted: the size check comes first.
        let client = BankIdClient::new("http://127.0.0.1:9/rp/v6.0", reqwest::Client::new());
        let req = SignRequest {
            end_user_ip: "192.0.2.1".into(),
            user_visible_data: BASE64.encode("x".repeat(31_000)),
            ..Default::default()
        };
        let err = client.sign(&req).await.expect_err("too large");
        assert_eq!(err.code(), "bankid.invalid_request");
    }
}
