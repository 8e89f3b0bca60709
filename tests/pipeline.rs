//! Pipeline features on the real binary: inline and config suppressions, path overrides,
//! baselines, `init`.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

fn tripline() -> Command {
    Command::cargo_bin("tripline").unwrap()
}

fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, content).unwrap();
    path
}

fn findings(dir: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let out = tripline()
        .current_dir(dir)
        .args(["check", "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), doc)
}

fn ids(doc: &serde_json::Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{}:{} {}",
                f["path"].as_str().unwrap(),
                f["line"],
                f["policy"].as_str().unwrap()
            )
        })
        .collect()
}

const BUCKETS: &str = r#"AWSTemplateFormatVersion: "2010-09-09"
Metadata:
  tripline:
    ignore: [LOG020]
Resources:
  Quiet:
    Type: AWS::S3::Bucket
    Metadata:
      tripline:
        ignore: [LOG009]
        reason: logs go to the central account
  Loud:
    Type: AWS::S3::Bucket
  Stale:
    Type: AWS::S3::Bucket
    Metadata:
      tripline:
        ignore: [LOG009, DET005]
"#;

#[test]
fn inline_suppressions_unused_ones_and_missing_reasons() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "tripline.toml", "");
    write(dir.path(), "b.yaml", BUCKETS);
    let (code, doc) = findings(dir.path(), &["--select", "LOG009,DET005,LOG020,SUPP"]);
    assert_eq!(code, 1);
    // Quiet and Stale are suppressed; Loud is reported; DET005 on Stale suppressed nothing;
    // the template-level LOG020 suppression matches no log group.
    assert_eq!(
        ids(&doc),
        ["b.yaml:4 SUPP001", "b.yaml:12 LOG009", "b.yaml:18 SUPP001"]
    );
    assert_eq!(doc["summary"]["suppressed"], 2);
    let (_, doc) = findings(
        dir.path(),
        &[
            "--select",
            "LOG009,DET005,LOG020,SUPP",
            "--require-suppression-reason",
        ],
    );
    assert_eq!(
        ids(&doc),
        [
            "b.yaml:3 SUPP002",
            "b.yaml:4 SUPP001",
            "b.yaml:12 LOG009",
            "b.yaml:17 SUPP002",
            "b.yaml:18 SUPP001"
        ]
    );
}

#[test]
fn config_suppressions_for_terraform_and_stale_rules() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "tripline.toml",
        r#"[[suppress]]
paths = ["tf/*.tf.json"]
resources = ["aws_s3_bucket.logs"]
ignore = ["LOG009"]
reason = "receives the access logs"

[[suppress]]
paths = ["tf/*.tf.json"]
ignore = ["DET005"]
reason = "no detectors here"
"#,
    );
    write(
        dir.path(),
        "tf/main.tf.json",
        r#"{"resource": {"aws_s3_bucket": {"logs": {"bucket": "logs"}, "data": {"bucket": "data"}}}}"#,
    );
    let (_, doc) = findings(dir.path(), &["--select", "LOG009,DET005,SUPP"]);
    assert_eq!(
        ids(&doc),
        ["tf/main.tf.json:1 LOG009", "tripline.toml:9 SUPP001"]
    );
    assert_eq!(doc["findings"][0]["resource"], "aws_s3_bucket.data");
    assert_eq!(doc["summary"]["suppressed"], 1);
    // Checking a file the rules do not apply to does not call them stale.
    write(
        dir.path(),
        "other/x.yaml",
        "AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n",
    );
    let (code, doc) = findings(dir.path(), &["--select", "LOG009,DET005,SUPP", "other"]);
    assert_eq!(code, 0, "{doc}");

    // Shards: none can know that a rule is stale everywhere, so SUPP001 waits for an unsharded
    // run; a rule without a reason is reported by exactly one shard.
    let mut per_shard = Vec::new();
    for k in 1..=3 {
        let shard = format!("{k}/3");
        let (_, doc) = findings(
            dir.path(),
            &[
                "--select",
                "LOG009,DET005,SUPP",
                "--require-suppression-reason",
                "--shard",
                &shard,
            ],
        );
        per_shard.extend(ids(&doc).into_iter().filter(|id| id.contains("SUPP")));
    }
    assert!(per_shard.is_empty(), "{per_shard:?}");
    write(
        dir.path(),
        "tripline.toml",
        "[[suppress]]\npaths = [\"tf/*.tf.json\"]\nignore = [\"LOG009\"]\n",
    );
    let mut per_shard = Vec::new();
    for k in 1..=3 {
        let shard = format!("{k}/3");
        let args = [
            "--select",
            "LOG009,SUPP",
            "--require-suppression-reason",
            "--shard",
            &shard,
        ];
        let (_, doc) = findings(dir.path(), &args);
        per_shard.extend(ids(&doc).into_iter().filter(|id| id.contains("SUPP")));
    }
    assert_eq!(per_shard, ["tripline.toml:3 SUPP002"]);
}

