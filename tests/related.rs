//! Related places with the real binary: a finding names where it lands and what was judged,
//! also when that place is in another file: the role a trust policy of another file of the
//! configuration belongs to, the module file behind a finding reported at its call, the
//! child template behind a nested stack's; in JSON, SARIF and the human report.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

fn tripline() -> Command {
    let mut cmd = Command::cargo_bin("tripline").unwrap();
    cmd.env_remove("RUST_LOG");
    cmd
}

/// A role in `main.tf` whose trust policy, in `policies.tf`, lets another account's root in
/// under a condition that does not narrow who.
fn configuration() -> TempDir {
    let dir = TempDir::new().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        r#"resource "aws_iam_role" "auditor" {
  name               = "auditor"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}
"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("policies.tf"),
        r#"data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::111122223333:root"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["true"]
    }
  }
}
"#,
    )
    .unwrap();
    dir
}

fn run(dir: &Path, format: &str) -> Vec<u8> {
    tripline()
        .current_dir(dir)
        .args([
            "check",
            "--no-config",
            "--select",
            "ROOT001",
            "--format",
            format,
            ".",
        ])
        .output()
        .unwrap()
        .stdout
}

#[test]
fn json_relates_the_condition_and_the_role_in_another_file() {
    let dir = configuration();
    let doc: Value = serde_json::from_slice(&run(dir.path(), "json")).unwrap();
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{doc}");
    let f = &findings[0];
    assert_eq!(f["path"], "policies.tf");
    assert_eq!(f["line"], 6);
    let related: Vec<(String, u64, String)> = f["related"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["path"].as_str().unwrap().to_string(),
                r["line"].as_u64().unwrap(),
                r["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        related,
        vec![
            (
                "policies.tf".to_string(),
                8,
                "the condition, which does not narrow who can use the grant".to_string()
            ),
            (
                "main.tf".to_string(),
                1,
                "the policy applies to `aws_iam_role.auditor` (aws_iam_role)".to_string()
            ),
        ]
    );
}

#[test]
fn sarif_and_human_reports_carry_the_other_file() {
    let dir = configuration();
    let sarif: Value = serde_json::from_slice(&run(dir.path(), "sarif")).unwrap();
    let related = &sarif["runs"][0]["results"][0]["relatedLocations"];
    assert_eq!(
        related[1]["physicalLocation"]["artifactLocation"]["uri"], "main.tf",
        "{sarif}"
    );
    assert_eq!(related[1]["physicalLocation"]["region"]["startLine"], 1);
    let human = String::from_utf8(run(dir.path(), "human")).unwrap();
    assert!(
        human.contains("the policy applies to `aws_iam_role.auditor` (aws_iam_role): main.tf:1:"),
        "{human}"
    );
}

/// `check ARGS --format json` in `dir`: each finding as `path:line <- path:line (message)`.
fn with_related(dir: &Path, args: &[&str]) -> Vec<String> {
    let out = tripline()
        .current_dir(dir)
        .args(["check", "--no-config", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let related: Vec<String> = f["related"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| {
                    format!(
                        "{}:{} ({})",
                        r["path"].as_str().unwrap(),
                        r["line"],
                        r["message"].as_str().unwrap()
                    )
                })
                .collect();
            format!(
                "{}:{} <- {}",
                f["path"].as_str().unwrap(),
                f["line"],
                related.join("; ")
            )
        })
        .collect()
}

/// A module's finding reported at the call relates the module's own file: the attribute that
/// is wrong there, or, when the root passes the wrong value, the module's resource.
#[test]
fn module_findings_relate_the_module_file() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("envs/prod")).unwrap();
    std::fs::create_dir_all(root.join("modules/trail")).unwrap();
    std::fs::write(
        root.join("modules/trail/main.tf"),
        r#"variable "multi" {
  default = true
}

variable "validate" {
  default = true
}

resource "aws_cloudtrail" "this" {
  name                       = "org"
  s3_bucket_name             = "logs"
  is_multi_region_trail      = var.multi
  enable_log_file_validation = coalesce(var.validate, true)
}
"#,
    )
    .unwrap();
    std::fs::write(
        root.join("envs/prod/main.tf"),
        r#"module "trail" {
  source   = "../../modules/trail"
  multi    = false
  validate = false
}
"#,
    )
    .unwrap();
    let lines = with_related(root, &["--select", "LOG001", "envs/prod"]);
    assert_eq!(
        lines,
        vec![
            "envs/prod/main.tf:1 <- modules/trail/main.tf:13 (in module `trail`)".to_string(),
            "envs/prod/main.tf:3 <- modules/trail/main.tf:9 (the resource, in module `trail`)"
                .to_string(),
        ]
    );
}

/// A nested stack's finding reported in the parent relates the child template's place.
#[test]
fn nested_stack_findings_relate_the_child_template() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("stacks")).unwrap();
    std::fs::write(
        root.join("stacks/logs.yaml"),
        "Parameters:\n  Retention:\n    Type: Number\n    Default: 400\nResources:\n  Group:\n    Type: AWS::Logs::LogGroup\n    Properties:\n      RetentionInDays: !Ref Retention\n",
    )
    .unwrap();
    std::fs::write(
        root.join("parent.yaml"),
        "Resources:\n  Logs:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: ./stacks/logs.yaml\n      Parameters:\n        Retention: 7\n",
    )
    .unwrap();
    let lines = with_related(root, &["--select", "LOG019", "parent.yaml"]);
    assert_eq!(
        lines,
        vec![
            "parent.yaml:7 <- stacks/logs.yaml:9 (in the template of nested stack `Logs`)"
                .to_string()
        ]
    );
}
