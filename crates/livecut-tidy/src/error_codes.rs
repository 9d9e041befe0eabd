//! The Alibaba error codes (`InvalidParameter.NotSupported`, `Forbidden.RAM`,
//! ...) are spelled in one module of the service, which maps the typed
//! errors of every other part to them; elsewhere a code is a type, never a
//! string.

use crate::source::{is_test_file, non_test_text, rust_files, string_literals};

/// The service's one code module.
const CODE_MODULE: &str = "crates/livecut/src/code.rs";

/// First segments of the codes the API speaks.
const FAMILIES: &[&str] = &[
    "InvalidParameter",
    "MissingParameter",
    "InternalError",
    "NotFound",
    "Forbidden",
    "SignatureDoesNotMatch",
    "SignatureNonceUsed",
    "IncompleteSignature",
    "InvalidAccessKeyId",
    "InvalidTimeStamp",
    "InvalidAction",
    "InvalidVersion",
    "Throttling",
    "ServiceUnavailable",
];

fn is_code(literal: &str) -> bool {
    let mut parts = literal.split('.');
    let first = parts.next().unwrap_or("");
    FAMILIES.contains(&first)
        && parts.all(|p| !p.is_empty() && p.chars().all(char::is_alphanumeric))
}

#[test]
fn alibaba_codes_are_spelled_only_in_the_code_module() {
    let mut found = Vec::new();
    for file in rust_files("crates") {
        if file.path == CODE_MODULE
            || is_test_file(&file.path)
            || file.path.starts_with("crates/livecut-testkit/")
            || file.path.starts_with("crates/livecut-tidy/")
        {
            continue;
        }
        for literal in string_literals(non_test_text(&file.text)) {
            if is_code(&literal) {
                found.push(format!("{}: \"{literal}\"", file.path));
            }
        }
    }
    assert!(
        std::path::Path::new(&crate::source::repo_root().join(CODE_MODULE)).exists(),
        "{CODE_MODULE} is missing"
    );
    assert!(
        found.is_empty(),
        "Alibaba codes outside {CODE_MODULE}:\n{}",
        found.join("\n")
    );
}

#[test]
fn codes_are_recognised() {
    assert!(is_code("InvalidParameter.ResourceNotFound") && is_code("NotFound"));
    assert!(!is_code("NotFound yet") && !is_code("InvalidParameter.") && !is_code("Normal"));
    assert_eq!(
        string_literals(r#"a("x", "Forbidden.RAM")"#),
        ["x", "Forbidden.RAM"]
    );
}
