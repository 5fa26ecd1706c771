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
