//! End-to-end benchmark driver (run through `cargo xtask bench`).
//!
//! Follows `benchmarking.md`'s protocol: pre-load a topic, stop the producer, then time the
//! system under test draining it; report records per CPU-second of the measured process
//! (utime+stime from /proc), wall time and peak RSS (VmHWM). Scenarios, on one real broker:
//!
//! 1. `source`: Strait Datagen (`users`, JSON, with Datagen's three int64 headers) → Kafka,
//!    until every record is acknowledged.
//! 2. `raw`: the baseline, a plain rdkafka `BaseConsumer` loop (this binary re-run as
//!    `e2e raw-consume …`, so it is measured as its own process like the others) reading the topic
//!    with the sink task's consumer settings and touching every key and payload. This is the
//!    client every Strait sink is built on; the drain below is judged against it. A second run
//!    also reads every header, to show what that part of the client costs.
//! 3. `drain`: Strait blackhole sink draining that topic (raw, never decoded).
//! 4. `drain-file`: Strait FileStreamSink into /dev/null with ByteArrayConverter.
//! 5. `drain-peer`: Apache Kafka Connect (JVM, same broker, same topic) doing exactly that — the
//!    cheapest sink the published connect jars offer (their Mock/Verifiable connectors are not
//!    discoverable as plugins).
//!
//! 6. `drain-smt` / `peer-smt`: the FileStreamSink drain again with schemaless JSON values and
//!    a chain of five transforms (InsertField, Cast, ReplaceField, Filter on RecordIsTombstone,
//!    TimestampConverter), Strait and then the JVM with the same connector config.
//!
//! Then the ratio lines of the targets: drain → blackhole ≥ 90 % of the raw consume,
//! drain → FileStreamSink ≥ 9× the JVM, the SMT drain ≥ 10× the JVM, source ≥ 800k records per
//! CPU-second.
//!
//! Those six are the default run. `--scenario kafka_to_s3` runs instead the S3 sink benchmark
//! of [`kafka_to_s3`] (D1 → Kafka → Parquet on S3, beside a JVM Parquet sink);
//! `--scenario exactly_once` the exactly-once source benchmark of [`exactly_once`];
//! `--scenario kafka_to_opensearch` the Elasticsearch/OpenSearch sink benchmark of
//! [`kafka_to_opensearch`] (D1 → Kafka → OpenSearch `_bulk`, beside a JVM bulk sink);
//! `--scenario kafka_to_cassandra` the Cassandra sink benchmark of [`kafka_to_cassandra`]
//! (D1 → Kafka → CQL writes, beside DataStax's connector core on the JVM);
//! `--scenario kafka_to_http` the HTTP sink benchmark of [`kafka_to_http`] (D1 → Kafka →
//! batched JSON POSTs to a local endpoint, this binary re-run as `e2e http-endpoint`, beside
//! Confluent HTTP Sink V1's work on the JVM).

// A crate root looks for its modules beside it, where Cargo would take the file for a binary.
/// xtask's CQL client (its services probe Cassandra with it), shared rather than copied: the
/// driver creates, truncates and counts the kafka_to_cassandra tables with it.
#[path = "../../../xtask/src/services/cql.rs"]
mod cql;
#[path = "e2e/exactly_once.rs"]
mod exactly_once;
#[path = "e2e/http_endpoint.rs"]
mod http_endpoint;
#[path = "e2e/kafka_to_cassandra.rs"]
mod kafka_to_cassandra;
#[path = "e2e/kafka_to_http.rs"]
mod kafka_to_http;
#[path = "e2e/kafka_to_opensearch.rs"]
mod kafka_to_opensearch;
#[path = "e2e/kafka_to_s3.rs"]
mod kafka_to_s3;
#[path = "e2e/sink_bench.rs"]
mod sink_bench;

/// Same allocator as the `strait` binary (see Cargo.toml).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::message::Headers;
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};

