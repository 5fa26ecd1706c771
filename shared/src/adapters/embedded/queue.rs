use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

use crate::ports::{Job, JobFailure, JobHandler, PortError, Queue, Retry};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    pub job: Job,
    pub attempts: u32,
    /// The last failure's message, and its code.
    pub last_error: String,
    #[serde(default)]
    pub code: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// An in-process queue: at-least-once delivery to one worker, retries with backoff, and a
/// dead-letter list (also appended to a JSON-lines file) for jobs that keep failing.
#[derive(Clone)]
pub struct InProcessQueue {
    tx: mpsc::UnboundedSender<(Job, u32)>,
    in_flight: Arc<watch::Sender<usize>>,
    dead: Arc<Mutex<Vec<DeadLetter>>>,
}

pub struct QueueWorker {
    rx: mpsc::UnboundedReceiver<(Job, u32)>,
    queue: InProcessQueue,
    dead_letter_file: Option<PathBuf>,
    max_attempts: u32,
    backoff: Duration,
}

impl InProcessQueue {
    pub fn new(dead_letter_file: Option<PathBuf>) -> (Self, QueueWorker) {
        let (tx, rx) = mpsc::unbounded_channel();
        let queue = Self {
            tx,
            in_flight: Arc::new(watch::channel(0).0),
            dead: Arc::new(Mutex::new(Vec::new())),
        };
        let worker = QueueWorker {
            rx,
            queue: queue.clone(),
            dead_letter_file,
            max_attempts: 5,
            backoff: Duration::from_millis(100),
        };
        (queue, worker)
    }

    pub fn dead_letters(&self) -> Vec<DeadLetter> {
        self.dead.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Wait until every job sent so far (and every job they sent) has been handled or dead-lettered.
    pub async fn wait_idle(&self) {
        let mut rx = self.in_flight.subscribe();
        let _ = rx.wait_for(|n| *n == 0).await;
    }

    fn send(&self, job: Job, attempt: u32) -> Result<(), PortError> {
        self.in_flight.send_modify(|n| *n += 1);
        self.tx.send((job, attempt)).map_err(|_| {
            self.in_flight.send_modify(|n| *n -= 1);
            PortError::new("queue", "the worker has stopped")
        })
    }
}

#[async_trait]
impl Queue for InProcessQueue {
    async fn enqueue(&self, job: Job) -> Result<(), PortError> {
        self.send(job, 1)
    }
}

impl QueueWorker {
    pub fn with_retry(mut self, max_attempts: u32, backoff: Duration) -> Self {
        self.max_attempts = max_attempts.max(1);
        self.backoff = backoff;
        self
    }

    /// Run until every queue handle is dropped.
    pub async fn run(mut self, handler: Arc<dyn JobHandler>) {
        while let Some((job, attempt)) = self.rx.recv().await {
            match handler.handle(&job).await {
                Ok(()) => {}
                // A job that can never succeed is dead-lettered at once.
                Err(e) if e.retry == Retry::Later && attempt < self.max_attempts => {
                    tracing::warn!(queue = job.queue_name(), attempt, error = %e, "job failed, retrying");
                    let queue = self.queue.clone();
                    let delay = self.backoff * 2u32.saturating_pow(attempt - 1);
                    let retry = job.clone();
                    // Count the retry as in flight before this delivery is finished.
                    queue.in_flight.send_modify(|n| *n += 1);
                    tokio::spawn(async move {
                        tokio::time::sleep(delay).await;
                        queue.in_flight.send_modify(|n| *n -= 1);
                        let _ = queue.send(retry, attempt + 1);
                    });
                }
                Err(e) => {
                    tracing::error!(queue = job.queue_name(), attempt, error = %e, "job dead-lettered");
                    let JobFailure { code, message, .. } = e;
                    let letter = DeadLetter {
                        job: job.clone(),
                        attempts: attempt,
                        last_error: message,
                        code,
                        at: chrono::Utc::now(),
                    };
                    if let Some(path) = &self.dead_letter_file {
                        append_line(path, &letter);
                    }
                    self.queue
                        .dead
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(letter);
                }
            }
            self.queue.in_flight.send_modify(|n| *n -= 1);
        }
    }
}

fn append_line(path: &std::path::Path, letter: &DeadLetter) {
    use std::io::Write;
    let line = match serde_json::to_string(letter) {
        Ok(l) => l,
        Err(_) => return,
    };
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = writeln!(f, "{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    struct FailsTimes {
        fail_first: u32,
        calls: AtomicU32,
        never: bool,
    }

    #[async_trait]
    impl JobHandler for FailsTimes {
        async fn handle(&self, _job: &Job) -> Result<(), JobFailure> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            if n <= self.fail_first {
                Err(JobFailure {
                    code: "test.failure".into(),
                    message: format!("failure {n}"),
                    retry: if self.never {
                        Retry::Never
                    } else {
                        Retry::Later
                    },
                })
            } else {
                Ok(())
            }
        }
    }

