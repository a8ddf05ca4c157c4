//! Internal-topic golden tests against a real Apache Kafka Connect 4.1.2 distributed worker
//! (issue 10): records a Java worker writes are read by Strait's stores, and records Strait's
//! stores write are read by the Java worker, in the same run, on the shared broker.
//!
//! * `internal_topics_java_writes_strait_reads`: the Java worker creates, patches, pauses, stops
//!   and restarts connectors and sets a cluster logger level over REST; Strait's `ConfigStore`,
//!   `StatusStore` and `OffsetLogState` replay the three topics and must agree with what Java's
//!   REST API reports, and Strait's encoders must reproduce Java's record bytes.
//! * `internal_topics_strait_writes_java_reads`: Strait writes connectors (PAUSED and STOPPED),
//!   task configs, a source offset and an active-topic status before any Java worker exists;
//!   the Java worker started afterwards must report them, and the source must resume from the
//!   offset Strait wrote.
//!
//! Both need `STRAIT_TEST_BOOTSTRAP` and the Kafka 4.1.2 jars (`cargo xtask services up kafka`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use strait_distributed::config_store::{
    commit_tasks_key, connector_key, encode_commit, encode_logger_level, encode_restart_request,
    encode_session_key, encode_target_state, logger_cluster_key, restart_key, target_state_key,
    task_key, ClusterConfigSnapshot, ConfigEvent, ConfigStore, ConfigStoreSettings, RestartRequest,
    SESSION_KEY_KEY,
};
use strait_distributed::kafka_log::{
    ensure_internal_topic, InternalTopic, KafkaLog, KafkaLogSettings, LogClients, LogRecord,
    DELIVERY_TIMEOUT_MAX,
};
use strait_distributed::offset_store::{java_offset_key, java_offset_value, OffsetLogState};
use strait_distributed::status_store::{
    connector_status_key, encode_status, encode_topic_status, parse_status, parse_topic_status,
    task_status_key, StatusStore, TopicStatus,
};
use strait_engine::batch::SourceMap;
use strait_engine::config::Props;
use strait_engine::herder::TargetState;
use tokio::sync::broadcast;

use super::java_worker::{java_test_lock, JavaWorker, JavaWorkerSettings};
use super::{bootstrap, unique};

const SOURCE_CLASS: &str = "org.apache.kafka.connect.file.FileStreamSourceConnector";
const SOURCE_TASK_CLASS: &str = "org.apache.kafka.connect.file.FileStreamSourceTask";
const SINK_CLASS: &str = "org.apache.kafka.connect.file.FileStreamSinkConnector";
/// How long a connector may take to reach a state (a rebalance per change on one worker).
const STATE_TIMEOUT: Duration = Duration::from_secs(30);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn clients() -> LogClients {
    LogClients::from_worker(&bootstrap(), &[], &Props::new(), "strait-interop-test").unwrap()
}

fn log_settings(topic: &str, read_only: bool) -> KafkaLogSettings {
    KafkaLogSettings {
        topic: topic.to_string(),
        clients: clients(),
        delivery_timeout: DELIVERY_TIMEOUT_MAX,
        read_committed: false,
        read_only,
    }
}

