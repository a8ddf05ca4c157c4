//! File formats of storage sinks (Confluent's `io.confluent.connect.s3.format.*`): Parquet,
//! Avro object container files, JSON lines and raw bytes. A [`FileWriter`] takes whole Arrow
//! columns of Connect data (typed arrays whose field metadata carries the Connect schema, see
//! [`strait_engine::schema`]) and encodes them into the bytes of one object.

use arrow::array::ArrayRef;
use arrow::datatypes::Field;

use strait_engine::plugin::RowError;
use strait_engine::Result;

/// Which format, and its settings (the connector's format keys, already parsed).
#[derive(Debug, Clone, PartialEq)]
pub struct FormatSettings {
    pub kind: FormatKind,
    /// `parquet.codec`: none, snappy, gzip, lzo, brotli, lz4, zstd, lz4_raw.
    pub parquet_codec: String,
    /// `avro.codec`: null, deflate, snappy, bzip2 (also xz, zstandard where supported).
    pub avro_codec: String,
    /// `s3.compression.type` gzip (JSON and ByteArray only), with `s3.compression.level`.
    pub gzip_level: Option<i32>,
    /// `json.decimal.format` = NUMERIC (default BASE64).
    pub json_decimal_numeric: bool,
    /// `format.bytearray.extension`.
    pub bytearray_extension: String,
    /// `format.bytearray.separator` (raw, escapes resolved).
    pub bytearray_separator: Vec<u8>,
    /// `enhanced.avro.schema.support` (default true in the S3 sink): Avro files write Connect
    /// enums that came from Avro as Avro enums (else as strings).
    pub avro_enhanced: bool,
}

impl FormatSettings {
    /// `kind` with the defaults of Confluent's keys (`parquet.codec=snappy`, `avro.codec=null`,
    /// no compression, `json.decimal.format=BASE64`, `.bin`, a `\n` separator).
    pub fn with_defaults(kind: FormatKind) -> Self {
        FormatSettings {
            kind,
            parquet_codec: "snappy".into(),
            avro_codec: "null".into(),
            gzip_level: None,
            json_decimal_numeric: false,
            bytearray_extension: ".bin".into(),
            bytearray_separator: b"\n".to_vec(),
            avro_enhanced: true,
        }
    }
}

/// The four formats of Confluent's S3 sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatKind {
    Parquet,
    Avro,
    Json,
    ByteArray,
}

/// How an incoming column's schema relates to the schema of an open file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaChange {
    /// Same schema: append.
    Same,
    /// Different but the rows can go into the open file (e.g. schemaless JSON whose inferred
    /// type widens safely); the writer converts them.
    Compatible,
    /// The open file must be committed and a new one started with the new schema.
    Rotate,
}

/// Writes one object.
pub trait FileWriter: Send {
    /// Appends every row of `values` (typed as the `field` the writer was created with, or a
    /// [`SchemaChange::Compatible`] one). Rows that cannot be written come back as errors (row
    /// index into `values`), every other row is written.
    fn write(&mut self, values: &ArrayRef, field: &Field) -> Result<Vec<RowError>>;
    /// Encoded bytes ready for upload, drained: the caller uploads them as parts.
    fn take_encoded(&mut self) -> Vec<u8>;
    /// Memory this writer holds: encoded bytes not taken yet plus encoder state (e.g. a
    /// Parquet row group in progress). Drives the worker-wide buffer budget.
    fn buffered_bytes(&self) -> usize;
    /// Rows written so far.
    fn rows(&self) -> usize;
    /// Ends the object and returns its remaining bytes (e.g. the last row group and footer).
    fn finish(self: Box<Self>) -> Result<Vec<u8>>;
}

pub mod avro;
pub mod bytearray;
pub mod json;
pub mod parquet;

use std::io::Write;
use std::sync::Arc;

use arrow::array::{Array, ListArray, StringBuilder, StructArray};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Fields};
use flate2::write::GzEncoder;
use flate2::{Compression, GzBuilder};
use strait_engine::batch::header_entries;
use strait_engine::{schema, Error};

