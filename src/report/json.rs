//! `--format json`: one JSON document per run. The schema is documented in
//! `docs/json-format.md`; `schema_version` changes only when a field changes meaning or is
//! removed. The types read back too, which is how `tripline merge` combines shard reports into
//! exactly the document a single run writes.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use super::Summary;
use crate::baseline::BaselineStats;
use crate::file_report::FileReport;
use crate::finding::{Finding, Severity};
use crate::policy;
use crate::shard::Shard;

pub(crate) const SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct Document {
    pub schema_version: u32,
    pub tool: Tool,
    /// The shard of a `check --shard K/N` run; absent in unsharded and merged reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// Before the summary, so that findings can be written as files are checked.
    pub findings: Vec<FindingOut<'static>>,
    pub summary: SummaryOut,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct SummaryOut {
    pub files: usize,
    pub templates: usize,
    pub skipped: usize,
    pub failed: usize,
    pub findings: usize,
    pub by_severity: BTreeMap<String, usize>,
    pub suppressed: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineStats>,
    /// Module calls not followed: modules not on disk, and calls past a bound of composing
    /// modules (absent when every call was followed).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub modules_not_followed: usize,
    /// Of those, the calls past a bound of composing modules (absent when none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub modules_past_bounds: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// A finding as the report writes it: borrowed from the [`Finding`] when written (a run of
/// many findings copies none of their strings), owned when read back.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct FindingOut<'a> {
    pub policy: Cow<'a, str>,
    pub family: Cow<'a, str>,
    pub severity: Severity,
    pub title: Cow<'a, str>,
    pub path: Cow<'a, str>,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
    pub resource: Option<Cow<'a, str>>,
    pub message: Cow<'a, str>,
    pub snippet: Cow<'a, str>,
    pub fingerprint: Cow<'a, str>,
    /// Other places that explain the finding; absent when there are none. A plan finding
    /// reported at its `.tf` source has the plan's place first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<RelatedOut<'a>>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct RelatedOut<'a> {
    pub path: Cow<'a, str>,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
    pub message: Cow<'a, str>,
}

impl<'a> FindingOut<'a> {
    pub fn new(f: &'a Finding) -> FindingOut<'a> {
        let meta = policy::meta(f.policy);
        FindingOut {
            policy: Cow::Borrowed(f.policy),
            family: Cow::Borrowed(meta.map_or("engine", |m| m.family.as_str())),
            severity: f.severity,
            title: Cow::Borrowed(meta.map_or("", |m| m.title)),
            path: Cow::Borrowed(&f.path),
            line: f.start.line,
            column: f.start.column,
            end_line: f.end.line,
            end_column: f.end.column,
            resource: f.resource.as_deref().map(Cow::Borrowed),
            message: Cow::Borrowed(&f.message),
            snippet: f.excerpt.lines(f.start.line, f.end.line.max(f.start.line)),
            fingerprint: Cow::Borrowed(&f.fingerprint),
            related: f
                .related
                .iter()
                .map(|r| RelatedOut {
                    path: Cow::Borrowed(&r.path),
                    line: r.start.line,
                    column: r.start.column,
                    end_line: r.end.line,
                    end_column: r.end.column,
                    message: Cow::Borrowed(&r.message),
                })
                .collect(),
        }
    }

    /// The file whose check reported the finding: where it is, or for a plan finding moved to
    /// its `.tf` source, the plan (its first related place, "in the plan"; other related
    /// places, a module's file, are not where the check ran). A run writes findings file by
    /// file, so merging orders by this first.
    pub fn checked_path(&self) -> &str {
        match self.related.first() {
            Some(r) if r.message == crate::finding::IN_THE_PLAN => &r.path,
            _ => &self.path,
        }
    }

    /// The order of a run's findings: path, position, policy, message.
    pub fn sort_key(&self) -> (&str, u32, u32, &str, &str) {
        (
            &self.path,
            self.line,
            self.column,
            &self.policy,
            &self.message,
        )
    }
}

fn tool() -> Tool {
    Tool {
        name: "tripline".to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
    }
}

fn summary_out(summary: &Summary) -> SummaryOut {
    SummaryOut {
        files: summary.files,
        templates: summary.templates,
        skipped: summary.skipped,
        failed: summary.failed,
        findings: summary.findings,
        by_severity: Severity::ALL
            .iter()
            .zip(summary.by_severity)
            .map(|(s, n)| (s.as_str().to_string(), n))
            .collect(),
        suppressed: summary.suppressed,
        baseline: summary.baseline,
        modules_not_followed: summary.modules_not_followed,
        modules_past_bounds: summary.modules_past_bounds,
    }
}

pub(crate) fn write_document(out: &mut dyn Write, doc: &Document) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, doc)?;
    writeln!(out)
}

