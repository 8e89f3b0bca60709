//! Coverage reports (`tripline coverage`): human, JSON (schema in `docs/coverage-format.md`),
//! Markdown (a table per family, for a pull request or an auditor) and SARIF (one rule per
//! objective, a result per objective with `kind` pass / fail / notApplicable).
//!
//! Text from templates (logical IDs, types, messages) is escaped for terminals and CI logs in
//! the human format and for tables in Markdown.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::coverage::{Assessed, Coverage, Status};
use crate::guardrails::TargetStatus;
use crate::policy::Family;
use crate::report::escape;
use crate::report::sarif::{self, SarifOptions};

/// The JSON report's format version (bumped on incompatible changes).
pub const JSON_VERSION: u32 = 1;

/// The objectives by family, in report order; families without any left out.
fn by_family(c: &Coverage) -> Vec<(Family, Vec<&Assessed>)> {
    Family::ALL
        .into_iter()
        .map(|family| {
            let of: Vec<&Assessed> = c
                .objectives
                .iter()
                .filter(|a| a.objective.family == family)
                .collect();
            (family, of)
        })
        .filter(|(_, of)| !of.is_empty())
        .collect()
}

fn sentence(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn at(path: &str, p: crate::source::Position) -> String {
    format!("{}:{}:{}", escape::line(path), p.line, p.column)
}

/// The human report: a line per objective by family, its evidence or what to do below it.
pub fn human(c: &Coverage, color: bool) -> String {
    let paint = |code: &str, s: &str| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    human_controls(c, &mut out, &paint);
    let width = c
        .objectives
        .iter()
        .map(|a| a.objective.id.len())
        .max()
        .unwrap_or(0);
    for (family, of) in by_family(c) {
        let _ = writeln!(out, "{}", paint("1", family.as_str()));
        for a in of {
            let (text, code) = label(a.status);
            let status = paint(code, &format!("{text:<11}"));
            let _ = writeln!(
                out,
                "  {:width$}  {status}  {}",
                a.objective.id, a.objective.title
            );
            match a.status {
                Status::Missing => {
                    let _ = writeln!(
                        out,
                        "      nothing establishes it. To establish it: {}",
                        sentence(a.objective.remediation)
                    );
                    for (path, m) in &a.may_establish {
                        let _ = writeln!(out, "      {}", not_followed(path, m));
                    }
                }
                Status::Elsewhere => {
                    let reason = a.elsewhere.as_deref().unwrap_or("");
                    let _ = writeln!(out, "      {}", escape::line(reason));
                }
                Status::NotApplicable => {
                    let _ = writeln!(
                        out,
                        "      applies to trees with {}",
                        a.objective.applies_when.join(", ")
                    );
                }
                Status::Partial => {
                    if let Some(org) = &c.organization {
                        for i in a.lacking(org) {
                            let _ = writeln!(
                                out,
                                "      not at {}: {}",
                                escape::line(&org.label(i)),
                                escape::line(&a.targets[i].why)
                            );
                        }
                    }
                }
                Status::Established | Status::Violated => {}
            }
            let shown = if a.status == Status::Established {
                // The resources that establish it; drifting ones are the checks' business.
                a.evidence.iter().filter(|e| e.drift.is_empty()).collect()
            } else {
                a.evidence.iter().collect::<Vec<_>>()
            };
            for e in shown {
                let _ = writeln!(
                    out,
                    "      by `{}` ({}) at {}",
                    escape::line(&e.resource),
                    escape::line(&e.rtype),
                    at(&e.path, e.start)
                );
                for d in &e.drift {
                    let what = d.policy.unwrap_or("requirement");
                    let _ = writeln!(
                        out,
                        "        {what} at {}: {}",
                        at(&d.path, d.start),
                        escape::line(&d.message)
                    );
                }
            }
        }
    }
    let _ = writeln!(
        out,
        "\ncoverage: {} of {} applicable objectives in place ({}%): {} established, {} elsewhere, \
         {} violated, {} partial, {} missing; {} not applicable; {} template{} checked",
        c.met(),
        c.applicable(),
        c.percent(),
        c.count(Status::Established),
        c.count(Status::Elsewhere),
        c.count(Status::Violated),
        c.count(Status::Partial),
        c.count(Status::Missing),
        c.count(Status::NotApplicable),
        c.templates,
        if c.templates == 1 { "" } else { "s" },
    );
    human_targets(c, &mut out);
    notes(c, &mut out);
    out
}

/// A status as the human report labels it, with its colour.
fn label(status: Status) -> (&'static str, &'static str) {
    match status {
        Status::Established => ("established", "32"),
        Status::Elsewhere => ("elsewhere", "32"),
        Status::Violated => ("violated", "33"),
        Status::Partial => ("partial", "33"),
        Status::Missing => ("missing", "31"),
        Status::NotApplicable => ("n/a", "2"),
    }
}

/// With `--framework`: a line per control of the framework, with its status and objectives.
fn human_controls(c: &Coverage, out: &mut String, paint: &dyn Fn(&str, &str) -> String) {
    let Some(framework) = c.framework else { return };
    let controls = c.controls(framework);
    let _ = writeln!(out, "{}", paint("1", framework.title()));
    let width = controls.iter().map(|k| k.id.len()).max().unwrap_or(0);
    for k in &controls {
        let (text, code) = label(k.status);
        let ids = c.control_objectives(k);
        let _ = writeln!(
            out,
            "  {:width$}  {}  {}",
            k.id,
            paint(code, &format!("{text:<11}")),
            ids.join(", ")
        );
    }
    out.push('\n');
}

/// The objectives judged per target, those with verdicts.
fn judged(c: &Coverage) -> Vec<&Assessed> {
    c.objectives
        .iter()
        .filter(|a| !a.targets.is_empty())
        .collect()
}

/// A verdict as one cell of the per-target table.
fn mark(status: TargetStatus) -> &'static str {
    match status {
        TargetStatus::Established => "yes",
        TargetStatus::Violated => "drift",
        TargetStatus::Missing => "NO",
        TargetStatus::Unknown => "?",
    }
}

