//! Avro binary bodies -> Arrow, in one pass straight into column builders (the JSON
//! converter's [`Node`] builders), with `AvroData.toConnectData`'s value rules: enums become
//! their symbol, fixed and bytes become BYTES (or a Decimal), `connect.type` int8/int16 narrow
//! as Java's `byteValue()`/`shortValue()`, unions of null and one type become the optional
//! type, other unions a `io.confluent.connect.avro.Union` struct with only the chosen branch
//! set, arrays of `MapEntry` records become maps.
//!
//! Strings decode as Java's `new String(bytes, UTF_8)` does: malformed UTF-8 is replaced, not
//! refused. For speed the first pass copies string bytes unchecked and lets Arrow validate each
//! string column once; only a batch that fails that is decoded a second time, string by string. Trailing bytes after the value are ignored (`avro.fail.on.trailing.data=false`,
//! Confluent's default). A malformed body (truncated, negative length, union or enum index out
//! of range, varint too long) is a row error; the decoder never panics, whatever the bytes.

use arrow::array::ArrayRef;
use strait_engine::plugin::RowError;
use strait_engine::{Error, Result};

use super::schema::{Body, Kind, Parsed};
use crate::json::connect::{ConnectSchema, Type};
use crate::json::decode::Node;

/// How to read one Avro value into its builder.
#[derive(Debug)]
enum Plan {
    Bool,
    Int,
    Long,
    Float,
    Double,
    /// BYTES or a bytes Decimal.
    Bytes,
    Str,
    Enum(Vec<String>),
    /// Fixed-size bytes (BYTES or a fixed Decimal).
    Fixed(usize),
    Array(Box<Plan>),
    /// Avro map: string keys.
    Map(Box<Plan>),
    /// Array of key/value records; `key_first`: the record's field order.
    Entries {
        key: Box<Plan>,
        value: Box<Plan>,
        key_first: bool,
    },
    Record(Vec<Plan>),
    /// A union of null and one type (or a single-branch union): `null` is the null branch's
    /// index, if any.
    Optional {
        null: Option<u64>,
        inner: Box<Plan>,
    },
    /// A general union: per branch, the struct member it fills (`None`: the null branch).
    Union(Vec<Option<(usize, Plan)>>),
}

impl Plan {
    /// Whether a value of this plan always takes at least one byte (guards against blocks
    /// claiming billions of empty items).
    fn min_bytes(&self) -> usize {
        match self {
            Plan::Bool | Plan::Int | Plan::Long | Plan::Bytes | Plan::Str | Plan::Enum(_) => 1,
            Plan::Float => 4,
            Plan::Double => 8,
            Plan::Fixed(n) => *n,
            Plan::Array(_) | Plan::Map(_) | Plan::Entries { .. } => 1,
            Plan::Record(fields) => fields.iter().map(Plan::min_bytes).sum(),
            Plan::Optional { null: None, inner } => inner.min_bytes(),
            Plan::Optional { .. } | Plan::Union(_) => 1,
        }
    }
}

