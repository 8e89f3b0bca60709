//! `check --new-since REF` with the real binary in a real git repository: only findings that
//! were not there at REF are reported, from the top or a subdirectory, with the usual exit
//! status; the work tree and the index are left as they were; a bad revision is a clear error.

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use tempfile::TempDir;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.email=t@example.com", "-c", "user.name=t"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn check(dir: &Path, args: &[&str]) -> (i32, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tripline"))
        .args(["check", "--no-cache", "--format", "json"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let doc = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        out.status.code().unwrap(),
        doc,
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn policies(doc: &Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["policy"].as_str().unwrap(),
                f["path"].as_str().unwrap()
            )
        })
        .collect()
}

const BUCKET: &str = "Resources:\n  Data:\n    Type: AWS::S3::Bucket\n";
const TRAIL: &str = "  Trail:\n    Type: AWS::CloudTrail::Trail\n    Properties:\n      IsLogging: false\n      IsMultiRegionTrail: true\n      EnableLogFileValidation: true\n      KMSKeyId: k\n      CloudWatchLogsLogGroupArn: g\n      CloudWatchLogsRoleArn: r\n      S3BucketName: b\n";

#[test]
fn only_findings_new_since_the_revision_are_reported() {
    let dir = TempDir::new().unwrap();
    let repo = dir.path();
    git(repo, &["init", "-q"]);
    std::fs::create_dir_all(repo.join("infra")).unwrap();
    std::fs::write(repo.join("infra/app.yaml"), BUCKET).unwrap();
    std::fs::write(repo.join("infra/old.yaml"), BUCKET).unwrap();
    git(repo, &["add", "."]);
    git(repo, &["commit", "-qm", "base"]);
    let base = git(repo, &["rev-parse", "HEAD"]).trim().to_string();

    // The change: a trail that does not log, in an existing file (lines above the bucket
    // move) and a new file; the old file is untouched.
    std::fs::write(
        repo.join("infra/app.yaml"),
        format!("Description: more lines now\n{BUCKET}{TRAIL}"),
    )
    .unwrap();
    std::fs::write(repo.join("infra/new.yaml"), BUCKET).unwrap();
    git(repo, &["add", "infra/new.yaml"]);
    let status_before = git(repo, &["status", "--porcelain"]);

    let (code, doc, err) = check(repo, &["--new-since", &base, "infra"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        policies(&doc),
        ["LOG001 infra/app.yaml", "LOG009 infra/new.yaml"],
        "the moved bucket and the old file's are not new"
    );
    assert_eq!(doc["summary"]["baseline"]["known"], 2, "{doc}");
    assert_eq!(
        git(repo, &["status", "--porcelain"]),
        status_before,
        "work tree and index untouched"
    );

    // From a subdirectory, paths as given there, the same answer.
    let (code, doc, _) = check(&repo.join("infra"), &["--new-since", &base, "."]);
    assert_eq!(code, 1);
    assert_eq!(policies(&doc), ["LOG001 app.yaml", "LOG009 new.yaml"]);

    // Nothing new: exit 0.
    let (code, doc, _) = check(repo, &["--new-since", &base, "infra/old.yaml"]);
    assert_eq!(code, 0, "{doc}");
    assert!(policies(&doc).is_empty());
}

#[test]
fn a_revision_that_is_not_there_is_a_clear_error() {
    let dir = TempDir::new().unwrap();
    let repo = dir.path();
    git(repo, &["init", "-q"]);
    std::fs::write(repo.join("a.yaml"), BUCKET).unwrap();
    git(repo, &["add", "."]);
    git(repo, &["commit", "-qm", "base"]);
    let (code, _, err) = check(repo, &["--new-since", "no-such-branch", "."]);
    assert_eq!(code, 2);
    assert!(
        err.contains("`no-such-branch` is not a commit of this repository"),
        "{err}"
    );
    assert!(err.contains("fetch-depth: 0"), "{err}");

    let outside = TempDir::new().unwrap();
    std::fs::write(outside.path().join("a.yaml"), BUCKET).unwrap();
    let (code, _, err) = check(outside.path(), &["--new-since", "HEAD", "."]);
    assert_eq!(code, 2);
    assert!(err.contains("is not in a git repository"), "{err}");
}
