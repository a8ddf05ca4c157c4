//! Kafka Connect's primitive converters (Boolean, Double, Float, Integer, Long, Short) on
//! arbitrary payload columns.
//!
//! The first input byte picks the converter and whether it converts keys; the rest is a list of
//! payloads, each a length byte (`0xFF`: a null payload; otherwise its value modulo 10, so that
//! the right sizes are common) followed by that many bytes (fewer at the end of the input).
//! Decoding must never panic and must keep one row per payload; a row is an error exactly when
//! its payload has the wrong size (or, for booleans, a byte other than 0 or 1), and then null.
//! Re-encoding gives every other payload back byte for byte (nulls as nulls), except that
//! DoubleConverter writes every NaN as Java's canonical `7F F8 00 00 00 00 00 00`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use strait_engine::config::Props;
use strait_formats::primitive;

const CANONICAL_NAN: [u8; 8] = [0x7F, 0xF8, 0, 0, 0, 0, 0, 0];

fuzz_target!(|data: &[u8]| {
    let Some((&ctl, mut rest)) = data.split_first() else {
        return;
    };
    let plugins = primitive::plugins();
    let plugin = &plugins[usize::from(ctl & 0x7F) % plugins.len()];
    let conv = (plugin.create)(&Props::new(), ctl & 0x80 != 0).expect("default options");

    let mut payloads: Vec<Option<&[u8]>> = Vec::new();
    while let Some((&len, tail)) = rest.split_first() {
        if len == 0xFF {
            payloads.push(None);
            rest = tail;
        } else {
            let (payload, tail) = tail.split_at(usize::from(len % 10).min(tail.len()));
            payloads.push(Some(payload));
            rest = tail;
        }
    }
    let column = strait_formats::payload_column(payloads.iter().copied());
    let decoded = conv
        .to_connect(&column)
        .expect("decoding never fails a batch");
    // A primitive converter's payloads have no schema to change: one segment.
    let segment = decoded.only().expect("one segment");
    assert_eq!(segment.array.len(), payloads.len());

    let width = segment.field.data_type().primitive_width().unwrap_or(1); // Boolean: 1 byte
    let boolean = plugin.info.class.ends_with(".BooleanConverter");
    let double = plugin.info.class.ends_with(".DoubleConverter");
    let encoded = conv
        .from_connect(&segment.field, &segment.array)
        .expect("decoded columns encode");
    let encoded: Vec<Option<&[u8]>> = encoded.iter().collect();
    assert_eq!(encoded.len(), payloads.len());

    let mut errors = decoded.errors.iter().map(|e| e.row).peekable();
    for (row, (&payload, &again)) in payloads.iter().zip(&encoded).enumerate() {
        let bad = payload.is_some_and(|p| p.len() != width || (boolean && p[0] > 1));
        assert_eq!(errors.peek() == Some(&row), bad, "row {row}: {payload:?}");
        if bad {
            errors.next();
            assert!(segment.array.is_null(row));
            assert_eq!(again, None);
            continue;
        }
        match (payload, again) {
            (Some(p), Some(a)) if double && f64::from_be_bytes(p.try_into().unwrap()).is_nan() => {
                assert_eq!(a, &CANONICAL_NAN[..])
            }
            (p, a) => assert_eq!(p, a, "row {row}"),
        }
    }
    assert_eq!(
        errors.next(),
        None,
        "row errors in order, one per bad payload"
    );
});
