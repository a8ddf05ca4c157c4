//! Confluent's `TopicPartitionWriter`, over whole batches: one writer per assigned Kafka
//! partition decides, record by record, which open file a record goes to and when every open file
//! of the partition is committed; the records themselves go to the file writers a run at a time
//! (an Arrow `take` or slice per file), never one by one.
//!
//! Per record, in Confluent's order: the extractor's timestamp (the first record after a commit
//! sets the base timestamp); the encoded partition (a failure is reported to the DLQ or fails
//! the task); then, each committing **all** open files of the Kafka partition before the record
//! is written: a tombstone ↔ non-tombstone switch in that encoded partition; time
//! (`rotate.interval.ms` against the base timestamp, or a change of encoded partition with
//! `rotate.file.on.partition.change`; `rotate.schedule.interval.ms` against the wall clock);
//! a schema change in that encoded partition. After the record: `flush.size` counts records
//! across every open file of the Kafka partition.
//!
//! Commit: every open object is completed (a single PUT when it never filled an upload part,
//! else the multipart upload's completion), then the partition's commit offset becomes the last
//! written offset + 1. Objects become visible only on completion, and offsets are committed only
//! after every object holding their records is complete, so after a crash the records are read
//! again and, with a deterministic partitioner and data-driven rotation, the same objects are
//! written again under the same names with the same content.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use arrow::array::{Array, ArrayRef, Int64Array, UInt32Array};
use arrow::datatypes::Field;
use bytes::Bytes;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt as _, WriteMultipart};

use strait_engine::batch::{columns, Batch, TopicPartition};
use strait_engine::error::Fault;
use strait_engine::memory::{BudgetShare, BufferBudget};
use strait_engine::plugin::RowError;
use strait_engine::{Error, Result};
use strait_formats::storage::{self, FileWriter, FormatSettings, SchemaChange, View};

pub use super::config::NullValueBehavior as NullValues;
use super::joda::Zone;
use super::partitioner::{Partitioned, Partitioner};

/// The settings a partition writer needs, taken from the connector config once.
#[derive(Debug, Clone)]
pub struct WriterSettings {
    pub topics_dir: String,
    pub directory_delim: String,
    pub file_delim: String,
    pub zero_pad_width: usize,
    pub flush_size: u64,
    pub rotate_interval_ms: i64,
    pub rotate_schedule_interval_ms: i64,
    /// Zone whose midnight aligns scheduled rotation (`timezone`; UTC when unset).
    pub schedule_timezone: Zone,
    pub rotate_file_on_partition_change: bool,
    pub null_values: NullValues,
    pub report_null_values_to_dlq: bool,
    pub tombstone_encoded_partition: String,
    pub value_format: FormatSettings,
    /// `store.kafka.keys`: the keys' format.
    pub keys_format: Option<FormatSettings>,
    /// `store.kafka.headers`: the headers' format.
    pub headers_format: Option<FormatSettings>,
    /// `s3.part.size`.
    pub part_size: usize,
}

/// Extensions of the three objects of a file: value, `.keys`, `.headers`.
#[derive(Debug, Clone)]
pub struct Extensions {
    pub value: String,
    pub keys: String,
    pub headers: String,
}

impl WriterSettings {
    pub fn extensions(&self) -> Result<Extensions> {
        let sidecar = |format: &Option<FormatSettings>, view: View| -> Result<String> {
            match format {
                Some(f) => storage::sidecar_extension(f, view),
                None => Ok(String::new()),
            }
        };
        Ok(Extensions {
            value: storage::extension(&self.value_format)?,
            keys: sidecar(&self.keys_format, View::Keys)?,
            headers: sidecar(&self.headers_format, View::Headers)?,
        })
    }

    /// Java's `fileKeyToCommit`: `[topics.dir/]<partitioned path>/<topic>+<partition>+<offset><ext>`.
    pub fn object_key(
        &self,
        partitioned_path: &str,
        tp: &TopicPartition,
        start_offset: i64,
        extension: &str,
    ) -> String {
        let name = format!(
            "{}{}{}{}{:0width$}{}",
            tp.topic,
            self.file_delim,
            tp.partition,
            self.file_delim,
            start_offset,
            extension,
            width = self.zero_pad_width
        );
        let suffix = format!("{partitioned_path}{}{name}", self.directory_delim);
        if self.topics_dir.trim().is_empty() {
            suffix
        } else {
            format!("{}{}{suffix}", self.topics_dir, self.directory_delim)
        }
    }

    /// Java's `DateTimeUtils.getNextTimeAdjustedByDay`: the next multiple of the interval
    /// counted from midnight of the zone, never past the next midnight.
    fn next_scheduled_rotation(&self, now_ms: i64) -> i64 {
        const DAY_MS: i64 = 86_400_000;
        let interval = self.rotate_schedule_interval_ms;
        let zone = &self.schedule_timezone;
        let midnights = zone.utc_to_local(now_ms).and_then(|local| {
            let local_midnight = local.div_euclid(DAY_MS) * DAY_MS;
            Ok((
                zone.local_to_utc(local_midnight)?,
                zone.local_to_utc(local_midnight + DAY_MS)?,
            ))
        });
        match midnights {
            Ok((midnight, next_midnight)) => {
                let next = midnight + ((now_ms - midnight) / interval + 1) * interval;
                next.min(next_midnight)
            }
            Err(_) => now_ms + interval,
        }
    }
}

