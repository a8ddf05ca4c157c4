//! Scenario `kafka_to_s3` (`cargo xtask bench kafka_to_s3`): Kafka → Parquet files, Strait's S3
//! sink against the JVM Kafka → Parquet sink that resolves here, on one broker and one data set.
//!
//! 1. Pre-load: D1 (`strait_bench::d1_json_iter`, ~150 B flat JSON, six fields) into a fresh
//!    topic, round-robin over its partitions so every partition holds exactly
//!    `records / partitions` records. The producer is this driver and is not measured.
//! 2. Strait: a standalone worker running `io.confluent.connect.s3.S3SinkConnector` (Parquet,
//!    snappy, DefaultPartitioner, schemaless JSON values whose schema Strait infers) into the
//!    moto S3 of `cargo xtask services up s3`. Done when the connector's consumer group has
//!    committed the topic's end: the sink commits only offsets of uploaded objects. Then the
//!    bucket is listed (object count, bytes) and every Parquet footer is read, so the row count
//!    in S3 is checked against the records produced.
//! 3. JVM peer: Apache Kafka Connect 4.1.2 running Apache Iceberg's sink
//!    (`org.apache.iceberg:iceberg-kafka-connect:1.9.2`), which writes snappy Parquet data files
//!    into an Iceberg table of a Hadoop catalog on a local warehouse directory, creating the
//!    table and inferring its schema from the same schemaless JSON. Confluent's S3 sink is not
//!    on Maven Central, and Aiven's S3 sink (the other JVM Parquet writer) does not resolve here,
//!    so this is the JVM Kafka → Parquet connector a user could actually run beside Strait. It
//!    differs from Strait's work in two ways the reader of the figures must know: it writes to a
//!    local filesystem, not S3 (cheaper for it), and it commits through its control topic on a
//!    timer, so it writes fewer, larger files. Done when the table's current snapshot holds as
//!    many records as were produced.
//!
//! Then the ratio line (Strait / JVM records per CPU-second) and the target line (Strait ≥ 750k
//! records per CPU-second).
//!
//! With `--avro URL` (`cargo xtask bench kafka_to_s3 --avro`), the same D1 records are
//! pre-loaded as Avro in Confluent's wire format, encoded by Strait's own AvroConverter, which
//! registers `bench.D1` under `<topic>-value` at that registry; Strait's drain reads them with
//! the AvroConverter (schemas fetched once, decoded columnar) and writes the same Parquet. The
//! target is then ≥ 1M records per CPU-second. There is no JVM peer for this run: Confluent's
//! AvroConverter, which a JVM worker would need, is not on Maven Central.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use arrow::array::{Array, ArrayRef, BinaryArray, StringArray};
use futures::StreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::file::metadata::ParquetMetaDataReader;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::ClientConfig;
use strait_engine::plugin::Converter;

use super::{
    committed, consumer, jvm_worker, measure, strait_worker, topic_end, Args, Measured,
    JSON_CONVERTERS,
};

/// Records pre-loaded when `--records` is not given: at least 5M, and 400k per partition of 16,
/// four files of flush.size 100000 each.
pub(crate) const DEFAULT_RECORDS: u64 = 6_400_000;
/// Strait's target on this path: records per CPU-second of Kafka JSON → Parquet on S3.
const TARGET: f64 = 750_000.0;
/// The same with `--avro`: Avro in Kafka (Confluent's wire format) → Parquet on S3.
const AVRO_TARGET: f64 = 1_000_000.0;
/// How often the Iceberg sink commits: short enough that the end of the drain is seen soon
/// after the last record, long enough that it writes few files.
const ICEBERG_COMMIT_INTERVAL_MS: u64 = 10_000;

/// What the sink left behind: files, their bytes and the rows they hold.
#[derive(Default, Debug)]
struct Output {
    files: u64,
    bytes: u64,
    rows: u64,
}

