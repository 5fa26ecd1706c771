//! Documents and uploads: intake of a PDF (in the request body, or uploaded straight to the
//! uploads bucket and taken in when storage reports it arrived), and reading them back.

mod incoming;

pub use incoming::{
    parse_incoming_key, IncomingKey, UploadTicket, INCOMING_PREFIX, UPLOAD_URL_MINUTES,
};

use std::sync::Arc;

use super::{AppError, Download, Settings, Staff};
use crate::domain::api_key::Scope;
use crate::domain::document::clean_file_name;
use crate::domain::{Document, DocumentId, StaffRole};
use crate::pdf::intake::inspect_file;
use crate::ports::{Clock, ObjectStore, StateStore, UploadsBucket};
use crate::repo::{files, DocumentRepo};

pub struct Documents {
    documents: DocumentRepo,
    objects: Arc<dyn ObjectStore>,
    /// Where presigned uploads go (None: documents come in the request body only).
    uploads: Option<Arc<dyn UploadsBucket>>,
    clock: Arc<dyn Clock>,
    settings: Settings,
}

/// An object storage says has arrived in the uploads bucket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArrivedUpload {
    /// The key as stored (already decoded from the notification's URL encoding).
    pub key: String,
    /// Its size as the notification gives it, to refuse a file too large before reading it.
    pub size: Option<u64>,
}

impl Documents {
    pub fn new(
        state: Arc<dyn StateStore>,
        objects: Arc<dyn ObjectStore>,
        uploads: Option<Arc<dyn UploadsBucket>>,
        clock: Arc<dyn Clock>,
        settings: Settings,
    ) -> Self {
        Self {
            documents: DocumentRepo::new(state),
            objects,
            uploads,
            clock,
            settings,
        }
    }

    /// Intake: check the file, then store its bytes and then the record. The same bytes twice
    /// give the same document (its id is their SHA-256); `true` when it is new. The file is
    /// read in pieces (intake object by object, the digest as a stream), so memory does not
    /// grow with it.
    pub async fn upload_file(
        &self,
        staff: &Staff,
        file_name: &str,
        path: &std::path::Path,
    ) -> Result<(Document, bool), AppError> {
        staff.may(Scope::OrdersWrite)?;
        let limits = self.settings.intake_limits();
        let file = path.to_path_buf();
        let today = self
            .clock
            .now()
            .with_timezone(&chrono_tz::Europe::Stockholm)
            .date_naive();
        let (facts, id, size, publication) = tokio::task::spawn_blocking(move || {
            let facts = inspect_file(&file, &limits)?;
            let (id, size) = digest_of_file(&file)?;
            // What publishing it would take out, shown before anything is sent (the publish
            // step checks again; a file the check cannot read is still taken in).
            let publication = crate::pdf::clean::publication_check(&file, today)
                .map_err(|e| tracing::warn!(error = %e, "publication check failed"))
                .ok();
            Ok::<_, AppError>((facts, id, size, publication))
        })
        .await
        .map_err(internal)??;
        if let Some(existing) = self.documents.get(&staff.tenant, &id).await? {
            return Ok((existing, false));
        }
        let doc = Document {
            tenant: staff.tenant.clone(),
            id: id.clone(),
            file_name: clean_file_name(file_name),
            size,
            page_count: facts.page_count,
            pdfa_claim: facts.pdfa_claim,
            title: facts.title,
            uploaded_at: self.clock.now(),
            publication,
        };
        // Bytes first: a record never points at a file that is not there.
        self.objects
            .put_file(
                &files::original(&staff.tenant, &id),
                path,
                "application/pdf",
            )
            .await?;
        if self.documents.create(&doc).await? {
            Ok((doc, true))
        } else {
            // A concurrent upload of the same bytes won: same document.
            Ok((self.document(staff, &id).await?, false))
        }
    }

    async fn document(&self, staff: &Staff, id: &DocumentId) -> Result<Document, AppError> {
        self.documents
            .get(&staff.tenant, id)
            .await?
            .ok_or(AppError::NotFound { what: "document" })
    }

    pub async fn get_document(&self, staff: &Staff, id: &str) -> Result<Document, AppError> {
        staff.may(Scope::OrdersRead)?;
        self.document(staff, &DocumentId::parse(id)?).await
    }

    /// A document whose file the caller may download.
    async fn document_to_download(&self, staff: &Staff, id: &str) -> Result<Document, AppError> {
        staff.may(Scope::FilesRead)?;
        self.document(staff, &DocumentId::parse(id)?).await
    }

    /// The document and its bytes.
    pub async fn document_bytes(
        &self,
        staff: &Staff,
        id: &str,
    ) -> Result<(Document, Download), AppError> {
        let doc = self.document_to_download(staff, id).await?;
        let key = files::original(&staff.tenant, &doc.id);
        let file = Download::from_store(self.objects.as_ref(), &key, "document").await?;
        Ok((doc, file))
    }

