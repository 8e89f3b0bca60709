//! StackSets whose template is written inline (`TemplateBody`): the body is a template of its
//! own that CloudFormation deploys to every account and Region of the StackSet, so it is
//! checked as one. Its findings point at the lines inside the outer file, name the StackSet
//! (`OrgBaseline/Detector`) and say where it is deployed; its coverage evidence counts.

use crate::model::{Format, Template};
use crate::parse::{self, Node, Value};
use crate::policy::coverage::{EvidenceKind, RawEvidence};
use crate::policy::organization::Role;
use crate::policy::{self, RawFinding};
use crate::source::Span;

use crate::engine::Engine;

const STACK_SET: &str = "AWS::CloudFormation::StackSet";

/// What the inline templates of a template's StackSets report, in the outer file's offsets.
#[derive(Default)]
pub(super) struct Inline {
    pub raws: Vec<RawFinding>,
    pub evidence: Vec<RawEvidence>,
}

impl Engine {
    /// Check the inline `TemplateBody` of each StackSet of `root` (whose text is `text`).
    pub(super) fn stack_set_bodies(
        &self,
        root: &Node<'_>,
        text: &str,
        enabled: &dyn Fn(&policy::PolicyMeta) -> bool,
    ) -> Inline {
        let mut out = Inline::default();
        let Some(resources) = root.get("Resources") else {
            return out;
        };
        // Built only for a template that has a StackSet: every CloudFormation file comes here.
        if !resources
            .entries()
            .iter()
            .any(|e| e.value.get("Type").and_then(Node::as_str) == Some(STACK_SET))
        {
            return out;
        }
        let outer = Template::new(Format::CloudFormation, root);
        for e in resources.entries() {
            if e.value.get("Type").and_then(Node::as_str) != Some(STACK_SET) {
                continue;
            }
            let Some(body) = e.value.at(&["Properties", "TemplateBody"]) else {
                continue;
            };
            let Some((body_text, at)) = body_text(body) else {
                continue;
            };
            let targets = deployment_targets(&outer, &e.value);
            let reach = policy::organization::deployment(&outer, &e.value);
            let before = out.evidence.len();
            self.check_body(&e.key, body_text, at, text, &targets, enabled, &mut out);
            // What the body establishes, it establishes in the accounts it is deployed to;
            // an organization it would declare is not this one's shape.
            let mut body = out.evidence.split_off(before);
            body.retain(|ev| ev.kind != EvidenceKind::Shape);
            for ev in &mut body {
                ev.org = Some(Box::new(Role::Deployed(reach.clone())));
            }
            out.evidence.extend(body);
        }
        out
    }

    /// One StackSet's body (`body`, written at `at` in the outer `text`).
    #[allow(clippy::too_many_arguments)]
    fn check_body(
        &self,
        name: &str,
        body: &str,
        at: Span,
        text: &str,
        targets: &str,
        enabled: &dyn Fn(&policy::PolicyMeta) -> bool,
        out: &mut Inline,
    ) {
        let offsets = written_offsets(text, at, body);
        let place = |span: Span| match &offsets {
            Some(map) => Span {
                start: map[(span.start as usize).min(map.len() - 1)],
                end: map[(span.end as usize).min(map.len() - 1)],
            },
            None => at,
        };
        let parsed = match parse::load(body, "template.yaml", &self.options.limits) {
            Ok(p) => p,
            Err(e) => {
                out.raws.push(RawFinding {
                    elsewhere: Default::default(),
                    policy: "PARSE006",
                    span: place(e.span),
                    message: format!(
                        "the `TemplateBody` of StackSet `{name}` does not load ({e}), so the \
                         template it deploys{targets} was not checked"
                    )
                    .into(),
                    resource: Some(name.to_string().into()),
                    fix: None,
                    related: Default::default(),
                });
                return;
            }
        };
        let mut template = Template::new(Format::CloudFormation, &parsed.root);
        template.source = Some(body);
        let (raws, evidence) = self.check_template(&template, enabled);
        let rename = |id: &str| format!("{name}/{id}");
        for mut raw in raws
            .into_iter()
            .filter(|r| policy::meta(r.policy).is_some())
        {
            raw.span = place(raw.span);
            raw.fix = None;
            if let Some(id) = &raw.resource {
                raw.message = raw
                    .message
                    .replace(&format!("`{id}`"), &format!("`{}`", rename(id)))
                    .into();
            }
            raw.message = format!("{} (StackSet `{name}`{targets})", raw.message).into();
            raw.resource = raw.resource.as_deref().map(|id| rename(id).into());
            out.raws.push(raw);
        }
        for mut e in evidence {
            e.span = place(e.span);
            for (span, _) in &mut e.unmet {
                *span = place(*span);
            }
            e.resource = rename(&e.resource);
            out.evidence.push(e);
        }
    }
}

