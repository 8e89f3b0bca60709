//! Other scanners' inline skips with the real binary: off by default; with
//! `honor_suppressions`, checkov, tfsec, trivy and KICS skips suppress the equivalent tripline
//! findings (the policies' `[references]`), counted as suppressed; an expired ignore does not;
//! an unknown scanner is a config error naming the file and position.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

fn check(dir: &Path) -> (i32, Value, String) {
    let out = Command::cargo_bin("tripline")
        .unwrap()
        .current_dir(dir)
        .args(["check", "--no-cache", "--format", "json", "."])
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn resources(doc: &Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["policy"].as_str().unwrap(),
                f["resource"].as_str().unwrap()
            )
        })
        .collect()
}

const TF: &str = r#"resource "aws_s3_bucket" "checkov" {
  # checkov:skip=CKV_AWS_18:access logs go to the central account
  bucket = "a"
}

#tfsec:ignore:aws-s3-enable-bucket-logging
resource "aws_s3_bucket" "tfsec" {
  bucket = "b"
}

# trivy:ignore:AVD-AWS-0089
resource "aws_s3_bucket" "trivy" {
  bucket = "c"
}

# kics-scan ignore-block
resource "aws_s3_bucket" "kics" {
  bucket = "d"
}

# checkov:skip=CKV_AWS_21:versioning, not logging
resource "aws_s3_bucket" "unrelated" {
  bucket = "e"
}

resource "aws_cloudtrail" "expired" {
  name                       = "t"
  s3_bucket_name             = "x"
  is_multi_region_trail      = true
  #tfsec:ignore:aws-cloudtrail-enable-log-validation:exp:2020-01-01
  enable_log_file_validation = false
}
"#;

const CFN: &str = "Resources:\n  Skipped:\n    Type: AWS::S3::Bucket\n    Metadata:\n      checkov:\n        skip:\n          - id: CKV_AWS_18\n            comment: central logging\n  Kept:\n    Type: AWS::S3::Bucket\n";

fn tree(config: &str) -> TempDir {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("main.tf"), TF).unwrap();
    std::fs::write(dir.path().join("t.yaml"), CFN).unwrap();
    std::fs::write(
        dir.path().join("tripline.toml"),
        format!("select = [\"LOG009\", \"LOG001\"]\n{config}"),
    )
    .unwrap();
    dir
}

#[test]
fn other_scanners_skips_are_honoured_when_asked() {
    let dir = tree("honor_suppressions = [\"checkov\", \"tfsec\", \"trivy\", \"kics\"]\n");
    let (code, doc, err) = check(dir.path());
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        resources(&doc),
        [
            "LOG009 aws_s3_bucket.unrelated",
            "LOG001 aws_cloudtrail.expired",
            "LOG009 Kept",
        ],
        "{doc}"
    );
    assert_eq!(doc["summary"]["suppressed"], 5, "{doc}");
}

#[test]
fn other_scanners_skips_are_ignored_by_default() {
    let dir = tree("");
    let (_, doc, _) = check(dir.path());
    assert_eq!(resources(&doc).len(), 8, "{doc}");
    assert_eq!(doc["summary"]["suppressed"], 0);
}

#[test]
fn an_unknown_scanner_is_a_config_error() {
    let dir = tree("honor_suppressions = [\"snyk\"]\n");
    let (code, _, err) = check(dir.path());
    assert_eq!(code, 2);
    assert!(
        err.contains("tripline.toml") && err.contains("line 2"),
        "{err}"
    );
    assert!(err.contains("unknown variant `snyk`"), "{err}");
}
