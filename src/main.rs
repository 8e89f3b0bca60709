//! The `tripline` command line: argument parsing and output plumbing over the library.
//!
//! Exit codes (stable): 0 no findings at or above `--fail-on`; 1 findings at or above it;
//! 2 usage, configuration or internal error.

use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand, ValueEnum};

use tripline::baseline::Baseline;
use tripline::config::Config;
use tripline::engine::{EngineOptions, Flags, TerraformRoot};
use tripline::finding::Severity;
use tripline::policy;
use tripline::printer::{PrintOptions, Printer};
use tripline::project::{ConfigChoice, Project};
use tripline::report::{self, HumanOptions};
use tripline::run::{ExitStatus, Input, Run, RunOptions};
use tripline::shard::Shard;
use tripline::walk::WalkOptions;

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
    /// Say which control objectives of the baseline the tree establishes, violates or misses
    /// (exit 1 when some applicable objective is violated or missing).
    Coverage(Box<CoverageArgs>),
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
    /// Counts by severity and policy and the most severe findings (for `$GITHUB_STEP_SUMMARY`
    /// or a pull request comment).
    Markdown,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to color: `auto` colors a terminal unless `NO_COLOR` is set.
    fn enabled(self, to_terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none(),
        }
    }
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
    /// The Terraform root module of the plans checked: their findings are reported at the
    /// `.tf` line that produced them (the plan's place as related information). Without it, a
    /// plan's own directory is used when it is one `.tf` configuration.
    #[arg(long, value_name = "DIR")]
    terraform_root: Option<PathBuf>,
    /// Load and recognize templates without running policies (for measuring parse cost).
    #[arg(long, hide = true)]
    parse_only: bool,
    /// Check every file, neither reusing nor keeping results in the result cache.
    #[arg(long)]
    no_cache: bool,
    /// Where the result cache is kept (default: `.tripline_cache` in the working directory,
    /// or $TRIPLINE_CACHE_DIR).
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
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
    /// Repository root SARIF paths are relative to (`%SRCROOT%`); default: the git root above
    /// the working directory, else the working directory.
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Apply the fixes policies offer (a `false` that must be `true`, a missing boolean
    /// property), keeping comments and formatting; then report what remains.
    #[arg(long, conflicts_with = "diff")]
    fix: bool,
    /// Print the fixes as a unified diff instead of applying them (exit 1 when there are some).
    #[arg(long)]
    diff: bool,
    /// Help page of each policy in SARIF (`helpUri`), `{id}` replaced by the policy ID, e.g.
    /// `https://wiki.example.com/tripline/{id}`.
    #[arg(long, value_name = "URL")]
    docs_url: Option<String>,
    /// Also report each control objective nothing in the tree establishes, as a COV001
    /// finding at the config's `[coverage]` (see `tripline coverage`).
    #[arg(long)]
    coverage: bool,
}

