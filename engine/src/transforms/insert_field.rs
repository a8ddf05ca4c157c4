//! `org.apache.kafka.connect.transforms.InsertField$Key` / `$Value`: add the record's topic,
//! partition, offset, timestamp and a static string as fields of the key or value struct.
//!
//! The kernel appends the new children to the struct column and shares every existing child
//! (a child is only rebuilt when it has a schema default to apply). As in Java:
//!
//! - a null key/value (tombstone) passes through unchanged;
//! - with a schema, the new struct schema keeps the input's name, version, doc and parameters,
//!   is required, and appends the fields in the order topic, partition, offset, timestamp,
//!   static; `name!` makes a field required, `name?` (and no suffix) optional; the timestamp is
//!   a `Timestamp` logical field; a field that already exists is Java's `SchemaBuilderException`;
//! - without a schema (Java's `Map.put`), a key that exists is overwritten in place, the
//!   timestamp is a plain `Long`, and a null partition or timestamp is not put;
//! - `offset.field` on a source record is Java's "Only SinkRecord supported" error.

use std::sync::Arc;

#[cfg(test)]
use arrow::array::StructArray;
use arrow::array::{Array, ArrayRef, StringArray};
use arrow::compute::kernels::zip::zip;
use arrow::datatypes::{DataType, Field, Fields, TimeUnit};

use super::util::{self, column, key_value_plugins, Side};
use super::{Applied, Transform};
use crate::batch::columns;
use crate::config::Props;
use crate::declare_config;
use crate::error::{Error, Result};
use crate::plugin::RowError;
use crate::schema;

/// Java's `OPTIONALITY_DOC`, appended to each field-name key's doc.
macro_rules! optionality_doc {
    () => {
        "Suffix with <code>!</code> to make this a required field, or <code>?</code> to keep it optional (the default)."
    };
}
const PURPOSE: &str = "field insertion";

