//! Control objectives: what a tree must establish for the baseline to be in place at all.
//!
//! A policy says "this resource drifts"; an objective says "something in the tree does this
//! job" — a multi-Region trail, a Config recorder, an SCP that protects the detective controls.
//! Each objective lives in `policies/objectives/<ID>.toml` (embedded at build time, see
//! `build.rs`): its text, its mappings, the **evidence** that establishes it (resource types
//! with property requirements, SCP denies, roles such as "a bucket a trail delivers to") and the
//! policies whose findings on an establishing resource are drift. This module finds the
//! evidence in one template; putting a tree's evidence and findings together is the report
//! layer's work.

use crate::finding::Severity;
use crate::iam::{self, DocKind, Effect};
use crate::model::lookup::{Lookup, lookup};
use crate::model::{Resource, Val};
use crate::organization::{self, Role};
use crate::source::Span;
use crate::{Context, Family};

/// A control objective, from `policies/objectives/<ID>.toml`.
#[derive(Debug)]
pub struct Objective {
    /// Its ID (`LOG-TRAIL`).
    pub id: &'static str,
    /// The baseline family it belongs to.
    pub family: Family,
    /// The severity of its absence (`check --coverage` reports a missing objective with it).
    pub severity: Severity,
    /// What establishes it, in one line.
    pub title: &'static str,
    /// What it means and what counts as establishing it.
    pub description: &'static str,
    /// How to establish it.
    pub remediation: &'static str,
    /// Policies whose findings on an establishing resource are drift.
    pub policies: &'static [&'static str],
    /// Resource types one of which the tree must have for the objective to apply (empty:
    /// always applies).
    pub applies_when: &'static [&'static str],
    /// AWS Foundational Security Best Practices control IDs.
    pub fsbp: &'static [&'static str],
    /// CIS AWS Foundations Benchmark v3 recommendation numbers.
    pub cis: &'static [&'static str],
    /// CIS AWS Foundations Benchmark v5.0 recommendation numbers.
    pub cis5: &'static [&'static str],
    /// AWS Control Tower control IDs.
    pub control_tower: &'static [&'static str],
    /// What establishes it: any one of these.
    pub evidence: &'static [EvidenceSpec],
}

/// One way of establishing an objective. Exactly one of `resource_types`, `scp_denies`,
/// `scp_deny_condition` and `role` is set (`build.rs` checks).
#[derive(Debug)]
pub struct EvidenceSpec {
    /// What the evidence is, for people ("a CloudTrail trail").
    pub describe: &'static str,
    /// A resource of one of these types.
    pub resource_types: &'static [&'static str],
    /// Requirements on the resource's properties; a resource that fails one is drift.
    pub require: &'static [Requirement],
    /// A service control policy that denies every one of these actions.
    pub scp_denies: &'static [&'static str],
    /// A service control policy with a `Deny` conditioned on this key.
    pub scp_deny_condition: Option<ConditionSpec>,
    /// A resource found by what other resources do with it (`cloudtrail-bucket`).
    pub role: Option<&'static str>,
    /// `scp_denies` and `scp_deny_condition` are looked for in resource control policies
    /// (`control = "rcp"`), not service control policies.
    pub rcp: bool,
}

/// A property an establishing resource must have.
#[derive(Debug)]
pub struct Requirement {
    /// The property's path, dot-separated (`RecordingGroup.AllSupported`).
    pub property: &'static str,
    /// Accepted values, lowercase (`true`, `all`).
    pub one_of: &'static [&'static str],
    /// Whether the property may be absent (its default is accepted).
    pub absent: bool,
}

/// A condition key a `Deny` statement must test.
#[derive(Debug)]
pub struct ConditionSpec {
    /// The key (`aws:RequestedRegion`), case-insensitive.
    pub key: &'static str,
    /// A value the condition's values must match (IAM wildcards in them), with a positive
    /// operator (`StringLike`, `ArnEquals`, not `StringNotLike`); `None`: any test of the key.
    pub value_matches: Option<&'static str>,
}

