//! `io.confluent.connect.protobuf.ProtobufConverter`: Confluent's wire format (magic byte 0,
//! the schema's registry id as 4 big-endian bytes, the message indexes, the Protobuf message)
//! over a Confluent-compatible schema registry, with [`ProtobufData`](super)'s Connect mapping.
//! The registry side is [`RegistryConverter`]'s; this module is the Protobuf side of it.
//!
//! Where Strait differs from Confluent (refused at start, never ignored): `use.latest.version`,
//! the keys the registry config refuses, and the `ProtobufDataConfig` settings the mapping
//! refuses (see the parent module). Schemas Strait registers import only files Confluent
//! treats as known (`google/protobuf/*`, `google/type/*`, `confluent/*`), so, as with Java's
//! `skip.known.types=true` default, no references are registered for them.

use std::sync::Arc;

use arrow::array::ArrayRef;
use arrow::datatypes::Field;
use strait_engine::declare_config;
use strait_engine::plugin::{ConverterPlugin, PluginInfo, PluginType, RowError};
use strait_engine::Result;

use super::{ProtobufDataConfig, ProtobufDecoder};
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
        RegistryConverter::with_format(
            ProtobufFormat { data: config.data },
            &config.registry,
            is_key,
        )
    }
}

/// Protobuf as a registry format: `ProtobufData`'s mapping with its settings.
#[derive(Debug, Clone)]
pub struct ProtobufFormat {
    pub data: ProtobufDataConfig,
}

impl SchemaFormat for ProtobufFormat {
    const SCHEMA_TYPE: SchemaType = SchemaType::Protobuf;
    const NAME: &'static str = "Protobuf";
    type Decoder = ProtobufDecoder;

    fn record_name(&self, schema: &str) -> Option<String> {
        // The contract gives the text only: references it imports are not at hand, so a
        // schema importing a file Strait does not know resolves no name (the record-name
        // strategies then fail for it, as Java's would without the references).
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
        super::encode::encode(field, schema, column, &self.data)
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
