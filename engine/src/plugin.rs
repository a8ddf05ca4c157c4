//! Plugin traits: connectors, source and sink tasks, converters.
//!
//! A connector is written against the typed [`Connector`] trait (with its own config type) and
//! registered through [`connector_plugin`], which erases it into an object-safe
//! [`ConnectorPlugin`] that the registry, the REST layer and the herders use.

use std::collections::{BTreeMap, BTreeSet};
use std::marker::PhantomData;
use std::sync::Arc;

use arrow::array::{ArrayRef, BinaryArray};
use arrow::datatypes::Field;
use async_trait::async_trait;

use crate::batch::{Batch, OffsetMap, SourceMap, TopicPartition};
use crate::config::{ConfigDef, ConfigValue, Props};
use crate::error::{Error, Result};

/// Kind of plugin, spelled as Kafka Connect's `PluginType` in REST responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PluginType {
    Sink,
    Source,
    Transformation,
    Predicate,
    Converter,
    HeaderConverter,
}

impl PluginType {
    pub fn as_str(self) -> &'static str {
        match self {
            PluginType::Sink => "sink",
            PluginType::Source => "source",
            PluginType::Transformation => "transformation",
            PluginType::Predicate => "predicate",
            PluginType::Converter => "converter",
            PluginType::HeaderConverter => "header_converter",
        }
    }
}

/// Static description of a plugin: its Java class name, extra aliases, type and version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginInfo {
    /// The fully qualified Java class name users already put in their configs.
    pub class: &'static str,
    /// Extra names accepted besides the Java-derived aliases (simple name, and simple name
    /// without its type suffix), e.g. `blackhole`.
    pub extra_aliases: &'static [&'static str],
    pub kind: PluginType,
    pub version: &'static str,
}

impl PluginInfo {
    /// Java's aliases of the class (`PluginUtils.simpleName` and `prunedName`): its simple name
    /// (a nested class's own name, as `Class.getSimpleName()` gives it: `Cast$Value` → `Value`)
    /// and that name cut at the last occurrence of the plugin type's name (`Connector`,
    /// `Converter`, `HeaderConverter`, `Transformation`, `Predicate`) when it does not start
    /// with it. Java drops an alias that several classes share (see [`ambiguous_aliases`]).
    pub fn java_aliases(&self) -> Vec<String> {
        let simple = self.class.rsplit('.').next().unwrap_or(self.class);
        let simple = simple.rsplit('$').next().unwrap_or(simple);
        let suffix = match self.kind {
            PluginType::Sink | PluginType::Source => "Connector",
            PluginType::Converter => "Converter",
            PluginType::HeaderConverter => "HeaderConverter",
            PluginType::Transformation => "Transformation",
            PluginType::Predicate => "Predicate",
        };
        let mut out = vec![simple.to_string()];
        if let Some(pos) = simple.rfind(suffix).filter(|&p| p > 0) {
            out.push(simple[..pos].to_string());
        }
        out.dedup();
        out
    }

    /// Every name this plugin answers to: the class name, the Java aliases
    /// ([`java_aliases`](Self::java_aliases)) and the extra aliases.
    pub fn names(&self) -> Vec<String> {
        let mut names = vec![self.class.to_string()];
        names.extend(self.java_aliases());
        names.extend(self.extra_aliases.iter().map(|s| s.to_string()));
        names.dedup();
        names
    }
}

/// The Java aliases that name more than one class among `infos`: Java's
/// `PluginUtils.computeAliases` ignores them (`Key` and `Value` name every `$Key` / `$Value`
/// transform), so such a name resolves to nothing.
pub fn ambiguous_aliases<'a>(infos: impl IntoIterator<Item = &'a PluginInfo>) -> BTreeSet<String> {
    let mut classes: BTreeMap<String, BTreeSet<&'static str>> = BTreeMap::new();
    for info in infos {
        for alias in info.java_aliases() {
            classes.entry(alias).or_default().insert(info.class);
        }
    }
    classes
        .into_iter()
        .filter(|(_, c)| c.len() > 1)
        .map(|(a, _)| a)
        .collect()
}

