//! The IAM model through the real binary: standalone policy documents and how their kind is
//! decided, and the messages of findings whose values are only partly known.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use tempfile::TempDir;

fn tripline() -> Command {
    let mut cmd = Command::cargo_bin("tripline").unwrap();
    cmd.env_remove("NO_COLOR").env("TERM", "dumb");
    cmd
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, content).unwrap();
    path
}

fn findings(output: &[u8]) -> Vec<serde_json::Value> {
    let v: serde_json::Value = serde_json::from_slice(output).expect("valid JSON output");
    v["findings"].as_array().unwrap().clone()
}

const TRAIL_ADMIN: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "cloudtrail:StopLogging", "Resource": "*"}]}"#;

#[test]
fn standalone_documents_are_checked_and_config_says_what_they_are() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "scps/trail.json", TRAIL_ADMIN);
    write(dir.path(), "iam/trail.json", TRAIL_ADMIN);
    // Without a config entry, a document of allows is an identity policy.
    let out = tripline()
        .args(["check", "--no-config", "--format", "json", "--verbose"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "policy-document: identity policy, assumed",
        ))
        .get_output()
        .clone();
    let found = findings(&out.stdout);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found.iter().all(|f| f["policy"] == "DET001"));
    assert!(
        found[0]["message"]
            .as_str()
            .unwrap()
            .contains("policy of `trail.json`")
    );

    // With one, the SCP's Allow grants nothing; the identity policy still does.
    write(
        dir.path(),
        "tripline.toml",
        "[[documents]]\npaths = [\"scps/**\"]\nkind = \"scp\"\n",
    );
    let out = tripline()
        .args(["check", "--format", "json", "--verbose"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "policy-document: SCP, from config",
        ))
        .get_output()
        .clone();
    let found = findings(&out.stdout);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0]["path"]
            .as_str()
            .unwrap()
            .contains("iam/trail.json")
    );
}

#[test]
fn an_unknown_document_kind_is_a_config_error() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "p.json", TRAIL_ADMIN);
    write(
        dir.path(),
        "tripline.toml",
        "[[documents]]\npaths = [\"*.json\"]\nkind = \"boundary\"\n",
    );
    tripline()
        .arg("check")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown kind `boundary`"))
        .stderr(predicate::str::contains("tripline.toml"));
}

#[test]
fn a_principal_from_a_parameter_is_named_not_printed_from_its_placeholder() {
    let out = tripline()
        .args([
            "check",
            "--no-config",
            "--select",
            "ROOT001",
            "--format",
            "json",
        ])
        .arg(fixtures().join("ROOT001/fail-unknown-parts.yaml"))
        .assert()
        .code(1)
        .get_output()
        .clone();
    let messages: Vec<String> = findings(&out.stdout)
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    let placeholder = messages
        .iter()
        .find(|m| m.contains("`Placeholder`"))
        .expect("the Placeholder role is reported");
    assert!(
        placeholder.contains("the account from parameter `TrustedAccount`"),
        "{placeholder}"
    );
    assert!(
        !messages.iter().any(|m| m.contains("iam::/:root")),
        "{messages:?}"
    );
    let transport = messages
        .iter()
        .find(|m| m.contains("`TransportOnly`"))
        .unwrap();
    assert!(
        transport.contains("`aws:SecureTransport` (a property of the request"),
        "{transport}"
    );
}

#[test]
fn managed_policies_are_named_in_messages_and_explained() {
    let out = tripline()
        .args([
            "check",
            "--no-config",
            "--select",
            "DET001",
            "--format",
            "json",
        ])
        .arg(fixtures().join("DET001/fail-effective.tf.json"))
        .assert()
        .code(1)
        .get_output()
        .clone();
    let messages: Vec<String> = findings(&out.stdout)
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    assert!(
        messages.iter().any(|m| m.starts_with(
            "AWS managed policy `PowerUserAccess` attached to `aws_iam_role.ops` by \
             `aws_iam_role_policy_attachment.power`"
        )),
        "{messages:?}"
    );
    tripline()
        .args(["explain", "DET001"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("AWS managed policies"))
        .stdout(predicate::str::contains("as of 20"));
    tripline()
        .args(["explain", "ROOT001"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("aws:PrincipalOrgID"))
        .stdout(predicate::str::contains("aws:Referer"));
}

#[test]
fn power_user_is_reported_as_what_it_is() {
    let out = tripline()
        .args([
            "check",
            "--no-config",
            "--select",
            "ROOT010",
            "--format",
            "json",
        ])
        .arg(fixtures().join("ROOT010/fail-power-user.yaml"))
        .assert()
        .code(1)
        .get_output()
        .clone();
    let found = findings(&out.stdout);
    let message = found[0]["message"].as_str().unwrap();
    assert!(message.contains("power-user"), "{message}");
    assert!(!message.contains("full administrator"), "{message}");
}
