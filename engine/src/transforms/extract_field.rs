//! `org.apache.kafka.connect.transforms.ExtractField$Key` / `$Value`: replace the key or value
//! with one of its fields, at a path (`field.syntax.version=V2`: nested, see
//! [`field_path`](super::field_path)).
//!
//! The kernel walks the struct children along the path and returns the last one as the new
//! column, sharing its buffers; only the null mask is recomputed (a row is null where the
//! value, or any struct on the way, is null). As in Java:
//!
//! - with a schema, the path is resolved on the schema first, so an unknown field is
//!   `IllegalArgumentException: Unknown field: <path>` for every record, nulls included, and a
//!   step through a non-struct is `Cannot look up fields on non-struct type`; the new schema is
//!   the field's schema; the last step's null takes its default when `replace.null.with.default`;
//! - without a schema, a missing field (at any step) is a null value, a non-map on the way is
//!   `Requirements`' error, and a null value passes through.

use std::sync::Arc;

use arrow::array::{make_array, Array, ArrayRef, RecordBatch, StructArray};
use arrow::buffer::NullBuffer;
use arrow::datatypes::{DataType, Field};

use super::field_path::{FieldSyntaxVersionConfig, SingleFieldPath};
use super::util::{self, column, key_value_plugins, Side};
use super::{Applied, Transform};
use crate::config::Props;
use crate::declare_config;
use crate::error::{Error, Result};
use crate::plugin::RowError;
use crate::schema;

const PURPOSE: &str = "field extraction";
key_value_plugins!(
    "org.apache.kafka.connect.transforms.ExtractField",
    ExtractFieldConfig,
    ExtractField
);

declare_config! {
    /// `ExtractField.CONFIG_DEF` (`FieldSyntaxVersion.appendConfigTo` adds its key last).
    #[derive(Debug, Clone)]
    pub struct ExtractFieldConfig {
        pub field: String {
            key: "field",
            ty: String,
            default: required,
            importance: Medium,
            doc: "Field name to extract.",
        },
        pub replace_null_with_default: bool {
            key: "replace.null.with.default",
            ty: Boolean,
            default: "true",
            importance: Medium,
            doc: util::REPLACE_NULL_WITH_DEFAULT_DOC,
        },
        pub syntax: FieldSyntaxVersionConfig { flatten },
    }
}

pub struct ExtractField {
    side: Side,
    original: String,
    path: SingleFieldPath,
    replace_null_with_default: bool,
}

/// `array` with its nulls and `extra` combined.
fn with_nulls(array: &ArrayRef, extra: Option<&NullBuffer>) -> Result<ArrayRef> {
    let Some(extra) = extra else {
        return Ok(array.clone());
    };
    let nulls = NullBuffer::union(array.logical_nulls().as_ref(), Some(extra));
    let data = array.to_data().into_builder().nulls(nulls).build()?;
    Ok(make_array(data))
}

impl ExtractField {
    fn new(props: &Props, side: Side) -> Result<Self> {
        let config = ExtractFieldConfig::parse(props)?;
        Ok(ExtractField {
            side,
            path: SingleFieldPath::new(&config.field, config.syntax.version)?,
            original: config.field,
            replace_null_with_default: config.replace_null_with_default,
        })
    }

    /// Every row fails with `error` (nulls too when `nulls_too`).
    fn fail_all(
        records: &RecordBatch,
        array: &ArrayRef,
        nulls_too: bool,
        error: impl Fn() -> Error,
    ) -> Applied {
        let errors = (0..array.len())
            .filter(|&r| nulls_too || array.is_valid(r))
            .map(|row| RowError {
                row,
                error: error(),
            })
            .collect();
        Applied {
            records: records.clone(),
            errors,
            keep: None,
        }
    }

    /// Java's `fieldFrom(schema)`: the child index and field of every step, or the error Java
    /// raises resolving the path on this schema.
    fn resolve(&self, field: &Field) -> Result<Vec<(usize, Arc<Field>)>> {
        let last = self.path.last()?;
        let mut current = field.data_type();
        let mut steps = Vec::new();
        for step in self.path.parents().iter().map(String::as_str).chain([last]) {
            let DataType::Struct(children) = current else {
                return Err(Error::data("Cannot look up fields on non-struct type"));
            };
            let Some((index, child)) = children.find(step) else {
                return Err(Error::data(format!("Unknown field: {}", self.original))
                    .with_java_class("java.lang.IllegalArgumentException"));
            };
            steps.push((index, child.clone()));
            current = child.data_type();
        }
        Ok(steps)
    }

