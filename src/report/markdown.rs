//! Markdown for people reading a pull request or a CI job summary (`$GITHUB_STEP_SUMMARY`):
//! counts by severity and by policy, and the most severe findings as a table. Memory stays
//! bounded however many findings there are: counts, and the top [`TOP`] findings.

use std::collections::{BTreeMap, BinaryHeap};
use std::io::{self, Write};

use crate::file_report::FileReport;
use crate::finding::Severity;
use crate::policy;

/// Findings listed in the table.
pub(crate) const TOP: usize = 20;

/// A finding in the table, ordered so that the greatest is the first to leave: lowest severity,
/// then latest in path order.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Row {
    rank: std::cmp::Reverse<Severity>,
    seq: usize,
    cells: [String; 5],
}

#[derive(Default)]
pub(crate) struct MarkdownReporter {
    by_policy: BTreeMap<&'static str, (Severity, usize)>,
    top: BinaryHeap<Row>,
    seen: usize,
}

/// Text from templates made safe in a table cell: no line breaks, no pipes, no Markdown or
/// HTML, control characters shown visibly.
fn cell(s: &str) -> String {
    let s = super::escape::line(&s.replace(['\n', '\r'], " ")).into_owned();
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '~' | '&' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

impl super::Reporter for MarkdownReporter {
    fn file(&mut self, _out: &mut dyn Write, report: &FileReport) -> io::Result<()> {
        for f in &report.findings {
            let entry = self.by_policy.entry(f.policy).or_insert((f.severity, 0));
            entry.0 = entry.0.max(f.severity);
            entry.1 += 1;
            self.top.push(Row {
                rank: std::cmp::Reverse(f.severity),
                seq: self.seen,
                cells: [
                    f.severity.as_str().to_string(),
                    format!("`{}`", f.policy),
                    format!("{}:{}", cell(&f.path), f.start.line),
                    f.resource.as_deref().map(cell).unwrap_or_default(),
                    cell(&f.message),
                ],
            });
            self.seen += 1;
            if self.top.len() > TOP {
                self.top.pop();
            }
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, summary: &super::Summary) -> io::Result<()> {
        writeln!(out, "## tripline\n")?;
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        write!(
            out,
            "**{}** in {} ({} looked at",
            plural(summary.findings, "finding", "findings"),
            plural(summary.templates, "template", "templates"),
            plural(summary.files, "file", "files"),
        )?;
        if summary.suppressed > 0 {
            write!(out, "; {} suppressed", summary.suppressed)?;
        }
        if let Some(b) = &summary.baseline {
            write!(
                out,
                "; {} known from the baseline, {} fixed",
                b.known, b.fixed
            )?;
        }
        if summary.failed > 0 {
            write!(
                out,
                "; {} could not be read",
                plural(summary.failed, "file", "files")
            )?;
        }
        if let Some(modules) = super::modules_not_followed(summary) {
            write!(out, "; {}", cell(&modules))?;
        }
        writeln!(out, ").\n")?;
        if summary.findings == 0 {
            return Ok(());
        }
        writeln!(out, "| severity | findings |\n|---|---:|")?;
        for (s, n) in Severity::ALL.iter().zip(summary.by_severity) {
            if n > 0 {
                writeln!(out, "| {s} | {n} |")?;
            }
        }
        writeln!(
            out,
            "\n| policy | severity | title | findings |\n|---|---|---|---:|"
        )?;
        let mut policies: Vec<(&&str, &(Severity, usize))> = self.by_policy.iter().collect();
        policies.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(b.1.1.cmp(&a.1.1)).then(a.0.cmp(b.0)));
        for (id, (severity, n)) in policies {
            let title = policy::meta(id).map_or("", |m| m.title);
            writeln!(out, "| `{id}` | {severity} | {} | {n} |", cell(title))?;
        }
        let mut top = std::mem::take(&mut self.top).into_vec();
        top.sort_by(|a, b| a.rank.cmp(&b.rank).then(a.seq.cmp(&b.seq)));
        writeln!(
            out,
            "\n### Most severe findings\n\n| severity | policy | where | resource | finding |\n|---|---|---|---|---|"
        )?;
        for row in &top {
            writeln!(out, "| {} |", row.cells.join(" | "))?;
        }
        if self.seen > top.len() {
            writeln!(
                out,
                "\n{} more not listed here; the JSON and SARIF reports have every finding.",
                self.seen - top.len()
            )?;
        }
        Ok(())
    }
}
