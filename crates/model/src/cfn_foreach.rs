//! `Fn::ForEach` loops of the `AWS::LanguageExtensions` transform, expanded as CloudFormation
//! expands them before it deploys a template:
//!
//! ```yaml
//! Fn::ForEach::Trails:
//!   - Name                      # the identifier
//!   - [Org, Audit]              # the collection
//!   - ${Name}Trail:             # the output key: `${Name}`, or `&{Name}` (alphanumerics only)
//!       Type: AWS::CloudTrail::Trail
//!       Properties: {TrailName: !Sub "${Name}-trail", ...}
//! ```
//!
//! becomes `OrgTrail` and `AuditTrail`. The identifier is replaced in the output keys, in
//! `Ref: Name` and in `Fn::Sub` strings; loops nest. The collection is a list, a `Ref` to a
//! list parameter's default (a `CommaDelimitedList` included), `Fn::Split` of a known string
//! or `Fn::FindInMap`. Expanded entries keep the positions of the loop's body, so a finding
//! points at the body in the file. A loop whose collection is not known cannot be expanded:
//! it is returned, never skipped in silence.

use std::borrow::Cow;

use crate::parse::{Entry, Node, Text, ThinVec, Value};
use crate::source::Span;

/// The prefix of a loop's key.
const FOR_EACH: &str = "Fn::ForEach::";
/// Most entries the loops of one template generate.
const MAX_GENERATED: usize = 10_000;
/// Deepest nesting walked.
const MAX_DEPTH: usize = 64;

/// A loop that could not be expanded: where its key is, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unexpanded {
    /// The loop's key (`Fn::ForEach::Trails`).
    pub span: Span,
    /// What is wrong.
    pub message: String,
}

/// Whether `text` may hold a `Fn::ForEach` loop, without reading its tree: a loop's key is
/// written out (`Fn::ForEach::Name`), except in a quoted key with escapes (`"Fn::For\u0045ach"`),
/// which needs a backslash. A template of neither is loop-free, and its tree is not walked
/// (1.4% of checking a 50 MB template).
pub fn may_hold_loops(text: &str) -> bool {
    memchr::memmem::find(text.as_bytes(), b"ForEach").is_some()
        || memchr::memchr(b'\\', text.as_bytes()).is_some()
}

/// Whether a template has loops to expand.
pub fn has_loops(root: &Node<'_>) -> bool {
    ["Resources", "Outputs", "Conditions"]
        .iter()
        .filter_map(|s| root.get(s))
        .any(|n| holds_loops(n, 1))
}

/// Whether `node`, at `depth` of the expansion's walk, holds a loop the walk expands.
fn holds_loops(node: &Node<'_>, depth: usize) -> bool {
    depth <= MAX_DEPTH
        && match &node.value {
            Value::Map(entries) => entries
                .iter()
                .any(|e| e.key.starts_with(FOR_EACH) || holds_loops(&e.value, depth + 1)),
            Value::Seq(items) => items.iter().any(|i| holds_loops(i, depth + 1)),
            _ => false,
        }
}

/// Expand the loops of a template's `Resources`, `Outputs` and `Conditions` in place; the
/// loops that could not be expanded.
pub fn expand_for_each(root: &mut Node<'_>) -> Vec<Unexpanded> {
    let snapshot = root.clone();
    let mut expander = Expander {
        root: &snapshot,
        generated: 0,
        problems: Vec::new(),
    };
    if let Value::Map(entries) = &mut root.value {
        for e in entries.make_mut().iter_mut() {
            if matches!(e.key.as_ref(), "Resources" | "Outputs" | "Conditions") {
                expander.node(&mut e.value, 0);
            }
        }
    }
    expander.problems
}

struct Expander<'s, 'a> {
    /// The template as written (parameters, mappings).
    root: &'s Node<'a>,
    generated: usize,
    problems: Vec<Unexpanded>,
}

