//! Test-only plugins and harness for the REST integration tests.
//!
//! The real connectors live in a crate that depends on the engine, so the tests bring their
//! own: a source that emits counted rows (`row-<n>`) with `{"position": n}` offsets, one source
//! partition per task; a sink that records what it got per connector and fails when told to;
//! and a UTF-8 string converter registered under Kafka's `StringConverter` name.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use arrow::array::{Array, ArrayRef, BinaryArray, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use async_trait::async_trait;
use serde_json::{json, Value};

use strait_engine::batch::{columns, Batch, Provenance, SourceMap};
use strait_engine::config::{ConfigDef, Props, Validator};
use strait_engine::herder::standalone::StandaloneHerder;
use strait_engine::herder::Herder;
use strait_engine::plugin::{
    connector_plugin, Connector, Converter, ConverterPlugin, Decoded, PluginInfo, PluginType,
    SinkTask, SinkTaskContext, SourceTask, SourceTaskContext, TaskInstance,
};
use strait_engine::registry::Registry;
use strait_engine::standalone::StandaloneWorker;
use strait_engine::{Error, Result};

pub const SOURCE_CLASS: &str = "io.strait.test.CounterSourceConnector";
pub const SINK_CLASS: &str = "io.strait.test.RecordingSinkConnector";
pub const STRING_CONVERTER: &str = "org.apache.kafka.connect.storage.StringConverter";

// ---------------------------------------------------------------------------------------------
// Converter

struct Utf8Converter;

impl Converter for Utf8Converter {
    fn from_connect(&self, _field: &Field, column: &ArrayRef) -> Result<BinaryArray> {
        let cast = arrow::compute::cast(column, &DataType::Binary)?;
        Ok(cast
            .as_any()
            .downcast_ref::<BinaryArray>()
            .expect("binary")
            .clone())
    }
    fn to_connect(&self, payloads: &BinaryArray) -> Result<Decoded> {
        let array = arrow::compute::cast(payloads, &DataType::Utf8)?;
        Ok(Decoded::single(
            Field::new("value", DataType::Utf8, true),
            array,
            Vec::new(),
        ))
    }
}

fn string_converter() -> ConverterPlugin {
    ConverterPlugin {
        info: PluginInfo {
            class: STRING_CONVERTER,
            extra_aliases: &[],
            kind: PluginType::Converter,
            version: "1.0",
        },
        config_def: ConfigDef::new,
        create: |_, _| Ok(Arc::new(Utf8Converter)),
    }
}

/// The worker's default header converter class, backed by the same UTF-8 double (the engine's
/// tests cannot see the real converters of `strait-formats`).
fn header_converter() -> ConverterPlugin {
    ConverterPlugin {
        info: PluginInfo {
            class: "org.apache.kafka.connect.storage.SimpleHeaderConverter",
            extra_aliases: &[],
            kind: PluginType::HeaderConverter,
            version: "1.0",
        },
        config_def: ConfigDef::new,
        create: |_, _| Ok(Arc::new(Utf8Converter)),
    }
}

// ---------------------------------------------------------------------------------------------
// Counting source: one partition `{"task": i}` per task, rows `row-<n>`, offset `{"position": n+1}`.

pub struct CounterSource;

strait_engine::declare_config! {
    pub struct CounterConfig {
        pub topic: String {
            key: "topic",
            ty: String,
            default: required,
            validator: Validator::NonEmptyString,
            importance: High,
            doc: "Topic to write to",
        },
        pub per_poll: i64 {
            key: "rows.per.poll",
            ty: Int,
            default: "5",
            validator: Validator::at_least(1.0),
            importance: Low,
            doc: "Rows per poll",
            map: i64::from,
        },
        pub max_rows: i64 {
            key: "max.rows",
            ty: Long,
            default: "-1",
            importance: Low,
            doc: "Stop after this many rows (-1: never)",
        },
    }
}

