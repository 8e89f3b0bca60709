//! GitHub Actions workflow commands: each finding becomes an annotation on the pull request's
//! diff (`::error file=...,line=...::message`).

use std::io::{self, Write};

use crate::file_report::FileReport;
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

/// Annotations are written at the end, most severe first (path order within a severity):
/// GitHub shows only the first 10 errors, 10 warnings and 10 notices of a step on the diff,
/// so those should be the ones that matter most. A closing plain line says how many were not
/// shown.
#[derive(Default)]
pub(crate) struct GithubReporter {
    /// Commands by severity, indexed like [`Severity::ALL`].
    lines: [Vec<String>; 4],
}

/// Annotations of each level GitHub shows per step.
const SHOWN_PER_LEVEL: usize = 10;

impl super::Reporter for GithubReporter {
    fn file(&mut self, _out: &mut dyn Write, report: &FileReport) -> io::Result<()> {
        for f in &report.findings {
            let command = match f.severity {
                Severity::Critical | Severity::High => "error",
                Severity::Medium => "warning",
                Severity::Low => "notice",
            };
            let title = policy::meta(f.policy).map_or("", |m| m.title);
            self.lines[f.severity.index()].push(format!(
                "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                escape_property(&f.path),
                f.start.line,
                f.start.column,
                f.end.line,
                f.end.column,
                escape_property(&format!("{} {title}", f.policy)),
                escape_data(&f.message)
            ));
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, summary: &super::Summary) -> io::Result<()> {
        for lines in &self.lines {
            for line in lines {
                writeln!(out, "{line}")?;
            }
        }
        // A partial check is said where a reviewer looks (a notice on the run, not on a line).
        if let Some(modules) = super::modules_not_followed(summary) {
            writeln!(out, "::notice title=tripline::{}", escape_data(&modules))?;
        }
        // Critical and high are both errors.
        let [critical, high, medium, low] = self.lines.each_ref().map(Vec::len);
        let hidden = (critical + high).saturating_sub(SHOWN_PER_LEVEL)
            + medium.saturating_sub(SHOWN_PER_LEVEL)
            + low.saturating_sub(SHOWN_PER_LEVEL);
        if hidden > 0 {
            writeln!(
                out,
                "tripline: {} annotations; GitHub shows {SHOWN_PER_LEVEL} of each level per step, so {hidden} \
                 are not on the diff (most severe shown first; the job summary and code scanning \
                 have them all)",
                critical + high + medium + low
            )?;
        }
        Ok(())
    }
}
