//! Confluent's `DataConverter.preProcessSchema` / `preProcessValue` as columnar Arrow kernels:
//! what a record value goes through (unless the schema is ignored) before JsonConverter
//! (`schemas.enable=false`) writes the document.
//!
//! - A Connect Decimal (Arrow `Decimal128`) becomes FLOAT64 (`BigDecimal.doubleValue()`), so
//!   the document holds a JSON number instead of JsonConverter's base64 bytes.
//! - Date, Time and Timestamp are kept (JsonConverter writes their numbers: days, millis of the
//!   day, epoch millis).
//! - A map whose keys are strings stays a map (a JSON object) with `compact.map.entries=true`;
//!   any other map becomes an array of structs `{key, value}` named `<key>-<value>` after the
//!   key and value schemas (their names, else their type names), i.e. `[{"key":…,"value":…}]`.
//! - Arrays, maps and structs are processed recursively.
//!
//! Schemas follow `copySchemaBasics`: a changed schema keeps only `optional` and its default,
//! preprocessed as its values are (a Decimal default becomes a double, a map default the array
//! of entries), and a struct keeps its name. Unchanged columns (nothing inside is a Decimal or
//! a map that changes) are returned as they are, with their fields: zero copy.
//!
//! Cost: the kernels touch only the changed columns (offsets, validity and unchanged children
//! are shared). A changed field with a default has its default converted on every call (read
//! back and written again by JsonConverter, a few microseconds); a caller may cache the result
//! per schema.
//!
//! ## Nulls and defaults
//!
//! Java replaces a null by the schema's default in two places: `Struct.get` for a struct member
//! and `preProcessNullValue` for an array element or a map value. Here the data is not touched:
//! the preprocessed default stays on the preprocessed field (`connect.default`), and
//! JsonConverter, which Confluent configures with the default `replace.null.with.default=true`,
//! writes it for every null row, which gives the same document. Two differences, both where
//! Java fails: a null array element or map value whose schema is a Decimal, a converted map or a
//! struct with a default makes Java's JsonConverter throw (`preProcessNullValue` returns the
//! default unconverted); Strait writes the converted default. A null in a required field
//! without default is Java's DataException `null value for field that is required and has no
//! default value`; it is left to JsonConverter, which rejects it with the same words.
//!
//! Map entry order: Java rebuilds maps as `HashMap`s, so its object keys and entry arrays come
//! in hash order; Strait keeps the record's order (Elasticsearch does not care).

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, GenericListArray, MapArray, OffsetSizeTrait,
    StructArray,
};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Decimal128Type, Field, Fields};
use strait_engine::plugin::Converter;
use strait_engine::schema;
use strait_engine::{Error, Result};

use super::mapping::{
    connect_type_name, decimal_to_f64, decode_default, json_converter, logical_name, map_fields,
};

/// Names of a map entry struct's members (`DataConverter.MAP_KEY` / `MAP_VALUE`).
const MAP_KEY: &str = "key";
const MAP_VALUE: &str = "value";

/// `preProcessSchema` + `preProcessValue` for a whole column: the field and column to hand to
/// JsonConverter (`schemas.enable=false`). A schemaless column (Java: no value schema) and a
/// column with nothing to convert come back unchanged (the same `ArrayRef`).
pub fn preprocess(
    field: &Field,
    array: &ArrayRef,
    compact_map_entries: bool,
) -> Result<(Field, ArrayRef)> {
    if schema::is_schemaless(field) {
        return Ok((field.clone(), array.clone()));
    }
    convert(field, array, compact_map_entries, Defaults::Convert)
}

/// What to do with the `connect.default` of a converted field.
#[derive(Clone, Copy, PartialEq)]
enum Defaults {
    /// Convert it as the values are (the normal case).
    Convert,
    /// Drop it: used while converting a default value itself, whose nulls JsonConverter has
    /// already replaced by their defaults when it read the value.
    Drop,
}

/// Whether preprocessing changes columns of this type.
fn changes(dt: &DataType, compact: bool) -> bool {
    match dt {
        DataType::Decimal128(_, _) => true,
        DataType::List(item) | DataType::LargeList(item) | DataType::FixedSizeList(item, _) => {
            changes(item.data_type(), compact)
        }
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(kv) if kv.len() == 2 => {
                !(compact && is_string(kv[0].data_type())) || changes(kv[1].data_type(), compact)
            }
            _ => true,
        },
        DataType::Struct(children) => children.iter().any(|c| changes(c.data_type(), compact)),
        _ => false,
    }
}

