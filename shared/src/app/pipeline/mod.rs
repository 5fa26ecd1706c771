//! The pipeline after the last signature: seal → publish → archive-export, each step a job on
//! its own queue. Every step is idempotent: a duplicate delivery finds the step done, makes
//! sure the next one is queued, and changes nothing. Also `esign seal` for any PDF.

mod export;
mod export_facts;
mod publish;
mod reexport;
mod renew;
mod seal;
mod seal_file;
mod work;

use std::sync::Arc;

pub use renew::Renewal;

use async_trait::async_trait;

use super::board::{Board, PublicFile};
use super::notify::Notifier;
use super::{AppError, Settings};
use crate::app::tenants::existing_tenant;
use crate::domain::pipeline::{is_done, next_step, PipelinePosition, PipelineStep};
use crate::domain::{DomainError, OrderId, SealLevel, SealServices, SigningOrder, TenantId};
use crate::ports::{
    Clock, Job, JobFailure, JobHandler, KeySigner, ObjectStore, PersonalDataCipher, Queue,
    RevocationSource, StateStore, TimestampSource,
};
use crate::repo::{OrderRepo, TenantRecord, TenantRepo};

const SOFTWARE: &str = concat!("e-underskrift ", env!("CARGO_PKG_VERSION"));

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

/// The ports a seal at a PAdES level above B-B needs (None: that service is not configured).
#[derive(Clone, Default)]
pub struct SealSources {
    /// The timestamp authority for seals at PAdES B-T and above.
    pub timestamp: Option<Arc<dyn TimestampSource>>,
    /// OCSP responses and CRLs for seals at PAdES B-LT and above.
    pub revocation: Option<Arc<dyn RevocationSource>>,
}

impl SealSources {
    /// What these sources can make (the rule is `domain::seal_level`).
    pub fn services(&self) -> SealServices {
        SealServices {
            timestamp_authority: self.timestamp.is_some(),
            revocation: self.revocation.is_some(),
        }
    }
}

pub struct Pipeline {
    orders: OrderRepo,
    tenants: TenantRepo,
    objects: Arc<dyn ObjectStore>,
    keys: Arc<dyn KeySigner>,
    queue: Arc<dyn Queue>,
    clock: Arc<dyn Clock>,
    sources: SealSources,
    board: Board,
    notify: Notifier,
    settings: Settings,
}

impl Pipeline {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        state: Arc<dyn StateStore>,
        cipher: Arc<dyn PersonalDataCipher>,
        objects: Arc<dyn ObjectStore>,
        keys: Arc<dyn KeySigner>,
        queue: Arc<dyn Queue>,
        clock: Arc<dyn Clock>,
        sources: SealSources,
        board: Board,
        notify: Notifier,
        settings: Settings,
    ) -> Self {
        Self {
            orders: OrderRepo::new(state.clone(), cipher),
            tenants: TenantRepo::new(state),
            objects,
            keys,
            queue,
            clock,
            sources,
            board,
            notify,
            settings,
        }
    }

    /// A file of a tenant's anslagstavla, for the public (the publish function serves them).
    pub async fn public_file(&self, tenant: &str, name: &str) -> Result<PublicFile, AppError> {
        self.board.public_file(tenant, name).await
    }

    async fn tenant_record(&self, t: &TenantId) -> Result<TenantRecord, AppError> {
        Ok(existing_tenant(&self.tenants, t).await?.value)
    }

    async fn load(&self, t: &TenantId, id: OrderId) -> Result<SigningOrder, AppError> {
        Ok(self
            .orders
            .load(t, id)
            .await?
            .ok_or(AppError::NotFound { what: "order" })?
            .value)
    }

    /// Whether `step` is done already for this order (a duplicate delivery). If it is the
    /// step just done, the next one is queued again: the earlier run may have stopped between
    /// its write and its enqueue. An order not in the pipeline is refused.
    async fn already_done(
        &self,
        order: &SigningOrder,
        step: PipelineStep,
    ) -> Result<bool, AppError> {
        let position = next_step(&order.status);
        if position == PipelinePosition::NotInPipeline {
            return Err(DomainError::IllegalTransition {
                action: "process",
                from: order.status.clone(),
            }
            .into());
        }
        if !is_done(&order.status, step) {
            return Ok(false);
        }
        if order.status == step.done_status() {
            if let PipelinePosition::Waiting(next) = position {
                self.queue
                    .enqueue(Job::for_step(next, &order.tenant, order.id))
                    .await?;
            }
        }
        Ok(true)
    }

    /// Mark `step` done (`mark`) while holding its claim (`token`), then queue the step after
    /// it. A holder whose claim another delivery took over stops: that one finishes.
    async fn finish(
        &self,
        order: &SigningOrder,
        step: PipelineStep,
        token: &str,
        mark: impl Fn(&mut SigningOrder) -> Result<(), DomainError>,
    ) -> Result<(), AppError> {
        let (t, id) = (&order.tenant, order.id);
        match self
            .orders
            .update_with(t, id, |o| {
                o.check_claim(step, token)?;
                Ok::<_, AppError>(mark(o)?)
            })
            .await
        {
            Ok(Some(_)) => {}
            Ok(None) => return Err(AppError::NotFound { what: "order" }),
            Err(AppError::Domain(DomainError::ClaimLost)) => {
                tracing::info!(order = %id, ?step, "another delivery took the step over");
                return Ok(());
            }
            // The write may have landed with its answer lost (a timeout): done is done.
            Err(e) => match self.orders.load(t, id).await {
                Ok(Some(o)) if is_done(&o.value.status, step) => {}
                _ => return Err(e),
            },
        }
        if let PipelinePosition::Waiting(next) = next_step(&step.done_status()) {
            self.queue.enqueue(Job::for_step(next, t, id)).await?;
        }
        Ok(())
    }

    /// The timestamp source a seal at `level` needs, or why it cannot be made.
    fn timestamp_for(&self, level: SealLevel) -> Result<Option<&dyn TimestampSource>, AppError> {
        if level < SealLevel::BT {
            return Ok(None);
        }
        self.sources.timestamp.as_deref().map(Some).ok_or_else(|| {
            AppError::bad_request(
                "seal.no_timestamp_authority",
                "Organisationens sigillnivå kräver en tidsstämpeltjänst, men ingen är konfigurerad.",
                "The tenant's seal level needs a timestamp authority, and none is configured.",
            )
        })
    }

    /// The revocation source a seal at `level` needs, or why it cannot be made.
    fn revocation_for(&self, level: SealLevel) -> Result<Option<&dyn RevocationSource>, AppError> {
        if level < SealLevel::BLT {
            return Ok(None);
        }
        self.sources.revocation.as_deref().map(Some).ok_or_else(|| {
            AppError::bad_request(
                "seal.no_revocation_source",
                "Organisationens sigillnivå kräver spärrinformation (OCSP eller CRL), men ingen källa är konfigurerad.",
                "The tenant's seal level needs revocation data (OCSP or CRL), and no source is configured.",
            )
        })
    }
}

