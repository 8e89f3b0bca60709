//! The real binary: exit codes, determinism, stdin, config, walking, and bad input.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use tempfile::TempDir;

fn tripline() -> Command {
    let mut cmd = Command::cargo_bin("tripline").unwrap();
    cmd.env_remove("NO_COLOR").env("TERM", "dumb");
    cmd
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn write(dir: &Path, name: &str, content: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, content).unwrap();
    path
}

const FAILING_TRAIL: &str = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Trail:\n    Type: AWS::CloudTrail::Trail\n    Properties:\n      IsLogging: false\n      IsMultiRegionTrail: true\n      EnableLogFileValidation: true\n      S3BucketName: b\n      KMSKeyId: alias/trail\n      CloudWatchLogsLogGroupArn: arn:aws:logs:us-east-1:123456789012:log-group:trail\n      CloudWatchLogsRoleArn: arn:aws:iam::123456789012:role/trail-to-logs\n";
const PASSING_TRAIL: &str = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Trail:\n    Type: AWS::CloudTrail::Trail\n    Properties:\n      IsLogging: true\n      IsMultiRegionTrail: true\n      EnableLogFileValidation: true\n      S3BucketName: b\n      KMSKeyId: alias/trail\n      CloudWatchLogsLogGroupArn: arn:aws:logs:us-east-1:123456789012:log-group:trail\n      CloudWatchLogsRoleArn: arn:aws:iam::123456789012:role/trail-to-logs\n";

fn json_of(output: &[u8]) -> serde_json::Value {
    serde_json::from_slice(output).expect("valid JSON output")
}

#[test]
fn exit_codes_are_0_clean_1_findings_2_errors() {
    let dir = TempDir::new().unwrap();
    let pass = write(dir.path(), "pass.yaml", PASSING_TRAIL.as_bytes());
    let fail = write(dir.path(), "fail.yaml", FAILING_TRAIL.as_bytes());
    tripline()
        .args(["check", "--no-config"])
        .arg(&pass)
        .assert()
        .code(0);
    tripline()
        .args(["check", "--no-config"])
        .arg(&fail)
        .assert()
        .code(1);
    // Below the threshold: clean.
    tripline()
        .args(["check", "--no-config", "--fail-on", "critical"])
        .arg(&fail)
        .assert()
        .code(0);
    tripline()
        .args(["check", "--no-config"])
        .arg(dir.path().join("missing.yaml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing.yaml"));
    tripline()
        .args(["check", "--no-such-flag"])
        .assert()
        .code(2);
    tripline()
        .args(["check", "--no-config", "--select", "NOPE9"])
        .arg(&pass)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("NOPE9"));
}

#[test]
fn human_output_shows_file_line_snippet_policy_and_help() {
    let dir = TempDir::new().unwrap();
    let fail = write(dir.path(), "fail.yaml", FAILING_TRAIL.as_bytes());
    let out = tripline()
        .args(["check", "--no-config", "--color", "never"])
        .arg(&fail)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("LOG001 [high]"), "{text}");
    assert!(text.contains("fail.yaml:6:18]"), "{text}");
    assert!(text.contains("IsLogging: false"), "{text}");
    assert!(text.contains("help:"), "{text}");
    assert!(
        text.contains("1 finding (1 high) in 1 template checked"),
        "{text}"
    );
}

#[test]
fn json_output_has_the_documented_fields() {
    let dir = TempDir::new().unwrap();
    let fail = write(dir.path(), "fail.yaml", FAILING_TRAIL.as_bytes());
    let out = tripline()
        .args(["check", "--no-config", "--format", "json"])
        .arg(&fail)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc = json_of(&out.stdout);
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["summary"]["templates"], 1);
    assert_eq!(doc["summary"]["by_severity"]["high"], 1);
    let f = &doc["findings"][0];
    assert_eq!(f["policy"], "LOG001");
    assert_eq!(f["family"], "logging");
    assert_eq!(f["severity"], "high");
    assert_eq!(f["line"], 6);
    assert_eq!(f["column"], 18);
    assert_eq!(f["resource"], "Trail");
    assert_eq!(f["snippet"], "      IsLogging: false");
    assert_eq!(f["fingerprint"].as_str().unwrap().len(), 16);
}

