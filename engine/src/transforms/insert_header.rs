//! `org.apache.kafka.connect.transforms.InsertHeader`: adds the header `header` to every
//! record, its value `value.literal` parsed as Java's `Values.parseString` parses it (`42` is an
//! INT8, `true` a BOOLEAN, `1.5` a FLOAT32, `null` a null value, most other text a STRING).
//!
//! The value is the same for every record, so it is serialized once, with the connector's header
//! converter, when the transform is built; each batch only appends it to every row's headers.
//! Literals Java would parse as arrays, maps, decimals, dates, times or timestamps are refused
//! with a config error (Strait does not build those values from text yet).

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BinaryArray, BooleanArray, Float32Array, Float64Array, Int16Array, Int32Array,
    Int64Array, Int8Array, NullArray, RecordBatch, StringArray,
};
use arrow::datatypes::Field;

use super::registry::{Build, TransformPlugin};
use super::util::{append_headers, header_list, with_headers};
use super::{Applied, Needs, Transform, TransformContext};
use crate::config::{Props, Validator};
use crate::error::{Error, Result};
use crate::plugin::RowError;

pub const CLASS: &str = "org.apache.kafka.connect.transforms.InsertHeader";

crate::declare_config! {
    /// InsertHeader's keys.
    #[derive(Debug)]
    pub struct InsertHeaderConfig {
        pub header: String {
            key: "header",
            ty: String,
            default: required,
            validator: Validator::NonNull,
            importance: High,
            doc: "The name of the header.",
        },
        pub value_literal: String {
            key: "value.literal",
            ty: String,
            default: required,
            validator: Validator::NonNull,
            importance: High,
            doc: "The literal value that is to be set as the header value on all records.",
        },
    }
}

pub const PLUGINS: &[TransformPlugin] = &[TransformPlugin {
    class: CLASS,
    config_def: InsertHeaderConfig::config_def,
    build: Build::Transform(build),
}];

fn build(props: &Props, ctx: &TransformContext) -> Result<Box<dyn Transform>> {
    Ok(Box::new(InsertHeader::new(
        &InsertHeaderConfig::parse(props)?,
        ctx,
    )?))
}

/// A configured InsertHeader.
#[derive(Debug)]
pub struct InsertHeader {
    header: String,
    /// The serialized value, or the header converter's error (raised for every record, as the
    /// converter would raise it for each record in Java).
    value: std::result::Result<Option<Vec<u8>>, String>,
}

impl InsertHeader {
    pub fn new(config: &InsertHeaderConfig, ctx: &TransformContext) -> Result<Self> {
        let literal = parse_literal(&config.value_literal).map_err(|what| {
            Error::config(format!(
                "Invalid value {} for configuration value.literal: Strait's InsertHeader does not support {what} literals yet",
                config.value_literal
            ))
        })?;
        let (field, array) = literal.column(&config.header);
        let value = match ctx.header_converter.from_connect(&field, &array) {
            Ok(bytes) if bytes.is_null(0) => Ok(None),
            Ok(bytes) => Ok(Some(bytes.value(0).to_vec())),
            Err(e) => Err(e.message().to_string()),
        };
        Ok(InsertHeader {
            header: config.header.clone(),
            value,
        })
    }
}

impl Transform for InsertHeader {
    fn class(&self) -> &'static str {
        CLASS
    }

    fn needs(&self) -> Needs {
        Needs::HEADERS
    }

    fn apply(&self, records: &RecordBatch) -> Result<Applied> {
        let rows = records.num_rows();
        let value = match &self.value {
            Ok(value) => value,
            Err(message) => {
                let errors = (0..rows)
                    .map(|row| RowError {
                        row,
                        error: Error::data(message.clone()),
                    })
                    .collect();
                return Ok(Applied {
                    records: records.clone(),
                    errors,
                    keep: None,
                });
            }
        };
        let values: BinaryArray = std::iter::repeat_n(value.as_deref(), rows).collect();
        let headers = append_headers(header_list(records)?, &[(&self.header, &values)])?;
        Ok(Applied::all(with_headers(records, headers)?))
    }
}

/// A value as `Values.parseString` types it (the kinds Strait builds).
#[derive(Debug, Clone, PartialEq)]
enum Literal {
    Null,
    Boolean(bool),
    Int8(i8),
    Int16(i16),
    Int32(i32),
    Int64(i64),
    Float32(f32),
    Float64(f64),
    String(String),
}

