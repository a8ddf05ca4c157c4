//! Apache Kafka's FileStream connectors: `FileStreamSourceConnector` tails a text file (or stdin)
//! and produces one record per line; `FileStreamSinkConnector` appends `String.valueOf(value)`
//! plus a newline per record to a file (or stdout).
//!
//! **Source offsets and guarantee.** The source partition is `{"filename": <file>}` and the offset
//! `{"position": <i64>}`, the byte position just after the line terminator of the last line in
//! the batch ([`Provenance::Source`]). The runtime commits it after the producer acknowledged the
//! batch; on restart the task seeks to the committed position. Lines produced but not yet
//! committed when the worker dies are produced again: **at-least-once**. With `file` unset the
//! task reads stdin, tracks no offsets and a restart loses or repeats whatever the pipe held.
//!
//! **Source batches.** Columns `topic` (Utf8, the configured topic), `key` (Utf8, all null, field
//! marked schemaless: Java's key is `null` with a `null` schema, which String, JSON and ByteArray
//! converters all turn into a null payload), `value` (Utf8, non-null, Connect `STRING`) and
//! `timestamp` (wall clock at poll time). Lines are split on `\n`, `\r\n` and lone `\r`; empty
//! lines become empty strings; a line may be any length.
//!
//! **Sink offsets and guarantee.** `put` formats values into an in-memory buffer (written out once
//! it holds 1 MiB); `flush` (called by the default `pre_commit`, i.e. before every consumer
//! offset commit) writes the buffer and fsyncs the file, so committed consumer offsets never run
//! ahead of durable data. A crash between a write and the next commit re-delivers those records:
//! **at-least-once**, duplicates possible (as in Java).
//!
//! Differences from the Java implementation, on purpose:
//! - Positions are counted in **bytes**, both when counting and when resuming. Java counts UTF-16
//!   chars but resumes by skipping bytes, which resumes at the wrong place in non-ASCII files.
//!   Offsets written by Java for pure-ASCII files are byte positions too, so they stay valid.
//! - Invalid UTF-8 is decoded lossily (U+FFFD replacement characters), as Java's decoder does.
//! - At end of file the task waits [`EOF_WAIT`] (Java: 1 s) before returning an empty poll, and
//!   returns lines already read without waiting (Java waits 1 s even then).
//! - A read error fails the task instead of silently returning nothing.
//! - All rows of one source batch share one wall-clock timestamp (Java: one per record).
//! - The sink prints BYTES values as base64 (Java prints `[B@<hash>`, which is meaningless),
//!   logical Date/Time/Timestamp as `java.util.Date#toString` **in UTC**, and MAP entries in the
//!   order the Arrow map holds them (Java: `HashMap` order). See
//!   [`strait_formats::java::JavaStringWriter`].
//! - The sink fsyncs on flush (Java only flushes the `PrintStream`), so "committed" means durable.
//!
//! **Exactly-once.** In distributed mode with `exactly.once.source.support=enabled` the source
//! is exactly-once when it reads a file (Java's `exactlyOnceSupport`: SUPPORTED with `file`,
//! UNSUPPORTED with stdin): its lines and their byte positions commit in one transaction.
//! Beyond Java, it also defines its own transaction boundaries
//! (`transaction.boundary=connector`): a transaction ends where the file currently ends, or
//! after [`CHUNK_BATCHES`] batches, so every chunk appended to the file commits as one unit.
//!
//! Version: both connectors report `4.1.0`, the Apache Kafka release whose behaviour they mirror
//! (Java reports the Kafka version through `AppInfoParser`).

use std::io::{SeekFrom, Write as _};
use std::sync::Arc;
use std::time::Duration;

use arrow::array::{
    new_null_array, ArrayRef, RecordBatch, StringArray, StringBuilder, TimestampMillisecondArray,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use async_trait::async_trait;
use serde_json::json;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt};

use strait_engine::batch::{columns, Batch, OffsetMap, Provenance, SourceMap};
use strait_engine::config::{ConfigDef, Props, Validator};
use strait_engine::declare_config;
use strait_engine::plugin::{
    Connector, ConnectorTransactionBoundaries, ExactlyOnceSupport, PluginInfo, PluginType,
    SinkInput, SinkTask, SinkTaskContext, SourceTask, SourceTaskContext, TaskInstance,
};
use strait_engine::schema;
use strait_engine::{Error, Result};
use strait_formats::java::{BytesText, JavaStringWriter};

/// Version reported by both FileStream connectors: the Kafka release they mirror.
pub const VERSION: &str = "4.1.0";

pub const SOURCE_CONNECTOR_CLASS: &str = "org.apache.kafka.connect.file.FileStreamSourceConnector";
pub const SOURCE_TASK_CLASS: &str = "org.apache.kafka.connect.file.FileStreamSourceTask";
pub const SINK_CONNECTOR_CLASS: &str = "org.apache.kafka.connect.file.FileStreamSinkConnector";
pub const SINK_TASK_CLASS: &str = "org.apache.kafka.connect.file.FileStreamSinkTask";

/// Source file (source) or destination file (sink); null means stdin / stdout.
pub const FILE_CONFIG: &str = "file";
/// Topic the source produces to.
pub const TOPIC_CONFIG: &str = "topic";
/// Maximum records per poll.
pub const TASK_BATCH_SIZE_CONFIG: &str = "batch.size";
pub const DEFAULT_TASK_BATCH_SIZE: i32 = 2000;

