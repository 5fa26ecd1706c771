//! The eID port on the BankID RP API: what the use cases ask for, in BankID's terms.

use async_trait::async_trait;
use base64::{engine::general_purpose::STANDARD as B64, Engine};

use super::evidence::{verify_completion, ExpectedEvidence};
use super::types::{AuthRequest, CollectStatus, Requirement, SignRequest, WebDevice};
use super::{BankIdClient, BankIdError};
use crate::error::ErrorText;
use crate::ports::{
    EidCollect, EidError, EidIdentity, EidProvider, EidSignText, EidStarted, EndUser, PortError,
};

pub struct BankIdProvider {
    client: BankIdClient,
    /// The CA certificates (DER) that user certificates must chain to.
    trust_anchors: Vec<Vec<u8>>,
    /// `requirement.certificatePolicies`; empty means BankID's defaults.
    certificate_policies: Vec<String>,
}

impl BankIdProvider {
    pub fn new(client: BankIdClient, trust_anchors: Vec<Vec<u8>>) -> Self {
        Self {
            client,
            trust_anchors,
            certificate_policies: Vec::new(),
        }
    }

    pub fn with_certificate_policies(mut self, policies: Vec<String>) -> Self {
        self.certificate_policies = policies;
        self
    }

    fn policies(&self) -> Option<Vec<String>> {
        (!self.certificate_policies.is_empty()).then(|| self.certificate_policies.clone())
    }
}

fn refused(e: BankIdError) -> EidError {
    match e {
        BankIdError::Transport(t) => EidError::Port(PortError::new("bankid", t)),
        other => EidError::Refused {
            code: other.error_code().to_string(),
            details: other.to_string(),
        },
    }
}

/// BankID's `web` device data, from what the browser told us; sent only when there is any.
/// The referring domain must be a bare host name (`0-9 a-z . -`), the user agent at most 256
/// characters. No device identifier: we keep no persistent device cookie.
fn web_device(end_user: &EndUser) -> Option<WebDevice> {
    let referring_domain = end_user
        .referring_domain
        .as_deref()
        .map(str::to_ascii_lowercase)
        .filter(|d| {
            !d.is_empty()
                && d.len() <= 253
                && d.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        });
    let user_agent = end_user
        .user_agent
        .as_deref()
        .map(|ua| {
            ua.chars()
                .filter(|c| !c.is_control())
                .take(256)
                .collect::<String>()
        })
        .filter(|ua| !ua.is_empty());
    (referring_domain.is_some() || user_agent.is_some()).then_some(WebDevice {
        device_identifier: None,
        referring_domain,
        user_agent,
    })
}

/// What the signer reads under "Min avsikt" when logging in.
const LOGIN_TEXT: &str = "Logga in i e-underskrift för att läsa och justera protokoll.";

#[async_trait]
impl EidProvider for BankIdProvider {
    async fn start_auth(&self, end_user: &EndUser) -> Result<EidStarted, EidError> {
        let req = AuthRequest {
            end_user_ip: end_user.ip.clone(),
            requirement: self.policies().map(|p| Requirement {
                certificate_policies: Some(p),
                ..Default::default()
            }),
            user_visible_data: Some(B64.encode(LOGIN_TEXT)),
            user_visible_data_format: Some("simpleMarkdownV1".into()),
            user_non_visible_data: None,
            return_url: None,
            return_risk: None,
            web: web_device(end_user),
            app: None,
        };
        let o = self.client.auth(&req).await.map_err(refused)?;
        Ok(EidStarted {
            order_ref: o.order_ref,
            auto_start_token: o.auto_start_token,
            qr_start_token: o.qr_start_token,
            qr_start_secret: o.qr_start_secret,
        })
    }

    async fn start_sign(
        &self,
        end_user: &EndUser,
        personal_number: &str,
        text: &EidSignText,
    ) -> Result<EidStarted, EidError> {
        let req = SignRequest {
            end_user_ip: end_user.ip.clone(),
            // Only the named signer can complete it, and only with their security code.
            requirement: Some(Requirement {
                personal_number: Some(personal_number.to_string()),
                pin_code: Some(true),
                certificate_policies: self.policies(),
                ..Default::default()
            }),
            user_visible_data: text.user_visible_data_b64.clone(),
            user_visible_data_format: Some("simpleMarkdownV1".into()),
            user_non_visible_data: Some(text.user_non_visible_data_b64.clone()),
            return_url: None,
            return_risk: None,
            web: web_device(end_user),
            app: None,
        };
        let o = self.client.sign(&req).await.map_err(refused)?;
        Ok(EidStarted {
            order_ref: o.order_ref,
            auto_start_token: o.auto_start_token,
            qr_start_token: o.qr_start_token,
            qr_start_secret: o.qr_start_secret,
        })
    }

