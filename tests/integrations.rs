//! The pre-commit hook and the GitHub Action, as their hosts run them.

use std::path::Path;
use std::process::Command;

use tripline::parse::{Limits, yaml};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Run the hook's `entry` on the staged files of a real git repository, the way pre-commit
/// does: the entry's words, then the file names.
fn run_hook(dir: &Path) -> std::process::Output {
    let text = std::fs::read_to_string(repo().join(".pre-commit-hooks.yaml")).unwrap();
    let root = yaml::parse(&text, &Limits::default()).unwrap().root;
    let hook = &root.items()[0];
    assert_eq!(hook.get("id").and_then(|n| n.as_str()), Some("tripline"));
    // pre-commit installs the hook with pip (the wheel's binary); `.ci/distribution` runs the
    // real pre-commit on it.
    assert_eq!(
        hook.get("language").and_then(|n| n.as_str()),
        Some("python")
    );
    let entry: Vec<&str> = hook
        .get("entry")
        .and_then(|n| n.as_str())
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(entry[0], "tripline");
    // The hook's `files` filter: `(?i)\.(ext|ext|...)$`, `ya?ml` for both YAML spellings.
    let pattern = hook.get("files").and_then(|n| n.as_str()).unwrap();
    let alternatives = pattern
        .strip_prefix("(?i)\\.(")
        .and_then(|p| p.strip_suffix(")$"))
        .unwrap_or_else(|| panic!("unexpected filter {pattern}"));
    let extensions: Vec<String> = alternatives
        .split('|')
        .flat_map(|a| match a {
            "ya?ml" => vec!["yaml".to_string(), "yml".to_string()],
            other => vec![other.to_string()],
        })
        .collect();
    let staged = git(
        dir,
        &["diff", "--cached", "--name-only", "--diff-filter=ACMR"],
    );
    let files: Vec<&str> = staged
        .lines()
        .filter(|f| {
            let ext = f.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
            extensions.contains(&ext)
        })
        .collect();
    Command::new(env!("CARGO_BIN_EXE_tripline"))
        .args(&entry[1..])
        .args(&files)
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
fn pre_commit_hook_checks_the_staged_templates() {
    let dir = tempfile::TempDir::new().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    std::fs::write(
        d.join("ok.yaml"),
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n",
    )
    .unwrap();
    std::fs::write(d.join("workflow.yml"), "on: push\njobs: {}\n").unwrap();
    std::fs::write(d.join("README.md"), "# not a template\n").unwrap();
    git(d, &["add", "ok.yaml", "workflow.yml", "README.md"]);
    let out = run_hook(d);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // A staged template with drift fails the commit, and only the finding is printed.
    std::fs::write(d.join("trail.json"), r#"{"Resources": {"T": {"Type": "AWS::CloudTrail::Trail", "Properties": {"IsLogging": false, "S3BucketName": "b"}}}}"#).unwrap();
    // An unstaged broken file is not the hook's business.
    std::fs::write(d.join("wip.yaml"), "Resources: [\n").unwrap();
    git(d, &["add", "trail.json"]);
    let out = run_hook(d);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("trail.json:1:"), "{stdout}");
    assert!(!stdout.contains("wip.yaml"));
    assert!(
        !stdout.contains("templates checked"),
        "--quiet leaves out the summary"
    );
    // ... but says what to do next, in at most three lines, naming the policy.
    let stderr = String::from_utf8(out.stderr).unwrap();
    let advice: Vec<&str> = stderr.lines().collect();
    assert!(advice.len() <= 3, "{stderr}");
    assert!(
        advice[0] == "tripline: 5 of 5 findings fail (3 high, 2 medium); `--fix` fixes 1",
        "{stderr}"
    );
    assert!(
        stderr.contains("`# tripline:ignore LOG001 <reason>`"),
        "{stderr}"
    );
    assert!(stderr.contains("`--fail-on high`"), "{stderr}");
}

/// The hook's threshold is medium: a low finding is shown without blocking; an OpenTofu file
/// and a `.tfvars` reach it.
#[test]
fn pre_commit_hook_blocks_from_medium_and_sees_opentofu() {
    let dir = tempfile::TempDir::new().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    std::fs::write(
        d.join("bucket.yaml"),
        "Resources:\n  Data:\n    Type: AWS::S3::Bucket\n",
    )
    .unwrap();
    git(d, &["add", "bucket.yaml"]);
    let out = run_hook(d);
    assert_eq!(out.status.code(), Some(0), "a low finding does not block");
    assert!(String::from_utf8_lossy(&out.stdout).contains("LOG009"));
    assert!(out.stderr.is_empty(), "no advice when nothing fails");

    std::fs::create_dir(d.join("infra")).unwrap();
    std::fs::write(
        d.join("infra/main.tofu"),
        "variable \"logging\" {}\nresource \"aws_cloudtrail\" \"t\" {\n  name = \"t\"\n  s3_bucket_name = \"b\"\n  enable_logging = var.logging\n}\n",
    )
    .unwrap();
    std::fs::write(d.join("infra/prod.auto.tfvars"), "logging = false\n").unwrap();
    git(d, &["add", "infra/prod.auto.tfvars"]);
    let out = run_hook(d);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("infra/main.tofu") && stdout.contains("LOG001"),
        "{stdout}"
    );
}

