//! Guardrails where they apply: the organization a tree declares, and each guardrail
//! objective's verdict at every root, OU and account of it.
//!
//! An SCP is in force in an account when it is attached to the account, to an OU above it or
//! to the root; an account's principals may do only what no SCP in force there denies and
//! what, at every level from the root down, some SCP attached at that level allows (AWS's
//! `FullAWSAccess`, attached everywhere by default, allows everything). RCPs are inherited the
//! same way. A StackSet deploys to the accounts of the OUs it targets (with its account
//! filter), and an organization trail records every account. The templates' views
//! ([`crate::policy::organization`]) are joined here: a reference is resolved within the file (or
//! Terraform configuration) that makes it, a literal ID across the tree, and a tree's literal
//! root IDs are its one root when it declares one organization.

use std::collections::HashMap;
use std::sync::Arc;

use crate::file_report::Evidence;
use crate::policy::coverage::{EvidenceKind, Objective};
use crate::policy::organization::{Control, Deployment, Guard, NodeKind, Role, Target as Named};
use crate::source::Position;

/// What judging an objective per target needs of a resource that establishes it (the
/// coverage layer's evidence, seen from here).
#[derive(Clone, Debug)]
pub struct Bearing<'a> {
    /// Its file.
    pub path: &'a str,
    /// Its logical ID or address.
    pub resource: &'a str,
    /// What it is to the organization.
    pub org: Option<&'a Role>,
    /// What is wrong with it: whether a policy's finding says so, and what.
    pub drift: Vec<(bool, &'a str)>,
}

/// A root, OU or account of the organization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// Which.
    pub kind: NodeKind,
    /// Its name (the resource's ID when it has none; the literal ID when only that is known).
    pub name: String,
    /// Its literal ID, when some template names it by one.
    pub id: Option<String>,
    /// The resource that declares it: file, logical ID or address, where.
    pub declared: Option<(Arc<str>, String, Position)>,
    /// The target above it.
    pub parent: Option<usize>,
    /// Whether the tree says where it is: an OU or account named only by its literal ID (or
    /// whose parent is a variable) is placed under the root, whose guardrails reach it, but
    /// the OUs between are unknown.
    pub placed: bool,
    /// How deep it is (the root is 0).
    pub depth: usize,
}

/// An organization policy (or an attachment of `FullAWSAccess`) and where it is attached.
#[derive(Clone, Debug)]
struct Attached {
    unit: String,
    resource: String,
    control: Control,
    at: Vec<usize>,
    unknown: bool,
    allows: Vec<&'static str>,
    allow_list: bool,
    full_access: bool,
}

/// The organization a tree declares.
#[derive(Clone, Debug, Default)]
pub struct Organization {
    /// Its roots, OUs and accounts, in tree order (each after its parent, siblings by kind
    /// and name).
    pub targets: Vec<Target>,
    policies: Vec<Attached>,
    /// Where `Deployed` evidence goes: by (unit, resource), its resolved targets.
    deployments: HashMap<(String, String), (Vec<usize>, Vec<usize>)>,
    /// Some configuration attaches `FullAWSAccess` itself: where it does not, it is detached.
    full_access_managed: bool,
    /// Policies of a module's own check, (unit, address), where a configuration of the tree
    /// calls the module: the call's view (with the targets it passes) is the one deployed.
    shadowed: std::collections::HashSet<(String, String)>,
}

/// Where an objective stands at one target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TargetStatus {
    /// In force there without drift.
    Established,
    /// In force there, with drift (a deny that leaves an action open).
    Violated,
    /// Nothing in force there establishes it.
    Missing,
    /// What would establish it is attached where the templates cannot say.
    Unknown,
}

impl TargetStatus {
    /// The status as reports spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetStatus::Established => "established",
            TargetStatus::Violated => "violated",
            TargetStatus::Missing => "missing",
            TargetStatus::Unknown => "unknown",
        }
    }
}

/// The guardrails in force at a target (with the level each is attached at), and what is said
/// of the others.
#[derive(Default)]
struct InForce<'e> {
    list: Vec<(&'e Bearing<'e>, &'e Guard, usize)>,
    /// Some guardrail is attached where the templates cannot say.
    unknown: bool,
    /// Where the others are attached.
    elsewhere: Vec<String>,
}

