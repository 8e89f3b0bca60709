//! Text a report holds until its end (JUnit's test suites, which follow totals known only at
//! the end; GitHub's annotations, written most severe first): in memory while it is small, in
//! an anonymous temporary file past [`IN_MEMORY`] bytes, and in memory again when no temporary
//! file can be made (the report is whole either way, only larger).

use std::io::{self, Seek, Write};

/// Bytes held in memory before they go to a temporary file.
const IN_MEMORY: usize = 1 << 20;

#[derive(Default)]
pub(super) struct Spool {
    memory: Vec<u8>,
    file: Option<io::BufWriter<std::fs::File>>,
    /// No temporary file could be made: everything stays in memory.
    in_memory_only: bool,
}

impl Spool {
    /// Move what memory holds to a temporary file once it holds enough.
    fn spill_if_full(&mut self) -> io::Result<()> {
        if self.file.is_some() || self.in_memory_only || self.memory.len() < IN_MEMORY {
            return Ok(());
        }
        match tempfile::tempfile() {
            Ok(file) => {
                let mut file = io::BufWriter::new(file);
                file.write_all(&self.memory)?;
                self.memory = Vec::new();
                self.file = Some(file);
            }
            Err(_) => self.in_memory_only = true,
        }
        Ok(())
    }

    /// Write everything held to `out`, in the order it came, and hold nothing more.
    pub(super) fn copy_to(&mut self, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(&std::mem::take(&mut self.memory))?;
        if let Some(file) = self.file.take() {
            let mut file = file.into_inner().map_err(|e| e.into_error())?;
            file.rewind()?;
            io::copy(&mut file, out)?;
        }
        Ok(())
    }

    /// Whether what is held is in a temporary file.
    #[cfg(test)]
    fn spilled(&self) -> bool {
        self.file.is_some()
    }
}

impl Write for Spool {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.spill_if_full()?;
        match &mut self.file {
            Some(file) => file.write(buf),
            None => self.memory.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.file {
            Some(file) => file.flush(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_lines_come_back_in_order_from_memory_and_from_a_spilled_file() {
        for count in [3, 100_000] {
            let lines: Vec<String> = (0..count).map(|i| format!("::notice line {i}")).collect();
            let mut spool = Spool::default();
            for line in &lines {
                writeln!(spool, "{line}").unwrap();
            }
            assert_eq!(spool.spilled(), count > 3, "spilled past the bound only");
            let mut out = Vec::new();
            spool.copy_to(&mut out).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), lines.join("\n") + "\n");
            assert!(
                !spool.spilled() && spool.memory.is_empty(),
                "nothing held after"
            );
        }
    }
}
