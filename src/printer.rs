//! Where `tripline check` sends a run's reports: one format, written as reports come to standard
//! output or to a file that appears only once it is complete; with `--verbose`, what was checked
//! on standard error; a progress bar on a terminal for long human-format runs.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use crate::file_report::{FileReport, Outcome, Skip};
use crate::output::AtomicFile;
use crate::project::Project;
use crate::report::{self, HumanOptions};
use crate::run::{Listener, RunOutcome};
use crate::shard::Shard;

/// What a [`Printer`] writes, and where.
#[derive(Clone, Debug)]
pub struct PrintOptions {
    /// The report's format.
    pub format: report::Format,
    /// How the human format looks.
    pub human: HumanOptions,
    /// The shard the run is (recorded in machine formats).
    pub shard: Option<Shard>,
    /// The report file (`None`: standard output).
    pub output: Option<PathBuf>,
    /// Say on standard error which configs govern which files and what was checked.
    pub verbose: bool,
    /// No notes on standard error.
    pub quiet: bool,
    /// SARIF's URI base and help pages.
    pub sarif: report::SarifOptions,
    /// More reports of the same run, each in its format to its file (`--also-report`): a
    /// pipeline checks once and gets SARIF, annotations and a summary from one result.
    pub also: Vec<(report::Format, PathBuf)>,
    /// The exit status does not fail on findings (`--exit-zero`): no advice for a failing run.
    pub exit_zero: bool,
    /// The files named on the command line, as reported: what is skipped of them is said.
    pub named_files: Vec<String>,
}

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {what}: {source}")]
pub struct PrintError {
    what: String,
    source: io::Error,
}

/// Where reports go as they come: the report in its format, and with --verbose what was checked.
pub struct Printer {
    reporter: Box<dyn report::Reporter>,
    out: Out,
    /// The `--also-report` reports.
    also: Vec<AlsoReport>,
    /// The first error writing the report (a closed pipe is not one: `| head` is fine).
    write_error: Option<io::Error>,
    closed: bool,
    verbose: bool,
    /// A progress bar on a terminal for long human-format runs; never in machine formats,
    /// which may be read from the same terminal.
    show_progress: bool,
    bar: indicatif::ProgressBar,
    skipped_binary: usize,
    skipped_other: usize,
    /// Links to templates the walk did not follow, as reported.
    skipped_links: Vec<String>,
    /// Whether the report itself says which module calls were not followed (human, github and
    /// markdown do; the machine formats carry a count, said on standard error too).
    report_says_modules: bool,
    output: Option<PathBuf>,
    quiet: bool,
    exit_zero: bool,
    named_files: Vec<String>,
}

impl Printer {
    /// A printer writing to `options.output` (created now, put in place by [`Printer::finish`]).
    pub fn new(options: PrintOptions) -> Result<Printer, PrintError> {
        let out = match &options.output {
            Some(path) => Out::File(AtomicFile::create(path).map_err(|source| PrintError {
                what: path.display().to_string(),
                source,
            })?),
            None => Out::Stdout(io::BufWriter::new(io::stdout())),
        };
        let mut also = Vec::new();
        for (format, path) in &options.also {
            let file = AtomicFile::create(path).map_err(|source| PrintError {
                what: path.display().to_string(),
                source,
            })?;
            let reporter = report::reporter(*format, &options.human, options.shard, &options.sarif);
            also.push(AlsoReport {
                reporter,
                out: Out::File(file),
                path: path.clone(),
                error: None,
            });
        }
        Ok(Printer {
            reporter: report::reporter(
                options.format,
                &options.human,
                options.shard,
                &options.sarif,
            ),
            out,
            also,
            write_error: None,
            closed: false,
            verbose: options.verbose,
            show_progress: options.format == report::Format::Human
                && !options.quiet
                && !options.verbose
                && io::stderr().is_terminal(),
            bar: indicatif::ProgressBar::hidden(),
            skipped_binary: 0,
            skipped_other: 0,
            skipped_links: Vec::new(),
            report_says_modules: matches!(
                options.format,
                report::Format::Human | report::Format::Github | report::Format::Markdown
            ),
            output: options.output,
            quiet: options.quiet,
            exit_zero: options.exit_zero,
            named_files: options.named_files,
        })
    }

    /// The progress bar (hidden unless the run is long and stderr a terminal): call `inc(1)`
    /// on it as each file is checked.
    pub fn progress(&self) -> indicatif::ProgressBar {
        self.bar.clone()
    }