pub(crate) fn run(a: &Args, stamp: u64) -> Result<()> {
    let partitions = u64::try_from(a.partitions).context("--partitions")?;
    ensure!(
        partitions > 0 && a.records.is_multiple_of(partitions),
        "--records {} must be a multiple of --partitions {}",
        a.records,
        a.partitions
    );
    let per_partition = a.records / partitions;
    // DefaultPartitioner commits a file every flush.size records of a Kafka partition; a tail
    // shorter than that is committed only by a time-based rotation, so the drain would never
    // reach the topic's end.
    ensure!(
        a.memory_budget.is_some()
            || (a.flush_size > 0 && per_partition.is_multiple_of(a.flush_size)),
        "records per partition ({per_partition}) must be a multiple of --flush-size {} \
         (e.g. --records {} for {} files per partition)",
        a.flush_size,
        a.flush_size * partitions * per_partition.div_ceil(a.flush_size).max(1),
        per_partition.div_ceil(a.flush_size).max(1)
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let control_topic = format!("bench-iceberg-control-{stamp}");
    let format = if a.avro_registry.is_some() {
        "Avro"
    } else {
        "JSON"
    };
    let (topic, json_bytes) = match &a.drain_only {
        Some(topic) => {
            let probe = consumer(&a.bootstrap, &format!("bench-probe-{stamp}"))?;
            let end = topic_end(&probe, topic, a.partitions)?;
            ensure!(
                end == a.records,
                "--drain-only {topic}: it holds {end} records, --records says {}",
                a.records
            );
            // Not measured again: D1's size per record is fixed by its generator (and by the
            // Avro encoding of it).
            let sample: Vec<String> = strait_bench::d1_json_iter(10_000, 1).collect();
            let sample_bytes = match &a.avro_registry {
                None => sample.iter().map(|r| r.len() as u64).sum::<u64>(),
                Some(registry) => AvroEncoder::new(registry, topic)?
                    .encode(&rt, &sample)?
                    .value_data()
                    .len() as u64,
            };
            let json_bytes = sample_bytes * a.records / 10_000;
            (topic.clone(), json_bytes)
        }
        None => {
            let topic = match a.avro_registry {
                None => format!("bench-d1-{stamp}"),
                Some(_) => format!("bench-d1avro-{stamp}"),
            };
            create_topics(a, &rt, &[(&topic, a.partitions), (&control_topic, 1)])?;
            let t0 = Instant::now();
            let json_bytes = preload(a, &rt, &topic)?;
            let probe = consumer(&a.bootstrap, &format!("bench-probe-{stamp}"))?;
            let end = topic_end(&probe, &topic, a.partitions)?;
            ensure!(
                end == a.records,
                "pre-load: topic end is {end}, {} records were sent",
                a.records
            );
            println!(
                "Pre-loaded {} D1 records ({:.1} MB of {format}, {:.0} B each) into {topic} ({} partitions) in {:.1} s",
                a.records,
                json_bytes as f64 / 1e6,
                json_bytes as f64 / a.records as f64,
                a.partitions,
                t0.elapsed().as_secs_f64()
            );
            (topic, json_bytes)
        }
    };

    let total = a.records;
    // A re-drain writes under a directory of its own: files named by other start offsets (the
    // memory test's early commits) must not mix with an earlier drain's.
    let topics_dir = match a.drain_only {
        Some(_) => format!("drain-{stamp}"),
        None => "topics".to_string(),
    };
    let prefix = format!("{topics_dir}/{topic}");
    let strait = if a.peer_only {
        None
    } else {
        Some(strait_drain(a, &rt, stamp, &topic, &prefix)?)
    };
    let peer = match (&a.java_libs, &a.iceberg_plugin) {
        _ if a.memory_budget.is_some() || a.drain_only.is_some() || a.avro_registry.is_some() => {
            None
        }
        (Some(libs), Some(plugin)) => Some(iceberg_drain(
            a,
            libs,
            plugin,
            stamp,
            &topic,
            &control_topic,
        )?),
        _ => None,
    };

    println!(
        "\nTopic {topic}: {total} D1 records, {} partitions, broker {}, flush.size {}",
        a.partitions, a.bootstrap, a.flush_size
    );
    println!("| scenario | records | wall | CPU | records per CPU-second | MB of {format} per CPU-second | peak RSS | files | bytes written | rows in the files |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for (m, out) in strait.iter().chain(peer.iter()) {
        println!(
            "| {} | {} | {:.2} s | {:.2} s | {:.0} | {:.1} | {:.0} MB | {} | {:.1} MB | {} |",
            m.scenario,
            m.records,
            m.wall.as_secs_f64(),
            m.cpu,
            m.per_cpu_second(),
            json_bytes as f64 / 1e6 / m.cpu.max(1e-9),
            m.rss as f64 / 1e6,
            out.files,
            out.bytes as f64 / 1e6,
            out.rows
        );
    }
    println!();
    if let Some((m, out)) = &strait {
        if out.rows != total {
            println!(
                "WARNING: the Parquet files in s3://{}/{prefix} hold {} rows, {total} were produced",
                a.bucket, out.rows
            );
        }
        if let Some(budget) = a.memory_budget {
            println!(
                "Memory test: {} partitions, HourlyPartitioner on record time, sink.buffer.memory.bytes = {:.0} MB: peak RSS {:.0} MB, {:.0} MB over the budget",
                a.partitions,
                budget as f64 / 1e6,
                m.rss as f64 / 1e6,
                (m.rss as f64 - budget as f64) / 1e6
            );
        }
        let rate = m.per_cpu_second();
        let target = if a.avro_registry.is_some() {
            AVRO_TARGET
        } else {
            TARGET
        };
        println!(
            "Strait Kafka ({format}) → S3 Parquet: {rate:.0} records per CPU-second (target ≥ {target:.0}: {})",
            if rate >= target { "met" } else { "NOT met" }
        );
        if let Some((peer, _)) = &peer {
            println!(
                "Kafka → Parquet, Strait S3 sink / JVM Kafka Connect + Iceberg sink: {:.1}× records per CPU-second, {:.2}× peak RSS",
                rate / peer.per_cpu_second(),
                m.rss as f64 / peer.rss.max(1) as f64
            );
        }
    }
    Ok(())
}

/// Strait: the S3 sink, Parquet + snappy, one task; then the bucket's objects under `prefix`.
fn strait_drain(
    a: &Args,
    rt: &tokio::runtime::Runtime,
    stamp: u64,
    topic: &str,
    prefix: &str,
) -> Result<(Measured, Output)> {
    let total = a.records;
    let (partitioner, worker_extra) = match a.memory_budget {
        None => (
            "partitioner.class=io.confluent.connect.storage.partitioner.DefaultPartitioner\n"
                .to_string(),
            String::new(),
        ),
        Some(budget) => (
            "partitioner.class=io.confluent.connect.storage.partitioner.HourlyPartitioner\n\
             timestamp.extractor=Record\nlocale=en\ntimezone=UTC\nrotate.schedule.interval.ms=5000\n"
                .to_string(),
            format!("\nsink.buffer.memory.bytes={budget}\n"),
        ),
    };
    let (child, log) = strait_worker(
        a,
        "s3-strait",
        &format!(
            "name=bench-s3-{stamp}\n\
             connector.class=io.confluent.connect.s3.S3SinkConnector\n\
             tasks.max=1\ntopics={topic}\n\
             storage.class=io.confluent.connect.s3.storage.S3Storage\n\
             format.class=io.confluent.connect.s3.format.parquet.ParquetFormat\n\
             parquet.codec=snappy\n\
             {partitioner}\
             flush.size={}\n\
             topics.dir={}\ns3.bucket.name={}\nstore.url={}\ns3.region=us-east-1\n\
             aws.access.key.id=testing\naws.secret.access.key=testing\n",
            a.flush_size,
            prefix.split('/').next().unwrap_or("topics"),
            a.bucket,
            a.s3_endpoint
        ),
        &format!("{}{worker_extra}", converters(a)),
    )?;
    let group = consumer(&a.bootstrap, &format!("connect-bench-s3-{stamp}"))?;
    let m = measure(
        match a.avro_registry {
            None => "Strait: Kafka → S3 sink (Parquet, snappy) → moto S3",
            Some(_) => "Strait: Kafka (Avro, AvroConverter + schema registry) → S3 sink (Parquet, snappy) → moto S3",
        },
        total,
        child,
        &log,
        || Ok(committed(&group, topic, a.partitions).unwrap_or(0) >= total),
    )?;
    let store = AmazonS3Builder::new()
        .with_endpoint(&a.s3_endpoint)
        .with_allow_http(true)
        .with_bucket_name(&a.bucket)
        .with_region("us-east-1")
        .with_access_key_id("testing")
        .with_secret_access_key("testing")
        .build()?;
    let out = rt.block_on(list_objects(&store, prefix))?;
    Ok((m, out))
}

/// The worker's converters: schemaless JSON values, or with `--avro` Confluent's AvroConverter.
fn converters(a: &Args) -> String {
    match &a.avro_registry {
        None => JSON_CONVERTERS.to_string(),
        Some(registry) => format!(
            "key.converter=org.apache.kafka.connect.storage.StringConverter\n\
             value.converter=io.confluent.connect.avro.AvroConverter\n\
             value.converter.schema.registry.url={registry}"
        ),
    }
}

/// JVM peer: Kafka Connect + Apache Iceberg's sink, Parquet + snappy, one task, until the
/// table's current snapshot holds every record.
fn iceberg_drain(
    a: &Args,
    libs: &Path,
    plugin: &Path,
    stamp: u64,
    topic: &str,
    control_topic: &str,
) -> Result<(Measured, Output)> {
    let total = a.records;
    let warehouse = a.work.join("iceberg-warehouse");
    std::fs::create_dir_all(&warehouse)?;
    let table = format!("d1_{stamp}");
    let table_dir = warehouse.join("bench").join(&table);
    let (child, log) = jvm_worker(
        a,
        libs,
        "s3-peer",
        &format!(
            "name=bench-iceberg-{stamp}\n\
             connector.class=org.apache.iceberg.connect.IcebergSinkConnector\n\
             tasks.max=1\ntopics={topic}\n\
             iceberg.tables=bench.{table}\n\
             iceberg.tables.auto-create-enabled=true\n\
             iceberg.tables.evolve-schema-enabled=true\n\
             iceberg.tables.auto-create-props.write.parquet.compression-codec=snappy\n\
             iceberg.catalog.type=hadoop\n\
             iceberg.catalog.warehouse=file://{}\n\
             iceberg.control.topic={control_topic}\n\
             iceberg.control.commit.interval-ms={ICEBERG_COMMIT_INTERVAL_MS}\n\
             iceberg.kafka.bootstrap.servers={}\n",
            warehouse.display(),
            a.bootstrap
        ),
        &format!("{JSON_CONVERTERS}\nplugin.path={}", plugin.display()),
        "1g",
    )?;
    let m = measure(
        "Kafka Connect 4.1.2 (JVM) + Apache Iceberg sink 1.9.2: Kafka → Parquet (snappy), Hadoop catalog on local disk",
        total,
        child,
        &log,
        || Ok(iceberg_snapshot(&table_dir)?.rows >= total),
    )?;
    let out = iceberg_snapshot(&table_dir)?;
    Ok((m, out))
}

pub(super) fn create_topics(
    a: &Args,
    rt: &tokio::runtime::Runtime,
    topics: &[(&str, i32)],
) -> Result<()> {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", &a.bootstrap)
        .create()?;
    let new: Vec<NewTopic> = topics
        .iter()
        .map(|(t, p)| NewTopic::new(t, *p, TopicReplication::Fixed(1)))
        .collect();
    let created = rt.block_on(admin.create_topics(
        &new,
        &AdminOptions::new().operation_timeout(Some(Duration::from_secs(30))),
    ))?;
    for r in created {
        r.map_err(|(t, e)| anyhow::anyhow!("creating topic {t}: {e}"))?;
    }
    Ok(())
}

/// Produces `a.records` D1 records round-robin over the partitions and waits for all of them
/// to be acknowledged: as plain JSON, or with `--avro` as Avro in Confluent's wire format.
/// Returns the payload bytes sent.
pub(super) fn preload(a: &Args, rt: &tokio::runtime::Runtime, topic: &str) -> Result<u64> {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", &a.bootstrap)
        .set("linger.ms", "20")
        .set("batch.num.messages", "10000")
        .set("queue.buffering.max.messages", "500000")
        .create()?;
    let records = usize::try_from(a.records)?;
    let mut bytes = 0u64;
    let mut i = 0usize;
    let mut send = |payload: &[u8]| -> Result<()> {
        bytes += payload.len() as u64;
        let partition = i32::try_from(i % a.partitions as usize)?;
        let mut record = BaseRecord::<(), [u8]>::to(topic)
            .partition(partition)
            .payload(payload);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((
                    rdkafka::error::KafkaError::MessageProduction(
                        rdkafka::types::RDKafkaErrorCode::QueueFull,
                    ),
                    r,
                )) => {
                    producer.poll(Duration::from_millis(50));
                    record = r;
                }
                Err((e, _)) => bail!("pre-load: producing record {i}: {e}"),
            }
        }
        if i.is_multiple_of(10_000) {
            producer.poll(Duration::ZERO);
        }
        i += 1;
        Ok(())
    };
    match &a.avro_registry {
        None => {
            for json in strait_bench::d1_json_iter(records, 1) {
                send(json.as_bytes())?;
            }
        }
        Some(registry) => {
            let encoder = AvroEncoder::new(registry, topic)?;
            let mut chunk = Vec::with_capacity(AVRO_CHUNK);
            for json in strait_bench::d1_json_iter(records, 1) {
                chunk.push(json);
                if chunk.len() == AVRO_CHUNK {
                    for payload in encoder.encode(rt, &chunk)?.iter().flatten() {
                        send(payload)?;
                    }
                    chunk.clear();
                }
            }
            if !chunk.is_empty() {
                for payload in encoder.encode(rt, &chunk)?.iter().flatten() {
                    send(payload)?;
                }
            }
        }
    }
    producer.flush(Duration::from_secs(120))?;
    Ok(bytes)
}

