//! Checks of free text and addresses that callers send.

use super::AppError;

pub(crate) fn text_field(name: &'static str, value: &str, max: usize) -> Result<String, AppError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(AppError::bad_request(
            "input.missing_field",
            format!("Fältet {name} måste fyllas i."),
            format!("The field {name} is required."),
        ));
    }
    if v.chars().count() > max || v.chars().any(|c| c.is_control() && c != '\n') {
        return Err(AppError::bad_request(
            "input.invalid_field",
            format!("Fältet {name} är för långt eller innehåller otillåtna tecken (högst {max} tecken)."),
            format!("The field {name} is too long or has forbidden characters (at most {max})."),
        ));
    }
    Ok(v.to_string())
}

pub(crate) fn optional_text(
    name: &'static str,
    value: &Option<String>,
    max: usize,
) -> Result<Option<String>, AppError> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => text_field(name, v, max).map(Some),
    }
}

/// Paragraphs under sekretess as the caller marks them: each once, a number a protocol can
/// have, and a ground.
pub(crate) fn confidential_paragraphs(
    marked: &[crate::domain::confidential::ConfidentialParagraph],
) -> Result<Vec<crate::domain::confidential::ConfidentialParagraph>, AppError> {
    use crate::domain::confidential::{ConfidentialParagraph, MAX_GROUND_CHARS};
    let mut out: Vec<ConfidentialParagraph> = Vec::with_capacity(marked.len());
    for c in marked.iter().take(1000) {
        if !(1..=99_999).contains(&c.paragraph) || out.iter().any(|o| o.paragraph == c.paragraph) {
            return Err(AppError::bad_request(
                "input.invalid_confidential",
                format!(
                    "Paragraf {} under sekretess är ogiltig eller angiven två gånger.",
                    c.paragraph
                ),
                format!(
                    "Confidential paragraph {} is invalid or given twice.",
                    c.paragraph
                ),
            ));
        }
        out.push(ConfidentialParagraph {
            paragraph: c.paragraph,
            ground: text_field("confidential.ground", &c.ground, MAX_GROUND_CHARS)?,
        });
    }
    if marked.len() > out.len() {
        return Err(AppError::bad_request(
            "input.invalid_confidential",
            "För många paragrafer under sekretess.",
            "Too many confidential paragraphs.",
        ));
    }
    Ok(out)
}

pub(crate) fn valid_email(e: &str) -> bool {
    let e = e.trim();
    e.len() <= 254
        && e.split_once('@').is_some_and(|(l, d)| {
            !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.')
        })
        && !e
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confidential_paragraphs_each_once_with_a_ground() {
        use crate::domain::confidential::ConfidentialParagraph;
        use crate::error::ErrorText;
        let p = |paragraph: u32, ground: &str| ConfidentialParagraph {
            paragraph,
            ground: ground.into(),
        };
        let ok = confidential_paragraphs(&[p(102, " 26 kap. 1 § OSL "), p(104, "OSL 26:1")]);
        assert_eq!(ok.unwrap()[0].ground, "26 kap. 1 § OSL");
        for bad in [
            vec![p(0, "OSL")],
            vec![p(5, "OSL"), p(5, "OSL")],
            vec![p(5, "  ")],
            vec![p(5, &"x".repeat(201))],
        ] {
            let code = confidential_paragraphs(&bad).unwrap_err().code();
            assert!(code.starts_with("input."), "{bad:?}: {code}");
        }
    }

    #[test]
    fn emails() {
        assert!(valid_email("anna.andersson@kommun.se"));
        for bad in ["", "anna", "a@b", "a b@c.se", "<a@b.se>", "a@.se"] {
            assert!(!valid_email(bad), "{bad}");
        }
    }
}
