//! Protobuf bodies (Confluent's message indexes, then the message) -> Arrow, in one pass over
//! the wire format straight into the column builders (the JSON converter's `Node`s), with
//! `ProtobufData.toConnectData`'s value rules: proto3 scalars not on the wire are their
//! default (0, "", false, the first enum value), messages and `optional` fields not on the wire
//! are null, repeated fields not on the wire are empty, enums are their symbol (or number with
//! `int.for.enums`), `uint32`/`fixed32` are unsigned in INT64, `uint64`/`fixed64` keep their
//! bits in INT64, a oneof is a union struct with only its set member non-null, Timestamp, Date,
//! TimeOfDay and confluent Decimal messages become the Connect logical values.
//!
//! An enum number the enum does not declare reads as protobuf-java names it in an open
//! (proto3) enum, `UNKNOWN_ENUM_VALUE_<Enum>_<number>`; in proto2's closed enums it is an
//! unknown field, as in protobuf-java (the field reads as if that occurrence were not there;
//! in a map value Strait reads it as in an open enum).
//!
//! A run decodes the message its first body's indexes name; a body naming another message of
//! the same schema is a row error (Java would give it that message's Connect schema: Strait
//! keeps one schema per run; such topics are rare). A malformed body (truncated, bad varint,
//! invalid UTF-8 in a string, bad indexes) is a row error; the decoder never panics.
//! As in protobuf-java, a field whose wire type does not match its declaration is skipped as
//! an unknown field, the last occurrence of a singular field wins, repeated occurrences of
//! a message field merge, and a map key met twice keeps its last value. A
//! `confluent.type.Decimal` whose scale is not the Connect schema's (its field meta) is a row
//! error: an Arrow column has one scale (Java fails such a value later, when it is written).

use std::collections::HashMap;

use arrow::array::ArrayRef;
use arrow::datatypes::Field;
use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor, Value};
use strait_engine::plugin::RowError;
use strait_engine::{Error, Result};

use super::{
    has_optional_keyword, is_map_field, real_oneof, unwrapped_type, Compiled, ProtobufDataConfig,
    ToConnect, DATE_TYPE, DECIMAL_TYPE, FIELD_NAME, TIMESTAMP_TYPE, TIME_TYPE,
};
use crate::json::connect::{ConnectSchema, Type};
use crate::json::decode::Node;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Scalar {
    Int32,
    Sint32,
    Sfixed32,
    Uint32,
    Fixed32,
    Int64,
    Sint64,
    Sfixed64,
    Uint64,
    Fixed64,
    Float,
    Double,
    Bool,
    Str,
    Bytes,
}

#[derive(Debug)]
enum ValuePlan {
    Scalar(Scalar),
    Enum {
        enum_name: String,
        names: HashMap<i32, String>,
        as_int: bool,
        /// proto2's closed enums: a number the enum does not declare is an unknown field.
        closed: bool,
    },
    Timestamp,
    Date,
    Time,
    /// The Connect schema's scale.
    Decimal(i32),
    Message(Box<MessagePlan>),
}

#[derive(Debug)]
enum Shape {
    /// `null_when_absent`: messages and `optional` fields; else the default.
    Single {
        null_when_absent: bool,
        default: Option<Value>,
    },
    List,
    Map {
        key: Box<ValuePlan>,
        key_default: Value,
        value: Box<ValuePlan>,
        value_default: Value,
    },
}

#[derive(Debug)]
struct FieldPlan {
    slot: usize,
    value: ValuePlan,
    shape: Shape,
}

#[derive(Debug)]
enum Member {
    Field(FieldPlan),
    Union(Vec<FieldPlan>),
}

#[derive(Debug)]
struct MessagePlan {
    members: Vec<Member>,
    /// Field number -> (slot, accepted wire types as a bit set, the numbers of a closed enum).
    slots: HashMap<u32, (usize, u8, Option<std::collections::HashSet<i32>>)>,
}

#[derive(Debug)]
enum RootPlan {
    /// `wrapper.for.raw.primitives`: the wrapper's `value` field.
    Wrapper(ValuePlan, Value),
    Message(MessagePlan),
}

const VARINT: u8 = 0;
const FIXED64: u8 = 1;
const LEN: u8 = 2;
const FIXED32: u8 = 5;