#[test]
fn action_is_a_composite_action_that_uploads_sarif() {
    let text = std::fs::read_to_string(repo().join("action.yml")).unwrap();
    let root = yaml::parse(&text, &Limits::default()).unwrap().root;
    assert_eq!(
        root.at(&["runs", "using"]).and_then(|n| n.as_str()),
        Some("composite")
    );
    let steps = root.at(&["runs", "steps"]).unwrap().items();
    let uses: Vec<&str> = steps
        .iter()
        .filter_map(|s| s.get("uses").and_then(|n| n.as_str()))
        .collect();
    assert!(
        uses.iter()
            .any(|u| u.starts_with("github/codeql-action/upload-sarif@"))
    );
    let script: String = steps
        .iter()
        .filter_map(|s| s.get("run").and_then(|n| n.as_str()))
        .collect();
    assert!(script.contains("--format sarif"));
    // Inputs are passed through the environment, never interpolated into scripts.
    assert!(!script.contains("${{"), "{script}");
    assert!(script.contains("markdown=") && script.contains("GITHUB_STEP_SUMMARY"));
    assert!(
        script.contains("install.sh"),
        "installs a release binary first"
    );
    for input in [
        "version",
        "path",
        "args",
        "sarif-file",
        "upload-sarif",
        "summary",
        "fail",
    ] {
        assert!(root.at(&["inputs", input]).is_some(), "input {input}");
    }
    // The project's own workflow runs the action on the fixtures.
    let wf = std::fs::read_to_string(repo().join(".github/workflows/ci.yml")).unwrap();
    let wf = yaml::parse(&wf, &Limits::default()).unwrap().root;
    let scan = wf.at(&["jobs", "scan", "steps"]).unwrap().items();
    assert!(
        scan.iter()
            .any(|s| s.get("uses").and_then(|n| n.as_str()) == Some("./")
                && s.at(&["with", "path"]).and_then(|n| n.as_str()) == Some("fixtures/"))
    );
}

/// The Action's check step, as GitHub runs it: its script under bash, inputs in the
/// environment, `bin_dir` holding the `tripline` it runs. Returns the step's exit code, its
/// standard output, what it wrote to `$GITHUB_OUTPUT` and to the job summary.
fn run_check_step(
    dir: &Path,
    bin_dir: &Path,
    paths: &str,
) -> (Option<i32>, String, String, String) {
    let text = std::fs::read_to_string(repo().join("action.yml")).unwrap();
    let root = yaml::parse(&text, &Limits::default()).unwrap().root;
    let step = root
        .at(&["runs", "steps"])
        .unwrap()
        .items()
        .iter()
        .find(|s| s.get("id").and_then(|n| n.as_str()) == Some("check"))
        .expect("a step with id: check");
    let script = step
        .get("run")
        .and_then(|n| n.as_str())
        .unwrap()
        .to_string();
    let temp = dir.join("runner-temp");
    std::fs::create_dir_all(&temp).unwrap();
    let (output, summary) = (temp.join("output"), temp.join("summary"));
    let out = Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &script])
        .current_dir(dir)
        .env("TRIPLINE_PATHS", paths)
        .env("TRIPLINE_ARGS", "--no-cache")
        .env("TRIPLINE_SARIF", "tripline.sarif")
        .env("TRIPLINE_SUMMARY", "true")
        .env("TRIPLINE_BIN_DIR", bin_dir)
        .env("RUNNER_TEMP", &temp)
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        read(&output),
        read(&summary),
    )
}

/// A `tripline` for the check step: a script that records each call and then runs `body`.
fn fake_tripline(bin_dir: &Path, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(bin_dir).unwrap();
    let path = bin_dir.join("tripline");
    let calls = bin_dir.join("calls");
    std::fs::write(
        &path,
        format!("#!/bin/sh\necho call >> '{}'\n{body}\n", calls.display()),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn action_runs_the_check_once_and_renders_every_report_from_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("templates")).unwrap();
    std::fs::copy(
        repo().join("fixtures/LOG001/fail.yaml"),
        d.join("templates/trail.yaml"),
    )
    .unwrap();
    let bin_dir = d.join("bin");
    let real = env!("CARGO_BIN_EXE_tripline");
    fake_tripline(&bin_dir, &format!("exec '{real}' \"$@\""));
    let (code, stdout, output, summary) = run_check_step(d, &bin_dir, "templates");
    // Findings do not fail this step: the "Fail on findings" step does, after the upload.
    assert_eq!(code, Some(0), "{stdout}");
    assert_eq!(output.trim(), "exit-code=1");
    let calls = std::fs::read_to_string(bin_dir.join("calls")).unwrap();
    assert_eq!(calls.lines().count(), 1, "one run of tripline");
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("tripline.sarif")).unwrap()).unwrap();
    assert!(!sarif["runs"][0]["results"].as_array().unwrap().is_empty());
    assert!(
        stdout.contains("::error") && stdout.contains("LOG001"),
        "{stdout}"
    );
    assert!(summary.contains("LOG001"), "{summary}");
}