include!(concat!(env!("OUT_DIR"), "/objectives.rs"));

impl Objective {
    /// The public baselines the objective maps to, by name, with their control IDs (only
    /// those with some).
    pub fn mappings(&self) -> Vec<(&'static str, &'static [&'static str])> {
        let mut out = crate::mappings(self.fsbp, self.cis, self.control_tower);
        if !self.cis5.is_empty() {
            let at = out
                .iter()
                .position(|(n, _)| n.starts_with("AWS Control"))
                .unwrap_or(out.len());
            out.insert(at, ("CIS AWS Foundations Benchmark v5.0", self.cis5));
        }
        out
    }

    /// The control IDs of a framework (`fsbp`, `cis-3.0`, `cis-5.0`, `control-tower`) the
    /// objective maps to; `None` for an unknown framework.
    pub fn controls(&self, framework: &str) -> Option<&'static [&'static str]> {
        Some(match framework {
            "fsbp" => self.fsbp,
            "cis-3.0" | "cis" => self.cis,
            "cis-5.0" => self.cis5,
            "control-tower" => self.control_tower,
            _ => return None,
        })
    }
}

/// The objective with this ID (case-insensitive).
pub fn objective(id: &str) -> Option<&'static Objective> {
    OBJECTIVES.iter().find(|o| o.id.eq_ignore_ascii_case(id))
}

/// Whether a pattern (an objective ID, an ID prefix such as `DET-SCP`, or a family) selects
/// an objective.
pub fn pattern_matches(pattern: &str, objective: &Objective) -> bool {
    crate::id_or_family_matches(pattern, objective.id, objective.family)
}

/// What a resource of a template is to an objective.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvidenceKind {
    /// It establishes the objective (possibly with drift, see [`RawEvidence::unmet`]).
    Establishes,
    /// It makes the objective apply (one of its `applies_when` types).
    Applies,
    /// It is part of the organization's shape (a root, OU, account or organization policy;
    /// see [`crate::organization`]), for every objective: its `objective` is empty.
    Shape,
}

/// A resource that bears on an objective, as found in one template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawEvidence {
    /// The objective's ID.
    pub objective: &'static str,
    /// What the resource is to it.
    pub kind: EvidenceKind,
    /// The resource's logical ID or address.
    pub resource: String,
    /// Its type.
    pub rtype: String,
    /// Where it is (its logical ID or address).
    pub span: Span,
    /// Which evidence it is ([`EvidenceSpec::describe`]).
    pub describe: &'static str,
    /// What it lacks, where (a requirement it fails, an action its deny leaves out).
    pub unmet: Vec<(Span, String)>,
    /// What it is to the organization: where it is in force or deployed, what a guardrail
    /// holds (`None`: nothing the template says).
    pub org: Option<Box<Role>>,
}

impl RawEvidence {
    /// What resource `r` is to the organization's shape (for every objective).
    pub fn shape(r: &Resource<'_>, role: Role) -> RawEvidence {
        RawEvidence {
            objective: "",
            kind: EvidenceKind::Shape,
            resource: r.id.to_string(),
            rtype: r.rtype.to_string(),
            span: r.anchor,
            describe: "",
            unmet: Vec::new(),
            org: Some(Box::new(role)),
        }
    }

    /// The same evidence found `base` bytes later in a combined document, for a file of `len`
    /// bytes there (`None` when the resource is not in it). What the resource lacks may be said
    /// in another file of the combination (a variable's default): it then points at the
    /// resource.
    pub fn moved_back(mut self, base: u32, len: u32) -> Option<RawEvidence> {
        let within = |span: Span| span.start >= base && span.start <= base + len;
        let moved = |span: Span| Span {
            start: span.start - base,
            end: (span.end - base).min(len),
        };
        if !within(self.span) {
            return None;
        }
        self.span = moved(self.span);
        for (span, _) in &mut self.unmet {
            *span = if within(*span) {
                moved(*span)
            } else {
                self.span
            };
        }
        Some(self)
    }
}

