//! Terraform's built-in functions that real modules use to shape values (`one`, `try`,
//! `coalesce`, `lookup`, `merge`, `concat`, `toset`...), as the Terraform documentation defines
//! them. Any other function is unknown.

use crate::parse::hcl_expr::Sub;
use crate::parse::{Entry, Node, Text, ThinVec, Value};
use crate::source::Span;

use super::{Ev, Instance, Scope, boolean, number, scalar, string};

/// The value of `name(args...)`.
pub(crate) fn call<'a>(
    scope: &Scope<'_, 'a>,
    name: &str,
    args: &[Sub],
    expand_final: bool,
    site: Span,
    inst: &Instance<'a>,
    depth: u8,
) -> Ev<'a> {
    let eval = |s: &Sub| scope.eval(&s.expr, site, inst, depth + 1);
    match name {
        // The first argument that evaluates without an error; an unknown one is unknown.
        "try" => {
            for a in args {
                match eval(a) {
                    Ev::Error => continue,
                    v => return v,
                }
            }
            Ev::Error
        }
        "can" => match args.first().map(eval) {
            Some(Ev::Error) => Ev::Known(boolean(site, false)),
            Some(Ev::Known(_)) => Ev::Known(boolean(site, true)),
            _ => Ev::Unknown,
        },
        // The first argument that is neither null nor an empty string.
        "coalesce" => {
            for a in args {
                match eval(a) {
                    Ev::Known(n) if is_null_or_empty(&n) => continue,
                    v => return v,
                }
            }
            Ev::Error
        }
        "jsonencode" if args.len() == 1 => eval(&args[0]),
        _ => {
            let mut values = Vec::with_capacity(args.len());
            for a in args {
                match eval(a) {
                    Ev::Known(n) => values.push(n),
                    // `concat` keeps what it knows: an unknown list adds unknown items.
                    Ev::Unknown if name == "concat" => values.push(Node::new(
                        site,
                        Value::Seq(
                            thin_vec::thin_vec![string(site, format!("${{{}}}", a.text))].into(),
                        ),
                    )),
                    other => return other,
                }
            }
            if expand_final {
                let Some(last) = values.pop() else {
                    return Ev::Error;
                };
                match last.value {
                    Value::Seq(items) => values.extend(items),
                    _ => return Ev::Error,
                }
            }
            strict(name, values, site)
        }
    }
}

/// Most items a function builds (`concat` of a local with itself, a few times over, would
/// double each time); beyond, the value is unknown.
const MAX_ITEMS: usize = 10_000;

/// A function whose arguments are all known.
fn strict<'a>(name: &str, args: Vec<Node<'a>>, site: Span) -> Ev<'a> {
    match strict_unbounded(name, args, site) {
        Ev::Known(n) if n.items().len() > MAX_ITEMS || n.entries().len() > MAX_ITEMS => Ev::Unknown,
        v => v,
    }
}

fn strict_unbounded<'a>(name: &str, args: Vec<Node<'a>>, site: Span) -> Ev<'a> {
    // A list that holds an unknown part (`concat(["x"], var.unknown)`) has an unknown length:
    // what depends on its length or positions is unknown.
    if matches!(name, "one" | "length" | "element")
        && args
            .first()
            .is_some_and(|l| l.items().iter().any(is_unknown))
    {
        return Ev::Unknown;
    }
    match (name, args.as_slice()) {
        ("one", [list]) => match &list.value {
            Value::Seq(items) if items.is_empty() => Ev::Known(Node::new(site, Value::Null)),
            Value::Seq(items) if items.len() == 1 => Ev::Known(items[0].clone()),
            Value::Null => Ev::Known(Node::new(site, Value::Null)),
            _ => Ev::Error,
        },
        ("lookup", [map, key]) | ("lookup", [map, key, _]) => {
            let Some(k) = text_of(key) else {
                return Ev::Unknown;
            };
            match (&map.value, map.get(&k), args.get(2)) {
                (Value::Map(_), Some(v), _) => Ev::Known(v.clone()),
                (Value::Map(_), None, Some(default)) => Ev::Known(default.clone()),
                _ => Ev::Error,
            }
        }
        ("merge", maps) => merge(maps, site),
        ("concat", lists) => {
            let mut out = ThinVec::new();
            for l in lists {
                match &l.value {
                    Value::Seq(items) => out.extend(items.iter().cloned()),
                    _ => return Ev::Error,
                }
            }
            Ev::Known(Node::new(site, Value::Seq(out.into())))
        }
        ("toset", [list]) => set(list, site),
        ("distinct", [list]) => distinct(list, site, false),
        ("tolist", [list]) | ("tomap", [list]) => Ev::Known(list.clone()),
        ("tostring" | "tonumber" | "tobool", [v]) => convert(name, v, site),
        ("flatten", [list]) => {
            let mut out = ThinVec::new();
            flatten(list, &mut out, 0);
            Ev::Known(Node::new(site, Value::Seq(out.into())))
        }
        ("compact", [list]) => Ev::Known(Node::new(
            site,
            Value::Seq(
                list.items()
                    .iter()
                    .filter(|n| !is_null_or_empty(n))
                    .cloned()
                    .collect(),
            ),
        )),
        _ => reading(name, &args, site),
    }
}

