//! A run: the one sequence every front end goes through. Scopes (which config governs which
//! file) → walk → shard → check → stream (reports in path order, a window at a time) → baseline
//! → fail-on (per config) → the configs' own findings → exit status.
//!
//! `tripline check` and the language server both call [`Run::check`]; they differ only in what
//! they do with each report ([`Listener`]): print it in a format, or turn it into diagnostics.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::baseline::{self, Baseline, BaselineFilter};
use crate::engine::Engine;
use crate::file_report::{FileReport, Outcome};
use crate::finding::{Finding, Severity};
use crate::policy::{self, RawFinding};
use crate::project::{Project, ProjectError, Scope};
use crate::report::Summary;
use crate::shard::Shard;
use crate::source::Span;
use crate::walk::{self, Candidate, GlobError, WalkError, WalkOptions};

/// Files are checked in windows of this many, in parallel within a window; reports leave in
/// path order as each window completes. Large enough that threads rarely wait at a window's
/// end, small enough that the reports held at once (two windows': one being rendered while the
/// next is checked) stay a few megabytes.
pub const WINDOW: usize = 1024;

/// How many walked files the walker hands on at once.
const CHUNK: usize = 64;

/// Exit status of `tripline check` (and `merge`): stable, documented in the README.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// No finding at or above the threshold.
    Clean = 0,
    /// Findings at or above the threshold.
    Findings = 1,
    /// The run could not be done (bad arguments, invalid config, unwritable output).
    Error = 2,
}

/// What a run checks.
#[derive(Clone, Copy, Debug)]
pub enum Input<'a> {
    /// Files and directories on disk, walked.
    Paths(&'a [PathBuf]),
    /// Text from standard input, reported as `name`; `path`, when given, says which config
    /// governs it (otherwise the one of the working directory).
    Stdin {
        /// The name the input is reported as.
        name: &'a str,
        /// The text.
        bytes: &'a [u8],
        /// The path whose config governs it.
        path: Option<&'a Path>,
    },
    /// An editor's unsaved buffer of the file at `path`: checked with the other files of its
    /// directory as they are on disk (a `.tf` file is one part of a configuration).
    Buffer {
        /// The name the input is reported as.
        name: &'a str,
        /// The text.
        bytes: &'a [u8],
        /// The file the buffer holds.
        path: Option<&'a Path>,
    },
}

/// How a run goes, beyond what the configs and flags of its [`Project`] say.
#[derive(Debug, Default)]
pub struct RunOptions {
    /// How paths are walked.
    pub walk: WalkOptions,
    /// Only this shard's files.
    pub shard: Option<Shard>,
    /// Findings of this baseline are known and do not count.
    pub baseline: Option<Baseline>,
    /// Write every finding (before the baseline is applied) to this file at the end.
    pub write_baseline: Option<PathBuf>,
    /// What baselines name files relative to (`None`: as reported).
    pub project_root: Option<Arc<crate::project_root::ProjectRoot>>,
    /// Only parse: no policies, no config findings.
    pub parse_only: bool,
    /// Reuse and keep reports in this result cache.
    pub cache: Option<Arc<crate::cache::Cache>>,
    /// How coverage is assessed: whether the objectives missing from the tree are reported as
    /// COV001 findings (`--coverage`; a config's `[coverage] enforce` turns it on too), and
    /// which objectives apply.
    pub coverage: crate::coverage::CoverageOptions,
}