/// Key of the source partition map.
pub const FILENAME_FIELD: &str = "filename";
/// Key of the source offset map.
pub const POSITION_FIELD: &str = "position";

/// Task config key carrying the task class, as Kafka Connect's `TaskConfig.TASK_CLASS_CONFIG`.
const TASK_CLASS_KEY: &str = "task.class";

/// How long the source waits at end of file before returning an empty poll.
pub const EOF_WAIT: Duration = Duration::from_millis(250);
/// How long the source waits before retrying to open a missing file (Java: 1 s).
pub const MISSING_FILE_WAIT: Duration = Duration::from_secs(1);
/// Bytes requested per read.
const READ_CHUNK: usize = 256 * 1024;
/// The sink writes its buffer out once it holds this many bytes.
const SINK_BUFFER: usize = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Source connector
// ---------------------------------------------------------------------------------------------

/// `org.apache.kafka.connect.file.FileStreamSourceConnector`.
#[derive(Debug)]
pub struct FileStreamSourceConnector;

declare_config! {
    /// Parsed source configuration (Java's `FileStreamSourceConnector.CONFIG_DEF`).
    #[derive(Debug, Clone, PartialEq)]
    pub struct FileSourceConfig {
        /// `None` (unset or empty) reads stdin.
        pub file: Option<String> {
            key: FILE_CONFIG,
            ty: String,
            default: null,
            importance: High,
            doc: "Source filename. If not specified, the standard input will be used",
            map: |file: Option<String>| file.filter(|f| !f.is_empty()),
        },
        pub topic: String {
            key: TOPIC_CONFIG,
            ty: String,
            default: required,
            validator: Validator::NonEmptyString,
            importance: High,
            doc: "The topic to publish data to",
        },
        /// Records per poll, at least 1: Java returns as soon as `records.size() >= batchSize`,
        /// so anything below 1 acts as 1.
        pub batch_size: usize {
            key: TASK_BATCH_SIZE_CONFIG,
            ty: Int,
            default: DEFAULT_TASK_BATCH_SIZE,
            importance: Low,
            doc: "The maximum number of records the source task can read from the file each time \
                  it is polled",
            map: |n: i32| n.max(1) as usize,
        },
    }
}

fn offset_error(message: impl Into<String>) -> Error {
    Error::config(message)
}

impl Connector for FileStreamSourceConnector {
    type Config = FileSourceConfig;

    fn info() -> PluginInfo {
        PluginInfo {
            class: SOURCE_CONNECTOR_CLASS,
            extra_aliases: &[],
            kind: PluginType::Source,
            version: VERSION,
        }
    }

    fn config_def() -> ConfigDef {
        FileSourceConfig::config_def()
    }

    fn parse(props: &Props) -> Result<Self::Config> {
        FileSourceConfig::parse(props)
    }

    fn task_class() -> &'static str {
        SOURCE_TASK_CLASS
    }

    /// Exactly one task, whatever `tasks.max` says: only one reader of a stream makes sense.
    fn task_configs(
        _config: &Self::Config,
        props: &Props,
        _max_tasks: usize,
    ) -> Result<Vec<Props>> {
        let mut task = props.clone();
        task.insert(TASK_CLASS_KEY.to_string(), SOURCE_TASK_CLASS.to_string());
        Ok(vec![task])
    }

    fn create_task(task_props: &Props) -> Result<TaskInstance> {
        let config = FileSourceConfig::parse(task_props)?;
        Ok(TaskInstance::Source(Box::new(FileStreamSourceTask::new(
            config,
        ))))
    }

    /// Java's logic: exactly-once is possible when reading a file (that is only appended to),
    /// not stdin, whose offsets are not tracked.
    fn exactly_once_support(props: &Props) -> Result<Option<ExactlyOnceSupport>> {
        let config = FileSourceConfig::parse(props)?;
        Ok(Some(if config.file.is_some() {
            ExactlyOnceSupport::Supported
        } else {
            ExactlyOnceSupport::Unsupported
        }))
    }

    /// Strait addition (Java's connector answers `UNSUPPORTED`): with
    /// `transaction.boundary=connector` a transaction ends where the file currently ends, or
    /// after [`CHUNK_BATCHES`] batches, so each chunk the file grew by commits as one unit.
    fn can_define_transaction_boundaries(
        props: &Props,
    ) -> Result<Option<ConnectorTransactionBoundaries>> {
        Self::exactly_once_support(props).map(|s| {
            Some(match s {
                Some(ExactlyOnceSupport::Supported) => ConnectorTransactionBoundaries::Supported,
                _ => ConnectorTransactionBoundaries::Unsupported,
            })
        })
    }

    /// Java's checks (KIP-875): no alteration with stdin; offsets null or `{"position": <long ≥ 0>}`;
    /// partitions with a `filename`. Like Java it answers `true` (the framework still writes the
    /// offsets; the answer selects the REST message); the task checks the position against the
    /// file when it opens it.
    fn alter_offsets(props: &Props, offsets: &[(SourceMap, Option<SourceMap>)]) -> Result<bool> {
        let config = FileSourceConfig::parse(props)?;
        if config.file.is_none() {
            return Err(offset_error(format!(
                "Offsets cannot be modified if the '{FILE_CONFIG}' configuration is unspecified. \
                 This is because stdin is used for input and offsets are not tracked."
            )));
        }
        for (partition, offset) in offsets {
            let Some(offset) = offset else { continue };
            let Some(position) = offset.get(POSITION_FIELD) else {
                return Err(offset_error(format!(
                    "Offset objects should either be null or contain the key '{POSITION_FIELD}'"
                )));
            };
            let Some(position) = position.as_i64() else {
                return Err(offset_error(format!(
                    "The value for the '{POSITION_FIELD}' key in the offset is expected to be a Long value"
                )));
            };
            if position < 0 {
                return Err(offset_error(format!(
                    "The value for the '{POSITION_FIELD}' key in the offset should be a non-negative value"
                )));
            }
            if !partition.contains_key(FILENAME_FIELD) {
                return Err(offset_error(format!(
                    "Partition objects should contain the key '{FILENAME_FIELD}'"
                )));
            }
        }
        Ok(true)
    }
}

