//! Control-objective coverage: does the tree establish the baseline at all?
//!
//! Policies answer "which resources drift"; a tree with no trail, no Config recorder and no
//! SCPs has nothing to drift and no findings. Coverage answers the other question: for each
//! control objective (`policies/objectives/*.toml`, see [`crate::policy::coverage`]) it says
//! whether something in the tree **establishes** it (which resource, where), establishes it
//! only with drift (**violated**: the establishing resources' findings and unmet
//! requirements), or nothing does (**missing**). A config can mark an objective as established
//! **elsewhere** (another repository) with a reason, and an objective that applies only to some
//! trees (an organization's) is **not applicable** to others.
//!
//! The check gathers each file's evidence while it checks it ([`FileReport::evidence`]); this
//! module puts the tree's evidence and drift findings together once every file is in.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::config::CoverageConfig;
use crate::file_report::{Evidence, FileReport, UnfollowedModule};
use crate::finding::{Finding, Severity};
use crate::guardrails::{Bearing, Organization, TargetStatus, Verdict};
use crate::policy::Family;
use crate::policy::coverage::{EvidenceKind, OBJECTIVES, Objective};
use crate::source::{Position, Span};

/// A finding of a policy that some objective counts as drift, as the tree's coverage needs it.
#[derive(Clone, Debug)]
struct DriftFinding {
    path: Arc<str>,
    policy: &'static str,
    resource: String,
    severity: Severity,
    start: Position,
    message: String,
}

/// What a run gathered for coverage: every file's evidence, and the findings objectives count
/// as drift. Reports arrive in path order, so what is gathered is in path order too.
#[derive(Debug, Default)]
pub struct Gathered {
    evidence: Vec<(Arc<str>, Evidence)>,
    drift: Vec<DriftFinding>,
    /// Templates checked.
    templates: usize,
    /// Files that could not be read or loaded.
    failed: Vec<Arc<str>>,
    /// Module calls not followed (their modules are not on disk), by file.
    unfollowed: Vec<(Arc<str>, UnfollowedModule)>,
}

impl Gathered {
    /// Of the module calls not followed, those past a bound of composing modules.
    fn unfollowed_past_bounds(&self) -> usize {
        self.unfollowed
            .iter()
            .filter(|(_, m)| m.why == crate::file_report::NotFollowed::PastBound)
            .count()
    }

    /// Take what a file's report says about coverage (its findings before any baseline: drift
    /// is drift, known or new).
    pub fn take(&mut self, report: &FileReport) {
        match report.outcome {
            crate::file_report::Outcome::Checked(_) => self.templates += 1,
            // Whatever it would establish is unknown: the report says so.
            crate::file_report::Outcome::Failed => {
                self.failed.push(Arc::from(report.path.as_str()))
            }
            _ => {}
        }
        if report.evidence.is_empty()
            && report.findings.is_empty()
            && report.unfollowed_modules.is_empty()
        {
            return;
        }
        let path: Arc<str> = Arc::from(report.path.as_str());
        for m in &report.unfollowed_modules {
            self.unfollowed.push((path.clone(), m.clone()));
        }
        for e in &report.evidence {
            self.evidence.push((path.clone(), e.clone()));
        }
        for f in &report.findings {
            if let Some(resource) = drift_resource(f) {
                self.drift.push(DriftFinding {
                    path: f.path.clone(),
                    policy: f.policy,
                    resource: resource.to_string(),
                    severity: f.severity,
                    start: f.start,
                    message: f.message.clone(),
                });
            }
        }
    }
}

/// The resource of a finding that some objective counts as drift.
fn drift_resource(f: &Finding) -> Option<&str> {
    let resource = f.resource.as_deref()?;
    OBJECTIVES
        .iter()
        .any(|o| o.policies.contains(&f.policy))
        .then_some(resource)
}

