//! The organization as one template declares it: its root, OUs and accounts, its SCPs and RCPs
//! and where they are attached, what StackSets deploy where. Coverage reads it to judge each
//! guardrail where it is in force, not where it is written.
//!
//! This is one template's (one Terraform configuration's) view. A target is named either by a
//! reference to the resource that creates it, which only this template can resolve, or by its
//! literal ID (`r-…`, `ou-…`, a 12-digit account), which any template may name: putting the
//! views of a tree together is the report layer's work.

use crate::Context;
use crate::iam::{DocKind, Effect};
use crate::model::{Resource, Template};
use crate::parse::Node;

/// A root, OU or account as a template names it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// The resource (logical ID or address) that creates the OU or account, or the
    /// organization whose root it is.
    Resource(String),
    /// A literal ID: `r-…` (a root), `ou-…` (an OU) or 12 digits (an account).
    Literal(String),
    /// The root of the organization that exists already, as a Terraform data source reads it
    /// (`data.aws_organizations_organization.current.roots[0].id`).
    Root,
}

impl Target {
    /// What a literal ID names, from its form (`None` for something else: a policy ID, a
    /// name, a typo).
    pub fn literal_kind(id: &str) -> Option<NodeKind> {
        let rest_ok = |rest: &str| {
            !rest.is_empty()
                && rest
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        };
        if let Some(rest) = id.strip_prefix("r-") {
            rest_ok(rest).then_some(NodeKind::Root)
        } else if let Some(rest) = id.strip_prefix("ou-") {
            rest_ok(rest).then_some(NodeKind::Unit)
        } else if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
            Some(NodeKind::Account)
        } else {
            None
        }
    }
}

/// What a node of the organization is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeKind {
    /// The organization's root.
    Root,
    /// An organizational unit.
    Unit,
    /// A member account.
    Account,
}

impl NodeKind {
    /// The kind as reports spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Root => "root",
            NodeKind::Unit => "ou",
            NodeKind::Account => "account",
        }
    }
}

/// Which organization policy type a guardrail is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// A service control policy: limits the accounts' principals.
    Service,
    /// A resource control policy: limits what anyone may do to the accounts' resources.
    Resource,
}

/// What a resource is to the organization, carried with its coverage evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// It creates a root (an organization), an OU or an account.
    Node {
        /// Which.
        kind: NodeKind,
        /// Its name (the OU's or account's `Name`), else the resource's ID.
        name: String,
        /// What it is created under (`None` for a root, or when the template cannot say).
        parent: Option<Target>,
    },
    /// An SCP or RCP, and where it is attached.
    Policy(Reach),
    /// Evidence of a guardrail objective: what an SCP's or RCP's denies hold, attachment aside.
    Guardrail(Guard),
    /// Evidence a StackSet deploys to the accounts of these targets.
    Deployed(Deployment),
    /// Evidence that reaches every account of the organization (an organization trail).
    Everywhere,
}

/// Where an organization policy is attached, and what its `Allow`s allow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reach {
    /// SCP or RCP.
    pub control: Control,
    /// The targets it is attached to.
    pub targets: Vec<Target>,
    /// Some target cannot be known from the template (a variable, an output of elsewhere).
    pub unknown_targets: bool,
    /// Of the actions guardrail objectives protect (`coverage::protected_actions`), those its
    /// unconditional `Allow` statements allow. An SCP allows an action in an account only
    /// when some SCP attached at every level from the root down allows it.
    pub allows: Vec<&'static str>,
    /// It has `Allow` statements that do not allow everything: an allow-list, which restricts
    /// a level only where `FullAWSAccess` is detached.
    pub allow_list: bool,
    /// It is AWS's `FullAWSAccess` (the attachment of `p-FullAWSAccess`), which allows
    /// everything.
    pub full_access: bool,
}

/// What an SCP's (or RCP's) denies hold for one objective.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Guard {
    /// Of the objective's `scp_denies` actions, those a protecting deny covers.
    pub covers: Vec<&'static str>,
    /// Whether the objective's evidence holds for the policy, wherever it is attached.
    pub holds: bool,
    /// The principals its protecting denies leave free (the break-glass role), as written.
    pub exempt: Vec<String>,
}

/// Where a StackSet deploys its template.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Deployment {
    /// `DeploymentTargets.OrganizationalUnitIds`: roots and OUs, whose accounts get it.
    pub units: Vec<Target>,
    /// `DeploymentTargets.Accounts`.
    pub accounts: Vec<Target>,
    /// `DeploymentTargets.AccountFilterType`, uppercase (`NONE` when absent).
    pub filter: String,
    /// Some target cannot be known from the template.
    pub unknown: bool,
}

