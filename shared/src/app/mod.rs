//! The use cases, one service per kind of work, each holding only the ports it uses:
//!
//! | service | what | ports |
//! |---------|------|-------|
//! | [`Tenants`] | tenants, seal certificates, API keys, staff, who a caller is | state, key signer, cipher, clock |
//! | [`Documents`] | intake of uploads (body or presigned PUT), reading them back | state, objects, uploads bucket, clock |
//! | [`Orders`] | the secretary's side of signing orders, the files they lead to | state, cipher, objects, mailer, clock |
//! | [`Portal`] | BankID login, sessions, the signer's documents, signing, rejecting | state, objects, eID, cipher, queue, mailer, clock |
//! | [`Pipeline`] | seal → publish → archive-export, and `esign seal` | state, cipher, objects, key signer, queue, clock, timestamp, revocation |
//! | [`Housekeeping`] | reminders, expiry, the anslagstavla, queueing dropped work again | state, cipher, queue, mailer, clock |
//!
//! Records are read and written through `crate::repo` only. [`App`] composes them from a
//! [`Ports`]: `esign`, the Lambda functions and the tests do that, at their edges.

mod board;
#[cfg(all(test, feature = "embedded"))]
mod board_tests;
mod documents;
mod download;
mod error;
#[cfg(all(test, feature = "embedded"))]
mod fault_matrix_tests;
mod housekeeping;
mod idempotency;
mod identity;
mod notify;
mod orders;
mod pipeline;
mod portal;
mod settings;
mod tenants;
mod texts;
pub use texts::verification_verdict;
mod validate;
pub mod views;

#[cfg(all(test, feature = "embedded"))]
pub(crate) mod test_app;
#[cfg(all(test, feature = "embedded"))]
pub(crate) mod test_objects;

pub use board::{content_type_of, Board, PublicFile};
pub use documents::{
    parse_incoming_key, ArrivedUpload, Documents, IncomingKey, UploadTicket, INCOMING_PREFIX,
    UPLOAD_URL_MINUTES,
};
pub use download::Download;
pub use error::AppError;
pub use housekeeping::{Housekeeping, HousekeepingError, HousekeepingReport};
pub use idempotency::{Begin, CallKey, Claim, Idempotency};
pub use identity::{SignerSession, Staff};
pub use orders::{CreateOrderInput, Orders, SignerInput};
pub use pipeline::{Pipeline, Renewal, SealSources};
pub use portal::{CollectOutcome, LoginOutcome, Portal, StartedEid};
pub use settings::{ClientIpSource, Settings};
pub use tenants::{NewApiKey, TenantSetup, Tenants};

pub use crate::domain::StaffRole;

use std::sync::Arc;

use crate::ports::{
    Clock, EidProvider, KeySigner, Mailer, ObjectStore, PersonalDataCipher, Queue,
    RevocationSource, StateStore, TimestampSource, UploadsBucket,
};

/// Everything the use cases need from the outside world: what a composition root builds.
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
    pub timestamp: Option<Arc<dyn TimestampSource>>,
    /// OCSP responses and CRLs for seals at PAdES B-LT and above (None: B-T at most).
    pub revocation: Option<Arc<dyn RevocationSource>>,
    /// Direct uploads by presigned PUT (None: documents come in the request body only).
    pub uploads: Option<Arc<dyn UploadsBucket>>,
}

/// Every service, composed from one set of ports. Cheap to clone; the web routes hold one.
#[derive(Clone)]
pub struct App {
    pub tenants: Arc<Tenants>,
    pub documents: Arc<Documents>,
    pub orders: Arc<Orders>,
    pub portal: Arc<Portal>,
    pub pipeline: Arc<Pipeline>,
    pub housekeeping: Arc<Housekeeping>,
    pub idempotency: Arc<Idempotency>,
    settings: Settings,
}

impl App {
    pub fn new(ports: Ports, settings: Settings) -> Self {
        let p = ports;
        let board = Board::new(
            p.objects.clone(),
            p.state.clone(),
            p.clock.clone(),
            settings.base_url(),
        );
        let notify = notify::Notifier::new(p.mailer.clone(), &settings.public_base_url);
        let sources = SealSources {
            timestamp: p.timestamp.clone(),
            revocation: p.revocation.clone(),
        };
        Self {
            tenants: Arc::new(Tenants::new(
                p.state.clone(),
                p.keys.clone(),
                p.cipher.clone(),
                p.clock.clone(),
                board.clone(),
                sources.services(),
            )),
            documents: Arc::new(Documents::new(
                p.state.clone(),
                p.objects.clone(),
                p.uploads.clone(),
                p.clock.clone(),
                settings.clone(),
            )),
            orders: Arc::new(Orders::new(
                p.state.clone(),
                p.cipher.clone(),
                p.objects.clone(),
                p.queue.clone(),
                notify.clone(),
                p.clock.clone(),
            )),
            portal: Arc::new(Portal::new(
                p.state.clone(),
                p.objects.clone(),
                p.eid.clone(),
                p.cipher.clone(),
                p.queue.clone(),
                notify.clone(),
                p.clock.clone(),
                settings.clone(),
            )),
            pipeline: Arc::new(Pipeline::new(
                p.state.clone(),
                p.cipher.clone(),
                p.objects.clone(),
                p.keys.clone(),
                p.queue.clone(),
                p.clock.clone(),
                sources,
                board.clone(),
                notify.clone(),
                settings.clone(),
            )),
            housekeeping: Arc::new(Housekeeping::new(
                p.state.clone(),
                p.cipher.clone(),
                p.queue.clone(),
                notify,
                board,
                p.clock.clone(),
                settings.clone(),
            )),
            idempotency: Arc::new(Idempotency::new(p.state.clone(), p.clock.clone())),
            settings,
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }
}
