//! The mailer on SES v2 `SendEmail` with simple content: SES builds the MIME message, so
//! subject and text go in as UTF-8 strings and arrive as written.

use async_trait::async_trait;
use aws_sdk_sesv2::error::DisplayErrorContext;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use aws_sdk_sesv2::Client;
use base64::Engine;
use lettre::message::Mailbox;

use super::{required_env, SettingError};
use crate::ports::{Mailer, OutgoingMail, PortError};

fn err(e: impl std::fmt::Display) -> PortError {
    PortError::new("mailer", e)
}

/// `Mailer` on SES. The From address (or its domain) must be a verified SES identity.
#[derive(Clone, Debug)]
pub struct SesMailer {
    client: Client,
    /// The From header as SES wants it (a non-ASCII display name MIME-encoded).
    from: String,
    configuration_set: Option<String>,
}

impl SesMailer {
    /// `from` is a mailbox, e.g. `e-underskrift <noreply@kommun.se>`; it is checked here so a
    /// bad setting fails at start, not at the first mail.
    pub fn new(client: Client, from: &str) -> Result<Self, PortError> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| err(format!("sender address {from:?}: {e}")))?;
        Ok(Self {
            client,
            from: header_mailbox(&from),
            configuration_set: None,
        })
    }

    pub fn from_conf(config: &aws_config::SdkConfig, from: &str) -> Result<Self, PortError> {
        Self::new(Client::new(config), from)
    }

    /// `ESIGN_MAIL_FROM` (required) and `ESIGN_SES_CONFIGURATION_SET` (optional: where SES
    /// reports bounces and complaints).
    pub fn from_env(config: &aws_config::SdkConfig) -> Result<Self, SettingError> {
        let from = required_env("ESIGN_MAIL_FROM")?;
        let mailer = Self::from_conf(config, &from).map_err(|e| SettingError::Invalid {
            name: "ESIGN_MAIL_FROM",
            why: e.message,
        })?;
        Ok(match std::env::var("ESIGN_SES_CONFIGURATION_SET") {
            Ok(set) if !set.is_empty() => mailer.with_configuration_set(set),
            _ => mailer,
        })
    }

    pub fn with_configuration_set(mut self, name: impl Into<String>) -> Self {
        self.configuration_set = Some(name.into());
        self
    }
}

/// A mailbox for a header: a display name outside ASCII as an RFC 2047 encoded word, which is
/// what SES asks for in `FromEmailAddress`.
fn header_mailbox(m: &Mailbox) -> String {
    match &m.name {
        Some(name) if !name.is_ascii() => format!(
            "=?UTF-8?B?{}?= <{}>",
            base64::engine::general_purpose::STANDARD.encode(name),
            m.email
        ),
        _ => m.to_string(),
    }
}

fn utf8(text: &str) -> Result<Content, PortError> {
    Content::builder()
        .data(text)
        .charset("UTF-8")
        .build()
        .map_err(err)
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), PortError> {
        // One well-formed address, nothing else: no header can ride along.
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|e| err(format!("recipient address: {e}")))?;
        let message = Message::builder()
            .subject(utf8(&mail.subject)?)
            .body(Body::builder().text(utf8(&mail.text)?).build())
            .build();
        let sent = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .destination(
                Destination::builder()
                    .to_addresses(header_mailbox(&to))
                    .build(),
            )
            .content(EmailContent::builder().simple(message).build())
            .set_configuration_set_name(self.configuration_set.clone())
            .send()
            .await
            // The error names the operation and SES's reason, never the mail's content.
            .map_err(|e| err(format!("SendEmail: {}", DisplayErrorContext(&e))))?;
        tracing::debug!(
            message_id = sent.message_id().unwrap_or_default(),
            "mail sent"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::aws::sdk_config;
    use crate::adapters::aws::test_support::{moto_settings, unique_name};
    use crate::lambda_harness::moto_data_dump;

    /// A mailer whose sender domain moto knows as verified, and its From header.
    async fn mailer() -> (SesMailer, String) {
        let config = sdk_config(&moto_settings()).await;
        let client = Client::new(&config);
        let domain = format!("{}.example", unique_name("kommun"));
        client
            .create_email_identity()
            .email_identity(&domain)
            .send()
            .await
            .unwrap();
        let from = format!("e-underskrift <noreply@{domain}>");
        (SesMailer::new(client, &from).unwrap(), from)
    }

    /// What moto recorded as sent to `to`: `ses.Message` in its data dump, with the sender.
    async fn sent_to(to: &str) -> Vec<(String, OutgoingMail)> {
        let data = moto_data_dump().await;
        let messages = data["ses"]["Message"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        messages
            .iter()
            .filter(|m| {
                m["destinations"]["ToAddresses"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|r| r == to))
            })
            .map(|m| {
                let s = |k: &str| m[k].as_str().unwrap_or_default().to_string();
                (
                    s("source"),
                    OutgoingMail {
                        to: to.to_string(),
                        subject: s("subject"),
                        text: s("body"),
                    },
                )
            })
            .collect()
    }

    #[tokio::test]
    async fn behaves_like_a_mailer() {
        let (m, from) = mailer().await;
        let to = format!("{}@example.se", unique_name("anna"));
        crate::port_tests::mailer_suite(&m, &to, || {
            let to = to.clone();
            async move { sent_to(&to).await.into_iter().map(|(_, m)| m).collect() }
        })
        .await;
        let sent = sent_to(&to).await;
        assert_eq!(sent[0].0, from, "sent from the configured address");
    }

    #[tokio::test]
    async fn a_swedish_sender_name_is_encoded_for_the_header() {
        let (m, _) = mailer().await;
        let domain = m.from.split('@').nth(1).unwrap().trim_end_matches('>');
        let from = format!("Örebro kommun <noreply@{domain}>");
        let m = SesMailer::new(m.client.clone(), &from).unwrap();
        assert_eq!(
            m.from,
            format!("=?UTF-8?B?w5ZyZWJybyBrb21tdW4=?= <noreply@{domain}>")
        );
        let to = format!("{}@example.se", unique_name("bo"));
        m.send(&OutgoingMail {
            to: to.clone(),
            subject: "Ämne".into(),
            text: "Text".into(),
        })
        .await
        .unwrap();
        assert_eq!(sent_to(&to).await[0].0, m.from);
    }

    #[tokio::test]
    async fn an_unverified_sender_or_a_bad_setting_is_refused() {
        let config = sdk_config(&moto_settings()).await;
        let m = SesMailer::from_conf(
            &config,
            &format!("noreply@{}.example", unique_name("unverified")),
        )
        .unwrap();
        let to = format!("{}@example.se", unique_name("cecilia"));
        let refused = m
            .send(&OutgoingMail {
                to: to.clone(),
                subject: "x".into(),
                text: "personal text".into(),
            })
            .await
            .unwrap_err();
        assert!(
            !refused.message.contains("personal text"),
            "{}",
            refused.message
        );
        assert!(sent_to(&to).await.is_empty());
        assert!(SesMailer::from_conf(&config, "not a mailbox").is_err());
    }
}
