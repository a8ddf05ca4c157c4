//! Scenario `kafka_to_opensearch` (`cargo xtask bench kafka_to_opensearch`): Kafka → bulk
//! indexing into OpenSearch, Strait's Elasticsearch sink against a JVM Elasticsearch/OpenSearch
//! sink, on one broker, one server and one data set, in the same run.
//!
//! 1. Pre-load: D1 (`strait_bench::d1_json_iter`, ~150 B flat JSON, six fields) into one fresh
//!    topic per sink (`bench-es-strait-<stamp>`, `bench-es-peer-<stamp>`; each sink writes the
//!    index named after its topic), round-robin over the partitions. The producer is this
//!    driver and is not measured. Both topics are loaded before either drain starts.
//! 2. Strait: a standalone worker running `io.confluent.connect.elasticsearch.ElasticsearchSinkConnector`
//!    with `key.ignore=true`, `schema.ignore=true`, schemaless JSON values, one task.
//! 3. JVM peer: Apache Kafka Connect 4.1.2 running `strait.bench.OpenSearchBulkSinkConnector`
//!    (`bench/jvm/opensearch-sink/`), the project's own SinkTask on OpenSearch's official Java
//!    client (REST high-level client 2.19.1 and its BulkProcessor), doing per record what
//!    Confluent's ElasticsearchSinkTask does with those settings: JsonConverter back to JSON
//!    text, an IndexRequest with id `topic+partition+offset` into the lower-cased topic's index,
//!    bulks of 2000 actions / 5 MB / linger 1 ms with up to 5 in flight, offsets committed only
//!    for acknowledged records (Confluent's asynchronous offset tracking, not
//!    `flush.synchronously`). Confluent's connector is not on Maven Central and Apache Camel's
//!    OpenSearch sink is not served here, so this stands in for "a JVM sink a user would run";
//!    the figures say so.
//!
//! Each drain is done when the connector's consumer group has committed the topic's end AND
//! the index holds (after `_refresh`) exactly as many documents as were produced; a drain whose
//! commits reach the end while documents are missing fails the run. Indices are deleted before
//! and after each drain, and the topics at the end.
//!
//! Besides the sink process's CPU and peak RSS, the OpenSearch server's own CPU (utime+stime of
//! its JVM, found by `--opensearch-pid` or as the process listening on the URL's port) is
//! measured over each drain separately: indexing costs the server far more than the sink, and
//! the reader must see both.
//!
//! Then the ratio line (Strait / JVM records per sink CPU-second; target ≥ 5×) and the peak RSS
//! ratio.

use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};

use super::sink_bench::{self, Peer};
use super::{committed, consumer, measure, proc_usage, Args, Measured};

/// Records pre-loaded per sink when `--records` is not given: a 2-core OpenSearch indexes some
/// 20–50k documents per second, so a drain stays within about two minutes.
pub(crate) const DEFAULT_RECORDS: u64 = 2_000_000;
/// Strait's target: records per sink CPU-second, as a multiple of the JVM sink's.
const PEER_RATIO_TARGET: f64 = 5.0;
/// How long the index may lag the committed offsets before documents count as lost: commits
/// follow acknowledgements, so after a `_refresh` they should agree at once.
const COUNT_GRACE: Duration = Duration::from_secs(30);

/// One drain's figures: the sink process, the server over the same interval, the index.
struct Drain {
    sink: Measured,
    /// OpenSearch's CPU-seconds (utime+stime) from just before the worker started to the moment
    /// the drain was seen complete.
    server_cpu: Option<f64>,
    docs: u64,
}

