//! The fault-injection matrix: the whole justering of one order (BankID login, signing with its
//! evidence, the last signature, seal, publish, export) with a fault at every port call in
//! turn (`port_tests::faults`: fail or crash, before or after the call takes effect). After each
//! fault the service recovers as it does in production: the signer's page polls again or starts
//! over, a crashed process restarts (its in-memory queue lost, claims left to run out),
//! housekeeping queues what waits, the queue redelivers. Then every invariant is checked: the
//! order ends exported, the signature BankID completed counts, exactly one archive version
//! exists and is the one packaged, each step happened once, nothing is half-written.
//!
//! The same scenario runs on the embedded adapters (`tests` below) and on the AWS adapters
//! against moto (`tests/fault_matrix.rs`), through [`run_matrix`].

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use chrono::Duration;

use crate::app::{
    App, CollectOutcome, CreateOrderInput, LoginOutcome, Ports, Settings, SignerInput,
};
use crate::domain::{OrderStatus, SignatureState, SigningOrder, TenantId};
use crate::port_tests::faults::{faulty_ports, Fault, Faults};
use crate::ports::{
    Clock, EidCollect, EidError, EidProvider, EidSignText, EidStarted, EndUser, Job, PortError,
    Queue,
};
use crate::repo::{files, OrderRepo};

/// The justerare: the first signature is one of several ("signed"), the second the last
/// ("completed", which queues the seal).
const SIGNERS: [(&str, &str); 2] = [("Åsa", "191212121212"), ("Bo", "198112189876")];

/// What the matrix needs of a world: ports over durable storage, a clock to move, and the
/// BankID phone to approve with.
#[async_trait::async_trait]
pub trait World: Send + Sync {
    /// The ports of the service (state, objects, eID, ...), the queue excluded: the matrix
    /// brings its own, which it drains itself.
    fn ports(&self) -> Ports;
    fn clock(&self) -> &crate::ports::ManualClock;
    async fn phone_approves(&self, auto_start_token: &str, personal_number: &str);
    /// A tenant with its seal certificate; its API key.
    async fn add_tenant(&self, id: &str) -> String;
    /// Files the storage holds that no reader may ever see (temporary files of writes).
    fn leftovers(&self) -> Vec<String>;
}

/// The queue of the run: jobs wait here until the matrix delivers them. Whether a crash loses
/// them is the world's (an in-process queue does, SQS does not).
#[derive(Default)]
pub struct MatrixQueue(Mutex<Vec<Job>>);

#[async_trait::async_trait]
impl Queue for MatrixQueue {
    async fn enqueue(&self, job: Job) -> Result<(), PortError> {
        self.0.lock().unwrap().push(job);
        Ok(())
    }
}

/// The eID provider, noting every signing BankID order that answered `complete`.
struct NotingEid {
    inner: Arc<dyn EidProvider>,
    signing: Mutex<BTreeSet<String>>,
    completed: Mutex<BTreeSet<String>>,
}

#[async_trait::async_trait]
impl EidProvider for NotingEid {
    async fn start_auth(&self, end_user: &EndUser) -> Result<EidStarted, EidError> {
        self.inner.start_auth(end_user).await
    }
    async fn start_sign(
        &self,
        end_user: &EndUser,
        personal_number: &str,
        text: &EidSignText,
    ) -> Result<EidStarted, EidError> {
        let started = self
            .inner
            .start_sign(end_user, personal_number, text)
            .await?;
        self.signing
            .lock()
            .unwrap()
            .insert(started.order_ref.clone());
        Ok(started)
    }
    async fn collect(&self, order_ref: &str) -> Result<EidCollect, EidError> {
        let answer = self.inner.collect(order_ref).await?;
        let signing = self.signing.lock().unwrap().contains(order_ref);
        if signing && matches!(answer, EidCollect::Complete { .. }) {
            self.completed.lock().unwrap().insert(order_ref.to_string());
        }
        Ok(answer)
    }
    async fn cancel(&self, order_ref: &str) -> Result<(), EidError> {
        self.inner.cancel(order_ref).await
    }
    fn verify_evidence(
        &self,
        completion_data: &serde_json::Value,
        personal_number: &str,
        text: Option<&EidSignText>,
    ) -> Result<serde_json::Value, EidError> {
        self.inner
            .verify_evidence(completion_data, personal_number, text)
    }
}

