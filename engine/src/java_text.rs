//! Java's text forms of numbers and Java class names of Connect values, so converters and
//! transforms print what Kafka Connect on the JVM prints (the formats crate re-exports these from
//! `strait_formats::java`; transforms such as `Cast` need them too, and the engine cannot depend
//! on the formats crate).
//!
//! - [`write_double`] / [`write_float`]: `Double.toString` / `Float.toString` (what Jackson writes
//!   for `DoubleNode` / `FloatNode`): plain notation with at least one fractional digit for
//!   `1e-3 <= |v| < 1e7` (`100.0`, `0.001`), otherwise computerized scientific notation
//!   (`1.0E10`, `1.234E-5`). The digits are those of JDK 17 (Kafka 4.1's minimum JDK, and the
//!   reference JVM of our golden vectors), whose algorithm (Steele & White's free-format
//!   printing with a symmetric stopping test, JDK-4511638) does not always pick the shortest
//!   digits: `1e23` prints as `9.999999999999999E22`, `Float.MIN_NORMAL` as `1.17549435E-38`.
//!   The emulation, including its choice of 32-bit, 64-bit or big-integer arithmetic and the
//!   overflow behaviour that comes with it, was checked against JDK 17 on about three million
//!   values (random bit patterns, powers of two and ten and their neighbours, integers, decimal
//!   fractions, subnormals) with no difference. JDK 19+ prints the shortest digits instead, which
//!   differs for about 0.1% of random doubles and 5% of random floats (mostly beyond 1e16);
//!   both parse back to the same number.
//! - [`write_big_decimal`]: `BigDecimal.toString` (scientific notation when the scale is negative
//!   or the adjusted exponent is below -6).
//! - [`java_class`] / [`java_class_name`]: the Java class Connect would hold for a value of an
//!   Arrow type, and [`connect_type_name`]: the Connect schema type of a column, for error
//!   messages that read like Kafka Connect's.
//! - [`JavaStringWriter`]: `String.valueOf` of any Connect value in an Arrow column (structs,
//!   lists, maps, dates as `java.util.Date#toString`), shared by the `StringConverter`, the
//!   `FileStreamSink` and transforms whose messages print records.

use std::fmt::Write as _;

mod value;
pub use value::{write_date, BytesText, JavaStringWriter};

use arrow::datatypes::DataType;

/// A small fixed buffer for `core::fmt` output: formatting a float must not allocate.
struct StackBuf {
    buf: [u8; 64],
    len: usize,
}