#[derive(Args)]
struct CoverageArgs {
    /// Files or directories that make up the tree (default: the current directory).
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: CoverageFormat,
    /// Write the report to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// List the control objectives (ID, family, title) and exit.
    #[arg(long)]
    list: bool,
    /// Only assess these objectives: IDs, ID prefixes or families, comma-separated
    /// (replaces the config's `[coverage] select`).
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    select: Vec<String>,
    /// Do not assess these objectives (added to the config's `[coverage] ignore`).
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    ignore: Vec<String>,
    /// Comma-separated Regions infrastructure may run in (turns the region policies on, whose
    /// findings on a region-restricting SCP are drift).
    #[arg(long, value_name = "REGIONS", value_delimiter = ',')]
    allowed_regions: Option<Vec<String>>,
    /// Accept Regions in --allowed-regions that tripline does not know yet.
    #[arg(long)]
    allow_unknown_regions: bool,
    /// Use this config file instead of searching for tripline.toml.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<PathBuf>,
    /// Do not read any config file.
    #[arg(long)]
    no_config: bool,
    /// Only look at files matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    include: Vec<String>,
    /// Skip files and directories matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Also read hidden files and directories.
    #[arg(long)]
    hidden: bool,
    /// Do not honour .gitignore, .ignore and .triplineignore files.
    #[arg(long)]
    no_ignore: bool,
    /// Follow symbolic links.
    #[arg(long)]
    follow_links: bool,
    /// Worker threads (default: one per CPU).
    #[arg(short = 'j', long, value_name = "N")]
    threads: Option<usize>,
    /// Neither reuse nor keep results in the result cache.
    #[arg(long)]
    no_cache: bool,
    /// Where the result cache is kept.
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Repository root SARIF paths are relative to (default: the git root).
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// When to color human output.
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorChoice,
    /// Exit 0 even when objectives are violated or missing (errors still exit 2).
    #[arg(long)]
    exit_zero: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum CoverageFormat {
    Human,
    Json,
    /// A table per family with status and evidence (for a pull request or an auditor).
    Markdown,
    Sarif,
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

/// mimalloc's `mi_option_purge_delay` (its index in `mi_option_t`, mimalloc v3).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long mimalloc keeps freed memory before returning it to the OS (milliseconds; -1:
/// never). By default it returns it after 10 ms, and with transparent huge pages every later
/// reuse faults the memory in again, 2 MiB zeroed at a time: that zeroing was 40% of checking
/// one 50,000-resource template. A check is a short-lived process whose memory peaks once, so
/// it keeps what it freed; the language server lives long and gives memory back when idle.
fn keep_freed_memory(delay_ms: i32) {
    // SAFETY: `mi_option_set` only stores the value (an option index and a plain integer),
    // and mimalloc reads options thread-safely; it is called before any other thread exists.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, delay_ms.into()) }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    keep_freed_memory(match cli.command {
        Command::Lsp => 1000,
        _ => -1,
    });
    let result = match cli.command {
        Command::Check(args) => check(*args),
        Command::Coverage(args) => coverage(*args),
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
        .map(|code| u8::try_from(code).unwrap_or(ExitStatus::Error as u8)),
        Command::Init { path, force } => init(&path, force),
        Command::Merge {
            reports,
            output,
            fail_on,
            exit_zero,
        } => merge(&reports, output.as_deref(), fail_on.into(), exit_zero),
        Command::Lsp => tripline::lsp::serve_stdio()
            .map(|_| ExitStatus::Clean as u8)
            .map_err(|e| e.to_string()),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(ExitStatus::Error as u8)
        }
    }
}

