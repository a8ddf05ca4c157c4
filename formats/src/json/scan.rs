//! A small pull scanner over one JSON document, written for decoding straight into Arrow
//! builders: no token tree, no per-value allocation. Strings come back as borrowed slices when
//! they have no escapes; numbers come back as their text (plus the value for small integers).
//!
//! It accepts what Jackson's `ObjectMapper.readTree` accepts in Kafka's JsonDeserializer:
//! standard JSON plus leading zeros in numbers (`ALLOW_LEADING_ZEROS_FOR_NUMBERS`), with the
//! same nesting limit of 500, and it ignores whatever follows the first value, as `readTree`
//! does.

/// Why decoding a value failed.
#[derive(Debug)]
pub(crate) enum Fail {
    /// Not JSON at all (Java: a Jackson `JsonProcessingException`).
    Syntax(String),
    /// Valid JSON that does not fit the schema (Java: a `DataException`).
    Data(String),
    /// Schemaless decoding only: the value does not fit the type inferred so far; the batch is
    /// decoded again with a wider type.
    Mismatch,
}

impl std::fmt::Display for Fail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fail::Syntax(m) | Fail::Data(m) => f.write_str(m),
            Fail::Mismatch => f.write_str("value does not fit the inferred type"),
        }
    }
}

pub(crate) type Res<T> = Result<T, Fail>;

/// Maximum nesting of arrays and objects (Jackson's `StreamReadConstraints` default).
pub(crate) const MAX_DEPTH: u32 = 500;

/// A number token: its text, whether it is written as an integer, and its value when it is an
/// integer of at most 18 digits (the common case, parsed while scanning).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Num<'a> {
    pub text: &'a [u8],
    pub int: bool,
    pub small: Option<i64>,
}

