//! The queue-driven steps after the last signature: seal → publish → archive-export. Each is
//! idempotent: a duplicate delivery finds the step done, makes sure the next one is queued,
//! and changes nothing.

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use std::sync::Arc;

use super::repo::keys;
use super::texts::{justering_page, stockholm};
use super::{App, AppError};
use crate::archive::{build_sip, FileUse, SipFile, SipMetadata};
use crate::domain::calendar::anslag_dates;
use crate::domain::notice::Notice;
use crate::domain::{OrderId, OrderStatus, SignatureState, SigningOrder, TenantId};
use crate::pdf::seal::{SealAlgorithm, SealError, SealRequest, SealSigner};
use crate::ports::{Job, KeyAlgorithm, KeySigner};

/// The tenant's seal key (through the key-signer port) and its certificate chain.
pub struct TenantSealSigner {
    pub keys: Arc<dyn KeySigner>,
    pub key_id: String,
    pub chain_der: Vec<Vec<u8>>,
}

#[async_trait]
impl SealSigner for TenantSealSigner {
    fn certificate_chain_der(&self) -> Vec<Vec<u8>> {
        self.chain_der.clone()
    }
    fn algorithm(&self) -> SealAlgorithm {
        match self.keys.algorithm() {
            KeyAlgorithm::EcdsaP256Sha256 => SealAlgorithm::EcdsaP256Sha256,
            KeyAlgorithm::RsaPkcs1Sha256 => SealAlgorithm::RsaPkcs1Sha256,
        }
    }
    async fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SealError> {
        self.keys
            .sign(&self.key_id, message)
            .await
            .map_err(|e| SealError::Signer(e.to_string()))
    }
}

const SOFTWARE: &str = concat!("e-underskrift ", env!("CARGO_PKG_VERSION"));

