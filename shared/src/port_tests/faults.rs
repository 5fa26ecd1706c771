//! Fault injection: the state store, object store and queue wrapped so that the Nth call (all
//! three counted together) fails, or the process "crashes" there: that call and every one after
//! it fail until the test composes a fresh app over the same storage (a restart). A call can
//! fail before it takes effect, or after (the write landed, the caller saw an error: a timeout).

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;

use crate::app::Ports;
use crate::ports::{
    Item, Job, NewVersion, ObjectStore, PortError, Queue, StateError, StateStore, Write,
};

/// How the injected fault behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The Nth call fails without effect; the calls after it work (a transient error).
    FailBefore,
    /// The Nth call takes effect, then reports a failure (a timeout after the write).
    FailAfter,
    /// The process dies at the Nth call, before it takes effect: it and every later call fail.
    CrashBefore,
    /// The process dies right after the Nth call took effect.
    CrashAfter,
}

impl Fault {
    pub const ALL: [Fault; 4] = [
        Fault::FailBefore,
        Fault::FailAfter,
        Fault::CrashBefore,
        Fault::CrashAfter,
    ];
    pub fn is_crash(self) -> bool {
        matches!(self, Fault::CrashBefore | Fault::CrashAfter)
    }
}

/// One plan of injection, shared by the wrappers of one app.
pub struct Faults {
    calls: AtomicU64,
    /// 0: never.
    at: u64,
    fault: Fault,
    dead: AtomicBool,
    fired: AtomicBool,
    /// What the Nth call was, for the report.
    hit: Mutex<Option<String>>,
}

enum Decision {
    Pass,
    Before,
    After,
}

impl Faults {
    /// Counts calls and fails none.
    pub fn never() -> Arc<Self> {
        Self::at(0, Fault::FailBefore)
    }

    pub fn at(n: u64, fault: Fault) -> Arc<Self> {
        Arc::new(Self {
            calls: AtomicU64::new(0),
            at: n,
            fault,
            dead: AtomicBool::new(false),
            fired: AtomicBool::new(false),
            hit: Mutex::new(None),
        })
    }

    /// Calls made so far.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }

    /// Whether the fault has fired.
    pub fn fired(&self) -> bool {
        self.fired.load(Ordering::SeqCst)
    }

    /// Whether the process is "dead": a restart is needed.
    pub fn crashed(&self) -> bool {
        self.dead.load(Ordering::SeqCst)
    }

    /// Which call the fault hit (`state.transact ORDER#…`, `objects.put …`).
    pub fn hit(&self) -> Option<String> {
        self.hit.lock().unwrap().clone()
    }

    fn decide(&self, what: impl FnOnce() -> String) -> Decision {
        if self.dead.load(Ordering::SeqCst) {
            return Decision::Before;
        }
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if n != self.at {
            return Decision::Pass;
        }
        self.fired.store(true, Ordering::SeqCst);
        *self.hit.lock().unwrap() = Some(what());
        if self.fault.is_crash() {
            self.dead.store(true, Ordering::SeqCst);
        }
        match self.fault {
            Fault::FailBefore | Fault::CrashBefore => Decision::Before,
            Fault::FailAfter | Fault::CrashAfter => Decision::After,
        }
    }

    fn error(&self, what: &str) -> PortError {
        PortError::new("injected", format!("fault injected at {what}"))
    }
}

/// `ports` with their state store, object store and queue behind `faults`.
pub fn faulty_ports(ports: &Ports, faults: &Arc<Faults>) -> Ports {
    let mut p = ports.clone();
    p.state = Arc::new(FaultyState {
        inner: ports.state.clone(),
        faults: faults.clone(),
    });
    p.objects = Arc::new(FaultyObjects {
        inner: ports.objects.clone(),
        faults: faults.clone(),
    });
    p.queue = Arc::new(FaultyQueue {
        inner: ports.queue.clone(),
        faults: faults.clone(),
    });
    p
}

/// Run `call` under the plan: fail before it, after it, or not at all.
macro_rules! guarded {
    ($faults:expr, $what:expr, $call:expr, $err:expr) => {{
        match $faults.decide(|| $what) {
            Decision::Pass => $call,
            Decision::Before => Err($err),
            Decision::After => {
                let _ = $call;
                Err($err)
            }
        }
    }};
}

pub struct FaultyState {
    inner: Arc<dyn StateStore>,
    faults: Arc<Faults>,
}

