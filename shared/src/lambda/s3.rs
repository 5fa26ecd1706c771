//! S3 notifications as an SQS message body carries them: the objects created, read leniently
//! (moto's records, S3's test event, SNS envelopes).

use serde_json::Value;

/// An object that S3 says was created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArrivedObject {
    pub bucket: String,
    /// The key as stored: S3 sends it form-URL-encoded (`+` for a space, `%C3%A5` for å).
    pub key: String,
    pub size: Option<u64>,
    pub etag: Option<String>,
    /// Orders events for the same key (hex, compare as strings of equal length).
    pub sequencer: Option<String>,
}

/// What one S3 notification message says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum S3Notification {
    /// `s3:TestEvent`: S3 checks it may write to the queue when the notification is set up.
    Test,
    /// The created objects (records of other events, such as removals, are left out).
    Created(Vec<ArrivedObject>),
}

#[derive(Debug, thiserror::Error)]
pub enum S3EventError {
    #[error("the message is not JSON: {0}")]
    NotJson(String),
    #[error("the message is not an S3 notification")]
    NotS3,
    #[error("S3 record {index}: {why}")]
    BadRecord { index: usize, why: String },
}

impl crate::error::ErrorText for S3EventError {
    fn code(&self) -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::from(match self {
            Self::NotJson(_) => "s3_event.not_json",
            Self::NotS3 => "s3_event.not_s3",
            Self::BadRecord { .. } => "s3_event.bad_record",
        })
    }

    fn message_sv(&self) -> String {
        match self {
            Self::NotJson(d) => format!("Meddelandet är inte JSON: {d}"),
            Self::NotS3 => "Meddelandet är inte en S3-händelse.".into(),
            Self::BadRecord { index, why } => format!("S3-händelsens post {index}: {why}"),
        }
    }
}

/// Decode an S3 event key: form-URL-encoding, so `+` is a space and a real `+` is `%2B`.
pub fn decode_s3_key(raw: &str) -> Result<String, String> {
    percent_encoding::percent_decode_str(&raw.replace('+', " "))
        .decode_utf8()
        .map(|k| k.into_owned())
        .map_err(|_| "the key is not UTF-8 once decoded".to_string())
}

/// Parse an S3 notification leniently, from a JSON text as an SQS message body carries it.
///
/// Only `s3.bucket.name` and `s3.object.key` are required of a record: moto's records lack
/// `userIdentity`, `requestParameters` and `responseElements`, which
/// `aws_lambda_events::s3::S3Event` requires. Also taken: the `s3:TestEvent` S3 sends when the
/// notification is configured, and an S3 notification inside an SNS envelope (S3 → SNS → SQS,
/// raw delivery off) or an SNS record.
pub fn parse_s3_notification(body: &str) -> Result<S3Notification, S3EventError> {
    let v: Value = serde_json::from_str(body).map_err(|e| S3EventError::NotJson(e.to_string()))?;
    from_value(&v, 0)
}

