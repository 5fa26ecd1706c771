//! How the use cases' records sit in the state store (the single-table layout that the
//! DynamoDB adapter will use as is) and the object store.
//!
//! | pk                    | sk                         | what |
//! |-----------------------|----------------------------|------|
//! | `TENANT#<t>`          | `TENANT`                   | tenant settings and seal chain |
//! | `TENANTS`             | `TENANT#<t>`               | the list of tenants |
//! | `APIKEY#<sha256>`     | `APIKEY`                   | which tenant a (hashed) API key belongs to |
//! | `T#<t>`               | `DOC#<sha256>`             | an uploaded document |
//! | `T#<t>`               | `ORDER#<id>`               | a signing order (personnummer encrypted); GSI1 = committee |
//! | `SIGNER#<hmac(pnr)>`  | `ORDER#<t>#<id>`           | "orders naming this signer" |
//! | `SESSION#<sha256>`    | `SESSION`                  | a portal session (TTL) |
//! | `EID#<orderRef>`      | `EID`                      | a BankID order in progress (TTL) |

use chrono::{DateTime, Utc};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{App, AppError};
use crate::domain::{Document, DocumentId, OrderId, Personnummer, SigningOrder, Tenant, TenantId};
use crate::ports::{Expect, IndexKey, Item, Write};

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub(crate) fn tenant_pk(t: &TenantId) -> String {
    format!("T#{t}")
}

pub(crate) fn order_sk(id: OrderId) -> String {
    format!("ORDER#{id}")
}

/// Object keys: every file of a tenant lives under `tenants/<t>/`.
pub(crate) mod keys {
    use crate::domain::{DocumentId, OrderId, SignerId, TenantId};

