//! The `tripline` command line: argument parsing and output plumbing over the library.
//!
//! Exit codes (stable): 0 no findings at or above `--fail-on`; 1 findings at or above it;
//! 2 usage, configuration or internal error.

use std::collections::{HashMap, HashSet};
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand, ValueEnum};

use tripline::Work;
use tripline::baseline::{self, Baseline, BaselineFilter};
use tripline::config::Config;
use tripline::engine::{Engine, EngineOptions, FileReport, Flags, Outcome, Skip};
use tripline::finding::Severity;
use tripline::output::AtomicFile;
use tripline::policy;
use tripline::project::{ConfigChoice, Project, Scope};
use tripline::report::{self, HumanOptions, Summary};
use tripline::shard::{self, ReportOrigin, Shard};
use tripline::walk::{self, WalkOptions};

const EXIT_CLEAN: u8 = 0;
const EXIT_FINDINGS: u8 = 1;
const EXIT_ERROR: u8 = 2;

#[derive(Parser)]
#[command(
    name = "tripline",
    version,
    about = "Check CloudFormation and Terraform templates against a security baseline, offline.",
    after_help = "Exit codes: 0 no findings at or above --fail-on, 1 findings, 2 usage or internal error."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check templates under the given paths (default: the current directory).
    Check(Box<CheckArgs>),
    /// List the policies.
    Rules(RulesArgs),
    /// Print a policy's documentation (a Guard rule's: its text).
    Explain {
        /// Policy ID, e.g. LOG001 or GUARD/cloudtrail/trail_multi_region.
        id: String,
        /// Guard rule files or directories to look the ID up in (repeatable).
        #[arg(long, value_name = "PATH")]
        rules: Vec<PathBuf>,
    },
    /// Run Guard rule unit tests (the YAML test files `cfn-guard test` reads), with
    /// `cfn-guard test`'s report and exit codes (0 all pass, 7 a test failed, 1 or 5 an error).
    TestRules {
        /// The rule file to test.
        #[arg(
            long,
            value_name = "FILE",
            conflicts_with = "dir",
            required_unless_present = "dir"
        )]
        rules_file: Option<PathBuf>,
        /// The test file or directory of test files for --rules-file.
        #[arg(long, value_name = "PATH", requires = "rules_file")]
        test_data: Option<PathBuf>,
        /// A directory of rule files with their tests (`x.guard` and `tests/x_tests.yaml`).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Print every rule's result, not only the failures.
        #[arg(short, long)]
        verbose: bool,
    },
    /// Run the language server on standard input and output (for editors).
    Lsp,
    /// Combine the JSON or SARIF reports of `check --shard` runs into one report, identical to
    /// the report of a single run over all shards.
    Merge {
        /// The shard reports (all JSON or all SARIF).
        #[arg(required = true)]
        reports: Vec<PathBuf>,
        /// Write the merged report to this file instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Lowest severity that makes the exit code 1, as for `check`.
        #[arg(long, value_enum, value_name = "SEVERITY", default_value = "low")]
        fail_on: SeverityArg,
        /// Exit 0 even when the merged report has findings (errors still exit 2).
        #[arg(long)]
        exit_zero: bool,
    },
    /// Write a commented starter tripline.toml.
    Init {
        /// Where to write it.
        #[arg(default_value = "tripline.toml")]
        path: PathBuf,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    Human,
    Json,
    Sarif,
    Junit,
    Github,
    Parseable,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, ValueEnum)]
enum SeverityArg {
    Low,
    Medium,
    High,
    Critical,
}

impl From<SeverityArg> for Severity {
    fn from(s: SeverityArg) -> Severity {
        match s {
            SeverityArg::Low => Severity::Low,
            SeverityArg::Medium => Severity::Medium,
            SeverityArg::High => Severity::High,
            SeverityArg::Critical => Severity::Critical,
        }
    }
}