/// The document with its findings array replaced by `findings`.
fn with_findings(
    shard: Option<Shard>,
    summary: &Summary,
    findings: serde_json::Value,
) -> serde_json::Value {
    let mut doc = serde_json::to_value(Document {
        schema_version: SCHEMA_VERSION,
        tool: tool(),
        shard,
        findings: Vec::new(),
        summary: summary_out(summary),
    })
    .expect("documents serialize");
    doc["findings"] = findings;
    doc
}

/// Streams the document: findings as files are checked, the summary at the end.
pub(crate) struct JsonReporter {
    shard: Option<Shard>,
    findings: super::StreamedArray,
    /// The finding being written, reused.
    text: Vec<u8>,
}

impl JsonReporter {
    pub fn new(shard: Option<Shard>) -> JsonReporter {
        JsonReporter {
            shard,
            findings: super::StreamedArray::new(&with_findings(
                shard,
                &Summary::default(),
                super::marker(),
            )),
            text: Vec::new(),
        }
    }
}

impl super::Reporter for JsonReporter {
    fn file(&mut self, out: &mut dyn Write, report: &FileReport) -> io::Result<()> {
        for f in &report.findings {
            // Straight to text: the same bytes as through a `Value`, without building one.
            self.text.clear();
            serde_json::to_writer_pretty(&mut self.text, &FindingOut::new(f))
                .map_err(io::Error::other)?;
            self.findings.item_text(out, &self.text)?;
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, summary: &Summary) -> io::Result<()> {
        self.findings.finish(
            out,
            &with_findings(self.shard, summary, super::marker()),
            &with_findings(self.shard, summary, serde_json::json!([])),
        )
    }
}

/// Combine the JSON reports of shards into the report of one run over all of them (check the
/// set first with [`crate::shard::validate_set`]). The result records no shard and the shards'
/// tool version.
pub fn merge(docs: Vec<Document>) -> Document {
    let version = docs.first().map_or_else(tool, |d| d.tool.clone());
    let mut summary = SummaryOut::default();
    let mut findings = Vec::new();
    let mut baseline: Option<BaselineStats> = None;
    for d in docs {
        summary.files += d.summary.files;
        summary.templates += d.summary.templates;
        summary.skipped += d.summary.skipped;
        summary.failed += d.summary.failed;
        summary.findings += d.summary.findings;
        summary.suppressed += d.summary.suppressed;
        summary.modules_not_followed += d.summary.modules_not_followed;
        summary.modules_past_bounds += d.summary.modules_past_bounds;
        for (k, v) in d.summary.by_severity {
            *summary.by_severity.entry(k).or_insert(0) += v;
        }
        if let Some(b) = d.summary.baseline {
            let acc = baseline.get_or_insert_with(BaselineStats::default);
            acc.known += b.known;
            acc.fixed += b.fixed;
        }
        findings.extend(d.findings);
    }
    summary.baseline = baseline;
    // As in a single run: config files' findings after the templates'.
    findings.sort_by(|a, b| {
        (
            super::is_config_path(&a.path),
            a.checked_path(),
            a.sort_key(),
        )
            .cmp(&(
                super::is_config_path(&b.path),
                b.checked_path(),
                b.sort_key(),
            ))
    });
    Document {
        schema_version: SCHEMA_VERSION,
        tool: version,
        shard: None,
        findings,
        summary,
    }
}
