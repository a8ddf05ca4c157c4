//! Scenario `kafka_to_cassandra` (`cargo xtask bench kafka_to_cassandra`): Kafka → CQL writes
//! into Apache Cassandra, Strait's Cassandra sink against DataStax's connector core on the JVM,
//! on one broker, one node and one data set, in the same run.
//!
//! 1. Table: keyspace `bench` (SimpleStrategy, RF 1) and a fresh table `bench.d1_<stamp>` whose
//!    columns are D1's fields (`strait_bench::d1_json_iter`): `id bigint PRIMARY KEY, name text,
//!    email text, city text, score double, ts timestamp` (ts is epoch milliseconds). D1's ids
//!    are unique, so every record is its own row and its own partition.
//! 2. Pre-load: D1 (~150 B flat JSON) into one fresh topic (`bench-cass-<stamp>`), round-robin
//!    over the partitions, before either drain starts. Both sinks drain that same topic (each in
//!    its own consumer group); the table is truncated before each drain.
//! 3. Strait: a standalone worker running `com.datastax.oss.kafka.sink.CassandraSinkConnector`
//!    with DataStax's keys: `contactPoints`, `loadBalancing.localDc` (the node's own data
//!    centre), `topic.<topic>.bench.<table>.mapping=id=value.id, name=value.name, …`,
//!    `topic.<topic>.codec.timestamp=UNITS_SINCE_EPOCH` (DataStax's way to read a JSON number
//!    into a `timestamp` column; `codec.unit` stays at its default, milliseconds), everything
//!    else at its default (`maxConcurrentRequests` 500, `maxNumberOfRecordsInBatch` 32), one
//!    task, schemaless JSON values. A Strait build without that connector is refused before
//!    anything is loaded, with the way to run the peer alone.
//! 4. JVM peer: Apache Kafka Connect 4.1.2 running `strait.bench.cassandra.DataStaxCoreSinkConnector`
//!    (`bench/jvm/cassandra-sink/`) with the same keys: DataStax connector core 1.0.15
//!    (messaging-connectors-commons, the config parsing, record mapping, grouping by partition
//!    key into unlogged batches and Java driver 4.16 session of DataStax's Kafka connector) with
//!    a glue layer written here, standing in for DataStax's connector, whose jar is not on Maven
//!    Central.
//!
//! A drain is done when the connector's consumer group has committed the topic's end AND
//! `SELECT COUNT(*)` on the table (summed over token-range slices, so no single read runs into
//! the node's range timeout) equals the records produced; commits follow acknowledged writes in
//! both sinks, so a drain whose commits reach the end while rows are missing fails the run, as
//! does a wrong row in a spot check of a few records read back by key. The wall time and the
//! node's figures stop at the commit, before the counting scan.
//!
//! Measured per drain: the worker's CPU (utime+stime) and peak RSS; the Cassandra node's CPU
//! over the same interval (its pid from `--cassandra-pid`, the test service's pid file, or the
//! process listening on the CQL port), after waiting for the node to idle so that one drain's
//! flushes and compactions are not charged to the next; and the requests, from the node's
//! `system_views`: EXECUTE messages (`cql_metrics.prepared_statements_executed`; BATCH messages
//! are not counted there) and partition writes (`coordinator_write_latency.count` of the
//! table). The peer also reports the CQL requests it sent, single statements and batches
//! alike, from the DataStax core's own batch-size histogram.
//!
//! Then the ratio line (Strait / JVM records per sink CPU-second; target ≥ 5×) and the peak RSS
//! ratio.

use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};

use super::cql;
use super::sink_bench::{self, Peer};
use super::{committed, consumer, measure, proc_usage, Args, Measured};

