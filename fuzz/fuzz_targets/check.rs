//! The whole check of one document under every format's name: the engine catches panics and
//! reports them as INTERNAL001, so any INTERNAL001 is a crash here.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tripline::engine::{Engine, EngineOptions, Selection};
use tripline::policy::PolicySettings;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        Engine::new(
            PolicySettings { allowed_regions: Some(vec!["us-east-1".into()]) },
            Selection::default(),
            EngineOptions::default(),
        )
    })
}

fuzz_target!(|data: &[u8]| {
    for name in ["t.yaml", "t.json", "main.tf.json", "main.tf"] {
        let report = engine().check_bytes(name, data);
        for f in &report.findings {
            assert_ne!(f.policy, "INTERNAL001", "{}", f.message);
        }
    }
});
