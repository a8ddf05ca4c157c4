//! `io.confluent.connect.avro.AvroConverter`: Confluent's wire format (magic byte 0, the
//! schema's registry id as 4 big-endian bytes, the Avro binary body) over a Confluent-compatible
//! schema registry, with [`AvroData`](super)'s Connect mapping. The registry side (fetching,
//! registering, subject names, runs of one schema) is [`RegistryConverter`]'s; this module is
//! the Avro side of it.
//!
//! Where Strait differs from Confluent (refused at start, never ignored): the keys the registry
//! config refuses (TLS, OAuth, …) and the AvroData settings the mapping refuses (see the parent
//! module).

use std::sync::Arc;

use arrow::array::ArrayRef;
use arrow::datatypes::Field;
use strait_engine::declare_config;
use strait_engine::plugin::{ConverterPlugin, PluginInfo, PluginType, RowError};
use strait_engine::Result;

use super::{AvroDataConfig, AvroDecoder};
use crate::registry::{
    RegistryConfig, RegistryConverter, ResolvedSchema, SchemaDecoder, SchemaFormat, SchemaType,
};
use crate::ConverterConfig;

/// Java's class name.
pub const CLASS: &str = "io.confluent.connect.avro.AvroConverter";

declare_config! {
    /// `AvroConverterConfig`: the registry keys (`AbstractKafkaSchemaSerDeConfig`) and
    /// `AvroDataConfig`'s.
    #[derive(Debug, Clone)]
    pub struct AvroConverterConfig {
        pub converter: ConverterConfig { flatten },
        pub registry: RegistryConfig { flatten },
        pub data: AvroDataConfig { flatten },
    }
}

/// The converter plugin for the registry.
pub fn plugin() -> ConverterPlugin {
    ConverterPlugin {
        info: PluginInfo {
            class: CLASS,
            extra_aliases: &[],
            kind: PluginType::Converter,
            version: env!("CARGO_PKG_VERSION"),
        },
        config_def: AvroConverterConfig::config_def,
        create: |props, is_key| Ok(Arc::new(AvroConverter::new(props, is_key)?)),
    }
}

/// Confluent's AvroConverter (see the module docs).
pub type AvroConverter = RegistryConverter<AvroFormat>;

impl AvroConverter {
    pub fn new(props: &strait_engine::config::Props, is_key: bool) -> Result<Self> {
        let props = crate::with_converter_type(props, is_key);
        let config = AvroConverterConfig::parse(&props)?;
        RegistryConverter::with_format(AvroFormat { data: config.data }, &config.registry, is_key)
    }
}

/// Avro as a registry format: `AvroData`'s mapping with its settings.
#[derive(Debug, Clone)]
pub struct AvroFormat {
    pub data: AvroDataConfig,
}

impl SchemaFormat for AvroFormat {
    const SCHEMA_TYPE: SchemaType = SchemaType::Avro;
    const NAME: &'static str = "Avro";
    type Decoder = AvroDecoder;

    fn record_name(&self, schema: &str) -> Option<String> {
        record_full_name(schema)
    }

    fn decoder(
        &self,
        writer: &ResolvedSchema,
        version: Option<i32>,
        topic: &str,
        id: i32,
    ) -> Result<AvroDecoder> {
        if !writer.references.is_empty() {
            return Err(strait_engine::Error::data(format!(
                "schema {id} references other schemas ({}), which Strait's AvroConverter does \
                 not resolve yet",
                writer
                    .references
                    .iter()
                    .map(|(name, _)| name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let mut decoder = AvroDecoder::with_version(&writer.schema, &self.data, version)?;
        decoder.set_context(topic, id);
        Ok(decoder)
    }

    fn schema_for(&self, field: &Field) -> Result<ResolvedSchema> {
        Ok(ResolvedSchema::plain(super::from_connect_schema(
            field, &self.data,
        )?))
    }

    fn encode(
        &self,
        field: &Field,
        _schema: &ResolvedSchema,
        column: &ArrayRef,
    ) -> Result<(Vec<Option<Vec<u8>>>, Vec<RowError>)> {
        super::encode(field, column, &self.data)
    }
}

impl SchemaDecoder for AvroDecoder {
    fn field(&self) -> &Field {
        AvroDecoder::field(self)
    }

    fn decode(&mut self, bodies: &[Option<&[u8]>]) -> Result<(ArrayRef, Vec<RowError>)> {
        AvroDecoder::decode(self, bodies.iter().copied())
    }
}

/// The full name (`namespace.name`) of a record schema, for the record-name strategies.
fn record_full_name(avro_schema_json: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(avro_schema_json).ok()?;
    let name = value.get("name")?.as_str()?;
    if name.contains('.') {
        return Some(name.to_string());
    }
    match value.get("namespace").and_then(|n| n.as_str()) {
        Some(ns) if !ns.is_empty() => Some(format!("{ns}.{name}")),
        _ => Some(name.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strait_engine::config::props_from;

    #[test]
    fn record_names_for_the_record_strategies() {
        assert_eq!(
            record_full_name(r#"{"type":"record","name":"Order","namespace":"shop"}"#).as_deref(),
            Some("shop.Order")
        );
        assert_eq!(
            record_full_name(r#"{"type":"record","name":"a.b.C","namespace":"ignored"}"#)
                .as_deref(),
            Some("a.b.C")
        );
        assert_eq!(record_full_name(r#""string""#), None);
    }

    #[test]
    fn a_registry_url_is_required() {
        let err = AvroConverter::new(&props_from(&[]), false).unwrap_err();
        assert!(err.message().contains("schema.registry.url"), "{err}");
    }

    /// The fuzz target's schema (fuzz/fuzz_targets/avro_decoder.rs) must be one the decoder
    /// accepts, or the target would test nothing.
    #[test]
    fn the_fuzz_targets_schema_is_accepted() {
        let schema = include_str!("../../../fuzz/fuzz_targets/avro_decoder.rs");
        let start = schema.find("r#\"").unwrap() + 3;
        let end = schema[start..].find("\"#").unwrap() + start;
        let mut decoder =
            AvroDecoder::new(&schema[start..end], &AvroDataConfig::default()).unwrap();
        let (array, errors) = decoder.decode([Some(&[0u8][..])]).unwrap();
        assert_eq!(array.len(), 1);
        assert_eq!(errors.len(), 1, "a one-byte body is truncated");
    }
}
