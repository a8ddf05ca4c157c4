//! File formats of storage sinks (Confluent's `io.confluent.connect.s3.format.*`): Parquet,
//! Avro object container files, JSON lines and raw bytes. A [`FileWriter`] takes whole Arrow
//! columns of Connect data (typed arrays whose field metadata carries the Connect schema, see
//! [`strait_engine::schema`]) and encodes them into the bytes of one object.

use arrow::array::ArrayRef;
use arrow::datatypes::Field;

use strait_engine::plugin::RowError;
use strait_engine::Result;

pub mod parquet;

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
