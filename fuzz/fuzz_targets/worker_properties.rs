//! Worker `.properties` parser: any UTF-8 input must parse or fail with an error, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = strait_engine::config::parse_properties(text);
    }
});
