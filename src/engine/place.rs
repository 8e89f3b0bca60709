//! The placement stage: what lands in the checked file (not in the other files of its unit),
//! with positions, excerpts, severities, fixes written in the file's syntax and fingerprints;
//! and the file's coverage evidence, positioned.

use std::sync::Arc;

use crate::file_report::Evidence;
use crate::finding::{Finding, HashInput, Severity, stable_hash, stable_hash_pair};
use crate::model::Format;
use crate::parse::is_hcl_name;
use crate::policy::coverage::RawEvidence;
use crate::policy::{self, RawFinding};
use crate::source::{Excerpt, LineIndex, Position, PositionCursor, Span};

use super::{Engine, Selection};

impl Engine {
    /// Findings about a file that is not checked as a template (the config), with positions,
    /// excerpts and fingerprints.
    pub(crate) fn findings_for(
        &self,
        display: &str,
        text: &str,
        raws: Vec<RawFinding>,
    ) -> Vec<Finding> {
        self.finish(&self.selection, display, text, raws)
    }

    /// Attach positions, excerpts, severities and fingerprints, sort, and number repeated
    /// fingerprints so that each stays unique.
    pub(super) fn finish(
        &self,
        selection: &Selection,
        display: &str,
        text: &str,
        raws: Vec<RawFinding>,
    ) -> Vec<Finding> {
        let mut findings = self.positioned(selection, display, text, raws);
        settle(&mut findings);
        findings
    }

    /// [`Engine::finish`] without the sorting and numbering, for findings that join others.
    pub(super) fn positioned(
        &self,
        selection: &Selection,
        display: &str,
        text: &str,
        raws: Vec<RawFinding>,
    ) -> Vec<Finding> {
        if raws.is_empty() {
            return Vec::new();
        }
        let index = LineIndex::new(text);
        let path: Arc<str> = Arc::from(display);
        let mut raws = raws;
        // In offset order, so that positions are computed incrementally.
        raws.sort_by_key(|r| (r.span.start, r.span.end));
        let mut starts = PositionCursor::new(&index);
        let mut ends = PositionCursor::new(&index);
        let named = self.named(display);
        // Collected at the count: a doubling vector of 272-byte findings would hold its old
        // and new buffers at once, tens of MiB for a template of many findings.
        let mut findings = Vec::with_capacity(raws.len());
        let found = raws
            .into_iter()
            .filter(|r| {
                // Engine diagnostics obey --select/--ignore too.
                policy::meta(r.policy).is_none_or(|m| selection.enables(m))
            })
            .map(|mut raw| {
                clamp_to_content(text, &mut raw);
                let start = starts.position(text, raw.span.start as usize);
                let end = ends.position(text, raw.span.end as usize);
                let known = Some((&index, start, end));
                self.finding_named(selection, &path, &named, text, known, raw)
            });
        findings.extend(found);
        findings
    }

    pub(super) fn finding(
        &self,
        selection: &Selection,
        display: &Arc<str>,
        text: &str,
        known: Option<(&LineIndex, Position, Position)>,
        raw: RawFinding,
    ) -> Finding {
        let named = self.named(display);
        self.finding_named(selection, display, &named, text, known, raw)
    }

