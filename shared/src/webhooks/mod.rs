//! Webhooks to integrators, in the Standard Webhooks format (standardwebhooks.com). So far the
//! signature (`signature.rs`); endpoints, delivery through the queue, the delivery log and
//! replay come on top of it.

pub mod signature;

pub use signature::{sign, EndpointSecret, SignedHeaders, WebhookSignError};
