//! `org.apache.kafka.connect.transforms.ReplaceField$Key` / `$Value`: keep, drop and rename the
//! fields of the key or value struct.
//!
//! The kernel only reorders, drops and renames struct children: every child array is shared
//! (rebuilt only to apply a schema default). As in Java 4.1 (whose `whitelist` / `blacklist`
//! aliases are gone):
//!
//! - a null key/value passes through;
//! - `exclude` wins over `include`; an empty `include` keeps everything;
//! - with a schema, the new schema keeps name, version, doc and parameters, is required, and
//!   lists the kept fields in input order, renamed; a rename onto a kept name is Java's
//!   `SchemaBuilderException`; each output field `n` reads input field `reverseRenamed(n)`, so
//!   a rename whose target exists but whose source does not fails as Java's `Struct.get` does;
//! - without a schema, the kept map entries are put under their new names.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch, StructArray};
use arrow::datatypes::{DataType, Field, Fields};

use super::util::{self, column, key_value_plugins, Side};
use super::{Applied, Transform};
use crate::config::{CustomValidator, Props, Validator, Value};
use crate::declare_config;
use crate::error::{Error, Result};
use crate::plugin::RowError;
use crate::schema;

const PURPOSE: &str = "field replacement";
key_value_plugins!(
    "org.apache.kafka.connect.transforms.ReplaceField",
    ReplaceFieldConfig,
    ReplaceField
);

/// The `LambdaValidator` of `renames`: every mapping must parse.
static RENAMES_VALIDATOR: CustomValidator = CustomValidator {
    describe: "list of colon-delimited pairs, e.g. <code>foo:bar,abc:xyz</code>",
    check: |_, value| match value {
        Value::List(items) => parse_renames(items).map(|_| ()),
        _ => Ok(()),
    },
};

