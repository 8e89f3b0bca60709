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
pub fn explain(
    id: &str,
    guard: Option<&crate::guard::RuleSet>,
    format: ExplainFormat,
    width: usize,
) -> Option<String> {
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
    Some(render(&policy_doc(m), format, width))
}

/// How `explain` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExplainFormat {
    /// For a terminal: code blocks indented, paragraphs wrapped, no Markdown markup.
    Text,
    /// Markdown, as docs/policies.md has it.
    Markdown,
}

/// A policy's documentation: its title, facts, and sections whose bodies are Markdown.
struct Doc {
    title: String,
    facts: Vec<String>,
    sections: Vec<(&'static str, String)>,
}

fn policy_doc(m: &PolicyMeta) -> Doc {
    let mut facts = vec![format!(
        "family: {}   severity: {}   formats: {}",
        m.family,
        m.severity,
        m.formats.join(", ")
    )];
    if !m.resource_types.is_empty() {
        facts.push(format!("resources: {}", m.resource_types.join(", ")));
    }
    let mut fix = m.remediation.to_string();
    if !m.terraform_help.is_empty() {
        fix.push_str(&format!(
            "\n\nIn Terraform: {}",
            lowercase_first(m.terraform_help)
        ));
    }
    let mut sections = vec![
        ("Why it matters", m.rationale.to_string()),
        ("How to fix it", fix),
    ];
    if !m.example.is_empty() {
        sections.push(("Example", m.example.to_string()));
    }
    let notes = policy::iam::explain_notes(m.id);
    if !notes.trim().is_empty() {
        // Plain text with aligned columns: a preformatted block in Markdown.
        sections.push(("Notes", format!("```text\n{}\n```", notes.trim())));
    }
    let list = |items: Vec<(&str, &[&str])>| -> String {
        items
            .iter()
            .filter(|(_, ids)| !ids.is_empty())
            .map(|(name, ids)| format!("- {name}: {}", ids.join(", ")))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let refs = list(m.mappings());
    if !refs.is_empty() {
        sections.push(("References", refs));
    }
    let e = m.equivalents;
    let others = list(vec![
        ("checkov", e.checkov),
        ("trivy, tfsec", e.trivy),
        ("KICS", e.kics),
    ]);
    if !others.is_empty() {
        sections.push((
            "Equivalent checks of other scanners",
            format!("Their inline skips count with `honor_suppressions`.\n\n{others}"),
        ));
    }
    Doc {
        title: format!("{} — {}", m.id, m.title),
        facts,
        sections,
    }
}

/// `text` with its first letter in lower case (a sentence continuing after a colon).
pub(crate) fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn render(doc: &Doc, format: ExplainFormat, width: usize) -> String {
    match format {
        ExplainFormat::Markdown => {
            let mut out = format!("# {}\n\n", doc.title);
            for fact in &doc.facts {
                out.push_str(&format!("{fact}  \n"));
            }
            for (heading, body) in &doc.sections {
                out.push_str(&format!("\n## {heading}\n\n{}\n", body.trim()));
            }
            out
        }
        ExplainFormat::Text => {
            let mut out = format!("{}\n\n", doc.title);
            for fact in &doc.facts {
                for line in wrap(fact, width, "  ") {
                    out.push_str(&format!("{line}\n"));
                }
            }
            for (heading, body) in &doc.sections {
                out.push_str(&format!(
                    "\n{heading}\n\n{}\n",
                    for_terminal(body.trim(), width)
                ));
            }
            out
        }
    }
}

/// Markdown as a terminal shows it: fenced code indented by four spaces without its fences,
/// `**` markup dropped, paragraphs and list items wrapped at `width`.
fn for_terminal(markdown: &str, width: usize) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut in_code = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            out.push(format!("    {line}").trim_end().to_string());
            continue;
        }
        let line = line.replace("**", "");
        // A list item's continuation lines hang under its text.
        let indent = if line.starts_with("- ") || line.starts_with("* ") {
            "  "
        } else {
            ""
        };
        out.extend(wrap(&line, width, indent));
    }
    out.join("\n")
}

/// `line` wrapped at spaces to `width` columns, continuation lines starting with `indent`.
fn wrap(line: &str, width: usize, indent: &str) -> Vec<String> {
    if line.chars().count() <= width {
        return vec![line.to_string()];
    }
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in line.split(' ') {
        let at_start = current.is_empty() || current == indent;
        if !at_start && current.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::replace(&mut current, indent.to_string()));
        } else if !at_start {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.trim().is_empty() {
        lines.push(current);
    }
    lines
}
