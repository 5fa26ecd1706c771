//! What people read: the BankID signing text, e-mails, the signature page. Swedish first.

use base64::{engine::general_purpose::STANDARD as B64, Engine};
use chrono::{DateTime, Utc};

use crate::domain::{Signer, SigningOrder, Tenant};
use crate::pdf::page::{JusteringPage, SignatureLine};
use crate::ports::EidSignText;
use crate::repo::files;

pub(crate) fn stockholm(t: DateTime<Utc>) -> String {
    t.with_timezone(&chrono_tz::Europe::Stockholm)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// User-provided text inside the simpleMarkdownV1 signing text. Our values never start a line
/// (they follow a label), so only emphasis (`*`) could change what the signer reads; it is
/// escaped with a backslash, and line breaks become spaces. Other characters (`-`, `_`, `#`, `+`
/// are common in titles and file names) are left alone so the signer sees them as written.
fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '*' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn heading(role: crate::domain::Role) -> &'static str {
    match role {
        crate::domain::Role::Part => "Underskrift av dokument",
        _ => "Justering av protokoll",
    }
}

/// The text the signer reads and signs in the BankID app (simpleMarkdownV1) and the hidden
/// data that binds the signature to tenant, order, version, document digest and role.
pub(crate) fn sign_text(tenant: &Tenant, order: &SigningOrder, signer: &Signer) -> EidSignText {
    let v = order.current();
    let visible = format!(
        "# {heading}\n\n{title}\n\n{committee}, sammanträde {date}, {paragraphs}\n\n{declaration}\n\n*Roll:* {role}\n*Organisation:* {tenant}\n*Dokument:* {file} (version {version})\n*SHA-256:* {sha}\n",
        heading = heading(signer.role),
        title = md_escape(&order.meeting.title),
        committee = md_escape(&order.meeting.committee),
        date = order.meeting.meeting_date,
        paragraphs = md_escape(&order.meeting.paragraphs),
        declaration = signer.role.declaration_sv(),
        role = signer.role.label_sv(),
        tenant = md_escape(&tenant.name),
        file = md_escape(&v.file_name),
        version = v.number,
        sha = v.document_id,
    );
    let hidden = serde_json::json!({
        "tenant": order.tenant,
        "order": order.id,
        "version": v.number,
        "document_sha256": v.document_id,
        "signer": signer.id,
        "role": signer.role,
    });
    EidSignText {
        user_visible_data_b64: B64.encode(visible),
        user_non_visible_data_b64: B64.encode(hidden.to_string()),
    }
}

/// Word to the secretary: someone declined, with their comment (which only the secretary sees).
pub(crate) fn declined_mail(
    order: &SigningOrder,
    signer: &Signer,
    comment: &str,
    base_url: &str,
) -> (String, String) {
    (
        format!("Avböjt: {} – {}", order.meeting.title, signer.name),
        format!(
            "{name} ({role}) har avböjt att signera\n\n  {title}\n  {committee}, sammanträde {date}\n  version {version}\n\nKommentar:\n{comment}\n\nRätta dokumentet, återkalla ordern och skicka en ny version:\n{base}/sekreterare\n",
            name = signer.name,
            role = signer.role.label_sv().to_lowercase(),
            title = order.meeting.title,
            committee = order.meeting.committee,
            date = order.meeting.meeting_date,
            version = order.current().number,
            base = base_url.trim_end_matches('/'),
        ),
    )
}

/// Word to the secretary: everyone has signed; sealing, publishing and export follow.
pub(crate) fn completed_mail(order: &SigningOrder, base_url: &str) -> (String, String) {
    (
        format!("Justerat: {}", order.meeting.title),
        format!(
            "Alla har signerat\n\n  {title}\n  {committee}, sammanträde {date}\n\nArkivversionen förseglas, publiceringsversionen och anslaget publiceras och arkivpaketet skapas automatiskt. Följ ordern här:\n{base}/sekreterare\n",
            title = order.meeting.title,
            committee = order.meeting.committee,
            date = order.meeting.meeting_date,
            base = base_url.trim_end_matches('/'),
        ),
    )
}

