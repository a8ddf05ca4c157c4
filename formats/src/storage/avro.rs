//! `io.confluent.connect.s3.format.avro.AvroFormat`: an Avro object container file whose schema
//! is what Confluent's `AvroData.fromConnectSchema` makes of the Connect schema (with the S3
//! sink's defaults `connect.meta.data=true`, `enhanced.avro.schema.support=true`,
//! `allow.optional.map.keys=false`), codec from `avro.codec`.
//!
//! Strait writes the container and the Avro binary encoding itself rather than through
//! arrow-avro's writer: arrow-avro only writes record roots (Connect values may be any type,
//! and the headers sidecar is an array), and it cannot take AvroData's representation of maps
//! with non-string keys (arrays of `MapEntry` records). The schema JSON follows Avro's
//! `Schema.toString` layout: key order, `namespace` only where it differs from the enclosing
//! one, named types written once and referenced after.
//!
//! Differences from Confluent: the sync marker is derived from the schema (Java's is random);
//! the `avro.codec` `xz` is refused (no xz encoder here); Connect enums and unions from Avro
//! sources (`io.confluent.connect.avro.Enum` / `Union`), fixed types, and defaults of
//! structured or logical types are refused with an error; schemaless values are refused
//! (Confluent writes them with its `io.confluent.connect.avro.Anything` schema).

use std::io::Write;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float32Array, Float64Array, ListArray, MapArray,
    StructArray,
};
use arrow::datatypes::{DataType, Field, TimeUnit};
use base64::Engine;
use serde_json::{json, Map, Value};
use strait_engine::plugin::RowError;
use strait_engine::{schema, Error, Result};

use super::{FileWriter, FormatSettings};
use crate::json::connect::{ConnectSchema, Logical, Type};
use crate::json::write::decimal_bytes;
use crate::json::Opts;

const NAMESPACE: &str = "io.confluent.connect.avro";
const DEFAULT_NAME: &str = "ConnectDefault";
const MAP_ENTRY: &str = "MapEntry";
const FIELD_DEFAULT_FLAG: &str = "io.confluent.connect.avro.field.default";
const RECORD_DOC: &str = "io.confluent.connect.avro.record.doc";
const FIELD_DOC_PREFIX: &str = "io.confluent.connect.avro.field.doc.";
const DECIMAL_PRECISION: &str = "connect.decimal.precision";
const DECIMAL_PRECISION_DEFAULT: i64 = 64;
/// Avro's `DataFileConstants.DEFAULT_SYNC_INTERVAL`: a block is written once this many bytes
/// are buffered.
const SYNC_INTERVAL: usize = 64_000;

/// Avro block codecs (`avro.codec`), as `CodecFactory.fromString` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Codec {
    Null,
    Deflate,
    Snappy,
    Bzip2,
    Zstandard,
}

impl Codec {
    fn parse(name: &str) -> Result<Codec> {
        Ok(match name {
            "null" => Codec::Null,
            "deflate" => Codec::Deflate,
            "snappy" => Codec::Snappy,
            "bzip2" => Codec::Bzip2,
            "zstandard" => Codec::Zstandard,
            "xz" => {
                return Err(Error::config(
                    "avro.codec xz is not supported by Strait (null, deflate, snappy, bzip2, zstandard are)",
                ))
            }
            other => return Err(Error::config(format!("Unrecognized codec: {other}"))),
        })
    }

    fn name(self) -> &'static str {
        match self {
            Codec::Null => "null",
            Codec::Deflate => "deflate",
            Codec::Snappy => "snappy",
            Codec::Bzip2 => "bzip2",
            Codec::Zstandard => "zstandard",
        }
    }

    /// Compress one block as Avro's Java codecs do (deflate: raw, level 6; snappy: raw plus
    /// the CRC32 of the input, big-endian; bzip2: block size 9; zstandard: level 3).
    fn compress(self, data: &[u8]) -> Result<Vec<u8>> {
        let io = |e: std::io::Error| Error::data(format!("avro.codec {}: {e}", self.name()));
        Ok(match self {
            Codec::Null => data.to_vec(),
            Codec::Deflate => {
                let mut e =
                    flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(6));
                e.write_all(data).map_err(io)?;
                e.finish().map_err(io)?
            }
            Codec::Snappy => {
                let mut out = snap::raw::Encoder::new()
                    .compress_vec(data)
                    .map_err(|e| Error::data(format!("avro.codec snappy: {e}")))?;
                out.extend_from_slice(&crc32fast::hash(data).to_be_bytes());
                out
            }
            Codec::Bzip2 => {
                let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
                e.write_all(data).map_err(io)?;
                e.finish().map_err(io)?
            }
            Codec::Zstandard => zstd::bulk::compress(data, 3).map_err(io)?,
        })
    }
}

