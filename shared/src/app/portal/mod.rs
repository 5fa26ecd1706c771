//! The signer portal: BankID login and sessions, the signer's documents, signing and
//! rejecting. Staff log in here too (`Tenants::staff_from_session` decides what they may do).

mod adopt;
mod eid;
mod login;
mod signing;

use std::sync::Arc;

use serde::Serialize;

use super::notify::Notifier;
use super::Settings;
use crate::domain::OrderStatus;
use crate::ports::{Clock, EidProvider, ObjectStore, PersonalDataCipher, Queue, StateStore};
use crate::repo::{EidOrderRepo, OrderRepo, SessionRepo, TenantRepo};

/// A BankID order the browser now follows: the autostart token and the current QR.
#[derive(Clone, Debug, Serialize)]
pub struct StartedEid {
    pub order_ref: String,
    pub auto_start_token: String,
    pub qr_data: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum LoginOutcome {
    Pending {
        hint_code: Option<String>,
        qr_data: String,
    },
    Failed {
        hint_code: Option<String>,
    },
    Complete {
        session_token: String,
        name: String,
    },
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CollectOutcome {
    Pending {
        hint_code: Option<String>,
        qr_data: String,
    },
    Failed {
        hint_code: Option<String>,
    },
    Complete {
        order_status: OrderStatus,
    },
}

pub struct Portal {
    orders: OrderRepo,
    tenants: TenantRepo,
    sessions: SessionRepo,
    eid_orders: EidOrderRepo,
    objects: Arc<dyn ObjectStore>,
    eid: Arc<dyn EidProvider>,
    cipher: Arc<dyn PersonalDataCipher>,
    queue: Arc<dyn Queue>,
    notify: Notifier,
    clock: Arc<dyn Clock>,
    settings: Settings,
}

impl Portal {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        state: Arc<dyn StateStore>,
        objects: Arc<dyn ObjectStore>,
        eid: Arc<dyn EidProvider>,
        cipher: Arc<dyn PersonalDataCipher>,
        queue: Arc<dyn Queue>,
        notify: Notifier,
        clock: Arc<dyn Clock>,
        settings: Settings,
    ) -> Self {
        Self {
            orders: OrderRepo::new(state.clone(), cipher.clone()),
            tenants: TenantRepo::new(state.clone()),
            sessions: SessionRepo::new(state.clone()),
            eid_orders: EidOrderRepo::new(state),
            objects,
            eid,
            cipher,
            queue,
            notify,
            clock,
            settings,
        }
    }
}

#[cfg(all(test, feature = "embedded"))]
mod tests {
    use super::eid::MAX_RESTARTS;
    use super::*;
    use crate::app::test_app;
    use crate::app::AppError;
    use crate::ports::EndUser;
    use chrono::Duration;

    #[tokio::test]
    async fn collect_is_asked_of_bankid_at_most_every_two_seconds() {
        let t = test_app::start().await;
        let started = t
            .app
            .portal
            .start_login(&EndUser::at_ip("192.0.2.1"))
            .await
            .unwrap();
        let first = t
            .app
            .portal
            .collect_login(&started.order_ref)
            .await
            .unwrap();
        assert!(matches!(first, LoginOutcome::Pending { .. }));
        t.phone_approves(&started.auto_start_token, "191212121212")
            .await;
        // Within two seconds the last answer stands: BankID is not asked.
        t.clock.advance(Duration::milliseconds(1500));
        let again = t
            .app
            .portal
            .collect_login(&started.order_ref)
            .await
            .unwrap();
        assert!(matches!(again, LoginOutcome::Pending { .. }), "{again:?}");
        t.clock.advance(Duration::milliseconds(600));
        let done = t
            .app
            .portal
            .collect_login(&started.order_ref)
            .await
            .unwrap();
        let LoginOutcome::Complete {
            session_token,
            name,
        } = done
        else {
            panic!("expected complete, got {done:?}")
        };
        assert_eq!(name, "Tolvan Tolvansson");
        let session = t
            .app
            .portal
            .authenticate_session(&session_token)
            .await
            .unwrap();
        assert_eq!(session.personnummer.as_str(), "191212121212");
        // The reference is gone once used: a replay finds nothing.
        assert!(t
            .app
            .portal
            .collect_login(&started.order_ref)
            .await
            .is_err());
    }

    #[tokio::test]
    async fn an_unscanned_order_is_restarted_a_bounded_number_of_times() {
        let t = test_app::start().await;
        let started = t
            .app
            .portal
            .start_login(&EndUser::at_ip("192.0.2.1"))
            .await
            .unwrap();
        let mut last_qr = started.qr_data.clone();
        for restart in 1..=MAX_RESTARTS {
            // BankID gives up on an order nobody picked up within about 30 seconds.
            t.clock.advance(Duration::seconds(31));
            let out = t
                .app
                .portal
                .collect_login(&started.order_ref)
                .await
                .unwrap();
            let LoginOutcome::Pending { hint_code, qr_data } = out else {
                panic!("restart {restart}: expected pending, got {out:?}")
            };
            assert_eq!(hint_code.as_deref(), Some("outstandingTransaction"));
            // A new BankID order: a new QR start token under the same reference.
            assert_ne!(qr_data.split('.').nth(1), last_qr.split('.').nth(1));
            last_qr = qr_data;
        }
        t.clock.advance(Duration::seconds(31));
        let out = t
            .app
            .portal
            .collect_login(&started.order_ref)
            .await
            .unwrap();
        assert!(
            matches!(&out, LoginOutcome::Failed { hint_code } if hint_code.as_deref() == Some("startFailed")),
            "{out:?}"
        );
    }

    #[tokio::test]
    async fn cancel_stops_the_bankid_order() {
        let t = test_app::start().await;
        let started = t
            .app
            .portal
            .start_login(&EndUser::at_ip("192.0.2.1"))
            .await
            .unwrap();
        t.app.portal.cancel_eid(&started.order_ref).await.unwrap();
        assert!(t
            .app
            .portal
            .collect_login(&started.order_ref)
            .await
            .is_err());
        assert!(t.app.portal.cancel_eid("not-a-ref").await.is_err());
    }

    #[tokio::test]
    async fn sessions_expire_and_logout_revokes_them() {
        let t = test_app::start().await;
        let session_token = t.log_in("191212121212").await;
        let s = t
            .app
            .portal
            .authenticate_session(&session_token)
            .await
            .unwrap();
        t.app.portal.logout(&s).await.unwrap();
        assert!(t
            .app
            .portal
            .authenticate_session(&session_token)
            .await
            .is_err());

        let started = t
            .app
            .portal
            .start_login(&EndUser::at_ip("192.0.2.1"))
            .await
            .unwrap();
        t.clock.advance(Duration::seconds(3));
        t.phone_approves(&started.auto_start_token, "191212121212")
            .await;
        let LoginOutcome::Complete { session_token, .. } = t
            .app
            .portal
            .collect_login(&started.order_ref)
            .await
            .unwrap()
        else {
            panic!("login did not complete")
        };
        t.clock
            .advance(Duration::minutes(t.app.settings().session_minutes) + Duration::seconds(1));
        assert!(matches!(
            t.app.portal.authenticate_session(&session_token).await,
            Err(AppError::Unauthenticated)
        ));
    }
}
