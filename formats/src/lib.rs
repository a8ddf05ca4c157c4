//! Converters between Kafka payload bytes and typed Arrow columns, registered under Kafka
//! Connect's Java class names:
//!
//! - [`bytearray`]: `org.apache.kafka.connect.converters.ByteArrayConverter` (bytes as they are),
//! - [`string`]: `org.apache.kafka.connect.storage.StringConverter` (UTF-8 text),
//! - [`json`]: `org.apache.kafka.connect.json.JsonConverter` (schema envelope or plain JSON).
//!
//! Every converter works a whole column at a time (see
//! [`Converter`](strait_engine::plugin::Converter)); a malformed record becomes a row error,
//! never a failed batch or a panic.

pub mod bytearray;
pub mod java;
pub mod json;
pub mod string;

use arrow::array::BinaryArray;
use strait_engine::plugin::ConverterPlugin;

/// Java's `ConverterConfig` key `converter.type`, which every converter's definition starts
/// with. `default` differs per converter as in the Java definitions Strait mirrors.
pub(crate) fn converter_config_def(
    default: strait_engine::config::Default,
) -> strait_engine::config::ConfigDef {
    use strait_engine::config::{ConfigDef, ConfigType, Importance, Validator, Width};
    ConfigDef::new().define(
        "converter.type",
        ConfigType::String,
        default,
        Validator::OneOf(&["key", "value", "header"]),
        Importance::Low,
        "How this converter will be used.",
        None,
        Width::None,
        "converter.type",
    )
}

/// Every converter of this crate, for the registry. Aliases (`JsonConverter`, `Json`, …) derive
/// from the class names.
pub fn converters() -> Vec<ConverterPlugin> {
    vec![bytearray::plugin(), string::plugin(), json::plugin()]
}

/// A raw payload column (what converters decode), for tests, benches and fuzz targets that do
/// not depend on arrow themselves.
pub fn payload_column<'a>(payloads: impl IntoIterator<Item = Option<&'a [u8]>>) -> BinaryArray {
    payloads.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
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
        ] {
            assert!(
                registry.converter(name, &Default::default(), false).is_ok(),
                "{name}"
            );
        }
    }
}
