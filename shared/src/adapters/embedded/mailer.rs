use async_trait::async_trait;
use lettre::message::{header::ContentType, Mailbox, Message};
use std::path::PathBuf;

use crate::ports::{Mailer, OutgoingMail, PortError};

/// Writes each mail as an RFC 5322 `.eml` file in a directory (open it in any mail client).
pub struct MailDir {
    dir: PathBuf,
    from: Mailbox,
}

fn err(e: impl std::fmt::Display) -> PortError {
    PortError::new("mailer", e)
}

impl MailDir {
    pub fn new(dir: impl Into<PathBuf>, from: &str) -> Result<Self, PortError> {
        Ok(Self {
            dir: dir.into(),
            from: from.parse().map_err(err)?,
        })
    }
}

#[async_trait]
impl Mailer for MailDir {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), PortError> {
        let to: Mailbox = mail.to.parse().map_err(err)?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(mail.text.clone())
            .map_err(err)?;
        let name = format!(
            "{}-{}.eml",
            chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ"),
            uuid::Uuid::new_v4().simple()
        );
        let path = self.dir.join(name);
        let bytes = message.formatted();
        tokio::task::spawn_blocking(move || super::write_atomic(&path, &bytes))
            .await
            .map_err(err)?
            .map_err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn writes_a_readable_eml_with_swedish_text() {
        let dir = tempfile::tempdir().unwrap();
        let m = MailDir::new(dir.path(), "e-underskrift <noreply@localhost>").unwrap();
        m.send(&OutgoingMail {
            to: "anna@example.se".into(),
            subject: "Protokoll att justera: Kommunstyrelsen".into(),
            text: "Hej! Du ombeds justera protokollet. Åäö.".into(),
        })
        .await
        .unwrap();
        let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(files.len(), 1);
        let raw = std::fs::read_to_string(files[0].as_ref().unwrap().path()).unwrap();
        assert!(raw.contains("To: anna@example.se"));
        assert!(raw.contains("Subject:"));
        assert!(m
            .send(&OutgoingMail {
                to: "not an address".into(),
                subject: "x".into(),
                text: "x".into()
            })
            .await
            .is_err());
    }
}
