//! `--fix` edits a file, never replaces or guesses: it keeps the file's mode and owner, leaves
//! links, read-only files and hard-linked files alone with a note, applies edits only to the
//! bytes they were computed from, and writes only text that still loads. With the real binary
//! on real files.
#![cfg(unix)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use assert_cmd::Command;

/// A trail with three fixes: `IsLogging` false to true, two properties added.
const TRAIL: &str = "Resources:\n  Trail:\n    Type: AWS::CloudTrail::Trail\n    Properties:\n      IsLogging: false\n      S3BucketName: logs\n";

fn fix(dir: &Path, file: &str) -> (Option<i32>, String) {
    let out = Command::cargo_bin("tripline")
        .unwrap()
        .current_dir(dir)
        .args([
            "check",
            "--no-config",
            "--no-cache",
            "--fix",
            "--format",
            "json",
            file,
        ])
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8(out.stderr).unwrap())
}

fn mode(path: &Path) -> u32 {
    fs::symlink_metadata(path).unwrap().permissions().mode() & 0o7777
}

#[test]
fn a_fixed_file_keeps_its_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.yaml");
    fs::write(&path, TRAIL).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o754)).unwrap();
    let (_, stderr) = fix(dir.path(), "t.yaml");
    assert!(stderr.contains("fixed 3 findings in 1 file"), "{stderr}");
    assert!(
        fs::read_to_string(&path)
            .unwrap()
            .contains("IsLogging: true")
    );
    assert_eq!(mode(&path), 0o754);
}

#[test]
fn links_read_only_and_hard_linked_files_are_left_alone_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("target.yaml");
    fs::write(&target, TRAIL).unwrap();
    std::os::unix::fs::symlink(&target, d.join("link.yaml")).unwrap();
    fs::write(d.join("readonly.yaml"), TRAIL).unwrap();
    fs::set_permissions(d.join("readonly.yaml"), fs::Permissions::from_mode(0o444)).unwrap();
    fs::write(d.join("linked.yaml"), TRAIL).unwrap();
    fs::hard_link(
        d.join("linked.yaml"),
        outside.path().join("other-name.yaml"),
    )
    .unwrap();
    for (file, why) in [
        ("link.yaml", "symbolic link"),
        ("readonly.yaml", "read-only"),
        ("linked.yaml", "hard links"),
    ] {
        let (code, stderr) = fix(d, file);
        assert_eq!(code, Some(1), "{file}: the findings remain");
        assert!(
            stderr.contains(&format!("note: not fixed: {file}: ")) && stderr.contains(why),
            "{file}: {stderr}"
        );
        assert!(stderr.contains("fixed 0 findings in 0 files"), "{stderr}");
    }
    assert!(
        fs::symlink_metadata(d.join("link.yaml"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(fs::read_to_string(&target).unwrap(), TRAIL);
    assert_eq!(fs::read_to_string(d.join("readonly.yaml")).unwrap(), TRAIL);
    assert_eq!(mode(&d.join("readonly.yaml")), 0o444);
    assert_eq!(
        fs::read_to_string(outside.path().join("other-name.yaml")).unwrap(),
        TRAIL
    );
}

#[test]
fn crlf_files_stay_crlf() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.yaml");
    fs::write(&path, TRAIL.replace('\n', "\r\n")).unwrap();
    fix(dir.path(), "t.yaml");
    let fixed = fs::read_to_string(&path).unwrap();
    assert!(
        fixed.contains("EnableLogFileValidation: true\r\n"),
        "{fixed:?}"
    );
    assert_eq!(
        fixed.matches('\n').count(),
        fixed.matches("\r\n").count(),
        "{fixed:?}"
    );
}

#[test]
fn a_fix_that_cannot_be_written_exactly_is_left_out_and_the_result_always_loads() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A flow mapping over several lines: a block-style entry would break it.
    let flow = "Resources:\n  Trail:\n    Type: AWS::CloudTrail::Trail\n    Properties: {\n      IsLogging: false,\n      S3BucketName: logs\n    }\n";
    fs::write(d.join("flow.yaml"), flow).unwrap();
    // One mapping, anchored, shared by two trails: each trail's fixes are the same edits.
    let anchored = "Resources:\n  A:\n    Type: AWS::CloudTrail::Trail\n    Properties: &p\n      IsLogging: false\n      S3BucketName: logs\n  B:\n    Type: AWS::CloudTrail::Trail\n    Properties: *p\n";
    fs::write(d.join("anchored.yaml"), anchored).unwrap();
    fix(d, ".");
    for file in ["flow.yaml", "anchored.yaml"] {
        let text = fs::read_to_string(d.join(file)).unwrap();
        tripline::parse::load(&text, file, &tripline::parse::Limits::default())
            .unwrap_or_else(|e| panic!("{file} no longer loads: {}\n{text}", e.message));
        assert!(text.contains("IsLogging: true"), "{file}: {text}");
    }
    let anchored = fs::read_to_string(d.join("anchored.yaml")).unwrap();
    assert_eq!(
        anchored.matches("EnableLogFileValidation").count(),
        1,
        "{anchored}"
    );
    let flow = fs::read_to_string(d.join("flow.yaml")).unwrap();
    assert!(!flow.contains("EnableLogFileValidation"), "{flow}");
}