    fn apply_with_schema(
        &self,
        records: &RecordBatch,
        field: &Field,
        array: &ArrayRef,
    ) -> Result<Applied> {
        // A null value has the column's schema (tombstones come as a schemaless column), which
        // Java resolves the path for like any other value's.
        if !matches!(array.data_type(), DataType::Struct(_)) {
            // `requireStructOrNull` fails every value; a null value then fails in `fieldFrom`.
            let errors = (0..array.len())
                .map(|row| RowError {
                    row,
                    error: if array.is_valid(row) {
                        util::require_error(field, array.as_ref(), row, PURPOSE)
                    } else {
                        self.resolve(field)
                            .err()
                            .unwrap_or_else(|| Error::bug("path resolved on a non-struct"))
                    },
                })
                .collect();
            return Ok(Applied {
                records: records.clone(),
                errors,
                keep: None,
            });
        }
        let indices = match self.resolve(field) {
            Ok(indices) => indices,
            Err(_) => {
                return Ok(Self::fail_all(records, array, true, || {
                    self.resolve(field)
                        .err()
                        .unwrap_or_else(|| Error::bug("path resolution is not deterministic"))
                }))
            }
        };
        // The values: structs on the way read with defaults (`Struct.get`), the last one as
        // configured; a null anywhere on the way is a null result.
        let mut values = array.clone();
        let mut nulls = array.logical_nulls();
        let mut errors = Vec::new();
        let steps = indices.len();
        for (i, (index, child)) in indices.into_iter().enumerate() {
            let parent = values
                .as_any()
                .downcast_ref::<StructArray>()
                .ok_or_else(|| Error::bug("schema struct without struct array"))?;
            let use_default = i + 1 < steps || self.replace_null_with_default;
            values = match util::with_default(&child, parent.column(index), use_default) {
                Ok(v) => v,
                Err(e) => {
                    let message = e.message().to_string();
                    errors.extend(util::fail_rows(parent, || {
                        Error::data(message.clone())
                            .with_java_class("java.lang.UnsupportedOperationException")
                    }));
                    parent.column(index).clone()
                }
            };
            if i + 1 < steps {
                nulls = NullBuffer::union(nulls.as_ref(), values.logical_nulls().as_ref());
            } else {
                values = with_nulls(&values, nulls.as_ref())?;
                let top = util::child_as_top(&child);
                return Ok(Applied {
                    records: util::replace(records, self.side.column(), top, values)?,
                    errors,
                    keep: None,
                });
            }
        }
        Err(Error::bug("ExtractField path without steps"))
    }

    fn apply_schemaless(
        &self,
        records: &RecordBatch,
        field: &Field,
        array: &ArrayRef,
    ) -> Result<Applied> {
        let (input, mut errors) =
            util::struct_operand(field, array, PURPOSE, "ExtractField", false);
        let Some(input) = input else {
            return Ok(Applied {
                records: records.clone(),
                errors,
                keep: None,
            });
        };
        let last = match self.path.last() {
            Ok(last) => last,
            Err(_) => {
                return Ok(Self::fail_all(records, array, false, || {
                    self.path
                        .last()
                        .err()
                        .unwrap_or_else(|| Error::bug("empty path"))
                }))
            }
        };
        let mut current: ArrayRef = Arc::new(input.clone());
        let mut current_field = field.clone();
        let mut nulls = input.logical_nulls();
        for step in self
            .path
            .parents()
            .iter()
            .map(String::as_str)
            .chain([last])
            .enumerate()
        {
            let (i, step) = step;
            let is_last = i + 1 == self.path.steps().len();
            let Some(s) = current.as_any().downcast_ref::<StructArray>() else {
                // A value on the way that is not a map: `requireMapOrNull` for the rows that
                // reach it; the rest are null.
                let rows: Vec<usize> = (0..current.len())
                    .filter(|&r| {
                        current.is_valid(r) && nulls.as_ref().is_none_or(|n| n.is_valid(r))
                    })
                    .collect();
                let nested = schema::schemaless(current_field.clone());
                errors.extend(rows.into_iter().map(|row| RowError {
                    row,
                    error: if matches!(current.data_type(), DataType::Map(..)) {
                        Error::data("ExtractField does not support schemaless maps with more than 128 distinct keys in Strait")
                            .with_java_class("java.lang.UnsupportedOperationException")
                    } else {
                        util::require_error(&nested, current.as_ref(), row, "nested field access")
                    },
                }));
                let out = arrow::array::new_null_array(&DataType::Null, array.len());
                let top = schema::schemaless(Field::new("value", DataType::Null, true));
                return Ok(Applied {
                    records: util::replace(records, self.side.column(), top, out)?,
                    errors,
                    keep: None,
                });
            };
            match s.fields().find(step) {
                Some((index, child)) => {
                    let (next, next_field) = (s.column(index).clone(), child.as_ref().clone());
                    current = next;
                    current_field = next_field;
                }
                None => {
                    // `Map.get` of a missing key: null for every row.
                    let out = arrow::array::new_null_array(&DataType::Null, array.len());
                    let top = schema::schemaless(Field::new("value", DataType::Null, true));
                    return Ok(Applied {
                        records: util::replace(records, self.side.column(), top, out)?,
                        errors,
                        keep: None,
                    });
                }
            }
            if !is_last {
                nulls = NullBuffer::union(nulls.as_ref(), current.logical_nulls().as_ref());
            }
        }
        let values = with_nulls(&current, nulls.as_ref())?;
        let top = schema::schemaless(
            Field::new("value", values.data_type().clone(), true)
                .with_metadata(current_field.metadata().clone()),
        );
        Ok(Applied {
            records: util::replace(records, self.side.column(), top, values)?,
            errors,
            keep: None,
        })
    }
}

