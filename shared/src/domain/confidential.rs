//! Paragraphs under sekretess: the secretary marks them on the order with their ground in the
//! offentlighets- och sekretesslag (OSL), and the publication version leaves them out, with a
//! line saying which paragraph was left out and on what ground. This module holds the rule for
//! what is a paragraph in a protocol's running text (a line that begins with "§" and its
//! number) and how far it runs (to the next such line with a higher number, over page ends:
//! a line of the paragraph's own text that happens to begin "§ 5 i lagen" does not end it).

use std::ops::Range;

use serde::{Deserialize, Serialize};

/// A paragraph of the protocol that is not published, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfidentialParagraph {
    /// Its number: 102 for "§ 102".
    pub paragraph: u32,
    /// The ground, as the secretary writes it: "26 kap. 1 § OSL".
    pub ground: String,
}

/// The longest ground accepted.
pub const MAX_GROUND_CHARS: usize = 200;

impl ConfidentialParagraph {
    /// The line that stands where the paragraph was.
    pub fn note(&self) -> String {
        format!(
            "§ {} har tagits bort ur publiceringsversionen: sekretess enligt {}.",
            self.paragraph,
            self.ground.trim()
        )
    }
}

/// Where each paragraph begins in a page's text: the byte offset of its line and its number.
/// A heading line begins (after spaces) with "§", spaces, and the number, then ends or goes
/// on with a space or a letter: "§ 102 Familjehem", "§102". Not "§§ 101–104", not "§ 5-7".
pub fn paragraph_starts(text: &str) -> Vec<(usize, u32)> {
    let mut out = Vec::new();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix('§') {
            let rest = rest.trim_start_matches([' ', '\u{00A0}']);
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let after = rest[digits.len()..].chars().next();
            let ends_well = after.is_none_or(|c| c.is_whitespace() || c.is_alphabetic());
            if (1..=5).contains(&digits.len()) && ends_well {
                if let Ok(n) = digits.parse() {
                    out.push((line_start, n));
                }
            }
        }
        line_start += line.len();
    }
    out
}

/// One stretch of a page's text that belongs to a confidential paragraph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfidentialStretch {
    pub range: Range<usize>,
    pub paragraph: u32,
}

/// The stretches of a page's `text` inside the `confidential` paragraphs, given the paragraph
/// an earlier page left open; and the confidential paragraph this page leaves open (None when
/// the last paragraph begun is published).
pub fn confidential_stretches(
    text: &str,
    confidential: &[u32],
    open: Option<u32>,
) -> (Vec<ConfidentialStretch>, Option<u32>) {
    let mut out = Vec::new();
    let mut current = open.map(|p| (0, p));
    for (at, number) in paragraph_starts(text) {
        if current.is_some_and(|(_, paragraph)| number <= paragraph) {
            continue;
        }
        if let Some((start, paragraph)) = current.take() {
            out.push(ConfidentialStretch {
                range: start..at,
                paragraph,
            });
        }
        if confidential.contains(&number) {
            current = Some((at, number));
        }
    }
    let left_open = current.map(|(_, p)| p);
    if let Some((start, paragraph)) = current {
        out.push(ConfidentialStretch {
            range: start..text.len(),
            paragraph,
        });
    }
    out.retain(|s| !text[s.range.clone()].trim().is_empty());
    (out, left_open)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "Sammanträdesdatum 2026-11-20. Paragrafer §§ 101–104.\n\
                        § 101 Ekonomiskt bistånd\nSökande ansöker.\n\
                        §102 Familjehem\nBarnet placeras. Beslut enligt\n§ 5 i lagen.\n\
                        § 103 Serveringstillstånd\nBeviljas.\n";

    #[test]
    fn headings_begin_a_line_with_the_sign_and_a_number() {
        let starts: Vec<u32> = paragraph_starts(PAGE).iter().map(|s| s.1).collect();
        assert_eq!(starts, [101, 102, 5, 103]);
        assert!(paragraph_starts("§§ 1–14\n§ 5-7 se ovan\nEnligt § 4.\n").is_empty());
        assert_eq!(paragraph_starts("  § 7\n")[0], (0, 7));
    }

    #[test]
    fn a_confidential_paragraph_runs_to_the_next_heading() {
        let (stretches, open) = confidential_stretches(PAGE, &[102], None);
        assert_eq!(open, None);
        let [s] = stretches.as_slice() else {
            panic!("{stretches:?}")
        };
        assert_eq!(
            &PAGE[s.range.clone()],
            "§102 Familjehem\nBarnet placeras. Beslut enligt\n§ 5 i lagen.\n"
        );
        assert_eq!(s.paragraph, 102);
    }

    #[test]
    fn over_a_page_end_and_to_the_end_of_the_protocol() {
        let (first, open) = confidential_stretches(PAGE, &[103], None);
        assert_eq!(open, Some(103));
        assert!(PAGE[first[0].range.clone()].starts_with("§ 103"));
        assert_eq!(first[0].range.end, PAGE.len());
        let next = "fortsättning av beslutet\n§ 104 Anmälningar\nInga.\n";
        let (second, open) = confidential_stretches(next, &[103], open);
        assert_eq!(open, None);
        assert_eq!(&next[second[0].range.clone()], "fortsättning av beslutet\n");
        // A page with no heading, inside the paragraph: all of it.
        let (third, open) = confidential_stretches("mer text\n", &[9], Some(9));
        assert_eq!((third[0].range.clone(), open), (0..9, Some(9)));
    }

    #[test]
    fn the_note_names_the_paragraph_and_the_ground() {
        let p = ConfidentialParagraph {
            paragraph: 102,
            ground: " 26 kap. 1 § OSL ".into(),
        };
        assert_eq!(
            p.note(),
            "§ 102 har tagits bort ur publiceringsversionen: sekretess enligt 26 kap. 1 § OSL."
        );
    }
}
