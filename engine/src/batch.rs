//! The unit of work: one Arrow `RecordBatch` plus its provenance.
//!
//! Columns carry the Connect record (see [`columns`]). `key` and `value` are either **raw**
//! (`Binary`, straight from the Kafka payload, not parsed) or **decoded** (a typed Arrow array
//! whose field metadata carries the Connect schema, see [`schema`](crate::schema)). Provenance
//! lives beside the columns, not in them: for a sink batch it is the offset range per
//! topic-partition the batch was read from, for a source batch the last source offset per source
//! partition. A transform that drops every row still leaves the provenance intact, so offsets
//! still advance.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::builder::NullBufferBuilder;
use arrow::array::{
    Array, ArrayRef, BinaryArray, DictionaryArray, Int32Array, Int64Array, ListArray, RecordBatch,
    StringArray, StructArray, TimestampMillisecondArray,
};
use arrow::buffer::{Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::{DataType, Field, Fields, Int32Type, Schema, SchemaRef, TimeUnit};

use crate::error::{Error, Result};

/// Column names of a Connect record batch. One place, so no stage spells them differently.
pub mod columns {
    /// Kafka topic; `Dictionary(Int32, Utf8)` on batches read from Kafka, `Utf8` or dictionary
    /// on source batches.
    pub const TOPIC: &str = "topic";
    /// Kafka partition, `Int32`, nullable on source batches (null = let the partitioner choose).
    pub const PARTITION: &str = "partition";
    /// Kafka offset, `Int64`; only on batches read from Kafka.
    pub const OFFSET: &str = "offset";
    /// Record timestamp, `Timestamp(Millisecond)`, nullable.
    pub const TIMESTAMP: &str = "timestamp";
    /// Record key: raw `Binary` or a decoded typed array.
    pub const KEY: &str = "key";
    /// Record value: raw `Binary` or a decoded typed array.
    pub const VALUE: &str = "value";
    /// Record headers: `List<Struct<key: Utf8, value: Binary>>`, serialized as in Kafka.
    ///
    /// A source batch may carry typed headers instead: a `Struct` with one child per header key
    /// (in header order, a null child value being a header with a null value), each typed with
    /// its Connect schema like `key` and `value`. The source driver serializes each child with
    /// the connector's `header.converter`, one column per header key, as Java's worker runs
    /// the header converter over a `SourceRecord`'s `ConnectHeaders`.
    pub const HEADERS: &str = "headers";
    /// Child names of a header struct.
    pub const HEADER_KEY: &str = "key";
    pub const HEADER_VALUE: &str = "value";
}

/// A Kafka topic-partition.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: i32,
}

impl TopicPartition {
    pub fn new(topic: impl Into<String>, partition: i32) -> Self {
        TopicPartition {
            topic: topic.into(),
            partition,
        }
    }
}

impl std::fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// Kafka offsets per topic-partition. In commit maps the value is the *next* offset to read,
/// as in Kafka's consumer-group commits.
pub type OffsetMap = BTreeMap<TopicPartition, i64>;

/// The range of Kafka offsets a sink batch was built from, for one topic-partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetRange {
    /// First offset in the batch (inclusive).
    pub first: i64,
    /// Last offset in the batch (inclusive).
    pub last: i64,
}

/// A source partition or source offset map as Kafka Connect stores it (JSON object).
pub type SourceMap = serde_json::Map<String, serde_json::Value>;

/// Where a batch came from: what becomes committable once the batch is durable.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Provenance {
    /// Built in memory (tests, benches); commits nothing.
    #[default]
    None,
    /// Read from Kafka: offset range per topic-partition.
    Sink(BTreeMap<TopicPartition, OffsetRange>),
    /// Produced by a source task: the last source offset per source partition, in poll order.
    Source(Vec<(SourceMap, SourceMap)>),
}

impl Provenance {
    /// The consumer-group commit (next offset to read) that covers this batch.
    pub fn commit_offsets(&self) -> OffsetMap {
        match self {
            Provenance::Sink(ranges) => ranges
                .iter()
                .map(|(tp, r)| (tp.clone(), r.last + 1))
                .collect(),
            _ => OffsetMap::new(),
        }
    }
}

/// One Arrow record batch plus its provenance.
#[derive(Debug, Clone)]
pub struct Batch {
    pub records: RecordBatch,
    pub provenance: Provenance,
    /// For a sink batch whose key and value were decoded: the record's original Kafka payloads
    /// (`key`, `value`, Binary), row-aligned with `records`. The dead letter queue writes these,
    /// as Java writes the original consumer record, whatever stage failed.
    pub original: Option<RecordBatch>,
}