struct Args {
    bootstrap: String,
    records: u64,
    partitions: i32,
    strait: PathBuf,
    java_libs: Option<PathBuf>,
    work: PathBuf,
    /// `--worker-prop KEY=VALUE` (repeatable): extra lines of the default run's Strait worker
    /// properties.
    worker_props: Vec<String>,
    /// `--smt-only TOPIC`: run only the SMT drains on that pre-loaded topic.
    smt_only: Option<String>,
    /// `--scenario NAME`: `default` (the six above), `kafka_to_s3`, `exactly_once`,
    /// `kafka_to_opensearch`, `kafka_to_cassandra` or `kafka_to_http`.
    scenario: String,
    /// `kafka_to_s3`: the S3 sink's `flush.size`.
    flush_size: u64,
    /// `kafka_to_s3`: the S3 endpoint (`store.url`) and bucket.
    s3_endpoint: String,
    bucket: String,
    /// `kafka_to_s3`: Kafka Connect plugin directory holding Apache Iceberg's sink and its
    /// dependencies (the JVM peer); without it, or without `--java-libs`, no peer runs.
    iceberg_plugin: Option<PathBuf>,
    /// `kafka_to_s3`/`kafka_to_opensearch`/`kafka_to_cassandra`/`kafka_to_http --peer-only`:
    /// pre-load and run the JVM peer alone
    /// (for working on it, or while Strait's side does not run).
    peer_only: bool,
    /// `kafka_to_s3 --memory-budget BYTES`: the memory test. Strait alone, hourly partitioner
    /// on record time, `sink.buffer.memory.bytes` = BYTES, files committed only by the budget
    /// and a 5 s scheduled rotation; reports peak RSS against the budget.
    memory_budget: Option<u64>,
    /// `kafka_to_s3 --drain-only TOPIC`: Strait's drain alone, on a topic an earlier run
    /// pre-loaded (for iterating on the sink; the published numbers come from whole runs).
    drain_only: Option<String>,
    /// `kafka_to_s3 --avro URL`: D1 as Avro in Confluent's wire format instead of JSON, its
    /// schema registered at this Confluent-compatible registry; Strait's S3 sink reads it with
    /// `io.confluent.connect.avro.AvroConverter`. No JVM peer (Confluent's converter is not on
    /// Maven Central).
    avro_registry: Option<String>,
    /// `kafka_to_opensearch`: the OpenSearch (or Elasticsearch) both sinks index into.
    opensearch_url: String,
    /// `kafka_to_opensearch`: the server's pid, whose CPU is reported per drain; without it,
    /// the process listening on the URL's port.
    opensearch_pid: Option<u32>,
    /// `kafka_to_opensearch`: Kafka Connect plugin directory holding the JVM peer
    /// (`bench/jvm/opensearch-sink` packaged); without it, or without `--java-libs`, no peer runs.
    opensearch_plugin: Option<PathBuf>,
    /// `kafka_to_cassandra`: the CQL address (`host:port`) of the node both sinks write to.
    cassandra: String,
    /// `kafka_to_cassandra`: the node's pid, whose CPU is reported per drain; without it, the
    /// process listening on the CQL port.
    cassandra_pid: Option<u32>,
    /// `kafka_to_cassandra`: Kafka Connect plugin directory holding the JVM peer
    /// (`bench/jvm/cassandra-sink` packaged); without it, or without `--java-libs`, no peer runs.
    cassandra_plugin: Option<PathBuf>,
    /// `kafka_to_http`: Kafka Connect plugin directory holding the JVM peer
    /// (`bench/jvm/http-sink` packaged); without it, or without `--java-libs`, no peer runs.
    http_plugin: Option<PathBuf>,
}