/// Records pre-loaded when `--records` is not given: one node on a shared 2-core machine takes
/// some 10–20k single-row writes per second, so each drain stays within a few minutes.
pub(crate) const DEFAULT_RECORDS: u64 = 1_000_000;
/// Strait's target: records per sink CPU-second, as a multiple of the JVM sink's.
const PEER_RATIO_TARGET: f64 = 5.0;
/// The connector class a DataStax user configures, which Strait's Cassandra sink answers to.
const STRAIT_CLASS: &str = "com.datastax.oss.kafka.sink.CassandraSinkConnector";
/// The JVM peer's connector (`bench/jvm/cassandra-sink`).
const PEER_CLASS: &str = "strait.bench.cassandra.DataStaxCoreSinkConnector";
/// The keyspace the benchmark's tables live in.
const KEYSPACE: &str = "bench";
/// The peer's statistics line on its standard output (see `DataStaxCoreSinkTask`).
const PEER_STATS_PREFIX: &str = "strait-bench cassandra-peer: ";
/// How long the table may lag the committed offsets before rows count as lost: commits follow
/// acknowledged writes, so the count should agree at once.
const COUNT_GRACE: Duration = Duration::from_secs(30);
/// Token-range slices `SELECT COUNT(*)` is split into.
const COUNT_SLICES: i128 = 16;
/// Timeout of the driver's DDL, TRUNCATE and counting reads.
const SLOW_CQL: Duration = Duration::from_secs(120);
/// The longest wait for the node to idle before a drain.
const SETTLE_LIMIT: Duration = Duration::from_secs(60);

/// One drain's figures.
struct Drain {
    sink: Measured,
    /// The node's CPU-seconds from just before the worker started to the drain's commit.
    node_cpu: Option<f64>,
    /// Counter deltas at the node over the same interval.
    node: NodeCounters,
    /// The CQL requests the sink says it sent (the peer reports them; Strait does not yet).
    sink_requests: Option<u64>,
    rows: u64,
}

pub(crate) fn run(a: &Args, stamp: u64) -> Result<()> {
    ensure!(a.partitions > 0, "--partitions must be positive");
    let node = Node::new(&a.cassandra)?;
    let (version, dc) = node
        .version_and_dc()
        .with_context(|| format!("Cassandra at {} (--cassandra)", a.cassandra))?;
    let node_pid = sink_bench::server_pid(a.cassandra_pid, Some(node.port));
    match node_pid {
        Some(pid) => println!(
            "Cassandra {version} at {}, data centre {dc}, pid {pid}",
            a.cassandra
        ),
        None => println!(
            "Cassandra {version} at {}, data centre {dc}: its process was not found (not \
             listening on this machine as this user?), so its CPU is not reported; pass \
             --cassandra-pid",
            a.cassandra
        ),
    }
    let peer = Peer::from_args(&a.java_libs, &a.cassandra_plugin);
    if !a.peer_only {
        sink_bench::ensure_strait_has(
            &a.strait,
            STRAIT_CLASS,
            "the Cassandra sink",
            "kafka_to_cassandra",
        )?;
    }
    ensure!(
        !a.peer_only || peer.is_some(),
        "nothing to run: --peer-only without --java-libs and --cassandra-plugin"
    );

    let topic = format!("bench-cass-{stamp}");
    let table = format!("d1_{stamp}");
    node.create_table(&table)?;
    let result = (|| -> Result<(u64, Option<Drain>, Option<Drain>)> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let loaded = sink_bench::preload_d1(a, &rt, &topic, stamp);
        let outcome = loaded.and_then(|json_bytes| {
            let run_drain = |who: &str, peer: Option<Peer>| {
                drain(a, &node, node_pid, &dc, stamp, &topic, &table, who, peer)
            };
            let strait = if a.peer_only {
                None
            } else {
                Some(run_drain("strait", None)?)
            };
            let peer = match peer {
                Some(p) => Some(run_drain("peer", Some(p))?),
                None => None,
            };
            Ok((json_bytes, strait, peer))
        });
        // A failed run must not leave the topic (hundreds of MB) behind either.
        sink_bench::delete_topics(a, &rt, &[topic.as_str()]);
        outcome
    })();
    if let Err(e) = node.drop_table(&table) {
        eprintln!("dropping {KEYSPACE}.{table}: {e:#}");
    }
    let (json_bytes, strait, peer) = result?;

    println!(
        "\n{} D1 records, {} partitions, broker {}, Cassandra {version} at {}",
        a.records, a.partitions, a.bootstrap, a.cassandra
    );
    println!("| scenario | records | wall | sink CPU | records per sink CPU-second | MB of JSON per sink CPU-second | sink peak RSS | Cassandra CPU | records per Cassandra CPU-second | CQL requests (sink) | requests per second | EXECUTEs (node) | partition writes (node) | rows in the table |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for d in strait.iter().chain(peer.iter()) {
        println!("{}", row(d, json_bytes));
    }
    println!();
    if peer.is_some() {
        println!(
            "JVM peer: Apache Kafka Connect 4.1.2 + {PEER_CLASS} (bench/jvm/cassandra-sink): \
             DataStax connector core 1.0.15 (messaging-connectors-commons) with a glue layer \
             written here, on Kafka Connect 4.1 (DataStax's own connector jar is not on Maven \
             Central)."
        );
    }
    println!(
        "Requests: the node counts EXECUTE messages but not BATCH messages; the peer's count is \
         the DataStax core's own (single statements and batches alike). D1's keys are unique, \
         so the core's per-partition-key batches hold one statement each."
    );
    for (name, d) in [("Strait", &strait), ("JVM peer", &peer)] {
        if let Some(d) = d {
            println!(
                "{name} Kafka (JSON) → Cassandra: {:.0} records per sink CPU-second, peak RSS {:.0} MB",
                d.sink.per_cpu_second(),
                d.sink.rss as f64 / 1e6
            );
        }
    }
    if let (Some(s), Some(p)) = (&strait, &peer) {
        let ratio = s.sink.per_cpu_second() / p.sink.per_cpu_second();
        println!(
            "Kafka → Cassandra, Strait / JVM sink: {ratio:.1}× records per sink CPU-second (target ≥ {PEER_RATIO_TARGET:.0}×: {}), {:.2}× peak RSS",
            if ratio >= PEER_RATIO_TARGET {
                "met"
            } else {
                "NOT met"
            },
            s.sink.rss as f64 / p.sink.rss.max(1) as f64
        );
        if let (Some(sc), Some(pc)) = (s.node_cpu, p.node_cpu) {
            println!(
                "Cassandra's own CPU for the same rows: {sc:.2} s under Strait, {pc:.2} s under the JVM sink ({:.2}×)",
                sc / pc.max(1e-9)
            );
        }
    }
    Ok(())
}

