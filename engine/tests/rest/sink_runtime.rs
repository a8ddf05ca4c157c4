//! The sink task driver against the real broker: converter retries (`errors.retry.timeout`),
//! redelivery after retriable `put` failures without losing the group membership, a rebalance
//! between two tasks, the dead letter queue's context headers, and the task context's requests.
//!
//! The plugins here inject faults on command (a converter that is "unavailable" for a while, a
//! sink whose `put` fails retriably, buffers until `pre_commit`, reports errant records, or
//! rewinds); the broker, the consumer group and the DLQ topic are real.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use arrow::array::{Array, ArrayRef, BinaryArray, Int32Array, Int64Array, StringArray};
use arrow::datatypes::{DataType, Field};
use async_trait::async_trait;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};
use serde_json::json;

use strait_engine::batch::{columns, Batch, OffsetMap, TopicPartition};
use strait_engine::config::{ConfigDef, Props};
use strait_engine::plugin::{
    Connector, Converter, ConverterPlugin, Decoded, PluginInfo, PluginType, RowError, SinkTask,
    SinkTaskContext, TaskInstance,
};
use strait_engine::{Error, Result};

use crate::support::*;

const T: Duration = Duration::from_secs(60);
pub const FLAKY_CONVERTER: &str = "io.strait.test.FlakyConverter";
pub const CONTROLLED_SINK: &str = "io.strait.test.ControlledSinkConnector";

// ---------------------------------------------------------------------------------------------
// Flaky converter: UTF-8 strings, but every row fails retriably while its `flaky.name` is down.

fn down_until() -> &'static Mutex<HashMap<String, Instant>> {
    static M: OnceLock<Mutex<HashMap<String, Instant>>> = OnceLock::new();
    M.get_or_init(Default::default)
}

/// Make the converters configured with `flaky.name=name` fail retriably for `how_long`.
fn set_down(name: &str, how_long: Duration) {
    down_until()
        .lock()
        .unwrap()
        .insert(name.to_string(), Instant::now() + how_long);
}

struct FlakyConverter {
    name: String,
    /// `flaky.in=prepare`: the outage shows in `prepare_to_connect` (a registry that cannot
    /// be reached) instead of as row errors.
    in_prepare: bool,
}

impl FlakyConverter {
    fn down(&self) -> bool {
        down_until()
            .lock()
            .unwrap()
            .get(&self.name)
            .is_some_and(|until| Instant::now() < *until)
    }
}

#[async_trait]
impl Converter for FlakyConverter {
    async fn prepare_to_connect(&self, _topics: &ArrayRef, _payloads: &BinaryArray) -> Result<()> {
        if self.in_prepare && self.down() {
            return Err(Error::external(
                format!("{} cannot be reached", self.name),
                true,
            ));
        }
        Ok(())
    }
    fn from_connect(&self, _field: &Field, column: &ArrayRef) -> Result<BinaryArray> {
        let cast = arrow::compute::cast(column, &DataType::Binary)?;
        Ok(cast.as_any().downcast_ref::<BinaryArray>().unwrap().clone())
    }
    fn to_connect(&self, payloads: &BinaryArray) -> Result<Decoded> {
        let down = !self.in_prepare && self.down();
        let array = arrow::compute::cast(payloads, &DataType::Utf8)?;
        let errors = if down {
            (0..payloads.len())
                .map(|row| RowError {
                    row,
                    error: Error::external(format!("{} is unavailable", self.name), true),
                })
                .collect()
        } else {
            Vec::new()
        };
        Ok(Decoded::single(
            Field::new("value", DataType::Utf8, true),
            array,
            errors,
        ))
    }
}

