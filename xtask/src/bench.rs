//! `cargo xtask bench`: the end-to-end benchmark. Brings Kafka up, builds Strait and the driver
//! in release mode, and runs `bench/src/bin/e2e.rs`: Datagen → Kafka (source), then draining the
//! topic with the blackhole sink, with FileStreamSink to /dev/null, and with FileStreamSink behind
//! JSON decoding and a chain of five SMTs, beside Apache Kafka Connect (JVM) doing the same on the
//! same broker and topic, and a raw librdkafka consume of that topic
//! as the baseline the drains are compared with. Prints records per CPU-second and peak RSS of
//! each measured process and the ratio lines of the targets; paste the table into
//! `bench/RESULTS.md` with the machine and date.
//!
//! `--bootstrap` points the run at a broker that is already running (a shared one, or one
//! started from another checkout): then no service is started or stopped, and `--java-libs`
//! says where the Kafka jars for the JVM peer are.
//!
//! `cargo xtask bench exactly_once` measures exactly-once sources against at-least-once, Strait
//! and JVM Kafka Connect in the same run (see `bench/src/bin/e2e/exactly_once.rs`).
//!
//! `cargo xtask bench kafka_to_s3` runs the S3 sink benchmark instead (see
//! `bench/src/bin/e2e/kafka_to_s3.rs`): D1 JSON pre-loaded into Kafka, drained by Strait's S3
//! sink into Parquet on the moto S3 of `services up s3`, and by Apache Iceberg's Kafka Connect
//! sink on the JVM as the peer. Its plugin jars are fetched once with Maven into
//! `.test-services/bench-peers/iceberg/plugins/iceberg-sink`. `--s3-endpoint` points it at an S3 already
//! running (then the s3 service is neither started nor stopped).
//!
//! `cargo xtask bench kafka_to_opensearch` runs the Elasticsearch/OpenSearch sink benchmark (see
//! `bench/src/bin/e2e/kafka_to_opensearch.rs`): D1 JSON pre-loaded into Kafka, bulk-indexed into
//! the OpenSearch of `services up opensearch` (or `--opensearch-url`) by Strait's Elasticsearch
//! sink and, as the JVM peer, by Kafka Connect running `bench/jvm/opensearch-sink` (built once
//! per source change with Maven into `.test-services/bench-peers/opensearch/`). `--no-strait`
//! runs the peer alone.
//!
//! `cargo xtask bench kafka_to_cassandra` runs the Cassandra sink benchmark (see
//! `bench/src/bin/e2e/kafka_to_cassandra.rs`): D1 JSON (1,000,000 records unless `--records`)
//! pre-loaded into Kafka, written into a `bench.d1_<stamp>` table of the Cassandra of
//! `services up cassandra` (or `--cassandra host:port`) by Strait's Cassandra sink
//! (`com.datastax.oss.kafka.sink.CassandraSinkConnector`) and, as the JVM peer, by Kafka
//! Connect running `bench/jvm/cassandra-sink` (DataStax connector core 1.0.15 with a glue layer
//! written here; built like the OpenSearch peer, into `.test-services/bench-peers/cassandra/`).
//! Reports each sink's records per CPU-second, wall time and peak RSS, the node's CPU over each
//! drain, and the requests. `--no-strait` runs the peer alone (a Strait build without the
//! Cassandra sink is refused up front with that advice).
//!
//! `cargo xtask bench kafka_to_http` runs the HTTP sink benchmark (see
//! `bench/src/bin/e2e/kafka_to_http.rs`): D1 JSON (1,000,000 records unless `--records`)
//! pre-loaded into Kafka, POSTed as JSON arrays of 500 records to a local endpoint (the driver
//! re-run as `e2e http-endpoint`, counting what arrives; its CPU is charged to neither sink) by
//! Strait's HTTP sink (`io.confluent.connect.http.HttpSinkConnector`, Confluent V1 keys) and, as
//! the JVM peer, by Kafka Connect running `bench/jvm/http-sink` (Confluent HTTP Sink V1's per-put
//! work on `java.net.http`: no Confluent, Aiven or Camel HTTP sink resolves from Maven Central
//! here; built like the OpenSearch peer, into `.test-services/bench-peers/http/`). No service
//! besides Kafka. `--no-strait` runs the peer alone (a Strait build without the HTTP sink is
//! refused up front with that advice).
//!
//! Kafka: when 127.0.0.1:9092 already answers as a broker that this checkout did not start (a
//! colleague's, or another checkout's), the run uses it as if given `--bootstrap` and never
//! stops it; the JVM peers then run on this checkout's Kafka jars, fetched (not started) as
//! `services up kafka` would.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result};

