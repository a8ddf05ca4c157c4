//! Parquet files of the S3 sink (Confluent's `io.confluent.connect.s3.format.parquet.ParquetFormat`).
//!
//! Confluent converts each Connect record to Avro (`AvroData.fromConnectSchema` /
//! `fromConnectData`) and writes it with parquet-avro's `AvroParquetWriter` (parquet-java 1.15.2):
//! dictionary encoding on, `parquet.codec` compression, 64 KiB pages, default (128 MiB) row groups.
//! Strait hands whole Arrow columns to arrow-rs' [`ArrowWriter`] instead, after mapping the Arrow
//! types so that arrow-rs produces the Parquet types parquet-avro's `AvroSchemaConverter` would:
//!
//! | Connect | Parquet written by Confluent | Parquet written here |
//! |---|---|---|
//! | INT8 / INT16 / INT32 | INT32 (Avro `int`, no annotation) | same (Int8/Int16 are cast to Int32, so arrow-rs does not add `INT(8)`/`INT(16)`) |
//! | INT64, FLOAT32, FLOAT64, BOOLEAN | INT64, FLOAT, DOUBLE, BOOLEAN | same |
//! | STRING | BINARY (STRING) | same |
//! | BYTES | BINARY | same |
//! | Decimal (scale s, `connect.decimal.precision` p, default 64) | BINARY DECIMAL(p, s) | DECIMAL(p, s) on INT32 (p ≤ 9), INT64 (p ≤ 18) or FIXED_LEN_BYTE_ARRAY (arrow-rs cannot write decimals as BINARY) |
//! | Decimal with s < 0 or s > p (AvroData's legacy decimal) | BINARY, no annotation | same (unscaled `BigInteger.toByteArray()` bytes) |
//! | Date | INT32 DATE | same |
//! | Time | INT32 TIME(MILLIS, UTC-adjusted) | same |
//! | Timestamp | INT64 TIMESTAMP(MILLIS, UTC-adjusted) | same |
//! | ARRAY | LIST; 2-level `repeated <item> array` unless some array in the schema has optional items, then 3-level `repeated group list { element }` | always the 3-level form (arrow-rs cannot write the 2-level one; every reader of the LIST spec reads both) |
//! | MAP with required STRING keys | MAP `repeated group key_value (MAP_KEY_VALUE) { required binary key (STRING); value }` | same names; arrow-rs leaves out the (deprecated) MAP_KEY_VALUE annotation of `key_value` |
//! | MAP with other (or optional) keys | Avro array of `MapEntry {key, value}` records: LIST of groups | same, as a 3-level LIST of `element { key; value }` groups |
//! | STRUCT | group (root: message named after the Connect schema, else `io.confluent.connect.avro.ConnectDefault`) | same |
//!
//! Optional Connect schemas are OPTIONAL columns, required ones REQUIRED. The value schema must be a
//! STRUCT, as parquet-avro requires a record: any other schema fails the writer with parquet-avro's
//! `Avro schema must be a record.`. Schema problems Confluent hits while building the writer (an
//! invalid Avro field name, an empty struct) fail [`ParquetWriter::new`] with Avro's/parquet's
//! message; Confluent routes those per record to the DLQ (`SchemaParseException`,
//! `InvalidSchemaException`), the caller decides.
//!
//! Other differences from Confluent:
//! - No `parquet.avro.schema` / `writer.model.name` key-value metadata (Spark, Trino, DuckDB,
//!   pyarrow read the Parquet schema; parquet-avro readers derive the Avro schema from it), and no
//!   `ARROW:schema` either, so every reader sees exactly the Parquet types above.
//! - Dictionary encoding is decided per column on the file's first [`SAMPLE_ROWS`] rows, with
//!   parquet-java's first-page test (`FallbackValuesWriter`: keep the dictionary only if its
//!   entries plus the encoded ids are smaller than the plain values, judged on the first page of
//!   [`PAGE_SIZE`] raw bytes). arrow-rs has no such test and would intern every value until its
//!   1 MiB dictionary fills, which for nearly unique columns (ids, names, timestamps) cost ~20 %
//!   of the sink's CPU for no size gain (`bench/RESULTS.md`). So a file's first rows are held as
//!   Arrow until [`SAMPLE_ROWS`] arrive (or the file closes), then the writer is built with the
//!   dictionary off for columns that fail the test. Only columns reached through structs are
//!   judged; columns inside lists and maps keep the dictionary, as do booleans and decimals.
//! - Row groups are closed at [`MAX_ROW_GROUP_BYTES`] of encoded data (Confluent: 128 MiB held in
//!   memory per open file), which bounds memory per open file; a file may hold several row groups.
//! - `parquet.codec=lzo` is rejected (arrow-rs has no LZO encoder; Confluent's image lacks the
//!   codec class as well and fails at run time); `brotli` and `lz4` work here. zstd uses level 3,
//!   gzip level 6, as parquet-java does by default.
//! - A required field that holds a null, or a decimal whose digits exceed the column's precision,
//!   is a row error here (Connect cannot build such a record; parquet-avro would write the
//!   out-of-range decimal bytes as they are).
//!
//! Schemaless JSON (a Strait extension; Confluent's ParquetFormat needs a schema): a value whose
//! inferred type is a Struct is written the same way, every column optional. Drift between the
//! open file and a later batch ([`schema_change`]): identical types append; a batch whose type
//! *fits* the file's is [`SchemaChange::Compatible`] and written as the file's type: a field
//! missing from the batch is written as nulls, a Null-typed field (only nulls seen) as nulls of
//! the file's type, an Int64 into a Float64 column as doubles (exact up to 2^53), recursively in
//! structs, list items and map values. Anything else (a field new to the file, any other type
//! change, a Null-typed file column that now has values) is [`SchemaChange::Rotate`].

use std::sync::Arc;

