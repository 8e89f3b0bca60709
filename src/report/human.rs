//! The human format: each finding rendered by miette with the offending snippet underlined, the
//! policy, the message and what to do about it; then a summary.

use std::fmt;
use std::io::{self, Write};

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};

use super::Summary;
use crate::file_report::FileReport;
use crate::finding::{Finding, Severity};
use crate::policy;

#[derive(Clone, Debug, Default)]
/// How the human report looks.
pub struct HumanOptions {
    /// ANSI colours.
    pub color: bool,
    /// Terminal width for wrapping; `None` for a fixed default (deterministic output).
    pub width: Option<usize>,
    /// Leave out the summary line (quiet mode).
    pub quiet: bool,
}

/// The finding's excerpt as a miette source: the lines around the finding, numbered as in the
/// file.
struct ExcerptSource<'f> {
    finding: &'f Finding,
    /// The path and excerpt with control characters shown escaped.
    path: String,
    text: String,
}

impl SourceCode for ExcerptSource<'_> {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let excerpt = &self.finding.excerpt;
        let inner = self.text.read_span(span, before, after)?;
        // A window cut from a long line starts at a column of its own.
        let column = if inner.line() == 0 {
            inner.column() + excerpt.first_column.max(1) as usize - 1
        } else {
            inner.column()
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.path.clone(),
            inner.data(),
            *inner.span(),
            inner.line() + excerpt.first_line as usize - 1,
            column,
            inner.line_count(),
        )))
    }
}

struct Rendered<'f> {
    finding: &'f Finding,
    source: ExcerptSource<'f>,
    help: Option<String>,
    /// The message with control characters shown escaped.
    message: String,
    /// The label's start and length in the escaped excerpt.
    label: (usize, usize),
    /// ANSI colours are on.
    color: bool,
    /// The width the report wraps at: the title line is cut to it.
    width: usize,
}

impl<'f> Rendered<'f> {
    /// Everything taken from input (path, message, excerpt) is escaped before it reaches the
    /// terminal; the label is moved to where its text is in the escaped excerpt.
    fn new(f: &'f Finding, color: bool, width: usize) -> Rendered<'f> {
        let text_len = f.excerpt.text.len();
        let start = (f.span.start.saturating_sub(f.excerpt.offset) as usize).min(text_len);
        let len = f.span.len().min(text_len - start);
        let (text, map) = super::escape::lines_with_map(&f.excerpt.text);
        let label = match &map {
            Some(map) => (map[start], map[start + len] - map[start]),
            None => (start, len),
        };
        Rendered {
            finding: f,
            source: ExcerptSource {
                finding: f,
                path: super::escape::line(&f.path).into_owned(),
                text: text.into_owned(),
            },
            help: with_related(help_for(f), f),
            message: super::escape::line(&f.message).into_owned(),
            label,
            color,
            width,
        }
    }
}

impl fmt::Debug for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Rendered<'_> {}

impl Diagnostic for Rendered<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        // A Guard rule's title comes from its rule file: escaped like any other input text.
        let title = policy::meta(self.finding.policy).map_or("", |m| m.title);
        let title = super::escape::line(title);
        // The title line is the one miette does not wrap: cut it to the width.
        let tag = severity_tag(self.finding.severity, false);
        let room = self
            .width
            .saturating_sub(self.finding.policy.chars().count() + tag.chars().count() + 2);
        let title = if title.chars().count() > room {
            let cut: String = title.chars().take(room.saturating_sub(1)).collect();
            format!("{}…", cut.trim_end())
        } else {
            title.into_owned()
        };
        Some(Box::new(format!(
            "{} {} {}",
            self.finding.policy,
            severity_tag(self.finding.severity, self.color),
            title
        )))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Critical | Severity::High => miette::Severity::Error,
            Severity::Medium => miette::Severity::Warning,
            Severity::Low => miette::Severity::Advice,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let f = self.finding;
        let (start, len) = self.label;
        let label = if f.resource.is_some() && !f.span.is_empty() {
            Some("here".to_string())
        } else {
            None
        };
        Some(Box::new(std::iter::once(LabeledSpan::new(
            label, start, len,
        ))))
    }
}

/// How a finding's severity is shown: critical stands apart from high (which miette colours
/// alike, as errors) in capitals, and with colour on a red background.
fn severity_tag(severity: Severity, color: bool) -> String {
    match (severity, color) {
        (Severity::Critical, true) => "\x1b[1;97;41m[CRITICAL]\x1b[0m".to_string(),
        (Severity::Critical, false) => "[CRITICAL]".to_string(),
        (Severity::High, true) => "\x1b[1;31m[high]\x1b[0m".to_string(),
        (other, _) => format!("[{other}]"),
    }
}

