//! CDK apps: the synthesized cloud assembly is checked even though git ignores it, findings
//! name the construct, generated templates are never fixed, and an app never synthesized is
//! named with how to synthesize it.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use tempfile::TempDir;

/// A copy of fixtures/cdk (a real app synthesized by aws-cdk-lib, its `cdk.out` git-ignored).
fn app() -> TempDir {
    let dir = TempDir::new().unwrap();
    copy(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/cdk"),
        dir.path(),
    );
    dir
}

fn copy(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy(&e.path(), &target);
        } else {
            fs::copy(e.path(), target).unwrap();
        }
    }
}

fn tripline(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("tripline")
        .unwrap()
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(["check", "--no-config", "--no-cache"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn a_git_ignored_assembly_is_checked_and_findings_name_the_construct() {
    let dir = app();
    let (code, out, err) = tripline(
        dir.path(),
        &["--format", "parseable", "--select", "LOG001", "."],
    );
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        out,
        "app/cdk.out/AuditStack.template.json:111:27: high LOG001 trail `OrgTrail00859FAE` \
         (construct `AuditStack/OrgTrail`) is not multi-Region, so activity in other Regions goes \
         unrecorded (IsMultiRegionTrail is false)\n\
         app/cdk.out/assembly-Prod/ProdAuditStack9085D812.template.json:111:27: high LOG001 trail \
         `OrgTrail00859FAE` (construct `Prod/AuditStack/OrgTrail`) is not multi-Region, so \
         activity in other Regions goes unrecorded (IsMultiRegionTrail is false)\n"
    );
    assert!(
        err.contains("note: CDK app app/cdk.json: 2 stack templates in app/cdk.out checked"),
        "{err}"
    );
    // An app never synthesized says how to synthesize it.
    assert!(
        err.contains(
            "note: CDK app unsynthesized/cdk.json has not been synthesized (no \
             unsynthesized/build/assembly/manifest.json): run `cdk synth` there"
        ),
        "{err}"
    );
    // Named alone, the app directory gives the same findings.
    let (_, alone, _) = tripline(
        &dir.path().join("app"),
        &["--format", "parseable", "--select", "LOG001", "."],
    );
    assert_eq!(alone.lines().count(), 2, "{alone}");
    // `--exclude` still excludes the assembly.
    let (code, out, _) = tripline(
        dir.path(),
        &[
            "--format",
            "parseable",
            "--select",
            "LOG001",
            "--exclude",
            "**/cdk.out",
            ".",
        ],
    );
    assert_eq!((code, out.as_str()), (0, ""));
}

#[test]
fn generated_templates_are_never_fixed() {
    let dir = app();
    let template = dir.path().join("app/cdk.out/AuditStack.template.json");
    let before = fs::read_to_string(&template).unwrap();
    let (_, _, err) = tripline(dir.path(), &["--fix", "--select", "LOG001", "."]);
    assert_eq!(fs::read_to_string(&template).unwrap(), before);
    assert!(
        err.contains(
            "not fixed: app/cdk.out/AuditStack.template.json: synthesized by the CDK (a cloud \
             assembly): generated templates are never edited; make the change in the CDK code \
             (AuditStack/OrgTrail: Set `IsMultiRegionTrail` to true)"
        ),
        "{err}"
    );
}
