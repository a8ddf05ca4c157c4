//! Column helpers shared by the transforms.

use std::sync::Arc;

use std::collections::HashMap;

use arrow::array::{Array, ArrayRef, RecordBatch, StringArray, StructArray};
use arrow::datatypes::{DataType, Field};

use crate::batch::{columns, with_columns};
use crate::error::{Error, Result};
use crate::plugin::RowError;
use crate::schema;

/// Which part of the record a `$Key` / `$Value` transform works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Key,
    Value,
}

impl Side {
    /// The batch column of this side.
    pub fn column(self) -> &'static str {
        match self {
            Side::Key => columns::KEY,
            Side::Value => columns::VALUE,
        }
    }

    /// The [`Needs`](super::Needs) of a transform that reads this side.
    pub fn needs(self) -> super::Needs {
        match self {
            Side::Key => super::Needs::KEY,
            Side::Value => super::Needs::VALUE,
        }
    }
}

/// A column and its field, or a bug error when the batch lacks it.
pub fn column<'a>(records: &'a RecordBatch, name: &str) -> Result<(Arc<Field>, &'a ArrayRef)> {
    let index = records
        .schema()
        .index_of(name)
        .map_err(|_| Error::bug(format!("transform input has no {name} column")))?;
    Ok((
        records.schema().field(index).clone().into(),
        records.column(index),
    ))
}

/// `records` with one column replaced (or appended), the field renamed to `name`.
pub fn replace(
    records: &RecordBatch,
    name: &str,
    field: Field,
    array: ArrayRef,
) -> Result<RecordBatch> {
    let field = if field.name() == name {
        field
    } else {
        field.with_name(name)
    };
    with_columns(records, [(Arc::new(field), array)])
}

/// Doc of `replace.null.with.default`, word for word as every Java transform declares it.
pub const REPLACE_NULL_WITH_DEFAULT_DOC: &str = "Whether to replace fields that have a default value and that are null to the default value. When set to true, the default value is used, otherwise null is used.";

/// The class name Java's `getClass().getName()` gives the (non-null) value at `row` of a key or
/// value column: what `Requirements` and other Java messages print.
pub fn java_class(field: &Field, array: &dyn Array, row: usize) -> &'static str {
    if array.is_null(row) {
        return "null";
    }
    let schemaless = schema::is_schemaless(field);
    match array.data_type() {
        DataType::Struct(_) | DataType::Map(..) if schemaless => "java.util.HashMap",
        DataType::Struct(_) => "org.apache.kafka.connect.data.Struct",
        DataType::Map(..) => "java.util.HashMap",
        DataType::List(_) | DataType::LargeList(_) => "java.util.ArrayList",
        DataType::Boolean => "java.lang.Boolean",
        DataType::Int8 => "java.lang.Byte",
        DataType::Int16 => "java.lang.Short",
        DataType::Int32 => "java.lang.Integer",
        DataType::Int64 => "java.lang.Long",
        DataType::Float32 => "java.lang.Float",
        DataType::Float64 => "java.lang.Double",
        DataType::Decimal128(..) => "java.math.BigDecimal",
        DataType::Date32 | DataType::Time32(_) | DataType::Timestamp(..) => "java.util.Date",
        DataType::Binary | DataType::LargeBinary => "[B",
        DataType::Utf8 if schemaless && field.metadata().contains_key(RAW_JSON) => {
            // Schemaless values of mixed types travel as their JSON text: the text says what
            // Java's JsonConverter made of it.
            let text = array
                .as_any()
                .downcast_ref::<StringArray>()
                .map_or("", |a| a.value(row));
            match text.trim_start().bytes().next() {
                Some(b'{') => "java.util.HashMap",
                Some(b'[') => "java.util.ArrayList",
                Some(b'"') => "java.lang.String",
                Some(b't' | b'f') => "java.lang.Boolean",
                _ if text.contains(['.', 'e', 'E']) => "java.lang.Double",
                _ => "java.lang.Long",
            }
        }
        _ => "java.lang.String",
    }
}

/// Field metadata key the JsonConverter sets on schemaless columns of mixed types (raw JSON text
/// per row); the same key as `strait_formats::json::RAW_JSON`, which this crate cannot name.
pub const RAW_JSON: &str = "strait.json.raw";

