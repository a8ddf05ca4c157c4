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

use std::path::PathBuf;
use std::process::Command;

use anyhow::Result;

use crate::services;
use crate::util::{self, Ctx};

#[path = "bench_distributed.rs"]
mod distributed;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Scenario to run; without one, the default run (source, raw consume, drains, SMTs).
    #[arg(value_parser = ["kafka_to_s3", "distributed", "exactly_once"])]
    scenario: Option<String>,
    /// distributed: clusters started per implementation (alternating Java and Strait).
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Records to pre-load and drain (default: 2,000,000; kafka_to_s3: 6,400,000).
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
    /// Stop Kafka afterwards if this run started it.
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
    let outcome = match &args.bootstrap {
        // Someone else's broker: neither start nor stop it.
        Some(_) => services::Outcome::AlreadyUp,
        None => services::up(ctx, kafka)?,
    };
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
    util::run_checked(Command::new("cargo").current_dir(&ctx.root).args([
        "build",
        "--release",
        "-p",
        "strait",
        "-p",
        "strait-bench",
        "--bin",
        "strait",
        "--bin",
        "e2e",
    ]))?;
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
    result
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
