//! Mail to signers and secretaries (a mail directory locally, SES in AWS).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::PortError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingMail {
    pub to: String,
    pub subject: String,
    pub text: String,
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), PortError>;
}