use crate::json::connect::ConnectSchema;
use crate::json::Opts;

/// Which view of a record a file holds (Confluent's `RecordView`s): the value, the key sidecar
/// or the headers sidecar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Value,
    Keys,
    Headers,
}

impl View {
    /// The infix Confluent's record views insert before the format extension.
    pub fn infix(self) -> &'static str {
        match self {
            View::Value => "",
            View::Keys => ".keys",
            View::Headers => ".headers",
        }
    }
}

/// The file extension of a format (`getExtension()` of Confluent's record writer providers):
/// `.avro`, `.json` (+ `.gz`), `format.bytearray.extension` (+ `.gz`), and Parquet's
/// codec-dependent one.
pub fn extension(settings: &FormatSettings) -> Result<String> {
    let gz = if settings.gzip_level.is_some() {
        ".gz"
    } else {
        ""
    };
    Ok(match settings.kind {
        FormatKind::Avro => ".avro".to_string(),
        FormatKind::Json => format!(".json{gz}"),
        FormatKind::ByteArray => format!("{}{gz}", settings.bytearray_extension),
        FormatKind::Parquet => parquet::extension(&settings.parquet_codec)?,
    })
}

/// The extension of a sidecar (or value) file: Confluent's `getAdjustedFilename` puts the
/// view's `.keys` / `.headers` before the format extension, e.g. `t+0+0000000000.keys.avro`.
pub fn sidecar_extension(settings: &FormatSettings, view: View) -> Result<String> {
    Ok(format!("{}{}", view.infix(), extension(settings)?))
}

/// A writer for one object of this format whose rows are typed as `field`.
pub fn new_writer(settings: &FormatSettings, field: &Field) -> Result<Box<dyn FileWriter>> {
    Ok(match settings.kind {
        FormatKind::Avro => Box::new(avro::AvroWriter::new(settings, field)?),
        FormatKind::Json => Box::new(json::JsonWriter::new(settings, field)?),
        FormatKind::ByteArray => Box::new(bytearray::ByteArrayWriter::new(settings, field)?),
        FormatKind::Parquet => Box::new(parquet::ParquetWriter::new(settings, field)?),
    })
}

/// How `incoming` relates to the schema of the open file (`schema.compatibility=NONE`: Connect's
/// `Schema.equals`, i.e. type, optional, default, name, version, doc, parameters and every child
/// schema). Schemaless data has no schema: JSON writes each record on its own, so two schemaless
/// columns are the same whatever their inferred Arrow types; a switch between schemaless and a
/// schema rotates (Confluent fails the record with a SchemaProjectorException there; the
/// integrator decides). Parquet has its own rules.
pub fn schema_change(kind: FormatKind, open: &Field, incoming: &Field) -> SchemaChange {
    if kind == FormatKind::Parquet {
        return parquet::schema_change(open, incoming);
    }
    match (schema::is_schemaless(open), schema::is_schemaless(incoming)) {
        (true, true) if kind == FormatKind::Json => return SchemaChange::Same,
        (true, true) => {
            return if open.data_type() == incoming.data_type() {
                SchemaChange::Same
            } else {
                SchemaChange::Rotate
            }
        }
        (false, false) => {}
        _ => return SchemaChange::Rotate,
    }
    let opts = Opts::default();
    match (
        ConnectSchema::from_field(open, &opts),
        ConnectSchema::from_field(incoming, &opts),
    ) {
        (Ok(a), Ok(b)) if a == b => SchemaChange::Same,
        _ => SchemaChange::Rotate,
    }
}

/// Confluent's DataException for a null key when `store.kafka.keys=true`
/// (`KeyValueHeaderRecordWriterProvider`, with `Utils.sinkRecordToLoggableString`, whose
/// trailing space is part of the message).
pub fn null_key_error(topic: &str, partition: i32, offset: i64) -> Error {
    Error::data(format!(
        "Key cannot be null for SinkRecord: {}",
        loggable_record(topic, partition, offset)
    ))
}