impl Batch {
    pub fn new(records: RecordBatch, provenance: Provenance) -> Self {
        Batch {
            records,
            provenance,
            original: None,
        }
    }

    pub fn num_rows(&self) -> usize {
        self.records.num_rows()
    }

    /// A column by name.
    pub fn column(&self, name: &str) -> Option<&ArrayRef> {
        self.records.column_by_name(name)
    }

    /// The field of a column by name.
    pub fn field(&self, name: &str) -> Option<Arc<Field>> {
        self.records
            .schema()
            .field_with_name(name)
            .ok()
            .map(|f| Arc::new(f.clone()))
    }

    /// Replace (or add) a column, keeping every other column and the provenance.
    pub fn with_column(&self, field: Arc<Field>, array: ArrayRef) -> Result<Batch> {
        Ok(Batch {
            records: with_columns(&self.records, [(field, array)])?,
            provenance: self.provenance.clone(),
            original: self.original.clone(),
        })
    }

    /// Keep only rows where `mask` is true; provenance is unchanged, so offsets still advance
    /// past the dropped rows.
    pub fn filter(&self, mask: &arrow::array::BooleanArray) -> Result<Batch> {
        let records = filter_records(&self.records, mask)?;
        let original = match &self.original {
            Some(o) => Some(arrow::compute::filter_record_batch(o, mask)?),
            None => None,
        };
        Ok(Batch {
            records,
            provenance: self.provenance.clone(),
            original,
        })
    }

    /// The topic of row `i` (topic column may be Utf8 or a dictionary of Utf8).
    pub fn topic_at(&self, i: usize) -> Option<&str> {
        let col = self.column(columns::TOPIC)?;
        topic_at(col, i)
    }
}

/// `arrow::compute::filter_record_batch`, with list columns (the headers) filtered through
/// their flat children: Arrow's generic list filter copies entry by entry, which made the
/// headers most of the cost of a Filter transform.
fn filter_records(records: &RecordBatch, mask: &arrow::array::BooleanArray) -> Result<RecordBatch> {
    let predicate = arrow::compute::FilterBuilder::new(mask).optimize().build();
    let columns = records
        .columns()
        .iter()
        .map(|column| match column.as_any().downcast_ref::<ListArray>() {
            Some(list) if list.null_count() == 0 => filter_list(list, mask),
            _ => Ok(predicate.filter(column)?),
        })
        .collect::<Result<Vec<_>>>()?;
    let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(predicate.count()));
    Ok(RecordBatch::try_new_with_options(
        records.schema(),
        columns,
        &options,
    )?)
}

/// The rows of a list without nulls that `mask` keeps: one filter over the entries of the kept
/// rows, new offsets from their lengths.
fn filter_list(list: &ListArray, mask: &arrow::array::BooleanArray) -> Result<ArrayRef> {
    let offsets = list.value_offsets();
    let first = offsets[0] as usize;
    let entries = offsets[list.len()] as usize - first;
    let mask = match mask.nulls() {
        // A null in the mask drops the row, as Arrow's filter does.
        Some(nulls) => mask.values() & nulls.inner(),
        None => mask.values().clone(),
    };
    let mut keep_entries = arrow::array::BooleanBufferBuilder::new(entries);
    let mut kept_offsets: Vec<i32> = Vec::with_capacity(mask.count_set_bits() + 1);
    kept_offsets.push(0);
    // Kept rows come in runs; a run's entries are contiguous, so each run is one range of the
    // entry mask and its offsets shift by one amount.
    let mut covered = 0usize;
    // The last new offset written (the end of the kept entries so far).
    let mut kept_end = 0i32;
    let mask = arrow::array::BooleanArray::new(mask, None);
    for (start, end) in arrow::compute::SlicesIterator::new(&mask) {
        let (from, to) = (offsets[start], offsets[end]);
        keep_entries.append_n(from as usize - first - covered, false);
        keep_entries.append_n((to - from) as usize, true);
        covered = to as usize - first;
        let shift = from - kept_end;
        kept_offsets.extend(offsets[start + 1..=end].iter().map(|o| o - shift));
        kept_end = to - shift;
    }
    keep_entries.append_n(entries - covered, false);
    let values = list.values().slice(first, entries);
    let values = arrow::compute::filter(
        &values,
        &arrow::array::BooleanArray::new(keep_entries.finish(), None),
    )?;
    let field = match list.data_type() {
        DataType::List(field) => field.clone(),
        other => return Err(Error::bug(format!("list column typed {other}"))),
    };
    Ok(Arc::new(ListArray::try_new(
        field,
        OffsetBuffer::new(ScalarBuffer::from(kept_offsets)),
        values,
        None,
    )?))
}

