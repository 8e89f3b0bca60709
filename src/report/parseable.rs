//! `path:line:col: severity ID message`, one finding per line: for editors' quickfix lists and
//! for grep.

use std::io::{self, Write};

use crate::engine::FileReport;

pub fn write(out: &mut dyn Write, reports: &[FileReport]) -> io::Result<()> {
    for f in super::findings(reports) {
        writeln!(
            out,
            "{}:{}:{}: {} {} {}",
            f.path,
            f.start.line,
            f.start.column,
            f.severity,
            f.policy,
            f.message.replace('\n', " ")
        )?;
    }
    Ok(())
}