/// An objective's verdict at one target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Where it stands.
    pub status: TargetStatus,
    /// Why, in one sentence (what is in force, what is missing, who is exempt).
    pub why: String,
}

/// The unit a file's references resolve in: the file, or a Terraform configuration's
/// directory.
fn unit_of(path: &str) -> String {
    let lower = path.to_ascii_lowercase();
    if crate::parse::is_hcl_name(path) || lower.ends_with(".tf.json") {
        path.rsplit_once('/').map_or("", |(d, _)| d).to_string()
    } else {
        path.to_string()
    }
}

/// Builds an [`Organization`]: targets are made as they are met, then put in tree order.
#[derive(Default)]
struct Builder {
    targets: Vec<Target>,
    by_resource: HashMap<(String, String), usize>,
    by_literal: HashMap<String, usize>,
    /// The tree's one declared root, which every literal root ID names.
    root: Option<usize>,
}

impl Builder {
    /// The tree's one root: the declared one, else one made for the existing organization a
    /// data source reads.
    fn the_root(&mut self) -> usize {
        if let Some(root) = self.root {
            return root;
        }
        self.targets.push(Target {
            kind: NodeKind::Root,
            name: "root".to_string(),
            id: None,
            declared: None,
            parent: None,
            placed: true,
            depth: 0,
        });
        let root = self.targets.len() - 1;
        self.root = Some(root);
        root
    }

    /// The target a template names, made when first met (`None`: a reference to nothing
    /// this tree declares).
    fn resolve(&mut self, unit: &str, named: &Named) -> Option<usize> {
        match named {
            Named::Resource(id) => self
                .by_resource
                .get(&(unit.to_string(), id.clone()))
                .copied(),
            Named::Root => Some(self.the_root()),
            Named::Literal(id) => {
                if let Some(&i) = self.by_literal.get(id) {
                    return Some(i);
                }
                let kind = Named::literal_kind(id)?;
                let i = match (kind, self.root) {
                    (NodeKind::Root, Some(root)) => {
                        self.targets[root].id.get_or_insert_with(|| id.clone());
                        root
                    }
                    (NodeKind::Root, None) => {
                        let root = self.the_root();
                        self.targets[root].id = Some(id.clone());
                        root
                    }
                    _ => {
                        self.targets.push(Target {
                            kind,
                            name: id.clone(),
                            id: Some(id.clone()),
                            declared: None,
                            parent: None,
                            placed: kind == NodeKind::Root,
                            depth: 0,
                        });
                        self.targets.len() - 1
                    }
                };
                self.by_literal.insert(id.clone(), i);
                Some(i)
            }
        }
    }
}

