//! Policies: the codified security baseline.
//!
//! A policy is one self-contained unit: its metadata and docs in `policies/<ID>.toml` (embedded at
//! build time, see `build.rs`), its check in `crates/policy/src/rules/<id>.rs`, its fixtures in
//! `fixtures/<ID>/`. Checks are native Rust over the [`Template`] model and report through a
//! [`Context`], which knows which policy is running and where findings go.

#![deny(missing_docs)]

pub mod coverage;
pub mod finding;
pub mod iam;
pub mod organization;
pub mod regions;
pub mod rules;
pub mod support;

use tripline_model as model;
use tripline_syntax::{parse, source, wildcard};

use std::cell::OnceCell;
use std::fmt;

use crate::finding::Severity;
use crate::model::{Resource, Template};
use crate::source::Span;

/// The four baseline families, plus the engine's own diagnostics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// Region restriction (REG).
    Region,
    /// Root user and privileged access (ROOT).
    Root,
    /// Logging (LOG).
    Logging,
    /// Detective-control protection (DET).
    Detective,
    /// Users' own policies (Guard rules).
    Custom,
    /// The engine's own diagnostics (PARSE, IO, SUPP, INTERNAL, EVAL).
    Engine,
}

impl Family {
    /// Every family, in report order.
    pub const ALL: [Family; 6] = [
        Family::Region,
        Family::Root,
        Family::Logging,
        Family::Detective,
        Family::Custom,
        Family::Engine,
    ];

    /// The family's name as `--select` and reports spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Region => "region",
            Family::Root => "root",
            Family::Logging => "logging",
            Family::Detective => "detective",
            Family::Custom => "custom",
            Family::Engine => "engine",
        }
    }

    /// The family named `s` (case-insensitive).
    pub fn parse(s: &str) -> Option<Family> {
        Family::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A policy's metadata and documentation, from `policies/<ID>.toml`.
#[derive(Debug)]
pub struct PolicyMeta {
    /// The policy's ID (`LOG009`).
    pub id: &'static str,
    /// Its family.
    pub family: Family,
    /// Its default severity.
    pub severity: Severity,
    /// One line saying what it finds.
    pub title: &'static str,
    /// The input formats it reads.
    pub formats: &'static [&'static str],
    /// The resource types it inspects.
    pub resource_types: &'static [&'static str],
    /// Why it matters.
    pub rationale: &'static str,
    /// How to fix what it reports.
    pub remediation: &'static str,
    /// The first paragraph of `remediation` in Terraform's words (may be empty: the
    /// remediation serves both formats).
    pub terraform_help: &'static str,
    /// A fixed example, in Markdown (may be empty).
    pub example: &'static str,
    /// AWS Foundational Security Best Practices control IDs.
    pub fsbp: &'static [&'static str],
    /// CIS AWS Foundations Benchmark v3 recommendation numbers.
    pub cis: &'static [&'static str],
    /// AWS Control Tower control IDs.
    pub control_tower: &'static [&'static str],
    /// The equivalent checks of other scanners.
    pub equivalents: Equivalents,
}

/// The checks of other scanners that find what a policy finds: their inline skips suppress it
/// when a config's `honor_suppressions` names the scanner.
#[derive(Clone, Copy, Debug, Default)]
pub struct Equivalents {
    /// checkov check IDs (`CKV_AWS_18`).
    pub checkov: &'static [&'static str],
    /// trivy's IDs, which tfsec's ignores use too: AVD IDs (`AVD-AWS-0089`) and long IDs
    /// (`aws-s3-enable-bucket-logging`).
    pub trivy: &'static [&'static str],
    /// KICS query IDs.
    pub kics: &'static [&'static str],
}

include!(concat!(env!("OUT_DIR"), "/catalog.rs"));

