//! Source topic creation (KIP-158) end to end: FileStreamSource connectors with
//! `topic.creation.*` keys create their topics before the first record, with the first matching
//! group's partitions and topic configs (a broker that auto-creates topics would give them one
//! partition and no config, so the partition counts prove Strait made them); a bad group config
//! fails the connector with Java's message; on a worker with `topic.creation.enable=false` the
//! keys are ignored and nothing is created.

use super::*;

use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};

/// The partition count of `topic`, `None` while it does not exist (lists every topic, so the
/// lookup itself never auto-creates it).
fn partitions(topic: &str) -> Option<usize> {
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
        .unwrap();
    let md = consumer
        .fetch_metadata(None, Duration::from_secs(10))
        .unwrap();
    md.topics()
        .iter()
        .find(|t| t.name() == topic)
        .map(|t| t.partitions().len())
}

/// `topic`'s `key` config value as the broker reports it.
fn topic_config(topic: &str, key: &str) -> Option<String> {
    let admin: AdminClient<DefaultClientContext> = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
        .unwrap();
    let results = futures::executor::block_on(
        admin.describe_configs([&ResourceSpecifier::Topic(topic)], &AdminOptions::new()),
    )
    .unwrap();
    let resource = results.into_iter().next().unwrap().unwrap();
    resource.get(key).and_then(|e| e.value.clone())
}

fn wait_partitions(w: &Worker, topic: &str) -> usize {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(n) = partitions(topic) {
            return n;
        }
        assert!(
            Instant::now() < deadline,
            "topic {topic} never appeared; log:\n{}",
            w.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn source(name: &str, input: &Path, topic: &str, creation: &str) -> String {
    format!(
        "name={name}\nconnector.class=FileStreamSource\ntasks.max=1\nfile={}\ntopic={topic}\n{creation}",
        input.display()
    )
}

const GROUPS: &str = "topic.creation.groups=compacted\n\
    topic.creation.default.replication.factor=1\n\
    topic.creation.default.partitions=3\n\
    topic.creation.compacted.include=tcc-.*\n\
    topic.creation.compacted.partitions=5\n\
    topic.creation.compacted.cleanup.policy=compact\n";

#[test]
fn sources_create_their_topics_with_the_matching_groups_settings() {
    let dir = tempfile::tempdir().unwrap();
    let plain = unique("tcp");
    let compacted = unique("tcc");
    let input = dir.path().join("in.txt");
    std::fs::write(&input, make_lines(10, 0)).unwrap();
    let bad = format!("{plain}-bad");
    let w = Worker::start(
        dir.path(),
        "topic-creation",
        "",
        &[
            ("plain.properties", source(&plain, &input, &plain, GROUPS)),
            (
                "compacted.properties",
                source(&compacted, &input, &compacted, GROUPS),
            ),
            (
                "bad.properties",
                source(
                    &bad,
                    &input,
                    &bad,
                    "topic.creation.default.partitions=0\ntopic.creation.default.replication.factor=1\n",
                ),
            ),
        ],
    );
    wait_rest(&w);
    assert_eq!(wait_partitions(&w, &plain), 3);
    assert_eq!(wait_partitions(&w, &compacted), 5);
    assert_eq!(
        topic_config(&compacted, "cleanup.policy").as_deref(),
        Some("compact")
    );
    assert_eq!(
        topic_config(&plain, "cleanup.policy").as_deref(),
        Some("delete")
    );
    // The records went to the created topics.
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", unique("tc-check"))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    consumer.subscribe(&[&plain]).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut got = 0;
    while got < 10 && Instant::now() < deadline {
        if let Some(m) = consumer.poll(Duration::from_millis(500)) {
            m.unwrap();
            got += 1;
        }
    }
    assert_eq!(got, 10, "log:\n{}", w.log());

    // A bad group config fails the connector with Java's message, and creates nothing.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, status) = w.get(&format!("/connectors/{bad}/status"));
        if status["connector"]["state"] == "FAILED" {
            let trace = status["connector"]["trace"].as_str().unwrap_or_default();
            assert!(
                trace.contains("Invalid value 0 for configuration partitions: Number of partitions must be positive, or -1 to use the broker's default"),
                "{status}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "{status}");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(partitions(&bad), None);
}

#[test]
fn a_worker_with_topic_creation_disabled_ignores_the_keys() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("tcoff");
    let input = dir.path().join("in.txt");
    std::fs::write(&input, make_lines(5, 0)).unwrap();
    let output = dir.path().join("out.txt");
    // Even an incomplete default group is not an error: the keys are not read.
    let sink = format!(
        "name={topic}-sink\nconnector.class=FileStreamSink\ntasks.max=1\nfile={}\ntopics={topic}\n",
        output.display()
    );
    let w = Worker::start(
        dir.path(),
        "topic-creation-off",
        "topic.creation.enable=false",
        &[
            (
                "source.properties",
                source(
                    &topic,
                    &input,
                    &topic,
                    "topic.creation.default.partitions=3\n",
                ),
            ),
            ("sink.properties", sink),
        ],
    );
    wait_rest(&w);
    // The records flow (the broker auto-creates the topic with its defaults, one partition).
    wait_lines(&w, &output, 5, Duration::from_secs(60));
    let (_, status) = w.get(&format!("/connectors/{topic}/status"));
    assert_eq!(status["connector"]["state"], "RUNNING", "{status}");
    assert_eq!(partitions(&topic), Some(1));
}
