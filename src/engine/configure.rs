//! Making an engine: from a config and the command line's flags, with users' Guard rules, and
//! what the rest of the crate asks of it (its policies, the cache key, the selection in force
//! for a file).

use std::borrow::Cow;
use std::path::Path;

use crate::config::{Config, ConfigSource};
use crate::finding::{Severity, StableHasher};
use crate::model::{Format, detect};
use crate::parse::{is_hcl_name, load};
use crate::policy::{self, Policy, PolicySettings};
use crate::suppress::ConfigRule;
use crate::walk::{GlobError, Globs};

use super::options::canonical_id;
use super::{Engine, EngineError, EngineOptions, Flags, Selection};

impl Engine {
    /// An engine running the built-in policies `selection` enables, with `settings`.
    pub fn new(settings: PolicySettings, selection: Selection, options: EngineOptions) -> Engine {
        Engine {
            policies: policy::rules::builtin()
                .iter()
                .map(|p| (*p, p.meta(), super::evaluate::reads_statements(p.meta())))
                .collect(),
            settings,
            selection,
            options,
            base_dir: None,
            overrides: Vec::new(),
            documents: Vec::new(),
            rules: Vec::new(),
            require_reason: false,
            honor: Vec::new(),
            terraform: Default::default(),
            guard: None,
            cache_key: None,
        }
    }

    /// Evaluate the Guard rules ahead, in batches, on the templates among `files` (path, path
    /// as reported) whose checks
    /// will send Guard their own text (see [`crate::guard::RuleSet::prepare`]); the checks then
    /// take the reports. Other files (HCL, whose directory is one document) are evaluated by
    /// their checks alone.
    pub(crate) fn prepare_guard(&self, files: &[(&Path, &str)]) {
        use rayon::prelude::*;
        let Some(guard) = &self.guard else { return };
        if self.options.parse_only {
            return;
        }
        let documents: Vec<String> = files
            .par_iter()
            .filter_map(|&(path, display)| {
                let name = path.file_name()?.to_str()?;
                if is_hcl_name(name) {
                    return None;
                }
                // The selection the file's check will use.
                let selection = self.selection_for(&self.relative(display));
                if !guard.metas().any(|m| selection.enables(m)) {
                    return None;
                }
                let meta = std::fs::metadata(path).ok()?;
                if !meta.is_file() || meta.len() > self.options.max_file_size {
                    return None;
                }
                let text = std::fs::read_to_string(path).ok()?;
                let is_template = {
                    let parsed = load(&text, name, &self.options.limits).ok()?;
                    matches!(
                        detect(&parsed.root, name),
                        Some(Format::CloudFormation | Format::Sam | Format::TerraformPlan)
                    )
                };
                is_template.then_some(text)
            })
            .collect();
        guard.prepare(documents);
    }

    /// Start a run: what the engine remembers of directories (their listings) is from an
    /// earlier run, whose files may have changed since (the language server lives long).
    pub(crate) fn begin_run(&self) {
        self.terraform.forget_listings();
    }

    /// Forget what [`Engine::prepare_guard`] computed.
    pub(crate) fn clear_guard(&self) {
        if let Some(guard) = &self.guard {
            guard.clear_prepared();
        }
    }

    /// The Guard rules this engine runs.
    pub fn guard(&self) -> Option<&crate::guard::RuleSet> {
        self.guard.as_deref()
    }

    /// Run one more policy after the built-in ones (custom rule layers; tests).
    pub fn with_policy(mut self, policy: &'static dyn Policy) -> Engine {
        let meta = policy.meta();
        self.policies
            .push((policy, meta, super::evaluate::reads_statements(meta)));
        self
    }

    /// An engine for the files a config governs, with command-line flags layered over it: a
    /// flag's region list and selection replace the config's, ignores add up.
    pub(crate) fn layered(config: &Config, flags: &Flags) -> Result<Engine, EngineError> {
        // Rule files first: the severities and selections below may name their policies.
        let mut rule_paths = flags.rules.clone();
        rule_paths.extend(config.rule_paths());
        let guard = crate::guard::load(&rule_paths)?;
        let allowed_regions = flags
            .allowed_regions
            .clone()
            .or_else(|| config.allowed_regions.clone())
            .map(|v| {
                v.into_iter()
                    .map(|r| r.trim().to_string())
                    .filter(|r| !r.is_empty())
                    .collect()
            });
        let mut select = if flags.select.is_empty() {
            config.select.clone()
        } else {
            flags.select.clone()
        };
        select.retain(|s| !s.is_empty());
        let selection = Selection {
            select,
            ignore: config.ignore.iter().chain(&flags.ignore).cloned().collect(),
            severity: guard_severities(guard.as_deref(), &config.guard.severity)
                .chain(config.severity.iter().map(|(k, v)| (canonical_id(k), *v)))
                .collect(),
        };
        let mut engine = Engine::new(
            PolicySettings { allowed_regions },
            selection,
            flags.options.clone(),
        )
        .with_config(config)?
        .require_suppression_reason(flags.require_suppression_reason);
        let mut key = StableHasher::new();
        key.part(&build_identity());
        key.part(&format!("{config:?}"));
        key.part(&format!("{flags:?}"));
        for file in guard.as_deref().map_or(&[][..], |g| g.files()) {
            key.part(&file.display);
            key.part(&file.text);
        }
        engine.cache_key = Some(key.finish());
        engine.guard = guard;
        Ok(engine)
    }

