//! `io.confluent.connect.json.JsonSchemaConverter`: Confluent's wire format (magic byte 0, the
//! schema's registry id as 4 big-endian bytes, the JSON text of the value) over a
//! Confluent-compatible schema registry, with [`JsonSchemaData`](super)'s Connect mapping. The
//! registry side (fetching with references, registering, subject names, runs of one schema) is
//! [`RegistryConverter`]'s; this module is the JSON Schema side of it.
//!
//! Where Strait differs from Confluent (refused at start, never ignored): the keys the registry
//! config refuses (TLS, OAuth, …) and the JsonSchemaData settings the
//! mapping refuses (see the parent module). An optional null value is written as the JSON body
//! `null` under the schema's id, as Java's serializer does with the `NullNode`
//! `fromConnectData` returns (reading it back gives a null value).

use std::sync::Arc;

use arrow::array::ArrayRef;
use arrow::datatypes::Field;
use strait_engine::declare_config;
use strait_engine::plugin::{ConverterPlugin, PluginInfo, PluginType, RowError};
use strait_engine::Result;

use super::{JsonSchemaDataConfig, JsonSchemaDecoder};
use crate::registry::{
    RegistryConfig, RegistryConverter, ResolvedSchema, SchemaDecoder, SchemaFormat, SchemaType,
};
use crate::ConverterConfig;

/// Java's class name.
pub const CLASS: &str = "io.confluent.connect.json.JsonSchemaConverter";

declare_config! {
    /// `JsonSchemaConverterConfig` (the registry keys of `AbstractKafkaSchemaSerDeConfig`) and
    /// `JsonSchemaDataConfig`'s, which Java's converter reads from the same props.
    #[derive(Debug, Clone)]
    pub struct JsonSchemaConverterConfig {
        pub converter: ConverterConfig { flatten },
        pub registry: RegistryConfig { flatten },
        pub data: JsonSchemaDataConfig { flatten },
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
        config_def: JsonSchemaConverterConfig::config_def,
        create: |props, is_key| Ok(Arc::new(JsonSchemaConverter::new(props, is_key)?)),
    }
}

/// Confluent's JsonSchemaConverter (see the module docs).
pub type JsonSchemaConverter = RegistryConverter<JsonSchemaFormat>;

impl JsonSchemaConverter {
    pub fn new(props: &strait_engine::config::Props, is_key: bool) -> Result<Self> {
        let props = crate::with_converter_type(props, is_key);
        let config = JsonSchemaConverterConfig::parse(&props)?;
        config.data.refuse_unsupported()?;
        RegistryConverter::with_format(
            JsonSchemaFormat { data: config.data },
            &config.registry,
            is_key,
        )
    }
}

/// JSON Schema as a registry format: `JsonSchemaData`'s mapping with its settings.
#[derive(Debug, Clone)]
pub struct JsonSchemaFormat {
    pub data: JsonSchemaDataConfig,
}

impl SchemaFormat for JsonSchemaFormat {
    const SCHEMA_TYPE: SchemaType = SchemaType::Json;
    const NAME: &'static str = "JSON";
    type Decoder = JsonSchemaDecoder;
    // Members are read by name: any version of the schema reads the text (under
    // `use.latest.version`, the latest; missing members take its defaults).
    const READS_ANY_VERSION: bool = true;

    fn record_name(&self, schema: &str) -> Option<String> {
        schema_title(schema)
    }