/// The item `name` names, as Java's plugin class loader resolves a name: a class name, or a
/// Java alias ([`PluginInfo::java_aliases`]) no other item shares, or one of Strait's extra
/// aliases. `name` is taken as it is (not trimmed).
pub fn resolve_by_name<'a, T>(
    items: &[&'a T],
    info: impl Fn(&T) -> PluginInfo,
    name: &str,
) -> Option<&'a T> {
    let infos: Vec<PluginInfo> = items.iter().map(|i| info(i)).collect();
    let ambiguous = ambiguous_aliases(&infos);
    let at = infos.iter().position(|i| i.class == name).or_else(|| {
        infos.iter().position(|i| {
            i.java_aliases()
                .iter()
                .any(|a| a == name && !ambiguous.contains(a))
                || i.extra_aliases.contains(&name)
        })
    })?;
    Some(items[at])
}

/// Source or sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConnectorType {
    Source,
    Sink,
}

/// A connector, written against its own typed config.
pub trait Connector: Send + Sync + 'static {
    /// The parsed, validated configuration of this connector.
    type Config: Send + Sync + 'static;

    fn info() -> PluginInfo;

    /// Source or sink, as the plugin type in [`info`](Connector::info) says.
    fn connector_type() -> ConnectorType {
        match Self::info().kind {
            PluginType::Sink => ConnectorType::Sink,
            _ => ConnectorType::Source,
        }
    }

    /// The connector's own keys (framework keys are added by the runtime).
    fn config_def() -> ConfigDef;

    /// Parse and check the config. Pure: no I/O.
    fn parse(props: &Props) -> Result<Self::Config>;

    /// Per-key validation results beyond what `config_def` checks (cross-key rules). The
    /// default reports what the definition reports.
    fn validate(props: &Props) -> Vec<ConfigValue> {
        Self::config_def().validate(props)
    }

    /// The Java task class name, put into every task config as `task.class`.
    fn task_class() -> &'static str;

    /// Split the work into at most `max_tasks` task configs.
    fn task_configs(config: &Self::Config, props: &Props, max_tasks: usize) -> Result<Vec<Props>>;

    /// Build a task from its task config.
    fn create_task(task_props: &Props) -> Result<TaskInstance>;

    /// Hook of the REST offsets API (KIP-875): check an alteration before the framework writes
    /// it. `Ok(true)` says the connector is fully handled by the framework's offsets (REST answers
    /// "altered successfully"); `Ok(false)` (Java's default) adds that externally managed offsets
    /// must be altered elsewhere. An error rejects the request.
    fn alter_offsets(_props: &Props, _offsets: &[(SourceMap, Option<SourceMap>)]) -> Result<bool> {
        Ok(false)
    }

    /// Whether a source connector can provide exactly-once semantics with this config (Java's
    /// `SourceConnector.exactlyOnceSupport`), asked by the preflight check of
    /// `exactly.once.support=required`. `Ok(None)` is Java's default `null`: the connector does
    /// not implement the check. An error is reported on the key, as Java reports an exception.
    fn exactly_once_support(_props: &Props) -> Result<Option<ExactlyOnceSupport>> {
        Ok(None)
    }

    /// Whether a source connector can define its own transaction boundaries with this config
    /// (Java's `SourceConnector.canDefineTransactionBoundaries`; Java's default is
    /// `UNSUPPORTED`), asked when `transaction.boundary=connector`. A connector that says
    /// `Supported` uses the [`TransactionContext`] its tasks get.
    fn can_define_transaction_boundaries(
        _props: &Props,
    ) -> Result<Option<ConnectorTransactionBoundaries>> {
        Ok(Some(ConnectorTransactionBoundaries::Unsupported))
    }
}

/// Java's `org.apache.kafka.connect.source.ExactlyOnceSupport`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExactlyOnceSupport {
    Supported,
    Unsupported,
}

/// Java's `org.apache.kafka.connect.source.ConnectorTransactionBoundaries`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectorTransactionBoundaries {
    Supported,
    Unsupported,
}

/// A task instance built from a task config.
pub enum TaskInstance {
    Source(Box<dyn SourceTask>),
    Sink(Box<dyn SinkTask>),
}

impl std::fmt::Debug for TaskInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TaskInstance::Source(_) => f.write_str("TaskInstance::Source"),
            TaskInstance::Sink(_) => f.write_str("TaskInstance::Sink"),
        }
    }
}