/// `records` with columns replaced, by field name, or appended when the name is new; every other
/// column and the schema metadata are kept.
pub fn with_columns(
    records: &RecordBatch,
    columns: impl IntoIterator<Item = (Arc<Field>, ArrayRef)>,
) -> Result<RecordBatch> {
    let schema = records.schema();
    let mut fields: Vec<Arc<Field>> = schema.fields().iter().cloned().collect();
    let mut cols: Vec<ArrayRef> = records.columns().to_vec();
    for (field, array) in columns {
        match schema.index_of(field.name()) {
            Ok(i) => {
                fields[i] = field;
                cols[i] = array;
            }
            Err(_) => {
                fields.push(field);
                cols.push(array);
            }
        }
    }
    let schema = Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()));
    Ok(RecordBatch::try_new(schema, cols)?)
}

/// The topic string at row `i` of a topic column (Utf8 or `Dictionary(Int32, Utf8)`).
pub fn topic_at(col: &ArrayRef, i: usize) -> Option<&str> {
    TopicColumn::new(col)?.get(i)
}

/// A topic column resolved once (downcasts done), for per-row lookups on batch paths.
#[derive(Debug, Clone, Copy)]
pub enum TopicColumn<'a> {
    Plain(&'a StringArray),
    Dictionary {
        keys: &'a Int32Array,
        values: &'a StringArray,
    },
}

impl<'a> TopicColumn<'a> {
    /// `None` when the column is neither Utf8 nor a dictionary of Utf8.
    pub fn new(col: &'a ArrayRef) -> Option<Self> {
        if let Some(s) = col.as_any().downcast_ref::<StringArray>() {
            return Some(TopicColumn::Plain(s));
        }
        let dict = col.as_any().downcast_ref::<DictionaryArray<Int32Type>>()?;
        let values = dict.values().as_any().downcast_ref::<StringArray>()?;
        Some(TopicColumn::Dictionary {
            keys: dict.keys(),
            values,
        })
    }

    /// The topic of row `i`, `None` when null.
    pub fn get(&self, i: usize) -> Option<&'a str> {
        match self {
            TopicColumn::Plain(s) => (!s.is_null(i)).then(|| s.value(i)),
            TopicColumn::Dictionary { keys, values } => {
                (!keys.is_null(i)).then(|| values.value(keys.value(i) as usize))
            }
        }
    }
}

/// The headers of row `row` of a `headers` column, as (key, value) pairs; none for a null row.
pub fn header_entries(headers: &ListArray, row: usize) -> impl Iterator<Item = HeaderRef<'_>> + '_ {
    let entries = headers.values().as_any().downcast_ref::<StructArray>();
    let keys = entries.and_then(|s| s.column(0).as_any().downcast_ref::<StringArray>());
    let values = entries.and_then(|s| s.column(1).as_any().downcast_ref::<BinaryArray>());
    let offsets = headers.value_offsets();
    let range = if headers.is_null(row) {
        0..0
    } else {
        offsets[row] as usize..offsets[row + 1] as usize
    };
    range.filter_map(move |j| {
        let (keys, values) = (keys?, values?);
        Some((keys.value(j), (!values.is_null(j)).then(|| values.value(j))))
    })
}

/// Arrow type of the `headers` column.
pub fn headers_type() -> DataType {
    DataType::List(header_item())
}

/// The item field of the `headers` list: one key/value struct per header.
fn header_item() -> Arc<Field> {
    Arc::new(Field::new("item", DataType::Struct(header_fields()), true))
}

fn header_fields() -> Fields {
    Fields::from(vec![
        Field::new(columns::HEADER_KEY, DataType::Utf8, false),
        Field::new(columns::HEADER_VALUE, DataType::Binary, true),
    ])
}

