//! Drives the erased plugins of this crate the way the runtime does: looked up by name in a
//! registry, task configs split, tasks built from task configs, batches passed in memory from
//! sources to sinks. (End-to-end tests through Kafka live in the engine.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use strait_connectors::connectors;
use strait_engine::batch::{Batch, OffsetMap, Provenance, SourceMap, TopicPartition};
use strait_engine::config::Props;
use strait_engine::plugin::{
    ConnectorType, OffsetReader, SinkInput, SinkTask, SinkTaskContext, SourceTask,
    SourceTaskContext, TaskInstance,
};
use strait_engine::registry::Registry;

fn registry() -> Registry {
    Registry::new().with_connectors(connectors())
}

fn props(pairs: &[(&str, &str)]) -> Props {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Offsets committed so far, keyed by the partition's JSON (what the offset store would hold).
#[derive(Default)]
struct MemOffsets(Mutex<HashMap<String, SourceMap>>);

impl MemOffsets {
    fn commit(&self, provenance: &Provenance) {
        if let Provenance::Source(pairs) = provenance {
            let mut map = self.0.lock().unwrap();
            for (partition, offset) in pairs {
                map.insert(
                    serde_json::Value::Object(partition.clone()).to_string(),
                    offset.clone(),
                );
            }
        }
    }
}

impl OffsetReader for MemOffsets {
    fn offset(&self, partition: &SourceMap) -> Option<SourceMap> {
        self.0
            .lock()
            .unwrap()
            .get(&serde_json::Value::Object(partition.clone()).to_string())
            .cloned()
    }
}

fn source_task(instance: TaskInstance) -> Box<dyn SourceTask> {
    match instance {
        TaskInstance::Source(t) => t,
        other => panic!("expected a source task, got {other:?}"),
    }
}

fn sink_task(instance: TaskInstance) -> Box<dyn SinkTask> {
    match instance {
        TaskInstance::Sink(t) => t,
        other => panic!("expected a sink task, got {other:?}"),
    }
}

#[test]
fn every_connector_answers_to_its_class_name_and_aliases() {
    let r = registry();
    for (name, class, kind) in [
        (
            "FileStreamSource",
            "org.apache.kafka.connect.file.FileStreamSourceConnector",
            ConnectorType::Source,
        ),
        (
            "FileStreamSourceConnector",
            "org.apache.kafka.connect.file.FileStreamSourceConnector",
            ConnectorType::Source,
        ),
        (
            "FileStreamSink",
            "org.apache.kafka.connect.file.FileStreamSinkConnector",
            ConnectorType::Sink,
        ),
        (
            "Datagen",
            "io.confluent.kafka.connect.datagen.DatagenConnector",
            ConnectorType::Source,
        ),
        (
            "io.confluent.kafka.connect.datagen.DatagenConnector",
            "io.confluent.kafka.connect.datagen.DatagenConnector",
            ConnectorType::Source,
        ),
        (
            "blackhole",
            "io.strait.connect.blackhole.BlackholeSinkConnector",
            ConnectorType::Sink,
        ),
        (
            "BlackholeSink",
            "io.strait.connect.blackhole.BlackholeSinkConnector",
            ConnectorType::Sink,
        ),
    ] {
        let plugin = r.connector(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(plugin.info().class, class);
        assert_eq!(plugin.connector_type(), kind);
    }
    assert_eq!(
        r.connector("FileStreamSource").unwrap().info().version,
        "4.1.0"
    );
    assert_eq!(
        r.connector("FileStreamSource").unwrap().task_class(),
        "org.apache.kafka.connect.file.FileStreamSourceTask"
    );
    assert_eq!(
        r.connector("Datagen").unwrap().task_class(),
        "io.confluent.kafka.connect.datagen.DatagenTask"
    );
    assert!(r.connector("NoSuchConnector").is_err());
}

#[test]
fn task_config_counts() {
    let r = registry();
    let file = r.connector("FileStreamSource").unwrap();
    let p = props(&[("topic", "t"), ("file", "/tmp/in.txt"), ("tasks.max", "8")]);
    assert_eq!(
        file.task_configs(&p, 8).unwrap().len(),
        1,
        "FileStreamSource: always one task"
    );
    let sink = r.connector("FileStreamSink").unwrap();
    assert_eq!(
        sink.task_configs(&props(&[("topics", "t")]), 3)
            .unwrap()
            .len(),
        3
    );
    let datagen = r.connector("Datagen").unwrap();
    let p = props(&[("kafka.topic", "t"), ("quickstart", "users")]);
    let tasks = datagen.task_configs(&p, 4).unwrap();
    assert_eq!(tasks.len(), 4, "Datagen: tasks.max tasks");
    assert_eq!(tasks[3]["task.id"], "3");
    assert_eq!(
        r.connector("blackhole")
            .unwrap()
            .task_configs(&props(&[]), 2)
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn validation_and_check_through_the_erased_plugin() {
    let r = registry();
    let file = r.connector("FileStreamSource").unwrap();
    let errors: Vec<String> = file
        .validate(&props(&[]))
        .into_iter()
        .flat_map(|v| v.errors)
        .collect();
    assert_eq!(
        errors,
        vec!["Missing required configuration \"topic\" which has no default value."]
    );
    let datagen = r.connector("Datagen").unwrap();
    let e = datagen
        .check(&props(&[("quickstart", "users")]))
        .unwrap_err();
    assert_eq!(
        e.message(),
        "Missing required configuration \"kafka.topic\" which has no default value."
    );
    let e = datagen
        .check(&props(&[("kafka.topic", "t"), ("schema.string", "{}")]))
        .unwrap_err();
    assert_eq!(e.fault(), strait_engine::Fault::Unsupported);
    let e = datagen
        .check(&props(&[
            ("kafka.topic", "t"),
            ("quickstart", "users"),
            ("schema.filename", "f"),
        ]))
        .unwrap_err();
    assert_eq!(
        e.message(),
        "Must set exactly one of schema.string, schema.filename, quickstart"
    );
}

#[tokio::test]
async fn file_source_to_file_sink_round_trip() {
    let r = registry();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    let output = dir.path().join("out.txt");
    let mut text = String::new();
    for i in 0..5000 {
        text.push_str(&format!("line {i} — ünïcödé\n"));
    }
    text.push_str("\nafter an empty line\r\n");
    std::fs::write(&input, &text).unwrap();

    let source = r.connector("FileStreamSource").unwrap();
    let source_conf = props(&[("topic", "lines"), ("file", input.to_str().unwrap())]);
    let task_conf = source.task_configs(&source_conf, 1).unwrap().remove(0);
    let mut src = source_task(source.create_task(&task_conf).unwrap());
    let offsets = Arc::new(MemOffsets::default());
    src.start(SourceTaskContext {
        connector: "src".into(),
        task_id: 0,
        offsets: offsets.clone(),
        transactions: None,
    })
    .await
    .unwrap();

    let sink = r.connector("FileStreamSink").unwrap();
    let sink_conf = props(&[("topics", "lines"), ("file", output.to_str().unwrap())]);
    let mut dst = sink_task(
        sink.create_task(&sink.task_configs(&sink_conf, 1).unwrap()[0])
            .unwrap(),
    );
    assert_eq!(dst.input(), SinkInput::Decoded);
    dst.start(SinkTaskContext::new("dst", 0)).await.unwrap();

    let mut rows = 0;
    let mut batches = 0;
    let mut empty = 0;
    while rows < 5002 && empty < 10 {
        match src.poll().await.unwrap() {
            Some(batch) => {
                assert!(batch.num_rows() <= 2000, "batch.size default");
                rows += batch.num_rows();
                batches += 1;
                offsets.commit(&batch.provenance);
                dst.put(Batch::new(batch.records, Provenance::None))
                    .await
                    .unwrap();
            }
            None => empty += 1,
        }
    }
    assert_eq!(rows, 5002);
    assert!(batches >= 3);
    let consumed = OffsetMap::from([(TopicPartition::new("lines", 0), rows as i64)]);
    assert_eq!(dst.pre_commit(&consumed).await.unwrap(), consumed);
    assert_eq!(
        std::fs::read_to_string(&output).unwrap(),
        text.replace("\r\n", "\n")
    );

    // The committed offset is the file's byte length: a restarted source reads nothing again.
    let partition: SourceMap =
        serde_json::from_str(&format!("{{\"filename\":{:?}}}", input.to_str().unwrap())).unwrap();
    assert_eq!(
        offsets.offset(&partition).unwrap()["position"],
        serde_json::json!(text.len())
    );
    src.stop().await.unwrap();
    let mut again = source_task(source.create_task(&task_conf).unwrap());
    again
        .start(SourceTaskContext {
            connector: "src".into(),
            task_id: 0,
            offsets: offsets.clone(),
            transactions: None,
        })
        .await
        .unwrap();
    assert!(again.poll().await.unwrap().is_none());
    dst.stop().await.unwrap();
}

#[tokio::test]
async fn datagen_into_file_sink_prints_structs() {
    let r = registry();
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("orders.txt");
    let datagen = r.connector("Datagen").unwrap();
    let conf = props(&[
        ("kafka.topic", "orders"),
        ("quickstart", "orders"),
        ("max.interval", "0"),
        ("iterations", "3"),
        ("random.seed", "11"),
    ]);
    let task_conf = datagen.task_configs(&conf, 1).unwrap().remove(0);
    let mut src = source_task(datagen.create_task(&task_conf).unwrap());
    src.start(SourceTaskContext {
        connector: "dg".into(),
        task_id: 0,
        offsets: Arc::new(MemOffsets::default()),
        transactions: None,
    })
    .await
    .unwrap();
    let batch = src.poll().await.unwrap().unwrap();
    assert_eq!(batch.num_rows(), 3);
    assert!(src.poll().await.is_err(), "iterations reached");

    let sink = r.connector("FileStreamSink").unwrap();
    let mut dst = sink_task(
        sink.create_task(&props(&[("file", output.to_str().unwrap())]))
            .unwrap(),
    );
    dst.start(SinkTaskContext::new("dst", 0)).await.unwrap();
    dst.put(batch).await.unwrap();
    dst.flush(&OffsetMap::new()).await.unwrap();
    let text = std::fs::read_to_string(&output).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    for (i, line) in lines.iter().enumerate() {
        assert!(line.starts_with("Struct{ordertime="), "{line}");
        assert!(
            line.contains(&format!(",orderid={i},itemid=Item_")),
            "{line}"
        );
        assert!(line.contains(",address=Struct{city=City_"), "{line}");
        assert!(line.ends_with("}}"), "{line}");
    }
}

#[tokio::test]
async fn blackhole_counts_through_the_registry() {
    let r = registry();
    let plugin = r.connector("blackhole").unwrap();
    let mut task = sink_task(plugin.create_task(&props(&[])).unwrap());
    assert_eq!(task.input(), SinkInput::Raw);
    task.start(SinkTaskContext::new("bh", 0)).await.unwrap();
    let mut builder = strait_engine::batch::RawBatchBuilder::with_capacity(2, 16);
    builder.append("t", 0, 0, None, Some(b"k"), Some(b"value"), []);
    builder.append("t", 0, 1, None, None, Some(b"v2"), []);
    let batch = builder.finish().unwrap();
    let consumed = batch.provenance.commit_offsets();
    let (r0, b0) = strait_connectors::blackhole_stats();
    task.put(batch).await.unwrap();
    let (r1, b1) = strait_connectors::blackhole_stats();
    assert_eq!((r1 - r0, b1 - b0), (2, 8));
    assert_eq!(task.pre_commit(&consumed).await.unwrap(), consumed);
}