fn scalar_of(kind: &Kind) -> Option<Scalar> {
    Some(match kind {
        Kind::Int32 => Scalar::Int32,
        Kind::Sint32 => Scalar::Sint32,
        Kind::Sfixed32 => Scalar::Sfixed32,
        Kind::Uint32 => Scalar::Uint32,
        Kind::Fixed32 => Scalar::Fixed32,
        Kind::Int64 => Scalar::Int64,
        Kind::Sint64 => Scalar::Sint64,
        Kind::Sfixed64 => Scalar::Sfixed64,
        Kind::Uint64 => Scalar::Uint64,
        Kind::Fixed64 => Scalar::Fixed64,
        Kind::Float => Scalar::Float,
        Kind::Double => Scalar::Double,
        Kind::Bool => Scalar::Bool,
        Kind::String => Scalar::Str,
        Kind::Bytes => Scalar::Bytes,
        _ => return None,
    })
}

fn wire_type(kind: &Kind) -> u8 {
    match kind {
        Kind::Int32
        | Kind::Sint32
        | Kind::Uint32
        | Kind::Int64
        | Kind::Sint64
        | Kind::Uint64
        | Kind::Bool
        | Kind::Enum(_) => VARINT,
        Kind::Fixed32 | Kind::Sfixed32 | Kind::Float => FIXED32,
        Kind::Fixed64 | Kind::Sfixed64 | Kind::Double => FIXED64,
        Kind::String | Kind::Bytes | Kind::Message(_) => LEN,
    }
}

fn decimal_scale(s: &ConnectSchema) -> i32 {
    s.parameters
        .iter()
        .flatten()
        .find(|(k, _)| k == strait_engine::schema::logical::DECIMAL_SCALE)
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0)
}

fn value_plan(
    f: &FieldDescriptor,
    s: &ConnectSchema,
    config: &ProtobufDataConfig,
) -> Result<ValuePlan> {
    let kind = f.kind();
    if let Some(sc) = scalar_of(&kind) {
        return Ok(ValuePlan::Scalar(sc));
    }
    Ok(match kind {
        Kind::Enum(e) => ValuePlan::Enum {
            enum_name: e.name().to_string(),
            names: e
                .values()
                .map(|v| (v.number(), v.name().to_string()))
                .collect(),
            as_int: config.int_for_enums,
            closed: e.parent_file().syntax() == prost_reflect::Syntax::Proto2,
        },
        Kind::Message(m) => match m.full_name() {
            TIMESTAMP_TYPE => ValuePlan::Timestamp,
            DATE_TYPE => ValuePlan::Date,
            TIME_TYPE => ValuePlan::Time,
            DECIMAL_TYPE => ValuePlan::Decimal(decimal_scale(s)),
            _ => ValuePlan::Message(Box::new(message_plan(&m, s, config)?)),
        },
        _ => return Err(Error::bug("protobuf plan: unexpected kind")),
    })
}

fn field_plan(
    f: &FieldDescriptor,
    s: &ConnectSchema,
    slot: usize,
    config: &ProtobufDataConfig,
) -> Result<FieldPlan> {
    let mismatch = || Error::bug(format!("protobuf plan: {} does not match", f.full_name()));
    if is_map_field(f) {
        let Kind::Message(entry) = f.kind() else {
            return Err(mismatch());
        };
        let Type::Map(ks, vs) = &s.ty else {
            return Err(mismatch());
        };
        let (Some(kf), Some(vf)) = (entry.fields().next(), entry.fields().nth(1)) else {
            return Err(mismatch());
        };
        return Ok(FieldPlan {
            slot,
            value: ValuePlan::Scalar(Scalar::Bool),
            shape: Shape::Map {
                key: Box::new(value_plan(&kf, ks, config)?),
                key_default: kf.default_value(),
                value: Box::new(value_plan(&vf, vs, config)?),
                value_default: vf.default_value(),
            },
        });
    }
    if f.is_list() {
        let Type::Array(item) = &s.ty else {
            return Err(mismatch());
        };
        return Ok(FieldPlan {
            slot,
            value: value_plan(f, item, config)?,
            shape: Shape::List,
        });
    }
    let is_message = matches!(f.kind(), Kind::Message(_));
    Ok(FieldPlan {
        slot,
        value: value_plan(f, s, config)?,
        shape: Shape::Single {
            null_when_absent: is_message || has_optional_keyword(f, config),
            default: (!is_message).then(|| f.default_value()),
        },
    })
}

