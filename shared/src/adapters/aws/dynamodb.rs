//! The state store on one DynamoDB table (the layout is described in `docs/dynamodb.md`).
//!
//! Every write goes through `TransactWriteItems`, even a single one: the SDK gives each call one
//! idempotency token (`ClientRequestToken`) that its own retries reuse, so a write whose answer
//! was lost in the network is not retried into a false "condition failed" (for 10 minutes
//! DynamoDB answers a repeated token with the first outcome). Nothing lost, nothing twice, at
//! the price of two write units per item instead of one.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, Delete, GlobalSecondaryIndex,
    KeySchemaElement, KeyType, Projection, ProjectionType, Put, ScalarAttributeType,
    TimeToLiveSpecification, TimeToLiveStatus, TransactWriteItem,
};
use aws_sdk_dynamodb::Client;

use crate::ports::{Expect, IndexKey, Item, PortError, StateError, StateStore, Write};

/// The attribute names: the table's keys, the index's keys and the TTL attribute are part of
/// the deployed schema (the SAM template declares the same).
pub const PK: &str = "pk";
pub const SK: &str = "sk";
pub const VERSION: &str = "version";
pub const DATA: &str = "data";
pub const GSI1: &str = "gsi1";
pub const GSI1_PK: &str = "gsi1pk";
pub const GSI1_SK: &str = "gsi1sk";
pub const EXPIRES_AT: &str = "expires_at";

/// DynamoDB's limit on the items of one transaction.
const MAX_TRANSACTION_ITEMS: usize = 100;

fn err(e: impl std::fmt::Display) -> PortError {
    PortError::new("state-store", e)
}

fn sdk_err<E, R>(op: &str, e: SdkError<E, R>) -> PortError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    err(format!("{op}: {}", DisplayErrorContext(&e)))
}

/// `StateStore` on a DynamoDB table with the schema `create_table` makes.
#[derive(Clone, Debug)]
pub struct DynamoStateStore {
    client: Client,
    table: String,
    /// Page size for queries; `None` lets DynamoDB fill 1 MB pages. Tests set it small so
    /// that following `LastEvaluatedKey` is exercised.
    page_limit: Option<i32>,
}

impl DynamoStateStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            page_limit: None,
        }
    }

    /// A store on `table` with a client built from the shared SDK configuration.
    pub fn from_conf(config: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        Self::new(Client::new(config), table)
    }

    /// The table name from `ESIGN_TABLE`.
    pub fn from_env(config: &aws_config::SdkConfig) -> Result<Self, super::SettingError> {
        Ok(Self::from_conf(config, super::required_env("ESIGN_TABLE")?))
    }

    /// At most `limit` items per query page (DynamoDB's `Limit`).
    pub fn with_page_limit(mut self, limit: i32) -> Self {
        self.page_limit = Some(limit.max(1));
        self
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    async fn query_pages(
        &self,
        index: Option<&str>,
        key_names: (&str, &str),
        pk: &str,
        sk_prefix: &str,
    ) -> Result<Vec<Item>, PortError> {
        let mut out = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            // An empty string is not a valid key value, so "every sort key" has no begins_with.
            let condition = if sk_prefix.is_empty() {
                "#pk = :pk"
            } else {
                "#pk = :pk AND begins_with(#sk, :prefix)"
            };
            let mut req = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression(condition)
                .expression_attribute_names("#pk", key_names.0)
                .expression_attribute_values(":pk", AttributeValue::S(pk.to_string()))
                .set_exclusive_start_key(start.take())
                .set_limit(self.page_limit);
            if !sk_prefix.is_empty() {
                req = req
                    .expression_attribute_names("#sk", key_names.1)
                    .expression_attribute_values(":prefix", AttributeValue::S(sk_prefix.into()));
            }
            req = match index {
                Some(name) => req.index_name(name),
                // The table itself can be read strongly consistent (an index cannot): a
                // read-modify-write then starts from the latest version.
                None => req.consistent_read(true),
            };
            let page = req.send().await.map_err(|e| sdk_err("Query", e))?;
            for attrs in page.items() {
                out.push(decode(attrs)?);
            }
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        Ok(out)
    }
}

/// The attributes of an item as stored. `data` is the JSON text: a string round-trips every
/// JSON value exactly (a native map would turn `1.0` into `1`, and cannot hold every number).
fn encode(item: &Item, version: u64) -> Result<HashMap<String, AttributeValue>, PortError> {
    let mut attrs = HashMap::from([
        (PK.to_string(), AttributeValue::S(item.pk.clone())),
        (SK.to_string(), AttributeValue::S(item.sk.clone())),
        (VERSION.to_string(), AttributeValue::N(version.to_string())),
        (
            DATA.to_string(),
            AttributeValue::S(serde_json::to_string(&item.data).map_err(err)?),
        ),
    ]);
    // Only items with an index key appear in the index (a sparse GSI).
    if let Some(g) = &item.gsi1 {
        attrs.insert(GSI1_PK.into(), AttributeValue::S(g.pk.clone()));
        attrs.insert(GSI1_SK.into(), AttributeValue::S(g.sk.clone()));
    }
    if let Some(at) = item.expires_at {
        attrs.insert(EXPIRES_AT.into(), AttributeValue::N(at.to_string()));
    }
    Ok(attrs)
}

