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
    use std::path::Path;

    /// The `.eml` files in `dir` addressed to `to`, oldest first, as a mail client reads them:
    /// parsed by an independent MIME parser (mail-parser, not lettre that wrote them), the
    /// subject decoded from its encoded words, the text from its transfer encoding and
    /// charset. Also the From address of each.
    fn read_back(dir: &Path, to: &str) -> Vec<(String, OutgoingMail)> {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        // The names begin with the time the mail was written.
        files.sort();
        let mut mails = Vec::new();
        for file in files {
            let raw = std::fs::read(&file).unwrap();
            let message = mail_parser::MessageParser::default()
                .parse(&raw)
                .unwrap_or_else(|| panic!("{} is not a MIME message", file.display()));
            let address = |a: Option<&mail_parser::Address>| -> Vec<String> {
                a.map(|a| {
                    a.iter()
                        .filter_map(|m| m.address())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
            };
            if !address(message.to()).iter().any(|r| r == to) {
                continue;
            }
            assert_eq!(address(message.to()), [to], "one recipient");
            assert!(message.cc().is_none() && message.bcc().is_none());
            assert_eq!(
                (message.text_body_count(), message.attachment_count()),
                (1, 0),
                "one plain-text part"
            );
            let text = message.body_text(0).expect("a text body");
            mails.push((
                address(message.from()).join(","),
                OutgoingMail {
                    to: to.to_string(),
                    subject: message.subject().expect("a subject").to_string(),
                    // RFC 5322 lines end in CRLF on the wire: the text as written has LF.
                    text: text.replace("\r\n", "\n"),
                },
            ));
        }
        mails
    }

    #[tokio::test]
    async fn behaves_like_a_mailer() {
        let dir = tempfile::tempdir().unwrap();
        let m = MailDir::new(dir.path(), "e-underskrift <noreply@localhost>").unwrap();
        let to = "anna@example.se";
        crate::port_tests::mailer_suite(&m, to, || async {
            read_back(dir.path(), to)
                .into_iter()
                .map(|(_, mail)| mail)
                .collect()
        })
        .await;
        assert_eq!(
            read_back(dir.path(), to)[0].0,
            "noreply@localhost",
            "sent from the configured address"
        );
    }
}
