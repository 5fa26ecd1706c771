//! The publish step: the publication version (no signature, no personnummer, a visible
//! "Justerat digitalt" page) and the notice on the digital anslagstavla, with the dates of law.

use std::path::Path;

use bytes::Bytes;

use super::work::Claimed;
use super::{internal, Pipeline};
use crate::app::texts::justering_page;
use crate::app::AppError;
use crate::domain::calendar::anslag_dates;
use crate::domain::notice::Notice;
use crate::domain::{PipelineStep, SigningOrder};
use crate::pdf::clean::{CleanInfo, CleanOutcome, HoldReason, PageRemoval};
use crate::pdf::page::JusteringPage;
use crate::repo::files;

impl Pipeline {
    /// The order's original, fetched into `work`.
    async fn original_to_file(
        &self,
        order: &SigningOrder,
        work: &Path,
    ) -> Result<std::path::PathBuf, AppError> {
        self.document_to_file(order, &order.current().document_id, work)
            .await
    }

    /// One of the order's documents, fetched into `work`.
    async fn document_to_file(
        &self,
        order: &SigningOrder,
        document: &crate::domain::DocumentId,
        work: &Path,
    ) -> Result<std::path::PathBuf, AppError> {
        let original = work.join("original.pdf");
        let key = files::original(&order.tenant, document);
        if !self.objects.get_to_file(&key, &original).await? {
            return Err(AppError::Internal(format!(
                "original of order {} is missing",
                order.id
            )));
        }
        Ok(original)
    }

    /// The order's original with `page` appended and no signature, written to `out`; the
    /// original is fetched into `work` first. File to file: a protocol may be hundreds of MB.
    /// The archive version without signatures (delivery form b).
    pub(super) async fn original_with_page(
        &self,
        order: &SigningOrder,
        page: JusteringPage,
        work: &Path,
        out: &Path,
    ) -> Result<(), AppError> {
        let original = self.original_to_file(order, work).await?;
        let made = out.to_path_buf();
        tokio::task::spawn_blocking(move || {
            crate::pdf::publication::publication_file(&original, &made, &page)
        })
        .await
        .map_err(internal)?
        .map_err(internal)
    }

    /// The publication version (no signature, no personnummer) and the notice on the
    /// digital anslagstavla.
    pub(super) async fn publish_order(&self, claimed: &Claimed) -> Result<(), AppError> {
        let order = &claimed.order;
        let (t, id) = (&order.tenant, order.id);
        let tenant = self.tenant_record(t).await?.tenant;
        let now = self.clock.now();
        let justering = order.justering_date();
        let page = justering_page(
            &tenant,
            order,
            &self.settings.signature_method,
            "Justerat digitalt",
            format!(
                "Publiceringsversion. Protokollet justerades digitalt {}. Den elektroniskt \
                 förseglade arkivversionen förvaras hos: {}.",
                justering, tenant.storage_place
            ),
        );
        let work = tempfile::tempdir().map_err(internal)?;
        let publication = work.path().join("publication.pdf");
        let today = now
            .with_timezone(&chrono_tz::Europe::Stockholm)
            .date_naive();
        let removed = self
            .publication_version(order, page, (now, today), work.path(), &publication)
            .await?;
        let base = self.settings.base_url();
        let dates = anslag_dates(justering, today, tenant.anslag_take_down);
        if dates.late {
            tracing::warn!(order = %id, posted = %dates.posted, "notice posted later than the law allows");
        }
        let mut notice = Notice::with_dates(
            tenant.name.clone(),
            order.meeting.committee.clone(),
            order.meeting.meeting_date,
            order.meeting.paragraphs.clone(),
            justering,
            dates,
            tenant.storage_place.clone(),
            order.meeting.title.clone(),
            Some(format!("{base}/public/{t}/anslag/{id}.pdf")),
        );
        notice.immediate = order.meeting.immediate;
        notice.verification_url = Some(format!("{base}/portal/verifiera?arkivexemplar={t}/{id}"));
        let notice_json = serde_json::to_vec_pretty(&notice).map_err(internal)?;
        let notice_html = crate::render::render_notice_html(&notice);
        self.objects
            .put_file(
                &files::order_file(t, id, files::PUBLICATION_VERSION),
                &publication,
                "application/pdf",
            )
            .await?;
        self.objects
            .put_file(
                &files::public(t, &format!("{id}.pdf")),
                &publication,
                "application/pdf",
            )
            .await?;
        let made: [(&str, &str, Bytes); 2] = [
            (
                files::NOTICE_JSON,
                "application/json",
                Bytes::from(notice_json),
            ),
            (
                files::NOTICE_HTML,
                "text/html; charset=utf-8",
                Bytes::from(notice_html),
            ),
        ];
        for (name, ctype, bytes) in &made {
            self.objects
                .put(&files::order_file(t, id, name), bytes.clone(), ctype)
                .await?;
        }
        let public = [
            (format!("{id}.json"), "application/json", made[0].2.clone()),
            (
                format!("{id}.html"),
                "text/html; charset=utf-8",
                made[1].2.clone(),
            ),
        ];
        for (name, ctype, bytes) in public {
            self.objects
                .put(&files::public(t, &name), bytes, ctype)
                .await?;
        }
        // The board first: once the order says published, a retry would skip this step.
        self.board.post(t, id, &notice).await?;
        let (numbers, paragraphs) = removed;
        let numbers = removed_text(&numbers);
        self.finish(order, PipelineStep::Publish, &claimed.token, |o| {
            o.mark_published(now, dates)?;
            if let Some(detail) = &numbers {
                o.note_removed_from_publication(now, detail.clone());
            }
            if !paragraphs.is_empty() {
                o.note_confidential_left_out(now, &paragraphs);
            }
            Ok(())
        })
        .await
    }

