//! Encoding typed Arrow columns to JSON, as JsonConverter's `convertToJson` does.
//!
//! An [`Enc`] tree is compiled once per column from the Arrow field (and its Connect schema,
//! when it has one): arrays are downcast once, defaults are canonical bytes ready to copy, and
//! then each row is written straight into the output buffer.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BinaryArray, BooleanArray, Date32Array, Decimal128Array,
    Float32Array, Float64Array, Int16Array, Int32Array, Int64Array, Int8Array, StringArray,
    Time32MillisecondArray, TimestampMillisecondArray,
};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, TimeUnit};

use super::connect::{ConnectSchema, Type};
use super::write::{
    write_base64, write_decimal_base64, write_f32, write_f64, write_int, write_str,
};
use super::Opts;
use crate::java::write_big_decimal;

enum Kind {
    Null,
    Bool(BooleanArray),
    I8(Int8Array),
    I16(Int16Array),
    I32(Int32Array),
    I64(Int64Array),
    F32(Float32Array),
    F64(Float64Array),
    Str(StringArray),
    /// Raw JSON text, written as is.
    Raw(StringArray),
    Bin(BinaryArray),
    DecimalBase64(Decimal128Array),
    DecimalNumeric(Decimal128Array, i32),
    Date(Date32Array),
    Time(Time32MillisecondArray),
    Timestamp(TimestampMillisecondArray),
    List(OffsetBuffer<i32>, Box<Enc>),
    Map {
        offsets: OffsetBuffer<i32>,
        object: bool,
        /// Non-string keys: entries as `{"key":k,"value":v}` (JsonSchemaData), else `[k,v]`.
        entry_objects: bool,
        key: Box<Enc>,
        value: Box<Enc>,
    },
    /// Members with their `"name":` prefix pre-escaped.
    Struct(Vec<(Vec<u8>, Enc)>),
}

/// A compiled encoder for one column (or child column).
pub(crate) struct Enc {
    kind: Kind,
    nulls: Option<NullBuffer>,
    /// Connect `optional` (schemaless values are always optional).
    optional: bool,
    /// Canonical default JSON, already filtered by `replace.null.with.default`.
    default: Option<Vec<u8>>,
}

/// Arrow types the encoder reads directly; others are cast to these first.
fn canonical(dt: &DataType) -> Option<DataType> {
    Some(match dt {
        DataType::LargeUtf8 | DataType::Utf8View => DataType::Utf8,
        DataType::Dictionary(_, v)
            if matches!(
                **v,
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
            ) =>
        {
            DataType::Utf8
        }
        DataType::LargeBinary | DataType::BinaryView | DataType::FixedSizeBinary(_) => {
            DataType::Binary
        }
        DataType::LargeList(f) | DataType::FixedSizeList(f, _) => DataType::List(f.clone()),
        DataType::Date64 => DataType::Date32,
        DataType::Time32(TimeUnit::Second) | DataType::Time64(_) => {
            DataType::Time32(TimeUnit::Millisecond)
        }
        DataType::Timestamp(unit, _) if *unit != TimeUnit::Millisecond => {
            DataType::Timestamp(TimeUnit::Millisecond, None)
        }
        _ => return None,
    })
}

impl Enc {
    /// Compile an encoder. `schema` is `None` for schemaless columns.
    pub fn new(
        field: &Field,
        array: &ArrayRef,
        schema: Option<&ConnectSchema>,
        opts: &Opts,
    ) -> Result<Enc, String> {
        let array = match canonical(array.data_type()) {
            Some(to) => cast(array, &to).map_err(|e| {
                format!(
                    "field {}: cannot read {}: {e}",
                    field.name(),
                    array.data_type()
                )
            })?,
            None => array.clone(),
        };
        let nulls = array.logical_nulls();
        let (optional, default) = match schema {
            Some(s) => (
                s.optional,
                s.default.clone().filter(|_| opts.replace_null_with_default),
            ),
            None => (true, None),
        };
        let kind = match schema {
            Some(s) => Self::schema_kind(field, &array, s, opts)?,
            None => Self::schemaless_kind(field, &array, opts)?,
        };
        Ok(Enc {
            kind,
            nulls,
            optional,
            default,
        })
    }

