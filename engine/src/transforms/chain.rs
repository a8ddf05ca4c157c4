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

use arrow::array::{Array, BooleanArray, RecordBatch};
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
        // keep[row]: not selected, or selected and neither failed nor dropped.
        let mut keep: Vec<bool> = match &applied.keep {
            Some(k) => (0..rows).map(|r| !is_selected(r) || k.value(r)).collect(),
            None => vec![true; rows],
        };
        for e in applied.errors {
            if e.row < rows && is_selected(e.row) && keep[e.row] {
                keep[e.row] = false;
                errors.push(ChainError {
                    row: piece.rows[e.row],
                    class: self.transform.class(),
                    error: e.error,
                });
            }
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
                .map(|(new, old)| zip(&mask, new, old))
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
            out.push(keep_rows(run, ids[start..end].to_vec(), &keep[start..end])?);
        }
        Ok(())
    }
}

/// The rows of `batch` whose `keep` is true, provenance untouched.
fn keep_rows(batch: Batch, ids: Vec<usize>, keep: &[bool]) -> Result<Piece> {
    if keep.iter().all(|k| *k) {
        return Ok(Piece { batch, rows: ids });
    }
    let rows = ids
        .into_iter()
        .zip(keep)
        .filter_map(|(id, k)| k.then_some(id))
        .collect();
    let batch = batch.filter(&BooleanArray::from(keep.to_vec()))?;
    Ok(Piece { batch, rows })
}
