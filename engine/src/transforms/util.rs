//! Column helpers shared by the transforms.

use std::sync::Arc;

use std::collections::HashMap;

use arrow::array::{
    Array, ArrayRef, BooleanArray, DictionaryArray, RecordBatch, StringArray, StructArray,
};
use arrow::datatypes::{DataType, Field, Int32Type};

use crate::batch::{columns, with_columns, TopicColumn};
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
    if is_null_at(array, row) {
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

/// Whether row `row` of a key or value column is null. A column of [`DataType::Null`] is Java's
/// null without a schema throughout (JsonConverter's tombstones, `SchemaAndValue.NULL`, or a
/// schemaless batch of nulls); Arrow's `NullArray` has no validity buffer, so its rows are not
/// `is_null` and every row loop over a key or value asks this instead.
pub fn is_null_at(array: &dyn Array, row: usize) -> bool {
    array.is_null(row) || array.data_type() == &DataType::Null
}

/// Whether a key or value column holds only nulls without a schema (see [`is_null_at`]): what
/// Java's transforms get for a tombstone.
pub fn is_schemaless_null(array: &dyn Array) -> bool {
    array.data_type() == &DataType::Null
}

/// `Requirements.requireMap` (schemaless) or `requireStruct` (with a schema) failing for `row`.
pub fn require_error(field: &Field, array: &dyn Array, row: usize, purpose: &str) -> Error {
    let found = java_class(field, array, row);
    if schema::is_schemaless(field) {
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
    let fails = |row: usize| nulls_fail || !is_null_at(array.as_ref(), row);
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
            error: if map && !is_null_at(array.as_ref(), row) {
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

/// Connect's `Schema.Type` name of an Arrow type (logical types name their base type; a type
/// Connect has no name for reads as `BYTES`).
pub fn connect_type_name(data_type: &DataType) -> &'static str {
    crate::java_text::connect_type_name(data_type).unwrap_or("BYTES")
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

/// The `topic` column with `rename` applied to every topic: once per dictionary value on a
/// `Dictionary(Int32, Utf8)` column (the keys are kept), once per row on a `Utf8` column.
/// `rename` returns `Ok(None)` to keep a topic, `Ok(Some(new))` to rename it, or the error of
/// every row with that topic. Returns the batch (itself when nothing changed) and the failures.
pub fn rename_topics(
    records: &RecordBatch,
    mut rename: impl FnMut(&str) -> std::result::Result<Option<String>, JavaException>,
) -> Result<(RecordBatch, Vec<RowError>)> {
    let (field, col) = column(records, columns::TOPIC)?;
    let mut errors = Vec::new();
    let topics = TopicColumn::new(col)
        .ok_or_else(|| Error::bug(format!("topic column of type {}", col.data_type())))?;
    let array: ArrayRef = match topics {
        TopicColumn::Dictionary { keys, values } => {
            let mut changed = false;
            let mut failed: Vec<Option<JavaException>> = Vec::new();
            let mut renamed: Vec<Option<String>> = Vec::with_capacity(values.len());
            for i in 0..values.len() {
                let new = if values.is_null(i) {
                    Ok(None)
                } else {
                    rename(values.value(i))
                };
                match new {
                    Ok(Some(t)) => {
                        changed = true;
                        renamed.push(Some(t));
                    }
                    Ok(None) => {
                        renamed.push(values.is_valid(i).then(|| values.value(i).to_string()))
                    }
                    Err(e) => {
                        failed.resize_with(values.len(), || None);
                        failed[i] = Some(e);
                        renamed.push(values.is_valid(i).then(|| values.value(i).to_string()));
                    }
                }
            }
            if !failed.is_empty() {
                for (row, key) in keys.iter().enumerate() {
                    if let Some(e) = key.and_then(|k| failed[k as usize].as_ref()) {
                        errors.push(RowError {
                            row,
                            error: e.error(),
                        });
                    }
                }
            }
            if !changed {
                return Ok((records.clone(), errors));
            }
            let values: ArrayRef = Arc::new(StringArray::from(renamed));
            Arc::new(DictionaryArray::<Int32Type>::try_new(keys.clone(), values)?)
        }
        TopicColumn::Plain(strings) => {
            let mut changed = false;
            let mut out: Vec<Option<String>> = Vec::with_capacity(strings.len());
            for (row, topic) in strings.iter().enumerate() {
                let new = match topic {
                    Some(t) => rename(t),
                    None => Ok(None),
                };
                match new {
                    Ok(Some(t)) => {
                        changed = true;
                        out.push(Some(t));
                    }
                    Ok(None) => out.push(topic.map(str::to_string)),
                    Err(e) => {
                        errors.push(RowError {
                            row,
                            error: e.error(),
                        });
                        out.push(topic.map(str::to_string));
                    }
                }
            }
            if !changed {
                return Ok((records.clone(), errors));
            }
            Arc::new(StringArray::from(out))
        }
    };
    let field = Field::clone(&field);
    Ok((replace(records, columns::TOPIC, field, array)?, errors))
}

/// One boolean per row: `test` of the row's topic (false for a null topic), evaluated once per
/// dictionary value on a dictionary-encoded `topic` column.
pub fn topic_mask(
    records: &RecordBatch,
    mut test: impl FnMut(&str) -> bool,
) -> Result<BooleanArray> {
    let (_, col) = column(records, columns::TOPIC)?;
    let topics = TopicColumn::new(col)
        .ok_or_else(|| Error::bug(format!("topic column of type {}", col.data_type())))?;
    Ok(match topics {
        TopicColumn::Dictionary { keys, values } => {
            let per_value: Vec<bool> = (0..values.len())
                .map(|i| values.is_valid(i) && test(values.value(i)))
                .collect();
            keys.iter()
                .map(|k| Some(k.is_some_and(|k| per_value[k as usize])))
                .collect()
        }
        TopicColumn::Plain(strings) => strings
            .iter()
            .map(|t| Some(t.is_some_and(&mut test)))
            .collect(),
    })
}

/// An exception Java throws for a record, to be raised for each row it applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JavaException {
    /// The Java class when it is not `DataException`.
    pub class: Option<&'static str>,
    pub message: String,
}

impl JavaException {
    /// A `DataException`.
    pub fn data(message: impl Into<String>) -> Self {
        JavaException {
            class: None,
            message: message.into(),
        }
    }

    /// The row error.
    pub fn error(&self) -> Error {
        let e = Error::data(self.message.clone());
        match self.class {
            Some(class) => e.with_java_class(class),
            None => e,
        }
    }
}

/// The `headers` column as `List<Struct<key: Utf8, value: Binary>>`. A source batch's typed
/// header struct (one child per key) is not supported by header transforms yet: it is refused.
pub fn header_list(records: &RecordBatch) -> Result<&arrow::array::ListArray> {
    let (_, col) = column(records, columns::HEADERS)?;
    col.as_any()
        .downcast_ref::<arrow::array::ListArray>()
        .filter(|l| {
            l.values()
                .as_any()
                .downcast_ref::<arrow::array::StructArray>()
                .is_some_and(|s| s.num_columns() == 2)
        })
        .ok_or_else(|| {
            Error::unsupported(format!(
                "header transforms and predicates need serialized headers \
                 (List<Struct<key, value>>), found {}",
                col.data_type()
            ))
        })
}

/// `headers` (a [`header_list`] column) with the entries whose `keep` is false removed.
pub fn drop_header_entries(
    headers: &arrow::array::ListArray,
    keep: &BooleanArray,
) -> Result<arrow::array::ListArray> {
    use arrow::array::ListArray;
    use arrow::buffer::OffsetBuffer;
    let offsets = headers.value_offsets();
    let first = offsets[0] as usize;
    let entries = headers
        .values()
        .slice(first, offsets[headers.len()] as usize - first);
    let keep = keep.slice(first, entries.len());
    let kept = arrow::compute::filter(&entries, &keep)?;
    let lengths = (0..headers.len()).map(|row| {
        let (start, end) = (
            offsets[row] as usize - first,
            offsets[row + 1] as usize - first,
        );
        (start..end).filter(|j| keep.value(*j)).count()
    });
    let field = match headers.data_type() {
        arrow::datatypes::DataType::List(f) => f.clone(),
        other => return Err(Error::bug(format!("headers of type {other}"))),
    };
    Ok(ListArray::try_new(
        field,
        OffsetBuffer::from_lengths(lengths),
        kept,
        headers.nulls().cloned(),
    )?)
}

/// `headers` (a [`header_list`] column) with headers appended to every row, in order: each
/// `(key, values)` adds the header `key` with `values[row]` (null: a header with a null value).
/// A null list becomes a list of the added headers, as Java's records always have headers.
pub fn append_headers(
    headers: &arrow::array::ListArray,
    added: &[(&str, &arrow::array::BinaryArray)],
) -> Result<arrow::array::ListArray> {
    use arrow::array::{BinaryBuilder, ListArray, StringBuilder, StructArray};
    use arrow::buffer::OffsetBuffer;
    let entries = headers.values().as_any().downcast_ref::<StructArray>();
    let (Some(keys), Some(values)) = (
        entries.and_then(|s| s.column(0).as_any().downcast_ref::<StringArray>()),
        entries.and_then(|s| {
            s.column(1)
                .as_any()
                .downcast_ref::<arrow::array::BinaryArray>()
        }),
    ) else {
        return Err(Error::bug(format!(
            "headers of type {}",
            headers.data_type()
        )));
    };
    let rows = headers.len();
    let mut key_out = StringBuilder::new();
    let mut value_out = BinaryBuilder::new();
    let mut lengths = Vec::with_capacity(rows);
    let offsets = headers.value_offsets();
    for row in 0..rows {
        let (start, end) = if headers.is_null(row) {
            (0, 0)
        } else {
            (offsets[row] as usize, offsets[row + 1] as usize)
        };
        for j in start..end {
            key_out.append_value(keys.value(j));
            value_out.append_option(values.is_valid(j).then(|| values.value(j)));
        }
        for (key, column) in added {
            key_out.append_value(key);
            value_out.append_option(column.is_valid(row).then(|| column.value(row)));
        }
        lengths.push(end - start + added.len());
    }
    let (field, fields) = match headers.data_type() {
        arrow::datatypes::DataType::List(f) => match f.data_type() {
            arrow::datatypes::DataType::Struct(fields) => (f.clone(), fields.clone()),
            other => return Err(Error::bug(format!("header entries of type {other}"))),
        },
        other => return Err(Error::bug(format!("headers of type {other}"))),
    };
    let entries = StructArray::try_new(
        fields,
        vec![Arc::new(key_out.finish()), Arc::new(value_out.finish())],
        None,
    )?;
    Ok(ListArray::try_new(
        field,
        OffsetBuffer::from_lengths(lengths),
        Arc::new(entries),
        None,
    )?)
}

/// `records` with its `headers` column replaced.
pub fn with_headers(
    records: &RecordBatch,
    headers: arrow::array::ListArray,
) -> Result<RecordBatch> {
    let (field, _) = column(records, columns::HEADERS)?;
    replace(
        records,
        columns::HEADERS,
        Field::clone(&field),
        Arc::new(headers),
    )
}

/// What Strait prints in a Java `toString` for a part of a record it has not read (a key or
/// value not decoded, headers not loaded, because no stage needed them).
pub const NOT_READ: &str = "<not read>";

/// `ConnectSchema.toString` of a key or value column's schema at `row`: `Schema{TYPE}` or
/// `Schema{name:TYPE}`; `null` without a schema (schemaless, which tombstones are: the
/// converter gives them no schema).
pub fn java_schema_string(field: &Field) -> String {
    if schema::is_schemaless(field) {
        return "null".to_string();
    }
    let ty = connect_type_name(field.data_type());
    match schema::schema_name(field) {
        Some(name) => format!("Schema{{{name}:{ty}}}"),
        None => format!("Schema{{{ty}}}"),
    }
}

/// `String.valueOf` of the value at `row` of a decoded column (BYTES print as base64, where
/// Java prints an identity hash that carries no data).
pub fn java_value_string(array: &ArrayRef, row: usize) -> String {
    use crate::java_text::{BytesText, JavaStringWriter};
    match JavaStringWriter::new(&array.slice(row, 1), BytesText::Base64) {
        Ok(w) => w.to_string(0),
        Err(_) => NOT_READ.to_string(),
    }
}

/// The `key=…, keySchema=…` (or `value=…, valueSchema=…`) part of `ConnectRecord.toString` for
/// `row`, [`NOT_READ`] when the column was not decoded.
pub fn java_side_string(records: &RecordBatch, side: Side, row: usize) -> String {
    let name = side.column();
    let (value, schema) = match column(records, name) {
        // A raw column (Kafka's bytes, no Connect schema attached) was not decoded.
        Ok((field, array))
            if !(matches!(field.data_type(), DataType::Binary) && field.metadata().is_empty()) =>
        {
            (java_value_string(array, row), java_schema_string(&field))
        }
        _ => (NOT_READ.to_string(), NOT_READ.to_string()),
    };
    format!("{name}={value}, {name}Schema={schema}")
}

/// `ConnectHeaders.toString` of the headers of `row`, each value decoded with the connector's
/// header converter as Java's sink task decodes it (`ConnectHeader(key=k, value=v, schema=s)`).
pub fn java_headers_string(
    records: &RecordBatch,
    row: usize,
    header_converter: &dyn crate::plugin::Converter,
) -> String {
    let Ok(list) = header_list(records) else {
        return format!("ConnectHeaders(headers={NOT_READ})");
    };
    let entries: Vec<String> = crate::batch::header_entries(list, row)
        .map(|(key, value)| {
            let (value, schema) = match value {
                None => ("null".to_string(), "null".to_string()),
                Some(bytes) => {
                    let payload = arrow::array::BinaryArray::from(vec![bytes]);
                    match header_converter.to_connect(&payload) {
                        Ok(decoded) if decoded.errors.is_empty() => {
                            let segment = &decoded.segments[0];
                            (
                                java_value_string(&segment.array, 0),
                                java_schema_string(&segment.field),
                            )
                        }
                        _ => (NOT_READ.to_string(), NOT_READ.to_string()),
                    }
                }
            };
            format!("ConnectHeader(key={key}, value={value}, schema={schema})")
        })
        .collect();
    if entries.is_empty() {
        // A record without headers holds no header list at all.
        "ConnectHeaders(headers=)".to_string()
    } else {
        format!("ConnectHeaders(headers=[{}])", entries.join(", "))
    }
}

/// A [`TransformContext`](super::TransformContext) for unit tests whose header converter writes
/// each value's Arrow text form (`42`, `true`, `abc`), and refuses nested types.
#[cfg(test)]
pub(crate) fn tests_context() -> super::TransformContext {
    #[derive(Debug)]
    struct Text;
    impl crate::plugin::Converter for Text {
        fn from_connect(
            &self,
            field: &Field,
            column: &ArrayRef,
        ) -> Result<arrow::array::BinaryArray> {
            if field.data_type().is_nested() {
                return Err(Error::data(format!(
                    "cannot write {} as text",
                    field.data_type()
                )));
            }
            let text = arrow::compute::cast(column, &arrow::datatypes::DataType::Utf8)?;
            let text = text
                .as_any()
                .downcast_ref::<StringArray>()
                .expect("cast to Utf8");
            Ok(text.iter().map(|s| s.map(str::as_bytes)).collect())
        }
        fn to_connect(&self, _: &arrow::array::BinaryArray) -> Result<crate::plugin::Decoded> {
            Err(Error::bug("the test header converter only encodes"))
        }
    }
    super::TransformContext {
        header_converter: Arc::new(Text),
    }
}

/// Rows of a column that Java sees as non-null values.
pub fn valid_rows(array: &dyn arrow::array::Array) -> impl Iterator<Item = usize> + '_ {
    (0..array.len()).filter(move |&i| !is_null_at(array, i))
}

/// `nulls` with the given rows nulled too (failed rows: whatever their children hold, a struct
/// that is null there masks them, so required children may hold nulls at those rows).
pub fn null_out(
    nulls: Option<&arrow::buffer::NullBuffer>,
    len: usize,
    rows: impl IntoIterator<Item = usize>,
) -> Option<arrow::buffer::NullBuffer> {
    let mut builder = arrow::array::BooleanBufferBuilder::new(len);
    match nulls {
        Some(n) => builder.append_buffer(n.inner()),
        None => builder.append_n(len, true),
    }
    let mut any = nulls.is_some();
    for row in rows {
        builder.set_bit(row, false);
        any = true;
    }
    any.then(|| arrow::buffer::NullBuffer::new(builder.finish()))
}

/// The Connect default of a field (its [`schema::DEFAULT`](crate::schema::DEFAULT) metadata) as
/// a one-row array of the field's type; `None` without a default (or a `null` one).
pub fn default_array(field: &Field) -> Result<Option<ArrayRef>> {
    match field.metadata().get(crate::schema::DEFAULT) {
        None => Ok(None),
        Some(text) => json_default(text, field.data_type(), field.name()),
    }
}

/// A default in JsonConverter's envelope encoding as a one-row array of `dt`.
pub fn json_default(
    text: &str,
    dt: &arrow::datatypes::DataType,
    name: &str,
) -> Result<Option<ArrayRef>> {
    use arrow::array::*;
    use arrow::datatypes::{DataType, TimeUnit};
    let text = text.trim();
    if text == "null" {
        return Ok(None);
    }
    let bad = |e: &dyn std::fmt::Display| {
        Error::data(format!("Invalid default value {text} of field {name}: {e}"))
    };
    let int = || serde_json::from_str::<i64>(text).map_err(|e| bad(&e));
    let string = || serde_json::from_str::<String>(text).map_err(|e| bad(&e));
    let bytes = || {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(string()?)
            .map_err(|e| bad(&e))
    };
    let array: ArrayRef = match dt {
        DataType::Int8 => Arc::new(Int8Array::from(vec![int()? as i8])),
        DataType::Int16 => Arc::new(Int16Array::from(vec![int()? as i16])),
        DataType::Int32 => Arc::new(Int32Array::from(vec![int()? as i32])),
        DataType::Int64 => Arc::new(Int64Array::from(vec![int()?])),
        DataType::Date32 => Arc::new(Date32Array::from(vec![int()? as i32])),
        DataType::Time32(TimeUnit::Millisecond) => {
            Arc::new(Time32MillisecondArray::from(vec![int()? as i32]))
        }
        DataType::Timestamp(TimeUnit::Millisecond, tz) => {
            Arc::new(TimestampMillisecondArray::from(vec![int()?]).with_timezone_opt(tz.clone()))
        }
        DataType::Float32 => Arc::new(Float32Array::from(vec![text
            .parse::<f32>()
            .map_err(|e| bad(&e))?])),
        DataType::Float64 => Arc::new(Float64Array::from(vec![text
            .parse::<f64>()
            .map_err(|e| bad(&e))?])),
        DataType::Boolean => Arc::new(BooleanArray::from(vec![
            serde_json::from_str::<bool>(text).map_err(|e| bad(&e))?
        ])),
        DataType::Utf8 => Arc::new(StringArray::from(vec![string()?])),
        DataType::Binary => Arc::new(BinaryArray::from_vec(vec![&bytes()?])),
        DataType::Decimal128(p, s) => {
            let unscaled = if text.starts_with('"') {
                // Base64 of BigInteger.toByteArray(): big-endian two's complement.
                let b = bytes()?;
                if b.is_empty() || b.len() > 16 {
                    return Err(bad(&"not a 128-bit decimal"));
                }
                let fill = if b[0] & 0x80 != 0 { 0xFF } else { 0 };
                let mut be = [fill; 16];
                be[16 - b.len()..].copy_from_slice(&b);
                i128::from_be_bytes(be)
            } else {
                let parsed = arrow::compute::cast(
                    &StringArray::from(vec![text]),
                    &DataType::Decimal128(*p, *s),
                )
                .map_err(|e| bad(&e))?;
                parsed
                    .as_any()
                    .downcast_ref::<Decimal128Array>()
                    .filter(|a| a.is_valid(0))
                    .ok_or_else(|| bad(&"not a decimal"))?
                    .value(0)
            };
            Arc::new(Decimal128Array::from(vec![unscaled]).with_data_type(dt.clone()))
        }
        DataType::Struct(fields) => {
            let members: std::collections::HashMap<String, Box<serde_json::value::RawValue>> =
                serde_json::from_str(text).map_err(|e| bad(&e))?;
            let mut columns = Vec::with_capacity(fields.len());
            for f in fields.iter() {
                let child = match members.get(f.name()) {
                    Some(raw) => json_default(raw.get(), f.data_type(), f.name())?,
                    None => None,
                };
                columns.push(child.unwrap_or_else(|| new_null_array(f.data_type(), 1)));
            }
            Arc::new(StructArray::try_new(fields.clone(), columns, None).map_err(|e| bad(&e))?)
        }
        other => {
            return Err(Error::data(format!(
                "Strait does not apply default values of type {other} (field {name})"
            )))
        }
    };
    Ok(Some(array))
}

/// `array` with its nulls replaced by the one-row `default` (Java's `Struct.get`, which returns
/// the field's default for a null value).
pub fn fill_nulls(array: &ArrayRef, default: &ArrayRef) -> Result<ArrayRef> {
    if array.null_count() == 0 {
        return Ok(array.clone());
    }
    let mask = arrow::compute::is_null(array)?;
    Ok(arrow::compute::kernels::zip::zip(
        &mask,
        &arrow::array::Scalar::new(default.clone()),
        array,
    )?)
}

/// A field like `field` (name, nullability, metadata) with another type.
pub fn retyped(field: &Field, data_type: arrow::datatypes::DataType) -> Field {
    Field::new(field.name(), data_type, field.is_nullable()).with_metadata(field.metadata().clone())
}

/// Whether a column holds raw JSON text ([`schema::RAW_JSON`](crate::schema::RAW_JSON)).
pub fn is_raw_json(field: &Field) -> bool {
    field
        .metadata()
        .get(crate::schema::RAW_JSON)
        .map(String::as_str)
        == Some("true")
}

/// The Java class JsonConverter gives a schemaless JSON value (raw JSON text of a column whose
/// values have conflicting types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawKind {
    Null,
    Long,
    Double,
    String,
    Boolean,
    List,
    Map,
}

impl RawKind {
    pub fn of(text: &str) -> RawKind {
        let t = text.trim();
        match t.as_bytes().first() {
            None => RawKind::Null,
            Some(b'n') => RawKind::Null,
            Some(b't' | b'f') => RawKind::Boolean,
            Some(b'"') => RawKind::String,
            Some(b'[') => RawKind::List,
            Some(b'{') => RawKind::Map,
            _ if t.parse::<i64>().is_ok() => RawKind::Long,
            _ => RawKind::Double,
        }
    }

    pub fn java_class(self) -> &'static str {
        match self {
            RawKind::Null => "null",
            RawKind::Long => "java.lang.Long",
            RawKind::Double => "java.lang.Double",
            RawKind::String => "java.lang.String",
            RawKind::Boolean => "java.lang.Boolean",
            RawKind::List => "java.util.ArrayList",
            RawKind::Map => "java.util.HashMap",
        }
    }
}

