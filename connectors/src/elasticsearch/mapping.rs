//! Elasticsearch mappings from Connect schemas: Confluent's `Mapping.buildMapping(Schema)`.
//!
//! The Connect schema travels on the Arrow field (see [`strait_engine::schema`]); the result is
//! the body Confluent sends with `PUT <index>/_mapping`, key for key and in the same order as
//! Java's `XContentBuilder` writes them:
//!
//! | Connect | Mapping |
//! |---|---|
//! | BOOLEAN | `{"type":"boolean"}` |
//! | INT8 / INT16 / INT32 / INT64 | `byte` / `short` / `integer` / `long` |
//! | FLOAT32 / FLOAT64 | `float` / `double` |
//! | STRING | `{"type":"text","fields":{"keyword":{"type":"keyword","ignore_above":256}}}` |
//! | BYTES | `binary` |
//! | Date / Time / Timestamp (logical) | `date` |
//! | Decimal (logical) | `double` |
//! | ARRAY | the mapping of its element schema (Elasticsearch fields are multi-valued) |
//! | MAP | `{"properties":{"key":…,"value":…}}` |
//! | STRUCT | `{"properties":{<field>:…}}` |
//!
//! A primitive (or logical) schema with a default gets `"null_value"`: the default as a number
//! or boolean, a Date/Time/Timestamp default as epoch milliseconds (`java.util.Date.getTime()`),
//! a Decimal default as a double. Text and binary defaults are dropped (Elasticsearch has no
//! `null_value` for them); defaults of arrays, maps and structs are never used.
//!
//! As in Java, the top-level schema need not be a struct: a primitive value schema gives
//! `{"type":…}` alone, and a schemaless value is an error ("Cannot infer mapping without
//! schema.").

use std::sync::OnceLock;

use arrow::array::{new_null_array, Array, ArrayRef, AsArray};
use arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Field, Float32Type, Float64Type, Int16Type, Int32Type,
    Int64Type, Int8Type, Time32MillisecondType, TimeUnit, TimestampMillisecondType,
};
use serde_json::{Map, Value};
use strait_engine::config::Props;
use strait_engine::plugin::Converter;
use strait_engine::schema::{self, logical};
use strait_engine::{Error, Result};
use strait_formats::json::JsonConverter;

// Elasticsearch types (Mapping.java's constants).
const BOOLEAN_TYPE: &str = "boolean";
const BYTE_TYPE: &str = "byte";
const BINARY_TYPE: &str = "binary";
const SHORT_TYPE: &str = "short";
const INTEGER_TYPE: &str = "integer";
const LONG_TYPE: &str = "long";
const FLOAT_TYPE: &str = "float";
const DOUBLE_TYPE: &str = "double";
const TEXT_TYPE: &str = "text";
const KEYWORD_TYPE: &str = "keyword";
const DATE_TYPE: &str = "date";

// Mapping fields.
const NULL_VALUE: &str = "null_value";
const FIELDS: &str = "fields";
const IGNORE_ABOVE: &str = "ignore_above";
const KEY: &str = "key";
const KEYWORD: &str = "keyword";
const PROPERTIES: &str = "properties";
const TYPE: &str = "type";
const VALUE: &str = "value";

const MILLIS_PER_DAY: i64 = 86_400_000;

/// `Mapping.buildMapping(schema)`: the mapping of the Connect schema on `field` (a record's value
/// column), as a JSON object.
pub fn build_mapping(field: &Field) -> Result<Value> {
    if schema::is_schemaless(field) || field.data_type() == &DataType::Null {
        // Mapping.java:81-83 (`buildMapping(null)`).
        return Err(Error::data("Cannot infer mapping without schema."));
    }
    Ok(Value::Object(mapping_of(field)?))
}

