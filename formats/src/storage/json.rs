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