fn check(args: CheckArgs) -> Result<u8, String> {
    tripline::fault::quiet_panics_during_checks();
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

    let outputs: Vec<(&str, &Path)> = [
        ("-o/--output", args.output.as_deref()),
        ("--write-baseline", args.write_baseline.as_deref()),
    ]
    .into_iter()
    .filter_map(|(flag, p)| p.map(|p| (flag, p)))
    .collect();
    if let Some(root) = &args.root
        && !root.is_dir()
    {
        return Err(format!("--root {}: not a directory", root.display()));
    }
    if let Some(root) = &args.terraform_root
        && !root.is_dir()
    {
        return Err(format!(
            "--terraform-root {}: not a directory",
            root.display()
        ));
    }
    tripline::output::refuse_clobbering(&outputs, &paths, args.baseline.as_deref())
        .map_err(|e| e.to_string())?;
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
    let choice = config_choice(args.no_config, args.config.as_deref())?;
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
                terraform_root: match &args.terraform_root {
                    Some(dir) => TerraformRoot::Dir(dir.clone()),
                    None => TerraformRoot::Beside,
                },
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
        OutputFormat::Markdown => report::Format::Markdown,
    };
    let to_terminal = args.output.is_none() && io::stdout().is_terminal();
    let human = HumanOptions {
        color: args.color.enabled(to_terminal),
        width: None,
        quiet: args.quiet,
    };
    // `--docs-url`, else the `docs_url` of the config of the working directory (read on its
    // own: resolving a scope here would make that config part of the run).
    let docs_url = args.docs_url.clone().or_else(|| {
        if args.no_config {
            return None;
        }
        let config = match &args.config {
            Some(c) => Some(c.clone()),
            None => Config::discover(Path::new(".")),
        }?;
        Config::load(&config).ok()?.docs_url
    });
    if args.fix || args.diff {
        if reads_stdin {
            return Err("--fix and --diff work on files, not on standard input".into());
        }
        // A pass of its own, with nothing written but the fixes: the report below is of the
        // files as they are after them.
        let pass = Run::new(
            project.clone(),
            RunOptions {
                walk: walk_options(&args, threads),
                shard: args.shard,
                ..RunOptions::default()
            },
        );
        let mut collector = tripline::fix::Collector::default();
        pass.check(Input::Paths(&paths), &mut collector, &|| {})
            .map_err(|e| e.to_string())?;
        let changes = collector.changes();
        if args.diff {
            let mut out = io::stdout().lock();
            for c in &changes {
                let diff = tripline::fix::unified_diff(&c.path, &c.old, &c.new);
                let escaped = tripline::report::escape::lines_with_map(&diff).0;
                if let Err(e) = out.write_all(escaped.as_bytes())
                    && e.kind() != io::ErrorKind::BrokenPipe
                {
                    return Err(e.to_string());
                }
            }
            return Ok(if changes.is_empty() {
                ExitStatus::Clean
            } else {
                ExitStatus::Findings
            } as u8);
        }
        let mut fixed = 0;
        for c in &changes {
            tripline::output::write_atomic(Path::new(&c.path), c.new.as_bytes())
                .map_err(|e| format!("cannot write {}: {e}", c.path))?;
            fixed += c.fixed;
        }
        if !args.quiet {
            eprintln!(
                "fixed {fixed} finding{} in {} file{}",
                if fixed == 1 { "" } else { "s" },
                changes.len(),
                if changes.len() == 1 { "" } else { "s" }
            );
        }
    }
    // Reports of unchanged files come from the result cache (not for standard input, whose
    // text has no file to key it by).
    let cache = result_cache(args.no_cache || reads_stdin, args.cache_dir.as_deref());
    let run = Run::new(
        project,
        RunOptions {
            walk: walk_options(&args, threads),
            shard: args.shard,
            baseline,
            write_baseline: args.write_baseline.clone(),
            parse_only: args.parse_only,
            cache: cache.clone(),
            coverage: tripline::coverage::CoverageOptions {
                enforce: args.coverage,
                ..Default::default()
            },
        },
    );
    let mut printer = Printer::new(PrintOptions {
        format,
        human,
        shard: args.shard,
        output: args.output.clone(),
        verbose: args.verbose,
        quiet: args.quiet,
        sarif: report::SarifOptions::discover(args.root.as_deref(), docs_url),
    })
    .map_err(|e| e.to_string())?;

    let stdin_bytes;
    let input = if reads_stdin {
        // One byte past the limit is enough to report the input as too large.
        let mut bytes = Vec::new();
        io::stdin()
            .take(args.max_file_size.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        stdin_bytes = bytes;
        Input::Stdin {
            name: args.stdin_filename.as_deref().unwrap_or("<stdin>"),
            bytes: &stdin_bytes,
            path: args.stdin_filename.as_deref().map(Path::new),
        }
    } else {
        Input::Paths(&paths)
    };
    let bar = printer.progress();
    let outcome = run
        .check(input, &mut printer, &|| bar.inc(1))
        .map_err(|e| e.to_string())?;
    printer.finish(&outcome).map_err(|e| e.to_string())?;
    if let Some(cache) = &cache
        && args.verbose
    {
        let (reused, checked) = cache.stats();
        eprintln!("cache: {reused} reports reused, {checked} files checked");
    }
    Ok(outcome.status(args.exit_zero) as u8)
}

