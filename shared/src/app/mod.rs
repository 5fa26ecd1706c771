//! Use cases. Each takes the caller's identity, enforces authorisation and the domain's
//! transitions, and talks to the world only through the ports.

mod error;
mod jobs;
mod portal;
mod repo;
mod staff;
mod texts;
pub mod views;

pub use error::AppError;
pub use portal::{CollectOutcome, LoginOutcome, SignerSession, StartedEid};
pub use staff::{CreateOrderInput, SignerInput, Staff, TenantSetup};

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
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            public_base_url: "http://127.0.0.1:8080".into(),
            max_upload_bytes: 500 * 1024 * 1024,
            max_pages: 5000,
            session_minutes: 30,
            signature_method: "Mobilt BankID".into(),
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

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn ports(&self) -> &Ports {
        &self.ports
    }
}
