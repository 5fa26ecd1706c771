//! The kill test: `esign serve` (the real binary) is killed with SIGKILL at random moments
//! while twenty orders go through the whole flow (upload, order, BankID login and signing,
//! seal, publish, export), and started again each time on the same data directory. Every
//! order must end exported, with exactly one seal, and its archive version must verify.
//!
//! The clients act as people and e-services do: a call that fails because the service is
//! down is made again once it answers. `ESIGN_KILL_ORDERS` sets the number of orders (20).

use std::time::Duration;

use esign_local::drive::{Person, Secretary};

mod support;
use support::{one_order, until_exported, Killer, Service};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_orders_survive_sigkill_at_random_moments() {
    let orders: usize = std::env::var("ESIGN_KILL_ORDERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let service = Service::on_free_port(dir.path().join("data"));
    let (http, key) = service.start_first();

    // The killer: SIGKILL at a random moment every 0.1–0.6 s, then start again at once.
    let killer = Killer::start(service.clone(), 100, 500);

    // Four signers, each taking five orders one after the other (one BankID order per person
    // at a time, as BankID wants).
    let people = [
        Person::new("191212121212", "Tolvan", "Tolvansson"),
        Person::new("198112189876", "Britt", "Justerare"),
        Person::new("194107086995", "Åke", "Örnsköld"),
        Person::new("200001012384", "Nova", "Nilsson"),
    ];
    let mut tasks = Vec::new();
    for (p, person) in people.iter().enumerate() {
        let (http, key, person) = (http.clone(), key.clone(), person.clone());
        let mine: Vec<usize> = (0..orders).filter(|i| i % people.len() == p).collect();
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in mine {
                ids.push(one_order(&http, &key, &person, i).await);
            }
            ids
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.extend(t.await.unwrap());
    }
    // Keep killing while the pipeline runs, a little longer.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let kills = killer.stop();
    assert!(kills >= 3, "the service was killed only {kills} times");

    // Every order ends exported (the service runs on undisturbed now).
    let secretary = Secretary {
        http: http.clone(),
        api_key: key.clone(),
    };
    let root = std::fs::read_to_string(dir.path().join("data/pki/root-ca.pem")).unwrap();
    let root_der = esign_shared::x509::pem_decode_certs(&root).unwrap();
    for id in &ids {
        until_exported(&secretary, id).await;
        let order = secretary.order(id).await.unwrap();
        let seals = order["history"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "seal")
            .count();
        assert_eq!(seals, 1, "{id}: {seals} seals");
        let archive = secretary.file(id, "archive.pdf").await.unwrap();
        let report = esign_shared::pdf::verify(&archive, &root_der).unwrap();
        assert!(
            report.all_hold(),
            "{id}: the archive version does not verify: {report:?}"
        );
        let sip = secretary.file(id, "sip.zip").await.unwrap();
        assert!(sip.starts_with(b"PK"), "{id}: no package");
    }
    println!(
        "kill test: {} orders, {kills} SIGKILLs, every order exported once and verified",
        ids.len()
    );
    service.kill();
}
