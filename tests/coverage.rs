//! Control-objective coverage with the real binary on real files: `fixtures/coverage/baseline`
//! (CloudFormation, Terraform and standalone SCP documents of one organization) establishes
//! every objective; the same tree with each objective's evidence taken away reports exactly that
//! objective missing; drift makes one violated; a config marks one established elsewhere; and
//! `check --coverage` turns missing objectives into COV001 findings that fail the run.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

fn baseline() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/coverage/baseline")
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A copy of the baseline tree to change.
fn tree() -> TempDir {
    let dir = TempDir::new().unwrap();
    copy_tree(&baseline(), dir.path());
    dir
}

fn tripline(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("tripline").unwrap();
    cmd.current_dir(dir)
        .env_remove("TRIPLINE_CACHE_DIR")
        .env("NO_COLOR", "1");
    cmd
}

/// `tripline coverage --format json` in `dir`: the document, validated against
/// `docs/coverage.schema.json`, and the exit code.
fn coverage(dir: &Path, extra: &[&str]) -> (Value, i32) {
    let out = tripline(dir)
        .args(["coverage", ".", "--format", "json", "--no-cache"])
        .args(extra)
        .output()
        .unwrap();
    let code = out.status.code().unwrap();
    assert!(
        code == 0 || code == 1,
        "exit {code}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let schema: Value = serde_json::from_str(
        &fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/coverage.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::options().build(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "schema violations: {errors:#?}");
    (doc, code)
}

/// Each objective's status.
fn statuses(doc: &Value) -> BTreeMap<String, String> {
    doc["objectives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["id"].as_str().unwrap().to_string(),
                o["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn objective<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["objectives"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == id)
        .unwrap_or_else(|| panic!("{id} in the report"))
}

/// The objectives whose status is not `established`.
fn not_established(doc: &Value) -> BTreeMap<String, String> {
    statuses(doc)
        .into_iter()
        .filter(|(_, s)| s != "established")
        .collect()
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = fs::read_to_string(path).unwrap();
    assert_eq!(
        text.matches(from).count(),
        1,
        "{from:?} once in {}",
        path.display()
    );
    fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// The standalone SCP without the statement `sid`.
fn drop_statement(dir: &Path, sid: &str) {
    let path = dir.join("org/scps/protect-detective-controls.json");
    let mut doc: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    let statements = doc["Statement"].as_array_mut().unwrap();
    let before = statements.len();
    statements.retain(|s| s["Sid"] != sid);
    assert_eq!(statements.len(), before - 1);
    fs::write(&path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
}

#[test]
fn the_baseline_tree_establishes_every_objective() {
    let dir = tree();
    let (doc, code) = coverage(dir.path(), &[]);
    assert_eq!(code, 0);
    assert_eq!(not_established(&doc), BTreeMap::new());
    assert_eq!(doc["summary"]["percent"], 100);
    assert_eq!(doc["summary"]["objectives"], 13);
    assert_eq!(doc["summary"]["templates"], 10);
    // Evidence names the resource and where it is, across formats.
    let trail = &objective(&doc, "LOG-TRAIL")["evidence"][0];
    assert_eq!(trail["path"], "logging/trail.yaml");
    assert_eq!(trail["resource"], "Trail");
    assert_eq!(trail["type"], "AWS::CloudTrail::Trail");
    assert_eq!(trail["line"], 77);
    let region = &objective(&doc, "REG-SCP")["evidence"][0];
    assert_eq!(region["path"], "org/scps/region-deny.tf");
    assert_eq!(region["resource"], "aws_organizations_policy.region_deny");
    let storage = &objective(&doc, "LOG-TRAIL-STORAGE")["evidence"][0];
    assert_eq!(storage["resource"], "TrailBucket");
    let scp = &objective(&doc, "DET-SCP-CONFIG")["evidence"];
    assert_eq!(
        scp.as_array().unwrap().len(),
        1,
        "the root-only deny protects nothing: {scp}"
    );
    assert_eq!(scp[0]["path"], "org/scps/protect-detective-controls.json");
    let org = objective(&doc, "DET-GUARDDUTY-ORG");
    assert_eq!(org["evidence"][0]["path"], "detective/guardduty-org.tf");
    // What makes it apply: the first organization resource in path order.
    assert_eq!(
        org["applies_by"]["resource"],
        "aws_guardduty_organization_admin_account.audit"
    );
    assert_eq!(
        objective(&doc, "LOG-TRAIL")["mappings"]["cis"],
        serde_json::json!(["3.1", "3.2", "3.5"])
    );
}

#[test]
fn each_objective_removed_is_reported_missing_and_only_it() {
    type Change = fn(&Path);
    let cases: [(&[&str], Change); 11] = [
        // The trail's bucket goes with it.
        (&["LOG-TRAIL", "LOG-TRAIL-STORAGE"], |d| {
            fs::remove_file(d.join("logging/trail.yaml")).unwrap()
        }),
        (&["LOG-TRAIL-STORAGE"], |d| {
            edit(
                &d.join("logging/trail.yaml"),
                "S3BucketName: !Ref TrailBucket",
                "S3BucketName: audit-logs-in-another-account",
            )
        }),
        (&["LOG-CONFIG"], |d| {
            fs::remove_file(d.join("logging/config.tf")).unwrap()
        }),
        (&["DET-GUARDDUTY"], |d| {
            fs::remove_file(d.join("detective/guardduty.tf")).unwrap()
        }),
        (&["DET-GUARDDUTY-ORG"], |d| {
            edit(
                &d.join("detective/guardduty-org.tf"),
                "resource \"aws_guardduty_organization_configuration\" \"this\" {",
                "resource \"aws_guardduty_filter\" \"this\" {",
            )
        }),
        (&["DET-SECURITYHUB"], |d| {
            fs::remove_file(d.join("detective/securityhub.yaml")).unwrap()
        }),
        (&["DET-SCP-CLOUDTRAIL"], |d| {
            drop_statement(d, "ProtectCloudTrail")
        }),
        (&["DET-SCP-CONFIG"], |d| drop_statement(d, "ProtectConfig")),
        (&["DET-SCP-GUARDDUTY"], |d| {
            drop_statement(d, "ProtectGuardDuty")
        }),
        (&["DET-SCP-SECURITYHUB"], |d| {
            drop_statement(d, "ProtectSecurityHub")
        }),
        (&["REG-SCP", "ROOT-SCP"], |d| {
            fs::remove_file(d.join("org/scps/region-deny.tf")).unwrap();
            fs::remove_file(d.join("org/scps/deny-root.yaml")).unwrap();
        }),
    ];
    for (missing, change) in cases {
        let dir = tree();
        change(dir.path());
        let (doc, code) = coverage(dir.path(), &[]);
        let expected: BTreeMap<String, String> = missing
            .iter()
            .map(|id| (id.to_string(), "missing".to_string()))
            .collect();
        assert_eq!(not_established(&doc), expected, "{missing:?}");
        assert_eq!(code, 1, "{missing:?}");
        for id in missing {
            let o = objective(&doc, id);
            assert_eq!(o["evidence"], serde_json::json!([]));
            assert!(o["remediation"].as_str().unwrap().len() > 20);
        }
    }
}

#[test]
fn drift_on_the_establishing_resource_makes_an_objective_violated() {
    let dir = tree();
    edit(
        &dir.path().join("logging/trail.yaml"),
        "IsMultiRegionTrail: true\n      IsOrganizationTrail: true",
        "IsMultiRegionTrail: false\n      IsOrganizationTrail: false",
    );
    edit(
        &dir.path().join("detective/guardduty-org.tf"),
        "auto_enable_organization_members = \"ALL\"",
        "auto_enable_organization_members = \"NONE\"",
    );
    edit(
        &dir.path().join("org/scps/protect-detective-controls.json"),
        "\"cloudtrail:StopLogging\", \"cloudtrail:DeleteTrail\", ",
        "\"cloudtrail:StopLogging\", ",
    );
    let (doc, code) = coverage(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        not_established(&doc),
        [
            ("DET-GUARDDUTY-ORG", "violated"),
            ("DET-SCP-CLOUDTRAIL", "violated"),
            ("LOG-TRAIL", "violated"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
    );
    let trail = &objective(&doc, "LOG-TRAIL")["evidence"][0];
    let drift = trail["drift"].as_array().unwrap();
    assert_eq!(drift.len(), 1, "{drift:?}");
    assert_eq!(drift[0]["policy"], "LOG001");
    assert_eq!(drift[0]["path"], "logging/trail.yaml");
    assert_eq!(drift[0]["line"], 82);
    let org = &objective(&doc, "DET-GUARDDUTY-ORG")["evidence"][0]["drift"];
    assert_eq!(org[0]["policy"], Value::Null);
    assert_eq!(org[0]["line"], 8);
    assert!(
        org[0]["message"]
            .as_str()
            .unwrap()
            .contains("`auto_enable_organization_members` is `none`")
    );
    let scp = &objective(&doc, "DET-SCP-CLOUDTRAIL")["evidence"][0]["drift"];
    assert_eq!(
        scp[0]["message"],
        "the SCP does not deny `cloudtrail:DeleteTrail`"
    );
}

#[test]
fn a_config_marks_objectives_elsewhere_and_selects_which_apply() {
    let dir = tree();
    fs::remove_file(dir.path().join("logging/trail.yaml")).unwrap();
    // Without an organization in the tree, GuardDuty's organization setting does not apply.
    fs::remove_file(dir.path().join("org/organization.yaml")).unwrap();
    fs::remove_file(dir.path().join("detective/guardduty-org.tf")).unwrap();
    fs::write(
        dir.path().join("tripline.toml"),
        "[coverage]\nignore = [\"LOG-TRAIL-STORAGE\"]\n\n[[coverage.established]]\n\
         objective = \"LOG-TRAIL\"\nreason = \"the organization trail is in org-baseline\"\n",
    )
    .unwrap();
    let (doc, code) = coverage(dir.path(), &[]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(
        not_established(&doc),
        [
            ("DET-GUARDDUTY-ORG", "not-applicable"),
            ("LOG-TRAIL", "established-elsewhere"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
    );
    assert!(!statuses(&doc).contains_key("LOG-TRAIL-STORAGE"));
    assert_eq!(
        objective(&doc, "LOG-TRAIL")["reason"],
        "the organization trail is in org-baseline"
    );
    assert_eq!(doc["summary"]["applicable"], 11);
    assert_eq!(doc["summary"]["percent"], 100);
    // The command line narrows further.
    let (doc, _) = coverage(dir.path(), &["--select", "detective"]);
    assert!(statuses(&doc).keys().all(|k| k.starts_with("DET-")));

    // A config naming an unknown objective, or giving no reason, is an error (exit 2).
    fs::write(
        dir.path().join("tripline.toml"),
        "[[coverage.established]]\nobjective = \"LOG-TRIAL\"\nreason = \"x\"\n",
    )
    .unwrap();
    let out = tripline(dir.path())
        .args(["coverage", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown objective `LOG-TRIAL`"));
    fs::write(
        dir.path().join("tripline.toml"),
        "[[coverage.established]]\nobjective = \"LOG-TRAIL\"\nreason = \" \"\n",
    )
    .unwrap();
    let out = tripline(dir.path())
        .args(["coverage", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn check_with_coverage_fails_when_a_baseline_loses_a_control() {
    let dir = tree();
    let args = ["check", ".", "--coverage", "--no-cache", "--format", "json"];
    let out = tripline(dir.path()).args(args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    fs::remove_file(dir.path().join("logging/config.tf")).unwrap();
    let out = tripline(dir.path()).args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    assert_eq!(f["policy"], "COV001");
    assert_eq!(f["resource"], "LOG-CONFIG");
    assert_eq!(f["severity"], "high");
    assert_eq!(f["path"], ".");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("LOG-CONFIG is missing")
    );

    // With a config, `enforce` does the same, at the `[coverage]` table; `[severity]` wins.
    fs::write(
        dir.path().join("tripline.toml"),
        "fail_on = \"high\"\n\n[severity]\nCOV001 = \"medium\"\n\n[coverage]\nenforce = true\n",
    )
    .unwrap();
    let out = tripline(dir.path())
        .args(["check", ".", "--no-cache", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "medium is below fail_on");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = &doc["findings"][0];
    assert_eq!(f["path"], "tripline.toml");
    assert_eq!(f["line"], 6);
    assert_eq!(f["severity"], "medium");

    // A shard sees part of the tree: coverage is not assessed, and it says so.
    let out = tripline(dir.path())
        .args(["check", ".", "--no-cache", "--shard", "1/2"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("coverage is not assessed under --shard")
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("COV001"));
}

#[test]
fn cached_runs_report_the_same_coverage() {
    let dir = tree();
    let cache = dir.path().join(".cache-dir");
    let run = || {
        tripline(dir.path())
            .args(["coverage", ".", "--format", "json", "--cache-dir"])
            .arg(&cache)
            .output()
            .unwrap()
            .stdout
    };
    let cold = run();
    let warm = run();
    assert!(cache.is_dir());
    assert_eq!(
        String::from_utf8(cold).unwrap(),
        String::from_utf8(warm).unwrap()
    );
}

#[test]
fn markdown_and_sarif_reports() {
    let dir = tree();
    fs::remove_file(dir.path().join("detective/securityhub.yaml")).unwrap();
    edit(
        &dir.path().join("logging/trail.yaml"),
        "      KMSKeyId: !Ref TrailKey\n",
        "",
    );
    let out = tripline(dir.path())
        .args(["coverage", ".", "--format", "markdown", "--no-cache"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.starts_with("# Control-objective coverage\n"));
    assert!(md.contains("**84%** of the applicable objectives are in place (11 of 13)"));
    for family in ["## Region", "## Root", "## Logging", "## Detective"] {
        assert!(md.contains(family), "{family}");
    }
    assert!(md.contains(
        "| **DET-SECURITYHUB** Security Hub enabled with security standards | ❌ missing |"
    ));
    assert!(md.contains("⚠️ violated"));
    assert!(md.contains("LOG002 logging/trail.yaml:"));

    let out = tripline(dir.path())
        .args([
            "coverage",
            ".",
            "--format",
            "sarif",
            "--no-cache",
            "--root",
            ".",
        ])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let run = &doc["runs"][0];
    assert_eq!(run["tool"]["driver"]["rules"].as_array().unwrap().len(), 13);
    let results = run["results"].as_array().unwrap();
    let kind = |id: &str| {
        results
            .iter()
            .filter(|r| r["ruleId"] == id)
            .map(|r| r["kind"].as_str().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(kind("DET-SECURITYHUB"), ["fail"]);
    assert_eq!(kind("LOG-TRAIL"), ["fail"]);
    assert_eq!(kind("LOG-CONFIG"), ["pass"]);
    let trail = results.iter().find(|r| r["ruleId"] == "LOG-TRAIL").unwrap();
    assert_eq!(
        trail["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "logging/trail.yaml"
    );
    assert_eq!(trail["level"], "error");
}

#[test]
fn a_file_that_cannot_be_loaded_is_named_not_skipped() {
    let dir = tree();
    fs::write(
        dir.path().join("logging/trail.yaml"),
        "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  Trail: [unclosed\n",
    )
    .unwrap();
    let (doc, code) = coverage(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(doc["failed"], serde_json::json!(["logging/trail.yaml"]));
    assert_eq!(doc["summary"]["failed"], 1);
    assert_eq!(objective(&doc, "LOG-TRAIL")["status"], "missing");
    let out = tripline(dir.path())
        .args(["coverage", ".", "--no-cache"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("note: 1 file could not be read or loaded"),
        "{text}"
    );
    assert!(text.contains("\n  logging/trail.yaml\n"), "{text}");
}

#[test]
fn list_names_every_objective() {
    let out = Command::cargo_bin("tripline")
        .unwrap()
        .args(["coverage", "--list"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 13);
    assert!(
        text.lines()
            .any(|l| l.starts_with("ROOT-SCP") && l.contains("root"))
    );
}

/// Module calls that could not be followed are named beside each missing objective their
/// source says they may establish (a GuardDuty module beside GuardDuty, not beside an SCP),
/// and counted; a trail whose bucket a sibling local module creates is
/// assessed as one configuration (LOG-TRAIL-STORAGE is not missing).
#[test]
fn missing_objectives_name_the_module_calls_not_followed_that_may_establish_them() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    fs::write(
        root.join("main.tf"),
        "module \"detector\" {\n  source = \"cloudposse/guardduty/aws\"\n}\n\n\
         module \"network\" {\n  source = \"terraform-aws-modules/vpc/aws\"\n}\n\n\
         module \"logs\" {\n  source = \"./logs\"\n}\n\n\
         module \"audit\" {\n  source = \"./audit\"\n  bucket = module.logs.id\n}\n",
    )
    .unwrap();
    fs::create_dir_all(root.join("logs")).unwrap();
    fs::write(
        root.join("logs/main.tf"),
        "resource \"aws_s3_bucket\" \"this\" {\n  bucket = \"org-trail\"\n}\n\n\
         output \"id\" {\n  value = aws_s3_bucket.this.id\n}\n",
    )
    .unwrap();
    fs::create_dir_all(root.join("audit")).unwrap();
    fs::write(
        root.join("audit/main.tf"),
        "variable \"bucket\" {}\n\nresource \"aws_cloudtrail\" \"this\" {\n  name = \"org\"\n  \
         s3_bucket_name = var.bucket\n}\n",
    )
    .unwrap();
    let (doc, _) = coverage(root, &[]);
    assert_eq!(doc["summary"]["modules_not_followed"], 2);
    // The trail is there (violated: not multi-Region, no validation, no KMS key); its bucket,
    // in the sibling module, is assessed with it.
    assert_eq!(objective(&doc, "LOG-TRAIL")["status"], "violated");
    assert_eq!(objective(&doc, "LOG-TRAIL-STORAGE")["status"], "violated");
    let guardduty = objective(&doc, "DET-GUARDDUTY");
    assert_eq!(guardduty["status"], "missing");
    assert_eq!(
        guardduty["not_followed"],
        serde_json::json!([{"path": "main.tf", "line": 1, "module": "detector",
            "source": "cloudposse/guardduty/aws"}])
    );
    // An SCP is no module's resource of GuardDuty or a VPC.
    let scp = objective(&doc, "DET-SCP-CLOUDTRAIL");
    assert_eq!(scp["status"], "missing");
    assert!(scp.get("not_followed").is_none(), "{scp}");
    let human = tripline(root)
        .args(["coverage", ".", "--no-cache"])
        .output()
        .unwrap();
    let human = String::from_utf8(human.stdout).unwrap();
    assert!(
        human.contains(
            "module `detector` (cloudposse/guardduty/aws) at main.tf:1 was not followed and may \
             establish it"
        ),
        "{human}"
    );
    assert!(
        human.contains("note: 2 module calls were not followed"),
        "{human}"
    );
}

/// An SCP attached to nothing is in force in no account: the objective it would establish is
/// not established, and the report says why (CloudFormation without `TargetIds`, Terraform
/// without an `aws_organizations_policy_attachment`).
#[test]
fn an_scp_attached_to_nothing_establishes_nothing() {
    let dir = tree();
    edit(
        &dir.path().join("org/scps/deny-root.yaml"),
        "      TargetIds: [\"r-abcd\"]\n",
        "",
    );
    let tf = dir.path().join("org/scps/region-deny.tf");
    let text = fs::read_to_string(&tf).unwrap();
    let cut = text.find("\n# In force in every account").unwrap();
    fs::write(&tf, &text[..cut + 1]).unwrap();
    let (doc, code) = coverage(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        not_established(&doc),
        [("REG-SCP", "violated"), ("ROOT-SCP", "violated")]
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    );
    let why = |id: &str| objective(&doc, id)["evidence"][0]["drift"][0]["message"].clone();
    assert_eq!(
        why("ROOT-SCP"),
        "`DenyRoot` is attached to nothing (TargetIds is not set), so it is in force in no account"
    );
    assert_eq!(
        why("REG-SCP"),
        "`aws_organizations_policy.region_deny` is attached to nothing (no aws_organizations_policy_attachment names it), so it is in force in no account"
    );
}

/// The unified Security Hub of 2025: `AWS::SecurityHub::HubV2` establishes DET-SECURITYHUB, and
/// the detective-control SCP must deny `securityhub:DisableSecurityHubV2` too.
#[test]
fn the_unified_security_hub_counts() {
    let dir = tree();
    fs::write(
        dir.path().join("detective/securityhub.yaml"),
        "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  Hub:\n    Type: AWS::SecurityHub::HubV2\n",
    )
    .unwrap();
    edit(
        &dir.path().join("org/scps/protect-detective-controls.json"),
        "\"securityhub:DisableSecurityHubV2\", ",
        "",
    );
    let (doc, _) = coverage(dir.path(), &[]);
    assert_eq!(
        not_established(&doc),
        [("DET-SCP-SECURITYHUB".to_string(), "violated".to_string())]
            .into_iter()
            .collect()
    );
    assert_eq!(
        objective(&doc, "DET-SCP-SECURITYHUB")["evidence"][0]["drift"][0]["message"],
        "the SCP does not deny `securityhub:DisableSecurityHubV2`"
    );
    assert_eq!(
        objective(&doc, "DET-SECURITYHUB")["evidence"][0]["type"],
        "AWS::SecurityHub::HubV2",
        "{}",
        objective(&doc, "DET-SECURITYHUB")
    );
}

/// `--framework` organizes the report by a framework's controls and leaves out the objectives
/// it has no control for; a control stands as its weakest objective.
#[test]
fn a_framework_organizes_the_report_by_its_controls() {
    let dir = tree();
    let (doc, code) = coverage(dir.path(), &["--framework", "cis-5.0"]);
    assert_eq!(code, 0);
    let controls: Vec<(String, String, Vec<String>)> = doc["framework"]["controls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["id"].as_str().unwrap().to_string(),
                k["status"].as_str().unwrap().to_string(),
                k["objectives"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|o| o.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    let ids: Vec<&str> = controls.iter().map(|(id, _, _)| id.as_str()).collect();
    assert_eq!(ids, ["1.6", "3.1", "3.2", "3.3", "3.4", "3.5", "4.16"]);
    assert_eq!(controls[0].2, ["ROOT-SCP"]);
    assert_eq!(
        doc["framework"]["title"],
        "CIS AWS Foundations Benchmark v5.0"
    );
    assert_eq!(doc["summary"]["objectives"], 5);
    // Drift on the trail: every control LOG-TRAIL maps to is violated.
    edit(
        &dir.path().join("logging/trail.yaml"),
        "EnableLogFileValidation: true",
        "EnableLogFileValidation: false",
    );
    let (doc, code) = coverage(dir.path(), &["--framework", "cis-5.0"]);
    assert_eq!(code, 1);
    let status = |id: &str| {
        doc["framework"]["controls"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["id"] == id)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status("3.2"), "violated");
    assert_eq!(status("3.3"), "established");
    let out = tripline(dir.path())
        .args([
            "coverage",
            ".",
            "--no-cache",
            "--framework",
            "control-tower",
            "--format",
            "markdown",
        ])
        .output()
        .unwrap();
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.contains("## AWS Control Tower\n"), "{md}");
    assert!(
        md.contains("| AWS-GR\\_CLOUDTRAIL\\_ENABLED | ⚠️ violated | LOG-TRAIL |"),
        "{md}"
    );
}
