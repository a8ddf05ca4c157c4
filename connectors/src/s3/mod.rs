//! Confluent's Amazon S3 sink (`io.confluent.connect.s3.S3SinkConnector`, alias
//! `S3SinkConnector`), columnar: Confluent's configs, object names, rotation and commit rules,
//! with Arrow batches going straight into Parquet, Avro, JSON-lines or raw-bytes writers and out
//! through `object_store` (S3, and with a `store.url` scheme also GCS, Azure Blob and the local
//! file system).
//!
//! **Offsets and guarantee.** Offsets are committed only up to the last record of completed
//! objects (see [`writer`]): an object becomes visible only when its upload completes, and
//! `pre_commit` returns, per partition, the offset after the last record of the last commit of
//! all its open files. After a crash, a restart, a revocation or a rebalance, consumption
//! resumes at the first record not in a completed object, and — with a deterministic
//! partitioner (Default, Field, TimeBased with the `Record` or `RecordField` extractor) and
//! rotation driven by the data (`flush.size`, `rotate.interval.ms` with a record-time
//! extractor, schema changes) — the same objects are written again under the same names with
//! the same content: **exactly-once** objects. Wall-clock inputs (the `Wallclock` extractor,
//! `rotate.schedule.interval.ms`) and early flushes under the worker's memory budget
//! (`sink.buffer.memory.bytes`) give at-least-once instead, as in Confluent (which has no budget).
//!
//! One difference on purpose: a partition with no open file commits the consumed offset (every
//! record it consumed is in a completed object or was skipped), where Confluent commits nothing
//! until its next file completes; so records that are all skipped (ignored tombstones, records
//! sent to the DLQ) do not hold offsets back.

pub mod config;
pub mod joda;
pub mod partitioner;
pub mod store;
pub mod writer;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::{Array, Int32Array};
use async_trait::async_trait;
use object_store::ObjectStore;

use strait_engine::batch::{columns, Batch, OffsetMap, TopicColumn, TopicPartition};
use strait_engine::config::{ConfigDef, Props};
use strait_engine::memory::BufferBudget;
use strait_engine::plugin::{
    Connector, PluginInfo, PluginType, RowError, SinkInput, SinkTask, SinkTaskContext, TaskInstance,
};
use strait_engine::{Error, Result};

use self::config::S3SinkConfig;
use self::partitioner::Partitioner;
use self::writer::{BatchView, Extensions, NullValues, TopicPartitionWriter, WriterSettings};

/// The Confluent S3 sink release whose behaviour this mirrors.
pub const VERSION: &str = "12.0.12";
pub const CONNECTOR_CLASS: &str = "io.confluent.connect.s3.S3SinkConnector";
pub const TASK_CLASS: &str = "io.confluent.connect.s3.S3SinkTask";
const TASK_CLASS_KEY: &str = "task.class";

/// `io.confluent.connect.s3.S3SinkConnector`.
#[derive(Debug)]
pub struct S3SinkConnector;

impl Connector for S3SinkConnector {
    type Config = S3SinkConfig;

    fn info() -> PluginInfo {
        PluginInfo {
            class: CONNECTOR_CLASS,
            extra_aliases: &[],
            kind: PluginType::Sink,
            version: VERSION,
        }
    }

    fn config_def() -> ConfigDef {
        S3SinkConfig::config_def()
    }

    fn parse(props: &Props) -> Result<Self::Config> {
        S3SinkConfig::from_props(props)
    }

    fn validate(props: &Props) -> Vec<strait_engine::config::ConfigValue> {
        S3SinkConfig::validate(props)
    }

    fn task_class() -> &'static str {
        TASK_CLASS
    }

    /// `max_tasks` copies of the config, as Confluent's connector hands out.
    fn task_configs(_config: &Self::Config, props: &Props, max_tasks: usize) -> Result<Vec<Props>> {
        let mut task = props.clone();
        task.insert(TASK_CLASS_KEY.to_string(), TASK_CLASS.to_string());
        Ok(vec![task; max_tasks])
    }

    /// Offsets live in the consumer group, as for any sink; Confluent accepts alterations.
    fn alter_offsets(
        _props: &Props,
        _offsets: &[(
            strait_engine::batch::SourceMap,
            Option<strait_engine::batch::SourceMap>,
        )],
    ) -> Result<bool> {
        Ok(true)
    }

    fn create_task(task_props: &Props) -> Result<TaskInstance> {
        let config = S3SinkConfig::from_props(task_props)?;
        Ok(TaskInstance::Sink(Box::new(S3SinkTask::new(config)?)))
    }
}