use arrow::array::{
    new_null_array, Array, ArrayRef, AsArray, BinaryBuilder, BooleanArray, ListArray, MapArray,
    RecordBatch, RecordBatchOptions, StructArray,
};
use arrow::compute::{cast_with_options, filter, CastOptions};
use arrow::datatypes::{
    DataType, Decimal128Type, Field, FieldRef, Fields, Schema, SchemaRef, TimeUnit,
};
use parquet::arrow::arrow_writer::ArrowWriterOptions;
use parquet::arrow::ArrowWriter;
use parquet::basic::{BrotliLevel, Compression, GzipLevel, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

use strait_engine::plugin::RowError;
use strait_engine::schema as md;
use strait_engine::{Error, Result};

use super::{FileWriter, FormatSettings, SchemaChange};
use crate::json::connect::parse_params;
use crate::json::write::decimal_bytes;

/// Parquet data page size: Confluent's `ParquetRecordWriterProvider.PAGE_SIZE`.
pub const PAGE_SIZE: usize = 64 * 1024;
/// Encoded size at which a row group is closed (and its bytes become available to
/// [`FileWriter::take_encoded`]).
pub const MAX_ROW_GROUP_BYTES: usize = 32 * 1024 * 1024;
/// Rows a file holds before its writer is built and its columns' dictionary encoding decided
/// (one 64 KiB page of INT64 values; string columns reach [`PAGE_SIZE`] sooner).
pub const SAMPLE_ROWS: usize = 8192;
/// AvroData's `CONNECT_AVRO_DECIMAL_PRECISION_DEFAULT`.
const DEFAULT_DECIMAL_PRECISION: u32 = 64;
/// The Connect schema parameter AvroData reads a decimal's precision from.
const DECIMAL_PRECISION_PARAM: &str = "connect.decimal.precision";
/// AvroData's record name for an unnamed struct (`NAMESPACE` + `.` + `DEFAULT_SCHEMA_NAME`).
const DEFAULT_RECORD_NAME: &str = "io.confluent.connect.avro.ConnectDefault";
/// Field metadata arrow-rs reads to mark a TIME column as UTC-adjusted (as parquet-avro does).
const ADJUSTED_TO_UTC: &str = "adjusted_to_utc";
/// parquet-java's default zstd level (`parquet.compression.codec.zstd.level`).
const ZSTD_LEVEL: i32 = 3;

/// The `parquet.codec` values Confluent accepts (`ParquetCodecRecommender`: parquet-java's
/// `CompressionCodecName`s in lower case, `uncompressed` spelled `none`).
pub const CODECS: [&str; 8] = [
    "none", "snappy", "gzip", "lzo", "brotli", "lz4", "zstd", "lz4_raw",
];

/// The compression of a `parquet.codec` value and parquet-java's file extension for it
/// (`CompressionCodecName.getExtension()`).
fn codec(name: &str) -> Result<(Compression, &'static str)> {
    let level_error = |e: parquet::errors::ParquetError| Error::bug(e.to_string());
    Ok(match name.trim() {
        "none" => (Compression::UNCOMPRESSED, ""),
        "snappy" => (Compression::SNAPPY, ".snappy"),
        "gzip" => (Compression::GZIP(GzipLevel::default()), ".gz"),
        "brotli" => (Compression::BROTLI(BrotliLevel::default()), ".br"),
        // parquet-java 1.13+ names Hadoop-framed LZ4 files `.lz4hadoop`, to tell them from LZ4_RAW.
        "lz4" => (Compression::LZ4, ".lz4hadoop"),
        "zstd" => (
            Compression::ZSTD(ZstdLevel::try_new(ZSTD_LEVEL).map_err(level_error)?),
            ".zstd",
        ),
        "lz4_raw" => (Compression::LZ4_RAW, ".lz4raw"),
        "lzo" => {
            return Err(Error::config(
                "Invalid value lzo for configuration parquet.codec: LZO compression is not \
                 supported by Strait (no LZO encoder); use snappy, gzip, zstd, lz4, lz4_raw, \
                 brotli or none",
            ))
        }
        other => {
            return Err(Error::config(format!(
                "Invalid value {other} for configuration parquet.codec: String must be one of: {}",
                CODECS.join(", ")
            )))
        }
    })
}

/// The object name extension for a `parquet.codec` value, as Confluent's
/// `ParquetRecordWriterProvider.getExtension()` builds it: the codec's extension, then
/// `.parquet` (`.snappy.parquet`, `.gz.parquet`, `.zstd.parquet`, `.lz4hadoop.parquet`,
/// `.br.parquet`, `.lz4raw.parquet`; `none` → `.parquet`). `lzo` and unknown values are config
/// errors.
pub fn extension(codec_name: &str) -> Result<String> {
    let (_, ext) = codec(codec_name)?;
    Ok(format!("{ext}.parquet"))
}

/// How a value column with type `incoming` relates to a file opened for `open` (see the module
/// doc for the schemaless drift policy). Columns with a Connect schema append only when the
/// schema is identical, as Confluent's `schema.compatibility=NONE` does; projection between
/// versions (BACKWARD/FORWARD/FULL) is the caller's.
pub fn schema_change(open: &Field, incoming: &Field) -> SchemaChange {
    if open == incoming {
        SchemaChange::Same
    } else if md::is_schemaless(open)
        && md::is_schemaless(incoming)
        && open.data_type() != incoming.data_type()
        && fits(open, incoming)
    {
        SchemaChange::Compatible
    } else if md::is_schemaless(open)
        && md::is_schemaless(incoming)
        && open.data_type() == incoming.data_type()
    {
        // Only field-level metadata differs (e.g. a raw-JSON string column): the same Parquet.
        SchemaChange::Compatible
    } else {
        SchemaChange::Rotate
    }
}

/// Whether schemaless values typed `incoming` can be written into a column typed `open`.
fn fits(open: &Field, incoming: &Field) -> bool {
    if !open.is_nullable() && incoming.is_nullable() {
        return false;
    }
    match (open.data_type(), incoming.data_type()) {
        (o, i) if o == i => true,
        (_, DataType::Null) => open.is_nullable(),
        (DataType::Float64, DataType::Int64) => true,
        (DataType::Struct(o), DataType::Struct(i)) => {
            i.iter()
                .all(|f| o.find(f.name()).is_some_and(|(_, of)| fits(of, f)))
                && o.iter()
                    .all(|of| of.is_nullable() || i.find(of.name()).is_some())
        }
        (DataType::List(o), DataType::List(i)) => fits(o, i),
        (DataType::Map(o, _), DataType::Map(i, _)) => match (o.data_type(), i.data_type()) {
            (DataType::Struct(o), DataType::Struct(i)) if o.len() == 2 && i.len() == 2 => {
                o[0].data_type() == i[0].data_type() && fits(&o[1], &i[1])
            }
            _ => false,
        },
        _ => false,
    }
}

/// Writes values typed `open` (or [`SchemaChange::Compatible`] with it) into one Parquet file
/// held in memory; encoded bytes are drained with [`FileWriter::take_encoded`].
pub struct ParquetWriter {
    /// Built once the first [`SAMPLE_ROWS`] rows (or the file's close) decide the encodings.
    writer: Option<ArrowWriter<Vec<u8>>>,
    /// Rows written before the writer exists: compact copies (a slice would keep the whole
    /// source batch alive), in order.
    sample: Vec<RecordBatch>,
    sample_rows: usize,
    sample_bytes: usize,
    /// Rows to sample before building the writer ([`SAMPLE_ROWS`]).
    sample_limit: usize,
    compression: Compression,
    row_group_bytes: usize,
    /// The Parquet schema's root name.
    root: String,
    /// The value field the file was opened for.
    open: Field,
    /// Its Parquet-facing form (a Struct of the file's columns).
    target: Field,
    schema: SchemaRef,
    /// Bytes already drained by `take_encoded`.
    taken: usize,
    rows: usize,
}

impl std::fmt::Debug for ParquetWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetWriter")
            .field("schema", &self.schema)
            .field("taken", &self.taken)
            .field("rows", &self.rows)
            .finish()
    }
}

impl ParquetWriter {
    /// A writer for values typed `field` (the value column's field, Connect metadata included),
    /// with Confluent's writer settings and `settings.parquet_codec`.
    pub fn new(settings: &FormatSettings, field: &Field) -> Result<Self> {
        Self::with_max_row_group_bytes(settings, field, MAX_ROW_GROUP_BYTES)
    }

    /// [`ParquetWriter::new`] with another row group size bound (encoded bytes).
    pub fn with_max_row_group_bytes(
        settings: &FormatSettings,
        field: &Field,
        row_group_bytes: usize,
    ) -> Result<Self> {
        let (compression, _) = codec(&settings.parquet_codec)?;
        let schemaless = md::is_schemaless(field);
        let DataType::Struct(_) = field.data_type() else {
            return Err(Error::data("Avro schema must be a record.")
                .with_java_class("java.lang.IllegalArgumentException"));
        };
        let target = target_field(field, field.name(), true, schemaless)?;
        let DataType::Struct(columns) = target.data_type() else {
            return Err(Error::bug("Parquet: a struct did not map to a struct"));
        };
        let schema = Arc::new(Schema::new(columns.clone()));
        let root = if schemaless {
            DEFAULT_RECORD_NAME.to_string()
        } else {
            md::schema_name(field)
                .unwrap_or(DEFAULT_RECORD_NAME)
                .to_string()
        };
        let parquet = ParquetWriter {
            writer: None,
            sample: Vec::new(),
            sample_rows: 0,
            sample_bytes: 0,
            sample_limit: SAMPLE_ROWS,
            compression,
            row_group_bytes: row_group_bytes.max(1),
            root,
            open: field.clone(),
            target,
            schema,
            taken: 0,
            rows: 0,
        };
        // Build a writer now, unused, so that a schema arrow-rs cannot write fails here as it
        // did before the writer was deferred (the caller routes that error per record).
        parquet.new_arrow_writer(&[])?;
        Ok(parquet)
    }

    /// Decide the dictionary encodings on the first `rows` rows instead of [`SAMPLE_ROWS`].
    pub fn with_sample_rows(mut self, rows: usize) -> Self {
        self.sample_limit = rows;
        self
    }

    /// An `ArrowWriter` with Confluent's settings, dictionary encoding off for `plain` columns.
    fn new_arrow_writer(&self, plain: &[ColumnPath]) -> Result<ArrowWriter<Vec<u8>>> {
        let mut props = WriterProperties::builder()
            .set_compression(self.compression)
            .set_dictionary_enabled(true)
            .set_data_page_size_limit(PAGE_SIZE)
            .set_max_row_group_row_count(None)
            .set_max_row_group_bytes(Some(self.row_group_bytes))
            // List element and map key_value/key/value names as the Parquet spec (and
            // parquet-avro) spell them.
            .set_coerce_types(true);
        for path in plain {
            props = props.set_column_dictionary_enabled(path.clone(), false);
        }
        let options = ArrowWriterOptions::new()
            .with_properties(props.build())
            .with_skip_arrow_metadata(true)
            .with_schema_root(self.root.clone());
        ArrowWriter::try_new_with_options(Vec::new(), self.schema.clone(), options)
            .map_err(|e| Error::data(format!("Parquet: {e}")))
    }

    /// The writer, built from the sample if it is not yet: decides each column's dictionary
    /// encoding on the sampled rows, then writes them.
    fn arrow_writer(&mut self) -> Result<&mut ArrowWriter<Vec<u8>>> {
        if self.writer.is_none() {
            let plain = plain_columns(&self.schema, &self.sample);
            let mut writer = self.new_arrow_writer(&plain)?;
            for batch in std::mem::take(&mut self.sample) {
                writer
                    .write(&batch)
                    .map_err(|e| Error::data(format!("Parquet: {e}")))?;
            }
            self.sample_rows = 0;
            self.sample_bytes = 0;
            self.writer = Some(writer);
        }
        self.writer
            .as_mut()
            .ok_or_else(|| Error::bug("Parquet: the writer was not built"))
    }

