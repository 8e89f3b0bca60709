//! Baselines across versions: fingerprints leave the message out, so a reworded message keeps
//! a finding known; a baseline an earlier version wrote (format 1, fingerprints that hashed
//! the message) still matches, with a note on how to rewrite it.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn check(args: &[&str]) -> (i32, Value, String) {
    let out = Command::cargo_bin("tripline")
        .unwrap()
        .current_dir(root())
        .args(["check", "--no-config", "--no-cache", "--format", "json"])
        .args(args)
        .args([
            "fixtures/LOG001/fail.yaml",
            "fixtures/LOG001/tf/fail/main.tf",
        ])
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        serde_json::from_slice(&out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn a_baseline_written_by_an_earlier_version_still_matches() {
    // fixtures/baselines/v1-LOG001.json was written by the version before fingerprints left
    // the message out.
    let (code, doc, err) = check(&["--baseline", "fixtures/baselines/v1-LOG001.json"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["findings"].as_array().unwrap().len(), 0, "{doc}");
    assert_eq!(doc["summary"]["baseline"]["known"], 14);
    assert_eq!(doc["summary"]["baseline"]["fixed"], 0);
    assert!(
        err.contains("was written by an earlier version (format 1)")
            && err.contains("rewrite it with --write-baseline (format 2)"),
        "{err}"
    );
}

#[test]
fn a_rewritten_baseline_is_the_current_format_and_matches_without_a_note() {
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("baseline.json");
    let file = file.to_str().unwrap();
    check(&["--write-baseline", file]);
    let written: Value = serde_json::from_str(&fs::read_to_string(file).unwrap()).unwrap();
    assert_eq!(written["version"], 2);
    let (code, doc, err) = check(&["--baseline", file]);
    assert_eq!(
        (code, doc["summary"]["baseline"]["known"].as_u64()),
        (0, Some(14))
    );
    assert!(!err.contains("earlier version"), "{err}");
}

/// `check ARGS` in `dir`: exit code and the JSON report.
fn check_in(dir: &Path, args: &[&str]) -> (i32, Value) {
    let out = Command::cargo_bin("tripline")
        .unwrap()
        .current_dir(dir)
        .args(["check", "--no-cache", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        serde_json::from_slice(&out.stdout).unwrap(),
    )
}

/// A baseline names files relative to the project's root (the directory with `.git`): written
/// at the root, it holds in a subdirectory and the other way round; a run that checks some
/// files only (the pre-commit hook) does not count the other files' entries as fixed.
#[test]
fn baselines_hold_from_any_directory_of_the_project() {
    let dir = TempDir::new().unwrap();
    let repo = dir.path();
    fs::create_dir_all(repo.join(".git")).unwrap();
    fs::create_dir_all(repo.join("infra/app")).unwrap();
    let bucket = "Resources:\n  Data:\n    Type: AWS::S3::Bucket\n";
    fs::write(repo.join("infra/app/a.yaml"), bucket).unwrap();
    fs::write(repo.join("infra/b.yaml"), bucket).unwrap();
    fs::write(repo.join("tripline.toml"), "select = [\"LOG009\"]\n").unwrap();

    let (code, _) = check_in(repo, &["--write-baseline", "baseline.json", "infra"]);
    assert_eq!(code, 0, "writing a baseline succeeds");
    let saved: Value =
        serde_json::from_str(&fs::read_to_string(repo.join("baseline.json")).unwrap()).unwrap();
    let paths: Vec<&str> = saved["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["infra/app/a.yaml", "infra/b.yaml"]);

    // From a subdirectory, the paths reported differ, the baseline still holds.
    let (code, doc) = check_in(
        &repo.join("infra"),
        &["--baseline", "../baseline.json", "."],
    );
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["summary"]["baseline"]["known"], 2, "{doc}");
    assert_eq!(doc["summary"]["baseline"]["fixed"], 0, "{doc}");

    // One file (as the hook passes it): the other file's entry is not "fixed".
    let (code, doc) = check_in(
        &repo.join("infra/app"),
        &["--baseline", "../../baseline.json", "a.yaml"],
    );
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["summary"]["baseline"]["known"], 1, "{doc}");
    assert_eq!(doc["summary"]["baseline"]["fixed"], 0, "{doc}");

    // Written in a subdirectory, it holds at the root.
    let (code, _) = check_in(
        &repo.join("infra"),
        &["--write-baseline", "../sub.json", "."],
    );
    assert_eq!(code, 0);
    let (code, doc) = check_in(repo, &["--baseline", "sub.json", "infra"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["summary"]["baseline"]["known"], 2, "{doc}");

    // A fixed finding in a checked file is counted as fixed.
    fs::write(
        repo.join("infra/b.yaml"),
        "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n",
    )
    .unwrap();
    let (_, doc) = check_in(repo, &["--baseline", "baseline.json", "infra"]);
    assert_eq!(doc["summary"]["baseline"]["fixed"], 1, "{doc}");
}