/// `tripline coverage`: check the tree (quietly, through the result cache like `check`), then
/// report each objective's status.
fn coverage(args: CoverageArgs) -> Result<u8, String> {
    if args.list {
        let mut text = String::new();
        for o in tripline::policy::coverage::OBJECTIVES {
            text.push_str(&format!(
                "{:<20} {:<10} {}\n",
                o.id,
                o.family.as_str(),
                o.title
            ));
        }
        return print_all(&text);
    }
    tripline::fault::quiet_panics_during_checks();
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    for p in &paths {
        if !p.exists() {
            return Err(format!("{}: no such file or directory", p.display()));
        }
    }
    if let Some(root) = &args.root
        && !root.is_dir()
    {
        return Err(format!("--root {}: not a directory", root.display()));
    }
    if let Some(out) = &args.output {
        tripline::output::refuse_clobbering(&[("-o/--output", out.as_path())], &paths, None)
            .map_err(|e| e.to_string())?;
    }
    if let Some(regions) = &args.allowed_regions {
        policy::regions::validate(regions, args.allow_unknown_regions)
            .map_err(|e| format!("--allowed-regions: {e}"))?;
    }
    for s in args.select.iter().chain(&args.ignore) {
        if !policy::coverage::OBJECTIVES
            .iter()
            .any(|o| policy::coverage::pattern_matches(s, o))
        {
            return Err(format!(
                "unknown objective, prefix or family `{s}` in --select/--ignore \
                 (`tripline coverage --list` lists them)"
            ));
        }
    }
    let choice = config_choice(args.no_config, args.config.as_deref())?;
    let project = Arc::new(Project::new(
        choice,
        Flags {
            allowed_regions: args.allowed_regions.clone(),
            ..Flags::default()
        },
    ));
    let threads = args.threads.unwrap_or(0);
    if threads > 0 {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads.min(256))
            .build_global()
            .map_err(|e| format!("cannot start {threads} threads: {e}"))?;
    }
    let cache = result_cache(args.no_cache, args.cache_dir.as_deref());
    let run = Run::new(
        project,
        RunOptions {
            walk: WalkOptions {
                include: args.include.clone(),
                exclude: args.exclude.clone(),
                hidden: args.hidden,
                respect_ignore_files: !args.no_ignore,
                follow_links: args.follow_links,
                threads,
            },
            cache,
            coverage: tripline::coverage::CoverageOptions {
                enforce: false,
                select: args.select.clone(),
                ignore: args.ignore.clone(),
            },
            ..RunOptions::default()
        },
    );
    /// The reports are not printed: coverage is the report.
    struct Quiet;
    impl tripline::run::Listener for Quiet {
        fn report(&mut self, _report: &tripline::file_report::FileReport) {}
    }
    let outcome = run
        .check(Input::Paths(&paths), &mut Quiet, &|| {})
        .map_err(|e| e.to_string())?;
    let coverage = outcome
        .coverage
        .ok_or("coverage could not be assessed for these paths")?;
    let to_terminal = args.output.is_none() && io::stdout().is_terminal();
    let text = match args.format {
        CoverageFormat::Human => {
            report::coverage::human(&coverage, args.color.enabled(to_terminal))
        }
        CoverageFormat::Markdown => report::coverage::markdown(&coverage),
        CoverageFormat::Json => {
            serde_json::to_string_pretty(&report::coverage::json(&coverage))
                .map_err(|e| e.to_string())?
                + "\n"
        }
        CoverageFormat::Sarif => {
            let options = report::SarifOptions::discover(args.root.as_deref(), None);
            serde_json::to_string_pretty(&report::coverage::sarif(&coverage, &options))
                .map_err(|e| e.to_string())?
                + "\n"
        }
    };
    match &args.output {
        Some(p) => tripline::output::write_atomic(p, text.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", p.display()))?,
        None => {
            print_all(&text)?;
        }
    }
    Ok(if coverage.complete() || args.exit_zero {
        ExitStatus::Clean
    } else {
        ExitStatus::Findings
    } as u8)
}