/// The help, then one line per related place (`the planned value: plan.json:40:7`).
fn with_related(help: Option<String>, f: &Finding) -> Option<String> {
    if f.related.is_empty() {
        return help;
    }
    let mut lines: Vec<String> = help.into_iter().collect();
    for r in &f.related {
        lines.push(format!(
            "{}: {}:{}:{}",
            super::escape::line(&r.message),
            super::escape::line(&r.path),
            r.start.line,
            r.start.column
        ));
    }
    Some(lines.join("\n"))
}

/// The first paragraph of a policy's remediation in the words of the finding's format, as a
/// one-line help.
fn help_for(f: &Finding) -> Option<String> {
    let meta = policy::meta(f.policy)?;
    let remediation = meta.remediation_for(f.is_terraform());
    let first = remediation.split("\n\n").next()?.trim();
    let help = first.split_whitespace().collect::<Vec<_>>().join(" ");
    Some(super::escape::line(&help).into_owned())
}

/// Renders each finding with miette as its file comes, then the summary line.
pub(crate) struct HumanReporter {
    handler: GraphicalReportHandler,
    quiet: bool,
    color: bool,
    width: usize,
}

impl HumanReporter {
    pub fn new(opts: &HumanOptions) -> HumanReporter {
        let theme = if opts.color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        HumanReporter {
            handler: GraphicalReportHandler::new_themed(theme)
                .with_width(opts.width.unwrap_or(100))
                .with_context_lines(1)
                .with_links(false)
                // Lines break at spaces only: Unicode's line-breaking rules (textwrap's default)
                // also break after `-`, `/` and `:`, splitting what a reader copies whole
                // (`eu-west-1`, `access-analyzer:DeleteAnalyzer`, an ARN, `path/file.tf:1:25`),
                // and finding those breaks was a quarter of rendering a report.
                .with_word_separator(textwrap::WordSeparator::AsciiSpace)
                .with_word_splitter(textwrap::WordSplitter::NoHyphenation),
            quiet: opts.quiet,
            color: opts.color,
            width: opts.width.unwrap_or(100),
        }
    }
}

impl super::Reporter for HumanReporter {
    fn file(&mut self, out: &mut dyn Write, report: &FileReport) -> io::Result<()> {
        for f in &report.findings {
            let diag = Rendered::new(f, self.color, self.width);
            let mut s = String::new();
            self.handler
                .render_report(&mut s, &diag)
                .map_err(|_| io::Error::other("could not render a diagnostic"))?;
            writeln!(out, "{s}")?;
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, summary: &Summary) -> io::Result<()> {
        if !self.quiet {
            writeln!(out, "{}", summary_line(summary))?;
        }
        Ok(())
    }
}

pub(crate) fn summary_line(s: &Summary) -> String {
    let counts: Vec<String> = Severity::ALL
        .iter()
        .zip(s.by_severity)
        .filter(|(_, n)| *n > 0)
        .map(|(sev, n)| format!("{n} {sev}"))
        .collect();
    let findings = if s.findings == 0 {
        "no findings".to_string()
    } else {
        format!(
            "{} finding{} ({})",
            s.findings,
            if s.findings == 1 { "" } else { "s" },
            counts.join(", ")
        )
    };
    // What was not checked, when something was not: the line fits a terminal that way.
    let mut not_checked = Vec::new();
    if s.skipped > 0 {
        not_checked.push(format!(
            "{} file{} skipped as not templates",
            s.skipped,
            if s.skipped == 1 { "" } else { "s" }
        ));
    }
    if s.failed > 0 {
        not_checked.push(format!("{} could not be loaded", s.failed));
    }
    let mut line = format!(
        "{findings} in {} template{} checked",
        s.templates,
        if s.templates == 1 { "" } else { "s" },
    );
    if !not_checked.is_empty() {
        line.push_str(&format!(" ({})", not_checked.join(", ")));
    }
    if s.suppressed > 0 {
        line.push_str(&format!("; {} suppressed", s.suppressed));
    }
    if let Some(modules) = super::modules_not_followed(s) {
        line.push_str(&format!("; {modules}"));
    }
    if let Some(b) = s.baseline {
        line.push_str(&format!(
            "; baseline: {} known finding{} not shown, {} fixed",
            b.known,
            if b.known == 1 { "" } else { "s" },
            b.fixed
        ));
    }
    line
}