use crate::say;
use crate::services;
use crate::util::{self, Ctx};

#[path = "bench_distributed.rs"]
mod distributed;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Scenario to run; without one, the default run (source, raw consume, drains, SMTs).
    #[arg(value_parser = [
        "kafka_to_s3",
        "distributed",
        "exactly_once",
        "kafka_to_opensearch",
        "kafka_to_cassandra",
        "kafka_to_http",
    ])]
    scenario: Option<String>,
    /// distributed: clusters started per implementation (alternating Java and Strait).
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Records to pre-load and drain (default: 2,000,000; kafka_to_s3: 6,400,000;
    /// kafka_to_opensearch: 2,000,000 per sink; kafka_to_cassandra, kafka_to_http: 1,000,000).
    #[arg(long)]
    records: Option<u64>,
    /// kafka_to_s3: the S3 sink's flush.size (records per partition must be a multiple).
    #[arg(long, default_value_t = 100_000)]
    flush_size: u64,
    /// kafka_to_s3: use the S3 endpoint already running at this URL instead of the test service.
    #[arg(long)]
    s3_endpoint: Option<String>,
    /// kafka_to_s3: the memory test instead (no JVM peer): hourly partitioner, this
    /// `sink.buffer.memory.bytes`, peak RSS against it (e.g. `--partitions 1000
    /// --memory-budget 268435456`).
    #[arg(long)]
    memory_budget: Option<u64>,
    /// kafka_to_s3: D1 as Avro in Kafka (Confluent's wire format, the schema registry service),
    /// read with the AvroConverter; Strait alone (no JVM peer has the converter).
    #[arg(long)]
    avro: bool,
    /// Partitions of the benchmark topic.
    #[arg(long, default_value_t = 16)]
    partitions: i32,
    /// Skip the JVM Kafka Connect peer.
    #[arg(long)]
    no_peer: bool,
    /// An extra `key=value` line for every Strait worker's properties (repeatable), e.g.
    /// `--worker-prop strait.metrics.enabled=false` to measure what metrics cost.
    #[arg(long = "worker-prop", value_name = "KEY=VALUE")]
    worker_props: Vec<String>,
    /// kafka_to_opensearch, kafka_to_cassandra, kafka_to_http: skip Strait's drain (run the JVM
    /// peer alone).
    #[arg(long)]
    no_strait: bool,
    /// kafka_to_opensearch: use the OpenSearch already running at this URL instead of the test
    /// service (then it is neither started nor stopped; its CPU is read from the process
    /// listening on the URL's port).
    #[arg(long)]
    opensearch_url: Option<String>,
    /// kafka_to_cassandra: use the Cassandra already running at this CQL address (host:port)
    /// instead of the test service (then it is neither started nor stopped; its CPU is read
    /// from the process listening on the port).
    #[arg(long)]
    cassandra: Option<String>,
    /// Stop Kafka (and the scenario's server) afterwards if this run started it.
    #[arg(long)]
    stop_services: bool,
    /// Use the broker already running at this address instead of starting the test service.
    #[arg(long)]
    bootstrap: Option<String>,
    /// Kafka's `libs/` directory for the JVM peer (default: this checkout's test service).
    #[arg(long)]
    java_libs: Option<PathBuf>,
}

/// Apache Iceberg's Kafka Connect sink, the JVM peer of kafka_to_s3 (1.10.0 does not resolve
/// from Maven Central here: its `iceberg-kafka-connect-events` is missing).
const ICEBERG_VERSION: &str = "1.9.2";
/// The Hadoop that Iceberg 1.9's Kafka Connect runtime bundles; HadoopCatalog and
/// parquet-hadoop need it on the plugin's class path.
const HADOOP_VERSION: &str = "3.4.1";

