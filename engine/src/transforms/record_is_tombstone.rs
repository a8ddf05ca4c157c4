//! `org.apache.kafka.connect.transforms.predicates.RecordIsTombstone`: true when the record's
//! value is null (after the value converter: a JSON `null` payload is a tombstone too).

use arrow::array::{BooleanArray, RecordBatch};

use super::registry::{Build, TransformPlugin};
use super::util::column;
use super::{Needs, Predicate};
use crate::batch::columns;
use crate::config::Props;
use crate::error::Result;

pub const CLASS: &str = "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone";

crate::declare_config! {
    /// RecordIsTombstone has no keys.
    #[derive(Debug)]
    pub struct RecordIsTombstoneConfig {}
}

pub const PLUGINS: &[TransformPlugin] = &[TransformPlugin {
    class: CLASS,
    config_def: RecordIsTombstoneConfig::config_def,
    build: Build::Predicate(build),
}];

fn build(props: &Props) -> Result<Box<dyn Predicate>> {
    RecordIsTombstoneConfig::parse(props)?;
    Ok(Box::new(RecordIsTombstone))
}

/// The RecordIsTombstone predicate.
#[derive(Debug)]
pub struct RecordIsTombstone;

impl Predicate for RecordIsTombstone {
    fn class(&self) -> &'static str {
        CLASS
    }

    /// The decoded value: whether a payload is null for Java depends on the converter.
    fn needs(&self) -> Needs {
        Needs::VALUE
    }

    fn test(&self, records: &RecordBatch) -> Result<BooleanArray> {
        let (_, value) = column(records, columns::VALUE)?;
        Ok(arrow::compute::is_null(value)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::RawBatchBuilder;
    use crate::transforms::chain::{Chain, ChainStage};
    use crate::transforms::filter::Filter;
    use arrow::array::Array;
    use std::sync::Arc;

    #[test]
    fn null_values_are_tombstones() {
        let mut b = RawBatchBuilder::with_capacity(3, 8);
        b.append("t", 0, 0, Some(1), Some(b"k"), None, []);
        b.append("t", 0, 1, Some(1), Some(b"k"), Some(b""), []);
        b.append("t", 0, 2, Some(1), None, None, []);
        let batch = b.finish().unwrap();
        let mask = RecordIsTombstone.test(&batch.records).unwrap();
        assert_eq!(mask, BooleanArray::from(vec![true, false, true]));
        assert_eq!(mask.null_count(), 0);
        // Filter tombstones out.
        let chain = Chain::new(vec![ChainStage {
            alias: "f".into(),
            transform: Box::new(Filter),
            predicate: Some((Arc::new(RecordIsTombstone), false)),
        }]);
        let out = chain.apply(batch).unwrap();
        assert_eq!(out.pieces[0].num_rows(), 1);
        assert!(chain.needs().value);
    }
}
