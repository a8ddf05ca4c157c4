//! `org.apache.kafka.connect.transforms.HeaderFrom$Key` / `$Value`: copies or moves fields of
//! the key or value into headers (`fields[i]` becomes header `headers[i]`).
//!
//! The kernel serializes each named field column once per batch with the connector's header
//! converter and appends the results to every row's headers, in config order. As in Java 4.1:
//!
//! - a null key/value (tombstone) is not passed through: `Requirements` rejects it, as it
//!   rejects anything that is not a `Struct` (with a schema) or a `Map` (without);
//! - with a schema, a header carries the field's own schema (optional flag, default, name…) and
//!   the value `Struct.get` reads (the default replaces a null unless
//!   `replace.null.with.default=false`); naming a field the schema lacks fails every record with
//!   Java's `NullPointerException`; `move` rebuilds the struct without the moved fields, keeping
//!   only name, version, doc and parameters of its schema (`SchemaUtil.copySchemaBasics`: the
//!   new schema is required and has no default), and puts every kept field's value through
//!   `Struct.get` too, so defaults are materialized there as well;
//! - without a schema, a header has no schema and the map entry's value (null when the map
//!   lacks the key, which makes a null header); `move` removes the entries.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BinaryArray, RecordBatch, StructArray, UInt32Array};
use arrow::datatypes::{DataType, Field, Fields};

use super::registry::{Build, TransformPlugin};
use super::util::{self, append_headers, column, header_list, with_headers, Side};
use super::{Applied, Needs, Transform, TransformContext};
use crate::config::{Props, Validator};
use crate::error::{Error, Result};
use crate::plugin::{Converter, RowError};
use crate::schema;

const KEY_CLASS: &str = "org.apache.kafka.connect.transforms.HeaderFrom$Key";
const VALUE_CLASS: &str = "org.apache.kafka.connect.transforms.HeaderFrom$Value";

/// What Java's `Field.schema()` call on the missing field of `operatingSchema.field(name)` throws
/// (the JVM's helpful NullPointerException message).
const MISSING_FIELD_NPE: &str = "Cannot invoke \"org.apache.kafka.connect.data.Field.schema()\" because the return value of \"org.apache.kafka.connect.data.Schema.field(String)\" is null";

crate::declare_config! {
    /// `HeaderFrom.CONFIG_DEF`.
    #[derive(Debug, Clone)]
    pub struct HeaderFromConfig {
        pub fields: Vec<String> {
            key: "fields",
            ty: List,
            default: required,
            validator: Validator::NonEmptyList,
            importance: High,
            doc: "Field names in the record whose values are to be copied or moved to headers.",
        },
        pub headers: Vec<String> {
            key: "headers",
            ty: List,
            default: required,
            validator: Validator::NonEmptyList,
            importance: High,
            doc: "Header names, in the same order as the field names listed in the fields configuration property.",
        },
        pub operation: String {
            key: "operation",
            ty: String,
            default: required,
            validator: Validator::OneOf(&["move", "copy"]),
            importance: High,
            doc: "Either <code>move</code> if the fields are to be moved to the headers (removed from the key/value), or <code>copy</code> if the fields are to be copied to the headers (retained in the key/value).",
        },
        pub replace_null_with_default: bool {
            key: "replace.null.with.default",
            ty: Boolean,
            default: "true",
            importance: Medium,
            doc: util::REPLACE_NULL_WITH_DEFAULT_DOC,
        },
    }
}

pub const PLUGINS: &[TransformPlugin] = &[
    TransformPlugin {
        class: KEY_CLASS,
        config_def: HeaderFromConfig::config_def,
        build: Build::Transform(|props, ctx| build(props, ctx, Side::Key)),
    },
    TransformPlugin {
        class: VALUE_CLASS,
        config_def: HeaderFromConfig::config_def,
        build: Build::Transform(|props, ctx| build(props, ctx, Side::Value)),
    },
];

fn build(props: &Props, ctx: &TransformContext, side: Side) -> Result<Box<dyn Transform>> {
    Ok(Box::new(HeaderFrom::new(
        &HeaderFromConfig::parse(props)?,
        ctx,
        side,
    )?))
}

