//! Creating calls under an `Idempotency-Key` (the rules: `domain::idempotency`): the first
//! call claims the key, runs, and leaves its answer; a repeat gets that answer, or is told to
//! wait while the first still runs, or is refused when the key was used for another request.
//! The web layer (`web::idempotency`) calls [`Idempotency::begin`] before the route and
//! [`Idempotency::finish`] after it.

use std::sync::Arc;

use super::AppError;
use crate::domain::idempotency::{keeps_answer, IdempotentCall, KeptAnswer, Repeat};
use crate::ports::{Clock, StateStore};
use crate::repo::{sha256_hex, IdempotencyRepo, RepoError};

pub struct Idempotency {
    calls: IdempotencyRepo,
    clock: Arc<dyn Clock>,
}

/// Whose key, which key: both hashed (the credential is a secret; the key may say anything).
#[derive(Clone, Debug)]
pub struct CallKey {
    scope: String,
    key: String,
}

impl CallKey {
    /// The key `key` of the caller who presented `credential` (an API key, a session token).
    pub fn new(credential: &str, key: &str) -> Self {
        Self {
            scope: sha256_hex(credential.as_bytes()),
            key: sha256_hex(key.as_bytes()),
        }
    }
}

/// What to do with a call.
#[derive(Debug)]
pub enum Begin {
    /// Run it; then [`Idempotency::finish`] with this claim.
    Run(Claim),
    /// Answer this, the first call's answer.
    Replay(KeptAnswer),
    /// The first call is still running.
    InFlight,
    /// The key was used for another request.
    OtherRequest,
}

/// The right to answer a key, held by the call that runs.
#[derive(Debug)]
pub struct Claim {
    key: CallKey,
    call: IdempotentCall,
    version: u64,
}

impl Idempotency {
    pub fn new(state: Arc<dyn StateStore>, clock: Arc<dyn Clock>) -> Self {
        Self {
            calls: IdempotencyRepo::new(state),
            clock,
        }
    }

    /// Claim `key` for a request with `fingerprint`, or say what a repeat gets.
    pub async fn begin(&self, key: CallKey, fingerprint: String) -> Result<Begin, AppError> {
        // Two rounds: a claim lost to a call that came at the same moment is read again.
        for _ in 0..2 {
            let now = self.clock.now();
            let fresh = IdempotentCall {
                fingerprint: fingerprint.clone(),
                started_at: now,
                answer: None,
            };
            let over = match self.calls.get(&key.scope, &key.key).await? {
                None => None,
                Some(kept) if kept.value.expired(now) => Some(kept.version),
                Some(kept) => match kept.value.repeat(&fingerprint, now) {
                    Repeat::Replay(answer) => return Ok(Begin::Replay(answer)),
                    Repeat::InFlight => return Ok(Begin::InFlight),
                    Repeat::OtherRequest => return Ok(Begin::OtherRequest),
                    Repeat::TakeOver => Some(kept.version),
                },
            };
            match self.calls.put(&key.scope, &key.key, &fresh, over).await {
                Ok(version) => {
                    return Ok(Begin::Run(Claim {
                        key,
                        call: fresh,
                        version,
                    }))
                }
                Err(RepoError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(Begin::InFlight)
    }

    /// The call ran and answered: keep the answer for repeats, or (an answer to the request
    /// as sent, or our failure) forget the key so that the corrected request may use it.
    /// A claim taken over meanwhile is left to its new holder.
    pub async fn finish(&self, claim: Claim, answer: Option<KeptAnswer>) -> Result<(), AppError> {
        let Claim {
            key,
            mut call,
            version,
        } = claim;
        let outcome = match answer.filter(|a| keeps_answer(a.status)) {
            Some(answer) => {
                call.answer = Some(answer);
                self.calls
                    .put(&key.scope, &key.key, &call, Some(version))
                    .await
                    .map(|_| ())
            }
            None => self.calls.delete(&key.scope, &key.key, version).await,
        };
        match outcome {
            Ok(()) | Err(RepoError::Conflict) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(all(test, feature = "embedded"))]
mod tests {
    use super::*;
    use crate::app::test_app;

    fn answer(status: u16) -> KeptAnswer {
        KeptAnswer {
            status,
            content_type: "application/json".into(),
            body: format!("{{\"status\":{status}}}"),
        }
    }

    #[tokio::test]
    async fn a_key_is_claimed_once_replayed_refused_for_another_request_and_freed_by_a_refusal() {
        let t = test_app::start().await;
        let idem = Idempotency::new(t.ports.state.clone(), t.clock.clone());
        let key = || CallKey::new("esk_kommun_secret", "order-1");
        let Begin::Run(claim) = idem.begin(key(), "f".into()).await.unwrap() else {
            panic!("the first call runs")
        };
        assert!(matches!(
            idem.begin(key(), "f".into()).await.unwrap(),
            Begin::InFlight
        ));
        // Another caller's key of the same name is its own.
        let theirs = CallKey::new("esk_kommun_other", "order-1");
        assert!(matches!(
            idem.begin(theirs, "f".into()).await.unwrap(),
            Begin::Run(_)
        ));
        idem.finish(claim, Some(answer(201))).await.unwrap();
        match idem.begin(key(), "f".into()).await.unwrap() {
            Begin::Replay(a) => assert_eq!(a, answer(201)),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            idem.begin(key(), "g".into()).await.unwrap(),
            Begin::OtherRequest
        ));
        // Kept a day, then the key is new again.
        t.clock.advance(chrono::Duration::hours(24));
        assert!(matches!(
            idem.begin(key(), "g".into()).await.unwrap(),
            Begin::Run(_)
        ));

        // A request refused as sent is not kept: the corrected one runs under the same key.
        let k2 = || CallKey::new("esk_kommun_secret", "order-2");
        let Begin::Run(claim) = idem.begin(k2(), "bad".into()).await.unwrap() else {
            panic!()
        };
        idem.finish(claim, Some(answer(400))).await.unwrap();
        assert!(matches!(
            idem.begin(k2(), "good".into()).await.unwrap(),
            Begin::Run(_)
        ));

        // A first call that died: after its lease a repeat runs in its place.
        let k3 = || CallKey::new("esk_kommun_secret", "order-3");
        let Begin::Run(dead) = idem.begin(k3(), "f".into()).await.unwrap() else {
            panic!()
        };
        t.clock
            .advance(crate::domain::idempotency::FIRST_CALL_LEASE);
        let Begin::Run(alive) = idem.begin(k3(), "f".into()).await.unwrap() else {
            panic!("taken over")
        };
        // The dead call's late answer does not overwrite the living one's.
        idem.finish(dead, Some(answer(500))).await.unwrap();
        idem.finish(alive, Some(answer(201))).await.unwrap();
        match idem.begin(k3(), "f".into()).await.unwrap() {
            Begin::Replay(a) => assert_eq!(a.status, 201),
            other => panic!("{other:?}"),
        }
    }
}