#[test]
fn output_is_identical_for_any_thread_count() {
    for format in ["json", "human"] {
        let run = |threads: &str| {
            tripline()
                .args([
                    "check",
                    "--format",
                    format,
                    "--color",
                    "never",
                    "--threads",
                    threads,
                ])
                .arg(fixtures())
                .output()
                .unwrap()
        };
        let one = run("1");
        let eight = run("8");
        assert_eq!(one.status.code(), Some(1));
        assert!(!one.stdout.is_empty());
        assert_eq!(
            one.stdout, eight.stdout,
            "{format} output differs between 1 and 8 threads"
        );
    }
}

#[test]
fn stdin_is_read_with_its_reported_name() {
    let out = tripline()
        .args([
            "check",
            "--no-config",
            "--format",
            "json",
            "--stdin-filename",
            "infra/trail.yaml",
            "-",
        ])
        .write_stdin(FAILING_TRAIL)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc = json_of(&out.stdout);
    assert_eq!(doc["findings"][0]["path"], "infra/trail.yaml");
    tripline()
        .args(["check", "--no-config", "-"])
        .write_stdin(PASSING_TRAIL)
        .assert()
        .code(0);
}

#[test]
fn one_bad_file_does_not_stop_the_others() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "a-broken.yaml",
        b"AWSTemplateFormatVersion: '2010-09-09'\nResources: [\n",
    );
    write(dir.path(), "b-fail.yaml", FAILING_TRAIL.as_bytes());
    let mut latin1 = b"AWSTemplateFormatVersion: '2010-09-09'\n# caf".to_vec();
    latin1.push(0xE9);
    latin1.extend_from_slice(b"\nResources: {}\n");
    write(dir.path(), "c-latin1.yaml", &latin1);
    std::fs::create_dir(dir.path().join("d-dir.yaml")).unwrap();
    write(dir.path(), "e-bin.json", b"\x00\x01Resources\xff");
    let out = tripline()
        .args(["check", "--no-config", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc = json_of(&out.stdout);
    let got: Vec<(String, String, u64)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let path = f["path"].as_str().unwrap();
            (
                path.rsplit('/').next().unwrap().to_string(),
                f["policy"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("a-broken.yaml".to_string(), "PARSE001".to_string(), 2),
            ("b-fail.yaml".to_string(), "LOG001".to_string(), 6),
            ("c-latin1.yaml".to_string(), "PARSE004".to_string(), 2),
        ]
    );
    assert_eq!(doc["summary"]["templates"], 1);
    assert_eq!(doc["summary"]["failed"], 2);
    assert_eq!(doc["summary"]["skipped"], 1);
}

#[test]
fn config_is_discovered_and_unknown_keys_are_errors() {
    let dir = TempDir::new().unwrap();
    let tpl = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      RedrivePolicy:\n        deadLetterTargetArn: arn:aws:sqs:ap-south-1:123456789012:dlq\n";
    write(dir.path(), "stack/q.yaml", tpl.as_bytes());
    // Without an allow-list the region family is off.
    tripline()
        .args(["check"])
        .arg(dir.path().join("stack"))
        .assert()
        .code(0);
    write(
        dir.path(),
        "tripline.toml",
        b"allowed_regions = [\"us-east-1\"]\n",
    );
    tripline()
        .args(["check"])
        .arg(dir.path().join("stack"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("REG001"));
    // The flag overrides the file.
    tripline()
        .args(["check", "--allowed-regions", "us-east-1,ap-south-1"])
        .arg(dir.path().join("stack"))
        .assert()
        .code(0);
    write(
        dir.path(),
        "tripline.toml",
        b"allowed_regionz = [\"us-east-1\"]\n",
    );
    tripline()
        .args(["check"])
        .arg(dir.path().join("stack"))
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("tripline.toml")
                .and(predicate::str::contains("allowed_regionz")),
        );
}

#[test]
fn walking_honours_gitignore_include_and_exclude() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), ".gitignore", b"build/\n");
    write(dir.path(), "build/t.yaml", FAILING_TRAIL.as_bytes());
    write(dir.path(), "vendor/t.yaml", FAILING_TRAIL.as_bytes());
    write(dir.path(), "src/t.yaml", FAILING_TRAIL.as_bytes());
    write(dir.path(), "src/t.template", FAILING_TRAIL.as_bytes());
    let paths = |extra: &[&str]| -> Vec<String> {
        let out = tripline()
            .args(["check", "--no-config", "--format", "json"])
            .args(extra)
            .arg(dir.path())
            .output()
            .unwrap();
        let mut p: Vec<String> = json_of(&out.stdout)["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let path = f["path"].as_str().unwrap();
                let root = dir.path().to_string_lossy().replace('\\', "/");
                path.strip_prefix(&root)
                    .unwrap()
                    .trim_start_matches('/')
                    .to_string()
            })
            .collect();
        p.dedup();
        p
    };
    assert_eq!(
        paths(&[]),
        ["src/t.template", "src/t.yaml", "vendor/t.yaml"]
    );
    assert_eq!(
        paths(&["--exclude", "vendor"]),
        ["src/t.template", "src/t.yaml"]
    );
    assert_eq!(
        paths(&["--include", "*.yaml"]),
        ["src/t.yaml", "vendor/t.yaml"]
    );
    assert_eq!(
        paths(&["--no-ignore", "--exclude", "src/**"]),
        ["build/t.yaml", "vendor/t.yaml"]
    );
}