/// The writer settings of a parsed config.
pub fn writer_settings(config: &S3SinkConfig) -> Result<WriterSettings> {
    Ok(WriterSettings {
        topics_dir: config.topics_dir.clone(),
        directory_delim: config.directory_delim.clone(),
        file_delim: config.file_delim.clone(),
        zero_pad_width: config.filename_offset_zero_pad_width as usize,
        flush_size: config.flush_size.max(1) as u64,
        rotate_interval_ms: config.rotate_interval_ms,
        rotate_schedule_interval_ms: config.rotate_schedule_interval_ms,
        schedule_timezone: if config.timezone.trim().is_empty() {
            joda::Zone::utc()
        } else {
            joda::Zone::for_id(config.timezone.trim()).map_err(Error::config)?
        },
        rotate_file_on_partition_change: config.rotate_file_on_partition_change,
        null_values: config.behavior_on_null_values,
        report_null_values_to_dlq: config.report_null_values_to_dlq,
        tombstone_encoded_partition: config.tombstone_encoded_partition.clone(),
        value_format: config.format_settings(),
        keys_format: if config.store_kafka_keys {
            Some(config.keys_format_settings())
        } else {
            None
        },
        headers_format: if config.store_kafka_headers {
            Some(config.headers_format_settings())
        } else {
            None
        },
        part_size: config.part_size as usize,
    })
}

/// `io.confluent.connect.s3.S3SinkTask`.
pub struct S3SinkTask {
    config: S3SinkConfig,
    settings: Arc<WriterSettings>,
    extensions: Arc<Extensions>,
    partitioner: Arc<dyn Partitioner>,
    store: Option<Arc<dyn ObjectStore>>,
    ctx: Option<SinkTaskContext>,
    writers: HashMap<TopicPartition, TopicPartitionWriter>,
}

