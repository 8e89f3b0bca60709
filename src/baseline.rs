//! Baselines: the accepted state of a tree's findings, so that a pipeline fails only on new
//! drift. `--write-baseline FILE` records the current findings; `--baseline FILE` reports only
//! findings not in it and counts the recorded ones that are gone (fixed). Findings are matched
//! by path and fingerprint, and fingerprints ignore line numbers, so edits elsewhere in a file do
//! not turn old findings into new ones.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::file_report::FileReport;
use crate::project_root::ProjectRoot;

/// The baseline file format's version. Version 2 records fingerprints that leave the message
/// out; version 1 (written before) recorded ones that hashed it, and is still read: its
/// entries match by the findings' legacy fingerprints.
pub(crate) const BASELINE_VERSION: u32 = 2;
/// The oldest version still read.
const OLDEST_VERSION: u32 = 1;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
/// A baseline file: findings that are known and do not fail a build.
pub struct Baseline {
    /// The format version (`BASELINE_VERSION`).
    pub version: u32,
    /// The known findings, sorted.
    pub findings: Vec<Entry>,
}

/// One accepted finding. `policy`, `resource` and `message` are for the people reading the
/// file; matching uses `path` (relative to the project root, whatever directory the run
/// started in) and `fingerprint`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The file, relative to the project root (as reported, before format 2 and without a
    /// root).
    pub path: String,
    /// The finding's fingerprint (stable across edits that move lines).
    pub fingerprint: String,
    /// The policy's ID.
    pub policy: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The resource concerned, if any.
    pub resource: Option<String>,
    /// The finding's message when it was recorded (for people reading the file).
    pub message: String,
}

impl Entry {
    /// The entry recording finding `f`, its path relative to `root`.
    pub fn of(f: &crate::finding::Finding, root: Option<&ProjectRoot>) -> Entry {
        Entry {
            path: root.map_or_else(|| f.path.to_string(), |r| r.relative(&f.path).into_owned()),
            fingerprint: f.fingerprint.clone(),
            policy: f.policy.to_string(),
            resource: f.resource.clone(),
            message: f.message.clone(),
        }
    }
}

/// What applying a baseline did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineStats {
    /// Findings that were in the baseline and are still there (not reported).
    pub known: usize,
    /// Baseline entries of the files checked that are no longer found (fixed). Entries of
    /// files this run did not check (one file, the pre-commit hook) are not counted.
    pub fixed: usize,
}

#[derive(Debug, thiserror::Error)]
/// Why a baseline cannot be read or written.
pub enum BaselineError {
    #[error("cannot read baseline {path}: {source}")]
    /// The file could not be read.
    Read {
        /// The baseline.
        path: PathBuf,
        #[source]
        /// Why.
        source: std::io::Error,
    },
    #[error("invalid baseline {path}: {message}")]
    /// The file is not a baseline.
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    #[error("cannot write baseline {path}: {source}")]
    /// The file could not be written.
    Write {
        /// The baseline.
        path: PathBuf,
        #[source]
        /// Why.
        source: std::io::Error,
    },
}

impl Baseline {
    /// A baseline of these entries (sorted here).
    pub(crate) fn from_entries(mut findings: Vec<Entry>) -> Baseline {
        findings.sort();
        Baseline {
            version: BASELINE_VERSION,
            findings,
        }
    }

