//! The justering flow on the AWS adapters, against moto server, through the Lambda handlers
//! fed the shapes in `events/`: a presigned PUT to the uploads bucket, the S3 notification
//! moto sends to the upload queue, the order, a signature with the BankID simulator (its
//! settings read from a Secrets Manager secret), the seal with a KMS key (B-LTA: the local
//! PKI's timestamp authority and OCSP responder over HTTP), publish, export to S3. Every queue
//! message and S3 event is delivered twice; the second delivery changes nothing.
//!
//! The app is built by `config::ports_from_env` from the environment the SAM template sets, as
//! the function binaries build it. This file is its own test binary, so the environment it
//! sets is its own. Needs moto (`ESIGN_TEST_AWS_ENDPOINT`; `./scripts/test` starts it).

use std::collections::BTreeSet;
use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use esign_shared::app::TenantSetup;
use esign_shared::domain::TenantId;
use esign_shared::lambda::{handle_s3_batch, handle_schedule, handle_sqs_batch};
use esign_shared::lambda_harness::{
    event, failed, invoke, moto_data_dump, phone_approves, set_body, set_meeting_date, set_path,
    set_session, snapshot, stockholm_today,
};
use esign_shared::ports::ManualClock;
use esign_shared::web::Function;
use esign_tests::aws_stack::Stack;
use esign_tests::{pdfsig, pyhanko_adesverify, pyhanko_validate, qpdf_check, repo_root};
use serde_json::{json, Value};

const TENANT: &str = "demo";
const SIGNER_PNR: &str = "191212121212";

/// The Lambda event for an SQS message: the shape of `events/<sample>`, this message's id,
/// body and queue.
fn lambda_sqs_event(sample: &str, m: &aws_sdk_sqs::types::Message) -> SqsEvent {
    let mut ev = event(sample);
    let record = &mut ev["Records"][0];
    record["messageId"] = m.message_id().unwrap().into();
    record["receiptHandle"] = m.receipt_handle().unwrap().into();
    record["body"] = m.body().unwrap().into();
    serde_json::from_value(ev).expect("an SQS event")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_justering_flow_on_the_aws_adapters() {
    justering_flow_on_aws(chrono::Utc::now()).await;
}

/// The same with the functions' clock two years ahead: no test depends on the day it runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_justering_flow_on_the_aws_adapters_two_years_ahead() {
    justering_flow_on_aws(chrono::Utc::now() + chrono::Duration::days(2 * 365)).await;
}

