//! The tenant's digital anslagstavla: rebuilt from the notices that are up whenever a notice is
//! posted, a tenant is made, or a day has passed (housekeeping takes notices down). The public
//! reads it, and the files its notices link to, through [`Board::public_file`].

use std::sync::Arc;

use bytes::Bytes;

use super::tenants::existing_tenant;
use super::AppError;
use crate::domain::notice::Notice;
use crate::domain::TenantId;
use crate::ports::{Clock, ObjectStore};
use crate::repo::{files, TenantRepo};

#[derive(Clone)]
pub struct Board {
    objects: Arc<dyn ObjectStore>,
    tenants: TenantRepo,
    clock: Arc<dyn Clock>,
}

/// A public file and how to serve it.
pub struct PublicFile {
    pub bytes: Bytes,
    pub content_type: &'static str,
}

impl Board {
    pub fn new(objects: Arc<dyn ObjectStore>, tenants: TenantRepo, clock: Arc<dyn Clock>) -> Self {
        Self {
            objects,
            tenants,
            clock,
        }
    }

    /// The tenant's anslagstavla: every notice still up today, newest first.
    pub async fn rebuild(&self, t: &TenantId) -> Result<(), AppError> {
        let tenant = existing_tenant(&self.tenants, t).await?.value.tenant;
        let today = self
            .clock
            .now()
            .with_timezone(&chrono_tz::Europe::Stockholm)
            .date_naive();
        let mut notices = Vec::new();
        for key in self.objects.list(&files::public(t, "")).await? {
            if !key.ends_with(".json") {
                continue;
            }
            let Some(bytes) = self.objects.get(&key).await? else {
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
        let html = crate::render::anslagstavla_html(&tenant.name, &notices);
        self.objects
            .put(
                &files::public(t, "index.html"),
                Bytes::from(html),
                "text/html; charset=utf-8",
            )
            .await?;
        Ok(())
    }

    /// A file of the tenant's anslagstavla (`index.html`, a notice's page, JSON or PDF).
    /// Anything else is "not found", as is a name that is not a plain file name.
    pub async fn public_file(&self, tenant: &str, name: &str) -> Result<PublicFile, AppError> {
        let not_found = || AppError::NotFound { what: "page" };
        let t = TenantId::parse(tenant).map_err(|_| not_found())?;
        let valid_name = name.len() <= 80
            && !name.starts_with('.')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        if !valid_name {
            return Err(not_found());
        }
        let bytes = self
            .objects
            .get(&files::public(&t, name))
            .await?
            .ok_or_else(not_found)?;
        Ok(PublicFile {
            bytes,
            content_type: content_type_of(name),
        })
    }
}

/// The content type of a file the service serves, by its name.
pub fn content_type_of(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("pdf") => "application/pdf",
        Some("json") => "application/json",
        Some("html") => "text/html; charset=utf-8",
        Some("zip") => "application/zip",
        _ => "application/octet-stream",
    }
}