/// The text of a `TemplateBody` (a string, or the string of an `Fn::Sub`) and where it is.
fn body_text<'n>(body: &'n Node<'_>) -> Option<(&'n str, Span)> {
    match &body.value {
        Value::String(s) => Some((s, body.span)),
        Value::Map(_) => {
            let e = body.single_entry()?;
            if e.key != "Fn::Sub" {
                return None;
            }
            let template = match &e.value.value {
                Value::Seq(items) => items.first()?,
                _ => &e.value,
            };
            template.as_str().map(|s| (s, template.span))
        }
        _ => None,
    }
}

/// Where a StackSet deploys, for the messages of its template's findings: `: accounts 111,
/// OUs ou-x, in eu-west-1, us-east-1`.
fn deployment_targets(t: &Template<'_>, stack_set: &Node<'_>) -> String {
    let mut accounts = Vec::new();
    let mut units = Vec::new();
    let mut regions = Vec::new();
    let groups = stack_set
        .at(&["Properties", "StackInstancesGroup"])
        .map(Node::items)
        .unwrap_or_default();
    for g in groups {
        let texts = |path: &[&str], into: &mut Vec<String>| {
            if let Some(n) = g.at(path) {
                let (known, unknown) = t.texts_of_list(n);
                into.extend(known.into_iter().map(|(s, _)| s.into_owned()));
                if unknown {
                    into.push("(unknown)".to_string());
                }
            }
        };
        texts(&["DeploymentTargets", "Accounts"], &mut accounts);
        texts(&["DeploymentTargets", "OrganizationalUnitIds"], &mut units);
        texts(&["Regions"], &mut regions);
    }
    let mut parts = Vec::new();
    if !accounts.is_empty() {
        parts.push(format!("accounts {}", accounts.join(", ")));
    }
    if !units.is_empty() {
        parts.push(format!("OUs {}", units.join(", ")));
    }
    let mut out = if parts.is_empty() {
        String::new()
    } else {
        format!(": {}", parts.join(", "))
    };
    if !regions.is_empty() {
        out.push_str(&format!(
            "{} in {}",
            if parts.is_empty() { ":" } else { "," },
            regions.join(", ")
        ));
    }
    out
}

/// Where in the outer `text` each byte of a string value written at `at` is: `map[i]` is the
/// offset of the value's byte `i` (one past the end at `map[value.len()]`). The value's
/// characters are found in order in what is written (a block scalar's indentation, a quoted
/// string's quotes are skipped); `None` when one is not there (an escape), and the findings
/// then point at the whole value.
fn written_offsets(text: &str, at: Span, value: &str) -> Option<Vec<u32>> {
    let written = text.get(at.start as usize..at.end as usize)?;
    let mut map = Vec::with_capacity(value.len() + 1);
    let mut from = 0usize;
    for (i, c) in value.char_indices() {
        let found = written[from..].find(c)? + from;
        // A multi-byte character's bytes map to the bytes written.
        for k in 0..c.len_utf8() {
            map.push(at.start + (found + k) as u32);
        }
        from = found + c.len_utf8();
        debug_assert_eq!(map.len(), i + c.len_utf8());
    }
    map.push(at.start + from as u32);
    Some(map)
}

#[cfg(test)]
mod tests {
    use super::written_offsets;
    use crate::source::Span;

    #[test]
    fn a_block_scalar_maps_each_byte_to_its_line() {
        let text = "Body: |\n  Resources:\n    B: {Type: X}\nNext: 1\n";
        let at = Span::new(6, text.find("Next").unwrap());
        let value = "Resources:\n  B: {Type: X}\n";
        let map = written_offsets(text, at, value).unwrap();
        // `B` of the body is the `B` on the third line of the outer text.
        let b = value.find('B').unwrap();
        assert_eq!(&text[map[b] as usize..map[b] as usize + 1], "B");
        assert_eq!(text[..map[b] as usize].matches('\n').count(), 2);
    }
}
