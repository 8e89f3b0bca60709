//! The JSON loader on arbitrary text: a tree or an error, never a panic; spans inside the text;
//! whatever it accepts, serde_json accepts too, except numbers too large for an f64, which the
//! JSON grammar allows and serde_json refuses (we keep numbers as text).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tripline::parse::{Limits, json};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(parsed) = json::parse(text, &Limits::default()) {
            assert!(parsed.root.span.end as usize <= text.len());
            if text.len() <= 1_000_000 {
                if let Err(e) =
                    serde_json::from_str::<serde_json::Value>(text.trim_start_matches('\u{feff}'))
                {
                    assert!(
                        e.to_string().starts_with("number out of range"),
                        "accepted what serde_json rejects: {e}"
                    );
                }
            }
        }
    }
});
