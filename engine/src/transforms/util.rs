//! Column helpers shared by the transforms.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch};
use arrow::datatypes::Field;

use crate::batch::{columns, with_columns};
use crate::error::{Error, Result};

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

/// Rows of a column that Java sees as non-null values.
pub fn valid_rows(array: &dyn arrow::array::Array) -> impl Iterator<Item = usize> + '_ {
    (0..array.len()).filter(move |&i| array.is_valid(i))
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