/// Why a run could not be done.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Configs that could not be read or are invalid, all of them.
    #[error("{}", join_errors(.0))]
    Config(Vec<ProjectError>),
    /// An `--include`/`--exclude` glob that does not parse.
    #[error(transparent)]
    Glob(#[from] GlobError),
    /// The baseline could not be written.
    #[error(transparent)]
    Baseline(#[from] baseline::BaselineError),
}

fn join_errors(errors: &[ProjectError]) -> String {
    errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\nerror: ")
}

/// What a front end does with a run's reports. Reports arrive in path order, baseline applied,
/// the configs' own findings last.
pub trait Listener {
    /// Called once the files to check and the scope governing each are known (index into
    /// [`Project::scopes`] per file, in path order), before any is checked.
    fn planned(&mut self, _project: &Project, _governed: &[usize]) {}

    /// Called instead of [`Listener::planned`] when one directory is walked and checked as it
    /// is walked: how many files there are is known only at the end ([`Listener::walked`]).
    fn walking(&mut self, project: &Project) {
        self.planned(project, &[]);
    }

    /// One file's report.
    fn report(&mut self, report: &FileReport);

    /// Called at the end of a run that walked one directory in order, checking files as they
    /// were found (so [`Listener::planned`] was told of none): how many files each scope
    /// governed, as (index into [`Project::scopes`], files).
    fn walked(&mut self, _project: &Project, _files_by_scope: &[(usize, usize)]) {}

    /// What the walk says of the tree (a CDK app found, or never synthesized).
    fn note(&mut self, note: &str) {
        eprintln!("note: {}", crate::report::escape::line(note));
    }
}

/// What a run found, for the exit status and the summary line.
#[derive(Debug)]
pub struct RunOutcome {
    /// Counts over every report (baseline statistics included when one was applied).
    pub summary: Summary,
    /// Findings at or above the `fail_on` of the config that governs their file.
    pub failing: usize,
    /// The tree's control-objective coverage, under the config of the first path checked
    /// (`None` under `--shard` or `--parse-only`, which do not see the whole tree's evidence).
    pub coverage: Option<crate::coverage::Coverage>,
}

impl RunOutcome {
    /// [`ExitStatus::Findings`] when some finding is at or above its threshold, unless
    /// `exit_zero` says a pipeline only wants the report.
    pub fn status(&self, exit_zero: bool) -> ExitStatus {
        if !exit_zero && self.failing > 0 {
            ExitStatus::Findings
        } else {
            ExitStatus::Clean
        }
    }
}

/// A configured run over a [`Project`] (the configs and command-line flags).
pub struct Run {
    project: Arc<Project>,
    options: RunOptions,
}

impl Run {
    /// A run over `project` with `options`.
    pub fn new(project: Arc<Project>, options: RunOptions) -> Run {
        Run { project, options }
    }

    /// The configs and flags this run checks under.
    pub fn project(&self) -> &Arc<Project> {
        &self.project
    }

    /// Check `input`, handing each report to `listener` in path order; `tick` is called after
    /// each file (from worker threads: a progress display). Configs are resolved before any
    /// work, so an invalid one ends the run before anything is reported.
    pub fn check(
        &self,
        input: Input<'_>,
        listener: &mut dyn Listener,
        tick: &(dyn Fn() + Sync),
    ) -> Result<RunOutcome, RunError> {
        for scope in self.project.scopes() {
            scope.engine.begin_run();
        }
        let mut tally = Tally::new(&self.options);
        match input {
            Input::Stdin { name, bytes, path } | Input::Buffer { name, bytes, path } => {
                let (i, scope) = match path {
                    Some(p) => self.project.scope_for_file(p),
                    None => self.project.scope_for_dir(Path::new(".")),
                };
                self.config_errors()?;
                tally.root = Some((i, name.to_string()));
                listener.planned(&self.project, &[i]);
                let report = match input {
                    Input::Buffer { .. } => scope.engine.check_bytes_at(name, bytes, path),
                    _ => scope.engine.check_bytes(name, bytes),
                };
                tally.take(report, i, scope.fail_on, listener);
            }
            Input::Paths(paths) => self.check_paths(paths, &mut tally, listener, tick)?,
        }
        self.finish(tally, listener)
    }

    fn check_paths(
        &self,
        paths: &[PathBuf],
        tally: &mut Tally<'_>,
        listener: &mut dyn Listener,
        tick: &(dyn Fn() + Sync),
    ) -> Result<(), RunError> {
        let project = &self.project;
        // Resolve the roots' configs first: an invalid one stops the run before any work.
        for p in paths {
            let (i, _) = if p.is_dir() {
                project.scope_for_dir(p)
            } else {
                project.scope_for_file(p)
            };
            // Coverage is assessed under the config of the first path.
            tally.root.get_or_insert_with(|| (i, walk::display_path(p)));
        }
        self.config_errors()?;
        let filter: walk::PathFilter = {
            let project = project.clone();
            Arc::new(move |path: &Path, is_dir: bool| {
                // The result cache is never a template (and a walk with --hidden meets it).
                if is_dir
                    && path.file_name() == Some(std::ffi::OsStr::new(crate::cache::IN_TREE_DIR))
                {
                    return false;
                }
                let parent = path.parent().unwrap_or(Path::new(""));
                let (_, scope) = project.scope_for_dir(parent);
                !scope.has_globs()
                    || scope.admits(&project.absolute(path), &walk::display_path(path), is_dir)
            })
        };
        // One directory: walked in order and checked window by window as it is walked, so
        // that memory does not grow with the number of files.
        if let [root] = paths
            && root.is_dir()
        {
            return self.check_walked(root, filter, tally, listener, tick);
        }
        let mut discovered = walk::discover_filtered(paths, &self.options.walk, Some(filter))?;
        for note in &discovered.notes {
            listener.note(note);
        }
        if let Some(shard) = self.options.shard {
            discovered.files.retain(|c| shard.contains(&c.display));
            discovered.errors.retain(|e| shard.contains(&e.display));
        }
        let work: Vec<Work<'_>> = discovered
            .files
            .iter()
            .map(Work::File)
            .chain(discovered.errors.iter().map(Work::Unwalkable))
            .collect();
        let work = self.scoped(work)?;
        let governed: Vec<usize> = work.iter().map(|(_, i, _)| *i).collect();
        listener.planned(project, &governed);
        let mut pending = Vec::new();
        self.check_work(&work, &mut pending, tally, listener, tick);
        hand_on(&mut pending, tally, listener);
        Ok(())
    }

    /// Units of work with the scope that governs each, in path order (the order of the
    /// output); an invalid config met while resolving them ends the run.
    fn scoped<'w>(
        &self,
        mut work: Vec<Work<'w>>,
    ) -> Result<Vec<(Work<'w>, usize, Arc<Scope>)>, RunError> {
        work.sort_by(|a, b| a.display().cmp(b.display()));
        let scoped = work
            .into_iter()
            .map(|w| {
                let path = match w {
                    Work::File(c) => c.path.as_path(),
                    Work::Unwalkable(e) => Path::new(&e.display),
                };
                let (i, scope) = self.project.scope_for_file(path);
                (w, i, scope)
            })
            .collect();
        self.config_errors()?;
        Ok(scoped)
    }

    /// Check scoped work in windows and hand the reports to the tally, in order. A window's
    /// reports are handed on (rendered) while the next window is checked: `pending` holds
    /// the last window's until the next call, or [`hand_on`].
    fn check_work(
        &self,
        work: &[(Work<'_>, usize, Arc<Scope>)],
        pending: &mut Vec<Pending>,
        tally: &mut Tally<'_>,
        listener: &mut dyn Listener,
        tick: &(dyn Fn() + Sync),
    ) {
        let cache = self.options.cache.as_deref();
        for window in work.chunks(WINDOW) {
            let engines: Vec<(Work<'_>, &Engine)> =
                window.iter().map(|(w, _, s)| (*w, &s.engine)).collect();
            let reports = if pending.is_empty() {
                // Nothing to render meanwhile (the first window, a single file): no thread.
                check_window(&engines, cache, tick)
            } else {
                // Checked on the pool while this thread hands the previous window on. The
                // pool's threads live for the run: a thread of its own per window left its
                // allocator heap behind when it ended (memory the allocator keeps), and filling
                // the cache of a million files peaked at 97 MiB instead of 52. A panic while
                // checking goes on, as the panic it is, when the scope ends.
                let mut checked = None;
                rayon::in_place_scope(|s| {
                    s.spawn(|_| checked = Some(check_window(&engines, cache, tick)));
                    hand_on(pending, tally, listener);
                });
                checked.expect("a scope ends when its work is done")
            };
            pending.extend(
                reports
                    .into_iter()
                    .zip(window)
                    .map(|(report, (_, i, scope))| (report, *i, scope.fail_on)),
            );
        }
    }

    /// [`Run::check_paths`] for one directory: a walker thread lists its files in path order
    /// while windows of them are checked. A config below the root that is invalid ends the
    /// run when the walk reaches it (the files before it have been reported).
    fn check_walked(
        &self,
        root: &Path,
        filter: walk::PathFilter,
        tally: &mut Tally<'_>,
        listener: &mut dyn Listener,
        tick: &(dyn Fn() + Sync),
    ) -> Result<(), RunError> {
        let project = &self.project;
        // Globs are checked before anything is walked.
        walk::Globs::new(&self.options.walk.include)?;
        walk::Globs::new(&self.options.walk.exclude)?;
        listener.walking(project);
        let mut by_scope: HashMap<usize, usize> = HashMap::new();
        let options = &self.options;
        std::thread::scope(|s| -> Result<(), RunError> {
            // The walker hands its finds on in chunks: one hand-over per file cost a wake-up
            // of the receiving thread per file.
            let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<walk::Walked>>(WINDOW / CHUNK);
            let walker = s.spawn(move || {
                let mut chunk = Vec::with_capacity(CHUNK);
                let walked = walk::walk_in_order(root, &options.walk, Some(filter), &mut |w| {
                    chunk.push(w);
                    chunk.len() < CHUNK
                        || tx
                            .send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK)))
                            .is_ok()
                });
                if !chunk.is_empty() {
                    // The receiver may be gone (the run ended early): nothing to hand on then.
                    let _ = tx.send(chunk);
                }
                walked
            });
            let mut items = rx.iter().flatten().filter(|w| {
                let display = match w {
                    walk::Walked::File(c) => &c.display,
                    walk::Walked::Error(e) => &e.display,
                };
                options.shard.is_none_or(|shard| shard.contains(display))
            });
            let mut pending = Vec::new();
            let outcome = loop {
                let batch: Vec<walk::Walked> = items.by_ref().take(WINDOW).collect();
                if batch.is_empty() {
                    break Ok(());
                }
                // A walk error is met where its directory is entered, which can be just after
                // siblings whose names sort before it: sorting the window puts it in place.
                let work = batch
                    .iter()
                    .map(|w| match w {
                        walk::Walked::File(c) => Work::File(c),
                        walk::Walked::Error(e) => Work::Unwalkable(e),
                    })
                    .collect();
                let work = match self.scoped(work) {
                    Ok(work) => work,
                    Err(e) => break Err(e),
                };
                for (_, i, _) in &work {
                    *by_scope.entry(*i).or_insert(0) += 1;
                }
                self.check_work(&work, &mut pending, tally, listener, tick);
            };
            // The files before an invalid config are reported too.
            hand_on(&mut pending, tally, listener);
            // Stop the walker (a send fails once the receiver is gone) and wait for it.
            drop(items);
            drop(rx);
            // A panic in the walk is not a shorter walk: it goes on as the panic it is.
            let walked = walker
                .join()
                .unwrap_or_else(|payload| std::panic::resume_unwind(payload));
            outcome?;
            for note in walked? {
                listener.note(&note);
            }
            Ok(())
        })?;
        let mut counts: Vec<(usize, usize)> = by_scope.into_iter().collect();
        counts.sort_unstable();
        listener.walked(project, &counts);
        Ok(())
    }

    fn config_errors(&self) -> Result<(), RunError> {
        let errors = self.project.take_errors();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(RunError::Config(errors))
        }
    }

    /// The configs' own findings (known only now), the baseline file, the summary.
    fn finish(
        &self,
        mut tally: Tally<'_>,
        listener: &mut dyn Listener,
    ) -> Result<RunOutcome, RunError> {
        if !self.options.parse_only {
            let mut config_reports = Vec::new();
            for (i, scope) in self.project.scopes().iter().enumerate() {
                let used = tally.used.remove(&i).unwrap_or_default();
                let seen = tally.seen.remove(&i).unwrap_or_default();
                if let Some(report) =
                    stale_config_suppressions(scope, &used, &seen, self.options.shard)
                {
                    config_reports.push((report, i, scope.fail_on));
                }
            }
            config_reports.sort_by(|a, b| a.0.path.cmp(&b.0.path));
            for (report, i, fail_on) in config_reports {
                tally.take(report, i, fail_on, listener);
            }
        }
        let coverage = self.coverage(&mut tally, listener);
        if let (Some(path), Some(entries)) = (&self.options.write_baseline, tally.entries.take()) {
            Baseline::from_entries(entries).write(path)?;
        }
        tally.summary.baseline = tally.baseline.as_ref().map(BaselineFilter::stats);
        Ok(RunOutcome {
            summary: tally.summary,
            failing: tally.failing,
            coverage,
        })
    }

    /// The tree's coverage, and when it is enforced, a report of the missing objectives
    /// (COV001) at the `[coverage]` table of the first path's config, else at that path.
    fn coverage(
        &self,
        tally: &mut Tally<'_>,
        listener: &mut dyn Listener,
    ) -> Option<crate::coverage::Coverage> {
        let (i, root) = tally.root.clone()?;
        let scope = self.project.scopes().get(i)?.clone();
        let config = self.options.coverage.apply(&scope.config.coverage);
        let enforce = config.enforce;
        if self.options.parse_only {
            return None;
        }
        if self.options.shard.is_some() {
            if enforce {
                eprintln!(
                    "note: coverage is not assessed under --shard (a shard sees part of the \
                     tree); run `tripline coverage` on the whole tree"
                );
            }
            return None;
        }
        let gathered = std::mem::take(&mut tally.gathered);
        let (display, text) = match &scope.config.source {
            Some(source) => (config_display(&source.path), source.text.as_str()),
            None => (root, ""),
        };
        let span = crate::coverage::config_anchor(text);
        let anchor = crate::coverage::Anchor {
            path: display.clone(),
            line: scope.config.source.as_ref().map(|_| {
                crate::source::LineIndex::new(text)
                    .position(text, span.start as usize)
                    .line
            }),
        };
        let coverage = crate::coverage::assess(&gathered, &config, anchor);
        if enforce {
            let raws: Vec<RawFinding> = coverage
                .objectives
                .iter()
                .filter(|a| {
                    matches!(
                        a.status,
                        crate::coverage::Status::Missing | crate::coverage::Status::Partial
                    )
                })
                .map(|a| RawFinding {
                    elsewhere: Default::default(),
                    policy: "COV001",
                    span,
                    message: crate::coverage::gap_message(a, coverage.organization.as_ref()).into(),
                    resource: Some(a.objective.id.to_string().into()),
                    fix: None,
                    related: Default::default(),
                })
                .collect();
            if !raws.is_empty() {
                let mut findings = scope.engine.findings_for(&display, text, raws);
                // Each missing objective weighs what it protects, unless the config sets
                // COV001's severity.
                if !scope.config.severity.contains_key("COV001") {
                    for f in &mut findings {
                        if let Some(o) = f
                            .resource
                            .as_deref()
                            .and_then(crate::policy::coverage::objective)
                        {
                            f.severity = o.severity;
                        }
                    }
                }
                let report = config_report(&display, text, findings);
                tally.take(report, i, scope.fail_on, listener);
            }
        }
        Some(coverage)
    }
}