pub fn flaky_converter() -> ConverterPlugin {
    ConverterPlugin {
        info: PluginInfo {
            class: FLAKY_CONVERTER,
            extra_aliases: &[],
            kind: PluginType::Converter,
            version: "1.0",
        },
        config_def: ConfigDef::new,
        create: |props, _| {
            Ok(Arc::new(FlakyConverter {
                name: props.get("flaky.name").cloned().unwrap_or_default(),
                in_prepare: props.get("flaky.in").is_some_and(|v| v == "prepare"),
            }))
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Controlled sink: buffers in `put`, makes the buffer durable in `pre_commit`, and misbehaves on
// command. One log per connector name, shared by every task instance of that name (also across
// workers in this process), so a test sees the whole group.

/// What one sink instance did, in order.
#[derive(Debug, Clone, PartialEq)]
enum Did {
    Open(Vec<TopicPartition>),
    Close(Vec<TopicPartition>),
    /// `pre_commit` while these partitions were being revoked (empty: a periodic commit).
    PreCommit {
        revoking: Vec<TopicPartition>,
    },
}

#[derive(Debug, Default)]
struct SinkLog {
    /// (instance, what it did).
    did: Vec<(usize, Did)>,
    /// Records made durable: (partition, offset, value).
    durable: Vec<(i32, i64, String)>,
    /// Highest next-offset each instance reported durable, per partition.
    durable_offsets: BTreeMap<i32, i64>,
    /// `put` fails retriably until then.
    fail_until: Option<Instant>,
    put_failures: usize,
    /// Rewind partition 0 to offset 0 once, on the first `put` that holds it.
    rewind_once: bool,
    /// Sleep this long in a `pre_commit` that precedes a revocation.
    slow_revocation: Duration,
    /// Sleep this long in the first `put`.
    slow_first_put: Duration,
    /// Partition 1 is paused by the task (through its context) on `open`, and resumed at the
    /// first `put` after this turns true.
    hold_partition_1: bool,
    release_partition_1: bool,
    /// The task's assignment as its context reported it at the last `put`.
    seen_assignment: Vec<TopicPartition>,
}

fn logs() -> &'static Mutex<HashMap<String, SinkLog>> {
    static M: OnceLock<Mutex<HashMap<String, SinkLog>>> = OnceLock::new();
    M.get_or_init(Default::default)
}

fn with_log<R>(connector: &str, f: impl FnOnce(&mut SinkLog) -> R) -> R {
    f(logs()
        .lock()
        .unwrap()
        .entry(connector.to_string())
        .or_default())
}

static INSTANCES: AtomicUsize = AtomicUsize::new(0);

pub struct ControlledSink;

impl Connector for ControlledSink {
    type Config = ();
    fn info() -> PluginInfo {
        PluginInfo {
            class: CONTROLLED_SINK,
            extra_aliases: &[],
            kind: PluginType::Sink,
            version: "1.0",
        }
    }
    fn config_def() -> ConfigDef {
        ConfigDef::new()
    }
    fn parse(_: &Props) -> Result<()> {
        Ok(())
    }
    fn task_class() -> &'static str {
        "io.strait.test.ControlledSinkTask"
    }
    fn task_configs(_: &(), props: &Props, max_tasks: usize) -> Result<Vec<Props>> {
        Ok(vec![props.clone(); max_tasks])
    }
    fn create_task(_: &Props) -> Result<TaskInstance> {
        Ok(TaskInstance::Sink(Box::new(ControlledTask {
            instance: INSTANCES.fetch_add(1, Ordering::Relaxed),
            ctx: None,
            buffer: Vec::new(),
        })))
    }
}

struct ControlledTask {
    instance: usize,
    ctx: Option<SinkTaskContext>,
    buffer: Vec<(i32, i64, String)>,
}

impl ControlledTask {
    fn name(&self) -> String {
        self.ctx.as_ref().unwrap().connector.clone()
    }
}

#[async_trait]
impl SinkTask for ControlledTask {
    async fn start(&mut self, ctx: SinkTaskContext) -> Result<()> {
        self.ctx = Some(ctx);
        Ok(())
    }
    async fn open(&mut self, partitions: &[TopicPartition]) -> Result<()> {
        let (name, i) = (self.name(), self.instance);
        let hold = with_log(&name, |l| {
            l.did.push((i, Did::Open(partitions.to_vec())));
            l.hold_partition_1
        });
        if hold {
            let one: Vec<TopicPartition> = partitions
                .iter()
                .filter(|tp| tp.partition == 1)
                .cloned()
                .collect();
            self.ctx.as_ref().unwrap().pause(&one);
        }
        Ok(())
    }
    async fn close(&mut self, partitions: &[TopicPartition]) -> Result<()> {
        let (name, i) = (self.name(), self.instance);
        // What was buffered for these partitions and not made durable is dropped: the
        // runtime must not have committed it.
        self.buffer
            .retain(|(p, _, _)| !partitions.iter().any(|tp| tp.partition == *p));
        with_log(&name, |l| l.did.push((i, Did::Close(partitions.to_vec()))));
        Ok(())
    }
    async fn put(&mut self, batch: Batch) -> Result<()> {
        let name = self.name();
        let ctx = self.ctx.clone().unwrap();
        let (failing, rewind, slow) = with_log(&name, |l| {
            let failing = l.fail_until.is_some_and(|t| Instant::now() < t);
            if failing {
                l.put_failures += 1;
            }
            (
                failing,
                l.rewind_once,
                std::mem::take(&mut l.slow_first_put),
            )
        });
        tokio::time::sleep(slow).await;
        let release = with_log(&name, |l| {
            l.seen_assignment = ctx.assignment().into_iter().collect();
            l.hold_partition_1 && l.release_partition_1
        });
        if release {
            let one: Vec<TopicPartition> = ctx
                .assignment()
                .into_iter()
                .filter(|tp| tp.partition == 1)
                .collect();
            ctx.resume(&one);
            ctx.request_commit();
        }
        if failing {
            ctx.timeout(Duration::from_millis(200));
            return Err(Error::external("the controlled sink is unavailable", true));
        }
        let values = batch.column(columns::VALUE).unwrap();
        let values = values.as_any().downcast_ref::<StringArray>().unwrap();
        let parts = batch.column(columns::PARTITION).unwrap();
        let parts = parts.as_any().downcast_ref::<Int32Array>().unwrap();
        let offs = batch.column(columns::OFFSET).unwrap();
        let offs = offs.as_any().downcast_ref::<Int64Array>().unwrap();
        let reporter = ctx
            .errant_record_reporter()
            .expect("a running task has a reporter");
        for i in 0..batch.num_rows() {
            let v = values.value(i).to_string();
            if v.starts_with("bad") {
                reporter.report(&batch, i, Error::data(format!("cannot write {v}")))?;
                continue;
            }
            self.buffer.push((parts.value(i), offs.value(i), v));
        }
        if rewind && (0..parts.len()).any(|i| parts.value(i) == 0) {
            with_log(&name, |l| l.rewind_once = false);
            let topic = batch.topic_at(0).unwrap().to_string();
            ctx.offset(&[(TopicPartition::new(topic, 0), 0)].into_iter().collect());
        }
        Ok(())
    }
    async fn pre_commit(&mut self, consumed: &OffsetMap) -> Result<OffsetMap> {
        let name = self.name();
        let ctx = self.ctx.clone().unwrap();
        let revoking = ctx.revoking();
        let slow = with_log(&name, |l| l.slow_revocation);
        if !revoking.is_empty() && !slow.is_zero() {
            tokio::time::sleep(slow).await;
        }
        let buffer = std::mem::take(&mut self.buffer);
        let i = self.instance;
        with_log(&name, |l| {
            l.did.push((i, Did::PreCommit { revoking }));
            for (p, o, _) in &buffer {
                let e = l.durable_offsets.entry(*p).or_insert(0);
                *e = (*e).max(o + 1);
            }
            l.durable.extend(buffer);
        });
        Ok(consumed.clone())
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers

fn admin() -> AdminClient<DefaultClientContext> {
    rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
        .unwrap()
}

async fn create_topic(topic: &str, partitions: i32) {
    let r = admin()
        .create_topics(
            [&NewTopic::new(
                topic,
                partitions,
                TopicReplication::Fixed(1),
            )],
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(20))),
        )
        .await
        .unwrap();
    for x in r {
        x.unwrap();
    }
}

/// Produce `values` round-robin over `partitions` partitions, keyed `k<i>`.
async fn produce(topic: &str, partitions: i32, values: &[String]) {
    let p: FutureProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("linger.ms", "5")
        .create()
        .unwrap();
    let mut acks = Vec::new();
    for (i, v) in values.iter().enumerate() {
        let key = format!("k{i}");
        let rec = FutureRecord::to(topic)
            .key(key.as_str())
            .payload(v.as_str())
            .partition(i as i32 % partitions)
            .headers(
                rdkafka::message::OwnedHeaders::new().insert(rdkafka::message::Header {
                    key: "origin",
                    value: Some("test"),
                }),
            );
        acks.push(p.send_result(rec).map_err(|(e, _)| e).unwrap());
    }
    for a in acks {
        a.await.unwrap().map_err(|(e, _)| e).unwrap();
    }
}

fn values(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i}")).collect()
}

