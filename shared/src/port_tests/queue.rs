//! The queue's contract (in process, SQS).

use crate::ports::{Job, Queue};

/// The queue's contract: every job reaches the queue of its kind, as itself. `delivered(n)`
/// waits until `n` messages arrived (or gives up) and returns what reached each queue so far,
/// as `(queue name, job)`. At least once: a duplicate is allowed, a loss or a stranger is not.
pub async fn queue_suite<F, Fut>(q: &dyn Queue, mut delivered: F)
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = Vec<(String, Job)>>,
{
    let jobs = vec![
        Job::Seal {
            tenant: "t1".into(),
            order_id: "2c0ad332-f2cc-482c-a791-327cc81d1aa0".into(),
        },
        Job::Publish {
            tenant: "t1".into(),
            order_id: "2c0ad332-f2cc-482c-a791-327cc81d1aa0".into(),
        },
        Job::ArchiveExport {
            tenant: "t2".into(),
            order_id: "o-2".into(),
        },
        Job::Seal {
            tenant: "t2".into(),
            order_id: "o-3".into(),
        },
    ];
    for job in &jobs {
        q.enqueue(job.clone()).await.unwrap();
    }
    let got = delivered(jobs.len()).await;
    for (queue, job) in &got {
        assert_eq!(queue, job.queue_name(), "{job:?} on the wrong queue");
    }
    let key = |j: &Job| serde_json::to_string(j).unwrap();
    let mut want: Vec<String> = jobs.iter().map(key).collect();
    let mut seen: Vec<String> = got.iter().map(|(_, j)| key(j)).collect();
    want.sort();
    seen.sort();
    seen.dedup();
    assert_eq!(seen, want, "every job arrives, and nothing else");
}
