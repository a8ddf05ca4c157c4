//! One internal topic as a replicated log: Java's `KafkaBasedLog` (with the internal-topic part of
//! `TopicAdmin` and `KafkaTopicBasedBackingStore`) on librdkafka.
//!
//! * Writes go through a producer configured as Java configures internal-topic producers:
//!   idempotence off, `acks=all`, one request in flight (no reordering on retry), and Kafka's
//!   default partitioner for keyed records (`murmur2_random` is librdkafka's name for the Java
//!   producer's murmur2 over the key bytes, modulo the partition count), so one key always lands
//!   in the partition a Java worker would use.
//! * Reads come from a consumer that assigns every partition of the topic from the beginning,
//!   without a consumer group, on a dedicated thread (Java's `WorkThread`). Every record is
//!   handed, in partition order, to the callback given at start. [`KafkaLog::read_to_end`]
//!   fetches the end offsets of all partitions and returns once the consumer got there.
//! * [`ensure_internal_topic`] creates a missing internal topic compacted, with the configured
//!   partitions, replication factor and extra topic configs, and refuses an existing topic whose
//!   `cleanup.policy` is not exactly `compact` (Java's `verifyTopicCleanupPolicyOnlyCompact`).
//!
//! Where Strait differs from Java: end offsets come from the consumer's ListOffsets request (with
//! the consumer's isolation level, so `read_committed` waits for the last stable offset, as
//! Java's admin-based `endOffsets` does) instead of a separate admin client; and the caller
//! supplies ready librdkafka client configs (Java copies every worker property into the
//! internal clients, which librdkafka would reject); and the consumer carries a `group.id`
//! (`strait-internal-log-<topic>`) it never joins nor commits to, because librdkafka refuses a
//! manual assignment without one.

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, ResourceSpecifier, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};
use strait_engine::config::Props;
use strait_engine::error::{Error, Result};
use strait_engine::kafka::{client_config, create, ClientRole};
use tokio::sync::oneshot;

/// Java's `KafkaBasedLog.CREATE_TOPIC_TIMEOUT_NS`: how long start waits for the topic's metadata.
const PARTITIONS_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one consumer poll blocks before the work thread looks at its requests again.
const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// Timeout of one end-offset lookup; a failed lookup is retried (Java retries retriable errors).
const END_OFFSETS_TIMEOUT: Duration = Duration::from_secs(10);
/// The config and offsets producers' `delivery.timeout.ms` (`Integer.MAX_VALUE` in Java).
pub const DELIVERY_TIMEOUT_MAX: Duration = Duration::from_millis(i32::MAX as u64);

/// One record read from the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    pub partition: i32,
    pub offset: i64,
    /// The key bytes (`None` for a record without a key).
    pub key: Option<Bytes>,
    /// The value bytes (`None` for a tombstone).
    pub value: Option<Bytes>,
}

/// Where a written record landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordPosition {
    pub partition: i32,
    pub offset: i64,
}

/// Receives every record read, in order per partition, on the log's work thread. It must not
/// block for long: reads (and [`KafkaLog::read_to_end`]) wait for it.
pub type RecordCallback = Box<dyn FnMut(LogRecord) + Send + 'static>;

/// The librdkafka configs of one internal topic's clients, before [`KafkaLog`] forces its own
/// settings (partitioner, idempotence, acks, offsets reset, isolation).
#[derive(Clone)]
pub struct LogClients {
    pub producer: ClientConfig,
    pub consumer: ClientConfig,
    pub admin: ClientConfig,
}

impl LogClients {
    /// Build the three configs from a worker config the way the engine builds task clients
    /// (`strait_engine::kafka::client_config`): `base` first (bootstrap-level settings such as
    /// security), then the worker's `producer.*` / `consumer.*` / `admin.*` keys, then
    /// `client.id` = `client_id` (Java: `<group.id>[-<client.id>]-configs` and friends).
    pub fn from_worker(
        bootstrap: &str,
        base: &[(&str, String)],
        worker: &Props,
        client_id: &str,
    ) -> Result<Self> {
        let build = |role| -> Result<ClientConfig> {
            let mut cfg = client_config(bootstrap, role, base, worker, &Props::new())?;
            cfg.set("client.id", client_id);
            Ok(cfg)
        };
        Ok(LogClients {
            producer: build(ClientRole::Producer)?,
            consumer: build(ClientRole::Consumer)?,
            admin: build(ClientRole::Admin)?,
        })
    }
}