/// Connect STRING (`keySchema.type() == Schema.Type.STRING`).
fn is_string(dt: &DataType) -> bool {
    connect_type_name(dt) == Some("STRING")
}

fn arrow_error(field: &Field) -> impl Fn(arrow::error::ArrowError) -> Error + '_ {
    move |e| {
        Error::bug(format!(
            "preprocessing field {} for Elasticsearch: {e}",
            field.name()
        ))
    }
}

/// One field and its column, recursively.
fn convert(
    field: &Field,
    array: &ArrayRef,
    compact: bool,
    defaults: Defaults,
) -> Result<(Field, ArrayRef)> {
    if !changes(field.data_type(), compact) {
        return Ok((field.clone(), array.clone()));
    }
    let err = arrow_error(field);
    let (column, keep_name): (ArrayRef, bool) = match field.data_type() {
        DataType::Decimal128(_, scale) => {
            let scale = *scale;
            let decimals = array.as_primitive::<Decimal128Type>();
            // `unary` keeps the null buffer; values under nulls are converted too (harmless).
            let doubles: Float64Array = decimals.unary(|v| decimal_to_f64(v, scale));
            (Arc::new(doubles), false)
        }
        DataType::List(item) => (
            convert_list(array.as_list::<i32>(), item, compact, defaults)?,
            false,
        ),
        DataType::LargeList(item) => (
            convert_list(array.as_list::<i64>(), item, compact, defaults)?,
            false,
        ),
        DataType::FixedSizeList(item, _) => {
            // Java has one ARRAY type: read it as a variable-size list.
            let list = cast(array, &DataType::List(item.clone())).map_err(&err)?;
            (
                convert_list(list.as_list::<i32>(), item, compact, defaults)?,
                false,
            )
        }
        DataType::Map(entries, ordered) => {
            let map = array.as_map();
            let (key_field, value_field) = map_fields(field, entries)?;
            if compact && is_string(key_field.data_type()) {
                // preProcessMapSchema (DataConverter.java:337-340): still a map.
                let (value_field, values) = convert(value_field, map.values(), compact, defaults)?;
                let kv = Fields::from(vec![key_field.clone(), value_field]);
                let entries_array = StructArray::try_new(
                    kv.clone(),
                    vec![map.keys().clone(), values],
                    map.entries().nulls().cloned(),
                )
                .map_err(&err)?;
                let entries_field =
                    Field::new(entries.name(), DataType::Struct(kv), entries.is_nullable())
                        .with_metadata(entries.metadata().clone());
                let out = MapArray::try_new(
                    Arc::new(entries_field),
                    map.offsets().clone(),
                    entries_array,
                    map.nulls().cloned(),
                    *ordered,
                )
                .map_err(&err)?;
                (Arc::new(out), false)
            } else {
                // An array of `<keyName>-<valueName>` structs (DataConverter.java:341-345).
                let struct_name = format!(
                    "{}-{}",
                    schema_or_type_name(key_field)?,
                    schema_or_type_name(value_field)?
                );
                let (key_field, keys) = convert(key_field, map.keys(), compact, defaults)?;
                let (value_field, values) = convert(value_field, map.values(), compact, defaults)?;
                let kv = Fields::from(vec![
                    key_field.with_name(MAP_KEY),
                    value_field.with_name(MAP_VALUE),
                ]);
                let entries_array =
                    StructArray::try_new(kv.clone(), vec![keys, values], None).map_err(&err)?;
                let item = schema::with_name(
                    Field::new("item", DataType::Struct(kv), false),
                    &struct_name,
                );
                let out = GenericListArray::<i32>::try_new(
                    Arc::new(item),
                    map.offsets().clone(),
                    Arc::new(entries_array),
                    map.nulls().cloned(),
                )
                .map_err(&err)?;
                (Arc::new(out), false)
            }
        }
        DataType::Struct(children) => {
            let st = array.as_struct();
            let mut fields = Vec::with_capacity(children.len());
            let mut columns = Vec::with_capacity(children.len());
            for (child, column) in children.iter().zip(st.columns()) {
                let (f, c) = convert(child, column, compact, defaults)?;
                fields.push(f);
                columns.push(c);
            }
            let out = StructArray::try_new(Fields::from(fields), columns, st.nulls().cloned())
                .map_err(&err)?;
            // `SchemaBuilder.struct().name(schema.name())` (DataConverter.java:349).
            (Arc::new(out), true)
        }
        other => {
            return Err(Error::bug(format!(
                "field {}: Arrow type {other} reported as changing but not converted",
                field.name()
            )))
        }
    };
    // copySchemaBasics (DataConverter.java:356-365): `optional`, the converted default, and
    // the name of a struct.
    let md = field.metadata();
    let mut metadata = std::collections::HashMap::new();
    for key in [schema::OPTIONAL]
        .into_iter()
        .chain(keep_name.then_some(schema::NAME))
    {
        if let Some(v) = md.get(key) {
            metadata.insert(key.to_string(), v.clone());
        }
    }
    if defaults == Defaults::Convert {
        if let Some(d) = converted_default(field, compact)? {
            metadata.insert(schema::DEFAULT.to_string(), d);
        }
    }
    let out_field = Field::new(
        field.name(),
        column.data_type().clone(),
        field.is_nullable(),
    )
    .with_metadata(metadata);
    Ok((out_field, column))
}

