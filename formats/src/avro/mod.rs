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

pub mod converter;
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
        /// Only used Connect -> Avro (a null where the schema has a default); refused when
        /// true there.
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
    if config.scrub_invalid_names
        || config.allow_optional_map_keys
        || config.ignore_default_for_nullables
    {
        return Err(Error::config(
            "scrub.invalid.names=true, allow.optional.map.keys=true and ignore.default.for.nullables=true are not supported by Strait's AvroConverter when writing Avro",
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
    write::avro_schema_json(field, config.enhanced_avro_schema_support)
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
        match write::write_value(
            &s,
            column.as_ref(),
            row,
            &mut body,
            config.enhanced_avro_schema_support,
        ) {
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

#[cfg(test)]
mod tests {
    //! Golden cases follow schema-registry's
    //! `avro-data/src/test/java/io/confluent/connect/avro/AvroDataTest.java` (read in the
    //! mirror); each test names the Java test it follows. Expected Connect schemas are written
    //! in JsonConverter's envelope schema JSON, which spells every Connect attribute.
    use super::*;
    use crate::json::connect::ConnectSchema;
    use crate::json::scan::Scanner;
    use crate::json::Opts;
    use arrow::array::{
        Array, AsArray, BinaryArray, Int32Array, Int64Array, ListArray, MapArray, StringArray,
        StructArray,
    };
    use arrow::datatypes::{Date32Type, Decimal128Type, Int16Type, Int32Type, Int64Type, Int8Type};
    use std::sync::Arc;

    fn cfg() -> AvroDataConfig {
        AvroDataConfig::default()
    }

    fn connect(text: &str) -> ConnectSchema {
        ConnectSchema::parse(&mut Scanner::new(text.as_bytes()), &Opts::default())
            .ok()
            .flatten()
            .unwrap()
    }

    /// The Connect schema AvroData makes of `avro`, read back from the Arrow field.
    fn to_connect(avro: &str, config: &AvroDataConfig) -> ConnectSchema {
        let field = to_connect_schema(avro, config).unwrap();
        ConnectSchema::from_field(&field, &Opts::default()).unwrap()
    }

    fn assert_schema(avro: &str, expected: &str) {
        assert_eq!(to_connect(avro, &cfg()), connect(expected), "{avro}");
    }

    /// testToConnectBoolean / Int32 / Int64 / Float32 / Float64 / String / Bytes / Int8 / Int16.
    #[test]
    fn primitives() {
        assert_schema(r#""boolean""#, r#"{"type":"boolean","optional":false}"#);
        assert_schema(r#""int""#, r#"{"type":"int32","optional":false}"#);
        assert_schema(r#""long""#, r#"{"type":"int64","optional":false}"#);
        assert_schema(r#""float""#, r#"{"type":"float","optional":false}"#);
        assert_schema(r#""double""#, r#"{"type":"double","optional":false}"#);
        assert_schema(r#""string""#, r#"{"type":"string","optional":false}"#);
        assert_schema(r#""bytes""#, r#"{"type":"bytes","optional":false}"#);
        assert_schema(
            r#"{"type":"int","connect.type":"int8"}"#,
            r#"{"type":"int8","optional":false}"#,
        );
        assert_schema(
            r#"{"type":"int","connect.type":"int16"}"#,
            r#"{"type":"int16","optional":false}"#,
        );
        // testToConnectNullType: a standalone null is refused with Java's message.
        let err = to_connect_schema(r#""null""#, &cfg()).unwrap_err();
        assert_eq!(
            err.message(),
            "Standalone null schemas are not supported by this converter"
        );
    }

    /// testToConnectDecimalAvro, testToConnectDecimalAvroFixed,
    /// testToConnectDecimalAvroDefaultScale, testToConnectDateAvro, testToConnectTimeAvro,
    /// testToConnectTimestampAvro.
    #[test]
    fn logical_types() {
        assert_schema(
            r#"{"type":"bytes","logicalType":"decimal","precision":50,"scale":2}"#,
            r#"{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2","connect.decimal.precision":"50"}}"#,
        );
        assert_schema(
            r#"{"type":"fixed","name":"fixed","size":100,"logicalType":"decimal","precision":50,"scale":2}"#,
            r#"{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2","connect.decimal.precision":"50","connect.fixed.size":"100"}}"#,
        );
        assert_schema(
            r#"{"type":"bytes","logicalType":"decimal","precision":50}"#,
            r#"{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"0","connect.decimal.precision":"50"}}"#,
        );
        // The default precision (64) is not captured as a parameter.
        assert_schema(
            r#"{"type":"bytes","logicalType":"decimal","precision":64,"scale":1}"#,
            r#"{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"1"}}"#,
        );
        assert_schema(
            r#"{"type":"int","logicalType":"date"}"#,
            r#"{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","version":1}"#,
        );
        assert_schema(
            r#"{"type":"int","logicalType":"time-millis"}"#,
            r#"{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Time","version":1}"#,
        );
        assert_schema(
            r#"{"type":"long","logicalType":"timestamp-millis"}"#,
            r#"{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1}"#,
        );
        // A fixed that is not a decimal keeps its name and size (testToConnectFixed).
        assert_schema(
            r#"{"type":"fixed","name":"sample","size":4}"#,
            r#"{"type":"bytes","optional":false,"name":"sample","parameters":{"connect.fixed.size":"4"}}"#,
        );
        let field = to_connect_schema(
            r#"{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}"#,
            &cfg(),
        )
        .unwrap();
        assert_eq!(
            field.data_type(),
            &arrow::datatypes::DataType::Decimal128(38, 2)
        );
    }

    /// testToConnectNullableString, testToConnectOptionalPrimitiveWithConnectMetadata.
    #[test]
    fn optional_unions_and_connect_properties() {
        assert_schema(
            r#"["null","string"]"#,
            r#"{"type":"string","optional":true}"#,
        );
        assert_schema(
            r#"[{"type":"string","connect.name":"io.confluent.stringtype","connect.version":2,"connect.doc":"doc","connect.default":"foo","connect.parameters":{"foo":"bar","baz":"baz"}},"null"]"#,
            r#"{"type":"string","optional":true,"name":"io.confluent.stringtype","version":2,"doc":"doc","parameters":{"foo":"bar","baz":"baz"},"default":"foo"}"#,
        );
        // connect.meta.data=false drops doc and parameters (AvroData's connectMetaData).
        let mut no_meta = cfg();
        no_meta.connect_meta_data = false;
        assert_eq!(
            to_connect(
                r#"[{"type":"string","connect.name":"n","connect.doc":"doc","connect.parameters":{"foo":"bar"}},"null"]"#,
                &no_meta
            ),
            connect(r#"{"type":"string","optional":true,"name":"n"}"#)
        );
        let err = to_connect_schema(r#"{"type":"int","connect.version":"x"}"#, &cfg()).unwrap_err();
        assert_eq!(err.message(), "Invalid Connect version found: x");
    }

    /// testToConnectRecordWithMetadata: record/field docs become parameters, an Avro field
    /// default without connect.default sets io.confluent.connect.avro.field.default.
    #[test]
    fn records_with_metadata_and_defaults() {
        let avro = r#"{"type":"record","name":"TestSchema","namespace":"io.confluent.test","fields":[
            {"name":"int32","type":"int","doc":"field doc","default":7}],
            "connect.name":"io.confluent.test.TestSchema","connect.version":12,"connect.doc":"doc"}"#;
        assert_schema(
            avro,
            r#"{"type":"struct","fields":[{"type":"int32","optional":false,"default":7,"parameters":{"io.confluent.connect.avro.field.default":"true"},"field":"int32"}],
               "optional":false,"name":"io.confluent.test.TestSchema","version":12,"doc":"doc",
               "parameters":{"io.confluent.connect.avro.field.doc.int32":"field doc"}}"#,
        );
        // testToConnectRecordWithOptionalValue / testToConnectNestedRecordWithOptionalRecordValue:
        // nested optional records, array and map defaults.
        assert_schema(
            r#"{"type":"record","name":"Outer","fields":[
                {"name":"inner","type":["null",{"type":"record","name":"Inner","fields":[{"name":"x","type":"long"}]}],"default":null},
                {"name":"list","type":{"type":"array","items":"int"},"default":[1,2]},
                {"name":"m","type":{"type":"map","values":"string"},"default":{"a":"b"}},
                {"name":"b","type":"bytes","default":"\u00ff"}]}"#,
            r#"{"type":"struct","fields":[
                {"type":"struct","fields":[{"type":"int64","optional":false,"field":"x"}],"optional":true,"name":"Inner","field":"inner"},
                {"type":"array","items":{"type":"int32","optional":false},"optional":false,"default":[1,2],"parameters":{"io.confluent.connect.avro.field.default":"true"},"field":"list"},
                {"type":"map","keys":{"type":"string","optional":false},"values":{"type":"string","optional":false},"optional":false,"default":{"a":"b"},"parameters":{"io.confluent.connect.avro.field.default":"true"},"field":"m"},
                {"type":"bytes","optional":false,"default":"/w==","parameters":{"io.confluent.connect.avro.field.default":"true"},"field":"b"}],
               "optional":false,"name":"Outer"}"#,
        );
    }

    /// testToConnectEnum.
    #[test]
    fn enums() {
        assert_schema(
            r#"{"type":"enum","name":"TestEnum","doc":"some documentation","symbols":["foo","bar","baz"]}"#,
            r#"{"type":"string","optional":false,"name":"TestEnum","parameters":{
                "io.confluent.connect.avro.enum.doc.TestEnum":"some documentation",
                "io.confluent.connect.avro.Enum":"TestEnum",
                "io.confluent.connect.avro.Enum.foo":"foo","io.confluent.connect.avro.Enum.bar":"bar",
                "io.confluent.connect.avro.Enum.baz":"baz"}}"#,
        );
    }

    const UNION: &str = r#"["int","string",
        {"type":"record","name":"Test1","fields":[{"name":"test","type":"int"}]},
        {"type":"record","name":"Test2","namespace":"io.confluent","fields":[{"name":"test","type":"int"}]}]"#;

    /// testToConnectUnion and testToConnectUnionWithEnhanced (member names are full names).
    #[test]
    fn general_unions() {
        assert_schema(
            UNION,
            r#"{"type":"struct","fields":[
                {"type":"int32","optional":true,"field":"int"},
                {"type":"string","optional":true,"field":"string"},
                {"type":"struct","fields":[{"type":"int32","optional":false,"field":"test"}],"optional":true,"name":"Test1","field":"Test1"},
                {"type":"struct","fields":[{"type":"int32","optional":false,"field":"test"}],"optional":true,"name":"io.confluent.Test2","field":"Test2"}],
               "optional":false,"name":"io.confluent.connect.avro.Union"}"#,
        );
        let mut enhanced = cfg();
        enhanced.enhanced_avro_schema_support = true;
        let s = to_connect(UNION, &enhanced);
        let crate::json::connect::Type::Struct(members) = &s.ty else {
            panic!("{s:?}")
        };
        let names: Vec<&str> = members.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["int", "string", "Test1", "io.confluent.Test2"]);
        // testToConnectSingletonUnion: flattened by default.
        assert_schema(r#"["string"]"#, r#"{"type":"string","optional":false}"#);
        // testToConnectUnionRecordConflict.
        let err = to_connect_schema(
            r#"[{"type":"record","name":"a.R","fields":[]},{"type":"record","name":"b.R","fields":[]}]"#,
            &cfg(),
        )
        .unwrap_err();
        assert_eq!(
            err.message(),
            "Multiple union schemas map to the Connect union field name"
        );
    }

    /// testToConnectMapNonStringKeys, testToConnectMapStringKeys, testToConnectArray.
    #[test]
    fn maps_and_arrays() {
        assert_schema(
            r#"{"type":"array","items":{"type":"record","name":"MapEntry","namespace":"io.confluent.connect.avro","fields":[
                {"name":"key","type":{"type":"int","connect.type":"int8"}},
                {"name":"value","type":{"type":"int","connect.type":"int16"}}]}}"#,
            r#"{"type":"map","keys":{"type":"int8","optional":false},"values":{"type":"int16","optional":false},"optional":false}"#,
        );
        assert_schema(
            r#"{"type":"map","values":"int"}"#,
            r#"{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"int32","optional":false},"optional":false}"#,
        );
        assert_schema(
            r#"{"type":"array","items":["null","string"]}"#,
            r#"{"type":"array","items":{"type":"string","optional":true},"optional":false}"#,
        );
    }

    #[test]
    fn recursive_and_unsupported_settings_are_refused() {
        let err = to_connect_schema(
            r#"{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"]}]}"#,
            &cfg(),
        )
        .unwrap_err();
        assert!(err.message().contains("recursive"), "{err}");
        let mut c = cfg();
        c.generalized_sum_type_support = true;
        assert!(to_connect_schema(r#""int""#, &c).is_err());
    }

    // ---- round trips: Connect -> Avro -> Connect -------------------------------------------

    /// The Connect schema of every type, as the S3 AvroFormat test builds it (see
    /// storage/avro.rs `schema_matches_avro_data`), goes to Avro and back unchanged.
    #[test]
    fn connect_avro_connect_is_identity() {
        let cases = [
            r#"{"type":"int8","optional":false}"#,
            r#"{"type":"int16","optional":true}"#,
            r#"{"type":"int32","optional":false,"default":7}"#,
            r#"{"type":"string","optional":true,"default":"x","doc":"d","name":"n.S","version":3,"parameters":{"a":"b"}}"#,
            r#"{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}}"#,
            r#"{"type":"int32","optional":true,"name":"org.apache.kafka.connect.data.Date","version":1}"#,
            r#"{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1}"#,
            r#"{"type":"array","items":{"type":"double","optional":true},"optional":false}"#,
            r#"{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"int64","optional":true},"optional":false}"#,
            r#"{"type":"map","keys":{"type":"int32","optional":false},"values":{"type":"string","optional":false},"optional":false}"#,
            r#"{"type":"struct","fields":[
                {"type":"int64","optional":false,"field":"id"},
                {"type":"string","optional":true,"field":"name"},
                {"type":"struct","fields":[{"type":"boolean","optional":false,"field":"ok"}],"optional":true,"name":"x.Inner","field":"inner"},
                {"type":"float","optional":false,"default":1.5,"field":"f"}],
               "optional":false,"name":"com.example.Row","version":2}"#,
        ];
        for text in cases {
            let s = connect(text);
            let node = crate::json::decode::Node::for_schema(&s, FIELD_NAME, true, false).unwrap();
            let avro = from_connect_schema(&node.field, &cfg()).unwrap();
            assert_eq!(to_connect(&avro, &cfg()), s, "{text} -> {avro}");
        }
    }

    // ---- decoding --------------------------------------------------------------------------

    fn decode(avro: &str, bodies: &[Option<&[u8]>]) -> (ArrayRef, Vec<RowError>) {
        let mut d = AvroDecoder::new(avro, &cfg()).unwrap();
        let (a, e) = d.decode(bodies.iter().copied()).unwrap();
        assert_eq!(a.data_type(), d.field().data_type());
        (a, e)
    }

    /// testToConnectRecord: hand-built Avro binary of a record with every primitive.
    #[test]
    fn decode_record_of_primitives_from_known_bytes() {
        let avro = r#"{"type":"record","name":"R","fields":[
            {"name":"i8","type":{"type":"int","connect.type":"int8"}},
            {"name":"i16","type":{"type":"int","connect.type":"int16"}},
            {"name":"i32","type":"int"},{"name":"i64","type":"long"},
            {"name":"f","type":"float"},{"name":"d","type":"double"},
            {"name":"b","type":"boolean"},{"name":"s","type":"string"},{"name":"y","type":"bytes"},
            {"name":"o","type":["null","string"]}]}"#;
        let mut row = vec![
            0x18, // 12
            0x20, // 16
            0x03, // -2
            0xac, 0x02, // 150
        ];
        row.extend(12.5f32.to_le_bytes());
        row.extend((-1.25f64).to_le_bytes());
        row.push(1);
        row.extend([0x06, b'a', b'b', b'c']);
        row.extend([0x04, 0xde, 0xad]);
        row.extend([0x02, 0x02, b'z']); // branch 1, "z"
        let mut row2 = row.clone();
        *row2.last_mut().unwrap() = 0; // placeholder, rebuilt below
        row2.truncate(row2.len() - 3);
        row2.push(0x00); // branch 0: null
        let (a, errors) = decode(avro, &[Some(&row), Some(&row2), None]);
        assert!(errors.is_empty(), "{errors:?}");
        let st = a.as_struct();
        assert_eq!(st.column(0).as_primitive::<Int8Type>().value(0), 12);
        assert_eq!(st.column(1).as_primitive::<Int16Type>().value(0), 16);
        assert_eq!(st.column(2).as_primitive::<Int32Type>().value(0), -2);
        assert_eq!(st.column(3).as_primitive::<Int64Type>().value(0), 150);
        assert_eq!(
            st.column(4)
                .as_primitive::<arrow::datatypes::Float32Type>()
                .value(0),
            12.5
        );
        assert_eq!(
            st.column(5)
                .as_primitive::<arrow::datatypes::Float64Type>()
                .value(0),
            -1.25
        );
        assert!(st.column(6).as_boolean().value(0));
        assert_eq!(st.column(7).as_string::<i32>().value(0), "abc");
        assert_eq!(st.column(8).as_binary::<i32>().value(0), &[0xde, 0xad]);
        assert_eq!(st.column(9).as_string::<i32>().value(0), "z");
        assert!(st.column(9).is_null(1));
        assert!(a.is_null(2), "a missing body is a null row");
    }

    /// testToConnectDecimalAvro (TEST_DECIMAL_BYTES {0, -100} = 156 at scale 2),
    /// testToConnectDateAvro, arrays, string maps and MapEntry maps
    /// (testToConnectMapNonStringKeys), enums (testToConnectEnum) and unions
    /// (testToConnectUnion).
    #[test]
    fn decode_logical_containers_enums_unions() {
        let avro = r#"{"type":"record","name":"R","fields":[
            {"name":"dec","type":{"type":"bytes","logicalType":"decimal","precision":50,"scale":2}},
            {"name":"date","type":{"type":"int","logicalType":"date"}},
            {"name":"arr","type":{"type":"array","items":"long"}},
            {"name":"m","type":{"type":"map","values":"int"}},
            {"name":"e","type":{"type":"array","items":{"type":"record","name":"MapEntry","namespace":"io.confluent.connect.avro","fields":[
                {"name":"key","type":{"type":"int","connect.type":"int8"}},{"name":"value","type":{"type":"int","connect.type":"int16"}}]}}},
            {"name":"en","type":{"type":"enum","name":"TestEnum","symbols":["foo","bar","baz"]}},
            {"name":"u","type":["int","string"]}]}"#;
        let mut row = vec![0x04, 0x00, 0x9c]; // bytes {0, -100}
        row.push(0x02); // date 1
                        // Array as two blocks, the second with a negative count and byte size.
        row.extend([0x02, 0x02, 0x01, 0x04, 0x06, 0x00]); // [1] then (-1 items, 2 bytes) [3]
        row.extend([0x02, 0x02, b'k', 0x0e, 0x00]); // {"k": 7}
        row.extend([0x02, 0x18, 0x20, 0x00]); // {12: 16}
        row.push(0x02); // "bar"
        row.extend([0x02, 0x04, b'h', b'i']); // branch 1 (string) "hi"
        let (a, errors) = decode(avro, &[Some(&row)]);
        assert!(errors.is_empty(), "{errors:?}");
        let st = a.as_struct();
        assert_eq!(st.column(0).as_primitive::<Decimal128Type>().value(0), 156);
        assert_eq!(st.column(1).as_primitive::<Date32Type>().value(0), 1);
        let arr = st.column(2).as_any().downcast_ref::<ListArray>().unwrap();
        assert_eq!(
            arr.value(0).as_primitive::<Int64Type>().values().to_vec(),
            vec![1, 3]
        );
        let m = st.column(3).as_any().downcast_ref::<MapArray>().unwrap();
        assert_eq!(m.keys().as_string::<i32>().value(0), "k");
        assert_eq!(m.values().as_primitive::<Int32Type>().value(0), 7);
        let e = st.column(4).as_any().downcast_ref::<MapArray>().unwrap();
        assert_eq!(e.keys().as_primitive::<Int8Type>().value(0), 12);
        assert_eq!(e.values().as_primitive::<Int16Type>().value(0), 16);
        assert_eq!(st.column(5).as_string::<i32>().value(0), "bar");
        let u = st.column(6).as_any().downcast_ref::<StructArray>().unwrap();
        assert!(u.column(0).is_null(0));
        assert_eq!(u.column(1).as_string::<i32>().value(0), "hi");
    }

    /// Malformed bodies are row errors with AvroConverter's message; the other rows decode.
    #[test]
    fn malformed_bodies_are_row_errors() {
        let avro = r#"{"type":"record","name":"R","fields":[{"name":"s","type":"string"},{"name":"u","type":["null","int"]}]}"#;
        let good: &[u8] = &[0x02, b'a', 0x02, 0x04];
        let truncated: &[u8] = &[0x06, b'a'];
        let bad_union: &[u8] = &[0x00, 0x0a];
        let negative: &[u8] = &[0x05];
        let long_varint: &[u8] = &[0xff; 11];
        let mut d = AvroDecoder::new(avro, &cfg()).unwrap();
        d.set_context("t", 42);
        let (a, errors) = d
            .decode([
                Some(good),
                Some(truncated),
                Some(bad_union),
                Some(negative),
                Some(long_varint),
                Some(good),
            ])
            .unwrap();
        assert_eq!(a.len(), 6);
        let rows: Vec<usize> = errors.iter().map(|e| e.row).collect();
        assert_eq!(rows, vec![1, 2, 3, 4]);
        let prefix = "Failed to deserialize data for topic t to Avro: Error deserializing Avro message for id 42: ";
        assert!(errors.iter().all(|e| e.error.message().starts_with(prefix)));
        assert!(errors[1]
            .error
            .message()
            .ends_with("Index 5 out of bounds for length 2"));
        assert!(errors[2]
            .error
            .message()
            .ends_with("Malformed data. Length is negative: -3"));
        let st = a.as_struct();
        assert!(a.is_valid(0) && a.is_valid(5));
        assert!((1..5).all(|i| a.is_null(i)));
        assert_eq!(st.column(0).as_string::<i32>().value(5), "a");
        assert_eq!(st.column(1).as_primitive::<Int32Type>().value(5), 2);
    }

    /// Hostile block counts neither allocate nor loop for ever; arbitrary bytes never panic.
    #[test]
    fn decode_is_total() {
        let avro = r#"{"type":"record","name":"R","fields":[
            {"name":"a","type":{"type":"array","items":{"type":"record","name":"E","fields":[]}}},
            {"name":"m","type":{"type":"map","values":"double"}},
            {"name":"u","type":["null","string",{"type":"enum","name":"En","symbols":["x"]}]}]}"#;
        let huge = [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        let mut d = AvroDecoder::new(avro, &cfg()).unwrap();
        let (_, errors) = d.decode([Some(&huge[..])]).unwrap();
        assert_eq!(errors.len(), 1);
        let mut seed = 0x9e3779b97f4a7c15u64;
        let bodies: Vec<Vec<u8>> = (0..2000)
            .map(|i| {
                (0..(i % 40))
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        seed as u8
                    })
                    .collect()
            })
            .collect();
        let (a, _) = d.decode(bodies.iter().map(|b| Some(b.as_slice()))).unwrap();
        assert_eq!(a.len(), 2000);
    }

    // ---- encoding --------------------------------------------------------------------------

    /// Encoded bodies decode back to the same column (and match hand-built bytes).
    #[test]
    fn encode_then_decode_round_trips() {
        let avro = r#"{"type":"record","name":"R","namespace":"x","fields":[
            {"name":"id","type":"long"},{"name":"name","type":["null","string"],"default":null},
            {"name":"tags","type":{"type":"array","items":"string"}},
            {"name":"m","type":{"type":"array","items":{"type":"record","name":"MapEntry","namespace":"io.confluent.connect.avro","fields":[
                {"name":"key","type":"int"},{"name":"value","type":"string"}]}}}]}"#;
        let field = to_connect_schema(avro, &cfg()).unwrap();
        let row: &[u8] = &[
            0x04, 0x02, 0x02, b'n', 0x02, 0x02, b't', 0x00, 0x02, 0x02, 0x02, b'v', 0x00,
        ];
        let row2: &[u8] = &[0x01, 0x00, 0x00, 0x00];
        let (a, errors) = decode(avro, &[Some(row), Some(row2), None]);
        assert!(errors.is_empty());
        let (bodies, errors) = encode(&field, &a, &cfg()).unwrap();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].row, 2);
        assert_eq!(bodies[0].as_deref(), Some(row));
        assert_eq!(bodies[1].as_deref(), Some(row2));
        // A null row of the top-level (required) record is refused, as AvroData refuses it.
        assert_eq!(bodies[2], None);
        // The schema it writes under reads back as the same Connect schema.
        let written = from_connect_schema(&field, &cfg()).unwrap();
        assert_eq!(to_connect(&written, &cfg()), to_connect(avro, &cfg()));
    }

    #[test]
    fn encode_non_record_values() {
        let field = to_connect_schema(r#"["null","string"]"#, &cfg()).unwrap();
        let col: ArrayRef = Arc::new(StringArray::from(vec![Some("hi"), None]));
        let (bodies, errors) = encode(&field, &col, &cfg()).unwrap();
        assert!(errors.is_empty());
        assert_eq!(bodies, vec![Some(vec![2, 4, b'h', b'i']), None]);
        let col: ArrayRef = Arc::new(Int64Array::from(vec![1]));
        assert!(
            encode(&field, &col, &cfg()).unwrap().1.len() == 1,
            "type mismatch is a row error"
        );
        let int_field = to_connect_schema(r#""int""#, &cfg()).unwrap();
        let ints: ArrayRef = Arc::new(Int32Array::from(vec![Some(-1), None]));
        let (bodies, errors) = encode(&int_field, &ints, &cfg()).unwrap();
        assert_eq!(bodies[0], Some(vec![1]));
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].error.message(),
            "Found null value for non-optional schema"
        );
        let _ = BinaryArray::from(vec![&b""[..]]);
    }

    /// AvroData.fromConnectSchema / fromConnectData, `case STRING` (schema-registry
    /// avro-data/src/main/java/io/confluent/connect/avro/AvroData.java): a Connect enum (a string
    /// with `io.confluent.connect.avro.Enum` parameters, as toConnectSchema makes of an Avro enum)
    /// is an Avro enum again only with `enhanced.avro.schema.support`, its doc and default
    /// restored from the parameters keyed by its simple name; otherwise a plain string.
    #[test]
    fn enums_round_trip_as_enums_with_enhanced_support_and_as_strings_without() {
        let avro = r#"{"type":"record","name":"R","namespace":"n","fields":[{"name":"suit","type":
            {"type":"enum","name":"Suit","namespace":"cards","doc":"a suit",
             "symbols":["SPADES","HEARTS"],"default":"HEARTS"}}]}"#;
        let mut enhanced = cfg();
        enhanced.enhanced_avro_schema_support = true;
        let plain = cfg();
        for config in [&enhanced, &plain] {
            let field = to_connect_schema(avro, config).unwrap();
            let written: serde_json::Value =
                serde_json::from_str(&from_connect_schema(&field, config).unwrap()).unwrap();
            let suit = &written["fields"][0]["type"];
            if config.enhanced_avro_schema_support {
                assert_eq!(suit["type"], "enum", "{written}");
                assert_eq!(suit["name"], "Suit");
                assert_eq!(suit["namespace"], "cards");
                assert_eq!(suit["doc"], "a suit");
                assert_eq!(suit["symbols"], serde_json::json!(["SPADES", "HEARTS"]));
                assert_eq!(suit["default"], "HEARTS");
                assert_eq!(suit["connect.name"], "cards.Suit");
            } else {
                assert_eq!(suit["type"], "string", "{written}");
                assert_eq!(
                    suit["connect.parameters"]["io.confluent.connect.avro.Enum"],
                    "cards.Suit"
                );
            }
            // The value: HEARTS is symbol 1 of the enum; a string "HEARTS" otherwise.
            let mut decoder = AvroDecoder::new(avro, config).unwrap();
            let (array, errors) = decoder.decode([Some(&[2u8][..])]).unwrap();
            assert!(errors.is_empty(), "{errors:?}");
            let (bodies, errors) = encode(decoder.field(), &array, config).unwrap();
            assert!(errors.is_empty(), "{errors:?}");
            let expected: Vec<u8> = if config.enhanced_avro_schema_support {
                vec![2]
            } else {
                [&[12u8][..], b"HEARTS"].concat()
            };
            assert_eq!(bodies, vec![Some(expected)]);
        }
        // A symbol the enum does not have is that row's error, named.
        let field = to_connect_schema(avro, &enhanced).unwrap();
        let suit_only = Field::new("suit", arrow::datatypes::DataType::Utf8, false)
            .with_metadata(field_child(&field, "suit").metadata().clone());
        let column: ArrayRef = Arc::new(StringArray::from(vec!["CLUBS", "SPADES"]));
        let (bodies, errors) = encode(&suit_only, &column, &enhanced).unwrap();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].row, 0);
        assert!(
            errors[0].error.message().contains("CLUBS"),
            "{:?}",
            errors[0]
        );
        assert_eq!(bodies[1], Some(vec![0]));
    }

    fn field_child(field: &Field, name: &str) -> Field {
        match field.data_type() {
            arrow::datatypes::DataType::Struct(children) => children
                .iter()
                .find(|c| c.name() == name)
                .unwrap()
                .as_ref()
                .clone(),
            other => panic!("not a struct: {other}"),
        }
    }
}