/// D1 records encoded per pre-load chunk.
const AVRO_CHUNK: usize = 10_000;

/// D1 → Avro in Confluent's wire format, through Strait's own converters: the JsonConverter
/// reads each record in D1's schema envelope, the AvroConverter registers `bench.D1` under
/// `<topic>-value` and writes the payloads (as a Strait source would).
struct AvroEncoder {
    envelope: std::sync::Arc<dyn Converter>,
    avro: std::sync::Arc<dyn Converter>,
    topic: String,
}

impl AvroEncoder {
    fn new(registry: &str, topic: &str) -> Result<Self> {
        Ok(AvroEncoder {
            envelope: strait_bench::converter("org.apache.kafka.connect.json.JsonConverter", &[]),
            avro: strait_bench::converter(
                "io.confluent.connect.avro.AvroConverter",
                &[("schema.registry.url", registry)],
            ),
            topic: topic.to_string(),
        })
    }

    fn encode(&self, rt: &tokio::runtime::Runtime, json: &[String]) -> Result<BinaryArray> {
        let envelopes = BinaryArray::from_iter_values(json.iter().map(|j| {
            format!(
                r#"{{"schema":{},"payload":{j}}}"#,
                strait_bench::D1_ENVELOPE_SCHEMA
            )
        }));
        let decoded = self.envelope.to_connect(&envelopes)?;
        ensure!(
            decoded.errors.is_empty(),
            "D1 envelopes decode: {:?}",
            decoded.errors
        );
        let segment = decoded
            .only()
            .context("one schema in a chunk of D1 envelopes")?;
        let topics: ArrayRef = std::sync::Arc::new(StringArray::from_iter_values(
            std::iter::repeat_n(self.topic.as_str(), json.len()),
        ));
        rt.block_on(
            self.avro
                .prepare_from_connect(std::slice::from_ref(&self.topic), &segment.field),
        )?;
        let payloads = self
            .avro
            .from_connect_for(&topics, &segment.field, &segment.array)?;
        ensure!(
            payloads.null_count() == 0,
            "every D1 record encodes to Avro"
        );
        Ok(payloads)
    }
}

