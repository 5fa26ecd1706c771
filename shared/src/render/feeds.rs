//! The anslagstavla as feeds, for the municipality's website and anyone who follows it: Atom
//! (RFC 4287) and JSON Feed 1.1, one entry per notice up, each with the dates of law (posted,
//! last day to appeal, taken down) in its text and as data: Atom elements in our own
//! namespace, the JSON Feed extension object `_anslag` (JSON Feed reserves `_` keys for this).

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use super::notice::escape_html;
use crate::domain::calendar::date_in_words_sv;
use crate::domain::notice::Notice;

/// The namespace of the anslag elements in the Atom feed.
pub const ANSLAG_NS: &str = "https://e-underskrift.se/ns/anslag/1";

/// Where the tenant's anslagstavla is read, e.g. `https://host/public/kommun/anslag`.
pub struct BoardAddress<'a> {
    pub base: &'a str,
}

impl BoardAddress<'_> {
    fn file(&self, name: &str) -> String {
        format!("{}/{name}", self.base.trim_end_matches('/'))
    }
}

fn title(n: &Notice) -> String {
    format!(
        "{}: protokoll från sammanträdet {}",
        n.organ,
        date_in_words_sv(n.meeting_date)
    )
}

fn summary(n: &Notice) -> String {
    format!(
        "{}. Justerat {}. Anslaget sattes upp {} och tas ned {}. Sista dag för överklagande: {}. \
         Protokollet förvaras hos {}.",
        n.document_title,
        date_in_words_sv(n.justering_date),
        date_in_words_sv(n.posted),
        date_in_words_sv(n.taken_down),
        date_in_words_sv(n.appeal_ends),
        n.storage_place,
    )
}

/// Midnight UTC of a day, as feeds date their entries (a notice is posted on a day).
fn day_start(d: NaiveDate) -> DateTime<Utc> {
    d.and_time(NaiveTime::MIN).and_utc()
}

/// The Atom feed (`feed.atom`) of the notices up, newest first.
pub fn atom_feed(
    tenant_name: &str,
    address: &BoardAddress<'_>,
    notices: &[(String, Notice)],
    now: DateTime<Utc>,
) -> String {
    let updated = notices
        .iter()
        .map(|(_, n)| day_start(n.posted))
        .max()
        .unwrap_or(now);
    let mut entries = String::new();
    for (id, n) in notices {
        let page = address.file(&format!("{id}.html"));
        entries.push_str(&format!(
            "<entry><id>urn:uuid:{id}</id><title>{title}</title>\
             <link rel=\"alternate\" type=\"text/html\" href=\"{page}\"/>\
             <link rel=\"enclosure\" type=\"application/pdf\" href=\"{pdf}\"/>\
             <published>{posted}</published><updated>{posted}</updated>\
             <summary>{summary}</summary>\
             <a:organ>{organ}</a:organ><a:meeting>{meeting}</a:meeting>\
             <a:justerad>{justerad}</a:justerad><a:posted>{posted_day}</a:posted>\
             <a:appealLastDay>{appeal}</a:appealLastDay><a:takenDown>{down}</a:takenDown>\
             </entry>",
            id = escape_html(id),
            title = escape_html(&title(n)),
            page = escape_html(&page),
            pdf = escape_html(&address.file(&format!("{id}.pdf"))),
            posted = day_start(n.posted).to_rfc3339(),
            summary = escape_html(&summary(n)),
            organ = escape_html(&n.organ),
            meeting = n.meeting_date,
            justerad = n.justering_date,
            posted_day = n.posted,
            appeal = n.appeal_ends,
            down = n.taken_down,
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <feed xmlns=\"http://www.w3.org/2005/Atom\" xmlns:a=\"{ANSLAG_NS}\" xml:lang=\"sv\">\
         <id>{feed}</id><title>Digital anslagstavla – {name}</title>\
         <link rel=\"self\" type=\"application/atom+xml\" href=\"{feed}\"/>\
         <link rel=\"alternate\" type=\"text/html\" href=\"{board}\"/>\
         <updated>{updated}</updated><author><name>{name}</name></author>{entries}</feed>\n",
        feed = escape_html(&address.file("feed.atom")),
        board = escape_html(&address.file("index.html")),
        name = escape_html(tenant_name),
        updated = updated.to_rfc3339(),
    )
}

/// The JSON Feed 1.1 (`feed.json`) of the notices up, newest first.
pub fn json_feed(
    tenant_name: &str,
    address: &BoardAddress<'_>,
    notices: &[(String, Notice)],
) -> String {
    let items: Vec<serde_json::Value> = notices
        .iter()
        .map(|(id, n)| {
            serde_json::json!({
                "id": format!("urn:uuid:{id}"),
                "url": address.file(&format!("{id}.html")),
                "title": title(n),
                "content_text": summary(n),
                "date_published": day_start(n.posted).to_rfc3339(),
                "language": "sv",
                "attachments": [{
                    "url": address.file(&format!("{id}.pdf")),
                    "mime_type": "application/pdf",
                    "title": "Protokollet (publiceringsversion)",
                }],
                "_anslag": {
                    "about": ANSLAG_NS,
                    "organ": n.organ,
                    "meeting_date": n.meeting_date,
                    "paragraphs": n.paragraphs,
                    "justerad": n.justering_date,
                    "posted": n.posted,
                    "appeal_last_day": n.appeal_ends,
                    "taken_down": n.taken_down,
                    "storage_place": n.storage_place,
                    "immediate": n.immediate,
                },
            })
        })
        .collect();
    let feed = serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": format!("Digital anslagstavla – {tenant_name}"),
        "home_page_url": address.file("index.html"),
        "feed_url": address.file("feed.json"),
        "language": "sv",
        "authors": [{ "name": tenant_name }],
        "items": items,
    });
    serde_json::to_string_pretty(&feed).unwrap_or_default()
}