fn message_plan(
    m: &MessageDescriptor,
    s: &ConnectSchema,
    config: &ProtobufDataConfig,
) -> Result<MessagePlan> {
    let Type::Struct(members) = &s.ty else {
        return Err(Error::bug("protobuf plan: message of a non-struct"));
    };
    let mut slots: HashMap<u32, (usize, u8, Option<std::collections::HashSet<i32>>)> =
        HashMap::new();
    let mut add_slot = |f: &FieldDescriptor| {
        let n = slots.len();
        let mut wires = 1u8 << wire_type(&f.kind());
        // Packed and unpacked encodings are both accepted for repeated scalars.
        if f.is_list() && wire_type(&f.kind()) != LEN {
            wires |= 1 << LEN;
        }
        let closed = match f.kind() {
            Kind::Enum(e) if e.parent_file().syntax() == prost_reflect::Syntax::Proto2 => {
                Some(e.values().map(|v| v.number()).collect())
            }
            _ => None,
        };
        slots.insert(f.number(), (n, wires, closed));
        n
    };
    let mut plans = Vec::with_capacity(members.len());
    let mut next = members.iter();
    for oneof in m.oneofs().filter(|o| !o.is_synthetic()) {
        let (_, us) = next
            .next()
            .ok_or_else(|| Error::bug("protobuf plan: union"))?;
        let Type::Struct(branches) = &us.ty else {
            return Err(Error::bug("protobuf plan: union is not a struct"));
        };
        let mut fields = Vec::new();
        for (f, (_, bs)) in oneof.fields().zip(branches) {
            let slot = add_slot(&f);
            let mut plan = field_plan(&f, bs, slot, config)?;
            if let Shape::Single {
                null_when_absent, ..
            } = &mut plan.shape
            {
                *null_when_absent = true;
            }
            fields.push(plan);
        }
        plans.push(Member::Union(fields));
    }
    for f in m.fields().filter(|f| real_oneof(f).is_none()) {
        let (_, fs) = next
            .next()
            .ok_or_else(|| Error::bug("protobuf plan: field"))?;
        let slot = add_slot(&f);
        plans.push(Member::Field(field_plan(&f, fs, slot, config)?));
    }
    Ok(MessagePlan {
        members: plans,
        slots,
    })
}

// ---- the wire format -----------------------------------------------------------------------

const EOF: &str = "Malformed Protobuf data: truncated message";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Raw<'a> {
    Varint(u64),
    Fixed32(u32),
    Fixed64(u64),
    Len(&'a [u8]),
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    fn done(&self) -> bool {
        self.pos >= self.buf.len()
    }

    fn varint(&mut self) -> std::result::Result<u64, String> {
        let mut v: u64 = 0;
        for i in 0..10 {
            let b = *self.buf.get(self.pos).ok_or(EOF)?;
            self.pos += 1;
            v |= ((b & 0x7f) as u64) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("Malformed Protobuf data: varint too long".into())
    }

    fn take(&mut self, n: usize) -> std::result::Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).ok_or(EOF)?;
        let s = self.buf.get(self.pos..end).ok_or(EOF)?;
        self.pos = end;
        Ok(s)
    }

    /// One field: (number, wire type, value); groups are skipped (`None` value).
    fn field(&mut self) -> std::result::Result<(u32, u8, Option<Raw<'a>>), String> {
        let key = self.varint()?;
        let number = u32::try_from(key >> 3)
            .ok()
            .filter(|n| *n > 0)
            .ok_or("Malformed Protobuf data: invalid field number")?;
        let wire = (key & 7) as u8;
        let raw = match wire {
            VARINT => Some(Raw::Varint(self.varint()?)),
            FIXED64 => {
                let b = self.take(8)?;
                Some(Raw::Fixed64(u64::from_le_bytes(
                    b.try_into().map_err(|_| EOF)?,
                )))
            }
            LEN => {
                let n = usize::try_from(self.varint()?).map_err(|_| EOF)?;
                Some(Raw::Len(self.take(n)?))
            }
            FIXED32 => {
                let b = self.take(4)?;
                Some(Raw::Fixed32(u32::from_le_bytes(
                    b.try_into().map_err(|_| EOF)?,
                )))
            }
            3 => {
                self.skip_group(number)?;
                None
            }
            _ => return Err(format!("Malformed Protobuf data: invalid wire type {wire}")),
        };
        Ok((number, wire, raw))
    }

    fn skip_group(&mut self, number: u32) -> std::result::Result<(), String> {
        // Iterative: a nest of groups in hostile input must not exhaust the stack.
        let mut open = vec![number];
        while let Some(&top) = open.last() {
            let key = self.varint()?;
            let n = (key >> 3) as u32;
            match (key & 7) as u8 {
                VARINT => {
                    self.varint()?;
                }
                FIXED64 => {
                    self.take(8)?;
                }
                LEN => {
                    let len = usize::try_from(self.varint()?).map_err(|_| EOF)?;
                    self.take(len)?;
                }
                FIXED32 => {
                    self.take(4)?;
                }
                3 => open.push(n),
                4 if n == top => {
                    open.pop();
                }
                _ => return Err("Malformed Protobuf data: invalid group".into()),
            }
        }
        Ok(())
    }
}

