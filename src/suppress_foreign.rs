//! Other scanners' inline skips, honoured when a config opts in (`honor_suppressions`): a team
//! that moves from checkov, tfsec, trivy or KICS keeps the findings it already accepted. Each
//! skip becomes a suppression of the tripline policies its check is equivalent to (the
//! `[references]` of `policies/<ID>.toml`), counted like any suppression. An unused one is not
//! reported (it may be about a check tripline does not share).
//!
//! | scanner | skip | scope |
//! |---|---|---|
//! | checkov | `# checkov:skip=CKV_AWS_18:reason` | the block (resource) the comment is in or above |
//! | checkov | `Metadata: {checkov: {skip: [{id: CKV_AWS_18, comment: reason}]}}` | the resource |
//! | tfsec | `# tfsec:ignore:aws-s3-enable-bucket-logging[:exp:2025-12-31]` | the next line's block, or that line |
//! | trivy | `# trivy:ignore:AVD-AWS-0089[:exp:2025-12-31]` | the next line's block, or that line |
//! | KICS | `# kics-scan ignore-line` / `ignore-block` / `disable=<query ids>` | the next line / block / file |
//!
//! An ignore whose expiry date (`:exp:`) has passed no longer applies, as in tfsec and trivy.

pub use crate::config::Scanner;
use crate::model::Template;
use crate::parse::Node;
use crate::policy::{self, PolicyMeta};
use crate::source::Span;
use crate::suppress::Inline;

impl Scanner {
    fn name(self) -> &'static str {
        match self {
            Scanner::Checkov => "checkov",
            Scanner::Tfsec => "tfsec",
            Scanner::Trivy => "trivy",
            Scanner::Kics => "kics",
        }
    }

    /// The IDs of this scanner that `meta` is equivalent to.
    fn ids(self, meta: &PolicyMeta) -> &'static [&'static str] {
        match self {
            Scanner::Checkov => meta.equivalents.checkov,
            // tfsec's ignores name trivy's IDs (trivy took tfsec's checks over).
            Scanner::Tfsec | Scanner::Trivy => meta.equivalents.trivy,
            Scanner::Kics => meta.equivalents.kics,
        }
    }
}

/// The tripline policies equivalent to `scanner`'s check `id` (case-insensitive).
fn equivalent(scanner: Scanner, id: &str) -> Vec<String> {
    policy::catalog()
        .into_iter()
        .filter(|m| scanner.ids(m).iter().any(|x| x.eq_ignore_ascii_case(id)))
        .map(|m| m.id.to_string())
        .collect()
}

/// Every built-in family: what a KICS skip without a query ID covers.
const ALL: &[&str] = &["region", "root", "logging", "detective"];

/// One skip found in a comment: the patterns it suppresses, why, where it is, and how far it
/// reaches.
struct Skip {
    patterns: Vec<String>,
    reason: Option<String>,
    span: Span,
    reach: Reach,
    scanner: Scanner,
}

enum Reach {
    /// The block the comment is inside, or the next one (checkov).
    Enclosing,
    /// The next line's block, else that line (tfsec, trivy, KICS ignore-line/block).
    Next,
    /// The whole file (KICS disable=).
    File,
}

/// The skips in the comments of `text` for `scanners`, as suppressions over `blocks` (each a
/// span and the resource it is, if one). `comment_start` finds where a line's comment starts
/// (outside strings), as for tripline's own comments.
pub(crate) fn comments(
    text: &str,
    blocks: &[(Span, Option<String>)],
    comment_start: fn(&str) -> Option<usize>,
    scanners: &[Scanner],
    today: (i32, u32, u32),
) -> Vec<Inline> {
    // Most files hold no skip at all: a substring search per mark is cheaper than their lines.
    let marks = [
        "checkov:skip=",
        "tfsec:ignore:",
        "trivy:ignore:",
        "kics-scan ",
    ];
    if scanners.is_empty()
        || !marks
            .iter()
            .any(|m| memchr::memmem::find(text.as_bytes(), m.as_bytes()).is_some())
    {
        return Vec::new();
    }
    let mut out = Vec::new();
    let lines = crate::suppress::lines_with_offsets(text);
    for (i, &(start, line)) in lines.iter().enumerate() {
        let Some(at) = comment_start(line) else {
            continue;
        };
        for skip in skips_in_line(line, at, start, scanners, today) {
            if let Some(inline) = place(skip, i, &lines, text, blocks, comment_start) {
                out.push(inline);
            }
        }
    }
    out
}

