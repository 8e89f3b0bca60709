//! Which principals each identity policy applies to, so that what a role, user or group may do
//! is judged from *all* the policies attached to it in the template: an explicit unconditional
//! Deny in any of them takes a grant back, as IAM's evaluation logic does.
//!
//! Attachments are read from every place the formats allow: CloudFormation inline `Policies`,
//! `AWS::IAM::Policy`/`ManagedPolicy` naming their `Roles`/`Users`/`Groups`, `ManagedPolicyArns`
//! naming a managed policy of the template, `AWS::IAM::RolePolicy` and its kin; Terraform
//! `aws_iam_role_policy`, `aws_iam_*_policy_attachment`, `aws_iam_policy_attachment`,
//! `managed_policy_arns`. Targets are found by reference (`!Ref`, `${aws_iam_role.x.name}`, a
//! plan's configuration references) or by literal name.

use std::collections::HashMap;

use crate::model::refs::scan_refs;
use crate::model::{Format, Resource, Template};
use crate::parse::Node;

use super::PolicyDocument;

/// Resource types that are principals: what their attached policies allow, they may do.
pub(crate) const HOLDER_TYPES: &[&str] = &[
    "AWS::IAM::Role",
    "AWS::IAM::User",
    "AWS::IAM::Group",
    "AWS::SSO::PermissionSet",
    "AWS::Serverless::Function",
    "aws_iam_role",
    "aws_iam_user",
    "aws_iam_group",
    "aws_ssoadmin_permission_set",
];

/// Standalone policies that apply to the principals attached to them.
const POLICY_TYPES: &[&str] = &[
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
    "aws_iam_policy",
];

/// Resources that attach a policy to principals: (type, keys naming principals).
const ATTACHMENTS: &[(&str, &[&str])] = &[
    ("AWS::IAM::Policy", &["Roles", "Users", "Groups"]),
    ("AWS::IAM::ManagedPolicy", &["Roles", "Users", "Groups"]),
    ("AWS::IAM::RolePolicy", &["RoleName"]),
    ("AWS::IAM::UserPolicy", &["UserName"]),
    ("AWS::IAM::GroupPolicy", &["GroupName"]),
    ("aws_iam_role_policy", &["role"]),
    ("aws_iam_user_policy", &["user"]),
    ("aws_iam_group_policy", &["group"]),
    ("aws_iam_role_policy_attachment", &["role"]),
    ("aws_iam_user_policy_attachment", &["user"]),
    ("aws_iam_group_policy_attachment", &["group"]),
    ("aws_iam_policy_attachment", &["roles", "users", "groups"]),
    (
        "aws_ssoadmin_permission_set_inline_policy",
        &["permission_set_arn"],
    ),
    (
        "aws_ssoadmin_managed_policy_attachment",
        &["permission_set_arn"],
    ),
];

/// Keys of a principal that name the managed policies attached to it.
const MANAGED_KEYS: &[&str] = &["ManagedPolicyArns", "managed_policy_arns"];
/// Keys of an attachment that name the policy it attaches.
const POLICY_KEYS: &[&str] = &["policy_arn"];

/// Which principals each document applies to, and which documents apply to each principal.
#[derive(Debug, Default)]
pub(crate) struct Attachments {
    /// Per document (index into the template's documents): the principals it applies to
    /// (indexes into `Template::resources`), empty when none can be found.
    holders: Vec<Vec<usize>>,
    /// Per principal: the documents that apply to it.
    documents: HashMap<usize, Vec<usize>>,
    /// Per role: its trust policies.
    trusts: HashMap<usize, Vec<usize>>,
}

