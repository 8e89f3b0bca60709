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
pub(crate) const METADATA_KEY: &str = "tripline";

/// One `Metadata.tripline` block.
#[derive(Debug)]
pub(crate) struct Inline {
    /// The resource it sits on, or `None` at template level (applies to the whole file).
    pub resource: Option<String>,
    /// The patterns of `ignore`, with their spans.
    pub patterns: Vec<(String, Span)>,
    pub reason: Option<String>,
    /// The `tripline` key, for reporting the block itself.
    pub span: Span,
    /// Limits the block to findings inside this span (a comment above a Terraform block that
    /// is not a resource).
    pub within: Option<Span>,
    /// Another scanner's skip (`checkov`, `tfsec`, ...), honoured by the config: never called
    /// stale, since it may be about a check tripline does not share.
    pub foreign: Option<&'static str>,
}

impl Inline {
    /// Whether the block reaches a finding about `resource` starting at `at`.
    fn reaches(&self, resource: Option<&str>, at: u32) -> bool {
        (self.resource.is_none() || self.resource.as_deref() == resource)
            && self.within.is_none_or(|w| at >= w.start && at <= w.end)
    }
}

/// Whether one of `blocks` suppresses a `policy` finding about `resource` at `at`: for
/// findings checked elsewhere (a plan's, moved to the `.tf` file holding these comments),
/// which leave the blocks' use to that file's own check.
pub(crate) fn covers(blocks: &[Inline], policy: &str, resource: Option<&str>, at: u32) -> bool {
    blocks.iter().any(|b| {
        b.reaches(resource, at) && b.patterns.iter().any(|(p, _)| pattern_covers(p, policy))
    })
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
        .filter(|s| is_reason(s));
    Some(Inline {
        resource,
        patterns,
        reason,
        span: entry.key_span,
        within: None,
        foreign: None,
    })
}

/// The placeholder the editor's suppression action writes: a suppression is not explained until
/// it is replaced (`require_suppression_reason` reports it as SUPP002 meanwhile).
pub(crate) const REASON_PLACEHOLDER: &str = "<reason>";

/// Whether a suppression's reason text gives one (not empty, not the placeholder).
fn is_reason(text: &str) -> bool {
    !text.is_empty() && text != REASON_PLACEHOLDER
}

/// The comment that marks a suppression in Terraform native syntax.
pub(crate) const COMMENT_MARK: &str = "tripline:ignore";

/// Comment suppressions of a `.tf` file (HCL has comments, so they sit where YAML would put
/// `Metadata`):
///
/// ```hcl
/// # tripline:ignore LOG009 access logs go to the central log account
/// resource "aws_s3_bucket" "logs" { ... }
/// ```
///
/// On the line of a block's header or on the comment lines right above it, the comment covers
/// that block: a resource's findings, or for other blocks (`data`, `provider`, ...) the
/// findings inside it. `# tripline:ignore-file ...` covers the whole file. After the policy
/// patterns (separated by spaces or commas) comes the reason.
pub fn comments(text: &str, root: &Node<'_>) -> Vec<Inline> {
    if !holds_mark(text) {
        return Vec::new();
    }
    comments_over(text, &hcl_blocks(root), hcl_comment_start, false)
}

/// Comment suppressions of a CloudFormation YAML template, with the HCL comments' syntax:
///
/// ```yaml
/// Resources:
///   # tripline:ignore LOG009 access logs go to the central log account
///   Logs:
///     Type: AWS::S3::Bucket
///     Properties:
///       AccessControl: LogDeliveryWrite  # tripline:ignore LOG006 legacy ACL, moving in Q3
/// ```
///
/// On a resource's logical-ID line (or the comment lines right above it) the comment covers
/// the resource's findings; on any other line (or above it), the findings that start on that
/// line; `# tripline:ignore-file ...` the whole file.
pub fn yaml_comments(text: &str, root: &Node<'_>) -> Vec<Inline> {
    if !holds_mark(text) {
        return Vec::new();
    }
    comments_over(text, &yaml_blocks(root), yaml_comment_start, true)
}

/// Whether `text` may hold a suppression comment. Every YAML template and `.tf` file is asked:
/// most have none, and one substring search is cheaper than splitting the file into lines or
/// listing its blocks (a string per resource).
fn holds_mark(text: &str) -> bool {
    memchr::memmem::find(text.as_bytes(), COMMENT_MARK.as_bytes()).is_some()
}