// ---- schema ------------------------------------------------------------------------------

/// The Avro schema JSON AvroData makes of the Connect schema of `field`.
pub fn avro_schema_json(field: &Field) -> Result<String> {
    let s = connect_schema(field)?;
    let mut cx = SchemaCx::default();
    Ok(cx.schema(&s, false)?.to_string())
}

fn connect_schema(field: &Field) -> Result<ConnectSchema> {
    if schema::is_schemaless(field) {
        return Err(Error::data(
            "AvroFormat needs a Connect schema: Strait does not write schemaless values as Avro (Confluent's AvroData writes them with its io.confluent.connect.avro.Anything schema)",
        ));
    }
    ConnectSchema::from_field(field, &Opts::default()).map_err(Error::data)
}

#[derive(Default)]
struct SchemaCx {
    /// `ConnectDefault`, `ConnectDefault2`, … in the order AvroData meets unnamed structs.
    name_index: usize,
    /// Records already written (non-optional Connect struct → full name), referenced by name.
    defined: Vec<(ConnectSchema, String)>,
    /// Namespace of the enclosing record.
    space: Option<String>,
}

fn split_name(full: &str) -> (Option<String>, String) {
    match full.rfind('.') {
        Some(i) => (Some(full[..i].to_string()), full[i + 1..].to_string()),
        None => (None, full.to_string()),
    }
}

