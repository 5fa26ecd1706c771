//! Tenants and access: making a tenant and its seal key, installing the seal certificate,
//! staff, and who a caller is; API keys in `api_keys.rs`.

#[path = "api_keys.rs"]
mod api_keys;
pub use api_keys::NewApiKey;

use std::sync::Arc;

use super::board::Board;
use super::validate::{optional_text, text_field, valid_email};
use super::{AppError, SignerSession, Staff};
use crate::domain::{
    ArchiveAgreement, ArchiveContact, Personnummer, Retention, SealServices, StaffRole, Tenant,
    TenantId,
};
use crate::error::ErrorText;
use crate::ports::{Clock, KeySigner, PersonalDataCipher, StateStore};
use crate::repo::{ApiKeyRepo, StaffMembership, StaffRepo, TenantRecord, TenantRepo, Versioned};

pub struct TenantSetup {
    pub id: TenantId,
    pub name: String,
    pub organization_number: Option<String>,
    pub storage_place: String,
}

pub struct Tenants {
    tenants: TenantRepo,
    api_keys: ApiKeyRepo,
    staff: StaffRepo,
    keys: Arc<dyn KeySigner>,
    cipher: Arc<dyn PersonalDataCipher>,
    clock: Arc<dyn Clock>,
    board: Board,
    /// What the installation can seal with: a new tenant gets the highest level.
    seal_services: SealServices,
}

/// The tenant `t` as stored, or "not found": where every service's work for a tenant starts.
pub(super) async fn existing_tenant(
    tenants: &TenantRepo,
    t: &TenantId,
) -> Result<Versioned<TenantRecord>, AppError> {
    tenants
        .get(t)
        .await?
        .ok_or(AppError::NotFound { what: "tenant" })
}

impl Tenants {
    pub fn new(
        state: Arc<dyn StateStore>,
        keys: Arc<dyn KeySigner>,
        cipher: Arc<dyn PersonalDataCipher>,
        clock: Arc<dyn Clock>,
        board: Board,
        seal_services: SealServices,
    ) -> Self {
        Self {
            tenants: TenantRepo::new(state.clone()),
            api_keys: ApiKeyRepo::new(state.clone()),
            staff: StaffRepo::new(state),
            keys,
            cipher,
            clock,
            board,
            seal_services,
        }
    }

    async fn record(&self, t: &TenantId) -> Result<Versioned<TenantRecord>, AppError> {
        existing_tenant(&self.tenants, t).await
    }

    /// Create a tenant with its seal key; returns nothing secret. Idempotent for the same id.
    pub async fn create_tenant(&self, setup: TenantSetup) -> Result<Tenant, AppError> {
        let tenant = Tenant {
            id: setup.id.clone(),
            name: text_field("name", &setup.name, 200)?,
            organization_number: setup.organization_number,
            storage_place: text_field("storage_place", &setup.storage_place, 300)?,
            // B-LTA where the installation can make it: the highest level is the default.
            seal_level: self.seal_services.highest_level(),
            archive: Default::default(),
            anslag_take_down: Default::default(),
            renew_within_months: Default::default(),
        };
        let rec = TenantRecord::new(tenant.clone());
        self.keys.ensure_key(&rec.seal_key_id).await?;
        if self.tenants.create(&rec).await? {
            // The anslagstavla exists from the first day, empty until a notice is posted.
            self.board.rebuild(&tenant.id).await?;
            Ok(tenant)
        } else {
            Ok(self.record(&setup.id).await?.value.tenant)
        }
    }

    pub async fn list_tenants(&self) -> Result<Vec<TenantId>, AppError> {
        Ok(self.tenants.list().await?)
    }

    pub async fn tenant(&self, t: &TenantId) -> Result<Tenant, AppError> {
        Ok(self.record(t).await?.value.tenant)
    }

    /// The seal key's public key (SPKI DER), for ordering its certificate.
    pub async fn seal_public_key(&self, t: &TenantId) -> Result<Vec<u8>, AppError> {
        let rec = self.record(t).await?.value;
        Ok(self.keys.public_key(&rec.seal_key_id).await?)
    }