impl PolicyMeta {
    /// How to fix a finding, in the words of its format: for Terraform, the Terraform help
    /// line (when there is one) instead of the remediation's first paragraph.
    pub fn remediation_for(&self, terraform: bool) -> std::borrow::Cow<'static, str> {
        if !terraform || self.terraform_help.is_empty() {
            return std::borrow::Cow::Borrowed(self.remediation);
        }
        match self.remediation.split_once("\n\n") {
            Some((_, rest)) => format!("{}\n\n{rest}", self.terraform_help).into(),
            None => std::borrow::Cow::Borrowed(self.terraform_help),
        }
    }

    /// The public baselines this policy maps to, by name, with their control IDs (only those
    /// with some).
    pub fn mappings(&self) -> Vec<(&'static str, &'static [&'static str])> {
        mappings(self.fsbp, self.cis, self.control_tower)
    }
}

/// The public baselines by name with their control IDs, those with some (of a policy or an
/// objective).
pub(crate) fn mappings(
    fsbp: &'static [&'static str],
    cis: &'static [&'static str],
    control_tower: &'static [&'static str],
) -> Vec<(&'static str, &'static [&'static str])> {
    [
        ("AWS Foundational Security Best Practices", fsbp),
        ("CIS AWS Foundations Benchmark v3", cis),
        ("AWS Control Tower", control_tower),
    ]
    .into_iter()
    .filter(|(_, ids)| !ids.is_empty())
    .collect()
}

/// Policies registered at run time (Guard rules), sorted by ID. Rule files are read once, when
/// a run starts, and their policies live as long as the process, like the built-in catalog.
static CUSTOM: std::sync::RwLock<Vec<&'static PolicyMeta>> = std::sync::RwLock::new(Vec::new());

/// The prefix of every custom policy's ID.
pub(crate) const CUSTOM_PREFIX: &str = "GUARD";

/// Add a custom policy to the catalog; registering an ID again returns the first registration
/// (a rule file named by two configs is one set of policies).
pub fn register_custom(meta: PolicyMeta) -> &'static PolicyMeta {
    let mut custom = CUSTOM.write().unwrap_or_else(|e| e.into_inner());
    match custom.binary_search_by(|m| m.id.cmp(meta.id)) {
        Ok(i) => custom[i],
        Err(i) => {
            let meta: &'static PolicyMeta = Box::leak(Box::new(meta));
            custom.insert(i, meta);
            meta
        }
    }
}

/// Every policy: the built-in catalog, then the custom policies, each sorted by ID.
pub fn catalog() -> Vec<&'static PolicyMeta> {
    let custom = CUSTOM.read().unwrap_or_else(|e| e.into_inner());
    CATALOG.iter().chain(custom.iter().copied()).collect()
}

/// A policy's position in [`catalog`].
pub fn catalog_index(id: &str) -> Option<usize> {
    match CATALOG.binary_search_by(|m| m.id.cmp(id)) {
        Ok(i) => Some(i),
        Err(_) => {
            let custom = CUSTOM.read().unwrap_or_else(|e| e.into_inner());
            custom
                .binary_search_by(|m| m.id.cmp(id))
                .ok()
                .map(|i| CATALOG.len() + i)
        }
    }
}

/// The metadata of a policy or engine diagnostic by ID.
pub fn meta(id: &str) -> Option<&'static PolicyMeta> {
    // The catalog is sorted by ID (build.rs): exact IDs, the common case on hot paths, are a
    // binary search; other spellings fall back to a case-insensitive scan.
    if let Ok(i) = CATALOG.binary_search_by(|m| short_cmp(m.id, id)) {
        return Some(&CATALOG[i]);
    }
    let custom = CUSTOM.read().unwrap_or_else(|e| e.into_inner());
    if let Ok(i) = custom.binary_search_by(|m| short_cmp(m.id, id)) {
        return Some(custom[i]);
    }
    CATALOG
        .iter()
        .chain(custom.iter().copied())
        .find(|m| m.id.eq_ignore_ascii_case(id))
}

/// `a.cmp(b)` for short strings such as IDs, compared in line: a call to `memcmp` per step of
/// the search was most of the cost of a lookup done for every finding.
fn short_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    a.bytes().cmp(b.bytes())
}

/// Whether a pattern names a policy: an ID, an ID prefix (`LOG`) or a family (`logging`).
pub fn pattern_is_known(pattern: &str) -> bool {
    !pattern.is_empty()
        && (Family::parse(pattern).is_some()
            || catalog().iter().any(|m| {
                m.id.to_ascii_uppercase()
                    .starts_with(&pattern.to_ascii_uppercase())
            }))
}

