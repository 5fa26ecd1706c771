//! The archive-export step: the e-archive package with the archive version, the BankID
//! evidence of every signature, a validation report made now, and the metadata the archive
//! asks for.

use chrono::{DateTime, Utc};

use super::export_facts::{edition, provenance, Edition};
use super::work::Claimed;
use super::{internal, Pipeline, SOFTWARE};
use crate::app::tenants::seal_root;
use crate::app::AppError;
use crate::archive::{
    write_sip, FileUse, SignatureFact, SipContent, SipFile, SipMetadata, ARCHIVE_PATH,
};
use crate::domain::{
    DeliveryForm, OrderId, OrderStatus, PipelineStep, SignatureState, SigningOrder, TenantId,
};
use crate::repo::files;

pub(super) const REPORT_PATH: &str = "metadata/other/validation-report.json";
pub(super) const READABLE_REPORT_PATH: &str = "documentation/kontrollrapport.pdf";

impl Pipeline {
    /// The package as stored, fetched back and checked whole (every file METS lists there
    /// with its checksum, nothing else): only then is the order exported.
    async fn read_back(&self, key: &str, work: &std::path::Path) -> Result<(), AppError> {
        let stored = work.join("stored.zip");
        if !self.objects.get_to_file(key, &stored).await? {
            return Err(AppError::Internal(format!(
                "{key} is not there after it was written"
            )));
        }
        tokio::task::spawn_blocking(move || crate::archive::verify_sip_file(&stored))
            .await
            .map_err(internal)?
            .map_err(|e| AppError::Internal(format!("{key} read back: {e}")))
    }

    /// The e-archive package: the archive version, the BankID evidence of every signature,
    /// a validation report made now, and the metadata the archive asks for. Stored, read back
    /// whole, and only then is the order exported.
    pub(super) async fn export_order(&self, claimed: &Claimed) -> Result<(), AppError> {
        let order = &claimed.order;
        let now = self.clock.now();
        let edition = edition(order);
        self.package_and_deliver(order, &edition, now).await?;
        let told = edition.renewals as u32;
        self.finish(order, PipelineStep::ArchiveExport, &claimed.token, |o| {
            o.mark_exported(now)?;
            if let Some(proof) = &mut o.archive_proof {
                proof.exported_renewals = told;
            }
            Ok(())
        })
        .await
    }

    /// Make the package (`edition` says which), store it beside the order, read it back whole,
    /// and deliver it where the e-archive collects it.
    pub(super) async fn package_and_deliver(
        &self,
        order: &SigningOrder,
        edition: &Edition,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        let key = files::order_file(&order.tenant, order.id, files::ARCHIVE_PACKAGE);
        // Files, not memory: an archive version may be hundreds of MB.
        let rec = self.tenant_record(&order.tenant).await?;
        let work = tempfile::tempdir().map_err(internal)?;
        let package = self
            .make_package(order, &rec, edition, now, work.path())
            .await?;
        self.objects
            .put_file(&key, &package, "application/zip")
            .await?;
        self.read_back(&key, work.path()).await?;
        self.deliver(order, edition, &rec.tenant.archive, &package, now)
            .await
    }

    /// The package where the e-archive collects it, then its manifest (what it is, its size
    /// and checksum): a package whose manifest is there is complete. A retry writes both again.
    async fn deliver(
        &self,
        order: &SigningOrder,
        edition: &Edition,
        agreement: &crate::domain::ArchiveAgreement,
        package: &std::path::Path,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        let t = &order.tenant;
        let package_id = &edition.id;
        let measured = package.to_path_buf();
        let (size, sha256) =
            tokio::task::spawn_blocking(move || crate::archive::measure_file(&measured))
                .await
                .map_err(internal)?
                .map_err(internal)?;
        self.objects
            .put_file(
                &files::export_package(t, package_id),
                package,
                "application/zip",
            )
            .await?;
        let manifest = serde_json::json!({
            "package_id": package_id,
            "order_id": order.id,
            "tenant": t,
            "title": order.meeting.title,
            "created": now,
            "file": format!("{package_id}.zip"),
            "size": size,
            "sha256": sha256,
            "profile": agreement.profile,
            "form": agreement.form,
            "submission_agreement": agreement.submission_agreement,
            "archive": agreement.archive_name,
            "validation": "passed",
            "replaces": edition.replaces,
            "renewals": edition.renewals,
        });
        self.objects
            .put(
                &files::export_manifest(t, package_id),
                bytes::Bytes::from(serde_json::to_vec_pretty(&manifest).map_err(internal)?),
                "application/json",
            )
            .await
            .map_err(Into::into)
    }

