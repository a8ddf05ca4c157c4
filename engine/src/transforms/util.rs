//! Column helpers shared by the transforms.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch};
use arrow::datatypes::Field;

use crate::batch::{columns, with_columns};
use crate::error::{Error, Result};

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
