//! `org.apache.kafka.connect.transforms.Flatten$Key` / `$Value`: nested structs (or schemaless
//! maps) become one level, field names joined by `delimiter`.
//!
//! Column-wise this is pointer work: each leaf column is the nested child itself, with the null
//! buffers of its (optional) ancestors combined into its own, since a field of a null struct
//! comes out null. Defaults follow Java's `Struct.get`: a null nested struct with a default
//! reads as that default, a null leaf with a default as its default. The schema is Java's:
//! a leaf is optional when it or any ancestor is, and takes its own default or the one its
//! ancestors' defaults give it; the flattened struct itself is required and has no default
//! (Java builds it that way), keeping the original's name, version, doc and parameters.

use std::sync::Arc;

use arrow::array::{make_array, Array, ArrayRef, AsArray, RecordBatch, StructArray};
use arrow::buffer::NullBuffer;
use arrow::datatypes::{DataType, Field, Fields};

use super::registry::{Build, TransformPlugin};
use super::util::{self, RowFailures, Side};
use super::{Applied, Needs, Transform, TransformContext};
use crate::config::Props;
use crate::error::{Error, Result};
use crate::java_text::java_class_name;
use crate::schema;

pub const KEY_CLASS: &str = "org.apache.kafka.connect.transforms.Flatten$Key";
pub const VALUE_CLASS: &str = "org.apache.kafka.connect.transforms.Flatten$Value";

const PURPOSE: &str = "flattening";

crate::declare_config! {
    /// `Flatten.CONFIG_DEF`.
    #[derive(Debug)]
    pub struct FlattenConfig {
        pub delimiter: String {
            key: "delimiter",
            ty: String,
            default: ".",
            importance: Medium,
            doc: "Delimiter to insert between field names from the input record when generating field names for the output record",
        },
    }
}

pub const PLUGINS: &[TransformPlugin] = &[
    TransformPlugin {
        class: KEY_CLASS,
        config_def: FlattenConfig::config_def,
        build: Build::Transform(build_key),
    },
    TransformPlugin {
        class: VALUE_CLASS,
        config_def: FlattenConfig::config_def,
        build: Build::Transform(build_value),
    },
];

fn build_key(props: &Props, _: &TransformContext) -> Result<Box<dyn Transform>> {
    Ok(Box::new(Flatten::new(
        Side::Key,
        FlattenConfig::parse(props)?,
    )))
}

fn build_value(props: &Props, _: &TransformContext) -> Result<Box<dyn Transform>> {
    Ok(Box::new(Flatten::new(
        Side::Value,
        FlattenConfig::parse(props)?,
    )))
}

/// The configured kernel.
#[derive(Debug)]
pub struct Flatten {
    side: Side,
    delimiter: String,
}

/// The flattened columns being collected.
#[derive(Default)]
struct Out {
    fields: Vec<Arc<Field>>,
    columns: Vec<ArrayRef>,
}

impl Out {
    fn push(&mut self, field: Field, column: ArrayRef) -> Result<(), String> {
        if self.fields.iter().any(|f| f.name() == field.name()) {
            return Err(format!(
                "Cannot create field because of field name duplication {}",
                field.name()
            ));
        }
        self.fields.push(Arc::new(field));
        self.columns.push(column);
        Ok(())
    }
}

/// `array` with `nulls` (its ancestors' nulls) added to its own.
fn with_ancestor_nulls(array: &ArrayRef, nulls: Option<&NullBuffer>) -> Result<ArrayRef> {
    let Some(nulls) = nulls else {
        return Ok(array.clone());
    };
    let combined = NullBuffer::union(Some(nulls), array.logical_nulls().as_ref());
    let data = array.to_data().into_builder().nulls(combined).build()?;
    Ok(make_array(data))
}

/// A leaf's schema: `copySchemaBasics` (name, version, doc, parameters), `optional`, default.
fn leaf_field(name: String, orig: &Field, optional: bool, default: Option<String>) -> Field {
    let mut md = orig.metadata().clone();
    md.remove(schema::DEFAULT);
    md.remove(schema::OPTIONAL);
    if let Some(d) = default {
        md.insert(schema::DEFAULT.to_string(), d);
    }
    Field::new(name, orig.data_type().clone(), optional).with_metadata(md)
}

