//! JUnit XML, which most CI systems show as test results: one test suite per checked file, one
//! failing test case per finding, and a passing case for a template without findings.

use std::io::{self, Write};

use super::Summary;
use crate::engine::{FileReport, Outcome};
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
            // XML 1.0 forbids most control characters, even escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

pub fn write(out: &mut dyn Write, reports: &[FileReport], summary: &Summary) -> io::Result<()> {
    let shown: Vec<&FileReport> = reports
        .iter()
        .filter(|r| !matches!(r.outcome, Outcome::Skipped(_)))
        .collect();
    let tests: usize = shown.iter().map(|r| r.findings.len().max(1)).sum();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="tripline" tests="{tests}" failures="{}" errors="0">"#,
        summary.findings
    )?;
    for r in shown {
        let path = escape(&r.path);
        writeln!(
            out,
            r#"  <testsuite name="{path}" tests="{}" failures="{}" errors="0">"#,
            r.findings.len().max(1),
            r.findings.len()
        )?;
        if r.findings.is_empty() {
            writeln!(out, r#"    <testcase name="baseline" classname="{path}"/>"#)?;
        }
        for f in &r.findings {
            let title = policy::meta(f.policy).map_or("", |m| m.title);
            let name = match &f.resource {
                Some(res) => format!("{} {} ({}:{})", f.policy, res, f.start.line, f.start.column),
                None => format!("{} ({}:{})", f.policy, f.start.line, f.start.column),
            };
            writeln!(
                out,
                r#"    <testcase name="{}" classname="{path}">"#,
                escape(&name)
            )?;
            writeln!(
                out,
                r#"      <failure type="{}" message="{}">{}:{}:{}: {} {} [{}] {}&#10;{}</failure>"#,
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
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}