impl StackBuf {
    fn new() -> Self {
        StackBuf {
            buf: [0; 64],
            len: 0,
        }
    }
    fn as_str(&self) -> &str {
        // Only `write_str` fills the buffer, and it copies whole `&str`s.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl std::fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let b = s.as_bytes();
        let end = self.len + b.len();
        if end > self.buf.len() {
            return Err(std::fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(b);
        self.len = end;
        Ok(())
    }
}

/// Up to 20 decimal digits (17 for doubles plus JDK 17's occasional extra ones).
struct Digits {
    d: [u8; 32],
    n: usize,
}

impl Digits {
    fn new() -> Self {
        Digits { d: [0; 32], n: 0 }
    }
    fn push(&mut self, digit: u8) {
        if self.n < self.d.len() {
            self.d[self.n] = digit;
            self.n += 1;
        }
    }
    fn as_slice(&self) -> &[u8] {
        &self.d[..self.n]
    }
}

/// A double as (binary exponent, significand with its leading one at bit 52, number of
/// significant bits); subnormals are normalized and keep their smaller bit count.
fn double_parts(v: f64) -> (i32, u64, i32) {
    let bits = v.to_bits();
    let mut fract = bits & ((1u64 << 52) - 1);
    let biased = ((bits >> 52) & 0x7FF) as i32;
    if biased == 0 {
        let lz = fract.leading_zeros() as i32;
        let shift = lz - 11;
        fract <<= shift;
        (1 - shift - 1023, fract, 64 - lz)
    } else {
        (biased - 1023, fract | 1u64 << 52, 53)
    }
}

/// A float in the same form as [`double_parts`] (significand widened to the double layout).
fn float_parts(v: f32) -> (i32, u64, i32) {
    let bits = v.to_bits();
    let mut fract = bits & ((1u32 << 23) - 1);
    let biased = ((bits >> 23) & 0xFF) as i32;
    let (bin_exp, n_sig) = if biased == 0 {
        let lz = fract.leading_zeros() as i32;
        let shift = lz - 8;
        fract <<= shift;
        (1 - shift - 127, 32 - lz)
    } else {
        fract |= 1 << 23;
        (biased - 127, 24)
    };
    (bin_exp, (fract as u64) << 29, n_sig)
}

/// Bit length of `5^i` as JDK 17 estimates it when choosing its arithmetic width.
fn pow5_bits(i: i32) -> i32 {
    match i {
        0 => 0,
        1..=26 => (i as f64 * 5f64.log2()).floor() as i32 + 1,
        _ => i * 3,
    }
}

/// Decimal digits of a positive finite value, as JDK 17's `Double.toString` generates them.
/// Returns the decimal exponent `e` such that the value is `0.d1d2… × 10^e`.
fn jdk17_digits(bin_exp: i32, fract: u64, n_sig: i32, out: &mut Digits) -> i32 {
    let tail_zeros = fract.trailing_zeros() as i32;
    let n_fract = 53 - tail_zeros;
    let n_tiny = (n_fract - bin_exp - 1).max(0);

    // Integers of moderate size: their digits, the ones below the type's precision rounded off
    // (half up), trailing zeros dropped.
    if (-21..=62).contains(&bin_exp) && n_tiny == 0 {
        let insignificant = match bin_exp - n_sig - 1 {
            p2 @ 2..=63 if bin_exp > n_sig => {
                (p2 as f64 * std::f64::consts::LOG10_2).floor() as u32
            }
            _ => 0,
        };
        let mut v = if bin_exp >= 52 {
            fract << (bin_exp - 52)
        } else {
            fract >> (52 - bin_exp)
        };
        if insignificant > 0 {
            let p = 10u64.pow(insignificant);
            let rounded_up = v % p >= p / 2;
            v = v / p + rounded_up as u64;
        }
        let mut sb = StackBuf::new();
        let _ = write!(sb, "{v}");
        let text = sb.as_str().as_bytes();
        let kept = text.iter().rposition(|&d| d != b'0').map_or(1, |p| p + 1);
        text[..kept].iter().for_each(|&d| out.push(d));
        return insignificant as i32 + text.len() as i32;
    }

    // Steele & White: b/s is the value scaled by 10^-dec_exp, m/s half its spacing.
    let d2 = f64::from_bits((1023u64 << 52) | (fract & ((1u64 << 52) - 1)));
    // JDK 17's estimate, with its constants: the last one is log10(2) to 15 digits only, and the
    // exact f64 it makes decides some estimates, so it is kept as written.
    #[allow(clippy::approx_constant)]
    let estimate = (d2 - 1.5) * 0.289529654 + 0.176091259 + bin_exp as f64 * 0.301029995663981;
    let mut dec_exp = estimate.floor() as i32;
    let b5 = (-dec_exp).max(0);
    let s5 = dec_exp.max(0);
    let m5 = b5;
    let mut b2 = b5 + n_tiny + bin_exp - (n_fract - 1);
    let mut s2 = s5 + n_tiny;
    let mut m2 = b5 + n_tiny + bin_exp - n_sig;
    let f = fract >> tail_zeros;
    let common = b2.min(s2);
    b2 -= common;
    s2 -= common;
    m2 -= common;
    if n_fract == 1 {
        // A power of two: the spacing below is half the spacing above.
        m2 -= 1;
    }
    if m2 < 0 {
        b2 -= m2;
        s2 -= m2;
        m2 = 0;
    }
    let b_bits = n_fract + b2 + pow5_bits(b5);
    let ten_s_bits = s2 + 1 + pow5_bits(s5 + 1);

    // JDK 17 computes in 32-bit, 64-bit or big integers by these estimates. The narrow ones wrap
    // on overflow and stop on `b + m > tens`, the big one on `>=`: emulate all three.
    let (low, high, half) = if b_bits < 64 && ten_s_bits < 64 {
        macro_rules! narrow {
            ($t:ty) => {{
                let pow5 = |k: i32| 5i64.pow(k as u32) as $t;
                let mut b: $t = (f as $t).wrapping_mul(pow5(b5)).wrapping_shl(b2 as u32);
                let s: $t = pow5(s5).wrapping_shl(s2 as u32);
                let mut m: $t = pow5(m5).wrapping_shl(m2 as u32);
                let tens: $t = s.wrapping_mul(10);
                let mut first = true;
                let (mut low, mut high) = (false, false);
                while first || (!low && !high) {
                    let q = b / s;
                    b = (b % s).wrapping_mul(10);
                    m = m.wrapping_mul(10);
                    if first || m > 0 {
                        low = b < m;
                        high = b.wrapping_add(m) > tens;
                    } else {
                        low = true;
                        high = true;
                    }
                    if first {
                        first = false;
                        first_digit(out, q as u8, high, &mut dec_exp, &mut low, &mut high);
                    } else {
                        out.push(b'0' + q as u8);
                    }
                }
                (low, high, b.wrapping_shl(1).wrapping_sub(tens).cmp(&0))
            }};
        }
        if b_bits < 32 && ten_s_bits < 32 {
            narrow!(i32)
        } else {
            narrow!(i64)
        }
    } else {
        let mut b = Big::from(f);
        b.mul_pow5(b5 as u32);
        b.shl(b2 as u32);
        let mut s = Big::from(1);
        s.mul_pow5(s5 as u32);
        s.shl(s2 as u32);
        let mut m = Big::from(1);
        m.mul_pow5(m5 as u32);
        m.shl(m2 as u32);
        let mut tens = s;
        tens.mul_small(10);
        let mut first = true;
        let (mut low, mut high) = (false, false);
        while first || (!low && !high) {
            let q = b.quo_rem(&s);
            b.mul_small(10);
            m.mul_small(10);
            low = b.cmp(&m).is_lt();
            high = b.add(&m).cmp(&tens).is_ge();
            if first {
                first = false;
                first_digit(out, q as u8, high, &mut dec_exp, &mut low, &mut high);
            } else {
                out.push(b'0' + q as u8);
            }
        }
        let mut twice = b;
        twice.shl(1);
        (low, high, twice.cmp(&tens))
    };

    let mut exp = dec_exp + 1;
    let odd = out.as_slice().last().is_some_and(|d| (d - b'0') % 2 == 1);
    let round_up = high && (!low || half.is_gt() || (half.is_eq() && odd));
    if round_up {
        let mut i = out.n;
        loop {
            if i == 0 {
                // Carry out of the first digit: 1 followed by the (now zero) digits.
                out.d[0] = b'1';
                exp += 1;
                break;
            }
            i -= 1;
            if out.d[i] == b'9' {
                out.d[i] = b'0';
            } else {
                out.d[i] += 1;
                break;
            }
        }
    }
    exp
}

/// The first generated digit: a zero means the exponent estimate was one too high; scientific
/// notation needs at least two digits, so stopping is not allowed yet there.
fn first_digit(
    out: &mut Digits,
    q: u8,
    high: bool,
    dec_exp: &mut i32,
    low: &mut bool,
    high_out: &mut bool,
) {
    if q == 0 && !high {
        *dec_exp -= 1;
    } else {
        out.push(b'0' + q);
    }
    if *dec_exp < -3 || *dec_exp >= 8 {
        *low = false;
        *high_out = false;
    }
}

/// A fixed-capacity unsigned integer (little-endian 32-bit limbs), enough for every double.
#[derive(Clone, Copy)]
struct Big {
    len: usize,
    d: [u32; 48],
}

impl From<u64> for Big {
    fn from(v: u64) -> Big {
        let mut b = Big { len: 2, d: [0; 48] };
        b.d[0] = v as u32;
        b.d[1] = (v >> 32) as u32;
        b.trim();
        b
    }
}

impl Big {
    fn trim(&mut self) {
        while self.len > 0 && self.d[self.len - 1] == 0 {
            self.len -= 1;
        }
    }
    fn mul_small(&mut self, m: u32) {
        let mut carry = 0u64;
        for limb in &mut self.d[..self.len] {
            let v = *limb as u64 * m as u64 + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.d[self.len] = carry as u32;
            self.len += 1;
        }
    }
    fn mul_pow5(&mut self, mut k: u32) {
        while k >= 13 {
            self.mul_small(1_220_703_125);
            k -= 13;
        }
        self.mul_small(5u32.pow(k));
    }
    fn shl(&mut self, bits: u32) {
        if self.len == 0 || bits == 0 {
            return;
        }
        let (words, rem) = ((bits / 32) as usize, bits % 32);
        let mut out = [0u32; 48];
        for i in 0..self.len {
            let v = (self.d[i] as u64) << rem;
            out[i + words] |= v as u32;
            out[i + words + 1] |= (v >> 32) as u32;
        }
        self.d = out;
        self.len += words + 1;
        self.trim();
    }
    fn cmp(&self, o: &Big) -> std::cmp::Ordering {
        self.len.cmp(&o.len).then_with(|| {
            self.d[..self.len]
                .iter()
                .rev()
                .cmp(o.d[..o.len].iter().rev())
        })
    }
    fn sub(&mut self, o: &Big) {
        let mut borrow = 0u64;
        for i in 0..self.len {
            let (v, b1) = self.d[i].overflowing_sub(o.d[i]);
            let (v, b2) = v.overflowing_sub(borrow as u32);
            self.d[i] = v;
            borrow = (b1 || b2) as u64;
        }
        self.trim();
    }
    fn add(&self, o: &Big) -> Big {
        let mut r = Big {
            len: self.len.max(o.len),
            d: [0; 48],
        };
        let mut carry = 0u64;
        for i in 0..r.len {
            let v = self.d[i] as u64 + o.d[i] as u64 + carry;
            r.d[i] = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            r.d[r.len] = carry as u32;
            r.len += 1;
        }
        r
    }
    /// `self / s` (a single digit here) and `self %= s`.
    fn quo_rem(&mut self, s: &Big) -> u32 {
        let mut q = 0;
        while self.cmp(s).is_ge() {
            self.sub(s);
            q += 1;
        }
        q
    }
}

/// Lay out digits the way `Double.toString` / `Float.toString` do.
fn layout(out: &mut Vec<u8>, negative: bool, digits: &[u8], exp: i32) {
    if negative {
        out.push(b'-');
    }
    if (-3..7).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.extend_from_slice(digits);
                out.resize(out.len() + int_len - digits.len(), b'0');
                out.extend_from_slice(b".0");
            } else {
                out.extend_from_slice(&digits[..int_len]);
                out.push(b'.');
                out.extend_from_slice(&digits[int_len..]);
            }
        } else {
            out.extend_from_slice(b"0.");
            out.resize(out.len() + (-exp - 1) as usize, b'0');
            out.extend_from_slice(digits);
        }
    } else {
        out.push(digits[0]);
        out.push(b'.');
        if digits.len() > 1 {
            out.extend_from_slice(&digits[1..]);
        } else {
            out.push(b'0');
        }
        out.push(b'E');
        let mut sb = StackBuf::new();
        let _ = write!(sb, "{exp}");
        out.extend_from_slice(sb.as_str().as_bytes());
    }
}

