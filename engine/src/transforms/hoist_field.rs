//! `org.apache.kafka.connect.transforms.HoistField$Key` / `$Value`: wrap the key or value in a
//! struct of one field.
//!
//! The kernel wraps the column as the only child of a new struct column, without copying it.
//! As in Java, every record is wrapped, nulls included; with a schema the new schema is
//! `SchemaBuilder.struct().field(field, schema)` (required, unnamed), and a null under a
//! required schema is `Struct.put`'s error; without a schema the result is a map of one entry.

use std::sync::Arc;

use arrow::array::{Array, RecordBatch, StructArray};
use arrow::datatypes::{DataType, Fields};

use super::util::{self, column, key_value_plugins, Side};
use super::{Applied, Transform};
use crate::config::Props;
use crate::declare_config;
use crate::error::Result;
use crate::schema;

key_value_plugins!(
    "org.apache.kafka.connect.transforms.HoistField",
    HoistFieldConfig,
    HoistField
);

declare_config! {
    /// `HoistField.CONFIG_DEF`.
    #[derive(Debug, Clone)]
    pub struct HoistFieldConfig {
        pub field: String {
            key: "field",
            ty: String,
            default: required,
            importance: Medium,
            doc: "Field name for the single field that will be created in the resulting Struct or Map.",
        },
    }
}

pub struct HoistField {
    side: Side,
    field: String,
}

impl HoistField {
    fn new(props: &Props, side: Side) -> Result<Self> {
        Ok(HoistField {
            side,
            field: HoistFieldConfig::parse(props)?.field,
        })
    }
}

impl Transform for HoistField {
    util::side_transform_methods!();

    fn apply(&self, records: &RecordBatch) -> Result<Applied> {
        let (field, array) = column(records, self.side.column())?;
        let child = util::top_as_child(&field, &self.field, array.logical_null_count() > 0);
        let errors = util::put_errors(&child, array.as_ref(), None);
        let fields = Fields::from(vec![child]);
        let out = StructArray::try_new(fields.clone(), vec![array.clone()], None)?;
        let metadata = if schema::is_schemaless(&field) {
            std::collections::HashMap::from([(schema::SCHEMALESS.to_string(), "true".to_string())])
        } else {
            std::collections::HashMap::from([(schema::OPTIONAL.to_string(), "false".to_string())])
        };
        let top = util::top_field(DataType::Struct(fields), metadata);
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
    use crate::batch::columns;
    use crate::transforms::util::test_support::*;
    use arrow::array::{ArrayRef, Int64Array, StringArray};
    use arrow::datatypes::Field;

    fn hoist(side: Side) -> HoistField {
        HoistField::new(&props(&[("field", "wrapped")]), side).unwrap()
    }

    #[test]
    fn wraps_schema_values_in_a_required_unnamed_struct() {
        let md = std::collections::HashMap::from([
            (schema::NAME.to_string(), "s".to_string()),
            (schema::OPTIONAL.to_string(), "false".to_string()),
        ]);
        let records = sink_batch_with(
            Field::new("value", DataType::Utf8, true).with_metadata(md),
            Arc::new(StringArray::from(vec![Some("a"), None])),
        );
        let out = hoist(Side::Value).apply(&records).unwrap();
        let (f, s) = struct_of(&out.records, columns::VALUE);
        assert_eq!(f.metadata().get(schema::OPTIONAL).unwrap(), "false");
        assert_eq!(schema::schema_name(&f), None);
        let child = &s.fields()[0];
        assert_eq!(child.name(), "wrapped");
        assert_eq!(schema::schema_name(child), Some("s"));
        assert_eq!(s.null_count(), 0);
        // The null under a required schema is Struct.put's error.
        assert_eq!(rows_of(&out.errors), [1]);
        assert_eq!(
            out.errors[0].error.message(),
            "Invalid value: null used for required field: \"wrapped\", schema type: STRING"
        );
    }

    #[test]
    fn schemaless_keys_become_one_entry_maps_nulls_included() {
        let records = sink_batch_key((
            schema::schemaless(Field::new("key", DataType::Int64, true)),
            Arc::new(Int64Array::from(vec![Some(4), None])) as ArrayRef,
        ));
        let out = hoist(Side::Key).apply(&records).unwrap();
        assert!(out.errors.is_empty());
        let (f, s) = struct_of(&out.records, columns::KEY);
        assert!(schema::is_schemaless(&f));
        assert!(s.fields()[0].is_nullable());
        assert!(s.is_valid(1) && s.column(0).is_null(1));
    }
}
