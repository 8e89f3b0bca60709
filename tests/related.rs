//! Related places with the real binary: a finding names where it lands and what was judged,
//! also when that place is another file of the same Terraform configuration (a trust policy in
//! one file, the role it belongs to in another), in JSON, SARIF and the human report.

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
