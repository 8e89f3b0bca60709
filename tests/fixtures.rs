//! Every policy's fixtures give exactly the findings their `expected.txt` lists: failing
//! templates for every format the policy covers, passing ones with no findings.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tripline::config::Config;
use tripline::engine::{Engine, EngineOptions, Selection};
use tripline::file_report::Outcome;
use tripline::policy::{self, Family, PolicySettings};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn engine() -> Engine {
    let config = Config::load(&fixtures().join("tripline.toml")).expect("fixtures config");
    Engine::new(
        PolicySettings {
            allowed_regions: config.allowed_regions,
        },
        Selection::default(),
        EngineOptions::default(),
    )
}

/// `file:line POLICY` lines, sorted, from an expectation file.
fn expected(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("expected.txt"))
        .unwrap_or_else(|e| panic!("{}/expected.txt: {e}", dir.display()));
    let mut lines: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

/// Check every fixture file in `dir`; return `file:line POLICY` of findings `keep` accepts, and
/// the outcome per file.
fn actual(
    engine: &Engine,
    dir: &Path,
    keep: &dyn Fn(&str) -> bool,
) -> (Vec<String>, BTreeMap<String, Outcome>) {
    let mut lines = Vec::new();
    let mut outcomes = BTreeMap::new();
    for path in fixture_files(dir) {
        let name = path
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let report = engine.check_path(&path, &name);
        outcomes.insert(name.clone(), report.outcome);
        for f in report.findings.iter().filter(|f| keep(f.policy)) {
            lines.push(format!("{name}:{} {}", f.start.line, f.policy));
        }
    }
    lines.sort();
    (lines, outcomes)
}