pub(crate) fn run(a: &Args, stamp: u64) -> Result<()> {
    ensure!(a.partitions > 0, "--partitions must be positive");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let os = OpenSearch::new(&a.opensearch_url)?;
    let version = rt
        .block_on(os.version())
        .with_context(|| format!("OpenSearch at {} (--opensearch-url)", a.opensearch_url))?;
    let server_pid =
        sink_bench::server_pid(a.opensearch_pid, sink_bench::url_port(&a.opensearch_url));
    match server_pid {
        Some(pid) => println!(
            "OpenSearch {version} at {}, server pid {pid}",
            a.opensearch_url
        ),
        None => println!(
            "OpenSearch {version} at {}: its process was not found (not listening on this \
             machine as this user?), so its CPU is not reported; pass --opensearch-pid",
            a.opensearch_url
        ),
    }
    let peer_plugin = Peer::from_args(&a.java_libs, &a.opensearch_plugin);
    let strait_topic = (!a.peer_only).then(|| format!("bench-es-strait-{stamp}"));
    let peer_topic = peer_plugin.map(|_| format!("bench-es-peer-{stamp}"));
    let topics: Vec<&String> = strait_topic.iter().chain(peer_topic.iter()).collect();
    ensure!(
        !topics.is_empty(),
        "nothing to run: --peer-only without --java-libs and --opensearch-plugin"
    );
    let mut json_bytes = 0;
    for topic in &topics {
        json_bytes = sink_bench::preload_d1(a, &rt, topic, stamp)?;
    }

    let result = (|| -> Result<(Option<Drain>, Option<Drain>)> {
        let strait = match &strait_topic {
            Some(topic) => Some(drain(a, &rt, &os, server_pid, stamp, topic, None)?),
            None => None,
        };
        let peer = match (&peer_topic, peer_plugin) {
            (Some(topic), Some(peer)) => {
                Some(drain(a, &rt, &os, server_pid, stamp, topic, Some(peer))?)
            }
            _ => None,
        };
        Ok((strait, peer))
    })();
    // A failed run must not leave the topics behind either.
    let names: Vec<&str> = topics.iter().map(|t| t.as_str()).collect();
    sink_bench::delete_topics(a, &rt, &names);
    let (strait, peer) = result?;

    println!(
        "\n{} D1 records per sink, {} partitions, broker {}, OpenSearch {version} at {}",
        a.records, a.partitions, a.bootstrap, a.opensearch_url
    );
    println!("| scenario | records | wall | sink CPU | records per sink CPU-second | MB of JSON per sink CPU-second | sink peak RSS | OpenSearch CPU | records per OpenSearch CPU-second | documents in the index |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for d in strait.iter().chain(peer.iter()) {
        let m = &d.sink;
        let (server_cpu, server_rate) = match d.server_cpu {
            Some(cpu) => (
                format!("{cpu:.2} s"),
                format!("{:.0}", m.records as f64 / cpu.max(1e-9)),
            ),
            None => ("—".into(), "—".into()),
        };
        println!(
            "| {} | {} | {:.2} s | {:.2} s | {:.0} | {:.1} | {:.0} MB | {server_cpu} | {server_rate} | {} |",
            m.scenario,
            m.records,
            m.wall.as_secs_f64(),
            m.cpu,
            m.per_cpu_second(),
            json_bytes as f64 / 1e6 / m.cpu.max(1e-9),
            m.rss as f64 / 1e6,
            d.docs
        );
    }
    println!();
    if peer.is_some() {
        println!(
            "JVM peer: Apache Kafka Connect 4.1.2 + strait.bench.OpenSearchBulkSinkConnector \
             (bench/jvm/opensearch-sink: Confluent's ElasticsearchSinkTask work per record on \
             OpenSearch's REST high-level client 2.19.1 BulkProcessor; Confluent's and Camel's \
             connectors are not available here)."
        );
    }
    if let Some(s) = &strait {
        println!(
            "Strait Kafka (JSON) → OpenSearch bulk: {:.0} records per sink CPU-second",
            s.sink.per_cpu_second()
        );
    }
    if let Some(p) = &peer {
        println!(
            "JVM peer Kafka (JSON) → OpenSearch bulk: {:.0} records per sink CPU-second, peak RSS {:.0} MB",
            p.sink.per_cpu_second(),
            p.sink.rss as f64 / 1e6
        );
    }
    if let (Some(s), Some(p)) = (&strait, &peer) {
        let ratio = s.sink.per_cpu_second() / p.sink.per_cpu_second();
        println!(
            "Kafka → OpenSearch bulk indexing, Strait / JVM sink: {ratio:.1}× records per sink CPU-second (target ≥ {PEER_RATIO_TARGET:.0}×: {}), {:.2}× peak RSS",
            if ratio >= PEER_RATIO_TARGET {
                "met"
            } else {
                "NOT met"
            },
            s.sink.rss as f64 / p.sink.rss.max(1) as f64
        );
        if let (Some(sc), Some(pc)) = (s.server_cpu, p.server_cpu) {
            println!(
                "OpenSearch's own CPU for the same documents: {sc:.2} s under Strait, {pc:.2} s under the JVM sink ({:.2}×)",
                sc / pc.max(1e-9)
            );
        }
    }
    Ok(())
}

