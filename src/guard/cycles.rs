//! What Guard would recurse on without end: rules that depend on each other in a cycle
//! (`rule a when b` / `rule b when a`, a rule that names itself) and `let`s that refer to each
//! other. Guard evaluates both by recursion and overflows the stack, which aborts the process
//! (every `check`, the language server on every document). They are found here, on the parsed
//! rule file, and refused with where they are. Guard's parser and evaluator also recurse once
//! per level of nesting: a file nested deeper than [`MAX_RULE_DEPTH`] is refused before it is
//! parsed (3,000 levels overflowed the main thread's stack).

use serde_json::Value;

/// The deepest a rule file may nest its brackets (blocks, filters, lists). Real rule files stay
/// below 20 levels; Guard's parser and evaluation recurse several frames per level, on worker
/// threads with 2 MiB stacks.
pub(super) const MAX_RULE_DEPTH: usize = 64;

/// A cycle or a depth found in a rule file: 1-based line, and what it is.
pub(super) type Problem = (u32, String);

/// The first problem in a rule file (`text`, parsed by Guard as `ast`).
pub(super) fn find(text: &str, ast: &Value) -> Option<Problem> {
    let lines: Vec<&str> = text.lines().collect();
    if let Some(problem) = rule_cycle(&lines, ast) {
        return Some(problem);
    }
    let mut scopes = Vec::new();
    assignments(ast, &mut scopes);
    for scope in scopes {
        if let Some(problem) = let_cycle(&lines, scope) {
            return Some(problem);
        }
    }
    None
}

/// Where a rule file's brackets (`{`, `[`, `(`, outside strings and comments) first nest deeper
/// than [`MAX_RULE_DEPTH`]: checked on the text, before Guard's parser recurses into it.
pub(super) fn too_deep(text: &str) -> Option<Problem> {
    let mut depth = 0usize;
    let mut line = 1u32;
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (_, '\n') => {
                line += 1;
                if quote.is_none() {
                    continue;
                }
            }
            (Some(_), '\\') => {
                let escaped = chars.next();
                line += u32::from(escaped == Some('\n'));
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '#') => {
                // A comment runs to the end of its line.
                for c in chars.by_ref() {
                    if c == '\n' {
                        line += 1;
                        break;
                    }
                }
            }
            (None, '{' | '[' | '(') => {
                depth += 1;
                if depth > MAX_RULE_DEPTH {
                    return Some((
                        line,
                        format!(
                            "the rules nest more than {MAX_RULE_DEPTH} levels deep; Guard parses \
                             and evaluates them by recursion and could overflow its stack"
                        ),
                    ));
                }
            }
            (None, '}' | ']' | ')') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// The rules that depend on each other in a cycle, at the first rule of the cycle.
fn rule_cycle(lines: &[&str], ast: &Value) -> Option<Problem> {
    let rules: Vec<&Value> = ast["guard_rules"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(
            ast["parameterized_rules"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| &p["rule"]),
        )
        .collect();
    let graph: Vec<(String, Vec<String>)> = rules
        .iter()
        .filter_map(|r| {
            let name = r["rule_name"].as_str()?.to_string();
            let mut uses = Vec::new();
            strings_under(r, "dependent_rule", &mut uses);
            Some((name, uses))
        })
        .collect();
    let cycle = cycle(&graph)?;
    let line = super::rulefile::rule_line(lines, &cycle[0]) as u32 + 1;
    Some((
        line,
        format!(
            "rules depend on each other in a cycle ({}); Guard would recurse without end",
            cycle.join(" -> ")
        ),
    ))
}

/// The `let`s of one scope that refer to each other in a cycle.
fn let_cycle(lines: &[&str], scope: &[Value]) -> Option<Problem> {
    let graph: Vec<(String, Vec<String>)> = scope
        .iter()
        .filter_map(|l| {
            let var = l["var"].as_str()?.to_string();
            let mut keys = Vec::new();
            strings_under(&l["value"], "Key", &mut keys);
            let uses = keys
                .iter()
                .filter_map(|k| k.strip_prefix('%'))
                .map(str::to_string)
                .collect();
            Some((var, uses))
        })
        .collect();
    let cycle = cycle(&graph)?;
    let line = let_line(lines, &cycle[0]).map_or(1, |l| l as u32 + 1);
    Some((
        line,
        format!(
            "`let`s refer to each other in a cycle ({}); Guard would recurse without end",
            cycle
                .iter()
                .map(|v| format!("%{v}"))
                .collect::<Vec<_>>()
                .join(" -> ")
        ),
    ))
}

/// Every `assignments` list of the file: the file's own and each block's, one scope each.
fn assignments<'v>(value: &'v Value, out: &mut Vec<&'v [Value]>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if key == "assignments"
                    && let Some(list) = v.as_array()
                    && !list.is_empty()
                {
                    out.push(list);
                }
                assignments(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| assignments(v, out)),
        _ => {}
    }
}

