//! `org.apache.kafka.connect.json.JsonConverter`: JSON payloads ↔ typed Arrow columns.
//!
//! ## With schemas (`schemas.enable=true`, the default)
//!
//! Each payload is an envelope `{"schema": …, "payload": …}`. Decoding reads the schema of the
//! first record that has one, maps it to an Arrow type (see [`strait_engine::schema`]) and
//! parses the payloads straight into Arrow builders while the records carry the same schema
//! (compared byte for byte first, then as Connect schemas, so whitespace, key order or omitted
//! defaults do not matter). A record with a different schema (or a `"schema": null` record
//! after typed ones, and the reverse) is normal data, not an error: since one Arrow array holds
//! one type, it ends the current [`Segment`] and starts the next one, and the runtime splits
//! the batch there. A topic whose schema never changes decodes as one segment in one pass.
//! Runs of `"schema": null` records decode as schemaless values. A tombstone (a null payload,
//! or an envelope with neither schema nor payload, `{"schema":null,"payload":null}`) is what
//! Java's converter makes `SchemaAndValue.NULL` (no schema, no value), so every run of them is
//! a segment of its own: a schemaless column of [`DataType::Null`](arrow::datatypes::DataType)
//! (transforms see it as Java sees a null value without schema, whatever the records around
//! it carry). An envelope with a schema and a null payload stays a null row of its schema, as
//! Java keeps the schema; rows that fail are null rows of whatever segment they fall in.
//!
//! Encoding writes exactly the bytes Java's JsonConverter writes (Jackson's compact output,
//! `asJsonSchema`'s key order, Java's number forms, base64 bytes and decimals), checked against
//! golden vectors produced by the real converter (`tests/golden.rs`).
//!
//! ## Without schemas (`schemas.enable=false`)
//!
//! Payloads are plain JSON. Decoding infers an Arrow type for the column (rules in [`infer`]),
//! marks the field [`schema::SCHEMALESS`], and parses every payload straight into builders in
//! one pass. The inferred type is kept between batches and only ever widens, so a topic with a
//! stable shape gets the same Arrow type batch after batch and is decoded in a single pass
//! (no inference pass) once the first batch is seen. Encoding writes plain JSON; struct members
//! are written even when null (a member that was missing comes back as `null`).
//!
//! ## Nulls
//!
//! A null payload (tombstone) decodes to a null row (with schemas, of a schemaless
//! `DataType::Null` segment, see above). On encoding, a null row becomes a null
//! payload when the column has no schema or a required schema without a default; with an
//! optional schema (or a default and `replace.null.with.default`) it is encoded as Java encodes
//! a null value with that schema (`"payload":null`, or the default), because the column schema
//! applies to every row. The top-level column is always nullable in Arrow; a required schema
//! says so with `connect.optional=false`.
//!
//! ## Errors
//!
//! A malformed row never fails the batch: it becomes a null row plus a [`RowError`] with a Data
//! error worded as Java's (`Converting byte[] to Kafka Connect data failed due to
//! serialization error: …`, `JsonConverter with schemas.enable requires "schema" and "payload"
//! fields …`). Encoding a value Java would reject (a null in a required field without default)
//! fails the call with a Data error.

pub(crate) mod connect;
pub(crate) mod decode;
pub(crate) mod encode;
mod infer;
pub mod pointer;
pub(crate) mod scan;
pub(crate) mod write;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use arrow::array::builder::NullBufferBuilder;
use arrow::array::{Array, ArrayRef, BinaryArray};
use arrow::buffer::{Buffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::Field;
use strait_engine::config::{Props, Validator};
use strait_engine::declare_config;
use strait_engine::plugin::{
    Converter, ConverterPlugin, Decoded, PluginInfo, PluginType, RowError, Segment,
};
use strait_engine::schema;
use strait_engine::{Error, Result};

use crate::ConverterConfig;

use connect::ConnectSchema;
use decode::{Cx, Node};
use encode::Enc;
use scan::{Fail, Scanner};

pub use infer::MAX_STRUCT_FIELDS;

/// Java class name.
pub const CLASS: &str = "org.apache.kafka.connect.json.JsonConverter";

pub use strait_engine::schema::RAW_JSON;

const SCHEMAS_ENABLE: &str = "schemas.enable";
const SCHEMAS_CACHE_SIZE: &str = "schemas.cache.size";
const DECIMAL_FORMAT: &str = "decimal.format";
const REPLACE_NULL_WITH_DEFAULT: &str = "replace.null.with.default";

const ENVELOPE_ERROR: &str = "JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.";
const SERIALIZATION_ERROR: &str =
    "Converting byte[] to Kafka Connect data failed due to serialization error: ";

/// Options that change values (the rest only select the mode).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Opts {
    pub decimal_numeric: bool,
    pub replace_null_with_default: bool,
    /// Maps whose keys are not strings as arrays of `{"key":k,"value":v}` objects (Confluent's
    /// JsonSchemaData) instead of JsonConverter's `[k, v]` pairs.
    pub map_entries_as_objects: bool,
}

impl Default for Opts {
    fn default() -> Self {
        Opts {
            decimal_numeric: false,
            replace_null_with_default: true,
            map_entries_as_objects: false,
        }
    }
}

declare_config! {
    /// Java's `JsonConverterConfig` (its groups number their keys from 0, as Java's
    /// `orderInGroup++` does).
    #[derive(Debug, Clone)]
    pub struct JsonConverterConfig {
        pub converter: ConverterConfig { flatten },
        pub schemas_enable: bool {
            key: SCHEMAS_ENABLE,
            ty: Boolean,
            default: "true",
            importance: High,
            doc: "Include schemas within each of the serialized values and keys.",
            group: "Schemas", order: 0,
            width: Medium,
            display: "Enable Schemas",
        },
        /// Accepted for compatibility: Strait compares schemas as it reads them, no cache.
        pub schemas_cache_size: i32 {
            key: SCHEMAS_CACHE_SIZE,
            ty: Int,
            default: "1000",
            importance: High,
            doc: "The maximum number of schemas that can be cached in this converter instance.",
            group: "Schemas", order: 1,
            width: Medium,
            display: "Schema Cache Size",
        },
        /// `decimal.format=NUMERIC` (any case): decimals as JSON numbers, else base64 bytes.
        pub decimal_numeric: bool {
            key: DECIMAL_FORMAT,
            ty: String,
            default: "BASE64",
            validator: Validator::OneOfIgnoreCase(&["BASE64", "NUMERIC"]),
            importance: Low,
            doc: "Controls which format this converter will serialize decimals in. This value is \
                  case insensitive and can be either 'BASE64' (default) or 'NUMERIC'",
            group: "Serialization", order: 0,
            width: Medium,
            display: "Decimal Format",
            map: |format: String| format.eq_ignore_ascii_case("NUMERIC"),
        },
        pub replace_null_with_default: bool {
            key: REPLACE_NULL_WITH_DEFAULT,
            ty: Boolean,
            default: "true",
            importance: Low,
            doc: "Whether to replace fields that have a default value and that are null to the \
                  default value. When set to true, the default value is used, otherwise null is \
                  used.",
            group: "Serialization", order: 1,
            width: Medium,
            display: "Replace null with default",
        },
    }
}

/// Registration entry.
pub fn plugin() -> ConverterPlugin {
    ConverterPlugin {
        info: PluginInfo {
            class: CLASS,
            extra_aliases: &[],
            kind: PluginType::Converter,
            version: env!("CARGO_PKG_VERSION"),
        },
        config_def: JsonConverterConfig::config_def,
        create: |props, is_key| Ok(Arc::new(JsonConverter::new(props, is_key)?)),
    }
}

/// Kafka Connect's JsonConverter (see the module docs).
#[derive(Debug)]
pub struct JsonConverter {
    schemas_enable: bool,
    opts: Opts,
    column: &'static str,
    /// Schemaless: the type inferred so far (only widens).
    inferred: Mutex<Option<infer::Ty>>,
    /// Encoding: payload bytes per row last time, to size the output buffer once.
    bytes_per_row: AtomicUsize,
}