    fn schema_kind(
        field: &Field,
        array: &ArrayRef,
        s: &ConnectSchema,
        opts: &Opts,
    ) -> Result<Kind, String> {
        let mismatch = || {
            format!(
                "field {}: Arrow type {} does not hold Connect {} values",
                field.name(),
                array.data_type(),
                s.type_name()
            )
        };
        Ok(match (&s.ty, array.data_type()) {
            (Type::Bytes, DataType::Decimal128(_, scale)) => {
                let a = array
                    .as_primitive::<arrow::datatypes::Decimal128Type>()
                    .clone();
                if opts.decimal_numeric {
                    Kind::DecimalNumeric(a, *scale as i32)
                } else {
                    Kind::DecimalBase64(a)
                }
            }
            (Type::Int32, DataType::Date32) => Kind::Date(array.as_primitive().clone()),
            (Type::Int32, DataType::Time32(TimeUnit::Millisecond)) => {
                Kind::Time(array.as_primitive().clone())
            }
            (Type::Int64, DataType::Timestamp(TimeUnit::Millisecond, _)) => Kind::Timestamp(
                array
                    .as_primitive::<arrow::datatypes::TimestampMillisecondType>()
                    .clone(),
            ),
            (Type::Array(items), DataType::List(item_field)) => {
                let list = array.as_list::<i32>();
                Kind::List(
                    list.offsets().clone(),
                    Box::new(Enc::new(item_field, list.values(), Some(items), opts)?),
                )
            }
            (Type::Map(ks, vs), DataType::Map(_, _)) => {
                let map = array.as_map();
                let (kf, vf) = map_fields(field, map)?;
                Kind::Map {
                    offsets: map.offsets().clone(),
                    object: matches!(ks.ty, Type::String),
                    entry_objects: opts.map_entries_as_objects,
                    key: Box::new(Enc::new(&kf, map.keys(), Some(ks), opts)?),
                    value: Box::new(Enc::new(&vf, map.values(), Some(vs), opts)?),
                }
            }
            (Type::Struct(members), DataType::Struct(fields)) => {
                let st = array.as_struct();
                if members.len() != fields.len() {
                    return Err(mismatch());
                }
                let mut children = Vec::with_capacity(members.len());
                for ((name, ms), (f, col)) in members.iter().zip(fields.iter().zip(st.columns())) {
                    children.push((member_prefix(name), Enc::new(f, col, Some(ms), opts)?));
                }
                Kind::Struct(children)
            }
            (Type::Array(_) | Type::Map(_, _) | Type::Struct(_), _) => return Err(mismatch()),
            (_, dt) if scalar_matches(&s.ty, dt) => Self::scalar_kind(field, array)?,
            _ => return Err(mismatch()),
        })
    }