/// Object-safe twin of [`Connector`], used by the registry, REST layer and herders.
pub trait ConnectorPlugin: Send + Sync {
    fn info(&self) -> PluginInfo;
    fn connector_type(&self) -> ConnectorType;
    fn config_def(&self) -> ConfigDef;
    fn validate(&self, props: &Props) -> Vec<ConfigValue>;
    fn check(&self, props: &Props) -> Result<()>;
    fn task_class(&self) -> &'static str;
    fn task_configs(&self, props: &Props, max_tasks: usize) -> Result<Vec<Props>>;
    fn create_task(&self, task_props: &Props) -> Result<TaskInstance>;
    fn alter_offsets(
        &self,
        props: &Props,
        offsets: &[(SourceMap, Option<SourceMap>)],
    ) -> Result<bool>;
    fn exactly_once_support(&self, props: &Props) -> Result<Option<ExactlyOnceSupport>>;
    fn can_define_transaction_boundaries(
        &self,
        props: &Props,
    ) -> Result<Option<ConnectorTransactionBoundaries>>;
}

struct Erased<C>(PhantomData<fn() -> C>);

impl<C: Connector> ConnectorPlugin for Erased<C> {
    fn info(&self) -> PluginInfo {
        C::info()
    }
    fn connector_type(&self) -> ConnectorType {
        C::connector_type()
    }
    fn config_def(&self) -> ConfigDef {
        C::config_def()
    }
    fn validate(&self, props: &Props) -> Vec<ConfigValue> {
        C::validate(props)
    }
    fn check(&self, props: &Props) -> Result<()> {
        C::parse(props).map(|_| ())
    }
    fn task_class(&self) -> &'static str {
        C::task_class()
    }
    fn task_configs(&self, props: &Props, max_tasks: usize) -> Result<Vec<Props>> {
        let config = C::parse(props)?;
        C::task_configs(&config, props, max_tasks)
    }
    fn create_task(&self, task_props: &Props) -> Result<TaskInstance> {
        C::create_task(task_props)
    }
    fn alter_offsets(
        &self,
        props: &Props,
        offsets: &[(SourceMap, Option<SourceMap>)],
    ) -> Result<bool> {
        C::alter_offsets(props, offsets)
    }
    fn exactly_once_support(&self, props: &Props) -> Result<Option<ExactlyOnceSupport>> {
        C::exactly_once_support(props)
    }
    fn can_define_transaction_boundaries(
        &self,
        props: &Props,
    ) -> Result<Option<ConnectorTransactionBoundaries>> {
        C::can_define_transaction_boundaries(props)
    }
}

/// Erase a typed connector for registration.
pub fn connector_plugin<C: Connector>() -> Arc<dyn ConnectorPlugin> {
    Arc::new(Erased::<C>(PhantomData))
}

/// Read access to committed source offsets, handed to source tasks at start.
pub trait OffsetReader: Send + Sync {
    fn offset(&self, partition: &SourceMap) -> Option<SourceMap>;
}

/// What a source task gets at start.
#[derive(Clone)]
pub struct SourceTaskContext {
    pub connector: String,
    pub task_id: u32,
    pub offsets: Arc<dyn OffsetReader>,
    /// Connector-defined transaction boundaries (Java's `SourceTaskContext.transactionContext`):
    /// present only when the task runs exactly-once with `transaction.boundary=connector`.
    pub transactions: Option<TransactionContext>,
}

/// Lets a source task define its own transaction boundaries (Java's `TransactionContext`) when
/// it runs exactly-once with `transaction.boundary=connector`.
///
/// A request applies to the batch the task's current (or, when made outside `poll`, next)
/// `poll` returns: once that batch is produced, its transaction is committed or aborted.
/// Difference from Java: there is no per-record variant (`commitTransaction(SourceRecord)`).
/// A Strait batch carries one set of source offsets, so a task ends the batch at the record it
/// wants the transaction to end with. An abort discards the transaction's records, but their
/// offsets are still committed (in a transaction of their own) so they are not read again, as
/// in Java; a task that wants them re-read fails instead. When both are requested for one
/// batch, the abort wins.
#[derive(Debug, Clone, Default)]
pub struct TransactionContext {
    request: Arc<std::sync::Mutex<Option<TransactionRequest>>>,
}

