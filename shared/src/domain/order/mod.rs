//! The signing order and its state machine. Every transition in DESIGN.md is a method of
//! [`SigningOrder`] (in `transitions`; what an order says without changing it is in
//! `queries`); anything else is a typed [`DomainError`](super::DomainError).
//!
//! ```text
//!  Open ──sign (last)──▶ Completed ──▶ Sealed ──▶ Published ──▶ Exported
//!   │ ▲ ╲
//!   │ │  ╲decline──▶ Declined ──recall──▶ Recalled
//!   │ │                │ resend             │ resend
//!   │ └────────────────┴────────────────────┘ (new version; old signatures never count)
//!   └─deadline──▶ Expired ──resend──▶ Open
//!
//!  Completed / Sealed / Published ──step fails for good──▶ Failed ──retry──▶ (the same status)
//! ```

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::calendar::AnslagDates;
use super::pipeline::{PipelineFailure, StepClaim};
use super::renewal::ArchiveProof;
use super::{DocumentId, OrderId, Personnummer, SignerId, TenantId};

mod pipeline_work;
mod queries;
mod renewal;
mod transitions;

/// What the signer does in the justering; decides the wording in the BankID app and on the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// ordförande
    Ordforande,
    /// justerare
    Justerare,
    /// sekreterare (protokollförare)
    Sekreterare,
    /// avtalspart or other party
    Part,
}

impl Role {
    pub fn label_sv(self) -> &'static str {
        match self {
            Role::Ordforande => "Ordförande",
            Role::Justerare => "Justerare",
            Role::Sekreterare => "Sekreterare",
            Role::Part => "Part",
        }
    }
    /// What the signer declares in the BankID app.
    pub fn declaration_sv(self) -> &'static str {
        match self {
            Role::Ordforande | Role::Justerare => "Jag justerar protokollet.",
            Role::Sekreterare => "Jag intygar att protokollet är fört av mig.",
            Role::Part => "Jag godkänner och undertecknar dokumentet.",
        }
    }
}

/// How signers take turns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SigningPlan {
    /// Everybody at once.
    Parallel,
    /// One after the other, in the order given.
    Sequential,
    /// Groups: each signer carries a step number; a step opens when every earlier step is signed.
    Steps,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Open,
    Declined,
    Recalled,
    Expired,
    Completed,
    Sealed,
    Published,
    Exported,
    /// A pipeline step failed for good; `SigningOrder::failure` says which and why.
    Failed,
}

impl OrderStatus {
    pub fn label_sv(&self) -> &'static str {
        match self {
            OrderStatus::Open => "väntar på underskrift",
            OrderStatus::Declined => "avböjd",
            OrderStatus::Recalled => "återkallad",
            OrderStatus::Expired => "förfallen",
            OrderStatus::Completed => "signerad av alla",
            OrderStatus::Sealed => "förseglad",
            OrderStatus::Published => "publicerad",
            OrderStatus::Exported => "arkiverad",
            OrderStatus::Failed => "stoppad av ett fel",
        }
    }
    /// Whether housekeeping may have work on an order in this status: reminders and expiry
    /// while open, a pipeline step to queue again after the signatures. The index of active
    /// work (`repo::OrderRepo::active`) holds exactly these orders, so housekeeping's cost
    /// grows with them, not with every order ever made.
    pub fn is_active(&self) -> bool {
        matches!(
            self,
            OrderStatus::Open
                | OrderStatus::Completed
                | OrderStatus::Sealed
                | OrderStatus::Published
        )
    }

    /// Signing is over for good: the seal has (or will) run on this version.
    pub fn is_complete(&self) -> bool {
        matches!(
            self,
            OrderStatus::Completed
                | OrderStatus::Sealed
                | OrderStatus::Published
                | OrderStatus::Exported
                | OrderStatus::Failed
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSigner {
    pub name: String,
    pub email: Option<String>,
    pub role: Role,
    pub personnummer: Personnummer,
    /// Only with [`SigningPlan::Steps`].
    pub step: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signer {
    pub id: SignerId,
    pub name: String,
    pub email: Option<String>,
    pub role: Role,
    pub personnummer: Personnummer,
    pub step: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SignatureState {
    Pending,
    Signed {
        at: DateTime<Utc>,
        /// Where the verified BankID evidence is stored.
        evidence_key: String,
    },
    Declined {
        at: DateTime<Utc>,
        comment: String,
    },
}

/// One version of the document sent for signing. A resend makes a new version; signatures
/// live in their version, so nothing signed on an earlier version can count for a later one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderVersion {
    pub number: u32,
    pub document_id: DocumentId,
    pub file_name: String,
    pub sent_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    /// Indexed like `SigningOrder::signers`.
    pub signatures: Vec<SignatureState>,
    /// The secretary's own publication version of this version's document, used instead of it
    /// when the publish step makes the publication version (a protocol the service cannot
    /// check for personnummer by itself).
    #[serde(default)]
    pub publication_document: Option<DocumentId>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderEvent {
    pub at: DateTime<Utc>,
    pub kind: String,
    pub version: u32,
    pub signer: Option<SignerId>,
    pub detail: Option<String>,
}

/// What the secretary says about the meeting; shown to signers and on the notice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingDetails {
    /// organ / nämnd
    pub committee: String,
    pub meeting_date: NaiveDate,
    /// e.g. "§§ 1–14"
    pub paragraphs: String,
    pub title: String,
    pub diarienummer: Option<String>,
    pub message: Option<String>,
    /// Where the secretary wants word when someone declines or everyone has signed.
    #[serde(default)]
    pub secretary_email: Option<String>,
    /// Omedelbar justering (kommunallagen 5 kap. 70 §): these paragraphs were justerade at the
    /// meeting itself, and the notice says so.
    #[serde(default)]
    pub immediate: bool,
    /// Paragraphs under sekretess: left out of the publication version, with a line naming
    /// the ground where each stood.
    #[serde(default)]
    pub confidential: Vec<super::confidential::ConfidentialParagraph>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningOrder {
    pub id: OrderId,
    pub tenant: TenantId,
    pub meeting: MeetingDetails,
    pub plan: SigningPlan,
    pub signers: Vec<Signer>,
    pub status: OrderStatus,
    pub versions: Vec<OrderVersion>,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub history: Vec<OrderEvent>,
    /// The anslag's dates, from the day the notice was posted (set when published).
    #[serde(default)]
    pub anslag: Option<AnslagDates>,
    /// Who is doing the next pipeline step now (a lease), and how many attempts it took.
    #[serde(default)]
    pub claim: Option<StepClaim>,
    /// Why the pipeline stopped (status `Failed`).
    #[serde(default)]
    pub failure: Option<PipelineFailure>,
    /// Until when the kept archive version proves its existence, and its renewals (set when
    /// sealed with a timestamp).
    #[serde(default)]
    pub archive_proof: Option<ArchiveProof>,
}

pub struct NewOrder {
    pub id: OrderId,
    pub tenant: TenantId,
    pub meeting: MeetingDetails,
    pub plan: SigningPlan,
    pub signers: Vec<NewSigner>,
    pub document_id: DocumentId,
    pub file_name: String,
    pub deadline: DateTime<Utc>,
}

pub const MAX_SIGNERS: usize = 50;
pub const MAX_COMMENT_CHARS: usize = 2000;

#[cfg(test)]
mod tests;
