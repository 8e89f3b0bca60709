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

/// A trail whose multi-Region setting is the variable `multi` (LOG001 when it is false).
const TRAIL_OF_VAR: &str = "resource \"aws_cloudtrail\" \"t\" {\n  name                          = \"t\"\n  s3_bucket_name                = \"logs\"\n  is_multi_region_trail         = var.multi\n  enable_log_file_validation    = true\n  include_global_service_events = true\n}\n";

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

/// Files Terraform and OpenTofu leave out of a module (hidden, `~` backups, `#...#` autosaves)
/// are not merged into it: a hidden override turning multi-Region on hid a high LOG001.
#[test]
fn files_terraform_ignores_are_not_part_of_the_configuration() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    let trail = "resource \"aws_cloudtrail\" \"t\" {\n  name                          = \"t\"\n  s3_bucket_name                = \"logs\"\n  is_multi_region_trail         = false\n  enable_log_file_validation    = true\n  include_global_service_events = true\n}\n";
    let fixed = "resource \"aws_cloudtrail\" \"t\" {\n  is_multi_region_trail = true\n}\n";
    write(root, "main.tf", trail);
    write(root, ".x_override.tf", fixed);
    write(root, "#y_override.tf#", fixed);
    write(root, "z_override.tf~", fixed);
    let (code, out) = parseable(root, &["--select", "LOG001"]);
    assert_eq!(code, Some(1), "{out}");
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            "main.tf:4:35: high LOG001 trail `aws_cloudtrail.t` is not multi-Region, so activity in other Regions goes unrecorded (is_multi_region_trail is false)"
        ]
    );
    // A visible override is read, as Terraform reads it.
    write(root, "x_override.tf", fixed);
    let (code, out) = parseable(root, &["--select", "LOG001"]);
    assert_eq!((code, out.as_str()), (Some(0), ""));
}

/// A `.tofu.json` file replaces the `.tf.json` file of the same name, and `--verbose` says the
/// directory is read as OpenTofu reads it.
#[test]
fn a_tofu_json_file_replaces_the_tf_json_file_and_verbose_says_so() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    let trail = |multi: bool| {
        format!(
            "{{\"resource\": {{\"aws_cloudtrail\": {{\"t\": {{\"name\": \"t\", \"s3_bucket_name\": \"logs\", \"is_multi_region_trail\": {multi}, \"enable_log_file_validation\": true}}}}}}}}\n"
        )
    };
    write(root, "main.tf", "variable \"x\" {\n  default = 1\n}\n");
    write(root, "trail.tf.json", &trail(true));
    write(root, "trail.tofu.json", &trail(false));
    let out = tripline()
        .current_dir(root)
        .args([
            "check",
            "--no-config",
            "--no-cache",
            "--verbose",
            "--format",
            "parseable",
        ])
        .args(["--select", "LOG001", "."])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stdout.starts_with("trail.tofu.json:1:"), "{stdout}");
    assert!(!stdout.contains("trail.tf.json"), "{stdout}");
    assert!(stderr.contains("read as OpenTofu reads it"), "{stderr}");
}

/// A variable file named alone (as pre-commit passes a staged `terraform.tfvars`) checks the
/// configuration it sets values for: a tfvars turning multi-Region off fails the run.
#[test]
fn a_named_variable_file_checks_its_configuration() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    write(root, "infra/main.tf", TRAIL_OF_VAR);
    write(
        root,
        "infra/variables.tf",
        "variable \"multi\" {\n  default = true\n}\n",
    );
    let run = |files: &[&str]| {
        let out = tripline()
            .current_dir(root)
            .args([
                "check",
                "--no-config",
                "--no-cache",
                "--format",
                "parseable",
            ])
            .args(["--select", "LOG001"])
            .args(files)
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8(out.stdout).unwrap())
    };
    assert_eq!(run(&["infra/variables.tf"]), (Some(0), String::new()));
    write(root, "infra/terraform.tfvars", "multi = false\n");
    let expected = "infra/main.tf:4:35: high LOG001 trail `aws_cloudtrail.t` is not multi-Region, so activity in other Regions goes unrecorded (is_multi_region_trail is false)\n";
    for files in [
        &["infra/terraform.tfvars"][..],
        &["infra/variables.tf"],
        // With a file of the configuration named too: each file once.
        &[
            "infra/terraform.tfvars",
            "infra/main.tf",
            "./infra/variables.tf",
        ],
    ] {
        assert_eq!(run(files), (Some(1), expected.to_string()), "{files:?}");
    }
    write(root, "infra/prod.auto.tfvars.json", "{\"multi\": true}\n");
    assert_eq!(
        run(&["infra/prod.auto.tfvars.json"]),
        (Some(0), String::new())
    );
}

