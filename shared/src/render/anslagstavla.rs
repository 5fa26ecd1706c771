//! The digital anslagstavla of one tenant, as the static pages the public reads: the notices
//! up, and the permanent archive of those taken down.

use super::notice::escape_html;
use crate::domain::calendar::date_in_words_sv;
use crate::domain::notice::ArchivedNotice;
use crate::domain::notice::Notice;

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}\
     a{color:#0b4f8a}a:focus{outline:3px solid #f0b400;outline-offset:2px}ul{list-style:none;padding:0}\
     li{border-top:1px solid #767676;padding:1rem 0}h2{font-size:1.2rem;margin:0}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"sv\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>"
    )
}

/// The archive's index: a page per year with notices taken down.
pub fn archive_index_html(tenant_name: &str, years: &[i32]) -> String {
    let name = escape_html(tenant_name);
    let mut items: String = years
        .iter()
        .rev()
        .map(|y| format!("<li><a href=\"arkiv-{y}.html\">Anslag som togs ned {y}</a></li>"))
        .collect();
    if years.is_empty() {
        items.push_str("<li>Inga anslag har tagits ned än.</li>");
    }
    page(
        &format!("Arkiv – anslagstavla – {name}"),
        &format!(
            "<h1>Arkiv för den digitala anslagstavlan – {name}</h1>\
             <p>Anslag som har tagits ned, med sina datum. <a href=\"index.html\">Till anslagstavlan</a></p>\
             <ul>{items}</ul>"
        ),
    )
}

/// One year of the archive: each notice taken down, with its dates and its page.
pub fn archive_year_html(tenant_name: &str, year: i32, notices: &[ArchivedNotice]) -> String {
    let name = escape_html(tenant_name);
    let items: String = notices
        .iter()
        .rev()
        .map(|n| {
            format!(
                "<li><h2><a href=\"{id}.html\">{organ}: protokoll från sammanträdet {meeting}</a></h2>\
                 <p>{title}. Justerat {justering}. Anslaget sattes upp {posted} och togs ned \
                 {down}. Sista dag för överklagande var {appeal}.</p></li>",
                id = n.order_id,
                organ = escape_html(&n.organ),
                title = escape_html(&n.title),
                meeting = date_in_words_sv(n.meeting_date),
                justering = date_in_words_sv(n.justering_date),
                posted = date_in_words_sv(n.posted),
                down = date_in_words_sv(n.taken_down),
                appeal = date_in_words_sv(n.appeal_ends),
            )
        })
        .collect();
    page(
        &format!("Arkiv {year} – anslagstavla – {name}"),
        &format!(
            "<h1>Anslag som togs ned {year} – {name}</h1>\
             <p><a href=\"arkiv.html\">Alla år</a> · <a href=\"index.html\">Till anslagstavlan</a></p>\
             <ul>{items}</ul>"
        ),
    )
}

/// The digital anslagstavla of one tenant: the notices that are up, each linking to its page.
pub fn anslagstavla_html(tenant_name: &str, notices: &[(String, Notice)]) -> String {
    let mut items = String::new();
    for (id, n) in notices {
        items.push_str(&format!(
            "<li><h2><a href=\"{id}.html\">{organ}: protokoll från sammanträdet {meeting}</a></h2>\
             <p>Justerat {justering}. Anslaget sattes upp {posted} och tas ned {down}. \
             Sista dag för överklagande: {appeal}.</p>\
             <p><a href=\"{id}.pdf\">Protokollet (publiceringsversion, PDF)</a></p></li>",
            id = escape_html(id),
            organ = escape_html(&n.organ),
            meeting = date_in_words_sv(n.meeting_date),
            justering = date_in_words_sv(n.justering_date),
            posted = date_in_words_sv(n.posted),
            down = date_in_words_sv(n.taken_down),
            appeal = date_in_words_sv(n.appeal_ends),
        ));
    }
    if notices.is_empty() {
        items.push_str("<li>Inga anslag just nu.</li>");
    }
    let name = escape_html(tenant_name);
    page(
        &format!("Anslagstavla – {name}"),
        &format!(
            "<h1>Digital anslagstavla – {name}</h1>\
             <p>Här tillkännages justerade protokoll enligt kommunallagen 8 kap. 12 §.</p>\
             <ul>{items}</ul>\
             <p><a href=\"arkiv.html\">Arkiv: anslag som har tagits ned</a></p>\
             <p>Följ anslagstavlan: <a href=\"feed.atom\" type=\"application/atom+xml\">Atom</a> · \
             <a href=\"feed.json\" type=\"application/feed+json\">JSON Feed</a></p>"
        ),
    )
}

/// The notices up as a compact list to embed in the municipality's own website (an iframe in
/// Sitevision or WordPress): no page heading of its own, links open in the whole window.
pub fn embed_html(tenant_name: &str, notices: &[(String, Notice)]) -> String {
    let mut items: String = notices
        .iter()
        .map(|(id, n)| {
            format!(
                "<li><a href=\"{id}.html\" target=\"_top\">{organ}: protokoll från sammanträdet \
                 {meeting}</a><br>Uppsatt {posted}, tas ned {down}. Sista dag för överklagande: \
                 {appeal}.</li>",
                id = escape_html(id),
                organ = escape_html(&n.organ),
                meeting = date_in_words_sv(n.meeting_date),
                posted = date_in_words_sv(n.posted),
                down = date_in_words_sv(n.taken_down),
                appeal = date_in_words_sv(n.appeal_ends),
            )
        })
        .collect();
    if notices.is_empty() {
        items.push_str("<li>Inga anslag just nu.</li>");
    }
    format!(
        "<!doctype html><html lang=\"sv\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Anslag – {name}</title><style>body{{font-family:system-ui,sans-serif;margin:0;\
         line-height:1.5;color:#1a1a1a}}a{{color:#0b4f8a}}ul{{list-style:none;padding:0;margin:0}}\
         li{{padding:.5rem 0;border-bottom:1px solid #767676}}</style></head><body><ul>{items}</ul>\
         <p><a href=\"index.html\" target=\"_top\">Hela anslagstavlan och arkivet</a></p></body></html>",
        name = escape_html(tenant_name),
    )
}
