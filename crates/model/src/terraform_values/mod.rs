//! Terraform expressions evaluated where their inputs are known, before the policies read the
//! configuration: `one(x[*].id)`, `x[0]`, `try`, `coalesce`, `lookup`, `merge`, `concat`,
//! `toset`, comparisons, and `each.key`/`each.value`/`count.index` in the instances of a
//! resource whose `for_each` or `count` is known.
//!
//! Each expression whose value is known becomes that value in the tree, as a `.tf.json` author
//! could have written it; one that is not (a resource attribute, a variable without value, a
//! function tripline does not model) stays the expression it was, which evaluation reads as
//! unknown. Unknown stays unknown: nothing is guessed. A value keeps the position it was
//! written at when it comes from a variable or local as a whole list or map item; a value
//! computed by the expression is placed at the expression.
//!
//! A resource with a known `for_each` (or a known `count` whose body reads `count.index`)
//! becomes its instances, `name["key"]` or `name[0]` as Terraform addresses them, each with
//! its own values.

mod eval;

use std::borrow::Cow;

use crate::parse::{Entry, Node, Text, ThinVec, Value};
use crate::source::Span;
use crate::{Segment, terraform_segments};

use eval::{Ev, Instance, Scope};

/// Most instances a resource is expanded into; beyond, `each` and `count.index` stay unknown.
const MAX_INSTANCES: usize = 32;
/// Deepest nesting folded.
const MAX_DEPTH: usize = 64;

/// Evaluate the configuration's expressions where their inputs are known (see the module
/// documentation). `root` is a whole configuration, its tfvars values merged in.
pub fn fold_expressions(root: &mut Node<'_>) {
    if !has_candidates(root, 0) {
        return;
    }
    // The scope reads the values as written while the tree is folded: a copy of what it
    // reads (variables, locals, tfvars values), not of the whole configuration.
    let snapshot = scope_parts(root);
    let scope = Scope::of(&snapshot);
    let Value::Map(entries) = &mut root.value else {
        return;
    };
    let none = Instance::default();
    for e in entries.make_mut().iter_mut() {
        match e.key.as_ref() {
            "resource" => fold_resources(&scope, &mut e.value),
            "data" | "module" | "output" | "locals" | "provider" => {
                fold_tree(&scope, &mut e.value, &none, 0)
            }
            _ => {}
        }
    }
}

/// The module instances composed into a configuration (`crate::terraform_modules`), folded
/// with the configuration's values: their expressions are in its terms.
pub(crate) fn fold_modules(root: &mut Node<'_>) {
    let key = crate::terraform::MODULES_KEY;
    let Some(at) = root.entries().iter().rposition(|e| e.key == key) else {
        return;
    };
    if !has_candidates(&root.entries()[at].value, 0) {
        return;
    }
    // The instances are taken out while the scope reads the rest: the scope reads the
    // configuration's variables and locals only, and the instances are most of the tree.
    let Value::Map(entries) = &mut root.value else {
        return;
    };
    let empty = Node::new(Span::empty(0), Value::Null);
    let mut modules = std::mem::replace(&mut entries.make_mut()[at].value, empty);
    if let Value::Seq(instances) = &mut modules.value {
        let scope = Scope::of(root);
        for instance in instances.make_mut().iter_mut() {
            for r in block_entries(instance)
                .iter_mut()
                .filter(|r| r.key == "resource")
            {
                fold_resources(&scope, &mut r.value);
            }
        }
    }
    if let Value::Map(entries) = &mut root.value {
        entries.make_mut()[at].value = modules;
    }
}

/// The parts of a configuration [`Scope::of`] reads, copied.
fn scope_parts<'a>(root: &Node<'a>) -> Node<'a> {
    let read = ["variable", "locals", crate::terraform_dir::TFVARS_KEY];
    let entries = root
        .entries()
        .iter()
        .filter(|e| read.contains(&e.key.as_ref()))
        .cloned()
        .collect();
    Node::new(root.span, Value::Map(entries))
}