impl Attachments {
    /// Work out the attachments of every document of the template.
    pub fn of(t: &Template<'_>, docs: &[PolicyDocument<'_>]) -> Attachments {
        let names = name_index(t);
        // Standalone policy → the principals it is attached to.
        let mut attached: HashMap<usize, Vec<usize>> = HashMap::new();
        for (i, r) in t.resources.iter().enumerate() {
            if HOLDER_TYPES.contains(&r.rtype) {
                for p in targets(t, &names, r, MANAGED_KEYS) {
                    if POLICY_TYPES.contains(&t.resources[p].rtype) {
                        attached.entry(p).or_default().push(i);
                    }
                }
            }
            if let Some((_, keys)) = ATTACHMENTS.iter().find(|(ty, _)| *ty == r.rtype) {
                let holders: Vec<usize> = targets(t, &names, r, keys)
                    .into_iter()
                    .filter(|&h| HOLDER_TYPES.contains(&t.resources[h].rtype))
                    .collect();
                let policies = if POLICY_TYPES.contains(&r.rtype) {
                    vec![i]
                } else {
                    targets(t, &names, r, POLICY_KEYS)
                        .into_iter()
                        .filter(|&p| POLICY_TYPES.contains(&t.resources[p].rtype))
                        .collect()
                };
                for p in policies {
                    attached.entry(p).or_default().extend(&holders);
                }
                // The attachment itself (inline policy resources, attachments of AWS managed
                // policies) applies to its principals.
                if !POLICY_TYPES.contains(&r.rtype) {
                    attached.entry(i).or_default().extend(&holders);
                }
            }
        }
        let mut holders = Vec::with_capacity(docs.len());
        let mut documents: HashMap<usize, Vec<usize>> = HashMap::new();
        let mut trusts: HashMap<usize, Vec<usize>> = HashMap::new();
        for (di, d) in docs.iter().enumerate() {
            if d.kind == super::DocKind::Trust {
                trusts.entry(d.resource()).or_default().push(di);
                holders.push(Vec::new());
                continue;
            }
            let r = &t.resources[d.resource()];
            let mut hs = if HOLDER_TYPES.contains(&r.rtype) {
                vec![d.resource()]
            } else {
                attached.get(&d.resource()).cloned().unwrap_or_default()
            };
            hs.sort_unstable();
            hs.dedup();
            for &h in &hs {
                documents.entry(h).or_default().push(di);
            }
            holders.push(hs);
        }
        Attachments {
            holders,
            documents,
            trusts,
        }
    }

    /// The trust policies of role `holder`.
    pub(crate) fn trusts_of(&self, holder: usize) -> &[usize] {
        self.trusts.get(&holder).map_or(&[], Vec::as_slice)
    }

    /// The principals document `doc` applies to.
    pub fn holders(&self, doc: usize) -> &[usize] {
        self.holders.get(doc).map_or(&[], Vec::as_slice)
    }

    /// The documents that apply to principal `holder`.
    pub(crate) fn documents_of(&self, holder: usize) -> &[usize] {
        self.documents.get(&holder).map_or(&[], Vec::as_slice)
    }
}

/// The resources that the values at `keys` of `r` name, by reference or by literal name.
fn targets(
    t: &Template<'_>,
    names: &HashMap<String, Vec<usize>>,
    r: &Resource<'_>,
    keys: &[&str],
) -> Vec<usize> {
    let cfn = t.is_cloudformation();
    let mut out = Vec::new();
    for key in keys {
        let Some(node) = r.prop(key) else { continue };
        scan_refs(node, cfn, &mut |name| {
            if let Some(i) = resolve_reference(t, name, cfn) {
                out.push(i);
            }
        });
        for (text, _) in literal_texts(t, node) {
            out.extend(by_name(names, &text));
        }
    }
    if t.format == Format::TerraformPlan {
        for res in t.plan_config(r) {
            for key in keys {
                let Some(refs) = res.at(&["expressions", key, "references"]) else {
                    continue;
                };
                for name in refs.items().iter().filter_map(|n| n.as_str()) {
                    if let Some(i) = resolve_reference(t, name, false) {
                        out.push(i);
                    }
                }
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The resource a reference names: a logical ID, or the address at the start of a Terraform
/// expression (`aws_iam_role.admin.name` → `aws_iam_role.admin`), also inside the calls and
/// indexes that wrap it (`one(aws_iam_role.admin[*].name)`).
pub(crate) fn resolve_reference(t: &Template<'_>, name: &str, cfn: bool) -> Option<usize> {
    if cfn {
        return t.resource(name).map(|r| t.index_of(r));
    }
    crate::model::refs::expression_references(name)
        .iter()
        .find_map(|reference| {
            let address = crate::model::refs::resource_address(reference)?;
            t.resource(&address).map(|r| t.index_of(r))
        })
}

fn literal_texts(t: &Template<'_>, node: &Node<'_>) -> Vec<(String, crate::source::Span)> {
    crate::model::lookup::partial_texts(t, node)
        .into_iter()
        .filter(|(s, _)| !crate::model::has_unknown(s))
        .collect()
}

/// Principals and policies by name (`RoleName`, `name`...), built once per template.
fn name_index(t: &Template<'_>) -> HashMap<String, Vec<usize>> {
    let name_keys = [
        "RoleName",
        "UserName",
        "GroupName",
        "ManagedPolicyName",
        "name",
    ];
    let mut out: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, r) in t.resources.iter().enumerate() {
        if !HOLDER_TYPES.contains(&r.rtype) && !POLICY_TYPES.contains(&r.rtype) {
            continue;
        }
        for k in name_keys {
            if let Some(n) = r.prop(k) {
                for (s, _) in t.texts(n) {
                    out.entry(s.into_owned()).or_default().push(i);
                }
            }
        }
    }
    out
}

/// Principals and policies whose name is `text`, or whose name ends an ARN `text`
/// (`arn:aws:iam::123:role/path/name`).
fn by_name(names: &HashMap<String, Vec<usize>>, text: &str) -> Vec<usize> {
    let name = if text.starts_with("arn:") {
        text.rsplit('/').next().unwrap_or(text)
    } else {
        text
    };
    names.get(name).cloned().unwrap_or_default()
}