    fn record(&mut self, result: io::Result<()>) {
        if let Err(e) = result {
            self.closed = true;
            if e.kind() != io::ErrorKind::BrokenPipe {
                self.write_error.get_or_insert(e);
            }
        }
    }

    /// The end of the report with the run's counts, and the report file put in place.
    pub fn finish(mut self, outcome: &RunOutcome) -> Result<(), PrintError> {
        self.bar.finish_and_clear();
        let summary = &outcome.summary;
        if summary.templates == 0 && !self.quiet {
            // A job pointed at the wrong directory should not look green without a word; the
            // exit code stays what the findings say.
            eprintln!(
                "note: no templates were checked ({} file{} skipped as not templates, {} could not be \
                 loaded); is this the right path?",
                summary.skipped,
                if summary.skipped == 1 { "" } else { "s" },
                summary.failed
            );
        }
        if self.verbose {
            eprintln!(
                "skipped: {} not templates, {} binary",
                self.skipped_other, self.skipped_binary
            );
        }
        if let Some(modules) = report::modules_not_followed(summary)
            && !self.report_says_modules
            && !self.quiet
        {
            eprintln!("note: {modules}");
        }
        if !self.skipped_links.is_empty() && !self.quiet {
            // Never in silence: a template behind a link is not checked.
            let n = self.skipped_links.len();
            let shown: Vec<&str> = self
                .skipped_links
                .iter()
                .take(5)
                .map(String::as_str)
                .collect();
            eprintln!(
                "note: {n} symbolic link{} to templates not followed: {}{} (--follow-links \
                 follows them)",
                if n == 1 { "" } else { "s" },
                shown.join(", "),
                if n > shown.len() { ", ..." } else { "" }
            );
        }
        if !self.closed {
            let result = self
                .reporter
                .finish(&mut self.out, summary)
                .and_then(|_| self.out.flush());
            self.record(result);
        }
        if self.write_error.is_none()
            && let Out::File(file) = std::mem::replace(&mut self.out, Out::Closed)
            && let Err(e) = file.commit()
        {
            self.write_error = Some(e);
        }
        for also in std::mem::take(&mut self.also) {
            also.finish(summary)?;
        }
        // A report written to a file is named, with its counts, so that a CI log that ends in
        // a failure says where to look; then, when the run fails, what to do next (also under
        // --quiet, the hook's mode). Both on standard error: standard output is the report's.
        if self.write_error.is_none()
            && let Some(path) = &self.output
        {
            eprintln!(
                "report: {} ({})",
                report::escape::line(&path.display().to_string()),
                report::summary_line(summary)
            );
        }
        if !self.exit_zero {
            for line in report::next_steps(summary, outcome.failing) {
                eprintln!("{line}");
            }
        }
        match self.write_error {
            Some(source) => Err(PrintError {
                what: match &self.output {
                    Some(path) => path.display().to_string(),
                    None => "report".to_string(),
                },
                source,
            }),
            None => Ok(()),
        }
    }
}