#[cfg(unix)]
#[test]
fn symlink_loops_are_reported_not_followed_forever() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a/t.yaml", FAILING_TRAIL.as_bytes());
    std::os::unix::fs::symlink(dir.path().join("a"), dir.path().join("a/loop")).unwrap();
    // Not following links: the loop is never entered.
    let out = tripline()
        .args(["check", "--no-config", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(json_of(&out.stdout)["summary"]["templates"], 1);
    // Following links: the loop is detected and reported as a finding.
    let out = tripline()
        .args(["check", "--no-config", "--format", "json", "--follow-links"])
        .arg(dir.path())
        .output()
        .unwrap();
    let doc = json_of(&out.stdout);
    let io: Vec<_> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["policy"] == "IO001")
        .collect();
    assert_eq!(io.len(), 1, "{doc}");
    assert!(io[0]["message"].as_str().unwrap().contains("loop"));
}

#[test]
fn rules_and_explain_document_the_policies() {
    let out = tripline().args(["rules"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for id in ["REG001", "ROOT001", "LOG001", "DET001"] {
        assert!(text.contains(id), "{text}");
    }
    let out = tripline()
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    let list = json_of(&out.stdout);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == "LOG001" && r["family"] == "logging")
    );
    tripline()
        .args(["explain", "log001"])
        .assert()
        .code(0)
        .stdout(
            predicate::str::contains("Why it matters")
                .and(predicate::str::contains("IsMultiRegionTrail")),
        );
    tripline().args(["explain", "XYZ999"]).assert().code(2);
}

