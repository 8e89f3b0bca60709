//! Fixes: a policy says what to change in terms of the tree ([`crate::policy::Fix`]); this
//! writes it in the file's own syntax as byte-span edits that leave everything else (comments,
//! formatting, key order) as it was, applies them (`check --fix`), and shows them as a unified
//! diff (`check --diff`).

use crate::finding::{Edit, TextFix};
use crate::policy::Fix;
use crate::source::Span;

/// The syntax a fix is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Syntax {
    Yaml,
    Json,
    Hcl,
}

/// `fix` as edits of `text`, or `None` when it cannot be written safely there (the value is
/// not a literal `false`, the mapping is written on one line, ...).
pub(crate) fn write(text: &str, syntax: Syntax, fix: &Fix) -> Option<TextFix> {
    let edit = match fix {
        Fix::Set { span, literal, .. } => {
            let old = text.get(span.start as usize..span.end as usize)?;
            let bare = old.trim_matches(|c| c == '"' || c == '\'');
            if !bare.eq_ignore_ascii_case("false") {
                return None;
            }
            Edit {
                span: *span,
                text: literal.to_string(),
            }
        }
        Fix::Add {
            first_key,
            key,
            literal,
        } => {
            let at = first_key.start as usize;
            // `{a: 1}` on one line: leave it to a person.
            let indent = indent_before(text, at)?;
            let line_start = at - indent.len();
            // A YAML flow mapping over several lines (`{` or `,` before the key's line): an
            // entry written block-style would break it.
            if syntax == Syntax::Yaml && text[..line_start].trim_end().ends_with(['{', ',', '[']) {
                return None;
            }
            // The file's own line break (CRLF files stay CRLF).
            let newline = if text[..line_start].ends_with("\r\n") {
                "\r\n"
            } else {
                "\n"
            };
            if syntax == Syntax::Hcl {
                return Some(TextFix {
                    title: fix.title(),
                    edits: hcl_add(text, at, indent, newline, key, literal),
                });
            }
            let entry = match syntax {
                Syntax::Yaml => format!("{key}: {literal}"),
                _ => format!("\"{key}\": {literal},"),
            };
            Edit {
                span: Span::empty(at),
                text: format!("{entry}{newline}{indent}"),
            }
        }
    };
    Some(TextFix {
        title: fix.title(),
        edits: vec![edit],
    })
}

/// The edits that add `key = literal` before the attribute at `at` as `terraform fmt` would
/// write it: when the attribute lines it joins have their `=` aligned (one space after the
/// longest name), the new line is aligned with them, and they are realigned when its name is
/// the longest. In a block that is not aligned, one space either side of `=`.
fn hcl_add(
    text: &str,
    at: usize,
    indent: &str,
    newline: &str,
    key: &str,
    literal: &str,
) -> Vec<Edit> {
    let group = attribute_group(text, at - indent.len());
    let aligned = !group.is_empty()
        && group
            .iter()
            .all(|a| a.column == group[0].column && a.gap >= 1)
        && group.iter().any(|a| a.name_end + 1 == a.equals);
    let longest = group
        .iter()
        .map(|a| a.name_end - a.start)
        .max()
        .unwrap_or(0);
    let width = key.len().max(longest);
    let pad = if aligned { width - key.len() } else { 0 };
    let mut edits = vec![Edit {
        span: Span::empty(at),
        text: format!("{key}{} = {literal}{newline}{indent}", " ".repeat(pad)),
    }];
    if aligned && key.len() > longest {
        // The new name is the longest: every other line's `=` moves to its column.
        for a in &group {
            edits.push(Edit {
                span: Span::new(a.name_end, a.equals),
                text: " ".repeat(width - (a.name_end - a.start) + 1),
            });
        }
    }
    edits
}