/// Whether a pattern may name a custom policy that is not loaded yet (a config is read before
/// the rule files it names).
pub fn pattern_is_custom(pattern: &str) -> bool {
    pattern
        .get(..CUSTOM_PREFIX.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(CUSTOM_PREFIX))
}

/// Whether a pattern (ID, ID prefix or family) selects a policy.
pub fn pattern_matches(pattern: &str, meta: &PolicyMeta) -> bool {
    id_or_family_matches(pattern, meta.id, meta.family)
}

/// Whether a pattern is `id`, a prefix of it (case-insensitive), or `family` (of a policy or
/// an objective).
pub(crate) fn id_or_family_matches(pattern: &str, id: &str, family: Family) -> bool {
    Family::parse(pattern) == Some(family)
        || (!pattern.is_empty()
            && id
                .to_ascii_uppercase()
                .starts_with(&pattern.to_ascii_uppercase()))
}

/// A check over one template.
pub trait Policy: Sync + Send {
    /// The ID under which the policy's metadata is catalogued.
    fn id(&self) -> &'static str;

    /// Inspect the template and report through `cx`.
    fn check(&self, cx: &mut Context<'_, '_>);

    /// The policy's catalog entry.
    fn meta(&self) -> &'static PolicyMeta {
        meta(self.id()).expect("every policy has a catalog entry (tested)")
    }
}

/// Settings that change what policies report.
#[derive(Clone, Debug, Default)]
pub struct PolicySettings {
    /// Regions infrastructure may run in; `None` turns the region family off.
    pub allowed_regions: Option<Vec<String>>,
}

impl PolicySettings {
    /// Whether `region` is allowed (every Region is when no list is set).
    pub(crate) fn region_allowed(&self, region: &str) -> bool {
        self.allowed_regions
            .as_ref()
            .is_none_or(|list| list.iter().any(|r| r.eq_ignore_ascii_case(region)))
    }
}

/// A finding as a policy reports it, before positions and excerpts are attached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawFinding {
    /// The policy's ID.
    pub policy: &'static str,
    /// The offending text.
    pub span: Span,
    /// What is wrong (a boxed `str`, as `resource`: a template's 210,000 findings are held
    /// together until its check ends, and the capacity word of a `String` is 8 bytes of each).
    pub message: Box<str>,
    /// The resource concerned, if any.
    pub resource: Option<Box<str>>,
    /// A mechanical fix, when the finding has one (boxed: few findings have one, and a fix
    /// is the larger part of a finding's size).
    pub fix: Option<Box<Fix>>,
    /// Other places of the same document that explain the finding (the role a grant lands
    /// on, the trail a bucket receives logs from), with what each is. This and `elsewhere`
    /// are `ThinVec`s (one word when empty, as most are): a template's 210,000 findings are
    /// held together until its check ends.
    pub related: crate::parse::ThinVec<(Span, String)>,
    /// Related places in other files of the configuration, positioned by the engine once it
    /// knows which file each lands in (`path` is then the file's name in its directory).
    pub elsewhere: crate::parse::ThinVec<crate::finding::Related>,
}

/// A fix a policy can offer, said in terms of the tree: the engine writes it in the file's own
/// syntax (YAML, JSON or HCL), keeping everything else (comments, formatting) as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fix {
    /// Replace the scalar at `span` (the value of property `key`) with `literal`.
    Set {
        /// The value to replace.
        span: Span,
        /// The property's name, for the fix's title.
        key: String,
        /// The new value, as written in every syntax (`true`).
        literal: &'static str,
    },
    /// Add property `key` with `literal` to the mapping whose first key is at `first_key`.
    Add {
        /// The first key of the mapping (the new entry goes before it, on its own line).
        first_key: Span,
        /// The property to add.
        key: String,
        /// Its value, as written in every syntax (`true`).
        literal: &'static str,
    },
}

impl Fix {
    /// The bytes the fix is anchored at.
    pub fn span(&self) -> Span {
        match self {
            Fix::Set { span, .. } => *span,
            Fix::Add { first_key, .. } => *first_key,
        }
    }