/// The fixture files of a directory, sorted: its files, and the `.tf` files of its `tf/*/`
/// directories (each one Terraform configuration, as Terraform reads a directory).
fn fixture_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path.is_dir() {
            for config in std::fs::read_dir(&path).unwrap() {
                let config = config.unwrap().path();
                for f in std::fs::read_dir(&config).unwrap() {
                    let f = f.unwrap().path();
                    if f.extension().is_some_and(|e| e == "tf") {
                        files.push(f);
                    }
                }
            }
        } else if path.file_name().unwrap() != "expected.txt" {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// A fixture is failing when its name (or its configuration directory's) starts with `fail`.
fn is_failing(file: &str) -> bool {
    file.split('/').any(|part| part.starts_with("fail"))
}

#[test]
fn every_policy_has_fixtures_for_each_format_it_covers() {
    for p in policy::rules::builtin() {
        let meta = p.meta();
        let dir = fixtures().join(meta.id);
        assert!(dir.is_dir(), "{} has no fixtures directory", meta.id);
        let has = |name: &str| dir.join(name).is_file();
        for kind in ["fail", "pass"] {
            if meta.formats.contains(&"cloudformation") {
                assert!(has(&format!("{kind}.yaml")), "{}: no {kind}.yaml", meta.id);
                assert!(has(&format!("{kind}.json")), "{}: no {kind}.json", meta.id);
            }
            if meta.formats.contains(&"terraform") {
                assert!(
                    has(&format!("{kind}.tfplan.json")) || has(&format!("{kind}.tf.json")),
                    "{}: no {kind}.tfplan.json or {kind}.tf.json",
                    meta.id
                );
                let native = std::fs::read_dir(dir.join("tf"))
                    .into_iter()
                    .flatten()
                    .filter_map(Result::ok)
                    .any(|e| e.file_name().to_string_lossy().starts_with(kind));
                assert!(native, "{}: no tf/{kind}*/ configuration (.tf)", meta.id);
            }
        }
    }
}

#[test]
fn policy_fixtures_give_exactly_the_expected_findings() {
    let engine = engine();
    for p in policy::rules::builtin() {
        let id = p.id();
        let dir = fixtures().join(id);
        let (lines, outcomes) = actual(&engine, &dir, &|policy| policy == id);
        assert_eq!(
            lines,
            expected(&dir),
            "{id}: findings differ from expected.txt"
        );
        for (file, outcome) in &outcomes {
            assert!(
                matches!(outcome, Outcome::Checked(_)),
                "{id}/{file} was not checked as a template: {outcome:?}"
            );
            // A `.tf` configuration fails or passes as a whole: its findings may sit in any of
            // its files.
            let unit = match file.rsplit_once('/') {
                Some((config, _)) if file.starts_with("tf/") => format!("{config}/"),
                _ => format!("{file}:"),
            };
            let reported = lines.iter().any(|l| l.starts_with(&unit));
            if is_failing(file) {
                assert!(
                    reported,
                    "{id}/{file} is a failing fixture without findings"
                );
            } else {
                assert!(!reported, "{id}/{file} is a passing fixture with findings");
            }
        }
    }
}

/// The `.tf` twin of a `.tf.json` fixture (`tf/<stem>/main.tf`, the same configuration in
/// native syntax) gives the same findings: policy, resource and message.
#[test]
fn native_syntax_twins_give_the_findings_of_their_json_syntax() {
    let engine = engine();
    let mut twins = 0;
    for p in policy::rules::builtin() {
        let dir = fixtures().join(p.id());
        for e in std::fs::read_dir(&dir).unwrap() {
            let json = e.unwrap().path();
            let name = json.file_name().unwrap().to_string_lossy().to_string();
            let Some(stem) = name.strip_suffix(".tf.json") else {
                continue;
            };
            let hcl = dir.join("tf").join(stem).join("main.tf");
            assert!(
                hcl.is_file(),
                "{}/{name} has no twin tf/{stem}/main.tf",
                p.id()
            );
            let findings = |path: &Path| {
                let mut v: Vec<(String, Option<String>, String)> = engine
                    .check_path(path, &path.file_name().unwrap().to_string_lossy())
                    .findings
                    .into_iter()
                    .map(|f| (f.policy.to_string(), f.resource, f.message))
                    .collect();
                v.sort();
                v
            };
            assert_eq!(findings(&hcl), findings(&json), "{}/{name}", p.id());
            twins += 1;
        }
    }
    assert!(twins >= 100, "{twins} twins");
}

#[test]
fn engine_fixtures_give_the_expected_diagnostics() {
    let engine = engine();
    let dir = fixtures().join("engine");
    let is_engine = |id: &str| policy::meta(id).is_some_and(|m| m.family == Family::Engine);
    let (lines, outcomes) = actual(&engine, &dir, &is_engine);
    assert_eq!(lines, expected(&dir));
    assert_eq!(
        outcomes["not-a-template.yaml"],
        Outcome::Skipped(tripline::file_report::Skip::NotTemplate)
    );
}

#[test]
fn every_policy_is_catalogued_and_every_catalog_entry_is_implemented() {
    let builtin: Vec<&str> = policy::rules::builtin().iter().map(|p| p.id()).collect();
    let mut sorted = builtin.clone();
    sorted.sort();
    assert_eq!(builtin, sorted, "builtin() lists policies in ID order");
    for m in policy::CATALOG {
        if m.family == Family::Engine {
            continue;
        }
        assert!(
            builtin.contains(&m.id),
            "{} is catalogued but not implemented",
            m.id
        );
        assert!(!m.rationale.is_empty() && !m.remediation.is_empty());
    }
    for id in builtin {
        assert!(policy::meta(id).is_some(), "{id} has no policies/{id}.toml");
    }
}

/// A policy that panics on purpose: its failure must not cost the others their findings.
struct Panics;

impl tripline::policy::Policy for Panics {
    fn id(&self) -> &'static str {
        "INTERNAL001"
    }

    fn check(&self, _cx: &mut tripline::policy::Context<'_, '_>) {
        panic!("deliberate failure");
    }
}

#[test]
fn a_panicking_policy_costs_only_its_own_findings() {
    static PANICS: Panics = Panics;
    tripline::fault::quiet_panics_during_checks();
    let plain = engine();
    let with_panic = engine().with_policy(&PANICS);
    let path = fixtures().join("LOG001/fail.yaml");
    let expected = plain.check_path(&path, "fail.yaml");
    let got = with_panic.check_path(&path, "fail.yaml");
    assert!(matches!(got.outcome, Outcome::Checked(_)));
    let internal: Vec<_> = got
        .findings
        .iter()
        .filter(|f| f.policy == "INTERNAL001")
        .collect();
    assert_eq!(internal.len(), 1);
    assert!(internal[0].message.contains("deliberate failure"));
    let others: Vec<_> = got
        .findings
        .iter()
        .filter(|f| f.policy != "INTERNAL001")
        .map(|f| (f.policy, f.start, f.message.clone()))
        .collect();
    let before: Vec<_> = expected
        .findings
        .iter()
        .map(|f| (f.policy, f.start, f.message.clone()))
        .collect();
    assert!(!before.is_empty());
    assert_eq!(others, before, "the other policies' findings are all kept");
}
