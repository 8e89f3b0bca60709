//! A Terraform directory: the input is split into up to four files (`main.tf`, `vars.tf`,
//! `terraform.tfvars`, `modules/m/main.tf`) written to a fresh directory, and each is checked
//! from disk, so that the directory merge, overrides, variable files and local module calls
//! all run. The engine turns a panic into INTERNAL001, so any INTERNAL001 is a crash here.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tripline::engine::{Engine, EngineOptions, Selection};
use tripline::policy::PolicySettings;

const FILES: [&str; 4] = ["main.tf", "vars.tf", "terraform.tfvars", "modules/m/main.tf"];

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("modules/m")).unwrap();
    // Files are separated by NUL bytes, which no `.tf` file holds.
    for (name, part) in FILES.iter().zip(data.split(|b| *b == 0)) {
        std::fs::write(dir.path().join(name), part).unwrap();
    }
    // A fresh engine per input: its directory caches must not carry one input into the next.
    let engine = Engine::new(
        PolicySettings { allowed_regions: Some(vec!["us-east-1".into()]) },
        Selection::default(),
        EngineOptions::default(),
    );
    for name in FILES {
        let path = dir.path().join(name);
        if !path.exists() {
            continue;
        }
        let report = engine.check_path(&path, name);
        for f in &report.findings {
            assert_ne!(f.policy, "INTERNAL001", "{}", f.message);
        }
    }
});
