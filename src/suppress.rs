//! Suppressions: findings a team has reviewed and accepted.
//!
//! In CloudFormation they live next to what they excuse, in resource or template `Metadata`:
//!
//! ```yaml
//! Metadata:
//!   tripline:
//!     ignore: [LOG009]
//!     reason: access logs of this bucket go to the central log account
//! ```
//!
//! Terraform JSON has no metadata of its own, so its suppressions (and any others) are
//! `[[suppress]]` rules in `tripline.toml`. A suppression that suppresses nothing is reported
//! (SUPP001), so that stale ones do not pile up; one without a reason is reported (SUPP002) when
//! reasons are required.

use crate::config::SuppressRule;
use crate::model::Template;
use crate::parse::Node;
use crate::policy::{self, PolicyMeta, RawFinding};
use crate::source::Span;
use crate::walk::{GlobError, Globs};

/// The metadata key tripline reads.
pub const METADATA_KEY: &str = "tripline";

/// One `Metadata.tripline` block.
#[derive(Debug)]
pub struct Inline {
    /// The resource it sits on, or `None` at template level (applies to the whole file).
    pub resource: Option<String>,
    /// The patterns of `ignore`, with their spans.
    pub patterns: Vec<(String, Span)>,
    pub reason: Option<String>,
    /// The `tripline` key, for reporting the block itself.
    pub span: Span,
}

fn read_block(t: &Template<'_>, resource: Option<String>, metadata: &Node<'_>) -> Option<Inline> {
    let entry = metadata.entry(METADATA_KEY)?;
    let block = &entry.value;
    let mut patterns = Vec::new();
    if let Some(ignore) = block.get("ignore") {
        let nodes: Vec<&Node<'_>> = if ignore.is_seq() {
            t.items(ignore)
        } else {
            vec![ignore]
        };
        for n in nodes {
            for (s, span) in t.texts(n) {
                patterns.push((s.trim().to_string(), span));
            }
        }
    }
    let reason = block
        .get("reason")
        .and_then(|r| t.texts(r).into_iter().next())
        .map(|(s, _)| s.trim().to_string())
        .filter(|s| !s.is_empty());
    Some(Inline {
        resource,
        patterns,
        reason,
        span: entry.key_span,
    })
}

/// The inline suppressions of a template (CloudFormation only).
pub fn inline(t: &Template<'_>) -> Vec<Inline> {
    let mut out = Vec::new();
    if !t.is_cloudformation() {
        return out;
    }
    if let Some(m) = t.metadata
        && let Some(b) = read_block(t, None, m)
    {
        out.push(b);
    }
    for r in &t.resources {
        if let Some(m) = r.metadata
            && let Some(b) = read_block(t, Some(r.id.to_string()), m)
        {
            out.push(b);
        }
    }
    out
}

/// A `[[suppress]]` rule of the config, compiled.
#[derive(Debug)]
pub struct ConfigRule {
    pub paths: Globs,
    pub resources: Vec<String>,
    /// Patterns with their byte spans in the config file.
    pub patterns: Vec<(String, std::ops::Range<usize>)>,
    pub reason: Option<String>,
}

impl ConfigRule {
    pub fn compile(rule: &SuppressRule) -> Result<ConfigRule, GlobError> {
        Ok(ConfigRule {
            paths: Globs::new(&rule.paths)?,
            resources: rule.resources.clone(),
            patterns: rule
                .ignore
                .iter()
                .map(|s| (s.get_ref().clone(), s.span()))
                .collect(),
            reason: rule.reason.clone().filter(|r| !r.trim().is_empty()),
        })
    }

    /// Whether the rule applies to a file (path relative to the config directory) and
    /// resource.
    pub fn applies(&self, relative: &str, resource: Option<&str>) -> bool {
        (self.paths.is_empty() || self.paths.is_match(relative))
            && (self.resources.is_empty()
                || resource.is_some_and(|r| {
                    self.resources
                        .iter()
                        .any(|g| policy::iam::action_matches(g, r))
                }))
    }
}

/// Whether a pattern suppresses a finding of `policy`.
pub fn pattern_covers(pattern: &str, policy_id: &str) -> bool {
    policy::meta(policy_id).is_some_and(|m| policy::pattern_matches(pattern, m))
}

/// Whether a pattern could suppress anything among the enabled policies.
pub fn pattern_selects_any(pattern: &str, enabled: &dyn Fn(&PolicyMeta) -> bool) -> bool {
    policy::CATALOG
        .iter()
        .any(|m| enabled(m) && policy::pattern_matches(pattern, m))
}

/// Apply inline suppressions to the raw findings of a file: drop what they cover, and add
/// SUPP001 for patterns that covered nothing and SUPP002 for blocks without a reason (when
/// required). Returns how many findings were suppressed.
pub fn apply_inline(
    blocks: &[Inline],
    raws: &mut Vec<RawFinding>,
    enabled: &dyn Fn(&PolicyMeta) -> bool,
    require_reason: bool,
) -> usize {
    let mut used = vec![vec![false; 0]; blocks.len()];
    for (i, b) in blocks.iter().enumerate() {
        used[i] = vec![false; b.patterns.len()];
    }
    let before = raws.len();
    raws.retain(|raw| {
        // Engine diagnostics about the file itself (syntax) cannot be suppressed from inside
        // it; duplicate keys can.
        let mut keep = true;
        for (i, b) in blocks.iter().enumerate() {
            if b.resource.is_some() && b.resource.as_deref() != raw.resource.as_deref() {
                continue;
            }
            for (j, (p, _)) in b.patterns.iter().enumerate() {
                if pattern_covers(p, raw.policy) {
                    used[i][j] = true;
                    keep = false;
                }
            }
        }
        keep
    });
    let suppressed = before - raws.len();
    for (i, b) in blocks.iter().enumerate() {
        let what = match &b.resource {
            Some(r) => format!("on `{r}`"),
            None => "at template level".to_string(),
        };
        for (j, (p, span)) in b.patterns.iter().enumerate() {
            if !used[i][j] && pattern_selects_any(p, enabled) {
                raws.push(RawFinding {
                    policy: "SUPP001",
                    span: *span,
                    message: format!("suppression of `{p}` {what} suppresses nothing; remove it"),
                    resource: b.resource.clone(),
                });
            }
        }
        if require_reason && b.reason.is_none() {
            raws.push(RawFinding {
                policy: "SUPP002",
                span: b.span,
                message: format!("suppression {what} gives no `reason`"),
                resource: b.resource.clone(),
            });
        }
    }
    suppressed
}