/// Schema of a raw batch as read from Kafka: every column, key and value as raw bytes.
pub fn raw_kafka_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new(
            columns::TOPIC,
            DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
            false,
        ),
        Field::new(columns::PARTITION, DataType::Int32, false),
        Field::new(columns::OFFSET, DataType::Int64, false),
        Field::new(
            columns::TIMESTAMP,
            DataType::Timestamp(TimeUnit::Millisecond, None),
            true,
        ),
        Field::new(columns::KEY, DataType::Binary, true),
        Field::new(columns::VALUE, DataType::Binary, true),
        Field::new(columns::HEADERS, headers_type(), true),
    ]))
}

/// A Binary (or Utf8) column under construction, kept as plain vectors: finishing hands the
/// vectors to Arrow without a copy, and the next batch starts with the capacity the last one
/// needed instead of regrowing from zero (Arrow's builders restart empty after `finish`).
#[derive(Debug)]
struct BytesColumn {
    offsets: Vec<i32>,
    data: Vec<u8>,
    nulls: NullBufferBuilder,
}

impl BytesColumn {
    fn with_capacity(rows: usize, bytes: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        BytesColumn {
            offsets,
            data: Vec::with_capacity(bytes),
            nulls: NullBufferBuilder::new(rows),
        }
    }

    fn append(&mut self, value: Option<&[u8]>) {
        match value {
            Some(v) => {
                self.data.extend_from_slice(v);
                self.nulls.append_non_null();
            }
            None => self.nulls.append_null(),
        }
        // The sink driver cuts batches at a few MiB; 2 GiB would be a bug, as in Arrow's builder.
        self.offsets
            .push(i32::try_from(self.data.len()).expect("raw batch column exceeds 2 GiB"));
    }

    /// The column's buffers; the builder restarts empty with the same capacity.
    fn take(&mut self) -> (OffsetBuffer<i32>, Buffer, Option<NullBuffer>) {
        let mut fresh = Vec::with_capacity(self.offsets.capacity());
        fresh.push(0);
        let offsets = OffsetBuffer::new(ScalarBuffer::from(std::mem::replace(
            &mut self.offsets,
            fresh,
        )));
        let data = take_keeping_capacity(&mut self.data);
        (offsets, Buffer::from_vec(data), self.nulls.finish())
    }

    fn finish_binary(&mut self) -> BinaryArray {
        let (offsets, data, nulls) = self.take();
        BinaryArray::new(offsets, data, nulls)
    }
}

/// Builds a `headers` column (`List<Struct<key, value>>`, see [`columns::HEADERS`]) row by row:
/// the consumer's raw batches, and stages that rewrite headers, assemble it here.
#[derive(Debug)]
pub struct HeaderListBuilder {
    /// Per row, the end of its entries in `keys` / `values`.
    offsets: Vec<i32>,
    keys: BytesColumn,
    values: BytesColumn,
}

impl HeaderListBuilder {
    /// Room for `rows` rows and `entries` headers in all.
    pub fn with_capacity(rows: usize, entries: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        HeaderListBuilder {
            offsets,
            keys: BytesColumn::with_capacity(entries, entries * 8),
            values: BytesColumn::with_capacity(entries, entries * 16),
        }
    }

    /// Add a header to the current row.
    pub fn push(&mut self, key: &str, value: Option<&[u8]>) {
        self.keys.append(Some(key.as_bytes()));
        self.values.append(value);
    }

    /// End the current row (a row without headers has an empty list, like Connect's empty
    /// `Headers`).
    pub fn end_row(&mut self) {
        self.offsets
            .push(i32::try_from(self.keys.offsets.len() - 1).expect("headers exceed 2^31"));
    }

    /// The column and its field (named `headers`); the builder restarts empty.
    pub fn finish(&mut self) -> Result<(Arc<Field>, ArrayRef)> {
        let bug = |e: arrow::error::ArrowError| Error::bug(format!("headers assembly: {e}"));
        let (key_offsets, key_data, _) = self.keys.take();
        let entries = StructArray::try_new(
            header_fields(),
            vec![
                Arc::new(StringArray::try_new(key_offsets, key_data, None).map_err(bug)?),
                Arc::new(self.values.finish_binary()),
            ],
            None,
        )
        .map_err(bug)?;
        let mut fresh = Vec::with_capacity(self.offsets.capacity());
        fresh.push(0);
        let list = ListArray::try_new(
            header_item(),
            OffsetBuffer::new(ScalarBuffer::from(std::mem::replace(
                &mut self.offsets,
                fresh,
            ))),
            Arc::new(entries),
            None,
        )
        .map_err(bug)?;
        Ok((
            Arc::new(Field::new(columns::HEADERS, headers_type(), true)),
            Arc::new(list),
        ))
    }
}