/// The occurrences of each known field of one message, in wire order.
fn collect<'a>(
    plan: &MessagePlan,
    bytes: &'a [u8],
) -> std::result::Result<Vec<Vec<Raw<'a>>>, String> {
    let mut out: Vec<Vec<Raw<'a>>> = vec![Vec::new(); plan.slots.len()];
    let mut r = Reader::new(bytes);
    while !r.done() {
        let (number, wire, raw) = r.field()?;
        let (Some(raw), Some((slot, wires, closed))) = (raw, plan.slots.get(&number)) else {
            continue;
        };
        if let (Some(known), Raw::Varint(v)) = (closed, raw) {
            // protobuf-java keeps a closed enum's undeclared number as an unknown field.
            if !known.contains(&(v as i32)) {
                continue;
            }
        }
        if wires & (1 << wire) != 0 {
            out[*slot].push(raw);
        }
    }
    Ok(out)
}

fn utf8(b: &[u8]) -> std::result::Result<&[u8], String> {
    std::str::from_utf8(b)
        .map(|_| b)
        .map_err(|_| "Malformed Protobuf data: a string field is not valid UTF-8".to_string())
}

fn zigzag64(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

fn wrong() -> String {
    "Malformed Protobuf data: unexpected wire type".into()
}

fn push_scalar(node: &mut Node, sc: Scalar, raw: Raw<'_>) -> std::result::Result<(), String> {
    match (sc, raw) {
        (Scalar::Int32, Raw::Varint(v)) => node.push_int(v as i32 as i64),
        (Scalar::Sint32, Raw::Varint(v)) => node.push_int(zigzag64(v) as i32 as i64),
        (Scalar::Uint32, Raw::Varint(v)) => node.push_int(v as u32 as i64),
        (Scalar::Int64 | Scalar::Uint64, Raw::Varint(v)) => node.push_int(v as i64),
        (Scalar::Sint64, Raw::Varint(v)) => node.push_int(zigzag64(v)),
        (Scalar::Bool, Raw::Varint(v)) => node.push_bool(v != 0),
        (Scalar::Sfixed32, Raw::Fixed32(v)) => node.push_int(v as i32 as i64),
        (Scalar::Fixed32, Raw::Fixed32(v)) => node.push_int(v as i64),
        (Scalar::Float, Raw::Fixed32(v)) => node.push_f32(f32::from_bits(v)),
        (Scalar::Sfixed64 | Scalar::Fixed64, Raw::Fixed64(v)) => node.push_int(v as i64),
        (Scalar::Double, Raw::Fixed64(v)) => node.push_f64(f64::from_bits(v)),
        (Scalar::Str, Raw::Len(b)) => node.push_bytes(utf8(b)?),
        (Scalar::Bytes, Raw::Len(b)) => node.push_bytes(b),
        _ => Err(wrong()),
    }
}

/// Fields 1.. of a small well-known message as varints (last occurrence wins).
fn small_fields<const N: usize>(bytes: &[u8]) -> std::result::Result<[u64; N], String> {
    let mut out = [0u64; N];
    let mut r = Reader::new(bytes);
    while !r.done() {
        let (number, _, raw) = r.field()?;
        if let (Some(Raw::Varint(v)), Some(slot)) = (raw, out.get_mut(number as usize - 1)) {
            *slot = v;
        }
    }
    Ok(out)
}

/// Days since the epoch of a proleptic Gregorian date (as Java's non-lenient Calendar reads
/// `google.type.Date`, which refuses month or day out of range).
fn epoch_days(year: i64, month: i64, day: i64) -> std::result::Result<i64, String> {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(format!("Invalid google.type.Date month: {month}")),
    };
    if day < 1 || day > days_in || year < 1 {
        return Err(format!("Invalid google.type.Date: {year}-{month}-{day}"));
    }
    // Howard Hinnant's days_from_civil.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Ok(era * 146_097 + doe - 719_468)
}

