//! Scenario `kafka_to_http` (`cargo xtask bench kafka_to_http`): Kafka → batched JSON POSTs to
//! an HTTP endpoint, Strait's HTTP sink against Confluent HTTP Sink V1's work on the JVM, on one
//! broker, one endpoint and one data set, in the same run.
//!
//! 1. Endpoint: this binary re-run as `e2e http-endpoint` ([`super::http_endpoint`]), a
//!    one-thread HTTP/1.1 server on a loopback port that answers every POST with 200 and counts
//!    the records in it (the elements of a JSON array body) with one byte scan. It is a process
//!    of its own: its CPU is reported beside each drain but charged to neither sink. Both sinks
//!    post to its `/ingest`; its counts are reset before each drain.
//! 2. Pre-load: D1 (`strait_bench::d1_json_iter`, ~150 B flat JSON, six fields) into one fresh
//!    topic (`bench-http-<stamp>`), round-robin over the partitions, before either drain starts.
//!    Both sinks drain that same topic, each in its own consumer group.
//! 3. Strait: a standalone worker running `io.confluent.connect.http.HttpSinkConnector` with
//!    Confluent HTTP Sink V1's keys: `http.api.url=http://127.0.0.1:<port>/ingest`,
//!    `request.method=POST`, `headers=Content-Type:application/json`,
//!    `request.body.format=json`, `batch.max.size=500`, `batch.json.as.array=true`, one task,
//!    schemaless JSON values, String keys. A Strait build without that connector is refused
//!    before anything is loaded, with the way to run the peer alone.
//! 4. JVM peer: Apache Kafka Connect 4.1.2 running
//!    `strait.bench.http.ConfluentV1HttpSinkConnector` (`bench/jvm/http-sink/`) with the same
//!    keys: per put, each value written back to JSON by Kafka's JsonConverter, grouped into
//!    requests of `batch.max.size` records within the put, each a JSON array POSTed on the JDK's
//!    `java.net.http` client (HTTP/1.1, one request at a time, non-2xx retried `max.retries`
//!    times `retry.backoff.ms` apart, then the task fails), offsets committed by the framework
//!    after put returns. Why not a published connector: Confluent's HTTP sink is closed source
//!    and not on Maven Central; Aiven's `io.aiven:http-connector-for-apache-kafka` (0.7.0,
//!    0.8.0, 0.9.0 tried) is not there either (Aiven publishes it only as GitHub release
//!    archives); Apache Camel's `org.apache.camel.kafkaconnector:camel-http-sink-kafka-connector`
//!    (4.8.0, 4.10.0 tried) is not served here. The figures say so.
//!
//! A drain is done when the endpoint has counted exactly the records produced AND the
//! connector's consumer group has committed the topic's end. More records than produced
//! (a batch delivered twice), a malformed body, a request of more than `batch.max.size`
//! records, or a committed end with records still missing after a grace period fail the run,
//! as does a record of the first request received that differs from the record pre-loaded
//! with its id.
//!
//! Measured per drain: the worker's CPU (utime+stime) and peak RSS, the requests and bytes the
//! endpoint received, and the endpoint's own CPU. Then the ratio line (Strait / JVM records per
//! sink CPU-second; issue 14 names no figure, so the other sink benchmarks' ≥ 5× is the
//! target) and the peak RSS ratio.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};

use super::sink_bench::{self, Peer};
use super::{committed, consumer, measure, proc_usage, Args, Guard, Measured};

/// Records pre-loaded when `--records` is not given: the JVM peer sends some 20–50k records per
/// CPU-second, so its drain stays within a minute or two.
pub(crate) const DEFAULT_RECORDS: u64 = 1_000_000;
/// Strait's target: records per sink CPU-second, as a multiple of the JVM sink's (the other sink
/// benchmarks' figure; issue 14 names none).
const PEER_RATIO_TARGET: f64 = 5.0;
/// The connector class a Confluent user configures, which Strait's HTTP sink answers to.
const STRAIT_CLASS: &str = "io.confluent.connect.http.HttpSinkConnector";
/// The JVM peer's connector (`bench/jvm/http-sink`).
const PEER_CLASS: &str = "strait.bench.http.ConfluentV1HttpSinkConnector";
/// Records per request both sinks are configured with.
const BATCH_MAX_SIZE: u64 = 500;
/// How long the endpoint's count may lag the committed offsets before records count as lost:
/// both sinks commit only what was answered 200, so it should agree at once.
const COUNT_GRACE: Duration = Duration::from_secs(30);

