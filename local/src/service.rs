//! Every function in one process on the embedded adapters, with the BankID simulator and the
//! local PKI: what `esign serve` runs and what the end-to-end tests start.

use anyhow::{Context, Result};
use chrono::Utc;
use esign_shared::adapters::embedded::InProcessQueue;
use esign_shared::app::{App, ClientIpSource, Ports, Settings, TenantSetup};
use esign_shared::bankid::provider::BankIdProvider;
use esign_shared::bankid::BankIdClient;
use esign_shared::domain::TenantId;
use esign_shared::revocation::InProcessRevocation;
use esign_world::bankid::simulator::{self, Simulator, SimulatorCa};
use esign_world::bankid::tls::SimulatorTls;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::pki::LocalPki;
use esign_shared::error::ErrorText;

/// The tenant `esign serve` and `esign demo` make if there is none.
pub const DEFAULT_TENANT: &str = "demo";
/// What `esign serve` says first when it listens where other machines reach it: local mode
/// logs in with the BankID simulator, whose phone page lets anyone be anyone.
pub fn exposure_warning(addr: std::net::SocketAddr) -> Option<String> {
    if addr.ip().is_loopback() {
        return None;
    }
    Some(format!(
        "VARNING: e-underskrift lyssnar på {addr}, som andra datorer kan nå. Lokalt läge loggar \
         in med BankID-simulatorn, vars telefonsida låter vem som helst logga in som vem som \
         helst. Använd 127.0.0.1 om du inte visar tjänsten för andra med flit.\n\
         WARNING: e-underskrift listens on {addr}, which other machines can reach. Local mode \
         logs in with the BankID simulator, whose phone page lets anyone log in as anyone. Use \
         127.0.0.1 unless you mean to show the service to others."
    ))
}

pub struct LocalService {
    pub data: PathBuf,
    /// Every service, composed from `ports`.
    pub app: App,
    /// What the app is composed from: tests compose it again with a port changed.
    pub ports: Ports,
    pub queue: InProcessQueue,
    pub pki: LocalPki,
    pub simulator: Arc<Simulator>,
    worker: Option<esign_shared::adapters::embedded::QueueWorker>,
}