    /// The path a fingerprint hashes: relative to the project root, so that it is the same
    /// from any directory (worked out once per file: its findings share it).
    pub(super) fn named<'d>(&self, display: &'d str) -> std::borrow::Cow<'d, str> {
        self.options
            .project_root
            .as_ref()
            .map_or(std::borrow::Cow::Borrowed(display), |r| r.relative(display))
    }

    /// [`Engine::finding`] with the path its fingerprint hashes (see [`Engine::named`]).
    pub(super) fn finding_named(
        &self,
        selection: &Selection,
        display: &Arc<str>,
        named: &str,
        text: &str,
        known: Option<(&LineIndex, Position, Position)>,
        mut raw: RawFinding,
    ) -> Finding {
        clamp_to_content(text, &mut raw);
        let owned;
        let (index, start, end) = match known {
            Some(k) => k,
            None => {
                owned = LineIndex::new(text);
                (
                    &owned,
                    owned.position(text, raw.span.start as usize),
                    owned.position(text, raw.span.end as usize),
                )
            }
        };
        let severity = selection
            .severity
            .get(raw.policy)
            .copied()
            .or_else(|| policy::meta(raw.policy).map(|m| m.severity))
            .unwrap_or(Severity::High);
        // The legacy fingerprint hashes the path as reported, as versions before did.
        let (fingerprint, legacy_fingerprint) = fingerprints(text, named, display, &raw);
        let fix = raw.fix.as_ref().and_then(|f| {
            let syntax = if is_hcl_name(display) {
                crate::fix::Syntax::Hcl
            } else if crate::parse::looks_like_json(text) {
                crate::fix::Syntax::Json
            } else {
                crate::fix::Syntax::Yaml
            };
            crate::fix::write(text, syntax, f)
        });
        // Related places of the same document, positioned in this file (those in another file
        // of a configuration were dropped when the findings were split by file).
        let related = raw
            .related
            .iter()
            .filter(|(span, _)| span.end as usize <= text.len())
            .map(|(span, message)| crate::finding::Related {
                path: display.clone(),
                span: *span,
                start: index.position(text, span.start as usize),
                end: index.position(text, span.end as usize),
                message: message.clone(),
            })
            .chain(raw.elsewhere.into_iter().map(|mut r| {
                r.path = sibling_display(display, &r.path);
                r
            }))
            .collect();
        Finding {
            policy: raw.policy,
            severity,
            path: display.clone(),
            span: raw.span,
            start,
            end,
            message: raw.message.to_string(),
            resource: raw.resource.map(String::from),
            excerpt: Excerpt::around_at(text, index, raw.span, Some(start)),
            fingerprint,
            legacy_fingerprint,
            fix: fix.map(Box::new),
            related,
        }
    }
}

