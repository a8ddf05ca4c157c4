//! Exactly-once source connectors (KIP-618) on a real broker: `strait distributed` workers with
//! `exactly.once.source.support=enabled`, killed with `kill -9` while a FileStreamSource and a
//! Datagen connector run, in each `transaction.boundary` mode; then a `read_committed` consumer
//! must see every source record exactly once, and the offsets the connectors committed must
//! match what it saw. Zombie fencing is checked against the broker's own fencing error.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::distributed::{starts, Appender, Node};
use super::{bootstrap, unique};

const EOS: &str = "exactly.once.source.support=enabled\n";

/// A `read_committed` consumer of `topic` from its beginning, in a group of its own.
fn committed_reader(topic: &str) -> rdkafka::consumer::BaseConsumer {
    use rdkafka::consumer::Consumer;
    let consumer: rdkafka::consumer::BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", unique("committed-reader"))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    consumer
}

/// Every record of `topic` a `read_committed` consumer sees: values and headers (as text).
/// Reads until at least `at_least` records arrived and nothing more came for `idle`.
pub(crate) fn read_committed(
    topic: &str,
    at_least: usize,
    idle: Duration,
) -> Vec<(String, BTreeMap<String, String>)> {
    use rdkafka::message::{Headers, Message};
    let consumer = committed_reader(topic);
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut out = Vec::new();
    let mut last = Instant::now();
    loop {
        if out.len() >= at_least && last.elapsed() >= idle {
            return out;
        }
        assert!(
            Instant::now() < deadline,
            "read only {} of at least {at_least} committed records from {topic}",
            out.len()
        );
        // An error before the topic exists (unknown topic) is retried; the deadline bounds it.
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
            let value = String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned();
            let headers = m.headers().map_or_else(BTreeMap::new, |h| {
                h.iter()
                    .map(|h| {
                        (
                            h.key.to_string(),
                            String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned(),
                        )
                    })
                    .collect()
            });
            out.push((value, headers));
            last = Instant::now();
        }
    }
}

