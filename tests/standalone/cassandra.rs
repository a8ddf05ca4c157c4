//! The Cassandra sink end to end: real Kafka, real Apache Cassandra 5.0 (from `cargo xtask
//! services up cassandra`), the real binary. Every test reads the table back with CQL and
//! compares it with the records it produced.
//!
//! The tests share one node and the fault test stops it, so they run one at a time: a
//! process-wide lock for `cargo test`, the `cassandra` test group (`.config/nextest.toml`) for
//! nextest.

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
use scylla::value::{CqlValue, Row};
use serde_json::{json, Value};

use super::elasticsearch_sink::{produce, rec, Rec, JSON_WORKER};
use super::*;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The node's `host:port`, or `None` (and a printed reason) when the tests should skip.
fn cassandra() -> Option<String> {
    match std::env::var("STRAIT_TEST_CASSANDRA") {
        Ok(addr) if !addr.is_empty() => Some(addr),
        _ => {
            eprintln!(
                "skipped: STRAIT_TEST_CASSANDRA is not set (run `cargo xtask test`, or `cargo xtask \
                 services up cassandra` and export STRAIT_TEST_CASSANDRA=127.0.0.1:9042)"
            );
            None
        }
    }
}

/// The CQL client's runtime: multi-threaded, so the driver's connection pools keep
/// reconnecting in the background between calls (after the fault test restarts the node).
fn client_runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap()
    })
}

/// A CQL client for reading back, made again after it failed.
static CLIENT: Mutex<Option<std::sync::Arc<Session>>> = Mutex::new(None);

fn client() -> Result<std::sync::Arc<Session>, String> {
    let mut guard = CLIENT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(s) = &*guard {
        return Ok(s.clone());
    }
    let session = client_runtime()
        .block_on(async {
            SessionBuilder::new()
                .known_node(cassandra().expect("cassandra"))
                .build()
                .await
        })
        .map_err(|e| e.to_string())?;
    let session = std::sync::Arc::new(session);
    *guard = Some(session.clone());
    Ok(session)
}

/// Run one CQL statement; its rows. Retries (with a new client) while the node is coming back
/// from a restart.
fn cql(statement: &str) -> Vec<Vec<Option<CqlValue>>> {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let result = client().and_then(|session| {
            client_runtime()
                .block_on(async { session.query_unpaged(statement, &[]).await })
                .map_err(|e| e.to_string())
        });
        match result {
            Ok(r) => {
                return match r.into_rows_result() {
                    Ok(rows) => rows
                        .rows::<Row>()
                        .unwrap()
                        .map(|r| r.unwrap().columns)
                        .collect(),
                    Err(_) => Vec::new(),
                }
            }
            Err(e) if Instant::now() < deadline && !e.contains("Invalid") => {
                *CLIENT.lock().unwrap_or_else(|e| e.into_inner()) = None;
                std::thread::sleep(Duration::from_millis(500));
            }
            Err(e) => panic!("{statement}: {e}"),
        }
    }
}

fn count(table: &str) -> i64 {
    match cql(&format!("SELECT COUNT(*) FROM {table}")).first() {
        Some(row) => match &row[0] {
            Some(CqlValue::BigInt(n)) => *n,
            other => panic!("count: {other:?}"),
        },
        None => 0,
    }
}