/// The per-target table: a row per root, OU and account (indented by depth), a column per
/// objective judged per target.
fn human_targets(c: &Coverage, out: &mut String) {
    let Some(org) = &c.organization else { return };
    let judged = judged(c);
    if judged.is_empty() {
        return;
    }
    let labels: Vec<String> = (0..org.targets.len())
        .map(|i| {
            let t = &org.targets[i];
            let unplaced = if t.placed {
                ""
            } else {
                " (placed under the root)"
            };
            format!(
                "{}{}{unplaced}",
                "  ".repeat(t.depth),
                escape::line(&org.label(i))
            )
        })
        .collect();
    let width = labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0)
        .max(6);
    let _ = writeln!(
        out,
        "
per target (yes: in force; NO: not in force; drift: in force with drift; ?: unknown)"
    );
    let mut header = format!("  {:width$}", "target");
    for a in &judged {
        let _ = write!(header, "  {}", a.objective.id);
    }
    let _ = writeln!(out, "{}", header.trim_end());
    for (i, label) in labels.iter().enumerate() {
        let pad = width - label.chars().count();
        let mut row = format!("  {label}{}", " ".repeat(pad));
        for a in &judged {
            let _ = write!(
                row,
                "  {:w$}",
                mark(a.targets[i].status),
                w = a.objective.id.len()
            );
        }
        let _ = writeln!(out, "{}", row.trim_end());
    }
}

/// What the report could not see: files that could not be loaded, module calls not followed.
fn notes(c: &Coverage, out: &mut String) {
    if !c.failed.is_empty() {
        let _ = writeln!(
            out,
            "note: {} file{} could not be read or loaded, so what {} establish is unknown \
             (`tripline check` says why):",
            c.failed.len(),
            if c.failed.len() == 1 { "" } else { "s" },
            if c.failed.len() == 1 {
                "it would"
            } else {
                "they would"
            },
        );
        for path in &c.failed {
            let _ = writeln!(out, "  {}", escape::line(path));
        }
    }
    if c.unfollowed_past_bounds > 0 {
        let _ = writeln!(
            out,
            "note: {} module call{} not followed (modules not on disk, or calls past tripline's \
             bounds on composing modules: `tripline check --verbose` says which), so what {} \
             establish is unknown",
            c.unfollowed,
            if c.unfollowed == 1 { " was" } else { "s were" },
            if c.unfollowed == 1 {
                "it would"
            } else {
                "they would"
            },
        );
    } else if c.unfollowed > 0 {
        let _ = writeln!(
            out,
            "note: {} module call{} not followed (the module{} not on disk), so what {} \
             establish is unknown: `terraform init` installs registry and Git modules where \
             tripline reads them",
            c.unfollowed,
            if c.unfollowed == 1 { " was" } else { "s were" },
            if c.unfollowed == 1 { " is" } else { "s are" },
            if c.unfollowed == 1 {
                "it would"
            } else {
                "they would"
            },
        );
    }
}

