//! The PDF/A claim: what an input claims and what its archive version claims (the rules are
//! in the docs of the `attachments` module).

/// A PDF/A claim: part (1-4) and conformance level (A, B, U, F, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PdfaClaim {
    pub part: u8,
    pub conformance: char,
}

impl std::fmt::Display for PdfaClaim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PDF/A-{}{}",
            self.part,
            self.conformance.to_ascii_lowercase()
        )
    }
}

/// The part and level the archive version claims for an input claim (see the module docs).
pub fn archive_claim(input: PdfaClaim) -> PdfaClaim {
    match (input.part, input.conformance) {
        (4.., _) => PdfaClaim {
            part: 4,
            conformance: 'F',
        },
        // Our page carries /ToUnicode but no structure tags: A holds as U, U stays U.
        (_, 'A' | 'U') => PdfaClaim {
            part: 3,
            conformance: 'U',
        },
        _ => PdfaClaim {
            part: 3,
            conformance: 'B',
        },
    }
}

/// The claim that pdfaid `part` and `conformance` values make, if they make one.
pub(super) fn parse_claim(part: Option<&str>, conformance: Option<&str>) -> Option<PdfaClaim> {
    let part: u8 = part?.trim().parse().ok()?;
    if part == 0 {
        return None;
    }
    let conformance = conformance
        .and_then(|c| c.trim().chars().next())
        .map(|c| c.to_ascii_uppercase())
        // PDF/A-4 has no level letter; earlier parts without one are taken as B.
        .unwrap_or(if part >= 4 { 'F' } else { 'B' });
    Some(PdfaClaim { part, conformance })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::attachments::tests::claim;

    #[test]
    fn claims_map_to_pdfa_3_at_the_level_that_stays_true() {
        for (input, expected) in [
            (claim(1, 'B'), claim(3, 'B')),
            (claim(2, 'B'), claim(3, 'B')),
            (claim(3, 'B'), claim(3, 'B')),
            (claim(2, 'U'), claim(3, 'U')),
            (claim(1, 'A'), claim(3, 'U')),
            (claim(2, 'A'), claim(3, 'U')),
            (claim(3, 'A'), claim(3, 'U')),
            (claim(4, 'F'), claim(4, 'F')),
            (claim(4, 'E'), claim(4, 'F')),
        ] {
            assert_eq!(archive_claim(input), expected, "{input}");
        }
        assert_eq!(claim(3, 'B').to_string(), "PDF/A-3b");
    }
}
