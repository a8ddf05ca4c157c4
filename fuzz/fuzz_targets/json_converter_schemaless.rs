//! JsonConverter with `schemas.enable=false` (schemaless, inferred types) on arbitrary bytes
//! (property in `json_common.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "json_common.rs"]
mod json_common;

fuzz_target!(|data: &[u8]| json_common::run(data, false));
