//! Column helpers shared by the transforms.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, DictionaryArray, RecordBatch, StringArray};
use arrow::datatypes::{Field, Int32Type};

use crate::batch::{columns, with_columns, TopicColumn};
use crate::error::{Error, Result};
use crate::plugin::RowError;

/// Which part of the record a `$Key` / `$Value` transform works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Key,
    Value,
}

impl Side {
    /// The batch column of this side.
    pub fn column(self) -> &'static str {
        match self {
            Side::Key => columns::KEY,
            Side::Value => columns::VALUE,
        }
    }

    /// The [`Needs`](super::Needs) of a transform that reads this side.
    pub fn needs(self) -> super::Needs {
        match self {
            Side::Key => super::Needs::KEY,
            Side::Value => super::Needs::VALUE,
        }
    }
}

/// A column and its field, or a bug error when the batch lacks it.
pub fn column<'a>(records: &'a RecordBatch, name: &str) -> Result<(Arc<Field>, &'a ArrayRef)> {
    let index = records
        .schema()
        .index_of(name)
        .map_err(|_| Error::bug(format!("transform input has no {name} column")))?;
    Ok((
        records.schema().field(index).clone().into(),
        records.column(index),
    ))
}

/// `records` with one column replaced (or appended), the field renamed to `name`.
pub fn replace(
    records: &RecordBatch,
    name: &str,
    field: Field,
    array: ArrayRef,
) -> Result<RecordBatch> {
    let field = if field.name() == name {
        field
    } else {
        field.with_name(name)
    };
    with_columns(records, [(Arc::new(field), array)])
}

/// The `topic` column with `rename` applied to every topic: once per dictionary value on a
/// `Dictionary(Int32, Utf8)` column (the keys are kept), once per row on a `Utf8` column.
/// `rename` returns `Ok(None)` to keep a topic, `Ok(Some(new))` to rename it, or the error of
/// every row with that topic. Returns the batch (itself when nothing changed) and the failures.
pub fn rename_topics(
    records: &RecordBatch,
    mut rename: impl FnMut(&str) -> std::result::Result<Option<String>, JavaException>,
) -> Result<(RecordBatch, Vec<RowError>)> {
    let (field, col) = column(records, columns::TOPIC)?;
    let mut errors = Vec::new();
    let topics = TopicColumn::new(col)
        .ok_or_else(|| Error::bug(format!("topic column of type {}", col.data_type())))?;
    let array: ArrayRef = match topics {
        TopicColumn::Dictionary { keys, values } => {
            let mut changed = false;
            let mut failed: Vec<Option<JavaException>> = Vec::new();
            let mut renamed: Vec<Option<String>> = Vec::with_capacity(values.len());
            for i in 0..values.len() {
                let new = if values.is_null(i) {
                    Ok(None)
                } else {
                    rename(values.value(i))
                };
                match new {
                    Ok(Some(t)) => {
                        changed = true;
                        renamed.push(Some(t));
                    }
                    Ok(None) => {
                        renamed.push(values.is_valid(i).then(|| values.value(i).to_string()))
                    }
                    Err(e) => {
                        failed.resize_with(values.len(), || None);
                        failed[i] = Some(e);
                        renamed.push(values.is_valid(i).then(|| values.value(i).to_string()));
                    }
                }
            }
            if !failed.is_empty() {
                for (row, key) in keys.iter().enumerate() {
                    if let Some(e) = key.and_then(|k| failed[k as usize].as_ref()) {
                        errors.push(RowError {
                            row,
                            error: e.error(),
                        });
                    }
                }
            }
            if !changed {
                return Ok((records.clone(), errors));
            }
            let values: ArrayRef = Arc::new(StringArray::from(renamed));
            Arc::new(DictionaryArray::<Int32Type>::try_new(keys.clone(), values)?)
        }
        TopicColumn::Plain(strings) => {
            let mut changed = false;
            let mut out: Vec<Option<String>> = Vec::with_capacity(strings.len());
            for (row, topic) in strings.iter().enumerate() {
                let new = match topic {
                    Some(t) => rename(t),
                    None => Ok(None),
                };
                match new {
                    Ok(Some(t)) => {
                        changed = true;
                        out.push(Some(t));
                    }
                    Ok(None) => out.push(topic.map(str::to_string)),
                    Err(e) => {
                        errors.push(RowError {
                            row,
                            error: e.error(),
                        });
                        out.push(topic.map(str::to_string));
                    }
                }
            }
            if !changed {
                return Ok((records.clone(), errors));
            }
            Arc::new(StringArray::from(out))
        }
    };
    let field = Field::clone(&field);
    Ok((replace(records, columns::TOPIC, field, array)?, errors))
}

/// One boolean per row: `test` of the row's topic (false for a null topic), evaluated once per
/// dictionary value on a dictionary-encoded `topic` column.
pub fn topic_mask(
    records: &RecordBatch,
    mut test: impl FnMut(&str) -> bool,
) -> Result<BooleanArray> {
    let (_, col) = column(records, columns::TOPIC)?;
    let topics = TopicColumn::new(col)
        .ok_or_else(|| Error::bug(format!("topic column of type {}", col.data_type())))?;
    Ok(match topics {
        TopicColumn::Dictionary { keys, values } => {
            let per_value: Vec<bool> = (0..values.len())
                .map(|i| values.is_valid(i) && test(values.value(i)))
                .collect();
            keys.iter()
                .map(|k| Some(k.is_some_and(|k| per_value[k as usize])))
                .collect()
        }
        TopicColumn::Plain(strings) => strings
            .iter()
            .map(|t| Some(t.is_some_and(&mut test)))
            .collect(),
    })
}

/// An exception Java throws for a record, to be raised for each row it applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JavaException {
    /// The Java class when it is not `DataException`.
    pub class: Option<&'static str>,
    pub message: String,
}

impl JavaException {
    /// A `DataException`.
    pub fn data(message: impl Into<String>) -> Self {
        JavaException {
            class: None,
            message: message.into(),
        }
    }

    /// The row error.
    pub fn error(&self) -> Error {
        let e = Error::data(self.message.clone());
        match self.class {
            Some(class) => e.with_java_class(class),
            None => e,
        }
    }
}

/// The `headers` column as `List<Struct<key: Utf8, value: Binary>>`. A source batch's typed
/// header struct (one child per key) is not supported by header transforms yet: it is refused.
pub fn header_list(records: &RecordBatch) -> Result<&arrow::array::ListArray> {
    let (_, col) = column(records, columns::HEADERS)?;
    col.as_any()
        .downcast_ref::<arrow::array::ListArray>()
        .filter(|l| {
            l.values()
                .as_any()
                .downcast_ref::<arrow::array::StructArray>()
                .is_some_and(|s| s.num_columns() == 2)
        })
        .ok_or_else(|| {
            Error::unsupported(format!(
                "header transforms and predicates need serialized headers \
                 (List<Struct<key, value>>), found {}",
                col.data_type()
            ))
        })
}