/// What [`KafkaLog::start`] needs besides the record callback.
#[derive(Clone)]
pub struct KafkaLogSettings {
    pub topic: String,
    pub clients: LogClients,
    /// The producer's delivery timeout (`delivery.timeout.ms`; librdkafka's
    /// `message.timeout.ms`). [`DELIVERY_TIMEOUT_MAX`] for the config and offsets topics.
    pub delivery_timeout: Duration,
    /// Read with `isolation.level=read_committed` (the config and offsets topics when
    /// exactly-once source support is enabled); otherwise `read_uncommitted`, Java's default.
    pub read_committed: bool,
    /// Create no producer: [`KafkaLog::send`] then fails (Java's read-only `KafkaBasedLog`).
    pub read_only: bool,
}

enum Request {
    ReadToEnd(oneshot::Sender<Result<()>>),
}

/// One internal topic: a producer, and a consumer thread feeding the record callback.
pub struct KafkaLog {
    topic: String,
    producer: Option<FutureProducer>,
    partition_count: usize,
    requests: mpsc::Sender<Request>,
    stop: Arc<Mutex<bool>>,
    thread: Option<JoinHandle<()>>,
}

impl KafkaLog {
    /// Start the log: create the clients, look up the topic's partitions (waiting up to 30 s for
    /// them, as Java does for a topic just created), assign them all from the beginning, read to
    /// the end (every record goes to `on_record` before this returns), then keep reading in the
    /// background. The topic is not created here: see [`ensure_internal_topic`].
    pub async fn start(settings: KafkaLogSettings, on_record: RecordCallback) -> Result<KafkaLog> {
        let topic = settings.topic.clone();
        let producer = if settings.read_only {
            None
        } else {
            let mut cfg = settings.clients.producer.clone();
            // Java's KafkaBasedLog.createProducer and the stores' base producer props.
            cfg.set("enable.idempotence", "false")
                .set("acks", "all")
                .set("max.in.flight.requests.per.connection", "1")
                .set("partitioner", "murmur2_random")
                .set(
                    "message.timeout.ms",
                    settings
                        .delivery_timeout
                        .as_millis()
                        .min(i32::MAX as u128)
                        .to_string(),
                );
            Some(create::<FutureProducer>(
                &cfg,
                &format!("{topic} log producer"),
            )?)
        };
        let mut cfg = settings.clients.consumer.clone();
        // Java's KafkaBasedLog.createConsumer: always from the beginning, never commit. Partitions
        // are assigned manually, so the group is never joined and no offset is committed; but
        // librdkafka refuses `assign` without a `group.id`, so one is named that cannot clash
        // with the Connect group.
        cfg.set("group.id", format!("strait-internal-log-{topic}"));
        cfg.set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            // librdkafka's default is read_committed, Java's read_uncommitted: always say which.
            .set(
                "isolation.level",
                if settings.read_committed {
                    "read_committed"
                } else {
                    "read_uncommitted"
                },
            );
        let consumer: BaseConsumer = create(&cfg, &format!("{topic} log consumer"))?;
        // End offsets are asked on a client of their own: on the reading consumer's connection
        // a ListOffsets request waits behind the pending long-poll fetch (up to
        // `fetch.wait.max.ms`, 500 ms, per partition), which made every read to the end, and
        // so every config write, take about half a second per partition. (Java's consumer
        // sends ListOffsets without waiting for its fetches.)
        let watermarks: BaseConsumer = create(&cfg, &format!("{topic} log end-offset client"))?;

        let (consumer, partitions) = {
            let topic = topic.clone();
            tokio::task::spawn_blocking(move || {
                let partitions = wait_for_partitions(&consumer, &topic)?;
                let mut tpl = TopicPartitionList::new();
                for p in &partitions {
                    tpl.add_partition_offset(&topic, *p, Offset::Beginning)
                        .map_err(|e| kafka_error(e, &format!("assigning {topic}")))?;
                }
                consumer
                    .assign(&tpl)
                    .map_err(|e| kafka_error(e, &format!("assigning {topic}")))?;
                Ok::<_, Error>((consumer, partitions))
            })
            .await
            .map_err(|e| Error::bug(format!("log start task failed: {e}")))??
        };

        let (tx, rx) = mpsc::channel();
        let stop = Arc::new(Mutex::new(false));
        let worker = Worker {
            topic: topic.clone(),
            consumer,
            watermarks,
            partitions: partitions.clone(),
            on_record,
            requests: rx,
            stop: stop.clone(),
        };
        let thread = std::thread::Builder::new()
            .name(format!("kafka-log-{topic}"))
            .spawn(move || worker.run())
            .map_err(|e| Error::external(format!("starting the {topic} log thread: {e}"), false))?;
        let log = KafkaLog {
            topic,
            producer,
            partition_count: partitions.len(),
            requests: tx,
            stop,
            thread: Some(thread),
        };
        log.read_to_end().await?;
        tracing::info!(topic = %log.topic, "Started KafkaBasedLog for topic {}", log.topic);
        Ok(log)
    }

