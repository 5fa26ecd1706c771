//! Personnummer and samordningsnummer in running text (a protocol's page, read from its PDF):
//! the rule the publication version's redaction uses to find what must never be published.
//!
//! A number is found in any form people and programs write it: 12 or 10 digits, with or
//! without `-` or `+` (or a typographic dash) before the last four, and with spaces anywhere
//! inside, since text read back from a PDF often has them where glyphs were placed apart. It
//! counts only if it is a valid number (check digit, a real birth date, samordningsnummer
//! included) and stands alone: not part of a longer run of digits. Over-finding is the safe
//! side here; a digit run that happens to pass both checks is removed too.

use std::ops::Range;

#[cfg(test)]
use chrono::Datelike;
use chrono::NaiveDate;

use super::Personnummer;

/// Separators people write between the birth date and the last four digits.
fn is_separator(c: char) -> bool {
    matches!(
        c,
        '-' | '+' | '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2212}'
    )
}

fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{00A0}' || c == '\u{202F}'
}

/// One digit of a run, with what stood between it and the digit before.
struct Digit {
    value: char,
    at: Range<usize>,
    /// Nothing (glued to the digit before), spaces only, or a separator (with any spaces).
    gap: Gap,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Gap {
    None,
    Space,
    Separator(char),
    /// The start of a run: something else stood before it.
    Start,
}

/// Byte ranges of `text` holding a personnummer or samordningsnummer (first digit to last),
/// in order, not overlapping. `today` decides the century of a 10-digit number.
pub fn find_personnummer(text: &str, today: NaiveDate) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    for run in digit_runs(text) {
        let mut k = 0;
        while k < run.len() {
            let starts_alone = run[k].gap != Gap::None;
            let hit = starts_alone
                .then(|| {
                    [12, 10]
                        .into_iter()
                        .find(|&len| is_number_at(&run, k, len, today))
                })
                .flatten();
            match hit {
                Some(len) => {
                    found.push(run[k].at.start..run[k + len - 1].at.end);
                    k += len;
                }
                None => k += 1,
            }
        }
    }
    found
}

/// Whether `run[k..k + len]` is a number standing alone.
fn is_number_at(run: &[Digit], k: usize, len: usize, today: NaiveDate) -> bool {
    let Some(digits) = run.get(k..k + len) else {
        return false;
    };
    // Stands alone at the end too.
    if run.get(k + len).is_some_and(|next| next.gap == Gap::None) {
        return false;
    }
    let split = len - 4;
    let mut separator = None;
    for (i, d) in digits.iter().enumerate().skip(1) {
        match d.gap {
            Gap::None | Gap::Space => {}
            Gap::Separator(c) if i == split => separator = Some(c),
            Gap::Separator(_) | Gap::Start => return false,
        }
    }
    let head: String = digits[..split].iter().map(|d| d.value).collect();
    let tail: String = digits[split..].iter().map(|d| d.value).collect();
    let sep = if separator == Some('+') { "+" } else { "-" };
    Personnummer::parse(&format!("{head}{sep}{tail}"), today).is_ok()
}

