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
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::CloudFormation => "cloudformation",
            Format::Sam => "sam",
            Format::TerraformPlan => "terraform-plan",
            Format::TerraformState => "terraform-state",
            Format::TerraformConfig => "terraform-config",
        }
    }
}

const SAM_TRANSFORM: &str = "AWS::Serverless-2016-10-31";

/// The cheap first step: could this text be a template at all? False negatives are not
/// allowed here (every template must pass), false positives only cost a parse.
pub fn looks_like_template(text: &[u8], file_name: &str) -> bool {
    if is_tf_json_name(file_name) {
        return true;
    }
    let finder = |needle: &str| memchr::memmem::find(text, needle.as_bytes()).is_some();
    finder("Resources") || finder("AWSTemplateFormatVersion") || finder("format_version")
}

pub fn is_tf_json_name(file_name: &str) -> bool {
    file_name.to_ascii_lowercase().ends_with(".tf.json")
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
    None
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