    /// The publication version: a clean copy of the original (every personnummer taken out,
    /// nothing of signatures, files or history kept: `pdf::clean`) with `page` after it, in
    /// one revision. A page that
    /// cannot be checked holds the publication: the step fails for good with the page and the
    /// reason, so nothing is published with a number left in. `now` and Stockholm's `today`
    /// are the publish step's.
    async fn publication_version(
        &self,
        order: &SigningOrder,
        page: JusteringPage,
        (now, today): (chrono::DateTime<chrono::Utc>, chrono::NaiveDate),
        work: &Path,
        out: &Path,
    ) -> Result<(Vec<PageRemoval>, Vec<u32>), AppError> {
        // The secretary's own publication version where she gave one; it is checked the same.
        let version = order.current();
        let source = version
            .publication_document
            .as_ref()
            .unwrap_or(&version.document_id);
        let original = self.document_to_file(order, source, work).await?;
        let info = CleanInfo {
            title: order.meeting.title.clone(),
            subject: order.meeting.committee.clone(),
            date: now.format("D:%Y%m%d%H%M%S+00'00'").to_string(),
            confidential: order.meeting.confidential.clone(),
            confidential_may_be_gone: version.publication_document.is_some(),
            page_after: Some(page),
        };
        let made = out.to_path_buf();
        let outcome = tokio::task::spawn_blocking(move || {
            match crate::pdf::clean::clean_copy(&original, &made, &info, today)? {
                CleanOutcome::Written {
                    removed,
                    paragraphs,
                } => Ok(Ok((removed, paragraphs))),
                CleanOutcome::Held { page, reason } => Ok(Err((page, reason))),
            }
        })
        .await
        .map_err(internal)?
        .map_err(|e: crate::pdf::PdfError| internal(e))?;
        outcome.map_err(|(page, reason)| held(page, &reason))
    }
}

/// What the order's history says of the personnummer taken out of the publication version.
fn removed_text(removed: &[PageRemoval]) -> Option<String> {
    if removed.is_empty() {
        return None;
    }
    let pages: Vec<String> = removed
        .iter()
        .map(|r| format!("sidan {}: {}", r.page, r.numbers))
        .collect();
    Some(format!(
        "Personnummer borttagna ur publiceringsversionen ({}).",
        pages.join(", ")
    ))
}

/// The publication is held: the secretary reads why, in words without technical terms.
fn held(page: usize, reason: &HoldReason) -> AppError {
    let (sv, en) = reason.held_page(page).explain();
    AppError::bad_request("publication.held", sv, en)
}
