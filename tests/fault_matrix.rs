//! The fault-injection matrix (`esign_shared::port_tests::fault_matrix`) on the AWS adapters
//! against moto: DynamoDB, S3 and KMS as the functions use them, the BankID simulator over
//! HTTP. SQS keeps its messages across a crash (the matrix's queue does too, here).
//!
//! Against moto each run takes about a second, so CI injects one kind of fault at every call,
//! taking turns; `ESIGN_FAULT_MATRIX=full` (as `scripts/fault-matrix` sets it) injects all four
//! at every call. Needs moto (`ESIGN_TEST_AWS_ENDPOINT`; `./scripts/test` starts it).

use std::sync::Arc;

use esign_shared::app::{App, Ports, TenantSetup};
use esign_shared::domain::TenantId;
use esign_shared::port_tests::fault_matrix::{run_matrix, Sampling, World};
use esign_shared::ports::ManualClock;
use esign_tests::aws_stack::Stack;

struct Aws {
    app: App,
    ports: Ports,
    clock: Arc<ManualClock>,
    sim_base: String,
    pki: esign_tests::esign_local::pki::LocalPki,
    _work: tempfile::TempDir,
}

#[async_trait::async_trait]
impl World for Aws {
    fn ports(&self) -> Ports {
        self.ports.clone()
    }
    fn clock(&self) -> &ManualClock {
        &self.clock
    }
    async fn phone_approves(&self, auto_start_token: &str, personal_number: &str) {
        esign_shared::lambda_harness::phone_approves(
            &self.sim_base,
            auto_start_token,
            personal_number,
        )
        .await
    }
    async fn add_tenant(&self, id: &str) -> String {
        let tenant = TenantId::parse(id).unwrap();
        self.app
            .tenants
            .create_tenant(TenantSetup {
                id: tenant.clone(),
                name: format!("{id} kommun"),
                organization_number: None,
                storage_place: "Kansliet".into(),
            })
            .await
            .unwrap();
        let spki = self.app.tenants.seal_public_key(&tenant).await.unwrap();
        let chain = self
            .pki
            .seal_chain_pem(&format!("{id} kommun"), None, &spki)
            .unwrap();
        self.app
            .tenants
            .install_seal_chain(&tenant, &chain)
            .await
            .unwrap();
        self.app.tenants.issue_api_key(&tenant).await.unwrap()
    }
    /// S3 writes are whole or absent: nothing temporary can be left behind.
    fn leftovers(&self) -> Vec<String> {
        Vec::new()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_at_any_call_on_the_aws_adapters_loses_nothing_and_does_nothing_twice() {
    let now = chrono::Utc::now();
    let clock = Arc::new(ManualClock::new(now));
    let (sim_base, bankid_root) = esign_tests::aws_stack::start_simulator(clock.clone()).await;
    let work = tempfile::tempdir().unwrap();
    let pki =
        esign_tests::esign_local::pki::LocalPki::open_or_create_at(&work.path().join("pki"), None)
            .unwrap();
    // No timestamp authority or revocation source: the seal is PAdES B-B, which is enough to
    // put every write of the pipeline under faults.
    let _stack = Stack::create(&format!("{sim_base}/rp/v6.0/"), &bankid_root, "").await;
    std::env::remove_var("ESIGN_TSA_URL");
    std::env::remove_var("ESIGN_REVOCATION");
    let mut built = esign_shared::config::ports_from_env().await.unwrap();
    built.ports.clock = clock.clone();
    let ports = built.ports.clone();
    let app = built.into_app();
    let world = Aws {
        app,
        ports,
        clock,
        sim_base,
        pki,
        _work: work,
    };
    let sampling = match std::env::var("ESIGN_FAULT_MATRIX").as_deref() {
        Ok("full") => Sampling::Every,
        _ => Sampling::Rotating,
    };
    let started = std::time::Instant::now();
    let report = run_matrix(&world, true, sampling).await;
    println!(
        "{}",
        report.summary(&format!("AWS on moto, {sampling:?}"), started.elapsed())
    );
    report.assert_nothing_broken();
}