/// One sink draining `topic` into the index of the same name: Strait's when `peer` is None,
/// else the JVM peer's (Kafka's `libs/` and the plugin directory).
fn drain(
    a: &Args,
    rt: &tokio::runtime::Runtime,
    os: &OpenSearch,
    server_pid: Option<u32>,
    stamp: u64,
    topic: &str,
    peer: Option<Peer>,
) -> Result<Drain> {
    let total = a.records;
    // Confluent's index name for a topic: lower-cased (the bench topics need nothing else).
    let index = topic.to_lowercase();
    rt.block_on(os.delete_index(&index))?;
    let _cleanup = DeleteIndex {
        rt,
        os,
        index: &index,
    };
    let who = if peer.is_some() { "peer" } else { "strait" };
    let name = format!("bench-es-{who}-{stamp}");
    let class = match peer {
        None => "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector",
        Some(_) => "strait.bench.OpenSearchBulkSinkConnector",
    };
    let connector = format!(
        "name={name}\nconnector.class={class}\ntasks.max=1\ntopics={topic}\n\
         connection.url={}\nkey.ignore=true\nschema.ignore=true\n\
         key.converter=org.apache.kafka.connect.storage.StringConverter\n\
         value.converter=org.apache.kafka.connect.json.JsonConverter\n\
         value.converter.schemas.enable=false\n",
        a.opensearch_url
    );
    let server_before = server_pid.map(proc_usage).transpose()?;
    let label = match peer {
        None => "Strait: Kafka → Elasticsearch sink (key.ignore, schema.ignore) → OpenSearch _bulk",
        Some(_) => "Kafka Connect 4.1.2 (JVM) + OpenSearch Java client BulkProcessor sink: Kafka → OpenSearch _bulk",
    };
    let (child, log) = sink_bench::start_worker(a, &format!("es-{who}"), &connector, peer)?;
    let group = consumer(&a.bootstrap, &format!("connect-{name}"))?;
    let mut server_after = None;
    let mut docs = 0;
    let mut all_committed_at: Option<Instant> = None;
    let sink = measure(label, total, child, &log, || {
        // Only the cheap Kafka check while draining: polling `_refresh`/`_count` every 100 ms
        // would cost the server CPU that is being measured.
        if committed(&group, topic, a.partitions).unwrap_or(0) < total {
            return Ok(false);
        }
        let first = *all_committed_at.get_or_insert_with(Instant::now);
        let count = rt.block_on(os.count(&index))?;
        docs = count;
        if count == total {
            server_after = server_pid.map(proc_usage).transpose()?;
            return Ok(true);
        }
        ensure!(
            count < total,
            "{index} holds {count} documents, {total} were produced (duplicates or a stale index)"
        );
        if first.elapsed() > COUNT_GRACE {
            bail!(
                "{label}: the group committed the topic's end but {index} holds only {count} \
                 of {total} documents after {} s",
                COUNT_GRACE.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(500));
        Ok(false)
    })?;
    let server_cpu = match (server_before, server_after) {
        (Some((before, _)), Some((after, _))) => Some(after - before),
        _ => None,
    };
    rt.block_on(spot_check(a, os, topic, &index))
        .with_context(|| format!("{label}: checking documents in {index}"))?;
    Ok(Drain {
        sink,
        server_cpu,
        docs,
    })
}

/// Reads back a few documents by the id Confluent's sink gives them with `key.ignore=true`
/// (`topic+partition+offset`) and compares each source with the record pre-loaded there: the
/// first record of the first and of the last partition, and the last record produced. The
/// pre-load sends record `i` to partition `i % partitions` at offset `i / partitions`.
async fn spot_check(a: &Args, os: &OpenSearch, topic: &str, index: &str) -> Result<()> {
    let partitions = u64::try_from(a.partitions)?;
    let mut wanted: Vec<u64> = vec![0, partitions - 1, a.records - 1];
    wanted.retain(|&i| i < a.records);
    wanted.dedup();
    let last = usize::try_from(*wanted.iter().max().context("no records")?)?;
    let records: Vec<String> = strait_bench::d1_json_iter(last + 1, 1).collect();
    for i in wanted {
        let id = format!("{topic}+{}+{}", i % partitions, i / partitions);
        let source = os
            .source(index, &id)
            .await?
            .with_context(|| format!("document {id} is missing"))?;
        let expected: serde_json::Value = serde_json::from_str(&records[usize::try_from(i)?])?;
        ensure!(
            source == expected,
            "document {id} holds {source}, record {i} was {expected}"
        );
    }
    Ok(())
}

/// Deletes a drain's index when the drain ends, whether it succeeded or not.
struct DeleteIndex<'a> {
    rt: &'a tokio::runtime::Runtime,
    os: &'a OpenSearch,
    index: &'a str,
}