/// What a task asked its [`TransactionContext`] for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionRequest {
    Commit,
    Abort,
}

impl TransactionContext {
    /// Commit the transaction after the next batch is produced.
    pub fn commit_transaction(&self) {
        self.set(TransactionRequest::Commit);
    }

    /// Abort the transaction after the next batch is produced; its offsets still commit.
    pub fn abort_transaction(&self) {
        self.set(TransactionRequest::Abort);
    }

    fn set(&self, request: TransactionRequest) {
        let mut slot = self.request.lock().unwrap_or_else(|p| p.into_inner());
        if *slot != Some(TransactionRequest::Abort) {
            *slot = Some(request);
        }
    }

    /// The request made since the last call, if any (the task driver's side).
    pub(crate) fn take(&self) -> Option<TransactionRequest> {
        self.request
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }
}

impl std::fmt::Debug for SourceTaskContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SourceTaskContext({}-{})", self.connector, self.task_id)
    }
}

/// A source task produces batches: columns `topic` (Utf8), `value` and optionally `key`,
/// `partition`, `timestamp`, `headers` (see [`columns`](crate::batch::columns)), with decoded
/// (typed) key and value, and [`Provenance::Source`](crate::batch::Provenance) offsets.
#[async_trait]
pub trait SourceTask: Send {
    async fn start(&mut self, ctx: SourceTaskContext) -> Result<()>;
    /// The next batch, or `None` when nothing is available right now (the runtime polls
    /// again). An error fails the task, as an exception from `poll` does in Kafka Connect.
    async fn poll(&mut self) -> Result<Option<Batch>>;
    /// Called after offsets were committed.
    async fn commit(&mut self) -> Result<()> {
        Ok(())
    }
    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

/// Whether a sink needs key and value decoded into typed columns, or takes raw bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkInput {
    /// Key and value as the payload bytes, never parsed.
    Raw,
    /// Key and value decoded by the configured converters.
    Decoded,
    /// The value as one line of JSON text per record whenever the value converter's payloads
    /// already are the value's plain JSON (`JsonConverter` with `schemas.enable=false`, see
    /// [`Converter::plain_json`]): checked and normalised without building values, never
    /// parsed into columns unless a transform reads the value (then encoded back to JSON by
    /// the same converter). With any other value converter the value arrives decoded.
    /// [`SinkTaskContext::plain_json_values`] says which. The key is decoded when `decode_key`
    /// is set (or a transform reads it), else left raw.
    JsonValue { decode_key: bool },
}

/// What a sink task gets at start: its identity, and Java's `SinkTaskContext` requests to the
/// runtime (assignment, pause/resume, request-commit, rewind, a redelivery timeout) plus an
/// errant record reporter.
///
/// Requests are recorded here and carried out by the task driver between calls into the task
/// (after `put`, `open`, `pre_commit`), as Java's `WorkerSinkTask` does. The handle is cheap to
/// clone; a task may keep it and use it from `put`, `pre_commit` or `close`.
#[derive(Clone)]
pub struct SinkTaskContext {
    pub connector: String,
    pub task_id: u32,
    shared: Arc<SinkContextShared>,
}

/// State shared between a task's [`SinkTaskContext`] and its driver.
#[derive(Default)]
pub(crate) struct SinkContextShared {
    pub(crate) assignment: std::sync::Mutex<BTreeSet<TopicPartition>>,
    pub(crate) requests: std::sync::Mutex<SinkRequests>,
    /// Partitions whose `pre_commit` is the last before they are revoked, while it runs.
    pub(crate) revoking: std::sync::Mutex<Vec<TopicPartition>>,
    pub(crate) reporter: Option<Arc<dyn ErrantRecordReporter>>,
    /// Values arrive as plain JSON text ([`SinkInput::JsonValue`] with a plain-JSON converter).
    pub(crate) plain_json_values: bool,
    /// Set by [`SinkTaskContext::wake`]; the driver then calls `tick` and carries out requests.
    pub(crate) wake: tokio::sync::Notify,
}