    /// The document as it would be published, before anything is sent: every personnummer
    /// taken out (`pdf::clean`), without the page the publish step adds. A file that cannot
    /// be checked is refused with the page and the reason.
    pub async fn publication_preview(
        &self,
        staff: &Staff,
        id: &str,
    ) -> Result<(Document, Download), AppError> {
        let doc = self.document_to_download(staff, id).await?;
        let work = tempfile::tempdir().map_err(internal)?;
        let (original, preview) = (
            work.path().join("original.pdf"),
            work.path().join("preview.pdf"),
        );
        if !self
            .objects
            .get_to_file(&files::original(&staff.tenant, &doc.id), &original)
            .await?
        {
            return Err(AppError::NotFound { what: "document" });
        }
        let now = self.clock.now();
        let info = crate::pdf::clean::CleanInfo {
            title: doc.title.clone().unwrap_or_else(|| doc.file_name.clone()),
            subject: String::new(),
            date: now.format("D:%Y%m%d%H%M%S+00'00'").to_string(),
            confidential: Vec::new(),
            confidential_may_be_gone: false,
            page_after: None,
        };
        let today = now
            .with_timezone(&chrono_tz::Europe::Stockholm)
            .date_naive();
        let made = preview.clone();
        let check = tokio::task::spawn_blocking(move || {
            crate::pdf::clean::clean_copy(&original, &made, &info, today)
        })
        .await
        .map_err(internal)?
        .map_err(internal)?;
        if let crate::pdf::clean::CleanOutcome::Held { page, reason } = check {
            let (sv, en) = reason.held_page(page).explain();
            return Err(AppError::bad_request("publication.held", sv, en));
        }
        // Opened before `work` goes: the answer reads the copy from its handle.
        Ok((doc, Download::open(&preview)?))
    }

    /// A presigned PUT for one document into `incoming/<tenant>/<upload id>/<file name>`.
    /// The tenant in the key is the caller's own, so intake files it under that tenant. The
    /// document's id will be the SHA-256 of the bytes, as for any upload.
    pub async fn presign_upload(
        &self,
        staff: &Staff,
        file_name: &str,
    ) -> Result<UploadTicket, AppError> {
        staff.may(Scope::OrdersWrite)?;
        let uploads = self.uploads.as_ref().ok_or_else(|| {
            AppError::bad_request(
                "upload.direct_unavailable",
                "Den här installationen tar emot dokument direkt i anropet: skicka PDF-filen till POST /api/documents.",
                "This installation takes documents in the request body: send the PDF to POST /api/documents.",
            )
        })?;
        let incoming = IncomingKey {
            tenant: staff.tenant.clone(),
            upload_id: uuid::Uuid::new_v4().to_string(),
            file_name: incoming::key_file_name(file_name),
        };
        let valid_for = chrono::Duration::minutes(UPLOAD_URL_MINUTES);
        let request = uploads
            .presign_put(
                &incoming.key(),
                "application/pdf",
                valid_for.to_std().expect("positive"),
            )
            .await?;
        Ok(UploadTicket {
            upload_id: incoming.upload_id,
            file_name: incoming.file_name,
            request,
            expires_at: self.clock.now() + valid_for,
            max_bytes: self.settings.max_upload_bytes,
        })
    }

    /// Take in an object that arrived in the uploads bucket (the object store where there is
    /// none), as a secretary of the tenant its key names. Returns the document and whether it
    /// is new.
    pub async fn take_in_upload(
        &self,
        arrived: &ArrivedUpload,
    ) -> Result<(IncomingKey, Document, bool), AppError> {
        let incoming = parse_incoming_key(&arrived.key)?;
        // Refuse before reading it into memory.
        if arrived
            .size
            .is_some_and(|s| s > self.settings.max_upload_bytes)
        {
            return Err(crate::pdf::IntakeError::TooLarge.into());
        }
        // Into a file, not memory: a direct upload may be hundreds of MB.
        let work = tempfile::tempdir().map_err(internal)?;
        let path = work.path().join("upload.pdf");
        let found = match &self.uploads {
            Some(bucket) => bucket.get_to_file(&arrived.key, &path).await?,
            None => self.objects.get_to_file(&arrived.key, &path).await?,
        };
        if !found {
            return Err(AppError::NotFound { what: "upload" });
        }
        // Whoever asked for the upload URL was allowed to upload (`presign_upload`).
        let staff = Staff::person(incoming.tenant.clone(), StaffRole::Secretary);
        let (doc, created) = self.upload_file(&staff, &incoming.file_name, &path).await?;
        Ok((incoming, doc, created))
    }
}

/// The document id of a file (the SHA-256 of its bytes) and its size, read in pieces.
fn digest_of_file(path: &std::path::Path) -> Result<(DocumentId, u64), AppError> {
    use sha2::Digest;
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(internal)?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(internal)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((DocumentId::from_digest(hasher.finalize().into()), size))
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}