/// Rows a transform failed, each with the first failure Java would throw for it.
#[derive(Debug, Default)]
pub struct RowFailures(std::collections::BTreeMap<usize, Error>);

impl RowFailures {
    /// `row` fails with `error` unless it failed already (Java stops at the first exception).
    pub fn add(&mut self, row: usize, error: Error) {
        self.0.entry(row).or_insert(error);
    }

    pub fn add_all(&mut self, errors: impl IntoIterator<Item = (usize, Error)>) {
        for (row, e) in errors {
            self.add(row, e);
        }
    }

    /// Every non-null row of `array` fails with a `DataException` saying `message`.
    pub fn all_rows(&mut self, array: &dyn arrow::array::Array, message: &str) {
        for row in valid_rows(array) {
            self.add(row, Error::data(message));
        }
    }

    /// The failed rows, in order.
    pub fn rows(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.keys().copied()
    }

    pub fn into_errors(self) -> Vec<crate::plugin::RowError> {
        self.0
            .into_iter()
            .map(|(row, error)| crate::plugin::RowError { row, error })
            .collect()
    }
}

/// A `$Key`/`$Value` transform's `apply`: `rewrite` turns the side's column (field and array)
/// into the new one, recording failed rows. A column without any value is left as it is: Java
/// returns a record whose key or value is null untouched, schema included.
pub fn apply_to_side(
    records: &RecordBatch,
    side: Side,
    rewrite: impl FnOnce(&Field, &ArrayRef, &mut RowFailures) -> Result<(Field, ArrayRef)>,
) -> Result<super::Applied> {
    let (field, array) = column(records, side.column())?;
    if array.logical_null_count() == array.len() {
        return Ok(super::Applied::all(records.clone()));
    }
    let mut failures = RowFailures::default();
    let (out_field, out) = rewrite(&field, array, &mut failures)?;
    Ok(super::Applied {
        records: replace(records, side.column(), out_field, out)?,
        errors: failures.into_errors(),
        keep: None,
    })
}