#[test]
fn fixes_apply_only_to_the_bytes_they_were_computed_from() {
    use tripline::engine::{Engine, EngineOptions, Selection};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.yaml");
    fs::write(&path, TRAIL).unwrap();
    let engine = Engine::new(
        tripline::policy::PolicySettings::default(),
        Selection::default(),
        EngineOptions::default(),
    );
    let report = engine.check_path(&path, path.to_str().unwrap());
    assert!(report.findings.iter().any(|f| f.fix.is_some()));
    // Changed during the run, to the same size: the edits no longer fit it.
    fs::write(&path, TRAIL.replace("IsLogging: false", "IsLogging: fALSE")).unwrap();
    let mut collector = tripline::fix::Collector::default();
    collector.add(&report);
    let (changes, not_fixed) = collector.changes();
    assert!(changes.is_empty());
    assert!(
        not_fixed[0].reason.contains("changed since it was checked"),
        "{not_fixed:?}"
    );
}

#[test]
fn init_keeps_the_mode_of_the_config_it_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tripline.toml");
    fs::write(&path, "# mine\n").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    let out = Command::cargo_bin("tripline")
        .unwrap()
        .current_dir(dir.path())
        .args(["init", "--force"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_ne!(fs::read_to_string(&path).unwrap(), "# mine\n");
    assert_eq!(mode(&path), 0o640);
}

/// `--fix` in `.tf` keeps `terraform fmt`'s alignment: attributes added to an aligned block
/// line up with it (all of them, when several are added, realigning the block when a new name
/// is the longest); a block that is not aligned stays as written.
#[test]
fn terraform_fixes_keep_the_alignment_of_equals() {
    let dir = tempfile::TempDir::new().unwrap();
    let before = "resource \"aws_cloudtrail\" \"a\" {\n  name           = \"a\"\n  s3_bucket_name = \"logs\"\n}\n\nresource \"aws_cloudtrail\" \"b\" {\n  name                          = \"b\"\n  s3_bucket_name                = \"logs\"\n  include_global_service_events = true\n  enable_logging                = false\n}\n\nresource \"aws_cloudtrail\" \"c\" {\n  name = \"c\"\n  s3_bucket_name = \"logs\"\n}\n";
    fs::write(dir.path().join("main.tf"), before).unwrap();
    let out = Command::cargo_bin("tripline")
        .unwrap()
        .current_dir(dir.path())
        .args([
            "check",
            "--no-config",
            "--no-cache",
            "--select",
            "LOG001",
            "--fix",
            "main.tf",
        ])
        .output()
        .unwrap();
    assert!(out.status.code().is_some(), "{out:?}");
    let after = fs::read_to_string(dir.path().join("main.tf")).unwrap();
    assert_eq!(
        after,
        "resource \"aws_cloudtrail\" \"a\" {\n  enable_log_file_validation = true\n  is_multi_region_trail      = true\n  name                       = \"a\"\n  s3_bucket_name             = \"logs\"\n}\n\nresource \"aws_cloudtrail\" \"b\" {\n  enable_log_file_validation    = true\n  is_multi_region_trail         = true\n  name                          = \"b\"\n  s3_bucket_name                = \"logs\"\n  include_global_service_events = true\n  enable_logging                = true\n}\n\nresource \"aws_cloudtrail\" \"c\" {\n  enable_log_file_validation = true\n  is_multi_region_trail = true\n  name = \"c\"\n  s3_bucket_name = \"logs\"\n}\n"
    );
}