    /// The fix for the same text found `base` bytes later in a combined document, limited to
    /// a file of `len` bytes (`None` when it lands outside it).
    pub fn moved_back(mut self, base: u32, len: u32) -> Option<Fix> {
        let span = match &mut self {
            Fix::Set { span, .. } => span,
            Fix::Add { first_key, .. } => first_key,
        };
        if span.start < base || span.end > base + len {
            return None;
        }
        *span = Span {
            start: span.start - base,
            end: span.end - base,
        };
        Some(self)
    }

    /// What applying the fix does, for people (`Set IsMultiRegionTrail to true`).
    pub fn title(&self) -> String {
        match self {
            Fix::Set { key, literal, .. } | Fix::Add { key, literal, .. } => {
                format!("Set `{key}` to {literal}")
            }
        }
    }
}

/// What a policy sees while it runs: the template, the settings, and shared analyses computed
/// at most once per template (the IAM documents every IAM policy reads).
pub struct Context<'t, 'a> {
    /// The template being checked.
    pub template: &'t Template<'a>,
    /// The settings of the run.
    pub settings: &'t PolicySettings,
    documents: &'t OnceCell<Vec<iam::PolicyDocument<'a>>>,
    statements: &'t OnceCell<Vec<Vec<iam::Statement<'t>>>>,
    authored: &'t OnceCell<Vec<Vec<crate::support::authored::Authored<'a>>>>,
    attachments: &'t OnceCell<iam::attach::Attachments>,
    log_buckets: &'t OnceCell<support::buckets::LogBuckets>,
    current: &'static str,
    out: Vec<RawFinding>,
    /// Where this policy's own findings start in `out` (see [`Context::continuing`]).
    own_from: usize,
}

/// What the policies compute once per template and share: borrowed by each policy's
/// [`Context`] (the engine makes one per template).
#[derive(Default)]
pub struct Shared<'a> {
    /// The IAM documents of the template.
    pub(crate) documents: OnceCell<Vec<iam::PolicyDocument<'a>>>,
    /// The strings authored in each resource.
    pub(crate) authored: OnceCell<Vec<Vec<crate::support::authored::Authored<'a>>>>,
    /// Which principals each IAM document applies to.
    pub(crate) attachments: OnceCell<iam::attach::Attachments>,
    /// The buckets detective controls log to.
    pub(crate) log_buckets: OnceCell<support::buckets::LogBuckets>,
}

impl<'t, 'a> Context<'t, 'a> {
    /// A context for policy `current` over `template`, sharing `shared` and `statements` with the other policies of the same template.
    pub fn new(
        template: &'t Template<'a>,
        settings: &'t PolicySettings,
        shared: &'t Shared<'a>,
        statements: &'t OnceCell<Vec<Vec<iam::Statement<'t>>>>,
        current: &'static str,
    ) -> Context<'t, 'a> {
        Context {
            template,
            settings,
            documents: &shared.documents,
            statements,
            authored: &shared.authored,
            attachments: &shared.attachments,
            log_buckets: &shared.log_buckets,
            current,
            out: Vec::new(),
            own_from: 0,
        }
    }