/// A `resource` block's resources, each expanded into its instances and folded.
fn fold_resources<'a>(scope: &Scope<'_, 'a>, resource: &mut Node<'a>) {
    for block in objects_mut(resource) {
        for by_type in block_entries(block) {
            for named in objects_mut(&mut by_type.value) {
                expand_instances(scope, named);
            }
        }
    }
}

/// The resources of one `resource.TYPE` object: each expanded into its instances when its
/// `for_each` or `count` is known, then folded.
fn expand_instances<'a>(scope: &Scope<'_, 'a>, named: &mut Node<'a>) {
    let Value::Map(entries) = &mut named.value else {
        return;
    };
    let mut out = ThinVec::with_capacity(entries.len());
    for mut e in std::mem::take(entries) {
        let instances = match &e.value.value {
            Value::Map(_) => instances(scope, &e.value),
            _ => Vec::new(),
        };
        if instances.is_empty() {
            fold_tree(scope, &mut e.value, &Instance::default(), 0);
            out.push(e);
            continue;
        }
        for (suffix, inst) in instances {
            let mut copy = e.clone();
            copy.key = Text::owned(format!("{}[{suffix}]", e.key));
            fold_tree(scope, &mut copy.value, &inst, 0);
            out.push(copy);
        }
    }
    *entries = out.into();
}

/// The instances of a resource body, with the address suffix of each (`"key"`, `0`); none
/// when it has neither a known `for_each` nor a known `count` that its body reads.
fn instances<'a>(scope: &Scope<'_, 'a>, body: &Node<'a>) -> Vec<(String, Instance<'a>)> {
    let none = Instance::default();
    if let Some(each) = body.get("for_each") {
        let Ev::Known(value) = scope.node(each, each.span, &none, 0) else {
            return Vec::new();
        };
        let pairs: Vec<(Node<'a>, Node<'a>)> = match &value.value {
            Value::Map(entries) => entries
                .iter()
                .map(|e| (eval::string(e.key_span, e.key.to_string()), e.value.clone()))
                .collect(),
            Value::Seq(items) => items.iter().map(|i| (i.clone(), i.clone())).collect(),
            _ => return Vec::new(),
        };
        if pairs.len() > MAX_INSTANCES {
            return Vec::new();
        }
        let mut out = Vec::with_capacity(pairs.len());
        for (k, v) in pairs {
            let Some(key) = eval::scalar(&Ev::Known(k.clone())) else {
                return Vec::new();
            };
            let suffix = format!("\"{}\"", key.replace('\\', "\\\\").replace('"', "\\\""));
            out.push((
                suffix,
                Instance {
                    each: Some((k, v)),
                    index: None,
                },
            ));
        }
        return out;
    }
    let Some(count) = body.get("count") else {
        return Vec::new();
    };
    if !mentions_count_index(body, 0) {
        return Vec::new();
    }
    let n = eval::scalar(&scope.node(count, count.span, &none, 0))
        .and_then(|t| t.parse::<usize>().ok());
    match n {
        Some(n) if (1..=MAX_INSTANCES).contains(&n) => (0..n)
            .map(|i| {
                (
                    i.to_string(),
                    Instance {
                        each: None,
                        index: Some(i),
                    },
                )
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn mentions_count_index(node: &Node<'_>, depth: usize) -> bool {
    match &node.value {
        Value::String(s) => s.contains("count.index"),
        Value::Seq(items) if depth < MAX_DEPTH => {
            items.iter().any(|i| mentions_count_index(i, depth + 1))
        }
        Value::Map(entries) if depth < MAX_DEPTH => entries
            .iter()
            .any(|e| mentions_count_index(&e.value, depth + 1)),
        _ => false,
    }
}

fn fold_tree<'a>(scope: &Scope<'_, 'a>, node: &mut Node<'a>, inst: &Instance<'a>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match &mut node.value {
        Value::String(s) if s.contains("${") => {
            if let Some(folded) = fold_string(scope, s, node.span, inst) {
                *node = folded;
            }
        }
        Value::Seq(items) => items
            .make_mut()
            .iter_mut()
            .for_each(|i| fold_tree(scope, i, inst, depth + 1)),
        Value::Map(entries) => entries
            .make_mut()
            .iter_mut()
            .for_each(|e| fold_tree(scope, &mut e.value, inst, depth + 1)),
        _ => {}
    }
}

/// The value of a string holding expressions, when folding tells more than the string does.
fn fold_string<'a>(
    scope: &Scope<'_, 'a>,
    s: &str,
    site: Span,
    inst: &Instance<'a>,
) -> Option<Node<'a>> {
    let segments = terraform_segments(s);
    if let [Segment::Expr(e)] = segments.as_slice() {
        if !wants(e, inst) {
            return None;
        }
        return match scope.expression(e, site, inst) {
            Ev::Known(mut n) => {
                n.span = site;
                Some(n)
            }
            _ => None,
        };
    }
    let mut changed = false;
    let mut text = String::with_capacity(s.len());
    for seg in &segments {
        match seg {
            Segment::Text(t) => text.push_str(&escape(t)),
            Segment::Expr(e) => {
                let known = wants(e, inst)
                    .then(|| eval::scalar(&scope.expression(e, site, inst)))
                    .flatten();
                match known {
                    Some(value) => {
                        text.push_str(&escape(&value));
                        changed = true;
                    }
                    None => {
                        text.push_str("${");
                        text.push_str(e);
                        text.push('}');
                    }
                }
            }
        }
    }
    changed.then(|| eval::string(site, text))
}

