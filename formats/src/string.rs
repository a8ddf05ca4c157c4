//! `org.apache.kafka.connect.storage.StringConverter`: payloads ↔ an optional STRING column
//! (`Utf8`).
//!
//! Decoding reuses the payload buffers when they are valid UTF-8 (no copy); otherwise invalid
//! sequences become U+FFFD, as Java's `new String(bytes, UTF_8)` does. Encoding a string column
//! reuses its buffers too; other columns are written as Java's `value.toString()` writes them:
//! integers, floats and doubles (`1.0E10`), booleans, decimals (`BigDecimal.toString`), dates,
//! times and timestamps (`java.util.Date.toString` in UTC, e.g. `Thu Jan 01 00:00:00 UTC 1970`),
//! lists (`[1, 2]`), structs (`Struct{a=1,b=x}`, null members left out) and maps
//! (`{k=v, k2=v2}`, in entry order: Java's `HashMap` order is not reproduced). Bytes fail with a
//! Data error, since Java would print an identity hash (`[B@1b6d3586`).
//!
//! Only UTF-8 is supported as `converter.encoding` (or the serializer/deserializer encodings
//! Java also honours); another charset is a config error naming the key.

use std::sync::Arc;

use arrow::array::builder::NullBufferBuilder;
use arrow::array::{Array, ArrayRef, AsArray, BinaryArray, StringArray};
use arrow::buffer::{Buffer, OffsetBuffer, ScalarBuffer};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, TimeUnit};
use strait_engine::config::{
    ConfigDef, ConfigType, Default as Dflt, Importance, Props, Validator, Width,
};
use strait_engine::plugin::{Converter, ConverterPlugin, Decoded, PluginInfo, PluginType};
use strait_engine::{Error, Result};

use crate::java::{java_class, write_big_decimal, write_double, write_float};
use crate::json::write::write_int;

/// Java class name.
pub const CLASS: &str = "org.apache.kafka.connect.storage.StringConverter";

const ENCODING: &str = "converter.encoding";

/// The `ConfigDef` of Java's `StringConverterConfig`.
pub fn config_def() -> ConfigDef {
    crate::converter_config_def().define(
        ENCODING,
        ConfigType::String,
        Dflt::Value("UTF-8".into()),
        Validator::None,
        Importance::High,
        "The name of the Java character set to use for encoding strings as byte arrays.",
        None,
        Width::Medium,
        "Encoding",
    )
}

/// Registration entry.
pub fn plugin() -> ConverterPlugin {
    ConverterPlugin {
        info: PluginInfo {
            class: CLASS,
            extra_aliases: &[],
            kind: PluginType::Converter,
            version: env!("CARGO_PKG_VERSION"),
        },
        config_def,
        create: |props, is_key| Ok(Arc::new(StringConverter::new(props, is_key)?)),
    }
}

/// Kafka Connect's StringConverter.
#[derive(Debug)]
pub struct StringConverter {
    column: &'static str,
}

/// Java charset names (and aliases) for UTF-8, compared case-insensitively.
fn is_utf8(name: &str) -> bool {
    ["UTF8", "UTF-8", "unicode-1-1-utf-8"]
        .iter()
        .any(|n| n.eq_ignore_ascii_case(name.trim()))
}

impl StringConverter {
    pub fn new(props: &Props, is_key: bool) -> Result<Self> {
        let parsed = config_def().parse(&crate::with_converter_type(props, is_key))?;
        let side = if is_key { "key" } else { "value" };
        // Java's StringSerializer/StringDeserializer read these before `converter.encoding`.
        let keys = [
            format!("{side}.serializer.encoding"),
            format!("{side}.deserializer.encoding"),
            "serializer.encoding".to_string(),
            "deserializer.encoding".to_string(),
        ];
        let mut effective = vec![(
            ENCODING.to_string(),
            parsed.string(ENCODING).unwrap_or("UTF-8").to_string(),
        )];
        effective.extend(
            keys.iter()
                .filter_map(|k| props.get(k).map(|v| (k.clone(), v.clone()))),
        );
        for (key, value) in effective {
            if !is_utf8(&value) {
                return Err(Error::config(format!(
                    "Invalid value {value} for configuration {key}: Strait's StringConverter supports only UTF-8"
                )));
            }
        }
        Ok(StringConverter { column: side })
    }
}

