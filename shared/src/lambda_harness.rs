//! Driving the functions as Lambda does, for tests: the sample events in `events/`, a
//! function-URL event through its function's routes (parsed as `lambda_http` parses it),
//! everything a delivery could change (to show a duplicate changes nothing), and the signer's
//! phone on the BankID simulator. The event tests here and `tests/aws_flow.rs` share it.

use std::path::PathBuf;

use aws_lambda_events::event::sqs::SqsBatchResponse;
use bytes::Bytes;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::app::{App, Ports};
use crate::ports::Item;
use crate::web::{function_router, Function};

pub fn events_dir() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../events")
}

/// `events/<name>`, parsed.
pub fn event(name: &str) -> Value {
    let text = std::fs::read_to_string(events_dir().join(name))
        .unwrap_or_else(|e| panic!("events/{name}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("events/{name}: {e}"))
}

pub fn set_path(ev: &mut Value, path: &str) {
    ev["rawPath"] = path.into();
    ev["requestContext"]["http"]["path"] = path.into();
}

pub fn set_body(ev: &mut Value, body: Value) {
    ev["body"] = body.to_string().into();
    ev["isBase64Encoded"] = false.into();
}

/// The meeting of a create-order event held on `day`. The sample events keep fixed dates; a
/// test derives its dates from its clock (`stockholm_today`), so it passes on any day it runs.
pub fn set_meeting_date(ev: &mut Value, day: chrono::NaiveDate) {
    let mut body: Value =
        serde_json::from_str(ev["body"].as_str().expect("a JSON body")).expect("a JSON body");
    body["meeting_date"] = day.to_string().into();
    set_body(ev, body);
}

/// Today in Sweden by `clock`: the day a meeting held "today" has in the signing order.
pub fn stockholm_today(clock: &dyn crate::ports::Clock) -> chrono::NaiveDate {
    clock
        .now()
        .with_timezone(&chrono_tz::Europe::Stockholm)
        .date_naive()
}

pub fn set_session(ev: &mut Value, token: &str) {
    ev["cookies"] = json!([format!("esign_session={token}")]);
}

/// A function's answer to a function-URL event.
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub bytes: Bytes,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or_default()
    }

    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

/// A function-URL event through `function`'s routes.
pub async fn invoke(app: &App, function: Function, ev: &Value) -> Reply {
    let req = lambda_http::request::from_str(&ev.to_string()).expect("a function-URL event");
    let resp = function_router(app.clone(), function)
        .oneshot(req)
        .await
        .expect("the router answers");
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let bytes = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .expect("the body")
        .to_bytes();
    Reply {
        status,
        content_type,
        bytes,
    }
}

/// The ids of the messages a batch handler gave back to the queue.
pub fn failed(resp: &SqsBatchResponse) -> Vec<String> {
    resp.batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect()
}

/// Everything a delivery could change for `tenant`: its items, its files, its public files.
pub async fn snapshot(ports: &Ports, tenant: &str) -> (Vec<Item>, Vec<(String, Bytes)>) {
    let t = crate::domain::TenantId::parse(tenant).expect("a tenant id");
    let items = crate::repo::tenant_items(ports.state.as_ref(), &t)
        .await
        .expect("the tenant's items");
    let mut files = Vec::new();
    for prefix in crate::repo::files::tenant_prefixes(&t) {
        for key in ports.objects.list(&prefix).await.expect("a listing") {
            let bytes = ports.objects.get(&key).await.expect("a file");
            files.push((key, bytes.expect("a listed file exists")));
        }
    }
    (items, files)
}

/// The signer's phone, on the simulator's phone API at `sim_base`: open the order by its
/// autostart token, identify as Tolvan Tolvansson with `personal_number`, confirm.
pub async fn phone_approves(sim_base: &str, auto_start_token: &str, personal_number: &str) {
    let http = reqwest::Client::new();
    let post = |path: &str, body: Value| {
        http.post(format!("{sim_base}/phone/{path}"))
            .json(&body)
            .send()
    };
    let opened: Value = post("open", json!({ "autoStartToken": auto_start_token }))
        .await
        .expect("the phone API")
        .json()
        .await
        .expect("JSON");
    let order_ref = opened["orderRef"]
        .as_str()
        .expect("the phone opened the order")
        .to_string();
    for (step, body) in [
        (
            "identify",
            json!({"orderRef": order_ref, "personalNumber": personal_number,
                   "givenName": "Tolvan", "surname": "Tolvansson"}),
        ),
        ("confirm", json!({ "orderRef": order_ref })),
    ] {
        let r = post(step, body).await.expect("the phone API");
        assert!(
            r.status().is_success(),
            "{step}: {}",
            r.text().await.unwrap_or_default()
        );
    }
}

/// The AWS emulator the tests run against (`./scripts/test` starts moto server and sets
/// `ESIGN_TEST_AWS_ENDPOINT`). Panics with instructions when it is not set: AWS tests never
/// skip silently.
pub fn moto_endpoint() -> String {
    std::env::var("ESIGN_TEST_AWS_ENDPOINT").unwrap_or_else(|_| {
        panic!(
            "ESIGN_TEST_AWS_ENDPOINT is not set: run ./scripts/test, or start moto_server \
             and set ESIGN_TEST_AWS_ENDPOINT=http://127.0.0.1:PORT"
        )
    })
}

/// moto's dump of everything it holds (`/moto-api/data.json`), the only way to read back what
/// SES "sent". moto builds it by walking every model while other tests on the same server keep
/// writing, so one attempt can fail with a 500 or a cut-off body: a few attempts, then the
/// last answer in the panic.
pub async fn moto_data_dump() -> Value {
    let url = format!("{}/moto-api/data.json", moto_endpoint());
    let mut last = String::new();
    for attempt in 0..8u64 {
        match reqwest::get(&url).await {
            Ok(answer) => {
                let status = answer.status();
                let body = answer.text().await.unwrap_or_default();
                if status.is_success() {
                    match serde_json::from_str(&body) {
                        Ok(data) => return data,
                        Err(e) => last = format!("{status}, not JSON ({e})"),
                    }
                } else {
                    last = format!("{status}: {}", body.chars().take(500).collect::<String>());
                }
            }
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(std::time::Duration::from_millis(100 * (attempt + 1))).await;
    }
    panic!("moto's data dump failed 8 times; last answer: {last}")
}

/// A bucket on moto in the region the tests use (moto, like S3, wants the location constraint
/// outside us-east-1), with versioning on as every bucket of the template has it.
#[cfg(feature = "aws")]
pub async fn moto_bucket(s3: &aws_sdk_s3::Client, name: &str) {
    s3.create_bucket()
        .bucket(name)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuNorth1)
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateBucket {name}: {e:?}"));
    s3.put_bucket_versioning()
        .bucket(name)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutBucketVersioning {name}: {e:?}"));
}