fn push_message_value(
    node: &mut Node,
    plan: &ValuePlan,
    bytes: &[u8],
) -> std::result::Result<(), String> {
    match plan {
        ValuePlan::Timestamp => {
            let [seconds, nanos] = small_fields::<2>(bytes)?;
            let millis = (seconds as i64)
                .checked_mul(1000)
                .and_then(|m| m.checked_add((nanos as i32 / 1_000_000) as i64))
                .ok_or("Timestamp out of range")?;
            node.push_int(millis)
        }
        ValuePlan::Date => {
            let [y, m, d] = small_fields::<3>(bytes)?;
            let days = epoch_days(y as i32 as i64, m as i32 as i64, d as i32 as i64)?;
            node.push_int(days)
        }
        ValuePlan::Time => {
            let [h, m, s, n] = small_fields::<4>(bytes)?;
            let (h, m, s, n) = (h as i32, m as i32, s as i32, n as i32);
            if !(0..24).contains(&h)
                || !(0..60).contains(&m)
                || !(0..60).contains(&s)
                || !(0..1_000_000_000).contains(&n)
            {
                return Err(format!("Invalid google.type.TimeOfDay: {h}:{m}:{s}.{n}"));
            }
            node.push_int(((h * 3600 + m * 60 + s) as i64) * 1000 + (n / 1_000_000) as i64)
        }
        ValuePlan::Decimal(scale) => {
            let mut value: &[u8] = &[];
            let mut message_scale = 0i32;
            let mut r = Reader::new(bytes);
            while !r.done() {
                match r.field()? {
                    (1, LEN, Some(Raw::Len(b))) => value = b,
                    (3, VARINT, Some(Raw::Varint(v))) => message_scale = v as i32,
                    _ => {}
                }
            }
            if message_scale != *scale {
                return Err(format!(
                    "confluent.type.Decimal with scale {message_scale} in a Decimal column of scale {scale}"
                ));
            }
            if value.is_empty() {
                node.push_bytes(&[0])
            } else {
                node.push_bytes(value)
            }
        }
        ValuePlan::Message(m) => decode_message(m, bytes, node),
        _ => Err(wrong()),
    }
}

fn push_value(node: &mut Node, plan: &ValuePlan, raw: Raw<'_>) -> std::result::Result<(), String> {
    match (plan, raw) {
        (ValuePlan::Scalar(sc), raw) => push_scalar(node, *sc, raw),
        (
            ValuePlan::Enum {
                enum_name,
                names,
                as_int,
                ..
            },
            Raw::Varint(v),
        ) => {
            let n = v as i32;
            if *as_int {
                return node.push_int(n as i64);
            }
            match names.get(&n) {
                Some(name) => node.push_bytes(name.as_bytes()),
                // protobuf-java's name for a value the enum does not declare.
                None => node.push_bytes(format!("UNKNOWN_ENUM_VALUE_{enum_name}_{n}").as_bytes()),
            }
        }
        (_, Raw::Len(b)) => push_message_value(node, plan, b),
        _ => Err(wrong()),
    }
}

/// The default of a field not on the wire.
fn push_default(node: &mut Node, plan: &ValuePlan, v: &Value) -> std::result::Result<(), String> {
    match (plan, v) {
        (ValuePlan::Enum { .. }, Value::EnumNumber(n)) => {
            push_value(node, plan, Raw::Varint(*n as i64 as u64))
        }
        (ValuePlan::Scalar(Scalar::Uint32 | Scalar::Fixed32), Value::U32(u)) => {
            node.push_int(*u as i64)
        }
        (_, Value::I32(i)) => node.push_int(*i as i64),
        (_, Value::I64(i)) => node.push_int(*i),
        (_, Value::U32(u)) => node.push_int(*u as i64),
        (_, Value::U64(u)) => node.push_int(*u as i64),
        (_, Value::F32(f)) => node.push_f32(*f),
        (_, Value::F64(f)) => node.push_f64(*f),
        (_, Value::Bool(b)) => node.push_bool(*b),
        (_, Value::String(s)) => node.push_bytes(s.as_bytes()),
        (_, Value::Bytes(b)) => node.push_bytes(b),
        // A message value (map values): the empty message.
        _ => push_message_value(node, plan, &[]),
    }
}

/// Merge the occurrences of a message field (protobuf concatenation semantics).
fn merged<'a>(raws: &[Raw<'a>], scratch: &'a mut Vec<u8>) -> Option<&'a [u8]> {
    let lens: Vec<&[u8]> = raws
        .iter()
        .filter_map(|r| match r {
            Raw::Len(b) => Some(*b),
            _ => None,
        })
        .collect();
    match lens.as_slice() {
        [] => None,
        [one] => Some(one),
        many => {
            scratch.clear();
            many.iter().for_each(|b| scratch.extend_from_slice(b));
            Some(scratch.as_slice())
        }
    }
}