/// `text` with each run of one-line attributes that holds an attribute named in `added`
/// realigned (`=` one space after the longest name), when its other lines were aligned.
fn realign_added(text: &str, added: &[&str]) -> String {
    if added.is_empty() {
        return text.to_string();
    }
    let mut edits: Vec<Edit> = Vec::new();
    let mut line_start = 0;
    while line_start < text.len() {
        let group = attribute_group(text, line_start);
        let next_line = text[line_start..]
            .find('\n')
            .map_or(text.len(), |n| line_start + n + 1);
        if group.len() < 2 {
            line_start = next_line;
            continue;
        }
        let name = |a: &Attribute| &text[a.start..a.name_end];
        let (new, old): (Vec<&Attribute>, Vec<&Attribute>) =
            group.iter().partition(|a| added.contains(&name(a)));
        // The lines that were there share a column: the block was aligned (an added name may
        // already have moved them together).
        let old_aligned = old.iter().all(|a| a.column == old[0].column && a.gap >= 1);
        if !new.is_empty() && !old.is_empty() && old_aligned {
            let width = group
                .iter()
                .map(|a| a.name_end - a.start)
                .max()
                .unwrap_or(0);
            for a in &group {
                edits.push(Edit {
                    span: Span::new(a.name_end, a.equals),
                    text: " ".repeat(width - (a.name_end - a.start) + 1),
                });
            }
        }
        // Past the group's last line.
        let last = group.last().map_or(line_start, |a| a.equals);
        line_start = text[last..]
            .find('\n')
            .map_or(text.len(), |n| last + n + 1)
            .max(next_line);
    }
    let refs: Vec<&Edit> = edits.iter().collect();
    apply(text, &refs).0
}

/// One `name = value` line of a block: where its name starts and ends, where its `=` is (byte
/// offsets), and the blanks between.
struct Attribute {
    start: usize,
    name_end: usize,
    equals: usize,
    gap: usize,
    /// The `=`'s column in its line.
    column: usize,
}

/// The run of one-line attributes starting with the one at `at` (the lines `terraform fmt`
/// aligns together): it ends at a blank line, a comment, a nested block or an attribute whose
/// value spans lines.
fn attribute_group(text: &str, at: usize) -> Vec<Attribute> {
    let mut out = Vec::new();
    let mut line_start = at;
    while line_start < text.len() {
        let line_end = text[line_start..]
            .find('\n')
            .map_or(text.len(), |n| line_start + n);
        let line = &text[line_start..line_end];
        let start = line_start + (line.len() - line.trim_start().len());
        let name_len = text[start..line_end]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(line_end - start);
        let name_end = start + name_len;
        let rest = &text[name_end..line_end];
        let gap = rest.len() - rest.trim_start_matches([' ', '\t']).len();
        let equals = name_end + gap;
        let value = text[equals..line_end].trim_end_matches('\r');
        let one_line = value.starts_with('=')
            && !value.starts_with("==")
            && !value.trim_end().ends_with(['{', '[', '('])
            && !value.contains("<<");
        if name_len == 0 || !value.starts_with('=') {
            break;
        }
        out.push(Attribute {
            start,
            name_end,
            equals,
            gap,
            column: equals - line_start,
        });
        // A multi-line value still belongs to the run; what follows it does not.
        if !one_line {
            break;
        }
        line_start = line_end + 1;
    }
    out
}

/// The indentation before offset `at` when only spaces and tabs precede it on its line (a key
/// that starts its line), else `None`.
pub(crate) fn indent_before(text: &str, at: usize) -> Option<&str> {
    // Back from `at` over blanks only: searching for the line's start first made each fix on
    // a long line (a minified JSON template) cost the whole line, quadratic in fixes.
    let before = &text.as_bytes()[..at];
    let blanks = before
        .iter()
        .rev()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    let line_start = at - blanks;
    (line_start == 0 || before[line_start - 1] == b'\n').then(|| &text[line_start..at])
}

/// `text` with `edits` applied; an edit overlapping one already taken is left out (the next
/// run finds what it was for again). Returns the new text and how many edits were applied,
/// realignments of blanks not counted.
pub fn apply(text: &str, edits: &[&Edit]) -> (String, usize) {
    let mut sorted: Vec<&Edit> = edits.to_vec();
    sorted.sort_by_key(|e| (e.span.start, e.span.end));
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0usize;
    let mut applied = 0;
    for e in sorted {
        let (start, end) = (e.span.start as usize, e.span.end as usize);
        if start < at
            || end > text.len()
            || !text.is_char_boundary(start)
            || !text.is_char_boundary(end)
        {
            continue;
        }
        out.push_str(&text[at..start]);
        out.push_str(&e.text);
        at = end;
        // Realigning blanks (`terraform fmt`'s columns) is part of a fix, not one.
        if !(start < end && e.text.bytes().all(|b| b == b' ')) {
            applied += 1;
        }
    }
    out.push_str(&text[at..]);
    (out, applied)
}