impl Transform for ExtractField {
    util::side_transform_methods!();

    fn apply(&self, records: &RecordBatch) -> Result<Applied> {
        let (field, array) = column(records, self.side.column())?;
        if schema::is_schemaless(&field) {
            self.apply_schemaless(records, &field, array)
        } else {
            self.apply_with_schema(records, &field, array)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::columns;
    use crate::transforms::util::test_support::*;
    use arrow::array::{Int32Array, StringArray};
    use arrow::datatypes::Fields;

    /// `{a: int (required), "b.c": {d: string}}` with the second row null and the third's
    /// inner struct null.
    fn nested(schemaless: bool) -> (Field, ArrayRef) {
        let inner_fields = Fields::from(vec![Field::new("d", DataType::Utf8, true)]);
        let inner = StructArray::new(
            inner_fields.clone(),
            vec![Arc::new(StringArray::from(vec!["x", "y", "z"])) as ArrayRef],
            Some(NullBuffer::from(vec![true, true, false])),
        );
        struct_column(
            vec![
                (
                    "a",
                    Arc::new(Int32Array::from(vec![1, 2, 3])) as ArrayRef,
                    false,
                ),
                ("b.c", Arc::new(inner) as ArrayRef, true),
            ],
            Some(vec![true, false, true]),
            &[],
            schemaless,
        )
    }

    fn run(pairs: &[(&str, &str)], schemaless: bool) -> Applied {
        ExtractField::new(&props(pairs), Side::Value)
            .unwrap()
            .apply(&sink_batch(nested(schemaless)))
            .unwrap()
    }

    #[test]
    fn extracts_a_required_field_with_its_schema() {
        let out = run(&[("field", "a")], false);
        assert!(out.errors.is_empty());
        let (f, a) = column(&out.records, columns::VALUE).unwrap();
        assert_eq!(f.metadata().get(schema::OPTIONAL).unwrap(), "false");
        let a = a.as_any().downcast_ref::<Int32Array>().unwrap();
        assert_eq!(a.iter().collect::<Vec<_>>(), [Some(1), None, Some(3)]);
    }

    #[test]
    fn v2_paths_reach_nested_fields_through_backticks() {
        for schemaless in [false, true] {
            let out = run(
                &[("field", "`b.c`.d"), ("field.syntax.version", "v2")],
                schemaless,
            );
            assert!(out.errors.is_empty());
            let (f, d) = column(&out.records, columns::VALUE).unwrap();
            assert_eq!(schema::is_schemaless(&f), schemaless);
            let d = d.as_any().downcast_ref::<StringArray>().unwrap();
            assert_eq!(d.iter().collect::<Vec<_>>(), [Some("x"), None, None]);
        }
    }

    #[test]
    fn missing_fields_fail_with_a_schema_and_are_null_without() {
        let out = run(&[("field", "nope")], false);
        assert_eq!(rows_of(&out.errors), [0, 1, 2]);
        assert_eq!(out.errors[0].error.message(), "Unknown field: nope");
        assert_eq!(
            out.errors[0].error.java_class(),
            "java.lang.IllegalArgumentException"
        );
        let out = run(&[("field", "a.x"), ("field.syntax.version", "V2")], false);
        assert_eq!(
            out.errors[0].error.message(),
            "Cannot look up fields on non-struct type"
        );
        let out = run(&[("field", "nope")], true);
        assert!(out.errors.is_empty());
        let (_, v) = column(&out.records, columns::VALUE).unwrap();
        assert_eq!(v.logical_null_count(), 3);
        // Through a non-map on the way: Requirements' error for the rows that reach it.
        let out = run(&[("field", "a.x"), ("field.syntax.version", "V2")], true);
        assert_eq!(rows_of(&out.errors), [0, 2]);
        assert_eq!(
            out.errors[0].error.message(),
            "Only Map objects supported in absence of schema for [nested field access], found: java.lang.Integer"
        );
    }

    #[test]
    fn config_def_appends_the_syntax_version_and_bad_paths_fail_at_build() {
        let names: Vec<_> = ExtractFieldConfig::config_def()
            .keys()
            .iter()
            .map(|k| k.name.clone())
            .collect();
        assert_eq!(
            names,
            ["field", "replace.null.with.default", "field.syntax.version"]
        );
        let err = ExtractField::new(
            &props(&[("field", "`a"), ("field.syntax.version", "V2")]),
            Side::Key,
        )
        .err()
        .unwrap();
        assert!(err
            .message()
            .starts_with("Incomplete backtick pair in path: [`a]"));
        let err = ExtractField::new(&props(&[]), Side::Key).err().unwrap();
        assert_eq!(
            err.message(),
            "Missing required configuration \"field\" which has no default value."
        );
    }
}
