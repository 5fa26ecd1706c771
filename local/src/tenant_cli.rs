//! `esign tenant archive`: record a tenant's delivery agreement with its e-archive (who
//! preserves the packages, whom to ask, retention from the records-management plan, the form
//! and the package profile). The packages made from then on follow it.
//! `esign tenant anslag`: when the tenant's notices come down.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use esign_shared::domain::{
    ArchiveAgreement, ArchiveContact, DeliveryForm, PackageProfile, Retention, TenantId,
};
use esign_shared::error::ErrorText;

use crate::LocalService;

#[derive(Clone, Copy, ValueEnum)]
pub enum RetentionClass {
    Bevaras,
    Gallras,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Form {
    /// The sealed PAdES archive version with its report.
    Signed,
    /// The signatures removed after they were checked; the metadata says one existed.
    SignatureRemoved,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Profile {
    /// E-ARK CSIP/SIP 2.1 = FGS Paketstruktur 2.0.
    #[value(name = "eark-sip-2.1")]
    EarkSip21,
    /// FGS Paketstruktur 1.2 (sip.xml).
    #[value(name = "fgs-1.2")]
    Fgs12,
}

#[derive(Args)]
pub struct ArchiveArgs {
    pub tenant: String,
    /// The e-archive that preserves the packages, e.g. "Sydarkivera".
    #[arg(long)]
    pub archive_name: Option<String>,
    /// The delivery agreement's reference.
    #[arg(long)]
    pub submission_agreement: Option<String>,
    #[arg(long, requires = "contact_email")]
    pub contact_name: Option<String>,
    #[arg(long, requires = "contact_name")]
    pub contact_email: Option<String>,
    #[arg(long, value_enum, default_value = "bevaras")]
    pub retention: RetentionClass,
    /// How long before gallring, e.g. "10 år" (with --retention gallras).
    #[arg(long)]
    pub retention_period: Option<String>,
    /// The records-management plan and its entry.
    #[arg(long)]
    pub plan_reference: Option<String>,
    #[arg(long, value_enum, default_value = "signed")]
    pub form: Form,
    #[arg(long, value_enum, default_value = "eark-sip-2.1")]
    pub profile: Profile,
    #[arg(long, default_value = "./esign-data")]
    pub data: PathBuf,
}

pub async fn set_archive_agreement(args: ArchiveArgs) -> Result<()> {
    let retention = match (args.retention, args.retention_period) {
        (RetentionClass::Bevaras, None) => Retention::Bevaras {
            plan_reference: args.plan_reference,
        },
        (RetentionClass::Bevaras, Some(_)) => {
            bail!("--retention-period goes with --retention gallras")
        }
        (RetentionClass::Gallras, Some(period)) => Retention::Gallras {
            plan_reference: args.plan_reference,
            period,
        },
        (RetentionClass::Gallras, None) => bail!("--retention gallras needs --retention-period"),
    };
    let agreement = ArchiveAgreement {
        archive_name: args.archive_name,
        submission_agreement: args.submission_agreement,
        contact: args
            .contact_name
            .zip(args.contact_email)
            .map(|(name, email)| ArchiveContact { name, email }),
        retention,
        form: match args.form {
            Form::Signed => DeliveryForm::Signed,
            Form::SignatureRemoved => DeliveryForm::SignatureRemoved,
        },
        profile: match args.profile {
            Profile::EarkSip21 => PackageProfile::EarkSip21,
            Profile::Fgs12 => PackageProfile::Fgs12,
        },
    };
    let service = LocalService::open(&args.data, "http://127.0.0.1:0")?;
    let t = TenantId::parse(&args.tenant).map_err(|e| anyhow::anyhow!("{}", e.message_en()))?;
    let saved = service
        .app
        .tenants
        .set_archive_agreement(&t, agreement)
        .await
        .map_err(crate::user_error)?;
    println!("{}", serde_json::to_string_pretty(&saved)?);
    Ok(())
}

#[derive(Clone, Copy, ValueEnum)]
pub enum TakeDownArg {
    /// On the appeal period's last day.
    LastDay,
    /// The day after the appeal period's last day.
    DayAfter,
}

#[derive(Args)]
pub struct AnslagArgs {
    pub tenant: String,
    #[arg(long, value_enum)]
    pub take_down: TakeDownArg,
    #[arg(long, default_value = "./esign-data")]
    pub data: PathBuf,
}

pub fn take_down(arg: TakeDownArg) -> esign_shared::domain::calendar::TakeDown {
    use esign_shared::domain::calendar::TakeDown;
    match arg {
        TakeDownArg::LastDay => TakeDown::LastDayOfAppeal,
        TakeDownArg::DayAfter => TakeDown::DayAfterAppeal,
    }
}

pub async fn set_anslag(args: AnslagArgs) -> Result<()> {
    let service = LocalService::open(&args.data, "http://127.0.0.1:0")?;
    let t = TenantId::parse(&args.tenant).map_err(|e| anyhow::anyhow!("{}", e.message_en()))?;
    service
        .app
        .tenants
        .set_anslag_take_down(&t, take_down(args.take_down))
        .await
        .map_err(crate::user_error)?;
    Ok(())
}

#[derive(Args)]
pub struct RenewalArgs {
    pub tenant: String,
    /// Renew a kept archive version this many months before its proof of existence ends
    /// (1 to 120; 24 unless set).
    #[arg(long)]
    pub months: u32,
    #[arg(long, default_value = "./esign-data")]
    pub data: PathBuf,
}

pub async fn set_renewal(args: RenewalArgs) -> Result<()> {
    let service = LocalService::open(&args.data, "http://127.0.0.1:0")?;
    let t = TenantId::parse(&args.tenant).map_err(|e| anyhow::anyhow!("{}", e.message_en()))?;
    service
        .app
        .tenants
        .set_renewal_window(&t, args.months)
        .await
        .map_err(crate::user_error)?;
    Ok(())
}
