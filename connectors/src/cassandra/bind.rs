//! Arrow columns to CQL values, written straight into the native protocol's byte form.
//!
//! A [`Reader`] is built once per column per batch (the typed Arrow array behind a mapped
//! field); [`write_value`] then writes row `i` of it as the bound variable's CQL type into a
//! shared buffer. Nothing per record is allocated: no row objects, no boxed values, one arena
//! of bytes per batch ([`RowCells`]). Conversions follow DataStax's codecs (dsbulk's) where a
//! source type and a column type differ: numbers narrow only when they fit, text parses into
//! numbers, booleans, UUIDs, addresses, blobs (base64 or `0x…` hex) and temporal types (per the
//! topic's `codec.*` settings), and anything becomes text. Values that do not convert are the
//! record's fault and carry a message naming the value and the CQL type.

use std::net::IpAddr;

use arrow::array::{
    Array, AsArray, BinaryArray, BooleanArray, Date32Array, Decimal128Array, Float32Array,
    Float64Array, Int16Array, Int32Array, Int64Array, Int8Array, LargeBinaryArray,
    LargeStringArray, ListArray, MapArray, StringArray, StructArray, Time32MillisecondArray,
    Time64MicrosecondArray, Time64NanosecondArray, TimestampMicrosecondArray,
    TimestampMillisecondArray, TimestampNanosecondArray, TimestampSecondArray, UInt16Array,
    UInt32Array, UInt64Array, UInt8Array,
};
use arrow::datatypes::{DataType, TimeUnit as ArrowTimeUnit};
use base64::Engine as _;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use scylla::frame::response::result::{CollectionType, ColumnType, NativeType};

use super::config::TimeUnit;

const NANOS_PER_DAY: i64 = 86_400 * 1_000_000_000;
/// CQL `date` is days since the epoch shifted by 2^31 (so it is unsigned on the wire).
const DATE_EPOCH_SHIFT: i64 = 1 << 31;

/// How text and bare numbers become temporal values (`topic.<t>.codec.*`).
#[derive(Debug, Clone)]
pub struct Codec {
    /// Zone of timestamps written without one (`codec.timeZone`).
    pub time_zone: chrono_tz::Tz,
    /// Unit of numbers bound to `timestamp` / `time` columns (`codec.unit`).
    pub unit: TimeUnit,
    /// `codec.timestamp=UNITS_SINCE_EPOCH`: text bound to a `timestamp` column must be a count
    /// of `unit` since the epoch (dsbulk's numeric timestamp format); ISO text is refused.
    pub timestamp_as_units: bool,
}

impl Default for Codec {
    fn default() -> Self {
        Codec {
            time_zone: chrono_tz::UTC,
            unit: TimeUnit::Milliseconds,
            timestamp_as_units: false,
        }
    }
}

/// A value that could not become its column's CQL type: the record's fault.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvError(pub String);

impl std::fmt::Display for ConvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<T>(message: impl Into<String>) -> Result<T, ConvError> {
    Err(ConvError(message.into()))
}

