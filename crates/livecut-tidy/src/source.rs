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

/// What a stretch of source text is, for the checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Code,
    /// A string literal, quotes (and a raw string's `r#`) included.
    Str,
    /// A char literal.
    Char,
    Comment,
}

/// `text` cut into stretches of code, comments and literals, in order.
/// Just enough of Rust's lexer for these checks: `//` and `/* */`
/// comments, plain and raw strings with escapes, char literals (told
/// from lifetimes by their closing quote).
fn lex(text: &str) -> Vec<(Kind, String)> {
    let chars: Vec<char> = text.chars().collect();
    let at = |k: usize| chars.get(k).copied();
    let mut out: Vec<(Kind, String)> = Vec::new();
    let mut push = |kind: Kind, piece: &[char]| match out.last_mut() {
        Some((k, s)) if *k == kind && kind == Kind::Code => s.extend(piece),
        _ => out.push((kind, piece.iter().collect())),
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let (kind, end) = if c == '/' && at(i + 1) == Some('/') {
            let mut end = i;
            while end < chars.len() && chars[end] != '\n' {
                end += 1;
            }
            (Kind::Comment, end)
        } else if c == '/' && at(i + 1) == Some('*') {
            let mut end = i + 2;
            while end < chars.len() && !(chars[end] == '*' && at(end + 1) == Some('/')) {
                end += 1;
            }
            (Kind::Comment, (end + 2).min(chars.len()))
        } else if c == 'r' && matches!(at(i + 1), Some('"' | '#')) {
            // A raw string r"…", r#"…"#, …, or a raw identifier r#name.
            let mut hashes = 0;
            let mut k = i + 1;
            while at(k) == Some('#') {
                hashes += 1;
                k += 1;
            }
            if at(k) == Some('"') {
                let mut end = k + 1;
                while end < chars.len()
                    && !(chars[end] == '"' && (1..=hashes).all(|h| at(end + h) == Some('#')))
                {
                    end += 1;
                }
                (Kind::Str, (end + 1 + hashes).min(chars.len()))
            } else {
                (Kind::Code, i + 1)
            }
        } else if c == '"' {
            let mut end = i + 1;
            while end < chars.len() && chars[end] != '"' {
                end += if chars[end] == '\\' { 2 } else { 1 };
            }
            (Kind::Str, (end + 1).min(chars.len()))
        } else if c == '\'' && at(i + 1) == Some('\\') {
            // An escaped char literal such as '\'' or '\\'.
            let mut end = i + 3;
            while end < chars.len() && chars[end] != '\'' {
                end += 1;
            }
            (Kind::Char, (end + 1).min(chars.len()))
        } else if c == '\'' && at(i + 2) == Some('\'') {
            (Kind::Char, i + 3)
        } else {
            (Kind::Code, i + 1)
        };
        let end = end.min(chars.len());
        push(kind, &chars[i..end]);
        i = end;
    }
    out
}

/// `text` with `//` and `/* */` comments removed (line breaks kept), so
/// words in comments and doc comments do not count as code. String, raw
/// string and char literals are kept as they are.
pub fn strip_comments(text: &str) -> String {
    lex(text)
        .into_iter()
        .map(|(kind, piece)| match kind {
            Kind::Comment => piece.chars().filter(|&c| c == '\n').collect(),
            _ => piece,
        })
        .collect()
}

/// The contents of the plain string literals of `text` (raw strings are
/// left out: they hold JSON and SQL, never an error code).
pub fn string_literals(text: &str) -> Vec<String> {
    lex(text)
        .into_iter()
        .filter(|(kind, _)| *kind == Kind::Str)
        .filter_map(|(_, piece)| {
            let inner = piece.strip_prefix('"')?;
            Some(inner.strip_suffix('"').unwrap_or(inner).to_string())
        })
        .collect()
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
    fn string_literals_are_their_contents() {
        let text = r##"a("x", "Forbidden.RAM"); let b = r#"{"k": "v"}"#; // "no""##;
        assert_eq!(string_literals(text), ["x", "Forbidden.RAM"]);
        assert_eq!(string_literals(r#"f("a \" b")"#), [r#"a \" b"#]);
    }

    #[test]
    fn test_files_are_recognised() {
        assert!(is_test_file("crates/livecut/src/db/queue/tests.rs"));
        assert!(is_test_file("crates/livecut-auth/src/tamper_tests.rs"));
        assert!(is_test_file("crates/livecut/tests/integration/main.rs"));
        assert!(!is_test_file("crates/livecut/src/db/queue.rs"));
    }
}
