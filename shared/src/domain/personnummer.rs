//! Swedish personnummer and samordningsnummer.
//!
//! A `Personnummer` is always valid (checksum, real date, not in the future when parsed)
//! and is held in the canonical 12-digit form `YYYYMMDDNNNN`. `Display` and `Debug` print
//! the masked form, so a personnummer cannot end up in a log line by accident; only
//! [`Personnummer::as_str`] and serde give the full number.

use std::fmt;

use crate::error::ErrorText;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why an input is not a personnummer. Never carries the input itself (personal data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PersonnummerError {
    #[error("personnummer has an invalid format")]
    InvalidFormat,
    #[error("personnummer has an invalid check digit")]
    InvalidChecksum,
    #[error("personnummer has an invalid or future birth date")]
    InvalidDate,
}

impl crate::error::ErrorText for PersonnummerError {
    fn code(&self) -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::from({
            match self {
                Self::InvalidFormat => "personnummer.invalid_format",
                Self::InvalidChecksum => "personnummer.invalid_checksum",
                Self::InvalidDate => "personnummer.invalid_date",
            }
        })
    }

    fn message_sv(&self) -> String {
        String::from({
            match self {
            Self::InvalidFormat => {
                "Personnumret har fel format. Ange det som ÅÅÅÅMMDD-NNNN eller ÅÅMMDD-NNNN."
            }
            Self::InvalidChecksum => {
                "Personnumret är inte giltigt (kontrollsiffran stämmer inte). Kontrollera siffrorna."
            }
            Self::InvalidDate => {
                "Personnumret innehåller ett datum som inte finns eller som ligger i framtiden."
            }
        }
        })
    }

    fn message_en(&self) -> String {
        String::from({
            match self {
            Self::InvalidFormat => {
                "The personal identity number has the wrong format. Use YYYYMMDD-NNNN or YYMMDD-NNNN."
            }
            Self::InvalidChecksum => {
                "The personal identity number is not valid (the check digit does not match)."
            }
            Self::InvalidDate => {
                "The personal identity number contains a date that does not exist or is in the future."
            }
        }
        })
    }
}

/// A valid Swedish personnummer or samordningsnummer, canonical 12 digits `YYYYMMDDNNNN`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Personnummer(String);

/// Samordningsnummer add 60 to the day of birth.
const SAMORDNING_DAY_OFFSET: u32 = 60;

impl Personnummer {
    /// Parses 12 or 10 digits, with or without a `-` or `+` separator before the last four
    /// digits; surrounding whitespace is ignored.
    ///
    /// For the 10-digit form the century is the latest one that puts the birth date on or
    /// before `today`; a `+` separator means the person has turned 100, which moves it one
    /// century further back. For the 12-digit form the separator carries no meaning.
    pub fn parse(input: &str, today: NaiveDate) -> Result<Self, PersonnummerError> {
        let trimmed = input.trim();
        let (digits, plus) = split_separator(trimmed)?;
        let canonical = match digits.len() {
            12 => digits.to_string(),
            10 => {
                let yy = two_digits(&digits[0..2]);
                let mm = two_digits(&digits[2..4]);
                let dd = birth_day(two_digits(&digits[4..6]));
                let century = century_year(yy, mm, dd, plus, today).div_euclid(100);
                if !(0..=99).contains(&century) {
                    return Err(PersonnummerError::InvalidDate);
                }
                format!("{century:02}{digits}")
            }
            _ => return Err(PersonnummerError::InvalidFormat),
        };
        let pnr = Self::from_canonical_unchecked_date(canonical)?;
        if pnr.birth_date() > today {
            return Err(PersonnummerError::InvalidDate);
        }
        Ok(pnr)
    }

