//! JUnit XML, which most CI systems show as test results: one test suite per checked file, one
//! failing test case per finding, and a passing case for a template without findings.
//!
//! Test history tools key on names, so a case's name is the policy and the resource
//! (`LOG009 Data`), never a line number that moves with every edit; a second finding of the same
//! policy on the same resource is `LOG001 Trail #2`. Findings that say the file could not be
//! read as a template (`PARSE*`, `IO001`, `EVAL001`, `INTERNAL001`) are `<error>`s, not
//! `<failure>`s. `time` is `0`, as linters' JUnit reports write it: a check has no duration of
//! its own, and the report stays the same bytes on every run.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::Summary;
use crate::file_report::{FileReport, Outcome};
use crate::policy;

/// Escape text for XML attributes and content.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters, even escaped: they are shown visibly.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t')
                || (0x7F..=0x9F).contains(&(c as u32)) =>
            {
                out.push_str(&super::escape::line(&c.to_string()))
            }
            // Not XML characters either (XML 1.0 `Char` ends at U+FFFD): shown visibly.
            '\u{FFFE}' | '\u{FFFF}' => {
                write!(out, "\\u{{{:04x}}}", c as u32).expect("writing to a string")
            }
            c => out.push(c),
        }
    }
    out
}

/// JUnit's root element carries the totals, which are known only at the end: the test suites
/// are spooled as files are checked (see `spool`), then copied out after the header.
#[derive(Default)]
pub(crate) struct JunitReporter {
    spool: super::spool::Spool,
    tests: usize,
    failures: usize,
    errors: usize,
}

/// Whether a finding says the file could not be checked as written (an error of the run, not a
/// failed check): the engine's diagnostics other than the config's own (SUPP*).
fn is_error(policy_id: &str) -> bool {
    policy::meta(policy_id).is_some_and(|m| m.family == policy::Family::Engine)
        && !policy_id.starts_with("SUPP")
}

impl super::Reporter for JunitReporter {
    fn file(&mut self, _out: &mut dyn Write, r: &FileReport) -> io::Result<()> {
        if matches!(r.outcome, Outcome::Skipped(_)) {
            return Ok(());
        }
        let errors = r.findings.iter().filter(|f| is_error(f.policy)).count();
        let failures = r.findings.len() - errors;
        self.tests += r.findings.len().max(1);
        self.failures += failures;
        self.errors += errors;
        let out = &mut self.spool;
        // A newline in a file name must not start a line of its own in a CI log.
        let path = escape(&super::escape::line(&r.path));
        writeln!(
            out,
            r#"  <testsuite name="{path}" tests="{}" failures="{failures}" errors="{errors}" time="0">"#,
            r.findings.len().max(1),
        )?;
        if r.findings.is_empty() {
            writeln!(
                out,
                r#"    <testcase name="baseline" classname="{path}" time="0"/>"#
            )?;
        }
        let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for f in &r.findings {
            let title = policy::meta(f.policy).map_or("", |m| m.title);
            let mut name = match &f.resource {
                Some(res) => format!("{} {}", f.policy, res),
                None => f.policy.to_string(),
            };
            let n = seen.entry(name.clone()).or_default();
            *n += 1;
            if *n > 1 {
                name = format!("{name} #{n}");
            }
            writeln!(
                out,
                r#"    <testcase name="{}" classname="{path}" time="0">"#,
                escape(&name)
            )?;
            let element = if is_error(f.policy) {
                "error"
            } else {
                "failure"
            };
            writeln!(
                out,
                r#"      <{element} type="{}" message="{}">{}:{}:{}: {} {} [{}] {}&#10;{}</{element}>"#,
                f.policy,
                escape(&f.message),
                path,
                f.start.line,
                f.start.column,
                f.severity,
                f.policy,
                escape(title),
                escape(&f.message),
                escape(&f.excerpt.lines(f.start.line, f.end.line.max(f.start.line)))
            )?;
            writeln!(out, "    </testcase>")?;
        }
        writeln!(out, "  </testsuite>")
    }

    fn finish(&mut self, out: &mut dyn Write, _summary: &Summary) -> io::Result<()> {
        writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
        writeln!(
            out,
            r#"<testsuites name="tripline" tests="{}" failures="{}" errors="{}" time="0">"#,
            self.tests, self.failures, self.errors
        )?;
        self.spool.copy_to(out)?;
        writeln!(out, "</testsuites>")
    }
}
