//! The shape of the code, checked: the top-level modules of every crate import each other in
//! one direction only (a DAG, read from the `crate::` paths of the sources), no function is
//! longer than 120 lines, and `src/main.rs` stays a thin binary.
//!
//! `cargo test --test architecture -- --nocapture` prints each crate's modules in layers, the
//! bottom first.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The longest function allowed, in lines from its `fn` to its closing brace.
const MAX_FUNCTION_LINES: usize = 120;

/// The longest `src/main.rs` allowed.
const MAX_MAIN_LINES: usize = 300;

/// The crates' source roots, relative to the workspace.
const CRATES: &[&str] = &[
    "src",
    "crates/syntax/src",
    "crates/model/src",
    "crates/policy/src",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if !matches!(
                name.as_str(),
                "target" | "node_modules" | ".git" | "snapshots"
            ) {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

/// The code of a Rust file without its comments and string literals (which may quote paths).
fn code_of(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if text[i..].starts_with("//") {
            i += text[i..].find('\n').unwrap_or(text.len() - i);
        } else if text[i..].starts_with("/*") {
            i += text[i..].find("*/").map_or(text.len() - i, |e| e + 2);
        } else if bytes[i] == b'"' {
            i += 1;
            while i < bytes.len() && bytes[i] != b'"' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else {
            let c = text[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The names a path after `crate::` (or a top-level file's `super::`) reaches: `a` in
/// `crate::a::b`, `a` and `b` in `crate::{a::x, b}`.
fn first_segments(after: &str) -> Vec<String> {
    let after = after.trim_start();
    if let Some(group) = after.strip_prefix('{') {
        let mut depth = 1;
        let mut end = group.len();
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let mut names = Vec::new();
        let mut depth = 0;
        let mut start = 0;
        let inner = &group[..end];
        for (i, c) in inner
            .char_indices()
            .chain(std::iter::once((inner.len(), ',')))
        {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    let item = inner[start..i].trim();
                    let name: String = item
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() {
                        names.push(name);
                    }
                    start = i + 1;
                }
                _ => {}
            }
        }
        names
    } else {
        let name: String = after
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        vec![name]
    }
}

/// Each top-level module of the crate under `src` and the top-level modules it uses.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let module_of = |path: &Path| -> Option<String> {
        let rel = path.strip_prefix(src).ok()?;
        let first = rel
            .components()
            .next()?
            .as_os_str()
            .to_string_lossy()
            .into_owned();
        let name = first.strip_suffix(".rs").unwrap_or(&first).to_string();
        (!matches!(name.as_str(), "lib" | "main")).then_some(name)
    };
    let modules: BTreeSet<String> = files.iter().filter_map(|p| module_of(p)).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = modules
        .iter()
        .map(|m| (m.clone(), BTreeSet::new()))
        .collect();
    for path in &files {
        let Some(module) = module_of(path) else {
            continue;
        };
        let rel = path.strip_prefix(src).unwrap();
        // In `src/x.rs` and `src/x/mod.rs`, `super::` is the crate root.
        let top_file = rel.components().count() == 1
            || rel.ends_with("mod.rs") && rel.components().count() == 2;
        let code = code_of(&std::fs::read_to_string(path).unwrap());
        let mut prefixes = vec!["crate::"];
        if top_file {
            prefixes.push("super::");
        }
        for prefix in prefixes {
            for (at, _) in code.match_indices(prefix) {
                let before = code[..at].chars().next_back();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                    continue;
                }
                for name in first_segments(&code[at + prefix.len()..]) {
                    if name != module && modules.contains(&name) {
                        graph.get_mut(&module).unwrap().insert(name);
                    }
                }
            }
        }
    }
    graph
}

/// The modules in layers (each uses only modules of the layers below it), or a cycle.
fn layers(graph: &BTreeMap<String, BTreeSet<String>>) -> Result<Vec<Vec<String>>, Vec<String>> {
    let mut placed: BTreeSet<&String> = BTreeSet::new();
    let mut layers = Vec::new();
    while placed.len() < graph.len() {
        let layer: Vec<String> = graph
            .iter()
            .filter(|(m, uses)| !placed.contains(m) && uses.iter().all(|u| placed.contains(u)))
            .map(|(m, _)| m.clone())
            .collect();
        if layer.is_empty() {
            return Err(cycle(graph, &placed));
        }
        placed.extend(graph.keys().filter(|k| layer.contains(k)));
        layers.push(layer);
    }
    Ok(layers)
}

/// A cycle among the modules not yet `placed` (each of which uses another of them).
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>, placed: &BTreeSet<&String>) -> Vec<String> {
    let rest: Vec<&String> = graph.keys().filter(|k| !placed.contains(k)).collect();
    let mut path: Vec<String> = vec![rest[0].clone()];
    loop {
        let last = path.last().unwrap();
        let next = graph[last]
            .iter()
            .find(|u| !placed.contains(u))
            .expect("an unplaced module uses an unplaced module")
            .clone();
        if let Some(i) = path.iter().position(|p| *p == next) {
            let mut cycle = path[i..].to_vec();
            cycle.push(next);
            return cycle;
        }
        path.push(next);
    }
}

#[test]
fn top_level_modules_of_every_crate_form_a_dag() {
    let mut cycles = Vec::new();
    for krate in CRATES {
        let graph = module_graph(&root().join(krate));
        assert!(graph.len() > 1, "{krate}: no modules found");
        match layers(&graph) {
            Ok(layers) => {
                println!("{krate}:");
                for (i, layer) in layers.iter().enumerate() {
                    println!("  {i}: {}", layer.join(", "));
                }
            }
            Err(cycle) => cycles.push(format!("{krate}: {}", cycle.join(" -> "))),
        }
    }
    assert!(cycles.is_empty(), "module cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_cycle_check_finds_a_cycle() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec![]),
    ]
    .into_iter()
    .map(|(m, uses)| (m.to_string(), uses.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(
        layers(&graph),
        Err(vec!["a", "b", "c", "a"]
            .into_iter()
            .map(String::from)
            .collect())
    );
    assert_eq!(
        first_segments("{a::x, b, c::{d, e}}; crate::z"),
        vec!["a", "b", "c"]
    );
    assert_eq!(code_of("x // crate::a\n\"crate::b\" y"), "x \n\"\" y");
}

/// Each function's name, file, first line and length (from `fn` to the closing brace at its
/// indentation, as rustfmt writes it).
fn functions(path: &Path) -> Vec<(String, usize, usize)> {
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let mut rest = trimmed;
        for qualifier in [
            "pub(crate) ",
            "pub(super) ",
            "pub ",
            "const ",
            "async ",
            "unsafe ",
            "extern \"C\" ",
        ] {
            rest = rest.strip_prefix(qualifier).unwrap_or(rest);
        }
        let rest = rest
            .strip_prefix("pub(in ")
            .map_or(rest, |r| r.split_once(") ").map_or(r, |x| x.1));
        let Some(signature) = rest.strip_prefix("fn ") else {
            continue;
        };
        let name: String = signature
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let close = format!("{indent}}}");
        let end = lines[i..]
            .iter()
            .enumerate()
            .find(|(j, l)| (*j == 0 && l.trim_end().ends_with(';')) || l.trim_end() == close)
            .map_or(lines.len() - i, |(j, _)| j + 1);
        out.push((name, i + 1, end));
    }
    out
}

#[test]
fn no_function_is_longer_than_120_lines() {
    let mut files = Vec::new();
    for dir in ["src", "crates", "tests", "benches", "fuzz"] {
        rust_files(&root().join(dir), &mut files);
    }
    assert!(files.len() > 50, "found only {} Rust files", files.len());
    let mut long = Vec::new();
    for path in &files {
        for (name, line, length) in functions(path) {
            if length > MAX_FUNCTION_LINES {
                let rel = path.strip_prefix(root()).unwrap().display().to_string();
                long.push(format!("{rel}:{line}: `{name}` is {length} lines"));
            }
        }
    }
    assert!(
        long.is_empty(),
        "functions longer than {MAX_FUNCTION_LINES} lines:\n{}",
        long.join("\n")
    );
}

#[test]
fn the_function_measure_counts_to_the_closing_brace() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.rs");
    std::fs::write(
        &path,
        "fn a() {\n    1;\n}\n\nimpl X {\n    pub(crate) fn b(\n        x: u8,\n    ) -> u8 {\n        x\n    }\n    fn c();\n}\n",
    )
    .unwrap();
    assert_eq!(
        functions(&path),
        vec![("a".into(), 1, 3), ("b".into(), 6, 5), ("c".into(), 11, 1)]
    );
}

#[test]
fn main_rs_is_a_thin_binary() {
    let main = std::fs::read_to_string(root().join("src/main.rs")).unwrap();
    let lines = main.lines().count();
    assert!(
        lines <= MAX_MAIN_LINES,
        "src/main.rs is {lines} lines; at most {MAX_MAIN_LINES}"
    );
}

/// The engine runs the policies that read IAM statements first and drops the statements before
/// the others run (`src/engine/evaluate.rs`); it knows them by a resource type that holds
/// policy documents. A policy that reads statements without declaring one would still be right,
/// but would read every statement again, at the peak. Reading statements: asking the context
/// for documents or statements, or calling a support function that does.
#[test]
fn policies_that_read_statements_declare_a_type_that_holds_documents() {
    let readers = [
        "cx.statements(",
        "cx.documents()",
        "report_grants(",
        "organization::roles(",
    ];
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/policy/src/rules");
    let mut checked = 0;
    for p in tripline::policy::rules::builtin() {
        let meta = p.meta();
        let file = rules.join(format!("{}.rs", meta.id.to_lowercase()));
        let source = std::fs::read_to_string(&file).unwrap();
        if !readers.iter().any(|r| source.contains(r)) {
            continue;
        }
        checked += 1;
        assert!(
            meta.resource_types
                .iter()
                .any(|t| tripline::policy::iam::holds_documents(t)),
            "{} reads IAM statements but declares no type that holds documents: {:?}",
            meta.id,
            meta.resource_types
        );
    }
    assert!(checked >= 10, "only {checked} policies read statements");
}