impl Deployment {
    /// Whether the deployment reaches an account: `in_units` says whether one of the OUs (or
    /// roots) deployed to holds it, `listed` whether `Accounts` names it.
    pub fn reaches(&self, in_units: bool, listed: bool) -> bool {
        match self.filter.as_str() {
            "INTERSECTION" => in_units && listed,
            "DIFFERENCE" => in_units && !listed,
            "UNION" => in_units || listed,
            // NONE: OUs only, unless the StackSet names accounts alone (self-managed).
            _ if self.units.is_empty() => listed,
            _ => in_units,
        }
    }
}

const ORGANIZATION: &[&str] = &[
    "AWS::Organizations::Organization",
    "aws_organizations_organization",
];
const UNIT: &[&str] = &[
    "AWS::Organizations::OrganizationalUnit",
    "aws_organizations_organizational_unit",
];
const ACCOUNT: &[&str] = &["AWS::Organizations::Account", "aws_organizations_account"];
const POLICY: &[&str] = &["AWS::Organizations::Policy", "aws_organizations_policy"];
const ATTACHMENT: &str = "aws_organizations_policy_attachment";
/// The ID of AWS's `FullAWSAccess` SCP, attached to every root, OU and account by default.
pub const FULL_AWS_ACCESS: &str = "p-FullAWSAccess";

