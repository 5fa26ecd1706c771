//! Adapters behind the ports. `embedded`: one machine, no cloud (the default). `aws`: S3,
//! DynamoDB, KMS, SQS and SES v2 for the Lambda functions.

#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "embedded")]
pub mod embedded;
#[cfg(any(feature = "embedded", feature = "aws"))]
pub(crate) mod personal_data_keys;
