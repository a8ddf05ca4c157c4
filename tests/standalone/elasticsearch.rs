//! The Elasticsearch sink end to end: real Kafka, real OpenSearch 2.19 (from `cargo xtask
//! services up opensearch`; Elasticsearch itself has no package this machine can install, and
//! OpenSearch serves the same bulk, index, mapping and data stream APIs), the real binary.
//! Every test reads back what the server holds and compares it with the records it produced.
//!
//! The tests share one server and the fault test stops it for 30 s, so they run one at a time:
//! a process-wide lock for `cargo test`, the `opensearch` test group (`.config/nextest.toml`)
//! for nextest.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::{json, Value};

use super::*;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The server's URL, or `None` (and a printed reason) when the tests should skip.
fn opensearch() -> Option<String> {
    match std::env::var("STRAIT_TEST_OPENSEARCH") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!(
                "skipped: STRAIT_TEST_OPENSEARCH is not set (run `cargo xtask test`, or `cargo xtask services up opensearch` \
                 and export STRAIT_TEST_OPENSEARCH=http://127.0.0.1:9200)"
            );
            None
        }
    }
}

/// One call to the server: status and JSON body (Null when empty or not JSON).
fn os(method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let url = format!("{}{path}", opensearch().expect("opensearch"));
    super::s3::runtime().block_on(async {
        let client = reqwest::Client::new();
        let mut req = client.request(method.parse().unwrap(), &url);
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(serde_json::to_vec(&b).unwrap());
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    })
}

/// Every document of `index` (after a refresh): id → (version, source).
fn documents(index: &str) -> BTreeMap<String, (i64, Value)> {
    os("POST", &format!("/{index}/_refresh"), None);
    let (status, body) = os(
        "POST",
        &format!("/{index}/_search?version=true&size=10000"),
        Some(json!({"query": {"match_all": {}}})),
    );
    assert_eq!(status, 200, "search {index}: {body}");
    body["hits"]["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["_id"].as_str().unwrap().to_string(),
                (h["_version"].as_i64().unwrap_or(-1), h["_source"].clone()),
            )
        })
        .collect()
}

fn count(index: &str) -> i64 {
    os("POST", &format!("/{index}/_refresh"), None);
    let (_, body) = os("GET", &format!("/{index}/_count"), None);
    body["count"].as_i64().unwrap_or(-1)
}

/// Wait until `index` holds `want` documents.
fn wait_count(w: &Worker, index: &str, want: i64, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let n = count(index);
        if n == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{index} holds {n} documents, want {want}; log:\n{}",
            w.log()
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// One record to produce: partition, key, value, headers.
pub(super) struct Rec<'a> {
    pub(super) partition: i32,
    pub(super) key: Option<&'a str>,
    pub(super) value: Option<String>,
    pub(super) headers: Vec<(&'a str, String)>,
    pub(super) timestamp: Option<i64>,
}

pub(super) fn rec<'a>(partition: i32, key: Option<&'a str>, value: Option<String>) -> Rec<'a> {
    Rec {
        partition,
        key,
        value,
        headers: Vec::new(),
        timestamp: None,
    }
}

pub(super) fn produce(topic: &str, records: &[Rec<'_>]) {
    use rdkafka::message::{Header, OwnedHeaders};
    use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
    let producer: BaseProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("linger.ms", "5")
        .create()
        .unwrap();
    for r in records {
        let mut headers = OwnedHeaders::new();
        for (k, v) in &r.headers {
            headers = headers.insert(Header {
                key: k,
                value: Some(v.as_bytes()),
            });
        }
        let mut record: BaseRecord<'_, str, str> = BaseRecord::to(topic)
            .partition(r.partition)
            .headers(headers);
        if let Some(k) = r.key {
            record = record.key(k);
        }
        if let Some(v) = &r.value {
            record = record.payload(v.as_str());
        }
        if let Some(ts) = r.timestamp {
            record = record.timestamp(ts);
        }
        let mut record = record;
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((e, back)) => {
                    assert!(
                        matches!(
                            e,
                            rdkafka::error::KafkaError::MessageProduction(
                                rdkafka::types::RDKafkaErrorCode::QueueFull
                            )
                        ),
                        "{e}"
                    );
                    record = back;
                    producer.poll(Duration::from_millis(50));
                }
            }
        }
    }
    producer.flush(Duration::from_secs(30)).unwrap();
}

