//! The generated policy reference is current. Regenerate with
//! `cargo run -- rules --format markdown > docs/policies.md`
//! (or `TRIPLINE_UPDATE_DOCS=1 cargo test --test docs`).

use std::path::Path;

#[test]
fn policy_reference_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/policies.md");
    let expected = tripline::policy::reference_markdown();
    if std::env::var_os("TRIPLINE_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/policies.md is out of date: run `cargo run -- rules --format markdown > docs/policies.md`"
    );
    for m in tripline::policy::CATALOG {
        assert!(
            actual.contains(&format!("### {}", m.id)),
            "{} missing from the reference",
            m.id
        );
    }
}

/// The README's policy count and the ID ranges of its family table are the catalog's.
#[test]
fn readme_counts_are_the_catalogs() {
    use tripline::policy::{CATALOG, Family};
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let built_in: Vec<_> = CATALOG
        .iter()
        .filter(|m| m.family != Family::Engine)
        .collect();
    assert!(
        readme.contains(&format!("{} policies in four families", built_in.len())),
        "README.md must say `{} policies in four families`",
        built_in.len()
    );
    for family in [
        Family::Region,
        Family::Root,
        Family::Logging,
        Family::Detective,
    ] {
        let ids: Vec<&str> = built_in
            .iter()
            .filter(|m| m.family == family)
            .map(|m| m.id)
            .collect();
        let row = format!(
            "| {} | {}–{} |",
            family.as_str(),
            ids.first().unwrap(),
            ids.last().unwrap()
        );
        assert!(
            readme.contains(&row),
            "README.md's family table must have `{row}`"
        );
    }
}

/// DET001's explanation names every action the check reports (the two must not drift apart).
#[test]
fn det001_explains_every_action_it_reports() {
    let meta = tripline::policy::meta("DET001").unwrap();
    for action in [
        "StopLogging",
        "DeleteTrail",
        "UpdateTrail",
        "StopConfigurationRecorder",
        "DeleteConfigurationRecorder",
        "DeleteDeliveryChannel",
        "DeleteServiceLinkedConfigurationRecorder",
        "DeleteDetector",
        "UpdateDetector",
        "DisassociateFromMasterAccount",
        "DisassociateFromAdministratorAccount",
        "DisableSecurityHub`",
        "DisableSecurityHubV2",
    ] {
        assert!(
            meta.rationale.contains(action),
            "DET001's rationale misses {action}"
        );
    }
}

/// `explain ROOT001` says MFA does not narrow who may use a grant, as the check decides and
/// its table of narrowing keys shows (the text once said both).
#[test]
fn root001_explains_mfa_as_the_check_decides() {
    let meta = tripline::policy::meta("ROOT001").unwrap();
    assert!(
        meta.rationale
            .contains("MFA (`aws:MultiFactorAuthPresent`) is not among")
    );
    assert!(!meta.rationale.contains("`aws:SourceAccount`, MFA)"));
}

/// Every relative link of the README and of docs/ names a file that exists (the README keeps the
/// user's path and links the rest).
#[test]
fn relative_links_resolve() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    for e in std::fs::read_dir(root.join("docs")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "md") {
            files.push(p);
        }
    }
    let mut checked = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut rest = text.as_str();
        while let Some(i) = rest.find("](") {
            rest = &rest[i + 2..];
            let Some(end) = rest.find(')') else { break };
            let target = &rest[..end];
            if target.contains("://") || target.starts_with('#') || target.contains(' ') {
                continue;
            }
            let path = target.split('#').next().unwrap();
            assert!(
                file.parent().unwrap().join(path).exists(),
                "{}: link to {target} does not resolve",
                file.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 15, "{checked} links");
}
