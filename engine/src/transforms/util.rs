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

/// `headers` (a [`header_list`] column) with the entries whose `keep` is false removed.
pub fn drop_header_entries(
    headers: &arrow::array::ListArray,
    keep: &BooleanArray,
) -> Result<arrow::array::ListArray> {
    use arrow::array::ListArray;
    use arrow::buffer::OffsetBuffer;
    let offsets = headers.value_offsets();
    let first = offsets[0] as usize;
    let entries = headers
        .values()
        .slice(first, offsets[headers.len()] as usize - first);
    let keep = keep.slice(first, entries.len());
    let kept = arrow::compute::filter(&entries, &keep)?;
    let lengths = (0..headers.len()).map(|row| {
        let (start, end) = (
            offsets[row] as usize - first,
            offsets[row + 1] as usize - first,
        );
        (start..end).filter(|j| keep.value(*j)).count()
    });
    let field = match headers.data_type() {
        arrow::datatypes::DataType::List(f) => f.clone(),
        other => return Err(Error::bug(format!("headers of type {other}"))),
    };
    Ok(ListArray::try_new(
        field,
        OffsetBuffer::from_lengths(lengths),
        kept,
        headers.nulls().cloned(),
    )?)
}

/// `headers` (a [`header_list`] column) with headers appended to every row, in order: each
/// `(key, values)` adds the header `key` with `values[row]` (null: a header with a null value).
/// A null list becomes a list of the added headers, as Java's records always have headers.
pub fn append_headers(
    headers: &arrow::array::ListArray,
    added: &[(&str, &arrow::array::BinaryArray)],
) -> Result<arrow::array::ListArray> {
    use arrow::array::{BinaryBuilder, ListArray, StringBuilder, StructArray};
    use arrow::buffer::OffsetBuffer;
    let entries = headers.values().as_any().downcast_ref::<StructArray>();
    let (Some(keys), Some(values)) = (
        entries.and_then(|s| s.column(0).as_any().downcast_ref::<StringArray>()),
        entries.and_then(|s| {
            s.column(1)
                .as_any()
                .downcast_ref::<arrow::array::BinaryArray>()
        }),
    ) else {
        return Err(Error::bug(format!(
            "headers of type {}",
            headers.data_type()
        )));
    };
    let rows = headers.len();
    let mut key_out = StringBuilder::new();
    let mut value_out = BinaryBuilder::new();
    let mut lengths = Vec::with_capacity(rows);
    let offsets = headers.value_offsets();
    for row in 0..rows {
        let (start, end) = if headers.is_null(row) {
            (0, 0)
        } else {
            (offsets[row] as usize, offsets[row + 1] as usize)
        };
        for j in start..end {
            key_out.append_value(keys.value(j));
            value_out.append_option(values.is_valid(j).then(|| values.value(j)));
        }
        for (key, column) in added {
            key_out.append_value(key);
            value_out.append_option(column.is_valid(row).then(|| column.value(row)));
        }
        lengths.push(end - start + added.len());
    }
    let (field, fields) = match headers.data_type() {
        arrow::datatypes::DataType::List(f) => match f.data_type() {
            arrow::datatypes::DataType::Struct(fields) => (f.clone(), fields.clone()),
            other => return Err(Error::bug(format!("header entries of type {other}"))),
        },
        other => return Err(Error::bug(format!("headers of type {other}"))),
    };
    let entries = StructArray::try_new(
        fields,
        vec![Arc::new(key_out.finish()), Arc::new(value_out.finish())],
        None,
    )?;
    Ok(ListArray::try_new(
        field,
        OffsetBuffer::from_lengths(lengths),
        Arc::new(entries),
        None,
    )?)
}

/// `records` with its `headers` column replaced.
pub fn with_headers(
    records: &RecordBatch,
    headers: arrow::array::ListArray,
) -> Result<RecordBatch> {
    let (field, _) = column(records, columns::HEADERS)?;
    replace(
        records,
        columns::HEADERS,
        Field::clone(&field),
        Arc::new(headers),
    )
}

/// A [`TransformContext`](super::TransformContext) for unit tests whose header converter writes
/// each value's Arrow text form (`42`, `true`, `abc`), and refuses nested types.
#[cfg(test)]
pub(crate) fn tests_context() -> super::TransformContext {
    #[derive(Debug)]
    struct Text;
    impl crate::plugin::Converter for Text {
        fn from_connect(
            &self,
            field: &Field,
            column: &ArrayRef,
        ) -> Result<arrow::array::BinaryArray> {
            if field.data_type().is_nested() {
                return Err(Error::data(format!(
                    "cannot write {} as text",
                    field.data_type()
                )));
            }
            let text = arrow::compute::cast(column, &arrow::datatypes::DataType::Utf8)?;
            let text = text
                .as_any()
                .downcast_ref::<StringArray>()
                .expect("cast to Utf8");
            Ok(text.iter().map(|s| s.map(str::as_bytes)).collect())
        }
        fn to_connect(&self, _: &arrow::array::BinaryArray) -> Result<crate::plugin::Decoded> {
            Err(Error::bug("the test header converter only encodes"))
        }
    }
    super::TransformContext {
        header_converter: Arc::new(Text),
    }
}
