//! Guard's structured report turned into tripline findings.

use std::borrow::Cow;
use std::fmt::Write;

use serde_json::Value as Json;

use super::GuardRule;
use super::locate::locate;
use super::rulefile::collapse;
use crate::model::{Format, Template};
use crate::parse::{Node, Value};
use crate::policy::{PolicyMeta, RawFinding};
use crate::source::Span;

/// The data Guard evaluates for a template: the file's own text where Guard reads the format
/// itself (CloudFormation, Terraform JSON), the `*.tf.json`-shaped tree as JSON for Terraform
/// configurations (HCL is not a format Guard reads; a directory is one configuration).
pub(super) fn data_for<'t>(template: &'t Template<'_>) -> Cow<'t, str> {
    match (template.format, template.source) {
        (Format::TerraformConfig, _) | (_, None) => {
            let mut out = String::new();
            write_json(template.root, &mut out);
            Cow::Owned(out)
        }
        (_, Some(text)) => Cow::Borrowed(text),
    }
}

fn write_json(node: &Node<'_>, out: &mut String) {
    match &node.value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) if serde_json::from_str::<serde_json::Number>(n).is_ok() => {
            out.push_str(n)
        }
        Value::Number(n) => write_string(n, out),
        Value::String(s) => write_string(s, out),
        Value::Seq(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            out.push('{');
            for (i, e) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(&e.key, out);
                out.push(':');
                write_json(&e.value, out);
            }
            out.push('}');
        }
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push_str(&serde_json::to_string(s).expect("strings serialize"));
}

/// One failed check, as deep as Guard's report goes.
#[derive(Debug, Default)]
struct Failure {
    /// Where Guard found the value it checked, or where its query stopped.
    path: Option<String>,
    /// The part of the query that found nothing.
    missing: Option<String>,
    /// The clause as Guard prints it.
    context: String,
    custom: Option<String>,
    /// The value compared, compactly.
    value: Option<String>,
    /// Why Guard could not resolve the clause, when it gives no path.
    reason: Option<String>,
}

pub(super) fn findings<'r>(
    rules: impl Iterator<Item = &'r GuardRule> + Clone,
    template: &Template<'_>,
    report: &Json,
    enabled: &dyn Fn(&PolicyMeta) -> bool,
) -> Vec<RawFinding> {
    let mut raws: Vec<RawFinding> = Vec::new();
    for entry in report["not_compliant"].as_array().into_iter().flatten() {
        let rule = &entry["Rule"];
        let Some(name) = rule["name"].as_str() else {
            continue;
        };
        let Some(guard_rule) = rules.clone().find(|r| r.name == name) else {
            continue;
        };
        if !enabled(guard_rule.meta) {
            continue;
        }
        let mut failures = Vec::new();
        collect(rule, &mut failures);
        if failures.is_empty() {
            failures.push(Failure::default());
        }
        for failure in failures {
            let (span, exact) = match &failure.path {
                Some(p) => {
                    let l = locate(template.root, p);
                    (l.span, l.exact)
                }
                None => (Span::empty(0), false),
            };
            let resource = resource_at(template, span);
            let message = message(
                guard_rule.message.as_deref(),
                &failure,
                exact,
                resource.is_some(),
            );
            if raws
                .iter()
                .any(|r| r.policy == guard_rule.meta.id && r.span == span)
            {
                continue;
            }
            raws.push(RawFinding {
                elsewhere: Default::default(),
                policy: guard_rule.meta.id,
                span,
                message: message.into(),
                resource: resource.map(Box::from),
                fix: None,
                related: Default::default(),
            });
        }
    }
    raws
}

