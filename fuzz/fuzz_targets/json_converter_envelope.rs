//! JsonConverter with `schemas.enable=true` on arbitrary bytes (property in `json_common.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "json_common.rs"]
mod json_common;

fuzz_target!(|data: &[u8]| json_common::run(data, true));