/// Append `Double.toString(v)`; non-finite values as Java spells them (`NaN`, `Infinity`).
pub fn write_double(out: &mut Vec<u8>, v: f64) {
    if v.is_nan() {
        out.extend_from_slice(b"NaN");
    } else if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"Infinity" } else { b"-Infinity" });
    } else if v == 0.0 {
        out.extend_from_slice(if v.is_sign_negative() {
            b"-0.0"
        } else {
            b"0.0"
        });
    } else {
        let (bin_exp, fract, n_sig) = double_parts(v.abs());
        let mut digits = Digits::new();
        let exp = jdk17_digits(bin_exp, fract, n_sig, &mut digits);
        layout(out, v < 0.0, digits.as_slice(), exp - 1);
    }
}

/// Append `Float.toString(v)`; non-finite values as Java spells them.
pub fn write_float(out: &mut Vec<u8>, v: f32) {
    if v.is_nan() {
        out.extend_from_slice(b"NaN");
    } else if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"Infinity" } else { b"-Infinity" });
    } else if v == 0.0 {
        out.extend_from_slice(if v.is_sign_negative() {
            b"-0.0"
        } else {
            b"0.0"
        });
    } else {
        let (bin_exp, fract, n_sig) = float_parts(v.abs());
        let mut digits = Digits::new();
        let exp = jdk17_digits(bin_exp, fract, n_sig, &mut digits);
        layout(out, v < 0.0, digits.as_slice(), exp - 1);
    }
}