// ---------------------------------------------------------------------------------------------
// Source task
// ---------------------------------------------------------------------------------------------

/// Schema of the batches the source produces: `topic`, `key` (always null, no Connect schema:
/// Java's key is `null` with a `null` schema, so the field is marked schemaless and every
/// converter turns it into a null payload), `value` (Connect `STRING`, never null) and
/// `timestamp` (wall clock at poll time).
pub fn source_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new(columns::TOPIC, DataType::Utf8, false),
        schema::schemaless(Field::new(columns::KEY, DataType::Utf8, true)),
        Field::new(columns::VALUE, DataType::Utf8, false),
        Field::new(
            columns::TIMESTAMP,
            DataType::Timestamp(TimeUnit::Millisecond, None),
            true,
        ),
    ]))
}

/// The source partition map of a file.
pub fn source_partition(file: &str) -> SourceMap {
    let mut partition = SourceMap::new();
    partition.insert(FILENAME_FIELD.to_string(), json!(file));
    partition
}

fn source_offset(position: i64) -> SourceMap {
    let mut offset = SourceMap::new();
    offset.insert(POSITION_FIELD.to_string(), json!(position));
    offset
}

type Input = Box<dyn AsyncRead + Send + Unpin>;

/// `org.apache.kafka.connect.file.FileStreamSourceTask`: reads lines from a file or stdin.
pub struct FileStreamSourceTask {
    config: FileSourceConfig,
    schema: SchemaRef,
    ctx: Option<SourceTaskContext>,
    input: Option<Input>,
    /// Byte position of `buf[start]` in the file; `None` for stdin (not tracked).
    position: Option<i64>,
    /// Bytes read but not yet emitted as lines live in `buf[start..]`.
    buf: Vec<u8>,
    start: usize,
    /// Bytes of `buf[start..]` already searched for a terminator without finding one.
    scanned: usize,
    eof_wait: Duration,
    missing_wait: Duration,
    /// Batches produced since the last transaction commit this task requested (connector-defined
    /// transaction boundaries only).
    batches_in_transaction: usize,
}

/// With connector-defined transaction boundaries, a FileStreamSource transaction ends at the
/// file's current end or after this many batches, whichever comes first (so a large file does
/// not make one transaction that outlives `transaction.timeout.ms`).
pub const CHUNK_BATCHES: usize = 64;

impl std::fmt::Debug for FileStreamSourceTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStreamSourceTask")
            .field("file", &self.config.file)
            .field("position", &self.position)
            .finish()
    }
}

/// One line found in the buffer: its bytes are `buf[start..end]`, and `consumed` bytes (line plus
/// terminator) leave the buffer.
struct LineSpan {
    start: usize,
    end: usize,
    consumed: usize,
}

impl FileStreamSourceTask {
    pub fn new(config: FileSourceConfig) -> Self {
        FileStreamSourceTask {
            config,
            schema: source_schema(),
            ctx: None,
            input: None,
            position: None,
            buf: Vec::new(),
            start: 0,
            scanned: 0,
            eof_wait: EOF_WAIT,
            missing_wait: MISSING_FILE_WAIT,
            batches_in_transaction: 0,
        }
    }

    /// Override the end-of-file and missing-file waits (tests, benches).
    pub fn with_waits(mut self, eof_wait: Duration, missing_wait: Duration) -> Self {
        self.eof_wait = eof_wait;
        self.missing_wait = missing_wait;
        self
    }

    fn log_name(&self) -> &str {
        self.config.file.as_deref().unwrap_or("stdin")
    }

    /// Open the input; `false` when the file does not exist (yet) and the caller should return.
    async fn open(&mut self) -> Result<bool> {
        let Some(file) = self.config.file.clone() else {
            self.input = Some(Box::new(tokio::io::stdin()));
            self.position = None;
            return Ok(true);
        };
        let mut handle = match tokio::fs::File::open(&file).await {
            Ok(h) => h,
            Err(e) => {
                // Java treats every failure to open (missing, unreadable) as "not there yet".
                tracing::warn!(
                    file = %file,
                    error = %e,
                    "Couldn't find file {file} for FileStreamSourceTask, sleeping to wait for it to be created"
                );
                tokio::time::sleep(self.missing_wait).await;
                return Ok(false);
            }
        };
        let partition = source_partition(&file);
        let stored = self
            .ctx
            .as_ref()
            .and_then(|ctx| ctx.offsets.offset(&partition));
        let position = match stored.as_ref().and_then(|o| o.get(POSITION_FIELD)) {
            None | Some(serde_json::Value::Null) => 0,
            Some(v) => match v.as_i64() {
                Some(p) if p >= 0 => p,
                Some(p) => {
                    return Err(Error::data(format!(
                        "Offset position is the incorrect type: {POSITION_FIELD}={p} is negative (file {file})"
                    )))
                }
                None => {
                    return Err(Error::data(format!(
                        "Offset position is the incorrect type: expected an integer byte position, got {v} (file {file})"
                    )))
                }
            },
        };
        if position > 0 {
            tracing::debug!(file = %file, position, "Found previous offset, skipping to file offset");
            handle.seek(SeekFrom::Start(position as u64)).await?;
        }
        tracing::debug!(file = %file, "Opened for reading");
        self.input = Some(Box::new(handle));
        self.position = Some(position);
        self.buf.clear();
        self.start = 0;
        self.scanned = 0;
        Ok(true)
    }