/// Committed offsets of a consumer group, per partition.
fn group_offsets(group: &str, topic: &str, partitions: i32) -> BTreeMap<i32, i64> {
    let c: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", group)
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition(topic, p);
    }
    c.committed_offsets(tpl, Duration::from_secs(10))
        .unwrap()
        .elements()
        .iter()
        .filter_map(|e| match e.offset() {
            Offset::Offset(o) => Some((e.partition(), o)),
            _ => None,
        })
        .collect()
}

async fn create(http: &Http, name: &str, config: serde_json::Value) {
    let body = json!({"name": name, "config": config});
    let r = http
        .call("POST", "/connectors", Some(&body.to_string()))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
}

fn durable_values(name: &str) -> Vec<String> {
    with_log(name, |l| {
        l.durable.iter().map(|(_, _, v)| v.clone()).collect()
    })
}

/// A worker and a fresh topic of `partitions` partitions holding `sent` (round-robin), with a
/// ControlledSink named after `prefix` on it: `setup` prepares its log before it starts, `extra`
/// adds connector keys.
struct Scenario {
    w: KafkaWorker,
    topic: String,
    name: String,
}

async fn controlled_sink(
    prefix: &str,
    partitions: i32,
    sent: &[String],
    setup: impl FnOnce(&mut SinkLog),
    extra: serde_json::Value,
) -> Scenario {
    let w = KafkaWorker::start().await;
    let topic = unique(&format!("strait-{prefix}"));
    create_topic(&topic, partitions).await;
    let name = unique(prefix);
    with_log(&name, setup);
    produce(&topic, partitions, sent).await;
    let mut config = json!({"connector.class": CONTROLLED_SINK, "topics": topic});
    for (k, v) in extra.as_object().into_iter().flatten() {
        config[k] = v.clone();
    }
    create(&w.http, &name, config).await;
    Scenario { w, topic, name }
}

