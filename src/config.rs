//! `tripline.toml`: project settings. Which config governs which file is decided in
//! [`crate::project`]: the nearest one at or above the file.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use crate::finding::Severity;

/// Bounds on what a config may ask for: a hostile config with thousands of complex globs once
/// took 5 GB to compile and match.
const MAX_CONFIG_BYTES: usize = 1024 * 1024;
const MAX_GLOBS: usize = 2_000;
const MAX_GLOB_LEN: usize = 1_024;

/// File names searched for, in order, in each directory.
pub(crate) const CONFIG_FILES: &[&str] = &["tripline.toml", ".tripline.toml"];

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
/// A `tripline.toml`: every key optional, unknown keys an error.
pub struct Config {
    /// Regions infrastructure may run in. Unset turns the region family off.
    pub allowed_regions: Option<Vec<String>>,
    /// Accept Regions in `allowed_regions` that tripline does not know yet (newer ones).
    #[serde(default)]
    pub allow_unknown_regions: bool,
    /// Lowest severity that makes `check` exit 1.
    pub fail_on: Option<Severity>,
    /// Globs of files to check (default: all template-like files).
    #[serde(default)]
    pub include: Vec<String>,
    /// Globs of files and directories to skip.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Policy IDs, ID prefixes or family names to run (default: all).
    #[serde(default)]
    pub select: Vec<String>,
    /// Policy IDs, ID prefixes or family names not to run.
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Severity overrides by policy ID.
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
    /// Report suppressions that give no reason (SUPP002).
    #[serde(default)]
    pub require_suppression_reason: bool,
    /// Other scanners whose inline skips suppress the equivalent tripline findings
    /// (`checkov`, `tfsec`, `trivy`, `kics`; none by default).
    #[serde(default)]
    pub honor_suppressions: Vec<Scanner>,
    /// Settings for some paths only.
    #[serde(default)]
    pub overrides: Vec<Override>,
    /// Suppressions kept in the config file (the way to suppress in Terraform JSON, which has no
    /// metadata of its own).
    #[serde(default)]
    pub suppress: Vec<SuppressRule>,
    /// What standalone IAM policy documents are, where their content does not say (a document
    /// with a `Principal` is a resource or trust policy whatever this says).
    #[serde(default)]
    pub documents: Vec<DocumentsRule>,
    /// Guard rule files or directories of them, relative to the config file.
    #[serde(default)]
    pub rules: Vec<String>,
    /// Settings of the Guard rules.
    #[serde(default)]
    pub guard: GuardConfig,
    /// Each policy's help page, `{id}` replaced by the policy ID: SARIF `helpUri` and the
    /// language server's links (`--docs-url` overrides it).
    pub docs_url: Option<String>,
    /// Control-objective coverage (`tripline coverage`, `check --coverage`).
    #[serde(default)]
    pub coverage: CoverageConfig,
    /// Where the config was read from (not a key of the file).
    #[serde(skip)]
    pub source: Option<ConfigSource>,
}

/// The file a config came from, kept to locate its entries in reports.
#[derive(Clone, Debug)]
pub struct ConfigSource {
    /// Where the config is.
    pub path: PathBuf,
    /// Its text (findings about the config point into it).
    pub text: String,
}

impl ConfigSource {
    /// The directory paths in the config are relative to.
    pub fn dir(&self) -> PathBuf {
        let abs = std::path::absolute(&self.path).unwrap_or_else(|_| self.path.clone());
        abs.parent().map(Path::to_path_buf).unwrap_or_default()
    }
}

/// `[guard]`: settings of the Guard rules.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuardConfig {
    /// Severities by rule: a policy ID (`GUARD/cloudtrail/trail_multi_region`) or a prefix of
    /// IDs (`GUARD/cloudtrail`, `GUARD`); the longest matching key wins.
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
}