fn parse_args() -> Result<Args> {
    let mut a = Args {
        bootstrap: "127.0.0.1:9092".into(),
        records: 2_000_000,
        partitions: 16,
        strait: PathBuf::from("target/release/strait"),
        java_libs: None,
        work: std::env::temp_dir().join("strait-bench"),
        smt_only: None,
        worker_props: Vec::new(),
        scenario: "default".into(),
        flush_size: 100_000,
        s3_endpoint: "http://127.0.0.1:5000".into(),
        bucket: "data-lake".into(),
        iceberg_plugin: None,
        peer_only: false,
        memory_budget: None,
        drain_only: None,
        avro_registry: None,
        opensearch_url: "http://127.0.0.1:9200".into(),
        opensearch_pid: None,
        opensearch_plugin: None,
        cassandra: "127.0.0.1:9042".into(),
        cassandra_pid: None,
        cassandra_plugin: None,
        http_plugin: None,
    };
    let mut records = None;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--bootstrap" => a.bootstrap = val()?,
            "--records" => records = Some(val()?.parse()?),
            "--partitions" => a.partitions = val()?.parse()?,
            "--strait" => a.strait = val()?.into(),
            "--java-libs" => a.java_libs = Some(val()?.into()),
            "--work" => a.work = val()?.into(),
            "--smt-only" => a.smt_only = Some(val()?),
            "--worker-prop" => {
                let prop = val()?;
                if !prop.contains('=') {
                    bail!("--worker-prop takes KEY=VALUE, not {prop}");
                }
                a.worker_props.push(prop);
            }
            "--scenario" => a.scenario = val()?,
            "--flush-size" => a.flush_size = val()?.parse()?,
            "--s3-endpoint" => a.s3_endpoint = val()?,
            "--bucket" => a.bucket = val()?,
            "--iceberg-plugin" => a.iceberg_plugin = Some(val()?.into()),
            "--peer-only" => a.peer_only = true,
            "--memory-budget" => a.memory_budget = Some(val()?.parse()?),
            "--drain-only" => a.drain_only = Some(val()?),
            "--avro" => a.avro_registry = Some(val()?),
            "--opensearch-url" => a.opensearch_url = val()?,
            "--opensearch-pid" => a.opensearch_pid = Some(val()?.parse()?),
            "--opensearch-plugin" => a.opensearch_plugin = Some(val()?.into()),
            "--cassandra" => a.cassandra = val()?,
            "--cassandra-pid" => a.cassandra_pid = Some(val()?.parse()?),
            "--cassandra-plugin" => a.cassandra_plugin = Some(val()?.into()),
            "--http-plugin" => a.http_plugin = Some(val()?.into()),
            other => bail!("unknown flag {other}"),
        }
    }
    a.records = records.unwrap_or(match a.scenario.as_str() {
        "kafka_to_s3" => kafka_to_s3::DEFAULT_RECORDS,
        "exactly_once" => exactly_once::DEFAULT_RECORDS,
        "kafka_to_opensearch" => kafka_to_opensearch::DEFAULT_RECORDS,
        "kafka_to_cassandra" => kafka_to_cassandra::DEFAULT_RECORDS,
        "kafka_to_http" => kafka_to_http::DEFAULT_RECORDS,
        _ => a.records,
    });
    Ok(a)
}

/// Source target: records per CPU-second of Datagen users → Kafka with headers.
const SOURCE_TARGET: f64 = 800_000.0;
/// Drain → blackhole target, as a fraction of the raw librdkafka consume.
const RAW_RATIO_TARGET: f64 = 0.90;
/// Drain → FileStreamSink target, as a multiple of JVM Kafka Connect.
const PEER_RATIO_TARGET: f64 = 9.0;
/// Drain → JSON → five SMTs → FileStreamSink target, as a multiple of JVM Kafka Connect.
const SMT_PEER_RATIO_TARGET: f64 = 10.0;

/// `e2e raw-consume --bootstrap B --topic T --group G --records N [--headers true]`: the
/// baseline. Consumes `N` records of `T` in group `G` with the settings the Strait sink task's
/// consumer uses (`engine/src/runtime/sink.rs`, `consumer_base`), reading every key and payload
/// byte's length and first byte (and with `--headers true` every header, which a Connect sink
/// must carry), then commits the positions (which is how the driver sees it is done) and idles,
/// polling, until it is killed.
fn raw_consume(mut args: impl Iterator<Item = String>) -> Result<()> {
    let (mut bootstrap, mut topic, mut group, mut records) = (None, None, None, 0u64);
    let mut headers = false;
    while let Some(flag) = args.next() {
        let val = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--bootstrap" => bootstrap = Some(val),
            "--topic" => topic = Some(val),
            "--group" => group = Some(val),
            "--records" => records = val.parse()?,
            "--headers" => headers = val.parse()?,
            other => bail!("unknown raw-consume flag {other}"),
        }
    }
    let (bootstrap, topic, group) = (
        bootstrap.context("--bootstrap")?,
        topic.context("--topic")?,
        group.context("--group")?,
    );
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("group.id", &group)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("fetch.wait.max.ms", "100")
        .set("queued.max.messages.kbytes", "65536")
        .create()?;
    c.subscribe(&[&topic])?;
    let (mut n, mut bytes, mut touched) = (0u64, 0u64, 0u64);
    while n < records {
        match c.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => {
                n += 1;
                for part in [m.key(), m.payload()].into_iter().flatten() {
                    bytes += part.len() as u64;
                    touched += part.first().copied().unwrap_or(0) as u64;
                }
                if headers {
                    for h in m.headers().into_iter().flat_map(|h| h.iter()) {
                        bytes += (h.key.len() + h.value.map_or(0, <[u8]>::len)) as u64;
                    }
                }
            }
            Some(Err(e)) => eprintln!("raw consume: {e}"),
            None => {}
        }
    }
    c.commit(&c.position()?, CommitMode::Sync)?;
    eprintln!("raw consume: {n} records, {bytes} bytes (checksum {touched})");
    loop {
        // Stay in the group (and idle) until the driver has measured and kills us.
        let _ = c.poll(Duration::from_millis(100));
    }
}

