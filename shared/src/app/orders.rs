//! Signing orders, the secretary's side: create, list, read, recall, resend, and the files the
//! pipeline made for an order.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde::Deserialize;

use super::notify::Notifier;
use super::tenants::existing_tenant;
use super::validate::{confidential_paragraphs, optional_text, text_field, valid_email};
use super::{AppError, Staff};
use crate::domain::api_key::Scope;
use crate::domain::confidential::ConfidentialParagraph;
use crate::domain::order::{MeetingDetails, NewOrder};
use crate::domain::{
    calendar, DocumentId, NewSigner, OrderId, Personnummer, Role, SigningOrder, SigningPlan,
    Tenant, TenantId,
};
use crate::ports::{Clock, Job, ObjectStore, PersonalDataCipher, Queue, StateStore};
use crate::repo::{files, DocumentRepo, OrderRepo, TenantRepo};

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
    /// Omedelbar justering: the paragraphs are justerade at the meeting itself.
    #[serde(default)]
    pub immediate: bool,
    /// Paragraphs under sekretess, left out of the publication version with their ground.
    #[serde(default)]
    pub confidential: Vec<ConfidentialParagraph>,
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

pub struct Orders {
    orders: OrderRepo,
    documents: DocumentRepo,
    tenants: TenantRepo,
    objects: Arc<dyn ObjectStore>,
    queue: Arc<dyn Queue>,
    notify: Notifier,
    clock: Arc<dyn Clock>,
}