    /// The next complete line in the buffer, if any. A `\r` at the very end of the buffered data
    /// waits for the next byte (it may be the first half of `\r\n`).
    fn next_line(&mut self) -> Option<LineSpan> {
        let data = &self.buf[self.start..];
        let from = self.scanned;
        match memchr::memchr2(b'\n', b'\r', &data[from..]) {
            Some(i) => {
                let idx = from + i;
                let consumed = if data[idx] == b'\n' {
                    idx + 1
                } else if idx + 1 >= data.len() {
                    self.scanned = idx;
                    return None;
                } else if data[idx + 1] == b'\n' {
                    idx + 2
                } else {
                    idx + 1
                };
                let span = LineSpan {
                    start: self.start,
                    end: self.start + idx,
                    consumed,
                };
                self.start += consumed;
                self.scanned = 0;
                Some(span)
            }
            None => {
                self.scanned = data.len();
                None
            }
        }
    }

    /// Read more bytes into the buffer. `Ok(0)` means nothing is available right now.
    async fn read_more(&mut self) -> Result<usize> {
        if self.start > 0 {
            // Keep only the unfinished line; it moves to the front once per read.
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.reserve(READ_CHUNK);
        let wait = self.eof_wait;
        let Some(input) = self.input.as_mut() else {
            return Ok(0);
        };
        match self.config.file.as_deref() {
            None => {
                // A pipe blocks until data arrives. Bound the wait; tokio's stdin keeps an
                // interrupted read's data for the next call, so nothing is lost.
                match tokio::time::timeout(wait, input.read_buf(&mut self.buf)).await {
                    Ok(Ok(0)) => {
                        // stdin is closed: back off like at the end of a file.
                        tokio::time::sleep(wait).await;
                        Ok(0)
                    }
                    Ok(n) => Ok(n.map_err(|e| Error::from(e).context("reading stdin"))?),
                    Err(_) => Ok(0),
                }
            }
            Some(name) => input
                .read_buf(&mut self.buf)
                .await
                .map_err(|e| Error::from(e).context(format!("reading {name}"))),
        }
    }

    fn build_batch(&self, values: &mut StringBuilder, rows: usize) -> Result<Batch> {
        let value: ArrayRef = Arc::new(values.finish());
        let topic: ArrayRef = Arc::new(StringArray::from_iter_values(std::iter::repeat_n(
            &self.config.topic,
            rows,
        )));
        let key = new_null_array(&DataType::Utf8, rows);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        let timestamp: ArrayRef = Arc::new(TimestampMillisecondArray::from_value(now, rows));
        let records =
            RecordBatch::try_new(self.schema.clone(), vec![topic, key, value, timestamp])?;
        let provenance = match (&self.config.file, self.position) {
            (Some(file), Some(position)) => {
                Provenance::Source(vec![(source_partition(file), source_offset(position))])
            }
            _ => Provenance::Source(Vec::new()),
        };
        Ok(Batch::new(records, provenance))
    }
}

#[async_trait]
impl SourceTask for FileStreamSourceTask {
    async fn start(&mut self, ctx: SourceTaskContext) -> Result<()> {
        self.ctx = Some(ctx);
        Ok(())
    }

    async fn poll(&mut self) -> Result<Option<Batch>> {
        if self.input.is_none() && !self.open().await? {
            return Ok(None);
        }
        let batch_size = self.config.batch_size;
        let mut values = StringBuilder::with_capacity(
            batch_size.min(1024),
            (self.buf.len() - self.start).max(4096),
        );
        let mut rows = 0usize;
        let mut read_any = false;
        let mut at_end = false;
        loop {
            while rows < batch_size {
                let Some(line) = self.next_line() else { break };
                values.append_value(String::from_utf8_lossy(&self.buf[line.start..line.end]));
                if let Some(p) = self.position.as_mut() {
                    *p += line.consumed as i64;
                }
                rows += 1;
            }
            if rows >= batch_size {
                break;
            }
            let n = self.read_more().await?;
            tracing::trace!(bytes = n, file = self.log_name(), "read");
            if n == 0 {
                at_end = true;
                if !read_any && rows == 0 && self.config.file.is_some() {
                    // Nothing new at all: back off instead of spinning on EOF.
                    tokio::time::sleep(self.eof_wait).await;
                }
                break;
            }
            read_any = true;
        }
        if rows == 0 {
            return Ok(None);
        }
        let batch = self.build_batch(&mut values, rows)?;
        if let Some(txn) = self.ctx.as_ref().and_then(|c| c.transactions.as_ref()) {
            self.batches_in_transaction += 1;
            if at_end || self.batches_in_transaction >= CHUNK_BATCHES {
                txn.commit_transaction();
                self.batches_in_transaction = 0;
            }
        }
        Ok(Some(batch))
    }

