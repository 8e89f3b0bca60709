//! The normalized model policies read: a template's resources, whatever format they came from.
//!
//! CloudFormation resources keep their logical ID, type and `Properties`; Terraform resources
//! (from plan or state JSON or from `*.tf.json` configuration) keep their address, type and
//! attribute values. Both stay references into the parsed tree, so a policy can point at the
//! exact node that is wrong, or at the resource when a property is missing.

#![deny(missing_docs)]

mod cfn;
pub mod cfn_foreach;
mod detect;
mod eval;
mod ids;
pub mod lookup;
pub mod plan_source;
pub mod refs;
mod terraform;
pub mod terraform_dir;
pub mod terraform_modules;
mod terraform_values;
pub mod walk;

use tripline_syntax::{parse, source};

use std::borrow::Cow;
use std::collections::HashMap;

pub use detect::{
    DocumentKind, Format, KindBasis, detect, document_kind, is_tf_json_name, looks_like_template,
};
pub use eval::{
    Resolved, Segment, UNKNOWN_MARK, Val, has_unknown, intrinsic, sub_arguments, terraform_segments,
};
pub use terraform::{inline_policy_documents, objects as block_objects};
pub use terraform_values::fold_expressions;

use crate::parse::{Node, Text};
use crate::source::Span;

/// One resource of a template.
#[derive(Debug)]
pub struct Resource<'a> {
    /// CloudFormation logical ID, or Terraform address (`module.x.aws_s3_bucket.logs[0]`).
    pub id: Text<'a>,
    /// `AWS::S3::Bucket` or `aws_s3_bucket`.
    pub rtype: &'a str,
    /// The whole resource definition.
    pub node: &'a Node<'a>,
    /// Where to point when something is missing from the resource: its logical ID or address.
    pub anchor: Span,
    /// CloudFormation `Properties` / Terraform attribute values.
    pub properties: Option<&'a Node<'a>>,
    /// What few resources have (a plan's unknown attributes, a Terraform provider, SAM
    /// `Globals`): boxed, absent for most, so that a template's 280,000 resources take 64
    /// bytes each instead of 88. Read with [`Resource::unknown`], [`Resource::provider`] and
    /// [`Resource::defaults`].
    pub more: Option<Box<More<'a>>>,
    /// Whether it is a CloudFormation resource (whose `Metadata`, `DeletionPolicy` and
    /// `Condition` are read from its node when asked: a template of 280,000 resources kept
    /// them in 9 MB that few policies read).
    pub(crate) cloudformation: bool,
}

/// The parts of a [`Resource`] that few resources have.
#[derive(Clone, Debug, Default)]
pub struct More<'a> {
    /// Terraform plan `after_unknown`: which attributes are only known after apply.
    pub unknown: Option<&'a Node<'a>>,
    /// Terraform provider configuration key (`aws`, `aws.west`), where the format says.
    pub provider: Option<Text<'a>>,
    /// SAM `Globals` for the resource's type (`Globals.Api` for `AWS::Serverless::Api`): the
    /// values of properties the resource does not set itself.
    pub defaults: Option<&'a Node<'a>>,
}

impl<'a> More<'a> {
    /// Boxed, or nothing when it holds nothing.
    pub fn boxed(self) -> Option<Box<More<'a>>> {
        (self.unknown.is_some() || self.provider.is_some() || self.defaults.is_some())
            .then(|| Box::new(self))
    }
}

impl<'a> Resource<'a> {
    /// Terraform plan `after_unknown`: which attributes are only known after apply.
    pub fn unknown(&self) -> Option<&'a Node<'a>> {
        self.more.as_ref().and_then(|m| m.unknown)
    }

    /// Terraform provider configuration key (`aws`, `aws.west`), where the format says.
    pub fn provider(&self) -> Option<&str> {
        self.more.as_ref().and_then(|m| m.provider.as_deref())
    }

    /// SAM `Globals` for the resource's type: the values of properties the resource does not
    /// set itself.
    pub fn defaults(&self) -> Option<&'a Node<'a>> {
        self.more.as_ref().and_then(|m| m.defaults)
    }

    /// CloudFormation resource `Metadata`.
    pub fn metadata(&self) -> Option<&'a Node<'a>> {
        self.cloudformation
            .then(|| self.node.get("Metadata"))
            .flatten()
    }