/// A vector that restarts with the same capacity when taken.
fn take_keeping_capacity<T>(v: &mut Vec<T>) -> Vec<T> {
    std::mem::replace(v, Vec::with_capacity(v.capacity()))
}

/// Appends Kafka records one at a time into the columns of a raw batch. This is the one place
/// where records enter the columnar world; payload bytes are copied once into Arrow buffers.
///
/// It runs once per consumed message on the consumer thread, so it avoids per-record work that
/// is not copying bytes: the topic is looked up in the batch's small dictionary by comparing
/// with the previous record's first, offset ranges are found the same way (no `TopicPartition`,
/// hence no `String`, per record), and headers go into plain vectors rather than through
/// Arrow's dynamically typed struct builder.
pub struct RawBatchBuilder {
    /// Topics of this batch (dictionary values) and each row's index into them.
    topics: Vec<String>,
    topic_keys: Vec<i32>,
    partition: Vec<i32>,
    offset: Vec<i64>,
    timestamp: Vec<i64>,
    timestamp_nulls: NullBufferBuilder,
    key: BytesColumn,
    value: BytesColumn,
    headers: HeaderListBuilder,
    /// Offset range per (topic index, partition), in first-seen order; `last_range` is the
    /// index of the previous record's entry.
    ranges: Vec<(i32, i32, OffsetRange)>,
    last_range: usize,
    bytes: usize,
    schema: SchemaRef,
}

impl std::fmt::Debug for RawBatchBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RawBatchBuilder({} rows)", self.offset.len())
    }
}

/// One Kafka header as borrowed from the consumer.
pub type HeaderRef<'a> = (&'a str, Option<&'a [u8]>);

impl RawBatchBuilder {
    pub fn with_capacity(rows: usize, payload_bytes: usize) -> Self {
        RawBatchBuilder {
            topics: Vec::new(),
            topic_keys: Vec::with_capacity(rows),
            partition: Vec::with_capacity(rows),
            offset: Vec::with_capacity(rows),
            timestamp: Vec::with_capacity(rows),
            timestamp_nulls: NullBufferBuilder::new(rows),
            key: BytesColumn::with_capacity(rows, payload_bytes / 8),
            value: BytesColumn::with_capacity(rows, payload_bytes),
            headers: HeaderListBuilder::with_capacity(rows, 0),
            ranges: Vec::new(),
            last_range: 0,
            bytes: 0,
            schema: raw_kafka_schema(),
        }
    }

    pub fn len(&self) -> usize {
        self.offset.len()
    }

    pub fn is_empty(&self) -> bool {
        self.offset.is_empty()
    }

    /// Payload bytes appended so far (keys + values).
    pub fn payload_bytes(&self) -> usize {
        self.bytes
    }

    /// Index of `topic` in this batch's dictionary, added when new.
    fn topic_key(&mut self, topic: &str) -> i32 {
        let hit = match self.topic_keys.last() {
            Some(&k) if self.topics[k as usize] == topic => Some(k),
            _ => self
                .topics
                .iter()
                .position(|t| t == topic)
                .map(|i| i as i32),
        };
        hit.unwrap_or_else(|| {
            self.topics.push(topic.to_string());
            (self.topics.len() - 1) as i32
        })
    }