/// One drain's figures.
struct Drain {
    sink: Measured,
    /// What the endpoint counted, at the drain's end.
    received: Counts,
    /// The endpoint's CPU-seconds from just before the worker started to the drain's end.
    endpoint_cpu: Option<f64>,
}

pub(crate) fn run(a: &Args, stamp: u64) -> Result<()> {
    ensure!(a.partitions > 0, "--partitions must be positive");
    let peer = Peer::from_args(&a.java_libs, &a.http_plugin);
    if !a.peer_only {
        sink_bench::ensure_strait_has(&a.strait, STRAIT_CLASS, "the HTTP sink", "kafka_to_http")?;
    }
    ensure!(
        !a.peer_only || peer.is_some(),
        "nothing to run: --peer-only without --java-libs and --http-plugin"
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (endpoint, _endpoint_process) = Endpoint::start(a)?;
    println!(
        "HTTP endpoint at {} (pid {}, e2e http-endpoint)",
        endpoint.url, endpoint.pid
    );

    let topic = format!("bench-http-{stamp}");
    let result = (|| -> Result<(u64, Option<Drain>, Option<Drain>)> {
        let json_bytes = sink_bench::preload_d1(a, &rt, &topic, stamp)?;
        let strait = if a.peer_only {
            None
        } else {
            Some(drain(a, &rt, &endpoint, stamp, &topic, None)?)
        };
        let peer = match peer {
            Some(p) => Some(drain(a, &rt, &endpoint, stamp, &topic, Some(p))?),
            None => None,
        };
        Ok((json_bytes, strait, peer))
    })();
    // A failed run must not leave the topic (hundreds of MB) behind either.
    sink_bench::delete_topics(a, &rt, &[topic.as_str()]);
    let (json_bytes, strait, peer) = result?;

    println!(
        "\n{} D1 records, {} partitions, broker {}, endpoint {} (batch.max.size={BATCH_MAX_SIZE}, \
         JSON array bodies)",
        a.records, a.partitions, a.bootstrap, endpoint.url
    );
    println!("| scenario | records | wall | sink CPU | records per sink CPU-second | MB of JSON per sink CPU-second | sink peak RSS | requests | records per request (mean / max) | MB posted | endpoint CPU |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for d in strait.iter().chain(peer.iter()) {
        println!("{}", row(d, json_bytes));
    }
    println!();
    if peer.is_some() {
        println!(
            "JVM peer: Apache Kafka Connect 4.1.2 + {PEER_CLASS} (bench/jvm/http-sink: Confluent \
             HTTP Sink V1's per-put work on java.net.http; Confluent's connector is not on Maven \
             Central, Aiven's is published only on GitHub, Camel's is not served here)."
        );
    }
    for (name, d) in [("Strait", &strait), ("JVM peer", &peer)] {
        if let Some(d) = d {
            println!(
                "{name} Kafka (JSON) → HTTP POST: {:.0} records per sink CPU-second, peak RSS {:.0} MB",
                d.sink.per_cpu_second(),
                d.sink.rss as f64 / 1e6
            );
        }
    }
    if let (Some(s), Some(p)) = (&strait, &peer) {
        let ratio = s.sink.per_cpu_second() / p.sink.per_cpu_second();
        println!(
            "Kafka → HTTP, Strait / JVM sink: {ratio:.1}× records per sink CPU-second (target ≥ {PEER_RATIO_TARGET:.0}×: {}), {:.2}× peak RSS",
            if ratio >= PEER_RATIO_TARGET {
                "met"
            } else {
                "NOT met"
            },
            s.sink.rss as f64 / p.sink.rss.max(1) as f64
        );
    }
    Ok(())
}

/// One line of the results table.
fn row(d: &Drain, json_bytes: u64) -> String {
    let m = &d.sink;
    let endpoint_cpu = d
        .endpoint_cpu
        .map_or_else(|| "—".to_string(), |cpu| format!("{cpu:.2} s"));
    format!(
        "| {} | {} | {:.2} s | {:.2} s | {:.0} | {:.1} | {:.0} MB | {} | {:.1} / {} | {:.1} | {endpoint_cpu} |",
        m.scenario,
        m.records,
        m.wall.as_secs_f64(),
        m.cpu,
        m.per_cpu_second(),
        json_bytes as f64 / 1e6 / m.cpu.max(1e-9),
        m.rss as f64 / 1e6,
        d.received.requests,
        d.received.records as f64 / d.received.requests.max(1) as f64,
        d.received.max_batch,
        d.received.bytes as f64 / 1e6,
    )
}

/// The connector config both sinks get (only the class and name differ).
fn connector_config(name: &str, class: &str, topic: &str, url: &str) -> String {
    format!(
        "name={name}\nconnector.class={class}\ntasks.max=1\ntopics={topic}\n\
         http.api.url={url}/ingest\nrequest.method=POST\n\
         headers=Content-Type:application/json\nrequest.body.format=json\n\
         batch.max.size={BATCH_MAX_SIZE}\nbatch.json.as.array=true\n\
         key.converter=org.apache.kafka.connect.storage.StringConverter\n\
         value.converter=org.apache.kafka.connect.json.JsonConverter\n\
         value.converter.schemas.enable=false\n"
    )
}

/// One sink draining `topic` into the endpoint: Strait's when `peer` is None, else the JVM
/// peer.
fn drain(
    a: &Args,
    rt: &tokio::runtime::Runtime,
    endpoint: &Endpoint,
    stamp: u64,
    topic: &str,
    peer: Option<Peer>,
) -> Result<Drain> {
    let total = a.records;
    rt.block_on(endpoint.reset())?;
    let who = if peer.is_some() { "peer" } else { "strait" };
    let name = format!("bench-http-{who}-{stamp}");
    let (class, label) = match peer {
        None => (
            STRAIT_CLASS,
            "Strait: Kafka → HTTP sink (Confluent V1 config) → JSON array POSTs",
        ),
        Some(_) => (
            PEER_CLASS,
            "Kafka Connect 4.1.2 (JVM) + Confluent V1 HTTP sink work on java.net.http",
        ),
    };
    let connector = connector_config(&name, class, topic, &endpoint.url);
    let endpoint_before = proc_usage(endpoint.pid)?;
    let (child, log) = sink_bench::start_worker(a, &format!("http-{who}"), &connector, peer)?;
    let group = consumer(&a.bootstrap, &format!("connect-{name}"))?;
    let mut received = Counts::default();
    let mut endpoint_after = None;
    let mut all_committed_at: Option<Instant> = None;
    let sink = measure(label, total, child, &log, || {
        received = rt.block_on(endpoint.counts())?;
        ensure!(
            received.malformed == 0,
            "{label}: the endpoint received {} malformed bodies",
            received.malformed
        );
        ensure!(
            received.records <= total,
            "{label}: the endpoint received {} records, {total} were produced (a batch \
             delivered twice?)",
            received.records
        );
        ensure!(
            received.max_batch <= BATCH_MAX_SIZE,
            "{label}: a request held {} records (batch.max.size={BATCH_MAX_SIZE})",
            received.max_batch
        );
        // Cheap checks both: one GET to the endpoint, one committed-offsets lookup.
        if committed(&group, topic, a.partitions).unwrap_or(0) < total {
            return Ok(false);
        }
        if received.records == total {
            endpoint_after = Some(proc_usage(endpoint.pid)?);
            return Ok(true);
        }
        let first = *all_committed_at.get_or_insert_with(Instant::now);
        if first.elapsed() > COUNT_GRACE {
            bail!(
                "{label}: the group committed the topic's end but the endpoint counted only {} \
                 of {total} records after {} s",
                received.records,
                COUNT_GRACE.as_secs()
            );
        }
        Ok(false)
    })?;
    let endpoint_cpu = endpoint_after.map(|(after, _)| after - endpoint_before.0);
    let sample = rt.block_on(endpoint.sample())?;
    spot_check(a, &sample).with_context(|| format!("{label}: checking the first request"))?;
    Ok(Drain {
        sink,
        received,
        endpoint_cpu,
    })
}

/// Compares every record of the first request the endpoint received with the record
/// pre-loaded with the same id (field order aside: JsonConverter's schemaless maps do not keep
/// it). D1's ids are `1_000_000_000 + 7 i + r` with `r < 7`, so the id names the record.
fn spot_check(a: &Args, body: &[u8]) -> Result<()> {
    let batch: serde_json::Value =
        serde_json::from_slice(body).context("the first request's body is not JSON")?;
    let records = batch
        .as_array()
        .context("the first request's body is not a JSON array (batch.json.as.array=true)")?;
    ensure!(!records.is_empty(), "the first request held no records");
    let index = |r: &serde_json::Value| -> Result<usize> {
        let id = r["id"].as_i64().with_context(|| format!("no id in {r}"))?;
        let i = u64::try_from((id - 1_000_000_000) / 7).with_context(|| format!("id {id}"))?;
        ensure!(i < a.records, "id {id} is not a D1 id of this run");
        Ok(usize::try_from(i)?)
    };
    let indices = records.iter().map(index).collect::<Result<Vec<_>>>()?;
    let last = *indices.iter().max().context("no records")?;
    let expected: Vec<String> = strait_bench::d1_json_iter(last + 1, 1).collect();
    for (got, i) in records.iter().zip(indices) {
        let want: serde_json::Value = serde_json::from_str(&expected[i])?;
        ensure!(*got == want, "received {got}, record {i} was {want}");
    }
    Ok(())
}

/// The endpoint's counts since its last reset (`GET /count`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Counts {
    records: u64,
    requests: u64,
    bytes: u64,
    max_batch: u64,
    malformed: u64,
}

