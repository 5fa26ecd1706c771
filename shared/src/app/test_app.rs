//! An app on the embedded adapters in a temp dir, with the real BankID simulator on a
//! loopback port and a seal certificate from a throwaway root: for tests of the use cases.

use std::sync::Arc;

use super::*;
use crate::domain::TenantId;
use crate::ports::JobHandler;
use crate::x509::pem_encode_cert;
use esign_world::bankid::{router, Simulator};
use esign_world::pki::{CertificateAuthority, SubjectName};

/// The protocol orders are made on unless a test says otherwise (LibreOffice, PDF/A-2b).
const SAMPLE_PROTOCOL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/testdata/protocols/e-namnd-2020-03-11.pdfa2b.pdf"
);

pub struct TestApp {
    pub app: App,
    /// What the app was composed from: a test swaps one and composes again (`app_with`).
    pub ports: Ports,
    /// Where the simulator listens: its phone API is under `/phone/`.
    pub sim_base: String,
    /// The one clock of the app and the simulator; tests move it instead of sleeping.
    pub clock: Arc<crate::ports::ManualClock>,
    pub root: CertificateAuthority,
    pub _dir: tempfile::TempDir,
}

pub async fn start() -> TestApp {
    start_at(chrono::Utc::now()).await
}

/// Like [`start`], with the app's clock, the simulator's and every certificate starting
/// at `now`: tests run on any day, and on a clock set ahead.
pub async fn start_at(now: chrono::DateTime<chrono::Utc>) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let ca = esign_world::bankid::generate_simulator_ca(now).unwrap();
    let bankid_root = ca.chain_der.last().unwrap().clone();
    let clock = Arc::new(crate::ports::ManualClock::new(now));
    let sim_clock = clock.clone();
    let sim = Simulator::new(ca, Arc::new(move || crate::ports::Clock::now(&*sim_clock)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sim_base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router(sim)).await.unwrap() });
    let eid = crate::bankid::provider::BankIdProvider::new(
        crate::bankid::BankIdClient::new(&format!("{sim_base}/rp/v6.0/"), reqwest::Client::new()),
        vec![bankid_root],
    );
    let (mut ports, _queue, worker) =
        crate::config::embedded_ports(dir.path(), Arc::new(eid)).unwrap();
    ports.clock = clock.clone();
    let app = App::new(ports.clone(), Settings::default());
    tokio::spawn(worker.run(app.pipeline.clone() as Arc<dyn JobHandler>));
    TestApp {
        app,
        ports,
        sim_base,
        clock,
        root: CertificateAuthority::create_root("Test root", "Test", now).unwrap(),
        _dir: dir,
    }
}

impl TestApp {
    /// The same world composed again with some ports changed (another clock, a timestamp
    /// authority...). Its jobs still go to the first app's queue worker.
    pub fn app_with(&self, change: impl FnOnce(&mut Ports)) -> App {
        let mut ports = self.ports.clone();
        change(&mut ports);
        App::new(ports, Settings::default())
    }