fn push_field(
    node: &mut Node,
    plan: &FieldPlan,
    raws: &[Raw<'_>],
) -> std::result::Result<(), String> {
    match &plan.shape {
        Shape::Single {
            null_when_absent,
            default,
        } => {
            let is_message = !matches!(plan.value, ValuePlan::Scalar(_) | ValuePlan::Enum { .. });
            if is_message {
                let mut scratch = Vec::new();
                match merged(raws, &mut scratch) {
                    Some(b) => push_message_value(node, &plan.value, b),
                    None => {
                        node.append_null();
                        Ok(())
                    }
                }
            } else {
                match raws.last() {
                    Some(raw) => push_value(node, &plan.value, *raw),
                    None if *null_when_absent => {
                        node.append_null();
                        Ok(())
                    }
                    None => match default {
                        Some(d) => push_default(node, &plan.value, d),
                        None => {
                            node.append_null();
                            Ok(())
                        }
                    },
                }
            }
        }
        Shape::List => {
            let item = node
                .list_item()
                .ok_or("protobuf: a repeated field's column is not a list")?;
            let packable = matches!(plan.value, ValuePlan::Scalar(sc) if !matches!(sc, Scalar::Str | Scalar::Bytes))
                || matches!(plan.value, ValuePlan::Enum { .. });
            for raw in raws {
                match raw {
                    Raw::Len(b) if packable => unpack(item, &plan.value, b)?,
                    _ => push_value(item, &plan.value, *raw)?,
                }
            }
            node.close_nested()
        }
        Shape::Map {
            key,
            key_default,
            value,
            value_default,
        } => {
            let (knode, vnode) = node
                .map_entries()
                .ok_or("protobuf: a map field's column is not a map")?;
            let mut entries: Vec<(Option<Raw<'_>>, Vec<Raw<'_>>)> = Vec::with_capacity(raws.len());
            for raw in raws {
                let Raw::Len(entry) = raw else {
                    return Err(wrong());
                };
                let mut k: Option<Raw<'_>> = None;
                let mut v: Vec<Raw<'_>> = Vec::new();
                let mut r = Reader::new(entry);
                while !r.done() {
                    match r.field()? {
                        (1, _, Some(raw)) => k = Some(raw),
                        (2, _, Some(raw)) => v.push(raw),
                        _ => {}
                    }
                }
                entries.push((k, v));
            }
            // A key met twice keeps its last value, as protobuf-java's map field (and the
            // HashMap ProtobufData fills) does.
            let mut last: HashMap<Option<Raw<'_>>, usize> = HashMap::with_capacity(entries.len());
            for (i, (k, _)) in entries.iter().enumerate() {
                last.insert(*k, i);
            }
            for (i, (k, v)) in entries.iter().enumerate() {
                if last.get(k) != Some(&i) {
                    continue;
                }
                let k = *k;
                match k {
                    Some(raw) => push_value(knode, key, raw)?,
                    None => push_default(knode, key, key_default)?,
                }
                let is_message = !matches!(**value, ValuePlan::Scalar(_) | ValuePlan::Enum { .. });
                if is_message {
                    let mut scratch = Vec::new();
                    let bytes = merged(v, &mut scratch).unwrap_or(&[]);
                    push_message_value(vnode, value, bytes)?;
                } else {
                    match v.last() {
                        Some(raw) => push_value(vnode, value, *raw)?,
                        None => push_default(vnode, value, value_default)?,
                    }
                }
            }
            node.close_nested()
        }
    }
}

/// The items of a packed repeated scalar field.
fn unpack(item: &mut Node, plan: &ValuePlan, bytes: &[u8]) -> std::result::Result<(), String> {
    let mut r = Reader::new(bytes);
    let width = match plan {
        ValuePlan::Scalar(Scalar::Fixed32 | Scalar::Sfixed32 | Scalar::Float) => 4,
        ValuePlan::Scalar(Scalar::Fixed64 | Scalar::Sfixed64 | Scalar::Double) => 8,
        _ => 0,
    };
    while !r.done() {
        let raw = match width {
            4 => Raw::Fixed32(u32::from_le_bytes(r.take(4)?.try_into().map_err(|_| EOF)?)),
            8 => Raw::Fixed64(u64::from_le_bytes(r.take(8)?.try_into().map_err(|_| EOF)?)),
            _ => Raw::Varint(r.varint()?),
        };
        if let (
            ValuePlan::Enum {
                names,
                closed: true,
                ..
            },
            Raw::Varint(v),
        ) = (plan, raw)
        {
            if !names.contains_key(&(v as i32)) {
                continue;
            }
        }
        push_value(item, plan, raw)?;
    }
    Ok(())
}

fn decode_message(
    plan: &MessagePlan,
    bytes: &[u8],
    node: &mut Node,
) -> std::result::Result<(), String> {
    let occurrences = collect(plan, bytes)?;
    let members = node
        .struct_members()
        .ok_or("protobuf: a message's column is not a struct")?;
    for (member, child) in plan.members.iter().zip(members.iter_mut()) {
        match member {
            Member::Field(f) => push_field(child, f, &occurrences[f.slot])?,
            Member::Union(branches) => {
                // The member set last on the wire is the oneof's value.
                let mut chosen: Option<(usize, usize)> = None;
                for (i, b) in branches.iter().enumerate() {
                    let raws = &occurrences[b.slot];
                    if !raws.is_empty() {
                        let last_pos = raw_position(bytes, raws);
                        if chosen.is_none_or(|(_, p)| last_pos >= p) {
                            chosen = Some((i, last_pos));
                        }
                    }
                }
                match chosen {
                    None => child.append_null(),
                    Some((chosen, _)) => {
                        let union_members = child
                            .struct_members()
                            .ok_or("protobuf: a oneof's column is not a struct")?;
                        for (i, (b, um)) in
                            branches.iter().zip(union_members.iter_mut()).enumerate()
                        {
                            if i == chosen {
                                push_field(um, b, &occurrences[b.slot])?;
                            } else {
                                um.append_null();
                            }
                        }
                        child.close_nested()?;
                    }
                }
            }
        }
    }
    node.close_nested()
}

/// Where in the message the last occurrence of a field is (to find the oneof member set
/// last): the address of its value within `bytes` for length-delimited values, else its rank.
fn raw_position(bytes: &[u8], raws: &[Raw<'_>]) -> usize {
    match raws.last() {
        Some(Raw::Len(b)) => (b.as_ptr() as usize).saturating_sub(bytes.as_ptr() as usize),
        _ => raws.len(),
    }
}

// ---- the decoder ---------------------------------------------------------------------------

/// One message of the schema, ready to decode.
struct Target {
    indexes: Vec<i32>,
    full_name: String,
    field: Field,
    schema: ConnectSchema,
    plan: RootPlan,
}

/// Decodes the bodies written with one writer schema (see the module docs).
pub struct ProtobufDecoder {
    compiled: Compiled,
    config: ProtobufDataConfig,
    version: Option<i32>,
    targets: Vec<Target>,
    /// The target of the last decoded run (the first message before any).
    current: usize,
    context: String,
}

impl std::fmt::Debug for ProtobufDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProtobufDecoder")
            .field(
                "message",
                &self.targets.get(self.current).map(|t| &t.full_name),
            )
            .finish()
    }
}

