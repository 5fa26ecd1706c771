//! The timestamp source's contract (an RFC 3161 authority over HTTP, the local world's TSA in
//! process). Run in `esign-world`'s `port_suites::timestamp`, where the authorities are.

use chrono::{Duration, Utc};
use sha2::{Digest, Sha256};

use crate::pdf::timestamp::{verify_token, TimestampError};
use crate::ports::TimestampSource;

/// The timestamp source's contract: a token is over exactly the digest given (the token's
/// own signature verifies, by [`verify_token`], and it is refused for another digest); its
/// genTime is now (within the second a TSA may round to, and a little clock skew); another
/// digest gives another token, and each token has its own serial number (RFC 3161 §2.4.2).
pub async fn timestamp_source_suite(s: &dyn TimestampSource) {
    let digest = |text: &str| -> [u8; 32] { Sha256::digest(text.as_bytes()).into() };
    let (a, b) = (
        digest("the signature value of protokoll §§ 12–14"),
        digest("the signature value of protokoll § 15"),
    );

    let before = Utc::now();
    let token_a = s.timestamp(a).await.unwrap();
    let after = Utc::now();
    let info_a = verify_token(&token_a, &a).unwrap();
    // A TSA may round down to the second (openssl with clock_precision_digits = 0) and be
    // a little apart from our clock.
    let skew = Duration::seconds(2);
    assert!(
        info_a.gen_time >= before - skew && info_a.gen_time <= after + skew,
        "genTime {} is not now ({before} … {after})",
        info_a.gen_time
    );
    assert!(
        matches!(
            verify_token(&token_a, &b),
            Err(TimestampError::ImprintMismatch)
        ),
        "a token over one digest passes for another"
    );

    let token_b = s.timestamp(b).await.unwrap();
    let info_b = verify_token(&token_b, &b).unwrap();
    assert_ne!(token_a, token_b, "two digests, one token");
    assert!(verify_token(&token_b, &a).is_err());
    assert!(info_b.gen_time >= info_a.gen_time - skew);

    let token_a2 = s.timestamp(a).await.unwrap();
    let info_a2 = verify_token(&token_a2, &a).unwrap();
    let mut serials = [&info_a, &info_b, &info_a2].map(|i| i.serial_hex.clone());
    serials.sort();
    assert!(
        serials[0] != serials[1] && serials[1] != serials[2],
        "serial numbers repeat: {serials:?}"
    );
}