/// Append `new BigDecimal(BigInteger.valueOf(unscaled), scale).toString()`.
pub fn write_big_decimal(out: &mut Vec<u8>, unscaled: i128, scale: i32) {
    let mut sb = StackBuf::new();
    let _ = write!(sb, "{}", unscaled.unsigned_abs());
    let digits = sb.as_str().as_bytes();
    let n = digits.len() as i64;
    let adjusted = -(scale as i64) + (n - 1);
    if unscaled < 0 {
        out.push(b'-');
    }
    if scale >= 0 && adjusted >= -6 {
        let scale = scale as i64;
        if scale == 0 {
            out.extend_from_slice(digits);
        } else if n > scale {
            let int_len = (n - scale) as usize;
            out.extend_from_slice(&digits[..int_len]);
            out.push(b'.');
            out.extend_from_slice(&digits[int_len..]);
        } else {
            out.extend_from_slice(b"0.");
            out.resize(out.len() + (scale - n) as usize, b'0');
            out.extend_from_slice(digits);
        }
    } else {
        out.push(digits[0]);
        if n > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        out.push(b'E');
        if adjusted > 0 {
            out.push(b'+');
        }
        let mut e = StackBuf::new();
        let _ = write!(e, "{adjusted}");
        out.extend_from_slice(e.as_str().as_bytes());
    }
}