/// One object being written: its file writer, its upload, its share of the memory budget.
struct ObjectSink {
    path: Path,
    writer: Box<dyn FileWriter>,
    /// Encoded bytes not yet handed to an upload part.
    pending: Vec<u8>,
    upload: Option<WriteMultipart>,
    /// Bytes handed to the multipart upload and not yet a whole part (held by it).
    in_part: usize,
    share: BudgetShare,
}

impl ObjectSink {
    fn new(path: Path, writer: Box<dyn FileWriter>) -> Self {
        ObjectSink {
            path,
            writer,
            pending: Vec::new(),
            upload: None,
            in_part: 0,
            share: BufferBudget::worker().share(),
        }
    }

    fn held(&self) -> usize {
        self.writer.buffered_bytes() + self.pending.len() + self.in_part
    }

    async fn write(
        &mut self,
        store: &Arc<dyn ObjectStore>,
        part_size: usize,
        values: &ArrayRef,
        field: &Field,
    ) -> Result<Vec<RowError>> {
        let errors = self.writer.write(values, field)?;
        append(&mut self.pending, self.writer.take_encoded());
        if self.pending.len() >= part_size {
            if self.upload.is_none() {
                let upload = store
                    .put_multipart(&self.path)
                    .await
                    .map_err(|e| store_error("start the multipart upload of", &self.path, e))?;
                self.upload = Some(WriteMultipart::new_with_chunk_size(upload, part_size));
            }
            if let Some(upload) = self.upload.as_mut() {
                let bytes = std::mem::take(&mut self.pending);
                self.in_part = (self.in_part + bytes.len()) % part_size;
                upload.put(Bytes::from(bytes));
                // Two parts in flight at most per object: enough to overlap encoding and
                // upload, bounded so memory is.
                upload
                    .wait_for_capacity(2)
                    .await
                    .map_err(|e| store_error("upload a part of", &self.path, e))?;
            }
        }
        self.share.set(self.held());
        Ok(errors)
    }

    /// Completes the object: only now does it become visible.
    async fn commit(self, store: Arc<dyn ObjectStore>) -> Result<()> {
        let ObjectSink {
            path,
            writer,
            mut pending,
            upload,
            ..
        } = self;
        append(&mut pending, writer.finish()?);
        match upload {
            None => {
                store
                    .put(&path, Bytes::from(pending).into())
                    .await
                    .map_err(|e| store_error("write", &path, e))?;
            }
            Some(mut upload) => {
                upload.put(Bytes::from(pending));
                upload
                    .finish()
                    .await
                    .map_err(|e| store_error("complete the multipart upload of", &path, e))?;
            }
        }
        tracing::debug!(object = %path, "committed object");
        Ok(())
    }

    async fn abort(self) {
        if let Some(upload) = self.upload {
            if let Err(e) = upload.abort().await {
                tracing::warn!(object = %self.path, error = %e, "could not abort a multipart upload; its parts stay until the bucket's lifecycle rules remove them");
            }
        }
    }
}

/// `bytes` after `pending`, without a copy when nothing is pending (the usual case: a file
/// smaller than a part is encoded whole at its close).
fn append(pending: &mut Vec<u8>, bytes: Vec<u8>) {
    if pending.is_empty() {
        *pending = bytes;
    } else {
        pending.extend_from_slice(&bytes);
    }
}

/// An object store failure: missing buckets and refused credentials need the user; anything
/// else (network, throttling, 5xx after the client's own retries) may pass.
pub fn store_error(what: &str, path: &Path, e: object_store::Error) -> Error {
    use object_store::Error as E;
    let message = format!("Failed to {what} s3 object {path}: {e}");
    match e {
        E::NotFound { .. } => Error::config(message),
        E::PermissionDenied { .. } | E::Unauthenticated { .. } => Error::config(message),
        E::NotSupported { .. } | E::NotImplemented { .. } => Error::unsupported(message),
        _ => Error::external(message, true),
    }
}

/// One open file of a Kafka partition: the objects of one encoded partition since the last
/// commit.
struct OpenFile {
    encoded: String,
    start_offset: i64,
    /// Whether this file holds tombstones only (no value object).
    tombstone: bool,
    /// Whether its records have no value schema (Java's `currentSchemas` null entry).
    null_schema: bool,
    value_field: Option<Field>,
    key_field: Option<Field>,
    value: Option<ObjectSink>,
    keys: Option<ObjectSink>,
    headers: Option<ObjectSink>,
    /// Rows of the current batch waiting to be written, in order.
    run: Vec<u32>,
    /// Records written (not counting `run`).
    written: u64,
}

impl OpenFile {
    fn held(&self) -> usize {
        [&self.value, &self.keys, &self.headers]
            .into_iter()
            .flatten()
            .map(ObjectSink::held)
            .sum()
    }

    fn sinks(self) -> impl Iterator<Item = ObjectSink> {
        [self.value, self.keys, self.headers].into_iter().flatten()
    }
}

/// The columns of the batch being written, shared by every partition writer.
pub struct BatchView<'a> {
    pub batch: &'a Batch,
    pub offsets: &'a Int64Array,
    pub value: &'a ArrayRef,
    pub value_field: &'a Field,
    pub key: Option<(&'a ArrayRef, &'a Field)>,
    pub headers: Option<&'a ArrayRef>,
    pub partitioned: &'a Partitioned,
}