    async fn collect(&self, order_ref: &str) -> Result<EidCollect, EidError> {
        let r = self.client.collect(order_ref).await.map_err(refused)?;
        let hint_code = r.hint_code.as_ref().map(|h| h.as_str().to_string());
        Ok(match r.status {
            CollectStatus::Pending => EidCollect::Pending { hint_code },
            CollectStatus::Failed => EidCollect::Failed { hint_code },
            CollectStatus::Complete => {
                let cd = r.completion_data.ok_or_else(|| {
                    EidError::Port(PortError::new("bankid", "complete without completionData"))
                })?;
                EidCollect::Complete {
                    identity: EidIdentity {
                        personal_number: cd.user.personal_number.clone(),
                        name: cd.user.name.clone(),
                        given_name: cd.user.given_name.clone(),
                        surname: cd.user.surname.clone(),
                    },
                    completion_data: serde_json::to_value(&cd)
                        .map_err(|e| EidError::Port(PortError::new("bankid", e)))?,
                }
            }
        })
    }

    async fn cancel(&self, order_ref: &str) -> Result<(), EidError> {
        self.client.cancel(order_ref).await.map_err(refused)
    }

    fn verify_evidence(
        &self,
        completion_data: &serde_json::Value,
        personal_number: &str,
        text: Option<&EidSignText>,
    ) -> Result<serde_json::Value, EidError> {
        let field = |name: &str| {
            completion_data
                .get(name)
                .and_then(|v| v.as_str())
                .ok_or_else(|| EidError::EvidenceRejected(format!("completionData has no {name}")))
        };
        let signature = field("signature")?;
        let ocsp = field("ocspResponse")?;
        let login_text = B64.encode(LOGIN_TEXT);
        let expected = ExpectedEvidence {
            personal_number,
            user_visible_data_b64: text
                .map(|t| t.user_visible_data_b64.as_str())
                .unwrap_or(&login_text),
            user_non_visible_data_b64: text.map(|t| t.user_non_visible_data_b64.as_str()),
        };
        let report = verify_completion(signature, ocsp, &self.trust_anchors, Some(&expected))
            .map_err(|e| EidError::EvidenceRejected(format!("{}: {e}", e.code())))?;
        serde_json::to_value(&report).map_err(|e| EidError::Port(PortError::new("bankid", e)))
    }
}

/// The eID provider of a function that never talks to BankID (every function but
/// bankid-collect, which alone may read the BankID secret): every call is refused.
pub struct BankIdNotConfigured;

impl BankIdNotConfigured {
    fn refused() -> EidError {
        EidError::Refused {
            code: "notConfigured".into(),
            details: "BankID is not configured for this function".into(),
        }
    }
}

#[async_trait]
impl EidProvider for BankIdNotConfigured {
    async fn start_auth(&self, _: &EndUser) -> Result<EidStarted, EidError> {
        Err(Self::refused())
    }
    async fn start_sign(
        &self,
        _: &EndUser,
        _: &str,
        _: &EidSignText,
    ) -> Result<EidStarted, EidError> {
        Err(Self::refused())
    }
    async fn collect(&self, _: &str) -> Result<EidCollect, EidError> {
        Err(Self::refused())
    }
    async fn cancel(&self, _: &str) -> Result<(), EidError> {
        Err(Self::refused())
    }
    fn verify_evidence(
        &self,
        _: &serde_json::Value,
        _: &str,
        _: Option<&EidSignText>,
    ) -> Result<serde_json::Value, EidError> {
        Err(EidError::EvidenceRejected(
            "BankID is not configured for this function".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_device_data_is_what_bankid_accepts() {
        let d = web_device(&EndUser {
            ip: "192.0.2.1".into(),
            user_agent: Some(format!("Mozilla/5.0 \u{7}{}", "x".repeat(400))),
            referring_domain: Some("Esign.Kommun.SE".into()),
        })
        .unwrap();
        assert_eq!(d.referring_domain.as_deref(), Some("esign.kommun.se"));
        let ua = d.user_agent.unwrap();
        assert_eq!(ua.chars().count(), 256);
        assert!(!ua.contains('\u{7}'));
        assert!(d.device_identifier.is_none());
        let odd = web_device(&EndUser {
            ip: "192.0.2.1".into(),
            user_agent: None,
            referring_domain: Some("evil.se/path?x".into()),
        });
        assert_eq!(odd, None, "a malformed domain is left out, not sent");
        assert_eq!(web_device(&EndUser::at_ip("192.0.2.1")), None);
    }
}