/// The skips of one line's comment, which starts at `comment_at` (`start`: the line's offset).
fn skips_in_line(
    line: &str,
    comment_at: usize,
    start: usize,
    scanners: &[Scanner],
    today: (i32, u32, u32),
) -> Vec<Skip> {
    let comment = &line[comment_at..];
    let span = Span::new(start + comment_at, start + line.trim_end().len());
    let mut out = Vec::new();
    for &scanner in scanners {
        match scanner {
            Scanner::Checkov => {
                for rest in after_all(comment, "checkov:skip=") {
                    let (id, reason) = match rest.split_once(':') {
                        Some((id, reason)) => (id, Some(reason.trim().to_string())),
                        None => (rest.split_whitespace().next().unwrap_or(""), None),
                    };
                    out.push(Skip {
                        patterns: equivalent(scanner, id.trim()),
                        reason: reason.filter(|r| !r.is_empty()),
                        span,
                        reach: Reach::Enclosing,
                        scanner,
                    });
                }
            }
            Scanner::Tfsec | Scanner::Trivy => {
                let mark = if scanner == Scanner::Tfsec {
                    "tfsec:ignore:"
                } else {
                    "trivy:ignore:"
                };
                for rest in after_all(comment, mark) {
                    let word = rest.split_whitespace().next().unwrap_or("");
                    let mut parts = word.split(':');
                    let id = parts.next().unwrap_or("");
                    let rest: Vec<&str> = parts.collect();
                    if expired(&rest, today) {
                        continue;
                    }
                    out.push(Skip {
                        patterns: equivalent(scanner, id),
                        reason: None,
                        span,
                        reach: Reach::Next,
                        scanner,
                    });
                }
            }
            Scanner::Kics => {
                for rest in after_all(comment, "kics-scan ") {
                    let word = rest.split_whitespace().next().unwrap_or("");
                    let all = || ALL.iter().map(|f| f.to_string()).collect();
                    let (patterns, reach) = match word {
                        "ignore-line" | "ignore-block" => (all(), Reach::Next),
                        "ignore" => (all(), Reach::File),
                        _ => match word.strip_prefix("disable=") {
                            Some(ids) => (
                                ids.split(',')
                                    .flat_map(|id| equivalent(scanner, id.trim()))
                                    .collect(),
                                Reach::File,
                            ),
                            None => continue,
                        },
                    };
                    out.push(Skip {
                        patterns,
                        reason: None,
                        span,
                        reach,
                        scanner,
                    });
                }
            }
        }
    }
    out.retain(|s| !s.patterns.is_empty());
    out
}

/// The text after each occurrence of `mark` in `comment`.
fn after_all<'c>(comment: &'c str, mark: &str) -> Vec<&'c str> {
    comment
        .match_indices(mark)
        .map(|(i, _)| &comment[i + mark.len()..])
        .collect()
}

/// Whether the `:exp:YYYY-MM-DD` of an ignore's suffixes is before `today`.
fn expired(suffixes: &[&str], today: (i32, u32, u32)) -> bool {
    let Some(i) = suffixes.iter().position(|s| *s == "exp") else {
        return false;
    };
    let Some(date) = suffixes.get(i + 1) else {
        return false;
    };
    let mut parts = date.splitn(3, '-').map(str::parse::<u32>);
    match (parts.next(), parts.next(), parts.next()) {
        (Some(Ok(y)), Some(Ok(m)), Some(Ok(d))) => (y as i32, m, d) < today,
        _ => false,
    }
}