fn decode(attrs: &HashMap<String, AttributeValue>) -> Result<Item, PortError> {
    let s = |name: &str| -> Result<Option<String>, PortError> {
        match attrs.get(name) {
            None => Ok(None),
            Some(AttributeValue::S(v)) => Ok(Some(v.clone())),
            Some(_) => Err(err(format!("attribute {name} is not a string"))),
        }
    };
    let n = |name: &str| -> Result<Option<&str>, PortError> {
        match attrs.get(name) {
            None => Ok(None),
            Some(AttributeValue::N(v)) => Ok(Some(v.as_str())),
            Some(_) => Err(err(format!("attribute {name} is not a number"))),
        }
    };
    let required =
        |name: &str, v: Option<String>| v.ok_or_else(|| err(format!("stored item without {name}")));
    let pk = required(PK, s(PK)?)?;
    let sk = required(SK, s(SK)?)?;
    let version = n(VERSION)?
        .ok_or_else(|| err(format!("item {pk}/{sk} without {VERSION}")))?
        .parse::<u64>()
        .map_err(|e| err(format!("item {pk}/{sk}: {VERSION}: {e}")))?;
    let data = serde_json::from_str(&required(DATA, s(DATA)?)?)
        .map_err(|e| err(format!("item {pk}/{sk}: {DATA}: {e}")))?;
    let gsi1 = match (s(GSI1_PK)?, s(GSI1_SK)?) {
        (Some(pk), Some(sk)) => Some(IndexKey { pk, sk }),
        _ => None,
    };
    let expires_at = n(EXPIRES_AT)?
        .map(|v| v.parse::<i64>())
        .transpose()
        .map_err(|e| err(format!("item {pk}/{sk}: {EXPIRES_AT}: {e}")))?;
    Ok(Item {
        pk,
        sk,
        version,
        data,
        gsi1,
        expires_at,
    })
}

/// The condition that protects one write, with its placeholders.
struct Condition {
    expression: &'static str,
    names: HashMap<String, String>,
    values: Option<HashMap<String, AttributeValue>>,
}

fn condition(expect: &Expect) -> Condition {
    match expect {
        // Creating: nobody else created it first.
        Expect::Absent => Condition {
            expression: "attribute_not_exists(#pk)",
            names: HashMap::from([("#pk".into(), PK.into())]),
            values: None,
        },
        // Updating: it still exists and nobody wrote since we read it.
        Expect::Version(v) => Condition {
            expression: "#version = :expected",
            names: HashMap::from([("#version".into(), VERSION.into())]),
            values: Some(HashMap::from([(
                ":expected".into(),
                AttributeValue::N(v.to_string()),
            )])),
        },
    }
}

fn next_version(expect: &Expect) -> u64 {
    match expect {
        Expect::Absent => 1,
        Expect::Version(v) => v + 1,
    }
}

impl DynamoStateStore {
    fn transact_item(&self, write: &Write) -> Result<TransactWriteItem, PortError> {
        Ok(match write {
            Write::Put { item, expect } => {
                let c = condition(expect);
                let put = Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(encode(item, next_version(expect))?))
                    .condition_expression(c.expression)
                    .set_expression_attribute_names(Some(c.names))
                    .set_expression_attribute_values(c.values)
                    .build()
                    .map_err(err)?;
                TransactWriteItem::builder().put(put).build()
            }
            Write::Delete { pk, sk, expect } => {
                let c = condition(expect);
                let delete = Delete::builder()
                    .table_name(&self.table)
                    .key(PK, AttributeValue::S(pk.clone()))
                    .key(SK, AttributeValue::S(sk.clone()))
                    .condition_expression(c.expression)
                    .set_expression_attribute_names(Some(c.names))
                    .set_expression_attribute_values(c.values)
                    .build()
                    .map_err(err)?;
                TransactWriteItem::builder().delete(delete).build()
            }
        })
    }
}

fn write_key(w: &Write) -> (&str, &str) {
    match w {
        Write::Put { item, .. } => (&item.pk, &item.sk),
        Write::Delete { pk, sk, .. } => (pk, sk),
    }
}

/// A cancelled transaction: the first write whose condition failed, or (throttling, a
/// conflicting transaction in flight) an infrastructure error the caller may retry later.
fn cancelled(e: SdkError<TransactWriteItemsError, impl std::fmt::Debug>) -> StateError {
    if let Some(TransactWriteItemsError::TransactionCanceledException(t)) = e.as_service_error() {
        let reasons = t.cancellation_reasons();
        if let Some(index) = reasons
            .iter()
            .position(|r| r.code() == Some("ConditionalCheckFailed"))
        {
            return StateError::ConditionFailed { index };
        }
        let codes: Vec<_> = reasons.iter().map(|r| r.code().unwrap_or("?")).collect();
        return StateError::Port(err(format!(
            "TransactWriteItems cancelled: {}",
            codes.join(", ")
        )));
    }
    StateError::Port(sdk_err("TransactWriteItems", e))
}