impl ProtobufDecoder {
    /// A decoder for a compiled writer schema; `version` goes on the Connect schema.
    pub fn new(
        compiled: Compiled,
        config: &ProtobufDataConfig,
        version: Option<i32>,
    ) -> Result<Self> {
        config.refuse_unsupported()?;
        let mut decoder = ProtobufDecoder {
            compiled,
            config: config.clone(),
            version,
            targets: Vec::new(),
            current: 0,
            context: String::new(),
        };
        decoder.target(&[0])?;
        Ok(decoder)
    }

    /// For messages: the topic and schema id.
    pub fn set_context(&mut self, topic: &str, id: i32) {
        self.context = format!(" (topic {topic}, schema id {id})");
    }

    /// The Arrow field of the last run.
    pub fn field(&self) -> &Field {
        &self.targets[self.current].field
    }

    /// The target for message indexes, built on first use.
    fn target(&mut self, indexes: &[i32]) -> Result<usize> {
        if let Some(i) = self.targets.iter().position(|t| t.indexes == indexes) {
            return Ok(i);
        }
        let message = self.compiled.message(indexes).ok_or_else(|| {
            Error::data(format!(
                "Invalid message indexes {indexes:?}: the schema has no such message{}",
                self.context
            ))
        })?;
        let schema = ToConnect::new(&self.config).root(&message, self.version)?;
        let node = Node::for_schema(&schema, FIELD_NAME, true, false).map_err(Error::data)?;
        let plan = match (
            unwrapped_type(message.full_name()),
            self.config.wrapper_for_raw_primitives,
        ) {
            (Some(_), true) => {
                let f = message
                    .get_field(1)
                    .ok_or_else(|| Error::bug("protobuf: a wrapper without its value field"))?;
                RootPlan::Wrapper(value_plan(&f, &schema, &self.config)?, f.default_value())
            }
            _ => RootPlan::Message(message_plan(&message, &schema, &self.config)?),
        };
        self.targets.push(Target {
            indexes: indexes.to_vec(),
            full_name: message.full_name().to_string(),
            field: node.field.as_ref().clone(),
            schema,
            plan,
        });
        Ok(self.targets.len() - 1)
    }