/// The failures under a rule's report, depth first.
fn collect(report: &Json, out: &mut Vec<Failure>) {
    for check in report["checks"].as_array().into_iter().flatten() {
        if let Some(rule) = check.get("Rule") {
            collect(rule, out);
        } else if let Some(or) = check.get("Disjunctions") {
            collect(or, out);
        } else if let Some(block) = check.get("Block") {
            let unresolved = &block["unresolved"];
            out.push(Failure {
                path: unresolved["traversed_to"]["path"]
                    .as_str()
                    .map(str::to_string),
                missing: unresolved["remaining_query"].as_str().map(str::to_string),
                context: collapse_line(block["context"].as_str().unwrap_or("")),
                custom: custom(&block["messages"]),
                ..Failure::default()
            });
        } else if let Some(clause) = check.get("Clause") {
            let Some(clause) = clause.get("Unary").or_else(|| clause.get("Binary")) else {
                continue;
            };
            let c = &clause["check"];
            let mut failure = Failure {
                context: collapse_line(clause["context"].as_str().unwrap_or("")),
                custom: custom(&clause["messages"]),
                ..Failure::default()
            };
            if let Some(resolved) = c.get("Resolved").or_else(|| c.get("InResolved")) {
                let value = resolved.get("value").or_else(|| resolved.get("from"));
                if let Some(v) = value {
                    failure.path = v["path"].as_str().map(str::to_string);
                    failure.value = Some(compact(&v["value"]));
                }
            } else if let Some(unresolved) = c.get("UnResolved") {
                let u = &unresolved["value"];
                failure.path = u["traversed_to"]["path"].as_str().map(str::to_string);
                failure.missing = u["remaining_query"].as_str().map(str::to_string);
            } else if let Some(reason) = c.get("UnResolvedContext") {
                failure.reason = reason.as_str().map(collapse_line);
            }
            out.push(failure);
        }
    }
}

fn custom(messages: &Json) -> Option<String> {
    messages["custom_message"]
        .as_str()
        .map(collapse)
        .filter(|m| !m.is_empty())
}

fn collapse_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A value as short JSON (long ones cut, on a character boundary).
fn compact(v: &Json) -> String {
    let s = v.to_string();
    if s.chars().count() <= 80 {
        return s;
    }
    let cut: String = s.chars().take(77).collect();
    format!("{cut}...")
}

fn message(rule_message: Option<&str>, f: &Failure, exact: bool, in_resource: bool) -> String {
    let mut m = String::new();
    let base = f.custom.as_deref().or(rule_message);
    if let Some(base) = base {
        // The registry's `Violation:`/`Fix:` convention: the fix is the help, not the message.
        let said: Vec<&str> = base
            .lines()
            .filter(|l| !super::rulefile::is_fix_line(l))
            .map(|l| super::rulefile::strip_label(l, "Violation:"))
            .collect();
        m.push_str(&said.join(" "));
        m.push_str(" (");
    }
    let clause = if f.context.is_empty() {
        "the rule".to_string()
    } else {
        format!("`{}`", f.context)
    };
    let _ = write!(m, "{clause} fails");
    if let Some(missing) = &f.missing {
        let _ = write!(m, ": `{missing}` is missing here");
    } else if let Some(v) = &f.value {
        let _ = write!(m, ": the value here is {v}");
    }
    if f.path.is_none() {
        let whom = if in_resource {
            "its resource"
        } else {
            "the top of the file"
        };
        let _ = write!(
            m,
            "; Guard gave no path{}, so this points at {whom}",
            f.reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        );
    } else if !exact && f.missing.is_none() {
        m.push_str("; Guard's path was not all found in the file, so this points at the deepest part that was");
    }
    if base.is_some() {
        m.push(')');
    }
    m
}

/// The innermost resource whose definition holds `span`.
fn resource_at(template: &Template<'_>, span: Span) -> Option<String> {
    template
        .resources
        .iter()
        .filter(|r| {
            (r.node.span.start <= span.start && span.end <= r.node.span.end) || r.anchor == span
        })
        .min_by_key(|r| r.node.span.end - r.node.span.start)
        .map(|r| r.id.to_string())
}
