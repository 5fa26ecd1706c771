//! Serde types exactly as the v6.0 wire format (camelCase, absent rather than null).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Body of `/auth`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthRequest {
    pub end_user_ip: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirement: Option<Requirement>,
    /// Base64 of UTF-8 text shown under "Min avsikt:" in the app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_visible_data: Option<String>,
    /// `"simpleMarkdownV1"` or absent for plain text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_visible_data_format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_non_visible_data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_risk: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web: Option<WebDevice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<AppDevice>,
}

/// Body of `/sign`: like [`AuthRequest`] but the visible text is required (it is what is signed).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignRequest {
    pub end_user_ip: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirement: Option<Requirement>,
    /// Base64 of the UTF-8 text displayed and signed.
    pub user_visible_data: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_visible_data_format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_non_visible_data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_risk: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web: Option<WebDevice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<AppDevice>,
}

/// Who called whom in a `/phone/*` order: exactly `"user"` or `"RP"` on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CallInitiator {
    /// The user called the relying party.
    #[serde(rename = "user")]
    User,
    /// The relying party called the user.
    #[serde(rename = "RP")]
    Rp,
}

/// `requirement` of `/phone/auth` and `/phone/sign` (digest §1.3: pinCode, certificatePolicies;
/// go-bankid also cardReader).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneRequirement {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_code: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_policies: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_reader: Option<String>,
}

/// Body of `/phone/auth`: the user is in a phone call with the RP. No `endUserIp`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneAuthRequest {
    /// 12 digits, YYYYMMDDNNNN. Required: the order goes to this person's app.
    pub personal_number: String,
    pub call_initiator: CallInitiator,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirement: Option<PhoneRequirement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_visible_data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_visible_data_format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_non_visible_data: Option<String>,
}

/// Body of `/phone/sign`: like [`PhoneAuthRequest`] but the visible text is required.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneSignRequest {
    pub personal_number: String,
    pub call_initiator: CallInitiator,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirement: Option<PhoneRequirement>,
    pub user_visible_data: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_visible_data_format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_non_visible_data: Option<String>,
}

/// Response of `/phone/auth` and `/phone/sign`: only the order reference (no QR, no autostart).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneOrderStarted {
    pub order_ref: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Requirement {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_code: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mrtd: Option<bool>,
    /// `"class1"` or `"class2"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_reader: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_policies: Option<Vec<String>>,
    /// 12 digits, YYYYMMDDNNNN: only this person can complete the order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personal_number: Option<String>,
    /// `"low"` or `"moderate"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebDevice {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_identifier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referring_domain: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppDevice {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_identifier: Option<String>,
    #[serde(default, rename = "deviceOS", skip_serializing_if = "Option::is_none")]
    pub device_os: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_model_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_identifier: Option<String>,
}

/// Response of `/auth` and `/sign`. `qr_start_secret` must never reach the browser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderStarted {
    pub order_ref: String,
    pub auto_start_token: String,
    pub qr_start_token: String,
    pub qr_start_secret: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CollectStatus {
    Pending,
    Failed,
    Complete,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CollectResponse {
    pub order_ref: String,
    pub status: CollectStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint_code: Option<HintCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_data: Option<CompletionData>,
}

/// Hint codes of `/collect`. BankID may add codes without notice, so unknown ones are kept
/// verbatim in `Unknown` instead of failing the whole response.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HintCode {
    OutstandingTransaction,
    NoClient,
    Started,
    UserMrtd,
    UserCallConfirm,
    UserSign,
    ExpiredTransaction,
    CertificateErr,
    UserCancel,
    Cancelled,
    StartFailed,
    UserDeclinedCall,
    NotSupportedByUserApp,
    TransactionRiskBlocked,
    Unknown(String),
}

impl HintCode {
    /// The wire spelling (camelCase).
    pub fn as_str(&self) -> &str {
        match self {
            HintCode::OutstandingTransaction => "outstandingTransaction",
            HintCode::NoClient => "noClient",
            HintCode::Started => "started",
            HintCode::UserMrtd => "userMrtd",
            HintCode::UserCallConfirm => "userCallConfirm",
            HintCode::UserSign => "userSign",
            HintCode::ExpiredTransaction => "expiredTransaction",
            HintCode::CertificateErr => "certificateErr",
            HintCode::UserCancel => "userCancel",
            HintCode::Cancelled => "cancelled",
            HintCode::StartFailed => "startFailed",
            HintCode::UserDeclinedCall => "userDeclinedCall",
            HintCode::NotSupportedByUserApp => "notSupportedByUserApp",
            HintCode::TransactionRiskBlocked => "transactionRiskBlocked",
            HintCode::Unknown(code) => code,
        }
    }