#[test]
fn each_file_is_governed_by_its_nearest_config() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    // The repository's config fails on everything and skips infra/legacy (relative to itself,
    // whichever directory the run starts from); team-b has its own that ignores logging.
    write(
        root,
        "tripline.toml",
        b"exclude = [\"infra/legacy\"]\n[[overrides]]\npaths = [\"infra/quiet/**\"]\nignore = [\"LOG001\"]\n",
    );
    write(root, "infra/app.yaml", FAILING_TRAIL.as_bytes());
    write(root, "infra/legacy/old.yaml", FAILING_TRAIL.as_bytes());
    write(root, "infra/quiet/q.yaml", FAILING_TRAIL.as_bytes());
    write(root, "team-b/tripline.toml", b"ignore = [\"logging\"]\n");
    write(root, "team-b/stack.yaml", FAILING_TRAIL.as_bytes());
    let findings = |args: &[&Path]| -> Vec<String> {
        let out = tripline()
            .args(["check", "--format", "json"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        json_of(&out.stdout)["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let path = Path::new(f["path"].as_str().unwrap());
                let relative = path.strip_prefix(root).unwrap().to_string_lossy();
                format!(
                    "{} {}",
                    relative.replace('\\', "/"),
                    f["policy"].as_str().unwrap()
                )
            })
            .collect()
    };
    let expected = vec!["infra/app.yaml LOG001".to_string()];
    // From the top, from infra/ (the exclude is relative to the config, not to infra/), and
    // with both subtrees named: the same files, each under its own config.
    assert_eq!(findings(&[root]), expected);
    assert_eq!(findings(&[&root.join("infra")]), expected);
    assert_eq!(
        findings(&[&root.join("team-b"), &root.join("infra")]),
        expected
    );
    // team-b's config governs team-b even when named alone.
    tripline()
        .arg("check")
        .arg(root.join("team-b"))
        .assert()
        .code(0);
    // --config makes one config govern everything; --no-config none.
    let all = tripline()
        .args(["check", "--format", "json", "--config"])
        .arg(root.join("team-b/tripline.toml"))
        .arg(root)
        .output()
        .unwrap();
    assert_eq!(all.status.code(), Some(0), "logging ignored everywhere");
    assert_eq!(json_of(&all.stdout)["summary"]["templates"], 4);
    let none = tripline()
        .args(["check", "--format", "json", "--no-config"])
        .arg(root)
        .output()
        .unwrap();
    assert_eq!(json_of(&none.stdout)["summary"]["findings"], 4);
    // A broken config below the root stops the run with its name.
    write(root, "team-b/tripline.toml", b"ignroe = [\"logging\"]\n");
    tripline().arg("check").arg(root).assert().code(2).stderr(
        predicate::str::contains("team-b")
            .and(predicate::str::contains("tripline.toml"))
            .and(predicate::str::contains("ignroe")),
    );
}

#[test]
fn the_threshold_of_each_config_applies_to_its_files() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    // LOG001 (IsLogging: false) is high; a subtree that fails only on critical passes.
    write(root, "tripline.toml", b"fail_on = \"critical\"\n");
    write(root, "a/t.yaml", FAILING_TRAIL.as_bytes());
    tripline().arg("check").arg(root).assert().code(0);
    write(root, "b/tripline.toml", b"fail_on = \"low\"\n");
    write(root, "b/t.yaml", FAILING_TRAIL.as_bytes());
    tripline().arg("check").arg(root).assert().code(1);
    tripline().arg("check").arg(root.join("a")).assert().code(0);
    // The flag overrides every config.
    tripline()
        .args(["check", "--fail-on", "critical"])
        .arg(root)
        .assert()
        .code(0);
}

/// Comment suppressions in CloudFormation YAML: above or on a resource's logical-ID line they
/// cover the resource, on any other line the findings that start there, `ignore-file` the
/// whole file; a `#` inside a quoted scalar is not a comment. Unused ones are SUPP001, ones
/// without a reason SUPP002 when reasons are required.
#[test]
fn yaml_comment_suppressions() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "t.yaml",
        b"# tripline:ignore-file LOG002 keys managed centrally
