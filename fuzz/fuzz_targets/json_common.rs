//! The JsonConverter fuzz property shared by both JSON targets.
//!
//! The first input byte picks the options (decimal format, `replace.null.with.default`, key or
//! value, a leading tombstone) and how many payloads (1–3) the rest splits into, at newlines.
//! Decoding must never panic and must keep one row per payload, in segments that cover the rows
//! in order; whatever it decodes must encode, and that encoding must decode again without row
//! errors. Without schemas, the zero-parse check (`normalize_plain_json`, what sinks that
//! forward JSON use) must refuse exactly the rows decoding refuses, give null exactly where
//! decoding gives a null value, and give one-line JSON that decodes without errors.

use strait_engine::config::Props;
use strait_engine::plugin::Converter;
use strait_formats::json::JsonConverter;

/// Run one input through a JsonConverter with the given `schemas.enable`.
pub fn run(data: &[u8], schemas_enable: bool) {
    let Some((&ctl, rest)) = data.split_first() else {
        return;
    };
    let props = Props::from([
        ("schemas.enable".to_string(), schemas_enable.to_string()),
        (
            "decimal.format".to_string(),
            if ctl & 1 != 0 { "NUMERIC" } else { "BASE64" }.to_string(),
        ),
        (
            "replace.null.with.default".to_string(),
            (ctl & 2 == 0).to_string(),
        ),
    ]);
    let conv = JsonConverter::new(&props, ctl & 4 != 0).expect("valid options");
    let pieces = 1 + (ctl >> 4) as usize % 3;
    let mut payloads: Vec<Option<&[u8]>> = rest.splitn(pieces, |&b| b == b'\n').map(Some).collect();
    if ctl & 8 != 0 {
        payloads.insert(0, None);
    }
    let column = strait_formats::payload_column(payloads.iter().copied());
    let Ok(decoded) = conv.to_connect(&column) else {
        return;
    };
    assert_eq!(decoded.num_rows(), payloads.len());
    if !schemas_enable {
        use arrow::array::Array;
        let (plain, errors) = conv.normalize_plain_json(&column).expect("plain JSON");
        let refused: Vec<usize> = errors.iter().map(|e| e.row).collect();
        let decode_refused: Vec<usize> = decoded.errors.iter().map(|e| e.row).collect();
        assert_eq!(refused, decode_refused, "the zero-parse check refuses what decoding refuses");
        let only = decoded.only().expect("schemaless decoding has one segment");
        // Logical nulls: an all-null column decodes as a NullArray, which has no null buffer.
        let value_nulls = only.array.logical_nulls();
        for row in 0..plain.len() {
            if refused.contains(&row) {
                continue;
            }
            assert_eq!(
                plain.is_null(row),
                value_nulls.as_ref().is_some_and(|n| n.is_null(row)),
                "null where decoding gives a null value (row {row})"
            );
            if !plain.is_null(row) {
                assert!(!plain.value(row).contains(&b'\n') && !plain.value(row).contains(&b'\r'));
            }
        }
        let again = conv.to_connect(&plain).expect("re-decode");
        assert!(again.errors.is_empty(), "normalised JSON decodes: {:?}", again.errors);
    }
    // Payloads with different schemas decode as several segments; each must encode alone.
    let mut next_row = 0;
    for segment in &decoded.segments {
        assert_eq!(
            segment.start_row, next_row,
            "segments cover the rows in order"
        );
        next_row = segment.end_row();
        let encoded = conv
            .from_connect(&segment.field, &segment.array)
            .expect("decoded columns encode");
        let again = conv.to_connect(&encoded).expect("re-decode");
        assert!(
            again.errors.is_empty(),
            "re-decoding our own output failed: {:?}",
            again.errors
        );
    }
}