/// CPU seconds (utime+stime) and peak RSS (bytes) of a live process.
fn proc_usage(pid: u32) -> Result<(f64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let after = &stat[stat.rfind(')').context("stat format")? + 2..];
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f[11].parse::<f64>()? + f[12].parse::<f64>()?;
    // SAFETY-free: the clock tick rate is 100 on Linux x86-64 (USER_HZ).
    let cpu = ticks / 100.0;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let hwm = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0)
        * 1024;
    Ok((cpu, hwm))
}

fn consumer(bootstrap: &str, group: &str) -> Result<BaseConsumer> {
    Ok(ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()?)
}

/// Sum of high watermarks of a topic.
fn topic_end(c: &BaseConsumer, topic: &str, partitions: i32) -> Result<u64> {
    let mut sum = 0;
    for p in 0..partitions {
        let (_, high) = c.fetch_watermarks(topic, p, Duration::from_secs(10))?;
        sum += high.max(0) as u64;
    }
    Ok(sum)
}

/// Sum of a group's committed offsets on a topic.
fn committed(c: &BaseConsumer, topic: &str, partitions: i32) -> Result<u64> {
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition(topic, p);
    }
    let got = c.committed_offsets(tpl, Duration::from_secs(10))?;
    Ok(got
        .elements()
        .iter()
        .map(|e| match e.offset() {
            Offset::Offset(o) => o.max(0) as u64,
            _ => 0,
        })
        .sum())
}

struct Measured {
    scenario: &'static str,
    records: u64,
    wall: Duration,
    cpu: f64,
    rss: u64,
}

impl Measured {
    fn per_cpu_second(&self) -> f64 {
        self.records as f64 / self.cpu.max(1e-9)
    }

    fn row(&self) -> String {
        format!(
            "| {} | {} | {:.2} s | {:.2} s | {:.0} | {:.0} MB |",
            self.scenario,
            self.records,
            self.wall.as_secs_f64(),
            self.cpu,
            self.per_cpu_second(),
            self.rss as f64 / 1e6
        )
    }
}