/// The member `name` of a struct default given as JSON (`Struct.get` on the parent's default);
/// `None` when absent or null.
fn member_default(parent: Option<&str>, name: &str) -> Result<Option<String>> {
    let Some(parent) = parent else {
        return Ok(None);
    };
    let members: std::collections::HashMap<String, Box<serde_json::value::RawValue>> =
        serde_json::from_str(parent)
            .map_err(|e| Error::data(format!("Invalid struct default {parent}: {e}")))?;
    Ok(members
        .get(name)
        .map(|raw| raw.get().to_string())
        .filter(|d| d.trim() != "null"))
}

impl Flatten {
    pub fn new(side: Side, config: FlattenConfig) -> Self {
        Flatten {
            side,
            delimiter: config.delimiter,
        }
    }

    fn name(&self, prefix: &str, name: &str) -> String {
        if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}{}{name}", self.delimiter)
        }
    }

    /// `buildUpdatedSchema` and `buildWithSchema` together, over the children of `st`.
    /// `Err(message)` is the `DataException` Java throws building the schema.
    fn with_schema(
        &self,
        st: &StructArray,
        fields: &Fields,
        prefix: &str,
        nulls: Option<&NullBuffer>,
        optional: bool,
        parent_default: Option<&str>,
        out: &mut Out,
    ) -> Result<Result<(), String>> {
        for (f, child) in fields.iter().zip(st.columns()) {
            let name = self.name(prefix, f.name());
            let optional = optional || f.is_nullable();
            let default = match f.metadata().get(schema::DEFAULT) {
                Some(own) => Some(own.clone()),
                None => match member_default(parent_default, f.name()) {
                    Ok(d) => d,
                    Err(e) => return Ok(Err(e.message().to_string())),
                },
            };
            // Struct.get: a null value reads as the field's own default.
            let child = match util::default_array(f) {
                Ok(Some(d)) => util::fill_nulls(child, &d)?,
                Ok(None) => child.clone(),
                Err(e) => return Ok(Err(e.message().to_string())),
            };
            match f.data_type() {
                DataType::Struct(nested) => {
                    let inner = child.as_struct();
                    let inner_nulls = NullBuffer::union(nulls, inner.nulls());
                    if let Err(e) = self.with_schema(
                        inner,
                        nested,
                        &name,
                        inner_nulls.as_ref(),
                        optional,
                        default.as_deref(),
                        out,
                    )? {
                        return Ok(Err(e));
                    }
                }
                DataType::Map(_, _) => {
                    return Ok(Err(format!(
                        "Flatten transformation does not support MAP for record with schemas (for field {name})."
                    )))
                }
                _ => {
                    let column = with_ancestor_nulls(&child, nulls)?;
                    if let Err(e) = out.push(leaf_field(name, f, optional, default), column) {
                        return Ok(Err(e));
                    }
                }
            }
        }
        Ok(Ok(()))
    }

    /// `applySchemaless` over the members of `st` (a schemaless struct is a Java `Map`).
    /// Rows Strait cannot flatten are added to `failed`.
    fn schemaless(
        &self,
        st: &StructArray,
        prefix: &str,
        nulls: Option<&NullBuffer>,
        out: &mut Out,
        failed: &mut RowFailures,
    ) -> Result<()> {
        let DataType::Struct(fields) = st.data_type() else {
            return Err(Error::bug("schemaless flatten of a non-struct"));
        };
        let visible = |row: usize| st.is_valid(row) && nulls.is_none_or(|n| n.is_valid(row));
        for (f, child) in fields.iter().zip(st.columns()) {
            let name = self.name(prefix, f.name());
            let leaf = |name: String| {
                Field::new(name, f.data_type().clone(), true).with_metadata(f.metadata().clone())
            };
            match f.data_type() {
                DataType::Struct(_) => {
                    let inner = child.as_struct();
                    // Java keeps a null nested map as the key with a null value.
                    if (0..st.len()).any(|r| visible(r) && inner.is_null(r)) {
                        let key = Field::new(name.clone(), DataType::Null, true);
                        push_or_fail(
                            out,
                            key,
                            arrow::array::new_null_array(&DataType::Null, st.len()),
                            st,
                            failed,
                        );
                    }
                    let inner_nulls = NullBuffer::union(nulls, st.nulls());
                    self.schemaless(inner, &name, inner_nulls.as_ref(), out, failed)?;
                }
                DataType::Map(_, _) => {
                    for r in (0..st.len()).filter(|&r| visible(r) && child.is_valid(r)) {
                        failed.add(r, Error::data(format!(
                            "Strait does not flatten schemaless maps with more than 128 distinct keys (field {name})"
                        )));
                    }
                }
                DataType::Utf8 if util::is_raw_json(f) => {
                    let raw = child.as_string::<i32>();
                    for r in (0..st.len()).filter(|&r| visible(r) && raw.is_valid(r)) {
                        if raw.value(r).trim_start().starts_with('{') {
                            failed.add(r, Error::data(format!(
                                "Strait does not flatten field {name}: its values are objects in some records and not in others"
                            )));
                        }
                    }
                    let column =
                        with_ancestor_nulls(child, NullBuffer::union(nulls, st.nulls()).as_ref())?;
                    push_or_fail(out, leaf(name), column, st, failed);
                }
                _ => {
                    let column =
                        with_ancestor_nulls(child, NullBuffer::union(nulls, st.nulls()).as_ref())?;
                    push_or_fail(out, leaf(name), column, st, failed);
                }
            }
        }
        Ok(())
    }

    fn flatten(
        &self,
        field: &Field,
        array: &ArrayRef,
        failed: &mut RowFailures,
    ) -> Result<(Field, ArrayRef)> {
        let fail_all = |message: String, failed: &mut RowFailures| {
            failed.all_rows(array.as_ref(), &message);
            Ok((field.clone(), array.clone()))
        };
        let schemaless = schema::is_schemaless(field);
        let DataType::Struct(fields) = field.data_type() else {
            if !schemaless {
                let found = java_class_name(field.data_type()).unwrap_or("null");
                return fail_all(
                    format!("Only Struct objects supported for [{PURPOSE}], found: {found}"),
                    failed,
                );
            }
            if let DataType::Map(entry, _) = field.data_type() {
                let DataType::Struct(kv) = entry.data_type() else {
                    return Err(Error::bug("map entries are not a struct"));
                };
                return match kv[1].data_type() {
                    // A map of maps would flatten to keys that vary by record.
                    DataType::Struct(_) | DataType::Map(_, _) => fail_all(
                        "Strait does not flatten schemaless maps with more than 128 distinct keys whose values are maps".into(),
                        failed,
                    ),
                    _ => Ok((field.clone(), array.clone())),
                };
            }
            util::require_map_failures(
                field,
                array,
                PURPOSE,
                "Strait does not flatten schemaless values that are objects in some records and not in others",
                failed,
            );
            return Ok((field.clone(), array.clone()));
        };
        let st = array.as_struct();
        let mut out = Out::default();
        let mut md = std::collections::HashMap::new();
        if schemaless {
            self.schemaless(st, "", None, &mut out, failed)?;
            md.insert(schema::SCHEMALESS.to_string(), "true".to_string());
        } else {
            let top_default = field.metadata().get(schema::DEFAULT).map(String::as_str);
            let optional =
                field.metadata().get(schema::OPTIONAL).map(String::as_str) != Some("false");
            if let Err(e) =
                self.with_schema(st, fields, "", None, optional, top_default, &mut out)?
            {
                // SchemaBuilder's duplicate-name exception is a SchemaBuilderException.
                let duplicate = e.starts_with("Cannot create field because");
                for row in util::valid_rows(array.as_ref()) {
                    let error = Error::data(e.as_str());
                    failed.add(
                        row,
                        if duplicate {
                            error.with_java_class(
                                "org.apache.kafka.connect.errors.SchemaBuilderException",
                            )
                        } else {
                            error
                        },
                    );
                }
                return Ok((field.clone(), array.clone()));
            }
            for key in [
                schema::NAME,
                schema::VERSION,
                schema::DOC,
                schema::PARAMETERS,
            ] {
                if let Some(v) = field.metadata().get(key) {
                    md.insert(key.to_string(), v.clone());
                }
            }
            // Java's flattened schema is a required struct whatever the original was.
            md.insert(schema::OPTIONAL.to_string(), "false".to_string());
        }
        let nulls = util::null_out(st.nulls(), st.len(), failed.rows());
        let fields = Fields::from(out.fields);
        let out = StructArray::try_new(fields.clone(), out.columns, nulls)?;
        Ok((
            Field::new(field.name(), DataType::Struct(fields), true).with_metadata(md),
            Arc::new(out),
        ))
    }
}

