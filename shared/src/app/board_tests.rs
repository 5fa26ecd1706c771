//! The anslagstavla over time: a notice is up from the day it is posted until its take-down
//! day, then it moves to the board's permanent archive, by year, with its dates.

use std::sync::Arc;

use crate::app::test_app::{self, RecordingQueue};
use crate::repo::files;

async fn page(t: &test_app::TestApp, tenant: &str, name: &str) -> String {
    let id = crate::domain::TenantId::parse(tenant).unwrap();
    String::from_utf8(t.stored(&files::public(&id, name)).await.to_vec()).unwrap()
}

/// A justerat protocol of the tenant `kommun`, sealed and published: its notice is up.
async fn published() -> (
    test_app::TestApp,
    crate::app::App,
    crate::domain::SigningOrder,
    crate::domain::calendar::AnslagDates,
) {
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
    (t, app, order, dates)
}

#[tokio::test]
async fn a_notice_comes_down_on_its_day_and_stays_in_the_archive() {
    let (t, app, order, dates) = published().await;
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

/// The feeds, read by parsers written by others (feedparser for Atom, jsonfeed-util for JSON
/// Feed 1.1), carry each notice up with its dates of law, and drop it when it comes down.
#[tokio::test]
async fn the_feeds_carry_the_notices_up_with_their_dates() {
    let (t, app, order, dates) = published().await;
    let dir = tempfile::tempdir().unwrap();
    let (atom, json) = (dir.path().join("feed.atom"), dir.path().join("feed.json"));
    std::fs::write(&atom, page(&t, "kommun", "feed.atom").await).unwrap();
    std::fs::write(&json, page(&t, "kommun", "feed.json").await).unwrap();
    let script = r#"
import json, sys, feedparser, jsonfeed
atom = feedparser.parse(sys.argv[1])
assert not atom.bozo, atom.bozo_exception
assert atom.version == "atom10", atom.version
entries = [{"id": e.id, "title": e.title, "link": e.link,
            "posted": e.get("a_posted"), "appeal": e.get("a_appeallastday"),
            "down": e.get("a_takendown")} for e in atom.entries]
feed = jsonfeed.Feed.parse(json.load(open(sys.argv[2])))
items = [{"id": i.id, "title": i.title, "url": i.url,
          "posted": i._raw["_anslag"]["posted"] if hasattr(i, "_raw") else None}
         for i in feed.items]
raw = json.load(open(sys.argv[2]))
print(json.dumps({"atom": entries, "json_title": feed.title, "json": items,
                  "json_anslag": [i["_anslag"] for i in raw["items"]]}))
"#;
    let out = crate::pdf::test_support::run(
        &crate::pdf::test_support::python(),
        &["-c", script, atom.to_str().unwrap(), json.to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "the feeds do not parse: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = format!("urn:uuid:{}", order.id);
    let atom = &read["atom"][0];
    assert_eq!(atom["id"], id);
    assert!(atom["link"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/public/kommun/anslag/{}.html", order.id)));
    assert_eq!(atom["posted"], dates.posted.to_string(), "{read}");
    assert_eq!(atom["appeal"], dates.appeal_ends.to_string(), "{read}");
    assert_eq!(atom["down"], dates.taken_down.to_string(), "{read}");
    assert_eq!(read["json"][0]["id"], id, "{read}");
    assert_eq!(
        read["json_anslag"][0]["appeal_last_day"],
        dates.appeal_ends.to_string()
    );
    assert_eq!(
        read["json_anslag"][0]["taken_down"],
        dates.taken_down.to_string()
    );
    // Taken down: gone from both feeds.
    t.clock
        .set(dates.taken_down.and_hms_opt(11, 0, 0).unwrap().and_utc());
    app.housekeeping.run().await.unwrap();
    assert!(!page(&t, "kommun", "feed.atom").await.contains(&id));
    assert!(!page(&t, "kommun", "feed.json").await.contains(&id));
}