/// The resources of a CloudFormation template as blocks: from the logical ID to the end of the
/// definition, in order.
pub(crate) fn yaml_blocks(root: &Node<'_>) -> Vec<(Span, Option<String>)> {
    let mut blocks: Vec<(Span, Option<String>)> = root
        .get("Resources")
        .map(|resources| {
            resources
                .entries()
                .iter()
                .map(|e| {
                    (
                        Span::new(e.key_span.start as usize, e.value.span.end as usize),
                        Some(e.key.to_string()),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    blocks.sort_by_key(|(s, _)| s.start);
    blocks
}

/// The comment suppressions of `text`, for `blocks` (each a span and the resource it is, if
/// one). `line_scope`: a comment whose line holds no block covers the findings starting on that
/// line (YAML); otherwise it covers nothing (HCL blocks are the only units).
fn comments_over(
    text: &str,
    blocks: &[(Span, Option<String>)],
    comment_start: fn(&str) -> Option<usize>,
    line_scope: bool,
) -> Vec<Inline> {
    let mut out = Vec::new();
    let lines = lines_with_offsets(text);
    for (i, &(start, line)) in lines.iter().enumerate() {
        let Some(at) = comment_start(line) else {
            continue;
        };
        let comment = &line[at..];
        let Some(mark) = comment.find(COMMENT_MARK) else {
            continue;
        };
        let rest = &comment[mark + COMMENT_MARK.len()..];
        let (file_level, rest) = match rest.strip_prefix("-file") {
            Some(r) => (true, r),
            None => (false, rest),
        };
        if !rest.is_empty() && !rest.starts_with([' ', '\t', ':']) {
            continue;
        }
        let rest = rest.trim_start_matches(':');
        // `rest` is a slice of `text`: its offset is where its patterns' spans start.
        let base = rest.as_ptr() as usize - text.as_ptr() as usize;
        let (patterns, reason) = comment_patterns(rest, base);
        if patterns.is_empty() {
            continue;
        }
        let span = Span::new(start + at, start + line.trim_end().len());
        if file_level {
            out.push(Inline {
                resource: None,
                patterns,
                reason,
                span,
                within: None,
                foreign: None,
            });
            continue;
        }
        // The block on this line (a trailing comment) or after the comment lines below it.
        let code_before = !line[..at].trim().is_empty();
        let target = if code_before {
            Some(start)
        } else {
            lines[i + 1..]
                .iter()
                .find(|(_, l)| {
                    !l.trim().is_empty() && comment_start(l) != Some(l.len() - l.trim_start().len())
                })
                .map(|(s, _)| *s)
        };
        let Some(target) = target else {
            continue;
        };
        let line_end = text[target..].find('\n').map_or(text.len(), |n| target + n);
        let line_block = (Span::new(target, line_end), None);
        let Some((block_span, resource)) = blocks
            .iter()
            .find(|(s, _)| (s.start as usize) >= target && (s.start as usize) <= line_end)
            .or(line_scope.then_some(&line_block))
        else {
            continue;
        };
        out.push(Inline {
            resource: resource.clone(),
            within: if resource.is_some() {
                None
            } else {
                Some(*block_span)
            },
            patterns,
            reason,
            span,
            foreign: None,
        });
    }
    out
}

/// The lines of `text` (line breaks included) with the offset each starts at.
pub(crate) fn lines_with_offsets(text: &str) -> Vec<(usize, &str)> {
    let mut offset = 0usize;
    text.split_inclusive('\n')
        .map(|l| {
            let at = offset;
            offset += l.len();
            (at, l)
        })
        .collect()
}

/// Where a YAML comment starts on a line: a `#` at the start or after a space or tab, outside
/// quoted scalars (`a#b` and `"#"` are not comments).
pub(crate) fn yaml_comment_start(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(b'"') if b == b'\\' => i += 1,
            Some(q) if b == q => {
                // `''` inside a single-quoted scalar is an escaped quote.
                if q == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                    i += 1;
                } else {
                    quote = None;
                }
            }
            Some(_) => {}
            None => match b {
                b'"' | b'\''
                    if i == 0
                        || matches!(
                            bytes[i - 1],
                            b' ' | b'\t' | b':' | b'-' | b'[' | b'{' | b','
                        ) =>
                {
                    quote = Some(b)
                }
                b'#' if i == 0 || matches!(bytes[i - 1], b' ' | b'\t') => return Some(i),
                _ => {}
            },
        }
        i += 1;
    }
    None
}

/// Where a `#` or `//` comment starts on a line of HCL, outside strings.
pub(crate) fn hcl_comment_start(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut in_string = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if in_string => i += 1,
            b'"' => in_string = !in_string,
            b'#' if !in_string => return Some(i),
            b'/' if !in_string && bytes.get(i + 1) == Some(&b'/') => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Policy patterns (`LOG009`, `LOG*`, `ROOT001,ROOT002`) at the start of `text`, with their
/// spans (`base` is `text`'s offset), and the reason after them.
fn comment_patterns(text: &str, base: usize) -> (Vec<(String, Span)>, Option<String>) {
    let mut patterns = Vec::new();
    let mut pos = 0;
    loop {
        let rest = &text[pos..];
        let skip = rest.len() - rest.trim_start_matches([' ', '\t', ',']).len();
        let rest = &rest[skip..];
        let word_len = rest
            .find(|c: char| c.is_whitespace() || c == ',' || c == ':')
            .unwrap_or(rest.len());
        let word = &rest[..word_len];
        let looks_like_pattern = !word.is_empty()
            && word.starts_with(|c: char| c.is_ascii_uppercase())
            && word.chars().all(|c| {
                c.is_ascii_uppercase()
                    || c.is_ascii_digit()
                    || c == '*'
                    || c == '/'
                    || c == '-'
                    || c == '_'
            })
            && (word.chars().any(|c| c.is_ascii_digit()) || word.ends_with('*'));
        if !looks_like_pattern {
            let reason = rest
                .trim()
                .trim_start_matches(['-', ':'])
                .trim()
                .to_string();
            return (patterns, Some(reason).filter(|r| is_reason(r)));
        }
        let at = base + pos + skip;
        patterns.push((word.to_string(), Span::new(at, at + word.len())));
        pos += skip + word_len;
    }
}

/// The top-level blocks of a Terraform document (JSON-syntax shape): spans, and the resource
/// address for `resource` blocks.
pub(crate) fn hcl_blocks(root: &Node<'_>) -> Vec<(Span, Option<String>)> {
    let mut out = Vec::new();
    let objects = |n: &Node<'_>| -> Vec<Span> {
        crate::model::block_objects(n)
            .iter()
            .map(|o| o.span)
            .collect()
    };
    for e in root.entries() {
        match e.key.as_ref() {
            "resource" | "data" | "ephemeral" => {
                for by_type in e.value.entries() {
                    for named in by_type.value.entries() {
                        let id =
                            (e.key == "resource").then(|| format!("{}.{}", by_type.key, named.key));
                        out.push((named.value.span, id));
                    }
                }
            }
            "module" | "variable" | "output" | "check" => {
                for named in e.value.entries() {
                    out.push((named.value.span, None));
                }
            }
            "provider" => {
                for named in e.value.entries() {
                    out.extend(objects(&named.value).into_iter().map(|s| (s, None)));
                }
            }
            _ => out.extend(objects(&e.value).into_iter().map(|s| (s, None))),
        }
    }
    out.sort_by_key(|(s, _)| s.start);
    out
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
        if let Some(m) = r.metadata()
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
    pub(crate) fn compile(rule: &SuppressRule) -> Result<ConfigRule, GlobError> {
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
                        .any(|g| crate::wildcard::matches(g.as_bytes(), r.as_bytes(), false))
                }))
    }
}

