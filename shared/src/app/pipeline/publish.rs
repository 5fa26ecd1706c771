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
use crate::pdf::page::JusteringPage;
use crate::repo::files;

impl Pipeline {
    /// The order's original with `page` appended and no signature, written to `out`; the
    /// original is fetched into `work` first. File to file: a protocol may be hundreds of MB.
    /// The publication version, and the archive version without signatures (delivery form b).
    pub(super) async fn original_with_page(
        &self,
        order: &SigningOrder,
        page: JusteringPage,
        work: &Path,
        out: &Path,
    ) -> Result<(), AppError> {
        let original = work.join("original.pdf");
        let key = files::original(&order.tenant, &order.current().document_id);
        if !self.objects.get_to_file(&key, &original).await? {
            return Err(AppError::Internal(format!(
                "original of order {} is missing",
                order.id
            )));
        }
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
        self.original_with_page(order, page, work.path(), &publication)
            .await?;
        let today = now
            .with_timezone(&chrono_tz::Europe::Stockholm)
            .date_naive();
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
        self.finish(order, PipelineStep::Publish, &claimed.token, |o| {
            o.mark_published(now, dates)
        })
        .await
    }
}