impl Config {
    /// The rule paths of `rules`, resolved against the config's directory.
    pub(crate) fn rule_paths(&self) -> Vec<PathBuf> {
        let base = self.source.as_ref().map(ConfigSource::dir);
        self.rules
            .iter()
            .map(|r| match &base {
                Some(b) => b.join(r),
                None => PathBuf::from(r),
            })
            .collect()
    }
}

/// An absolute path with its `.` and `..` read as written (for a path that does not exist,
/// where `canonicalize` cannot say).
fn lexical(path: &Path) -> PathBuf {
    crate::model::terraform_dir::clean_path(path)
}

/// `[[overrides]]`: settings for the files matching `paths`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    /// Globs relative to the config file's directory.
    pub paths: Vec<String>,
    /// Replaces the selection for these files when not empty.
    #[serde(default)]
    pub select: Vec<String>,
    /// Added to the ignored policies for these files.
    #[serde(default)]
    pub ignore: Vec<String>,
    #[serde(default)]
    /// Severities by Guard rule ID or ID prefix (the longest key wins).
    pub severity: BTreeMap<String, Severity>,
}

/// `[coverage]`: which control objectives apply to the tree, which are established elsewhere,
/// and whether `check` reports the missing ones.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverageConfig {
    /// `check` reports each missing objective as a COV001 finding (as `--coverage` does).
    #[serde(default)]
    pub enforce: bool,
    /// Objective IDs, ID prefixes or families to assess (default: all).
    #[serde(default)]
    pub select: Vec<String>,
    /// Objective IDs, ID prefixes or families not to assess.
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Objectives established outside the tree (another repository, a managed service).
    #[serde(default)]
    pub established: Vec<EstablishedElsewhere>,
}

/// `[[coverage.established]]`: an objective established outside the checked tree, and why
/// one can trust that.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EstablishedElsewhere {
    /// The objective's ID.
    pub objective: String,
    /// Where and how it is established (required: an auditor reads it).
    pub reason: String,
}

/// `[[documents]]`: the standalone policy documents matching `paths` are of `kind`
/// (`scp`, `identity`, `resource`, `trust`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentsRule {
    /// Globs relative to the config file's directory.
    pub paths: Vec<String>,
    /// `identity`, `resource`, `trust`, `scp` or `rcp`.
    pub kind: String,
    /// For an SCP or RCP, which is attached outside the code: the roots, OUs and accounts it
    /// is attached to, by literal ID (`r-…`, `ou-…`, 12-digit account IDs). Coverage judges
    /// it where it is in force.
    #[serde(default)]
    pub targets: Vec<String>,
}

/// `[[suppress]]`: findings of `ignore` in the files matching `paths` (all files when empty) and
/// resources matching `resources` (all when empty) are suppressed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuppressRule {
    #[serde(default)]
    /// Globs of the files this applies to, relative to the config.
    pub paths: Vec<String>,
    /// Logical IDs or Terraform addresses; `*` and `?` wildcards allowed.
    #[serde(default)]
    pub resources: Vec<String>,
    /// Policy IDs, ID prefixes or families.
    pub ignore: Vec<toml::Spanned<String>>,
    /// Why (required with `require_suppression_reason`).
    pub reason: Option<String>,
}

/// A scanner whose skips can be honoured.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Scanner {
    /// checkov (Bridgecrew/Prisma Cloud).
    Checkov,
    /// tfsec (now part of trivy).
    Tfsec,
    /// trivy's misconfiguration scanning.
    Trivy,
    /// KICS (Checkmarx).
    Kics,
}

#[derive(Debug, thiserror::Error)]
/// Why a config cannot be used.
pub enum ConfigError {
    #[error("cannot read config {path}: {source}")]
    /// The file could not be read.
    Read {
        /// The config.
        path: PathBuf,
        #[source]
        /// Why.
        source: std::io::Error,
    },
    #[error("invalid config {path}:\n{message}")]
    /// The file is not a valid config.
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
}