/// A config's path as reported: relative to the working directory, like the templates.
fn config_display(path: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(walk::display_path))
        .unwrap_or_else(|| walk::display_path(path))
}

/// The bookkeeping of a run as reports come: counts, the baseline, the suppression rules used.
struct Tally<'a> {
    summary: Summary,
    failing: usize,
    baseline: Option<BaselineFilter<'a>>,
    /// Every finding, when the baseline is to be written.
    entries: Option<Vec<baseline::Entry>>,
    /// Per scope: the `[[suppress]]` patterns used and the rules seen.
    used: HashMap<usize, HashSet<(usize, usize)>>,
    seen: HashMap<usize, HashSet<usize>>,
    /// What the reports say about control-objective coverage.
    gathered: crate::coverage::Gathered,
    /// The scope of the first path checked and that path as reported: coverage is assessed
    /// under its config.
    root: Option<(usize, String)>,
    /// What baseline entries name files relative to.
    root_dir: Option<Arc<crate::project_root::ProjectRoot>>,
}

impl<'a> Tally<'a> {
    fn new(options: &'a RunOptions) -> Tally<'a> {
        Tally {
            summary: Summary::default(),
            failing: 0,
            baseline: options
                .baseline
                .as_ref()
                .map(|b| b.filter(options.project_root.as_deref())),
            entries: options.write_baseline.as_ref().map(|_| Vec::new()),
            used: HashMap::new(),
            seen: HashMap::new(),
            gathered: crate::coverage::Gathered::default(),
            root: None,
            root_dir: options.project_root.clone(),
        }
    }

    fn take(
        &mut self,
        mut report: FileReport,
        scope: usize,
        fail_on: Severity,
        listener: &mut dyn Listener,
    ) {
        self.used
            .entry(scope)
            .or_default()
            .extend(report.used_rules.iter().copied());
        self.seen
            .entry(scope)
            .or_default()
            .extend(report.seen_rules.iter().copied());
        if let Some(entries) = &mut self.entries {
            let root = self.root_dir.as_deref();
            entries.extend(report.findings.iter().map(|f| baseline::Entry::of(f, root)));
        }
        self.gathered.take(&report);
        if let Some(b) = &mut self.baseline {
            b.apply(&mut report);
        }
        self.summary.add(&report);
        self.failing += report
            .findings
            .iter()
            .filter(|f| f.severity >= fail_on)
            .count();
        listener.report(&report);
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
    let engine = &scope.engine;
    let source = scope.config.source.as_ref()?;
    let display = config_display(&source.path);
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
                && crate::suppress::pattern_selects_any(pattern, &enabled)
            {
                raws.push(RawFinding {
            elsewhere: Default::default(),
                    policy: "SUPP001",
                    span: Span::new(span.start, span.end),
                    message: format!("[[suppress]] of `{pattern}` suppresses nothing in the files it applies to; remove it").into(),
                    resource: None,
                    fix: None,
                    related: Default::default(),
                });
            }
        }
        if require_reason
            && rule.reason.is_none()
            && let Some((_, span)) = rule.patterns.first()
        {
            raws.push(RawFinding {
                elsewhere: Default::default(),
                policy: "SUPP002",
                span: Span::new(span.start, span.end),
                message: "[[suppress]] rule gives no `reason`".to_string().into(),
                resource: None,
                fix: None,
                related: Default::default(),
            });
        }
    }
    if raws.is_empty() {
        return None;
    }
    let findings = engine.findings_for(&display, &source.text, raws);
    Some(config_report(&display, &source.text, findings))
}

