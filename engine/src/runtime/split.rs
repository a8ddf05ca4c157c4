//! Splitting a sink batch where the decoded key's or value's schema changes.
//!
//! One batch carries one Arrow schema (DESIGN.md §2), but the records of one Kafka batch may
//! change schema (JsonConverter envelopes with a new schema). Converters then return several
//! [`Segment`]s for a column; [`split`] cuts the batch at the union of the key's and value's
//! segment boundaries, so each piece has one key type and one value type, the pieces keep the
//! records' order, and each piece's provenance covers its own rows, so a sink that commits per
//! piece (or rotates files at a schema change) commits exactly what it wrote. A batch whose
//! key and value have one segment each (the common case) comes back as one piece, with its
//! columns replaced and nothing else recomputed.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, Int32Array, Int64Array, RecordBatch};
use arrow::datatypes::Field;

use crate::batch::{
    columns, with_columns, Batch, OffsetRange, Provenance, TopicColumn, TopicPartition,
};
use crate::error::{Error, Result};
use crate::plugin::Segment;

/// The pieces of `batch` with its `key` and `value` columns replaced by the decoded segments
/// (fields renamed `key` and `value`, their metadata kept), cut at every segment boundary of
/// either, in row order. Every other column is sliced (zero-copy). Provenance per piece:
/// [`Provenance::Sink`] ranges recomputed from each piece's rows (see [`piece_ranges`]);
/// [`Provenance::None`] stays none; a [`Provenance::Source`] map cannot be divided by row, so
/// it goes whole to the last piece (committed only once everything before it is delivered).
pub fn split(batch: &Batch, key: &[Segment], value: &[Segment]) -> Result<Vec<Batch>> {
    let rows = batch.num_rows();
    check_cover(key, rows, columns::KEY)?;
    check_cover(value, rows, columns::VALUE)?;
    if let ([k], [v]) = (key, value) {
        let records = with_key_value(
            &batch.records,
            (k.field.clone(), k.array.clone()),
            (v.field.clone(), v.array.clone()),
        )?;
        return Ok(vec![Batch {
            original: batch.original.clone(),
            ..Batch::new(records, batch.provenance.clone())
        }]);
    }
    let mut starts: Vec<usize> = key
        .iter()
        .chain(value)
        .map(|s| s.start_row)
        .filter(|&s| s < rows)
        .collect();
    starts.sort_unstable();
    starts.dedup();
    let bounds: Vec<(usize, usize)> = starts
        .iter()
        .zip(starts.iter().skip(1).chain(std::iter::once(&rows)))
        .map(|(&s, &e)| (s, e))
        .collect();
    let mut provenance = piece_provenance(batch, &bounds)?.into_iter();
    let (mut k, mut v) = (0, 0);
    let mut pieces = Vec::with_capacity(bounds.len());
    for &(start, end) in &bounds {
        // Segments are contiguous and sorted, so the one holding `start` is at or after the
        // previous piece's.
        while key[k].end_row() <= start {
            k += 1;
        }
        while value[v].end_row() <= start {
            v += 1;
        }
        let len = end - start;
        let records = with_key_value(
            &batch.records.slice(start, len),
            (
                key[k].field.clone(),
                key[k].array.slice(start - key[k].start_row, len),
            ),
            (
                value[v].field.clone(),
                value[v].array.slice(start - value[v].start_row, len),
            ),
        )?;
        let provenance = provenance
            .next()
            .ok_or_else(|| Error::bug("split: fewer provenances than pieces"))?;
        pieces.push(Batch {
            original: batch.original.as_ref().map(|o| o.slice(start, len)),
            ..Batch::new(records, provenance)
        });
    }
    Ok(pieces)
}

/// Keep the rows of `pieces` (in order, as [`split`] returned them, together covering `keep`)
/// whose entry in `keep` is true. Each piece keeps its provenance, even when no row is left,
/// so the offsets of dropped rows still advance.
pub fn keep_rows(pieces: Vec<Batch>, keep: &[bool]) -> Result<Vec<Batch>> {
    let total: usize = pieces.iter().map(Batch::num_rows).sum();
    if total != keep.len() {
        return Err(Error::bug(format!(
            "keep mask of {} rows for pieces of {total}",
            keep.len()
        )));
    }
    if keep.iter().all(|k| *k) {
        return Ok(pieces);
    }
    let mut start = 0;
    pieces
        .into_iter()
        .map(|piece| {
            let rows = piece.num_rows();
            start += rows;
            piece.filter(&BooleanArray::from(keep[start - rows..start].to_vec()))
        })
        .collect()
}

