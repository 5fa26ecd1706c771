//! What a tenant's delivery agreement (leveransöverenskommelse) with its e-archive says: who
//! preserves the packages and whom to ask, how long the protocols are kept (from the
//! records-management plan), and in which form and package profile they are delivered.
//! Archives decide these; the package follows them.

use serde::{Deserialize, Serialize};

/// How long the protocols are kept, as the tenant's records-management plan
/// (dokumenthanteringsplan, informationshanteringsplan) says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "class")]
pub enum Retention {
    /// Bevaras: kept for ever (what plans say for protocols).
    Bevaras {
        /// The plan and its entry, e.g. "DHP KS 2024, 1.2.3".
        #[serde(default)]
        plan_reference: Option<String>,
    },
    /// Gallras: destroyed after a period.
    Gallras {
        #[serde(default)]
        plan_reference: Option<String>,
        /// e.g. "10 år"
        period: String,
    },
}

impl Default for Retention {
    fn default() -> Self {
        Retention::Bevaras {
            plan_reference: None,
        }
    }
}

impl Retention {
    /// "Bevaras" or "Gallras", as the plan writes it.
    pub fn action_sv(&self) -> &'static str {
        match self {
            Retention::Bevaras { .. } => "Bevaras",
            Retention::Gallras { .. } => "Gallras",
        }
    }

    pub fn plan_reference(&self) -> Option<&str> {
        match self {
            Retention::Bevaras { plan_reference } | Retention::Gallras { plan_reference, .. } => {
                plan_reference.as_deref()
            }
        }
    }
}

/// The form the archive takes the document in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryForm {
    /// The sealed PAdES archive version, with the validation report.
    #[default]
    Signed,
    /// The signatures removed after they were checked (some regional archives refuse embedded
    /// signatures): the document with its signature page, the evidence, the report, and the
    /// metadata saying a signature existed.
    SignatureRemoved,
}

/// The package structure the archive takes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum PackageProfile {
    /// E-ARK CSIP/SIP 2.1, which is FGS Paketstruktur 2.0.
    #[default]
    #[serde(rename = "eark-sip-2.1")]
    EarkSip21,
    /// FGS Paketstruktur 1.2 (`sip.xml`), for archives still on 1.x.
    #[serde(rename = "fgs-1.2")]
    Fgs12,
}

/// Someone at the tenant the archive can ask about a delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveContact {
    pub name: String,
    pub email: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveAgreement {
    /// The e-archive that preserves the packages, e.g. "Sydarkivera".
    #[serde(default)]
    pub archive_name: Option<String>,
    /// The agreement's reference, e.g. "LÖ 2025:3".
    #[serde(default)]
    pub submission_agreement: Option<String>,
    #[serde(default)]
    pub contact: Option<ArchiveContact>,
    #[serde(default)]
    pub retention: Retention,
    #[serde(default)]
    pub form: DeliveryForm,
    #[serde(default)]
    pub profile: PackageProfile,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenant_stored_before_agreements_reads_as_the_default() {
        let agreement: ArchiveAgreement = serde_json::from_str("{}").unwrap();
        assert_eq!(agreement, ArchiveAgreement::default());
        assert_eq!(agreement.retention.action_sv(), "Bevaras");
        assert_eq!(agreement.form, DeliveryForm::Signed);
        assert_eq!(agreement.profile, PackageProfile::EarkSip21);
    }

    #[test]
    fn retention_round_trips_with_its_class() {
        let r = Retention::Gallras {
            plan_reference: Some("DHP 2.1".into()),
            period: "10 år".into(),
        };
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["class"], "gallras");
        assert_eq!(serde_json::from_value::<Retention>(json).unwrap(), r);
    }
}
