//! Confluent's Connect <-> Avro data mapping (`io.confluent.connect.avro.AvroData`), columnar:
//! the pure data half of the AvroConverter (the wire format and the schema registry are the
//! converter's business).
//!
//! - [`to_connect_schema`]: Avro schema JSON -> the Arrow field of its Connect schema, as
//!   `AvroData.toConnectSchema` builds it ([`schema`]),
//! - [`from_connect_schema`]: the inverse, `AvroData.fromConnectSchema` ([`write`], shared
//!   with the S3 sink's Avro files),
//! - [`AvroDecoder`]: many Avro binary bodies -> one Arrow column in one pass, no per-record
//!   value tree ([`decode`]),
//! - [`encode`]: an Arrow column -> one Avro binary body per row, under
//!   [`from_connect_schema`]'s schema.
//!
//! Where Strait differs from Confluent: see each submodule (recursive schemas,
//! `generalized.sum.type.support`, `discard.type.doc.default`, the variant logical type and
//! schemaless `Anything` values are refused; writing Avro enums, unions and fixed types from
//! Connect is refused). `scrub.invalid.names` and `allow.optional.map.keys` only affect
//! Connect -> Avro, where Strait supports their defaults only (set to true they are refused).

pub mod decode;
pub(crate) mod schema;
pub(crate) mod write;

use arrow::array::ArrayRef;
use arrow::datatypes::Field;
use strait_engine::declare_config;
use strait_engine::plugin::RowError;
use strait_engine::{Error, Result};

pub use decode::AvroDecoder;

/// Name of the Arrow field [`to_connect_schema`] returns.
pub const FIELD_NAME: &str = "value";

declare_config! {
    /// Java's `AvroDataConfig` (with `AbstractDataConfig`'s keys), read in schema-registry
    /// `avro-data/src/main/java/io/confluent/connect/avro/AvroDataConfig.java` and
    /// `schema-converter/src/main/java/io/confluent/connect/schema/AbstractDataConfig.java`.
    #[derive(Debug, Clone)]
    pub struct AvroDataConfig {
        /// Refused when true (Strait does not implement ConnectUnion/ConnectEnum).
        pub generalized_sum_type_support: bool {
            key: "generalized.sum.type.support",
            ty: Boolean,
            default: "false",
            importance: Medium,
            doc: "Toggle for enabling/disabling generalized sum type support: interoperability of enum/union with other schema formats",
        },
        pub ignore_default_for_nullables: bool {
            key: "ignore.default.for.nullables",
            ty: Boolean,
            default: "false",
            importance: Medium,
            doc: "Whether to ignore the default for nullable fields when the value is null",
        },
        /// Accepted for compatibility: Strait converts each writer schema once per decoder.
        pub schemas_cache_size: i32 {
            key: "schemas.cache.config",
            ty: Int,
            default: "1000",
            importance: Low,
            doc: "Size of the converted schemas cache",
        },
        pub enhanced_avro_schema_support: bool {
            key: "enhanced.avro.schema.support",
            ty: Boolean,
            default: "false",
            importance: Medium,
            doc: "Toggle for enabling/disabling enhanced avro schema support: Enum symbol preservation and Package Name awareness",
        },
        pub scrub_invalid_names: bool {
            key: "scrub.invalid.names",
            ty: Boolean,
            default: "false",
            importance: Medium,
            doc: "Whether to scrub invalid names by replacing invalid characters with valid ones",
        },
        pub connect_meta_data: bool {
            key: "connect.meta.data",
            ty: Boolean,
            default: "true",
            importance: Low,
            doc: "Toggle for enabling/disabling connect converter to add its meta data to the output schema or not",
        },
        /// Refused when true.
        pub discard_type_doc_default: bool {
            key: "discard.type.doc.default",
            ty: Boolean,
            default: "false",
            importance: Low,
            doc: "Only Avro field doc and default will be retained during conversion of Avro and Connect schema.",
        },
        pub allow_optional_map_keys: bool {
            key: "allow.optional.map.keys",
            ty: Boolean,
            default: "false",
            importance: Low,
            doc: "Allow optional string map key when converting from Connect Schema to Avro Schema.",
        },
        pub flatten_singleton_unions: bool {
            key: "flatten.singleton.unions",
            ty: Boolean,
            default: "true",
            importance: Low,
            doc: "Whether to flatten singleton unions",
        },
    }
}