    fn schemaless_kind(field: &Field, array: &ArrayRef, opts: &Opts) -> Result<Kind, String> {
        Ok(match array.data_type() {
            DataType::Null => Kind::Null,
            DataType::Utf8
                if field.metadata().get(super::RAW_JSON).map(String::as_str) == Some("true") =>
            {
                Kind::Raw(array.as_string::<i32>().clone())
            }
            DataType::Decimal128(_, scale) => {
                let a = array
                    .as_primitive::<arrow::datatypes::Decimal128Type>()
                    .clone();
                if opts.decimal_numeric {
                    Kind::DecimalNumeric(a, *scale as i32)
                } else {
                    Kind::DecimalBase64(a)
                }
            }
            DataType::List(item) => {
                let list = array.as_list::<i32>();
                Kind::List(
                    list.offsets().clone(),
                    Box::new(Enc::new(item, list.values(), None, opts)?),
                )
            }
            DataType::Map(_, _) => {
                let map = array.as_map();
                let (kf, vf) = map_fields(field, map)?;
                Kind::Map {
                    offsets: map.offsets().clone(),
                    object: kf.data_type() == &DataType::Utf8
                        || canonical(kf.data_type()) == Some(DataType::Utf8),
                    entry_objects: opts.map_entries_as_objects,
                    key: Box::new(Enc::new(&kf, map.keys(), None, opts)?),
                    value: Box::new(Enc::new(&vf, map.values(), None, opts)?),
                }
            }
            // A schemaless `java.util.Date` (TimestampConverter or InsertField without a
            // schema make them): Java's `convertToJson` finds no schema type for its class. A
            // column of nulls only holds no Date.
            DataType::Date32 | DataType::Time32(_) | DataType::Timestamp(..)
                if array.null_count() < array.len() =>
            {
                return Err(
                    "Java class class java.util.Date does not have corresponding schema type."
                        .to_string(),
                )
            }
            DataType::Struct(fields) => {
                let st = array.as_struct();
                let mut children = Vec::with_capacity(fields.len());
                for (f, col) in fields.iter().zip(st.columns()) {
                    children.push((member_prefix(f.name()), Enc::new(f, col, None, opts)?));
                }
                Kind::Struct(children)
            }
            _ => Self::scalar_kind(field, array)?,
        })
    }

    fn scalar_kind(field: &Field, array: &ArrayRef) -> Result<Kind, String> {
        Ok(match array.data_type() {
            DataType::Boolean => Kind::Bool(array.as_boolean().clone()),
            DataType::Int8 => Kind::I8(array.as_primitive().clone()),
            DataType::Int16 => Kind::I16(array.as_primitive().clone()),
            DataType::Int32 => Kind::I32(array.as_primitive().clone()),
            DataType::Int64 => Kind::I64(array.as_primitive().clone()),
            DataType::Float32 => Kind::F32(array.as_primitive().clone()),
            DataType::Float64 => Kind::F64(array.as_primitive().clone()),
            DataType::Utf8 => Kind::Str(array.as_string::<i32>().clone()),
            DataType::Binary => Kind::Bin(array.as_binary::<i32>().clone()),
            DataType::Date32 => Kind::Date(array.as_primitive().clone()),
            DataType::Time32(TimeUnit::Millisecond) => Kind::Time(array.as_primitive().clone()),
            DataType::Timestamp(TimeUnit::Millisecond, _) => Kind::Timestamp(
                array
                    .as_primitive::<arrow::datatypes::TimestampMillisecondType>()
                    .clone(),
            ),
            other => {
                return Err(format!(
                    "field {}: JsonConverter cannot encode Arrow type {other}",
                    field.name()
                ))
            }
        })
    }

    #[inline]
    fn is_null(&self, i: usize) -> bool {
        self.nulls.as_ref().is_some_and(|n| n.is_null(i))
    }

    /// Whether a null at the top level should be written as a JSON value (the schema is
    /// optional or has a default to use) rather than as a null payload.
    pub fn null_is_a_value(&self) -> bool {
        self.optional || self.default.is_some()
    }