Resources:
  # tripline:ignore LOG009 this bucket receives access logs
  Logs:
    Type: AWS::S3::Bucket
  Data:     # tripline:ignore LOG009
    Type: AWS::S3::Bucket
  Other:
    Type: AWS::S3::Bucket
  Trail:
    Type: AWS::CloudTrail::Trail
    Properties:
      IsLogging: true
      IsMultiRegionTrail: false  # tripline:ignore LOG001 single-Region by design
      S3BucketName: \"#not-a-comment # tripline:ignore LOG009\"
  Unused:   # tripline:ignore ROOT001 nothing to suppress
    Type: AWS::S3::Bucket
",
    );
    let out = tripline()
        .current_dir(dir.path())
        .args(["check", "t.yaml", "--no-config", "--format", "parseable"])
        .arg("--require-suppression-reason")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split(' ').take(3).collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        lines,
        [
            "t.yaml:6:13: medium SUPP002",
            "t.yaml:8:3: low LOG009",
            // EnableLogFileValidation is missing: reported on the resource, not on the
            // commented line.
            "t.yaml:10:3: high LOG001",
            "t.yaml:10:3: medium LOG004",
            "t.yaml:16:3: low LOG009",
            "t.yaml:16:31: low SUPP001",
        ]
    );
}

/// `--diff` shows the fixes policies offer as a unified diff (exit 1) and writes nothing;
/// `--fix` applies them — keeping comments and layout, in YAML, JSON and `.tf` — and reports
/// what remains; afterwards there is nothing left to fix (exit 0).
#[test]
fn fix_and_diff() {
    let dir = TempDir::new().unwrap();
    let yaml = "Resources:\n  Trail:\n    Type: AWS::CloudTrail::Trail\n    Properties:\n      IsLogging: false   # keep this comment\n      S3BucketName: logs\n";
    write(dir.path(), "t.yaml", yaml.as_bytes());
    write(
        dir.path(),
        "t.json",
        b"{\n  \"Resources\": {\n    \"Trail\": {\n      \"Type\": \"AWS::CloudTrail::Trail\",\n      \"Properties\": {\n        \"IsLogging\": \"false\",\n        \"S3BucketName\": \"logs\"\n      }\n    }\n  }\n}\n",
    );
    write(
        dir.path(),
        "main.tf",
        b"resource \"aws_cloudtrail\" \"t\" {\n  name           = \"t\"\n  s3_bucket_name = \"logs\"\n}\n",
    );
    // A reference is not a literal: no fix offered for it.
    write(
        dir.path(),
        "ref.yaml",
        b"Parameters:\n  On:\n    Type: String\n    Default: 'false'\nResources:\n  Trail:\n    Type: AWS::CloudTrail::Trail\n    Properties:\n      IsLogging: !Ref On\n      IsMultiRegionTrail: true\n      EnableLogFileValidation: true\n      S3BucketName: logs\n",
    );
    let diff = tripline()
        .current_dir(dir.path())
        .args(["check", ".", "--no-config", "--diff"])
        .output()
        .unwrap();
    assert_eq!(diff.status.code(), Some(1));
    let diff = String::from_utf8(diff.stdout).unwrap();
    assert!(
        diff.contains(
            "--- a/t.yaml\n+++ b/t.yaml\n@@ -2,5 +2,7 @@\n   Trail:\n     Type: AWS::CloudTrail::Trail\n     Properties:\n-      IsLogging: false   # keep this comment\n+      EnableLogFileValidation: true\n+      IsMultiRegionTrail: true\n+      IsLogging: true   # keep this comment\n       S3BucketName: logs\n"
        ),
        "{diff}"
    );
    assert!(!diff.contains("ref.yaml"), "{diff}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("t.yaml")).unwrap(),
        yaml,
        "--diff writes nothing"
    );

    let fixed = tripline()
        .current_dir(dir.path())
        .args(["check", ".", "--no-config", "--fix", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&fixed.stderr);
    assert!(stderr.contains("fixed 8 findings in 3 files"), "{stderr}");
    let remaining = json_of(&fixed.stdout);
    // Only the LOG001 that has no fix (the parameter's default) remains.
    let log001: Vec<&str> = remaining["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["policy"] == "LOG001")
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(log001, ["ref.yaml"]);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("t.json")).unwrap(),
        "{\n  \"Resources\": {\n    \"Trail\": {\n      \"Type\": \"AWS::CloudTrail::Trail\",\n      \"Properties\": {\n        \"EnableLogFileValidation\": true,\n        \"IsMultiRegionTrail\": true,\n        \"IsLogging\": true,\n        \"S3BucketName\": \"logs\"\n      }\n    }\n  }\n}\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("main.tf")).unwrap(),
        "resource \"aws_cloudtrail\" \"t\" {\n  enable_log_file_validation = true\n  is_multi_region_trail      = true\n  name                       = \"t\"\n  s3_bucket_name             = \"logs\"\n}\n",
        "aligned as terraform fmt aligns"
    );
    let again = tripline()
        .current_dir(dir.path())
        .args(["check", ".", "--no-config", "--diff"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0));
    assert!(again.stdout.is_empty());
}