/// `segments` must start at row 0, follow each other without gap and end at `rows`.
fn check_cover(segments: &[Segment], rows: usize, column: &str) -> Result<()> {
    let mut next = 0;
    for s in segments {
        if s.start_row != next {
            return Err(Error::bug(format!(
                "decoded {column} segment starts at row {} instead of {next}",
                s.start_row
            )));
        }
        next = s.end_row();
    }
    if segments.is_empty() || next != rows {
        return Err(Error::bug(format!(
            "decoded {column} segments cover {next} rows of a batch of {rows}"
        )));
    }
    Ok(())
}

/// `records` with its key and value columns replaced (or added) under their column names.
fn with_key_value(
    records: &RecordBatch,
    key: (Field, ArrayRef),
    value: (Field, ArrayRef),
) -> Result<RecordBatch> {
    let named = |name: &str, (field, array): (Field, ArrayRef)| {
        let field = if field.name() == name {
            field
        } else {
            field.with_name(name)
        };
        (Arc::new(field), array)
    };
    with_columns(
        records,
        [named(columns::KEY, key), named(columns::VALUE, value)],
    )
}

/// The provenance of each piece `[start, end)`.
pub(crate) fn piece_provenance(
    batch: &Batch,
    bounds: &[(usize, usize)],
) -> Result<Vec<Provenance>> {
    match &batch.provenance {
        Provenance::None => Ok(vec![Provenance::None; bounds.len()]),
        Provenance::Source(_) => {
            let mut out = vec![Provenance::None; bounds.len()];
            if let Some(last) = out.last_mut() {
                *last = batch.provenance.clone();
            }
            Ok(out)
        }
        Provenance::Sink(ranges) => Ok(piece_ranges(batch, ranges, bounds)?
            .into_iter()
            .map(Provenance::Sink)
            .collect()),
    }
}

