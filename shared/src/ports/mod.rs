//! The traits the use cases need, one file per port. Each has one behaviour suite
//! (`crate::port_tests`) that every adapter must pass: the embedded ones and the AWS ones
//! (against an emulator), the queues, the mailers, the eID provider, the timestamp and
//! revocation sources.

mod cipher;
mod clock;
mod eid;
mod keys;
mod mail;
mod objects;
mod queue;
mod state;
mod uploads;

pub use cipher::PersonalDataCipher;
pub use clock::{Clock, ManualClock, SystemClock};
pub use eid::{EidCollect, EidError, EidIdentity, EidProvider, EidSignText, EidStarted, EndUser};
pub use keys::{KeyAlgorithm, KeySigner};
pub use mail::{Mailer, OutgoingMail};
pub use objects::{NewVersion, ObjectStore};
pub use queue::{Job, JobFailure, JobHandler, Queue, Retry};
pub use state::{Expect, IndexKey, Item, StateError, StateStore, Write};
pub use uploads::{PresignedUpload, UploadsBucket};

/// RFC 3161 timestamps for seals at PAdES B-T and above: an authority over HTTP in
/// production, the local world's in-process (its trait lives with the client, `crate::pdf`).
pub use crate::pdf::timestamp::{TimestampError, TimestampSource};
/// OCSP responses and CRLs for seals at PAdES B-LT and above (its trait lives with the
/// collector, `crate::revocation`).
pub use crate::revocation::{RevocationData, RevocationError, RevocationSource};

/// A failure of the infrastructure behind a port (disk, database, network): not the user's fault.
#[derive(Debug, thiserror::Error)]
#[error("{port}: {message}")]
pub struct PortError {
    pub port: &'static str,
    pub message: String,
}

impl PortError {
    pub fn new(port: &'static str, message: impl std::fmt::Display) -> Self {
        Self {
            port,
            message: message.to_string(),
        }
    }
}