/// A report written to a file is named on standard error with its counts, and a failing run
/// says what to do next; `--exit-zero` runs get no advice.
#[test]
fn a_report_file_is_named_and_a_failing_run_advises() {
    let dir = TempDir::new().unwrap();
    let report = dir.path().join("report.json");
    let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/LOG009/fail.yaml");
    let out = tripline()
        .args(["check", "--no-config", "--format", "json", "-o"])
        .arg(&report)
        .arg(&template)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(
        lines[0].starts_with("report: ")
            && lines[0].ends_with("report.json (1 finding (1 low) in 1 template checked)"),
        "{stderr}"
    );
    assert_eq!(
        lines[1], "tripline: 1 of 1 finding fails (1 low)",
        "{stderr}"
    );
    assert!(lines[3].contains("`--fail-on medium`"), "{stderr}");
    assert_eq!(lines.len(), 4, "{stderr}");
    let quiet = tripline()
        .args(["check", "--no-config", "--exit-zero", "--quiet"])
        .arg(&template)
        .output()
        .unwrap();
    assert_eq!(quiet.status.code(), Some(0));
    assert!(
        quiet.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&quiet.stderr)
    );
}

/// Reports and baselines are created as any new file is, by the user's umask (later CI steps and
/// other users read them), not private to the user.
#[cfg(unix)]
#[test]
fn reports_and_baselines_follow_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new().unwrap();
    let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/LOG009/fail.yaml");
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg("umask 027; \"$0\" check --no-config --exit-zero --quiet -o report.json --format json --write-baseline baseline.json \"$1\"")
        .arg(env!("CARGO_BIN_EXE_tripline"))
        .arg(&template)
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    for name in ["report.json", "baseline.json"] {
        let mode = std::fs::metadata(dir.path().join(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o640, "{name}: {mode:o}");
    }
}

