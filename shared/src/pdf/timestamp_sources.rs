//! Timestamp authorities in order of preference: a seal or a renewal asks the first, and the
//! next when one is down or answers something unusable, so that one authority's outage does
//! not stop the pipeline (`ESIGN_TSA_URL`, then `ESIGN_TSA_FALLBACK_URL`). Every token is
//! checked by the source that fetched it, so whichever answers, the token is sound.

use std::sync::Arc;

use super::timestamp::{TimestampError, TimestampSource};

pub struct TimestampSources {
    /// (name for the logs, source), the preferred first.
    sources: Vec<(String, Arc<dyn TimestampSource>)>,
}

impl TimestampSources {
    pub fn new(sources: Vec<(String, Arc<dyn TimestampSource>)>) -> Self {
        Self { sources }
    }
}

#[async_trait::async_trait]
impl TimestampSource for TimestampSources {
    async fn timestamp(&self, digest_sha256: [u8; 32]) -> Result<Vec<u8>, TimestampError> {
        let mut last = TimestampError::Request("no timestamp authority configured".into());
        for (i, (name, source)) in self.sources.iter().enumerate() {
            match source.timestamp(digest_sha256).await {
                Ok(token) => {
                    if i > 0 {
                        tracing::warn!(event = "tsa_fallback_used", authority = %name, "a timestamp came from a fallback authority");
                    }
                    return Ok(token);
                }
                Err(e) => {
                    tracing::warn!(event = "tsa_failed", authority = %name, error = %e, "timestamp authority failed; trying the next");
                    last = e;
                }
            }
        }
        Err(last)
    }
}

#[cfg(all(test, feature = "embedded"))]
mod tests {
    use super::*;
    use crate::pdf::test_support::{test_tsa, TestPki};
    use crate::pdf::HttpTimestampClient;
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::IntoResponse;

    /// A timestamp authority over HTTP that wants HTTP Basic credentials, as commercial ones
    /// do: 401 without them.
    async fn authority_with_login(pki: &TestPki) -> String {
        let tsa = Arc::new(test_tsa(pki).0);
        let app = axum::Router::new().route(
            "/tsa",
            axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
                let tsa = tsa.clone();
                async move {
                    // "kommun:hemligt"
                    let expected = "Basic a29tbXVuOmhlbWxpZ3Q=";
                    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected)
                    {
                        return StatusCode::UNAUTHORIZED.into_response();
                    }
                    (
                        [("content-type", "application/timestamp-reply")],
                        tsa.respond(&body, chrono::Utc::now()),
                    )
                        .into_response()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}/tsa")
    }

    fn closed_port() -> String {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        drop(l);
        format!("http://{addr}/tsa")
    }

    fn http(url: &str) -> (String, Arc<dyn TimestampSource>) {
        (
            url.to_string(),
            Arc::new(HttpTimestampClient::new(url).unwrap()),
        )
    }

    #[tokio::test]
    async fn the_next_authority_answers_when_the_first_is_down_or_refuses() {
        let pki = TestPki::new();
        let with_login = authority_with_login(&pki).await;
        let digest = [7u8; 32];
        let logged_in = with_login.replace("http://", "http://kommun:hemligt@");

        // Credentials in the URL are sent as HTTP Basic.
        let alone = TimestampSources::new(vec![http(&logged_in)]);
        assert!(alone.timestamp(digest).await.is_ok());
        let refused = TimestampSources::new(vec![http(&with_login)]);
        assert!(matches!(
            refused.timestamp(digest).await,
            Err(TimestampError::HttpStatus(401))
        ));

        // Down, then refusing: the third answers.
        let sources = TimestampSources::new(vec![
            http(&closed_port()),
            http(&with_login),
            http(&logged_in),
        ]);
        let token = sources.timestamp(digest).await.unwrap();
        let signed = crate::pdf::signed_data::parse_signed_data(&token);
        assert!(signed.is_ok(), "a timestamp token");

        // All down: the last failure is the answer.
        let none = TimestampSources::new(vec![http(&closed_port()), http(&with_login)]);
        assert!(matches!(
            none.timestamp(digest).await,
            Err(TimestampError::HttpStatus(401))
        ));
    }
}