    #[allow(clippy::too_many_arguments)]
    pub fn append<'a>(
        &mut self,
        topic: &str,
        partition: i32,
        offset: i64,
        timestamp: Option<i64>,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: impl IntoIterator<Item = HeaderRef<'a>>,
    ) {
        let topic = self.topic_key(topic);
        self.topic_keys.push(topic);
        self.partition.push(partition);
        self.offset.push(offset);
        match timestamp {
            Some(t) => {
                self.timestamp.push(t);
                self.timestamp_nulls.append_non_null();
            }
            None => {
                self.timestamp.push(0);
                self.timestamp_nulls.append_null();
            }
        }
        self.key.append(key);
        self.value.append(value);
        self.bytes += key.map_or(0, <[u8]>::len) + value.map_or(0, <[u8]>::len);
        // A record without headers gets an empty list (not null), like Connect's empty Headers.
        for (k, v) in headers {
            self.headers.push(k, v);
        }
        self.headers.end_row();
        // Ranges are tracked per partition; Kafka hands out offsets in order within one.
        let same = |r: &(i32, i32, OffsetRange)| r.0 == topic && r.1 == partition;
        let at = match self.ranges.get(self.last_range) {
            Some(r) if same(r) => Some(self.last_range),
            _ => self.ranges.iter().position(same),
        };
        match at {
            Some(i) => {
                let r = &mut self.ranges[i].2;
                r.last = r.last.max(offset);
                self.last_range = i;
            }
            None => {
                self.ranges.push((
                    topic,
                    partition,
                    OffsetRange {
                        first: offset,
                        last: offset,
                    },
                ));
                self.last_range = self.ranges.len() - 1;
            }
        }
    }

    /// Finish into a batch and reset the builder for reuse.
    pub fn finish(&mut self) -> Result<Batch> {
        let bug = |e: arrow::error::ArrowError| Error::bug(format!("raw batch assembly: {e}"));
        let topic: ArrayRef = Arc::new(
            DictionaryArray::<Int32Type>::try_new(
                Int32Array::from(take_keeping_capacity(&mut self.topic_keys)),
                Arc::new(StringArray::from_iter_values(&self.topics)),
            )
            .map_err(bug)?,
        );
        let partition: ArrayRef =
            Arc::new(Int32Array::from(take_keeping_capacity(&mut self.partition)));
        let offset: ArrayRef = Arc::new(Int64Array::from(take_keeping_capacity(&mut self.offset)));
        let timestamp: ArrayRef = Arc::new(TimestampMillisecondArray::new(
            ScalarBuffer::from(take_keeping_capacity(&mut self.timestamp)),
            self.timestamp_nulls.finish(),
        ));
        let key: ArrayRef = Arc::new(self.key.finish_binary());
        let value: ArrayRef = Arc::new(self.value.finish_binary());
        let (_, headers) = self.headers.finish()?;
        let records = RecordBatch::try_new(
            self.schema.clone(),
            vec![topic, partition, offset, timestamp, key, value, headers],
        )
        .map_err(bug)?;
        let ranges = self
            .ranges
            .drain(..)
            .map(|(topic, partition, range)| {
                (
                    TopicPartition::new(self.topics[topic as usize].clone(), partition),
                    range,
                )
            })
            .collect();
        self.topics.clear();
        self.last_range = 0;
        self.bytes = 0;
        Ok(Batch::new(records, Provenance::Sink(ranges)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filtering_lists_keeps_each_kept_rows_entries() {
        use arrow::array::BooleanArray;
        let mut b = HeaderListBuilder::with_capacity(6, 8);
        let rows: [&[&str]; 6] = [&["a"], &[], &["b", "c"], &["d"], &["e", "f", "g"], &[]];
        for row in rows {
            for k in row {
                b.push(k, Some(k.as_bytes()));
            }
            b.end_row();
        }
        let (_, list) = b.finish().unwrap();
        let list = list.as_any().downcast_ref::<ListArray>().unwrap().clone();
        for keep in [
            vec![true, false, true, false, true, true],
            vec![false, true, false, true, false, false],
            vec![true; 6],
            vec![false; 6],
        ] {
            let mask = BooleanArray::from(keep.clone());
            for sliced in [list.clone(), list.slice(0, 6)] {
                let got = filter_list(&sliced, &mask).unwrap();
                let want = arrow::compute::filter(&sliced, &mask).unwrap();
                assert_eq!(got.to_data(), want.to_data(), "{keep:?}");
            }
            // A slice that does not start at entry 0.
            let tail = list.slice(2, 4);
            let mask = BooleanArray::from(keep[..4].to_vec());
            let got = filter_list(&tail, &mask).unwrap();
            let want = arrow::compute::filter(&tail, &mask).unwrap();
            assert_eq!(
                got.as_any().downcast_ref::<ListArray>().unwrap(),
                want.as_any().downcast_ref::<ListArray>().unwrap(),
                "{keep:?}"
            );
        }
    }
    use arrow::array::BooleanArray;

    fn sample() -> Batch {
        sample_into(&mut RawBatchBuilder::with_capacity(4, 64))
    }

    fn sample_into(b: &mut RawBatchBuilder) -> Batch {
        b.append(
            "t",
            0,
            10,
            Some(1),
            None,
            Some(b"a"),
            [("h", Some(&b"1"[..]))],
        );
        b.append("t", 0, 11, None, Some(b"k"), Some(b"bb"), []);
        b.append("u", 3, 7, Some(3), None, None, []);
        b.finish().unwrap()
    }

    #[test]
    fn raw_builder_records_columns_and_provenance() {
        let batch = sample();
        assert_eq!(batch.num_rows(), 3);
        assert_eq!(batch.topic_at(2), Some("u"));
        let value = batch
            .column(columns::VALUE)
            .unwrap()
            .as_any()
            .downcast_ref::<BinaryArray>()
            .unwrap();
        assert_eq!(value.value(1), b"bb");
        assert!(value.is_null(2));
        let headers = batch
            .column(columns::HEADERS)
            .unwrap()
            .as_any()
            .downcast_ref::<ListArray>()
            .unwrap();
        assert_eq!(headers.value_length(0), 1);
        assert_eq!(headers.value_length(1), 0);
        let commit = batch.provenance.commit_offsets();
        assert_eq!(commit[&TopicPartition::new("t", 0)], 12);
        assert_eq!(commit[&TopicPartition::new("u", 3)], 8);
    }

    #[test]
    fn raw_builder_starts_clean_after_finish_and_interleaves_partitions() {
        let mut b = RawBatchBuilder::with_capacity(2, 8);
        let _ = sample_into(&mut b);
        // Second batch from the same builder: topics interleave, one header has a null value,
        // one timestamp is missing; nothing of the first batch may leak into it.
        b.append("u", 1, 5, None, None, Some(b"x"), [("k", None)]);
        b.append("v", 0, 9, Some(7), Some(b"kk"), None, []);
        b.append(
            "u",
            1,
            6,
            Some(8),
            None,
            Some(b"yz"),
            [("a", Some(&b"1"[..])), ("b", None)],
        );
        assert_eq!((b.len(), b.payload_bytes()), (3, 5));
        let batch = b.finish().unwrap();
        assert!(b.is_empty() && b.payload_bytes() == 0);
        assert_eq!(batch.num_rows(), 3);
        let topics: Vec<_> = (0..3).map(|i| batch.topic_at(i).unwrap()).collect();
        assert_eq!(topics, ["u", "v", "u"]);
        let ts = batch.column(columns::TIMESTAMP).unwrap();
        assert!(ts.is_null(0) && ts.is_valid(1));
        let value = batch.column(columns::VALUE).unwrap().as_any();
        let value = value.downcast_ref::<BinaryArray>().unwrap();
        assert_eq!(
            (value.value(0), value.is_null(1), value.value(2)),
            (&b"x"[..], true, &b"yz"[..])
        );
        let headers = batch.column(columns::HEADERS).unwrap().as_any();
        let headers = headers.downcast_ref::<ListArray>().unwrap();
        let rows: Vec<Vec<_>> = (0..3)
            .map(|r| header_entries(headers, r).collect())
            .collect();
        assert_eq!(rows[0], [("k", None)]);
        assert!(rows[1].is_empty());
        assert_eq!(rows[2], [("a", Some(&b"1"[..])), ("b", None)]);
        let Provenance::Sink(ranges) = &batch.provenance else {
            panic!("not a sink batch")
        };
        assert_eq!(ranges.len(), 2);
        assert_eq!(
            ranges[&TopicPartition::new("u", 1)],
            OffsetRange { first: 5, last: 6 }
        );
        assert_eq!(
            ranges[&TopicPartition::new("v", 0)],
            OffsetRange { first: 9, last: 9 }
        );
    }

    #[test]
    fn filter_keeps_provenance_even_when_all_rows_drop() {
        let batch = sample();
        let none = batch
            .filter(&BooleanArray::from(vec![false, false, false]))
            .unwrap();
        assert_eq!(none.num_rows(), 0);
        assert_eq!(
            none.provenance.commit_offsets(),
            batch.provenance.commit_offsets()
        );
    }

    #[test]
    fn with_column_replaces_in_place() {
        let batch = sample();
        let v: ArrayRef = Arc::new(StringArray::from(vec![Some("x"), None, Some("z")]));
        let out = batch
            .with_column(
                Arc::new(Field::new(columns::VALUE, DataType::Utf8, true)),
                v,
            )
            .unwrap();
        assert_eq!(out.records.num_columns(), batch.records.num_columns());
        assert_eq!(
            out.field(columns::VALUE).unwrap().data_type(),
            &DataType::Utf8
        );
    }
}
