//! `org.apache.kafka.connect.transforms.HeaderFrom$Key` / `$Value`: copies or moves fields of
//! the key or value into headers (`fields[i]` becomes header `headers[i]`).
//!
//! The kernel serializes each named field column once per batch with the connector's header
//! converter and appends the results to every row's headers, in config order. As in Java 4.1:
//!
//! - a null key/value (tombstone) is not passed through: `Requirements` rejects it, as it
//!   rejects anything that is not a `Struct` (with a schema) or a `Map` (without);
//! - with a schema, a header carries the field's own schema (optional flag, default, name…) and
//!   the value `Struct.get` reads (the default replaces a null unless
//!   `replace.null.with.default=false`); naming a field the schema lacks fails every record with
//!   Java's `NullPointerException`; `move` rebuilds the struct without the moved fields, keeping
//!   only name, version, doc and parameters of its schema (`SchemaUtil.copySchemaBasics`: the
//!   new schema is required and has no default), and puts every kept field's value through
//!   `Struct.get` too, so defaults are materialized there as well;
//! - without a schema, a header has no schema and the map entry's value (null when the map
//!   lacks the key, which makes a null header); `move` removes the entries.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BinaryArray, RecordBatch, StructArray, UInt32Array};
use arrow::datatypes::{DataType, Field, Fields};

use super::registry::{Build, TransformPlugin};
use super::util::{self, append_headers, column, header_list, with_headers, Side};
use super::{Applied, Needs, Transform, TransformContext};
use crate::config::{Props, Validator};
use crate::error::{Error, Result};
use crate::plugin::{Converter, RowError};
use crate::schema;

const KEY_CLASS: &str = "org.apache.kafka.connect.transforms.HeaderFrom$Key";
const VALUE_CLASS: &str = "org.apache.kafka.connect.transforms.HeaderFrom$Value";

/// What Java's `Field.schema()` call on the missing field of `operatingSchema.field(name)` throws
/// (the JVM's helpful NullPointerException message).
const MISSING_FIELD_NPE: &str = "Cannot invoke \"org.apache.kafka.connect.data.Field.schema()\" because the return value of \"org.apache.kafka.connect.data.Schema.field(String)\" is null";

crate::declare_config! {
    /// `HeaderFrom.CONFIG_DEF`.
    #[derive(Debug, Clone)]
    pub struct HeaderFromConfig {
        pub fields: Vec<String> {
            key: "fields",
            ty: List,
            default: required,
            validator: Validator::NonEmptyList,
            importance: High,
            doc: "Field names in the record whose values are to be copied or moved to headers.",
        },
        pub headers: Vec<String> {
            key: "headers",
            ty: List,
            default: required,
            validator: Validator::NonEmptyList,
            importance: High,
            doc: "Header names, in the same order as the field names listed in the fields configuration property.",
        },
        pub operation: String {
            key: "operation",
            ty: String,
            default: required,
            validator: Validator::OneOf(&["move", "copy"]),
            importance: High,
            doc: "Either <code>move</code> if the fields are to be moved to the headers (removed from the key/value), or <code>copy</code> if the fields are to be copied to the headers (retained in the key/value).",
        },
        pub replace_null_with_default: bool {
            key: "replace.null.with.default",
            ty: Boolean,
            default: "true",
            importance: Medium,
            doc: util::REPLACE_NULL_WITH_DEFAULT_DOC,
        },
    }
}

pub const PLUGINS: &[TransformPlugin] = &[
    TransformPlugin {
        class: KEY_CLASS,
        config_def: HeaderFromConfig::config_def,
        build: Build::Transform(|props, ctx| build(props, ctx, Side::Key)),
    },
    TransformPlugin {
        class: VALUE_CLASS,
        config_def: HeaderFromConfig::config_def,
        build: Build::Transform(|props, ctx| build(props, ctx, Side::Value)),
    },
];

fn build(props: &Props, ctx: &TransformContext, side: Side) -> Result<Box<dyn Transform>> {
    Ok(Box::new(HeaderFrom::new(
        &HeaderFromConfig::parse(props)?,
        ctx,
        side,
    )?))
}

