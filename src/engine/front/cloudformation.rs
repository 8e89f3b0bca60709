//! The front end of a CloudFormation or SAM template: one file is one unit, as CloudFormation
//! deploys it (its `Fn::ForEach` loops expanded). What makes CloudFormation reject a template
//! that loads, and what could not be expanded, is reported here, since the policies would
//! otherwise see none of those resources.

use crate::file_report::Depends;
use crate::model::cfn_foreach;
use crate::parse::{Node, Value};
use crate::policy::RawFinding;

use super::Unit;
use crate::engine::{Engine, File};

impl Engine {
    /// The unit of a CloudFormation or SAM template: the template with its `Fn::ForEach`
    /// loops expanded (PARSE006 for a loop that cannot be), and what its StackSets' inline
    /// templates report.
    pub(super) fn assemble_cloudformation<'a>(
        &self,
        file: &File<'_, '_>,
        mut root: Node<'a>,
    ) -> Unit<'a> {
        let mut found = Vec::new();
        if cfn_foreach::may_hold_loops(file.text) && cfn_foreach::has_loops(&root) {
            found = cfn_foreach::expand_for_each(&mut root)
                .into_iter()
                .map(|u| RawFinding {
                    elsewhere: Default::default(),
                    policy: "PARSE006",
                    span: u.span,
                    message: u.message.into(),
                    resource: None,
                    fix: None,
                    related: Default::default(),
                })
                .collect();
        }
        let enabled = |m: &crate::policy::PolicyMeta| file.selection.enables(m);
        let inline = self.stack_set_bodies(&root, file.text, &enabled);
        found.extend(inline.raws);
        let nested = self.nested_stack_findings(&root, file.origin, &enabled);
        // What the parent's values make wrong in a child depends on the child's file.
        let depends = if super::nested_stacks::has_local_templates(&root) {
            Depends::OtherFiles
        } else {
            Depends::File
        };
        found.extend(nested);
        Unit {
            root,
            text: None,
            evaluated: None,
            found,
            found_evidence: inline.evidence,
            depends,
            notes: Vec::new(),
            modules: Vec::new(),
            modules_from: 0,
            stopped: Vec::new(),
        }
    }
}

/// What makes CloudFormation reject a template that loads: `Resources` that is not a mapping,
/// resources without a string `Type` (PARSE005). Without these findings such a template would
/// pass with none of its resources seen.
pub(super) fn structure(root: &Node<'_>) -> Vec<RawFinding> {
    let mut out = Vec::new();
    let Some(entry) = root.entries().iter().find(|e| e.key == "Resources") else {
        return out;
    };
    let what = match &entry.value.value {
        // An empty mapping hides nothing (CloudFormation wants a resource, but nothing here goes
        // unchecked).
        Value::Map(_) => None,
        Value::Seq(_) => Some("a list"),
        Value::Null => Some("empty (null)"),
        _ => Some("a scalar"),
    };
    if let Some(what) = what {
        out.push(RawFinding {
            elsewhere: Default::default(),
            policy: "PARSE005",
            span: entry.key_span,
            message: format!(
                "`Resources` is {what}; CloudFormation needs a mapping of logical IDs to \
                 resources, so no resource of this template was checked"
            )
            .into(),
            resource: None,
            fix: None,
            related: Default::default(),
        });
        return out;
    }
    for e in entry.value.entries() {
        // Language-extension `Fn::ForEach::Name` blocks generate resources; they have no Type.
        if e.key.starts_with("Fn::ForEach") {
            continue;
        }
        // A mapping Type is a packaging tool's directive (`Rain::Module: ./bucket.yml`): the
        // tool replaces it, and the module is a template of its own in the tree.
        let typed = matches!(
            e.value.get("Type").map(|t| &t.value),
            Some(Value::String(_) | Value::Map(_))
        );
        if !typed {
            out.push(RawFinding {
                elsewhere: Default::default(),
                policy: "PARSE005",
                span: e.key_span,
                message: format!(
                    "resource `{}` has no string `Type`, so CloudFormation rejects the template \
                     and tripline could not check the resource",
                    e.key
                )
                .into(),
                resource: Some(e.key.to_string().into()),
                fix: None,
                related: Default::default(),
            });
        }
    }
    out
}

/// The construct a resource of a CDK-synthesized template comes from (`aws:cdk:path`
/// metadata, `AuditStack/OrgTrail/Resource` → `AuditStack/OrgTrail`): what a CDK user knows,
/// where the logical ID (`OrgTrail6F1F0C2B`) is the CDK's hash.
fn construct_path<'t>(template: &'t crate::model::Template<'_>, id: &str) -> Option<&'t str> {
    let path = template
        .resource(id)?
        .metadata()?
        .get("aws:cdk:path")?
        .as_str()?;
    Some(path.strip_suffix("/Resource").unwrap_or(path))
}

/// Findings on resources of a CDK-synthesized template name the construct beside the
/// logical ID, in every format (the message carries it).
pub(in crate::engine) fn name_constructs(
    template: &crate::model::Template<'_>,
    raws: &mut [RawFinding],
) {
    for raw in raws.iter_mut() {
        let Some(id) = raw.resource.as_deref() else {
            continue;
        };
        let Some(path) = construct_path(template, id) else {
            continue;
        };
        let named = format!("`{id}`");
        raw.message = if raw.message.contains(&named) {
            raw.message
                .replacen(&named, &format!("`{id}` (construct `{path}`)"), 1)
                .into()
        } else {
            format!("{} (construct `{path}`)", raw.message).into()
        };
    }
}