/// `buildMapping(Schema, XContentBuilder)`: the members of one schema's mapping object.
fn mapping_of(field: &Field) -> Result<Map<String, Value>> {
    // Logical types first, whatever their base type (Mapping.java:206-226).
    match logical_name(field) {
        Some(logical::DATE | logical::TIME | logical::TIMESTAMP) => {
            return primitive(field, DATE_TYPE)
        }
        Some(logical::DECIMAL) => return primitive(field, DOUBLE_TYPE),
        _ => {}
    }
    match field.data_type() {
        DataType::List(item) | DataType::LargeList(item) | DataType::FixedSizeList(item, _) => {
            mapping_of(item)
        }
        DataType::Map(entries, _) => {
            let (key, value) = map_fields(field, entries)?;
            let mut props = Map::new();
            props.insert(KEY.into(), Value::Object(mapping_of(key)?));
            props.insert(VALUE.into(), Value::Object(mapping_of(value)?));
            Ok(Map::from_iter([(
                PROPERTIES.to_string(),
                Value::Object(props),
            )]))
        }
        DataType::Struct(children) => {
            let mut props = Map::new();
            for child in children {
                props.insert(child.name().clone(), Value::Object(mapping_of(child)?));
            }
            Ok(Map::from_iter([(
                PROPERTIES.to_string(),
                Value::Object(props),
            )]))
        }
        dt => {
            let es_type = match connect_type_name(dt) {
                Some("BOOLEAN") => BOOLEAN_TYPE,
                Some("INT8") => BYTE_TYPE,
                Some("INT16") => SHORT_TYPE,
                Some("INT32") => INTEGER_TYPE,
                Some("INT64") => LONG_TYPE,
                Some("FLOAT32") => FLOAT_TYPE,
                Some("FLOAT64") => DOUBLE_TYPE,
                Some("STRING") => TEXT_TYPE,
                Some("BYTES") => BINARY_TYPE,
                // Java: `Invalid primitive type null.` (no Elasticsearch type for the schema).
                _ => {
                    return Err(Error::data(format!(
                        "Cannot build an Elasticsearch mapping for field {}: Arrow type {dt} has \
                         no Kafka Connect schema type",
                        field.name()
                    )))
                }
            };
            primitive(field, es_type)
        }
    }
}

/// `inferPrimitive`: the type, the keyword sub-field of text, and `null_value` from the default.
fn primitive(field: &Field, es_type: &str) -> Result<Map<String, Value>> {
    let mut m = Map::new();
    m.insert(TYPE.into(), Value::from(es_type));
    if es_type == TEXT_TYPE {
        // Per https://www.elastic.co/blog/strings-are-dead-long-live-strings (Mapping.java:107).
        let keyword = Map::from_iter([
            (TYPE.to_string(), Value::from(KEYWORD_TYPE)),
            (IGNORE_ABOVE.to_string(), Value::from(256)),
        ]);
        let fields = Map::from_iter([(KEYWORD.to_string(), Value::Object(keyword))]);
        m.insert(FIELDS.into(), Value::Object(fields));
    }
    // Elasticsearch has no null_value for text and binary fields (Mapping.java:192-200): their
    // defaults are not even read.
    if es_type == TEXT_TYPE || es_type == BINARY_TYPE {
        return Ok(m);
    }
    let Some((_, default)) = decode_default(field)? else {
        return Ok(m);
    };
    if default.is_null(0) {
        return Ok(m);
    }
    let null_value = match (es_type, default.data_type()) {
        (DATE_TYPE, _) => Value::from(date_millis(field, &default)?),
        (DOUBLE_TYPE, DataType::Decimal128(_, scale)) => java_double(decimal_to_f64(
            default.as_primitive::<Decimal128Type>().value(0),
            *scale,
        )),
        (_, DataType::Boolean) => Value::from(default.as_boolean().value(0)),
        (_, DataType::Int8) => Value::from(default.as_primitive::<Int8Type>().value(0)),
        (_, DataType::Int16) => Value::from(default.as_primitive::<Int16Type>().value(0)),
        (_, DataType::Int32) => Value::from(default.as_primitive::<Int32Type>().value(0)),
        (_, DataType::Int64) => Value::from(default.as_primitive::<Int64Type>().value(0)),
        (_, DataType::Float32) => java_float(default.as_primitive::<Float32Type>().value(0)),
        (_, DataType::Float64) => java_double(default.as_primitive::<Float64Type>().value(0)),
        (_, dt) => {
            return Err(Error::bug(format!(
                "field {}: default decoded as Arrow {dt} for Elasticsearch type {es_type}",
                field.name()
            )))
        }
    };
    m.insert(NULL_VALUE.into(), null_value);
    Ok(m)
}