/// A typed view of one Arrow column, for row-wise reads without downcasting per row.
#[derive(Debug, Clone)]
pub enum Reader<'a> {
    /// Every row null (a field absent from the record's schema).
    Null,
    Bool(&'a BooleanArray),
    I8(&'a Int8Array),
    I16(&'a Int16Array),
    I32(&'a Int32Array),
    I64(&'a Int64Array),
    U8(&'a UInt8Array),
    U16(&'a UInt16Array),
    U32(&'a UInt32Array),
    U64(&'a UInt64Array),
    F32(&'a Float32Array),
    F64(&'a Float64Array),
    Utf8(&'a StringArray),
    LargeUtf8(&'a LargeStringArray),
    Binary(&'a BinaryArray),
    LargeBinary(&'a LargeBinaryArray),
    Decimal(&'a Decimal128Array, i32),
    Date(&'a Date32Array),
    TimeMs(&'a Time32MillisecondArray),
    TimeUs(&'a Time64MicrosecondArray),
    TimeNs(&'a Time64NanosecondArray),
    TimestampS(&'a TimestampSecondArray),
    TimestampMs(&'a TimestampMillisecondArray),
    TimestampUs(&'a TimestampMicrosecondArray),
    TimestampNs(&'a TimestampNanosecondArray),
    List(&'a ListArray, Box<Reader<'a>>),
    Map(&'a MapArray, Box<Reader<'a>>, Box<Reader<'a>>),
    Struct(&'a StructArray, Vec<(&'a str, Reader<'a>)>),
    /// Text holding each row's raw JSON (a schemaless field whose type varies between records).
    RawJson(&'a StringArray),
}

impl<'a> Reader<'a> {
    /// The reader for a column with its field: raw JSON text is read as JSON.
    pub fn for_field(
        field: &arrow::datatypes::Field,
        array: &'a dyn Array,
    ) -> Result<Self, String> {
        let raw_json = field
            .metadata()
            .get(strait_engine::schema::RAW_JSON)
            .is_some_and(|v| v == "true");
        match array.data_type() {
            DataType::Utf8 if raw_json => Ok(Reader::RawJson(array.as_string())),
            _ => Reader::new(array),
        }
    }

    /// The reader for `array`, or why its Arrow type cannot feed a CQL column.
    pub fn new(array: &'a dyn Array) -> Result<Self, String> {
        Ok(match array.data_type() {
            DataType::Null => Reader::Null,
            DataType::Boolean => Reader::Bool(array.as_boolean()),
            DataType::Int8 => Reader::I8(array.as_primitive()),
            DataType::Int16 => Reader::I16(array.as_primitive()),
            DataType::Int32 => Reader::I32(array.as_primitive()),
            DataType::Int64 => Reader::I64(array.as_primitive()),
            DataType::UInt8 => Reader::U8(array.as_primitive()),
            DataType::UInt16 => Reader::U16(array.as_primitive()),
            DataType::UInt32 => Reader::U32(array.as_primitive()),
            DataType::UInt64 => Reader::U64(array.as_primitive()),
            DataType::Float32 => Reader::F32(array.as_primitive()),
            DataType::Float64 => Reader::F64(array.as_primitive()),
            DataType::Utf8 => Reader::Utf8(array.as_string()),
            DataType::LargeUtf8 => Reader::LargeUtf8(array.as_string()),
            DataType::Binary => Reader::Binary(array.as_binary()),
            DataType::LargeBinary => Reader::LargeBinary(array.as_binary()),
            DataType::Decimal128(_, scale) => Reader::Decimal(array.as_primitive(), *scale as i32),
            DataType::Date32 => Reader::Date(array.as_primitive()),
            DataType::Time32(ArrowTimeUnit::Millisecond) => Reader::TimeMs(array.as_primitive()),
            DataType::Time64(ArrowTimeUnit::Microsecond) => Reader::TimeUs(array.as_primitive()),
            DataType::Time64(ArrowTimeUnit::Nanosecond) => Reader::TimeNs(array.as_primitive()),
            DataType::Timestamp(unit, _) => match unit {
                ArrowTimeUnit::Second => Reader::TimestampS(array.as_primitive()),
                ArrowTimeUnit::Millisecond => Reader::TimestampMs(array.as_primitive()),
                ArrowTimeUnit::Microsecond => Reader::TimestampUs(array.as_primitive()),
                ArrowTimeUnit::Nanosecond => Reader::TimestampNs(array.as_primitive()),
            },
            DataType::List(_) => {
                let list = array.as_list::<i32>();
                Reader::List(list, Box::new(Reader::new(list.values().as_ref())?))
            }
            DataType::Map(_, _) => {
                let map = array.as_map();
                Reader::Map(
                    map,
                    Box::new(Reader::new(map.keys().as_ref())?),
                    Box::new(Reader::new(map.values().as_ref())?),
                )
            }
            DataType::Struct(fields) => {
                let st = array.as_struct();
                let mut children = Vec::with_capacity(fields.len());
                for (f, c) in fields.iter().zip(st.columns()) {
                    children.push((f.name().as_str(), Reader::for_field(f, c.as_ref())?));
                }
                Reader::Struct(st, children)
            }
            other => return Err(format!("Arrow type {other} has no CQL conversion")),
        })
    }

    /// Whether row `row` is null.
    pub fn is_null(&self, row: usize) -> bool {
        if let Reader::RawJson(a) = self {
            return a.is_null(row) || a.value(row).trim() == "null";
        }
        match self.array() {
            None => true,
            Some(a) => a.is_null(row),
        }
    }

    fn array(&self) -> Option<&'a dyn Array> {
        Some(match self {
            Reader::Null => return None,
            Reader::Bool(a) => *a,
            Reader::I8(a) => *a,
            Reader::I16(a) => *a,
            Reader::I32(a) => *a,
            Reader::I64(a) => *a,
            Reader::U8(a) => *a,
            Reader::U16(a) => *a,
            Reader::U32(a) => *a,
            Reader::U64(a) => *a,
            Reader::F32(a) => *a,
            Reader::F64(a) => *a,
            Reader::Utf8(a) => *a,
            Reader::LargeUtf8(a) => *a,
            Reader::Binary(a) => *a,
            Reader::LargeBinary(a) => *a,
            Reader::Decimal(a, _) => *a,
            Reader::Date(a) => *a,
            Reader::TimeMs(a) => *a,
            Reader::TimeUs(a) => *a,
            Reader::TimeNs(a) => *a,
            Reader::TimestampS(a) => *a,
            Reader::TimestampMs(a) => *a,
            Reader::TimestampUs(a) => *a,
            Reader::TimestampNs(a) => *a,
            Reader::List(a, _) => *a,
            Reader::Map(a, _, _) => *a,
            Reader::Struct(a, _) => *a,
            Reader::RawJson(a) => *a,
        })
    }

    /// The child reader of a struct field, by exact name.
    pub fn field(&self, name: &str) -> Option<&Reader<'a>> {
        match self {
            Reader::Struct(_, children) => {
                children.iter().find(|(n, _)| *n == name).map(|(_, r)| r)
            }
            _ => None,
        }
    }

    /// Row `row` as a number, for `__ttl` / `__timestamp`: integers, integral floats and
    /// decimals, numeric text.
    pub fn integer(&self, row: usize) -> Result<Option<i64>, ConvError> {
        if self.is_null(row) {
            return Ok(None);
        }
        if let Reader::RawJson(a) = self {
            return parse_integer(a.value(row)).map(Some);
        }
        match scalar(self, row) {
            Some(s) => s.to_i64().map(Some),
            None => err("not a number"),
        }
    }
}

/// One non-null value read from a column, borrowed from it.
#[derive(Debug, Clone, Copy)]
enum Scalar<'a> {
    Bool(bool),
    I64(i64),
    U64(u64),
    F64(f64),
    F32(f32),
    Str(&'a str),
    Bytes(&'a [u8]),
    /// Unscaled value and scale.
    Decimal(i128, i32),
    /// Days since the epoch.
    Date(i64),
    /// Nanoseconds since midnight.
    Time(i64),
    /// Milliseconds since the epoch, with sub-millisecond nanoseconds dropped.
    TimestampMs(i64),
}

impl Scalar<'_> {
    fn describe(&self) -> String {
        match self {
            Scalar::Bool(b) => b.to_string(),
            Scalar::I64(v) => v.to_string(),
            Scalar::U64(v) => v.to_string(),
            Scalar::F64(v) => v.to_string(),
            Scalar::F32(v) => v.to_string(),
            Scalar::Str(s) => format!("'{s}'"),
            Scalar::Bytes(b) => format!("0x{}", hex(b)),
            Scalar::Decimal(u, s) => decimal_text(*u, *s),
            Scalar::Date(d) => format!("date {d}"),
            Scalar::Time(n) => format!("time {n}ns"),
            Scalar::TimestampMs(m) => format!("timestamp {m}ms"),
        }
    }

    fn to_i64(self) -> Result<i64, ConvError> {
        match self {
            Scalar::Bool(b) => Ok(b as i64),
            Scalar::I64(v) => Ok(v),
            Scalar::U64(v) => i64::try_from(v).or_else(|_| err(format!("{v} is out of range"))),
            Scalar::F64(v) => float_to_i64(v),
            Scalar::F32(v) => float_to_i64(v as f64),
            Scalar::Decimal(u, s) => decimal_to_i128(u, s)
                .and_then(|v| i64::try_from(v).ok())
                .ok_or_else(|| {
                    ConvError(format!("{} is not a 64-bit integer", decimal_text(u, s)))
                }),
            Scalar::Str(s) => parse_integer(s),
            Scalar::TimestampMs(m) => Ok(m),
            other => err(format!("{} is not a number", other.describe())),
        }
    }
}

fn float_to_i64(v: f64) -> Result<i64, ConvError> {
    if v.fract() == 0.0 && v >= i64::MIN as f64 && v < i64::MAX as f64 {
        Ok(v as i64)
    } else {
        err(format!("{v} is not an integer (it would lose precision)"))
    }
}

fn parse_integer(s: &str) -> Result<i64, ConvError> {
    let t = s.trim();
    if let Ok(v) = t.parse::<i64>() {
        return Ok(v);
    }
    match parse_decimal(t) {
        Some((u, sc)) => decimal_to_i128(u, sc)
            .and_then(|v| i64::try_from(v).ok())
            .ok_or_else(|| ConvError(format!("'{s}' is not a 64-bit integer"))),
        None => err(format!("could not parse '{s}' as a number")),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Row `row` of a scalar reader (`None` for nested readers).
fn scalar<'a>(r: &Reader<'a>, row: usize) -> Option<Scalar<'a>> {
    Some(match r {
        Reader::Bool(a) => Scalar::Bool(a.value(row)),
        Reader::I8(a) => Scalar::I64(a.value(row) as i64),
        Reader::I16(a) => Scalar::I64(a.value(row) as i64),
        Reader::I32(a) => Scalar::I64(a.value(row) as i64),
        Reader::I64(a) => Scalar::I64(a.value(row)),
        Reader::U8(a) => Scalar::I64(a.value(row) as i64),
        Reader::U16(a) => Scalar::I64(a.value(row) as i64),
        Reader::U32(a) => Scalar::I64(a.value(row) as i64),
        Reader::U64(a) => Scalar::U64(a.value(row)),
        Reader::F32(a) => Scalar::F32(a.value(row)),
        Reader::F64(a) => Scalar::F64(a.value(row)),
        Reader::Utf8(a) => Scalar::Str(a.value(row)),
        Reader::LargeUtf8(a) => Scalar::Str(a.value(row)),
        Reader::Binary(a) => Scalar::Bytes(a.value(row)),
        Reader::LargeBinary(a) => Scalar::Bytes(a.value(row)),
        Reader::Decimal(a, s) => Scalar::Decimal(a.value(row), *s),
        Reader::Date(a) => Scalar::Date(a.value(row) as i64),
        Reader::TimeMs(a) => Scalar::Time(a.value(row) as i64 * 1_000_000),
        Reader::TimeUs(a) => Scalar::Time(a.value(row) * 1_000),
        Reader::TimeNs(a) => Scalar::Time(a.value(row)),
        Reader::TimestampS(a) => Scalar::TimestampMs(a.value(row).saturating_mul(1000)),
        Reader::TimestampMs(a) => Scalar::TimestampMs(a.value(row)),
        Reader::TimestampUs(a) => Scalar::TimestampMs(a.value(row).div_euclid(1000)),
        Reader::TimestampNs(a) => Scalar::TimestampMs(a.value(row).div_euclid(1_000_000)),
        Reader::Null
        | Reader::List(..)
        | Reader::Map(..)
        | Reader::Struct(..)
        | Reader::RawJson(_) => return None,
    })
}

/// Write row `row` of `r` as a value of CQL type `ty` (the bytes of the value, without the
/// length prefix) and return true, or return false for null (nothing written).
pub fn write_value(
    r: &Reader<'_>,
    row: usize,
    ty: &ColumnType<'_>,
    codec: &Codec,
    out: &mut Vec<u8>,
) -> Result<bool, ConvError> {
    if r.is_null(row) {
        return Ok(false);
    }
    if let Reader::RawJson(a) = r {
        let text = a.value(row);
        let json: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| ConvError(format!("could not parse '{text}' as JSON: {e}")))?;
        return write_json(&json, ty, codec, out);
    }
    match ty {
        ColumnType::Native(nt) => match scalar(r, row) {
            Some(s) => write_native(s, nt, codec, out).map(|()| true),
            // A struct, list or map into a text column: its JSON text.
            None if matches!(nt, NativeType::Text | NativeType::Ascii) => {
                let json = to_json(r, row);
                write_native(Scalar::Str(&json.to_string()), nt, codec, out).map(|()| true)
            }
            None => err(format!(
                "a {} cannot be converted to CQL type {}",
                kind_name(r),
                type_name(ty)
            )),
        },
        ColumnType::Collection { typ, .. } => match (r, typ) {
            (Reader::List(list, items), CollectionType::List(elem) | CollectionType::Set(elem)) => {
                let offsets = list.value_offsets();
                let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
                write_i32(out, (end - start) as i32);
                for i in start..end {
                    write_element(items, i, elem, codec, out)?;
                }
                Ok(true)
            }
            (Reader::Map(map, keys, values), CollectionType::Map(kt, vt)) => {
                let offsets = map.value_offsets();
                let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
                write_i32(out, (end - start) as i32);
                for i in start..end {
                    write_element(keys, i, kt, codec, out)?;
                    write_element(values, i, vt, codec, out)?;
                }
                Ok(true)
            }
            // A struct (e.g. a schemaless JSON object) into a map with text keys: its fields.
            (Reader::Struct(_, children), CollectionType::Map(kt, vt))
                if matches!(
                    **kt,
                    ColumnType::Native(NativeType::Text | NativeType::Ascii)
                ) =>
            {
                let present: Vec<_> = children.iter().filter(|(_, c)| !c.is_null(row)).collect();
                write_i32(out, present.len() as i32);
                for (name, child) in present {
                    let at = begin_element(out);
                    write_native(Scalar::Str(name), &NativeType::Text, codec, out)?;
                    end_element(out, at);
                    write_element(child, row, vt, codec, out)?;
                }
                Ok(true)
            }
            (Reader::Utf8(_) | Reader::LargeUtf8(_), _) => write_json_text(r, row, ty, codec, out),
            _ => err(format!(
                "a {} cannot be converted to CQL type {}",
                kind_name(r),
                type_name(ty)
            )),
        },
        ColumnType::UserDefinedType { definition, .. } => match r {
            Reader::Struct(_, children) => {
                for (name, fty) in &definition.field_types {
                    match children.iter().find(|(n, _)| *n == name.as_ref()) {
                        Some((_, child)) => {
                            let at = begin_element(out);
                            if write_value(child, row, fty, codec, out)? {
                                end_element(out, at);
                            } else {
                                out.truncate(at);
                                write_i32(out, -1);
                            }
                        }
                        None => write_i32(out, -1),
                    }
                }
                Ok(true)
            }
            Reader::Utf8(_) | Reader::LargeUtf8(_) => write_json_text(r, row, ty, codec, out),
            _ => err(format!(
                "a {} cannot be converted to CQL type {}",
                kind_name(r),
                type_name(ty)
            )),
        },
        _ => err(format!(
            "CQL type {} is not supported by Strait's Cassandra sink",
            type_name(ty)
        )),
    }
}

/// Text holding JSON (a schemaless value whose types varied, a header) into a collection or UDT.
fn write_json_text(
    r: &Reader<'_>,
    row: usize,
    ty: &ColumnType<'_>,
    codec: &Codec,
    out: &mut Vec<u8>,
) -> Result<bool, ConvError> {
    let Some(Scalar::Str(text)) = scalar(r, row) else {
        return err("not text");
    };
    let json: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        ConvError(format!(
            "could not parse '{text}' as JSON for CQL type {}: {e}",
            type_name(ty)
        ))
    })?;
    write_json(&json, ty, codec, out)
}

/// A JSON value as CQL type `ty`; false for null.
pub fn write_json(
    v: &serde_json::Value,
    ty: &ColumnType<'_>,
    codec: &Codec,
    out: &mut Vec<u8>,
) -> Result<bool, ConvError> {
    use serde_json::Value as J;
    match (v, ty) {
        (J::Null, _) => Ok(false),
        (J::Bool(b), ColumnType::Native(nt)) => {
            write_native(Scalar::Bool(*b), nt, codec, out).map(|()| true)
        }
        (J::Number(n), ColumnType::Native(nt)) => {
            let s = if let Some(i) = n.as_i64() {
                Scalar::I64(i)
            } else if let Some(u) = n.as_u64() {
                Scalar::U64(u)
            } else {
                Scalar::F64(n.as_f64().unwrap_or(f64::NAN))
            };
            write_native(s, nt, codec, out).map(|()| true)
        }
        (J::String(s), ColumnType::Native(nt)) => {
            write_native(Scalar::Str(s), nt, codec, out).map(|()| true)
        }
        (
            J::Array(_) | J::Object(_),
            ColumnType::Native(nt @ (NativeType::Text | NativeType::Ascii)),
        ) => write_native(Scalar::Str(&v.to_string()), nt, codec, out).map(|()| true),
        (
            J::Array(items),
            ColumnType::Collection {
                typ: CollectionType::List(e) | CollectionType::Set(e),
                ..
            },
        ) => {
            write_i32(out, items.len() as i32);
            for item in items {
                let at = begin_element(out);
                if !write_json(item, e, codec, out)? {
                    return err(format!(
                        "a null element cannot be part of CQL type {}",
                        type_name(ty)
                    ));
                }
                end_element(out, at);
            }
            Ok(true)
        }
        (
            J::Object(entries),
            ColumnType::Collection {
                typ: CollectionType::Map(kt, vt),
                ..
            },
        ) => {
            write_i32(out, entries.len() as i32);
            for (k, val) in entries {
                let at = begin_element(out);
                write_json(&J::String(k.clone()), kt, codec, out)?;
                end_element(out, at);
                let at = begin_element(out);
                if !write_json(val, vt, codec, out)? {
                    return err(format!(
                        "a null value cannot be part of CQL type {}",
                        type_name(ty)
                    ));
                }
                end_element(out, at);
            }
            Ok(true)
        }
        (J::Object(entries), ColumnType::UserDefinedType { definition, .. }) => {
            for (name, fty) in &definition.field_types {
                let at = begin_element(out);
                match entries.get(name.as_ref()) {
                    Some(val) if write_json(val, fty, codec, out)? => end_element(out, at),
                    _ => {
                        out.truncate(at);
                        write_i32(out, -1);
                    }
                }
            }
            Ok(true)
        }
        _ => err(format!(
            "JSON {v} cannot be converted to CQL type {}",
            type_name(ty)
        )),
    }
}

/// Reserve a length prefix; [`end_element`] fills it in.
fn begin_element(out: &mut Vec<u8>) -> usize {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    at
}

fn end_element(out: &mut [u8], at: usize) {
    let len = (out.len() - at - 4) as i32;
    out[at..at + 4].copy_from_slice(&len.to_be_bytes());
}

/// A collection element: length-prefixed, never null.
fn write_element(
    r: &Reader<'_>,
    row: usize,
    ty: &ColumnType<'_>,
    codec: &Codec,
    out: &mut Vec<u8>,
) -> Result<(), ConvError> {
    let at = begin_element(out);
    if write_value(r, row, ty, codec, out)? {
        end_element(out, at);
        Ok(())
    } else {
        err("a collection element or map value is null (CQL collections cannot hold nulls)")
    }
}

fn write_i32(out: &mut Vec<u8>, v: i32) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn kind_name(r: &Reader<'_>) -> &'static str {
    match r {
        Reader::List(..) => "list",
        Reader::Map(..) => "map",
        Reader::Struct(..) => "struct",
        _ => "value",
    }
}

/// A CQL type as CQL spells it, for messages.
pub fn type_name(ty: &ColumnType<'_>) -> String {
    match ty {
        ColumnType::Native(nt) => native_name(nt).to_string(),
        ColumnType::Collection { frozen, typ } => {
            let inner = match typ {
                CollectionType::List(e) => format!("list<{}>", type_name(e)),
                CollectionType::Set(e) => format!("set<{}>", type_name(e)),
                CollectionType::Map(k, v) => format!("map<{}, {}>", type_name(k), type_name(v)),
                _ => "collection".to_string(),
            };
            if *frozen {
                format!("frozen<{inner}>")
            } else {
                inner
            }
        }
        ColumnType::UserDefinedType { definition, .. } => {
            format!("{}.{}", definition.keyspace, definition.name)
        }
        ColumnType::Tuple(items) => format!(
            "tuple<{}>",
            items.iter().map(type_name).collect::<Vec<_>>().join(", ")
        ),
        ColumnType::Vector { typ, dimensions } => {
            format!("vector<{}, {dimensions}>", type_name(typ))
        }
        _ => "unknown".to_string(),
    }
}

fn native_name(nt: &NativeType) -> &'static str {
    match nt {
        NativeType::Ascii => "ascii",
        NativeType::Boolean => "boolean",
        NativeType::Blob => "blob",
        NativeType::Counter => "counter",
        NativeType::Date => "date",
        NativeType::Decimal => "decimal",
        NativeType::Double => "double",
        NativeType::Duration => "duration",
        NativeType::Float => "float",
        NativeType::Int => "int",
        NativeType::BigInt => "bigint",
        NativeType::Text => "text",
        NativeType::Timestamp => "timestamp",
        NativeType::Inet => "inet",
        NativeType::SmallInt => "smallint",
        NativeType::TinyInt => "tinyint",
        NativeType::Time => "time",
        NativeType::Timeuuid => "timeuuid",
        NativeType::Uuid => "uuid",
        NativeType::Varint => "varint",
        _ => "unknown",
    }
}

fn cannot(s: Scalar<'_>, nt: &NativeType) -> ConvError {
    ConvError(format!(
        "{} cannot be converted to CQL type {}",
        s.describe(),
        native_name(nt)
    ))
}

fn write_native(
    s: Scalar<'_>,
    nt: &NativeType,
    codec: &Codec,
    out: &mut Vec<u8>,
) -> Result<(), ConvError> {
    match nt {
        NativeType::Text | NativeType::Ascii => {
            let owned;
            let text: &str = match s {
                Scalar::Str(t) => t,
                Scalar::Bytes(b) => {
                    owned = base64::engine::general_purpose::STANDARD.encode(b);
                    &owned
                }
                Scalar::Decimal(u, sc) => {
                    owned = decimal_text(u, sc);
                    &owned
                }
                Scalar::Date(d) => {
                    owned = date_from_days(d)
                        .map(|d| d.to_string())
                        .unwrap_or_else(|| d.to_string());
                    &owned
                }
                Scalar::Time(n) => {
                    owned = time_text(n);
                    &owned
                }
                Scalar::TimestampMs(m) => {
                    owned = chrono::DateTime::from_timestamp_millis(m)
                        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
                        .unwrap_or_else(|| m.to_string());
                    &owned
                }
                other => {
                    owned = match other {
                        Scalar::Bool(b) => b.to_string(),
                        Scalar::I64(v) => v.to_string(),
                        Scalar::U64(v) => v.to_string(),
                        Scalar::F64(v) => v.to_string(),
                        Scalar::F32(v) => v.to_string(),
                        _ => unreachable!("handled above"),
                    };
                    &owned
                }
            };
            if matches!(nt, NativeType::Ascii) && !text.is_ascii() {
                return Err(ConvError(format!("'{text}' is not ASCII (CQL type ascii)")));
            }
            out.extend_from_slice(text.as_bytes());
        }
        NativeType::Boolean => {
            let b = match s {
                Scalar::Bool(b) => b,
                Scalar::I64(1) | Scalar::U64(1) => true,
                Scalar::I64(0) | Scalar::U64(0) => false,
                Scalar::Str(t) => parse_bool(t).ok_or_else(|| cannot(s, nt))?,
                _ => return Err(cannot(s, nt)),
            };
            out.push(b as u8);
        }
        NativeType::TinyInt => {
            let v = integer_for(s, nt)?;
            let v = i8::try_from(v).map_err(|_| out_of_range(v, nt))?;
            out.extend_from_slice(&v.to_be_bytes());
        }
        NativeType::SmallInt => {
            let v = integer_for(s, nt)?;
            let v = i16::try_from(v).map_err(|_| out_of_range(v, nt))?;
            out.extend_from_slice(&v.to_be_bytes());
        }
        NativeType::Int => {
            let v = integer_for(s, nt)?;
            let v = i32::try_from(v).map_err(|_| out_of_range(v, nt))?;
            out.extend_from_slice(&v.to_be_bytes());
        }
        NativeType::BigInt | NativeType::Counter => {
            let v = integer_for(s, nt)?;
            out.extend_from_slice(&v.to_be_bytes());
        }
        NativeType::Varint => {
            let v: i128 = match s {
                Scalar::U64(u) => u as i128,
                Scalar::Str(t) => match t.trim().parse::<i128>() {
                    Ok(v) => v,
                    Err(_) => integer_for(s, nt)? as i128,
                },
                Scalar::Decimal(u, sc) => decimal_to_i128(u, sc).ok_or_else(|| cannot(s, nt))?,
                _ => integer_for(s, nt)? as i128,
            };
            write_varint(out, v);
        }
        NativeType::Float => {
            let v: f32 = match s {
                Scalar::F32(v) => v,
                Scalar::F64(v) => v as f32,
                _ => float_for(s, nt)? as f32,
            };
            out.extend_from_slice(&v.to_be_bytes());
        }
        NativeType::Double => {
            let v = match s {
                Scalar::F32(v) => v as f64,
                _ => float_for(s, nt)?,
            };
            out.extend_from_slice(&v.to_be_bytes());
        }
        NativeType::Decimal => {
            let (unscaled, scale) = match s {
                Scalar::Decimal(u, sc) => (u, sc),
                Scalar::I64(v) => (v as i128, 0),
                Scalar::U64(v) => (v as i128, 0),
                Scalar::F64(v) if v.is_finite() => {
                    parse_decimal(&v.to_string()).ok_or_else(|| cannot(s, nt))?
                }
                Scalar::F32(v) if v.is_finite() => {
                    parse_decimal(&v.to_string()).ok_or_else(|| cannot(s, nt))?
                }
                Scalar::Str(t) => parse_decimal(t.trim()).ok_or_else(|| cannot(s, nt))?,
                _ => return Err(cannot(s, nt)),
            };
            out.extend_from_slice(&scale.to_be_bytes());
            write_varint(out, unscaled);
        }
        NativeType::Blob => match s {
            Scalar::Bytes(b) => out.extend_from_slice(b),
            Scalar::Str(t) => out.extend_from_slice(&parse_blob(t).ok_or_else(|| cannot(s, nt))?),
            _ => return Err(cannot(s, nt)),
        },
        NativeType::Uuid | NativeType::Timeuuid => {
            let u = match s {
                Scalar::Str(t) => uuid::Uuid::parse_str(t.trim()).map_err(|_| cannot(s, nt))?,
                Scalar::Bytes(b) if b.len() == 16 => {
                    uuid::Uuid::from_slice(b).map_err(|_| cannot(s, nt))?
                }
                _ => return Err(cannot(s, nt)),
            };
            if matches!(nt, NativeType::Timeuuid) && u.get_version_num() != 1 {
                return Err(ConvError(format!(
                    "{u} is not a time-based (version 1) UUID (CQL type timeuuid)"
                )));
            }
            out.extend_from_slice(u.as_bytes());
        }
        NativeType::Inet => {
            let ip: IpAddr = match s {
                Scalar::Str(t) => t.trim().parse().map_err(|_| cannot(s, nt))?,
                Scalar::Bytes(b) if b.len() == 4 => {
                    IpAddr::from(<[u8; 4]>::try_from(b).expect("4 bytes"))
                }
                Scalar::Bytes(b) if b.len() == 16 => {
                    IpAddr::from(<[u8; 16]>::try_from(b).expect("16 bytes"))
                }
                _ => return Err(cannot(s, nt)),
            };
            match ip {
                IpAddr::V4(a) => out.extend_from_slice(&a.octets()),
                IpAddr::V6(a) => out.extend_from_slice(&a.octets()),
            }
        }
        NativeType::Timestamp => {
            let ms = match s {
                Scalar::TimestampMs(m) => m,
                Scalar::Date(d) => d * 86_400_000,
                Scalar::Str(t) if codec.timestamp_as_units => units_since_epoch(t, codec.unit)
                    .ok_or_else(|| {
                        ConvError(format!(
                            "could not parse '{t}' as a CQL timestamp: codec.timestamp is \
                             UNITS_SINCE_EPOCH, which expects a number of {} since the epoch",
                            unit_name(codec.unit)
                        ))
                    })?,
                Scalar::Str(t) => parse_timestamp(t, codec).ok_or_else(|| {
                    ConvError(format!(
                        "could not parse '{t}' as a CQL timestamp (ISO-8601 or CQL literal, e.g. \
                         2024-05-01T10:15:30.123Z, or a number of {} since the epoch)",
                        unit_name(codec.unit)
                    ))
                })?,
                Scalar::I64(_)
                | Scalar::U64(_)
                | Scalar::Decimal(..)
                | Scalar::F64(_)
                | Scalar::F32(_) => {
                    to_millis(s.to_i64()?, codec.unit).ok_or_else(|| cannot(s, nt))?
                }
                _ => return Err(cannot(s, nt)),
            };
            out.extend_from_slice(&ms.to_be_bytes());
        }
        NativeType::Date => {
            let days = match s {
                Scalar::Date(d) => d,
                Scalar::TimestampMs(m) if m.rem_euclid(86_400_000) == 0 => m.div_euclid(86_400_000),
                Scalar::Str(t) => NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d")
                    .map(|d| (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days())
                    .map_err(|_| {
                        ConvError(format!("could not parse '{t}' as a CQL date (yyyy-mm-dd)"))
                    })?,
                _ => return Err(cannot(s, nt)),
            };
            let wire = days + DATE_EPOCH_SHIFT;
            let wire = u32::try_from(wire).map_err(|_| cannot(s, nt))?;
            out.extend_from_slice(&wire.to_be_bytes());
        }
        NativeType::Time => {
            let nanos = match s {
                Scalar::Time(n) => n,
                Scalar::Str(t) => parse_time(t).ok_or_else(|| {
                    ConvError(format!(
                        "could not parse '{t}' as a CQL time (HH:MM:SS[.fffffffff])"
                    ))
                })?,
                Scalar::I64(_) | Scalar::U64(_) => {
                    to_nanos(s.to_i64()?, codec.unit).ok_or_else(|| cannot(s, nt))?
                }
                _ => return Err(cannot(s, nt)),
            };
            if !(0..NANOS_PER_DAY).contains(&nanos) {
                return Err(cannot(s, nt));
            }
            out.extend_from_slice(&nanos.to_be_bytes());
        }
        _ => {
            return Err(ConvError(format!(
                "CQL type {} is not supported by Strait's Cassandra sink",
                native_name(nt)
            )))
        }
    }
    Ok(())
}

fn out_of_range(v: i64, nt: &NativeType) -> ConvError {
    ConvError(format!(
        "{v} is out of range for CQL type {}",
        native_name(nt)
    ))
}

fn integer_for(s: Scalar<'_>, nt: &NativeType) -> Result<i64, ConvError> {
    match s {
        Scalar::Date(_) | Scalar::Time(_) | Scalar::Bytes(_) => Err(cannot(s, nt)),
        _ => s
            .to_i64()
            .map_err(|e| ConvError(format!("{} (CQL type {})", e.0, native_name(nt)))),
    }
}

fn float_for(s: Scalar<'_>, nt: &NativeType) -> Result<f64, ConvError> {
    match s {
        Scalar::F64(v) => Ok(v),
        Scalar::F32(v) => Ok(v as f64),
        Scalar::I64(v) => Ok(v as f64),
        Scalar::U64(v) => Ok(v as f64),
        Scalar::Decimal(u, sc) => decimal_text(u, sc).parse().map_err(|_| cannot(s, nt)),
        Scalar::Str(t) => t.trim().parse().map_err(|_| cannot(s, nt)),
        Scalar::Bool(b) => Ok(b as i64 as f64),
        _ => Err(cannot(s, nt)),
    }
}

/// dsbulk's default boolean words (`codec.booleanStrings`: 1:0, Y:N, T:F, YES:NO, TRUE:FALSE).
fn parse_bool(t: &str) -> Option<bool> {
    match t.trim().to_ascii_lowercase().as_str() {
        "1" | "y" | "t" | "yes" | "true" => Some(true),
        "0" | "n" | "f" | "no" | "false" => Some(false),
        _ => None,
    }
}

/// Base64 (dsbulk's default binary format) or `0x`-prefixed hex (CQL's blob literal).
fn parse_blob(t: &str) -> Option<Vec<u8>> {
    let t = t.trim();
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        if h.len() % 2 != 0 {
            return None;
        }
        return (0..h.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&h[i..i + 2], 16).ok())
            .collect();
    }
    base64::engine::general_purpose::STANDARD.decode(t).ok()
}

/// Minimal big-endian two's complement, as CQL's varint (and a decimal's unscaled value).
fn write_varint(out: &mut Vec<u8>, v: i128) {
    let bytes = v.to_be_bytes();
    let mut start = 0;
    while start < 15 {
        let (b, next) = (bytes[start], bytes[start + 1]);
        if (b == 0x00 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    out.extend_from_slice(&bytes[start..]);
}

/// `[-]digits[.digits][e[+-]digits]` as (unscaled, scale).
pub fn parse_decimal(t: &str) -> Option<(i128, i32)> {
    let (mantissa, exp) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], t[i + 1..].parse::<i32>().ok()?),
        None => (t, 0),
    };
    let (neg, digits) = match mantissa.as_bytes().first()? {
        b'-' => (true, &mantissa[1..]),
        b'+' => (false, &mantissa[1..]),
        _ => (false, mantissa),
    };
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, f),
        None => (digits, ""),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut unscaled: i128 = 0;
    for b in int.bytes().chain(frac.bytes()) {
        unscaled = unscaled.checked_mul(10)?.checked_add((b - b'0') as i128)?;
    }
    let mut scale = frac.len() as i32 - exp;
    // A negative scale is legal in CQL, but keep the common form: multiply it out when small.
    while scale < 0 && unscaled.checked_mul(10).is_some() {
        unscaled *= 10;
        scale += 1;
    }
    Some((if neg { -unscaled } else { unscaled }, scale))
}

/// The integer value of a decimal with no fractional part.
fn decimal_to_i128(unscaled: i128, scale: i32) -> Option<i128> {
    if scale <= 0 {
        return unscaled.checked_mul(10i128.checked_pow((-scale) as u32)?);
    }
    let div = 10i128.checked_pow(scale as u32)?;
    (unscaled % div == 0).then_some(unscaled / div)
}

fn decimal_text(unscaled: i128, scale: i32) -> String {
    if scale <= 0 {
        return format!("{unscaled}{}", "0".repeat((-scale) as usize));
    }
    let neg = unscaled < 0;
    let digits = unscaled.unsigned_abs().to_string();
    let scale = scale as usize;
    let padded = if digits.len() <= scale {
        format!("{}{digits}", "0".repeat(scale - digits.len() + 1))
    } else {
        digits
    };
    let (i, f) = padded.split_at(padded.len() - scale);
    format!("{}{i}.{f}", if neg { "-" } else { "" })
}

fn date_from_days(days: i64) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(1970, 1, 1)?.checked_add_signed(chrono::Duration::days(days))
}

fn time_text(nanos: i64) -> String {
    NaiveTime::from_num_seconds_from_midnight_opt(
        (nanos / 1_000_000_000) as u32,
        (nanos % 1_000_000_000) as u32,
    )
    .map(|t| t.format("%H:%M:%S%.f").to_string())
    .unwrap_or_else(|| nanos.to_string())
}

fn unit_name(u: TimeUnit) -> &'static str {
    match u {
        TimeUnit::Nanoseconds => "nanoseconds",
        TimeUnit::Microseconds => "microseconds",
        TimeUnit::Milliseconds => "milliseconds",
        TimeUnit::Seconds => "seconds",
        TimeUnit::Minutes => "minutes",
        TimeUnit::Hours => "hours",
        TimeUnit::Days => "days",
    }
}

/// Nanoseconds in one `unit`.
pub fn unit_nanos(unit: TimeUnit) -> i128 {
    match unit {
        TimeUnit::Nanoseconds => 1,
        TimeUnit::Microseconds => 1_000,
        TimeUnit::Milliseconds => 1_000_000,
        TimeUnit::Seconds => 1_000_000_000,
        TimeUnit::Minutes => 60_000_000_000,
        TimeUnit::Hours => 3_600_000_000_000,
        TimeUnit::Days => 86_400_000_000_000,
    }
}

/// `v` in `from` expressed in `to`, truncated toward zero as Java's `TimeUnit.convert` does;
/// `None` when it does not fit in an i64.
pub fn convert_units(v: i64, from: TimeUnit, to: TimeUnit) -> Option<i64> {
    let nanos = (v as i128).checked_mul(unit_nanos(from))?;
    i64::try_from(nanos / unit_nanos(to)).ok()
}

fn to_millis(v: i64, unit: TimeUnit) -> Option<i64> {
    convert_units(v, unit, TimeUnit::Milliseconds)
}

fn to_nanos(v: i64, unit: TimeUnit) -> Option<i64> {
    convert_units(v, unit, TimeUnit::Nanoseconds)
}

/// An integer count of `unit` since the epoch, in milliseconds (`UNITS_SINCE_EPOCH`, and bare
/// digits under the other patterns).
fn units_since_epoch(t: &str, unit: TimeUnit) -> Option<i64> {
    to_millis(t.trim().parse().ok()?, unit)
}

/// CQL timestamp literals and ISO-8601 (`T` or space, optional seconds, fraction and zone; a
/// date alone is midnight), in `codec.time_zone` when no zone is written; a bare integer is a
/// count of `codec.unit` since the epoch.
pub fn parse_timestamp(t: &str, codec: &Codec) -> Option<i64> {
    let t = t.trim();
    if let Some(ms) = units_since_epoch(t, codec.unit) {
        return Some(ms);
    }
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(t) {
        return Some(dt.timestamp_millis());
    }
    let normalized = t.replacen(' ', "T", 1);
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%dT%H:%M%z",
    ] {
        if let Ok(dt) = chrono::DateTime::parse_from_str(&normalized, fmt) {
            return Some(dt.timestamp_millis());
        }
    }
    if let Some(stripped) = normalized.strip_suffix('Z') {
        for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
            if let Ok(dt) = NaiveDateTime::parse_from_str(stripped, fmt) {
                return Some(dt.and_utc().timestamp_millis());
            }
        }
    }
    let local = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|fmt| NaiveDateTime::parse_from_str(&normalized, fmt).ok())
        .or_else(|| {
            NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })?;
    codec
        .time_zone
        .from_local_datetime(&local)
        .earliest()
        .map(|dt| dt.timestamp_millis())
}

/// `HH:MM[:SS[.fffffffff]]` as nanoseconds since midnight.
pub fn parse_time(t: &str) -> Option<i64> {
    let t = t.trim();
    let time = NaiveTime::parse_from_str(t, "%H:%M:%S%.f")
        .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M"))
        .ok()?;
    use chrono::Timelike;
    Some(time.num_seconds_from_midnight() as i64 * 1_000_000_000 + time.nanosecond() as i64)
}

/// Row `row` of `r` as JSON (structs, lists and maps into text columns).
pub fn to_json(r: &Reader<'_>, row: usize) -> serde_json::Value {
    use serde_json::Value as J;
    if r.is_null(row) {
        return J::Null;
    }
    match r {
        Reader::List(list, items) => {
            let o = list.value_offsets();
            J::Array(
                (o[row] as usize..o[row + 1] as usize)
                    .map(|i| to_json(items, i))
                    .collect(),
            )
        }
        Reader::Map(map, keys, values) => {
            let o = map.value_offsets();
            J::Object(
                (o[row] as usize..o[row + 1] as usize)
                    .map(|i| {
                        let k = match to_json(keys, i) {
                            J::String(s) => s,
                            other => other.to_string(),
                        };
                        (k, to_json(values, i))
                    })
                    .collect(),
            )
        }
        Reader::RawJson(a) => serde_json::from_str(a.value(row)).unwrap_or(J::Null),
        Reader::Struct(_, children) => J::Object(
            children
                .iter()
                .map(|(n, c)| (n.to_string(), to_json(c, row)))
                .collect(),
        ),
        _ => match scalar(r, row) {
            Some(Scalar::Bool(b)) => J::Bool(b),
            Some(Scalar::I64(v)) => J::from(v),
            Some(Scalar::U64(v)) => J::from(v),
            Some(Scalar::F64(v)) => J::from(v),
            Some(Scalar::F32(v)) => J::from(v as f64),
            Some(Scalar::Str(s)) => J::String(s.to_string()),
            Some(Scalar::Bytes(b)) => {
                J::String(base64::engine::general_purpose::STANDARD.encode(b))
            }
            Some(Scalar::Decimal(u, s)) => J::String(decimal_text(u, s)),
            Some(Scalar::Date(d)) => {
                J::String(date_from_days(d).map(|d| d.to_string()).unwrap_or_default())
            }
            Some(Scalar::Time(n)) => J::String(time_text(n)),
            Some(Scalar::TimestampMs(m)) => J::from(m),
            None => J::Null,
        },
    }
}

/// Where one bound variable's value is, in a [`RowCells`] arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    Value { start: u32, len: u32 },
    Null,
    Unset,
}

/// The bound values of many rows of one statement: `width` cells per row, their bytes in one
/// buffer.
#[derive(Debug, Default)]
pub struct RowCells {
    pub bytes: Vec<u8>,
    pub cells: Vec<Cell>,
    pub width: usize,
}

impl RowCells {
    pub fn new(width: usize) -> Self {
        RowCells {
            bytes: Vec::new(),
            cells: Vec::new(),
            width,
        }
    }

    /// Rows held.
    pub fn rows(&self) -> usize {
        self.cells.len().checked_div(self.width).unwrap_or(0)
    }

    /// The values of row `i`, for the driver.
    pub fn row(&self, i: usize) -> BoundRow<'_> {
        BoundRow {
            cells: &self.cells[i * self.width..(i + 1) * self.width],
            bytes: &self.bytes,
        }
    }

    /// Write one value with `f` (which appends its bytes and returns whether it wrote one) as
    /// the next cell; a null becomes [`Cell::Unset`] when `null_to_unset`.
    pub fn push_with(
        &mut self,
        null_to_unset: bool,
        f: impl FnOnce(&mut Vec<u8>) -> Result<bool, ConvError>,
    ) -> Result<(), ConvError> {
        let start = self.bytes.len();
        match f(&mut self.bytes) {
            Ok(true) => {
                let len = self.bytes.len() - start;
                self.cells.push(Cell::Value {
                    start: start as u32,
                    len: len as u32,
                });
                Ok(())
            }
            Ok(false) => {
                self.bytes.truncate(start);
                self.cells.push(if null_to_unset {
                    Cell::Unset
                } else {
                    Cell::Null
                });
                Ok(())
            }
            Err(e) => {
                self.bytes.truncate(start);
                Err(e)
            }
        }
    }

    pub fn push(&mut self, cell_bytes: Option<&[u8]>) {
        match cell_bytes {
            Some(b) => {
                let start = self.bytes.len();
                self.bytes.extend_from_slice(b);
                self.cells.push(Cell::Value {
                    start: start as u32,
                    len: b.len() as u32,
                });
            }
            None => self.cells.push(Cell::Unset),
        }
    }

    /// Drop the cells of a row that failed part-way (everything after `cells_len` cells and
    /// `bytes_len` bytes).
    pub fn truncate(&mut self, cells_len: usize, bytes_len: usize) {
        self.cells.truncate(cells_len);
        self.bytes.truncate(bytes_len);
    }
}

/// One row of bound values, borrowed from a [`RowCells`]; what the driver serializes.
#[derive(Debug, Clone, Copy)]
pub struct BoundRow<'a> {
    cells: &'a [Cell],
    bytes: &'a [u8],
}

impl BoundRow<'_> {
    pub fn cell(&self, i: usize) -> Option<&[u8]> {
        match self.cells[i] {
            Cell::Value { start, len } => Some(&self.bytes[start as usize..(start + len) as usize]),
            _ => None,
        }
    }
    pub fn is_set(&self, i: usize) -> bool {
        !matches!(self.cells[i], Cell::Unset)
    }
}

impl scylla::serialize::row::SerializeRow for BoundRow<'_> {
    fn serialize(
        &self,
        ctx: &scylla::serialize::row::RowSerializationContext<'_>,
        writer: &mut scylla::serialize::writers::RowWriter,
    ) -> Result<(), scylla::serialize::SerializationError> {
        if ctx.columns().len() != self.cells.len() {
            return Err(scylla::serialize::SerializationError::new(ConvError(
                format!(
                    "the statement has {} bound variables, the row {} values",
                    ctx.columns().len(),
                    self.cells.len()
                ),
            )));
        }
        for cell in self.cells {
            let w = writer.make_cell_writer();
            match *cell {
                Cell::Value { start, len } => {
                    w.set_value(&self.bytes[start as usize..(start + len) as usize])
                        .map_err(scylla::serialize::SerializationError::new)?;
                }
                Cell::Null => {
                    w.set_null();
                }
                Cell::Unset => {
                    w.set_unset();
                }
            }
        }
        Ok(())
    }

    fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }
}

impl std::error::Error for ConvError {}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, Int32Builder, ListBuilder, StringBuilder};
    use arrow::datatypes::{Field, Fields};

    use super::*;

    fn native(nt: NativeType) -> ColumnType<'static> {
        ColumnType::Native(nt)
    }

    fn write(
        array: &dyn Array,
        row: usize,
        ty: &ColumnType<'_>,
    ) -> Result<Option<Vec<u8>>, ConvError> {
        let r = Reader::new(array).expect("reader");
        let mut out = Vec::new();
        Ok(write_value(&r, row, ty, &Codec::default(), &mut out)?.then_some(out))
    }

    #[test]
    fn integers_widen_and_narrow_only_when_they_fit() {
        let a = Int64Array::from(vec![Some(7), Some(300), None]);
        assert_eq!(
            write(&a, 0, &native(NativeType::Int)).unwrap(),
            Some(vec![0, 0, 0, 7])
        );
        assert_eq!(
            write(&a, 0, &native(NativeType::BigInt)).unwrap(),
            Some(7i64.to_be_bytes().to_vec())
        );
        let e = write(&a, 1, &native(NativeType::TinyInt)).unwrap_err();
        assert!(
            e.0.contains("300 is out of range for CQL type tinyint"),
            "{e}"
        );
        assert_eq!(write(&a, 2, &native(NativeType::Int)).unwrap(), None);
    }

    #[test]
    fn text_parses_into_typed_columns() {
        let a = StringArray::from(vec![
            "42",
            "4.5",
            "yes",
            "550e8400-e29b-41d4-a716-446655440000",
            "10.0.0.1",
            "0x0aff",
            "2024-05-01T10:15:30.123Z",
            "2024-05-01",
            "10:15:30.5",
            "forty-two",
        ]);
        assert_eq!(
            write(&a, 0, &native(NativeType::Int)).unwrap(),
            Some(vec![0, 0, 0, 42])
        );
        assert_eq!(
            write(&a, 1, &native(NativeType::Double)).unwrap(),
            Some(4.5f64.to_be_bytes().to_vec())
        );
        assert_eq!(
            write(&a, 2, &native(NativeType::Boolean)).unwrap(),
            Some(vec![1])
        );
        assert_eq!(
            write(&a, 3, &native(NativeType::Uuid))
                .unwrap()
                .unwrap()
                .len(),
            16
        );
        let e = write(&a, 3, &native(NativeType::Timeuuid)).unwrap_err();
        assert!(e.0.contains("not a time-based"), "{e}");
        assert_eq!(
            write(&a, 4, &native(NativeType::Inet)).unwrap(),
            Some(vec![10, 0, 0, 1])
        );
        assert_eq!(
            write(&a, 5, &native(NativeType::Blob)).unwrap(),
            Some(vec![0x0a, 0xff])
        );
        assert_eq!(
            write(&a, 6, &native(NativeType::Timestamp)).unwrap(),
            Some(1_714_558_530_123i64.to_be_bytes().to_vec())
        );
        let days = 19_844i64; // 2024-05-01
        assert_eq!(
            write(&a, 7, &native(NativeType::Date)).unwrap(),
            Some(((days + DATE_EPOCH_SHIFT) as u32).to_be_bytes().to_vec())
        );
        assert_eq!(
            write(&a, 8, &native(NativeType::Time)).unwrap(),
            Some((36_930_500_000_000i64).to_be_bytes().to_vec())
        );
        let e = write(&a, 9, &native(NativeType::Int)).unwrap_err();
        assert!(e.0.contains("'forty-two'"), "{e}");
    }

    #[test]
    fn timestamps_without_zone_use_the_codec_zone() {
        let paris = Codec {
            time_zone: chrono_tz::Europe::Paris,
            unit: TimeUnit::Seconds,
            timestamp_as_units: false,
        };
        // 12:00 in Paris in May is 10:00 UTC.
        assert_eq!(
            parse_timestamp("2024-05-01 12:00:00", &paris),
            Some(1_714_557_600_000)
        );
        assert_eq!(
            parse_timestamp("2024-05-01T12:00:00+02:00", &paris),
            Some(1_714_557_600_000)
        );
        assert_eq!(
            parse_timestamp("1714557600", &paris),
            Some(1_714_557_600_000)
        );
        assert_eq!(parse_timestamp("May 1st", &paris), None);
    }

    #[test]
    fn units_since_epoch_reads_numbers_and_refuses_iso_text() {
        let codec = Codec {
            timestamp_as_units: true,
            ..Codec::default()
        };
        let ts = NativeType::Timestamp;
        let mut out = Vec::new();
        write_native(Scalar::Str("1700000000123"), &ts, &codec, &mut out).unwrap();
        assert_eq!(out, 1_700_000_000_123i64.to_be_bytes());
        out.clear();
        write_native(Scalar::I64(1_700_000_000_123), &ts, &codec, &mut out).unwrap();
        assert_eq!(out, 1_700_000_000_123i64.to_be_bytes());
        let err =
            write_native(Scalar::Str("2024-05-01T10:15:30Z"), &ts, &codec, &mut out).unwrap_err();
        assert!(err.0.contains("UNITS_SINCE_EPOCH"), "{err}");
        // The default pattern reads both.
        out.clear();
        write_native(
            Scalar::Str("2024-05-01T10:15:30Z"),
            &ts,
            &Codec::default(),
            &mut out,
        )
        .unwrap();
        assert_eq!(out, 1_714_558_530_000i64.to_be_bytes());
    }

    #[test]
    fn decimals_and_varints_use_minimal_twos_complement() {
        let mut out = Vec::new();
        write_varint(&mut out, 127);
        assert_eq!(out, vec![0x7f]);
        out.clear();
        write_varint(&mut out, 128);
        assert_eq!(out, vec![0x00, 0x80]);
        out.clear();
        write_varint(&mut out, -1);
        assert_eq!(out, vec![0xff]);
        out.clear();
        write_varint(&mut out, -129);
        assert_eq!(out, vec![0xff, 0x7f]);
        assert_eq!(parse_decimal("-12.50"), Some((-1250, 2)));
        assert_eq!(parse_decimal("1.5e3"), Some((1500, 0)));
        assert_eq!(parse_decimal("abc"), None);
        assert_eq!(decimal_text(-1250, 2), "-12.50");
        assert_eq!(decimal_text(5, 3), "0.005");
        let a = Float64Array::from(vec![0.1]);
        assert_eq!(
            write(&a, 0, &native(NativeType::Decimal)).unwrap(),
            Some(vec![0, 0, 0, 1, 1])
        );
    }

    #[test]
    fn lists_become_cql_lists_and_structs_become_maps_or_json() {
        let mut b = ListBuilder::new(Int32Builder::new());
        b.values().append_value(1);
        b.values().append_value(2);
        b.append(true);
        let list = b.finish();
        let ty = ColumnType::Collection {
            frozen: false,
            typ: CollectionType::List(Box::new(native(NativeType::Int))),
        };
        assert_eq!(
            write(&list, 0, &ty).unwrap(),
            Some(vec![
                0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 2
            ])
        );
        let st = StructArray::new(
            Fields::from(vec![
                Field::new("a", DataType::Utf8, true),
                Field::new("b", DataType::Utf8, true),
            ]),
            vec![
                Arc::new(StringArray::from(vec![Some("x")])) as ArrayRef,
                Arc::new(StringArray::from(vec![None::<&str>])) as ArrayRef,
            ],
            None,
        );
        let map_ty = ColumnType::Collection {
            frozen: false,
            typ: CollectionType::Map(
                Box::new(native(NativeType::Text)),
                Box::new(native(NativeType::Text)),
            ),
        };
        // Null fields are left out (CQL maps hold no nulls).
        assert_eq!(
            write(&st, 0, &map_ty).unwrap(),
            Some(vec![0, 0, 0, 1, 0, 0, 0, 1, b'a', 0, 0, 0, 1, b'x'])
        );
        assert_eq!(
            write(&st, 0, &native(NativeType::Text)).unwrap(),
            Some(br#"{"a":"x","b":null}"#.to_vec())
        );
        let mut sb = ListBuilder::new(StringBuilder::new());
        sb.append_null();
        let nulls = sb.finish();
        assert_eq!(write(&nulls, 0, &ty).unwrap(), None);
    }

    #[test]
    fn json_text_fills_collections() {
        let a = StringArray::from(vec![r#"{"k": [1, 2]}"#, "not json"]);
        let ty = ColumnType::Collection {
            frozen: false,
            typ: CollectionType::Map(
                Box::new(native(NativeType::Text)),
                Box::new(ColumnType::Collection {
                    frozen: true,
                    typ: CollectionType::List(Box::new(native(NativeType::BigInt))),
                }),
            ),
        };
        let bytes = write(&a, 0, &ty).unwrap().unwrap();
        assert_eq!(&bytes[..4], &[0, 0, 0, 1]);
        let e = write(&a, 1, &ty).unwrap_err();
        assert!(e.0.contains("could not parse 'not json' as JSON"), "{e}");
    }

    #[test]
    fn units_convert_truncating_like_java() {
        assert_eq!(
            convert_units(1500, TimeUnit::Milliseconds, TimeUnit::Seconds),
            Some(1)
        );
        assert_eq!(
            convert_units(2, TimeUnit::Days, TimeUnit::Seconds),
            Some(172_800)
        );
        assert_eq!(
            convert_units(i64::MAX, TimeUnit::Days, TimeUnit::Nanoseconds),
            None
        );
    }

    #[test]
    fn row_cells_record_values_nulls_and_unsets() {
        let mut cells = RowCells::new(3);
        cells
            .push_with(true, |out| {
                out.extend_from_slice(b"ab");
                Ok(true)
            })
            .unwrap();
        cells.push_with(true, |_| Ok(false)).unwrap();
        cells.push_with(false, |_| Ok(false)).unwrap();
        assert!(cells
            .push_with(false, |out| {
                out.push(1);
                err("bad")
            })
            .is_err());
        assert_eq!(cells.rows(), 1);
        let row = cells.row(0);
        assert_eq!(row.cell(0), Some(&b"ab"[..]));
        assert!(!row.is_set(1));
        assert!(row.is_set(2) && row.cell(2).is_none());
        assert_eq!(cells.bytes, b"ab");
    }
}
