//! Organization guardrails where they apply, with the real binary on real files:
//! `fixtures/organization/{cloudformation,terraform}` declare an organization with nested OUs
//! and accounts at several levels; each guardrail objective's verdict is asserted at every
//! account, and each way a guardrail can fail to apply (attached elsewhere, attached to nothing,
//! only part of the denies in force, an allow-list, a StackSet deployed elsewhere, a target
//! the tree cannot place) has its case.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/organization")
        .join(name)
}

/// `tripline coverage --format <format>` of `dir`, run in `dir`.
fn run(dir: &Path, format: &str) -> (String, i32) {
    let out = Command::cargo_bin("tripline")
        .unwrap()
        .current_dir(dir)
        .env_remove("TRIPLINE_CACHE_DIR")
        .env("NO_COLOR", "1")
        .args(["coverage", ".", "--no-cache", "--format", format])
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        out.status.code().unwrap(),
    )
}

/// The JSON report, validated against `docs/coverage.schema.json`.
fn coverage(dir: &Path) -> Value {
    let (text, code) = run(dir, "json");
    assert_eq!(code, 1, "{text}");
    let doc: Value = serde_json::from_str(&text).unwrap();
    let schema: Value = serde_json::from_str(
        &fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/coverage.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::options().build(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    doc
}

/// Per target name: each objective's status, `established` shortened to `yes`.
fn verdicts(doc: &Value, objective: &str) -> BTreeMap<String, String> {
    doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == "account")
        .map(|t| {
            let s = t["objectives"][objective]["status"].as_str().unwrap_or("-");
            (
                t["name"].as_str().unwrap().to_string(),
                s.replace("established", "yes"),
            )
        })
        .collect()
}

/// The target of this name.
fn target<'d>(doc: &'d Value, name: &str) -> &'d Value {
    doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap()
}