impl Config {
    /// Read and validate a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text =
            crate::output::read_text_bounded(path, MAX_CONFIG_BYTES as u64).map_err(|source| {
                ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                }
            })?;
        Config::parse(&text, path)
    }

    /// Validate config text read from `path` (used in messages and for relative paths).
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        if text.len() > MAX_CONFIG_BYTES {
            return Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                message: format!(
                    "the config is {} bytes; at most {MAX_CONFIG_BYTES} are read",
                    text.len()
                ),
            });
        }
        let mut config: Config = toml::from_str(text).map_err(|e| ConfigError::Invalid {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        config.check_rule_paths(path).map_err(invalid)?;
        config.check_policies().map_err(invalid)?;
        config.check_globs().map_err(invalid)?;
        config.check_coverage().map_err(invalid)?;
        config.check_tables().map_err(invalid)?;
        config.check_documents().map_err(invalid)?;
        config.source = Some(ConfigSource {
            path: path.to_path_buf(),
            text: text.to_string(),
        });
        Ok(config)
    }

    /// Its `rules` stay inside the repository of the config at `path` (the nearest directory
    /// above it holding `.git`, else the config's own directory): a config that a pull request
    /// can change must not make tripline walk `/usr` or read files outside the repository.
    /// Rule files elsewhere are named on the command line (`--rules`).
    fn check_rule_paths(&self, path: &Path) -> Result<(), String> {
        if self.rules.is_empty() {
            return Ok(());
        }
        let dir = std::path::absolute(path)
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| PathBuf::from("."));
        let root = dir
            .ancestors()
            .find(|a| a.join(".git").exists())
            .unwrap_or(&dir);
        let real = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| lexical(p));
        let root_real = real(root);
        for rule in &self.rules {
            if !real(&dir.join(rule)).starts_with(&root_real) {
                return Err(format!(
                    "rules: `{rule}` is outside the repository ({}); name rule files outside it \
                     on the command line (--rules)",
                    root.display()
                ));
            }
        }
        Ok(())
    }

    /// The policy IDs, patterns and Regions it names exist.
    fn check_policies(&self) -> Result<(), String> {
        let severities = std::iter::once(("[severity]", &self.severity)).chain(
            self.overrides
                .iter()
                .map(|o| ("[[overrides]] severity", &o.severity)),
        );
        for (section, map) in severities {
            for id in map.keys() {
                if crate::policy::meta(id).is_none() && !crate::policy::pattern_is_custom(id) {
                    return Err(format!("{section}: unknown policy `{id}`"));
                }
            }
        }
        let patterns = self
            .select
            .iter()
            .chain(&self.ignore)
            .map(|s| ("select/ignore", s.as_str()))
            .chain(self.overrides.iter().flat_map(|o| {
                o.select
                    .iter()
                    .chain(&o.ignore)
                    .map(|s| ("[[overrides]]", s.as_str()))
            }))
            .chain(self.suppress.iter().flat_map(|r| {
                r.ignore
                    .iter()
                    .map(|s| ("[[suppress]] ignore", s.get_ref().as_str()))
            }));
        for (section, pattern) in patterns {
            if !crate::policy::pattern_is_known(pattern)
                && !crate::policy::pattern_is_custom(pattern)
            {
                return Err(format!(
                    "{section}: unknown policy, prefix or family `{pattern}`"
                ));
            }
        }
        if let Some(regions) = &self.allowed_regions {
            crate::policy::regions::validate(regions, self.allow_unknown_regions)
                .map_err(|e| format!("allowed_regions: {e}"))?;
        }
        Ok(())
    }

    /// Its globs are few and short enough to compile and match against every path.
    fn check_globs(&self) -> Result<(), String> {
        let globs: Vec<&String> = self
            .include
            .iter()
            .chain(&self.exclude)
            .chain(self.overrides.iter().flat_map(|o| &o.paths))
            .chain(self.suppress.iter().flat_map(|r| &r.paths))
            .chain(self.documents.iter().flat_map(|d| &d.paths))
            .collect();
        if globs.len() > MAX_GLOBS {
            return Err(format!(
                "{} globs; a config may use at most {MAX_GLOBS} (each is compiled and matched \
                 against every path)",
                globs.len()
            ));
        }
        if let Some(long) = globs.iter().find(|g| g.len() > MAX_GLOB_LEN) {
            return Err(format!(
                "a glob of {} characters (`{}...`); at most {MAX_GLOB_LEN}",
                long.len(),
                long.chars().take(40).collect::<String>()
            ));
        }
        Ok(())
    }

    /// Each `[[documents]]` names a known kind, and its targets are literal IDs of an SCP's or
    /// RCP's.
    fn check_documents(&self) -> Result<(), String> {
        for d in &self.documents {
            // An unknown kind is check_tables' to report.
            let Some(kind) = crate::model::DocumentKind::parse(&d.kind) else {
                continue;
            };
            if d.targets.is_empty() {
                continue;
            }
            if !matches!(
                kind,
                crate::model::DocumentKind::ServiceControl
                    | crate::model::DocumentKind::ResourceControl
            ) {
                return Err(format!(
                    "[[documents]] of kind `{}` has targets; only an SCP or RCP is attached",
                    d.kind
                ));
            }
            if let Some(t) = d
                .targets
                .iter()
                .find(|t| crate::policy::organization::Target::literal_kind(t).is_none())
            {
                return Err(format!(
                    "[[documents]] target `{t}` is not a root (r-…), OU (ou-…) or 12-digit \
                     account ID"
                ));
            }
        }
        Ok(())
    }

    /// The objectives its `[coverage]` names exist, and each one established elsewhere says where.
    fn check_coverage(&self) -> Result<(), String> {
        for pattern in self.coverage.select.iter().chain(&self.coverage.ignore) {
            if !crate::policy::coverage::OBJECTIVES
                .iter()
                .any(|o| crate::policy::coverage::pattern_matches(pattern, o))
            {
                return Err(format!(
                    "[coverage] select/ignore: unknown objective, prefix or family `{pattern}` \
                     (`tripline coverage --list` lists them)"
                ));
            }
        }
        for e in &self.coverage.established {
            if crate::policy::coverage::objective(&e.objective).is_none() {
                return Err(format!(
                    "[[coverage.established]]: unknown objective `{}`",
                    e.objective
                ));
            }
            if e.reason.trim().is_empty() {
                return Err(format!(
                    "[[coverage.established]] `{}`: `reason` must say where it is established",
                    e.objective
                ));
            }
        }
        Ok(())
    }

    /// Its `[[documents]]` and `[[overrides]]` are complete.
    fn check_tables(&self) -> Result<(), String> {
        for d in &self.documents {
            if crate::model::DocumentKind::parse(&d.kind).is_none() {
                return Err(format!(
                    "[[documents]]: unknown kind `{}` (scp, rcp, identity, resource or trust)",
                    d.kind
                ));
            }
            if d.paths.is_empty() {
                return Err("[[documents]]: `paths` must list at least one glob".into());
            }
        }
        for o in &self.overrides {
            if o.paths.is_empty() {
                return Err("[[overrides]]: `paths` must list at least one glob".into());
            }
        }
        Ok(())
    }

    /// The nearest config file at or above `start` (see `Discovery` for how far up).
    pub fn discover(start: &Path) -> Option<PathBuf> {
        let start = if start.is_file() || !start.exists() {
            start.parent()?.to_path_buf()
        } else {
            start.to_path_buf()
        };
        let start = normalize(&std::path::absolute(&start).unwrap_or(start));
        Discovery::default()
            .nearest(&start)
            .map(|config| config.to_path_buf())
    }
}