/// One run of rows decoded with one type; error rows are relative to the run.
struct Column {
    field: Field,
    array: ArrayRef,
    errors: Vec<RowError>,
}

/// One row's input to schemaless decoding.
enum Input<'a> {
    Null,
    Json(&'a [u8]),
    Failed(Error),
}

impl JsonConverter {
    /// Build from the converter's own (prefix-stripped) props.
    pub fn new(props: &Props, is_key: bool) -> Result<Self> {
        let config = JsonConverterConfig::parse(&crate::with_converter_type(props, is_key))?;
        Ok(JsonConverter {
            schemas_enable: config.schemas_enable,
            opts: Opts {
                decimal_numeric: config.decimal_numeric,
                replace_null_with_default: config.replace_null_with_default,
                map_entries_as_objects: false,
            },
            column: if is_key { "key" } else { "value" },
            inferred: Mutex::new(None),
            bytes_per_row: AtomicUsize::new(64),
        })
    }

    fn cx(&self, schemaless: bool) -> Cx {
        Cx {
            replace_null_with_default: self.opts.replace_null_with_default,
            map_entries_as_objects: self.opts.map_entries_as_objects,
            schemaless,
            scratch: Vec::new(),
        }
    }

    // ---- schemaless decoding --------------------------------------------------------------

    fn decode_schemaless(&self, inputs: &[Input<'_>]) -> Result<Column> {
        let cached = self.inferred.lock().map(|g| g.clone()).unwrap_or(None);
        let mut ty = match cached {
            Some(ty) => ty,
            None => infer_rows(infer::Ty::Null, inputs),
        };
        for attempt in 0.. {
            let mut node = infer::node(&ty, self.column);
            let mut cx = self.cx(true);
            match decode_rows(&mut node, inputs, &mut cx, false) {
                Ok(errors) => {
                    let (array, errors) = match node.finish() {
                        Ok(array) => (array, errors),
                        Err(_) => {
                            // Some payload is not UTF-8: decode again, checking each one.
                            let mut node = infer::node(&ty, self.column);
                            let errors =
                                decode_rows(&mut node, inputs, &mut cx, true).map_err(|row| {
                                    Error::bug(format!(
                                        "schemaless decode mismatch on row {row} after validation"
                                    ))
                                })?;
                            (
                                node.finish()
                                    .map_err(|e| Error::bug(format!("JsonConverter: {e}")))?,
                                errors,
                            )
                        }
                    };
                    if let Ok(mut g) = self.inferred.lock() {
                        *g = Some(ty);
                    }
                    let field = schema::schemaless(node.field.as_ref().clone());
                    return Ok(Column {
                        field,
                        array,
                        errors,
                    });
                }
                Err(row) => {
                    // Rows before `row` fit; widen with what the rest of the batch holds.
                    ty = if attempt < 2 {
                        infer_rows(ty, &inputs[row..])
                    } else {
                        infer::Ty::Json
                    };
                }
            }
        }
        unreachable!("the loop returns")
    }

    // ---- envelope decoding ----------------------------------------------------------------

    /// One segment per run of records with the same envelope schema (see the module docs).
    fn decode_envelope(&self, payloads: &BinaryArray) -> Result<Decoded> {
        let mut segments = Vec::new();
        let mut errors = Vec::new();
        let mut start = 0;
        loop {
            let tombstones = (start..payloads.len())
                .take_while(|&row| is_tombstone(payloads, row))
                .count();
            let column = if tombstones > 0 {
                self.null_column(tombstones, Vec::new())
            } else {
                self.envelope_segment(&payloads.slice(start, payloads.len() - start))?
            };
            let rows = column.array.len();
            errors.extend(
                column
                    .errors
                    .into_iter()
                    .map(|RowError { row, error }| RowError {
                        row: start + row,
                        error,
                    }),
            );
            segments.push(Segment {
                start_row: start,
                field: column.field,
                array: column.array,
            });
            start += rows;
            if start >= payloads.len() {
                return Ok(Decoded { segments, errors });
            }
            if rows == 0 {
                return Err(Error::bug(format!(
                    "JsonConverter: empty schema segment at row {start}"
                )));
            }
        }
    }

    /// Decode the leading run of `payloads` whose records share the schema of the first record
    /// that has a readable one; it ends before the first record with a different schema or a
    /// tombstone (the caller has taken the tombstones at the start). Unreadable envelopes
    /// before that first record belong to the run.
    fn envelope_segment(&self, payloads: &BinaryArray) -> Result<Column> {
        let first = (0..payloads.len())
            .filter(|&i| !payloads.is_null(i))
            .find_map(|i| {
                let bytes = payloads.value(i);
                let (s, _) = envelope_parts(bytes).ok()?;
                let schema =
                    ConnectSchema::parse(&mut Scanner::new(&bytes[s.0..s.1]), &self.opts).ok()?;
                Some((bytes[s.0..s.1].to_vec(), schema))
            });
        let Some((schema_bytes, Some(schema))) = first else {
            return self.decode_schemaless_envelopes(payloads);
        };
        let mut state = SchemaState {
            schema: &schema,
            primary: schema_bytes,
            aliases: Vec::new(),
            opts: self.opts,
        };
        let mut node = match Node::for_schema(&schema, self.column, true, false) {
            Ok(node) => node,
            Err(msg) => {
                let rows = segment_end(payloads, &mut state);
                return Ok(self.all_rows_fail(&payloads.slice(0, rows), &msg));
            }
        };
        let mut cx = self.cx(false);
        let (errors, rows) = self.envelope_rows(&mut node, payloads, &mut state, &mut cx, false);
        let (array, errors) = match node.finish() {
            Ok(array) => (array, errors),
            Err(_) => {
                // Some payload is not UTF-8: decode the run again, checking each one. A row
                // can only fail where it decoded before, so the run keeps its length.
                let mut node =
                    Node::for_schema(&schema, self.column, true, false).map_err(Error::bug)?;
                let run = payloads.slice(0, rows);
                let (errors, again) =
                    self.envelope_rows(&mut node, &run, &mut state, &mut cx, true);
                if again != rows {
                    return Err(Error::bug(format!(
                        "JsonConverter: schema run of {rows} rows became {again} after UTF-8 validation"
                    )));
                }
                (
                    node.finish()
                        .map_err(|e| Error::bug(format!("JsonConverter: {e}")))?,
                    errors,
                )
            }
        };
        Ok(Column {
            field: node.field.as_ref().clone(),
            array,
            errors,
        })
    }

    /// Decode rows into `node` until a record's schema differs from the node's; the row errors
    /// and the number of rows decoded (failed rows included).
    fn envelope_rows(
        &self,
        node: &mut Node,
        payloads: &BinaryArray,
        state: &mut SchemaState<'_>,
        cx: &mut Cx,
        validate_utf8: bool,
    ) -> (Vec<RowError>, usize) {
        let mut errors = Vec::new();
        for row in 0..payloads.len() {
            if payloads.is_null(row) {
                // A tombstone: the run ends, the tombstones make the next segment.
                return (errors, row);
            }
            let bytes = payloads.value(row);
            let result = if validate_utf8 && std::str::from_utf8(bytes).is_err() {
                Err(Fail::Syntax("Invalid UTF-8 in the payload".into()))
            } else {
                envelope_row(bytes, node, state, cx)
            };
            match result {
                Ok(Row::Decoded) => {}
                Ok(Row::SchemaChanged) => {
                    node.truncate(row);
                    return (errors, row);
                }
                Err(fail) => {
                    node.truncate(row);
                    node.append_null();
                    errors.push(RowError {
                        row,
                        error: fail_error(fail),
                    });
                }
            }
        }
        (errors, payloads.len())
    }

    /// The leading run of envelopes whose schema is `null` (or of rows that all failed):
    /// schemaless payloads, up to the first record that has a schema or is a tombstone.
    fn decode_schemaless_envelopes(&self, payloads: &BinaryArray) -> Result<Column> {
        let mut inputs: Vec<Input<'_>> = Vec::with_capacity(payloads.len());
        for i in 0..payloads.len() {
            if payloads.is_null(i) {
                break;
            }
            let bytes = payloads.value(i);
            inputs.push(match envelope_parts(bytes) {
                Err(fail) => Input::Failed(fail_error(fail)),
                Ok((s, p)) => {
                    match ConnectSchema::parse(&mut Scanner::new(&bytes[s.0..s.1]), &self.opts) {
                        Ok(None) if &bytes[p.0..p.1] == b"null" => break,
                        Ok(None) => Input::Json(&bytes[p.0..p.1]),
                        Ok(Some(_)) => break,
                        Err(fail) => Input::Failed(fail_error(fail)),
                    }
                }
            });
        }
        self.decode_schemaless(&inputs)
    }

    fn all_rows_fail(&self, payloads: &BinaryArray, msg: &str) -> Column {
        let errors = (0..payloads.len())
            .filter(|&i| !payloads.is_null(i))
            .map(|row| RowError {
                row,
                error: Error::data(msg.to_string()),
            })
            .collect();
        self.null_column(payloads.len(), errors)
    }

    /// `rows` null rows without a schema: Java's `SchemaAndValue.NULL` (tombstones), or rows
    /// that all failed.
    fn null_column(&self, rows: usize, errors: Vec<RowError>) -> Column {
        let field = schema::schemaless(Field::new(
            self.column,
            arrow::datatypes::DataType::Null,
            true,
        ));
        Column {
            field,
            array: Arc::new(arrow::array::NullArray::new(rows)),
            errors,
        }
    }

    // ---- encoding -------------------------------------------------------------------------

    fn encode(&self, field: &Field, column: &ArrayRef) -> Result<BinaryArray> {
        let connect = if schema::is_schemaless(field) {
            None
        } else {
            Some(ConnectSchema::from_field(field, &self.opts).map_err(Error::data)?)
        };
        let enc = Enc::new(field, column, connect.as_ref(), &self.opts).map_err(Error::data)?;
        let mut prefix = Vec::new();
        if self.schemas_enable {
            prefix.extend_from_slice(b"{\"schema\":");
            match &connect {
                Some(s) => s.write_json(&mut prefix, None),
                None => prefix.extend_from_slice(b"null"),
            }
            prefix.extend_from_slice(b",\"payload\":");
        }
        let n = column.len();
        let top_nulls = column.logical_nulls();
        let null_is_value = connect.is_some() && enc.null_is_a_value();
        let hint = self.bytes_per_row.load(Ordering::Relaxed);
        let mut out: Vec<u8> = Vec::with_capacity(n.saturating_mul(hint.max(8)));
        let mut offsets: Vec<i32> = Vec::with_capacity(n + 1);
        offsets.push(0);
        let mut validity = NullBufferBuilder::new(n);
        for i in 0..n {
            if top_nulls.as_ref().is_some_and(|b| b.is_null(i)) && !null_is_value {
                validity.append_null();
            } else {
                out.extend_from_slice(&prefix);
                // Java's `convertToJson` message as it is (its `DataException` is not wrapped).
                enc.write(i, &mut out).map_err(Error::data)?;
                if self.schemas_enable {
                    out.push(b'}');
                }
                validity.append_non_null();
            }
            offsets.push(i32::try_from(out.len()).map_err(|_| {
                Error::data(
                    "JsonConverter output exceeds 2 GiB for one batch (Arrow 32-bit offsets)",
                )
            })?);
        }
        if let Some(per_row) = out.len().checked_div(n) {
            self.bytes_per_row.store(per_row + 1, Ordering::Relaxed);
        }
        let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
        Ok(BinaryArray::try_new(
            offsets,
            Buffer::from_vec(out),
            validity.finish(),
        )?)
    }
}

impl Converter for JsonConverter {
    fn from_connect(&self, field: &Field, column: &ArrayRef) -> Result<BinaryArray> {
        self.encode(field, column)
    }

