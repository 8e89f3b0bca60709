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
