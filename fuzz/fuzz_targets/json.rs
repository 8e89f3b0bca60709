//! The JSON loader on arbitrary text: a tree or an error, never a panic; spans inside the text;
//! whatever it accepts, serde_json accepts too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tripline::parse::{Limits, json};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(parsed) = json::parse(text, &Limits::default()) {
            assert!(parsed.root.span.end as usize <= text.len());
            assert!(
                serde_json::from_str::<serde_json::Value>(text.trim_start_matches('\u{feff}')).is_ok()
                    || text.len() > 1_000_000,
                "accepted what serde_json rejects"
            );
        }
    }
});
