//! The end user's IP address, which BankID uses in its risk check (`endUserIp`). Only what a
//! party we trust wrote counts (`ClientIpSource`): the connection's own address (a function
//! URL's `sourceIp`, the socket of `esign serve`), the entry the proxies we run appended to
//! `X-Forwarded-For`, or the viewer address our CloudFront function writes. The first
//! `X-Forwarded-For` entry is whatever the client sent, and a function URL keeps only that
//! one, so it never counts.

use std::net::IpAddr;

use http::request::Parts;
use http::HeaderMap;

use crate::app::ClientIpSource;

/// The end user's address by `source`, from the headers and the connection's address.
pub fn client_ip(
    source: &ClientIpSource,
    headers: &HeaderMap,
    peer: Option<IpAddr>,
) -> Option<IpAddr> {
    match source {
        ClientIpSource::Peer => peer,
        ClientIpSource::Proxies(n) => {
            // Every X-Forwarded-For header, in order, as one list.
            let hops: Vec<&str> = headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .collect();
            // The outermost of our n proxies appended the address it saw: n-th from the end.
            let appended = hops.len().checked_sub(*n as usize).map(|i| hops[i]);
            match appended {
                Some(hop) => hop.parse().ok(),
                // Fewer entries than proxies: the request did not come through them.
                None => peer,
            }
        }
        ClientIpSource::CloudFront { verify } => {
            if !through_site(headers, verify) {
                return peer;
            }
            headers
                .get("x-esign-viewer-ip")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok())
        }
    }
}

/// Whether the request carries the origin header only CloudFront sends.
fn through_site(headers: &HeaderMap, secret: &str) -> bool {
    headers
        .get("x-esign-origin-verify")
        .is_some_and(|v| constant_time_eq(v.as_bytes(), secret.as_bytes()))
}