impl Organization {
    /// The organization the evidence declares (`None` when it declares no root, OU or
    /// account: nothing to judge per target).
    pub fn build(evidence: &[(Arc<str>, Evidence)]) -> Option<Organization> {
        let shape = || {
            evidence
                .iter()
                .filter(|(_, e)| e.kind == EvidenceKind::Shape)
                .filter_map(|(p, e)| e.org.as_deref().map(|r| (p, e, r)))
        };
        let mut b = Builder::default();
        let mut parents: Vec<(usize, String, Named)> = Vec::new();
        for (path, e, role) in shape() {
            if let Role::Node { kind, name, parent } = role {
                let unit = unit_of(path);
                b.targets.push(Target {
                    kind: *kind,
                    name: name.clone(),
                    id: None,
                    declared: Some((path.clone(), e.resource.clone(), e.start)),
                    parent: None,
                    placed: *kind == NodeKind::Root,
                    depth: 0,
                });
                let i = b.targets.len() - 1;
                b.by_resource.insert((unit.clone(), e.resource.clone()), i);
                if let Some(p) = parent {
                    parents.push((i, unit, p.clone()));
                }
            }
        }
        if b.targets.is_empty() {
            return None;
        }
        let roots: Vec<usize> = (0..b.targets.len())
            .filter(|&i| b.targets[i].kind == NodeKind::Root)
            .collect();
        b.root = (roots.len() == 1).then(|| roots[0]);
        for (i, unit, p) in parents {
            if let Some(parent) = b.resolve(&unit, &p).filter(|&p| p != i) {
                b.targets[i].parent = Some(parent);
                b.targets[i].placed = true;
            }
        }
        let mut org = Organization::default();
        let called: std::collections::HashSet<String> = shape()
            .filter(|(_, e, r)| matches!(r, Role::Policy(_)) && e.resource.starts_with("module."))
            .map(|(_, e, _)| module_tail(&e.resource).to_string())
            .collect();
        for (path, e, role) in shape() {
            if let Role::Policy(reach) = role {
                let unit = unit_of(path);
                if !e.resource.starts_with("module.") && called.contains(&e.resource) {
                    org.shadowed.insert((unit, e.resource.clone()));
                    continue;
                }
                let mut at = Vec::new();
                let mut unknown = reach.unknown_targets;
                for t in &reach.targets {
                    match b.resolve(&unit, t) {
                        Some(i) => at.push(i),
                        None => unknown = true,
                    }
                }
                org.full_access_managed |= reach.full_access;
                org.policies.push(Attached {
                    unit,
                    resource: e.resource.clone(),
                    control: reach.control,
                    at,
                    unknown,
                    allows: reach.allows.clone(),
                    allow_list: reach.allow_list,
                    full_access: reach.full_access,
                });
            }
        }
        for (path, e) in evidence {
            if let Some(Role::Deployed(d)) = e.org.as_deref() {
                let unit = unit_of(path);
                let units = d.units.iter().filter_map(|t| b.resolve(&unit, t)).collect();
                let accounts = d
                    .accounts
                    .iter()
                    .filter_map(|t| b.resolve(&unit, t))
                    .collect();
                org.deployments
                    .insert((unit, e.resource.clone()), (units, accounts));
            }
        }
        org.place(b);
        Some(org)
    }

    /// Put the builder's targets in tree order, with unplaced ones under the one root and the
    /// same target declared twice kept once.
    fn place(&mut self, mut b: Builder) {
        let n = b.targets.len();
        // A tree describes one organization: several declared roots (a module's own check and
        // the configuration that calls it) are one.
        let roots: Vec<usize> = (0..n)
            .filter(|&i| b.targets[i].kind == NodeKind::Root)
            .collect();
        if b.root.is_none() {
            b.root = roots.first().copied();
        }
        for i in 0..n {
            if b.targets[i].parent.is_none()
                && b.targets[i].kind != NodeKind::Root
                && let Some(root) = b.root
            {
                b.targets[i].parent = Some(root);
            }
        }
        cut_cycles(&mut b.targets);
        let canon = same_targets(&b.targets, &roots);
        for (i, &c) in canon.iter().enumerate() {
            if c != i {
                let (id, placed) = (b.targets[i].id.clone(), b.targets[i].placed);
                let keep = &mut b.targets[c];
                keep.placed |= placed;
                if keep.id.is_none() {
                    keep.id = id;
                }
            }
        }
        let key = |t: &Target| (t.kind, t.name.clone(), t.id.clone());
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut tops = Vec::new();
        for i in (0..n).filter(|&i| canon[i] == i) {
            match b.targets[i].parent.map(|p| canon[p]) {
                Some(p) => children[p].push(i),
                None => tops.push(i),
            }
        }
        for c in &mut children {
            c.sort_by_key(|&i| key(&b.targets[i]));
        }
        tops.sort_by_key(|&i| key(&b.targets[i]));
        let mut order = Vec::with_capacity(n);
        let mut stack: Vec<(usize, usize)> = tops.into_iter().rev().map(|i| (i, 0)).collect();
        while let Some((i, depth)) = stack.pop() {
            b.targets[i].depth = depth;
            order.push(i);
            for &c in children[i].iter().rev() {
                stack.push((c, depth + 1));
            }
        }
        let mut new_index = vec![0; n];
        for (new, &old) in order.iter().enumerate() {
            new_index[old] = new;
        }
        let merged: Vec<usize> = canon.iter().map(|&c| new_index[c]).collect();
        new_index = merged;
        self.targets = order
            .iter()
            .map(|&old| {
                let mut t = b.targets[old].clone();
                t.parent = t.parent.map(|p| new_index[p]);
                t
            })
            .collect();
        for p in &mut self.policies {
            for i in &mut p.at {
                *i = new_index[*i];
            }
            p.at.sort_unstable();
            p.at.dedup();
        }
        for (units, accounts) in self.deployments.values_mut() {
            for i in units.iter_mut().chain(accounts.iter_mut()) {
                *i = new_index[*i];
            }
        }
    }

