//! The calls into `cfn-guard`. Its public API takes and returns strings: a payload of rules and
//! data in, the structured JSON report out (the text reporters are never used: one panics on a
//! `/` in a logical ID).

use std::io::Cursor;

use cfn_guard::commands::Executable;
use cfn_guard::commands::validate::{OutputFormatType, ShowSummaryType};
use cfn_guard::utils::reader::{ReadBuffer, Reader};
use cfn_guard::utils::writer::{WriteBuffer, Writer};
use cfn_guard::{CommandBuilder, ValidateBuilder};

use super::rulefile::NamesError;

/// `cfn-guard validate`'s exit status for an error (a rule or data file it cannot parse).
const GUARD_ERROR: i32 = 5;

/// Evaluate the rules of `payload_rules` (`"rules":[...]`) on documents: Guard's structured
/// JSON report, one entry per document.
pub(super) fn evaluate(payload_rules: &str, documents: &[&str]) -> Result<String, String> {
    let payload = format!(
        "{{{payload_rules},\"data\":{}}}",
        serde_json::to_string(documents).expect("strings serialize")
    );
    let (status, out, err) = execute(&payload, false)?;
    if status == GUARD_ERROR {
        // The report then holds nothing useful; the reason went to the error stream, which a
        // second run captures (Guard's writer gives up one stream or the other).
        let (_, _, err) = execute(&payload, true)?;
        return Err(guard_reason(&err.unwrap_or_default()));
    }
    let _ = err;
    Ok(out.unwrap_or_default())
}

/// Run a payload; the report, or with `errors` the error stream.
fn execute(payload: &str, errors: bool) -> Result<(i32, Option<String>, Option<String>), String> {
    let command = ValidateBuilder::default()
        .payload(true)
        .structured(true)
        .output_format(OutputFormatType::JSON)
        .show_summary(vec![ShowSummaryType::None])
        .try_build()
        .map_err(|e| e.to_string())?;
    let mut reader = Reader::new(ReadBuffer::Cursor(Cursor::new(payload.as_bytes().to_vec())));
    let mut writer =
        Writer::new_with_err(WriteBuffer::Vec(Vec::new()), WriteBuffer::Vec(Vec::new()))
            .map_err(|e| e.to_string())?;
    let status = command
        .execute(&mut writer, &mut reader)
        .map_err(|e| e.to_string())?;
    if errors {
        let err = writer.err_to_stripped().map_err(|e| e.to_string())?;
        Ok((status, None, Some(err)))
    } else {
        let out = writer.into_string().map_err(|e| e.to_string())?;
        Ok((status, Some(out), None))
    }
}

/// The names of a rule file's top-level rules, or where it fails to parse.
pub(super) fn names(text: &str, display: &str) -> Result<Vec<String>, NamesError> {
    if let Some((line, message)) = super::cycles::too_deep(text) {
        return Err(NamesError::Syntax {
            line,
            column: 1,
            message,
        });
    }
    match cfn_guard::commands::validate::parse_rules(text, display) {
        Err(e) => return Err(syntax_error(&e.to_string())),
        Ok(None) => return Ok(Vec::new()),
        Ok(Some(parsed)) => {
            // Before anything is evaluated: a cycle would overflow the stack.
            let ast =
                serde_json::to_value(&parsed).map_err(|e| NamesError::Other(e.to_string()))?;
            if let Some((line, message)) = super::cycles::find(text, &ast) {
                return Err(NamesError::Syntax {
                    line,
                    column: 1,
                    message,
                });
            }
        }
    }
    // Guard's API does not expose the parsed rules; evaluated on an empty document every
    // top-level rule reports itself, as passing, failing or not applicable.
    let rules = format!(
        "\"rules\":{}",
        serde_json::to_string(&[text]).expect("strings serialize")
    );
    let report = evaluate(&rules, &["{}"]).map_err(NamesError::Other)?;
    let value: serde_json::Value =
        serde_json::from_str(&report).map_err(|e| NamesError::Other(e.to_string()))?;
    let mut names = Vec::new();
    for file in value.as_array().into_iter().flatten() {
        for report in file["not_compliant"].as_array().into_iter().flatten() {
            if let Some(name) = report["Rule"]["name"].as_str() {
                names.push(name.to_string());
            }
        }
        for key in ["compliant", "not_applicable"] {
            for name in file[key].as_array().into_iter().flatten() {
                if let Some(name) = name.as_str() {
                    names.push(name.to_string());
                }
            }
        }
    }
    names.sort();
    names.dedup();
    Ok(names)
}

/// Guard's parse error (`... at line 7 at column 13, when handling expecting ..., fragment ...`)
/// as position and reason.
fn syntax_error(text: &str) -> NamesError {
    let number_after = |marker: &str| -> Option<u32> {
        let at = text.find(marker)? + marker.len();
        let digits: String = text[at..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    };
    let line = number_after("at line ").unwrap_or(1);
    let column = number_after("at column ").unwrap_or(1);
    let reason = text
        .find("when handling ")
        .map(|at| &text[at + "when handling ".len()..])
        .map(|r| r.split(", fragment").next().unwrap_or(r))
        .unwrap_or(text);
    NamesError::Syntax {
        line,
        column,
        message: first_line(reason),
    }
}

/// The reason in Guard's error stream, without its framing
/// (`Parser Error when parsing \`...\``).
fn guard_reason(text: &str) -> String {
    let line = first_line(text);
    let inner = line
        .strip_prefix("Parser Error when parsing `")
        .map(|r| r.trim_end_matches('`'))
        .unwrap_or(&line);
    inner.trim_end_matches(',').trim().to_string()
}

fn first_line(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && *l != "---")
        .unwrap_or("unknown error");
    line.chars().take(300).collect()
}