fn describe(writes: &[Write]) -> String {
    writes
        .iter()
        .map(|w| match w {
            Write::Put { item, .. } => format!("put {}", item.sk),
            Write::Delete { sk, .. } => format!("delete {sk}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[async_trait]
impl StateStore for FaultyState {
    async fn get(&self, pk: &str, sk: &str) -> Result<Option<Item>, PortError> {
        let e = self.faults.error("state.get");
        guarded!(
            self.faults,
            format!("state.get {sk}"),
            self.inner.get(pk, sk).await,
            e
        )
    }
    async fn transact(&self, writes: Vec<Write>) -> Result<(), StateError> {
        let what = format!("state.transact [{}]", describe(&writes));
        let e = StateError::Port(self.faults.error("state.transact"));
        guarded!(self.faults, what, self.inner.transact(writes).await, e)
    }
    async fn query(&self, pk: &str, sk_prefix: &str) -> Result<Vec<Item>, PortError> {
        let e = self.faults.error("state.query");
        guarded!(
            self.faults,
            format!("state.query {sk_prefix}"),
            self.inner.query(pk, sk_prefix).await,
            e
        )
    }
    async fn query_index(&self, gsi_pk: &str, sk_prefix: &str) -> Result<Vec<Item>, PortError> {
        let e = self.faults.error("state.query_index");
        guarded!(
            self.faults,
            "state.query_index".to_string(),
            self.inner.query_index(gsi_pk, sk_prefix).await,
            e
        )
    }
}

pub struct FaultyObjects {
    inner: Arc<dyn ObjectStore>,
    faults: Arc<Faults>,
}

fn file_name(key: &str) -> &str {
    key.rsplit('/').next().unwrap_or(key)
}

#[async_trait]
impl ObjectStore for FaultyObjects {
    async fn put(&self, key: &str, bytes: Bytes, content_type: &str) -> Result<(), PortError> {
        let e = self.faults.error("objects.put");
        guarded!(
            self.faults,
            format!("objects.put {}", file_name(key)),
            self.inner.put(key, bytes, content_type).await,
            e
        )
    }
    async fn get(&self, key: &str) -> Result<Option<Bytes>, PortError> {
        let e = self.faults.error("objects.get");
        guarded!(
            self.faults,
            format!("objects.get {}", file_name(key)),
            self.inner.get(key).await,
            e
        )
    }
    async fn exists(&self, key: &str) -> Result<bool, PortError> {
        let e = self.faults.error("objects.exists");
        guarded!(
            self.faults,
            format!("objects.exists {}", file_name(key)),
            self.inner.exists(key).await,
            e
        )
    }
    async fn list(&self, prefix: &str) -> Result<Vec<String>, PortError> {
        let e = self.faults.error("objects.list");
        guarded!(
            self.faults,
            "objects.list".to_string(),
            self.inner.list(prefix).await,
            e
        )
    }
    async fn put_file(&self, key: &str, path: &Path, content_type: &str) -> Result<(), PortError> {
        let e = self.faults.error("objects.put_file");
        guarded!(
            self.faults,
            format!("objects.put_file {}", file_name(key)),
            self.inner.put_file(key, path, content_type).await,
            e
        )
    }
    async fn put_file_once(
        &self,
        key: &str,
        path: &Path,
        content_type: &str,
    ) -> Result<bool, PortError> {
        let e = self.faults.error("objects.put_file_once");
        guarded!(
            self.faults,
            format!("objects.put_file_once {}", file_name(key)),
            self.inner.put_file_once(key, path, content_type).await,
            e
        )
    }
    async fn get_to_file(&self, key: &str, path: &Path) -> Result<bool, PortError> {
        let e = self.faults.error("objects.get_to_file");
        guarded!(
            self.faults,
            format!("objects.get_to_file {}", file_name(key)),
            self.inner.get_to_file(key, path).await,
            e
        )
    }
    async fn put_file_new_version(
        &self,
        key: &str,
        path: &Path,
        content_type: &str,
    ) -> Result<NewVersion, PortError> {
        let e = self.faults.error("objects.put_file_new_version");
        guarded!(
            self.faults,
            format!("objects.put_file_new_version {}", file_name(key)),
            self.inner
                .put_file_new_version(key, path, content_type)
                .await,
            e
        )
    }
    async fn get_version_to_file(
        &self,
        key: &str,
        version: &str,
        path: &Path,
    ) -> Result<bool, PortError> {
        let e = self.faults.error("objects.get_version_to_file");
        guarded!(
            self.faults,
            format!("objects.get_version_to_file {}", file_name(key)),
            self.inner.get_version_to_file(key, version, path).await,
            e
        )
    }
}

pub struct FaultyQueue {
    inner: Arc<dyn Queue>,
    faults: Arc<Faults>,
}

#[async_trait]
impl Queue for FaultyQueue {
    async fn enqueue(&self, job: Job) -> Result<(), PortError> {
        let e = self.faults.error("queue.enqueue");
        guarded!(
            self.faults,
            format!("queue.enqueue {}", job.queue_name()),
            self.inner.enqueue(job).await,
            e
        )
    }
}