    /// The targets from the root down to `i` (`i` last).
    fn path(&self, i: usize) -> Vec<usize> {
        let mut out = vec![i];
        let mut at = i;
        while let Some(p) = self.targets[at].parent {
            if out.contains(&p) {
                break;
            }
            out.push(p);
            at = p;
        }
        out.reverse();
        out
    }

    /// The targets an objective is judged over for the organization: its accounts, and the
    /// OUs and roots with nothing below them (where accounts will go).
    pub fn leaves(&self) -> Vec<usize> {
        let mut has_child = vec![false; self.targets.len()];
        for t in &self.targets {
            if let Some(p) = t.parent {
                has_child[p] = true;
            }
        }
        (0..self.targets.len())
            .filter(|&i| self.targets[i].kind == NodeKind::Account || !has_child[i])
            .collect()
    }

    /// A target as a sentence names it: ``OU `workloads` (ou-ab12-11111111)``.
    pub fn label(&self, i: usize) -> String {
        let t = &self.targets[i];
        let kind = match t.kind {
            NodeKind::Root => "the root",
            NodeKind::Unit => "OU",
            NodeKind::Account => "account",
        };
        match (&t.id, t.kind) {
            (Some(id), NodeKind::Root) => format!("{kind} ({id})"),
            (None, NodeKind::Root) => kind.to_string(),
            (Some(id), _) if *id == t.name => format!("{kind} {id}"),
            (Some(id), _) => format!("{kind} `{}` ({id})", t.name),
            (None, _) => format!("{kind} `{}`", t.name),
        }
    }

    fn policy_of(&self, path: &str, resource: &str) -> Option<&Attached> {
        let unit = unit_of(path);
        self.policies
            .iter()
            .find(|p| p.unit == unit && p.resource == resource && !p.full_access)
    }