/// Add a schemaless member; a name clash (two paths joining to one name) is Java's
/// `LinkedHashMap.put` overwriting, which Strait cannot do per row: those rows fail.
fn push_or_fail(
    out: &mut Out,
    field: Field,
    column: ArrayRef,
    st: &StructArray,
    failed: &mut RowFailures,
) {
    if let Err(message) = out.push(field, column) {
        failed.all_rows(st, &format!("Strait cannot flatten: {message}"));
    }
}

impl Transform for Flatten {
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
        util::apply_to_side(records, self.side, |field, array, failed| {
            self.flatten(field, array, failed)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int32Array, Int64Array, StringArray};

    fn run(
        delimiter: &str,
        field: Field,
        array: ArrayRef,
    ) -> (Field, ArrayRef, Vec<(usize, String)>) {
        let props: Props = [("delimiter".to_string(), delimiter.to_string())].into();
        let flatten = Flatten::new(Side::Value, FlattenConfig::parse(&props).unwrap());
        let schema = Arc::new(arrow::datatypes::Schema::new(vec![field]));
        let records = RecordBatch::try_new(schema, vec![array]).unwrap();
        let applied = flatten.apply(&records).unwrap();
        (
            applied.records.schema().field(0).clone(),
            applied.records.column(0).clone(),
            applied
                .errors
                .into_iter()
                .map(|e| (e.row, e.error.message().to_string()))
                .collect(),
        )
    }

    fn with_default(field: Field, json: &str) -> Field {
        let mut md = field.metadata().clone();
        md.insert(schema::DEFAULT.to_string(), json.to_string());
        field.with_metadata(md)
    }

    /// `{id: int32, inner: optional {a: string, b: optional int64 default 7}}`, three rows:
    /// a full one, one whose `inner` is null, one with a null `b`.
    fn nested() -> (Field, ArrayRef) {
        let a = Field::new("a", DataType::Utf8, false);
        let b = with_default(Field::new("b", DataType::Int64, true), "7");
        let inner_fields: Fields = vec![a, b].into();
        let inner = StructArray::new(
            inner_fields.clone(),
            vec![
                Arc::new(StringArray::from(vec!["x", "", "y"])) as ArrayRef,
                Arc::new(Int64Array::from(vec![Some(5), Some(6), None])),
            ],
            Some(NullBuffer::from(vec![true, false, true])),
        );
        let mut inner_field = Field::new("inner", DataType::Struct(inner_fields), true);
        inner_field = schema::with_name(inner_field, "com.example.Inner");
        let id = Field::new("id", DataType::Int32, false);
        let fields: Fields = vec![id, inner_field].into();
        let top = StructArray::new(
            fields.clone(),
            vec![
                Arc::new(Int32Array::from(vec![1, 2, 3])) as ArrayRef,
                Arc::new(inner),
            ],
            None,
        );
        let field = schema::with_name(
            Field::new("value", DataType::Struct(fields), true),
            "com.example.Top",
        );
        // A required top-level schema (the column itself is nullable for tombstones).
        let mut md = field.metadata().clone();
        md.insert(schema::OPTIONAL.to_string(), "false".to_string());
        (field.with_metadata(md), Arc::new(top))
    }

    #[test]
    fn nested_structs_flatten_with_javas_schema() {
        let (field, array) = nested();
        let (f, out, errors) = run("_", field, array);
        assert!(errors.is_empty());
        assert_eq!(schema::schema_name(&f), Some("com.example.Top"));
        assert_eq!(
            f.metadata().get(schema::OPTIONAL).map(String::as_str),
            Some("false")
        );
        let DataType::Struct(fields) = f.data_type() else {
            panic!("struct expected")
        };
        let names: Vec<_> = fields.iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, ["id", "inner_a", "inner_b"]);
        // A required leaf of an optional struct is optional; the leaf keeps its default.
        assert!(!fields[0].is_nullable());
        assert!(fields[1].is_nullable());
        assert_eq!(
            fields[2]
                .metadata()
                .get(schema::DEFAULT)
                .map(String::as_str),
            Some("7")
        );
        let st = out.as_struct();
        let a = st.column(1).as_string::<i32>();
        assert!(a.is_null(1), "a field of a null struct is null");
        assert_eq!(a.value(2), "y");
        let b = st.column(2).as_primitive::<arrow::datatypes::Int64Type>();
        assert!(b.is_null(1));
        assert_eq!(b.value(2), 7, "a null leaf reads as its default");
    }

