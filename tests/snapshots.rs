//! Snapshots of everything a user sees for each fixture directory: the human report (no colour)
//! and the SARIF result objects, from the real binary. `expected.txt` pins `file:line ID`; these
//! pin columns, messages, excerpts, help and fingerprints too, so reviewing a policy change is
//! reviewing its snapshot diff (`INSTA_UPDATE=always cargo test --test snapshots`, then
//! `git diff tests/snapshots`).

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Every fixture directory, sorted, with the extra arguments it is checked with.
fn directories() -> Vec<(String, Vec<&'static str>)> {
    let mut dirs: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir() && !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|d| {
            // The Guard fixtures' templates are checked with their rules; the rule files with
            // errors are the subject of tests/guard.rs.
            let args = if d == "guard" {
                vec!["--rules", "guard/rules"]
            } else {
                Vec::new()
            };
            let target = if d == "guard" {
                "guard/templates".to_string()
            } else {
                d
            };
            (target, args)
        })
        .collect()
}

/// `tripline check DIR --format FORMAT` run from `fixtures/` (so paths are relative and the
/// fixtures' config applies): standard output, after checking the exit code is 0 or 1.
fn check(dir: &str, extra: &[&str], format: &str) -> String {
    let out = Command::cargo_bin("tripline")
        .unwrap()
        .current_dir(fixtures())
        .env("NO_COLOR", "1")
        .args(["check", dir, "--color", "never", "--format", format])
        // SARIF paths are relative to the repository root, whether or not this is a git checkout.
        .arg("--root")
        .arg(env!("CARGO_MANIFEST_DIR"))
        .args(extra)
        .output()
        .unwrap();
    let code = out.status.code();
    assert!(
        matches!(code, Some(0 | 1)),
        "{dir}: exit {code:?}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 report")
}

fn snapshot_name(dir: &str) -> String {
    dir.replace('/', "-")
}

#[test]
fn human_reports() {
    for (dir, extra) in directories() {
        let text = check(&dir, &extra, "human");
        insta::assert_snapshot!(format!("{}-human", snapshot_name(&dir)), text);
    }
}

#[test]
fn sarif_results() {
    for (dir, extra) in directories() {
        let text = check(&dir, &extra, "sarif");
        let sarif: serde_json::Value = serde_json::from_str(&text).expect("SARIF is JSON");
        let results = &sarif["runs"][0]["results"];
        assert!(results.is_array(), "{dir}: no results array");
        let pretty = serde_json::to_string_pretty(results).unwrap();
        insta::assert_snapshot!(format!("{}-sarif", snapshot_name(&dir)), pretty);
    }
}
