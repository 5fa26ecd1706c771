//! What the kill tests share: `esign serve` (the real binary) started and killed with SIGKILL,
//! calls made again until the service answers, and one order as people make it.

#![allow(dead_code)] // each test file uses its own part

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use esign_local::drive::{Http, Person, Portal, Secretary};
use serde_json::json;

/// A one-page PDF of its own for order `i` (the same bytes would be the same document).
pub fn protocol(i: usize) -> Vec<u8> {
    esign_shared::pdf::hand_made::tiny_pdf(&format!("/Nr {i}"), &[])
}

/// The service process, started again after each kill.
pub struct Service {
    pub data: std::path::PathBuf,
    pub addr: String,
    pub child: Mutex<Option<Child>>,
    pub api_key: Mutex<Option<String>>,
}

impl Service {
    /// A service on a free loopback port with its data under `data` (not started).
    pub fn on_free_port(data: std::path::PathBuf) -> Arc<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Arc::new(Service {
            data,
            addr: format!("127.0.0.1:{port}"),
            child: Mutex::new(None),
            api_key: Mutex::new(None),
        })
    }

    /// Start it; its HTTP client and the API key it printed.
    pub fn start_first(&self) -> (Http, String) {
        self.start();
        let key = self
            .api_key
            .lock()
            .unwrap()
            .clone()
            .expect("the API key is printed");
        (Http::new(&format!("http://{}", self.addr)), key)
    }

    pub fn start(&self) {
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

    pub fn kill(&self) {
        if let Some(mut c) = self.child.lock().unwrap().take() {
            let _ = c.kill(); // SIGKILL
            let _ = c.wait();
        }
    }
}

/// Retry `step` until it succeeds (the service may be down, or restarting).
pub async fn until_ok<T, F, Fut>(what: &str, mut step: F) -> T
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
pub async fn one_order(http: &Http, key: &str, signer: &Person, i: usize) -> String {
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

/// SIGKILL at a random moment every `min_ms` to `min_ms + spread_ms`, then start again at once,
/// until stopped.
pub struct Killer {
    done: Arc<AtomicBool>,
    kills: Arc<AtomicU32>,
    thread: std::thread::JoinHandle<()>,
}

impl Killer {
    pub fn start(service: Arc<Service>, min_ms: u64, spread_ms: u64) -> Self {
        let done = Arc::new(AtomicBool::new(false));
        let kills = Arc::new(AtomicU32::new(0));
        let thread = {
            let (done, kills) = (done.clone(), kills.clone());
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
                    std::thread::sleep(Duration::from_millis(min_ms + x % spread_ms.max(1)));
                    if done.load(Ordering::SeqCst) {
                        break;
                    }
                    service.kill();
                    kills.fetch_add(1, Ordering::SeqCst);
                    service.start();
                }
            })
        };
        Self {
            done,
            kills,
            thread,
        }
    }

    /// Stop killing (the service runs on); how many times it killed.
    pub fn stop(self) -> u32 {
        self.done.store(true, Ordering::SeqCst);
        self.thread.join().unwrap();
        self.kills.load(Ordering::SeqCst)
    }
}

/// Wait until the order is exported (the service may still be restarting).
pub async fn until_exported(secretary: &Secretary, id: &str) {
    until_ok("exported", || async move {
        let o = secretary.order(id).await?;
        anyhow::ensure!(o["status"] == "exported", "{id} is {}", o["status"]);
        Ok(())
    })
    .await;
}