impl<'a> BatchView<'a> {
    pub fn new(batch: &'a Batch, partitioned: &'a Partitioned) -> Result<Self> {
        let column = |name: &str| {
            batch
                .column(name)
                .ok_or_else(|| Error::bug(format!("S3 sink: batch has no {name} column")))
        };
        let offsets = column(columns::OFFSET)?
            .as_any()
            .downcast_ref::<Int64Array>()
            .ok_or_else(|| Error::bug("S3 sink: the offset column is not Int64"))?;
        let value_field = batch
            .records
            .schema_ref()
            .field_with_name(columns::VALUE)
            .map_err(|_| Error::bug("S3 sink: batch has no value column"))?;
        let key = batch.column(columns::KEY).and_then(|k| {
            let field = batch
                .records
                .schema_ref()
                .field_with_name(columns::KEY)
                .ok()?;
            Some((k, field))
        });
        Ok(BatchView {
            batch,
            offsets,
            value: column(columns::VALUE)?,
            value_field,
            key,
            headers: batch.column(columns::HEADERS),
            partitioned,
        })
    }
}

/// The file the previous row of a batch went to, as [`TopicPartitionWriter::write`] knows it.
struct Streak {
    encoded: String,
    /// The row's encoded partition in the batch's `Partitioned` (None for a tombstone).
    index: Option<u32>,
    tombstone: bool,
}

impl Streak {
    fn continues(&self, index: Option<u32>, tombstone: bool) -> bool {
        self.tombstone == tombstone && (tombstone || (index.is_some() && self.index == index))
    }
}

/// What a partition writer hands back from a batch: rows to report as errant.
#[derive(Debug, Default)]
pub struct Outcome {
    pub errant: Vec<RowError>,
}

/// Confluent's `TopicPartitionWriter` for one Kafka partition.
pub struct TopicPartitionWriter {
    tp: TopicPartition,
    settings: Arc<WriterSettings>,
    extensions: Arc<Extensions>,
    store: Arc<dyn ObjectStore>,
    partitioner: Arc<dyn Partitioner>,
    files: HashMap<String, OpenFile>,
    record_count: u64,
    base_record_timestamp: Option<i64>,
    current_timestamp: Option<i64>,
    current_encoded: Option<String>,
    current_offset: i64,
    offset_to_commit: Option<i64>,
    next_scheduled_rotation: i64,
    /// After a store failure: the time before which this partition's records are not written
    /// (they are read again from the rewound offset).
    pub retry_after: Option<Instant>,
}

impl std::fmt::Debug for TopicPartitionWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TopicPartitionWriter({})", self.tp)
    }
}

impl TopicPartitionWriter {
    pub fn new(
        tp: TopicPartition,
        settings: Arc<WriterSettings>,
        extensions: Arc<Extensions>,
        store: Arc<dyn ObjectStore>,
        partitioner: Arc<dyn Partitioner>,
        now_ms: i64,
    ) -> Self {
        let next_scheduled_rotation = if settings.rotate_schedule_interval_ms > 0 {
            settings.next_scheduled_rotation(now_ms)
        } else {
            i64::MAX
        };
        TopicPartitionWriter {
            tp,
            settings,
            extensions,
            store,
            partitioner,
            files: HashMap::new(),
            record_count: 0,
            base_record_timestamp: None,
            current_timestamp: None,
            current_encoded: None,
            current_offset: -1,
            offset_to_commit: None,
            next_scheduled_rotation,
            retry_after: None,
        }
    }

    /// Records in open files (not yet durable).
    pub fn record_count(&self) -> u64 {
        self.record_count
    }

    /// Memory held by this partition's open files.
    pub fn held(&self) -> usize {
        self.files.values().map(OpenFile::held).sum()
    }

    /// The smallest start offset of the open files: where to read again after losing them.
    pub fn min_start_offset(&self) -> Option<i64> {
        self.files.values().map(|f| f.start_offset).min()
    }

    /// Java's `getOffsetToCommitAndReset`.
    pub fn take_offset_to_commit(&mut self) -> Option<i64> {
        self.offset_to_commit.take()
    }

    fn rotate_on_time(&self, encoded: &str, timestamp: Option<i64>, now_ms: i64) -> bool {
        if self.record_count == 0 {
            return false;
        }
        let s = &self.settings;
        let time_based = self.partitioner.is_time_based();
        let interval_passed = match (self.base_record_timestamp, timestamp) {
            (Some(base), Some(ts)) => ts - base >= s.rotate_interval_ms,
            _ => false,
        };
        let periodic = s.rotate_interval_ms > 0
            && time_based
            && (interval_passed || self.rotate_on_partition_change(encoded));
        let scheduled = s.rotate_schedule_interval_ms > 0 && now_ms >= self.next_scheduled_rotation;
        periodic || scheduled
    }

    /// Java's `shouldRotateOnPartitionChangeWithTombstoneCheck`.
    fn rotate_on_partition_change(&self, encoded: &str) -> bool {
        let s = &self.settings;
        let Some(current) = self.current_encoded.as_deref() else {
            return s.rotate_file_on_partition_change;
        };
        let tombstone_transition = s.null_values == NullValues::Write
            && (encoded.contains(&s.tombstone_encoded_partition)
                || current.contains(&s.tombstone_encoded_partition));
        !tombstone_transition && s.rotate_file_on_partition_change && encoded != current
    }

