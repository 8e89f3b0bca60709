//! Visiting every value under a node, with intrinsic functions evaluated.

use std::borrow::Cow;

use crate::parse::{Node, Value};
use crate::{Format, Resolved, Template, Val};

/// Calls `f(key, value)` for every scalar under `node`, where `key` is the nearest mapping key
/// above it. Intrinsic functions are evaluated (`Fn::Sub` yields its substituted string, a `Ref`
/// its parameter default) and both branches of an `Fn::If` are visited.
pub fn scalars<'a, 'n>(
    t: &Template<'a>,
    node: &'n Node<'n>,
    f: &mut dyn FnMut(Option<&'n str>, &Resolved<'n>),
) where
    'a: 'n,
{
    visit(t, node, None, f, 0);
}

/// Deepest nesting visited; parsing already bounds depth, this also bounds `Fn::If` chains.
const MAX_DEPTH: usize = 200;

fn visit<'a, 'n>(
    t: &Template<'a>,
    node: &'n Node<'n>,
    key: Option<&'n str>,
    f: &mut dyn FnMut(Option<&'n str>, &Resolved<'n>),
    depth: usize,
) where
    'a: 'n,
{
    if depth > MAX_DEPTH {
        return;
    }
    if let Value::Map(entries) = &node.value {
        let is_function = t.is_cloudformation()
            && entries.len() == 1
            && (entries[0].key == "Ref"
                || entries[0].key.starts_with("Fn::")
                || entries[0].key.starts_with('!'));
        if !is_function {
            for e in entries {
                visit(t, &e.value, Some(&e.key), f, depth + 1);
            }
            return;
        }
        if entries[0].key == "Fn::If" {
            for branch in entries[0].value.items().iter().skip(1).take(2) {
                visit(t, branch, key, f, depth + 1);
            }
            return;
        }
    }
    if let Value::Seq(items) = &node.value {
        for item in items {
            visit(t, item, key, f, depth + 1);
        }
        return;
    }
    // Plain scalars, most of any template, evaluate to themselves: no allocation for them.
    let plain = match &node.value {
        Value::String(s) if t.format != Format::TerraformConfig => Some(Val::Str(Cow::Borrowed(s))),
        Value::Number(n) => Some(Val::Number(Cow::Borrowed(n))),
        Value::Bool(b) => Some(Val::Bool(*b)),
        _ => None,
    };
    if let Some(val) = plain {
        return f(
            key,
            &Resolved {
                val,
                span: node.span,
            },
        );
    }
    for r in t.eval(node) {
        match r.val {
            Val::Map(m) => visit(t, m, key, f, depth + 1),
            Val::Seq(s) => visit(t, s, key, f, depth + 1),
            _ => f(key, &r),
        }
    }
}