fn props(kv: &[(&str, &str)]) -> Props {
    kv.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A REST JSON object of strings as a property map (panics on anything else: Java's config maps
/// are `Map<String, String>`).
fn props_of(v: &Value) -> Props {
    v.as_object()
        .unwrap_or_else(|| panic!("not a JSON object: {v}"))
        .iter()
        .map(|(k, v)| {
            let s = v
                .as_str()
                .unwrap_or_else(|| panic!("{k} is not a string: {v}"));
            (k.clone(), s.to_string())
        })
        .collect()
}

fn source_map(v: Value) -> SourceMap {
    match v {
        Value::Object(m) => m,
        other => panic!("not a JSON object: {other}"),
    }
}

/// One internal topic read by Strait's `KafkaLog` from the beginning, every record kept in
/// read order (in order per partition, as the stores need them).
struct TopicTap {
    log: KafkaLog,
    records: Arc<Mutex<Vec<LogRecord>>>,
}

impl TopicTap {
    async fn open(topic: &str, read_only: bool) -> TopicTap {
        let records = Arc::new(Mutex::new(Vec::new()));
        let sink = records.clone();
        let log = KafkaLog::start(
            log_settings(topic, read_only),
            Box::new(move |r| sink.lock().unwrap().push(r)),
        )
        .await
        .unwrap_or_else(|e| panic!("opening {topic}: {e}"));
        TopicTap { log, records }
    }

    async fn read_to_end(&self) {
        self.log.read_to_end().await.unwrap();
    }

    fn records(&self) -> Vec<LogRecord> {
        self.records.lock().unwrap().clone()
    }

    /// The latest value of every key (`None` for a tombstone), keys as text.
    fn latest(&self) -> BTreeMap<String, Option<Vec<u8>>> {
        self.records()
            .into_iter()
            .map(|r| {
                let key = String::from_utf8_lossy(r.key.as_deref().unwrap_or_default()).to_string();
                (key, r.value.map(|v| v.to_vec()))
            })
            .collect()
    }

    /// The status topic replayed into Strait's status cache.
    fn status_store(&self) -> StatusStore {
        let mut store = StatusStore::new();
        for r in self.records() {
            store.apply(r.key.as_deref(), r.value.as_deref());
        }
        store
    }

    /// The offsets topic replayed into Strait's offset state.
    fn offset_state(&self) -> OffsetLogState {
        let mut state = OffsetLogState::new();
        for r in self.records() {
            state.apply(r.key.as_deref(), r.value.as_deref());
        }
        state
    }
}

/// Everything received on a config-store event channel so far.
fn drain(events: &mut broadcast::Receiver<ConfigEvent>) -> Vec<ConfigEvent> {
    let mut out = Vec::new();
    loop {
        match events.try_recv() {
            Ok(e) => out.push(e),
            Err(broadcast::error::TryRecvError::Lagged(n)) => panic!("lost {n} config events"),
            Err(_) => return out,
        }
    }
}

/// Wait until the connector and every task reported by `GET /connectors/{c}/status` are in
/// `state` (and there are `tasks` tasks).
fn wait_state(java: &JavaWorker, connector: &str, state: &str, tasks: usize) -> Value {
    java.wait_for(
        &format!("/connectors/{connector}/status"),
        STATE_TIMEOUT,
        |s| {
            let t = s["tasks"].as_array().map(Vec::as_slice).unwrap_or_default();
            s["connector"]["state"] == state
                && t.len() == tasks
                && t.iter().all(|t| t["state"] == state)
        },
    )
}

fn target_state_name(state: Option<TargetState>) -> &'static str {
    match state {
        Some(TargetState::Started) => "RUNNING",
        Some(TargetState::Paused) => "PAUSED",
        Some(TargetState::Stopped) => "STOPPED",
        None => "<no target state>",
    }
}

/// Compare Strait's view of the three topics with Java's REST answers; `Err` lists the first
/// difference (the caller retries while Java may still be writing).
fn compare_with_rest(
    java: &JavaWorker,
    connectors: &[&str],
    config: &ClusterConfigSnapshot,
    status: &StatusStore,
    status_latest: &BTreeMap<String, Option<Vec<u8>>>,
    offsets: &OffsetLogState,
) -> Result<(), String> {
    let (code, all) = java.get("/connectors?expand=info&expand=status");
    if code != 200 {
        return Err(format!("GET /connectors answered {code}: {all}"));
    }
    let listed: BTreeSet<&str> = all
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let strait_listed: BTreeSet<&str> = config.connectors().collect();
    if listed != strait_listed {
        return Err(format!(
            "connectors: Java {listed:?}, Strait {strait_listed:?}"
        ));
    }
    for &c in connectors {
        let info = &all[c]["info"];
        let st = &all[c]["status"];
        // Connector config, as stored (raw).
        let java_config = props_of(&info["config"]);
        if config.connector_config(c) != Some(&java_config) {
            return Err(format!(
                "{c} config: Java {java_config:?}, Strait {:?}",
                config.connector_config(c)
            ));
        }
        // Tasks: count, ids and configs.
        let java_tasks = info["tasks"].as_array().unwrap();
        let strait_tasks = config.tasks(c);
        if java_tasks.len() != strait_tasks.len()
            || config.task_count(c) as usize != java_tasks.len()
        {
            return Err(format!(
                "{c} tasks: Java {java_tasks:?}, Strait {strait_tasks:?} (count {})",
                config.task_count(c)
            ));
        }
        let (_, task_infos) = java.get(&format!("/connectors/{c}/tasks"));
        for t in task_infos.as_array().unwrap() {
            let n = t["id"]["task"].as_u64().unwrap() as u32;
            let java_task = props_of(&t["config"]);
            if config.task_config(c, n) != Some(&java_task) {
                return Err(format!(
                    "{c}-{n} task config: Java {java_task:?}, Strait {:?}",
                    config.task_config(c, n)
                ));
            }
        }
        // Target state as the connector's reported state.
        let java_state = st["connector"]["state"].as_str().unwrap_or_default();
        if target_state_name(config.target_state(c)) != java_state {
            return Err(format!(
                "{c} target state: Java reports {java_state}, Strait has {:?}",
                config.target_state(c)
            ));
        }
        // Statuses: connector and every task Java lists, field by field, and the record bytes
        // Strait's encoder would write for the same status.
        let mut pairs = vec![(
            "connector".to_string(),
            &st["connector"],
            status.connector_status(c),
            connector_status_key(c),
        )];
        for t in st["tasks"].as_array().unwrap() {
            let n = t["id"].as_u64().unwrap() as u32;
            pairs.push((
                format!("task {n}"),
                t,
                status.task_status(c, n),
                task_status_key(c, n),
            ));
        }
        for (what, java_st, strait_st, key) in pairs {
            let Some(s) = strait_st else {
                return Err(format!("{c} {what}: Strait has no status, Java {java_st}"));
            };
            if java_st["state"] != s.state.as_str()
                || java_st["worker_id"] != s.worker_id.as_str()
                || java_st["version"].as_str() != s.version.as_deref()
                || java_st["trace"].as_str() != s.trace.as_deref()
            {
                return Err(format!("{c} {what}: Java {java_st}, Strait {s:?}"));
            }
            let raw = status_latest.get(&key).cloned().flatten();
            if raw.is_some() && raw != encode_status(s) {
                return Err(format!(
                    "{key}: Java wrote {}, Strait encodes {}",
                    String::from_utf8_lossy(raw.as_deref().unwrap()),
                    String::from_utf8_lossy(&encode_status(s).unwrap_or_default())
                ));
            }
        }
        // Active topics (KIP-558 records on the status topic).
        let (_, topics) = java.get(&format!("/connectors/{c}/topics"));
        let java_topics: BTreeSet<String> = topics[c]["topics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_string())
            .collect();
        let strait_topics: BTreeSet<String> =
            status.topics(c).iter().map(|t| t.topic.clone()).collect();
        if java_topics != strait_topics {
            return Err(format!(
                "{c} topics: Java {java_topics:?}, Strait {strait_topics:?}"
            ));
        }
        // Source offsets (a sink's offsets are its consumer group's, not in the topic).
        if info["type"] == "source" {
            let (_, java_offsets) = java.get(&format!("/connectors/{c}/offsets"));
            let java_offsets: BTreeSet<String> = java_offsets["offsets"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| json!([o["partition"], o["offset"]]).to_string())
                .collect();
            let strait_offsets: BTreeSet<String> = offsets
                .connector_offsets(c)
                .into_iter()
                .map(|(p, o)| json!([p, o]).to_string())
                .collect();
            if java_offsets != strait_offsets {
                return Err(format!(
                    "{c} offsets: Java {java_offsets:?}, Strait {strait_offsets:?}"
                ));
            }
        }
    }
    Ok(())
}

#[test]
fn internal_topics_java_writes_strait_reads() {
    let _lock = java_test_lock();
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let settings = JavaWorkerSettings::unique("interop-j2s");
    let java = JavaWorker::start(dir.path(), &settings);
    let data = unique("interop-j2s-data");
    let input = dir.path().join("in.txt");
    let text: String = (0..5).map(|i| format!("java line {i}\n")).collect();
    std::fs::write(&input, &text).unwrap();
    let (source, sink, stopped) = (
        format!("{data}-source"),
        format!("{data}-sink"),
        format!("{data}-stopped"),
    );
    let create = |name: &str, config: Value| {
        java.expect(
            "POST",
            "/connectors",
            Some(&json!({"name": name, "config": config})),
            201,
        );
    };
    create(
        &source,
        json!({"connector.class": "FileStreamSource", "tasks.max": "1",
               "file": input.display().to_string(), "topic": data}),
    );
    create(
        &sink,
        json!({"connector.class": SINK_CLASS, "tasks.max": "1",
               "file": dir.path().join("out.txt").display().to_string(), "topics": data}),
    );
    create(
        &stopped,
        json!({"connector.class": SOURCE_CLASS, "tasks.max": "1",
               "file": dir.path().join("other.txt").display().to_string(),
               "topic": format!("{data}-other")}),
    );

    // Strait opens the topics now, so that the records written from here on also arrive as
    // events (restart requests and logger levels only count after the initial read).
    let rt = runtime();
    let (config, status_tap, offsets_tap, config_tap) = rt.block_on(async {
        let config = ConfigStore::start(ConfigStoreSettings {
            log: log_settings(&settings.config_topic, false),
            replication_factor: 1,
            topic_configs: Props::new(),
            privileged_writes: false,
        })
        .await
        .unwrap();
        (
            config,
            TopicTap::open(&settings.status_topic, true).await,
            TopicTap::open(&settings.offset_topic, true).await,
            TopicTap::open(&settings.config_topic, true).await,
        )
    });
    let mut events = config.subscribe();

    java.expect(
        "PATCH",
        &format!("/connectors/{source}/config"),
        Some(&json!({"batch.size": "100"})),
        200,
    );
    java.expect("PUT", &format!("/connectors/{sink}/pause"), None, 202);
    java.expect("PUT", &format!("/connectors/{stopped}/stop"), None, 204);
    wait_state(&java, &source, "RUNNING", 1);
    wait_state(&java, &sink, "PAUSED", 1);
    wait_state(&java, &stopped, "STOPPED", 0);
    java.expect(
        "POST",
        &format!("/connectors/{source}/restart?includeTasks=true"),
        None,
        202,
    );
    java.expect(
        "PUT",
        "/admin/loggers/org.apache.kafka.connect?scope=cluster",
        Some(&json!({"level": "DEBUG"})),
        204,
    );
    wait_state(&java, &source, "RUNNING", 1);
    // The source read the whole file and committed it (offset.flush.interval.ms=1000).
    let partition = source_map(json!({"filename": input.display().to_string()}));
    let offset = source_map(json!({"position": text.len()}));
    java.wait_for(
        &format!("/connectors/{source}/offsets"),
        STATE_TIMEOUT,
        |o| o["offsets"] == json!([{"partition": partition, "offset": offset}]),
    );

    // Strait's view must equal Java's REST view (retried while Java may still write statuses).
    let connectors = [source.as_str(), sink.as_str(), stopped.as_str()];
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        rt.block_on(async {
            config.refresh(Duration::from_secs(30)).await.unwrap();
            status_tap.read_to_end().await;
            offsets_tap.read_to_end().await;
        });
        let outcome = compare_with_rest(
            &java,
            &connectors,
            &config.snapshot(),
            &status_tap.status_store(),
            &status_tap.latest(),
            &offsets_tap.offset_state(),
        );
        match outcome {
            Ok(()) => break,
            Err(diff) if Instant::now() > deadline => {
                panic!(
                    "Strait's view differs from Java's: {diff}\nJava log:\n{}",
                    java.log()
                )
            }
            Err(_) => std::thread::sleep(Duration::from_millis(500)),
        }
    }

    let snapshot = config.snapshot();
    // Explicit expectations on top of the comparison.
    assert_eq!(snapshot.target_state(&sink), Some(TargetState::Paused));
    assert_eq!(snapshot.target_state(&stopped), Some(TargetState::Stopped));
    assert_eq!(snapshot.target_state(&source), Some(TargetState::Started));
    assert_eq!(snapshot.connector_task_counts.get(&stopped), Some(&0));
    assert_eq!(snapshot.task_count(&source), 1);
    assert_eq!(
        snapshot
            .connector_config(&source)
            .unwrap()
            .get("batch.size"),
        Some(&"100".to_string()),
        "the PATCHed config"
    );
    // Java's worker speaks `sessioned` by default: its leader distributed a session key.
    let key = snapshot
        .session_key
        .clone()
        .expect("no session key read from the config topic");
    assert_eq!(key.algorithm, "HmacSHA256");
    assert_eq!(key.key.len(), 32, "HmacSHA256 keys are 256 bits");

    // The restart request and the cluster logger level arrived as events.
    let events = drain(&mut events);
    assert!(
        events.contains(&ConfigEvent::RestartRequested(RestartRequest {
            connector: source.clone(),
            only_failed: false,
            include_tasks: true,
        })),
        "no restart event in {events:?}"
    );
    assert!(
        events.contains(&ConfigEvent::LoggerLevel {
            namespace: "org.apache.kafka.connect".into(),
            level: "DEBUG".into(),
        }),
        "no logger event in {events:?}"
    );
    assert!(events.contains(&ConfigEvent::ConnectorConfigUpdated(source.clone())));
    assert!(events.contains(&ConfigEvent::TargetStateChanged(sink.clone())));
    assert!(events.contains(&ConfigEvent::TargetStateChanged(stopped.clone())));

    // Byte for byte: Strait's encoders write what Java wrote for the same content.
    rt.block_on(config_tap.read_to_end());
    let raw = config_tap.latest();
    let bytes = |key: &str| -> Vec<u8> {
        raw.get(key)
            .cloned()
            .flatten()
            .unwrap_or_else(|| panic!("no record {key} in the config topic"))
    };
    let text_of = |b: &[u8]| String::from_utf8_lossy(b).to_string();
    for (key, ours) in [
        (
            target_state_key(&sink),
            encode_target_state(TargetState::Paused),
        ),
        (
            target_state_key(&stopped),
            encode_target_state(TargetState::Stopped),
        ),
        (commit_tasks_key(&stopped), encode_commit(0)),
        (commit_tasks_key(&source), encode_commit(1)),
        (
            restart_key(&source),
            encode_restart_request(&RestartRequest {
                connector: source.clone(),
                only_failed: false,
                include_tasks: true,
            }),
        ),
        (
            logger_cluster_key("org.apache.kafka.connect"),
            encode_logger_level("DEBUG"),
        ),
        (SESSION_KEY_KEY.to_string(), encode_session_key(&key)),
    ] {
        assert_eq!(text_of(&bytes(&key)), text_of(&ours), "record {key}");
    }
    // Property maps: Java writes HashMap order, so compare as maps.
    for (key, expected) in [
        (connector_key(&source), snapshot.connector_config(&source)),
        (task_key(&source, 0), snapshot.task_config(&source, 0)),
        (task_key(&sink, 0), snapshot.task_config(&sink, 0)),
    ] {
        let v: Value = serde_json::from_slice(&bytes(&key)).unwrap();
        assert_eq!(Some(&props_of(&v["properties"])), expected, "record {key}");
    }
    // The stopped connector's task status was deleted (a tombstone), and Strait dropped it.
    assert_eq!(status_tap.status_store().task_status(&stopped, 0), None);
    assert!(status_tap
        .latest()
        .contains_key(&task_status_key(&stopped, 0)));
    // Every status record Java wrote parses, and re-encodes to the same bytes (and, for the
    // active-topic records, the same key).
    let mut checked = 0;
    for (key, value) in status_tap.latest() {
        let Some(v) = value else { continue };
        if key.starts_with("status-topic-") {
            let parsed = parse_topic_status(&v).unwrap_or_else(|e| panic!("{key}: {e}"));
            let (our_key, our_value) = encode_topic_status(&parsed);
            assert_eq!(our_key, key);
            assert_eq!(text_of(&our_value.unwrap()), text_of(&v), "record {key}");
        } else {
            let parsed = parse_status(&v).unwrap_or_else(|e| panic!("{key}: {e}"));
            assert_eq!(
                text_of(&encode_status(&parsed).unwrap()),
                text_of(&v),
                "record {key}"
            );
        }
        checked += 1;
    }
    // Connector and task statuses of the source and the sink, the stopped connector's status,
    // and the two active topics.
    assert!(checked >= 7, "only {checked} status records");
    // The offset record: Java's key and value bytes are Strait's encoding.
    let offsets = offsets_tap.offset_state();
    assert_eq!(
        offsets.known_key(&source, &partition).map(text_of),
        Some(text_of(&java_offset_key(&source, &partition)))
    );
    assert_eq!(
        offsets.get_raw(&source, &partition).map(text_of),
        Some(text_of(&java_offset_value(&offset)))
    );
    // The sink task's config carries what Java's Worker adds to a sink's task configs.
    assert_eq!(
        snapshot
            .task_config(&sink, 0)
            .unwrap()
            .get("task.class")
            .map(String::as_str),
        Some("org.apache.kafka.connect.file.FileStreamSinkTask")
    );

    java.stop();
    eprintln!("java → strait took {:?}", started.elapsed());
}

#[test]
fn internal_topics_strait_writes_java_reads() {
    let _lock = java_test_lock();
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let settings = JavaWorkerSettings::unique("interop-s2j");
    let data = unique("interop-s2j-data");
    let (source, stopped) = (format!("{data}-source"), format!("{data}-stopped"));
    let input = dir.path().join("in.txt");
    let lines: Vec<String> = (0..10).map(|i| format!("strait line {i}")).collect();
    std::fs::write(
        &input,
        lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
    )
    .unwrap();
    // Java's FileStreamSourceTask offset: the position after the last line it sent. ASCII only:
    // the task counts characters but skips bytes on restart.
    let skip = 4;
    let position: usize = lines[..skip].iter().map(|l| l.len() + 1).sum();
    let input_name = input.display().to_string();

    let source_config = props(&[
        ("name", &source),
        ("connector.class", SOURCE_CLASS),
        ("tasks.max", "1"),
        ("file", &input_name),
        ("topic", &data),
    ]);
    // What Java's worker makes of FileStreamSourceConnector.taskConfigs: the connector's
    // config plus `task.class` (Worker.connectorTaskConfigs).
    let mut task_config = source_config.clone();
    task_config.insert("task.class".into(), SOURCE_TASK_CLASS.into());
    let other = dir.path().join("other.txt").display().to_string();
    let stopped_config = props(&[
        ("name", &stopped),
        ("connector.class", "FileStreamSource"),
        ("tasks.max", "1"),
        ("file", &other),
        ("topic", &format!("{data}-other")),
    ]);
    let partition = source_map(json!({"filename": input_name}));
    let offset = source_map(json!({"position": position}));

    let rt = runtime();
    let config = rt.block_on(async {
        let config = ConfigStore::start(ConfigStoreSettings {
            log: log_settings(&settings.config_topic, false),
            replication_factor: 1,
            topic_configs: Props::new(),
            privileged_writes: false,
        })
        .await
        .unwrap();
        config
            .put_connector_config(&source, &source_config, Some(TargetState::Paused))
            .await
            .unwrap();
        config
            .put_task_configs(&source, std::slice::from_ref(&task_config))
            .await
            .unwrap();
        config
            .put_connector_config(&stopped, &stopped_config, Some(TargetState::Stopped))
            .await
            .unwrap();
        config.put_task_configs(&stopped, &[]).await.unwrap();

        let admin = clients().admin;
        for (name, partitions, setting, purpose) in [
            (
                &settings.offset_topic,
                settings.offset_partitions,
                "offset.storage.topic",
                "source connector offsets",
            ),
            (
                &settings.status_topic,
                settings.status_partitions,
                "status.storage.topic",
                "connector and task statuses",
            ),
        ] {
            let topic = InternalTopic {
                name: name.clone(),
                partitions: partitions as i32,
                replication_factor: 1,
                configs: Props::new(),
                worker_setting: setting.into(),
                purpose: purpose.into(),
            };
            ensure_internal_topic(&admin, &topic).await.unwrap();
        }
        let offsets = TopicTap::open(&settings.offset_topic, false).await;
        offsets
            .log
            .send(
                &java_offset_key(&source, &partition),
                Some(&java_offset_value(&offset)),
            )
            .await
            .unwrap();
        let statuses = TopicTap::open(&settings.status_topic, false).await;
        let (key, value) = encode_topic_status(&TopicStatus {
            topic: data.clone(),
            connector: source.clone(),
            task: 0,
            discover_timestamp: 1_700_000_000_000,
        });
        statuses
            .log
            .send(key.as_bytes(), value.as_deref())
            .await
            .unwrap();
        config
    });
    let mut events = config.subscribe();

    // Only now does a Java worker exist.
    let java = JavaWorker::start(dir.path(), &settings);
    let (_, listed) = java.get("/connectors");
    let listed: BTreeSet<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(listed, BTreeSet::from([source.as_str(), stopped.as_str()]));
    assert_eq!(
        props_of(&java.expect("GET", &format!("/connectors/{source}/config"), None, 200)),
        source_config
    );
    assert_eq!(
        props_of(&java.expect("GET", &format!("/connectors/{stopped}/config"), None, 200)),
        stopped_config
    );
    wait_state(&java, &source, "PAUSED", 1);
    wait_state(&java, &stopped, "STOPPED", 0);
    let task_configs = |java: &JavaWorker| -> Vec<(Value, Props)> {
        java.expect("GET", &format!("/connectors/{source}/tasks"), None, 200)
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["id"].clone(), props_of(&t["config"])))
            .collect()
    };
    let expected_tasks = vec![(json!({"connector": source, "task": 0}), task_config.clone())];
    assert_eq!(task_configs(&java), expected_tasks);
    assert_eq!(
        java.expect("GET", &format!("/connectors/{stopped}/tasks"), None, 200),
        json!([])
    );
    assert_eq!(
        java.expect("GET", &format!("/connectors/{source}/offsets"), None, 200),
        json!({"offsets": [{"partition": partition, "offset": offset}]})
    );
    assert_eq!(
        java.expect("GET", &format!("/connectors/{stopped}/offsets"), None, 200),
        json!({"offsets": []})
    );
    // The active-topic record Strait wrote (the source is paused: Java wrote none itself).
    assert_eq!(
        java.expect("GET", &format!("/connectors/{source}/topics"), None, 200),
        json!({source.clone(): {"topics": [data]}})
    );

    // Resumed, the source continues from Strait's offset: the topic holds only later lines.
    java.expect("PUT", &format!("/connectors/{source}/resume"), None, 202);
    wait_state(&java, &source, "RUNNING", 1);
    let sent = super::consume(&data, lines.len() - skip, |m| {
        use rdkafka::Message;
        let v: Value = serde_json::from_slice(m.payload().unwrap()).unwrap();
        v["payload"].as_str().unwrap().to_string()
    });
    assert_eq!(sent, lines[skip..].to_vec());
    let end = source_map(json!({"position": lines.iter().map(|l| l.len() + 1).sum::<usize>()}));
    java.wait_for(
        &format!("/connectors/{source}/offsets"),
        STATE_TIMEOUT,
        |o| o["offsets"] == json!([{"partition": partition, "offset": end}]),
    );
    // Java found Strait's task configs equal to what the connector generates: it kept them.
    assert_eq!(task_configs(&java), expected_tasks);
    rt.block_on(config.refresh(Duration::from_secs(30)))
        .unwrap();
    let events = drain(&mut events);
    assert!(
        !events.iter().any(|e| matches!(e, ConfigEvent::TaskConfigsUpdated(t) if t.iter().any(|t| t.connector == source))),
        "Java rewrote the task configs Strait wrote: {events:?}"
    );
    // And Strait reads back what Java wrote in turn: the resume and the session key.
    let snapshot = config.snapshot();
    assert_eq!(snapshot.target_state(&source), Some(TargetState::Started));
    assert!(events.contains(&ConfigEvent::TargetStateChanged(source.clone())));
    assert!(
        snapshot.session_key.is_some(),
        "Java's session key not read"
    );

    java.stop();
    eprintln!("strait → java took {:?}", started.elapsed());
}