    /// CloudFormation `DeletionPolicy`.
    pub fn deletion_policy(&self) -> Option<&'a Node<'a>> {
        self.cloudformation
            .then(|| self.node.get("DeletionPolicy"))
            .flatten()
    }

    /// CloudFormation `Condition` name.
    pub fn condition(&self) -> Option<&'a str> {
        self.cloudformation
            .then(|| self.node.get("Condition").and_then(Node::as_str))
            .flatten()
    }

    /// A property (attribute) by name; `None` when absent or null.
    pub fn prop(&self, key: &str) -> Option<&'a Node<'a>> {
        let not_null = |n: &&Node<'_>| !matches!(n.value, crate::parse::Value::Null);
        self.properties
            .and_then(|p| p.get(key))
            .filter(not_null)
            .or_else(|| self.defaults().and_then(|d| d.get(key)).filter(not_null))
    }

    /// Whether a Terraform attribute is only known after apply (never true for CloudFormation).
    pub fn is_unknown(&self, key: &str) -> bool {
        match self.unknown().and_then(|u| u.get(key)) {
            None => false,
            Some(n) => match &n.value {
                crate::parse::Value::Bool(b) => *b,
                crate::parse::Value::Seq(items) => !items.is_empty(),
                crate::parse::Value::Map(entries) => !entries.is_empty(),
                _ => false,
            },
        }
    }

    /// A property that is absent (and, for Terraform plans, not merely unknown until apply).
    pub fn lacks(&self, key: &str) -> bool {
        self.prop(key).is_none() && !self.is_unknown(key)
    }
}

/// A CloudFormation parameter or Terraform variable.
#[derive(Debug)]
pub struct Parameter<'a> {
    /// The parameter's (or Terraform variable's) name.
    pub name: &'a str,
    /// Its declaration.
    pub node: &'a Node<'a>,
    /// Its `Default` (Terraform: `default`, overridden by `*.tfvars`).
    pub default: Option<&'a Node<'a>>,
}

/// A Terraform `provider "aws"` configuration.
#[derive(Debug)]
pub struct Provider<'a> {
    /// `aws` or `aws.<alias>`.
    pub key: Cow<'a, str>,
    /// The provider block.
    pub node: &'a Node<'a>,
    /// The `region` value node, when set.
    pub region: Option<&'a Node<'a>>,
}

/// A loaded template: its format and normalized contents.
#[derive(Debug)]
pub struct Template<'a> {
    /// The format the template was read as.
    pub format: Format,
    /// The whole document.
    pub root: &'a Node<'a>,
    /// Resources, in document order.
    pub resources: Vec<Resource<'a>>,
    /// CloudFormation parameters and Terraform variables.
    pub parameters: Vec<Parameter<'a>>,
    /// Terraform `locals` by name.
    pub locals: Vec<(&'a str, &'a Node<'a>)>,
    /// Terraform provider blocks (their Regions and assumed roles).
    pub providers: Vec<Provider<'a>>,
    /// Template-level `Metadata` (CloudFormation).
    pub metadata: Option<&'a Node<'a>>,
    by_id: ids::Ids,
    /// Terraform plans: the `configuration` section's resources by their module-relative
    /// address (`aws_s3_bucket.logs`), where expressions and configured keys live.
    plan_config: HashMap<&'a str, Vec<&'a Node<'a>>>,
    /// The text the tree was parsed from, when known: embedded documents (a policy written as
    /// an HCL expression inside a string) are given positions in it.
    pub source: Option<&'a str>,
    /// Who refers to whom, built on first use by the policies that ask.
    references: std::cell::OnceCell<refs::ReferenceIndex>,
    /// The resources of each type (indexes in order), built on first use: policies ask for
    /// the resources of a type once per resource of another, which was quadratic as a scan
    /// (10,000 trails' buckets each asking for an account-level public access block).
    by_type: std::cell::OnceCell<HashMap<String, Vec<usize>>>,
}

