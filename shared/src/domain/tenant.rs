use serde::{Deserialize, Serialize};

use super::TenantId;

/// How far the archive version's seal goes (PAdES baseline levels, ETSI EN 319 142-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
pub enum SealLevel {
    /// The signature alone.
    #[serde(rename = "B-B")]
    #[default]
    BB,
    /// With a timestamp over the signature from a timestamp authority.
    #[serde(rename = "B-T")]
    BT,
    /// With the validation data (certificates, OCSP responses, CRLs) in the document's DSS.
    #[serde(rename = "B-LT")]
    BLT,
    /// With a document timestamp over all of it, so it can be renewed for decades.
    #[serde(rename = "B-LTA")]
    BLTA,
}

impl SealLevel {
    pub const ALL: [SealLevel; 4] = [
        SealLevel::BB,
        SealLevel::BT,
        SealLevel::BLT,
        SealLevel::BLTA,
    ];

    /// "B-B", "B-T", "B-LT", "B-LTA".
    pub fn name(self) -> &'static str {
        match self {
            SealLevel::BB => "B-B",
            SealLevel::BT => "B-T",
            SealLevel::BLT => "B-LT",
            SealLevel::BLTA => "B-LTA",
        }
    }

    pub fn parse(s: &str) -> Option<SealLevel> {
        let s = s.trim().trim_start_matches("PAdES-");
        SealLevel::ALL
            .into_iter()
            .find(|l| l.name().eq_ignore_ascii_case(s))
    }
}

/// A municipality, kommunalförbund or gemensam nämnd using the service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    pub id: TenantId,
    /// Shown to signers and on the notice, e.g. "Norrbottens e-nämnd".
    pub name: String,
    pub organization_number: Option<String>,
    /// förvaringsplats för protokollet, shown on the notice.
    pub storage_place: String,
    pub seal_level: SealLevel,
    /// The delivery agreement with the e-archive (defaults for tenants from before it).
    #[serde(default)]
    pub archive: super::ArchiveAgreement,
    /// When a notice comes down: on the appeal period's last day or the day after.
    #[serde(default)]
    pub anslag_take_down: super::calendar::TakeDown,
    /// How long before its proof of existence ends a kept archive version is renewed.
    #[serde(default)]
    pub renew_within_months: super::RenewalWindow,
}

/// What a member of staff may do for their tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    /// nämndsekreterare, registrator: documents and signing orders.
    Secretary,
    /// Also manages the tenant's staff. API keys act as admin.
    Admin,
}