fn convert_list<O: OffsetSizeTrait>(
    list: &GenericListArray<O>,
    item: &Arc<Field>,
    compact: bool,
    defaults: Defaults,
) -> Result<ArrayRef> {
    // Array elements: a null element with a default is written by JsonConverter from the
    // converted item default (see the module docs).
    let (item_field, values) = convert(item, list.values(), compact, defaults)?;
    let out = GenericListArray::<O>::try_new(
        Arc::new(item_field),
        list.offsets().clone(),
        values,
        list.nulls().cloned(),
    )
    .map_err(arrow_error(item))?;
    Ok(Arc::new(out))
}

/// `schema.name() == null ? schema.type().name() : schema.name()`.
fn schema_or_type_name(field: &Field) -> Result<String> {
    if let Some(name) = logical_name(field) {
        return Ok(name.to_string());
    }
    connect_type_name(field.data_type())
        .map(str::to_string)
        .ok_or_else(|| {
            Error::data(format!(
                "field {}: Arrow type {} has no Kafka Connect schema type",
                field.name(),
                field.data_type()
            ))
        })
}

/// The field's default converted as a value would be (`copySchemaBasics` runs
/// `preProcessValue` on it), in JsonConverter's encoding, for `connect.default`.
fn converted_default(field: &Field, compact: bool) -> Result<Option<String>> {
    let Some((default_field, default)) = decode_default(field)? else {
        return Ok(None);
    };
    let (f, a) = convert(&default_field, &default, compact, Defaults::Drop)?;
    let json = json_converter(false)?.from_connect(&f, &a)?;
    if json.is_null(0) {
        return Ok(None);
    }
    String::from_utf8(json.value(0).to_vec())
        .map(Some)
        .map_err(|e| Error::bug(format!("field {}: default JSON: {e}", field.name())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elasticsearch::mapping::tests::field_of;
    use arrow::array::BinaryArray;
    use strait_engine::config::Props;
    use strait_formats::json::JsonConverter;

    /// Decode records with JsonConverter (envelopes), as the runtime hands them to the sink.
    /// `replace_null_with_default=false` keeps nulls where the schema has a default (as other
    /// converters and SMTs can hand them over), so the default path of the encoder is tested.
    fn decode(
        schema: &str,
        payloads: &[&str],
        replace_null_with_default: bool,
    ) -> (Field, ArrayRef) {
        let props = Props::from([(
            "replace.null.with.default".to_string(),
            replace_null_with_default.to_string(),
        )]);
        let conv = JsonConverter::new(&props, false).unwrap();
        let envelopes: Vec<String> = payloads
            .iter()
            .map(|p| format!(r#"{{"schema":{schema},"payload":{p}}}"#))
            .collect();
        let bin = BinaryArray::from(
            envelopes
                .iter()
                .map(|e| Some(e.as_bytes()))
                .collect::<Vec<_>>(),
        );
        let d = conv.to_connect(&bin).unwrap();
        assert!(
            d.errors.is_empty(),
            "{:?}",
            d.errors
                .iter()
                .map(|e| e.error.message())
                .collect::<Vec<_>>()
        );
        assert_eq!(d.segments.len(), 1);
        (d.segments[0].field.clone(), d.segments[0].array.clone())
    }

    /// The documents Confluent's `JSON_CONVERTER` (schemas.enable=false) writes for the
    /// preprocessed column.
    fn documents(field: &Field, array: &ArrayRef, compact: bool) -> Vec<String> {
        let (f, a) = preprocess(field, array, compact).unwrap();
        let out = json_converter(false).unwrap().from_connect(&f, &a).unwrap();
        out.iter()
            .map(|b| String::from_utf8(b.unwrap().to_vec()).unwrap())
            .collect()
    }

    const DECIMAL2: &str =
        r#""name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}"#;

    /// DataConverterTest.decimal / struct (DataConverterTest.java:120-125, 262-273): Decimal →
    /// double (`BigDecimal.doubleValue()`, DataConverter.java:413-414). 0.02 at scale 2 is
    /// unscaled 2 ("Ag=="), 12.34 is 1234 ("BNI="), -1.5 is -150 (0xFF6A, "/2o=").
    #[test]
    fn decimals_become_doubles() {
        let schema = format!(
            r#"{{"type":"struct","name":"struct","optional":false,"fields":[
            {{"type":"int32","optional":false,"field":"id"}},
            {{"type":"bytes","optional":false,{DECIMAL2},"field":"decimal"}},
            {{"type":"bytes","optional":true,{DECIMAL2},"field":"opt"}}]}}"#
        );
        let (f, a) = decode(
            &schema,
            &[
                r#"{"id":1,"decimal":"Ag==","opt":"BNI="}"#,
                r#"{"id":2,"decimal":"/2o=","opt":null}"#,
            ],
            true,
        );
        assert_eq!(
            documents(&f, &a, true),
            [
                r#"{"id":1,"decimal":0.02,"opt":12.34}"#,
                r#"{"id":2,"decimal":-1.5,"opt":null}"#
            ]
        );
        // The schema as Java's preprocessed one: FLOAT64 without the Decimal name or scale, the
        // struct keeps its name (DataConverterTest.java:264-268).
        let (pf, _) = preprocess(&f, &a, true).unwrap();
        let DataType::Struct(children) = pf.data_type() else {
            panic!("{pf:?}")
        };
        assert_eq!(children[1].data_type(), &DataType::Float64);
        assert!(schema::schema_name(&children[1]).is_none());
        assert!(!children[1].metadata().contains_key(schema::PARAMETERS));
        assert!(children[2].is_nullable());
        assert_eq!(schema::schema_name(&pf), Some("struct"));
    }

    /// A Decimal default becomes a double default (DataConverterTest.java:133-137,
    /// copySchemaBasics DataConverter.java:360-363); a null member is written with it, as
    /// `Struct.get` returns the default and preProcessValue converts it. 1.00 is unscaled 100
    /// ("ZA==").
    #[test]
    fn decimal_default_becomes_double_default() {
        let schema = format!(
            r#"{{"type":"struct","optional":false,"fields":[
            {{"type":"bytes","optional":true,{DECIMAL2},"default":"ZA==","field":"d"}}]}}"#
        );
        let (f, a) = decode(&schema, &[r#"{"d":null}"#, r#"{"d":"Ag=="}"#], false);
        assert!(
            a.as_struct().column(0).is_null(0),
            "the null is kept for the encoder"
        );
        assert_eq!(documents(&f, &a, true), [r#"{"d":1.0}"#, r#"{"d":0.02}"#]);
        let (pf, _) = preprocess(&f, &a, true).unwrap();
        let DataType::Struct(children) = pf.data_type() else {
            panic!()
        };
        assert_eq!(
            children[0]
                .metadata()
                .get(schema::DEFAULT)
                .map(String::as_str),
            Some("1.0")
        );
    }

    /// DataConverterTest.array (DataConverterTest.java:141-150): `[0.02, 0.42]`; an array
    /// without decimals is not copied.
    #[test]
    fn arrays_of_decimals() {
        let schema = format!(
            r#"{{"type":"array","items":{{"type":"bytes","optional":false,{DECIMAL2}}},"optional":false}}"#
        );
        // 0.42 = 42 = "Kg==".
        let (f, a) = decode(&schema, &[r#"["Ag==","Kg=="]"#, "[]"], true);
        assert_eq!(documents(&f, &a, true), ["[0.02,0.42]", "[]"]);
    }

    /// DataConverterTest.map (DataConverterTest.java:165-192): an INT32 → Decimal map is an array
    /// of `INT32-org.apache.kafka.connect.data.Decimal` structs whatever compact.map.entries says.
    #[test]
    fn non_string_keys_become_entry_structs() {
        let schema = format!(
            r#"{{"type":"map","keys":{{"type":"int32","optional":false}},"values":{{"type":"bytes","optional":false,{DECIMAL2}}},"optional":false}}"#
        );
        let (f, a) = decode(&schema, &[r#"[[1,"Ag=="],[2,"Kg=="]]"#], true);
        for compact in [true, false] {
            assert_eq!(
                documents(&f, &a, compact),
                [r#"[{"key":1,"value":0.02},{"key":2,"value":0.42}]"#]
            );
        }
        let (pf, _) = preprocess(&f, &a, true).unwrap();
        let DataType::List(item) = pf.data_type() else {
            panic!("{pf:?}")
        };
        assert_eq!(
            schema::schema_name(item),
            Some("INT32-org.apache.kafka.connect.data.Decimal")
        );
        let DataType::Struct(kv) = item.data_type() else {
            panic!()
        };
        assert_eq!(kv[0].name(), "key");
        assert_eq!(kv[0].data_type(), &DataType::Int32);
        assert_eq!(kv[1].name(), "value");
        assert_eq!(kv[1].data_type(), &DataType::Float64);
    }

    /// DataConverterTest.stringKeyedMapNonCompactFormat / CompactFormat
    /// (DataConverterTest.java:207-259): string keys stay an object when compact (the column is
    /// returned as is), else `STRING-INT32` entry structs.
    #[test]
    fn string_keyed_maps_compact_or_not() {
        let schema = r#"{"type":"struct","optional":false,"fields":[{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"int32","optional":false},"optional":false,"field":"m"}]}"#;
        let (f, a) = decode(schema, &[r#"{"m":{"field1":1,"field2":2}}"#], true);
        assert_eq!(
            documents(&f, &a, true),
            [r#"{"m":{"field1":1,"field2":2}}"#]
        );
        let (same_f, same_a) = preprocess(&f, &a, true).unwrap();
        assert!(Arc::ptr_eq(&same_a, &a), "nothing to convert: zero copy");
        assert_eq!(same_f, f);
        assert_eq!(
            documents(&f, &a, false),
            [r#"{"m":[{"key":"field1","value":1},{"key":"field2","value":2}]}"#]
        );
        let (pf, _) = preprocess(&f, &a, false).unwrap();
        let DataType::Struct(children) = pf.data_type() else {
            panic!()
        };
        let DataType::List(item) = children[0].data_type() else {
            panic!("{:?}", children[0])
        };
        assert_eq!(schema::schema_name(item), Some("STRING-INT32"));
    }

    /// Recursion through arrays, maps and structs (preProcessArray/Map/StructValue,
    /// DataConverter.java:425-470): decimals in a struct in an array in a compact map's values,
    /// and a non-string-keyed map inside a struct inside an array.
    #[test]
    fn nested_containers() {
        let schema = format!(
            r#"{{"type":"struct","optional":false,"fields":[
            {{"type":"map","keys":{{"type":"string","optional":false}},"values":{{"type":"array","items":{{"type":"struct","optional":false,"fields":[{{"type":"bytes","optional":true,{DECIMAL2},"field":"p"}},{{"type":"string","optional":true,"field":"s"}}]}},"optional":false}},"optional":true,"field":"m"}},
            {{"type":"array","items":{{"type":"struct","optional":false,"fields":[{{"type":"map","keys":{{"type":"int64","optional":false}},"values":{{"type":"boolean","optional":true}},"optional":false,"field":"flags"}}]}},"optional":false,"field":"a"}},
            {{"type":"string","optional":false,"field":"plain"}}]}}"#
        );
        let (f, a) = decode(
            &schema,
            &[
                r#"{"m":{"x":[{"p":"BNI=","s":"a"},{"p":null,"s":null}],"y":[]},"a":[{"flags":[[7,true],[8,null]]}],"plain":"q"}"#,
                r#"{"m":null,"a":[],"plain":"r"}"#,
            ],
            true,
        );
        assert_eq!(
            documents(&f, &a, true),
            [
                r#"{"m":{"x":[{"p":12.34,"s":"a"},{"p":null,"s":null}],"y":[]},"a":[{"flags":[{"key":7,"value":true},{"key":8,"value":null}]}],"plain":"q"}"#,
                r#"{"m":null,"a":[],"plain":"r"}"#,
            ]
        );
        assert_eq!(
            documents(&f, &a, false),
            [
                r#"{"m":[{"key":"x","value":[{"p":12.34,"s":"a"},{"p":null,"s":null}]},{"key":"y","value":[]}],"a":[{"flags":[{"key":7,"value":true},{"key":8,"value":null}]}],"plain":"q"}"#,
                r#"{"m":null,"a":[],"plain":"r"}"#,
            ]
        );
        // The untouched member is the same column.
        let (_, pa) = preprocess(&f, &a, true).unwrap();
        assert!(Arc::ptr_eq(
            pa.as_struct().column(2),
            a.as_struct().column(2)
        ));
    }

    /// Date, Time and Timestamp are kept (DataConverter.java:302-305, 415-418): JsonConverter
    /// writes days, millis of the day and epoch millis; their columns are not copied.
    #[test]
    fn date_time_timestamp_kept() {
        let schema = format!(
            r#"{{"type":"struct","optional":false,"fields":[
            {{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","version":1,"field":"d"}},
            {{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Time","version":1,"field":"t"}},
            {{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"ts"}},
            {{"type":"bytes","optional":false,{DECIMAL2},"field":"x"}}]}}"#
        );
        let (f, a) = decode(
            &schema,
            &[r#"{"d":19000,"t":1000,"ts":1600000000000,"x":"Ag=="}"#],
            true,
        );
        assert_eq!(
            documents(&f, &a, true),
            [r#"{"d":19000,"t":1000,"ts":1600000000000,"x":0.02}"#]
        );
        let (pf, pa) = preprocess(&f, &a, true).unwrap();
        for i in 0..3 {
            assert!(Arc::ptr_eq(
                pa.as_struct().column(i),
                a.as_struct().column(i)
            ));
        }
        let DataType::Struct(children) = pf.data_type() else {
            panic!()
        };
        assert_eq!(
            schema::schema_name(&children[0]),
            Some(schema::logical::DATE)
        );
    }

    /// DataConverterTest.optionalFieldsWithoutDefaults (DataConverterTest.java:283-313): a null
    /// optional member without default stays null, whatever its type.
    #[test]
    fn optional_members_without_defaults_stay_null() {
        let schema = format!(
            r#"{{"type":"struct","name":"struct","optional":false,"fields":[
            {{"type":"boolean","optional":true,"field":"b"}},
            {{"type":"bytes","optional":true,{DECIMAL2},"field":"d"}},
            {{"type":"int64","optional":true,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"ts"}},
            {{"type":"array","items":{{"type":"boolean","optional":false}},"optional":true,"field":"a"}},
            {{"type":"struct","fields":[{{"type":"boolean","optional":false,"field":"inner"}}],"optional":true,"field":"s"}},
            {{"type":"map","keys":{{"type":"string","optional":false}},"values":{{"type":"boolean","optional":false}},"optional":true,"field":"m"}}]}}"#
        );
        let (f, a) = decode(
            &schema,
            &[r#"{"b":null,"d":null,"ts":null,"a":null,"s":null,"m":null}"#],
            true,
        );
        for compact in [true, false] {
            assert_eq!(
                documents(&f, &a, compact),
                [r#"{"b":null,"d":null,"ts":null,"a":null,"s":null,"m":null}"#]
            );
        }
    }

    /// A map default is converted like a map value (copySchemaBasics → preProcessMapValue), and a
    /// struct default like a struct value (`Struct.get` returns it, preProcessStructValue
    /// converts it): null members are written with the converted defaults.
    #[test]
    fn map_and_struct_defaults_are_converted() {
        let schema = format!(
            r#"{{"type":"struct","optional":false,"fields":[
            {{"type":"map","keys":{{"type":"string","optional":false}},"values":{{"type":"int32","optional":false}},"optional":true,"default":{{"x":1}},"field":"m"}},
            {{"type":"struct","fields":[{{"type":"bytes","optional":false,{DECIMAL2},"field":"d"}}],"optional":true,"default":{{"d":"BNI="}},"field":"s"}},
            {{"type":"array","items":{{"type":"int32","optional":true,"default":5}},"optional":false,"field":"a"}}]}}"#
        );
        let (f, a) = decode(
            &schema,
            &[
                r#"{"m":null,"s":null,"a":[1,null]}"#,
                r#"{"m":{"y":2},"s":{"d":"Ag=="},"a":[]}"#,
            ],
            false,
        );
        assert_eq!(
            documents(&f, &a, false),
            [
                r#"{"m":[{"key":"x","value":1}],"s":{"d":12.34},"a":[1,5]}"#,
                r#"{"m":[{"key":"y","value":2}],"s":{"d":0.02},"a":[]}"#,
            ]
        );
        assert_eq!(
            documents(&f, &a, true),
            [
                r#"{"m":{"x":1},"s":{"d":12.34},"a":[1,5]}"#,
                r#"{"m":{"y":2},"s":{"d":0.02},"a":[]}"#,
            ]
        );
    }

    /// DataConverterTest.array / map "defval" (DataConverterTest.java:157-161, 199-203): an
    /// array-of-Decimal default becomes an array of doubles, a map default an array of entries.
    #[test]
    fn array_and_map_defaults_of_decimals() {
        let schema = format!(
            r#"{{"type":"struct","optional":false,"fields":[
            {{"type":"array","items":{{"type":"bytes","optional":false,{DECIMAL2}}},"optional":true,"default":["Ag==","Kg=="],"field":"a"}},
            {{"type":"array","items":{{"type":"bytes","optional":false,{DECIMAL2}}},"optional":true,"default":[],"field":"e"}},
            {{"type":"map","keys":{{"type":"int32","optional":false}},"values":{{"type":"bytes","optional":false,{DECIMAL2}}},"optional":true,"default":[[1,"Ag=="]],"field":"m"}}]}}"#
        );
        let (f, a) = decode(&schema, &[r#"{"a":null,"e":null,"m":null}"#], false);
        assert_eq!(
            documents(&f, &a, true),
            [r#"{"a":[0.02,0.42],"e":[],"m":[{"key":1,"value":0.02}]}"#]
        );
    }

    /// A top-level Decimal value (not a struct) and a sliced column.
    #[test]
    fn top_level_decimal_and_slices() {
        let schema = format!(r#"{{"type":"bytes","optional":true,{DECIMAL2}}}"#);
        let (f, a) = decode(&schema, &[r#""Ag==""#, r#""BNI=""#, r#""Kg==""#], true);
        assert_eq!(documents(&f, &a, true), ["0.02", "12.34", "0.42"]);
        let sliced = a.slice(1, 2);
        assert_eq!(documents(&f, &sliced, true), ["12.34", "0.42"]);
        let (pf, _) = preprocess(&f, &a, true).unwrap();
        assert_eq!(pf.data_type(), &DataType::Float64);
        assert!(schema::schema_name(&pf).is_none());

        let map_schema = r#"{"type":"map","keys":{"type":"int8","optional":false},"values":{"type":"string","optional":true},"optional":false}"#;
        let (mf, ma) = decode(
            map_schema,
            &[r#"[[1,"a"]]"#, r#"[[2,"b"],[3,null]]"#, "[]"],
            true,
        );
        assert_eq!(
            documents(&mf, &ma.slice(1, 2), true),
            [r#"[{"key":2,"value":"b"},{"key":3,"value":null}]"#, "[]"]
        );
    }

    /// No value schema: Java's preProcessSchema(null) / preProcessValue with a null schema return
    /// their input (DataConverter.java:293-295, 370-372).
    #[test]
    fn schemaless_column_is_returned_as_is() {
        let f = schema::schemaless(Field::new("value", DataType::Decimal128(38, 2), true));
        let a: ArrayRef = Arc::new(
            arrow::array::Decimal128Array::from(vec![1i128])
                .with_precision_and_scale(38, 2)
                .unwrap(),
        );
        let (pf, pa) = preprocess(&f, &a, true).unwrap();
        assert!(Arc::ptr_eq(&pa, &a));
        assert_eq!(pf, f);
        // And a field decoded from a schema with nothing to change.
        let f = field_of(r#"{"type":"string","optional":false}"#);
        let a: ArrayRef = Arc::new(arrow::array::StringArray::from(vec!["x"]));
        assert!(Arc::ptr_eq(&preprocess(&f, &a, false).unwrap().1, &a));
    }
}