/// Word to the secretary: a step after the signatures stopped for good, why, and what to do.
pub(crate) fn pipeline_failed_mail(
    order: &SigningOrder,
    failure: &crate::domain::pipeline::PipelineFailure,
    base_url: &str,
) -> (String, String) {
    use crate::domain::PipelineStep;
    let what = match failure.step {
        PipelineStep::Seal => "Arkivversionen kunde inte förseglas",
        PipelineStep::Publish => "Protokollet kunde inte publiceras på anslagstavlan",
        PipelineStep::ArchiveExport => "Arkivpaketet kunde inte skapas",
    };
    (
        format!("Åtgärd krävs: {}", order.meeting.title),
        format!(
            "{what}

  {title}
  {committee}, sammanträde {date}

Orsak: {reason}

Underskrifterna är sparade och gäller. När orsaken är åtgärdad kan du köra steget igen från ordern:
{base}/sekreterare
",
            title = order.meeting.title,
            committee = order.meeting.committee,
            date = order.meeting.meeting_date,
            reason = failure.reason.message_sv,
            base = base_url.trim_end_matches('/'),
        ),
    )
}

/// The name a file of the order is saved under, as people would name it:
/// "Protokoll E-nämnden 2026-12-03 – arkivversion.pdf".
pub(crate) fn order_file_name(order: &SigningOrder, file: &str) -> String {
    let what = match file {
        files::ARCHIVE_VERSION => "arkivversion.pdf",
        files::PUBLICATION_VERSION => "publiceringsversion.pdf",
        files::ARCHIVE_PACKAGE => "arkivpaket.zip",
        files::NOTICE_HTML => "anslag.html",
        files::NOTICE_JSON => "anslag.json",
        other => other,
    };
    format!(
        "Protokoll {} {} – {what}",
        order.meeting.committee, order.meeting.meeting_date
    )
}

pub(crate) fn reminder_subject(order: &SigningOrder) -> String {
    format!(
        "Påminnelse: {} – sista dag {}",
        order.meeting.title,
        stockholm(order.current().deadline)
    )
}

pub(crate) fn invitation_subject(order: &SigningOrder) -> String {
    format!(
        "Att signera: {} – {} {}",
        order.meeting.title, order.meeting.committee, order.meeting.meeting_date
    )
}

pub(crate) fn invitation_text(
    tenant: &Tenant,
    order: &SigningOrder,
    signer: &Signer,
    base_url: &str,
) -> String {
    let message = order
        .meeting
        .message
        .as_deref()
        .map(|m| format!("\nMeddelande från sekreteraren:\n{m}\n"))
        .unwrap_or_default();
    format!(
        "Hej {name}!\n\n{tenant} ber dig signera som {role}:\n\n  {title}\n  {committee}, sammanträde {date}\n  Paragrafer: {paragraphs}\n  Sista dag: {deadline}\n{message}\nLogga in med Mobilt BankID för att läsa och signera:\n{base}/portal\n\nDu ser bara dokument där du är namngiven. Om något är fel kan du avböja med en kommentar till sekreteraren.\n\n-- \nDet här meddelandet skickades av e-underskrift för {tenant}.\n",
        name = signer.name,
        tenant = tenant.name,
        role = signer.role.label_sv().to_lowercase(),
        title = order.meeting.title,
        committee = order.meeting.committee,
        date = order.meeting.meeting_date,
        paragraphs = order.meeting.paragraphs,
        deadline = stockholm(order.current().deadline),
        base = base_url.trim_end_matches('/'),
    )
}