    fn set_next_scheduled_rotation(&mut self, now_ms: i64) {
        if self.settings.rotate_schedule_interval_ms > 0 {
            self.next_scheduled_rotation = self.settings.next_scheduled_rotation(now_ms);
        }
    }

    /// Hands a streak's rows to its file's run and ends it (before the runs are read, and
    /// whenever a row does not continue it).
    fn end_streak(&mut self, streak: &mut Option<Streak>, rows: &mut Vec<u32>) {
        if let Some(s) = streak.take() {
            if let Some(file) = self.files.get_mut(&s.encoded) {
                file.run.append(rows);
            }
        }
        rows.clear();
    }

    /// Writes this partition's rows of a batch (`rows`, in offset order).
    pub async fn write(
        &mut self,
        view: &BatchView<'_>,
        rows: &[u32],
        now_ms: i64,
    ) -> Result<Outcome> {
        let mut outcome = Outcome::default();
        if self.record_count == 0
            && self.settings.rotate_schedule_interval_ms > 0
            && now_ms >= self.next_scheduled_rotation
        {
            self.set_next_scheduled_rotation(now_ms);
        }
        let timestamps = view.partitioned.timestamps.as_ref();
        let schemaless = strait_engine::schema::is_schemaless(view.value_field);
        // Rows that continue the previous row's file (same encoded partition, same tombstone
        // state) skip the per-file checks: the file, its null state and its schema are those
        // the previous row was checked against in this batch. They are gathered here and
        // handed to the file's run before anything else reads the runs.
        let mut streak: Option<Streak> = None;
        let mut streak_rows: Vec<u32> = Vec::new();
        let mut i = 0;
        while i < rows.len() {
            let row = rows[i] as usize;
            let offset = view.offsets.value(row);
            let tombstone = view.value.is_null(row);
            let index = if tombstone {
                None
            } else {
                view.partitioned.rows.get(row).copied().flatten()
            };
            if let Some(s) = streak.as_ref().filter(|s| s.continues(index, tombstone)) {
                if let Some(ts) = timestamps {
                    self.current_timestamp = ts.get(row).copied().flatten();
                    if self.base_record_timestamp.is_none() {
                        self.base_record_timestamp = self.current_timestamp;
                    }
                }
                if !self.rotate_on_time(&s.encoded, self.current_timestamp, now_ms) {
                    streak_rows.push(row as u32);
                    self.record_count += 1;
                    self.current_offset = offset;
                    i += 1;
                    if self.record_count >= self.settings.flush_size {
                        self.end_streak(&mut streak, &mut streak_rows);
                        self.flush_runs(view, &mut outcome).await?;
                        if self.record_count >= self.settings.flush_size {
                            self.commit_files().await?;
                        }
                    }
                    continue;
                }
            }
            self.end_streak(&mut streak, &mut streak_rows);
            let encoded = if tombstone {
                match self.settings.null_values {
                    // The task filters these out before; kept total for safety.
                    NullValues::Ignore | NullValues::Fail => {
                        i += 1;
                        continue;
                    }
                    NullValues::Write => self.settings.tombstone_encoded_partition.clone(),
                }
            } else {
                match view.partitioned.rows.get(row).copied().flatten() {
                    Some(index) => view.partitioned.encoded[index as usize].clone(),
                    // Failed rows were reported by the task.
                    None => {
                        i += 1;
                        continue;
                    }
                }
            };
            if let Some(ts) = timestamps {
                self.current_timestamp = ts.get(row).copied().flatten();
                if self.base_record_timestamp.is_none() {
                    self.base_record_timestamp = self.current_timestamp;
                }
            }
            let file = self.files.get(&encoded);
            // Java compares value *schemas*: a tombstone has none, and neither has a schemaless
            // value, so only a switch between a tombstone and a value with a schema rotates.
            let null_schema = tombstone || schemaless;
            let null_switch = file.is_some_and(|f| f.null_schema != null_schema);
            let schema_rotate = !tombstone
                && self.record_count > 0
                && file
                    .and_then(|f| f.value_field.as_ref())
                    .is_some_and(|open| {
                        storage::schema_change(
                            self.settings.value_format.kind,
                            open,
                            view.value_field,
                        ) == SchemaChange::Rotate
                    });
            let time_rotate = self.rotate_on_time(&encoded, self.current_timestamp, now_ms);
            if null_switch || time_rotate || schema_rotate {
                if time_rotate {
                    self.set_next_scheduled_rotation(now_ms);
                }
                self.flush_runs(view, &mut outcome).await?;
                self.commit_files().await?;
                // The same record again, now against no open file (Java's state machine
                // loops back to it after FILE_COMMITTED).
                continue;
            }
            let file = self
                .files
                .entry(encoded.clone())
                .or_insert_with(|| OpenFile {
                    encoded: encoded.clone(),
                    start_offset: offset,
                    tombstone,
                    null_schema,
                    value_field: (!tombstone).then(|| view.value_field.clone()),
                    key_field: None,
                    value: None,
                    keys: None,
                    headers: None,
                    run: Vec::new(),
                    written: 0,
                });
            if !tombstone && file.value_field.is_none() {
                file.value_field = Some(view.value_field.clone());
            }
            file.run.push(row as u32);
            self.record_count += 1;
            streak = Some(Streak {
                encoded: encoded.clone(),
                index,
                tombstone,
            });
            self.current_encoded = Some(encoded);
            self.current_offset = offset;
            i += 1;
            if self.record_count >= self.settings.flush_size {
                // Rows that fail in the writers do not count: write the runs to know.
                self.end_streak(&mut streak, &mut streak_rows);
                self.flush_runs(view, &mut outcome).await?;
                if self.record_count >= self.settings.flush_size {
                    self.commit_files().await?;
                }
            }
        }
        self.end_streak(&mut streak, &mut streak_rows);
        self.flush_runs(view, &mut outcome).await?;
        self.commit_on_time_if_no_data(now_ms).await?;
        Ok(outcome)
    }

