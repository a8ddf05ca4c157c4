//! Connect -> Avro: the Avro schema `AvroData.fromConnectSchema` makes of a Connect schema, and
//! the Avro binary encoding of `AvroData.fromConnectData`'s value, one Arrow row at a time.
//! Shared by the S3 sink's Avro files ([`crate::storage`]) and the AvroConverter's encoder.
//!
//! The schema JSON follows Avro's `Schema.toString` layout: key order, `namespace` only where
//! it differs from the enclosing one, named types written once and referenced after.
//!
//! Differences from Confluent: Connect unions from Avro sources (`io.confluent.connect.avro.Union`),
//! fixed types, and defaults of structured or logical types are refused with an error; schemaless values are refused (Confluent writes
//! them with its `io.confluent.connect.avro.Anything` schema).

use arrow::array::{
    Array, AsArray, BooleanArray, Float32Array, Float64Array, ListArray, MapArray, StructArray,
};
use arrow::datatypes::{DataType, Field, TimeUnit};
use base64::Engine;
use serde_json::{json, Map, Value};
use strait_engine::{schema, Error, Result};

use super::schema::{ENUM, ENUM_DEFAULT_PREFIX, ENUM_DOC_PREFIX};
use crate::json::connect::{ConnectSchema, Logical, Type};
use crate::json::write::decimal_bytes;
use crate::json::Opts;

pub(crate) const NAMESPACE: &str = "io.confluent.connect.avro";
pub(crate) const DEFAULT_NAME: &str = "ConnectDefault";
pub(crate) const MAP_ENTRY: &str = "MapEntry";
pub(crate) const FIELD_DEFAULT_FLAG: &str = "io.confluent.connect.avro.field.default";
pub(crate) const RECORD_DOC: &str = "io.confluent.connect.avro.record.doc";
pub(crate) const FIELD_DOC_PREFIX: &str = "io.confluent.connect.avro.field.doc.";
pub(crate) const DECIMAL_PRECISION: &str = "connect.decimal.precision";
pub(crate) const DECIMAL_PRECISION_DEFAULT: i64 = 64;
// ---- schema ------------------------------------------------------------------------------

/// The Avro schema JSON AvroData makes of the Connect schema of `field`; `enhanced`:
/// `enhanced.avro.schema.support`.
pub fn avro_schema_json(field: &Field, enhanced: bool) -> Result<String> {
    let s = connect_schema(field)?;
    let mut cx = SchemaCx::new(enhanced);
    Ok(cx.schema(&s, false)?.to_string())
}

pub(crate) fn connect_schema(field: &Field) -> Result<ConnectSchema> {
    if schema::is_schemaless(field) {
        return Err(Error::data(
            "Avro needs a Connect schema: Strait does not write schemaless values as Avro (Confluent's AvroData writes them with its io.confluent.connect.avro.Anything schema)",
        ));
    }
    ConnectSchema::from_field(field, &Opts::default()).map_err(Error::data)
}

#[derive(Default)]
pub(crate) struct SchemaCx {
    /// `ConnectDefault`, `ConnectDefault2`, … in the order AvroData meets unnamed structs.
    name_index: usize,
    /// Records already written (non-optional Connect struct → full name), referenced by name.
    defined: Vec<(ConnectSchema, String)>,
    /// Namespace of the enclosing record.
    space: Option<String>,
    /// `enhanced.avro.schema.support`: Connect enums become Avro enums (else strings).
    pub(crate) enhanced: bool,
}

fn split_name(full: &str) -> (Option<String>, String) {
    match full.rfind('.') {
        Some(i) => (Some(full[..i].to_string()), full[i + 1..].to_string()),
        None => (None, full.to_string()),
    }
}

impl SchemaCx {
    /// A context for one schema; `enhanced`: `enhanced.avro.schema.support`.
    pub(crate) fn new(enhanced: bool) -> Self {
        SchemaCx {
            enhanced,
            ..SchemaCx::default()
        }
    }

