//! `esign seal`: any PDF sealed with a tenant's seal at its level, streaming from file to
//! file, outside any signing order; `esign extend`: any PAdES file's proof renewed.

use super::{internal, Pipeline};
use crate::app::texts::stockholm;
use crate::app::AppError;
use crate::domain::TenantId;
use crate::error::ErrorText;
use crate::pdf::sign::seal::SealRequest;

impl Pipeline {
    /// `esign seal`: seal any PDF file with the tenant's seal at its level, streaming from
    /// `input` to `output`. The page names the file; the seal itself protects its bytes. What
    /// upload refuses is refused here too, by the same intake (read object by object, so a
    /// file of any size keeps memory flat).
    pub async fn seal_path(
        &self,
        t: &TenantId,
        input: &std::path::Path,
        output: &std::path::Path,
    ) -> Result<crate::pdf::SealOutcome, AppError> {
        crate::pdf::intake::inspect_file(input, &self.settings.intake_limits())?;
        let rec = self.tenant_record(t).await?;
        let signer = self.seal_signer(&rec)?;
        let now = self.clock.now();
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
        crate::pdf::sign::seal::seal_file(
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

impl Pipeline {
    /// `esign extend`: renew the proof of existence of any PAdES file, ours or another's, from
    /// `input` to `output` (`pdf::sign::extend`): fresh validation data for its newest
    /// timestamp and a new document timestamp over it all. Needs the installation's timestamp
    /// authority and revocation source.
    pub async fn extend_path(
        &self,
        input: &std::path::Path,
        output: &std::path::Path,
    ) -> Result<crate::pdf::sign::extend::ExtendOutcome, AppError> {
        let timestamp = self.timestamp_for(crate::domain::SealLevel::BLTA)?;
        let revocation = self.revocation_for(crate::domain::SealLevel::BLTA)?;
        let (Some(timestamp), Some(revocation)) = (timestamp, revocation) else {
            return Err(internal(
                "renewal needs a timestamp authority and revocation data",
            ));
        };
        crate::pdf::sign::extend::extend_file(
            input,
            output,
            crate::pdf::sign::extend::ExtendRequest {
                timestamp,
                revocation,
            },
        )
        .await
        .map_err(|e| match e {
            crate::pdf::SealError::Pdf(pdf) => {
                AppError::bad_request(pdf.code(), pdf.message_sv(), pdf.message_en())
            }
            other => internal(other),
        })
    }
}
