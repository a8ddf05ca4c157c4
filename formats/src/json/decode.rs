//! Decoding JSON values straight into Arrow column builders.
//!
//! A [`Node`] is one column builder in a tree shaped like the target Arrow type: it is built
//! from a Connect schema (envelope mode) or from an inferred type (schemaless mode), and
//! [`Node::value`] parses one JSON value from a [`Scanner`] into it, with JsonConverter's
//! `convertToConnect` rules: nulls take the schema default (`replace.null.with.default`) or
//! become null when optional, numbers convert as Jackson's `intValue()`/`longValue()` do
//! (truncating, keeping the low bits), maps with string keys are objects and others arrays of
//! `[key, value]` pairs, struct members missing from the object are null, unknown members are
//! ignored.
//!
//! Stricter than Java, on purpose: a JSON value of the wrong kind (a string for an INT32, a
//! number for a BOOLEAN) is an error where Jackson's accessors would silently give 0, false or
//! null; a repeated member name in an object is an error where Jackson keeps the last one.
//!
//! Builders can be truncated back to a row count, so a row that fails half-way leaves no trace:
//! the caller truncates to the row index and appends a null.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::builder::NullBufferBuilder;
use arrow::array::{
    ArrayRef, BinaryArray, BooleanArray, BooleanBufferBuilder, Date32Array, Decimal128Array,
    Float32Array, Float64Array, Int16Array, Int32Array, Int64Array, Int8Array, ListArray, MapArray,
    NullArray, StringArray, StructArray, Time32MillisecondArray, TimestampMillisecondArray,
};
use arrow::buffer::{Buffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::{DataType, Field, FieldRef, Fields};
use arrow::error::ArrowError;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;

use super::connect::{leaf_type, ConnectSchema, Logical, Type};
use super::scan::{java_long, num_str, Fail, Num, Res, Scanner};

/// Base64 as Jackson reads it for `binaryValue()`: standard alphabet; we accept it with or
/// without padding.
const B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Where structs switch from linear member lookup to a hash map.
const LINEAR_LOOKUP_MAX: usize = 12;

/// Decoding state shared by every node of one batch.
pub(crate) struct Cx {
    pub replace_null_with_default: bool,
    /// Maps with non-string keys come as arrays of `{"key":k,"value":v}` objects (Confluent's
    /// JsonSchemaData) rather than `[k, v]` pairs (JsonConverter).
    pub map_entries_as_objects: bool,
    /// Schemaless: values that do not fit fail with [`Fail::Mismatch`], unknown members too.
    pub schemaless: bool,
    pub scratch: Vec<u8>,
}

/// Variable-length values: offsets plus data.
#[derive(Default)]
struct Bytes {
    offsets: Vec<i32>,
    data: Vec<u8>,
}

impl Bytes {
    fn new() -> Self {
        Bytes {
            offsets: vec![0],
            data: Vec::new(),
        }
    }
    #[inline]
    fn commit(&mut self) -> Res<()> {
        self.offsets.push(offset(self.data.len())?);
        Ok(())
    }
    fn truncate(&mut self, len: usize) {
        self.offsets.truncate(len + 1);
        self.data.truncate(self.offsets[len] as usize);
    }
    fn take(&mut self) -> (OffsetBuffer<i32>, Buffer) {
        let offsets = std::mem::replace(&mut self.offsets, vec![0]);
        let data = std::mem::take(&mut self.data);
        (
            OffsetBuffer::new(ScalarBuffer::from(offsets)),
            Buffer::from_vec(data),
        )
    }
}

#[inline]
fn offset(len: usize) -> Res<i32> {
    i32::try_from(len)
        .map_err(|_| Fail::Data("decoded column exceeds 2 GiB (Arrow 32-bit offsets)".into()))
}

struct StructKind {
    children: Vec<Node>,
    names: Vec<Box<[u8]>>,
    lookup: Option<HashMap<Box<[u8]>, usize>>,
}

impl StructKind {
    /// Index of the member named `key`; members usually come in schema order, so try the one
    /// after the previous match first.
    #[inline]
    fn find(&self, key: &[u8], guess: usize) -> Option<usize> {
        if self.names.get(guess).is_some_and(|n| **n == *key) {
            return Some(guess);
        }
        match &self.lookup {
            Some(map) => map.get(key).copied(),
            None => self.names.iter().position(|n| **n == *key),
        }
    }
}

enum Kind {
    /// Schemaless only: nothing but nulls seen so far.
    Null,
    Bool(BooleanBufferBuilder),
    I8(Vec<i8>),
    I16(Vec<i16>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    F32(Vec<f32>),
    F64(Vec<f64>),
    Date(Vec<i32>),
    Time(Vec<i32>),
    Timestamp(Vec<i64>),
    Decimal(Vec<i128>, i32),
    Str(Bytes),
    Bin(Bytes),
    /// Schemaless only: the raw JSON text of values whose types conflict.
    Json(Bytes),
    List(Vec<i32>, Box<Node>),
    /// `object`: string keys, encoded as a JSON object (else an array of pairs).
    Map {
        offsets: Vec<i32>,
        object: bool,
        key: Box<Node>,
        value: Box<Node>,
    },
    Struct(Box<StructKind>),
}

/// One column builder (see the module docs).
pub(crate) struct Node {
    /// The Arrow field this node finishes into (name, type, nullability, metadata).
    pub field: FieldRef,
    kind: Kind,
    nulls: NullBufferBuilder,
    /// Connect `optional`: whether JSON null is a valid value here.
    optional: bool,
    /// Canonical JSON of the schema default, used for null when `replace.null.with.default`.
    default: Option<Box<[u8]>>,
    /// Connect type name for messages.
    type_name: &'static str,
}

impl Node {
    fn new(
        field: Field,
        kind: Kind,
        optional: bool,
        default: Option<Box<[u8]>>,
        type_name: &'static str,
    ) -> Node {
        Node {
            field: Arc::new(field),
            kind,
            nulls: NullBufferBuilder::new(0),
            optional,
            default,
            type_name,
        }
    }

    /// A builder for a Connect schema. `top`: the column itself, always nullable in Arrow (it
    /// also holds tombstones and failed rows); `map_key`: never nullable in Arrow.
    pub fn for_schema(
        schema: &ConnectSchema,
        name: &str,
        top: bool,
        map_key: bool,
    ) -> Result<Node, String> {
        let metadata = schema.metadata(top, map_key);
        let nullable = if top {
            true
        } else if map_key {
            false
        } else {
            schema.optional
        };
        let default = schema.default.as_deref().map(Box::from);
        let (dt, kind) = match &schema.ty {
            Type::Array(items) => {
                let item = Node::for_schema(items, "item", false, false)?;
                (
                    DataType::List(item.field.clone()),
                    Kind::List(vec![0], Box::new(item)),
                )
            }
            Type::Map(k, v) => {
                let key = Node::for_schema(k, "key", false, true)?;
                let value = Node::for_schema(v, "value", false, false)?;
                let entries = Field::new(
                    "entries",
                    DataType::Struct(Fields::from(vec![key.field.clone(), value.field.clone()])),
                    false,
                );
                let object = matches!(k.ty, Type::String);
                (
                    DataType::Map(Arc::new(entries), false),
                    Kind::Map {
                        offsets: vec![0],
                        object,
                        key: Box::new(key),
                        value: Box::new(value),
                    },
                )
            }
            Type::Struct(members) => {
                let children = members
                    .iter()
                    .map(|(n, s)| Node::for_schema(s, n, false, false))
                    .collect::<Result<Vec<_>, _>>()?;
                let fields =
                    Fields::from(children.iter().map(|c| c.field.clone()).collect::<Vec<_>>());
                (
                    DataType::Struct(fields),
                    Kind::Struct(Box::new(struct_kind(children))),
                )
            }
            _ => {
                let dt = leaf_type(schema)?;
                let kind = match (schema.logical()?, &schema.ty) {
                    (Logical::Decimal(scale), _) => Kind::Decimal(Vec::new(), scale),
                    (Logical::Date, _) => Kind::Date(Vec::new()),
                    (Logical::Time, _) => Kind::Time(Vec::new()),
                    (Logical::Timestamp, _) => Kind::Timestamp(Vec::new()),
                    (_, Type::Int8) => Kind::I8(Vec::new()),
                    (_, Type::Int16) => Kind::I16(Vec::new()),
                    (_, Type::Int32) => Kind::I32(Vec::new()),
                    (_, Type::Int64) => Kind::I64(Vec::new()),
                    (_, Type::Float32) => Kind::F32(Vec::new()),
                    (_, Type::Float64) => Kind::F64(Vec::new()),
                    (_, Type::Boolean) => Kind::Bool(BooleanBufferBuilder::new(0)),
                    (_, Type::String) => Kind::Str(Bytes::new()),
                    _ => Kind::Bin(Bytes::new()),
                };
                (dt, kind)
            }
        };
        let field = Field::new(name, dt, nullable).with_metadata(metadata);
        Ok(Node::new(
            field,
            kind,
            schema.optional,
            default,
            schema.type_name(),
        ))
    }

    /// Schemaless builders (see [`super::infer`]): everything optional, no defaults.
    pub fn null_kind(name: &str) -> Node {
        Node::new(
            Field::new(name, DataType::Null, true),
            Kind::Null,
            true,
            None,
            "NULL",
        )
    }
    pub fn bool_kind(name: &str) -> Node {
        Node::new(
            Field::new(name, DataType::Boolean, true),
            Kind::Bool(BooleanBufferBuilder::new(0)),
            true,
            None,
            "BOOLEAN",
        )
    }
    pub fn int64_kind(name: &str) -> Node {
        Node::new(
            Field::new(name, DataType::Int64, true),
            Kind::I64(Vec::new()),
            true,
            None,
            "INT64",
        )
    }
    pub fn float64_kind(name: &str) -> Node {
        Node::new(
            Field::new(name, DataType::Float64, true),
            Kind::F64(Vec::new()),
            true,
            None,
            "FLOAT64",
        )
    }
    pub fn string_kind(name: &str, nullable: bool) -> Node {
        Node::new(
            Field::new(name, DataType::Utf8, nullable),
            Kind::Str(Bytes::new()),
            true,
            None,
            "STRING",
        )
    }
    /// Raw JSON text in a Utf8 column, flagged with [`super::RAW_JSON`].
    pub fn json_kind(name: &str) -> Node {
        let field = Field::new(name, DataType::Utf8, true).with_metadata(HashMap::from([(
            super::RAW_JSON.to_string(),
            "true".to_string(),
        )]));
        Node::new(field, Kind::Json(Bytes::new()), true, None, "JSON")
    }
    pub fn list_kind(name: &str, item: Node) -> Node {
        let field = Field::new(name, DataType::List(item.field.clone()), true);
        Node::new(
            field,
            Kind::List(vec![0], Box::new(item)),
            true,
            None,
            "ARRAY",
        )
    }
    pub fn map_kind(name: &str, value: Node) -> Node {
        let key = Node::string_kind("key", false);
        let entries = Field::new(
            "entries",
            DataType::Struct(Fields::from(vec![key.field.clone(), value.field.clone()])),
            false,
        );
        let field = Field::new(name, DataType::Map(Arc::new(entries), false), true);
        let kind = Kind::Map {
            offsets: vec![0],
            object: true,
            key: Box::new(key),
            value: Box::new(value),
        };
        Node::new(field, kind, true, None, "MAP")
    }
    pub fn struct_kind(name: &str, children: Vec<Node>) -> Node {
        let fields = Fields::from(children.iter().map(|c| c.field.clone()).collect::<Vec<_>>());
        Node::new(
            Field::new(name, DataType::Struct(fields), true),
            Kind::Struct(Box::new(struct_kind(children))),
            true,
            None,
            "STRUCT",
        )
    }

    pub fn len(&self) -> usize {
        self.nulls.len()
    }

    /// Parse one JSON value into this column.
    pub fn value(&mut self, sc: &mut Scanner<'_>, cx: &mut Cx) -> Res<()> {
        let Some(c) = sc.peek() else {
            return Err(sc.unexpected("a value"));
        };
        if c == b'n' {
            sc.literal(b"null")?;
            return self.null(cx);
        }
        let type_name = self.type_name;
        let Node { kind, nulls, .. } = self;
        match kind {
            Kind::Null => return Err(Fail::Mismatch),
            Kind::Bool(b) => match c {
                b't' => {
                    sc.literal(b"true")?;
                    b.append(true);
                }
                b'f' => {
                    sc.literal(b"false")?;
                    b.append(false);
                }
                _ => return Err(wrong(sc, cx, c, type_name)),
            },
            Kind::I8(v) => v.push(java_long(&number(sc, cx, c, type_name)?) as i8),
            Kind::I16(v) => v.push(java_long(&number(sc, cx, c, type_name)?) as i16),
            Kind::I32(v) => v.push(java_long(&number(sc, cx, c, type_name)?) as i32),
            Kind::I64(v) => {
                let num = number(sc, cx, c, type_name)?;
                if cx.schemaless {
                    // Inference typed this INT64 because every value seen was an integer that
                    // fits; anything else means the batch has values inference has not seen.
                    let exact = match num.small {
                        Some(x) => Some(x),
                        None if num.int => num_str(&num).parse::<i64>().ok(),
                        None => None,
                    };
                    v.push(exact.ok_or(Fail::Mismatch)?);
                } else {
                    v.push(java_long(&num));
                }
            }
            Kind::F32(v) => {
                if c == b'"' {
                    v.push(non_finite(sc, cx, type_name)? as f32);
                } else {
                    let num = number(sc, cx, c, type_name)?;
                    v.push(num_str(&num).parse::<f32>().unwrap_or(f32::NAN));
                }
            }
            Kind::F64(v) => {
                if c == b'"' && !cx.schemaless {
                    v.push(non_finite(sc, cx, type_name)?);
                } else {
                    let num = number(sc, cx, c, type_name)?;
                    v.push(match num.small {
                        Some(x) if x.unsigned_abs() < (1 << 53) => x as f64,
                        _ => num_str(&num).parse::<f64>().unwrap_or(f64::NAN),
                    });
                }
            }
            Kind::Date(v) => v.push(java_int(&number(sc, cx, c, type_name)?, "Date")?),
            Kind::Time(v) => {
                let t = java_int(&number(sc, cx, c, type_name)?, "Time")?;
                if !(0..=86_400_000).contains(&t) {
                    return Err(Fail::Data(
                        "Time values must use number of milliseconds greater than 0 and less than 86400000".into(),
                    ));
                }
                v.push(t);
            }
            Kind::Timestamp(v) => {
                let num = number(sc, cx, c, type_name)?;
                if !num.int {
                    return Err(Fail::Data(
                        "Invalid type for Timestamp, underlying representation should be integral but was NUMBER".into(),
                    ));
                }
                v.push(java_long(&num));
            }
            Kind::Decimal(v, scale) => {
                let unscaled = match c {
                    b'"' => {
                        let text = sc.string(&mut cx.scratch)?;
                        let bytes = B64.decode(text).map_err(|e| {
                            Fail::Data(format!("Invalid bytes for Decimal field: {e}"))
                        })?;
                        decimal_from_bytes(&bytes)?
                    }
                    b'-' | b'0'..=b'9' => decimal_from_text(sc.number()?.text, *scale)?,
                    _ => return Err(wrong(sc, cx, c, "Decimal")),
                };
                if unscaled.unsigned_abs() >= 10u128.pow(38) {
                    return Err(Fail::Data(format!(
                        "Decimal value with unscaled value {unscaled} has more than 38 digits, the most Arrow Decimal128 holds"
                    )));
                }
                v.push(unscaled);
            }
            Kind::Str(b) => {
                if c != b'"' {
                    return Err(wrong(sc, cx, c, type_name));
                }
                sc.string_into(&mut b.data)?;
                b.commit()?;
            }
            Kind::Bin(b) => {
                if c != b'"' {
                    return Err(wrong(sc, cx, c, type_name));
                }
                let text = sc.string(&mut cx.scratch)?;
                B64.decode_vec(text, &mut b.data)
                    .map_err(|e| Fail::Data(format!("Invalid bytes field: {e}")))?;
                b.commit()?;
            }
            Kind::Json(b) => {
                let start = sc.pos;
                sc.skip_value()?;
                b.data.extend_from_slice(&sc.buf[start..sc.pos]);
                b.commit()?;
            }
            Kind::List(offsets, item) => {
                if c != b'[' {
                    return Err(wrong(sc, cx, c, type_name));
                }
                sc.pos += 1;
                sc.enter()?;
                if sc.peek() == Some(b']') {
                    sc.pos += 1;
                } else {
                    loop {
                        item.value(sc, cx)?;
                        if !sc.next_or_close(b']')? {
                            break;
                        }
                    }
                }
                sc.leave();
                offsets.push(offset(item.len())?);
            }
            Kind::Map {
                offsets,
                object: true,
                key,
                value,
            } => {
                if c != b'{' {
                    if cx.schemaless {
                        return Err(Fail::Mismatch);
                    }
                    return Err(Fail::Data(format!(
                        "Maps with string fields should be encoded as JSON objects, but found {}",
                        node_type(c)
                    )));
                }
                sc.pos += 1;
                sc.enter()?;
                if sc.peek() == Some(b'}') {
                    sc.pos += 1;
                } else {
                    loop {
                        if sc.peek() != Some(b'"') {
                            return Err(sc.unexpected("a field name (double-quote)"));
                        }
                        key.value(sc, cx)?;
                        sc.expect(b':', "':' after a field name")?;
                        value.value(sc, cx)?;
                        if !sc.next_or_close(b'}')? {
                            break;
                        }
                    }
                }
                sc.leave();
                offsets.push(offset(key.len())?);
            }
            Kind::Map {
                offsets,
                object: false,
                key,
                value,
            } => {
                if c != b'[' {
                    return Err(Fail::Data(format!(
                        "Maps with non-string fields should be encoded as JSON array of tuples, but found {}",
                        node_type(c)
                    )));
                }
                sc.pos += 1;
                sc.enter()?;
                if cx.map_entries_as_objects {
                    map_entry_objects(sc, cx, key, value)?;
                } else if sc.peek() == Some(b']') {
                    sc.pos += 1;
                } else {
                    loop {
                        let e = sc.peek().unwrap_or(b' ');
                        if e != b'[' {
                            return Err(Fail::Data(format!(
                                "Found invalid map entry instead of array tuple: {}",
                                node_type(e)
                            )));
                        }
                        sc.pos += 1;
                        sc.enter()?;
                        let pair_err =
                            || Fail::Data("Found invalid map entry, expected length 2".into());
                        if sc.peek() == Some(b']') {
                            return Err(pair_err());
                        }
                        key.value(sc, cx)?;
                        if !sc.next_or_close(b']')? {
                            return Err(pair_err());
                        }
                        value.value(sc, cx)?;
                        if sc.next_or_close(b']')? {
                            return Err(pair_err());
                        }
                        sc.leave();
                        if !sc.next_or_close(b']')? {
                            break;
                        }
                    }
                }
                sc.leave();
                offsets.push(offset(key.len())?);
            }
            Kind::Struct(st) => {
                if c != b'{' {
                    return Err(if cx.schemaless {
                        Fail::Mismatch
                    } else {
                        Fail::Data(format!(
                            "Structs should be encoded as JSON objects, but found {}",
                            node_type(c)
                        ))
                    });
                }
                let row = nulls.len();
                sc.pos += 1;
                sc.enter()?;
                if sc.peek() == Some(b'}') {
                    sc.pos += 1;
                } else {
                    let mut guess = 0;
                    loop {
                        if sc.peek() != Some(b'"') {
                            return Err(sc.unexpected("a field name (double-quote)"));
                        }
                        let idx = {
                            let key = sc.string(&mut cx.scratch)?;
                            st.find(key, guess)
                                .ok_or_else(|| String::from_utf8_lossy(key).into_owned())
                        };
                        sc.expect(b':', "':' after a field name")?;
                        match idx {
                            Ok(i) => {
                                let child = &mut st.children[i];
                                if child.len() != row {
                                    return Err(Fail::Data(format!(
                                        "Duplicate field '{}' in a JSON object",
                                        child.field.name()
                                    )));
                                }
                                child.value(sc, cx)?;
                                guess = i + 1;
                            }
                            Err(_) if cx.schemaless => return Err(Fail::Mismatch),
                            Err(_) => sc.skip_value()?,
                        }
                        if !sc.next_or_close(b'}')? {
                            break;
                        }
                    }
                }
                sc.leave();
                // Members the object did not have are null (or their default).
                for child in st.children.iter_mut() {
                    if child.len() == row {
                        child.null(cx)?;
                    }
                }
            }
        }
        nulls.append_non_null();
        Ok(())
    }

    /// A JSON null or missing member: the default, a null, or an error for a required field.
    pub fn null(&mut self, cx: &mut Cx) -> Res<()> {
        if cx.replace_null_with_default {
            if let Some(default) = self.default.take() {
                let result = self.value(&mut Scanner::new(&default), cx);
                self.default = Some(default);
                return result;
            }
        }
        if self.optional {
            self.append_null();
            Ok(())
        } else {
            Err(Fail::Data(format!(
                "Invalid null value for required {} field",
                self.type_name
            )))
        }
    }

    /// Append a null row whatever the schema says (tombstones, failed rows, and placeholders
    /// under a null struct).
    pub fn append_null(&mut self) {
        match &mut self.kind {
            Kind::Null => {}
            Kind::Bool(b) => b.append(false),
            Kind::I8(v) => v.push(0),
            Kind::I16(v) => v.push(0),
            Kind::I32(v) | Kind::Date(v) | Kind::Time(v) => v.push(0),
            Kind::I64(v) | Kind::Timestamp(v) => v.push(0),
            Kind::F32(v) => v.push(0.0),
            Kind::F64(v) => v.push(0.0),
            Kind::Decimal(v, _) => v.push(0),
            Kind::Str(b) | Kind::Bin(b) | Kind::Json(b) => {
                let last = *b.offsets.last().unwrap_or(&0);
                b.offsets.push(last);
            }
            Kind::List(offsets, _) | Kind::Map { offsets, .. } => {
                let last = *offsets.last().unwrap_or(&0);
                offsets.push(last);
            }
            Kind::Struct(st) => st.children.iter_mut().for_each(Node::append_null),
        }
        self.nulls.append_null();
    }

    // ---- typed appends, for binary decoders (Avro) that already know each value's type ----

    /// Append an integer to an integer-like column (INT8..INT64, Date, Time, Timestamp),
    /// narrowing as Java's `byteValue()`/`shortValue()` do.
    #[inline]
    pub fn push_int(&mut self, v: i64) -> Result<(), String> {
        match &mut self.kind {
            Kind::I8(b) => b.push(v as i8),
            Kind::I16(b) => b.push(v as i16),
            Kind::I32(b) | Kind::Date(b) | Kind::Time(b) => b.push(v as i32),
            Kind::I64(b) | Kind::Timestamp(b) => b.push(v),
            _ => return Err(self.not_a("an integer")),
        }
        self.nulls.append_non_null();
        Ok(())
    }

    #[inline]
    pub fn push_f32(&mut self, v: f32) -> Result<(), String> {
        match &mut self.kind {
            Kind::F32(b) => b.push(v),
            _ => return Err(self.not_a("a float")),
        }
        self.nulls.append_non_null();
        Ok(())
    }

    #[inline]
    pub fn push_f64(&mut self, v: f64) -> Result<(), String> {
        match &mut self.kind {
            Kind::F64(b) => b.push(v),
            _ => return Err(self.not_a("a double")),
        }
        self.nulls.append_non_null();
        Ok(())
    }

    #[inline]
    pub fn push_bool(&mut self, v: bool) -> Result<(), String> {
        match &mut self.kind {
            Kind::Bool(b) => b.append(v),
            _ => return Err(self.not_a("a boolean")),
        }
        self.nulls.append_non_null();
        Ok(())
    }

    /// Append bytes to a STRING (the caller has checked UTF-8), BYTES or Decimal column (a
    /// Decimal takes `BigInteger` bytes: big-endian two's complement of the unscaled value).
    #[inline]
    pub fn push_bytes(&mut self, v: &[u8]) -> Result<(), String> {
        let fail = |f: Fail| match f {
            Fail::Syntax(m) | Fail::Data(m) => m,
            Fail::Mismatch => "mismatch".into(),
        };
        match &mut self.kind {
            Kind::Str(b) | Kind::Bin(b) => {
                b.data.extend_from_slice(v);
                b.commit().map_err(fail)?;
            }
            Kind::Decimal(b, _) => {
                let unscaled = decimal_from_bytes(v).map_err(fail)?;
                if unscaled.unsigned_abs() >= 10u128.pow(38) {
                    return Err(format!(
                        "Decimal value with unscaled value {unscaled} has more than 38 digits, the most Arrow Decimal128 holds"
                    ));
                }
                b.push(unscaled);
            }
            _ => return Err(self.not_a("bytes")),
        }
        self.nulls.append_non_null();
        Ok(())
    }

    /// The item builder of a list column.
    pub fn list_item(&mut self) -> Option<&mut Node> {
        match &mut self.kind {
            Kind::List(_, item) => Some(item),
            _ => None,
        }
    }

    /// The key and value builders of a map column.
    pub fn map_entries(&mut self) -> Option<(&mut Node, &mut Node)> {
        match &mut self.kind {
            Kind::Map { key, value, .. } => Some((key, value)),
            _ => None,
        }
    }

    /// The member builders of a struct column.
    pub fn struct_members(&mut self) -> Option<&mut [Node]> {
        match &mut self.kind {
            Kind::Struct(st) => Some(&mut st.children),
            _ => None,
        }
    }

    /// Close a non-null list, map or struct row whose children were appended through
    /// [`Node::list_item`], [`Node::map_entries`] or [`Node::struct_members`].
    pub fn close_nested(&mut self) -> Result<(), String> {
        let fail = |f: Fail| match f {
            Fail::Syntax(m) | Fail::Data(m) => m,
            Fail::Mismatch => "mismatch".into(),
        };
        match &mut self.kind {
            Kind::List(offsets, item) => offsets.push(offset(item.len()).map_err(fail)?),
            Kind::Map { offsets, key, .. } => offsets.push(offset(key.len()).map_err(fail)?),
            Kind::Struct(_) => {}
            _ => return Err(self.not_a("a container")),
        }
        self.nulls.append_non_null();
        Ok(())
    }

    fn not_a(&self, what: &str) -> String {
        format!(
            "{what} cannot go into a {} column ({})",
            self.type_name,
            self.field.data_type()
        )
    }

    /// Drop every row from `len` on (including partial appends of a failed row).
    pub fn truncate(&mut self, len: usize) {
        match &mut self.kind {
            Kind::Null => {}
            Kind::Bool(b) => b.truncate(len.min(b.len())),
            Kind::I8(v) => v.truncate(len),
            Kind::I16(v) => v.truncate(len),
            Kind::I32(v) | Kind::Date(v) | Kind::Time(v) => v.truncate(len),
            Kind::I64(v) | Kind::Timestamp(v) => v.truncate(len),
            Kind::F32(v) => v.truncate(len),
            Kind::F64(v) => v.truncate(len),
            Kind::Decimal(v, _) => v.truncate(len),
            Kind::Str(b) | Kind::Bin(b) | Kind::Json(b) => b.truncate(len),
            Kind::List(offsets, item) => {
                offsets.truncate(len + 1);
                item.truncate(offsets[len] as usize);
            }
            Kind::Map {
                offsets,
                key,
                value,
                ..
            } => {
                offsets.truncate(len + 1);
                key.truncate(offsets[len] as usize);
                value.truncate(offsets[len] as usize);
            }
            Kind::Struct(st) => st.children.iter_mut().for_each(|c| c.truncate(len)),
        }
        if self.nulls.len() > len {
            self.nulls.truncate(len);
        }
    }

    /// Finish into an Arrow array and reset. Fails only when string data is not UTF-8 (the
    /// caller then decodes again, checking each row).
    pub fn finish(&mut self) -> Result<ArrayRef, ArrowError> {
        let len = self.nulls.len();
        let nulls = self.nulls.finish();
        let dt = self.field.data_type().clone();
        fn buf<T: arrow::datatypes::ArrowNativeType>(v: &mut Vec<T>) -> ScalarBuffer<T> {
            ScalarBuffer::from(std::mem::take(v))
        }
        Ok(match &mut self.kind {
            Kind::Null => Arc::new(NullArray::new(len)),
            Kind::Bool(b) => Arc::new(BooleanArray::new(b.finish(), nulls)),
            Kind::I8(v) => Arc::new(Int8Array::new(buf(v), nulls)),
            Kind::I16(v) => Arc::new(Int16Array::new(buf(v), nulls)),
            Kind::I32(v) => Arc::new(Int32Array::new(buf(v), nulls)),
            Kind::I64(v) => Arc::new(Int64Array::new(buf(v), nulls)),
            Kind::F32(v) => Arc::new(Float32Array::new(buf(v), nulls)),
            Kind::F64(v) => Arc::new(Float64Array::new(buf(v), nulls)),
            Kind::Date(v) => Arc::new(Date32Array::new(buf(v), nulls)),
            Kind::Time(v) => Arc::new(Time32MillisecondArray::new(buf(v), nulls)),
            Kind::Timestamp(v) => Arc::new(TimestampMillisecondArray::new(buf(v), nulls)),
            Kind::Decimal(v, _) => Arc::new(Decimal128Array::new(buf(v), nulls).with_data_type(dt)),
            Kind::Str(b) | Kind::Json(b) => {
                let (offsets, data) = b.take();
                Arc::new(StringArray::try_new(offsets, data, nulls)?)
            }
            Kind::Bin(b) => {
                let (offsets, data) = b.take();
                Arc::new(BinaryArray::try_new(offsets, data, nulls)?)
            }
            Kind::List(offsets, item) => {
                let offsets =
                    OffsetBuffer::new(ScalarBuffer::from(std::mem::replace(offsets, vec![0])));
                Arc::new(ListArray::try_new(
                    item.field.clone(),
                    offsets,
                    item.finish()?,
                    nulls,
                )?)
            }
            Kind::Map {
                offsets,
                key,
                value,
                ..
            } => {
                let offsets =
                    OffsetBuffer::new(ScalarBuffer::from(std::mem::replace(offsets, vec![0])));
                let DataType::Map(entries_field, _) = &dt else {
                    unreachable!("map node with {dt}")
                };
                let entries = StructArray::try_new(
                    Fields::from(vec![key.field.clone(), value.field.clone()]),
                    vec![key.finish()?, value.finish()?],
                    None,
                )?;
                Arc::new(MapArray::try_new(
                    entries_field.clone(),
                    offsets,
                    entries,
                    nulls,
                    false,
                )?)
            }
            Kind::Struct(st) => {
                let fields = Fields::from(
                    st.children
                        .iter()
                        .map(|c| c.field.clone())
                        .collect::<Vec<_>>(),
                );
                let columns = st
                    .children
                    .iter_mut()
                    .map(Node::finish)
                    .collect::<Result<Vec<_>, _>>()?;
                if columns.is_empty() {
                    Arc::new(StructArray::new_empty_fields(len, nulls))
                } else {
                    Arc::new(StructArray::try_new(fields, columns, nulls)?)
                }
            }
        })
    }
}

/// The entries of a map with non-string keys as Confluent's JsonSchemaData writes them: an
/// array (its `[` already consumed) of `{"key":k,"value":v}` objects, with its messages.
fn map_entry_objects(
    sc: &mut Scanner<'_>,
    cx: &mut Cx,
    key: &mut Node,
    value: &mut Node,
) -> Res<()> {
    if sc.peek() == Some(b']') {
        sc.pos += 1;
        return Ok(());
    }
    loop {
        let e = sc.peek().unwrap_or(b' ');
        if e != b'{' {
            return Err(Fail::Data(format!(
                "Found invalid map entry instead of object: {}",
                node_type(e)
            )));
        }
        sc.pos += 1;
        sc.enter()?;
        let row = key.len();
        let mut members = 0;
        if sc.peek() == Some(b'}') {
            sc.pos += 1;
        } else {
            loop {
                if sc.peek() != Some(b'"') {
                    return Err(sc.unexpected("a field name (double-quote)"));
                }
                let which = match sc.string(&mut cx.scratch)? {
                    b"key" if key.len() == row => Some(true),
                    b"value" if value.len() == row => Some(false),
                    _ => None,
                };
                sc.expect(b':', "':' after a field name")?;
                members += 1;
                match which {
                    Some(true) => key.value(sc, cx)?,
                    Some(false) => value.value(sc, cx)?,
                    None => sc.skip_value()?,
                }
                if !sc.next_or_close(b'}')? {
                    break;
                }
            }
        }
        sc.leave();
        if members != 2 || key.len() == row || value.len() == row {
            return Err(Fail::Data(format!(
                "Found invalid map entry, expected length 2 but found :{members}"
            )));
        }
        if !sc.next_or_close(b']')? {
            return Ok(());
        }
    }
}

fn struct_kind(children: Vec<Node>) -> StructKind {
    let names: Vec<Box<[u8]>> = children
        .iter()
        .map(|c| Box::from(c.field.name().as_bytes()))
        .collect();
    let lookup = (names.len() > LINEAR_LOOKUP_MAX).then(|| {
        names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect()
    });
    StructKind {
        children,
        names,
        lookup,
    }
}

/// Jackson's `JsonNodeType` name of the value starting with `c`, for messages.
fn node_type(c: u8) -> &'static str {
    match c {
        b'{' => "OBJECT",
        b'[' => "ARRAY",
        b'"' => "STRING",
        b't' | b'f' => "BOOLEAN",
        b'n' => "NULL",
        b'-' | b'0'..=b'9' => "NUMBER",
        _ => "MISSING",
    }
}

/// A value of the wrong JSON kind: a mismatch when schemaless, otherwise a data error (after
/// checking that it is at least valid JSON, so syntax errors win).
fn wrong(sc: &mut Scanner<'_>, cx: &Cx, c: u8, type_name: &str) -> Fail {
    if cx.schemaless {
        return Fail::Mismatch;
    }
    if let Err(e) = sc.skip_value() {
        return e;
    }
    Fail::Data(format!(
        "Invalid JSON {} for a {type_name} schema",
        node_type(c)
    ))
}

#[inline]
fn number<'a>(sc: &mut Scanner<'a>, cx: &Cx, c: u8, type_name: &str) -> Res<Num<'a>> {
    if c == b'-' || c.is_ascii_digit() {
        sc.number()
    } else {
        Err(wrong(sc, cx, c, type_name))
    }
}