    /// The topic's name.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// How many partitions the topic had when the log started.
    pub fn partition_count(&self) -> usize {
        self.partition_count
    }

    /// Enqueue one record (`value` `None` = tombstone) and return a future that resolves when the
    /// broker acknowledged it. The record is enqueued before this returns, so records sent one
    /// after the other keep their order.
    pub fn send(
        &self,
        key: &[u8],
        value: Option<&[u8]>,
    ) -> impl std::future::Future<Output = Result<RecordPosition>> + Send + 'static {
        let enqueued = self.enqueue(key, value);
        async move {
            let delivery = enqueued?;
            match delivery.await {
                Ok(Ok(d)) => Ok(RecordPosition {
                    partition: d.partition,
                    offset: d.offset,
                }),
                Ok(Err((e, _))) => Err(kafka_error(e, "writing to an internal topic")),
                Err(_) => Err(Error::external(
                    "the producer closed before the record was acknowledged",
                    true,
                )),
            }
        }
    }

    fn enqueue(
        &self,
        key: &[u8],
        value: Option<&[u8]>,
    ) -> Result<rdkafka::producer::DeliveryFuture> {
        let producer = self.producer.as_ref().ok_or_else(|| {
            Error::bug(format!(
                "the log of topic {} is read-only and cannot write",
                self.topic
            ))
        })?;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let mut record = FutureRecord::<[u8], [u8]>::to(&self.topic).key(key);
            if let Some(v) = value {
                record = record.payload(v);
            }
            match producer.send_result(record) {
                Ok(f) => return Ok(f),
                // The local queue is full: wait for librdkafka to drain some, in place, so the
                // order of sends is kept.
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _))
                    if Instant::now() < deadline =>
                {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err((e, _)) => {
                    return Err(kafka_error(e, &format!("writing to topic {}", self.topic)))
                }
            }
        }
    }

    /// Flush the producer, then read every partition up to the end offsets it has now; every
    /// record up to there has gone to the callback when this returns (Java's `readToEnd`).
    pub async fn read_to_end(&self) -> Result<()> {
        if let Some(p) = self.producer.clone() {
            tokio::task::spawn_blocking(move || p.flush(Duration::from_secs(30)))
                .await
                .map_err(|e| Error::bug(format!("flush task failed: {e}")))?
                .map_err(|e| kafka_error(e, "flushing an internal topic producer"))?;
        }
        let (tx, rx) = oneshot::channel();
        self.requests
            .send(Request::ReadToEnd(tx))
            .map_err(|_| Error::external(format!("the {} log is stopped", self.topic), false))?;
        rx.await
            .map_err(|_| Error::external(format!("the {} log stopped", self.topic), false))?
    }

    /// Stop the reading thread; later [`KafkaLog::read_to_end`] calls fail. Also done on drop.
    pub fn stop(&mut self) {
        if let Ok(mut s) = self.stop.lock() {
            *s = true;
        }
        if let Some(t) = self.thread.take() {
            // The thread looks at the flag at least every poll interval.
            if t.join().is_err() {
                tracing::error!(topic = %self.topic, "the log's reading thread panicked");
            }
        }
        tracing::info!(topic = %self.topic, "Stopped KafkaBasedLog for topic {}", self.topic);
    }
}

impl Drop for KafkaLog {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.stop();
        }
    }
}

pub(crate) fn kafka_error(e: KafkaError, what: &str) -> Error {
    let retriable = match &e {
        KafkaError::MessageProduction(c) | KafkaError::MetadataFetch(c) => is_retriable(*c),
        _ => true,
    };
    Error::external(format!("{what}: {e}"), retriable).with_source(e)
}

fn is_retriable(code: RDKafkaErrorCode) -> bool {
    !matches!(
        code,
        RDKafkaErrorCode::TopicAuthorizationFailed
            | RDKafkaErrorCode::ClusterAuthorizationFailed
            | RDKafkaErrorCode::InvalidConfig
            | RDKafkaErrorCode::MessageSizeTooLarge
            | RDKafkaErrorCode::InvalidRecord
    )
}

/// Java's loop in `KafkaBasedLog.start`: the topic may just have been created, so retry with
/// back-off until its metadata shows partitions.
fn wait_for_partitions(consumer: &BaseConsumer, topic: &str) -> Result<Vec<i32>> {
    let started = Instant::now();
    let mut sleep = Duration::from_millis(100);
    loop {
        match consumer.fetch_metadata(Some(topic), Duration::from_secs(10)) {
            Ok(md) => {
                let parts: Vec<i32> = md
                    .topics()
                    .iter()
                    .filter(|t| t.name() == topic)
                    .flat_map(|t| t.partitions().iter().map(|p| p.id()))
                    .collect();
                if !parts.is_empty() {
                    let mut parts = parts;
                    parts.sort_unstable();
                    return Ok(parts);
                }
            }
            Err(e) => tracing::debug!(%topic, "metadata lookup failed: {e}"),
        }
        if started.elapsed() >= PARTITIONS_TIMEOUT {
            return Err(Error::external(
                format!(
                    "Could not look up partition metadata for topic '{topic}' in the allotted period. This could indicate a connectivity issue, unavailable topic partitions, or if this is your first use of the topic it may have taken too long to create."
                ),
                true,
            ));
        }
        std::thread::sleep(sleep);
        sleep = (sleep * 2).min(Duration::from_secs(1));
    }
}

