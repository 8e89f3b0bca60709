//! The shape of the code, checked: the modules in every module of every crate (its top-level
//! modules, the parts of `engine`, of `parse`...) import each other in one direction only (a
//! DAG, read from the `crate::`, `super::` and `self::` paths of the sources), no function is
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

/// The paths a use-tree after `crate::` (or `super::`, `self::`) names, each as its segments:
/// `[a, b]` in `crate::a::b`, `[a, x]` and `[b]` in `crate::{a::x, b}`.
fn paths_of(after: &str) -> Vec<Vec<String>> {
    let mut prefix = Vec::new();
    let mut rest = after.trim_start();
    loop {
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            break;
        }
        rest = &rest[name.len()..];
        prefix.push(name);
        match rest.strip_prefix("::") {
            Some(more) => rest = more.trim_start(),
            None => return vec![prefix],
        }
    }
    let Some(group) = rest.strip_prefix('{') else {
        return vec![prefix];
    };
    let mut paths = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' | ',' if depth == 0 => {
                for tail in paths_of(&group[start..i]) {
                    paths.push(prefix.iter().cloned().chain(tail).collect());
                }
                if c == '}' {
                    break;
                }
                start = i + 1;
            }
            '}' => depth -= 1,
            _ => {}
        }
    }
    paths
}

/// A file's module in its crate: `[engine, front, modules]` for `engine/front/modules.rs`
/// or `engine/front/modules/mod.rs`; `[]` for `lib.rs` and `main.rs`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut path: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let root_file = path.len() == 1 && (path[0] == "lib" || path[0] == "main");
    if root_file || path.last().is_some_and(|l| l == "mod") {
        path.pop();
    }
    path
}

/// What a path written in module `me` names, as far as it names modules of the crate:
/// `crate::a::b::Item` is `[a, b]`, `super::x` is `me`'s parent's `x`, `self::x` is `me`'s.
fn resolve(
    me: &[String],
    head: &str,
    segments: &[String],
    modules: &BTreeSet<Vec<String>>,
) -> Vec<String> {
    let mut at: Vec<String> = match head {
        "crate" => Vec::new(),
        "self" => me.to_vec(),
        _ => me[..me.len().saturating_sub(1)].to_vec(),
    };
    let mut segments = segments.iter().peekable();
    // `super::super::x`: each further `super` goes up once more.
    while segments.peek().is_some_and(|s| *s == "super") {
        at.pop();
        segments.next();
    }
    for s in segments {
        at.push(s.clone());
        if !modules.contains(&at) {
            at.pop();
            break;
        }
    }
    at
}

/// The modules of each module (the crate root `[]` included) and which of them use which: a
/// use anywhere in or below one child of a module, of something in or below another child, is
/// an edge between those two children. A module's use of its parent or its own parts is no
/// edge (a module and its parts are one unit, as `super::` items are meant to be shared).
type Graphs = BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>>;

fn module_graphs(src: &Path) -> Graphs {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(src, f)).collect();
    let mut graphs = Graphs::new();
    for m in modules.iter().filter(|m| !m.is_empty()) {
        let (name, parent) = m.split_last().unwrap();
        let graph = graphs.entry(parent.to_vec()).or_default();
        graph.entry(name.clone()).or_default();
    }
    for file in &files {
        let me = module_of(src, file);
        let code = code_of(&std::fs::read_to_string(file).unwrap());
        for head in ["crate", "super", "self"] {
            let prefix = format!("{head}::");
            for (at, _) in code.match_indices(&prefix) {
                let before = code[..at].chars().next_back();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                    continue;
                }
                for path in paths_of(&code[at + prefix.len()..]) {
                    let target = resolve(&me, head, &path, &modules);
                    let common = me.iter().zip(&target).take_while(|(a, b)| a == b).count();
                    if let (Some(from), Some(to)) = (me.get(common), target.get(common)) {
                        let graph = graphs.get_mut(&me[..common]).unwrap();
                        graph.get_mut(from).unwrap().insert(to.clone());
                    }
                }
            }
        }
    }
    graphs
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
fn the_modules_in_every_module_of_every_crate_form_a_dag() {
    let mut cycles = Vec::new();
    for krate in CRATES {
        let graphs = module_graphs(&root().join(krate));
        assert!(
            graphs.get(&Vec::new()).is_some_and(|g| g.len() > 1),
            "{krate}: no modules found"
        );
        for (module, graph) in &graphs {
            let name = match module.is_empty() {
                true => krate.to_string(),
                false => format!("{krate}: {}", module.join("::")),
            };
            match layers(graph) {
                Ok(layers) => {
                    println!("{name}:");
                    for (i, layer) in layers.iter().enumerate() {
                        println!("  {i}: {}", layer.join(", "));
                    }
                }
                Err(cycle) => cycles.push(format!("{name}: {}", cycle.join(" -> "))),
            }
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
    let paths =
        |after: &str| -> Vec<String> { paths_of(after).iter().map(|p| p.join("::")).collect() };
    assert_eq!(
        paths("{a::x, b, c::{d, e}}; crate::z"),
        vec!["a::x", "b", "c::d", "c::e"]
    );
    assert_eq!(paths("a::b::Item;"), vec!["a::b::Item"]);
    let strings = |s: &[&str]| -> Vec<String> { s.iter().map(|x| x.to_string()).collect() };
    let modules: BTreeSet<Vec<String>> = [&[][..], &["p"], &["p", "a"], &["p", "b"]]
        .into_iter()
        .map(strings)
        .collect();
    let me = strings(&["p", "a"]);
    let at = |head: &str, path: &[&str]| resolve(&me, head, &strings(path), &modules);
    assert_eq!(at("super", &["b", "Item"]), strings(&["p", "b"]));
    assert_eq!(at("super", &["Item"]), strings(&["p"]));
    assert_eq!(at("super", &["super", "p", "b"]), strings(&["p", "b"]));
    assert_eq!(at("self", &["Item"]), strings(&["p", "a"]));
    assert_eq!(at("crate", &["p", "b", "f"]), strings(&["p", "b"]));
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
