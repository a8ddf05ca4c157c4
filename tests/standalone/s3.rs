//! The S3 sink end to end: real Kafka, real S3 (moto, from `cargo xtask services up s3`), the
//! real binary. Every test computes the objects Confluent's sink would write from the records it
//! produced (a row-by-row model of `TopicPartitionWriter`), then compares the bucket's object list
//! with it and reads every object back record for record.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{AsArray, RecordBatch};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt as _};

use super::*;

pub(crate) fn s3_endpoint() -> String {
    std::env::var("STRAIT_TEST_S3_ENDPOINT").expect(
        "STRAIT_TEST_S3_ENDPOINT is not set: these tests need a real S3 server; run `cargo xtask test` \
         (or `cargo xtask services up s3` and export STRAIT_TEST_S3_ENDPOINT=http://127.0.0.1:5000)",
    )
}

pub(crate) const BUCKET: &str = "strait-test";

fn store() -> Arc<dyn ObjectStore> {
    Arc::new(
        object_store::aws::AmazonS3Builder::new()
            .with_endpoint(s3_endpoint())
            .with_allow_http(true)
            .with_bucket_name(BUCKET)
            .with_region("us-east-1")
            .with_access_key_id("testing")
            .with_secret_access_key("testing")
            .with_virtual_hosted_style_request(false)
            .build()
            .unwrap(),
    )
}

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Every object key under `prefix` in the S3 bucket, sorted.
pub(crate) fn list(prefix: &str) -> Vec<String> {
    list_in(&*store(), prefix)
}

/// Every object key under `prefix` in `store`, sorted.
pub(crate) fn list_in(store: &dyn ObjectStore, prefix: &str) -> Vec<String> {
    use futures::TryStreamExt;
    runtime().block_on(async {
        let mut keys: Vec<String> = store
            .list(Some(&ObjectPath::from(prefix)))
            .map_ok(|m| m.location.to_string())
            .try_collect()
            .await
            .unwrap();
        keys.sort();
        keys
    })
}

pub(crate) fn get(key: &str) -> Vec<u8> {
    get_in(&*store(), key)
}

/// The bytes of object `key` in `store`.
pub(crate) fn get_in(store: &dyn ObjectStore, key: &str) -> Vec<u8> {
    runtime().block_on(async {
        store
            .get(&ObjectPath::from(key))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .to_vec()
    })
}

/// One produced record.
#[derive(Debug, Clone)]
pub(crate) struct Rec {
    pub(crate) partition: i32,
    pub(crate) offset: i64,
    pub(crate) key: String,
    pub(crate) id: i64,
    pub(crate) country: String,
    pub(crate) amount: f64,
    pub(crate) timestamp: i64,
}

/// 2026-09-30T22:00:00Z: records cross midnight, so hourly and daily partitions both change
/// (in the past, even for thousands of records 17 minutes apart: brokers refuse timestamps
/// more than an hour ahead).
const BASE_TS: i64 = 1_790_805_600_000;

pub(crate) fn records(partitions: i32, per_partition: i64) -> Vec<Rec> {
    let mut out = Vec::new();
    for p in 0..partitions {
        for i in 0..per_partition {
            let id = p as i64 * 100_000 + i;
            out.push(Rec {
                partition: p,
                offset: i,
                key: format!("k{id}"),
                id,
                country: ["FR", "DE", "US"][(i % 3) as usize].to_string(),
                amount: i as f64 * 1.5,
                // 17 minutes apart: hours change every three or four records.
                timestamp: BASE_TS + i * 17 * 60_000,
            });
        }
    }
    out
}

pub(crate) fn envelope(r: &Rec) -> String {
    format!(
        r#"{{"schema":{{"type":"struct","name":"shop.Order","optional":false,"fields":[{{"field":"id","type":"int64","optional":false}},{{"field":"country","type":"string","optional":false}},{{"field":"amount","type":"double","optional":false}}]}},"payload":{{"id":{},"country":"{}","amount":{:?}}}}}"#,
        r.id, r.country, r.amount
    )
}

