//! The BankID evidence verifier on signatures the simulator makes with user certificates from
//! the three bad chains of issue 9 (`crate::testkit::bad_chains`: a leaf used as the issuing
//! CA, an expired issuing CA, an issuing CA without keyCertSign), beside a good issuing CA made
//! the same way. Both halves of the evidence must refuse them: the signature's certificate
//! path, and the OCSP response, whose delegated responder the bad CA certified.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use chrono::Utc;
use serde_json::json;

use crate::bankid::sim_harness_tests::SimHarness;
use crate::bankid::simulator::{SimulatorCa, SimulatorConfig};
use crate::pki::CertificateAuthority;
use crate::testkit::{bad_chains, BadChain, BadChainKind};
use esign_shared::bankid::evidence::{
    verify_completion, verify_ocsp_response, verify_signature_xml, EvidenceError,
};
use esign_shared::bankid::evidence_file::verify_evidence_file;
use esign_shared::bankid::types::{CompletionData, Requirement, SignRequest};

const PNR: &str = "198001019876";

async fn signed_under(ca: SimulatorCa) -> CompletionData {
    let h = SimHarness::start_with_ca(SimulatorConfig::default(), None, Some(ca)).await;
    let started = h
        .client
        .sign(&SignRequest {
            end_user_ip: "192.0.2.10".into(),
            user_visible_data: BASE64.encode("Jag justerar protokollet."),
            requirement: Some(Requirement {
                personal_number: Some(PNR.into()),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .expect("sign");
    h.post_ok(
        "/phone/open",
        json!({"autoStartToken": started.auto_start_token}),
    )
    .await;
    h.post_ok(
        "/phone/identify",
        json!({"orderRef": started.order_ref, "personalNumber": PNR, "givenName": "Åsa", "surname": "Öberg"}),
    )
    .await;
    h.post_ok("/phone/confirm", json!({"orderRef": started.order_ref}))
        .await;
    h.client
        .collect(&started.order_ref)
        .await
        .expect("collect")
        .completion_data
        .expect("complete")
}

fn failed(err: EvidenceError) -> Vec<String> {
    match err {
        EvidenceError::ChecksFailed(report) => report
            .checks
            .iter()
            .filter(|(_, ok)| !ok)
            .map(|(name, _)| name.clone())
            .collect(),
        EvidenceError::OcspFailed(names) => names.split(", ").map(str::to_string).collect(),
        other => panic!("not a failed check: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evidence_under_a_bad_chain_is_refused() {
    let now = Utc::now();
    let root = CertificateAuthority::create_root(
        "Sim BankID Root CA v1 Test",
        "e-underskrift simulator",
        now,
    )
    .expect("root");
    let anchors = vec![root.cert_der.clone()];
    let good = root
        .issue_sub_ca(
            "Sim Bank CA v1 for BankID Test",
            "e-underskrift simulator",
            now,
        )
        .expect("good issuing CA");
    let mut issuers = vec![(None, good)];
    issuers.extend(
        bad_chains(&root, now)
            .into_iter()
            .map(|BadChain { kind, issuer }| (Some(kind), issuer)),
    );
    for (kind, issuer) in issuers {
        let data = signed_under(SimulatorCa {
            chain_der: vec![issuer.cert_der.clone(), root.cert_der.clone()],
            issuing_key_pkcs8_der: issuer.key_pkcs8_der(),
        })
        .await;
        let xml = verify_signature_xml(&data.signature, &anchors, None, Utc::now());
        let ocsp = verify_ocsp_response(&data.ocsp_response, &data.signature);
        let full = verify_completion(&data.signature, &data.ocsp_response, &anchors, None);
        let evidence = serde_json::to_vec(&json!({ "completion_data": data })).expect("json");
        let (report, file_valid) = verify_evidence_file(&evidence, None, &anchors);
        let Some(kind) = kind else {
            xml.expect("good chain: signature");
            ocsp.expect("good chain: OCSP");
            full.expect("good chain: completion");
            assert!(file_valid, "{report:#}");
            continue;
        };
        let xml_failed = failed(xml.expect_err("a bad chain is not trusted"));
        assert!(
            xml_failed.contains(&"chain_to_trust_anchor".to_string()),
            "{kind:?}: {xml_failed:?}"
        );
        if kind == BadChainKind::ExpiredIntermediate {
            assert!(xml_failed.contains(&"certificates_valid_at_time".to_string()));
        }
        // The responder the bad CA certified is no authorised responder.
        let ocsp_failed = failed(ocsp.expect_err("OCSP from a bad CA's responder"));
        assert_eq!(ocsp_failed, ["ocsp_responder_authorised"], "{kind:?}");
        let all_failed = failed(full.expect_err("completion under a bad chain"));
        for check in ["chain_to_trust_anchor", "ocsp_responder_authorised"] {
            assert!(
                all_failed.contains(&check.to_string()),
                "{kind:?}: {all_failed:?}"
            );
        }
        // `esign bankid-evidence verify` says the same.
        assert!(!file_valid, "{kind:?}: {report:#}");
        assert!(
            report["failed_checks"]
                .as_array()
                .is_some_and(|f| f.contains(&json!("chain_to_trust_anchor"))),
            "{kind:?}: {report:#}"
        );
    }
}