/// The page appended to the archive and publication versions. Never carries personnummer.
pub(crate) fn justering_page(
    tenant: &Tenant,
    order: &SigningOrder,
    method: &str,
    heading: &str,
    footer: String,
) -> JusteringPage {
    let v = order.current();
    let lines = order
        .signers
        .iter()
        .zip(&v.signatures)
        .filter_map(|(s, st)| match st {
            crate::domain::SignatureState::Signed { at, .. } => Some(SignatureLine {
                name: s.name.clone(),
                role: s.role.label_sv().to_string(),
                signed_at: format!("{} (Europe/Stockholm)", stockholm(*at)),
                method: method.to_string(),
            }),
            _ => None,
        })
        .collect();
    JusteringPage {
        heading: heading.to_string(),
        organ: format!("{} – {}", tenant.name, order.meeting.committee),
        meeting_date: order.meeting.meeting_date.to_string(),
        paragraphs: order.meeting.paragraphs.clone(),
        document_name: v.file_name.clone(),
        document_sha256: v.document_id.to_string(),
        lines,
        footer,
    }
}

/// The human-readable validation report in the e-archive package: each signature with its
/// BankID evidence, then what the check at export found for the seal and the timestamps.
pub(crate) fn validation_report_page(
    tenant: &Tenant,
    order: &SigningOrder,
    method: &str,
    report: &crate::pdf::VerifyReport,
    checked_at: DateTime<Utc>,
    software: &str,
) -> JusteringPage {
    let outcome = if report.all_hold() {
        "Alla underskrifter, sigillet och tidsstämplarna höll vid kontrollen."
    } else {
        "Minst en underskrift höll inte vid kontrollen."
    };
    let mut page = justering_page(
        tenant,
        order,
        &format!("{method}, beviset kontrollerat när underskriften gjordes"),
        "Kontrollrapport för arkivexemplaret",
        format!(
            "Kontrollen gjordes {} av {software}. {outcome} Hela rapporten finns i \
             metadata/other/validation-report.json i arkivpaketet.",
            stockholm(checked_at)
        ),
    );
    page.document_sha256 = String::new();
    page.document_name = "archive.pdf (arkivexemplaret)".into();
    for s in &report.signatures {
        let (what, at) = if s.level == "DocTimeStamp" {
            ("Dokumenttidsstämpel", s.signing_time.clone())
        } else {
            (
                "Organisationens elektroniska sigill",
                s.timestamp_time.clone().or_else(|| s.signing_time.clone()),
            )
        };
        let level = if s.level == "DocTimeStamp" {
            String::new()
        } else {
            s.level.clone()
        };
        page.lines.push(SignatureLine {
            name: format!("{what}: {}", common_name(&s.signer_subject)),
            role: level,
            signed_at: at.as_deref().map(readable_time).unwrap_or_default(),
            method: held_sv(s) + &proof_text(s),
        });
    }
    page
}

/// What the public verification page says about a document: whether it holds, in one plain
/// Swedish sentence, and a line per signature, seal or timestamp.
pub fn verification_verdict(report: &crate::pdf::VerifyReport) -> (bool, String, Vec<String>) {
    let headline = if report.signatures.is_empty() {
        "Dokumentet har inga elektroniska underskrifter eller sigill att kontrollera."
    } else if report.signatures.iter().any(|s| !s.intact) {
        "Dokumentet har ändrats efter att det förseglades. Det går inte att lita på att innehållet är det som justerades."
    } else if !report.all_hold() {
        "Dokumentet är oförändrat, men sigillet kunde inte bekräftas som utfärdat av en utfärdare som den här tjänsten litar på."
    } else {
        "Dokumentet är oförändrat sedan det förseglades, och sigillet och tidsstämplarna är giltiga och utfärdade av betrodda utfärdare."
    };
    let lines = report
        .signatures
        .iter()
        .map(|s| {
            let what = if s.level == "DocTimeStamp" {
                "Tidsstämpel"
            } else {
                "Sigill"
            };
            let at = s
                .timestamp_time
                .clone()
                .or_else(|| s.signing_time.clone())
                .map(|t| format!(", {}", readable_time(&t)))
                .unwrap_or_default();
            format!(
                "{what} av {}{at}: {}{}.",
                common_name(&s.signer_subject),
                held_sv(s),
                proof_text(s),
            )
        })
        .collect();
    (report.all_hold(), headline.to_string(), lines)
}