    /// The archive version the service keeps for an order, checked now against the tenant's
    /// own seal root: what the public verification page shows when a notice links it. The
    /// file is read to a temporary file and checked there; it is never handed out.
    pub async fn verify_kept(
        &self,
        tenant: &str,
        order_id: &str,
    ) -> Result<crate::pdf::VerifyReport, AppError> {
        let not_found = || AppError::NotFound {
            what: "archive version",
        };
        let t = TenantId::parse(tenant).map_err(|_| not_found())?;
        let id = OrderId::parse(order_id).map_err(|_| not_found())?;
        let rec = self.tenant_record(&t).await.map_err(|_| not_found())?;
        let work = tempfile::tempdir().map_err(internal)?;
        let archive = work.path().join("archive.pdf");
        if !self
            .objects
            .get_to_file(&files::order_file(&t, id, files::ARCHIVE_VERSION), &archive)
            .await?
        {
            return Err(not_found());
        }
        let anchors = seal_root(&rec)?;
        tokio::task::spawn_blocking(move || crate::pdf::verify_file(&archive, &anchors))
            .await
            .map_err(internal)?
            .map_err(internal)
    }

    /// `esign export`: the package of an order made now (its archive version checked again)
    /// and written to `out`, checked whole; the order itself is left as it is.
    pub async fn export_to_file(
        &self,
        t: &TenantId,
        id: OrderId,
        out: &std::path::Path,
    ) -> Result<(), AppError> {
        let order = self.load(t, id).await?;
        let sealed = matches!(
            order.status,
            OrderStatus::Sealed | OrderStatus::Published | OrderStatus::Exported
        ) || order.status == OrderStatus::Failed
            && order.history.iter().any(|e| e.kind == "seal");
        if !sealed {
            return Err(AppError::bad_request(
                "export.not_sealed",
                "Protokollet har inte förseglats än, så det finns inget arkivexemplar att exportera.",
                "The protocol has not been sealed yet, so there is no archive version to export.",
            ));
        }
        let work = tempfile::tempdir().map_err(internal)?;
        let rec = self.tenant_record(t).await?;
        let package = self
            .make_package(
                &order,
                &rec,
                &edition(&order),
                self.clock.now(),
                work.path(),
            )
            .await?;
        let target = out.to_path_buf();
        tokio::task::spawn_blocking(move || {
            std::fs::copy(&package, &target)?;
            crate::archive::verify_sip_file(&target).map_err(std::io::Error::other)
        })
        .await
        .map_err(internal)?
        .map_err(internal)
    }

    /// The document with its signature page and no signature or seal (delivery form b),
    /// made from the original in `work`: its path.
    async fn without_signatures(
        &self,
        order: &SigningOrder,
        tenant: &crate::domain::Tenant,
        now: DateTime<Utc>,
        work: &std::path::Path,
    ) -> Result<std::path::PathBuf, AppError> {
        let unsigned = work.join("unsigned.pdf");
        let archive = tenant
            .archive
            .archive_name
            .as_deref()
            .unwrap_or("e-arkivet");
        let page = crate::app::texts::justering_page(
            tenant,
            order,
            &self.settings.signature_method,
            "Justering – underskrifter",
            format!(
                "Arkivexemplar utan elektroniska underskrifter. Underskrifterna gjordes med {} \
                 och kontrollerades {} innan de togs bort enligt leveransöverenskommelsen med \
                 {archive}. Bevisen och kontrollrapporten finns i arkivpaketet.",
                self.settings.signature_method,
                crate::app::texts::stockholm(now),
            ),
        );
        self.original_with_page(order, page, work, &unsigned)
            .await?;
        Ok(unsigned)
    }