impl<'a> Template<'a> {
    /// Build the model of a parsed document of a known format.
    pub fn new(format: Format, root: &'a Node<'a>) -> Template<'a> {
        let mut t = Template {
            format,
            root,
            resources: Vec::new(),
            parameters: Vec::new(),
            locals: Vec::new(),
            providers: Vec::new(),
            metadata: None,
            by_id: ids::Ids::default(),
            plan_config: HashMap::new(),
            source: None,
            references: std::cell::OnceCell::new(),
            by_type: std::cell::OnceCell::new(),
        };
        match format {
            Format::CloudFormation | Format::Sam => cfn::load(&mut t),
            Format::TerraformPlan | Format::TerraformState => terraform::load_plan(&mut t),
            Format::TerraformConfig => terraform::load_config(&mut t),
            Format::PolicyDocument { .. } => load_document(&mut t),
        }
        if format == Format::TerraformPlan {
            t.plan_config = plan_configuration(root);
        }
        if format == Format::TerraformConfig {
            // `count = 0` or `for_each = {}` in every case: the resource is never created.
            let never: Vec<bool> = t
                .resources
                .iter()
                .map(|r| terraform::never_created(&t, r))
                .collect();
            if never.contains(&true) {
                let mut at = 0;
                t.resources.retain(|_| {
                    at += 1;
                    !never[at - 1]
                });
            }
        }
        // The model lives as long as the template's check: no spare room (a doubling Vec of
        // 200,000 resources keeps up to as many again).
        t.resources.shrink_to_fit();
        t.by_id = ids::Ids::of(&t.resources);
        if format == Format::TerraformConfig {
            // The instances of a resource expanded by its `for_each` or `count`
            // (`aws_iam_role.r["a"]`): a reference to the resource (`aws_iam_role.r`) names
            // them, the first standing for all.
            for (i, r) in t.resources.iter().enumerate() {
                if let Some((base, _)) = r.id.split_once('[') {
                    t.by_id.add_name(base, i);
                }
            }
        }
        t
    }

    /// Name a standalone policy document's pseudo-resource (by its file name), for messages.
    pub fn name_document(&mut self, name: &str) {
        if let Some(r) = self.resources.first_mut()
            && r.rtype == DOCUMENT_TYPE
        {
            r.id = Text::owned(name.to_string());
            self.by_id = ids::Ids::of(&self.resources);
        }
    }

    /// The kind of a standalone policy document (`None` for templates).
    pub fn document_kind(&self) -> Option<DocumentKind> {
        match self.format {
            Format::PolicyDocument { kind, .. } => Some(kind),
            _ => None,
        }
    }

    /// The index of references between this template's resources.
    pub fn references(&self) -> &refs::ReferenceIndex {
        self.references
            .get_or_init(|| refs::ReferenceIndex::build(self))
    }

    /// A plan resource's entries in the plan's `configuration` (empty for other formats). The
    /// configuration names resources relative to their module, so `module.m.aws_s3_bucket.x[0]`
    /// is found under `aws_s3_bucket.x` (and under `m.aws_s3_bucket.x`, and so on).
    pub fn plan_config(&self, r: &Resource<'_>) -> Vec<&'a Node<'a>> {
        if self.plan_config.is_empty() {
            return Vec::new();
        }
        let address = r.id.split('[').next().unwrap_or(&r.id);
        let mut out = Vec::new();
        let mut rest = address;
        loop {
            out.extend(self.plan_config.get(rest).into_iter().flatten());
            match rest.split_once('.') {
                Some((_, tail)) => rest = tail,
                None => break,
            }
        }
        out
    }

    /// The position of `r` in `resources` (`r` must be one of them).
    pub fn index_of(&self, r: &Resource<'a>) -> usize {
        let size = std::mem::size_of::<Resource<'a>>().max(1);
        let offset = (r as *const Resource<'a>)
            .addr()
            .wrapping_sub(self.resources.as_ptr().addr())
            / size;
        if self
            .resources
            .get(offset)
            .is_some_and(|x| std::ptr::eq(x, r))
        {
            return offset;
        }
        self.resources
            .iter()
            .position(|x| std::ptr::eq(x, r))
            .unwrap_or(usize::MAX)
    }

    /// Whether the template is CloudFormation (YAML or JSON, SAM included).
    pub fn is_cloudformation(&self) -> bool {
        matches!(self.format, Format::CloudFormation | Format::Sam)
    }

    /// Whether the template is Terraform (configuration, plan or state).
    pub fn is_terraform(&self) -> bool {
        !self.is_cloudformation()
    }

    /// The resource with this logical ID or address.
    pub fn resource(&self, id: &str) -> Option<&Resource<'a>> {
        self.by_id
            .get(&self.resources, id)
            .map(|i| &self.resources[i])
    }

    /// Resources of any of the given types.
    pub fn resources_of<'s>(
        &'s self,
        types: &'s [&'s str],
    ) -> impl Iterator<Item = &'s Resource<'a>> + 's {
        let by_type = self.by_type.get_or_init(|| {
            // Owned keys: a borrowed one would make the template invariant in its lifetime.
            let mut map: HashMap<String, Vec<usize>> = HashMap::new();
            for (i, r) in self.resources.iter().enumerate() {
                match map.get_mut(r.rtype) {
                    Some(at) => at.push(i),
                    None => {
                        map.insert(r.rtype.to_string(), vec![i]);
                    }
                }
            }
            map
        });
        let mut at: Vec<usize> = types
            .iter()
            .filter_map(|t| by_type.get(*t))
            .flatten()
            .copied()
            .collect();
        // In document order, and once each, whatever order (or repeats) `types` has.
        if types.len() > 1 {
            at.sort_unstable();
            at.dedup();
        }
        at.into_iter().map(move |i| &self.resources[i])
    }

    /// The parameter or variable with this name.
    pub fn parameter(&self, name: &str) -> Option<&Parameter<'a>> {
        self.parameters.iter().find(|p| p.name == name)
    }

    /// A Terraform local value by name.
    pub fn local(&self, name: &str) -> Option<&'a Node<'a>> {
        self.locals
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    }
}

