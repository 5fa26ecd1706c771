use serde::{Deserialize, Serialize};

use super::TenantId;

/// How far the archive version's seal goes (PAdES baseline levels). B-LT and B-LTA (DSS and
/// document timestamp) come with the rest of the PAdES work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
pub enum SealLevel {
    /// The signature alone.
    #[serde(rename = "B-B")]
    #[default]
    BB,
    /// With a timestamp over the signature from a timestamp authority.
    #[serde(rename = "B-T")]
    BT,
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