    #[test]
    fn map_fields_fail_rows_as_java() {
        let (field, array) = nested();
        let DataType::Struct(fields) = field.data_type() else {
            unreachable!()
        };
        let st = array.as_struct();
        let map = arrow::array::MapBuilder::new(
            None,
            arrow::array::StringBuilder::new(),
            arrow::array::Int32Builder::new(),
        );
        let mut map = map;
        for _ in 0..3 {
            map.append(true).unwrap();
        }
        let map = map.finish();
        let mut all: Vec<Arc<Field>> = fields.iter().cloned().collect();
        all.push(Arc::new(Field::new("m", map.data_type().clone(), false)));
        let mut columns = st.columns().to_vec();
        columns.push(Arc::new(map));
        let all: Fields = all.into();
        let array: ArrayRef = Arc::new(StructArray::new(all.clone(), columns, None));
        let (_, _, errors) = run(".", Field::new("value", DataType::Struct(all), true), array);
        assert_eq!(errors.len(), 3);
        assert_eq!(
            errors[0].1,
            "Flatten transformation does not support MAP for record with schemas (for field m)."
        );
    }

    #[test]
    fn schemaless_maps_flatten_and_keep_null_nested_maps() {
        let (field, array) = nested();
        let field = schema::schemaless(Field::new("value", field.data_type().clone(), true));
        let (f, out, errors) = run(".", field, array);
        assert!(errors.is_empty());
        assert!(schema::is_schemaless(&f));
        let st = out.as_struct();
        // Row 1's inner map is null: Java keeps the key "inner" with a null value.
        assert_eq!(st.column_names(), ["id", "inner", "inner.a", "inner.b"]);
        assert!(st.column(2).is_null(1));
    }

