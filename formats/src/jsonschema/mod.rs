//! Confluent's Connect <-> JSON Schema data mapping (`io.confluent.connect.json.JsonSchemaData`),
//! columnar: the data half of the JsonSchemaConverter ([`converter`] is the registry half).
//!
//! - [`to_connect_schema`]: a JSON Schema -> the Arrow field of its Connect schema
//!   (`toConnectSchema`, in [`schema`]),
//! - [`from_connect_schema`]: the inverse (`fromConnectSchema`),
//! - [`JsonSchemaDecoder`]: many JSON bodies -> one Arrow column in one pass, with the
//!   JsonConverter's schema'd decoder (`crate::json::decode`) under the mapped Connect schema,
//! - [`encode`]: an Arrow column -> one JSON body per row, with the JsonConverter's writer
//!   (`crate::json::encode`), as `fromConnectData` writes values (bytes base64, decimals per
//!   `decimal.format`, maps with non-string keys as arrays of `{"key":…,"value":…}`).
//!
//! Where Strait differs from Confluent:
//! - refused at start: `generalized.sum.type.support=true`, `preserve.additional.properties=true`,
//!   `json.fail.invalid.schema=true` (Strait checks values against the Connect schema, not the
//!   full JSON Schema: no `minimum`, `pattern`, …), `json.indent.output=true`;
//! - refused per schema (the rows written with it are row errors): general `oneOf`/`anyOf`
//!   unions, the empty schema (variant), recursive schemas, optional map keys;
//! - stricter per row: a value of the wrong JSON kind (a string for an integer), a missing or
//!   null required property without default, and trailing text after the JSON value are row
//!   errors, where Jackson's accessors and Connect's `Struct` would let them through.
//! - `ignore.modern.dialects` is accepted either way: Strait reads every dialect with the same
//!   keywords (`definitions` and `$defs`, `$ref` to a pointer or a registry reference).

pub mod converter;
pub(crate) mod schema;

use arrow::array::{Array, ArrayRef};
use arrow::datatypes::Field;
use serde_json::Value;
use strait_engine::declare_config;
use strait_engine::plugin::RowError;
use strait_engine::{Error, Result};

use crate::json::connect::ConnectSchema;
use crate::json::decode::{Cx, Node};
use crate::json::encode::Enc;
use crate::json::scan::{Fail, Scanner};
use crate::json::Opts;
use crate::registry::ResolvedSchema;
use strait_engine::config::Validator;

/// Name of the Arrow field [`to_connect_schema`] returns.
pub const FIELD_NAME: &str = "value";

declare_config! {
    /// Java's `JsonSchemaDataConfig` (with `AbstractDataConfig`'s keys), read in schema-registry
    /// `json-schema-converter/src/main/java/io/confluent/connect/json/JsonSchemaDataConfig.java`
    /// and `schema-converter/src/main/java/io/confluent/connect/schema/AbstractDataConfig.java`,
    /// plus the two keys of `KafkaJsonSchemaSerializerConfig` that change what the converter
    /// writes.
    #[derive(Debug, Clone)]
    pub struct JsonSchemaDataConfig {
        /// Refused when true (Strait does not implement ConnectUnion/ConnectEnum).
        pub generalized_sum_type_support: bool {
            key: "generalized.sum.type.support",
            ty: Boolean,
            default: "false",
            importance: Medium,
            doc: "Toggle for enabling/disabling generalized sum type support: interoperability of enum/union with other schema formats",
        },
        /// Connect -> JSON: a null with a default is written as null, not the default.
        pub ignore_default_for_nullables: bool {
            key: "ignore.default.for.nullables",
            ty: Boolean,
            default: "false",
            importance: Medium,
            doc: "Whether to ignore the default for nullable fields when the value is null",
        },
        /// Accepted for compatibility: Strait maps each writer schema once per decoder.
        pub schemas_cache_size: i32 {
            key: "schemas.cache.config",
            ty: Int,
            default: "1000",
            importance: Low,
            doc: "Size of the converted schemas cache",
        },
        pub object_additional_properties: bool {
            key: "object.additional.properties",
            ty: Boolean,
            default: "true",
            importance: Medium,
            doc: "Whether to allow additional properties for object schemas.",
        },
        pub use_optional_for_nonrequired: bool {
            key: "use.optional.for.nonrequired",
            ty: Boolean,
            default: "false",
            importance: Medium,
            doc: "Whether to set non-required properties to be optional.",
        },
        pub ignore_modern_dialects: bool {
            key: "ignore.modern.dialects",
            ty: Boolean,
            default: "false",
            importance: Low,
            doc: "Whether to ignore modern dialects of JSON Schema after draft 7, in which case draft 7 will be used.",
        },
        /// `decimal.format=NUMERIC` (any case): decimals as JSON numbers, else base64 bytes.
        pub decimal_numeric: bool {
            key: "decimal.format",
            ty: String,
            default: "BASE64",
            validator: Validator::OneOfIgnoreCase(&["BASE64", "NUMERIC"]),
            importance: Low,
            doc: "Controls which format this converter will serialize decimals in. This value is case insensitive and can be either 'BASE64' (default) or 'NUMERIC'",
            map: |format: String| format.eq_ignore_ascii_case("NUMERIC"),
        },
        pub flatten_singleton_unions: bool {
            key: "flatten.singleton.unions",
            ty: Boolean,
            default: "true",
            importance: Low,
            doc: "Whether to flatten singleton unions",
        },
        /// Refused when true.
        pub preserve_additional_properties: bool {
            key: "preserve.additional.properties",
            ty: Boolean,
            default: "false",
            importance: Medium,
            doc: "When true, this converter preserves undeclared JSON properties permitted by the schema (JSON Schema permits them by default unless additionalProperties is set to false). Preserves the original value and data type of each property. Default false drops such properties (existing behavior).",
        },
        /// Refused when true (`KafkaJsonSchemaSerializerConfig`).
        pub fail_invalid_schema: bool {
            key: "json.fail.invalid.schema",
            ty: Boolean,
            default: "false",
            importance: Medium,
            doc: "Whether to fail serialization if the payload does not match the schema",
        },
        /// Refused when true (`KafkaJsonSchemaSerializerConfig`).
        pub indent_output: bool {
            key: "json.indent.output",
            ty: Boolean,
            default: "false",
            importance: Low,
            doc: "Whether JSON output should be indented (\"pretty-printed\")",
        },
    }
}

