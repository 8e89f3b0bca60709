//! Writing results: for people (`human`) and for machines (`json`).
//!
//! Every reporter receives the file reports already sorted by path, with findings sorted by
//! position, and prints nothing that depends on timing or thread count, so the same tree always
//! gives the same bytes.

pub mod github;
mod human;
pub mod json;
pub mod junit;
mod parseable;
pub mod sarif;

use std::io::{self, Write};

pub use human::HumanOptions;

use crate::engine::{FileReport, Outcome};
use crate::finding::{Finding, Severity};

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Junit,
    Github,
    Parseable,
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
    pub findings: usize,
    /// Findings per severity, indexed like [`Severity::ALL`] (critical first).
    pub by_severity: [usize; 4],
    /// Findings removed by suppressions.
    pub suppressed: usize,
    /// Set when a baseline was applied.
    pub baseline: Option<crate::baseline::BaselineStats>,
}

impl Summary {
    pub fn of(reports: &[FileReport]) -> Summary {
        let mut s = Summary::default();
        for r in reports {
            s.suppressed += r.suppressed;
            match r.outcome {
                Outcome::Checked(_) => s.templates += 1,
                Outcome::Skipped(_) => s.skipped += 1,
                Outcome::Failed => s.failed += 1,
                Outcome::Config => {}
            }
            if r.outcome != Outcome::Config {
                s.files += 1;
            }
            for f in &r.findings {
                s.findings += 1;
                let i = Severity::ALL.iter().position(|x| *x == f.severity).unwrap();
                s.by_severity[i] += 1;
            }
        }
        s
    }

    /// Findings at or above a severity.
    pub fn at_least(&self, threshold: Severity) -> usize {
        Severity::ALL
            .iter()
            .zip(self.by_severity)
            .filter(|(s, _)| **s >= threshold)
            .map(|(_, n)| n)
            .sum()
    }
}

/// All findings of a run, in report order.
pub fn findings(reports: &[FileReport]) -> impl Iterator<Item = &Finding> {
    reports.iter().flat_map(|r| r.findings.iter())
}

/// Write a run's results in `format`.
pub fn write(
    format: Format,
    out: &mut dyn Write,
    reports: &[FileReport],
    summary: &Summary,
    human: &HumanOptions,
) -> io::Result<()> {
    match format {
        Format::Human => human::write(out, reports, summary, human),
        Format::Json => json::write(out, reports, summary),
        Format::Sarif => sarif::write(out, reports),
        Format::Junit => junit::write(out, reports, summary),
        Format::Github => github::write(out, reports),
        Format::Parseable => parseable::write(out, reports),
    }
}
