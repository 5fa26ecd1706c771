//! The kill test: `esign serve` (the real binary) is killed with SIGKILL at random moments
//! while twenty orders go through the whole flow (upload, order, BankID login and signing,
//! seal, publish, export), and started again each time on the same data directory. Every
//! order must end exported, with exactly one seal, and its archive version must verify.
//!
//! The clients act as people and e-services do: a call that fails because the service is
//! down is made again once it answers. `ESIGN_KILL_ORDERS` sets the number of orders (20).

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use esign_local::drive::{Http, Person, Portal, Secretary};
use serde_json::json;

/// A one-page PDF of its own for order `i` (the same bytes would be the same document).
fn protocol(i: usize) -> Vec<u8> {
    esign_shared::pdf::hand_made::tiny_pdf(&format!("/Nr {i}"), &[])
}

/// The service process, started again after each kill.
struct Service {
    data: std::path::PathBuf,
    addr: String,
    child: Mutex<Option<Child>>,
    api_key: Mutex<Option<String>>,
}

impl Service {
    fn start(&self) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_esign"))
            .args([
                "serve",
                "--data",
                self.data.to_str().unwrap(),
                "--addr",
                &self.addr,
            ])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("esign serve starts");
        // The first lines say where it runs and the demo tenant's API key; the rest of its
        // output is read (and dropped) until it dies, so it never writes into a closed pipe.
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(k) = line.split_whitespace().find(|w| w.starts_with("esk_")) {
                    let _ = tx.send(k.to_string());
                }
            }
        });
        if let Ok(k) = rx.recv_timeout(Duration::from_secs(60)) {
            *self.api_key.lock().unwrap() = Some(k);
        }
        *self.child.lock().unwrap() = Some(child);
    }

    fn kill(&self) {
        if let Some(mut c) = self.child.lock().unwrap().take() {
            let _ = c.kill(); // SIGKILL
            let _ = c.wait();
        }
    }
}

/// Retry `step` until it succeeds (the service may be down, or restarting).
async fn until_ok<T, F, Fut>(what: &str, mut step: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        match step().await {
            Ok(v) => return v,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
            Err(e) => panic!("{what}: {e:#}"),
        }
    }
}

/// One order, as the secretary and the signer live it: upload, order, log in, sign.
async fn one_order(http: &Http, key: &str, signer: &Person, i: usize) -> String {
    let secretary = Secretary {
        http: http.clone(),
        api_key: key.to_string(),
    };
    let pdf = protocol(i);
    let doc = until_ok("upload", || {
        let (s, pdf) = (&secretary, pdf.clone());
        async move { s.upload_ok(&format!("protokoll-{i}.pdf"), pdf).await }
    })
    .await;
    let body = json!({"document_id": doc, "committee": "KS", "meeting_date": "2026-12-01",
        "paragraphs": "§ 1", "title": format!("Protokoll {i}"), "plan": "parallel",
        "signers": [{"name": signer.name(), "role": "justerare",
                     "personnummer": signer.personal_number}]});
    // Creating an order twice would make two: the e-service looks for its order first.
    let order_id = until_ok("order", || {
        let (s, body) = (&secretary, body.clone());
        async move {
            let (_, list) = s.get("/api/orders").await?;
            if let Some(o) = list["orders"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|o| o["title"] == body["title"])
            {
                return Ok(o["id"].as_str().unwrap_or_default().to_string());
            }
            let (status, created) = s.post("/api/orders", &body).await?;
            anyhow::ensure!(status.is_success(), "HTTP {status}: {created}");
            Ok(created["order"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_string())
        }
    })
    .await;
    until_ok("sign", || {
        let (http, signer, secretary, order_id) =
            (http.clone(), signer.clone(), &secretary, order_id.clone());
        async move {
            let order = secretary.order(&order_id).await?;
            if order["signers"][0]["state"] == "signed" {
                return Ok(());
            }
            let mut portal = Portal::new(http, signer);
            portal.login().await?;
            let done = portal.sign("demo", &order_id).await?;
            anyhow::ensure!(done["status"] == "complete", "{done}");
            Ok(())
        }
    })
    .await;
    order_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_orders_survive_sigkill_at_random_moments() {
    let orders: usize = std::env::var("ESIGN_KILL_ORDERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let service = Arc::new(Service {
        data: dir.path().join("data"),
        addr: format!("127.0.0.1:{port}"),
        child: Mutex::new(None),
        api_key: Mutex::new(None),
    });
    service.start();
    let key = service
        .api_key
        .lock()
        .unwrap()
        .clone()
        .expect("the API key is printed");
    let http = Http::new(&format!("http://127.0.0.1:{port}"));

    // The killer: SIGKILL at a random moment every 0.1–0.6 s, then start again at once.
    let done = Arc::new(AtomicBool::new(false));
    let kills = Arc::new(AtomicU32::new(0));
    let killer = {
        let (service, done, kills) = (service.clone(), done.clone(), kills.clone());
        std::thread::spawn(move || {
            // Random enough, and no crate for it: xorshift seeded by the clock.
            let mut x = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1;
            while !done.load(Ordering::SeqCst) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let wait = 100 + x % 500;
                std::thread::sleep(Duration::from_millis(wait));
                if done.load(Ordering::SeqCst) {
                    break;
                }
                service.kill();
                kills.fetch_add(1, Ordering::SeqCst);
                service.start();
            }
        })
    };

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
    done.store(true, Ordering::SeqCst);
    killer.join().unwrap();
    let kills = kills.load(Ordering::SeqCst);
    assert!(kills >= 3, "the service was killed only {kills} times");

    // Every order ends exported (the service runs on undisturbed now).
    let secretary = Secretary {
        http: http.clone(),
        api_key: key.clone(),
    };
    let root = std::fs::read_to_string(dir.path().join("data/pki/root-ca.pem")).unwrap();
    let root_der = esign_shared::x509::pem_decode_certs(&root).unwrap();
    for id in &ids {
        until_ok("exported", || {
            let (s, id) = (&secretary, id.clone());
            async move {
                let o = s.order(&id).await?;
                anyhow::ensure!(o["status"] == "exported", "{id} is {}", o["status"]);
                Ok(())
            }
        })
        .await;
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