impl Listener for Printer {
    fn planned(&mut self, project: &Project, governed: &[usize]) {
        if self.verbose {
            let mut counts: Vec<(usize, usize)> = Vec::new();
            for &i in governed {
                match counts.iter_mut().find(|(j, _)| *j == i) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((i, 1)),
                }
            }
            counts.sort_unstable();
            verbose_scopes(project, &counts);
        }
        if self.show_progress && governed.len() >= 200 {
            let bar = &self.bar;
            bar.set_length(governed.len() as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {pos}/{len} files {wide_bar} {eta}",
                )
                .expect("valid progress template"),
            );
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
    }

    fn walking(&mut self, _project: &Project) {
        // The total is not known ahead: a spinner with the count, once the run is long.
        if self.show_progress {
            let bar = &self.bar;
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {pos} files checked")
                    .expect("valid progress template"),
            );
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
    }

    fn note(&mut self, note: &str) {
        if !self.quiet {
            self.bar
                .suspend(|| eprintln!("note: {}", report::escape::line(note)));
        }
    }

    fn walked(&mut self, project: &Project, files_by_scope: &[(usize, usize)]) {
        if self.verbose {
            verbose_scopes(project, files_by_scope);
        }
    }

    fn report(&mut self, report: &FileReport) {
        let bar = self.bar.clone();
        bar.suspend(|| {
            if self.verbose {
                match report.outcome {
                    Outcome::Checked(format) => {
                        eprintln!(
                            "checked {} ({})",
                            report::escape::line(&report.path),
                            format.name()
                        );
                        for note in &report.notes {
                            eprintln!(
                                "note: {}: {}",
                                report::escape::line(&report.path),
                                report::escape::line(note)
                            );
                        }
                    }
                    Outcome::Skipped(Skip::Binary) => self.skipped_binary += 1,
                    Outcome::Skipped(Skip::NotTemplate) => self.skipped_other += 1,
                    Outcome::Skipped(Skip::OtherTool) => {
                        self.skipped_other += 1;
                        for note in &report.notes {
                            eprintln!(
                                "skipped {}: {}",
                                report::escape::line(&report.path),
                                report::escape::line(note)
                            );
                        }
                    }
                    Outcome::Skipped(Skip::Link) => {
                        for note in &report.notes {
                            eprintln!(
                                "skipped {}: {}",
                                report::escape::line(&report.path),
                                report::escape::line(note)
                            );
                        }
                    }
                    Outcome::Failed => {
                        eprintln!("failed {}", report::escape::line(&report.path))
                    }
                    Outcome::Config => {}
                }
            }
            // A file named on the command line that is another tool's template is said to be
            // skipped, and why, without --verbose: the user asked for that file.
            if report.outcome == Outcome::Skipped(Skip::OtherTool)
                && !self.verbose
                && !self.quiet
                && self.named_files.contains(&report.path)
            {
                for note in &report.notes {
                    eprintln!(
                        "note: skipped {}: {}",
                        report::escape::line(&report.path),
                        report::escape::line(note)
                    );
                }
            }
            if report.outcome == Outcome::Skipped(Skip::Link) {
                self.skipped_links
                    .push(report::escape::line(&report.path).into_owned());
            }
            if !self.closed {
                let result = self.reporter.file(&mut self.out, report);
                self.record(result);
            }
            for also in &mut self.also {
                also.file(report);
            }
        });
    }
}

/// One more report of the run (`--also-report`), in its format, to its file.
struct AlsoReport {
    reporter: Box<dyn report::Reporter>,
    out: Out,
    path: PathBuf,
    /// The first error writing it: the file is then never put in place.
    error: Option<io::Error>,
}

impl AlsoReport {
    fn file(&mut self, report: &FileReport) {
        if self.error.is_none()
            && let Err(e) = self.reporter.file(&mut self.out, report)
        {
            self.error = Some(e);
        }
    }

    /// The end of the report, and the file put in place: complete or absent, never half.
    fn finish(mut self, summary: &report::Summary) -> Result<(), PrintError> {
        let written = match self.error.take() {
            Some(e) => Err(e),
            None => self
                .reporter
                .finish(&mut self.out, summary)
                .and_then(|_| self.out.flush())
                .and_then(|_| match self.out {
                    Out::File(file) => file.commit(),
                    _ => Ok(()),
                }),
        };
        written.map_err(|source| PrintError {
            what: self.path.display().to_string(),
            source,
        })
    }
}

/// Where a report goes: standard output, or a file that appears only once it is complete.
enum Out {
    Stdout(io::BufWriter<io::Stdout>),
    File(AtomicFile),
    Closed,
}

impl Write for Out {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Out::Stdout(w) => w.write(buf),
            Out::File(f) => f.write(buf),
            Out::Closed => Err(io::Error::other("report already written")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Out::Stdout(w) => w.flush(),
            Out::File(f) => f.flush(),
            Out::Closed => Ok(()),
        }
    }
}

/// With --verbose: which configs govern how many files (scope index, files), and their
/// region lists.
fn verbose_scopes(project: &Project, files_by_scope: &[(usize, usize)]) {
    for (i, scope) in project.scopes().iter().enumerate() {
        let files = files_by_scope
            .iter()
            .find(|(j, _)| *j == i)
            .map_or(0, |(_, n)| *n);
        if files == 0 {
            continue;
        }
        let config = scope
            .config_path()
            .map_or("none".to_string(), |p| p.display().to_string());
        let plural = if files == 1 { "" } else { "s" };
        eprintln!("config: {config} ({files} file{plural})");
        match &scope.engine.settings().allowed_regions {
            Some(r) => eprintln!("  allowed regions: {}", r.join(", ")),
            None => eprintln!(
                "  region policies are off: no allowed regions configured (--allowed-regions or \
                 allowed_regions in tripline.toml)"
            ),
        }
        eprintln!("  policies: {}", scope.engine.policies().len());
    }
}