fn why(doc: &Value, name: &str, objective: &str) -> String {
    target(doc, name)["objectives"][objective]["why"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Every target in tree order: kind, name, whether it is placed, and the objective's status
/// there.
fn rows(doc: &Value, objective: &str) -> Vec<(String, String, bool, String)> {
    doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["kind"].as_str().unwrap().to_string(),
                t["name"].as_str().unwrap().to_string(),
                t["placed"].as_bool().unwrap(),
                t["objectives"][objective]["status"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect()
}

fn row(kind: &str, name: &str, placed: bool, status: &str) -> (String, String, bool, String) {
    (
        kind.to_string(),
        name.to_string(),
        placed,
        status.to_string(),
    )
}

fn status(doc: &Value, objective: &str) -> String {
    let o = doc["objectives"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == objective)
        .unwrap();
    o["status"].as_str().unwrap().to_string()
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn cloudformation_organization_per_account() {
    let doc = coverage(&fixture("cloudformation"));
    let kinds: Vec<(&str, &str, u64)> = doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["kind"].as_str().unwrap(),
                t["name"].as_str().unwrap(),
                t["depth"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("root", "root", 0),
            ("ou", "security", 1),
            ("account", "log-archive", 2),
            ("ou", "workloads", 1),
            ("ou", "prod", 2),
            ("account", "prod-app", 3),
            ("ou", "sandbox", 2),
            ("account", "sandbox-dev", 3),
            ("account", "legacy", 1),
        ]
    );
    // At the root: everywhere.
    let everywhere = map(&[
        ("legacy", "yes"),
        ("log-archive", "yes"),
        ("prod-app", "yes"),
        ("sandbox-dev", "yes"),
    ]);
    assert_eq!(verdicts(&doc, "ROOT-SCP"), everywhere);
    assert_eq!(status(&doc, "ROOT-SCP"), "established");
    // An RCP at the root, judged like an SCP.
    assert_eq!(verdicts(&doc, "LOG-RCP-PERIMETER"), everywhere);
    // Attached to the workloads OU: not in the security OU, not in an account under the root.
    assert_eq!(
        verdicts(&doc, "REG-SCP"),
        map(&[
            ("legacy", "missing"),
            ("log-archive", "missing"),
            ("prod-app", "yes"),
            ("sandbox-dev", "yes")
        ])
    );
    assert_eq!(status(&doc, "REG-SCP"), "partial");
    assert!(why(&doc, "legacy", "REG-SCP").contains("`RegionDeny` is attached to OU `workloads`"));
    // Denies accumulate: StopLogging at the root, DeleteTrail at prod: only prod has both.
    assert_eq!(
        verdicts(&doc, "DET-SCP-CLOUDTRAIL"),
        map(&[
            ("legacy", "violated"),
            ("log-archive", "violated"),
            ("prod-app", "yes"),
            ("sandbox-dev", "violated")
        ])
    );
    assert!(
        why(&doc, "sandbox-dev", "DET-SCP-CLOUDTRAIL")
            .contains("nothing here denies `cloudtrail:DeleteTrail`")
    );
    // The break-glass exemption still counts, and says so.
    assert!(
        why(&doc, "prod-app", "DET-SCP-CLOUDTRAIL")
            .ends_with("exempts arn:aws:iam::*:role/break-glass")
    );
    // Attached to nothing: in force nowhere.
    assert_eq!(status(&doc, "DET-SCP-GUARDDUTY"), "violated");
    assert!(
        why(&doc, "legacy", "DET-SCP-GUARDDUTY")
            .contains("`ProtectGuardDuty` is attached to nothing")
    );
    // The allow-list restricts nothing: CloudFormation cannot detach FullAWSAccess.
    assert_eq!(status(&doc, "DET-SCP-SECURITYHUB"), "missing");
    assert_eq!(
        verdicts(&doc, "DET-SCP-SECURITYHUB"),
        map(&[
            ("legacy", "-"),
            ("log-archive", "-"),
            ("prod-app", "-"),
            ("sandbox-dev", "-")
        ])
    );
    // A StackSet deploys the detector to the workloads OU's accounts only.
    assert_eq!(
        verdicts(&doc, "DET-GUARDDUTY"),
        map(&[
            ("legacy", "missing"),
            ("log-archive", "missing"),
            ("prod-app", "yes"),
            ("sandbox-dev", "yes")
        ])
    );
    assert!(
        why(&doc, "legacy", "DET-GUARDDUTY").contains("StackSet `Detectors` deploys it elsewhere")
    );
    let lacking: Vec<&str> = doc["objectives"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == "DET-GUARDDUTY")
        .unwrap()["lacking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["label"].as_str().unwrap())
        .collect();
    assert_eq!(lacking, ["account `log-archive`", "account `legacy`"]);
}

#[test]
fn terraform_organization_per_account() {
    let doc = coverage(&fixture("terraform"));
    let everywhere = map(&[
        ("legacy", "yes"),
        ("log-archive", "yes"),
        ("prod-app", "yes"),
        ("sandbox-dev", "yes"),
    ]);
    assert_eq!(verdicts(&doc, "ROOT-SCP"), everywhere);
    // An organization trail records every account.
    assert_eq!(verdicts(&doc, "LOG-TRAIL"), everywhere);
    assert_eq!(status(&doc, "LOG-TRAIL"), "established");
    // Attached to the workloads OU through an attachment resource.
    let workloads = map(&[
        ("legacy", "missing"),
        ("log-archive", "missing"),
        ("prod-app", "yes"),
        ("sandbox-dev", "yes"),
    ]);
    assert_eq!(verdicts(&doc, "DET-SCP-CLOUDTRAIL"), workloads);
    assert_eq!(verdicts(&doc, "DET-SCP-CONFIG"), workloads);
    // With FullAWSAccess detached from sandbox, its allow-list denies what it leaves out.
    assert_eq!(
        verdicts(&doc, "DET-SCP-SECURITYHUB"),
        map(&[
            ("legacy", "missing"),
            ("log-archive", "missing"),
            ("prod-app", "missing"),
            ("sandbox-dev", "yes")
        ])
    );
    assert!(
        why(&doc, "sandbox-dev", "DET-SCP-SECURITYHUB")
            .contains("not allowed at OU `sandbox` (an allow-list SCP)")
    );
    // The allow-list allows cloudtrail:*: the detective SCP still protects the trail there.
    assert!(
        why(&doc, "sandbox-dev", "DET-SCP-CLOUDTRAIL")
            .starts_with("by `aws_organizations_policy.protect_detective`")
    );
    // The RCP is on the security OU only.
    assert_eq!(
        verdicts(&doc, "LOG-RCP-PERIMETER"),
        map(&[
            ("legacy", "missing"),
            ("log-archive", "yes"),
            ("prod-app", "missing"),
            ("sandbox-dev", "missing")
        ])
    );
    // The region SCP is attached to nothing.
    assert_eq!(status(&doc, "REG-SCP"), "violated");
    assert!(
        why(&doc, "prod-app", "REG-SCP")
            .contains("`aws_organizations_policy.region_deny` is attached to nothing")
    );
}

/// Literal IDs across files: the root ID names the tree's one organization; an OU named only by
/// its ID is placed under the root (its own guardrails and the root's reach it); a standalone SCP
/// document is judged where `[[documents]] targets` attaches it.
#[test]
fn literal_ids_and_configured_documents() {
    let dir = TempDir::new().unwrap();
    fs::write(
        dir.path().join("org.yaml"),
        "Resources:\n  Org:\n    Type: AWS::Organizations::Organization\n  Apps:\n    Type: AWS::Organizations::OrganizationalUnit\n    Properties:\n      Name: apps\n      ParentId: !GetAtt Org.RootId\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("deny-root.tf"),
        "resource \"aws_organizations_policy\" \"deny_root\" {\n  content = jsonencode({Statement = [{Effect = \"Deny\", Action = \"*\", Resource = \"*\", Condition = {StringLike = {\"aws:PrincipalArn\" = \"arn:aws:iam::*:root\"}}}]})\n}\nresource \"aws_organizations_policy_attachment\" \"a\" {\n  policy_id = aws_organizations_policy.deny_root.id\n  target_id = \"ou-ab12-22222222\"\n}\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("protect-trails.json"),
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail"], "Resource": "*"}]}"#,
    )
    .unwrap();
    fs::write(
        dir.path().join("tripline.toml"),
        "[[documents]]\npaths = [\"protect-trails.json\"]\nkind = \"scp\"\ntargets = [\"r-ab12\"]\n",
    )
    .unwrap();
    let doc = coverage(dir.path());
    let targets: Vec<(String, Value, bool)> = doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_string(),
                t["id"].clone(),
                t["placed"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        targets,
        [
            ("root".to_string(), Value::from("r-ab12"), true),
            ("apps".to_string(), Value::Null, true),
            (
                "ou-ab12-22222222".to_string(),
                Value::from("ou-ab12-22222222"),
                false
            ),
        ]
    );
    let of =
        |name: &str, objective: &str| target(&doc, name)["objectives"][objective]["status"].clone();
    assert_eq!(of("ou-ab12-22222222", "ROOT-SCP"), "established");
    assert_eq!(of("apps", "ROOT-SCP"), "missing");
    assert_eq!(status(&doc, "ROOT-SCP"), "partial");
    // The document at the root reaches both OUs.
    assert_eq!(of("apps", "DET-SCP-CLOUDTRAIL"), "established");
    assert_eq!(of("ou-ab12-22222222", "DET-SCP-CLOUDTRAIL"), "established");
    assert_eq!(status(&doc, "DET-SCP-CLOUDTRAIL"), "established");
    // Without the targets, where the document is attached is unknown: the tree-wide verdict
    // stands.
    fs::write(
        dir.path().join("tripline.toml"),
        "[[documents]]\npaths = [\"protect-trails.json\"]\nkind = \"scp\"\n",
    )
    .unwrap();
    let doc = coverage(dir.path());
    assert_eq!(status(&doc, "DET-SCP-CLOUDTRAIL"), "established");
    let apps = target(&doc, "apps");
    assert_eq!(
        apps["objectives"]["DET-SCP-CLOUDTRAIL"]["status"],
        "unknown"
    );
    // A target that is not an ID is a config error naming it.
    fs::write(
        dir.path().join("tripline.toml"),
        "[[documents]]\npaths = [\"protect-trails.json\"]\nkind = \"scp\"\ntargets = [\"workloads\"]\n",
    )
    .unwrap();
    let out = Command::cargo_bin("tripline")
        .unwrap()
        .current_dir(dir.path())
        .args(["coverage", ".", "--no-cache"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("[[documents]] target `workloads`"));
}

/// The human and Markdown reports show the per-target table; SARIF points a partial
/// objective at the guardrail, with the accounts that lack it as related places.
#[test]
fn reports_show_the_table_and_point_at_the_guardrail() {
    let dir = fixture("cloudformation");
    let (human, _) = run(&dir, "human");
    assert!(
        human.contains("per target (yes: in force; NO: not in force"),
        "{human}"
    );
    assert!(
        human.contains("\n        account `prod-app`     yes"),
        "{human}"
    );
    assert!(
        human.contains("not at account `legacy`: not attached here or above"),
        "{human}"
    );
    let (md, _) = run(&dir, "markdown");
    assert!(md.contains("## Per target"), "{md}");
    assert!(
        md.contains("| &nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;account \\`prod-app\\` |"),
        "{md}"
    );
    let (sarif, _) = run(&dir, "sarif");
    let doc: Value = serde_json::from_str(&sarif).unwrap();
    let result = doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "REG-SCP")
        .unwrap();
    assert_eq!(result["kind"], "fail");
    assert!(
        result["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("REG-SCP is not in force at account `log-archive`, account `legacy`")
    );
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        100
    );
    let related: Vec<&str> = result["relatedLocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["message"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(related, ["account `log-archive`", "account `legacy`"]);
}

/// A deny that exempts an account by `aws:PrincipalAccount` is not in force there: that
/// account lacks the guardrail, and the verdict says it is exempted.
#[test]
fn an_exempted_account_lacks_the_guardrail() {
    let dir = TempDir::new().unwrap();
    fs::write(
        dir.path().join("org.tf"),
        r#"resource "aws_organizations_organization" "org" {}

resource "aws_organizations_policy" "protect_trails" {
  content = jsonencode({Statement = [{
    Effect = "Deny", Action = ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail"], Resource = "*",
    Condition = {StringNotEquals = {"aws:PrincipalAccount" = ["111122223333"]}}
  }]})
}

resource "aws_organizations_policy_attachment" "protect_trails" {
  policy_id = aws_organizations_policy.protect_trails.id
  target_id = aws_organizations_organization.org.roots[0].id
}

resource "aws_organizations_policy" "regions" {
  content = jsonencode({Statement = [{
    Effect = "Deny", NotAction = ["iam:*"], Resource = "*",
    Condition = {StringNotEquals = {"aws:RequestedRegion" = ["eu-west-1"]}}
  }]})
}

resource "aws_organizations_policy_attachment" "regions" {
  for_each  = toset(["111122223333", "444455556666"])
  policy_id = aws_organizations_policy.regions.id
  target_id = "444455556666"
}

resource "aws_organizations_policy_attachment" "regions_exempted" {
  policy_id = aws_organizations_policy.regions.id
  target_id = "111122223333"
}
"#,
    )
    .unwrap();
    let doc = coverage(dir.path());
    assert_eq!(
        verdicts(&doc, "DET-SCP-CLOUDTRAIL"),
        map(&[("111122223333", "missing"), ("444455556666", "yes")])
    );
    assert_eq!(
        why(&doc, "111122223333", "DET-SCP-CLOUDTRAIL"),
        "`aws_organizations_policy.protect_trails` is in force here but exempts this account"
    );
    assert_eq!(status(&doc, "DET-SCP-CLOUDTRAIL"), "partial");
    // Both accounts have the region guardrail; the root itself (not a leaf) does not.
    assert_eq!(
        verdicts(&doc, "REG-SCP"),
        map(&[("111122223333", "yes"), ("444455556666", "yes")])
    );
    assert_eq!(status(&doc, "REG-SCP"), "established");
}

/// `check --coverage` reports an objective in force in only some accounts as COV001, naming
/// them.
#[test]
fn check_with_coverage_reports_a_partial_objective() {
    let out = Command::cargo_bin("tripline")
        .unwrap()
        .current_dir(fixture("cloudformation"))
        .env_remove("TRIPLINE_CACHE_DIR")
        .args(["check", ".", "--coverage", "--no-cache", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let message = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["policy"] == "COV001" && f["resource"] == "REG-SCP")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.starts_with(
            "control objective REG-SCP is not in force in the whole organization (An SCP restricts the Regions infrastructure runs in): account `log-archive`, account `legacy` lack it."
        ),
        "{message}"
    );
}

/// An organization that exists already: OUs under the root a data source reads (through a
/// local), as real configurations write them.
#[test]
fn the_root_of_an_existing_organization_through_a_data_source() {
    let dir = TempDir::new().unwrap();
    fs::write(
        dir.path().join("main.tf"),
        r#"data "aws_organizations_organization" "current" {}

locals {
  root_id = data.aws_organizations_organization.current.roots[0].id
}

resource "aws_organizations_organizational_unit" "workloads" {
  name      = "Workloads"
  parent_id = local.root_id
}

resource "aws_organizations_organizational_unit" "sandbox" {
  name      = "Sandbox"
  parent_id = local.root_id
}

resource "aws_organizations_policy" "deny_root" {
  content = jsonencode({Statement = [{Effect = "Deny", Action = "*", Resource = "*", Condition = {StringLike = {"aws:PrincipalArn" = "arn:aws:iam::*:root"}}}]})
}

resource "aws_organizations_policy_attachment" "deny_root" {
  policy_id = aws_organizations_policy.deny_root.id
  target_id = aws_organizations_organizational_unit.workloads.id
}
"#,
    )
    .unwrap();
    let doc = coverage(dir.path());
    assert_eq!(
        rows(&doc, "ROOT-SCP"),
        [
            row("root", "root", true, "missing"),
            row("ou", "Sandbox", true, "missing"),
            row("ou", "Workloads", true, "established"),
        ]
    );
    assert_eq!(status(&doc, "ROOT-SCP"), "partial");
}

/// Modules: an organization module and an SCP module whose target the root configuration
/// passes from the first's output. Each module is also checked on its own; the tree still has
/// one organization, and the SCP is where the call attaches it.
#[test]
fn modules_declare_one_organization_and_attach_where_called() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("modules/org")).unwrap();
    fs::create_dir_all(root.join("modules/scp")).unwrap();
    fs::write(
        root.join("main.tf"),
        "module \"org\" {\n  source = \"./modules/org\"\n}\n\nmodule \"deny_root\" {\n  source    = \"./modules/scp\"\n  target_id = module.org.workloads_id\n}\n",
    )
    .unwrap();
    fs::write(
        root.join("modules/org/main.tf"),
        r#"resource "aws_organizations_organization" "main" {}

resource "aws_organizations_organizational_unit" "workloads" {
  name      = "Workloads"
  parent_id = aws_organizations_organization.main.roots[0].id
}

resource "aws_organizations_organizational_unit" "security" {
  name      = "Security"
  parent_id = aws_organizations_organization.main.roots[0].id
}

output "workloads_id" {
  value = aws_organizations_organizational_unit.workloads.id
}
"#,
    )
    .unwrap();
    fs::write(
        root.join("modules/scp/main.tf"),
        r#"variable "target_id" { type = string }

resource "aws_organizations_policy" "deny_root" {
  content = jsonencode({Statement = [{Effect = "Deny", Action = "*", Resource = "*", Condition = {StringLike = {"aws:PrincipalArn" = "arn:aws:iam::*:root"}}}]})
}

resource "aws_organizations_policy_attachment" "this" {
  policy_id = aws_organizations_policy.deny_root.id
  target_id = var.target_id
}
"#,
    )
    .unwrap();
    let doc = coverage(root);
    assert_eq!(
        rows(&doc, "ROOT-SCP"),
        [
            row("root", "root", true, "missing"),
            row("ou", "Security", true, "missing"),
            row("ou", "Workloads", true, "established"),
        ]
    );
    assert_eq!(status(&doc, "ROOT-SCP"), "partial");
}
