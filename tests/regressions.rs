//! Inputs that once broke the engine, or that fuzzing or review flagged as hostile
//! (`fixtures/regressions/`): each must be checked without an internal error, under every
//! format's name.

use std::path::Path;

use tripline::engine::{Engine, EngineOptions, Selection};
use tripline::policy::PolicySettings;

#[test]
fn regression_inputs_never_cause_internal_errors() {
    let engine = Engine::new(
        PolicySettings {
            allowed_regions: Some(vec!["us-east-1".into()]),
        },
        Selection::default(),
        EngineOptions::default(),
    );
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/regressions");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let own = path.file_name().unwrap().to_string_lossy().to_string();
        for name in [own.as_str(), "t.yaml", "t.json", "main.tf.json", "main.tf"] {
            let report = engine.check_bytes(name, &bytes);
            for f in &report.findings {
                assert_ne!(f.policy, "INTERNAL001", "{}: {}", path.display(), f.message);
                assert!(f.start.line >= 1 && f.start.column >= 1);
            }
        }
        checked += 1;
    }
    assert!(checked >= 7, "the regression inputs are there");
}
