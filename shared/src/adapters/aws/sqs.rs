//! The queue on SQS: one standard queue per job kind (seal, publish, archive-export), each
//! drained by its function with a partial batch response and a dead-letter queue behind it
//! (`crate::lambda::handle_sqs_batch`). The message body is the job's JSON, which is all the
//! handler reads; the `job_type` attribute only helps whoever looks at a dead-letter queue.

use async_trait::async_trait;
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::MessageAttributeValue;
use aws_sdk_sqs::Client;

use super::{required_env, SettingError};
use crate::ports::{Job, PortError, Queue};

fn err(e: impl std::fmt::Display) -> PortError {
    PortError::new("queue", e)
}

/// Where each kind of job goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueUrls {
    pub seal: String,
    pub publish: String,
    pub archive_export: String,
}

impl QueueUrls {
    /// `ESIGN_SEAL_QUEUE_URL`, `ESIGN_PUBLISH_QUEUE_URL`, `ESIGN_ARCHIVE_EXPORT_QUEUE_URL`.
    pub fn from_env() -> Result<Self, SettingError> {
        Ok(Self {
            seal: required_env("ESIGN_SEAL_QUEUE_URL")?,
            publish: required_env("ESIGN_PUBLISH_QUEUE_URL")?,
            archive_export: required_env("ESIGN_ARCHIVE_EXPORT_QUEUE_URL")?,
        })
    }

    pub fn for_job(&self, job: &Job) -> &str {
        match job {
            Job::Seal { .. } | Job::Renew { .. } => &self.seal,
            Job::Publish { .. } => &self.publish,
            Job::ArchiveExport { .. } => &self.archive_export,
        }
    }
}

/// `Queue` on SQS standard queues.
#[derive(Clone, Debug)]
pub struct SqsQueue {
    client: Client,
    urls: QueueUrls,
}

impl SqsQueue {
    pub fn new(client: Client, urls: QueueUrls) -> Self {
        Self { client, urls }
    }

    pub fn from_conf(config: &aws_config::SdkConfig, urls: QueueUrls) -> Self {
        Self::new(Client::new(config), urls)
    }

    pub fn urls(&self) -> &QueueUrls {
        &self.urls
    }
}