/// Worker settings: JSON values without schemas (the converter the seed example relies on),
/// string keys.
pub(super) const JSON_WORKER: &str = "value.converter=org.apache.kafka.connect.json.JsonConverter\nvalue.converter.schemas.enable=false\n";

fn connector(name: &str, topic: &str, extra: &[(&str, &str)]) -> String {
    let mut config = serde_json::Map::new();
    config.insert(
        "connector.class".into(),
        "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector".into(),
    );
    config.insert("tasks.max".into(), "1".into());
    config.insert("topics".into(), topic.into());
    config.insert("connection.url".into(), opensearch().unwrap().into());
    for (k, v) in extra {
        config.insert(k.to_string(), Value::String(v.to_string()));
    }
    json!({"name": name, "config": config}).to_string()
}

fn delete_index(index: &str) {
    os("DELETE", &format!("/{index}"), None);
}

/// The seed example, unchanged but for the server's address: `key.ignore` and `schema.ignore`
/// true, three tasks, `type.name` (accepted, as Confluent's 10.x took it). Documents are the
/// records' JSON, ids `topic+partition+offset`, and nothing is versioned.
#[test]
fn seed_example_indexes_every_record_as_it_was_produced() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if opensearch().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("Es-Events");
    let index = topic.to_lowercase();
    super::s3::create_topic(&topic, 3);
    let mut records = Vec::new();
    let mut want = BTreeMap::new();
    for p in 0..3 {
        for i in 0..400i64 {
            let doc = json!({"id": p as i64 * 1000 + i, "name": format!("n{i}"), "nested": {"a": [1, 2, i]}, "price": 1.25});
            // Some payloads pretty-printed over several lines: the bulk body must stay NDJSON.
            let text = if i % 50 == 0 {
                serde_json::to_string_pretty(&doc).unwrap()
            } else {
                doc.to_string()
            };
            records.push(rec(p, Some("ignored"), Some(text)));
            want.insert(format!("{topic}+{p}+{i}"), doc);
        }
    }
    produce(&topic, &records);
    let seed = r#"{"name": "elasticsearch-sink", "config": {
  "connector.class": "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector",
  "tasks.max": "3", "topics": "events", "connection.url": "http://elasticsearch:9200",
  "type.name": "_doc", "key.ignore": "true", "schema.ignore": "true"}}"#;
    let seed = seed
        .replace("\"events\"", &format!("\"{topic}\""))
        .replace("http://elasticsearch:9200", &opensearch().unwrap());
    let w = Worker::start(dir.path(), "es-seed", JSON_WORKER, &[("es.json", seed)]);
    wait_count(&w, &index, 1200, Duration::from_secs(90));
    let docs = documents(&index);
    assert_eq!(docs.len(), want.len());
    for (id, doc) in &want {
        let (version, source) = docs.get(id).unwrap_or_else(|| panic!("no document {id}"));
        assert_eq!(source, doc, "document {id}");
        // key.ignore: internal versioning. A bulk request retried after a read timeout (a
        // loaded machine) rewrites its documents with the same ids: the version grows, the
        // index still holds each record once.
        assert!(*version >= 1, "document {id}: version {version}");
    }
    let (_, status) = w.get("/connectors/elasticsearch-sink/status");
    assert_eq!(status["tasks"].as_array().unwrap().len(), 3, "{status}");
    for t in status["tasks"].as_array().unwrap() {
        assert_eq!(t["state"], "RUNNING", "{status}");
    }
    w.stop();
    delete_index(&index);
}

