//! Signing orders, with each signer's personnummer encrypted and looked up by keyed hash, and
//! the index of orders by signer.

use std::sync::Arc;

use serde_json::Value;

use super::tenants::tenant_pk;
use super::{encode, item, RepoError, Versioned};
use crate::domain::{OrderId, Personnummer, SigningOrder, TenantId};
use crate::ports::{Expect, IndexKey, Item, PersonalDataCipher, StateStore, Write};

fn order_sk(id: OrderId) -> String {
    format!("ORDER#{id}")
}

fn signer_pk(person_hash: &str) -> String {
    format!("SIGNER#{person_hash}")
}

/// The index of active work: one item per order housekeeping may have work on
/// (`SigningOrder::is_active`), written in the same transaction as the order.
fn active_sk(id: OrderId) -> String {
    format!("ACTIVE#{id}")
}

/// Marks a tenant whose index of active work has been built (orders made before the index
/// existed are added once, by [`OrderRepo::ensure_active_index`]).
const ACTIVE_INDEX_BUILT: &str = "ACTIVE_INDEX";

/// How many times a change is tried on fresh state when another writer won the race (several
/// signers finishing at once). Between tries it waits [`backoff`]: at most 1.5 s in all.
const UPDATE_ATTEMPTS: u32 = 10;

/// The wait before try `attempt + 2`: exponential from 5 ms up to 400 ms, half of it fixed and
/// half random, so that writers who collided do not collide again in step.
fn backoff(attempt: u32) -> std::time::Duration {
    use rand_core::RngCore;
    let ceiling_ms = (5u64 << attempt.min(7)).min(400);
    let jitter = rand_core::OsRng.next_u64() % (ceiling_ms + 1);
    std::time::Duration::from_millis(ceiling_ms / 2 + jitter / 2)
}

#[derive(Clone)]
pub struct OrderRepo {
    state: Arc<dyn StateStore>,
    cipher: Arc<dyn PersonalDataCipher>,
}

impl OrderRepo {
    pub fn new(state: Arc<dyn StateStore>, cipher: Arc<dyn PersonalDataCipher>) -> Self {
        Self { state, cipher }
    }

    pub(super) fn state(&self) -> &dyn StateStore {
        self.state.as_ref()
    }

    /// The keyed hash a person's orders are indexed by.
    pub fn person_hash(&self, who: &Personnummer) -> String {
        self.cipher.lookup_hash(who.as_str().as_bytes())
    }

    pub async fn load(
        &self,
        t: &TenantId,
        id: OrderId,
    ) -> Result<Option<Versioned<SigningOrder>>, RepoError> {
        match self.state.get(&tenant_pk(t), &order_sk(id)).await? {
            Some(item) => Ok(Some(Versioned {
                value: self.decode_item(&item).await?,
                version: item.version,
            })),
            None => Ok(None),
        }
    }

    /// A new order, one index entry per signer and its entry in the index of active work,
    /// all or nothing.
    pub async fn create(&self, order: &SigningOrder) -> Result<(), RepoError> {
        let mut writes = vec![Write::Put {
            item: self.encode_item(order).await?,
            expect: Expect::Absent,
        }];
        if order.is_active() {
            writes.push(Write::Put {
                item: active_item(order),
                expect: Expect::Absent,
            });
        }
        for s in &order.signers {
            writes.push(Write::Put {
                item: item(
                    signer_pk(&self.person_hash(&s.personnummer)),
                    format!("ORDER#{}#{}", order.tenant, order.id),
                    serde_json::json!({"tenant": order.tenant, "order_id": order.id}),
                ),
                expect: Expect::Absent,
            });
        }
        self.state.transact(writes).await?;
        Ok(())
    }