    fn decoder(
        &self,
        writer: &ResolvedSchema,
        version: Option<i32>,
        topic: &str,
        _id: i32,
    ) -> Result<JsonSchemaDecoder> {
        JsonSchemaDecoder::new(writer, &self.data, version, topic)
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

impl SchemaDecoder for JsonSchemaDecoder {
    fn field(&self) -> &Field {
        JsonSchemaDecoder::field(self)
    }

    fn decode(&mut self, bodies: &[Option<&[u8]>]) -> Result<(ArrayRef, Vec<RowError>)> {
        JsonSchemaDecoder::decode(self, bodies)
    }
}

/// Java's `JsonSchema.name()`: the root's `title` as text, for the record-name strategies.
fn schema_title(schema_json: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(schema_json).ok()?;
    match value.get("title")? {
        serde_json::Value::String(s) => Some(s.clone()),
        // Jackson's asText() of a non-text node.
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, AsArray};
    use strait_engine::config::props_from;

    #[test]
    fn record_names_are_titles() {
        assert_eq!(
            schema_title(r#"{"title":"shop.Order","type":"object"}"#).as_deref(),
            Some("shop.Order")
        );
        assert_eq!(schema_title(r#"{"type":"string"}"#), None);
        let format = JsonSchemaFormat {
            data: JsonSchemaDataConfig::default(),
        };
        assert_eq!(format.record_name(r#"{"title":"T"}"#).as_deref(), Some("T"));
    }

    #[test]
    fn unsupported_settings_are_refused_at_start() {
        for (key, value) in [
            ("generalized.sum.type.support", "true"),
            ("preserve.additional.properties", "true"),
            ("json.fail.invalid.schema", "true"),
        ] {
            let err = JsonSchemaConverter::new(
                &props_from(&[
                    ("schema.registry.url", "http://127.0.0.1:8081"),
                    (key, value),
                ]),
                false,
            )
            .unwrap_err();
            assert!(err.message().contains(key), "{err}");
        }
        let err = JsonSchemaConverter::new(&props_from(&[]), false).unwrap_err();
        assert!(err.message().contains("schema.registry.url"), "{err}");
        // The plugin is registered under Java's class name.
        assert!(crate::converters()
            .iter()
            .any(|p| p.info.class == CLASS && p.info.kind == PluginType::Converter));
    }

    /// The fuzz target's schema (fuzz/fuzz_targets/json_schema_decoder.rs) must be one the
    /// decoder accepts, or the target would test nothing.
    #[test]
    fn the_fuzz_targets_schema_is_accepted() {
        let source = include_str!("../../../fuzz/fuzz_targets/json_schema_decoder.rs");
        let start = source.find("r##\"").unwrap() + 4;
        let end = source[start..].find("\"##").unwrap() + start;
        let mut decoder = JsonSchemaDecoder::new(
            &ResolvedSchema::plain(&source[start..end]),
            &JsonSchemaDataConfig::default(),
            None,
            "fuzz",
        )
        .unwrap();
        let good = br#"{"id":1,"name":null,"t":1.5,"e":"A","tags":["x"],"attrs":{"a":1},"m":[{"key":1,"value":true}],"d":1.25,"inner":{"x":2}}"#;
        let (array, errors) = decoder.decode(&[Some(&good[..]), Some(b"{")]).unwrap();
        assert_eq!(array.len(), 2);
        assert!(array.is_valid(0));
        assert_eq!(errors.iter().map(|e| e.row).collect::<Vec<_>>(), [1]);
        assert_eq!(array.as_struct().num_columns(), 10);
        // Every prefix and every one-byte corruption of a good body decodes or is a row error
        // (no panic), and the rows after it are not disturbed.
        let mut corrupted = Vec::new();
        for cut in 0..good.len() {
            corrupted.push(good[..cut].to_vec());
        }
        for at in 0..good.len() {
            for byte in [b'"', b'{', b'[', b'0', b'\\', 0xff] {
                let mut body = good.to_vec();
                body[at] = byte;
                corrupted.push(body);
            }
        }
        for body in &corrupted {
            let (array, errors) = decoder.decode(&[Some(body), Some(&good[..])]).unwrap();
            assert_eq!(array.len(), 2);
            assert!(array.is_valid(1), "the good row after {body:?}");
            assert!(errors.iter().all(|e| e.row == 0));
        }
    }
}