pub(crate) struct Scanner<'a> {
    pub buf: &'a [u8],
    pub pos: usize,
    depth: u32,
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Index of the first byte at or after `i` that ends the plain part of a string: a quote, a
/// backslash or a control character. Eight bytes at a time; the lowest flagged byte of each
/// mask is exact, which is all `trailing_zeros` looks at.
#[inline]
fn find_special(buf: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = buf.get(i..i + 8) {
        let w = u64::from_le_bytes([
            chunk[0], chunk[1], chunk[2], chunk[3], chunk[4], chunk[5], chunk[6], chunk[7],
        ]);
        let q = w ^ (LO * b'"' as u64);
        let b = w ^ (LO * b'\\' as u64);
        let m = (q.wrapping_sub(LO) & !q)
            | (b.wrapping_sub(LO) & !b)
            | (w.wrapping_sub(LO * 0x20) & !w);
        let m = m & HI;
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < buf.len() {
        let c = buf[i];
        if c == b'"' || c == b'\\' || c < 0x20 {
            return i;
        }
        i += 1;
    }
    buf.len()
}

fn hex_val(c: u8) -> Option<u32> {
    match c {
        b'0'..=b'9' => Some((c - b'0') as u32),
        b'a'..=b'f' => Some((c - b'a' + 10) as u32),
        b'A'..=b'F' => Some((c - b'A' + 10) as u32),
        _ => None,
    }
}

impl<'a> Scanner<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Scanner {
            buf,
            pos: 0,
            depth: 0,
        }
    }

    #[inline]
    pub fn ws(&mut self) {
        while let Some(&b) = self.buf.get(self.pos) {
            if b == b' ' || b == b'\n' || b == b'\r' || b == b'\t' {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    /// The next significant byte, without consuming it.
    #[inline]
    pub fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.buf.get(self.pos).copied()
    }

    /// A syntax failure at the current position.
    pub fn unexpected(&self, expected: &str) -> Fail {
        match self.buf.get(self.pos) {
            None => Fail::Syntax(format!("Unexpected end-of-input: expected {expected}")),
            Some(&c) if c.is_ascii_graphic() || c == b' ' => Fail::Syntax(format!(
                "Unexpected character ('{}' (code {c})): expected {expected} at byte offset {}",
                c as char, self.pos
            )),
            Some(&c) => Fail::Syntax(format!(
                "Unexpected character (code {c} / 0x{c:02x}): expected {expected} at byte offset {}",
                self.pos
            )),
        }
    }

    /// Consume `b` (after whitespace) or fail.
    #[inline]
    pub fn expect(&mut self, b: u8, expected: &str) -> Res<()> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected(expected))
        }
    }

    /// Enter an array or object (the opening byte is consumed by the caller).
    #[inline]
    pub fn enter(&mut self) -> Res<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Fail::Syntax(format!(
                "Document nesting depth exceeds the maximum allowed ({MAX_DEPTH})"
            )));
        }
        Ok(())
    }

    #[inline]
    pub fn leave(&mut self) {
        self.depth -= 1;
    }

    /// After a member or element: `Ok(true)` if `sep` (a comma) follows, `Ok(false)` if `close`
    /// follows (both consumed).
    #[inline]
    pub fn next_or_close(&mut self, close: u8) -> Res<bool> {
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(c) if c == close => {
                self.pos += 1;
                Ok(false)
            }
            _ => Err(self.unexpected(if close == b'}' {
                "',' or '}'"
            } else {
                "',' or ']'"
            })),
        }
    }

    /// Consume a literal (`true`, `false`, `null`) whose first byte is current.
    pub fn literal(&mut self, lit: &[u8]) -> Res<()> {
        if self.buf.get(self.pos..self.pos + lit.len()) == Some(lit) {
            self.pos += lit.len();
            Ok(())
        } else {
            Err(Fail::Syntax(format!(
                "Unrecognized token at byte offset {}: was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
                self.pos
            )))
        }
    }

    /// A string (current byte is the opening quote). Without escapes it is borrowed from the
    /// input; otherwise it is unescaped into `scratch` (cleared first).
    #[inline]
    pub fn string<'s>(&mut self, scratch: &'s mut Vec<u8>) -> Res<&'s [u8]>
    where
        'a: 's,
    {
        let start = self.pos + 1;
        let end = find_special(self.buf, start);
        if self.buf.get(end) == Some(&b'"') {
            self.pos = end + 1;
            return Ok(&self.buf[start..end]);
        }
        scratch.clear();
        self.string_slow(start, end, scratch)?;
        Ok(scratch)
    }

    /// Append the unescaped content of a string (current byte is the opening quote) to `out`.
    #[inline]
    pub fn string_into(&mut self, out: &mut Vec<u8>) -> Res<()> {
        let start = self.pos + 1;
        let end = find_special(self.buf, start);
        if self.buf.get(end) == Some(&b'"') {
            out.extend_from_slice(&self.buf[start..end]);
            self.pos = end + 1;
            return Ok(());
        }
        self.string_slow(start, end, out)
    }

    /// Escapes (or an error) at `end`; plain bytes `start..end` are copied first.
    fn string_slow(&mut self, start: usize, mut end: usize, out: &mut Vec<u8>) -> Res<()> {
        let mut plain = start;
        loop {
            out.extend_from_slice(&self.buf[plain..end]);
            match self.buf.get(end) {
                None => {
                    self.pos = end;
                    return Err(Fail::Syntax(
                        "Unexpected end-of-input: was expecting closing quote for a string value"
                            .into(),
                    ));
                }
                Some(b'"') => {
                    self.pos = end + 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    let (len, ch) = self.escape(end)?;
                    let mut tmp = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
                    plain = end + len;
                }
                Some(&c) => {
                    self.pos = end;
                    return Err(Fail::Syntax(format!(
                        "Illegal unquoted character ((CTRL-CHAR, code {c})): has to be escaped using backslash to be included in string value"
                    )));
                }
            }
            end = find_special(self.buf, plain);
        }
    }

    /// Decode the escape at `at` (a backslash): its length in bytes and the character.
    fn escape(&mut self, at: usize) -> Res<(usize, char)> {
        let bad = |pos: usize| {
            Fail::Syntax(format!(
                "Unrecognized character escape at byte offset {pos}"
            ))
        };
        let c = *self.buf.get(at + 1).ok_or_else(|| bad(at))?;
        let simple = match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = self.hex4(at + 2)?;
                if (0xD800..0xDC00).contains(&unit) {
                    if self.buf.get(at + 6) == Some(&b'\\') && self.buf.get(at + 7) == Some(&b'u') {
                        let low = self.hex4(at + 8)?;
                        if (0xDC00..0xE000).contains(&low) {
                            let cp = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                            return Ok((12, char::from_u32(cp).unwrap_or('\u{FFFD}')));
                        }
                    }
                    return Err(Fail::Data(format!(
                        "Unpaired surrogate \\u{unit:04X} in a JSON string cannot be represented in UTF-8"
                    )));
                }
                return match char::from_u32(unit) {
                    Some(ch) => Ok((6, ch)),
                    None => Err(Fail::Data(format!(
                        "Unpaired surrogate \\u{unit:04X} in a JSON string cannot be represented in UTF-8"
                    ))),
                };
            }
            _ => return Err(bad(at)),
        };
        Ok((2, simple))
    }

    fn hex4(&self, at: usize) -> Res<u32> {
        let digits = self
            .buf
            .get(at..at + 4)
            .ok_or_else(|| Fail::Syntax("Unexpected end-of-input in a \\u escape".into()))?;
        let mut v = 0;
        for &d in digits {
            v = v << 4
                | hex_val(d).ok_or_else(|| {
                    Fail::Syntax(format!(
                        "Illegal character in a \\u escape at byte offset {at}"
                    ))
                })?;
        }
        Ok(v)
    }

    /// A number token (current byte is `-` or a digit).
    #[inline]
    pub fn number(&mut self) -> Res<Num<'a>> {
        let buf = self.buf;
        let start = self.pos;
        let mut i = start;
        let neg = buf.get(i) == Some(&b'-');
        if neg {
            i += 1;
        }
        let digits_start = i;
        let mut v: i64 = 0;
        while let Some(&d) = buf.get(i) {
            if d.is_ascii_digit() {
                if i - digits_start < 18 {
                    v = v * 10 + (d - b'0') as i64;
                }
                i += 1;
            } else {
                break;
            }
        }
        let n_digits = i - digits_start;
        if n_digits == 0 {
            self.pos = i;
            return Err(self.unexpected("a digit (for a number)"));
        }
        let mut int = true;
        if buf.get(i) == Some(&b'.') {
            int = false;
            i += 1;
            let s = i;
            while buf.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == s {
                self.pos = i;
                return Err(self.unexpected("a digit after the decimal point"));
            }
        }
        if matches!(buf.get(i), Some(b'e' | b'E')) {
            int = false;
            i += 1;
            if matches!(buf.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            let s = i;
            while buf.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == s {
                self.pos = i;
                return Err(self.unexpected("a digit in the exponent"));
            }
        }
        self.pos = i;
        let small = (int && n_digits <= 18).then_some(if neg { -v } else { v });
        Ok(Num {
            text: &buf[start..i],
            int,
            small,
        })
    }

    /// Skip one value, checking its syntax.
    pub fn skip_value(&mut self) -> Res<()> {
        match self.peek() {
            Some(b'"') => {
                let start = self.pos + 1;
                let end = find_special(self.buf, start);
                if self.buf.get(end) == Some(&b'"') {
                    self.pos = end + 1;
                    Ok(())
                } else {
                    let mut sink = Vec::new();
                    self.string_slow(start, end, &mut sink)
                }
            }
            Some(b'{') => {
                self.pos += 1;
                self.enter()?;
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                } else {
                    loop {
                        if self.peek() != Some(b'"') {
                            return Err(self.unexpected("a field name (double-quote)"));
                        }
                        self.skip_value()?;
                        self.expect(b':', "':' after a field name")?;
                        self.skip_value()?;
                        if !self.next_or_close(b'}')? {
                            break;
                        }
                    }
                }
                self.leave();
                Ok(())
            }
            Some(b'[') => {
                self.pos += 1;
                self.enter()?;
                if self.peek() == Some(b']') {
                    self.pos += 1;
                } else {
                    loop {
                        self.skip_value()?;
                        if !self.next_or_close(b']')? {
                            break;
                        }
                    }
                }
                self.leave();
                Ok(())
            }
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number().map(|_| ()),
            _ => Err(self.unexpected("a value")),
        }
    }
}

