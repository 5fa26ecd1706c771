//! Housekeeping, on a schedule (every minute in local mode, EventBridge in AWS): remind signers
//! before the deadline, expire overdue orders, take down notices whose time is up, queue
//! again the pipeline work a crash may have dropped, and once a day queue the renewal of the
//! archive versions whose proof of existence is due (`renewals`). Its cost grows with the active orders and
//! the notices up, never with all history.

use std::sync::Arc;

use chrono::Duration;
use serde::Serialize;

use super::board::Board;
use super::notify::Notifier;
use super::tenants::existing_tenant;
use super::{AppError, Settings};
use crate::domain::pipeline::{next_step, PipelinePosition};
use crate::domain::{OrderId, OrderStatus, TenantId};
use crate::error::ErrorText;
use crate::ports::{Clock, Job, PersonalDataCipher, Queue, StateStore};
use crate::repo::{OrderRepo, TenantRepo};

/// What one round of housekeeping did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct HousekeepingReport {
    pub tenants: usize,
    pub reminders: usize,
    pub expired: usize,
    pub requeued: usize,
    /// Archive versions whose proof of existence is due, queued for renewal.
    pub renewals: usize,
    /// Steps that failed (each is logged with its tenant).
    pub failures: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum HousekeepingError {
    #[error("the tenants could not be listed: {0}")]
    Tenants(AppError),
    #[error("{failures} housekeeping steps failed")]
    Steps { failures: usize },
}

pub struct Housekeeping {
    orders: OrderRepo,
    tenants: TenantRepo,
    queue: Arc<dyn Queue>,
    notify: Notifier,
    board: Board,
    clock: Arc<dyn Clock>,
    settings: Settings,
}

impl Housekeeping {
    pub fn new(
        state: Arc<dyn StateStore>,
        cipher: Arc<dyn PersonalDataCipher>,
        queue: Arc<dyn Queue>,
        notify: Notifier,
        board: Board,
        clock: Arc<dyn Clock>,
        settings: Settings,
    ) -> Self {
        Self {
            orders: OrderRepo::new(state.clone(), cipher),
            tenants: TenantRepo::new(state),
            queue,
            notify,
            board,
            clock,
            settings,
        }
    }

    /// One round for every tenant. A failed step, or an order that cannot be read, is logged
    /// and counted, and the rest runs (the schedule's handler fails the invocation when any
    /// did, so an alarm sees it).
    pub async fn run(&self) -> Result<HousekeepingReport, HousekeepingError> {
        let tenants = self
            .tenants
            .list()
            .await
            .map_err(|e| HousekeepingError::Tenants(e.into()))?;
        let mut report = HousekeepingReport {
            tenants: tenants.len(),
            ..Default::default()
        };
        for t in &tenants {
            let failed = |step: &str, e: &AppError| {
                tracing::warn!(tenant = %t, step, code = %e.code(), error = %e, "housekeeping step failed");
            };
            match self.tend(t, Tasks::ALL).await {
                Ok(round) => {
                    report.reminders += round.reminders;
                    report.expired += round.expired;
                    report.requeued += round.requeued;
                    report.failures += round.failures;
                }
                Err(e) => {
                    failed("orders", &e);
                    report.failures += 1;
                }
            }
            if let Err(e) = self.board.take_down_due(t).await {
                failed("anslagstavla", &e);
                report.failures += 1;
            }
            match self.daily_renewal_round(t).await {
                Ok(n) => report.renewals += n,
                Err(e) => {
                    failed("renewals", &e);
                    report.failures += 1;
                }
            }
        }
        Ok(report)
    }

    /// Remind the signers of this tenant's open orders whose deadline is near (once per
    /// version). Answers how many orders were reminded.
    pub async fn send_reminders(&self, t: &TenantId) -> Result<usize, AppError> {
        Ok(self.tend(t, Tasks::REMIND).await?.reminders)
    }

    /// Expire this tenant's open orders whose deadline has passed.
    pub async fn expire_overdue(&self, t: &TenantId) -> Result<usize, AppError> {
        Ok(self.tend(t, Tasks::EXPIRE).await?.expired)
    }

