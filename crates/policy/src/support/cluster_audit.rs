//! Database clusters whose audit log takes two settings (Neptune, DocumentDB): the cluster
//! exports its `audit` log to CloudWatch Logs, and its cluster parameter group turns auditing on.
//! The export alone delivers nothing while the parameter group leaves auditing off.

use std::collections::{HashMap, HashSet};

use crate::Context;
use crate::model::lookup::lookup_texts;
use crate::model::refs::{reference_names, referrers_named};
use crate::model::{Resource, Template};
use crate::parse::Node;
use crate::source::Span;

/// One engine's names.
pub(crate) struct AuditSetting {
    /// What the message calls the cluster (`Neptune cluster`).
    pub noun: &'static str,
    /// Cluster resource types, CloudFormation then Terraform.
    pub cluster_types: &'static [&'static str],
    /// The export list property: CloudFormation, Terraform.
    pub exports: (&'static str, &'static str),
    /// Cluster parameter group resource types.
    pub group_types: &'static [&'static str],
    /// The parameter that turns auditing on, and the values that leave it off.
    pub parameter: &'static str,
    pub off: &'static [&'static str],
    /// What a missing audit log loses, ending the message.
    pub loses: &'static str,
}

/// Report each cluster that does not export `audit`, and each that does while a parameter
/// group of this template linked to it leaves auditing off: once, at the first such group (a
/// cluster uses one group; several link to it only when they share its name, which AWS
/// refuses, and one finding per group made copies of a template n^2 findings).
pub(crate) fn check_audit_logs(cx: &mut Context<'_, '_>, s: &AuditSetting) {
    let t = cx.template;
    let mut first_off = None;
    for r in t.resources_of(s.cluster_types) {
        let key = if t.is_cloudformation() {
            s.exports.0
        } else {
            s.exports.1
        };
        let (Some(exports), anchor) = lookup_texts(t, r, &[key]) else {
            continue;
        };
        if !exports.iter().any(|e| e.eq_ignore_ascii_case("audit")) {
            let at = r.prop(key).map_or(anchor, |n| n.span);
            let why = if exports.is_empty() {
                "is not set"
            } else {
                "does not list audit"
            };
            cx.report(
                r,
                at,
                format!(
                    "{} `{}` exports no audit log to CloudWatch Logs, so {} ({key} {why})",
                    s.noun, r.id, s.loses
                ),
            );
            continue;
        }
        let off = first_off.get_or_insert_with(|| first_off_groups(t, s));
        if let Some((group, span, value)) = off.get(r.id.as_ref()) {
            let at = r.prop(key).map_or(r.anchor, |n| n.span);
            cx.report_related(
                r,
                at,
                format!(
                    "{} `{}` exports its audit log, but its parameter group `{}` leaves \
                     auditing off ({} is {value}), so the log stays empty",
                    s.noun, r.id, group.id, s.parameter
                ),
                vec![(*span, format!("`{}` sets {}", group.id, s.parameter))],
            );
        }
    }
}

/// For each cluster (by ID), the first parameter group in template order that is linked to it
/// and leaves auditing off, with where and how: worked out once, not for every cluster. Each
/// group is read once and each literal name asked once — a later group of a name already
/// asked can be the first off group of no cluster that name links — so groups sharing a name
/// (copies of a template side by side) cost no more than distinct ones (they were n^2 links).
fn first_off_groups<'t, 'a>(
    t: &'t Template<'a>,
    s: &AuditSetting,
) -> HashMap<&'t str, (&'t Resource<'a>, Span, String)> {
    let mut first: HashMap<&'t str, (&'t Resource<'a>, Span, String)> = HashMap::new();
    let mut asked: HashSet<String> = HashSet::new();
    for group in t.resources_of(s.group_types) {
        let Some((span, value)) = auditing_off(t, group, s) else {
            continue;
        };
        let mut names = reference_names(t, group, &["Name", "name"]);
        names.literals.retain(|name| asked.insert(name.clone()));
        for cluster in referrers_named(t, &names, s.cluster_types) {
            first
                .entry(cluster.id.as_ref())
                .or_insert_with(|| (group, span, value.clone()));
        }
    }
    first
}

/// Where and how a parameter group leaves auditing off (the parameter unset or set to an off
/// value); `None` when it turns auditing on or cannot be known.
fn auditing_off(
    t: &Template<'_>,
    group: &Resource<'_>,
    s: &AuditSetting,
) -> Option<(Span, String)> {
    let values = parameter_values(t, group, s.parameter)?;
    if values.is_empty() {
        return Some((group.anchor, "not set".to_string()));
    }
    values
        .into_iter()
        .find(|(v, _)| s.off.iter().any(|off| v.eq_ignore_ascii_case(off)))
        .map(|(v, span)| (span, format!("`{v}`")))
}

/// The known values of one parameter (CloudFormation `Parameters: {name: value}`, Terraform
/// `parameter { name value }` blocks); `None` when something is unknown.
fn parameter_values(
    t: &Template<'_>,
    group: &Resource<'_>,
    name: &str,
) -> Option<Vec<(String, Span)>> {
    let mut out = Vec::new();
    if t.is_cloudformation() {
        let Some(params) = group.prop("Parameters") else {
            return Some(out);
        };
        for map in t.maps(params) {
            if let Some(v) = map.get(name) {
                out.extend(known_texts(t, v)?);
            }
        }
        if t.maps(params).is_empty() {
            return None;
        }
    } else {
        if group.is_unknown("parameter") {
            return None;
        }
        let Some(blocks) = group.prop("parameter") else {
            return Some(out);
        };
        for block in t.items(blocks) {
            let names = known_texts(t, block.get("name")?)?;
            if names.iter().any(|(n, _)| n == name) {
                out.extend(known_texts(t, block.get("value")?)?);
            }
        }
    }
    Some(out)
}

fn known_texts(t: &Template<'_>, node: &Node<'_>) -> Option<Vec<(String, Span)>> {
    let texts = t.texts(node);
    if texts.is_empty() || texts.iter().any(|(s, _)| crate::model::has_unknown(s)) {
        return None;
    }
    Some(
        texts
            .into_iter()
            .map(|(s, span)| (s.into_owned(), span))
            .collect(),
    )
}