fn wait_count(w: &Worker, table: &str, want: i64, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let n = count(table);
        if n == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{table} holds {n} rows, want {want}; log:\n{}",
            w.log()
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// A fresh keyspace (replication 1) for one test.
fn keyspace(prefix: &str) -> String {
    let ks = unique(prefix).to_lowercase().replace('-', "_");
    cql(&format!(
        "CREATE KEYSPACE {ks} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}"
    ));
    ks
}

fn connector(name: &str, topic: &str, extra: &[(&str, &str)]) -> String {
    let mut config = serde_json::Map::new();
    config.insert(
        "connector.class".into(),
        "com.datastax.oss.kafka.sink.CassandraSinkConnector".into(),
    );
    config.insert("tasks.max".into(), "1".into());
    config.insert("topics".into(), topic.into());
    let addr = cassandra().unwrap();
    let (host, port) = addr.rsplit_once(':').unwrap();
    config.insert("contactPoints".into(), host.into());
    config.insert("port".into(), port.into());
    config.insert("loadBalancing.localDc".into(), "datacenter1".into());
    for (k, v) in extra {
        config.insert(k.to_string(), Value::String(v.to_string()));
    }
    json!({"name": name, "config": config}).to_string()
}

fn text(v: &Option<CqlValue>) -> Option<String> {
    match v {
        Some(CqlValue::Text(s)) | Some(CqlValue::Ascii(s)) => Some(s.clone()),
        None => None,
        other => panic!("not text: {other:?}"),
    }
}

fn int(v: &Option<CqlValue>) -> Option<i64> {
    match v {
        Some(CqlValue::Int(i)) => Some(*i as i64),
        Some(CqlValue::BigInt(i)) => Some(*i),
        Some(CqlValue::Counter(c)) => Some(c.0),
        None => None,
        other => panic!("not an integer: {other:?}"),
    }
}

/// The seed example, unchanged but for the node's address, the names and `tasks.max`'s three
/// tasks: the shorthand `topic.events.keyspace.table.mapping = analytics.events` maps every
/// value field to its column; each row's write time is its record's Kafka timestamp.
#[test]
fn seed_example_writes_every_record_with_its_kafka_timestamp() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if cassandra().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ks = keyspace("seed");
    cql(&format!(
        "CREATE TABLE {ks}.events (id int PRIMARY KEY, name text, amount double, at timestamp, tags list<text>)"
    ));
    let topic = unique("cass-events");
    super::s3::create_topic(&topic, 3);
    let mut records = Vec::new();
    let mut want = BTreeMap::new();
    for i in 0..600i64 {
        let doc = json!({"id": i, "name": format!("n{i}"), "amount": i as f64 * 0.5,
                         "at": "2024-05-01T10:15:30.123Z", "tags": ["a", format!("t{i}")]});
        let mut r = rec((i % 3) as i32, Some("k"), Some(doc.to_string()));
        r.timestamp = Some(1_700_000_000_000 + i);
        records.push(r);
        want.insert(i, doc);
    }
    produce(&topic, &records);
    let seed = r#"{"name": "cassandra-sink", "config": {
  "connector.class": "com.datastax.oss.kafka.sink.CassandraSinkConnector",
  "tasks.max": "3", "topics": "events", "contactPoints": "cassandra1,cassandra2,cassandra3",
  "loadBalancing.localDc": "datacenter1",
  "topic.events.keyspace.table.mapping": "analytics.events",
  "topic.events.keyspace.table.consistencyLevel": "LOCAL_QUORUM"}}"#;
    let addr = cassandra().unwrap();
    let (host, port) = addr.rsplit_once(':').unwrap();
    let seed = seed
        .replace("\"events\"", &format!("\"{topic}\""))
        .replace("topic.events.", &format!("topic.{topic}."))
        .replace("analytics.events", &format!("{ks}.events"))
        .replace("cassandra1,cassandra2,cassandra3", host)
        .replace(
            "\"loadBalancing.localDc\"",
            &format!("\"port\": \"{port}\", \"loadBalancing.localDc\""),
        );
    // A record with a field the table has no column for: named in the task's failure, after
    // the 600 rows before it are written.
    let mut extra = rec(
        0,
        Some("k"),
        Some(json!({"id": 9999, "colour": "red"}).to_string()),
    );
    extra.timestamp = Some(1_700_000_000_000);
    produce(&topic, &[extra]);
    let w = Worker::start(dir.path(), "cass-seed", JSON_WORKER, &[("c.json", seed)]);
    wait_count(&w, &format!("{ks}.events"), 600, Duration::from_secs(120));
    let deadline = Instant::now() + Duration::from_secs(60);
    let trace = loop {
        let (_, status) = w.get("/connectors/cassandra-sink/status");
        let failed: Vec<String> = status["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["state"] == "FAILED")
            .map(|t| t["trace"].as_str().unwrap_or_default().to_string())
            .collect();
        if let Some(t) = failed.first() {
            break t.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no task failed on the extra field: {status}"
        );
        std::thread::sleep(Duration::from_millis(300));
    };
    assert!(
        trace.contains("Extraneous field 'value.colour'") && trace.contains("no column colour"),
        "{trace}"
    );
    let rows = cql(&format!(
        "SELECT id, name, amount, at, tags, WRITETIME(name) FROM {ks}.events"
    ));
    assert_eq!(rows.len(), 600);
    for row in rows {
        let id = int(&row[0]).unwrap();
        let doc = &want[&id];
        assert_eq!(text(&row[1]).as_deref(), doc["name"].as_str(), "row {id}");
        assert_eq!(row[2], Some(CqlValue::Double(id as f64 * 0.5)), "row {id}");
        match &row[3] {
            Some(CqlValue::Timestamp(t)) => assert_eq!(t.0, 1_714_558_530_123, "row {id}"),
            other => panic!("row {id}: at = {other:?}"),
        }
        // A record delivered twice (a rebalance among the three tasks' consumers, or a batch
        // retried after a timeout on a loaded machine) appends its list elements again: with
        // the same write time, the overwrite's tombstone is older than the first write's
        // elements (Cassandra's list semantics, documented). Anything else is wrong.
        let once = vec![CqlValue::Text("a".into()), CqlValue::Text(format!("t{id}"))];
        match &row[4] {
            Some(CqlValue::List(items))
                if !items.is_empty() && items.chunks(2).all(|c| c == once.as_slice()) => {}
            other => panic!("row {id}: tags = {other:?}"),
        }
        assert_eq!(
            int(&row[5]),
            Some((1_700_000_000_000 + id) * 1000),
            "write time of row {id}"
        );
    }
    let (_, status) = w.get("/connectors/cassandra-sink/status");
    assert_eq!(status["tasks"].as_array().unwrap().len(), 3, "{status}");
    w.stop();
    cql(&format!("DROP KEYSPACE {ks}"));
}