    /// The Arrow schema of the file's columns (the types handed to arrow-rs).
    pub fn arrow_schema(&self) -> &SchemaRef {
        &self.schema
    }
}

impl FileWriter for ParquetWriter {
    fn write(&mut self, values: &ArrayRef, field: &Field) -> Result<Vec<RowError>> {
        let values = match schema_change(&self.open, field) {
            SchemaChange::Same => values.clone(),
            SchemaChange::Compatible => project(values, field, &self.open)?,
            SchemaChange::Rotate => {
                return Err(Error::bug(format!(
                    "Parquet: a value of type {} cannot go into a file of type {}; the file \
                     must be rotated first",
                    field.data_type(),
                    self.open.data_type()
                )))
            }
        };
        let Some(structs) = values.as_struct_opt() else {
            return Err(Error::bug("Parquet: the value column is not a struct"));
        };
        let len = structs.len();
        let mut bad: Vec<Option<String>> = vec![None; len];
        if let Some(nulls) = structs.logical_nulls() {
            for (row, slot) in bad.iter_mut().enumerate() {
                if nulls.is_null(row) {
                    *slot = Some(
                        "Parquet cannot write a null value: only Struct values can be written"
                            .to_string(),
                    );
                }
            }
        }
        let rows: Vec<usize> = (0..len)
            .map(|r| if bad[r].is_some() { usize::MAX } else { r })
            .collect();
        let DataType::Struct(targets) = self.target.data_type() else {
            return Err(Error::bug("Parquet: the target is not a struct"));
        };
        let DataType::Struct(sources) = self.open.data_type() else {
            return Err(Error::bug("Parquet: the open field is not a struct"));
        };
        for ((child, src), dst) in structs.columns().iter().zip(sources).zip(targets) {
            check(child, src, dst, &rows, &mut bad);
        }
        let errors: Vec<RowError> = bad
            .iter()
            .enumerate()
            .filter_map(|(row, e)| {
                e.as_ref().map(|m| RowError {
                    row,
                    error: Error::data(m.clone()),
                })
            })
            .collect();
        let structs = if errors.is_empty() {
            structs.clone()
        } else {
            let keep = BooleanArray::from(bad.iter().map(|e| e.is_none()).collect::<Vec<_>>());
            filter(structs, &keep)
                .map_err(|e| Error::bug(format!("Parquet: {e}")))?
                .as_struct()
                .clone()
        };
        let n = structs.len();
        if n == 0 {
            return Ok(errors);
        }
        let columns = structs
            .columns()
            .iter()
            .zip(targets)
            .map(|(c, t)| convert(c, t))
            .collect::<Result<Vec<_>>>()?;
        let batch = RecordBatch::try_new_with_options(
            self.schema.clone(),
            columns,
            &RecordBatchOptions::new().with_row_count(Some(n)),
        )
        .map_err(|e| Error::bug(format!("Parquet: {e}")))?;
        self.rows += n;
        match self.writer.as_mut() {
            Some(writer) => writer
                .write(&batch)
                .map_err(|e| Error::data(format!("Parquet: {e}")))?,
            None => {
                let copy = compact(&batch)?;
                self.sample_rows += n;
                self.sample_bytes += copy.get_array_memory_size();
                self.sample.push(copy);
                if self.sample_rows >= self.sample_limit {
                    self.arrow_writer()?;
                }
            }
        }
        Ok(errors)
    }

    fn take_encoded(&mut self) -> Vec<u8> {
        let Some(writer) = self.writer.as_mut() else {
            return Vec::new();
        };
        // Move what the writer's internal BufWriter holds into the Vec first. Writing into a
        // Vec cannot fail; were it to, the bytes simply stay buffered and come out later.
        if writer.sync().is_err() {
            return Vec::new();
        }
        // The file writer counts offsets itself (TrackedWrite), not from the Vec, so draining
        // the Vec leaves the footer's offsets right.
        let out = std::mem::take(writer.inner_mut());
        self.taken += out.len();
        out
    }

    fn buffered_bytes(&self) -> usize {
        self.sample_bytes
            + self.writer.as_ref().map_or(0, |w| {
                w.bytes_written().saturating_sub(self.taken) + w.memory_size()
            })
    }

    fn rows(&self) -> usize {
        self.rows
    }

    fn finish(mut self: Box<Self>) -> Result<Vec<u8>> {
        let writer = self.arrow_writer()?;
        // The row group is encoded into the output now: room for it up front, so the buffer
        // does not grow by doubling (each growth a copy and fresh pages to fault in).
        let room = writer.in_progress_size() + PAGE_SIZE;
        writer.inner_mut().reserve(room);
        writer
            .finish()
            .map_err(|e| Error::data(format!("Parquet: {e}")))?;
        Ok(std::mem::take(writer.inner_mut()))
    }
}

/// A copy of `batch` in buffers of its own: a held slice would pin its whole source batch.
fn compact(batch: &RecordBatch) -> Result<RecordBatch> {
    let n = u32::try_from(batch.num_rows())
        .map_err(|_| Error::bug("Parquet: a batch of more than 2^32 rows"))?;
    arrow::compute::take_record_batch(batch, &arrow::array::UInt32Array::from_iter_values(0..n))
        .map_err(|e| Error::bug(format!("Parquet: {e}")))
}

/// The leaf columns (reached through structs only) whose dictionary encoding fails
/// parquet-java's first-page test on the sampled rows: the dictionary's entries plus the
/// bit-packed ids are not smaller than the plain values (`DictionaryValuesWriter
/// .isCompressionSatisfying`), judged on each column's first [`PAGE_SIZE`] raw bytes as
/// parquet-java judges its first page. Plain sizes as parquet-java counts them: 4 + length per
/// byte array, the width per fixed-size value; nulls are not values.
fn plain_columns(schema: &SchemaRef, sample: &[RecordBatch]) -> Vec<ColumnPath> {
    let mut out = Vec::new();
    for (i, field) in schema.fields().iter().enumerate() {
        let columns: Vec<&ArrayRef> = sample.iter().map(|b| b.column(i)).collect();
        judge(field, &columns, &mut vec![field.name().clone()], &mut out);
    }
    out
}

fn judge(field: &Field, columns: &[&ArrayRef], path: &mut Vec<String>, out: &mut Vec<ColumnPath>) {
    if let DataType::Struct(children) = field.data_type() {
        for (i, child) in children.iter().enumerate() {
            let nested: Vec<&ArrayRef> = columns
                .iter()
                .filter_map(|c| c.as_struct_opt().map(|s| s.column(i)))
                .collect();
            path.push(child.name().clone());
            judge(child, &nested, path, out);
            path.pop();
        }
        return;
    }
    let mut sizes = DictionarySizes::default();
    let complete = match field.data_type() {
        DataType::Utf8 | DataType::Binary => sizes.add_bytes(columns, |c, row| {
            c.as_bytes_opt::<arrow::datatypes::GenericBinaryType<i32>>()
                .map(|b| b.value(row))
                .or_else(|| c.as_string_opt::<i32>().map(|s| s.value(row).as_bytes()))
        }),
        DataType::LargeUtf8 | DataType::LargeBinary => sizes.add_bytes(columns, |c, row| {
            c.as_bytes_opt::<arrow::datatypes::GenericBinaryType<i64>>()
                .map(|b| b.value(row))
                .or_else(|| c.as_string_opt::<i64>().map(|s| s.value(row).as_bytes()))
        }),
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::Date32
        | DataType::Time32(_)
        | DataType::Float32 => sizes.add_fixed(columns, 4),
        DataType::Int64
        | DataType::UInt64
        | DataType::Date64
        | DataType::Time64(_)
        | DataType::Timestamp(_, _)
        | DataType::Float64 => sizes.add_fixed(columns, 8),
        // Booleans have no dictionary; decimals, lists and maps keep arrow-rs' default.
        _ => false,
    };
    if complete && !sizes.dictionary_pays() {
        out.push(ColumnPath::new(path.clone()));
    }
}

/// parquet-java's first-page sizes of one column: plain bytes, dictionary entry bytes, values,
/// dictionary entries.
#[derive(Default)]
struct DictionarySizes {
    raw: usize,
    dictionary: usize,
    values: usize,
    distinct: usize,
}