    fn names(&mut self, name: Option<&str>) -> (Option<String>, String) {
        match name {
            Some(n) => split_name(n),
            None => {
                self.name_index += 1;
                let n = if self.name_index > 1 {
                    format!("{DEFAULT_NAME}{}", self.name_index)
                } else {
                    DEFAULT_NAME.to_string()
                };
                (Some(NAMESPACE.to_string()), n)
            }
        }
    }

    /// Avro's `writeName`: `namespace` only where it differs from the enclosing one (`""` for
    /// no namespace inside one).
    fn write_name(&self, obj: &mut Map<String, Value>, space: &Option<String>, name: &str) {
        obj.insert("name".into(), json!(name));
        match (space, &self.space) {
            (Some(s), enclosing) if Some(s) != enclosing.as_ref() => {
                obj.insert("namespace".into(), json!(s));
            }
            (None, Some(_)) => {
                obj.insert("namespace".into(), json!(""));
            }
            _ => {}
        }
    }

    /// A reference to an already written record, as `Name.getQualified` prints it.
    fn reference(&self, full: &str) -> Value {
        let (space, name) = split_name(full);
        if space == self.space {
            json!(name)
        } else {
            json!(full)
        }
    }

    /// AvroData's `fromConnectSchema(schema, ctx, ignoreOptional)`.
    pub(crate) fn schema(&mut self, s: &ConnectSchema, ignore_optional: bool) -> Result<Value> {
        if !s.optional {
            if let Some((_, full)) = self.defined.iter().find(|(d, _)| d == s) {
                return Ok(self.reference(&full.clone()));
            }
        }
        if let Some(p) = &s.parameters {
            if p.iter().any(|(k, _)| {
                k == "org.apache.kafka.connect.data.Enum" || k == "connect.fixed.size"
            }) || s.name.as_deref() == Some("io.confluent.connect.avro.Union")
            {
                return Err(Error::data(format!(
                    "AvroFormat: Strait does not write Avro unions, fixed types or generalized sum type enums (schema {})",
                    s.name.as_deref().unwrap_or("")
                )));
            }
        }
        if s.optional && matches!(s.ty, Type::Struct(_)) {
            // AvroData: union of null and the non-optional struct, metadata on the struct.
            let mut inner = s.clone();
            inner.optional = false;
            let base = self.schema(&inner, false)?;
            return Ok(json!(["null", base]));
        }
        let mut connect_type = None;
        let mut obj = Map::new();
        let primitive = |t: &str| {
            let mut m = Map::new();
            m.insert("type".into(), json!(t));
            m
        };
        let mut record_name: Option<(Option<String>, String)> = None;
        match &s.ty {
            Type::Int8 => {
                connect_type = Some("int8");
                obj = primitive("int");
            }
            Type::Int16 => {
                connect_type = Some("int16");
                obj = primitive("int");
            }
            Type::Int32 => obj = primitive("int"),
            Type::Int64 => obj = primitive("long"),
            Type::Float32 => obj = primitive("float"),
            Type::Float64 => obj = primitive("double"),
            Type::Boolean => obj = primitive("boolean"),
            Type::String => match enum_symbols(s, self.enhanced) {
                None => obj = primitive("string"),
                Some((full, symbols)) => {
                    // AvroData keys the enum's doc and default by the Connect schema's simple
                    // name, or by the next ConnectDefault name when it has none.
                    let (_, connect_name) = self.names(s.name.as_deref());
                    let (space, name) = split_name(&full);
                    obj.insert("type".into(), json!("enum"));
                    self.write_name(&mut obj, &space, &name);
                    if let Some(doc) = param(s, &format!("{ENUM_DOC_PREFIX}{connect_name}")) {
                        obj.insert("doc".into(), json!(doc));
                    }
                    obj.insert("symbols".into(), json!(symbols));
                    if let Some(d) = param(s, &format!("{ENUM_DEFAULT_PREFIX}{connect_name}")) {
                        obj.insert("default".into(), json!(d));
                    }
                    record_name = Some((space, name));
                }
            },
            Type::Bytes => {
                obj = primitive("bytes");
                if let Logical::Decimal(scale) = s.logical().map_err(Error::data)? {
                    obj.insert("scale".into(), json!(scale));
                    obj.insert("precision".into(), json!(decimal_precision(s)?));
                }
            }
            Type::Array(item) => {
                obj = primitive("array");
                let items = self.schema(item, false)?;
                obj.insert("items".into(), items);
            }
            Type::Map(k, v) if k.ty == Type::String && !k.optional => {
                obj = primitive("map");
                let values = self.schema(v, false)?;
                obj.insert("values".into(), values);
            }
            Type::Map(k, v) => {
                // Avro maps have string keys: an array of key/value records instead.
                let (space, name) = match &s.name {
                    None => (Some(NAMESPACE.to_string()), MAP_ENTRY.to_string()),
                    Some(n) => self.names(Some(n)),
                };
                let mut entry = Map::new();
                entry.insert("type".into(), json!("record"));
                self.write_name(&mut entry, &space, &name);
                let saved = std::mem::replace(&mut self.space, space);
                let fields = vec![self.field("key", k, None)?, self.field("value", v, None)?];
                self.space = saved;
                entry.insert("fields".into(), Value::Array(fields));
                if s.name.is_some() {
                    entry.insert("connect.internal.type".into(), json!(MAP_ENTRY));
                }
                obj = primitive("array");
                obj.insert("items".into(), Value::Object(entry));
            }
            Type::Struct(fields) => {
                let (space, name) = self.names(s.name.as_deref());
                obj.insert("type".into(), json!("record"));
                self.write_name(&mut obj, &space, &name);
                if let Some(doc) = param(s, RECORD_DOC) {
                    obj.insert("doc".into(), json!(doc));
                }
                let saved = std::mem::replace(&mut self.space, space.clone());
                let mut out = Vec::with_capacity(fields.len());
                for (fname, fs) in fields {
                    let doc = param(s, &format!("{FIELD_DOC_PREFIX}{fname}"));
                    out.push(self.field(fname, fs, doc)?);
                }
                self.space = saved;
                obj.insert("fields".into(), Value::Array(out));
                record_name = Some((space, name));
            }
        }
        // connect.meta.data
        if let Some(doc) = &s.doc {
            obj.insert("connect.doc".into(), json!(doc));
        }
        if let Some(v) = s.version {
            obj.insert("connect.version".into(), json!(v));
        }
        if let Some(p) = &s.parameters {
            let params: Map<String, Value> = p
                .iter()
                .filter(|(k, _)| k != FIELD_DEFAULT_FLAG)
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect();
            if !params.is_empty() {
                obj.insert("connect.parameters".into(), Value::Object(params));
            }
        }
        if s.default.is_some() && param(s, FIELD_DEFAULT_FLAG).is_none() {
            obj.insert("connect.default".into(), avro_default(s)?);
        }
        if let Some(n) = &s.name {
            obj.insert("connect.name".into(), json!(n));
        }
        if let Some(t) = connect_type {
            obj.insert("connect.type".into(), json!(t));
        }
        let logical = match s.logical().map_err(Error::data)? {
            Logical::Decimal(_) => Some("decimal"),
            Logical::Date => Some("date"),
            Logical::Time => Some("time-millis"),
            Logical::Timestamp => Some("timestamp-millis"),
            Logical::None => None,
        };
        if let Some(l) = logical {
            obj.insert("logicalType".into(), json!(l));
        }
        if let Some(p) = &s.parameters {
            for (k, v) in p {
                if k.starts_with("avro") {
                    obj.insert(k.clone(), json!(v));
                }
            }
        }
        if let Some((space, name)) = record_name {
            let full = match space {
                Some(sp) => format!("{sp}.{name}"),
                None => name,
            };
            self.defined.push((s.clone(), full));
        }
        // A primitive without properties is written as its bare name.
        let base = if obj.len() == 1 {
            obj.remove("type").unwrap_or(Value::Null)
        } else {
            Value::Object(obj)
        };
        if ignore_optional || !s.optional {
            return Ok(base);
        }
        Ok(if s.default.is_some() {
            json!([base, "null"])
        } else {
            json!(["null", base])
        })
    }

