//! One Guard rule file: its text, its rules and what tripline says about each.

use std::path::{Path, PathBuf};

use super::GuardError;
use crate::finding::Severity;
use crate::policy::{self, Family, PolicyMeta};

/// A rule file as loaded.
#[derive(Debug)]
pub struct RuleFile {
    /// Where the file is.
    pub path: PathBuf,
    /// The path as reported.
    pub display: String,
    /// Its text.
    pub text: String,
    /// Its top-level rules, in the order they appear.
    pub rules: Vec<GuardRule>,
}

/// One top-level (unparameterized) rule of a file.
#[derive(Debug)]
pub struct GuardRule {
    /// The rule's name in the file.
    pub name: String,
    /// 1-based line of `rule <name>` in the file.
    pub line: u32,
    /// The custom message of the rule's first `<< >>` block, whitespace-collapsed.
    pub message: Option<String>,
    /// The policy the rule is registered as.
    pub meta: &'static PolicyMeta,
}

/// The comment that sets a rule's severity, on a comment line above `rule <name>`:
/// `# tripline:severity high`.
const SEVERITY_COMMENT: &str = "tripline:severity";

/// A rule file's rules from its text, validated by Guard.
pub(super) fn read(path: &Path, display: &str, text: String) -> Result<RuleFile, GuardError> {
    let names = super::run_names(&text, display).map_err(|e| match e {
        NamesError::Syntax {
            line,
            column,
            message,
        } => GuardError::Syntax {
            path: path.to_path_buf(),
            line,
            column,
            message,
        },
        NamesError::Other(message) => GuardError::Invalid {
            path: path.to_path_buf(),
            message,
        },
    })?;
    if names.is_empty() {
        return Err(GuardError::Invalid {
            path: path.to_path_buf(),
            message: "no rules (a rule file needs at least one `rule <name> { ... }` that takes \
                      no parameters)"
                .to_string(),
        });
    }
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    // In the order the file defines them.
    let mut names: Vec<(usize, String)> = names
        .into_iter()
        .map(|n| (rule_line(&lines, &n), n))
        .collect();
    names.sort();
    let mut rules = Vec::new();
    for (line, name) in names {
        let comments = comments_above(&lines, line);
        let severity = match severity_comment(&comments) {
            Some(Ok(s)) => s,
            Some(Err(word)) => {
                return Err(GuardError::Syntax {
                    path: path.to_path_buf(),
                    line: line.saturating_sub(comments.len()) as u32 + 1,
                    column: 1,
                    message: format!(
                        "`{SEVERITY_COMMENT} {word}`: the severity is one of low, medium, high, \
                         critical"
                    ),
                });
            }
            None => Severity::Medium,
        };
        let message = custom_message(&lines, line);
        let title = message
            .as_deref()
            .map(title_from_message)
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| format!("Guard rule {name}"));
        let remediation = message
            .as_deref()
            .and_then(fix_from_message)
            .unwrap_or_else(|| {
                format!("Change the template so that rule `{name}` of {display} holds.")
            });
        let rationale = comments
            .iter()
            .filter(|c| !c.starts_with(SEVERITY_COMMENT))
            .copied()
            .collect::<Vec<_>>()
            .join("\n");
        let meta = policy::register_custom(PolicyMeta {
            id: leak(format!("GUARD/{stem}/{name}")),
            family: Family::Custom,
            severity,
            title: leak(title),
            formats: &[],
            resource_types: &[],
            rationale: leak(format!(
                "A Guard rule from {display} (line {}).{}{}",
                line + 1,
                if rationale.is_empty() { "" } else { "\n\n" },
                rationale
            )),
            remediation: leak(remediation),
            terraform_help: "",
            example: "",
            fsbp: &[],
            cis: &[],
            control_tower: &[],
            equivalents: policy::Equivalents::default(),
        });
        rules.push(GuardRule {
            name,
            line: line as u32 + 1,
            message,
            meta,
        });
    }
    Ok(RuleFile {
        path: path.to_path_buf(),
        display: display.to_string(),
        text,
        rules,
    })
}

/// Why a rule file's rules could not be listed.
#[derive(Debug)]
pub(super) enum NamesError {
    #[cfg_attr(not(feature = "guard"), allow(dead_code))]
    Syntax {
        line: u32,
        column: u32,
        message: String,
    },
    Other(String),
}