/// Offset ranges per piece: each piece covers, per topic-partition, the offsets of its own
/// rows. What the batch's ranges cover beyond its rows (nothing, for batches the consumer
/// builds) goes to the piece holding the partition's first row (the head) or last row (the
/// tail), or to the last piece for a partition without rows, so the pieces together commit
/// exactly what the whole batch would.
fn piece_ranges(
    batch: &Batch,
    ranges: &BTreeMap<TopicPartition, OffsetRange>,
    bounds: &[(usize, usize)],
) -> Result<Vec<BTreeMap<TopicPartition, OffsetRange>>> {
    let column = |name: &str| {
        batch
            .column(name)
            .ok_or_else(|| Error::bug(format!("sink batch without a {name} column")))
    };
    let topic_col = column(columns::TOPIC)?;
    let topics = TopicColumn::new(topic_col)
        .ok_or_else(|| Error::bug("sink batch topic column is not Utf8"))?;
    let partitions = column(columns::PARTITION)?
        .as_any()
        .downcast_ref::<Int32Array>()
        .ok_or_else(|| Error::bug("sink batch partition column is not Int32"))?;
    let offsets = column(columns::OFFSET)?
        .as_any()
        .downcast_ref::<Int64Array>()
        .ok_or_else(|| Error::bug("sink batch offset column is not Int64"))?;
    let mut pieces: Vec<BTreeMap<TopicPartition, OffsetRange>> = Vec::with_capacity(bounds.len());
    // Per partition: (first piece, last piece) holding its rows.
    let mut seen: BTreeMap<TopicPartition, (usize, usize)> = BTreeMap::new();
    for (p, &(start, end)) in bounds.iter().enumerate() {
        let mut piece: BTreeMap<TopicPartition, OffsetRange> = BTreeMap::new();
        for row in start..end {
            let tp =
                TopicPartition::new(topics.get(row).unwrap_or_default(), partitions.value(row));
            let offset = offsets.value(row);
            seen.entry(tp.clone())
                .and_modify(|(_, last)| *last = p)
                .or_insert((p, p));
            piece
                .entry(tp)
                .and_modify(|r| {
                    r.first = r.first.min(offset);
                    r.last = r.last.max(offset);
                })
                .or_insert(OffsetRange {
                    first: offset,
                    last: offset,
                });
        }
        pieces.push(piece);
    }
    let last_piece = pieces.len().saturating_sub(1);
    for (tp, whole) in ranges {
        match seen.get(tp) {
            Some(&(first, last)) => {
                if let Some(r) = pieces[first].get_mut(tp) {
                    r.first = r.first.min(whole.first);
                }
                if let Some(r) = pieces[last].get_mut(tp) {
                    r.last = r.last.max(whole.last);
                }
            }
            None => {
                if let Some(piece) = pieces.get_mut(last_piece) {
                    piece.insert(tp.clone(), *whole);
                }
            }
        }
    }
    Ok(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::RawBatchBuilder;
    use arrow::array::{AsArray, StringArray};
    use arrow::datatypes::{DataType, Int32Type, Int64Type};
    use proptest::prelude::*;
    use std::collections::HashMap;

    /// A raw batch of `rows` records: (topic, partition, offset), value bytes = row index.
    fn raw(rows: &[(&str, i32, i64)]) -> Batch {
        let mut b = RawBatchBuilder::with_capacity(rows.len(), 64);
        for (i, (t, p, o)) in rows.iter().enumerate() {
            let v = i.to_string();
            b.append(t, *p, *o, Some(*o), None, Some(v.as_bytes()), []);
        }
        b.finish().unwrap()
    }

    fn meta(schema: &str) -> HashMap<String, String> {
        HashMap::from([("test.schema".to_string(), schema.to_string())])
    }

    /// Segments of the given lengths; segment `i` is Int32 (even) or Utf8 (odd), each row's
    /// value its row index, each field tagged with its segment number.
    fn segments(name: &str, lens: &[usize]) -> Vec<Segment> {
        let mut start = 0;
        lens.iter()
            .enumerate()
            .map(|(i, &len)| {
                let rows = start..start + len;
                let (dt, array): (DataType, ArrayRef) = if i % 2 == 0 {
                    (
                        DataType::Int32,
                        Arc::new(Int32Array::from_iter_values(rows.map(|r| r as i32))),
                    )
                } else {
                    (
                        DataType::Utf8,
                        Arc::new(StringArray::from_iter_values(rows.map(|r| r.to_string()))),
                    )
                };
                let s = Segment {
                    start_row: start,
                    field: Field::new(name, dt, true).with_metadata(meta(&i.to_string())),
                    array,
                };
                start += len;
                s
            })
            .collect()
    }

    /// Row index held by a decoded column at `i` (Int32 or Utf8).
    fn row_of(col: &ArrayRef, i: usize) -> usize {
        match col.data_type() {
            DataType::Int32 => col.as_primitive::<Int32Type>().value(i) as usize,
            _ => col.as_string::<i32>().value(i).parse().unwrap(),
        }
    }

    fn ranges(p: &Provenance) -> Vec<(String, i32, i64, i64)> {
        match p {
            Provenance::Sink(r) => r
                .iter()
                .map(|(tp, r)| (tp.topic.clone(), tp.partition, r.first, r.last))
                .collect(),
            other => panic!("not a sink provenance: {other:?}"),
        }
    }

    #[test]
    fn pieces_keep_their_slice_of_the_original_payloads() {
        let mut batch = raw(&[("t", 0, 0), ("t", 0, 1), ("t", 0, 2), ("t", 0, 3)]);
        let value = batch.column(columns::VALUE).unwrap().clone();
        batch.original = Some(
            RecordBatch::try_new(
                Arc::new(arrow::datatypes::Schema::new(vec![Field::new(
                    columns::VALUE,
                    DataType::Binary,
                    true,
                )])),
                vec![value],
            )
            .unwrap(),
        );
        let pieces = split(&batch, &segments("key", &[4]), &segments("value", &[1, 3])).unwrap();
        let originals: Vec<Vec<&[u8]>> = pieces
            .iter()
            .map(|p| {
                let o = p.original.as_ref().expect("original kept");
                let v = o.column(0).as_binary::<i32>();
                (0..v.len()).map(|i| v.value(i)).collect()
            })
            .collect();
        assert_eq!(
            originals,
            vec![vec![b"0".as_slice()], vec![b"1".as_slice(), b"2", b"3"]]
        );
        let one = split(&batch, &segments("key", &[4]), &segments("value", &[4])).unwrap();
        assert_eq!(one[0].original.as_ref().unwrap().num_rows(), 4);
    }

    #[test]
    fn one_segment_each_is_one_piece_with_the_batch_provenance() {
        let batch = raw(&[("t", 0, 5), ("t", 0, 6), ("u", 1, 9)]);
        let pieces = split(&batch, &segments("k", &[3]), &segments("value", &[3])).unwrap();
        assert_eq!(pieces.len(), 1);
        let p = &pieces[0];
        assert_eq!(p.provenance, batch.provenance);
        assert_eq!(p.field(columns::KEY).unwrap().data_type(), &DataType::Int32);
        assert_eq!(
            p.field(columns::KEY).unwrap().metadata(),
            &meta("0"),
            "field metadata kept through the rename"
        );
        assert_eq!(p.records.num_columns(), batch.records.num_columns());
    }

    #[test]
    fn value_boundaries_split_with_provenance_per_piece() {
        let batch = raw(&[
            ("t", 0, 10),
            ("t", 0, 11),
            ("t", 0, 12),
            ("u", 2, 3),
            ("t", 0, 13),
        ]);
        let pieces = split(&batch, &segments("key", &[5]), &segments("value", &[2, 3])).unwrap();
        assert_eq!(pieces.len(), 2);
        assert_eq!(pieces[0].num_rows(), 2);
        assert_eq!(ranges(&pieces[0].provenance), vec![("t".into(), 0, 10, 11)]);
        assert_eq!(
            ranges(&pieces[1].provenance),
            vec![("t".into(), 0, 12, 13), ("u".into(), 2, 3, 3)]
        );
        assert_eq!(
            pieces[0].field(columns::VALUE).unwrap().data_type(),
            &DataType::Int32
        );
        assert_eq!(
            pieces[1].field(columns::VALUE).unwrap().data_type(),
            &DataType::Utf8
        );
        // Other columns are sliced along: the piece's offsets are its rows' offsets.
        let offsets = pieces[1]
            .column(columns::OFFSET)
            .unwrap()
            .as_primitive::<Int64Type>();
        assert_eq!(offsets.values(), &[12, 3, 13]);
        assert_eq!(pieces[1].topic_at(1), Some("u"));
    }

    #[test]
    fn key_boundaries_split_too() {
        let batch = raw(&[("t", 0, 0), ("t", 0, 1), ("t", 0, 2)]);
        let pieces = split(
            &batch,
            &segments("key", &[1, 1, 1]),
            &segments("value", &[3]),
        )
        .unwrap();
        assert_eq!(
            pieces.iter().map(Batch::num_rows).collect::<Vec<_>>(),
            vec![1, 1, 1]
        );
        for (i, p) in pieces.iter().enumerate() {
            assert_eq!(
                ranges(&p.provenance),
                vec![("t".into(), 0, i as i64, i as i64)]
            );
            assert_eq!(row_of(p.column(columns::KEY).unwrap(), 0), i);
            assert_eq!(row_of(p.column(columns::VALUE).unwrap(), 0), i);
            assert_eq!(
                p.field(columns::KEY).unwrap().metadata(),
                &meta(&i.to_string())
            );
        }
    }

    #[test]
    fn key_and_value_boundaries_are_united_in_order() {
        let batch = raw(&(0..6).map(|o| ("t", 0, o)).collect::<Vec<_>>());
        // Key changes at 2 and 4, value at 3 and 4: pieces [0,2) [2,3) [3,4) [4,6).
        let pieces = split(
            &batch,
            &segments("key", &[2, 2, 2]),
            &segments("value", &[3, 1, 2]),
        )
        .unwrap();
        let spans: Vec<(i64, i64)> = pieces
            .iter()
            .map(|p| {
                let r = ranges(&p.provenance);
                (r[0].2, r[0].3)
            })
            .collect();
        assert_eq!(spans, vec![(0, 1), (2, 2), (3, 3), (4, 5)]);
        let value_schemas: Vec<String> = pieces
            .iter()
            .map(|p| p.field(columns::VALUE).unwrap().metadata()["test.schema"].clone())
            .collect();
        assert_eq!(value_schemas, vec!["0", "0", "1", "2"]);
    }

    #[test]
    fn provenance_beyond_the_rows_stays_with_the_edge_pieces() {
        let mut batch = raw(&[("t", 0, 10), ("t", 0, 11), ("t", 0, 12)]);
        let mut whole = BTreeMap::new();
        whole.insert(
            TopicPartition::new("t", 0),
            OffsetRange { first: 8, last: 15 },
        );
        whole.insert(
            TopicPartition::new("gone", 0),
            OffsetRange { first: 1, last: 2 },
        );
        batch.provenance = Provenance::Sink(whole);
        let pieces = split(&batch, &segments("key", &[3]), &segments("value", &[1, 2])).unwrap();
        assert_eq!(ranges(&pieces[0].provenance), vec![("t".into(), 0, 8, 10)]);
        assert_eq!(
            ranges(&pieces[1].provenance),
            vec![("gone".into(), 0, 1, 2), ("t".into(), 0, 11, 15)]
        );
    }

    #[test]
    fn failed_rows_are_removed_per_piece_and_provenance_stays() {
        let batch = raw(&[("t", 0, 0), ("t", 0, 1), ("t", 0, 2), ("t", 0, 3)]);
        let pieces = split(&batch, &segments("key", &[4]), &segments("value", &[2, 2])).unwrap();
        let before: Vec<Provenance> = pieces.iter().map(|p| p.provenance.clone()).collect();
        let kept = keep_rows(pieces, &[false, false, true, false]).unwrap();
        assert_eq!(
            kept.iter().map(Batch::num_rows).collect::<Vec<_>>(),
            vec![0, 1]
        );
        assert_eq!(
            kept.iter()
                .map(|p| p.provenance.clone())
                .collect::<Vec<_>>(),
            before
        );
        assert_eq!(row_of(kept[1].column(columns::VALUE).unwrap(), 0), 2);
        let pieces = split(&batch, &segments("key", &[4]), &segments("value", &[4])).unwrap();
        assert!(keep_rows(pieces, &[true; 3]).is_err());
    }

    #[test]
    fn segments_that_do_not_cover_the_batch_are_a_bug() {
        let batch = raw(&[("t", 0, 0), ("t", 0, 1)]);
        let err = split(&batch, &segments("key", &[1]), &segments("value", &[2])).unwrap_err();
        assert_eq!(err.fault(), crate::error::Fault::Bug);
        assert!(split(&batch, &[], &segments("value", &[2])).is_err());
    }

    #[test]
    fn empty_batch_is_one_empty_piece() {
        let batch = raw(&[]);
        let pieces = split(&batch, &segments("key", &[0]), &segments("value", &[0])).unwrap();
        assert_eq!(pieces.len(), 1);
        assert_eq!(pieces[0].num_rows(), 0);
    }

    proptest! {
        /// Against a row-at-a-time reference: every row lands in exactly one piece, in order,
        /// with the key and value of its own segments, and each piece's provenance is exactly
        /// the offsets of its rows.
        #[test]
        fn split_matches_row_wise_reference(
            rows in proptest::collection::vec((0..2usize, 0..2i32), 1..40),
            key_cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
            value_cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
        ) {
            let n = rows.len();
            let mut next: BTreeMap<(usize, i32), i64> = BTreeMap::new();
            let records: Vec<(&str, i32, i64)> = rows
                .iter()
                .map(|&(t, p)| {
                    let o = next.entry((t, p)).or_insert(100);
                    *o += 1 + (*o % 3); // gaps between a partition's offsets
                    (["a", "b"][t], p, *o)
                })
                .collect();
            let batch = raw(&records);
            let lens = |cuts: &[prop::sample::Index]| {
                let mut at: Vec<usize> = cuts.iter().map(|c| c.index(n)).filter(|&c| c > 0).collect();
                at.push(n);
                at.sort_unstable();
                at.dedup();
                let mut prev = 0;
                at.into_iter().map(|c| { let l = c - prev; prev = c; l }).collect::<Vec<_>>()
            };
            let (key, value) = (segments("key", &lens(&key_cuts)), segments("value", &lens(&value_cuts)));
            let pieces = split(&batch, &key, &value).unwrap();
            let segment_of = |segs: &[Segment], row: usize| segs.iter().position(|s| s.start_row <= row && row < s.end_row()).unwrap();
            let mut row = 0;
            for piece in &pieces {
                prop_assert!(piece.num_rows() > 0);
                let (k0, v0) = (segment_of(&key, row), segment_of(&value, row));
                let mut want: BTreeMap<TopicPartition, OffsetRange> = BTreeMap::new();
                for i in 0..piece.num_rows() {
                    // One key and one value segment per piece, and the row is the next one.
                    prop_assert_eq!(segment_of(&key, row), k0);
                    prop_assert_eq!(segment_of(&value, row), v0);
                    prop_assert_eq!(row_of(piece.column(columns::KEY).unwrap(), i), row);
                    prop_assert_eq!(row_of(piece.column(columns::VALUE).unwrap(), i), row);
                    let (t, p, o) = records[row];
                    let r = want.entry(TopicPartition::new(t, p)).or_insert(OffsetRange { first: o, last: o });
                    r.last = o;
                    row += 1;
                }
                prop_assert_eq!(&piece.provenance, &Provenance::Sink(want));
            }
            prop_assert_eq!(row, n);
            // The pieces together commit what the whole batch commits.
            let mut commit = crate::batch::OffsetMap::new();
            for piece in &pieces {
                commit.extend(piece.provenance.commit_offsets());
            }
            prop_assert_eq!(commit, batch.provenance.commit_offsets());
        }
    }
}