fn build(parsed: &Parsed, node: &super::schema::AvroNode, s: &ConnectSchema) -> Result<Plan> {
    let mismatch = || Error::bug(format!("Avro plan: {:?} does not match {s:?}", node.kind));
    Ok(match (&node.kind, &s.ty) {
        (Kind::Boolean, _) => Plan::Bool,
        (Kind::Int, _) => Plan::Int,
        (Kind::Long, _) => Plan::Long,
        (Kind::Float, _) => Plan::Float,
        (Kind::Double, _) => Plan::Double,
        (Kind::Bytes, _) => Plan::Bytes,
        (Kind::String, _) => Plan::Str,
        (Kind::Array(items), Type::Array(item)) => {
            Plan::Array(Box::new(build(parsed, items, item)?))
        }
        (Kind::Array(items), Type::Map(ks, vs)) => {
            let Kind::Named(i) = items.kind else {
                return Err(mismatch());
            };
            let Body::Record(fields) = &parsed.named[i].body else {
                return Err(mismatch());
            };
            let kf = fields
                .iter()
                .find(|f| f.name == "key")
                .ok_or_else(mismatch)?;
            let vf = fields
                .iter()
                .find(|f| f.name == "value")
                .ok_or_else(mismatch)?;
            Plan::Entries {
                key: Box::new(build(parsed, &kf.schema, ks)?),
                value: Box::new(build(parsed, &vf.schema, vs)?),
                key_first: fields[0].name == "key",
            }
        }
        (Kind::Map(values), Type::Map(_, vs)) => Plan::Map(Box::new(build(parsed, values, vs)?)),
        (Kind::Named(i), _) => match (&parsed.named[*i].body, &s.ty) {
            (Body::Fixed(n), _) => Plan::Fixed(*n),
            (Body::Enum { symbols, .. }, _) => Plan::Enum(symbols.clone()),
            (Body::Record(fields), Type::Struct(members)) if fields.len() == members.len() => {
                Plan::Record(
                    fields
                        .iter()
                        .zip(members)
                        .map(|(f, (_, ms))| build(parsed, &f.schema, ms))
                        .collect::<Result<_>>()?,
                )
            }
            _ => return Err(mismatch()),
        },
        (Kind::Union(branches), _) => {
            let is_general = s.name.as_deref() == Some(super::schema::UNION)
                && matches!(s.ty, Type::Struct(_))
                && !(branches.len() == 2 && branches.iter().any(|b| matches!(b.kind, Kind::Null)));
            if branches.len() == 1 && !is_general {
                return Ok(Plan::Optional {
                    null: None,
                    inner: Box::new(build(parsed, &branches[0], s)?),
                });
            }
            if !is_general {
                let null = branches
                    .iter()
                    .position(|b| matches!(b.kind, Kind::Null))
                    .ok_or_else(mismatch)?;
                let other = &branches[1 - null];
                return Ok(Plan::Optional {
                    null: Some(null as u64),
                    inner: Box::new(build(parsed, other, s)?),
                });
            }
            let Type::Struct(members) = &s.ty else {
                return Err(mismatch());
            };
            let mut out = Vec::with_capacity(branches.len());
            let mut m = 0;
            for b in branches {
                if matches!(b.kind, Kind::Null) {
                    out.push(None);
                } else {
                    let (_, ms) = members.get(m).ok_or_else(mismatch)?;
                    out.push(Some((m, build(parsed, b, ms)?)));
                    m += 1;
                }
            }
            Plan::Union(out)
        }
        _ => return Err(mismatch()),
    })
}

/// A cursor over one Avro binary body.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Check each string's UTF-8 (replacing malformed sequences). Off on the first pass over a
    /// batch: Arrow validates the whole string buffer once when the column is finished, which
    /// is much cheaper than a check per (short) value; only a batch that fails that check is
    /// decoded again with this on.
    checked: bool,
}

const EOF: &str = "Malformed data: unexpected end of the Avro binary data (java.io.EOFException)";

impl<'a> Reader<'a> {
    #[inline]
    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Avro's zig-zag varint long (at most 10 bytes, as `BinaryDecoder.readLong`). Always
    /// inlined: called for every number, length and union index, and a call returning its
    /// `Result` through memory cost more than the decoding.
    #[inline(always)]
    fn long(&mut self) -> Result<i64, String> {
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        let mut v: u64 = 0;
        for (i, &b) in rest.iter().take(10).enumerate() {
            v |= ((b & 0x7f) as u64) << (7 * i);
            if b & 0x80 == 0 {
                self.pos += i + 1;
                return Ok(((v >> 1) as i64) ^ -((v & 1) as i64));
            }
        }
        Err(if rest.len() >= 10 {
            "Invalid long encoding".into()
        } else {
            EOF.into()
        })
    }

    /// Avro's int: at most 5 bytes (`BinaryDecoder.readInt`).
    #[inline(always)]
    fn int(&mut self) -> Result<i32, String> {
        let start = self.pos;
        let v = self.long()?;
        if self.pos - start > 5 || i32::try_from(v).is_err() {
            return Err("Invalid int encoding".into());
        }
        Ok(v as i32)
    }

    #[inline(always)]
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if n > self.remaining() {
            return Err(EOF.into());
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// A length-prefixed bytes or string.
    #[inline(always)]
    fn bytes(&mut self) -> Result<&'a [u8], String> {
        let len = self.long()?;
        if len < 0 {
            return Err(format!("Malformed data. Length is negative: {len}"));
        }
        self.take(usize::try_from(len).map_err(|_| EOF.to_string())?)
    }