pub fn run(ctx: &Ctx, args: Args) -> Result<()> {
    let kafka = services::find("kafka")?;
    let to_s3 = args.scenario.as_deref() == Some("kafka_to_s3");
    let to_opensearch = args.scenario.as_deref() == Some("kafka_to_opensearch");
    let to_cassandra = args.scenario.as_deref() == Some("kafka_to_cassandra");
    let to_http = args.scenario.as_deref() == Some("kafka_to_http");
    if args.no_strait && !(to_opensearch || to_cassandra || to_http) {
        anyhow::bail!(
            "--no-strait applies to the kafka_to_opensearch, kafka_to_cassandra and \
             kafka_to_http scenarios"
        );
    }
    if args.cassandra.is_some() && !to_cassandra {
        anyhow::bail!("--cassandra applies to the kafka_to_cassandra scenario");
    }
    let mut args = args;
    if args.bootstrap.is_none() && services::running_pid(ctx, kafka).is_none() && kafka.healthy(ctx)
    {
        say!(
            "kafka: {} is served by a broker this checkout did not start; using it (and leaving it running)",
            services::kafka::BOOTSTRAP
        );
        args.bootstrap = Some(services::kafka::BOOTSTRAP.to_string());
    }
    let outcome = match &args.bootstrap {
        // Someone else's broker: neither start nor stop it.
        Some(_) => services::Outcome::AlreadyUp,
        None => services::up(ctx, kafka)?,
    };
    // The JVM peers run on this checkout's Kafka jars unless told otherwise; with a broker
    // started here they are installed already, with someone else's they may not be.
    if args.java_libs.is_none() && !args.no_peer {
        services::kafka::install_jars(ctx)?;
    }
    if args.scenario.as_deref() == Some("distributed") {
        let result = distributed::run(
            ctx,
            distributed::Options {
                bootstrap: args
                    .bootstrap
                    .clone()
                    .unwrap_or_else(|| services::kafka::BOOTSTRAP.to_string()),
                java_libs: args
                    .java_libs
                    .clone()
                    .unwrap_or_else(|| ctx.services_dir.join("kafka/libs")),
                runs: args.runs,
                no_peer: args.no_peer,
            },
        );
        if args.stop_services && outcome == services::Outcome::Started {
            services::down(ctx, kafka)?;
        }
        return result;
    }
    let s3 = services::find("s3")?;
    let s3_outcome = match (&args.s3_endpoint, to_s3) {
        (None, true) => services::up(ctx, s3)?,
        _ => services::Outcome::AlreadyUp,
    };
    let registry = services::find("schema-registry")?;
    let registry_outcome = match (args.avro, to_s3) {
        (true, true) => services::up(ctx, registry)?,
        (true, false) => anyhow::bail!("--avro applies to the kafka_to_s3 scenario"),
        _ => services::Outcome::AlreadyUp,
    };
    let iceberg_plugin = if to_s3 && !args.no_peer && !args.avro {
        Some(install_iceberg_plugin(ctx)?)
    } else {
        None
    };
    // The OpenSearch test service, unless the run is pointed at a server of its own.
    let (opensearch, opensearch_outcome) = match (&args.opensearch_url, to_opensearch) {
        (None, true) => {
            let s = services::find("opensearch").context(
                "this checkout has no opensearch test service: start an OpenSearch and pass \
                 --opensearch-url",
            )?;
            (Some(s), services::up(ctx, s)?)
        }
        _ => (None, services::Outcome::AlreadyUp),
    };
    let opensearch_plugin = if to_opensearch && !args.no_peer {
        Some(install_peer_plugin(ctx, &OPENSEARCH_PEER)?)
    } else {
        None
    };
    // The Cassandra test service, unless the run is pointed at a node of its own.
    let (cassandra, cassandra_outcome) = match (&args.cassandra, to_cassandra) {
        (None, true) => {
            let s = services::find("cassandra")?;
            (Some(s), services::up(ctx, s)?)
        }
        _ => (None, services::Outcome::AlreadyUp),
    };
    let cassandra_plugin = if to_cassandra && !args.no_peer {
        Some(install_peer_plugin(ctx, &CASSANDRA_PEER)?)
    } else {
        None
    };
    let http_plugin = if to_http && !args.no_peer {
        Some(install_peer_plugin(ctx, &HTTP_PEER)?)
    } else {
        None
    };
    if args.no_strait && args.no_peer {
        anyhow::bail!("--no-strait and --no-peer together leave nothing to run");
    }
    let mut build = Command::new("cargo");
    build
        .current_dir(&ctx.root)
        .args(["build", "--release", "-p", "strait-bench", "--bin", "e2e"]);
    if !args.no_strait {
        build.args(["-p", "strait", "--bin", "strait"]);
    }
    util::run_checked(&mut build)?;
    let mut cmd = Command::new(ctx.root.join("target/release/e2e"));
    cmd.current_dir(&ctx.root);
    if let Some(records) = args.records {
        cmd.arg("--records").arg(records.to_string());
    }
    if args.scenario.as_deref() == Some("exactly_once") {
        cmd.args(["--scenario", "exactly_once"]);
    }
    if to_s3 {
        cmd.args(["--scenario", "kafka_to_s3", "--flush-size"])
            .arg(args.flush_size.to_string());
        if let Some(endpoint) = &args.s3_endpoint {
            cmd.arg("--s3-endpoint").arg(endpoint);
        }
        if let Some(budget) = args.memory_budget {
            cmd.arg("--memory-budget").arg(budget.to_string());
        }
        if args.avro {
            cmd.arg("--avro").arg(services::schema_registry::URL);
        }
    }
    if let Some(plugin) = &iceberg_plugin {
        cmd.arg("--iceberg-plugin").arg(plugin);
    }
    if to_opensearch {
        cmd.args(["--scenario", "kafka_to_opensearch", "--opensearch-url"])
            .arg(
                args.opensearch_url
                    .as_deref()
                    .unwrap_or(OPENSEARCH_SERVICE_URL),
            );
        // The service's own pid file names the server whose CPU is reported.
        if let Some(pid) = opensearch.and_then(|s| services::running_pid(ctx, s)) {
            cmd.arg("--opensearch-pid").arg(pid.to_string());
        }
        if args.no_strait {
            cmd.arg("--peer-only");
        }
    }
    if let Some(plugin) = &opensearch_plugin {
        cmd.arg("--opensearch-plugin").arg(plugin);
    }
    if to_cassandra {
        cmd.args(["--scenario", "kafka_to_cassandra", "--cassandra"])
            .arg(args.cassandra.as_deref().unwrap_or(CASSANDRA_SERVICE_ADDR));
        // The service's own pid file names the node whose CPU is reported.
        if let Some(pid) = cassandra.and_then(|s| services::running_pid(ctx, s)) {
            cmd.arg("--cassandra-pid").arg(pid.to_string());
        }
        if args.no_strait {
            cmd.arg("--peer-only");
        }
    }
    if let Some(plugin) = &cassandra_plugin {
        cmd.arg("--cassandra-plugin").arg(plugin);
    }
    if to_http {
        cmd.args(["--scenario", "kafka_to_http"]);
        if args.no_strait {
            cmd.arg("--peer-only");
        }
    }
    if let Some(plugin) = &http_plugin {
        cmd.arg("--http-plugin").arg(plugin);
    }
    for prop in &args.worker_props {
        cmd.arg("--worker-prop").arg(prop);
    }
    cmd.arg("--partitions")
        .arg(args.partitions.to_string())
        .arg("--strait")
        .arg(ctx.root.join("target/release/strait"));
    if let Some(bootstrap) = &args.bootstrap {
        cmd.arg("--bootstrap").arg(bootstrap);
    }
    if !args.no_peer {
        let libs = args
            .java_libs
            .clone()
            .unwrap_or_else(|| ctx.services_dir.join("kafka/libs"));
        cmd.arg("--java-libs").arg(libs);
    }
    let result = util::run_checked(&mut cmd);
    if args.stop_services && outcome == services::Outcome::Started {
        services::down(ctx, kafka)?;
    }
    if args.stop_services && s3_outcome == services::Outcome::Started {
        services::down(ctx, s3)?;
    }
    if args.stop_services && registry_outcome == services::Outcome::Started {
        services::down(ctx, registry)?;
    }
    if let (true, Some(s)) = (
        args.stop_services && opensearch_outcome == services::Outcome::Started,
        opensearch,
    ) {
        services::down(ctx, s)?;
    }
    if let (true, Some(s)) = (
        args.stop_services && cassandra_outcome == services::Outcome::Started,
        cassandra,
    ) {
        services::down(ctx, s)?;
    }
    result
}

