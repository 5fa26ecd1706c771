//! The one TSTInfo parser (RFC 3161 2.4.2): signature timestamps, document timestamps and the
//! timestamp client all read a token's content here.

use chrono::{DateTime, NaiveDate, TimeZone, Timelike, Utc};
use const_oid::ObjectIdentifier;
use der::asn1::Int;
use der::{Reader, Tagged};
use x509_tsp::MessageImprint;

use super::X509Error;

/// What a TSTInfo says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TstInfo {
    pub policy: ObjectIdentifier,
    pub imprint_algorithm: ObjectIdentifier,
    pub imprint: Vec<u8>,
    /// The serialNumber's INTEGER content.
    pub serial: Vec<u8>,
    pub gen_time: DateTime<Utc>,
    /// genTime as written (may carry fractional seconds).
    pub gen_time_text: String,
    /// The nonce's INTEGER content, if any.
    pub nonce: Option<Vec<u8>>,
}

fn malformed(what: impl std::fmt::Display) -> X509Error {
    X509Error::Malformed(format!("TSTInfo: {what}"))
}

/// Parses TSTInfo DER: version 1, leniently as to genTime, which may carry fractional seconds
/// (der 0.7 refuses those, and real timestamp authorities send them).
pub fn parse_tst_info(der_bytes: &[u8]) -> Result<TstInfo, X509Error> {
    let mut reader = der::SliceReader::new(der_bytes).map_err(malformed)?;
    let (policy, imprint, serial, gen_time, nonce) = reader
        .sequence(|r| {
            let version: Int = r.decode()?;
            if version.as_bytes() != [1] {
                return Err(der::ErrorKind::Value {
                    tag: der::Tag::Integer,
                }
                .into());
            }
            let policy: ObjectIdentifier = r.decode()?;
            let imprint: MessageImprint = r.decode()?;
            let serial: Int = r.decode()?;
            let gen_time: der::asn1::Any = r.decode()?;
            if gen_time.tag() != der::Tag::GeneralizedTime {
                return Err(der::ErrorKind::Value {
                    tag: der::Tag::GeneralizedTime,
                }
                .into());
            }
            let mut nonce = None;
            while !r.is_finished() {
                let item: der::asn1::Any = r.decode()?;
                if item.tag() == der::Tag::Integer {
                    nonce = Some(item.value().to_vec());
                }
            }
            Ok((policy, imprint, serial, gen_time, nonce))
        })
        .map_err(malformed)?;
    reader.finish(()).map_err(malformed)?;
    let gen_time_text = String::from_utf8_lossy(gen_time.value()).into_owned();
    Ok(TstInfo {
        policy,
        imprint_algorithm: imprint.hash_algorithm.oid,
        imprint: imprint.hashed_message.as_bytes().to_vec(),
        serial: serial.as_bytes().to_vec(),
        gen_time: parse_generalized_time(&gen_time_text)
            .ok_or_else(|| malformed(format!("genTime {gen_time_text:?}")))?,
        gen_time_text,
        nonce,
    })
}

/// `YYYYMMDDHHMMSS[.f+]Z` (RFC 3161 §2.4.2 requires UTC).
pub fn parse_generalized_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.strip_suffix('Z')?;
    let (whole, fraction) = match s.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (s, None),
    };
    if whole.len() != 14 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |a: usize, b: usize| whole[a..b].parse::<u32>().ok();
    let date = NaiveDate::from_ymd_opt(whole[..4].parse().ok()?, n(4, 6)?, n(6, 8)?)?;
    let mut naive = date.and_hms_opt(n(8, 10)?, n(10, 12)?, n(12, 14)?)?;
    if let Some(f) = fraction {
        if f.is_empty() || f.len() > 9 || !f.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let nanos: u32 = format!("{f:0<9}").parse().ok()?;
        naive = naive.with_nanosecond(nanos)?;
    }
    Utc.from_local_datetime(&naive).single()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorText;
    use der::asn1::{GeneralizedTime, OctetString};
    use der::Encode;

    #[test]
    fn generalized_times_parse() {
        assert_eq!(
            parse_generalized_time("20261123045500Z")
                .unwrap()
                .to_rfc3339(),
            "2026-11-23T04:55:00+00:00"
        );
        assert_eq!(
            parse_generalized_time("20261123045500.25Z")
                .unwrap()
                .timestamp_subsec_millis(),
            250
        );
        assert!(parse_generalized_time("20261123045500").is_none());
        assert!(parse_generalized_time("2026112304550Z").is_none());
        assert!(parse_generalized_time("20261123045500.Z").is_none());
    }

    /// TSTInfo DER with `version`, genTime `gen_time` (raw text, GeneralizedTime) and `nonce`.
    fn tst_info(version: u8, gen_time: &str, nonce: Option<&[u8]>) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend(Int::new(&[version]).unwrap().to_der().unwrap());
        body.extend(ObjectIdentifier::new_unwrap("1.2.3.4").to_der().unwrap());
        body.extend(
            MessageImprint {
                hash_algorithm: spki::AlgorithmIdentifierOwned {
                    oid: super::super::signature::ID_SHA256,
                    parameters: None,
                },
                hashed_message: OctetString::new(vec![7u8; 32]).unwrap(),
            }
            .to_der()
            .unwrap(),
        );
        body.extend(Int::new(&[0x2a]).unwrap().to_der().unwrap());
        body.push(0x18);
        body.push(gen_time.len() as u8);
        body.extend(gen_time.as_bytes());
        if let Some(nonce) = nonce {
            body.extend(Int::new(nonce).unwrap().to_der().unwrap());
        }
        let mut out = vec![0x30, body.len() as u8];
        out.extend(body);
        out
    }

    #[test]
    fn tst_info_with_fractional_seconds_and_nonce_is_read() {
        let info =
            parse_tst_info(&tst_info(1, "20261123045500.125Z", Some(&[0x12, 0x34]))).unwrap();
        assert_eq!(info.imprint, vec![7u8; 32]);
        assert_eq!(info.imprint_algorithm, super::super::signature::ID_SHA256);
        assert_eq!(info.serial, vec![0x2a]);
        assert_eq!(info.nonce.as_deref(), Some(&[0x12, 0x34][..]));
        assert_eq!(info.gen_time_text, "20261123045500.125Z");
        assert_eq!(info.gen_time.timestamp_subsec_millis(), 125);
        // der's own GeneralizedTime agrees on the whole seconds.
        let whole = GeneralizedTime::from_unix_duration(std::time::Duration::from_secs(
            info.gen_time.timestamp() as u64,
        ))
        .unwrap();
        assert_eq!(
            whole.to_unix_duration().as_secs() as i64,
            info.gen_time.timestamp()
        );
    }

    #[test]
    fn wrong_version_time_or_trailing_bytes_are_refused() {
        assert!(parse_tst_info(&tst_info(2, "20261123045500Z", None)).is_err());
        assert!(parse_tst_info(&tst_info(1, "20261123045500", None)).is_err());
        let mut trailing = tst_info(1, "20261123045500Z", None);
        trailing.push(0);
        assert!(parse_tst_info(&trailing).is_err());
        for garbage in [&b""[..], b"\x30\x00", b"\x04\x01\x00"] {
            assert_eq!(
                parse_tst_info(garbage).unwrap_err().code(),
                "x509.malformed"
            );
        }
    }
}