/// Finds the config that governs a directory: the nearest `tripline.toml` (or
/// `.tripline.toml`) in it or an ancestor up to the repository root (the first directory
/// holding `.git`), never further, so a config left in a temporary directory, `$HOME` or a CI
/// workspace above the repository cannot turn its checks off. Outside any repository the
/// search stops below `$HOME`, the temporary directory and `/` (those are never searched), as
/// editorconfig-style tools stop at a root.
///
/// A run asks for every directory it walks, so each directory is looked at once: a search
/// goes up only to the first directory already known, then each directory's answer follows
/// from its parent's (a directory with a config is governed by it; a repository root, or a
/// stop, ends the search; else the parent's config governs). Asked afresh for each directory,
/// the search cost a `.git` probe per ancestor and, outside a repository, a `canonicalize` (a
/// `readlink` per component) per ancestor: ~50 system calls per directory, 2 s of a cached
/// run over 31,000 directories.
#[derive(Debug, Default)]
pub(crate) struct Discovery {
    /// Directory → what a search found of it.
    known: HashMap<PathBuf, Known>,
    /// `$HOME` and the temporary directory, once asked.
    stops: Option<Stops>,
}

#[derive(Clone, Debug, Default)]
struct Known {
    /// The config that governs the directory.
    config: Option<Arc<Path>>,
    /// The directory's repository root (none: not in a repository).
    root: Option<Arc<Path>>,
}