/// Run `child` until `done()` holds; sample its CPU and RSS just before stopping it.
/// Kills the process if the driver bails out, so no worker outlives a failed run.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn measure(
    scenario: &'static str,
    records: u64,
    child: Child,
    log: &Path,
    mut done: impl FnMut() -> Result<bool>,
) -> Result<Measured> {
    let mut guard = Guard(child);
    let child = &mut guard.0;
    let started = Instant::now();
    let pid = child.id();
    let mut last = (0.0, 0);
    loop {
        if let Some(status) = child.try_wait()? {
            bail!(
                "{scenario}: process exited early ({status}); log {}:\n{}",
                log.display(),
                tail(log)
            );
        }
        last = proc_usage(pid).unwrap_or(last);
        if done()? {
            break;
        }
        if started.elapsed() > Duration::from_secs(900) {
            let _ = child.kill();
            bail!(
                "{scenario}: did not finish in 15 minutes; log:\n{}",
                tail(log)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let wall = started.elapsed();
    let (cpu, rss) = proc_usage(pid).unwrap_or(last);
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait()?.is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(Measured {
        scenario,
        records,
        wall,
        cpu,
        rss,
    })
}

fn tail(log: &Path) -> String {
    let s = std::fs::read_to_string(log).unwrap_or_default();
    s.lines()
        .rev()
        .take(30)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<Vec<_>>()
        .join("\n")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .map(|l| l.local_addr().map(|a| a.port()).unwrap_or(0))
        .unwrap_or(0)
}

/// The files of one standalone worker under the run's work directory: `worker.properties`
/// (the run's broker, `converters`, an offsets file, a free REST port), `connector.properties`
/// and where its log goes.
struct WorkerFiles {
    worker: PathBuf,
    connector: PathBuf,
    log: PathBuf,
}

fn worker_files(a: &Args, name: &str, connector: &str, converters: &str) -> Result<WorkerFiles> {
    let dir = a.work.join(name);
    std::fs::create_dir_all(&dir)?;
    let worker = dir.join("worker.properties");
    std::fs::write(
        &worker,
        format!(
            "bootstrap.servers={}\n{converters}\noffset.storage.file.filename={}\noffset.flush.interval.ms=1000\nlisteners=http://127.0.0.1:{}\n",
            a.bootstrap,
            dir.join("connect.offsets").display(),
            free_port()
        ),
    )?;
    let conn = dir.join("connector.properties");
    std::fs::write(&conn, connector)?;
    Ok(WorkerFiles {
        worker,
        connector: conn,
        log: dir.join("worker.log"),
    })
}

fn strait_worker(
    a: &Args,
    name: &str,
    connector: &str,
    converters: &str,
) -> Result<(Child, PathBuf)> {
    let converters = format!("{converters}\n{}", a.worker_props.join("\n"));
    let files = worker_files(a, name, connector, &converters)?;
    let child = Command::new(&a.strait)
        .arg("standalone")
        .arg(&files.worker)
        .arg(&files.connector)
        .env("STRAIT_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&files.log)?)
        .spawn()
        .with_context(|| format!("starting {}", a.strait.display()))?;
    Ok((child, files.log))
}

fn main() -> Result<()> {
    let mut argv = std::env::args().skip(1).peekable();
    if argv.peek().map(String::as_str) == Some("raw-consume") {
        argv.next();
        return raw_consume(argv);
    }
    if argv.peek().map(String::as_str) == Some("http-endpoint") {
        argv.next();
        return http_endpoint::main(argv);
    }
    let mut a = parse_args()?;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    // A fresh directory per run: a previous run's offsets file would make Datagen resume past
    // its iterations and produce nothing.
    a.work = a.work.join(format!("run-{stamp}"));
    std::fs::create_dir_all(&a.work)?;
    if let Some(topic) = a.smt_only.clone() {
        return smt_only(&a, &topic);
    }
    match a.scenario.as_str() {
        "default" => {}
        "kafka_to_s3" => return kafka_to_s3::run(&a, stamp),
        "exactly_once" => return exactly_once::run(&a, stamp),
        "kafka_to_opensearch" => return kafka_to_opensearch::run(&a, stamp),
        "kafka_to_cassandra" => return kafka_to_cassandra::run(&a, stamp),
        "kafka_to_http" => return kafka_to_http::run(&a, stamp),
        other => bail!(
            "unknown --scenario {other} (default, kafka_to_s3, exactly_once, kafka_to_opensearch, \
             kafka_to_cassandra, kafka_to_http)"
        ),
    }
    let topic = format!("bench-users-{stamp}");
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", &a.bootstrap)
        .create()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let created = rt.block_on(admin.create_topics(
        &[NewTopic::new(
            &topic,
            a.partitions,
            TopicReplication::Fixed(1),
        )],
        &AdminOptions::new().operation_timeout(Some(Duration::from_secs(30))),
    ))?;
    for r in created {
        r.map_err(|(t, e)| anyhow::anyhow!("creating topic {t}: {e}"))?;
    }
    let probe = consumer(&a.bootstrap, &format!("bench-probe-{stamp}"))?;
    let mut results = Vec::new();

    // 1. Source: Datagen users (JSON, schemaless) → Kafka, two tasks.
    let per_task = a.records / 2;
    let total = per_task * 2;
    let (child, log) = strait_worker(
        &a,
        "source",
        &format!("name=bench-gen\nconnector.class=DatagenConnector\ntasks.max=2\nkafka.topic={topic}\nquickstart=users\nmax.interval=0\niterations={per_task}\nrandom.seed=1\n"),
        "key.converter=org.apache.kafka.connect.storage.StringConverter\nvalue.converter=org.apache.kafka.connect.json.JsonConverter\nvalue.converter.schemas.enable=false",
    )?;
    results.push(measure(
        "Strait source: datagen users → Kafka (JSON)",
        total,
        child,
        &log,
        || Ok(topic_end(&probe, &topic, a.partitions).unwrap_or(0) >= total),
    )?);
    let bytes_hint = total;
    let source = results.len() - 1;

    // 2. Baselines: a raw librdkafka consume of the same topic, payloads only (as `kcat -f ''`),
    // then reading the headers too (the part of the client's cost a Connect sink cannot skip).
    let mut raw_consume = |label: &'static str, name: &str, headers: bool| -> Result<usize> {
        let raw_group = format!("bench-{name}-{stamp}");
        let raw_log = a.work.join(format!("{name}.log"));
        let child = Command::new(std::env::current_exe()?)
            .args([
                "raw-consume",
                "--bootstrap",
                &a.bootstrap,
                "--topic",
                &topic,
            ])
            .args(["--group", &raw_group, "--records", &total.to_string()])
            .args(["--headers", &headers.to_string()])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&raw_log)?)
            .spawn()
            .context("starting the raw consume baseline")?;
        let group = consumer(&a.bootstrap, &raw_group)?;
        results.push(measure(label, total, child, &raw_log, || {
            Ok(committed(&group, &topic, a.partitions).unwrap_or(0) >= total)
        })?);
        Ok(results.len() - 1)
    };
    let raw = raw_consume(
        "librdkafka raw consume (rdkafka BaseConsumer loop, baseline)",
        "raw",
        false,
    )?;
    let raw_headers = raw_consume(
        "librdkafka raw consume, reading headers too",
        "raw-headers",
        true,
    )?;

    // 3. Sink drain: Strait blackhole.
    let (child, log) = strait_worker(
        &a,
        "drain",
        &format!(
            "name=bench-drain-{stamp}\nconnector.class=blackhole\ntasks.max=1\ntopics={topic}\n"
        ),
        BYTES_CONVERTERS,
    )?;
    let group = consumer(&a.bootstrap, &format!("connect-bench-drain-{stamp}"))?;
    results.push(measure(
        "Strait drain: Kafka → blackhole",
        total,
        child,
        &log,
        || Ok(committed(&group, &topic, a.partitions).unwrap_or(0) >= total),
    )?);
    let blackhole = results.len() - 1;

    // 4. Strait FileStreamSink to /dev/null, the same work the JVM peer does.
    let (child, log) = strait_worker(
        &a,
        "drain-file",
        &format!("name=bench-file-{stamp}\nconnector.class=FileStreamSink\ntasks.max=1\ntopics={topic}\nfile=/dev/null\n"),
        BYTES_CONVERTERS,
    )?;
    let group = consumer(&a.bootstrap, &format!("connect-bench-file-{stamp}"))?;
    results.push(measure(
        "Strait drain: Kafka → FileStreamSink(/dev/null)",
        total,
        child,
        &log,
        || Ok(committed(&group, &topic, a.partitions).unwrap_or(0) >= total),
    )?);
    let file = results.len() - 1;

    // 5. Peer: Apache Kafka Connect (JVM) draining the same topic the same way.
    let mut peer = None;
    if let Some(libs) = &a.java_libs {
        let (child, log) = jvm_worker(
            &a,
            libs,
            "peer",
            &format!("name=bench-peer-{stamp}\nconnector.class=FileStreamSink\ntasks.max=1\ntopics={topic}\nfile=/dev/null\n"),
            BYTES_CONVERTERS,
            PEER_HEAP,
        )?;
        let group = consumer(&a.bootstrap, &format!("connect-bench-peer-{stamp}"))?;
        results.push(measure(
            "Kafka Connect 4.1 (JVM) drain: Kafka → FileStreamSink(/dev/null)",
            total,
            child,
            &log,
            || {
                // Lookups fail transiently while the topic's leaders settle; that is "not yet".
                Ok(committed(&group, &topic, a.partitions).unwrap_or(0) >= total)
            },
        )?);
        peer = Some(results.len() - 1);
    }

    // 6. The same drain with JSON decoding and a chain of five transforms.
    let (smt, smt_peer) = smt_drains(&a, &topic, stamp, total, &mut results)?;

    println!(
        "\nTopic {topic}: {bytes_hint} records, {} partitions, broker {}",
        a.partitions, a.bootstrap
    );
    println!("| scenario | records | wall | CPU | records per CPU-second | peak RSS |");
    println!("|---|---|---|---|---|---|");
    for r in &results {
        println!("{}", r.row());
    }
    let verdict = |met: bool| if met { "met" } else { "NOT met" };
    let rate = |i: usize| results[i].per_cpu_second();
    println!();
    println!(
        "Source, datagen users → Kafka with headers: {:.0} records per CPU-second (target ≥ {:.0}: {})",
        rate(source),
        SOURCE_TARGET,
        verdict(rate(source) >= SOURCE_TARGET)
    );
    let vs_raw = rate(blackhole) / rate(raw);
    println!(
        "Drain → blackhole / raw librdkafka consume: {:.0} % records per CPU-second (target ≥ {:.0} %: {})",
        vs_raw * 100.0,
        RAW_RATIO_TARGET * 100.0,
        verdict(vs_raw >= RAW_RATIO_TARGET)
    );
    println!(
        "Drain → blackhole / raw consume reading headers too: {:.0} %",
        rate(blackhole) / rate(raw_headers) * 100.0
    );
    println!(
        "Drain → FileStreamSink / raw librdkafka consume: {:.0} %",
        rate(file) / rate(raw) * 100.0
    );
    if let Some(peer) = peer {
        let vs_peer = rate(file) / rate(peer);
        println!(
            "Same work (FileStreamSink to /dev/null), Strait / JVM Connect: {:.1}× records per CPU-second (target ≥ {:.0}×: {}), {:.2}× peak RSS",
            vs_peer,
            PEER_RATIO_TARGET,
            verdict(vs_peer >= PEER_RATIO_TARGET),
            results[file].rss as f64 / results[peer].rss.max(1) as f64
        );
    }
    if let Some(smt_peer) = smt_peer {
        let vs_peer = rate(smt) / rate(smt_peer);
        println!(
            "Same work with JSON and 5 SMTs, Strait / JVM Connect: {:.1}× records per CPU-second (target ≥ {:.0}×: {}), {:.2}× peak RSS",
            vs_peer,
            SMT_PEER_RATIO_TARGET,
            verdict(vs_peer >= SMT_PEER_RATIO_TARGET),
            results[smt].rss as f64 / results[smt_peer].rss.max(1) as f64
        );
    }
    Ok(())
}

/// Scenario 6: drain `topic` with schemaless JSON values and the five transforms of
/// [`SMT_CHAIN`], Strait and then (with `--java-libs`) the JVM with the same connector config.
/// Returns the indices of their rows in `results`.
fn smt_drains(
    a: &Args,
    topic: &str,
    stamp: u64,
    total: u64,
    results: &mut Vec<Measured>,
) -> Result<(usize, Option<usize>)> {
    let smt_connector = |name: &str| {
        format!("name={name}\nconnector.class=FileStreamSink\ntasks.max=1\ntopics={topic}\nfile=/dev/null\n{SMT_CHAIN}")
    };
    let (child, log) = strait_worker(
        a,
        "drain-smt",
        &smt_connector(&format!("bench-smt-{stamp}")),
        JSON_CONVERTERS,
    )?;
    let group = consumer(&a.bootstrap, &format!("connect-bench-smt-{stamp}"))?;
    results.push(measure(
        "Strait drain: Kafka → JSON → 5 SMTs → FileStreamSink(/dev/null)",
        total,
        child,
        &log,
        || Ok(committed(&group, topic, a.partitions).unwrap_or(0) >= total),
    )?);
    let smt = results.len() - 1;
    let Some(libs) = &a.java_libs else {
        return Ok((smt, None));
    };
    let (child, log) = jvm_worker(
        a,
        libs,
        "peer-smt",
        &smt_connector(&format!("bench-peer-smt-{stamp}")),
        JSON_CONVERTERS,
        PEER_HEAP,
    )?;
    let group = consumer(&a.bootstrap, &format!("connect-bench-peer-smt-{stamp}"))?;
    results.push(measure(
        "Kafka Connect 4.1 (JVM) drain: Kafka → JSON → 5 SMTs → FileStreamSink(/dev/null)",
        total,
        child,
        &log,
        || Ok(committed(&group, topic, a.partitions).unwrap_or(0) >= total),
    )?);
    Ok((smt, Some(results.len() - 1)))
}

/// `--smt-only TOPIC`: scenario 6 alone, on a topic an earlier run pre-loaded (for iterating on
/// the transform path; the published numbers come from whole runs).
fn smt_only(a: &Args, topic: &str) -> Result<()> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let probe = consumer(&a.bootstrap, &format!("bench-probe-{stamp}"))?;
    let total = topic_end(&probe, topic, a.partitions)?;
    let mut results = Vec::new();
    let (smt, peer) = smt_drains(a, topic, stamp, total, &mut results)?;
    for r in &results {
        println!("{}", r.row());
    }
    if let Some(peer) = peer {
        println!(
            "Strait / JVM Connect: {:.1}×",
            results[smt].per_cpu_second() / results[peer].per_cpu_second()
        );
    }
    Ok(())
}