/// What Terraform reads, tripline reads: a sibling with a UTF-8 byte-order mark or in UTF-16 is
/// merged into the configuration (its variable sets multi-Region off), and a `.tf` file that
/// is a link (a shared file kept elsewhere) is read through it, as Terraform does.
#[cfg(unix)]
#[test]
fn bom_utf16_and_linked_configuration_files_are_read_as_terraform_reads_them() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    let trail = TRAIL_OF_VAR;
    let variable = "variable \"multi\" {\n  default = false\n}\n";
    let expected = "infra/main.tf:4:35: high LOG001 trail `aws_cloudtrail.t` is not multi-Region, so activity in other Regions goes unrecorded (is_multi_region_trail is false)\n";
    write(root, "infra/main.tf", trail);
    let variables = root.join("infra/variables.tf");
    let check = || {
        let out = tripline()
            .current_dir(root)
            .args([
                "check",
                "--no-config",
                "--no-cache",
                "--format",
                "parseable",
            ])
            .args(["--select", "LOG001", "infra"])
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8(out.stdout).unwrap())
    };
    fs::write(&variables, format!("\u{feff}{variable}")).unwrap();
    assert_eq!(check(), (Some(1), expected.to_string()), "UTF-8 with a BOM");
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(variable.encode_utf16().flat_map(u16::to_le_bytes));
    fs::write(&variables, utf16).unwrap();
    let (code, out) = check();
    assert_eq!(code, Some(1));
    assert!(out.contains(expected), "UTF-16: {out}");
    // A linked variables file, kept outside the module.
    fs::remove_file(&variables).unwrap();
    write(root, "shared/variables.tf", variable);
    std::os::unix::fs::symlink("../shared/variables.tf", &variables).unwrap();
    assert_eq!(check(), (Some(1), expected.to_string()), "linked");
    // A linked file with the resource: walked and reported at the link, as Terraform reads it.
    fs::remove_file(root.join("infra/main.tf")).unwrap();
    write(root, "shared/trail.tf", trail);
    std::os::unix::fs::symlink("../shared/trail.tf", root.join("infra/main.tf")).unwrap();
    assert_eq!(check(), (Some(1), expected.to_string()), "linked resource");
}

