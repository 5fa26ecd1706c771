//! The contract of each port. Every adapter runs the same suite, so the embedded default and
//! the AWS adapters cannot drift apart. Panics are the assertions. One file per port; each
//! suite is run from the test module of every adapter that implements the port:
//!
//! | suite | run against |
//! |-------|-------------|
//! | [`object_store_suite`] | `FsObjectStore`, `S3ObjectStore` (plain, and prefixed with SSE-KMS), `RoutedObjectStore` |
//! | [`object_versions_suite`] | `FsObjectStore`, `S3ObjectStore` (a bucket with versioning), `RoutedObjectStore` |
//! | [`state_store_suite`] | `RedbStateStore`, `DynamoStateStore` |
//! | [`key_signer_suite`] | `SoftwareKeySigner`, `KmsKeySigner` |
//! | [`cipher_suite`] | `LocalCipher`, `KmsCipher` |
//! | [`queue_suite`] | `InProcessQueue`, `SqsQueue` |
//! | [`mailer_suite`] | `MailDir` (its `.eml` files read back by mail-parser), `SesMailer` (what moto recorded) |
//! | [`uploads_bucket_suite`] | `S3UploadsBucket` (the embedded backend has no uploads bucket) |
//! | [`eid_provider_suite`] | `BankIdProvider` against the simulator, over plain HTTP and over mutual TLS |
//! | [`unconfigured_eid_suite`] | `BankIdNotConfigured` |
//! | [`timestamp_source_suite`] | `HttpTimestampClient` against the world's TSA and against `openssl ts -reply`; `LocalTsa` in process |
//! | [`revocation_source_suite`] | `HttpRevocationSource` against the world's responder; `InProcessRevocation` over it |
//!
//! The adapters of `esign-shared` run them in their own test modules (the AWS ones on moto).
//! Those that need the local world (the BankID simulator, the TSA, the OCSP/CRL responder) run
//! in `esign-world`'s `port_suites`, where the world and the suites share one copy of this
//! crate: this crate's own unit tests would see a second one.

mod cipher;
mod eid;
pub mod fault_matrix;
pub mod faults;
mod keys;
mod mail;
mod objects;
mod queue;
mod revocation;
mod state;
mod timestamp;
mod uploads;

pub use cipher::cipher_suite;
pub use eid::{eid_provider_suite, unconfigured_eid_suite};
pub use keys::key_signer_suite;
pub use mail::mailer_suite;
pub use objects::{object_store_suite, object_versions_suite};
pub use queue::queue_suite;
pub use revocation::{revocation_source_suite, RevocationFixture};
pub use state::{item, put_new, state_store_suite};
pub use timestamp::timestamp_source_suite;
pub use uploads::uploads_bucket_suite;
