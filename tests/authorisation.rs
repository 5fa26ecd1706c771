//! Authorisation over HTTP: signers see only orders that name them, tenants never meet, API
//! keys and sessions are checked.

use std::net::SocketAddr;
use std::sync::Arc;

use esign_local::drive::Portal;
use esign_shared::app::App;
use esign_shared::ports::ManualClock;
use esign_tests::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// GET as a signer; the status and the body (JSON or text).
async fn portal_get(p: &Portal, path: &str) -> (StatusCode, Value) {
    p.get(path)
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e:#}"))
}

async fn portal_post(p: &Portal, path: &str, body: Value) -> (StatusCode, Value) {
    p.post(path, &body)
        .await
        .unwrap_or_else(|e| panic!("POST {path}: {e:#}"))
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .filter_map(|o| o["id"].as_str().map(str::to_string))
        .collect()
}

/// An order naming only the ordförande and the first justerare.
async fn order_for_two(svc: &TestService) -> (String, String) {
    let doc = upload(&svc.secretary, "protokoll.pdf", protocol_v1()).await;
    let order = create_order(
        &svc.secretary,
        &order_body(
            &doc,
            vec![
                signer_json(&ordforande(), "ordforande"),
                signer_json(&justerare1(), "justerare"),
            ],
        ),
    )
    .await;
    (order["id"].as_str().unwrap().to_string(), doc)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signer_not_named_cannot_list_read_sign_or_reject() {
    let svc = TestService::start().await;
    let t = svc.tenant();
    let (order_id, _) = order_for_two(&svc).await;
    let before = order_snapshot(&svc.secretary, &order_id).await;

    // Positive control: a named signer sees and reads it.
    let named = svc.logged_in(ordforande()).await;
    let (status, mine) = portal_get(&named, "/portal/orders").await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(
        ids(&mine["orders"]),
        vec![order_id.clone()],
        "the named signer lists the order"
    );
    let (status, one) = portal_get(&named, &format!("/portal/orders/{t}/{order_id}")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the named signer reads the order: {one}"
    );

    // Somebody with a valid BankID login who is not named.
    let stranger = svc.logged_in(outsider()).await;
    let (status, list) = portal_get(&stranger, "/portal/orders").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert!(
        ids(&list["orders"]).is_empty(),
        "a signer not named lists orders: {list}"
    );

    let (status, body) = portal_get(&stranger, &format!("/portal/orders/{t}/{order_id}")).await;
    assert_api_error("GET order not naming me", status, &body, &[404]);
    let (status, bytes) = stranger
        .http
        .get_bytes(
            &format!("/portal/orders/{t}/{order_id}/document.pdf"),
            stranger.session.as_deref(),
        )
        .await
        .unwrap();
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "document.pdf of an order not naming me"
    );
    assert!(
        !bytes.starts_with(b"%PDF"),
        "a PDF was served to a signer not named in the order"
    );
    let (status, body) = portal_post(
        &stranger,
        &format!("/portal/orders/{t}/{order_id}/sign"),
        json!({}),
    )
    .await;
    assert_api_error("sign an order not naming me", status, &body, &[404]);
    let (status, body) = portal_post(
        &stranger,
        &format!("/portal/orders/{t}/{order_id}/reject"),
        json!({"comment": "Jag vill stoppa detta"}),
    )
    .await;
    assert_api_error("reject an order not naming me", status, &body, &[404]);

    // The same order under another tenant's name in the path: not found for the named signer.
    let (status, body) = portal_get(&named, &format!("/portal/orders/annan/{order_id}")).await;
    assert_api_error("order under the wrong tenant", status, &body, &[404]);

    // A signer cannot collect somebody else's signing.
    let (status, started) = portal_post(
        &named,
        &format!("/portal/orders/{t}/{order_id}/sign"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{started}");
    named
        .phone_approves(started["auto_start_token"].as_str().unwrap())
        .await
        .unwrap();
    let (status, body) = portal_post(
        &stranger,
        "/portal/sign/collect",
        json!({"sign_ref": started["sign_ref"]}),
    )
    .await;
    assert!(
        status.is_client_error() || (status == StatusCode::OK && body["status"] != "complete"),
        "collecting another signer's signing must not complete it: {status} {body}"
    );
    if status.is_client_error() {
        assert_api_error(
            "collect another's signing",
            status,
            &body,
            &[400, 403, 404, 409],
        );
    }

    let after = order_snapshot(&svc.secretary, &order_id).await;
    assert_eq!(
        after["signers"], before["signers"],
        "a refused request changed the order's signers"
    );
    assert_eq!(after["status"], "open");
    assert_eq!(
        after["history"], before["history"],
        "a refused request changed the history"
    );
    svc.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_never_meet() {
    let svc = TestService::start().await;
    let a = &svc.secretary;
    let b = svc.add_tenant("annan", "Annan kommun").await;

    let doc_a = upload(a, "a.pdf", protocol_v1()).await;
    let order_a = create_order(
        a,
        &order_body(&doc_a, vec![signer_json(&ordforande(), "ordforande")]),
    )
    .await;
    let order_a = order_a["id"].as_str().unwrap().to_string();
    let before_exported = order_a.clone();
    let doc_b = upload(&b, "b.pdf", protocol_v2()).await;
    let order_b = create_order(
        &b,
        &order_body(&doc_b, vec![signer_json(&justerare1(), "justerare")]),
    )
    .await;
    let order_b = order_b["id"].as_str().unwrap().to_string();
    // A's order is signed and goes all the way to exported, so its files exist.
    let ordf = svc.logged_in(ordforande()).await;
    let done = ordf
        .sign("demo", &order_a)
        .await
        .expect("signing A's order");
    assert_eq!(done["status"], "complete", "{done}");
    a.wait_for_status(&order_a, "exported", std::time::Duration::from_secs(60))
        .await
        .expect("A's order is exported");
    let before_a = order_snapshot(a, &order_a).await;

    // Lists are scoped.
    assert_eq!(ids(&order_list(a).await).len(), 1);
    assert_eq!(ids(&order_list(&b).await), vec![order_b.clone()]);

    // B cannot read, download, recall or resend A's things (404, never 403 or 409: B must not
    // even learn that they exist).
    for path in [
        format!("/api/orders/{order_a}"),
        format!("/api/documents/{doc_a}"),
    ] {
        let (status, body) = b.get(&path).await.unwrap();
        assert_api_error(&format!("tenant B GET {path}"), status, &body, &[404]);
    }
    for name in [
        "archive.pdf",
        "publication.pdf",
        "notice.json",
        "notice.html",
        "sip.zip",
    ] {
        let path = format!("/api/orders/{order_a}/{name}");
        let (status, _) = a.http.get_bytes(&path, Some(&a.api_key)).await.unwrap();
        assert_eq!(status, StatusCode::OK, "tenant A GET {path} (control)");
    }
    for path in [
        format!("/api/documents/{doc_a}/original.pdf"),
        format!("/api/orders/{order_a}/archive.pdf"),
        format!("/api/orders/{order_a}/publication.pdf"),
        format!("/api/orders/{order_a}/notice.json"),
        format!("/api/orders/{order_a}/notice.html"),
        format!("/api/orders/{order_a}/sip.zip"),
    ] {
        let (status, bytes) = b.http.get_bytes(&path, Some(&b.api_key)).await.unwrap();
        assert_eq!(status, StatusCode::NOT_FOUND, "tenant B GET {path}");
        assert!(
            !bytes.starts_with(b"%PDF") && !bytes.starts_with(b"PK"),
            "tenant B got a file from {path}"
        );
    }
    for path in [
        format!("/public/annan/anslag/{order_a}.json"),
        format!("/public/annan/anslag/{order_a}.pdf"),
    ] {
        let (status, _) = b.http.get_bytes(&path, None).await.unwrap();
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "A's notice under B's anslagstavla: {path}"
        );
    }
    let (status, body) = b
        .post(
            &format!("/api/orders/{order_a}/recall"),
            &json!({"reason": "x"}),
        )
        .await
        .unwrap();
    assert_api_error("tenant B recalls A's order", status, &body, &[404]);
    let (status, body) = b
        .post(
            &format!("/api/orders/{order_a}/resend"),
            &json!({"document_id": doc_b}),
        )
        .await
        .unwrap();
    assert_api_error("tenant B resends A's order", status, &body, &[404]);
    let after_a = order_snapshot(a, &order_a).await;
    assert_eq!(after_a, before_a, "B's refused requests changed A's order");

    // A second order of A, to recall and resend.
    let order_a = create_order(
        a,
        &order_body(&doc_a, vec![signer_json(&ordforande(), "ordforande")]),
    )
    .await;
    let order_a = order_a["id"].as_str().unwrap().to_string();
    let before_a = order_snapshot(a, &order_a).await;
    // B cannot make an order on A's document.
    let (status, body) = b
        .post(
            "/api/orders",
            &order_body(&doc_a, vec![signer_json(&justerare1(), "justerare")]),
        )
        .await
        .unwrap();
    assert_api_error("tenant B orders A's document", status, &body, &[404, 422]);
    assert_eq!(
        ids(&order_list(&b).await),
        vec![order_b.clone()],
        "B's list changed"
    );
    // And A cannot resend its order with B's document.
    let (status, _) = a
        .post(&format!("/api/orders/{order_a}/recall"), &json!({}))
        .await
        .unwrap();
    let recalled_ok = status == StatusCode::OK;
    let (status, body) = a
        .post(
            &format!("/api/orders/{order_a}/resend"),
            &json!({"document_id": doc_b}),
        )
        .await
        .unwrap();
    assert!(recalled_ok, "tenant A could not recall its own order");
    assert_api_error(
        "tenant A resends with B's document",
        status,
        &body,
        &[404, 422],
    );

    let after_a = order_snapshot(a, &order_a).await;
    assert_eq!(
        after_a["version"], before_a["version"],
        "A's order got a new version"
    );
    assert_eq!(after_a["document_id"], before_a["document_id"]);
    assert_eq!(after_a["status"], "recalled");

    // Signers see across tenants only what names them.
    let just = svc.logged_in(justerare1()).await;
    let stranger = svc.logged_in(outsider()).await;
    let (_, l) = portal_get(&ordf, "/portal/orders").await;
    let listed = ids(&l["orders"]);
    assert!(
        listed.contains(&before_exported),
        "ordförande's list lacks the signed order: {l}"
    );
    assert!(
        listed
            .iter()
            .all(|id| *id == before_exported || *id == order_a),
        "ordförande's list has orders not naming them: {l}"
    );
    for o in l["orders"].as_array().unwrap() {
        assert_eq!(o["tenant"], "demo", "{l}");
    }
    let (_, l) = portal_get(&just, "/portal/orders").await;
    assert_eq!(
        ids(&l["orders"]),
        vec![order_b.clone()],
        "justerare's list: {l}"
    );
    assert_eq!(l["orders"][0]["tenant"], "annan", "{l}");
    let (_, l) = portal_get(&stranger, "/portal/orders").await;
    assert!(ids(&l["orders"]).is_empty(), "outsider's list: {l}");
    let (status, body) = portal_get(&just, &format!("/portal/orders/demo/{order_a}")).await;
    assert_api_error("justerare of B reads A's order", status, &body, &[404]);
    let (status, body) = portal_get(&ordf, &format!("/portal/orders/annan/{order_a}")).await;
    assert_api_error("A's order under B's name", status, &body, &[404]);
    svc.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_key_is_required_and_checked() {
    let svc = TestService::start().await;
    let doc = upload(&svc.secretary, "p.pdf", protocol_v1()).await;
    let order = create_order(
        &svc.secretary,
        &order_body(&doc, vec![signer_json(&ordforande(), "ordforande")]),
    )
    .await;
    let order_id = order["id"].as_str().unwrap();
    // A fresh connection per request: the server answers 401 to an upload without reading
    // its body and then closes the connection, which a pooled connection would trip over.
    let fresh = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let c = &fresh;
    let wrong_key = format!("esk_demo_{}", "0".repeat(64));
    let session = svc.logged_in(ordforande()).await.session.unwrap();
    let auths: Vec<(&str, Option<String>)> = vec![
        ("no Authorization", None),
        ("a wrong key", Some(format!("Bearer {wrong_key}"))),
        ("an empty bearer", Some("Bearer ".into())),
        (
            "Basic auth",
            Some(format!("Basic {}", svc.secretary.api_key)),
        ),
        (
            "a portal session as API key",
            Some(format!("Bearer {session}")),
        ),
        (
            "a very long key",
            Some(format!("Bearer {}", "k".repeat(10_000))),
        ),
    ];
    for (what, auth) in &auths {
        let reqs = vec![
            ("GET /api/orders", c.get(svc.http.url("/api/orders"))),
            (
                "GET order",
                c.get(svc.http.url(&format!("/api/orders/{order_id}"))),
            ),
            (
                "GET document",
                c.get(svc.http.url(&format!("/api/documents/{doc}"))),
            ),
            (
                "GET original.pdf",
                c.get(svc.http.url(&format!("/api/documents/{doc}/original.pdf"))),
            ),
            (
                "POST upload",
                c.post(svc.http.url("/api/documents?file_name=x.pdf"))
                    .header("content-type", "application/pdf")
                    .body(protocol_v2()),
            ),
            (
                "POST order",
                c.post(svc.http.url("/api/orders"))
                    .json(&order_body(&doc, justering_signers())),
            ),
            (
                "POST recall",
                c.post(svc.http.url(&format!("/api/orders/{order_id}/recall")))
                    .json(&json!({})),
            ),
        ];
        for (route, req) in reqs {
            let req = match auth {
                Some(a) => req.header("authorization", a),
                None => req,
            };
            let resp = req.send().await.unwrap_or_else(|e| {
                panic!("{route} with {what}: no HTTP answer (connection dropped?): {e:?}")
            });
            let status = resp.status();
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            // A signer's session is a login, but not as staff: 403 fits as well as 401.
            let allowed: &[u16] = if what.contains("session") {
                &[401, 403]
            } else {
                &[401]
            };
            assert_api_error(&format!("{route} with {what}"), status, &body, allowed);
        }
    }
    // Nothing happened: one order, still open, and no second document stored.
    let list = order_list(&svc.secretary).await;
    assert_eq!(ids(&list), vec![order_id.to_string()]);
    assert_eq!(list[0]["status"], "open");
    let docs = files_under(&svc.data().join("objects/tenants/demo/documents"));
    assert_eq!(
        docs.len(),
        1,
        "an unauthenticated upload stored something: {docs:?}"
    );
    svc.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_checked_expire_and_end_at_logout() {
    let svc = TestService::start().await;
    let c = &svc.http.client;
    let mut portal = svc.logged_in(ordforande()).await;
    let token = portal.session.clone().unwrap();

    // The session works as a bearer token and as the cookie.
    let (status, me) = portal_get(&portal, "/portal/me").await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["name"], ordforande().name());
    let resp = c
        .get(svc.http.url("/portal/me"))
        .header("cookie", format!("esign_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "the session cookie is accepted"
    );

    // Forged sessions.
    let forged = [
        "0".repeat(64),
        format!(
            "{}{}",
            &token[..63],
            if token.ends_with('0') { '1' } else { '0' }
        ),
        "abc".into(),
        svc.secretary.api_key.clone(),
    ];
    for f in &forged {
        for path in ["/portal/me", "/portal/orders"] {
            let resp = c
                .get(svc.http.url(path))
                .bearer_auth(f)
                .send()
                .await
                .unwrap();
            let status = resp.status();
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            assert_api_error(
                &format!("{path} with forged session {f:.10}…"),
                status,
                &body,
                &[401],
            );
        }
        let resp = c
            .get(svc.http.url("/portal/orders"))
            .header("cookie", format!("esign_session={f}"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            resp.status(),
            StatusCode::UNAUTHORIZED,
            "forged session cookie"
        );
    }
    let resp = c.get(svc.http.url("/portal/orders")).send().await.unwrap();
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    assert_api_error("/portal/orders without a session", status, &body, &[401]);

    // Expiry: the same service state behind a clock 31 minutes ahead (sessions last 30).
    let service = &svc.running().service;
    let app = &service.app;
    let session_minutes = app.settings().session_minutes;
    assert_eq!(session_minutes, 30, "the test assumes 30-minute sessions");
    let later = |minutes: i64| {
        let mut ports = service.ports.clone();
        ports.clock = Arc::new(ManualClock::new(
            chrono::Utc::now() + chrono::Duration::minutes(minutes),
        ));
        App::new(ports, app.settings().clone())
    };
    let soon = serve(later(session_minutes - 1)).await;
    let expired = serve(later(session_minutes + 1)).await;
    let resp = c
        .get(format!("{soon}/portal/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "the session is still valid before it expires"
    );
    for path in ["/portal/me", "/portal/orders"] {
        let resp = c
            .get(format!("{expired}{path}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        assert_api_error(
            &format!("{path} with an expired session"),
            status,
            &body,
            &[401],
        );
    }

    // Logout ends the session everywhere.
    let (status, body) = portal_post(&portal, "/portal/logout", json!({})).await;
    assert_eq!(status, StatusCode::OK, "logout: {body}");
    for path in ["/portal/me", "/portal/orders"] {
        let (status, body) = portal_get(&portal, path).await;
        assert_api_error(&format!("{path} after logout"), status, &body, &[401]);
    }
    let resp = c
        .get(svc.http.url("/portal/me"))
        .header("cookie", format!("esign_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::UNAUTHORIZED,
        "the cookie after logout"
    );
    let (status, body) = portal_post(&portal, "/portal/logout", json!({})).await;
    assert_api_error("logout twice", status, &body, &[401]);
    // Logging in again gives a new, working session.
    portal.login().await.unwrap();
    assert_ne!(
        portal.session.as_deref(),
        Some(token.as_str()),
        "a new token"
    );
    let (status, _) = portal_get(&portal, "/portal/me").await;
    assert_eq!(status, StatusCode::OK);
    svc.stop().await;
}

/// Serve `app`'s routes on a new port (for a clock other than the real one).
async fn serve(app: App) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = esign_shared::web::router(app);
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signer_acts_only_in_turn_and_only_once() {
    let svc = TestService::start().await;
    let t = svc.tenant();
    let doc = upload(&svc.secretary, "p.pdf", protocol_v1()).await;
    let mut body = order_body(
        &doc,
        vec![
            signer_json(&ordforande(), "ordforande"),
            signer_json(&justerare1(), "justerare"),
        ],
    );
    body["plan"] = json!("sequential");
    let order = create_order(&svc.secretary, &body).await;
    let id = order["id"].as_str().unwrap().to_string();
    let first = svc.logged_in(ordforande()).await;
    let second = svc.logged_in(justerare1()).await;

    let (status, mine) = portal_get(&second, &format!("/portal/orders/{t}/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        mine["may_sign_now"], false,
        "the second signer may not sign yet: {mine}"
    );
    let before = order_snapshot(&svc.secretary, &id).await;
    let (status, body) =
        portal_post(&second, &format!("/portal/orders/{t}/{id}/sign"), json!({})).await;
    assert_api_error("signing out of turn", status, &body, &[403, 409, 422]);
    assert_eq!(
        order_snapshot(&svc.secretary, &id).await["signers"],
        before["signers"]
    );

    let done = first.sign(t, &id).await.unwrap();
    assert_eq!(done["status"], "complete", "{done}");
    let (status, body) =
        portal_post(&first, &format!("/portal/orders/{t}/{id}/sign"), json!({})).await;
    assert_api_error("signing twice", status, &body, &[409, 422]);
    let (status, body) = portal_post(
        &first,
        &format!("/portal/orders/{t}/{id}/reject"),
        json!({"comment": "Ångrar mig"}),
    )
    .await;
    assert_api_error("rejecting after signing", status, &body, &[409, 422]);

    let done = second.sign(t, &id).await.unwrap();
    assert_eq!(done["status"], "complete", "{done}");
    let o = svc
        .secretary
        .wait_for_status(&id, "exported", std::time::Duration::from_secs(60))
        .await
        .unwrap();
    // A finished order cannot be recalled or resent.
    let (status, body) = svc
        .secretary
        .post(&format!("/api/orders/{id}/recall"), &json!({}))
        .await
        .unwrap();
    assert_api_error("recalling an exported order", status, &body, &[409, 422]);
    let (status, body) = svc
        .secretary
        .post(
            &format!("/api/orders/{id}/resend"),
            &json!({"document_id": doc}),
        )
        .await
        .unwrap();
    assert_api_error("resending an exported order", status, &body, &[409, 422]);
    let after = order_snapshot(&svc.secretary, &id).await;
    assert_eq!(after["status"], "exported");
    assert_eq!(
        after["history"], o["history"],
        "a refused request changed the history"
    );
    svc.stop().await;
}

/// After the deadline nobody signs: the same state behind a clock past the deadline refuses
/// signing, and housekeeping marks the order expired.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_signs_after_the_deadline() {
    let svc = TestService::start().await;
    let t = svc.tenant();
    let doc = upload(&svc.secretary, "p.pdf", protocol_v1()).await;
    let mut body = order_body(&doc, justering_signers());
    let deadline = chrono::Utc::now() + chrono::Duration::minutes(10);
    body["deadline"] = json!(deadline);
    let order = create_order(&svc.secretary, &body).await;
    let id = order["id"].as_str().unwrap().to_string();
    let ordf = svc.logged_in(ordforande()).await;
    let token = ordf.session.clone().unwrap();

    let service = &svc.running().service;
    let app = &service.app;
    let mut ports = service.ports.clone();
    ports.clock = Arc::new(ManualClock::new(deadline + chrono::Duration::minutes(1)));
    let late_app = App::new(ports, app.settings().clone());
    let late = serve(late_app.clone()).await;
    let c = &svc.http.client;
    let resp = c
        .post(format!("{late}/portal/orders/{t}/{id}/sign"))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let answer: Value = resp.json().await.unwrap_or(Value::Null);
    assert_api_error(
        "signing after the deadline",
        status,
        &answer,
        &[409, 410, 422],
    );

    let tenant = esign_shared::domain::TenantId::parse(t).unwrap();
    late_app
        .housekeeping
        .expire_overdue(&tenant)
        .await
        .unwrap_or_else(|e| panic!("expire_overdue: {e}"));
    let o = order_snapshot(&svc.secretary, &id).await;
    assert_eq!(
        o["status"], "expired",
        "the overdue order is not expired: {o}"
    );
    // And an expired order cannot be signed on the real clock either.
    let (status, body) =
        portal_post(&ordf, &format!("/portal/orders/{t}/{id}/sign"), json!({})).await;
    assert_api_error("signing an expired order", status, &body, &[409, 410, 422]);
    svc.stop().await;
}