/// Lists `prefix` in the bucket and reads each Parquet file's footer for its row count.
async fn list_objects(store: &impl ObjectStore, prefix: &str) -> Result<Output> {
    let mut out = Output::default();
    let mut list = store.list(Some(&ObjectPath::from(prefix)));
    while let Some(meta) = list.next().await {
        let meta = meta?;
        out.files += 1;
        out.bytes += meta.size;
        if meta.location.as_ref().ends_with(".parquet") {
            out.rows += parquet_rows(store, &meta.location, meta.size).await?;
        }
    }
    Ok(out)
}

/// Row count of one Parquet object, from its footer alone (two ranged GETs).
async fn parquet_rows(store: &impl ObjectStore, path: &ObjectPath, size: u64) -> Result<u64> {
    ensure!(size >= 12, "{path}: {size} bytes is too short for Parquet");
    let tail = store.get_range(path, size - 8..size).await?;
    ensure!(&tail[4..] == b"PAR1", "{path}: no Parquet magic at the end");
    let len = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    ensure!(
        len + 8 <= size,
        "{path}: footer length {len} exceeds the file"
    );
    let footer = store.get_range(path, size - 8 - len..size - 8).await?;
    let meta = ParquetMetaDataReader::decode_metadata(&footer)?;
    Ok(u64::try_from(meta.file_metadata().num_rows())?)
}