    /// AvroData's `addAvroRecordField`: `{"name", "type", "doc"?, "default"?}`.
    fn field(&mut self, name: &str, s: &ConnectSchema, doc: Option<String>) -> Result<Value> {
        let ty = self.schema(s, false)?;
        let mut f = Map::new();
        f.insert("name".into(), json!(name));
        f.insert("type".into(), ty);
        if let Some(d) = doc {
            f.insert("doc".into(), json!(d));
        }
        if s.default.is_some() {
            f.insert("default".into(), avro_default(s)?);
        } else if s.optional {
            f.insert("default".into(), Value::Null);
        }
        Ok(Value::Object(f))
    }
}

/// A Connect enum's Avro enum full name and symbols (its `io.confluent.connect.avro.Enum`
/// parameters, in order), when `enhanced.avro.schema.support` makes it an Avro enum.
fn enum_symbols(s: &ConnectSchema, enhanced: bool) -> Option<(String, Vec<&str>)> {
    if !enhanced || s.ty != Type::String {
        return None;
    }
    let params = s.parameters.as_ref()?;
    let name = params.iter().find(|(k, _)| k == ENUM)?.1.clone();
    let prefix = format!("{ENUM}.");
    let symbols = params
        .iter()
        .filter_map(|(k, _)| k.strip_prefix(&prefix))
        .collect();
    Some((name, symbols))
}

