//! The library's layers, as ARCHITECTURE.md draws them, checked on the
//! source: which top-level module may use which, and inside each folder
//! module, that no file uses a file that uses it back (imports run one way).
//!
//! Only code counts: comment lines (doc links among them) are skipped, since
//! a doc link is no dependency.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Each top-level module and the top-level modules its code may name.
/// Keep in step with ARCHITECTURE.md ("What may use what").
const ALLOWED: &[(&str, &[&str])] = &[
    ("text", &[]),
    ("timer", &[]),
    ("auth", &[]),
    ("datetime", &[]),
    ("tls", &[]),
    ("pdu", &[]),
    ("receipt", &["datetime", "pdu", "text"]),
    ("session", &["auth", "pdu", "timer"]),
    (
        "runtime",
        &["auth", "pdu", "receipt", "session", "timer", "tls"],
    ),
    ("compose", &["datetime", "pdu", "text"]),
    (
        "smsc_sim",
        &["auth", "datetime", "pdu", "receipt", "runtime", "session"],
    ),
    (
        "daemon",
        &[
            "auth", "compose", "datetime", "pdu", "receipt", "runtime", "session", "text", "tls",
        ],
    ),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `path` (or `path` itself).
fn rust_files(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut out = Vec::new();
    let mut entries: Vec<_> = fs::read_dir(path)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
    out
}

/// The code of a file: its lines without comment lines, and without the
/// `#[cfg(test)] mod tests` block that ends most files (tests may reach
/// anywhere).
fn code(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap();
    let mut out = String::new();
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") {
            break;
        }
        if t.starts_with("//") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The identifiers that follow `prefix` in `code` (`crate::pdu::X` with
/// prefix `crate::` gives `pdu`), including those inside a `use
/// prefix{a, b::c}` group.
fn names_after(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find(prefix) {
        let before = rest[..i].chars().next_back();
        rest = &rest[i + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
            continue;
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            out.insert(name);
        }
    }
    out
}

fn module_path(name: &str) -> PathBuf {
    let dir = src().join(name);
    if dir.is_dir() {
        dir
    } else {
        src().join(format!("{name}.rs"))
    }
}

#[test]
fn top_level_modules_use_only_the_layers_below() {
    let allowed: BTreeMap<&str, BTreeSet<&str>> = ALLOWED
        .iter()
        .map(|(m, deps)| (*m, deps.iter().copied().collect()))
        .collect();
    // Every module in lib.rs is in the table.
    let lib = fs::read_to_string(src().join("lib.rs")).unwrap();
    for name in names_after(&lib, "pub mod ") {
        assert!(
            allowed.contains_key(name.as_str()),
            "src/lib.rs declares `{name}`, which tests/layering.rs and ARCHITECTURE.md do not place"
        );
    }
    let mut wrong = Vec::new();
    for (module, deps) in &allowed {
        for file in rust_files(&module_path(module)) {
            for used in names_after(&code(&file), "crate::") {
                if used != *module
                    && allowed.contains_key(used.as_str())
                    && !deps.contains(used.as_str())
                {
                    wrong.push(format!(
                        "{} uses crate::{used}",
                        file.strip_prefix(src()).unwrap().display()
                    ));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "uses against the layering (ARCHITECTURE.md):\n{}",
        wrong.join("\n")
    );
}

/// The files of a folder module and, for each, the sibling files its code
/// names through `super::` or `crate::PATH::`.
fn sibling_graph(dir: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let rel = dir.strip_prefix(src()).unwrap();
    let crate_prefix = format!(
        "crate::{}::",
        rel.to_str()
            .unwrap()
            .replace(std::path::MAIN_SEPARATOR, "::")
    );
    let siblings: BTreeSet<String> = fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            let stem = p.file_stem()?.to_str()?.to_string();
            (stem != "mod" && (p.is_dir() || p.extension().is_some_and(|e| e == "rs")))
                .then_some(stem)
        })
        .collect();
    let mut graph = BTreeMap::new();
    for name in &siblings {
        let path = if dir.join(name).is_dir() {
            dir.join(name)
        } else {
            dir.join(format!("{name}.rs"))
        };
        let mut uses = BTreeSet::new();
        for file in rust_files(&path) {
            let code = code(&file);
            let direct_child = file.parent() == Some(dir);
            let mut named = names_after(&code, &crate_prefix);
            if direct_child {
                named.extend(names_after(&code, "super::"));
            }
            uses.extend(
                named
                    .into_iter()
                    .filter(|n| n != name && siblings.contains(n)),
            );
        }
        graph.insert(name.clone(), uses);
    }
    graph
}

/// A cycle in `graph`, if there is one, as the list of its nodes.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[i..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(c) = visit(node, graph, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

/// Folder modules whose files still use each other both ways, with the
/// reason. Empty is the goal.
const KNOWN_CYCLES: &[&str] = &[];

#[test]
fn files_inside_a_module_import_one_way() {
    let mut dirs = Vec::new();
    let mut stack = vec![src()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p.clone());
                dirs.push(p);
            }
        }
    }
    dirs.sort();
    let mut wrong = Vec::new();
    for dir in dirs {
        let rel = dir.strip_prefix(src()).unwrap().display().to_string();
        let cycle = find_cycle(&sibling_graph(&dir));
        match (cycle, KNOWN_CYCLES.contains(&rel.as_str())) {
            (Some(c), false) => wrong.push(format!("src/{rel}: {}", c.join(" -> "))),
            (None, true) => wrong.push(format!(
                "src/{rel} imports one way now: take it out of KNOWN_CYCLES"
            )),
            _ => {}
        }
    }
    assert!(
        wrong.is_empty(),
        "files that use each other both ways:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let g = |edges: &[(&str, &str)]| {
        let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (a, b) in edges {
            g.entry(a.to_string()).or_default().insert(b.to_string());
            g.entry(b.to_string()).or_default();
        }
        g
    };
    assert_eq!(find_cycle(&g(&[("a", "b"), ("b", "c")])), None);
    assert_eq!(
        find_cycle(&g(&[("a", "b"), ("b", "c"), ("c", "a")])),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    assert_eq!(
        names_after(
            "use super::{tls, sync::Semaphore};\nsuper::worker::X",
            "super::"
        ),
        ["sync", "tls", "worker"]
            .into_iter()
            .map(String::from)
            .collect()
    );
}