/// A skip as a suppression over the blocks, or `None` when it reaches nothing.
fn place(
    skip: Skip,
    line: usize,
    lines: &[(usize, &str)],
    text: &str,
    blocks: &[(Span, Option<String>)],
    comment_start: fn(&str) -> Option<usize>,
) -> Option<Inline> {
    let inline = |resource: Option<String>, within: Option<Span>| Inline {
        resource,
        patterns: skip
            .patterns
            .iter()
            .map(|p| (p.clone(), skip.span))
            .collect(),
        reason: skip.reason.clone(),
        span: skip.span,
        within,
        foreign: Some(skip.scanner.name()),
    };
    let (start, here) = lines[line];
    match skip.reach {
        Reach::File => Some(inline(None, None)),
        Reach::Enclosing => {
            let at = start as u32;
            let enclosing = blocks
                .iter()
                .filter(|(s, _)| s.start <= at && at <= s.end)
                .min_by_key(|(s, _)| s.end - s.start)
                .or_else(|| blocks.iter().find(|(s, _)| s.start >= at));
            let (span, resource) = enclosing?;
            Some(match resource {
                Some(r) => inline(Some(r.clone()), None),
                None => inline(None, Some(*span)),
            })
        }
        Reach::Next => {
            // A trailing comment is about its own line; a comment line, about the next line
            // that is not a comment.
            let code_before = comment_start(here).is_some_and(|c| !here[..c].trim().is_empty());
            let target = if code_before {
                start
            } else {
                lines[line + 1..]
                    .iter()
                    .find(|(_, l)| {
                        !l.trim().is_empty()
                            && comment_start(l) != Some(l.len() - l.trim_start().len())
                    })
                    .map(|(s, _)| *s)?
            };
            let end = text[target..].find('\n').map_or(text.len(), |n| target + n);
            match blocks
                .iter()
                .find(|(s, _)| (s.start as usize) >= target && (s.start as usize) <= end)
            {
                Some((_, Some(r))) => Some(inline(Some(r.clone()), None)),
                Some((span, None)) => Some(inline(None, Some(*span))),
                None => Some(inline(None, Some(Span::new(target, end)))),
            }
        }
    }
}

/// checkov's skips in CloudFormation metadata: `Metadata: {checkov: {skip: [{id, comment}]}}` on
/// a resource.
pub(crate) fn metadata(t: &Template<'_>) -> Vec<Inline> {
    let mut out = Vec::new();
    for r in &t.resources {
        let Some(entry) = r.metadata().and_then(|m| m.entry("checkov")) else {
            continue;
        };
        let Some(skips) = entry.value.get("skip") else {
            continue;
        };
        for skip in skips.items() {
            let Some(id) = skip.get("id").and_then(Node::as_str) else {
                continue;
            };
            let patterns = equivalent(Scanner::Checkov, id);
            if patterns.is_empty() {
                continue;
            }
            out.push(Inline {
                resource: Some(r.id.to_string()),
                patterns: patterns.into_iter().map(|p| (p, skip.span)).collect(),
                reason: skip
                    .get("comment")
                    .and_then(Node::as_str)
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty()),
                span: entry.key_span,
                within: None,
                foreign: Some("checkov"),
            });
        }
    }
    out
}

/// Today's date (UTC) as (year, month, day), for ignores that expire.
pub(crate) fn today() -> (i32, u32, u32) {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400) as i64;
    civil_from_days(days)
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = (yoe + era * 400 + i64::from(m <= 2)) as i32;
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_expiry() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
        assert!(expired(&["exp", "2025-01-31"], (2026, 12, 7)));
        assert!(!expired(&["exp", "2027-01-31"], (2026, 12, 7)));
        assert!(!expired(&[], (2026, 12, 7)));
    }

    #[test]
    fn skips_map_to_equivalent_policies() {
        let today = (2026, 12, 7);
        let line = "  # checkov:skip=CKV_AWS_18:logs go to the central account\n";
        let skips = skips_in_line(line, 2, 0, &[Scanner::Checkov], today);
        assert_eq!(skips[0].patterns, ["LOG009"]);
        assert_eq!(
            skips[0].reason.as_deref(),
            Some("logs go to the central account")
        );
        let line =
            "#tfsec:ignore:aws-s3-enable-bucket-logging trivy:ignore:AVD-AWS-0089:exp:2020-01-01\n";
        let skips = skips_in_line(line, 0, 0, &[Scanner::Tfsec, Scanner::Trivy], today);
        assert_eq!(skips.len(), 1, "the expired trivy ignore no longer applies");
        assert_eq!(skips[0].patterns, ["LOG009"]);
        assert!(skips_in_line(line, 0, 0, &[Scanner::Checkov], today).is_empty());
    }
}