/// What the check found for one seal or timestamp, in the same words wherever it is shown
/// (the readable report, the verification page, the package's preservation metadata):
/// "oförändrat, giltigt, utfärdat av betrodd utfärdare", or what failed.
pub(crate) fn held_sv(s: &crate::pdf::SignatureReport) -> String {
    let held = |ok: bool, yes: &'static str, no: &'static str| if ok { yes } else { no };
    [
        held(s.intact, "oförändrat", "ändrat efteråt"),
        held(s.signature_valid, "giltigt", "ogiltigt"),
        held(
            s.trusted,
            "utfärdat av betrodd utfärdare",
            "utfärdaren är inte betrodd",
        ),
    ]
    .join(", ")
}

/// ", tidsstämpeln bevisar att dokumentet fanns till och med 2029-12-05": until when the
/// timestamp proves existence by itself (empty when there is no timestamp).
fn proof_text(s: &crate::pdf::SignatureReport) -> String {
    s.proof_until
        .as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| {
            format!(
                ", tidsstämpeln bevisar att dokumentet fanns till och med {}",
                t.with_timezone(&chrono_tz::Europe::Stockholm)
                    .format("%Y-%m-%d")
            )
        })
        .unwrap_or_default()
}

/// A time from the verifier's report (RFC 3339, or a timestamp's `YYYYMMDDhhmmssZ`) as the
/// other times on the page are written; as given when it is neither.
fn readable_time(text: &str) -> String {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| {
            chrono::NaiveDateTime::parse_from_str(text, "%Y%m%d%H%M%SZ").map(|t| t.and_utc())
        })
        .map(|t| format!("{} (Europe/Stockholm)", stockholm(t)))
        .unwrap_or_else(|_| text.to_string())
}

/// The CN of an X.500 name as written by the verifier ("CN=Demo kommun,O=...").
fn common_name(subject: &str) -> String {
    subject
        .split(',')
        .find_map(|part| part.trim().strip_prefix("CN="))
        .unwrap_or(subject)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_times_read_like_the_others() {
        assert_eq!(
            readable_time("2026-12-06T11:09:42+00:00"),
            "2026-12-06 12:09 (Europe/Stockholm)"
        );
        assert_eq!(
            readable_time("20260706110942Z"),
            "2026-07-06 13:09 (Europe/Stockholm)"
        );
        assert_eq!(readable_time("okänt"), "okänt");
        let mut report: crate::pdf::SignatureReport = serde_json::from_value(serde_json::json!({
            "field_name": "Sigill", "sub_filter": "ETSI.RFC3161", "intact": true,
            "signature_valid": true, "trusted": true, "signer_subject": "CN=TSA",
            "signing_time": null, "level": "DocTimeStamp", "covers_whole_revision": true,
            "problems": [],
        }))
        .unwrap();
        report.proof_until = Some("2029-12-05T11:40:52+00:00".into());
        assert_eq!(
            proof_text(&report),
            ", tidsstämpeln bevisar att dokumentet fanns till och med 2029-12-05"
        );
        report.proof_until = None;
        assert_eq!(proof_text(&report), "");
        assert_eq!(
            common_name("CN=Demo kommun sigill,O=Demo,C=SE"),
            "Demo kommun sigill"
        );
    }

    #[test]
    fn markdown_in_user_text_is_neutralised() {
        assert_eq!(md_escape("# §§ 1-3 *viktigt*"), "# §§ 1-3 \\*viktigt\\*");
        assert_eq!(
            md_escape("KS_2025-03-04_protokoll.pdf"),
            "KS_2025-03-04_protokoll.pdf"
        );
        assert_eq!(md_escape("a\nb\u{7}"), "a b");
    }

    #[test]
    fn stockholm_time_follows_daylight_saving() {
        let winter: DateTime<Utc> = "2026-11-23T13:05:00Z".parse().unwrap();
        let summer: DateTime<Utc> = "2026-06-23T13:05:00Z".parse().unwrap();
        assert_eq!(stockholm(winter), "2026-11-23 14:05");
        assert_eq!(stockholm(summer), "2026-06-23 15:05");
    }
}