    /// Queue again what a crash may have dropped: at-least-once across restarts. A step whose
    /// claim is live is left to its holder; a stopped order waits for a person to retry it.
    pub async fn resume_pending_work(&self, t: &TenantId) -> Result<usize, AppError> {
        Ok(self.tend(t, Tasks::REQUEUE).await?.requeued)
    }

    /// After a restart of a service that is the only process on its storage (`esign serve`
    /// holds the embedded database's lock): every live claim is a dead process's, so it is
    /// ended, and everything waiting is queued again at once rather than after the lease.
    pub async fn resume_after_restart(&self, t: &TenantId) -> Result<usize, AppError> {
        let now = self.clock.now();
        for id in self.orders.active(t).await? {
            let claimed = matches!(self.orders.load(t, id).await,
                Ok(Some(o)) if o.value.is_claimed(now) || o.value.archive_claimed(now));
            if !claimed {
                continue;
            }
            let ended = self
                .orders
                .update_with(t, id, |o| Ok::<_, AppError>(o.end_dead_claim(now)))
                .await;
            if let Err(e) = ended {
                tracing::warn!(tenant = %t, order = %id, error = %e, "claim of a dead process not ended");
            }
        }
        // Renewals queued in a queue that died with the process: queued again now (the daily
        // round may have run already), their dead claims ended.
        self.resume_renewals_after_restart(t).await?;
        self.resume_pending_work(t).await
    }

    /// One pass over the tenant's active orders (the index of active work: never every order
    /// ever made), each loaded once. An order that cannot be read or changed is reported and
    /// skipped; the others go on.
    async fn tend(&self, t: &TenantId, tasks: Tasks) -> Result<Round, AppError> {
        let mut round = Round {
            failures: self.orders.ensure_active_index(t).await?.len(),
            ..Default::default()
        };
        let tenant = existing_tenant(&self.tenants, t).await?.value.tenant;
        for id in self.orders.active(t).await? {
            if let Err(e) = self.tend_order(&tenant, t, id, tasks, &mut round).await {
                tracing::warn!(tenant = %t, order = %id, code = %e.code(), error = %e, "order skipped by housekeeping");
                round.failures += 1;
            }
        }
        Ok(round)
    }

    async fn tend_order(
        &self,
        tenant: &crate::domain::Tenant,
        t: &TenantId,
        id: OrderId,
        tasks: Tasks,
        round: &mut Round,
    ) -> Result<(), AppError> {
        let Some(order) = self.orders.load(t, id).await? else {
            return Ok(());
        };
        let o = order.value;
        let now = self.clock.now();
        let before = Duration::hours(self.settings.remind_hours_before_deadline);
        if tasks.remind && o.reminder_due(now, before) {
            // Recorded first: a crash after it loses a reminder, never sends it twice.
            if let Some((order, ())) = self
                .orders
                .update_with(t, id, |o| Ok::<_, AppError>(o.mark_reminded(now)?))
                .await?
            {
                self.notify.signers(tenant, &order, true).await;
                round.reminders += 1;
            }
        }
        if tasks.expire && o.status == OrderStatus::Open && now > o.current().deadline {
            self.orders
                .update_with(t, id, |o| Ok::<_, AppError>(o.expire(now)?))
                .await?;
            round.expired += 1;
        }
        if tasks.requeue && !o.is_claimed(now) {
            if let PipelinePosition::Waiting(step) = next_step(&o.status) {
                self.queue.enqueue(Job::for_step(step, t, id)).await?;
                round.requeued += 1;
            }
        }
        if tasks.requeue && o.archive_export_due() && !o.archive_claimed(now) {
            // Renewed since it was exported: its package is due again.
            let job = Job::for_step(crate::domain::PipelineStep::ArchiveExport, t, id);
            self.queue.enqueue(job).await?;
            round.requeued += 1;
        }
        Ok(())
    }
}

/// What one pass over a tenant's active orders does.
#[derive(Clone, Copy)]
struct Tasks {
    remind: bool,
    expire: bool,
    requeue: bool,
}

impl Tasks {
    const ALL: Tasks = Tasks {
        remind: true,
        expire: true,
        requeue: true,
    };
    const REMIND: Tasks = Tasks {
        remind: true,
        expire: false,
        requeue: false,
    };
    const EXPIRE: Tasks = Tasks {
        remind: false,
        expire: true,
        requeue: false,
    };
    const REQUEUE: Tasks = Tasks {
        remind: false,
        expire: false,
        requeue: true,
    };
}