/// Where an objective stands in a tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Some resource establishes it without drift.
    Established,
    /// The config says it is established elsewhere.
    Elsewhere,
    /// Resources establish it, each with drift.
    Violated,
    /// It is in force in some of the organization's accounts (or OUs), not all: the tree
    /// declares an organization and judges it per target ([`crate::guardrails`]).
    Partial,
    /// Nothing in the tree establishes it.
    Missing,
    /// It does not apply to this tree.
    NotApplicable,
}

impl Status {
    /// The status as reports spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Established => "established",
            Status::Elsewhere => "established-elsewhere",
            Status::Violated => "violated",
            Status::Partial => "partial",
            Status::Missing => "missing",
            Status::NotApplicable => "not-applicable",
        }
    }

    /// Whether the objective counts as in place.
    pub fn is_met(self) -> bool {
        matches!(self, Status::Established | Status::Elsewhere)
    }
}

/// Something wrong with an establishing resource: a finding of one of the objective's
/// policies, or a requirement it does not meet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Drift {
    /// The file.
    pub path: Arc<str>,
    /// Where.
    pub start: Position,
    /// The policy whose finding it is (`None`: an unmet requirement of the objective).
    pub policy: Option<&'static str>,
    /// The finding's severity (the objective's for a requirement).
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
}

/// A resource that establishes an objective (possibly with drift).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Establishing {
    /// The file.
    pub path: Arc<str>,
    /// The resource's logical ID or address.
    pub resource: String,
    /// Its type.
    pub rtype: String,
    /// What evidence it is.
    pub describe: &'static str,
    /// Where.
    pub start: Position,
    /// What is wrong with it (empty: it establishes the objective).
    pub drift: Vec<Drift>,
    /// What it is to the organization (where it is in force or deployed).
    pub org: Option<Box<crate::policy::organization::Role>>,
}

/// One objective's assessment.
#[derive(Clone, Debug)]
pub struct Assessed {
    /// The objective.
    pub objective: &'static Objective,
    /// Where it stands.
    pub status: Status,
    /// The resources that establish it, in path order.
    pub evidence: Vec<Establishing>,
    /// Why the config says it is established elsewhere.
    pub elsewhere: Option<String>,
    /// The first resource that makes it apply, when it applies only to some trees.
    pub applies_by: Option<(Arc<str>, String, Position)>,
    /// When it is missing: the module calls not followed that may establish it (their source
    /// or name names its service), in path order.
    pub may_establish: Vec<(Arc<str>, UnfollowedModule)>,
    /// When the tree declares an organization and the objective is judged per target: its
    /// verdict at each of [`Organization::targets`], in that order (else empty).
    pub targets: Vec<Verdict>,
}

impl Assessed {
    /// The leaves of the organization (accounts, OUs with nothing below) where it is not
    /// established, known to lack it.
    pub fn lacking(&self, org: &Organization) -> Vec<usize> {
        if self.targets.is_empty() {
            return Vec::new();
        }
        org.leaves()
            .into_iter()
            .filter(|&i| {
                matches!(
                    self.targets[i].status,
                    TargetStatus::Missing | TargetStatus::Violated
                )
            })
            .collect()
    }
}

/// How a run assesses coverage, beyond the `[coverage]` of the first path's config.
#[derive(Clone, Debug, Default)]
pub struct CoverageOptions {
    /// Report missing objectives as COV001 findings (`check --coverage`).
    pub enforce: bool,
    /// Replaces the config's `select` when not empty.
    pub select: Vec<String>,
    /// Added to the config's `ignore`.
    pub ignore: Vec<String>,
}

impl CoverageOptions {
    /// The config's `[coverage]` with these options applied.
    pub fn apply(&self, config: &CoverageConfig) -> CoverageConfig {
        let mut out = config.clone();
        if !self.select.is_empty() {
            out.select = self.select.clone();
        }
        out.ignore.extend(self.ignore.iter().cloned());
        out.enforce |= self.enforce;
        out
    }
}

/// Where the tree's missing objectives are reported: the `[coverage]` table of the config
/// that governs the first path checked, else that path.
#[derive(Clone, Debug, Default)]
pub struct Anchor {
    /// The config file or the path, as reported.
    pub path: String,
    /// The line (1-based) in the config; `None` for a path.
    pub line: Option<u32>,
}

