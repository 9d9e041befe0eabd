//! Reading the workspace's Rust sources, without the parts that are tests.

use std::path::{Path, PathBuf};

/// The repository root (two levels above this crate).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root exists")
}

/// One source file: its path relative to the repository root and its text
/// without comments, string contents kept.
pub struct SourceFile {
    pub path: String,
    pub text: String,
}

/// Every `.rs` file under `dir` (relative to the repository root), sorted.
pub fn rust_files(dir: &str) -> Vec<SourceFile> {
    let root = repo_root();
    let mut out = Vec::new();
    let mut stack = vec![root.join(dir)];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                let rel = path
                    .strip_prefix(&root)
                    .expect("under the root")
                    .to_string_lossy()
                    .into_owned();
                out.push(SourceFile {
                    path: rel,
                    text: strip_comments(&text),
                });
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// Whether a file holds only tests (`tests.rs`, `*_tests.rs`, a `tests/`
/// folder of a crate, the test-support modules).
pub fn is_test_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name == "tests.rs"
        || name.ends_with("_tests.rs")
        || name == "test_support.rs"
        || name == "sdk_vectors.rs"
        || path.split('/').any(|part| part == "tests")
}

/// The text of a file before its first `#[cfg(test)]` item: the crate's
/// convention puts test modules last, so what follows is test code.
pub fn non_test_text(text: &str) -> &str {
    match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    }
}

/// `text` with `//` and `/* */` comments removed (line breaks kept), so
/// words in comments and doc comments do not count as code. String, raw
/// string and char literals are kept as they are.
pub fn strip_comments(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let at = |k: usize| chars.get(k).copied();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '/' && at(i + 1) == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == Some('*') {
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && at(i + 1) == Some('/')) {
                if chars[i] == '\n' {
                    out.push('\n');
                }
                i += 1;
            }
            i += 2;
        } else if c == 'r' && matches!(at(i + 1), Some('"' | '#')) {
            // A raw string: r"…", r#"…"#, …
            let mut hashes = 0;
            let mut k = i + 1;
            while at(k) == Some('#') {
                hashes += 1;
                k += 1;
            }
            if at(k) != Some('"') {
                out.push(c);
                i += 1;
                continue;
            }
            let mut end = k + 1;
            while end < chars.len() {
                if chars[end] == '"' && (1..=hashes).all(|h| at(end + h) == Some('#')) {
                    end += 1 + hashes;
                    break;
                }
                end += 1;
            }
            out.extend(&chars[i..end.min(chars.len())]);
            i = end;
        } else if c == '"' {
            let mut end = i + 1;
            while end < chars.len() && chars[end] != '"' {
                end += if chars[end] == '\\' { 2 } else { 1 };
            }
            end = (end + 1).min(chars.len());
            out.extend(&chars[i..end]);
            i = end;
        } else if c == '\'' && at(i + 1) == Some('\\') {
            // An escaped char literal such as '\'' or '\\'.
            let mut end = i + 3;
            while end < chars.len() && chars[end] != '\'' {
                end += 1;
            }
            end = (end + 1).min(chars.len());
            out.extend(&chars[i..end]);
            i = end;
        } else if c == '\'' && at(i + 2) == Some('\'') {
            out.extend(&chars[i..i + 3]);
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_go_and_strings_stay() {
        let text = "let a = \"// not a comment\"; // a comment\n/* block\n */ let b = '\"'; \
                    let c = r#\"x \" // y\"#; let d = '\\''; // z";
        let stripped = strip_comments(text);
        assert!(stripped.contains("\"// not a comment\""), "{stripped}");
        assert!(!stripped.contains("a comment\n"), "{stripped}");
        assert!(!stripped.contains("block"), "{stripped}");
        assert!(stripped.contains("let b = '\"';"), "{stripped}");
        assert!(stripped.contains("r#\"x \" // y\"#"), "{stripped}");
        assert!(
            stripped.contains("'\\''") && !stripped.contains('z'),
            "{stripped}"
        );
        assert_eq!(stripped.matches('\n').count(), 2);
    }

    #[test]
    fn test_files_are_recognised() {
        assert!(is_test_file("crates/livecut/src/db/queue/tests.rs"));
        assert!(is_test_file("crates/livecut-auth/src/tamper_tests.rs"));
        assert!(is_test_file("crates/livecut/tests/integration/main.rs"));
        assert!(!is_test_file("crates/livecut/src/db/queue.rs"));
    }
}