/// How often the sink's partitions were opened and closed (a rebalance shows as more).
fn opens_and_closes(name: &str) -> (usize, usize, Vec<(usize, Did)>) {
    let did = with_log(name, |l| l.did.clone());
    let opens = did
        .iter()
        .filter(|(_, d)| matches!(d, Did::Open(_)))
        .count();
    let closes = did
        .iter()
        .filter(|(_, d)| matches!(d, Did::Close(_)))
        .count();
    (opens, closes, did)
}

// ---------------------------------------------------------------------------------------------
// Tests

/// §2.2: a converter that is unavailable for 2 s, with `errors.retry.timeout` of 30 s: the
/// stage is retried and every record arrives, in order; the task never fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn converter_failure_within_retry_timeout_loses_nothing() {
    let w = KafkaWorker::start().await;
    let topic = unique("strait-retry-ok");
    let name = unique("retry-ok");
    create_topic(&topic, 1).await;
    set_down(&name, Duration::from_secs(2));
    let sent = values("r", 50);
    produce(&topic, 1, &sent).await;
    create(
        &w.http,
        &name,
        json!({"connector.class": SINK_CLASS, "topics": topic,
               "value.converter": FLAKY_CONVERTER, "value.converter.flaky.name": name,
               "errors.retry.timeout": "30000", "errors.retry.delay.max.ms": "500"}),
    )
    .await;
    let n = name.clone();
    eventually("all records", T, || received(&n).len() >= 50).await;
    assert_eq!(received(&name), sent, "every record once, in order");
    let status = w.http.get(&format!("/connectors/{name}/status")).await.body;
    assert_eq!(states(&status), ("RUNNING".into(), vec!["RUNNING".into()]));
    w.stop().await;
}