    /// Install the seal certificate chain (PEM, seal certificate first). It must be for the
    /// tenant's own seal key, or sealing would make signatures nobody can verify.
    pub async fn install_seal_chain(&self, t: &TenantId, chain_pem: &str) -> Result<(), AppError> {
        use der::{Decode, Encode};
        let certs = crate::x509::pem_decode_certs(chain_pem).map_err(|e| {
            AppError::bad_request(
                "seal.bad_chain",
                format!("Ogiltig certifikatkedja: {e}"),
                format!("Invalid certificate chain: {e}"),
            )
        })?;
        let leaf = certs.first().ok_or_else(|| {
            AppError::bad_request(
                "seal.bad_chain",
                "Certifikatkedjan är tom.",
                "The certificate chain is empty.",
            )
        })?;
        let cert = x509_cert::Certificate::from_der(leaf).map_err(|e| {
            AppError::bad_request(
                "seal.bad_chain",
                format!("Ogiltigt certifikat: {e}"),
                format!("Invalid certificate: {e}"),
            )
        })?;
        // A valid path now, anchored at the chain's last certificate (the x509 module's checks).
        crate::x509::validate_supplied_chain(
            &certs,
            self.clock.now(),
            crate::x509::Purpose::Signing,
        )
        .map_err(|e| {
            AppError::bad_request(
                "seal.bad_chain",
                format!("Ogiltig certifikatkedja: {}", e.message_sv()),
                format!("Invalid certificate chain: {}", e.message_en()),
            )
        })?;
        let cert_spki = cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let Versioned { mut value, version } = self.record(t).await?;
        let key_spki = self.keys.public_key(&value.seal_key_id).await?;
        if cert_spki != key_spki {
            return Err(AppError::bad_request(
                "seal.key_mismatch",
                "Sigillcertifikatet hör inte till organisationens sigillnyckel.",
                "The seal certificate is not for the tenant's seal key.",
            ));
        }
        value.seal_chain_pem = Some(chain_pem.to_string());
        self.tenants.update(&value, version).await?;
        Ok(())
    }

    /// Record what the tenant's delivery agreement with its e-archive says; the packages made
    /// from now on follow it.
    pub async fn set_archive_agreement(
        &self,
        t: &TenantId,
        agreement: ArchiveAgreement,
    ) -> Result<ArchiveAgreement, AppError> {
        let agreement = checked_agreement(agreement)?;
        let Versioned { mut value, version } = self.record(t).await?;
        value.tenant.archive = agreement.clone();
        self.tenants.update(&value, version).await?;
        Ok(agreement)
    }

    /// The roots the service trusts for seals: the top of every tenant's installed seal chain
    /// (what the public verification page checks a seal against).
    pub async fn trust_anchors(&self) -> Result<Vec<Vec<u8>>, AppError> {
        let mut anchors = Vec::new();
        for t in self.tenants.list().await? {
            let Some(rec) = self.tenants.get(&t).await? else {
                continue;
            };
            // A chain that cannot be read roots nothing here (sealing refuses it anyway).
            for root in seal_root(&rec.value).unwrap_or_default() {
                if !anchors.contains(&root) {
                    anchors.push(root);
                }
            }
        }
        Ok(anchors)
    }

    /// When the tenant's notices come down: on the appeal period's last day or the day after.
    pub async fn set_anslag_take_down(
        &self,
        t: &TenantId,
        take_down: crate::domain::calendar::TakeDown,
    ) -> Result<(), AppError> {
        let Versioned { mut value, version } = self.record(t).await?;
        value.tenant.anslag_take_down = take_down;
        self.tenants.update(&value, version).await?;
        Ok(())
    }

    /// How many months before its proof of existence ends a kept archive version is renewed.
    pub async fn set_renewal_window(&self, t: &TenantId, months: u32) -> Result<(), AppError> {
        let window = crate::domain::RenewalWindow::months(months)?;
        let Versioned { mut value, version } = self.record(t).await?;
        value.tenant.renew_within_months = window;
        self.tenants.update(&value, version).await?;
        Ok(())
    }

    /// Name a person as staff of the caller's tenant (admins only). They log in with BankID.
    pub async fn add_staff(
        &self,
        staff: &Staff,
        personnummer: &str,
        name: &str,
        role: StaffRole,
    ) -> Result<(), AppError> {
        staff.may(crate::domain::api_key::Scope::Admin)?;
        let pnr = Personnummer::parse(personnummer, self.clock.now().date_naive())?;
        let membership = StaffMembership {
            tenant: staff.tenant.clone(),
            name: text_field("name", name, 200)?,
            role,
            personnummer_masked: pnr.masked(),
        };
        let hash = self.cipher.lookup_hash(pnr.as_str().as_bytes());
        self.staff.put(&hash, &membership).await?;
        Ok(())
    }

    /// The tenants a logged-in person is staff of, and their role in each.
    pub async fn staff_memberships(&self, session: &SignerSession) -> Result<Vec<Staff>, AppError> {
        let hash = self
            .cipher
            .lookup_hash(session.personnummer.as_str().as_bytes());
        Ok(self
            .staff
            .memberships(&hash)
            .await?
            .into_iter()
            .map(|m| Staff::person(m.tenant, m.role))
            .collect())
    }

    /// Staff acting for `tenant` (needed only when the person serves several tenants).
    pub async fn staff_from_session(
        &self,
        session: &SignerSession,
        tenant: Option<&str>,
    ) -> Result<Staff, AppError> {
        let mut memberships = self.staff_memberships(session).await?;
        match tenant {
            Some(t) => memberships
                .into_iter()
                .find(|m| m.tenant.as_str() == t)
                .ok_or(AppError::Forbidden),
            None if memberships.len() == 1 => Ok(memberships.remove(0)),
            None if memberships.is_empty() => Err(AppError::Forbidden),
            None => Err(AppError::bad_request(
                "auth.choose_tenant",
                "Du arbetar för flera organisationer: ange vilken (X-Tenant).",
                "You serve several tenants: say which one (X-Tenant).",
            )),
        }
    }
}