/// How one run ended.
#[derive(Debug, Default, Clone)]
pub struct RunOutcome {
    /// Where the fault hit, if it did.
    pub hit: Option<String>,
    pub restarts: u32,
    /// BankID completions that do not count in the end. Only possible when the process died
    /// with BankID's one `complete` answer in memory, before its evidence was written
    /// (`in_window`); anywhere else it is a failure of the matrix.
    pub lost_completions: usize,
    pub in_window: bool,
    /// Invariants that did not hold.
    pub broken: Vec<String>,
}

/// The totals of a matrix.
#[derive(Debug, Default)]
pub struct MatrixReport {
    pub calls: u64,
    pub runs: usize,
    pub restarts: u32,
    /// Completions lost where the process died holding BankID's only answer.
    pub lost_in_window: usize,
    /// Anything else that broke (must be empty).
    pub broken: Vec<String>,
}

/// One run of the scenario with `fault` at call `n` (0: none). `queue_survives_crash`: SQS
/// keeps jobs across a crash, the in-process queue does not.
pub async fn run_once(
    world: &dyn World,
    n: u64,
    fault: Fault,
    queue_survives_crash: bool,
) -> (RunOutcome, u64) {
    let faults = Faults::at(n, fault);
    let tenant = format!("fm-{n}-{}", format!("{fault:?}").to_lowercase());
    let key = world.add_tenant(&tenant).await;
    let queue = Arc::new(MatrixQueue::default());
    let eid = Arc::new(NotingEid {
        inner: world.ports().eid.clone(),
        signing: Mutex::new(BTreeSet::new()),
        completed: Mutex::new(BTreeSet::new()),
    });
    let base = {
        let mut p = world.ports();
        p.queue = queue.clone();
        p.eid = eid.clone();
        p
    };
    let clean = App::new(base.clone(), Settings::default());
    // The order is made before the run (its own faults are the API's, not this scenario's).
    let staff = clean.tenants.authenticate_api_key(&key).await.unwrap();
    let pdf = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(pdf.path(), crate::pdf::hand_made::tiny_pdf("", &[])).unwrap();
    let (doc, _) = clean
        .documents
        .upload_file(&staff, "protokoll.pdf", pdf.path())
        .await
        .unwrap();
    let order = clean
        .orders
        .create_order(
            &staff,
            CreateOrderInput {
                immediate: false,
                confidential: Vec::new(),
                document_id: doc.id.to_string(),
                committee: "KS".into(),
                meeting_date: world.clock().now().date_naive(),
                paragraphs: "§ 1".into(),
                title: "Protokoll".into(),
                diarienummer: None,
                message: None,
                secretary_email: Some("sekreterare@example.se".into()),
                plan: crate::domain::SigningPlan::Parallel,
                deadline: None,
                signers: SIGNERS
                    .iter()
                    .map(|(name, pnr)| SignerInput {
                        name: (*name).into(),
                        email: None,
                        role: crate::domain::Role::Justerare,
                        personnummer: (*pnr).into(),
                        step: None,
                    })
                    .collect(),
            },
        )
        .await
        .unwrap();

    let mut run = Run {
        world,
        faults: faults.clone(),
        app: App::new(faulty_ports(&base, &faults), Settings::default()),
        clean: clean.clone(),
        queue: queue.clone(),
        queue_survives_crash,
        outcome: RunOutcome::default(),
    };
    for (i, (_, pnr)) in SIGNERS.iter().enumerate() {
        run.sign(&tenant, &order, i, pnr).await;
    }
    run.pipeline(&order).await;
    let calls = faults.calls();
    run.outcome.hit = faults.hit();
    check(world, &base, &order, &eid, &faults, fault, &mut run.outcome).await;
    (run.outcome, calls)
}

