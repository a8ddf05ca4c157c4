//! A column written under one Connect schema, read as another: what `use.latest.version` needs
//! when the registry's latest schema of a subject is not the one a record was written (or
//! built) with. The rules are Avro's schema resolution (what Confluent's serializers apply when
//! they read or write with the latest schema) in Connect terms, by field name:
//!
//! - struct fields are matched by name; a field of the target that the source lacks gets the
//!   target's default (or null when it is optional), a required field with no default is an
//!   error; source fields the target lacks are dropped;
//! - numbers widen as Avro promotes them (int → long → float → double, int8/int16 as int);
//!   every other type must match, logical types (Decimal with its scale, Date, Time, Timestamp)
//!   included;
//! - arrays and maps project their items, keys and values;
//! - an optional source into a required target fails if a null is actually there.
//!
//! [`check`] answers whether two schemas resolve at all (for `latest.compatibility.strict`);
//! [`project`] converts a column, reusing its buffers wherever the type does not change.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, ListArray, MapArray, StructArray};
use arrow::datatypes::{DataType, Field, Fields};

use crate::json::connect::{ConnectSchema, Logical, Type};
use crate::json::decode::{Cx, Node};
use crate::json::Opts;

/// The Connect schema a column's field carries.
pub(crate) fn connect_schema(field: &Field) -> Result<ConnectSchema, String> {
    ConnectSchema::from_field(field, &Opts::default())
}

/// Why `from` cannot be read as `to` (empty when it can), each problem with its path.
pub(crate) fn check(from: &ConnectSchema, to: &ConnectSchema) -> Vec<String> {
    let mut problems = Vec::new();
    check_at(from, to, "", &mut problems);
    problems
}

fn rank(ty: &Type) -> Option<u8> {
    Some(match ty {
        Type::Int8 | Type::Int16 | Type::Int32 => 0,
        Type::Int64 => 1,
        Type::Float32 => 2,
        Type::Float64 => 3,
        _ => return None,
    })
}