impl Literal {
    /// One row holding the value, on a field carrying its Connect schema (the schemas
    /// `parseString` returns are required ones; a null value has no schema).
    fn column(&self, name: &str) -> (Field, ArrayRef) {
        let array: ArrayRef = match self {
            Literal::Null => Arc::new(NullArray::new(1)),
            Literal::Boolean(v) => Arc::new(BooleanArray::from(vec![*v])),
            Literal::Int8(v) => Arc::new(Int8Array::from(vec![*v])),
            Literal::Int16(v) => Arc::new(Int16Array::from(vec![*v])),
            Literal::Int32(v) => Arc::new(Int32Array::from(vec![*v])),
            Literal::Int64(v) => Arc::new(Int64Array::from(vec![*v])),
            Literal::Float32(v) => Arc::new(Float32Array::from(vec![*v])),
            Literal::Float64(v) => Arc::new(Float64Array::from(vec![*v])),
            Literal::String(v) => Arc::new(StringArray::from(vec![v.as_str()])),
        };
        let field = Field::new(name, array.data_type().clone(), true);
        let field = if matches!(self, Literal::Null) {
            crate::schema::schemaless(field)
        } else {
            let mut md = field.metadata().clone();
            md.insert(crate::schema::OPTIONAL.to_string(), "false".to_string());
            field.with_metadata(md)
        };
        (field, array)
    }
}

/// The first token of `text` as `Values.Parser` cuts it: up to an unescaped delimiter, or the
/// delimiter itself.
fn first_token(text: &str) -> &str {
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            '\\' => escaped = !escaped,
            ':' | ',' | '{' | '}' | '[' | ']' | '"' if !escaped => {
                return if i == 0 {
                    &text[..c.len_utf8()]
                } else {
                    &text[..i]
                };
            }
            _ => escaped = false,
        }
    }
    text
}

/// `Values.parseString(text)` at the top level (not embedded in an array or map). `Err` names
/// the kind of value Java would build that Strait does not.
fn parse_literal(text: &str) -> std::result::Result<Literal, &'static str> {
    if text.is_empty() {
        return Ok(Literal::String(String::new()));
    }
    let token = first_token(text);
    let only = token.len() == text.len();
    match token.trim() {
        "null" if only => return Ok(Literal::Null),
        "true" if only => return Ok(Literal::Boolean(true)),
        "false" if only => return Ok(Literal::Boolean(false)),
        // Java tries an array or map here, and reads the text as a string only when that fails.
        "[" => return Err("array"),
        "{" => return Err("map"),
        _ => {}
    }
    if token.trim().is_empty() {
        // Java returns the blank token itself, not the whole text.
        return Ok(Literal::String(token.to_string()));
    }
    let token = token.trim();
    let Some(first) = token.chars().next() else {
        return Ok(Literal::String(token.to_string()));
    };
    if first.is_ascii_digit() && looks_temporal(text, token) {
        return Err("date, time or timestamp");
    }
    if first.is_ascii_digit() || first == '+' || first == '-' {
        if let Some(number) = parse_number(token)? {
            return Ok(number);
        }
    }
    Ok(Literal::String(text.to_string()))
}

/// Whether Java's temporal parsing could claim the value: a candidate of the length of
/// `yyyy-MM-dd` (10), `HH:mm:ss.SSS'Z'` (13) or the timestamp form (25) that has the date or time separators.
fn looks_temporal(text: &str, token: &str) -> bool {
    let start = text.len() - text.trim_start().len();
    let candidates = [token.to_string(), text[start..].replace("\\:", ":")];
    candidates.iter().any(|c| {
        let c = c.replace("\\:", ":");
        matches!(c.chars().count(), 10 | 13 | 25) && (c.contains('-') || c.contains(':'))
    })
}