#[test]
fn action_fails_when_tripline_crashes_or_writes_no_sarif() {
    for (body, why) in [
        ("kill -ABRT $$", "killed by a signal (134)"),
        ("exit 101", "a panic"),
        ("exit 2", "an error"),
        ("exit 0", "clean, but no SARIF"),
        ("exit 1", "findings, but no SARIF"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // A SARIF report left by an earlier step must not pass for this run's.
        std::fs::write(d.join("tripline.sarif"), "{\"runs\": []}").unwrap();
        let bin_dir = d.join("bin");
        fake_tripline(&bin_dir, body);
        let (code, stdout, output, _) = run_check_step(d, &bin_dir, ".");
        assert_ne!(code, Some(0), "{why}: the step passed\n{stdout}");
        assert!(output.starts_with("exit-code="), "{why}: {output}");
    }
}

/// Every third-party action in the action and the workflows is pinned by a full commit SHA.
#[test]
fn third_party_actions_are_pinned_by_commit() {
    let mut files = vec![repo().join("action.yml")];
    for e in std::fs::read_dir(repo().join(".github/workflows")).unwrap() {
        files.push(e.unwrap().path());
    }
    let mut checked = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for line in text.lines() {
            let Some(rest) = line
                .trim_start()
                .trim_start_matches("- ")
                .strip_prefix("uses:")
            else {
                continue;
            };
            let target = rest.trim();
            if target.starts_with("./") {
                continue;
            }
            let sha = target.rsplit('@').next().unwrap();
            assert!(
                sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
                "{}: `{target}` is not pinned by a commit SHA",
                file.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "{checked}");
}

/// The action's installer, against a release served from disk: a good checksum installs the
/// binary, a tampered archive is refused (never run, never a fallback), and a branch, a
/// missing asset or an unknown runner fall back to building from source.
#[test]
fn action_installer_verifies_checksums() {
    let dir = tempfile::TempDir::new().unwrap();
    let d = dir.path();
    let release = d.join("releases/v9.9.9");
    std::fs::create_dir_all(release.join("pkg")).unwrap();
    std::fs::write(
        release.join("pkg/tripline"),
        "#!/bin/sh\necho fake tripline\n",
    )
    .unwrap();
    let asset = "tripline-v9.9.9-x86_64-unknown-linux-musl.tar.gz";
    let pack = || {
        let tar = Command::new("tar")
            .args(["-czf", asset, "pkg"])
            .current_dir(&release)
            .status()
            .unwrap();
        assert!(tar.success());
    };
    pack();
    let sum = Command::new("sha256sum")
        .arg(asset)
        .current_dir(&release)
        .output()
        .unwrap();
    std::fs::write(release.join(format!("{asset}.sha256")), &sum.stdout).unwrap();

    let install = |version: &str, os: &str, arch: &str| {
        let dest = d.join(format!("dest-{version}-{os}-{arch}"));
        let output = d.join(format!("out-{version}-{os}-{arch}"));
        let out = Command::new("bash")
            .arg(repo().join(".github/actions/install.sh"))
            .env("TRIPLINE_VERSION", version)
            .env("TRIPLINE_DEST", &dest)
            .env(
                "TRIPLINE_RELEASE_BASE",
                format!("file://{}", d.join("releases").display()),
            )
            .env("RUNNER_OS", os)
            .env("RUNNER_ARCH", arch)
            .env("GITHUB_OUTPUT", &output)
            .output()
            .unwrap();
        let written = std::fs::read_to_string(&output).unwrap_or_default();
        (out, written, dest)
    };

    let (out, written, dest) = install("v9.9.9", "Linux", "X64");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(written.trim(), "installed=true");
    assert!(
        std::fs::read_to_string(dest.join("bin/tripline"))
            .unwrap()
            .contains("fake tripline")
    );

    for (version, os, arch) in [
        ("main", "Linux", "X64"),
        ("v9.9.9", "Linux", "S390X"),
        ("v9.9.9", "macOS", "ARM64"),
    ] {
        let (out, written, dest) = install(version, os, arch);
        assert!(out.status.success(), "{version} {os} {arch}");
        assert_eq!(written.trim(), "installed=false", "{version} {os} {arch}");
        assert!(!dest.join("bin/tripline").exists());
    }

    // Tampered: the archive changes after its checksum was published.
    std::fs::remove_dir_all(&dest).unwrap();
    std::fs::remove_file(d.join("out-v9.9.9-Linux-X64")).unwrap();
    std::fs::write(release.join("pkg/tripline"), "#!/bin/sh\necho evil\n").unwrap();
    pack();
    let (out, written, dest) = install("v9.9.9", "Linux", "X64");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("::error") && stdout.contains("does not match its published SHA-256"),
        "{stdout}"
    );
    assert!(!written.contains("installed="), "{written}");
    assert!(!dest.join("bin/tripline").exists());
}
