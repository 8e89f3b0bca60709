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