/// One line of the results table.
fn row(d: &Drain, json_bytes: u64) -> String {
    let m = &d.sink;
    let secs = m.wall.as_secs_f64().max(1e-9);
    let (node_cpu, node_rate) = match d.node_cpu {
        Some(cpu) => (
            format!("{cpu:.2} s"),
            format!("{:.0}", m.records as f64 / cpu.max(1e-9)),
        ),
        None => ("—".into(), "—".into()),
    };
    // Without the sink's own count, the node's EXECUTEs are a lower bound (batches uncounted).
    let (requests, rate) = match d.sink_requests {
        Some(r) => (r.to_string(), format!("{:.0}", r as f64 / secs)),
        None => (
            "—".into(),
            format!("≥ {:.0}", d.node.executes as f64 / secs),
        ),
    };
    format!(
        "| {} | {} | {:.2} s | {:.2} s | {:.0} | {:.1} | {:.0} MB | {node_cpu} | {node_rate} | {requests} | {rate} | {} | {} | {} |",
        m.scenario,
        m.records,
        secs,
        m.cpu,
        m.per_cpu_second(),
        json_bytes as f64 / 1e6 / m.cpu.max(1e-9),
        m.rss as f64 / 1e6,
        d.node.executes,
        d.node.partition_writes,
        d.rows
    )
}

