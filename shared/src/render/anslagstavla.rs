//! The digital anslagstavla of one tenant, as the static page the public reads.

use super::notice::escape_html;
use crate::domain::calendar::date_in_words_sv;
use crate::domain::notice::Notice;

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
    format!(
        "<!doctype html><html lang=\"sv\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Anslagstavla – {name}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}}\
         a{{color:#0b4f8a}}a:focus{{outline:3px solid #f0b400;outline-offset:2px}}ul{{list-style:none;padding:0}}\
         li{{border-top:1px solid #767676;padding:1rem 0}}h2{{font-size:1.2rem;margin:0}}</style></head>\
         <body><main><h1>Digital anslagstavla – {name}</h1>\
         <p>Här tillkännages justerade protokoll enligt kommunallagen 8 kap. 12 §.</p><ul>{items}</ul></main></body></html>",
        name = escape_html(tenant_name),
    )
}
