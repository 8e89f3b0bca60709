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
