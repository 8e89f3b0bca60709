//! `tripline coverage`: check the tree (quietly, through the result cache like `check`), then
//! report each control objective's status.

use std::io::{self, IsTerminal};
use std::path::PathBuf;
use std::sync::Arc;

use super::args::{CoverageArgs, CoverageFormat};
use super::commands::{config_choice, print_all, result_cache};
use crate::coverage::Coverage;
use crate::engine::Flags;
use crate::file_report::FileReport;
use crate::policy;
use crate::project::Project;
use crate::report;
use crate::run::{ExitStatus, Input, Listener, Run, RunOptions};
use crate::walk::WalkOptions;

/// `tripline coverage`; exit 1 when an applicable objective is violated or missing.
pub(super) fn coverage(args: CoverageArgs) -> Result<u8, String> {
    if args.list {
        return list();
    }
    crate::fault::quiet_panics_during_checks();
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    validate(&args, &paths)?;
    let mut coverage = assess(&args, &paths)?;
    if let Some(f) = args.framework {
        let framework = f.framework();
        // Only what the framework asks for: an objective it has no control for is left out.
        coverage
            .objectives
            .retain(|a| !framework.controls_of(a.objective).is_empty());
        coverage.framework = Some(framework);
    }
    let text = render(&args, &coverage)?;
    match &args.output {
        Some(p) => crate::output::write_atomic(p, text.as_bytes())
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

/// `--list`: the objectives, one a line.
fn list() -> Result<u8, String> {
    let mut text = String::new();
    for o in policy::coverage::OBJECTIVES {
        text.push_str(&format!(
            "{:<20} {:<10} {}\n",
            o.id,
            o.family.as_str(),
            o.title
        ));
    }
    print_all(&text)
}

/// Refuse arguments that cannot work before anything is read.
fn validate(args: &CoverageArgs, paths: &[PathBuf]) -> Result<(), String> {
    for p in paths {
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
        crate::output::refuse_clobbering(&[("-o/--output", out.as_path())], paths, None)
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
    Ok(())
}

/// Check the tree with no report printed: coverage is the report.
fn assess(args: &CoverageArgs, paths: &[PathBuf]) -> Result<Coverage, String> {
    let choice = config_choice(args.no_config, args.config.as_deref())?;
    let defaults = crate::engine::EngineOptions::default();
    let command_line_values =
        super::commands::variable_values(&args.var_file, &args.var, defaults.max_file_size)?;
    let project = Arc::new(Project::new(
        choice,
        Flags {
            allowed_regions: args.allowed_regions.clone(),
            options: crate::engine::EngineOptions {
                command_line_values,
                ..defaults
            },
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
    let cache = result_cache(args.no_cache, args.cache_dir.as_deref(), false);
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
            coverage: crate::coverage::CoverageOptions {
                enforce: false,
                select: args.select.clone(),
                ignore: args.ignore.clone(),
            },
            ..RunOptions::default()
        },
    );
    let outcome = run
        .check(Input::Paths(paths), &mut Quiet, &|| {})
        .map_err(|e| e.to_string())?;
    outcome
        .coverage
        .ok_or_else(|| "coverage could not be assessed for these paths".to_string())
}

/// The reports are not printed: coverage is the report.
struct Quiet;

impl Listener for Quiet {
    fn report(&mut self, _report: &FileReport) {}
}

/// The coverage report in the format asked for.
fn render(args: &CoverageArgs, coverage: &Coverage) -> Result<String, String> {
    let to_terminal = args.output.is_none() && io::stdout().is_terminal();
    Ok(match args.format {
        CoverageFormat::Human => report::coverage::human(coverage, args.color.enabled(to_terminal)),
        CoverageFormat::Markdown => report::coverage::markdown(coverage),
        CoverageFormat::Json => {
            serde_json::to_string_pretty(&report::coverage::json(coverage))
                .map_err(|e| e.to_string())?
                + "\n"
        }
        CoverageFormat::Sarif => {
            let options = report::SarifOptions::discover(args.root.as_deref(), None);
            serde_json::to_string_pretty(&report::coverage::sarif(coverage, &options))
                .map_err(|e| e.to_string())?
                + "\n"
        }
    })
}