/// The display path of `relative` (a path relative to the directory of the file displayed as
/// `display`: a sibling's name, a module's file), `..` resolved where the display path allows.
fn sibling_display(display: &str, relative: &str) -> Arc<str> {
    let mut parts: Vec<&str> = display.split('/').collect();
    parts.pop();
    for part in relative.split('/') {
        match part {
            "." | "" => {}
            ".." if parts.last().is_some_and(|p| *p != ".." && *p != ".") => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    Arc::from(parts.join("/"))
}

/// A finding's fingerprints. Both ignore positions, so that they survive edits elsewhere in
/// the file.
/// - The fingerprint hashes what identifies the problem: the policy, the file, the resource,
///   the property or statement as written (its line up to the end of the span: `IsLogging:
///   false`, a resource's name) and the property the message is about (`(X is …)`); never the
///   message's wording, so a better message keeps it.
/// - The legacy fingerprint is the one versions before hashed (the message included): baselines
///   they wrote match by it.
///
/// `named` is the path the fingerprint hashes, `display` the one the legacy fingerprint hashed.
fn fingerprints(text: &str, named: &str, display: &str, raw: &RawFinding) -> (String, String) {
    let mut input = HashInput::with_capacity(512);
    input.part("v2");
    input.part(raw.policy);
    input.part(named);
    input.part(raw.resource.as_deref().unwrap_or(""));
    input.words(written_at(text, raw.span));
    input.part(subject(&raw.message));
    let mut legacy = HashInput::with_capacity(512);
    legacy.part(raw.policy);
    legacy.part(display);
    legacy.part(raw.resource.as_deref().unwrap_or(""));
    legacy.words(span_text(text, raw.span));
    legacy.part(&raw.message);
    let (fingerprint, legacy) = stable_hash_pair(&input, &legacy);
    (format!("{fingerprint:016x}"), format!("{legacy:016x}"))
}

/// The text a finding points at with what leads to it on its line (the property's key): at
/// most the last 160 bytes, so a minified JSON line does not hash everything before it.
fn written_at(text: &str, span: Span) -> &str {
    let end = crate::source::floor_char_boundary(text, span.end as usize);
    let start = crate::source::floor_char_boundary(text, span.start as usize).min(end);
    // The line's start is looked for within those 160 bytes only: before them it makes no
    // difference, and a search back to it from each finding of a minified JSON template (one
    // line) read the file once per finding.
    let window = crate::source::floor_char_boundary(text, end.saturating_sub(160)).min(start);
    let line_start = text[window..start]
        .rfind('\n')
        .map_or(window, |i| window + i + 1);
    let from = crate::source::floor_char_boundary(text, line_start.max(end.saturating_sub(160)));
    &text[from.min(start)..end]
}

/// The property a message is about, from its closing `(X is …)` (`IsMultiRegionTrail` of
/// `… (IsMultiRegionTrail is false)`), else nothing: two findings of one policy on one
/// resource's name differ by it.
fn subject(message: &str) -> &str {
    let Some(open) = message.rfind('(') else {
        return "";
    };
    let clause = &message[open + 1..];
    match clause.find(" is ") {
        Some(at) if !clause[..at].contains(' ') => &clause[..at],
        _ => "",
    }
}

/// Sort findings, drop exact repeats, and number repeated fingerprints so that each stays
/// unique.
pub(super) fn settle(findings: &mut Vec<Finding>) {
    findings.sort_by(in_order);
    findings.dedup_by(|a, b| in_order(a, b).is_eq() && a.span == b.span);
    number_repeats(findings, |f| &mut f.fingerprint);
    number_repeats(findings, |f| &mut f.legacy_fingerprint);
}

/// Give identical fingerprints (`field` of each finding) in one file `:1`, `:2`... in the
/// findings' order. Found by sorting the fingerprints' own hash values with the findings'
/// indexes, without copying the strings: a hash table of a file's fingerprints cost a cache
/// miss per finding.
fn number_repeats(findings: &mut [Finding], field: fn(&mut Finding) -> &mut String) {
    let mut keys: Vec<(u64, u32)> = findings
        .iter_mut()
        .enumerate()
        .map(|(i, f)| {
            let fingerprint = field(f);
            let key = u64::from_str_radix(fingerprint, 16)
                .unwrap_or_else(|_| stable_hash(&[fingerprint.as_str()]));
            (key, i as u32)
        })
        .collect();
    // By value, then by index: the repeats of a value in the findings' order.
    keys.sort_unstable();
    for repeats in keys.chunk_by(|a, b| a.0 == b.0) {
        for (n, &(_, i)) in repeats.iter().enumerate().skip(1) {
            let fingerprint = field(&mut findings[i as usize]);
            *fingerprint = format!("{fingerprint}:{n}");
        }
    }
}

/// [`Finding::sort_key`]'s order, without comparing the path when two findings share it (a
/// file's findings do: comparing it byte by byte was most of a sort of many findings).
fn in_order(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    let path = if Arc::ptr_eq(&a.path, &b.path) {
        std::cmp::Ordering::Equal
    } else {
        a.path.cmp(&b.path)
    };
    path.then_with(|| (a.start, a.policy, &a.message).cmp(&(b.start, b.policy, &b.message)))
}

pub(super) fn clamp_to_content(text: &str, raw: &mut RawFinding) {
    let content_end = text.trim_end().len();
    if raw.span.is_empty() && raw.span.start as usize > content_end {
        raw.span = Span::empty(content_end);
    }
}

/// The text under a span with whitespace runs collapsed, bounded in length.
/// The text of a span, at most its first 256 bytes (what fingerprints hash, whitespace
/// normalized).
pub(in crate::engine) fn span_text(text: &str, span: Span) -> &str {
    let start = crate::source::floor_char_boundary(text, span.start as usize);
    let end = crate::source::floor_char_boundary(text, (span.end as usize).min(start + 256));
    &text[start..end.max(start)]
}

/// Position the evidence found in a file's text.
pub(super) fn positioned_evidence(text: &str, raws: Vec<RawEvidence>) -> Vec<Evidence> {
    if raws.is_empty() {
        return Vec::new();
    }
    let index = LineIndex::new(text);
    // Positions are found in offset order with one cursor: from each line's start, they were
    // quadratic on a long line (a minified JSON template of 10,000 trails took 3 s here).
    let mut offsets: Vec<usize> = raws
        .iter()
        .flat_map(|r| std::iter::once(r.span).chain(r.unmet.iter().map(|(s, _)| *s)))
        .map(|s| (s.start as usize).min(text.len()))
        .collect();
    offsets.sort_unstable();
    offsets.dedup();
    let mut cursor = PositionCursor::new(&index);
    let positions: Vec<Position> = offsets.iter().map(|&o| cursor.position(text, o)).collect();
    let at = |span: Span| {
        let offset = (span.start as usize).min(text.len());
        match offsets.binary_search(&offset) {
            Ok(i) => positions[i],
            Err(_) => index.position(text, offset),
        }
    };
    let mut out: Vec<Evidence> = raws
        .into_iter()
        .map(|r| Evidence {
            objective: r.objective,
            kind: r.kind,
            start: at(r.span),
            unmet: r.unmet.into_iter().map(|(s, m)| (at(s), m)).collect(),
            resource: r.resource,
            rtype: r.rtype,
            describe: r.describe,
            org: r.org,
        })
        .collect();
    out.sort_by(|a, b| {
        (a.start.line, a.start.column, a.objective).cmp(&(
            b.start.line,
            b.start.column,
            b.objective,
        ))
    });
    out
}

/// Keep what lands in the file itself, whose text ends at `own_end` in its unit's text: what
/// lands in the other files of its configuration is theirs to report. A fix must lie in the
/// file, and plans and states are written by Terraform, not by people: nothing to fix there.
/// Returns the evidence that lands in the file.
pub(super) fn keep_own(
    format: Format,
    own_end: u32,
    raws: &mut Vec<RawFinding>,
    evidence: Vec<RawEvidence>,
) -> Vec<RawEvidence> {
    raws.retain(|raw| raw.span.start <= own_end);
    let authored = !matches!(format, Format::TerraformPlan | Format::TerraformState);
    for raw in raws.iter_mut() {
        if !authored || raw.fix.as_ref().is_some_and(|f| f.span().end > own_end) {
            raw.fix = None;
        }
    }
    evidence
        .into_iter()
        .filter_map(|e| e.moved_back(0, own_end))
        .collect()
}

#[cfg(test)]
mod fingerprint_tests {
    use super::fingerprints;
    use crate::policy::RawFinding;
    use crate::source::Span;

    fn raw(message: &str, at: &str, text: &str) -> RawFinding {
        let start = text.find(at).unwrap();
        RawFinding {
            policy: "LOG001",
            span: Span::new(start, start + at.len()),
            message: message.into(),
            resource: Some("Trail".into()),
            fix: None,
            related: Default::default(),
            elsewhere: Default::default(),
        }
    }

    #[test]
    fn a_better_message_keeps_the_fingerprint_and_moved_lines_do_too() {
        let text = "Resources:\n  Trail:\n    Properties:\n      IsLogging: false\n";
        let moved =
            "# a comment\n\nResources:\n  Trail:\n    Properties:\n      IsLogging: false\n";
        let old = raw(
            "trail `Trail` is not logging (IsLogging is false)",
            "false",
            text,
        );
        let reworded = raw(
            "trail `Trail` records nothing while logging is off (IsLogging is false)",
            "false",
            text,
        );
        let (v2, v1) = fingerprints(text, "a.yaml", "a.yaml", &old);
        let (v2_reworded, v1_reworded) = fingerprints(text, "a.yaml", "a.yaml", &reworded);
        assert_eq!(v2, v2_reworded);
        // The legacy scheme hashed the message: what baselines it wrote match by.
        assert_ne!(v1, v1_reworded);
        let (v2_moved, _) = fingerprints(
            moved,
            "a.yaml",
            "a.yaml",
            &raw(&old.message, "false", moved),
        );
        assert_eq!(v2, v2_moved);
        // Two findings of one policy on one resource's name differ by their property.
        let name = |m: &str| fingerprints(text, "a.yaml", "a.yaml", &raw(m, "Trail", text)).0;
        assert_ne!(
            name("trail `Trail` does not validate (EnableLogFileValidation is not set)"),
            name("trail `Trail` is single-Region (IsMultiRegionTrail is not set)")
        );
    }
}

#[cfg(test)]
mod written_at_tests {
    use super::written_at;
    use crate::source::{Span, floor_char_boundary};

    /// What `written_at` is defined as: from the start of the span's line, at most the 160
    /// bytes before the span's end.
    fn by_definition(text: &str, span: Span) -> &str {
        let end = floor_char_boundary(text, span.end as usize);
        let start = floor_char_boundary(text, span.start as usize).min(end);
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let from = floor_char_boundary(text, line_start.max(end.saturating_sub(160)));
        &text[from.min(start)..end]
    }

    /// Looking for the line's start only within the last 160 bytes gives the same text on
    /// short lines, long (minified) ones, spans longer than 160 bytes, and multibyte text.
    #[test]
    fn the_window_changes_nothing() {
        let long = format!(
            "{{\"a\":\"{}\",\"é\":\"{}\"}}",
            "x".repeat(300),
            "ü".repeat(200)
        );
        let text = format!("first: 1\n  key: value\n{long}\n\nlast: é\n");
        for start in 0..=text.len() {
            for len in [0, 1, 3, 40, 159, 160, 161, 400] {
                let span = Span::new(start, (start + len).min(text.len()));
                assert_eq!(
                    written_at(&text, span),
                    by_definition(&text, span),
                    "{span:?}"
                );
            }
        }
    }
}

#[cfg(test)]
mod settle_tests {
    use std::sync::Arc;

    use super::settle;
    use crate::finding::{Finding, Severity};
    use crate::source::{Excerpt, Position, Span};

    fn finding(path: &Arc<str>, line: u32, fingerprint: &str, legacy: &str) -> Finding {
        let at = Position { line, column: 1 };
        Finding {
            policy: "LOG001",
            severity: Severity::Low,
            path: path.clone(),
            span: Span::new(line as usize, line as usize + 1),
            start: at,
            end: at,
            message: format!("finding {line}"),
            resource: None,
            excerpt: Excerpt::default(),
            fingerprint: fingerprint.to_string(),
            legacy_fingerprint: legacy.to_string(),
            fix: None,
            related: Vec::new(),
        }
    }

    /// Repeated fingerprints are numbered in the findings' order (whatever order they came
    /// in), each kind of fingerprint on its own; a fingerprint that is not a hash value (an
    /// already numbered one) is numbered too.
    #[test]
    fn repeated_fingerprints_are_numbered_in_order() {
        let path: Arc<str> = Arc::from("a.yaml");
        let written = [
            (5, "00000000000000aa", "00000000000000b1"),
            (1, "00000000000000aa", "00000000000000b0"),
            (3, "00000000000000cc", "00000000000000b1"),
            (2, "00000000000000aa", "00000000000000b0"),
            (4, "00000000000000cc", "00000000000000b2"),
            (6, "dd:1", "00000000000000b0"),
            (7, "dd:1", "00000000000000b3"),
        ];
        let mut findings: Vec<Finding> = written
            .iter()
            .map(|&(line, f, l)| finding(&path, line, f, l))
            .collect();
        settle(&mut findings);
        let got: Vec<(u32, &str, &str)> = findings
            .iter()
            .map(|f| {
                (
                    f.start.line,
                    f.fingerprint.as_str(),
                    f.legacy_fingerprint.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (1, "00000000000000aa", "00000000000000b0"),
                (2, "00000000000000aa:1", "00000000000000b0:1"),
                (3, "00000000000000cc", "00000000000000b1"),
                (4, "00000000000000cc:1", "00000000000000b2"),
                (5, "00000000000000aa:2", "00000000000000b1:1"),
                (6, "dd:1", "00000000000000b0:2"),
                (7, "dd:1:1", "00000000000000b3"),
            ]
        );
    }
}