/// Requests a task made through its context that the driver has not carried out yet.
#[derive(Debug, Default)]
pub(crate) struct SinkRequests {
    /// Partition → paused (true) or resumed (false), in request order per partition.
    pub(crate) pause: BTreeMap<TopicPartition, bool>,
    /// Next offset to read per partition (Java's `SinkTaskContext.offset`).
    pub(crate) rewind: OffsetMap,
    /// Redelivery backoff after a retriable `put` failure (Java's `SinkTaskContext.timeout`).
    pub(crate) timeout: Option<std::time::Duration>,
    pub(crate) commit: bool,
}

impl std::fmt::Debug for SinkTaskContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SinkTaskContext({}-{})", self.connector, self.task_id)
    }
}

impl SinkTaskContext {
    /// A context not attached to a running driver (tests, benches): requests are recorded and
    /// nothing acts on them; there is no errant record reporter.
    pub fn new(connector: impl Into<String>, task_id: u32) -> Self {
        SinkTaskContext {
            connector: connector.into(),
            task_id,
            shared: Arc::default(),
        }
    }

    pub(crate) fn attached(
        connector: String,
        task_id: u32,
        shared: Arc<SinkContextShared>,
    ) -> Self {
        SinkTaskContext {
            connector,
            task_id,
            shared,
        }
    }

    fn requests(&self) -> std::sync::MutexGuard<'_, SinkRequests> {
        self.shared.requests.lock().expect("sink context lock")
    }

    /// The partitions currently assigned to this task.
    pub fn assignment(&self) -> BTreeSet<TopicPartition> {
        self.shared
            .assignment
            .lock()
            .expect("sink context lock")
            .clone()
    }

    /// Stop consuming these partitions until [`resume`](Self::resume) (the task's own pause,
    /// independent of pausing the connector).
    pub fn pause(&self, partitions: &[TopicPartition]) {
        let mut r = self.requests();
        for tp in partitions {
            r.pause.insert(tp.clone(), true);
        }
    }

    /// Resume partitions paused with [`pause`](Self::pause).
    pub fn resume(&self, partitions: &[TopicPartition]) {
        let mut r = self.requests();
        for tp in partitions {
            r.pause.insert(tp.clone(), false);
        }
    }

    /// Rewind (or skip) consumption: the next record read from each partition is the one at
    /// the given offset. Records of those partitions already read but not yet given to `put`
    /// are dropped, as Java's consumer seek drops its fetch buffer.
    pub fn offset(&self, offsets: &OffsetMap) {
        self.requests()
            .rewind
            .extend(offsets.iter().map(|(k, v)| (k.clone(), *v)));
    }

    /// After a retriable `put` failure, redeliver the same batch after this long (Java's
    /// `SinkTaskContext.timeout`); without it the batch is redelivered at the next offset commit
    /// interval.
    pub fn timeout(&self, backoff: std::time::Duration) {
        self.requests().timeout = Some(backoff);
    }

    /// Ask for an offset commit (`pre_commit`) as soon as possible.
    pub fn request_commit(&self) {
        self.requests().commit = true;
    }

    /// From work the task runs in the background (a bulk request that finished): have the
    /// driver call [`SinkTask::tick`] soon and then carry out the requests made meanwhile
    /// (resume, commit), even while no records arrive (e.g. every partition is paused).
    /// Java's sinks get that chance from the empty `put` calls after `context.timeout`.
    pub fn wake(&self) {
        self.shared.wake.notify_one();
    }

    /// During `pre_commit`: the partitions about to be revoked (their last commit before
    /// `close`); empty for periodic commits and the final commit on stop.
    pub fn revoking(&self) -> Vec<TopicPartition> {
        self.shared
            .revoking
            .lock()
            .expect("sink context lock")
            .clone()
    }

    /// For a [`SinkInput::JsonValue`] task: whether the `value` column holds the records' plain
    /// JSON text (Binary, one line per record, null for null values) rather than decoded
    /// values. Fixed for the task's life.
    pub fn plain_json_values(&self) -> bool {
        self.shared.plain_json_values
    }

    /// Java's `errantRecordReporter()`: where a task reports single records it cannot write.
    /// `None` outside a running driver.
    pub fn errant_record_reporter(&self) -> Option<Arc<dyn ErrantRecordReporter>> {
        self.shared.reporter.clone()
    }
}