struct Run<'w> {
    world: &'w dyn World,
    faults: Arc<Faults>,
    app: App,
    clean: App,
    queue: Arc<MatrixQueue>,
    queue_survives_crash: bool,
    outcome: RunOutcome,
}

impl Run<'_> {
    /// After a failure: a crashed process restarts on the same storage (no faults any more);
    /// what it held in memory is gone, and time passes until its claims run out.
    fn recover(&mut self) {
        if self.faults.crashed() && self.outcome.restarts == 0 {
            self.outcome.restarts += 1;
            self.app = self.clean.clone();
            if !self.queue_survives_crash {
                self.queue.0.lock().unwrap().clear();
            }
            self.world.clock().advance(Duration::minutes(16));
        }
    }

    async fn log_in(&mut self, pnr: &str) -> Option<crate::app::SignerSession> {
        for _ in 0..6 {
            match self.try_log_in(pnr).await {
                Ok(s) => return Some(s),
                Err(_) => self.recover(),
            }
        }
        self.outcome
            .broken
            .push("the signer could not log in".into());
        None
    }

    async fn try_log_in(
        &self,
        pnr: &str,
    ) -> Result<crate::app::SignerSession, crate::app::AppError> {
        let started = self
            .app
            .portal
            .start_login(&EndUser::at_ip("192.0.2.1"))
            .await?;
        self.world
            .phone_approves(&started.auto_start_token, pnr)
            .await;
        for _ in 0..5 {
            self.world.clock().advance(Duration::seconds(3));
            match self.app.portal.collect_login(&started.order_ref).await? {
                LoginOutcome::Complete { session_token, .. } => {
                    return self.app.portal.authenticate_session(&session_token).await
                }
                LoginOutcome::Pending { .. } => continue,
                LoginOutcome::Failed { .. } => break,
            }
        }
        Err(crate::app::AppError::Unauthenticated)
    }

    /// The signer's page: start signing, approve on the phone, poll until complete; a poll
    /// that fails is repeated, and a signing BankID no longer knows is started over.
    async fn sign(&mut self, tenant: &str, order: &SigningOrder, index: usize, pnr: &str) {
        let Some(session) = self.log_in(pnr).await else {
            return;
        };
        'attempt: for _ in 0..6 {
            let started = match self
                .app
                .portal
                .start_signing(
                    &session,
                    tenant,
                    &order.id.to_string(),
                    &EndUser::at_ip("192.0.2.1"),
                )
                .await
            {
                Ok(s) => s,
                // Recorded already (by an earlier poll, or from the evidence stored).
                Err(crate::app::AppError::Domain(crate::domain::DomainError::AlreadyActed)) => {
                    return
                }
                Err(_) => {
                    self.recover();
                    // The signer's page shows the order: signed already, or sign again.
                    if self.signed(order, index).await {
                        return;
                    }
                    continue;
                }
            };
            self.world
                .phone_approves(&started.auto_start_token, pnr)
                .await;
            for _ in 0..6 {
                self.world.clock().advance(Duration::seconds(3));
                let fired_before = self.faults.fired();
                match self
                    .app
                    .portal
                    .collect_signing(&session, &started.order_ref)
                    .await
                {
                    Ok(CollectOutcome::Complete { .. }) => return,
                    Ok(CollectOutcome::Pending { .. }) => continue,
                    Ok(CollectOutcome::Failed { .. }) => continue 'attempt,
                    // The injected fault: the page polls again.
                    Err(_) if !fired_before && self.faults.fired() => self.recover(),
                    // BankID no longer knows the order and nothing was stored: start over.
                    Err(_) => continue 'attempt,
                }
            }
        }
        self.outcome
            .broken
            .push("the signature was never recorded".into());
    }

    /// Deliver what the queue holds (again, when a delivery fails), with housekeeping on its
    /// schedule, until the order is exported or rounds run out.
    async fn pipeline(&mut self, order: &SigningOrder) {
        let repo = OrderRepo::new(
            self.clean_ports().state.clone(),
            self.clean_ports().cipher.clone(),
        );
        for _ in 0..12 {
            let status = repo
                .load(&order.tenant, order.id)
                .await
                .ok()
                .flatten()
                .map(|o| o.value.status);
            if status == Some(OrderStatus::Exported) {
                return;
            }
            for _ in 0..20 {
                let job = {
                    let mut q = self.queue.0.lock().unwrap();
                    if q.is_empty() {
                        break;
                    }
                    q.remove(0)
                };
                if let Err(e) = self.app.pipeline.run(&job).await {
                    if self.faults.crashed() {
                        self.recover();
                        if self.queue_survives_crash {
                            self.queue.0.lock().unwrap().push(job);
                        }
                    } else if e.retry() == crate::ports::Retry::Later {
                        self.queue.0.lock().unwrap().push(job);
                    }
                }
            }
            if self.app.housekeeping.run().await.is_err() {
                self.recover();
            }
            self.world.clock().advance(Duration::minutes(1));
        }
    }

    /// Whether the order holds the signer's signature (what the signer's page shows).
    async fn signed(&self, order: &SigningOrder, index: usize) -> bool {
        let p = self.clean_ports();
        OrderRepo::new(p.state.clone(), p.cipher.clone())
            .load(&order.tenant, order.id)
            .await
            .ok()
            .flatten()
            .is_some_and(|o| {
                matches!(
                    o.value.current().signatures[index],
                    SignatureState::Signed { .. }
                )
            })
    }

    fn clean_ports(&self) -> Ports {
        self.world.ports()
    }
}

