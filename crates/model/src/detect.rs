//! Recognizing what a file is from its content.
//!
//! A tree of files holds far more YAML and JSON than templates (CI workflows, Kubernetes
//! manifests, package.json), so detection has two steps: a byte search that rejects most other
//! files without parsing them, then a look at the parsed document's shape.

use crate::parse::{Node, Value};

/// The formats tripline understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// A CloudFormation template (YAML or JSON).
    CloudFormation,
    /// A CloudFormation template using the Serverless (SAM) transform.
    Sam,
    /// `terraform show -json` of a plan.
    TerraformPlan,
    /// `terraform show -json` of a state.
    TerraformState,
    /// Terraform configuration in JSON syntax (`*.tf.json`).
    TerraformConfig,
    /// An IAM policy document on its own (`{"Version": "2012-10-17", "Statement": [...]}`), as
    /// organizations keep SCPs and IAM policies in their own repositories.
    PolicyDocument {
        /// What the document is (template or policy document), and how that was decided.
        kind: DocumentKind,
        /// How the kind was decided.
        basis: KindBasis,
    },
}

/// What an IAM policy document governs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocumentKind {
    /// Attached to a user, group, role or permission set: what its holder may do.
    Identity,
    /// A role's trust policy: who may assume the role.
    Trust,
    /// Attached to a resource (bucket, key, queue...): who may use it.
    Resource,
    /// An AWS Organizations service control policy: the most the principals of the accounts
    /// it is attached to may do.
    ServiceControl,
    /// An AWS Organizations resource control policy: the most anyone may do to the resources
    /// of the accounts it is attached to (never an SCP: it limits resources, not principals).
    ResourceControl,
}

impl DocumentKind {
    /// The name used in configs (`[[documents]] kind = "scp"`).
    pub fn parse(s: &str) -> Option<DocumentKind> {
        match s.to_ascii_lowercase().as_str() {
            "identity" => Some(DocumentKind::Identity),
            "trust" => Some(DocumentKind::Trust),
            "resource" => Some(DocumentKind::Resource),
            "scp" | "service-control" | "service_control_policy" => {
                Some(DocumentKind::ServiceControl)
            }
            "rcp" | "resource-control" | "resource_control_policy" => {
                Some(DocumentKind::ResourceControl)
            }
            _ => None,
        }
    }
}

/// How a standalone document's kind was decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KindBasis {
    /// From its content: a `Principal` makes it a resource or trust policy.
    Content,
    /// From a `[[documents]]` entry of the config.
    Config,
    /// Assumed: no principal and no config entry (denies with at most `Allow *` read as an
    /// SCP, anything else as an identity policy).
    Assumed,
}

impl Format {
    /// The format's name as reports print it (`cloudformation-yaml`, `terraform-plan`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Format::CloudFormation => "cloudformation",
            Format::Sam => "sam",
            Format::TerraformPlan => "terraform-plan",
            Format::TerraformState => "terraform-state",
            Format::TerraformConfig => "terraform-config",
            Format::PolicyDocument { kind, basis } => {
                use DocumentKind as K;
                use KindBasis as B;
                match (kind, basis) {
                    (K::Identity, B::Content) => "policy-document: identity policy",
                    (K::Identity, B::Config) => "policy-document: identity policy, from config",
                    (K::Identity, B::Assumed) => {
                        "policy-document: identity policy, assumed (no principal, has allows)"
                    }
                    (K::Trust, B::Config) => "policy-document: trust policy, from config",
                    (K::Trust, _) => "policy-document: trust policy (principal, sts actions)",
                    (K::Resource, B::Config) => "policy-document: resource policy, from config",
                    (K::Resource, _) => "policy-document: resource policy (has a principal)",
                    (K::ServiceControl, B::Config) => "policy-document: SCP, from config",
                    (K::ServiceControl, _) => {
                        "policy-document: SCP, assumed (no principal, only denies or Allow *)"
                    }
                    // Only a config names one: an RCP's statements look like a resource
                    // policy's.
                    (K::ResourceControl, _) => "policy-document: RCP, from config",
                }
            }
        }
    }
}

const SAM_TRANSFORM: &str = "AWS::Serverless-2016-10-31";

/// The cheap first step: could this text be a template at all? False negatives are not
/// allowed here (every template must pass), false positives only cost a parse.
pub fn looks_like_template(text: &[u8], file_name: &str) -> bool {
    if is_tf_json_name(file_name) || crate::parse::is_hcl_name(file_name) {
        return true;
    }
    let finder = |needle: &str| memchr::memmem::find(text, needle.as_bytes()).is_some();
    finder("Resources")
        || finder("AWSTemplateFormatVersion")
        || finder("format_version")
        || finder("Statement")
}

/// Whether a file name is Terraform JSON configuration (`*.tf.json`, OpenTofu's `*.tofu.json`).
pub fn is_tf_json_name(file_name: &str) -> bool {
    let lower = file_name.to_ascii_lowercase();
    lower.ends_with(".tf.json") || lower.ends_with(".tofu.json")
}