    /// Java's `commitOnTimeIfNoData`: after the buffer drained (or on a tick without data).
    pub async fn commit_on_time_if_no_data(&mut self, now_ms: i64) -> Result<()> {
        tracing::trace!(tp = %self.tp, records = self.record_count, now_ms, next = self.next_scheduled_rotation, "time check without data");
        if self.record_count > 0 {
            let encoded = self.current_encoded.clone().unwrap_or_default();
            if self.rotate_on_time(&encoded, self.current_timestamp, now_ms) {
                self.set_next_scheduled_rotation(now_ms);
                self.commit_files().await?;
            }
        } else if self.settings.rotate_schedule_interval_ms > 0
            && now_ms >= self.next_scheduled_rotation
        {
            self.set_next_scheduled_rotation(now_ms);
        }
        Ok(())
    }

    /// Writes every open file's pending run into its writers.
    async fn flush_runs(&mut self, view: &BatchView<'_>, outcome: &mut Outcome) -> Result<()> {
        let settings = self.settings.clone();
        let mut emptied = Vec::new();
        for file in self.files.values_mut() {
            if file.run.is_empty() {
                continue;
            }
            let planned = std::mem::take(&mut file.run);
            // Records Confluent rejects before writing anything: a null key when keys are
            // stored, no headers (or a header Connect cannot write) when headers are stored.
            let mut run = Vec::with_capacity(planned.len());
            for &row in &planned {
                let r = row as usize;
                let offset = view.offsets.value(r);
                let rejection = if settings.keys_format.is_some()
                    && view.key.is_none_or(|(k, _)| k.is_null(r))
                {
                    Some(storage::null_key_error(
                        &self.tp.topic,
                        self.tp.partition,
                        offset,
                    ))
                } else if settings.headers_format.is_some() && !has_headers(view.headers, r) {
                    Some(storage::empty_headers_error(
                        &self.tp.topic,
                        self.tp.partition,
                        offset,
                    ))
                } else {
                    None
                };
                match rejection {
                    Some(error) => outcome.errant.push(RowError { row: r, error }),
                    None => run.push(row),
                }
            }
            let mut headers_column = None;
            if let (Some(format), Some(headers)) = (&settings.headers_format, view.headers) {
                if !run.is_empty() {
                    let (field, column, errors) =
                        storage::headers_column(format.kind, &select(headers, &run)?)?;
                    if errors.is_empty() {
                        headers_column = Some((field, column));
                    } else {
                        let failed: std::collections::HashSet<usize> =
                            errors.iter().map(|e| e.row).collect();
                        outcome.errant.extend(errors.into_iter().map(|e| RowError {
                            row: run[e.row] as usize,
                            error: e.error,
                        }));
                        run = run
                            .iter()
                            .enumerate()
                            .filter(|(n, _)| !failed.contains(n))
                            .map(|(_, r)| *r)
                            .collect();
                    }
                }
            }
            let mut written = run.clone();
            if !run.is_empty() {
                let base = settings.object_key(
                    &self
                        .partitioner
                        .generate_partitioned_path(&self.tp.topic, &file.encoded),
                    &self.tp,
                    file.start_offset,
                    "",
                );
                if !file.tombstone {
                    let field = file
                        .value_field
                        .clone()
                        .unwrap_or_else(|| view.value_field.clone());
                    if file.value.is_none() {
                        match storage::new_writer(&settings.value_format, &field) {
                            Ok(writer) => {
                                file.value = Some(ObjectSink::new(
                                    Path::from(format!("{base}{}", self.extensions.value)),
                                    writer,
                                ))
                            }
                            // A schema the format cannot write (e.g. a non-struct value for
                            // Parquet): Confluent fails each such record on its own, so each
                            // goes to the DLQ, or fails the task without one.
                            Err(e) if e.fault() != Fault::Bug => {
                                outcome.errant.extend(run.iter().map(|&row| RowError {
                                    row: row as usize,
                                    error: Error::data(e.message().to_string()),
                                }));
                                written.clear();
                            }
                            Err(e) => return Err(e),
                        }
                    }
                    if let Some(sink) = file.value.as_mut() {
                        let values = select(view.value, &run)?;
                        let errors = sink
                            .write(&self.store, settings.part_size, &values, view.value_field)
                            .await?;
                        if !errors.is_empty() {
                            let failed: std::collections::HashSet<usize> =
                                errors.iter().map(|e| e.row).collect();
                            written = run
                                .iter()
                                .enumerate()
                                .filter(|(n, _)| !failed.contains(n))
                                .map(|(_, r)| *r)
                                .collect();
                            outcome.errant.extend(errors.into_iter().map(|e| RowError {
                                row: run[e.row] as usize,
                                error: e.error,
                            }));
                        }
                    }
                }
                // Sidecars hold exactly the records the value file holds.
                if !written.is_empty() {
                    if let (Some(format), Some((keys, key_field))) =
                        (&settings.keys_format, view.key)
                    {
                        let (field, column) =
                            storage::keys_column(format.kind, key_field, &select(keys, &written)?);
                        let open_field =
                            file.key_field.get_or_insert_with(|| field.clone()).clone();
                        let sink = match &mut file.keys {
                            Some(sink) => sink,
                            empty => empty.insert(ObjectSink::new(
                                Path::from(format!("{base}{}", self.extensions.keys)),
                                storage::new_writer(format, &open_field)?,
                            )),
                        };
                        let errors = sink
                            .write(&self.store, settings.part_size, &column, &field)
                            .await?;
                        sidecar_failure(view, &written, errors, "key")?;
                    }
                    if let Some(format) = &settings.headers_format {
                        let (field, column) = match headers_column.take() {
                            Some((field, column)) if written.len() == run.len() => (field, column),
                            _ => {
                                let headers = view.headers.ok_or_else(|| {
                                    Error::bug("S3 sink: storing headers without a headers column")
                                })?;
                                let (field, column, _) = storage::headers_column(
                                    format.kind,
                                    &select(headers, &written)?,
                                )?;
                                (field, column)
                            }
                        };
                        let sink = match &mut file.headers {
                            Some(sink) => sink,
                            empty => empty.insert(ObjectSink::new(
                                Path::from(format!("{base}{}", self.extensions.headers)),
                                storage::new_writer(format, &field)?,
                            )),
                        };
                        let errors = sink
                            .write(&self.store, settings.part_size, &column, &field)
                            .await?;
                        sidecar_failure(view, &written, errors, "headers")?;
                    }
                }
            }
            if file.written == 0 {
                if let Some(&first) = written.first() {
                    // The file's first records failed: it starts at its first written one, as
                    // Java sets the start offset only once a record was written.
                    file.start_offset = view.offsets.value(first as usize);
                }
            }
            file.written += written.len() as u64;
            let lost = (planned.len() - written.len()) as u64;
            self.record_count -= lost.min(self.record_count);
            if file.written == 0 {
                emptied.push(file.encoded.clone());
            }
        }
        for encoded in emptied {
            if let Some(file) = self.files.remove(&encoded) {
                for sink in file.sinks() {
                    sink.abort().await;
                }
            }
        }
        Ok(())
    }

