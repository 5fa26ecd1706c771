//! The completed order: the holder's certificate, the signature XML over what was shown and
//! signed, and an OCSP response for the certificate, as `completionData` carries them.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use der::Decode;
use sha2::{Digest, Sha256};

use super::error::{internal, not_pending, phone_no_such_order, ApiError};
use super::order::{OrderKind, OrderState};
use super::Simulator;
use crate::bankid::ocsp::build_ocsp_response;
use crate::bankid::pki::{issue_ocsp_responder, issue_person_cert, MOBILE_BANKID_TEST_POLICY};
use crate::bankid::xml::{signature_document, SignedDataInput};
use axum::http::StatusCode;
use esign_shared::bankid::types::{CompletionData, Device, HintCode, StepUp, User};

impl Simulator {
    pub(super) fn phone_confirm(&self, order_ref: &str) -> Result<(), ApiError> {
        let now = self.now();
        let mut guard = self.lock();
        let inner = &mut *guard;
        let order = inner
            .orders
            .get_mut(order_ref)
            .ok_or_else(phone_no_such_order)?;
        order.advance(now, &self.config);
        let holder = match (&order.state, &order.holder) {
            (OrderState::Pending(HintCode::UserSign), Some(holder)) => holder.clone(),
            _ => return Err(not_pending()),
        };
        if !inner.credentials.contains_key(&holder.personal_number) {
            let credential = issue_person_cert(
                &self.ca,
                &holder.personal_number,
                &holder.given_name,
                &holder.surname,
                now,
            )
            .map_err(|e| ApiError::phone(StatusCode::INTERNAL_SERVER_ERROR, "internalError", &e))?;
            inner
                .credentials
                .insert(holder.personal_number.clone(), credential);
        }
        if inner.ocsp_responder.is_none() {
            let responder = issue_ocsp_responder(&self.ca, now).map_err(internal)?;
            inner.ocsp_responder = Some(responder);
        }
        let (Some(credential), Some(responder)) = (
            inner.credentials.get(&holder.personal_number),
            inner.ocsp_responder.as_ref(),
        ) else {
            return Err(ApiError::phone(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internalError",
                "credential missing",
            ));
        };
        let mut chain = vec![credential.cert_der.clone()];
        chain.extend(
            self.ca
                .chain_der
                .iter()
                .filter(|der| !is_self_signed(der))
                .cloned(),
        );
        let uhi = BASE64.encode(&Sha256::digest(holder.personal_number.as_bytes())[..21]);
        let policy = order
            .requirement
            .certificate_policies
            .as_ref()
            .and_then(|p| p.first().cloned())
            .unwrap_or_else(|| MOBILE_BANKID_TEST_POLICY.to_string());
        let input = SignedDataInput {
            usr_visible_data: order.user_visible_data.as_deref(),
            usr_non_visible_data: order.user_non_visible_data.as_deref(),
            rp_name: &self.config.rp_name,
            rp_display_name: &self.config.rp_display_name,
            func_id: match order.kind {
                OrderKind::Auth => "Identification",
                OrderKind::Sign => "Signing",
            },
            uhi: &uhi,
            certificate_policy: &policy,
        };
        let xml = signature_document(&input, &chain, &credential.key);
        let signature_b64 = BASE64.encode(xml.as_bytes());
        let issuer_der = self
            .ca
            .chain_der
            .first()
            .ok_or_else(|| internal("empty CA chain".into()))?;
        let ocsp = build_ocsp_response(
            issuer_der,
            &credential.cert_der,
            &responder.cert_der,
            &responder.key,
            &signature_b64,
            now,
        )
        .map_err(internal)?;
        let data = CompletionData {
            user: User {
                personal_number: holder.personal_number.clone(),
                name: format!("{} {}", holder.given_name, holder.surname),
                given_name: holder.given_name.clone(),
                surname: holder.surname.clone(),
            },
            device: Device {
                ip_address: holder
                    .ip_address
                    .clone()
                    .unwrap_or_else(|| order.end_user_ip.clone()),
                uhi: Some(uhi),
            },
            bank_id_issue_date: credential.issued_at.format("%Y-%m-%d").to_string(),
            step_up: (order.requirement.mrtd == Some(true)).then_some(StepUp { mrtd: true }),
            signature: signature_b64,
            ocsp_response: BASE64.encode(ocsp),
            risk: (order.return_risk || order.requirement.risk.is_some())
                .then(|| "low".to_string()),
        };
        order.state = OrderState::Complete(Box::new(data));
        order.terminal_at = Some(now);
        Ok(())
    }
}

fn is_self_signed(der: &[u8]) -> bool {
    x509_cert::Certificate::from_der(der)
        .map(|c| c.tbs_certificate.subject == c.tbs_certificate.issuer)
        .unwrap_or(false)
}
