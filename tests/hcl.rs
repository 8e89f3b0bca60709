//! Terraform native syntax with the real binary on real files: a directory is one
//! configuration, findings land in the file that holds the offending text, syntax errors carry
//! HCL's position, comment suppressions work like `Metadata` ones, and output is the same at
//! any thread count.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use tempfile::TempDir;

fn tripline() -> Command {
    let mut cmd = Command::cargo_bin("tripline").unwrap();
    cmd.env_remove("RUST_LOG");
    cmd
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn parseable(dir: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let out = tripline()
        .current_dir(dir)
        .args(["check", "--no-config", "--format", "parseable"])
        .args(extra)
        .arg(".")
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

#[test]
fn a_directory_is_one_configuration_and_findings_stay_where_their_text_is() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    // Two configurations side by side; each sees only its own directory.
    write(
        root,
        "prod/main.tf",
        "resource \"aws_iam_role\" \"auditor\" {\n  assume_role_policy = data.aws_iam_policy_document.trust.json\n}\n",
    );
    write(
        root,
        "prod/trust.tf",
        "data \"aws_iam_policy_document\" \"trust\" {\n  statement {\n    actions = [\"sts:AssumeRole\"]\n    principals {\n      type        = \"AWS\"\n      identifiers = [\"arn:aws:iam::${var.account}:root\"]\n    }\n  }\n}\n",
    );
    write(
        root,
        "prod/variables.tf",
        "variable \"account\" {\n  default = \"111122223333\"\n}\n",
    );
    write(
        root,
        "dev/main.tf",
        "resource \"aws_iam_role\" \"auditor\" {\n  assume_role_policy = data.aws_iam_policy_document.trust.json\n}\n",
    );
    let (code, out) = parseable(root, &["--select", "ROOT001"]);
    assert_eq!(code, Some(1), "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1, "{out}");
    // Reported once, at the principal in trust.tf, with the account the variable gives.
    assert!(
        lines[0].starts_with("prod/trust.tf:6:22: critical ROOT001"),
        "{out}"
    );
    assert!(lines[0].contains("the account from `var.account`"), "{out}");
}

#[test]
fn syntax_errors_name_the_file_and_position_and_other_files_are_still_checked() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    write(
        root,
        "a/broken.tf",
        "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \n}\n",
    );
    write(
        root,
        "a/ok.tf",
        "resource \"aws_s3_bucket\" \"c\" {\n  bucket = \"c\"\n}\n",
    );
    let (code, out) = parseable(root, &["--select", "PARSE001,LOG009"]);
    assert_eq!(code, Some(1));
    assert!(
        out.contains("a/broken.tf:2:12: high PARSE001 HCL: invalid expression"),
        "{out}"
    );
    assert!(out.contains("a/ok.tf:1:26: low LOG009"), "{out}");
}

#[test]
fn comment_suppressions_suppress_and_unused_ones_are_reported() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    write(
        root,
        "main.tf",
        "# tripline:ignore LOG009 the access-log bucket itself\nresource \"aws_s3_bucket\" \"logs\" {\n  bucket = \"logs\"\n}\n\n# tripline:ignore LOG001 nothing to suppress here\nresource \"aws_s3_bucket\" \"data\" {\n  bucket = \"data\"\n}\n",
    );
    let (code, out) = parseable(root, &["--select", "LOG001,LOG009,SUPP001"]);
    assert_eq!(code, Some(1));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("main.tf:6:19: low SUPP001"), "{out}");
    assert!(lines[1].starts_with("main.tf:7:26: low LOG009"), "{out}");
}

#[test]
fn output_is_byte_identical_at_any_thread_count() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let run = |threads: &str| {
        tripline()
            .args(["check", "--format", "json", "--threads", threads])
            .arg(&corpus)
            .output()
            .unwrap()
            .stdout
    };
    let one = run("1");
    assert!(
        String::from_utf8_lossy(&one).contains("/tf/"),
        "the .tf fixtures are checked"
    );
    assert_eq!(one, run("2"));
    assert_eq!(one, run("8"));
}

/// A directory whose files declare the same resource twice is not a configuration Terraform
/// accepts, but a collection of separate examples (a test suite's positive and negative
/// cases): each file is checked alone, so one example's logging does not excuse another's
/// bucket of the same name.
#[test]
fn files_that_redeclare_a_resource_are_checked_one_by_one() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    write(
        root,
        "positive1.tf",
        "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"b\"\n}\n",
    );
    write(
        root,
        "negative1.tf",
        "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"b\"\n}\n\nresource \"aws_s3_bucket_logging\" \"b\" {\n  bucket        = aws_s3_bucket.b.id\n  target_bucket = \"logs\"\n}\n",
    );
    let (code, out) = parseable(root, &["--select", "LOG009"]);
    assert_eq!(code, Some(1), "{out}");
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            "positive1.tf:1:26: low LOG009 bucket `aws_s3_bucket.b` has no server access logging, so requests to it leave no record"
        ],
        "{out}"
    );
}

/// OpenTofu reads `x.tofu` instead of `x.tf` when both exist: the directory's configuration
/// is the `.tofu` file with the others (its variable defaults resolve the trust policy), and
/// `x.tf`, which OpenTofu ignores, does not make the directory two configurations.
#[test]
fn a_tofu_file_replaces_the_tf_file_of_the_same_name() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    let role = "resource \"aws_iam_role\" \"auditor\" {\n  assume_role_policy = data.aws_iam_policy_document.trust.json\n}\n";
    write(root, "main.tf", role);
    write(root, "main.tofu", role);
    write(
        root,
        "trust.tf",
        "data \"aws_iam_policy_document\" \"trust\" {\n  statement {\n    actions = [\"sts:AssumeRole\"]\n    principals {\n      type        = \"AWS\"\n      identifiers = [\"arn:aws:iam::${var.account}:root\"]\n    }\n  }\n}\n",
    );
    write(
        root,
        "variables.tf",
        "variable \"account\" {\n  default = \"111122223333\"\n}\n",
    );
    let (code, out) = parseable(root, &["--select", "ROOT001"]);
    assert_eq!(code, Some(1), "{out}");
    let lines: Vec<&str> = out.lines().collect();
    // Found through the one configuration (main.tofu + trust.tf + variables.tf): once, at the
    // principal, with the variable's account.
    assert_eq!(lines.len(), 1, "{out}");
    assert!(
        lines[0].starts_with("trust.tf:6:22: critical ROOT001"),
        "{out}"
    );
    assert!(lines[0].contains("the account from `var.account`"), "{out}");
}
