//! Pure types and rules: no I/O, no async, no AWS types.

pub mod api_key;
pub mod archive_agreement;
pub mod calendar;
pub mod confidential;
pub mod document;
pub mod error;
pub mod idempotency;
pub mod ids;
pub mod notice;
pub mod order;
pub mod personnummer;
pub mod personnummer_in_text;
pub mod pipeline;
pub mod renewal;
pub mod seal_level;
pub mod tenant;

pub use archive_agreement::{
    ArchiveAgreement, ArchiveContact, DeliveryForm, PackageProfile, Retention,
};
pub use document::Document;
pub use error::DomainError;
pub use ids::{DocumentId, OrderId, SignerId, TenantId};
pub use order::{
    NewSigner, OrderEvent, OrderStatus, Role, SignatureState, Signer, SigningOrder, SigningPlan,
};
pub use personnummer::Personnummer;
pub use pipeline::{PipelinePosition, PipelineStep};
pub use renewal::{ArchiveProof, RenewalWindow};
pub use seal_level::{MissingService, SealServices};
pub use tenant::{SealLevel, StaffRole, Tenant};