    /// The result cache's key for this engine's reports (see [`crate::cache`]).
    pub(crate) fn cache_key(&self) -> Option<u64> {
        self.cache_key
    }

    /// Files larger than this are reported instead of loaded.
    pub(crate) fn max_file_size(&self) -> u64 {
        self.options.max_file_size
    }

    /// Take path overrides and suppression rules from a config file.
    pub(crate) fn with_config(mut self, config: &Config) -> Result<Engine, GlobError> {
        self.base_dir = config.source.as_ref().map(ConfigSource::dir);
        self.overrides = config
            .overrides
            .iter()
            .map(|o| Ok((Globs::new(&o.paths)?, o.clone())))
            .collect::<Result<_, GlobError>>()?;
        self.documents = config
            .documents
            .iter()
            .filter_map(|d| crate::model::DocumentKind::parse(&d.kind).map(|k| (d, k)))
            .map(|(d, k)| Ok((Globs::new(&d.paths)?, k, d.targets.clone())))
            .collect::<Result<_, GlobError>>()?;
        self.rules = config
            .suppress
            .iter()
            .map(ConfigRule::compile)
            .collect::<Result<_, _>>()?;
        self.require_reason |= config.require_suppression_reason;
        self.honor = config.honor_suppressions.clone();
        Ok(self)
    }

    /// Report suppressions without a reason (SUPP002).
    pub fn require_suppression_reason(mut self, yes: bool) -> Engine {
        self.require_reason |= yes;
        self
    }

    /// Whether suppressions must give a reason (`require_suppression_reason`).
    pub(crate) fn requires_suppression_reason(&self) -> bool {
        self.require_reason
    }

    /// The policies the base selection enables (overrides may change it per file).
    pub fn policies(&self) -> Vec<&'static dyn Policy> {
        self.policies
            .iter()
            .filter(|(_, m, _)| self.selection.enables(m))
            .map(|(p, _, _)| *p)
            .collect()
    }

    /// The config's suppression rules, compiled.
    pub fn rules(&self) -> &[ConfigRule] {
        &self.rules
    }

    /// Whether some file could use a policy (for deciding whether a config suppression of it is
    /// stale).
    pub(crate) fn may_enable(&self, meta: &policy::PolicyMeta) -> bool {
        self.selection.enables(meta)
            || self
                .overrides
                .iter()
                .any(|(_, o)| self.selection.with(o).enables(meta))
    }

    /// A path as config globs see it: relative to the config's directory when under it.
    pub(super) fn relative(&self, display: &str) -> String {
        let Some(base) = &self.base_dir else {
            return display.to_string();
        };
        let path = crate::walk::path_of_display(display);
        let abs = std::path::absolute(&path).unwrap_or(path);
        match abs.strip_prefix(base) {
            Ok(rel) => crate::walk::display_path(rel),
            Err(_) => display.to_string(),
        }
    }

    /// The selection in force for one file.
    pub(super) fn selection_for(&self, relative: &str) -> Cow<'_, Selection> {
        let mut selection = Cow::Borrowed(&self.selection);
        for (globs, o) in &self.overrides {
            if globs.is_match(relative) {
                selection = Cow::Owned(selection.with(o));
            }
        }
        selection
    }

    /// The settings policies run with.
    pub fn settings(&self) -> &PolicySettings {
        &self.settings
    }
}

/// This build of tripline: its version, and the executable's size and modification time, so
/// that a rebuild (a development build of the same version) never reuses another's results.
fn build_identity() -> String {
    let exe = std::env::current_exe()
        .ok()
        .and_then(|p| std::fs::metadata(p).ok())
        .map(|m| {
            let mtime = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            format!("{} {mtime}", m.len())
        })
        .unwrap_or_default();
    format!("{} {exe}", env!("CARGO_PKG_VERSION"))
}

/// Errors "at end of file" point at the end of the last non-blank line, where the reader will
/// look for what is unfinished.
/// `[guard.severity]` as severities by policy ID: for each Guard rule, the longest key that is
/// its ID or a prefix of it.
fn guard_severities<'a>(
    guard: Option<&'a crate::guard::RuleSet>,
    table: &'a std::collections::BTreeMap<String, Severity>,
) -> impl Iterator<Item = (String, Severity)> + 'a {
    guard
        .into_iter()
        .flat_map(|g| g.metas())
        .filter_map(move |m| {
            table
                .iter()
                .filter(|(k, _)| {
                    m.id.get(..k.len())
                        .is_some_and(|head| head.eq_ignore_ascii_case(k))
                })
                .max_by_key(|(k, _)| k.len())
                .map(|(_, s)| (m.id.to_string(), *s))
        })
}
