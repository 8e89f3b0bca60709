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
pub mod finding;
pub mod lsp;
pub mod model;
pub mod parse;
pub mod policy;
pub mod project;
pub mod report;
pub mod source;
pub mod suppress;
pub mod walk;

use rayon::prelude::*;

use engine::{Engine, FileReport};
use walk::{Candidate, WalkError};

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
    let files: Vec<(&Candidate, &Engine)> = files.iter().map(|c| (c, engine)).collect();
    let errors: Vec<(&WalkError, &Engine)> = walk_errors.iter().map(|e| (e, engine)).collect();
    run_each(&files, &errors, tick)
}

/// Check each file with its own engine (the one of the config that governs it), in parallel;
/// the reports come back sorted by path.
pub fn run_each<'e>(
    files: &[(&Candidate, &'e Engine)],
    walk_errors: &[(&WalkError, &'e Engine)],
    tick: &(dyn Fn() + Sync),
) -> Vec<FileReport> {
    let mut reports: Vec<FileReport> = files
        .par_iter()
        .map(|(c, engine)| {
            let r = engine.check_path(&c.path, &c.display);
            tick();
            r
        })
        .collect();
    reports.extend(
        walk_errors
            .iter()
            .map(|(e, engine)| engine.io_failure(&e.display, e.message.clone())),
    );
    reports.sort_by(|a, b| a.path.cmp(&b.path));
    reports
}