/// A tree's coverage of the objectives that were selected.
#[derive(Clone, Debug)]
pub struct Coverage {
    /// Where missing objectives are reported.
    pub anchor: Anchor,
    /// Each selected objective, in catalog order (by family, then ID).
    pub objectives: Vec<Assessed>,
    /// The templates checked.
    pub templates: usize,
    /// The files that could not be read or loaded (what they establish is unknown), in path
    /// order.
    pub failed: Vec<Arc<str>>,
    /// Module calls not followed (their modules are not on disk, or composing them would pass
    /// a bound): what they establish is unknown.
    pub unfollowed: usize,
    /// Of `unfollowed`, the calls past a bound of composing modules.
    pub unfollowed_past_bounds: usize,
    /// The organization the tree declares (roots, OUs, accounts), when it declares one.
    pub organization: Option<Organization>,
    /// The framework the report is organized by (`coverage --framework`).
    pub framework: Option<Framework>,
}

/// A public baseline the objectives map to, whose controls a report can be organized by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framework {
    /// AWS Foundational Security Best Practices.
    Fsbp,
    /// CIS AWS Foundations Benchmark v3.0.
    Cis3,
    /// CIS AWS Foundations Benchmark v5.0.
    Cis5,
    /// AWS Control Tower controls.
    ControlTower,
}

impl Framework {
    /// Its name on the command line and in JSON (`cis-5.0`).
    pub fn key(self) -> &'static str {
        match self {
            Framework::Fsbp => "fsbp",
            Framework::Cis3 => "cis-3.0",
            Framework::Cis5 => "cis-5.0",
            Framework::ControlTower => "control-tower",
        }
    }

    /// Its title.
    pub fn title(self) -> &'static str {
        match self {
            Framework::Fsbp => "AWS Foundational Security Best Practices",
            Framework::Cis3 => "CIS AWS Foundations Benchmark v3.0",
            Framework::Cis5 => "CIS AWS Foundations Benchmark v5.0",
            Framework::ControlTower => "AWS Control Tower",
        }
    }

    /// The controls of the framework an objective maps to.
    pub fn controls_of(self, o: &Objective) -> &'static [&'static str] {
        o.controls(self.key()).unwrap_or(&[])
    }
}

/// One control of a framework and the objectives that map to it.
#[derive(Clone, Debug)]
pub struct Control {
    /// Its ID in the framework (`3.1`, `CloudTrail.1`).
    pub id: &'static str,
    /// The objectives mapped to it (indexes into [`Coverage::objectives`]).
    pub objectives: Vec<usize>,
    /// Where it stands: the least of its objectives' statuses (missing, violated, partial,
    /// elsewhere, established); not applicable only when all of them are.
    pub status: Status,
}

impl Coverage {
    /// The objectives with this status.
    pub fn count(&self, status: Status) -> usize {
        self.objectives
            .iter()
            .filter(|a| a.status == status)
            .count()
    }

    /// The objectives in place (established here or elsewhere).
    pub fn met(&self) -> usize {
        self.objectives.iter().filter(|a| a.status.is_met()).count()
    }

    /// The objectives that apply.
    pub fn applicable(&self) -> usize {
        self.objectives.len() - self.count(Status::NotApplicable)
    }

    /// Established (here or elsewhere) of the applicable objectives, in whole percent
    /// (rounded down, so 100 means every one).
    pub fn percent(&self) -> usize {
        self.met() * 100 / self.applicable().max(1)
    }

