//! `docs/ARCHITECTURE.md` names files and folders; each must exist, so a
//! move that forgets the map fails the suite.

use std::path::Path;

use crate::source::repo_root;

const EXTENSIONS: &[&str] = &[".rs", ".md", ".py", ".js", ".sh", ".toml", ".sql", ".txt"];

/// A backticked token that names a file or folder of the repository.
fn is_path(token: &str) -> bool {
    !token.is_empty()
        && token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./-".contains(c))
        && (token.ends_with('/') || EXTENSIONS.iter().any(|e| token.ends_with(e)))
}

fn backticked(line: &str) -> Vec<&str> {
    line.split('`').skip(1).step_by(2).collect()
}

/// Every path token of `doc` that exists nowhere it may be relative to:
/// the repository root, the folder of the section (a heading that names a
/// folder, like "### `crates/livecut/src`"), or the folder of the first
/// path of the same table row (`job/validate.rs` (+ `validate/tests.rs`)).
/// A line "Paths in this section are in `dir`." sets the section's folder too.
fn missing_paths(doc: &str, root: &Path) -> Vec<String> {
    let mut missing = Vec::new();
    let mut base: Option<String> = None;
    for (n, line) in doc.lines().enumerate() {
        // A heading naming a folder, or a line "Paths in this section are in `dir`.",
        // sets the folder that the section's paths are relative to.
        if line.starts_with('#') || line.starts_with("Paths in this section are in") {
            base = backticked(line)
                .into_iter()
                .find(|t| root.join(t).is_dir())
                .map(str::to_string);
            continue;
        }
        let tokens: Vec<&str> = backticked(line)
            .into_iter()
            .filter(|t| is_path(t))
            .collect();
        let row_dir = tokens.first().and_then(|first| {
            let b = base.as_deref().unwrap_or("");
            let p = root.join(b).join(first);
            let dir = if first.ends_with('/') {
                p
            } else {
                p.parent()?.to_path_buf()
            };
            Some(dir)
        });
        for token in tokens {
            let mut candidates = vec![root.join(token)];
            if let Some(b) = &base {
                candidates.push(root.join(b).join(token));
                if let Some(parent) = root.join(b).parent() {
                    candidates.push(parent.join(token));
                }
            }
            if let Some(d) = &row_dir {
                candidates.push(d.join(token));
            }
            if !candidates.iter().any(|c| c.exists()) {
                missing.push(format!("line {}: `{token}`", n + 1));
            }
        }
    }
    missing
}

#[test]
fn every_path_the_architecture_document_names_exists() {
    let root = repo_root();
    for doc in ["docs/ARCHITECTURE.md", "docs/CONTRIBUTING.md"] {
        let text = std::fs::read_to_string(root.join(doc)).expect(doc);
        let missing = missing_paths(&text, &root);
        assert!(
            missing.is_empty(),
            "{doc} names paths that do not exist:\n{}",
            missing.join("\n")
        );
    }
}

#[test]
fn the_check_sees_paths_and_reports_missing_ones() {
    assert!(is_path("api/mod.rs") && is_path("cut/") && is_path("scripts/setup-debian.sh"));
    assert!(!is_path("avc1") && !is_path("a.mp4") && !is_path("Clips[2].EndTime"));
    let root = repo_root();
    let doc = "### `crates/livecut/src`\n| `api/mod.rs`, `nowhere.rs` | x |\n| `job/validate.rs` (+ `validate/tests.rs`) | y |\n";
    assert_eq!(
        missing_paths(doc, &root),
        vec!["line 2: `nowhere.rs`".to_string()]
    );
}