fn param(s: &ConnectSchema, key: &str) -> Option<String> {
    s.parameters
        .as_ref()?
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
}

fn decimal_precision(s: &ConnectSchema) -> Result<i64> {
    match param(s, DECIMAL_PRECISION) {
        Some(p) => p
            .trim()
            .parse()
            .map_err(|_| Error::data(format!("invalid {DECIMAL_PRECISION} {p}"))),
        None => Ok(DECIMAL_PRECISION_DEFAULT),
    }
}

/// AvroData's `defaultValueFromConnect` for the default types Strait supports.
fn avro_default(s: &ConnectSchema) -> Result<Value> {
    let raw = s.default.as_deref().unwrap_or(b"null");
    let v: Value = serde_json::from_slice(raw)
        .map_err(|e| Error::data(format!("invalid default value: {e}")))?;
    let unsupported = || {
        Error::data(format!(
            "AvroFormat: Strait does not write {} default values yet",
            s.type_name()
        ))
    };
    if !matches!(s.logical(), Ok(Logical::None)) {
        return Err(unsupported());
    }
    Ok(match (&s.ty, v) {
        (Type::Bytes, Value::String(b64)) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|e| Error::data(format!("invalid bytes default: {e}")))?;
            // Avro JSON encodes bytes as ISO-8859-1 text.
            Value::String(bytes.iter().map(|&b| b as char).collect())
        }
        (
            Type::Int8
            | Type::Int16
            | Type::Int32
            | Type::Int64
            | Type::Float32
            | Type::Float64
            | Type::Boolean
            | Type::String,
            v,
        ) => v,
        _ => return Err(unsupported()),
    })
}

// ---- values ------------------------------------------------------------------------------

