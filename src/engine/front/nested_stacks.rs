//! Nested stacks whose template is a local file (`TemplateURL: ./child.yaml`, as `aws
//! cloudformation package` and `sam build` resolve them): the parent passes `Parameters` to the
//! child, and what those values make wrong in the child is the parent's finding. The child,
//! checked alone (its file is walked too), keeps its defaults and reports what they make wrong.
//!
//! A child finding beyond its own check lands on the parent's value of the parameter it reads
//! (`Ref: Retention` → the parent's `Retention: 1`), else on the nested stack's logical ID,
//! naming the child's resource (`Logs/Group`) and its template.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::model::{Format, Template};
use crate::parse::{self, Entry, Node, Value};
use crate::policy::{self, RawFinding};
use crate::source::Span;

use crate::engine::Engine;

/// A nested stack's local template: the resource's logical ID and its key's span, the
/// parameters it passes, the child's path.
struct Nested<'n, 'a> {
    name: &'n str,
    label: Span,
    parameters: Option<&'n Node<'a>>,
    path: PathBuf,
    /// The child's path relative to the parent's directory, with `/` separators.
    relative: String,
}

impl Engine {
    /// What the local child templates of `root` (the file at `origin`) report with the values
    /// the parent passes, beyond what they report alone.
    pub(super) fn nested_stack_findings(
        &self,
        root: &Node<'_>,
        origin: Option<&Path>,
        enabled: &dyn Fn(&policy::PolicyMeta) -> bool,
    ) -> Vec<RawFinding> {
        let Some(dir) = origin.and_then(Path::parent) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for nested in nested_stacks(root, dir) {
            out.extend(self.child_findings(&nested, enabled));
        }
        out
    }

    fn child_findings(
        &self,
        nested: &Nested<'_, '_>,
        enabled: &dyn Fn(&policy::PolicyMeta) -> bool,
    ) -> Vec<RawFinding> {
        let display = crate::walk::display_path(&nested.path);
        let not_checked = |why: &str| RawFinding {
            elsewhere: Default::default(),
            policy: "PARSE006",
            span: nested.label,
            message: format!(
                "the template of nested stack `{}` ({display}) {why}, so what the parameters \
                 passed to it make wrong was not checked",
                nested.name
            )
            .into(),
            resource: Some(nested.name.to_string().into()),
            fix: None,
            related: Default::default(),
        };
        let Some(text) = crate::output::read_regular_text(&nested.path, self.options.max_file_size)
        else {
            return vec![not_checked(
                "is not a readable UTF-8 file within the size limit",
            )];
        };
        let file_name = nested
            .path
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned());
        let Ok(parsed) = parse::load(&text, &file_name, &self.options.limits) else {
            return vec![not_checked("does not load (its own check says where)")];
        };
        let alone = {
            let mut t = Template::new(Format::CloudFormation, &parsed.root);
            t.source = Some(&text);
            self.run_policies(&t, enabled)
        };
        let known: HashSet<(&str, Option<&str>, &str)> = alone
            .iter()
            .map(|r| (r.policy, r.resource.as_deref(), &*r.message))
            .collect();
        let mut passed = parsed.root.clone();
        let Some(parameters) = nested.parameters else {
            return Vec::new();
        };
        set_defaults(&mut passed, parameters);
        let mut t = Template::new(Format::CloudFormation, &passed);
        t.source = Some(&text);
        let index = crate::source::LineIndex::new(&text);
        self.run_policies(&t, enabled)
            .into_iter()
            .filter(|r| policy::meta(r.policy).is_some())
            .filter(|r| !known.contains(&(r.policy, r.resource.as_deref(), &*r.message)))
            .map(|mut raw| {
                // The other end: where the child's template says it.
                let end = (raw.span.end as usize).min(text.len());
                raw.elsewhere.push(crate::finding::Related {
                    path: std::sync::Arc::from(nested.relative.as_str()),
                    span: raw.span,
                    start: index.position(&text, raw.span.start as usize),
                    end: index.position(&text, end),
                    message: format!("in the template of nested stack `{}`", nested.name),
                });
                let read = crate::engine::place::span_text(&text, raw.span);
                raw.span = parameter_read(read)
                    .and_then(|p| parameters.entry(p))
                    .map_or(nested.label, |e| e.value.span);
                raw.fix = None;
                if let Some(id) = raw.resource.take() {
                    let named = format!("{}/{id}", nested.name);
                    raw.message = raw
                        .message
                        .replace(&format!("`{id}`"), &format!("`{named}`"))
                        .into();
                    raw.resource = Some(named.into());
                }
                raw.message = format!(
                    "{} (nested stack `{}`, template {display})",
                    raw.message, nested.name
                )
                .into();
                raw
            })
            .collect()
    }
}