/// Worker converters of the plain drains: bytes in, bytes out.
const BYTES_CONVERTERS: &str = "key.converter=org.apache.kafka.connect.converters.ByteArrayConverter\nvalue.converter=org.apache.kafka.connect.converters.ByteArrayConverter";

/// Worker converters of the SMT drains: the transforms need the values decoded.
const JSON_CONVERTERS: &str = "key.converter=org.apache.kafka.connect.storage.StringConverter\nvalue.converter=org.apache.kafka.connect.json.JsonConverter\nvalue.converter.schemas.enable=false";

/// The five transforms of the SMT drains, on Datagen `users` records (schemaless JSON):
/// the same kinds of stage as the criterion bench `transforms` (InsertField, Cast,
/// ReplaceField, Filter with a predicate, TimestampConverter).
const SMT_CHAIN: &str = "transforms=insert,cast,replace,filter,ts\n\
transforms.insert.type=org.apache.kafka.connect.transforms.InsertField$Value\n\
transforms.insert.topic.field=topic\ntransforms.insert.partition.field=partition\n\
transforms.cast.type=org.apache.kafka.connect.transforms.Cast$Value\n\
transforms.cast.spec=partition:string\n\
transforms.replace.type=org.apache.kafka.connect.transforms.ReplaceField$Value\n\
transforms.replace.exclude=gender\n\
transforms.filter.type=org.apache.kafka.connect.transforms.Filter\n\
transforms.filter.predicate=tombstone\n\
transforms.ts.type=org.apache.kafka.connect.transforms.TimestampConverter$Value\n\
transforms.ts.field=registertime\ntransforms.ts.target.type=string\n\
transforms.ts.format=yyyy-MM-dd\n\
predicates=tombstone\n\
predicates.tombstone.type=org.apache.kafka.connect.transforms.predicates.RecordIsTombstone\n";

