//! The tenant's digital anslagstavla: rendered from the notices that are up (the board's
//! record, `repo::BoardRepo`) whenever a notice is posted, a tenant is made, or a notice's
//! time is up (housekeeping takes it down, into the board's permanent archive by year:
//! `arkiv.html` and `arkiv-<year>.html`; the notice's own pages stay). The public reads it, and the files its notices
//! link to, through [`Board::public_file`].

use std::collections::BTreeSet;
use std::sync::Arc;

use bytes::Bytes;

use super::tenants::existing_tenant;
use super::AppError;
use chrono::{Datelike, NaiveDate};

use crate::domain::notice::Notice;
use crate::domain::{OrderId, TenantId};
use crate::ports::{Clock, ObjectStore, StateStore};
use crate::repo::{
    files, ArchivedNotice, BoardArchive, BoardRecord, BoardRepo, NoticeUp, TenantRepo,
};

#[derive(Clone)]
pub struct Board {
    objects: Arc<dyn ObjectStore>,
    /// The service's public address: feeds link with absolute URLs.
    base_url: String,
    tenants: TenantRepo,
    boards: BoardRepo,
    clock: Arc<dyn Clock>,
}

/// A public file and how to serve it.
pub struct PublicFile {
    pub bytes: Bytes,
    pub content_type: &'static str,
}

/// How many times a change to the board's record is tried when another writer came first.
const SAVE_ATTEMPTS: u32 = 10;

impl Board {
    pub fn new(
        objects: Arc<dyn ObjectStore>,
        state: Arc<dyn StateStore>,
        clock: Arc<dyn Clock>,
        base_url: &str,
    ) -> Self {
        Self {
            objects,
            base_url: base_url.trim_end_matches('/').to_string(),
            tenants: TenantRepo::new(state.clone()),
            boards: BoardRepo::new(state),
            clock,
        }
    }

    fn today(&self) -> NaiveDate {
        self.clock
            .now()
            .with_timezone(&chrono_tz::Europe::Stockholm)
            .date_naive()
    }

    /// Put a notice up (its files are already public) and render the board. Posting the same
    /// notice again changes nothing.
    pub async fn post(
        &self,
        t: &TenantId,
        order_id: OrderId,
        notice: &Notice,
    ) -> Result<(), AppError> {
        let up = NoticeUp {
            order_id,
            posted: notice.posted,
            taken_down: notice.taken_down,
        };
        self.change(t, |record| {
            record.notices.retain(|n| n.order_id != order_id);
            record.notices.push(up.clone());
        })
        .await?;
        self.render(t).await
    }

    /// Take down the notices whose time is up, if any is (housekeeping, every round): reads
    /// the board's record only, unless something comes down.
    pub async fn take_down_due(&self, t: &TenantId) -> Result<(), AppError> {
        match self.boards.load(t).await? {
            Some(r) if r.value.next_take_down().is_none_or(|d| d > self.today()) => Ok(()),
            _ => self.rebuild(t).await,
        }
    }

    /// Render the tenant's anslagstavla from the notices up today, newest first, and forget
    /// the ones taken down. A board made before the record existed is read from its public
    /// notices once.
    pub async fn rebuild(&self, t: &TenantId) -> Result<(), AppError> {
        if self.boards.load(t).await?.is_none() {
            let found = self.notices_published_before_the_record(t).await?;
            self.change(t, |record| {
                for n in &found {
                    if !record.notices.iter().any(|m| m.order_id == n.order_id) {
                        record.notices.push(n.clone());
                    }
                }
            })
            .await?;
        }
        self.render(t).await
    }

    async fn render(&self, t: &TenantId) -> Result<(), AppError> {
        let tenant = existing_tenant(&self.tenants, t).await?.value.tenant;
        let today = self.today();
        // Notices whose day has come go into the permanent archive first, then off the board:
        // a crash between leaves a notice in both, never in neither.
        let due: Vec<NoticeUp> = self
            .boards
            .load(t)
            .await?
            .map(|r| r.value.notices)
            .unwrap_or_default()
            .into_iter()
            .filter(|n| n.taken_down <= today)
            .collect();
        let mut years = BTreeSet::new();
        for up in &due {
            let Some(notice) = self.notice(t, up.order_id).await? else {
                continue;
            };
            years.insert(up.taken_down.year());
            self.archive(t, up, &notice).await?;
        }
        let record = self
            .change(t, |r| {
                r.notices.retain(|n| n.taken_down > today);
                for year in &years {
                    if !r.archive_years.contains(year) {
                        r.archive_years.push(*year);
                    }
                }
                r.archive_years.sort_unstable();
            })
            .await?;
        for year in years {
            let archived = self
                .boards
                .load_archive(t, year)
                .await?
                .map(|a| a.value.notices)
                .unwrap_or_default();
            self.put_page(
                t,
                &format!("arkiv-{year}.html"),
                crate::render::archive_year_html(&tenant.name, year, &archived),
            )
            .await?;
        }
        self.put_page(
            t,
            "arkiv.html",
            crate::render::archive_index_html(&tenant.name, &record.archive_years),
        )
        .await?;
        let mut notices = Vec::new();
        for up in &record.notices {
            if let Some(n) = self.notice(t, up.order_id).await? {
                notices.push((up.order_id.to_string(), n));
            }
        }
        notices.sort_by_key(|n| std::cmp::Reverse(n.1.posted));
        let base = format!("{}/public/{t}/anslag", self.base_url);
        let address = crate::render::BoardAddress { base: &base };
        let feeds = [
            (
                "feed.atom",
                "application/atom+xml",
                crate::render::atom_feed(&tenant.name, &address, &notices, self.clock.now()),
            ),
            (
                "feed.json",
                "application/feed+json",
                crate::render::json_feed(&tenant.name, &address, &notices),
            ),
        ];
        for (name, content_type, body) in feeds {
            self.objects
                .put(&files::public(t, name), Bytes::from(body), content_type)
                .await?;
        }
        self.put_page(
            t,
            "embed.html",
            crate::render::embed_html(&tenant.name, &notices),
        )
        .await?;
        let html = crate::render::anslagstavla_html(&tenant.name, &notices);
        self.put_page(t, "index.html", html).await
    }