/// `Requirements.requireMap` failing for the non-null rows of a schemaless column that is not a
/// map (a struct or map column is one): Java names each value's class. A raw-JSON column holds
/// objects in some rows, which `object_rows` says Strait cannot handle.
pub fn require_map_failures(
    field: &Field,
    array: &ArrayRef,
    purpose: &str,
    object_rows: &str,
    failures: &mut RowFailures,
) {
    use arrow::array::AsArray;
    let message = |class: &str| {
        format!("Only Map objects supported in absence of schema for [{purpose}], found: {class}")
    };
    if is_raw_json(field) {
        let raw = array.as_string::<i32>();
        for row in valid_rows(raw) {
            let error = match RawKind::of(raw.value(row)) {
                RawKind::Map => object_rows.to_string(),
                kind => message(kind.java_class()),
            };
            failures.add(row, Error::data(error));
        }
    } else {
        let class = crate::java_text::java_class_name(field.data_type()).unwrap_or("null");
        failures.all_rows(array.as_ref(), &message(class));
    }
}

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

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;
    use crate::batch::{Batch, Provenance};
    use crate::transforms::registry::build_chain;
    use arrow::array::NullArray;

    /// Tombstones (JsonConverter's `SchemaAndValue.NULL`: a schemaless Null column) through
    /// every `$Value` transform that reads the value: Java passes a null value without schema
    /// through, except where `requireMap` rejects it, and HoistField wraps it.
    #[test]
    fn tombstones_are_nulls_without_schema_to_every_transform() {
        let tombstones = sink_batch((
            schema::schemaless(Field::new("value", DataType::Null, true)),
            Arc::new(NullArray::new(2)),
        ));
        let t = "org.apache.kafka.connect.transforms.";
        // Class, config, the purpose `requireMap` names when Java fails the record.
        let cases: &[(&str, &[(&str, &str)], Option<&str>)] = &[
            ("Cast$Value", &[("spec", "a:string")], None),
            ("Cast$Value", &[("spec", "string")], None),
            ("ExtractField$Value", &[("field", "a")], None),
            ("Flatten$Value", &[], None),
            (
                "InsertField$Value",
                &[("static.field", "s"), ("static.value", "v")],
                None,
            ),
            ("ReplaceField$Value", &[("exclude", "a")], None),
            ("SetSchemaMetadata$Value", &[("schema.name", "n")], None),
            (
                "TimestampConverter$Value",
                &[("field", "a"), ("target.type", "unix")],
                None,
            ),
            ("TimestampConverter$Value", &[("target.type", "unix")], None),
            ("MaskField$Value", &[("fields", "a")], Some("mask fields")),
            (
                "ValueToKey",
                &[("fields", "a")],
                Some("copying fields from value to key"),
            ),
            (
                "HeaderFrom$Value",
                &[("fields", "a"), ("headers", "h"), ("operation", "move")],
                Some("header move"),
            ),
        ];
        for (class, config, fails) in cases {
            let mut pairs = vec![
                ("transforms".to_string(), "a".to_string()),
                ("transforms.a.type".to_string(), format!("{t}{class}")),
            ];
            pairs.extend(
                config
                    .iter()
                    .map(|(k, v)| (format!("transforms.a.{k}"), v.to_string())),
            );
            let chain = build_chain(&pairs.into_iter().collect(), &tests_context()).unwrap();
            let out = chain
                .apply(Batch::new(tombstones.clone(), Provenance::None))
                .unwrap();
            match fails {
                None => {
                    assert!(out.errors.is_empty(), "{class}: {:?}", out.errors);
                    let records = &out.pieces[0].records;
                    assert_eq!(records, &tombstones, "{class} passes tombstones through");
                }
                Some(purpose) => {
                    assert_eq!(out.errors.len(), 2, "{class}");
                    assert_eq!(
                        out.errors[0].error.message(),
                        format!(
                            "Only Map objects supported in absence of schema for [{purpose}], found: null"
                        ),
                        "{class}"
                    );
                }
            }
        }
        // HoistField: `{"w": null}` without schema.
        let hoist = [
            ("transforms", "a"),
            (
                "transforms.a.type",
                "org.apache.kafka.connect.transforms.HoistField$Value",
            ),
            ("transforms.a.field", "w"),
        ];
        let chain = build_chain(&props(&hoist), &tests_context()).unwrap();
        let out = chain
            .apply(Batch::new(tombstones, Provenance::None))
            .unwrap();
        assert!(out.errors.is_empty());
        let (field, hoisted) = struct_of(&out.pieces[0].records, "value");
        assert!(schema::is_schemaless(&field));
        assert_eq!(hoisted.null_count(), 0);
        assert_eq!(
            hoisted.column_by_name("w").unwrap().data_type(),
            &DataType::Null
        );
    }

    #[test]
    fn null_typed_rows_are_null_to_java() {
        let field = schema::schemaless(Field::new("value", DataType::Null, true));
        let array = NullArray::new(1);
        assert!(is_null_at(&array, 0));
        assert_eq!(java_class(&field, &array, 0), "null");
        assert_eq!(java_schema_string(&field), "null");
        assert_eq!(valid_rows(&array).count(), 0);
    }
}
