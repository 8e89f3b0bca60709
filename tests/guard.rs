//! Users' Guard rules (`--rules`, `rules = [...]`) on the real binary: every failure at its line,
//! rule files validated at start, and Guard policies treated as built-in ones are (selection,
//! severities, suppressions, baselines, listing, explain, Guard's own rule tests).

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn guard_fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/guard")
}

fn tripline(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("tripline").unwrap();
    c.current_dir(dir);
    c
}

fn parseable(out: &std::process::Output) -> Vec<String> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| {
            // path:line:col: severity ID message -> path:line:col severity ID
            let mut parts = l.splitn(4, ' ');
            let at = parts.next().unwrap().trim_end_matches(':');
            let severity = parts.next().unwrap();
            let id = parts.next().unwrap();
            format!("{at} {severity} {id}")
        })
        .collect()
}

#[test]
fn every_failure_is_reported_at_its_line_in_every_format_guard_is_given() {
    let out = tripline(&guard_fixtures())
        .args([
            "check",
            "--no-config",
            "--rules",
            "rules",
            "--select",
            "GUARD,EVAL",
        ])
        .args(["--format", "parseable", "templates"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        parseable(&out),
        [
            // Terraform plan JSON: the planned value.
            "templates/plan.json:17:36 medium GUARD/trails/plan_trail_multi_region",
            // HCL, handed to Guard as the *.tf.json-shaped tree, mapped back to the .tf line.
            "templates/tf/main.tf:4:27 medium GUARD/trails/config_trail_multi_region",
            // CloudFormation JSON.
            "templates/trail.json:8:36 medium GUARD/trails/trail_log_file_validation",
            "templates/trail.tf.json:7:34 medium GUARD/trails/config_trail_multi_region",
            // A missing property: where Guard's query stopped (`Properties:` of a logical ID
            // with a `/` in it).
            "templates/trail.yaml:5:5 medium GUARD/trails/trail_log_file_validation",
            // The severity comment of the rule.
            "templates/trail.yaml:7:27 high GUARD/trails/trail_multi_region",
            "templates/trail.yaml:9:3 critical GUARD/buckets/no_public_read_buckets",
            "templates/trail.yaml:11:5 medium GUARD/buckets/bucket_logging",
        ]
    );
    let text = String::from_utf8(out.stdout).unwrap();
    // The custom message, without its `Violation:` label, and Guard's clause.
    assert!(
        text.contains("GUARD/trails/trail_multi_region a trail must record every Region (`%trails[*].Properties.IsMultiRegionTrail EQUALS true` fails: the value here is false)"),
        "{text}"
    );
    assert!(
        text.contains("`LoggingConfiguration.DestinationBucketName` is missing here"),
        "{text}"
    );
    // The suppressed finding (Metadata.tripline.ignore) and the clean template report nothing.
    assert!(!text.contains("suppressed.yaml") && !text.contains("clean.yaml"));
}

#[test]
fn json_names_the_resource_and_the_custom_family() {
    let out = tripline(&guard_fixtures())
        .args([
            "check",
            "--no-config",
            "--rules",
            "rules/trails.guard",
            "--select",
            "GUARD",
        ])
        .args(["--format", "json", "templates/trail.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = doc["findings"].as_array().unwrap();
    let multi = findings
        .iter()
        .find(|f| f["policy"] == "GUARD/trails/trail_multi_region")
        .unwrap();
    assert_eq!(multi["resource"], "Audit/Trail");
    assert_eq!(multi["family"], "custom");
    assert_eq!(multi["title"], "a trail must record every Region");
    assert_eq!(multi["snippet"], "      IsMultiRegionTrail: false");
}

#[test]
fn rule_files_are_validated_before_anything_is_checked() {
    let dir = guard_fixtures();
    let cases = [
        (
            "bad/syntax.guard",
            "bad/syntax.guard:7:16: invalid Guard rule file: expecting",
        ),
        (
            "bad/unknown-variable.guard",
            "Could not resolve variable by name nowhere",
        ),
        (
            "bad/severity.guard",
            "bad/severity.guard:1:1: invalid Guard rule file: `tripline:severity urgent`",
        ),
        (
            "bad/missing.guard",
            "cannot read Guard rules bad/missing.guard",
        ),
        ("templates", "templates: no .guard or .ruleset files"),
    ];
    for (rules, expected) in cases {
        let out = tripline(&dir)
            .args([
                "check",
                "--no-config",
                "--rules",
                rules,
                "templates/clean.yaml",
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{rules}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expected), "{rules}: {err}");
        assert!(out.stdout.is_empty(), "{rules}: nothing is checked");
    }
}

#[test]
fn a_template_deeper_than_the_limits_never_reaches_guard() {
    let dir = tempfile::TempDir::new().unwrap();
    let deep = format!(
        "Resources:\n  A:\n    Type: AWS::S3::Bucket\n    Properties:\n      X: {}{}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    std::fs::write(dir.path().join("deep.yaml"), deep).unwrap();
    let rules = guard_fixtures().join("rules");
    let out = tripline(dir.path())
        .args(["check", "--no-config", "--format", "parseable", "--rules"])
        .arg(&rules)
        .arg("deep.yaml")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(parseable(&out), ["deep.yaml:5:134 high PARSE003"]);
}

#[test]
fn config_rules_severities_selection_and_baselines() {
    let dir = tempfile::TempDir::new().unwrap();
    let root = dir.path();
    let fixtures = guard_fixtures();
    std::fs::create_dir_all(root.join("policy")).unwrap();
    std::fs::copy(
        fixtures.join("rules/trails.guard"),
        root.join("policy/trails.guard"),
    )
    .unwrap();
    std::fs::copy(
        fixtures.join("templates/trail.yaml"),
        root.join("trail.yaml"),
    )
    .unwrap();
    std::fs::write(
        root.join("tripline.toml"),
        "rules = [\"policy\"]\nselect = [\"custom\"]\n[guard.severity]\n\"GUARD/trails\" = \"low\"\n\"GUARD/trails/trail_multi_region\" = \"critical\"\n",
    )
    .unwrap();
    let out = tripline(root)
        .args(["check", "--format", "parseable", "trail.yaml"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The longest matching key wins; the config's own rules are the only custom ones.
    assert_eq!(
        parseable(&out),
        [
            "trail.yaml:5:5 low GUARD/trails/trail_log_file_validation",
            "trail.yaml:7:27 critical GUARD/trails/trail_multi_region",
        ]
    );
    // --ignore by rule ID, and a baseline that accepts what is there.
    let out = tripline(root)
        .args([
            "check",
            "--format",
            "parseable",
            "--ignore",
            "GUARD/trails/trail_multi_region",
            "trail.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(
        parseable(&out),
        ["trail.yaml:5:5 low GUARD/trails/trail_log_file_validation"]
    );
    tripline(root)
        .args(["check", "--write-baseline", "baseline.json", "trail.yaml"])
        .assert()
        .code(0);
    tripline(root)
        .args(["check", "--baseline", "baseline.json", "trail.yaml"])
        .assert()
        .code(0);
}

#[test]
fn rules_lists_and_explain_prints_the_rule() {
    let dir = guard_fixtures();
    let out = tripline(&dir)
        .args(["rules", "--rules", "rules"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("GUARD/trails/trail_multi_region"))
        .unwrap();
    assert!(
        line.contains("custom")
            && line.contains("high")
            && line.ends_with("a trail must record every Region"),
        "{line}"
    );
    assert!(text.contains("GUARD/buckets/no_public_read_buckets"));

    let out = tripline(&dir)
        .args([
            "explain",
            "--rules",
            "rules",
            "GUARD/trails/trail_multi_region",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("rule: rules/trails.guard:8"), "{text}");
    assert!(
        text.contains("rule trail_multi_region when %trails !empty {"),
        "{text}"
    );
}

#[test]
fn test_rules_runs_guards_own_rule_tests_with_its_exit_codes() {
    let dir = guard_fixtures();
    let out = tripline(&dir)
        .args([
            "test-rules",
            "--rules-file",
            "rules/trails.guard",
            "--test-data",
            "tests/trails_tests.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("trail_multi_region: Expected = FAIL"));
    let out = tripline(&dir)
        .args([
            "test-rules",
            "--rules-file",
            "rules/trails.guard",
            "--test-data",
            "bad/wrong_expectation_tests.yaml",
        ])
        .output()
        .unwrap();
    // As `cfn-guard test`: 7 when an expectation is not met.
    assert_eq!(out.status.code(), Some(7));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Expected = FAIL, Evaluated = [PASS]"));
}

#[test]
fn the_same_findings_at_any_thread_count() {
    let dir = guard_fixtures();
    let run = |threads: &str| {
        tripline(&dir)
            .args([
                "check",
                "--no-config",
                "--rules",
                "rules",
                "--format",
                "json",
                "-j",
                threads,
                "templates",
            ])
            .output()
            .unwrap()
            .stdout
    };
    assert_eq!(run("1"), run("4"));
}