    /// The item count of the next array or map block (0: the end), skipping a negative
    /// count's byte size. `min`: the fewest bytes one item takes.
    #[inline]
    fn block(&mut self, min: usize, seen: &mut usize) -> Result<usize, String> {
        let mut count = self.long()?;
        if count < 0 {
            count = count
                .checked_neg()
                .ok_or("Malformed data: invalid block count")?;
            self.long()?;
        }
        let count = count as u64;
        // Items take at least `min` bytes each; empty items are capped so that a hostile
        // count cannot make the decoder loop for ever.
        let limit = match self.remaining().checked_div(min) {
            Some(n) => n as u64,
            None => (MAX_EMPTY_ITEMS - *seen) as u64,
        };
        if count > limit {
            return Err(format!(
                "Malformed data: block of {count} items does not fit in the remaining {} bytes",
                self.remaining()
            ));
        }
        *seen += count as usize;
        Ok(count as usize)
    }
}

/// Zero-byte items (empty records) allowed per value.
const MAX_EMPTY_ITEMS: usize = 1 << 16;

/// Append an Avro string; `checked`: see [`Reader::checked`].
#[inline]
fn push_str(node: &mut Node, bytes: &[u8], checked: bool) -> Result<(), String> {
    if !checked {
        return node.push_bytes(bytes);
    }
    match std::str::from_utf8(bytes) {
        Ok(_) => node.push_bytes(bytes),
        Err(_) => node.push_bytes(String::from_utf8_lossy(bytes).as_bytes()),
    }
}

fn index_error(index: i64, len: usize) -> String {
    format!("Index {index} out of bounds for length {len}")
}

fn read(plan: &Plan, r: &mut Reader<'_>, node: &mut Node) -> Result<(), String> {
    let structure = || "Avro decoder: column builder does not match the schema".to_string();
    match plan {
        Plan::Bool => {
            let b = r.take(1)?[0];
            node.push_bool(b == 1)
        }
        Plan::Int => {
            let v = r.int()?;
            node.push_int(v as i64)
        }
        Plan::Long => {
            let v = r.long()?;
            node.push_int(v)
        }
        Plan::Float => {
            let b = r.take(4)?;
            node.push_f32(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        }
        Plan::Double => {
            let b = r.take(8)?;
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            node.push_f64(f64::from_le_bytes(a))
        }
        Plan::Bytes => {
            let b = r.bytes()?;
            node.push_bytes(b)
        }
        Plan::Fixed(n) => {
            let b = r.take(*n)?;
            node.push_bytes(b)
        }
        Plan::Str => {
            let b = r.bytes()?;
            push_str(node, b, r.checked)
        }
        Plan::Enum(symbols) => {
            let i = r.int()?;
            let sym = usize::try_from(i)
                .ok()
                .and_then(|i| symbols.get(i))
                .ok_or_else(|| index_error(i as i64, symbols.len()))?;
            node.push_bytes(sym.as_bytes())
        }
        Plan::Array(item_plan) => {
            let item = node.list_item().ok_or_else(structure)?;
            let min = item_plan.min_bytes();
            let mut seen = 0;
            loop {
                let n = r.block(min, &mut seen)?;
                if n == 0 {
                    break;
                }
                for _ in 0..n {
                    read(item_plan, r, item)?;
                }
            }
            node.close_nested()
        }
        Plan::Map(value_plan) => {
            let (k, v) = node.map_entries().ok_or_else(structure)?;
            let min = 1 + value_plan.min_bytes();
            let mut seen = 0;
            loop {
                let n = r.block(min, &mut seen)?;
                if n == 0 {
                    break;
                }
                for _ in 0..n {
                    let key = r.bytes()?;
                    push_str(k, key, r.checked)?;
                    read(value_plan, r, v)?;
                }
            }
            node.close_nested()
        }
        Plan::Entries {
            key,
            value,
            key_first,
        } => {
            let (k, v) = node.map_entries().ok_or_else(structure)?;
            let min = key.min_bytes() + value.min_bytes();
            let mut seen = 0;
            loop {
                let n = r.block(min, &mut seen)?;
                if n == 0 {
                    break;
                }
                for _ in 0..n {
                    if *key_first {
                        read(key, r, k)?;
                        read(value, r, v)?;
                    } else {
                        read(value, r, v)?;
                        read(key, r, k)?;
                    }
                }
            }
            node.close_nested()
        }
        Plan::Record(fields) => {
            let members = node.struct_members().ok_or_else(structure)?;
            for (f, m) in fields.iter().zip(members.iter_mut()) {
                read(f, r, m)?;
            }
            node.close_nested()
        }
        Plan::Optional { null, inner } => {
            let i = r.int()? as i64;
            let branches = if null.is_some() { 2 } else { 1 };
            if !(0..branches).contains(&i) {
                return Err(index_error(i, branches as usize));
            }
            if Some(i as u64) == *null {
                node.append_null();
                Ok(())
            } else {
                read(inner, r, node)
            }
        }
        Plan::Union(branches) => {
            let i = r.int()? as i64;
            let branch = usize::try_from(i)
                .ok()
                .and_then(|i| branches.get(i))
                .ok_or_else(|| index_error(i, branches.len()))?;
            match branch {
                None => {
                    node.append_null();
                    Ok(())
                }
                Some((m, plan)) => {
                    let members = node.struct_members().ok_or_else(structure)?;
                    for (j, member) in members.iter_mut().enumerate() {
                        if j == *m {
                            read(plan, r, member)?;
                        } else {
                            member.append_null();
                        }
                    }
                    node.close_nested()
                }
            }
        }
    }
}

/// Decodes Avro binary bodies written with one writer schema into one Arrow column typed by
/// [`super::to_connect_schema`]'s field.
pub struct AvroDecoder {
    plan: Plan,
    /// The column's Connect schema, to make a fresh builder when a batch is decoded again.
    schema: ConnectSchema,
    node: Node,
    context: String,
}

impl std::fmt::Debug for AvroDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AvroDecoder")
            .field("field", &self.node.field)
            .finish()
    }
}