#[test]
fn overrides_change_policies_and_severities_by_path() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "tripline.toml",
        r#"select = ["LOG009", "LOG020"]
[[overrides]]
paths = ["legacy/**"]
ignore = ["LOG009"]
[[overrides]]
paths = ["prod/*.yaml"]
severity = { LOG009 = "critical" }
"#,
    );
    let tpl =
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  B:\n    Type: AWS::S3::Bucket\n";
    write(dir.path(), "legacy/a/t.yaml", tpl);
    write(dir.path(), "prod/t.yaml", tpl);
    let (_, doc) = findings(dir.path(), &[]);
    let sev: Vec<(String, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(sev, [("prod/t.yaml".to_string(), "critical".to_string())]);
    // An override naming an unknown policy is a configuration error.
    write(
        dir.path(),
        "tripline.toml",
        "[[overrides]]\npaths = [\"x\"]\nignore = [\"NOPE1\"]\n",
    );
    tripline()
        .current_dir(dir.path())
        .args(["check"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("NOPE1").and(predicates::str::contains("tripline.toml")));
}

use predicates::prelude::PredicateBooleanExt;

#[test]
fn baselines_report_only_new_drift_and_survive_line_moves() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "tripline.toml", "select = [\"LOG009\"]\n");
    let one =
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  A:\n    Type: AWS::S3::Bucket\n";
    write(dir.path(), "t.yaml", one);
    let (code, doc) = findings(dir.path(), &["--write-baseline", "baseline.json"]);
    assert_eq!(
        code, 0,
        "writing a baseline accepts the current findings: the run succeeds"
    );
    assert_eq!(
        doc["findings"].as_array().unwrap().len(),
        1,
        "and still reports them"
    );
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("baseline.json")).unwrap())
            .unwrap();
    assert_eq!(saved["findings"].as_array().unwrap().len(), 1);

    // The same finding, moved down by a description and a new resource above it.
    let moved = "AWSTemplateFormatVersion: '2010-09-09'\nDescription: now with more lines\nResources:\n  Z:\n    Type: AWS::SQS::Queue\n  A:\n    Type: AWS::S3::Bucket\n";
    write(dir.path(), "t.yaml", moved);
    let (code, doc) = findings(dir.path(), &["--baseline", "baseline.json"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["summary"]["baseline"]["known"], 1);
    assert_eq!(doc["summary"]["baseline"]["fixed"], 0);

    // New drift fails; the old finding fixed is counted.
    let drift =
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  B:\n    Type: AWS::S3::Bucket\n";
    write(dir.path(), "t.yaml", drift);
    let (code, doc) = findings(dir.path(), &["--baseline", "baseline.json"]);
    assert_eq!(code, 1);
    assert_eq!(ids(&doc), ["t.yaml:3 LOG009"]);
    assert_eq!(doc["summary"]["baseline"]["fixed"], 1);

    write(dir.path(), "bad.json", "{\"version\": 9, \"findings\": []}");
    tripline()
        .current_dir(dir.path())
        .args(["check", "--baseline", "bad.json"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("bad.json"));
}

#[test]
fn init_writes_a_config_that_loads() {
    let dir = TempDir::new().unwrap();
    tripline()
        .current_dir(dir.path())
        .args(["init"])
        .assert()
        .code(0);
    let path = dir.path().join("tripline.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("allowed_regions"));
    tripline::config::Config::load(&path).expect("starter config loads");
    // Every commented example line, uncommented, is valid too.
    let uncommented: String = text
        .lines()
        .filter_map(|l| l.strip_prefix("# "))
        .filter(|l| l.contains('=') || l.starts_with('['))
        .filter(|l| !l.contains(':') || l.contains('"'))
        .collect::<Vec<_>>()
        .join("\n");
    tripline::config::Config::parse(&uncommented, Path::new("uncommented.toml"))
        .expect("examples are valid");
    tripline()
        .current_dir(dir.path())
        .args(["init"])
        .assert()
        .code(2);
    tripline()
        .current_dir(dir.path())
        .args(["init", "--force"])
        .assert()
        .code(0);
}