/// `((java.util.Date) default).getTime()` for a Date, Time or Timestamp default: epoch millis
/// (a Date default is midnight UTC of its day, a Time default a time on 1970-01-01).
fn date_millis(field: &Field, default: &ArrayRef) -> Result<i64> {
    Ok(match default.data_type() {
        DataType::Date32 => default.as_primitive::<Date32Type>().value(0) as i64 * MILLIS_PER_DAY,
        DataType::Time32(TimeUnit::Millisecond) => {
            default.as_primitive::<Time32MillisecondType>().value(0) as i64
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            default.as_primitive::<TimestampMillisecondType>().value(0)
        }
        // A schema named Date/Time on INT32 (or Timestamp on INT64) without the Arrow logical
        // type: the number is what Connect's logical converters read (days for Date).
        DataType::Int32 if logical_name(field) == Some(logical::DATE) => {
            default.as_primitive::<Int32Type>().value(0) as i64 * MILLIS_PER_DAY
        }
        DataType::Int32 => default.as_primitive::<Int32Type>().value(0) as i64,
        DataType::Int64 => default.as_primitive::<Int64Type>().value(0),
        dt => {
            return Err(Error::data(format!(
                "field {}: a {} default cannot be read from Arrow type {dt}",
                field.name(),
                logical_name(field).unwrap_or("date")
            )))
        }
    })
}

/// A Java `float` as `XContentBuilder.field(name, float)` writes it: the float's shortest
/// decimal form (not the wider digits of the same value as a double).
fn java_float(v: f32) -> Value {
    if !v.is_finite() {
        return non_finite(v as f64);
    }
    java_double(v.to_string().parse::<f64>().unwrap_or(v as f64))
}

/// A Java `double` as Jackson writes it; non-finite values are quoted as Jackson's default
/// `QUOTE_NON_NUMERIC_NUMBERS` does (JSON has no NaN).
fn java_double(v: f64) -> Value {
    serde_json::Number::from_f64(v)
        .map(Value::Number)
        .unwrap_or_else(|| non_finite(v))
}

fn non_finite(v: f64) -> Value {
    Value::from(if v.is_nan() {
        "NaN"
    } else if v > 0.0 {
        "Infinity"
    } else {
        "-Infinity"
    })
}

/// `BigDecimal.doubleValue()` of `unscaled × 10^-scale`: the correctly rounded double, which is
/// what Java computes (its fast path divides two exactly representable doubles, its slow path
/// parses the decimal string) and what Rust's float parsing gives for the decimal text.
pub(crate) fn decimal_to_f64(unscaled: i128, scale: i8) -> f64 {
    let text = format!("{unscaled}e{}", -(scale as i32));
    text.parse::<f64>()
        .unwrap_or_else(|_| unscaled as f64 / 10f64.powi(scale as i32))
}

/// The Connect schema name of a field, with the logical names Strait's Arrow types imply
/// (a Decimal128 column is a Connect Decimal even when no metadata says so, as the JSON encoder
/// reads it).
pub(crate) fn logical_name(field: &Field) -> Option<&str> {
    if let Some(name) = schema::schema_name(field) {
        return Some(name);
    }
    match field.data_type() {
        DataType::Decimal128(_, _) => Some(logical::DECIMAL),
        DataType::Date32 | DataType::Date64 => Some(logical::DATE),
        DataType::Time32(_) | DataType::Time64(_) => Some(logical::TIME),
        DataType::Timestamp(_, _) => Some(logical::TIMESTAMP),
        _ => None,
    }
}