/// One sink draining `topic` into `bench.<table>`: Strait's when `peer` is None, else the JVM
/// peer.
#[allow(clippy::too_many_arguments)]
fn drain(
    a: &Args,
    node: &Node,
    node_pid: Option<u32>,
    dc: &str,
    stamp: u64,
    topic: &str,
    table: &str,
    who: &str,
    peer: Option<Peer>,
) -> Result<Drain> {
    let total = a.records;
    node.execute(&format!("TRUNCATE {KEYSPACE}.{table}"))?;
    if let Some(pid) = node_pid {
        let waited = sink_bench::settle(pid, SETTLE_LIMIT)?;
        if waited > Duration::from_secs(3) {
            println!(
                "Waited {:.0} s for Cassandra to idle before the {who} drain",
                waited.as_secs_f64()
            );
        }
    }
    let name = format!("bench-cass-{who}-{stamp}");
    let (class, label) = match peer {
        None => (
            STRAIT_CLASS,
            "Strait: Kafka → Cassandra sink (DataStax config) → CQL",
        ),
        Some(_) => (
            PEER_CLASS,
            "Kafka Connect 4.1.2 (JVM) + DataStax connector core 1.0.15: Kafka → CQL",
        ),
    };
    let connector = connector_config(&name, class, topic, table, &node.host, node.port, dc);
    let counters_before = node.counters(table)?;
    let node_before = node_pid.map(proc_usage).transpose()?;
    let spawned = Instant::now();
    let (child, log) = sink_bench::start_worker(a, &format!("cass-{who}"), &connector, peer)?;
    let group = consumer(&a.bootstrap, &format!("connect-{name}"))?;
    let mut at_commit: Option<(Instant, Option<(f64, u64)>, NodeCounters)> = None;
    let mut rows = 0;
    let mut sink = measure(label, total, child, &log, || {
        // Only the cheap Kafka check while draining: counting rows costs the node a scan.
        if at_commit.is_none() {
            if committed(&group, topic, a.partitions).unwrap_or(0) < total {
                return Ok(false);
            }
            // The drain's end: read the node's figures before the counting scan adds to them.
            let cpu = node_pid.map(proc_usage).transpose()?;
            at_commit = Some((Instant::now(), cpu, node.counters(table)?));
        }
        let committed_at = at_commit.as_ref().map_or_else(Instant::now, |c| c.0);
        rows = node.count(table)?;
        if rows == total {
            return Ok(true);
        }
        ensure!(
            rows < total,
            "{KEYSPACE}.{table} holds {rows} rows, {total} were produced (a stale table?)"
        );
        if committed_at.elapsed() > COUNT_GRACE {
            bail!(
                "{label}: the group committed the topic's end but {KEYSPACE}.{table} holds only \
                 {rows} of {total} rows after {} s",
                COUNT_GRACE.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(500));
        Ok(false)
    })?;
    let (committed_at, node_after, counters_after) =
        at_commit.context("the drain ended without reaching its commit")?;
    sink.wall = committed_at - spawned;
    let node_cpu = match (node_before, node_after) {
        (Some((before, _)), Some((after, _))) => Some(after - before),
        _ => None,
    };
    spot_check(a, node, table).with_context(|| format!("{label}: checking rows in {table}"))?;
    let sink_requests = match peer {
        Some(_) => Some(
            peer_requests(&std::fs::read_to_string(&log)?)
                .with_context(|| format!("{label}: no statistics line in {}", log.display()))?,
        ),
        None => None,
    };
    Ok(Drain {
        sink,
        node_cpu,
        node: counters_after.since(&counters_before),
        sink_requests,
        rows,
    })
}

/// The connector config both sinks get (only the class and name differ).
fn connector_config(
    name: &str,
    class: &str,
    topic: &str,
    table: &str,
    host: &str,
    port: u16,
    dc: &str,
) -> String {
    let mapping = D1_COLUMNS
        .iter()
        .map(|(col, _)| format!("{col}=value.{col}"))
        .collect::<Vec<_>>()
        .join(", ");
    // DataStax's `port` defaults to 9042; spelled out only when the node is elsewhere.
    let port = if port == 9042 {
        String::new()
    } else {
        format!("port={port}\n")
    };
    format!(
        "name={name}\nconnector.class={class}\ntasks.max=1\ntopics={topic}\n\
         contactPoints={host}\n{port}loadBalancing.localDc={dc}\n\
         topic.{topic}.{KEYSPACE}.{table}.mapping={mapping}\n\
         topic.{topic}.codec.timestamp=UNITS_SINCE_EPOCH\n\
         key.converter=org.apache.kafka.connect.storage.StringConverter\n\
         value.converter=org.apache.kafka.connect.json.JsonConverter\n\
         value.converter.schemas.enable=false\n"
    )
}

/// D1's fields as CQL columns, the key first (see `strait_bench::d1_json_iter`).
const D1_COLUMNS: [(&str, &str); 6] = [
    ("id", "bigint PRIMARY KEY"),
    ("name", "text"),
    ("email", "text"),
    ("city", "text"),
    ("score", "double"),
    ("ts", "timestamp"),
];

/// Reads back a few rows by key and compares them with the records pre-loaded: the first
/// record of the first and of the last partition, and the last record produced.
fn spot_check(a: &Args, node: &Node, table: &str) -> Result<()> {
    let partitions = u64::try_from(a.partitions)?;
    let mut wanted: Vec<u64> = vec![0, partitions - 1, a.records - 1];
    wanted.retain(|&i| i < a.records);
    wanted.dedup();
    let last = usize::try_from(*wanted.iter().max().context("no records")?)?;
    let records: Vec<String> = strait_bench::d1_json_iter(last + 1, 1).collect();
    let columns = D1_COLUMNS.map(|(c, _)| c).join(", ");
    for i in wanted {
        let expected: serde_json::Value = serde_json::from_str(&records[usize::try_from(i)?])?;
        let id = expected["id"].as_i64().context("D1 id")?;
        let rows = node.query(&format!(
            "SELECT {columns} FROM {KEYSPACE}.{table} WHERE id = {id}"
        ))?;
        let row = rows
            .first()
            .with_context(|| format!("record {i} (id {id}) has no row"))?;
        let got = row_as_json(row)?;
        ensure!(
            got == expected,
            "row {id} holds {got}, record {i} was {expected}"
        );
    }
    Ok(())
}

/// A D1 row read back, as the JSON record it came from (`ts` as epoch milliseconds).
fn row_as_json(row: &cql::Row) -> Result<serde_json::Value> {
    let mut out = serde_json::Map::new();
    for (name, cell) in row {
        let cell = cell
            .as_deref()
            .with_context(|| format!("column {name} is null"))?;
        let value = match name.as_str() {
            "id" | "ts" => serde_json::Value::from(i64::from_be_bytes(
                cell.try_into().context("an 8-byte bigint/timestamp")?,
            )),
            "score" => serde_json::Value::from(f64::from_be_bytes(
                cell.try_into().context("an 8-byte double")?,
            )),
            _ => serde_json::Value::from(std::str::from_utf8(cell)?),
        };
        out.insert(name.clone(), value);
    }
    Ok(serde_json::Value::Object(out))
}

/// The `requests=` of the peer's last statistics line in its worker log.
fn peer_requests(log: &str) -> Option<u64> {
    let line = log
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix(PEER_STATS_PREFIX))?;
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix("requests="))?
        .parse()
        .ok()
}