impl Default for JsonSchemaDataConfig {
    fn default() -> Self {
        // Every key has a default, so parsing no props cannot fail; fall back to the same
        // values spelled out in case it ever does.
        JsonSchemaDataConfig::parse(&Default::default()).unwrap_or(JsonSchemaDataConfig {
            generalized_sum_type_support: false,
            ignore_default_for_nullables: false,
            schemas_cache_size: 1000,
            object_additional_properties: true,
            use_optional_for_nonrequired: false,
            ignore_modern_dialects: false,
            decimal_numeric: false,
            flatten_singleton_unions: true,
            preserve_additional_properties: false,
            fail_invalid_schema: false,
            indent_output: false,
        })
    }
}

impl JsonSchemaDataConfig {
    /// The settings Strait does not implement, refused (called once at converter start).
    pub fn refuse_unsupported(&self) -> Result<()> {
        for (set, key) in [
            (
                self.generalized_sum_type_support,
                "generalized.sum.type.support",
            ),
            (
                self.preserve_additional_properties,
                "preserve.additional.properties",
            ),
            (self.fail_invalid_schema, "json.fail.invalid.schema"),
            (self.indent_output, "json.indent.output"),
        ] {
            if set {
                return Err(Error::config(format!(
                    "{key}=true is not supported by Strait's JsonSchemaConverter"
                )));
            }
        }
        Ok(())
    }

    /// The JsonConverter options that give JsonSchemaData's value forms.
    pub(crate) fn opts(&self) -> Opts {
        Opts {
            decimal_numeric: self.decimal_numeric,
            replace_null_with_default: !self.ignore_default_for_nullables,
            map_entries_as_objects: true,
        }
    }
}

/// The Connect schema `toConnectSchema` makes of a writer schema (with its references).
fn connect_schema(
    writer: &ResolvedSchema,
    config: &JsonSchemaDataConfig,
    version: Option<i32>,
) -> Result<ConnectSchema> {
    let parse = |text: &str| {
        serde_json::from_str::<Value>(text)
            .map_err(|e| Error::data(format!("Invalid JSON Schema: {e}")))
    };
    let root = parse(&writer.schema)?;
    let references = writer
        .references
        .iter()
        .map(|(name, text)| Ok((name.as_str(), parse(text)?)))
        .collect::<Result<Vec<_>>>()?;
    let doc = schema::Document {
        root: &root,
        references,
    };
    schema::to_connect(&doc, config, version)
}

/// The Arrow field (named [`FIELD_NAME`]) carrying the Connect schema
/// `JsonSchemaData.toConnectSchema` makes of a JSON Schema, per [`strait_engine::schema`].
pub fn to_connect_schema(schema_json: &str, config: &JsonSchemaDataConfig) -> Result<Field> {
    to_connect_schema_resolved(&ResolvedSchema::plain(schema_json), config, None)
}

/// As [`to_connect_schema`], for a schema with its references and the registry version the
/// converter passes along.
pub fn to_connect_schema_resolved(
    writer: &ResolvedSchema,
    config: &JsonSchemaDataConfig,
    version: Option<i32>,
) -> Result<Field> {
    let s = connect_schema(writer, config, version)?;
    let node = Node::for_schema(&s, FIELD_NAME, true, false).map_err(Error::data)?;
    Ok(node.field.as_ref().clone())
}