/// §2.2: a failure that outlasts `errors.retry.timeout` fails the task under
/// `errors.tolerance=none` (nothing delivered), and goes to the DLQ under `all`, with every
/// context header Java writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn converter_failure_beyond_retry_timeout_fails_or_goes_to_the_dlq() {
    let w = KafkaWorker::start().await;
    let topic = unique("strait-retry-out");
    create_topic(&topic, 1).await;
    let sent = values("x", 5);
    produce(&topic, 1, &sent).await;

    let strict = unique("retry-strict");
    set_down(&strict, Duration::from_secs(3600));
    create(
        &w.http,
        &strict,
        json!({"connector.class": SINK_CLASS, "topics": topic,
               "value.converter": FLAKY_CONVERTER, "value.converter.flaky.name": strict,
               "errors.retry.timeout": "1000"}),
    )
    .await;
    let started = Instant::now();
    let failed = w
        .http
        .wait_for(&format!("/connectors/{strict}/status"), T, |s| {
            states(s).1 == vec!["FAILED".to_string()]
        })
        .await;
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "the stage was retried for errors.retry.timeout before failing"
    );
    let trace = failed["tasks"][0]["trace"].as_str().unwrap();
    assert!(
        trace.contains("Tolerance exceeded in error handler") && trace.contains("VALUE_CONVERTER"),
        "{trace}"
    );
    assert!(received(&strict).is_empty());

    let tolerant = unique("retry-dlq");
    let dlq = unique("strait-retry-dlq");
    set_down(&tolerant, Duration::from_secs(3600));
    create(
        &w.http,
        &tolerant,
        json!({"connector.class": SINK_CLASS, "topics": topic,
               "value.converter": FLAKY_CONVERTER, "value.converter.flaky.name": tolerant,
               "errors.retry.timeout": "500", "errors.tolerance": "all",
               "errors.deadletterqueue.topic.name": dlq,
               "errors.deadletterqueue.topic.replication.factor": "1",
               "errors.deadletterqueue.context.headers.enable": "true"}),
    )
    .await;
    let records = read_records(&dlq, 5);
    assert_eq!(records.len(), 5);
    for (i, r) in records.iter().enumerate() {
        assert_eq!(
            r.value.as_deref(),
            Some(sent[i].as_str()),
            "the original value"
        );
        assert_eq!(
            r.key.as_deref(),
            Some(format!("k{i}").as_str()),
            "the original key"
        );
        let h = &r.headers;
        assert_eq!(h["origin"], "test", "original headers are kept");
        assert_eq!(h["__connect.errors.topic"], topic);
        assert_eq!(h["__connect.errors.partition"], "0");
        assert_eq!(h["__connect.errors.offset"], i.to_string());
        assert_eq!(h["__connect.errors.connector.name"], tolerant);
        assert_eq!(h["__connect.errors.task.id"], "0");
        assert_eq!(h["__connect.errors.stage"], "VALUE_CONVERTER");
        assert_eq!(h["__connect.errors.class.name"], FLAKY_CONVERTER);
        assert_eq!(
            h["__connect.errors.exception.class.name"],
            "org.apache.kafka.connect.errors.RetriableException"
        );
        assert_eq!(
            h["__connect.errors.exception.message"],
            format!("{tolerant} is unavailable")
        );
        assert!(h["__connect.errors.exception.stacktrace"]
            .starts_with("org.apache.kafka.connect.errors.RetriableException: "));
    }
    let status = w
        .http
        .get(&format!("/connectors/{tolerant}/status"))
        .await
        .body;
    assert_eq!(states(&status).1, vec!["RUNNING".to_string()]);
    // The offsets moved past the skipped records only once the DLQ had them.
    let t = topic.clone();
    let group = format!("connect-{tolerant}");
    eventually("the skipped records are committed", T, || {
        group_offsets(&group, &t, 1).get(&0) == Some(&5)
    })
    .await;
    w.stop().await;
}

/// A converter whose `prepare_to_connect` cannot reach its registry: within
/// `errors.retry.timeout` the stage waits and every record arrives in order; past it, each
/// record of the batch fails as Java's `toConnectData` would, so `errors.tolerance=all` sends
/// them to the DLQ (stage VALUE_CONVERTER) and the task keeps running.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn converter_prepare_failures_are_retried_then_tolerated_per_record() {
    let w = KafkaWorker::start().await;
    let topic = unique("strait-prepare");
    create_topic(&topic, 1).await;
    let sent = values("p", 20);
    produce(&topic, 1, &sent).await;

    let brief = unique("prepare-brief");
    set_down(&brief, Duration::from_secs(2));
    create(
        &w.http,
        &brief,
        json!({"connector.class": SINK_CLASS, "topics": topic,
               "value.converter": FLAKY_CONVERTER, "value.converter.flaky.name": brief,
               "value.converter.flaky.in": "prepare",
               "errors.retry.timeout": "30000", "errors.retry.delay.max.ms": "500"}),
    )
    .await;
    let n = brief.clone();
    eventually("all records", T, || received(&n).len() >= 20).await;
    assert_eq!(received(&brief), sent, "every record once, in order");

    let away = unique("prepare-away");
    let dlq = unique("strait-prepare-dlq");
    set_down(&away, Duration::from_secs(3600));
    create(
        &w.http,
        &away,
        json!({"connector.class": SINK_CLASS, "topics": topic,
               "value.converter": FLAKY_CONVERTER, "value.converter.flaky.name": away,
               "value.converter.flaky.in": "prepare",
               "errors.retry.timeout": "500", "errors.tolerance": "all",
               "errors.deadletterqueue.topic.name": dlq,
               "errors.deadletterqueue.topic.replication.factor": "1",
               "errors.deadletterqueue.context.headers.enable": "true"}),
    )
    .await;
    let records = read_records(&dlq, 20);
    assert_eq!(records.len(), 20);
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r.value.as_deref(), Some(sent[i].as_str()));
        assert_eq!(r.headers["__connect.errors.stage"], "VALUE_CONVERTER");
        assert_eq!(
            r.headers["__connect.errors.exception.message"],
            format!("{away} cannot be reached")
        );
    }
    assert!(received(&away).is_empty());
    let status = w.http.get(&format!("/connectors/{away}/status")).await.body;
    assert_eq!(states(&status).1, vec!["RUNNING".to_string()]);
    w.stop().await;
}

