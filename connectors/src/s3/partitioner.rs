//! Confluent's partitioners (storage-common `io.confluent.connect.storage.partitioner`):
//! Default, Field, TimeBased, Daily, Hourly, and the timestamp extractors Wallclock, Record and
//! RecordField. Each computes, for a whole batch at once, every row's *encoded partition* (the
//! directory part of the object key, e.g. `partition=3`, `country=FR`,
//! `year=2026/month=11/day=30/hour=04`).

use strait_engine::batch::Batch;
use strait_engine::plugin::RowError;
use strait_engine::Result;

/// Which partitioner, and its settings (the `PartitionerConfig` keys, already parsed).
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionerSettings {
    /// `partitioner.class`, as given (a Java class name).
    pub class: String,
    /// `partition.field.name`.
    pub field_names: Vec<String>,
    /// `partition.duration.ms` (-1 = unset).
    pub partition_duration_ms: i64,
    /// `path.format` (Joda-Time pattern; empty = unset).
    pub path_format: String,
    /// `locale` (empty = unset).
    pub locale: String,
    /// `timezone` (empty = unset).
    pub timezone: String,
    /// `timestamp.extractor` (`Wallclock`, `Record`, `RecordField` or a class name).
    pub timestamp_extractor: String,
    /// `timestamp.field`.
    pub timestamp_field: String,
    /// `directory.delim`.
    pub directory_delim: String,
}

/// Every row's encoded partition for one batch.
#[derive(Debug, Default)]
pub struct Partitioned {
    /// Distinct encoded partitions, in order of first appearance.
    pub encoded: Vec<String>,
    /// Per row: index into `encoded`, or `None` for a row that failed (its error is in
    /// `errors`).
    pub rows: Vec<Option<u32>>,
    /// Per row: the extractor's timestamp in epoch milliseconds; `None` for a partitioner that
    /// is not time-based (and for failed rows).
    pub timestamps: Option<Vec<Option<i64>>>,
    /// Rows that could not be partitioned (Java's `PartitionException` / `DataException`).
    pub errors: Vec<RowError>,
}

/// A partitioner over whole batches.
pub trait Partitioner: Send + Sync + std::fmt::Debug {
    /// Every row's encoded partition. `wallclock_ms` is the task's "now" for this `put`
    /// (the Wallclock extractor's timestamp).
    fn partition(&self, batch: &Batch, wallclock_ms: i64) -> Result<Partitioned>;
    /// Whether timestamps are extracted (TimeBased and its subclasses): `rotate.interval.ms`
    /// applies only then.
    fn is_time_based(&self) -> bool;
    /// Java's `generatePartitionedPath(topic, encodedPartition)`.
    fn generate_partitioned_path(&self, topic: &str, encoded: &str) -> String;
}