/// Where `services up opensearch` serves (its `STRAIT_TEST_OPENSEARCH`).
const OPENSEARCH_SERVICE_URL: &str = "http://127.0.0.1:9200";

/// Where `services up cassandra` serves CQL (its `STRAIT_TEST_CASSANDRA`).
const CASSANDRA_SERVICE_ADDR: &str = "127.0.0.1:9042";

/// A JVM peer written in this repository: a Maven project packaged as a Kafka Connect plugin
/// directory.
struct PeerProject {
    /// The scenario it serves (for messages).
    scenario: &'static str,
    /// The Maven project, relative to the repository root.
    project: &'static str,
    /// Its home under `.test-services/bench-peers/`.
    home: &'static str,
    /// The plugin's directory under `plugins/` (the pom's `plugin.dir`).
    plugin: &'static str,
    /// The jar the pom builds (its `finalName`), present once a build succeeded.
    jar: &'static str,
}

/// kafka_to_opensearch's peer: a Kafka Connect sink on OpenSearch's Java client.
const OPENSEARCH_PEER: PeerProject = PeerProject {
    scenario: "kafka_to_opensearch",
    project: "bench/jvm/opensearch-sink",
    home: "opensearch",
    plugin: "opensearch-sink",
    jar: "strait-opensearch-sink.jar",
};

