//! The layers of ARCHITECTURE.md, checked in the source: pure rules (and the error table's
//! trait, `crate::error`) at the bottom, then ports
//! and the repositories, then the use cases, then web, lambda and config at the edges, and the
//! adapters beside them implementing ports. A use case that reaches into the web layer or an
//! adapter fails here, not in review.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, with its production part: test-only files (`test_app.rs`,
/// `test_support.rs`, `*_tests.rs`) are skipped, and a
/// file's own test modules (they come last, after `#[cfg(test)]`) are cut off.
fn production_sources(dir: &str) -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("a source directory") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir);
    let mut files = Vec::new();
    walk(&root, &mut files);
    assert!(!files.is_empty(), "no sources under {}", root.display());
    files
        .into_iter()
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            !matches!(name, "test_app.rs" | "test_support.rs") && !name.ends_with("_tests.rs")
        })
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("a source file");
            let production = text
                .split("\n#[cfg(test)]")
                .next()
                .unwrap_or_default()
                .split("\n#[cfg(all(test")
                .next()
                .unwrap_or_default()
                .to_string();
            (p, production)
        })
        .collect()
}

/// Which modules of the crate each layer's production code may name.
fn check(layer: &str, allowed: &[&str]) {
    let mut wrong = Vec::new();
    for (path, text) in production_sources(layer) {
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            for (at, _) in code.match_indices("crate::") {
                let module: String = code[at + "crate::".len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !allowed.contains(&module.as_str()) {
                    wrong.push(format!("{}:{}: crate::{module}", path.display(), i + 1));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{layer} may use only {allowed:?}, but:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_domain_is_pure() {
    check("domain", &["domain", "error"]);
}

#[test]
fn rendering_reads_only_the_domain() {
    check("render", &["domain", "error", "render"]);
}

#[test]
fn the_repositories_sit_on_the_ports() {
    check("repo", &["domain", "ports", "repo"]);
}

#[test]
fn the_use_cases_know_no_web_lambda_config_or_adapter() {
    check(
        "app",
        &[
            "app",
            "domain",
            "error",
            "ports",
            "repo",
            "render",
            "pdf",
            "archive",
            "bankid",
            "x509",
            "revocation",
        ],
    );
}

#[test]
fn the_ports_name_only_the_domain_and_the_traits_they_reexport() {
    check("ports", &["domain", "ports", "pdf", "revocation"]);
}

#[test]
fn the_adapters_implement_ports_and_build_nothing_else() {
    check(
        "adapters",
        &[
            "adapters", "domain", "error", "ports", "repo", "pdf", "x509",
        ],
    );
}

/// Making a signature and checking one share only `pdf::signed_data` (and the PDF plumbing):
/// the verifier must not trust code the seal relies on to be right, and the reverse.
#[test]
fn signing_and_validating_do_not_import_each_other() {
    for (side, other) in [("pdf/sign", "validate"), ("pdf/validate", "sign")] {
        let wrong: Vec<String> = production_sources(side)
            .into_iter()
            .flat_map(|(path, text)| {
                let names = [format!("pdf::{other}"), format!("super::{other}")];
                text.lines()
                    .enumerate()
                    .filter(|(_, line)| {
                        let code = line.split("//").next().unwrap_or_default();
                        names.iter().any(|n| names_module(code, n))
                    })
                    .map(|(i, _)| format!("{}:{}", path.display(), i + 1))
                    .collect::<Vec<_>>()
            })
            .collect();
        assert!(
            wrong.is_empty(),
            "{side} imports {other}:\n{}",
            wrong.join("\n")
        );
    }
}

/// `code` names the module path `name` itself (`pdf::sign`, not `pdf::signed_data`).
fn names_module(code: &str, name: &str) -> bool {
    code.match_indices(name).any(|(at, _)| {
        !code[at + name.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}
