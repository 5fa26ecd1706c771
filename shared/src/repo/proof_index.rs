//! The index of kept archive versions by the month their proof of existence ends
//! (`T#<t>` / `PROOF#<YYYY-MM>#<order>`): how the renewal round finds what is due without
//! reading every order ever sealed. Written by [`OrderRepo`] in the same transaction as the
//! order whose `archive_proof` it mirrors, so the two never disagree.

use chrono::{DateTime, Utc};

use super::tenants::tenant_pk;
use super::{item, OrderRepo, RepoError};
use crate::domain::renewal::index_month;
use crate::domain::{OrderId, SigningOrder, TenantId};
use crate::ports::{Expect, StateStore, Write};

fn proof_sk(until: DateTime<Utc>, id: OrderId) -> String {
    format!("PROOF#{}#{id}", index_month(until))
}

/// The writes that move `order`'s index entry from a proof ending at `before` to the one it
/// has now (none when the month stays the same: the entry only points at the order).
pub(super) async fn moves(
    state: &dyn StateStore,
    before: Option<DateTime<Utc>>,
    order: &SigningOrder,
) -> Result<Vec<Write>, RepoError> {
    let pk = tenant_pk(&order.tenant);
    let old = before.map(|u| proof_sk(u, order.id));
    let new = order
        .archive_proof
        .as_ref()
        .map(|p| proof_sk(p.until, order.id));
    if old == new {
        return Ok(Vec::new());
    }
    let mut writes = Vec::new();
    if let Some(sk) = old {
        if let Some(entry) = state.get(&pk, &sk).await? {
            writes.push(Write::Delete {
                pk: pk.clone(),
                sk,
                expect: Expect::Version(entry.version),
            });
        }
    }
    if let (Some(sk), Some(proof)) = (new, &order.archive_proof) {
        writes.push(Write::Put {
            item: item(pk, sk, serde_json::json!({ "until": proof.until })),
            expect: Expect::Absent,
        });
    }
    Ok(writes)
}

impl OrderRepo {
    /// The tenant's orders whose archive version's proof is indexed under `month` (`YYYY-MM`).
    pub async fn proofs_ending_in(
        &self,
        t: &TenantId,
        month: &str,
    ) -> Result<Vec<OrderId>, RepoError> {
        let prefix = format!("PROOF#{month}#");
        let entries = self.state().query(&tenant_pk(t), &prefix).await?;
        Ok(entries
            .iter()
            .filter_map(|e| e.sk.strip_prefix(&prefix))
            .filter_map(|id| OrderId::parse(id).ok())
            .collect())
    }
}

/// The day of the tenant's last renewal round: rounds run often (housekeeping), renewals are
/// looked for once a day.
const RENEWAL_ROUND: &str = "RENEWAL_ROUND";

impl OrderRepo {
    /// Claim the tenant's renewal round for `day`: true for the first caller of the day, false
    /// for every other (also a concurrent one).
    pub async fn claim_renewal_round(
        &self,
        t: &TenantId,
        day: chrono::NaiveDate,
    ) -> Result<bool, RepoError> {
        let pk = tenant_pk(t);
        let day = day.to_string();
        let expect = match self.state().get(&pk, RENEWAL_ROUND).await? {
            Some(last) if last.data["day"] == day.as_str() => return Ok(false),
            Some(last) => Expect::Version(last.version),
            None => Expect::Absent,
        };
        let claim = Write::Put {
            item: item(pk, RENEWAL_ROUND.into(), serde_json::json!({ "day": day })),
            expect,
        };
        match self.state().transact(vec![claim]).await {
            Ok(()) => Ok(true),
            Err(crate::ports::StateError::ConditionFailed { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}