/// Counters the node keeps that tell how a sink wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct NodeCounters {
    /// EXECUTE messages (prepared statements run one at a time), node-wide.
    executes: u64,
    /// Partition updates coordinated for the table (one per row here, however batched).
    partition_writes: u64,
}

impl NodeCounters {
    fn since(&self, before: &NodeCounters) -> NodeCounters {
        NodeCounters {
            executes: self.executes.saturating_sub(before.executes),
            partition_writes: self
                .partition_writes
                .saturating_sub(before.partition_writes),
        }
    }
}

/// The few statements the driver runs on the node, each on a connection of its own (see
/// `cql`). None of them is prepared, so they never add to the EXECUTE count being measured.
struct Node {
    addr: String,
    host: String,
    port: u16,
}

impl Node {
    fn new(addr: &str) -> Result<Self> {
        let (host, port) = addr
            .rsplit_once(':')
            .with_context(|| format!("--cassandra {addr}: expected host:port"))?;
        Ok(Node {
            addr: addr.to_string(),
            host: host.to_string(),
            port: port
                .parse()
                .with_context(|| format!("--cassandra {addr}: bad port"))?,
        })
    }

    fn query(&self, cql: &str) -> Result<Vec<cql::Row>> {
        cql::query(&self.addr, cql).with_context(|| format!("{cql:?} on {}", self.addr))
    }

    fn execute(&self, cql: &str) -> Result<Vec<cql::Row>> {
        cql::execute(&self.addr, cql, SLOW_CQL).with_context(|| format!("{cql:?} on {}", self.addr))
    }

    /// The node's release version and data centre (the driver's `loadBalancing.localDc`).
    fn version_and_dc(&self) -> Result<(String, String)> {
        let rows = self.query("SELECT release_version, data_center FROM system.local")?;
        let row = rows.first().context("system.local returned no row")?;
        Ok((text(row, "release_version")?, text(row, "data_center")?))
    }

