//! Java's `String.valueOf(value)` for Connect values held in an Arrow column: the text the
//! `StringConverter` serializes (`value.toString()`) and the `FileStreamSink` prints.
//!
//! A [`JavaStringWriter`] is built once per column (all downcasts happen then) and writes any row
//! as the text Kafka Connect's Java objects print:
//!
//! | Connect value | Text |
//! |---|---|
//! | null | `null` |
//! | STRING | the string itself |
//! | INT8..INT64, BOOLEAN | `Byte/Short/Integer/Long/Boolean.toString` |
//! | FLOAT32 / FLOAT64 | `Float/Double.toString`: `1.0`, `1.0E10`, `1.0E-4`, `NaN`, `Infinity` |
//! | Decimal | `BigDecimal.toString` (`1.50`, `1E+3`, `1E-7`) |
//! | STRUCT | `Struct{a=1,b=x}`: null fields left out, no spaces |
//! | ARRAY | `[a, b]` |
//! | MAP | `{k=v, k2=v2}`, in the map's entry order (Java prints `HashMap` order) |
//! | BYTES | Java prints `[B@<identity hash>`, which carries no data: the caller picks [`BytesText`] |
//! | Date / Time / Timestamp | `java.util.Date#toString`, **in UTC**: `Thu Jan 01 00:00:00 UTC 1970` |
//!
//! Dictionary columns are printed as their values.

use std::io::Write as _;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::buffer::NullBuffer;
use arrow::datatypes::{
    DataType, Date32Type, Date64Type, Decimal128Type, Float16Type, Float32Type, Float64Type,
    Int16Type, Int32Type, Int64Type, Int8Type, Time32MillisecondType, Time32SecondType,
    Time64MicrosecondType, Time64NanosecondType, TimeUnit, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt16Type, UInt32Type,
    UInt64Type, UInt8Type,
};

use crate::error::{Error, Result};

use super::{java_class, write_big_decimal, write_double, write_float};

type WriteFn = Box<dyn Fn(usize, &mut Vec<u8>) + Send + Sync>;

/// What to print for BYTES values, where Java's text (`[B@1b6d3586`) is an identity hash that
/// carries no data and cannot be reproduced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BytesText {
    /// Print the bytes as base64: the FileStreamSink writes something a reader can decode.
    Base64,
    /// Refuse the column (a Data error): a converter must not put made-up text on the wire.
    Reject,
}

/// Writes rows of one Arrow column as Java's `String.valueOf` would print the Connect value.
pub struct JavaStringWriter {
    write: WriteFn,
}

impl std::fmt::Debug for JavaStringWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JavaStringWriter")
    }
}

impl JavaStringWriter {
    /// Prepare a column. Fails for Arrow types no Connect schema maps to (unions, …), and for
    /// BYTES anywhere in the column's type when `bytes` is [`BytesText::Reject`].
    pub fn new(array: &ArrayRef, bytes: BytesText) -> Result<Self> {
        Ok(JavaStringWriter {
            write: writer(array, bytes)?,
        })
    }

    /// Append the text of row `row` to `out` (no line terminator).
    pub fn write(&self, row: usize, out: &mut Vec<u8>) {
        (self.write)(row, out)
    }

