//! `--format json`: one JSON document per run. The schema is documented in
//! `docs/json-format.md`; `schema_version` changes only when a field changes meaning or is
//! removed.

use std::io::{self, Write};

use serde::Serialize;

use super::Summary;
use crate::engine::FileReport;
use crate::finding::{Finding, Severity};
use crate::policy;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    tool: Tool,
    summary: SummaryOut,
    findings: Vec<FindingOut<'a>>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct SummaryOut {
    files: usize,
    templates: usize,
    skipped: usize,
    failed: usize,
    findings: usize,
    by_severity: std::collections::BTreeMap<&'static str, usize>,
    suppressed: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<crate::baseline::BaselineStats>,
}

#[derive(Serialize)]
pub(crate) struct FindingOut<'a> {
    policy: &'a str,
    family: &'static str,
    severity: Severity,
    title: &'static str,
    path: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    resource: Option<&'a str>,
    message: &'a str,
    snippet: String,
    fingerprint: &'a str,
}

impl<'a> FindingOut<'a> {
    pub(crate) fn new(f: &'a Finding) -> FindingOut<'a> {
        let meta = policy::meta(f.policy);
        FindingOut {
            policy: f.policy,
            family: meta.map_or("engine", |m| m.family.as_str()),
            severity: f.severity,
            title: meta.map_or("", |m| m.title),
            path: &f.path,
            line: f.start.line,
            column: f.start.column,
            end_line: f.end.line,
            end_column: f.end.column,
            resource: f.resource.as_deref(),
            message: &f.message,
            snippet: f.excerpt.lines(f.start.line, f.end.line.max(f.start.line)),
            fingerprint: &f.fingerprint,
        }
    }
}

pub fn write(out: &mut dyn Write, reports: &[FileReport], summary: &Summary) -> io::Result<()> {
    let doc = Document {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "tripline",
            version: env!("CARGO_PKG_VERSION"),
        },
        summary: SummaryOut {
            files: summary.files,
            templates: summary.templates,
            skipped: summary.skipped,
            failed: summary.failed,
            findings: summary.findings,
            by_severity: Severity::ALL
                .iter()
                .zip(summary.by_severity)
                .map(|(s, n)| (s.as_str(), n))
                .collect(),
            suppressed: summary.suppressed,
            baseline: summary.baseline,
        },
        findings: super::findings(reports).map(FindingOut::new).collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}