/// A registry module that `terraform init` installed is third-party code no walk reaches: what
/// it reports as the call instantiates it lands on the call (the argument), names the module's
/// resource, and a comment on the call suppresses it. A record pointing out of `.terraform` is
/// not followed; without `.terraform`, `--verbose` says the module is not on disk.
#[test]
fn installed_modules_are_checked_through_their_call() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/plan-source/root/infra");
    for file in [
        "main.tf",
        ".terraform/modules/modules.json",
        ".terraform/modules/org_trail/main.tf",
    ] {
        write(root, file, &fs::read_to_string(fixture.join(file)).unwrap());
    }
    let check = |args: &[&str]| {
        let out = tripline()
            .current_dir(root)
            .args([
                "check",
                "--no-config",
                "--no-cache",
                "--format",
                "parseable",
            ])
            .args(args)
            .arg(".")
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (code, out, _) = check(&[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        out,
        "main.tf:14:13: high LOG001 trail `module.org_trail.aws_cloudtrail.this` is not logging (enable_logging is false)\n"
    );
    let text = fs::read_to_string(root.join("main.tf")).unwrap();
    let commented = text.replace(
        "module \"org_trail\" {",
        "# tripline:ignore LOG001 reviewed upstream\nmodule \"org_trail\" {",
    );
    fs::write(root.join("main.tf"), &commented).unwrap();
    assert_eq!(check(&[]).0, Some(0));
    fs::write(root.join("main.tf"), &text).unwrap();
    // A planted record pointing anywhere else on the machine is not followed.
    write(
        root,
        "elsewhere/main.tf",
        &fs::read_to_string(fixture.join(".terraform/modules/org_trail/main.tf")).unwrap(),
    );
    write(
        root,
        ".terraform/modules/modules.json",
        "{\"Modules\":[{\"Key\":\"org_trail\",\"Dir\":\"elsewhere\"}]}",
    );
    let (code, out, stderr) = check(&["--verbose"]);
    assert_eq!((code, out.as_str()), (Some(0), ""), "{stderr}");
    assert!(stderr.contains("module `org_trail` comes from `terraform-aws-modules/cloudtrail/aws`, which is not on disk"), "{stderr}");
}

/// An installed module's own registry calls are installed under nested keys (`audit.bucket`
/// in `modules.json`): they are followed too, and the trail of one installed module links to
/// the bucket of the other, what that makes wrong landing on the root's call.
#[test]
fn nested_installed_modules_are_followed_by_their_key() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    write(
        root,
        "main.tf",
        "module \"audit\" {\n  source  = \"example/audit/aws\"\n  version = \"1.0.0\"\n}\n",
    );
    write(
        root,
        ".terraform/modules/audit/main.tf",
        "module \"bucket\" {\n  source = \"example/bucket/aws\"\n  name   = \"org-trail-logs\"\n}\n\n\
         resource \"aws_cloudtrail\" \"this\" {\n  name           = \"org\"\n  s3_bucket_name = module.bucket.id\n}\n",
    );
    write(
        root,
        ".terraform/modules/audit.bucket/main.tf",
        "variable \"name\" {}\n\nresource \"aws_s3_bucket\" \"this\" {\n  bucket = var.name\n}\n\n\
         output \"id\" {\n  value = aws_s3_bucket.this.id\n}\n",
    );
    let record = |nested: bool| {
        let mut modules = vec![
            "{\"Key\":\"\",\"Source\":\"\",\"Dir\":\".\"}",
            "{\"Key\":\"audit\",\"Source\":\"registry.terraform.io/example/audit/aws\",\"Dir\":\".terraform/modules/audit\"}",
        ];
        if nested {
            modules.push("{\"Key\":\"audit.bucket\",\"Source\":\"registry.terraform.io/example/bucket/aws\",\"Dir\":\".terraform/modules/audit.bucket\"}");
        }
        write(
            root,
            ".terraform/modules/modules.json",
            &format!("{{\"Modules\":[{}]}}", modules.join(",")),
        );
    };
    record(true);
    let (code, out) = parseable(root, &["--select", "LOG005,LOG009"]);
    assert_eq!(code, Some(1), "{out}");
    assert_eq!(
        out,
        "main.tf:1:8: high LOG005 `module.audit.module.bucket.aws_s3_bucket.this` receives \
         CloudTrail logs but has no server access logging, so reads and deletions of the audit \
         trail leave no record\n"
    );
    // Without the nested record, the bucket is not on disk: nothing is said of it.
    record(false);
    let (code, out) = parseable(root, &["--select", "LOG005,LOG009"]);
    assert_eq!((code, out.as_str()), (Some(0), ""));
}