    /// The text of one row as a `String` (tests, logging).
    pub fn to_string(&self, row: usize) -> String {
        let mut out = Vec::new();
        self.write(row, &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// Wrap a non-null writer with the column's null check.
fn with_nulls(
    nulls: Option<NullBuffer>,
    inner: impl Fn(usize, &mut Vec<u8>) + Send + Sync + 'static,
) -> WriteFn {
    match nulls {
        Some(nulls) => Box::new(move |i, out| {
            if nulls.is_null(i) {
                out.extend_from_slice(b"null");
            } else {
                inner(i, out)
            }
        }),
        None => Box::new(inner),
    }
}

macro_rules! display {
    ($array:expr, $ty:ty) => {{
        let a = $array.as_primitive::<$ty>().clone();
        with_nulls(a.logical_nulls(), move |i, out| {
            let _ = write!(out, "{}", a.value(i));
        })
    }};
}

fn writer(array: &ArrayRef, bytes: BytesText) -> Result<WriteFn> {
    let nulls = array.logical_nulls();
    let binary = matches!(
        array.data_type(),
        DataType::Binary
            | DataType::LargeBinary
            | DataType::BinaryView
            | DataType::FixedSizeBinary(_)
    );
    if binary && bytes == BytesText::Reject {
        return Err(Error::data(format!(
            "values of {} print as an identity hash in Java ([B@…), which carries no data",
            java_class(array.data_type())
        )));
    }
    Ok(match array.data_type() {
        DataType::Null => Box::new(|_, out: &mut Vec<u8>| out.extend_from_slice(b"null")),
        DataType::Boolean => {
            let a = array.as_boolean().clone();
            with_nulls(nulls, move |i, out| {
                out.extend_from_slice(if a.value(i) { b"true" } else { b"false" })
            })
        }
        DataType::Int8 => display!(array, Int8Type),
        DataType::Int16 => display!(array, Int16Type),
        DataType::Int32 => display!(array, Int32Type),
        DataType::Int64 => display!(array, Int64Type),
        DataType::UInt8 => display!(array, UInt8Type),
        DataType::UInt16 => display!(array, UInt16Type),
        DataType::UInt32 => display!(array, UInt32Type),
        DataType::UInt64 => display!(array, UInt64Type),
        DataType::Float16 => {
            let a = array.as_primitive::<Float16Type>().clone();
            with_nulls(nulls, move |i, out| write_float(out, a.value(i).to_f32()))
        }
        DataType::Float32 => {
            let a = array.as_primitive::<Float32Type>().clone();
            with_nulls(nulls, move |i, out| write_float(out, a.value(i)))
        }
        DataType::Float64 => {
            let a = array.as_primitive::<Float64Type>().clone();
            with_nulls(nulls, move |i, out| write_double(out, a.value(i)))
        }
        DataType::Decimal128(_, scale) => {
            let a = array.as_primitive::<Decimal128Type>().clone();
            let scale = *scale;
            with_nulls(nulls, move |i, out| {
                write_big_decimal(out, a.value(i), scale as i32)
            })
        }
        DataType::Utf8 => {
            let a = array.as_string::<i32>().clone();
            with_nulls(nulls, move |i, out| {
                out.extend_from_slice(a.value(i).as_bytes())
            })
        }
        DataType::LargeUtf8 => {
            let a = array.as_string::<i64>().clone();
            with_nulls(nulls, move |i, out| {
                out.extend_from_slice(a.value(i).as_bytes())
            })
        }
        DataType::Utf8View => {
            let a = array.as_string_view().clone();
            with_nulls(nulls, move |i, out| {
                out.extend_from_slice(a.value(i).as_bytes())
            })
        }
        DataType::Binary => {
            let a = array.as_binary::<i32>().clone();
            with_nulls(nulls, move |i, out| base64_into(a.value(i), out))
        }
        DataType::LargeBinary => {
            let a = array.as_binary::<i64>().clone();
            with_nulls(nulls, move |i, out| base64_into(a.value(i), out))
        }
        DataType::BinaryView => {
            let a = array.as_binary_view().clone();
            with_nulls(nulls, move |i, out| base64_into(a.value(i), out))
        }
        DataType::FixedSizeBinary(_) => {
            let a = array.as_fixed_size_binary().clone();
            with_nulls(nulls, move |i, out| base64_into(a.value(i), out))
        }
        DataType::Date32 => {
            let a = array.as_primitive::<Date32Type>().clone();
            with_nulls(nulls, move |i, out| {
                write_date(out, a.value(i) as i64 * 86_400_000)
            })
        }
        DataType::Date64 => {
            let a = array.as_primitive::<Date64Type>().clone();
            with_nulls(nulls, move |i, out| write_date(out, a.value(i)))
        }
        DataType::Time32(TimeUnit::Second) => {
            let a = array.as_primitive::<Time32SecondType>().clone();
            with_nulls(nulls, move |i, out| {
                write_date(out, a.value(i) as i64 * 1000)
            })
        }
        DataType::Time32(_) => {
            let a = array.as_primitive::<Time32MillisecondType>().clone();
            with_nulls(nulls, move |i, out| write_date(out, a.value(i) as i64))
        }
        DataType::Time64(TimeUnit::Microsecond) => {
            let a = array.as_primitive::<Time64MicrosecondType>().clone();
            with_nulls(nulls, move |i, out| {
                write_date(out, a.value(i).div_euclid(1000))
            })
        }
        DataType::Time64(_) => {
            let a = array.as_primitive::<Time64NanosecondType>().clone();
            with_nulls(nulls, move |i, out| {
                write_date(out, a.value(i).div_euclid(1_000_000))
            })
        }
        DataType::Timestamp(unit, _) => {
            let (values, mul, div) = match unit {
                TimeUnit::Second => (
                    array.as_primitive::<TimestampSecondType>().values().clone(),
                    1000,
                    1,
                ),
                TimeUnit::Millisecond => (
                    array
                        .as_primitive::<TimestampMillisecondType>()
                        .values()
                        .clone(),
                    1,
                    1,
                ),
                TimeUnit::Microsecond => (
                    array
                        .as_primitive::<TimestampMicrosecondType>()
                        .values()
                        .clone(),
                    1,
                    1000,
                ),
                TimeUnit::Nanosecond => (
                    array
                        .as_primitive::<TimestampNanosecondType>()
                        .values()
                        .clone(),
                    1,
                    1_000_000,
                ),
            };
            with_nulls(nulls, move |i, out| {
                write_date(out, values[i].saturating_mul(mul).div_euclid(div))
            })
        }
        DataType::List(_) => {
            let a = array.as_list::<i32>().clone();
            let child = writer(a.values(), bytes)?;
            with_nulls(nulls, move |i, out| {
                let offsets = a.value_offsets();
                write_seq(offsets[i] as usize..offsets[i + 1] as usize, &child, out)
            })
        }
        DataType::LargeList(_) => {
            let a = array.as_list::<i64>().clone();
            let child = writer(a.values(), bytes)?;
            with_nulls(nulls, move |i, out| {
                let offsets = a.value_offsets();
                write_seq(offsets[i] as usize..offsets[i + 1] as usize, &child, out)
            })
        }
        DataType::FixedSizeList(_, size) => {
            let a = array.as_fixed_size_list().clone();
            let size = *size as usize;
            let child = writer(a.values(), bytes)?;
            with_nulls(nulls, move |i, out| {
                write_seq(i * size..(i + 1) * size, &child, out)
            })
        }
        DataType::Map(_, _) => {
            let a = array.as_map().clone();
            let keys = writer(a.keys(), bytes)?;
            let values = writer(a.values(), bytes)?;
            with_nulls(nulls, move |i, out| {
                let offsets = a.value_offsets();
                out.push(b'{');
                for (n, e) in (offsets[i] as usize..offsets[i + 1] as usize).enumerate() {
                    if n > 0 {
                        out.extend_from_slice(b", ");
                    }
                    keys(e, out);
                    out.push(b'=');
                    values(e, out);
                }
                out.push(b'}');
            })
        }
        DataType::Struct(fields) => {
            let a = array.as_struct();
            let children: Vec<(Vec<u8>, Option<NullBuffer>, WriteFn)> = fields
                .iter()
                .zip(a.columns())
                .map(|(f, c)| {
                    Ok((
                        f.name().as_bytes().to_vec(),
                        c.logical_nulls(),
                        writer(c, bytes)?,
                    ))
                })
                .collect::<Result<_>>()?;
            with_nulls(nulls, move |i, out| {
                out.extend_from_slice(b"Struct{");
                let mut first = true;
                for (name, child_nulls, child) in &children {
                    if child_nulls.as_ref().is_some_and(|n| n.is_null(i)) {
                        continue;
                    }
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    out.extend_from_slice(name);
                    out.push(b'=');
                    child(i, out);
                }
                out.push(b'}');
            })
        }
        DataType::Dictionary(_, value_type) => {
            let plain: ArrayRef = arrow::compute::cast(array, value_type)?;
            writer(&Arc::clone(&plain), bytes)?
        }
        other => {
            return Err(Error::data(format!(
            "cannot print values of Arrow type {other} as Java would: no Connect schema maps to it"
        )))
        }
    })
}

fn write_seq(range: std::ops::Range<usize>, child: &WriteFn, out: &mut Vec<u8>) {
    out.push(b'[');
    for (n, e) in range.enumerate() {
        if n > 0 {
            out.extend_from_slice(b", ");
        }
        child(e, out);
    }
    out.push(b']');
}

fn base64_into(bytes: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    let engine = &base64_simd::STANDARD;
    out.resize(start + engine.encoded_length(bytes.len()), 0);
    let written = engine
        .encode(bytes, base64_simd::Out::from_slice(&mut out[start..]))
        .len();
    out.truncate(start + written);
}

/// Append `java.util.Date#toString` with the JVM in UTC (`EEE MMM dd HH:mm:ss zzz yyyy`), for
/// logical Date/Time/Timestamp values.
pub fn write_date(out: &mut Vec<u8>, epoch_ms: i64) {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = epoch_ms.div_euclid(86_400_000);
    let ms_of_day = epoch_ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let weekday = (days + 4).rem_euclid(7) as usize; // 1970-01-01 was a Thursday
    let secs = ms_of_day / 1000;
    let _ = write!(
        out,
        "{} {} {:02} {:02}:{:02}:{:02} UTC {:04}",
        DAYS[weekday],
        MONTHS[(m - 1) as usize],
        d,
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        y
    );
}

/// Proleptic Gregorian (year, month, day) of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Int32Builder;
    use arrow::array::{
        BinaryArray, BooleanArray, Date32Array, Decimal128Array, DictionaryArray, Float32Array,
        Float64Array, Int64Array, ListArray, MapBuilder, StringArray, StringBuilder, StructArray,
        TimestampMillisecondArray,
    };
    use arrow::datatypes::{Field, Fields, Int32Type as I32};

    fn all(array: ArrayRef) -> Vec<String> {
        let w = JavaStringWriter::new(&array, BytesText::Base64).unwrap();
        (0..array.len()).map(|i| w.to_string(i)).collect()
    }

    #[test]
    fn floats_print_like_java() {
        // The digits themselves are tested in `java`; this checks the column plumbing.
        let f: ArrayRef = Arc::new(Float32Array::from(vec![0.1f32, 3.0, 1e-5]));
        assert_eq!(all(f), vec!["0.1", "3.0", "1.0E-5"]);
        let d: ArrayRef = Arc::new(Float64Array::from(vec![Some(1e7), None, Some(-0.0)]));
        assert_eq!(all(d), vec!["1.0E7", "null", "-0.0"]);
    }

    #[test]
    fn decimals_print_like_big_decimal() {
        let a: ArrayRef = Arc::new(
            Decimal128Array::from(vec![150, -5, 1, 0, 123])
                .with_precision_and_scale(38, 2)
                .unwrap(),
        );
        assert_eq!(all(a), vec!["1.50", "-0.05", "0.01", "0.00", "1.23"]);
    }

    #[test]
    fn dates_print_like_java_util_date_in_utc() {
        let a: ArrayRef = Arc::new(Date32Array::from(vec![0, 19_000]));
        assert_eq!(
            all(a),
            vec![
                "Thu Jan 01 00:00:00 UTC 1970",
                "Sat Jan 08 00:00:00 UTC 2022"
            ]
        );
        let t: ArrayRef = Arc::new(TimestampMillisecondArray::from(vec![
            1_700_000_000_123,
            -1000,
        ]));
        assert_eq!(
            all(t),
            vec![
                "Tue Nov 14 22:13:20 UTC 2023",
                "Wed Dec 31 23:59:59 UTC 1969"
            ]
        );
    }

    #[test]
    fn base64_matches_the_standard_alphabet_with_padding_at_every_length() {
        use base64::Engine as _;
        let data: Vec<u8> = (0..=255u8).cycle().take(300).collect();
        for len in 0..data.len() {
            let mut out = b"x".to_vec();
            base64_into(&data[..len], &mut out);
            let expected = base64::engine::general_purpose::STANDARD.encode(&data[..len]);
            assert_eq!(&out[1..], expected.as_bytes(), "length {len}");
        }
    }

    #[test]
    fn scalars_bytes_and_nulls() {
        let b: ArrayRef = Arc::new(BooleanArray::from(vec![Some(true), None, Some(false)]));
        assert_eq!(all(b), vec!["true", "null", "false"]);
        let i: ArrayRef = Arc::new(Int64Array::from(vec![-9_000_000_000i64]));
        assert_eq!(all(i), vec!["-9000000000"]);
        let bin: ArrayRef = Arc::new(BinaryArray::from(vec![Some(&b"hi"[..]), None]));
        assert_eq!(all(bin), vec!["aGk=", "null"]);
        let dict: DictionaryArray<I32> = vec!["a", "b", "a"].into_iter().collect();
        assert_eq!(all(Arc::new(dict)), vec!["a", "b", "a"]);
    }

    #[test]
    fn rejected_bytes_fail_at_any_depth_with_a_data_error() {
        let bin: ArrayRef = Arc::new(BinaryArray::from(vec![Some(&b"hi"[..])]));
        let err = JavaStringWriter::new(&bin, BytesText::Reject).unwrap_err();
        assert_eq!(err.fault(), crate::error::Fault::Data);
        assert!(err.message().contains("class [B"), "{err}");
        let nested: ArrayRef = Arc::new(StructArray::from(vec![(
            Arc::new(Field::new("b", DataType::Binary, true)),
            bin,
        )]));
        assert!(JavaStringWriter::new(&nested, BytesText::Reject).is_err());
        assert_eq!(all(nested), vec!["Struct{b=aGk=}"]);
    }

    #[test]
    fn lists_maps_and_nested_structs() {
        let list: ArrayRef = Arc::new(ListArray::from_iter_primitive::<I32, _, _>(vec![
            Some(vec![Some(1), None, Some(3)]),
            Some(vec![]),
            None,
        ]));
        assert_eq!(all(list.clone()), vec!["[1, null, 3]", "[]", "null"]);

        let mut mb = MapBuilder::new(None, StringBuilder::new(), Int32Builder::new());
        mb.keys().append_value("k");
        mb.values().append_value(1);
        mb.keys().append_value("k2");
        mb.values().append_null();
        mb.append(true).unwrap();
        mb.append(true).unwrap();
        let map: ArrayRef = Arc::new(mb.finish());
        assert_eq!(all(map.clone()), vec!["{k=1, k2=null}", "{}"]);

        let inner_fields = Fields::from(vec![Field::new("z", DataType::Float64, true)]);
        let inner = StructArray::try_new(
            inner_fields.clone(),
            vec![Arc::new(Float64Array::from(vec![Some(2.0), None, Some(1e-9)])) as ArrayRef],
            None,
        )
        .unwrap();
        let fields = Fields::from(vec![
            Field::new("name", DataType::Utf8, true),
            Field::new("tags", list.data_type().clone(), true),
            Field::new("inner", DataType::Struct(inner_fields), true),
            Field::new("m", map.data_type().clone(), true),
        ]);
        let outer = StructArray::try_new(
            fields,
            vec![
                Arc::new(StringArray::from(vec![Some("a b"), None, Some("c")])) as ArrayRef,
                list,
                Arc::new(inner),
                Arc::new(arrow::array::new_null_array(map.data_type(), 3)),
            ],
            Some(NullBuffer::from(vec![true, true, false])),
        )
        .unwrap();
        assert_eq!(
            all(Arc::new(outer)),
            vec![
                "Struct{name=a b,tags=[1, null, 3],inner=Struct{z=2.0}}",
                "Struct{tags=[],inner=Struct{}}",
                "null"
            ]
        );
    }
}