/// `Double.toString(v)` as a `String`.
/// Entries in the order a `java.util.HashMap<String, _>` filled in this order iterates them:
/// by bucket (`hashCode` spread, masked by the final table size), then insertion order.
pub fn java_hash_map_order<V>(entries: Vec<(String, V)>) -> Vec<(String, V)> {
    let mut capacity = 16usize;
    while entries.len() * 4 > capacity * 3 {
        capacity *= 2;
    }
    let bucket = |key: &str| {
        let h = key
            .encode_utf16()
            .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(c as i32));
        let spread = h ^ ((h as u32) >> 16) as i32;
        (spread as u32 as usize) & (capacity - 1)
    };
    let mut indexed: Vec<(usize, usize, (String, V))> = entries
        .into_iter()
        .enumerate()
        .map(|(i, e)| (bucket(&e.0), i, e))
        .collect();
    indexed.sort_by_key(|(b, i, _)| (*b, *i));
    indexed.into_iter().map(|(_, _, e)| e).collect()
}

#[cfg(test)]
fn double_to_string(v: f64) -> String {
    let mut out = Vec::with_capacity(24);
    write_double(&mut out, v);
    String::from_utf8(out).unwrap_or_default()
}

/// The Java class Kafka Connect uses for values of this Arrow type, as `Class.toString()` prints
/// it (`class java.lang.Integer`), for error messages that read like Kafka Connect's.
pub fn java_class(dt: &DataType) -> String {
    match java_class_name(dt) {
        Some(class) => format!("class {class} (Arrow type {dt})"),
        None => format!("Arrow type {dt}"),
    }
}