impl SchemaCx {
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
    fn schema(&mut self, s: &ConnectSchema, ignore_optional: bool) -> Result<Value> {
        if !s.optional {
            if let Some((_, full)) = self.defined.iter().find(|(d, _)| d == s) {
                return Ok(self.reference(&full.clone()));
            }
        }
        if let Some(p) = &s.parameters {
            if p.iter().any(|(k, _)| {
                k == "io.confluent.connect.avro.Enum"
                    || k == "org.apache.kafka.connect.data.Enum"
                    || k == "connect.fixed.size"
            }) || s.name.as_deref() == Some("io.confluent.connect.avro.Union")
            {
                return Err(Error::data(format!(
                    "AvroFormat: Strait does not write Avro enums, unions or fixed types (schema {})",
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
            Type::String => obj = primitive("string"),
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

fn write_long(out: &mut Vec<u8>, v: i64) {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    while z >= 0x80 {
        out.push((z as u8) | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}

fn write_bytes(out: &mut Vec<u8>, b: &[u8]) {
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
fn write_value(
    s: &ConnectSchema,
    a: &dyn Array,
    i: usize,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let null = a.is_null(i);
    if null && !s.optional {
        return match &s.default {
            Some(_) => write_default(s, out),
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
                return write_default(s, out);
            }
            write_long(out, if null_first { 0 } else { 1 });
            return Ok(());
        }
        write_long(out, if null_first { 1 } else { 0 });
    }
    write_base(s, a, i, out)
}

fn write_default(s: &ConnectSchema, out: &mut Vec<u8>) -> Result<(), String> {
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
        (Type::String, Value::String(t)) => write_bytes(out, t.as_bytes()),
        (Type::Bytes, Value::String(t)) => {
            let b: Vec<u8> = t.chars().map(|c| c as u32 as u8).collect();
            write_bytes(out, &b)
        }
        _ => return Err(format!("unsupported default for {}", s.type_name())),
    }
    Ok(())
}

fn write_base(s: &ConnectSchema, a: &dyn Array, i: usize, out: &mut Vec<u8>) -> Result<(), String> {
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
        Type::String => match a.data_type() {
            DataType::Utf8 => write_bytes(out, a.as_string::<i32>().value(i).as_bytes()),
            DataType::LargeUtf8 => write_bytes(out, a.as_string::<i64>().value(i).as_bytes()),
            _ => return Err(mismatch()),
        },
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
                    write_value(item, l.values().as_ref(), j, out)?;
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
                        write_base(k, m.keys().as_ref(), j, out)?;
                    } else {
                        write_value(k, m.keys().as_ref(), j, out)?;
                    }
                    write_value(v, m.values().as_ref(), j, out)?;
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
                write_value(fs, st.column(n).as_ref(), i, out)?;
            }
        }
    }
    Ok(())
}

// ---- container ---------------------------------------------------------------------------

/// Writes one Avro object container file.
pub struct AvroWriter {
    schema: ConnectSchema,
    codec: Codec,
    sync: [u8; 16],
    block: Vec<u8>,
    block_count: i64,
    out: Vec<u8>,
    rows: usize,
}

/// A sync marker that depends only on the schema, so a rewritten file is byte-identical.
fn sync_marker(schema_json: &str) -> [u8; 16] {
    let fnv = |seed: u64| {
        schema_json
            .bytes()
            .fold(seed, |h, b| (h ^ b as u64).wrapping_mul(0x100000001b3))
    };
    let mut m = [0u8; 16];
    m[..8].copy_from_slice(&fnv(0xcbf29ce484222325).to_le_bytes());
    m[8..].copy_from_slice(&fnv(0x84222325cbf29ce4).to_le_bytes());
    m
}

impl AvroWriter {
    pub fn new(settings: &FormatSettings, field: &Field) -> Result<AvroWriter> {
        let codec = Codec::parse(&settings.avro_codec)?;
        let schema = connect_schema(field)?;
        let json = SchemaCx::default().schema(&schema, false)?.to_string();
        let sync = sync_marker(&json);
        let mut out = b"Obj\x01".to_vec();
        write_long(&mut out, 2);
        write_bytes(&mut out, b"avro.schema");
        write_bytes(&mut out, json.as_bytes());
        write_bytes(&mut out, b"avro.codec");
        write_bytes(&mut out, codec.name().as_bytes());
        write_long(&mut out, 0);
        out.extend_from_slice(&sync);
        Ok(AvroWriter {
            schema,
            codec,
            sync,
            block: Vec::new(),
            block_count: 0,
            out,
            rows: 0,
        })
    }

    fn write_block(&mut self) -> Result<()> {
        if self.block_count == 0 {
            return Ok(());
        }
        let data = self.codec.compress(&self.block)?;
        write_long(&mut self.out, self.block_count);
        write_long(&mut self.out, data.len() as i64);
        self.out.extend_from_slice(&data);
        self.out.extend_from_slice(&self.sync);
        self.block.clear();
        self.block_count = 0;
        Ok(())
    }
}

impl FileWriter for AvroWriter {
    fn write(&mut self, values: &ArrayRef, field: &Field) -> Result<Vec<RowError>> {
        let schema = connect_schema(field)?;
        if schema != self.schema {
            return Err(Error::bug(
                "AvroFormat: a column with another schema reached an open Avro file",
            ));
        }
        let mut errors = Vec::new();
        for row in 0..values.len() {
            let mark = self.block.len();
            match write_value(&self.schema, values.as_ref(), row, &mut self.block) {
                Ok(()) => {
                    self.block_count += 1;
                    self.rows += 1;
                    if self.block.len() >= SYNC_INTERVAL {
                        self.write_block()?;
                    }
                }
                Err(msg) => {
                    self.block.truncate(mark);
                    errors.push(RowError {
                        row,
                        error: Error::data(msg),
                    });
                }
            }
        }
        Ok(errors)
    }

    fn take_encoded(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    fn buffered_bytes(&self) -> usize {
        self.out.len() + self.block.len()
    }

    fn rows(&self) -> usize {
        self.rows
    }

    fn finish(mut self: Box<Self>) -> Result<Vec<u8>> {
        self.write_block()?;
        Ok(std::mem::take(&mut self.out))
    }
}

#[cfg(test)]
mod tests {
    use super::super::FormatKind;
    use super::*;
    use arrow::array::{Int32Array, Int64Array, Int8Array, StringArray};
    use arrow::datatypes::Fields;
    use std::collections::HashMap;
    use std::sync::Arc;

    fn settings(codec: &str) -> FormatSettings {
        FormatSettings {
            avro_codec: codec.into(),
            ..FormatSettings::with_defaults(FormatKind::Avro)
        }
    }

    fn md(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// A struct with every Connect type, as `AvroData.fromConnectSchema` renders it.
    #[test]
    fn schema_matches_avro_data() {
        let fields = Fields::from(vec![
            Field::new("i8", DataType::Int8, false),
            Field::new("i16", DataType::Int16, true),
            Field::new("i32", DataType::Int32, false).with_metadata(md(&[(schema::DEFAULT, "7")])),
            Field::new("i64", DataType::Int64, false),
            Field::new("f32", DataType::Float32, false),
            Field::new("f64", DataType::Float64, false),
            Field::new("b", DataType::Boolean, false),
            Field::new("s", DataType::Utf8, true).with_metadata(md(&[(schema::DOC, "a string")])),
            Field::new("bytes", DataType::Binary, false),
            Field::new("dec", DataType::Decimal128(38, 2), false),
            Field::new("date", DataType::Date32, false),
            Field::new("time", DataType::Time32(TimeUnit::Millisecond), false),
            Field::new("ts", DataType::Timestamp(TimeUnit::Millisecond, None), true),
            Field::new_list("arr", Field::new("item", DataType::Int32, false), false),
            Field::new_map(
                "smap",
                "entries",
                Field::new("key", DataType::Utf8, false),
                Field::new("value", DataType::Int64, true),
                false,
                false,
            ),
            Field::new_map(
                "imap",
                "entries",
                Field::new("key", DataType::Int32, false),
                Field::new("value", DataType::Utf8, false),
                false,
                false,
            ),
            Field::new_struct("inner", vec![Field::new("x", DataType::Int32, false)], true),
        ]);
        let field = Field::new("value", DataType::Struct(fields), true).with_metadata(md(&[
            (schema::NAME, "com.example.Row"),
            (schema::VERSION, "3"),
            (schema::OPTIONAL, "false"),
        ]));
        let got: Value = serde_json::from_str(&avro_schema_json(&field).unwrap()).unwrap();
        let expected = json!({"type":"record","name":"Row","namespace":"com.example","fields":[
            {"name":"i8","type":{"type":"int","connect.type":"int8"}},
            {"name":"i16","type":["null",{"type":"int","connect.type":"int16"}],"default":null},
            {"name":"i32","type":{"type":"int","connect.default":7},"default":7},
            {"name":"i64","type":"long"},
            {"name":"f32","type":"float"},
            {"name":"f64","type":"double"},
            {"name":"b","type":"boolean"},
            {"name":"s","type":["null",{"type":"string","connect.doc":"a string"}],"default":null},
            {"name":"bytes","type":"bytes"},
            {"name":"dec","type":{"type":"bytes","scale":2,"precision":64,"connect.version":1,
                "connect.parameters":{"scale":"2"},"connect.name":"org.apache.kafka.connect.data.Decimal",
                "logicalType":"decimal"}},
            {"name":"date","type":{"type":"int","connect.version":1,
                "connect.name":"org.apache.kafka.connect.data.Date","logicalType":"date"}},
            {"name":"time","type":{"type":"int","connect.version":1,
                "connect.name":"org.apache.kafka.connect.data.Time","logicalType":"time-millis"}},
            {"name":"ts","type":["null",{"type":"long","connect.version":1,
                "connect.name":"org.apache.kafka.connect.data.Timestamp","logicalType":"timestamp-millis"}],
                "default":null},
            {"name":"arr","type":{"type":"array","items":"int"}},
            {"name":"smap","type":{"type":"map","values":["null","long"]}},
            {"name":"imap","type":{"type":"array","items":{"type":"record","name":"MapEntry",
                "namespace":"io.confluent.connect.avro","fields":[
                {"name":"key","type":"int"},{"name":"value","type":"string"}]}}},
            {"name":"inner","type":["null",{"type":"record","name":"ConnectDefault",
                "namespace":"io.confluent.connect.avro","fields":[{"name":"x","type":"int"}]}],
                "default":null}
        ],"connect.version":3,"connect.name":"com.example.Row"});
        assert_eq!(got, expected);
        // Key order is Avro's: the text itself must match, not just the JSON value.
        assert_eq!(avro_schema_json(&field).unwrap(), expected.to_string());
    }

    fn sample() -> (Field, ArrayRef) {
        let fields = Fields::from(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("name", DataType::Utf8, true),
            Field::new("small", DataType::Int8, false),
        ]);
        let array: ArrayRef = Arc::new(StructArray::new(
            fields.clone(),
            vec![
                Arc::new(Int64Array::from(vec![1, -2, 300])),
                Arc::new(StringArray::from(vec![Some("a"), None, Some("ccc")])),
                Arc::new(Int8Array::from(vec![1, 2, -3])),
            ],
            None,
        ));
        let field = Field::new("value", DataType::Struct(fields), true)
            .with_metadata(md(&[(schema::NAME, "t.Row"), (schema::OPTIONAL, "false")]));
        (field, array)
    }

    #[test]
    fn every_codec_round_trips_through_arrow_avro() {
        let (field, array) = sample();
        for codec in ["null", "deflate", "snappy", "bzip2", "zstandard"] {
            let mut w = Box::new(AvroWriter::new(&settings(codec), &field).unwrap());
            assert!(w.write(&array, &field).unwrap().is_empty());
            let mut bytes = w.take_encoded();
            bytes.extend(w.finish().unwrap());
            let reader = arrow_avro::reader::ReaderBuilder::new()
                .build(std::io::Cursor::new(bytes))
                .unwrap();
            let batches: Vec<_> = reader.collect::<std::result::Result<_, _>>().unwrap();
            assert_eq!(batches.len(), 1, "{codec}");
            let b = &batches[0];
            assert_eq!(b.num_rows(), 3);
            let ids = b.column(0).as_primitive::<arrow::datatypes::Int64Type>();
            assert_eq!(ids.values().to_vec(), vec![1, -2, 300]);
            let names = b.column(1).as_string::<i32>();
            assert_eq!(names.value(0), "a");
            assert!(names.is_null(1));
            assert_eq!(names.value(2), "ccc");
            let small = b.column(2).as_primitive::<arrow::datatypes::Int32Type>();
            assert_eq!(small.values().to_vec(), vec![1, 2, -3]);
        }
    }

    #[test]
    fn codecs_and_rows_that_cannot_be_written() {
        let (field, _) = sample();
        assert_eq!(
            AvroWriter::new(&settings("lz5"), &field)
                .err()
                .unwrap()
                .message(),
            "Unrecognized codec: lz5"
        );
        assert!(AvroWriter::new(&settings("xz"), &field).is_err());
        let required = Field::new("value", DataType::Int32, true)
            .with_metadata(md(&[(schema::OPTIONAL, "false")]));
        let mut w = AvroWriter::new(&settings("null"), &required).unwrap();
        let values: ArrayRef = Arc::new(Int32Array::from(vec![Some(5), None]));
        let errors = w.write(&values, &required).unwrap();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].row, 1);
        assert_eq!(
            errors[0].error.message(),
            "Found null value for non-optional schema"
        );
        assert_eq!(w.rows(), 1);
        let schemaless = schema::schemaless(Field::new("value", DataType::Utf8, true));
        assert!(AvroWriter::new(&settings("null"), &schemaless).is_err());
    }

    #[test]
    fn non_record_values_are_encoded_in_avro_binary() {
        // A top-level optional string: schema ["null","string"], union index then the value.
        let field = Field::new("value", DataType::Utf8, true);
        assert_eq!(avro_schema_json(&field).unwrap(), r#"["null","string"]"#);
        let mut w = Box::new(AvroWriter::new(&settings("null"), &field).unwrap());
        let values: ArrayRef = Arc::new(StringArray::from(vec![Some("hi"), None]));
        assert!(w.write(&values, &field).unwrap().is_empty());
        let bytes = w.finish().unwrap();
        // The one block: count 2, size 5, [1, len 2, "hi"], [0], then the sync marker.
        let tail = &bytes[bytes.len() - 16 - 7..bytes.len() - 16];
        assert_eq!(tail, &[4, 10, 2, 4, b'h', b'i', 0]);
    }
}