impl AvroDecoder {
    /// A decoder for bodies written with `writer_schema_json`.
    pub fn new(writer_schema_json: &str, config: &super::AvroDataConfig) -> Result<AvroDecoder> {
        Self::with_version(writer_schema_json, config, None)
    }

    /// As [`AvroDecoder::new`], with the schema registry version AvroConverter passes to
    /// `toConnectSchema` (it becomes the top-level schema's version unless the Avro schema
    /// has `connect.version`).
    pub fn with_version(
        writer_schema_json: &str,
        config: &super::AvroDataConfig,
        version: Option<i32>,
    ) -> Result<AvroDecoder> {
        let parsed = Parsed::parse(writer_schema_json)?;
        let schema = super::schema::ToConnect::new(&parsed, config)?.convert(
            &parsed.root,
            false,
            None,
            version,
        )?;
        let plan = build(&parsed, &parsed.root, &schema)?;
        let node =
            Node::for_schema(&schema, super::FIELD_NAME, true, false).map_err(Error::data)?;
        Ok(AvroDecoder {
            plan,
            schema,
            node,
            context: "Failed to deserialize data to Avro: ".to_string(),
        })
    }

    /// Prefix row errors as AvroConverter does: `Failed to deserialize data for topic
    /// <topic> to Avro: Error deserializing Avro message for id <id>: <cause>`.
    pub fn set_context(&mut self, topic: &str, schema_id: i32) {
        self.context = format!(
            "Failed to deserialize data for topic {topic} to Avro: Error deserializing Avro message for id {schema_id}: "
        );
    }

    /// The Arrow field (Connect schema) every decoded column has.
    pub fn field(&self) -> &arrow::datatypes::Field {
        &self.node.field
    }

    /// Decode bodies (no wire header) into one column; `None` is a null row (tombstone). A
    /// malformed body becomes a null row and a [`RowError`]; the others decode. The bodies are
    /// walked a second time only when some string in them is not UTF-8.
    pub fn decode<'b, I>(&mut self, bodies: I) -> Result<(ArrayRef, Vec<RowError>)>
    where
        I: IntoIterator<Item = Option<&'b [u8]>>,
        I::IntoIter: Clone,
    {
        let bodies = bodies.into_iter();
        let errors = self.decode_rows(bodies.clone(), false);
        match self.node.finish() {
            Ok(array) => Ok((array, errors)),
            Err(_) => {
                // Some string is not UTF-8 (Arrow checked the whole buffer): decode again,
                // checking and repairing each string as Java's `new String(bytes, UTF_8)`.
                // `finish` may have taken some buffers before failing: start from a fresh
                // builder.
                self.node = Node::for_schema(&self.schema, super::FIELD_NAME, true, false)
                    .map_err(Error::bug)?;
                let errors = self.decode_rows(bodies, true);
                let array = self
                    .node
                    .finish()
                    .map_err(|e| Error::bug(format!("Avro decoder: {e}")))?;
                Ok((array, errors))
            }
        }
    }

