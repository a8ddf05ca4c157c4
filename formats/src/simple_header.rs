//! `org.apache.kafka.connect.storage.SimpleHeaderConverter`: Kafka Connect's default
//! `header.converter`. Header values travel as UTF-8 text.
//!
//! Decoding never fails, as in Java (bytes that are not UTF-8 become U+FFFD). Java then infers a
//! schema per value with `Values.parseString` (`true` → BOOLEAN, `42` → INT8, `[1,2]` → ARRAY,
//! …); Strait keeps header values as their STRING form, since a column has one type and no
//! Strait sink reads typed header values yet. Encoding writes booleans, integers, floats and
//! strings as Java's `Values.convertToString` does (the same text as `toString`); other types
//! (structs, maps, arrays, bytes, logical types) are rejected with a data error rather than
//! written in a format Java would not read back.

use std::sync::Arc;

use arrow::array::{ArrayRef, BinaryArray};
use arrow::datatypes::{DataType, Field};
use strait_engine::config::{ConfigDef, Props};
use strait_engine::plugin::{Converter, ConverterPlugin, Decoded, PluginInfo, PluginType};
use strait_engine::{Error, Result};

use crate::java::java_class;
use crate::string::StringConverter;

/// Java class name.
pub const CLASS: &str = "org.apache.kafka.connect.storage.SimpleHeaderConverter";

/// Java's SimpleHeaderConverter defines no keys of its own (not even `converter.type`).
pub fn config_def() -> ConfigDef {
    ConfigDef::new()
}

/// Registration entry: a header converter only (Java's class is not a `Converter`, so it cannot
/// be a `key.converter` or `value.converter`).
pub fn plugin() -> ConverterPlugin {
    ConverterPlugin {
        info: PluginInfo {
            class: CLASS,
            extra_aliases: &[],
            kind: PluginType::HeaderConverter,
            version: env!("CARGO_PKG_VERSION"),
        },
        config_def,
        create: |props, _is_key| Ok(Arc::new(SimpleHeaderConverter::new(props)?)),
    }
}

/// Kafka Connect's SimpleHeaderConverter (see the module docs).
#[derive(Debug)]
pub struct SimpleHeaderConverter {
    text: StringConverter,
}

impl SimpleHeaderConverter {
    /// Java ignores every option of this converter; so does Strait.
    pub fn new(_props: &Props) -> Result<Self> {
        Ok(SimpleHeaderConverter {
            text: StringConverter::new(&Props::new(), false)?,
        })
    }
}

impl Converter for SimpleHeaderConverter {
    fn from_connect(&self, field: &Field, column: &ArrayRef) -> Result<BinaryArray> {
        match column.data_type() {
            DataType::Null
            | DataType::Boolean
            | DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::Float32
            | DataType::Float64
            | DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Utf8View
                if !is_logical(field) =>
            {
                self.text.from_connect(field, column)
            }
            other => Err(Error::data(format!(
                "Strait's SimpleHeaderConverter does not serialize {} header values yet (header {})",
                java_class(other),
                field.name()
            ))),
        }
    }

    fn to_connect(&self, payloads: &BinaryArray) -> Result<Decoded> {
        self.text.to_connect(payloads)
    }

    /// As in Java, any bytes decode (lossily) to text.
    fn decoding_never_fails(&self) -> bool {
        self.text.decoding_never_fails()
    }
}

/// Date, Time, Timestamp (and Decimal) ride on primitive Arrow types; Java prints them in ISO
/// forms that Strait does not write yet.
fn is_logical(field: &Field) -> bool {
    strait_engine::schema::schema_name(field)
        .is_some_and(|name| name.starts_with("org.apache.kafka.connect.data."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, AsArray, Int64Array, ListArray};
    use arrow::datatypes::Int32Type;

    #[test]
    fn primitive_header_values_are_written_as_text() {
        let c = SimpleHeaderConverter::new(&Props::new()).unwrap();
        let values: ArrayRef = Arc::new(Int64Array::from(vec![Some(42), None, Some(-7)]));
        let out = c
            .from_connect(&Field::new("task.id", DataType::Int64, true), &values)
            .unwrap();
        assert_eq!(out.value(0), b"42");
        assert!(out.is_null(1));
        assert_eq!(out.value(2), b"-7");
    }

    #[test]
    fn decoding_never_fails_and_keeps_the_text() {
        let c = SimpleHeaderConverter::new(&Props::new()).unwrap();
        let payloads: BinaryArray = vec![Some(&b"true"[..]), Some(&[0xff, b'a'][..]), None]
            .into_iter()
            .collect();
        let decoded = c.to_connect(&payloads).unwrap();
        assert!(decoded.errors.is_empty());
        let s = decoded.only().unwrap().array.as_string::<i32>();
        assert_eq!(s.value(0), "true");
        assert_eq!(s.value(1), "\u{fffd}a");
        assert!(s.is_null(2));
        assert!(c.decoding_never_fails());
    }

    #[test]
    fn complex_header_values_are_rejected_not_mangled() {
        let c = SimpleHeaderConverter::new(&Props::new()).unwrap();
        let list: ArrayRef = Arc::new(ListArray::from_iter_primitive::<Int32Type, _, _>(vec![
            Some(vec![Some(1)]),
        ]));
        let err = c
            .from_connect(&Field::new("h", list.data_type().clone(), true), &list)
            .unwrap_err();
        assert!(err.message().contains("does not serialize"), "{err}");
    }
}