/// Module calls that cannot be followed (registry modules never installed) are counted in the
/// summary of every format, with how to follow them: a partial check never looks whole.
#[test]
fn every_format_says_how_many_module_calls_were_not_followed() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    write(
        root,
        "main.tf",
        "module \"vpc\" {\n  source = \"terraform-aws-modules/vpc/aws\"\n}\n\nmodule \"eks\" {\n  source = \"git::https://example.com/eks.git\"\n}\n\nmodule \"local\" {\n  source = \"./local\"\n}\n",
    );
    write(
        root,
        "local/main.tf",
        "variable \"x\" {\n  default = 1\n}\n",
    );
    let run = |format: &str| {
        let out = tripline()
            .current_dir(root)
            .args([
                "check",
                "--no-config",
                "--no-cache",
                "--format",
                format,
                ".",
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{format}");
        (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let says = "2 module calls not followed: the modules are not on disk (`terraform init`";
    let (human, _) = run("human");
    assert!(human.contains(says), "{human}");
    let (json, stderr) = run("json");
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["summary"]["modules_not_followed"], 2);
    assert!(stderr.contains(says), "{stderr}");
    let (sarif, _) = run("sarif");
    let log: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(
        log["runs"][0]["properties"]["modulesNotFollowed"]["count"],
        2
    );
    let (github, _) = run("github");
    assert!(
        github.starts_with("::notice title=tripline::2 module calls not followed"),
        "{github}"
    );
    let (markdown, _) = run("markdown");
    assert!(
        markdown.contains("2 module calls not followed"),
        "{markdown}"
    );
    for format in ["parseable", "junit"] {
        let (_, stderr) = run(format);
        assert!(stderr.contains(says), "{format}: {stderr}");
    }
    // Without unfollowed calls, the JSON summary has no such field.
    write(
        root,
        "main.tf",
        "module \"local\" {\n  source = \"./local\"\n}\n",
    );
    let (json, _) = run("json");
    assert!(!json.contains("modules_not_followed"), "{json}");
}

/// `--var-file` and `--var` apply as `terraform plan` applies them: after the directory's own
/// variable files, later ones winning, `--var` last. A changed var file is never served from
/// the result cache; one that does not parse is an error naming its line.
#[test]
fn var_files_and_vars_set_values_with_terraforms_precedence() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    write(root, "infra/main.tf", TRAIL_OF_VAR);
    write(
        root,
        "infra/variables.tf",
        "variable \"multi\" {\n  default = true\n}\n",
    );
    write(root, "infra/terraform.tfvars", "multi = true\n");
    write(root, "off.tfvars", "multi = false\n");
    write(root, "on.tfvars.json", "{\"multi\": true}\n");
    let cache = root.join("cache");
    let run = |args: &[&str]| {
        let out = tripline()
            .current_dir(root)
            .env("XDG_CACHE_HOME", root.join("home"))
            .args([
                "check",
                "--no-config",
                "--format",
                "parseable",
                "--select",
                "LOG001",
            ])
            .arg("--cache-dir")
            .arg(&cache)
            .args(args)
            .arg("infra")
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_eq!(run(&[]).0, Some(0));
    assert_eq!(
        run(&["--var-file", "off.tfvars"]).0,
        Some(1),
        "after terraform.tfvars"
    );
    assert_eq!(run(&["--var", "multi=false"]).0, Some(1));
    assert_eq!(
        run(&["--var-file", "off.tfvars", "--var-file", "on.tfvars.json"]).0,
        Some(0)
    );
    assert_eq!(
        run(&["--var-file", "on.tfvars.json", "--var-file", "off.tfvars"]).0,
        Some(1)
    );
    assert_eq!(
        run(&["--var-file", "off.tfvars", "--var", "multi=true"]).0,
        Some(0)
    );
    // The same flags, another file content: checked again, not served from the cache.
    write(root, "off.tfvars", "multi = true\n");
    assert_eq!(run(&["--var-file", "off.tfvars"]).0, Some(0));
    write(root, "off.tfvars", "multi = \n");
    let (code, stderr) = run(&["--var-file", "off.tfvars"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("off.tfvars:1:"), "{stderr}");
    assert_eq!(run(&["--var", "9x=1"]).0, Some(2));
    // `coverage` takes them too: the trail's drift is LOG001 only with multi-Region off.
    let coverage = |args: &[&str]| {
        let out = tripline()
            .current_dir(root)
            .args(["coverage", "--no-config", "--no-cache", "--format", "json"])
            .args(args)
            .arg("infra")
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(!coverage(&[]).contains("is not multi-Region"));
    assert!(coverage(&["--var", "multi=false"]).contains("is not multi-Region"));
}

/// A module on disk, as each call instantiates it: what a call's arguments make wrong is
/// reported at the argument, where the value is written (even when it equals the default);
/// what the module's defaults make wrong is reported once, in the module's own file; the
/// caller's expressions are evaluated in the caller (`var.regional` is its default, false);
/// the module's comment suppressions hold for every call; a registry module is never fetched.
#[test]
fn local_module_calls_are_checked_with_the_callers_arguments() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    write(
        root,
        "modules/trail/main.tf",
        "variable \"multi\" {\n  default = true\n}\nvariable \"validate\" {\n  default = false\n}\nvariable \"days\" {\n  default = 365\n}\nvariable \"archive_days\" {\n  default = 1\n}\n\
         resource \"aws_cloudtrail\" \"this\" {\n  name                       = \"t\"\n  s3_bucket_name             = \"b\"\n  is_multi_region_trail      = var.multi\n  enable_log_file_validation = var.validate\n}\n\
         # tripline:ignore LOG019 the archive group is exported to S3 nightly\n\
         resource \"aws_cloudwatch_log_group\" \"archive\" {\n  retention_in_days = var.archive_days\n}\n\
         resource \"aws_cloudwatch_log_group\" \"app\" {\n  retention_in_days = var.days\n}\n",
    );
    write(
        root,
        "live/main.tf",
        "variable \"regional\" {\n  default = false\n}\n\
         module \"literal\" {\n  source   = \"../modules/trail\"\n  multi    = false\n  validate = false\n  days     = 7\n  archive_days = 2\n}\n\
         module \"expression\" {\n  source = \"../modules/trail\"\n  multi  = var.regional\n  days   = \"${var.regional}\"\n}\n\
         module \"remote\" {\n  source  = \"terraform-aws-modules/cloudtrail/aws\"\n  version = \"5.0.0\"\n  multi   = false\n}\n",
    );
    write(
        root,
        "live/versions.tf",
        "terraform {\n  required_version = \">= 1.5\"\n}\n",
    );
    let (code, out) = parseable(root, &["--select", "LOG001,LOG019"]);
    assert_eq!(code, Some(1), "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            // `multi = false` of the literal call: at the argument, named by the instance.
            "live/main.tf:6:14: high LOG001 trail `module.literal.aws_cloudtrail.this` is not \
             multi-Region, so activity in other Regions goes unrecorded (is_multi_region_trail \
             is false)",
            // `validate = false`, written by the call.
            "live/main.tf:7:14: high LOG001 trail `module.literal.aws_cloudtrail.this` does not \
             validate its log files, so tampering with delivered logs goes unnoticed \
             (enable_log_file_validation is false)",
            // `days = 7`: the `app` group. (`archive_days = 2` is suppressed by the module's
            // comment, which its own check uses for the default of 1 day.)
            "live/main.tf:8:14: medium LOG019 log group `module.literal.aws_cloudwatch_log_group.app` \
             keeps logs for 7 days, less than the 365 days an investigation may need to look back",
            // `multi = var.regional`: the caller's variable, false by default.
            "live/main.tf:13:12: high LOG001 trail `module.expression.aws_cloudtrail.this` is not \
             multi-Region, so activity in other Regions goes unrecorded (is_multi_region_trail \
             is false)",
            // `validate` left to the module's default: reported once, in the module's own file.
            "modules/trail/main.tf:17:32: high LOG001 trail `aws_cloudtrail.this` does not \
             validate its log files, so tampering with delivered logs goes unnoticed \
             (enable_log_file_validation is false)",
        ],
        "{out}"
    );
    // The registry module is never fetched; --verbose says so.
    let out = tripline()
        .current_dir(root)
        .args(["check", "--no-config", "--verbose", "live/main.tf"])
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(
            "note: live/main.tf: module `remote` comes from `terraform-aws-modules/cloudtrail/aws`, \
             which is not on disk"
        ),
        "{stderr}"
    );
}

/// A file is parsed a top-level block at a time (to bound hcl-edit's memory by the largest
/// block): positions in later blocks, a syntax error in one, and a repeated object key in one
/// are where the whole file says they are.
#[test]
fn blocks_parsed_one_by_one_keep_their_positions() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    let first = "# the first block\nresource \"aws_s3_bucket\" \"a\" {\n  bucket = \"a-${var.x}\"\n  tags = { note = \"}\" }\n}\n\n";
    let heredoc = "locals {\n  doc = <<-EOT\n    { not a brace }\n    EOT\n}\n";
    write(
        root,
        "ok/main.tf",
        &format!(
            "{first}{heredoc}resource \"aws_s3_bucket\" \"b\" {{\n  bucket = \"b\"\n  tags   = {{ k = 1, k = 2 }}\n}}\n"
        ),
    );
    write(
        root,
        "broken/main.tf",
        &format!("{first}resource \"aws_s3_bucket\" \"b\" {{\n  bucket = \n}}\n"),
    );
    let (code, out) = parseable(root, &["--select", "PARSE001,PARSE002,LOG009"]);
    assert_eq!(code, Some(1), "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "broken/main.tf:8:12: high PARSE001 HCL: invalid expression; expected `\"`, `[`, `{`, `-`, `!`, `(`, `_`, `<`, letter or digit",
            "ok/main.tf:2:26: low LOG009 bucket `aws_s3_bucket.a` has no server access logging, so requests to it leave no record",
            "ok/main.tf:12:26: low LOG009 bucket `aws_s3_bucket.b` has no server access logging, so requests to it leave no record",
            "ok/main.tf:14:21: medium PARSE002 duplicate key `k` in an object: the last value is used",
        ],
        "{out}"
    );
}