/// Whether a pattern suppresses a finding of `policy`.
pub(crate) fn pattern_covers(pattern: &str, policy_id: &str) -> bool {
    policy::meta(policy_id).is_some_and(|m| policy::pattern_matches(pattern, m))
}

/// Whether a pattern could suppress anything among the enabled policies.
pub(crate) fn pattern_selects_any(pattern: &str, enabled: &dyn Fn(&PolicyMeta) -> bool) -> bool {
    policy::catalog()
        .into_iter()
        .any(|m| enabled(m) && policy::pattern_matches(pattern, m))
}

/// Apply inline suppressions to the raw findings of a file: drop what they cover, and add
/// SUPP001 for patterns that covered nothing and SUPP002 for blocks without a reason (when
/// required). Returns how many findings were suppressed.
pub(crate) fn apply_inline(
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
            if !b.reaches(raw.resource.as_deref(), raw.span.start) {
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
            if !used[i][j] && b.foreign.is_none() && pattern_selects_any(p, enabled) {
                raws.push(RawFinding {
                    elsewhere: Default::default(),
                    policy: "SUPP001",
                    span: *span,
                    message: format!("suppression of `{p}` {what} suppresses nothing; remove it")
                        .into(),
                    resource: b.resource.as_deref().map(Box::from),
                    fix: None,
                    related: Default::default(),
                });
            }
        }
        if require_reason && b.reason.is_none() {
            raws.push(RawFinding {
                elsewhere: Default::default(),
                policy: "SUPP002",
                span: b.span,
                message: format!("suppression {what} gives no `reason`").into(),
                resource: b.resource.as_deref().map(Box::from),
                fix: None,
                related: Default::default(),
            });
        }
    }
    suppressed
}