/// `"NaN"`, `"Infinity"`, `"-Infinity"`: how Jackson writes non-finite floats and doubles.
fn non_finite(sc: &mut Scanner<'_>, cx: &mut Cx, type_name: &str) -> Res<f64> {
    match sc.string(&mut cx.scratch)? {
        b"NaN" => Ok(f64::NAN),
        b"Infinity" => Ok(f64::INFINITY),
        b"-Infinity" => Ok(f64::NEG_INFINITY),
        other => Err(Fail::Data(format!(
            "Invalid JSON STRING \"{}\" for a {type_name} schema",
            String::from_utf8_lossy(other)
        ))),
    }
}

/// `JsonNode.isInt()` then `intValue()`: Date and Time need an integer that fits an `int`.
fn java_int(num: &Num<'_>, what: &str) -> Res<i32> {
    num.small
        .filter(|_| num.int)
        .and_then(|v| i32::try_from(v).ok())
        .ok_or_else(|| Fail::Data(format!("Invalid type for {what}, underlying representation should be integer but was NUMBER")))
}

/// `new BigInteger(bytes)` (big-endian two's complement) as an `i128`.
fn decimal_from_bytes(bytes: &[u8]) -> Res<i128> {
    let Some(&first) = bytes.first() else {
        return Err(Fail::Data(
            "Invalid bytes for Decimal field: Zero length BigInteger".into(),
        ));
    };
    let fill = if first & 0x80 != 0 { 0xFF } else { 0x00 };
    let skip = bytes.len().saturating_sub(16);
    if bytes[..skip].iter().any(|&b| b != fill)
        || (skip > 0 && (bytes[skip] & 0x80 != 0) != (fill == 0xFF))
    {
        return Err(Fail::Data(
            "Decimal value does not fit in 128 bits (Arrow Decimal128)".into(),
        ));
    }
    let mut be = [fill; 16];
    let tail = &bytes[skip..];
    be[16 - tail.len()..].copy_from_slice(tail);
    Ok(i128::from_be_bytes(be))
}

