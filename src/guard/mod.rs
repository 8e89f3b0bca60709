//! Users' own policies in the Guard DSL, evaluated by the `cfn-guard` crate.
//!
//! A rule file is read and validated once, when the run starts ([`load`]); each of its
//! top-level rules becomes a policy `GUARD/<file stem>/<rule name>` of the `custom` family, with
//! its metadata registered beside the built-in catalog ([`crate::policy::register_custom`]), so
//! that selection, suppressions, baselines, every report format and the language server treat it
//! as they treat a built-in policy.
//!
//! Guard is handed each template as the data it is: the file's own text for CloudFormation and
//! Terraform JSON (so its verdicts are `cfn-guard validate`'s), and the `*.tf.json`-shaped tree
//! for HCL (`.tf`). Only templates tripline's parser accepted reach Guard, so its own recursion
//! never meets a document deeper than tripline's limits. Guard's report carries paths
//! (`/Resources/Trail/Properties/IsMultiRegionTrail`) but no positions: `locate` maps each
//! onto tripline's located tree.

#[cfg(feature = "guard")]
mod cycles;
mod locate;
mod report;
mod rulefile;
#[cfg(feature = "guard")]
mod run;
mod testing;

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::Value as Json;

pub use rulefile::{GuardRule, RuleFile};
pub use testing::test_rules;

use crate::model::Template;
use crate::policy::{PolicyMeta, RawFinding};

/// Extensions of the files a rule directory contributes (as `cfn-guard validate` reads them).
pub(crate) const RULE_EXTENSIONS: &[&str] = &["guard", "ruleset"];

/// Rule files larger than this are refused (a rule file is written by hand).
const MAX_RULE_FILE_BYTES: u64 = 4 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
/// Why Guard rules cannot be used.
pub enum GuardError {
    #[error(
        "this build of tripline has no Guard support (it was built without the `guard` feature); rebuild with default features to use --rules"
    )]
    /// This build has no Guard support (the `guard` feature is off).
    NotBuilt,
    #[error("cannot read Guard rules {}: {source}", path.display())]
    /// A rule file could not be read.
    Read {
        /// The rule file.
        path: PathBuf,
        #[source]
        /// Why.
        source: std::io::Error,
    },
    #[error("{}: no .guard or .ruleset files", path.display())]
    /// A rule file holds no rules.
    Empty {
        /// The file or directory.
        path: PathBuf,
    },
    #[error("{}:{line}:{column}: invalid Guard rule file: {message}", path.display())]
    /// A rule file does not parse.
    Syntax {
        /// The rule file.
        path: PathBuf,
        /// 1-based line of the error.
        line: u32,
        /// 1-based column of the error.
        column: u32,
        /// Guard's message.
        message: String,
    },
    #[error("{}: {message}", path.display())]
    /// A rule file parses but cannot be evaluated (an undefined variable, a bad severity).
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    #[error(
        "{first} and {second} both define {id}: rule IDs are the file stem and rule name, so rename one"
    )]
    /// Two rule files define the same policy ID.
    Duplicate {
        /// The ID.
        id: String,
        /// The first file defining it.
        first: String,
        /// The second.
        second: String,
    },
}

/// The Guard rule files of a run, validated.
#[derive(Debug)]
pub struct RuleSet {
    files: Vec<RuleFile>,
    /// The rule files in as few Guard calls as their rule names allow: Guard's report names a
    /// failing rule but not its file, so two files that both define `rule check` go to Guard
    /// apart.
    groups: Vec<RuleGroup>,
    prepared: Prepared,
}

#[derive(Debug)]
struct RuleGroup {
    /// `"rules":[...]` of the Guard payload, built once: every evaluation sends the same rules.
    payload_rules: String,
    /// Indexes into `RuleSet::files`.
    files: Vec<usize>,
}

/// Documents handed to Guard in one call when many files are checked: Guard parses every rule
/// file again on each call (its API keeps no parsed rules), which costs more than evaluating a
/// small template, so a run evaluates its templates in batches ahead of their checks.
const DOCUMENTS_PER_CALL: usize = 32;

/// Guard's reports computed ahead of the checks that need them, by rule group and data: a check
/// takes its report if the data it would send is exactly what was sent.
#[derive(Debug, Default)]
struct Prepared {
    by_hash: std::sync::RwLock<HashMap<u64, Vec<PreparedReport>>>,
}

/// A rule group's index, the data sent, Guard's report.
type PreparedReport = (usize, String, Arc<Json>);

fn hash_of(data: &str) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    data.hash(&mut h);
    h.finish()
}

impl RuleSet {
    /// The rule files, in the order they were given.
    pub(crate) fn files(&self) -> &[RuleFile] {
        &self.files
    }

