//! The fault-injection matrix on the embedded adapters: a fault at every port call of a whole
//! justering, each way it can fail (`port_tests::fault_matrix`). The in-process queue loses its jobs
//! when the process dies; housekeeping finds the work again.

use crate::app::{test_app, Ports};
use crate::port_tests::fault_matrix::{run_matrix, run_once, Sampling, World};
use crate::port_tests::faults::Fault;

struct Embedded(test_app::TestApp);

#[async_trait::async_trait]
impl World for Embedded {
    fn ports(&self) -> Ports {
        self.0.ports.clone()
    }
    fn clock(&self) -> &crate::ports::ManualClock {
        &self.0.clock
    }
    async fn phone_approves(&self, auto_start_token: &str, personal_number: &str) {
        self.0
            .phone_approves(auto_start_token, personal_number)
            .await
    }
    async fn add_tenant(&self, id: &str) -> String {
        self.0.add_tenant(id).await
    }
    fn leftovers(&self) -> Vec<String> {
        fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
            for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else if e.file_name().to_string_lossy().starts_with('.') {
                    out.push(p.display().to_string());
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.0._dir.path().join("objects"), &mut out);
        out
    }
}

#[tokio::test]
async fn without_faults_the_scenario_holds() {
    let world = Embedded(test_app::start().await);
    let (out, calls) = run_once(&world, 0, Fault::FailBefore, false).await;
    assert!(out.broken.is_empty(), "{:?}", out.broken);
    assert!(calls > 50, "the scenario makes its calls: {calls}");
}

/// Every call, every kind of fault. Prints the totals (the note takes them from here).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_at_any_call_loses_nothing_and_does_nothing_twice() {
    let world = Embedded(test_app::start().await);
    let started = std::time::Instant::now();
    let report = run_matrix(&world, false, Sampling::Every).await;
    println!("{}", report.summary("embedded", started.elapsed()));
    report.assert_nothing_broken();
}
