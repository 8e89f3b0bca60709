//! Checking one file: read, recognize, parse, model, run the policies, and turn what they report
//! into [`Finding`]s with positions, excerpts and fingerprints.
//!
//! Everything that can go wrong with one file (unreadable, not UTF-8, not well-formed, a bug in a
//! policy) becomes a finding for that file; it never stops the others from being checked.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;

use crate::config::{Config, ConfigSource, Override};
use crate::coverage::{Evidence, positioned_evidence};
use crate::finding::{Finding, Severity, StableHasher, stable_hash};
use crate::model::{Format, KindBasis, Template, detect, looks_like_template};
use crate::parse::{Limits, ParseError, ParseErrorKind, decode_utf16, is_hcl_name, load};
use crate::policy::coverage::RawEvidence;
use crate::policy::{self, Context, Policy, PolicySettings, RawFinding};
use crate::source::{Excerpt, LineIndex, Position, PositionCursor, Span};
use crate::suppress::{self, ConfigRule};

use crate::walk::{GlobError, Globs};

pub use crate::plan_source::TerraformRoot;

/// Bytes sniffed for NUL to tell binary files from text.
const BINARY_SNIFF_BYTES: usize = 8192;

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
}

impl Default for EngineOptions {
    fn default() -> EngineOptions {
        EngineOptions {
            limits: Limits::default(),
            max_file_size: 100 * 1024 * 1024,
            parse_only: false,
            terraform_root: TerraformRoot::Beside,
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
fn canonical_id(key: &str) -> String {
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
    fn with(&self, o: &Override) -> Selection {
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

/// Why a file was not checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skip {
    /// Binary content.
    Binary,
    /// YAML or JSON that is not a template.
    NotTemplate,
}

/// What happened to one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Read as a template of this format and checked.
    Checked(Format),
    /// Not checked, and why.
    Skipped(Skip),
    /// Could not be read or loaded; the reason is among the findings.
    Failed,
    /// Not a checked file: findings about the configuration itself (stale suppressions).
    Config,
}

/// The result of checking one file.
#[derive(Clone, Debug)]
pub struct FileReport {
    /// The file as reported (relative to the working directory).
    pub path: String,
    /// What happened to the file.
    pub outcome: Outcome,
    /// Findings, sorted by position.
    pub findings: Vec<Finding>,
    /// The file's size.
    pub bytes: u64,
    /// Findings removed by suppressions.
    pub suppressed: usize,
    /// `[[suppress]]` patterns of the config that suppressed something here: (rule, pattern).
    pub used_rules: Vec<(usize, usize)>,
    /// `[[suppress]]` rules that applied to this file (its path, and one of its resources), used
    /// or not: only those can be called stale.
    pub seen_rules: Vec<usize>,
    /// What was not checked and why, for `--verbose` (a module that is not on disk).
    pub notes: Vec<String>,
    /// What the report depends on besides the engine's settings.
    pub depends: Depends,
    /// The resources that establish control objectives or make them apply, in position
    /// order (see [`crate::coverage`]).
    pub evidence: Vec<Evidence>,
}

/// What a file's report depends on, besides the engine's settings: what a result cache must
/// watch to reuse it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Depends {
    /// The file's bytes only.
    File,
    /// The file's bytes and its directory's configuration files as listed (names, sizes,
    /// modification times): a `.tf` file read with its directory, a `*.tf.json` read alone, a
    /// plan with no configuration beside it.
    Directory,
    /// Files of other directories too: a called module, a plan's `.tf` source.
    OtherFiles,
}

impl FileReport {
    fn new(path: &str, outcome: Outcome, bytes: u64) -> FileReport {
        FileReport {
            path: path.to_string(),
            outcome,
            findings: Vec::new(),
            bytes,
            suppressed: 0,
            used_rules: Vec::new(),
            seen_rules: Vec::new(),
            notes: Vec::new(),
            depends: Depends::File,
            evidence: Vec::new(),
        }
    }
}

/// The configured policy engine. Cheap to share across threads.
pub struct Engine {
    /// Every built-in policy with its metadata (looked up once, not per file).
    policies: Vec<(&'static dyn Policy, &'static policy::PolicyMeta)>,
    settings: PolicySettings,
    selection: Selection,
    options: EngineOptions,
    /// Directory that config paths (overrides, suppress rules) are relative to.
    base_dir: Option<PathBuf>,
    overrides: Vec<(Globs, Override)>,
    /// `[[documents]]`: kinds of standalone policy documents by path.
    documents: Vec<(Globs, crate::model::DocumentKind)>,
    rules: Vec<ConfigRule>,
    require_reason: bool,
    /// Parsed `.tf` siblings, shared by the files of a directory.
    siblings: crate::terraform_dir::SiblingCache,
    /// Policy findings of `.tf` configuration directories, computed once per directory.
    directories: std::sync::Mutex<HashMap<PathBuf, Arc<DirectoryEntry>>>,
    /// Users' Guard rules, run after the built-in policies.
    guard: Option<Arc<crate::guard::RuleSet>>,
    /// What local modules report with their defaults, by directory (each call's own findings
    /// are what it reports beyond these).
    module_defaults: std::sync::Mutex<HashMap<PathBuf, ModuleDefaults>>,
    /// What shaped this engine's reports (configs, flags, Guard rules, this build), for the
    /// result cache; `None`: reports are not cached.
    cache_key: Option<u64>,
}

/// A module directory's listing and what its check with defaults reports.
type ModuleDefaults = (Vec<crate::terraform_dir::Listed>, Arc<KnownFindings>);

/// Findings by policy, resource and message.
type KnownFindings = std::collections::HashSet<(&'static str, Option<String>, String)>;

/// A directory's listing and, once one of its files asked, its findings.
struct DirectoryEntry {
    listing: Vec<crate::terraform_dir::Listed>,
    findings: std::sync::OnceLock<Arc<DirectoryFindings>>,
}

/// The raw findings of a whole configuration directory, with where each file sits in the
/// combined text (name, offset, length).
#[derive(Default)]
struct DirectoryFindings {
    files: Vec<(String, u32, u32)>,
    raws: Vec<RawFinding>,
    evidence: Vec<RawEvidence>,
    /// Not one configuration (a resource declared by two files): each file is checked alone.
    alone: bool,
}

/// What a `.tf` file's directory check gives the file.
enum FromDirectory {
    /// The findings and evidence that land in the file, positioned in it.
    Raws(Vec<RawFinding>, Vec<RawEvidence>),
    /// The directory is not one configuration: check the file alone.
    Alone,
}

/// Directories whose findings are kept at most (the walk checks a directory's files together).
const DIRECTORY_CACHE_MAX: usize = 1024;

/// What checking one template produced, before it becomes a [`FileReport`].
struct Checked {
    outcome: Outcome,
    findings: Vec<Finding>,
    suppressed: usize,
    used_rules: Vec<(usize, usize)>,
    seen_rules: Vec<usize>,
    notes: Vec<String>,
    depends: Depends,
    evidence: Vec<Evidence>,
}

impl Engine {
    /// An engine running the built-in policies `selection` enables, with `settings`.
    pub fn new(settings: PolicySettings, selection: Selection, options: EngineOptions) -> Engine {
        Engine {
            policies: policy::rules::builtin()
                .iter()
                .map(|p| (*p, p.meta()))
                .collect(),
            settings,
            selection,
            options,
            base_dir: None,
            overrides: Vec::new(),
            documents: Vec::new(),
            rules: Vec::new(),
            require_reason: false,
            siblings: Default::default(),
            directories: Default::default(),
            guard: None,
            module_defaults: Default::default(),
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
        self.policies.push((policy, policy.meta()));
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
            .map(|(d, k)| Ok((Globs::new(&d.paths)?, k)))
            .collect::<Result<_, GlobError>>()?;
        self.rules = config
            .suppress
            .iter()
            .map(ConfigRule::compile)
            .collect::<Result<_, _>>()?;
        self.require_reason |= config.require_suppression_reason;
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
            .filter(|(_, m)| self.selection.enables(m))
            .map(|(p, _)| *p)
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
    fn relative(&self, display: &str) -> String {
        let Some(base) = &self.base_dir else {
            return display.to_string();
        };
        let abs = std::path::absolute(display).unwrap_or_else(|_| PathBuf::from(display));
        match abs.strip_prefix(base) {
            Ok(rel) => crate::walk::display_path(rel),
            Err(_) => display.to_string(),
        }
    }

    /// The selection in force for one file.
    fn selection_for(&self, relative: &str) -> Cow<'_, Selection> {
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

    /// Check a file on disk. `display` is the path as reported.
    pub fn check_path(&self, path: &Path, display: &str) -> FileReport {
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => return self.io_failure(display, format!("cannot read file: {e}")),
        };
        if meta.is_dir() {
            return self.io_failure(display, "is a directory, not a file".to_string());
        }
        // FIFOs, sockets and devices could block a read forever or never end.
        if !meta.is_file() {
            return self.io_failure(
                display,
                "is not a regular file (a pipe, socket or device)".to_string(),
            );
        }
        if meta.len() > self.options.max_file_size {
            return self.io_failure(
                display,
                format!(
                    "file is {} bytes, over the {}-byte limit (--max-file-size)",
                    meta.len(),
                    self.options.max_file_size
                ),
            );
        }
        match std::fs::read(path) {
            Ok(bytes) => self.check_bytes_at(display, &bytes, Some(path)),
            Err(e) => self.io_failure(display, format!("cannot read file: {e}")),
        }
    }

    /// A report for a file that could not be read (IO001).
    pub(crate) fn io_failure(&self, display: &str, message: String) -> FileReport {
        let finding = self.finding(
            &self.selection,
            &Arc::from(display),
            "",
            None,
            RawFinding {
                policy: "IO001",
                span: Span::empty(0),
                message,
                resource: None,
                fix: None,
            },
        );
        let mut report = FileReport::new(display, Outcome::Failed, 0);
        report.findings.push(finding);
        report
    }

    /// Check file contents. `display` is the path as reported (its name helps recognize
    /// `*.tf.json`).
    pub fn check_bytes(&self, display: &str, bytes: &[u8]) -> FileReport {
        self.check_bytes_at(display, bytes, None)
    }

    /// [`Engine::check_bytes`] for the contents of the file at `origin` (an editor's unsaved
    /// buffer, say): a Terraform file is checked with the other files of its directory, as
    /// Terraform loads them.
    pub(crate) fn check_bytes_at(
        &self,
        display: &str,
        bytes: &[u8],
        origin: Option<&Path>,
    ) -> FileReport {
        let mut report = FileReport::new(
            display,
            Outcome::Skipped(Skip::NotTemplate),
            bytes.len() as u64,
        );
        if bytes.len() as u64 > self.options.max_file_size {
            return self.io_failure(
                display,
                format!(
                    "input is {} bytes, over the {}-byte limit (--max-file-size)",
                    bytes.len(),
                    self.options.max_file_size
                ),
            );
        }
        // A UTF-8 byte-order mark is not part of the text: positions, excerpts and fingerprints
        // are those of the same file without it (editors do not count it either).
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        if let Some((decoded, encoding)) = decode_utf16(bytes) {
            return self.check_utf16(display, report, decoded, encoding, origin);
        }
        if memchr::memchr(0, &bytes[..bytes.len().min(BINARY_SNIFF_BYTES)]).is_some() {
            report.outcome = Outcome::Skipped(Skip::Binary);
            return report;
        }
        let name = display.rsplit('/').next().unwrap_or(display);
        if !looks_like_template(bytes, name) {
            return report;
        }
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let valid = &bytes[..e.valid_up_to()];
                // The valid prefix is UTF-8, so positions up to the bad byte are exact.
                let prefix = std::str::from_utf8(valid).unwrap_or_default();
                let raw = RawFinding {
                    policy: "PARSE004",
                    span: Span::new(prefix.len(), prefix.len()),
                    message: format!(
                        "invalid UTF-8 byte 0x{:02X}; the file must be UTF-8",
                        bytes[e.valid_up_to()]
                    ),
                    resource: None,
                    fix: None,
                };
                report.findings.push(self.finding(
                    &self.selection,
                    &Arc::from(display),
                    prefix,
                    None,
                    raw,
                ));
                report.outcome = Outcome::Failed;
                return report;
            }
        };
        self.check_str(display, name, text, report, origin)
    }

    /// A UTF-16 file is decoded and checked like any other (positions are those of the decoded
    /// text, in lines and characters as an editor shows them), with a PARSE004 finding saying
    /// that it is not UTF-8: CloudFormation and Terraform read templates as UTF-8.
    fn check_utf16(
        &self,
        display: &str,
        report: FileReport,
        decoded: Result<String, usize>,
        encoding: &'static str,
        origin: Option<&Path>,
    ) -> FileReport {
        let name = display.rsplit('/').next().unwrap_or(display);
        let text = match decoded {
            Ok(text) => text,
            Err(unit) => {
                let raw = RawFinding {
                    policy: "PARSE004",
                    span: Span::empty(0),
                    message: format!(
                        "the file is {encoding} with an unpaired surrogate at code unit {unit}; \
                         templates must be UTF-8"
                    ),
                    resource: None,
                    fix: None,
                };
                let mut report = report;
                report.findings = self.finish(&self.selection, display, "", vec![raw]);
                report.outcome = Outcome::Failed;
                return report;
            }
        };
        if !looks_like_template(text.as_bytes(), name) {
            // Named or walked, a UTF-16 file that is no template is skipped as any other text.
            return report;
        }
        let mut checked = self.check_str(display, name, &text, report, origin);
        let raw = RawFinding {
            policy: "PARSE004",
            span: Span::empty(0),
            message: format!(
                "the file is {encoding}, not UTF-8: it was decoded and checked, but \
                 CloudFormation and Terraform read templates as UTF-8; re-encode it"
            ),
            resource: None,
            fix: None,
        };
        let mut findings = self.finish(&self.selection, display, &text, vec![raw]);
        findings.append(&mut checked.findings);
        findings.sort_by(|a, b| (a.start, a.policy).cmp(&(b.start, b.policy)));
        checked.findings = findings;
        checked
    }

    /// Check decoded text: the part of [`Engine::check_bytes`] after decoding.
    fn check_str(
        &self,
        display: &str,
        name: &str,
        text: &str,
        mut report: FileReport,
        origin: Option<&Path>,
    ) -> FileReport {
        let bytes = text.as_bytes();
        // NUL bytes past the binary sniff: libyaml would reject the whole stream without a
        // useful position, so report the first one exactly.
        if let Some(at) = memchr::memchr(0, bytes) {
            let raw = RawFinding {
                policy: "PARSE001",
                span: Span::empty(at),
                message: "NUL byte in a text file (binary data, or a file in a UTF-16 encoding?)"
                    .to_string(),
                resource: None,
                fix: None,
            };
            report.findings = self.finish(&self.selection, display, text, vec![raw]);
            report.outcome = Outcome::Failed;
            return report;
        }
        crate::fault::set_checking(true);
        let result = catch_unwind(AssertUnwindSafe(|| {
            self.check_text(display, name, text, origin)
        }));
        crate::fault::set_checking(false);
        match result {
            Ok(checked) => {
                report.outcome = checked.outcome;
                report.findings = checked.findings;
                report.suppressed = checked.suppressed;
                report.used_rules = checked.used_rules;
                report.seen_rules = checked.seen_rules;
                report.notes = checked.notes;
                report.depends = checked.depends;
                report.evidence = checked.evidence;
            }
            Err(payload) => {
                let what = crate::fault::panic_message(payload.as_ref());
                let raw = RawFinding {
                    policy: "INTERNAL001",
                    span: Span::empty(0),
                    message: format!("internal error while checking this file: {what}"),
                    resource: None,
                    fix: None,
                };
                report.findings =
                    vec![self.finding(&self.selection, &Arc::from(display), text, None, raw)];
                report.outcome = Outcome::Failed;
            }
        }
        report
    }

    fn check_text(&self, display: &str, name: &str, text: &str, origin: Option<&Path>) -> Checked {
        let relative = self.relative(display);
        let selection = self.selection_for(&relative);
        let mut checked = Checked {
            outcome: Outcome::Skipped(Skip::NotTemplate),
            findings: Vec::new(),
            suppressed: 0,
            used_rules: Vec::new(),
            seen_rules: Vec::new(),
            notes: Vec::new(),
            depends: Depends::File,
            evidence: Vec::new(),
        };
        // A `.tf` file's directory parses it too: share that parse (through the sibling cache)
        // rather than parse it twice.
        let cached = match origin {
            Some(path) if is_hcl_name(name) && !self.options.parse_only => {
                crate::terraform_dir::cached_parse(path, text, &self.options.limits, &self.siblings)
            }
            _ => None,
        };
        let loaded = match cached {
            Some(parsed) => Ok(parsed),
            None => load(text, name, &self.options.limits),
        };
        let parsed = match loaded {
            Ok(p) => p,
            Err(e) => {
                let raw = parse_error_finding(&e);
                checked.outcome = Outcome::Failed;
                checked.findings = self.finish(&selection, display, text, vec![raw]);
                return checked;
            }
        };
        let Some(mut format) = detect(&parsed.root, name) else {
            return checked;
        };
        // A standalone document without a principal: the config may say what it is.
        if let Format::PolicyDocument { basis, .. } = &mut format
            && *basis == KindBasis::Assumed
            && let Some((_, kind)) = self.documents.iter().find(|(g, _)| g.is_match(&relative))
        {
            format = Format::PolicyDocument {
                kind: *kind,
                basis: KindBasis::Config,
            };
        }
        checked.outcome = Outcome::Checked(format);
        if format == Format::TerraformConfig {
            checked.notes = crate::terraform_dir::remote_module_calls(&parsed.root)
                .into_iter()
                .map(|(name, source)| {
                    format!(
                        "module `{name}` comes from `{source}`, which is not on disk: its \
                         resources are not checked here (tripline never fetches modules)"
                    )
                })
                .collect();
        }
        let mut raws: Vec<RawFinding> = parsed.warnings.iter().map(parse_error_finding).collect();
        if matches!(format, Format::CloudFormation | Format::Sam) {
            raws.extend(cloudformation_structure(&parsed.root));
        }
        let mut placed = None;
        let mut evidence: Vec<RawEvidence> = Vec::new();
        if !self.options.parse_only {
            let hcl = is_hcl_name(name);
            let comments = if hcl {
                suppress::comments(text, &parsed.root)
            } else if matches!(format, Format::CloudFormation | Format::Sam)
                && !crate::parse::looks_like_json(text)
            {
                // YAML (JSON has no comments).
                suppress::yaml_comments(text, &parsed.root)
            } else {
                Vec::new()
            };
            // A Terraform file is read with the rest of its configuration (its directory): the
            // directory is checked once, and each file takes what lands in it.
            let from_directory = match origin {
                Some(path) if format == Format::TerraformConfig => {
                    self.directory_raws(path, name, text)
                }
                _ => None,
            };
            if format == Format::TerraformConfig {
                // A module call's findings land in the file that calls it.
                let calls = origin.and_then(Path::parent).is_some_and(|dir| {
                    !crate::terraform_dir::local_module_calls(&parsed.root, dir).is_empty()
                });
                checked.depends = if calls {
                    Depends::OtherFiles
                } else {
                    Depends::Directory
                };
            }
            let own_end = text.len() as u32;
            let own_root;
            let combined_root;
            let combined_text;
            let template = if let Some(FromDirectory::Raws(dir_raws, dir_evidence)) = from_directory
            {
                evidence = dir_evidence;
                // The directory ran every policy some file may enable; this file's selection
                // decides, as if only its policies had run.
                raws.extend(
                    dir_raws
                        .into_iter()
                        .filter(|r| policy::meta(r.policy).is_none_or(|m| selection.enables(m))),
                );
                own_root = parsed.root;
                Template::new(format, &own_root)
            } else {
                // One file alone, or an editor's buffer that differs from the file on disk:
                // its siblings are merged after it.
                let siblings = match origin {
                    // Known not to be one configuration: the file alone.
                    _ if matches!(from_directory, Some(FromDirectory::Alone)) => Vec::new(),
                    Some(path) if format == Format::TerraformConfig => {
                        crate::terraform_dir::siblings(
                            path,
                            &self.options.limits,
                            self.options.max_file_size,
                            &self.siblings,
                        )
                    }
                    _ => Vec::new(),
                };
                let mut roots: Vec<(&str, &crate::parse::Node<'_>)> = vec![(name, &parsed.root)];
                roots.extend(siblings.iter().map(|s| (s.name.as_str(), &s.root)));
                let siblings = if crate::terraform_dir::is_one_configuration(&roots) {
                    siblings
                } else {
                    Vec::new()
                };
                let (mut root, text_of_all) = if siblings.is_empty() {
                    (parsed.root, None)
                } else {
                    let (root, all, _) =
                        crate::terraform_dir::combine(parsed.root, text, &siblings);
                    (root, Some(all))
                };
                if format == Format::TerraformConfig {
                    crate::model::inline_policy_documents(&mut root);
                }
                combined_root = root;
                combined_text = text_of_all;
                let mut template = Template::new(format, &combined_root);
                template.name_document(name);
                let all = combined_text.as_deref().unwrap_or(text);
                template.source = Some(all);
                let (found, found_evidence) =
                    self.check_template(&template, &|m| selection.enables(m));
                // Moved, not copied, when nothing came before (a huge template's findings
                // were held twice for a moment).
                if raws.is_empty() {
                    raws = found;
                } else {
                    raws.extend(found);
                }
                evidence = found_evidence;
                if format == Format::TerraformConfig
                    && let Some(dir) = origin.and_then(Path::parent)
                {
                    let enabled = |m: &policy::PolicyMeta| selection.enables(m);
                    raws.extend(self.module_call_raws(&combined_root, all, dir, &enabled));
                }
                template
            };
            // What lands in the other files of the configuration is theirs to report.
            raws.retain(|raw| raw.span.start <= own_end);
            evidence = evidence
                .into_iter()
                .filter_map(|e| e.moved_back(0, own_end))
                .collect();
            for raw in &mut raws {
                // Plans and states are written by Terraform, not by people: nothing to fix
                // there. A fix must lie in the file itself.
                let authored = !matches!(format, Format::TerraformPlan | Format::TerraformState);
                if !authored || raw.fix.as_ref().is_some_and(|f| f.span().end > own_end) {
                    raw.fix = None;
                }
            }
            // A plan's findings go to the `.tf` lines that produced them, when the
            // configuration is at hand.
            if format == Format::TerraformPlan {
                (checked.depends, placed) =
                    self.place_at_source(display, origin, &template, &mut raws);
            }
            let enabled = |m: &policy::PolicyMeta| selection.enables(m);
            let mut inline = suppress::inline(&template);
            inline.extend(comments);
            checked.suppressed =
                suppress::apply_inline(&inline, &mut raws, &enabled, self.require_reason);
            let before = raws.len();
            let mut used = Vec::new();
            raws.retain(|raw| !self.rules_suppress(&[&relative], raw, &mut used));
            if let Some(placed) = &mut placed {
                let before = placed.moved.len();
                let files = &mut placed.files;
                placed.moved.retain(|m| {
                    let (policy, local) = (m.raw.policy, m.local_address.as_deref());
                    // Comments where the finding is, and for a value set by a module call,
                    // also where the module declares the resource.
                    let (declared, at) = match &m.through {
                        Some((inner, span, _)) => {
                            let inner = &mut files[*inner];
                            let by_declaration =
                                suppress::covers(inner.comments(), policy, local, span.start);
                            (by_declaration, None)
                        }
                        None => (false, local),
                    };
                    let file = &mut files[m.file];
                    let source = self.relative(&file.display);
                    !(declared
                        || suppress::covers(file.comments(), policy, at, m.raw.span.start)
                        || self.rules_suppress(&[&relative, &source], &m.raw, &mut used))
                });
                checked.suppressed += before - placed.moved.len();
            }
            used.sort_unstable();
            used.dedup();
            checked.seen_rules = self
                .rules
                .iter()
                .enumerate()
                .filter(|(_, rule)| {
                    rule.applies(&relative, None)
                        || template
                            .resources
                            .iter()
                            .filter(|r| r.anchor.start <= own_end)
                            .any(|r| rule.applies(&relative, Some(&r.id)))
                })
                .map(|(i, _)| i)
                .collect();
            checked.suppressed += before - raws.len();
            checked.used_rules = used;
        }
        checked.findings = self.positioned(&selection, display, text, raws);
        if let Some(placed) = placed {
            checked
                .findings
                .extend(self.place_moved(&selection, display, text, placed));
        }
        settle(&mut checked.findings);
        checked.evidence = positioned_evidence(text, evidence);
        checked
    }

    /// Whether a `[[suppress]]` rule of the config covers `raw` in a file seen under any of
    /// `relatives`; records the patterns used.
    fn rules_suppress(
        &self,
        relatives: &[&str],
        raw: &RawFinding,
        used: &mut Vec<(usize, usize)>,
    ) -> bool {
        let mut hit = false;
        for (i, rule) in self.rules.iter().enumerate() {
            if !relatives
                .iter()
                .any(|r| rule.applies(r, raw.resource.as_deref()))
            {
                continue;
            }
            for (j, (pattern, _)) in rule.patterns.iter().enumerate() {
                if suppress::pattern_covers(pattern, raw.policy) {
                    used.push((i, j));
                    hit = true;
                }
            }
        }
        hit
    }

    /// Take the plan findings among `raws` whose configuration is at hand out of `raws`,
    /// placed at their `.tf` source (see [`crate::plan_source`]); and what the plan's report
    /// then depends on.
    fn place_at_source(
        &self,
        display: &str,
        origin: Option<&Path>,
        template: &Template<'_>,
        raws: &mut Vec<RawFinding>,
    ) -> (Depends, Option<crate::plan_source::Placed>) {
        use crate::plan_source::PlanRoot;
        if raws.is_empty() {
            // Nothing to place: the configuration cannot change the report.
            return (Depends::File, None);
        }
        let loader = crate::plan_source::Loader {
            limits: &self.options.limits,
            max_file_size: self.options.max_file_size,
            cache: &self.siblings,
        };
        match crate::plan_source::root_for(&self.options.terraform_root, display, origin, &loader) {
            PlanRoot::Unused => (Depends::File, None),
            PlanRoot::None => (Depends::Directory, None),
            PlanRoot::NotOne => (Depends::OtherFiles, None),
            PlanRoot::Found(root, base) => {
                let placed = crate::plan_source::place(template.root, &root, &base, &loader, raws);
                (
                    Depends::OtherFiles,
                    (!placed.moved.is_empty()).then_some(placed),
                )
            }
        }
    }

    /// The findings moved out of a plan (`plan_display`, `plan_text`), positioned in their
    /// `.tf` files, each with the plan's place as related information.
    fn place_moved(
        &self,
        selection: &Selection,
        plan_display: &str,
        plan_text: &str,
        placed: crate::plan_source::Placed,
    ) -> Vec<Finding> {
        let plan_index = LineIndex::new(plan_text);
        let plan_path: Arc<str> = Arc::from(plan_display);
        // Each file's line index, made once, for the findings and the related places in it.
        let indexes: Vec<Option<LineIndex>> = placed
            .files
            .iter()
            .enumerate()
            .map(|(i, f)| {
                placed
                    .moved
                    .iter()
                    .any(|m| m.file == i || m.through.as_ref().is_some_and(|t| t.0 == i))
                    .then(|| LineIndex::new(&f.file.text))
            })
            .collect();
        let mut by_file: Vec<Vec<crate::plan_source::Moved>> =
            placed.files.iter().map(|_| Vec::new()).collect();
        for m in placed.moved {
            let file = m.file;
            by_file[file].push(m);
        }
        let mut findings = Vec::new();
        for ((file, moved), index) in placed.files.iter().zip(by_file).zip(&indexes) {
            let Some(index) = index.as_ref().filter(|_| !moved.is_empty()) else {
                continue;
            };
            let text = file.file.text.as_str();
            let path: Arc<str> = Arc::from(file.display.as_str());
            for m in moved {
                let (mut raw, plan_span) = (m.raw, m.plan_span);
                if policy::meta(raw.policy).is_some_and(|m| !selection.enables(m)) {
                    continue;
                }
                clamp_to_content(text, &mut raw);
                let start = index.position(text, raw.span.start as usize);
                let end = index.position(text, raw.span.end as usize);
                let mut finding =
                    self.finding(selection, &path, text, Some((index, start, end)), raw);
                // The `.tf` file's own check may report the same text: the plan's finding
                // keeps a fingerprint of its own (baselines tell the two apart).
                finding.fingerprint = format!(
                    "{:016x}",
                    stable_hash(&[&finding.fingerprint, plan_display])
                );
                finding.related.push(crate::finding::Related {
                    path: plan_path.clone(),
                    span: plan_span,
                    start: plan_index.position(plan_text, plan_span.start as usize),
                    end: plan_index.position(plan_text, plan_span.end as usize),
                    message: "in the plan".to_string(),
                });
                if let Some((at, span, how)) = m.through
                    && let (Some(inner), Some(index)) = (placed.files.get(at), &indexes[at])
                {
                    let text = inner.file.text.as_str();
                    finding.related.push(crate::finding::Related {
                        path: Arc::from(inner.display.as_str()),
                        span,
                        start: index.position(text, span.start as usize),
                        end: index.position(text, span.end as usize),
                        message: how,
                    });
                }
                findings.push(finding);
            }
        }
        findings
    }

    /// Run the policies `enabled` selects on a template; a panic in one costs only its findings.
    fn run_policies(
        &self,
        template: &Template<'_>,
        enabled: &dyn Fn(&policy::PolicyMeta) -> bool,
    ) -> Vec<RawFinding> {
        let shared = policy::Shared::default();
        let statements = OnceCell::new();
        self.policies_with(template, enabled, &shared, &statements)
    }

    /// [`Engine::run_policies`], and the resources that establish control objectives or make
    /// them apply, found with the analyses the policies computed (the IAM documents and their
    /// statements are read once). A panic in finding evidence costs the file's evidence only.
    fn check_template(
        &self,
        template: &Template<'_>,
        enabled: &dyn Fn(&policy::PolicyMeta) -> bool,
    ) -> (Vec<RawFinding>, Vec<RawEvidence>) {
        let shared = policy::Shared::default();
        let statements = OnceCell::new();
        let raws = self.policies_with(template, enabled, &shared, &statements);
        let cx = Context::new(template, &self.settings, &shared, &statements, "COV001");
        let evidence =
            catch_unwind(AssertUnwindSafe(|| policy::coverage::evidence(&cx))).unwrap_or_default();
        (raws, evidence)
    }

    /// The policies `enabled` selects on a template, sharing `shared` and `statements`.
    fn policies_with<'t, 'a>(
        &'t self,
        template: &'t Template<'a>,
        enabled: &dyn Fn(&policy::PolicyMeta) -> bool,
        shared: &'t policy::Shared<'a>,
        statements: &'t OnceCell<Vec<Vec<policy::iam::Statement<'t>>>>,
    ) -> Vec<RawFinding> {
        let mut raws = Vec::new();
        for (p, _) in self.policies.iter().filter(|(_, m)| enabled(m)) {
            let mut cx = Context::new(template, &self.settings, shared, statements, p.id());
            // A panic in one policy costs that policy's findings for this file only: the
            // other policies' findings are kept and the panic becomes an INTERNAL001.
            let outcome = catch_unwind(AssertUnwindSafe(|| p.check(&mut cx)));
            match outcome {
                Ok(()) => raws.extend(cx.into_findings()),
                Err(payload) => {
                    let what = crate::fault::panic_message(payload.as_ref());
                    raws.push(RawFinding {
                        policy: "INTERNAL001",
                        span: Span::empty(0),
                        message: format!(
                            "internal error in policy {} while checking this file ({what}); \
                             its findings for this file are missing, the other policies' are \
                             complete",
                            p.id()
                        ),
                        resource: None,
                        fix: None,
                    });
                }
            }
        }
        if let Some(guard) = &self.guard {
            // Users' Guard rules after the built-in policies; a panic in Guard costs only its findings.
            let outcome = catch_unwind(AssertUnwindSafe(|| guard.check(template, enabled)));
            match outcome {
                Ok(found) => raws.extend(found),
                Err(payload) => raws.push(RawFinding {
                    policy: "INTERNAL001",
                    span: Span::empty(0),
                    message: format!(
                        "internal error in Guard while checking this file ({}); the Guard \
                         rules' findings for this file are missing, the built-in policies' are \
                         complete",
                        crate::fault::panic_message(payload.as_ref())
                    ),
                    resource: None,
                    fix: None,
                }),
            }
        }
        raws
    }

    /// What the configuration's calls of local modules make wrong in them: each module is
    /// checked as the call instantiates it (its variables set to the call's arguments), and
    /// what it reports beyond the module's own check with its defaults — which the module's
    /// files report themselves — is reported at the call: at the argument whose value it is,
    /// else at the call's name. One level deep: a module's own module calls are left to the
    /// module's check.
    fn module_call_raws(
        &self,
        caller: &crate::parse::Node<'_>,
        caller_text: &str,
        dir: &Path,
        enabled: &dyn Fn(&policy::PolicyMeta) -> bool,
    ) -> Vec<RawFinding> {
        let calls = crate::terraform_dir::local_module_calls(caller, dir);
        let mut out = Vec::new();
        for call in &calls {
            // Arguments that are all references or expressions make the module's variables
            // unknown, which is never a finding: nothing beyond the defaults' findings.
            if !call.arguments.iter().any(|a| has_literal(&a.value)) {
                continue;
            }
            let listing = crate::terraform_dir::listing_dir(&call.dir, self.options.max_file_size);
            let Some(files) =
                crate::terraform_dir::configuration(&listing, &self.options.limits, &self.siblings)
            else {
                continue;
            };
            let Some(known) = self.module_defaults(&call.dir, &listing, &files) else {
                continue;
            };
            let Some((root, text, shift)) =
                crate::terraform_dir::instantiate(&files, &call.arguments, caller_text)
            else {
                continue;
            };
            let mut template = Template::new(Format::TerraformConfig, &root);
            template.source = Some(&text);
            // The module's comment suppressions on its resources and files hold for every call.
            let comments: Vec<suppress::Inline> = files
                .iter()
                .filter(|f| is_hcl_name(&f.name))
                .flat_map(|f| suppress::comments(&f.text, &f.root))
                .collect();
            for raw in self.run_policies(&template, enabled) {
                // Engine diagnostics (a policy's panic) are the module's own check's to report.
                if policy::meta(raw.policy).is_none()
                    || known.contains(&(raw.policy, raw.resource.clone(), raw.message.clone()))
                    || suppress::covers(&comments, raw.policy, raw.resource.as_deref(), u32::MAX)
                {
                    continue;
                }
                let span = if raw.span.start >= shift {
                    // On an argument's value: the caller's own text.
                    Span {
                        start: raw.span.start - shift,
                        end: raw.span.end - shift,
                    }
                } else {
                    // On `var.x` inside the module: the call's `x = …` argument.
                    crate::terraform_dir::single_variable(span_text(&text, raw.span))
                        .and_then(|v| call.arguments.iter().find(|a| a.key == v))
                        .map_or(call.label, |a| a.value.span)
                };
                let (message, resource) = match &raw.resource {
                    Some(id) => (
                        raw.message
                            .replace(&format!("`{id}`"), &format!("`module.{}.{id}`", call.name)),
                        Some(format!("module.{}.{id}", call.name)),
                    ),
                    None => (format!("module `{}`: {}", call.name, raw.message), None),
                };
                out.push(RawFinding {
                    policy: raw.policy,
                    span,
                    message,
                    resource,
                    fix: None,
                });
            }
        }
        out
    }

    /// What the module in `dir` (its files `listing`, loaded as `files`) reports with its
    /// variables' defaults, every policy some file may enable; computed once per directory.
    fn module_defaults(
        &self,
        dir: &Path,
        listing: &[crate::terraform_dir::Listed],
        files: &[Arc<crate::terraform_dir::Sibling>],
    ) -> Option<Arc<KnownFindings>> {
        if let Ok(cache) = self.module_defaults.lock()
            && let Some((listed, known)) = cache.get(dir)
            && listed == listing
        {
            return Some(known.clone());
        }
        let (root, text, _) = crate::terraform_dir::instantiate(files, &[], "")?;
        let mut template = Template::new(Format::TerraformConfig, &root);
        template.source = Some(&text);
        let known: Arc<KnownFindings> = Arc::new(
            self.run_policies(&template, &|m| self.may_enable(m))
                .into_iter()
                .map(|r| (r.policy, r.resource, r.message))
                .collect(),
        );
        if let Ok(mut cache) = self.module_defaults.lock() {
            if cache.len() >= DIRECTORY_CACHE_MAX {
                cache.clear();
            }
            cache.insert(dir.to_path_buf(), (listing.to_vec(), known.clone()));
        }
        Some(known)
    }

    /// The policy findings of a `.tf` configuration directory that land in the file `path`
    /// (whose text is `text`), positioned in that file. The directory is checked once, as one
    /// document, for all its files; `None` when the directory is not a multi-file `.tf`
    /// configuration, or when `text` is not the file on disk (an editor's buffer).
    fn directory_raws(&self, path: &Path, name: &str, text: &str) -> Option<FromDirectory> {
        let listing = crate::terraform_dir::listing(path, self.options.max_file_size);
        if listing.len() < 2 {
            return None;
        }
        let own = listing.iter().position(|f| {
            f.name == name || Some(std::ffi::OsStr::new(&f.name)) == path.file_name()
        })?;
        if listing[own].len != text.len() as u64 {
            return None;
        }
        let dir = path.parent()?.to_path_buf();
        let entry = {
            let mut map = self.directories.lock().ok()?;
            if map.len() >= DIRECTORY_CACHE_MAX {
                map.clear();
            }
            let fresh = map.get(&dir).is_some_and(|e| e.listing == listing);
            if !fresh {
                map.insert(
                    dir.clone(),
                    Arc::new(DirectoryEntry {
                        listing: listing.clone(),
                        findings: std::sync::OnceLock::new(),
                    }),
                );
            }
            map.get(&dir)?.clone()
        };
        // The first file of the directory to get here checks it; the others wait for it.
        let findings = entry.findings.get_or_init(|| {
            let files = crate::terraform_dir::load(&listing, &self.options.limits, &self.siblings);
            let roots: Vec<(&str, &crate::parse::Node<'_>)> =
                files.iter().map(|f| (f.name.as_str(), &f.root)).collect();
            if !crate::terraform_dir::is_one_configuration(&roots) {
                return Arc::new(DirectoryFindings {
                    alone: true,
                    ..DirectoryFindings::default()
                });
            }
            let Some((first, rest)) = files.split_first() else {
                return Arc::new(DirectoryFindings::default());
            };
            let (mut root, all, bases) =
                crate::terraform_dir::combine(first.root.clone(), &first.text, rest);
            crate::model::inline_policy_documents(&mut root);
            let mut template = Template::new(Format::TerraformConfig, &root);
            template.source = Some(&all);
            let (mut raws, evidence) = self.check_template(&template, &|m| self.may_enable(m));
            raws.extend(self.module_call_raws(&root, &all, &dir, &|m| self.may_enable(m)));
            let mut placed = vec![(first.name.clone(), 0u32, first.text.len() as u32)];
            for (s, base) in rest.iter().zip(bases) {
                placed.push((s.name.clone(), base, s.text.len() as u32));
            }
            Arc::new(DirectoryFindings {
                files: placed,
                raws,
                evidence,
                alone: false,
            })
        });
        if findings.alone {
            return Some(FromDirectory::Alone);
        }
        let (_, base, len) = findings
            .files
            .iter()
            .find(|(n, _, _)| *n == listing[own].name)?;
        // The file as parsed for the directory must be the text checked now.
        if *len as usize != text.len() {
            return None;
        }
        Some(FromDirectory::Raws(
            findings
                .raws
                .iter()
                .filter(|r| r.span.start >= *base && r.span.start <= base + len)
                .map(|r| {
                    let mut r = r.clone();
                    r.span = Span {
                        start: r.span.start - base,
                        end: (r.span.end - base).min(*len),
                    };
                    r.fix = r
                        .fix
                        .take()
                        .and_then(|f| f.moved_back(*base, *len))
                        .map(Box::new);
                    r
                })
                .collect(),
            findings
                .evidence
                .iter()
                .filter_map(|e| e.clone().moved_back(*base, *len))
                .collect(),
        ))
    }

    /// Findings about a file that is not checked as a template (the config), with positions,
    /// excerpts and fingerprints.
    pub(crate) fn findings_for(
        &self,
        display: &str,
        text: &str,
        raws: Vec<RawFinding>,
    ) -> Vec<Finding> {
        self.finish(&self.selection, display, text, raws)
    }

    /// Attach positions, excerpts, severities and fingerprints, sort, and number repeated
    /// fingerprints so that each stays unique.
    fn finish(
        &self,
        selection: &Selection,
        display: &str,
        text: &str,
        raws: Vec<RawFinding>,
    ) -> Vec<Finding> {
        let mut findings = self.positioned(selection, display, text, raws);
        settle(&mut findings);
        findings
    }

    /// [`Engine::finish`] without the sorting and numbering, for findings that join others.
    fn positioned(
        &self,
        selection: &Selection,
        display: &str,
        text: &str,
        raws: Vec<RawFinding>,
    ) -> Vec<Finding> {
        if raws.is_empty() {
            return Vec::new();
        }
        let index = LineIndex::new(text);
        let path: Arc<str> = Arc::from(display);
        let mut raws = raws;
        // In offset order, so that positions are computed incrementally.
        raws.sort_by_key(|r| (r.span.start, r.span.end));
        let mut starts = PositionCursor::new(&index);
        let mut ends = PositionCursor::new(&index);
        raws.into_iter()
            .filter(|r| {
                // Engine diagnostics obey --select/--ignore too.
                policy::meta(r.policy).is_none_or(|m| selection.enables(m))
            })
            .map(|mut raw| {
                clamp_to_content(text, &mut raw);
                let start = starts.position(text, raw.span.start as usize);
                let end = ends.position(text, raw.span.end as usize);
                self.finding(selection, &path, text, Some((&index, start, end)), raw)
            })
            .collect()
    }

    fn finding(
        &self,
        selection: &Selection,
        display: &Arc<str>,
        text: &str,
        known: Option<(&LineIndex, Position, Position)>,
        mut raw: RawFinding,
    ) -> Finding {
        clamp_to_content(text, &mut raw);
        let owned;
        let (index, start, end) = match known {
            Some(k) => k,
            None => {
                owned = LineIndex::new(text);
                (
                    &owned,
                    owned.position(text, raw.span.start as usize),
                    owned.position(text, raw.span.end as usize),
                )
            }
        };
        let severity = selection
            .severity
            .get(raw.policy)
            .copied()
            .or_else(|| policy::meta(raw.policy).map(|m| m.severity))
            .unwrap_or(Severity::High);
        // The fingerprint ignores positions so that it survives edits elsewhere in the file:
        // policy, file, resource, the offending text (whitespace-normalized) and the message.
        let mut hasher = StableHasher::new();
        hasher.part(raw.policy);
        hasher.part(display);
        hasher.part(raw.resource.as_deref().unwrap_or(""));
        hasher.words(span_text(text, raw.span));
        hasher.part(&raw.message);
        let fingerprint = format!("{:016x}", hasher.finish());
        let fix = raw.fix.as_ref().and_then(|f| {
            let syntax = if is_hcl_name(display) {
                crate::fix::Syntax::Hcl
            } else if crate::parse::looks_like_json(text) {
                crate::fix::Syntax::Json
            } else {
                crate::fix::Syntax::Yaml
            };
            crate::fix::write(text, syntax, f)
        });
        Finding {
            policy: raw.policy,
            severity,
            path: display.clone(),
            span: raw.span,
            start,
            end,
            message: raw.message,
            resource: raw.resource,
            excerpt: Excerpt::around_at(text, index, raw.span, Some(start)),
            fingerprint,
            fix,
            related: Vec::new(),
        }
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

/// Whether a value holds something known (a scalar that is not an expression `${…}`).
fn has_literal(node: &crate::parse::Node<'_>) -> bool {
    match &node.value {
        crate::parse::Value::Map(entries) => entries.iter().any(|e| has_literal(&e.value)),
        crate::parse::Value::Seq(items) => items.iter().any(has_literal),
        crate::parse::Value::String(s) => !(s.starts_with("${") && s.ends_with('}')),
        crate::parse::Value::Null => false,
        _ => true,
    }
}

/// Sort findings, drop exact repeats, and number repeated fingerprints so that each stays
/// unique.
fn settle(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    findings.dedup_by(|a, b| a.sort_key() == b.sort_key() && a.span == b.span);
    // Identical findings in one file get `:1`, `:2`... in order (keyed by the fingerprint's
    // own hash value, without copying the strings).
    let mut seen: HashMap<u64, usize> = HashMap::new();
    for f in findings.iter_mut() {
        let key = u64::from_str_radix(&f.fingerprint, 16)
            .unwrap_or_else(|_| stable_hash(&[&f.fingerprint]));
        let n = seen.entry(key).or_insert(0);
        if *n > 0 {
            f.fingerprint = format!("{}:{n}", f.fingerprint);
        }
        *n += 1;
    }
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

fn clamp_to_content(text: &str, raw: &mut RawFinding) {
    let content_end = text.trim_end().len();
    if raw.span.is_empty() && raw.span.start as usize > content_end {
        raw.span = Span::empty(content_end);
    }
}

/// The text under a span with whitespace runs collapsed, bounded in length.
/// The text of a span, at most its first 256 bytes (what fingerprints hash, whitespace
/// normalized).
fn span_text(text: &str, span: Span) -> &str {
    let start = crate::source::floor_char_boundary(text, span.start as usize);
    let end = crate::source::floor_char_boundary(text, (span.end as usize).min(start + 256));
    &text[start..end.max(start)]
}

fn parse_error_finding(e: &ParseError) -> RawFinding {
    let policy = match e.kind {
        ParseErrorKind::Syntax => "PARSE001",
        ParseErrorKind::DuplicateKey => "PARSE002",
        ParseErrorKind::Limit => "PARSE003",
        ParseErrorKind::Unsupported => "PARSE005",
    };
    RawFinding {
        policy,
        span: e.span,
        message: e.message.clone(),
        resource: None,
        fix: None,
    }
}

/// What makes CloudFormation reject a template that loads: `Resources` that is not a mapping,
/// resources without a string `Type` (PARSE005). Without these findings such a template would
/// pass with none of its resources seen.
fn cloudformation_structure(root: &crate::parse::Node<'_>) -> Vec<RawFinding> {
    use crate::parse::Value;
    let mut out = Vec::new();
    let Some(entry) = root.entries().iter().find(|e| e.key == "Resources") else {
        return out;
    };
    let what = match &entry.value.value {
        // An empty mapping hides nothing (CloudFormation wants a resource, but nothing here goes
        // unchecked).
        Value::Map(_) => None,
        Value::Seq(_) => Some("a list"),
        Value::Null => Some("empty (null)"),
        _ => Some("a scalar"),
    };
    if let Some(what) = what {
        out.push(RawFinding {
            policy: "PARSE005",
            span: entry.key_span,
            message: format!(
                "`Resources` is {what}; CloudFormation needs a mapping of logical IDs to \
                 resources, so no resource of this template was checked"
            ),
            resource: None,
            fix: None,
        });
        return out;
    }
    for e in entry.value.entries() {
        // Language-extension `Fn::ForEach::Name` blocks generate resources; they have no Type.
        if e.key.starts_with("Fn::ForEach") {
            continue;
        }
        // A mapping Type is a packaging tool's directive (`Rain::Module: ./bucket.yml`): the
        // tool replaces it, and the module is a template of its own in the tree.
        let typed = matches!(
            e.value.get("Type").map(|t| &t.value),
            Some(Value::String(_) | Value::Map(_))
        );
        if !typed {
            out.push(RawFinding {
                policy: "PARSE005",
                span: e.key_span,
                message: format!(
                    "resource `{}` has no string `Type`, so CloudFormation rejects the template \
                     and tripline could not check the resource",
                    e.key
                ),
                resource: Some(e.key.to_string()),
                fix: None,
            });
        }
    }
    out
}