#[derive(Args)]
struct CheckArgs {
    /// Files or directories to check; `-` reads one template from standard input.
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: OutputFormat,
    /// Write the report to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Lowest severity that makes the exit code 1 [default: low, or the config's fail_on].
    #[arg(long, value_enum, value_name = "SEVERITY")]
    fail_on: Option<SeverityArg>,
    /// Worker threads (default: one per CPU).
    #[arg(short = 'j', long, value_name = "N")]
    threads: Option<usize>,
    /// Only check files matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    include: Vec<String>,
    /// Skip files and directories matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Comma-separated Regions infrastructure may run in; turns the region policies on.
    #[arg(long, value_name = "REGIONS", value_delimiter = ',')]
    allowed_regions: Option<Vec<String>>,
    /// Only run these policies: IDs, ID prefixes or families, comma-separated.
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    select: Vec<String>,
    /// Do not run these policies: IDs, ID prefixes or families, comma-separated.
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    ignore: Vec<String>,
    /// Use this config file instead of searching for tripline.toml.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<PathBuf>,
    /// Do not read any config file.
    #[arg(long)]
    no_config: bool,
    /// Name to report for the template read from standard input.
    #[arg(long, value_name = "NAME")]
    stdin_filename: Option<String>,
    /// Also check hidden files and directories.
    #[arg(long)]
    hidden: bool,
    /// Do not honour .gitignore, .ignore and .triplineignore files.
    #[arg(long)]
    no_ignore: bool,
    /// Accept Regions in --allowed-regions that tripline does not know yet.
    #[arg(long)]
    allow_unknown_regions: bool,
    /// Follow symbolic links to directories and files (loops are detected and reported);
    /// without it, links met in the walk are not read (a file named on the command line is).
    #[arg(long)]
    follow_links: bool,
    /// Largest file loaded, in bytes; larger ones are reported as IO001.
    #[arg(long, value_name = "BYTES", default_value_t = 100 * 1024 * 1024)]
    max_file_size: u64,
    /// Load and recognize templates without running policies (for measuring parse cost).
    #[arg(long, hide = true)]
    parse_only: bool,
    /// When to color human output.
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorChoice,
    /// Print what was checked and skipped to standard error.
    #[arg(short, long)]
    verbose: bool,
    /// Print only findings (no summary line).
    #[arg(short, long)]
    quiet: bool,
    /// Report only findings that are not in this baseline file (and count fixed ones).
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Record the current findings as the accepted baseline in this file.
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
    /// Report suppressions that give no reason (SUPP002).
    #[arg(long)]
    require_suppression_reason: bool,
    /// Exit 0 even when there are findings (errors still exit 2).
    #[arg(long)]
    exit_zero: bool,
    /// Guard rule file, or directory of `.guard`/`.ruleset` files, to run beside the built-in
    /// policies (repeatable; added to the config's `rules`).
    #[arg(long, value_name = "PATH")]
    rules: Vec<PathBuf>,
    /// Check only shard K of N (1-based), chosen by a stable hash of each path, to spread a
    /// large tree over CI jobs; combine the shards' reports with `tripline merge`.
    #[arg(long, value_name = "K/N", value_parser = Shard::parse)]
    shard: Option<Shard>,
}

#[derive(Args)]
struct RulesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: RulesFormat,
    /// Also list the rules of these Guard rule files or directories (repeatable).
    #[arg(long, value_name = "PATH")]
    rules: Vec<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum RulesFormat {
    Table,
    Json,
    /// The policy reference as Markdown (what `docs/policies.md` holds).
    Markdown,
}

