//! Byte-level JSON output exactly as Jackson's `ObjectMapper.writeValueAsBytes` (compact, UTF-8)
//! writes it for Kafka's JsonConverter: string escaping, base64 for bytes and decimals, and
//! Java's number forms (see [`crate::java`]).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

/// What a byte needs on output inside a JSON string: 0 = copy, 1 = escape (control character,
/// quote or backslash), 2 = start of a 4-byte UTF-8 sequence (written as a `\uXXXX\uXXXX`
/// surrogate pair, as Jackson does for characters outside the BMP).
static ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = 1;
        i += 1;
    }
    t[b'"' as usize] = 1;
    t[b'\\' as usize] = 1;
    let mut j = 0xF0;
    while j < 0x100 {
        t[j] = 2;
        j += 1;
    }
    t
};

use strait_engine::java_json::push_u_escape;

/// Append `s` (valid UTF-8) as a quoted JSON string, escaped as Jackson escapes it.
pub fn write_str(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    let mut start = 0;
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        let class = ESCAPE[b as usize];
        if class == 0 {
            i += 1;
            continue;
        }
        out.extend_from_slice(&s[start..i]);
        if class == 1 {
            match b {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                0x08 => out.extend_from_slice(b"\\b"),
                0x0C => out.extend_from_slice(b"\\f"),
                _ => push_u_escape(out, b as u32),
            }
            i += 1;
        } else {
            // A 4-byte sequence: decode the code point and write its UTF-16 surrogate pair.
            let cp = match s.get(i..i + 4) {
                Some(seq) => {
                    ((seq[0] as u32 & 0x07) << 18)
                        | ((seq[1] as u32 & 0x3F) << 12)
                        | ((seq[2] as u32 & 0x3F) << 6)
                        | (seq[3] as u32 & 0x3F)
                }
                None => 0xFFFD,
            };
            if cp >= 0x10000 {
                let v = cp - 0x10000;
                push_u_escape(out, 0xD800 + (v >> 10));
                push_u_escape(out, 0xDC00 + (v & 0x3FF));
            } else {
                push_u_escape(out, cp);
            }
            i += 4;
        }
        start = i.min(s.len());
    }
    out.extend_from_slice(&s[start.min(s.len())..]);
    out.push(b'"');
}

/// Append bytes as a quoted base64 string (Jackson's default variant: standard alphabet,
/// padded, no line feeds).
pub fn write_base64(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    let start = out.len();
    out.resize(
        start + base64::encoded_len(bytes.len(), true).unwrap_or(0),
        0,
    );
    let written = STANDARD.encode_slice(bytes, &mut out[start..]).unwrap_or(0);
    out.truncate(start + written);
    out.push(b'"');
}

/// `BigInteger.toByteArray()` of an unscaled decimal: minimal big-endian two's complement.
pub fn decimal_bytes(unscaled: i128) -> ([u8; 16], usize) {
    let bytes = unscaled.to_be_bytes();
    let mut start = 0;
    while start < 15 {
        let (b, next) = (bytes[start], bytes[start + 1]);
        if (b == 0x00 && next & 0x80 == 0) || (b == 0xFF && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    (bytes, start)
}

/// Append a decimal in JsonConverter's BASE64 decimal format.
pub fn write_decimal_base64(out: &mut Vec<u8>, unscaled: i128) {
    let (bytes, start) = decimal_bytes(unscaled);
    write_base64(out, &bytes[start..]);
}

/// Append an integer.
pub fn write_int(out: &mut Vec<u8>, v: i64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut n = v.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&buf[i..]);
}

/// Append a double as Jackson writes a `DoubleNode` (non-finite values quoted, as Jackson's
/// default `QUOTE_NON_NUMERIC_NUMBERS` does).
pub fn write_f64(out: &mut Vec<u8>, v: f64) {
    if v.is_finite() {
        crate::java::write_double(out, v);
    } else {
        out.push(b'"');
        crate::java::write_double(out, v);
        out.push(b'"');
    }
}

/// Append a float as Jackson writes a `FloatNode`.
pub fn write_f32(out: &mut Vec<u8>, v: f32) {
    if v.is_finite() {
        crate::java::write_float(out, v);
    } else {
        out.push(b'"');
        crate::java::write_float(out, v);
        out.push(b'"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> String {
        let mut out = Vec::new();
        write_str(&mut out, text.as_bytes());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strings_escape_like_jackson() {
        assert_eq!(s("plain"), "\"plain\"");
        assert_eq!(s("q\"b\\s/"), r#""q\"b\\s/""#);
        assert_eq!(s("\n\r\t\u{8}\u{c}"), r#""\n\r\t\b\f""#);
        assert_eq!(
            s("\u{0}\u{1f}\u{7f}\u{a0}"),
            "\"\\u0000\\u001F\u{7f}\u{a0}\""
        );
        assert_eq!(
            s("h\u{e9} \u{2713} \u{1F600}!"),
            "\"h\u{e9} \u{2713} \\uD83D\\uDE00!\""
        );
    }

    #[test]
    fn decimal_bytes_are_minimal_twos_complement() {
        let b = |v: i128| {
            let (bytes, start) = decimal_bytes(v);
            bytes[start..].to_vec()
        };
        assert_eq!(b(0), vec![0]);
        assert_eq!(b(-1), vec![0xFF]);
        assert_eq!(b(127), vec![0x7F]);
        assert_eq!(b(128), vec![0x00, 0x80]);
        assert_eq!(b(-128), vec![0x80]);
        assert_eq!(b(-129), vec![0xFF, 0x7F]);
        assert_eq!(b(12345), vec![0x30, 0x39]);
    }

    #[test]
    fn base64_and_ints() {
        let mut out = Vec::new();
        write_base64(&mut out, &[0, 1, 2, 3, 0xfe, 0xff]);
        write_int(&mut out, i64::MIN);
        write_f64(&mut out, f64::NAN);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"AAECA/7/\"-9223372036854775808\"NaN\""
        );
    }
}