    pub fn original(t: &TenantId, d: &DocumentId) -> String {
        format!("tenants/{t}/documents/{d}/original.pdf")
    }
    pub fn order_file(t: &TenantId, o: OrderId, name: &str) -> String {
        format!("tenants/{t}/orders/{o}/{name}")
    }
    pub fn evidence(t: &TenantId, o: OrderId, version: u32, s: SignerId) -> String {
        format!("tenants/{t}/orders/{o}/v{version}/evidence/{s}.json")
    }
    pub fn public(t: &TenantId, name: &str) -> String {
        format!("public/{t}/anslag/{name}")
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct TenantRecord {
    pub tenant: Tenant,
    /// PEM: the seal certificate first, then its CA chain.
    pub seal_chain_pem: Option<String>,
    /// The key signer's key id for this tenant's seal key.
    pub seal_key_id: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct SessionRecord {
    pub personnummer_enc: String,
    pub personnummer_hash: String,
    pub name: String,
    pub expires_at: DateTime<Utc>,
}

/// A BankID order we started, under our own reference (the browser follows ours, so an order
/// restarted after `startFailed` keeps its reference): what it is for, BankID's current order,
/// and the secret needed for its animated QR.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct EidOrderRecord {
    pub purpose: EidPurpose,
    pub bankid_order_ref: String,
    pub qr_start_token: String,
    pub qr_start_secret: String,
    pub started_at: DateTime<Utc>,
    pub end_user: crate::ports::EndUser,
    /// How many times the order was started again after nobody scanned the QR code in time.
    pub restarts: u32,
    /// BankID asks relying parties to collect at most every two seconds; polls in between
    /// get the last answer.
    pub last_collect_at: Option<DateTime<Utc>>,
    pub last_hint: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum EidPurpose {
    Login,
    Sign {
        session_hash: String,
        tenant: TenantId,
        order_id: OrderId,
        signer_id: crate::domain::SignerId,
        version: u32,
        user_visible_data_b64: String,
        user_non_visible_data_b64: String,
    },
}

pub(crate) struct Versioned<T> {
    pub value: T,
    pub version: u64,
}

pub(crate) fn from_item<T: DeserializeOwned>(item: &Item) -> Result<T, AppError> {
    serde_json::from_value(item.data.clone())
        .map_err(|e| AppError::Internal(format!("stored record {}/{}: {e}", item.pk, item.sk)))
}

pub(crate) fn new_item(pk: String, sk: String, data: Value) -> Item {
    Item {
        pk,
        sk,
        version: 0,
        data,
        gsi1: None,
        expires_at: None,
    }
}

fn to_value<T: Serialize>(v: &T) -> Result<Value, AppError> {
    serde_json::to_value(v).map_err(|e| AppError::Internal(e.to_string()))
}

impl App {
    // --- tenants ------------------------------------------------------------------------------

    pub(crate) async fn tenant_record(
        &self,
        t: &TenantId,
    ) -> Result<Versioned<TenantRecord>, AppError> {
        let item = self
            .ports
            .state
            .get(&format!("TENANT#{t}"), "TENANT")
            .await?
            .ok_or(AppError::NotFound { what: "tenant" })?;
        Ok(Versioned {
            value: from_item(&item)?,
            version: item.version,
        })
    }

    pub(crate) fn tenant_item(&self, rec: &TenantRecord) -> Result<Item, AppError> {
        Ok(new_item(
            format!("TENANT#{}", rec.tenant.id),
            "TENANT".into(),
            to_value(rec)?,
        ))
    }

    // --- documents ----------------------------------------------------------------------------

    pub(crate) async fn document(
        &self,
        t: &TenantId,
        id: &DocumentId,
    ) -> Result<Document, AppError> {
        let item = self
            .ports
            .state
            .get(&tenant_pk(t), &format!("DOC#{id}"))
            .await?
            .ok_or(AppError::NotFound { what: "document" })?;
        from_item(&item)
    }

    // --- orders -------------------------------------------------------------------------------

    /// The stored form of an order: each signer's personnummer replaced by its ciphertext
    /// and keyed hash, so the state store never holds one in clear.
    pub(crate) async fn order_item(&self, order: &SigningOrder) -> Result<Item, AppError> {
        let mut data = to_value(order)?;
        if let Some(signers) = data.get_mut("signers").and_then(Value::as_array_mut) {
            for (s, signer) in signers.iter_mut().zip(&order.signers) {
                let pnr = signer.personnummer.as_str().as_bytes();
                if let Some(obj) = s.as_object_mut() {
                    obj.remove("personnummer");
                    obj.insert(
                        "personnummer_enc".into(),
                        Value::String(self.ports.cipher.encrypt(pnr).await?),
                    );
                    obj.insert(
                        "personnummer_hash".into(),
                        Value::String(self.ports.cipher.lookup_hash(pnr)),
                    );
                }
            }
        }
        let mut item = new_item(tenant_pk(&order.tenant), order_sk(order.id), data);
        item.gsi1 = Some(IndexKey {
            pk: format!("T#{}#COMMITTEE#{}", order.tenant, order.meeting.committee),
            sk: format!("{}#{}", order.meeting.meeting_date, order.id),
        });
        Ok(item)
    }

    pub(crate) async fn order_from_item(&self, item: &Item) -> Result<SigningOrder, AppError> {
        let mut data = item.data.clone();
        if let Some(signers) = data.get_mut("signers").and_then(Value::as_array_mut) {
            for s in signers.iter_mut() {
                if let Some(obj) = s.as_object_mut() {
                    let enc = obj
                        .remove("personnummer_enc")
                        .and_then(|v| v.as_str().map(str::to_string))
                        .ok_or_else(|| AppError::Internal("signer without personnummer".into()))?;
                    obj.remove("personnummer_hash");
                    let plain = self.ports.cipher.decrypt(&enc).await?;
                    let plain = String::from_utf8(plain)
                        .map_err(|_| AppError::Internal("personnummer not UTF-8".into()))?;
                    obj.insert("personnummer".into(), Value::String(plain));
                }
            }
        }
        serde_json::from_value(data)
            .map_err(|e| AppError::Internal(format!("stored order {}: {e}", item.sk)))
    }

    pub(crate) async fn load_order(
        &self,
        t: &TenantId,
        id: OrderId,
    ) -> Result<Versioned<SigningOrder>, AppError> {
        let item = self
            .ports
            .state
            .get(&tenant_pk(t), &order_sk(id))
            .await?
            .ok_or(AppError::NotFound { what: "order" })?;
        Ok(Versioned {
            value: self.order_from_item(&item).await?,
            version: item.version,
        })
    }

    /// Load, change, write back on the version read; on a lost race, start over (a few times).
    /// The change sees fresh state each round, so a rule is never checked against stale data.
    pub(crate) async fn update_order<R>(
        &self,
        t: &TenantId,
        id: OrderId,
        mut change: impl FnMut(&mut SigningOrder) -> Result<R, AppError>,
    ) -> Result<(SigningOrder, R), AppError> {
        for _ in 0..5 {
            let Versioned { mut value, version } = self.load_order(t, id).await?;
            let result = change(&mut value)?;
            let item = self.order_item(&value).await?;
            match self
                .ports
                .state
                .transact(vec![Write::Put {
                    item,
                    expect: Expect::Version(version),
                }])
                .await
            {
                Ok(()) => return Ok((value, result)),
                Err(crate::ports::StateError::ConditionFailed { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Conflict)
    }

    pub(crate) fn signer_link_item(&self, order: &SigningOrder, pnr: &Personnummer) -> Item {
        let hash = self.ports.cipher.lookup_hash(pnr.as_str().as_bytes());
        new_item(
            format!("SIGNER#{hash}"),
            format!("ORDER#{}#{}", order.tenant, order.id),
            serde_json::json!({"tenant": order.tenant, "order_id": order.id}),
        )
    }
}