    /// The controls of `framework` the selected objectives map to, in the framework's order
    /// (numeric parts compared as numbers: `3.2` before `3.10`).
    pub fn controls(&self, framework: Framework) -> Vec<Control> {
        let mut ids: Vec<&'static str> = self
            .objectives
            .iter()
            .flat_map(|a| framework.controls_of(a.objective).iter().copied())
            .collect();
        ids.sort_by_key(|id| control_order(id));
        ids.dedup();
        ids.into_iter()
            .map(|id| {
                let objectives: Vec<usize> = (0..self.objectives.len())
                    .filter(|&i| {
                        framework
                            .controls_of(self.objectives[i].objective)
                            .contains(&id)
                    })
                    .collect();
                let rank = |s: Status| match s {
                    Status::Missing => 0,
                    Status::Violated => 1,
                    Status::Partial => 2,
                    Status::Elsewhere => 3,
                    Status::Established => 4,
                    Status::NotApplicable => 5,
                };
                let status = objectives
                    .iter()
                    .map(|&i| self.objectives[i].status)
                    .min_by_key(|s| rank(*s))
                    .unwrap_or(Status::NotApplicable);
                Control {
                    id,
                    objectives,
                    status,
                }
            })
            .collect()
    }

    /// The IDs of a control's objectives.
    pub fn control_objectives(&self, k: &Control) -> Vec<&'static str> {
        k.objectives
            .iter()
            .map(|&i| self.objectives[i].objective.id)
            .collect()
    }

    /// Whether every applicable objective is in place.
    pub fn complete(&self) -> bool {
        self.objectives
            .iter()
            .all(|a| a.status.is_met() || a.status == Status::NotApplicable)
    }
}

/// A control ID as a sort key: its `.`-separated parts, numbers as numbers.
fn control_order(id: &str) -> Vec<(u64, String)> {
    id.split('.')
        .map(|part| match part.parse::<u64>() {
            Ok(n) => (n, String::new()),
            Err(_) => (u64::MAX, part.to_string()),
        })
        .collect()
}

/// The objectives `config` selects, in report order (family, then ID).
pub fn selected(config: &CoverageConfig) -> Vec<&'static Objective> {
    let mut out: Vec<&'static Objective> = OBJECTIVES
        .iter()
        .filter(|o| {
            (config.select.is_empty()
                || config
                    .select
                    .iter()
                    .any(|p| crate::policy::coverage::pattern_matches(p, o)))
                && !config
                    .ignore
                    .iter()
                    .any(|p| crate::policy::coverage::pattern_matches(p, o))
        })
        .collect();
    out.sort_by_key(|o| (family_rank(o.family), o.id));
    out
}

fn family_rank(f: Family) -> usize {
    Family::ALL
        .iter()
        .position(|x| *x == f)
        .unwrap_or(usize::MAX)
}