impl Converter for StringConverter {
    fn from_connect(&self, field: &Field, column: &ArrayRef) -> Result<BinaryArray> {
        let column = match column.data_type() {
            DataType::LargeUtf8 | DataType::Utf8View | DataType::Dictionary(_, _) => {
                cast(column, &DataType::Utf8)?
            }
            _ => column.clone(),
        };
        match column.data_type() {
            DataType::Utf8 => {
                let s = column.as_string::<i32>();
                Ok(BinaryArray::new(
                    s.offsets().clone(),
                    s.values().clone(),
                    s.nulls().cloned(),
                ))
            }
            DataType::Null => Ok(BinaryArray::new_null(column.len())),
            // Integers (e.g. Datagen's int64 headers under SimpleHeaderConverter): one tight
            // loop, no per-row type dispatch.
            DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => {
                let ints = cast(&column, &DataType::Int64)?;
                let ints = ints.as_primitive::<arrow::datatypes::Int64Type>();
                let mut out = Vec::with_capacity(ints.len() * 8);
                let mut offsets = Vec::with_capacity(ints.len() + 1);
                offsets.push(0i32);
                for (i, v) in ints.values().iter().enumerate() {
                    if ints.is_valid(i) {
                        write_int(&mut out, *v);
                    }
                    offsets.push(
                        i32::try_from(out.len())
                            .map_err(|_| Error::data("StringConverter output exceeds 2 GiB"))?,
                    );
                }
                Ok(BinaryArray::try_new(
                    OffsetBuffer::new(ScalarBuffer::from(offsets)),
                    Buffer::from_vec(out),
                    ints.nulls().cloned(),
                )?)
            }
            _ => {
                let mut out = Vec::with_capacity(column.len() * 16);
                let mut offsets = Vec::with_capacity(column.len() + 1);
                offsets.push(0i32);
                let mut nulls = NullBufferBuilder::new(column.len());
                for i in 0..column.len() {
                    if column.is_null(i) {
                        nulls.append_null();
                    } else {
                        java_to_string(column.as_ref(), i, &mut out).map_err(|m| {
                            Error::data(format!(
                                "Failed to serialize to a string (field {}): {m}",
                                field.name()
                            ))
                        })?;
                        nulls.append_non_null();
                    }
                    offsets.push(
                        i32::try_from(out.len())
                            .map_err(|_| Error::data("StringConverter output exceeds 2 GiB"))?,
                    );
                }
                Ok(BinaryArray::try_new(
                    OffsetBuffer::new(ScalarBuffer::from(offsets)),
                    Buffer::from_vec(out),
                    nulls.finish(),
                )?)
            }
        }
    }

    fn to_connect(&self, payloads: &BinaryArray) -> Result<Decoded> {
        let field = Field::new(self.column, DataType::Utf8, true);
        let array = match StringArray::try_new(
            payloads.offsets().clone(),
            payloads.values().clone(),
            payloads.nulls().cloned(),
        ) {
            Ok(strings) => strings,
            Err(_) => payloads
                .iter()
                .map(|p| p.map(|b| String::from_utf8_lossy(b).into_owned()))
                .collect::<StringArray>(),
        };
        Ok(Decoded {
            field,
            array: Arc::new(array),
            errors: Vec::new(),
        })
    }

    /// Bytes that are not UTF-8 are replaced (U+FFFD), never rejected, as Java's decoder does.
    fn decoding_never_fails(&self) -> bool {
        true
    }
}