/// The reading thread (Java's `KafkaBasedLog.WorkThread`).
struct Worker {
    topic: String,
    consumer: BaseConsumer,
    /// Asks for end offsets (see [`KafkaLog::start`]).
    watermarks: BaseConsumer,
    partitions: Vec<i32>,
    on_record: RecordCallback,
    requests: mpsc::Receiver<Request>,
    stop: Arc<Mutex<bool>>,
}

impl Worker {
    fn stopped(&self) -> bool {
        self.stop.lock().map(|s| *s).unwrap_or(true)
    }

    fn run(mut self) {
        let mut waiting: Vec<oneshot::Sender<Result<()>>> = Vec::new();
        while !self.stopped() {
            loop {
                match self.requests.try_recv() {
                    Ok(Request::ReadToEnd(tx)) => waiting.push(tx),
                    Err(mpsc::TryRecvError::Empty) => break,
                    // Every handle is gone: nobody can ask for anything any more.
                    Err(mpsc::TryRecvError::Disconnected) => return,
                }
            }
            if !waiting.is_empty() {
                match self.read_to_end() {
                    Ok(true) => {
                        // Only the requests seen before this read are answered: one that came
                        // in since may need records written after the end offsets were taken.
                        for tx in waiting.drain(..) {
                            let _ = tx.send(Ok(()));
                        }
                    }
                    Ok(false) => return, // stopped
                    Err(e) => {
                        // Java retries timeouts and retriable errors forever (callers have their
                        // own deadlines) and fails the waiters on anything else.
                        if e.is_retriable() {
                            tracing::warn!(topic = %self.topic, "Retriable error while reading log to end for topic '{}'. Retrying automatically. Reason: {e}", self.topic);
                            std::thread::sleep(POLL_INTERVAL);
                        } else {
                            for tx in waiting.drain(..) {
                                let _ = tx.send(Err(e.clone_shallow()));
                            }
                        }
                    }
                }
                continue;
            }
            self.poll_once();
        }
    }

    fn poll_once(&mut self) {
        match self.consumer.poll(POLL_INTERVAL) {
            None => {}
            Some(Ok(m)) => {
                let record = LogRecord {
                    partition: m.partition(),
                    offset: m.offset(),
                    key: m.key().map(Bytes::copy_from_slice),
                    value: m.payload().map(Bytes::copy_from_slice),
                };
                (self.on_record)(record);
            }
            Some(Err(e)) => tracing::error!(topic = %self.topic, "Error polling: {e}"),
        }
    }

    /// Read until every partition's position reached the end offset taken at the start.
    /// `Ok(false)` when asked to stop meanwhile.
    fn read_to_end(&mut self) -> Result<bool> {
        let mut ends: BTreeMap<i32, (i64, i64)> = BTreeMap::new();
        for &p in &self.partitions {
            let wm = self
                .watermarks
                .fetch_watermarks(&self.topic, p, END_OFFSETS_TIMEOUT)
                .map_err(|e| {
                    kafka_error(e, &format!("reading the end offsets of {}", self.topic))
                })?;
            ends.insert(p, wm);
        }
        loop {
            if self.stopped() {
                return Ok(false);
            }
            let positions = self
                .consumer
                .position()
                .map_err(|e| kafka_error(e, &format!("reading positions in {}", self.topic)))?;
            let behind = ends.iter().any(|(&p, &(low, high))| {
                if high <= low {
                    return false; // nothing (left) in this partition
                }
                match positions.find_partition(&self.topic, p).map(|e| e.offset()) {
                    Some(Offset::Offset(pos)) => pos < high,
                    _ => true, // nothing consumed yet
                }
            });
            if !behind {
                return Ok(true);
            }
            self.poll_once();
        }
    }
}

/// An internal topic as the worker wants it (Java's `NewTopic` from `TopicAdmin.defineTopic`).
#[derive(Debug, Clone)]
pub struct InternalTopic {
    pub name: String,
    /// Partitions for a new topic; `-1` = the broker's default.
    pub partitions: i32,
    /// Replication factor for a new topic; `-1` = the broker's default.
    pub replication_factor: i16,
    /// Extra topic configs (from the worker's `config.storage.*`, `offset.storage.*`,
    /// `status.storage.*` keys). `cleanup.policy` is always `compact` whatever this says.
    pub configs: Props,
    /// The worker setting naming the topic (`config.storage.topic`), for error messages.
    pub worker_setting: String,
    /// What the topic holds (`connector configurations`), for error messages.
    pub purpose: String,
}