/// A unified diff (`--- a/path`, `+++ b/path`, hunks with 3 lines of context) from `old` to
/// `new`; empty when they are equal.
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let a: Vec<&str> = old.split_inclusive('\n').collect();
    let b: Vec<&str> = new.split_inclusive('\n').collect();
    // The lines between the common prefix and suffix are the change; within it, lines equal
    // on both sides are found by Myers' algorithm.
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (ma, mb) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let ops = lcs_ops(ma, mb);
    // Every line with its operation: ' ' context, '-' removed, '+' added.
    let mut lines: Vec<(char, &str, usize, usize)> = Vec::new(); // (op, text, old no, new no)
    for (i, l) in a[..prefix].iter().enumerate() {
        lines.push((' ', l, i + 1, i + 1));
    }
    let (mut i, mut j) = (prefix, prefix);
    for op in ops {
        match op {
            ' ' => {
                lines.push((' ', a[i], i + 1, j + 1));
                i += 1;
                j += 1;
            }
            '-' => {
                lines.push(('-', a[i], i + 1, j + 1));
                i += 1;
            }
            _ => {
                lines.push(('+', b[j], i + 1, j + 1));
                j += 1;
            }
        }
    }
    for k in 0..suffix {
        lines.push((' ', a[i + k], i + k + 1, j + k + 1));
    }
    const CONTEXT: usize = 3;
    let changed: Vec<usize> = (0..lines.len()).filter(|&k| lines[k].0 != ' ').collect();
    let mut out = format!("--- a/{path}\n+++ b/{path}\n");
    let mut k = 0;
    while k < changed.len() {
        let first = changed[k];
        let mut last = first;
        while k + 1 < changed.len() && changed[k + 1] <= last + 2 * CONTEXT + 1 {
            k += 1;
            last = changed[k];
        }
        let from = first.saturating_sub(CONTEXT);
        let to = (last + CONTEXT + 1).min(lines.len());
        let hunk = &lines[from..to];
        let old_count = hunk.iter().filter(|l| l.0 != '+').count();
        let new_count = hunk.iter().filter(|l| l.0 != '-').count();
        let old_start = hunk.iter().find(|l| l.0 != '+').map_or(hunk[0].2, |l| l.2);
        let new_start = hunk.iter().find(|l| l.0 != '-').map_or(hunk[0].3, |l| l.3);
        out.push_str(&format!(
            "@@ -{},{} +{},{} @@\n",
            if old_count == 0 {
                old_start - 1
            } else {
                old_start
            },
            old_count,
            if new_count == 0 {
                new_start - 1
            } else {
                new_start
            },
            new_count
        ));
        for (op, text, _, _) in hunk {
            out.push(*op);
            out.push_str(text);
            if !text.ends_with('\n') {
                out.push_str("\n\\ No newline at end of file\n");
            }
        }
        k += 1;
    }
    out
}