/// A configured HeaderFrom.
pub struct HeaderFrom {
    side: Side,
    /// `(field, header)` pairs, in config order.
    pairs: Vec<(String, String)>,
    /// `move` (else `copy`).
    moves: bool,
    replace_null_with_default: bool,
    converter: Arc<dyn Converter>,
}

impl HeaderFrom {
    pub fn new(config: &HeaderFromConfig, ctx: &TransformContext, side: Side) -> Result<Self> {
        if config.fields.len() != config.headers.len() {
            return Err(Error::config(
                "'fields' config must have the same number of elements as 'headers' config.",
            ));
        }
        Ok(HeaderFrom {
            side,
            pairs: config
                .fields
                .iter()
                .cloned()
                .zip(config.headers.iter().cloned())
                .collect(),
            moves: config.operation == "move",
            replace_null_with_default: config.replace_null_with_default,
            converter: ctx.header_converter.clone(),
        })
    }

    /// Whether `name` is one of the fields to move or copy.
    fn named(&self, name: &str) -> bool {
        self.pairs.iter().any(|(f, _)| f == name)
    }

    /// The struct without the moved fields (Java's `moveSchema` and the `Struct.put` of every
    /// kept field), or `None` when nothing moves.
    fn moved(
        &self,
        field: &Field,
        input: &StructArray,
        errors: &mut Vec<RowError>,
    ) -> Result<Option<(Field, ArrayRef)>> {
        if !self.moves {
            return Ok(None);
        }
        let with_schema = !schema::is_schemaless(field);
        let mut fields = Vec::new();
        let mut arrays = Vec::new();
        for (child, values) in input.fields().iter().zip(input.columns()) {
            if self.named(child.name()) {
                continue;
            }
            let values = if with_schema {
                let values = match util::with_default(child, values, self.replace_null_with_default)
                {
                    Ok(v) => v,
                    Err(e) => {
                        errors.extend(util::fail_rows(input, || again(&e)));
                        values.clone()
                    }
                };
                errors.extend(util::put_errors(child, &values, Some(input)));
                values
            } else {
                values.clone()
            };
            fields.push(child.clone());
            arrays.push(values);
        }
        let fields = Fields::from(fields);
        let out = StructArray::try_new_with_length(
            fields.clone(),
            arrays,
            input.nulls().cloned(),
            input.len(),
        )?;
        let metadata = if with_schema {
            util::struct_basics(field).into()
        } else {
            field.metadata().clone()
        };
        Ok(Some((
            util::top_field(DataType::Struct(fields), metadata),
            Arc::new(out),
        )))
    }

    /// The serialized header values of one field, and the rows whose value the header converter
    /// could not write.
    fn header_values(
        &self,
        field: &Field,
        input: &StructArray,
        name: &str,
        header: &str,
        errors: &mut Vec<RowError>,
    ) -> Result<BinaryArray> {
        let with_schema = !schema::is_schemaless(field);
        let Some((index, child)) = input.fields().find(name) else {
            // Without a schema `Map.get` gives null: a header with a null value and no schema,
            // which the converter writes as a null. (With a schema the row failed already.)
            return Ok(BinaryArray::new_null(input.len()));
        };
        let (top, values) = if with_schema {
            let values = match util::with_default(
                child,
                input.column(index),
                self.replace_null_with_default,
            ) {
                Ok(v) => v,
                Err(e) => {
                    errors.extend(util::fail_rows(input, || again(&e)));
                    return Ok(BinaryArray::new_null(input.len()));
                }
            };
            (util::child_as_top(child).with_name(header), values)
        } else {
            let top = Field::new(header, child.data_type().clone(), true)
                .with_metadata(child.metadata().clone());
            (schema::schemaless(top), input.column(index).clone())
        };
        encode_valid_rows(self.converter.as_ref(), &top, &values, input, errors)
    }
}