/// The endpoint process (killed when the returned guard drops) and the calls the driver makes
/// to it.
struct Endpoint {
    url: String,
    pid: u32,
    http: reqwest::Client,
}

impl Endpoint {
    /// Starts `e2e http-endpoint` and reads the port it printed.
    fn start(a: &Args) -> Result<(Endpoint, Guard)> {
        let log = a.work.join("http-endpoint.log");
        let mut child = Command::new(std::env::current_exe()?)
            .arg("http-endpoint")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log)?)
            .spawn()
            .context("starting the HTTP endpoint")?;
        let stdout = child.stdout.take().context("endpoint stdout")?;
        let pid = child.id();
        // Kill it on every path from here, the error ones included.
        let guard = Guard(child);
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let port: u16 = line.trim().parse().with_context(|| {
            format!(
                "the HTTP endpoint printed {line:?} instead of its port (log {})",
                log.display()
            )
        })?;
        Ok((
            Endpoint {
                url: format!("http://127.0.0.1:{port}"),
                pid,
                http: reqwest::Client::builder()
                    .timeout(Duration::from_secs(30))
                    .build()?,
            },
            guard,
        ))
    }

    async fn reset(&self) -> Result<()> {
        self.http
            .post(format!("{}/reset", self.url))
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    }

    async fn counts(&self) -> Result<Counts> {
        let body: serde_json::Value = self
            .http
            .get(format!("{}/count", self.url))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let get = |k: &str| {
            body[k]
                .as_u64()
                .with_context(|| format!("no {k} in the endpoint's counts: {body}"))
        };
        Ok(Counts {
            records: get("records")?,
            requests: get("requests")?,
            bytes: get("bytes")?,
            max_batch: get("max_batch")?,
            malformed: get("malformed")?,
        })
    }

    /// The first body received since the last reset.
    async fn sample(&self) -> Result<Vec<u8>> {
        let resp = self
            .http
            .get(format!("{}/sample", self.url))
            .send()
            .await?
            .error_for_status()?;
        ensure!(
            resp.status() != reqwest::StatusCode::NO_CONTENT,
            "the endpoint received no request"
        );
        Ok(resp.bytes().await?.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connector_config_has_confluents_v1_keys() {
        let c = connector_config("n", STRAIT_CLASS, "t1", "http://127.0.0.1:4242");
        for line in [
            "connector.class=io.confluent.connect.http.HttpSinkConnector",
            "topics=t1",
            "http.api.url=http://127.0.0.1:4242/ingest",
            "request.method=POST",
            "headers=Content-Type:application/json",
            "request.body.format=json",
            "batch.max.size=500",
            "batch.json.as.array=true",
            "value.converter.schemas.enable=false",
            "tasks.max=1",
        ] {
            assert!(c.lines().any(|l| l == line), "{line} missing from\n{c}");
        }
        let p = connector_config("n", PEER_CLASS, "t1", "http://h:1");
        assert!(p.contains("connector.class=strait.bench.http.ConfluentV1HttpSinkConnector\n"));
    }

    #[test]
    fn d1_ids_name_their_records() {
        // The spot check's inverse of the generator's id formula.
        for (i, r) in strait_bench::d1_json_iter(1000, 1).enumerate() {
            let v: serde_json::Value = serde_json::from_str(&r).unwrap();
            let id = v["id"].as_i64().unwrap();
            assert_eq!(((id - 1_000_000_000) / 7) as usize, i);
        }
    }
}