/// §2.6: records the task reports through the errant record reporter go to the DLQ with
/// stage TASK_PUT and Java's `SinkTask` class; the others are written; under
/// `errors.tolerance=none` a report fails the task.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errant_records_go_to_the_dlq_with_their_context() {
    let sent: Vec<String> = (0..10)
        .map(|i| {
            if i % 4 == 1 {
                format!("bad-{i}")
            } else {
                format!("ok-{i}")
            }
        })
        .collect();
    let dlq = unique("strait-errant-dlq");
    let Scenario { w, topic, name } = controlled_sink(
        "errant",
        1,
        &sent,
        |_| {},
        json!({"errors.tolerance": "all", "errors.deadletterqueue.topic.name": dlq,
               "errors.deadletterqueue.topic.replication.factor": "1",
               "errors.deadletterqueue.context.headers.enable": "true"}),
    )
    .await;
    let records = read_records(&dlq, 3);
    let bad: Vec<(usize, &String)> = sent
        .iter()
        .enumerate()
        .filter(|(_, v)| v.starts_with("bad"))
        .collect();
    assert_eq!(records.len(), bad.len());
    for (r, (offset, value)) in records.iter().zip(&bad) {
        assert_eq!(r.value.as_deref(), Some(value.as_str()));
        let h = &r.headers;
        assert_eq!(h["__connect.errors.topic"], topic);
        assert_eq!(h["__connect.errors.partition"], "0");
        assert_eq!(h["__connect.errors.offset"], offset.to_string());
        assert_eq!(h["__connect.errors.connector.name"], name);
        assert_eq!(h["__connect.errors.task.id"], "0");
        assert_eq!(h["__connect.errors.stage"], "TASK_PUT");
        assert_eq!(
            h["__connect.errors.class.name"],
            "org.apache.kafka.connect.sink.SinkTask"
        );
        assert_eq!(
            h["__connect.errors.exception.class.name"],
            "org.apache.kafka.connect.errors.DataException"
        );
        assert_eq!(
            h["__connect.errors.exception.message"],
            format!("cannot write {value}")
        );
        assert!(h["__connect.errors.exception.stacktrace"].contains("cannot write"));
    }
    let n = name.clone();
    eventually("good records durable", T, || durable_values(&n).len() >= 7).await;
    let good: Vec<String> = sent
        .iter()
        .filter(|v| v.starts_with("ok"))
        .cloned()
        .collect();
    assert_eq!(durable_values(&name), good);

    let strict = unique("errant-strict");
    create(
        &w.http,
        &strict,
        json!({"connector.class": CONTROLLED_SINK, "topics": topic}),
    )
    .await;
    let failed = w
        .http
        .wait_for(&format!("/connectors/{strict}/status"), T, |s| {
            states(s).1 == vec!["FAILED".to_string()]
        })
        .await;
    let trace = failed["tasks"][0]["trace"].as_str().unwrap();
    assert!(
        trace.contains("Tolerance exceeded in error handler") && trace.contains("TASK_PUT"),
        "{trace}"
    );
    w.stop().await;
}