impl DictionarySizes {
    /// Byte-array values until a page's worth; false when a value could not be read (an
    /// unexpected array type: then the column keeps its dictionary).
    fn add_bytes<'a>(
        &mut self,
        columns: &[&'a ArrayRef],
        value: impl Fn(&'a ArrayRef, usize) -> Option<&'a [u8]>,
    ) -> bool {
        let mut seen: std::collections::HashSet<&[u8]> = std::collections::HashSet::new();
        for column in columns {
            for row in 0..column.len() {
                if self.raw >= PAGE_SIZE {
                    return true;
                }
                if column.is_null(row) {
                    continue;
                }
                let Some(bytes) = value(column, row) else {
                    return false;
                };
                self.raw += 4 + bytes.len();
                self.values += 1;
                if seen.insert(bytes) {
                    self.dictionary += 4 + bytes.len();
                    self.distinct += 1;
                }
            }
        }
        true
    }

    /// Fixed-width values (`width` ≤ 8 bytes, little-endian in Arrow's value buffer) until a
    /// page's worth, compared by their bits.
    fn add_fixed(&mut self, columns: &[&ArrayRef], width: usize) -> bool {
        let mut seen: std::collections::HashSet<u64> = std::collections::HashSet::new();
        for column in columns {
            let data = column.to_data();
            let Some(buffer) = data.buffers().first() else {
                return false;
            };
            let values = &buffer.as_slice()[data.offset() * width..];
            for row in 0..column.len() {
                if self.raw >= PAGE_SIZE {
                    return true;
                }
                if column.is_null(row) {
                    continue;
                }
                let Some(bits) = values.get(row * width..(row + 1) * width) else {
                    return false;
                };
                let mut key = [0u8; 8];
                key[..width].copy_from_slice(bits);
                self.raw += width;
                self.values += 1;
                if seen.insert(u64::from_le_bytes(key)) {
                    self.dictionary += width;
                    self.distinct += 1;
                }
            }
        }
        true
    }

    /// `isCompressionSatisfying`: dictionary entries plus ids bit-packed at the width of the
    /// largest id, against the plain bytes.
    fn dictionary_pays(&self) -> bool {
        if self.values == 0 {
            return true;
        }
        let id_bits = usize::BITS - self.distinct.saturating_sub(1).leading_zeros();
        let ids = (self.values * id_bits as usize).div_ceil(8);
        ids + self.dictionary < self.raw
    }
}

/// Connect's `optional` of a field (Arrow nullability unless the metadata says otherwise).
fn connect_optional(field: &Field) -> bool {
    match field.metadata().get(md::OPTIONAL).map(String::as_str) {
        Some("true") => true,
        Some("false") => false,
        _ => field.is_nullable(),
    }
}

/// Connect's type name of an Arrow type, for messages.
fn connect_type_name(dt: &DataType) -> &'static str {
    match dt {
        DataType::Int8 => "INT8",
        DataType::Int16 => "INT16",
        DataType::Int32 | DataType::Date32 | DataType::Time32(_) => "INT32",
        DataType::Int64 | DataType::Timestamp(_, _) => "INT64",
        DataType::Float32 => "FLOAT32",
        DataType::Float64 => "FLOAT64",
        DataType::Boolean => "BOOLEAN",
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Dictionary(_, _) => {
            "STRING"
        }
        DataType::List(_) | DataType::LargeList(_) => "ARRAY",
        DataType::Map(_, _) => "MAP",
        DataType::Struct(_) => "STRUCT",
        _ => "BYTES",
    }
}

/// Avro's `Schema.validateName` (Avro 1.11): record field names.
fn validate_avro_name(name: &str) -> Result<()> {
    let fail =
        |m: String| Err(Error::data(m).with_java_class("org.apache.avro.SchemaParseException"));
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return fail("Empty name".to_string());
    };
    if !(first.is_alphabetic() || first == '_') {
        return fail(format!("Illegal initial character: {name}"));
    }
    if !chars.all(|c| c.is_alphanumeric() || c == '_') {
        return fail(format!("Illegal character in: {name}"));
    }
    Ok(())
}

/// The precision AvroData gives a Connect decimal: `connect.decimal.precision`, default 64.
fn decimal_precision(field: &Field) -> Result<u32> {
    let Some(text) = field.metadata().get(md::PARAMETERS) else {
        return Ok(DEFAULT_DECIMAL_PRECISION);
    };
    let params = parse_params(text.as_bytes())
        .map_err(|e| Error::data(format!("Parquet: field {}: {e}", field.name())))?;
    match params.iter().find(|(k, _)| k == DECIMAL_PRECISION_PARAM) {
        None => Ok(DEFAULT_DECIMAL_PRECISION),
        Some((_, v)) => v.trim().parse::<u32>().map_err(|_| {
            Error::data(format!("For input string: \"{v}\""))
                .with_java_class("java.lang.NumberFormatException")
        }),
    }
}

/// The Arrow field handed to arrow-rs for a source field (see the module doc's table).
fn target_field(src: &Field, name: &str, nullable: bool, schemaless: bool) -> Result<Field> {
    let mut metadata = std::collections::HashMap::new();
    let dt = match src.data_type() {
        DataType::Int8 | DataType::Int16 | DataType::Int32 => DataType::Int32,
        DataType::Int64 => DataType::Int64,
        DataType::Float32 => DataType::Float32,
        DataType::Float64 => DataType::Float64,
        DataType::Boolean => DataType::Boolean,
        DataType::Null => DataType::Null,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => DataType::Utf8,
        DataType::Dictionary(_, v)
            if matches!(
                **v,
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
            ) =>
        {
            DataType::Utf8
        }
        DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_) => DataType::Binary,
        DataType::Decimal128(_, scale) => {
            let precision = decimal_precision(src)?;
            let scale = *scale as i32;
            if scale < 0 || scale as u32 > precision {
                // AvroData's legacy decimal: plain bytes without a logical type.
                DataType::Binary
            } else if precision <= 38 {
                DataType::Decimal128(precision as u8, scale as i8)
            } else if precision <= 76 {
                DataType::Decimal256(precision as u8, scale as i8)
            } else {
                return Err(Error::data(format!(
                    "Parquet: decimal precision {precision} of field {} is above 76, the most \
                     Strait can write",
                    src.name()
                )));
            }
        }
        DataType::Date32 | DataType::Date64 => DataType::Date32,
        DataType::Time32(_) | DataType::Time64(_) => {
            metadata.insert(ADJUSTED_TO_UTC.to_string(), String::new());
            DataType::Time32(TimeUnit::Millisecond)
        }
        DataType::Timestamp(_, _) => {
            DataType::Timestamp(TimeUnit::Millisecond, Some("+00:00".into()))
        }
        DataType::List(item) | DataType::LargeList(item) => {
            let element = target_field(item, "element", connect_optional(item), schemaless)?;
            DataType::List(Arc::new(element))
        }
        DataType::Map(entries, _) => {
            let DataType::Struct(kv) = entries.data_type() else {
                return Err(Error::data("Parquet: a map without key/value entries"));
            };
            if kv.len() != 2 {
                return Err(Error::data("Parquet: a map without key/value entries"));
            }
            let (key, value) = (&kv[0], &kv[1]);
            let string_key = matches!(
                key.data_type(),
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
            ) || matches!(key.data_type(), DataType::Dictionary(_, v) if **v == DataType::Utf8);
            let value = target_field(value, "value", connect_optional(value), schemaless)?;
            if string_key && !connect_optional(key) {
                let key = Field::new("key", DataType::Utf8, false);
                DataType::Map(
                    Arc::new(Field::new(
                        "key_value",
                        DataType::Struct(Fields::from(vec![key, value])),
                        false,
                    )),
                    false,
                )
            } else {
                // AvroData: an array of MapEntry records.
                let key = target_field(key, "key", connect_optional(key), schemaless)?;
                DataType::List(Arc::new(Field::new(
                    "element",
                    DataType::Struct(Fields::from(vec![key, value])),
                    false,
                )))
            }
        }
        DataType::Struct(fields) => {
            if fields.is_empty() {
                return Err(Error::data(format!(
                    "Cannot write a schema with an empty group: {name}"
                ))
                .with_java_class("org.apache.parquet.schema.InvalidSchemaException"));
            }
            let children = fields
                .iter()
                .map(|f| {
                    if !schemaless {
                        validate_avro_name(f.name())?;
                    }
                    target_field(f, f.name(), connect_optional(f), schemaless)
                })
                .collect::<Result<Vec<_>>>()?;
            DataType::Struct(Fields::from(children))
        }
        other => {
            return Err(Error::data(format!(
                "Parquet: field {} has type {other}, which has no Connect schema",
                src.name()
            )))
        }
    };
    Ok(Field::new(name, dt, nullable).with_metadata(metadata))
}