/// What [`ensure_internal_topic`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicCheck {
    /// The topic did not exist and was created.
    Created,
    /// The topic existed and its cleanup policy is exactly `compact`.
    Verified,
    /// The topic could not be created or described for lack of permissions; it is assumed to
    /// exist (Java logs and goes on).
    Unverified,
}

/// Create the topic when missing, else require `cleanup.policy=compact` (Java's
/// `KafkaTopicBasedBackingStore.topicInitializer`). A wrong policy is a config error with
/// Java's `TopicAdmin` message.
pub async fn ensure_internal_topic(
    admin: &ClientConfig,
    topic: &InternalTopic,
) -> Result<TopicCheck> {
    let client: AdminClient<DefaultClientContext> = create(admin, "admin")?;
    let mut new = NewTopic::new(
        &topic.name,
        topic.partitions,
        TopicReplication::Fixed(i32::from(topic.replication_factor)),
    );
    for (k, v) in &topic.configs {
        if k == "cleanup.policy" {
            tracing::warn!(topic = %topic.name, "Ignoring cleanup.policy={v} for internal topic {}: it is always compact", topic.name);
            continue;
        }
        new = new.set(k, v);
    }
    new = new.set("cleanup.policy", "compact");
    // Java's TopicAdmin.createTopicsWithRetry: retriable failures (timeouts, no controller yet)
    // are retried until the admin API timeout (`default.api.timeout.ms`, 60 s).
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match create_once(&client, &new, &topic.name).await {
            Ok(true) => return Ok(TopicCheck::Created),
            Ok(false) => break,
            Err(e) if e.is_retriable() && Instant::now() < deadline => {
                tracing::info!(topic = %topic.name, "'{}' topic creation failed due to '{}', retrying", topic.name, e.message());
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => return Err(e),
        }
    }
    verify_only_compact(&client, topic).await
}

/// One CreateTopics attempt: `Ok(true)` created, `Ok(false)` it exists (or may not be created by
/// this principal, which Java also treats as "assume it exists").
async fn create_once(
    client: &AdminClient<DefaultClientContext>,
    new: &NewTopic<'_>,
    name: &str,
) -> Result<bool> {
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let generic = format!("Error while attempting to create/find topic(s) '{name}'");
    let results = client
        .create_topics([new], &opts)
        .await
        .map_err(|e| kafka_error(e, &generic))?;
    let Some(result) = results.into_iter().next() else {
        return Err(Error::external(format!("{generic}: no result"), true));
    };
    match result {
        Ok(_) => {
            tracing::info!(topic = %name, "Created topic {name}");
            Ok(true)
        }
        Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {
            tracing::debug!(topic = %name, "Found existing topic '{name}'");
            Ok(false)
        }
        Err((
            _,
            RDKafkaErrorCode::TopicAuthorizationFailed
            | RDKafkaErrorCode::ClusterAuthorizationFailed
            | RDKafkaErrorCode::UnsupportedVersion,
        )) => {
            tracing::debug!(topic = %name, "Not authorized to create topic(s) '{name}'. Falling back to assume topic(s) exist or will be auto-created by the broker.");
            Ok(false)
        }
        Err((_, code @ RDKafkaErrorCode::InvalidConfig)) => Err(Error::config(format!(
            "Unable to create topic(s) '{name}': {code}"
        ))),
        // A replication factor above the broker count, a bad partition count: retrying cannot
        // help, and the worker must not start (Java: ConnectException at startup).
        Err((
            _,
            code @ (RDKafkaErrorCode::InvalidReplicationFactor
            | RDKafkaErrorCode::InvalidPartitions
            | RDKafkaErrorCode::InvalidTopic
            | RDKafkaErrorCode::PolicyViolation),
        )) => Err(Error::config(format!("{generic}: {code}"))),
        Err((_, code)) => Err(Error::external(
            format!("{generic}: {code}"),
            is_retriable(code),
        )),
    }
}