/// Every invariant of a finished run.
async fn check(
    world: &dyn World,
    ports: &Ports,
    order: &SigningOrder,
    eid: &NotingEid,
    faults: &Faults,
    fault: Fault,
    out: &mut RunOutcome,
) {
    let mut broken = |what: String| out.broken.push(what);
    let repo = OrderRepo::new(ports.state.clone(), ports.cipher.clone());
    let Some(stored) = repo.load(&order.tenant, order.id).await.ok().flatten() else {
        broken("the order cannot be read".into());
        return;
    };
    let o = stored.value;
    if o.status != OrderStatus::Exported {
        broken(format!(
            "order ends {:?}, not exported (failure: {:?})",
            o.status, o.failure
        ));
    }
    // Each step happened once.
    for kind in ["completed", "seal", "publish", "export"] {
        let n = o.history.iter().filter(|e| e.kind == kind).count();
        if n != 1 {
            broken(format!("history has {n} '{kind}' events"));
        }
    }
    // The signatures BankID completed count.
    let mut evidence_keys = Vec::new();
    for st in &o.current().signatures {
        match st {
            SignatureState::Signed { evidence_key, .. } => evidence_keys.push(evidence_key.clone()),
            other => broken(format!("a signature is {other:?}")),
        }
    }
    let completed = eid.completed.lock().unwrap().clone();
    let counted: Vec<&String> = completed
        .iter()
        .filter(|r| evidence_keys.iter().any(|k| k.contains(r.as_str())))
        .collect();
    if counted.len() != SIGNERS.len() {
        broken(format!(
            "{} of {} recorded signatures are BankID completions seen",
            counted.len(),
            SIGNERS.len()
        ));
    }
    let lost: Vec<&String> = completed.iter().filter(|r| !counted.contains(r)).collect();
    let hit = faults.hit().unwrap_or_default();
    // The one place nothing can save: the process died with BankID's only `complete` answer
    // in memory, at the write of its evidence.
    let window = fault.is_crash()
        && lost.len() == 1
        && hit.starts_with("objects.put ")
        && hit.ends_with(&format!("-{}.json", lost[0]));
    if !lost.is_empty() {
        if window {
            out.lost_completions = 1;
            out.in_window = true;
        } else {
            broken(format!(
                "{} completed BankID signatures do not count (fault at {hit})",
                lost.len()
            ));
        }
    }
    // Files: one archive version, the one packaged; nothing half-written.
    let t: &TenantId = &order.tenant;
    let keys = ports
        .objects
        .list(&format!("tenants/{t}/"))
        .await
        .unwrap_or_default();
    let archive_key = files::order_file(t, order.id, files::ARCHIVE_VERSION);
    let archive = ports.objects.get(&archive_key).await.ok().flatten();
    let sip = ports
        .objects
        .get(&files::order_file(t, order.id, files::ARCHIVE_PACKAGE))
        .await
        .ok()
        .flatten();
    match (&archive, &sip) {
        (Some(a), Some(z)) => {
            let packaged = zip_entry(
                z,
                &format!("uuid-{}/representations/rep1/data/archive.pdf", order.id),
            );
            if packaged.as_deref() != Some(&a[..]) {
                broken("the package holds another archive version than the one stored".into());
            }
        }
        _ => broken("archive version or package missing".into()),
    }
    let evidence_files = keys.iter().filter(|k| k.contains("/evidence/")).count();
    if evidence_files != SIGNERS.len() {
        broken(format!("{evidence_files} evidence files"));
    }
    for k in &keys {
        let Some(bytes) = ports.objects.get(k).await.ok().flatten() else {
            broken(format!("{k} listed but unreadable"));
            continue;
        };
        let whole = if k.ends_with(".json") {
            serde_json::from_slice::<serde_json::Value>(&bytes).is_ok()
        } else if k.ends_with(".pdf") {
            bytes.starts_with(b"%PDF-") && bytes.windows(5).rev().take(64).any(|w| w == b"%%EOF")
        } else if k.ends_with(".zip") {
            zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).is_ok()
        } else {
            true
        };
        if !whole {
            broken(format!("{k} is half-written"));
        }
    }
    for left in world.leftovers() {
        broken(format!("temporary file left behind: {left}"));
    }
}