/// What a number token means as a Java `long` (`JsonNode.longValue()` with Kafka's
/// `USE_BIG_DECIMAL_FOR_FLOATS`): integers keep their low 64 bits, numbers with a fraction or
/// exponent are truncated toward zero first (`BigDecimal.longValue()`).
pub(crate) fn java_long(num: &Num<'_>) -> i64 {
    if let Some(v) = num.small {
        return v;
    }
    let text = num.text;
    let neg = text.first() == Some(&b'-');
    let body = if neg { &text[1..] } else { text };
    let (mantissa, exp) = match body.iter().position(|&c| c == b'e' || c == b'E') {
        Some(p) => (
            &body[..p],
            std::str::from_utf8(&body[p + 1..])
                .ok()
                .and_then(|e| e.parse::<i64>().ok())
                .unwrap_or(0),
        ),
        None => (body, 0),
    };
    let (int_part, frac_part) = match mantissa.iter().position(|&c| c == b'.') {
        Some(p) => (&mantissa[..p], &mantissa[p + 1..]),
        None => (mantissa, &mantissa[mantissa.len()..]),
    };
    // Digits of the integer part after shifting the point by `exp`, accumulated mod 2^64.
    let mut v: u64 = 0;
    let all = int_part.iter().chain(frac_part.iter());
    let keep = int_part.len() as i64 + exp;
    for (i, &d) in all.enumerate() {
        if i as i64 >= keep {
            break;
        }
        v = v.wrapping_mul(10).wrapping_add((d - b'0') as u64);
    }
    let total = (int_part.len() + frac_part.len()) as i64;
    // Trailing zeros implied by a large exponent; after 64 of them the low bits are all zero.
    let zeros = (keep - total).max(0);
    if zeros >= 64 {
        v = 0;
    } else {
        for _ in 0..zeros {
            v = v.wrapping_mul(10);
        }
    }
    let v = v as i64;
    if neg {
        v.wrapping_neg()
    } else {
        v
    }
}