/// Append `value.toString()` of row `i` as Java would print the Connect value.
fn java_to_string(array: &dyn Array, i: usize, out: &mut Vec<u8>) -> Result<(), String> {
    if array.is_null(i) {
        out.extend_from_slice(b"null");
        return Ok(());
    }
    macro_rules! int {
        ($t:ty) => {{
            write_int(out, array.as_primitive::<$t>().value(i).into());
        }};
    }
    use arrow::datatypes as t;
    match array.data_type() {
        DataType::Boolean => out.extend_from_slice(if array.as_boolean().value(i) {
            b"true"
        } else {
            b"false"
        }),
        DataType::Int8 => int!(t::Int8Type),
        DataType::Int16 => int!(t::Int16Type),
        DataType::Int32 => int!(t::Int32Type),
        DataType::Int64 => int!(t::Int64Type),
        DataType::Float32 => write_float(out, array.as_primitive::<t::Float32Type>().value(i)),
        DataType::Float64 => write_double(out, array.as_primitive::<t::Float64Type>().value(i)),
        DataType::Utf8 => out.extend_from_slice(array.as_string::<i32>().value(i).as_bytes()),
        DataType::LargeUtf8 => out.extend_from_slice(array.as_string::<i64>().value(i).as_bytes()),
        DataType::Decimal128(_, scale) => write_big_decimal(
            out,
            array.as_primitive::<t::Decimal128Type>().value(i),
            *scale as i32,
        ),
        DataType::Date32 => java_date(
            out,
            array.as_primitive::<t::Date32Type>().value(i) as i64 * 86_400_000,
        ),
        DataType::Time32(TimeUnit::Millisecond) => java_date(
            out,
            array.as_primitive::<t::Time32MillisecondType>().value(i) as i64,
        ),
        DataType::Timestamp(TimeUnit::Millisecond, _) => java_date(
            out,
            array.as_primitive::<t::TimestampMillisecondType>().value(i),
        ),
        DataType::List(_) => {
            let list = array.as_list::<i32>();
            let values = list.values();
            let (start, end) = (
                list.value_offsets()[i] as usize,
                list.value_offsets()[i + 1] as usize,
            );
            out.push(b'[');
            for j in start..end {
                if j > start {
                    out.extend_from_slice(b", ");
                }
                java_to_string(values.as_ref(), j, out)?;
            }
            out.push(b']');
        }
        DataType::Map(_, _) => {
            let map = array.as_map();
            let (start, end) = (
                map.value_offsets()[i] as usize,
                map.value_offsets()[i + 1] as usize,
            );
            out.push(b'{');
            for j in start..end {
                if j > start {
                    out.extend_from_slice(b", ");
                }
                java_to_string(map.keys().as_ref(), j, out)?;
                out.push(b'=');
                java_to_string(map.values().as_ref(), j, out)?;
            }
            out.push(b'}');
        }
        DataType::Struct(fields) => {
            let st = array.as_struct();
            out.extend_from_slice(b"Struct{");
            let mut first = true;
            for (f, col) in fields.iter().zip(st.columns()) {
                if col.is_null(i) {
                    continue;
                }
                if !first {
                    out.push(b',');
                }
                first = false;
                out.extend_from_slice(f.name().as_bytes());
                out.push(b'=');
                java_to_string(col.as_ref(), i, out)?;
            }
            out.push(b'}');
        }
        other => {
            return Err(format!(
                "StringConverter cannot print values of type {} the way Java would",
                java_class(other)
            ))
        }
    }
    Ok(())
}