    fn create_table(&self, table: &str) -> Result<()> {
        self.execute(&format!(
            "CREATE KEYSPACE IF NOT EXISTS {KEYSPACE} WITH replication = \
             {{'class': 'SimpleStrategy', 'replication_factor': 1}}"
        ))?;
        let columns = D1_COLUMNS.map(|(c, t)| format!("{c} {t}")).join(", ");
        self.execute(&format!("CREATE TABLE {KEYSPACE}.{table} ({columns})"))?;
        Ok(())
    }

    fn drop_table(&self, table: &str) -> Result<()> {
        self.execute(&format!("DROP TABLE IF EXISTS {KEYSPACE}.{table}"))?;
        Ok(())
    }

    /// `SELECT COUNT(*)` over the whole table, summed over [`COUNT_SLICES`] slices of the
    /// Murmur3 token range `(-2^63, 2^63-1]` (every key's token lies in it).
    fn count(&self, table: &str) -> Result<u64> {
        let mut total = 0;
        for (lo, hi) in token_slices(COUNT_SLICES) {
            let rows = self.execute(&format!(
                "SELECT COUNT(*) FROM {KEYSPACE}.{table} WHERE token(id) > {lo} AND token(id) <= {hi}"
            ))?;
            let cell = rows
                .first()
                .and_then(|r| r.first())
                .and_then(|(_, v)| v.as_deref())
                .context("COUNT(*) returned no value")?;
            total += u64::try_from(i64::from_be_bytes(
                cell.try_into().context("COUNT(*) is an 8-byte bigint")?,
            ))?;
        }
        Ok(total)
    }

    fn counters(&self, table: &str) -> Result<NodeCounters> {
        let metrics = self.query("SELECT name, value FROM system_views.cql_metrics")?;
        let executes = metrics
            .iter()
            .find(|r| text(r, "name").ok().as_deref() == Some("prepared_statements_executed"))
            .context("system_views.cql_metrics has no prepared_statements_executed")
            .and_then(|r| double(r, "value"))?;
        let writes = self.query(&format!(
            "SELECT count FROM system_views.coordinator_write_latency \
             WHERE keyspace_name = '{KEYSPACE}' AND table_name = '{table}'"
        ))?;
        let partition_writes = match writes.first() {
            Some(r) => bigint(r, "count")?,
            None => 0,
        };
        Ok(NodeCounters {
            // A counter kept as a double: exact far beyond any run's count.
            executes: executes as u64,
            partition_writes: u64::try_from(partition_writes)?,
        })
    }
}

/// `n` consecutive slices `(lo, hi]` covering the Murmur3 token range.
fn token_slices(n: i128) -> Vec<(i64, i64)> {
    let (min, max) = (i128::from(i64::MIN), i128::from(i64::MAX));
    let step = (max - min) / n;
    (0..n)
        .map(|k| {
            let lo = min + k * step;
            let hi = if k == n - 1 { max } else { lo + step };
            // Both ends lie within i64 by construction.
            (lo as i64, hi as i64)
        })
        .collect()
}

fn cell<'r>(row: &'r cql::Row, col: &str) -> Result<&'r [u8]> {
    row.iter()
        .find(|(name, _)| name == col)
        .and_then(|(_, v)| v.as_deref())
        .with_context(|| format!("no {col} in the row"))
}

fn text(row: &cql::Row, col: &str) -> Result<String> {
    Ok(std::str::from_utf8(cell(row, col)?)?.to_string())
}

fn bigint(row: &cql::Row, col: &str) -> Result<i64> {
    Ok(i64::from_be_bytes(
        cell(row, col)?
            .try_into()
            .with_context(|| format!("{col} is not an 8-byte bigint"))?,
    ))
}