declare_config! {
    /// `ReplaceField.CONFIG_DEF`.
    #[derive(Debug, Clone)]
    pub struct ReplaceFieldConfig {
        pub exclude: Vec<String> {
            key: "exclude",
            ty: List,
            default: "",
            importance: Medium,
            doc: "Fields to exclude. This takes precedence over the fields to include.",
        },
        pub include: Vec<String> {
            key: "include",
            ty: List,
            default: "",
            importance: Medium,
            doc: "Fields to include. If specified, only these fields will be used.",
        },
        pub renames: Vec<String> {
            key: "renames",
            ty: List,
            default: "",
            validator: Validator::Custom(&RENAMES_VALIDATOR),
            importance: Medium,
            doc: "Field rename mappings.",
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

/// Java's `String.split(":")`: trailing empty strings removed.
fn java_split_colon(text: &str) -> Vec<&str> {
    let mut parts: Vec<&str> = text.split(':').collect();
    while parts.last() == Some(&"") {
        parts.pop();
    }
    parts
}

/// `ReplaceField.parseRenameMappings`.
fn parse_renames(mappings: &[String]) -> Result<HashMap<String, String>> {
    let mut m = HashMap::new();
    for mapping in mappings {
        let parts = java_split_colon(mapping);
        if parts.len() != 2 {
            return Err(Error::config(format!(
                "Invalid value {} for configuration renames: Invalid rename mapping: {mapping}",
                util::java_list(mappings)
            )));
        }
        m.insert(parts[0].to_string(), parts[1].to_string());
    }
    Ok(m)
}

/// A failure of every record with this input schema.
struct RowFailure {
    message: String,
    /// Java's exception class when not `DataException`.
    class: Option<&'static str>,
}

impl RowFailure {
    fn error(&self) -> Error {
        let e = Error::data(self.message.clone());
        match self.class {
            Some(c) => e.with_java_class(c),
            None => e,
        }
    }
}

pub struct ReplaceField {
    side: Side,
    exclude: Vec<String>,
    include: Vec<String>,
    renames: HashMap<String, String>,
    reverse: HashMap<String, String>,
    replace_null_with_default: bool,
}

impl ReplaceField {
    fn new(props: &Props, side: Side) -> Result<Self> {
        let config = ReplaceFieldConfig::parse(props)?;
        let renames = parse_renames(&config.renames)?;
        let reverse = renames
            .iter()
            .map(|(k, v)| (v.clone(), k.clone()))
            .collect();
        Ok(ReplaceField {
            side,
            exclude: config.exclude,
            include: config.include,
            renames,
            reverse,
            replace_null_with_default: config.replace_null_with_default,
        })
    }

    fn keep(&self, name: &str) -> bool {
        !self.exclude.iter().any(|e| e == name)
            && (self.include.is_empty() || self.include.iter().any(|i| i == name))
    }

    fn renamed<'a>(&'a self, name: &'a str) -> &'a str {
        self.renames.get(name).map_or(name, String::as_str)
    }

    /// Output children with a schema, or the error every non-null row gets.
    fn with_schema(
        &self,
        input: &StructArray,
        children: &Fields,
        errors: &mut Vec<RowError>,
    ) -> Result<std::result::Result<(Vec<Field>, Vec<ArrayRef>), RowFailure>> {
        let mut fields: Vec<Field> = Vec::new();
        for child in children.iter().filter(|c| self.keep(c.name())) {
            let name = self.renamed(child.name());
            if fields.iter().any(|f| f.name() == name) {
                return Ok(Err(RowFailure {
                    message: format!(
                        "Cannot create field because of field name duplication {name}"
                    ),
                    class: Some("org.apache.kafka.connect.errors.SchemaBuilderException"),
                }));
            }
            fields.push(child.as_ref().clone().with_name(name));
        }
        let mut arrays = Vec::with_capacity(fields.len());
        for field in &fields {
            let source = self
                .reverse
                .get(field.name())
                .map_or(field.name().as_str(), String::as_str);
            let Some((index, child)) = children.find(source) else {
                return Ok(Err(RowFailure {
                    message: format!("{source} is not a valid field name"),
                    class: None,
                }));
            };
            if child.data_type() != field.data_type() {
                return Ok(Err(RowFailure {
                    message: format!(
                        "ReplaceField in Strait cannot put field {source} into field {} of another schema",
                        field.name()
                    ),
                    class: Some("java.lang.UnsupportedOperationException"),
                }));
            }
            let values =
                util::with_default(child, input.column(index), self.replace_null_with_default)?;
            errors.extend(util::put_errors(field, &values, Some(input)));
            arrays.push(values);
        }
        Ok(Ok((fields, arrays)))
    }

    /// Output children without a schema (`Map.put` of the kept entries under new names).
    fn schemaless(
        &self,
        input: &StructArray,
        children: &Fields,
        errors: &mut Vec<RowError>,
    ) -> (Vec<Field>, Vec<ArrayRef>) {
        let mut fields: Vec<Field> = Vec::new();
        let mut arrays: Vec<ArrayRef> = Vec::new();
        for (child, values) in children.iter().zip(input.columns()) {
            if !self.keep(child.name()) {
                continue;
            }
            let name = self.renamed(child.name());
            if let Some(i) = fields.iter().position(|f| f.name() == name) {
                // Two entries put under one key: which wins follows Java's HashMap iteration
                // order, which Strait does not reproduce.
                let mut rows: Vec<usize> =
                    (0..input.len()).filter(|&r| input.is_valid(r)).collect();
                rows.retain(|&r| values.is_valid(r) || arrays[i].is_valid(r));
                errors.extend(rows.into_iter().map(|row| RowError {
                    row,
                    error: Error::data(format!(
                        "ReplaceField in Strait cannot rename two schemaless entries to one key {name}"
                    ))
                    .with_java_class("java.lang.UnsupportedOperationException"),
                }));
                continue;
            }
            fields.push(child.as_ref().clone().with_name(name));
            arrays.push(values.clone());
        }
        (fields, arrays)
    }
}

impl Transform for ReplaceField {
    util::side_transform_methods!();

    fn apply(&self, records: &RecordBatch) -> Result<Applied> {
        let (field, array) = column(records, self.side.column())?;
        let (input, mut errors) =
            util::struct_operand(&field, array, PURPOSE, "ReplaceField", false);
        let unchanged = |errors| Applied {
            records: records.clone(),
            errors,
            keep: None,
        };
        let Some(input) = input else {
            return Ok(unchanged(errors));
        };
        let DataType::Struct(children) = input.data_type() else {
            return Err(Error::bug("struct array without struct type"));
        };
        let with_schema = !schema::is_schemaless(&field);
        let (fields, arrays) = if with_schema {
            match self.with_schema(input, children, &mut errors)? {
                Ok(out) => out,
                Err(e) => {
                    errors.extend(util::fail_rows(input, || e.error()));
                    return Ok(unchanged(errors));
                }
            }
        } else {
            self.schemaless(input, children, &mut errors)
        };
        let fields = Fields::from(fields);
        let out = util::new_struct(fields.clone(), arrays, input.nulls().cloned(), input.len())?;
        let metadata = if with_schema {
            util::struct_basics(&field).into()
        } else {
            field.metadata().clone()
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
                (
                    "c",
                    Arc::new(Int32Array::from(vec![Some(5), None])) as ArrayRef,
                    true,
                ),
            ],
            Some(vec![true, false]),
            &[(schema::NAME, "n"), (schema::DOC, "d")],
            schemaless,
        )
    }

    fn run(pairs: &[(&str, &str)], schemaless: bool) -> (Field, StructArray, Vec<RowError>) {
        let t = ReplaceField::new(&props(pairs), Side::Value).unwrap();
        let out = t.apply(&sink_batch(value(schemaless))).unwrap();
        let (f, s) = struct_of(&out.records, columns::VALUE);
        (f, s, out.errors)
    }

    fn names(s: &StructArray) -> Vec<String> {
        s.fields().iter().map(|f| f.name().clone()).collect()
    }

    #[test]
    fn exclude_include_and_rename_with_schema() {
        let (f, s, errors) = run(
            &[("exclude", "c"), ("include", "a,c,b"), ("renames", "a:A")],
            false,
        );
        assert!(errors.is_empty());
        assert_eq!(names(&s), ["A", "b"]);
        assert!(!s.fields()[0].is_nullable(), "the field schema is kept");
        assert_eq!(schema::schema_name(&f), Some("n"));
        assert_eq!(f.metadata().get(schema::DOC).unwrap(), "d");
        assert!(s.is_null(1));
        let (_, s, _) = run(&[("include", "c")], false);
        assert_eq!(names(&s), ["c"]);
    }

    #[test]
    fn schemaless_renames_and_swaps() {
        let (f, s, errors) = run(&[("renames", "a:b,b:a"), ("exclude", "c")], true);
        assert!(errors.is_empty());
        assert!(schema::is_schemaless(&f));
        assert_eq!(names(&s), ["b", "a"]);
        assert_eq!(
            s.column(0)
                .as_any()
                .downcast_ref::<Int32Array>()
                .unwrap()
                .value(0),
            1
        );
    }

    #[test]
    fn javas_errors() {
        let (_, _, errors) = run(&[("renames", "a:b")], false);
        assert_eq!(rows_of(&errors), [0]);
        assert_eq!(
            errors[0].error.message(),
            "Cannot create field because of field name duplication b"
        );
        let (_, _, errors) = run(&[("renames", "zz:a"), ("exclude", "b")], false);
        assert_eq!(errors[0].error.message(), "zz is not a valid field name");
        let err = ReplaceField::new(&props(&[("renames", "a:b, c")]), Side::Value)
            .err()
            .unwrap();
        assert_eq!(
            err.message(),
            "Invalid value [a:b, c] for configuration renames: Invalid rename mapping: c"
        );
        assert!(ReplaceField::new(&props(&[("renames", "a:b:")]), Side::Value).is_ok());
        let errors = ReplaceFieldConfig::config_def().errors(&props(&[("renames", "x::")]));
        assert_eq!(
            errors.len(),
            1,
            "/config/validate reports the rename mapping"
        );
    }
}