/// `-Xmx` of the JVM peers of the default scenarios (Connect's own default heap is 2 GB).
const PEER_HEAP: &str = "2g";

/// Start Apache Kafka Connect (JVM, standalone) with one connector and `-Xmx{heap}`, as the
/// peer. `converters` is appended to its worker config as is (also the place for `plugin.path`).
fn jvm_worker(
    a: &Args,
    libs: &Path,
    name: &str,
    connector: &str,
    converters: &str,
    heap: &str,
) -> Result<(Child, PathBuf)> {
    let files = worker_files(a, name, connector, converters)?;
    let log4j = libs
        .parent()
        .map(|p| p.join("log4j2.properties"))
        .filter(|p| p.exists());
    let mut cmd = Command::new("java");
    cmd.args(["-Xms256m".to_string(), format!("-Xmx{heap}")]);
    if let Some(l) = log4j {
        cmd.arg(format!("-Dlog4j2.configurationFile={}", l.display()));
    }
    let child = cmd
        .arg("-cp")
        .arg(format!("{}/*", libs.display()))
        .arg("org.apache.kafka.connect.cli.ConnectStandalone")
        .arg(&files.worker)
        .arg(&files.connector)
        .stdout(std::fs::File::create(&files.log)?)
        .stderr(Stdio::null())
        .spawn()?;
    Ok((child, files.log))
}
