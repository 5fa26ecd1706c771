//! The eID provider's contract (BankID's RP API v6; the local world's simulator in tests).
//! Run in `esign-world`'s `port_suites::eid`, against the simulator over plain HTTP and over
//! mutual TLS.

use base64::{engine::general_purpose::STANDARD as B64, Engine};

use crate::ports::{EidCollect, EidError, EidProvider, EidSignText, EidStarted, EndUser};

/// The signer in the suites, and another person.
const SIGNER: &str = "191212121212";
const SOMEONE_ELSE: &str = "198112189876";

fn end_user() -> EndUser {
    EndUser {
        ip: "192.0.2.10".into(),
        user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) port suite".into()),
        referring_domain: Some("esign.kommun.se".into()),
    }
}

fn sign_text(visible: &str, non_visible: &str) -> EidSignText {
    EidSignText {
        user_visible_data_b64: B64.encode(visible),
        user_non_visible_data_b64: B64.encode(non_visible),
    }
}

/// Collects until the order is no longer pending (a few seconds at most).
async fn collect_until_done(p: &dyn EidProvider, order_ref: &str) -> EidCollect {
    for _ in 0..50 {
        match p.collect(order_ref).await.unwrap() {
            EidCollect::Pending { .. } => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await
            }
            done => return done,
        }
    }
    panic!("order {order_ref} still pending");
}

fn assert_started(s: &EidStarted) {
    for (name, value) in [
        ("order_ref", &s.order_ref),
        ("auto_start_token", &s.auto_start_token),
        ("qr_start_token", &s.qr_start_token),
        ("qr_start_secret", &s.qr_start_secret),
    ] {
        assert!(!value.is_empty(), "{name} is empty: {s:?}");
    }
}

/// The eID provider's contract. `approve(auto_start_token, personal_number)` plays the
/// signer: it opens the order on a phone holding that person's eID and approves it.
///
/// - an unknown order reference is refused (collect and cancel);
/// - a login is pending until the signer approves, then complete with their identity, and
///   its evidence verifies for them as a login, not for another person;
/// - a signature completes with evidence that verifies for that person and that text
///   (visible and hidden), and not for another text, another person, or as a login;
/// - a cancelled order is over: collecting it answers failed, or refuses it as gone.
pub async fn eid_provider_suite<F, Fut>(p: &dyn EidProvider, mut approve: F)
where
    F: FnMut(String, String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let unknown = "6f9619ff-8b86-4d11-b42d-00c04fc964ff";
    assert!(
        matches!(p.collect(unknown).await, Err(EidError::Refused { .. })),
        "collect of an unknown order"
    );
    assert!(
        matches!(p.cancel(unknown).await, Err(EidError::Refused { .. })),
        "cancel of an unknown order"
    );

    // Login.
    let login = p.start_auth(&end_user()).await.unwrap();
    assert_started(&login);
    assert!(
        matches!(
            p.collect(&login.order_ref).await.unwrap(),
            EidCollect::Pending { .. }
        ),
        "complete before anyone approved"
    );
    approve(login.auto_start_token.clone(), SIGNER.into()).await;
    let EidCollect::Complete {
        identity,
        completion_data: login_evidence,
    } = collect_until_done(p, &login.order_ref).await
    else {
        panic!("the approved login did not complete");
    };
    assert_eq!(identity.personal_number, SIGNER);
    assert!(!identity.name.is_empty() && !identity.given_name.is_empty());
    p.verify_evidence(&login_evidence, SIGNER, None)
        .expect("the login's evidence verifies");
    assert!(matches!(
        p.verify_evidence(&login_evidence, SOMEONE_ELSE, None),
        Err(EidError::EvidenceRejected(_))
    ));

    // Signature.
    let text = sign_text(
        "Jag justerar protokollet från **Kultur- och fritidsnämnden** 2026-11-23, §§ 12–14.",
        "sha256:6a1f0c0e2f3d4b5a69788796a5b4c3d2e1f00112233445566778899aabbccdd",
    );
    let sign = p.start_sign(&end_user(), SIGNER, &text).await.unwrap();
    assert_started(&sign);
    assert_ne!(sign.order_ref, login.order_ref);
    approve(sign.auto_start_token.clone(), SIGNER.into()).await;
    let EidCollect::Complete {
        identity,
        completion_data: evidence,
    } = collect_until_done(p, &sign.order_ref).await
    else {
        panic!("the approved signature did not complete");
    };
    assert_eq!(identity.personal_number, SIGNER);
    p.verify_evidence(&evidence, SIGNER, Some(&text))
        .expect("the signature's evidence verifies");
    let other_visible = sign_text(
        "Jag justerar protokollet från **Kommunstyrelsen** 2026-11-23, §§ 12–14.",
        "sha256:6a1f0c0e2f3d4b5a69788796a5b4c3d2e1f00112233445566778899aabbccdd",
    );
    let other_hidden = sign_text(
        "Jag justerar protokollet från **Kultur- och fritidsnämnden** 2026-11-23, §§ 12–14.",
        "sha256:0000000000000000000000000000000000000000000000000000000000000000",
    );
    for (why, personal_number, text) in [
        ("another visible text", SIGNER, Some(&other_visible)),
        ("another hidden text", SIGNER, Some(&other_hidden)),
        ("another person", SOMEONE_ELSE, Some(&text)),
        ("as a login", SIGNER, None),
    ] {
        assert!(
            matches!(
                p.verify_evidence(&evidence, personal_number, text),
                Err(EidError::EvidenceRejected(_))
            ),
            "the signature's evidence verifies for {why}"
        );
    }
    assert!(
        matches!(
            p.verify_evidence(&login_evidence, SIGNER, Some(&text)),
            Err(EidError::EvidenceRejected(_))
        ),
        "a login's evidence verifies as a signature"
    );

    // Cancelled: over, whatever the signer does after.
    let cancelled = p
        .start_sign(&end_user(), SOMEONE_ELSE, &text)
        .await
        .unwrap();
    p.cancel(&cancelled.order_ref).await.unwrap();
    match p.collect(&cancelled.order_ref).await {
        Ok(EidCollect::Failed { .. }) | Err(EidError::Refused { .. }) => {}
        other => panic!("a cancelled order answered {other:?}"),
    }
}

/// The contract of a provider that is not configured (every function but bankid-collect):
/// every call is refused, and no evidence counts.
pub async fn unconfigured_eid_suite(p: &dyn EidProvider) {
    let text = sign_text("Jag justerar protokollet.", "x");
    assert!(matches!(
        p.start_auth(&end_user()).await,
        Err(EidError::Refused { .. })
    ));
    assert!(matches!(
        p.start_sign(&end_user(), SIGNER, &text).await,
        Err(EidError::Refused { .. })
    ));
    assert!(matches!(
        p.collect("6f9619ff-8b86-4d11-b42d-00c04fc964ff").await,
        Err(EidError::Refused { .. })
    ));
    assert!(matches!(
        p.cancel("6f9619ff-8b86-4d11-b42d-00c04fc964ff").await,
        Err(EidError::Refused { .. })
    ));
    let evidence = serde_json::json!({"signature": "PD94", "ocspResponse": "MII="});
    for text in [None, Some(&text)] {
        assert!(matches!(
            p.verify_evidence(&evidence, SIGNER, text),
            Err(EidError::EvidenceRejected(_))
        ));
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn bankid_not_configured_refuses_every_call() {
        super::unconfigured_eid_suite(&crate::bankid::provider::BankIdNotConfigured).await;
    }
}