    /// The package of `order`, made in `work`: its path.
    async fn make_package(
        &self,
        order: &SigningOrder,
        rec: &crate::repo::TenantRecord,
        edition: &Edition,
        now: DateTime<Utc>,
        work: &std::path::Path,
    ) -> Result<std::path::PathBuf, AppError> {
        let (t, id) = (&order.tenant, order.id);
        let archive = work.join("archive.pdf");
        if !self
            .objects
            .get_to_file(&files::order_file(t, id, files::ARCHIVE_VERSION), &archive)
            .await?
        {
            return Err(AppError::Internal("archive version missing".into()));
        }
        let anchors = seal_root(rec)?;
        let checked = archive.clone();
        let report =
            tokio::task::spawn_blocking(move || crate::pdf::verify_file(&checked, &anchors))
                .await
                .map_err(internal)?
                .map_err(internal)?;
        // The package says the signatures hold; one that would say otherwise is not made.
        if !report.all_hold() {
            return Err(AppError::bad_request(
                "export.validation_failed",
                "Arkivversionens underskrifter gick inte att bekräfta vid kontrollen inför arkivering, så inget arkivpaket skapades. Kontakta förvaltningen av e-underskrift.",
                "The archive version's signatures could not be confirmed when checked for export, so no archive package was made. Contact the e-underskrift operators.",
            ));
        }
        let report_json = serde_json::to_vec_pretty(&serde_json::json!({
            "validated_at": now,
            "validator": SOFTWARE,
            "file": ARCHIVE_PATH,
            "report": report,
        }))
        .map_err(internal)?;
        // The form the archive takes it in: the sealed archive version, or (for archives that
        // refuse embedded signatures) the document and its signature page without them, made
        // only now that every signature has been checked.
        let delivered = match rec.tenant.archive.form {
            DeliveryForm::Signed => archive,
            DeliveryForm::SignatureRemoved => {
                self.without_signatures(order, &rec.tenant, now, work)
                    .await?
            }
        };
        let mut contents = vec![SipFile {
            path: ARCHIVE_PATH.into(),
            content: SipContent::File(delivered),
            mime: "application/pdf".into(),
            use_: FileUse::Archive,
        }];
        let mut signers = Vec::new();
        for (i, (s, st)) in order
            .signers
            .iter()
            .zip(&order.current().signatures)
            .enumerate()
        {
            if let SignatureState::Signed { at, evidence_key } = st {
                let ev = self.objects.get(evidence_key).await?.ok_or_else(|| {
                    AppError::Internal(format!("evidence {evidence_key} missing"))
                })?;
                contents.push(SipFile {
                    path: format!(
                        "representations/rep1/data/evidence/signature-{}.json",
                        i + 1
                    ),
                    content: SipContent::Bytes(ev.to_vec()),
                    mime: "application/json".into(),
                    use_: FileUse::Evidence,
                });
                signers.push(SignatureFact {
                    main: s.role == crate::domain::order::Role::Ordforande,
                    name: s.name.clone(),
                    role: s.role.label_sv().to_string(),
                    signed_at: *at,
                    method: self.settings.signature_method.clone(),
                    evidence_path: contents.last().map(|f| f.path.clone()),
                    fallback_reason: None,
                });
            }
        }
        // The same check, readable by people, as PDF/A: for the archivist who opens the package.
        let page = crate::app::texts::validation_report_page(
            &rec.tenant,
            order,
            &self.settings.signature_method,
            &report,
            now,
            SOFTWARE,
        );
        let readable = crate::pdf::new_document::pdfa_document(
            &format!("Kontrollrapport: {}", order.meeting.title),
            &page,
            now,
        )
        .map_err(internal)?;
        contents.push(SipFile {
            path: READABLE_REPORT_PATH.into(),
            content: SipContent::Bytes(readable),
            mime: "application/pdf".into(),
            use_: FileUse::ValidationReport,
        });
        contents.push(SipFile {
            path: REPORT_PATH.into(),
            content: SipContent::Bytes(report_json),
            mime: "application/json".into(),
            use_: FileUse::ValidationReport,
        });
        let meta = SipMetadata {
            package_id: edition.id.clone(),
            label: order.meeting.title.clone(),
            created: now,
            tenant_id: t.to_string(),
            tenant_name: rec.tenant.name.clone(),
            organization_number: rec.tenant.organization_number.clone(),
            organ: order.meeting.committee.clone(),
            meeting_date: order.meeting.meeting_date.to_string(),
            paragraphs: order.meeting.paragraphs.clone(),
            diarienummer: order.meeting.diarienummer.clone(),
            signers,
            provenance: provenance(order, &report, now),
            software: SOFTWARE.into(),
            agreement: rec.tenant.archive.clone(),
            replaces: edition.replaces.clone(),
        };
        let package = work.join("sip.zip");
        let written = package.clone();
        tokio::task::spawn_blocking(move || {
            let out = std::io::BufWriter::new(std::fs::File::create(&written)?);
            let out = write_sip(&meta, &contents, out).map_err(std::io::Error::other)?;
            out.into_inner().map_err(|e| e.into_error())?.sync_all()
        })
        .await
        .map_err(internal)?
        .map_err(internal)?;
        Ok(package)
    }
}