/// kafka_to_cassandra's peer: DataStax's connector core behind a glue layer written here.
const CASSANDRA_PEER: PeerProject = PeerProject {
    scenario: "kafka_to_cassandra",
    project: "bench/jvm/cassandra-sink",
    home: "cassandra",
    plugin: "cassandra-sink",
    jar: "strait-cassandra-sink.jar",
};

/// kafka_to_http's peer: Confluent HTTP Sink V1's per-put work on the JDK's HTTP client.
const HTTP_PEER: PeerProject = PeerProject {
    scenario: "kafka_to_http",
    project: "bench/jvm/http-sink",
    home: "http",
    plugin: "http-sink",
    jar: "strait-http-sink.jar",
};

/// Builds a JVM peer (`bench/jvm/…`) into a Kafka Connect plugin directory under
/// `.test-services/bench-peers/<home>/`, and returns the worker's `plugin.path`. Rebuilt only
/// when the project's sources change (a hash of them is kept beside the build). As for Iceberg,
/// the jars sit one level down, in `plugins/<plugin>/`, so Connect loads them as one plugin.
fn install_peer_plugin(ctx: &Ctx, peer: &PeerProject) -> Result<PathBuf> {
    let project = ctx.root.join(peer.project);
    let home = ctx.services_dir.join("bench-peers").join(peer.home);
    let build = home.join("build");
    let plugins = build.join("plugins");
    let marker = home.join(".complete");
    let stamp = format!("{:016x}\n", source_hash(&project)?);
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(stamp.as_str())
        && plugins.join(peer.plugin).join(peer.jar).exists()
    {
        return Ok(plugins);
    }
    util::require_tool(
        "java",
        "install a JDK 17+ (Debian: openjdk-17-jdk-headless)",
    )?;
    util::require_tool("mvn", "install Maven 3.x (Debian: maven)")?;
    // A changed dependency list must not leave the old jars in the plugin directory.
    if build.exists() {
        std::fs::remove_dir_all(&build)?;
    }
    std::fs::create_dir_all(&home)?;
    say!(
        "{}: building the JVM peer ({}) with Maven…",
        peer.scenario,
        peer.project
    );
    let t0 = std::time::Instant::now();
    util::run_quiet(
        Command::new("mvn")
            .current_dir(&project)
            .args(["-B", "-q", "-f", "pom.xml", "package"])
            .arg(format!("-Dbuild.dir={}", build.display())),
    )?;
    util::write_if_changed(&marker, &stamp)?;
    say!(
        "{}: JVM peer built in {}",
        peer.scenario,
        util::fmt_dur(t0.elapsed())
    );
    Ok(plugins)
}

