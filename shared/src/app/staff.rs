//! What a secretary (or an e-service with the tenant's API key) does.

use bytes::Bytes;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rand_core::RngCore;
use serde::Deserialize;

use super::repo::{keys, new_item, sha256_hex, tenant_pk, TenantRecord};
use super::{App, AppError};
use crate::domain::document::clean_file_name;
use crate::domain::order::{MeetingDetails, NewOrder};
use crate::domain::{
    calendar, Document, DocumentId, NewSigner, OrderId, OrderStatus, Personnummer, Role,
    SigningOrder, SigningPlan, Tenant, TenantId,
};
use crate::pdf::intake::inspect;
use crate::ports::{Expect, Job, OutgoingMail, StateError, Write};

/// A caller acting for a tenant: an e-service or admin with the tenant's API key, or a
/// member of staff logged in with BankID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Staff {
    pub tenant: TenantId,
    pub role: StaffRole,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    /// nämndsekreterare, registrator: documents and signing orders.
    Secretary,
    /// Also manages the tenant's staff. API keys act as admin.
    Admin,
}

pub struct TenantSetup {
    pub id: TenantId,
    pub name: String,
    pub organization_number: Option<String>,
    pub storage_place: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SignerInput {
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    pub role: Role,
    pub personnummer: String,
    #[serde(default)]
    pub step: Option<u32>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct CreateOrderInput {
    pub document_id: String,
    pub committee: String,
    pub meeting_date: NaiveDate,
    pub paragraphs: String,
    pub title: String,
    #[serde(default)]
    pub diarienummer: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    /// Where to send word when someone declines or everyone has signed.
    #[serde(default)]
    pub secretary_email: Option<String>,
    pub plan: SigningPlan,
    #[serde(default)]
    pub deadline: Option<DateTime<Utc>>,
    pub signers: Vec<SignerInput>,
}

fn text_field(name: &'static str, value: &str, max: usize) -> Result<String, AppError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(AppError::bad_request(
            "input.missing_field",
            format!("Fältet {name} måste fyllas i."),
            format!("The field {name} is required."),
        ));
    }
    if v.chars().count() > max || v.chars().any(|c| c.is_control() && c != '\n') {
        return Err(AppError::bad_request(
            "input.invalid_field",
            format!("Fältet {name} är för långt eller innehåller otillåtna tecken (högst {max} tecken)."),
            format!("The field {name} is too long or has forbidden characters (at most {max})."),
        ));
    }
    Ok(v.to_string())
}

fn optional_text(
    name: &'static str,
    value: &Option<String>,
    max: usize,
) -> Result<Option<String>, AppError> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => text_field(name, v, max).map(Some),
    }
}

fn valid_email(e: &str) -> bool {
    let e = e.trim();
    e.len() <= 254
        && e.split_once('@').is_some_and(|(l, d)| {
            !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.')
        })
        && !e
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
}

/// End of the justering deadline day in Stockholm.
pub(crate) fn default_deadline(meeting: NaiveDate) -> DateTime<Utc> {
    let day = calendar::justering_deadline(meeting);
    let local = chrono_tz::Europe::Stockholm
        .from_local_datetime(&day.and_hms_opt(23, 59, 0).unwrap_or_default())
        .earliest();
    local
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&day.and_hms_opt(22, 0, 0).unwrap_or_default()))
}

impl App {
    // --- tenants and keys ---------------------------------------------------------------------

