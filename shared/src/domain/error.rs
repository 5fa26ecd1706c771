use thiserror::Error;

use super::order::OrderStatus;

/// A rule of the domain was broken. Each variant has a stable machine-readable code and a
/// message in Swedish and English, because these reach users through the HTTP API.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    #[error("invalid {kind} id")]
    InvalidId { kind: &'static str, value: String },
    #[error("illegal transition: cannot {action} when the order is {from:?}")]
    IllegalTransition {
        action: &'static str,
        from: OrderStatus,
    },
    #[error("the signature is for version {given}, the order is on version {current}")]
    StaleVersion { given: u32, current: u32 },
    #[error("the signer is not named in this order")]
    NotASigner,
    #[error("the signer has already signed or declined")]
    AlreadyActed,
    #[error("it is not this signer's turn yet")]
    NotYourTurn,
    #[error("the deadline has passed")]
    DeadlinePassed,
    #[error("invalid signing order: {0}")]
    InvalidPlan(String),
    #[error("a comment is required when declining")]
    CommentRequired,
}

impl DomainError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidId { kind, .. } => match *kind {
                "tenant" => "id.invalid_tenant",
                "document" => "id.invalid_document",
                "order" => "id.invalid_order",
                _ => "id.invalid",
            },
            Self::IllegalTransition { .. } => "order.illegal_transition",
            Self::StaleVersion { .. } => "order.stale_version",
            Self::NotASigner => "order.not_a_signer",
            Self::AlreadyActed => "order.already_acted",
            Self::NotYourTurn => "order.not_your_turn",
            Self::DeadlinePassed => "order.deadline_passed",
            Self::InvalidPlan(_) => "order.invalid_plan",
            Self::CommentRequired => "order.comment_required",
        }
    }

    pub fn message_sv(&self) -> String {
        match self {
            Self::InvalidId { kind, .. } => format!("Ogiltig identitet ({kind})."),
            Self::IllegalTransition { action, from } => format!(
                "Åtgärden ({action}) är inte tillåten när ordern har status {}.",
                from.label_sv()
            ),
            Self::StaleVersion { given, current } => format!(
                "Underskriften gäller version {given} men dokumentet har skickats om som version {current}."
            ),
            Self::NotASigner => "Du är inte namngiven som undertecknare i den här ordern.".into(),
            Self::AlreadyActed => "Du har redan signerat eller avböjt.".into(),
            Self::NotYourTurn => "Det är inte din tur att signera ännu.".into(),
            Self::DeadlinePassed => "Sista dag för underskrift har passerats.".into(),
            Self::InvalidPlan(why) => format!("Ogiltig signeringsordning: {why}"),
            Self::CommentRequired => "Skriv en kommentar när du avböjer.".into(),
        }
    }

    pub fn message_en(&self) -> String {
        self.to_string()
    }
}
