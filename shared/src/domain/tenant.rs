use serde::{Deserialize, Serialize};

use super::TenantId;

/// How far the archive version's seal goes. B-B is what this build makes; the higher levels
/// are added by the PAdES work (timestamps, DSS, document timestamp).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum SealLevel {
    #[serde(rename = "B-B")]
    #[default]
    BB,
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
}
