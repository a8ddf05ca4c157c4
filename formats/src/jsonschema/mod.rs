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
#[cfg(test)]
use std::sync::Arc;
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

/// Golden vectors derived from Confluent's `JsonSchemaDataTest`
/// (schema-registry `json-schema-converter/src/test/java/io/confluent/connect/json/
/// JsonSchemaDataTest.java`); each test names the Java tests it follows. Connect schemas are
/// written in JsonConverter's schema JSON (`asJsonSchema`), which shows every attribute.
#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{AsArray, BinaryArray};
    use arrow::datatypes::{Decimal128Type, Int16Type, Int32Type, Int8Type};
    use std::collections::HashMap;
    use strait_engine::config::props_from;

    fn cfg(pairs: &[(&str, &str)]) -> JsonSchemaDataConfig {
        JsonSchemaDataConfig::parse(&props_from(pairs)).unwrap()
    }

    /// JSON Schema -> the Connect schema, in JsonConverter's schema JSON.
    fn to_connect_with(json_schema: &str, c: &JsonSchemaDataConfig) -> String {
        let s = connect_schema(&ResolvedSchema::plain(json_schema), c, None).unwrap();
        let mut out = Vec::new();
        s.write_json(&mut out, None);
        String::from_utf8(out).unwrap()
    }

    fn to_connect(json_schema: &str) -> String {
        to_connect_with(json_schema, &JsonSchemaDataConfig::default())
    }

    fn to_connect_err(json_schema: &str) -> String {
        connect_schema(
            &ResolvedSchema::plain(json_schema),
            &JsonSchemaDataConfig::default(),
            None,
        )
        .unwrap_err()
        .message()
        .to_string()
    }

    fn parse_connect(connect: &str, c: &JsonSchemaDataConfig) -> ConnectSchema {
        let mut sc = Scanner::new(connect.as_bytes());
        match ConnectSchema::parse(&mut sc, &c.opts()) {
            Ok(Some(s)) => s,
            _ => panic!("bad Connect schema {connect}"),
        }
    }

    /// Connect schema (JsonConverter's schema JSON) -> JSON Schema text.
    fn from_connect_with(connect: &str, c: &JsonSchemaDataConfig) -> String {
        schema::from_connect(&parse_connect(connect, c), c)
            .unwrap()
            .to_string()
    }

    fn from_connect(connect: &str) -> String {
        from_connect_with(connect, &JsonSchemaDataConfig::default())
    }

    // ---- JSON Schema -> Connect --------------------------------------------------------

    /// testToConnectBoolean, testToConnectInt8 … testToConnectFloat64, testToConnectString,
    /// testToConnectBytes; a plain `integer`/`number` without `connect.type` is INT64/FLOAT64.
    #[test]
    fn primitives_to_connect() {
        let cases = [
            (
                r#"{"type":"boolean"}"#,
                r#"{"type":"boolean","optional":false}"#,
            ),
            (
                r#"{"type":"integer","connect.type":"int8"}"#,
                r#"{"type":"int8","optional":false}"#,
            ),
            (
                r#"{"type":"integer","connect.type":"int16"}"#,
                r#"{"type":"int16","optional":false}"#,
            ),
            (
                r#"{"type":"integer","connect.type":"int32"}"#,
                r#"{"type":"int32","optional":false}"#,
            ),
            (
                r#"{"type":"integer"}"#,
                r#"{"type":"int64","optional":false}"#,
            ),
            (
                r#"{"type":"number","connect.type":"float32"}"#,
                r#"{"type":"float","optional":false}"#,
            ),
            (
                r#"{"type":"number"}"#,
                r#"{"type":"double","optional":false}"#,
            ),
            (
                r#"{"type":"string"}"#,
                r#"{"type":"string","optional":false}"#,
            ),
            (
                r#"{"type":"string","connect.type":"bytes"}"#,
                r#"{"type":"bytes","optional":false}"#,
            ),
        ];
        for (json_schema, connect) in cases {
            assert_eq!(to_connect(json_schema), connect, "{json_schema}");
        }
    }

    /// testToConnectNullableString, testToConnectInt8WithDefault; everit reads a type array
    /// as anyOf, so `["string","null"]` is an optional string too.
    #[test]
    fn optional_and_defaults_to_connect() {
        assert_eq!(
            to_connect(r#"{"oneOf":[{"type":"null"},{"type":"string"}]}"#),
            r#"{"type":"string","optional":true}"#
        );
        assert_eq!(
            to_connect(r#"{"type":["string","null"],"title":"s"}"#),
            r#"{"type":"string","optional":true,"name":"s"}"#
        );
        assert_eq!(
            to_connect(r#"{"type":"integer","connect.type":"int8","default":10}"#),
            r#"{"type":"int8","optional":false,"default":10}"#
        );
        // A singleton oneOf is flattened (flatten.singleton.unions=true).
        assert_eq!(
            to_connect(r#"{"oneOf":[{"type":"boolean"}]}"#),
            r#"{"type":"boolean","optional":false}"#
        );
    }

    /// testToConnectRecord, testToConnectRecordWithOptionalValue,
    /// testToConnectRecordWithOptionalAndRequired (use.optional.for.nonrequired).
    #[test]
    fn records_to_connect() {
        let record = r#"{"title":"Record","type":"object","properties":{
            "int8":{"type":"integer","connect.index":0,"connect.type":"int8"},
            "string":{"type":"string","connect.index":1}},"required":["int8"]}"#;
        assert_eq!(
            to_connect(record),
            r#"{"type":"struct","fields":[{"type":"int8","optional":false,"field":"int8"},{"type":"string","optional":false,"field":"string"}],"optional":false,"name":"Record"}"#
        );
        assert_eq!(
            to_connect_with(record, &cfg(&[("use.optional.for.nonrequired", "true")])),
            r#"{"type":"struct","fields":[{"type":"int8","optional":false,"field":"int8"},{"type":"string","optional":true,"field":"string"}],"optional":false,"name":"Record"}"#
        );
        // connect.index orders the fields, whatever the document order.
        let reordered = r#"{"type":"object","properties":{
            "b":{"type":"string","connect.index":1},
            "a":{"oneOf":[{"type":"null"},{"type":"string"}],"connect.index":0}}}"#;
        assert_eq!(
            to_connect(reordered),
            r#"{"type":"struct","fields":[{"type":"string","optional":true,"field":"a"},{"type":"string","optional":false,"field":"b"}],"optional":false}"#
        );
    }

    /// testToConnectMapStringKeys, testToConnectMapNonStringKeys, testToConnectArray,
    /// testToNamedConnectMap.
    #[test]
    fn maps_and_arrays_to_connect() {
        assert_eq!(
            to_connect(
                r#"{"type":"object","title":"foo.bar","additionalProperties":{"type":"integer","connect.type":"int32"},"connect.type":"map"}"#
            ),
            r#"{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"int32","optional":false},"optional":false,"name":"foo.bar"}"#
        );
        assert_eq!(
            to_connect(
                r#"{"type":"array","items":{"type":"object","properties":{"key":{"type":"integer","connect.type":"int8"},"value":{"type":"integer","connect.type":"int16"}}},"connect.type":"map"}"#
            ),
            r#"{"type":"map","keys":{"type":"int8","optional":false},"values":{"type":"int16","optional":false},"optional":false}"#
        );
        assert_eq!(
            to_connect(r#"{"type":"array","items":{"type":"integer","connect.type":"int8"}}"#),
            r#"{"type":"array","items":{"type":"int8","optional":false},"optional":false}"#
        );
        assert!(to_connect_err(r#"{"type":"array"}"#)
            .contains("Array schema did not specify the items type"));
    }

    /// testToConnectBase64Decimal, testToConnectNumericDecimal (both read as a Decimal),
    /// testFromConnectTimestampWithDefault read back.
    #[test]
    fn logical_types_to_connect() {
        let decimal = r#"{"type":"number","title":"org.apache.kafka.connect.data.Decimal","connect.type":"bytes","connect.parameters":{"scale":"2"}}"#;
        assert_eq!(
            to_connect(decimal),
            r#"{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"}}"#
        );
        let field = to_connect_schema(decimal, &JsonSchemaDataConfig::default()).unwrap();
        assert_eq!(
            field.data_type(),
            &arrow::datatypes::DataType::Decimal128(38, 2)
        );
        let ts = r#"{"title":"org.apache.kafka.connect.data.Timestamp","default":0,"type":"integer","connect.type":"int64","connect.version":1}"#;
        assert_eq!(
            to_connect(ts),
            r#"{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"default":0}"#
        );
    }

    /// testToConnectEnum, testToConnectEnumWithNull, testToConnectConst,
    /// testToConnectEnumInAllOf.
    #[test]
    fn enums_to_connect() {
        assert_eq!(
            to_connect(r#"{"enum":["one","two",null]}"#),
            r#"{"type":"string","optional":false,"parameters":{"io.confluent.connect.json.Enum":"","io.confluent.connect.json.Enum.one":"one","io.confluent.connect.json.Enum.two":"two","io.confluent.connect.json.Enum.<NULL>":"<NULL>"}}"#
        );
        assert_eq!(
            to_connect(r#"{"const":"one"}"#),
            r#"{"type":"string","optional":false,"parameters":{"io.confluent.connect.json.Enum":"","io.confluent.connect.json.Enum.one":"one"}}"#
        );
        assert_eq!(
            to_connect(r#"{"allOf":[{"type":"string"},{"enum":["a","b"]}]}"#),
            r#"{"type":"string","optional":false,"parameters":{"io.confluent.connect.json.Enum":"","io.confluent.connect.json.Enum.a":"a","io.confluent.connect.json.Enum.b":"b"}}"#
        );
    }

    /// testToConnectRecordWithOptionalReference (local `$ref`s, a reference next to
    /// `connect.index`), testCombinedSchemaAllOfRef (allOf next to properties).
    #[test]
    fn references_and_all_of_to_connect() {
        let event = r##"{"title":"Event","type":"object","properties":{"vehicle":{"$ref":"#/definitions/VehicleDto"}},
          "definitions":{"PriceDto":{"type":"object","required":["amount"],"properties":{"amount":{"type":"number","format":"decimal"}}},
          "VehicleDto":{"type":"object","required":["offerPrice","firstRegistrationDate"],"properties":{
            "offerPrice":{"connect.index":1,"$ref":"#/definitions/PriceDto"},
            "catalogPrice":{"connect.index":2,"oneOf":[{"type":"null"},{"$ref":"#/definitions/PriceDto"}]},
            "firstRegistrationDate":{"connect.index":3,"type":"string","format":"date-time"}}}}}"##;
        let s = to_connect_with(event, &cfg(&[("use.optional.for.nonrequired", "true")]));
        assert_eq!(
            s,
            r#"{"type":"struct","fields":[{"type":"struct","fields":[{"type":"struct","fields":[{"type":"double","optional":false,"field":"amount"}],"optional":false,"field":"offerPrice"},{"type":"struct","fields":[{"type":"double","optional":false,"field":"amount"}],"optional":true,"field":"catalogPrice"},{"type":"string","optional":false,"field":"firstRegistrationDate"}],"optional":true,"field":"vehicle"}],"optional":false,"name":"Event"}"#
        );
        let all_of = r##"{"allOf":[{"$ref":"#/definitions/MessageBase"},{"$ref":"#/definitions/MessageBase2"}],
          "title":"IdentifyUserMessage","type":"object","properties":{"prevUserId":{"type":"string"},"newUserId":{"type":"string"}},
          "definitions":{"MessageBase":{"properties":{"id":{"type":"string"},"type":{"type":"string"}}},
          "MessageBase2":{"properties":{"id2":{"type":"string"}}}}}"##;
        let field = to_connect_schema(all_of, &JsonSchemaDataConfig::default()).unwrap();
        let arrow::datatypes::DataType::Struct(fields) = field.data_type() else {
            panic!("{field:?}")
        };
        let mut names: Vec<&str> = fields.iter().map(|f| f.name().as_str()).collect();
        names.sort();
        assert_eq!(names, ["id", "id2", "newUserId", "prevUserId", "type"]);
        // A reference to another registered schema, by its reference name.
        let writer = ResolvedSchema {
            schema: r#"{"type":"object","properties":{"p":{"$ref":"price.json"}}}"#.into(),
            references: vec![(
                "price.json".into(),
                r#"{"type":"object","title":"Price","properties":{"amount":{"type":"integer"}}}"#
                    .into(),
            )],
        };
        let s = connect_schema(&writer, &JsonSchemaDataConfig::default(), Some(3)).unwrap();
        let mut out = Vec::new();
        s.write_json(&mut out, None);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"type":"struct","fields":[{"type":"struct","fields":[{"type":"int64","optional":false,"field":"amount"}],"optional":false,"name":"Price","field":"p"}],"optional":false,"version":3}"#
        );
    }

    /// "Included Kafka Connect version takes priority, fall back to schema registry version"
    /// (JsonSchemaData.toConnectSchema).
    #[test]
    fn connect_version_beats_the_registry_version() {
        let c = JsonSchemaDataConfig::default();
        let version = |text: &str| {
            connect_schema(&ResolvedSchema::plain(text), &c, Some(7))
                .unwrap()
                .version
        };
        assert_eq!(version(r#"{"type":"string","connect.version":2}"#), Some(2));
        assert_eq!(version(r#"{"type":"string"}"#), Some(7));
    }

    /// testToConnectUnion (refused: Strait has no union struct), testToConnectRecursiveSchema
    /// (refused), the variant (refused).
    #[test]
    fn unsupported_schemas_are_refused() {
        assert!(
            to_connect_err(r#"{"oneOf":[{"type":"integer"},{"type":"string"}]}"#)
                .contains("is not supported")
        );
        assert!(
            to_connect_err(r##"{"type":"object","properties":{"next":{"$ref":"#"}}}"##)
                .contains("recursive")
        );
        assert!(to_connect_err(
            r##"{"definitions":{"n":{"type":"object","properties":{"n":{"$ref":"#/definitions/n"}}}},"$ref":"#/definitions/n"}"##
        )
        .contains("recursive"));
        assert!(to_connect_err(r#"{}"#).contains("variant"));
        assert!(to_connect_err(r#"{"type":"array","items":{"type":"object","properties":{"key":{"oneOf":[{"type":"null"},{"type":"string"}]},"value":{"type":"integer"}}},"connect.type":"map"}"#).contains("optional map keys"));
    }

    // ---- Connect -> JSON Schema --------------------------------------------------------

    /// testFromConnectBoolean … testFromConnectString, testFromConnectNull (optional:
    /// oneOf null), testFromConnectEnum.
    #[test]
    fn primitives_from_connect() {
        let cases = [
            (r#"{"type":"boolean"}"#, r#"{"type":"boolean"}"#),
            (
                r#"{"type":"int8"}"#,
                r#"{"type":"integer","connect.type":"int8"}"#,
            ),
            (
                r#"{"type":"int16"}"#,
                r#"{"type":"integer","connect.type":"int16"}"#,
            ),
            (
                r#"{"type":"int32"}"#,
                r#"{"type":"integer","connect.type":"int32"}"#,
            ),
            (
                r#"{"type":"int64"}"#,
                r#"{"type":"integer","connect.type":"int64"}"#,
            ),
            (
                r#"{"type":"float"}"#,
                r#"{"type":"number","connect.type":"float32"}"#,
            ),
            (
                r#"{"type":"double"}"#,
                r#"{"type":"number","connect.type":"float64"}"#,
            ),
            (
                r#"{"type":"bytes"}"#,
                r#"{"type":"string","connect.type":"bytes"}"#,
            ),
            (r#"{"type":"string"}"#, r#"{"type":"string"}"#),
            (
                r#"{"type":"boolean","optional":true}"#,
                r#"{"oneOf":[{"type":"null"},{"type":"boolean"}]}"#,
            ),
            (
                r#"{"type":"string","parameters":{"io.confluent.connect.json.Enum":"","io.confluent.connect.json.Enum.one":"one","io.confluent.connect.json.Enum.<NULL>":"<NULL>"}}"#,
                r#"{"enum":["one",null]}"#,
            ),
        ];
        for (connect, json_schema) in cases {
            assert_eq!(from_connect(connect), json_schema, "{connect}");
        }
    }

    /// testFromConnectBase64Decimal, testFromConnectNumericDecimal,
    /// testFromConnectTimestampWithDefault.
    #[test]
    fn logical_types_from_connect() {
        let decimal = r#"{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}}"#;
        assert_eq!(
            from_connect(decimal),
            r#"{"title":"org.apache.kafka.connect.data.Decimal","type":"string","connect.parameters":{"scale":"2"},"connect.type":"bytes","connect.version":1}"#
        );
        assert_eq!(
            from_connect_with(decimal, &cfg(&[("decimal.format", "numeric")])),
            r#"{"title":"org.apache.kafka.connect.data.Decimal","type":"number","connect.parameters":{"scale":"2"},"connect.type":"bytes","connect.version":1}"#
        );
        assert_eq!(
            from_connect(
                r#"{"type":"int64","name":"org.apache.kafka.connect.data.Timestamp","version":1,"default":0}"#
            ),
            r#"{"title":"org.apache.kafka.connect.data.Timestamp","default":0,"type":"integer","connect.type":"int64","connect.version":1}"#
        );
    }

    /// testFromConnectMapWithStringKey, testFromConnectMapWithNonStringKey,
    /// testFromNamedConnectMap, testFromConnectRecordWithMissingNonoptional's schema
    /// (connect.index on each property), object.additional.properties=false.
    #[test]
    fn containers_from_connect() {
        assert_eq!(
            from_connect(
                r#"{"type":"map","keys":{"type":"string"},"values":{"type":"int32"},"name":"foo.bar"}"#
            ),
            r#"{"title":"foo.bar","type":"object","additionalProperties":{"type":"integer","connect.type":"int32"},"connect.type":"map"}"#
        );
        assert_eq!(
            from_connect(r#"{"type":"map","keys":{"type":"int32"},"values":{"type":"int32"}}"#),
            r#"{"type":"array","items":{"type":"object","properties":{"key":{"type":"integer","connect.index":0,"connect.type":"int32"},"value":{"type":"integer","connect.index":1,"connect.type":"int32"}}},"connect.type":"map"}"#
        );
        let record = r#"{"type":"struct","name":"Record","fields":[{"type":"int8","field":"int8"},{"type":"string","optional":true,"field":"string"},{"type":"struct","optional":true,"fields":[{"type":"int32","field":"x"}],"field":"inner"}]}"#;
        assert_eq!(
            from_connect(record),
            r#"{"title":"Record","type":"object","properties":{"int8":{"type":"integer","connect.index":0,"connect.type":"int8"},"string":{"oneOf":[{"type":"null"},{"type":"string"}],"connect.index":1},"inner":{"oneOf":[{"type":"null"},{"type":"object","properties":{"x":{"type":"integer","connect.index":0,"connect.type":"int32"}}}],"connect.index":2}}}"#
        );
        assert_eq!(
            from_connect_with(
                r#"{"type":"struct","fields":[{"type":"int8","field":"a"}]}"#,
                &cfg(&[("object.additional.properties", "false")])
            ),
            r#"{"type":"object","properties":{"a":{"type":"integer","connect.index":0,"connect.type":"int8"}},"additionalProperties":false}"#
        );
    }

    /// Connect -> JSON Schema -> Connect is the identity (every attribute Connect has).
    #[test]
    fn connect_json_schema_connect_is_identity() {
        let c = JsonSchemaDataConfig::default();
        for connect in [
            r#"{"type":"struct","fields":[{"type":"int8","optional":false,"field":"a"},{"type":"bytes","optional":true,"field":"b"},{"type":"array","items":{"type":"double","optional":false},"optional":false,"field":"c"},{"type":"map","keys":{"type":"int64","optional":false},"values":{"type":"string","optional":true},"optional":false,"field":"d"},{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","version":1,"field":"e"},{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"3"},"field":"f"},{"type":"string","optional":false,"default":"x","field":"g"}],"optional":false,"name":"n.R","version":4,"doc":"a record","parameters":{"k":"v"}}"#,
            r#"{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"struct","fields":[{"type":"boolean","optional":true,"field":"z"}],"optional":true},"optional":true}"#,
        ] {
            let s = parse_connect(connect, &c);
            let json_schema = schema::from_connect(&s, &c).unwrap().to_string();
            assert_eq!(to_connect(&json_schema), connect, "via {json_schema}");
        }
    }

    // ---- values ----------------------------------------------------------------------------

    fn decoder(json_schema: &str) -> JsonSchemaDecoder {
        JsonSchemaDecoder::new(
            &ResolvedSchema::plain(json_schema),
            &JsonSchemaDataConfig::default(),
            None,
            "t",
        )
        .unwrap()
    }

    fn decode(json_schema: &str, bodies: &[Option<&str>]) -> (ArrayRef, Vec<RowError>) {
        let bodies: Vec<Option<&[u8]>> = bodies.iter().map(|b| b.map(str::as_bytes)).collect();
        decoder(json_schema).decode(&bodies).unwrap()
    }

    /// testToConnectRecord, testToConnectRecordWithOptionalNullValue,
    /// testToConnectMapNonStringKeys, testToConnectBase64Decimal / NumericDecimal values.
    #[test]
    fn decode_values() {
        let schema = r#"{"type":"object","properties":{
            "i":{"type":"integer","connect.type":"int8"},
            "s":{"oneOf":[{"type":"null"},{"type":"string"}]},
            "m":{"type":"array","items":{"type":"object","properties":{"key":{"type":"integer","connect.type":"int8"},"value":{"type":"integer","connect.type":"int16"}}},"connect.type":"map"},
            "d":{"type":"number","title":"org.apache.kafka.connect.data.Decimal","connect.type":"bytes","connect.parameters":{"scale":"2"}},
            "b":{"type":"string","connect.type":"bytes","default":"AQI="}}}"#;
        let (array, errors) = decode(
            schema,
            &[
                Some(r#"{"i":12,"s":"x","m":[{"key":12,"value":16}],"d":1.56,"b":"Zm9v"}"#),
                Some(r#"{"i":-1,"s":null,"m":[],"d":"AJw=","extra":[1,2]}"#),
                None,
                Some("null"),
            ],
        );
        assert!(errors.is_empty(), "{errors:?}");
        let st = array.as_struct();
        assert_eq!(st.len(), 4);
        assert!(st.is_null(2) && st.is_null(3));
        let i = st.column(0).as_primitive::<Int8Type>();
        assert_eq!((i.value(0), i.value(1)), (12, -1));
        let s = st.column(1).as_string::<i32>();
        assert_eq!(s.value(0), "x");
        assert!(s.is_null(1));
        let m = st.column(2).as_map();
        assert_eq!(m.keys().as_primitive::<Int8Type>().values(), &[12]);
        assert_eq!(m.values().as_primitive::<Int16Type>().values(), &[16]);
        assert_eq!(m.value_length(1), 0);
        let d = st.column(3).as_primitive::<Decimal128Type>();
        // 1.56 as a number and [0, -100] (156) as base64 bytes.
        assert_eq!((d.value(0), d.value(1)), (156, 156));
        let b = st.column(4).as_binary::<i32>();
        // A missing member takes the schema default.
        assert_eq!((b.value(0), b.value(1)), (&b"foo"[..], &[1u8, 2][..]));
    }

    /// Malformed JSON, a value of the wrong kind, a missing required member
    /// (testToConnectRecordWithMissingNonoptional: Java leaves it null in a Struct that would
    /// not validate; Strait makes it a row error) are row errors; the other rows decode.
    #[test]
    fn bad_rows_are_row_errors() {
        let schema = r#"{"type":"object","properties":{"a":{"type":"integer","connect.type":"int32"},"b":{"type":"string"}}}"#;
        let (array, errors) = decode(
            schema,
            &[
                Some(r#"{"a":1,"b":"x"}"#),
                Some(r#"{"a":1,"b":"#),
                Some(r#"{"a":"one","b":"x"}"#),
                Some(r#"{"a":2}"#),
                Some(r#"{"a":3,"b":"y"} trailing"#),
                Some(&*String::from_utf8_lossy(b"{\"a\":4,\"b\":\"z\"}")),
            ],
        );
        let rows: Vec<usize> = errors.iter().map(|e| e.row).collect();
        assert_eq!(rows, [1, 2, 3, 4]);
        assert!(errors[0]
            .error
            .message()
            .contains("serialization error of topic t"));
        assert!(errors[2]
            .error
            .message()
            .contains("Invalid null value for required STRING field"));
        let a = array.as_struct().column(0).as_primitive::<Int32Type>();
        assert_eq!((a.value(0), a.value(5)), (1, 4));
        assert!((1..5).all(|r| array.is_null(r)));
        // Invalid UTF-8 is a row error too.
        let mut d = decoder(r#"{"type":"string"}"#);
        let (array, errors) = d
            .decode(&[Some(&b"\"\xff\""[..]), Some(b"\"ok\"")])
            .unwrap();
        assert_eq!(errors.len(), 1);
        assert_eq!(array.as_string::<i32>().value(1), "ok");
    }

    /// testFromConnectBytes, testFromConnectBase64Decimal, testFromConnectNumericDecimal,
    /// testFromConnectMapWithNonStringKey values; then they read back as they were.
    #[test]
    fn encode_then_decode_round_trips() {
        let schema = r#"{"type":"object","properties":{
            "b":{"type":"string","connect.type":"bytes"},
            "d":{"type":"string","title":"org.apache.kafka.connect.data.Decimal","connect.type":"bytes","connect.parameters":{"scale":"2"}},
            "m":{"type":"array","items":{"type":"object","properties":{"key":{"type":"integer","connect.type":"int32"},"value":{"type":"integer","connect.type":"int32"}}},"connect.type":"map"},
            "o":{"oneOf":[{"type":"null"},{"type":"integer"}]}}}"#;
        let bodies = [
            Some(r#"{"b":"Zm9v","d":"AJw=","m":[{"key":54,"value":32}],"o":null}"#),
            Some(r#"{"b":"","d":"/2Q=","m":[],"o":7}"#),
        ];
        let (array, errors) = decode(schema, &bodies);
        assert!(errors.is_empty(), "{errors:?}");
        let field = decoder(schema).field().clone();
        let (out, errors) = encode(&field, &array, &JsonSchemaDataConfig::default()).unwrap();
        assert!(errors.is_empty());
        let out: Vec<Option<String>> = out
            .into_iter()
            .map(|b| b.map(|b| String::from_utf8(b).unwrap()))
            .collect();
        assert_eq!(
            out,
            bodies
                .iter()
                .map(|b| b.map(str::to_string))
                .collect::<Vec<_>>()
        );
        // decimal.format=NUMERIC writes numbers.
        let numeric = cfg(&[("decimal.format", "NUMERIC")]);
        let (out, _) = encode(&field, &array, &numeric).unwrap();
        assert!(String::from_utf8(out[0].clone().unwrap())
            .unwrap()
            .contains(r#""d":1.56"#));
    }

    /// testFromConnectNull: a null optional value is the JSON `null` under the schema (Java's
    /// NullNode), a null required value is no payload; a default stands in for a null.
    #[test]
    fn encode_nulls() {
        let c = JsonSchemaDataConfig::default();
        let column: ArrayRef = Arc::new(arrow::array::Int64Array::from(vec![Some(1), None]));
        let optional = Field::new("v", arrow::datatypes::DataType::Int64, true);
        let (out, _) = encode(&optional, &column, &c).unwrap();
        assert_eq!(out, [Some(b"1".to_vec()), Some(b"null".to_vec())]);
        let required = optional.clone().with_metadata(HashMap::from([(
            strait_engine::schema::OPTIONAL.to_string(),
            "false".to_string(),
        )]));
        let (out, _) = encode(&required, &column, &c).unwrap();
        assert_eq!(out, [Some(b"1".to_vec()), None]);
        let defaulted = required.clone().with_metadata(HashMap::from([
            (
                strait_engine::schema::OPTIONAL.to_string(),
                "false".to_string(),
            ),
            (strait_engine::schema::DEFAULT.to_string(), "5".to_string()),
        ]));
        let (out, _) = encode(&defaulted, &column, &c).unwrap();
        assert_eq!(out, [Some(b"1".to_vec()), Some(b"5".to_vec())]);
        let column: ArrayRef = Arc::new(BinaryArray::from(vec![&b"\x00"[..]]));
        let int = Field::new("v", arrow::datatypes::DataType::Int64, true);
        assert!(
            encode(&int, &column, &c).is_err(),
            "a column not of its schema"
        );
    }

    #[test]
    fn unsupported_settings_are_refused() {
        for key in [
            "generalized.sum.type.support",
            "preserve.additional.properties",
            "json.fail.invalid.schema",
            "json.indent.output",
        ] {
            let err = cfg(&[(key, "true")]).refuse_unsupported().unwrap_err();
            assert!(err.message().contains(key), "{err}");
        }
        assert!(JsonSchemaDataConfig::parse(&props_from(&[("decimal.format", "hex")])).is_err());
        let c = JsonSchemaDataConfig::default();
        assert!(!c.decimal_numeric && c.object_additional_properties && c.flatten_singleton_unions);
        assert!(!c.use_optional_for_nonrequired);
    }
}