/// A configured HeaderFrom.
pub struct HeaderFrom {
    side: Side,
    /// `(field, header)` pairs, in config order.
    pairs: Vec<(String, String)>,
    /// `move` (else `copy`).
    moves: bool,
    replace_null_with_default: bool,
    converter: Arc<dyn Converter>,
}

impl HeaderFrom {
    pub fn new(config: &HeaderFromConfig, ctx: &TransformContext, side: Side) -> Result<Self> {
        if config.fields.len() != config.headers.len() {
            return Err(Error::config(
                "'fields' config must have the same number of elements as 'headers' config.",
            ));
        }
        Ok(HeaderFrom {
            side,
            pairs: config
                .fields
                .iter()
                .cloned()
                .zip(config.headers.iter().cloned())
                .collect(),
            moves: config.operation == "move",
            replace_null_with_default: config.replace_null_with_default,
            converter: ctx.header_converter.clone(),
        })
    }

    /// Whether `name` is one of the fields to move or copy.
    fn named(&self, name: &str) -> bool {
        self.pairs.iter().any(|(f, _)| f == name)
    }

    /// The struct without the moved fields (Java's `moveSchema` and the `Struct.put` of every
    /// kept field), or `None` when nothing moves.
    fn moved(
        &self,
        field: &Field,
        input: &StructArray,
        errors: &mut Vec<RowError>,
    ) -> Result<Option<(Field, ArrayRef)>> {
        if !self.moves {
            return Ok(None);
        }
        let with_schema = !schema::is_schemaless(field);
        let mut fields = Vec::new();
        let mut arrays = Vec::new();
        for (child, values) in input.fields().iter().zip(input.columns()) {
            if self.named(child.name()) {
                continue;
            }
            let values = if with_schema {
                let values = match util::with_default(child, values, self.replace_null_with_default)
                {
                    Ok(v) => v,
                    Err(e) => {
                        errors.extend(util::fail_rows(input, || again(&e)));
                        values.clone()
                    }
                };
                errors.extend(util::put_errors(child, &values, Some(input)));
                values
            } else {
                values.clone()
            };
            fields.push(child.clone());
            arrays.push(values);
        }
        let fields = Fields::from(fields);
        let out = StructArray::try_new_with_length(
            fields.clone(),
            arrays,
            input.nulls().cloned(),
            input.len(),
        )?;
        let metadata = if with_schema {
            util::struct_basics(field).into()
        } else {
            field.metadata().clone()
        };
        Ok(Some((
            util::top_field(DataType::Struct(fields), metadata),
            Arc::new(out),
        )))
    }

    /// The serialized header values of one field, and the rows whose value the header converter
    /// could not write.
    fn header_values(
        &self,
        field: &Field,
        input: &StructArray,
        name: &str,
        header: &str,
        errors: &mut Vec<RowError>,
    ) -> Result<BinaryArray> {
        let with_schema = !schema::is_schemaless(field);
        let Some((index, child)) = input.fields().find(name) else {
            // Without a schema `Map.get` gives null: a header with a null value and no schema,
            // which the converter writes as a null. (With a schema the row failed already.)
            return Ok(BinaryArray::new_null(input.len()));
        };
        let (top, values) = if with_schema {
            let values = match util::with_default(
                child,
                input.column(index),
                self.replace_null_with_default,
            ) {
                Ok(v) => v,
                Err(e) => {
                    errors.extend(util::fail_rows(input, || again(&e)));
                    return Ok(BinaryArray::new_null(input.len()));
                }
            };
            (util::child_as_top(child).with_name(header), values)
        } else {
            let top = Field::new(header, child.data_type().clone(), true)
                .with_metadata(child.metadata().clone());
            (schema::schemaless(top), input.column(index).clone())
        };
        encode_valid_rows(self.converter.as_ref(), &top, &values, input, errors)
    }
}

/// Another copy of `e`, for each row it fails.
fn again(e: &Error) -> Error {
    Error::new(e.fault(), e.message()).with_java_class(e.java_class())
}