/// `new BigDecimal(token)` and `parseAsNumber`: `Ok(None)` when the token is not a number
/// (Java's `NumberFormatException`), `Err` for a value Java makes a Decimal.
fn parse_number(token: &str) -> std::result::Result<Option<Literal>, &'static str> {
    let bytes = token.as_bytes();
    let mut i = 0;
    let negative = match bytes.first() {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let int_start = i;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = &token[int_start..i];
    let mut frac_digits = "";
    if i < bytes.len() && bytes[i] == b'.' {
        let s = i + 1;
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        frac_digits = &token[s..i];
    }
    if int_digits.is_empty() && frac_digits.is_empty() {
        return Ok(None);
    }
    let mut exponent: i64 = 0;
    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        let exp = &token[i + 1..];
        let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(None);
        }
        exponent = match exp.parse() {
            Ok(e) => e,
            Err(_) => return Err("decimal"),
        };
        i = bytes.len();
    }
    if i != bytes.len() {
        return Ok(None);
    }
    // BigDecimal: unscaled digits and scale (digits after the point minus the exponent).
    let scale = frac_digits.len() as i64 - exponent;
    let digits = format!("{int_digits}{frac_digits}");
    let significant = digits.trim_start_matches('0');
    if significant.is_empty() {
        return Ok(Some(Literal::Int8(0)));
    }
    // parseAsExactDecimal: whole numbers of at most Long's range become the smallest integer.
    let trailing_zeros = (significant.len() - significant.trim_end_matches('0').len()) as i64;
    let whole = scale <= 0 || trailing_zeros >= scale;
    // Digits before the point of |value|.
    let magnitude = significant.len() as i64 - scale;
    if whole && magnitude <= 20 {
        // The digits before the point (the ones after it are zeros): at most 20 of them, so the
        // parse cannot overflow, however many zeros follow the point.
        let before_point = if scale > 0 {
            &significant[..(significant.len() as i64 - scale).max(0) as usize]
        } else {
            significant
        };
        let mut v: i128 = if before_point.is_empty() {
            0
        } else {
            before_point.parse().map_err(|_| "decimal")?
        };
        if scale < 0 {
            v *= 10i128.pow((-scale) as u32);
        }
        let v = if negative { -v } else { v };
        if v.abs() <= 10i128.pow(19) {
            if let Ok(long) = i64::try_from(v) {
                return Ok(Some(if let Ok(b) = i8::try_from(long) {
                    Literal::Int8(b)
                } else if let Ok(s) = i16::try_from(long) {
                    Literal::Int16(s)
                } else if let Ok(n) = i32::try_from(long) {
                    Literal::Int32(n)
                } else {
                    Literal::Int64(long)
                }));
            }
        }
    }
    if scale != 0 {
        // Both conversions round the exact decimal value once, as BigDecimal's do.
        let f: f32 = token.parse().map_err(|_| "decimal")?;
        if f.is_finite() {
            return Ok(Some(Literal::Float32(f)));
        }
        let d: f64 = token.parse().map_err(|_| "decimal")?;
        if d.is_finite() {
            return Ok(Some(Literal::Float64(d)));
        }
    }
    Err("decimal")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::{header_entries, RawBatchBuilder};
    use crate::transforms::util::tests_context;
    use arrow::array::ListArray;

    #[test]
    fn literals_are_typed_as_values_parse_string_types_them() {
        let cases = [
            ("", Literal::String(String::new())),
            ("hello", Literal::String("hello".into())),
            (" true ", Literal::Boolean(true)),
            ("false", Literal::Boolean(false)),
            ("true}", Literal::String("true}".into())),
            ("null", Literal::Null),
            ("42", Literal::Int8(42)),
            ("-129", Literal::Int16(-129)),
            ("40000", Literal::Int32(40000)),
            ("3000000000", Literal::Int64(3_000_000_000)),
            ("1e3", Literal::Int16(1000)),
            ("2.50", Literal::Float32(2.5)),
            ("2.0", Literal::Int8(2)),
            ("0.0", Literal::Int8(0)),
            ("0.1", Literal::Float32(0.1)),
            ("1e39", Literal::Float64(1e39)),
            ("12abc", Literal::String("12abc".into())),
            ("-", Literal::String("-".into())),
            // Java reads only the first token of a number.
            ("12,3", Literal::Int8(12)),
            ("a,b", Literal::String("a,b".into())),
            ("  ,x", Literal::String("  ".into())),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_literal(text), Ok(expected), "{text:?}");
        }
        assert_eq!(parse_literal("[1,2]"), Err("array"));
        assert_eq!(parse_literal("{\"a\":1}"), Err("map"));
        assert_eq!(parse_literal("2024-01-02"), Err("date, time or timestamp"));
        assert_eq!(
            parse_literal("12:30:00.000Z"),
            Err("date, time or timestamp")
        );
        assert_eq!(parse_literal("100000000000000000000"), Err("decimal"));
    }

    #[test]
    fn appends_the_serialized_header_to_every_row() {
        let mut b = RawBatchBuilder::with_capacity(2, 8);
        b.append("t", 0, 0, Some(1), None, None, [("h", Some(&b"x"[..]))]);
        b.append("t", 0, 1, Some(1), None, None, []);
        let batch = b.finish().unwrap();
        let props: Props = [("header", "h"), ("value.literal", "42")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let t = build(&props, &tests_context()).unwrap();
        assert!(t.needs().headers);
        let out = t.apply(&batch.records).unwrap();
        let h = out
            .records
            .column_by_name("headers")
            .unwrap()
            .as_any()
            .downcast_ref::<ListArray>()
            .unwrap();
        let row0: Vec<_> = header_entries(h, 0).collect();
        assert_eq!(row0, [("h", Some(&b"x"[..])), ("h", Some(&b"42"[..]))]);
        let row1: Vec<_> = header_entries(h, 1).collect();
        assert_eq!(row1, [("h", Some(&b"42"[..]))]);
        // The null literal is a header with a null value.
        let props: Props = [("header", "n"), ("value.literal", "null")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let out = build(&props, &tests_context())
            .unwrap()
            .apply(&batch.records)
            .unwrap();
        let h = out.records.column_by_name("headers").unwrap();
        let h = h.as_any().downcast_ref::<ListArray>().unwrap();
        assert_eq!(header_entries(h, 1).collect::<Vec<_>>(), [("n", None)]);
    }

    #[test]
    fn config_errors() {
        let props: Props = [("header".to_string(), "h".to_string())].into();
        assert_eq!(
            InsertHeaderConfig::parse(&props).unwrap_err().message(),
            "Missing required configuration \"value.literal\" which has no default value."
        );
        let props: Props = [("header", "h"), ("value.literal", "[1]")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let e = build(&props, &tests_context()).err().unwrap();
        assert!(e.message().contains("does not support array literals"));
    }
}