/// Whether a template has nested stacks or applications whose template is a local file (its
/// report then depends on theirs).
pub(super) fn has_local_templates(root: &Node<'_>) -> bool {
    !nested_stacks(root, Path::new("")).is_empty()
}

/// The nested stacks of a template whose template is a local file.
fn nested_stacks<'n, 'a>(root: &'n Node<'a>, dir: &Path) -> Vec<Nested<'n, 'a>> {
    let mut out = Vec::new();
    for e in root.get("Resources").map(Node::entries).unwrap_or_default() {
        let (url, parameters) = match e.value.get("Type").and_then(Node::as_str) {
            Some("AWS::CloudFormation::Stack") => (
                e.value.at(&["Properties", "TemplateURL"]),
                e.value.at(&["Properties", "Parameters"]),
            ),
            Some("AWS::Serverless::Application") => (
                e.value.at(&["Properties", "Location"]),
                e.value.at(&["Properties", "Parameters"]),
            ),
            _ => continue,
        };
        let Some(url) = url.and_then(Node::as_str).filter(|u| is_local(u)) else {
            continue;
        };
        let relative: Vec<String> = Path::new(url)
            .components()
            .filter(|c| !matches!(c, std::path::Component::CurDir))
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        out.push(Nested {
            name: &e.key,
            label: e.key_span,
            parameters,
            relative: relative.join("/"),
            // `./child.yaml` named as the walk names the child.
            path: dir
                .join(url)
                .components()
                .filter(|c| !matches!(c, std::path::Component::CurDir))
                .collect(),
        });
    }
    out
}

/// Whether a `TemplateURL` is a file beside the template (not `https://`, `s3://`).
fn is_local(url: &str) -> bool {
    !url.contains("://") && !url.is_empty() && !Path::new(url).is_absolute()
}

/// The child's parameters given the parent's values as defaults: a literal value replaces the
/// default (placed at the default, where the child's text is); an expression of the parent
/// (`!Ref`, `!GetAtt`) leaves the parameter without one, unknown.
fn set_defaults(child: &mut Node<'_>, passed: &Node<'_>) {
    let Value::Map(sections) = &mut child.value else {
        return;
    };
    let Some(Value::Map(params)) = sections
        .make_mut()
        .iter_mut()
        .find(|e| e.key == "Parameters")
        .map(|e| &mut e.value.value)
    else {
        return;
    };
    for p in params.make_mut().iter_mut() {
        let Some(value) = passed.get(&p.key) else {
            continue;
        };
        let Value::Map(body) = &mut p.value.value else {
            continue;
        };
        let body = body.make_mut();
        body.retain(|e| e.key != "Default");
        if is_literal(value) {
            let mut value = value.clone().into_owned();
            value.respan(p.key_span);
            body.push(Entry {
                key: "Default".into(),
                key_span: p.key_span,
                value,
            });
        }
    }
}

/// Whether a value is written out (no intrinsic function anywhere in it).
fn is_literal(node: &Node<'_>) -> bool {
    match &node.value {
        Value::Map(entries) => entries
            .iter()
            .all(|e| !(e.key == "Ref" || e.key.starts_with("Fn::")) && is_literal(&e.value)),
        Value::Seq(items) => items.iter().all(is_literal),
        _ => true,
    }
}

/// The parameter a `Ref` reads (`!Ref Retention`, `{"Ref": "Retention"}` as written).
fn parameter_read(text: &str) -> Option<&str> {
    let t = text.trim();
    let name = t
        .strip_prefix("!Ref")
        .or_else(|| t.strip_prefix("Ref:"))
        .map(str::trim)
        .or_else(|| {
            let inner = t.strip_prefix('{')?.strip_suffix('}')?.trim();
            inner
                .strip_prefix("\"Ref\"")?
                .trim()
                .strip_prefix(':')
                .map(str::trim)
        })?;
    let name = name.trim_matches('"').trim_matches('\'');
    (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric())).then_some(name)
}