/// Confluent's DataException for a record without headers when `store.kafka.headers=true`.
pub fn empty_headers_error(topic: &str, partition: i32, offset: i64) -> Error {
    Error::data(format!(
        "Headers cannot be null for SinkRecord: {}",
        loggable_record(topic, partition, offset)
    ))
}

fn loggable_record(topic: &str, partition: i32, offset: i64) -> String {
    format!("SinkRecord{{kafkaOffset={offset}, topic='{topic}', kafkaPartition={partition}}} ")
}

/// Whether Confluent wraps the key / headers view in a struct for this format (its writers
/// call `getViewSchema(record, envelop)`: Parquet always, JSON for headers only, Avro and
/// ByteArray never).
fn enveloped(kind: FormatKind, view: View) -> bool {
    match view {
        View::Value => false,
        View::Keys => kind == FormatKind::Parquet,
        View::Headers => matches!(kind, FormatKind::Parquet | FormatKind::Json),
    }
}

/// The column a keys sidecar file holds: the key as it is, or wrapped in Confluent's
/// `RecordKey { key }` struct where the format envelops it (Parquet).
pub fn keys_column(kind: FormatKind, key_field: &Field, keys: &ArrayRef) -> (Field, ArrayRef) {
    if !enveloped(kind, View::Keys) {
        return (key_field.clone(), keys.clone());
    }
    envelope("RecordKey", "key", key_field, keys)
}

/// Wrap a column into a one-field struct named `struct_name` (a required Connect struct, as
/// `SchemaBuilder.struct().name(..).field(..).build()` makes it).
fn envelope(struct_name: &str, member: &str, field: &Field, array: &ArrayRef) -> (Field, ArrayRef) {
    let mut inner = field.clone().with_name(member);
    // The member keeps its Connect optionality; Arrow nullability must admit the rows.
    if field.is_nullable() && !inner.metadata().contains_key(schema::OPTIONAL) {
        let mut md = inner.metadata().clone();
        md.insert(schema::OPTIONAL.to_string(), "true".to_string());
        inner = inner.with_metadata(md);
    }
    let fields = Fields::from(vec![inner]);
    let array: ArrayRef = Arc::new(StructArray::new(fields.clone(), vec![array.clone()], None));
    let mut md = std::collections::HashMap::new();
    md.insert(schema::NAME.to_string(), struct_name.to_string());
    md.insert(schema::OPTIONAL.to_string(), "false".to_string());
    (
        Field::new("value", DataType::Struct(fields), true).with_metadata(md),
        array,
    )
}

