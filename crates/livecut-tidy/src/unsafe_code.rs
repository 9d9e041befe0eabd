//! `unsafe` lives in the media engine's `av/` (libav) and in the one
//! `prctl` of the service's media child; `transmute` nowhere. The compiler
//! enforces the first with `#![deny(unsafe_code)]` / `#![forbid(unsafe_code)]`
//! in every crate; this check also catches a crate root that lost its
//! attribute.

use crate::source::{SourceFile, rust_files};

/// Where `unsafe` may appear, and how often at most.
const ALLOWED: &[(&str, usize)] = &[
    ("crates/livecut-media/src/av/", usize::MAX),
    // PR_SET_PDEATHSIG: the child dies with its worker.
    ("crates/livecut/src/worker/media_job.rs", 1),
];

/// Every source file but this crate's (whose checks spell the words).
fn scanned() -> Vec<SourceFile> {
    rust_files("crates")
        .into_iter()
        .filter(|f| !f.path.starts_with("crates/livecut-tidy/"))
        .collect()
}

fn word_count(text: &str, word: &str) -> usize {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(word)
        .filter(|(i, _)| {
            let before = text[..*i].chars().next_back();
            let after = text[i + word.len()..].chars().next();
            !before.is_some_and(ident) && !after.is_some_and(ident)
        })
        .count()
}

#[test]
fn unsafe_code_stays_where_it_is_allowed() {
    let mut wrong = Vec::new();
    for file in scanned() {
        // Attributes such as `deny(unsafe_code)` are not unsafe code.
        let n = word_count(&file.text, "unsafe");
        if n == 0 {
            continue;
        }
        let allowed = ALLOWED
            .iter()
            .find(|(p, _)| file.path.starts_with(p))
            .map_or(0, |(_, max)| *max);
        if n > allowed {
            wrong.push(format!("{}: {n} times `unsafe`", file.path));
        }
    }
    assert!(
        wrong.is_empty(),
        "unsafe outside its places:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_transmute() {
    let found: Vec<String> = scanned()
        .into_iter()
        .filter(|f| word_count(&f.text, "transmute") > 0)
        .map(|f| f.path)
        .collect();
    assert!(found.is_empty(), "transmute in {found:?}");
}

#[test]
fn every_crate_root_denies_or_forbids_unsafe_code() {
    let mut missing = Vec::new();
    for file in rust_files("crates") {
        let root = file.path.ends_with("/src/lib.rs") || file.path.ends_with("/src/main.rs");
        if root
            && !file.text.contains("#![forbid(unsafe_code)]")
            && !file.text.contains("#![deny(unsafe_code)]")
        {
            missing.push(file.path);
        }
    }
    assert!(
        missing.is_empty(),
        "crate roots without an unsafe_code lint: {missing:?}"
    );
}

#[test]
fn words_are_counted_whole() {
    assert_eq!(word_count("let unsafe_name = 1; unsafe { x }", "unsafe"), 1);
    assert_eq!(word_count("#![deny(unsafe_code)]", "unsafe"), 0);
}
