//! Scenarios: what happens to one person's orders until changed (fail at the next collect,
//! refuse or delay their RP calls), set through the control API.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::Simulator;
use esign_shared::bankid::types::HintCode;

/// Upper bound of the `slow` scenario's delay, in milliseconds.
pub const MAX_SLOW_DELAY_MS: u64 = 10_000;
const DEFAULT_SLOW_DELAY_MS: u64 = 1_000;

/// What the simulator does to one person's orders (see the control API in the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ScenarioKind {
    UserCancel,
    CertificateErr,
    Maintenance,
    InternalError,
    Slow,
    /// Removes the person's scenario.
    Normal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Scenario {
    pub personal_number: String,
    pub scenario: ScenarioKind,
    /// How many more times it acts; `None` until changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// For `slow`: the delay actually applied (bounded by [`MAX_SLOW_DELAY_MS`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
}

/// Uses one action of the person's scenario (removed when its count runs out).
fn consume_scenario(scenarios: &mut HashMap<String, Scenario>, personal_number: &str) {
    let exhausted = match scenarios.get_mut(personal_number) {
        Some(Scenario {
            count: Some(count), ..
        }) => {
            *count = count.saturating_sub(1);
            *count == 0
        }
        _ => false,
    };
    if exhausted {
        scenarios.remove(personal_number);
    }
}

/// The failure a `userCancel` / `certificateErr` scenario gives the person's order, if any.
pub(super) fn take_failure_scenario(
    scenarios: &mut HashMap<String, Scenario>,
    personal_number: &str,
) -> Option<HintCode> {
    let hint = match scenarios.get(personal_number)?.scenario {
        ScenarioKind::UserCancel => HintCode::UserCancel,
        ScenarioKind::CertificateErr => HintCode::CertificateErr,
        _ => return None,
    };
    consume_scenario(scenarios, personal_number);
    Some(hint)
}

/// What a scenario does to one RP call.
pub(super) enum RpScenario {
    Delay(std::time::Duration),
    Refuse(ApiError),
}

impl Simulator {
    /// Sets (or with [`ScenarioKind::Normal`] removes) the scenario of one person; the same
    /// as `POST /sim/scenario`. Returns the scenario as stored.
    pub fn set_scenario(
        &self,
        personal_number: &str,
        scenario: ScenarioKind,
        count: Option<u32>,
        delay_ms: Option<u64>,
    ) -> Result<Scenario, String> {
        if personal_number.len() != 12 || !personal_number.bytes().all(|b| b.is_ascii_digit()) {
            return Err("personalNumber must be 12 digits".into());
        }
        if count == Some(0) {
            return Err("count must be at least 1".into());
        }
        let stored = Scenario {
            personal_number: personal_number.to_string(),
            scenario,
            count: if scenario == ScenarioKind::Normal {
                None
            } else {
                count
            },
            delay_ms: (scenario == ScenarioKind::Slow).then(|| {
                delay_ms
                    .unwrap_or(DEFAULT_SLOW_DELAY_MS)
                    .min(MAX_SLOW_DELAY_MS)
            }),
        };
        let mut inner = self.lock();
        if scenario == ScenarioKind::Normal {
            inner.scenarios.remove(personal_number);
        } else {
            inner
                .scenarios
                .insert(personal_number.to_string(), stored.clone());
        }
        Ok(stored)
    }

    /// The stored scenarios, by personnummer.
    pub fn scenarios(&self) -> Vec<Scenario> {
        let mut list: Vec<Scenario> = self.lock().scenarios.values().cloned().collect();
        list.sort_by(|a, b| a.personal_number.cmp(&b.personal_number));
        list
    }

    /// The scenario action for an RP call, from the person the call concerns.
    pub(super) fn rp_scenario(&self, name: &str, body: &Bytes) -> Option<RpScenario> {
        let value: serde_json::Value = serde_json::from_slice(body).ok()?;
        let mut guard = self.lock();
        let inner = &mut *guard;
        let person = match name {
            "auth" | "sign" => value
                .get("requirement")?
                .get("personalNumber")?
                .as_str()?
                .to_string(),
            "phone/auth" | "phone/sign" => value.get("personalNumber")?.as_str()?.to_string(),
            _ => {
                let order_ref = value.get("orderRef")?.as_str()?;
                inner.orders.get(order_ref)?.person()?.to_string()
            }
        };
        let scenario = inner.scenarios.get(&person)?.clone();
        let action = match scenario.scenario {
            ScenarioKind::Maintenance => RpScenario::Refuse(ApiError::rp(
                StatusCode::SERVICE_UNAVAILABLE,
                "maintenance",
                "Scenario: maintenance",
            )),
            ScenarioKind::InternalError => RpScenario::Refuse(ApiError::rp(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internalError",
                "Scenario: internal error",
            )),
            ScenarioKind::Slow => RpScenario::Delay(std::time::Duration::from_millis(
                scenario
                    .delay_ms
                    .unwrap_or(DEFAULT_SLOW_DELAY_MS)
                    .min(MAX_SLOW_DELAY_MS),
            )),
            _ => return None,
        };
        consume_scenario(&mut inner.scenarios, &person);
        Some(action)
    }
}