fn zip_entry(zip_bytes: &[u8], name: &str) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes.to_vec())).ok()?;
    let mut f = z.by_name(name).ok()?;
    let mut out = Vec::new();
    f.read_to_end(&mut out).ok()?;
    Some(out)
}

impl MatrixReport {
    /// One line with the totals, for the test's output and the note.
    pub fn summary(&self, world: &str, elapsed: std::time::Duration) -> String {
        format!(
            "fault matrix ({world}): {} calls, {} runs, {} restarts, {} completions lost in the \
             crash window, {} broken, {:.1} s",
            self.calls,
            self.runs,
            self.restarts,
            self.lost_in_window,
            self.broken.len(),
            elapsed.as_secs_f64()
        )
    }

    /// Fails the test with every broken invariant.
    pub fn assert_nothing_broken(&self) {
        assert!(
            self.broken.is_empty(),
            "{} broken:\n{}",
            self.broken.len(),
            self.broken.join("\n")
        );
    }
}

/// Which faults a matrix injects at each call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sampling {
    /// Every kind of fault at every call.
    Every,
    /// At every call one kind of fault, taking turns (a quarter of the runs: for slow worlds
    /// in CI; `Every` runs from a script).
    Rotating,
}

/// The scenario once without faults (to count the calls), then with faults at every call.
pub async fn run_matrix(
    world: &dyn World,
    queue_survives_crash: bool,
    sampling: Sampling,
) -> MatrixReport {
    let (clean, calls) = run_once(world, 0, Fault::FailBefore, queue_survives_crash).await;
    assert!(
        clean.broken.is_empty(),
        "without faults: {:?}",
        clean.broken
    );
    let mut report = MatrixReport {
        calls,
        ..Default::default()
    };
    for n in 1..=calls {
        let faults: Vec<Fault> = match sampling {
            Sampling::Every => Fault::ALL.to_vec(),
            Sampling::Rotating => vec![Fault::ALL[(n % 4) as usize]],
        };
        for fault in faults {
            let (out, _) = run_once(world, n, fault, queue_survives_crash).await;
            report.runs += 1;
            report.restarts += out.restarts;
            report.lost_in_window += out.lost_completions;
            for b in out.broken {
                report.broken.push(format!(
                    "{fault:?} at call {n} ({}): {b}",
                    out.hit.clone().unwrap_or_default()
                ));
            }
        }
    }
    report
}