/// `Schema.Type.name()` of the Connect type an Arrow type holds (see
/// [`strait_engine::schema`]), `None` for Arrow types with no Connect counterpart.
pub(crate) fn connect_type_name(dt: &DataType) -> Option<&'static str> {
    Some(match dt {
        DataType::Boolean => "BOOLEAN",
        DataType::Int8 => "INT8",
        DataType::Int16 => "INT16",
        DataType::Int32 | DataType::Date32 | DataType::Time32(_) => "INT32",
        DataType::Int64 | DataType::Timestamp(_, _) => "INT64",
        DataType::Date64 | DataType::Time64(_) => "INT32",
        DataType::Float32 => "FLOAT32",
        DataType::Float64 => "FLOAT64",
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "STRING",
        DataType::Dictionary(_, v) if connect_type_name(v) == Some("STRING") => "STRING",
        DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_)
        | DataType::Decimal128(_, _) => "BYTES",
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(_, _) => "ARRAY",
        DataType::Map(_, _) => "MAP",
        DataType::Struct(_) => "STRUCT",
        _ => return None,
    })
}

/// The key and value fields of a map type's entries.
pub(crate) fn map_fields<'a>(field: &Field, entries: &'a Field) -> Result<(&'a Field, &'a Field)> {
    match entries.data_type() {
        DataType::Struct(kv) if kv.len() == 2 => Ok((&kv[0], &kv[1])),
        other => Err(Error::bug(format!(
            "field {}: map entries of type {other}, expected a struct of key and value",
            field.name()
        ))),
    }
}

/// JsonConverter with schemas (the envelope form) and without (what Confluent's DataConverter
/// uses: `schemas.enable=false`, everything else default), built once.
pub(crate) fn json_converter(schemas_enable: bool) -> Result<&'static JsonConverter> {
    static ENVELOPE: OnceLock<Option<JsonConverter>> = OnceLock::new();
    static PLAIN: OnceLock<Option<JsonConverter>> = OnceLock::new();
    let (cell, enable) = if schemas_enable {
        (&ENVELOPE, "true")
    } else {
        (&PLAIN, "false")
    };
    cell.get_or_init(|| {
        let props = Props::from([("schemas.enable".to_string(), enable.to_string())]);
        JsonConverter::new(&props, false).ok()
    })
    .as_ref()
    .ok_or_else(|| {
        Error::bug(format!(
            "JsonConverter with schemas.enable={enable} not built"
        ))
    })
}

