//! `tripline check`: check the templates under the given paths and report in a format.

use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::args::CheckArgs;
use super::commands::{config_choice, result_cache};
use crate::baseline::Baseline;
use crate::config::Config;
use crate::engine::{EngineOptions, Flags, TerraformRoot};
use crate::file_report::FileReport;
use crate::finding::Severity;
use crate::fix::Collector;
use crate::policy;
use crate::printer::{PrintOptions, Printer};
use crate::project::Project;
use crate::report::{self, HumanOptions};
use crate::run::{ExitStatus, Input, Listener, Run, RunOptions};
use crate::walk::WalkOptions;

/// `tripline check`: validate the arguments, apply fixes when asked, then check and report.
pub(super) fn check(args: CheckArgs) -> Result<u8, String> {
    crate::fault::quiet_panics_during_checks();
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let reads_stdin = validate(&args, &paths)?;
    let choice = config_choice(args.no_config, args.config.as_deref())?;
    let project = Arc::new(Project::new(choice, flags(&args)?));
    let threads = start_threads(args.threads)?;
    let mut baseline = match &args.baseline {
        Some(p) => {
            let baseline = Baseline::load(p).map_err(|e| e.to_string())?;
            if let Some(note) = baseline.upgrade_note(p)
                && !args.quiet
            {
                eprintln!("note: {}", crate::report::escape::line(&note));
            }
            Some(baseline)
        }
        None => None,
    };
    if let Some(rev) = &args.new_since {
        if reads_stdin {
            return Err("--new-since compares trees of files, not standard input".into());
        }
        baseline = Some(findings_at(&args, rev, &paths, threads)?);
    }
    if let (Some(b), Some(shard)) = (&mut baseline, args.shard) {
        // Entries of other shards' files are neither known nor fixed here.
        b.findings.retain(|e| shard.contains(&e.path));
    }
    let print = print_options(&args);
    if args.fix || args.diff {
        if reads_stdin {
            return Err("--fix and --diff work on files, not on standard input".into());
        }
        if let Some(code) = fix(&args, &paths, &project, threads)? {
            return Ok(code);
        }
    }
    // Reports of unchanged files come from the result cache (not for standard input, whose
    // text has no file to key it by).
    let cache = result_cache(
        args.no_cache || reads_stdin,
        args.cache_dir.as_deref(),
        args.quiet,
    );
    let run = Run::new(
        project,
        RunOptions {
            walk: walk_options(&args, threads),
            shard: args.shard,
            baseline,
            write_baseline: args.write_baseline.clone(),
            project_root: project_root(&args),
            parse_only: args.parse_only,
            cache: cache.clone(),
            coverage: crate::coverage::CoverageOptions {
                enforce: args.coverage,
                ..Default::default()
            },
        },
    );
    let mut printer = Printer::new(print).map_err(|e| e.to_string())?;
    let stdin_bytes;
    let input = if reads_stdin {
        stdin_bytes = read_stdin(args.max_file_size)?;
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
    // Writing a baseline accepts today's findings: the run succeeded when the file is written.
    if let Some(path) = &args.write_baseline {
        eprintln!(
            "baseline: {} finding{} accepted in {}",
            outcome.summary.findings,
            if outcome.summary.findings == 1 {
                ""
            } else {
                "s"
            },
            crate::report::escape::line(&path.display().to_string())
        );
    }
    Ok(outcome.status(args.exit_zero || args.write_baseline.is_some()) as u8)
}

/// Refuse arguments that cannot work before anything is read; whether standard input is the
/// input.
fn validate(args: &CheckArgs, paths: &[PathBuf]) -> Result<bool, String> {
    let reads_stdin = paths.iter().any(|p| p.as_os_str() == "-");
    if reads_stdin && paths.len() > 1 {
        return Err("`-` (standard input) cannot be combined with other paths".into());
    }
    for p in paths {
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
    .chain(
        args.also_report
            .iter()
            .map(|(_, p)| ("--also-report", p.as_path())),
    )
    .collect();
    for (i, (flag, p)) in outputs.iter().enumerate() {
        if outputs[..i].iter().any(|(_, q)| q == p) {
            return Err(format!(
                "{flag} {}: another report is written there",
                p.display()
            ));
        }
    }
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
    crate::output::refuse_clobbering(&outputs, paths, args.baseline.as_deref())
        .map_err(|e| e.to_string())?;
    if let Some(regions) = &args.allowed_regions {
        policy::regions::validate(regions, args.allow_unknown_regions)
            .map_err(|e| format!("--allowed-regions: {e}"))?;
    }
    // Read and validate the rule files before anything is checked: a rule that does not parse
    // ends the run (exit 2) with its position. Their policies can then be selected by ID.
    crate::guard::load(&args.rules).map_err(|e| e.to_string())?;
    for s in args.select.iter().chain(&args.ignore) {
        // A config's own rules are read with the config, later.
        if !policy::pattern_is_known(s) && !policy::pattern_is_custom(s) {
            return Err(format!(
                "unknown policy, prefix or family `{s}` in --select/--ignore"
            ));
        }
    }
    Ok(reads_stdin)
}

/// The command line's settings, layered over every config; an error names a variable file
/// that cannot be read or parsed.
fn flags(args: &CheckArgs) -> Result<Flags, String> {
    let command_line_values =
        super::commands::variable_values(&args.var_file, &args.var, args.max_file_size)?;
    Ok(Flags {
        allowed_regions: args.allowed_regions.clone(),
        select: args.select.clone(),
        ignore: args.ignore.clone(),
        fail_on: args.fail_on.map(Severity::from),
        require_suppression_reason: args.require_suppression_reason,
        rules: args.rules.clone(),
        options: EngineOptions {
            max_file_size: args.max_file_size.min(MAX_TEXT_BYTES),
            parse_only: args.parse_only,
            terraform_root: match &args.terraform_root {
                Some(dir) => TerraformRoot::Dir(dir.clone()),
                None => TerraformRoot::Beside,
            },
            command_line_values,
            project_root: project_root(args),
            ..EngineOptions::default()
        },
    })
}

/// The findings of the same check at git revision `rev`, as a baseline: with `--new-since`, only
/// findings not already there are reported. REF's tree is read into a scratch directory and
/// checked there under its own configs, with this run's flags; files are named relative to the
/// repository's top in both runs, so a finding that was there matches.
fn findings_at(
    args: &CheckArgs,
    rev: &str,
    paths: &[PathBuf],
    threads: usize,
) -> Result<Baseline, String> {
    let cwd = std::env::current_dir()
        .and_then(|d| d.canonicalize())
        .map_err(|e| format!("cannot read the current directory: {e}"))?;
    let tree = crate::git_tree::read(&cwd, rev, args.max_file_size).map_err(|e| e.to_string())?;
    let top = tree.top.canonicalize().unwrap_or_else(|_| tree.top.clone());
    let below = cwd.strip_prefix(&top).unwrap_or(Path::new(""));
    let base_cwd = tree.dir().join(below);
    // The paths as they were at REF (those that did not exist there have no findings).
    let base_paths: Vec<PathBuf> = paths
        .iter()
        .filter_map(|p| {
            let absolute = if p.is_absolute() {
                p.canonicalize().ok()?
            } else {
                cwd.join(p)
            };
            let rel = crate::config::normalize(&absolute)
                .strip_prefix(&top)
                .ok()?
                .to_path_buf();
            let at = tree.dir().join(rel);
            at.exists().then_some(at)
        })
        .collect();
    let root = Arc::new(crate::project_root::ProjectRoot::new(tree.dir(), &base_cwd));
    let mut flags = flags(args)?;
    flags.options.project_root = Some(root.clone());
    let project = Arc::new(Project::new(
        config_choice(args.no_config, args.config.as_deref())?,
        flags,
    ));
    let scratch = tempfile::tempdir().map_err(|e| format!("cannot make a scratch file: {e}"))?;
    let recorded = scratch.path().join("findings-at-ref.json");
    let run = Run::new(
        project,
        RunOptions {
            walk: walk_options(args, threads),
            shard: args.shard,
            write_baseline: Some(recorded.clone()),
            project_root: Some(root),
            ..RunOptions::default()
        },
    );
    if !base_paths.is_empty() {
        run.check(Input::Paths(&base_paths), &mut Discard, &|| {})
            .map_err(|e| format!("checking {rev}: {e}"))?;
    }
    let baseline = if recorded.exists() {
        Baseline::load(&recorded).map_err(|e| e.to_string())?
    } else {
        Baseline::from_entries(Vec::new())
    };
    if args.verbose {
        eprintln!(
            "new-since {}: {} files read from git, {} findings already there",
            crate::report::escape::line(rev),
            tree.files,
            baseline.findings.len()
        );
    }
    Ok(baseline)
}

/// A listener for a run whose reports nobody reads (REF's, for `--new-since`).
struct Discard;

impl Listener for Discard {
    fn report(&mut self, _report: &FileReport) {}

    fn note(&mut self, _note: &str) {}
}

/// What baselines and fingerprints name files relative to: the project's root, found from the
/// current directory (so that a baseline holds from any directory of the project).
fn project_root(args: &CheckArgs) -> Option<Arc<crate::project_root::ProjectRoot>> {
    crate::project_root::ProjectRoot::of_current_dir(args.config.as_deref())
}

/// The width the human report wraps at: the terminal's when it goes to one, else `COLUMNS`
/// when set (CI logs, pipes); `None`: the fixed default of 100, so that reports written to
/// files are the same everywhere. At least 40 columns.
fn report_width(to_terminal: bool) -> Option<usize> {
    let terminal = to_terminal
        .then(|| terminal_size::terminal_size_of(io::stdout()))
        .flatten()
        .map(|(w, _)| usize::from(w.0));
    let columns = || {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<usize>().ok())
    };
    terminal.or_else(columns).map(|w| w.max(40))
}

/// Start `--threads` workers (0: rayon's default, one per CPU); how many were asked for.
fn start_threads(asked: Option<usize>) -> Result<usize, String> {
    let mut threads = asked.unwrap_or(0);
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
    Ok(threads)
}

/// How the report is printed.
fn print_options(args: &CheckArgs) -> PrintOptions {
    let format = report::Format::from(args.format);
    let to_terminal = args.output.is_none() && io::stdout().is_terminal();
    let human = HumanOptions {
        color: args.color.enabled(to_terminal),
        width: report_width(to_terminal),
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
    PrintOptions {
        format,
        human,
        shard: args.shard,
        output: args.output.clone(),
        verbose: args.verbose,
        quiet: args.quiet,
        sarif: report::SarifOptions::discover(args.root.as_deref(), docs_url),
        also: args
            .also_report
            .iter()
            .map(|(f, p)| (report::Format::from(*f), p.clone()))
            .collect(),
        exit_zero: args.exit_zero || args.write_baseline.is_some(),
        named_files: args
            .paths
            .iter()
            .filter(|p| p.is_file())
            .map(|p| crate::walk::display_path(p))
            .collect(),
    }
}

/// `--fix` and `--diff`: a pass of its own, with nothing written but the fixes, so that the
/// report that follows is of the files as they are after them. `Some(exit code)` when the run
/// ends here (`--diff`).
fn fix(
    args: &CheckArgs,
    paths: &[PathBuf],
    project: &Arc<Project>,
    threads: usize,
) -> Result<Option<u8>, String> {
    let pass = Run::new(
        project.clone(),
        RunOptions {
            walk: walk_options(args, threads),
            shard: args.shard,
            ..RunOptions::default()
        },
    );
    let mut collector = Fixes(Collector::default());
    pass.check(Input::Paths(paths), &mut collector, &|| {})
        .map_err(|e| e.to_string())?;
    let (changes, not_fixed) = collector.0.changes();
    for n in &not_fixed {
        eprintln!(
            "note: not fixed: {}: {}",
            crate::report::escape::line(&n.path),
            crate::report::escape::line(&n.reason)
        );
    }
    if args.diff {
        let mut out = io::stdout().lock();
        for c in &changes {
            let diff = crate::fix::unified_diff(&c.path, &c.old, &c.new);
            let escaped = crate::report::escape::lines_with_map(&diff).0;
            if let Err(e) = out.write_all(escaped.as_bytes())
                && e.kind() != io::ErrorKind::BrokenPipe
            {
                return Err(e.to_string());
            }
        }
        let status = if changes.is_empty() {
            ExitStatus::Clean
        } else {
            ExitStatus::Findings
        };
        return Ok(Some(status as u8));
    }
    let (mut fixed, mut files) = (0, 0);
    for c in &changes {
        // A file whose mode, owner or links cannot be kept is left alone, with a note.
        match crate::output::replace_keeping(&c.file, c.new.as_bytes()) {
            Ok(()) => {
                fixed += c.fixed;
                files += 1;
            }
            Err(e) => eprintln!(
                "note: not fixed: {}: {}",
                crate::report::escape::line(&c.path),
                crate::report::escape::line(&e.to_string())
            ),
        }
    }
    if !args.quiet {
        eprintln!(
            "fixed {fixed} finding{} in {files} file{}",
            if fixed == 1 { "" } else { "s" },
            if files == 1 { "" } else { "s" }
        );
    }
    Ok(None)
}

/// The fix pass's listener: it keeps each report's fixes.
struct Fixes(Collector);

impl Listener for Fixes {
    fn report(&mut self, report: &FileReport) {
        self.0.add(report);
    }
}

/// Standard input, up to one byte past the size limit (enough to report it as too large).
fn read_stdin(max_file_size: u64) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    io::stdin()
        .take(max_file_size.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    Ok(bytes)
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

/// The largest text any file may have, whatever `--max-file-size` says: spans, and the tree's
/// strings, hold 32-bit offsets and lengths.
const MAX_TEXT_BYTES: u64 = u32::MAX as u64;
