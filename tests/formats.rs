//! Machine formats on the real binary: SARIF validated against the official SARIF 2.1.0 schema,
//! JUnit XML parsed, GitHub annotations and parseable lines checked field by field.

use std::path::{Path, PathBuf};
use std::process::Command as Std;

use assert_cmd::Command;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn run(format: &str, path: &Path) -> Vec<u8> {
    run_with(format, path, &[])
}

fn run_with(format: &str, path: &Path, extra: &[&str]) -> Vec<u8> {
    let out = Command::cargo_bin("tripline")
        .unwrap()
        .args(["check", "--format", format])
        .args(extra)
        .arg(path)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The official SARIF 2.1.0 schema, as published by OASIS, shipped inside the `serde-sarif`
/// crate (a dev-dependency): found through `cargo metadata`, so no network is needed.
fn sarif_schema() -> serde_json::Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Std::new(cargo)
        .args(["metadata", "--format-version", "1"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata");
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata JSON");
    let manifest = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "serde-sarif")
        .expect("serde-sarif among the dev-dependencies")["manifest_path"]
        .as_str()
        .unwrap()
        .to_string();
    let path = Path::new(&manifest)
        .parent()
        .unwrap()
        .join("src/schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        schema["title"],
        "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    );
    schema
}

/// A validator of the official schema. The published schema's `run.language` pattern is not a
/// valid regex (an unbalanced `]`, an erratum of the 2.1.0 schema); the validator refuses such a
/// schema, so that one pattern is replaced by the intended one. Everything else is used as
/// published.
fn sarif_validator() -> jsonschema::Validator {
    let mut schema = sarif_schema();
    let mut fixed = 0;
    for def in ["run", "toolComponent"] {
        let pattern = &mut schema["definitions"][def]["properties"]["language"]["pattern"];
        assert_eq!(pattern, "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$");
        *pattern = serde_json::json!("^[a-zA-Z]{2}$|^[a-zA-Z]{2}-[a-zA-Z]{2}$");
        fixed += 1;
    }
    assert_eq!(fixed, 2);
    jsonschema::options().build(&schema).unwrap()
}

#[test]
fn sarif_is_valid_against_the_official_schema() {
    let out = run("sarif", &fixtures());
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let validator = sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "SARIF schema violations: {errors:#?}");
    // The validator does reject what the schema forbids.
    let mut broken = doc.clone();
    broken["runs"][0]["results"][0]["level"] = serde_json::json!("fatal");
    assert!(!validator.is_valid(&broken));
    // And it deserializes into the SARIF object model.
    let sarif: serde_sarif::sarif::Sarif = serde_json::from_value(doc.clone()).unwrap();
    assert_eq!(sarif.version.to_string().trim_matches('"'), "2.1.0");

    let run = &doc["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().any(|r| r["id"] == "LOG001" && r["help"]["markdown"].as_str().unwrap().contains("Fix")));
    let results = run["results"].as_array().unwrap();
    let trail = results
        .iter()
        .find(|r| {
            r["ruleId"] == "LOG001"
                && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .ends_with("LOG001/fail.yaml")
                && r["locations"][0]["physicalLocation"]["region"]["startLine"] == 15
        })
        .expect("the stopped trail");
    let region = &trail["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startColumn"], 18);
    assert_eq!(region["snippet"]["text"], "      IsLogging: !Ref Logging");
    assert_eq!(trail["level"], "error");
    assert_eq!(
        rules[trail["ruleIndex"].as_u64().unwrap() as usize]["id"],
        "LOG001"
    );
    assert_eq!(
        trail["partialFingerprints"]["tripline/v2"]
            .as_str()
            .unwrap()
            .len(),
        16
    );
    // Fingerprints are unique across the run.
    let mut fps: Vec<String> = results
        .iter()
        .map(|r| {
            format!(
                "{}{}",
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                r["partialFingerprints"]["tripline/v2"]
            )
        })
        .collect();
    let n = fps.len();
    fps.sort();
    fps.dedup();
    assert_eq!(fps.len(), n);
}

#[test]
fn junit_is_well_formed_xml_with_a_failure_per_finding() {
    let out = run_with("junit", &fixtures().join("LOG001"), &["--select", "LOG001"]);
    let json = run_with("json", &fixtures().join("LOG001"), &["--select", "LOG001"]);
    let doc = serde_json::from_slice::<serde_json::Value>(&json).unwrap();
    let findings = doc["summary"]["findings"].as_u64().unwrap();
    let templates = doc["summary"]["templates"].as_u64().unwrap();
    let mut with_findings: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    with_findings.sort_unstable();
    with_findings.dedup();
    let mut reader = quick_xml::Reader::from_reader(out.as_slice());
    let mut buf = Vec::new();
    let (mut failures, mut suites, mut passing) = (0, 0, 0);
    let mut depth = 0;
    loop {
        match reader.read_event_into(&mut buf).expect("well-formed XML") {
            quick_xml::events::Event::Start(e) => {
                depth += 1;
                match e.name().as_ref() {
                    "testsuite" => suites += 1,
                    "failure" => failures += 1,
                    _ => {}
                }
            }
            quick_xml::events::Event::Empty(e) if e.name().as_ref() == "testcase" => passing += 1,
            quick_xml::events::Event::End(_) => depth -= 1,
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    assert_eq!(depth, 0);
    assert_eq!(failures as u64, findings);
    assert_eq!(suites as u64, templates, "one suite per template checked");
    assert!(suites >= 16, "{suites} suites: the fixture files of LOG001");
    assert_eq!(
        passing,
        suites - with_findings.len(),
        "files without findings are passing test cases"
    );
}

#[test]
fn github_annotations_and_parseable_lines() {
    let path = fixtures().join("LOG001/fail.json");
    let gh = String::from_utf8(run("github", &path)).unwrap();
    let line = gh.lines().find(|l| l.contains("title=LOG001")).unwrap();
    assert!(line.starts_with("::error file="), "{line}");
    assert!(line.contains(",line=9,col=22,"), "{line}");
    assert!(
        line.contains("title=LOG001 CloudTrail trail not logging%2C not multi-Region%2C"),
        "{line}"
    );
    assert!(
        line.ends_with("::trail `Trail` is not logging (IsLogging is false)"),
        "{line}"
    );
    assert!(gh.lines().all(|l| l.starts_with("::")));

    let p = String::from_utf8(run("parseable", &path)).unwrap();
    let display = path.to_string_lossy().replace('\\', "/");
    assert!(
        p.lines().any(|l| l
            == format!(
                "{display}:9:22: high LOG001 trail `Trail` is not logging (IsLogging is false)"
            )),
        "{p}"
    );
}

#[test]
fn output_file_receives_the_report() {
    let dir = tempfile::TempDir::new().unwrap();
    let target = dir.path().join("report.sarif");
    let out = Command::cargo_bin("tripline")
        .unwrap()
        .args(["check", "--format", "sarif", "--output"])
        .arg(&target)
        .arg(fixtures().join("DET001"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&target).unwrap()).unwrap();
    assert!(!doc["runs"][0]["results"].as_array().unwrap().is_empty());
}

/// Guard rules in SARIF: their metadata in the run's rules (title, help from the rule file),
/// each result's ruleIndex pointing at its rule, and the log still valid against the schema.
#[test]
fn sarif_carries_guard_rules_and_stays_valid() {
    let guard = fixtures().join("guard");
    let out = run_with(
        "sarif",
        &guard.join("templates/trail.yaml"),
        &[
            "--no-config",
            "--rules",
            guard.join("rules").to_str().unwrap(),
        ],
    );
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let validator = sarif_validator();
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let run = &doc["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let result = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "GUARD/trails/trail_multi_region")
        .expect("the Guard finding");
    let rule = &rules[result["ruleIndex"].as_u64().unwrap() as usize];
    assert_eq!(rule["id"], "GUARD/trails/trail_multi_region");
    assert_eq!(
        rule["shortDescription"]["text"],
        "a trail must record every Region"
    );
    assert!(
        rule["help"]["text"]
            .as_str()
            .unwrap()
            .contains("set IsMultiRegionTrail to true")
    );
    assert_eq!(result["level"], "error");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        7
    );
}

/// `tripline ARGS...` run in `dir` (the real binary): its output, whatever the exit status.
fn tripline_in(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("tripline")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

/// A role anyone may assume: one critical ROOT001.
const OPEN_ROLE: &str = "Resources:\n  Open:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Statement:\n          - Effect: Allow\n            Principal: \"*\"\n            Action: sts:AssumeRole\n";

/// A tree with more results than GitHub accepts in one run: 5,200 trails that do not log
/// (five findings each) in `a0.yaml`..`a3.yaml`, and a role anyone may assume (critical) in `z.yaml`, last
/// in path order. The SARIF report keeps 25,000 results, the critical one among them, counts the rest,
/// and says so on stderr; the exit status and `merge` still count every finding.
#[test]
fn sarif_stays_within_githubs_result_limit_keeping_the_most_severe() {
    let dir = tempfile::TempDir::new().unwrap();
    for part in 0..4 {
        let mut big = String::from("Resources:\n");
        for i in 0..1_300 {
            big.push_str(&format!(
                "  T{i}:\n    Type: AWS::CloudTrail::Trail\n    Properties:\n      IsLogging: false\n"
            ));
        }
        std::fs::write(dir.path().join(format!("a{part}.yaml")), big).unwrap();
    }
    std::fs::write(dir.path().join("z.yaml"), OPEN_ROLE).unwrap();
    let check = |extra: &[&str]| {
        tripline_in(
            dir.path(),
            &[&["check", ".", "--no-config", "--format"], extra].concat(),
        )
    };
    let lines = check(&["parseable"]);
    let total = String::from_utf8(lines.stdout).unwrap().lines().count();
    assert!(total > 25_500, "{total}");

    let out = check(&["sarif"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("warning: {total} results")) && stderr.contains("at most 25000"),
        "{stderr}"
    );
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let run = &sarif["runs"][0];
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 25_000);
    assert!(
        results.iter().any(|r| r["ruleId"] == "ROOT001"
            && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "z.yaml"),
        "the critical finding of the last file is kept"
    );
    assert_eq!(run["properties"]["omittedResults"]["count"], total - 25_000);
    assert_eq!(run["properties"]["omittedResults"]["limit"], 25_000);
    // Kept results stay in path order.
    let uris: Vec<&str> = results
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(uris.windows(2).all(|w| w[0] <= w[1]));

    // Shards (each under the limit unless the hash puts every file in one), merged over it:
    // the merged run is capped the same way, and the exit status counts the left-out findings.
    for k in 1..=2 {
        let shard = format!("{k}/2");
        let output = format!("s{k}.sarif");
        let out = tripline_in(
            dir.path(),
            &[
                "check",
                ".",
                "--no-config",
                "--format",
                "sarif",
                "--shard",
                &shard,
                "-o",
                &output,
            ],
        );
        assert!(matches!(out.status.code(), Some(0 | 1)));
    }
    let merged = tripline_in(
        dir.path(),
        &["merge", "s1.sarif", "s2.sarif", "--fail-on", "critical"],
    );
    assert_eq!(merged.status.code(), Some(1));
    let merged: serde_json::Value = serde_json::from_slice(&merged.stdout).unwrap();
    assert_eq!(
        merged["runs"][0]["results"].as_array().unwrap().len(),
        25_000
    );
    assert_eq!(
        merged["runs"][0]["properties"]["omittedResults"]["count"],
        total - 25_000
    );
}

/// Artifact URIs are relative to the repository root (`%SRCROOT%`) wherever tripline runs in
/// it, `..` resolved; files outside it are `file://` URIs. `--docs-url` gives rules a
/// `helpUri`.
#[test]
fn sarif_uris_are_relative_to_the_repository_root() {
    let repo = tempfile::TempDir::new().unwrap();
    std::fs::create_dir_all(repo.path().join(".git")).unwrap();
    std::fs::create_dir_all(repo.path().join("infra/stacks")).unwrap();
    let template = "Resources:\n  Data:\n    Type: AWS::S3::Bucket\n";
    std::fs::write(repo.path().join("infra/stacks/a b.yaml"), template).unwrap();
    let outside = tempfile::TempDir::new().unwrap();
    std::fs::write(outside.path().join("x.yaml"), template).unwrap();
    let out = Command::cargo_bin("tripline")
        .unwrap()
        .current_dir(repo.path().join("infra"))
        .args(["check", "--no-config", "--format", "sarif"])
        .args(["--docs-url", "https://wiki.example.com/tripline/{id}"])
        .arg("stacks/../stacks")
        .arg(outside.path().join("x.yaml"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors: Vec<String> = sarif_validator()
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let run = &sarif["runs"][0];
    let locations: Vec<&serde_json::Value> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["locations"][0]["physicalLocation"]["artifactLocation"])
        .collect();
    assert!(
        locations
            .iter()
            .any(|l| l["uri"] == "infra/stacks/a%20b.yaml" && l["uriBaseId"] == "%SRCROOT%")
    );
    let outside_uri = locations
        .iter()
        .find(|l| l["uri"].as_str().unwrap().starts_with("file:///"))
        .expect("a file:// URI for the file outside the repository");
    assert!(outside_uri.get("uriBaseId").is_none());
    assert!(outside_uri["uri"].as_str().unwrap().ends_with("/x.yaml"));
    assert!(run["originalUriBaseIds"]["%SRCROOT%"].is_object());
    let log009 = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "LOG009")
        .unwrap();
    assert_eq!(
        log009["helpUri"],
        "https://wiki.example.com/tripline/LOG009"
    );
}

/// JUnit test names are stable across edits (policy and resource, no line numbers) and unique
/// in their suite; a file that cannot be read is an `<error>`, counted in `errors`; every
/// element history tools read has a `time`.
#[test]
fn junit_names_are_stable_and_unreadable_files_are_errors() {
    let dir = tempfile::TempDir::new().unwrap();
    std::fs::write(
        dir.path().join("trail.yaml"),
        "Resources:\n  Trail:\n    Type: AWS::CloudTrail::Trail\n    Properties:\n      IsLogging: false\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("broken.yaml"), "Resources:\n  A: [\n").unwrap();
    let out = tripline_in(
        dir.path(),
        &["check", ".", "--no-config", "--format", "junit"],
    );
    assert_eq!(out.status.code(), Some(1));
    let xml = String::from_utf8(out.stdout).unwrap();
    let mut reader = quick_xml::Reader::from_reader(xml.as_bytes());
    let mut buf = Vec::new();
    let mut names: Vec<(String, String)> = Vec::new();
    let (mut errors, mut failures) = (0, 0);
    let mut root_errors = None;
    loop {
        match reader.read_event_into(&mut buf).expect("well-formed XML") {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                let attr = |key: &str| {
                    e.attributes()
                        .filter_map(Result::ok)
                        .find(|a| a.key.as_ref() == key)
                        .map(|a| a.value.to_string())
                };
                match e.name().as_ref() {
                    "testsuites" => root_errors = attr("errors"),
                    "testcase" => {
                        assert_eq!(attr("time").as_deref(), Some("0"));
                        names.push((attr("classname").unwrap(), attr("name").unwrap()));
                    }
                    "testsuite" => assert!(attr("time").is_some()),
                    "error" => errors += 1,
                    "failure" => failures += 1,
                    _ => {}
                }
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    assert_eq!(errors, 1, "{xml}");
    assert_eq!(root_errors.as_deref(), Some("1"));
    assert!(failures >= 3, "{xml}");
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "{names:?}");
    assert!(names.iter().all(|(_, n)| !n.contains(':')), "{names:?}");
    assert!(
        names.iter().any(|(_, n)| n == "LOG001 Trail #2"),
        "{names:?}"
    );
}

/// A tree of `a.yaml`, `buckets` buckets without access logging (a low finding each), and
/// `z.yaml`, a role anyone may assume (critical), last in path order.
fn buckets_then_an_open_role(buckets: usize) -> tempfile::TempDir {
    let dir = tempfile::TempDir::new().unwrap();
    let mut text = String::from("Resources:\n");
    for i in 0..buckets {
        text.push_str(&format!("  B{i}:\n    Type: AWS::S3::Bucket\n"));
    }
    std::fs::write(dir.path().join("a.yaml"), text).unwrap();
    std::fs::write(dir.path().join("z.yaml"), OPEN_ROLE).unwrap();
    dir
}

/// GitHub shows 10 annotations of each level per step: the most severe come first, and a plain
/// closing line says how many are not on the diff.
#[test]
fn github_annotations_come_most_severe_first() {
    let dir = buckets_then_an_open_role(12);
    let out = tripline_in(
        dir.path(),
        &["check", ".", "--no-config", "--format", "github"],
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("::error file=z.yaml,") && lines[0].contains("ROOT001"),
        "{text}"
    );
    assert!(
        lines[1..13]
            .iter()
            .all(|l| l.starts_with("::notice file=a.yaml,")),
        "{text}"
    );
    assert_eq!(
        lines.last().unwrap(),
        &"tripline: 13 annotations; GitHub shows 10 of each level per step, so 2 are not on the diff (most severe shown first; the job summary and code scanning have them all)"
    );
}

/// Annotations held for the end (over 1 MiB of them here) come out the same whether they are
/// spilled to a temporary file or, with no writable temporary directory, kept in memory.
#[test]
fn github_annotations_past_a_mebibyte_are_the_same_with_or_without_a_temporary_directory() {
    let dir = buckets_then_an_open_role(8_000);
    let run = |tmpdir: &Path| {
        Command::cargo_bin("tripline")
            .unwrap()
            .current_dir(dir.path())
            .env("TMPDIR", tmpdir)
            .args([
                "check",
                ".",
                "--no-config",
                "--no-cache",
                "--format",
                "github",
            ])
            .output()
            .unwrap()
    };
    let spilled = run(&std::env::temp_dir());
    let in_memory = run(&dir.path().join("no-such-directory"));
    assert_eq!(spilled.status.code(), Some(1));
    assert_eq!(in_memory.status.code(), Some(1));
    assert!(spilled.stdout.len() > 1 << 20, "{}", spilled.stdout.len());
    assert_eq!(spilled.stdout, in_memory.stdout);
    let text = String::from_utf8(spilled.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("::error file=z.yaml,"), "{}", lines[0]);
    let notices = lines
        .iter()
        .filter(|l| l.starts_with("::notice file=a.yaml,"))
        .count();
    assert!(notices >= 8_000, "{notices}");
}

/// The Markdown summary counts by severity and policy and lists the most severe findings;
/// text from templates cannot break the table or inject HTML.
#[test]
fn markdown_summary_counts_and_escapes() {
    let dir = tempfile::TempDir::new().unwrap();
    std::fs::write(
        dir.path().join("t.json"),
        r#"{"Resources": {"Bad|<img src=x>": {"Type": "AWS::S3::Bucket"}}}"#,
    )
    .unwrap();
    let out = tripline_in(
        dir.path(),
        &["check", ".", "--no-config", "--format", "markdown"],
    );
    assert_eq!(out.status.code(), Some(1));
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(
        md.starts_with("## tripline\n\n**1 finding** in 1 template"),
        "{md}"
    );
    assert!(md.contains("| low | 1 |"), "{md}");
    assert!(
        md.contains("| `LOG009` | low | S3 bucket without server access logging | 1 |"),
        "{md}"
    );
    assert!(md.contains("Bad\\|\\<img src=x\\>"), "{md}");
    assert!(
        md.match_indices('<').all(|(i, _)| md[..i].ends_with('\\')),
        "every < is escaped: {md}"
    );
    for line in md.lines().filter(|l| l.starts_with("| low | `LOG009`")) {
        // Five cells: the escaped pipe is not a separator.
        assert_eq!(line.matches(" | ").count(), 4, "{line}");
    }
}