    async fn stop(&mut self) -> Result<()> {
        self.input = None;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Sink connector
// ---------------------------------------------------------------------------------------------

/// `org.apache.kafka.connect.file.FileStreamSinkConnector`.
#[derive(Debug)]
pub struct FileStreamSinkConnector;

declare_config! {
    /// Parsed sink configuration (Java's `FileStreamSinkConnector.CONFIG_DEF`).
    #[derive(Debug, Clone, PartialEq)]
    pub struct FileSinkConfig {
        /// `None` writes to stdout.
        pub file: Option<String> {
            key: FILE_CONFIG,
            ty: String,
            default: null,
            importance: High,
            doc: "Destination filename. If not specified, the standard output will be used",
        },
    }
}

impl Connector for FileStreamSinkConnector {
    type Config = FileSinkConfig;

    fn info() -> PluginInfo {
        PluginInfo {
            class: SINK_CONNECTOR_CLASS,
            extra_aliases: &[],
            kind: PluginType::Sink,
            version: VERSION,
        }
    }

    fn config_def() -> ConfigDef {
        FileSinkConfig::config_def()
    }

    fn parse(props: &Props) -> Result<Self::Config> {
        FileSinkConfig::parse(props)
    }

    fn task_class() -> &'static str {
        SINK_TASK_CLASS
    }

    /// `max_tasks` copies of the config; every task appends to the same file.
    fn task_configs(_config: &Self::Config, props: &Props, max_tasks: usize) -> Result<Vec<Props>> {
        let mut task = props.clone();
        task.insert(TASK_CLASS_KEY.to_string(), SINK_TASK_CLASS.to_string());
        Ok(vec![task; max_tasks])
    }

    /// Java's FileStreamSinkConnector accepts any alteration of its (framework-managed)
    /// consumer-group offsets and answers `true`, which selects the REST message.
    fn alter_offsets(_props: &Props, _offsets: &[(SourceMap, Option<SourceMap>)]) -> Result<bool> {
        Ok(true)
    }

    fn create_task(task_props: &Props) -> Result<TaskInstance> {
        let config = FileSinkConfig::parse(task_props)?;
        Ok(TaskInstance::Sink(Box::new(FileStreamSinkTask::new(
            config,
        ))))
    }
}

// ---------------------------------------------------------------------------------------------
// Sink task
// ---------------------------------------------------------------------------------------------

enum Output {
    File(Arc<std::fs::File>),
    Stdout,
}

/// `org.apache.kafka.connect.file.FileStreamSinkTask`: appends one line per record.
pub struct FileStreamSinkTask {
    config: FileSinkConfig,
    output: Option<Output>,
    /// Formatted lines not yet handed to the OS.
    buf: Vec<u8>,
}

impl std::fmt::Debug for FileStreamSinkTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStreamSinkTask")
            .field("file", &self.config.file)
            .field("buffered", &self.buf.len())
            .finish()
    }
}

impl FileStreamSinkTask {
    pub fn new(config: FileSinkConfig) -> Self {
        FileStreamSinkTask {
            config,
            output: None,
            buf: Vec::new(),
        }
    }

    fn log_name(&self) -> &str {
        self.config.file.as_deref().unwrap_or("stdout")
    }

    /// Hand the buffer to the OS (on the blocking pool); with `sync`, fsync the file after.
    async fn write_out(&mut self, sync: bool) -> Result<()> {
        let Some(output) = self.output.as_ref() else {
            return Ok(());
        };
        if self.buf.is_empty() && !sync {
            return Ok(());
        }
        let mut buf = std::mem::take(&mut self.buf);
        let name = self.log_name().to_string();
        let result = match output {
            Output::File(file) => {
                let file = file.clone();
                tokio::task::spawn_blocking(move || {
                    let mut res = (&*file).write_all(&buf);
                    if res.is_ok() && sync {
                        // Character devices and pipes (/dev/null, a FIFO) cannot be synced and
                        // say EINVAL; there is nothing more to make durable for them.
                        res = match file.sync_data() {
                            Err(e) if e.raw_os_error() == Some(22) => Ok(()),
                            other => other,
                        };
                    }
                    buf.clear();
                    (buf, res)
                })
                .await
            }
            Output::Stdout => {
                tokio::task::spawn_blocking(move || {
                    let mut out = std::io::stdout().lock();
                    let res = out.write_all(&buf).and_then(|_| out.flush());
                    buf.clear();
                    (buf, res)
                })
                .await
            }
        };
        let (buf, res) =
            result.map_err(|e| Error::bug(format!("FileStreamSinkTask write panicked: {e}")))?;
        self.buf = buf;
        res.map_err(|e| Error::from(e).context(format!("writing {name}")))
    }
}

#[async_trait]
impl SinkTask for FileStreamSinkTask {
    fn input(&self) -> SinkInput {
        SinkInput::Decoded
    }

    /// Writes values only, as Java's FileStreamSinkTask does.
    fn needs_headers(&self) -> bool {
        false
    }

    async fn start(&mut self, _ctx: SinkTaskContext) -> Result<()> {
        self.output = Some(match &self.config.file {
            None => Output::Stdout,
            Some(file) => {
                let handle = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(file)
                    .map_err(|e| {
                        Error::external(
                            format!("Couldn't find or create file '{file}' for FileStreamSinkTask"),
                            false,
                        )
                        .with_source(e)
                    })?;
                Output::File(Arc::new(handle))
            }
        });
        Ok(())
    }

