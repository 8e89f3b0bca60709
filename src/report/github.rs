//! GitHub Actions workflow commands: each finding becomes an annotation on the pull request's
//! diff (`::error file=...,line=...::message`).

use std::io::{self, Write};

use crate::engine::FileReport;
use crate::finding::Severity;
use crate::policy;

/// Escape the message part of a workflow command.
fn escape_data(s: &str) -> String {
    // `%`, CR and LF as the runner decodes them; other control characters shown visibly.
    let s: String = s
        .split(['\n', '\r'])
        .map(|part| super::escape::line(part).into_owned())
        .collect::<Vec<_>>()
        .join("\n");
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property value of a workflow command.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub(crate) struct GithubReporter;

impl super::Reporter for GithubReporter {
    fn file(&mut self, out: &mut dyn Write, report: &FileReport) -> io::Result<()> {
        for f in &report.findings {
            let command = match f.severity {
                Severity::Critical | Severity::High => "error",
                Severity::Medium => "warning",
                Severity::Low => "notice",
            };
            let title = policy::meta(f.policy).map_or("", |m| m.title);
            writeln!(
                out,
                "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                escape_property(&f.path),
                f.start.line,
                f.start.column,
                f.end.line,
                f.end.column,
                escape_property(&format!("{} {title}", f.policy)),
                escape_data(&f.message)
            )?;
        }
        Ok(())
    }

    fn finish(&mut self, _out: &mut dyn Write, _summary: &super::Summary) -> io::Result<()> {
        Ok(())
    }
}
