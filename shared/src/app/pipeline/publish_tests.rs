//! The notice follows the tenant's choice of take-down day.

use std::sync::Arc;

use crate::app::test_app::{self, RecordingQueue};
use crate::domain::calendar::TakeDown;
use crate::repo::files;

#[tokio::test]
async fn a_tenant_may_take_notices_down_on_the_appeal_periods_last_day() {
    let t = test_app::start().await;
    let queue = Arc::new(RecordingQueue::default());
    let app = t.app_with(|p| p.queue = queue.clone());
    let (order, staff) = t.signed_order(&app, "kommun").await;
    app.tenants
        .set_anslag_take_down(&order.tenant, TakeDown::LastDayOfAppeal)
        .await
        .unwrap();
    for _ in 0..2 {
        app.pipeline.run(&queue.take()[0]).await.unwrap();
    }
    let published = app
        .orders
        .get_order(&staff, &order.id.to_string())
        .await
        .unwrap();
    let dates = published.anslag.unwrap();
    assert_eq!(dates.taken_down, dates.appeal_ends);
    let notice: serde_json::Value = serde_json::from_slice(
        &t.stored(&files::order_file(
            &order.tenant,
            order.id,
            files::NOTICE_JSON,
        ))
        .await,
    )
    .unwrap();
    assert_eq!(
        notice["taken_down"],
        dates.appeal_ends.to_string(),
        "{notice}"
    );
}

/// Omedelbar justering: paragraphs justerade at the meeting itself. The order says so, and the
/// notice, its page and the feed tell the public.
#[tokio::test]
async fn paragraphs_justerade_at_the_meeting_are_announced_as_such() {
    let t = test_app::start().await;
    let queue = Arc::new(RecordingQueue::default());
    let app = t.app_with(|p| p.queue = queue.clone());
    let key = t.add_tenant("kommun").await;
    let staff = t.app.tenants.authenticate_api_key(&key).await.unwrap();
    let input = t
        .protocol_order(&staff, &[("Åsa", "191212121212", None)])
        .await;
    let order = app
        .orders
        .create_order(
            &staff,
            crate::app::CreateOrderInput {
                immediate: true,
                paragraphs: "§ 7".into(),
                ..input
            },
        )
        .await
        .unwrap();
    assert!(order.meeting.immediate);
    assert_eq!(
        crate::app::views::order_for_staff(&order, [false; 4])["immediate"],
        true
    );
    let (session, started) = t
        .approved_in_bankid(&app, "kommun", &order, "191212121212")
        .await;
    app.portal
        .collect_signing(&session, &started.order_ref)
        .await
        .unwrap();
    for _ in 0..2 {
        app.pipeline.run(&queue.take()[0]).await.unwrap();
    }
    let file = |name: String| {
        let key = files::public(&order.tenant, &name);
        let t = &t;
        async move { String::from_utf8(t.stored(&key).await.to_vec()).unwrap() }
    };
    let notice: serde_json::Value =
        serde_json::from_str(&file(format!("{}.json", order.id)).await).unwrap();
    assert_eq!(notice["immediate"], true, "{notice}");
    let page = file(format!("{}.html", order.id)).await;
    assert!(page.contains("justerades omedelbart"), "{page}");
    let feed: serde_json::Value = serde_json::from_str(&file("feed.json".into()).await).unwrap();
    assert_eq!(feed["items"][0]["_anslag"]["immediate"], true, "{feed}");
}