/// The evidence for every objective in the template `cx` reads.
pub fn evidence(cx: &Context<'_, '_>) -> Vec<RawEvidence> {
    let mut out = Vec::new();
    for objective in OBJECTIVES {
        for r in cx
            .template
            .resources
            .iter()
            .filter(|r| objective.applies_when.contains(&r.rtype))
        {
            out.push(RawEvidence {
                objective: objective.id,
                kind: EvidenceKind::Applies,
                resource: r.id.to_string(),
                rtype: r.rtype.to_string(),
                span: r.anchor,
                describe: "",
                unmet: Vec::new(),
                org: None,
            });
        }
        establishing(cx, objective, &mut out);
    }
    for (i, role) in organization::roles(cx, protected_actions()) {
        out.push(RawEvidence::shape(&cx.template.resources[i], role));
    }
    out
}

/// The actions some guardrail objective protects (`scp_denies`), sorted; worked out once
/// (every template's evidence asks).
pub fn protected_actions() -> &'static [&'static str] {
    static ACTIONS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    ACTIONS.get_or_init(|| {
        let mut out: Vec<&'static str> = OBJECTIVES
            .iter()
            .flat_map(|o| o.evidence.iter())
            .flat_map(|e| e.scp_denies.iter().copied())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    })
}

/// What a resource lacks for an objective, where.
type Unmet = Vec<(Span, String)>;