/// DataStax's mapping language: the key, nested value fields, a header, `now()`, quoted
/// identifiers, `__ttl` and `__timestamp` with their units, a static TTL on a second table.
#[test]
fn mapping_language_ttl_and_write_time() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if cassandra().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ks = keyspace("mapping");
    cql(&format!(
        "CREATE TABLE {ks}.orders (\"OrderId\" text, line int, city text, source text, \
         uid timeuuid, qty bigint, PRIMARY KEY (\"OrderId\", line))"
    ));
    cql(&format!(
        "CREATE TABLE {ks}.audit (id text PRIMARY KEY, note text)"
    ));
    let topic = unique("cass-map");
    super::s3::create_topic(&topic, 1);
    let mut records: Vec<Rec<'static>> = Vec::new();
    for i in 0..5i64 {
        let doc = json!({"line": i, "address": {"city": format!("c{i}")}, "qty": i * 10,
                         "ttl": 3600, "written": 1_600_000_000_000i64 + i});
        let mut r = rec(
            0,
            Some(Box::leak(format!("order-{}", i % 2).into_boxed_str())),
            Some(doc.to_string()),
        );
        r.headers.push(("origin", format!("shop{i}")));
        records.push(r);
    }
    produce(&topic, &records);
    let mapping =
        "\"OrderId\"=key, line=value.line, city=value.address.city, source=header.origin, \
                   uid=now(), qty=value.qty, __ttl=value.ttl, __timestamp=value.written";
    let orders_key = format!("topic.{topic}.{ks}.orders.mapping");
    let orders_ts = format!("topic.{topic}.{ks}.orders.timestampTimeUnit");
    let audit_key = format!("topic.{topic}.{ks}.audit.mapping");
    let audit_ttl = format!("topic.{topic}.{ks}.audit.ttl");
    let audit_unit = format!("topic.{topic}.{ks}.audit.ttlTimeUnit");
    let w = Worker::start(
        dir.path(),
        "cass-map",
        &format!("{JSON_WORKER}key.converter=org.apache.kafka.connect.storage.StringConverter\n"),
        &[(
            "c.json",
            connector(
                "cass-map",
                &topic,
                &[
                    (&orders_key, mapping),
                    (&orders_ts, "MILLISECONDS"),
                    (&audit_key, "id=key, note=value.address.city"),
                    (&audit_ttl, "2"),
                    (&audit_unit, "HOURS"),
                ],
            ),
        )],
    );
    wait_count(&w, &format!("{ks}.orders"), 5, Duration::from_secs(120));
    wait_count(&w, &format!("{ks}.audit"), 2, Duration::from_secs(60));
    let rows = cql(&format!(
        "SELECT \"OrderId\", line, city, source, uid, qty, TTL(city), WRITETIME(city) FROM {ks}.orders"
    ));
    for row in &rows {
        let line = int(&row[1]).unwrap();
        assert_eq!(text(&row[0]), Some(format!("order-{}", line % 2)));
        assert_eq!(text(&row[2]), Some(format!("c{line}")));
        assert_eq!(text(&row[3]), Some(format!("shop{line}")));
        assert!(
            matches!(row[4], Some(CqlValue::Timeuuid(_))),
            "{:?}",
            row[4]
        );
        assert_eq!(int(&row[5]), Some(line * 10));
        let ttl = int(&row[6]).unwrap();
        assert!((3500..=3600).contains(&ttl), "ttl {ttl}");
        assert_eq!(
            int(&row[7]),
            Some((1_600_000_000_000 + line) * 1000),
            "__timestamp in ms"
        );
    }
    // Two keys: the later record of each wins (a higher write time); TTL 2 hours in seconds.
    let audit = cql(&format!("SELECT id, note, TTL(note) FROM {ks}.audit"));
    let notes: BTreeMap<String, String> = audit
        .iter()
        .map(|r| (text(&r[0]).unwrap(), text(&r[1]).unwrap()))
        .collect();
    assert_eq!(notes["order-0"], "c4");
    assert_eq!(notes["order-1"], "c3");
    for r in &audit {
        let ttl = int(&r[2]).unwrap();
        assert!((7000..=7200).contains(&ttl), "static ttl {ttl}");
    }
    w.stop();
    cql(&format!("DROP KEYSPACE {ks}"));
}