/// `java.util.Date.toString()` with the JVM in UTC.
fn java_date(out: &mut Vec<u8>, millis: i64) {
    match chrono::DateTime::from_timestamp_millis(millis) {
        Some(d) => {
            out.extend_from_slice(d.format("%a %b %d %H:%M:%S UTC %Y").to_string().as_bytes())
        }
        None => out.extend_from_slice(millis.to_string().as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{
        Date32Array, Decimal128Array, Float32Array, Float64Array, Int64Array, ListArray,
        StructArray,
    };
    use arrow::datatypes::Int32Type;

    fn conv() -> StringConverter {
        StringConverter::new(&Props::new(), false).unwrap()
    }

    fn encode(array: ArrayRef) -> Vec<Option<String>> {
        let field = Field::new("value", array.data_type().clone(), true);
        let out = conv().from_connect(&field, &array).unwrap();
        out.iter()
            .map(|b| b.map(|b| String::from_utf8(b.to_vec()).unwrap()))
            .collect()
    }

    #[test]
    fn strings_round_trip_and_invalid_utf8_is_replaced() {
        let payloads =
            BinaryArray::from(vec![Some(&b"h\xc3\xa9"[..]), None, Some(&b"bad\xff"[..])]);
        let decoded = conv().to_connect(&payloads).unwrap();
        let s = decoded.array.as_string::<i32>();
        assert_eq!(s.value(0), "hé");
        assert!(s.is_null(1));
        assert_eq!(s.value(2), "bad\u{FFFD}");
        // Hence a header converter that cannot fail: the sink skips decoding header values.
        assert!(decoded.errors.is_empty() && conv().decoding_never_fails());
        let ok = BinaryArray::from(vec![Some(&b"x"[..]), None]);
        let decoded = conv().to_connect(&ok).unwrap();
        assert_eq!(
            conv().from_connect(&decoded.field, &decoded.array).unwrap(),
            ok
        );
    }

    #[test]
    fn other_types_print_like_java_to_string() {
        assert_eq!(
            encode(Arc::new(Int64Array::from(vec![Some(-5), None]))),
            vec![Some("-5".into()), None]
        );
        assert_eq!(
            encode(Arc::new(Float64Array::from(vec![1e10, 0.5]))),
            vec![Some("1.0E10".into()), Some("0.5".into())]
        );
        assert_eq!(
            encode(Arc::new(Float32Array::from(vec![100.0]))),
            vec![Some("100.0".into())]
        );
        let dec = Decimal128Array::from(vec![12345])
            .with_precision_and_scale(38, 2)
            .unwrap();
        assert_eq!(encode(Arc::new(dec)), vec![Some("123.45".into())]);
        assert_eq!(
            encode(Arc::new(Date32Array::from(vec![0]))),
            vec![Some("Thu Jan 01 00:00:00 UTC 1970".into())]
        );
        let list = ListArray::from_iter_primitive::<Int32Type, _, _>(vec![Some(vec![
            Some(1),
            None,
            Some(3),
        ])]);
        assert_eq!(encode(Arc::new(list)), vec![Some("[1, null, 3]".into())]);
        let st = StructArray::from(vec![
            (
                Arc::new(Field::new("a", DataType::Int64, true)),
                Arc::new(Int64Array::from(vec![Some(1)])) as ArrayRef,
            ),
            (
                Arc::new(Field::new("b", DataType::Utf8, true)),
                Arc::new(StringArray::from(vec![None::<&str>])) as ArrayRef,
            ),
            (
                Arc::new(Field::new("c", DataType::Utf8, true)),
                Arc::new(StringArray::from(vec![Some("x")])) as ArrayRef,
            ),
        ]);
        assert_eq!(encode(Arc::new(st)), vec![Some("Struct{a=1,c=x}".into())]);
        let bin: ArrayRef = Arc::new(BinaryArray::from(vec![&b"x"[..]]));
        assert!(conv()
            .from_connect(&Field::new("value", DataType::Binary, true), &bin)
            .is_err());
    }

    #[test]
    fn only_utf8_is_accepted() {
        let ok = Props::from([(ENCODING.to_string(), "utf-8".to_string())]);
        assert!(StringConverter::new(&ok, true).is_ok());
        let bad = Props::from([(ENCODING.to_string(), "UTF-16".to_string())]);
        let err = StringConverter::new(&bad, true).unwrap_err();
        assert_eq!(err.fault(), strait_engine::Fault::Config);
        assert!(err.message().contains(ENCODING), "{err}");
        let bad = Props::from([(
            "key.serializer.encoding".to_string(),
            "ISO-8859-1".to_string(),
        )]);
        assert!(StringConverter::new(&bad, true)
            .unwrap_err()
            .message()
            .contains("key.serializer.encoding"));
    }
}
