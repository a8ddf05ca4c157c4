//! Compact JSON exactly as Kafka Connect's `JsonConverter` (schemaless, Jackson) writes it: the
//! bytes of internal-topic records and offset keys, which Java compares byte for byte (an
//! offset is found by its exact key bytes). serde_json differs in three places: it escapes
//! control characters with lower-case hex, writes characters outside the BMP raw where
//! Jackson writes an escaped surrogate pair, and prints doubles in Rust's form
//! (`10000000000.0` for Java's `1.0E10`).

use serde_json::Value;

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// `\uXXXX` with upper-case hex, as Jackson escapes a UTF-16 unit.
pub fn push_u_escape(out: &mut Vec<u8>, unit: u32) {
    out.extend_from_slice(&[
        b'\\',
        b'u',
        HEX[(unit >> 12 & 0xF) as usize],
        HEX[(unit >> 8 & 0xF) as usize],
        HEX[(unit >> 4 & 0xF) as usize],
        HEX[(unit & 0xF) as usize],
    ]);
}

/// Append `s` as a JSON string the way Jackson's `UTF8JsonGenerator` writes it: `"` and `\`
/// escaped, the control characters with short escapes where JSON has them (`\n`, `\r`, `\t`,
/// `\b`, `\f`) and `\u00XX` (upper-case hex) otherwise, characters outside the BMP as an
/// escaped surrogate pair, everything else (including `/`, DEL and non-ASCII) raw UTF-8.
pub fn write_java_json_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            '\u{8}' => out.extend_from_slice(b"\\b"),
            '\u{c}' => out.extend_from_slice(b"\\f"),
            c if (c as u32) < 0x20 => push_u_escape(out, c as u32),
            c if (c as u32) > 0xFFFF => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    push_u_escape(out, *u as u32);
                }
            }
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
}

/// Append `v` as Java's `JsonConverter` (schemaless) writes the value it reads back from the
/// same JSON: objects in their (insertion) order, integers as `Long`s, other numbers as
/// `Double`s in `Double.toString` form (non-finite ones cannot come from JSON).
pub fn write_java_json(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.extend_from_slice(i.to_string().as_bytes());
            } else if let Some(u) = n.as_u64() {
                // Beyond Long: Jackson reads a BigInteger and writes its digits back.
                out.extend_from_slice(u.to_string().as_bytes());
            } else {
                crate::java_text::write_double(out, n.as_f64().unwrap_or(f64::NAN));
            }
        }
        Value::String(s) => write_java_json_str(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_java_json(out, item);
            }
            out.push(b']');
        }
        Value::Object(map) => write_java_json_map(out, map),
    }
}

pub fn write_java_json_map(out: &mut Vec<u8>, map: &serde_json::Map<String, Value>) {
    out.push(b'{');
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_java_json_str(out, k);
        out.push(b':');
        write_java_json(out, v);
    }
    out.push(b'}');
}

/// `v` as the compact bytes Java's `JsonConverter` writes.
pub fn java_json(v: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    write_java_json(&mut out, v);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_numbers_and_maps_are_written_as_jackson_writes_them() {
        let v = serde_json::json!({"s": "q\"\\/\u{1}\u{1f}\u{7f}\t é😀", "i": 7, "d": 1e10, "n": null, "b": [true]});
        assert_eq!(
            String::from_utf8(java_json(&v)).unwrap(),
            "{\"s\":\"q\\\"\\\\/\\u0001\\u001F\u{7f}\\t é\\uD83D\\uDE00\",\"i\":7,\"d\":1.0E10,\"n\":null,\"b\":[true]}"
        );
    }
}