async fn verify_only_compact(
    client: &AdminClient<DefaultClientContext>,
    topic: &InternalTopic,
) -> Result<TopicCheck> {
    let opts = AdminOptions::new().request_timeout(Some(Duration::from_secs(30)));
    let policy = match client
        .describe_configs([&ResourceSpecifier::Topic(&topic.name)], &opts)
        .await
    {
        Ok(results) => results
            .into_iter()
            .find_map(|r| r.ok())
            .and_then(|res| res.get("cleanup.policy").and_then(|e| e.value.clone())),
        Err(e) => {
            tracing::debug!(topic = %topic.name, "describing topic configs failed: {e}");
            None
        }
    };
    let policies = policy.as_deref().map(cleanup_policies).unwrap_or_default();
    if policies.is_empty() {
        tracing::info!(topic = %topic.name, "Unable to use admin client to verify the cleanup policy of '{}' topic is 'compact', either because the broker is an older version or because the Kafka principal used for Connect internal topics does not have the required permission to describe topic configurations.", topic.name);
        return Ok(TopicCheck::Unverified);
    }
    check_only_compact(topic, &policies)?;
    Ok(TopicCheck::Verified)
}

/// `cleanup.policy` as Java's `TopicAdmin.topicCleanupPolicy` reads it: comma-separated,
/// trimmed, lower-cased, empty parts dropped, as a set (kept in Java `HashSet` iteration order
/// so the error message lists them as Java does).
fn cleanup_policies(value: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let p = p.to_lowercase();
        if !out.contains(&p) {
            out.push(p);
        }
    }
    java_hash_set_order(out)
}

/// Java `HashSet<String>` iteration order for a small set (at most 12 elements, so the table
/// keeps its initial 16 buckets): by bucket `(h ^ h>>>16) & 15` of `String.hashCode`, then
/// insertion order within a bucket.
fn java_hash_set_order(items: Vec<String>) -> Vec<String> {
    if items.len() > 12 {
        return items;
    }
    let bucket = |s: &str| {
        let h = s
            .encode_utf16()
            .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)));
        let h = h as u32;
        (h ^ (h >> 16)) & 15
    };
    let mut indexed: Vec<(u32, usize, String)> = items
        .into_iter()
        .enumerate()
        .map(|(i, s)| (bucket(&s), i, s))
        .collect();
    indexed.sort();
    indexed.into_iter().map(|(_, _, s)| s).collect()
}

/// Java's `TopicAdmin.verifyTopicCleanupPolicyOnlyCompact` check and message.
fn check_only_compact(topic: &InternalTopic, policies: &[String]) -> Result<()> {
    if policies.len() == 1 && policies[0] == "compact" {
        return Ok(());
    }
    let (name, setting, purpose) = (&topic.name, &topic.worker_setting, &topic.purpose);
    let found = policies.join(",");
    Err(Error::config(format!(
        "Topic '{name}' supplied via the '{setting}' property is required to have 'cleanup.policy=compact' to guarantee consistency and durability of {purpose}, but found the topic currently has 'cleanup.policy={found}'. Continuing would likely result in eventually losing {purpose} and problems restarting this Connect cluster in the future. Change the '{setting}' property in the Connect worker configurations to use a topic with 'cleanup.policy=compact'."
    )))
}

trait CloneShallow {
    fn clone_shallow(&self) -> Error;
}