    /// The strings written in a resource (intrinsics evaluated; in Terraform plans only the
    /// configured attributes), collected once per template.
    pub(crate) fn authored(
        &self,
        resource: &Resource<'a>,
    ) -> &'t [crate::support::authored::Authored<'a>] {
        let template = self.template;
        let all = self
            .authored
            .get_or_init(|| crate::support::authored::all_authored(template));
        all.get(template.index_of(resource))
            .map_or(&[][..], Vec::as_slice)
    }

    /// Which buckets receive CloudTrail or Config logs, worked out once per template.
    pub(crate) fn log_buckets(&self) -> &'t support::buckets::LogBuckets {
        let template = self.template;
        self.log_buckets
            .get_or_init(|| support::buckets::LogBuckets::of(template))
    }

    /// Report after `earlier` (the findings of the policies run before on the same template),
    /// into the same list: a file's findings then grow one list, where a list per policy,
    /// copied into the file's, held them twice or more at the peak (210,000 findings of a
    /// 51 MB template: 53 MiB of lists for 27 MiB of findings).
    pub fn continuing(mut self, earlier: Vec<RawFinding>) -> Context<'t, 'a> {
        self.own_from = earlier.len();
        self.out = earlier;
        self
    }

    /// What the policy reported, after the findings it was given to continue.
    pub fn into_findings(self) -> Vec<RawFinding> {
        self.out
    }

    /// The statements of document `index` of [`Context::documents`], read once per template
    /// however many policies ask.
    pub fn statements(&self, index: usize) -> &'t [iam::Statement<'t>] {
        let template = self.template;
        let documents = self.documents();
        let all = self.statements.get_or_init(|| {
            documents
                .iter()
                .map(|d| iam::statements(template, d.root()))
                .collect()
        });
        &all[index]
    }

    /// Which principals each of [`Context::documents`] applies to, worked out once.
    pub(crate) fn attachments(&self) -> &'t iam::attach::Attachments {
        let template = self.template;
        let documents = self.documents();
        self.attachments
            .get_or_init(|| iam::attach::Attachments::of(template, documents))
    }

    /// Whether an unconditional Deny of `action` on every resource, in document `doc` or in
    /// any policy attached to every principal `doc` applies to, takes a grant of `action` in
    /// `doc` back (IAM: an explicit Deny in any applicable policy wins).
    pub(crate) fn denied_everywhere(&self, doc: usize, action: &str) -> bool {
        if self
            .statements(doc)
            .iter()
            .any(|d| d.denies_everywhere(action))
        {
            return true;
        }
        let attachments = self.attachments();
        let holders = attachments.holders(doc);
        !holders.is_empty()
            && holders.iter().all(|&h| {
                attachments.documents_of(h).iter().any(|&other| {
                    self.statements(other)
                        .iter()
                        .any(|d| d.denies_everywhere(action))
                })
            })
    }

    /// Whether every principal document `doc` applies to is a role that only the AWS service
    /// `service` itself may assume (`config.amazonaws.com` for `config:` actions): the
    /// service's own role, which it needs to do its work, not a grant to a person or to code.
    pub(crate) fn only_the_service_itself(&self, doc: usize, service: &str) -> bool {
        let attachments = self.attachments();
        let holders = attachments.holders(doc);
        let wanted = format!("{}.amazonaws.com", service.to_ascii_lowercase());
        !holders.is_empty()
            && holders.iter().all(|&h| {
                let trusts = attachments.trusts_of(h);
                !trusts.is_empty()
                    && trusts.iter().all(|&ti| {
                        self.statements(ti)
                            .iter()
                            .filter(|st| st.effect == Some(iam::Effect::Allow))
                            .all(|st| {
                                let p = st.principal();
                                !p.everyone
                                    && !p.aws.present
                                    && !p.federated.present
                                    && !p.service.unknown
                                    && !p.service.values.is_empty()
                                    && p.service
                                        .values
                                        .iter()
                                        .all(|(s, _)| s.eq_ignore_ascii_case(&wanted))
                            })
                    })
            })
    }

    /// The IAM policy documents of the template (identity, trust, resource policies, SCPs).
    pub fn documents(&self) -> &'t [iam::PolicyDocument<'a>] {
        self.documents.get_or_init(|| iam::documents(self.template))
    }

    /// Report at a span, concerning a resource, with related places of the same document
    /// (what they are: "the grant lands on role `Admin`").
    pub(crate) fn report_related(
        &mut self,
        resource: &Resource<'_>,
        span: Span,
        message: impl Into<String>,
        related: Vec<(Span, String)>,
    ) {
        self.out.push(RawFinding {
            elsewhere: Default::default(),
            policy: self.current,
            span,
            message: fitted(message.into()),
            resource: Some(Box::from(&*resource.id)),
            fix: None,
            related: related.into(),
        });
    }

    /// Add related places to the finding just reported (what each is).
    pub(crate) fn relate_last(&mut self, related: Vec<(Span, String)>) {
        if self.out.len() > self.own_from
            && let Some(last) = self.out.last_mut()
        {
            last.related.extend(related);
        }
    }

    /// Report at a span, concerning a resource.
    pub fn report(&mut self, resource: &Resource<'_>, span: Span, message: impl Into<String>) {
        self.report_related(resource, span, message, Vec::new());
    }

    /// Report at a span, concerning a resource, with a fix.
    pub(crate) fn report_fixable(
        &mut self,
        resource: &Resource<'_>,
        span: Span,
        message: impl Into<String>,
        fix: Option<Fix>,
    ) {
        self.out.push(RawFinding {
            elsewhere: Default::default(),
            policy: self.current,
            span,
            message: fitted(message.into()),
            resource: Some(Box::from(&*resource.id)),
            fix: fix.map(Box::new),
            related: Default::default(),
        });
    }

    /// Report something a resource lacks, at the resource's logical ID or address.
    pub(crate) fn report_missing(&mut self, resource: &Resource<'_>, message: impl Into<String>) {
        let span = resource.anchor;
        self.report(resource, span, message);
    }

    /// Report at a span that belongs to no resource (a provider block, a parameter).
    pub(crate) fn report_at(&mut self, span: Span, message: impl Into<String>) {
        self.out.push(RawFinding {
            elsewhere: Default::default(),
            policy: self.current,
            span,
            message: fitted(message.into()),
            resource: None,
            fix: None,
            related: Default::default(),
        });
    }
}

