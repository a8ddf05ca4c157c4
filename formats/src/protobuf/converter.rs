//! `io.confluent.connect.protobuf.ProtobufConverter`: Confluent's wire format (magic byte 0,
//! the schema's registry id as 4 big-endian bytes, the message indexes, the Protobuf message)
//! over a Confluent-compatible schema registry, with [`ProtobufData`](super)'s Connect mapping.
//! The registry side is [`RegistryConverter`]'s; this module is the Protobuf side of it.
//!
//! Where Strait differs from Confluent (refused at start, never ignored): the keys the registry
//! config refuses, and the `ProtobufDataConfig` settings the mapping
//! refuses (see the parent module). Schemas Strait registers import only files Confluent
//! treats as known (`google/protobuf/*`, `google/type/*`, `confluent/*`), so, as with Java's
//! `skip.known.types=true` default, no references are registered for them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arrow::array::ArrayRef;
use arrow::datatypes::Field;
use strait_engine::declare_config;
use strait_engine::plugin::{ConverterPlugin, PluginInfo, PluginType, RowError};
use strait_engine::Result;

use super::{Compiled, ProtobufDataConfig, ProtobufDecoder};
use crate::registry::{
    RegistryConfig, RegistryConverter, ResolvedSchema, SchemaDecoder, SchemaFormat, SchemaType,
};
use crate::ConverterConfig;

/// Java's class name.
pub const CLASS: &str = "io.confluent.connect.protobuf.ProtobufConverter";

declare_config! {
    /// `ProtobufConverterConfig` (the registry keys) and `ProtobufDataConfig`'s, which Java
    /// reads from the same props.
    #[derive(Debug, Clone)]
    pub struct ProtobufConverterConfig {
        pub converter: ConverterConfig { flatten },
        pub registry: RegistryConfig { flatten },
        pub data: ProtobufDataConfig { flatten },
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
        config_def: ProtobufConverterConfig::config_def,
        create: |props, is_key| Ok(Arc::new(ProtobufConverter::new(props, is_key)?)),
    }
}

/// Confluent's ProtobufConverter (see the module docs).
pub type ProtobufConverter = RegistryConverter<ProtobufFormat>;

impl ProtobufConverter {
    pub fn new(props: &strait_engine::config::Props, is_key: bool) -> Result<Self> {
        let props = crate::with_converter_type(props, is_key);
        let config = ProtobufConverterConfig::parse(&props)?;
        config.data.refuse_unsupported()?;
        RegistryConverter::with_format(ProtobufFormat::new(config.data), &config.registry, is_key)
    }
}

/// Protobuf as a registry format: `ProtobufData`'s mapping with its settings.
#[derive(Debug, Clone)]
pub struct ProtobufFormat {
    pub data: ProtobufDataConfig,
    /// The schemas sources write, compiled once (at most `schemas.cache.config` of them, as
    /// Java bounds its converted-schema cache).
    written: Arc<Mutex<HashMap<ResolvedSchema, Compiled>>>,
}