impl CloneShallow for Error {
    /// The same fault, message and retriability, without the source chain (errors are not
    /// `Clone`, and one failure answers several waiters).
    fn clone_shallow(&self) -> Error {
        let copy = Error::new(self.fault(), self.message().to_string());
        if self.fault() == strait_engine::error::Fault::External {
            return Error::external(self.message().to_string(), self.is_retriable());
        }
        copy
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn topic(name: &str) -> InternalTopic {
        InternalTopic {
            name: name.into(),
            partitions: 1,
            replication_factor: -1,
            configs: Props::new(),
            worker_setting: "config.storage.topic".into(),
            purpose: "connector configurations".into(),
        }
    }

    #[test]
    fn cleanup_policy_parsing_and_check() {
        assert_eq!(cleanup_policies(" Compact "), vec!["compact"]);
        assert!(check_only_compact(&topic("t"), &cleanup_policies("compact")).is_ok());
        let e = check_only_compact(&topic("cfg"), &cleanup_policies("delete")).unwrap_err();
        assert_eq!(
            e.message(),
            "Topic 'cfg' supplied via the 'config.storage.topic' property is required to have 'cleanup.policy=compact' to guarantee consistency and durability of connector configurations, but found the topic currently has 'cleanup.policy=delete'. Continuing would likely result in eventually losing connector configurations and problems restarting this Connect cluster in the future. Change the 'config.storage.topic' property in the Connect worker configurations to use a topic with 'cleanup.policy=compact'."
        );
        assert!(check_only_compact(&topic("t"), &cleanup_policies("compact,delete")).is_err());
    }

    #[test]
    fn java_hash_set_order_of_policies() {
        // "compact".hashCode() = 950483747 → bucket 4 after spreading; "delete".hashCode() =
        // -1335458389 → bucket 13: jshell prints `new HashSet<>(List.of("delete","compact"))` as
        // [compact, delete] whatever the input order.
        let expected = vec!["compact".to_string(), "delete".to_string()];
        assert_eq!(cleanup_policies("compact,delete"), expected);
        assert_eq!(cleanup_policies("delete,compact"), expected);
    }

    /// Java's `Utils.murmur2` (seed 0x9747b28c), as the default partitioner hashes keys.
    fn java_murmur2(data: &[u8]) -> i32 {
        let m: i32 = 0x5bd1_e995;
        let r = 24;
        let mut h: i32 = (0x9747_b28c_u32 as i32) ^ (data.len() as i32);
        let chunks = data.chunks_exact(4);
        let tail = chunks.remainder();
        for c in chunks {
            let mut k = i32::from_le_bytes([c[0], c[1], c[2], c[3]]);
            k = k.wrapping_mul(m);
            k ^= ((k as u32) >> r) as i32;
            k = k.wrapping_mul(m);
            h = h.wrapping_mul(m);
            h ^= k;
        }
        if tail.len() >= 3 {
            h ^= i32::from(tail[2]) << 16;
        }
        if tail.len() >= 2 {
            h ^= i32::from(tail[1]) << 8;
        }
        if !tail.is_empty() {
            h ^= i32::from(tail[0]);
            h = h.wrapping_mul(m);
        }
        h ^= ((h as u32) >> 13) as i32;
        h = h.wrapping_mul(m);
        h ^= ((h as u32) >> 15) as i32;
        h
    }

    #[test]
    fn murmur2_matches_java_vectors() {
        // Values from Kafka's UtilsTest.testMurmur2.
        assert_eq!(java_murmur2(b"21"), -973932308);
        assert_eq!(java_murmur2(b"foobar"), -790332482);
        assert_eq!(java_murmur2(b"a-little-bit-long-string"), -985981536);
        assert_eq!(java_murmur2(b"a-little-bit-longer-string"), -1486304829);
        assert_eq!(
            java_murmur2(b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"),
            -58897971
        );
        assert_eq!(java_murmur2(b"abc"), 479470107);
    }

    pub(crate) fn test_bootstrap() -> Option<String> {
        match std::env::var("STRAIT_TEST_BOOTSTRAP") {
            Ok(b) if !b.is_empty() => Some(b),
            _ => {
                eprintln!("skipped: STRAIT_TEST_BOOTSTRAP is unset (no Kafka broker)");
                None
            }
        }
    }

    pub(crate) fn unique(prefix: &str) -> String {
        format!("{prefix}-{:016x}", rand::random::<u64>())
    }

    pub(crate) fn test_clients(bootstrap: &str) -> LogClients {
        LogClients::from_worker(bootstrap, &[], &Props::new(), "strait-test-log").unwrap()
    }

    pub(crate) async fn create_topic(bootstrap: &str, name: &str, partitions: i32, policy: &str) {
        let admin: AdminClient<DefaultClientContext> =
            create(&test_clients(bootstrap).admin, "admin").unwrap();
        let t = NewTopic::new(name, partitions, TopicReplication::Fixed(1))
            .set("cleanup.policy", policy);
        let r = admin
            .create_topics([&t], &AdminOptions::new())
            .await
            .unwrap();
        assert!(r[0].is_ok(), "{r:?}");
    }

    #[tokio::test]
    async fn broker_log_partitions_like_java_and_reads_in_order() {
        let Some(bootstrap) = test_bootstrap() else {
            return;
        };
        let name = unique("strait-log");
        create_topic(&bootstrap, &name, 6, "compact").await;
        let seen = Arc::new(Mutex::new(Vec::<LogRecord>::new()));
        let sink = seen.clone();
        let settings = KafkaLogSettings {
            topic: name.clone(),
            clients: test_clients(&bootstrap),
            delivery_timeout: DELIVERY_TIMEOUT_MAX,
            read_committed: false,
            read_only: false,
        };
        let mut log = KafkaLog::start(settings, Box::new(move |r| sink.lock().unwrap().push(r)))
            .await
            .unwrap();
        assert_eq!(log.partition_count(), 6);
        assert!(seen.lock().unwrap().is_empty());
        let mut sent = Vec::new();
        for i in 0..20 {
            let key = format!("key-{i}");
            let value = (i % 5 != 0).then(|| format!("v{i}"));
            let pos = log
                .send(key.as_bytes(), value.as_deref().map(str::as_bytes))
                .await
                .unwrap();
            let expected = (java_murmur2(key.as_bytes()) & 0x7fff_ffff) % 6;
            assert_eq!(pos.partition, expected, "partition of {key}");
            sent.push((pos, key, value));
        }
        log.read_to_end().await.unwrap();
        let got = seen.lock().unwrap().clone();
        assert_eq!(got.len(), 20);
        for (pos, key, value) in &sent {
            let r = got
                .iter()
                .find(|r| r.partition == pos.partition && r.offset == pos.offset)
                .unwrap();
            assert_eq!(r.key.as_deref(), Some(key.as_bytes()));
            assert_eq!(r.value.as_deref(), value.as_deref().map(str::as_bytes));
        }
        // Per partition, records arrive in offset order.
        for p in 0..6 {
            let offs: Vec<i64> = got
                .iter()
                .filter(|r| r.partition == p)
                .map(|r| r.offset)
                .collect();
            assert!(offs.windows(2).all(|w| w[0] < w[1]), "{offs:?}");
        }
        log.stop();
        assert!(log.read_to_end().await.is_err());
    }

    #[tokio::test]
    async fn broker_internal_topic_created_then_verified_or_refused() {
        let Some(bootstrap) = test_bootstrap() else {
            return;
        };
        let admin = test_clients(&bootstrap).admin;
        let mut t = topic(&unique("strait-internal"));
        t.configs.insert("min.insync.replicas".into(), "1".into());
        assert_eq!(
            ensure_internal_topic(&admin, &t).await.unwrap(),
            TopicCheck::Created
        );
        assert_eq!(
            ensure_internal_topic(&admin, &t).await.unwrap(),
            TopicCheck::Verified
        );
        let bad = topic(&unique("strait-internal-delete"));
        create_topic(&bootstrap, &bad.name, 1, "compact,delete").await;
        let e = ensure_internal_topic(&admin, &bad).await.unwrap_err();
        assert_eq!(e.fault(), strait_engine::error::Fault::Config);
        // One broker: a replication factor of 3 cannot be met, and retrying cannot help.
        let mut big = topic(&unique("strait-internal-rf"));
        big.replication_factor = 3;
        let e2 = ensure_internal_topic(&admin, &big).await.unwrap_err();
        assert_eq!(
            e2.fault(),
            strait_engine::error::Fault::Config,
            "{}",
            e2.message()
        );
        assert!(
            e2.message().starts_with(&format!(
                "Error while attempting to create/find topic(s) '{}'",
                big.name
            )),
            "{}",
            e2.message()
        );
        assert!(
            e.message().contains("'cleanup.policy=compact,delete'"),
            "{}",
            e.message()
        );
    }

    /// With `read_committed`, read_to_end stops at the last stable offset (an open transaction
    /// does not block it), and gets past the commit marker once the transaction commits.
    #[tokio::test]
    async fn broker_read_committed_reads_to_the_last_stable_offset() {
        use rdkafka::producer::BaseRecord;
        let Some(bootstrap) = test_bootstrap() else {
            return;
        };
        let name = unique("strait-log-txn");
        create_topic(&bootstrap, &name, 1, "compact").await;
        let seen = Arc::new(Mutex::new(Vec::<LogRecord>::new()));
        let sink = seen.clone();
        let settings = KafkaLogSettings {
            topic: name.clone(),
            clients: test_clients(&bootstrap),
            delivery_timeout: DELIVERY_TIMEOUT_MAX,
            read_committed: true,
            read_only: false,
        };
        let log = KafkaLog::start(settings, Box::new(move |r| sink.lock().unwrap().push(r)))
            .await
            .unwrap();
        log.send(b"plain", Some(b"1")).await.unwrap();
        let mut cfg = test_clients(&bootstrap).producer;
        cfg.set("transactional.id", unique("strait-log-txn-id"));
        let txn = tokio::task::spawn_blocking(move || {
            let p: rdkafka::producer::ThreadedProducer<rdkafka::producer::DefaultProducerContext> =
                cfg.create().unwrap();
            p.init_transactions(Duration::from_secs(30)).unwrap();
            p.begin_transaction().unwrap();
            p.send(BaseRecord::to(&name).key("txn").payload("2"))
                .unwrap();
            p.flush(Duration::from_secs(30)).unwrap();
            p
        })
        .await
        .unwrap();
        tokio::time::timeout(Duration::from_secs(20), log.read_to_end())
            .await
            .expect("an open transaction must not block read_to_end")
            .unwrap();
        let keys = |v: &[LogRecord]| -> Vec<Vec<u8>> {
            v.iter().map(|r| r.key.clone().unwrap().to_vec()).collect()
        };
        assert_eq!(keys(&seen.lock().unwrap()), vec![b"plain".to_vec()]);
        let txn = tokio::task::spawn_blocking(move || {
            txn.commit_transaction(Duration::from_secs(30)).unwrap();
            txn
        })
        .await
        .unwrap();
        tokio::time::timeout(Duration::from_secs(20), log.read_to_end())
            .await
            .expect("read_to_end must get past the commit marker")
            .unwrap();
        assert_eq!(
            keys(&seen.lock().unwrap()),
            vec![b"plain".to_vec(), b"txn".to_vec()]
        );
        drop(txn);
    }
}
