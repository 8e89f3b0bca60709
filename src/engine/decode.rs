//! The first stage: read a file and decode it to text. A file that is too large, binary, not
//! UTF-8 or in UTF-16 is told apart here, and a panic in the later stages is caught here, so
//! that each becomes a finding of its file and never stops the others.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Arc;

use crate::file_report::{FileReport, Outcome, Skip};
use crate::model::looks_like_template;
use crate::parse::decode_utf16;
use crate::policy::RawFinding;
use crate::source::Span;

use super::Engine;

/// Bytes sniffed for NUL to tell binary files from text.
const BINARY_SNIFF_BYTES: usize = 8192;

impl Engine {
    /// Check a file on disk. `display` is the path as reported.
    pub fn check_path(&self, path: &Path, display: &str) -> FileReport {
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => return self.io_failure(display, format!("cannot read file: {e}")),
        };
        if meta.is_dir() {
            return self.io_failure(display, "is a directory, not a file".to_string());
        }
        // FIFOs, sockets and devices could block a read forever or never end.
        if !meta.is_file() {
            return self.io_failure(
                display,
                "is not a regular file (a pipe, socket or device)".to_string(),
            );
        }
        if meta.len() > self.options.max_file_size {
            return self.io_failure(
                display,
                format!(
                    "file is {} bytes, over the {}-byte limit (--max-file-size)",
                    meta.len(),
                    self.options.max_file_size
                ),
            );
        }
        match std::fs::read(path) {
            Ok(bytes) => self.check_bytes_at(display, &bytes, Some(path)),
            Err(e) => self.io_failure(display, format!("cannot read file: {e}")),
        }
    }

    /// A report for a file that could not be read (IO001).
    pub(crate) fn io_failure(&self, display: &str, message: String) -> FileReport {
        let finding = self.finding(
            &self.selection,
            &Arc::from(display),
            "",
            None,
            RawFinding {
                elsewhere: Default::default(),
                policy: "IO001",
                span: Span::empty(0),
                message: message.into(),
                resource: None,
                fix: None,
                related: Default::default(),
            },
        );
        let mut report = FileReport::new(display, Outcome::Failed, 0);
        report.findings.push(finding);
        report
    }

    /// The report of a symbolic link to a template that the walk did not follow (`target`:
    /// where it points): skipped, and says so.
    pub(crate) fn link_not_followed(&self, display: &str, target: &str) -> FileReport {
        let mut report = FileReport::new(display, Outcome::Skipped(Skip::Link), 0);
        report.notes.push(format!(
            "a symbolic link to `{target}`, not read: links may point outside the tree \
             (`--follow-links` follows them; a link named on the command line is read)"
        ));
        report
    }

    /// Check file contents. `display` is the path as reported (its name helps recognize
    /// `*.tf.json`).
    pub fn check_bytes(&self, display: &str, bytes: &[u8]) -> FileReport {
        self.check_bytes_at(display, bytes, None)
    }

    /// [`Engine::check_bytes`] for the contents of the file at `origin` (an editor's unsaved
    /// buffer, say): a Terraform file is checked with the other files of its directory, as
    /// Terraform loads them.
    pub(crate) fn check_bytes_at(
        &self,
        display: &str,
        bytes: &[u8],
        origin: Option<&Path>,
    ) -> FileReport {
        let report = self.decode_and_check(display, bytes, origin);
        // Hashed only when there is something to fix (most reports have no fix).
        if report.findings.iter().any(|f| f.fix.is_some()) {
            let content = crate::file_report::content_hash(bytes);
            return report.with_fixes_from(content);
        }
        report
    }

    /// [`Engine::check_bytes_at`] before its fixes are marked with the bytes they are for.
    fn decode_and_check(&self, display: &str, bytes: &[u8], origin: Option<&Path>) -> FileReport {
        let mut report = FileReport::new(
            display,
            Outcome::Skipped(Skip::NotTemplate),
            bytes.len() as u64,
        );
        if bytes.len() as u64 > self.options.max_file_size {
            return self.io_failure(
                display,
                format!(
                    "input is {} bytes, over the {}-byte limit (--max-file-size)",
                    bytes.len(),
                    self.options.max_file_size
                ),
            );
        }
        // A UTF-8 byte-order mark is not part of the text: positions, excerpts and fingerprints
        // are those of the same file without it (editors do not count it either).
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        if let Some((decoded, encoding)) = decode_utf16(bytes) {
            return self.check_utf16(display, report, decoded, encoding, origin);
        }
        if memchr::memchr(0, &bytes[..bytes.len().min(BINARY_SNIFF_BYTES)]).is_some() {
            report.outcome = Outcome::Skipped(Skip::Binary);
            return report;
        }
        let name = display.rsplit('/').next().unwrap_or(display);
        if !looks_like_template(bytes, name) {
            return report;
        }
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let valid = &bytes[..e.valid_up_to()];
                // The valid prefix is UTF-8, so positions up to the bad byte are exact.
                let prefix = std::str::from_utf8(valid).unwrap_or_default();
                let raw = RawFinding {
                    elsewhere: Default::default(),
                    policy: "PARSE004",
                    span: Span::new(prefix.len(), prefix.len()),
                    message: format!(
                        "invalid UTF-8 byte 0x{:02X}; the file must be UTF-8",
                        bytes[e.valid_up_to()]
                    )
                    .into(),
                    resource: None,
                    fix: None,
                    related: Default::default(),
                };
                report.findings.push(self.finding(
                    &self.selection,
                    &Arc::from(display),
                    prefix,
                    None,
                    raw,
                ));
                report.outcome = Outcome::Failed;
                return report;
            }
        };
        self.check_str(display, name, text, report, origin)
    }

    /// A UTF-16 file is decoded and checked like any other (positions are those of the decoded
    /// text, in lines and characters as an editor shows them), with a PARSE004 finding saying
    /// that it is not UTF-8: CloudFormation and Terraform read templates as UTF-8.
    fn check_utf16(
        &self,
        display: &str,
        report: FileReport,
        decoded: Result<String, usize>,
        encoding: &'static str,
        origin: Option<&Path>,
    ) -> FileReport {
        let name = display.rsplit('/').next().unwrap_or(display);
        let text = match decoded {
            Ok(text) => text,
            Err(unit) => {
                let raw = RawFinding {
                    elsewhere: Default::default(),
                    policy: "PARSE004",
                    span: Span::empty(0),
                    message: format!(
                        "the file is {encoding} with an unpaired surrogate at code unit {unit}; \
                         templates must be UTF-8"
                    )
                    .into(),
                    resource: None,
                    fix: None,
                    related: Default::default(),
                };
                let mut report = report;
                report.findings = self.finish(&self.selection, display, "", vec![raw]);
                report.outcome = Outcome::Failed;
                return report;
            }
        };
        if !looks_like_template(text.as_bytes(), name) {
            // Named or walked, a UTF-16 file that is no template is skipped as any other text.
            return report;
        }
        let mut checked = self.check_str(display, name, &text, report, origin);
        let raw = RawFinding {
            elsewhere: Default::default(),
            policy: "PARSE004",
            span: Span::empty(0),
            message: format!(
                "the file is {encoding}, not UTF-8: it was decoded and checked, but \
                 CloudFormation and Terraform read templates as UTF-8; re-encode it"
            )
            .into(),
            resource: None,
            fix: None,
            related: Default::default(),
        };
        let mut findings = self.finish(&self.selection, display, &text, vec![raw]);
        findings.append(&mut checked.findings);
        findings.sort_by(|a, b| (a.start, a.policy).cmp(&(b.start, b.policy)));
        checked.findings = findings;
        checked
    }

    /// Check decoded text: the part of [`Engine::check_bytes`] after decoding.
    fn check_str(
        &self,
        display: &str,
        name: &str,
        text: &str,
        mut report: FileReport,
        origin: Option<&Path>,
    ) -> FileReport {
        debug_assert_eq!(report.path, display);
        let bytes = text.as_bytes();
        // NUL bytes past the binary sniff: libyaml would reject the whole stream without a
        // useful position, so report the first one exactly.
        if let Some(at) = memchr::memchr(0, bytes) {
            let raw = RawFinding {
                elsewhere: Default::default(),
                policy: "PARSE001",
                span: Span::empty(at),
                message: "NUL byte in a text file (binary data, or a file in a UTF-16 encoding?)"
                    .to_string()
                    .into(),
                resource: None,
                fix: None,
                related: Default::default(),
            };
            report.findings = self.finish(&self.selection, display, text, vec![raw]);
            report.outcome = Outcome::Failed;
            return report;
        }
        crate::fault::set_checking(true);
        let size = report.bytes;
        let result = catch_unwind(AssertUnwindSafe(|| {
            self.check_text(report, name, text, origin)
        }));
        crate::fault::set_checking(false);
        match result {
            Ok(checked) => checked,
            Err(payload) => {
                let what = crate::fault::panic_message(payload.as_ref());
                let raw = RawFinding {
                    elsewhere: Default::default(),
                    policy: "INTERNAL001",
                    span: Span::empty(0),
                    message: format!("internal error while checking this file: {what}").into(),
                    resource: None,
                    fix: None,
                    related: Default::default(),
                };
                // The report went with the panic: a new one, the same file's.
                let mut failed = FileReport::new(display, Outcome::Failed, size);
                failed.findings =
                    vec![self.finding(&self.selection, &Arc::from(display), text, None, raw)];
                failed
            }
        }
    }
}