/// A module call whose module is on disk but that composing would take past a bound (here a
/// module that calls itself) is said, as a call not on disk is: counted in every format's
/// summary, named with the bound under `--verbose`, the same when served from the result
/// cache, and the same whether the file is checked alone or with its directory.
#[test]
fn module_calls_past_a_composition_bound_are_said_not_composed() {
    let dir = TempDir::new().unwrap();
    let root = dir.path().join("infra");
    write(
        &root,
        "main.tf",
        "# the root\nmodule \"top\" {\n  source = \"./loop\"\n}\n",
    );
    write(
        &root,
        "loop/main.tf",
        "module \"again\" {\n  source = \"../loop\"\n}\nresource \"aws_s3_bucket\" \"b\" {}\n",
    );
    let cache = dir.path().join("cache");
    let run = |format: &str, extra: &[&str]| {
        let out = tripline()
            .current_dir(dir.path())
            .args(["check", "--no-config", "--cache-dir"])
            .arg(&cache)
            .args(["--format", format])
            .args(extra)
            .arg("infra/main.tf")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{format}");
        (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let says = "1 module call not composed: past tripline's bounds on composing modules";
    let note = "note: infra/main.tf: module `top.again` (from `../loop`, under the call on line 2) \
                was not composed, since its module is among the modules that call it";
    for alone in [true, false] {
        if !alone {
            // Two files: the directory is checked as one configuration.
            write(&root, "variables.tf", "variable \"unused\" {}\n");
        }
        for _fresh_then_cached in 0..2 {
            let (human, stderr) = run("human", &["--verbose"]);
            assert!(human.contains(says), "{human}");
            assert!(!human.contains("not on disk"), "{human}");
            assert!(stderr.contains(note), "{stderr}");
        }
        let (json, _) = run("json", &[]);
        let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(doc["summary"]["modules_not_followed"], 1);
        assert_eq!(doc["summary"]["modules_past_bounds"], 1);
        let (sarif, _) = run("sarif", &[]);
        let log: serde_json::Value = serde_json::from_str(&sarif).unwrap();
        let property = &log["runs"][0]["properties"]["modulesNotFollowed"];
        assert_eq!(property["count"], 1);
        assert_eq!(property["pastBounds"], 1);
        assert!(property["message"].as_str().unwrap().starts_with(says));
        let (github, _) = run("github", &[]);
        assert!(
            github.contains(&format!("::notice title=tripline::{says}")),
            "{github}"
        );
    }
}

/// A registry module that a local module calls, not installed, is said as the root's own
/// calls are: a call not followed, not on disk, named under `--verbose` with the file's call
/// it descends from. A local module whose directory is not there is said the same way.
#[test]
fn nested_and_local_modules_not_on_disk_are_said_not_followed() {
    let dir = TempDir::new().unwrap();
    let root = dir.path().join("infra");
    write(
        &root,
        "main.tf",
        "module \"wrap\" {\n  source = \"./wrap\"\n}\n\nmodule \"typo\" {\n  source = \"./wrapp\"\n}\n",
    );
    write(
        &root,
        "wrap/main.tf",
        "module \"label\" {\n  source = \"cloudposse/label/null\"\n}\n",
    );
    let out = tripline()
        .current_dir(dir.path())
        .args(["check", "--no-config", "--no-cache", "--verbose"])
        .args(["--format", "json", "infra/main.tf"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["summary"]["modules_not_followed"], 2, "{stderr}");
    assert!(
        doc["summary"].get("modules_past_bounds").is_none(),
        "{stderr}"
    );
    assert!(
        stderr.contains("2 module calls not followed: the modules are not on disk"),
        "{stderr}"
    );
    assert!(!stderr.contains("not composed: past"), "{stderr}");
    for note in [
        "module `wrap.label` (from `cloudposse/label/null`, under the call on line 1) was not \
         composed, since its module is not on disk",
        "module `typo` (from `./wrapp`, line 5) was not composed, since its module is not on disk",
    ] {
        assert!(stderr.contains(note), "{note}\n{stderr}");
    }
}
