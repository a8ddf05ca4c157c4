//! A configured chain of transforms, each with an optional predicate, run over whole batches.
//!
//! Java runs `TransformationChain.apply` on one record: each stage applies its transform when
//! its predicate (if any) matches, `negate` inverting the test; a transform returning `null`
//! (Filter) ends the chain for that record; an exception is handled per `errors.tolerance` with
//! stage `TRANSFORMATION`. Here each stage runs once per batch:
//!
//! - the predicate's mask selects rows; with no row selected the stage is skipped, with every
//!   row selected the transform's output is the batch;
//! - with some rows selected, a transform that keeps the batch's Arrow schema (routers, header
//!   transforms, Filter) is merged row by row (`zip`); one that changes it (InsertField on
//!   some rows only) splits the batch into runs of selected and unselected rows, in order, each
//!   run its own piece with its own provenance (like a schema change inside a batch);
//! - rows that failed or were dropped are removed; each piece keeps its provenance, so offsets
//!   advance past filtered and failed records.
//!
//! Failures are reported by row of the batch the chain was given, so the error handler sees the
//! record as it was consumed (Java's DLQ writes the original record, whatever stage failed).

use arrow::array::{Array, BooleanArray, BooleanBufferBuilder, RecordBatch};
use arrow::buffer::BooleanBuffer;
use arrow::compute::kernels::zip::zip;

use super::{Needs, Predicate, Transform};
use crate::batch::Batch;
use crate::error::{Error, Result};
use crate::runtime::split::piece_provenance;

/// One configured stage: `transforms.<alias>.*`.
pub struct ChainStage {
    pub alias: String,
    pub transform: Box<dyn Transform>,
    /// `transforms.<alias>.predicate` and `transforms.<alias>.negate`.
    pub predicate: Option<(std::sync::Arc<dyn Predicate>, bool)>,
}

/// The transforms of one connector, in `transforms` order.
#[derive(Default)]
pub struct Chain {
    stages: Vec<ChainStage>,
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.stages.iter().map(|s| (&s.alias, s.transform.class())))
            .finish()
    }
}

/// A record that failed a transform.
#[derive(Debug)]
pub struct ChainError {
    /// Row in the batch given to [`Chain::apply`].
    pub row: usize,
    /// Class name of the transform that failed.
    pub class: &'static str,
    pub error: Error,
}

/// What a chain made of a batch.
#[derive(Debug)]
pub struct ChainOutput {
    /// The transformed records, in order; together they carry the input's provenance (a piece
    /// may have no rows left and still carry offsets to commit).
    pub pieces: Vec<Batch>,
    /// Failed records, in the order they failed.
    pub errors: Vec<ChainError>,
}

/// A piece in flight and, per row, the row of the chain's input it came from.
struct Piece {
    batch: Batch,
    rows: Vec<usize>,
}

impl Chain {
    pub fn new(stages: Vec<ChainStage>) -> Self {
        Chain { stages }
    }

    pub fn is_empty(&self) -> bool {
        self.stages.is_empty()
    }

    pub fn stages(&self) -> &[ChainStage] {
        &self.stages
    }

    /// What any stage reads.
    pub fn needs(&self) -> Needs {
        self.stages.iter().fold(Needs::NOTHING, |n, s| {
            let n = n.union(s.transform.needs());
            match &s.predicate {
                Some((p, _)) => n.union(p.needs()),
                None => n,
            }
        })
    }

    /// Run every stage over `batch`.
    pub fn apply(&self, batch: Batch) -> Result<ChainOutput> {
        let rows = (0..batch.num_rows()).collect();
        let mut pieces = vec![Piece { batch, rows }];
        let mut errors = Vec::new();
        for stage in &self.stages {
            let mut next = Vec::with_capacity(pieces.len());
            for piece in pieces {
                stage.run(piece, &mut next, &mut errors)?;
            }
            pieces = next;
        }
        Ok(ChainOutput {
            pieces: pieces.into_iter().map(|p| p.batch).collect(),
            errors,
        })
    }
}

