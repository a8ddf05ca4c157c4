//! `io.confluent.connect.s3.format.json.JsonFormat`: one JSON document per record, each followed
//! by a line separator (`\n`, Java's `System.lineSeparator()` on Linux), optionally gzipped.
//!
//! Confluent writes a `Struct` value through a JsonConverter configured with
//! `schemas.enable=false` and `decimal.format` from `json.decimal.format`
//! (`replace.null.with.default` stays at its default, true), and any other value (maps, lists,
//! primitives, null) with Jackson's `ObjectMapper`. Strait encodes both with its JsonConverter
//! encoder; the two agree except where Jackson sees Java objects rather than Connect data: a
//! top-level Date is written as epoch milliseconds and a top-level Decimal as a plain number
//! (both handled here), and a top-level array or map holding structs or logical values, which
//! Jackson prints differently (or fails on) — Strait rejects such columns rather than write
//! something Confluent would not.

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{DataType, Field};
use strait_engine::plugin::RowError;
use strait_engine::{schema, Error, Result};

use super::{FileWriter, FormatSettings, Output};
use crate::java::write_big_decimal;
use crate::json::connect::{ConnectSchema, Logical, Type};
use crate::json::encode::Enc;
use crate::json::write::write_int;
use crate::json::Opts;

const LINE_SEPARATOR: &[u8] = b"\n";
const MILLIS_PER_DAY: i64 = 86_400_000;

/// Writes one JSON-lines object.
pub struct JsonWriter {
    opts: Opts,
    out: Output,
    rows: usize,
}

impl JsonWriter {
    pub fn new(settings: &FormatSettings, field: &Field) -> Result<JsonWriter> {
        let writer = JsonWriter {
            opts: Opts {
                decimal_numeric: settings.json_decimal_numeric,
                replace_null_with_default: true,
                map_entries_as_objects: false,
            },
            out: Output::new(settings.gzip_level),
            rows: 0,
        };
        writer.schema(field)?;
        Ok(writer)
    }

    fn schema(&self, field: &Field) -> Result<Option<ConnectSchema>> {
        if schema::is_schemaless(field) {
            return Ok(None);
        }
        let s = ConnectSchema::from_field(field, &self.opts).map_err(Error::data)?;
        if matches!(s.ty, Type::Array(_) | Type::Map(_, _)) && holds_java_objects(&s) {
            return Err(Error::data(format!(
                "JsonFormat: Strait does not write a top-level {} holding structs or logical values (Confluent writes those with Jackson, not the JsonConverter)",
                s.type_name()
            )));
        }
        Ok(Some(s))
    }
}

/// Whether an array or map schema holds values Jackson would print unlike JsonConverter.
fn holds_java_objects(s: &ConnectSchema) -> bool {
    let child = |c: &ConnectSchema| {
        matches!(c.ty, Type::Struct(_))
            || !matches!(c.logical(), Ok(Logical::None))
            || holds_java_objects(c)
    };
    match &s.ty {
        Type::Array(item) => child(item),
        Type::Map(k, v) => child(k) || child(v),
        _ => false,
    }
}

impl FileWriter for JsonWriter {
    fn write(&mut self, values: &ArrayRef, field: &Field) -> Result<Vec<RowError>> {
        let connect = self.schema(field)?;
        let enc = Enc::new(field, values, connect.as_ref(), &self.opts).map_err(Error::data)?;
        let top_logical = connect
            .as_ref()
            .map(|s| s.logical())
            .transpose()
            .map_err(Error::data)?
            .unwrap_or(Logical::None);
        let nulls = values.logical_nulls();
        let mut errors = Vec::new();
        let mut line = Vec::with_capacity(256);
        for row in 0..values.len() {
            line.clear();
            if nulls.as_ref().is_some_and(|n| n.is_null(row)) {
                // Not a Struct: Jackson writes `null` (no default substitution).
                line.extend_from_slice(b"null");
            } else {
                let written = match top_logical {
                    Logical::Date => {
                        let days = values.as_primitive::<arrow::datatypes::Date32Type>();
                        write_int(&mut line, days.value(row) as i64 * MILLIS_PER_DAY);
                        Ok(())
                    }
                    Logical::Decimal(scale) if values.data_type() != &DataType::Null => {
                        let d = values.as_primitive::<arrow::datatypes::Decimal128Type>();
                        write_big_decimal(&mut line, d.value(row), scale);
                        Ok(())
                    }
                    _ => enc.write(row, &mut line),
                };
                if let Err(msg) = written {
                    errors.push(RowError {
                        row,
                        error: Error::data(msg),
                    });
                    continue;
                }
            }
            line.extend_from_slice(LINE_SEPARATOR);
            self.out.write(&line)?;
            self.rows += 1;
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
    use super::super::FormatKind;
    use super::*;
    use arrow::array::{Decimal128Array, Int64Array, StringArray, StructArray};
    use arrow::datatypes::Fields;
    use std::io::Read;
    use std::sync::Arc;

    fn settings(gzip: Option<i32>, numeric: bool) -> FormatSettings {
        FormatSettings {
            gzip_level: gzip,
            json_decimal_numeric: numeric,
            ..FormatSettings::with_defaults(FormatKind::Json)
        }
    }

    fn rows(field: &Field, values: &ArrayRef, s: FormatSettings) -> Vec<serde_json::Value> {
        let gz = s.gzip_level.is_some();
        let mut w = Box::new(JsonWriter::new(&s, field).unwrap());
        assert!(w.write(values, field).unwrap().is_empty());
        let mut bytes = w.take_encoded();
        bytes.extend(w.finish().unwrap());
        if gz {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&bytes[..])
                .read_to_end(&mut out)
                .unwrap();
            bytes = out;
        }
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.ends_with('\n'));
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn structs_are_json_lines_without_envelope_and_gzip_round_trips() {
        let fields = Fields::from(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("d", DataType::Decimal128(38, 2), false),
        ]);
        let values: ArrayRef = Arc::new(StructArray::new(
            fields.clone(),
            vec![
                Arc::new(Int64Array::from(vec![1, 2])),
                Arc::new(
                    Decimal128Array::from(vec![150, -5])
                        .with_precision_and_scale(38, 2)
                        .unwrap(),
                ),
            ],
            Some(vec![true, true].into()),
        ));
        let field = Field::new("value", DataType::Struct(fields), true);
        for gzip in [None, Some(6)] {
            let got = rows(&field, &values, settings(gzip, true));
            assert_eq!(
                got,
                vec![
                    serde_json::json!({"id":1,"d":1.50}),
                    serde_json::json!({"id":2,"d":-0.05})
                ]
            );
        }
        // BASE64 decimals (the default json.decimal.format).
        let got = rows(&field, &values, settings(None, false));
        assert_eq!(got[0]["d"], "AJY=");
    }

    #[test]
    fn non_struct_values_are_written_as_jackson_does() {
        let field = Field::new("value", DataType::Utf8, true);
        let values: ArrayRef = Arc::new(StringArray::from(vec![Some("a\"b"), None]));
        let got = rows(&field, &values, settings(None, false));
        assert_eq!(
            got,
            vec![serde_json::json!("a\"b"), serde_json::Value::Null]
        );
        // A top-level Date is a java.util.Date to Jackson: epoch milliseconds.
        let date = Field::new("value", DataType::Date32, true);
        let days: ArrayRef = Arc::new(arrow::array::Date32Array::from(vec![1]));
        assert_eq!(
            rows(&date, &days, settings(None, false)),
            vec![serde_json::json!(86_400_000)]
        );
    }
}