/// The edit script turning `a` into `b` (' ' keep, '-' remove, '+' add): Myers' shortest edit
/// script, which costs O((N + M) · D) for D changed lines. Fixes change a few lines of files
/// that may have many thousands, where a full common-subsequence table (N · M) would not do.
fn lcs_ops(a: &[&str], b: &[&str]) -> Vec<char> {
    let (n, m) = (a.len() as isize, b.len() as isize);
    let max = (n + m).max(1);
    let at = |k: isize| (k + max) as usize;
    let mut v = vec![0isize; 2 * max as usize + 2];
    // v as it was before each step d, to walk the path back.
    let mut trace: Vec<Vec<isize>> = Vec::new();
    'search: for d in 0..=max {
        trace.push(v.clone());
        let mut k = -d;
        while k <= d {
            let mut x = if k == -d || (k != d && v[at(k - 1)] < v[at(k + 1)]) {
                v[at(k + 1)]
            } else {
                v[at(k - 1)] + 1
            };
            let mut y = x - k;
            while x < n && y < m && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
            }
            v[at(k)] = x;
            if x >= n && y >= m {
                break 'search;
            }
            k += 2;
        }
    }
    let (mut x, mut y) = (n, m);
    let mut ops = Vec::with_capacity((n + m) as usize);
    for (d, v) in trace.iter().enumerate().rev() {
        let d = d as isize;
        let k = x - y;
        let prev_k = if k == -d || (k != d && v[at(k - 1)] < v[at(k + 1)]) {
            k + 1
        } else {
            k - 1
        };
        let prev_x = v[at(prev_k)];
        let prev_y = prev_x - prev_k;
        while x > prev_x && y > prev_y {
            ops.push(' ');
            x -= 1;
            y -= 1;
        }
        if d > 0 {
            if x == prev_x {
                ops.push('+');
                y -= 1;
            } else {
                ops.push('-');
                x -= 1;
            }
        }
    }
    ops.reverse();
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` with `fix` written in `syntax` and applied.
    fn fixed(text: &str, syntax: Syntax, fix: &Fix) -> String {
        let fix = write(text, syntax, fix).unwrap();
        let edits: Vec<&Edit> = fix.edits.iter().collect();
        apply(text, &edits).0
    }

    #[test]
    fn sets_and_adds_in_each_syntax() {
        let yaml = "Resources:\n  T:\n    Properties:\n      IsLogging: false\n";
        let at = yaml.find("false").unwrap();
        let set = Fix::Set {
            span: Span::new(at, at + 5),
            key: "IsLogging".into(),
            literal: "true",
        };
        let fix = write(yaml, Syntax::Yaml, &set).unwrap();
        assert_eq!(fix.title, "Set `IsLogging` to true");
        assert_eq!(
            fixed(yaml, Syntax::Yaml, &set),
            "Resources:\n  T:\n    Properties:\n      IsLogging: true\n"
        );
        let key = yaml.find("IsLogging").unwrap();
        let add = Fix::Add {
            first_key: Span::new(key, key + 9),
            key: "IsMultiRegionTrail".into(),
            literal: "true",
        };
        assert_eq!(
            fixed(yaml, Syntax::Yaml, &add),
            "Resources:\n  T:\n    Properties:\n      IsMultiRegionTrail: true\n      IsLogging: false\n"
        );
        let json = "{\n  \"Properties\": {\n    \"IsLogging\": true\n  }\n}\n";
        let key = json.find("\"IsLogging\"").unwrap();
        let add = Fix::Add {
            first_key: Span::new(key, key + 11),
            key: "IsMultiRegionTrail".into(),
            literal: "true",
        };
        assert_eq!(
            fixed(json, Syntax::Json, &add),
            "{\n  \"Properties\": {\n    \"IsMultiRegionTrail\": true,\n    \"IsLogging\": true\n  }\n}\n"
        );
        let hcl = "resource \"aws_cloudtrail\" \"t\" {\n  name = \"t\"\n}\n";
        let key = hcl.find("name").unwrap();
        let add = Fix::Add {
            first_key: Span::new(key, key + 4),
            key: "enable_log_file_validation".into(),
            literal: "true",
        };
        assert_eq!(
            fixed(hcl, Syntax::Hcl, &add),
            "resource \"aws_cloudtrail\" \"t\" {\n  enable_log_file_validation = true\n  name                       = \"t\"\n}\n"
        );
        // Not a literal false (a reference): no fix.
        let refd = "IsLogging: !Ref Flag\n";
        let set = Fix::Set {
            span: Span::new(11, 20),
            key: "IsLogging".into(),
            literal: "true",
        };
        assert!(write(refd, Syntax::Yaml, &set).is_none());
        // A one-line mapping: no fix.
        let flow = "Properties: {IsLogging: true}\n";
        let add = Fix::Add {
            first_key: Span::new(13, 22),
            key: "X".into(),
            literal: "true",
        };
        assert!(write(flow, Syntax::Yaml, &add).is_none());
    }

    /// An attribute added to an aligned block is aligned as `terraform fmt` aligns it; a
    /// longer name realigns the block; an unaligned block stays as written.
    #[test]
    fn hcl_additions_keep_the_alignment_of_equals() {
        let add = |text: &str, key: &str| {
            let at = text.find("  n").unwrap() + 2;
            fixed(
                text,
                Syntax::Hcl,
                &Fix::Add {
                    first_key: Span::new(at, at + 4),
                    key: key.into(),
                    literal: "true",
                },
            )
        };
        let aligned = "r {\n  name           = \"a\"\n  s3_bucket_name = \"l\"\n\n  tags = {}\n}\n";
        assert_eq!(
            add(aligned, "enable"),
            "r {\n  enable         = true\n  name           = \"a\"\n  s3_bucket_name = \"l\"\n\n  tags = {}\n}\n"
        );
        assert_eq!(
            add(aligned, "enable_log_file_validation"),
            "r {\n  enable_log_file_validation = true\n  name                       = \"a\"\n  s3_bucket_name             = \"l\"\n\n  tags = {}\n}\n"
        );
        let loose = "r {\n  name = \"a\"\n  s3_bucket_name = \"l\"\n}\n";
        assert_eq!(
            add(loose, "enable"),
            "r {\n  enable = true\n  name = \"a\"\n  s3_bucket_name = \"l\"\n}\n"
        );
    }

    #[test]
    fn unified_diffs_have_hunks_with_context() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n";
        let new = "a\nb\nc\nd\nE\nf\ng\nh\ni\nj\nk\n";
        assert_eq!(
            unified_diff("x.yaml", old, new),
            "--- a/x.yaml\n+++ b/x.yaml\n@@ -2,9 +2,10 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n i\n j\n+k\n"
        );
        assert_eq!(unified_diff("x", "same\n", "same\n"), "");
        let inserted = unified_diff("y", "a\nb\n", "a\nnew\nb\n");
        assert_eq!(
            inserted,
            "--- a/y\n+++ b/y\n@@ -1,2 +1,3 @@\n a\n+new\n b\n"
        );
        // Two fixes far apart in a long file: two hunks, and no table of lines × lines.
        let long: String = (0..20_000).map(|i| format!("line {i}\n")).collect();
        let changed = long
            .replace("line 10\n", "line ten\n")
            .replace("line 19990\n", "line 19990\nadded\n");
        let diff = unified_diff("big", &long, &changed);
        assert_eq!(diff.matches("@@ -").count(), 2, "{diff}");
        assert!(diff.contains("-line 10\n+line ten\n"), "{diff}");
        assert!(diff.contains(" line 19990\n+added\n"), "{diff}");
    }
}

/// The fixes of every checked file, for `check --fix` and `check --diff`.
#[derive(Debug, Default)]
pub struct Collector {
    /// Per file with fixes, in path order.
    files: Vec<Collected>,
    /// Files with fixes that are generated (a CDK cloud assembly): never edited.
    generated: Vec<NotFixed>,
}

/// One checked file's fixes.
#[derive(Debug)]
struct Collected {
    /// The path as reported.
    path: String,
    /// The hash of the bytes the fixes were computed from.
    from: Option<u64>,
    edits: Vec<Edit>,
}

/// One file's fixes, applied to its text as it is on disk.
#[derive(Debug)]
pub struct Change {
    /// The path as reported.
    pub path: String,
    /// The file.
    pub file: std::path::PathBuf,
    /// The text before.
    pub old: String,
    /// The text after.
    pub new: String,
    /// How many findings the change fixes.
    pub fixed: usize,
}

/// A file whose fixes are not applied, and why.
#[derive(Debug)]
pub struct NotFixed {
    /// The path as reported.
    pub path: String,
    /// Why.
    pub reason: String,
}

impl Collector {
    /// Keep the fixes of a checked file's report.
    pub fn add(&mut self, report: &crate::file_report::FileReport) {
        if !matches!(report.outcome, crate::file_report::Outcome::Checked(_)) {
            return;
        }
        let edits: Vec<Edit> = report
            .findings
            .iter()
            .filter_map(|f| f.fix.as_ref())
            .flat_map(|f| f.edits.iter().cloned())
            .collect();
        let file = crate::walk::path_of_display(&report.path);
        if !edits.is_empty() && file.parent().is_some_and(crate::cdk::is_cloud_assembly) {
            // What to change, named as the CDK user knows it: the construct (which the
            // finding's message names) and the fix (`Set IsMultiRegionTrail to true`).
            let changes: Vec<String> = report
                .findings
                .iter()
                .filter_map(|f| {
                    let fix = f.fix.as_ref()?;
                    let construct = f
                        .message
                        .split_once("(construct `")
                        .and_then(|(_, rest)| rest.split_once('`'))
                        .map_or(f.resource.as_deref().unwrap_or("?"), |(path, _)| path);
                    Some(format!("{construct}: {}", fix.title))
                })
                .collect();
            self.generated.push(NotFixed {
                path: report.path.clone(),
                reason: format!(
                    "synthesized by the CDK (a cloud assembly): generated templates are never \
                     edited; make the change in the CDK code ({})",
                    changes.join("; ")
                ),
            });
            return;
        }
        if !edits.is_empty() {
            self.files.push(Collected {
                path: report.path.clone(),
                from: report.fixes_from,
                edits,
            });
        }
    }

    /// The fixes applied to each file's current text, and the files left alone with why: a
    /// file that changed since it was checked, that is not UTF-8, or whose fixed text would
    /// not parse.
    pub fn changes(&self) -> (Vec<Change>, Vec<NotFixed>) {
        let mut changes = Vec::new();
        let mut not_fixed: Vec<NotFixed> = self
            .generated
            .iter()
            .map(|n| NotFixed {
                path: n.path.clone(),
                reason: n.reason.clone(),
            })
            .collect();
        for c in &self.files {
            match change(c) {
                Ok(Some(change)) => changes.push(change),
                Ok(None) => {}
                Err(reason) => not_fixed.push(NotFixed {
                    path: c.path.clone(),
                    reason,
                }),
            }
        }
        (changes, not_fixed)
    }
}

