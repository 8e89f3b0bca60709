//! Plan findings at their `.tf` source, with the real binary on plans `terraform show -json`
//! wrote (Terraform 1.11, AWS provider 5.100, see `fixtures/plan-source/README.md`): a plan
//! finding is reported at the block or attribute that produced it, through local and
//! installed (remote) modules and module-call arguments, with the plan's place as related
//! information; comment suppressions in the `.tf` files apply; a plan without its
//! configuration keeps its findings.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/plan-source")
}

fn tripline() -> Command {
    let mut cmd = Command::cargo_bin("tripline").unwrap();
    cmd.env_remove("RUST_LOG");
    cmd
}

/// `check ARGS --format json` run in `dir`: exit code and the findings as
/// `POLICY path:line:column <- related path:line (message); ...`.
fn findings(dir: &Path, args: &[&str]) -> (Option<i32>, Vec<String>, Value) {
    let out = tripline()
        .current_dir(dir)
        .args(["check", "--no-config", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let lines = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let related: Vec<String> = f["related"]
                .as_array()
                .map(|r| {
                    r.iter()
                        .map(|r| format!("{}:{} ({})", r["path"], r["line"], r["message"]))
                        .collect()
                })
                .unwrap_or_default();
            format!(
                "{} {}:{}:{} <- {}",
                f["policy"].as_str().unwrap(),
                f["path"].as_str().unwrap(),
                f["line"],
                f["column"],
                related.join("; ").replace('"', "")
            )
        })
        .collect();
    (out.status.code(), lines, doc)
}

#[test]
fn plan_findings_are_reported_at_the_configuration_beside_the_plan() {
    let (code, lines, doc) = findings(
        &fixtures().join("beside"),
        &["--allowed-regions", "us-east-1", "plan.json"],
    );
    assert_eq!(code, Some(1));
    assert_eq!(
        lines,
        [
            // jsonencode(...) of the trust policy: the attribute, in the file that has it.
            "ROOT001 iam.tf:3:35 <- plan.json:189 (in the plan)",
            // The provider's region attribute.
            "REG001 main.tf:3:33 <- plan.json:334 (in the plan)",
            // Missing from the configuration (defaults): the block's label.
            "LOG006 main.tf:11:26 <- plan.json:217 (in the plan)",
            "LOG002 main.tf:15:27 <- plan.json:130 (in the plan)",
            // Literal attributes: where they are written.
            "LOG001 main.tf:18:32 <- plan.json:149 (in the plan)",
            "REG001 main.tf:20:32 <- plan.json:142 (in the plan)",
            // `is_multi_region_trail = var.multi` in the module, `multi = false` in the call:
            // reported at the argument, the module's attribute related.
            "LOG001 main.tf:27:12 <- plan.json:295 (in the plan); \
             modules/trail/main.tf:11 (through `var.multi` of module `audit`)",
            "REG001 modules/trail/main.tf:13:32 <- plan.json:288 (in the plan)",
        ]
    );
    // `# tripline:ignore LOG002 ...` above the module's resource suppressed its plan finding.
    assert_eq!(doc["summary"]["suppressed"], 1);
    // The finding names the plan's instance; the excerpt is the `.tf` text.
    let multi = &doc["findings"][6];
    assert!(
        multi["message"]
            .as_str()
            .unwrap()
            .contains("module.audit.aws_cloudtrail.this")
    );
    assert_eq!(multi["snippet"], "  multi  = false");
}

#[test]
fn terraform_root_names_the_configuration_and_installed_modules_are_followed() {
    let root = fixtures().join("root");
    let (code, lines, doc) = findings(&root, &["--terraform-root", "infra", "plans/prod.json"]);
    assert_eq!(code, Some(1));
    // The registry module `terraform init` installed under .terraform/modules (its
    // modules.json says where): the value comes from the call's `logging = false`.
    assert_eq!(
        lines,
        [
            "LOG001 infra/main.tf:14:13 <- plans/prod.json:65 (in the plan); \
          infra/.terraform/modules/org_trail/main.tf:9 (through `var.logging` of module `org_trail`)"
        ]
    );
    assert_eq!(
        doc["findings"][0]["resource"],
        "module.org_trail.aws_cloudtrail.this"
    );

    // Without the root, the plan is not beside its configuration: the finding stays in it.
    let (_, lines, _) = findings(&root, &["plans/prod.json"]);
    assert_eq!(lines, ["LOG001 plans/prod.json:65:29 <- "]);

    // The human report says where the plan has it.
    let out = tripline()
        .current_dir(&root)
        .args([
            "check",
            "--no-config",
            "--terraform-root",
            "infra",
            "plans/prod.json",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("╭─[infra/main.tf:14:13]"), "{text}");
    assert!(
        text.contains("in the plan: plans/prod.json:65:29"),
        "{text}"
    );

    let out = tripline()
        .current_dir(&root)
        .args(["check", "--terraform-root", "nowhere", "plans/prod.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--terraform-root nowhere: not a directory")
    );
}

#[test]
fn a_configuration_that_does_not_declare_the_plans_resources_keeps_them_in_the_plan() {
    // The plan's resources are not in this directory's configuration (another root's plan
    // copied here): nothing to point at, so the findings stay where they are.
    let dir = TempDir::new().unwrap();
    std::fs::copy(
        fixtures().join("root/plans/prod.json"),
        dir.path().join("plan.json"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "resource \"aws_s3_bucket\" \"other\" {\n  bucket = \"x\"\n}\n",
    )
    .unwrap();
    let (_, lines, _) = findings(dir.path(), &["plan.json"]);
    assert_eq!(lines, ["LOG001 plan.json:65:29 <- "]);
}

#[test]
fn sarif_carries_the_plan_as_a_related_location() {
    let out = tripline()
        .current_dir(fixtures().join("beside"))
        .args([
            "check",
            "--no-config",
            "--root",
            ".",
            "--format",
            "sarif",
            "plan.json",
        ])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let via = results
        .iter()
        .find(|r| {
            r["relatedLocations"]
                .as_array()
                .is_some_and(|l| l.len() == 2)
        })
        .expect("the module-call finding");
    let location = &via["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "main.tf");
    assert_eq!(location["region"]["startLine"], 27);
    let related = &via["relatedLocations"];
    assert_eq!(
        related[0]["physicalLocation"]["artifactLocation"]["uri"],
        "plan.json"
    );
    assert_eq!(related[0]["physicalLocation"]["region"]["startLine"], 295);
    assert_eq!(related[0]["message"]["text"], "in the plan");
    assert_eq!(
        related[1]["physicalLocation"]["artifactLocation"]["uri"],
        "modules/trail/main.tf"
    );
}