// Rule metadata lives as long as the process (rule files are read once, at start), as the
// built-in catalog does; leaking keeps one `&'static PolicyMeta` type for both.
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// The 0-based line of `rule <name>` (Guard has already accepted the file, so it is there).
pub(super) fn rule_line(lines: &[&str], name: &str) -> usize {
    lines
        .iter()
        .position(|l| {
            let l = l.trim_start();
            l.strip_prefix("rule").is_some_and(|rest| {
                rest.starts_with(char::is_whitespace) && {
                    let rest = rest.trim_start();
                    rest.strip_prefix(name).is_some_and(|after| {
                        !after.starts_with(|c: char| c.is_alphanumeric() || c == '_')
                    })
                }
            })
        })
        .unwrap_or(0)
}

/// The comment lines directly above line `line`, top to bottom, without their `#`.
fn comments_above<'a>(lines: &[&'a str], line: usize) -> Vec<&'a str> {
    let mut out = Vec::new();
    for l in lines[..line].iter().rev() {
        match l.trim_start().strip_prefix('#') {
            Some(c) => out.push(c.trim()),
            None => break,
        }
    }
    out.reverse();
    out
}

fn severity_comment(comments: &[&str]) -> Option<Result<Severity, String>> {
    let word = comments
        .iter()
        .find_map(|c| c.strip_prefix(SEVERITY_COMMENT))?
        .trim();
    Some(match word.to_ascii_lowercase().as_str() {
        "low" => Ok(Severity::Low),
        "medium" => Ok(Severity::Medium),
        "high" => Ok(Severity::High),
        "critical" => Ok(Severity::Critical),
        _ => Err(word.to_string()),
    })
}

/// The text of the first `<< >>` block after the rule's line and before the next rule.
fn custom_message(lines: &[&str], line: usize) -> Option<String> {
    let mut body = String::new();
    let mut inside = false;
    for (i, l) in lines.iter().enumerate().skip(line) {
        if i > line && !inside && l.trim_start().starts_with("rule ") {
            break;
        }
        let mut rest = *l;
        if !inside {
            let Some(at) = rest.find("<<") else { continue };
            rest = &rest[at + 2..];
            inside = true;
        }
        if let Some(end) = rest.find(">>") {
            body.push_str(&rest[..end]);
            let collapsed = collapse(&body);
            return (!collapsed.is_empty()).then_some(collapsed);
        }
        body.push_str(rest);
        body.push('\n');
    }
    None
}

/// Whitespace runs as one space, line by line kept apart by `\n`.
pub(super) fn collapse(text: &str) -> String {
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A title from a custom message: its first line, without the registry's `Violation:` prefix.
fn title_from_message(message: &str) -> String {
    let first = message.lines().next().unwrap_or("");
    strip_label(first, "Violation:").to_string()
}

/// The `Fix:` line of a custom message, as the rule registry writes them.
fn fix_from_message(message: &str) -> Option<String> {
    message
        .lines()
        .find(|l| is_fix_line(l))
        .map(|l| strip_label(l, "Fix:").to_string())
}

pub(super) fn is_fix_line(line: &str) -> bool {
    line.get(..4)
        .is_some_and(|h| h.eq_ignore_ascii_case("fix:"))
}

pub(super) fn strip_label<'a>(line: &'a str, label: &str) -> &'a str {
    match line.get(..label.len()) {
        Some(head) if head.eq_ignore_ascii_case(label) => line[label.len()..].trim(),
        _ => line.trim(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_rules_comments_and_messages() {
        let text = "# Trails\n# tripline:severity high\nrule trail_multi_region when %t !empty {\n  %t.X == true\n  <<\n    Violation: trails log all Regions\n    Fix: set X\n  >>\n}\nrule other {\n  Y exists\n}\n";
        let lines: Vec<&str> = text.lines().collect();
        let line = rule_line(&lines, "trail_multi_region");
        assert_eq!(line, 2);
        assert_eq!(rule_line(&lines, "other"), 9);
        let comments = comments_above(&lines, line);
        assert_eq!(comments, vec!["Trails", "tripline:severity high"]);
        assert_eq!(
            severity_comment(&comments).unwrap().unwrap(),
            Severity::High
        );
        let message = custom_message(&lines, line).unwrap();
        assert_eq!(message, "Violation: trails log all Regions\nFix: set X");
        assert_eq!(title_from_message(&message), "trails log all Regions");
        assert_eq!(fix_from_message(&message).as_deref(), Some("set X"));
        assert_eq!(custom_message(&lines, 9), None);
    }

    #[test]
    fn a_rule_name_is_matched_whole() {
        let lines = vec!["rule ab_c {", "rule ab {"];
        assert_eq!(rule_line(&lines, "ab"), 1);
    }
}