pub(crate) fn plain_json(r: &Rec) -> String {
    format!(
        r#"{{"id":{},"country":"{}","amount":{:?}}}"#,
        r.id, r.country, r.amount
    )
}

/// Produces `records` with their partition, key, timestamp and a `trace` header.
pub(crate) fn produce(topic: &str, records: &[Rec], value: impl Fn(&Rec) -> String) {
    use rdkafka::message::{Header, OwnedHeaders};
    use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
    let producer: BaseProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("linger.ms", "5")
        .create()
        .unwrap();
    for r in records {
        let payload = value(r);
        let trace = format!("t{}", r.id);
        let headers = OwnedHeaders::new().insert(Header {
            key: "trace",
            value: Some(trace.as_bytes()),
        });
        loop {
            let record = BaseRecord::to(topic)
                .partition(r.partition)
                .key(&r.key)
                .payload(&payload)
                .timestamp(r.timestamp)
                .headers(headers.clone());
            match producer.send(record) {
                Ok(()) => break,
                Err((e, _)) => {
                    assert!(
                        matches!(
                            e,
                            rdkafka::error::KafkaError::MessageProduction(
                                rdkafka::types::RDKafkaErrorCode::QueueFull
                            )
                        ),
                        "produce failed: {e}"
                    );
                    producer.poll(Duration::from_millis(10));
                }
            }
        }
    }
    producer.flush(Duration::from_secs(60)).unwrap();
    // Every record arrived (a refused one would only show in a delivery report).
    let mut want: BTreeMap<i32, i64> = BTreeMap::new();
    for r in records {
        *want.entry(r.partition).or_default() += 1;
    }
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
        .unwrap();
    for (p, n) in want {
        let (low, high) = consumer
            .fetch_watermarks(topic, p, Duration::from_secs(10))
            .unwrap();
        assert_eq!(high - low, n, "records in {topic}-{p}");
    }
}

/// Creates `topic` with infinite time retention: test records carry fixed timestamps (e.g.
/// [`BASE_TS`]) that fall out of the broker's default 7-day `retention.ms` as the calendar moves
/// on, and its retention check (every 5 minutes) would then delete them mid-test: a restarted
/// task would find its partition empty and commit nothing.
pub(crate) fn create_topic(topic: &str, partitions: i32) {
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    let admin: AdminClient<rdkafka::client::DefaultClientContext> = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
        .unwrap();
    let topic =
        NewTopic::new(topic, partitions, TopicReplication::Fixed(1)).set("retention.ms", "-1");
    let result = runtime()
        .block_on(admin.create_topics([&topic], &AdminOptions::new()))
        .unwrap();
    for r in result {
        r.unwrap();
    }
}

/// A committed file of the model: its object key stem and its records.
#[derive(Debug, Clone)]
pub(crate) struct ModelFile {
    pub(crate) stem: String,
    pub(crate) records: Vec<Rec>,
}

/// Confluent's `TopicPartitionWriter` row by row, for data-driven rotation on `flush.size`
/// only: records go to the open file of their encoded partition; when the records across the
/// open files of a Kafka partition reach `flush_size`, every open file is committed.
pub(crate) fn model(
    topics_dir: &str,
    topic: &str,
    records: &[Rec],
    flush_size: usize,
    encode: impl Fn(&Rec) -> String,
) -> Vec<ModelFile> {
    let mut out = Vec::new();
    let mut by_partition: BTreeMap<i32, Vec<&Rec>> = BTreeMap::new();
    for r in records {
        by_partition.entry(r.partition).or_default().push(r);
    }
    for (partition, recs) in by_partition {
        let mut open: BTreeMap<String, Vec<Rec>> = BTreeMap::new();
        let mut count = 0;
        for r in recs {
            open.entry(encode(r)).or_default().push(r.clone());
            count += 1;
            if count >= flush_size {
                for (encoded, records) in std::mem::take(&mut open) {
                    out.push(ModelFile {
                        stem: format!(
                            "{topics_dir}/{topic}/{encoded}/{topic}+{partition}+{:010}",
                            records[0].offset
                        ),
                        records,
                    });
                }
                count = 0;
            }
        }
    }
    out.sort_by(|a, b| a.stem.cmp(&b.stem));
    out
}

