//! The strings authors wrote in resources, with intrinsics evaluated, for policies that scan
//! every string.

use crate::model::lookup::tf_configured_keys;
use crate::model::walk;
use crate::model::{Template, Val};
use crate::source::Span;

/// A string value written in a resource: intrinsics evaluated; in Terraform plans, only
/// configured attributes, never Terraform's computed `arn`/`id`.
#[derive(Clone, Debug)]
pub(crate) struct Authored<'a> {
    /// The nearest mapping key above it.
    pub key: Option<&'a str>,
    /// The text, intrinsics evaluated.
    pub text: std::borrow::Cow<'a, str>,
    /// Where it is written.
    pub span: Span,
}

/// The strings authored in each resource (indexed like `Template::resources`): computed once
/// per template for the policies that scan every string (the region family).
pub(crate) fn all_authored<'a>(t: &Template<'a>) -> Vec<Vec<Authored<'a>>> {
    t.resources
        .iter()
        .map(|r| {
            let mut out = Vec::new();
            let Some(props) = r.properties else {
                return out;
            };
            let mut push = |key: Option<&'a str>, v: &crate::model::Resolved<'a>| {
                if let Val::Str(s) = &v.val {
                    out.push(Authored {
                        key,
                        text: s.clone(),
                        span: v.span,
                    });
                }
            };
            if t.is_terraform() {
                let configured = tf_configured_keys(t, r);
                for e in props.entries() {
                    if matches!(e.key.as_ref(), "arn" | "id")
                        || configured
                            .as_ref()
                            .is_some_and(|c| !c.contains(&e.key.as_ref()))
                    {
                        continue;
                    }
                    let top: &'a str = &e.key;
                    walk::scalars(t, &e.value, &mut |key, v| push(key.or(Some(top)), v));
                }
            } else {
                walk::scalars(t, props, &mut |key, v| push(key, v));
            }
            out
        })
        .collect()
}