impl Connector for CounterSource {
    type Config = CounterConfig;
    fn info() -> PluginInfo {
        PluginInfo {
            class: SOURCE_CLASS,
            extra_aliases: &[],
            kind: PluginType::Source,
            version: "1.0",
        }
    }
    fn config_def() -> ConfigDef {
        CounterConfig::config_def()
    }
    fn parse(props: &Props) -> Result<CounterConfig> {
        CounterConfig::parse(props)
    }
    fn task_class() -> &'static str {
        "io.strait.test.CounterSourceTask"
    }
    /// One task per `tasks.max`, so the task count follows it.
    fn task_configs(_: &CounterConfig, props: &Props, max_tasks: usize) -> Result<Vec<Props>> {
        Ok((0..max_tasks)
            .map(|i| {
                let mut p = props.clone();
                p.insert("task.index".into(), i.to_string());
                p
            })
            .collect())
    }
    fn create_task(task_props: &Props) -> Result<TaskInstance> {
        let config = CounterConfig::parse(task_props)?;
        Ok(TaskInstance::Source(Box::new(CounterTask {
            topic: config.topic,
            per_poll: config.per_poll,
            max_rows: config.max_rows,
            partition: json!({"task": task_props.get("task.index").cloned().unwrap_or_default()})
                .as_object()
                .cloned()
                .unwrap(),
            position: 0,
        })))
    }
}

struct CounterTask {
    topic: String,
    per_poll: i64,
    max_rows: i64,
    partition: SourceMap,
    position: i64,
}

#[async_trait]
impl SourceTask for CounterTask {
    async fn start(&mut self, ctx: SourceTaskContext) -> Result<()> {
        self.position = ctx
            .offsets
            .offset(&self.partition)
            .and_then(|o| o.get("position").and_then(Value::as_i64))
            .unwrap_or(0);
        Ok(())
    }
    async fn poll(&mut self) -> Result<Option<Batch>> {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let mut n = self.per_poll;
        if self.max_rows >= 0 {
            n = n.min(self.max_rows - self.position);
        }
        if n <= 0 {
            return Ok(None);
        }
        let rows: Vec<String> = (self.position..self.position + n)
            .map(|i| format!("row-{i}"))
            .collect();
        self.position += n;
        let schema = Arc::new(Schema::new(vec![
            Field::new(columns::TOPIC, DataType::Utf8, false),
            Field::new(columns::VALUE, DataType::Utf8, true),
        ]));
        let topics = StringArray::from(vec![self.topic.as_str(); rows.len()]);
        let values = StringArray::from(rows);
        let rb = RecordBatch::try_new(schema, vec![Arc::new(topics), Arc::new(values)])?;
        let offset = json!({"position": self.position})
            .as_object()
            .cloned()
            .unwrap();
        Ok(Some(Batch::new(
            rb,
            Provenance::Source(vec![(self.partition.clone(), offset)]),
        )))
    }
}

// ---------------------------------------------------------------------------------------------
// Recording sink

pub struct RecordingSink;

fn received_map() -> &'static Mutex<HashMap<String, Vec<String>>> {
    static M: OnceLock<Mutex<HashMap<String, Vec<String>>>> = OnceLock::new();
    M.get_or_init(std::default::Default::default)
}

fn failing() -> &'static Mutex<HashSet<String>> {
    static F: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    F.get_or_init(std::default::Default::default)
}

/// Values the sink of `connector` received so far.
pub fn received(connector: &str) -> Vec<String> {
    received_map()
        .lock()
        .unwrap()
        .get(connector)
        .cloned()
        .unwrap_or_default()
}

/// Make the sink of `connector` fail on its next `put` (or stop failing).
pub fn set_failing(connector: &str, fail: bool) {
    let mut f = failing().lock().unwrap();
    if fail {
        f.insert(connector.to_string());
    } else {
        f.remove(connector);
    }
}

fn sink_def() -> ConfigDef {
    ConfigDef::new()
}

impl Connector for RecordingSink {
    type Config = ();
    fn info() -> PluginInfo {
        PluginInfo {
            class: SINK_CLASS,
            extra_aliases: &[],
            kind: PluginType::Sink,
            version: "1.0",
        }
    }
    fn config_def() -> ConfigDef {
        sink_def()
    }
    fn parse(_: &Props) -> Result<()> {
        Ok(())
    }
    fn task_class() -> &'static str {
        "io.strait.test.RecordingSinkTask"
    }
    fn task_configs(_: &(), props: &Props, max_tasks: usize) -> Result<Vec<Props>> {
        Ok(vec![props.clone(); max_tasks.min(1)])
    }
    fn create_task(_: &Props) -> Result<TaskInstance> {
        Ok(TaskInstance::Sink(Box::new(RecordingTask {
            connector: String::new(),
        })))
    }
}

struct RecordingTask {
    connector: String,
}