/// Another tool's template (a Helm chart's, a Terraform `templatefile` source) is not a
/// PARSE001: it is skipped with its reason under --verbose, and said to be skipped when named
/// on the command line; a broken CloudFormation template is still PARSE001.
#[test]
fn other_tools_templates_are_skipped_with_a_reason() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("chart/templates")).unwrap();
    std::fs::write(root.join("chart/Chart.yaml"), "apiVersion: v2\nname: x\n").unwrap();
    std::fs::write(
        root.join("chart/templates/policy.yaml"),
        "kind: Policy\nspec:\n  policyDocument: |\n    {\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}]}\n  name: {{ .Values.name }}\n{{- if .Values.extra }}\n  extra: true\n{{- end }}\n",
    )
    .unwrap();
    std::fs::write(
        root.join("policy.json.tpl"),
        "{\"Version\": \"2012-10-17\", \"Statement\": [\n%{ for arn in arns ~}\n{\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"${arn}\"},\n%{ endfor ~}\n]}\n",
    )
    .unwrap();
    std::fs::write(
        root.join("broken.yaml"),
        "Resources:\n  A:\n    Type: AWS::S3::Bucket\n  - oops\n",
    )
    .unwrap();
    let out = tripline()
        .current_dir(root)
        .args([
            "check",
            "--no-config",
            "--verbose",
            "--format",
            "parseable",
            ".",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stdout.starts_with("broken.yaml:") && stdout.contains("PARSE001"),
        "{stdout}"
    );
    assert!(
        stderr.contains("skipped chart/templates/policy.yaml: a Helm chart template"),
        "{stderr}"
    );
    assert!(
        stderr.contains("skipped policy.json.tpl: a Terraform template"),
        "{stderr}"
    );

    let out = tripline()
        .current_dir(root)
        .args(["check", "--no-config", "chart/templates/policy.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("note: skipped chart/templates/policy.yaml: a Helm chart template (`{{ }}` directives), rendered by Helm: not a template as written, not checked"),
        "{stderr}"
    );
}

/// The human report wraps at the width it is given (`COLUMNS` when not on a terminal; 80
/// included), and a critical finding stands apart from a high one, in colour too; FORCE_COLOR
/// colours a pipe, NO_COLOR wins over it.
#[test]
fn the_human_report_fits_its_width_and_shows_critical_apart() {
    let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/ROOT001/fail.yaml");
    let run = |envs: &[(&str, &str)]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_tripline"));
        cmd.args(["check", "--no-config", "--select", "ROOT001,LOG"])
            .arg(&template)
            .env_remove("NO_COLOR")
            .env_remove("FORCE_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .env_remove("COLUMNS");
        for (k, v) in envs {
            cmd.env(k, v);
        }
        String::from_utf8(cmd.output().unwrap().stdout).unwrap()
    };
    let narrow = run(&[("COLUMNS", "80")]);
    assert!(narrow.contains("ROOT001 [CRITICAL]"), "{narrow}");
    // The template's own lines (and their underlines) are shown as they are.
    let widest = narrow
        .lines()
        .filter(|l| {
            let t = l.trim_start();
            !(t.starts_with(|c: char| c.is_ascii_digit()) || t.starts_with('·'))
        })
        .map(|l| l.chars().count())
        .max()
        .unwrap();
    assert!(widest <= 80, "a line of {widest} columns:\n{narrow}");
    let wide = run(&[]);
    assert!(
        wide.lines().map(|l| l.chars().count()).max().unwrap() > 80,
        "default 100"
    );
    assert!(!wide.contains('\x1b'), "no colour into a pipe");
    let forced = run(&[("FORCE_COLOR", "1")]);
    assert!(forced.contains("\x1b[1;97;41m[CRITICAL]"), "{forced}");
    let both = run(&[("FORCE_COLOR", "1"), ("NO_COLOR", "1")]);
    assert!(!both.contains('\x1b'));
}

/// `explain` renders for a terminal (no fences, code indented, wrapped at the width) and keeps
/// Markdown under `--format markdown`.
#[test]
fn explain_renders_for_a_terminal_or_as_markdown() {
    let text = tripline()
        .env("COLUMNS", "60")
        .args(["explain", "LOG020"])
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(!text.contains("```"), "{text}");
    assert!(text.contains("\n    AppLogs:\n"), "code indented: {text}");
    assert!(text.contains("\nIn Terraform: set `kms_key_id`"), "{text}");
    assert!(text.lines().all(|l| l.chars().count() <= 60), "{text}");
    let md = tripline()
        .args(["explain", "LOG020", "--format", "markdown"])
        .output()
        .unwrap();
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(
        md.starts_with("# LOG020 — CloudWatch log group not encrypted"),
        "{md}"
    );
    assert!(
        md.contains("\n## How to fix it\n") && md.contains("```yaml\nAppLogs:"),
        "{md}"
    );
}