/// Functions that read a value's items or text: `element`, `keys`, `values`, `length`,
/// `contains`, `join`, `lower`, `upper`, `trimspace`.
fn reading<'a>(name: &str, args: &[Node<'a>], site: Span) -> Ev<'a> {
    let known = |n: Option<Node<'a>>| n.map_or(Ev::Error, Ev::Known);
    match (name, args) {
        ("element", [list, i]) => {
            let items = list.items();
            let i = text_of(i).and_then(|t| t.parse::<usize>().ok());
            match i {
                Some(i) if !items.is_empty() => Ev::Known(items[i % items.len()].clone()),
                _ => Ev::Error,
            }
        }
        ("keys", [map]) => Ev::Known(Node::new(
            site,
            Value::Seq(
                sorted_entries(map)
                    .into_iter()
                    .map(|e| string(e.key_span, e.key.to_string()))
                    .collect(),
            ),
        )),
        ("values", [map]) => Ev::Known(Node::new(
            site,
            Value::Seq(
                sorted_entries(map)
                    .into_iter()
                    .map(|e| e.value.clone())
                    .collect(),
            ),
        )),
        ("length", [v]) => match &v.value {
            Value::Seq(items) => Ev::Known(number(site, items.len())),
            Value::Map(entries) => Ev::Known(number(site, entries.len())),
            _ => known(text_of(v).map(|t| number(site, t.chars().count()))),
        },
        ("contains", [list, v]) => {
            let Some(want) = text_of(v) else {
                return Ev::Unknown;
            };
            let items = list.items();
            if items.iter().any(|i| text_of(i).is_none()) {
                return Ev::Unknown;
            }
            Ev::Known(boolean(
                site,
                items.iter().any(|i| text_of(i).as_deref() == Some(&want)),
            ))
        }
        ("join", [sep, list]) => {
            let (Some(sep), Value::Seq(items)) = (text_of(sep), &list.value) else {
                return Ev::Error;
            };
            let texts: Option<Vec<String>> = items.iter().map(text_of).collect();
            texts.map_or(Ev::Unknown, |t| Ev::Known(string(site, t.join(&sep))))
        }
        ("lower" | "upper" | "trimspace", [v]) => match text_of(v) {
            Some(t) => Ev::Known(string(
                site,
                match name {
                    "lower" => t.to_lowercase(),
                    "upper" => t.to_uppercase(),
                    _ => t.trim().to_string(),
                },
            )),
            None => Ev::Unknown,
        },
        _ => Ev::Unknown,
    }
}

/// The text of a known scalar node.
fn text_of(n: &Node<'_>) -> Option<String> {
    scalar(&Ev::Known(n.clone()))
}

fn is_unknown(n: &Node<'_>) -> bool {
    matches!(&n.value, Value::String(s) if s.contains("${"))
}

fn is_null_or_empty(n: &Node<'_>) -> bool {
    matches!(&n.value, Value::Null) || matches!(&n.value, Value::String(s) if s.is_empty())
}

/// `merge`: later maps win; null arguments are skipped.
fn merge<'a>(maps: &[Node<'a>], site: Span) -> Ev<'a> {
    let mut out: ThinVec<Entry<'a>> = ThinVec::new();
    for m in maps {
        match &m.value {
            Value::Map(entries) => {
                for e in entries {
                    out.retain(|o| o.key != e.key);
                    out.push(e.clone());
                }
            }
            Value::Null => {}
            _ => return Ev::Error,
        }
    }
    Ev::Known(Node::new(site, Value::Map(out.into())))
}

/// `toset`: a set of strings is ordered lexically, without repeats (as Terraform orders it).
fn set<'a>(list: &Node<'a>, site: Span) -> Ev<'a> {
    distinct(list, site, true)
}

fn distinct<'a>(list: &Node<'a>, site: Span, sort: bool) -> Ev<'a> {
    let Value::Seq(items) = &list.value else {
        return Ev::Error;
    };
    let Some(texts) = items.iter().map(text_of).collect::<Option<Vec<String>>>() else {
        // Items that are not all known scalars: kept as they are.
        return Ev::Known(list.clone());
    };
    let mut keyed: Vec<(String, Node<'a>)> = texts.into_iter().zip(items.iter().cloned()).collect();
    if sort {
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
    }
    let mut seen = std::collections::HashSet::new();
    keyed.retain(|(t, _)| seen.insert(t.clone()));
    Ev::Known(Node::new(
        site,
        Value::Seq(keyed.into_iter().map(|(_, n)| n).collect()),
    ))
}

fn convert<'a>(name: &str, v: &Node<'a>, site: Span) -> Ev<'a> {
    let Some(t) = text_of(v) else {
        return if matches!(v.value, Value::Null) {
            Ev::Known(v.clone())
        } else {
            Ev::Unknown
        };
    };
    match name {
        "tostring" => Ev::Known(string(site, t)),
        "tonumber" if t.parse::<f64>().is_ok() => {
            Ev::Known(Node::new(site, Value::Number(Text::owned(t))))
        }
        "tobool" if t == "true" || t == "false" => Ev::Known(boolean(site, t == "true")),
        _ => Ev::Error,
    }
}

fn flatten<'a>(node: &Node<'a>, out: &mut ThinVec<Node<'a>>, depth: usize) {
    match &node.value {
        Value::Seq(items) if depth < 32 => {
            for i in items {
                flatten(i, out, depth + 1);
            }
        }
        _ if depth == 0 => {}
        _ => out.push(node.clone()),
    }
}

/// A map's entries in key order (Terraform iterates maps lexically).
fn sorted_entries<'n, 'a>(map: &'n Node<'a>) -> Vec<&'n Entry<'a>> {
    let mut entries: Vec<&Entry<'a>> = map.entries().iter().collect();
    entries.sort_by(|a, b| a.key.cmp(&b.key));
    entries
}