/// The name of the Java class Kafka Connect uses for values of this Arrow type
/// (`java.lang.Integer`), if Connect has one.
pub fn java_class_name(dt: &DataType) -> Option<&'static str> {
    Some(match dt {
        DataType::Int8 => "java.lang.Byte",
        DataType::Int16 => "java.lang.Short",
        DataType::Int32 => "java.lang.Integer",
        DataType::Int64 => "java.lang.Long",
        DataType::Float32 => "java.lang.Float",
        DataType::Float64 => "java.lang.Double",
        DataType::Boolean => "java.lang.Boolean",
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "java.lang.String",
        DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_) => "[B",
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(_, _) => {
            "java.util.ArrayList"
        }
        DataType::Map(_, _) => "java.util.HashMap",
        DataType::Struct(_) => "org.apache.kafka.connect.data.Struct",
        DataType::Decimal128(_, _) | DataType::Decimal256(_, _) => "java.math.BigDecimal",
        DataType::Date32 | DataType::Date64 | DataType::Time32(_) | DataType::Timestamp(_, _) => {
            "java.util.Date"
        }
        _ => return None,
    })
}

/// The class of a value in a column of this type as Java's transforms see it: a schemaless
/// struct column holds `HashMap`s (JsonConverter's schemaless objects), a type Connect has no
/// class for reads as `java.lang.Object`.
pub fn java_value_class(dt: &DataType, schemaless: bool) -> &'static str {
    match dt {
        DataType::Struct(_) if schemaless => "java.util.HashMap",
        _ => java_class_name(dt).unwrap_or("java.lang.Object"),
    }
}