    fn job() -> Job {
        Job::Seal {
            tenant: "t1".into(),
            order_id: "o".into(),
        }
    }

    #[tokio::test]
    async fn retries_until_success() {
        let (q, worker) = InProcessQueue::new(None);
        let h = Arc::new(FailsTimes {
            fail_first: 2,
            calls: AtomicU32::new(0),
            never: false,
        });
        tokio::spawn(
            worker
                .with_retry(5, Duration::from_millis(1))
                .run(h.clone()),
        );
        q.enqueue(job()).await.unwrap();
        q.wait_idle().await;
        assert_eq!(h.calls.load(Ordering::SeqCst), 3);
        assert!(q.dead_letters().is_empty());
    }

    #[tokio::test]
    async fn poison_jobs_go_to_the_dead_letter_list_and_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("dlq.jsonl");
        let (q, worker) = InProcessQueue::new(Some(file.clone()));
        let h = Arc::new(FailsTimes {
            fail_first: u32::MAX,
            calls: AtomicU32::new(0),
            never: false,
        });
        tokio::spawn(
            worker
                .with_retry(3, Duration::from_millis(1))
                .run(h.clone()),
        );
        q.enqueue(job()).await.unwrap();
        q.wait_idle().await;
        assert_eq!(h.calls.load(Ordering::SeqCst), 3);
        let dead = q.dead_letters();
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].attempts, 3);
        assert_eq!(dead[0].job, job());
        let line = std::fs::read_to_string(file).unwrap();
        let parsed: DeadLetter = serde_json::from_str(line.trim()).unwrap();
        assert_eq!(parsed.last_error, "failure 3");
    }

    #[tokio::test]
    async fn a_job_that_can_never_succeed_is_dead_lettered_without_retries() {
        let (q, worker) = InProcessQueue::new(None);
        let h = Arc::new(FailsTimes {
            fail_first: u32::MAX,
            calls: AtomicU32::new(0),
            never: true,
        });
        tokio::spawn(
            worker
                .with_retry(5, Duration::from_millis(1))
                .run(h.clone()),
        );
        q.enqueue(job()).await.unwrap();
        q.wait_idle().await;
        assert_eq!(h.calls.load(Ordering::SeqCst), 1);
        let dead = q.dead_letters();
        assert_eq!((dead.len(), dead[0].attempts), (1, 1));
        assert_eq!(dead[0].code, "test.failure");
    }

    /// Records every job it is handed.
    #[derive(Default)]
    struct Recorder(Mutex<Vec<Job>>);

    #[async_trait]
    impl JobHandler for Recorder {
        async fn handle(&self, job: &Job) -> Result<(), JobFailure> {
            self.0.lock().unwrap().push(job.clone());
            Ok(())
        }
    }

    #[tokio::test]
    async fn behaves_like_a_queue() {
        let (q, worker) = InProcessQueue::new(None);
        let seen = Arc::new(Recorder::default());
        tokio::spawn(worker.run(seen.clone()));
        crate::port_tests::queue_suite(&q, |_| {
            let (q, seen) = (q.clone(), seen.clone());
            async move {
                q.wait_idle().await;
                // One worker serves every kind: a job's queue is its kind.
                let jobs = seen.0.lock().unwrap().clone();
                jobs.into_iter()
                    .map(|j| (j.queue_name().to_string(), j))
                    .collect()
            }
        })
        .await;
    }
}
