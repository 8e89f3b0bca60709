//! Following property paths through a resource: mappings by key, lists item by item,
//! intrinsics evaluated on the way; and what a resource's authors wrote (a plan's configuration,
//! CloudFormation's deletion policies).

use crate::parse::{Node, Value};
use crate::source::Span;
use crate::{Resolved, Resource, Template, Val};

/// The outcome of following a property path through a resource.
#[derive(Debug)]
pub enum Lookup<'n> {
    /// A value at the end of the path (one per `Fn::If` branch or list item).
    Found(Resolved<'n>),
    /// The path stops here: the next key is absent under the node with this span (the
    /// resource's anchor when a top-level property is absent).
    Missing(Span),
    /// Something along the path cannot be known.
    Unknown,
}

/// Follow `path` from a resource's properties. Mappings are entered by key; lists (Terraform
/// blocks, CloudFormation property lists) are entered item by item; intrinsics are evaluated
/// along the way.
pub fn lookup<'a>(t: &Template<'a>, r: &Resource<'a>, path: &[&str]) -> Vec<Lookup<'a>> {
    let Some(props) = r.properties else {
        return vec![Lookup::Missing(r.anchor)];
    };
    if let Some(first) = path.first()
        && r.is_unknown(first)
    {
        return vec![Lookup::Unknown];
    }
    let mut out = Vec::new();
    // SAM Globals supply top-level properties the resource does not set.
    let start = match (path.first(), r.defaults()) {
        (Some(first), Some(defaults))
            if props.get(first).is_none() && defaults.get(first).is_some() =>
        {
            defaults
        }
        _ => props,
    };
    follow(t, start, path, r.anchor, &mut out, 0);
    out
}

fn follow<'a>(
    t: &Template<'a>,
    node: &'a Node<'a>,
    path: &[&str],
    missing_at: Span,
    out: &mut Vec<Lookup<'a>>,
    depth: usize,
) {
    if depth > 32 {
        out.push(Lookup::Unknown);
        return;
    }
    let Some((key, rest)) = path.split_first() else {
        for r in t.eval(node) {
            match r.val {
                Val::Unknown => out.push(Lookup::Unknown),
                Val::NoValue => out.push(Lookup::Missing(missing_at)),
                _ => out.push(Lookup::Found(r)),
            }
        }
        return;
    };
    for r in t.eval(node) {
        match r.val {
            Val::Map(m) => match m.entry(key) {
                Some(e) if !matches!(e.value.value, Value::Null) => {
                    follow(t, &e.value, rest, e.key_span, out, depth + 1)
                }
                _ => out.push(Lookup::Missing(missing_at)),
            },
            Val::Seq(s) => {
                let items = t.items(s);
                if items.is_empty() {
                    out.push(Lookup::Missing(missing_at));
                }
                for item in items {
                    follow(t, item, path, missing_at, out, depth + 1);
                }
            }
            Val::NoValue | Val::Null => out.push(Lookup::Missing(missing_at)),
            _ => out.push(Lookup::Unknown),
        }
    }
}

/// The known texts at the end of a path, with list values flattened; `None` when some value
/// cannot be known. The span is where the path stops when nothing is there.
pub fn lookup_texts(
    t: &Template<'_>,
    r: &Resource<'_>,
    path: &[&str],
) -> (Option<Vec<String>>, Span) {
    let mut texts = Vec::new();
    let mut anchor = r.anchor;
    for hit in lookup(t, r, path) {
        match hit {
            Lookup::Found(v) => match v.val {
                Val::Seq(s) => {
                    let (items, unknown) = t.texts_of_list(s);
                    if unknown {
                        return (None, anchor);
                    }
                    texts.extend(items.into_iter().map(|(s, _)| s.to_string()));
                }
                ref other => match other.known_text() {
                    Some(s) => texts.push(s.to_string()),
                    None => return (None, anchor),
                },
            },
            Lookup::Unknown => return (None, anchor),
            Lookup::Missing(span) => anchor = span,
        }
    }
    (Some(texts), anchor)
}

/// Whether a property (or Terraform block) is present with a known, non-empty value in every
/// branch: `Some(true)`; absent in some branch: `Some(false)`; unknown: `None`.
pub fn has_property(t: &Template<'_>, r: &Resource<'_>, path: &[&str]) -> Option<bool> {
    let mut any_unknown = false;
    for hit in lookup(t, r, path) {
        match hit {
            Lookup::Missing(_) => return Some(false),
            Lookup::Unknown => any_unknown = true,
            Lookup::Found(_) => {}
        }
    }
    if any_unknown { None } else { Some(true) }
}

/// Whether a CloudFormation resource is kept when its stack is deleted or it is replaced.
pub fn retained(t: &Template<'_>, r: &Resource<'_>) -> Option<bool> {
    let Some(policy) = r.deletion_policy() else {
        return Some(false);
    };
    let texts = t.texts(policy);
    if texts.is_empty() {
        return None;
    }
    Some(
        texts
            .iter()
            .all(|(s, _)| s == "Retain" || s == "RetainExceptOnCreate"),
    )
}

/// For a resource of a Terraform plan: the top-level attributes written in its configuration
/// (the plan's `configuration` section). Planned values also hold attributes the provider
/// computes (`arn`, `*_domain_name`, a per-resource `region` copied from the provider), which
/// no one pinned in the template. `None` when the configuration is not in the plan, or for
/// other formats.
pub fn tf_configured_keys<'a>(t: &Template<'a>, r: &Resource<'a>) -> Option<Vec<&'a str>> {
    let res = *t.plan_config(r).first()?;
    Some(
        res.get("expressions")
            .map_or(&[][..], Node::entries)
            .iter()
            .map(|e| e.key.as_ref())
            .collect(),
    )
}

/// The texts of a list-or-scalar property, partly known ones included (with
/// [`crate::UNKNOWN_MARK`]s), for matching on their known parts.
pub fn partial_texts<'n>(t: &Template<'_>, node: &'n Node<'n>) -> Vec<(String, Span)> {
    let mut out = Vec::new();
    for r in t.eval(node) {
        match r.val {
            Val::Seq(seq) => {
                for item in t.items(seq) {
                    for ir in t.eval(item) {
                        if let Some(s) = ir.val.text() {
                            out.push((s.to_string(), ir.span));
                        }
                    }
                }
            }
            ref v => {
                if let Some(s) = v.text() {
                    out.push((s.to_string(), r.span));
                }
            }
        }
    }
    out.shrink_to_fit();
    out
}