/// A module call not followed that may establish a missing objective.
fn not_followed(path: &str, m: &crate::file_report::UnfollowedModule) -> String {
    escape::line(&format!(
        "module `{}` ({}) at {path}:{} was not followed and may establish it",
        m.name, m.source, m.line
    ))
    .into_owned()
}

fn not_followed_json(a: &Assessed) -> Value {
    a.may_establish
        .iter()
        .map(|(path, m)| {
            json!({"path": &**path, "line": m.line, "module": m.name, "source": m.source})
        })
        .collect()
}

fn mappings(a: &Assessed) -> Value {
    json!({
        "fsbp": a.objective.fsbp,
        "cis": a.objective.cis,
        "cis5": a.objective.cis5,
        "control_tower": a.objective.control_tower,
    })
}

/// The JSON `framework` (with `--framework`, else null): its controls and their statuses.
fn framework_json(c: &Coverage) -> Value {
    let Some(framework) = c.framework else {
        return Value::Null;
    };
    let controls: Vec<Value> = c
        .controls(framework)
        .iter()
        .map(|k| {
            json!({
                "id": k.id,
                "status": k.status.as_str(),
                "objectives": c.control_objectives(k),
            })
        })
        .collect();
    json!({"id": framework.key(), "title": framework.title(), "controls": controls})
}

/// The JSON `targets`: a root, OU or account each, with its verdict for every objective
/// judged per target.
fn targets_json(c: &Coverage) -> Value {
    let Some(org) = &c.organization else {
        return json!([]);
    };
    let judged = judged(c);
    org.targets
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut o = json!({
                "kind": t.kind.as_str(),
                "name": t.name,
                "id": t.id,
                "parent": t.parent,
                "depth": t.depth,
                "placed": t.placed,
            });
            if let Some((path, resource, start)) = &t.declared {
                o["declared"] = json!({
                    "path": &**path, "line": start.line, "column": start.column,
                    "resource": resource,
                });
            }
            let objectives: serde_json::Map<String, Value> = judged
                .iter()
                .map(|a| {
                    let v = &a.targets[i];
                    (
                        a.objective.id.to_string(),
                        json!({"status": v.status.as_str(), "why": v.why}),
                    )
                })
                .collect();
            o["objectives"] = Value::Object(objectives);
            o
        })
        .collect()
}