/// One file's fixes applied to its bytes on disk, when they are the bytes the fixes were
/// computed from (else an edit would land in text it was not made for: `IsLogging: truese`).
fn change(c: &Collected) -> Result<Option<Change>, String> {
    let file = crate::walk::path_of_display(&c.path);
    let bytes = std::fs::read(&file).map_err(|e| format!("cannot read it: {e}"))?;
    if c.from != Some(crate::file_report::content_hash(&bytes)) {
        return Err("it changed since it was checked; run tripline again".to_string());
    }
    let text = String::from_utf8(bytes).map_err(|_| "it is not UTF-8".to_string())?;
    // Spans are in the text without its byte-order mark.
    let (bom, body) = match text.strip_prefix('\u{feff}') {
        Some(rest) => ("\u{feff}", rest),
        None => ("", text.as_str()),
    };
    // One edit per place: a mapping several resources share (a YAML anchor) is fixed once.
    let mut refs: Vec<&Edit> = c.edits.iter().collect();
    refs.sort_by(|a, b| {
        (a.span.start, a.span.end, &a.text).cmp(&(b.span.start, b.span.end, &b.text))
    });
    refs.dedup_by(|a, b| a.span == b.span && a.text == b.text);
    let (mut new_body, fixed) = apply(body, &refs);
    if fixed == 0 || new_body == body {
        return Ok(None);
    }
    let name = c.path.rsplit('/').next().unwrap_or(&c.path);
    if crate::parse::is_hcl_name(name) {
        // Several attributes added to one aligned block: each was aligned on its own; align
        // them together, as `terraform fmt` would.
        let added: Vec<&str> = refs
            .iter()
            .filter(|e| e.span.is_empty())
            .filter_map(|e| e.text.split_whitespace().next())
            .collect();
        new_body = realign_added(&new_body, &added);
    }
    // The result must load as the original did: a fix that cannot be written exactly there
    // (a flow mapping over several lines, say) is left to a person.
    if let Err(e) = crate::parse::load(&new_body, name, &crate::parse::Limits::default()) {
        return Err(format!(
            "the fixed text would not load ({}); fix it by hand",
            e.message
        ));
    }
    Ok(Some(Change {
        path: c.path.clone(),
        file,
        new: format!("{bom}{new_body}"),
        old: text,
        fixed,
    }))
}