/// One flow at a time: each sets the process environment its functions read.
static ONE_STACK_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn justering_flow_on_aws(now: chrono::DateTime<chrono::Utc>) {
    let _only_flow = ONE_STACK_AT_A_TIME.lock().await;
    let work = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(now));

    // The BankID simulator, on the test's clock.
    let (sim_base, bankid_root) = esign_tests::aws_stack::start_simulator(clock.clone()).await;

    // The local PKI as the outside world the seal function reaches over HTTP: a timestamp
    // authority, and the OCSP responder and CRLs its certificates name.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let pki_base = format!("http://{}", listener.local_addr().unwrap());
    let pki = esign_tests::esign_local::pki::LocalPki::open_or_create_at(
        &work.path().join("pki"),
        Some(&format!("{pki_base}/pki")),
    )
    .unwrap();
    // The authority after it rotated (for the renewal years later), under `/renewed`.
    let renewed_tsa = esign_world::tsa::LocalTsa::generate_for_years(
        &pki.root,
        std::slice::from_ref(&pki.root.cert_der),
        &esign_world::pki::SubjectName {
            common_name: "Tidsstämpeltjänst (förnyad)".into(),
            organization: "Lokal PKI".into(),
            organization_identifier: None,
            country: "SE".into(),
        },
        chrono::Utc::now(),
        10,
    )
    .unwrap();
    let pki_routes = esign_world::tsa::router(pki.tsa.clone())
        .nest(
            "/pki",
            esign_world::revocation::router(pki.revocation.clone()),
        )
        .nest("/renewed", esign_world::tsa::router(Arc::new(renewed_tsa)));
    tokio::spawn(async move { axum::serve(listener, pki_routes).await.unwrap() });

    let stack = Stack::create(
        &format!("{sim_base}/rp/v6.0/"),
        &bankid_root,
        &format!("{pki_base}/tsa"),
    )
    .await;

    // Each function builds its app from the environment; the test moves the clock instead of
    // sleeping between BankID polls.
    let mut built = esign_shared::config::ports_from_env()
        .await
        .expect("the app from the template's environment");
    built.ports.clock = clock.clone();
    let ports = built.ports.clone();
    let app = built.into_app();
    assert!(ports.uploads.is_some(), "ESIGN_UPLOADS_BUCKET was read");

    // --- the tenant: a seal key made in KMS, its certificate from the PKI.
    let tenant = TenantId::parse(TENANT).unwrap();
    app.tenants
        .create_tenant(TenantSetup {
            id: tenant.clone(),
            name: "Demo kommun".into(),
            organization_number: Some("212000-0000".into()),
            storage_place: "Kommunkansliet".into(),
        })
        .await
        .unwrap();
    let spki = app.tenants.seal_public_key(&tenant).await.unwrap();
    let chain = pki
        .seal_chain_pem("Demo kommun", Some("212000-0000"), &spki)
        .unwrap();
    app.tenants
        .install_seal_chain(&tenant, &chain)
        .await
        .unwrap();
    let api_key = app.tenants.issue_api_key(&tenant).await.unwrap();
    let staff_event = |name: &str| {
        let mut v = event(name);
        v["headers"]["authorization"] = format!("Bearer {api_key}").into();
        v
    };

    // --- upload: a presigned PUT, straight to the uploads bucket.
    let pdf =
        std::fs::read(repo_root().join("shared/testdata/protocols/e-namnd-2020-03-11.pdfa2b.pdf"))
            .unwrap();
    let doc_id = esign_shared::domain::DocumentId::of_bytes(&pdf).to_string();
    let r = invoke(
        &app,
        Function::Upload,
        &staff_event("furl-presign-upload.json"),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.json());
    let ticket = r.json()["upload"].clone();
    assert_eq!(ticket["file_name"], "Protokoll E-nämnden 2026-11-20 å.pdf");
    let request = &ticket["request"];
    assert_eq!(request["method"], "PUT");
    let mut put = reqwest::Client::new()
        .put(request["url"].as_str().unwrap())
        .body(pdf.clone());
    for (k, v) in request["headers"].as_object().unwrap() {
        put = put.header(k, v.as_str().unwrap());
    }
    let answer = put.send().await.unwrap();
    assert!(
        answer.status().is_success(),
        "{}",
        answer.text().await.unwrap()
    );

    // moto's S3 notification, through the upload queue, into the upload function: twice.
    // S3 also sends an s3:TestEvent when the notification is configured, as AWS does.
    let arrived = stack.receive(&stack.upload_queue).await;
    let created: Vec<_> = arrived
        .iter()
        .filter(|m| m.body().unwrap().contains("ObjectCreated"))
        .collect();
    assert_eq!(created.len(), 1, "one notification for one PUT");
    let notification: Value = serde_json::from_str(created[0].body().unwrap()).unwrap();
    let raw_key = notification["Records"][0]["s3"]["object"]["key"]
        .as_str()
        .unwrap();
    assert!(
        raw_key.contains(ticket["upload_id"].as_str().unwrap()),
        "{raw_key}"
    );
    let intake = app.documents.as_ref();
    for message in &arrived {
        let s3_event = lambda_sqs_event("sqs-s3-upload.json", message);
        assert!(failed(&handle_s3_batch(intake, s3_event.clone()).await).is_empty());
        let before = snapshot(&ports, TENANT).await;
        assert!(failed(&handle_s3_batch(intake, s3_event).await).is_empty());
        assert_eq!(
            snapshot(&ports, TENANT).await,
            before,
            "a duplicate S3 event changes nothing"
        );
    }
    let mut get_doc = staff_event("furl-get-document.json");
    set_path(&mut get_doc, &format!("/api/documents/{doc_id}"));
    let r = invoke(&app, Function::Upload, &get_doc).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(
        r.json()["document"]["file_name"],
        "Protokoll E-nämnden 2026-11-20 å.pdf"
    );

    // --- create-signing-order
    let mut create = staff_event("furl-create-order.json");
    let mut body: Value = serde_json::from_str(create["body"].as_str().unwrap()).unwrap();
    body["document_id"] = doc_id.clone().into();
    set_body(&mut create, body);
    // The sample's meeting date is fixed; the flow's is today by its clock.
    set_meeting_date(&mut create, stockholm_today(&*clock));
    // Sent twice under one Idempotency-Key (the first answer lost on the way, say): one order.
    create["headers"]["idempotency-key"] = "ks-2026-11-20".into();
    let r = invoke(&app, Function::CreateSigningOrder, &create).await;
    assert_eq!(r.status, 201, "{:?}", r.json());
    let order_id = r.json()["order"]["id"].as_str().unwrap().to_string();
    let again = invoke(&app, Function::CreateSigningOrder, &create).await;
    assert_eq!(again.status, 201, "{:?}", again.json());
    assert_eq!(
        again.json()["order"]["id"],
        order_id.as_str(),
        "the first answer"
    );
    let r = invoke(
        &app,
        Function::CreateSigningOrder,
        &staff_event("furl-list-orders.json"),
    )
    .await;
    assert_eq!(r.json()["orders"].as_array().unwrap().len(), 1);

    // A key made for an e-service (orders:write, orders:read) on DynamoDB: it reads the order,
    // adds no staff, and once revoked lets nobody in.
    let r = invoke(
        &app,
        Function::CreateSigningOrder,
        &staff_event("furl-create-api-key.json"),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.json());
    let (service_id, service_secret) = (
        r.json()["api_key"]["id"].as_str().unwrap().to_string(),
        r.json()["secret"].as_str().unwrap().to_string(),
    );
    let with_service_key = |name: &str, path: Option<String>| {
        let mut v = event(name);
        v["headers"]["authorization"] = format!("Bearer {service_secret}").into();
        if let Some(p) = path {
            set_path(&mut v, &p);
        }
        v
    };
    let order_path = format!("/api/orders/{order_id}");
    let r = invoke(
        &app,
        Function::CreateSigningOrder,
        &with_service_key("furl-get-order.json", Some(order_path.clone())),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let r = invoke(
        &app,
        Function::CreateSigningOrder,
        &with_service_key("furl-add-staff.json", None),
    )
    .await;
    assert_eq!(r.status, 403, "{:?}", r.json());
    let mut revoke = staff_event("furl-revoke-api-key.json");
    set_path(&mut revoke, &format!("/api/api-keys/{service_id}/revoke"));
    let r = invoke(&app, Function::CreateSigningOrder, &revoke).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let r = invoke(
        &app,
        Function::CreateSigningOrder,
        &with_service_key("furl-get-order.json", Some(order_path)),
    )
    .await;
    assert_eq!(
        (r.status, &r.json()["error"]["code"]),
        (401, &json!("auth.key_revoked"))
    );

    // --- bankid-collect: login and signing on the simulator.
    let r = invoke(
        &app,
        Function::BankidCollect,
        &event("furl-portal-login.json"),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let login = r.json();
    phone_approves(
        &sim_base,
        login["auto_start_token"].as_str().unwrap(),
        SIGNER_PNR,
    )
    .await;
    let mut collect = event("furl-portal-login-collect.json");
    set_body(&mut collect, json!({ "login_ref": login["login_ref"] }));
    let r = invoke(&app, Function::BankidCollect, &collect).await;
    assert_eq!(r.json()["status"], "complete", "{:?}", r.json());
    let session = r.json()["session_token"].as_str().unwrap().to_string();
    let portal_event = |name: &str, path: Option<String>| {
        let mut v = event(name);
        set_session(&mut v, &session);
        if let Some(p) = path {
            set_path(&mut v, &p);
        }
        v
    };
    clock.advance(chrono::Duration::seconds(3));
    let r = invoke(
        &app,
        Function::BankidCollect,
        &portal_event(
            "furl-portal-sign.json",
            Some(format!("/portal/orders/{TENANT}/{order_id}/sign")),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let sign = r.json();
    phone_approves(
        &sim_base,
        sign["auto_start_token"].as_str().unwrap(),
        SIGNER_PNR,
    )
    .await;
    let mut collect = portal_event("furl-portal-sign-collect.json", None);
    set_body(&mut collect, json!({ "sign_ref": sign["sign_ref"] }));
    let r = invoke(&app, Function::BankidCollect, &collect).await;
    assert_eq!(r.json()["order_status"], "completed", "{:?}", r.json());

    // --- seal → publish → archive-export, each job taken from its real queue and delivered
    // twice. A duplicate may queue the next step again (harmless: that job is idempotent too),
    // so a queue holds one or two copies of the same job.
    for (queue_url, sample, name, job_type) in [
        (&stack.seal_queue, "sqs-seal.json", "seal", "seal"),
        (
            &stack.publish_queue,
            "sqs-publish.json",
            "publish",
            "publish",
        ),
        (
            &stack.export_queue,
            "sqs-archive-export.json",
            "archive-export",
            "archive_export",
        ),
    ] {
        let messages = stack.receive(queue_url).await;
        let bodies: BTreeSet<_> = messages.iter().filter_map(|m| m.body()).collect();
        assert!(
            (1..=2).contains(&messages.len()) && bodies.len() == 1,
            "{name}: {bodies:?}"
        );
        let job: Value = serde_json::from_str(messages[0].body().unwrap()).unwrap();
        assert_eq!(
            (job["type"].as_str(), job["order_id"].as_str()),
            (Some(job_type), Some(order_id.as_str())),
            "{job}"
        );
        let ev = lambda_sqs_event(sample, &messages[0]);
        let resp = handle_sqs_batch(app.pipeline.as_ref(), name, ev.clone()).await;
        assert!(failed(&resp).is_empty(), "{name}");
        let after_first = snapshot(&ports, TENANT).await;
        let resp = handle_sqs_batch(app.pipeline.as_ref(), name, ev).await;
        assert!(failed(&resp).is_empty(), "{name} again");
        assert_eq!(
            snapshot(&ports, TENANT).await,
            after_first,
            "{name}: a duplicate changes nothing"
        );
    }
    for q in [&stack.seal_queue, &stack.publish_queue, &stack.export_queue] {
        let left = aws_sdk_sqs::Client::new(&stack.sdk)
            .receive_message()
            .queue_url(q)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        assert!(
            left.messages().is_empty(),
            "nothing more to do after export"
        );
    }

    // --- what the e-service, the archive and the public see.
    let mut get_order = staff_event("furl-get-order.json");
    set_path(&mut get_order, &format!("/api/orders/{order_id}"));
    let r = invoke(&app, Function::CreateSigningOrder, &get_order).await;
    assert_eq!(r.json()["order"]["status"], "exported", "{:?}", r.json());
    let mut file = staff_event("furl-order-file.json");
    set_path(&mut file, &format!("/api/orders/{order_id}/archive.pdf"));
    let r = invoke(&app, Function::CreateSigningOrder, &file).await;
    assert_eq!(r.status, 200);
    assert!(
        r.bytes.starts_with(&pdf),
        "the original is a byte-exact prefix"
    );
    let archive = work.path().join("archive.pdf");
    std::fs::write(&archive, &r.bytes).unwrap();
    let root_pem = pki.root_pem_path();
    let validated = pyhanko_validate(&archive, &root_pem);
    assert!(
        validated.contains("EXTENDED_WITH_LTA_UPDATES"),
        "{validated}"
    );
    let (ok, ades) = pyhanko_adesverify(&archive, &root_pem);
    assert!(ok && ades.contains("INTACT:TRUSTED"), "{ades}");
    assert!(pdfsig(&archive).contains("Signature is Valid."));
    qpdf_check(&archive);

    // In S3: the archive version and the package encrypted with the storage key; the
    // anslagstavla in the public bucket.
    let s3 = stack.s3();
    let objects = s3
        .list_objects_v2()
        .bucket(&stack.archive)
        .prefix(format!("tenants/{TENANT}/orders/{order_id}/"))
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = objects.contents().iter().filter_map(|o| o.key()).collect();
    for name in ["archive.pdf", "sip.zip"] {
        let key = keys
            .iter()
            .find(|k| k.ends_with(name))
            .unwrap_or_else(|| panic!("{name} in the archive bucket: {keys:?}"));
        let head = s3
            .head_object()
            .bucket(&stack.archive)
            .key(*key)
            .send()
            .await
            .unwrap();
        assert_eq!(
            head.server_side_encryption(),
            Some(&aws_sdk_s3::types::ServerSideEncryption::AwsKms),
            "{key}"
        );
    }
    let index = s3
        .get_object()
        .bucket(&stack.public)
        .key(format!("public/{TENANT}/anslag/index.html"))
        .send()
        .await
        .expect("the anslagstavla in the public bucket")
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    assert!(String::from_utf8_lossy(&index).contains("E-nämnden"));

    // Personnummer: encrypted in the table, never in a mail.
    let scan = aws_sdk_dynamodb::Client::new(&stack.sdk)
        .scan()
        .table_name(&stack.table)
        .send()
        .await
        .unwrap();
    let table_text = format!("{:?}", scan.items());
    assert!(!scan.items().is_empty());
    for form in [SIGNER_PNR, "19121212-1212", "121212-1212", "1212121212"] {
        assert!(!table_text.contains(form), "{form} in the table");
    }
    let mails: Vec<_> = moto_data_dump().await["ses"]["Message"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|m| {
            m["destinations"]["ToAddresses"]
                .to_string()
                .contains("tolvan@example.se")
        })
        .collect();
    assert!(!mails.is_empty(), "the signer was mailed through SES");
    for m in &mails {
        for form in [SIGNER_PNR, "19121212-1212", "121212-1212"] {
            assert!(!m.to_string().contains(form), "{form} in a mail: {m}");
        }
    }

    // --- the schedule, twice: nothing waits, nothing changes (a renewal round runs once a
    // day: on the clock two years ahead, the archive version is due at once).
    let tick = event("schedule-housekeeping.json");
    let first = handle_schedule(&app.housekeeping, &tick).await.unwrap();
    let after_first = snapshot(&ports, TENANT).await;
    let second = handle_schedule(&app.housekeeping, &tick).await.unwrap();
    assert_eq!(
        snapshot(&ports, TENANT).await,
        after_first,
        "a second tick changes nothing"
    );
    assert_eq!((first.tenants, first.failures, first.requeued), (1, 0, 0));
    assert_eq!(
        esign_shared::app::HousekeepingReport {
            renewals: 0,
            ..first
        },
        second
    );

    renewal_on_aws(
        &stack,
        &clock,
        &pki_base,
        &order_id,
        &pdf,
        &root_pem,
        work.path(),
    )
    .await;
}

/// Years later: the archive version's proof (the local authority's certificate, 3 years) is
/// within the two-year window. The authority has rotated; the first configured authority is
/// down, so the fallback gives the timestamp. The schedule queues the renewal on the real seal
/// queue, the seal function renews, the export function delivers the package again; every
/// message twice. S3 keeps the sealed file as the earlier version.
async fn renewal_on_aws(
    stack: &Stack,
    clock: &ManualClock,
    pki_base: &str,
    order_id: &str,
    original: &[u8],
    root_pem: &std::path::Path,
    work: &std::path::Path,
) {
    clock.advance(chrono::Duration::days(400));
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}/tsa", dead.local_addr().unwrap());
    drop(dead);
    std::env::set_var("ESIGN_TSA_URL", dead_url);
    std::env::set_var("ESIGN_TSA_FALLBACK_URL", format!("{pki_base}/renewed/tsa"));
    let mut built = esign_shared::config::ports_from_env().await.unwrap();
    std::env::remove_var("ESIGN_TSA_FALLBACK_URL");
    built.ports.clock = Arc::new(ManualClock::new(esign_shared::ports::Clock::now(clock)));
    let ports = built.ports.clone();
    let app = built.into_app();

    let tick = event("schedule-housekeeping.json");
    let report = handle_schedule(&app.housekeeping, &tick).await.unwrap();
    assert_eq!(report.renewals, 1, "{report:?}");
    let jobs = stack.receive(&stack.seal_queue).await;
    assert!(!jobs.is_empty());
    for m in &jobs {
        let job: Value = serde_json::from_str(m.body().unwrap()).unwrap();
        assert_eq!(
            (job["type"].as_str(), job["order_id"].as_str()),
            (Some("renew"), Some(order_id))
        );
        let ev = lambda_sqs_event("sqs-renew.json", m);
        assert!(
            failed(&handle_sqs_batch(app.pipeline.as_ref(), "seal", ev.clone()).await).is_empty()
        );
        let after_first = snapshot(&ports, TENANT).await;
        assert!(failed(&handle_sqs_batch(app.pipeline.as_ref(), "seal", ev).await).is_empty());
        assert_eq!(
            snapshot(&ports, TENANT).await,
            after_first,
            "a duplicate renewal changes nothing"
        );
    }
    let exports = stack.receive(&stack.export_queue).await;
    assert!(!exports.is_empty(), "the package is due again");
    for m in &exports {
        let ev = lambda_sqs_event("sqs-archive-export.json", m);
        let resp = handle_sqs_batch(app.pipeline.as_ref(), "archive-export", ev.clone()).await;
        assert!(failed(&resp).is_empty());
        let after_first = snapshot(&ports, TENANT).await;
        assert!(
            failed(&handle_sqs_batch(app.pipeline.as_ref(), "archive-export", ev).await).is_empty()
        );
        assert_eq!(snapshot(&ports, TENANT).await, after_first);
    }

    // S3: two versions of archive.pdf, the sealed one kept; the renewed one holds.
    let s3 = stack.s3();
    let key = format!("tenants/{TENANT}/orders/{order_id}/archive.pdf");
    let versions = s3
        .list_object_versions()
        .bucket(&stack.archive)
        .prefix(&key)
        .send()
        .await
        .unwrap();
    let ids: Vec<&str> = versions
        .versions()
        .iter()
        .filter_map(|v| v.version_id())
        .collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    let body = |version: Option<&str>| {
        let (s3, key) = (s3.clone(), key.clone());
        let version = version.map(str::to_string);
        let bucket = stack.archive.clone();
        async move {
            s3.get_object()
                .bucket(bucket)
                .key(key)
                .set_version_id(version)
                .send()
                .await
                .unwrap()
                .body
                .collect()
                .await
                .unwrap()
                .into_bytes()
        }
    };
    let current = body(None).await;
    let earlier = versions
        .versions()
        .iter()
        .find(|v| v.is_latest() != Some(true))
        .and_then(|v| v.version_id())
        .unwrap();
    let sealed = body(Some(earlier)).await;
    assert!(sealed.starts_with(original) && current.starts_with(&sealed));
    let renewed = work.join("renewed.pdf");
    std::fs::write(&renewed, &current).unwrap();
    let proof = esign_shared::pdf::sign::extend::current_proof(&renewed).unwrap();
    assert_eq!(proof.document_timestamps, 2, "renewed exactly once");
    let validated = pyhanko_validate(&renewed, root_pem);
    assert!(
        validated.contains("EXTENDED_WITH_LTA_UPDATES"),
        "{validated}"
    );
    let (ok, ades) = pyhanko_adesverify(&renewed, root_pem);
    assert!(ok && ades.contains("INTACT:TRUSTED"), "{ades}");
    qpdf_check(&renewed);

    // The e-archive's delivery: the first package and the one replacing it.
    let manifests: Vec<Value> = {
        let listed = s3
            .list_objects_v2()
            .bucket(&stack.archive)
            .prefix(format!("exports/{TENANT}/"))
            .send()
            .await
            .unwrap();
        let mut out = Vec::new();
        for k in listed
            .contents()
            .iter()
            .filter_map(|o| o.key())
            .filter(|k| k.ends_with(".json"))
        {
            let bytes = s3
                .get_object()
                .bucket(&stack.archive)
                .key(k)
                .send()
                .await
                .unwrap();
            out.push(
                serde_json::from_slice(&bytes.body.collect().await.unwrap().into_bytes()).unwrap(),
            );
        }
        out
    };
    assert_eq!(manifests.len(), 2, "{manifests:?}");
    assert!(manifests
        .iter()
        .any(|m| m["renewals"] == 1 && m["replaces"] == format!("uuid-{order_id}").as_str()));
}