/// The report of findings about a config (or, for coverage, the path checked), sorted.
fn config_report(display: &str, text: &str, mut findings: Vec<Finding>) -> FileReport {
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    FileReport {
        path: display.to_string(),
        outcome: Outcome::Config,
        findings,
        bytes: text.len() as u64,
        suppressed: 0,
        used_rules: Vec::new(),
        seen_rules: Vec::new(),
        notes: Vec::new(),
        unfollowed_modules: Vec::new(),
        depends: crate::file_report::Depends::OtherFiles,
        evidence: Vec::new(),
        fixes_from: None,
    }
}

/// One unit of work: a file to check, or a path the walk could not enter (an IO001 report).
#[derive(Clone, Copy, Debug)]
pub enum Work<'a> {
    /// A file the walk found.
    File(&'a Candidate),
    /// A path the walk could not enter.
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

/// Check the files with one engine, in parallel, and return their reports in path order
/// whatever the number of threads. Walk errors become IO001 reports in order. (The benchmark
/// and tests use this; front ends use [`Run`].)
pub fn check_files(
    engine: &Engine,
    files: &[Candidate],
    walk_errors: &[WalkError],
) -> Vec<FileReport> {
    let mut work: Vec<(Work<'_>, &Engine)> = files
        .iter()
        .map(|c| (Work::File(c), engine))
        .chain(walk_errors.iter().map(|e| (Work::Unwalkable(e), engine)))
        .collect();
    work.sort_by(|a, b| a.0.display().cmp(b.0.display()));
    let mut reports = Vec::with_capacity(work.len());
    for window in work.chunks(WINDOW) {
        reports.extend(check_window(window, None, &|| {}));
    }
    reports
}

/// A checked file's report waiting to be handed to the tally: the index of its scope and the
/// scope's `fail_on`.
type Pending = (FileReport, usize, Severity);

/// Hand the pending reports to the tally, in order.
fn hand_on(pending: &mut Vec<Pending>, tally: &mut Tally<'_>, listener: &mut dyn Listener) {
    for (report, scope, fail_on) in pending.drain(..) {
        tally.take(report, scope, fail_on, listener);
    }
}

/// Check one window of work in parallel, each unit with its own engine (the one of the config
/// that governs it): the reports in the order of `window`, whatever the number of threads.
fn check_window(
    window: &[(Work<'_>, &Engine)],
    cache: Option<&crate::cache::Cache>,
    tick: &(dyn Fn() + Sync),
) -> Vec<FileReport> {
    // Reports the cache holds for unchanged files (no read), before Guard's batches,
    // which then take only the files to check.
    let slots = match cache {
        Some(cache) => {
            let paths: Vec<Option<&Path>> = window
                .iter()
                .map(|(w, _)| match w {
                    Work::File(c) => Some(c.path.as_path()),
                    Work::Unwalkable(_) => None,
                })
                .collect();
            cache.slots(&paths)
        }
        None => window.iter().map(|_| None).collect(),
    };
    let mut cached: Vec<Option<FileReport>> = match cache {
        Some(cache) => window
            .par_iter()
            .zip(&slots)
            .map(|((w, engine), slot)| match (w, slot) {
                (Work::File(c), Some(slot)) => cache.fresh(engine, slot, &c.path, &c.display),
                _ => None,
            })
            .collect(),
        None => window.iter().map(|_| None).collect(),
    };
    // Guard rules are evaluated ahead, in batches (one Guard call re-parses every rule).
    let mut engines: Vec<&Engine> = Vec::new();
    for (_, e) in window {
        if !engines.iter().any(|x| std::ptr::eq(*x, *e)) {
            engines.push(e);
        }
    }
    for engine in &engines {
        let files: Vec<(&Path, &str)> = window
            .iter()
            .zip(&cached)
            .filter(|((_, e), hit)| std::ptr::eq(*e, *engine) && hit.is_none())
            .filter_map(|((w, _), _)| match w {
                Work::File(c) => Some((c.path.as_path(), c.display.as_str())),
                Work::Unwalkable(_) => None,
            })
            .collect();
        engine.prepare_guard(&files);
    }
    let reports: Vec<FileReport> = window
        .par_iter()
        .zip(cached.par_iter_mut())
        .zip(&slots)
        .map(|(((w, engine), hit), slot)| {
            let r = match (w, hit.take()) {
                (_, Some(r)) => r,
                (Work::File(c), None) => match cache {
                    Some(cache) => cache.check(engine, slot.as_deref(), &c.path, &c.display),
                    None => engine.check_path(&c.path, &c.display),
                },
                (Work::Unwalkable(e), None) if e.link => {
                    engine.link_not_followed(&e.display, &e.message)
                }
                (Work::Unwalkable(e), None) => engine.io_failure(&e.display, e.message.clone()),
            };
            tick();
            r
        })
        .collect();
    for engine in &engines {
        engine.clear_guard();
    }
    if let Some(cache) = cache {
        // The next window most likely goes on in the directory this one ended in.
        let last = window.last().and_then(|(w, _)| match w {
            Work::File(c) => crate::cache::Cache::dir_key(&c.path),
            Work::Unwalkable(_) => None,
        });
        cache.flush(&|d| Some(d) == last.as_deref());
    }
    reports
}