/// A function URL that must be reached through the site refuses anything else: a direct call
/// would skip what the site does (the viewer address, a firewall in front of it).
pub async fn only_through_site(
    axum::extract::State(app): axum::extract::State<crate::app::App>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if let Some(secret) = &app.settings().only_through_site {
        if !through_site(request.headers(), secret) {
            use axum::response::IntoResponse;
            return crate::web::ApiError::from(crate::web::RequestError::NotThroughSite)
                .into_response();
        }
    }
    next.run(request).await
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The connection's address: a function URL's `sourceIp` (in the Lambda request context),
/// else the socket's peer (`esign serve`).
pub fn peer_ip(parts: &Parts) -> Option<IpAddr> {
    #[cfg(any(test, feature = "aws", feature = "test-support"))]
    if let Some(lambda_http::request::RequestContext::ApiGatewayV2(ctx)) =
        parts
            .extensions
            .get::<lambda_http::request::RequestContext>()
    {
        if let Some(ip) = ctx.http.source_ip.as_deref().and_then(|ip| ip.parse().ok()) {
            return Some(ip);
        }
    }
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn what_the_client_wrote_never_counts() {
        let peer = ip("192.0.2.10");
        let spoofed = headers(&[("x-forwarded-for", "203.0.113.66")]);
        assert_eq!(client_ip(&ClientIpSource::Peer, &spoofed, peer), peer);
        // Behind one proxy of ours: the entry it appended, not the client's own.
        let via_proxy = headers(&[("x-forwarded-for", "203.0.113.66, 198.51.100.7")]);
        assert_eq!(
            client_ip(&ClientIpSource::Proxies(1), &via_proxy, peer),
            ip("198.51.100.7")
        );
        // Two proxies (CloudFront, then ours): the one CloudFront appended.
        let two = headers(&[("x-forwarded-for", "203.0.113.66, 198.51.100.7, 10.0.0.2")]);
        assert_eq!(
            client_ip(&ClientIpSource::Proxies(2), &two, peer),
            ip("198.51.100.7")
        );
        // Split over several headers, the order holds.
        let split = headers(&[
            ("x-forwarded-for", "203.0.113.66"),
            ("x-forwarded-for", "198.51.100.7"),
        ]);
        assert_eq!(
            client_ip(&ClientIpSource::Proxies(1), &split, peer),
            ip("198.51.100.7")
        );
        // Not through the proxies at all: the connection's address.
        assert_eq!(client_ip(&ClientIpSource::Proxies(2), &spoofed, peer), peer);
        // A proxy's entry that is not an address gives none rather than a guess.
        let garbage = headers(&[("x-forwarded-for", "203.0.113.66, unknown")]);
        assert_eq!(client_ip(&ClientIpSource::Proxies(1), &garbage, peer), None);
    }

    #[test]
    fn behind_cloudfront_only_what_cloudfront_wrote_counts() {
        let peer = ip("192.0.2.10");
        let source = ClientIpSource::CloudFront {
            verify: "d0a7c7e0-1111-2222-3333-444455556666".into(),
        };
        for viewer in ["198.51.100.10", "2406:2d40:728d:fa10::c4a"] {
            let h = headers(&[
                ("x-esign-viewer-ip", viewer),
                (
                    "x-esign-origin-verify",
                    "d0a7c7e0-1111-2222-3333-444455556666",
                ),
                ("x-forwarded-for", "203.0.113.66"),
            ]);
            assert_eq!(client_ip(&source, &h, peer), ip(viewer), "{viewer}");
        }
        // Straight to the function URL, with a made-up viewer header: the connection counts.
        for verify in [None, Some("guess")] {
            let mut pairs = vec![("x-esign-viewer-ip", "203.0.113.66")];
            if let Some(v) = verify {
                pairs.push(("x-esign-origin-verify", v));
            }
            assert_eq!(
                client_ip(&source, &headers(&pairs), peer),
                peer,
                "{verify:?}"
            );
        }
    }

    #[test]
    fn settings_parse() {
        let parse = |s| ClientIpSource::parse(s, None);
        assert_eq!(parse("peer"), Ok(ClientIpSource::Peer));
        assert_eq!(parse(""), Ok(ClientIpSource::Peer));
        assert_eq!(parse("proxies:2"), Ok(ClientIpSource::Proxies(2)));
        assert!(parse("proxies:0").is_err());
        assert!(parse("x-forwarded-for").is_err());
        assert!(
            parse("cloudfront").is_err(),
            "not without the origin header's value"
        );
        assert_eq!(
            ClientIpSource::parse("cloudfront", Some("0123456789abcdef")),
            Ok(ClientIpSource::CloudFront {
                verify: "0123456789abcdef".into()
            })
        );
    }
}

/// Through a function URL: BankID gets the connection's `sourceIp`, not what the client put in
/// `X-Forwarded-For`.
#[cfg(all(test, feature = "embedded"))]
mod function_url_tests {
    use std::sync::{Arc, Mutex};

    use crate::app::test_app;
    use crate::ports::{EidCollect, EidError, EidProvider, EidSignText, EidStarted, EndUser};
    use crate::web::Function;

    /// The eID provider, noting who each login was started for.
    struct Noting {
        inner: Arc<dyn EidProvider>,
        seen: Mutex<Vec<EndUser>>,
    }

    #[async_trait::async_trait]
    impl EidProvider for Noting {
        async fn start_auth(&self, end_user: &EndUser) -> Result<EidStarted, EidError> {
            self.seen.lock().unwrap().push(end_user.clone());
            self.inner.start_auth(end_user).await
        }
        async fn start_sign(
            &self,
            end_user: &EndUser,
            personal_number: &str,
            text: &EidSignText,
        ) -> Result<EidStarted, EidError> {
            self.inner.start_sign(end_user, personal_number, text).await
        }
        async fn collect(&self, order_ref: &str) -> Result<EidCollect, EidError> {
            self.inner.collect(order_ref).await
        }
        async fn cancel(&self, order_ref: &str) -> Result<(), EidError> {
            self.inner.cancel(order_ref).await
        }
        fn verify_evidence(
            &self,
            completion_data: &serde_json::Value,
            personal_number: &str,
            text: Option<&EidSignText>,
        ) -> Result<serde_json::Value, EidError> {
            self.inner
                .verify_evidence(completion_data, personal_number, text)
        }
    }

    #[tokio::test]
    async fn bankid_gets_the_source_ip_not_the_forwarded_for_the_client_wrote() {
        let t = test_app::start().await;
        let noting = Arc::new(Noting {
            inner: t.ports.eid.clone(),
            seen: Mutex::new(Vec::new()),
        });
        let app = t.app_with(|p| p.eid = noting.clone());
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../events/furl-portal-login.json"
        );
        let mut ev: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        ev["headers"]["x-forwarded-for"] = "203.0.113.66".into();
        ev["requestContext"]["http"]["sourceIp"] = "192.0.2.10".into();
        let r = crate::lambda_harness::invoke(&app, Function::BankidCollect, &ev).await;
        assert_eq!(r.status, 200, "{:?}", r.json());
        let seen = noting.seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 1);
        assert_eq!(
            seen[0].ip, "192.0.2.10",
            "the client's own X-Forwarded-For was used"
        );
    }

    /// An installation that closes its function URLs: only calls through the site pass.
    #[tokio::test]
    async fn a_closed_function_url_answers_only_the_site() {
        let t = test_app::start().await;
        let key = t.add_tenant("kommun").await;
        let secret = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";
        let app = crate::app::App::new(
            t.ports.clone(),
            crate::app::Settings {
                only_through_site: Some(secret.into()),
                ..Default::default()
            },
        );
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../events/furl-whoami.json");
        let mut ev: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        ev["headers"]["authorization"] = format!("Bearer {key}").into();
        let call = |ev: serde_json::Value| {
            let app = app.clone();
            async move { crate::lambda_harness::invoke(&app, Function::CreateSigningOrder, &ev).await }
        };
        let direct = call(ev.clone()).await;
        assert_eq!(direct.status, 403, "{:?}", direct.json());
        assert_eq!(direct.code(), "request.not_through_site");
        ev["headers"]["x-esign-origin-verify"] = "a guess".into();
        assert_eq!(call(ev.clone()).await.status, 403);
        ev["headers"]["x-esign-origin-verify"] = secret.into();
        let via_site = call(ev).await;
        assert_eq!(via_site.status, 200, "{:?}", via_site.json());
        assert_eq!(via_site.json()["tenant"], "kommun");
    }
}