    /// Validates an already canonical 12-digit number (checksum and real date, no clock):
    /// used when reading stored data back.
    pub fn from_canonical(canonical: &str) -> Result<Self, PersonnummerError> {
        if canonical.len() != 12 || !canonical.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PersonnummerError::InvalidFormat);
        }
        Self::from_canonical_unchecked_date(canonical.to_string())
    }

    /// Checksum and calendar checks on 12 ASCII digits; does not compare with today.
    fn from_canonical_unchecked_date(canonical: String) -> Result<Self, PersonnummerError> {
        if canonical.len() != 12 {
            return Err(PersonnummerError::InvalidFormat);
        }
        if !luhn_valid(&canonical.as_bytes()[2..12]) {
            return Err(PersonnummerError::InvalidChecksum);
        }
        let year: i32 = canonical[0..4]
            .parse()
            .map_err(|_| PersonnummerError::InvalidFormat)?;
        let month = two_digits(&canonical[4..6]);
        let day = birth_day(two_digits(&canonical[6..8]));
        NaiveDate::from_ymd_opt(year, month, day).ok_or(PersonnummerError::InvalidDate)?;
        Ok(Self(canonical))
    }

    /// The canonical 12 digits. Personal data: never log it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A samordningsnummer has 60 added to the day of birth.
    pub fn is_samordningsnummer(&self) -> bool {
        two_digits(&self.0[6..8]) > SAMORDNING_DAY_OFFSET
    }

    pub fn birth_date(&self) -> NaiveDate {
        let year: i32 = self.0[0..4].parse().unwrap_or(1);
        let month = two_digits(&self.0[4..6]);
        let day = birth_day(two_digits(&self.0[6..8]));
        // Construction guarantees a real date; the fallback is unreachable.
        NaiveDate::from_ymd_opt(year, month, day).unwrap_or(NaiveDate::MIN)
    }

    /// `YYYYMMDD-****`: the birth date part only (as written in the number).
    pub fn masked(&self) -> String {
        format!("{}-****", &self.0[0..8])
    }
}

/// Splits off an optional `-`/`+` before the last four digits; everything else must be digits.
fn split_separator(s: &str) -> Result<(String, bool), PersonnummerError> {
    let bytes = s.as_bytes();
    let mut plus = false;
    let digits: String = if bytes.len() >= 5 && matches!(bytes[bytes.len() - 5], b'-' | b'+') {
        plus = bytes[bytes.len() - 5] == b'+';
        let (head, tail) = s.split_at(s.len() - 5);
        format!("{head}{}", &tail[1..])
    } else {
        s.to_string()
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PersonnummerError::InvalidFormat);
    }
    Ok((digits, plus))
}

/// Value of two ASCII digits (caller guarantees digits).
fn two_digits(s: &str) -> u32 {
    s.bytes().fold(0, |acc, b| acc * 10 + u32::from(b - b'0'))
}

/// The real day of month, undoing the samordningsnummer offset.
fn birth_day(day_field: u32) -> u32 {
    if day_field > SAMORDNING_DAY_OFFSET {
        day_field - SAMORDNING_DAY_OFFSET
    } else {
        day_field
    }
}

/// Full year for a two-digit year: the latest year ending in `yy` whose (month, day) is not
/// after today (or not after today minus 100 years for `+`). Compares tuples so an invalid
/// date still gets a century and is then rejected by the calendar check.
fn century_year(yy: u32, month: u32, day: u32, plus: bool, today: NaiveDate) -> i32 {
    let yy = yy as i32;
    let reference_year = today.year();
    let mut year = reference_year - reference_year.rem_euclid(100) + yy;
    if (year, month, day) > (reference_year, today.month(), today.day()) {
        year -= 100;
    }
    if plus {
        year -= 100;
    }
    year
}

/// Luhn over the 10-digit form: weights 2,1,2,1,... from the left over the first nine digits.
fn luhn_valid(ten_digits: &[u8]) -> bool {
    if ten_digits.len() != 10 {
        return false;
    }
    let sum: u32 = ten_digits[..9]
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            let p = if i % 2 == 0 { d * 2 } else { d };
            p / 10 + p % 10
        })
        .sum();
    let check = (10 - sum % 10) % 10;
    check == u32::from(ten_digits[9] - b'0')
}

impl fmt::Display for Personnummer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for Personnummer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Personnummer({})", self.masked())
    }
}

