//! Writing results: for people (`human`) and for machines (`json`).
//!
//! Every reporter receives the file reports already sorted by path, with findings sorted by
//! position, and prints nothing that depends on timing or thread count, so the same tree always
//! gives the same bytes.

pub mod catalog;
pub mod coverage;
pub mod escape;
pub(crate) mod github;
mod human;
pub(crate) use human::summary_line;
pub(crate) mod json;
pub(crate) mod junit;
mod markdown;
pub mod merge;
mod parseable;
pub(crate) mod sarif;
mod spool;

use std::io::{self, Write};

pub use human::HumanOptions;
pub use sarif::SarifOptions;

use crate::file_report::{FileReport, Outcome};
use crate::finding::Finding;

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Diagnostics with excerpts, for people.
    Human,
    /// JSON (`docs/json-format.md`).
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// JUnit XML, for test report viewers.
    Junit,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// One line per finding: `file:line:col: ID message`.
    Parseable,
    /// Counts and the most severe findings, for a pull request or a job summary.
    Markdown,
}

/// Counts over a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Files looked at (candidates from the walk, plus stdin).
    pub files: usize,
    /// Files recognized and checked as templates.
    pub templates: usize,
    /// Files that are not templates (other YAML/JSON, binary).
    pub skipped: usize,
    /// Files that could not be read or loaded.
    pub failed: usize,
    /// Findings reported (after suppressions and the baseline).
    pub findings: usize,
    /// Findings per severity, indexed like [`crate::finding::Severity::ALL`] (critical first).
    pub by_severity: [usize; 4],
    /// Findings removed by suppressions.
    pub suppressed: usize,
    /// Set when a baseline was applied.
    pub baseline: Option<crate::baseline::BaselineStats>,
    /// Module calls not followed: modules not on disk (registry or Git, not installed), and
    /// those past a bound of composing modules.
    pub modules_not_followed: usize,
    /// Of `modules_not_followed`, the calls past a bound of composing modules.
    pub modules_past_bounds: usize,
    /// Findings reported that `--fix` can fix.
    pub fixable: usize,
    /// The policy of the most severe finding (the first met of that severity): the example
    /// the advice after a failing run names.
    pub top_policy: Option<(crate::finding::Severity, &'static str)>,
}

impl Summary {
    /// The counts over `reports`.
    pub fn of(reports: &[FileReport]) -> Summary {
        let mut s = Summary::default();
        for r in reports {
            s.add(r);
        }
        s
    }

    /// Count one more file report.
    pub fn add(&mut self, r: &FileReport) {
        self.suppressed += r.suppressed;
        self.modules_not_followed += r.unfollowed_modules.len();
        self.modules_past_bounds += r
            .unfollowed_modules
            .iter()
            .filter(|m| m.why == crate::file_report::NotFollowed::PastBound)
            .count();
        match r.outcome {
            Outcome::Checked(_) => self.templates += 1,
            Outcome::Skipped(_) => self.skipped += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::Config => {}
        }
        if r.outcome != Outcome::Config {
            self.files += 1;
        }
        // What `--fix` will fix: never a generated template (a CDK cloud assembly's).
        let fixes = r.findings.iter().any(|f| f.fix.is_some())
            && !crate::walk::path_of_display(&r.path)
                .parent()
                .is_some_and(crate::cdk::is_cloud_assembly);
        for f in &r.findings {
            self.findings += 1;
            self.by_severity[f.severity.index()] += 1;
            self.fixable += usize::from(fixes && f.fix.is_some());
            if self.top_policy.is_none_or(|(sev, _)| f.severity > sev) {
                self.top_policy = Some((f.severity, f.policy));
            }
        }
    }
}

/// What a summary says of the module calls not followed, and how to follow them; `None` when
/// every call was followed.
pub fn modules_not_followed(s: &Summary) -> Option<String> {
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let past = s.modules_past_bounds.min(s.modules_not_followed);
    let absent = s.modules_not_followed - past;
    let mut said = Vec::new();
    if absent > 0 {
        said.push(format!(
            "{absent} module call{} not followed: the module{} not on disk (`terraform init` \
             installs registry and Git modules where tripline reads them; or check the plan)",
            plural(absent),
            if absent == 1 { " is" } else { "s are" }
        ));
    }
    if past > 0 {
        said.push(format!(
            "{past} module call{} not composed: past tripline's bounds on composing modules \
             (`--verbose` says which and why; or check the plan)",
            plural(past)
        ));
    }
    (!said.is_empty()).then(|| said.join("; "))
}