/// Reports records a sink task could not write (Java's `ErrantRecordReporter`, KIP-610). The
/// runtime handles each per `errors.tolerance`: with `none` the report fails (the task should
/// return the error from `put`, failing the task); with `all` the record is logged if
/// `errors.log.enable` is set and written to the dead letter queue, with its original key,
/// value and headers, before any offset covering it is committed.
pub trait ErrantRecordReporter: Send + Sync {
    /// Report row `row` of `batch` (a batch the task received in `put`) as failed with `error`.
    fn report(&self, batch: &Batch, row: usize, error: Error) -> Result<()>;
}

/// A sink task consumes batches read from Kafka.
#[async_trait]
pub trait SinkTask: Send {
    fn input(&self) -> SinkInput {
        SinkInput::Decoded
    }
    /// Whether the task reads record headers. A task that never does (and says so) spares the
    /// consumer parsing them, unless the header converter or the DLQ needs them anyway.
    fn needs_headers(&self) -> bool {
        true
    }
    async fn start(&mut self, ctx: SinkTaskContext) -> Result<()>;
    async fn open(&mut self, _partitions: &[TopicPartition]) -> Result<()> {
        Ok(())
    }
    async fn close(&mut self, _partitions: &[TopicPartition]) -> Result<()> {
        Ok(())
    }
    async fn put(&mut self, batch: Batch) -> Result<()>;
    /// Called before the runtime commits. `consumed` holds, per partition, the next offset after
    /// everything passed to `put`. Returns what is durable now and may be committed; the runtime
    /// never commits more than that. The default flushes and returns `consumed`.
    async fn pre_commit(&mut self, consumed: &OffsetMap) -> Result<OffsetMap> {
        self.flush(consumed).await?;
        Ok(consumed.clone())
    }
    async fn flush(&mut self, _consumed: &OffsetMap) -> Result<()> {
        Ok(())
    }
    /// Called on every offset commit interval before `pre_commit`, whether or not records
    /// arrived, and after [`SinkTaskContext::wake`]: where wall-clock logic runs without new
    /// data (Java's sinks get the same chance from the empty `put` calls of an idle poll loop,
    /// e.g. the S3 sink's `rotate.schedule.interval.ms`). An error fails the task.
    async fn tick(&mut self) -> Result<()> {
        Ok(())
    }
    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

/// A record that failed in a batch stage, by row index.
#[derive(Debug)]
pub struct RowError {
    pub row: usize,
    pub error: Error,
}

/// A run of consecutive rows of a decoded column that share one Connect schema (one Arrow type).
#[derive(Debug, Clone)]
pub struct Segment {
    /// Index of the segment's first row in the decoded column.
    pub start_row: usize,
    /// Field carrying the Connect schema (see [`schema`](crate::schema)); named by the caller.
    pub field: Field,
    /// The segment's rows, `array.len()` of them.
    pub array: ArrayRef,
}

impl Segment {
    /// One past the segment's last row.
    pub fn end_row(&self) -> usize {
        self.start_row + self.array.len()
    }
}

/// Result of decoding a column of payloads.
///
/// A column whose records change schema (e.g. JsonConverter envelopes with different schemas)
/// cannot be one Arrow array, so the result is a list of [`Segment`]s, one per run of records
/// with the same schema, in row order and covering every row. A column with one schema (the
/// common case) is one segment holding the whole array. The runtime splits the batch at every
/// segment boundary ([`split`](crate::runtime::split)).
#[derive(Debug)]
pub struct Decoded {
    /// Never empty (an empty input is one segment of length 0); `segments[0].start_row == 0`
    /// and each segment starts where the previous one ends.
    pub segments: Vec<Segment>,
    /// Rows that could not be decoded; they are null in the segment they fall in (failing never
    /// starts a segment by itself) and must be routed per `errors.tolerance` by the runtime.
    pub errors: Vec<RowError>,
}

impl Decoded {
    /// A column with one schema: one segment holding every row.
    pub fn single(field: Field, array: ArrayRef, errors: Vec<RowError>) -> Self {
        Decoded {
            segments: vec![Segment {
                start_row: 0,
                field,
                array,
            }],
            errors,
        }
    }