#[cfg(all(test, feature = "embedded"))]
mod staff_login_tests {
    use super::*;
    use crate::app::{test_app, SignerSession};
    use crate::error::ErrorText;

    async fn login(t: &test_app::TestApp, pnr: &str) -> SignerSession {
        let session_token = t.log_in(pnr).await;
        t.app
            .portal
            .authenticate_session(&session_token)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn staff_log_in_with_bankid_and_act_only_for_their_tenants() {
        let t = test_app::start().await;
        let key_a = t.add_tenant("kommun-a").await;
        let key_b = t.add_tenant("kommun-b").await;
        let admin_a = t.app.tenants.authenticate_api_key(&key_a).await.unwrap();
        let admin_b = t.app.tenants.authenticate_api_key(&key_b).await.unwrap();
        t.app
            .tenants
            .add_staff(
                &admin_a,
                "19121212-1212",
                "Sara Sekreterare",
                StaffRole::Secretary,
            )
            .await
            .unwrap();

        let sara = login(&t, "191212121212").await;
        let staff = t.app.tenants.staff_from_session(&sara, None).await.unwrap();
        assert_eq!(staff.tenant.as_str(), "kommun-a");
        assert_eq!(staff.role, StaffRole::Secretary);
        assert!(matches!(
            t.app
                .tenants
                .staff_from_session(&sara, Some("kommun-b"))
                .await,
            Err(AppError::Forbidden)
        ));
        // A secretary cannot name staff; an admin of tenant B can name her there too.
        assert!(matches!(
            t.app
                .tenants
                .add_staff(&staff, "198112189876", "X", StaffRole::Admin)
                .await,
            Err(AppError::Forbidden)
        ));
        t.app
            .tenants
            .add_staff(
                &admin_b,
                "191212121212",
                "Sara Sekreterare",
                StaffRole::Admin,
            )
            .await
            .unwrap();
        // Two tenants: she must say which.
        assert_eq!(
            t.app
                .tenants
                .staff_from_session(&sara, None)
                .await
                .unwrap_err()
                .code(),
            "auth.choose_tenant"
        );
        let for_b = t
            .app
            .tenants
            .staff_from_session(&sara, Some("kommun-b"))
            .await
            .unwrap();
        assert_eq!(for_b.role, StaffRole::Admin);

        // Somebody else logs in: a signer, not staff.
        t.clock.advance(chrono::Duration::seconds(3));
        let other = login(&t, "198112189876").await;
        assert!(matches!(
            t.app.tenants.staff_from_session(&other, None).await,
            Err(AppError::Forbidden)
        ));
        // The personnummer is not stored in clear in the membership.
        assert!(t.ports.state.query("STAFF#", "").await.unwrap().is_empty());
    }
}

/// The root of the tenant's installed seal chain: what its seals are checked against.
pub(crate) fn seal_root(rec: &TenantRecord) -> Result<Vec<Vec<u8>>, AppError> {
    Ok(rec
        .seal_chain_pem
        .as_deref()
        .map(crate::x509::pem_decode_certs)
        .transpose()
        .map_err(|e| AppError::Internal(e.to_string()))?
        .and_then(|c| c.last().cloned())
        .into_iter()
        .collect())
}

/// The agreement with its free text trimmed and bounded, the contact's address checked.
fn checked_agreement(a: ArchiveAgreement) -> Result<ArchiveAgreement, AppError> {
    let contact = match a.contact {
        None => None,
        Some(c) => {
            let name = text_field("contact_name", &c.name, 200)?;
            if !valid_email(&c.email) {
                return Err(AppError::bad_request(
                    "input.invalid_email",
                    "Kontaktpersonens e-postadress är ogiltig.",
                    "The contact's e-mail address is invalid.",
                ));
            }
            Some(ArchiveContact {
                name,
                email: c.email.trim().to_string(),
            })
        }
    };
    let retention = match a.retention {
        Retention::Bevaras { plan_reference } => Retention::Bevaras {
            plan_reference: optional_text("plan_reference", &plan_reference, 300)?,
        },
        Retention::Gallras {
            plan_reference,
            period,
        } => Retention::Gallras {
            plan_reference: optional_text("plan_reference", &plan_reference, 300)?,
            period: text_field("retention_period", &period, 100)?,
        },
    };
    Ok(ArchiveAgreement {
        archive_name: optional_text("archive_name", &a.archive_name, 200)?,
        submission_agreement: optional_text("submission_agreement", &a.submission_agreement, 300)?,
        contact,
        retention,
        form: a.form,
        profile: a.profile,
    })
}