fn parse_job(tenant: &str, order_id: &str) -> Result<(TenantId, OrderId), AppError> {
    Ok((TenantId::parse(tenant)?, OrderId::parse(order_id)?))
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

impl App {
    /// The timestamp source a seal at `level` needs, or why it cannot be made.
    fn timestamp_for(
        &self,
        level: crate::domain::SealLevel,
    ) -> Result<Option<&dyn crate::pdf::TimestampSource>, AppError> {
        if level < crate::domain::SealLevel::BT {
            return Ok(None);
        }
        self.ports.timestamp.as_deref().map(Some).ok_or_else(|| {
            AppError::bad_request(
                "seal.no_timestamp_authority",
                "Organisationens sigillnivå kräver en tidsstämpeltjänst, men ingen är konfigurerad.",
                "The tenant's seal level needs a timestamp authority, and none is configured.",
            )
        })
    }

    /// The revocation source a seal at `level` needs, or why it cannot be made.
    fn revocation_for(
        &self,
        level: crate::domain::SealLevel,
    ) -> Result<Option<&dyn crate::pdf::RevocationSource>, AppError> {
        if level < crate::domain::SealLevel::BLT {
            return Ok(None);
        }
        self.ports.revocation.as_deref().map(Some).ok_or_else(|| {
            AppError::bad_request(
                "seal.no_revocation_source",
                "Organisationens sigillnivå kräver spärrinformation (OCSP eller CRL), men ingen källa är konfigurerad.",
                "The tenant's seal level needs revocation data (OCSP or CRL), and no source is configured.",
            )
        })
    }

    /// The tenant's seal key with its installed certificate chain.
    fn seal_signer(&self, rec: &super::repo::TenantRecord) -> Result<TenantSealSigner, AppError> {
        let chain_pem = rec.seal_chain_pem.as_deref().ok_or_else(|| {
            AppError::bad_request(
                "seal.no_certificate",
                "Organisationen har inget sigillcertifikat installerat.",
                "The tenant has no seal certificate installed.",
            )
        })?;
        Ok(TenantSealSigner {
            keys: self.ports.keys.clone(),
            key_id: rec.seal_key_id.clone(),
            chain_der: crate::x509::pem_decode_certs(chain_pem).map_err(internal)?,
        })
    }

    pub async fn handle_job(&self, job: &Job) -> Result<(), AppError> {
        match job {
            Job::Seal { tenant, order_id } => {
                let (t, o) = parse_job(tenant, order_id)?;
                self.seal_order(&t, o).await
            }
            Job::Publish { tenant, order_id } => {
                let (t, o) = parse_job(tenant, order_id)?;
                self.publish_order(&t, o).await
            }
            Job::ArchiveExport { tenant, order_id } => {
                let (t, o) = parse_job(tenant, order_id)?;
                self.export_order(&t, o).await
            }
        }
    }

    /// Queue `job` if the order is already past `done`: a duplicate delivery still moves
    /// the chain on if the earlier run stopped between its write and its enqueue.
    async fn already_done(
        &self,
        order: &SigningOrder,
        done: OrderStatus,
    ) -> Result<bool, AppError> {
        let rank = |s: &OrderStatus| match s {
            OrderStatus::Completed => 0,
            OrderStatus::Sealed => 1,
            OrderStatus::Published => 2,
            OrderStatus::Exported => 3,
            _ => -1,
        };
        if rank(&order.status) < 0 {
            return Err(crate::domain::DomainError::IllegalTransition {
                action: "process",
                from: order.status.clone(),
            }
            .into());
        }
        if rank(&order.status) < rank(&done) {
            return Ok(false);
        }
        let (tenant, order_id) = (order.tenant.to_string(), order.id.to_string());
        let next = match order.status {
            OrderStatus::Sealed => Some(Job::Publish { tenant, order_id }),
            OrderStatus::Published => Some(Job::ArchiveExport { tenant, order_id }),
            _ => None,
        };
        if rank(&order.status) == rank(&done) {
            if let Some(job) = next {
                self.ports.queue.enqueue(job).await?;
            }
        }
        Ok(true)
    }

    /// The archive version: the original bytes unchanged, then a signature page and the
    /// tenant's PAdES seal as an incremental update.
    pub async fn seal_order(&self, t: &TenantId, id: OrderId) -> Result<(), AppError> {
        let order = self.load_order(t, id).await?.value;
        if self.already_done(&order, OrderStatus::Sealed).await? {
            return Ok(());
        }
        let rec = self.tenant_record(t).await?.value;
        let signer = self.seal_signer(&rec)?;
        let now = self.ports.clock.now();
        let page = justering_page(
            &rec.tenant,
            &order,
            &self.settings.signature_method,
            "Justering – underskrifter",
            format!(
                "Arkivexemplar. Underskrifterna gjordes med {} och bevisen ligger i arkivpaketet. \
                 Dokumentet förseglades med {}s elektroniska sigill {}.",
                self.settings.signature_method,
                rec.tenant.name,
                stockholm(now)
            ),
        );
        // Each signature's BankID evidence travels inside the archive version (PDF/A-3
        // associated files), so the document alone proves who signed, decades from now.
        let mut evidence = Vec::new();
        for (s, st) in order.signers.iter().zip(&order.current().signatures) {
            if let SignatureState::Signed { at, evidence_key } = st {
                let bytes = self.ports.objects.get(evidence_key).await?.ok_or_else(|| {
                    AppError::Internal(format!("evidence {evidence_key} missing"))
                })?;
                evidence.push((s, *at, bytes));
            }
        }
        let attachments: Vec<crate::pdf::AttachedFile<'_>> = evidence
            .iter()
            .enumerate()
            .map(|(i, (s, at, bytes))| crate::pdf::AttachedFile {
                name: format!("bankid-underskrift-{}.json", i + 1),
                bytes,
                mime_type: "application/json".into(),
                description: format!(
                    "BankID-underskrift av {} ({}), med signatur och OCSP-svar",
                    s.name,
                    s.role.label_sv()
                ),
                modified: *at,
            })
            .collect();
        let level = rec.tenant.seal_level;
        let request = SealRequest {
            page: &page,
            signing_time: now,
            reason: Some("Arkivexemplar av justerat protokoll".into()),
            location: None,
            level,
            timestamp: self.timestamp_for(level)?,
            revocation: self.revocation_for(level)?,
            attachments: &attachments,
        };
        // Files, not memory: an archive version may be hundreds of MB.
        let work = tempfile::tempdir().map_err(internal)?;
        let original_path = work.path().join("original.pdf");
        let archive_path = work.path().join("archive.pdf");
        let original_key = keys::original(&order.tenant, &order.current().document_id);
        if !self
            .ports
            .objects
            .get_to_file(&original_key, &original_path)
            .await?
        {
            return Err(AppError::Internal(format!(
                "original of order {id} is missing"
            )));
        }
        crate::pdf::seal::seal_file(&original_path, &archive_path, request, &signer)
            .await
            .map_err(internal)?;
        self.ports
            .objects
            .put_file(
                &keys::order_file(t, id, "archive.pdf"),
                &archive_path,
                "application/pdf",
            )
            .await?;
        self.advance(t, id, |o| o.mark_sealed(now)).await?;
        self.ports
            .queue
            .enqueue(Job::Publish {
                tenant: t.to_string(),
                order_id: id.to_string(),
            })
            .await?;
        Ok(())
    }

    /// Apply a forward step; losing a race to a duplicate delivery of the same step is fine.
    async fn advance(
        &self,
        t: &TenantId,
        id: OrderId,
        step: impl Fn(&mut SigningOrder) -> Result<(), crate::domain::DomainError>,
    ) -> Result<(), AppError> {
        match self.update_order(t, id, |o| Ok(step(o)?)).await {
            Ok(_) => Ok(()),
            Err(AppError::Domain(crate::domain::DomainError::IllegalTransition { .. })) => {
                let now = self.load_order(t, id).await?.value;
                tracing::info!(order = %id, status = ?now.status, "step already done by another delivery");
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    async fn original_of(&self, order: &SigningOrder) -> Result<Bytes, AppError> {
        self.ports
            .objects
            .get(&keys::original(&order.tenant, &order.current().document_id))
            .await?
            .ok_or_else(|| AppError::Internal(format!("original of order {} is missing", order.id)))
    }

    fn justering_date(order: &SigningOrder) -> chrono::NaiveDate {
        let at: DateTime<Utc> = order.completed_at.unwrap_or(order.created_at);
        at.with_timezone(&chrono_tz::Europe::Stockholm).date_naive()
    }

    /// The publication version (no signature, no personnummer) and the notice on the
    /// digital anslagstavla.
    pub async fn publish_order(&self, t: &TenantId, id: OrderId) -> Result<(), AppError> {
        let order = self.load_order(t, id).await?.value;
        if self.already_done(&order, OrderStatus::Published).await? {
            return Ok(());
        }
        if order.status != OrderStatus::Sealed {
            return Err(AppError::Internal(format!("order {id} is not sealed yet")));
        }
        let tenant = self.tenant(t).await?;
        let now = self.ports.clock.now();
        let original = self.original_of(&order).await?;
        let justering = Self::justering_date(&order);
        let page = justering_page(
            &tenant,
            &order,
            &self.settings.signature_method,
            "Justerat digitalt",
            format!(
                "Publiceringsversion. Protokollet justerades digitalt {}. Den elektroniskt \
                 förseglade arkivversionen förvaras hos: {}.",
                justering, tenant.storage_place
            ),
        );
        let publication =
            crate::pdf::publication::publication_version(&original, &page).map_err(internal)?;
        let today = now
            .with_timezone(&chrono_tz::Europe::Stockholm)
            .date_naive();
        let base = self.settings.public_base_url.trim_end_matches('/');
        let notice = Notice::with_dates(
            tenant.name.clone(),
            order.meeting.committee.clone(),
            order.meeting.meeting_date,
            order.meeting.paragraphs.clone(),
            justering,
            anslag_dates(justering, today),
            tenant.storage_place.clone(),
            order.meeting.title.clone(),
            Some(format!("{base}/public/{t}/anslag/{id}.pdf")),
        );
        let notice_json = serde_json::to_vec_pretty(&notice).map_err(internal)?;
        let notice_html = crate::web::notice_html::render_notice_html(&notice);
        let files: [(&str, &str, Bytes); 3] = [
            (
                "publication.pdf",
                "application/pdf",
                Bytes::from(publication),
            ),
            ("notice.json", "application/json", Bytes::from(notice_json)),
            (
                "notice.html",
                "text/html; charset=utf-8",
                Bytes::from(notice_html),
            ),
        ];
        for (name, ctype, bytes) in &files {
            self.ports
                .objects
                .put(&keys::order_file(t, id, name), bytes.clone(), ctype)
                .await?;
        }
        let public = [
            (format!("{id}.pdf"), "application/pdf", files[0].2.clone()),
            (format!("{id}.json"), "application/json", files[1].2.clone()),
            (
                format!("{id}.html"),
                "text/html; charset=utf-8",
                files[2].2.clone(),
            ),
        ];
        for (name, ctype, bytes) in public {
            self.ports
                .objects
                .put(&keys::public(t, &name), bytes, ctype)
                .await?;
        }
        self.advance(t, id, |o| o.mark_published(now)).await?;
        self.rebuild_anslagstavla(t).await?;
        self.ports
            .queue
            .enqueue(Job::ArchiveExport {
                tenant: t.to_string(),
                order_id: id.to_string(),
            })
            .await?;
        Ok(())
    }

    /// The tenant's anslagstavla: every notice still up today, newest first.
    pub async fn rebuild_anslagstavla(&self, t: &TenantId) -> Result<(), AppError> {
        let tenant = self.tenant(t).await?;
        let today = self
            .ports
            .clock
            .now()
            .with_timezone(&chrono_tz::Europe::Stockholm)
            .date_naive();
        let mut notices = Vec::new();
        for key in self.ports.objects.list(&keys::public(t, "")).await? {
            if !key.ends_with(".json") {
                continue;
            }
            let Some(bytes) = self.ports.objects.get(&key).await? else {
                continue;
            };
            let Ok(n) = serde_json::from_slice::<Notice>(&bytes) else {
                continue;
            };
            if n.taken_down > today {
                let id = key
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .trim_end_matches(".json")
                    .to_string();
                notices.push((id, n));
            }
        }
        notices.sort_by_key(|n| std::cmp::Reverse(n.1.posted));
        let html = crate::web::pages::anslagstavla_html(&tenant.name, &notices);
        self.ports
            .objects
            .put(
                &keys::public(t, "index.html"),
                Bytes::from(html),
                "text/html; charset=utf-8",
            )
            .await?;
        Ok(())
    }

    /// The e-archive package: the archive version, the BankID evidence of every signature,
    /// a validation report made now, and the metadata the archive asks for.
    pub async fn export_order(&self, t: &TenantId, id: OrderId) -> Result<(), AppError> {
        let order = self.load_order(t, id).await?.value;
        if self.already_done(&order, OrderStatus::Exported).await? {
            return Ok(());
        }
        if order.status != OrderStatus::Published {
            return Err(AppError::Internal(format!(
                "order {id} is not published yet"
            )));
        }
        let rec = self.tenant_record(t).await?.value;
        let now = self.ports.clock.now();
        let archive = self
            .ports
            .objects
            .get(&keys::order_file(t, id, "archive.pdf"))
            .await?
            .ok_or_else(|| AppError::Internal("archive version missing".into()))?;
        let anchors: Vec<Vec<u8>> = rec
            .seal_chain_pem
            .as_deref()
            .map(crate::x509::pem_decode_certs)
            .transpose()
            .map_err(internal)?
            .and_then(|c| c.last().cloned())
            .into_iter()
            .collect();
        let report = crate::pdf::verify::verify(&archive, &anchors).map_err(internal)?;
        let report_json = serde_json::to_vec_pretty(&serde_json::json!({
            "validated_at": now,
            "validator": SOFTWARE,
            "file": "representations/rep1/data/archive.pdf",
            "report": report,
        }))
        .map_err(internal)?;
        let mut files = vec![SipFile {
            path: "representations/rep1/data/archive.pdf".into(),
            bytes: archive.to_vec(),
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
                let ev = self.ports.objects.get(evidence_key).await?.ok_or_else(|| {
                    AppError::Internal(format!("evidence {evidence_key} missing"))
                })?;
                files.push(SipFile {
                    path: format!(
                        "representations/rep1/data/evidence/signature-{}.json",
                        i + 1
                    ),
                    bytes: ev.to_vec(),
                    mime: "application/json".into(),
                    use_: FileUse::Evidence,
                });
                signers.push((s.name.clone(), s.role.label_sv().to_string(), *at));
            }
        }
        files.push(SipFile {
            path: "metadata/other/validation-report.json".into(),
            bytes: report_json,
            mime: "application/json".into(),
            use_: FileUse::ValidationReport,
        });
        let meta = SipMetadata {
            package_id: format!("uuid-{id}"),
            label: order.meeting.title.clone(),
            created: now,
            tenant_name: rec.tenant.name.clone(),
            organization_number: rec.tenant.organization_number.clone(),
            organ: order.meeting.committee.clone(),
            meeting_date: order.meeting.meeting_date.to_string(),
            paragraphs: order.meeting.paragraphs.clone(),
            diarienummer: order.meeting.diarienummer.clone(),
            signers,
            software: SOFTWARE.into(),
        };
        let sip = build_sip(&meta, &files).map_err(internal)?;
        self.ports
            .objects
            .put(
                &keys::order_file(t, id, "sip.zip"),
                Bytes::from(sip),
                "application/zip",
            )
            .await?;
        self.advance(t, id, |o| o.mark_exported(now)).await
    }
}

#[cfg(feature = "embedded")]
#[async_trait]
impl crate::adapters::embedded::JobHandler for App {
    async fn handle(&self, job: &Job) -> Result<(), String> {
        self.handle_job(job)
            .await
            .map_err(|e| format!("{}: {e}", e.code()))
    }
}

impl App {
    /// `esign seal`: seal any PDF file with the tenant's seal at its level, streaming from
    /// `input` to `output`. The page names the file; the seal itself protects its bytes. Intake's
    /// content checks (scripts, page count) are for uploads; this refuses what cannot be sealed
    /// safely (encrypted, damaged, certified, too large).
    pub async fn seal_path(
        &self,
        t: &TenantId,
        input: &std::path::Path,
        output: &std::path::Path,
    ) -> Result<crate::pdf::SealOutcome, AppError> {
        let size = std::fs::metadata(input).map_err(internal)?.len();
        if size > self.settings.max_upload_bytes {
            return Err(crate::pdf::IntakeError::TooLarge.into());
        }
        let rec = self.tenant_record(t).await?.value;
        let signer = self.seal_signer(&rec)?;
        let now = self.ports.clock.now();
        let file_name = input
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("dokument.pdf");
        let page = crate::pdf::page::JusteringPage {
            heading: "Elektroniskt sigill".into(),
            organ: rec.tenant.name.clone(),
            meeting_date: String::new(),
            paragraphs: String::new(),
            document_name: crate::domain::document::clean_file_name(file_name),
            document_sha256: String::new(),
            lines: Vec::new(),
            footer: format!(
                "Dokumentet förseglades med {}s elektroniska sigill {}.",
                rec.tenant.name,
                stockholm(now)
            ),
        };
        let level = rec.tenant.seal_level;
        crate::pdf::seal::seal_file(
            input,
            output,
            SealRequest {
                page: &page,
                signing_time: now,
                reason: Some("Elektroniskt sigill".into()),
                location: None,
                level,
                timestamp: self.timestamp_for(level)?,
                revocation: self.revocation_for(level)?,
                attachments: &[],
            },
            &signer,
        )
        .await
        .map_err(|e| match e {
            // What is wrong with the file is the caller's to know.
            crate::pdf::SealError::Pdf(pdf) => {
                AppError::bad_request(pdf.code(), pdf.message_sv(), pdf.message_en())
            }
            other => internal(other),
        })
    }
}

#[cfg(all(test, feature = "embedded"))]
mod tests {
    use super::*;
    use crate::app::test_app;
    use crate::domain::SealLevel;

    #[tokio::test]
    async fn seal_level_follows_what_the_installation_can_make() {
        let t = test_app::start().await;
        t.add_tenant("utan-tsa").await;
        let tenant = TenantId::parse("utan-tsa").unwrap();
        assert_eq!(
            t.app.tenant(&tenant).await.unwrap().seal_level,
            SealLevel::BB
        );
        assert!(t.app.timestamp_for(SealLevel::BB).unwrap().is_none());
        let err = t.app.timestamp_for(SealLevel::BT).err().unwrap();
        assert_eq!(err.code(), "seal.no_timestamp_authority");

        let tsa = esign_world::tsa::LocalTsa::generate(
            &t.root,
            &[],
            &esign_world::pki::SubjectName {
                common_name: "Test TSA".into(),
                organization: "Test".into(),
                organization_identifier: None,
                country: "SE".into(),
            },
            chrono::Utc::now(),
        )
        .unwrap();
        let tsa = crate::pdf::test_support::TestTsa(tsa);
        let app = t.app.clone().with_timestamp(Arc::new(tsa));
        app.create_tenant(crate::app::TenantSetup {
            id: TenantId::parse("med-tsa").unwrap(),
            name: "Med TSA".into(),
            organization_number: None,
            storage_place: "Kansliet".into(),
        })
        .await
        .unwrap();
        let with = app
            .tenant(&TenantId::parse("med-tsa").unwrap())
            .await
            .unwrap();
        assert_eq!(with.seal_level, SealLevel::BT);
        assert!(app.timestamp_for(SealLevel::BT).unwrap().is_some());
    }
}