    /// Rows decoded, over all segments.
    pub fn num_rows(&self) -> usize {
        self.segments.last().map_or(0, Segment::end_row)
    }

    /// The segment of a column whose records all have one schema; `None` when they change
    /// schema.
    pub fn only(&self) -> Option<&Segment> {
        match self.segments.as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }
}

/// Converts between Kafka payload bytes and typed Arrow columns, a whole column at a time.
/// Method names mirror Java's `Converter` (`fromConnectData` / `toConnectData`).
///
/// Converters backed by a schema registry fetch what they need in the async `prepare_*` steps
/// the runtime awaits first (with the framework's retry policy: a retriable error, such as a
/// registry that does not answer, makes the task wait and try again), so that `to_connect` /
/// `from_connect_for` stay CPU-only and the registry is asked once per schema, never per record.
#[allow(clippy::wrong_self_convention)]
#[async_trait]
pub trait Converter: Send + Sync {
    /// Encode a typed column (with its Connect schema on `field`) into payload bytes, one per
    /// row. Null rows become null payloads unless the format encodes nulls (e.g. JSON envelope).
    fn from_connect(&self, field: &Field, column: &ArrayRef) -> Result<BinaryArray>;
    /// Decode payloads into typed columns, one [`Segment`] per run of records with one schema.
    fn to_connect(&self, payloads: &BinaryArray) -> Result<Decoded>;
    /// True when `to_connect` succeeds with no row errors on every possible input (e.g. raw
    /// bytes, or text decoded lossily). The sink then skips decoding header values whose decoded
    /// form nothing reads (DESIGN §2): running them through such a converter could never turn a
    /// record into an error. The default is the safe answer.
    fn decoding_never_fails(&self) -> bool {
        false
    }
    /// True when every payload is the Connect value's plain JSON text, with nothing around it
    /// (`JsonConverter` with `schemas.enable=false`): a sink that wants JSON can take the bytes
    /// as they are, after [`normalize_plain_json`](Self::normalize_plain_json).
    fn plain_json(&self) -> bool {
        false
    }
    /// For a [`plain_json`](Self::plain_json) converter: check each payload the way
    /// `to_connect` would parse it, without building values, and return per row the JSON text
    /// of the value on one line (what follows the first value is dropped, as Java's reader
    /// ignores it; line breaks between tokens become spaces), null where `to_connect` gives a
    /// null value (null, empty or `null` payloads), plus the rows that would fail to decode
    /// (null in the output), with `to_connect`'s errors.
    fn normalize_plain_json(
        &self,
        _payloads: &BinaryArray,
    ) -> Result<(BinaryArray, Vec<RowError>)> {
        Err(Error::bug(
            "normalize_plain_json called on a converter whose payloads are not plain JSON",
        ))
    }
    /// Fetch what decoding `payloads` needs (the schemas their ids name) before `to_connect`.
    /// Only failures that are no record's fault are errors here (a registry that cannot be
    /// reached); a payload naming a schema that does not exist is `to_connect`'s row error.
    async fn prepare_to_connect(&self, _topics: &ArrayRef, _payloads: &BinaryArray) -> Result<()> {
        Ok(())
    }
    /// `to_connect` for payloads read from `topics` (a topic column, one per row): converters
    /// whose decoding or messages depend on the topic override this.
    fn to_connect_for(&self, _topics: &ArrayRef, payloads: &BinaryArray) -> Result<Decoded> {
        self.to_connect(payloads)
    }
    /// Register or look up, before `from_connect_for`, the schema of `field` for each of
    /// `topics` (subject names derive from the topic).
    async fn prepare_from_connect(&self, _topics: &[String], _field: &Field) -> Result<()> {
        Ok(())
    }
    /// `from_connect` for records bound to `topics` (a topic column, one per row): converters
    /// whose output depends on the topic (a registry subject per topic) override this.
    fn from_connect_for(
        &self,
        _topics: &ArrayRef,
        field: &Field,
        column: &ArrayRef,
    ) -> Result<BinaryArray> {
        self.from_connect(field, column)
    }
}

/// What a converter is configured for: the config key naming it, the plugin type it must have,
/// and the `converter.type` the worker passes it (Java's `Worker.startTask` does the same for
/// all three).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConverterRole {
    Key,
    Value,
    Header,
}

