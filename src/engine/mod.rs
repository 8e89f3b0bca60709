//! Checking one file, in named stages, each a module of its own:
//!
//! 1. `decode`: read the file and decode it to text (size, binary, UTF-8, UTF-16);
//! 2. `recognize`: parse it and say what it is;
//! 3. `front`: assemble the unit its policies are evaluated on, one front end per kind of
//!    input (a CloudFormation template; a Terraform configuration with its directory and local
//!    modules; a plan or state; a standalone policy document);
//! 4. `evaluate`: run the policies and gather coverage evidence;
//! 5. `place`: keep what lands in this file, position it, move plan findings to their `.tf`
//!    source;
//! 6. `suppressions`: apply inline metadata, comments and the config's rules;
//! 7. finish: sort, number repeated fingerprints, position the evidence.
//!
//! `Engine::check_text` runs stages 2 to 7 in that order. Everything that can go wrong with
//! one file (unreadable, not UTF-8, not well-formed, a bug in a policy) becomes a finding for
//! that file; it never stops the others from being checked.

mod configure;
mod decode;
mod evaluate;
mod front;
mod options;
mod place;
mod recognize;
mod suppressions;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::Override;
use crate::file_report::{FileReport, Outcome, Skip};
use crate::model::Format;
use crate::policy::{self, Policy, PolicySettings};
use crate::suppress::ConfigRule;
use crate::walk::Globs;

pub use front::plan_source::TerraformRoot;
pub(crate) use options::EngineError;
pub use options::{EngineOptions, Flags, Selection};

/// The configured policy engine. Cheap to share across threads.
pub struct Engine {
    /// Every built-in policy with its metadata and whether it reads IAM statements (see
    /// [`evaluate::reads_statements`]), worked out once, not per file.
    policies: Vec<(&'static dyn Policy, &'static policy::PolicyMeta, bool)>,
    settings: PolicySettings,
    selection: Selection,
    options: EngineOptions,
    /// Directory that config paths (overrides, suppress rules) are relative to.
    base_dir: Option<PathBuf>,
    overrides: Vec<(Globs, Override)>,
    /// `[[documents]]`: kinds of standalone policy documents by path.
    documents: Vec<(Globs, crate::model::DocumentKind, Vec<String>)>,
    rules: Vec<ConfigRule>,
    require_reason: bool,
    /// Other scanners whose inline skips are honoured (`honor_suppressions`).
    honor: Vec<crate::suppress_foreign::Scanner>,
    /// What the Terraform front end keeps across files (parsed files, directories' and
    /// modules' findings).
    terraform: front::terraform::State,
    /// Users' Guard rules, run after the built-in policies.
    guard: Option<Arc<crate::guard::RuleSet>>,
    /// What shaped this engine's reports (configs, flags, Guard rules, this build), for the
    /// result cache; `None`: reports are not cached.
    cache_key: Option<u64>,
}

/// For the check of a large template, plan or policy document (one parsed into an arena):
/// give back what it frees as it goes, and what its thread's heap holds unused when it ends
/// (when the guard is dropped). bench/scale's 51 MB template peaked at 250 MB instead of 305,
/// for about 6% more CPU. Not for Terraform's files: hcl-edit's parser allocates and frees at
/// so high a rate that giving memory back doubled the time of the `.tf` shapes of long
/// traversals (tf-traversals-18mb 1.5 -> 3.3 s).
fn gives_back(name: &str, text: &str) -> crate::allocator::ReturnFreed {
    let mut give_back = crate::allocator::ReturnFreed::default();
    if recognize::is_large_tree(name, text) {
        give_back.arm();
    }
    give_back
}

/// One file as the stages after decoding see it.
struct File<'t, 's> {
    /// The file name (what tells `*.tf` from `*.tf.json` and a plan from a template).
    name: &'t str,
    /// The decoded text.
    text: &'t str,
    /// Where its parse puts the tree's lists and unescaped strings (see `parse::Store`): the
    /// check's arena for a large template, freed at once when the check is done with the tree.
    store: crate::parse::Store<'t>,
    /// The file on disk, when it is one (not standard input).
    origin: Option<&'t Path>,
    /// The path as the config's globs see it.
    relative: &'s str,
    /// The policies that run on it, with their severities.
    selection: &'s Selection,
}