    /// A notice as published (its public JSON); None, logged, when it cannot be read.
    async fn notice(&self, t: &TenantId, id: OrderId) -> Result<Option<Notice>, AppError> {
        let key = files::public(t, &format!("{id}.json"));
        let Some(bytes) = self.objects.get(&key).await? else {
            tracing::warn!(tenant = %t, order = %id, "notice on the board has no public file");
            return Ok(None);
        };
        match serde_json::from_slice::<Notice>(&bytes) {
            Ok(n) => Ok(Some(n)),
            Err(e) => {
                tracing::warn!(tenant = %t, order = %id, error = %e, "notice cannot be read");
                Ok(None)
            }
        }
    }

    /// Add a notice taken down to its year of the archive (once; again on a lost race).
    async fn archive(&self, t: &TenantId, up: &NoticeUp, n: &Notice) -> Result<(), AppError> {
        let year = up.taken_down.year();
        let entry = ArchivedNotice {
            order_id: up.order_id,
            organ: n.organ.clone(),
            meeting_date: n.meeting_date,
            justering_date: n.justering_date,
            posted: n.posted,
            appeal_ends: n.appeal_ends,
            taken_down: n.taken_down,
            title: n.document_title.clone(),
        };
        for _ in 0..SAVE_ATTEMPTS {
            let (mut archive, version) = match self.boards.load_archive(t, year).await? {
                Some(a) => (a.value, Some(a.version)),
                None => (BoardArchive::default(), None),
            };
            if archive.notices.iter().any(|a| a.order_id == up.order_id) {
                return Ok(());
            }
            archive.notices.push(entry.clone());
            archive.notices.sort_by_key(|a| (a.taken_down, a.posted));
            match self.boards.save_archive(t, year, &archive, version).await {
                Ok(()) => return Ok(()),
                Err(crate::repo::RepoError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Conflict)
    }

    async fn put_page(&self, t: &TenantId, name: &str, html: String) -> Result<(), AppError> {
        self.objects
            .put(
                &files::public(t, name),
                Bytes::from(html),
                "text/html; charset=utf-8",
            )
            .await?;
        Ok(())
    }

    /// Load the board's record, change it, write it back (made if missing); again on a lost
    /// race. Answers the record as written.
    async fn change(
        &self,
        t: &TenantId,
        mut edit: impl FnMut(&mut BoardRecord),
    ) -> Result<BoardRecord, AppError> {
        for _ in 0..SAVE_ATTEMPTS {
            let (mut record, version) = match self.boards.load(t).await? {
                Some(r) => (r.value, Some(r.version)),
                None => (BoardRecord::default(), None),
            };
            let before = record.clone();
            edit(&mut record);
            if version.is_some() && record == before {
                return Ok(record);
            }
            match self.boards.save(t, &record, version).await {
                Ok(()) => return Ok(record),
                Err(crate::repo::RepoError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Conflict)
    }

    /// The notices up today among the public files, for a board from before its record.
    async fn notices_published_before_the_record(
        &self,
        t: &TenantId,
    ) -> Result<Vec<NoticeUp>, AppError> {
        let today = self.today();
        let mut found = Vec::new();
        for key in self.objects.list(&files::public(t, "")).await? {
            let Some(id) = key
                .rsplit('/')
                .next()
                .and_then(|name| name.strip_suffix(".json"))
                .and_then(|id| OrderId::parse(id).ok())
            else {
                continue;
            };
            let Some(bytes) = self.objects.get(&key).await? else {
                continue;
            };
            if let Ok(n) = serde_json::from_slice::<Notice>(&bytes) {
                if n.taken_down > today {
                    found.push(NoticeUp {
                        order_id: id,
                        posted: n.posted,
                        taken_down: n.taken_down,
                    });
                }
            }
        }
        Ok(found)
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
        Some("atom") => "application/atom+xml",
        _ => "application/octet-stream",
    }
}