/// Connect's `Schema.Type` of a column of this Arrow type, as Java prints `schema.type()`
/// (`INT32`; logical types print their base type: a Date is `INT32`, a Decimal `BYTES`), if the
/// Arrow type is one Connect schemas map to.
pub fn connect_type_name(dt: &DataType) -> Option<&'static str> {
    Some(match dt {
        DataType::Int8 => "INT8",
        DataType::Int16 => "INT16",
        DataType::Int32 | DataType::Date32 | DataType::Time32(_) => "INT32",
        DataType::Int64 | DataType::Timestamp(_, _) => "INT64",
        DataType::Float32 => "FLOAT32",
        DataType::Float64 => "FLOAT64",
        DataType::Boolean => "BOOLEAN",
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "STRING",
        DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_)
        | DataType::Decimal128(_, _)
        | DataType::Decimal256(_, _) => "BYTES",
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(_, _) => "ARRAY",
        DataType::Map(_, _) => "MAP",
        DataType::Struct(_) => "STRUCT",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(v: f64) -> String {
        double_to_string(v)
    }

    fn f(v: f32) -> String {
        let mut out = Vec::new();
        write_float(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    fn bd(unscaled: i128, scale: i32) -> String {
        let mut out = Vec::new();
        write_big_decimal(&mut out, unscaled, scale);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn doubles_print_like_java() {
        assert_eq!(d(0.0), "0.0");
        assert_eq!(d(-0.0), "-0.0");
        assert_eq!(d(1.0), "1.0");
        assert_eq!(d(100.0), "100.0");
        assert_eq!(d(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(d(1e7), "1.0E7");
        assert_eq!(d(9999999.999), "9999999.999");
        assert_eq!(d(1234567.0), "1234567.0");
        assert_eq!(d(12345678.0), "1.2345678E7");
        assert_eq!(d(0.001), "0.001");
        assert_eq!(d(0.0001), "1.0E-4");
        assert_eq!(d(-2.5), "-2.5");
        assert_eq!(d(1e10), "1.0E10");
        assert_eq!(d(1.23e-18), "1.23E-18");
        assert_eq!(d(f64::MIN_POSITIVE), "2.2250738585072014E-308");
        assert_eq!(d(5e-324), "4.9E-324");
        assert_eq!(d(f64::MAX), "1.7976931348623157E308");
        // JDK 17's digits where they are not the shortest.
        assert_eq!(d(1e23), "9.999999999999999E22");
        assert_eq!(d(-8.339840063750243e14), "-8.339840063750242E14");
        assert_eq!(d(5.722351919331477e17), "5.7223519193314771E17");
        assert_eq!(d(f64::NAN), "NaN");
        assert_eq!(d(f64::NEG_INFINITY), "-Infinity");
    }

    #[test]
    fn floats_print_like_java() {
        assert_eq!(f(1.5), "1.5");
        assert_eq!(f(0.1), "0.1");
        assert_eq!(f(std::f32::consts::PI), "3.1415927");
        assert_eq!(f(1e10), "1.0E10");
        assert_eq!(f(9999999.0), "9999999.0");
        assert_eq!(f(16777216.0), "1.6777216E7");
        assert_eq!(f(f32::MAX), "3.4028235E38");
        assert_eq!(f(1.4e-45), "1.4E-45");
        assert_eq!(f(-0.0), "-0.0");
        assert_eq!(f(f32::MIN_POSITIVE), "1.17549435E-38");
        assert_eq!(f(6.45623e10), "6.4562299E10");
        assert_eq!(f(-7.4115332e25), "-7.4115332E25");
    }

    #[test]
    fn big_decimals_print_like_java() {
        assert_eq!(bd(12345, 2), "123.45");
        assert_eq!(bd(-12345, 2), "-123.45");
        assert_eq!(bd(0, 2), "0.00");
        assert_eq!(bd(1, 2), "0.01");
        assert_eq!(bd(1, 10), "1E-10");
        assert_eq!(bd(-1000, 10), "-1.000E-7");
        assert_eq!(bd(5, -2), "5E+2");
        assert_eq!(bd(-12, -2), "-1.2E+3");
        assert_eq!(bd(0, -2), "0E+2");
        assert_eq!(bd(123, 0), "123");
        assert_eq!(bd(1, 6), "0.000001");
        assert_eq!(bd(1, 7), "1E-7");
    }
}

/// Compare with samples printed by a JVM: set `STRAIT_JAVA_FLOAT_SAMPLES` to a file of lines
/// `d <hex bits> <Double.toString>` / `f <hex bits> <Float.toString>` and run this test.
#[cfg(test)]
#[test]
fn matches_jvm_samples_when_given() {
    let Ok(path) = std::env::var("STRAIT_JAVA_FLOAT_SAMPLES") else {
        return;
    };
    let text = std::fs::read_to_string(path).expect("samples file");
    let (mut checked, mut differ) = (0, Vec::new());
    for line in text.lines() {
        let mut parts = line.split(' ');
        let (Some(kind), Some(hex), Some(java)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let mut out = Vec::new();
        match kind {
            "d" => write_double(
                &mut out,
                f64::from_bits(u64::from_str_radix(hex, 16).unwrap()),
            ),
            _ => write_float(
                &mut out,
                f32::from_bits(u32::from_str_radix(hex, 16).unwrap()),
            ),
        }
        checked += 1;
        if out != java.as_bytes() {
            differ.push(format!("{line} -> {}", String::from_utf8_lossy(&out)));
        }
    }
    assert!(
        differ.is_empty(),
        "{} of {checked} differ:\n{}",
        differ.len(),
        differ[..differ.len().min(20)].join("\n")
    );
    eprintln!("{checked} samples match");
}
