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
use arrow::datatypes::{DataType, Field};
use strait_engine::config::Props;
use strait_engine::declare_config;
use strait_engine::plugin::{Converter, ConverterPlugin, Decoded, PluginInfo, PluginType};
use strait_engine::{Error, Result};

use crate::java::{BytesText, JavaStringWriter};
use crate::json::write::write_int;
use crate::ConverterConfig;

/// Java class name.
pub const CLASS: &str = "org.apache.kafka.connect.storage.StringConverter";

const ENCODING: &str = "converter.encoding";

declare_config! {
    /// Java's `StringConverterConfig`.
    #[derive(Debug, Clone)]
    pub struct StringConverterConfig {
        pub converter: ConverterConfig { flatten },
        /// A Java charset name; Strait supports only UTF-8 (checked by [`StringConverter::new`]).
        pub encoding: String {
            key: ENCODING,
            ty: String,
            default: "UTF-8",
            importance: High,
            doc: "The name of the Java character set to use for encoding strings as byte arrays.",
            width: Medium,
            display: "Encoding",
        },
    }
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
        config_def: StringConverterConfig::config_def,
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
        let config = StringConverterConfig::parse(&crate::with_converter_type(props, is_key))?;
        let side = if is_key { "key" } else { "value" };
        // Java's StringSerializer/StringDeserializer read these before `converter.encoding`.
        let keys = [
            format!("{side}.serializer.encoding"),
            format!("{side}.deserializer.encoding"),
            "serializer.encoding".to_string(),
            "deserializer.encoding".to_string(),
        ];
        let mut effective = vec![(ENCODING.to_string(), config.encoding)];
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
                    offsets.push(offset_of(&out)?);
                }
                Ok(BinaryArray::try_new(
                    OffsetBuffer::new(ScalarBuffer::from(offsets)),
                    Buffer::from_vec(out),
                    ints.nulls().cloned(),
                )?)
            }
            _ => {
                // Java serializes `value.toString()`. An all-null column needs no writer, so a
                // BYTES column of nulls still encodes (as Java's nulls do).
                let writer = if column.null_count() == column.len() {
                    None
                } else {
                    Some(
                        JavaStringWriter::new(&column, BytesText::Reject).map_err(|e| {
                            Error::data(format!(
                                "Failed to serialize to a string (field {}): {}",
                                field.name(),
                                e.message()
                            ))
                        })?,
                    )
                };
                let mut out = Vec::with_capacity(column.len() * 16);
                let mut offsets = Vec::with_capacity(column.len() + 1);
                offsets.push(0i32);
                let mut nulls = NullBufferBuilder::new(column.len());
                for i in 0..column.len() {
                    match &writer {
                        Some(w) if !column.is_null(i) => {
                            w.write(i, &mut out);
                            nulls.append_non_null();
                        }
                        _ => nulls.append_null(),
                    }
                    offsets.push(offset_of(&out)?);
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
        Ok(Decoded::single(field, Arc::new(array), Vec::new()))
    }

    /// Bytes that are not UTF-8 are replaced (U+FFFD), never rejected, as Java's decoder does.
    fn decoding_never_fails(&self) -> bool {
        true
    }
}

/// The end of `out` as a Binary column offset (Arrow's `i32` offsets cap a column at 2 GiB).
fn offset_of(out: &[u8]) -> Result<i32> {
    i32::try_from(out.len()).map_err(|_| Error::data("StringConverter output exceeds 2 GiB"))
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
        let s = decoded.only().unwrap().array.as_string::<i32>();
        assert_eq!(s.value(0), "hé");
        assert!(s.is_null(1));
        assert_eq!(s.value(2), "bad\u{FFFD}");
        // Hence a header converter that cannot fail: the sink skips decoding header values.
        assert!(decoded.errors.is_empty() && conv().decoding_never_fails());
        let ok = BinaryArray::from(vec![Some(&b"x"[..]), None]);
        let decoded = conv().to_connect(&ok).unwrap();
        assert_eq!(
            conv()
                .from_connect(
                    &decoded.only().unwrap().field,
                    &decoded.only().unwrap().array
                )
                .unwrap(),
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