/// Mark rows that cannot be written: a null reachable at a required position, or a decimal
/// that does not fit its column. `rows[i]` is the top-level row of element `i`, `usize::MAX`
/// where the element is under a null parent (not written, nothing to check).
fn check(array: &ArrayRef, src: &Field, dst: &Field, rows: &[usize], bad: &mut [Option<String>]) {
    let nulls = array.logical_nulls();
    let valid = |i: usize| nulls.as_ref().is_none_or(|n| n.is_valid(i));
    if !dst.is_nullable() && nulls.is_some() {
        for (i, &row) in rows.iter().enumerate() {
            if row != usize::MAX && !valid(i) && bad[row].is_none() {
                bad[row] = Some(format!(
                    "Invalid value: null used for required field: \"{}\", schema type: {}",
                    src.name(),
                    connect_type_name(src.data_type())
                ));
            }
        }
    }
    let below: Vec<usize> = rows
        .iter()
        .enumerate()
        .map(|(i, &row)| {
            if row != usize::MAX && valid(i) {
                row
            } else {
                usize::MAX
            }
        })
        .collect();
    match (array.data_type(), dst.data_type()) {
        (DataType::Struct(sources), DataType::Struct(targets)) => {
            let s = array.as_struct();
            for ((child, sf), tf) in s.columns().iter().zip(sources).zip(targets) {
                check(child, sf, tf, &below, bad);
            }
        }
        (DataType::List(src_item), DataType::List(dst_item)) => {
            let list = array.as_list::<i32>();
            let child_rows = expand(list.value_offsets(), list.values().len(), &below);
            check(list.values(), src_item, dst_item, &child_rows, bad);
        }
        (DataType::LargeList(src_item), DataType::List(dst_item)) => {
            let list = array.as_list::<i64>();
            let offsets: Vec<i32> = list.value_offsets().iter().map(|&o| o as i32).collect();
            let child_rows = expand(&offsets, list.values().len(), &below);
            check(list.values(), src_item, dst_item, &child_rows, bad);
        }
        (DataType::Map(src_entries, _), DataType::Map(dst_entries, _))
        | (DataType::Map(src_entries, _), DataType::List(dst_entries)) => {
            let map = array.as_map();
            let entries: ArrayRef = Arc::new(map.entries().clone());
            let child_rows = expand(map.value_offsets(), entries.len(), &below);
            check(&entries, src_entries, dst_entries, &child_rows, bad);
        }
        (DataType::Decimal128(_, _), DataType::Decimal128(p, _) | DataType::Decimal256(p, _))
            if *p < 39 =>
        {
            let bound = 10i128.pow(*p as u32);
            let decimals = array.as_primitive::<Decimal128Type>();
            for (i, &row) in below.iter().enumerate() {
                if row == usize::MAX || bad[row].is_some() {
                    continue;
                }
                let v = decimals.value(i);
                if v >= bound || v <= -bound {
                    bad[row] = Some(format!(
                        "Decimal value {v} (unscaled) of field \"{}\" has more than {p} digits, \
                         the precision of its Parquet column",
                        src.name()
                    ));
                }
            }
        }
        _ => {}
    }
}

/// Top-level rows of a list's child elements.
fn expand(offsets: &[i32], child_len: usize, rows: &[usize]) -> Vec<usize> {
    let mut out = vec![usize::MAX; child_len];
    for (i, &row) in rows.iter().enumerate() {
        if row == usize::MAX {
            continue;
        }
        let (start, end) = (offsets[i].max(0) as usize, offsets[i + 1].max(0) as usize);
        for slot in out.iter_mut().take(end.min(child_len)).skip(start) {
            *slot = row;
        }
    }
    out
}

fn arrow_error(e: arrow::error::ArrowError) -> Error {
    Error::data(format!("Parquet: {e}"))
}

/// Convert a source array to its target type (see [`target_field`]).
fn convert(array: &ArrayRef, dst: &Field) -> Result<ArrayRef> {
    let strict = CastOptions {
        safe: false,
        ..Default::default()
    };
    match (array.data_type(), dst.data_type()) {
        (DataType::Struct(_), DataType::Struct(targets)) => {
            let s = array.as_struct();
            let children = s
                .columns()
                .iter()
                .zip(targets)
                .map(|(c, tf)| convert(c, tf))
                .collect::<Result<Vec<_>>>()?;
            Ok(Arc::new(
                StructArray::try_new_with_length(
                    targets.clone(),
                    children,
                    s.nulls().cloned(),
                    s.len(),
                )
                .map_err(arrow_error)?,
            ))
        }
        (DataType::LargeList(item), DataType::List(_)) => {
            let narrowed = cast_with_options(array, &DataType::List(item.clone()), &strict)
                .map_err(arrow_error)?;
            convert(&narrowed, dst)
        }
        (DataType::List(_), DataType::List(dst_item)) => {
            let list = array.as_list::<i32>();
            let values = convert(list.values(), dst_item)?;
            Ok(Arc::new(
                ListArray::try_new(
                    dst_item.clone(),
                    list.offsets().clone(),
                    values,
                    list.nulls().cloned(),
                )
                .map_err(arrow_error)?,
            ))
        }
        (DataType::Map(_, _), DataType::Map(dst_entries, _)) => {
            let map = array.as_map();
            let entries = convert_entries(map, dst_entries)?;
            Ok(Arc::new(
                MapArray::try_new(
                    dst_entries.clone(),
                    map.offsets().clone(),
                    entries,
                    map.nulls().cloned(),
                    false,
                )
                .map_err(arrow_error)?,
            ))
        }
        (DataType::Map(_, _), DataType::List(dst_item)) => {
            let map = array.as_map();
            let entries = convert_entries(map, dst_item)?;
            Ok(Arc::new(
                ListArray::try_new(
                    dst_item.clone(),
                    map.offsets().clone(),
                    Arc::new(entries),
                    map.nulls().cloned(),
                )
                .map_err(arrow_error)?,
            ))
        }
        (DataType::Decimal128(_, _), DataType::Binary) => {
            let decimals = array.as_primitive::<Decimal128Type>();
            let mut out = BinaryBuilder::with_capacity(decimals.len(), decimals.len() * 4);
            for i in 0..decimals.len() {
                if decimals.is_null(i) {
                    out.append_null();
                } else {
                    let (bytes, start) = decimal_bytes(decimals.value(i));
                    out.append_value(&bytes[start..]);
                }
            }
            Ok(Arc::new(out.finish()))
        }
        (from, to) if from == to => Ok(array.clone()),
        (_, to) => cast_with_options(array, to, &strict).map_err(arrow_error),
    }
}

fn convert_entries(map: &MapArray, dst_entries: &FieldRef) -> Result<StructArray> {
    let entries: ArrayRef = Arc::new(map.entries().clone());
    let converted = convert(&entries, dst_entries)?;
    Ok(converted.as_struct().clone())
}