impl ChainStage {
    fn run(&self, piece: Piece, out: &mut Vec<Piece>, errors: &mut Vec<ChainError>) -> Result<()> {
        if piece.batch.num_rows() == 0 {
            out.push(piece);
            return Ok(());
        }
        let selected = match &self.predicate {
            None => None,
            Some((predicate, negate)) => {
                let mask = predicate.test(&piece.batch.records)?;
                if mask.len() != piece.batch.num_rows() || mask.null_count() != 0 {
                    return Err(Error::bug(format!(
                        "predicate {} returned a mask of {} rows ({} null) for {} rows",
                        predicate.class(),
                        mask.len(),
                        mask.null_count(),
                        piece.batch.num_rows()
                    )));
                }
                let mask = if *negate {
                    arrow::compute::not(&mask)?
                } else {
                    mask
                };
                match mask.true_count() {
                    0 => {
                        out.push(piece);
                        return Ok(());
                    }
                    n if n == mask.len() => None,
                    _ => Some(mask),
                }
            }
        };
        let applied = self.transform.apply(&piece.batch.records)?;
        let rows = piece.batch.num_rows();
        if applied.records.num_rows() != rows {
            return Err(Error::bug(format!(
                "transform {} returned {} rows for {rows}",
                self.transform.class(),
                applied.records.num_rows()
            )));
        }
        let is_selected = |row: usize| selected.as_ref().is_none_or(|m| m.value(row));
        // keep: not selected, or selected and neither failed nor dropped; computed on bitmaps
        // (a Filter's mask is whole-batch work).
        let mut keep: BooleanBuffer = match (&applied.keep, &selected) {
            (Some(k), Some(m)) => &!m.values() | k.values(),
            (Some(k), None) => k.values().clone(),
            (None, _) => BooleanBuffer::new_set(rows),
        };
        if !applied.errors.is_empty() {
            let mut bits = BooleanBufferBuilder::new(rows);
            bits.append_buffer(&keep);
            for e in applied.errors {
                if e.row < rows && is_selected(e.row) && bits.get_bit(e.row) {
                    bits.set_bit(e.row, false);
                    errors.push(ChainError {
                        row: piece.rows[e.row],
                        class: self.transform.class(),
                        error: e.error,
                    });
                }
            }
            keep = bits.finish();
        }
        let Piece { batch, rows: ids } = piece;
        let Some(mask) = selected else {
            let batch = Batch {
                records: applied.records,
                ..batch
            };
            out.push(keep_rows(batch, ids, &keep)?);
            return Ok(());
        };
        if applied.records.schema() == batch.records.schema() {
            let columns = applied
                .records
                .columns()
                .iter()
                .zip(batch.records.columns())
                .map(|(new, old)| {
                    // A column the transform left alone (Filter leaves them all) is kept as is.
                    if std::sync::Arc::ptr_eq(new, old) {
                        Ok(old.clone())
                    } else {
                        zip(&mask, new, old)
                    }
                })
                .collect::<std::result::Result<Vec<_>, _>>()?;
            let records = RecordBatch::try_new(batch.records.schema(), columns)?;
            out.push(keep_rows(Batch { records, ..batch }, ids, &keep)?);
            return Ok(());
        }
        // The transform changed the schema: one piece per run of selected / unselected rows.
        let mut bounds = Vec::new();
        let mut start = 0;
        for row in 1..=rows {
            if row == rows || mask.value(row) != mask.value(start) {
                bounds.push((start, row));
                start = row;
            }
        }
        let provenance = piece_provenance(&batch, &bounds)?;
        for ((start, end), provenance) in bounds.into_iter().zip(provenance) {
            let len = end - start;
            let records = if mask.value(start) {
                applied.records.slice(start, len)
            } else {
                batch.records.slice(start, len)
            };
            let run = Batch {
                records,
                provenance,
                original: batch.original.as_ref().map(|o| o.slice(start, len)),
            };
            out.push(keep_rows(
                run,
                ids[start..end].to_vec(),
                &keep.slice(start, len),
            )?);
        }
        Ok(())
    }
}