    #[test]
    fn non_structs_fail_and_tombstones_pass() {
        let field = Field::new("value", DataType::Int64, true);
        let (_, _, errors) = run(
            ".",
            field.clone(),
            Arc::new(Int64Array::from(vec![Some(1), None])),
        );
        assert_eq!(
            errors,
            [(
                0,
                "Only Struct objects supported for [flattening], found: java.lang.Long".to_string()
            )]
        );
        let (f, _, errors) = run(
            ".",
            field.clone(),
            Arc::new(Int64Array::from(vec![None, None])),
        );
        assert_eq!(f, field);
        assert!(errors.is_empty());
    }

    #[test]
    fn duplicate_names_fail_as_schema_builder_does() {
        let ab = Field::new("a.b", DataType::Int32, false);
        let b = Field::new("b", DataType::Int32, false);
        let a_fields: Fields = vec![b].into();
        let a = StructArray::new(
            a_fields.clone(),
            vec![Arc::new(Int32Array::from(vec![2])) as ArrayRef],
            None,
        );
        let fields: Fields = vec![ab, Field::new("a", DataType::Struct(a_fields), false)].into();
        let top = StructArray::new(
            fields.clone(),
            vec![Arc::new(Int32Array::from(vec![1])) as ArrayRef, Arc::new(a)],
            None,
        );
        let (_, _, errors) = run(
            ".",
            Field::new("value", DataType::Struct(fields), true),
            Arc::new(top),
        );
        assert_eq!(
            errors[0].1,
            "Cannot create field because of field name duplication a.b"
        );
    }
}