#[derive(Debug)]
struct Stops {
    home: Option<PathBuf>,
    temp: PathBuf,
}

impl Discovery {
    /// The config governing `dir` (absolute and normalized), if any.
    pub(crate) fn nearest(&mut self, dir: &Path) -> Option<Arc<Path>> {
        // Up to the first directory already known (or the top), noting `.git` on the way (a
        // file too: worktrees and submodules have a `.git` file).
        let mut passed: Vec<(&Path, bool)> = Vec::new();
        let mut parent = Known::default();
        for ancestor in dir.ancestors() {
            if let Some(known) = self.known.get(ancestor) {
                parent = known.clone();
                break;
            }
            passed.push((ancestor, ancestor.join(".git").exists()));
        }
        // Then down again.
        for (d, git) in passed.into_iter().rev() {
            let root = if git {
                Some(Arc::from(d))
            } else {
                parent.root.clone()
            };
            let config = if root.is_none() && self.stops_at(d) {
                None
            } else if let Some(config) = CONFIG_FILES
                .iter()
                .map(|name| d.join(name))
                .find(|candidate| candidate.is_file())
            {
                Some(Arc::from(config))
            } else if git {
                // The repository root: nothing above it governs.
                None
            } else {
                parent.config.clone()
            };
            parent = Known { config, root };
            self.known.insert(d.to_path_buf(), parent.clone());
        }
        parent.config
    }

    /// Whether a search outside a repository stops before `dir`: `/`, `$HOME`, the temporary
    /// directory, or a path that resolves to one of them.
    fn stops_at(&mut self, dir: &Path) -> bool {
        let stops = self.stops.get_or_insert_with(|| Stops {
            home: std::env::var_os("HOME").map(PathBuf::from),
            temp: std::env::temp_dir(),
        });
        if dir.parent().is_none() || stops.home.as_deref() == Some(dir) || dir == stops.temp {
            return true;
        }
        // A directory that is not a symlink resolves to its parent's resolution joined with
        // its own name: it can be one of them only when named as it is. `canonicalize` (a
        // `readlink` per component) is asked only then.
        let named_as = |stop: &Path| stop.file_name().is_none_or(|n| Some(n) == dir.file_name());
        let may_resolve = named_as(&stops.temp)
            || stops.home.as_deref().is_some_and(named_as)
            || std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink());
        may_resolve
            && std::fs::canonicalize(dir)
                .is_ok_and(|c| c == stops.temp || stops.home.as_deref() == Some(c.as_path()))
    }
}

/// Resolve `.` and `..` lexically in an absolute path (a URI's `a/../b` names `b`).
pub(crate) fn normalize(path: &Path) -> PathBuf {
    crate::model::terraform_dir::clean_path(path)
}