/// `values` serialized by `converter`, for the rows where `parent` is valid (the others are
/// failed rows, whose placeholder values a converter may refuse; they get null). When the
/// converter refuses the column, each row is written alone and the rows it refuses fail with
/// its error, as Java's converter fails only those records.
fn encode_valid_rows(
    converter: &dyn Converter,
    field: &Field,
    values: &ArrayRef,
    parent: &StructArray,
    errors: &mut Vec<RowError>,
) -> Result<BinaryArray> {
    let rows = values.len();
    let valid: Vec<u32> = (0..rows as u32)
        .filter(|&r| parent.is_valid(r as usize))
        .collect();
    let dense = if valid.len() == rows {
        values.clone()
    } else {
        arrow::compute::take(values.as_ref(), &UInt32Array::from(valid.clone()), None)?
    };
    let encoded = match converter.from_connect(field, &dense) {
        Ok(encoded) => encoded,
        Err(_) => {
            let mut one_by_one: Vec<Option<Vec<u8>>> = Vec::with_capacity(valid.len());
            for (i, &row) in valid.iter().enumerate() {
                match converter.from_connect(field, &dense.slice(i, 1)) {
                    Ok(b) => one_by_one.push(b.is_valid(0).then(|| b.value(0).to_vec())),
                    Err(e) => {
                        errors.push(RowError {
                            row: row as usize,
                            error: e,
                        });
                        one_by_one.push(None);
                    }
                }
            }
            one_by_one.iter().map(Option::as_deref).collect()
        }
    };
    if valid.len() == rows {
        return Ok(encoded);
    }
    // Back to one entry per row: row r takes entry `position[r]`, failed rows a null.
    let mut next = 0u32;
    let positions: UInt32Array = (0..rows)
        .map(|r| {
            parent.is_valid(r).then(|| {
                next += 1;
                next - 1
            })
        })
        .collect();
    let spread = arrow::compute::take(&encoded, &positions, None)?;
    Ok(spread
        .as_any()
        .downcast_ref::<BinaryArray>()
        .ok_or_else(|| Error::bug("take of a binary array"))?
        .clone())
}

impl Transform for HeaderFrom {
    fn class(&self) -> &'static str {
        match self.side {
            Side::Key => KEY_CLASS,
            Side::Value => VALUE_CLASS,
        }
    }

    fn needs(&self) -> Needs {
        self.side.needs().union(Needs::HEADERS)
    }

    fn apply(&self, records: &RecordBatch) -> Result<Applied> {
        let (field, array) = column(records, self.side.column())?;
        let purpose = format!("header {}", if self.moves { "move" } else { "copy" });
        let (input, mut errors) = util::struct_operand(&field, array, &purpose, "HeaderFrom", true);
        let unchanged = |errors| Applied {
            records: records.clone(),
            errors,
            keep: None,
        };
        let Some(input) = input else {
            return Ok(unchanged(errors));
        };
        let with_schema = !schema::is_schemaless(&field);
        // The moved struct is built (and its `Struct.put`s fail) before any header is read.
        let moved = self.moved(&field, input, &mut errors)?;
        if with_schema {
            if self
                .pairs
                .iter()
                .any(|(name, _)| input.fields().find(name).is_none())
            {
                errors.extend(util::fail_rows(input, || {
                    Error::data(MISSING_FIELD_NPE).with_java_class("java.lang.NullPointerException")
                }));
                return Ok(unchanged(errors));
            }
        }
        let mut added = Vec::with_capacity(self.pairs.len());
        for (name, header) in &self.pairs {
            added.push(self.header_values(&field, input, name, header, &mut errors)?);
        }
        let added: Vec<(&str, &BinaryArray)> = self
            .pairs
            .iter()
            .zip(&added)
            .map(|((_, header), values)| (header.as_str(), values))
            .collect();
        let headers = append_headers(header_list(records)?, &added)?;
        let mut out = with_headers(records, headers)?;
        if let Some((top, array)) = moved {
            out = util::replace(&out, self.side.column(), top, array)?;
        }
        Ok(Applied {
            records: out,
            errors,
            keep: None,
        })
    }
}