#[async_trait]
impl Queue for SqsQueue {
    async fn enqueue(&self, job: Job) -> Result<(), PortError> {
        let body = serde_json::to_string(&job).map_err(err)?;
        let kind = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(job.queue_name())
            .build()
            .map_err(err)?;
        let sent = self
            .client
            .send_message()
            .queue_url(self.urls.for_job(&job))
            .message_body(body)
            .message_attributes("job_type", kind)
            .send()
            .await
            .map_err(|e| err(format!("SendMessage: {}", DisplayErrorContext(&e))))?;
        tracing::debug!(
            queue = job.queue_name(),
            message_id = sent.message_id().unwrap_or_default(),
            "job enqueued"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::aws::sdk_config;
    use crate::adapters::aws::test_support::{moto_settings, unique_name};
    use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
    use std::time::{Duration, Instant};

    async fn client() -> Client {
        Client::new(&sdk_config(&moto_settings()).await)
    }

    async fn create_queue(c: &Client, name: &str) -> String {
        c.create_queue()
            .queue_name(name)
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap()
    }

    async fn queues(c: &Client) -> QueueUrls {
        let base = unique_name("esign");
        QueueUrls {
            seal: create_queue(c, &format!("{base}-seal")).await,
            publish: create_queue(c, &format!("{base}-publish")).await,
            archive_export: create_queue(c, &format!("{base}-archive-export")).await,
        }
    }

    /// Receive (and delete) what is waiting on `url`: bodies with their `job_type` attribute.
    async fn drain(c: &Client, url: &str) -> Vec<(String, Option<String>)> {
        let out = c
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .message_attribute_names("All")
            .wait_time_seconds(0)
            .send()
            .await
            .unwrap();
        let mut got = Vec::new();
        for m in out.messages() {
            let kind = m
                .message_attributes()
                .and_then(|a| a.get("job_type"))
                .and_then(|v| v.string_value())
                .map(str::to_string);
            got.push((m.body().unwrap_or_default().to_string(), kind));
            c.delete_message()
                .queue_url(url)
                .receipt_handle(m.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
        got
    }

    #[tokio::test]
    async fn behaves_like_a_queue() {
        let c = client().await;
        let urls = queues(&c).await;
        let q = SqsQueue::new(c.clone(), urls.clone());
        crate::port_tests::queue_suite(&q, |n| {
            let (c, urls) = (c.clone(), urls.clone());
            async move {
                let mut so_far = Vec::new();
                let deadline = Instant::now() + Duration::from_secs(10);
                while so_far.len() < n && Instant::now() < deadline {
                    for (name, url) in [
                        ("seal", &urls.seal),
                        ("publish", &urls.publish),
                        ("archive-export", &urls.archive_export),
                    ] {
                        for (body, kind) in drain(&c, url).await {
                            // Parsed exactly as the Lambda handler parses a record's body.
                            let job: Job = serde_json::from_str(&body).unwrap();
                            assert_eq!(kind.as_deref(), Some(job.queue_name()));
                            so_far.push((name.to_string(), job));
                        }
                    }
                }
                so_far
            }
        })
        .await;
    }

    #[tokio::test]
    async fn bodies_are_what_the_sample_events_carry() {
        let c = client().await;
        let urls = queues(&c).await;
        let q = SqsQueue::new(c.clone(), urls.clone());
        for (file, url) in [
            ("sqs-seal.json", &urls.seal),
            ("sqs-publish.json", &urls.publish),
            ("sqs-archive-export.json", &urls.archive_export),
        ] {
            let path = format!("{}/../events/{file}", env!("CARGO_MANIFEST_DIR"));
            let event: aws_lambda_events::event::sqs::SqsEvent =
                serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            let sample = event.records[0].body.clone().unwrap();
            let job: Job = serde_json::from_str(&sample).unwrap();
            q.enqueue(job.clone()).await.unwrap();
            let got = drain(&c, url).await;
            assert_eq!(got.len(), 1, "{file}");
            let body: serde_json::Value = serde_json::from_str(&got[0].0).unwrap();
            let want: serde_json::Value = serde_json::from_str(&sample).unwrap();
            assert_eq!(body, want, "{file}");
        }
    }

    #[tokio::test]
    async fn a_missing_queue_is_an_error() {
        let c = client().await;
        let mut urls = queues(&c).await;
        urls.publish = format!("{}-gone", urls.publish);
        let q = SqsQueue::new(c, urls);
        assert!(q
            .enqueue(Job::Publish {
                tenant: "t".into(),
                order_id: "o".into()
            })
            .await
            .is_err());
    }

    /// The template's redrive policy does what it is for: a message that its function
    /// receives and never deletes `maxReceiveCount` times moves to the dead-letter queue.
    #[tokio::test]
    async fn a_message_that_keeps_failing_moves_to_the_dead_letter_queue() {
        // As infra/template.yaml sets it for the seal, publish and export queues.
        const MAX_RECEIVES: u32 = 5;
        let c = client().await;
        let base = unique_name("esign-seal");
        let dlq = create_queue(&c, &format!("{base}-dlq")).await;
        let dlq_arn = c
            .get_queue_attributes()
            .queue_url(&dlq)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .unwrap()
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::QueueArn))
            .cloned()
            .unwrap();
        let main = c
            .create_queue()
            .queue_name(&base)
            .attributes(QueueAttributeName::VisibilityTimeout, "1")
            .attributes(
                QueueAttributeName::RedrivePolicy,
                serde_json::json!({
                    "deadLetterTargetArn": dlq_arn,
                    "maxReceiveCount": MAX_RECEIVES.to_string(),
                })
                .to_string(),
            )
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        let urls = QueueUrls {
            seal: main.clone(),
            publish: main.clone(),
            archive_export: main.clone(),
        };
        let job = Job::Seal {
            tenant: "t1".into(),
            order_id: "poison".into(),
        };
        SqsQueue::new(c.clone(), urls)
            .enqueue(job.clone())
            .await
            .unwrap();

        // The failing function: receive, do not delete, let the visibility timeout pass.
        let mut receives = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let out = c
                .receive_message()
                .queue_url(&main)
                .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
                .wait_time_seconds(2)
                .send()
                .await
                .unwrap();
            let Some(m) = out.messages().first() else {
                if !receives.is_empty() {
                    // Possibly moved already: the dead-letter queue decides.
                    let moved = c
                        .get_queue_attributes()
                        .queue_url(&dlq)
                        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
                        .send()
                        .await
                        .unwrap();
                    let n = moved
                        .attributes()
                        .and_then(|a| a.get(&QueueAttributeName::ApproximateNumberOfMessages))
                        .cloned()
                        .unwrap_or_default();
                    if n == "1" {
                        break;
                    }
                }
                continue;
            };
            let count = m
                .attributes()
                .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                .cloned()
                .unwrap_or_default();
            receives.push(count);
            tokio::time::sleep(Duration::from_millis(1100)).await;
        }
        let want: Vec<String> = (1..=MAX_RECEIVES).map(|n| n.to_string()).collect();
        assert_eq!(receives, want, "received exactly maxReceiveCount times");
        let dead = drain(&c, &dlq).await;
        assert_eq!(dead.len(), 1);
        assert_eq!(serde_json::from_str::<Job>(&dead[0].0).unwrap(), job);
        assert!(drain(&c, &main).await.is_empty());
    }
}