    async fn put(&mut self, batch: Batch) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        let value = batch
            .column(columns::VALUE)
            .ok_or_else(|| Error::bug("FileStreamSinkTask: batch has no value column"))?;
        // BYTES print as base64: Java's `[B@<hash>` would carry no data into the file.
        let writer = JavaStringWriter::new(value, BytesText::Base64)?;
        for row in 0..batch.num_rows() {
            writer.write(row, &mut self.buf);
            self.buf.push(b'\n');
        }
        tracing::trace!(
            rows = batch.num_rows(),
            file = self.log_name(),
            "buffered lines"
        );
        if self.buf.len() >= SINK_BUFFER {
            self.write_out(false).await?;
        }
        Ok(())
    }

    async fn flush(&mut self, _consumed: &OffsetMap) -> Result<()> {
        self.write_out(true).await
    }

    async fn stop(&mut self) -> Result<()> {
        let res = self.write_out(true).await;
        self.output = None;
        res
    }
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::io::Write;
    use std::sync::Mutex;

    use arrow::array::{Array, Int32Array, StructArray};
    use arrow::datatypes::Fields;
    use strait_engine::batch::TopicPartition;
    use strait_engine::plugin::OffsetReader;

    /// A tiny in-memory offset store keyed by the partition's JSON.
    #[derive(Default)]
    struct MemOffsets(Mutex<HashMap<String, SourceMap>>);

    impl MemOffsets {
        fn with(partition: SourceMap, offset: SourceMap) -> Arc<Self> {
            let store = MemOffsets::default();
            store
                .0
                .lock()
                .unwrap()
                .insert(serde_json::Value::Object(partition).to_string(), offset);
            Arc::new(store)
        }
    }

    impl OffsetReader for MemOffsets {
        fn offset(&self, partition: &SourceMap) -> Option<SourceMap> {
            self.0
                .lock()
                .unwrap()
                .get(&serde_json::Value::Object(partition.clone()).to_string())
                .cloned()
        }
    }

    fn ctx(offsets: Arc<dyn OffsetReader>) -> SourceTaskContext {
        SourceTaskContext {
            connector: "file-source".into(),
            task_id: 0,
            offsets,
            transactions: None,
        }
    }

    fn props(pairs: &[(&str, &str)]) -> Props {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn source(path: &str, batch_size: usize) -> FileStreamSourceTask {
        let config = FileSourceConfig {
            file: Some(path.to_string()),
            topic: "lines".into(),
            batch_size,
        };
        FileStreamSourceTask::new(config)
            .with_waits(Duration::from_millis(10), Duration::from_millis(20))
    }

    fn values(batch: &Batch) -> Vec<String> {
        let col = batch
            .column(columns::VALUE)
            .unwrap()
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        col.iter().map(|v| v.unwrap().to_string()).collect()
    }

    fn position(batch: &Batch) -> i64 {
        match &batch.provenance {
            Provenance::Source(v) => v.last().unwrap().1[POSITION_FIELD].as_i64().unwrap(),
            other => panic!("unexpected provenance {other:?}"),
        }
    }

    /// Poll until `n` lines arrived (or a few empty polls passed).
    async fn poll_lines(task: &mut FileStreamSourceTask, n: usize) -> (Vec<String>, i64) {
        let mut out = Vec::new();
        let mut pos = -1;
        let mut empty = 0;
        while out.len() < n && empty < 20 {
            match task.poll().await.unwrap() {
                Some(b) => {
                    pos = position(&b);
                    out.extend(values(&b));
                }
                None => empty += 1,
            }
        }
        (out, pos)
    }

    #[test]
    fn config_keys_defaults_and_java_messages() {
        let def = FileSourceConfig::config_def();
        let errs = def.errors(&props(&[]));
        assert_eq!(
            errs,
            vec![
                "Missing required configuration \"topic\" which has no default value.".to_string()
            ]
        );
        let errs = def.errors(&props(&[("topic", "")]));
        assert_eq!(
            errs,
            vec!["Invalid value  for configuration topic: String must be non-empty".to_string()]
        );
        let c = FileSourceConfig::parse(&props(&[("topic", "t")])).unwrap();
        assert_eq!(
            c,
            FileSourceConfig {
                file: None,
                topic: "t".into(),
                batch_size: 2000
            }
        );
        let c =
            FileSourceConfig::parse(&props(&[("topic", "t"), ("file", ""), ("batch.size", "0")]))
                .unwrap();
        assert_eq!((c.file, c.batch_size), (None, 1));
        assert!(FileSourceConfig::parse(&props(&[("topic", "t"), ("batch.size", "x")])).is_err());
        assert_eq!(FileSinkConfig::parse(&props(&[])).unwrap().file, None);
    }

    #[test]
    fn always_one_source_task_and_n_sink_tasks() {
        let p = props(&[("topic", "t"), ("file", "/tmp/x")]);
        let c = FileStreamSourceConnector::parse(&p).unwrap();
        let tasks = FileStreamSourceConnector::task_configs(&c, &p, 5).unwrap();
        assert_eq!(tasks.len(), 1);
        assert_eq!(tasks[0]["task.class"], SOURCE_TASK_CLASS);
        assert_eq!(tasks[0]["file"], "/tmp/x");
        let sc = FileStreamSinkConnector::parse(&p).unwrap();
        let tasks = FileStreamSinkConnector::task_configs(&sc, &p, 3).unwrap();
        assert_eq!(tasks.len(), 3);
        assert_eq!(tasks[2]["task.class"], SINK_TASK_CLASS);
    }

    #[test]
    fn sink_to_dev_null_flushes_without_error() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let props = props(&[("topics", "t"), ("file", "/dev/null")]);
            let TaskInstance::Sink(mut task) =
                FileStreamSinkConnector::create_task(&props).unwrap()
            else {
                panic!("sink task expected");
            };
            task.start(strait_engine::plugin::SinkTaskContext::new("c", 0))
                .await
                .unwrap();
            task.flush(&strait_engine::batch::OffsetMap::new())
                .await
                .unwrap();
            task.stop().await.unwrap();
        });
    }

    #[test]
    fn alter_offsets_follows_java_checks() {
        let p = props(&[("topic", "t"), ("file", "/tmp/x")]);
        let part = source_partition("/tmp/x");
        let ok = [(part.clone(), Some(source_offset(5))), (part.clone(), None)];
        assert!(FileStreamSourceConnector::alter_offsets(&p, &ok).unwrap());
        let neg = [(part.clone(), Some(source_offset(-1)))];
        let e = FileStreamSourceConnector::alter_offsets(&p, &neg).unwrap_err();
        assert!(
            e.message().contains("should be a non-negative value"),
            "{e}"
        );
        let mut bad = SourceMap::new();
        bad.insert(POSITION_FIELD.into(), json!("12"));
        let e =
            FileStreamSourceConnector::alter_offsets(&p, &[(part.clone(), Some(bad))]).unwrap_err();
        assert!(e.message().contains("expected to be a Long value"), "{e}");
        let e = FileStreamSourceConnector::alter_offsets(&p, &[(part, Some(SourceMap::new()))])
            .unwrap_err();
        assert!(
            e.message()
                .contains("should either be null or contain the key 'position'"),
            "{e}"
        );
        let e = FileStreamSourceConnector::alter_offsets(
            &p,
            &[(SourceMap::new(), Some(source_offset(1)))],
        )
        .unwrap_err();
        assert!(
            e.message().contains("should contain the key 'filename'"),
            "{e}"
        );
        let stdin = props(&[("topic", "t")]);
        let e = FileStreamSourceConnector::alter_offsets(&stdin, &[]).unwrap_err();
        assert!(e
            .message()
            .starts_with("Offsets cannot be modified if the 'file' configuration is unspecified"));
    }

    #[tokio::test]
    async fn reads_utf8_empty_lines_and_every_terminator() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.txt");
        let text = "héllo wörld\n\nCRLF line\r\nlone CR\rlast 日本語\n";
        std::fs::write(&path, text).unwrap();
        let mut task = source(path.to_str().unwrap(), 100);
        task.start(ctx(Arc::new(MemOffsets::default())))
            .await
            .unwrap();
        let batch = task.poll().await.unwrap().unwrap();
        assert_eq!(
            values(&batch),
            vec!["héllo wörld", "", "CRLF line", "lone CR", "last 日本語"]
        );
        assert_eq!(
            position(&batch),
            text.len() as i64,
            "byte position after the last terminator"
        );
        assert_eq!(
            batch.provenance,
            Provenance::Source(vec![(
                source_partition(path.to_str().unwrap()),
                source_offset(text.len() as i64)
            )])
        );
        let schema = batch.records.schema();
        assert!(schema::is_schemaless(
            schema.field_with_name(columns::KEY).unwrap()
        ));
        assert_eq!(batch.column(columns::KEY).unwrap().null_count(), 5);
        assert_eq!(batch.topic_at(4), Some("lines"));
        // Nothing more: an empty poll after a short wait.
        assert!(task.poll().await.unwrap().is_none());
    }

    #[tokio::test]
    async fn trailing_cr_waits_for_the_next_byte_and_partial_lines_wait() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.txt");
        std::fs::write(&path, "a\r").unwrap();
        let mut task = source(path.to_str().unwrap(), 100);
        task.start(ctx(Arc::new(MemOffsets::default())))
            .await
            .unwrap();
        assert!(
            task.poll().await.unwrap().is_none(),
            "\\r at the end may be half of \\r\\n"
        );
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b"\nb").unwrap();
        let batch = task.poll().await.unwrap().unwrap();
        assert_eq!(values(&batch), vec!["a"]);
        assert_eq!(position(&batch), 3);
        assert!(
            task.poll().await.unwrap().is_none(),
            "b has no terminator yet"
        );
        f.write_all(b"\r").unwrap();
        assert!(task.poll().await.unwrap().is_none());
        f.write_all(b"c\n").unwrap();
        let batch = task.poll().await.unwrap().unwrap();
        assert_eq!(values(&batch), vec!["b", "c"]);
        assert_eq!(position(&batch), 7);
    }

    #[tokio::test]
    async fn invalid_utf8_is_replaced_and_batch_size_is_honoured() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.txt");
        let mut data = b"ok\nbad \xff\xfe end\n".to_vec();
        for i in 0..10 {
            data.extend_from_slice(format!("n{i}\n").as_bytes());
        }
        std::fs::write(&path, &data).unwrap();
        let mut task = source(path.to_str().unwrap(), 4);
        task.start(ctx(Arc::new(MemOffsets::default())))
            .await
            .unwrap();
        let b1 = task.poll().await.unwrap().unwrap();
        assert_eq!(
            values(&b1),
            vec!["ok", "bad \u{FFFD}\u{FFFD} end", "n0", "n1"]
        );
        assert_eq!(position(&b1), 3 + 11 + 3 + 3);
        let b2 = task.poll().await.unwrap().unwrap();
        assert_eq!(b2.num_rows(), 4);
        let b3 = task.poll().await.unwrap().unwrap();
        assert_eq!(values(&b3), vec!["n6", "n7", "n8", "n9"]);
        assert_eq!(position(&b3), data.len() as i64);
    }

    #[tokio::test]
    async fn one_megabyte_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.txt");
        let big = "x".repeat(1 << 20);
        std::fs::write(&path, format!("{big}\nsmall\n")).unwrap();
        let mut task = source(path.to_str().unwrap(), 10);
        task.start(ctx(Arc::new(MemOffsets::default())))
            .await
            .unwrap();
        let (lines, pos) = poll_lines(&mut task, 2).await;
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].len(), 1 << 20);
        assert_eq!(lines[1], "small");
        assert_eq!(pos, (1 << 20) + 1 + 6);
    }

    #[tokio::test]
    async fn resumes_from_stored_byte_offset() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.txt");
        let file = path.to_str().unwrap().to_string();
        std::fs::write(&path, "ünï\ncödé\nthird\n").unwrap();
        // First run: read everything, remember the offset after the first line.
        let mut task = source(&file, 1);
        task.start(ctx(Arc::new(MemOffsets::default())))
            .await
            .unwrap();
        let first = task.poll().await.unwrap().unwrap();
        assert_eq!(values(&first), vec!["ünï"]);
        let committed = position(&first);
        assert_eq!(committed, "ünï\n".len() as i64);
        // Restart from the committed offset.
        let offsets = MemOffsets::with(source_partition(&file), source_offset(committed));
        let mut task = source(&file, 100);
        task.start(ctx(offsets)).await.unwrap();
        let batch = task.poll().await.unwrap().unwrap();
        assert_eq!(values(&batch), vec!["cödé", "third"]);
        assert_eq!(
            position(&batch),
            std::fs::metadata(&path).unwrap().len() as i64
        );
    }

    #[tokio::test]
    async fn non_integer_offset_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.txt");
        let file = path.to_str().unwrap().to_string();
        std::fs::write(&path, "a\n").unwrap();
        let mut bad = SourceMap::new();
        bad.insert(POSITION_FIELD.into(), json!("3"));
        let mut task = source(&file, 10);
        task.start(ctx(MemOffsets::with(source_partition(&file), bad)))
            .await
            .unwrap();
        let err = task.poll().await.unwrap_err();
        assert!(
            err.message()
                .contains("Offset position is the incorrect type"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn missing_file_is_awaited_then_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("later.txt");
        let mut task = source(path.to_str().unwrap(), 10);
        task.start(ctx(Arc::new(MemOffsets::default())))
            .await
            .unwrap();
        assert!(task.poll().await.unwrap().is_none());
        assert!(task.poll().await.unwrap().is_none());
        std::fs::write(&path, "finally\n").unwrap();
        let batch = task.poll().await.unwrap().unwrap();
        assert_eq!(values(&batch), vec!["finally"]);
        assert_eq!(position(&batch), 8);
    }

    fn value_batch(field: Field, array: ArrayRef) -> Batch {
        let schema = Arc::new(Schema::new(vec![field.with_name(columns::VALUE)]));
        Batch::new(
            RecordBatch::try_new(schema, vec![array]).unwrap(),
            Provenance::None,
        )
    }

    #[tokio::test]
    async fn sink_appends_java_strings_and_fsyncs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        std::fs::write(&path, "existing\n").unwrap();
        let mut task = FileStreamSinkTask::new(FileSinkConfig {
            file: Some(path.to_str().unwrap().into()),
        });
        task.start(SinkTaskContext::new("sink", 0)).await.unwrap();

        let strings: ArrayRef = Arc::new(StringArray::from(vec![Some("plain"), None, Some("")]));
        task.put(value_batch(Field::new("v", DataType::Utf8, true), strings))
            .await
            .unwrap();

        let fields = Fields::from(vec![
            Field::new("a", DataType::Int32, true),
            Field::new("b", DataType::Utf8, true),
        ]);
        let structs = StructArray::try_new(
            fields.clone(),
            vec![
                Arc::new(Int32Array::from(vec![Some(1), None])) as ArrayRef,
                Arc::new(StringArray::from(vec![Some("x"), Some("y")])) as ArrayRef,
            ],
            None,
        )
        .unwrap();
        task.put(value_batch(
            Field::new("v", DataType::Struct(fields), true),
            Arc::new(structs),
        ))
        .await
        .unwrap();
        // Tombstones (JsonConverter with schemas: a Null column without schema) print as Java
        // prints a null value.
        task.put(value_batch(
            Field::new("v", DataType::Null, true),
            Arc::new(arrow::array::NullArray::new(2)),
        ))
        .await
        .unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "existing\n",
            "buffered until flush"
        );

        let consumed = OffsetMap::from([(TopicPartition::new("t", 0), 5)]);
        let committable = task.pre_commit(&consumed).await.unwrap();
        assert_eq!(committable, consumed);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "existing\nplain\nnull\n\nStruct{a=1,b=x}\nStruct{b=y}\nnull\nnull\n"
        );
        task.stop().await.unwrap();
    }

    #[tokio::test]
    async fn sink_reports_unopenable_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no/such/dir/out.txt");
        let mut task = FileStreamSinkTask::new(FileSinkConfig {
            file: Some(path.to_str().unwrap().into()),
        });
        let err = task
            .start(SinkTaskContext::new("sink", 0))
            .await
            .unwrap_err();
        assert!(
            err.message().starts_with("Couldn't find or create file '"),
            "{err}"
        );
    }
}