/// The JSON report (`docs/coverage-format.md`).
pub fn json(c: &Coverage) -> Value {
    let objectives: Vec<Value> = c
        .objectives
        .iter()
        .map(|a| {
            let evidence: Vec<Value> = a
                .evidence
                .iter()
                .map(|e| {
                    json!({
                        "path": &*e.path,
                        "line": e.start.line,
                        "column": e.start.column,
                        "resource": e.resource,
                        "type": e.rtype,
                        "evidence": e.describe,
                        "drift": e.drift.iter().map(|d| json!({
                            "path": &*d.path,
                            "line": d.start.line,
                            "column": d.start.column,
                            "policy": d.policy,
                            "severity": d.severity.as_str(),
                            "message": d.message,
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            let mut o = json!({
                "id": a.objective.id,
                "family": a.objective.family.as_str(),
                "severity": a.objective.severity.as_str(),
                "title": a.objective.title,
                "status": a.status.as_str(),
                "mappings": mappings(a),
                "policies": a.objective.policies,
                "evidence": evidence,
            });
            if let Some(reason) = &a.elsewhere {
                o["reason"] = json!(reason);
            }
            if let Some(org) = &c.organization
                && !a.targets.is_empty()
            {
                o["lacking"] = a
                    .lacking(org)
                    .into_iter()
                    .map(|i| json!({"target": i, "label": org.label(i), "status": a.targets[i].status.as_str(), "why": a.targets[i].why}))
                    .collect();
            }
            if a.status == Status::Missing {
                o["remediation"] = json!(sentence(a.objective.remediation));
                if !a.may_establish.is_empty() {
                    o["not_followed"] = not_followed_json(a);
                }
            }
            if let Some((path, resource, start)) = &a.applies_by {
                o["applies_by"] = json!({
                    "path": &**path,
                    "line": start.line,
                    "column": start.column,
                    "resource": resource,
                });
            }
            o
        })
        .collect();
    json!({
        "schema_version": JSON_VERSION,
        "tool": {"name": "tripline", "version": env!("CARGO_PKG_VERSION")},
        "summary": {
            "objectives": c.objectives.len(),
            "applicable": c.applicable(),
            "established": c.count(Status::Established),
            "established_elsewhere": c.count(Status::Elsewhere),
            "violated": c.count(Status::Violated),
            "partial": c.count(Status::Partial),
            "missing": c.count(Status::Missing),
            "not_applicable": c.count(Status::NotApplicable),
            "percent": c.percent(),
            "templates": c.templates,
            "failed": c.failed.len(),
            "modules_not_followed": c.unfollowed,
        },
        "objectives": objectives,
        "targets": targets_json(c),
        "framework": framework_json(c),
        "failed": c.failed.iter().map(|p| &**p).collect::<Vec<_>>(),
    })
}

/// Text safe in a Markdown table cell: no line breaks, pipes and markup characters escaped,
/// control characters shown escaped.
fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in escape::line(s).chars() {
        if "|\\`*_[]<>#".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The Markdown report: a summary line and a table per family with status and evidence.
pub fn markdown(c: &Coverage) -> String {
    let mut out = String::from("# Control-objective coverage\n\n");
    let _ = writeln!(
        out,
        "**{}%** of the applicable objectives are in place ({} of {}): {} established, {} \
         established elsewhere, {} violated, {} partial, {} missing; {} not applicable. {} \
         template{} checked by tripline {}.\n",
        c.percent(),
        c.met(),
        c.applicable(),
        c.count(Status::Established),
        c.count(Status::Elsewhere),
        c.count(Status::Violated),
        c.count(Status::Partial),
        c.count(Status::Missing),
        c.count(Status::NotApplicable),
        c.templates,
        if c.templates == 1 { "" } else { "s" },
        env!("CARGO_PKG_VERSION"),
    );
    if !c.failed.is_empty() {
        let _ = writeln!(
            out,
            "> {} file{} could not be read or loaded; what {} establish is unknown: {}.\n",
            c.failed.len(),
            if c.failed.len() == 1 { "" } else { "s" },
            if c.failed.len() == 1 {
                "it would"
            } else {
                "they would"
            },
            c.failed
                .iter()
                .map(|p| format!("`{}`", cell(p).replace('`', "'")))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    markdown_controls(c, &mut out);
    for (family, of) in by_family(c) {
        let mut title = family.as_str().to_string();
        title[..1].make_ascii_uppercase();
        let _ = writeln!(out, "## {title}\n");
        out.push_str("| Objective | Status | Evidence | Maps to |\n|---|---|---|---|\n");
        for a in of {
            let status = markdown_status(a.status);
            let evidence = markdown_evidence(c, a);
            let maps: Vec<String> = a
                .objective
                .mappings()
                .into_iter()
                .map(|(name, ids)| {
                    let short = match name {
                        n if n.starts_with("AWS Foundational") => "FSBP",
                        n if n.ends_with("v5.0") => "CIS v5.0",
                        n if n.starts_with("CIS") => "CIS v3",
                        _ => "Control Tower",
                    };
                    format!("{short} {}", cell(&ids.join(", ")))
                })
                .collect();
            let _ = writeln!(
                out,
                "| **{}** {} | {status} | {} | {} |",
                a.objective.id,
                cell(a.objective.title),
                evidence.join("<br>"),
                maps.join("<br>")
            );
        }
        out.push('\n');
    }
    markdown_targets(c, &mut out);
    out
}

/// The Evidence cell of an objective's row: what establishes it, its drift, or what to do.
fn markdown_evidence(c: &Coverage, a: &Assessed) -> Vec<String> {
    let mut evidence: Vec<String> = a
        .evidence
        .iter()
        .filter(|e| a.status != Status::Established || e.drift.is_empty())
        .map(|e| {
            let mut s = format!(
                "`{}` ({}) at {}:{}",
                cell(&e.resource).replace('`', "'"),
                cell(&e.rtype),
                cell(&e.path),
                e.start.line
            );
            for d in &e.drift {
                let _ = write!(
                    s,
                    "<br>• {} {}:{}: {}",
                    d.policy.unwrap_or("requirement"),
                    cell(&d.path),
                    d.start.line,
                    cell(&d.message)
                );
            }
            s
        })
        .collect();
    match a.status {
        Status::Elsewhere => {
            evidence.insert(0, cell(a.elsewhere.as_deref().unwrap_or("")));
        }
        Status::Missing => {
            evidence.push(format!(
                "nothing in the tree; {}",
                cell(&sentence(a.objective.remediation))
            ));
            for (path, m) in &a.may_establish {
                evidence.push(cell(&not_followed(path, m)));
            }
        }
        Status::NotApplicable => evidence.push(format!(
            "applies to trees with {}",
            cell(&a.objective.applies_when.join(", "))
        )),
        Status::Partial => {
            if let Some(org) = &c.organization {
                for i in a.lacking(org) {
                    evidence.push(format!(
                        "not at {}: {}",
                        cell(&org.label(i)),
                        cell(&a.targets[i].why)
                    ));
                }
            }
        }
        _ => {}
    }
    evidence
}

/// A status as the Markdown report shows it.
fn markdown_status(status: Status) -> &'static str {
    match status {
        Status::Established => "✅ established",
        Status::Elsewhere => "✅ established elsewhere",
        Status::Violated => "⚠️ violated",
        Status::Partial => "⚠️ partial",
        Status::Missing => "❌ missing",
        Status::NotApplicable => "➖ not applicable",
    }
}

/// With `--framework`: a table of the framework's controls.
fn markdown_controls(c: &Coverage, out: &mut String) {
    let Some(framework) = c.framework else { return };
    let _ = writeln!(out, "## {}\n", framework.title());
    out.push_str("| Control | Status | Objectives |\n|---|---|---|\n");
    for k in c.controls(framework) {
        let ids = c.control_objectives(&k);
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            cell(k.id),
            markdown_status(k.status),
            ids.join(", ")
        );
    }
    out.push('\n');
}

/// The Markdown per-target table.
fn markdown_targets(c: &Coverage, out: &mut String) {
    let Some(org) = &c.organization else { return };
    let judged = judged(c);
    if judged.is_empty() {
        return;
    }
    out.push_str("## Per target\n\n");
    out.push_str(
        "✅ in force · ❌ not in force · ⚠️ in force with drift · ❔ unknown\n\n| Target |",
    );
    for a in &judged {
        let _ = write!(out, " {} |", a.objective.id);
    }
    out.push_str("\n|---|");
    for _ in &judged {
        out.push_str(":-:|");
    }
    out.push('\n');
    for i in 0..org.targets.len() {
        let depth = org.targets[i].depth;
        let _ = write!(
            out,
            "| {}{} |",
            "&nbsp;&nbsp;".repeat(depth),
            cell(&org.label(i))
        );
        for a in &judged {
            let m = match a.targets[i].status {
                TargetStatus::Established => "✅",
                TargetStatus::Missing => "❌",
                TargetStatus::Violated => "⚠️",
                TargetStatus::Unknown => "❔",
            };
            let _ = write!(out, " {m} |");
        }
        out.push('\n');
    }
    out.push('\n');
}

/// The SARIF log: a rule per objective; per objective a result that passes (established,
/// here or elsewhere), fails (violated: at each drifting resource; missing: at `anchor`), or
/// does not apply.
pub fn sarif(c: &Coverage, options: &SarifOptions) -> Value {
    let rules = sarif_rules(c);
    let results = sarif_results(c, options);
    let mut driver = json!({
        "name": "tripline",
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "version": env!("CARGO_PKG_VERSION"),
        "rules": rules,
    });
    let home = env!("CARGO_PKG_REPOSITORY");
    if !home.is_empty() {
        driver["informationUri"] = json!(home);
    }
    let mut log = json!({
        "$schema": sarif::SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": driver},
            "automationDetails": {"id": "tripline/coverage/"},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    if options.root.is_some() {
        log["runs"][0]["originalUriBaseIds"] = json!({
            sarif::SRCROOT: {"description": {"text": "The repository root (the git root, or --root)."}},
        });
    }
    log
}

/// A SARIF rule per objective.
fn sarif_rules(c: &Coverage) -> Vec<Value> {
    c
        .objectives
        .iter()
        .map(|a| {
            let o = a.objective;
            let mut tags = vec!["security".to_string(), "coverage".to_string(), o.family.as_str().to_string()];
            tags.extend(o.fsbp.iter().map(|x| format!("fsbp:{x}")));
            tags.extend(o.cis.iter().map(|x| format!("cis:{x}")));
            tags.extend(o.cis5.iter().map(|x| format!("cis-5.0:{x}")));
            tags.extend(o.control_tower.iter().map(|x| format!("control-tower:{x}")));
            json!({
                "id": o.id,
                "name": o.id,
                "shortDescription": {"text": o.title},
                "fullDescription": {"text": sentence(o.description)},
                "help": {
                    "text": format!("{}\n\nTo establish it: {}", sentence(o.description), sentence(o.remediation)),
                    "markdown": format!("{}\n\n**To establish it:** {}", o.description, o.remediation),
                },
                "defaultConfiguration": {"level": sarif::level(o.severity)},
                "properties": {"tags": tags},
            })
        })
        .collect()
}

/// Per objective, a result that passes, fails (at each drifting resource, or at the config's
/// anchor) or does not apply.
fn sarif_results(c: &Coverage, options: &SarifOptions) -> Vec<Value> {
    let anchor = &c.anchor;
    let location = |path: &str, line: Option<u32>, column: Option<u32>| {
        let mut physical = json!({"artifactLocation": options.artifact(path)});
        if let Some(line) = line {
            physical["region"] = json!({"startLine": line, "startColumn": column.unwrap_or(1)});
        }
        json!({"physicalLocation": physical})
    };
    let mut results = Vec::new();
    for (index, a) in c.objectives.iter().enumerate() {
        let o = a.objective;
        let base = |kind: &str, level: &str, message: String| {
            json!({
                "ruleId": o.id,
                "ruleIndex": index,
                "kind": kind,
                "level": level,
                "message": {"text": message},
            })
        };
        match a.status {
            Status::Established | Status::Elsewhere => {
                let mut r = base(
                    "pass",
                    "none",
                    match &a.elsewhere {
                        Some(reason) => format!("{} is established elsewhere: {reason}", o.id),
                        None => format!("{} is established", o.id),
                    },
                );
                if let Some(e) = a.evidence.iter().find(|e| e.drift.is_empty()) {
                    r["locations"] =
                        json!([location(&e.path, Some(e.start.line), Some(e.start.column))]);
                }
                results.push(r);
            }
            Status::NotApplicable => results.push(base(
                "notApplicable",
                "none",
                format!(
                    "{} applies to trees with {}; this one has none",
                    o.id,
                    o.applies_when.join(", ")
                ),
            )),
            Status::Missing => {
                let mut r = base(
                    "fail",
                    sarif::level(o.severity),
                    format!(
                        "{} is missing: nothing in the tree establishes it. {}{}",
                        o.id,
                        sentence(o.remediation),
                        a.may_establish
                            .iter()
                            .map(|(path, m)| format!(" {}.", not_followed(path, m)))
                            .collect::<String>()
                    ),
                );
                r["locations"] = json!([location(&anchor.path, anchor.line, None)]);
                results.push(r);
            }
            Status::Partial => {
                let Some(org) = &c.organization else { continue };
                let lacking = a.lacking(org);
                let names: Vec<String> = lacking.iter().map(|&i| org.label(i)).collect();
                let why = lacking.first().map_or("", |&i| a.targets[i].why.as_str());
                let mut r = base(
                    "fail",
                    sarif::level(o.severity),
                    format!("{} is not in force at {}: {why}", o.id, names.join(", ")),
                );
                // At the guardrail that is attached elsewhere (or deployed elsewhere), with
                // the targets that lack it as related places.
                r["locations"] = match a.evidence.first() {
                    Some(e) => json!([location(&e.path, Some(e.start.line), Some(e.start.column))]),
                    None => json!([location(&anchor.path, anchor.line, None)]),
                };
                let related: Vec<Value> = lacking
                    .iter()
                    .filter_map(|&i| {
                        let (path, _, start) = org.targets[i].declared.as_ref()?;
                        let mut l = location(path, Some(start.line), Some(start.column));
                        l["message"] = json!({"text": org.label(i)});
                        Some(l)
                    })
                    .collect();
                if !related.is_empty() {
                    r["relatedLocations"] = json!(related);
                }
                results.push(r);
            }
            Status::Violated => {
                for e in &a.evidence {
                    let drift: Vec<String> = e
                        .drift
                        .iter()
                        .map(|d| format!("{}: {}", d.policy.unwrap_or("requirement"), d.message))
                        .collect();
                    let mut r = base(
                        "fail",
                        sarif::level(o.severity),
                        format!(
                            "{} is established by `{}` only with drift: {}",
                            o.id,
                            e.resource,
                            drift.join("; ")
                        ),
                    );
                    r["locations"] =
                        json!([location(&e.path, Some(e.start.line), Some(e.start.column))]);
                    results.push(r);
                }
            }
        }
    }
    results
}