/// The commented starter config `tripline init` writes: every key, with what it does.
pub const STARTER: &str = r#"# tripline.toml: settings for `tripline check` and `tripline lsp`. Each file is checked under
# the nearest tripline.toml at or above it (configs do not inherit from each other).
# Every key is optional; unknown keys are an error.

# Regions infrastructure may run in. Turns the region policies (REG*) on; without it they are off.
# allowed_regions = ["us-east-1", "eu-west-1"]

# Each policy's help page (SARIF helpUri, editor links); {id} is replaced by the policy ID.
# docs_url = "https://wiki.example.com/tripline/{id}"

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

# Coming from another scanner: its inline skips (`# checkov:skip=CKV_AWS_18:reason`,
# `#tfsec:ignore:...`, `#trivy:ignore:...`, `# kics-scan ignore-line`) suppress the equivalent
# tripline findings (`tripline explain <ID>` lists the equivalents).
# honor_suppressions = ["checkov", "tfsec", "trivy", "kics"]

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

# Control-objective coverage (`tripline coverage`): which objectives apply, which are
# established outside this repository, and whether `check` fails when one goes missing.
# [coverage]
# enforce = true                  # check reports missing objectives as COV001
# ignore = ["DET-GUARDDUTY-ORG"]  # IDs, prefixes (DET-SCP) or families
# [[coverage.established]]
# objective = "LOG-TRAIL"
# reason = "the organization trail is defined in the org-baseline repository"
"#;

#[cfg(test)]
mod tests {
    use super::*;

    /// The search as it was first written, asked afresh for each directory: what
    /// [`Discovery`] must answer, whatever it has learnt before.
    fn searched_afresh(dir: &Path) -> Option<PathBuf> {
        let ancestors: Vec<&Path> = dir.ancestors().collect();
        let dirs = match ancestors.iter().position(|d| d.join(".git").exists()) {
            Some(root) => ancestors[..=root].to_vec(),
            None => {
                let home = std::env::var_os("HOME").map(PathBuf::from);
                let temp = std::env::temp_dir();
                let stops = |d: &Path| {
                    d.parent().is_none()
                        || home.as_deref() == Some(d)
                        || d == temp
                        || std::fs::canonicalize(d)
                            .is_ok_and(|c| c == temp || home.as_deref() == Some(&c))
                };
                ancestors.into_iter().take_while(|d| !stops(d)).collect()
            }
        };
        dirs.iter()
            .flat_map(|d| CONFIG_FILES.iter().map(move |name| d.join(name)))
            .find(|candidate| candidate.is_file())
    }