impl Default for AvroDataConfig {
    fn default() -> Self {
        // Every key has a default, so parsing no props cannot fail; fall back to the same
        // values spelled out in case it ever does.
        AvroDataConfig::parse(&Default::default()).unwrap_or(AvroDataConfig {
            generalized_sum_type_support: false,
            ignore_default_for_nullables: false,
            schemas_cache_size: 1000,
            enhanced_avro_schema_support: false,
            scrub_invalid_names: false,
            connect_meta_data: true,
            discard_type_doc_default: false,
            allow_optional_map_keys: false,
            flatten_singleton_unions: true,
        })
    }
}

/// The Arrow field (named [`FIELD_NAME`]) carrying the Connect schema `AvroData.toConnectSchema`
/// makes of an Avro schema, per [`strait_engine::schema`].
pub fn to_connect_schema(avro_schema_json: &str, config: &AvroDataConfig) -> Result<Field> {
    to_connect_schema_versioned(avro_schema_json, config, None)
}

/// As [`to_connect_schema`], with the schema registry version AvroConverter passes along.
pub fn to_connect_schema_versioned(
    avro_schema_json: &str,
    config: &AvroDataConfig,
    version: Option<i32>,
) -> Result<Field> {
    let parsed = schema::Parsed::parse(avro_schema_json)?;
    let s = schema::ToConnect::new(&parsed, config)?.convert(&parsed.root, false, None, version)?;
    let node =
        crate::json::decode::Node::for_schema(&s, FIELD_NAME, true, false).map_err(Error::data)?;
    Ok(node.field.as_ref().clone())
}

fn refuse_unsupported(config: &AvroDataConfig) -> Result<()> {
    if config.scrub_invalid_names || config.allow_optional_map_keys {
        return Err(Error::config(
            "scrub.invalid.names=true and allow.optional.map.keys=true are not supported by Strait's AvroConverter",
        ));
    }
    if config.generalized_sum_type_support || config.discard_type_doc_default {
        return Err(Error::config(
            "generalized.sum.type.support=true and discard.type.doc.default=true are not supported by Strait's AvroConverter",
        ));
    }
    Ok(())
}

/// The Avro schema JSON `AvroData.fromConnectSchema` makes of the Connect schema of `field`
/// (Avro's `Schema.toString` text). `connect.meta.data=false` is refused: the Connect
/// metadata is what makes the round trip Connect -> Avro -> Connect the identity.
pub fn from_connect_schema(field: &Field, config: &AvroDataConfig) -> Result<String> {
    refuse_unsupported(config)?;
    if !config.connect_meta_data {
        return Err(Error::config(
            "connect.meta.data=false is not supported by Strait when writing Avro",
        ));
    }
    write::avro_schema_json(field)
}

/// One Avro binary body (no wire header) per row of `column`, written under
/// [`from_connect_schema`]`(field)`. A null row of an optional schema is `None` (a tombstone,
/// as AvroConverter returns for a null value); a row that cannot be written is a [`RowError`]
/// and `None`.
pub fn encode(
    field: &Field,
    column: &ArrayRef,
    config: &AvroDataConfig,
) -> Result<(Vec<Option<Vec<u8>>>, Vec<RowError>)> {
    // Validates the schema (and the config) once for the whole column.
    from_connect_schema(field, config)?;
    let s = write::connect_schema(field)?;
    let mut out = Vec::with_capacity(column.len());
    let mut errors = Vec::new();
    for row in 0..column.len() {
        if column.is_null(row) && s.optional {
            out.push(None);
            continue;
        }
        let mut body = Vec::new();
        match write::write_value(&s, column.as_ref(), row, &mut body) {
            Ok(()) => out.push(Some(body)),
            Err(msg) => {
                out.push(None);
                errors.push(RowError {
                    row,
                    error: Error::data(msg),
                });
            }
        }
    }
    Ok((out, errors))
}