fn double(row: &cql::Row, col: &str) -> Result<f64> {
    Ok(f64::from_be_bytes(
        cell(row, col)?
            .try_into()
            .with_context(|| format!("{col} is not an 8-byte double"))?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_slices_cover_the_ring_without_overlap() {
        let s = token_slices(COUNT_SLICES);
        assert_eq!(s.len(), 16);
        assert_eq!(s[0].0, i64::MIN);
        assert_eq!(s[15].1, i64::MAX);
        for w in s.windows(2) {
            assert_eq!(w[0].1, w[1].0, "slices must meet");
            assert!(w[0].0 < w[0].1);
        }
        assert_eq!(token_slices(1), vec![(i64::MIN, i64::MAX)]);
    }

    #[test]
    fn connector_config_maps_every_d1_field() {
        let c = connector_config("n", STRAIT_CLASS, "t1", "d1_7", "127.0.0.1", 9042, "dc1");
        assert!(c.contains(
            "topic.t1.bench.d1_7.mapping=id=value.id, name=value.name, email=value.email, \
             city=value.city, score=value.score, ts=value.ts\n"
        ));
        assert!(c.contains("contactPoints=127.0.0.1\nloadBalancing.localDc=dc1\n"));
        assert!(c.contains("topic.t1.codec.timestamp=UNITS_SINCE_EPOCH\n"));
        assert!(!c.contains("port="));
        let c = connector_config("n", PEER_CLASS, "t1", "d1_7", "h", 19042, "dc1");
        assert!(c.contains("connector.class=strait.bench.cassandra.DataStaxCoreSinkConnector\n"));
        assert!(c.contains("port=19042\n"));
    }

    #[test]
    fn d1_columns_are_the_generators_fields() {
        let record: serde_json::Value =
            serde_json::from_str(&strait_bench::d1_json_iter(1, 1).next().unwrap()).unwrap();
        let fields: Vec<&String> = record.as_object().unwrap().keys().collect();
        let mut columns: Vec<&str> = D1_COLUMNS.iter().map(|(c, _)| *c).collect();
        columns.sort_unstable();
        let mut fields: Vec<&str> = fields.iter().map(|f| f.as_str()).collect();
        fields.sort_unstable();
        assert_eq!(columns, fields);
    }

    #[test]
    fn rows_read_back_compare_with_the_record() {
        let record = strait_bench::d1_json_iter(1, 1).next().unwrap();
        let expected: serde_json::Value = serde_json::from_str(&record).unwrap();
        let s = |k: &str| Some(expected[k].as_str().unwrap().as_bytes().to_vec());
        let mut row: cql::Row = vec![
            (
                "id".into(),
                Some(expected["id"].as_i64().unwrap().to_be_bytes().to_vec()),
            ),
            ("name".into(), s("name")),
            ("email".into(), s("email")),
            ("city".into(), s("city")),
            (
                "score".into(),
                Some(expected["score"].as_f64().unwrap().to_be_bytes().to_vec()),
            ),
            (
                "ts".into(),
                Some(expected["ts"].as_i64().unwrap().to_be_bytes().to_vec()),
            ),
        ];
        assert_eq!(row_as_json(&row).unwrap(), expected);
        row[5].1 = Some(0i64.to_be_bytes().to_vec());
        assert_ne!(row_as_json(&row).unwrap(), expected);
        row[1].1 = None;
        assert!(row_as_json(&row).is_err());
    }

    #[test]
    fn reads_the_peers_last_statistics_line() {
        let log = "[x] INFO Kafka Connect started\n\
                   strait-bench cassandra-peer: requests=500 statements=500 failed=0\n\
                   [y] WARN something\n\
                   strait-bench cassandra-peer: requests=20000 statements=20010 failed=1\n\
                   [z] INFO Kafka Connect stopping\n";
        assert_eq!(peer_requests(log), Some(20000));
        assert_eq!(peer_requests("no such line\n"), None);
    }

    #[test]
    fn node_counter_deltas() {
        let before = NodeCounters {
            executes: 10,
            partition_writes: 5,
        };
        let after = NodeCounters {
            executes: 110,
            partition_writes: 1005,
        };
        assert_eq!(
            after.since(&before),
            NodeCounters {
                executes: 100,
                partition_writes: 1000
            }
        );
    }

    #[test]
    fn node_addresses() {
        let n = Node::new("127.0.0.1:9042").unwrap();
        assert_eq!((n.host.as_str(), n.port), ("127.0.0.1", 9042));
        assert!(Node::new("127.0.0.1").is_err());
        assert!(Node::new("h:x").is_err());
    }
}