impl Serialize for Personnummer {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Personnummer {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        // The error text names only the kind of fault, never the number.
        Personnummer::from_canonical(&s).map_err(|e| serde::de::Error::custom(e.code()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// Computes the check digit independently (sum of digit sums) to build test numbers.
    fn check_digit(nine: &str) -> char {
        let mut sum = 0;
        for (i, c) in nine.chars().enumerate() {
            let d = c.to_digit(10).unwrap();
            let p = d * if i % 2 == 0 { 2 } else { 1 };
            sum += p
                .to_string()
                .chars()
                .map(|c| c.to_digit(10).unwrap())
                .sum::<u32>();
        }
        char::from_digit((10 - sum % 10) % 10, 10).unwrap()
    }

    fn with_check(nine: &str) -> String {
        format!("{nine}{}", check_digit(nine))
    }

    #[test]
    fn skatteverket_test_numbers_parse_in_every_form() {
        for input in [
            "19121212-1212",
            "191212121212",
            "121212-1212",
            "1212121212",
            "  19121212-1212 ",
            "19121212+1212",
        ] {
            // 1212121212 as 10 digits without '+' means 2012-12-12.
            let pnr = Personnummer::parse(input, today()).unwrap();
            assert!(pnr.as_str().ends_with("1212121212"), "{input}");
        }
        let pnr = Personnummer::parse("19121212-1212", today()).unwrap();
        assert_eq!(pnr.as_str(), "191212121212");
        assert_eq!(pnr.birth_date(), date(1912, 12, 12));
        assert!(!pnr.is_samordningsnummer());

        let pnr = Personnummer::parse("201701102384", today()).unwrap();
        assert_eq!(pnr.as_str(), "201701102384");
        assert_eq!(pnr.birth_date(), date(2017, 1, 10));
        let pnr = Personnummer::parse("170110-2384", today()).unwrap();
        assert_eq!(pnr.as_str(), "201701102384");
    }

    #[test]
    fn ten_digits_century_follows_today() {
        assert_eq!(
            Personnummer::parse("121212-1212", today())
                .unwrap()
                .as_str(),
            "201212121212"
        );
        assert_eq!(
            Personnummer::parse("121212+1212", today())
                .unwrap()
                .as_str(),
            "191212121212"
        );
        // Birthday later in the year than today: still this century if the year is earlier.
        let n = with_check("261123123");
        assert_eq!(
            Personnummer::parse(&n, today()).unwrap().birth_date(),
            date(2026, 11, 23)
        );
        // Tomorrow's date in the 10-digit form must be last century.
        let n = with_check("261124123");
        assert_eq!(
            Personnummer::parse(&n, today()).unwrap().birth_date(),
            date(1926, 11, 24)
        );
        // '+' on a 10-digit number born 1926-11-24: turned 100 tomorrow → 1826.
        let n = with_check("261124123");
        let plus = format!("{}+{}", &n[..6], &n[6..]);
        assert_eq!(
            Personnummer::parse(&plus, today()).unwrap().birth_date(),
            date(1826, 11, 24)
        );
        let n = with_check("261123123");
        let plus = format!("{}+{}", &n[..6], &n[6..]);
        assert_eq!(
            Personnummer::parse(&plus, today()).unwrap().birth_date(),
            date(1926, 11, 23)
        );
    }

    #[test]
    fn samordningsnummer_is_recognised() {
        // Born 1970-10-03, day field 63.
        let ten = with_check("701063239");
        let pnr = Personnummer::parse(&format!("19{ten}"), today()).unwrap();
        assert!(pnr.is_samordningsnummer());
        assert_eq!(pnr.birth_date(), date(1970, 10, 3));
        assert_eq!(pnr.masked(), "19701063-****");
        let short = format!("{}-{}", &ten[..6], &ten[6..]);
        assert_eq!(
            Personnummer::parse(&short, today()).unwrap().as_str(),
            format!("19{ten}")
        );
        // Day field 92 = day 32: not a date.
        let bad = with_check("701092239");
        assert_eq!(
            Personnummer::parse(&format!("19{bad}"), today()),
            Err(PersonnummerError::InvalidDate)
        );
    }

    #[test]
    fn wrong_check_digit_is_rejected() {
        assert_eq!(
            Personnummer::parse("19121212-1213", today()),
            Err(PersonnummerError::InvalidChecksum)
        );
        assert_eq!(
            Personnummer::parse("201701102385", today()),
            Err(PersonnummerError::InvalidChecksum)
        );
        // Every wrong last digit fails.
        for d in 0..10 {
            let input = format!("19121212121{d}");
            let ok = Personnummer::parse(&input, today()).is_ok();
            assert_eq!(ok, d == 2, "{input}");
        }
    }

    #[test]
    fn impossible_and_future_dates_are_rejected() {
        for nine in ["190230123", "191301123", "190100123", "190132123"] {
            let n = with_check(nine);
            assert_eq!(
                Personnummer::parse(&format!("20{n}"), today()),
                Err(PersonnummerError::InvalidDate),
                "{n}"
            );
        }
        // 29 February: leap year ok, other year not.
        assert!(Personnummer::parse(&format!("20{}", with_check("000229123")), today()).is_ok());
        assert_eq!(
            Personnummer::parse(&format!("19{}", with_check("000229123")), today()),
            Err(PersonnummerError::InvalidDate)
        );
        // 12 digits in the future.
        let future = format!("20{}", with_check("270101123"));
        assert_eq!(
            Personnummer::parse(&future, today()),
            Err(PersonnummerError::InvalidDate)
        );
        let tomorrow = format!("20{}", with_check("261124123"));
        assert_eq!(
            Personnummer::parse(&tomorrow, today()),
            Err(PersonnummerError::InvalidDate)
        );
    }

    #[test]
    fn bad_formats_are_rejected_without_panic() {
        for input in [
            "",
            " ",
            "-",
            "+",
            "1912121212123",
            "12121212",
            "19121212--1212",
            "1912-12121212",
            "19121212 1212",
            "1912121a1212",
            "١٩١٢١٢١٢١٢١٢",
            "19121212-12120",
            "å9121212-1212",
            "-1212",
            "121212-",
            "12121-21212",
        ] {
            assert_eq!(
                Personnummer::parse(input, today()),
                Err(PersonnummerError::InvalidFormat),
                "{input:?}"
            );
        }
    }

    #[test]
    fn display_and_debug_never_show_the_full_number() {
        let pnr = Personnummer::parse("19121212-1212", today()).unwrap();
        assert_eq!(pnr.to_string(), "19121212-****");
        let debug = format!("{pnr:?}");
        assert!(debug.contains("19121212-****"));
        assert!(!debug.contains("1212121212"));
        let wrapped = format!("{:?}", Some(&pnr));
        assert!(!wrapped.contains("121212121212"));
    }

    #[test]
    fn serde_uses_canonical_digits_and_validates() {
        let pnr = Personnummer::parse("121212-1212", today()).unwrap();
        let json = serde_json::to_string(&pnr).unwrap();
        assert_eq!(json, "\"201212121212\"");
        let back: Personnummer = serde_json::from_str(&json).unwrap();
        assert_eq!(back, pnr);
        assert!(serde_json::from_str::<Personnummer>("\"201212121213\"").is_err());
        assert!(serde_json::from_str::<Personnummer>("\"20121212-1212\"").is_err());
        assert!(serde_json::from_str::<Personnummer>("\"1212121212\"").is_err());
        let err = serde_json::from_str::<Personnummer>("\"201212121213\"")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("1212121213"), "{err}");
    }

    #[test]
    fn errors_have_codes_and_messages() {
        for e in [
            PersonnummerError::InvalidFormat,
            PersonnummerError::InvalidChecksum,
            PersonnummerError::InvalidDate,
        ] {
            assert!(e.code().starts_with("personnummer."));
            assert!(!e.message_sv().is_empty());
            assert!(!e.message_en().is_empty());
        }
        assert_eq!(
            PersonnummerError::InvalidChecksum.code(),
            "personnummer.invalid_checksum"
        );
    }
}
