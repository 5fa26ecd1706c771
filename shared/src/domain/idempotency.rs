//! `Idempotency-Key`, as Stripe does it: a caller that sends a creating call again with the
//! same key gets the first answer again instead of a second order. The rules: what a key may
//! be, how long an answer is kept, how long a first call may run before a repeat may take
//! over, and which answers are kept (not those that refused the request as it was sent: the
//! caller fixes it and sends it again under the same key).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The longest key accepted.
pub const MAX_KEY_LEN: usize = 255;
/// How long a first answer is replayed.
pub const KEEP_ANSWER: Duration = Duration::hours(24);
/// How long a first call may run before a repeat is let through in its place (a process that
/// died mid-call leaves its claim behind).
pub const FIRST_CALL_LEASE: Duration = Duration::minutes(5);
/// The largest answer kept (the creating calls answer a few KB of JSON).
pub const MAX_ANSWER_BYTES: usize = 256 * 1024;

/// Whether `key` is a key: 1 to 255 visible ASCII characters.
pub fn valid_key(key: &str) -> bool {
    (1..=MAX_KEY_LEN).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

/// Whether an answer with this status is kept for replay: successes, and refusals by the
/// state of things (409); not refusals of the request itself (400, 401, 403, 404, 413, 415,
/// 422, 429), which the caller corrects and sends again, nor our own failures (5xx).
pub fn keeps_answer(status: u16) -> bool {
    (200..300).contains(&status) || status == 409
}

/// A call under a key, as kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotentCall {
    /// SHA-256 of the method, path, query and body: the same key with another request is an
    /// error, not a replay.
    pub fingerprint: String,
    pub started_at: DateTime<Utc>,
    /// The first call's answer, once it has one.
    #[serde(default)]
    pub answer: Option<KeptAnswer>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptAnswer {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

/// What a repeated call gets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Repeat {
    /// The first answer again.
    Replay(KeptAnswer),
    /// The first call is still running: try again shortly.
    InFlight,
    /// The key was used for another request.
    OtherRequest,
    /// The first call died without an answer: this one runs in its place.
    TakeOver,
}

impl IdempotentCall {
    /// What a call with `fingerprint` at `now` gets, this call having come first.
    pub fn repeat(&self, fingerprint: &str, now: DateTime<Utc>) -> Repeat {
        if self.fingerprint != fingerprint {
            return Repeat::OtherRequest;
        }
        match &self.answer {
            Some(answer) => Repeat::Replay(answer.clone()),
            None if now - self.started_at < FIRST_CALL_LEASE => Repeat::InFlight,
            None => Repeat::TakeOver,
        }
    }

    /// Whether the call is past keeping (its record may linger until the store's expiry).
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        now - self.started_at >= KEEP_ANSWER
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_short_visible_ascii() {
        assert!(valid_key("order-2026-12-06-0001") && valid_key(&"k".repeat(255)));
        for bad in ["", " x", "å", "a\u{7f}", &"k".repeat(256)] {
            assert!(!valid_key(bad), "{bad:?}");
        }
    }

    #[test]
    fn only_answers_to_the_request_as_sent_are_kept() {
        for kept in [200, 201, 409] {
            assert!(keeps_answer(kept));
        }
        for not in [400, 401, 403, 404, 413, 415, 422, 429, 500, 503] {
            assert!(!keeps_answer(not), "{not}");
        }
    }

    #[test]
    fn a_repeat_is_replayed_waits_is_refused_or_takes_over() {
        let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let mut call = IdempotentCall {
            fingerprint: "f".into(),
            started_at: t0,
            answer: None,
        };
        assert_eq!(
            call.repeat("f", t0 + Duration::seconds(1)),
            Repeat::InFlight
        );
        assert_eq!(call.repeat("g", t0), Repeat::OtherRequest);
        assert_eq!(call.repeat("f", t0 + FIRST_CALL_LEASE), Repeat::TakeOver);
        let answer = KeptAnswer {
            status: 201,
            content_type: "application/json".into(),
            body: "{}".into(),
        };
        call.answer = Some(answer.clone());
        assert_eq!(
            call.repeat("f", t0 + Duration::hours(23)),
            Repeat::Replay(answer)
        );
        assert!(!call.expired(t0 + Duration::hours(23)) && call.expired(t0 + KEEP_ANSWER));
    }
}