    /// Parses the wire spelling; anything unrecognised becomes `Unknown`.
    pub fn parse(code: &str) -> HintCode {
        match code {
            "outstandingTransaction" => HintCode::OutstandingTransaction,
            "noClient" => HintCode::NoClient,
            "started" => HintCode::Started,
            "userMrtd" => HintCode::UserMrtd,
            "userCallConfirm" => HintCode::UserCallConfirm,
            "userSign" => HintCode::UserSign,
            "expiredTransaction" => HintCode::ExpiredTransaction,
            "certificateErr" => HintCode::CertificateErr,
            "userCancel" => HintCode::UserCancel,
            "cancelled" => HintCode::Cancelled,
            "startFailed" => HintCode::StartFailed,
            "userDeclinedCall" => HintCode::UserDeclinedCall,
            "notSupportedByUserApp" => HintCode::NotSupportedByUserApp,
            "transactionRiskBlocked" => HintCode::TransactionRiskBlocked,
            other => HintCode::Unknown(other.to_string()),
        }
    }
}

impl Serialize for HintCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for HintCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Ok(HintCode::parse(&code))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompletionData {
    pub user: User,
    pub device: Device,
    /// `YYYY-MM-DD`.
    pub bank_id_issue_date: String,
    /// Present when `requirement.mrtd` was requested. BankID's own sample spells it `setUp`.
    #[serde(default, alias = "setUp", skip_serializing_if = "Option::is_none")]
    pub step_up: Option<StepUp>,
    /// Base64 of the XMLDSig document (see `bankid::evidence`).
    pub signature: String,
    /// Base64 of a DER OCSP response for the user's certificate.
    pub ocsp_response: String,
    /// `low` | `moderate` | `high`, only when risk was requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub personal_number: String,
    pub name: String,
    pub given_name: String,
    pub surname: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    pub ip_address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uhi: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepUp {
    pub mrtd: bool,
}

/// Body of `/collect` and `/cancel`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderRefRequest {
    pub order_ref: String,
}

/// Error body of every method: `{"errorCode": "...", "details": "..."}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub error_code: String,
    #[serde(default)]
    pub details: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collect_pending_with_unknown_hint_parses() {
        let json = r#"{"orderRef":"a","status":"pending","hintCode":"somethingNew"}"#;
        let parsed: CollectResponse = serde_json::from_str(json).expect("parses");
        assert_eq!(
            parsed.hint_code,
            Some(HintCode::Unknown("somethingNew".into()))
        );
        assert_eq!(serde_json::to_string(&parsed).expect("serializes"), json);
    }

    #[test]
    fn hint_codes_round_trip_in_camel_case() {
        for code in [
            "userMrtd",
            "outstandingTransaction",
            "transactionRiskBlocked",
            "startFailed",
        ] {
            let hint = HintCode::parse(code);
            assert!(!matches!(hint, HintCode::Unknown(_)), "{code}");
            assert_eq!(hint.as_str(), code);
        }
    }

    #[test]
    fn complete_response_matches_wire_example() {
        let json = r#"{"orderRef":"131daac9","status":"complete","completionData":{
          "user":{"personalNumber":"190000000000","name":"Karl Karlsson","givenName":"Karl","surname":"Karlsson"},
          "device":{"ipAddress":"192.168.0.1","uhi":"OZvYM9VvyiAmG7NA5jU5zqGcVpo="},
          "bankIdIssueDate":"2020-02-01","setUp":{"mrtd":true},
          "signature":"PD94","ocspResponse":"MIIH","risk":"low"}}"#;
        let parsed: CollectResponse = serde_json::from_str(json).expect("parses");
        let data = parsed.completion_data.expect("completion data");
        assert_eq!(data.user.given_name, "Karl");
        assert_eq!(data.step_up, Some(StepUp { mrtd: true }));
        assert_eq!(
            data.device.uhi.as_deref(),
            Some("OZvYM9VvyiAmG7NA5jU5zqGcVpo=")
        );
        assert!(parsed.hint_code.is_none());
    }

    #[test]
    fn absent_options_are_not_serialized() {
        let req = AuthRequest {
            end_user_ip: "1.2.3.4".into(),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_string(&req).expect("serializes"),
            r#"{"endUserIp":"1.2.3.4"}"#
        );
        let app = AppDevice {
            device_os: Some("IOS 17".into()),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_string(&app).expect("serializes"),
            r#"{"deviceOS":"IOS 17"}"#
        );
    }
}