/// Deletes: with every column mapped, a record whose non-key fields are all null (a tombstone)
/// deletes its row; with `deletesEnabled=false` it writes nulls (left unset) instead. Counter
/// tables add up. A custom `query` binds the mapping's variables.
#[test]
fn deletes_counters_and_custom_queries() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if cassandra().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ks = keyspace("writes");
    cql(&format!(
        "CREATE TABLE {ks}.kv (k text PRIMARY KEY, v text)"
    ));
    cql(&format!(
        "CREATE TABLE {ks}.kv_keep (k text PRIMARY KEY, v text)"
    ));
    cql(&format!(
        "CREATE TABLE {ks}.hits (page text PRIMARY KEY, n counter)"
    ));
    cql(&format!(
        "CREATE TABLE {ks}.custom (k text PRIMARY KEY, v text, extra text)"
    ));
    let t_kv = unique("cass-kv");
    let t_hits = unique("cass-hits");
    super::s3::create_topic(&t_kv, 1);
    super::s3::create_topic(&t_hits, 1);
    produce(
        &t_kv,
        &[
            rec(0, Some("a"), Some(r#"{"v":"1"}"#.into())),
            rec(0, Some("b"), Some(r#"{"v":"2"}"#.into())),
            rec(0, Some("c"), Some(r#"{"v":"3"}"#.into())),
            rec(0, Some("a"), None),
            rec(0, Some("b"), Some(r#"{"v":null}"#.into())),
        ],
    );
    let mut hits = Vec::new();
    for i in 0..30 {
        hits.push(rec(
            0,
            Some("p"),
            Some(json!({"page": format!("page{}", i % 3), "n": i}).to_string()),
        ));
    }
    produce(&t_hits, &hits);
    let kv = format!("topic.{t_kv}.{ks}.kv.mapping");
    let keep = format!("topic.{t_kv}.{ks}.kv_keep.mapping");
    let keep_deletes = format!("topic.{t_kv}.{ks}.kv_keep.deletesEnabled");
    let custom = format!("topic.{t_kv}.{ks}.custom.mapping");
    let custom_query = format!("topic.{t_kv}.{ks}.custom.query");
    let custom_deletes = format!("topic.{t_kv}.{ks}.custom.deletesEnabled");
    let hits_map = format!("topic.{t_hits}.{ks}.hits.mapping");
    let query = format!("INSERT INTO {ks}.custom (k, v, extra) VALUES (:k, :v, 'fixed')");
    let key_worker =
        format!("{JSON_WORKER}key.converter=org.apache.kafka.connect.storage.StringConverter\n");
    let w = Worker::start(
        dir.path(),
        "cass-writes",
        &key_worker,
        &[
            (
                "kv.json",
                connector(
                    "cass-kv",
                    &t_kv,
                    &[
                        (&kv, "k=key, v=value.v"),
                        (&keep, "k=key, v=value.v"),
                        (&keep_deletes, "false"),
                        (&custom, "k=key, v=value.v"),
                        (&custom_query, &query),
                        (&custom_deletes, "false"),
                    ],
                ),
            ),
            (
                "hits.json",
                connector(
                    "cass-hits",
                    &t_hits,
                    &[(&hits_map, "page=value.page, n=value.n")],
                ),
            ),
        ],
    );
    // kv: a deleted by its tombstone, b deleted by its all-null record, c stays.
    let deadline = Instant::now() + Duration::from_secs(120);
    while count(&format!("{ks}.custom")) < 3 || count(&format!("{ks}.kv")) != 1 {
        assert!(
            Instant::now() < deadline,
            "kv/custom not written; log:\n{}",
            w.log()
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    let kv_rows = cql(&format!("SELECT k, v FROM {ks}.kv"));
    assert_eq!(
        kv_rows,
        vec![vec![
            Some(CqlValue::Text("c".into())),
            Some(CqlValue::Text("3".into()))
        ]]
    );
    // kv_keep: no deletes; the nulls were left unset (nullToUnset), so earlier values remain.
    let keep_rows: BTreeMap<String, Option<String>> =
        cql(&format!("SELECT k, v FROM {ks}.kv_keep"))
            .iter()
            .map(|r| (text(&r[0]).unwrap(), text(&r[1])))
            .collect();
    assert_eq!(keep_rows.len(), 3, "{keep_rows:?}");
    assert_eq!(keep_rows["a"].as_deref(), Some("1"));
    assert_eq!(keep_rows["b"].as_deref(), Some("2"));
    let custom_rows = cql(&format!(
        "SELECT k, v, extra FROM {ks}.custom WHERE k = 'c'"
    ));
    assert_eq!(text(&custom_rows[0][2]).as_deref(), Some("fixed"));
    // Counters: 0+3+…+27, 1+4+…+28, 2+5+…+29.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let sums: BTreeMap<String, i64> = cql(&format!("SELECT page, n FROM {ks}.hits"))
            .iter()
            .map(|r| (text(&r[0]).unwrap(), int(&r[1]).unwrap()))
            .collect();
        let want: BTreeMap<String, i64> = (0..3)
            .map(|p| (format!("page{p}"), (0..30).filter(|i| i % 3 == p).sum()))
            .collect();
        if sums == want {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "counters {sums:?}, want {want:?}; log:\n{}",
            w.log()
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    w.stop();
    cql(&format!("DROP KEYSPACE {ks}"));
}

/// Records that do not fit the table (a field of the wrong type, a null primary key, a mapped
/// field the record lacks) go to the dead letter queue with the reason under
/// `errors.tolerance=all`, and the rest are written; without it, the task fails naming the
/// record's problem. A consistency level the cluster cannot meet is honoured: nothing is
/// written, the task waits.
#[test]
fn bad_records_go_to_the_dlq_or_fail_the_task() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if cassandra().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ks = keyspace("bad");
    cql(&format!(
        "CREATE TABLE {ks}.t (id int PRIMARY KEY, n int, s text)"
    ));
    cql(&format!(
        "CREATE TABLE {ks}.strict (id int PRIMARY KEY, n int, s text)"
    ));
    let topic = unique("cass-bad");
    let dlq = unique("cass-dlq");
    super::s3::create_topic(&topic, 1);
    produce(
        &topic,
        &[
            rec(0, None, Some(r#"{"id":1,"n":1,"s":"ok"}"#.into())),
            rec(
                0,
                None,
                Some(r#"{"id":2,"n":"not a number","s":"x"}"#.into()),
            ),
            rec(0, None, Some(r#"{"id":null,"n":3,"s":"y"}"#.into())),
            rec(0, None, Some(r#"{"id":4,"n":99999999999,"s":"z"}"#.into())),
            rec(0, None, Some(r#"{"id":5,"n":5,"s":"ok"}"#.into())),
        ],
    );
    let t_map = format!("topic.{topic}.{ks}.t.mapping");
    let strict_topic = unique("cass-strict");
    super::s3::create_topic(&strict_topic, 1);
    produce(
        &strict_topic,
        &[
            rec(0, None, Some(r#"{"id":1,"n":1}"#.into())),
            rec(0, None, Some(r#"{"id":2,"n":"two"}"#.into())),
        ],
    );
    let strict_map = format!("topic.{strict_topic}.{ks}.strict.mapping");
    let w = Worker::start(
        dir.path(),
        "cass-bad",
        JSON_WORKER,
        &[
            (
                "bad.json",
                connector(
                    "cass-bad",
                    &topic,
                    &[
                        (&t_map, "id=value.id, n=value.n, s=value.s"),
                        ("errors.tolerance", "all"),
                        ("errors.deadletterqueue.topic.name", &dlq),
                        ("errors.deadletterqueue.topic.replication.factor", "1"),
                        ("errors.deadletterqueue.context.headers.enable", "true"),
                    ],
                ),
            ),
            (
                "strict.json",
                connector(
                    "cass-strict",
                    &strict_topic,
                    &[(&strict_map, "id=value.id, n=value.n")],
                ),
            ),
        ],
    );
    wait_count(&w, &format!("{ks}.t"), 2, Duration::from_secs(120));
    let dead = consume(&dlq, 3, |m| {
        use rdkafka::message::{Headers, Message};
        let mut reason = String::new();
        if let Some(hs) = m.headers() {
            for x in hs.iter() {
                if x.key == "__connect.errors.exception.message" {
                    reason = String::from_utf8_lossy(x.value.unwrap_or_default()).to_string();
                }
            }
        }
        reason
    });
    let has = |needles: &[&str]| dead.iter().any(|r| needles.iter().all(|n| r.contains(n)));
    assert!(has(&["'not a number'", "column n (int)"]), "{dead:?}");
    assert!(
        has(&["Primary key column id cannot be mapped to null"]),
        "{dead:?}"
    );
    assert!(
        has(&["99999999999 is out of range for CQL type int"]),
        "{dead:?}"
    );
    let (_, status) = w.get("/connectors/cass-bad/status");
    assert_eq!(status["tasks"][0]["state"], "RUNNING", "{status}");
    let trace = wait_task_failed(&w, "cass-strict");
    assert!(
        trace.contains("'two'") && trace.contains("column n (int)"),
        "{trace}"
    );
    assert_eq!(count(&format!("{ks}.strict")), 1);
    w.stop();
    cql(&format!("DROP KEYSPACE {ks}"));
}

/// A table or keyspace that does not exist, or a mapping that misses the primary key, fails
/// the task at start with DataStax's message.
#[test]
fn schema_mismatches_fail_the_task_at_start() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if cassandra().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ks = keyspace("schema");
    cql(&format!(
        "CREATE TABLE {ks}.t (id int, day text, v text, PRIMARY KEY (id, day))"
    ));
    let topic = unique("cass-schema");
    super::s3::create_topic(&topic, 1);
    let missing = format!("topic.{topic}.{ks}.nope.mapping");
    let partial = format!("topic.{topic}.{ks}.t.mapping");
    let w = Worker::start(
        dir.path(),
        "cass-schema",
        JSON_WORKER,
        &[
            (
                "a.json",
                connector("cass-missing", &topic, &[(&missing, "id=value.id")]),
            ),
            (
                "b.json",
                connector(
                    "cass-partial",
                    &topic,
                    &[(&partial, "id=value.id, v=value.v, w=value.w")],
                ),
            ),
        ],
    );
    wait_rest(&w);
    let trace = wait_task_failed(&w, "cass-missing");
    assert!(trace.contains("Table nope does not exist."), "{trace}");
    let trace = wait_task_failed(&w, "cass-partial");
    assert!(
        trace.contains("The following columns do not exist in table t: w"),
        "{trace}"
    );
    w.stop();
    cql(&format!("DROP KEYSPACE {ks}"));
}

/// The node stops mid-stream for 20 s and comes back: the task does not die, nothing is lost,
/// and the committed offsets never pass rows that are not written.
#[test]
fn node_stopped_mid_stream_loses_nothing() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if cassandra().is_none() {
        return;
    }
    let Ok(ctl) = std::env::var("STRAIT_TEST_CASSANDRA_CTL") else {
        eprintln!("skipped: STRAIT_TEST_CASSANDRA_CTL is not set (the node's stop/start script)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ks = keyspace("outage");
    cql(&format!(
        "CREATE TABLE {ks}.t (id bigint PRIMARY KEY, pad text)"
    ));
    let topic = unique("cass-outage");
    super::s3::create_topic(&topic, 4);
    let batch = |from: i64, n: i64| -> Vec<Rec<'static>> {
        (from..from + n)
            .map(|i| {
                rec(
                    (i % 4) as i32,
                    None,
                    Some(json!({"id": i, "pad": "x".repeat(100)}).to_string()),
                )
            })
            .collect()
    };
    produce(&topic, &batch(0, 5_000));
    let map = format!("topic.{topic}.{ks}.t.mapping");
    let w = Worker::start(
        dir.path(),
        "cass-outage",
        &format!("{JSON_WORKER}offset.flush.interval.ms=1000\n"),
        &[(
            "c.json",
            connector(
                "cass-outage",
                &topic,
                &[
                    (&map, "id=value.id, pad=value.pad"),
                    ("queryExecutionTimeout", "3"),
                ],
            ),
        )],
    );
    wait_count(&w, &format!("{ks}.t"), 5_000, Duration::from_secs(120));
    let stop = Command::new("sh").arg(&ctl).arg("stop").output().unwrap();
    assert!(
        stop.status.success(),
        "{}",
        String::from_utf8_lossy(&stop.stderr)
    );
    produce(&topic, &batch(5_000, 20_000));
    let until = Instant::now() + Duration::from_secs(20);
    while Instant::now() < until {
        let (_, status) = w.get("/connectors/cass-outage/status");
        assert_eq!(
            status["tasks"][0]["state"],
            "RUNNING",
            "{status}\n{}",
            w.log()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let start = Command::new("sh").arg(&ctl).arg("start").output().unwrap();
    assert!(
        start.status.success(),
        "{}",
        String::from_utf8_lossy(&start.stderr)
    );
    wait_count(&w, &format!("{ks}.t"), 25_000, Duration::from_secs(240));
    let (_, status) = w.get("/connectors/cass-outage/status");
    assert_eq!(status["tasks"][0]["state"], "RUNNING", "{status}");
    let ids: std::collections::BTreeSet<i64> = cql(&format!("SELECT id FROM {ks}.t"))
        .iter()
        .map(|r| int(&r[0]).unwrap())
        .collect();
    assert_eq!(ids, (0..25_000).collect());
    w.stop();
    cql(&format!("DROP KEYSPACE {ks}"));
}
