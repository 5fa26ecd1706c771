//! Use cases. Each takes the caller's identity, enforces authorisation and the domain's
//! transitions, and talks to the world only through the ports.

mod error;
mod jobs;
mod portal;
mod repo;
mod staff;
mod texts;
pub mod uploads;
pub mod views;

pub use error::AppError;
pub use portal::{CollectOutcome, LoginOutcome, SignerSession, StartedEid};
pub use staff::{CreateOrderInput, SignerInput, Staff, StaffRole, TenantSetup};

use std::sync::Arc;

use crate::ports::{
    Clock, EidProvider, KeySigner, Mailer, ObjectStore, PersonalDataCipher, Queue, StateStore,
};

/// Everything the use cases need from the outside world.
#[derive(Clone)]
pub struct Ports {
    pub objects: Arc<dyn ObjectStore>,
    pub state: Arc<dyn StateStore>,
    pub keys: Arc<dyn KeySigner>,
    pub cipher: Arc<dyn PersonalDataCipher>,
    pub mailer: Arc<dyn Mailer>,
    pub queue: Arc<dyn Queue>,
    pub eid: Arc<dyn EidProvider>,
    pub clock: Arc<dyn Clock>,
    /// The timestamp authority for seals at PAdES B-T and above (None: B-B only).
    pub timestamp: Option<Arc<dyn crate::pdf::TimestampSource>>,
    /// OCSP responses and CRLs for seals at PAdES B-LT and above (None: B-T at most).
    pub revocation: Option<Arc<dyn crate::pdf::RevocationSource>>,
    /// Direct uploads by presigned PUT (None: documents come in the request body only).
    pub uploads: Option<Arc<dyn crate::ports::UploadsBucket>>,
}

#[derive(Clone, Debug)]
pub struct Settings {
    /// Where links in e-mails point, e.g. `http://127.0.0.1:8080`.
    pub public_base_url: String,
    pub max_upload_bytes: u64,
    pub max_pages: u32,
    /// How long a portal session lasts.
    pub session_minutes: i64,
    /// The signature method named on the signature page.
    pub signature_method: String,
    /// How long before the deadline signers who have not signed get a reminder.
    pub remind_hours_before_deadline: i64,
}

impl Settings {
    /// What intake accepts: the same for uploads and for `esign seal`.
    pub fn intake_limits(&self) -> crate::pdf::IntakeLimits {
        crate::pdf::IntakeLimits {
            max_bytes: self.max_upload_bytes,
            max_pages: self.max_pages,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            public_base_url: "http://127.0.0.1:8080".into(),
            max_upload_bytes: 500 * 1024 * 1024,
            max_pages: 5000,
            session_minutes: 30,
            signature_method: "Mobilt BankID".into(),
            remind_hours_before_deadline: 48,
        }
    }
}

#[derive(Clone)]
pub struct App {
    pub(crate) ports: Ports,
    pub(crate) settings: Settings,
}

impl App {
    pub fn new(ports: Ports, settings: Settings) -> Self {
        Self { ports, settings }
    }

    /// The same app with another timestamp authority.
    pub fn with_timestamp(mut self, tsa: Arc<dyn crate::pdf::TimestampSource>) -> Self {
        self.ports.timestamp = Some(tsa);
        self
    }

    /// The same app with another source of revocation data.
    pub fn with_revocation(mut self, source: Arc<dyn crate::pdf::RevocationSource>) -> Self {
        self.ports.revocation = Some(source);
        self
    }

    /// The highest PAdES level this installation can make: B-LTA needs a timestamp authority
    /// and revocation data, B-T a timestamp authority.
    pub fn highest_seal_level(&self) -> crate::domain::SealLevel {
        use crate::domain::SealLevel;
        match (&self.ports.timestamp, &self.ports.revocation) {
            (Some(_), Some(_)) => SealLevel::BLTA,
            (Some(_), None) => SealLevel::BT,
            _ => SealLevel::BB,
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn ports(&self) -> &Ports {
        &self.ports
    }
}

/// An app on the embedded adapters in a temp dir, with the real BankID simulator on a
/// loopback port and a seal certificate from a throwaway root: for tests of the use cases.
#[cfg(all(test, feature = "embedded"))]
pub(crate) mod test_app {
    use std::sync::Arc;

    use super::*;
    use crate::domain::TenantId;
    use crate::x509::pem_encode_cert;
    use esign_world::bankid::{router, Simulator};
    use esign_world::pki::{CertificateAuthority, SubjectName};

    pub struct TestApp {
        pub app: App,
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
            crate::bankid::BankIdClient::new(
                &format!("{sim_base}/rp/v6.0/"),
                reqwest::Client::new(),
            ),
            vec![bankid_root],
        );
        let (mut ports, _queue, worker) =
            crate::config::embedded_ports(dir.path(), Arc::new(eid)).unwrap();
        ports.clock = clock.clone();
        let app = App::new(ports, Settings::default());
        tokio::spawn(worker.run(Arc::new(app.clone())));
        TestApp {
            app,
            sim_base,
            clock,
            root: CertificateAuthority::create_root("Test root", "Test", now).unwrap(),
            _dir: dir,
        }
    }

    impl TestApp {
        /// A tenant with an installed seal certificate; returns its API key.
        pub async fn add_tenant(&self, id: &str) -> String {
            let t = TenantId::parse(id).unwrap();
            self.app
                .create_tenant(TenantSetup {
                    id: t.clone(),
                    name: format!("{id} kommun"),
                    organization_number: None,
                    storage_place: "Kansliet".into(),
                })
                .await
                .unwrap();
            let spki = self.app.seal_public_key(&t).await.unwrap();
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
            self.app.install_seal_chain(&t, &chain).await.unwrap();
            self.app.issue_api_key(&t).await.unwrap()
        }

        /// The signer's phone: open the order by its autostart token, identify, confirm.
        pub async fn phone_approves(&self, auto_start_token: &str, personal_number: &str) {
            crate::lambda_harness::phone_approves(&self.sim_base, auto_start_token, personal_number)
                .await
        }
    }
}
