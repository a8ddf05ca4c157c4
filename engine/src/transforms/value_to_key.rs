//! `org.apache.kafka.connect.transforms.ValueToKey`: replace the key with a struct of some value
//! fields.
//!
//! The kernel builds the key column from the value's struct children, shared (rebuilt only to
//! apply a schema default). As in Java: a null value fails (`Requirements`); with a schema the
//! key schema is `SchemaBuilder.struct()` (required, unnamed) with the fields in `fields`
//! order and their value schemas, and a field the value lacks is `Field does not exist: <f>`;
//! without a schema a field the value lacks is a null entry.

use std::sync::Arc;

use arrow::array::{new_null_array, Array, ArrayRef, RecordBatch, StructArray};
use arrow::datatypes::{DataType, Field, Fields};

use super::registry::{Build, TransformPlugin};
use super::util::{self, column};
use super::{Applied, Needs, Transform};
use crate::batch::columns;
use crate::config::{Props, Validator};
use crate::declare_config;
use crate::error::{Error, Result};
use crate::schema;

const PURPOSE: &str = "copying fields from value to key";
const CLASS: &str = "org.apache.kafka.connect.transforms.ValueToKey";

declare_config! {
    /// `ValueToKey.CONFIG_DEF`.
    #[derive(Debug, Clone)]
    pub struct ValueToKeyConfig {
        pub fields: Vec<String> {
            key: "fields",
            ty: List,
            default: required,
            validator: Validator::NonEmptyList,
            importance: High,
            doc: "Field names on the record value to extract as the record key.",
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

pub struct ValueToKey {
    config: ValueToKeyConfig,
}

pub const PLUGINS: &[TransformPlugin] = &[TransformPlugin {
    class: CLASS,
    config_def: ValueToKeyConfig::config_def,
    build: Build::Transform(|props: &Props, _| {
        Ok(Box::new(ValueToKey {
            config: ValueToKeyConfig::parse(props)?,
        }))
    }),
}];

impl Transform for ValueToKey {
    fn class(&self) -> &'static str {
        CLASS
    }

    fn needs(&self) -> Needs {
        Needs::VALUE
    }

    fn apply(&self, records: &RecordBatch) -> Result<Applied> {
        let (field, array) = column(records, columns::VALUE)?;
        let (input, mut errors) = util::struct_operand(&field, array, PURPOSE, "ValueToKey", true);
        let unchanged = |errors| Applied {
            records: records.clone(),
            errors,
            keep: None,
        };
        let Some(input) = input else {
            return Ok(unchanged(errors));
        };
        let with_schema = !schema::is_schemaless(&field);
        let mut fields: Vec<Field> = Vec::new();
        let mut arrays: Vec<ArrayRef> = Vec::new();
        for name in &self.config.fields {
            let found = input.fields().find(name);
            if with_schema {
                let Some((index, child)) = found else {
                    let message = format!("Field does not exist: {name}");
                    errors.extend(util::fail_rows(input, || Error::data(message.clone())));
                    return Ok(unchanged(errors));
                };
                if fields.iter().any(|f| f.name() == name) {
                    let message =
                        format!("Cannot create field because of field name duplication {name}");
                    errors.extend(util::fail_rows(input, || {
                        Error::data(message.clone()).with_java_class(
                            "org.apache.kafka.connect.errors.SchemaBuilderException",
                        )
                    }));
                    return Ok(unchanged(errors));
                }
                let values = util::with_default(
                    child,
                    input.column(index),
                    self.config.replace_null_with_default,
                )?;
                errors.extend(util::put_errors(child, &values, Some(input)));
                fields.push(child.as_ref().clone());
                arrays.push(values);
            } else if !fields.iter().any(|f| f.name() == name) {
                // `Map.put` of `value.get(field)`: a missing member is a null entry.
                let (f, a) = match found {
                    Some((index, child)) => (child.as_ref().clone(), input.column(index).clone()),
                    None => (
                        Field::new(name, DataType::Null, true),
                        new_null_array(&DataType::Null, input.len()),
                    ),
                };
                fields.push(f);
                arrays.push(a);
            }
        }
        let fields = Fields::from(fields);
        // Rows whose value is null failed; their key is left null.
        let key = StructArray::try_new(fields.clone(), arrays, input.nulls().cloned())?;
        let metadata = if with_schema {
            std::collections::HashMap::from([(schema::OPTIONAL.to_string(), "false".to_string())])
        } else {
            std::collections::HashMap::from([(schema::SCHEMALESS.to_string(), "true".to_string())])
        };
        let top = util::top_field(DataType::Struct(fields), metadata);
        Ok(Applied {
            records: util::replace(records, columns::KEY, top, Arc::new(key))?,
            errors,
            keep: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::util::test_support::*;
    use arrow::array::{Int32Array, StringArray};

    fn value(schemaless: bool) -> (Field, ArrayRef) {
        struct_column(
            vec![
                (
                    "a",
                    Arc::new(Int32Array::from(vec![1, 2])) as ArrayRef,
                    false,
                ),
                (
                    "b",
                    Arc::new(StringArray::from(vec![Some("x"), None])) as ArrayRef,
                    true,
                ),
            ],
            Some(vec![true, false]),
            &[(schema::NAME, "v")],
            schemaless,
        )
    }

    fn run(fields: &str, schemaless: bool) -> Applied {
        let t = ValueToKey {
            config: ValueToKeyConfig::parse(&props(&[("fields", fields)])).unwrap(),
        };
        t.apply(&sink_batch(value(schemaless))).unwrap()
    }

    #[test]
    fn builds_the_key_in_fields_order_with_value_schemas() {
        let out = run("b,a", false);
        // The null value fails as Java's requireStruct(null).
        assert_eq!(rows_of(&out.errors), [1]);
        assert_eq!(
            out.errors[0].error.message(),
            "Only Struct objects supported for [copying fields from value to key], found: null"
        );
        let (f, key) = struct_of(&out.records, columns::KEY);
        assert_eq!(schema::schema_name(&f), None);
        let names: Vec<_> = key.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, ["b", "a"]);
        assert!(!key.fields()[1].is_nullable());
        assert_eq!(
            key.column(1)
                .as_any()
                .downcast_ref::<Int32Array>()
                .unwrap()
                .value(0),
            1
        );
        // The value is untouched.
        assert_eq!(struct_of(&out.records, columns::VALUE).1.num_columns(), 2);
    }

    #[test]
    fn missing_fields_fail_with_a_schema_and_are_null_without() {
        let out = run("a,zz", false);
        // Row 1 (null) fails in requireStruct, row 0 on the missing field.
        assert_eq!(rows_of(&out.errors), [1, 0]);
        assert_eq!(out.errors[1].error.message(), "Field does not exist: zz");
        let out = run("a,zz", true);
        assert_eq!(
            out.errors[0].error.message(),
            "Only Map objects supported in absence of schema for [copying fields from value to key], found: null"
        );
        let (f, key) = struct_of(&out.records, columns::KEY);
        assert!(schema::is_schemaless(&f));
        assert_eq!(key.column(1).logical_null_count(), 2);
    }

    #[test]
    fn an_empty_field_list_is_javas_config_error() {
        let err = ValueToKeyConfig::parse(&props(&[("fields", "")]))
            .err()
            .unwrap();
        assert_eq!(
            err.message(),
            "Invalid value [] for configuration fields: Empty list"
        );
    }
}