    /// An app whose jobs go to `queue` (run when the test wants) and whose object store is
    /// watched by `watch` (to count calls, refuse some, fail writes).
    pub fn app_watching<W: crate::app::test_objects::ObjectWatch + 'static>(
        &self,
        queue: &Arc<RecordingQueue>,
        watch: W,
    ) -> App {
        self.app_with(|p| {
            p.queue = queue.clone();
            p.objects = Arc::new(crate::app::test_objects::WatchedObjects {
                inner: p.objects.clone(),
                watch,
            });
        })
    }

    /// The stored object at `key`, which the test expects to be there.
    pub async fn stored(&self, key: &str) -> bytes::Bytes {
        self.ports
            .objects
            .get(key)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{key} is not stored"))
    }

    /// A tenant with an installed seal certificate; returns its API key.
    pub async fn add_tenant(&self, id: &str) -> String {
        self.add_tenant_on(&self.app, id).await
    }

    /// Like [`Self::add_tenant`], made by `app`: its seal level is the highest `app`'s
    /// timestamp and revocation sources allow.
    pub async fn add_tenant_on(&self, app: &App, id: &str) -> String {
        let t = TenantId::parse(id).unwrap();
        app.tenants
            .create_tenant(TenantSetup {
                id: t.clone(),
                name: format!("{id} kommun"),
                organization_number: None,
                storage_place: "Kansliet".into(),
            })
            .await
            .unwrap();
        let spki = app.tenants.seal_public_key(&t).await.unwrap();
        let cert = self
            .root
            .issue_seal_cert(
                &SubjectName {
                    common_name: format!("{id} sigill"),
                    organization: format!("{id} kommun"),
                    organization_identifier: None,
                    country: "SE".into(),
                },
                &spki,
                crate::ports::Clock::now(&*self.clock),
            )
            .unwrap();
        let chain = pem_encode_cert(&cert) + &pem_encode_cert(&self.root.cert_der);
        app.tenants.install_seal_chain(&t, &chain).await.unwrap();
        app.tenants.issue_api_key(&t).await.unwrap()
    }

    /// The sample protocol uploaded by `staff`, and the input for a parallel order on it with
    /// `signers` (justerare) at today's meeting: tests change what they are about.
    pub async fn protocol_order(
        &self,
        staff: &Staff,
        signers: &[(&str, &str, Option<&str>)],
    ) -> CreateOrderInput {
        let pdf = std::path::Path::new(SAMPLE_PROTOCOL);
        self.protocol_order_from(staff, signers, pdf).await
    }

    /// Like [`Self::protocol_order`], on the protocol at `pdf`.
    pub async fn protocol_order_from(
        &self,
        staff: &Staff,
        signers: &[(&str, &str, Option<&str>)],
        pdf: &std::path::Path,
    ) -> CreateOrderInput {
        let (doc, _) = self
            .app
            .documents
            .upload_file(staff, "protokoll.pdf", pdf)
            .await
            .unwrap();
        CreateOrderInput {
            immediate: false,
            confidential: Vec::new(),
            document_id: doc.id.to_string(),
            committee: "KS".into(),
            meeting_date: self.ports.clock.now().date_naive(),
            paragraphs: "§ 1".into(),
            title: "Protokoll".into(),
            diarienummer: None,
            message: None,
            secretary_email: None,
            plan: crate::domain::SigningPlan::Parallel,
            deadline: None,
            signers: signers
                .iter()
                .map(|(name, pnr, email)| SignerInput {
                    name: (*name).into(),
                    email: email.map(str::to_string),
                    role: crate::domain::Role::Justerare,
                    personnummer: (*pnr).into(),
                    step: None,
                })
                .collect(),
        }
    }

    /// Log in to the portal with BankID as `personal_number`: the session token.
    pub async fn log_in(&self, personal_number: &str) -> String {
        let started = self
            .app
            .portal
            .start_login(&crate::ports::EndUser::at_ip("192.0.2.1"))
            .await
            .unwrap();
        self.phone_approves(&started.auto_start_token, personal_number)
            .await;
        match self
            .app
            .portal
            .collect_login(&started.order_ref)
            .await
            .unwrap()
        {
            crate::app::LoginOutcome::Complete { session_token, .. } => session_token,
            other => panic!("login did not complete: {other:?}"),
        }
    }

    /// The signer's phone: open the order by its autostart token, identify, confirm.
    pub async fn phone_approves(&self, auto_start_token: &str, personal_number: &str) {
        crate::lambda_harness::phone_approves(&self.sim_base, auto_start_token, personal_number)
            .await
    }

    /// `personal_number` logs in to `app`'s portal, starts signing `order` and approves it
    /// on the phone: the session and the BankID order, ready to be collected.
    pub async fn approved_in_bankid(
        &self,
        app: &App,
        tenant: &str,
        order: &crate::domain::SigningOrder,
        personal_number: &str,
    ) -> (SignerSession, StartedEid) {
        let session = app
            .portal
            .authenticate_session(&self.log_in(personal_number).await)
            .await
            .unwrap();
        let started = app
            .portal
            .start_signing(
                &session,
                tenant,
                &order.id.to_string(),
                &crate::ports::EndUser::at_ip("192.0.2.1"),
            )
            .await
            .unwrap();
        self.phone_approves(&started.auto_start_token, personal_number)
            .await;
        (session, started)
    }

    /// A one-signer order (Åsa, justerare; the secretary at `sekreterare@example.se`) that Åsa
    /// has signed through `app`'s portal: its seal job went to `app`'s queue.
    pub async fn signed_order(
        &self,
        app: &App,
        tenant: &str,
    ) -> (crate::domain::SigningOrder, Staff) {
        let key = self.add_tenant(tenant).await;
        self.signed_order_of(app, tenant, &key).await
    }

    /// Like [`Self::signed_order`], for a tenant that exists (`key` is its API key).
    pub async fn signed_order_of(
        &self,
        app: &App,
        tenant: &str,
        key: &str,
    ) -> (crate::domain::SigningOrder, Staff) {
        self.signed_order_on(app, tenant, key, std::path::Path::new(SAMPLE_PROTOCOL))
            .await
    }

    /// Like [`Self::signed_order_of`], on the protocol at `pdf`.
    pub async fn signed_order_on(
        &self,
        app: &App,
        tenant: &str,
        key: &str,
        pdf: &std::path::Path,
    ) -> (crate::domain::SigningOrder, Staff) {
        self.signed_order_with(app, tenant, key, pdf, |input| input)
            .await
    }

    /// Like [`Self::signed_order_on`], the order's input changed by `change` first.
    pub async fn signed_order_with(
        &self,
        app: &App,
        tenant: &str,
        key: &str,
        pdf: &std::path::Path,
        change: impl FnOnce(CreateOrderInput) -> CreateOrderInput,
    ) -> (crate::domain::SigningOrder, Staff) {
        let staff = self.app.tenants.authenticate_api_key(key).await.unwrap();
        let input = self
            .protocol_order_from(&staff, &[("Åsa", "191212121212", None)], pdf)
            .await;
        let order = self
            .app
            .orders
            .create_order(
                &staff,
                change(CreateOrderInput {
                    secretary_email: Some("sekreterare@example.se".into()),
                    ..input
                }),
            )
            .await
            .unwrap();
        let (session, started) = self
            .approved_in_bankid(app, tenant, &order, "191212121212")
            .await;
        match app
            .portal
            .collect_signing(&session, &started.order_ref)
            .await
            .unwrap()
        {
            CollectOutcome::Complete { .. } => {}
            other => panic!("not signed: {other:?}"),
        }
        let order = self
            .app
            .orders
            .get_order(&staff, &order.id.to_string())
            .await
            .unwrap();
        (order, staff)
    }
}

/// Jobs are recorded instead of run: the test runs each one when it wants.
#[derive(Default)]
pub struct RecordingQueue(pub std::sync::Mutex<Vec<crate::ports::Job>>);

impl RecordingQueue {
    /// The jobs queued so far, oldest first; the queue is empty afterwards.
    pub fn take(&self) -> Vec<crate::ports::Job> {
        std::mem::take(&mut self.0.lock().unwrap())
    }
}

#[async_trait::async_trait]
impl crate::ports::Queue for RecordingQueue {
    async fn enqueue(&self, job: crate::ports::Job) -> Result<(), crate::ports::PortError> {
        self.0.lock().unwrap().push(job);
        Ok(())
    }
}