fn check_at(from: &ConnectSchema, to: &ConnectSchema, path: &str, problems: &mut Vec<String>) {
    let at = if path.is_empty() { "the value" } else { path };
    let same_logical = match (from.logical(), to.logical()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !same_logical {
        problems.push(format!(
            "{at}: {} {} cannot be read as {} {}",
            from.type_name(),
            from.name.as_deref().unwrap_or(""),
            to.type_name(),
            to.name.as_deref().unwrap_or("")
        ));
        return;
    }
    match (&from.ty, &to.ty) {
        (Type::Struct(from_fields), Type::Struct(to_fields)) => {
            for (name, target) in to_fields {
                let child = format!("{path}/{name}");
                match from_fields.iter().find(|(n, _)| n == name) {
                    Some((_, source)) => check_at(source, target, &child, problems),
                    None if target.default.is_some() || target.optional => {}
                    None => problems.push(format!(
                        "{child}: missing from the record, and the target has no default"
                    )),
                }
            }
        }
        (Type::Array(a), Type::Array(b)) => check_at(a, b, &format!("{path}/[]"), problems),
        (Type::Map(ak, av), Type::Map(bk, bv)) => {
            check_at(ak, bk, &format!("{path}/key"), problems);
            check_at(av, bv, &format!("{path}/value"), problems);
        }
        (a, b) if a == b => {}
        (a, b) => match (rank(a), rank(b)) {
            (Some(x), Some(y)) if x <= y && from.logical() == Ok(Logical::None) => {}
            _ => problems.push(format!(
                "{at}: {} cannot be read as {}",
                from.type_name(),
                to.type_name()
            )),
        },
    }
}

/// `array` (typed by `from`) as a column of `to`, whose Arrow type is `to_type`.
pub(crate) fn project(
    array: &ArrayRef,
    from: &ConnectSchema,
    to: &ConnectSchema,
    to_type: &DataType,
) -> Result<ArrayRef, String> {
    if array.data_type() == to_type && from == to {
        return Ok(array.clone());
    }
    match (&from.ty, &to.ty, to_type) {
        (Type::Struct(from_fields), Type::Struct(to_fields), DataType::Struct(arrow_fields)) => {
            let source = array.as_struct();
            let mut columns = Vec::with_capacity(to_fields.len());
            for ((name, target), arrow_field) in to_fields.iter().zip(arrow_fields.iter()) {
                let column = match from_fields.iter().position(|(n, _)| n == name) {
                    Some(i) => project(
                        source.column(i),
                        &from_fields[i].1,
                        target,
                        arrow_field.data_type(),
                    )?,
                    None => default_column(target, name, source.len())
                        .map_err(|e| format!("field {name}: {e}"))?,
                };
                columns.push(column);
            }
            let fields = Fields::from(arrow_fields.iter().cloned().collect::<Vec<_>>());
            Ok(Arc::new(
                StructArray::try_new(fields, columns, source.nulls().cloned())
                    .map_err(|e| e.to_string())?,
            ))
        }
        (Type::Array(a), Type::Array(b), DataType::List(item)) => {
            let list = array.as_list::<i32>();
            let values = project(list.values(), a, b, item.data_type())?;
            Ok(Arc::new(
                ListArray::try_new(
                    item.clone(),
                    list.offsets().clone(),
                    values,
                    list.nulls().cloned(),
                )
                .map_err(|e| e.to_string())?,
            ))
        }
        (Type::Map(ak, av), Type::Map(bk, bv), DataType::Map(entries, sorted)) => {
            let map = array.as_map();
            let DataType::Struct(entry_fields) = entries.data_type() else {
                return Err("a map's entries are not a struct".into());
            };
            let keys = project(map.keys(), ak, bk, entry_fields[0].data_type())?;
            let values = project(map.values(), av, bv, entry_fields[1].data_type())?;
            let entries_array =
                StructArray::try_new(entry_fields.clone(), vec![keys, values], None)
                    .map_err(|e| e.to_string())?;
            Ok(Arc::new(
                MapArray::try_new(
                    entries.clone(),
                    map.offsets().clone(),
                    entries_array,
                    map.nulls().cloned(),
                    *sorted,
                )
                .map_err(|e| e.to_string())?,
            ))
        }
        _ => {
            let problems = check(from, to);
            if let Some(problem) = problems.into_iter().next() {
                return Err(problem);
            }
            arrow::compute::cast(array, to_type).map_err(|e| e.to_string())
        }
    }
}

/// `len` rows of `schema`'s default (nulls when it is optional without one).
fn default_column(schema: &ConnectSchema, name: &str, len: usize) -> Result<ArrayRef, String> {
    let mut node = Node::for_schema(schema, name, false, false)?;
    let mut cx = Cx {
        replace_null_with_default: true,
        schemaless: false,
        scratch: Vec::new(),
        map_entries_as_objects: false,
    };
    for _ in 0..len {
        node.null(&mut cx).map_err(|f| match f {
            crate::json::scan::Fail::Syntax(m) | crate::json::scan::Fail::Data(m) => m,
            crate::json::scan::Fail::Mismatch => "the default does not fit its schema".into(),
        })?;
    }
    node.finish().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::scan::Scanner;
    use arrow::array::{Float64Array, Int32Array, Int64Array, StringArray};

    fn schema(text: &str) -> ConnectSchema {
        ConnectSchema::parse(&mut Scanner::new(text.as_bytes()), &Opts::default())
            .ok()
            .flatten()
            .unwrap()
    }

    fn arrow_type(s: &ConnectSchema) -> DataType {
        Node::for_schema(s, "value", true, false)
            .unwrap()
            .field
            .data_type()
            .clone()
    }

    const V1: &str = r#"{"type":"struct","name":"r.User","fields":[
        {"field":"id","type":"int32","optional":false},
        {"field":"name","type":"string","optional":false},
        {"field":"gone","type":"string","optional":true}]}"#;
    const V2: &str = r#"{"type":"struct","name":"r.User","fields":[
        {"field":"id","type":"int64","optional":false},
        {"field":"name","type":"string","optional":false},
        {"field":"score","type":"double","optional":false,"default":1.5},
        {"field":"note","type":"string","optional":true}]}"#;

    #[test]
    fn fields_are_matched_by_name_widened_defaulted_and_dropped() {
        let (v1, v2) = (schema(V1), schema(V2));
        assert!(check(&v1, &v2).is_empty(), "{:?}", check(&v1, &v2));
        let source: ArrayRef = Arc::new(StructArray::from(vec![
            (
                Arc::new(Field::new("id", DataType::Int32, false)),
                Arc::new(Int32Array::from(vec![7, 8])) as ArrayRef,
            ),
            (
                Arc::new(Field::new("name", DataType::Utf8, false)),
                Arc::new(StringArray::from(vec!["a", "b"])) as ArrayRef,
            ),
            (
                Arc::new(Field::new("gone", DataType::Utf8, true)),
                Arc::new(StringArray::from(vec![Some("x"), None])) as ArrayRef,
            ),
        ]));
        let out = project(&source, &v1, &v2, &arrow_type(&v2)).unwrap();
        let out = out.as_struct();
        assert_eq!(out.num_columns(), 4);
        let ids = out.column(0).as_any().downcast_ref::<Int64Array>().unwrap();
        assert_eq!(ids.values(), &[7, 8]);
        let scores = out
            .column(2)
            .as_any()
            .downcast_ref::<Float64Array>()
            .unwrap();
        assert_eq!(scores.values(), &[1.5, 1.5]);
        assert_eq!(out.column(3).null_count(), 2);
    }

    #[test]
    fn what_cannot_resolve_is_named() {
        let (v1, v2) = (schema(V1), schema(V2));
        // v2 → v1 narrows id to int32, and `gone` is optional so it may be absent.
        let problems = check(&v2, &v1);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("/id: INT64 cannot be read as INT32"),
            "{problems:?}"
        );
        let required = schema(
            r#"{"type":"struct","fields":[{"field":"must","type":"string","optional":false}]}"#,
        );
        let problems = check(&v1, &required);
        assert!(problems[0].contains("/must: missing"), "{problems:?}");
        let date = schema(r#"{"type":"int32","name":"org.apache.kafka.connect.data.Date"}"#);
        let int = schema(r#"{"type":"int32"}"#);
        assert_eq!(check(&int, &date).len(), 1);
        assert!(check(&int, &schema(r#"{"type":"double"}"#)).is_empty());
        assert_eq!(check(&schema(r#"{"type":"string"}"#), &int).len(), 1);
    }
}