#[async_trait]
impl StateStore for DynamoStateStore {
    async fn get(&self, pk: &str, sk: &str) -> Result<Option<Item>, PortError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, AttributeValue::S(pk.into()))
            .key(SK, AttributeValue::S(sk.into()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_err("GetItem", e))?;
        out.item.as_ref().map(decode).transpose()
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), StateError> {
        if writes.is_empty() {
            return Ok(());
        }
        if writes.len() > MAX_TRANSACTION_ITEMS {
            return Err(err(format!(
                "a transaction of {} writes (DynamoDB takes at most {MAX_TRANSACTION_ITEMS})",
                writes.len()
            ))
            .into());
        }
        // DynamoDB refuses two writes to one item in a transaction; say so plainly.
        let mut seen = std::collections::HashSet::new();
        for w in &writes {
            let (pk, sk) = write_key(w);
            if !seen.insert((pk, sk)) {
                return Err(err(format!("a transaction writes {pk}/{sk} twice")).into());
            }
        }
        let items = writes
            .iter()
            .map(|w| self.transact_item(w))
            .collect::<Result<Vec<_>, _>>()?;
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(cancelled)?;
        Ok(())
    }

    async fn query(&self, pk: &str, sk_prefix: &str) -> Result<Vec<Item>, PortError> {
        // DynamoDB returns a partition in sort-key order (UTF-8 bytes), as the port asks.
        self.query_pages(None, (PK, SK), pk, sk_prefix).await
    }

    async fn query_index(&self, gsi_pk: &str, sk_prefix: &str) -> Result<Vec<Item>, PortError> {
        let mut items = self
            .query_pages(Some(GSI1), (GSI1_PK, GSI1_SK), gsi_pk, sk_prefix)
            .await?;
        // The index orders by its sort key only; ties go by the item's key, as locally.
        items.sort_by(|a, b| {
            let key = |i: &Item| {
                (
                    i.gsi1.as_ref().map(|g| g.sk.clone()),
                    i.pk.clone(),
                    i.sk.clone(),
                )
            };
            key(a).cmp(&key(b))
        });
        Ok(items)
    }
}

/// Create the table with its index and TTL (local use and tests; in AWS the SAM template
/// declares the same). Succeeds when the table already exists.
pub async fn create_table(client: &Client, table: &str) -> Result<(), PortError> {
    let attr = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(err)
    };
    let key = |name: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .map_err(err)
    };
    let index = GlobalSecondaryIndex::builder()
        .index_name(GSI1)
        .key_schema(key(GSI1_PK, KeyType::Hash)?)
        .key_schema(key(GSI1_SK, KeyType::Range)?)
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        )
        .build()
        .map_err(err)?;
    let created = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr(PK)?)
        .attribute_definitions(attr(SK)?)
        .attribute_definitions(attr(GSI1_PK)?)
        .attribute_definitions(attr(GSI1_SK)?)
        .key_schema(key(PK, KeyType::Hash)?)
        .key_schema(key(SK, KeyType::Range)?)
        .global_secondary_indexes(index)
        .send()
        .await;
    match created {
        Ok(_) => {}
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_in_use_exception()) => {}
        Err(e) => return Err(sdk_err("CreateTable", e)),
    }
    wait_active(client, table).await?;

    let ttl = client
        .describe_time_to_live()
        .table_name(table)
        .send()
        .await
        .map_err(|e| sdk_err("DescribeTimeToLive", e))?;
    let enabled = ttl.time_to_live_description().is_some_and(|d| {
        d.attribute_name() == Some(EXPIRES_AT)
            && matches!(
                d.time_to_live_status(),
                Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
            )
    });
    if !enabled {
        client
            .update_time_to_live()
            .table_name(table)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(EXPIRES_AT)
                    .enabled(true)
                    .build()
                    .map_err(err)?,
            )
            .send()
            .await
            .map_err(|e| sdk_err("UpdateTimeToLive", e))?;
    }
    Ok(())
}

/// Wait (up to about two minutes) until the table and its index can be used.
async fn wait_active(client: &Client, table: &str) -> Result<(), PortError> {
    use aws_sdk_dynamodb::types::{IndexStatus, TableStatus};
    for _ in 0..120 {
        let out = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| sdk_err("DescribeTable", e))?;
        if let Some(t) = out.table() {
            let indexes_ready = t
                .global_secondary_indexes()
                .iter()
                .all(|i| i.index_status() == Some(&IndexStatus::Active));
            if t.table_status() == Some(&TableStatus::Active) && indexes_ready {
                return Ok(());
            }
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    Err(err(format!("table {table} did not become active")))
}

#[cfg(test)]
#[path = "dynamodb_tests.rs"]
mod tests;