/// Put the gathered evidence and drift together into the tree's coverage.
pub fn assess(gathered: &Gathered, config: &CoverageConfig, anchor: Anchor) -> Coverage {
    // Drift by resource, for finding an establishing resource's findings.
    let mut drift_by_resource: BTreeMap<&str, Vec<&DriftFinding>> = BTreeMap::new();
    for d in &gathered.drift {
        drift_by_resource.entry(&d.resource).or_default().push(d);
    }
    let organization = Organization::build(&gathered.evidence);
    let objectives = selected(config)
        .into_iter()
        .map(|objective| {
            let mine = || {
                gathered
                    .evidence
                    .iter()
                    .filter(move |(_, e)| e.objective == objective.id)
            };
            let applies_by = mine()
                .find(|(_, e)| e.kind == EvidenceKind::Applies)
                .map(|(p, e)| (p.clone(), e.resource.clone(), e.start));
            let evidence: Vec<Establishing> = mine()
                .filter(|(_, e)| e.kind == EvidenceKind::Establishes)
                .map(|(path, e)| {
                    let mut drift: Vec<Drift> = e
                        .unmet
                        .iter()
                        .map(|(start, message)| Drift {
                            path: path.clone(),
                            start: *start,
                            policy: None,
                            severity: objective.severity,
                            message: message.clone(),
                        })
                        .collect();
                    for d in drift_by_resource
                        .get(e.resource.as_str())
                        .into_iter()
                        .flatten()
                    {
                        if objective.policies.contains(&d.policy) && same_unit(path, &d.path) {
                            drift.push(Drift {
                                path: d.path.clone(),
                                start: d.start,
                                policy: Some(d.policy),
                                severity: d.severity,
                                message: d.message.clone(),
                            });
                        }
                    }
                    Establishing {
                        path: path.clone(),
                        resource: e.resource.clone(),
                        rtype: e.rtype.clone(),
                        describe: e.describe,
                        start: e.start,
                        drift,
                        org: e.org.clone(),
                    }
                })
                .collect();
            let elsewhere = config
                .established
                .iter()
                .find(|m| m.objective.eq_ignore_ascii_case(objective.id))
                .map(|m| m.reason.clone());
            let mut status = if elsewhere.is_some() {
                Status::Elsewhere
            } else if !objective.applies_when.is_empty() && applies_by.is_none() {
                Status::NotApplicable
            } else if evidence.iter().any(|e| e.drift.is_empty()) {
                Status::Established
            } else if evidence.is_empty() {
                Status::Missing
            } else {
                Status::Violated
            };
            let targets = match &organization {
                Some(org) if !matches!(status, Status::Elsewhere | Status::NotApplicable) => {
                    let seen = bearings(&evidence);
                    if org.judges(objective, &seen) {
                        let targets = org.judge(objective, &seen);
                        status = for_the_organization(status, org, &targets);
                        targets
                    } else {
                        Vec::new()
                    }
                }
                _ => Vec::new(),
            };
            let may_establish = match status {
                Status::Missing => gathered
                    .unfollowed
                    .iter()
                    .filter(|(_, m)| may_establish(objective, m))
                    .cloned()
                    .collect(),
                _ => Vec::new(),
            };
            Assessed {
                objective,
                status,
                evidence,
                elsewhere,
                applies_by,
                may_establish,
                targets,
            }
        })
        .collect();
    Coverage {
        anchor,
        objectives,
        templates: gathered.templates,
        failed: gathered.failed.clone(),
        unfollowed: gathered.unfollowed.len(),
        unfollowed_past_bounds: gathered.unfollowed_past_bounds(),
        organization,
        framework: None,
    }
}

/// The establishing resources as per-target judgment sees them.
fn bearings(evidence: &[Establishing]) -> Vec<Bearing<'_>> {
    evidence
        .iter()
        .map(|e| Bearing {
            path: &e.path,
            resource: &e.resource,
            org: e.org.as_deref(),
            drift: e
                .drift
                .iter()
                .map(|d| (d.policy.is_some(), d.message.as_str()))
                .collect(),
        })
        .collect()
}

/// An objective judged per target, for the whole organization: established only when it is
/// at every leaf (account, or OU or root with nothing below) whose verdict is known; partial
/// when at some. With none, the tree-wide status stands, unless something establishes it in
/// the tree but in force at no leaf (then it is violated: its guardrails are in the wrong
/// place).
fn for_the_organization(tree_wide: Status, org: &Organization, targets: &[Verdict]) -> Status {
    let known: Vec<TargetStatus> = org
        .leaves()
        .into_iter()
        .map(|i| targets[i].status)
        .filter(|s| *s != TargetStatus::Unknown)
        .collect();
    if known.is_empty() {
        return tree_wide;
    }
    let established = known
        .iter()
        .filter(|s| **s == TargetStatus::Established)
        .count();
    if established == known.len() {
        Status::Established
    } else if established > 0 {
        Status::Partial
    } else if tree_wide == Status::Established {
        Status::Violated
    } else {
        tree_wide
    }
}

/// Words of a module's source or name that say it sets up an account's baseline, which may
/// establish any objective.
const BASELINE_WORDS: &[&str] = &["baseline", "landing-zone", "landingzone", "control-tower"];