    /// Append every body's row to the builder; `checked`: see [`Reader::checked`].
    fn decode_rows<'b>(
        &mut self,
        bodies: impl Iterator<Item = Option<&'b [u8]>>,
        checked: bool,
    ) -> Vec<RowError> {
        let mut errors = Vec::new();
        for (row, body) in bodies.enumerate() {
            let Some(body) = body else {
                self.node.append_null();
                continue;
            };
            let mut r = Reader {
                buf: body,
                pos: 0,
                checked,
            };
            if let Err(msg) = read(&self.plan, &mut r, &mut self.node) {
                self.node.truncate(row);
                self.node.append_null();
                errors.push(RowError {
                    row,
                    error: Error::data(format!("{}{msg}", self.context)),
                });
            }
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avro::write::write_long;
    use crate::avro::AvroDataConfig;
    use arrow::array::{Array, AsArray};

    /// Varints read the same with 10 bytes or more left in the body as right at its end, and
    /// stop at the same place.
    #[test]
    fn long_fast_path_and_near_end_agree() {
        let values = [
            0,
            -1,
            1,
            63,
            -64,
            64,
            i32::MAX as i64,
            i32::MIN as i64,
            1_700_000_000_000,
            i64::MAX,
            i64::MIN,
        ];
        for v in values {
            let mut exact = Vec::new();
            write_long(&mut exact, v);
            let mut padded = exact.clone();
            padded.extend_from_slice(&[0x80; 10]);
            for buf in [&exact, &padded] {
                let mut r = Reader {
                    buf,
                    pos: 0,
                    checked: true,
                };
                assert_eq!(r.long(), Ok(v), "{v} from {buf:?}");
                assert_eq!(r.pos, exact.len(), "{v}: bytes read");
            }
        }
        // Ten continuation bytes: too long on both paths; a cut-off varint: end of data.
        for (buf, want) in [
            (vec![0xff; 10], "Invalid long encoding"),
            (vec![0xff; 11], "Invalid long encoding"),
            (vec![0xff; 9], EOF),
        ] {
            let mut r = Reader {
                buf: &buf,
                pos: 0,
                checked: true,
            };
            assert_eq!(r.long(), Err(want.to_string()), "{buf:?}");
        }
    }

    fn string_body(out: &mut Vec<u8>, s: &[u8]) {
        write_long(out, s.len() as i64);
        out.extend_from_slice(s);
    }

    /// Strings are not checked one by one on the first pass; a batch holding malformed UTF-8
    /// (in a string or a map key, or split across two rows so that the concatenated buffer is
    /// valid but a row boundary cuts a character) is decoded again with each string repaired
    /// as Java's `new String(bytes, UTF_8)`, and the good rows keep their bytes.
    #[test]
    fn malformed_utf8_is_replaced_after_the_fast_pass() {
        let schema = r#"{"type":"record","name":"R","fields":[
            {"name":"s","type":"string"},{"name":"m","type":{"type":"map","values":"long"}}]}"#;
        let row = |s: &[u8], key: &[u8]| {
            let mut b = Vec::new();
            string_body(&mut b, s);
            write_long(&mut b, 1);
            string_body(&mut b, key);
            write_long(&mut b, 7);
            write_long(&mut b, 0);
            b
        };
        let rows = [
            row("héllo".as_bytes(), b"k"),
            row(b"a\xffb", b"k"),
            row(b"ok", b"\xfe"),
            row(b"\xe2\x82", b"k"), // the first two bytes of '€' ...
            row(b"\xac", b"k"),     // ... and its last one, in the next row
        ];
        let mut d = AvroDecoder::new(schema, &AvroDataConfig::default()).unwrap();
        for _ in 0..2 {
            // Twice: the decoder is reusable after a batch took the slow path.
            let (array, errors) = d.decode(rows.iter().map(|b| Some(b.as_slice()))).unwrap();
            assert!(errors.is_empty(), "{errors:?}");
            let st = array.as_struct();
            let s: Vec<&str> = st.column(0).as_string::<i32>().iter().flatten().collect();
            assert_eq!(s, ["héllo", "a\u{fffd}b", "ok", "\u{fffd}", "\u{fffd}"]);
            let keys = st.column(1).as_map().keys().as_string::<i32>().clone();
            let keys: Vec<&str> = keys.iter().flatten().collect();
            assert_eq!(keys, ["k", "k", "\u{fffd}", "k", "k"]);
        }
        // A clean batch after that decodes on the fast path to the same bytes.
        let (array, _) = d.decode([Some(rows[0].as_slice())]).unwrap();
        assert_eq!(
            array.as_struct().column(0).as_string::<i32>().value(0),
            "héllo"
        );
        assert_eq!(array.len(), 1);
    }
}