    fn plain_json(&self) -> bool {
        !self.schemas_enable
    }

    fn normalize_plain_json(&self, payloads: &BinaryArray) -> Result<(BinaryArray, Vec<RowError>)> {
        if self.schemas_enable {
            return Err(Error::bug(
                "normalize_plain_json on a JsonConverter with schemas.enable=true",
            ));
        }
        normalize_plain(payloads)
    }

    fn to_connect(&self, payloads: &BinaryArray) -> Result<Decoded> {
        if self.schemas_enable {
            self.decode_envelope(payloads)
        } else {
            // Plain JSON has no schema to change: one inferred type, one segment.
            let inputs: Vec<Input<'_>> = (0..payloads.len())
                .map(|i| {
                    if payloads.is_null(i) {
                        Input::Null
                    } else {
                        Input::Json(payloads.value(i))
                    }
                })
                .collect();
            let Column {
                field,
                array,
                errors,
            } = self.decode_schemaless(&inputs)?;
            Ok(Decoded::single(field, array, errors))
        }
    }
}

/// What [`Converter::normalize_plain_json`] does for a schemaless JsonConverter: each payload
/// scanned once for syntax (no values built), cut to its first value, line breaks between
/// tokens turned into spaces (inside strings they are always escaped, or the syntax check
/// fails). When every row is already that, the input buffers are returned as they are.
fn normalize_plain(payloads: &BinaryArray) -> Result<(BinaryArray, Vec<RowError>)> {
    let n = payloads.len();
    let mut spans: Vec<Option<(usize, usize)>> = Vec::with_capacity(n);
    let mut errors = Vec::new();
    let mut unchanged = true;
    let mut has_breaks = false;
    for row in 0..n {
        if payloads.is_null(row) {
            spans.push(None);
            continue;
        }
        let bytes = payloads.value(row);
        let mut sc = Scanner::new(bytes);
        if sc.peek().is_none() {
            // Empty content: Jackson reads a missing node, which Connect makes null.
            spans.push(None);
            unchanged = false;
            continue;
        }
        let start = sc.pos;
        match sc.skip_value() {
            Ok(()) => {
                let end = sc.pos;
                let text = &bytes[start..end];
                if std::str::from_utf8(text).is_err() {
                    errors.push(RowError {
                        row,
                        error: fail_error(Fail::Syntax("Invalid UTF-8 in the payload".into())),
                    });
                    spans.push(None);
                    unchanged = false;
                } else if text == b"null" {
                    spans.push(None);
                    unchanged = false;
                } else {
                    if start != 0 || end != bytes.len() {
                        unchanged = false;
                    }
                    if memchr::memchr2(b'\n', b'\r', text).is_some() {
                        has_breaks = true;
                        unchanged = false;
                    }
                    spans.push(Some((start, end)));
                }
            }
            Err(fail) => {
                errors.push(RowError {
                    row,
                    error: fail_error(fail),
                });
                spans.push(None);
                unchanged = false;
            }
        }
    }
    if unchanged {
        return Ok((payloads.clone(), errors));
    }
    let total: usize = spans.iter().flatten().map(|(s, e)| e - s).sum();
    let mut out: Vec<u8> = Vec::with_capacity(total);
    let mut offsets: Vec<i32> = Vec::with_capacity(n + 1);
    offsets.push(0);
    let mut validity = NullBufferBuilder::new(n);
    for (row, span) in spans.iter().enumerate() {
        match span {
            None => validity.append_null(),
            Some((start, end)) => {
                let text = &payloads.value(row)[*start..*end];
                let at = out.len();
                out.extend_from_slice(text);
                if has_breaks {
                    for b in &mut out[at..] {
                        if *b == b'\n' || *b == b'\r' {
                            *b = b' ';
                        }
                    }
                }
                validity.append_non_null();
            }
        }
        offsets.push(i32::try_from(out.len()).map_err(|_| {
            Error::data("JSON values exceed 2 GiB for one batch (Arrow 32-bit offsets)")
        })?);
    }
    let array = BinaryArray::try_new(
        OffsetBuffer::new(ScalarBuffer::from(offsets)),
        Buffer::from_vec(out),
        validity.finish(),
    )?;
    Ok((array, errors))
}

/// Whether the payload's first JSON value (what Jackson's `readTree` reads; it ignores what
/// follows) is valid UTF-8; the whole payload when it has no valid first value (the row fails
/// either way).
fn first_value_is_utf8(bytes: &[u8]) -> bool {
    let mut sc = Scanner::new(bytes);
    let end = if sc.peek().is_some() && sc.skip_value().is_ok() {
        sc.pos
    } else {
        bytes.len()
    };
    std::str::from_utf8(&bytes[..end]).is_ok()
}

/// The Data error for a failed row, worded as Java's.
fn fail_error(fail: Fail) -> Error {
    match fail {
        Fail::Syntax(m) => Error::data(format!("{SERIALIZATION_ERROR}{m}")),
        Fail::Data(m) => Error::data(m),
        Fail::Mismatch => Error::bug("JsonConverter: schemaless mismatch escaped the decoder"),
    }
}

/// Widen `ty` with every JSON input (rows that fail to parse are left to the decode pass).
fn infer_rows(mut ty: infer::Ty, inputs: &[Input<'_>]) -> infer::Ty {
    let mut scratch = Vec::new();
    for input in inputs {
        if let Input::Json(bytes) = input {
            let mut sc = Scanner::new(bytes);
            if sc.peek().is_some() {
                let _ = infer::observe(&mut ty, &mut sc, &mut scratch);
            }
        }
    }
    ty
}

/// Decode schemaless rows; `Err(row)` when a value does not fit the node's type.
fn decode_rows(
    node: &mut Node,
    inputs: &[Input<'_>],
    cx: &mut Cx,
    validate_utf8: bool,
) -> Result<Vec<RowError>, usize> {
    let mut errors = Vec::new();
    for (row, input) in inputs.iter().enumerate() {
        match input {
            Input::Null => node.append_null(),
            Input::Failed(e) => {
                node.append_null();
                errors.push(RowError {
                    row,
                    error: Error::new(e.fault(), e.message()),
                });
            }
            Input::Json(bytes) => {
                let result = if validate_utf8 && !first_value_is_utf8(bytes) {
                    Err(Fail::Syntax("Invalid UTF-8 in the payload".into()))
                } else {
                    let mut sc = Scanner::new(bytes);
                    if sc.peek().is_none() {
                        // Empty content: Jackson reads a missing node, which Connect makes null.
                        node.append_null();
                        continue;
                    }
                    node.value(&mut sc, cx)
                };
                match result {
                    Ok(()) => {}
                    Err(Fail::Mismatch) => return Err(row),
                    Err(fail) => {
                        node.truncate(row);
                        node.append_null();
                        errors.push(RowError {
                            row,
                            error: fail_error(fail),
                        });
                    }
                }
            }
        }
    }
    Ok(errors)
}

type Span = (usize, usize);

/// Whether Java's converter makes row `row` `SchemaAndValue.NULL` (no schema, no value): a
/// null payload, or an envelope `{"schema":null,"payload":null}`.
fn is_tombstone(payloads: &BinaryArray, row: usize) -> bool {
    if payloads.is_null(row) {
        return true;
    }
    // Called at segment starts only (the decoders stop at tombstones), so this is no per-row
    // work.
    let bytes = payloads.value(row);
    matches!(envelope_parts(bytes),
        Ok((s, p)) if &bytes[s.0..s.1] == b"null" && &bytes[p.0..p.1] == b"null")
}

/// The spans of `schema` and `payload` in an envelope.
fn envelope_parts(bytes: &[u8]) -> Result<(Span, Span), Fail> {
    let mut sc = Scanner::new(bytes);
    let mut scratch = Vec::new();
    if sc.peek() != Some(b'{') {
        if sc.peek().is_some() {
            sc.skip_value()?;
        }
        return Err(Fail::Data(ENVELOPE_ERROR.into()));
    }
    sc.pos += 1;
    sc.enter()?;
    let (mut schema, mut payload) = (None, None);
    let mut extra = false;
    if sc.peek() != Some(b'}') {
        loop {
            if sc.peek() != Some(b'"') {
                return Err(sc.unexpected("a field name (double-quote)"));
            }
            let which = match sc.string(&mut scratch)? {
                b"schema" => 0,
                b"payload" => 1,
                _ => 2,
            };
            sc.expect(b':', "':' after a field name")?;
            sc.ws();
            let start = sc.pos;
            sc.skip_value()?;
            let span = Some((start, sc.pos));
            match which {
                0 if schema.is_none() => schema = span,
                1 if payload.is_none() => payload = span,
                _ => extra = true,
            }
            if !sc.next_or_close(b'}')? {
                break;
            }
        }
    }
    match (schema, payload, extra) {
        (Some(s), Some(p), false) => Ok((s, p)),
        _ => Err(Fail::Data(ENVELOPE_ERROR.into())),
    }
}

/// The column's schema and the byte forms of it seen so far.
struct SchemaState<'s> {
    schema: &'s ConnectSchema,
    primary: Vec<u8>,
    aliases: Vec<Vec<u8>>,
    opts: Opts,
}

/// How a record's schema compares with the run's.
enum Check {
    Same,
    /// `"schema": null`.
    Null,
    /// A different schema: the record starts a new run.
    Other,
}

/// What became of one envelope row.
enum Row {
    /// Appended to the node (a value or a null).
    Decoded,
    /// Not appended: its schema differs from the run's, so it starts the next run.
    SchemaChanged,
}

impl SchemaState<'_> {
    /// The length of a known form of the schema that `rest` starts with.
    fn known_prefix(&self, rest: &[u8]) -> Option<usize> {
        std::iter::once(&self.primary)
            .chain(self.aliases.iter())
            .find(|known| rest.starts_with(known))
            .map(Vec::len)
    }

    fn check(&mut self, span: &[u8]) -> Result<Check, Fail> {
        if span == self.primary.as_slice() || self.aliases.iter().any(|a| a.as_slice() == span) {
            return Ok(Check::Same);
        }
        match ConnectSchema::parse(&mut Scanner::new(span), &self.opts)? {
            None => Ok(Check::Null),
            Some(s) if s == *self.schema => {
                if self.aliases.len() < 8 {
                    self.aliases.push(span.to_vec());
                }
                Ok(Check::Same)
            }
            Some(_) => Ok(Check::Other),
        }
    }
}

/// The rows of the leading run of `payloads` whose schema is the state's, without decoding
/// payloads (for a schema Strait cannot decode, whose rows all fail).
fn segment_end(payloads: &BinaryArray, state: &mut SchemaState<'_>) -> usize {
    (0..payloads.len())
        .find(|&row| {
            if payloads.is_null(row) {
                return true;
            }
            let bytes = payloads.value(row);
            let Ok((s, _)) = envelope_parts(bytes) else {
                return false;
            };
            match state.check(&bytes[s.0..s.1]) {
                Ok(Check::Same) | Err(_) => false,
                // Schemaless values and tombstones both end the run.
                Ok(Check::Null | Check::Other) => true,
            }
        })
        .unwrap_or(payloads.len())
}

/// Decode one envelope row into `node`; the payload is parsed in place when the schema comes
/// first (the usual order).
fn envelope_row(
    bytes: &[u8],
    node: &mut Node,
    state: &mut SchemaState<'_>,
    cx: &mut Cx,
) -> Result<Row, Fail> {
    let mut sc = Scanner::new(bytes);
    if sc.peek() != Some(b'{') {
        if sc.peek().is_some() {
            sc.skip_value()?;
        }
        return Err(Fail::Data(ENVELOPE_ERROR.into()));
    }
    sc.pos += 1;
    sc.enter()?;
    let mut schema: Option<Check> = None;
    let mut payload: Option<Span> = None;
    let mut decoded = false;
    if sc.peek() == Some(b'}') {
        return Err(Fail::Data(ENVELOPE_ERROR.into()));
    }
    loop {
        if sc.peek() != Some(b'"') {
            return Err(sc.unexpected("a field name (double-quote)"));
        }
        let which = match sc.string(&mut cx.scratch)? {
            b"schema" => 0,
            b"payload" => 1,
            _ => 2,
        };
        sc.expect(b':', "':' after a field name")?;
        sc.ws();
        let start = sc.pos;
        match which {
            0 if schema.is_none() => {
                // A JSON value is self-delimiting: if the known schema text starts here, it is
                // the whole value, and a memcmp replaces scanning it.
                if let Some(len) = state.known_prefix(&bytes[start..]) {
                    sc.pos = start + len;
                    schema = Some(Check::Same);
                } else {
                    sc.skip_value()?;
                    schema = Some(state.check(&bytes[start..sc.pos])?);
                }
            }
            1 if payload.is_none() && !decoded => {
                if matches!(schema, Some(Check::Same)) {
                    node.value(&mut sc, cx)?;
                    decoded = true;
                } else {
                    sc.skip_value()?;
                    payload = Some((start, sc.pos));
                }
            }
            _ => {
                sc.skip_value()?;
                return Err(Fail::Data(ENVELOPE_ERROR.into()));
            }
        }
        if !sc.next_or_close(b'}')? {
            break;
        }
    }
    match (schema, payload, decoded) {
        (Some(Check::Same), _, true) => Ok(Row::Decoded),
        (Some(Check::Same), Some((s, e)), false) => node
            .value(&mut Scanner::new(&bytes[s..e]), cx)
            .map(|()| Row::Decoded),
        // Schemaless, or neither schema nor value (a tombstone, segment of its own).
        (Some(Check::Null | Check::Other), Some(_), false) => Ok(Row::SchemaChanged),
        _ => Err(Fail::Data(ENVELOPE_ERROR.into())),
    }
}

/// The canonical JSON JsonConverter writes for a schema default given as `raw` JSON (`None`
/// for `null`): decoded with the schema, then encoded again.
pub(crate) fn canonical_default(
    schema: &ConnectSchema,
    raw: &[u8],
    opts: &Opts,
) -> Result<Option<Vec<u8>>, String> {
    let mut sc = Scanner::new(raw);
    if sc.peek() == Some(b'n') {
        return Ok(None);
    }
    let mut node = Node::for_schema(schema, "default", false, false)?;
    let mut cx = Cx {
        replace_null_with_default: opts.replace_null_with_default,
        map_entries_as_objects: opts.map_entries_as_objects,
        schemaless: false,
        scratch: Vec::new(),
    };
    node.value(&mut sc, &mut cx).map_err(|f| match f {
        Fail::Syntax(m) | Fail::Data(m) => m,
        Fail::Mismatch => "mismatch".into(),
    })?;
    let array = node.finish().map_err(|e| e.to_string())?;
    let enc = Enc::new(&node.field, &array, Some(schema), opts)?;
    let mut out = Vec::new();
    enc.write(0, &mut out)?;
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{AsArray, Float64Array, Int32Array, Int64Array, StringArray, StructArray};
    use arrow::datatypes::{DataType, Fields, Int32Type, Int64Type};
    use proptest::prelude::*;
    use std::collections::HashMap;
    use strait_engine::Fault;

    fn plain(values: &[Option<&[u8]>]) -> (BinaryArray, Vec<RowError>) {
        let c = conv(&[("schemas.enable", "false")]);
        assert!(c.plain_json());
        c.normalize_plain_json(&BinaryArray::from(values.to_vec()))
            .unwrap()
    }

    #[test]
    fn plain_json_rows_pass_through_untouched() {
        let input: &[Option<&[u8]>] = &[Some(b"{\"a\":1}"), None, Some(b"[1,2]"), Some(b"\"s\"")];
        let (out, errors) = plain(input);
        assert!(errors.is_empty());
        // Nothing to change: the very same buffer comes back (no copy).
        let original = BinaryArray::from(input.to_vec());
        assert_eq!(out, original);
        assert!(out.is_null(1));
    }

    #[test]
    fn plain_json_is_cut_to_one_line_and_nulls_follow_to_connect() {
        let (out, errors) = plain(&[
            Some(b"  {\"a\":\n  \"x\\ny\"}\r\n"),
            Some(b""),
            Some(b" null "),
            Some(b"{\"b\":2} trailing words"),
            Some(b"{\"broken\":"),
            Some(b"{\"bad\":\"\xff\"}"),
        ]);
        assert_eq!(out.value(0), b"{\"a\":   \"x\\ny\"}");
        assert!(out.is_null(1) && out.is_null(2));
        assert_eq!(out.value(3), b"{\"b\":2}");
        assert!(out.is_null(4) && out.is_null(5));
        let rows: Vec<usize> = errors.iter().map(|e| e.row).collect();
        assert_eq!(rows, vec![4, 5]);
        assert!(errors[0].error.message().starts_with(SERIALIZATION_ERROR));
        // The same rows fail (and the same rows are null) when decoded for real.
        let c = conv(&[("schemas.enable", "false")]);
        let decoded = c
            .to_connect(&BinaryArray::from(vec![
                Some(&b"{\"broken\":"[..]),
                Some(b"{\"bad\":\"\xff\"}"),
                Some(b""),
            ]))
            .unwrap();
        let failed: Vec<usize> = decoded.errors.iter().map(|e| e.row).collect();
        assert_eq!(failed, vec![0, 1]);
    }

    #[test]
    fn bytes_after_the_first_value_are_ignored_even_when_another_row_is_not_utf8() {
        // Found by the fuzzer: the strict UTF-8 pass (taken because row 0 holds an invalid
        // string) used to check row 1's trailing byte too, and refused it; Jackson's readTree
        // never reads it.
        let c = conv(&[("schemas.enable", "false")]);
        let rows: Vec<Option<&[u8]>> = vec![Some(b"\"=\xa3\""), Some(b""), Some(b"22\xcd")];
        let input = BinaryArray::from(rows);
        let decoded = c.to_connect(&input).unwrap();
        let failed: Vec<usize> = decoded.errors.iter().map(|e| e.row).collect();
        assert_eq!(failed, vec![0]);
        let (plain, errors) = c.normalize_plain_json(&input).unwrap();
        assert_eq!(errors.iter().map(|e| e.row).collect::<Vec<_>>(), vec![0]);
        assert_eq!(plain.value(2), b"22");
    }

    #[test]
    fn envelope_converters_are_not_plain_json() {
        let c = conv(&[]);
        assert!(!c.plain_json());
        assert!(c
            .normalize_plain_json(&BinaryArray::from(vec![Some(&b"{}"[..])]))
            .is_err());
    }

    fn conv(pairs: &[(&str, &str)]) -> JsonConverter {
        let props: Props = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        JsonConverter::new(&props, false).unwrap()
    }

    fn payloads(rows: &[Option<&str>]) -> BinaryArray {
        BinaryArray::from(
            rows.iter()
                .map(|r| r.map(str::as_bytes))
                .collect::<Vec<_>>(),
        )
    }

    /// Every row encoded again, segment by segment.
    fn encode_text(c: &JsonConverter, d: &Decoded) -> Vec<Option<String>> {
        let mut rows = Vec::new();
        for s in &d.segments {
            assert_eq!(s.start_row, rows.len(), "segments cover the rows in order");
            let out = c.from_connect(&s.field, &s.array).unwrap();
            rows.extend(
                out.iter()
                    .map(|b| b.map(|b| String::from_utf8(b.to_vec()).unwrap())),
            );
        }
        rows
    }

    /// The segment of a column with one schema.
    fn only(d: &Decoded) -> &Segment {
        d.only()
            .unwrap_or_else(|| panic!("{} segments", d.segments.len()))
    }

    fn starts(d: &Decoded) -> Vec<usize> {
        d.segments.iter().map(|s| s.start_row).collect()
    }

    const INT32: &str = r#"{"type":"int32","optional":false}"#;

    #[test]
    fn envelope_round_trip_with_tombstones_and_bad_rows() {
        let c = conv(&[]);
        let ok = format!(r#"{{"schema":{INT32},"payload":7}}"#);
        let spaced = r#"{ "schema" : { "optional":false, "type":"int32" }, "payload" : 8 }"#;
        let payload_first = format!(r#"{{"payload":9,"schema":{INT32}}}"#);
        let rows = [
            Some(ok.as_str()),
            Some("{\"schema\":"),
            Some(spaced),
            Some(r#"{"payload":1}"#),
            Some(payload_first.as_str()),
            Some(r#"{"schema":{"type":"int32","optional":false},"payload":"x"}"#),
            Some(r#"{"schema":{"type":"int32","optional":false},"payload":null}"#),
            None,
        ];
        let d = c.to_connect(&payloads(&rows)).unwrap();
        // The tombstone is a segment of its own, without schema or value.
        assert_eq!(starts(&d), vec![0, 7]);
        let tombstone = &d.segments[1];
        assert_eq!(tombstone.field.data_type(), &DataType::Null);
        assert!(schema::is_schemaless(&tombstone.field));
        let s = &d.segments[0];
        assert_eq!(s.field.data_type(), &DataType::Int32);
        let a = s.array.as_primitive::<Int32Type>();
        assert_eq!((a.value(0), a.value(2), a.value(4)), (7, 8, 9));
        let failed: Vec<usize> = d.errors.iter().map(|e| e.row).collect();
        assert_eq!(failed, vec![1, 3, 5, 6]);
        assert!(d.errors.iter().all(|e| e.error.fault() == Fault::Data));
        assert!(
            d.errors[0].error.message().starts_with(SERIALIZATION_ERROR),
            "{}",
            d.errors[0].error
        );
        assert_eq!(d.errors[1].error.message(), ENVELOPE_ERROR);
        assert_eq!(
            d.errors[3].error.message(),
            "Invalid null value for required INT32 field"
        );
        for row in [1, 3, 5, 6] {
            assert!(a.is_null(row), "row {row}");
        }
        // Re-encoding: values in Java's form; the tombstone stays a null payload.
        let out = encode_text(&c, &d);
        assert_eq!(out[0].as_deref(), Some(ok.as_str()));
        assert_eq!(
            out[2].as_deref(),
            Some(format!(r#"{{"schema":{INT32},"payload":8}}"#).as_str())
        );
        assert_eq!(out[7], None);
    }

    #[test]
    fn schema_changes_start_segments_and_failed_rows_do_not() {
        let c = conv(&[]);
        let a =
            |v: &str| format!(r#"{{"schema":{{"type":"int32","optional":false}},"payload":{v}}}"#);
        let b = |v: &str| {
            format!(
                r#"{{"schema":{{"type":"struct","fields":[{{"type":"string","optional":false,"field":"b"}},{{"type":"int64","optional":false,"field":"c"}}],"optional":false}},"payload":{v}}}"#
            )
        };
        // Same schema as `a`, written differently: no boundary.
        let a_again = r#"{"payload":3,"schema":{"optional":false,"type":"int32"}}"#;
        let rows: Vec<Option<String>> = vec![
            Some(a("1")),                                            // 0: segment 0
            Some(a("\"bad\"")),                                      // 1: fails, stays in segment 0
            Some("{oops".into()),                                    // 2: fails, stays in segment 0
            Some(a_again.into()),                                    // 3
            Some(b(r#"{"b":"x","c":5}"#)),                           // 4: segment 1
            Some(b(r#"{"b":"y","c":"no"}"#)),                        // 5: fails, stays in segment 1
            Some(a("2")),                                            // 6: segment 2
            Some(r#"{"schema":null,"payload":{"k":true}}"#.into()),  // 7: segment 3, schemaless
            Some(r#"{"schema":null,"payload":{"k":false}}"#.into()), // 8
            Some(b(r#"{"b":"z","c":6}"#)),                           // 9: segment 4
        ];
        let input = payloads(&rows.iter().map(|r| r.as_deref()).collect::<Vec<_>>());
        let d = c.to_connect(&input).unwrap();
        assert_eq!(starts(&d), vec![0, 4, 6, 7, 9]);
        assert_eq!(d.num_rows(), rows.len());
        assert_eq!(
            d.errors.iter().map(|e| e.row).collect::<Vec<_>>(),
            vec![1, 2, 5]
        );
        let types: Vec<&DataType> = d.segments.iter().map(|s| s.field.data_type()).collect();
        assert_eq!(types[0], &DataType::Int32);
        assert!(matches!(types[1], DataType::Struct(f) if f.len() == 2));
        assert_eq!(types[2], &DataType::Int32);
        assert!(schema::is_schemaless(&d.segments[3].field));
        assert_eq!(types[4], types[1]);
        let first = d.segments[0].array.as_primitive::<Int32Type>();
        assert_eq!(first.len(), 4);
        assert_eq!((first.value(0), first.value(3)), (1, 3));
        assert!(first.is_null(1) && first.is_null(2));
        let second = d.segments[1].array.as_struct();
        assert_eq!(second.len(), 2);
        assert_eq!(second.column(0).as_string::<i32>().value(0), "x");
        assert!(second.is_null(1));
        // Every segment encodes back to what Java writes for its rows.
        let out = encode_text(&c, &d);
        assert_eq!(out[0].as_deref(), Some(a("1").as_str()));
        assert_eq!(out[3].as_deref(), Some(a("3").as_str()));
        assert_eq!(out[4], rows[4]);
        assert_eq!(out[6], rows[6]);
        assert_eq!(out[7], rows[7]);
        assert_eq!(out[9], rows[9]);
    }

    #[test]
    fn tombstones_are_segments_without_schema_or_value() {
        let c = conv(&[]);
        let a = |v: &str| format!(r#"{{"schema":{INT32},"payload":{v}}}"#);
        let optional = r#"{"schema":{"type":"int32","optional":true},"payload":null}"#;
        let no_schema_no_value = r#"{ "payload" : null , "schema" : null }"#;
        let rows: Vec<Option<String>> = vec![
            None,                                             // 0: tombstones first: segment 0
            Some(no_schema_no_value.into()),                  // 1: the same to Java
            Some(a("1")),                                     // 2: segment 1
            None,                                             // 3: segment 2
            Some(a("2")),                                     // 4: segment 3, the schema again
            Some(optional.into()),                            // 5: segment 4: null WITH a schema
            Some(r#"{"schema":null,"payload":5}"#.into()),    // 6: segment 5, schemaless
            Some(r#"{"schema":null,"payload":null}"#.into()), // 7: segment 6
            Some(r#"{"schema":null,"payload":6}"#.into()),    // 8: segment 7
            None,                                             // 9: segment 8, to the end
            None,                                             // 10
        ];
        let input = payloads(&rows.iter().map(|r| r.as_deref()).collect::<Vec<_>>());
        let d = c.to_connect(&input).unwrap();
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        assert_eq!(starts(&d), vec![0, 2, 3, 4, 5, 6, 7, 8, 9]);
        for i in [0, 2, 6, 8] {
            let s = &d.segments[i];
            assert_eq!(s.field.data_type(), &DataType::Null, "segment {i}");
            assert!(schema::is_schemaless(&s.field), "segment {i}");
            assert_eq!(s.field.name(), "value");
            assert_eq!(s.array.logical_null_count(), s.array.len());
        }
        assert_eq!(d.segments[8].array.len(), 2);
        // The optional schema's null keeps its schema, as Java keeps it.
        assert!(!schema::is_schemaless(&d.segments[4].field));
        assert_eq!(d.segments[4].field.data_type(), &DataType::Int32);
        // Tombstones are written back as null payloads, as Java writes SchemaAndValue.NULL.
        let out = encode_text(&c, &d);
        for row in [0, 1, 3, 7, 9, 10] {
            assert_eq!(out[row], None, "row {row}");
        }
        assert_eq!(out[4].as_deref(), Some(a("2").as_str()));
        assert_eq!(out[5].as_deref(), Some(optional));
        assert_eq!(out[8], rows[8]);
        // A column of tombstones only (null keys) is one segment; no schema is cached from it.
        let d = c.to_connect(&payloads(&[None, None, None])).unwrap();
        assert_eq!(only(&d).field.data_type(), &DataType::Null);
    }

    #[test]
    fn one_schema_is_one_segment_holding_every_row() {
        let c = conv(&[]);
        let rows: Vec<String> = (0..100)
            .map(|i| format!(r#"{{"schema":{INT32},"payload":{i}}}"#))
            .collect();
        let d = c
            .to_connect(&payloads(
                &rows.iter().map(|r| Some(r.as_str())).collect::<Vec<_>>(),
            ))
            .unwrap();
        let s = only(&d);
        assert_eq!((s.start_row, s.array.len()), (0, 100));
        assert!(d.errors.is_empty());
        let d = c.to_connect(&payloads(&[])).unwrap();
        assert_eq!(only(&d).array.len(), 0);
    }

    #[test]
    fn a_schema_strait_cannot_decode_fails_only_its_own_run() {
        let c = conv(&[]);
        let bad = r#"{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal"},"payload":"AQ=="}"#;
        let good = format!(r#"{{"schema":{INT32},"payload":4}}"#);
        let d = c
            .to_connect(&payloads(&[
                Some(bad),
                None,
                Some(bad),
                Some(&good),
                Some(bad),
            ]))
            .unwrap();
        // The tombstone cuts the failing run.
        assert_eq!(starts(&d), vec![0, 1, 2, 3, 4]);
        assert_eq!(
            d.errors.iter().map(|e| e.row).collect::<Vec<_>>(),
            vec![0, 2, 4]
        );
        assert!(d.errors[0]
            .error
            .message()
            .contains("scale parameter not found"));
        assert_eq!(d.segments[3].array.as_primitive::<Int32Type>().value(0), 4);
    }

    #[test]
    fn optional_schema_nulls_and_schema_null_envelopes() {
        let c = conv(&[]);
        let d = c
            .to_connect(&payloads(&[
                Some(r#"{"schema":{"type":"string","optional":true},"payload":null}"#),
                Some(r#"{"schema":{"type":"string","optional":true},"payload":"a"}"#),
            ]))
            .unwrap();
        assert!(d.errors.is_empty());
        assert_eq!(
            encode_text(&c, &d)[0].as_deref(),
            Some(r#"{"schema":{"type":"string","optional":true},"payload":null}"#)
        );
        // A typed record after schemaless ones starts its own segment.
        let d = c
            .to_connect(&payloads(&[
                Some(r#"{"schema":null,"payload":{"a":1}}"#),
                Some(r#"{"schema":null,"payload":{"a":2,"b":"x"}}"#),
                Some(r#"{"schema":{"type":"int8"},"payload":1}"#),
            ]))
            .unwrap();
        assert_eq!(starts(&d), vec![0, 2]);
        assert!(schema::is_schemaless(&d.segments[0].field));
        assert_eq!(d.segments[1].field.data_type(), &DataType::Int8);
        assert!(d.errors.is_empty());
        let out = encode_text(&c, &d);
        assert_eq!(
            out[1].as_deref(),
            Some(r#"{"schema":null,"payload":{"a":2,"b":"x"}}"#)
        );
        assert_eq!(
            out[2].as_deref(),
            Some(r#"{"schema":{"type":"int8","optional":false},"payload":1}"#)
        );
    }

    #[test]
    fn schemaless_types_widen_across_batches_and_rows_fail_alone() {
        let c = conv(&[("schemas.enable", "false")]);
        let d = c
            .to_connect(&payloads(&[
                Some(r#"{"a":1,"b":"x"}"#),
                Some("{bad"),
                None,
                Some(""),
            ]))
            .unwrap();
        let DataType::Struct(fields) = only(&d).field.data_type() else {
            panic!()
        };
        assert_eq!(fields[0].data_type(), &DataType::Int64);
        assert_eq!(d.errors.len(), 1);
        assert_eq!(d.errors[0].row, 1);
        assert!(only(&d).array.is_null(2) && only(&d).array.is_null(3));
        // Same shape: the cached type is used as is.
        let d = c
            .to_connect(&payloads(&[Some(r#"{"b":"y","a":2}"#)]))
            .unwrap();
        assert_eq!(
            only(&d).field.data_type(),
            &DataType::Struct(fields.clone())
        );
        // A float and a new member widen the type (and it stays wide).
        let d = c
            .to_connect(&payloads(&[
                Some(r#"{"a":2}"#),
                Some(r#"{"a":2.5,"c":true}"#),
            ]))
            .unwrap();
        let st = only(&d).array.as_struct();
        assert_eq!(
            st.column(0)
                .as_primitive::<arrow::datatypes::Float64Type>()
                .values(),
            &[2.0, 2.5]
        );
        assert_eq!(st.column_names(), vec!["a", "b", "c"]);
        let d = c.to_connect(&payloads(&[Some(r#"{"a":1}"#)])).unwrap();
        assert_eq!(only(&d).array.as_struct().num_columns(), 3);
        assert_eq!(
            encode_text(&c, &d)[0].as_deref(),
            Some(r#"{"a":1.0,"b":null,"c":null}"#)
        );
    }

    #[test]
    fn schemaless_conflicts_keep_raw_json() {
        let c = conv(&[("schemas.enable", "false")]);
        let rows = [
            Some(r#"{"v":1}"#),
            Some(r#"{"v":"s"}"#),
            Some(r#"{"v":[1,{"x":null}]}"#),
        ];
        let d = c.to_connect(&payloads(&rows)).unwrap();
        let DataType::Struct(fields) = only(&d).field.data_type() else {
            panic!()
        };
        assert_eq!(
            fields[0].metadata().get(RAW_JSON).map(String::as_str),
            Some("true")
        );
        let out = encode_text(&c, &d);
        assert_eq!(
            out,
            rows.iter().map(|r| r.map(String::from)).collect::<Vec<_>>()
        );
    }

    #[test]
    fn invalid_utf8_fails_only_its_row() {
        for enable in ["true", "false"] {
            let c = conv(&[("schemas.enable", enable)]);
            let good = if enable == "true" {
                r#"{"schema":{"type":"string"},"payload":"ok"}"#
            } else {
                r#""ok""#
            };
            let mut bad = good.as_bytes().to_vec();
            let at = bad.len() - if enable == "true" { 3 } else { 2 };
            bad[at] = 0xFF;
            let arr = BinaryArray::from(vec![Some(good.as_bytes()), Some(&bad[..])]);
            let d = c.to_connect(&arr).unwrap();
            assert_eq!(d.errors.len(), 1, "{enable}");
            assert_eq!(d.errors[0].row, 1);
            assert_eq!(only(&d).array.as_string::<i32>().value(0), "ok");
        }
    }

    #[test]
    fn options_are_validated_with_their_keys() {
        let err = JsonConverter::new(
            &Props::from([("decimal.format".into(), "HEX".into())]),
            false,
        )
        .unwrap_err();
        assert_eq!(err.fault(), Fault::Config);
        assert!(err.message().contains("decimal.format"), "{err}");
        let err = JsonConverter::new(
            &Props::from([("schemas.enable".into(), "maybe".into())]),
            false,
        )
        .unwrap_err();
        assert!(err.message().contains("schemas.enable"), "{err}");
        let err = JsonConverter::new(
            &Props::from([("schemas.cache.size".into(), "x".into())]),
            false,
        )
        .unwrap_err();
        assert!(err.message().contains("schemas.cache.size"), "{err}");
        let ok = Props::from([
            ("decimal.format".into(), "numeric".into()),
            ("schemas.cache.size".into(), "10".into()),
            ("converter.type".into(), "key".into()),
        ]);
        assert!(JsonConverter::new(&ok, true).unwrap().opts.decimal_numeric);
    }

    #[test]
    fn encodes_typed_columns_without_connect_metadata() {
        let c = conv(&[]);
        let st = StructArray::new(
            Fields::from(vec![
                Field::new("id", DataType::Int64, false),
                Field::new("name", DataType::Utf8, true),
            ]),
            vec![
                Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef,
                Arc::new(StringArray::from(vec![Some("a"), None])) as ArrayRef,
            ],
            None,
        );
        let field = Field::new("value", st.data_type().clone(), false);
        let d = Decoded::single(field, Arc::new(st), vec![]);
        assert_eq!(
            encode_text(&c, &d)[1].as_deref(),
            Some(
                r#"{"schema":{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"},{"type":"string","optional":true,"field":"name"}],"optional":false},"payload":{"id":2,"name":null}}"#
            )
        );
        // A null row of a required top-level column is a tombstone.
        let required = HashMap::from([(schema::OPTIONAL.to_string(), "false".to_string())]);
        let top = Decoded::single(
            Field::new("value", DataType::Float64, true).with_metadata(required.clone()),
            Arc::new(Float64Array::from(vec![Some(1.0), None])),
            vec![],
        );
        assert_eq!(
            encode_text(&c, &top),
            vec![
                Some(r#"{"schema":{"type":"double","optional":false},"payload":1.0}"#.into()),
                None
            ]
        );
        // A null in a required member without default is Java's conversion error.
        let x = Field::new("x", DataType::Int32, true).with_metadata(required);
        let st = StructArray::new(
            Fields::from(vec![x]),
            vec![Arc::new(Int32Array::from(vec![None])) as ArrayRef],
            None,
        );
        let field = Field::new("value", st.data_type().clone(), true);
        let err = c
            .from_connect(&field, &(Arc::new(st) as ArrayRef))
            .unwrap_err();
        assert_eq!(err.fault(), Fault::Data);
        assert!(
            err.message().ends_with(
                "Conversion error: null value for field that is required and has no default value"
            ),
            "{err}"
        );
    }

    /// What the fuzz targets check, on mutated golden-like payloads: no panic, one row per
    /// payload, decoded columns encode, and our own output decodes without row errors.
    #[test]
    fn mutated_payloads_never_panic_and_round_trip() {
        let seeds: [&[u8]; 6] = [
            br#"{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"a"},{"type":"array","items":{"type":"string","optional":true},"optional":true,"field":"b"},{"type":"map","keys":{"type":"int64","optional":false},"values":{"type":"double","optional":true},"optional":true,"field":"m"}],"optional":false},"payload":{"a":1,"b":["x",null],"m":[[1,2.5]]}}"#,
            br#"{"schema":{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"},"default":"AQ=="},"payload":"MDk="}"#,
            br#"{"schema":{"type":"int32","optional":true,"name":"org.apache.kafka.connect.data.Time","version":1},"payload":45296789}"#,
            br#"{"schema":null,"payload":{"k":[1,"two",{"x":null}],"f":1.5e300}}"#,
            br#"{"id":1,"name":"x\ty \ud83d\ude00","score":2.5,"ok":true,"tags":["a"],"n":{"k":"v"}}"#,
            br#"[1,"two",3.0,null,[],{"a":-0.0}]"#,
        ];
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let specials = b"{}[]\",:0-9.eE+ntfu\\\x00\xff";
        for round in 0..3000 {
            let mut input = seeds[round % seeds.len()].to_vec();
            for _ in 0..(next() % 4) {
                let at = (next() as usize) % (input.len() + 1);
                match next() % 4 {
                    0 => input.truncate(at),
                    1 if at < input.len() => {
                        input[at] = specials[(next() as usize) % specials.len()]
                    }
                    2 => input.insert(
                        at.min(input.len()),
                        specials[(next() as usize) % specials.len()],
                    ),
                    _ if at < input.len() => {
                        input.remove(at);
                    }
                    _ => {}
                }
            }
            for enable in ["true", "false"] {
                let c = conv(&[
                    ("schemas.enable", enable),
                    (
                        "decimal.format",
                        if round % 2 == 0 { "NUMERIC" } else { "BASE64" },
                    ),
                ]);
                let column = payloads(&[None]);
                let column = BinaryArray::from(vec![
                    Some(&input[..]),
                    column.is_null(0).then_some(&b"null"[..]),
                    None,
                ]);
                let d = c.to_connect(&column).unwrap();
                assert_eq!(d.num_rows(), 3);
                for s in &d.segments {
                    let encoded = c.from_connect(&s.field, &s.array).unwrap_or_else(|e| {
                        panic!(
                            "encode failed for {:?}: {e}",
                            String::from_utf8_lossy(&input)
                        )
                    });
                    let again = c.to_connect(&encoded).unwrap();
                    assert!(
                        again.errors.is_empty(),
                        "{:?} -> {:?}: {:?}",
                        String::from_utf8_lossy(&input),
                        encoded,
                        again.errors
                    );
                }
            }
        }
    }

    /// A flat JSON object for the property test: keys from a small pool, each key with one
    /// value kind (so inference stays scalar), values sometimes null or missing.
    fn flat_object() -> impl Strategy<Value = String> {
        let value = |k: usize| -> BoxedStrategy<String> {
            match k % 5 {
                0 => any::<i64>().prop_map(|v| v.to_string()).boxed(),
                // At most 15 significant digits, so serde_json (the reference) parses exactly.
                1 => (-10i64.pow(12)..10i64.pow(12))
                    .prop_map(|v| format!("{:?}", v as f64 / 1000.0))
                    .boxed(),
                2 => "[a-zA-Z0-9 é\"\\\\/\n\t✓😀]{0,12}"
                    .prop_map(|s| serde_json::to_string(&s).unwrap())
                    .boxed(),
                3 => any::<bool>().prop_map(|b| b.to_string()).boxed(),
                _ => prop_oneof![
                    any::<i32>().prop_map(|v| v.to_string()),
                    (-10i64.pow(6)..10i64.pow(6)).prop_map(|v| format!("{:?}", v as f64 / 100.0))
                ]
                .boxed(),
            }
        };
        let members: Vec<BoxedStrategy<Option<String>>> = (0..6)
            .map(|k| {
                prop_oneof![
                    6 => value(k).prop_map(move |v| Some(format!("\"k{k}\":{v}"))),
                    1 => Just(Some(format!("\"k{k}\":null"))),
                    1 => Just(None),
                ]
                .boxed()
            })
            .collect();
        members.prop_map(|ms| {
            format!(
                "{{{}}}",
                ms.into_iter().flatten().collect::<Vec<_>>().join(",")
            )
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// The columnar schemaless decoder agrees with a row-at-a-time serde_json reading.
        #[test]
        fn schemaless_decode_matches_row_wise_reference(rows in proptest::collection::vec(flat_object(), 1..40)) {
            let c = conv(&[("schemas.enable", "false")]);
            let d = c.to_connect(&payloads(&rows.iter().map(|r| Some(r.as_str())).collect::<Vec<_>>())).unwrap();
            prop_assert!(d.errors.is_empty());
            let st = only(&d).array.as_struct();
            for (row, text) in rows.iter().enumerate() {
                let reference: serde_json::Value = serde_json::from_str(text).unwrap();
                for (field, column) in st.fields().iter().zip(st.columns()) {
                    let want = &reference[field.name()];
                    if want.is_null() {
                        prop_assert!(column.logical_nulls().is_some_and(|n| n.is_null(row)));
                        continue;
                    }
                    match column.data_type() {
                        DataType::Int64 => prop_assert_eq!(Some(column.as_primitive::<Int64Type>().value(row)), want.as_i64()),
                        DataType::Float64 => prop_assert_eq!(
                            Some(column.as_primitive::<arrow::datatypes::Float64Type>().value(row)),
                            want.as_f64()
                        ),
                        DataType::Utf8 => prop_assert_eq!(Some(column.as_string::<i32>().value(row)), want.as_str()),
                        DataType::Boolean => prop_assert_eq!(Some(column.as_boolean().value(row)), want.as_bool()),
                        other => prop_assert!(false, "unexpected type {other}"),
                    }
                }
            }
            // And encoding gives the same JSON values back.
            let out = encode_text(&c, &d);
            for (row, text) in rows.iter().enumerate() {
                let want: serde_json::Value = serde_json::from_str(text).unwrap();
                let got: serde_json::Value = serde_json::from_str(out[row].as_deref().unwrap()).unwrap();
                for (k, v) in want.as_object().unwrap() {
                    let g = &got[k];
                    match (v.as_f64(), g.as_f64()) {
                        (Some(a), Some(b)) => prop_assert_eq!(a, b),
                        _ => prop_assert_eq!(v, g),
                    }
                }
            }
        }
    }
}
