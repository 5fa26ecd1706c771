//! A stack of `infra/template.yaml` on moto: the resources the functions touch, named uniquely
//! so tests never meet, and the environment the template gives the functions (set in the
//! process: a test binary that uses it builds its app with `config::ports_from_env`).

use aws_sdk_s3::types::{
    Event, FilterRule, FilterRuleName, NotificationConfiguration, NotificationConfigurationFilter,
    QueueConfiguration, S3KeyFilter,
};
use esign_shared::lambda_harness::{moto_bucket, moto_endpoint};
use serde_json::json;

const REGION: &str = "eu-north-1";

/// The BankID simulator over HTTP on loopback, on `clock` (tests move it instead of sleeping):
/// its base URL (the RP API is under `/rp/v6.0/`, the phone under `/phone/`) and the root
/// certificate, as PEM, that its users' certificates chain to.
pub async fn start_simulator(
    clock: std::sync::Arc<esign_shared::ports::ManualClock>,
) -> (String, String) {
    use esign_shared::ports::Clock;
    let ca = esign_world::bankid::generate_simulator_ca(clock.now()).unwrap();
    let root_pem = esign_shared::x509::pem_encode_cert(ca.chain_der.last().unwrap());
    let sim = esign_world::bankid::Simulator::new(ca, std::sync::Arc::new(move || clock.now()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, esign_world::bankid::router(sim))
            .await
            .unwrap()
    });
    (base, root_pem)
}

/// A name no other test uses.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

/// What a deployed stack is made of, on moto, named uniquely so other tests are untouched.
pub struct Stack {
    pub sdk: aws_config::SdkConfig,
    pub archive: String,
    pub public: String,
    pub uploads: String,
    pub table: String,
    pub upload_queue: String,
    pub seal_queue: String,
    pub publish_queue: String,
    pub export_queue: String,
}

async fn queue(sqs: &aws_sdk_sqs::Client, name: &str) -> String {
    sqs.create_queue()
        .queue_name(name)
        .send()
        .await
        .expect("CreateQueue")
        .queue_url()
        .expect("a queue URL")
        .to_string()
}

