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
    InvalidPlan(PlanProblem),
    #[error("the deadline has not passed yet")]
    NotDueYet,
    #[error("a comment is required when declining")]
    CommentRequired,
    #[error("another worker holds this pipeline step until {until}")]
    StepClaimed {
        until: chrono::DateTime<chrono::Utc>,
    },
    #[error("another worker took this pipeline step over")]
    ClaimLost,
    #[error("the renewal window must be between 1 and {max} months")]
    RenewalWindow { max: u32 },
}

impl crate::error::ErrorText for DomainError {
    fn code(&self) -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::from({
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
                Self::InvalidPlan(p) => return p.code(),
                Self::NotDueYet => "order.not_due",
                Self::CommentRequired => "order.comment_required",
                Self::StepClaimed { .. } => "pipeline.step_claimed",
                Self::ClaimLost => "pipeline.claim_lost",
                Self::RenewalWindow { .. } => "tenant.renewal_window",
            }
        })
    }

    fn message_sv(&self) -> String {
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
            Self::InvalidPlan(p) => p.message_sv(),
            Self::NotDueYet => "Sista dag för underskrift har inte passerats än.".into(),
            Self::CommentRequired => "Skriv en kommentar när du avböjer.".into(),
            Self::StepClaimed { .. } | Self::ClaimLost => {
                "Steget görs redan av en annan process.".into()
            }
            Self::RenewalWindow { max } => {
                format!("Förnyelsen ska ske mellan 1 och {max} månader innan beviset upphör.")
            }
        }
    }
}

/// Why a list of signers or a deadline cannot make a signing order. Signers are counted from 1,
/// as the secretary sees them in the form.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PlanProblem {
    #[error("no signers")]
    NoSigners,
    #[error("more than {} signers", super::order::MAX_SIGNERS)]
    TooManySigners,
    #[error("signer {0} has no name")]
    SignerWithoutName(usize),
    #[error("signer {0} is already named earlier in the list")]
    DuplicateSigner(usize),
    #[error("signer {0} has no step")]
    StepMissing(usize),
    #[error("the deadline is in the past")]
    DeadlineInPast,
}

impl crate::error::ErrorText for PlanProblem {
    fn code(&self) -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::from({
            match self {
                Self::NoSigners => "order.no_signers",
                Self::TooManySigners => "order.too_many_signers",
                Self::SignerWithoutName(_) => "order.signer_without_name",
                Self::DuplicateSigner(_) => "order.duplicate_signer",
                Self::StepMissing(_) => "order.step_missing",
                Self::DeadlineInPast => "order.deadline_in_past",
            }
        })
    }

    fn message_sv(&self) -> String {
        match self {
            Self::NoSigners => "Ange minst en person som ska signera.".into(),
            Self::TooManySigners => format!(
                "Högst {} personer kan signera samma dokument.",
                super::order::MAX_SIGNERS
            ),
            Self::SignerWithoutName(n) => format!("Undertecknare {n} saknar namn."),
            Self::DuplicateSigner(n) => {
                format!("Undertecknare {n} finns redan tidigare i listan (samma personnummer).")
            }
            Self::StepMissing(n) => {
                format!("Undertecknare {n} saknar steg (signering i steg).")
            }
            Self::DeadlineInPast => "Sista dag för underskrift har redan passerats.".into(),
        }
    }
}
