//! The notice (anslag) as a standalone, accessible HTML page for the digital anslagstavla.

use chrono::NaiveDate;

use crate::domain::calendar::date_in_words_sv;
use crate::domain::notice::Notice;

/// Escapes text for HTML element content and quoted attribute values. Control characters that
/// HTML forbids are dropped (they carry no meaning in a notice).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Only plain web links become `href`s: anything else (javascript:, data:) is shown as text.
fn is_safe_link(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// `<time>` with the date in words and in ISO form, e.g. "3 december 2026 (2026-12-03)".
fn date_cell(d: NaiveDate) -> String {
    let iso = d.format("%Y-%m-%d").to_string();
    format!(
        "<time datetime=\"{iso}\">{}</time> <span class=\"iso\">({iso})</span>",
        escape_html(&date_in_words_sv(d))
    )
}

const STYLE: &str = "\
body{margin:0;font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,Arial,sans-serif;\
font-size:1.0625rem;line-height:1.55;color:#1a1a1a;background:#ffffff}\
header,main,footer{max-width:46rem;margin:0 auto;padding:1rem 1.25rem}\
header{border-bottom:3px solid #1a1a1a}\
.tenant{font-weight:700;font-size:1.125rem;margin:0}\
h1{font-size:1.75rem;margin:1rem 0 .25rem}\
h2{font-size:1.25rem;margin:1.75rem 0 .5rem}\
.lead{font-size:1.125rem;font-weight:600}\
dl{display:grid;grid-template-columns:minmax(12rem,max-content) 1fr;gap:.5rem 1.25rem;margin:1rem 0}\
dt{font-weight:700}dd{margin:0}\
.iso{color:#3d3d3d}\
a{color:#0b4f9c;text-decoration:underline}a:focus{outline:3px solid #1a1a1a;outline-offset:2px}\
footer{border-top:1px solid #767676;color:#3d3d3d;font-size:.9375rem}\
@media (max-width:36rem){dl{grid-template-columns:1fr}dd{margin-bottom:.5rem}}\
@media print{a{color:#1a1a1a}}";

/// Renders the notice as a complete HTML document in Swedish. Every value from the notice is
/// HTML-escaped.
pub fn render_notice_html(n: &Notice) -> String {
    let tenant = escape_html(&n.tenant_name);
    let organ = escape_html(&n.organ);
    let title = escape_html(&n.document_title);
    let paragraphs = escape_html(&n.paragraphs);
    let storage = escape_html(&n.storage_place);
    let meeting_iso = n.meeting_date.format("%Y-%m-%d");

    let publication = match &n.publication_url {
        Some(url) if is_safe_link(url) => {
            let url = escape_html(url.trim());
            format!(
                "    <dt>Protokollet på webben</dt>\n    <dd><a href=\"{url}\">{title}</a></dd>\n"
            )
        }
        Some(url) => format!(
            "    <dt>Protokollet på webben</dt>\n    <dd>{}</dd>\n",
            escape_html(url)
        ),
        None => String::new(),
    };

    let verification = match &n.verification_url {
        Some(url) if is_safe_link(url) => format!(
            "    <dt>Kontrollera arkivexemplaret</dt>\n    <dd><a href=\"{}\">Se att det justerade \
             protokollet är oförändrat och att sigillet håller</a></dd>\n",
            escape_html(url.trim())
        ),
        _ => String::new(),
    };
    let lead = if n.immediate {
        "Paragraferna justerades omedelbart vid sammanträdet. Justeringen har tillkännagivits genom anslag."
    } else {
        "Protokollet är justerat. Justeringen har tillkännagivits genom anslag."
    };
    let appeal_ends_words = escape_html(&date_in_words_sv(n.appeal_ends));
    let posted_words = escape_html(&date_in_words_sv(n.posted));

    format!(
        "<!DOCTYPE html>
<html lang=\"sv\">
<head>
  <meta charset=\"utf-8\">
  <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">
  <title>Anslag: {organ}, sammanträde {meeting_iso} – {tenant}</title>
  <style>{STYLE}</style>
</head>
<body>
<header>
  <p class=\"tenant\">{tenant}</p>
  <p>Digital anslagstavla</p>
</header>
<main>
  <h1>Anslag/bevis</h1>
  <p class=\"lead\">{lead}</p>
  <h2>{title}</h2>
  <dl>
    <dt>Organ</dt>
    <dd>{organ}</dd>
    <dt>Sammanträdesdatum</dt>
    <dd>{meeting}</dd>
    <dt>Paragrafer</dt>
    <dd>{paragraphs}</dd>
    <dt>Justeringsdatum</dt>
    <dd>{justering}</dd>
    <dt>Datum då anslaget sätts upp</dt>
    <dd>{posted}</dd>
    <dt>Sista dag för överklagande</dt>
    <dd>{appeal_ends}</dd>
    <dt>Datum då anslaget tas ned</dt>
    <dd>{taken_down}</dd>
    <dt>Förvaringsplats för protokollet</dt>
    <dd>{storage}</dd>
{publication}{verification}  </dl>
  <h2>Så överklagar du beslutet</h2>
  <p>Den som är medlem i kommunen eller regionen kan överklaga beslut i protokollet genom
  laglighetsprövning enligt 13 kap. kommunallagen (2017:725). Överklagandet ska vara skriftligt,
  ange vilket beslut som överklagas och varför beslutet enligt dig strider mot lag, och skickas
  till förvaltningsrätten.</p>
  <p>Överklagandet ska ha kommit in till förvaltningsrätten inom tre veckor från den dag då det
  tillkännagavs på anslagstavlan att protokollet har justerats ({posted_words}), det vill säga
  senast den <strong>{appeal_ends_words}</strong>.</p>
</main>
<footer>
  <p>Anslaget sätts upp den {posted_words} och tas ned den {taken_down_words}.
  Förvaringsplats för protokollet: {storage}.</p>
</footer>
</body>
</html>
",
        meeting = date_cell(n.meeting_date),
        justering = date_cell(n.justering_date),
        posted = date_cell(n.posted),
        appeal_ends = date_cell(n.appeal_ends),
        taken_down = date_cell(n.taken_down),
        taken_down_words = escape_html(&date_in_words_sv(n.taken_down)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn sample() -> Notice {
        Notice {
            tenant_name: "Luleå kommun".into(),
            organ: "E-nämnden".into(),
            meeting_date: date(2026, 11, 11),
            paragraphs: "§§ 1–6".into(),
            justering_date: date(2026, 12, 1),
            posted: date(2026, 12, 3),
            appeal_ends: date(2026, 12, 28),
            taken_down: date(2026, 12, 29),
            posted_late: false,
            storage_place: "IT-kontoret, Luleå kommun".into(),
            document_title: "Protokoll E-nämnden 2026-11-11".into(),
            publication_url: Some("https://example.se/protokoll/e-namnden-2026-11-11.pdf".into()),
            verification_url: Some(
                "https://example.se/portal/verifiera?arkivexemplar=kommun/0b7c".into(),
            ),
            immediate: false,
        }
    }

    #[test]
    fn every_field_and_date_is_present() {
        let html = render_notice_html(&sample());
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("<html lang=\"sv\">"));
        assert!(html.contains("<meta charset=\"utf-8\">"));
        for needle in [
            "Luleå kommun",
            "E-nämnden",
            "§§ 1–6",
            "IT-kontoret, Luleå kommun",
            "Protokoll E-nämnden 2026-11-11",
            "href=\"https://example.se/protokoll/e-namnden-2026-11-11.pdf\"",
            "Protokollet är justerat. Justeringen har tillkännagivits genom anslag.",
            "<h1>Anslag/bevis</h1>",
            "Sammanträdesdatum",
            "Justeringsdatum",
            "Datum då anslaget sätts upp",
            "Datum då anslaget tas ned",
            "Sista dag för överklagande",
            "Förvaringsplats för protokollet",
            "laglighetsprövning",
            "förvaltningsrätten",
            "inom tre veckor",
            "<time datetime=\"2026-11-11\">11 november 2026</time>",
            "<time datetime=\"2026-12-01\">1 december 2026</time>",
            "<time datetime=\"2026-12-03\">3 december 2026</time>",
            "<time datetime=\"2026-12-28\">28 december 2026</time>",
            "<time datetime=\"2026-12-29\">29 december 2026</time>",
            "(2026-12-28)",
            "senast den <strong>28 december 2026</strong>",
        ] {
            assert!(html.contains(needle), "missing {needle:?}");
        }
    }

    #[test]
    fn all_text_is_escaped() {
        let mut n = sample();
        n.tenant_name = "A & B <kommun>".into();
        n.organ = "<script>alert(1)</script>".into();
        n.paragraphs = "§ 1 \"och\" § 2 'x'".into();
        n.storage_place = "Arkivet </dd><dd>".into();
        n.document_title = "Titel & <b>fet</b>".into();
        n.publication_url = Some("https://example.se/?a=1&b=\"><script>".into());
        let html = render_notice_html(&n);
        assert!(!html.contains("<script>"));
        assert!(!html.contains("<b>fet</b>"));
        assert!(!html.contains("</dd><dd>"));
        assert!(html.contains("A &amp; B &lt;kommun&gt;"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("§ 1 &quot;och&quot; § 2 &#39;x&#39;"));
        assert!(html.contains("href=\"https://example.se/?a=1&amp;b=&quot;&gt;&lt;script&gt;\""));
    }

    #[test]
    fn unsafe_links_are_not_links() {
        let mut n = sample();
        n.publication_url = Some("javascript:alert(1)".into());
        let html = render_notice_html(&n);
        assert!(!html.contains("href=\"javascript"));
        assert!(html.contains("javascript:alert(1)"));

        n.publication_url = None;
        let html = render_notice_html(&n);
        assert!(!html.contains("Protokollet på webben"));
    }

    #[test]
    fn control_characters_are_dropped() {
        assert_eq!(escape_html("a\u{0}b\u{7}c\nd"), "abc\nd");
        assert_eq!(escape_html("åäö ÅÄÖ"), "åäö ÅÄÖ");
    }

    #[test]
    fn markup_is_balanced() {
        let html = render_notice_html(&sample());
        for tag in [
            "html", "head", "body", "main", "header", "footer", "dl", "h1", "h2", "p",
        ] {
            let open = html.matches(&format!("<{tag}>")).count()
                + html.matches(&format!("<{tag} ")).count();
            let close = html.matches(&format!("</{tag}>")).count();
            assert_eq!(open, close, "<{tag}>");
        }
        assert_eq!(html.matches("<dt>").count(), html.matches("<dd>").count());
    }
}