/// The column a headers sidecar file holds, built from Strait's `headers` column
/// (`List<Struct<key: Utf8, value: Binary>>` of serialized header values).
///
/// Confluent's `HeaderRecordView` writes `ARRAY<STRUCT<key: STRING, value: STRING>>` (all
/// required, unnamed struct), each value being `Values.convertToString` of the header as the
/// worker's header converter read it. With the default SimpleHeaderConverter that is the
/// header's UTF-8 text (invalid UTF-8 becomes U+FFFD, as Java decodes it); Strait writes that
/// text as is, where Java would re-print values it parsed as arrays or maps in its own form.
/// Formats that envelop it (JSON, Parquet) get `RecordHeaders { headers: ... }`.
///
/// A header with a null value fails its row with Connect's message for a null in the required
/// `value` field. Rows with no headers must be rejected by the caller first
/// ([`empty_headers_error`]); they come out as empty lists. ByteArrayFormat cannot hold headers
/// (Confluent rejects `headers.format.class=ByteArrayFormat`).
pub fn headers_column(
    kind: FormatKind,
    headers: &ArrayRef,
) -> Result<(Field, ArrayRef, Vec<RowError>)> {
    if kind == FormatKind::ByteArray {
        return Err(Error::config(
            "Invalid value class io.confluent.connect.s3.format.bytearray.ByteArrayFormat for configuration headers.format.class: ByteArrayFormat cannot store headers",
        ));
    }
    let list = headers
        .as_any()
        .downcast_ref::<ListArray>()
        .ok_or_else(|| Error::bug(format!("headers column is {}", headers.data_type())))?;
    let mut keys = StringBuilder::new();
    let mut values = StringBuilder::new();
    let mut offsets = vec![0i32];
    let mut len = 0usize;
    let mut errors = Vec::new();
    for row in 0..list.len() {
        let entries: Vec<_> = header_entries(list, row).collect();
        if entries.iter().any(|(_, v)| v.is_none()) {
            // The row is reported, not written.
            errors.push(RowError {
                row,
                error: Error::data(
                    "Invalid value: null used for required field: \"value\", schema type: STRING",
                ),
            });
        } else {
            for (key, value) in entries {
                keys.append_value(key);
                values.append_value(String::from_utf8_lossy(value.unwrap_or_default()));
                len += 1;
            }
        }
        offsets.push(i32::try_from(len).map_err(|_| Error::data("headers exceed 2 GiB"))?);
    }
    let entry_fields = Fields::from(vec![
        Field::new("key", DataType::Utf8, false),
        Field::new("value", DataType::Utf8, false),
    ]);
    let entries = StructArray::new(
        entry_fields.clone(),
        vec![Arc::new(keys.finish()), Arc::new(values.finish())],
        None,
    );
    let item = Arc::new(Field::new("item", DataType::Struct(entry_fields), false));
    let array: ArrayRef = Arc::new(ListArray::new(
        item.clone(),
        OffsetBuffer::new(offsets.into()),
        Arc::new(entries),
        None,
    ));
    let mut md = std::collections::HashMap::new();
    md.insert(schema::OPTIONAL.to_string(), "false".to_string());
    let field = Field::new("value", DataType::List(item), true).with_metadata(md);
    if enveloped(kind, View::Headers) {
        let (f, a) = envelope("RecordHeaders", "headers", &field, &array);
        return Ok((f, a, errors));
    }
    Ok((field, array, errors))
}

/// Encoded bytes, optionally through gzip (`s3.compression.type=gzip`), drained as parts.
pub(crate) enum Output {
    Plain(Vec<u8>),
    Gzip(GzEncoder<Vec<u8>>),
}

impl Output {
    /// Java's `GZIPOutputStream` with `Deflater.setLevel(level)`; -1 is zlib's default (6). The
    /// header says OS 0 and no mtime, as Java writes it.
    pub fn new(gzip_level: Option<i32>) -> Output {
        match gzip_level {
            None => Output::Plain(Vec::new()),
            Some(level) => {
                let level = if (0..=9).contains(&level) {
                    Compression::new(level as u32)
                } else {
                    Compression::default()
                };
                Output::Gzip(
                    GzBuilder::new()
                        .operating_system(0)
                        .write(Vec::new(), level),
                )
            }
        }
    }

    pub fn write(&mut self, bytes: &[u8]) -> Result<()> {
        match self {
            Output::Plain(v) => v.extend_from_slice(bytes),
            Output::Gzip(gz) => gz
                .write_all(bytes)
                .map_err(|e| Error::data(format!("gzip: {e}")))?,
        }
        Ok(())
    }

    pub fn take(&mut self) -> Vec<u8> {
        match self {
            Output::Plain(v) => std::mem::take(v),
            Output::Gzip(gz) => std::mem::take(gz.get_mut()),
        }
    }

    pub fn buffered(&self) -> usize {
        match self {
            Output::Plain(v) => v.len(),
            // Plus zlib's window and pending output, roughly.
            Output::Gzip(gz) => gz.get_ref().len() + 64 * 1024,
        }
    }