/// Literal text as the tree spells it (`${` written `$${`).
pub(crate) fn escape(text: &str) -> Cow<'_, str> {
    if text.contains("${") || text.contains("%{") {
        Cow::Owned(text.replace("${", "$${").replace("%{", "%%{"))
    } else {
        Cow::Borrowed(text)
    }
}

/// Whether folding can tell more of `expr` than evaluation of the tree does: a plain
/// `var.x`, `local.x` or resource reference is left as it is (its value, or its unknown, is
/// read where it is used).
///
/// A `jsonencode({...})` document is left too: the policy reader parses it where it is
/// written, with a position for each part.
fn wants(expr: &str, inst: &Instance<'_>) -> bool {
    let e = expr.trim();
    if e.starts_with("jsonencode(") {
        return false;
    }
    if e.contains(['(', '[', '?', '=', '!', '&', '|', '{']) {
        return true;
    }
    match e.split('.').next().unwrap_or_default() {
        "var" | "local" => e.matches('.').count() >= 2,
        "each" => inst.each.is_some(),
        "count" => inst.index.is_some(),
        _ => false,
    }
}

/// Whether any string of the configuration holds an expression folding may tell more of.
fn has_candidates(node: &Node<'_>, depth: usize) -> bool {
    let any = Instance {
        each: Some((
            Node::new(Span::empty(0), Value::Null),
            Node::new(Span::empty(0), Value::Null),
        )),
        index: Some(0),
    };
    candidates(node, &any, depth)
}

fn candidates(node: &Node<'_>, any: &Instance<'_>, depth: usize) -> bool {
    match &node.value {
        Value::String(s) if s.contains("${") => terraform_segments(s)
            .iter()
            .any(|seg| matches!(seg, Segment::Expr(e) if wants(e, any))),
        Value::Seq(items) if depth < MAX_DEPTH => {
            items.iter().any(|i| candidates(i, any, depth + 1))
        }
        Value::Map(entries) if depth < MAX_DEPTH => {
            entries.iter().any(|e| candidates(&e.value, any, depth + 1))
        }
        _ => false,
    }
}

fn objects_mut<'n, 'a>(node: &'n mut Node<'a>) -> Vec<&'n mut Node<'a>> {
    if node.is_map() {
        return vec![node];
    }
    match &mut node.value {
        Value::Seq(items) => items.make_mut().iter_mut().filter(|n| n.is_map()).collect(),
        _ => Vec::new(),
    }
}

fn block_entries<'n, 'a>(node: &'n mut Node<'a>) -> &'n mut [Entry<'a>] {
    match &mut node.value {
        Value::Map(entries) => entries.make_mut(),
        _ => &mut [],
    }
}

#[cfg(test)]
mod tests;