    /// Load, change, write back on the version read; on a lost race, start over (a few
    /// times). The change sees fresh state each round, so a rule is never checked against
    /// stale data. `None` when there is no such order.
    pub async fn update_with<R, E>(
        &self,
        t: &TenantId,
        id: OrderId,
        mut change: impl FnMut(&mut SigningOrder) -> Result<R, E>,
    ) -> Result<Option<(SigningOrder, R)>, E>
    where
        E: From<RepoError>,
    {
        for attempt in 0..UPDATE_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(backoff(attempt - 1)).await;
            }
            let Some(Versioned { mut value, version }) = self.load(t, id).await? else {
                return Ok(None);
            };
            let was_active = value.is_active();
            let proof_before = value.archive_proof.as_ref().map(|p| p.until);
            let result = change(&mut value)?;
            let mut writes = vec![Write::Put {
                item: self.encode_item(&value).await?,
                expect: Expect::Version(version),
            }];
            if value.is_active() != was_active {
                writes.extend(self.active_index_write(&value).await?);
            }
            writes.extend(
                super::proof_index::moves(self.state.as_ref(), proof_before, &value).await?,
            );
            match self.state.transact(writes).await.map_err(RepoError::from) {
                Ok(()) => return Ok(Some((value, result))),
                Err(RepoError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(RepoError::Conflict.into())
    }

    /// The write that brings the order's entry in the index of active work in line with its
    /// status (none when it already is: orders older than the index).
    async fn active_index_write(&self, order: &SigningOrder) -> Result<Option<Write>, RepoError> {
        let (pk, sk) = (tenant_pk(&order.tenant), active_sk(order.id));
        let existing = self.state.get(&pk, &sk).await?;
        Ok(match (order.is_active(), existing) {
            (true, None) => Some(Write::Put {
                item: active_item(order),
                expect: Expect::Absent,
            }),
            (false, Some(entry)) => Some(Write::Delete {
                pk,
                sk,
                expect: Expect::Version(entry.version),
            }),
            _ => None,
        })
    }

    /// The orders of a tenant housekeeping may have work on (`OrderStatus::is_active`), by id
    /// only: the cost of a round grows with these, not with every order ever made.
    pub async fn active(&self, t: &TenantId) -> Result<Vec<OrderId>, RepoError> {
        let entries = self.state.query(&tenant_pk(t), "ACTIVE#").await?;
        Ok(entries
            .iter()
            .filter_map(|e| e.sk.strip_prefix("ACTIVE#"))
            .filter_map(|id| OrderId::parse(id).ok())
            .collect())
    }

    /// Build the index of active work for a tenant whose orders were made before it existed:
    /// once, then a marker says it is built. An order that cannot be read is reported and
    /// left out. Answers the keys of the orders that could not be read.
    pub async fn ensure_active_index(&self, t: &TenantId) -> Result<Vec<String>, RepoError> {
        let pk = tenant_pk(t);
        if self.state.get(&pk, ACTIVE_INDEX_BUILT).await?.is_some() {
            return Ok(Vec::new());
        }
        let mut unreadable = Vec::new();
        let mut writes = Vec::new();
        for raw in self.state.query(&pk, "ORDER#").await? {
            let order = match self.decode_item(&raw).await {
                Ok(o) => o,
                Err(e) => {
                    tracing::warn!(tenant = %t, at = %raw.sk, error = %e, "order cannot be read: left out of the index of active work");
                    unreadable.push(raw.sk.clone());
                    continue;
                }
            };
            if let Some(w) = self.active_index_write(&order).await? {
                writes.push(w);
            }
        }
        for w in writes {
            match self.state.transact(vec![w]).await {
                // Another round, or the order's own update, wrote it meanwhile: as good.
                Ok(()) | Err(crate::ports::StateError::ConditionFailed { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        match self
            .state
            .transact(vec![Write::Put {
                item: active_index_built(t),
                expect: Expect::Absent,
            }])
            .await
        {
            Ok(()) | Err(crate::ports::StateError::ConditionFailed { .. }) => Ok(unreadable),
            Err(e) => Err(e.into()),
        }
    }

    /// Every order of a tenant, newest first.
    pub async fn list(&self, t: &TenantId) -> Result<Vec<SigningOrder>, RepoError> {
        let items = self.state.query(&tenant_pk(t), "ORDER#").await?;
        let mut out = Vec::with_capacity(items.len());
        for item in &items {
            out.push(self.decode_item(item).await?);
        }
        out.sort_by_key(|o| std::cmp::Reverse(o.created_at));
        Ok(out)
    }

    /// The orders the index says name the person with this keyed hash: candidates only, the
    /// order itself decides (`SigningOrder::is_visible_to`).
    pub async fn naming(&self, person_hash: &str) -> Result<Vec<(TenantId, OrderId)>, RepoError> {
        let links = self.state.query(&signer_pk(person_hash), "ORDER#").await?;
        Ok(links
            .iter()
            .filter_map(|link| {
                let t = serde_json::from_value(link.data.get("tenant")?.clone()).ok()?;
                let o = serde_json::from_value(link.data.get("order_id")?.clone()).ok()?;
                Some((t, o))
            })
            .collect())
    }

    /// The stored form of an order: each signer's personnummer replaced by its ciphertext
    /// and keyed hash, so the state store never holds one in clear.
    async fn encode_item(&self, order: &SigningOrder) -> Result<Item, RepoError> {
        let mut data = encode(order)?;
        if let Some(signers) = data.get_mut("signers").and_then(Value::as_array_mut) {
            for (s, signer) in signers.iter_mut().zip(&order.signers) {
                let pnr = signer.personnummer.as_str().as_bytes();
                if let Some(obj) = s.as_object_mut() {
                    obj.remove("personnummer");
                    obj.insert(
                        "personnummer_enc".into(),
                        Value::String(self.cipher.encrypt(pnr).await?),
                    );
                    obj.insert(
                        "personnummer_hash".into(),
                        Value::String(self.cipher.lookup_hash(pnr)),
                    );
                }
            }
        }
        let mut out = item(tenant_pk(&order.tenant), order_sk(order.id), data);
        out.gsi1 = Some(IndexKey {
            pk: format!("T#{}#COMMITTEE#{}", order.tenant, order.meeting.committee),
            sk: format!("{}#{}", order.meeting.meeting_date, order.id),
        });
        Ok(out)
    }

    async fn decode_item(&self, item: &Item) -> Result<SigningOrder, RepoError> {
        let corrupt = |why: &str| RepoError::Corrupt {
            at: item.sk.clone(),
            why: why.to_string(),
        };
        let mut data = item.data.clone();
        if let Some(signers) = data.get_mut("signers").and_then(Value::as_array_mut) {
            for s in signers.iter_mut() {
                if let Some(obj) = s.as_object_mut() {
                    let enc = obj
                        .remove("personnummer_enc")
                        .and_then(|v| v.as_str().map(str::to_string))
                        .ok_or_else(|| corrupt("signer without personnummer"))?;
                    obj.remove("personnummer_hash");
                    let plain = self.cipher.decrypt(&enc).await?;
                    let plain =
                        String::from_utf8(plain).map_err(|_| corrupt("personnummer not UTF-8"))?;
                    obj.insert("personnummer".into(), Value::String(plain));
                }
            }
        }
        serde_json::from_value(data).map_err(|e| corrupt(&e.to_string()))
    }
}

fn active_item(order: &SigningOrder) -> Item {
    item(
        tenant_pk(&order.tenant),
        active_sk(order.id),
        serde_json::json!({ "order_id": order.id }),
    )
}

/// The mark that a tenant's index of active work is complete.
pub(super) fn active_index_built(t: &TenantId) -> Item {
    item(
        tenant_pk(t),
        ACTIVE_INDEX_BUILT.into(),
        serde_json::json!({}),
    )
}
