//! Single Message Transforms (SMTs) and predicates as batch kernels.
//!
//! Kafka Connect applies a chain of transforms to one record at a time. Strait applies the same
//! chain to a whole [`Batch`](crate::batch::Batch): each [`Transform`] rewrites only the columns
//! it changes (a router rewrites the `topic` column, a field transform rebuilds the struct
//! children it touches, a header transform rewrites the `headers` list), and each
//! [`Predicate`] yields a boolean mask over the rows. The outputs are exactly those of Kafka's
//! own transforms (`org.apache.kafka.connect.transforms.*`), checked against golden vectors the
//! Java implementation produced (`formats/tests/golden/transforms.rs`).
//!
//! What a transform sees is the batch's [`RecordBatch`](arrow::array::RecordBatch) with the
//! columns of [`columns`](crate::batch::columns):
//!
//! - `topic`: `Dictionary(Int32, Utf8)` (sink batches) or `Utf8` (some source batches); a
//!   router may return either.
//! - `partition` (`Int32`), `offset` (`Int64`, sink batches only), `timestamp`
//!   (`Timestamp(Millisecond)`, nullable).
//! - `key`, `value`: decoded typed arrays whose fields carry the Connect schema (see
//!   [`schema`](crate::schema)); a transform only finds them decoded when its [`Needs`] asks
//!   for it. A field marked [`schema::SCHEMALESS`](crate::schema::SCHEMALESS) holds values that
//!   Java would see without a schema (maps, boxed primitives): a struct column there stands for
//!   Java `Map`s whose keys are the struct's children.
//! - `headers`: `List<Struct<key: Utf8, value: Binary>>`, each value as the connector's header
//!   converter serializes it (a transform that writes a header serializes it with
//!   [`TransformContext::header_converter`]).
//!
//! A transform returns the rewritten batch with the same number of rows, plus the rows it could
//! not transform ([`RowError`]s, with the exception Java would throw) and, for `Filter`, the rows
//! to drop. The [`chain`] removes failed and dropped rows, hands failures to the framework's
//! error handling (stage `TRANSFORMATION`), and applies each transform only to the rows its
//! predicate selects.

pub mod cast;
pub mod chain;
pub mod drop_headers;
pub mod extract_field;
pub mod field_path;
pub mod filter;
pub mod flatten;
pub mod has_header_key;
pub mod header_from;
pub mod hoist_field;
pub mod insert_field;
pub mod insert_header;
pub mod java_date;
pub mod java_regex;
pub mod mask_field;
pub mod record_is_tombstone;
pub mod regex_router;
pub mod registry;
pub mod replace_field;
pub mod set_schema_metadata;
pub mod timestamp_converter;
pub mod timestamp_router;
pub mod topic_name_matches;
pub mod util;
pub mod value_to_key;

#[cfg(test)]
mod proptests;

use std::sync::Arc;

use arrow::array::{BooleanArray, RecordBatch};

use crate::error::Result;
use crate::plugin::{Converter, RowError};

pub use chain::{Chain, ChainError, ChainOutput, ChainStage};

/// Which columns a transform or predicate reads beyond `topic`, `partition`, `offset` and
/// `timestamp`. The runtime decodes a key or value only when some stage (or the task) needs it,
/// and reads headers only when some stage (or the task) needs them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    /// The `key` column must be decoded.
    pub key: bool,
    /// The `value` column must be decoded.
    pub value: bool,
    /// The `headers` column must be present.
    pub headers: bool,
}

impl Needs {
    pub const NOTHING: Needs = Needs {
        key: false,
        value: false,
        headers: false,
    };
    pub const KEY: Needs = Needs {
        key: true,
        value: false,
        headers: false,
    };
    pub const VALUE: Needs = Needs {
        key: false,
        value: true,
        headers: false,
    };
    pub const HEADERS: Needs = Needs {
        key: false,
        value: false,
        headers: true,
    };

    /// What either needs.
    pub fn union(self, other: Needs) -> Needs {
        Needs {
            key: self.key || other.key,
            value: self.value || other.value,
            headers: self.headers || other.headers,
        }
    }
}

/// What a transform made of a batch.
#[derive(Debug)]
pub struct Applied {
    /// The rewritten batch, row for row (a failed row holds anything; the chain drops it).
    pub records: RecordBatch,
    /// Rows that failed, with the error Java's transform throws for them.
    pub errors: Vec<RowError>,
    /// Rows to keep (`Filter` drops rows); `None` keeps every row. Must not contain nulls.
    pub keep: Option<BooleanArray>,
}

impl Applied {
    /// Every row transformed, none failed, none dropped.
    pub fn all(records: RecordBatch) -> Self {
        Applied {
            records,
            errors: Vec::new(),
            keep: None,
        }
    }
}

/// A Single Message Transform as a batch kernel (Java's `Transformation<R>`).
pub trait Transform: Send + Sync {
    /// Java's class name, e.g. `org.apache.kafka.connect.transforms.Cast$Value`: what
    /// `__connect.errors.class.name` and error logs name when a row fails here.
    fn class(&self) -> &'static str;
    /// Which columns [`apply`](Self::apply) reads.
    fn needs(&self) -> Needs;
    /// Transform every row of `records`. `Err` is for failures of the whole batch (bugs); a
    /// record Java would reject is a [`RowError`] in [`Applied::errors`].
    fn apply(&self, records: &RecordBatch) -> Result<Applied>;
}

/// A predicate as a batch kernel (Java's `Predicate<R>`).
pub trait Predicate: Send + Sync {
    /// Java's class name.
    fn class(&self) -> &'static str;
    /// Which columns [`test`](Self::test) reads.
    fn needs(&self) -> Needs;
    /// One boolean per row, without nulls.
    fn test(&self, records: &RecordBatch) -> Result<BooleanArray>;
}

/// What transforms may use beyond their own config.
#[derive(Clone)]
pub struct TransformContext {
    /// The connector's header converter: header transforms serialize the headers they write
    /// with it, so header values in a batch always have one encoding.
    pub header_converter: Arc<dyn Converter>,
}

impl std::fmt::Debug for TransformContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransformContext").finish_non_exhaustive()
    }
}