/// Keys as ids with external versions (the Kafka offset), upserts, deletes on tombstones,
/// and a version header.
#[test]
fn keys_versions_upserts_and_deletes() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if opensearch().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Index with keys as ids: a later record for a key replaces the document, at the record's
    // offset as its version; a tombstone deletes it.
    let t1 = unique("es-keys");
    super::s3::create_topic(&t1, 1);
    produce(
        &t1,
        &[
            rec(0, Some("a"), Some(r#"{"v":1}"#.into())),
            rec(0, Some("b"), Some(r#"{"v":2}"#.into())),
            rec(0, Some("a"), Some(r#"{"v":3}"#.into())),
            rec(0, Some("c"), Some(r#"{"v":4}"#.into())),
            rec(0, Some("c"), None),
            rec(0, Some("d"), None), // deleting what does not exist
        ],
    );
    // Upserts merge partial documents; versions come from a header instead.
    let t2 = unique("es-upsert");
    super::s3::create_topic(&t2, 1);
    produce(
        &t2,
        &[
            rec(0, Some("x"), Some(r#"{"a":1}"#.into())),
            rec(0, Some("x"), Some(r#"{"b":2}"#.into())),
            rec(0, Some("y"), Some(r#"{"a":9}"#.into())),
        ],
    );
    let t3 = unique("es-vheader");
    super::s3::create_topic(&t3, 1);
    let mut with_version = rec(0, Some("h"), Some(r#"{"n":"late"}"#.into()));
    with_version.headers.push(("ver", "500".into()));
    let mut older = rec(0, Some("h"), Some(r#"{"n":"old"}"#.into()));
    older.headers.push(("ver", "20".into()));
    produce(&t3, &[with_version, older]);

    let connectors = [
        (
            "keys.json",
            connector(
                "es-keys",
                &t1,
                &[
                    ("key.ignore", "false"),
                    ("schema.ignore", "true"),
                    ("behavior.on.null.values", "delete"),
                ],
            ),
        ),
        (
            "upsert.json",
            connector(
                "es-upsert",
                &t2,
                &[
                    ("key.ignore", "false"),
                    ("schema.ignore", "true"),
                    ("write.method", "upsert"),
                ],
            ),
        ),
        (
            "vheader.json",
            connector(
                "es-vheader",
                &t3,
                &[
                    ("key.ignore", "false"),
                    ("schema.ignore", "true"),
                    ("external.version.header", "ver"),
                ],
            ),
        ),
    ];
    let w = Worker::start(dir.path(), "es-keys", JSON_WORKER, &connectors);
    wait_count(&w, &t1, 2, Duration::from_secs(60));
    wait_count(&w, &t2, 2, Duration::from_secs(60));
    wait_count(&w, &t3, 1, Duration::from_secs(60));
    // Deletes come after the index of "c": wait until it is gone.
    let deadline = Instant::now() + Duration::from_secs(30);
    let docs = loop {
        let docs = documents(&t1);
        if !docs.contains_key("c") || Instant::now() > deadline {
            break docs;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(docs.keys().collect::<Vec<_>>(), vec!["a", "b"]);
    assert_eq!(
        docs["a"],
        (2, json!({"v": 3})),
        "the later record, at its offset"
    );
    assert_eq!(docs["b"], (1, json!({"v": 2})));
    let docs = documents(&t2);
    assert_eq!(docs["x"].1, json!({"a": 1, "b": 2}), "upserts merge");
    assert_eq!(docs["y"].1, json!({"a": 9}));
    let docs = documents(&t3);
    // The older version (20) arrived later but loses: the document keeps version 500.
    assert_eq!(docs["h"], (500, json!({"n": "late"})));
    for c in ["es-keys", "es-upsert", "es-vheader"] {
        let (_, status) = w.get(&format!("/connectors/{c}/status"));
        assert_eq!(status["tasks"][0]["state"], "RUNNING", "{status}");
    }
    w.stop();
    for t in [&t1, &t2, &t3] {
        delete_index(t);
    }
}

/// A document the index's mapping refuses goes to the DLQ with the server's reason; the rest
/// is indexed and the task keeps running (`behavior.on.malformed.documents=warn`). A null
/// value under `behavior.on.null.values=ignore` is reported too, as Confluent does.
#[test]
fn malformed_documents_go_to_the_dlq_with_the_servers_reason() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if opensearch().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("es-malformed");
    let dlq = unique("es-dlq");
    super::s3::create_topic(&topic, 1);
    let (status, body) = os(
        "PUT",
        &format!("/{topic}"),
        Some(json!({"mappings": {"properties": {"n": {"type": "long"}}}})),
    );
    assert_eq!(status, 200, "{body}");
    produce(
        &topic,
        &[
            rec(0, None, Some(r#"{"n":1}"#.into())),
            rec(0, None, Some(r#"{"n":"not a number"}"#.into())),
            rec(0, None, None),
            rec(0, None, Some(r#"{"n":3}"#.into())),
            rec(0, None, Some("not json at all".into())),
            rec(0, None, Some(r#"{"n":4}"#.into())),
        ],
    );
    let w = Worker::start(
        dir.path(),
        "es-malformed",
        JSON_WORKER,
        &[(
            "es.json",
            connector(
                "es-malformed",
                &topic,
                &[
                    ("key.ignore", "true"),
                    ("schema.ignore", "true"),
                    ("behavior.on.malformed.documents", "warn"),
                    ("behavior.on.null.values", "ignore"),
                    ("errors.tolerance", "all"),
                    ("errors.deadletterqueue.topic.name", &dlq),
                    ("errors.deadletterqueue.topic.replication.factor", "1"),
                    ("errors.deadletterqueue.context.headers.enable", "true"),
                ],
            ),
        )],
    );
    wait_count(&w, &topic, 3, Duration::from_secs(60));
    let docs = documents(&topic);
    let values: Vec<&Value> = docs.values().map(|(_, s)| s).collect();
    assert_eq!(
        values,
        vec![&json!({"n":1}), &json!({"n":3}), &json!({"n":4})]
    );
    // Three records in the DLQ, each with its reason: the mapping conflict (the server's
    // words), the null value, the converter failure (framework, stage VALUE_CONVERTER).
    let dead = consume(&dlq, 3, |m| {
        use rdkafka::message::{Headers, Message};
        let mut h = BTreeMap::new();
        if let Some(hs) = m.headers() {
            for x in hs.iter() {
                h.insert(
                    x.key.to_string(),
                    String::from_utf8_lossy(x.value.unwrap_or_default()).to_string(),
                );
            }
        }
        (
            m.offset(),
            m.payload().map(|p| String::from_utf8_lossy(p).to_string()),
            h,
        )
    });
    let mut dead = dead;
    dead.sort_by_key(|d| d.0);
    let reason = |i: usize| dead[i].2["__connect.errors.exception.message"].clone();
    let by_value: BTreeMap<Option<String>, String> =
        (0..3).map(|i| (dead[i].1.clone(), reason(i))).collect();
    let mapping = &by_value[&Some(r#"{"n":"not a number"}"#.to_string())];
    assert!(
        mapping.contains("mapper_parsing_exception") && mapping.starts_with("Indexing failed: "),
        "{mapping}"
    );
    assert_eq!(by_value[&None], "Cannot write null valued record.");
    assert!(by_value.contains_key(&Some("not json at all".to_string())));
    let (_, status) = w.get("/connectors/es-malformed/status");
    assert_eq!(status["tasks"][0]["state"], "RUNNING", "{status}");
    w.stop();
    delete_index(&topic);
}

/// The default `behavior.on.malformed.documents=fail`: the task fails, naming the DLQ, and the
/// offset does not move past the refused record.
#[test]
fn a_malformed_document_fails_the_task_by_default() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if opensearch().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("es-fail");
    super::s3::create_topic(&topic, 1);
    os(
        "PUT",
        &format!("/{topic}"),
        Some(json!({"mappings": {"properties": {"n": {"type": "long"}}}})),
    );
    produce(
        &topic,
        &[
            rec(0, None, Some(r#"{"n":1}"#.into())),
            rec(0, None, Some(r#"{"n":"x"}"#.into())),
        ],
    );
    let w = Worker::start(
        dir.path(),
        "es-fail",
        JSON_WORKER,
        &[(
            "es.json",
            connector(
                "es-fail",
                &topic,
                &[("key.ignore", "true"), ("schema.ignore", "true")],
            ),
        )],
    );
    wait_rest(&w);
    let deadline = Instant::now() + Duration::from_secs(60);
    let trace = loop {
        let (_, status) = w.get("/connectors/es-fail/status");
        if status["tasks"][0]["state"] == "FAILED" {
            break status["tasks"][0]["trace"]
                .as_str()
                .unwrap_or_default()
                .to_string();
        }
        assert!(
            Instant::now() < deadline,
            "never failed: {status}\n{}",
            w.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        trace.contains("Indexing record failed"),
        "{trace}\n{}",
        w.log()
    );
    assert!(trace.contains("mapper_parsing_exception"), "{trace}");
    w.stop();
    delete_index(&topic);
}

/// Strait's `index.name.format`: the index from a field of the value and the record time,
/// without SMTs; names follow Confluent's rules (lower case).
#[test]
fn index_names_from_fields_and_record_time() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if opensearch().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("es-routed");
    super::s3::create_topic(&topic, 1);
    // 2026-09-30T23:30:00Z and 2026-10-01T00:30:00Z: two months.
    let sept = 1_790_811_000_000i64;
    let oct = sept + 3_600_000;
    let run = topic.rsplit('-').next().unwrap().to_string();
    let mut records = Vec::new();
    for (i, (service, ts)) in [("Api", sept), ("Web", sept), ("Api", oct), ("Api", oct)]
        .iter()
        .enumerate()
    {
        let mut r = rec(
            0,
            None,
            Some(json!({"svc": {"name": format!("{service}{run}")}, "i": i}).to_string()),
        );
        r.timestamp = Some(*ts);
        records.push(r);
    }
    produce(&topic, &records);
    let w = Worker::start(
        dir.path(),
        "es-routed",
        JSON_WORKER,
        &[(
            "es.json",
            connector(
                "es-routed",
                &topic,
                &[
                    ("key.ignore", "true"),
                    ("schema.ignore", "true"),
                    (
                        "index.name.format",
                        "routed-%{field:svc.name}-%{timestamp:yyyy.MM}",
                    ),
                ],
            ),
        )],
    );
    let api_sept = format!("routed-api{run}-2026.09");
    let web_sept = format!("routed-web{run}-2026.09");
    let api_oct = format!("routed-api{run}-2026.10");
    wait_count(&w, &api_oct, 2, Duration::from_secs(60));
    wait_count(&w, &api_sept, 1, Duration::from_secs(10));
    wait_count(&w, &web_sept, 1, Duration::from_secs(10));
    let docs = documents(&api_oct);
    let mut ids: Vec<i64> = docs
        .values()
        .map(|(_, s)| s["i"].as_i64().unwrap())
        .collect();
    ids.sort();
    assert_eq!(ids, vec![2, 3]);
    assert!(docs
        .values()
        .all(|(_, s)| s["svc"]["name"] == format!("Api{run}")));
    w.stop();
    for i in [api_sept, web_sept, api_oct] {
        delete_index(&i);
    }
}

/// Data streams: `logs-<dataset>-<topic>`, written with `create`, `@timestamp` from the record.
#[test]
fn data_streams_get_their_timestamp() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if opensearch().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("es-ds");
    super::s3::create_topic(&topic, 1);
    // OpenSearch has no built-in `logs-*-*` template (Elasticsearch has): make one.
    let (status, body) = os(
        "PUT",
        "/_index_template/strait-test-logs",
        Some(json!({"index_patterns": ["logs-strait-*"], "data_stream": {}, "priority": 200})),
    );
    assert_eq!(status, 200, "{body}");
    produce(
        &topic,
        &[
            rec(0, None, Some(r#"{"msg":"one"}"#.into())),
            rec(
                0,
                None,
                Some(r#"{"msg":"two","at":"2026-01-02T03:04:05Z"}"#.into()),
            ),
        ],
    );
    let stream = format!("logs-strait-{}", topic.to_lowercase());
    let w = Worker::start(
        dir.path(),
        "es-ds",
        JSON_WORKER,
        &[(
            "es.json",
            connector(
                "es-ds",
                &topic,
                &[
                    ("key.ignore", "true"),
                    ("schema.ignore", "true"),
                    ("data.stream.type", "logs"),
                    ("data.stream.dataset", "strait"),
                ],
            ),
        )],
    );
    wait_count(&w, &stream, 2, Duration::from_secs(60));
    let (_, ds) = os("GET", &format!("/_data_stream/{stream}"), None);
    assert_eq!(ds["data_streams"][0]["name"], stream, "{ds}");
    let docs = documents(&stream);
    for (_, source) in docs.values() {
        // The record timestamp (ms since the epoch), injected into the document.
        let ts = source["@timestamp"].as_i64().unwrap_or(0);
        assert!(ts > 1_700_000_000_000, "{source}");
    }
    w.stop();
    os("DELETE", &format!("/_data_stream/{stream}"), None);
}

/// `schema.ignore=false` with schemas (JsonConverter envelopes): the index gets Confluent's
/// mapping from the value schema before the first document, and Decimal values become doubles.
#[test]
fn mappings_come_from_connect_schemas() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if opensearch().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("es-schema");
    super::s3::create_topic(&topic, 1);
    let schema = json!({"type": "struct", "optional": false, "fields": [
        {"field": "id", "type": "int32", "optional": false},
        {"field": "name", "type": "string", "optional": true},
        {"field": "when", "type": "int64", "optional": true, "name": "org.apache.kafka.connect.data.Timestamp", "version": 1},
        {"field": "price", "type": "bytes", "optional": true, "name": "org.apache.kafka.connect.data.Decimal", "version": 1, "parameters": {"scale": "2"}}
    ]});
    let records: Vec<Rec<'_>> = (0..5)
        .map(|i| {
            // 12.34 + i as an unscaled big-endian integer (1234 + 100 i), base64.
            let unscaled: i32 = 1234 + 100 * i;
            let bytes = unscaled.to_be_bytes();
            let trimmed: &[u8] = &bytes[2..];
            let b64 = base64_encode(trimmed);
            rec(
                0,
                None,
                Some(
                    json!({"schema": schema, "payload": {"id": i, "name": format!("n{i}"), "when": 1_700_000_000_000i64 + i as i64, "price": b64}})
                        .to_string(),
                ),
            )
        })
        .collect();
    produce(&topic, &records);
    let w = Worker::start(
        dir.path(),
        "es-schema",
        "value.converter=org.apache.kafka.connect.json.JsonConverter\nvalue.converter.schemas.enable=true\n",
        &[(
            "es.json",
            connector("es-schema", &topic, &[("key.ignore", "true"), ("schema.ignore", "false")]),
        )],
    );
    wait_count(&w, &topic, 5, Duration::from_secs(60));
    let (_, mapping) = os("GET", &format!("/{topic}/_mapping"), None);
    let props = &mapping[&topic]["mappings"]["properties"];
    assert_eq!(props["id"]["type"], "integer", "{mapping}");
    assert_eq!(props["name"]["type"], "text", "{mapping}");
    assert_eq!(
        props["name"]["fields"]["keyword"]["type"], "keyword",
        "{mapping}"
    );
    assert_eq!(props["when"]["type"], "date", "{mapping}");
    assert_eq!(props["price"]["type"], "double", "{mapping}");
    let docs = documents(&topic);
    let mut prices: Vec<f64> = docs
        .values()
        .map(|(_, s)| s["price"].as_f64().unwrap())
        .collect();
    prices.sort_by(|a, b| a.partial_cmp(b).unwrap());
    assert_eq!(prices, vec![12.34, 13.34, 14.34, 15.34, 16.34]);
    w.stop();
    delete_index(&topic);
}

fn base64_encode(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Resident memory of a process, from /proc (kB).
fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The server goes away for 30 s while records stream in, then comes back: the task never
/// fails, every record ends up indexed exactly once (ids are `topic+partition+offset`, and
/// every document has version 1), the backlog drains, and the worker's memory stays within its
/// budget meanwhile (its partitions pause instead of buffering).
#[test]
fn server_stopped_30s_mid_stream_loses_nothing_and_duplicates_nothing() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if opensearch().is_none() {
        return;
    }
    let Ok(ctl) = std::env::var("STRAIT_TEST_OPENSEARCH_CTL") else {
        eprintln!(
            "skipped: STRAIT_TEST_OPENSEARCH_CTL is not set (the server's stop/start script)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("es-outage");
    super::s3::create_topic(&topic, 4);
    let batch = |from: i64, n: i64| -> Vec<Rec<'static>> {
        (from..from + n)
            .map(|i| {
                rec(
                    (i % 4) as i32,
                    None,
                    Some(json!({"i": i, "pad": "x".repeat(200)}).to_string()),
                )
            })
            .collect()
    };
    produce(&topic, &batch(0, 20_000));
    let budget_mb = 16;
    let w = Worker::start(
        dir.path(),
        "es-outage",
        JSON_WORKER,
        &[(
            "es.json",
            connector(
                "es-outage",
                &topic,
                &[
                    ("key.ignore", "true"),
                    ("schema.ignore", "true"),
                    ("max.buffered.bytes", &(budget_mb * 1024 * 1024).to_string()),
                    ("max.buffered.records", "5000"),
                    ("batch.size", "1000"),
                    ("retry.backoff.ms", "200"),
                    ("read.timeout.ms", "2000"),
                ],
            ),
        )],
    );
    wait_count(&w, &topic.to_lowercase(), 20_000, Duration::from_secs(120));
    let before = rss_kb(w.child.id());
    let stop = Command::new("sh").arg(&ctl).arg("stop").output().unwrap();
    assert!(
        stop.status.success(),
        "{}",
        String::from_utf8_lossy(&stop.stderr)
    );
    // 100k more records arrive while the server is away (~25 MB of JSON, more than the budget).
    let producing = std::thread::spawn({
        let topic = topic.clone();
        move || produce(&topic, &batch(20_000, 100_000))
    });
    let mut peak = before;
    let until = Instant::now() + Duration::from_secs(30);
    while Instant::now() < until {
        peak = peak.max(rss_kb(w.child.id()));
        let (_, status) = w.get("/connectors/es-outage/status");
        assert_eq!(
            status["tasks"][0]["state"],
            "RUNNING",
            "{status}\n{}",
            w.log()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    producing.join().unwrap();
    let start = Command::new("sh").arg(&ctl).arg("start").output().unwrap();
    assert!(
        start.status.success(),
        "{}",
        String::from_utf8_lossy(&start.stderr)
    );
    wait_count(&w, &topic.to_lowercase(), 120_000, Duration::from_secs(240));
    let (_, status) = w.get("/connectors/es-outage/status");
    assert_eq!(status["tasks"][0]["state"], "RUNNING", "{status}");
    let docs = documents_ids_and_versions(&topic.to_lowercase());
    assert_eq!(docs.len(), 120_000);
    // Ids are topic+partition+offset: 120,000 documents means no record was indexed twice as
    // two documents. A bulk request cut off by the stop, or retried after a read timeout, is
    // written again under the same ids (a higher version), which is the at-least-once contract.
    let rewritten = docs.iter().filter(|(_, v)| *v > 1).count();
    assert!(
        rewritten <= 20_000,
        "{rewritten} documents were written more than once (more than the records produced \
         before the stop)"
    );
    let grew_mb = peak.saturating_sub(before) / 1024;
    // The budget, plus the batches between the consumer and the task (4 × up to 8192 records
    // of ~230 B) and allocator slack.
    assert!(
        grew_mb <= budget_mb as u64 * 2 + 32,
        "RSS grew by {grew_mb} MB during the outage (budget {budget_mb} MB)"
    );
    w.stop();
    delete_index(&topic.to_lowercase());
}

/// Ids and versions of every document, scrolled in pages (more than a search returns at once).
fn documents_ids_and_versions(index: &str) -> Vec<(String, i64)> {
    os("POST", &format!("/{index}/_refresh"), None);
    let mut out = Vec::new();
    let mut after: Option<Value> = None;
    loop {
        let mut q =
            json!({"size": 10000, "version": true, "_source": false, "sort": [{"_id": "asc"}]});
        if let Some(a) = &after {
            q["search_after"] = a.clone();
        }
        let (status, body) = os("POST", &format!("/{index}/_search"), Some(q));
        assert_eq!(status, 200, "{body}");
        let hits = body["hits"]["hits"].as_array().unwrap().clone();
        if hits.is_empty() {
            return out;
        }
        for h in &hits {
            out.push((
                h["_id"].as_str().unwrap().to_string(),
                h["_version"].as_i64().unwrap_or(-1),
            ));
        }
        after = hits.last().map(|h| h["sort"].clone());
    }
}
