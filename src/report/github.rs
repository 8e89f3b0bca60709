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
/// held until the end. A closing plain line says how many were not shown.
#[derive(Default)]
pub(crate) struct GithubReporter {
    /// Commands by severity, indexed like [`Severity::ALL`].
    counts: [usize; 4],
    /// The commands of high, medium and low findings, held for the end.
    held: [Held; 3],
}

/// Lines held for the end of the report: in memory while they are few, in an anonymous
/// temporary file past [`Held::IN_MEMORY`] (210,000 annotations held as strings took 85 MiB).
#[derive(Default)]
struct Held {
    memory: Vec<u8>,
    file: Option<io::BufWriter<std::fs::File>>,
    /// No temporary file could be made: the lines stay in memory (the report is still whole).
    in_memory_only: bool,
}

impl Held {
    /// Bytes held in memory at most.
    const IN_MEMORY: usize = 1 << 20;

    fn push(&mut self, line: &str) -> io::Result<()> {
        if self.file.is_none()
            && !self.in_memory_only
            && self.memory.len() + line.len() > Self::IN_MEMORY
        {
            match tempfile::tempfile() {
                Ok(file) => {
                    let mut file = io::BufWriter::new(file);
                    file.write_all(&self.memory)?;
                    self.memory = Vec::new();
                    self.file = Some(file);
                }
                Err(_) => self.in_memory_only = true,
            }
        }
        match &mut self.file {
            Some(file) => writeln!(file, "{line}"),
            None => writeln!(self.memory, "{line}"),
        }
    }

    fn write_to(&mut self, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(&self.memory)?;
        if let Some(file) = self.file.take() {
            let mut file = file.into_inner().map_err(|e| e.into_error())?;
            io::Seek::rewind(&mut file)?;
            io::copy(&mut file, out)?;
        }
        Ok(())
    }
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
                other => self.held[other.index() - 1].push(&line)?,
            }
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, summary: &super::Summary) -> io::Result<()> {
        for held in &mut self.held {
            held.write_to(out)?;
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

#[cfg(test)]
mod tests {
    use super::Held;

    #[test]
    fn held_lines_come_back_in_order_from_memory_and_from_a_spilled_file() {
        for count in [3, 100_000] {
            let lines: Vec<String> = (0..count).map(|i| format!("::notice line {i}")).collect();
            let mut held = Held::default();
            for line in &lines {
                held.push(line).unwrap();
            }
            assert_eq!(
                held.file.is_some(),
                count > 3,
                "spilled past the bound only"
            );
            let mut out = Vec::new();
            held.write_to(&mut out).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), lines.join("\n") + "\n");
        }
    }
}