    /// Write row `i`.
    pub fn write(&self, i: usize, out: &mut Vec<u8>) -> Result<(), String> {
        if self.is_null(i) {
            return self.write_null(out);
        }
        match &self.kind {
            Kind::Null => out.extend_from_slice(b"null"),
            Kind::Bool(a) => out.extend_from_slice(if a.value(i) { b"true" } else { b"false" }),
            Kind::I8(a) => write_int(out, a.value(i) as i64),
            Kind::I16(a) => write_int(out, a.value(i) as i64),
            Kind::I32(a) => write_int(out, a.value(i) as i64),
            Kind::I64(a) => write_int(out, a.value(i)),
            Kind::F32(a) => write_f32(out, a.value(i)),
            Kind::F64(a) => write_f64(out, a.value(i)),
            Kind::Str(a) => write_str(out, a.value(i).as_bytes()),
            Kind::Raw(a) => out.extend_from_slice(a.value(i).as_bytes()),
            Kind::Bin(a) => write_base64(out, a.value(i)),
            Kind::DecimalBase64(a) => write_decimal_base64(out, a.value(i)),
            Kind::DecimalNumeric(a, scale) => write_big_decimal(out, a.value(i), *scale),
            Kind::Date(a) => write_int(out, a.value(i) as i64),
            Kind::Time(a) => write_int(out, a.value(i) as i64),
            Kind::Timestamp(a) => write_int(out, a.value(i)),
            Kind::List(offsets, item) => {
                out.push(b'[');
                for (n, j) in (offsets[i] as usize..offsets[i + 1] as usize).enumerate() {
                    if n > 0 {
                        out.push(b',');
                    }
                    item.write(j, out)?;
                }
                out.push(b']');
            }
            Kind::Map {
                offsets,
                object: true,
                key,
                value,
                ..
            } => {
                out.push(b'{');
                for (n, j) in (offsets[i] as usize..offsets[i + 1] as usize).enumerate() {
                    if n > 0 {
                        out.push(b',');
                    }
                    key.write(j, out)?;
                    out.push(b':');
                    value.write(j, out)?;
                }
                out.push(b'}');
            }
            Kind::Map {
                offsets,
                object: false,
                entry_objects,
                key,
                value,
            } => {
                out.push(b'[');
                for (n, j) in (offsets[i] as usize..offsets[i + 1] as usize).enumerate() {
                    if n > 0 {
                        out.push(b',');
                    }
                    if *entry_objects {
                        out.extend_from_slice(b"{\"key\":");
                        key.write(j, out)?;
                        out.extend_from_slice(b",\"value\":");
                        value.write(j, out)?;
                        out.push(b'}');
                    } else {
                        out.push(b'[');
                        key.write(j, out)?;
                        out.push(b',');
                        value.write(j, out)?;
                        out.push(b']');
                    }
                }
                out.push(b']');
            }
            Kind::Struct(members) => {
                out.push(b'{');
                for (n, (prefix, child)) in members.iter().enumerate() {
                    if n > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(prefix);
                    child.write(i, out)?;
                }
                out.push(b'}');
            }
        }
        Ok(())
    }

    /// `convertToJson(schema, null)`: the default, JSON null, or an error.
    fn write_null(&self, out: &mut Vec<u8>) -> Result<(), String> {
        if let Some(d) = &self.default {
            out.extend_from_slice(d);
        } else if self.optional {
            out.extend_from_slice(b"null");
        } else {
            return Err(
                "Conversion error: null value for field that is required and has no default value"
                    .into(),
            );
        }
        Ok(())
    }
}

/// Whether an Arrow type holds values of a primitive Connect type.
fn scalar_matches(ty: &Type, dt: &DataType) -> bool {
    matches!(
        (ty, dt),
        (Type::Int8, DataType::Int8)
            | (Type::Int16, DataType::Int16)
            | (
                Type::Int32,
                DataType::Int32 | DataType::Date32 | DataType::Time32(TimeUnit::Millisecond)
            )
            | (
                Type::Int64,
                DataType::Int64 | DataType::Timestamp(TimeUnit::Millisecond, _)
            )
            | (Type::Float32, DataType::Float32)
            | (Type::Float64, DataType::Float64)
            | (Type::Boolean, DataType::Boolean)
            | (Type::String, DataType::Utf8)
            | (Type::Bytes, DataType::Binary)
    )
}

fn map_fields(
    field: &Field,
    map: &arrow::array::MapArray,
) -> Result<(Arc<Field>, Arc<Field>), String> {
    match map.entries().fields().iter().collect::<Vec<_>>().as_slice() {
        [k, v] => Ok(((*k).clone(), (*v).clone())),
        _ => Err(format!(
            "field {}: map entries must have two fields",
            field.name()
        )),
    }
}

/// `"name":`, escaped once at compile time.
fn member_prefix(name: &str) -> Vec<u8> {
    let mut p = Vec::with_capacity(name.len() + 3);
    write_str(&mut p, name.as_bytes());
    p.push(b':');
    p
}