    /// Read a baseline file.
    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let text = crate::output::read_text_bounded(path, crate::output::MAX_REPORT_BYTES)
            .map_err(|source| BaselineError::Read {
                path: path.to_path_buf(),
                source,
            })?;
        let baseline: Baseline =
            serde_json::from_str(&text).map_err(|e| BaselineError::Invalid {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        if !(OLDEST_VERSION..=BASELINE_VERSION).contains(&baseline.version) {
            return Err(BaselineError::Invalid {
                path: path.to_path_buf(),
                message: format!(
                    "version {} is not supported (expected {OLDEST_VERSION} to \
                     {BASELINE_VERSION})",
                    baseline.version
                ),
            });
        }
        Ok(baseline)
    }

    /// Write the baseline to `path`, atomically.
    pub fn write(&self, path: &Path) -> Result<(), BaselineError> {
        let mut text = serde_json::to_string_pretty(self).expect("baselines serialize");
        text.push('\n');
        crate::output::write_atomic(path, text.as_bytes()).map_err(|source| BaselineError::Write {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Remove known findings from the reports; count known and fixed.
    pub fn apply(&self, reports: &mut [FileReport]) -> BaselineStats {
        let mut filter = self.filter(None);
        for r in reports.iter_mut() {
            filter.apply(r);
        }
        filter.stats()
    }

    /// A filter for reports that come one at a time; findings' paths are taken relative to
    /// `root` (the baseline's entries are, from format 2).
    pub fn filter(&self, root: Option<&ProjectRoot>) -> BaselineFilter<'_> {
        BaselineFilter {
            known: self
                .findings
                .iter()
                .enumerate()
                .fold(HashMap::new(), |mut m, (i, e)| {
                    m.entry((e.path.as_str(), e.fingerprint.as_str()))
                        .or_insert_with(Vec::new)
                        .push(i);
                    m
                }),
            seen: vec![false; self.findings.len()],
            known_count: 0,
            legacy: self.version < BASELINE_VERSION,
            root: root.filter(|_| self.version >= BASELINE_VERSION).cloned(),
            checked: HashSet::new(),
            entries: &self.findings,
        }
    }

    /// What to say of a baseline an earlier version wrote (`None` for a current one).
    pub fn upgrade_note(&self, path: &Path) -> Option<String> {
        (self.version < BASELINE_VERSION).then(|| {
            format!(
                "baseline {} was written by an earlier version (format {}): its findings \
                 match as they were recorded, but a reworded message would make one new; \
                 rewrite it with --write-baseline (format {BASELINE_VERSION}) so that it \
                 survives message changes",
                path.display(),
                self.version
            )
        })
    }
}

/// Removes a baseline's findings from reports as they come, and counts.
pub struct BaselineFilter<'a> {
    /// (path, fingerprint) → entry indexes (identical findings may repeat).
    known: HashMap<(&'a str, &'a str), Vec<usize>>,
    seen: Vec<bool>,
    known_count: usize,
    /// The baseline is of an earlier format: its entries hold legacy fingerprints.
    legacy: bool,
    /// What entries' paths are relative to (`None`: paths as reported, format 1).
    root: Option<ProjectRoot>,
    /// The files checked so far, as entries name them.
    checked: HashSet<String>,
    entries: &'a [Entry],
}

impl BaselineFilter<'_> {
    /// Remove the known findings from `report` and count them.
    pub fn apply(&mut self, report: &mut FileReport) {
        let legacy = self.legacy;
        let path = |p: &str| match &self.root {
            Some(root) => root.relative(p).into_owned(),
            None => p.to_string(),
        };
        // The file and the files its findings are in (a plan's findings move to `.tf` files).
        self.checked.insert(path(&report.path));
        for f in &report.findings {
            if *f.path != *report.path {
                self.checked.insert(path(&f.path));
            }
        }
        let root = self.root.clone();
        report.findings.retain(|f| {
            let fingerprint = if legacy {
                f.legacy_fingerprint.as_str()
            } else {
                f.fingerprint.as_str()
            };
            let named = match &root {
                Some(root) => root.relative(&f.path),
                None => std::borrow::Cow::Borrowed(&*f.path),
            };
            match self.known.get(&(&*named, fingerprint)) {
                Some(entries) => {
                    for &i in entries {
                        self.seen[i] = true;
                    }
                    self.known_count += 1;
                    false
                }
                None => true,
            }
        });
    }

    /// The counts so far: known findings matched, and those not seen again (fixed).
    pub(crate) fn stats(&self) -> BaselineStats {
        BaselineStats {
            known: self.known_count,
            fixed: self
                .seen
                .iter()
                .zip(self.entries)
                .filter(|(seen, e)| !**seen && self.checked.contains(&e.path))
                .count(),
        }
    }
}
