//! The media engine's import graph runs downwards only: a module uses its
//! own layer's foundation pieces or lower layers, never a layer above it,
//! and the two kinds of modes never use each other (both stand on
//! `select` and `transcode`). The layers are the code map of
//! `docs/ARCHITECTURE.md` and the module list of `livecut-media/src/lib.rs`.

use std::collections::{BTreeMap, BTreeSet};

use crate::source::{is_test_file, non_test_text, rust_files};

const SRC: &str = "crates/livecut-media/src";

/// Lowest first. Only the foundation's modules may use each other (without
/// a cycle); in every other layer a module is alone or stands beside peers
/// it must not use.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "foundation",
        &[
            "bitstream",
            "codec",
            "error",
            "fetch",
            "geometry",
            "job",
            "progress",
            "timeline",
        ],
    ),
    ("av", &["av"]),
    ("select", &["select"]),
    ("transcode", &["transcode"]),
    (
        "modes",
        &[
            "copy",
            "cover",
            "hls_output",
            "probe",
            "reencode",
            "testgen",
        ],
    ),
    ("dispatch", &["cut"]),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, ms)| ms.contains(&module))
}

/// The top-level module a file of `SRC` belongs to (`select/index.rs` ->
/// `select`, `probe.rs` -> `probe`), `None` for `lib.rs`.
fn module_of(path: &str) -> Option<String> {
    let rel = path.strip_prefix(SRC)?.trim_start_matches('/');
    let first = rel.split('/').next()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib").then(|| name.to_string())
}

/// The crate root's re-exports: `pub use error::MediaError;` makes
/// `crate::MediaError` a use of `error`.
fn root_reexports(lib: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for stmt in lib.split(';') {
        let Some(rest) = stmt.trim().strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, items)) = rest.split_once("::") else {
            continue;
        };
        let items = items.trim_matches(|c| c == '{' || c == '}' || c == ' ');
        for item in items.split(',') {
            let name = item.trim();
            if !name.is_empty() {
                map.insert(name.to_string(), module.trim().to_string());
            }
        }
    }
    map
}

/// The top-level names a text uses through `crate::`: `crate::a::b`,
/// `crate::{a, b::c}` (first segment of each path in the group).
fn crate_uses(text: &str) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        let before = rest[..i].chars().next_back();
        rest = &rest[i + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // e.g. `livecut_media::crate::` never occurs; `mycrate::` does
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut item = String::new();
            let mut at_start = true;
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => {
                        if !item.is_empty() {
                            used.insert(std::mem::take(&mut item));
                        }
                        at_start = true;
                        continue;
                    }
                    _ => {}
                }
                if depth == 1 && at_start {
                    if c.is_alphanumeric() || c == '_' {
                        item.push(c);
                    } else if item.is_empty() {
                        continue; // spaces before the path
                    } else {
                        used.insert(std::mem::take(&mut item));
                        at_start = false;
                    }
                }
            }
            if !item.is_empty() {
                used.insert(item);
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                used.insert(name);
            }
        }
    }
    used
}

/// module -> the modules it uses (test code left out).
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let files = rust_files(SRC);
    let lib = files
        .iter()
        .find(|f| f.path.ends_with("/lib.rs"))
        .expect("lib.rs");
    let reexports = root_reexports(&lib.text);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let Some(module) = module_of(&file.path) else {
            continue;
        };
        let edges = graph.entry(module.clone()).or_default();
        if is_test_file(&file.path) {
            continue;
        }
        for name in crate_uses(non_test_text(&file.text)) {
            let target = reexports.get(&name).cloned().unwrap_or(name);
            if target != module {
                edges.insert(target);
            }
        }
    }
    graph
}

#[test]
fn every_module_has_a_layer() {
    let unplaced: Vec<String> = graph()
        .into_keys()
        .filter(|m| layer_of(m).is_none())
        .collect();
    assert!(
        unplaced.is_empty(),
        "modules of livecut-media with no layer in this check and in docs/ARCHITECTURE.md: {unplaced:?}"
    );
}

/// Paths that climb out of a module with `super::super::` would hide an
/// edge from this check: across top-level modules, code names `crate::`.
#[test]
fn no_path_climbs_two_levels() {
    let found: Vec<String> = rust_files(SRC)
        .into_iter()
        .filter(|f| f.text.contains("super::super::"))
        .map(|f| f.path)
        .collect();
    assert!(
        found.is_empty(),
        "use crate:: paths instead of super::super:: in {found:?}"
    );
}

#[test]
fn imports_run_only_downwards() {
    let graph = graph();
    let mut wrong = Vec::new();
    for (from, targets) in &graph {
        let Some(lf) = layer_of(from) else { continue };
        for to in targets {
            let Some(lt) = layer_of(to) else {
                wrong.push(format!("{from} -> {to} (not a module of the crate?)"));
                continue;
            };
            if lt > lf || (lt == lf && LAYERS[lf].0 != "foundation") {
                wrong.push(format!(
                    "{from} ({}) -> {to} ({})",
                    LAYERS[lf].0, LAYERS[lt].0
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_foundation_has_no_cycle() {
    let graph = graph();
    let foundation = LAYERS[0].1;
    // Depth-first search for a back edge among the foundation's modules.
    fn visit<'a>(
        m: &'a str,
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        foundation: &[&str],
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<String> {
        if let Some(i) = path.iter().position(|p| *p == m) {
            return Some(format!("{} -> {m}", path[i..].join(" -> ")));
        }
        if !done.insert(m) {
            return None;
        }
        path.push(m);
        for to in graph.get(m).into_iter().flatten() {
            if foundation.contains(&to.as_str())
                && let Some(cycle) = visit(to, graph, foundation, path, done)
            {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    for m in foundation {
        let cycle = visit(m, &graph, foundation, &mut Vec::new(), &mut done);
        assert!(cycle.is_none(), "a cycle in the foundation: {cycle:?}");
    }
}

#[test]
fn uses_are_read_from_use_groups_and_paths() {
    let text = "use crate::{ClipInput, av::decode, select::{self, index}};\nlet x = crate::timeline::TICKS;";
    let used: Vec<String> = crate_uses(text).into_iter().collect();
    assert_eq!(used, ["ClipInput", "av", "select", "timeline"]);
    let lib = "pub use error::MediaError;\npub use job::{ClipInput, CutJob};";
    let map = root_reexports(lib);
    assert_eq!(map["MediaError"], "error");
    assert_eq!(map["CutJob"], "job");
}
