//! `org.apache.kafka.connect.transforms.Filter`: drops every record it is applied to. With a
//! predicate (`transforms.<alias>.predicate`, optionally `negate`), the chain applies it to the
//! selected rows only, so only those are dropped.

use arrow::array::{BooleanArray, RecordBatch};

use super::registry::{Build, TransformPlugin};
use super::{Applied, Needs, Transform, TransformContext};
use crate::config::Props;
use crate::error::Result;

pub const CLASS: &str = "org.apache.kafka.connect.transforms.Filter";

crate::declare_config! {
    /// Filter has no keys.
    #[derive(Debug)]
    pub struct FilterConfig {}
}

pub const PLUGINS: &[TransformPlugin] = &[TransformPlugin {
    class: CLASS,
    config_def: FilterConfig::config_def,
    build: Build::Transform(build),
}];

fn build(props: &Props, _ctx: &TransformContext) -> Result<Box<dyn Transform>> {
    FilterConfig::parse(props)?;
    Ok(Box::new(Filter))
}

/// The Filter transform.
#[derive(Debug)]
pub struct Filter;

impl Transform for Filter {
    fn class(&self) -> &'static str {
        CLASS
    }

    fn needs(&self) -> Needs {
        Needs::NOTHING
    }

    fn apply(&self, records: &RecordBatch) -> Result<Applied> {
        Ok(Applied {
            records: records.clone(),
            errors: Vec::new(),
            keep: Some(BooleanArray::new(
                arrow::buffer::BooleanBuffer::new_unset(records.num_rows()),
                None,
            )),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::RawBatchBuilder;
    use crate::transforms::chain::{Chain, ChainStage};

    #[test]
    fn drops_every_row_but_keeps_the_provenance() {
        let mut b = RawBatchBuilder::with_capacity(2, 8);
        b.append("t", 0, 5, Some(1), None, Some(b"a"), []);
        b.append("t", 0, 6, Some(1), None, Some(b"b"), []);
        let batch = b.finish().unwrap();
        let out = Filter.apply(&batch.records).unwrap();
        assert_eq!(out.keep.unwrap().true_count(), 0);
        let chain = Chain::new(vec![ChainStage {
            alias: "f".into(),
            transform: Box::new(Filter),
            predicate: None,
        }]);
        let out = chain.apply(batch).unwrap();
        assert_eq!(out.pieces.len(), 1);
        assert_eq!(out.pieces[0].num_rows(), 0);
        assert_eq!(
            out.pieces[0].provenance.commit_offsets()[&crate::batch::TopicPartition::new("t", 0)],
            7
        );
        assert!(FilterConfig::config_def().keys().is_empty());
    }
}