/// Poll `f` until it returns `Some`, or fail with `what` and the tails of the workers' logs.
fn wait<T>(what: &str, timeout: Duration, nodes: &[&Node], mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        if Instant::now() >= deadline {
            let logs: String = nodes
                .iter()
                .map(|n| {
                    let log = n.log();
                    let lines: Vec<&str> = log.lines().collect();
                    format!(
                        "--- {}:\n{}\n",
                        n.worker_id(),
                        lines[lines.len().saturating_sub(30)..].join("\n")
                    )
                })
                .collect();
            panic!("timed out waiting for {what}\n{logs}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The connector and all its `tasks` tasks report `state` (through `node`).
fn all_in_state(node: &Node, connector: &str, tasks: usize, state: &str) -> Option<()> {
    let (code, s) = node.call("GET", &format!("/connectors/{connector}/status"), None);
    let list = s["tasks"].as_array()?;
    (code == 200
        && s["connector"]["state"] == state
        && list.len() == tasks
        && list.iter().all(|t| t["state"] == state))
    .then_some(())
}

pub(crate) fn connector_offsets(node: &Node, connector: &str) -> Vec<Value> {
    let (code, body) = node.call("GET", &format!("/connectors/{connector}/offsets"), None);
    assert_eq!(code, 200, "{body}");
    body["offsets"].as_array().cloned().unwrap_or_default()
}

/// Kill `-9` workers while a FileStreamSource (one task) and a Datagen (two tasks) run
/// exactly-once with `boundary`; afterwards every line and every generated record is in the
/// topics exactly once for a `read_committed` consumer, and the committed offsets agree.
fn survives_kill_9(boundary: &str) {
    let dir = tempfile::tempdir().unwrap();
    let group = unique(&format!("eos-{boundary}"));
    let mut nodes = vec![
        Node::start(dir.path(), "w0", &group, EOS),
        Node::start(dir.path(), "w1", &group, EOS),
    ];
    for n in &nodes {
        n.wait_healthy();
    }
    let input = dir.path().join("input.txt");
    std::fs::write(&input, "").unwrap();
    let lines_topic = unique("eos-lines");
    let gen_topic = unique("eos-gen");
    let common = json!({
        "exactly.once.support": "required",
        "transaction.boundary": boundary,
        "transaction.boundary.interval.ms": "300",
    });
    let with = |mut config: Value| {
        for (k, v) in common.as_object().unwrap() {
            config[k] = v.clone();
        }
        config
    };
    let file_config = with(json!({
        "connector.class": "FileStreamSource",
        "file": input.display().to_string(),
        "topic": lines_topic,
        "batch.size": "40",
    }));
    let gen_config = with(json!({
        "connector.class": "io.confluent.kafka.connect.datagen.DatagenConnector",
        "kafka.topic": gen_topic,
        "quickstart": "users",
        "max.interval": "4",
        "tasks.max": "2",
    }));
    for (name, config) in [("lines", &file_config), ("gen", &gen_config)] {
        let (code, body) = nodes[0].call(
            "POST",
            "/connectors",
            Some(json!({"name": name, "config": config})),
        );
        assert_eq!(code, 201, "creating {name}: {body}");
    }
    let appender = Appender::start(&input, 0, 15);
    // Three crashes, alternating workers; a fresh worker joins after each.
    for round in 0..3 {
        std::thread::sleep(Duration::from_secs(4));
        let victim = nodes.remove(round % nodes.len());
        victim.kill9();
        let fresh = Node::start(dir.path(), &format!("w{}", round + 2), &group, EOS);
        fresh.wait_healthy();
        nodes.push(fresh);
    }
    let lines = appender.finish();
    let refs: Vec<&Node> = nodes.iter().collect();
    wait(
        "every connector and task RUNNING after the crashes",
        Duration::from_secs(90),
        &refs,
        || {
            all_in_state(&nodes[0], "lines", 1, "RUNNING")?;
            all_in_state(&nodes[0], "gen", 2, "RUNNING")
        },
    );
    // Every line is committed once the file task caught up; then stop both connectors (a
    // clean stop ends their open transactions as the boundary says) and read everything.
    let expected_lines: Vec<String> = (0..lines).map(|i| format!("line-{i:06}")).collect();
    let _ = read_committed(&lines_topic, lines, Duration::from_millis(500));
    for name in ["lines", "gen"] {
        let (code, body) = nodes[0].call("PUT", &format!("/connectors/{name}/stop"), None);
        assert_eq!(code, 204, "stopping {name}: {body}");
    }
    wait(
        "both connectors STOPPED",
        Duration::from_secs(60),
        &refs,
        || {
            let stopped = |c: &str| {
                let (_, s) = nodes[0].call("GET", &format!("/connectors/{c}/status"), None);
                (s["connector"]["state"] == "STOPPED").then_some(())
            };
            stopped("lines")?;
            stopped("gen")
        },
    );

    let got: Vec<String> = read_committed(&lines_topic, lines, Duration::from_secs(3))
        .into_iter()
        .map(|(v, _)| v)
        .collect();
    assert_eq!(
        got.len(),
        expected_lines.len(),
        "{boundary}: each line exactly once (duplicates or losses: {} vs {})",
        got.len(),
        expected_lines.len()
    );
    assert_eq!(got, expected_lines, "{boundary}: the lines, in file order");
    let file_offsets = connector_offsets(&nodes[0], "lines");
    let size = std::fs::metadata(&input).unwrap().len() as i64;
    assert_eq!(
        file_offsets
            .iter()
            .map(|o| o["offset"]["position"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![size],
        "{boundary}: the committed file position is the end of the file"
    );

    // Datagen: per task, the committed `current.iteration` says how many records it produced;
    // the topic holds iterations 0..n of each task, each once.
    let gen_offsets = connector_offsets(&nodes[0], "gen");
    let committed: BTreeMap<i64, i64> = gen_offsets
        .iter()
        .map(|o| {
            (
                o["partition"]["task.id"].as_i64().unwrap(),
                o["offset"]["current.iteration"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        committed.len(),
        2,
        "{boundary}: offsets of both tasks: {gen_offsets:?}"
    );
    let total: i64 = committed.values().sum();
    assert!(total > 0, "{boundary}: Datagen produced something");
    let records = read_committed(&gen_topic, total as usize, Duration::from_secs(3));
    let mut seen: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    for (_, h) in &records {
        let task: i64 = h["task.id"].parse().unwrap();
        let iteration: i64 = h["current.iteration"].parse().unwrap();
        assert!(
            seen.entry(task).or_default().insert(iteration),
            "{boundary}: task {task} iteration {iteration} is in the topic twice"
        );
    }
    assert_eq!(
        records.len() as i64,
        total,
        "{boundary}: records = committed offsets"
    );
    for (task, n) in committed {
        let expected: BTreeSet<i64> = (0..n).collect();
        assert_eq!(
            seen.remove(&task).unwrap_or_default(),
            expected,
            "{boundary}: task {task} produced iterations 0..{n}, each once"
        );
    }
    for n in nodes {
        n.stop();
    }
}

#[test]
fn exactly_once_survives_kill_9_with_poll_boundaries() {
    survives_kill_9("poll");
}

#[test]
fn exactly_once_survives_kill_9_with_interval_boundaries() {
    survives_kill_9("interval");
}

#[test]
fn exactly_once_survives_kill_9_with_connector_boundaries() {
    survives_kill_9("connector");
}

/// A new task generation fences the old one: a producer holding the transactional id of a task
/// the new generation no longer has (a zombie left from the old generation) cannot commit once
/// the new tasks run. Asserted on the broker's answer to the zombie's commit.
#[test]
fn reconfiguring_fences_the_previous_generation() {
    use rdkafka::producer::{BaseRecord, Producer};
    let dir = tempfile::tempdir().unwrap();
    let group = unique("eos-fence");
    let node = Node::start(dir.path(), "w0", &group, EOS);
    node.wait_healthy();
    let topic = unique("eos-fence-data");
    let config = |tasks: &str| {
        json!({
            "connector.class": "io.confluent.kafka.connect.datagen.DatagenConnector",
            "kafka.topic": topic,
            "quickstart": "users",
            "max.interval": "20",
            "tasks.max": tasks,
        })
    };
    let (code, body) = node.call("PUT", "/connectors/gen/config", Some(config("3")));
    assert_eq!(code, 201, "{body}");
    wait(
        "three RUNNING tasks",
        Duration::from_secs(60),
        &[&node],
        || all_in_state(&node, "gen", 3, "RUNNING"),
    );
    // The zombie: task 2's transactional id, with a transaction in progress.
    let zombie = transactional_producer(&format!("{group}-gen-2"));
    zombie
        .send(BaseRecord::<str, str>::to(&topic).payload("zombie"))
        .map_err(|(e, _)| e)
        .unwrap();
    zombie.flush(Duration::from_secs(30)).unwrap();

    // The next generation has two tasks: only the leader's fencing reaches task 2's id.
    let (code, body) = node.call("PUT", "/connectors/gen/config", Some(config("2")));
    assert_eq!(code, 200, "{body}");
    // Tasks of a new generation start only after the fencing round (their second start here).
    wait(
        "two RUNNING tasks of the new generation",
        Duration::from_secs(60),
        &[&node],
        || {
            all_in_state(&node, "gen", 2, "RUNNING")?;
            (starts(&node, "gen-0") >= 2 && starts(&node, "gen-1") >= 2).then_some(())
        },
    );
    let err = zombie
        .commit_transaction(Duration::from_secs(30))
        .expect_err("a fenced producer must not commit");
    assert!(
        is_fenced(&err.to_string()),
        "the broker's fencing error, got: {err}"
    );
    let (code, body) = node.call("PUT", "/connectors/gen/stop", None);
    assert_eq!(code, 204, "{body}");
    wait(
        "the connector STOPPED",
        Duration::from_secs(60),
        &[&node],
        || {
            let (_, s) = node.call("GET", "/connectors/gen/status", None);
            (s["connector"]["state"] == "STOPPED").then_some(())
        },
    );
    // A zombie of the stopped connector's task 0: resetting the offsets fences it first.
    let zombie = transactional_producer(&format!("{group}-gen-0"));
    zombie
        .send(BaseRecord::<str, str>::to(&topic).payload("zombie"))
        .map_err(|(e, _)| e)
        .unwrap();
    zombie.flush(Duration::from_secs(30)).unwrap();
    let (code, body) = node.call("DELETE", "/connectors/gen/offsets", None);
    assert_eq!(code, 200, "{body}");
    let err = zombie
        .commit_transaction(Duration::from_secs(30))
        .expect_err("offsets are reset only after a fencing round");
    assert!(
        is_fenced(&err.to_string()),
        "the broker's fencing error, got: {err}"
    );
    let records = read_committed(&topic, 1, Duration::from_secs(2));
    assert!(
        records.iter().all(|(v, _)| v != "zombie"),
        "no zombie record is ever visible to read_committed consumers"
    );
    node.stop();
}

/// A transactional producer with `id`, initialised, with a transaction begun.
fn transactional_producer(id: &str) -> rdkafka::producer::BaseProducer {
    use rdkafka::producer::Producer;
    let p: rdkafka::producer::BaseProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("transactional.id", id)
        .create()
        .unwrap();
    p.init_transactions(Duration::from_secs(30)).unwrap();
    p.begin_transaction().unwrap();
    p
}

/// librdkafka's words for a producer fenced by a newer epoch of its transactional id.
fn is_fenced(error: &str) -> bool {
    error.contains("fenced") || error.contains("Fenced") || error.contains("epoch")
}

/// `exactly.once.support=required` is refused where exactly-once cannot be provided, with
/// Java's preflight messages (and connector-defined boundaries need a connector that can).
#[test]
fn the_exactly_once_preflight_reports_what_cannot_be_provided() {
    let dir = tempfile::tempdir().unwrap();
    let group = unique("eos-preflight");
    let node = Node::start(dir.path(), "w0", &group, "");
    node.wait_healthy();
    let validate = |config: Value| -> Value {
        let (code, body) = node.call(
            "PUT",
            "/connector-plugins/FileStreamSource/config/validate",
            Some(config),
        );
        assert_eq!(code, 200, "{body}");
        body
    };
    let errors_of = |body: &Value, key: &str| -> Vec<String> {
        body["configs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["value"]["name"] == key)
            .map(|c| {
                c["value"]["errors"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e.as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    // Disabled worker, stdin source: both of Java's errors on one key.
    let body = validate(json!({
        "connector.class": "FileStreamSource", "topic": "t", "exactly.once.support": "required",
    }));
    assert_eq!(
        errors_of(&body, "exactly.once.support"),
        vec![
            "This worker does not have exactly-once source support enabled.".to_string(),
            "The connector does not support exactly-once semantics with the provided configuration.".to_string(),
        ]
    );
    // A file source on a disabled worker: only the worker's error.
    let body = validate(json!({
        "connector.class": "FileStreamSource", "topic": "t", "file": "/tmp/x",
        "exactly.once.support": "required", "transaction.boundary": "connector",
    }));
    assert_eq!(
        errors_of(&body, "exactly.once.support"),
        vec!["This worker does not have exactly-once source support enabled.".to_string()]
    );
    assert!(
        errors_of(&body, "transaction.boundary").is_empty(),
        "{body}"
    );
    // Creating it is refused with the same message.
    let (code, body) = node.call(
        "POST",
        "/connectors",
        Some(json!({"name": "f", "config": {
            "connector.class": "FileStreamSource", "topic": "t", "file": "/tmp/x",
            "exactly.once.support": "required",
        }})),
    );
    assert_eq!(code, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("does not have exactly-once source support enabled"),
        "{body}"
    );
    // `requested` is never checked.
    let body = validate(json!({
        "connector.class": "FileStreamSource", "topic": "t", "exactly.once.support": "requested",
    }));
    assert!(
        errors_of(&body, "exactly.once.support").is_empty(),
        "{body}"
    );
    node.stop();
}

/// The last value per key of a compacted offsets topic, as a `read_committed` reader sees it:
/// key text → value text (`None` = tombstone).
fn offsets_topic(topic: &str) -> BTreeMap<String, Option<String>> {
    use rdkafka::Message;
    let consumer = committed_reader(topic);
    let mut out = BTreeMap::new();
    let mut last = Instant::now();
    let started = Instant::now();
    while last.elapsed() < Duration::from_secs(3) && started.elapsed() < Duration::from_secs(60) {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
            let key = String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned();
            let value = m.payload().map(|v| String::from_utf8_lossy(v).into_owned());
            out.insert(key, value);
            last = Instant::now();
        }
    }
    out
}

/// A source connector with its own `offsets.storage.topic` (KIP-618) commits its offsets there,
/// with a copy in the worker's topic, resumes from it, and the REST offsets endpoints read and
/// reset it; with and without exactly-once support.
fn own_offsets_topic(exactly_once: bool) {
    let dir = tempfile::tempdir().unwrap();
    let group = unique("own-offsets");
    let node = Node::start(
        dir.path(),
        "w0",
        &group,
        if exactly_once { EOS } else { "" },
    );
    node.wait_healthy();
    let input = dir.path().join("in.txt");
    super::distributed::append(&input, 0, 500);
    let topic = unique("own-offsets-data");
    let own = format!("{group}-lines-offsets");
    let config = json!({
        "connector.class": "FileStreamSource",
        "file": input.display().to_string(),
        "topic": topic,
        "offsets.storage.topic": own,
    });
    let (code, body) = node.call("PUT", "/connectors/lines/config", Some(config));
    assert_eq!(code, 201, "{body}");
    let _ = read_committed(&topic, 500, Duration::from_millis(500));
    let stop = |what: &str| {
        let (code, body) = node.call("PUT", "/connectors/lines/stop", None);
        assert_eq!(code, 204, "{body}");
        wait(what, Duration::from_secs(60), &[&node], || {
            let (_, s) = node.call("GET", "/connectors/lines/status", None);
            (s["connector"]["state"] == "STOPPED").then_some(())
        });
    };
    stop("the connector STOPPED");
    let size = std::fs::metadata(&input).unwrap().len();
    let key = format!("[\"lines\",{{\"filename\":\"{}\"}}]", input.display());
    let expected = Some(format!("{{\"position\":{size}}}"));
    assert_eq!(
        offsets_topic(&own).get(&key),
        Some(&expected),
        "the connector's own topic holds its offset"
    );
    let worker_copy = offsets_topic(&format!("{group}-offsets"));
    assert_eq!(
        worker_copy.get(&key),
        Some(&expected),
        "with a copy in the worker's topic"
    );
    let offsets = connector_offsets(&node, "lines");
    assert_eq!(offsets.len(), 1, "{offsets:?}");
    assert_eq!(offsets[0]["offset"]["position"].as_u64(), Some(size));

    // Resume after more lines: it continues from its own topic, nothing twice.
    super::distributed::append(&input, 500, 100);
    let (code, body) = node.call("PUT", "/connectors/lines/resume", None);
    assert_eq!(code, 202, "{body}");
    let got: Vec<String> = read_committed(&topic, 600, Duration::from_secs(2))
        .into_iter()
        .map(|(v, _)| v)
        .collect();
    let lines: Vec<String> = (0..600).map(|i| format!("line-{i:06}")).collect();
    assert_eq!(got, lines, "every line once, in order");

    // A reset tombstones both topics.
    stop("the connector STOPPED again");
    let (code, body) = node.call("DELETE", "/connectors/lines/offsets", None);
    assert_eq!(code, 200, "{body}");
    assert!(connector_offsets(&node, "lines").is_empty());
    assert_eq!(
        offsets_topic(&own).get(&key),
        Some(&None),
        "tombstone in its own topic"
    );
    assert_eq!(
        offsets_topic(&format!("{group}-offsets")).get(&key),
        Some(&None),
        "and in the worker's"
    );
    node.stop();
}

#[test]
fn a_connector_offsets_topic_holds_its_offsets() {
    own_offsets_topic(false);
}

#[test]
fn a_connector_offsets_topic_holds_its_offsets_exactly_once() {
    own_offsets_topic(true);
}