impl ConverterRole {
    pub const ALL: [ConverterRole; 3] = [
        ConverterRole::Key,
        ConverterRole::Value,
        ConverterRole::Header,
    ];

    /// `key.converter`, `value.converter` or `header.converter`.
    pub fn config_key(self) -> &'static str {
        match self {
            ConverterRole::Key => "key.converter",
            ConverterRole::Value => "value.converter",
            ConverterRole::Header => "header.converter",
        }
    }

    /// The role a converter config key stands for.
    pub fn from_config_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.config_key() == key)
    }

    /// The plugin type a class must be registered as to fill this role.
    pub fn plugin_type(self) -> PluginType {
        match self {
            ConverterRole::Header => PluginType::HeaderConverter,
            _ => PluginType::Converter,
        }
    }

    /// The value of `converter.type`.
    pub fn converter_type(self) -> &'static str {
        match self {
            ConverterRole::Key => "key",
            ConverterRole::Value => "value",
            ConverterRole::Header => "header",
        }
    }
}

/// Registration entry of a converter.
#[derive(Clone)]
pub struct ConverterPlugin {
    pub info: PluginInfo,
    pub config_def: fn() -> ConfigDef,
    /// Build from the converter's own props (prefix stripped) and whether it converts keys.
    pub create: fn(props: &Props, is_key: bool) -> Result<Arc<dyn Converter>>,
}

impl std::fmt::Debug for ConverterPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ConverterPlugin({})", self.info.class)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_names_follow_java_alias_rules() {
        let info = PluginInfo {
            class: "org.apache.kafka.connect.file.FileStreamSourceConnector",
            extra_aliases: &[],
            kind: PluginType::Source,
            version: "1",
        };
        assert_eq!(
            info.names(),
            vec![
                "org.apache.kafka.connect.file.FileStreamSourceConnector",
                "FileStreamSourceConnector",
                "FileStreamSource"
            ]
        );
        let info = |class: &'static str, kind| PluginInfo {
            class,
            extra_aliases: &[],
            kind,
            version: "1",
        };
        // A nested class's simple name is its own name (`Class.getSimpleName()`).
        let cast = info(
            "org.apache.kafka.connect.transforms.Cast$Value",
            PluginType::Transformation,
        );
        assert_eq!(cast.java_aliases(), ["Value"]);
        // Pruned at the last occurrence of the type's name, when not at the start.
        let header = info(
            "org.apache.kafka.connect.storage.SimpleHeaderConverter",
            PluginType::HeaderConverter,
        );
        assert_eq!(header.java_aliases(), ["SimpleHeaderConverter", "Simple"]);
        let predicate = info("x.PredicateOnly", PluginType::Predicate);
        assert_eq!(predicate.java_aliases(), ["PredicateOnly"]);
        let mid = info("x.ConverterFoo", PluginType::Converter);
        assert_eq!(mid.java_aliases(), ["ConverterFoo"]);
        let inner = info("x.MyConverterImpl", PluginType::Converter);
        assert_eq!(inner.java_aliases(), ["MyConverterImpl", "My"]);
        // `Value` names two classes: ambiguous, so Java keeps it for neither.
        let extract = info(
            "org.apache.kafka.connect.transforms.ExtractField$Value",
            PluginType::Transformation,
        );
        let filter = info(
            "org.apache.kafka.connect.transforms.Filter",
            PluginType::Transformation,
        );
        let all = [cast.clone(), extract, filter.clone()];
        assert_eq!(
            ambiguous_aliases(&all).into_iter().collect::<Vec<_>>(),
            ["Value"]
        );
        let refs: Vec<&PluginInfo> = all.iter().collect();
        let resolve = |name| resolve_by_name(&refs, PluginInfo::clone, name).map(|i| i.class);
        assert_eq!(resolve("Value"), None);
        assert_eq!(resolve("Cast$Value"), None);
        assert_eq!(resolve(cast.class), Some(cast.class));
        assert_eq!(resolve("Filter"), Some(filter.class));
        assert_eq!(resolve(" Filter"), None, "names are not trimmed here");
    }
}
