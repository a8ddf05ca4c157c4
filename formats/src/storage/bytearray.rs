//! `io.confluent.connect.s3.format.bytearray.ByteArrayFormat`: each record's value bytes as
//! Kafka's ByteArrayConverter gives them, followed by `format.bytearray.separator`, optionally
//! gzipped.
//!
//! ByteArrayConverter's checks decide which rows fail, with its messages: a column whose
//! Connect schema is not BYTES fails every row (`Invalid schema type for ByteArrayConverter:
//! STRING`), a schemaless value that is not bytes fails its row (`ByteArrayConverter is not
//! compatible with objects of type class java.lang.String`). A null value makes Java write
//! `null` to the stream (a NullPointerException that kills the task); Strait fails the row
//! instead (Confluent's `behavior.on.null.values` keeps nulls away from this writer anyway).

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field};
use strait_engine::plugin::RowError;
use strait_engine::{schema, Error, Result};

use super::{FileWriter, FormatSettings, Output};
use crate::java::java_class_name;
use crate::json::connect::{ConnectSchema, Type};
use crate::json::Opts;

/// Writes one ByteArrayFormat object.
pub struct ByteArrayWriter {
    separator: Vec<u8>,
    out: Output,
    rows: usize,
}

impl ByteArrayWriter {
    pub fn new(settings: &FormatSettings, _field: &Field) -> Result<ByteArrayWriter> {
        Ok(ByteArrayWriter {
            separator: settings.bytearray_separator.clone(),
            out: Output::new(settings.gzip_level),
            rows: 0,
        })
    }
}

/// Why every non-null row of this column fails, if it does.
fn column_error(field: &Field, values: &ArrayRef) -> Option<Error> {
    if !schema::is_schemaless(field) {
        if let Ok(s) = ConnectSchema::from_field(field, &Opts::default()) {
            if s.ty != Type::Bytes {
                return Some(Error::data(format!(
                    "Invalid schema type for ByteArrayConverter: {}",
                    s.type_name()
                )));
            }
        }
    }
    match values.data_type() {
        DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_)
        | DataType::Null => None,
        other => Some(Error::data(format!(
            "ByteArrayConverter is not compatible with objects of type class {}",
            java_class_name(other).unwrap_or("java.lang.Object")
        ))),
    }
}

impl FileWriter for ByteArrayWriter {
    fn write(&mut self, values: &ArrayRef, field: &Field) -> Result<Vec<RowError>> {
        let mut errors = Vec::new();
        let failure = column_error(field, values);
        let bytes = match (&failure, values.data_type()) {
            (None, DataType::Binary) | (None, DataType::Null) | (Some(_), _) => None,
            (None, _) => Some(cast(values, &DataType::Binary)?),
        };
        let binary = match &bytes {
            Some(b) => Some(b.as_binary::<i32>()),
            None if values.data_type() == &DataType::Binary => Some(values.as_binary::<i32>()),
            None => None,
        };
        for row in 0..values.len() {
            if values.is_null(row) || values.data_type() == &DataType::Null {
                errors.push(RowError {
                    row,
                    error: Error::data(
                        "ByteArrayFormat cannot write a null value (Confluent fails the task with a NullPointerException here)",
                    ),
                });
                continue;
            }
            match (&failure, binary) {
                (Some(e), _) => errors.push(RowError {
                    row,
                    error: Error::data(e.message().to_string()),
                }),
                (None, Some(b)) => {
                    self.out.write(b.value(row))?;
                    self.out.write(&self.separator)?;
                    self.rows += 1;
                }
                (None, None) => {
                    return Err(Error::bug("ByteArrayFormat: bytes column not cast"));
                }
            }
        }
        Ok(errors)
    }

    fn take_encoded(&mut self) -> Vec<u8> {
        self.out.take()
    }

    fn buffered_bytes(&self) -> usize {
        self.out.buffered()
    }

    fn rows(&self) -> usize {
        self.rows
    }

    fn finish(self: Box<Self>) -> Result<Vec<u8>> {
        self.out.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::super::{extension, FormatKind};
    use super::*;
    use arrow::array::{BinaryArray, StringArray};
    use std::io::Read;
    use std::sync::Arc;

    fn settings(gzip: Option<i32>) -> FormatSettings {
        FormatSettings {
            gzip_level: gzip,
            ..FormatSettings::with_defaults(FormatKind::ByteArray)
        }
    }

    #[test]
    fn raw_bytes_then_separator_and_gzip_round_trip() {
        let field = Field::new("value", DataType::Binary, true);
        let values: ArrayRef = Arc::new(BinaryArray::from(vec![&b"ab"[..], &[0u8, 255][..]]));
        for gzip in [None, Some(-1), Some(9)] {
            let mut w = Box::new(ByteArrayWriter::new(&settings(gzip), &field).unwrap());
            assert!(w.write(&values, &field).unwrap().is_empty());
            let mut bytes = w.take_encoded();
            assert_eq!(w.rows(), 2);
            bytes.extend(w.finish().unwrap());
            let plain = if gzip.is_some() {
                let mut out = Vec::new();
                flate2::read::GzDecoder::new(&bytes[..])
                    .read_to_end(&mut out)
                    .unwrap();
                out
            } else {
                bytes
            };
            assert_eq!(plain, b"ab\n\x00\xff\n");
        }
        assert_eq!(extension(&settings(None)).unwrap(), ".bin");
        assert_eq!(extension(&settings(Some(1))).unwrap(), ".bin.gz");
    }

    #[test]
    fn non_bytes_rows_fail_with_converter_messages() {
        let mut w =
            ByteArrayWriter::new(&settings(None), &Field::new("v", DataType::Utf8, true)).unwrap();
        let strings: ArrayRef = Arc::new(StringArray::from(vec![Some("x"), None]));
        let typed = Field::new("value", DataType::Utf8, true);
        let errors = w.write(&strings, &typed).unwrap();
        assert_eq!(
            errors[0].error.message(),
            "Invalid schema type for ByteArrayConverter: STRING"
        );
        assert_eq!(errors[1].row, 1);
        let errors = w.write(&strings, &schema::schemaless(typed)).unwrap();
        assert_eq!(
            errors[0].error.message(),
            "ByteArrayConverter is not compatible with objects of type class java.lang.String"
        );
        assert_eq!(w.rows(), 0);
        assert!(w.take_encoded().is_empty());
    }
}