/// The runs of digits in `text` that may hold a number: digits with at most spaces and one
/// separator between them; anything else ends a run.
fn digit_runs(text: &str) -> Vec<Vec<Digit>> {
    let mut runs = Vec::new();
    let mut run: Vec<Digit> = Vec::new();
    let mut gap = Gap::Start;
    for (at, c) in text.char_indices() {
        if c.is_ascii_digit() {
            run.push(Digit {
                value: c,
                at: at..at + c.len_utf8(),
                gap,
            });
            gap = Gap::None;
        } else if is_space(c) && gap != Gap::Start {
            if gap == Gap::None {
                gap = Gap::Space;
            }
        } else if is_separator(c) && matches!(gap, Gap::None | Gap::Space) && !run.is_empty() {
            gap = Gap::Separator(c);
        } else {
            if !run.is_empty() {
                runs.push(std::mem::take(&mut run));
            }
            gap = Gap::Start;
        }
    }
    if !run.is_empty() {
        runs.push(run);
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 6).unwrap()
    }

    fn found(text: &str) -> Vec<&str> {
        find_personnummer(text, today())
            .into_iter()
            .map(|r| &text[r])
            .collect()
    }

    #[test]
    fn every_written_form_is_found() {
        for (text, number) in [
            ("Sökande 19121212-1212 beviljas", "19121212-1212"),
            ("Sökande 191212121212 beviljas", "191212121212"),
            ("Sökande 121212-1212 beviljas", "121212-1212"),
            ("Sökande 1212121212 beviljas", "1212121212"),
            ("född 121212+1212 (över hundra)", "121212+1212"),
            ("pnr: 19121212 – 1212.", "19121212 – 1212"),
            (
                "pnr 1 9 1 2 1 2 1 2 - 1 2 1 2,",
                "1 9 1 2 1 2 1 2 - 1 2 1 2",
            ),
            ("(198112189876)", "198112189876"),
            ("samordningsnummer 701063-2391 har", "701063-2391"),
        ] {
            assert_eq!(found(text), vec![number], "{text}");
        }
        assert_eq!(
            found("19121212-1212 och 198112189876, 121212-1212"),
            vec!["19121212-1212", "198112189876", "121212-1212"]
        );
    }

    #[test]
    fn numbers_that_are_not_personnummer_are_left() {
        for text in [
            "19121212-1213",          // check digit
            "19121312-1212",          // no 13th month (and check digit)
            "Dnr KS 2026/1234",       // a diarienummer
            "tel 070-123 45 67",      // a telephone number
            "§ 12, 2026-12-06",       // a date
            "9191212121212",          // 13 digits: part of a longer run
            "1191212121212",          // the same, a digit before
            "20991212-1210",          // a birth date in the future
            "konto 1212121212121212", // a long account number
        ] {
            assert!(found(text).is_empty(), "{text}: {:?}", found(text));
        }
    }

    #[test]
    fn found_ranges_cover_whole_characters_and_do_not_overlap() {
        let text = "Åsa 19121212‐1212 och Öjvind 121212-1212";
        let ranges = find_personnummer(text, today());
        assert_eq!(ranges.len(), 2);
        assert!(ranges[0].end <= ranges[1].start);
        for r in ranges {
            assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
        }
    }

    /// Any valid number, in any written form, amid any words, is found exactly.
    #[test]
    fn any_number_in_any_form_is_found_amid_words() {
        arbtest::arbtest(|u| {
            let date = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap()
                + chrono::Duration::days(u.int_in_range(0..=45_000)?);
            let samordning = u.arbitrary::<bool>()?;
            let serial: u32 = u.int_in_range(0..=999)?;
            let day = date.format("%d").to_string().parse::<u32>().unwrap()
                + if samordning { 60 } else { 0 };
            let nine = format!("{}{day:02}{serial:03}", date.format("%y%m"));
            let check = {
                let sum: u32 = nine
                    .bytes()
                    .enumerate()
                    .map(|(i, b)| {
                        let p = u32::from(b - b'0') * if i % 2 == 0 { 2 } else { 1 };
                        p / 10 + p % 10
                    })
                    .sum();
                (10 - sum % 10) % 10
            };
            let (head10, tail) = (&nine[..6], format!("{}{check}", &nine[6..]));
            let century = date.format("%C").to_string();
            let sep = *u.choose(&["-", "", " - ", "\u{2013}"])?;
            let number = match u.int_in_range(0..=2)? {
                0 => format!("{century}{head10}{sep}{tail}"),
                1 if date.year() >= 1927 => format!("{head10}{sep}{tail}"),
                _ => format!("{century}{head10}{tail}"),
            };
            let before = *u.choose(&["", "Sökande ", "(", "pnr: ", "Åsa, "])?;
            let after = *u.choose(&["", " beviljas", ")", ", och", "."])?;
            let text = format!("{before}{number}{after}");
            assert_eq!(
                find_personnummer(&text, today()),
                vec![before.len()..before.len() + number.len()],
                "{text}"
            );
            Ok(())
        });
    }
}