/// The organization's nodes and policies the template declares, one role per resource.
/// `protected`: the actions some guardrail objective protects, for [`Reach::allows`].
pub fn roles(cx: &Context<'_, '_>, protected: &[&'static str]) -> Vec<(usize, Role)> {
    let t = cx.template;
    let mut out = Vec::new();
    for (i, r) in t.resources.iter().enumerate() {
        let role = if ORGANIZATION.contains(&r.rtype) {
            Some(Role::Node {
                kind: NodeKind::Root,
                name: "root".to_string(),
                parent: None,
            })
        } else if UNIT.contains(&r.rtype) {
            Some(node(t, r, NodeKind::Unit, &["ParentId", "parent_id"]))
        } else if ACCOUNT.contains(&r.rtype) {
            Some(node(t, r, NodeKind::Account, &["ParentIds", "parent_id"]))
        } else if POLICY.contains(&r.rtype) {
            policy_reach(cx, i, r, protected).map(Role::Policy)
        } else if r.rtype == ATTACHMENT {
            full_access_attachment(t, r).map(Role::Policy)
        } else {
            None
        };
        if let Some(role) = role {
            out.push((i, role));
        }
    }
    out
}

/// An OU or account, with the parent its `parent_keys` property names.
fn node(t: &Template<'_>, r: &Resource<'_>, kind: NodeKind, parent_keys: &[&str]) -> Role {
    let name = ["Name", "AccountName", "name"]
        .iter()
        .filter_map(|k| r.prop(k))
        .flat_map(|n| t.texts(n))
        .map(|(s, _)| s.into_owned())
        .find(|s| !crate::model::has_unknown(s))
        .unwrap_or_else(|| r.id.to_string());
    let parent = parent_keys
        .iter()
        .find_map(|k| r.prop(k))
        .and_then(|n| targets(t, n).0.into_iter().next());
    Role::Node { kind, name, parent }
}

/// Where the SCP or RCP resource `i` is attached: CloudFormation `TargetIds`, or the
/// `aws_organizations_policy_attachment`s of the configuration that name it. `None` for the
/// other policy types (tag, backup).
fn policy_reach(
    cx: &Context<'_, '_>,
    i: usize,
    r: &Resource<'_>,
    protected: &[&'static str],
) -> Option<Reach> {
    let t = cx.template;
    let control = control_of(t, r)?;
    let (found, unknown) = attached_to(t, r);
    let mut allows = Vec::new();
    let mut allow_list = false;
    if control == Control::Service {
        for (d, doc) in cx.documents().iter().enumerate() {
            if doc.resource() != i {
                continue;
            }
            let statements = cx.statements(d);
            allow_list |= statements.iter().any(|st| {
                st.effect == Some(Effect::Allow)
                    && !(st.condition.is_none() && !st.not_action && st.covers("*"))
            });
            for a in protected {
                let allowed = statements.iter().any(|st| {
                    st.effect == Some(Effect::Allow) && st.condition.is_none() && st.covers(a)
                });
                if allowed && !allows.contains(a) {
                    allows.push(*a);
                }
            }
        }
    }
    Some(Reach {
        control,
        targets: found,
        unknown_targets: unknown,
        allows,
        allow_list,
        full_access: false,
    })
}

/// The targets an organization policy resource is attached to (CloudFormation `TargetIds`,
/// the `aws_organizations_policy_attachment`s of the configuration that name it), and whether
/// some cannot be known. None, and none unknown: it is attached to nothing.
pub fn attached_to(t: &Template<'_>, r: &Resource<'_>) -> (Vec<Target>, bool) {
    let (mut found, mut unknown) = (Vec::new(), false);
    if let Some(ids) = r.prop("TargetIds") {
        let (ts, u) = targets(t, ids);
        found.extend(ts);
        unknown |= u;
    }
    if t.is_terraform() {
        for a in crate::model::refs::referrers(t, r, &[], &[ATTACHMENT]) {
            match a.prop("target_id") {
                Some(n) => {
                    let (ts, u) = targets(t, n);
                    found.extend(ts);
                    unknown |= u;
                }
                None => unknown = true,
            }
        }
    }
    found.sort();
    found.dedup();
    (found, unknown)
}

/// An attachment of AWS's `FullAWSAccess` (`policy_id = "p-FullAWSAccess"`): a configuration
/// that manages it says where it is, and so where it was detached.
fn full_access_attachment(t: &Template<'_>, r: &Resource<'_>) -> Option<Reach> {
    let policy = r.prop("policy_id")?;
    let texts = t.texts(policy);
    if !texts.iter().any(|(s, _)| s == FULL_AWS_ACCESS) {
        return None;
    }
    let (targets, unknown) = r
        .prop("target_id")
        .map_or((Vec::new(), true), |n| targets(t, n));
    Some(Reach {
        control: Control::Service,
        targets,
        unknown_targets: unknown,
        allows: Vec::new(),
        allow_list: false,
        full_access: true,
    })
}

/// Whether an organization policy resource is an SCP or an RCP (its `Type`; an SCP when
/// absent, as both CloudFormation and Terraform default).
pub fn control_of(t: &Template<'_>, r: &Resource<'_>) -> Option<Control> {
    let Some(n) = r.prop("Type").or_else(|| r.prop("type")) else {
        return Some(Control::Service);
    };
    let texts = t.texts(n);
    if texts.is_empty() {
        return None;
    }
    texts.iter().find_map(|(s, _)| {
        if s.eq_ignore_ascii_case("SERVICE_CONTROL_POLICY") {
            Some(Control::Service)
        } else if s.eq_ignore_ascii_case("RESOURCE_CONTROL_POLICY") {
            Some(Control::Resource)
        } else {
            None
        }
    })
}

/// The roots, OUs and accounts a value names (one, or a list), and whether some cannot be
/// known. A reference names the resource that creates the target (`!Ref Unit`,
/// `!GetAtt Org.RootId`, `aws_organizations_organization.org.roots[0].id`); a text names a
/// literal ID.
pub fn targets(t: &Template<'_>, value: &Node<'_>) -> (Vec<Target>, bool) {
    let mut out = Vec::new();
    let mut unknown = false;
    let items: Vec<&Node<'_>> = match &value.value {
        crate::parse::Value::Seq(_) => t.items(value),
        _ => vec![value],
    };
    for item in items {
        let mut referenced = Vec::new();
        crate::model::refs::scan_refs(item, t.is_cloudformation(), &mut |name| {
            referenced.push(name.to_string())
        });
        let found = referenced
            .iter()
            .filter_map(|name| referenced_target(t, name, 0))
            .fold(false, |_, target| {
                out.push(target);
                true
            });
        if found {
            continue;
        }
        let texts = t.texts(item);
        let literal: Vec<String> = texts
            .iter()
            .map(|(s, _)| s.trim().to_string())
            .filter(|s| Target::literal_kind(s).is_some())
            .collect();
        if literal.is_empty() {
            unknown = true;
        }
        out.extend(literal.into_iter().map(Target::Literal));
    }
    (out, unknown)
}

/// The target a reference names: the resource that creates an OU, an account or an
/// organization (whose root it is), an existing organization's root (a Terraform data source),
/// or what a Terraform local it names holds (followed a few levels).
fn referenced_target(t: &Template<'_>, name: &str, depth: u8) -> Option<Target> {
    if t.is_cloudformation() {
        let r = t.resource(name)?;
        return is_node_type(r.rtype).then(|| Target::Resource(r.id.to_string()));
    }
    for reference in crate::model::refs::expression_references(name) {
        if reference.starts_with("data.aws_organizations_organization.") {
            return Some(Target::Root);
        }
        if let Some(local) = reference.strip_prefix("local.")
            && depth < 4
            && let Some(node) = t.local(local.split('.').next().unwrap_or(local))
        {
            let mut inner = Vec::new();
            crate::model::refs::scan_refs(node, false, &mut |n| inner.push(n.to_string()));
            if let Some(found) = inner
                .iter()
                .find_map(|n| referenced_target(t, n, depth + 1))
            {
                return Some(found);
            }
        }
        if let Some(address) = crate::model::refs::resource_address(&reference)
            && let Some(r) = t.resource(&address)
            && is_node_type(r.rtype)
        {
            return Some(Target::Resource(r.id.to_string()));
        }
    }
    None
}

fn is_node_type(rtype: &str) -> bool {
    ORGANIZATION.contains(&rtype) || UNIT.contains(&rtype) || ACCOUNT.contains(&rtype)
}

/// Where a CloudFormation StackSet (`stack_set`: its resource node in `t`) deploys its
/// template, from its `StackInstancesGroup`s.
pub fn deployment(t: &Template<'_>, stack_set: &Node<'_>) -> Deployment {
    let mut out = Deployment::default();
    let groups = stack_set
        .at(&["Properties", "StackInstancesGroup"])
        .map(|n| t.items(n))
        .unwrap_or_default();
    for g in groups {
        let Some(dt) = g.get("DeploymentTargets") else {
            out.unknown = true;
            continue;
        };
        if let Some(n) = dt.get("OrganizationalUnitIds") {
            let (ts, u) = targets(t, n);
            out.units.extend(ts);
            out.unknown |= u;
        }
        if let Some(n) = dt.get("Accounts") {
            let (ts, u) = targets(t, n);
            out.accounts.extend(ts);
            out.unknown |= u;
        }
        if dt.get("AccountsUrl").is_some() {
            out.unknown = true;
        }
        if let Some(n) = dt.get("AccountFilterType") {
            match t.texts(n).first() {
                Some((s, _)) => out.filter = s.to_ascii_uppercase(),
                None => out.unknown = true,
            }
        }
    }
    if out.filter.is_empty() {
        out.filter = "NONE".to_string();
    }
    out.units.sort();
    out.units.dedup();
    out.accounts.sort();
    out.accounts.dedup();
    out
}

/// Resource types whose evidence reaches every account of the organization, with the
/// property (and value) that makes it do so: an organization trail records every member
/// account; a GuardDuty organization configuration enables every member.
const EVERYWHERE: &[(&str, &str)] = &[
    ("AWS::CloudTrail::Trail", "IsOrganizationTrail"),
    ("aws_cloudtrail", "is_organization_trail"),
];

/// Whether the evidence of resource `r` reaches every account of the organization.
pub fn reaches_everywhere(t: &Template<'_>, r: &Resource<'_>) -> bool {
    if r.rtype == "aws_guardduty_organization_configuration" {
        return true;
    }
    EVERYWHERE.iter().any(|(rtype, key)| {
        *rtype == r.rtype
            && r.prop(key).is_some_and(|n| {
                let bools = t.bools(n);
                !bools.is_empty() && bools.iter().all(|(b, _)| *b == Some(true))
            })
    })
}

/// Whether a document kind is an organization guardrail of `control`.
pub fn is_control(kind: DocKind, control: Control) -> bool {
    matches!(
        (kind, control),
        (DocKind::ServiceControl, Control::Service) | (DocKind::ResourceControl, Control::Resource)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_ids_are_known_by_their_form() {
        assert_eq!(Target::literal_kind("r-ab12"), Some(NodeKind::Root));
        assert_eq!(
            Target::literal_kind("ou-ab12-11111111"),
            Some(NodeKind::Unit)
        );
        assert_eq!(
            Target::literal_kind("123456789012"),
            Some(NodeKind::Account)
        );
        assert_eq!(Target::literal_kind("p-FullAWSAccess"), None);
        assert_eq!(Target::literal_kind("12345"), None);
        assert_eq!(Target::literal_kind("r-"), None);
    }

    #[test]
    fn account_filters_follow_cloudformation() {
        let d = |filter: &str, units: bool| Deployment {
            units: if units {
                vec![Target::Literal("ou-a-1".into())]
            } else {
                Vec::new()
            },
            accounts: vec![Target::Literal("111111111111".into())],
            filter: filter.into(),
            unknown: false,
        };
        assert!(d("NONE", true).reaches(true, false));
        assert!(!d("NONE", true).reaches(false, true));
        assert!(d("NONE", false).reaches(false, true));
        assert!(d("INTERSECTION", true).reaches(true, true));
        assert!(!d("INTERSECTION", true).reaches(true, false));
        assert!(!d("DIFFERENCE", true).reaches(true, true));
        assert!(d("DIFFERENCE", true).reaches(true, false));
        assert!(d("UNION", true).reaches(false, true));
    }
}
