//! Shared helpers for the end-to-end tests: a whole service in a temp data directory, the
//! people of the tests, the independent oracles (pyHanko, pdfsig, qpdf, pdftotext) and checks
//! of the API's error shape.

pub mod aws_stack;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex, OnceLock};

use esign_local::drive::{Http, Person, Portal, Secretary};
use esign_local::{LocalService, Running, DEFAULT_TENANT};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub use esign_local;

// --- fixtures -------------------------------------------------------------------------------

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives in the workspace")
        .to_path_buf()
}

/// A real protocol (PDF/A-2b claim, 22 pages).
pub fn protocol_v1() -> Vec<u8> {
    fixture("e-namnd-2020-03-11.pdfa2b.pdf")
}

/// The same protocol converted differently (PDF/A-1 claim): different bytes, a different
/// document: the "corrected" version a secretary resends.
pub fn protocol_v2() -> Vec<u8> {
    fixture("e-namnd-2020-03-11.pdfa1b.pdf")
}

pub fn fixture(name: &str) -> Vec<u8> {
    let p = repo_root().join("shared/testdata/protocols").join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("reading fixture {}: {e}", p.display()))
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

// --- people ---------------------------------------------------------------------------------

/// Skatteverket's published test personnummer, with names.
pub fn ordforande() -> Person {
    Person::new("191212121212", "Tolvan", "Tolvansson")
}
pub fn justerare1() -> Person {
    Person::new("198112189876", "Britt", "Justerare")
}
pub fn justerare2() -> Person {
    Person::new("194107086995", "Åke", "Örnsköld")
}
/// A fourth person, named in no order unless a test says so.
pub fn outsider() -> Person {
    Person::new("201701102384", "Ester", "Utomstående")
}

pub fn all_people() -> Vec<Person> {
    vec![ordforande(), justerare1(), justerare2(), outsider()]
}

/// The same personnummer with a wrong check digit.
pub fn with_wrong_check_digit(pnr: &str) -> String {
    let mut s: Vec<char> = pnr.chars().collect();
    let last = s.pop().and_then(|c| c.to_digit(10)).expect("a digit");
    s.push(char::from_digit((last + 1) % 10, 10).expect("digit"));
    s.into_iter().collect()
}

/// Every way a 12-digit personnummer is commonly written: YYYYMMDDNNNN, YYYYMMDD-NNNN,
/// YYMMDD-NNNN, YYMMDDNNNN (and YYMMDD+NNNN for the over-hundred form).
pub fn personnummer_forms(pnr12: &str) -> Vec<String> {
    assert_eq!(pnr12.len(), 12, "expected a 12-digit personnummer");
    let (date, tail) = pnr12.split_at(8);
    let short = &date[2..];
    vec![
        pnr12.to_string(),
        format!("{date}-{tail}"),
        format!("{short}-{tail}"),
        format!("{short}{tail}"),
        format!("{short}+{tail}"),
    ]
}

