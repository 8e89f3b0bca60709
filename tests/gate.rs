//! A pull request cannot hide drift from the gate: hostile rule files, templates and Terraform
//! directories, with the real binary on real files. Each test is an attack that once crashed
//! the run (exit 134), hung it or read without bound, and must now end in a finding or a clear
//! error with its position.

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn tripline(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("tripline").unwrap();
    cmd.current_dir(dir).timeout(Duration::from_secs(120));
    cmd
}

/// `check --format parseable PATH` in `dir`, without config or cache: exit code and report.
fn parseable(dir: &Path, path: &str) -> (Option<i32>, String) {
    let out = tripline(dir)
        .args([
            "check",
            "--no-config",
            "--no-cache",
            "--format",
            "parseable",
            path,
        ])
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

/// Make a FIFO at `path` (a reader that opens it blocks until a writer does).
fn mkfifo(path: &Path) {
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(made.success(), "mkfifo {}", path.display());
}

/// A directory with a template that has findings and the rule file `rules`.
fn with_rules(rules: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo().join("fixtures/LOG001/fail.yaml"),
        dir.path().join("trail.yaml"),
    )
    .unwrap();
    std::fs::write(dir.path().join("rules.guard"), rules).unwrap();
    dir
}

/// Every command that reads rule files refuses one that would make Guard recurse without end:
/// exit 2 with `file:line`, never an abort.
fn assert_refused(rules: &str, line: u32, says: &str) {
    let dir = with_rules(rules);
    let d = dir.path();
    let runs: [&[&str]; 4] = [
        &[
            "check",
            "trail.yaml",
            "--no-cache",
            "--rules",
            "rules.guard",
        ],
        &["rules", "--rules", "rules.guard"],
        &["explain", "LOG001", "--rules", "rules.guard"],
        &[
            "test-rules",
            "--rules-file",
            "rules.guard",
            "--test-data",
            "trail.yaml",
        ],
    ];
    for args in runs {
        let out = tripline(d).args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(&format!("rules.guard:{line}:")) && stderr.contains(says),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn rules_that_depend_on_each_other_in_a_cycle_are_refused() {
    assert_refused(
        "rule a when b {\n  Resources exists\n}\n\nrule b when a {\n  Resources exists\n}\n",
        1,
        "a -> b -> a",
    );
    assert_refused(
        "rule ok {\n  Resources exists\n}\nrule me {\n  me\n}\n",
        4,
        "me -> me",
    );
    assert_refused(
        "let x = %y\nlet y = %x\nrule r {\n  %x exists\n}\n",
        1,
        "%x -> %y -> %x",
    );
}

#[test]
fn rules_nested_deeper_than_guard_can_recurse_are_refused() {
    let depth = 3000;
    let rules = format!(
        "rule deep {{\n{}z exists\n{}}}\n",
        "k {\n".repeat(depth),
        "}\n".repeat(depth)
    );
    assert_refused(&rules, 65, "nest more than 64 levels");
}

#[test]
fn a_rule_file_without_cycles_still_runs() {
    let dir = with_rules(
        "let trails = Resources.*[ Type == 'AWS::CloudTrail::Trail' ]\n\
         rule base when %trails !empty {\n  %trails.Type == 'AWS::CloudTrail::Trail'\n}\n\
         rule uses_base when base {\n  %trails.Properties.EnableLogFileValidation == true\n}\n",
    );
    let out = tripline(dir.path())
        .args([
            "check",
            "trail.yaml",
            "--no-cache",
            "--rules",
            "rules.guard",
        ])
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["policy"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"GUARD/rules/uses_base"), "{ids:?}");
}

#[test]
fn a_yaml_alias_bomb_by_scalar_size_is_a_finding() {
    // 1 MiB in one double-quoted scalar (escapes make the parser own a copy), aliased 20,000
    // times: 20 GB once expanded. It aborted the process.
    let dir = tempfile::tempdir().unwrap();
    let big = "a\\n".repeat(512 * 1024);
    let mut text = format!(
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Metadata:\n      Big: &big \"{big}\"\n      Copies:\n"
    );
    for _ in 0..20_000 {
        text.push_str("        - *big\n");
    }
    std::fs::write(dir.path().join("bomb.yaml"), text).unwrap();
    let out = tripline(dir.path())
        .args(["check", "bomb.yaml", "--no-cache", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = &doc["findings"][0];
    assert_eq!(f["policy"], "PARSE003");
    assert!(
        f["message"].as_str().unwrap().contains("MiB of text"),
        "{f}"
    );
}

/// The plan-source fixture whose registry module `terraform init` installed, with its
/// `modules.json` replaced by `plant`.
fn plan_with_modules_json(plant: impl FnOnce(&Path)) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&repo().join("fixtures/plan-source/root"), dir.path());
    let json = dir.path().join("infra/.terraform/modules/modules.json");
    std::fs::remove_file(&json).unwrap();
    plant(&json);
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target: PathBuf = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

#[test]
fn modules_json_is_read_only_when_it_is_a_regular_file() {
    let zero = plan_with_modules_json(|p| std::os::unix::fs::symlink("/dev/zero", p).unwrap());
    let fifo = plan_with_modules_json(mkfifo);
    for dir in [&zero, &fifo] {
        let out = tripline(dir.path())
            .args(["check", "--no-config", "--no-cache", "--format", "json"])
            .args(["--terraform-root", "infra", "plans/prod.json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        // Where the module is cannot be read: the finding stays in the plan.
        assert_eq!(doc["findings"][0]["path"], "plans/prod.json");
    }
}

#[test]
fn test_rules_that_would_test_nothing_is_an_error() {
    let dir = with_rules("rule r {\n  Resources exists\n}\n");
    let d = dir.path();
    std::fs::create_dir(d.join("empty")).unwrap();
    let fifo = d.join("fifo");
    mkfifo(&fifo);
    let runs: [Vec<&str>; 4] = [
        vec!["test-rules", "--dir", "empty"],
        vec![
            "test-rules",
            "--rules-file",
            "rules.guard",
            "--test-data",
            "/dev/null",
        ],
        vec![
            "test-rules",
            "--rules-file",
            "rules.guard",
            "--test-data",
            "empty",
        ],
        vec![
            "test-rules",
            "--rules-file",
            "rules.guard",
            "--test-data",
            "fifo",
        ],
    ];
    for args in runs {
        let out = tripline(d).args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            [
                "nothing to test",
                "not a regular file",
                "no .guard or .ruleset files"
            ]
            .iter()
            .any(|s| stderr.contains(s)),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn guard_rule_titles_are_escaped_for_the_terminal() {
    let dir = with_rules(
        "rule trail_logs when Resources exists {\n  Resources.*.Properties.IsLogging == true\n  <<\n    Violation: \x1b]0;pwned\x07\x1b[2Jtrails must log\r\n    Fix: turn logging on\x1b[31m\n  >>\n}\n",
    );
    let d = dir.path();
    for args in [
        vec!["rules", "--rules", "rules.guard"],
        vec![
            "explain",
            "GUARD/rules/trail_logs",
            "--rules",
            "rules.guard",
        ],
        vec![
            "check",
            "trail.yaml",
            "--no-cache",
            "--rules",
            "rules.guard",
            "--color",
            "never",
        ],
    ] {
        let out = tripline(d).args(&args).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("trails must log"), "{args:?}: {stdout}");
        assert!(
            !stdout.contains('\x1b') && !stdout.contains('\x07'),
            "{args:?}: raw control characters: {stdout:?}"
        );
    }
}

#[test]
fn junit_is_well_formed_xml_whatever_the_names() {
    let dir = tempfile::tempdir().unwrap();
    let name = "trail\u{FFFE}\u{FFFF}.yaml";
    std::fs::copy(
        repo().join("fixtures/LOG001/fail.yaml"),
        dir.path().join(name),
    )
    .unwrap();
    let out = tripline(dir.path())
        .args(["check", ".", "--no-cache", "--format", "junit"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let xml = String::from_utf8(out.stdout).unwrap();
    // XML 1.0's `Char` excludes U+FFFE and U+FFFF (quick-xml does not check it).
    assert!(!xml.contains('\u{FFFE}') && !xml.contains('\u{FFFF}'));
    let mut reader = quick_xml::Reader::from_str(&xml);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!(
                "not well-formed at {}: {e}\n{xml}",
                reader.buffer_position()
            ),
        }
    }
    assert!(xml.contains("\\u{fffe}\\u{ffff}"), "{xml}");
}

#[test]
fn a_policy_heredoc_that_is_not_json_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "resource \"aws_iam_policy\" \"bad\" {\n  name   = \"bad\"\n  policy = <<EOF\n{\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\",}\n  ]\n}\nEOF\n}\n\n\
         resource \"aws_iam_policy\" \"rendered\" {\n  name   = \"r\"\n  policy = <<EOF\n{\n  \"Statement\": [${local.statements}]\n}\nEOF\n}\n",
    )
    .unwrap();
    let (code, text) = parseable(dir.path(), "main.tf");
    assert_eq!(code, Some(1));
    // At the JSON error inside the heredoc; the one Terraform renders first is unknown here.
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.starts_with("main.tf:6:56: high PARSE001 this policy document is not valid JSON"),
        "{text}"
    );
}

#[test]
fn an_in_tree_link_to_a_template_is_skipped_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("tree")).unwrap();
    std::fs::copy(
        repo().join("fixtures/LOG001/fail.yaml"),
        d.join("secret.yaml"),
    )
    .unwrap();
    std::os::unix::fs::symlink("../secret.yaml", d.join("tree/link.yaml")).unwrap();
    let out = tripline(d)
        .args([
            "check",
            "--no-config",
            "--no-cache",
            "--format",
            "json",
            "tree",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("1 symbolic link to templates not followed: tree/link.yaml"),
        "{stderr}"
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["summary"]["skipped"], 1, "{doc}");
    let verbose = tripline(d)
        .args(["check", "--no-config", "--no-cache", "--verbose", "tree"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&verbose.stderr);
    assert!(
        stderr.contains("skipped tree/link.yaml: a symbolic link to `../secret.yaml`, not read"),
        "{stderr}"
    );
}

#[test]
fn reports_go_into_special_files_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::copy(repo().join("fixtures/LOG001/fail.yaml"), d.join("t.yaml")).unwrap();
    // `-o /dev/stdout`: the report on standard output (it failed as a normal user, who cannot
    // create the temporary file beside it in /dev).
    let out = tripline(d)
        .args(["check", "--no-config", "--no-cache", "--format", "json"])
        .args(["-o", "/dev/stdout", "t.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["findings"].as_array().is_some_and(|f| !f.is_empty()));
    // A FIFO stays a FIFO, and its reader gets the report (as root, a rename replaced the
    // special file with a regular one).
    for flag in ["-o", "--write-baseline"] {
        let fifo = d.join("fifo");
        let _ = std::fs::remove_file(&fifo);
        mkfifo(&fifo);
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
        };
        let out = tripline(d)
            .args([
                "check",
                "--no-config",
                "--no-cache",
                "--format",
                "json",
                flag,
                "fifo",
            ])
            .arg("t.yaml")
            .output()
            .unwrap();
        assert!(out.status.code().is_some_and(|c| c <= 1), "{flag}: {out:?}");
        let got = reader.join().unwrap();
        assert!(got.contains("LOG001"), "{flag}: {got}");
        use std::os::unix::fs::FileTypeExt;
        assert!(
            std::fs::symlink_metadata(&fifo)
                .unwrap()
                .file_type()
                .is_fifo(),
            "{flag}"
        );
    }
}

#[test]
fn a_config_cannot_name_rule_files_outside_its_repository() {
    let dir = tempfile::tempdir().unwrap();
    let repo_dir = dir.path().join("repo");
    std::fs::create_dir_all(repo_dir.join(".git")).unwrap();
    std::fs::create_dir_all(repo_dir.join("rules")).unwrap();
    std::fs::copy(
        repo().join("fixtures/LOG001/fail.yaml"),
        repo_dir.join("t.yaml"),
    )
    .unwrap();
    std::fs::write(
        repo_dir.join("rules/ok.guard"),
        "rule ok {\n  Resources exists\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("outside.guard"),
        "rule o {\n  Resources exists\n}\n",
    )
    .unwrap();
    for (rules, refused) in [
        ("\"/usr\"", true),
        ("\"../outside.guard\"", true),
        ("\"rules/../../outside.guard\"", true),
        ("\"rules\"", false),
    ] {
        std::fs::write(
            repo_dir.join("tripline.toml"),
            format!("rules = [{rules}]\n"),
        )
        .unwrap();
        let out = tripline(&repo_dir)
            .args(["check", "--no-cache", "t.yaml"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if refused {
            assert_eq!(out.status.code(), Some(2), "{rules}: {stderr}");
            assert!(
                stderr.contains("outside the repository"),
                "{rules}: {stderr}"
            );
        } else {
            assert_eq!(out.status.code(), Some(1), "{rules}: {stderr}");
        }
    }
    // On the command line, the user says where.
    std::fs::write(repo_dir.join("tripline.toml"), "").unwrap();
    let out = tripline(&repo_dir)
        .args([
            "check",
            "--no-cache",
            "--rules",
            "../outside.guard",
            "t.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_terraform_link_to_something_not_a_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("infra")).unwrap();
    std::fs::write(
        d.join("infra/main.tf"),
        "variable \"x\" {\n  default = 1\n}\n",
    )
    .unwrap();
    let fifo = d.join("pipe");
    mkfifo(&fifo);
    std::os::unix::fs::symlink(&fifo, d.join("infra/pipe.tf")).unwrap();
    std::os::unix::fs::symlink(d.join("nothing"), d.join("infra/dangling.tf")).unwrap();
    let (code, text) = parseable(d, "infra");
    assert_eq!(code, Some(1));
    for name in ["infra/dangling.tf", "infra/pipe.tf"] {
        assert!(
            text.contains(&format!(
                "{name}:1:1: high IO001 a link to something that is not"
            )),
            "{text}"
        );
    }
}
