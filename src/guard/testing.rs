//! `tripline test-rules`: Guard's own unit-test files (the YAML `cfn-guard test` reads), run by
//! Guard itself, so that teams keep their rule tests as they are.

use std::path::Path;

/// Run rule tests, printing Guard's report to standard output; Guard's exit status
/// (0 every test passed, 7 some failed, 5 an error), as `cfn-guard test` gives it.
#[cfg(feature = "guard")]
pub fn test_rules(
    rules: Option<&Path>,
    test_data: Option<&Path>,
    directory: Option<&Path>,
    verbose: bool,
) -> Result<i32, String> {
    use cfn_guard::commands::Executable;
    use cfn_guard::utils::reader::Reader;
    use cfn_guard::utils::writer::{WriteBuffer, Writer};
    use cfn_guard::{CommandBuilder, TestBuilder};

    preflight(rules, test_data, directory)?;
    let text = |p: Option<&Path>| p.map(|p| p.to_string_lossy().into_owned());
    let command = TestBuilder::default()
        .rules(text(rules))
        .test_data(text(test_data))
        .directory(text(directory))
        .alphabetical(true)
        .verbose(verbose)
        .try_build()
        .map_err(|e| e.to_string())?;
    let mut writer = Writer::new_with_err(
        WriteBuffer::Stdout(std::io::stdout()),
        WriteBuffer::Stderr(std::io::stderr()),
    )
    .map_err(|e| e.to_string())?;
    command
        .execute(&mut writer, &mut Reader::default())
        .map_err(|e| e.to_string())
}

/// Refuse a run that would test nothing (an empty directory, `/dev/null`, a FIFO: Guard would
/// report success), and validate every rule file first: a cycle in one would overflow Guard's
/// stack (see `cycles`).
#[cfg(feature = "guard")]
fn preflight(
    rules: Option<&Path>,
    test_data: Option<&Path>,
    directory: Option<&Path>,
) -> Result<(), String> {
    if let Some(dir) = directory {
        super::load(&[dir.to_path_buf()]).map_err(|e| e.to_string())?;
        if tested_rule_files(dir) == 0 {
            return Err(format!(
                "{}: nothing to test: no rule file has tests (the tests of `x.guard` are \
                 `tests/x*.yaml` beside it)",
                dir.display()
            ));
        }
        return Ok(());
    }
    if let Some(rules) = rules {
        regular_file(rules)?;
        super::load(&[rules.to_path_buf()]).map_err(|e| e.to_string())?;
    }
    if let Some(data) = test_data {
        let tests = if data.is_dir() {
            let mut files = Vec::new();
            files_under(data, 0, &mut files);
            files.iter().filter(|f| is_test_file(f)).count()
        } else {
            regular_file(data)?;
            1
        };
        if tests == 0 {
            return Err(format!(
                "{}: nothing to test: no test files (.yaml, .yml, .json, .jsn)",
                data.display()
            ));
        }
    }
    Ok(())
}

#[cfg(feature = "guard")]
fn regular_file(path: &Path) -> Result<(), String> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() && m.len() > 0 => Ok(()),
        Ok(m) if m.is_file() => Err(format!("{}: empty file, nothing to test", path.display())),
        Ok(_) => Err(format!(
            "{}: not a regular file (a directory, pipe or device)",
            path.display()
        )),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// A file Guard reads as a test file.
#[cfg(feature = "guard")]
fn is_test_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    [".json", ".yaml", ".JSON", ".YAML", ".yml", ".jsn"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// The regular files under `dir`, at most 32 directories deep (links followed, as Guard does).
#[cfg(feature = "guard")]
fn files_under(dir: &Path, depth: usize, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() && depth < 32 => files_under(&path, depth + 1, out),
            Ok(m) if m.is_file() => out.push(path),
            _ => {}
        }
    }
}

/// How many rule files under `dir` have a test file, as Guard pairs them: `x.guard` (or
/// `.ruleset`) with `tests/x*.yaml` (`.yml`, `.json`, `.jsn`) in its directory.
#[cfg(feature = "guard")]
fn tested_rule_files(dir: &Path) -> usize {
    let mut files = Vec::new();
    files_under(dir, 0, &mut files);
    files
        .iter()
        .filter(|rule| {
            let name = rule
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            let Some(prefix) = name
                .strip_suffix(".guard")
                .or_else(|| name.strip_suffix(".ruleset"))
            else {
                return false;
            };
            let tests = rule.parent().map(|p| p.join("tests"));
            files.iter().any(|t| {
                t.parent() == tests.as_deref()
                    && is_test_file(t)
                    && t.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
            })
        })
        .count()
}

/// `tripline test-rules` in a build without Guard support: an error saying so.
#[cfg(not(feature = "guard"))]
pub fn test_rules(
    _rules: Option<&Path>,
    _test_data: Option<&Path>,
    _directory: Option<&Path>,
    _verbose: bool,
) -> Result<i32, String> {
    Err(super::GuardError::NotBuilt.to_string())
}