impl Stack {
    /// The resources of `infra/template.yaml` the flow touches, and the environment the
    /// template gives the functions.
    pub async fn create(bankid_url: &str, trust_pem: &str, tsa_url: &str) -> Stack {
        let endpoint = moto_endpoint();
        for (k, v) in [
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", REGION),
            ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ] {
            std::env::set_var(k, v);
        }
        let sdk = esign_shared::adapters::aws::sdk_config(
            &esign_shared::adapters::aws::AwsSettings::from_env(),
        )
        .await;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .build(),
        );
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        let kms = aws_sdk_kms::Client::new(&sdk);
        let stack = Stack {
            archive: unique("esign-archive"),
            public: unique("esign-public"),
            uploads: unique("esign-uploads"),
            table: unique("esign-table"),
            upload_queue: queue(&sqs, &unique("esign-uploads")).await,
            seal_queue: queue(&sqs, &unique("esign-seal")).await,
            publish_queue: queue(&sqs, &unique("esign-publish")).await,
            export_queue: queue(&sqs, &unique("esign-archive-export")).await,
            sdk: sdk.clone(),
        };
        for b in [&stack.archive, &stack.public, &stack.uploads] {
            moto_bucket(&s3, b).await;
        }
        // S3 ObjectCreated under incoming/ → the upload queue, as the template configures it.
        let upload_queue_arn = sqs
            .get_queue_attributes()
            .queue_url(&stack.upload_queue)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .unwrap()
            .attributes()
            .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
            .clone();
        s3.put_bucket_notification_configuration()
            .bucket(&stack.uploads)
            .notification_configuration(
                NotificationConfiguration::builder()
                    .queue_configurations(
                        QueueConfiguration::builder()
                            .queue_arn(upload_queue_arn)
                            .events(Event::from("s3:ObjectCreated:*"))
                            .filter(
                                NotificationConfigurationFilter::builder()
                                    .key(
                                        S3KeyFilter::builder()
                                            .filter_rules(
                                                FilterRule::builder()
                                                    .name(FilterRuleName::Prefix)
                                                    .value("incoming/")
                                                    .build(),
                                            )
                                            .build(),
                                    )
                                    .build(),
                            )
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .send()
            .await
            .expect("PutBucketNotificationConfiguration");
        esign_shared::adapters::aws::dynamodb::create_table(
            &aws_sdk_dynamodb::Client::new(&sdk),
            &stack.table,
        )
        .await
        .expect("the table");
        let key = |kms: aws_sdk_kms::Client| async move {
            kms.create_key()
                .send()
                .await
                .unwrap()
                .key_metadata()
                .unwrap()
                .arn()
                .unwrap()
                .to_string()
        };
        let storage_key = key(kms.clone()).await;
        let data_key = key(kms.clone()).await;
        let mail_domain = format!("{}.example", unique("kommun"));
        aws_sdk_sesv2::Client::new(&sdk)
            .create_email_identity()
            .email_identity(&mail_domain)
            .send()
            .await
            .expect("CreateEmailIdentity");
        // The BankID secret as docs/deploy.md describes it; the simulator needs no client
        // certificate, so only the CA its users chain to.
        let secret = aws_sdk_secretsmanager::Client::new(&sdk)
            .create_secret()
            .name(unique("esign/test/bankid"))
            .secret_string(json!({ "trust_pem": trust_pem }).to_string())
            .send()
            .await
            .expect("CreateSecret");
        let env = [
            ("ESIGN_BACKEND", "aws".to_string()),
            ("ESIGN_PUBLIC_URL", "https://esign.example.se".into()),
            ("ESIGN_TABLE", stack.table.clone()),
            ("ESIGN_BUCKET", stack.archive.clone()),
            ("ESIGN_BUCKET_KMS_KEY_ID", storage_key),
            ("ESIGN_PUBLIC_BUCKET", stack.public.clone()),
            ("ESIGN_UPLOADS_BUCKET", stack.uploads.clone()),
            ("ESIGN_SEAL_QUEUE_URL", stack.seal_queue.clone()),
            ("ESIGN_PUBLISH_QUEUE_URL", stack.publish_queue.clone()),
            ("ESIGN_ARCHIVE_EXPORT_QUEUE_URL", stack.export_queue.clone()),
            ("ESIGN_DATA_KEY_ID", data_key),
            (
                "ESIGN_SEAL_KEY_ALIAS_PREFIX",
                format!("alias/{}-", unique("esign")),
            ),
            ("ESIGN_SEAL_KEY_SPEC", "ECC_NIST_P256".into()),
            // moto starts empty; in AWS the per-tenant stack (infra/seal-key.yaml) makes it.
            ("ESIGN_SEAL_KEY_CREATE", "true".into()),
            (
                "ESIGN_MAIL_FROM",
                format!("Örebro kommun <noreply@{mail_domain}>"),
            ),
            ("ESIGN_BANKID_URL", bankid_url.into()),
            ("ESIGN_BANKID_SECRET_ARN", secret.arn().unwrap().to_string()),
            ("ESIGN_TSA_URL", tsa_url.into()),
            ("ESIGN_REVOCATION", "http".into()),
        ];
        for (k, v) in env {
            std::env::set_var(k, v);
        }
        stack
    }

    pub fn s3(&self) -> aws_sdk_s3::Client {
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&self.sdk)
                .force_path_style(true)
                .build(),
        )
    }

    /// Every message waiting on `queue_url`, deleted as Lambda deletes what it handled. moto
    /// delivers S3 notifications asynchronously, so the first may take a moment; after it,
    /// one empty receive ends the batch.
    pub async fn receive(&self, queue_url: &str) -> Vec<aws_sdk_sqs::types::Message> {
        let sqs = aws_sdk_sqs::Client::new(&self.sdk);
        let mut all = Vec::new();
        for _ in 0..20 {
            let out = sqs
                .receive_message()
                .queue_url(queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .send()
                .await
                .expect("ReceiveMessage");
            if out.messages().is_empty() && !all.is_empty() {
                break;
            }
            for m in out.messages() {
                sqs.delete_message()
                    .queue_url(queue_url)
                    .receipt_handle(m.receipt_handle().unwrap())
                    .send()
                    .await
                    .expect("DeleteMessage");
                all.push(m.clone());
            }
        }
        all
    }
}