/// Another copy of `e`, for each row it fails.
fn again(e: &Error) -> Error {
    Error::new(e.fault(), e.message()).with_java_class(e.java_class())
}

/// `values` serialized by `converter`, for the rows where `parent` is valid (the others are
/// failed rows, whose placeholder values a converter may refuse; they get null). When the
/// converter refuses the column, each row is written alone and the rows it refuses fail with
/// its error, as Java's converter fails only those records.
fn encode_valid_rows(
    converter: &dyn Converter,
    field: &Field,
    values: &ArrayRef,
    parent: &StructArray,
    errors: &mut Vec<RowError>,
) -> Result<BinaryArray> {
    let rows = values.len();
    let valid: Vec<u32> = (0..rows as u32)
        .filter(|&r| parent.is_valid(r as usize))
        .collect();
    let dense = if valid.len() == rows {
        values.clone()
    } else {
        arrow::compute::take(values.as_ref(), &UInt32Array::from(valid.clone()), None)?
    };
    let encoded = match converter.from_connect(field, &dense) {
        Ok(encoded) => encoded,
        Err(_) => {
            let mut one_by_one: Vec<Option<Vec<u8>>> = Vec::with_capacity(valid.len());
            for (i, &row) in valid.iter().enumerate() {
                match converter.from_connect(field, &dense.slice(i, 1)) {
                    Ok(b) => one_by_one.push(b.is_valid(0).then(|| b.value(0).to_vec())),
                    Err(e) => {
                        errors.push(RowError {
                            row: row as usize,
                            error: e,
                        });
                        one_by_one.push(None);
                    }
                }
            }
            one_by_one.iter().map(Option::as_deref).collect()
        }
    };
    if valid.len() == rows {
        return Ok(encoded);
    }
    // Back to one entry per row: row r takes entry `position[r]`, failed rows a null.
    let mut next = 0u32;
    let positions: UInt32Array = (0..rows)
        .map(|r| {
            parent.is_valid(r).then(|| {
                next += 1;
                next - 1
            })
        })
        .collect();
    let spread = arrow::compute::take(&encoded, &positions, None)?;
    Ok(spread
        .as_any()
        .downcast_ref::<BinaryArray>()
        .ok_or_else(|| Error::bug("take of a binary array"))?
        .clone())
}