/// Schemaless values typed `from` as values typed `to` (a [`SchemaChange::Compatible`] pair).
fn project(array: &ArrayRef, from: &Field, to: &Field) -> Result<ArrayRef> {
    let strict = CastOptions {
        safe: false,
        ..Default::default()
    };
    match (from.data_type(), to.data_type()) {
        (f, t) if f == t => Ok(array.clone()),
        (DataType::Null, t) => Ok(new_null_array(t, array.len())),
        (DataType::Struct(ff), DataType::Struct(tf)) => {
            let s = array.as_struct();
            let children = tf
                .iter()
                .map(|t| match ff.find(t.name()) {
                    Some((i, f)) => project(s.column(i), f, t),
                    None => Ok(new_null_array(t.data_type(), s.len())),
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(Arc::new(
                StructArray::try_new_with_length(tf.clone(), children, s.nulls().cloned(), s.len())
                    .map_err(arrow_error)?,
            ))
        }
        (DataType::List(fi), DataType::List(ti)) => {
            let list = array.as_list::<i32>();
            let values = project(list.values(), fi, ti)?;
            Ok(Arc::new(
                ListArray::try_new(
                    ti.clone(),
                    list.offsets().clone(),
                    values,
                    list.nulls().cloned(),
                )
                .map_err(arrow_error)?,
            ))
        }
        (DataType::Map(fe, _), DataType::Map(te, sorted)) => {
            let map = array.as_map();
            let entries: ArrayRef = Arc::new(map.entries().clone());
            let entries = project(&entries, fe, te)?;
            Ok(Arc::new(
                MapArray::try_new(
                    te.clone(),
                    map.offsets().clone(),
                    entries.as_struct().clone(),
                    map.nulls().cloned(),
                    *sorted,
                )
                .map_err(arrow_error)?,
            ))
        }
        (_, t) => cast_with_options(array, t, &strict).map_err(arrow_error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::FormatKind;
    use arrow::array::{
        Date32Array, Decimal128Array, Float64Array, Int16Array, Int32Array, Int32Builder,
        Int64Array, Int8Array, MapBuilder, NullArray, StringArray, StringBuilder,
        Time32MillisecondArray, TimestampMillisecondArray,
    };
    use arrow::buffer::NullBuffer;
    use bytes::Bytes;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::basic::{LogicalType, Type as Physical};
    use std::collections::HashMap;
    use strait_engine::schema::logical;

    fn settings(codec: &str) -> FormatSettings {
        FormatSettings {
            parquet_codec: codec.to_string(),
            ..FormatSettings::with_defaults(FormatKind::Parquet)
        }
    }

    fn named(f: Field, name: &str, params: Option<&str>) -> Field {
        let mut m = HashMap::from([(md::NAME.to_string(), name.to_string())]);
        if let Some(p) = params {
            m.insert(md::PARAMETERS.to_string(), p.to_string());
        }
        f.with_metadata(m)
    }

    fn value_field(children: Fields, schemaless: bool) -> Field {
        let f = Field::new("value", DataType::Struct(children), true);
        if schemaless {
            md::schemaless(f)
        } else {
            f
        }
    }

    fn read(bytes: Vec<u8>) -> (parquet::file::metadata::ParquetMetaData, Vec<RecordBatch>) {
        let builder = ParquetRecordBatchReaderBuilder::try_new(Bytes::from(bytes)).unwrap();
        let meta = builder.metadata().as_ref().clone();
        let batches = builder
            .build()
            .unwrap()
            .collect::<std::result::Result<Vec<_>, _>>()
            .unwrap();
        (meta, batches)
    }

    /// A struct of every Connect type, 3 rows.
    fn all_types() -> (Field, ArrayRef) {
        let map_field = |key: DataType| {
            Field::new_map(
                "m",
                "entries",
                Field::new("keys", key, false),
                Field::new("values", DataType::Int32, true),
                false,
                true,
            )
        };
        let fields = vec![
            Field::new("i8", DataType::Int8, false),
            Field::new("i16", DataType::Int16, false),
            Field::new("i32", DataType::Int32, true),
            Field::new("i64", DataType::Int64, false),
            Field::new("f64", DataType::Float64, false),
            Field::new("s", DataType::Utf8, true),
            Field::new("b", DataType::Binary, false),
            named(
                Field::new("d", DataType::Decimal128(38, 2), false),
                logical::DECIMAL,
                Some(r#"{"scale":"2"}"#),
            ),
            named(
                Field::new("d9", DataType::Decimal128(38, 2), false),
                logical::DECIMAL,
                Some(r#"{"scale":"2","connect.decimal.precision":"9"}"#),
            ),
            named(
                Field::new("date", DataType::Date32, false),
                logical::DATE,
                None,
            ),
            named(
                Field::new("time", DataType::Time32(TimeUnit::Millisecond), false),
                logical::TIME,
                None,
            ),
            named(
                Field::new(
                    "ts",
                    DataType::Timestamp(TimeUnit::Millisecond, None),
                    false,
                ),
                logical::TIMESTAMP,
                None,
            ),
            Field::new(
                "l",
                DataType::List(Arc::new(Field::new("item", DataType::Int32, false))),
                false,
            ),
            map_field(DataType::Utf8).with_name("ms"),
            map_field(DataType::Int32).with_name("mi"),
            Field::new(
                "st",
                DataType::Struct(Fields::from(vec![Field::new("x", DataType::Int16, true)])),
                true,
            ),
        ];
        let mut ms = MapBuilder::new(None, StringBuilder::new(), Int32Builder::new());
        let mut mi = MapBuilder::new(None, Int32Builder::new(), Int32Builder::new());
        for r in 0..3 {
            ms.keys().append_value(format!("k{r}"));
            ms.values().append_value(r);
            ms.append(true).unwrap();
            mi.keys().append_value(r * 10);
            mi.values().append_null();
            mi.append(true).unwrap();
        }
        let list = ListArray::from_iter_primitive::<arrow::datatypes::Int32Type, _, _>(vec![
            Some(vec![Some(1), Some(2)]),
            Some(vec![]),
            Some(vec![Some(3)]),
        ]);
        let list = ListArray::new(
            Arc::new(Field::new("item", DataType::Int32, false)),
            list.offsets().clone(),
            list.values().clone(),
            None,
        );
        let inner = StructArray::try_new(
            Fields::from(vec![Field::new("x", DataType::Int16, true)]),
            vec![Arc::new(Int16Array::from(vec![Some(1), None, Some(3)]))],
            Some(NullBuffer::from(vec![true, true, false])),
        )
        .unwrap();
        let ms = ms.finish();
        let mi = mi.finish();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int8Array::from(vec![-1, 0, 127])),
            Arc::new(Int16Array::from(vec![-300, 0, 300])),
            Arc::new(Int32Array::from(vec![Some(7), None, Some(9)])),
            Arc::new(Int64Array::from(vec![1, 2, i64::MAX])),
            Arc::new(Float64Array::from(vec![0.5, -1.0, 2.25])),
            Arc::new(StringArray::from(vec![Some("a"), None, Some("ü")])),
            Arc::new(arrow::array::BinaryArray::from(vec![
                &b"\x00"[..],
                b"",
                b"xy",
            ])),
            Arc::new(
                Decimal128Array::from(vec![12345, -1, 0])
                    .with_precision_and_scale(38, 2)
                    .unwrap(),
            ),
            Arc::new(
                Decimal128Array::from(vec![999_999_999, -5, 0])
                    .with_precision_and_scale(38, 2)
                    .unwrap(),
            ),
            Arc::new(Date32Array::from(vec![0, 19000, -1])),
            Arc::new(Time32MillisecondArray::from(vec![0, 1000, 86_399_999])),
            Arc::new(TimestampMillisecondArray::from(vec![
                0,
                1_700_000_000_000,
                -1,
            ])),
            Arc::new(list),
            Arc::new(ms),
            Arc::new(mi),
            Arc::new(inner),
        ];
        let fields: Vec<Field> = fields
            .into_iter()
            .zip(&columns)
            .map(|(f, c)| f.with_data_type(c.data_type().clone()))
            .collect();
        let s = StructArray::try_new(Fields::from(fields.clone()), columns, None).unwrap();
        (value_field(Fields::from(fields), false), Arc::new(s))
    }

    #[test]
    fn every_connect_type_maps_to_parquet_avro_types_and_reads_back() {
        let (field, values) = all_types();
        let mut w = Box::new(ParquetWriter::new(&settings("snappy"), &field).unwrap());
        assert!(w.write(&values, &field).unwrap().is_empty());
        assert_eq!(w.rows(), 3);
        let (meta, batches) = read(w.finish().unwrap());
        let schema = meta.file_metadata().schema_descr();
        assert_eq!(schema.root_schema().name(), DEFAULT_RECORD_NAME);
        let col = |path: &str| {
            schema
                .columns()
                .iter()
                .find(|c| c.path().string() == path)
                .unwrap_or_else(|| panic!("no column {path}"))
                .clone()
        };
        let expect = |path: &str, phys: Physical, lt: Option<LogicalType>, required: bool| {
            let c = col(path);
            assert_eq!(c.physical_type(), phys, "{path}");
            assert_eq!(c.logical_type_ref().cloned(), lt, "{path}");
            assert_eq!(
                c.self_type().get_basic_info().repetition() == parquet::basic::Repetition::REQUIRED,
                required,
                "{path}"
            );
        };
        expect("i8", Physical::INT32, None, true);
        expect("i16", Physical::INT32, None, true);
        expect("i32", Physical::INT32, None, false);
        expect("i64", Physical::INT64, None, true);
        expect("f64", Physical::DOUBLE, None, true);
        expect("s", Physical::BYTE_ARRAY, Some(LogicalType::String), false);
        expect("b", Physical::BYTE_ARRAY, None, true);
        expect(
            "d",
            Physical::FIXED_LEN_BYTE_ARRAY,
            Some(LogicalType::decimal(2, 64)),
            true,
        );
        expect(
            "d9",
            Physical::INT32,
            Some(LogicalType::decimal(2, 9)),
            true,
        );
        expect("date", Physical::INT32, Some(LogicalType::Date), true);
        expect(
            "time",
            Physical::INT32,
            Some(LogicalType::time(true, parquet::basic::TimeUnit::MILLIS)),
            true,
        );
        expect(
            "ts",
            Physical::INT64,
            Some(LogicalType::timestamp(
                true,
                parquet::basic::TimeUnit::MILLIS,
            )),
            true,
        );
        expect("l.list.element", Physical::INT32, None, true);
        expect(
            "ms.key_value.key",
            Physical::BYTE_ARRAY,
            Some(LogicalType::String),
            true,
        );
        expect("ms.key_value.value", Physical::INT32, None, false);
        expect("mi.list.element.key", Physical::INT32, None, true);
        expect("mi.list.element.value", Physical::INT32, None, false);
        expect("st.x", Physical::INT32, None, false);

        let got = &batches[0];
        assert_eq!(got.num_rows(), 3);
        let i8s = got
            .column_by_name("i8")
            .unwrap()
            .as_primitive::<arrow::datatypes::Int32Type>();
        assert_eq!(i8s.values().to_vec(), vec![-1, 0, 127]);
        let d = cast_with_options(
            got.column_by_name("d").unwrap(),
            &DataType::Decimal128(38, 2),
            &CastOptions::default(),
        )
        .unwrap();
        assert_eq!(
            d.as_primitive::<Decimal128Type>().values().to_vec(),
            vec![12345, -1, 0]
        );
        let ts = got
            .column_by_name("ts")
            .unwrap()
            .as_primitive::<arrow::datatypes::TimestampMillisecondType>();
        assert_eq!(ts.values().to_vec(), vec![0, 1_700_000_000_000, -1]);
        let s = got.column_by_name("s").unwrap().as_string::<i32>();
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            vec![Some("a"), None, Some("ü")]
        );
        let l = got.column_by_name("l").unwrap().as_list::<i32>();
        assert_eq!(l.value_offsets(), &[0, 2, 2, 3]);
        let ms = got.column_by_name("ms").unwrap().as_map();
        assert_eq!(ms.keys().as_string::<i32>().value(2), "k2");
        let mi = got.column_by_name("mi").unwrap().as_list::<i32>();
        assert_eq!(
            mi.values()
                .as_struct()
                .column(0)
                .as_primitive::<arrow::datatypes::Int32Type>()
                .values()
                .to_vec(),
            vec![0, 10, 20]
        );
        let st = got.column_by_name("st").unwrap().as_struct();
        assert!(st.is_null(2) && st.is_valid(1));
        assert!(st.column(0).is_null(1));
    }

    #[test]
    fn codecs_extensions_and_rejections() {
        for (codec, ext, expected) in [
            (
                "none",
                ".parquet",
                parquet::basic::Compression::UNCOMPRESSED,
            ),
            (
                "snappy",
                ".snappy.parquet",
                parquet::basic::Compression::SNAPPY,
            ),
            (
                "gzip",
                ".gz.parquet",
                parquet::basic::Compression::GZIP(GzipLevel::default()),
            ),
            (
                "zstd",
                ".zstd.parquet",
                parquet::basic::Compression::ZSTD(ZstdLevel::try_new(3).unwrap()),
            ),
            (
                "lz4",
                ".lz4hadoop.parquet",
                parquet::basic::Compression::LZ4,
            ),
            (
                "lz4_raw",
                ".lz4raw.parquet",
                parquet::basic::Compression::LZ4_RAW,
            ),
            (
                "brotli",
                ".br.parquet",
                parquet::basic::Compression::BROTLI(BrotliLevel::default()),
            ),
        ] {
            assert_eq!(extension(codec).unwrap(), ext);
            let (field, values) = all_types();
            let mut w = Box::new(ParquetWriter::new(&settings(codec), &field).unwrap());
            w.write(&values, &field).unwrap();
            let (meta, batches) = read(w.finish().unwrap());
            assert_eq!(batches[0].num_rows(), 3);
            // Readers report the codec without its level.
            let got = meta.row_group(0).column(0).compression();
            assert_eq!(
                std::mem::discriminant(&got),
                std::mem::discriminant(&expected),
                "{codec}"
            );
        }
        for bad in ["lzo", "SNAPPY", "deflate"] {
            let e = extension(bad).unwrap_err();
            assert_eq!(e.fault(), strait_engine::error::Fault::Config, "{bad}");
            let (field, _) = all_types();
            assert!(ParquetWriter::new(&settings(bad), &field).is_err());
        }
    }

    #[test]
    fn taken_parts_and_finish_concatenate_to_one_file() {
        let (field, values) = all_types();
        let mut w = Box::new(
            ParquetWriter::with_max_row_group_bytes(&settings("none"), &field, 512)
                .unwrap()
                .with_sample_rows(7),
        );
        let mut file = Vec::new();
        let mut saw_drop = false;
        for _ in 0..50 {
            w.write(&values, &field).unwrap();
            assert!(w.buffered_bytes() > 0);
            let held = w.buffered_bytes();
            let part = w.take_encoded();
            if !part.is_empty() {
                assert!(w.buffered_bytes() < held, "taking bytes frees them");
                saw_drop = true;
            }
            file.extend(part);
        }
        assert!(saw_drop);
        assert_eq!(w.rows(), 150);
        file.extend(w.finish().unwrap());
        let (meta, batches) = read(file);
        assert!(meta.num_row_groups() > 1);
        assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 150);
        let all = arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
        let i64s = all
            .column_by_name("i64")
            .unwrap()
            .as_primitive::<arrow::datatypes::Int64Type>();
        for r in 0..150 {
            assert_eq!(i64s.value(r), [1, 2, i64::MAX][r % 3]);
        }
    }

    #[test]
    fn bad_rows_are_row_errors_and_the_rest_is_written() {
        let fields = Fields::from(vec![
            Field::new("id", DataType::Int32, true).with_metadata(HashMap::from([(
                md::OPTIONAL.to_string(),
                "false".to_string(),
            )])),
            named(
                Field::new("d", DataType::Decimal128(38, 0), false),
                logical::DECIMAL,
                Some(r#"{"scale":"0","connect.decimal.precision":"3"}"#),
            ),
        ]);
        let field = value_field(fields.clone(), false);
        let s = StructArray::try_new(
            fields,
            vec![
                Arc::new(Int32Array::from(vec![Some(1), None, Some(3), Some(4)])),
                Arc::new(
                    Decimal128Array::from(vec![5, 6, 1000, 7])
                        .with_precision_and_scale(38, 0)
                        .unwrap(),
                ),
            ],
            Some(NullBuffer::from(vec![true, true, true, false])),
        )
        .unwrap();
        let mut w = Box::new(ParquetWriter::new(&settings("snappy"), &field).unwrap());
        let errors = w.write(&(Arc::new(s) as ArrayRef), &field).unwrap();
        let rows: Vec<usize> = errors.iter().map(|e| e.row).collect();
        assert_eq!(rows, vec![1, 2, 3]);
        assert_eq!(
            errors[0].error.message(),
            "Invalid value: null used for required field: \"id\", schema type: INT32"
        );
        assert!(errors[1].error.message().contains("more than 3 digits"));
        assert_eq!(w.rows(), 1);
        let (_, batches) = read(w.finish().unwrap());
        assert_eq!(
            batches[0]
                .column(0)
                .as_primitive::<arrow::datatypes::Int32Type>()
                .values()
                .to_vec(),
            vec![1]
        );
    }

    #[test]
    fn non_struct_values_and_invalid_names_fail_as_in_confluent() {
        let e = ParquetWriter::new(
            &settings("snappy"),
            &Field::new("value", DataType::Utf8, true),
        )
        .unwrap_err();
        assert_eq!(e.message(), "Avro schema must be a record.");
        let bad = value_field(
            Fields::from(vec![Field::new("a-b", DataType::Int32, true)]),
            false,
        );
        assert_eq!(
            ParquetWriter::new(&settings("snappy"), &bad)
                .unwrap_err()
                .message(),
            "Illegal character in: a-b"
        );
        let empty = value_field(
            Fields::from(vec![Field::new(
                "e",
                DataType::Struct(Fields::empty()),
                true,
            )]),
            false,
        );
        assert!(ParquetWriter::new(&settings("snappy"), &empty)
            .unwrap_err()
            .message()
            .starts_with("Cannot write a schema with an empty group"));
        // Schemaless JSON keys need not be Avro names.
        let free = value_field(
            Fields::from(vec![Field::new("a-b", DataType::Int64, true)]),
            true,
        );
        assert!(ParquetWriter::new(&settings("snappy"), &free).is_ok());
    }

    #[test]
    fn schemaless_drift_policy() {
        let sl = |fields: Vec<Field>| value_field(Fields::from(fields), true);
        let open = sl(vec![
            Field::new("a", DataType::Float64, true),
            Field::new("s", DataType::Utf8, true),
        ]);
        // Same.
        assert_eq!(schema_change(&open, &open.clone()), SchemaChange::Same);
        // Int64 into Float64, a missing field, a Null-typed field: compatible.
        let inc = sl(vec![Field::new("a", DataType::Int64, true)]);
        assert_eq!(schema_change(&open, &inc), SchemaChange::Compatible);
        let inc_null = sl(vec![
            Field::new("s", DataType::Null, true),
            Field::new("a", DataType::Float64, true),
        ]);
        assert_eq!(schema_change(&open, &inc_null), SchemaChange::Compatible);
        // A new field, a narrowing, a type change, schema <-> schemaless: rotate.
        assert_eq!(
            schema_change(&open, &sl(vec![Field::new("z", DataType::Int64, true)])),
            SchemaChange::Rotate
        );
        let int_open = sl(vec![Field::new("a", DataType::Int64, true)]);
        assert_eq!(
            schema_change(
                &int_open,
                &sl(vec![Field::new("a", DataType::Float64, true)])
            ),
            SchemaChange::Rotate
        );
        assert_eq!(
            schema_change(&open, &sl(vec![Field::new("s", DataType::Boolean, true)])),
            SchemaChange::Rotate
        );
        let null_open = sl(vec![Field::new("n", DataType::Null, true)]);
        assert_eq!(
            schema_change(&null_open, &sl(vec![Field::new("n", DataType::Utf8, true)])),
            SchemaChange::Rotate
        );
        let typed = value_field(
            Fields::from(vec![
                Field::new("a", DataType::Float64, true),
                Field::new("s", DataType::Utf8, true),
            ]),
            false,
        );
        assert_eq!(schema_change(&open, &typed), SchemaChange::Rotate);
        // Nested: list items and struct members widen too.
        let nested = |item: DataType| {
            sl(vec![Field::new(
                "l",
                DataType::List(Arc::new(Field::new("item", item, true))),
                true,
            )])
        };
        assert_eq!(
            schema_change(&nested(DataType::Float64), &nested(DataType::Int64)),
            SchemaChange::Compatible
        );
        assert_eq!(
            schema_change(&nested(DataType::Int64), &nested(DataType::Utf8)),
            SchemaChange::Rotate
        );
        // Schema'd columns append only when identical.
        let typed2 = value_field(
            Fields::from(vec![Field::new("a", DataType::Int64, true)]),
            false,
        );
        assert_eq!(schema_change(&typed, &typed2), SchemaChange::Rotate);

        // Writing the compatible batches reads back as the file's types.
        let mut w = Box::new(ParquetWriter::new(&settings("snappy"), &open).unwrap());
        let first = StructArray::try_new(
            match open.data_type() {
                DataType::Struct(f) => f.clone(),
                _ => unreachable!(),
            },
            vec![
                Arc::new(Float64Array::from(vec![1.5])),
                Arc::new(StringArray::from(vec!["x"])),
            ],
            None,
        )
        .unwrap();
        assert!(w
            .write(&(Arc::new(first) as ArrayRef), &open)
            .unwrap()
            .is_empty());
        let second = StructArray::try_new(
            match inc.data_type() {
                DataType::Struct(f) => f.clone(),
                _ => unreachable!(),
            },
            vec![Arc::new(Int64Array::from(vec![2]))],
            None,
        )
        .unwrap();
        assert!(w
            .write(&(Arc::new(second) as ArrayRef), &inc)
            .unwrap()
            .is_empty());
        let third = StructArray::try_new(
            match inc_null.data_type() {
                DataType::Struct(f) => f.clone(),
                _ => unreachable!(),
            },
            vec![
                Arc::new(NullArray::new(1)),
                Arc::new(Float64Array::from(vec![3.0])),
            ],
            None,
        )
        .unwrap();
        assert!(w
            .write(&(Arc::new(third) as ArrayRef), &inc_null)
            .unwrap()
            .is_empty());
        let (meta, batches) = read(w.finish().unwrap());
        let all = arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
        assert_eq!(
            meta.file_metadata()
                .schema_descr()
                .column(0)
                .physical_type(),
            Physical::DOUBLE
        );
        assert_eq!(
            all.column(0)
                .as_primitive::<arrow::datatypes::Float64Type>()
                .values()
                .to_vec(),
            vec![1.5, 2.0, 3.0]
        );
        assert_eq!(
            all.column(1).as_string::<i32>().iter().collect::<Vec<_>>(),
            vec![Some("x"), None, None]
        );
        // A Rotate batch is refused rather than written wrongly.
        let z = sl(vec![Field::new("z", DataType::Int64, true)]);
        let mut w = Box::new(ParquetWriter::new(&settings("snappy"), &open).unwrap());
        let zs = StructArray::try_new(
            match z.data_type() {
                DataType::Struct(f) => f.clone(),
                _ => unreachable!(),
            },
            vec![Arc::new(Int64Array::from(vec![1]))],
            None,
        )
        .unwrap();
        assert!(w.write(&(Arc::new(zs) as ArrayRef), &z).is_err());
    }

    /// `n` rows of: a unique id, a unique name, one of five cities, one of ten scores, and a
    /// struct holding a unique zip, from `first` on.
    fn people(first: usize, n: usize) -> (Field, ArrayRef) {
        let zip = Fields::from(vec![Field::new("zip", DataType::Utf8, true)]);
        let fields = Fields::from(vec![
            Field::new("id", DataType::Int64, true),
            Field::new("name", DataType::Utf8, true),
            Field::new("city", DataType::Utf8, true),
            Field::new("score", DataType::Float64, true),
            Field::new("address", DataType::Struct(zip.clone()), true),
        ]);
        let rows = first..first + n;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from_iter_values(
                rows.clone().map(|i| i as i64 * 7),
            )),
            Arc::new(StringArray::from_iter_values(
                rows.clone().map(|i| format!("user-{i}")),
            )),
            Arc::new(StringArray::from_iter_values(
                rows.clone()
                    .map(|i| ["Lisbon", "Oslo", "Lima", "Pune", "Quito"][i % 5]),
            )),
            Arc::new(Float64Array::from_iter_values(
                rows.clone().map(|i| (i % 10) as f64 / 4.0),
            )),
            Arc::new(
                StructArray::try_new(
                    zip,
                    vec![Arc::new(StringArray::from_iter_values(
                        rows.clone().map(|i| format!("{:05}", i)),
                    ))],
                    None,
                )
                .unwrap(),
            ),
        ];
        let values = StructArray::try_new(fields.clone(), columns, None).unwrap();
        (value_field(fields, true), Arc::new(values))
    }

    /// Which leaf columns of row group 0 carry a dictionary page, by path.
    fn dictionary_columns(meta: &parquet::file::metadata::ParquetMetaData) -> Vec<String> {
        meta.row_group(0)
            .columns()
            .iter()
            .filter(|c| c.dictionary_page_offset().is_some())
            .map(|c| c.column_path().string())
            .collect()
    }

    #[test]
    fn dictionary_encoding_follows_parquet_javas_first_page_test() {
        let mut w = Box::new(ParquetWriter::new(&settings("snappy"), &people(0, 1).0).unwrap());
        // Written in pieces smaller than the sample, so the sample spans several writes.
        let mut first = 0;
        while first < 20_000 {
            let (field, values) = people(first, 1_000);
            assert!(w.write(&values, &field).unwrap().is_empty());
            first += 1_000;
        }
        assert_eq!(w.rows(), 20_000);
        let (meta, batches) = read(w.finish().unwrap());
        // Repeating values keep their dictionary; unique ones (ids, names, zips) are plain,
        // as parquet-java's first page would decide.
        assert_eq!(dictionary_columns(&meta), vec!["city", "score"]);
        let all = arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
        let (_, want) = people(0, 20_000);
        let want = want.as_struct();
        for (i, name) in ["id", "name", "city", "score", "address"]
            .iter()
            .enumerate()
        {
            assert_eq!(
                all.column_by_name(name).unwrap().as_ref(),
                want.column(i).as_ref(),
                "{name}"
            );
        }
    }

    #[test]
    fn a_file_smaller_than_the_sample_is_held_then_written_whole() {
        let (field, values) = people(0, 10);
        let mut w = Box::new(ParquetWriter::new(&settings("snappy"), &field).unwrap());
        w.write(&values, &field).unwrap();
        // Held as Arrow, counted against the memory budget, nothing encoded yet.
        assert!(w.buffered_bytes() > 0);
        assert!(w.take_encoded().is_empty());
        // A slice of a larger batch is copied: holding it must not pin the whole batch.
        let (_, big) = people(10, 100_000);
        let held = w.buffered_bytes();
        w.write(&big.slice(0, 5), &field).unwrap();
        assert!(
            w.buffered_bytes() - held < big.get_array_memory_size() / 100,
            "a 5-row slice held {} bytes",
            w.buffered_bytes() - held
        );
        assert_eq!(w.rows(), 15);
        let (meta, batches) = read(w.finish().unwrap());
        // Ten names, five cities twice over: the cities repeat enough to pay for a dictionary.
        assert!(dictionary_columns(&meta).contains(&"city".to_string()));
        assert!(!dictionary_columns(&meta).contains(&"name".to_string()));
        let all = arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
        let (_, want) = people(0, 15);
        assert_eq!(all.column(1).as_ref(), want.as_struct().column(1).as_ref());
    }

    #[test]
    fn dictionary_pays_only_when_entries_and_ids_are_smaller_than_plain() {
        let sizes = |raw, dictionary, values, distinct| DictionarySizes {
            raw,
            dictionary,
            values,
            distinct,
        };
        // 1,000 longs, all distinct: 8,000 B of entries + 10-bit ids > 8,000 B plain.
        assert!(!sizes(8_000, 8_000, 1_000, 1_000).dictionary_pays());
        // 1,000 longs, 4 distinct: 32 B + 2-bit ids (250 B) < 8,000 B.
        assert!(sizes(8_000, 32, 1_000, 4).dictionary_pays());
        // One value repeated: zero-bit ids, the entry alone.
        assert!(sizes(80, 8, 10, 1).dictionary_pays());
        // Half distinct 20-byte strings: 12,000 B + 10-bit ids (1,250 B) < 24,000 B.
        assert!(sizes(24_000, 12_000, 1_000, 500).dictionary_pays());
        // No values (all nulls): arrow-rs' default stays.
        assert!(sizes(0, 0, 0, 0).dictionary_pays());
    }
}
