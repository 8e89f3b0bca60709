//! Decoding a cache file: a run decodes only files its user's key tagged, but the decoder must
//! still never panic or allocate without bound, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = tripline::cache::fuzz_decode(data);
});