/// A sink that holds up `put` for longer than `max.poll.interval.ms` (6 s here), with 60,000
/// records queued, enough to fill the channel to the driver: once `put` goes through again,
/// every record is written once, the task never lost its partitions (one `open`, no `close`),
/// and it is RUNNING. Returns the sink's name and what was sent.
async fn put_held_up_longer_than_max_poll_interval(
    prefix: &str,
    partitions: i32,
    hold_up: impl FnOnce(&mut SinkLog),
) -> (String, Vec<String>) {
    let sent = values(prefix, 60_000);
    let Scenario { w, name, .. } = controlled_sink(
        prefix,
        partitions,
        &sent,
        hold_up,
        json!({"consumer.override.session.timeout.ms": "6000",
               "consumer.override.max.poll.interval.ms": "6000"}),
    )
    .await;
    let n = name.clone();
    eventually("every record durable", Duration::from_secs(90), || {
        durable_values(&n).len() >= sent.len()
    })
    .await;
    let (opens, closes, did) = opens_and_closes(&name);
    assert_eq!((opens, closes), (1, 0), "no rebalance: {did:?}");
    let got = durable_values(&name);
    assert_eq!(got.len(), sent.len(), "nothing twice");
    let got: BTreeSet<&String> = got.iter().collect();
    assert!(sent.iter().all(|v| got.contains(v)), "nothing lost");
    let status = w.http.get(&format!("/connectors/{name}/status")).await.body;
    assert_eq!(states(&status).1, vec!["RUNNING".to_string()]);
    w.stop().await;
    (name, sent)
}

/// §2.3: `put` fails retriably for 14 s. The driver pauses the partitions and redelivers the
/// batch (every 200 ms, the task's `timeout`) while the consumer keeps polling.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retriable_put_failures_keep_the_group_membership() {
    let (name, _) = put_held_up_longer_than_max_poll_interval("redeliver", 2, |l| {
        l.fail_until = Some(Instant::now() + Duration::from_secs(14))
    })
    .await;
    let failures = with_log(&name, |l| l.put_failures);
    assert!(
        failures >= 10,
        "put was retried while failing ({failures} attempts)"
    );
}

/// One `put` takes 10 s: the consumer thread, finding the channel full, pauses its partitions
/// and keeps polling. Records arrive in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_put_keeps_the_group_membership() {
    let (name, sent) = put_held_up_longer_than_max_poll_interval("slow-put", 1, |l| {
        l.slow_first_put = Duration::from_secs(10)
    })
    .await;
    assert_eq!(durable_values(&name), sent, "in order");
}