    pub fn finish(self) -> Result<Vec<u8>> {
        match self {
            Output::Plain(v) => Ok(v),
            Output::Gzip(gz) => gz.finish().map_err(|e| Error::data(format!("gzip: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::AsArray;
    use strait_engine::batch::HeaderListBuilder;

    fn settings(kind: FormatKind, gzip: Option<i32>) -> FormatSettings {
        FormatSettings {
            gzip_level: gzip,
            ..FormatSettings::with_defaults(kind)
        }
    }

    #[test]
    fn extensions_and_sidecars() {
        let avro = settings(FormatKind::Avro, None);
        assert_eq!(extension(&avro).unwrap(), ".avro");
        assert_eq!(sidecar_extension(&avro, View::Keys).unwrap(), ".keys.avro");
        let json = settings(FormatKind::Json, Some(-1));
        assert_eq!(extension(&json).unwrap(), ".json.gz");
        assert_eq!(
            sidecar_extension(&json, View::Headers).unwrap(),
            ".headers.json.gz"
        );
        assert_eq!(sidecar_extension(&json, View::Value).unwrap(), ".json.gz");
    }

    #[test]
    fn schema_change_is_connect_equality() {
        let a = Field::new("value", DataType::Int32, true);
        let named = schema::with_name(a.clone(), "x.Y");
        assert_eq!(schema_change(FormatKind::Avro, &a, &a), SchemaChange::Same);
        assert_eq!(
            schema_change(FormatKind::Avro, &a, &named),
            SchemaChange::Rotate
        );
        let mut md = named.metadata().clone();
        md.insert(schema::VERSION.to_string(), "2".to_string());
        let versioned = named.clone().with_metadata(md);
        assert_eq!(
            schema_change(FormatKind::Json, &named, &versioned),
            SchemaChange::Rotate
        );
        let l1 = schema::schemaless(Field::new("value", DataType::Int64, true));
        let l2 = schema::schemaless(Field::new("value", DataType::Utf8, true));
        assert_eq!(
            schema_change(FormatKind::Json, &l1, &l2),
            SchemaChange::Same
        );
        assert_eq!(
            schema_change(FormatKind::Json, &a, &l1),
            SchemaChange::Rotate
        );
    }

    #[test]
    fn headers_become_key_value_string_structs() {
        let mut b = HeaderListBuilder::with_capacity(3, 3);
        b.push("k1", Some(b"v1"));
        b.push("k2", Some(b"42"));
        b.end_row();
        b.push("bad", None);
        b.end_row();
        b.push("k3", Some(b"x"));
        b.end_row();
        let (_, headers) = b.finish().unwrap();
        let (field, array, errors) = headers_column(FormatKind::Avro, &headers).unwrap();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].row, 1);
        assert_eq!(
            errors[0].error.message(),
            "Invalid value: null used for required field: \"value\", schema type: STRING"
        );
        let list = array.as_list::<i32>();
        assert_eq!(list.value(0).len(), 2);
        assert_eq!(list.value(1).len(), 0);
        let first = list.value(0);
        let entry = first.as_struct();
        assert_eq!(entry.column(1).as_string::<i32>().value(1), "42");
        assert_eq!(
            avro::avro_schema_json(&field, true).unwrap(),
            r#"{"type":"array","items":{"type":"record","name":"ConnectDefault","namespace":"io.confluent.connect.avro","fields":[{"name":"key","type":"string"},{"name":"value","type":"string"}]}}"#
        );
        // JSON envelops: {"headers":[{"key":..,"value":..}]}.
        let (field, array, _) = headers_column(FormatKind::Json, &headers).unwrap();
        let mut w = new_writer(&settings(FormatKind::Json, None), &field).unwrap();
        w.write(&array, &field).unwrap();
        let text = String::from_utf8(w.finish().unwrap()).unwrap();
        assert_eq!(
            text.lines().next().unwrap(),
            r#"{"headers":[{"key":"k1","value":"v1"},{"key":"k2","value":"42"}]}"#
        );
        assert!(headers_column(FormatKind::ByteArray, &headers).is_err());
    }

    #[test]
    fn key_and_header_errors_match_confluent() {
        assert_eq!(
            null_key_error("t", 0, 5).message(),
            "Key cannot be null for SinkRecord: SinkRecord{kafkaOffset=5, topic='t', kafkaPartition=0} "
        );
        assert_eq!(
            empty_headers_error("t", 1, 2).message(),
            "Headers cannot be null for SinkRecord: SinkRecord{kafkaOffset=2, topic='t', kafkaPartition=1} "
        );
    }
}