/// The forms of `pnr12` found in `haystack`.
pub fn personnummer_found_in(haystack: &[u8], pnr12: &str) -> Vec<String> {
    personnummer_forms(pnr12)
        .into_iter()
        .filter(|f| contains(haystack, f.as_bytes()))
        .collect()
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// The signer JSON for an order.
pub fn signer_json(p: &Person, role: &str) -> Value {
    json!({
        "name": p.name(),
        "role": role,
        "personnummer": p.personal_number,
        "email": format!("{}@example.se", ascii_lower(&p.given_name)),
    })
}

fn ascii_lower(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'Å' | 'å' | 'Ä' | 'ä' => 'a',
            'Ö' | 'ö' => 'o',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// An order body for `document_id` with these signers (parallel plan).
pub fn order_body(document_id: &str, signers: Vec<Value>) -> Value {
    let deadline = chrono::Utc::now() + chrono::Duration::days(14);
    json!({
        "document_id": document_id,
        "committee": "E-nämnden",
        "meeting_date": "2020-03-11",
        "paragraphs": "§§ 1–14",
        "title": "Protokoll E-nämnden 2020-03-11",
        "diarienummer": "EN 2020/12",
        "message": "Vänligen justera protokollet.",
        "plan": "parallel",
        "deadline": deadline,
        "signers": signers,
    })
}

/// The usual justering: ordförande and two justerare.
pub fn justering_signers() -> Vec<Value> {
    vec![
        signer_json(&ordforande(), "ordforande"),
        signer_json(&justerare1(), "justerare"),
        signer_json(&justerare2(), "justerare"),
    ]
}

// --- the service ----------------------------------------------------------------------------

/// A whole service in its own temp data directory, with the default tenant's secretary.
pub struct TestService {
    pub dir: tempfile::TempDir,
    pub running: Option<Running>,
    pub http: Http,
    pub secretary: Secretary,
}

impl TestService {
    pub async fn start() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("esign-test-")
            .tempdir()
            .expect("a temp dir");
        let running = LocalService::start(
            &dir.path().join("data"),
            SocketAddr::from(([127, 0, 0, 1], 0)),
            None,
        )
        .await
        .expect("the local service starts");
        let key = running
            .service
            .ensure_default_tenant()
            .await
            .expect("the default tenant");
        let http = Http::new(&running.base_url);
        let secretary = Secretary {
            http: http.clone(),
            api_key: key,
        };
        Self {
            dir,
            running: Some(running),
            http,
            secretary,
        }
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn running(&self) -> &Running {
        self.running.as_ref().expect("the service is running")
    }

    pub fn tenant(&self) -> &'static str {
        DEFAULT_TENANT
    }

    /// Another tenant and its secretary.
    pub async fn add_tenant(&self, id: &str, name: &str) -> Secretary {
        let key = self
            .running()
            .service
            .add_tenant(id, name, &format!("Kommunkansliet, {name}"))
            .await
            .unwrap_or_else(|e| panic!("adding tenant {id}: {e:#}"));
        Secretary {
            http: self.http.clone(),
            api_key: key,
        }
    }

    pub fn portal(&self, p: Person) -> Portal {
        Portal::new(self.http.clone(), p)
    }

    pub async fn logged_in(&self, p: Person) -> Portal {
        let mut portal = self.portal(p.clone());
        portal
            .login()
            .await
            .unwrap_or_else(|e| panic!("{} could not log in: {e:#}", p.name()));
        portal
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
    }
}

/// Upload, panicking with the answer when it fails; answers the document id.
pub async fn upload(sec: &Secretary, name: &str, bytes: Vec<u8>) -> String {
    let (status, body) = sec.upload(name, bytes).await.expect("upload request");
    assert!(
        status.is_success(),
        "upload of {name} failed: HTTP {status}: {body}"
    );
    body["document"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("upload answer without document.id: {body}"))
        .to_string()
}

/// Create an order, panicking with the answer when it fails; answers the order JSON.
pub async fn create_order(sec: &Secretary, body: &Value) -> Value {
    let (status, out) = sec.post("/api/orders", body).await.expect("order request");
    assert_eq!(
        status,
        StatusCode::CREATED,
        "creating the order failed: {out}"
    );
    out["order"].clone()
}

pub async fn order_list(sec: &Secretary) -> Value {
    let (status, body) = sec.get("/api/orders").await.expect("list orders");
    assert_eq!(status, StatusCode::OK, "listing orders: {body}");
    body["orders"].clone()
}

/// An order's JSON without the parts that change by looking (nothing should): for comparing
/// an order before and after a refused request.
pub async fn order_snapshot(sec: &Secretary, id: &str) -> Value {
    sec.order(id).await.expect("reading the order")
}

/// Every file under `dir` (relative paths), sorted; empty when `dir` does not exist.
pub fn files_under(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(
                    p.strip_prefix(base)
                        .unwrap_or(&p)
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

// --- error shape ----------------------------------------------------------------------------

/// Assert the API's error shape: one of `statuses`, and `error.code`, `error.message_sv`,
/// `error.message_en` all non-empty strings. Answers the code.
pub fn assert_api_error(what: &str, status: StatusCode, body: &Value, statuses: &[u16]) -> String {
    assert!(
        status.as_u16() != 500 && !status.is_server_error(),
        "{what}: server error HTTP {status}: {body}"
    );
    assert!(
        statuses.contains(&status.as_u16()),
        "{what}: expected HTTP {statuses:?}, got {status}: {body}"
    );
    let err = &body["error"];
    for field in ["code", "message_sv", "message_en"] {
        let v = err[field].as_str().unwrap_or("");
        assert!(
            !v.trim().is_empty(),
            "{what}: error.{field} missing or empty in {body}"
        );
    }
    err["code"].as_str().unwrap_or_default().to_string()
}

// --- oracles --------------------------------------------------------------------------------

/// Find an external tool: `ESIGN_<NAME>` (upper case, `-` as `_`), else PATH. Panics with a
/// clear message when it is missing: these checks are never skipped.
pub fn tool(name: &str) -> PathBuf {
    let var = format!("ESIGN_{}", name.to_ascii_uppercase().replace('-', "_"));
    if let Some(p) = std::env::var_os(&var) {
        return PathBuf::from(p);
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!(
        "the oracle `{name}` is not installed: run ./scripts/test, which installs it (pyhanko in .venv; \
         poppler-utils for pdfsig/pdftotext; qpdf), put it on PATH, or set {var}"
    )
}

pub fn run_tool(name: &str, args: &[&std::ffi::OsStr]) -> Output {
    let exe = tool(name);
    Command::new(&exe)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", exe.display()))
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `pyhanko sign validate --trust ROOT --trust-replace --no-revocation-check FILE`: the text,
/// asserting exit 0 and that every signature line says INTACT:TRUSTED.
pub fn pyhanko_validate(pdf: &Path, root_pem: &Path) -> String {
    let out = run_tool(
        "pyhanko",
        &[
            "sign".as_ref(),
            "validate".as_ref(),
            "--trust".as_ref(),
            root_pem.as_os_str(),
            "--trust-replace".as_ref(),
            "--no-revocation-check".as_ref(),
            pdf.as_os_str(),
        ],
    );
    let t = text(&out);
    assert!(
        out.status.success(),
        "pyhanko validate of {} failed ({}): {t}",
        pdf.display(),
        out.status
    );
    assert!(
        t.contains("INTACT:TRUSTED"),
        "pyhanko does not say INTACT:TRUSTED for {}: {t}",
        pdf.display()
    );
    t
}

/// pdfsig's text. pdfsig exits 0 even when a digest does not match: callers read the text.
/// `pyhanko sign adesverify`: AdES long-term validation with what the file's DSS holds.
/// Returns (exit status success, output).
pub fn pyhanko_adesverify(pdf: &Path, root_pem: &Path) -> (bool, String) {
    let out = run_tool(
        "pyhanko",
        &[
            "sign".as_ref(),
            "adesverify".as_ref(),
            "--trust".as_ref(),
            root_pem.as_os_str(),
            "--trust-replace".as_ref(),
            pdf.as_os_str(),
        ],
    );
    (out.status.success(), text(&out))
}

pub fn pdfsig(pdf: &Path) -> String {
    let out = run_tool("pdfsig", &[pdf.as_os_str()]);
    text(&out)
}

/// `qpdf --check FILE`: asserts exit 0.
pub fn qpdf_check(pdf: &Path) -> String {
    let out = run_tool("qpdf", &["--check".as_ref(), pdf.as_os_str()]);
    let t = text(&out);
    assert!(
        out.status.success(),
        "qpdf --check {} failed ({}): {t}",
        pdf.display(),
        out.status
    );
    t
}

/// `pdftotext FILE -`: the text of the PDF.
pub fn pdftotext(pdf: &Path) -> String {
    let out = run_tool("pdftotext", &[pdf.as_os_str(), "-".as_ref()]);
    assert!(
        out.status.success(),
        "pdftotext {} failed: {}",
        pdf.display(),
        text(&out)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

// --- mail -----------------------------------------------------------------------------------

/// A mail as readable text: the raw file plus its body decoded (quoted-printable or base64)
/// and the encoded-word headers decoded, so a personnummer cannot hide in an encoding.
pub fn decoded_mail(raw: &[u8]) -> Vec<u8> {
    use base64::Engine;
    let mut out = raw.to_vec();
    let s = String::from_utf8_lossy(raw);
    let (head, body) = s
        .split_once("\r\n\r\n")
        .or_else(|| s.split_once("\n\n"))
        .unwrap_or((&s, ""));
    let lower = head.to_ascii_lowercase();
    out.push(b'\n');
    if lower.contains("content-transfer-encoding: base64") {
        let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
        if let Ok(b) = base64::engine::general_purpose::STANDARD.decode(compact) {
            out.extend(b);
        }
    } else {
        out.extend(decode_qp(body));
    }
    // Encoded words in headers: =?utf-8?b?...?=
    for part in head.split("=?") {
        if let Some(rest) = part
            .strip_prefix("utf-8?b?")
            .or_else(|| part.strip_prefix("UTF-8?B?"))
        {
            if let Some(end) = rest.find("?=") {
                if let Ok(b) = base64::engine::general_purpose::STANDARD.decode(&rest[..end]) {
                    out.push(b'\n');
                    out.extend(b);
                }
            }
        }
    }
    out
}

fn decode_qp(s: &str) -> Vec<u8> {
    let s = s.replace("=\r\n", "").replace("=\n", "");
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' && i + 2 < b.len() {
            if let Some(v) = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

// --- logs -----------------------------------------------------------------------------------

/// Everything the service logs (all levels, every test in this binary) is copied here.
#[derive(Clone, Default)]
pub struct LogBuffer(pub Arc<Mutex<Vec<u8>>>);

impl LogBuffer {
    pub fn contents(&self) -> Vec<u8> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Install (once per test binary) a tracing subscriber at TRACE for our crates that writes to
/// a buffer, and answer the buffer.
pub fn capture_logs() -> LogBuffer {
    static BUF: OnceLock<LogBuffer> = OnceLock::new();
    BUF.get_or_init(|| {
        let buf = LogBuffer::default();
        let writer = buf.clone();
        let filter = tracing_subscriber::EnvFilter::new("trace,hyper=info,h2=info,reqwest=debug");
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .try_init();
        buf
    })
    .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_and_search() {
        let forms = personnummer_forms("198112189876");
        assert!(forms.contains(&"811218-9876".to_string()));
        assert!(forms.contains(&"19811218-9876".to_string()));
        assert_eq!(
            personnummer_found_in(b"xx 811218-9876 yy", "198112189876"),
            vec!["811218-9876".to_string()]
        );
        assert!(personnummer_found_in(b"811218-9877", "198112189876").is_empty());
        assert_eq!(with_wrong_check_digit("198112189876"), "198112189877");
        assert_eq!(with_wrong_check_digit("191212121219"), "191212121210");
    }

    #[test]
    fn mail_is_decoded_before_searching() {
        let qp = b"To: a@b.se\nContent-Transfer-Encoding: quoted-printable\n\nnr 19811218=\n9876 =C3=A5\n";
        assert_eq!(
            personnummer_found_in(&decoded_mail(qp), "198112189876"),
            vec!["198112189876".to_string(), "8112189876".to_string()]
        );
        let b64 = b"To: a@b.se\nContent-Transfer-Encoding: base64\n\nbnIgMTk4MTEyMTg5ODc2\n";
        assert!(!personnummer_found_in(&decoded_mail(b64), "198112189876").is_empty());
    }
}