/// `Requirements.requireMap` (schemaless) or `requireStruct` (with a schema) failing for `row`.
pub fn require_error(field: &Field, array: &dyn Array, row: usize, purpose: &str) -> Error {
    let found = java_class(field, array, row);
    // A null row of a required column is a tombstone, which Java sees without a schema.
    if schema::is_schemaless(field) || (array.is_null(row) && !is_optional(field)) {
        Error::data(format!(
            "Only Map objects supported in absence of schema for [{purpose}], found: {found}"
        ))
    } else {
        Error::data(format!(
            "Only Struct objects supported for [{purpose}], found: {found}"
        ))
    }
}

/// A key or value column as the struct Java's transform requires (a `Struct` with a schema, a
/// `Map` without), and the rows that are not one (each with Java's `Requirements` error). Null
/// rows fail too when `nulls_fail` (transforms that do not pass nulls through). Schemaless
/// values with too many keys to be a struct column (Arrow maps) are refused row by row, as a
/// limit of Strait rather than a wrong result.
pub fn struct_operand<'a>(
    field: &Field,
    array: &'a ArrayRef,
    purpose: &str,
    transform: &str,
    nulls_fail: bool,
) -> (Option<&'a StructArray>, Vec<RowError>) {
    let fails = |row: usize| nulls_fail || array.is_valid(row);
    if let Some(s) = array.as_any().downcast_ref::<StructArray>() {
        let errors = if nulls_fail {
            (0..array.len())
                .filter(|&r| array.is_null(r))
                .map(|row| RowError {
                    row,
                    error: require_error(field, array.as_ref(), row, purpose),
                })
                .collect()
        } else {
            Vec::new()
        };
        return (Some(s), errors);
    }
    let map = matches!(array.data_type(), DataType::Map(..));
    let errors = (0..array.len())
        .filter(|&r| fails(r))
        .map(|row| RowError {
            row,
            error: if map && array.is_valid(row) {
                Error::data(format!(
                    "{transform} does not support schemaless maps with more than 128 distinct keys in Strait"
                ))
                .with_java_class("java.lang.UnsupportedOperationException")
            } else {
                require_error(field, array.as_ref(), row, purpose)
            },
        })
        .collect();
    (None, errors)
}