pub struct Running {
    pub service: Arc<LocalService>,
    pub base_url: String,
    pub addr: SocketAddr,
    /// The simulator's RP API over mutual TLS, which the service's BankID client uses.
    pub bankid_rp_url: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<()>,
    bankid_tls: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl LocalService {
    /// Open (or make, on first run) the data directory, for commands that do not talk to
    /// BankID. `base_url` is where the service is reachable; the BankID client talks plain
    /// HTTP to the simulator under it.
    pub fn open(data: &Path, base_url: &str) -> Result<Self> {
        let (pki, simulator) = Self::pki_and_simulator(data, None)?;
        let client = BankIdClient::new(
            &format!("{}/bankid-sim/rp/v6.0/", base_url.trim_end_matches('/')),
            reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .build()?,
        );
        Self::assemble(data, base_url, pki, simulator, client)
    }

    /// Like [`LocalService::open`], with the BankID client talking to the simulator as to
    /// the real service: over TLS, with a relying-party client certificate and the server's
    /// root pinned (both from the local PKI). Returns the task serving that TLS endpoint.
    async fn open_with_tls_bankid(
        data: &Path,
        base_url: &str,
    ) -> Result<(Self, String, tokio::task::JoinHandle<std::io::Result<()>>)> {
        // This service will answer at {base_url}/pki: certificates issued now point there.
        let pki_url = format!("{}/pki", base_url.trim_end_matches('/'));
        let (pki, simulator) = Self::pki_and_simulator(data, Some(&pki_url))?;
        let tls = SimulatorTls::from_cas(&pki.root, &pki.root, Utc::now())
            .map_err(|e| anyhow::anyhow!("BankID simulator TLS: {e}"))?;
        let (rp_url, task) = tls
            .spawn(SocketAddr::from(([127, 0, 0, 1], 0)), simulator.clone())
            .await
            .context("starting the BankID simulator's TLS endpoint")?;
        let client = tls
            .client_tls_config()
            .and_then(|c| c.bankid_client(&rp_url))
            .map_err(|e| anyhow::anyhow!("BankID client TLS: {e}"))?;
        let service = Self::assemble(data, base_url, pki, simulator, client)?;
        Ok((service, rp_url, task))
    }

    fn pki_and_simulator(data: &Path, pki_url: Option<&str>) -> Result<(LocalPki, Arc<Simulator>)> {
        std::fs::create_dir_all(data).with_context(|| format!("creating {}", data.display()))?;
        let pki = LocalPki::open_or_create_at(&data.join("pki"), pki_url)?;
        let simulator = Simulator::new(
            SimulatorCa {
                chain_der: vec![pki.bankid_ca.cert_der.clone(), pki.root.cert_der.clone()],
                issuing_key_pkcs8_der: pki.bankid_ca.key_pkcs8_der(),
            },
            Arc::new(Utc::now),
        );
        Ok((pki, simulator))
    }

    fn assemble(
        data: &Path,
        base_url: &str,
        pki: LocalPki,
        simulator: Arc<Simulator>,
        client: BankIdClient,
    ) -> Result<Self> {
        let eid = BankIdProvider::new(client, vec![pki.root.cert_der.clone()]);
        let (mut ports, queue, worker) = esign_shared::config::embedded_ports(data, Arc::new(eid))?;
        // Seals are timestamped by the local TSA: in-process here; `start` switches to RFC 3161
        // over HTTP at /tsa, the way a real TSA is reached.
        ports.timestamp = Some(pki.tsa.clone());
        // Revocation data for B-LT/B-LTA from the local PKI's own responder, in-process: the
        // same answers `/pki/ocsp` gives, without depending on the port the certificates name.
        ports.revocation = Some(Arc::new(InProcessRevocation(pki.revocation.clone())));
        let settings = Settings {
            public_base_url: base_url.trim_end_matches('/').to_string(),
            // One process holds the data directory (the embedded database is locked), so a
            // claim left by a process that died is dead: let it run out soon after a restart.
            // A step that runs longer is safe all the same (the archive version is written
            // once, and only the claim's holder may finish).
            pipeline_lease_seconds: 120,
            ..Settings::default()
        };
        Ok(Self {
            data: data.to_path_buf(),
            app: App::new(ports.clone(), settings),
            ports,
            queue,
            pki,
            simulator,
            worker: Some(worker),
        })
    }

    /// Make a tenant with its seal key and seal certificate, if it is not there; returns a new
    /// API key for it (only its hash is stored).
    pub async fn add_tenant(&self, id: &str, name: &str, storage_place: &str) -> Result<String> {
        let tenant_id = TenantId::parse(id).map_err(|e| anyhow::anyhow!("{}", e.message_en()))?;
        let tenant = self
            .app
            .tenants
            .create_tenant(TenantSetup {
                id: tenant_id.clone(),
                name: name.into(),
                organization_number: None,
                storage_place: storage_place.into(),
            })
            .await
            .map_err(|e| anyhow::anyhow!("{}: {e}", e.code()))?;
        let spki = self
            .app
            .tenants
            .seal_public_key(&tenant_id)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let chain =
            self.pki
                .seal_chain_pem(&tenant.name, tenant.organization_number.as_deref(), &spki)?;
        // Beside the trust anchor, for tools that want the seal certificate (pyHanko, openssl).
        std::fs::write(
            self.data.join("pki").join(format!("seal-{id}-chain.pem")),
            &chain,
        )?;
        self.app
            .tenants
            .install_seal_chain(&tenant_id, &chain)
            .await
            .map_err(|e| anyhow::anyhow!("{}: {e}", e.code()))?;
        self.app
            .tenants
            .issue_api_key(&tenant_id)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))
    }

    /// The default tenant's API key, made on first run and kept in `DATA/api-key-demo.txt`
    /// (local mode only: in AWS keys are shown once and stored hashed).
    pub async fn ensure_default_tenant(&self) -> Result<String> {
        let file = self.data.join(format!("api-key-{DEFAULT_TENANT}.txt"));
        if let Ok(key) = std::fs::read_to_string(&file) {
            if self
                .app
                .tenants
                .authenticate_api_key(key.trim())
                .await
                .is_ok()
            {
                return Ok(key.trim().to_string());
            }
        }
        let key = self
            .add_tenant(DEFAULT_TENANT, "Demo kommun", "Kommunkansliet, Demo kommun")
            .await?;
        std::fs::write(&file, &key)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))?;
        }
        Ok(key)
    }

    pub fn router(&self) -> axum::Router {
        esign_shared::web::router(self.app.clone())
            .merge(esign_world::tsa::router(self.pki.tsa.clone()))
            // OCSP, CRLs and CA certificates the local PKI's certificates point at.
            .nest(
                "/pki",
                esign_world::revocation::router(self.pki.revocation.clone()),
            )
            .nest("/bankid-sim", simulator::router(self.simulator.clone()))
            // The phone page and its script and stylesheets.
            .merge(esign_world::bankid::phone_ui())
    }

    /// Serve on `addr` (port 0 picks one). The queue worker and the hourly housekeeping
    /// (deadline expiry, anslag take-down) run until shutdown.
    pub async fn start(
        data: &Path,
        addr: SocketAddr,
        public_base_url: Option<&str>,
    ) -> Result<Running> {
        Self::start_behind(data, addr, public_base_url, ClientIpSource::Peer).await
    }

    /// Like [`start`](Self::start), taking the end user's address as `client_ip` says (behind
    /// a reverse proxy: `Proxies(1)`).
    pub async fn start_behind(
        data: &Path,
        addr: SocketAddr,
        public_base_url: Option<&str>,
        client_ip: ClientIpSource,
    ) -> Result<Running> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding {addr}"))?;
        let addr = listener.local_addr()?;
        let base_url = public_base_url
            .map(str::to_string)
            .unwrap_or_else(|| format!("http://{addr}"));
        let (mut service, bankid_rp_url, bankid_tls) =
            Self::open_with_tls_bankid(data, &base_url).await?;
        let tsa_client = esign_shared::pdf::HttpTimestampClient::new(format!("{base_url}/tsa"))
            .map_err(|e| anyhow::anyhow!("TSA client: {e}"))?;
        service.ports.timestamp = Some(Arc::new(tsa_client));
        let settings = Settings {
            client_ip,
            ..service.app.settings().clone()
        };
        service.app = App::new(service.ports.clone(), settings);
        let worker = service.worker.take().context("worker already started")?;
        let service = Arc::new(service);
        tokio::spawn(worker.run(service.app.pipeline.clone()));
        for t in service
            .app
            .tenants
            .list_tenants()
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
        {
            if let Err(e) = service.app.housekeeping.resume_after_restart(&t).await {
                tracing::warn!(tenant = %t, error = %e, "could not resume pending work");
            }
        }
        let housekeeping = service.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                tick.tick().await;
                housekeeping.housekeeping().await;
            }
        });
        let router = service.router();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let served = axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
            if let Err(e) = served {
                tracing::error!(error = %e, "server stopped");
            }
        });
        Ok(Running {
            service,
            base_url,
            addr,
            bankid_rp_url,
            shutdown: Some(tx),
            server,
            bankid_tls,
        })
    }

    /// One round of housekeeping, as the Lambda function runs it on its schedule: reminders,
    /// expiry, the anslagstavla (notices taken down), dropped pipeline work queued again.
    pub async fn housekeeping(&self) {
        match self.app.housekeeping.run().await {
            Ok(report) if report.failures > 0 => {
                tracing::warn!(failures = report.failures, "housekeeping steps failed")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "housekeeping failed"),
        }
    }
}

impl Running {
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.server).await;
        self.bankid_tls.abort();
    }
}
