//! The anslagstavla over time: a notice is up from the day it is posted until its take-down
//! day, then it moves to the board's permanent archive, by year, with its dates.

use std::sync::Arc;

use crate::app::test_app::{self, RecordingQueue};
use crate::repo::files;

async fn page(t: &test_app::TestApp, tenant: &str, name: &str) -> String {
    let id = crate::domain::TenantId::parse(tenant).unwrap();
    String::from_utf8(t.stored(&files::public(&id, name)).await.to_vec()).unwrap()
}

#[tokio::test]
async fn a_notice_comes_down_on_its_day_and_stays_in_the_archive() {
    let t = test_app::start().await;
    let queue = Arc::new(RecordingQueue::default());
    let app = t.app_with(|p| p.queue = queue.clone());
    let (order, staff) = t.signed_order(&app, "kommun").await;
    for _ in 0..2 {
        app.pipeline.run(&queue.take()[0]).await.unwrap();
    }
    let dates = app
        .orders
        .get_order(&staff, &order.id.to_string())
        .await
        .unwrap()
        .anslag
        .unwrap();
    let link = format!("{}.html", order.id);
    let board = page(&t, "kommun", "index.html").await;
    assert!(board.contains(&link), "up on the day it is posted: {board}");
    assert!(
        board.contains("arkiv.html"),
        "the board links its archive: {board}"
    );

    // The day before it comes down it is still up.
    let stockholm_noon = |d: chrono::NaiveDate| d.and_hms_opt(11, 0, 0).unwrap().and_utc();
    t.clock
        .set(stockholm_noon(dates.taken_down.pred_opt().unwrap()));
    app.housekeeping.run().await.unwrap();
    assert!(page(&t, "kommun", "index.html").await.contains(&link));

    // On its take-down day it is off the board and in the archive of its year.
    t.clock.set(stockholm_noon(dates.taken_down));
    app.housekeeping.run().await.unwrap();
    let board = page(&t, "kommun", "index.html").await;
    assert!(!board.contains(&link), "taken down: {board}");
    let year = dates.taken_down.format("%Y").to_string();
    let index = page(&t, "kommun", "arkiv.html").await;
    assert!(index.contains(&format!("arkiv-{year}.html")), "{index}");
    let archive = page(&t, "kommun", &format!("arkiv-{year}.html")).await;
    assert!(archive.contains(&link), "{archive}");
    for day in [dates.posted, dates.appeal_ends, dates.taken_down] {
        assert!(
            archive.contains(&crate::domain::calendar::date_in_words_sv(day)),
            "{day} in {archive}"
        );
    }
    // The notice's own page stays where the archive links.
    page(&t, "kommun", &link).await;

    // Another round changes nothing: one entry, not two.
    t.clock
        .set(stockholm_noon(dates.taken_down.succ_opt().unwrap()));
    app.housekeeping.run().await.unwrap();
    let archive = page(&t, "kommun", &format!("arkiv-{year}.html")).await;
    assert_eq!(archive.matches(&link).count(), 1, "{archive}");
}
