//! Converters between Kafka payload bytes and typed Arrow columns, registered under Kafka
//! Connect's Java class names:
//!
//! - [`bytearray`]: `org.apache.kafka.connect.converters.ByteArrayConverter` (bytes as they are),
//! - [`string`]: `org.apache.kafka.connect.storage.StringConverter` (UTF-8 text),
//! - [`json`]: `org.apache.kafka.connect.json.JsonConverter` (schema envelope or plain JSON),
//! - [`primitive`]: `org.apache.kafka.connect.converters.BooleanConverter`, `DoubleConverter`,
//!   `FloatConverter`, `IntegerConverter`, `LongConverter` and `ShortConverter` (one fixed-width
//!   big-endian value per payload, as Kafka's serializers write it),
//! - [`simple_header`]: `org.apache.kafka.connect.storage.SimpleHeaderConverter` (the default
//!   `header.converter`).
//!
//! [`protobuf`] is `io.confluent.connect.protobuf.ProtobufConverter` over it, [`jsonschema`]
//! `io.confluent.connect.json.JsonSchemaConverter`.
//!
//! [`registry`] is the Confluent-compatible schema registry client the Avro, Protobuf and JSON
//! Schema converters share.
//!
//! ByteArray, String, Json and the primitive converters are also header converters, as in Java:
//! each is registered twice, once per plugin type, so `/connector-plugins` lists them as Java
//! does.
//!
//! Every converter works a whole column at a time (see
//! [`Converter`](strait_engine::plugin::Converter)); a malformed record becomes a row error,
//! never a failed batch or a panic.

pub mod avro;
pub mod bytearray;
pub mod java;
pub mod json;
pub mod jsonschema;
pub mod primitive;
pub mod protobuf;
pub mod registry;
pub mod simple_header;
pub mod storage;
pub mod string;

use arrow::array::BinaryArray;
use strait_engine::config::Validator;
use strait_engine::declare_config;
use strait_engine::plugin::{ConverterPlugin, PluginType};

declare_config! {
    /// Java's `ConverterConfig`, which every converter's config extends (ByteArrayConverter and
    /// the primitive converters have no other keys).
    #[derive(Debug, Clone)]
    pub struct ConverterConfig {
        /// `key`, `value` or `header`. Required, as in Java, where the worker always supplies it.
        pub converter_type: String {
            key: CONVERTER_TYPE,
            ty: String,
            default: required,
            validator: Validator::OneOf(&["key", "value", "header"]),
            importance: Low,
            doc: "How this converter will be used.",
        },
    }
}

const CONVERTER_TYPE: &str = "converter.type";

/// A converter's props with `converter.type` filled in from `is_key` when the caller did not
/// say (Java's worker always passes it; direct callers here say it with `is_key`).
pub(crate) fn with_converter_type(
    props: &strait_engine::config::Props,
    is_key: bool,
) -> strait_engine::config::Props {
    let mut props = props.clone();
    props
        .entry(CONVERTER_TYPE.to_string())
        .or_insert_with(|| if is_key { "key" } else { "value" }.to_string());
    props
}

/// Every converter of this crate, for the registry. Aliases (`JsonConverter`, `Json`, …) derive
/// from the class names.
pub fn converters() -> Vec<ConverterPlugin> {
    let mut converters = vec![bytearray::plugin(), string::plugin(), json::plugin()];
    converters.extend(primitive::plugins());
    let headers: Vec<ConverterPlugin> = converters
        .iter()
        .cloned()
        .map(|mut plugin| {
            plugin.info.kind = PluginType::HeaderConverter;
            plugin
        })
        .collect();
    converters
        .into_iter()
        .chain(headers)
        .chain([
            simple_header::plugin(),
            avro::converter::plugin(),
            protobuf::converter::plugin(),
            jsonschema::converter::plugin(),
        ])
        .collect()
}

/// A raw payload column (what converters decode), for tests, benches and fuzz targets that do
/// not depend on arrow themselves.
pub fn payload_column<'a>(payloads: impl IntoIterator<Item = Option<&'a [u8]>>) -> BinaryArray {
    payloads.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use strait_engine::plugin::ConverterRole;
    use strait_engine::registry::Registry;

    #[test]
    fn converters_answer_to_class_names_and_aliases() {
        let registry = Registry::new().with_converters(converters());
        for name in [
            "org.apache.kafka.connect.converters.ByteArrayConverter",
            "ByteArrayConverter",
            "ByteArray",
            "org.apache.kafka.connect.storage.StringConverter",
            "String",
            "org.apache.kafka.connect.json.JsonConverter",
            "JsonConverter",
            "Json",
            "org.apache.kafka.connect.converters.BooleanConverter",
            "DoubleConverter",
            "Float",
            "IntegerConverter",
            "Long",
            "org.apache.kafka.connect.converters.ShortConverter",
        ] {
            assert!(
                registry
                    .converter(ConverterRole::Value, name, &Default::default())
                    .is_ok(),
                "{name}"
            );
        }
    }

    #[test]
    fn header_converters_resolve_like_java() {
        let registry = Registry::new().with_converters(converters());
        for name in [
            "org.apache.kafka.connect.storage.SimpleHeaderConverter",
            "SimpleHeaderConverter",
            "Simple",
            "StringConverter",
            "ByteArray",
            // Java resolves an alias to its class whatever type it was derived from.
            "Json",
            "org.apache.kafka.connect.converters.LongConverter",
            "BooleanConverter",
            "Short",
        ] {
            assert!(
                registry
                    .converter(ConverterRole::Header, name, &Default::default())
                    .is_ok(),
                "{name}"
            );
        }
        let err = registry
            .converter_plugin(ConverterRole::Value, "SimpleHeaderConverter")
            .unwrap_err();
        assert!(err.message().contains("does not implement"), "{err}");
        let err = registry
            .converter_plugin(ConverterRole::Header, "com.example.Nope")
            .unwrap_err();
        assert_eq!(
            err.message(),
            "Invalid value com.example.Nope for configuration header.converter: Class com.example.Nope could not be found."
        );
        let headers = registry
            .plugin_infos()
            .into_iter()
            .filter(|i| i.kind == PluginType::HeaderConverter)
            .count();
        assert_eq!(headers, 10, "listed once per header converter class");
    }

    #[test]
    fn json_header_converter_reports_rows_it_cannot_read() {
        let registry = Registry::new().with_converters(converters());
        let props = [("schemas.enable".to_string(), "false".to_string())].into();
        let c = registry
            .converter(ConverterRole::Header, "Json", &props)
            .unwrap();
        let decoded = c
            .to_connect(&payload_column([Some(&b"1"[..]), Some(b"nope")]))
            .unwrap();
        assert_eq!(decoded.errors.len(), 1);
        assert_eq!(decoded.errors[0].row, 1);
    }

    #[test]
    fn primitive_header_converters_read_and_write_like_java() {
        let registry = Registry::new().with_converters(converters());
        let c = registry
            .converter(
                ConverterRole::Header,
                "org.apache.kafka.connect.converters.IntegerConverter",
                &Default::default(),
            )
            .unwrap();
        let payloads = payload_column([Some(&[0, 0, 1, 0][..]), Some(b"x"), None]);
        let decoded = c.to_connect(&payloads).unwrap();
        assert_eq!(decoded.errors.len(), 1);
        assert_eq!(decoded.errors[0].row, 1);
        let back = c
            .from_connect(
                &decoded.only().unwrap().field,
                &decoded.only().unwrap().array,
            )
            .unwrap();
        assert_eq!(back, payload_column([Some(&[0, 0, 1, 0][..]), None, None]));
    }
}