/// The default value of a field's schema (its `connect.default` metadata) as a one-row column of
/// the field's type, `None` without a default. The metadata holds JsonConverter's envelope
/// encoding of the default; it is read back by JsonConverter itself (a null row encoded with
/// the schema is the default, then decoded), so every type reads exactly as a payload would.
pub(crate) fn decode_default(field: &Field) -> Result<Option<(Field, ArrayRef)>> {
    let Some(text) = field.metadata().get(schema::DEFAULT) else {
        return Ok(None);
    };
    if text.trim() == "null" {
        return Ok(None);
    }
    let invalid = |e: &dyn std::fmt::Display| {
        Error::data(format!(
            "field {}: the schema's default value {text} cannot be read: {e}",
            field.name()
        ))
    };
    let envelope = json_converter(true)?;
    let nulls = new_null_array(field.data_type(), 1);
    let payload = envelope
        .from_connect(field, &nulls)
        .map_err(|e| invalid(&e))?;
    if payload.is_null(0) {
        return Ok(None);
    }
    let decoded = envelope.to_connect(&payload).map_err(|e| invalid(&e))?;
    if let Some(row) = decoded.errors.first() {
        return Err(invalid(&row.error));
    }
    let Some(segment) = decoded.segments.into_iter().next() else {
        return Err(Error::bug(format!(
            "field {}: decoding the default gave no column",
            field.name()
        )));
    };
    if segment.array.len() != 1 {
        return Err(Error::bug(format!(
            "field {}: decoding the default gave {} rows",
            field.name(),
            segment.array.len()
        )));
    }
    Ok(Some((segment.field, segment.array)))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use arrow::array::BinaryArray;
    use serde_json::json;

    /// The Arrow field JsonConverter decodes for an envelope schema (what the runtime hands the
    /// sink for a record with that schema).
    pub(crate) fn field_of(schema_json: &str) -> Field {
        let envelope = format!(r#"{{"schema":{schema_json},"payload":null}}"#);
        let payloads = BinaryArray::from(vec![Some(envelope.as_bytes())]);
        let decoded = json_converter(true).unwrap().to_connect(&payloads).unwrap();
        decoded.segments[0].field.clone()
    }

    fn mapping(schema_json: &str) -> Value {
        build_mapping(&field_of(schema_json)).unwrap()
    }

    fn text() -> Value {
        json!({"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}})
    }

    const PRIMITIVES: &str = r#"
        {"type":"boolean","optional":false,"field":"boolean"},
        {"type":"bytes","optional":false,"field":"bytes"},
        {"type":"int8","optional":false,"field":"int8"},
        {"type":"int16","optional":false,"field":"int16"},
        {"type":"int32","optional":false,"field":"int32"},
        {"type":"int64","optional":false,"field":"int64"},
        {"type":"float","optional":false,"field":"float32"},
        {"type":"double","optional":false,"field":"float64"},
        {"type":"string","optional":false,"field":"string"},
        {"type":"array","items":{"type":"string","optional":false},"optional":false,"field":"array"},
        {"type":"map","keys":{"type":"string","optional":false},"values":{"type":"int32","optional":false},"optional":false,"field":"map"},
        {"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"},"field":"decimal"},
        {"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","version":1,"field":"date"},
        {"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Time","version":1,"field":"time"},
        {"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"timestamp"}"#;

    fn expected_primitives() -> Map<String, Value> {
        let v = json!({
            "boolean": {"type": "boolean"},
            "bytes": {"type": "binary"},
            "int8": {"type": "byte"},
            "int16": {"type": "short"},
            "int32": {"type": "integer"},
            "int64": {"type": "long"},
            "float32": {"type": "float"},
            "float64": {"type": "double"},
            "string": text(),
            "array": text(),
            "map": {"properties": {"key": text(), "value": {"type": "integer"}}},
            "decimal": {"type": "double"},
            "date": {"type": "date"},
            "time": {"type": "date"},
            "timestamp": {"type": "date"},
        });
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    /// MappingTest.testBuildMapping: every type of `createSchemaBuilder` (MappingTest.java:144-161)
    /// at the top and in a nested struct, each mapped per `getElasticsearchType` and the logical
    /// cases of `verifyMapping` (MappingTest.java:170-207); key order is XContentBuilder's.
    #[test]
    fn builds_mapping_for_every_type_and_nested_struct() {
        let schema = format!(
            r#"{{"type":"struct","name":"record","optional":false,"fields":[{PRIMITIVES},
            {{"type":"struct","name":"inner","optional":false,"field":"struct","fields":[{PRIMITIVES}]}}]}}"#
        );
        let mut props = expected_primitives();
        props.insert(
            "struct".into(),
            json!({"properties": Value::Object(expected_primitives())}),
        );
        let expected = json!({ "properties": Value::Object(props) });
        let got = mapping(&schema);
        assert_eq!(got, expected);
        // Same order as Java's builder: the struct's fields in schema order, `type` first.
        assert_eq!(
            serde_json::to_string(&got).unwrap(),
            serde_json::to_string(&expected).unwrap()
        );
    }

    /// MappingTest.testBuildMappingForString (MappingTest.java:60-73): text with a keyword
    /// sub-field, ignore_above 256 (Mapping.java:107-119).
    #[test]
    fn string_is_text_with_keyword_subfield() {
        let got = mapping(
            r#"{"type":"struct","name":"record","optional":false,"fields":[{"type":"string","optional":false,"field":"string"}]}"#,
        );
        assert_eq!(
            serde_json::to_string(&got).unwrap(),
            r#"{"properties":{"string":{"type":"text","fields":{"keyword":{"type":"keyword","ignore_above":256}}}}}"#
        );
    }

    /// MappingTest.testBuildMappingSetsDefaultValue (MappingTest.java:76-97): null_value for
    /// every numeric width and boolean (Mapping.java:175-189).
    #[test]
    fn defaults_become_null_value() {
        let got = mapping(
            r#"{"type":"struct","name":"record","optional":false,"fields":[
            {"type":"boolean","optional":false,"default":true,"field":"boolean"},
            {"type":"int8","optional":false,"default":1,"field":"int8"},
            {"type":"int16","optional":false,"default":1,"field":"int16"},
            {"type":"int32","optional":false,"default":1,"field":"int32"},
            {"type":"int64","optional":false,"default":1,"field":"int64"},
            {"type":"float","optional":false,"default":1.0,"field":"float32"},
            {"type":"double","optional":false,"default":1.0,"field":"float64"}]}"#,
        );
        assert_eq!(
            serde_json::to_string(&got).unwrap(),
            r#"{"properties":{"boolean":{"type":"boolean","null_value":true},"int8":{"type":"byte","null_value":1},"int16":{"type":"short","null_value":1},"int32":{"type":"integer","null_value":1},"int64":{"type":"long","null_value":1},"float32":{"type":"float","null_value":1.0},"float64":{"type":"double","null_value":1.0}}}"#
        );
    }

    /// A float default keeps the float's own digits (`builder.field(name, (float) v)`), not the
    /// double nearest to the float.
    #[test]
    fn float_default_keeps_float_digits() {
        let got = mapping(r#"{"type":"float","optional":false,"default":0.1}"#);
        assert_eq!(
            serde_json::to_string(&got).unwrap(),
            r#"{"type":"float","null_value":0.1}"#
        );
    }

    /// MappingTest.testBuildMappingSetsDefaultValueForDate (MappingTest.java:100-114): a Date
    /// default is `java.util.Date.getTime()` (Mapping.java:190-191); in the envelope a Date is
    /// days, so 2 days → 172800000 ms. Time and Timestamp defaults are already millis.
    #[test]
    fn date_defaults_are_epoch_millis() {
        let got = mapping(
            r#"{"type":"struct","optional":false,"fields":[
            {"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","version":1,"default":2,"field":"date"},
            {"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Time","version":1,"default":1000,"field":"time"},
            {"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"default":1600000000123,"field":"ts"}]}"#,
        );
        assert_eq!(
            got,
            json!({"properties": {
                "date": {"type": "date", "null_value": 172_800_000i64},
                "time": {"type": "date", "null_value": 1000},
                "ts": {"type": "date", "null_value": 1_600_000_000_123i64},
            }})
        );
    }

    /// MappingTest.testBuildMappingSetsNoDefaultValueForStrings (MappingTest.java:117-127), and
    /// bytes likewise (Mapping.java:192-200).
    #[test]
    fn text_and_binary_defaults_are_dropped() {
        let got = mapping(
            r#"{"type":"struct","optional":false,"fields":[
            {"type":"string","optional":false,"default":"0","field":"string"},
            {"type":"bytes","optional":false,"default":"AQI=","field":"bytes"}]}"#,
        );
        assert_eq!(got["properties"]["string"], text());
        assert_eq!(got["properties"]["bytes"], json!({"type": "binary"}));
    }

    /// MappingTest.testDecimalTypeMapping (MappingTest.java:130-136): a top-level Decimal is
    /// `double` with the default's `doubleValue()` (Mapping.java:218-221). 100.00 at scale 2 is
    /// unscaled 10000 = 0x2710, base64 "JxA=".
    #[test]
    fn decimal_is_double_with_double_default() {
        let got = mapping(
            r#"{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"},"default":"JxA="}"#,
        );
        assert_eq!(
            serde_json::to_string(&got).unwrap(),
            r#"{"type":"double","null_value":100.0}"#
        );
        // 12.34 at scale 2: unscaled 1234 = 0x04D2, "BNI=".
        let got = mapping(
            r#"{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"},"default":"BNI="}"#,
        );
        assert_eq!(got["null_value"], json!(12.34));
    }

    /// A top-level primitive schema maps to its type alone (Mapping.java:102-103), an array to
    /// its element's mapping (Mapping.java:93-94), with the element's default.
    #[test]
    fn non_struct_top_level_schemas() {
        assert_eq!(
            mapping(r#"{"type":"int64","optional":false}"#),
            json!({"type": "long"})
        );
        assert_eq!(
            mapping(
                r#"{"type":"array","items":{"type":"int16","optional":false,"default":7},"optional":false}"#
            ),
            json!({"type": "short", "null_value": 7})
        );
        assert_eq!(
            mapping(
                r#"{"type":"array","items":{"type":"struct","optional":false,"fields":[{"type":"boolean","optional":true,"field":"b"}]},"optional":false}"#
            ),
            json!({"properties": {"b": {"type": "boolean"}}})
        );
    }

    /// MAP → properties key/value (Mapping.java:121-138), also for non-string keys and nested
    /// maps; map and struct defaults are not used.
    #[test]
    fn maps_have_key_and_value_properties() {
        let got = mapping(
            r#"{"type":"struct","optional":false,"fields":[
            {"type":"map","keys":{"type":"int64","optional":false},"values":{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"double","optional":true},"optional":true},"optional":true,"default":[[1,{"a":1.5}]],"field":"m"}]}"#,
        );
        assert_eq!(
            got,
            json!({"properties": {"m": {"properties": {
                "key": {"type": "long"},
                "value": {"properties": {"key": text(), "value": {"type": "double"}}},
            }}}})
        );
    }

    /// `buildMapping(null)` throws DataException (MappingTest.testBuildMappingWithNullSchema,
    /// Mapping.java:81-83): a schemaless column has no Connect schema.
    #[test]
    fn schemaless_value_is_an_error() {
        let f = schema::schemaless(Field::new("value", DataType::Utf8, true));
        let err = build_mapping(&f).unwrap_err();
        assert_eq!(err.message(), "Cannot infer mapping without schema.");
        assert_eq!(err.fault(), strait_engine::Fault::Data);
        let null = Field::new("value", DataType::Null, true);
        assert!(build_mapping(&null).is_err());
    }

    /// An Arrow type with no Connect schema type is named in the error.
    #[test]
    fn unknown_arrow_type_is_named() {
        let f = Field::new("value", DataType::Float16, true);
        let err = build_mapping(&f).unwrap_err();
        assert!(err.message().contains("Float16"), "{}", err.message());
        assert!(err.message().contains("value"), "{}", err.message());
    }

    /// Columns built without Connect metadata still map by their Arrow types (logical types by
    /// their Arrow logical type).
    #[test]
    fn plain_arrow_fields_map_by_type() {
        let f = Field::new(
            "value",
            DataType::Struct(
                vec![
                    Field::new("d", DataType::Decimal128(38, 3), true),
                    Field::new("ts", DataType::Timestamp(TimeUnit::Millisecond, None), true),
                    Field::new(
                        "tag",
                        DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
                        true,
                    ),
                ]
                .into(),
            ),
            true,
        );
        assert_eq!(
            build_mapping(&f).unwrap(),
            json!({"properties": {"d": {"type": "double"}, "ts": {"type": "date"}, "tag": text()}})
        );
    }

    #[test]
    fn decimal_to_f64_is_correctly_rounded() {
        assert_eq!(decimal_to_f64(1234, 2), 12.34);
        assert_eq!(decimal_to_f64(-5, 0), -5.0);
        assert_eq!(decimal_to_f64(12, -3), 12000.0);
        assert_eq!(decimal_to_f64(1, 1), 0.1);
        // 38 digits: beyond the double fast path, still the nearest double.
        assert_eq!(
            decimal_to_f64(12345678901234567890123456789012345678, 10),
            "1234567890123456789012345678.9012345678"
                .parse::<f64>()
                .unwrap()
        );
    }
}