impl std::fmt::Debug for S3SinkTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3SinkTask")
            .field("bucket", &self.config.bucket)
            .field("partitions", &self.writers.len())
            .finish()
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl S3SinkTask {
    /// A task for a parsed config; the store is opened in `start` (I/O never happens while
    /// validating).
    pub fn new(config: S3SinkConfig) -> Result<Self> {
        let settings = writer_settings(&config)?;
        let extensions = settings.extensions()?;
        let partitioner: Arc<dyn Partitioner> =
            Arc::from(partitioner::build(&config.partitioner_settings())?);
        Ok(S3SinkTask {
            config,
            settings: Arc::new(settings),
            extensions: Arc::new(extensions),
            partitioner,
            store: None,
            ctx: None,
            writers: HashMap::new(),
        })
    }

    /// A task writing to the given store (tests, benches, the demo).
    pub fn with_store(config: S3SinkConfig, store: Arc<dyn ObjectStore>) -> Result<Self> {
        let mut task = Self::new(config)?;
        task.store = Some(store);
        Ok(task)
    }

    fn store(&self) -> Result<Arc<dyn ObjectStore>> {
        self.store
            .clone()
            .ok_or_else(|| Error::bug("S3SinkTask used before start"))
    }

    fn writer(&mut self, tp: &TopicPartition) -> Result<&mut TopicPartitionWriter> {
        if !self.writers.contains_key(tp) {
            let writer = TopicPartitionWriter::new(
                tp.clone(),
                self.settings.clone(),
                self.extensions.clone(),
                self.store()?,
                self.partitioner.clone(),
                now_ms(),
            );
            self.writers.insert(tp.clone(), writer);
        }
        self.writers
            .get_mut(tp)
            .ok_or_else(|| Error::bug("S3 sink: partition writer vanished"))
    }

    /// Reports a record to the errant record reporter, or fails as Java does without one.
    fn report(&self, batch: &Batch, error: RowError) -> Result<()> {
        match self.ctx.as_ref().and_then(|c| c.errant_record_reporter()) {
            Some(reporter) => reporter.report(batch, error.row, error.error),
            None => Err(error.error),
        }
    }

    /// Rows of each topic-partition, in batch order.
    fn rows_by_partition(batch: &Batch) -> Result<BTreeMap<TopicPartition, Vec<u32>>> {
        let mut out: BTreeMap<TopicPartition, Vec<u32>> = BTreeMap::new();
        let n = batch.num_rows();
        if let strait_engine::batch::Provenance::Sink(ranges) = &batch.provenance {
            if ranges.len() == 1 {
                if let Some(tp) = ranges.keys().next() {
                    out.insert(tp.clone(), (0..n as u32).collect());
                    return Ok(out);
                }
            }
        }
        let topics = batch
            .column(columns::TOPIC)
            .and_then(TopicColumn::new)
            .ok_or_else(|| Error::bug("S3 sink: batch has no topic column"))?;
        let partitions = batch
            .column(columns::PARTITION)
            .and_then(|c| c.as_any().downcast_ref::<Int32Array>())
            .ok_or_else(|| Error::bug("S3 sink: batch has no Int32 partition column"))?;
        // Rows come in runs of one partition: gather a run, then file it under its partition.
        let mut run: Option<(TopicPartition, Vec<u32>)> = None;
        for row in 0..n {
            let topic = topics.get(row).unwrap_or_default();
            let partition = partitions.value(row);
            match &mut run {
                Some((tp, rows)) if tp.partition == partition && tp.topic == topic => {
                    rows.push(row as u32)
                }
                _ => {
                    if let Some((tp, mut rows)) = run.take() {
                        out.entry(tp).or_default().append(&mut rows);
                    }
                    run = Some((TopicPartition::new(topic, partition), vec![row as u32]));
                }
            }
        }
        if let Some((tp, mut rows)) = run {
            out.entry(tp).or_default().append(&mut rows);
        }
        Ok(out)
    }

    /// When the worker's buffers pass the budget: commit the partitions holding the most until
    /// back under it.
    async fn enforce_budget(&mut self) -> Result<()> {
        let budget = BufferBudget::worker();
        while budget.excess() > 0 {
            let Some((tp, held)) = self
                .writers
                .iter()
                .map(|(tp, w)| (tp.clone(), w.held()))
                .max_by_key(|(_, held)| *held)
            else {
                return Ok(());
            };
            if held == 0 {
                return Ok(());
            }
            tracing::info!(%tp, held, limit = budget.limit(), "sink buffer budget reached: committing the partition's open files early");
            if let Some(w) = self.writers.get_mut(&tp) {
                w.commit_files().await?;
            }
        }
        Ok(())
    }

    /// A store failure on one partition: drop its open files and read them again after the
    /// back-off (Java rewinds to the smallest start offset and sets `context.timeout`).
    async fn retry_later(&mut self, tp: &TopicPartition, first_offset: i64, error: Error) {
        let backoff = Duration::from_millis(self.config.retry_backoff_ms.max(0) as u64);
        if let Some(w) = self.writers.get_mut(tp) {
            let rewind = w
                .min_start_offset()
                .map_or(first_offset, |o| o.min(first_offset));
            w.abort().await;
            w.retry_after = Some(Instant::now() + backoff);
            tracing::warn!(%tp, rewind, error = %error, backoff_ms = backoff.as_millis() as u64, "S3 write failed; reading the partition again after the back-off");
            if let Some(ctx) = &self.ctx {
                ctx.offset(&[(tp.clone(), rewind)].into_iter().collect());
            }
        }
    }
}

#[async_trait]
impl SinkTask for S3SinkTask {
    fn input(&self) -> SinkInput {
        SinkInput::Decoded
    }

    fn needs_headers(&self) -> bool {
        self.settings.headers_format.is_some()
    }

    async fn start(&mut self, ctx: SinkTaskContext) -> Result<()> {
        if self.store.is_none() {
            let store = store::open_store(&self.config).await?;
            store::check_bucket(store.as_ref(), &self.config.bucket).await?;
            self.store = Some(store);
        }
        self.ctx = Some(ctx);
        Ok(())
    }

    async fn open(&mut self, partitions: &[TopicPartition]) -> Result<()> {
        for tp in partitions {
            self.writer(tp)?;
        }
        Ok(())
    }

    /// Java closes (discards) the open files; their records are read again by the next owner.
    async fn close(&mut self, partitions: &[TopicPartition]) -> Result<()> {
        for tp in partitions {
            if let Some(mut w) = self.writers.remove(tp) {
                w.abort().await;
            }
        }
        Ok(())
    }