#[async_trait]
impl JobHandler for Pipeline {
    async fn handle(&self, job: &Job) -> Result<(), JobFailure> {
        self.run(job).await.map_err(|e| e.job_failure())
    }
}

#[cfg(all(test, feature = "embedded"))]
mod claim_tests;

#[cfg(all(test, feature = "embedded"))]
mod streaming_tests;

#[cfg(all(test, feature = "embedded"))]
mod renew_tests;

#[cfg(all(test, feature = "embedded"))]
mod export_tests;

#[cfg(all(test, feature = "embedded"))]
mod publish_tests;

#[cfg(all(test, feature = "embedded"))]
mod tests {
    use super::*;
    use crate::app::test_app;
    use crate::error::ErrorText;

    /// An expired seal certificate seals nothing: the refusal says why, and no file is made.
    #[tokio::test]
    async fn an_expired_seal_certificate_seals_nothing() {
        let t = test_app::start().await;
        t.add_tenant("kommun").await;
        let tenant = TenantId::parse("kommun").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("protokoll.pdf");
        std::fs::write(&input, crate::pdf::test_support::tiny_pdf("", &[])).unwrap();
        let sealed = dir.path().join("sealed.pdf");
        t.app
            .pipeline
            .seal_path(&tenant, &input, &sealed)
            .await
            .expect("a valid certificate seals");
        // The test seal certificate is valid for three years.
        t.clock.advance(chrono::Duration::days(4 * 366));
        let expired = dir.path().join("expired.pdf");
        let err = t
            .app
            .pipeline
            .seal_path(&tenant, &input, &expired)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "seal.certificate_invalid", "{err}");
        assert!(
            err.message_sv().contains("sigillcertifikat"),
            "{}",
            err.message_sv()
        );
        assert_eq!(err.retry(), crate::ports::Retry::Never);
        assert!(!expired.exists(), "an archive version was made");
    }

    #[tokio::test]
    async fn seal_level_follows_what_the_installation_can_make() {
        let t = test_app::start().await;
        t.add_tenant("utan-tsa").await;
        let tenant = TenantId::parse("utan-tsa").unwrap();
        assert_eq!(
            t.app.tenants.tenant(&tenant).await.unwrap().seal_level,
            SealLevel::BB
        );
        assert!(t
            .app
            .pipeline
            .timestamp_for(SealLevel::BB)
            .unwrap()
            .is_none());
        let err = t.app.pipeline.timestamp_for(SealLevel::BT).err().unwrap();
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
        let app = t.app_with(|ports| ports.timestamp = Some(Arc::new(tsa)));
        app.tenants
            .create_tenant(crate::app::TenantSetup {
                id: TenantId::parse("med-tsa").unwrap(),
                name: "Med TSA".into(),
                organization_number: None,
                storage_place: "Kansliet".into(),
            })
            .await
            .unwrap();
        let with = app
            .tenants
            .tenant(&TenantId::parse("med-tsa").unwrap())
            .await
            .unwrap();
        assert_eq!(with.seal_level, SealLevel::BT);
        assert!(app.pipeline.timestamp_for(SealLevel::BT).unwrap().is_some());
    }
}