/// Which config governs: none, the one named (read now, so that a missing or invalid file is
/// an error even when no file is checked), or the nearest one above each file.
fn config_choice(no_config: bool, config: Option<&Path>) -> Result<ConfigChoice, String> {
    Ok(if no_config {
        ConfigChoice::Nothing
    } else if let Some(c) = config {
        Config::load(c).map_err(|e| e.to_string())?;
        ConfigChoice::File(c.to_path_buf())
    } else {
        ConfigChoice::Discover
    })
}

/// The result cache: `--cache-dir`, else `$TRIPLINE_CACHE_DIR`, else `.tripline_cache`;
/// none when `off`.
fn result_cache(off: bool, dir: Option<&Path>) -> Option<Arc<tripline::cache::Cache>> {
    (!off).then(|| {
        let dir = dir
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("TRIPLINE_CACHE_DIR").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from(tripline::cache::DEFAULT_DIR));
        Arc::new(tripline::cache::Cache::new(&dir))
    })
}

fn init(path: &Path, force: bool) -> Result<u8, String> {
    if path.exists() && !force {
        return Err(format!(
            "{} exists; use --force to overwrite it",
            path.display()
        ));
    }
    tripline::output::write_atomic(path, tripline::config::STARTER.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(ExitStatus::Clean as u8)
}

/// `tripline merge`: the exit code is the one a single run would have had, so the final job of
/// a sharded pipeline can fail the build.
fn merge(
    paths: &[PathBuf],
    output: Option<&Path>,
    fail_on: Severity,
    exit_zero: bool,
) -> Result<u8, String> {
    let merged = report::merge::merge_files(paths).map_err(|e| e.to_string())?;
    match output {
        Some(p) => tripline::output::write_atomic(p, &merged.bytes)
            .map_err(|e| format!("cannot write {}: {e}", p.display()))?,
        None => io::stdout()
            .lock()
            .write_all(&merged.bytes)
            .map_err(|e| e.to_string())?,
    }
    let failing = merged.severities.iter().any(|s| *s >= fail_on);
    Ok(if !exit_zero && failing {
        ExitStatus::Findings
    } else {
        ExitStatus::Clean
    } as u8)
}

fn rules(args: RulesArgs) -> Result<u8, String> {
    tripline::guard::load(&args.rules).map_err(|e| e.to_string())?;
    let text = match args.format {
        RulesFormat::Json => {
            serde_json::to_string_pretty(&report::catalog::json()).expect("JSON of the catalog")
                + "\n"
        }
        RulesFormat::Markdown => policy::reference_markdown(),
        RulesFormat::Table => report::catalog::table(),
    };
    print_all(&text)
}

fn explain(id: &str, rules: &[PathBuf]) -> Result<u8, String> {
    let guard = tripline::guard::load(rules).map_err(|e| e.to_string())?;
    match report::catalog::explain(id, guard.as_deref()) {
        Some(text) => print_all(&text),
        None => Err(format!(
            "unknown policy `{id}`; `tripline rules` lists them"
        )),
    }
}

/// Write to standard output; a closed pipe (`| head`) is not an error.
fn print_all(text: &str) -> Result<u8, String> {
    match io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e.to_string()),
        _ => Ok(ExitStatus::Clean as u8),
    }
}

fn walk_options(args: &CheckArgs, threads: usize) -> WalkOptions {
    WalkOptions {
        include: args.include.clone(),
        exclude: args.exclude.clone(),
        hidden: args.hidden,
        respect_ignore_files: !args.no_ignore,
        follow_links: args.follow_links,
        threads,
    }
}
