//! An Arrow column -> one Protobuf message body per row (Confluent's message indexes, then the
//! message), under the schema [`from_connect_schema`](super::from_connect_schema) makes of the
//! column's Connect schema: `ProtobufData.fromConnectData`'s value rules. A null field is not
//! written (Protobuf has no null: it reads back as the field's default, or null for messages
//! and oneofs); a oneof is the first non-null member of its union struct; a Date becomes a
//! `google.type.Date`, a Time a `google.type.TimeOfDay`, a Timestamp a
//! `google.protobuf.Timestamp`, a Decimal a `confluent.type.Decimal` (unscaled big-endian
//! two's complement, precision and scale). Scalars equal to their proto3 default are not
//! written, as protobuf-java does.

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Float32Type, Float64Type, Int16Type, Int32Type,
    Int64Type, Int8Type, Time32MillisecondType, TimestampMillisecondType,
};
use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor};
use strait_engine::plugin::RowError;
use strait_engine::{Error, Result};

use super::{Compiled, ProtobufDataConfig, DATE_TYPE, DECIMAL_TYPE, TIMESTAMP_TYPE, TIME_TYPE};
use crate::json::connect::{ConnectSchema, Type};
use crate::registry::ResolvedSchema;

type Res<T> = std::result::Result<T, String>;

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn key(number: u32, wire: u8, out: &mut Vec<u8>) {
    varint(((number as u64) << 3) | wire as u64, out);
}

fn len_delimited(number: u32, body: &[u8], out: &mut Vec<u8>) {
    key(number, 2, out);
    varint(body.len() as u64, out);
    out.extend_from_slice(body);
}

fn int_at(col: &ArrayRef, row: usize) -> Res<i64> {
    Ok(match col.data_type() {
        DataType::Int8 => col.as_primitive::<Int8Type>().value(row) as i64,
        DataType::Int16 => col.as_primitive::<Int16Type>().value(row) as i64,
        DataType::Int32 => col.as_primitive::<Int32Type>().value(row) as i64,
        DataType::Int64 => col.as_primitive::<Int64Type>().value(row),
        other => return Err(format!("an integer field holds {other}")),
    })
}

