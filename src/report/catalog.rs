//! The policy catalog as `tripline rules` prints it: a table for people, JSON for tools (the
//! Markdown reference is [`crate::policy::reference_markdown`]).

use crate::policy::{self, Family, PolicyMeta};

/// The policies users select and ignore: built-in and custom, without the engine's own
/// diagnostics.
pub fn listed() -> Vec<&'static PolicyMeta> {
    policy::catalog()
        .into_iter()
        .filter(|m| m.family != Family::Engine)
        .collect()
}

/// Every policy and engine diagnostic as a JSON array (ID order, built-in first).
pub fn json() -> serde_json::Value {
    policy::catalog()
        .into_iter()
        .map(|m| {
            serde_json::json!({
                "id": m.id,
                "family": m.family.as_str(),
                "severity": m.severity,
                "title": m.title,
                "formats": m.formats,
                "resource_types": m.resource_types,
                "references": {
                    "fsbp": m.fsbp,
                    "cis": m.cis,
                    "control_tower": m.control_tower,
                },
            })
        })
        .collect()
}

/// The [`listed`] policies as an aligned table, with a count at the end.
pub fn table() -> String {
    let listed = listed();
    let width = listed.iter().map(|m| m.id.len()).max().unwrap_or(0).max(11) + 1;
    let mut text = format!(
        "{:<width$} {:<10} {:<9} TITLE\n",
        "ID", "FAMILY", "SEVERITY"
    );
    for m in &listed {
        text.push_str(&format!(
            "{:<width$} {:<10} {:<9} {}\n",
            m.id,
            m.family.as_str(),
            m.severity.as_str(),
            super::escape::line(m.title)
        ));
    }
    text.push_str(&format!("\n{} policies\n", listed.len()));
    text
}

/// What `tripline explain ID` prints: a Guard rule with its file, or a built-in policy's
/// rationale, fix, example, IAM notes and mappings. `None` for an unknown ID. Text from rule
/// files is escaped for the terminal.
pub fn explain(id: &str, guard: Option<&crate::guard::RuleSet>) -> Option<String> {
    if let Some((file, rule)) = guard.and_then(|g| g.rule(id)) {
        let m = rule.meta;
        let text = format!(
            "{} — {}\n\nfamily: {}   severity: {}   rule: {}:{}\n\n{}\n",
            m.id,
            m.title,
            m.family,
            m.severity,
            file.display,
            rule.line,
            file.text.trim_end()
        );
        // Line by line: a lone carriage return is escaped too (it would let a line overwrite
        // what came before it on a terminal).
        let escaped: Vec<String> = text
            .split('\n')
            .map(|l| super::escape::line(l).into_owned())
            .collect();
        return Some(escaped.join("\n"));
    }
    let m = policy::meta(id)?;
    let mut text = format!(
        "{} — {}\n\nfamily: {}   severity: {}   formats: {}\n",
        m.id,
        m.title,
        m.family,
        m.severity,
        m.formats.join(", ")
    );
    if !m.resource_types.is_empty() {
        text.push_str(&format!("resources: {}\n", m.resource_types.join(", ")));
    }
    text.push_str(&format!(
        "\nWhy it matters\n\n{}\n\nHow to fix it\n\n{}\n",
        m.rationale, m.remediation
    ));
    if !m.terraform_help.is_empty() {
        text.push_str(&format!("\nIn Terraform: {}\n", m.terraform_help));
    }
    if !m.example.is_empty() {
        text.push_str(&format!("\nExample\n\n{}\n", m.example));
    }
    text.push_str(&policy::iam::explain_notes(m.id));
    let refs: Vec<String> = m
        .mappings()
        .iter()
        .map(|(name, ids)| format!("  {name}: {}", ids.join(", ")))
        .collect();
    if !refs.is_empty() {
        text.push_str(&format!("\nReferences\n\n{}\n", refs.join("\n")));
    }
    let e = m.equivalents;
    let others: Vec<String> = [
        ("checkov", e.checkov),
        ("trivy, tfsec", e.trivy),
        ("KICS", e.kics),
    ]
    .iter()
    .filter(|(_, ids)| !ids.is_empty())
    .map(|(name, ids)| format!("  {name}: {}", ids.join(", ")))
    .collect();
    if !others.is_empty() {
        text.push_str(&format!(
            "\nEquivalent checks of other scanners (their skips count with honor_suppressions)\n\n{}\n",
            others.join("\n")
        ));
    }
    Some(text)
}