/// Metadata of Java's `SchemaUtil.copySchemaBasics(schema, SchemaBuilder.struct())`: name,
/// version, doc and parameters of `from`; the new schema is required and has no default.
pub fn struct_basics(from: &Field) -> HashMap<String, String> {
    let mut md: HashMap<String, String> = from
        .metadata()
        .iter()
        .filter(|(k, _)| {
            [
                schema::NAME,
                schema::VERSION,
                schema::DOC,
                schema::PARAMETERS,
            ]
            .contains(&k.as_str())
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    md.insert(schema::OPTIONAL.to_string(), "false".to_string());
    md
}

/// A top-level key or value field holding `data_type`: always nullable (tombstones, failed
/// rows), with `metadata` saying the rest.
pub fn top_field(data_type: DataType, metadata: impl Into<arrow::datatypes::Metadata>) -> Field {
    Field::new("value", data_type, true).with_metadata(metadata)
}

/// The Connect schema of a struct child as a top-level column's field (ExtractField, HoistField
/// in reverse): Arrow nullability turns into `connect.optional` for a required schema.
pub fn child_as_top(child: &Field) -> Field {
    let mut md = child.metadata().clone();
    if !child.is_nullable() {
        md.insert(schema::OPTIONAL.to_string(), "false".to_string());
    }
    Field::new(child.name(), child.data_type().clone(), true).with_metadata(md)
}

/// A top-level column's field as a struct child (HoistField, ValueToKey): its nullability is its
/// Connect `optional` flag, unless `has_nulls` forces Arrow nullability (then `connect.optional`
/// keeps the flag, and the converter refuses the nulls as Java's would).
pub fn top_as_child(top: &Field, name: &str, has_nulls: bool) -> Field {
    let mut md = top.metadata().clone();
    let optional = match md.get(schema::OPTIONAL).map(String::as_str) {
        Some("false") => false,
        Some(_) => true,
        None => top.is_nullable(),
    };
    md.remove(schema::SCHEMALESS);
    md.remove(schema::OPTIONAL);
    if !optional && has_nulls {
        md.insert(schema::OPTIONAL.to_string(), "false".to_string());
    }
    Field::new(name, top.data_type().clone(), optional || has_nulls).with_metadata(md)
}

/// A struct child as Java's `Struct.get(field)` reads it: nulls take the field's schema default
/// (when it has one) if `replace_null_with_default`, else stay null (`getWithoutDefault`).
/// Defaults of primitive, string, date/time types and numeric decimals are supported; a
/// default Strait cannot build (bytes, arrays, maps, structs) is an error naming the field.
pub fn with_default(
    child: &Field,
    array: &ArrayRef,
    replace_null_with_default: bool,
) -> Result<ArrayRef> {
    let Some(default) = child.metadata().get(schema::DEFAULT) else {
        return Ok(array.clone());
    };
    if !replace_null_with_default || array.null_count() == 0 {
        return Ok(array.clone());
    }
    let scalar = default_scalar(child, default)?;
    let mask = arrow::compute::is_not_null(array.as_ref())?;
    Ok(arrow::compute::kernels::zip::zip(
        &mask,
        array,
        &arrow::array::Scalar::new(scalar),
    )?)
}

/// A one-element array of `field`'s type holding `json` (canonical JSON: a schema default, a
/// masked value).
pub fn default_scalar(field: &Field, json: &str) -> Result<ArrayRef> {
    use arrow::array::new_null_array;
    let unsupported = || {
        Error::data(format!(
            "Strait cannot apply the default value {json} of field {} ({})",
            field.name(),
            field.data_type()
        ))
        .with_java_class("java.lang.UnsupportedOperationException")
    };
    let value: serde_json::Value = serde_json::from_str(json).map_err(|_| unsupported())?;
    if value.is_null() {
        return Ok(new_null_array(field.data_type(), 1));
    }
    let text: ArrayRef = match (&value, field.data_type()) {
        (serde_json::Value::String(s), DataType::Utf8) => {
            return Ok(Arc::new(StringArray::from(vec![s.as_str()])))
        }
        (serde_json::Value::Bool(b), DataType::Boolean) => {
            return Ok(Arc::new(arrow::array::BooleanArray::from(vec![*b])))
        }
        (serde_json::Value::Number(n), _) => Arc::new(StringArray::from(vec![n.to_string()])),
        _ => return Err(unsupported()),
    };
    match field.data_type() {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::Float32
        | DataType::Float64
        | DataType::Decimal128(..) => {
            let options = arrow::compute::CastOptions {
                safe: false,
                ..Default::default()
            };
            arrow::compute::cast_with_options(&text, field.data_type(), &options)
                .map_err(|_| unsupported())
        }
        // Date, Time and Timestamp defaults are their integer encodings.
        DataType::Date32 | DataType::Time32(_) | DataType::Timestamp(..) => {
            let ints = arrow::compute::cast(&text, &DataType::Int64).map_err(|_| unsupported())?;
            let narrow = match field.data_type() {
                DataType::Timestamp(..) => ints,
                _ => arrow::compute::cast(&ints, &DataType::Int32)?,
            };
            arrow::compute::cast(&narrow, field.data_type()).map_err(|_| unsupported())
        }
        _ => Err(unsupported()),
    }
}

/// Connect's `Schema.Type` name of an Arrow type (logical types name their base type).
pub fn connect_type_name(data_type: &DataType) -> &'static str {
    match data_type {
        DataType::Int8 => "INT8",
        DataType::Int16 => "INT16",
        DataType::Int32 | DataType::Date32 | DataType::Time32(_) => "INT32",
        DataType::Int64 | DataType::Timestamp(..) => "INT64",
        DataType::Float32 => "FLOAT32",
        DataType::Float64 => "FLOAT64",
        DataType::Boolean => "BOOLEAN",
        DataType::Utf8 | DataType::LargeUtf8 => "STRING",
        DataType::List(_) | DataType::LargeList(_) => "ARRAY",
        DataType::Map(..) => "MAP",
        DataType::Struct(_) => "STRUCT",
        _ => "BYTES",
    }
}

/// Whether a struct child's Connect schema is optional (`connect.optional` wins over Arrow
/// nullability).
pub fn is_optional(child: &Field) -> bool {
    match child.metadata().get(schema::OPTIONAL).map(String::as_str) {
        Some("false") => false,
        Some(_) => true,
        None => child.is_nullable(),
    }
}

/// Java's `Struct.put` of each value of `values` into required field `child`: a null at a row
/// where `parent` is valid (every row without a parent) fails with `ConnectSchema.validateValue`'s
/// message.
pub fn put_errors(child: &Field, values: &dyn Array, parent: Option<&dyn Array>) -> Vec<RowError> {
    if is_optional(child) || values.null_count() == 0 {
        return Vec::new();
    }
    (0..values.len())
        .filter(|&r| values.is_null(r) && parent.is_none_or(|p| p.is_valid(r)))
        .map(|row| RowError {
            row,
            error: Error::data(format!(
                "Invalid value: null used for required field: \"{}\", schema type: {}",
                child.name(),
                connect_type_name(child.data_type())
            )),
        })
        .collect()
}

/// One error per non-null row of `array` (a failure Java raises for every record it transforms).
pub fn fail_rows(array: &dyn Array, error: impl Fn() -> Error) -> Vec<RowError> {
    (0..array.len())
        .filter(|&r| array.is_valid(r))
        .map(|row| RowError {
            row,
            error: error(),
        })
        .collect()
}

/// Java's `List.toString()` of a list config value: `[a, b]`.
pub fn java_list(items: &[String]) -> String {
    format!("[{}]", items.join(", "))
}

/// `org.apache.kafka.connect.transforms.util.NonEmptyListValidator`.
pub static NON_EMPTY_LIST: crate::config::CustomValidator = crate::config::CustomValidator {
    describe: "non-empty list",
    check: |name, value| match value {
        crate::config::Value::List(items) if items.is_empty() => Err(format!(
            "Invalid value {} for configuration {name}: Empty list",
            java_list(items)
        )),
        _ => Ok(()),
    },
};

/// A struct column of `len` rows: `StructArray::try_new`, which cannot size a struct without
/// children (ReplaceField keeping no field, an empty value struct), hence the explicit length.
pub fn new_struct(
    fields: arrow::datatypes::Fields,
    arrays: Vec<ArrayRef>,
    nulls: Option<arrow::buffer::NullBuffer>,
    len: usize,
) -> Result<StructArray> {
    Ok(StructArray::try_new_with_length(
        fields, arrays, nulls, len,
    )?)
}

/// The two entries of a `$Key` / `$Value` transform pair, written once: defines `KEY_CLASS`,
/// `VALUE_CLASS`, `class_of(side)` and the file's `PLUGINS`, whose builds call
/// `<$transform>::new(&Props, Side) -> Result<$transform>` and whose config def is
/// `<$config>::config_def`.
macro_rules! key_value_plugins {
    ($base:literal, $config:ty, $transform:ty) => {
        const KEY_CLASS: &str = concat!($base, "$Key");
        const VALUE_CLASS: &str = concat!($base, "$Value");

        /// The Java class of the variant that works on `side`.
        fn class_of(side: $crate::transforms::util::Side) -> &'static str {
            match side {
                $crate::transforms::util::Side::Key => KEY_CLASS,
                $crate::transforms::util::Side::Value => VALUE_CLASS,
            }
        }

        pub const PLUGINS: &[$crate::transforms::registry::TransformPlugin] = &[
            $crate::transforms::registry::TransformPlugin {
                class: KEY_CLASS,
                config_def: <$config>::config_def,
                build: $crate::transforms::registry::Build::Transform(|props, _| {
                    Ok(Box::new(<$transform>::new(
                        props,
                        $crate::transforms::util::Side::Key,
                    )?))
                }),
            },
            $crate::transforms::registry::TransformPlugin {
                class: VALUE_CLASS,
                config_def: <$config>::config_def,
                build: $crate::transforms::registry::Build::Transform(|props, _| {
                    Ok(Box::new(<$transform>::new(
                        props,
                        $crate::transforms::util::Side::Value,
                    )?))
                }),
            },
        ];
    };
}
pub(crate) use key_value_plugins;

