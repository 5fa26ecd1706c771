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
    fn emails() {
        assert!(valid_email("anna.andersson@kommun.se"));
        for bad in ["", "anna", "a@b", "a b@c.se", "<a@b.se>", "a@.se"] {
            assert!(!valid_email(bad), "{bad}");
        }
    }
}