// mimalloc instead of the system allocator: parsing and Guard's evaluation allocate and free
// small values at a high rate; glibc's malloc/free were ~40% of a Guard run's profile, and a
// Guard run takes ~45% less CPU with mimalloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => check(*args),
        Command::Rules(args) => rules(args),
        Command::Explain { id, rules } => explain(&id, &rules),
        Command::TestRules {
            rules_file,
            test_data,
            dir,
            verbose,
        } => tripline::guard::test_rules(
            rules_file.as_deref(),
            test_data.as_deref(),
            dir.as_deref(),
            verbose,
        )
        .map(|code| u8::try_from(code).unwrap_or(EXIT_ERROR)),
        Command::Init { path, force } => init(&path, force),
        Command::Merge {
            reports,
            output,
            fail_on,
            exit_zero,
        } => merge(&reports, output.as_deref(), fail_on.into(), exit_zero),
        Command::Lsp => tripline::lsp::serve_stdio()
            .map(|_| EXIT_CLEAN)
            .map_err(|e| e.to_string()),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn check(args: CheckArgs) -> Result<u8, String> {
    tripline::engine::quiet_panics_during_checks();
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let reads_stdin = paths.iter().any(|p| p.as_os_str() == "-");
    if reads_stdin && paths.len() > 1 {
        return Err("`-` (standard input) cannot be combined with other paths".into());
    }
    for p in &paths {
        if p.as_os_str() != "-" && !p.exists() {
            return Err(format!("{}: no such file or directory", p.display()));
        }
    }

    check_output_paths(&args, &paths)?;
    if let Some(regions) = &args.allowed_regions {
        policy::regions::validate(regions, args.allow_unknown_regions)
            .map_err(|e| format!("--allowed-regions: {e}"))?;
    }
    // Read and validate the rule files before anything is checked: a rule that does not parse
    // ends the run (exit 2) with its position. Their policies can then be selected by ID.
    tripline::guard::load(&args.rules).map_err(|e| e.to_string())?;
    for s in args.select.iter().chain(&args.ignore) {
        // A config's own rules are read with the config, later.
        if !policy::pattern_is_known(s) && !policy::pattern_is_custom(s) {
            return Err(format!(
                "unknown policy, prefix or family `{s}` in --select/--ignore"
            ));
        }
    }
    let choice = if args.no_config {
        ConfigChoice::Nothing
    } else if let Some(c) = &args.config {
        // Read now, so that a missing or invalid file is an error even when no file is checked.
        Config::load(c).map_err(|e| e.to_string())?;
        ConfigChoice::File(c.clone())
    } else {
        ConfigChoice::Discover
    };
    let project = Arc::new(Project::new(
        choice,
        Flags {
            allowed_regions: args.allowed_regions.clone(),
            select: args.select.clone(),
            ignore: args.ignore.clone(),
            fail_on: args.fail_on.map(Severity::from),
            require_suppression_reason: args.require_suppression_reason,
            rules: args.rules.clone(),
            options: EngineOptions {
                max_file_size: args.max_file_size,
                parse_only: args.parse_only,
                ..EngineOptions::default()
            },
        },
    ));

    let mut threads = args.threads.unwrap_or(0);
    // More workers than a few per core only adds start-up and scheduling cost (2,000 threads
    // on one file took minutes): cap, and say so.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cap = (cores * 4).clamp(4, 256);
    if threads > cap {
        eprintln!("note: --threads {threads} capped at {cap} (4 per CPU, at most 256)");
        threads = cap;
    }
    if threads > 0 {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
            .map_err(|e| format!("cannot start {threads} threads: {e}"))?;
    }

    let mut baseline = match &args.baseline {
        Some(p) => Some(Baseline::load(p).map_err(|e| e.to_string())?),
        None => None,
    };
    if let (Some(b), Some(shard)) = (&mut baseline, args.shard) {
        // Entries of other shards' files are neither known nor fixed here.
        b.findings.retain(|e| shard.contains(&e.path));
    }

    let format = match args.format {
        OutputFormat::Human => report::Format::Human,
        OutputFormat::Json => report::Format::Json,
        OutputFormat::Sarif => report::Format::Sarif,
        OutputFormat::Junit => report::Format::Junit,
        OutputFormat::Github => report::Format::Github,
        OutputFormat::Parseable => report::Format::Parseable,
    };
    let to_terminal = args.output.is_none() && io::stdout().is_terminal();
    let human = HumanOptions {
        color: match args.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none(),
        },
        width: None,
        quiet: args.quiet,
    };

    if reads_stdin {
        // One byte past the limit is enough to report the input as too large.
        let mut bytes = Vec::new();
        io::stdin()
            .take(args.max_file_size.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        let name = args.stdin_filename.as_deref().unwrap_or("<stdin>");
        let (i, scope) = match &args.stdin_filename {
            Some(n) => project.scope_for_file(Path::new(n)),
            None => project.scope_for_dir(Path::new(".")),
        };
        config_errors(&project)?;
        if args.verbose {
            verbose_scopes(&project, &[i]);
        }
        let mut sink = Sink::new(&args, format, &human, baseline.as_ref(), &project)?;
        sink.take(scope.engine.check_bytes(name, &bytes), i, scope.fail_on);
        return sink.finish(&args, &project);
    }

    // Resolve the roots' configs first: an invalid one stops the run before any work.
    for p in &paths {
        if p.is_dir() {
            project.scope_for_dir(p);
        } else {
            project.scope_for_file(p);
        }
    }
    config_errors(&project)?;
    let filter: walk::PathFilter = {
        let project = project.clone();
        Arc::new(move |path: &Path, is_dir: bool| {
            let parent = path.parent().unwrap_or(Path::new(""));
            let (_, scope) = project.scope_for_dir(parent);
            !scope.has_globs()
                || scope.admits(&project.absolute(path), &walk::display_path(path), is_dir)
        })
    };
    let mut discovered = walk::discover_filtered(
        &paths,
        &WalkOptions {
            include: args.include.clone(),
            exclude: args.exclude.clone(),
            hidden: args.hidden,
            respect_ignore_files: !args.no_ignore,
            follow_links: args.follow_links,
            threads,
        },
        Some(filter),
    )
    .map_err(|e| e.to_string())?;
    if let Some(shard) = args.shard {
        discovered.files.retain(|c| shard.contains(&c.display));
        discovered.errors.retain(|e| shard.contains(&e.display));
    }
    // Every unit of work with the scope that governs it, in path order: the order of the output.
    let mut work: Vec<(Work<'_>, usize, Arc<Scope>)> = discovered
        .files
        .iter()
        .map(|c| {
            let (i, scope) = project.scope_for_file(&c.path);
            (Work::File(c), i, scope)
        })
        .chain(discovered.errors.iter().map(|e| {
            let (i, scope) = project.scope_for_file(Path::new(&e.display));
            (Work::Unwalkable(e), i, scope)
        }))
        .collect();
    work.sort_by(|a, b| a.0.display().cmp(b.0.display()));
    config_errors(&project)?;
    if args.verbose {
        let governed: Vec<usize> = work.iter().map(|(_, i, _)| *i).collect();
        verbose_scopes(&project, &governed);
    }

    // A progress bar on a terminal for long human-format runs; never in machine formats,
    // which may be read from the same terminal.
    let show = matches!(args.format, OutputFormat::Human)
        && !args.quiet
        && !args.verbose
        && io::stderr().is_terminal()
        && work.len() >= 200;
    let bar = if show {
        let bar = indicatif::ProgressBar::new(work.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {pos}/{len} files {wide_bar} {eta}")
                .expect("valid progress template"),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut sink = Sink::new(&args, format, &human, baseline.as_ref(), &project)?;
    let engines: Vec<(Work<'_>, &Engine)> = work.iter().map(|(w, _, s)| (*w, &s.engine)).collect();
    let mut next = 0;
    tripline::stream(&engines, &|| bar.inc(1), &mut |report| {
        let (_, i, scope) = &work[next];
        next += 1;
        bar.suspend(|| sink.take(report, *i, scope.fail_on));
    });
    bar.finish_and_clear();
    sink.finish(&args, &project)
}

/// Where reports go as they come: the counts, the exit status, the baseline, the suppression
/// bookkeeping, and the report itself.
struct Sink<'a> {
    reporter: Box<dyn report::Reporter>,
    out: Out,
    /// The first error writing the report (a closed pipe is not one: `| head` is fine).
    write_error: Option<io::Error>,
    closed: bool,
    summary: Summary,
    /// Findings at or above the threshold of the config that governs their file.
    failing: usize,
    baseline: Option<BaselineFilter<'a>>,
    /// Every finding, when --write-baseline asks for them.
    entries: Option<Vec<baseline::Entry>>,
    /// Per scope: the `[[suppress]]` patterns used and the rules seen.
    used: HashMap<usize, HashSet<(usize, usize)>>,
    seen: HashMap<usize, HashSet<usize>>,
    verbose: bool,
    skipped_binary: usize,
    skipped_other: usize,
}

impl<'a> Sink<'a> {
    fn new(
        args: &CheckArgs,
        format: report::Format,
        human: &HumanOptions,
        baseline: Option<&'a Baseline>,
        _project: &Project,
    ) -> Result<Sink<'a>, String> {
        let out = match &args.output {
            Some(path) => Out::File(
                AtomicFile::create(path)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
            ),
            None => Out::Stdout(io::BufWriter::new(io::stdout())),
        };
        Ok(Sink {
            reporter: report::reporter(format, human, args.shard),
            out,
            write_error: None,
            closed: false,
            summary: Summary::default(),
            failing: 0,
            baseline: baseline.map(Baseline::filter),
            entries: args.write_baseline.as_ref().map(|_| Vec::new()),
            used: HashMap::new(),
            seen: HashMap::new(),
            verbose: args.verbose,
            skipped_binary: 0,
            skipped_other: 0,
        })
    }

    fn take(&mut self, mut report: FileReport, scope: usize, fail_on: Severity) {
        self.used
            .entry(scope)
            .or_default()
            .extend(report.used_rules.iter().copied());
        self.seen
            .entry(scope)
            .or_default()
            .extend(report.seen_rules.iter().copied());
        if let Some(entries) = &mut self.entries {
            entries.extend(report.findings.iter().map(baseline::Entry::of));
        }
        if let Some(b) = &mut self.baseline {
            b.apply(&mut report);
        }
        self.summary.add(&report);
        self.failing += report
            .findings
            .iter()
            .filter(|f| f.severity >= fail_on)
            .count();
        if self.verbose {
            match report.outcome {
                Outcome::Checked(format) => {
                    eprintln!(
                        "checked {} ({})",
                        tripline::report::escape::line(&report.path),
                        format.name()
                    )
                }
                Outcome::Skipped(Skip::Binary) => self.skipped_binary += 1,
                Outcome::Skipped(Skip::NotTemplate) => self.skipped_other += 1,
                Outcome::Failed => {
                    eprintln!("failed {}", tripline::report::escape::line(&report.path))
                }
                Outcome::Config => {}
            }
        }
        if !self.closed {
            let result = self.reporter.file(&mut self.out, &report);
            self.record(result);
        }
    }

    fn record(&mut self, result: io::Result<()>) {
        if let Err(e) = result {
            self.closed = true;
            if e.kind() != io::ErrorKind::BrokenPipe {
                self.write_error.get_or_insert(e);
            }
        }
    }

    /// The configs' own findings (known only now), the summary, and the exit code.
    fn finish(mut self, args: &CheckArgs, project: &Project) -> Result<u8, String> {
        if !args.parse_only {
            let mut config_reports = Vec::new();
            for (i, scope) in project.scopes().iter().enumerate() {
                let used = self.used.remove(&i).unwrap_or_default();
                let seen = self.seen.remove(&i).unwrap_or_default();
                if let Some(report) = stale_config_suppressions(scope, &used, &seen, args.shard) {
                    config_reports.push((report, i, scope.fail_on));
                }
            }
            config_reports.sort_by(|a, b| a.0.path.cmp(&b.0.path));
            for (report, i, fail_on) in config_reports {
                self.take(report, i, fail_on);
            }
        }
        if let (Some(path), Some(entries)) = (&args.write_baseline, self.entries.take()) {
            Baseline::from_entries(entries)
                .write(path)
                .map_err(|e| e.to_string())?;
        }
        self.summary.baseline = self.baseline.as_ref().map(BaselineFilter::stats);
        if self.summary.templates == 0 && !args.quiet {
            // A job pointed at the wrong directory should not look green without a word; the
            // exit code stays what the findings say.
            eprintln!(
                "note: no templates were checked ({} file{} skipped as not templates, {} could not be \
                 loaded); is this the right path?",
                self.summary.skipped,
                if self.summary.skipped == 1 { "" } else { "s" },
                self.summary.failed
            );
        }
        if self.verbose {
            eprintln!(
                "skipped: {} not templates, {} binary",
                self.skipped_other, self.skipped_binary
            );
        }
        if !self.closed {
            let result = self
                .reporter
                .finish(&mut self.out, &self.summary)
                .and_then(|_| self.out.flush());
            self.record(result);
        }
        if self.write_error.is_none()
            && let Out::File(file) = std::mem::replace(&mut self.out, Out::Closed)
            && let Err(e) = file.commit()
        {
            self.write_error = Some(e);
        }
        if let Some(e) = self.write_error {
            return Err(match &args.output {
                Some(path) => format!("cannot write {}: {e}", path.display()),
                None => format!("cannot write report: {e}"),
            });
        }
        Ok(if !args.exit_zero && self.failing > 0 {
            EXIT_FINDINGS
        } else {
            EXIT_CLEAN
        })
    }
}

/// Findings about the config's own `[[suppress]]` rules: patterns that suppressed nothing in
/// files they applied to (SUPP001), and rules without a reason when reasons are required
/// (SUPP002).
///
/// Under `--shard`, a shard sees only some of the files a rule applies to, so it cannot tell
/// that a rule suppresses nothing anywhere: SUPP001 needs an unsharded run. SUPP002 depends on
/// the config alone and is reported by the one shard the config's path falls in, so that the
/// merged report has it once, as a single run would.
fn stale_config_suppressions(
    scope: &Scope,
    used: &HashSet<(usize, usize)>,
    seen: &HashSet<usize>,
    shard: Option<Shard>,
) -> Option<FileReport> {
    use tripline::policy::RawFinding;
    use tripline::source::Span;
    let engine = &scope.engine;
    let source = scope.config.source.as_ref()?;
    // Reported relative to the working directory, like the templates.
    let display = std::env::current_dir()
        .ok()
        .and_then(|cwd| source.path.strip_prefix(cwd).ok().map(walk::display_path))
        .unwrap_or_else(|| walk::display_path(&source.path));
    let report_stale = shard.is_none();
    let require_reason =
        engine.requires_suppression_reason() && shard.is_none_or(|s| s.contains(&display));
    let mut raws = Vec::new();
    for (i, rule) in engine.rules().iter().enumerate() {
        let enabled = |m: &policy::PolicyMeta| engine.may_enable(m);
        for (j, (pattern, span)) in rule.patterns.iter().enumerate() {
            if report_stale
                && seen.contains(&i)
                && !used.contains(&(i, j))
                && tripline::suppress::pattern_selects_any(pattern, &enabled)
            {
                raws.push(RawFinding {
                    policy: "SUPP001",
                    span: Span::new(span.start, span.end),
                    message: format!("[[suppress]] of `{pattern}` suppresses nothing in the files it applies to; remove it"),
                    resource: None,
                });
            }
        }
        if require_reason
            && rule.reason.is_none()
            && let Some((_, span)) = rule.patterns.first()
        {
            raws.push(RawFinding {
                policy: "SUPP002",
                span: Span::new(span.start, span.end),
                message: "[[suppress]] rule gives no `reason`".to_string(),
                resource: None,
            });
        }
    }
    if raws.is_empty() {
        return None;
    }
    let mut report = FileReport {
        path: display.clone(),
        outcome: Outcome::Config,
        findings: engine.findings_for(&display, &source.text, raws),
        bytes: source.text.len() as u64,
        suppressed: 0,
        used_rules: Vec::new(),
        seen_rules: Vec::new(),
    };
    report
        .findings
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Some(report)
}

const STARTER_CONFIG: &str = r#"# tripline.toml: settings for `tripline check` and `tripline lsp`. Each file is checked under
# the nearest tripline.toml at or above it (configs do not inherit from each other).
# Every key is optional; unknown keys are an error.

# Regions infrastructure may run in. Turns the region policies (REG*) on; without it they are off.
# allowed_regions = ["us-east-1", "eu-west-1"]

# Lowest severity that makes `tripline check` exit 1: low, medium, high or critical.
# fail_on = "low"

# Files to check and to skip (globs relative to this file; a glob without "/" matches a name
# at any depth).
# include = ["infra/**"]
# exclude = ["vendor", "*.generated.yaml"]

# Policies to run (IDs, ID prefixes such as "LOG", or families: region, root, logging,
# detective) and policies not to run.
# select = ["region", "root", "logging", "detective"]
# ignore = ["LOG009"]

# Report suppressions that give no reason (SUPP002).
# require_suppression_reason = true

# Severity overrides by policy ID.
# [severity]
# LOG019 = "low"

# Settings for some paths only (globs relative to this file).
# [[overrides]]
# paths = ["legacy/**"]
# ignore = ["REG"]
# severity = { LOG009 = "low" }

# Suppressions, for formats without metadata (Terraform JSON) or for whole directories.
# In CloudFormation, prefer the resource's own Metadata:
#   Metadata:
#     tripline:
#       ignore: [LOG009]
#       reason: access logs go to the central log account
# [[suppress]]
# paths = ["stacks/logging/*.tf.json"]
# resources = ["aws_s3_bucket.access_logs"]
# ignore = ["LOG009"]
# reason = "this bucket receives the access logs of the others"
"#;

fn init(path: &Path, force: bool) -> Result<u8, String> {
    if path.exists() && !force {
        return Err(format!(
            "{} exists; use --force to overwrite it",
            path.display()
        ));
    }
    std::fs::write(path, STARTER_CONFIG)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(EXIT_CLEAN)
}

/// Refuse, before any work, outputs that would destroy an input or each other, and outputs
/// whose directory does not exist.
fn check_output_paths(args: &CheckArgs, inputs: &[PathBuf]) -> Result<(), String> {
    use tripline::output::same_file;
    let outputs: Vec<(&str, &PathBuf)> = [
        ("-o/--output", args.output.as_ref()),
        ("--write-baseline", args.write_baseline.as_ref()),
    ]
    .into_iter()
    .filter_map(|(flag, p)| p.map(|p| (flag, p)))
    .collect();
    for (flag, out) in &outputs {
        let dir = match out.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        if !dir.is_dir() {
            return Err(format!(
                "{flag} {}: directory {} does not exist",
                out.display(),
                dir.display()
            ));
        }
        if out.is_dir() {
            return Err(format!("{flag} {}: is a directory", out.display()));
        }
        for input in inputs {
            if input.as_os_str() != "-" && input.is_file() && same_file(input, out) {
                return Err(format!(
                    "{flag} {} is one of the files to check; refusing to overwrite it",
                    out.display()
                ));
            }
        }
        if let Some(b) = &args.baseline
            && *flag == "-o/--output"
            && same_file(b, out)
        {
            return Err(format!(
                "{flag} {} is the baseline being read; refusing to overwrite it with a report",
                out.display()
            ));
        }
    }
    if let [(_, a), (_, b)] = outputs.as_slice()
        && same_file(a, b)
    {
        return Err(format!(
            "-o/--output and --write-baseline both name {}; give them different files",
            a.display()
        ));
    }
    Ok(())
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

/// `tripline merge`: the exit code is the one a single run would have had, so the final job of
/// a sharded pipeline can fail the build.
fn merge(
    paths: &[PathBuf],
    output: Option<&Path>,
    fail_on: Severity,
    exit_zero: bool,
) -> Result<u8, String> {
    use tripline::report::{json, sarif};
    let mut values = Vec::new();
    for p in paths {
        let text = tripline::output::read_text_bounded(p, tripline::output::MAX_REPORT_BYTES)
            .map_err(|e| format!("cannot read {}: {e}", p.display()))?;
        let v: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not a JSON report: {e}", p.display()))?;
        values.push((p, v));
    }
    let is_sarif = |v: &serde_json::Value| v.get("runs").is_some();
    let mut buffer = Vec::new();
    let failing: usize;
    if values.iter().all(|(_, v)| is_sarif(v)) {
        // One run per tripline report: anything else is not a shard of one run.
        for (p, v) in &values {
            let runs = v["runs"].as_array().map_or(0, Vec::len);
            if runs != 1 || !v["runs"][0].is_object() {
                return Err(format!(
                    "{}: a tripline SARIF report has exactly one run, this one has {runs}",
                    p.display()
                ));
            }
        }
        let mut origins = Vec::new();
        for (p, v) in &values {
            origins.push(ReportOrigin {
                name: p.display().to_string(),
                version: v["runs"][0]["tool"]["driver"]["version"]
                    .as_str()
                    .unwrap_or("unknown")
                    .to_string(),
                shard: sarif::shard_of(v).map_err(|e| format!("{}: {e}", p.display()))?,
            });
        }
        shard::validate_set(&origins)?;
        let merged = sarif::merge(values.into_iter().map(|(_, v)| v).collect())
            .expect("at least one report");
        failing = sarif::severities(&merged).filter(|s| *s >= fail_on).count();
        sarif::write_value(&mut buffer, &merged).map_err(|e| e.to_string())?;
    } else if values
        .iter()
        .all(|(_, v)| v.get("schema_version").is_some())
    {
        let mut docs: Vec<json::Document> = Vec::new();
        let mut origins = Vec::new();
        for (p, v) in values {
            let doc: json::Document = serde_json::from_value(v)
                .map_err(|e| format!("{}: not a tripline JSON report: {e}", p.display()))?;
            origins.push(ReportOrigin {
                name: p.display().to_string(),
                version: doc.tool.version.clone(),
                shard: doc.shard,
            });
            docs.push(doc);
        }
        shard::validate_set(&origins)?;
        let merged = json::merge(docs);
        failing = merged
            .findings
            .iter()
            .filter(|f| f.severity >= fail_on)
            .count();
        json::write_document(&mut buffer, &merged).map_err(|e| e.to_string())?;
    } else {
        return Err(
            "merge takes reports of one kind: all `--format json` or all `--format sarif`".into(),
        );
    }
    match output {
        Some(p) => tripline::output::write_atomic(p, &buffer)
            .map_err(|e| format!("cannot write {}: {e}", p.display()))?,
        None => io::stdout()
            .lock()
            .write_all(&buffer)
            .map_err(|e| e.to_string())?,
    }
    Ok(if !exit_zero && failing > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    })
}

/// Configs that could not be read or are invalid end the run (exit 2), all of them named.
fn config_errors(project: &Project) -> Result<(), String> {
    let errors = project.take_errors();
    if errors.is_empty() {
        return Ok(());
    }
    Err(errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\nerror: "))
}

/// With --verbose: which configs govern how many files, and their region lists.
fn verbose_scopes(project: &Project, governed: &[usize]) {
    for (i, scope) in project.scopes().iter().enumerate() {
        let files = governed.iter().filter(|&&j| j == i).count();
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

fn rules(args: RulesArgs) -> Result<u8, String> {
    tripline::guard::load(&args.rules).map_err(|e| e.to_string())?;
    let listed: Vec<&policy::PolicyMeta> = policy::catalog()
        .into_iter()
        .filter(|m| m.family != policy::Family::Engine)
        .collect();
    let mut out = io::stdout().lock();
    let result = match args.format {
        RulesFormat::Json => {
            let list: Vec<serde_json::Value> = policy::catalog()
                .into_iter()
                .map(|m| {
                    serde_json::json!({
                        "id": m.id,
                        "family": m.family.as_str(),
                        "severity": m.severity,
                        "title": m.title,
                        "formats": m.formats,
                        "resource_types": m.resource_types,
                        "references": {
                            "fsbp": m.fsbp,
                            "cis": m.cis,
                            "control_tower": m.control_tower,
                        },
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &list)
                .map_err(io::Error::other)
                .and_then(|_| writeln!(out))
        }
        RulesFormat::Markdown => out.write_all(policy::reference_markdown().as_bytes()),
        RulesFormat::Table => {
            let width = listed.iter().map(|m| m.id.len()).max().unwrap_or(0).max(11) + 1;
            let mut text = format!(
                "{:<width$} {:<10} {:<9} TITLE\n",
                "ID", "FAMILY", "SEVERITY"
            );
            for m in &listed {
                text.push_str(&format!(
                    "{:<width$} {:<10} {:<9} {}\n",
                    m.id,
                    m.family.as_str(),
                    m.severity.as_str(),
                    m.title
                ));
            }
            text.push_str(&format!("\n{} policies\n", listed.len()));
            out.write_all(text.as_bytes())
        }
    };
    match result {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e.to_string()),
        _ => Ok(EXIT_CLEAN),
    }
}

fn explain(id: &str, rules: &[PathBuf]) -> Result<u8, String> {
    let guard = tripline::guard::load(rules).map_err(|e| e.to_string())?;
    if let Some((file, rule)) = guard.as_deref().and_then(|g| g.rule(id)) {
        let m = rule.meta;
        let text = format!(
            "{} — {}\n\nfamily: {}   severity: {}   rule: {}:{}\n\n{}\n",
            m.id,
            m.title,
            m.family,
            m.severity,
            file.display,
            rule.line,
            file.text.trim_end()
        );
        let mut out = io::stdout().lock();
        return match out.write_all(tripline::report::escape::lines_with_map(&text).0.as_bytes()) {
            Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e.to_string()),
            _ => Ok(EXIT_CLEAN),
        };
    }
    let Some(m) = policy::meta(id) else {
        return Err(format!(
            "unknown policy `{id}`; `tripline rules` lists them"
        ));
    };
    let mut text = format!(
        "{} — {}\n\nfamily: {}   severity: {}   formats: {}\n",
        m.id,
        m.title,
        m.family,
        m.severity,
        m.formats.join(", ")
    );
    if !m.resource_types.is_empty() {
        text.push_str(&format!("resources: {}\n", m.resource_types.join(", ")));
    }
    text.push_str(&format!(
        "\nWhy it matters\n\n{}\n\nHow to fix it\n\n{}\n",
        m.rationale, m.remediation
    ));
    if !m.example.is_empty() {
        text.push_str(&format!("\nExample\n\n{}\n", m.example));
    }
    text.push_str(&policy::iam::explain_notes(m.id));
    let refs: Vec<String> = m
        .mappings()
        .iter()
        .map(|(name, ids)| format!("  {name}: {}", ids.join(", ")))
        .collect();
    if !refs.is_empty() {
        text.push_str(&format!("\nReferences\n\n{}\n", refs.join("\n")));
    }
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e.to_string()),
        _ => Ok(EXIT_CLEAN),
    }
}