/// The resources of the template that establish `objective`: one entry per resource, free of
/// drift when some evidence spec holds for it entirely, else with what every spec it matched
/// found missing.
fn establishing(cx: &Context<'_, '_>, objective: &'static Objective, out: &mut Vec<RawEvidence>) {
    let t = cx.template;
    let mut found: Vec<(usize, &'static EvidenceSpec, Unmet, Option<Role>)> = Vec::new();
    // Where each resource is in `found`: a search of `found` per match was quadratic in the
    // resources of a type (40,000 trails: a fifth of the check).
    let mut at: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    for spec in objective.evidence {
        let mut matched: Vec<(usize, Unmet, Option<Role>)> = Vec::new();
        if !spec.resource_types.is_empty() {
            for (i, r) in t.resources.iter().enumerate() {
                if spec.resource_types.contains(&r.rtype) {
                    let everywhere =
                        organization::reaches_everywhere(t, r).then_some(Role::Everywhere);
                    matched.push((i, unmet_requirements(cx, r, spec.require), everywhere));
                }
            }
        } else if spec.role == Some("cloudtrail-bucket") {
            for &i in &cx.log_buckets().trail {
                matched.push((
                    i,
                    unmet_requirements(cx, &t.resources[i], spec.require),
                    None,
                ));
            }
        } else if !spec.scp_denies.is_empty() || spec.scp_deny_condition.is_some() {
            guardrails(cx, spec, &mut matched);
        }
        for (i, unmet, role) in matched {
            match at.get(&i).map(|&k| &mut found[k]) {
                // A resource some spec holds for entirely is free of drift.
                Some(entry) if entry.2.is_empty() => {}
                Some(entry) if unmet.is_empty() => {
                    entry.1 = spec;
                    entry.2.clear();
                    entry.3 = role;
                }
                Some(entry) => {
                    for u in unmet {
                        if !entry.2.contains(&u) {
                            entry.2.push(u);
                        }
                    }
                }
                None => {
                    at.insert(i, found.len());
                    found.push((i, spec, unmet, role));
                }
            }
        }
    }
    found.sort_by_key(|(i, _, _, _)| *i);
    for (i, spec, unmet, role) in found {
        let r = &t.resources[i];
        out.push(RawEvidence {
            objective: objective.id,
            kind: EvidenceKind::Establishes,
            resource: r.id.to_string(),
            rtype: r.rtype.to_string(),
            span: r.anchor,
            describe: spec.describe,
            unmet,
            org: role.map(Box::new),
        });
    }
}

/// The SCPs (or RCPs, for an `rcp` spec) that bear on a guardrail `spec`: each with what it
/// lacks and what it holds ([`Role::Guardrail`]).
fn guardrails(
    cx: &Context<'_, '_>,
    spec: &'static EvidenceSpec,
    matched: &mut Vec<(usize, Unmet, Option<Role>)>,
) {
    let wanted = if spec.rcp {
        DocKind::ResourceControl
    } else {
        DocKind::ServiceControl
    };
    for (d, doc) in cx.documents().iter().enumerate() {
        if doc.kind != wanted {
            continue;
        }
        let statements = cx.statements(d);
        let verdict = if spec.scp_denies.is_empty() {
            spec.scp_deny_condition
                .as_ref()
                .is_some_and(|c| denies_on_condition(cx, statements, c))
                .then(Vec::new)
        } else {
            denied_actions(cx, statements, spec.scp_denies, doc.span)
        };
        let Some(mut unmet) = verdict else { continue };
        let guard = organization::Guard {
            covers: spec
                .scp_denies
                .iter()
                .copied()
                .filter(|a| statements.iter().any(|st| protects(cx, st) && st.covers(a)))
                .collect(),
            holds: unmet.is_empty(),
            exempt: exemptions(cx, statements),
        };
        // A guardrail in force nowhere establishes nothing, whatever it denies.
        unmet.extend(unattached(cx, doc.resource()));
        matched.push((doc.resource(), unmet, Some(Role::Guardrail(guard))));
    }
}

/// The principals the `Deny` statements of a guardrail leave free, as written (the values of
/// their `ArnNotLike`/`StringNotEquals` tests of who the caller is: the break-glass role).
fn exemptions(cx: &Context<'_, '_>, statements: &[iam::Statement<'_>]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for st in statements
        .iter()
        .filter(|st| st.effect == Some(Effect::Deny))
    {
        let Some(c) = st.condition else { continue };
        for cl in iam::condition::clauses(cx.template, c) {
            if iam::condition::is_principal_key(&cl.key) && is_negated(&cl.operator) {
                for v in cl.values {
                    if !out.contains(&v) {
                        out.push(v);
                    }
                }
            }
        }
    }
    out
}

/// The requirements `r` does not meet, each at the value (or where the property is missing).
/// A value the template cannot know meets the requirement: unknown is never drift.
fn unmet_requirements(
    cx: &Context<'_, '_>,
    r: &Resource<'_>,
    require: &[Requirement],
) -> Vec<(Span, String)> {
    let mut unmet = Vec::new();
    for req in require {
        let path: Vec<&str> = req.property.split('.').collect();
        for hit in lookup(cx.template, r, &path) {
            match hit {
                Lookup::Found(v) => {
                    let text = match &v.val {
                        Val::Bool(b) => b.to_string(),
                        Val::Unknown | Val::NoValue => continue,
                        other => match other.known_text() {
                            Some(s) => s.to_ascii_lowercase(),
                            None => continue,
                        },
                    };
                    if !req.one_of.contains(&text.as_str()) {
                        unmet.push((
                            v.span,
                            format!(
                                "`{}` is `{text}`, not {}",
                                req.property,
                                one_of_text(req.one_of)
                            ),
                        ));
                    }
                }
                Lookup::Missing(span) if !req.absent => unmet.push((
                    span,
                    format!(
                        "`{}` is not set (it must be {})",
                        req.property,
                        one_of_text(req.one_of)
                    ),
                )),
                Lookup::Missing(_) | Lookup::Unknown => {}
            }
        }
    }
    unmet
}

fn one_of_text(values: &[&str]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
    quoted.join(" or ")
}

/// Whether a `Deny` statement protects whatever it denies from everyone but a few: no
/// condition, or only exceptions for who the caller is (`ArnNotLike` `aws:PrincipalArn`, the
/// break-glass role). A deny that names whom it applies to (`StringLike` `aws:PrincipalArn`
/// root) leaves everyone else free, and one conditioned on the Region or a tag leaves the
/// action open elsewhere.
fn protects(cx: &Context<'_, '_>, st: &iam::Statement<'_>) -> bool {
    st.effect == Some(Effect::Deny)
        && st.condition.is_none_or(|c| {
            iam::condition::clauses(cx.template, c)
                .iter()
                .all(|cl| iam::condition::is_principal_key(&cl.key) && is_negated(&cl.operator))
        })
}

/// `StringNotEquals`, `StringNotLike`, `ArnNotEquals`, `ArnNotLike`: true for every value but
/// the listed ones.
fn is_negated(operator: &str) -> bool {
    let lower = operator.to_ascii_lowercase();
    [
        "stringnotequals",
        "stringnotequalsignorecase",
        "stringnotlike",
        "arnnotequals",
        "arnnotlike",
    ]
    .contains(&lower.as_str())
}

/// Why the organization policy resource `i` is attached to nothing, when the template says so:
/// an `AWS::Organizations::Policy` without `TargetIds`, an `aws_organizations_policy` that no
/// `aws_organizations_policy_attachment` of the configuration names. `None` when it is attached,
/// when its targets cannot be known, and for a standalone document (attached outside the code).
fn unattached(cx: &Context<'_, '_>, i: usize) -> Option<(Span, String)> {
    let t = cx.template;
    let r = &t.resources[i];
    let how = match r.rtype {
        "AWS::Organizations::Policy" => "TargetIds is not set",
        "aws_organizations_policy" => "no aws_organizations_policy_attachment names it",
        _ => return None,
    };
    let (targets, unknown) = organization::attached_to(t, r);
    (targets.is_empty() && !unknown).then(|| {
        (
            r.anchor,
            format!(
                "`{}` is attached to nothing ({how}), so it is in force in no account",
                r.id
            ),
        )
    })
}

/// For an SCP's statements: `None` when no protecting deny covers any of `actions`, else
/// what the denies leave out (empty: they cover every one).
fn denied_actions(
    cx: &Context<'_, '_>,
    statements: &[iam::Statement<'_>],
    actions: &[&str],
    at: Span,
) -> Option<Vec<(Span, String)>> {
    let covered: Vec<bool> = actions
        .iter()
        .map(|a| statements.iter().any(|st| protects(cx, st) && st.covers(a)))
        .collect();
    if !covered.iter().any(|c| *c) {
        return None;
    }
    Some(
        actions
            .iter()
            .zip(&covered)
            .filter(|(_, c)| !**c)
            .map(|(a, _)| (at, format!("the SCP does not deny `{a}`")))
            .collect(),
    )
}

/// Whether some `Deny` statement tests the condition key `spec` names (with a value matching
/// `spec.value_matches` under a positive operator, when it names one).
fn denies_on_condition(
    cx: &Context<'_, '_>,
    statements: &[iam::Statement<'_>],
    spec: &ConditionSpec,
) -> bool {
    statements.iter().any(|st| {
        st.effect == Some(Effect::Deny)
            && st.condition.is_some_and(|c| {
                iam::condition::clauses(cx.template, c).iter().any(|cl| {
                    cl.key.eq_ignore_ascii_case(spec.key)
                        && match spec.value_matches {
                            None => true,
                            Some(wanted) => {
                                !is_negated(&cl.operator)
                                    && !cl.operator.eq_ignore_ascii_case("Null")
                                    && cl.values.iter().any(|v| iam::action_matches(v, wanted))
                            }
                        }
                })
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_objective_names_known_policies_and_sorted_ids() {
        let ids: Vec<&str> = OBJECTIVES.iter().map(|o| o.id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        assert_eq!(ids, sorted);
        for o in OBJECTIVES {
            for p in o.policies {
                assert!(crate::meta(p).is_some(), "{}: {p}", o.id);
            }
        }
    }

    #[test]
    fn patterns_select_by_id_prefix_and_family() {
        let trail = objective("log-trail").unwrap();
        assert!(pattern_matches("LOG-TRAIL", trail));
        assert!(pattern_matches("logging", trail));
        assert!(pattern_matches("LOG", trail));
        assert!(!pattern_matches("DET", trail));
        assert!(!pattern_matches("", trail));
    }
}