/// §2.5: a second worker joins the group of a running sink: the first task's revoked
/// partitions are made durable (`pre_commit` knows they are being revoked, and takes 2 s) and
/// committed before the second task reads them; the group's committed offsets never pass what
/// the tasks made durable; after the first worker stops, the second owns everything and no
/// record is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebalance_between_two_tasks_loses_nothing_and_commits_only_durable_data() {
    let a = KafkaWorker::start().await;
    let b = KafkaWorker::start().await;
    let topic = unique("strait-rebalance");
    create_topic(&topic, 4).await;
    let name = unique("rebalance");
    with_log(&name, |l| l.slow_revocation = Duration::from_secs(2));
    let first = values("a", 4_000);
    produce(&topic, 4, &first).await;
    let config = json!({"connector.class": CONTROLLED_SINK, "topics": topic});
    create(&a.http, &name, config.clone()).await;
    let n = name.clone();
    eventually("the first task made data durable", T, || {
        !durable_values(&n).is_empty()
    })
    .await;

    create(&b.http, &name, config).await;
    eventually("the partitions are shared", T, || {
        with_log(&n, |l| {
            l.did
                .iter()
                .any(|(_, d)| matches!(d, Did::PreCommit { revoking } if !revoking.is_empty()))
                && l.did
                    .iter()
                    .filter(|(_, d)| matches!(d, Did::Open(_)))
                    .count()
                    >= 2
        })
    })
    .await;
    let second = values("b", 4_000);
    produce(&topic, 4, &second).await;
    let group = format!("connect-{name}");
    let t = topic.clone();
    // Committed offsets never pass what was made durable.
    for _ in 0..10 {
        let committed = group_offsets(&group, &t, 4);
        let durable = with_log(&name, |l| l.durable_offsets.clone());
        for (p, c) in &committed {
            assert!(
                durable.get(p).is_some_and(|d| c <= d),
                "partition {p}: committed {c} is past durable {:?}",
                durable.get(p)
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    a.stop().await;
    let all: BTreeSet<String> = first.iter().chain(&second).cloned().collect();
    eventually(
        "every record durable somewhere",
        Duration::from_secs(90),
        || {
            let got: BTreeSet<String> = durable_values(&n).into_iter().collect();
            all.iter().all(|v| got.contains(v))
        },
    )
    .await;
    b.stop().await;
    let committed = group_offsets(&group, &topic, 4);
    let durable = with_log(&name, |l| l.durable_offsets.clone());
    assert_eq!(committed.len(), 4, "{committed:?}");
    for (p, c) in &committed {
        assert!(
            durable.get(p).is_some_and(|d| c <= d),
            "partition {p}: {c} > {durable:?}"
        );
    }
    assert_eq!(
        committed.values().sum::<i64>(),
        8_000,
        "everything committed in the end"
    );
}

/// §2.8: a task rewinds a partition through its context: the records from the requested
/// offset are read again, after everything before the rewind, and nothing stale in between.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_can_rewind_a_partition() {
    let sent = values("w", 100);
    let Scenario { w, name, .. } =
        controlled_sink("rewind", 1, &sent, |l| l.rewind_once = true, json!({})).await;
    let n = name.clone();
    let all = sent.clone();
    eventually("the partition read again after the rewind", T, || {
        let got = durable_values(&n);
        got.len() > all.len() && got.ends_with(&all)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = durable_values(&name);
    // What the first put held comes first, then the whole partition again from offset 0, and
    // nothing read before the rewind leaks in between.
    let replay_start = got.len() - sent.len();
    assert_eq!(&got[replay_start..], &sent[..], "{got:?}");
    assert_eq!(&got[..replay_start], &sent[..replay_start], "{got:?}");
    w.stop().await;
}

/// §2.8: a task pauses one partition through its context: nothing of it arrives while the
/// other partition flows; after `resume` it arrives too. The context reports the assignment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_can_pause_and_resume_a_partition() {
    let sent = values("p", 200);
    let Scenario { w, topic, name } = controlled_sink(
        "task-pause",
        2,
        &sent,
        |l| l.hold_partition_1 = true,
        json!({}),
    )
    .await;
    let n = name.clone();
    eventually("partition 0 delivered", T, || {
        durable_values(&n).len() >= 100
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let got = with_log(&name, |l| l.durable.clone());
    assert!(
        got.iter().all(|(p, _, _)| *p == 0),
        "nothing of the paused partition"
    );
    assert_eq!(got.len(), 100);
    let assignment = with_log(&name, |l| l.seen_assignment.clone());
    assert_eq!(
        assignment,
        vec![
            TopicPartition::new(topic.clone(), 0),
            TopicPartition::new(topic.clone(), 1)
        ]
    );
    with_log(&name, |l| l.release_partition_1 = true);
    // A put is needed for the task to act: more data on partition 0.
    produce(&topic, 1, &values("q", 10)).await;
    eventually("partition 1 delivered after resume", T, || {
        with_log(&n, |l| l.durable.iter().filter(|(p, _, _)| *p == 1).count()) >= 100
    })
    .await;
    w.stop().await;
}

/// One record read back from a topic.
struct ReadRecord {
    key: Option<String>,
    value: Option<String>,
    headers: HashMap<String, String>,
}

/// Read at least `n` records of `topic` from the start (30 s at most).
fn read_records(topic: &str, n: usize) -> Vec<ReadRecord> {
    let c: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", unique("strait-test-reader"))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut out = Vec::new();
    while out.len() < n && Instant::now() < deadline {
        // The DLQ topic appears when the task starts; subscribe until it exists.
        if c.subscription().map(|s| s.count()).unwrap_or(0) == 0 {
            let _ = c.subscribe(&[topic]);
        }
        if let Some(Ok(m)) = c.poll(Duration::from_millis(200)) {
            let s = |b: Option<&[u8]>| b.map(|b| String::from_utf8_lossy(b).into_owned());
            let headers = m
                .headers()
                .map(|h| {
                    h.iter()
                        .map(|h| (h.key.to_string(), s(h.value).unwrap_or_default()))
                        .collect()
                })
                .unwrap_or_default();
            out.push(ReadRecord {
                key: s(m.key()),
                value: s(m.payload()),
                headers,
            });
        }
    }
    out
}