/// The current snapshot of a Hadoop-catalog Iceberg table: data files, their bytes and records
/// (the snapshot summary's running totals). An absent table is an empty one.
fn iceberg_snapshot(table_dir: &Path) -> Result<Output> {
    let metadata = table_dir.join("metadata");
    let Ok(hint) = std::fs::read_to_string(metadata.join("version-hint.text")) else {
        return Ok(Output::default());
    };
    let file: PathBuf = metadata.join(format!("v{}.metadata.json", hint.trim()));
    let json: serde_json::Value = serde_json::from_slice(
        &std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?,
    )?;
    let current = &json["current-snapshot-id"];
    let Some(snapshot) = json["snapshots"]
        .as_array()
        .and_then(|s| s.iter().find(|s| &s["snapshot-id"] == current))
    else {
        return Ok(Output::default());
    };
    // Summary values are strings in Iceberg's table metadata.
    let total = |key: &str| -> u64 {
        snapshot["summary"][key]
            .as_str()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Ok(Output {
        files: total("total-data-files"),
        bytes: total("total-files-size"),
        rows: total("total-records"),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int64Array, RecordBatch};
    use object_store::memory::InMemory;
    use parquet::arrow::ArrowWriter;

    use super::*;

    fn parquet_file(rows: i64) -> Vec<u8> {
        let batch = RecordBatch::try_from_iter([(
            "id",
            Arc::new(Int64Array::from_iter_values(0..rows)) as _,
        )])
        .unwrap();
        let mut buf = Vec::new();
        let mut w = ArrowWriter::try_new(&mut buf, batch.schema(), None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        buf
    }

    #[test]
    fn counts_objects_bytes_and_parquet_rows_under_the_prefix() {
        let store = InMemory::new();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let files = [
            (
                "topics/t/partition=0/t+0+0000000000.snappy.parquet",
                parquet_file(3),
            ),
            (
                "topics/t/partition=1/t+1+0000000000.snappy.parquet",
                parquet_file(1000),
            ),
            ("topics/t/partition=1/notes.txt", b"not parquet".to_vec()),
            (
                "topics/other/partition=0/o+0+0000000000.snappy.parquet",
                parquet_file(5),
            ),
        ];
        let mut bytes = 0;
        for (path, data) in &files {
            if path.starts_with("topics/t/") {
                bytes += data.len() as u64;
            }
            rt.block_on(store.put(&ObjectPath::from(*path), data.clone().into()))
                .unwrap();
        }
        let out = rt.block_on(list_objects(&store, "topics/t")).unwrap();
        assert_eq!((out.files, out.bytes, out.rows), (3, bytes, 1003));
        // A truncated upload is an error, not a silent zero.
        rt.block_on(store.put(
            &ObjectPath::from("topics/t/partition=2/bad.parquet"),
            b"PAR1 truncated".to_vec().into(),
        ))
        .unwrap();
        assert!(rt.block_on(list_objects(&store, "topics/t")).is_err());
    }

    #[test]
    fn reads_the_current_snapshot_of_an_iceberg_table() {
        let dir = std::env::temp_dir().join(format!("e2e-iceberg-{}", std::process::id()));
        let meta = dir.join("metadata");
        std::fs::create_dir_all(&meta).unwrap();
        assert_eq!(iceberg_snapshot(&dir).unwrap().rows, 0, "no table yet");
        std::fs::write(meta.join("version-hint.text"), "2\n").unwrap();
        std::fs::write(
            meta.join("v2.metadata.json"),
            r#"{"current-snapshot-id": 7, "snapshots": [
                {"snapshot-id": 6, "summary": {"total-records": "10", "total-data-files": "1", "total-files-size": "100"}},
                {"snapshot-id": 7, "summary": {"total-records": "25", "total-data-files": "2", "total-files-size": "250"}}]}"#,
        )
        .unwrap();
        let out = iceberg_snapshot(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!((out.files, out.bytes, out.rows), (2, 250, 25));
    }
}