/// What to do after a run that fails, in at most three lines: the counts, what `--fix` fixes,
/// how to accept a finding with a reason and how to change the threshold. `failing` findings are
/// at or above their threshold.
pub fn next_steps(s: &Summary, failing: usize) -> Vec<String> {
    if failing == 0 {
        return Vec::new();
    }
    let counts: Vec<String> = crate::finding::Severity::ALL
        .iter()
        .zip(s.by_severity)
        .filter(|(_, n)| *n > 0)
        .map(|(sev, n)| format!("{n} {sev}"))
        .collect();
    let mut first = format!(
        "tripline: {failing} of {} finding{} fail{} ({})",
        s.findings,
        if s.findings == 1 { "" } else { "s" },
        if failing == 1 { "s" } else { "" },
        counts.join(", "),
    );
    if s.fixable > 0 {
        first.push_str(&format!("; `--fix` fixes {}", s.fixable));
    }
    let policy = s.top_policy.map_or("<POLICY>", |(_, p)| p);
    let mut lines = vec![
        first,
        format!(
            "  to accept one: `# tripline:ignore {policy} <reason>`, or [[suppress]] in tripline.toml"
        ),
    ];
    // The lowest severity reported, and the threshold above it.
    let lowest = crate::finding::Severity::ALL
        .iter()
        .zip(s.by_severity)
        .rev()
        .find(|(_, n)| *n > 0)
        .map(|(sev, _)| *sev);
    let above = match lowest {
        Some(crate::finding::Severity::Low) => Some("medium"),
        Some(crate::finding::Severity::Medium) => Some("high"),
        Some(crate::finding::Severity::High) => Some("critical"),
        _ => None,
    };
    if let Some(above) = above {
        lines.push(format!(
            "  to block only on {above} and above: `--fail-on {above}` (or `fail_on`)"
        ));
    }
    lines
}

/// All findings of a run, in report order.
pub fn findings(reports: &[FileReport]) -> impl Iterator<Item = &Finding> {
    reports.iter().flat_map(|r| r.findings.iter())
}

/// Writes a run's results as they come: one file report at a time, in path order, then the
/// summary. Nothing is kept between files beyond what the format's trailer needs, so memory
/// does not grow with the size of the tree.
pub trait Reporter {
    /// Write one file's report (they arrive in path order).
    fn file(&mut self, out: &mut dyn Write, report: &FileReport) -> io::Result<()>;
    /// Write the end of the report, with the run's counts.
    fn finish(&mut self, out: &mut dyn Write, summary: &Summary) -> io::Result<()>;
}

/// The reporter for `format`.
/// `shard` is recorded in JSON and SARIF reports, so that `merge` can tell whether a set of
/// reports is one whole run.
pub fn reporter(
    format: Format,
    human: &HumanOptions,
    shard: Option<crate::shard::Shard>,
    sarif: &SarifOptions,
) -> Box<dyn Reporter> {
    match format {
        Format::Human => Box::new(human::HumanReporter::new(human)),
        Format::Json => Box::new(json::JsonReporter::new(shard)),
        Format::Sarif => Box::new(sarif::SarifReporter::new(shard, sarif.clone())),
        Format::Junit => Box::new(junit::JunitReporter::default()),
        Format::Github => Box::new(github::GithubReporter::default()),
        Format::Parseable => Box::new(parseable::ParseableReporter),
        Format::Markdown => Box::new(markdown::MarkdownReporter::default()),
    }
}

/// Write a whole run's results in `format` (reports sorted by path).
pub fn write(
    format: Format,
    out: &mut dyn Write,
    reports: &[FileReport],
    summary: &Summary,
    human: &HumanOptions,
) -> io::Result<()> {
    let mut r = reporter(format, human, None, &SarifOptions::default());
    for report in reports {
        r.file(out, report)?;
    }
    r.finish(out, summary)
}

/// Whether a report path names a config file: findings about configs (stale suppressions) are
/// known only at the end of a run, so they come after every template's, in every format and
/// in merged reports alike.
pub(crate) fn is_config_path(path: &str) -> bool {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    crate::config::CONFIG_FILES.contains(&name)
}