impl Orders {
    pub fn new(
        state: Arc<dyn StateStore>,
        cipher: Arc<dyn PersonalDataCipher>,
        objects: Arc<dyn ObjectStore>,
        queue: Arc<dyn Queue>,
        notify: Notifier,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            orders: OrderRepo::new(state.clone(), cipher),
            documents: DocumentRepo::new(state.clone()),
            tenants: TenantRepo::new(state),
            objects,
            queue,
            notify,
            clock,
        }
    }

    async fn tenant(&self, t: &TenantId) -> Result<Tenant, AppError> {
        Ok(existing_tenant(&self.tenants, t).await?.value.tenant)
    }

    async fn document(&self, staff: &Staff, id: &str) -> Result<crate::domain::Document, AppError> {
        self.documents
            .get(&staff.tenant, &DocumentId::parse(id)?)
            .await?
            .ok_or(AppError::NotFound { what: "document" })
    }

    pub async fn create_order(
        &self,
        staff: &Staff,
        input: CreateOrderInput,
    ) -> Result<SigningOrder, AppError> {
        staff.may(Scope::OrdersWrite)?;
        let now = self.clock.now();
        let tenant = self.tenant(&staff.tenant).await?;
        let doc = self.document(staff, &input.document_id).await?;
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
            immediate: input.immediate,
            confidential: confidential_paragraphs(&input.confidential)?,
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
        self.orders.create(&order).await?;
        self.notify.signers(&tenant, &order, false).await;
        Ok(order)
    }

    pub async fn list_orders(&self, staff: &Staff) -> Result<Vec<SigningOrder>, AppError> {
        staff.may(Scope::OrdersRead)?;
        Ok(self.orders.list(&staff.tenant).await?)
    }

    pub async fn get_order(&self, staff: &Staff, id: &str) -> Result<SigningOrder, AppError> {
        staff.may(Scope::OrdersRead)?;
        self.load_order(staff, id).await
    }

    /// The caller's tenant's order, whatever the caller may do with it.
    async fn load_order(&self, staff: &Staff, id: &str) -> Result<SigningOrder, AppError> {
        let id = OrderId::parse(id)?;
        Ok(self
            .orders
            .load(&staff.tenant, id)
            .await?
            .ok_or(AppError::NotFound { what: "order" })?
            .value)
    }

    async fn update<R>(
        &self,
        t: &TenantId,
        id: OrderId,
        change: impl FnMut(&mut SigningOrder) -> Result<R, AppError>,
    ) -> Result<SigningOrder, AppError> {
        let (order, _) = self
            .orders
            .update_with(t, id, change)
            .await?
            .ok_or(AppError::NotFound { what: "order" })?;
        Ok(order)
    }

    pub async fn recall_order(
        &self,
        staff: &Staff,
        id: &str,
        reason: Option<&str>,
    ) -> Result<SigningOrder, AppError> {
        staff.may(Scope::OrdersWrite)?;
        let id = OrderId::parse(id)?;
        let now = self.clock.now();
        let reason = optional_text("reason", &reason.map(str::to_string), 2000)?;
        self.update(&staff.tenant, id, |o| Ok(o.recall(now, reason.as_deref())?))
            .await
    }

    /// Run again the pipeline step an order stopped at, once its cause is mended (a valid seal
    /// certificate installed, a service back): from its first attempt.
    pub async fn retry_order(&self, staff: &Staff, id: &str) -> Result<SigningOrder, AppError> {
        staff.may(Scope::OrdersWrite)?;
        let id = OrderId::parse(id)?;
        let now = self.clock.now();
        let (order, step) = self
            .orders
            .update_with(&staff.tenant, id, |o| {
                Ok::<_, AppError>(o.retry_pipeline(now)?)
            })
            .await?
            .ok_or(AppError::NotFound { what: "order" })?;
        // If this enqueue is lost, housekeeping queues the step within its next round.
        self.queue
            .enqueue(Job::for_step(step, &staff.tenant, id))
            .await?;
        Ok(order)
    }

    /// The secretary's own publication version (an uploaded document) for an order whose
    /// protocol the service cannot check for personnummer by itself. A file the service cannot
    /// check either is refused: nothing is published with a number left in. An order stopped
    /// at publishing is taken up again.
    pub async fn use_publication_version(
        &self,
        staff: &Staff,
        id: &str,
        document_id: &str,
    ) -> Result<SigningOrder, AppError> {
        staff.may(Scope::OrdersWrite)?;
        let id = OrderId::parse(id)?;
        let doc = self.document(staff, document_id).await?;
        if let Some(check) = doc.publication.as_ref().filter(|c| c.held.is_some()) {
            let (sv, en) = check.summary();
            return Err(AppError::bad_request("publication_version.held", sv, en));
        }
        let now = self.clock.now();
        let (order, step) = self
            .orders
            .update_with(&staff.tenant, id, |o| {
                Ok::<_, AppError>(o.use_publication_version(doc.id.clone(), now)?)
            })
            .await?
            .ok_or(AppError::NotFound { what: "order" })?;
        if let Some(step) = step {
            // If this enqueue is lost, housekeeping queues the step within its next round.
            self.queue
                .enqueue(Job::for_step(step, &staff.tenant, id))
                .await?;
        }
        Ok(order)
    }

    pub async fn resend_order(
        &self,
        staff: &Staff,
        id: &str,
        document_id: &str,
        deadline: Option<DateTime<Utc>>,
    ) -> Result<SigningOrder, AppError> {
        staff.may(Scope::OrdersWrite)?;
        let id = OrderId::parse(id)?;
        let doc = self.document(staff, document_id).await?;
        let now = self.clock.now();
        let order = self
            .update(&staff.tenant, id, |o| {
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
        self.notify.signers(&tenant, &order, false).await;
        Ok(order)
    }

    /// Which of the flow's outputs exist yet: archive version, publication version, notice,
    /// archive package (in the order of `views::order_for_staff`'s `files`).
    pub async fn outputs_present(&self, staff: &Staff, order: &SigningOrder) -> [bool; 4] {
        let mut out = [false; 4];
        for (present, name) in out.iter_mut().zip([
            files::ARCHIVE_VERSION,
            files::PUBLICATION_VERSION,
            files::NOTICE_JSON,
            files::ARCHIVE_PACKAGE,
        ]) {
            let key = files::order_file(&staff.tenant, order.id, name);
            *present = self.objects.exists(&key).await.unwrap_or(false);
        }
        out
    }

    /// A file the flow made for this order (archive.pdf, publication.pdf, notice.json, ...),
    /// with the name people save it under.
    pub async fn order_file(
        &self,
        staff: &Staff,
        id: &str,
        name: &str,
    ) -> Result<(String, super::Download), AppError> {
        staff.may(Scope::FilesRead)?;
        if !files::ORDER_FILES.contains(&name) {
            return Err(AppError::NotFound { what: "file" });
        }
        let order = self.load_order(staff, id).await?;
        let key = files::order_file(&staff.tenant, order.id, name);
        let file = super::Download::from_store(self.objects.as_ref(), &key, "file").await?;
        Ok((super::texts::order_file_name(&order, name), file))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_deadline_is_end_of_day_fourteen_days_after_the_meeting() {
        let d = default_deadline(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap());
        assert_eq!(d.to_rfc3339(), "2026-12-04T22:59:00+00:00");
        let summer = default_deadline(NaiveDate::from_ymd_opt(2026, 6, 1).unwrap());
        assert_eq!(summer.to_rfc3339(), "2026-06-15T21:59:00+00:00");
    }
}