    /// Java's `commitFiles`: completes every open object, then moves the commit offset.
    pub async fn commit_files(&mut self) -> Result<()> {
        let files: Vec<OpenFile> = self.files.drain().map(|(_, f)| f).collect();
        let count = files.len();
        let store = self.store.clone();
        let commits = files
            .into_iter()
            .flat_map(OpenFile::sinks)
            .map(|sink| sink.commit(store.clone()));
        // A few uploads at once: many small files (one per encoded partition) finish in
        // round trips, not their sum.
        use futures::StreamExt as _;
        let results: Vec<Result<()>> = futures::stream::iter(commits)
            .buffer_unordered(8)
            .collect()
            .await;
        for r in results {
            r?;
        }
        if self.current_offset >= 0 && count > 0 {
            self.offset_to_commit = Some(self.current_offset + 1);
        }
        tracing::debug!(tp = %self.tp, files = count, offset = ?self.offset_to_commit, "files committed");
        self.record_count = 0;
        self.base_record_timestamp = None;
        Ok(())
    }

    /// Drops every open file, aborting its uploads (revocation, failure, stop): their records
    /// are read again by whoever owns the partition next.
    pub async fn abort(&mut self) {
        for (_, file) in self.files.drain() {
            for sink in file.sinks() {
                sink.abort().await;
            }
        }
        self.record_count = 0;
        self.base_record_timestamp = None;
    }
}

/// The given rows of a column: a zero-copy slice when they are consecutive (one partition's
/// records usually are), else an Arrow `take`.
fn select(column: &ArrayRef, rows: &[u32]) -> Result<ArrayRef> {
    let first = rows.first().copied().unwrap_or(0) as usize;
    if rows.windows(2).all(|w| w[1] == w[0] + 1) {
        return Ok(column.slice(first, rows.len()));
    }
    arrow::compute::take(column.as_ref(), &UInt32Array::from(rows.to_vec()), None)
        .map_err(|e| Error::bug(format!("S3 sink: selecting rows: {e}")))
}

/// A key or headers file refusing a record its value file took would leave the two files
/// disagreeing: that fails the task instead.
fn sidecar_failure(
    view: &BatchView<'_>,
    written: &[u32],
    errors: Vec<RowError>,
    what: &str,
) -> Result<()> {
    match errors.into_iter().next() {
        None => Ok(()),
        Some(e) => Err(Error::data(format!(
            "Failed to write the {what} of the record at offset {} to its {what} file: {}",
            view.offsets.value(written[e.row] as usize),
            e.error.message()
        ))),
    }
}