    /// Create a tenant with its seal key; returns nothing secret. Idempotent for the same id.
    pub async fn create_tenant(&self, setup: TenantSetup) -> Result<Tenant, AppError> {
        let tenant = Tenant {
            id: setup.id.clone(),
            name: text_field("name", &setup.name, 200)?,
            organization_number: setup.organization_number,
            storage_place: text_field("storage_place", &setup.storage_place, 300)?,
            // B-LTA where the installation can make it: the highest level is the default.
            seal_level: self.highest_seal_level(),
        };
        let rec = TenantRecord {
            tenant: tenant.clone(),
            seal_chain_pem: None,
            seal_key_id: format!("seal-{}", setup.id),
        };
        self.ports.keys.ensure_key(&rec.seal_key_id).await?;
        let item = self.tenant_item(&rec)?;
        let listing = new_item(
            "TENANTS".into(),
            format!("TENANT#{}", setup.id),
            serde_json::json!({ "tenant": setup.id }),
        );
        match self
            .ports
            .state
            .transact(vec![
                Write::Put {
                    item,
                    expect: Expect::Absent,
                },
                Write::Put {
                    item: listing,
                    expect: Expect::Absent,
                },
            ])
            .await
        {
            Ok(()) => {
                // The anslagstavla exists from the first day, empty until a notice is posted.
                self.rebuild_anslagstavla(&tenant.id).await?;
                Ok(tenant)
            }
            Err(StateError::ConditionFailed { .. }) => {
                Ok(self.tenant_record(&setup.id).await?.value.tenant)
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn list_tenants(&self) -> Result<Vec<TenantId>, AppError> {
        let items = self.ports.state.query("TENANTS", "TENANT#").await?;
        Ok(items
            .iter()
            .filter_map(|i| i.data.get("tenant").cloned())
            .filter_map(|v| serde_json::from_value(v).ok())
            .collect())
    }

    pub async fn tenant(&self, t: &TenantId) -> Result<Tenant, AppError> {
        Ok(self.tenant_record(t).await?.value.tenant)
    }

    /// The seal key's public key (SPKI DER), for ordering its certificate.
    pub async fn seal_public_key(&self, t: &TenantId) -> Result<Vec<u8>, AppError> {
        let rec = self.tenant_record(t).await?.value;
        Ok(self.ports.keys.public_key(&rec.seal_key_id).await?)
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
        let cert_spki = cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let Versioned { mut value, version } = self.tenant_record(t).await?;
        let key_spki = self.ports.keys.public_key(&value.seal_key_id).await?;
        if cert_spki != key_spki {
            return Err(AppError::bad_request(
                "seal.key_mismatch",
                "Sigillcertifikatet hör inte till organisationens sigillnyckel.",
                "The seal certificate is not for the tenant's seal key.",
            ));
        }
        value.seal_chain_pem = Some(chain_pem.to_string());
        let item = self.tenant_item(&value)?;
        self.ports
            .state
            .transact(vec![Write::Put {
                item,
                expect: Expect::Version(version),
            }])
            .await?;
        Ok(())
    }

    /// Make a new API key for the tenant. Only its hash is stored; the key is shown once.
    pub async fn issue_api_key(&self, t: &TenantId) -> Result<String, AppError> {
        self.tenant_record(t).await?;
        let mut raw = [0u8; 32];
        rand_core::OsRng.fill_bytes(&mut raw);
        let key = format!("esk_{}_{}", t, hex::encode(raw));
        let item = new_item(
            format!("APIKEY#{}", sha256_hex(key.as_bytes())),
            "APIKEY".into(),
            serde_json::json!({ "tenant": t }),
        );
        self.ports
            .state
            .transact(vec![Write::Put {
                item,
                expect: Expect::Absent,
            }])
            .await?;
        Ok(key)
    }

    pub async fn authenticate_api_key(&self, key: &str) -> Result<Staff, AppError> {
        if key.len() > 200 {
            return Err(AppError::Unauthenticated);
        }
        let item = self
            .ports
            .state
            .get(&format!("APIKEY#{}", sha256_hex(key.as_bytes())), "APIKEY")
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let tenant: TenantId = item
            .data
            .get("tenant")
            .cloned()
            .and_then(|v| serde_json::from_value(v).ok())
            .ok_or_else(|| AppError::Internal("API key record without tenant".into()))?;
        Ok(Staff {
            tenant,
            role: StaffRole::Admin,
        })
    }

    /// Name a person as staff of the caller's tenant (admins only). They log in with BankID.
    pub async fn add_staff(
        &self,
        staff: &Staff,
        personnummer: &str,
        name: &str,
        role: StaffRole,
    ) -> Result<(), AppError> {
        if staff.role != StaffRole::Admin {
            return Err(AppError::Forbidden);
        }
        let pnr = Personnummer::parse(personnummer, self.ports.clock.now().date_naive())?;
        let name = text_field("name", name, 200)?;
        let hash = self.ports.cipher.lookup_hash(pnr.as_str().as_bytes());
        let pk = format!("STAFF#{hash}");
        let sk = format!("TENANT#{}", staff.tenant);
        let data = serde_json::json!({
            "tenant": staff.tenant,
            "name": name,
            "role": role,
            "personnummer_masked": pnr.masked(),
        });
        let existing = self.ports.state.get(&pk, &sk).await?;
        let expect = existing.map_or(Expect::Absent, |i| Expect::Version(i.version));
        self.ports
            .state
            .transact(vec![Write::Put {
                item: new_item(pk, sk, data),
                expect,
            }])
            .await?;
        Ok(())
    }

    /// The tenants a logged-in person is staff of, and their role in each.
    pub async fn staff_memberships(
        &self,
        session: &super::SignerSession,
    ) -> Result<Vec<Staff>, AppError> {
        let hash = self
            .ports
            .cipher
            .lookup_hash(session.personnummer.as_str().as_bytes());
        let items = self
            .ports
            .state
            .query(&format!("STAFF#{hash}"), "TENANT#")
            .await?;
        Ok(items
            .iter()
            .filter_map(|i| {
                Some(Staff {
                    tenant: serde_json::from_value(i.data.get("tenant")?.clone()).ok()?,
                    role: serde_json::from_value(i.data.get("role")?.clone()).ok()?,
                })
            })
            .collect())
    }

    /// Staff acting for `tenant` (needed only when the person serves several tenants).
    pub async fn staff_from_session(
        &self,
        session: &super::SignerSession,
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

    // --- documents ----------------------------------------------------------------------------

    /// Intake: check the file, then store the bytes and then the record. The same bytes twice
    /// give the same document (its id is their SHA-256).
    pub async fn upload_document(
        &self,
        staff: &Staff,
        file_name: &str,
        bytes: Bytes,
    ) -> Result<(Document, bool), AppError> {
        let limits = self.settings.intake_limits();
        let facts = inspect(&bytes, &limits)?;
        let id = DocumentId::of_bytes(&bytes);
        if let Ok(existing) = self.document(&staff.tenant, &id).await {
            return Ok((existing, false));
        }
        let doc = Document {
            tenant: staff.tenant.clone(),
            id: id.clone(),
            file_name: clean_file_name(file_name),
            size: bytes.len() as u64,
            page_count: facts.page_count,
            pdfa_claim: facts.pdfa_claim,
            title: facts.title,
            uploaded_at: self.ports.clock.now(),
        };
        // Bytes first: a record never points at a file that is not there.
        self.ports
            .objects
            .put(
                &keys::original(&staff.tenant, &id),
                bytes,
                "application/pdf",
            )
            .await?;
        let item = new_item(
            tenant_pk(&staff.tenant),
            format!("DOC#{id}"),
            serde_json::to_value(&doc).map_err(|e| AppError::Internal(e.to_string()))?,
        );
        match self
            .ports
            .state
            .transact(vec![Write::Put {
                item,
                expect: Expect::Absent,
            }])
            .await
        {
            Ok(()) => Ok((doc, true)),
            // A concurrent upload of the same bytes won: same document.
            Err(StateError::ConditionFailed { .. }) => {
                Ok((self.document(&staff.tenant, &id).await?, false))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn get_document(&self, staff: &Staff, id: &str) -> Result<Document, AppError> {
        let id = DocumentId::parse(id)?;
        self.document(&staff.tenant, &id).await
    }

    pub async fn document_bytes(&self, staff: &Staff, id: &str) -> Result<Bytes, AppError> {
        let doc = self.get_document(staff, id).await?;
        self.ports
            .objects
            .get(&keys::original(&staff.tenant, &doc.id))
            .await?
            .ok_or(AppError::NotFound { what: "document" })
    }

    // --- orders -------------------------------------------------------------------------------

    pub async fn create_order(
        &self,
        staff: &Staff,
        input: CreateOrderInput,
    ) -> Result<SigningOrder, AppError> {
        let now = self.ports.clock.now();
        let tenant = self.tenant(&staff.tenant).await?;
        let doc = self.get_document(staff, &input.document_id).await?;
        let meeting = MeetingDetails {
            committee: text_field("committee", &input.committee, 200)?,
            meeting_date: input.meeting_date,
            paragraphs: text_field("paragraphs", &input.paragraphs, 200)?,
            title: text_field("title", &input.title, 300)?,
            diarienummer: optional_text("diarienummer", &input.diarienummer, 100)?,
            message: optional_text("message", &input.message, 2000)?,
            secretary_email: match input.secretary_email.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(e) if valid_email(e) => Some(e.to_string()),
                Some(_) => {
                    return Err(AppError::bad_request(
                        "input.invalid_secretary_email",
                        "Din e-postadress för besked är ogiltig.",
                        "The secretary's e-mail address is invalid.",
                    ))
                }
            },
        };
        let mut signers = Vec::with_capacity(input.signers.len());
        for (i, s) in input.signers.iter().enumerate() {
            let personnummer = Personnummer::parse(&s.personnummer, now.date_naive())?;
            let email = match s.email.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(e) if valid_email(e) => Some(e.to_string()),
                Some(_) => {
                    return Err(AppError::bad_request(
                        "input.invalid_email",
                        format!("Undertecknare {} har en ogiltig e-postadress.", i + 1),
                        format!("Signer {} has an invalid e-mail address.", i + 1),
                    ))
                }
            };
            signers.push(NewSigner {
                name: text_field("name", &s.name, 200)?,
                email,
                role: s.role,
                personnummer,
                step: s.step,
            });
        }
        let deadline = input
            .deadline
            .unwrap_or_else(|| default_deadline(meeting.meeting_date));
        let order = SigningOrder::create(
            NewOrder {
                id: OrderId::new(),
                tenant: staff.tenant.clone(),
                meeting,
                plan: input.plan,
                signers,
                document_id: doc.id.clone(),
                file_name: doc.file_name.clone(),
                deadline,
            },
            now,
        )?;
        let mut writes = vec![Write::Put {
            item: self.order_item(&order).await?,
            expect: Expect::Absent,
        }];
        for s in &order.signers {
            writes.push(Write::Put {
                item: self.signer_link_item(&order, &s.personnummer),
                expect: Expect::Absent,
            });
        }
        self.ports.state.transact(writes).await?;
        self.notify_signers(&tenant, &order).await;
        Ok(order)
    }

    /// Remind the signers of this tenant's open orders whose deadline is near (once per
    /// version). Answers how many orders were reminded.
    pub async fn send_reminders(&self, t: &TenantId) -> Result<usize, AppError> {
        let now = self.ports.clock.now();
        let before = Duration::hours(self.settings.remind_hours_before_deadline);
        let tenant = self.tenant(t).await?;
        let staff = Staff {
            tenant: t.clone(),
            role: StaffRole::Secretary,
        };
        let mut n = 0;
        for o in self.list_orders(&staff).await? {
            if !o.reminder_due(now, before) {
                continue;
            }
            // Recorded first: a crash after it loses a reminder, never sends it twice.
            let (order, ()) = self
                .update_order(t, o.id, |o| Ok(o.mark_reminded(now)?))
                .await?;
            self.mail_pending_signers(&tenant, &order, true).await;
            n += 1;
        }
        Ok(n)
    }

    /// Mail those whose turn it is. A mail that cannot be sent is logged, never fatal: the
    /// order exists and the secretary sees who has not signed.
    pub(crate) async fn notify_signers(&self, tenant: &Tenant, order: &SigningOrder) {
        self.mail_pending_signers(tenant, order, false).await
    }

    /// Tell the secretary (if they left an address) what happened to their order.
    pub(crate) async fn notify_secretary(
        &self,
        order: &SigningOrder,
        subject: String,
        text: String,
    ) {
        let Some(to) = &order.meeting.secretary_email else {
            return;
        };
        let mail = OutgoingMail {
            to: to.clone(),
            subject,
            text,
        };
        if let Err(e) = self.ports.mailer.send(&mail).await {
            tracing::warn!(order = %order.id, error = %e, "secretary not notified");
        }
    }

    async fn mail_pending_signers(&self, tenant: &Tenant, order: &SigningOrder, reminder: bool) {
        let Some(step) = order.active_step() else {
            return;
        };
        for (s, state) in order.signers.iter().zip(&order.current().signatures) {
            if s.step != step || !matches!(state, crate::domain::SignatureState::Pending) {
                continue;
            }
            let Some(to) = &s.email else { continue };
            let mail = OutgoingMail {
                to: to.clone(),
                subject: if reminder {
                    super::texts::reminder_subject(order)
                } else {
                    super::texts::invitation_subject(order)
                },
                text: super::texts::invitation_text(
                    tenant,
                    order,
                    s,
                    &self.settings.public_base_url,
                ),
            };
            if let Err(e) = self.ports.mailer.send(&mail).await {
                tracing::warn!(order = %order.id, signer = %s.id, error = %e, "invitation not sent");
            }
        }
    }

    pub async fn list_orders(&self, staff: &Staff) -> Result<Vec<SigningOrder>, AppError> {
        let items = self
            .ports
            .state
            .query(&tenant_pk(&staff.tenant), "ORDER#")
            .await?;
        let mut out = Vec::with_capacity(items.len());
        for item in &items {
            out.push(self.order_from_item(item).await?);
        }
        out.sort_by_key(|o| std::cmp::Reverse(o.created_at));
        Ok(out)
    }

    pub async fn get_order(&self, staff: &Staff, id: &str) -> Result<SigningOrder, AppError> {
        let id = OrderId::parse(id)?;
        Ok(self.load_order(&staff.tenant, id).await?.value)
    }

    pub async fn recall_order(
        &self,
        staff: &Staff,
        id: &str,
        reason: Option<&str>,
    ) -> Result<SigningOrder, AppError> {
        let id = OrderId::parse(id)?;
        let now = self.ports.clock.now();
        let reason = optional_text("reason", &reason.map(str::to_string), 2000)?;
        let (order, ()) = self
            .update_order(&staff.tenant, id, |o| Ok(o.recall(now, reason.as_deref())?))
            .await?;
        Ok(order)
    }

    pub async fn resend_order(
        &self,
        staff: &Staff,
        id: &str,
        document_id: &str,
        deadline: Option<DateTime<Utc>>,
    ) -> Result<SigningOrder, AppError> {
        let id = OrderId::parse(id)?;
        let doc = self.get_document(staff, document_id).await?;
        let now = self.ports.clock.now();
        let (order, _) = self
            .update_order(&staff.tenant, id, |o| {
                let deadline = deadline.unwrap_or_else(|| {
                    // Keep the original deadline if it is still ahead; else give a week.
                    let d = o.current().deadline;
                    if d > now {
                        d
                    } else {
                        now + Duration::days(7)
                    }
                });
                Ok(o.resend(doc.id.clone(), doc.file_name.clone(), now, deadline)?)
            })
            .await?;
        let tenant = self.tenant(&staff.tenant).await?;
        self.notify_signers(&tenant, &order).await;
        Ok(order)
    }

    /// Which of the flow's outputs exist yet: archive version, publication version, notice,
    /// archive package (in the order of `views::order_for_staff`'s `files`).
    pub async fn outputs_present(&self, staff: &Staff, order: &SigningOrder) -> [bool; 4] {
        let mut out = [false; 4];
        for (present, name) in
            out.iter_mut()
                .zip(["archive.pdf", "publication.pdf", "notice.json", "sip.zip"])
        {
            let key = keys::order_file(&staff.tenant, order.id, name);
            *present = self.ports.objects.exists(&key).await.unwrap_or(false);
        }
        out
    }

    /// A file the flow made for this order (archive.pdf, publication.pdf, notice.json, ...).
    pub async fn order_file(&self, staff: &Staff, id: &str, name: &str) -> Result<Bytes, AppError> {
        const FILES: [&str; 5] = [
            "archive.pdf",
            "publication.pdf",
            "notice.json",
            "notice.html",
            "sip.zip",
        ];
        if !FILES.contains(&name) {
            return Err(AppError::NotFound { what: "file" });
        }
        let order = self.get_order(staff, id).await?;
        self.ports
            .objects
            .get(&keys::order_file(&staff.tenant, order.id, name))
            .await?
            .ok_or(AppError::NotFound { what: "file" })
    }

    /// Expire this tenant's open orders whose deadline has passed.
    pub async fn expire_overdue(&self, t: &TenantId) -> Result<usize, AppError> {
        let now = self.ports.clock.now();
        let staff = Staff {
            tenant: t.clone(),
            role: StaffRole::Secretary,
        };
        let mut n = 0;
        for o in self.list_orders(&staff).await? {
            if o.status == OrderStatus::Open && now > o.current().deadline {
                self.update_order(t, o.id, |o| Ok(o.expire(now)?)).await?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Queue again what a crash may have dropped: at-least-once across restarts. Every job
    /// is idempotent, so queueing one twice is harmless.
    pub async fn resume_pending_work(&self, t: &TenantId) -> Result<usize, AppError> {
        let staff = Staff {
            tenant: t.clone(),
            role: StaffRole::Secretary,
        };
        let mut n = 0;
        for o in self.list_orders(&staff).await? {
            let (tenant, order_id) = (t.to_string(), o.id.to_string());
            let job = match o.status {
                OrderStatus::Completed => Job::Seal { tenant, order_id },
                OrderStatus::Sealed => Job::Publish { tenant, order_id },
                OrderStatus::Published => Job::ArchiveExport { tenant, order_id },
                _ => continue,
            };
            self.ports.queue.enqueue(job).await?;
            n += 1;
        }
        Ok(n)
    }
}

use super::repo::Versioned;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(valid_email("anna.andersson@kommun.se"));
        for bad in ["", "anna", "a@b", "a b@c.se", "<a@b.se>", "a@.se"] {
            assert!(!valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn default_deadline_is_end_of_day_fourteen_days_after_the_meeting() {
        let d = default_deadline(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap());
        assert_eq!(d.to_rfc3339(), "2026-12-04T22:59:00+00:00");
        let summer = default_deadline(NaiveDate::from_ymd_opt(2026, 6, 1).unwrap());
        assert_eq!(summer.to_rfc3339(), "2026-06-15T21:59:00+00:00");
    }
}

#[cfg(all(test, feature = "embedded"))]
mod staff_login_tests {
    use super::*;
    use crate::app::{test_app, LoginOutcome, SignerSession};

    async fn login(t: &test_app::TestApp, pnr: &str) -> SignerSession {
        let started = t
            .app
            .start_login(&crate::ports::EndUser::at_ip("192.0.2.1"))
            .await
            .unwrap();
        t.phone_approves(&started.auto_start_token, pnr).await;
        let LoginOutcome::Complete { session_token, .. } =
            t.app.collect_login(&started.order_ref).await.unwrap()
        else {
            panic!("login did not complete")
        };
        t.app.authenticate_session(&session_token).await.unwrap()
    }

    #[tokio::test]
    async fn staff_log_in_with_bankid_and_act_only_for_their_tenants() {
        let t = test_app::start().await;
        let key_a = t.add_tenant("kommun-a").await;
        let key_b = t.add_tenant("kommun-b").await;
        let admin_a = t.app.authenticate_api_key(&key_a).await.unwrap();
        let admin_b = t.app.authenticate_api_key(&key_b).await.unwrap();
        t.app
            .add_staff(
                &admin_a,
                "19121212-1212",
                "Sara Sekreterare",
                StaffRole::Secretary,
            )
            .await
            .unwrap();

        let sara = login(&t, "191212121212").await;
        let staff = t.app.staff_from_session(&sara, None).await.unwrap();
        assert_eq!(staff.tenant.as_str(), "kommun-a");
        assert_eq!(staff.role, StaffRole::Secretary);
        assert!(matches!(
            t.app.staff_from_session(&sara, Some("kommun-b")).await,
            Err(AppError::Forbidden)
        ));
        // A secretary cannot name staff; an admin of tenant B can name her there too.
        assert!(matches!(
            t.app
                .add_staff(&staff, "198112189876", "X", StaffRole::Admin)
                .await,
            Err(AppError::Forbidden)
        ));
        t.app
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
                .staff_from_session(&sara, None)
                .await
                .unwrap_err()
                .code(),
            "auth.choose_tenant"
        );
        let for_b = t
            .app
            .staff_from_session(&sara, Some("kommun-b"))
            .await
            .unwrap();
        assert_eq!(for_b.role, StaffRole::Admin);

        // Somebody else logs in: a signer, not staff.
        t.clock.advance(chrono::Duration::seconds(3));
        let other = login(&t, "198112189876").await;
        assert!(matches!(
            t.app.staff_from_session(&other, None).await,
            Err(AppError::Forbidden)
        ));
        // The personnummer is not stored in clear in the membership.
        assert!(t
            .app
            .ports
            .state
            .query("STAFF#", "")
            .await
            .unwrap()
            .is_empty());
    }
}

#[cfg(all(test, feature = "embedded"))]
mod reminder_tests {
    use super::*;
    use crate::app::test_app;

    #[tokio::test]
    async fn signers_are_reminded_once_before_the_deadline_and_the_secretary_hears_of_a_decline() {
        let t = test_app::start().await;
        let key = t.add_tenant("kommun").await;
        let staff = t.app.authenticate_api_key(&key).await.unwrap();
        let pdf = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/protocols/e-namnd-2020-03-11.pdfa2b.pdf"
        ))
        .unwrap();
        let (doc, _) = t
            .app
            .upload_document(&staff, "protokoll.pdf", Bytes::from(pdf))
            .await
            .unwrap();
        let now = t.app.ports.clock.now();
        let signer = |name: &str, pnr: &str, email: Option<&str>| SignerInput {
            name: name.into(),
            email: email.map(str::to_string),
            role: Role::Justerare,
            personnummer: pnr.into(),
            step: None,
        };
        t.app
            .create_order(
                &staff,
                CreateOrderInput {
                    document_id: doc.id.to_string(),
                    committee: "KS".into(),
                    meeting_date: now.date_naive(),
                    paragraphs: "§ 1".into(),
                    title: "Protokoll".into(),
                    diarienummer: None,
                    message: None,
                    secretary_email: Some("sekreterare@example.se".into()),
                    plan: SigningPlan::Parallel,
                    deadline: Some(now + Duration::days(5)),
                    signers: vec![
                        signer("Anna", "191212121212", Some("anna@example.se")),
                        signer("Bo", "198112189876", None),
                    ],
                },
            )
            .await
            .unwrap();
        let mail_dir = t._dir.path().join("mail");
        let mails = || std::fs::read_dir(&mail_dir).map(|d| d.count()).unwrap_or(0);
        assert_eq!(mails(), 1, "the invitation");
        let tenant = TenantId::parse("kommun").unwrap();
        assert_eq!(t.app.send_reminders(&tenant).await.unwrap(), 0, "too early");
        t.clock.advance(Duration::days(4));
        assert_eq!(t.app.send_reminders(&tenant).await.unwrap(), 1);
        assert_eq!(mails(), 2, "one reminder to the signer with an address");
        assert_eq!(t.app.send_reminders(&tenant).await.unwrap(), 0, "only once");
        assert_eq!(mails(), 2);
        let texts: Vec<String> = std::fs::read_dir(&mail_dir)
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect();
        // Subjects are MIME encoded words where they are not ASCII: decode them.
        let subjects: Vec<String> = texts
            .iter()
            .filter_map(|t| t.lines().find_map(|l| l.strip_prefix("Subject: ")))
            .map(|s| {
                s.split(' ')
                    .map(|w| {
                        match w
                            .strip_prefix("=?utf-8?b?")
                            .and_then(|w| w.strip_suffix("?="))
                        {
                            Some(b64) => {
                                use base64::Engine;
                                let raw = base64::engine::general_purpose::STANDARD
                                    .decode(b64)
                                    .unwrap();
                                String::from_utf8(raw).unwrap()
                            }
                            None => w.to_string(),
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        assert_eq!(
            subjects
                .iter()
                .filter(|s| s.starts_with("Påminnelse:"))
                .count(),
            1,
            "{subjects:?}"
        );
        assert!(texts.iter().all(|t| t.contains("To: anna@example.se")));

        // Bo declines: the secretary hears of it, with his comment; nobody else does.
        let started = t
            .app
            .start_login(&crate::ports::EndUser::at_ip("192.0.2.1"))
            .await
            .unwrap();
        t.phone_approves(&started.auto_start_token, "198112189876")
            .await;
        let crate::app::LoginOutcome::Complete { session_token, .. } =
            t.app.collect_login(&started.order_ref).await.unwrap()
        else {
            panic!("login did not complete")
        };
        let bo = t.app.authenticate_session(&session_token).await.unwrap();
        let order = &t.app.my_orders(&bo).await.unwrap()[0];
        t.app
            .reject(&bo, "kommun", &order.id.to_string(), "Fel datum i § 1")
            .await
            .unwrap();
        let to_secretary: Vec<String> = std::fs::read_dir(&mail_dir)
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .filter(|t| t.contains("To: sekreterare@example.se"))
            .collect();
        assert_eq!(to_secretary.len(), 1);
        assert!(
            to_secretary[0].contains("Fel datum i =C2=A7 1")
                || to_secretary[0].contains("Fel datum i § 1"),
            "{}",
            to_secretary[0]
        );
        assert!(texts
            .iter()
            .all(|t| !t.contains("191212121212") && !t.contains("1212-1212")));
    }
}