/// `message` in an allocation of its length. `format!` guesses a capacity and grows it by
/// doubling, and a finding's message lives until the report is written: a template's 210,000
/// messages of about 100 bytes held 38 MiB, 16 of them unused. Copied when much is unused: a
/// shrink in place (what mimalloc does down to half a block) would keep the whole block.
fn fitted(message: String) -> Box<str> {
    if message.capacity() - message.len() > message.len() / 8 {
        Box::from(message.as_str())
    } else {
        message.into_boxed_str()
    }
}

/// The policy reference (`docs/policies.md`), generated from the catalog so that it cannot
/// drift from what the binary ships (a test compares the two).
pub fn reference_markdown() -> String {
    use std::fmt::Write as _;
    let mut out = String::from(
        "# Policy reference\n\nGenerated from `policies/*.toml` by `tripline rules --format markdown`; \
         do not edit by hand (`cargo test` checks that it is current).\n\n",
    );
    for family in Family::ALL {
        let metas: Vec<&PolicyMeta> = CATALOG.iter().filter(|m| m.family == family).collect();
        if metas.is_empty() {
            continue;
        }
        let heading = match family {
            Family::Region => "Region restriction",
            Family::Root => "Root user and privileged access",
            Family::Logging => "Logging",
            Family::Detective => "Detective-control protection",
            Family::Custom => "Custom",
            Family::Engine => "Engine diagnostics",
        };
        let _ = writeln!(
            out,
            "## {heading}\n\n| ID | severity | title |\n|---|---|---|"
        );
        for m in &metas {
            let _ = writeln!(
                out,
                "| [{}](#{}) | {} | {} |",
                m.id,
                m.id.to_ascii_lowercase(),
                m.severity,
                m.title
            );
        }
        out.push('\n');
        for m in metas {
            let _ = writeln!(
                out,
                "### {}\n\n**{}** — {} severity; formats: {}.\n",
                m.id,
                m.title,
                m.severity,
                m.formats.join(", ")
            );
            if !m.resource_types.is_empty() {
                let _ = writeln!(
                    out,
                    "Resources: {}.\n",
                    m.resource_types
                        .iter()
                        .map(|r| format!("`{r}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            let _ = writeln!(out, "{}\n\n**Fix:** {}\n", m.rationale, m.remediation);
            if !m.example.is_empty() {
                let _ = writeln!(out, "{}\n", m.example);
            }
            let refs: Vec<String> = m
                .mappings()
                .iter()
                .map(|(n, ids)| format!("{n}: {}", ids.join(", ")))
                .collect();
            if !refs.is_empty() {
                let _ = writeln!(out, "References: {}.\n", refs.join("; "));
            }
        }
    }
    out
}