/// A JSON array streamed inside a pretty-printed document, byte for byte what
/// `serde_json::to_writer_pretty` writes for the whole document: the document is rendered with
/// a marker element where the array's items go, and split there. What comes before the array
/// must be known at the start; what comes after only at the end.
pub(crate) struct StreamedArray {
    /// Everything up to and including the `[` and the line break after it.
    head: String,
    /// The indentation of the items.
    indent: String,
    items: usize,
    /// The item being written, reused: each item is one write (a write per line, through
    /// the report's `dyn Write`, was 7% of a cached run's time over 200,000 files).
    buffer: Vec<u8>,
}

/// A string that cannot occur in a pretty-printed document: serde escapes control characters.
const MARKER: &str = "\u{1}tripline-items\u{1}";

/// The marker element to put where the streamed array goes.
pub(crate) fn marker() -> serde_json::Value {
    serde_json::json!([MARKER])
}

/// `doc` pretty-printed, split around the marker line: (before the line, the line's
/// indentation, after the line).
fn split_at_marker(doc: &serde_json::Value) -> (String, String, String) {
    let text = serde_json::to_string_pretty(doc).expect("documents serialize");
    let quoted = serde_json::to_string(MARKER).expect("strings serialize");
    let at = text.find(&quoted).expect("the marker is in the document");
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    (
        text[..line_start].to_string(),
        text[line_start..at].to_string(),
        text[at + quoted.len()..].to_string(),
    )
}

impl StreamedArray {
    /// `with_marker`: the document as known at the start, with [`marker`] as the array.
    pub(crate) fn new(with_marker: &serde_json::Value) -> StreamedArray {
        let (head, indent, _) = split_at_marker(with_marker);
        StreamedArray {
            head,
            indent,
            items: 0,
            buffer: Vec::new(),
        }
    }

    /// Write one item (after the head, before the first), rendered by
    /// `serde_json::to_string_pretty` (or `to_writer_pretty`: the same bytes).
    pub(crate) fn item_text(
        &mut self,
        out: &mut dyn Write,
        text: impl AsRef<[u8]>,
    ) -> io::Result<()> {
        let text = text.as_ref();
        let buffer = &mut self.buffer;
        buffer.clear();
        if self.items == 0 {
            buffer.extend_from_slice(self.head.as_bytes());
        } else {
            buffer.extend_from_slice(b",\n");
        }
        self.items += 1;
        // Strings never hold a raw line break, so indenting every line is safe.
        let mut from = 0;
        for at in memchr::memchr_iter(b'\n', text).chain([text.len()]) {
            if from > 0 {
                buffer.push(b'\n');
            }
            buffer.extend_from_slice(self.indent.as_bytes());
            buffer.extend_from_slice(&text[from..at]);
            from = at + 1;
        }
        out.write_all(buffer)
    }

    /// Close the array and write the rest of the document: `with_marker` is the final document
    /// with [`marker`] as the array, `empty` the same with an empty array (serde writes `[]` on
    /// one line when nothing was streamed).
    pub(crate) fn finish(
        &mut self,
        out: &mut dyn Write,
        with_marker: &serde_json::Value,
        empty: &serde_json::Value,
    ) -> io::Result<()> {
        if self.items == 0 {
            serde_json::to_writer_pretty(&mut *out, empty)?;
        } else {
            let (_, _, tail) = split_at_marker(with_marker);
            out.write_all(tail.as_bytes())?;
        }
        out.write_all(b"\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Streaming must give exactly the bytes serde gives for the whole document, or merged
    /// shard reports would differ from single runs.
    #[test]
    fn streamed_arrays_match_serde_byte_for_byte() {
        let doc = |items: serde_json::Value| json!({"a": 1, "nested": [{"b": "x", "items": items, "after": {"c": [1, 2]}}], "z": "end"});
        for n in [0, 1, 3] {
            let items: Vec<serde_json::Value> = (0..n)
                .map(|i| json!({"i": i, "s": "line\nbreak \u{1} \"q\"", "deep": {"l": [i, {"m": null}]}}))
                .collect();
            let mut expected = serde_json::to_string_pretty(&doc(json!(items))).unwrap();
            expected.push('\n');
            let mut out = Vec::new();
            let mut array = StreamedArray::new(&doc(marker()));
            for item in &items {
                array
                    .item_text(&mut out, serde_json::to_string_pretty(item).unwrap())
                    .unwrap();
            }
            array
                .finish(&mut out, &doc(marker()), &doc(json!([])))
                .unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), expected, "{n} items");
        }
    }

    #[test]
    fn config_paths_are_recognized() {
        assert!(is_config_path("tripline.toml"));
        assert!(is_config_path("infra/team/.tripline.toml"));
        assert!(!is_config_path("infra/tripline.toml.yaml"));
    }
}
