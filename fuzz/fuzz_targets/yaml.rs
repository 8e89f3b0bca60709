//! The YAML loader on arbitrary text: it returns a tree or an error, never panics, and stays
//! within its limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tripline::parse::{Limits, yaml};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(parsed) = yaml::parse(text, &Limits::default()) {
            // Spans stay inside the text.
            assert!(parsed.root.span.end as usize <= text.len());
        }
    }
});