/// A JSON number as an unscaled decimal at `scale`, exactly (JsonConverter's NUMERIC format).
pub(crate) fn decimal_from_text(text: &[u8], scale: i32) -> Res<i128> {
    let s = std::str::from_utf8(text).unwrap_or("");
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (mantissa, exp) = match body.find(['e', 'E']) {
        Some(p) => (&body[..p], body[p + 1..].parse::<i64>().unwrap_or(i64::MAX)),
        None => (body, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let too_big = || {
        Fail::Data(format!(
            "Decimal value {s} does not fit Arrow Decimal128(38, {scale})"
        ))
    };
    let digits = int_part
        .bytes()
        .chain(frac_part.bytes())
        .skip_while(|&d| d == b'0');
    let mut v: i128 = 0;
    let mut n = 0usize;
    let mut buf = Vec::new();
    for d in digits {
        buf.push(d);
    }
    // value = digits * 10^(exp - frac_len); unscaled = value * 10^scale.
    let mut shift = exp
        .saturating_sub(frac_part.len() as i64)
        .saturating_add(scale as i64);
    // Drop trailing zeros that a negative shift would remove; anything else would be rounding.
    while shift < 0 {
        match buf.last() {
            Some(b'0') => {
                buf.pop();
                shift += 1;
            }
            Some(_) => {
                return Err(Fail::Data(format!(
                    "Decimal value {s} has more fractional digits than scale {scale}"
                )))
            }
            None => {
                shift = 0;
            }
        }
    }
    for &d in &buf {
        n += 1;
        if n > 38 {
            return Err(too_big());
        }
        v = v * 10 + (d - b'0') as i128;
    }
    if !buf.is_empty() {
        for _ in 0..shift {
            n += 1;
            if n > 38 {
                return Err(too_big());
            }
            v *= 10;
        }
    }
    Ok(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str, scale: i32) -> Result<i128, String> {
        decimal_from_text(text.as_bytes(), scale).map_err(|e| match e {
            Fail::Data(m) | Fail::Syntax(m) => m,
            Fail::Mismatch => "mismatch".into(),
        })
    }

    #[test]
    fn decimals_from_numeric_text_are_exact() {
        assert_eq!(dec("123.45", 2), Ok(12345));
        assert_eq!(dec("-0.01", 2), Ok(-1));
        assert_eq!(dec("1.5", 2), Ok(150));
        assert_eq!(dec("1.500", 2), Ok(150));
        assert_eq!(dec("1E-10", 10), Ok(1));
        assert_eq!(dec("-1.000E-7", 10), Ok(-1000));
        assert_eq!(dec("5E+2", -2), Ok(5));
        assert_eq!(dec("0", 3), Ok(0));
        assert_eq!(dec("0.000", 0), Ok(0));
        assert!(dec("1.234", 2).is_err());
        assert!(dec("1e40", 0).is_err());
        assert_eq!(
            dec("99999999999999999999999999999999999999", 0),
            Ok(10i128.pow(38) - 1)
        );
    }

    #[test]
    fn decimals_from_twos_complement_bytes() {
        assert_eq!(decimal_from_bytes(&[0x30, 0x39]).ok(), Some(12345));
        assert_eq!(decimal_from_bytes(&[0xFF, 0x7F]).ok(), Some(-129));
        assert_eq!(decimal_from_bytes(&[0x80]).ok(), Some(-128));
        let mut wide = vec![0xFF; 4];
        wide.extend([0x80; 16]);
        assert!(decimal_from_bytes(&wide).is_ok());
        assert!(decimal_from_bytes(&[0x01; 17]).is_err());
        assert!(decimal_from_bytes(&[]).is_err());
    }
}
