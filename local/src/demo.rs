//! `esign demo`: one real protocol (the sample, or any PDF given with `--document`) through the
//! whole flow over HTTP (upload, order, three signers logging in and signing with the
//! simulated Mobilt BankID, seal, publish, export), with every output written to a directory
//! and checked before we say it worked. A document upload would refuse is refused with
//! intake's reason.

use anyhow::{bail, Context, Result};
use serde_json::json;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use crate::drive::{Http, Person, Portal, Secretary};
use crate::service::{LocalService, DEFAULT_TENANT};

pub const SAMPLE_PROTOCOL: &[u8] = include_bytes!("../assets/protokoll-e-namnd-2020-03-11.pdf");
pub const SAMPLE_NAME: &str = "protokoll-e-namnd-2020-03-11.pdf";

/// The people of the sample (Skatteverket's published test personnummer).
pub fn sample_signers() -> Vec<(Person, &'static str)> {
    vec![
        (
            Person::new("191212121212", "Tolvan", "Tolvansson"),
            "ordforande",
        ),
        (
            Person::new("198112189876", "Britt", "Justerare"),
            "justerare",
        ),
        (Person::new("194107086995", "Åke", "Örnsköld"), "justerare"),
    ]
}

/// The document the demo signs: its file name and bytes.
struct Document {
    name: String,
    bytes: Vec<u8>,
    title: String,
}

pub async fn run(data: &Path, out: &Path, document: Option<&Path>) -> Result<()> {
    let document = match document {
        None => Document {
            name: SAMPLE_NAME.into(),
            bytes: SAMPLE_PROTOCOL.to_vec(),
            title: "Protokoll E-nämnden 2020-03-11".into(),
        },
        Some(path) => Document {
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "dokument.pdf".into()),
            bytes: std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
            title: path
                .file_stem()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "Dokument".into()),
        },
    };
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let running = LocalService::start(data, SocketAddr::from(([127, 0, 0, 1], 0)), None).await?;
    let result = drive(&running, out, &document).await;
    running.stop().await;
    result
}

async fn drive(running: &crate::Running, out: &Path, document: &Document) -> Result<()> {
    let key = running.service.ensure_default_tenant().await?;
    let http = Http::new(&running.base_url);
    let secretary = Secretary {
        http: http.clone(),
        api_key: key,
    };
    println!("1/6 upload: {}", document.name);
    let (status, uploaded) = secretary
        .upload(&document.name, document.bytes.clone())
        .await?;
    if !status.is_success() {
        let e = &uploaded["error"];
        bail!(
            "{} tas inte emot: {} / is not accepted: {} ({})",
            document.name,
            e["message_sv"].as_str().unwrap_or_default(),
            e["message_en"].as_str().unwrap_or_default(),
            e["code"].as_str().unwrap_or_default()
        );
    }
    let doc = uploaded["document"]["id"]
        .as_str()
        .context("document id")?
        .to_string();

    println!("2/6 signing order: ordförande and two justerare");
    let signers: Vec<_> = sample_signers()
        .iter()
        .map(|(p, role)| {
            json!({"name": p.name(), "role": role, "personnummer": p.personal_number,
                                "email": format!("{}@example.se", p.given_name.to_lowercase())})
        })
        .collect();
    let deadline = chrono::Utc::now() + chrono::Duration::days(14);
    let (status, created) = secretary
        .post(
            "/api/orders",
            &json!({"document_id": doc, "committee": "E-nämnden", "meeting_date": "2020-03-11",
                    "paragraphs": "§§ 1–14", "title": document.title,
                    "diarienummer": "EN 2020/12", "plan": "parallel", "deadline": deadline,
                    "signers": signers}),
        )
        .await?;
    if !status.is_success() {
        bail!("creating the order: HTTP {status}: {created}");
    }
    let order_id = created["order"]["id"]
        .as_str()
        .context("order id")?
        .to_string();

    for (person, _) in sample_signers() {
        println!("3/6 {} logs in with BankID and signs", person.name());
        let mut portal = Portal::new(http.clone(), person.clone());
        portal.login().await?;
        let done = portal.sign(DEFAULT_TENANT, &order_id).await?;
        if done["status"] != "complete" {
            bail!("{} could not sign: {done}", person.name());
        }
    }

    println!("4/6 seal, publish and export (queue)");
    secretary
        .wait_for_status(&order_id, "exported", Duration::from_secs(120))
        .await?;

    println!("5/6 writing outputs to {}", out.display());
    let (status, original) = http
        .get_bytes(
            &format!("/api/documents/{doc}/original.pdf"),
            Some(&secretary.api_key),
        )
        .await?;
    if !status.is_success() {
        bail!("original.pdf: HTTP {status}");
    }
    std::fs::write(out.join("original.pdf"), &original)?;
    for name in [
        "archive.pdf",
        "publication.pdf",
        "notice.json",
        "notice.html",
        "sip.zip",
    ] {
        std::fs::write(out.join(name), secretary.file(&order_id, name).await?)?;
    }
    std::fs::copy(running.service.pki.root_pem_path(), out.join("root-ca.pem"))?;
    // The tenant's anslagstavla as the public reads it, to open from OUT/anslagstavla/.
    let site = out.join("anslagstavla");
    std::fs::create_dir_all(&site)?;
    let notice_files = ["html", "json", "pdf"].map(|ext| format!("{order_id}.{ext}"));
    for name in [
        "index.html",
        "arkiv.html",
        "embed.html",
        "feed.atom",
        "feed.json",
    ]
    .into_iter()
    .map(str::to_string)
    .chain(notice_files)
    {
        let (status, bytes) = http
            .get_bytes(&format!("/public/{DEFAULT_TENANT}/anslag/{name}"), None)
            .await?;
        if !status.is_success() {
            bail!("the anslagstavla's {name}: HTTP {status}");
        }
        std::fs::write(site.join(&name), bytes)?;
    }

    println!("6/6 checking the archive version");
    let archive = std::fs::read(out.join("archive.pdf"))?;
    if !archive.starts_with(&original) {
        bail!("the original is not a byte-exact prefix of the archive version");
    }
    let report = esign_shared::pdf::verify(
        &archive,
        std::slice::from_ref(&running.service.pki.root.cert_der),
    )?;
    if report.signatures.is_empty() || report.signatures.iter().any(|s| !s.intact || !s.trusted) {
        bail!(
            "the archive version does not verify: {}",
            serde_json::to_string(&report)?
        );
    }
    println!("done: order {order_id} is justerat, förseglat, publicerat och arkiverat");
    Ok(())
}