impl Drop for DeleteIndex<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.rt.block_on(self.os.delete_index(self.index)) {
            eprintln!("deleting index {}: {e:#}", self.index);
        }
    }
}

/// The few REST calls the driver makes to OpenSearch.
struct OpenSearch {
    http: reqwest::Client,
    url: String,
}

impl OpenSearch {
    fn new(url: &str) -> Result<Self> {
        Ok(OpenSearch {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()?,
            url: url.trim_end_matches('/').to_string(),
        })
    }

    async fn version(&self) -> Result<String> {
        let body: serde_json::Value = self
            .http
            .get(&self.url)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(body["version"]["number"]
            .as_str()
            .context("no version.number in the server's root document")?
            .to_string())
    }

    /// Deletes `index`; an absent index is fine.
    async fn delete_index(&self, index: &str) -> Result<()> {
        let resp = self
            .http
            .delete(format!("{}/{index}", self.url))
            .send()
            .await?;
        if resp.status() != reqwest::StatusCode::NOT_FOUND {
            resp.error_for_status()
                .with_context(|| format!("deleting index {index}"))?;
        }
        Ok(())
    }

    /// The `_source` of document `id` in `index`, if it exists.
    async fn source(&self, index: &str, id: &str) -> Result<Option<serde_json::Value>> {
        // `+` is literal in a URL path, but encoded it cannot be mistaken for a space.
        let resp = self
            .http
            .get(format!(
                "{}/{index}/_doc/{}",
                self.url,
                id.replace('+', "%2B")
            ))
            .send()
            .await?;
        if resp.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let mut body: serde_json::Value = resp.error_for_status()?.json().await?;
        Ok(Some(body["_source"].take()))
    }

    /// Documents searchable in `index` after a refresh; an absent index holds none.
    async fn count(&self, index: &str) -> Result<u64> {
        let refresh = self
            .http
            .post(format!("{}/{index}/_refresh", self.url))
            .send()
            .await?;
        if refresh.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(0);
        }
        refresh
            .error_for_status()
            .with_context(|| format!("refreshing {index}"))?;
        let body: serde_json::Value = self
            .http
            .get(format!("{}/{index}/_count", self.url))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        body["count"]
            .as_u64()
            .with_context(|| format!("no count in {index}/_count: {body}"))
    }
}
