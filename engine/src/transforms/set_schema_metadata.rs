//! `org.apache.kafka.connect.transforms.SetSchemaMetadata$Key` / `$Value`: sets the name
//! and/or version of the key or value schema. Only the column's field metadata changes
//! (`connect.name`, `connect.version`); the data is shared, not copied.
//!
//! Java rebuilds a `Struct` value with `Struct.get` (`replace.null.with.default=true`), which
//! turns a null field that has a default into the default. Strait keeps the null: the schema
//! still carries the default, and JsonConverter (with its own `replace.null.with.default`,
//! true by default) writes the default for it, as Java's output then shows.

use arrow::array::{Array, RecordBatch};
use arrow::datatypes::Field;

use super::registry::{Build, TransformPlugin};
use super::util::{self, column, replace, Side};
use super::{Applied, Needs, Transform, TransformContext};
use crate::config::Props;
use crate::error::{Error, Result};
use crate::plugin::RowError;
use crate::schema;

pub const KEY_CLASS: &str = "org.apache.kafka.connect.transforms.SetSchemaMetadata$Key";
pub const VALUE_CLASS: &str = "org.apache.kafka.connect.transforms.SetSchemaMetadata$Value";

crate::declare_config! {
    /// SetSchemaMetadata's keys.
    #[derive(Debug)]
    pub struct SetSchemaMetadataConfig {
        pub schema_name: Option<String> {
            key: "schema.name",
            ty: String,
            default: null,
            importance: High,
            doc: "Schema name to set.",
        },
        pub schema_version: Option<i32> {
            key: "schema.version",
            ty: Int,
            default: null,
            importance: High,
            doc: "Schema version to set.",
        },
        pub replace_null_with_default: bool {
            key: "replace.null.with.default",
            ty: Boolean,
            default: "true",
            importance: Medium,
            doc: "Whether to replace fields that have a default value and that are null to the default value. When set to true, the default value is used, otherwise null is used.",
        },
    }
}

pub const PLUGINS: &[TransformPlugin] = &[
    TransformPlugin {
        class: KEY_CLASS,
        config_def: SetSchemaMetadataConfig::config_def,
        build: Build::Transform(|props, ctx| build(props, ctx, Side::Key)),
    },
    TransformPlugin {
        class: VALUE_CLASS,
        config_def: SetSchemaMetadataConfig::config_def,
        build: Build::Transform(|props, ctx| build(props, ctx, Side::Value)),
    },
];

fn build(props: &Props, _ctx: &TransformContext, side: Side) -> Result<Box<dyn Transform>> {
    Ok(Box::new(SetSchemaMetadata::new(
        &SetSchemaMetadataConfig::parse(props)?,
        side,
    )?))
}

/// A configured SetSchemaMetadata.
#[derive(Debug)]
pub struct SetSchemaMetadata {
    side: Side,
    name: Option<String>,
    version: Option<i32>,
}

impl SetSchemaMetadata {
    pub fn new(config: &SetSchemaMetadataConfig, side: Side) -> Result<Self> {
        if config.schema_name.is_none() && config.schema_version.is_none() {
            return Err(Error::config("Neither schema name nor version configured"));
        }
        Ok(SetSchemaMetadata {
            side,
            name: config.schema_name.clone(),
            version: config.schema_version,
        })
    }
}