declare_config! {
    /// `InsertField.CONFIG_DEF`.
    #[derive(Debug, Clone)]
    pub struct InsertFieldConfig {
        pub topic_field: Option<String> {
            key: "topic.field",
            ty: String,
            default: null,
            importance: Medium,
            doc: concat!("Field name for Kafka topic. ", optionality_doc!()),
        },
        pub partition_field: Option<String> {
            key: "partition.field",
            ty: String,
            default: null,
            importance: Medium,
            doc: concat!("Field name for Kafka partition. ", optionality_doc!()),
        },
        pub offset_field: Option<String> {
            key: "offset.field",
            ty: String,
            default: null,
            importance: Medium,
            doc: concat!("Field name for Kafka offset - only applicable to sink connectors.<br/>", optionality_doc!()),
        },
        pub timestamp_field: Option<String> {
            key: "timestamp.field",
            ty: String,
            default: null,
            importance: Medium,
            doc: concat!("Field name for record timestamp. ", optionality_doc!()),
        },
        pub static_field: Option<String> {
            key: "static.field",
            ty: String,
            default: null,
            importance: Medium,
            doc: concat!("Field name for static data field. ", optionality_doc!()),
        },
        pub static_value: Option<String> {
            key: "static.value",
            ty: String,
            default: null,
            importance: Medium,
            doc: "Static field value, if field name configured.",
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

/// Java's `InsertionSpec`: a field name and whether it is optional.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Spec {
    name: String,
    optional: bool,
}

impl Spec {
    fn parse(spec: Option<String>) -> Option<Spec> {
        let spec = spec?;
        Some(if let Some(name) = spec.strip_suffix('?') {
            Spec {
                name: name.to_string(),
                optional: true,
            }
        } else if let Some(name) = spec.strip_suffix('!') {
            Spec {
                name: name.to_string(),
                optional: false,
            }
        } else {
            Spec {
                name: spec,
                optional: true,
            }
        })
    }
}

/// What to insert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Topic,
    Partition,
    Offset,
    Timestamp,
    Static,
}

pub struct InsertField {
    side: Side,
    /// The configured insertions, in Java's order (topic, partition, offset, timestamp, static).
    inserts: Vec<(Source, Spec)>,
    static_value: String,
    replace_null_with_default: bool,
}

key_value_plugins!(
    "org.apache.kafka.connect.transforms.InsertField",
    InsertFieldConfig,
    InsertField
);

impl InsertField {
    fn new(props: &Props, side: Side) -> Result<Self> {
        let config = InsertFieldConfig::parse(props)?;
        let inserts: Vec<(Source, Spec)> = [
            (Source::Topic, config.topic_field),
            (Source::Partition, config.partition_field),
            (Source::Offset, config.offset_field),
            (Source::Timestamp, config.timestamp_field),
            (Source::Static, config.static_field),
        ]
        .into_iter()
        .filter_map(|(source, spec)| Spec::parse(spec).map(|s| (source, s)))
        .collect();
        if inserts.is_empty() {
            return Err(Error::config("No field insertion configured"));
        }
        let has_static = inserts.iter().any(|(s, _)| *s == Source::Static);
        let static_value = match config.static_value {
            Some(v) => v,
            None if has_static => {
                // Java prints the InsertionSpec object (`InsertField$InsertionSpec@<hash>`),
                // whose hash code is not reproducible; the class part is kept.
                return Err(Error::config(
                    "Invalid value null for configuration static.value: No value specified for static field: org.apache.kafka.connect.transforms.InsertField$InsertionSpec",
                ));
            }
            None => String::new(),
        };
        Ok(InsertField {
            side,
            inserts,
            static_value,
            replace_null_with_default: config.replace_null_with_default,
        })
    }

    /// The column to insert for `source`, its values for every row (null where Java puts
    /// nothing), typed as Java's value: with a schema the timestamp is a `Date`, without it a
    /// `Long`.
    fn values(
        &self,
        source: Source,
        records: &arrow::array::RecordBatch,
        with_schema: bool,
    ) -> Result<ArrayRef> {
        let rows = records.num_rows();
        Ok(match source {
            Source::Topic => {
                arrow::compute::cast(column(records, columns::TOPIC)?.1, &DataType::Utf8)?
            }
            Source::Partition => column(records, columns::PARTITION)?.1.clone(),
            Source::Offset => column(records, columns::OFFSET)?.1.clone(),
            Source::Timestamp => {
                let ts = column(records, columns::TIMESTAMP)?.1;
                let target = if with_schema {
                    DataType::Timestamp(TimeUnit::Millisecond, None)
                } else {
                    DataType::Int64
                };
                arrow::compute::cast(ts, &target)?
            }
            Source::Static => Arc::new(StringArray::from_iter_values(std::iter::repeat_n(
                self.static_value.as_str(),
                rows,
            ))),
        })
    }

    /// The Connect schema Java gives an inserted field, as an Arrow field.
    fn schema_field(source: Source, spec: &Spec, values: &dyn Array) -> Field {
        let data_type = values.data_type().clone();
        let mut md = std::collections::HashMap::new();
        if source == Source::Timestamp {
            md.insert(
                schema::NAME.to_string(),
                schema::logical::TIMESTAMP.to_string(),
            );
            md.insert(schema::VERSION.to_string(), "1".to_string());
        }
        // A required field Java leaves unset (a null timestamp or partition) is refused by the
        // converter, as in Java: keep the nulls, say `optional=false`.
        let nullable = spec.optional || values.null_count() > 0;
        if !spec.optional && nullable {
            md.insert(schema::OPTIONAL.to_string(), "false".to_string());
        }
        Field::new(&spec.name, data_type, nullable).with_metadata(md)
    }
}

impl Transform for InsertField {
    util::side_transform_methods!();

    fn apply(&self, records: &arrow::array::RecordBatch) -> Result<Applied> {
        let (field, array) = column(records, self.side.column())?;
        let (input, mut errors) =
            util::struct_operand(&field, array, PURPOSE, "InsertField", false);
        let Some(input) = input else {
            return Ok(Applied {
                records: records.clone(),
                errors,
                keep: None,
            });
        };
        let with_schema = !schema::is_schemaless(&field);
        let unchanged = |errors: Vec<RowError>| Applied {
            records: records.clone(),
            errors,
            keep: None,
        };
        // Java returns a null value's record as it is, schema included: when no row has a
        // value, the column keeps its schema (an optional one stays optional).
        if input.null_count() == input.len() {
            return Ok(unchanged(errors));
        }
        let DataType::Struct(children) = input.data_type() else {
            return Err(Error::bug("struct array without struct type"));
        };
        if with_schema {
            // `SchemaBuilder.field` refuses a name twice (checked when the schema is built,
            // before any value is read).
            let mut names: Vec<&str> = children.iter().map(|c| c.name().as_str()).collect();
            for (_, spec) in &self.inserts {
                if names.contains(&spec.name.as_str()) {
                    let message = format!(
                        "Cannot create field because of field name duplication {}",
                        spec.name
                    );
                    errors.extend(util::fail_rows(input, || {
                        Error::data(message.clone()).with_java_class(
                            "org.apache.kafka.connect.errors.SchemaBuilderException",
                        )
                    }));
                    return Ok(unchanged(errors));
                }
                names.push(&spec.name);
            }
        }
        let is_sink = records.schema().index_of(columns::OFFSET).is_ok();
        if !is_sink && self.inserts.iter().any(|(s, _)| *s == Source::Offset) {
            errors.extend(util::fail_rows(input, || {
                Error::data(format!(
                    "Only SinkRecord supported for [{PURPOSE}], found: org.apache.kafka.connect.source.SourceRecord"
                ))
            }));
            return Ok(unchanged(errors));
        }

        let mut fields: Vec<Field> = Vec::with_capacity(children.len() + self.inserts.len());
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(fields.capacity());
        for (child, values) in children.iter().zip(input.columns()) {
            if with_schema {
                let values = util::with_default(child, values, self.replace_null_with_default)?;
                errors.extend(util::put_errors(child, &values, Some(input)));
                arrays.push(values);
            } else {
                arrays.push(values.clone());
            }
            fields.push(child.as_ref().clone());
        }
        for (source, spec) in &self.inserts {
            let values = self.values(*source, records, with_schema)?;
            if with_schema {
                fields.push(Self::schema_field(*source, spec, &values));
                arrays.push(values);
                continue;
            }
            // `Map.put`: overwrite a key in place, append a new one; a null partition or
            // timestamp is not put, so an existing value stays.
            match fields.iter().position(|f| f.name() == &spec.name) {
                Some(i) => {
                    let old = &arrays[i];
                    let merged = if values.null_count() == 0 {
                        values
                    } else if old.data_type() == values.data_type() {
                        let put = arrow::compute::is_not_null(&values)?;
                        zip(&put, &values, old)?
                    } else {
                        // Java keeps the old value of another type in those rows; one Arrow
                        // column cannot hold both.
                        for row in 0..values.len() {
                            if values.is_null(row) && old.is_valid(row) && input.is_valid(row) {
                                errors.push(RowError {
                                    row,
                                    error: Error::data(format!(
                                        "InsertField cannot keep field {} of another type in Strait",
                                        spec.name
                                    ))
                                    .with_java_class("java.lang.UnsupportedOperationException"),
                                });
                            }
                        }
                        values
                    };
                    fields[i] = Field::new(&spec.name, merged.data_type().clone(), true);
                    arrays[i] = merged;
                }
                None => {
                    fields.push(Field::new(&spec.name, values.data_type().clone(), true));
                    arrays.push(values);
                }
            }
        }
        let fields = Fields::from(fields);
        let out = util::new_struct(fields.clone(), arrays, input.nulls().cloned(), input.len())?;
        let top = if with_schema {
            util::top_field(DataType::Struct(fields), util::struct_basics(&field))
        } else {
            util::top_field(DataType::Struct(fields), field.metadata().clone())
        };
        Ok(Applied {
            records: util::replace(records, self.side.column(), top, Arc::new(out))?,
            errors,
            keep: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::util::test_support::*;
    use arrow::array::{Int32Array, Int64Array, TimestampMillisecondArray};

    fn transform(side: Side, pairs: &[(&str, &str)]) -> InsertField {
        InsertField::new(&props(pairs), side).unwrap()
    }

    #[test]
    fn config_errors_are_javas() {
        let err = InsertField::new(&props(&[]), Side::Value).err().unwrap();
        assert_eq!(err.message(), "No field insertion configured");
        let err = InsertField::new(&props(&[("static.field", "s")]), Side::Value)
            .err()
            .unwrap();
        assert!(err
            .message()
            .starts_with("Invalid value null for configuration static.value: No value specified for static field: "));
        let def = InsertFieldConfig::config_def();
        assert_eq!(
            def.key("topic.field").unwrap().documentation,
            "Field name for Kafka topic. Suffix with <code>!</code> to make this a required field, or <code>?</code> to keep it optional (the default)."
        );
        assert_eq!(def.keys().len(), 7);
    }

    #[test]
    fn with_schema_appends_fields_in_javas_order_and_schemas() {
        let value = struct_column(
            vec![(
                "a",
                Arc::new(Int32Array::from(vec![Some(1), None, Some(3)])) as ArrayRef,
                true,
            )],
            Some(vec![true, false, true]),
            &[
                (schema::NAME, "rec"),
                (schema::VERSION, "2"),
                (schema::OPTIONAL, "true"),
            ],
            false,
        );
        let records = sink_batch(value);
        let t = transform(
            Side::Value,
            &[
                ("static.field", "s!"),
                ("static.value", "x"),
                ("timestamp.field", "ts"),
                ("offset.field", "o!"),
                ("partition.field", "p?"),
                ("topic.field", "t"),
            ],
        );
        let out = t.apply(&records).unwrap();
        assert!(out.errors.is_empty());
        let (field, array) = column(&out.records, columns::VALUE).unwrap();
        let DataType::Struct(children) = field.data_type() else {
            panic!()
        };
        let names: Vec<_> = children.iter().map(|c| c.name().as_str()).collect();
        assert_eq!(names, ["a", "t", "p", "o", "ts", "s"]);
        assert!(children[1].is_nullable() && children[2].is_nullable());
        assert!(!children[3].is_nullable() && !children[5].is_nullable());
        assert_eq!(
            schema::schema_name(&children[4]),
            Some(schema::logical::TIMESTAMP)
        );
        assert_eq!(children[4].metadata().get(schema::VERSION).unwrap(), "1");
        // Basics kept, optional dropped (SchemaBuilder.struct() is required).
        assert_eq!(schema::schema_name(&field), Some("rec"));
        assert_eq!(field.metadata().get(schema::VERSION).unwrap(), "2");
        assert_eq!(field.metadata().get(schema::OPTIONAL).unwrap(), "false");
        let s = array.as_any().downcast_ref::<StructArray>().unwrap();
        assert!(s.is_null(1), "the tombstone stays null");
        let topic = s.column(1).as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(topic.value(0), "topic-a");
        let offset = s.column(3).as_any().downcast_ref::<Int64Array>().unwrap();
        assert_eq!(offset.value(2), 12);
        let ts = s
            .column(4)
            .as_any()
            .downcast_ref::<TimestampMillisecondArray>()
            .unwrap();
        assert_eq!(ts.value(0), 1000);
        // The existing child is shared, not copied.
        let before = column(&records, columns::VALUE)
            .unwrap()
            .1
            .as_any()
            .downcast_ref::<StructArray>()
            .unwrap()
            .column(0)
            .to_data();
        assert_eq!(
            s.column(0).to_data().buffers()[0].as_ptr(),
            before.buffers()[0].as_ptr()
        );
    }

    #[test]
    fn schemaless_overwrites_in_place_and_timestamps_are_longs() {
        let value = struct_column(
            vec![(
                "t",
                Arc::new(StringArray::from(vec!["old", "old", "old"])) as ArrayRef,
                true,
            )],
            None,
            &[],
            true,
        );
        let records = sink_batch(value);
        let t = transform(
            Side::Value,
            &[("topic.field", "t"), ("timestamp.field", "ts")],
        );
        let out = t.apply(&records).unwrap();
        let (field, array) = column(&out.records, columns::VALUE).unwrap();
        assert!(schema::is_schemaless(&field));
        let s = array.as_any().downcast_ref::<StructArray>().unwrap();
        assert_eq!(s.num_columns(), 2);
        assert_eq!(
            s.column(0)
                .as_any()
                .downcast_ref::<StringArray>()
                .unwrap()
                .value(1),
            "topic-a"
        );
        let ts = s.column(1).as_any().downcast_ref::<Int64Array>().unwrap();
        assert_eq!(ts.value(0), 1000);
        assert!(ts.is_null(2), "a null timestamp is not put");
    }

    #[test]
    fn duplicates_source_offsets_and_non_structs_fail_per_row() {
        let value = struct_column(
            vec![(
                "a",
                Arc::new(Int32Array::from(vec![1, 2, 3])) as ArrayRef,
                false,
            )],
            Some(vec![true, false, true]),
            &[],
            false,
        );
        let records = sink_batch(value.clone());
        let out = transform(Side::Value, &[("topic.field", "a")])
            .apply(&records)
            .unwrap();
        assert_eq!(rows_of(&out.errors), [0, 2]);
        assert_eq!(
            out.errors[0].error.message(),
            "Cannot create field because of field name duplication a"
        );
        assert_eq!(
            out.errors[0].error.java_class(),
            "org.apache.kafka.connect.errors.SchemaBuilderException"
        );

        let source = source_batch(value);
        let out = transform(Side::Value, &[("offset.field", "o")])
            .apply(&source)
            .unwrap();
        assert_eq!(rows_of(&out.errors), [0, 2]);
        assert_eq!(
            out.errors[0].error.message(),
            "Only SinkRecord supported for [field insertion], found: org.apache.kafka.connect.source.SourceRecord"
        );

        let strings = sink_batch_with(
            Field::new("value", DataType::Utf8, true),
            Arc::new(StringArray::from(vec![Some("x"), None, Some("y")])),
        );
        let out = transform(Side::Value, &[("topic.field", "t")])
            .apply(&strings)
            .unwrap();
        assert_eq!(rows_of(&out.errors), [0, 2]);
        assert_eq!(
            out.errors[0].error.message(),
            "Only Struct objects supported for [field insertion], found: java.lang.String"
        );
    }

    #[test]
    fn key_side_works_on_the_key_and_defaults_fill_nulls() {
        let key = struct_column(
            vec![(
                "n",
                Arc::new(Int32Array::from(vec![None, Some(2), None])) as ArrayRef,
                true,
            )],
            None,
            &[],
            false,
        );
        let key = with_child_default(key, 0, "7");
        let records = sink_batch_key(key);
        let out = transform(Side::Key, &[("partition.field", "p")])
            .apply(&records)
            .unwrap();
        let s = struct_of(&out.records, columns::KEY).1;
        let n = s.column(0).as_any().downcast_ref::<Int32Array>().unwrap();
        assert_eq!(n.iter().collect::<Vec<_>>(), [Some(7), Some(2), Some(7)]);
        let out = transform(
            Side::Key,
            &[
                ("partition.field", "p"),
                ("replace.null.with.default", "false"),
            ],
        )
        .apply(&records)
        .unwrap();
        let s = struct_of(&out.records, columns::KEY).1;
        assert!(s.column(0).is_null(0));
        let p = s.column(1).as_any().downcast_ref::<Int32Array>().unwrap();
        assert_eq!(p.value(0), 3);
    }
}