/// The pseudo-resource type of a standalone IAM policy document.
pub const DOCUMENT_TYPE: &str = "PolicyDocument";

/// A standalone policy document is one pseudo-resource of type [`DOCUMENT_TYPE`], named
/// `document` until [`Template::name_document`] gives it the file's name.
fn load_document<'a>(t: &mut Template<'a>) {
    let root = t.root;
    let anchor = root
        .entries()
        .iter()
        .find(|e| e.key == "Statement")
        .map_or(root.span, |e| e.key_span);
    t.resources.push(Resource {
        id: Text::borrowed("document"),
        rtype: DOCUMENT_TYPE,
        node: root,
        anchor,
        properties: Some(root),
        more: None,
        cloudformation: false,
    });
}

/// The resources of a plan's `configuration`, in every module, by module-relative address.
fn plan_configuration<'a>(root: &'a Node<'a>) -> HashMap<&'a str, Vec<&'a Node<'a>>> {
    let mut out: HashMap<&'a str, Vec<&'a Node<'a>>> = HashMap::new();
    let mut modules = vec![root.at(&["configuration", "root_module"])];
    while let Some(Some(m)) = modules.pop() {
        for res in m.get("resources").map_or(&[][..], Node::items) {
            if let Some(a) = res.get("address").and_then(Node::as_str) {
                out.entry(a).or_default().push(res);
            }
        }
        for call in m.get("module_calls").map_or(&[][..], Node::entries) {
            modules.push(call.value.get("module"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_stay_small() {
        // The model holds one per resource for a template's whole check: bench/scale's 51 MB
        // template has 280,000 (it was 136 bytes, 38 MB, with `Cow`s and the CloudFormation
        // attributes kept, 88 with a plan's, Terraform's and SAM's parts inline).
        assert_eq!(std::mem::size_of::<Resource<'_>>(), 64);
    }

    #[test]
    fn cloudformation_attributes_are_read_from_the_resource_and_only_there() {
        let text = "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Condition: Prod\n    \
                    DeletionPolicy: Retain\n    Metadata: {checkov: {}}\n  C:\n    Type: \
                    AWS::SQS::Queue\n";
        let root = parse::yaml::parse(text, &parse::Limits::default())
            .unwrap()
            .root;
        let t = Template::new(Format::CloudFormation, &root);
        let b = t.resource("B").unwrap();
        assert_eq!(b.condition(), Some("Prod"));
        assert_eq!(b.deletion_policy().and_then(Node::as_str), Some("Retain"));
        assert!(b.metadata().is_some_and(|m| m.get("checkov").is_some()));
        let c = t.resource("C").unwrap();
        assert_eq!(
            (c.condition(), c.deletion_policy(), c.metadata()),
            (None, None, None)
        );
        // A Terraform attribute that happens to be spelled the same is not one of them.
        let tf = "{\"resource\": {\"aws_s3_bucket\": {\"b\": {\"Condition\": \"x\"}}}}";
        let root = parse::json::parse(tf, &parse::Limits::default())
            .unwrap()
            .root;
        let t = Template::new(Format::TerraformConfig, &root);
        assert_eq!(t.resources[0].condition(), None);
    }
}
