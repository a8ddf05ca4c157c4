//! Transform chains and the date patterns they carry: any connector config (properties text)
//! must build a chain or fail with an error, and any `SimpleDateFormat` pattern (first line)
//! must compile or fail, then parse any text (second line) or fail — never panic.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use strait_engine::transforms::java_date::JavaDateFormat;
use strait_engine::transforms::registry::build_chain;
use strait_engine::transforms::TransformContext;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = text.splitn(3, '\n');
    if let (Some(pattern), Some(input)) = (lines.next(), lines.next()) {
        if let Ok(format) = JavaDateFormat::compile(pattern) {
            if let Ok(millis) = format.parse(input) {
                let _ = format.format(millis);
            }
        }
    }
    if let Ok(props) = strait_engine::config::parse_properties(text) {
        let json = strait_formats::json::JsonConverter::new(&Default::default(), false)
            .expect("default JsonConverter");
        let ctx = TransformContext {
            header_converter: Arc::new(json),
        };
        let _ = build_chain(&props, &ctx);
    }
});
