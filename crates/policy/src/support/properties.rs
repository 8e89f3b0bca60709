//! Property checks shared by policies: a boolean that must be on, a setting that must be set.

use crate::model::lookup::{Lookup, lookup};
use crate::model::{Resource, Template, Val};
use crate::source::Span;
use crate::{Context, Fix};

/// A boolean property check with a default: returns the span to report when the property is
/// known to be `want`'s opposite in some branch, or absent while the default is wrong.
pub(crate) enum BoolState {
    /// Set to the wrong value (in some branch): report at this span.
    Wrong(Span),
    /// Not set, and the default is the wrong value.
    MissingWrong,
    /// Known to be as wanted in every branch, or unknown.
    Fine,
}

/// The state of boolean property `key` of `r` against `want`, with `default` when it is absent.
pub(crate) fn bool_property(
    t: &Template<'_>,
    r: &Resource<'_>,
    key: &str,
    want: bool,
    default: bool,
) -> BoolState {
    match r.prop(key) {
        Some(node) => match t.bools(node).into_iter().find(|(b, _)| *b == Some(!want)) {
            Some((_, span)) => BoolState::Wrong(span),
            None => BoolState::Fine,
        },
        None if r.is_unknown(key) => BoolState::Fine,
        None if default != want => BoolState::MissingWrong,
        None => BoolState::Fine,
    }
}

/// The fix that makes the value at `span` (of property `key`) `true`, when the value is
/// written in the resource itself (not a parameter's default or a mapping elsewhere).
pub(crate) fn set_true(r: &Resource<'_>, span: Span, key: &str) -> Option<Fix> {
    let props = r.properties?;
    (props.span.start <= span.start && span.end <= props.span.end).then(|| Fix::Set {
        span,
        key: key.to_string(),
        literal: "true",
    })
}

/// The fix that adds `key: true` to the resource's properties (when it has some to add to).
pub(crate) fn add_true(r: &Resource<'_>, key: &str) -> Option<Fix> {
    let first = r.properties?.entries().first()?;
    Some(Fix::Add {
        first_key: first.key_span,
        key: key.to_string(),
        literal: "true",
    })
}

/// A path that must end in `true` (or be absent with a `true` default). Reports each known
/// `false` at its span, and absence (when the default is `false`) at the nearest existing
/// parent. `what` completes "`<id>` ..." in the message.
pub(crate) fn require_true(
    cx: &mut Context<'_, '_>,
    r: &Resource<'_>,
    path: &[&str],
    default: bool,
    what: &str,
) {
    let t = cx.template;
    let hits = lookup(t, r, path);
    let key = path.join(".");
    for hit in hits {
        match hit {
            Lookup::Found(v) if v.val.as_bool() == Some(false) => {
                let fix = set_true(r, v.span, path[path.len() - 1]);
                let message = format!("`{}` {what} ({key} is false)", r.id);
                cx.report_fixable(r, v.span, message, fix);
            }
            Lookup::Missing(span) if !default => {
                // Only a top-level property can be added in place; a nested one may need its
                // parent created.
                let fix = (path.len() == 1).then(|| add_true(r, path[0])).flatten();
                let message = format!("`{}` {what} ({key} is not set)", r.id);
                cx.report_fixable(r, span, message, fix);
            }
            _ => {}
        }
    }
}

/// A path that must be present (any known non-empty value). Reports absence at the nearest
/// existing parent.
pub(crate) fn require_present(
    cx: &mut Context<'_, '_>,
    r: &Resource<'_>,
    path: &[&str],
    what: &str,
) {
    let t = cx.template;
    let key = path.join(".");
    let hits = lookup(t, r, path);
    // Several branches: report once per missing location.
    let mut reported = Vec::new();
    for hit in hits {
        if let Lookup::Missing(span) = hit
            && !reported.contains(&span)
        {
            reported.push(span);
            cx.report(r, span, format!("`{}` {what} ({key} is not set)", r.id));
        }
        if let Lookup::Found(v) = &hit {
            let empty = match v.val {
                Val::Seq(s) => t.items(s).is_empty(),
                Val::Map(m) => m.entries().is_empty(),
                _ => v.val.known_text() == Some(""),
            };
            if empty {
                cx.report(r, v.span, format!("`{}` {what} ({key} is empty)", r.id));
            }
        }
    }
}