impl<'a> Expander<'_, 'a> {
    fn node(&mut self, node: &mut Node<'a>, depth: usize) {
        // Only the lists on the way to a loop are changed (and so copied, for a tree in an
        // arena).
        if !holds_loops(node, depth) {
            return;
        }
        match &mut node.value {
            Value::Map(entries) => {
                // A loop's output may be a loop (nested loops): expand until none is left,
                // a level of nesting per pass.
                for _ in 0..MAX_DEPTH {
                    if !entries.iter().any(|e| e.key.starts_with(FOR_EACH)) {
                        break;
                    }
                    let mut out = ThinVec::with_capacity(entries.len());
                    for e in std::mem::take(entries) {
                        if e.key.starts_with(FOR_EACH) {
                            out.extend(self.expand(e, depth));
                        } else {
                            out.push(e);
                        }
                    }
                    *entries = out.into();
                }
                for e in entries.make_mut().iter_mut() {
                    self.node(&mut e.value, depth + 1);
                }
            }
            Value::Seq(items) => items
                .make_mut()
                .iter_mut()
                .for_each(|i| self.node(i, depth + 1)),
            _ => {}
        }
    }

    /// The entries one loop generates (its inner loops expanded by the caller's walk).
    fn expand(&mut self, e: Entry<'a>, depth: usize) -> Vec<Entry<'a>> {
        let parts = e.value.items();
        let (Some(identifier), Some(collection), Some(template)) = (
            parts.first().and_then(Node::as_str),
            parts.get(1),
            parts.get(2).filter(|t| t.is_map()),
        ) else {
            self.problem(
                &e,
                "is not `[Identifier, Collection, {OutputKey: OutputValue}]`",
            );
            return Vec::new();
        };
        let Some(values) = self.collection(collection, depth) else {
            self.problem(
                &e,
                "has a collection whose value the template does not say (a parameter without \
                 default, a resource attribute, an import), so what it generates was not \
                 checked",
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for value in &values {
            for t in template.entries() {
                self.generated += 1;
                if self.generated > MAX_GENERATED {
                    self.problem(
                        &e,
                        "generates more than 10,000 entries; the rest were not checked",
                    );
                    return out;
                }
                let mut value_node = t.value.clone();
                substitute(&mut value_node, identifier, value, 0);
                out.push(Entry {
                    key: Text::owned(replace_identifier(&t.key, identifier, value)),
                    key_span: t.key_span,
                    value: value_node,
                });
            }
        }
        out
    }

    fn problem(&mut self, e: &Entry<'_>, what: &str) {
        self.problems.push(Unexpanded {
            span: e.key_span,
            message: format!("`{}` {what}", e.key),
        });
    }

    /// The strings of a loop's collection, when the template says them.
    fn collection(&self, node: &Node<'_>, depth: usize) -> Option<Vec<String>> {
        if depth > MAX_DEPTH {
            return None;
        }
        match &node.value {
            Value::Seq(items) => items
                .iter()
                .map(|i| i.scalar_text().map(Cow::into_owned))
                .collect(),
            Value::String(s) => Some(split_list(s)),
            Value::Map(_) => {
                let e = node.single_entry()?;
                match e.key.as_ref() {
                    "Ref" => {
                        let name = e.value.as_str()?;
                        let default = self.root.at(&["Parameters", name, "Default"])?;
                        self.collection(default, depth + 1)
                    }
                    "Fn::Split" => {
                        let args = e.value.items();
                        let delimiter = args.first()?.as_str()?;
                        let text = args.get(1)?.as_str()?;
                        Some(text.split(delimiter).map(str::to_string).collect())
                    }
                    "Fn::FindInMap" => {
                        let args = e.value.items();
                        let map = self.root.at(&["Mappings", args.first()?.as_str()?])?;
                        let top = self.map_key(args.get(1)?, map)?;
                        let second = map.get(&top)?;
                        let key = self.map_key(args.get(2)?, second)?;
                        self.collection(second.get(&key)?, depth + 1)
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

impl Expander<'_, '_> {
    /// A key of `Fn::FindInMap` into `level`: written, a parameter's default, or — for a
    /// parameter without one — the level's only key (any other value fails the deployment).
    fn map_key(&self, key: &Node<'_>, level: &Node<'_>) -> Option<String> {
        if let Some(k) = key.as_str() {
            return Some(k.to_string());
        }
        let name = key.get("Ref").and_then(Node::as_str)?;
        let parameter = self.root.at(&["Parameters", name])?;
        if let Some(default) = parameter.get("Default").and_then(Node::scalar_text) {
            return Some(default.into_owned());
        }
        match level.entries() {
            [only] => Some(only.key.to_string()),
            _ => None,
        }
    }
}

/// A `CommaDelimitedList` default: `"a, b"` → `[a, b]`.
fn split_list(s: &str) -> Vec<String> {
    s.split(',').map(|p| p.trim().to_string()).collect()
}

/// `${Id}` → the value, `&{Id}` → the value's alphanumeric characters.
fn replace_identifier(text: &str, identifier: &str, value: &str) -> String {
    let alphanumeric: String = value.chars().filter(char::is_ascii_alphanumeric).collect();
    text.replace(&format!("${{{identifier}}}"), value)
        .replace(&format!("&{{{identifier}}}"), &alphanumeric)
}

/// The identifier replaced in a loop body: `Ref: Id`, `Fn::Sub` strings, and the keys of
/// inner loops' output keys.
fn substitute<'a>(node: &mut Node<'a>, identifier: &str, value: &str, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let span = node.span;
    match &mut node.value {
        Value::Map(entries) => {
            if let [e] = entries.as_slice()
                && e.key == "Ref"
                && e.value.as_str() == Some(identifier)
            {
                *node = Node::new(span, Value::String(Text::owned(value.to_string())));
                return;
            }
            for e in entries.make_mut().iter_mut() {
                if e.key.contains('{') {
                    e.key = Text::owned(replace_identifier(&e.key, identifier, value));
                }
                if e.key == "Fn::Sub" {
                    sub_template(&mut e.value, identifier, value);
                }
                substitute(&mut e.value, identifier, value, depth + 1);
            }
        }
        Value::Seq(items) => items
            .make_mut()
            .iter_mut()
            .for_each(|i| substitute(i, identifier, value, depth + 1)),
        _ => {}
    }
}

/// The identifier replaced in an `Fn::Sub` string (`"${Id}"`, or `["${Id}", {vars}]`).
fn sub_template(node: &mut Node<'_>, identifier: &str, value: &str) {
    let target = match &mut node.value {
        Value::Seq(items) => items.make_mut().first_mut(),
        _ => Some(node),
    };
    if let Some(Node {
        value: Value::String(s),
        ..
    }) = target
        && s.contains(identifier)
    {
        *s = Text::owned(replace_identifier(s, identifier, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{Limits, yaml};

    /// A template whose text cannot hold a loop's key is never walked for one; one that can,
    /// written out or through escapes, is, and the walk decides.
    #[test]
    fn only_a_text_that_can_hold_a_loop_is_walked() {
        let plain = "Resources:\n  B:\n    Type: AWS::S3::Bucket\n";
        let looped = "Resources:\n  Fn::ForEach::B:\n    - N\n    - [a]\n    - B${N}: {Type: AWS::S3::Bucket}\n";
        let escaped = "{\"Resources\": {\"Fn::For\\u0045ach::B\": [\"N\", [\"a\"], {}]}}";
        assert!(!may_hold_loops(plain));
        assert!(may_hold_loops(looped));
        assert!(may_hold_loops(escaped));
        for text in [plain, looped] {
            let root = yaml::parse(text, &Limits::default()).unwrap().root;
            assert_eq!(has_loops(&root), may_hold_loops(text), "{text}");
        }
    }

    fn expanded(text: &str) -> (Vec<String>, Vec<String>) {
        let mut root = yaml::parse(text, &Limits::default()).unwrap().root;
        let problems = expand_for_each(&mut root);
        let t = crate::Template::new(crate::Format::CloudFormation, &root);
        let ids = t
            .resources
            .iter()
            .map(|r| {
                let name = r
                    .prop("TrailName")
                    .map(|n| {
                        t.eval(n)
                            .iter()
                            .map(|v| v.val.text().unwrap_or("?").to_string())
                            .collect::<Vec<_>>()
                            .join("|")
                    })
                    .unwrap_or_default();
                format!("{}={name}", r.id)
            })
            .collect();
        (ids, problems.into_iter().map(|p| p.message).collect())
    }

    #[test]
    fn loops_expand_as_cloudformation_expands_them() {
        let text = r#"
Transform: AWS::LanguageExtensions
Parameters:
  Envs: {Type: CommaDelimitedList, Default: "prod, dev"}
  Stage: {Type: String}
Mappings:
  Regions: {all: {list: [eu-west-1, us-east-1]}}
  Only: {Production: {Names: [solo]}}
Resources:
  Fn::ForEach::Trails:
    - Name
    - [Org, audit-log]
    - "&{Name}Trail":
        Type: AWS::CloudTrail::Trail
        Properties:
          TrailName: !Sub "${Name}-trail"
          S3BucketName: !Ref Name
  Fn::ForEach::Envs:
    - Env
    - !Ref Envs
    - Fn::ForEach::Regions:
        - Region
        - !FindInMap [Regions, all, list]
        - "${Env}&{Region}":
            Type: AWS::CloudTrail::Trail
            Properties:
              TrailName: !Sub "${Env}-${Region}"
  Fn::ForEach::OnlyKey:
    - N
    - !FindInMap [Only, !Ref Stage, Names]
    - "${N}":
        Type: AWS::CloudTrail::Trail
        Properties:
          TrailName: !Ref N
  Fn::ForEach::Unknown:
    - X
    - !GetAtt Something.List
    - "${X}":
        Type: AWS::S3::Bucket
"#;
        let (ids, problems) = expanded(text);
        assert_eq!(
            ids,
            [
                "OrgTrail=Org-trail",
                "auditlogTrail=audit-log-trail",
                "prodeuwest1=prod-eu-west-1",
                "produseast1=prod-us-east-1",
                "deveuwest1=dev-eu-west-1",
                "devuseast1=dev-us-east-1",
                // `Stage` has no default, but `Production` is the only key it can be.
                "solo=solo",
            ]
        );
        assert_eq!(problems.len(), 1);
        assert!(problems[0].starts_with("`Fn::ForEach::Unknown` has a collection"));
    }
}