    #[test]
    fn discovery_answers_as_a_fresh_search_in_any_order() {
        let tmp = tempfile::TempDir::new().unwrap();
        let root = normalize(&std::fs::canonicalize(tmp.path()).unwrap());
        let dirs = [
            "a/b/c/d",
            "a/b/x",
            "a/y",
            "repo/.git",
            "repo/s/t/u",
            "repo/v",
            "repo/sub/deep/er",
            "repo/plain/w",
        ];
        for d in dirs {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        // Above every repository: governs `a/...`, never `repo/...`.
        std::fs::write(root.join("tripline.toml"), "").unwrap();
        std::fs::write(root.join("a/b/.tripline.toml"), "").unwrap();
        std::fs::write(root.join("repo/s/tripline.toml"), "").unwrap();
        // A submodule: `.git` is a file, and the search stops there too.
        std::fs::write(root.join("repo/sub/.git"), "gitdir: ../.git/modules/sub\n").unwrap();
        std::fs::write(root.join("repo/tripline.toml"), "").unwrap();
        let mut asked: Vec<PathBuf> = dirs
            .iter()
            .flat_map(|d| {
                root.join(d)
                    .ancestors()
                    .map(Path::to_path_buf)
                    .collect::<Vec<_>>()
            })
            .filter(|d| d.starts_with(&root))
            .collect();
        let mut stops: Vec<PathBuf> = Vec::new();
        #[cfg(unix)]
        {
            // A link to the temporary directory: outside a repository the search stops at it.
            let link = root.join("a/tmp-link");
            std::os::unix::fs::symlink(std::env::temp_dir(), &link).unwrap();
            asked.push(link.join(tmp.path().file_name().unwrap()).join("a/b/x"));
            // The link itself is a stop: not governed by the config above it.
            asked.push(link.clone());
            stops.push(link);
            std::os::unix::fs::symlink(root.join("repo/s"), root.join("a/to-s")).unwrap();
            asked.push(root.join("a/to-s/t/u"));
            // Through a link to `/`: the temporary directory named as itself (not a link).
            std::os::unix::fs::symlink("/", root.join("a/slash")).unwrap();
            let temp = std::env::temp_dir();
            let below = root.strip_prefix(&temp).unwrap_or(Path::new(""));
            let via = root
                .join("a/slash")
                .join(temp.strip_prefix("/").unwrap())
                .join(below)
                .join("a/b/x");
            asked.push(via);
            let stop = root.join("a/slash").join(temp.strip_prefix("/").unwrap());
            asked.push(stop.clone());
            stops.push(stop);
        }
        asked.sort();
        asked.dedup();
        let expected: Vec<Option<PathBuf>> = asked.iter().map(|d| searched_afresh(d)).collect();
        assert!(
            expected.iter().any(Option::is_none),
            "a directory governed by none"
        );
        for stop in &stops {
            let at = asked.iter().position(|d| d == stop).unwrap();
            assert_eq!(expected[at], None, "{} resolves to a stop", stop.display());
        }
        assert_eq!(
            expected[asked.iter().position(|d| d.ends_with("repo/v")).unwrap()],
            Some(root.join("repo/tripline.toml"))
        );
        for order in [false, true] {
            let mut discovery = Discovery::default();
            let mut seen: Vec<(usize, Option<PathBuf>)> = Vec::new();
            let mut indices: Vec<usize> = (0..asked.len()).collect();
            if order {
                indices.reverse();
            }
            for i in indices {
                let found = discovery.nearest(&asked[i]).map(|c| c.to_path_buf());
                seen.push((i, found));
            }
            for (i, found) in seen {
                assert_eq!(
                    found,
                    expected[i],
                    "{} (reversed: {order})",
                    asked[i].display()
                );
            }
        }
    }

    #[test]
    fn unknown_keys_name_the_key_and_file() {
        let err = Config::parse("allowed_region = []\n", Path::new("x/tripline.toml")).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("x/tripline.toml"), "{text}");
        assert!(text.contains("allowed_region"), "{text}");
    }

    #[test]
    fn configs_are_bounded() {
        let many: String = (0..2_001).map(|i| format!("\"d{i}/**\", ")).collect();
        let err = Config::parse(&format!("exclude = [{many}]\n"), Path::new("t.toml")).unwrap_err();
        assert!(err.to_string().contains("at most 2000"), "{err}");
        let long = "a".repeat(2_000);
        let err =
            Config::parse(&format!("include = [\"{long}\"]\n"), Path::new("t.toml")).unwrap_err();
        assert!(err.to_string().contains("at most 1024"), "{err}");
        let huge = format!("# {}\n", "x".repeat(MAX_CONFIG_BYTES));
        assert!(Config::parse(&huge, Path::new("t.toml")).is_err());
    }

    #[test]
    fn parses_all_keys() {
        let c = Config::parse(
            "allowed_regions = [\"us-east-1\"]\nfail_on = \"high\"\nselect = [\"LOG\"]\n\
             ignore = [\"LOG001\"]\n[severity]\nREG001 = \"critical\"\n",
            Path::new("t.toml"),
        )
        .unwrap();
        assert_eq!(c.allowed_regions.unwrap(), ["us-east-1"]);
        assert_eq!(c.fail_on, Some(Severity::High));
        assert_eq!(c.severity["REG001"], Severity::Critical);
    }
}