/// The rows of `batch` whose `keep` is true, provenance untouched.
fn keep_rows(batch: Batch, ids: Vec<usize>, keep: &BooleanBuffer) -> Result<Piece> {
    if keep.count_set_bits() == keep.len() {
        return Ok(Piece { batch, rows: ids });
    }
    let rows = keep.set_indices().map(|i| ids[i]).collect();
    let batch = batch.filter(&BooleanArray::new(keep.clone(), None))?;
    Ok(Piece { batch, rows })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use arrow::array::{ArrayRef, AsArray, Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Int64Type};

    use super::*;
    use crate::batch::{OffsetRange, Provenance, RawBatchBuilder, TopicPartition};
    use crate::plugin::RowError;
    use crate::transforms::util::{column, replace};
    use crate::transforms::Applied;

    /// Row-wise reference operations on an Int64 `value` column.
    #[derive(Clone, Copy, Debug)]
    enum Op {
        /// value + 1 (keeps the schema).
        AddOne,
        /// value as text (changes the schema).
        Text,
        /// odd values fail.
        FailOdd,
        /// every row dropped (Filter).
        Drop,
    }

    struct TestTransform(Op);

    impl Transform for TestTransform {
        fn class(&self) -> &'static str {
            "test.TestTransform"
        }
        fn needs(&self) -> Needs {
            Needs::VALUE
        }
        fn apply(&self, records: &RecordBatch) -> Result<Applied> {
            let (_, value) = column(records, "value")?;
            let nums = numbers(value);
            Ok(match self.0 {
                Op::AddOne => {
                    let out: Int64Array = nums.iter().map(|v| v + 1).collect();
                    let field = Field::new("value", DataType::Int64, true);
                    Applied::all(replace(records, "value", field, Arc::new(out))?)
                }
                Op::Text => {
                    let out: StringArray = nums.iter().map(|v| Some(v.to_string())).collect();
                    let field = Field::new("value", DataType::Utf8, true);
                    Applied::all(replace(records, "value", field, Arc::new(out))?)
                }
                Op::FailOdd => Applied {
                    errors: (0..records.num_rows())
                        .filter(|&r| nums[r] % 2 != 0)
                        .map(|row| RowError {
                            row,
                            error: Error::data("odd"),
                        })
                        .collect(),
                    ..Applied::all(records.clone())
                },
                Op::Drop => Applied {
                    keep: Some(BooleanArray::from(vec![false; records.num_rows()])),
                    ..Applied::all(records.clone())
                },
            })
        }
    }

    /// The value column's numbers, whether still Int64 or already text.
    fn numbers(value: &ArrayRef) -> Vec<i64> {
        match value.data_type() {
            DataType::Int64 => value.as_primitive::<Int64Type>().values().to_vec(),
            _ => value
                .as_string::<i32>()
                .iter()
                .map(|v| v.unwrap().parse().unwrap())
                .collect(),
        }
    }

    /// Selects rows whose value (as Int64) is at least `min`.
    struct AtLeast(i64);

    impl Predicate for AtLeast {
        fn class(&self) -> &'static str {
            "test.AtLeast"
        }
        fn needs(&self) -> Needs {
            Needs::VALUE
        }
        fn test(&self, records: &RecordBatch) -> Result<BooleanArray> {
            let (_, value) = column(records, "value")?;
            Ok(numbers(value).iter().map(|&v| Some(v >= self.0)).collect())
        }
    }

    /// A sink batch of `values` at offsets 100.., value column decoded as Int64.
    fn batch(values: &[i64]) -> Batch {
        let mut b = RawBatchBuilder::with_capacity(values.len(), 16);
        for (i, _) in values.iter().enumerate() {
            b.append("t", 0, 100 + i as i64, None, None, None, []);
        }
        let raw = b.finish().unwrap();
        let records = replace(
            &raw.records,
            "value",
            Field::new("value", DataType::Int64, true),
            Arc::new(Int64Array::from(values.to_vec())) as ArrayRef,
        )
        .unwrap();
        Batch { records, ..raw }
    }

    fn stage(op: Op, predicate: Option<(i64, bool)>) -> ChainStage {
        ChainStage {
            alias: format!("{op:?}"),
            transform: Box::new(TestTransform(op)),
            predicate: predicate
                .map(|(min, negate)| (Arc::new(AtLeast(min)) as Arc<dyn Predicate>, negate)),
        }
    }

    /// The values of the output, as text, in order.
    fn values(out: &ChainOutput) -> Vec<String> {
        out.pieces
            .iter()
            .flat_map(|p| {
                let v = p.column("value").unwrap();
                (0..v.len())
                    .map(|r| match v.data_type() {
                        DataType::Int64 => v.as_primitive::<Int64Type>().value(r).to_string(),
                        _ => format!("'{}'", v.as_string::<i32>().value(r)),
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// What Java's per-record chain gives: for each record, the value or why it is gone.
    fn reference(
        stages: &[(Op, Option<(i64, bool)>)],
        values: &[i64],
    ) -> (Vec<String>, Vec<usize>) {
        let mut out = Vec::new();
        let mut failed = Vec::new();
        'rows: for (row, &v) in values.iter().enumerate() {
            let mut cur: Result<i64, String> = Ok(v);
            for &(op, pred) in stages {
                let num = match &cur {
                    Ok(n) => *n,
                    Err(s) => s.parse().unwrap(),
                };
                if let Some((min, negate)) = pred {
                    if (num >= min) == negate {
                        continue;
                    }
                }
                match op {
                    Op::AddOne if cur.is_ok() => cur = Ok(num + 1),
                    Op::AddOne => unreachable!("AddOne after Text"),
                    Op::Text => cur = Err(num.to_string()),
                    Op::FailOdd if num % 2 != 0 => {
                        failed.push(row);
                        continue 'rows;
                    }
                    Op::FailOdd => {}
                    Op::Drop => continue 'rows,
                }
            }
            out.push(match cur {
                Ok(n) => n.to_string(),
                Err(s) => format!("'{s}'"),
            });
        }
        (out, failed)
    }

    fn committed(out: &ChainOutput) -> BTreeMap<TopicPartition, i64> {
        out.pieces
            .iter()
            .flat_map(|p| p.provenance.commit_offsets())
            .fold(BTreeMap::new(), |mut m, (tp, o)| {
                let e = m.entry(tp).or_insert(o);
                *e = (*e).max(o);
                m
            })
    }

    #[test]
    fn predicates_select_rows_and_schema_changes_split_by_run() {
        let stages = [
            (Op::AddOne, Some((3, false))),
            (Op::Text, Some((5, true))),
            (Op::FailOdd, None),
        ];
        let input = [1, 2, 3, 4, 5, 6, 7];
        let chain = Chain::new(stages.iter().map(|&(o, p)| stage(o, p)).collect());
        let out = chain.apply(batch(&input)).unwrap();
        let (want, failed) = reference(&stages, &input);
        assert_eq!(values(&out), want);
        assert_eq!(out.errors.iter().map(|e| e.row).collect::<Vec<_>>(), failed);
        assert!(
            out.pieces.len() > 1,
            "a schema change on some rows splits the batch"
        );
        // Every offset is committed, failed rows included.
        assert_eq!(committed(&out)[&TopicPartition::new("t", 0)], 107);
    }

    #[test]
    fn filter_with_a_negated_predicate_keeps_offsets_of_dropped_rows() {
        let stages = [(Op::Drop, Some((4, true)))];
        let chain = Chain::new(stages.iter().map(|&(o, p)| stage(o, p)).collect());
        let out = chain.apply(batch(&[5, 1, 9, 2])).unwrap();
        assert_eq!(values(&out), vec!["5", "9"]);
        let all = Chain::new(vec![stage(Op::Drop, None)])
            .apply(batch(&[1, 2]))
            .unwrap();
        assert_eq!(all.pieces.iter().map(Batch::num_rows).sum::<usize>(), 0);
        assert_eq!(committed(&all)[&TopicPartition::new("t", 0)], 102);
        let Provenance::Sink(r) = &all.pieces[0].provenance else {
            panic!("sink provenance expected")
        };
        assert_eq!(
            r[&TopicPartition::new("t", 0)],
            OffsetRange {
                first: 100,
                last: 101
            }
        );
    }

    proptest::proptest! {
        #[test]
        fn random_chains_match_the_row_wise_reference(
            input in proptest::collection::vec(-5i64..20, 0..40),
            raw_stages in proptest::collection::vec((0u8..4, proptest::option::of((-5i64..20, proptest::bool::ANY))), 0..5),
        ) {
            // AddOne only while the value is still a number (as a typed chain would be built).
            let mut texted = false;
            let stages: Vec<(Op, Option<(i64, bool)>)> = raw_stages
                .into_iter()
                .map(|(op, p)| {
                    let op = match op {
                        0 if !texted => Op::AddOne,
                        0 | 1 => { texted = true; Op::Text }
                        2 => Op::FailOdd,
                        _ => Op::Drop,
                    };
                    (op, p)
                })
                .collect();
            let chain = Chain::new(stages.iter().map(|&(o, p)| stage(o, p)).collect());
            let out = chain.apply(batch(&input)).unwrap();
            let (want, failed) = reference(&stages, &input);
            proptest::prop_assert_eq!(values(&out), want);
            let mut got_failed: Vec<usize> = out.errors.iter().map(|e| e.row).collect();
            got_failed.sort_unstable();
            proptest::prop_assert_eq!(got_failed, failed);
            if !input.is_empty() {
                proptest::prop_assert_eq!(
                    committed(&out)[&TopicPartition::new("t", 0)],
                    100 + input.len() as i64
                );
            }
        }
    }
}