/// One value of `kind` (a field's element), from `col[row]`, as field `number`.
fn write_value(
    f: &FieldDescriptor,
    s: &ConnectSchema,
    col: &ArrayRef,
    row: usize,
    out: &mut Vec<u8>,
    skip_default: bool,
) -> Res<()> {
    let n = f.number();
    let kind = f.kind();
    match &kind {
        Kind::Int32 | Kind::Int64 | Kind::Uint32 | Kind::Uint64 => {
            let v = int_at(col, row)?;
            if !(skip_default && v == 0) {
                key(n, 0, out);
                varint(
                    if matches!(kind, Kind::Int32) {
                        v as i32 as i64 as u64
                    } else {
                        v as u64
                    },
                    out,
                );
            }
        }
        Kind::Sint32 | Kind::Sint64 => {
            let v = int_at(col, row)?;
            if !(skip_default && v == 0) {
                key(n, 0, out);
                varint(((v << 1) ^ (v >> 63)) as u64, out);
            }
        }
        Kind::Fixed32 | Kind::Sfixed32 => {
            let v = int_at(col, row)?;
            if !(skip_default && v == 0) {
                key(n, 5, out);
                out.extend_from_slice(&(v as u32).to_le_bytes());
            }
        }
        Kind::Fixed64 | Kind::Sfixed64 => {
            let v = int_at(col, row)?;
            if !(skip_default && v == 0) {
                key(n, 1, out);
                out.extend_from_slice(&(v as u64).to_le_bytes());
            }
        }
        Kind::Float => {
            let v = col
                .as_primitive_opt::<Float32Type>()
                .ok_or("not a float column")?
                .value(row);
            if !(skip_default && v.to_bits() == 0) {
                key(n, 5, out);
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        Kind::Double => {
            let v = col
                .as_primitive_opt::<Float64Type>()
                .ok_or("not a double column")?
                .value(row);
            if !(skip_default && v.to_bits() == 0) {
                key(n, 1, out);
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        Kind::Bool => {
            let v = col
                .as_boolean_opt()
                .ok_or("not a boolean column")?
                .value(row);
            if !skip_default || v {
                key(n, 0, out);
                out.push(v as u8);
            }
        }
        Kind::String => {
            let v = col
                .as_string_opt::<i32>()
                .ok_or("not a string column")?
                .value(row);
            if !(skip_default && v.is_empty()) {
                len_delimited(n, v.as_bytes(), out);
            }
        }
        Kind::Bytes => {
            let v = col
                .as_binary_opt::<i32>()
                .ok_or("not a bytes column")?
                .value(row);
            if !(skip_default && v.is_empty()) {
                len_delimited(n, v, out);
            }
        }
        Kind::Enum(e) => {
            let number = match col.data_type() {
                DataType::Utf8 => {
                    let sym = col.as_string::<i32>().value(row);
                    e.get_value_by_name(sym)
                        .ok_or_else(|| format!("{sym} is not a symbol of enum {}", e.full_name()))?
                        .number()
                }
                _ => int_at(col, row)? as i32,
            };
            if !(skip_default && number == 0) {
                key(n, 0, out);
                varint(number as i64 as u64, out);
            }
        }
        Kind::Message(m) => {
            let mut body = Vec::new();
            match m.full_name() {
                TIMESTAMP_TYPE => {
                    let ms = col
                        .as_primitive_opt::<TimestampMillisecondType>()
                        .ok_or("not a timestamp column")?
                        .value(row);
                    let (secs, rem) = (ms.div_euclid(1000), ms.rem_euclid(1000));
                    put_varint_field(1, secs as u64, &mut body);
                    put_varint_field(2, (rem * 1_000_000) as u64, &mut body);
                }
                DATE_TYPE => {
                    let days = col
                        .as_primitive_opt::<Date32Type>()
                        .ok_or("not a date column")?
                        .value(row);
                    let (y, mo, d) = civil_from_days(days as i64);
                    put_varint_field(1, y as u64, &mut body);
                    put_varint_field(2, mo as u64, &mut body);
                    put_varint_field(3, d as u64, &mut body);
                }
                TIME_TYPE => {
                    let ms = col
                        .as_primitive_opt::<Time32MillisecondType>()
                        .ok_or("not a time column")?
                        .value(row);
                    if !(0..=86_400_000).contains(&ms) {
                        return Err(
                            "Time values must use number of millis greater than 0 and less than 86400000".into(),
                        );
                    }
                    put_varint_field(1, (ms / 3_600_000) as u64, &mut body);
                    put_varint_field(2, (ms / 60_000 % 60) as u64, &mut body);
                    put_varint_field(3, (ms / 1000 % 60) as u64, &mut body);
                    put_varint_field(4, ((ms % 1000) * 1_000_000) as u64, &mut body);
                }
                DECIMAL_TYPE => {
                    let arr = col
                        .as_primitive_opt::<Decimal128Type>()
                        .ok_or("not a decimal column")?;
                    let v = arr.value(row);
                    let scale = match col.data_type() {
                        DataType::Decimal128(_, s) => *s as i64,
                        _ => 0,
                    };
                    let bytes = big_integer_bytes(v);
                    len_delimited(1, &bytes, &mut body);
                    let precision = if v == 0 {
                        1
                    } else {
                        v.unsigned_abs().to_string().len()
                    };
                    put_varint_field(2, precision as u64, &mut body);
                    put_varint_field(3, scale as u64, &mut body);
                }
                _ => {
                    let st = col.as_struct_opt().ok_or("not a struct column")?;
                    let Type::Struct(members) = &s.ty else {
                        return Err("a message field without a struct schema".into());
                    };
                    write_struct(m, members, st, row, &mut body)?;
                }
            }
            len_delimited(n, &body, out);
        }
    }
    Ok(())
}

fn put_varint_field(number: u32, v: u64, out: &mut Vec<u8>) {
    if v != 0 {
        key(number, 0, out);
        varint(v, out);
    }
}

/// Java's `BigInteger.toByteArray`: minimal big-endian two's complement.
fn big_integer_bytes(v: i128) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let mut start = 0;
    while start < 15 {
        let (b, next) = (bytes[start], bytes[start + 1]);
        if (b == 0 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    bytes[start..].to_vec()
}

/// Howard Hinnant's civil_from_days.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn write_field(
    f: &FieldDescriptor,
    s: &ConnectSchema,
    col: &ArrayRef,
    row: usize,
    out: &mut Vec<u8>,
    oneof_member: bool,
) -> Res<()> {
    match (&s.ty, col.data_type()) {
        (Type::Array(item), DataType::List(_)) => {
            let list = col.as_list::<i32>();
            let values = list.value(row);
            for i in 0..values.len() {
                if values.is_null(i) {
                    return Err(format!("a null item in repeated field {}", f.name()));
                }
                write_value(f, item, &values, i, out, false)?;
            }
        }
        (Type::Map(ks, vs), DataType::Map(..)) => {
            let Kind::Message(entry) = f.kind() else {
                return Err(format!("map field {} is not a map in the schema", f.name()));
            };
            let (Some(kf), Some(vf)) = (entry.get_field(1), entry.get_field(2)) else {
                return Err(format!("map field {} has no key or value", f.name()));
            };
            let map = col.as_map();
            let offsets = map.value_offsets();
            let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
            let keys = map.keys();
            let vals = map.values();
            for i in start..end {
                let mut body = Vec::new();
                write_value(&kf, ks, keys, i, &mut body, false)?;
                if !vals.is_null(i) {
                    write_value(&vf, vs, vals, i, &mut body, false)?;
                }
                len_delimited(f.number(), &body, out);
            }
        }
        _ => {
            // proto3 fields without presence do not carry their default; oneof members and
            // `optional` fields do (being set is what they say).
            let skip = !oneof_member && !f.supports_presence();
            write_value(f, s, col, row, out, skip)?;
        }
    }
    Ok(())
}

fn write_struct(
    m: &MessageDescriptor,
    members: &[(String, ConnectSchema)],
    st: &arrow::array::StructArray,
    row: usize,
    out: &mut Vec<u8>,
) -> Res<()> {
    for (i, (name, ms)) in members.iter().enumerate() {
        let col = st.column(i);
        if col.is_null(row) {
            continue;
        }
        let is_union = ms
            .name
            .as_deref()
            .is_some_and(|n| n.starts_with(super::TYPE_UNION_PREFIX));
        if let (true, Type::Struct(branches)) = (is_union, &ms.ty) {
            let ust = col
                .as_struct_opt()
                .ok_or("a union column is not a struct")?;
            if let Some(b) = (0..branches.len()).find(|b| !ust.column(*b).is_null(row)) {
                let (bname, bs) = &branches[b];
                let f = m.get_field_by_name(bname).ok_or_else(|| {
                    format!("oneof member {bname} is not in message {}", m.name())
                })?;
                write_field(&f, bs, ust.column(b), row, out, true)?;
            }
            continue;
        }
        let f = m
            .get_field_by_name(name)
            .ok_or_else(|| format!("field {name} is not in message {}", m.name()))?;
        write_field(&f, ms, col, row, out, false)?;
    }
    Ok(())
}

/// One body (message indexes, then the message) per row of `column`, under `schema` (the
/// text [`from_connect_schema`](super::from_connect_schema) made of `field`). A null row is
/// `None` (a tombstone, as ProtobufConverter returns for a null value); a row that cannot be
/// written is a [`RowError`] and `None`.
pub fn encode(
    field: &arrow::datatypes::Field,
    schema: &ResolvedSchema,
    column: &ArrayRef,
    config: &ProtobufDataConfig,
) -> Result<(Vec<Option<Vec<u8>>>, Vec<RowError>)> {
    encode_compiled(field, &super::compile(schema)?, column, config)
}

/// [`encode`] with the schema already compiled.
pub fn encode_compiled(
    field: &arrow::datatypes::Field,
    compiled: &Compiled,
    column: &ArrayRef,
    config: &ProtobufDataConfig,
) -> Result<(Vec<Option<Vec<u8>>>, Vec<RowError>)> {
    config.refuse_unsupported()?;
    let s = super::connect_schema(field)?;
    let message = compiled
        .message(&[0])
        .ok_or_else(|| Error::bug("protobuf: the written schema has no message"))?;
    let Type::Struct(members) = &s.ty else {
        return Err(Error::data(
            "Strait's ProtobufConverter writes only struct values",
        ));
    };
    let st = column
        .as_struct_opt()
        .ok_or_else(|| Error::data("a struct schema over a column that is not a struct"))?;
    let mut out = Vec::with_capacity(column.len());
    let mut errors = Vec::new();
    for row in 0..column.len() {
        if column.is_null(row) {
            out.push(None);
            continue;
        }
        let mut body = Vec::new();
        super::write_message_indexes(&[0], &mut body);
        match write_struct(&message, members, st, row, &mut body) {
            Ok(()) => out.push(Some(body)),
            Err(e) => {
                out.push(None);
                errors.push(RowError {
                    row,
                    error: Error::data(e),
                });
            }
        }
    }
    Ok((out, errors))
}