impl ProtobufFormat {
    pub fn new(data: ProtobufDataConfig) -> Self {
        ProtobufFormat {
            data,
            written: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    fn compiled(&self, schema: &ResolvedSchema) -> Result<Compiled> {
        let poisoned = || strait_engine::Error::bug("the Protobuf schema cache lock was poisoned");
        if let Some(c) = self.written.lock().map_err(|_| poisoned())?.get(schema) {
            return Ok(c.clone());
        }
        let compiled = super::compile(schema)?;
        let mut cache = self.written.lock().map_err(|_| poisoned())?;
        if cache.len() >= usize::try_from(self.data.schemas_cache_size.max(1)).unwrap_or(1) {
            cache.clear();
        }
        cache.insert(schema.clone(), compiled.clone());
        Ok(compiled)
    }
}

impl SchemaFormat for ProtobufFormat {
    const SCHEMA_TYPE: SchemaType = SchemaType::Protobuf;
    const NAME: &'static str = "Protobuf";
    type Decoder = ProtobufDecoder;
    // Fields are read by tag: any version of the schema reads the bytes, as Java's
    // deserializer does with `use.latest.version`.
    const READS_ANY_VERSION: bool = true;

    fn record_name(&self, schema: &str) -> Option<String> {
        // The contract gives the text only: when its imports are not at hand the name is read
        // from the text (package and first top-level message).
        super::first_message_name(&ResolvedSchema::plain(schema))
    }

    fn decoder(
        &self,
        writer: &ResolvedSchema,
        version: Option<i32>,
        topic: &str,
        id: i32,
    ) -> Result<ProtobufDecoder> {
        let compiled = super::compile(writer)?;
        let mut decoder = ProtobufDecoder::new(compiled, &self.data, version)?;
        decoder.set_context(topic, id);
        Ok(decoder)
    }

    fn schema_for(&self, field: &Field) -> Result<ResolvedSchema> {
        super::from_connect_schema(field, &self.data)
    }

    fn encode(
        &self,
        field: &Field,
        schema: &ResolvedSchema,
        column: &ArrayRef,
    ) -> Result<(Vec<Option<Vec<u8>>>, Vec<RowError>)> {
        super::encode::encode_compiled(field, &self.compiled(schema)?, column, &self.data)
    }
}

impl SchemaDecoder for ProtobufDecoder {
    fn field(&self) -> &Field {
        ProtobufDecoder::field(self)
    }

    fn decode(&mut self, bodies: &[Option<&[u8]>]) -> Result<(ArrayRef, Vec<RowError>)> {
        ProtobufDecoder::decode(self, bodies)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strait_engine::config::props_from;

    #[test]
    fn record_name_is_the_first_messages_full_name() {
        let f = ProtobufFormat::new(ProtobufDataConfig::default());
        assert_eq!(
            f.record_name("syntax = \"proto3\";\npackage shop;\nmessage Order { int32 id = 1; }\nmessage Other {}")
                .as_deref(),
            Some("shop.Order")
        );
        assert_eq!(
            f.record_name("syntax = \"proto3\";\nmessage A {}")
                .as_deref(),
            Some("A")
        );
        assert_eq!(f.record_name("not protobuf"), None);
    }

    #[test]
    fn unsupported_settings_are_refused_at_start() {
        for (key, value) in [
            ("flatten.unions", "true"),
            ("optional.for.nullables", "true"),
            ("generate.struct.for.nulls", "true"),
        ] {
            let err = ProtobufConverter::new(
                &props_from(&[
                    ("schema.registry.url", "http://127.0.0.1:8081"),
                    (key, value),
                ]),
                false,
            )
            .unwrap_err();
            assert!(err.message().contains(key), "{key}: {err}");
        }
        let err = ProtobufConverter::new(&props_from(&[]), false).unwrap_err();
        assert!(err.message().contains("schema.registry.url"), "{err}");
        // Honoured settings are accepted.
        ProtobufConverter::new(
            &props_from(&[
                ("schema.registry.url", "http://127.0.0.1:8081"),
                ("int.for.enums", "true"),
                ("enhanced.protobuf.schema.support", "true"),
                ("generate.index.for.unions", "false"),
                ("optional.for.proto2", "false"),
                ("wrapper.for.raw.primitives", "false"),
            ]),
            true,
        )
        .unwrap();
    }

    #[test]
    fn the_plugin_answers_to_its_class_name_and_alias() {
        let registry =
            strait_engine::registry::Registry::new().with_converters(crate::converters());
        let props = props_from(&[("schema.registry.url", "http://127.0.0.1:8081")]);
        for name in [CLASS, "ProtobufConverter"] {
            assert!(
                registry
                    .converter(strait_engine::plugin::ConverterRole::Value, name, &props)
                    .is_ok(),
                "{name}"
            );
        }
    }

    /// The fuzz target's schema (fuzz/fuzz_targets/protobuf_decoder.rs) must be one the
    /// decoder accepts, or the target would test nothing.
    #[test]
    fn the_fuzz_targets_schema_is_accepted() {
        let source = include_str!("../../../fuzz/fuzz_targets/protobuf_decoder.rs");
        let start = source.find("r#\"").unwrap() + 3;
        let end = source[start..].find("\"#").unwrap() + start;
        let compiled = super::super::compile(&ResolvedSchema::plain(&source[start..end])).unwrap();
        let mut decoder =
            ProtobufDecoder::new(compiled, &ProtobufDataConfig::default(), None).unwrap();
        let field = decoder.field().clone();
        let arrow::datatypes::DataType::Struct(members) = field.data_type() else {
            panic!("{field:?}");
        };
        assert_eq!(members.len(), 16, "the oneof and the 15 other fields");
        let (array, errors) = decoder
            .decode(&[Some(&[0u8][..]), Some(&[0, 0x0a])])
            .unwrap();
        assert_eq!(array.len(), 2);
        assert!(
            errors.len() == 1 && errors[0].row == 1,
            "a truncated body: {errors:?}"
        );
    }
}