/// Whether a module not followed may establish `objective`: its source or name names the
/// service of a resource type that establishes it or that it applies to (`cloudtrail` for
/// `aws_cloudtrail`, `vpc` for the flow logs of `aws_vpc`), or it sets up a whole baseline.
fn may_establish(objective: &Objective, module: &UnfollowedModule) -> bool {
    let text = format!("{} {}", module.source, module.name).to_ascii_lowercase();
    if BASELINE_WORDS.iter().any(|w| text.contains(w)) {
        return true;
    }
    objective
        .evidence
        .iter()
        .flat_map(|e| e.resource_types.iter())
        .chain(objective.applies_when.iter())
        .filter_map(|t| t.strip_prefix("aws_")?.split('_').next())
        // `s3` or `iam` alone names too many modules to say anything.
        .filter(|service| service.len() >= 3 && *service != "iam")
        .any(|service| text.contains(service))
}

/// Whether a finding in `finding` can be about a resource declared in `declared`: the same
/// file, or two files of one Terraform configuration (a directory read as one, where a
/// finding lands in the file holding the offending value, a variable's default say).
fn same_unit(declared: &str, finding: &str) -> bool {
    if declared == finding {
        return true;
    }
    let dir = |p: &str| p.rsplit_once('/').map_or("", |(d, _)| d).to_string();
    crate::parse::is_hcl_name(declared)
        && crate::parse::is_hcl_name(finding)
        && dir(declared) == dir(finding)
}

/// The span of `[coverage]` in a config's text (where a missing objective is reported), else
/// the start of the file.
pub(crate) fn config_anchor(text: &str) -> Span {
    text.match_indices("[coverage]")
        .find(|(at, _)| {
            text[..*at]
                .rsplit('\n')
                .next()
                .is_some_and(|l| l.trim().is_empty())
        })
        .map_or(Span::empty(0), |(at, s)| Span::new(at, at + s.len()))
}

/// The message of a COV001 finding: an objective missing, or in force in only part of the
/// organization (naming the accounts, and OUs with nothing below, that lack it).
pub(crate) fn gap_message(a: &Assessed, org: Option<&Organization>) -> String {
    if let (Status::Partial, Some(org)) = (a.status, org) {
        let lacking: Vec<String> = a.lacking(org).into_iter().map(|i| org.label(i)).collect();
        return format!(
            "control objective {} is not in force in the whole organization ({}): {} lack{} it. {}",
            a.objective.id,
            a.objective.title,
            lacking.join(", "),
            if lacking.len() == 1 { "s" } else { "" },
            first_sentence(a.objective.remediation)
        );
    }
    missing_message(a)
}

/// The message of a COV001 finding for a missing objective.
fn missing_message(a: &Assessed) -> String {
    format!(
        "control objective {} is missing: nothing in the checked tree establishes it ({}). {}",
        a.objective.id,
        a.objective.title,
        first_sentence(a.objective.remediation)
    )
}

fn first_sentence(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.find(". ") {
        Some(i) => flat[..=i].to_string(),
        None => flat,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchor_is_the_table_header_not_a_mention() {
        let text = "# see [coverage] below\nfail_on = \"low\"\n[coverage]\nenforce = true\n";
        let span = config_anchor(text);
        assert_eq!(&text[span.start as usize..span.end as usize], "[coverage]");
        assert_eq!(span.start as usize, text.rfind("[coverage]").unwrap());
        assert_eq!(config_anchor("fail_on = \"low\"\n"), Span::empty(0));
    }

    #[test]
    fn controls_sort_numerically() {
        let mut ids = vec!["3.10", "CloudTrail.10", "3.2", "CloudTrail.2", "1.6"];
        ids.sort_by_key(|id| control_order(id));
        assert_eq!(ids, ["1.6", "3.2", "3.10", "CloudTrail.2", "CloudTrail.10"]);
    }

    #[test]
    fn terraform_configuration_is_one_unit() {
        assert!(same_unit("a/main.tf", "a/variables.tf"));
        assert!(!same_unit("a/main.tf", "b/variables.tf"));
        assert!(!same_unit("a/x.yaml", "a/y.yaml"));
        assert!(same_unit("a/x.yaml", "a/x.yaml"));
    }
}