/// The JSON Schema text `JsonSchemaData.fromConnectSchema` makes of the Connect schema of
/// `field`.
pub fn from_connect_schema(field: &Field, config: &JsonSchemaDataConfig) -> Result<String> {
    let s = ConnectSchema::from_field(field, &config.opts()).map_err(Error::data)?;
    Ok(schema::from_connect(&s, config)?.to_string())
}

/// Decodes JSON bodies written with one JSON Schema into Arrow (see the module docs).
pub struct JsonSchemaDecoder {
    node: Node,
    field: Field,
    /// For messages: Java names the topic.
    topic: String,
    scratch: Vec<u8>,
}

impl JsonSchemaDecoder {
    pub fn new(
        writer: &ResolvedSchema,
        config: &JsonSchemaDataConfig,
        version: Option<i32>,
        topic: &str,
    ) -> Result<Self> {
        let s = connect_schema(writer, config, version)?;
        let node = Node::for_schema(&s, FIELD_NAME, true, false).map_err(Error::data)?;
        Ok(JsonSchemaDecoder {
            field: node.field.as_ref().clone(),
            node,
            topic: topic.to_string(),
            scratch: Vec::new(),
        })
    }

    /// The Arrow field of the Connect schema.
    pub fn field(&self) -> &Field {
        &self.field
    }

    /// One row per body (`None`: a null row); rows that fail are nulls and [`RowError`]s.
    pub fn decode(&mut self, bodies: &[Option<&[u8]>]) -> Result<(ArrayRef, Vec<RowError>)> {
        let mut cx = Cx {
            // toConnectData always puts a schema's default in for a null or missing value.
            replace_null_with_default: true,
            map_entries_as_objects: true,
            schemaless: false,
            scratch: std::mem::take(&mut self.scratch),
        };
        let mut errors = Vec::new();
        for (row, body) in bodies.iter().enumerate() {
            let Some(body) = body else {
                self.node.append_null();
                continue;
            };
            match decode_one(&mut self.node, body, &mut cx) {
                Ok(()) => {}
                Err(fail) => {
                    self.node.truncate(row);
                    self.node.append_null();
                    let message = match fail {
                        Fail::Syntax(m) => format!(
                            "Converting byte[] to Kafka Connect data failed due to serialization \
                             error of topic {}: {m}",
                            self.topic
                        ),
                        Fail::Data(m) => m,
                        Fail::Mismatch => "value does not match the schema".to_string(),
                    };
                    errors.push(RowError {
                        row,
                        error: Error::data(message),
                    });
                }
            }
        }
        self.scratch = cx.scratch;
        let array = self
            .node
            .finish()
            .map_err(|e| Error::bug(format!("JsonSchemaDecoder: {e}")))?;
        Ok((array, errors))
    }
}

/// One body into `node`: a JSON value of the schema, or `null`/nothing (Java's
/// `SchemaAndValue.NULL`: a null row).
fn decode_one(node: &mut Node, body: &[u8], cx: &mut Cx) -> std::result::Result<(), Fail> {
    // Checked up front: the decoder copies string bytes as they are.
    if std::str::from_utf8(body).is_err() {
        return Err(Fail::Syntax("Invalid UTF-8 in the payload".into()));
    }
    let mut sc = Scanner::new(body);
    match sc.peek() {
        None => {
            node.append_null();
            return Ok(());
        }
        Some(b'n') => {
            sc.literal(b"null")?;
            node.append_null();
        }
        Some(_) => node.value(&mut sc, cx)?,
    }
    if sc.peek().is_some() {
        return Err(sc.unexpected("the end of the payload"));
    }
    Ok(())
}

/// One JSON body per row of `column`, written as `JsonSchemaData.fromConnectData` writes the
/// Connect schema of `field`. A null row is the default (if any), `null` for an optional
/// schema, and `None` (a tombstone: Java's converter returns null) for a required one; a row
/// that cannot be written is a [`RowError`] and `None`.
pub fn encode(
    field: &Field,
    column: &ArrayRef,
    config: &JsonSchemaDataConfig,
) -> Result<(Vec<Option<Vec<u8>>>, Vec<RowError>)> {
    config.refuse_unsupported()?;
    let opts = config.opts();
    let s = ConnectSchema::from_field(field, &opts).map_err(Error::data)?;
    // Validates the schema once for the whole column.
    schema::from_connect(&s, config)?;
    let enc = Enc::new(field, column, Some(&s), &opts).map_err(Error::data)?;
    let mut out = Vec::with_capacity(column.len());
    let mut errors = Vec::new();
    for row in 0..column.len() {
        if column.is_null(row) && !enc.null_is_a_value() {
            out.push(None);
            continue;
        }
        let mut body = Vec::new();
        match enc.write(row, &mut body) {
            Ok(()) => out.push(Some(body)),
            Err(e) => {
                out.push(None);
                errors.push(RowError {
                    row,
                    error: Error::data(e),
                });
            }
        }
    }
    Ok((out, errors))
}