#[async_trait]
impl SinkTask for RecordingTask {
    async fn start(&mut self, ctx: SinkTaskContext) -> Result<()> {
        self.connector = ctx.connector;
        Ok(())
    }
    async fn put(&mut self, batch: Batch) -> Result<()> {
        if failing().lock().unwrap().contains(&self.connector) {
            return Err(Error::external("RecordingSink was told to fail", false));
        }
        let col = batch.column(columns::VALUE).expect("value column");
        let values = col
            .as_any()
            .downcast_ref::<StringArray>()
            .expect("decoded utf8");
        let mut map = received_map().lock().unwrap();
        let list = map.entry(self.connector.clone()).or_default();
        list.extend(
            (0..values.len())
                .filter(|&i| values.is_valid(i))
                .map(|i| values.value(i).to_string()),
        );
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Harness

pub fn registry() -> Registry {
    Registry::new()
        .with_connectors([
            connector_plugin::<CounterSource>(),
            connector_plugin::<RecordingSink>(),
            connector_plugin::<crate::sink_runtime::ControlledSink>(),
        ])
        .with_converters([
            string_converter(),
            header_converter(),
            crate::sink_runtime::flaky_converter(),
        ])
        .with_transforms(test_transforms())
}

/// Classes of the test-only transforms and predicate (their keys are what matters here: the
/// REST layer lists, defines and validates them as Java does; they never run).
pub const TAG_VALUE: &str = "io.strait.test.Tag$Value";
pub const TAG_KEY: &str = "io.strait.test.Tag$Key";
pub const IS_TAGGED: &str = "io.strait.test.IsTaggedPredicate";
/// A second `$Value` class: `Value` then names two classes, so (as in Java) neither.
pub const MARK_VALUE: &str = "io.strait.test.Mark$Value";

strait_engine::declare_config! {
    /// Keys of the test transforms.
    #[derive(Debug)]
    pub struct TagKeys {
        pub tag: String {
            key: "tag",
            ty: String,
            default: required,
            importance: High,
            doc: "The tag to add.",
        },
        pub times: i32 {
            key: "times",
            ty: Int,
            default: "1",
            validator: strait_engine::config::Validator::at_least(1.0),
            importance: Low,
            doc: "How many times.",
        },
    }
}

fn test_transforms() -> Vec<strait_engine::transforms::registry::TransformPlugin> {
    use strait_engine::config::ConfigDef;
    use strait_engine::transforms::registry::{Build, TransformPlugin};
    vec![
        TransformPlugin {
            class: TAG_VALUE,
            config_def: TagKeys::config_def,
            build: Build::Transform(|_, _| Err(strait_engine::Error::config("test-only"))),
        },
        TransformPlugin {
            class: TAG_KEY,
            config_def: TagKeys::config_def,
            build: Build::Transform(|_, _| Err(strait_engine::Error::config("test-only"))),
        },
        TransformPlugin {
            class: MARK_VALUE,
            config_def: ConfigDef::new,
            build: Build::Transform(|_, _| Err(strait_engine::Error::config("test-only"))),
        },
        TransformPlugin {
            class: IS_TAGGED,
            config_def: ConfigDef::new,
            build: Build::Predicate(|_| Err(strait_engine::Error::config("test-only"))),
        },
    ]
}

/// The broker from `cargo xtask test` / `cargo xtask services up kafka`.
pub fn bootstrap() -> String {
    std::env::var("STRAIT_TEST_BOOTSTRAP").unwrap_or_else(|_| {
        panic!(
            "STRAIT_TEST_BOOTSTRAP is not set: these tests need a real Kafka broker. Run them with \
             `cargo xtask test`, or `cargo xtask services up kafka` and export \
             STRAIT_TEST_BOOTSTRAP=127.0.0.1:9092"
        )
    })
}

/// A unique name per test run (topics and connectors must not collide across runs).
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

fn worker_props(bootstrap: &str, dir: &std::path::Path) -> Props {
    let mut p = Props::new();
    p.insert("bootstrap.servers".into(), bootstrap.into());
    p.insert("key.converter".into(), STRING_CONVERTER.into());
    p.insert("value.converter".into(), STRING_CONVERTER.into());
    p.insert(
        "offset.storage.file.filename".into(),
        dir.join("connect.offsets").display().to_string(),
    );
    p.insert("offset.flush.interval.ms".into(), "100".into());
    p.insert("listeners".into(), "http://127.0.0.1:0".into());
    p.insert("task.shutdown.graceful.timeout.ms".into(), "3000".into());
    p
}

/// A standalone worker against the real broker, with its REST API.
pub struct KafkaWorker {
    pub worker: Option<StandaloneWorker>,
    pub http: Http,
    _dir: tempfile::TempDir,
}

impl KafkaWorker {
    pub async fn start() -> KafkaWorker {
        let dir = tempfile::tempdir().unwrap();
        let worker =
            StandaloneWorker::start(worker_props(&bootstrap(), dir.path()), &[], registry())
                .await
                .expect("worker starts");
        let http = Http::new(worker.rest_addr);
        KafkaWorker {
            worker: Some(worker),
            http,
            _dir: dir,
        }
    }

    pub async fn stop(mut self) {
        if let Some(w) = self.worker.take() {
            w.shutdown().await;
        }
    }
}

/// A herder and REST server that never talk to Kafka (no connector in it runs tasks against
/// a broker), for contract tests that need no services.
pub struct OfflineWorker {
    #[allow(dead_code)]
    pub herder: Arc<StandaloneHerder>,
    pub http: Http,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl OfflineWorker {
    pub async fn start() -> OfflineWorker {
        use strait_engine::offsets::FileOffsetStore;
        use strait_engine::runtime::WorkerContext;
        use strait_engine::worker_config::WorkerConfig;
        let dir = tempfile::tempdir().unwrap();
        // Port 9 (discard) refuses connections: nothing here may depend on a broker.
        let config = WorkerConfig::from_props(&worker_props("127.0.0.1:9", dir.path())).unwrap();
        let offsets = Arc::new(FileOffsetStore::open(dir.path().join("connect.offsets")).unwrap());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let ctx = WorkerContext {
            config,
            registry: registry(),
            offsets,
            worker_id: format!("127.0.0.1:{}", addr.port()),
            metrics: Default::default(),
        };
        let herder = Arc::new(StandaloneHerder::new(
            Arc::new(ctx),
            Some("test-cluster".into()),
        ));
        herder.set_ready();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        strait_engine::rest::serve(herder.clone() as Arc<dyn Herder>, listener, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
        OfflineWorker {
            herder,
            http: Http::new(addr),
            shutdown: Some(tx),
            _dir: dir,
        }
    }
}

impl Drop for OfflineWorker {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Status code, body as JSON (`Null` when empty) and headers of a response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

/// A small JSON-over-HTTP client.
#[derive(Clone)]
pub struct Http {
    base: String,
    client: reqwest::Client,
}

impl Http {
    pub fn new(addr: SocketAddr) -> Http {
        Http {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
        }
    }

    /// Send `method path` with an optional JSON body (sent verbatim, as `application/json`).
    pub async fn call(&self, method: &str, path: &str, body: Option<&str>) -> Reply {
        let mut req = self
            .client
            .request(method.parse().unwrap(), format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req
                .header("Content-Type", "application/json")
                .body(b.to_string());
        }
        self.send(req).await
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        let resp = req.send().await.expect("request sent");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Reply {
            status,
            body,
            headers,
        }
    }

    pub fn request(&self, method: &str, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method.parse().unwrap(), format!("{}{path}", self.base))
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call("GET", path, None).await
    }

    /// Poll `GET path` until `pred` holds; panics with the last body after `timeout`.
    pub async fn wait_for(
        &self,
        path: &str,
        timeout: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let r = self.get(path).await;
            if r.status == 200 && pred(&r.body) {
                return r.body;
            }
            if Instant::now() > deadline {
                panic!(
                    "timed out waiting on GET {path}; last answer {} {}",
                    r.status, r.body
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Wait until `f` holds.
pub async fn eventually(what: &str, timeout: Duration, f: impl Fn() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// States of a status body: connector state and task states.
pub fn states(status: &Value) -> (String, Vec<String>) {
    let c = status["connector"]["state"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let t = status["tasks"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|t| t["state"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default();
    (c, t)
}

/// Every value in `topic`, read from the start with a fresh consumer group.
pub fn read_topic(topic: &str, expect_at_least: usize) -> Vec<String> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::message::Message;
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", unique("strait-test-reader"))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut idle_since = Instant::now();
    while Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => {
                out.push(String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned());
                idle_since = Instant::now();
            }
            _ if out.len() >= expect_at_least && idle_since.elapsed() > Duration::from_secs(1) => {
                break
            }
            _ => {}
        }
    }
    out
}

/// Counts of each value.
pub fn counts(values: &[String]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for v in values {
        *m.entry(v.clone()).or_insert(0) += 1;
    }
    m
}

/// Path of the repository root (for `openapi/`).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}
