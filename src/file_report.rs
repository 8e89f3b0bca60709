//! What checking one file produced: the report types every layer shares.
//!
//! This module sits at the bottom of the crate: the engine fills a [`FileReport`], the run,
//! the result cache, the baseline, coverage and every output format read one. It uses no other
//! module of the crate, so that none of them has to import the engine to name its result.

use crate::finding::Finding;
use crate::model::Format;
use crate::policy::coverage::EvidenceKind;
use crate::source::Position;

/// Why a file was not checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skip {
    /// Binary content.
    Binary,
    /// YAML or JSON that is not a template.
    NotTemplate,
    /// A template of another tool's language (a Helm chart's, a Terraform `templatefile`
    /// source, Jinja), which that tool renders before anything reads it: not CloudFormation
    /// or Terraform as written. The report's note says which.
    OtherTool,
    /// A symbolic link the walk met and did not follow (without `--follow-links`: it may
    /// point outside the tree); the report's note says where it points.
    Link,
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

/// A module call not followed: its resources went unchecked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnfollowedModule {
    /// The call's name (`module "trail"`), or the calls to it from the file's (`audit.bucket`).
    pub name: String,
    /// Where the module comes from (`terraform-aws-modules/cloudtrail/aws`).
    pub source: String,
    /// The line of the call's name (of the file's call it descends from).
    pub line: u32,
    /// Why it was not followed.
    pub why: NotFollowed,
}

impl UnfollowedModule {
    /// What is said of the call where it is written (`--verbose`, an editor's diagnostic).
    pub fn message(&self) -> String {
        match self.why {
            NotFollowed::NotOnDisk => format!(
                "module `{}` comes from `{}`, which is not on disk: its resources are not \
                 checked here (tripline never fetches modules; `terraform init` installs them \
                 where tripline reads them)",
                self.name, self.source
            ),
            NotFollowed::PastBound => format!(
                "module `{}` (from `{}`) was not composed: it is past tripline's bounds on \
                 composing modules, so its resources are not checked as this configuration \
                 calls it (`tripline check --verbose` says which bound)",
                self.name, self.source
            ),
        }
    }
}

/// Why a module call was not followed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotFollowed {
    /// Its module is not on disk (a registry or Git module `terraform init` has not installed).
    NotOnDisk,
    /// Its module is on disk, but composing it would pass one of tripline's bounds (calls
    /// nested too deep, too many instances or too much text, a module that calls itself).
    PastBound,
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
    /// Module calls declared here whose modules are not on disk (registry or Git modules that
    /// `terraform init` has not installed): their resources went unchecked.
    pub unfollowed_modules: Vec<UnfollowedModule>,
    /// What the report depends on besides the engine's settings.
    pub depends: Depends,
    /// The resources that establish control objectives or make them apply, in position
    /// order (see [`crate::coverage`]).
    pub evidence: Vec<Evidence>,
    /// When some finding has a fix: the [`content_hash`] of the bytes the fixes were computed
    /// from. `--fix` applies them only to a file that still holds those bytes.
    pub fixes_from: Option<u64>,
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
    pub(crate) fn new(path: &str, outcome: Outcome, bytes: u64) -> FileReport {
        FileReport {
            path: path.to_string(),
            outcome,
            findings: Vec::new(),
            bytes,
            suppressed: 0,
            used_rules: Vec::new(),
            seen_rules: Vec::new(),
            notes: Vec::new(),
            unfollowed_modules: Vec::new(),
            depends: Depends::File,
            evidence: Vec::new(),
            fixes_from: None,
        }
    }

    /// This report, its fixes marked as computed from bytes of hash `content` when it has any.
    pub(crate) fn with_fixes_from(mut self, content: u64) -> FileReport {
        self.fixes_from = self
            .findings
            .iter()
            .any(|f| f.fix.is_some())
            .then_some(content);
        self
    }
}

/// FNV-1a over the bytes, in 8-byte words: fast enough to hash a tree's worth of files, and
/// stable across builds (the result cache outlives processes).
pub fn content_hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        h ^= u64::from_le_bytes(c.try_into().expect("8 bytes"));
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    for &b in chunks.remainder() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^ bytes.len() as u64
}

/// A resource that bears on an objective, positioned in its file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    /// The objective's ID.
    pub objective: &'static str,
    /// Whether the resource establishes the objective or makes it apply.
    pub kind: EvidenceKind,
    /// The resource's logical ID or address.
    pub resource: String,
    /// Its type.
    pub rtype: String,
    /// What evidence it is ("a CloudTrail trail").
    pub describe: &'static str,
    /// Where the resource is (its logical ID or address).
    pub start: Position,
    /// The requirements it does not meet, where.
    pub unmet: Vec<(Position, String)>,
    /// What it is to the organization (see [`crate::policy::organization`]).
    pub org: Option<Box<crate::policy::organization::Role>>,
}
