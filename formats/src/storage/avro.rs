//! `io.confluent.connect.s3.format.avro.AvroFormat`: an Avro object container file whose schema
//! is what Confluent's `AvroData.fromConnectSchema` makes of the Connect schema (with the S3
//! sink's defaults `connect.meta.data=true`, `enhanced.avro.schema.support=true`,
//! `allow.optional.map.keys=false`), codec from `avro.codec`.
//!
//! The schema mapping and the value encoding live in [`crate::avro::write`] (shared with the
//! AvroConverter). Strait writes the container and the Avro binary encoding itself rather than through
//! arrow-avro's writer: arrow-avro only writes record roots (Connect values may be any type,
//! and the headers sidecar is an array), and it cannot take AvroData's representation of maps
//! with non-string keys (arrays of `MapEntry` records). The schema JSON follows Avro's
//! `Schema.toString` layout: key order, `namespace` only where it differs from the enclosing
//! one, named types written once and referenced after.
//!
//! Differences from Confluent: the sync marker is derived from the schema (Java's is random);
//! the `avro.codec` `xz` is refused (no xz encoder here); Connect unions from Avro sources
//! (`io.confluent.connect.avro.Union`), fixed types, and defaults of structured or logical
//! types are refused with an error (Connect enums from Avro sources are written as Avro enums,
//! or strings with `enhanced.avro.schema.support=false`, as AvroData does); schemaless values are refused
//! (Confluent writes them with its `io.confluent.connect.avro.Anything` schema).

use std::io::Write;

use arrow::array::ArrayRef;
use arrow::datatypes::Field;
use strait_engine::plugin::RowError;
use strait_engine::{Error, Result};

use super::{FileWriter, FormatSettings};
pub use crate::avro::write::avro_schema_json;
use crate::avro::write::{connect_schema, write_bytes, write_long, write_value, SchemaCx};
use crate::json::connect::ConnectSchema;

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
    /// `enhanced.avro.schema.support`.
    enhanced: bool,
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
        let json = SchemaCx::new(settings.avro_enhanced)
            .schema(&schema, false)?
            .to_string();
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
            enhanced: settings.avro_enhanced,
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
            match write_value(
                &self.schema,
                values.as_ref(),
                row,
                &mut self.block,
                self.enhanced,
            ) {
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
    use arrow::array::{
        Array, AsArray, Int32Array, Int64Array, Int8Array, StringArray, StructArray,
    };
    use arrow::datatypes::{DataType, Fields, TimeUnit};
    use serde_json::{json, Value};
    use std::collections::HashMap;
    use std::sync::Arc;
    use strait_engine::schema;

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
        let got: Value = serde_json::from_str(&avro_schema_json(&field, true).unwrap()).unwrap();
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
        assert_eq!(
            avro_schema_json(&field, true).unwrap(),
            expected.to_string()
        );
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
        assert_eq!(
            avro_schema_json(&field, true).unwrap(),
            r#"["null","string"]"#
        );
        let mut w = Box::new(AvroWriter::new(&settings("null"), &field).unwrap());
        let values: ArrayRef = Arc::new(StringArray::from(vec![Some("hi"), None]));
        assert!(w.write(&values, &field).unwrap().is_empty());
        let bytes = w.finish().unwrap();
        // The one block: count 2, size 5, [1, len 2, "hi"], [0], then the sync marker.
        let tail = &bytes[bytes.len() - 16 - 7..bytes.len() - 16];
        assert_eq!(tail, &[4, 10, 2, 4, b'h', b'i', 0]);
    }
}