/// FNV-1a over the paths and contents of `pom.xml` and every file under `src/` (sorted), so a
/// source change rebuilds the peer and nothing else does.
fn source_hash(project: &std::path::Path) -> Result<u64> {
    fn walk(dir: &std::path::Path, out: &mut Vec<PathBuf>) -> Result<()> {
        for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                walk(&path, out)?;
            } else {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut files = vec![project.join("pom.xml")];
    walk(&project.join("src"), &mut files)?;
    files.sort();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for file in files {
        let rel = file.strip_prefix(project).unwrap_or(&file);
        let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
        for b in rel
            .to_string_lossy()
            .as_bytes()
            .iter()
            .chain([0u8].iter())
            .chain(&bytes)
        {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    Ok(h)
}

/// Fetches Apache Iceberg's Kafka Connect sink with its runtime dependencies (Parquet, Hadoop)
/// into a Kafka Connect plugin directory, once; returns the worker's `plugin.path`. The jars go
/// one level down, in `plugins/iceberg-sink/`: Connect loads each jar lying directly in a
/// `plugin.path` entry as a plugin of its own, so the sink would not see its dependencies.
fn install_iceberg_plugin(ctx: &Ctx) -> Result<PathBuf> {
    let home = ctx.services_dir.join("bench-peers/iceberg");
    let dep = |g: &str, a: &str, v: &str, exclusions: &str| {
        format!("    <dependency><groupId>{g}</groupId><artifactId>{a}</artifactId><version>{v}</version>{exclusions}</dependency>\n")
    };
    // Logging stays with the worker: Connect loads org.slf4j from its own class path anyway, and
    // Hadoop's reload4j binding would only add a second one.
    let no_logging = "<exclusions><exclusion><groupId>org.slf4j</groupId><artifactId>*</artifactId></exclusion><exclusion><groupId>ch.qos.reload4j</groupId><artifactId>*</artifactId></exclusion></exclusions>";
    let mut deps = String::new();
    for a in ["iceberg-kafka-connect", "iceberg-parquet"] {
        deps += &dep("org.apache.iceberg", a, ICEBERG_VERSION, no_logging);
    }
    deps += &dep(
        "org.apache.hadoop",
        "hadoop-common",
        HADOOP_VERSION,
        no_logging,
    );
    let pom = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by `cargo xtask bench kafka_to_s3`; throwaway POM that only lists the jars to fetch. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.testsvc</groupId><artifactId>iceberg-peer</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
{deps}  </dependencies>
</project>
"#
    );
    services::kafka::maven_fetch(
        &home,
        &pom,
        "plugins/iceberg-sink",
        &format!("iceberg={ICEBERG_VERSION} hadoop={HADOOP_VERSION}\n"),
        &[
            format!("iceberg-kafka-connect-{ICEBERG_VERSION}.jar"),
            format!("iceberg-parquet-{ICEBERG_VERSION}.jar"),
            format!("hadoop-common-{HADOOP_VERSION}.jar"),
        ],
        &format!("Iceberg {ICEBERG_VERSION} Kafka Connect sink"),
    )?;
    Ok(home.join("plugins"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_hash_follows_the_pom_and_the_sources_only() {
        let dir = std::env::temp_dir().join(format!("xtask-peer-hash-{}", std::process::id()));
        let java = dir.join("src/main/java/x");
        std::fs::create_dir_all(&java).unwrap();
        std::fs::write(dir.join("pom.xml"), "<project/>").unwrap();
        std::fs::write(java.join("A.java"), "class A {}").unwrap();
        let first = source_hash(&dir).unwrap();
        assert_eq!(source_hash(&dir).unwrap(), first, "stable");
        // Build output beside the sources does not count.
        std::fs::create_dir_all(dir.join("target")).unwrap();
        std::fs::write(dir.join("target/A.class"), "bytes").unwrap();
        assert_eq!(source_hash(&dir).unwrap(), first);
        std::fs::write(java.join("A.java"), "class A { }").unwrap();
        let edited = source_hash(&dir).unwrap();
        assert_ne!(edited, first, "a source edit rebuilds");
        // Same bytes under another name is another source tree.
        std::fs::rename(java.join("A.java"), java.join("B.java")).unwrap();
        assert_ne!(source_hash(&dir).unwrap(), edited, "a rename rebuilds");
        std::fs::write(dir.join("pom.xml"), "<project></project>").unwrap();
        let pom_edit = source_hash(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_ne!(pom_edit, edited);
    }
}