    async fn put(&mut self, batch: Batch) -> Result<()> {
        let now = now_ms();
        if batch.num_rows() == 0 {
            return self.tick().await;
        }
        let partitioned = self.partitioner.partition(&batch, now)?;
        let view = BatchView::new(&batch, &partitioned)?;
        // Null values first, as Java's `put` does before buffering.
        let mut skip_nulls = false;
        if view.value.null_count() > 0 {
            match self.settings.null_values {
                NullValues::Fail => {
                    return Err(Error::data(format!(
                        "Null valued records are not writeable with current {} 'settings.",
                        "behavior.on.null.values"
                    ))
                    .with_java_class("org.apache.kafka.connect.errors.ConnectException"));
                }
                NullValues::Ignore => skip_nulls = true,
                NullValues::Write => {}
            }
        }
        let mut errant: Vec<RowError> = Vec::new();
        for e in &partitioned.errors {
            if !(view.value.is_null(e.row) && self.settings.null_values != NullValues::Fail) {
                // The partitioner's error as it is (its Java class goes to the DLQ headers).
                errant.push(RowError {
                    row: e.row,
                    error: Error::new(e.error.fault(), e.error.message())
                        .with_java_class(e.error.java_class()),
                });
            }
        }
        // Java reports skipped nulls only when an errant record reporter exists, which Kafka
        // Connect builds only under `errors.tolerance=all`; otherwise they are skipped silently.
        let has_reporter = self
            .ctx
            .as_ref()
            .is_some_and(|c| c.errant_record_reporter().is_some())
            && self
                .config
                .originals
                .get("errors.tolerance")
                .is_some_and(|t| t.trim() == "all");
        if skip_nulls && self.settings.report_null_values_to_dlq && has_reporter {
            for row in 0..batch.num_rows() {
                if view.value.is_null(row) {
                    errant.push(RowError {
                        row,
                        error: Error::data("Skipping null value record."),
                    });
                }
            }
        }
        let by_partition = Self::rows_by_partition(&batch)?;
        for (tp, rows) in by_partition {
            let first_offset = rows.first().map_or(0, |r| view.offsets.value(*r as usize));
            let writer = self.writer(&tp)?;
            if let Some(after) = writer.retry_after {
                if Instant::now() < after {
                    if let Some(ctx) = &self.ctx {
                        ctx.offset(&[(tp.clone(), first_offset)].into_iter().collect());
                    }
                    continue;
                }
                writer.retry_after = None;
            }
            match writer.write(&view, &rows, now).await {
                Ok(outcome) => errant.extend(outcome.errant),
                Err(e) if e.is_retriable() => self.retry_later(&tp, first_offset, e).await,
                Err(e) => return Err(e),
            }
        }
        errant.sort_by_key(|e| e.row);
        for e in errant {
            self.report(&batch, e)?;
        }
        self.enforce_budget().await
    }

    /// Java's `preCommit`: per partition, the offset after the last committed file's records;
    /// a partition without open files is durable up to what it consumed.
    async fn pre_commit(&mut self, consumed: &OffsetMap) -> Result<OffsetMap> {
        let mut out = OffsetMap::new();
        for (tp, w) in self.writers.iter_mut() {
            if w.retry_after.is_some() {
                continue;
            }
            if let Some(offset) = w.take_offset_to_commit() {
                out.insert(tp.clone(), offset);
            }
            if w.record_count() == 0 {
                if let Some(offset) = consumed.get(tp) {
                    out.insert(tp.clone(), *offset);
                }
            }
        }
        Ok(out)
    }

    /// Wall-clock rotation without new records (`rotate.schedule.interval.ms`).
    async fn tick(&mut self) -> Result<()> {
        let now = now_ms();
        let tps: Vec<TopicPartition> = self.writers.keys().cloned().collect();
        for tp in tps {
            if let Some(w) = self.writers.get_mut(&tp) {
                if let Err(e) = w.commit_on_time_if_no_data(now).await {
                    if !e.is_retriable() {
                        return Err(e);
                    }
                    match w.min_start_offset() {
                        Some(first) => self.retry_later(&tp, first, e).await,
                        None => return Err(e),
                    }
                }
            }
        }
        Ok(())
    }

    async fn stop(&mut self) -> Result<()> {
        for (_, mut w) in self.writers.drain() {
            w.abort().await;
        }
        Ok(())
    }
}