/// The second step: the format of a parsed document, or `None` for other YAML/JSON.
pub fn detect(root: &Node<'_>, file_name: &str) -> Option<Format> {
    if !root.is_map() {
        return None;
    }
    if root.get("format_version").is_some() {
        if root.get("planned_values").is_some() || root.get("resource_changes").is_some() {
            return Some(Format::TerraformPlan);
        }
        if root.get("values").is_some() {
            return Some(Format::TerraformState);
        }
    }
    if is_cloudformation(root) {
        return Some(if is_sam(root) {
            Format::Sam
        } else {
            Format::CloudFormation
        });
    }
    // Native syntax says what it is by its name: every `.tf` file is configuration, even one
    // that only declares variables.
    if crate::parse::is_hcl_name(file_name) {
        return Some(Format::TerraformConfig);
    }
    if is_tf_json_name(file_name)
        && [
            "resource",
            "provider",
            "data",
            "module",
            "terraform",
            "variable",
        ]
        .iter()
        .any(|k| root.get(k).is_some())
    {
        return Some(Format::TerraformConfig);
    }
    if is_policy_document(root) {
        let (kind, basis) = document_kind(root);
        return Some(Format::PolicyDocument { kind, basis });
    }
    None
}

/// `{"Version": "2012-10-17", "Statement": ...}`, or a `Statement` whose entries have an
/// `Effect`, and nothing that makes it a template.
fn is_policy_document(root: &Node<'_>) -> bool {
    let Some(statement) = root.get("Statement") else {
        return false;
    };
    let version = root
        .get("Version")
        .and_then(Node::as_str)
        .is_some_and(|v| v == "2012-10-17" || v == "2008-10-17");
    let has_effect = |n: &Node<'_>| n.get("Effect").is_some();
    let statements_look_right = match &statement.value {
        Value::Seq(items) => !items.is_empty() && items.iter().all(has_effect),
        Value::Map(_) => has_effect(statement),
        _ => false,
    };
    (version && (statement.is_seq() || statement.is_map())) || statements_look_right
}

/// The kind of a standalone document as far as its content tells: a principal makes it a
/// resource policy (a trust policy when it only grants `sts:` role assumption); without one,
/// a document of denies (and at most `Allow *`) reads as an SCP, anything else as an identity
/// policy. A config's `[[documents]]` entry overrides the assumption.
pub fn document_kind(root: &Node<'_>) -> (DocumentKind, KindBasis) {
    let statements: Vec<&Node<'_>> = match root.get("Statement").map(|s| &s.value) {
        Some(Value::Seq(items)) => items.iter().collect(),
        Some(Value::Map(_)) => root.get("Statement").into_iter().collect(),
        _ => Vec::new(),
    };
    let has_principal = statements
        .iter()
        .any(|s| s.get("Principal").is_some() || s.get("NotPrincipal").is_some());
    let texts = |n: Option<&Node<'_>>| -> Vec<String> {
        match n.map(|n| &n.value) {
            Some(Value::String(s)) => vec![s.to_string()],
            Some(Value::Seq(items)) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    };
    if has_principal {
        let all_sts = statements.iter().all(|s| {
            let actions = texts(s.get("Action"));
            !actions.is_empty()
                && actions.iter().all(|a| {
                    let a = a.to_ascii_lowercase();
                    a.starts_with("sts:assumerole")
                        || a == "sts:tagsession"
                        || a == "sts:setsourceidentity"
                        || a == "sts:setcontext"
                })
        });
        let kind = if all_sts {
            DocumentKind::Trust
        } else {
            DocumentKind::Resource
        };
        return (kind, KindBasis::Content);
    }
    let effect_is = |s: &Node<'_>, e: &str| {
        s.get("Effect")
            .and_then(Node::as_str)
            .is_some_and(|v| v.eq_ignore_ascii_case(e))
    };
    let has_deny = statements.iter().any(|s| effect_is(s, "Deny"));
    let allows_are_all = statements
        .iter()
        .filter(|s| effect_is(s, "Allow"))
        .all(|s| {
            let actions = texts(s.get("Action"));
            actions.iter().any(|a| a == "*" || a == "*:*")
        });
    let kind = if has_deny && allows_are_all {
        DocumentKind::ServiceControl
    } else {
        DocumentKind::Identity
    };
    (kind, KindBasis::Assumed)
}

fn is_cloudformation(root: &Node<'_>) -> bool {
    if root.get("AWSTemplateFormatVersion").is_some() {
        return true;
    }
    // Without the version key, require a Resources section whose entries look like
    // CloudFormation resources, so that other documents with a `Resources` key are not taken.
    let Some(resources) = root.get("Resources") else {
        return false;
    };
    resources.entries().iter().any(|e| {
        e.value
            .get("Type")
            .and_then(Node::as_str)
            // `AWS::S3::Bucket`, `Custom::Thing`, `Alexa::ASK::Skill`, registry types.
            .is_some_and(|t| t.contains("::"))
    })
}

fn is_sam(root: &Node<'_>) -> bool {
    let transform_is_sam = match root.get("Transform").map(|n| &n.value) {
        Some(Value::String(s)) => s == SAM_TRANSFORM,
        Some(Value::Seq(items)) => items.iter().any(|n| n.as_str() == Some(SAM_TRANSFORM)),
        _ => false,
    };
    transform_is_sam
        || root.get("Resources").is_some_and(|r| {
            r.entries().iter().any(|e| {
                e.value
                    .get("Type")
                    .and_then(Node::as_str)
                    .is_some_and(|t| t.starts_with("AWS::Serverless::"))
            })
        })
}