fn from_value(v: &Value, depth: u8) -> Result<S3Notification, S3EventError> {
    // An envelope inside an envelope is not something S3 or SNS makes.
    if depth > 2 {
        return Err(S3EventError::NotS3);
    }
    if v["Event"] == "s3:TestEvent" {
        return Ok(S3Notification::Test);
    }
    if v["Type"] == "Notification" {
        let inner = v["Message"].as_str().ok_or(S3EventError::NotS3)?;
        let inner: Value =
            serde_json::from_str(inner).map_err(|e| S3EventError::NotJson(e.to_string()))?;
        return from_value(&inner, depth + 1);
    }
    let records = v["Records"].as_array().ok_or(S3EventError::NotS3)?;
    let mut created = Vec::new();
    for (index, r) in records.iter().enumerate() {
        if r["EventSource"] == "aws:sns" || r["eventSource"] == "aws:sns" {
            match from_value(&r["Sns"], depth + 1)? {
                S3Notification::Test => {}
                S3Notification::Created(objects) => created.extend(objects),
            }
            continue;
        }
        let s3 = &r["s3"];
        if !s3.is_object() {
            return Err(S3EventError::NotS3);
        }
        // ObjectRemoved, Replication, LifecycleExpiration...: nothing arrived.
        let name = r["eventName"].as_str().unwrap_or("ObjectCreated:");
        if !name.starts_with("ObjectCreated:") {
            continue;
        }
        let bad = |why: &str| S3EventError::BadRecord {
            index,
            why: why.to_string(),
        };
        let bucket = s3["bucket"]["name"]
            .as_str()
            .ok_or_else(|| bad("no bucket name"))?;
        let raw_key = s3["object"]["key"].as_str().ok_or_else(|| bad("no key"))?;
        let key = decode_s3_key(raw_key).map_err(|why| bad(&why))?;
        let text = |v: &Value| v.as_str().map(str::to_string);
        created.push(ArrivedObject {
            bucket: bucket.to_string(),
            key,
            size: s3["object"]["size"].as_u64(),
            etag: text(&s3["object"]["eTag"]),
            sequencer: text(&s3["object"]["sequencer"]),
        });
    }
    Ok(S3Notification::Created(created))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorText;
    use serde_json::json;

    #[test]
    fn keys_are_form_url_decoded() {
        assert_eq!(
            decode_s3_key("incoming/demo/u1/Protokoll+E-n%C3%A4mnden+%C3%A5.pdf").unwrap(),
            "incoming/demo/u1/Protokoll E-nämnden å.pdf"
        );
        // moto encodes the slashes too; a real plus sign is %2B.
        assert_eq!(
            decode_s3_key("incoming%2Fdemo%2Fu1%2Fa+b%2Bc.pdf").unwrap(),
            "incoming/demo/u1/a b+c.pdf"
        );
        assert!(decode_s3_key("incoming/%FF.pdf").is_err());
    }

    fn created(body: &Value) -> Vec<ArrivedObject> {
        match parse_s3_notification(&body.to_string()).unwrap() {
            S3Notification::Created(o) => o,
            other => panic!("expected objects, got {other:?}"),
        }
    }

    #[test]
    fn moto_records_without_identity_fields_parse() {
        // What moto 5.2 sends for a PUT: no userIdentity, requestParameters or responseElements.
        let moto = json!({"Records": [{
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "eu-north-1",
            "eventTime": "2026-11-23T09:00:01.000Z", "eventName": "ObjectCreated:Put",
            "s3": {"s3SchemaVersion": "1.0", "configurationId": "uploads",
                   "bucket": {"name": "uploads", "arn": "arn:aws:s3:::uploads"},
                   "object": {"key": "incoming%2Fdemo%2Fu1%2Fa+%C3%A5.pdf", "size": 12,
                              "eTag": "abc", "versionId": null, "sequencer": "1"}}}]});
        assert_eq!(
            created(&moto),
            vec![ArrivedObject {
                bucket: "uploads".into(),
                key: "incoming/demo/u1/a å.pdf".into(),
                size: Some(12),
                etag: Some("abc".into()),
                sequencer: Some("1".into()),
            }]
        );
    }

    #[test]
    fn test_events_envelopes_and_other_events() {
        let test = json!({"Service": "Amazon S3", "Event": "s3:TestEvent",
            "Time": "2026-11-23T09:00:00.000Z", "Bucket": "uploads",
            "RequestId": "5582815E1AEA5ADF", "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE"});
        assert_eq!(
            parse_s3_notification(&test.to_string()).unwrap(),
            S3Notification::Test
        );
        let inner = json!({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:CompleteMultipartUpload",
            "s3": {"bucket": {"name": "b"}, "object": {"key": "incoming/t/u/x.pdf"}}}]});
        let sns = json!({"Type": "Notification", "MessageId": "m", "TopicArn": "arn:aws:sns:eu-north-1:1:t",
            "Message": inner.to_string()});
        assert_eq!(created(&sns)[0].key, "incoming/t/u/x.pdf");
        let sns_record = json!({"Records": [{"EventSource": "aws:sns", "Sns": sns}]});
        assert_eq!(created(&sns_record).len(), 1);
        let removed = json!({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectRemoved:Delete",
            "s3": {"bucket": {"name": "b"}, "object": {"key": "incoming/t/u/x.pdf"}}}]});
        assert!(created(&removed).is_empty());
    }

    #[test]
    fn what_is_not_an_s3_notification_is_refused_with_a_code() {
        for (body, code) in [
            ("{not json".to_string(), "s3_event.not_json"),
            (r#"{"type":"seal"}"#.to_string(), "s3_event.not_s3"),
            (
                json!({"Records": [{"eventSource": "aws:sqs", "body": "{}"}]}).to_string(),
                "s3_event.not_s3",
            ),
            (
                json!({"Records": [{"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "b"}, "object": {}}}]})
                    .to_string(),
                "s3_event.bad_record",
            ),
        ] {
            assert_eq!(parse_s3_notification(&body).unwrap_err().code(), code, "{body}");
        }
    }
}