/// Every string value of a `key` at any depth under `value`.
fn strings_under(value: &Value, key: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match v.as_str() {
                    Some(s) if k == key => out.push(s.to_string()),
                    _ => strings_under(v, key, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| strings_under(v, key, out)),
        _ => {}
    }
}

/// A cycle of the graph (node, the nodes it uses), as the names along it, first repeated at
/// the end; names the graph does not define (another file's, a built-in) end a path.
fn cycle(graph: &[(String, Vec<String>)]) -> Option<Vec<String>> {
    // 0: unvisited, 1: on the current path, 2: done.
    let mut state = vec![0u8; graph.len()];
    let index = |name: &str| graph.iter().position(|(n, _)| n == name);
    for start in 0..graph.len() {
        let mut path: Vec<(usize, usize)> = Vec::new();
        if state[start] != 0 {
            continue;
        }
        state[start] = 1;
        path.push((start, 0));
        while let Some((node, next)) = path.last_mut() {
            let (node, uses) = (*node, &graph[*node].1);
            let Some(used) = uses.get(*next) else {
                state[node] = 2;
                path.pop();
                continue;
            };
            *next += 1;
            let Some(to) = index(used) else { continue };
            match state[to] {
                0 => {
                    state[to] = 1;
                    path.push((to, 0));
                }
                1 => {
                    let from = path.iter().position(|(n, _)| *n == to).unwrap_or(0);
                    let mut names: Vec<String> = path[from..]
                        .iter()
                        .map(|(n, _)| graph[*n].0.clone())
                        .collect();
                    names.push(graph[to].0.clone());
                    return Some(names);
                }
                _ => {}
            }
        }
    }
    None
}

/// The 0-based line of `let <var>`.
fn let_line(lines: &[&str], var: &str) -> Option<usize> {
    lines.iter().position(|l| {
        l.trim_start()
            .strip_prefix("let")
            .filter(|rest| rest.starts_with(char::is_whitespace))
            .and_then(|rest| rest.trim_start().strip_prefix(var))
            .is_some_and(|after| !after.starts_with(|c: char| c.is_alphanumeric() || c == '_'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
        edges
            .iter()
            .map(|(n, uses)| (n.to_string(), uses.iter().map(|u| u.to_string()).collect()))
            .collect()
    }

    #[test]
    fn finds_cycles_and_only_cycles() {
        assert_eq!(
            cycle(&graph(&[("a", &["a"])])),
            Some(vec!["a".into(), "a".into()])
        );
        assert_eq!(
            cycle(&graph(&[
                ("x", &["a"]),
                ("a", &["b"]),
                ("b", &["c", "a"]),
                ("c", &[])
            ])),
            Some(vec!["a".into(), "b".into(), "a".into()])
        );
        // A diamond and a name defined elsewhere are not cycles.
        assert_eq!(
            cycle(&graph(&[
                ("a", &["b", "c"]),
                ("b", &["d"]),
                ("c", &["d"]),
                ("d", &["other"])
            ])),
            None
        );
    }

    #[test]
    fn nesting_is_counted_outside_strings_and_comments() {
        let deep = |n: usize| {
            format!(
                "rule r {{\n{}z exists\n{}}}\n",
                "k {\n".repeat(n),
                "}\n".repeat(n)
            )
        };
        assert_eq!(too_deep(&deep(MAX_RULE_DEPTH - 1)), None);
        let (line, _) = too_deep(&deep(MAX_RULE_DEPTH)).unwrap();
        assert_eq!(line as usize, MAX_RULE_DEPTH + 1);
        let quoted = format!(
            "rule r {{\n  x == \"{}\" # {}\n}}\n",
            "{".repeat(100),
            "[".repeat(100)
        );
        assert_eq!(too_deep(&quoted), None);
    }

    #[test]
    fn a_let_is_found_by_its_whole_name() {
        let lines = ["let ab = 1", "  let a := %b"];
        assert_eq!(let_line(&lines, "a"), Some(1));
        assert_eq!(let_line(&lines, "ab"), Some(0));
    }
}