pub(crate) fn write_long(out: &mut Vec<u8>, v: i64) {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    while z >= 0x80 {
        out.push((z as u8) | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}

pub(crate) fn write_bytes(out: &mut Vec<u8>, b: &[u8]) {
    write_long(out, b.len() as i64);
    out.extend_from_slice(b);
}

/// An integer-like Arrow value (ints, dates, times, timestamps in milliseconds).
fn int_at(a: &dyn Array, i: usize) -> Option<i64> {
    Some(match a.data_type() {
        DataType::Int8 => a.as_primitive::<arrow::datatypes::Int8Type>().value(i) as i64,
        DataType::Int16 => a.as_primitive::<arrow::datatypes::Int16Type>().value(i) as i64,
        DataType::Int32 => a.as_primitive::<arrow::datatypes::Int32Type>().value(i) as i64,
        DataType::Int64 => a.as_primitive::<arrow::datatypes::Int64Type>().value(i),
        DataType::Date32 => a.as_primitive::<arrow::datatypes::Date32Type>().value(i) as i64,
        DataType::Time32(TimeUnit::Millisecond) => a
            .as_primitive::<arrow::datatypes::Time32MillisecondType>()
            .value(i) as i64,
        DataType::Timestamp(TimeUnit::Millisecond, _) => a
            .as_primitive::<arrow::datatypes::TimestampMillisecondType>()
            .value(i),
        _ => return None,
    })
}

/// AvroData's `fromConnectData` then Avro's binary encoding, for row `i` of `a`.
/// `enhanced`: `enhanced.avro.schema.support`, under which a Connect enum (a string with
/// `io.confluent.connect.avro.Enum` parameters) is an Avro enum, written as its symbol's index.
pub(crate) fn write_value(
    s: &ConnectSchema,
    a: &dyn Array,
    i: usize,
    out: &mut Vec<u8>,
    enhanced: bool,
) -> Result<(), String> {
    let null = a.is_null(i);
    if null && !s.optional {
        return match &s.default {
            Some(_) => write_default(s, out, enhanced),
            None => Err("Found null value for non-optional schema".into()),
        };
    }
    if s.optional {
        // Union branch: ["null", T], or [T, "null"] when there is a default.
        let null_first = s.default.is_none() || matches!(s.ty, Type::Struct(_));
        if null {
            if s.default.is_some() {
                // AvroData replaces a null by the schema's default.
                write_long(out, if null_first { 1 } else { 0 });
                return write_default(s, out, enhanced);
            }
            write_long(out, if null_first { 0 } else { 1 });
            return Ok(());
        }
        write_long(out, if null_first { 1 } else { 0 });
    }
    write_base(s, a, i, out, enhanced)
}

fn write_default(s: &ConnectSchema, out: &mut Vec<u8>, enhanced: bool) -> Result<(), String> {
    let v = avro_default(s).map_err(|e| e.message().to_string())?;
    match (&s.ty, &v) {
        (Type::Int8 | Type::Int16 | Type::Int32 | Type::Int64, Value::Number(n)) => {
            write_long(out, n.as_i64().ok_or("invalid integer default")?)
        }
        (Type::Float32, Value::Number(n)) => {
            out.extend_from_slice(&(n.as_f64().unwrap_or(0.0) as f32).to_le_bytes())
        }
        (Type::Float64, Value::Number(n)) => {
            out.extend_from_slice(&n.as_f64().unwrap_or(0.0).to_le_bytes())
        }
        (Type::Boolean, Value::Bool(b)) => out.push(*b as u8),
        (Type::String, Value::String(t)) => match enum_symbols(s, enhanced) {
            None => write_bytes(out, t.as_bytes()),
            Some((name, symbols)) => match symbols.iter().position(|sym| sym == t) {
                Some(index) => write_long(out, index as i64),
                None => return Err(format!("Enum {name} has no symbol {t:?} for its default")),
            },
        },
        (Type::Bytes, Value::String(t)) => {
            let b: Vec<u8> = t.chars().map(|c| c as u32 as u8).collect();
            write_bytes(out, &b)
        }
        _ => return Err(format!("unsupported default for {}", s.type_name())),
    }
    Ok(())
}

fn write_base(
    s: &ConnectSchema,
    a: &dyn Array,
    i: usize,
    out: &mut Vec<u8>,
    enhanced: bool,
) -> Result<(), String> {
    let mismatch = || {
        format!(
            "Arrow type {} does not hold Connect {}",
            a.data_type(),
            s.type_name()
        )
    };
    match &s.ty {
        Type::Int8 | Type::Int16 | Type::Int32 | Type::Int64 => {
            write_long(out, int_at(a, i).ok_or_else(mismatch)?)
        }
        Type::Float32 => {
            let v = a
                .as_any()
                .downcast_ref::<Float32Array>()
                .ok_or_else(mismatch)?;
            out.extend_from_slice(&v.value(i).to_le_bytes());
        }
        Type::Float64 => {
            let v = a
                .as_any()
                .downcast_ref::<Float64Array>()
                .ok_or_else(mismatch)?;
            out.extend_from_slice(&v.value(i).to_le_bytes());
        }
        Type::Boolean => {
            let v = a
                .as_any()
                .downcast_ref::<BooleanArray>()
                .ok_or_else(mismatch)?;
            out.push(v.value(i) as u8);
        }
        Type::String => {
            let text = match a.data_type() {
                DataType::Utf8 => a.as_string::<i32>().value(i),
                DataType::LargeUtf8 => a.as_string::<i64>().value(i),
                _ => return Err(mismatch()),
            };
            match enum_symbols(s, enhanced) {
                None => write_bytes(out, text.as_bytes()),
                // AvroData's `enumSymbol`: the symbol must be one of the enum's.
                Some((name, symbols)) => match symbols.iter().position(|sym| *sym == text) {
                    Some(index) => write_long(out, index as i64),
                    None => {
                        return Err(format!(
                            "Enum {name} has no symbol {text:?} (symbols: {})",
                            symbols.join(", ")
                        ))
                    }
                },
            }
        }
        Type::Bytes => match a.data_type() {
            DataType::Binary => write_bytes(out, a.as_binary::<i32>().value(i)),
            DataType::LargeBinary => write_bytes(out, a.as_binary::<i64>().value(i)),
            DataType::Decimal128(_, _) => {
                let v = a
                    .as_primitive::<arrow::datatypes::Decimal128Type>()
                    .value(i);
                let (buf, n) = decimal_bytes(v);
                write_bytes(out, &buf[16 - n..]);
            }
            _ => return Err(mismatch()),
        },
        Type::Array(item) => {
            let l = a
                .as_any()
                .downcast_ref::<ListArray>()
                .ok_or_else(mismatch)?;
            let (start, end) = (
                l.value_offsets()[i] as usize,
                l.value_offsets()[i + 1] as usize,
            );
            if end > start {
                write_long(out, (end - start) as i64);
                for j in start..end {
                    write_value(item, l.values().as_ref(), j, out, enhanced)?;
                }
            }
            write_long(out, 0);
        }
        Type::Map(k, v) => {
            let m = a.as_any().downcast_ref::<MapArray>().ok_or_else(mismatch)?;
            let (start, end) = (
                m.value_offsets()[i] as usize,
                m.value_offsets()[i + 1] as usize,
            );
            let string_keys = k.ty == Type::String && !k.optional;
            if end > start {
                write_long(out, (end - start) as i64);
                for j in start..end {
                    // String keys (Avro map) and entry records encode the same way.
                    if string_keys {
                        write_base(k, m.keys().as_ref(), j, out, enhanced)?;
                    } else {
                        write_value(k, m.keys().as_ref(), j, out, enhanced)?;
                    }
                    write_value(v, m.values().as_ref(), j, out, enhanced)?;
                }
            }
            write_long(out, 0);
        }
        Type::Struct(fields) => {
            let st = a
                .as_any()
                .downcast_ref::<StructArray>()
                .ok_or_else(mismatch)?;
            for (n, (_, fs)) in fields.iter().enumerate() {
                write_value(fs, st.column(n).as_ref(), i, out, enhanced)?;
            }
        }
    }
    Ok(())
}