impl Engine {
    /// Check decoded text (the file `report` is for): recognize, assemble, evaluate, place,
    /// suppress, finish.
    fn check_text(
        &self,
        mut report: FileReport,
        name: &str,
        text: &str,
        origin: Option<&Path>,
    ) -> FileReport {
        // First, so dropped last.
        let _give_back = gives_back(name, text);
        let display = report.path.as_str();
        let relative = self.relative(display);
        let selection = self.selection_for(&relative);
        let arena = recognize::arena_for(name, text);
        let file = File {
            name,
            text,
            store: arena
                .as_ref()
                .map_or(crate::parse::Store::Heap, crate::parse::Store::Arena),
            origin,
            relative: &relative,
            selection: &selection,
        };
        let (root, format, mut raws) = match self.recognize(&file) {
            recognize::Recognized::Template(root, format, warnings) => (root, format, warnings),
            recognize::Recognized::NotTemplate => {
                report.outcome = Outcome::Skipped(Skip::NotTemplate);
                return report;
            }
            recognize::Recognized::OtherTool(what) => {
                report.outcome = Outcome::Skipped(Skip::OtherTool);
                report
                    .notes
                    .push(format!("{what}: not a template as written, not checked"));
                return report;
            }
            recognize::Recognized::Failed(raw) => {
                report.outcome = Outcome::Failed;
                report.findings = self.finish(&selection, display, text, vec![raw]);
                return report;
            }
        };
        report.outcome = Outcome::Checked(format);
        let unfollowed = self.modules_not_followed(format, &root, origin);
        front::say_not_on_disk(
            (&mut report.notes, &mut report.unfollowed_modules),
            text,
            unfollowed,
        );
        raws.extend(front::structure(format, &root, text));
        if self.options.parse_only {
            report.findings = self.finish(&selection, display, text, raws);
            return report;
        }
        let comments = suppressions::comments(&file, format, &root, &self.honor);
        let mut unit = self.assemble(&file, format, root);
        report.depends = unit.depends;
        report.notes.append(&mut unit.notes);
        front::say_not_composed(
            (&mut report.notes, &mut report.unfollowed_modules),
            text,
            std::mem::take(&mut unit.stopped),
        );
        let found = std::mem::take(&mut unit.found);
        let found_evidence = std::mem::take(&mut unit.found_evidence);
        let evaluated = unit.evaluated.take();
        let template = unit.template(format, name, text, evaluated.is_some());
        let mut evidence = self.evaluate_unit(&file, &template, evaluated, found, &mut raws);
        evidence.extend(found_evidence);
        evidence.extend(self.document_reach(format, file.relative, &template));
        if matches!(format, Format::CloudFormation | Format::Sam) {
            front::cloudformation::name_constructs(&template, &mut raws);
        }
        let at = front::modules::ModuleText {
            text: unit.text.as_deref().unwrap_or(text),
            dir: origin.and_then(Path::parent),
            template: &template,
            indexes: Default::default(),
        };
        self.place_module_findings(
            &unit.modules,
            unit.modules_from,
            at,
            &mut raws,
            &mut evidence,
        );
        let own_end = text.len() as u32;
        let evidence = place::keep_own(format, own_end, &mut raws, evidence);
        let mut placed = None;
        if format == Format::TerraformPlan {
            (report.depends, placed) = self.place_at_source(display, origin, &template, &mut raws);
        }
        let suppressed = self.suppress(
            &file,
            &template,
            own_end,
            comments,
            &mut raws,
            placed.as_mut(),
        );
        report.suppressed = suppressed.count;
        report.used_rules = suppressed.used_rules;
        report.seen_rules = suppressed.seen_rules;
        // The tree and the model are done with: findings are positioned from the text alone,
        // so a template of many findings does not hold both at once.
        drop(template);
        drop(unit);
        drop(arena);
        report.findings = self.positioned(&selection, display, text, raws);
        if let Some(placed) = placed {
            report
                .findings
                .extend(self.place_moved(&selection, display, text, placed));
        }
        place::settle(&mut report.findings);
        report.evidence = place::positioned_evidence(text, evidence);
        report
    }
}