    /// Whether an objective is judged per target: a guardrail objective, or one some of whose
    /// evidence is deployed to targets or reaches every account.
    pub fn judges(&self, objective: &Objective, evidence: &[Bearing<'_>]) -> bool {
        // Nothing anywhere: missing for the organization, and a column of "no" says nothing,
        // unless an allow-list may deny what the objective's SCP would.
        let allow_lists = self.full_access_managed
            && self.policies.iter().any(|p| p.allow_list)
            && objective.evidence.iter().any(|s| !s.scp_denies.is_empty());
        (!evidence.is_empty() || allow_lists) && is_guardrail(objective)
            || evidence
                .iter()
                .any(|e| matches!(e.org, Some(Role::Deployed(_) | Role::Everywhere)))
    }

    /// The objective's verdict at every target, in target order.
    pub fn judge(&self, objective: &Objective, evidence: &[Bearing<'_>]) -> Vec<Verdict> {
        (0..self.targets.len())
            .map(|i| {
                if is_guardrail(objective) {
                    self.guardrail_at(i, objective, evidence)
                } else {
                    self.deployed_at(i, evidence)
                }
            })
            .collect()
    }

    /// A guardrail objective at target `i`.
    fn guardrail_at(&self, i: usize, objective: &Objective, evidence: &[Bearing<'_>]) -> Verdict {
        let path = self.path(i);
        let found = self.in_force(&path, evidence);
        let denies: Vec<&'static str> = objective
            .evidence
            .iter()
            .flat_map(|s| s.scp_denies.iter().copied())
            .collect();
        if denies.is_empty() {
            self.condition_at(&found)
        } else {
            self.denies_at(&path, &denies, &found)
        }
    }

    /// The guardrails in force at the last target of `path`, each with the level it is
    /// attached at, and what is said of the others.
    fn in_force<'e>(&self, path: &[usize], evidence: &'e [Bearing<'e>]) -> InForce<'e> {
        let mut out = InForce::default();
        for e in evidence {
            let Some(Role::Guardrail(g)) = e.org else {
                continue;
            };
            let Some(p) = self.policy_of(e.path, e.resource) else {
                // A module's own view of a policy its caller attaches says nothing more; a
                // standalone document is attached outside the code, wherever that is.
                out.unknown |= !self
                    .shadowed
                    .contains(&(unit_of(e.path), e.resource.to_string()));
                continue;
            };
            let here = path.last().map(|&i| &self.targets[i]);
            let exempted = here.is_some_and(|t| {
                t.kind == NodeKind::Account && t.id.as_ref().is_some_and(|id| g.exempt.contains(id))
            });
            match p.at.iter().find(|a| path.contains(a)) {
                Some(_) if exempted => out.elsewhere.push(format!(
                    "`{}` is in force here but exempts this account",
                    e.resource
                )),
                Some(&level) => out.list.push((e, g, level)),
                None if p.at.is_empty() && !p.unknown => out
                    .elsewhere
                    .push(format!("`{}` is attached to nothing", e.resource)),
                None => {
                    out.unknown |= p.unknown;
                    if !p.at.is_empty() {
                        let at: Vec<String> = p.at.iter().map(|&a| self.label(a)).collect();
                        out.elsewhere.push(format!(
                            "`{}` is attached to {}",
                            e.resource,
                            at.join(", ")
                        ));
                    }
                }
            }
        }
        out
    }

    /// Which guardrails, at which levels: `` `X` at OU `y` ``.
    fn by(&self, list: &[(&Bearing<'_>, &Guard, usize)]) -> String {
        let names: Vec<String> = list
            .iter()
            .map(|(e, _, level)| format!("`{}` at {}", e.resource, self.label(*level)))
            .collect();
        names.join(", ")
    }

    /// An objective established by a deny's condition (the Region, the root user): some
    /// guardrail in force whose deny holds, without drift.
    fn condition_at(&self, found: &InForce<'_>) -> Verdict {
        let holding: Vec<_> = found
            .list
            .iter()
            .copied()
            .filter(|(e, g, _)| g.holds && e.drift.iter().all(|(policy, _)| !policy))
            .collect();
        if !holding.is_empty() {
            let exempt = exempt_text(&found.list);
            return verdict(
                TargetStatus::Established,
                format!("by {}{exempt}", self.by(&holding)),
            );
        }
        if !found.list.is_empty() {
            let drift = found
                .list
                .iter()
                .flat_map(|(e, _, _)| e.drift.iter())
                .find(|(policy, _)| *policy)
                .map_or(String::new(), |(_, m)| format!(": {m}"));
            return verdict(
                TargetStatus::Violated,
                format!("{} in force, with drift{drift}", self.by(&found.list)),
            );
        }
        self.absent(found.unknown, &found.elsewhere)
    }

    /// An objective established by denying `denies`: denies accumulate across the SCPs in
    /// force, and an allow-list that leaves an action out at some level denies it below.
    fn denies_at(&self, path: &[usize], denies: &[&'static str], found: &InForce<'_>) -> Verdict {
        let mut open = Vec::new();
        let mut not_allowed: Vec<(usize, Vec<String>)> = Vec::new();
        for a in denies {
            if found.list.iter().any(|(_, g, _)| g.covers.contains(a)) {
                continue;
            }
            match self.not_allowed_at(path, a) {
                Some(level) => match not_allowed.iter_mut().find(|(l, _)| *l == level) {
                    Some((_, actions)) => actions.push(format!("`{a}`")),
                    None => not_allowed.push((level, vec![format!("`{a}`")])),
                },
                None => open.push(*a),
            }
        }
        let implicit: Vec<String> = not_allowed
            .iter()
            .map(|(level, actions)| {
                format!(
                    "{} not allowed at {}",
                    actions.join(", "),
                    self.label(*level)
                )
            })
            .collect();
        if open.is_empty() && (!found.list.is_empty() || !implicit.is_empty()) {
            let mut why = Vec::new();
            if !found.list.is_empty() {
                why.push(format!("by {}", self.by(&found.list)));
            }
            if !implicit.is_empty() {
                why.push(format!("{} (an allow-list SCP)", implicit.join(", ")));
            }
            let exempt = exempt_text(&found.list);
            return verdict(
                TargetStatus::Established,
                format!("{}{exempt}", why.join("; ")),
            );
        }
        if open.len() < denies.len() {
            let open: Vec<String> = open.iter().map(|a| format!("`{a}`")).collect();
            let partly = if found.list.is_empty() {
                implicit.join(", ")
            } else {
                self.by(&found.list)
            };
            return verdict(
                TargetStatus::Violated,
                format!(
                    "{partly} in force, but nothing here denies {}",
                    open.join(", ")
                ),
            );
        }
        self.absent(found.unknown, &found.elsewhere)
    }

    /// Nothing in force at a target: unknown when what would establish it is attached where
    /// the templates cannot say, else missing.
    fn absent(&self, unknown: bool, elsewhere: &[String]) -> Verdict {
        let mut why = if elsewhere.is_empty() {
            "no guardrail that establishes it is attached here or above".to_string()
        } else if elsewhere
            .iter()
            .all(|e| e.ends_with("exempts this account"))
        {
            elsewhere.join("; ")
        } else {
            format!("not attached here or above: {}", elsewhere.join("; "))
        };
        if unknown {
            why.push_str("; some guardrail is attached where the templates cannot say");
            return verdict(TargetStatus::Unknown, why);
        }
        verdict(TargetStatus::Missing, why)
    }

    /// The level of `path` at which no SCP allows `action`, if any: a level where the tree
    /// attaches an allow-list and, while it manages `FullAWSAccess` attachments, not
    /// `FullAWSAccess`. Every other level keeps `FullAWSAccess`, AWS's default (a tree that
    /// never attaches it cannot have detached it, and an account's own attachment is rarely
    /// in code).
    fn not_allowed_at(&self, path: &[usize], action: &str) -> Option<usize> {
        if !self.full_access_managed {
            return None;
        }
        path.iter().copied().find(|level| {
            let here = |p: &&Attached| p.control == Control::Service && p.at.contains(level);
            self.policies.iter().filter(here).any(|p| p.allow_list)
                && !self
                    .policies
                    .iter()
                    .filter(here)
                    .any(|p| p.full_access || p.allows.contains(&action))
        })
    }

    /// An objective whose evidence is deployed (a StackSet) or organization-wide, at `i`.
    fn deployed_at(&self, i: usize, evidence: &[Bearing<'_>]) -> Verdict {
        let path = self.path(i);
        let mut reaching: Vec<&Bearing<'_>> = Vec::new();
        let mut elsewhere = Vec::new();
        let mut unknown = false;
        for e in evidence {
            match e.org {
                Some(Role::Everywhere) => reaching.push(e),
                Some(Role::Deployed(d)) => {
                    let key = (unit_of(e.path), e.resource.to_string());
                    let Some((units, accounts)) = self.deployments.get(&key) else {
                        continue;
                    };
                    if self.deploys_to(d, units, accounts, &path) {
                        reaching.push(e);
                    } else {
                        unknown |= d.unknown;
                        let stack_set = e.resource.split('/').next().unwrap_or(e.resource);
                        if !elsewhere.iter().any(|s: &String| s.contains(stack_set)) {
                            elsewhere.push(format!("StackSet `{stack_set}` deploys it elsewhere"));
                        }
                    }
                }
                _ => {}
            }
        }
        let names = |list: &[&Bearing<'_>]| {
            let v: Vec<String> = list.iter().map(|e| format!("`{}`", e.resource)).collect();
            v.join(", ")
        };
        let clean: Vec<&Bearing<'_>> = reaching
            .iter()
            .copied()
            .filter(|e| e.drift.is_empty())
            .collect();
        if !clean.is_empty() {
            return verdict(TargetStatus::Established, format!("by {}", names(&clean)));
        }
        if !reaching.is_empty() {
            return verdict(
                TargetStatus::Violated,
                format!(
                    "{} reaches it, with drift: {}",
                    names(&reaching),
                    reaching[0].drift[0].1
                ),
            );
        }
        let mut why = if elsewhere.is_empty() {
            "nothing the tree deploys reaches it".to_string()
        } else {
            format!("not deployed here: {}", elsewhere.join("; "))
        };
        if unknown {
            why.push_str("; some StackSet deploys where the templates cannot say");
            return verdict(TargetStatus::Unknown, why);
        }
        verdict(TargetStatus::Missing, why)
    }

    /// Whether a StackSet deployment reaches the last target of `path`: an account by its OUs
    /// and account filter, an OU or root when it (or a level above) is deployed to.
    fn deploys_to(
        &self,
        d: &Deployment,
        units: &[usize],
        accounts: &[usize],
        path: &[usize],
    ) -> bool {
        let Some(&at) = path.last() else { return false };
        let in_units = path.iter().any(|p| units.contains(p));
        if self.targets[at].kind == NodeKind::Account {
            d.reaches(in_units, accounts.contains(&at))
        } else {
            in_units && d.filter != "INTERSECTION"
        }
    }
}

/// Cut parent cycles (OUs that name each other) where they are found: each target is walked up
/// once (0: not seen, 1: on the current walk, 2: done).
fn cut_cycles(targets: &mut [Target]) {
    let mut state = vec![0u8; targets.len()];
    for i in 0..targets.len() {
        let mut walk = Vec::new();
        let mut at = i;
        while state[at] == 0 {
            state[at] = 1;
            walk.push(at);
            match targets[at].parent {
                Some(p) if state[p] == 1 => {
                    targets[at].parent = None;
                    break;
                }
                Some(p) => at = p,
                None => break,
            }
        }
        for w in walk {
            state[w] = 2;
        }
    }
}

/// An address without its module path: `aws_x.y` of `module.a.module.b.aws_x.y`.
fn module_tail(address: &str) -> &str {
    let mut s = address;
    while let Some(rest) = s.strip_prefix("module.") {
        s = rest.split_once('.').map_or(rest, |(_, tail)| tail);
    }
    s
}

/// For each target, the first target that is the same one: the roots are one, and an OU or
/// account is the same as one of its kind and name under the same parent (AWS refuses two
/// OUs of one name under one parent). A module's resources, checked on their own and again in
/// the configuration that calls the module, are so declared twice.
fn same_targets(targets: &[Target], roots: &[usize]) -> Vec<usize> {
    let n = targets.len();
    let mut canon: Vec<usize> = (0..n).collect();
    if let Some(&first) = roots.first() {
        for &r in roots {
            canon[r] = first;
        }
    }
    // A module's resources are named by address: `module.org.aws_…` and `aws_…` are one.
    let name = |t: &Target| module_tail(&t.name).to_string();
    // Parents are merged before their children: a pass per level.
    for _ in 0..n {
        let mut changed = false;
        let mut seen: HashMap<(NodeKind, String, Option<usize>), usize> = HashMap::new();
        for i in 0..n {
            if targets[i].kind == NodeKind::Root || canon[i] != i {
                continue;
            }
            let parent = targets[i].parent.map(|p| canon[p]);
            match seen.entry((targets[i].kind, name(&targets[i]), parent)) {
                std::collections::hash_map::Entry::Occupied(e) => {
                    canon[i] = *e.get();
                    changed = true;
                }
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(i);
                }
            }
        }
        if !changed {
            break;
        }
    }
    canon
}

fn verdict(status: TargetStatus, why: String) -> Verdict {
    Verdict { status, why }
}

/// `; except arn:…:role/break-glass`: who the guardrails in force leave free.
fn exempt_text(in_force: &[(&Bearing<'_>, &Guard, usize)]) -> String {
    let mut all: Vec<&str> = Vec::new();
    for (_, g, _) in in_force {
        for e in &g.exempt {
            if !all.contains(&e.as_str()) {
                all.push(e);
            }
        }
    }
    if all.is_empty() {
        String::new()
    } else {
        format!("; exempts {}", all.join(", "))
    }
}

/// Whether an objective is established by guardrails (SCP or RCP denies).
pub fn is_guardrail(objective: &Objective) -> bool {
    objective
        .evidence
        .iter()
        .any(|s| !s.scp_denies.is_empty() || s.scp_deny_condition.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terraform_configurations_are_units() {
        assert_eq!(unit_of("org/main.tf"), "org");
        assert_eq!(unit_of("org/x.tf.json"), "org");
        assert_eq!(unit_of("org/x.yaml"), "org/x.yaml");
    }
}