/// `Transform::class` and `Transform::needs` of a `$Key` / `$Value` transform whose struct has
/// a `side` field (with [`key_value_plugins!`] in scope for `class_of`).
macro_rules! side_transform_methods {
    () => {
        fn class(&self) -> &'static str {
            class_of(self.side)
        }

        fn needs(&self) -> $crate::transforms::Needs {
            self.side.needs()
        }
    };
}
pub(crate) use side_transform_methods;

/// Batches and columns for the transforms' unit tests.
#[cfg(test)]
pub mod test_support {
    use std::collections::HashMap;
    use std::sync::Arc;

    use arrow::array::{
        Array, ArrayRef, BinaryArray, Int32Array, Int64Array, RecordBatch, StringArray,
        StructArray, TimestampMillisecondArray,
    };
    use arrow::buffer::NullBuffer;
    use arrow::datatypes::{DataType, Field, Fields, Schema, TimeUnit};

    use crate::batch::columns;
    use crate::config::Props;
    use crate::plugin::RowError;
    use crate::schema;

    pub fn props(pairs: &[(&str, &str)]) -> Props {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// A top-level struct column: children `(name, values, nullable)`, parent validity, field
    /// metadata, schemaless or not.
    pub fn struct_column(
        children: Vec<(&str, ArrayRef, bool)>,
        valid: Option<Vec<bool>>,
        metadata: &[(&str, &str)],
        schemaless: bool,
    ) -> (Field, ArrayRef) {
        let fields: Fields = children
            .iter()
            .map(|(n, a, nullable)| Field::new(*n, a.data_type().clone(), *nullable))
            .collect();
        let arrays = children.into_iter().map(|(_, a, _)| a).collect();
        let array = StructArray::new(fields.clone(), arrays, valid.map(NullBuffer::from));
        let md: HashMap<String, String> = metadata
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let field = Field::new("value", DataType::Struct(fields), true).with_metadata(md);
        let field = if schemaless {
            schema::schemaless(field)
        } else {
            field
        };
        (field, Arc::new(array))
    }

    /// `column` with child `index` given the schema default `json`.
    pub fn with_child_default(
        column: (Field, ArrayRef),
        index: usize,
        json: &str,
    ) -> (Field, ArrayRef) {
        let (field, array) = column;
        let DataType::Struct(children) = field.data_type() else {
            panic!("not a struct")
        };
        let mut children: Vec<Field> = children.iter().map(|c| c.as_ref().clone()).collect();
        let mut md = children[index].metadata().clone();
        md.insert(schema::DEFAULT.to_string(), json.to_string());
        children[index] = children[index].clone().with_metadata(md);
        let s = array.as_any().downcast_ref::<StructArray>().unwrap();
        let fields = Fields::from(children);
        let array = StructArray::new(fields.clone(), s.columns().to_vec(), s.nulls().cloned());
        let field = Field::new(field.name(), DataType::Struct(fields), true)
            .with_metadata(field.metadata().clone());
        (field, Arc::new(array))
    }

    fn batch(key: (Field, ArrayRef), value: (Field, ArrayRef), sink: bool) -> RecordBatch {
        let rows = value.1.len();
        let mut fields = vec![
            Field::new(columns::TOPIC, DataType::Utf8, false),
            Field::new(columns::PARTITION, DataType::Int32, false),
        ];
        let mut arrays: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter_values(std::iter::repeat_n(
                "topic-a", rows,
            ))),
            Arc::new(Int32Array::from(vec![3; rows])),
        ];
        if sink {
            fields.push(Field::new(columns::OFFSET, DataType::Int64, false));
            arrays.push(Arc::new(Int64Array::from_iter_values(10..10 + rows as i64)));
        }
        fields.push(Field::new(
            columns::TIMESTAMP,
            DataType::Timestamp(TimeUnit::Millisecond, None),
            true,
        ));
        arrays.push(Arc::new(TimestampMillisecondArray::from(
            (0..rows)
                .map(|r| (r + 1 < rows || rows == 1).then_some(1000 * (r as i64 + 1)))
                .collect::<Vec<_>>(),
        )));
        fields.push(key.0.with_name(columns::KEY));
        arrays.push(key.1);
        fields.push(value.0.with_name(columns::VALUE));
        arrays.push(value.1);
        RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap()
    }

    fn raw(rows: usize) -> (Field, ArrayRef) {
        (
            Field::new("key", DataType::Binary, true),
            Arc::new(BinaryArray::from(vec![None::<&[u8]>; rows])),
        )
    }

    /// A sink batch (topic `topic-a`, partition 3, offsets from 10, timestamps 1000, 2000, …
    /// with the last one null) whose value is `value` and key raw nulls.
    pub fn sink_batch(value: (Field, ArrayRef)) -> RecordBatch {
        batch(raw(value.1.len()), value, true)
    }

    pub fn sink_batch_with(field: Field, array: ArrayRef) -> RecordBatch {
        sink_batch((field, array))
    }

    /// A sink batch whose key is `key`, value raw nulls.
    pub fn sink_batch_key(key: (Field, ArrayRef)) -> RecordBatch {
        let rows = key.1.len();
        batch(key, raw(rows), true)
    }

    /// A source batch (no offset column).
    pub fn source_batch(value: (Field, ArrayRef)) -> RecordBatch {
        batch(raw(value.1.len()), value, false)
    }

    pub fn rows_of(errors: &[RowError]) -> Vec<usize> {
        errors.iter().map(|e| e.row).collect()
    }

    /// The struct column `name` of `records`.
    pub fn struct_of(records: &RecordBatch, name: &str) -> (Field, StructArray) {
        let (field, array) = super::column(records, name).unwrap();
        let s = array
            .as_any()
            .downcast_ref::<StructArray>()
            .unwrap()
            .clone();
        (field.as_ref().clone(), s)
    }
}
