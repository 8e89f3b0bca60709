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

/// Annotations are written most severe first (path order within a severity): GitHub shows
/// only the first 10 errors, 10 warnings and 10 notices of a step on the diff, so those should
/// be the ones that matter most. Critical findings are written as they come; the others are
/// held until the end (spooled: 210,000 annotations held as strings took 85 MiB). A closing
/// plain line says how many were not shown.
#[derive(Default)]
pub(crate) struct GithubReporter {
    /// Commands by severity, indexed like [`Severity::ALL`].
    counts: [usize; 4],
    /// The commands of high, medium and low findings, held for the end.
    held: [super::spool::Spool; 3],
}

/// Annotations of each level GitHub shows per step.
const SHOWN_PER_LEVEL: usize = 10;

impl super::Reporter for GithubReporter {
    fn file(&mut self, out: &mut dyn Write, report: &FileReport) -> io::Result<()> {
        for f in &report.findings {
            let command = match f.severity {
                Severity::Critical | Severity::High => "error",
                Severity::Medium => "warning",
                Severity::Low => "notice",
            };
            let title = policy::meta(f.policy).map_or("", |m| m.title);
            let line = format!(
                "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                escape_property(&f.path),
                f.start.line,
                f.start.column,
                f.end.line,
                f.end.column,
                escape_property(&format!("{} {title}", f.policy)),
                escape_data(&f.message)
            );
            self.counts[f.severity.index()] += 1;
            match f.severity {
                Severity::Critical => writeln!(out, "{line}")?,
                other => writeln!(self.held[other.index() - 1], "{line}")?,
            }
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, summary: &super::Summary) -> io::Result<()> {
        for held in &mut self.held {
            held.copy_to(out)?;
        }
        // A partial check is said where a reviewer looks (a notice on the run, not on a line).
        if let Some(modules) = super::modules_not_followed(summary) {
            writeln!(out, "::notice title=tripline::{}", escape_data(&modules))?;
        }
        // Critical and high are both errors.
        let [critical, high, medium, low] = self.counts;
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