/// The offset the sink should have committed per partition: after the last committed file,
/// or everything when no file is left open.
pub(crate) fn model_commits(records: &[Rec], files: &[ModelFile]) -> BTreeMap<i32, i64> {
    let mut out = BTreeMap::new();
    for f in files {
        for r in &f.records {
            let e = out.entry(r.partition).or_insert(0);
            *e = (*e).max(r.offset + 1);
        }
    }
    for r in records {
        out.entry(r.partition).or_insert(0);
    }
    out
}

fn hour_path(ts: i64) -> String {
    let t = chrono::DateTime::from_timestamp_millis(ts).unwrap();
    t.format("year=%Y/month=%m/day=%d/hour=%H").to_string()
}

fn day_path(ts: i64) -> String {
    let t = chrono::DateTime::from_timestamp_millis(ts).unwrap();
    t.format("year=%Y/month=%m/day=%d").to_string()
}

/// Waits until `group` has committed `want` on every partition of `topic`.
pub(crate) fn wait_commits(group: &str, topic: &str, want: &BTreeMap<i32, i64>, w: &Worker) {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", group)
        .create()
        .unwrap();
    let mut tpl = rdkafka::TopicPartitionList::new();
    for p in want.keys() {
        tpl.add_partition(topic, *p);
    }
    // Long enough for a restarted worker to get the partitions of its killed predecessor.
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let committed = consumer
            .committed_offsets(tpl.clone(), Duration::from_secs(10))
            .unwrap();
        let got: BTreeMap<i32, i64> = committed
            .elements()
            .iter()
            .map(|e| {
                let o = match e.offset() {
                    rdkafka::Offset::Offset(o) => o,
                    _ => 0,
                };
                (e.partition(), o)
            })
            .collect();
        if &got == want {
            return;
        }
        if Instant::now() >= deadline {
            // Who holds which partition, to tell a group that never assigned the partition
            // from a task that got it and stalled.
            let members = consumer
                .fetch_group_list(Some(group), Duration::from_secs(10))
                .map(|list| {
                    list.groups()
                        .iter()
                        .map(|g| {
                            let members: Vec<String> = g
                                .members()
                                .iter()
                                .map(|m| format!("{} ({})", m.id(), m.client_id()))
                                .collect();
                            format!("state {}, members {members:?}", g.state())
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_else(|e| format!("(cannot describe the group: {e})"));
            // Records deleted under the consumer (retention) show as a raised low watermark.
            let low: BTreeMap<i32, String> = want
                .keys()
                .map(|p| {
                    let w = consumer
                        .fetch_watermarks(topic, *p, Duration::from_secs(10))
                        .map_or_else(|e| e.to_string(), |(lo, hi)| format!("{lo}..{hi}"));
                    (*p, w)
                })
                .collect();
            panic!(
                "group {group} committed {got:?} on {topic}, want {want:?}; log offsets {low:?}; \
                 group: {members}; log:\n{}",
                w.log()
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn s3_props(name: &str, topic: &str, topics_dir: &str, extra: &str) -> String {
    format!(
        "name={name}\nconnector.class=io.confluent.connect.s3.S3SinkConnector\ntasks.max=2\ntopics={topic}\n\
         s3.bucket.name={BUCKET}\ns3.region=us-east-1\nstore.url={}\naws.access.key.id=testing\n\
         aws.secret.access.key=testing\ntopics.dir={topics_dir}\n{extra}\n",
        s3_endpoint()
    )
}

pub(crate) fn read_parquet(bytes: Vec<u8>) -> Vec<RecordBatch> {
    parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(
        bytes,
    ))
    .unwrap()
    .build()
    .unwrap()
    .map(|b| b.unwrap())
    .collect()
}

fn read_avro(bytes: Vec<u8>) -> Vec<RecordBatch> {
    arrow_avro::reader::ReaderBuilder::new()
        .build(std::io::Cursor::new(bytes))
        .unwrap()
        .map(|b| b.unwrap())
        .collect()
}

/// `(id, country, amount)` of every row of struct batches with those columns.
pub(crate) fn rows(batches: &[RecordBatch]) -> Vec<(i64, String, f64)> {
    let mut out = Vec::new();
    for b in batches {
        let id = b
            .column_by_name("id")
            .unwrap()
            .as_primitive::<arrow::datatypes::Int64Type>();
        let country = b.column_by_name("country").unwrap();
        let country = arrow::compute::cast(country, &arrow::datatypes::DataType::Utf8).unwrap();
        let country = country.as_string::<i32>();
        let amount = b
            .column_by_name("amount")
            .unwrap()
            .as_primitive::<arrow::datatypes::Float64Type>();
        for i in 0..b.num_rows() {
            out.push((id.value(i), country.value(i).to_string(), amount.value(i)));
        }
    }
    out
}

pub(crate) fn expected_rows(records: &[Rec]) -> Vec<(i64, String, f64)> {
    records
        .iter()
        .map(|r| (r.id, r.country.clone(), r.amount))
        .collect()
}

#[test]
fn every_format_and_partitioner_writes_confluents_objects() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("s3-orders");
    let run = unique("run");
    create_topic(&topic, 3);
    let recs = records(3, 20);
    produce(&topic, &recs, envelope);

    let json_schemas = "value.converter=org.apache.kafka.connect.json.JsonConverter\nvalue.converter.schemas.enable=true\n";
    let time = "locale=en\ntimezone=UTC\ntimestamp.extractor=Record\n";
    let connectors = vec![
        (
            "parquet.properties",
            s3_props(
                &format!("{run}-parquet"),
                &topic,
                &format!("{run}/parquet"),
                &format!("format.class=io.confluent.connect.s3.format.parquet.ParquetFormat\nflush.size=4\nstore.kafka.keys=true\nstore.kafka.headers=true\nkeys.format.class=io.confluent.connect.s3.format.json.JsonFormat\nheaders.format.class=io.confluent.connect.s3.format.json.JsonFormat\n{json_schemas}"),
            ),
        ),
        (
            "avro.properties",
            s3_props(
                &format!("{run}-avro"),
                &topic,
                &format!("{run}/avro"),
                &format!("format.class=io.confluent.connect.s3.format.avro.AvroFormat\nflush.size=5\npartitioner.class=io.confluent.connect.storage.partitioner.FieldPartitioner\npartition.field.name=country\n{json_schemas}"),
            ),
        ),
        (
            "json.properties",
            s3_props(
                &format!("{run}-json"),
                &topic,
                &format!("{run}/json"),
                &format!("format.class=io.confluent.connect.s3.format.json.JsonFormat\nflush.size=3\npartitioner.class=io.confluent.connect.storage.partitioner.HourlyPartitioner\n{time}{json_schemas}"),
            ),
        ),
        (
            "bytes.properties",
            s3_props(
                &format!("{run}-bytes"),
                &topic,
                &format!("{run}/bytes"),
                &format!("format.class=io.confluent.connect.s3.format.bytearray.ByteArrayFormat\nflush.size=6\npartitioner.class=io.confluent.connect.storage.partitioner.DailyPartitioner\n{time}value.converter=org.apache.kafka.connect.converters.ByteArrayConverter\n"),
            ),
        ),
    ];
    let w = Worker::start(dir.path(), "s3", "", &connectors);

    let parquet = model(&format!("{run}/parquet"), &topic, &recs, 4, |r| {
        format!("partition={}", r.partition)
    });
    let avro = model(&format!("{run}/avro"), &topic, &recs, 5, |r| {
        format!("country={}", r.country)
    });
    let json = model(&format!("{run}/json"), &topic, &recs, 3, |r| {
        hour_path(r.timestamp)
    });
    let bytes = model(&format!("{run}/bytes"), &topic, &recs, 6, |r| {
        day_path(r.timestamp)
    });
    for (name, files) in [
        ("parquet", &parquet),
        ("avro", &avro),
        ("json", &json),
        ("bytes", &bytes),
    ] {
        wait_commits(
            &format!("connect-{run}-{name}"),
            &topic,
            &model_commits(&recs, files),
            &w,
        );
    }

    // Parquet, with key and header sidecars (JSON lines here; Avro sidecars are covered by the
    // format's own tests).
    let mut want: Vec<String> = parquet
        .iter()
        .flat_map(|f| {
            [
                format!("{}.headers.json", f.stem),
                format!("{}.keys.json", f.stem),
                format!("{}.snappy.parquet", f.stem),
            ]
        })
        .collect();
    want.sort();
    assert_eq!(list(&format!("{run}/parquet")), want);
    for f in &parquet {
        let got = rows(&read_parquet(get(&format!("{}.snappy.parquet", f.stem))));
        assert_eq!(got, expected_rows(&f.records), "{}", f.stem);
        let keys = String::from_utf8(get(&format!("{}.keys.json", f.stem))).unwrap();
        let want_keys: String = f
            .records
            .iter()
            .map(|r| format!("\"{}\"\n", r.key))
            .collect();
        assert_eq!(keys, want_keys, "{}", f.stem);
        let headers = String::from_utf8(get(&format!("{}.headers.json", f.stem))).unwrap();
        assert_eq!(headers.lines().count(), f.records.len(), "{}", f.stem);
        for (line, r) in headers.lines().zip(&f.records) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(
                v.to_string().matches(&format!("\"t{}\"", r.id)).count(),
                1,
                "{line}"
            );
            assert!(line.contains("\"trace\""), "{line}");
        }
    }

    // Avro under the field partitioner.
    let want: Vec<String> = avro.iter().map(|f| format!("{}.avro", f.stem)).collect();
    assert_eq!(list(&format!("{run}/avro")), want);
    for f in &avro {
        let got = rows(&read_avro(get(&format!("{}.avro", f.stem))));
        assert_eq!(got, expected_rows(&f.records), "{}", f.stem);
    }

    // JSON lines under the hourly partitioner: JsonConverter without schemas, one per line.
    let want: Vec<String> = json.iter().map(|f| format!("{}.json", f.stem)).collect();
    assert_eq!(list(&format!("{run}/json")), want);
    for f in &json {
        let text = String::from_utf8(get(&format!("{}.json", f.stem))).unwrap();
        let want: String = f.records.iter().map(|r| plain_json(r) + "\n").collect();
        assert_eq!(text, want, "{}", f.stem);
    }

    // Raw bytes under the daily partitioner: the payload as produced, then the separator.
    let want: Vec<String> = bytes.iter().map(|f| format!("{}.bin", f.stem)).collect();
    assert_eq!(list(&format!("{run}/bytes")), want);
    for f in &bytes {
        let got = get(&format!("{}.bin", f.stem));
        let want: String = f.records.iter().map(|r| envelope(r) + "\n").collect();
        assert_eq!(String::from_utf8(got).unwrap(), want, "{}", f.stem);
    }
    w.stop();
}

#[test]
fn kill_9_during_uploads_then_restart_writes_the_same_objects() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("s3-crash");
    let run = unique("crash");
    create_topic(&topic, 2);
    let recs = records(2, 3000);
    produce(&topic, &recs, plain_json);
    let props = s3_props(
        &run,
        &topic,
        &run,
        "format.class=io.confluent.connect.s3.format.parquet.ParquetFormat\nflush.size=100\n\
         value.converter=org.apache.kafka.connect.json.JsonConverter\nvalue.converter.schemas.enable=false\n\
         consumer.override.max.poll.records=50\nconsumer.override.session.timeout.ms=6000\nconsumer.override.max.poll.interval.ms=10000\n",
    );
    let files = model(&run, &topic, &recs, 100, |r| {
        format!("partition={}", r.partition)
    });
    let want: Vec<String> = files
        .iter()
        .map(|f| format!("{}.snappy.parquet", f.stem))
        .collect();

    let w = Worker::start(
        dir.path(),
        "crash-1",
        "",
        &[("s3.properties", props.clone())],
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let n = list(&run).len();
        if n >= 3 {
            assert!(
                n < want.len(),
                "the worker finished before the kill; make the data set bigger"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no objects yet; log:\n{}",
            w.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    w.kill9();
    // The runtime's debug lines (assignments, commits) are in the log a failure prints.
    let w = Worker::start_with_env(
        dir.path(),
        "crash-2",
        "",
        &[("s3.properties", props)],
        &[("STRAIT_LOG", "info,strait_engine::runtime=debug".into())],
    );
    wait_commits(
        &format!("connect-{run}"),
        &topic,
        &model_commits(&recs, &files),
        &w,
    );
    assert_eq!(list(&run), want);
    for f in &files {
        let got = rows(&read_parquet(get(&format!("{}.snappy.parquet", f.stem))));
        assert_eq!(got, expected_rows(&f.records), "{}", f.stem);
    }
    w.stop();
}

#[test]
fn null_values_follow_behavior_on_null_values() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("s3-nulls");
    let run = unique("nulls");
    let dlq = unique("s3-nulls-dlq");
    create_topic(&topic, 1);
    // Records 0..6 with values, 3 of them tombstones.
    let recs = records(1, 6);
    {
        use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
        let producer: BaseProducer = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", bootstrap())
            .create()
            .unwrap();
        for r in &recs {
            let value = plain_json(r);
            let mut record = BaseRecord::<str, str>::to(&topic).partition(0).key(&r.key);
            if r.offset % 2 == 0 {
                record = record.payload(&value);
            }
            producer.send(record).map_err(|(e, _)| e).unwrap();
        }
        producer.flush(Duration::from_secs(30)).unwrap();
    }
    let common = "format.class=io.confluent.connect.s3.format.json.JsonFormat\nflush.size=3\n\
                  value.converter=org.apache.kafka.connect.json.JsonConverter\nvalue.converter.schemas.enable=false\n";
    let connectors = vec![
        (
            "fail.properties",
            s3_props(&format!("{run}-fail"), &topic, &format!("{run}/fail"), common),
        ),
        (
            "ignore.properties",
            s3_props(
                &format!("{run}-ignore"),
                &topic,
                &format!("{run}/ignore"),
                &format!("{common}behavior.on.null.values=ignore\nerrors.tolerance=all\nerrors.deadletterqueue.topic.name={dlq}\nerrors.deadletterqueue.topic.replication.factor=1\n"),
            ),
        ),
        (
            "silent.properties",
            s3_props(
                &format!("{run}-silent"),
                &topic,
                &format!("{run}/silent"),
                &format!("{common}behavior.on.null.values=ignore\n"),
            ),
        ),
        (
            "write.properties",
            s3_props(
                &format!("{run}-write"),
                &topic,
                &format!("{run}/write"),
                &format!("{common}behavior.on.null.values=write\nstore.kafka.keys=true\nkeys.format.class=io.confluent.connect.s3.format.json.JsonFormat\n"),
            ),
        ),
    ];
    let w = Worker::start(dir.path(), "nulls", "", &connectors);
    wait_rest(&w);
    let trace = wait_task_failed(&w, &format!("{run}-fail"));
    assert!(
        trace.contains(
            "Null valued records are not writeable with current behavior.on.null.values 'settings."
        ),
        "{trace}"
    );
    // ignore: the three values make one file; the tombstones went to the DLQ.
    wait_commits(
        &format!("connect-{run}-ignore"),
        &topic,
        &[(0, 6)].into_iter().collect(),
        &w,
    );
    assert_eq!(
        list(&format!("{run}/ignore")),
        vec![format!(
            "{run}/ignore/{topic}/partition=0/{topic}+0+0000000000.json"
        )]
    );
    let dead = consume(&dlq, 3, |m| {
        use rdkafka::message::Message;
        String::from_utf8(m.key().unwrap().to_vec()).unwrap()
    });
    assert_eq!(dead, vec!["k1", "k3", "k5"]);
    // ignore without errors.tolerance=all: no reporter in Java, so skipped silently.
    wait_commits(
        &format!("connect-{run}-silent"),
        &topic,
        &[(0, 6)].into_iter().collect(),
        &w,
    );
    assert_eq!(
        list(&format!("{run}/silent")),
        vec![format!(
            "{run}/silent/{topic}/partition=0/{topic}+0+0000000000.json"
        )]
    );
    // write: tombstones go to the `tombstone` encoded partition with only a key file. The values
    // are schemaless, and Confluent tells tombstones apart by their null schema, which
    // schemaless values share: no rotation on the switch, only flush.size.
    let files = model(&format!("{run}/write"), &topic, &recs, 3, |r| {
        if r.offset % 2 == 0 {
            "partition=0"
        } else {
            "tombstone"
        }
        .to_string()
    });
    wait_commits(
        &format!("connect-{run}-write"),
        &topic,
        &model_commits(&recs, &files),
        &w,
    );
    let mut want = Vec::new();
    for f in &files {
        want.push(format!("{}.keys.json", f.stem));
        if f.records[0].offset % 2 == 0 {
            want.push(format!("{}.json", f.stem));
        }
    }
    want.sort();
    assert_eq!(list(&format!("{run}/write")), want);
    w.stop();
}

#[test]
fn a_missing_bucket_fails_the_task_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("s3-nobucket");
    let name = unique("nobucket");
    let props = s3_props(
        &name,
        &topic,
        "topics",
        "format.class=io.confluent.connect.s3.format.json.JsonFormat\nflush.size=3\n",
    )
    .replace(
        &format!("s3.bucket.name={BUCKET}"),
        "s3.bucket.name=no-such-bucket-here",
    );
    let w = Worker::start(dir.path(), "nobucket", "", &[("s3.properties", props)]);
    wait_rest(&w);
    let trace = wait_task_failed(&w, &name);
    assert!(trace.contains("no-such-bucket-here"), "{trace}");
    w.stop();
}

#[test]
fn records_the_format_cannot_write_go_to_the_dlq_or_fail_the_task() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("s3-bad");
    let run = unique("bad");
    let dlq = unique("s3-bad-dlq");
    create_topic(&topic, 1);
    let recs = records(1, 4);
    produce(&topic, &recs, plain_json);
    // ByteArrayFormat needs bytes; schemaless JSON objects are not.
    let bytes = "format.class=io.confluent.connect.s3.format.bytearray.ByteArrayFormat\nflush.size=2\n\
                 value.converter=org.apache.kafka.connect.json.JsonConverter\nvalue.converter.schemas.enable=false\n";
    let connectors = vec![
        (
            "strict.properties",
            s3_props(&format!("{run}-strict"), &topic, &format!("{run}/strict"), bytes),
        ),
        (
            "tolerant.properties",
            s3_props(
                &format!("{run}-tolerant"),
                &topic,
                &format!("{run}/tolerant"),
                &format!("{bytes}errors.tolerance=all\nerrors.deadletterqueue.topic.name={dlq}\nerrors.deadletterqueue.topic.replication.factor=1\nerrors.deadletterqueue.context.headers.enable=true\n"),
            ),
        ),
        (
            "unreachable.properties",
            s3_props(&format!("{run}-unreachable"), &topic, "x", bytes)
                .replace(&s3_endpoint(), "http://127.0.0.1:9"),
        ),
    ];
    let w = Worker::start(dir.path(), "bad", "", &connectors);
    wait_rest(&w);
    let trace = wait_task_failed(&w, &format!("{run}-strict"));
    assert!(
        trace.contains("ByteArrayConverter is not compatible with objects of type"),
        "{trace}"
    );
    // Tolerated: every record in the DLQ with its original value, offsets past them, no object.
    let dead = consume(&dlq, 4, |m| {
        use rdkafka::message::Message;
        String::from_utf8(m.payload().unwrap().to_vec()).unwrap()
    });
    let want: Vec<String> = recs.iter().map(plain_json).collect();
    assert_eq!(dead, want);
    wait_commits(
        &format!("connect-{run}-tolerant"),
        &topic,
        &[(0, 4)].into_iter().collect(),
        &w,
    );
    assert!(list(&format!("{run}/tolerant")).is_empty());
    // An endpoint nobody listens on fails the task at start, naming the endpoint.
    let trace = wait_task_failed(&w, &format!("{run}-unreachable"));
    assert!(trace.contains("127.0.0.1:9"), "{trace}");
    w.stop();
}
