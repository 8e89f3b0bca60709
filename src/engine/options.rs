//! How an engine is set up: its options, the command line's flags, and which policies run on a
//! file ([`Selection`]).

use std::collections::HashMap;
use std::path::PathBuf;

use crate::config::Override;
use crate::finding::Severity;
use crate::parse::Limits;
use crate::policy;
use crate::walk::GlobError;

use super::TerraformRoot;

/// How the engine runs.
#[derive(Clone, Debug)]
pub struct EngineOptions {
    /// Parser limits (depth, size, aliases).
    pub limits: Limits,
    /// Files larger than this are reported (IO001) instead of loaded.
    pub max_file_size: u64,
    /// Load and recognize templates but run no policies (to measure the cost of parsing).
    pub parse_only: bool,
    /// Where plans' `.tf` configurations are, to report plan findings at their source.
    pub terraform_root: TerraformRoot,
    /// Variable values from the command line (`--var-file`, `--var`), applied to every
    /// Terraform configuration checked, after its own variable files (see
    /// [`crate::terraform_dir::command_line_values`]). Their text is part of the result
    /// cache's key, through the engine's flags.
    pub command_line_values: Vec<std::sync::Arc<crate::terraform_dir::Sibling>>,
    /// What fingerprints name files relative to (`None`: as reported), so that they do not
    /// depend on the directory a run starts in.
    pub project_root: Option<std::sync::Arc<crate::project_root::ProjectRoot>>,
}

impl Default for EngineOptions {
    fn default() -> EngineOptions {
        EngineOptions {
            limits: Limits::default(),
            max_file_size: 100 * 1024 * 1024,
            parse_only: false,
            terraform_root: TerraformRoot::Beside,
            command_line_values: Vec::new(),
            project_root: None,
        }
    }
}

/// Settings given on the command line, which take precedence over every config file.
#[derive(Clone, Debug, Default)]
pub struct Flags {
    /// `--allowed-regions`: replaces the config's list.
    pub allowed_regions: Option<Vec<String>>,
    /// Replaces the config's `select` when not empty.
    pub select: Vec<String>,
    /// Added to the config's `ignore`.
    pub ignore: Vec<String>,
    /// Replaces the config's `fail_on`.
    pub fail_on: Option<Severity>,
    /// `--require-suppression-reason`.
    pub require_suppression_reason: bool,
    /// Guard rule files or directories (`--rules`), added to each config's `rules`.
    pub rules: Vec<PathBuf>,
    /// Engine options (file size limit, parse-only).
    pub options: EngineOptions,
}

/// Why an engine cannot be made from a config.
#[derive(Debug, thiserror::Error)]
pub(crate) enum EngineError {
    #[error(transparent)]
    /// An `include`/`exclude`/override glob that does not parse.
    Glob(#[from] GlobError),
    #[error(transparent)]
    /// A Guard rule file that cannot be used.
    Guard(#[from] crate::guard::GuardError),
}

/// A severity key of a config as the ID it names (IDs are matched without regard to case; a
/// Guard rule's keeps its rule name's case).
pub(super) fn canonical_id(key: &str) -> String {
    policy::meta(key).map_or_else(|| key.to_ascii_uppercase(), |m| m.id.to_string())
}

/// Which policies run and how their findings are graded.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Policy IDs, ID prefixes (`LOG`) or family names (`logging`) to run; empty means all.
    pub select: Vec<String>,
    /// Policy IDs, prefixes or families not to run.
    pub ignore: Vec<String>,
    /// Severity overrides by policy ID.
    pub severity: HashMap<String, Severity>,
}

impl Selection {
    /// Whether a policy runs. Engine diagnostics (a file that cannot be loaded, a stale
    /// suppression) are not subject to `select` — selecting a few policies must not hide that a
    /// file went unchecked — only to an explicit `ignore`.
    pub fn enables(&self, meta: &policy::PolicyMeta) -> bool {
        let selected = self.select.is_empty()
            || meta.family == policy::Family::Engine
            || self.select.iter().any(|s| policy::pattern_matches(s, meta));
        selected && !self.ignore.iter().any(|s| policy::pattern_matches(s, meta))
    }

    /// This selection with an override applied.
    pub(super) fn with(&self, o: &Override) -> Selection {
        let mut s = self.clone();
        if !o.select.is_empty() {
            s.select = o.select.clone();
        }
        s.ignore.extend(o.ignore.iter().cloned());
        s.severity
            .extend(o.severity.iter().map(|(k, v)| (canonical_id(k), *v)));
        s
    }
}
