//! The upload function's routes: documents in the request body, presigned direct uploads,
//! reading documents back.

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::json;

use super::extract::{JsonBody, QueryParams, StaffAuth};
use super::{download, ok, ApiResult};
use crate::app::{views, App};
use crate::web::status::RequestError;

// --- upload ---------------------------------------------------------------------------------

#[derive(Deserialize)]
struct UploadQuery {
    file_name: Option<String>,
}

async fn upload(
    State(app): State<App>,
    StaffAuth(staff): StaffAuth,
    QueryParams(q): QueryParams<UploadQuery>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult {
    let file = pdf_body_to_file(&headers, body, app.settings().max_upload_bytes).await?;
    let name = q
        .file_name
        .or_else(|| {
            headers
                .get("x-file-name")
                .and_then(|v| v.to_str().ok())
                .map(|v| {
                    percent_encoding::percent_decode_str(v)
                        .decode_utf8_lossy()
                        .into_owned()
                })
        })
        .unwrap_or_else(|| "dokument.pdf".into());
    let (doc, created) = app
        .documents
        .upload_file(&staff, &name, file.path())
        .await?;
    ok(
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        json!({ "document": views::document(&doc) }),
    )
}

/// A request body sent as a PDF, into a temporary file as it arrives (never whole in memory,
/// no further than `max` bytes). Another content type is refused, its body read and dropped
/// so the client's connection stays usable. Upload and the verification page take PDFs so.
pub(in crate::web) async fn pdf_body_to_file(
    headers: &HeaderMap,
    body: axum::body::Body,
    max: u64,
) -> Result<tempfile::NamedTempFile, crate::web::ApiError> {
    let essence = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if !matches!(
        essence.as_str(),
        "application/pdf" | "application/octet-stream"
    ) {
        drain(body, max).await;
        return Err(RequestError::NotAPdfUpload.into());
    }
    body_to_file(body, max).await
}

/// Read and drop up to `max` bytes of a body that is refused.
async fn drain(body: axum::body::Body, max: u64) {
    use http_body_util::BodyExt;
    let mut body = body;
    let mut read = 0u64;
    while let Some(Ok(frame)) = body.frame().await {
        read += frame.data_ref().map_or(0, |d| d.len() as u64);
        if read > max {
            break;
        }
    }
}

/// The request body, streamed to a temporary file; over `max` bytes is `pdf.too_large`.
async fn body_to_file(
    body: axum::body::Body,
    max: u64,
) -> Result<tempfile::NamedTempFile, crate::web::ApiError> {
    use http_body_util::BodyExt;
    use std::io::Write;
    let internal = |e: std::io::Error| crate::app::AppError::Internal(e.to_string());
    let mut file = tempfile::NamedTempFile::new().map_err(internal)?;
    let mut written = 0u64;
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| RequestError::UnreadableBody)?;
        if let Ok(chunk) = frame.into_data() {
            written += chunk.len() as u64;
            if written > max {
                return Err(crate::app::AppError::from(crate::pdf::IntakeError::TooLarge).into());
            }
            file.write_all(&chunk).map_err(internal)?;
        }
    }
    file.flush().map_err(internal)?;
    Ok(file)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DirectUploadInput {
    file_name: String,
}

/// A presigned PUT for a document too large for this function's request body (about 6 MB on
/// a function URL): the client PUTs the PDF there, and the document appears under its
/// SHA-256 once the upload function has taken it in.
async fn start_direct_upload(
    State(app): State<App>,
    StaffAuth(staff): StaffAuth,
    JsonBody(input): JsonBody<DirectUploadInput>,
) -> ApiResult {
    let ticket = app
        .documents
        .presign_upload(&staff, &input.file_name)
        .await?;
    ok(StatusCode::CREATED, json!({ "upload": ticket }))
}

async fn get_document(
    State(app): State<App>,
    StaffAuth(staff): StaffAuth,
    Path(id): Path<String>,
) -> ApiResult {
    let doc = app.documents.get_document(&staff, &id).await?;
    ok(StatusCode::OK, json!({ "document": views::document(&doc) }))
}

async fn get_document_bytes(
    State(app): State<App>,
    StaffAuth(staff): StaffAuth,
    Path(id): Path<String>,
) -> ApiResult {
    let (doc, bytes) = app.documents.document_bytes(&staff, &id).await?;
    download(bytes, "application/pdf", &doc.file_name)
}

/// The document as it would be published: personnummer taken out, nothing else added.
async fn get_publication_preview(
    State(app): State<App>,
    StaffAuth(staff): StaffAuth,
    Path(id): Path<String>,
) -> ApiResult {
    let (doc, bytes) = app.documents.publication_preview(&staff, &id).await?;
    let stem = doc.file_name.trim_end_matches(".pdf");
    download(
        bytes,
        "application/pdf",
        &format!("{stem} – publiceringsversion (förhandsvisning).pdf"),
    )
}

pub(in crate::web) fn upload_routes() -> Router<App> {
    Router::new()
        .route(
            "/api/documents",
            // The embedded default takes large files directly; in AWS uploads above the
            // function-URL cap go by presigned PUT.
            post(upload).layer(DefaultBodyLimit::max(512 * 1024 * 1024)),
        )
        .route("/api/documents/uploads", post(start_direct_upload))
        .route("/api/documents/{id}", get(get_document))
        .route("/api/documents/{id}/original.pdf", get(get_document_bytes))
        .route(
            "/api/documents/{id}/publication-preview.pdf",
            get(get_publication_preview),
        )
}
