//! `path:line:col: severity ID message`, one finding per line: for editors' quickfix lists and
//! for grep.

use std::io::{self, Write};

use crate::file_report::FileReport;

pub(crate) struct ParseableReporter;

impl super::Reporter for ParseableReporter {
    fn file(&mut self, out: &mut dyn Write, report: &FileReport) -> io::Result<()> {
        for f in &report.findings {
            writeln!(
                out,
                "{}:{}:{}: {} {} {}",
                super::escape::line(&f.path),
                f.start.line,
                f.start.column,
                f.severity,
                f.policy,
                super::escape::line(&f.message.replace('\n', " "))
            )?;
        }
        Ok(())
    }

    fn finish(&mut self, _out: &mut dyn Write, _summary: &super::Summary) -> io::Result<()> {
        Ok(())
    }
}