    /// Every rule's metadata, in file then rule order.
    pub fn metas(&self) -> impl Iterator<Item = &'static PolicyMeta> + '_ {
        self.files
            .iter()
            .flat_map(|f| f.rules.iter().map(|r| r.meta))
    }

    /// The rule behind a policy ID.
    pub fn rule(&self, id: &str) -> Option<(&RuleFile, &GuardRule)> {
        self.files.iter().find_map(|f| {
            f.rules
                .iter()
                .find(|r| r.meta.id.eq_ignore_ascii_case(id))
                .map(|r| (f, r))
        })
    }

    /// Evaluate every rule group on these documents (the data a later [`RuleSet::check`] will
    /// send), a batch per Guard call, in parallel, and keep the reports for those checks. A
    /// batch that Guard refuses (one document it cannot read) is simply not kept: its documents
    /// are then evaluated one by one, and the unreadable one gets its EVAL001.
    pub(crate) fn prepare(&self, documents: Vec<String>) {
        use rayon::prelude::*;
        let documents: Vec<String> = {
            let mut seen = std::collections::HashSet::new();
            documents
                .into_iter()
                .filter(|d| seen.insert(hash_of(d)))
                .collect()
        };
        let reports: Vec<PreparedReport> = documents
            .par_chunks(DOCUMENTS_PER_CALL)
            .flat_map_iter(|chunk| {
                let texts: Vec<&str> = chunk.iter().map(String::as_str).collect();
                self.groups.iter().enumerate().flat_map(move |(g, group)| {
                    // A panic here is not lost: the checks evaluate their documents again, alone,
                    // and report it.
                    let reports =
                        crate::fault::catch_quietly(|| evaluate_many(&group.payload_rules, &texts))
                            .ok()
                            .and_then(Result::ok)
                            .unwrap_or_default();
                    let complete = reports.len() == chunk.len();
                    chunk
                        .iter()
                        .zip(reports)
                        .filter(move |_| complete)
                        .map(move |(d, r)| (g, d.clone(), Arc::new(r)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut by_hash = self
            .prepared
            .by_hash
            .write()
            .unwrap_or_else(|e| e.into_inner());
        for (g, data, report) in reports {
            by_hash
                .entry(hash_of(&data))
                .or_default()
                .push((g, data, report));
        }
    }

    /// Forget the reports [`RuleSet::prepare`] kept (their checks are done).
    pub(crate) fn clear_prepared(&self) {
        self.prepared
            .by_hash
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// The prepared report of `data` (kept until cleared: identical files share it).
    fn prepared(&self, group: usize, data: &str) -> Option<Arc<Json>> {
        let by_hash = self
            .prepared
            .by_hash
            .read()
            .unwrap_or_else(|e| e.into_inner());
        let list = by_hash.get(&hash_of(data))?;
        let hit = list.iter().find(|(g, d, _)| *g == group && d == data);
        hit.map(|(_, _, r)| r.clone())
    }

    /// Evaluate the rules `enabled` selects on one template and map each failure to a node of
    /// the template's tree.
    pub fn check(
        &self,
        template: &Template<'_>,
        enabled: &dyn Fn(&PolicyMeta) -> bool,
    ) -> Vec<RawFinding> {
        if !self.metas().any(enabled) {
            return Vec::new();
        }
        let data = report::data_for(template);
        let mut raws = Vec::new();
        for (g, group) in self.groups.iter().enumerate() {
            let rules = group.files.iter().flat_map(|&i| &self.files[i].rules);
            if !rules.clone().any(|r| enabled(r.meta)) {
                continue;
            }
            let report = match self.prepared(g, &data) {
                Some(report) => Ok(report),
                None => evaluate_many(&group.payload_rules, &[&data]).and_then(|mut v| {
                    v.pop()
                        .map(Arc::new)
                        .ok_or_else(|| "Guard gave no report".to_string())
                }),
            };
            match report {
                Ok(report) => raws.extend(report::findings(rules, template, &report, enabled)),
                Err(message) => {
                    raws.push(RawFinding {
                        elsewhere: Default::default(),
                        policy: "EVAL001",
                        span: crate::source::Span::empty(0),
                        message: format!(
                            "Guard could not read this file as data ({message}); the Guard \
                             rules' findings for it are missing, the built-in policies' are \
                             complete"
                        )
                        .into(),
                        resource: None,
                        fix: None,
                        related: Default::default(),
                    });
                    break;
                }
            }
        }
        raws
    }
}

/// Guard's report for each document, in order.
fn evaluate_many(payload_rules: &str, documents: &[&str]) -> Result<Vec<Json>, String> {
    let output = evaluate(payload_rules, documents)?;
    match serde_json::from_str(&output) {
        Ok(Json::Array(reports)) => Ok(reports),
        Ok(_) => Err("Guard's report is not a list".to_string()),
        Err(e) => Err(format!("Guard's report could not be read ({e})")),
    }
}

#[cfg(feature = "guard")]
fn evaluate(payload_rules: &str, documents: &[&str]) -> Result<String, String> {
    run::evaluate(payload_rules, documents)
}

#[cfg(feature = "guard")]
fn run_names(text: &str, display: &str) -> Result<Vec<String>, rulefile::NamesError> {
    run::names(text, display)
}

#[cfg(not(feature = "guard"))]
fn run_names(_text: &str, _display: &str) -> Result<Vec<String>, rulefile::NamesError> {
    Err(rulefile::NamesError::Other(
        GuardError::NotBuilt.to_string(),
    ))
}

#[cfg(not(feature = "guard"))]
fn evaluate(_payload_rules: &str, _documents: &[&str]) -> Result<String, String> {
    Err(GuardError::NotBuilt.to_string())
}

/// Rule sets already loaded, by their files and texts: scopes that name the same rules share
/// them, and an edited rule file (the language server runs for hours) is read again.
static LOADED: Mutex<Vec<(RuleTexts, Arc<RuleSet>)>> = Mutex::new(Vec::new());

/// Rule files (absolute paths) with their texts.
type RuleTexts = Vec<(PathBuf, String)>;

/// Read and validate the rule files at `paths` (files, or directories searched recursively for
/// `.guard` and `.ruleset` files, in name order). `None` when `paths` is empty.
pub fn load(paths: &[PathBuf]) -> Result<Option<Arc<RuleSet>>, GuardError> {
    if paths.is_empty() {
        return Ok(None);
    }
    if !cfg!(feature = "guard") {
        return Err(GuardError::NotBuilt);
    }
    let mut key: RuleTexts = Vec::new();
    // As given (relative paths stay relative in messages).
    let mut given: Vec<PathBuf> = Vec::new();
    for path in paths {
        for file in rule_files(path)? {
            let absolute = std::path::absolute(&file).unwrap_or_else(|_| file.clone());
            // The same file named twice (a directory and a file in it) counts once.
            if key.iter().any(|(p, _)| *p == absolute) {
                continue;
            }
            let text =
                crate::output::read_text_bounded(&file, MAX_RULE_FILE_BYTES).map_err(|source| {
                    GuardError::Read {
                        path: file.clone(),
                        source,
                    }
                })?;
            key.push((absolute, text));
            given.push(file);
        }
    }
    let mut loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, set)) = loaded.iter().find(|(k, _)| *k == key) {
        return Ok(Some(set.clone()));
    }
    let mut files = Vec::new();
    for (path, (_, text)) in given.iter().zip(&key) {
        files.push(rulefile::read(
            path,
            &crate::walk::display_path(path),
            text.clone(),
        )?);
    }
    for (i, a) in files.iter().enumerate() {
        for b in &files[..i] {
            for rule in &a.rules {
                if b.rules.iter().any(|r| r.meta.id == rule.meta.id) {
                    return Err(GuardError::Duplicate {
                        id: rule.meta.id.to_string(),
                        first: b.display.clone(),
                        second: a.display.clone(),
                    });
                }
            }
        }
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let fits = |group: &Vec<usize>| {
            group.iter().all(|&g| {
                files[g]
                    .rules
                    .iter()
                    .all(|r| file.rules.iter().all(|o| o.name != r.name))
            })
        };
        match groups.iter_mut().find(|g| fits(g)) {
            Some(group) => group.push(i),
            None => groups.push(vec![i]),
        }
    }
    let rule_groups = groups
        .into_iter()
        .map(|group| {
            let texts: Vec<&str> = group.iter().map(|&i| files[i].text.as_str()).collect();
            RuleGroup {
                payload_rules: format!(
                    "\"rules\":{}",
                    serde_json::to_string(&texts).expect("strings serialize")
                ),
                files: group,
            }
        })
        .collect();
    let set = Arc::new(RuleSet {
        files,
        groups: rule_groups,
        prepared: Default::default(),
    });
    loaded.push((key, set.clone()));
    Ok(Some(set))
}

/// The rule files a path stands for.
fn rule_files(path: &Path) -> Result<Vec<PathBuf>, GuardError> {
    let meta = std::fs::metadata(path).map_err(|source| GuardError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut found = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|source| GuardError::Read {
            path: dir.clone(),
            source,
        })?;
        for entry in entries {
            let entry = entry.map_err(|source| GuardError::Read {
                path: dir.clone(),
                source,
            })?;
            let p = entry.path();
            let kind = entry.file_type().map_err(|source| GuardError::Read {
                path: p.clone(),
                source,
            })?;
            if kind.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| RULE_EXTENSIONS.contains(&e))
            {
                found.push(p);
            }
        }
    }
    if found.is_empty() {
        return Err(GuardError::Empty {
            path: path.to_path_buf(),
        });
    }
    found.sort();
    Ok(found)
}