impl Transform for HeaderFrom {
    fn class(&self) -> &'static str {
        match self.side {
            Side::Key => KEY_CLASS,
            Side::Value => VALUE_CLASS,
        }
    }

    fn needs(&self) -> Needs {
        self.side.needs().union(Needs::HEADERS)
    }

    fn apply(&self, records: &RecordBatch) -> Result<Applied> {
        let (field, array) = column(records, self.side.column())?;
        let purpose = format!("header {}", if self.moves { "move" } else { "copy" });
        let (input, mut errors) = util::struct_operand(&field, array, &purpose, "HeaderFrom", true);
        let unchanged = |errors| Applied {
            records: records.clone(),
            errors,
            keep: None,
        };
        let Some(input) = input else {
            return Ok(unchanged(errors));
        };
        let with_schema = !schema::is_schemaless(&field);
        // The moved struct is built (and its `Struct.put`s fail) before any header is read.
        let moved = self.moved(&field, input, &mut errors)?;
        let missing = |name: &String| input.fields().find(name).is_none();
        if with_schema && self.pairs.iter().any(|(name, _)| missing(name)) {
            errors.extend(util::fail_rows(input, || {
                Error::data(MISSING_FIELD_NPE).with_java_class("java.lang.NullPointerException")
            }));
            return Ok(unchanged(errors));
        }
        let mut added = Vec::with_capacity(self.pairs.len());
        for (name, header) in &self.pairs {
            added.push(self.header_values(&field, input, name, header, &mut errors)?);
        }
        let added: Vec<(&str, &BinaryArray)> = self
            .pairs
            .iter()
            .zip(&added)
            .map(|((_, header), values)| (header.as_str(), values))
            .collect();
        let headers = append_headers(header_list(records)?, &added)?;
        let mut out = with_headers(records, headers)?;
        if let Some((top, array)) = moved {
            out = util::replace(&out, self.side.column(), top, array)?;
        }
        Ok(Applied {
            records: out,
            errors,
            keep: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::{columns, header_entries, with_columns, RawBatchBuilder};
    use crate::transforms::util::test_support::*;
    use crate::transforms::util::tests_context;
    use arrow::array::{Int32Array, ListArray, StringArray};

    /// `value` in a sink batch whose first row has the header `old=o` and the others none.
    fn batch(value: (Field, ArrayRef)) -> RecordBatch {
        let records = sink_batch(value);
        let mut raw = RawBatchBuilder::with_capacity(records.num_rows(), 8);
        for row in 0..records.num_rows() {
            let old = [("old", Some(&b"o"[..]))];
            raw.append(
                "t",
                0,
                row as i64,
                None,
                None,
                None,
                old.into_iter().take(1 - row.min(1)),
            );
        }
        let raw = raw.finish().unwrap().records;
        let headers = raw.column_by_name(columns::HEADERS).unwrap().clone();
        let field = raw
            .schema()
            .field_with_name(columns::HEADERS)
            .unwrap()
            .clone();
        with_columns(&records, [(Arc::new(field), headers)]).unwrap()
    }

    /// A required struct `name`/`doc` with `a` (required Int32) and `b` (optional Utf8); row 1
    /// has `b` null, row 2 is null (under the schema).
    fn value(schemaless: bool) -> (Field, ArrayRef) {
        struct_column(
            vec![
                (
                    "a",
                    Arc::new(Int32Array::from(vec![1, 2, 0])) as ArrayRef,
                    false,
                ),
                (
                    "b",
                    Arc::new(StringArray::from(vec![Some("x"), None, None])) as ArrayRef,
                    true,
                ),
            ],
            Some(vec![true, true, false]),
            &[
                (schema::NAME, "n"),
                (schema::DOC, "d"),
                (schema::OPTIONAL, "false"),
            ],
            schemaless,
        )
    }

    fn run(
        pairs: &[(&str, &str)],
        side: Side,
        input: &RecordBatch,
    ) -> Result<(RecordBatch, Vec<RowError>)> {
        let config = HeaderFromConfig::parse(&props(pairs))?;
        let t = HeaderFrom::new(&config, &tests_context(), side)?;
        let out = t.apply(input)?;
        Ok((out.records, out.errors))
    }

    fn headers(records: &RecordBatch, row: usize) -> Vec<(String, Option<String>)> {
        let list = records.column_by_name(columns::HEADERS).unwrap();
        let list = list.as_any().downcast_ref::<ListArray>().unwrap();
        header_entries(list, row)
            .map(|(k, v)| {
                (
                    k.to_string(),
                    v.map(|v| String::from_utf8(v.to_vec()).unwrap()),
                )
            })
            .collect()
    }

    fn h(key: &str, value: Option<&str>) -> (String, Option<String>) {
        (key.to_string(), value.map(str::to_string))
    }

    #[test]
    fn copy_appends_headers_in_config_order_and_keeps_the_value() {
        let input = batch(value(false));
        let pairs = [
            ("fields", "b,a"),
            ("headers", "hb,ha"),
            ("operation", "copy"),
        ];
        let (out, errors) = run(&pairs, Side::Value, &input).unwrap();
        assert_eq!(
            headers(&out, 0),
            [h("old", Some("o")), h("hb", Some("x")), h("ha", Some("1"))]
        );
        assert_eq!(headers(&out, 1), [h("hb", None), h("ha", Some("2"))]);
        assert_eq!(
            out.column_by_name(columns::VALUE).unwrap(),
            input.column_by_name(columns::VALUE).unwrap(),
            "copy leaves the value alone"
        );
        // The null value (with its schema) fails as Java's requireStruct does.
        assert_eq!(rows_of(&errors), [2]);
        assert_eq!(
            errors[0].error.message(),
            "Only Struct objects supported for [header copy], found: null"
        );
        // Tombstones (no schema in Java: a schemaless Null column) fail as requireMap does.
        let tombstones = batch((
            schema::schemaless(Field::new("value", DataType::Null, true)),
            Arc::new(arrow::array::NullArray::new(2)),
        ));
        let (_, errors) = run(&pairs, Side::Value, &tombstones).unwrap();
        assert_eq!(rows_of(&errors), [0, 1]);
        assert_eq!(
            errors[1].error.message(),
            "Only Map objects supported in absence of schema for [header copy], found: null"
        );
    }

    #[test]
    fn move_rebuilds_the_struct_with_the_schema_basics_only() {
        let (field, array) = value(false);
        let mut md = field.metadata().clone();
        md.insert(schema::OPTIONAL.to_string(), "true".to_string());
        md.insert(
            schema::DEFAULT.to_string(),
            "{\"a\":5,\"b\":null}".to_string(),
        );
        let input = batch((field.with_metadata(md), array));
        let pairs = [("fields", "a"), ("headers", "ha"), ("operation", "move")];
        let (out, errors) = run(&pairs, Side::Value, &input).unwrap();
        let (field, s) = struct_of(&out, columns::VALUE);
        assert_eq!(
            s.fields()
                .iter()
                .map(|f| f.name().as_str())
                .collect::<Vec<_>>(),
            ["b"]
        );
        assert_eq!(schema::schema_name(&field), Some("n"));
        assert_eq!(field.metadata().get(schema::DOC).unwrap(), "d");
        assert_eq!(field.metadata().get(schema::OPTIONAL).unwrap(), "false");
        assert!(!field.metadata().contains_key(schema::DEFAULT));
        assert_eq!(headers(&out, 1), [h("ha", Some("2"))]);
        // With an optional schema, the null row is a null with a schema: requireStruct fails.
        assert_eq!(
            errors[0].error.message(),
            "Only Struct objects supported for [header move], found: null"
        );
    }

    #[test]
    fn defaults_replace_nulls_unless_disabled() {
        let input = batch(with_child_default(value(false), 1, "\"dflt\""));
        for (replace, expected) in [("true", Some("dflt")), ("false", None)] {
            let pairs = [
                ("fields", "b"),
                ("headers", "hb"),
                ("operation", "move"),
                ("replace.null.with.default", replace),
            ];
            let (out, _) = run(&pairs, Side::Value, &input).unwrap();
            assert_eq!(headers(&out, 1), [h("hb", expected)], "replace={replace}");
            // The kept field's value goes through `Struct.get` too.
            let pairs = [("fields", "a"), ("headers", "ha"), ("operation", "move")];
            let pairs: Vec<_> = pairs
                .into_iter()
                .chain([("replace.null.with.default", replace)])
                .collect();
            let (out, _) = run(&pairs, Side::Value, &input).unwrap();
            let (_, s) = struct_of(&out, columns::VALUE);
            let b = s.column(0).as_any().downcast_ref::<StringArray>().unwrap();
            assert_eq!(b.is_valid(1), replace == "true");
        }
    }

    #[test]
    fn a_field_the_schema_lacks_is_javas_null_pointer_exception() {
        let input = batch(value(false));
        let pairs = [
            ("fields", "a,zz"),
            ("headers", "ha,hz"),
            ("operation", "copy"),
        ];
        let (_, errors) = run(&pairs, Side::Value, &input).unwrap();
        assert_eq!(rows_of(&errors), [2, 0, 1]);
        assert_eq!(
            errors[1].error.java_class(),
            "java.lang.NullPointerException"
        );
        assert_eq!(errors[1].error.message(), MISSING_FIELD_NPE);
    }

    #[test]
    fn schemaless_maps_lose_moved_entries_and_missing_keys_are_null_headers() {
        let input = batch(value(true));
        let pairs = [
            ("fields", "a,zz"),
            ("headers", "ha,hz"),
            ("operation", "move"),
        ];
        let (out, errors) = run(&pairs, Side::Value, &input).unwrap();
        assert_eq!(headers(&out, 1), [h("ha", Some("2")), h("hz", None)]);
        let (field, s) = struct_of(&out, columns::VALUE);
        assert!(schema::is_schemaless(&field));
        assert_eq!(s.fields().len(), 1);
        assert_eq!(s.fields()[0].name(), "b");
        assert_eq!(
            errors[0].error.message(),
            "Only Map objects supported in absence of schema for [header move], found: null"
        );
    }

    #[test]
    fn the_key_side_reads_the_key() {
        let records = batch(value(false));
        let key = records.column_by_name(columns::VALUE).unwrap().clone();
        let field = records
            .schema()
            .field_with_name(columns::VALUE)
            .unwrap()
            .clone()
            .with_name(columns::KEY);
        let input = with_columns(&records, [(Arc::new(field), key)]).unwrap();
        let pairs = [("fields", "a"), ("headers", "ha"), ("operation", "copy")];
        let config = HeaderFromConfig::parse(&props(&pairs)).unwrap();
        let t = HeaderFrom::new(&config, &tests_context(), Side::Key).unwrap();
        assert_eq!(t.class(), KEY_CLASS);
        assert!(t.needs().key && t.needs().headers && !t.needs().value);
        let out = t.apply(&input).unwrap();
        assert_eq!(headers(&out.records, 1), [h("ha", Some("2"))]);
    }

    #[test]
    fn rows_the_header_converter_refuses_fail_alone() {
        /// Refuses any column holding the text `boom`.
        #[derive(Debug)]
        struct NoBoom;
        impl Converter for NoBoom {
            fn from_connect(&self, _: &Field, column: &ArrayRef) -> Result<BinaryArray> {
                let text = column.as_any().downcast_ref::<StringArray>().unwrap();
                if text.iter().any(|t| t == Some("boom")) {
                    return Err(Error::data("no boom"));
                }
                Ok(text.iter().map(|t| t.map(str::as_bytes)).collect())
            }
            fn to_connect(&self, _: &BinaryArray) -> Result<crate::plugin::Decoded> {
                Err(Error::bug("encode only"))
            }
        }
        let column = struct_column(
            vec![(
                "b",
                Arc::new(StringArray::from(vec![Some("boom"), Some("ok"), None])) as ArrayRef,
                true,
            )],
            Some(vec![true, true, false]),
            &[],
            false,
        );
        let config = HeaderFromConfig::parse(&props(&[
            ("fields", "b"),
            ("headers", "hb"),
            ("operation", "copy"),
        ]))
        .unwrap();
        let ctx = TransformContext {
            header_converter: Arc::new(NoBoom),
        };
        let out = HeaderFrom::new(&config, &ctx, Side::Value)
            .unwrap()
            .apply(&batch(column))
            .unwrap();
        assert_eq!(rows_of(&out.errors), [2, 0]);
        assert_eq!(out.errors[1].error.message(), "no boom");
        assert_eq!(headers(&out.records, 1), [h("hb", Some("ok"))]);
    }

    #[test]
    fn config_errors_are_javas() {
        let err = run(
            &[("fields", "a,b"), ("headers", "h"), ("operation", "copy")],
            Side::Value,
            &batch(value(false)),
        )
        .err()
        .unwrap();
        assert_eq!(
            err.message(),
            "'fields' config must have the same number of elements as 'headers' config."
        );
        let err = HeaderFromConfig::parse(&props(&[
            ("fields", "a"),
            ("headers", "h"),
            ("operation", "cut"),
        ]))
        .unwrap_err();
        assert_eq!(
            err.message(),
            "Invalid value cut for configuration operation: String must be one of: move, copy"
        );
        let err = HeaderFromConfig::parse(&props(&[
            ("fields", ""),
            ("headers", "h"),
            ("operation", "copy"),
        ]))
        .unwrap_err();
        assert_eq!(
            err.message(),
            "Invalid value [] for configuration fields: Empty list"
        );
    }
}
