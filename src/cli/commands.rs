//! The small subcommands (`init`, `merge`, `rules`, `explain`) and what the others share:
//! which config governs, the result cache, printing to standard output.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::args::{RulesArgs, RulesFormat};
use crate::config::Config;
use crate::finding::Severity;
use crate::policy;
use crate::project::ConfigChoice;
use crate::report;
use crate::run::ExitStatus;

pub(super) fn config_choice(
    no_config: bool,
    config: Option<&Path>,
) -> Result<ConfigChoice, String> {
    Ok(if no_config {
        ConfigChoice::Nothing
    } else if let Some(c) = config {
        Config::load(c).map_err(|e| e.to_string())?;
        ConfigChoice::File(c.to_path_buf())
    } else {
        ConfigChoice::Discover
    })
}

/// `--var-file` and `--var`, read and parsed (see
/// [`crate::terraform_dir::command_line_values`]); an error names the file and line.
pub(super) fn variable_values(
    var_files: &[PathBuf],
    vars: &[(String, String)],
    max_file_size: u64,
) -> Result<Vec<Arc<crate::terraform_dir::Sibling>>, String> {
    let mut files = Vec::new();
    for path in var_files {
        let text = crate::output::read_text_bounded(path, max_file_size)
            .map_err(|e| format!("--var-file {}: {e}", path.display()))?;
        files.push((crate::walk::display_path(path), text));
    }
    crate::terraform_dir::command_line_values(&files, vars, &crate::parse::Limits::default())
        .map_err(|e| format!("--var-file/--var: {e}"))
}

/// The result cache: `--cache-dir`, else `$TRIPLINE_CACHE_DIR`, else the user's cache home;
/// none when `off`, or when the cache is refused (a symbolic link in it, tracked by git), which
/// a note says unless `quiet`.
pub(super) fn result_cache(
    off: bool,
    dir: Option<&Path>,
    quiet: bool,
) -> Option<Arc<crate::cache::Cache>> {
    if off {
        return None;
    }
    let dir = dir
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("TRIPLINE_CACHE_DIR").map(PathBuf::from))
        .or_else(crate::cache::user_cache_home)?;
    match crate::cache::Cache::open(&dir) {
        Ok(cache) => Some(Arc::new(cache)),
        Err(e) => {
            if !quiet {
                let why = crate::report::escape::line(&e.to_string()).into_owned();
                eprintln!("note: checking every file without the result cache: {why}");
            }
            None
        }
    }
}

pub(super) fn init(path: &Path, force: bool) -> Result<u8, String> {
    let exists = std::fs::symlink_metadata(path).is_ok();
    if exists && !force {
        return Err(format!(
            "{} exists; use --force to overwrite it",
            path.display()
        ));
    }
    let bytes = crate::config::STARTER.as_bytes();
    // An existing file keeps its mode and owner, and a link is never replaced by a copy.
    let written = if exists {
        crate::output::replace_keeping(path, bytes)
    } else {
        crate::output::write_atomic(path, bytes)
    };
    written.map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(ExitStatus::Clean as u8)
}

/// `tripline merge`: the exit code is the one a single run would have had, so the final job of
/// a sharded pipeline can fail the build.
pub(super) fn merge(
    paths: &[PathBuf],
    output: Option<&Path>,
    fail_on: Severity,
    exit_zero: bool,
) -> Result<u8, String> {
    let merged = report::merge::merge_files(paths).map_err(|e| e.to_string())?;
    match output {
        Some(p) => crate::output::write_atomic(p, &merged.bytes)
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

pub(super) fn rules(args: RulesArgs) -> Result<u8, String> {
    crate::guard::load(&args.rules).map_err(|e| e.to_string())?;
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

pub(super) fn explain(
    id: &str,
    rules: &[PathBuf],
    format: super::args::ExplainFormatArg,
) -> Result<u8, String> {
    let guard = crate::guard::load(rules).map_err(|e| e.to_string())?;
    let format = match format {
        super::args::ExplainFormatArg::Text => report::catalog::ExplainFormat::Text,
        super::args::ExplainFormatArg::Markdown => report::catalog::ExplainFormat::Markdown,
    };
    // The terminal's width, else COLUMNS, else 100 (as the human report wraps).
    let width = terminal_size::terminal_size_of(io::stdout())
        .map(|(w, _)| usize::from(w.0))
        .or_else(|| std::env::var("COLUMNS").ok()?.trim().parse().ok())
        .unwrap_or(100)
        .max(40);
    match report::catalog::explain(id, guard.as_deref(), format, width) {
        Some(text) => print_all(&text),
        None => Err(format!(
            "unknown policy `{id}`; `tripline rules` lists them"
        )),
    }
}

/// Write to standard output; a closed pipe (`| head`) is not an error.
pub(super) fn print_all(text: &str) -> Result<u8, String> {
    match io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e.to_string()),
        _ => Ok(ExitStatus::Clean as u8),
    }
}