    /// One row per body (`None` is a null row): the array and the rows that failed.
    pub fn decode(&mut self, bodies: &[Option<&[u8]>]) -> Result<(ArrayRef, Vec<RowError>)> {
        let mut errors = Vec::new();
        // The run's message: the first body's whose indexes are readable and name one.
        for body in bodies.iter().flatten() {
            if let Ok((indexes, _)) = super::read_message_indexes(body) {
                if let Ok(t) = self.target(&indexes) {
                    self.current = t;
                    break;
                }
            }
        }
        let target = &self.targets[self.current];
        let mut node =
            Node::for_schema(&target.schema, FIELD_NAME, true, false).map_err(Error::data)?;
        for (row, body) in bodies.iter().enumerate() {
            let Some(body) = body else {
                node.append_null();
                continue;
            };
            let len = node.len();
            let result = super::read_message_indexes(body).and_then(|(indexes, used)| {
                if indexes != target.indexes {
                    return Err(format!(
                        "the payload names message indexes {indexes:?}, but this run of the \
                         schema decodes message {} ({:?}); Strait decodes one message per run",
                        target.full_name, target.indexes
                    ));
                }
                let message = &body[used..];
                match &target.plan {
                    RootPlan::Message(plan) => decode_message(plan, message, &mut node),
                    RootPlan::Wrapper(plan, default) => {
                        let mut value: Option<Raw<'_>> = None;
                        let mut r = Reader::new(message);
                        while !r.done() {
                            if let (1, _, Some(raw)) = r.field()? {
                                value = Some(raw);
                            }
                        }
                        match value {
                            Some(raw) => push_value(&mut node, plan, raw),
                            None => push_default(&mut node, plan, default),
                        }
                    }
                }
            });
            if let Err(message) = result {
                node.truncate(len);
                node.append_null();
                errors.push(RowError {
                    row,
                    error: Error::data(format!(
                        "Failed to deserialize Protobuf data{}: {message}",
                        self.context
                    )),
                });
            }
        }
        let array = node
            .finish()
            .map_err(|e| Error::data(format!("Protobuf column: {e}")))?;
        Ok((array, errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::ResolvedSchema;
    use arrow::array::Array;
    use proptest::prelude::*;

    /// The fuzz target's schema: every kind of field the decoder maps.
    fn fuzz_schema() -> Compiled {
        let source = include_str!("../../../fuzz/fuzz_targets/protobuf_decoder.rs");
        let start = source.find("r#\"").unwrap() + 3;
        let end = source[start..].find("\"#").unwrap() + start;
        super::super::compile(&ResolvedSchema::plain(&source[start..end])).unwrap()
    }

    #[test]
    fn epoch_days_matches_the_calendar() {
        assert_eq!(epoch_days(1970, 1, 1), Ok(0));
        assert_eq!(epoch_days(2017, 12, 31), Ok(17_531));
        assert_eq!(epoch_days(1969, 12, 31), Ok(-1));
        assert_eq!(epoch_days(2000, 2, 29), Ok(11_016));
        assert!(epoch_days(1999, 2, 29).is_err());
        assert!(epoch_days(2020, 13, 1).is_err());
        assert!(
            epoch_days(0, 1, 1).is_err(),
            "year 0 (Java's non-lenient calendar refuses it)"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any bytes decode or are a row error (then a null row); never a panic, and a row's
        /// result does not depend on its neighbours.
        #[test]
        fn any_bytes_decode_or_fail_per_row(
            bodies in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 1..8)
        ) {
            let c = fuzz_schema();
            let mut d = ProtobufDecoder::new(c.clone(), &ProtobufDataConfig::default(), None).unwrap();
            // Every other body behind the first message's indexes, so the message walk itself
            // sees random bytes.
            let bodies: Vec<Vec<u8>> = bodies
                .into_iter()
                .enumerate()
                .map(|(i, b)| if i % 2 == 0 { std::iter::once(0).chain(b).collect() } else { b })
                .collect();
            let rows: Vec<Option<&[u8]>> = bodies.iter().map(|b| Some(b.as_slice())).collect();
            let (array, errors) = d.decode(&rows).unwrap();
            prop_assert_eq!(array.len(), rows.len());
            for e in &errors {
                prop_assert!(array.is_null(e.row));
            }
            // Each row alone gives the same outcome.
            for (i, row) in rows.iter().enumerate() {
                let mut alone = ProtobufDecoder::new(c.clone(), &ProtobufDataConfig::default(), None).unwrap();
                let (_, errs) = alone.decode(&[*row]).unwrap();
                let failed_together = errors.iter().any(|e| e.row == i);
                // A row naming another message than the run's fails together but may decode
                // alone (its own run).
                if !failed_together {
                    prop_assert!(errs.is_empty(), "row {} decoded in the batch but not alone", i);
                }
            }
        }
    }
}
