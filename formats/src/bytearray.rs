//! `org.apache.kafka.connect.converters.ByteArrayConverter`: payload bytes pass through as an
//! optional BYTES column (`Binary`), both ways, without copying.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BinaryArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field};
use strait_engine::config::Props;
use strait_engine::plugin::{Converter, ConverterPlugin, Decoded, PluginInfo, PluginType};
use strait_engine::{Error, Result};

use crate::java::java_class;
use crate::ConverterConfig;

/// Java class name.
pub const CLASS: &str = "org.apache.kafka.connect.converters.ByteArrayConverter";

/// Registration entry.
pub fn plugin() -> ConverterPlugin {
    ConverterPlugin {
        info: PluginInfo {
            class: CLASS,
            extra_aliases: &[],
            kind: PluginType::Converter,
            version: env!("CARGO_PKG_VERSION"),
        },
        config_def: ConverterConfig::config_def,
        create: |props, is_key| Ok(Arc::new(ByteArrayConverter::new(props, is_key)?)),
    }
}

/// Kafka Connect's ByteArrayConverter.
#[derive(Debug)]
pub struct ByteArrayConverter {
    column: &'static str,
}

impl ByteArrayConverter {
    pub fn new(props: &Props, is_key: bool) -> Result<Self> {
        ConverterConfig::parse(&crate::with_converter_type(props, is_key))?;
        Ok(ByteArrayConverter {
            column: if is_key { "key" } else { "value" },
        })
    }
}

impl Converter for ByteArrayConverter {
    fn from_connect(&self, field: &Field, column: &ArrayRef) -> Result<BinaryArray> {
        match column.data_type() {
            DataType::Binary => Ok(column.as_binary::<i32>().clone()),
            // Strings travel as their UTF-8 bytes: same buffers, different type.
            DataType::Utf8 => {
                let s = column.as_string::<i32>();
                Ok(BinaryArray::new(
                    s.offsets().clone(),
                    s.values().clone(),
                    s.nulls().cloned(),
                ))
            }
            DataType::LargeBinary
            | DataType::BinaryView
            | DataType::FixedSizeBinary(_)
            | DataType::LargeUtf8
            | DataType::Utf8View => Ok(cast(column, &DataType::Binary)?.as_binary::<i32>().clone()),
            DataType::Null => Ok(BinaryArray::new_null(column.len())),
            other => Err(Error::data(format!(
                "ByteArrayConverter is not compatible with objects of type {} (field {})",
                java_class(other),
                field.name()
            ))),
        }
    }

    fn to_connect(&self, payloads: &BinaryArray) -> Result<Decoded> {
        Ok(Decoded::single(
            Field::new(self.column, DataType::Binary, true),
            Arc::new(payloads.clone()),
            Vec::new(),
        ))
    }

    /// The payload is the value: nothing to fail on.
    fn decoding_never_fails(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int32Array, StringArray};

    fn conv() -> ByteArrayConverter {
        ByteArrayConverter::new(&Props::new(), false).unwrap()
    }

    #[test]
    fn bytes_round_trip_with_nulls() {
        let payloads = BinaryArray::from(vec![Some(&b"a"[..]), None, Some(&b""[..])]);
        let decoded = conv().to_connect(&payloads).unwrap();
        assert_eq!(decoded.only().unwrap().field.data_type(), &DataType::Binary);
        assert!(decoded.only().unwrap().field.is_nullable());
        let back = conv()
            .from_connect(
                &decoded.only().unwrap().field,
                &decoded.only().unwrap().array,
            )
            .unwrap();
        assert!(decoded.errors.is_empty() && conv().decoding_never_fails());
        assert_eq!(back, payloads);
    }

    #[test]
    fn strings_pass_as_bytes_and_others_fail() {
        let s: ArrayRef = Arc::new(StringArray::from(vec![Some("hé"), None]));
        let out = conv()
            .from_connect(&Field::new("value", DataType::Utf8, true), &s)
            .unwrap();
        assert_eq!(out.value(0), "hé".as_bytes());
        assert!(out.is_null(1));
        let i: ArrayRef = Arc::new(Int32Array::from(vec![1]));
        let err = conv()
            .from_connect(&Field::new("value", DataType::Int32, true), &i)
            .unwrap_err();
        assert_eq!(err.fault(), strait_engine::Fault::Data);
        assert!(
            err.message().starts_with(
                "ByteArrayConverter is not compatible with objects of type class java.lang.Integer"
            ),
            "{err}"
        );
    }

    #[test]
    fn converter_type_is_validated() {
        let props = Props::from([("converter.type".to_string(), "sideways".to_string())]);
        let err = ByteArrayConverter::new(&props, false).unwrap_err();
        assert_eq!(err.fault(), strait_engine::Fault::Config);
        assert!(err.message().contains("converter.type"), "{err}");
    }
}