impl Transform for SetSchemaMetadata {
    fn class(&self) -> &'static str {
        match self.side {
            Side::Key => KEY_CLASS,
            Side::Value => VALUE_CLASS,
        }
    }

    fn needs(&self) -> Needs {
        self.side.needs()
    }

    fn apply(&self, records: &RecordBatch) -> Result<Applied> {
        let (field, array) = column(records, self.side.column())?;
        // No schema: a null (a tombstone) passes untouched, anything else is Java's
        // requireSchema error. A schema other than a struct: Java's `new ConnectSchema(…,
        // schema.fields(), …)` throws for every record, null values included (they have the
        // schema too).
        let schemaless = schema::is_schemaless(&field);
        let failure = if schemaless {
            Some("Schema required for [updating schema metadata]")
        } else if !matches!(field.data_type(), arrow::datatypes::DataType::Struct(_)) {
            Some("Cannot list fields on non-struct type")
        } else {
            None
        };
        if let Some(message) = failure {
            let errors = (0..array.len())
                .filter(|&row| !schemaless || !util::is_null_at(array.as_ref(), row))
                .map(|row| RowError {
                    row,
                    error: Error::data(message),
                })
                .collect();
            return Ok(Applied {
                records: records.clone(),
                errors,
                keep: None,
            });
        }
        let mut metadata = field.metadata().clone();
        if let Some(name) = &self.name {
            metadata.insert(schema::NAME.to_string(), name.clone());
        }
        if let Some(version) = self.version {
            metadata.insert(schema::VERSION.to_string(), version.to_string());
        }
        let field = Field::clone(&field).with_metadata(metadata);
        let records = replace(records, self.side.column(), field, array.clone())?;
        Ok(Applied::all(records))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::RawBatchBuilder;
    use arrow::array::{ArrayRef, Int32Array, StructArray};
    use arrow::datatypes::DataType;
    use std::sync::Arc;

    fn transform(pairs: &[(&str, &str)], side: Side) -> Result<SetSchemaMetadata> {
        let props: Props = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        SetSchemaMetadata::new(&SetSchemaMetadataConfig::parse(&props)?, side)
    }

    fn records(field: Field) -> RecordBatch {
        let mut b = RawBatchBuilder::with_capacity(2, 8);
        b.append("t", 0, 0, Some(1), None, Some(b"x"), []);
        b.append("t", 0, 1, Some(1), None, None, []);
        let raw = b.finish().unwrap().records;
        let values: ArrayRef = match field.data_type() {
            DataType::Struct(fields) => Arc::new(StructArray::new(
                fields.clone(),
                vec![Arc::new(Int32Array::from(vec![Some(7), None])) as ArrayRef],
                Some(vec![true, false].into()),
            )),
            _ => Arc::new(Int32Array::from(vec![Some(7), None])),
        };
        replace(&raw, "value", field, values).unwrap()
    }

    #[test]
    fn sets_name_and_version_keeps_the_rest() {
        let mut md = std::collections::HashMap::new();
        md.insert(schema::NAME.to_string(), "old".to_string());
        md.insert(schema::DOC.to_string(), "doc".to_string());
        let fields = vec![Field::new("a", DataType::Int32, true)];
        let input =
            records(Field::new("value", DataType::Struct(fields.into()), true).with_metadata(md));
        let t = transform(&[("schema.version", "3")], Side::Value).unwrap();
        let out = t.apply(&input).unwrap();
        let schema = out.records.schema();
        let f = schema.field_with_name("value").unwrap();
        assert_eq!(schema::schema_name(f), Some("old"));
        assert_eq!(f.metadata()[schema::VERSION], "3");
        assert_eq!(f.metadata()[schema::DOC], "doc");
        let t = transform(&[("schema.name", "new")], Side::Value).unwrap();
        let out = t.apply(&input).unwrap();
        let schema = out.records.schema();
        let f = schema.field_with_name("value").unwrap();
        assert_eq!(schema::schema_name(f), Some("new"));
        assert!(!f.metadata().contains_key(schema::VERSION));
        assert_eq!(
            out.records.column_by_name("value").unwrap(),
            input.column_by_name("value").unwrap()
        );
    }

    #[test]
    fn schemaless_values_fail_but_nulls_pass() {
        let input = records(schema::schemaless(Field::new(
            "value",
            DataType::Int32,
            true,
        )));
        let t = transform(&[("schema.name", "n")], Side::Value).unwrap();
        let out = t.apply(&input).unwrap();
        assert_eq!(out.errors.len(), 1);
        assert_eq!(out.errors[0].row, 0);
        assert_eq!(
            out.errors[0].error.message(),
            "Schema required for [updating schema metadata]"
        );
        assert_eq!(t.class(), VALUE_CLASS);
        // A schema that is not a struct fails too, with Java's message, null values included
        // (they have the schema).
        let out = t
            .apply(&records(Field::new("value", DataType::Int32, true)))
            .unwrap();
        assert_eq!(out.errors.len(), 2);
        assert_eq!(
            out.errors[1].error.message(),
            "Cannot list fields on non-struct type"
        );
        assert!(t.needs().value);
        // Tombstones (a schemaless Null column) pass untouched.
        let raw = records(Field::new("value", DataType::Int32, true));
        let tombstones = replace(
            &raw,
            "value",
            schema::schemaless(Field::new("value", DataType::Null, true)),
            Arc::new(arrow::array::NullArray::new(2)),
        )
        .unwrap();
        let out = t.apply(&tombstones).unwrap();
        assert!(out.errors.is_empty());
        assert_eq!(out.records, tombstones);
    }

    #[test]
    fn config_errors_are_javas() {
        assert_eq!(
            transform(&[], Side::Key).unwrap_err().message(),
            "Neither schema name nor version configured"
        );
        assert_eq!(
            transform(&[("schema.version", "x")], Side::Key)
                .unwrap_err()
                .message(),
            "Invalid value x for configuration schema.version: Not a number of type INT"
        );
        assert!(
            transform(&[("schema.name", "n")], Side::Key)
                .unwrap()
                .needs()
                .key
        );
    }
}