/// The number's text as `&str` (number tokens are ASCII).
pub(crate) fn num_str<'a>(num: &Num<'a>) -> &'a str {
    std::str::from_utf8(num.text).unwrap_or("0")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(text: &str) -> Num<'_> {
        Scanner::new(text.as_bytes()).number().unwrap()
    }

    #[test]
    fn strings_plain_and_escaped() {
        let mut scratch = Vec::new();
        let mut s = Scanner::new(br#""plain" "a\"b\\c\u00e9\ud83d\ude00""#);
        assert_eq!(s.string(&mut scratch).unwrap(), b"plain");
        s.ws();
        assert_eq!(
            s.string(&mut scratch).unwrap(),
            "a\"b\\c\u{e9}\u{1F600}".as_bytes()
        );
        assert!(matches!(
            Scanner::new(b"\"a\nb\"").string(&mut scratch),
            Err(Fail::Syntax(_))
        ));
        assert!(matches!(
            Scanner::new(br#""\ud800x""#).string(&mut scratch),
            Err(Fail::Data(_))
        ));
        assert!(matches!(
            Scanner::new(b"\"abc").string(&mut scratch),
            Err(Fail::Syntax(_))
        ));
        assert!(matches!(
            Scanner::new(br#""\q""#).string(&mut scratch),
            Err(Fail::Syntax(_))
        ));
    }

    #[test]
    fn find_special_is_exact_across_chunks() {
        let text = b"0123456789abcdef\"";
        for start in 0..text.len() {
            assert_eq!(find_special(text, start), 16);
        }
        assert_eq!(find_special(b"abc\x01def\"ghijklmn", 0), 3);
    }

    #[test]
    fn numbers_and_java_long() {
        assert_eq!(num("123").small, Some(123));
        assert_eq!(num("-007").small, Some(-7));
        assert!(!num("1.5").int);
        assert!(!num("1e3").int);
        assert_eq!(java_long(&num("1.9")), 1);
        assert_eq!(java_long(&num("-1.9")), -1);
        assert_eq!(java_long(&num("1.5e3")), 1500);
        assert_eq!(java_long(&num("1e-5")), 0);
        assert_eq!(java_long(&num("18446744073709551617")), 1);
        assert_eq!(java_long(&num("-9223372036854775808")), i64::MIN);
        assert_eq!(java_long(&num("1e400")), 0);
        assert!(Scanner::new(b"-").number().is_err());
        assert!(Scanner::new(b"1.").number().is_err());
        assert!(Scanner::new(b"1e+").number().is_err());
    }

    #[test]
    fn skip_checks_syntax_and_depth() {
        assert!(Scanner::new(br#"{"a":[1,2,{"b":null}],"c":"d"}"#)
            .skip_value()
            .is_ok());
        assert!(Scanner::new(br#"{"a":[1,2,}"#).skip_value().is_err());
        assert!(Scanner::new(b"[tru]").skip_value().is_err());
        let deep = "[".repeat(600);
        assert!(Scanner::new(deep.as_bytes()).skip_value().is_err());
    }
}
