//! tripline: an offline linter that checks CloudFormation and Terraform templates against a
//! security baseline (region restriction, root-user usage, logging, detective-control
//! protection).
//!
//! The library is layered: [`parse`] loads YAML/JSON into span-keeping trees, [`model`]
//! recognizes templates and normalizes their resources, [`policy`] holds the baseline checks,
//! [`engine`] runs them on one file, [`walk`] finds files, [`report`] writes results. The
//! `tripline` binary is a thin command line over [`run`].

pub mod baseline;
pub mod config;
pub mod engine;
pub mod guard;
pub mod lsp;
pub mod output;
pub mod project;
pub mod report;
pub mod shard;
pub mod suppress;
pub mod walk;

pub use tripline_model as model;
pub use tripline_model::terraform_dir;
pub use tripline_policy as policy;
pub use tripline_policy::finding;
pub use tripline_syntax::{parse, source, wildcard};

use rayon::prelude::*;

use engine::{Engine, FileReport};
use walk::{Candidate, WalkError};

/// Files are checked in windows of this many, in parallel within a window; reports leave in
/// path order as each window completes. Large enough that threads rarely wait at a window's
/// end, small enough that the reports held at once stay a few megabytes.
pub const WINDOW: usize = 1024;

/// One unit of work: a file to check, or a path the walk could not enter (an IO001 report).
#[derive(Clone, Copy, Debug)]
pub enum Work<'a> {
    File(&'a Candidate),
    Unwalkable(&'a WalkError),
}

impl Work<'_> {
    /// The path as reported.
    pub fn display(&self) -> &str {
        match self {
            Work::File(c) => &c.display,
            Work::Unwalkable(e) => &e.display,
        }
    }
}

/// Check the files in parallel and return their reports in the order given (sorted paths give
/// sorted output whatever the number of threads). Walk errors become IO001 reports in order.
pub fn run(engine: &Engine, files: &[Candidate], walk_errors: &[WalkError]) -> Vec<FileReport> {
    run_with_progress(engine, files, walk_errors, &|| {})
}

/// [`run`], calling `tick` after each file (for a progress display).
pub fn run_with_progress(
    engine: &Engine,
    files: &[Candidate],
    walk_errors: &[WalkError],
    tick: &(dyn Fn() + Sync),
) -> Vec<FileReport> {
    let mut work: Vec<(Work<'_>, &Engine)> = files
        .iter()
        .map(|c| (Work::File(c), engine))
        .chain(walk_errors.iter().map(|e| (Work::Unwalkable(e), engine)))
        .collect();
    work.sort_by(|a, b| a.0.display().cmp(b.0.display()));
    let mut reports = Vec::with_capacity(work.len());
    stream(&work, tick, &mut |r| reports.push(r));
    reports
}

/// Check each unit of work with its own engine (the one of the config that governs it) and hand
/// the reports to `sink` one by one, in the order of `work` (sort it by path for sorted output),
/// whatever the number of threads. Only a window of reports is alive at a time.
pub fn stream(
    work: &[(Work<'_>, &Engine)],
    tick: &(dyn Fn() + Sync),
    sink: &mut dyn FnMut(FileReport),
) {
    for window in work.chunks(WINDOW) {
        // Guard rules are evaluated ahead, in batches (one Guard call re-parses every rule).
        let mut engines: Vec<&Engine> = Vec::new();
        for (_, e) in window {
            if !engines.iter().any(|x| std::ptr::eq(*x, *e)) {
                engines.push(e);
            }
        }
        for engine in &engines {
            let files: Vec<(&std::path::Path, &str)> = window
                .iter()
                .filter(|(_, e)| std::ptr::eq(*e, *engine))
                .filter_map(|(w, _)| match w {
                    Work::File(c) => Some((c.path.as_path(), c.display.as_str())),
                    Work::Unwalkable(_) => None,
                })
                .collect();
            engine.prepare_guard(&files);
        }
        let reports: Vec<FileReport> = window
            .par_iter()
            .map(|(w, engine)| {
                let r = match w {
                    Work::File(c) => engine.check_path(&c.path, &c.display),
                    Work::Unwalkable(e) => engine.io_failure(&e.display, e.message.clone()),
                };
                tick();
                r
            })
            .collect();
        for engine in &engines {
            engine.clear_guard();
        }
        for r in reports {
            sink(r);
        }
    }
}
