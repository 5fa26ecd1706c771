//! The renewal kill test: archive versions sealed by a timestamp authority whose certificate
//! runs one year are due for renewal at once (the window is two years). The authority rotates,
//! and `esign serve` (the real binary) is killed with SIGKILL at random moments while it renews
//! them and delivers their packages again, and started again each time on the same data.
//! Every archive version must end renewed exactly once, still verify, with its renewal in the
//! order's history and a package delivered again that names the one it replaces.
//! `ESIGN_RENEWAL_KILL_ORDERS` sets the number of orders (10).

use std::process::Command;
use std::time::Duration;

use esign_local::drive::{Person, Secretary};

mod support;
use support::{one_order, until_exported, until_ok, Killer, Service};

fn rotate_tsa(data: &std::path::Path, years: u32) {
    let out = Command::new(env!("CARGO_BIN_EXE_esign"))
        .args([
            "pki",
            "rotate-tsa",
            "--valid-years",
            &years.to_string(),
            "--data",
        ])
        .arg(data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn history_count(order: &serde_json::Value, kind: &str) -> usize {
    order["history"]
        .as_array()
        .map_or(0, |h| h.iter().filter(|e| e["kind"] == kind).count())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renewals_survive_sigkill_and_each_archive_version_is_renewed_once() {
    let orders: usize = std::env::var("ESIGN_RENEWAL_KILL_ORDERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let service = Service::on_free_port(data.clone());
    // Sealed while the local authority's certificate runs one year.
    rotate_tsa(&data, 1);
    let (http, key) = service.start_first();
    let secretary = Secretary {
        http: http.clone(),
        api_key: key.clone(),
    };
    let signer = Person::new("191212121212", "Tolvan", "Tolvansson");
    let mut ids = Vec::new();
    for i in 0..orders {
        ids.push(one_order(&http, &key, &signer, i).await);
    }
    for id in &ids {
        until_exported(&secretary, id).await;
    }
    service.kill();

    // The authority rotates; from the next start on, renewals use its new certificate.
    rotate_tsa(&data, 10);
    service.start();
    let killer = Killer::start(service.clone(), 100, 400);
    tokio::time::sleep(Duration::from_secs(6)).await;
    let kills = killer.stop();
    assert!(kills >= 3, "the service was killed only {kills} times");

    let root = std::fs::read_to_string(data.join("pki/root-ca.pem")).unwrap();
    let root_der = esign_shared::x509::pem_decode_certs(&root).unwrap();
    let work = tempfile::tempdir().unwrap();
    for id in &ids {
        until_ok("renewed and delivered again", || {
            let (s, id) = (&secretary, id.clone());
            async move {
                let o = s.order(&id).await?;
                anyhow::ensure!(
                    history_count(&o, "archive_renewed") >= 1
                        && history_count(&o, "archive_reexported") >= 1,
                    "{id} not yet renewed and delivered"
                );
                Ok(())
            }
        })
        .await;
        let order = secretary.order(id).await.unwrap();
        assert_eq!(history_count(&order, "archive_renewed"), 1, "{id}");
        assert_eq!(history_count(&order, "archive_reexported"), 1, "{id}");
        let archive = secretary.file(id, "archive.pdf").await.unwrap();
        let path = work.path().join(format!("{id}.pdf"));
        std::fs::write(&path, &archive).unwrap();
        let proof = esign_shared::pdf::sign::extend::current_proof(&path).unwrap();
        assert_eq!(proof.document_timestamps, 2, "{id}: renewed exactly once");
        let report = esign_shared::pdf::verify(&archive, &root_der).unwrap();
        assert!(report.all_hold(), "{id}: {report:?}");
        // Both packages are where the e-archive collects them; the second replaces the first.
        let manifest = std::fs::read_dir(data.join("objects/exports/demo"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .map(|p| {
                serde_json::from_slice::<serde_json::Value>(&std::fs::read(p).unwrap()).unwrap()
            })
            .find(|m| m["order_id"] == id.as_str() && m["renewals"] == 1)
            .unwrap_or_else(|| panic!("{id}: no package delivered after the renewal"));
        assert_eq!(manifest["replaces"], format!("uuid-{id}").as_str());
    }
    println!(
        "renewal kill test: {} archive versions, {kills} SIGKILLs, each renewed once, verified and delivered again",
        ids.len()
    );
    service.kill();
}