/// Whether a record has at least one header (Confluent refuses to store "no headers").
fn has_headers(headers: Option<&ArrayRef>, row: usize) -> bool {
    let Some(list) = headers.and_then(|h| h.as_any().downcast_ref::<arrow::array::ListArray>())
    else {
        return false;
    };
    !list.is_null(row) && list.value_length(row) > 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray, StructArray};
    use arrow::datatypes::{DataType, Fields};
    use futures::TryStreamExt as _;
    use object_store::memory::InMemory;
    use strait_engine::batch::RawBatchBuilder;
    use strait_formats::storage::FormatKind;

    use crate::s3::partitioner::{self, PartitionerSettings};

    fn json_format() -> FormatSettings {
        FormatSettings::with_defaults(FormatKind::Json)
    }

    fn settings(flush_size: u64) -> WriterSettings {
        WriterSettings {
            topics_dir: "topics".into(),
            directory_delim: "/".into(),
            file_delim: "+".into(),
            zero_pad_width: 10,
            flush_size,
            rotate_interval_ms: -1,
            rotate_schedule_interval_ms: -1,
            schedule_timezone: Zone::utc(),
            rotate_file_on_partition_change: true,
            null_values: NullValues::Fail,
            report_null_values_to_dlq: true,
            tombstone_encoded_partition: "tombstone".into(),
            value_format: json_format(),
            keys_format: None,
            headers_format: None,
            part_size: 5 * 1024 * 1024,
        }
    }

    fn partitioner(
        class: &str,
        extra: impl FnOnce(&mut PartitionerSettings),
    ) -> Arc<dyn Partitioner> {
        let mut s = PartitionerSettings {
            class: format!("io.confluent.connect.storage.partitioner.{class}"),
            field_names: vec!["country".into()],
            partition_duration_ms: -1,
            path_format: String::new(),
            locale: String::new(),
            timezone: String::new(),
            timestamp_extractor: "Record".into(),
            timestamp_field: "timestamp".into(),
            directory_delim: "/".into(),
        };
        extra(&mut s);
        Arc::from(partitioner::build(&s).unwrap())
    }

    /// A batch of partition 0 of `t`: offsets from `first`, record timestamps, and values
    /// `{"id": offset, "country": c}` with a Connect schema.
    fn batch(first: i64, countries: &[&str], timestamps: &[i64]) -> Batch {
        let mut b = RawBatchBuilder::with_capacity(countries.len(), 0);
        for (i, ts) in timestamps.iter().enumerate() {
            b.append("t", 0, first + i as i64, Some(*ts), None, Some(b"x"), []);
        }
        let raw = b.finish().unwrap();
        let fields = Fields::from(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("country", DataType::Utf8, false),
        ]);
        let ids: Vec<i64> = (0..countries.len() as i64).map(|i| first + i).collect();
        let value = StructArray::new(
            fields.clone(),
            vec![
                Arc::new(Int64Array::from(ids)),
                Arc::new(StringArray::from(countries.to_vec())),
            ],
            None,
        );
        let field = Field::new("value", DataType::Struct(fields), false)
            .with_metadata([("connect.name".to_string(), "Order".to_string())]);
        raw.with_column(Arc::new(field), Arc::new(value)).unwrap()
    }

    struct Harness {
        store: Arc<dyn ObjectStore>,
        partitioner: Arc<dyn Partitioner>,
        writer: TopicPartitionWriter,
    }

    impl Harness {
        fn new(settings: WriterSettings, partitioner: Arc<dyn Partitioner>) -> Self {
            let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
            let extensions = Arc::new(settings.extensions().unwrap());
            let writer = TopicPartitionWriter::new(
                TopicPartition::new("t", 0),
                Arc::new(settings),
                extensions,
                store.clone(),
                partitioner.clone(),
                0,
            );
            Harness {
                store,
                partitioner,
                writer,
            }
        }

        async fn write(&mut self, batch: &Batch, now_ms: i64) -> Outcome {
            let partitioned = self.partitioner.partition(batch, now_ms).unwrap();
            let view = BatchView::new(batch, &partitioned).unwrap();
            let rows: Vec<u32> = (0..batch.num_rows() as u32).collect();
            self.writer.write(&view, &rows, now_ms).await.unwrap()
        }

        /// Object key → its JSON lines' ids.
        async fn objects(&self) -> Vec<(String, Vec<i64>)> {
            let mut metas: Vec<_> = self.store.list(None).try_collect().await.unwrap();
            metas.sort_by(|a, b| a.location.cmp(&b.location));
            let mut out = Vec::new();
            for m in metas {
                let bytes = self
                    .store
                    .get(&m.location)
                    .await
                    .unwrap()
                    .bytes()
                    .await
                    .unwrap();
                let ids = std::str::from_utf8(&bytes)
                    .unwrap()
                    .lines()
                    .map(|l| {
                        let v: serde_json::Value = serde_json::from_str(l).unwrap();
                        v["id"].as_i64().unwrap()
                    })
                    .collect();
                out.push((m.location.to_string(), ids));
            }
            out
        }
    }

    #[test]
    fn object_keys_are_confluents() {
        let mut s = settings(1);
        let tp = TopicPartition::new("orders", 3);
        assert_eq!(
            s.object_key("orders/partition=3", &tp, 42, ".snappy.parquet"),
            "topics/orders/partition=3/orders+3+0000000042.snappy.parquet"
        );
        s.topics_dir = " ".into();
        s.file_delim = "-".into();
        s.zero_pad_width = 0;
        assert_eq!(
            s.object_key("orders/x", &tp, 7, ".json"),
            "orders/x/orders-3-7.json"
        );
    }

    #[test]
    fn scheduled_rotation_aligns_to_midnight_of_the_zone() {
        let mut s = settings(1);
        s.rotate_schedule_interval_ms = 3_600_000;
        // 2026-11-30T05:37:00Z → 06:00Z.
        let now = 1_796_017_020_000;
        assert_eq!(s.next_scheduled_rotation(now), 1_796_018_400_000);
        // Seven-hour steps from midnight: 00, 07, 14, 21, then capped at the next midnight.
        s.rotate_schedule_interval_ms = 7 * 3_600_000;
        let midnight = 1_795_996_800_000; // 2026-11-30T00:00Z
        assert_eq!(
            s.next_scheduled_rotation(midnight + 1),
            midnight + 7 * 3_600_000
        );
        assert_eq!(
            s.next_scheduled_rotation(midnight + 22 * 3_600_000),
            midnight + 24 * 3_600_000
        );
        // In a zone five hours behind UTC, its midnight is 05:00Z.
        s.schedule_timezone = Zone::for_id("-05:00").unwrap();
        s.rotate_schedule_interval_ms = 7 * 3_600_000;
        assert_eq!(
            s.next_scheduled_rotation(midnight + 6 * 3_600_000),
            midnight + 12 * 3_600_000
        );
    }

    #[tokio::test]
    async fn flush_size_counts_records_across_the_open_files_of_a_partition() {
        let mut h = Harness::new(settings(3), partitioner("FieldPartitioner", |_| {}));
        let b = batch(0, &["FR", "DE", "FR", "DE", "FR"], &[0; 5]);
        let outcome = h.write(&b, 0).await;
        assert!(outcome.errant.is_empty());
        // Three records across two files commit both; offsets 3 and 4 stay open.
        assert_eq!(
            h.objects().await,
            vec![
                (
                    "topics/t/country=DE/t+0+0000000001.json".to_string(),
                    vec![1]
                ),
                (
                    "topics/t/country=FR/t+0+0000000000.json".to_string(),
                    vec![0, 2]
                ),
            ]
        );
        assert_eq!(h.writer.take_offset_to_commit(), Some(3));
        assert_eq!(h.writer.take_offset_to_commit(), None);
        assert_eq!(h.writer.record_count(), 2);
        assert_eq!(h.writer.min_start_offset(), Some(3));
        // Closing drops the open files: nothing more appears.
        h.writer.abort().await;
        assert_eq!(h.objects().await.len(), 2);
    }

    #[tokio::test]
    async fn record_time_rotation_and_partition_change() {
        let mut s = settings(100);
        s.rotate_interval_ms = 1000;
        let part = partitioner("TimeBasedPartitioner", |p| {
            p.partition_duration_ms = 3_600_000;
            p.path_format = "'h'=HH".into();
            p.locale = "en".into();
            p.timezone = "UTC".into();
        });
        let mut h = Harness::new(s, part);
        // 0 and 500 share a file; 1200 is 1200 ms after the base: rotate before it.
        // 3_600_000 changes the encoded partition: rotate before it too.
        let b = batch(0, &["a"; 4], &[0, 500, 1200, 3_600_000]);
        h.write(&b, 0).await;
        assert_eq!(
            h.objects().await,
            vec![
                ("topics/t/h=00/t+0+0000000000.json".to_string(), vec![0, 1]),
                ("topics/t/h=00/t+0+0000000002.json".to_string(), vec![2]),
            ]
        );
        assert_eq!(h.writer.take_offset_to_commit(), Some(3));
        // Record time does not move without records: no rotation on a tick.
        h.writer
            .commit_on_time_if_no_data(i64::MAX / 2)
            .await
            .unwrap();
        assert_eq!(h.objects().await.len(), 2);
    }

    #[tokio::test]
    async fn scheduled_rotation_commits_without_new_records() {
        let mut s = settings(100);
        s.rotate_schedule_interval_ms = 1000;
        let mut h = Harness::new(s, partitioner("DefaultPartitioner", |_| {}));
        h.write(&batch(0, &["a", "b"], &[0, 0]), 100).await;
        assert!(h.objects().await.is_empty());
        h.writer.commit_on_time_if_no_data(900).await.unwrap();
        assert!(h.objects().await.is_empty());
        h.writer.commit_on_time_if_no_data(1000).await.unwrap();
        assert_eq!(
            h.objects().await,
            vec![(
                "topics/t/partition=0/t+0+0000000000.json".to_string(),
                vec![0, 1]
            )]
        );
        assert_eq!(h.writer.take_offset_to_commit(), Some(2));
    }

    #[tokio::test]
    async fn a_schema_change_rotates() {
        let mut h = Harness::new(settings(100), partitioner("DefaultPartitioner", |_| {}));
        h.write(&batch(0, &["a", "b"], &[0, 0]), 0).await;
        // Same columns, another Connect schema name: Confluent's NONE compatibility rotates.
        let b = batch(2, &["c"], &[0]);
        let (field, value) = (
            b.field("value").unwrap(),
            b.column("value").unwrap().clone(),
        );
        let renamed = field
            .as_ref()
            .clone()
            .with_metadata([("connect.name".to_string(), "Order2".to_string())]);
        let b = b.with_column(Arc::new(renamed), value).unwrap();
        h.write(&b, 0).await;
        assert_eq!(
            h.objects().await,
            vec![(
                "topics/t/partition=0/t+0+0000000000.json".to_string(),
                vec![0, 1]
            )]
        );
        assert_eq!(h.writer.record_count(), 1);
        assert_eq!(h.writer.min_start_offset(), Some(2));
    }
}
