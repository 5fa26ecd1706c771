//! The seal step: the archive version is the original bytes unchanged, then a signature page,
//! each signature's BankID evidence as associated files, and the tenant's PAdES seal as
//! incremental updates, at the tenant's level.

use std::sync::Arc;

use async_trait::async_trait;

use super::work::Claimed;
use super::{internal, Pipeline};
use crate::app::texts::{justering_page, stockholm};
use crate::app::AppError;
use crate::domain::{PipelineStep, SignatureState};
use crate::error::ErrorText;
use crate::pdf::sign::seal::{SealAlgorithm, SealError, SealRequest, SealSigner};
use crate::ports::{KeyAlgorithm, KeySigner};
use crate::repo::{files, TenantRecord};

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

/// The order's change once its archive version is stored: sealed, with the proof the file
/// carries (renewed before it ends: `Pipeline::renew`).
fn sealed(
    now: chrono::DateTime<chrono::Utc>,
    proof: Option<chrono::DateTime<chrono::Utc>>,
) -> impl Fn(&mut crate::domain::SigningOrder) -> Result<(), crate::domain::DomainError> {
    move |o| {
        o.mark_sealed(now)?;
        if let Some(until) = proof {
            o.record_archive_proof(until);
        }
        Ok(())
    }
}

impl Pipeline {
    /// The tenant's seal key with its installed certificate chain.
    pub(super) fn seal_signer(&self, rec: &TenantRecord) -> Result<TenantSealSigner, AppError> {
        let chain_pem = rec.seal_chain_pem.as_deref().ok_or_else(|| {
            AppError::bad_request(
                "seal.no_certificate",
                "Organisationen har inget sigillcertifikat installerat.",
                "The tenant has no seal certificate installed.",
            )
        })?;
        let chain_der = crate::x509::pem_decode_certs(chain_pem).map_err(internal)?;
        // The seal speaks for the organisation only while its certificate is valid: an expired
        // or revoked-by-date chain makes no seal at all rather than one no validator accepts.
        let now = self.clock.now();
        if let Err(e) =
            crate::x509::validate_supplied_chain(&chain_der, now, crate::x509::Purpose::Signing)
        {
            return Err(AppError::bad_request(
                "seal.certificate_invalid",
                format!(
                    "Organisationens sigillcertifikat går inte att använda nu: {} Installera ett giltigt sigillcertifikat.",
                    e.message_sv()
                ),
                format!(
                    "The tenant's seal certificate cannot be used now: {} Install a valid seal certificate.",
                    e.message_en()
                ),
            ));
        }
        Ok(TenantSealSigner {
            keys: self.keys.clone(),
            key_id: rec.seal_key_id.clone(),
            chain_der,
        })
    }

    /// The archive version: the original bytes unchanged, then a signature page and the
    /// tenant's PAdES seal as an incremental update. Written once per order: an archive
    /// version an earlier attempt (or another delivery) stored is the one that counts.
    pub(super) async fn seal_order(&self, claimed: &Claimed) -> Result<(), AppError> {
        let order = &claimed.order;
        let (t, id) = (&order.tenant, order.id);
        let archive_key = files::order_file(t, id, files::ARCHIVE_VERSION);
        let now = self.clock.now();
        if self.objects.exists(&archive_key).await? {
            tracing::info!(order = %id, "archive version made by an earlier attempt");
            let level = self.tenant_record(t).await?.tenant.seal_level;
            let proof = self.stored_proof(&archive_key, None, level).await?;
            return self
                .finish(
                    order,
                    PipelineStep::Seal,
                    &claimed.token,
                    sealed(now, proof),
                )
                .await;
        }
        let rec = self.tenant_record(t).await?;
        let signer = self.seal_signer(&rec)?;
        let page = justering_page(
            &rec.tenant,
            order,
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
                let bytes = self.objects.get(evidence_key).await?.ok_or_else(|| {
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
        let original_key = files::original(&order.tenant, &order.current().document_id);
        if !self
            .objects
            .get_to_file(&original_key, &original_path)
            .await?
        {
            return Err(AppError::Internal(format!(
                "original of order {id} is missing"
            )));
        }
        crate::pdf::sign::seal::seal_file(&original_path, &archive_path, request, &signer)
            .await
            .map_err(internal)?;
        let ours = self
            .objects
            .put_file_once(&archive_key, &archive_path, "application/pdf")
            .await?;
        if !ours {
            tracing::info!(order = %id, "another delivery stored its archive version first: that one counts");
        }
        let proof = self
            .stored_proof(&archive_key, ours.then_some(archive_path.as_path()), level)
            .await?;
        self.finish(
            order,
            PipelineStep::Seal,
            &claimed.token,
            sealed(now, proof),
        )
        .await
    }

    /// Until when the stored archive version proves its existence (its newest timestamp's
    /// chain, or its signature timestamp's at B-T and B-LT): read from `local` when that is the
    /// stored file, else from the store. None at B-B: no timestamp, nothing to renew.
    async fn stored_proof(
        &self,
        key: &str,
        local: Option<&std::path::Path>,
        level: crate::domain::SealLevel,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>, AppError> {
        if level < crate::domain::SealLevel::BT {
            return Ok(None);
        }
        let work = tempfile::tempdir().map_err(internal)?;
        let path = match local {
            Some(p) => p.to_path_buf(),
            None => {
                let p = work.path().join("archive.pdf");
                if !self.objects.get_to_file(key, &p).await? {
                    return Err(internal(format!("{key} is missing")));
                }
                p
            }
        };
        let proof =
            tokio::task::spawn_blocking(move || crate::pdf::sign::extend::current_proof(&path))
                .await
                .map_err(internal)?
                .map_err(internal)?;
        Ok(proof.until)
    }
}