/// What one pass did.
#[derive(Default)]
struct Round {
    reminders: usize,
    expired: usize,
    requeued: usize,
    failures: usize,
}

#[path = "housekeeping_renewals.rs"]
mod renewals;

#[cfg(all(test, feature = "embedded"))]
#[path = "housekeeping_tests.rs"]
mod cost_tests;

#[cfg(all(test, feature = "embedded"))]
mod reminder_tests {
    use super::*;
    use crate::app::{test_app, CreateOrderInput};

    #[tokio::test]
    async fn signers_are_reminded_once_before_the_deadline_and_the_secretary_hears_of_a_decline() {
        let t = test_app::start().await;
        let key = t.add_tenant("kommun").await;
        let staff = t.app.tenants.authenticate_api_key(&key).await.unwrap();
        let now = t.ports.clock.now();
        let input = t
            .protocol_order(
                &staff,
                &[
                    ("Anna", "191212121212", Some("anna@example.se")),
                    ("Bo", "198112189876", None),
                ],
            )
            .await;
        t.app
            .orders
            .create_order(
                &staff,
                CreateOrderInput {
                    secretary_email: Some("sekreterare@example.se".into()),
                    deadline: Some(now + Duration::days(5)),
                    ..input
                },
            )
            .await
            .unwrap();
        let mail_dir = t._dir.path().join("mail");
        let mails = || std::fs::read_dir(&mail_dir).map(|d| d.count()).unwrap_or(0);
        assert_eq!(mails(), 1, "the invitation");
        let tenant = TenantId::parse("kommun").unwrap();
        assert_eq!(
            t.app.housekeeping.send_reminders(&tenant).await.unwrap(),
            0,
            "too early"
        );
        t.clock.advance(Duration::days(4));
        assert_eq!(t.app.housekeeping.send_reminders(&tenant).await.unwrap(), 1);
        assert_eq!(mails(), 2, "one reminder to the signer with an address");
        assert_eq!(
            t.app.housekeeping.send_reminders(&tenant).await.unwrap(),
            0,
            "only once"
        );
        assert_eq!(mails(), 2);
        let texts: Vec<String> = std::fs::read_dir(&mail_dir)
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect();
        // Subjects are MIME encoded words where they are not ASCII: decode them.
        let subjects: Vec<String> = texts
            .iter()
            .filter_map(|t| t.lines().find_map(|l| l.strip_prefix("Subject: ")))
            .map(|s| {
                s.split(' ')
                    .map(|w| {
                        match w
                            .strip_prefix("=?utf-8?b?")
                            .and_then(|w| w.strip_suffix("?="))
                        {
                            Some(b64) => {
                                use base64::Engine;
                                let raw = base64::engine::general_purpose::STANDARD
                                    .decode(b64)
                                    .unwrap();
                                String::from_utf8(raw).unwrap()
                            }
                            None => w.to_string(),
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        assert_eq!(
            subjects
                .iter()
                .filter(|s| s.starts_with("Påminnelse:"))
                .count(),
            1,
            "{subjects:?}"
        );
        assert!(texts.iter().all(|t| t.contains("To: anna@example.se")));

        // Bo declines: the secretary hears of it, with his comment; nobody else does.
        let session_token = t.log_in("198112189876").await;
        let bo = t
            .app
            .portal
            .authenticate_session(&session_token)
            .await
            .unwrap();
        let order = &t.app.portal.my_orders(&bo).await.unwrap()[0];
        t.app
            .portal
            .reject(&bo, "kommun", &order.id.to_string(), "Fel datum i § 1")
            .await
            .unwrap();
        let to_secretary: Vec<String> = std::fs::read_dir(&mail_dir)
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .filter(|t| t.contains("To: sekreterare@example.se"))
            .collect();
        assert_eq!(to_secretary.len(), 1);
        assert!(
            to_secretary[0].contains("Fel datum i =C2=A7 1")
                || to_secretary[0].contains("Fel datum i § 1"),
            "{}",
            to_secretary[0]
        );
        assert!(texts
            .iter()
            .all(|t| !t.contains("191212121212") && !t.contains("1212-1212")));
    }
}
