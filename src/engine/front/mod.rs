//! The assembly stage: one front end per kind of input turns a recognized file into the unit
//! its policies are evaluated on, and all of them hand the later stages the same `Unit`.
//!
//! - `cloudformation`: a CloudFormation or SAM template, one file a unit;
//! - `terraform`: a Terraform configuration, read with its directory and its local modules;
//! - `plan`: a Terraform plan or state, one file a unit, its findings later placed at their
//!   `.tf` source (`plan_source`);
//! - `document`: a standalone IAM policy document, its kind possibly set by the config.

pub(super) mod cloudformation;
pub(super) mod document;
pub(super) mod modules;
mod nested_stacks;
pub(super) mod plan;
pub(crate) mod plan_source;
mod stacksets;
pub(super) mod terraform;

pub(super) use terraform::{say_not_composed, say_not_on_disk};

use crate::file_report::Depends;
use crate::model::{Format, Template};
use crate::parse::Node;
use crate::policy::RawFinding;
use crate::policy::coverage::RawEvidence;

use super::{Engine, File};

/// Directories whose findings are kept at most (the walk checks a directory's files together;
/// a Terraform directory's findings and a module's findings with its defaults are both kept).
pub(super) const DIRECTORY_CACHE_MAX: usize = 1024;

/// Findings by policy, resource and message.
pub(super) type KnownFindings =
    std::collections::HashSet<(&'static str, Option<Box<str>>, Box<str>)>;

/// What a file is checked as: its own tree, or the tree of the configuration it belongs to.
pub(super) struct Unit<'a> {
    /// The tree the policies read.
    pub root: Node<'a>,
    /// The text `root`'s spans index into when it is more than the file (the file's text, then
    /// the other files of its configuration); `None`: the file's own text.
    pub text: Option<String>,
    /// Findings and evidence already evaluated for the file as part of a larger unit (its
    /// directory, checked once for all its files), in the file's own offsets.
    pub evaluated: Option<Evaluated>,
    /// What the front end found assembling the unit (loops it could not expand, the inline
    /// templates of StackSets), with the coverage evidence of those templates.
    pub found: Vec<RawFinding>,
    pub found_evidence: Vec<RawEvidence>,
    /// What the file's report depends on besides its bytes (for the result cache).
    pub depends: Depends,
    /// What the front end says of how it assembled the unit (`--verbose`).
    pub notes: Vec<String>,
    /// The module instances composed into a Terraform configuration: what they report past
    /// `modules_from` (the end of the configuration's own text) is placed at their calls.
    pub modules: Vec<crate::model::terraform_modules::ModuleInstance>,
    pub modules_from: u32,
    /// Module calls of the file that composing left out (their labels in the file's
    /// own text).
    pub stopped: Vec<crate::model::terraform_modules::Stopped>,
}

/// Raw findings and coverage evidence of an evaluation.
pub(super) struct Evaluated {
    pub raws: Vec<RawFinding>,
    pub evidence: Vec<RawEvidence>,
}

impl Unit<'_> {
    /// The template the policies evaluate. A unit `evaluated_elsewhere` is read only for its
    /// resources (suppressions, stale-rule checks), so it needs neither source nor name.
    pub(super) fn template<'u>(
        &'u self,
        format: Format,
        name: &str,
        text: &'u str,
        evaluated_elsewhere: bool,
    ) -> Template<'u> {
        let mut template = Template::new(format, &self.root);
        if !evaluated_elsewhere {
            template.name_document(name);
            template.source = Some(self.text.as_deref().unwrap_or(text));
        }
        template
    }
}

/// Findings about the file's structure that its format's loader would reject (`text`: the
/// file's).
pub(super) fn structure(format: Format, root: &Node<'_>, text: &str) -> Vec<RawFinding> {
    match format {
        Format::CloudFormation | Format::Sam => cloudformation::structure(root),
        Format::TerraformConfig => terraform::unreadable_policies(root, text),
        _ => Vec::new(),
    }
}

impl Engine {
    /// The module calls of the file (at `origin`, when on disk) that cannot be followed: for a
    /// Terraform configuration, those whose modules are not on disk (name, source, where the
    /// name is).
    pub(super) fn modules_not_followed(
        &self,
        format: Format,
        root: &Node<'_>,
        origin: Option<&std::path::Path>,
    ) -> Vec<(String, String, crate::source::Span)> {
        if format != Format::TerraformConfig {
            return Vec::new();
        }
        match origin.and_then(std::path::Path::parent) {
            Some(dir) => terraform::not_on_disk(root, &self.terraform.installed(dir)),
            None => terraform::not_on_disk(root, &crate::terraform_dir::Installed::default()),
        }
    }

    /// The unit `file` (recognized as `format`, parsed as `root`) is evaluated as.
    pub(super) fn assemble<'a>(
        &self,
        file: &File<'_, '_>,
        format: Format,
        root: Node<'a>,
    ) -> Unit<'a> {
        match format {
            Format::TerraformConfig => self.assemble_terraform(file, root),
            Format::CloudFormation | Format::Sam => self.assemble_cloudformation(file, root),
            // CloudFormation, SAM, plans, states and documents: the file is the unit.
            _ => Unit {
                root,
                text: None,
                evaluated: None,
                found: Vec::new(),
                found_evidence: Vec::new(),
                depends: Depends::File,
                notes: Vec::new(),
                modules: Vec::new(),
                modules_from: 0,
                stopped: Vec::new(),
            },
        }
    }
}
