//! The HTTP sink end to end: real Kafka, the real binary, and a real HTTP server on loopback
//! ([`HttpServer`]) that records what the sink sends and answers as each test scripts it
//! (framing, 429/5xx bursts, OAuth2 tokens, records refused with 400, Aiven's defaults).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use super::elasticsearch_sink::{produce, rec, JSON_WORKER};
use super::http_server::{HttpServer, Recorded, Reply};
use super::*;

fn connector(name: &str, class: &str, topic: &str, config: &[(&str, &str)]) -> String {
    let mut c = serde_json::Map::new();
    c.insert("connector.class".into(), class.into());
    c.insert("tasks.max".into(), "1".into());
    c.insert("topics".into(), topic.into());
    for (k, v) in config {
        c.insert(k.to_string(), Value::String(v.to_string()));
    }
    json!({"name": name, "config": c}).to_string()
}

const CONFLUENT: &str = "io.confluent.connect.http.HttpSinkConnector";
const AIVEN: &str = "io.aiven.kafka.connect.http.HttpSinkConnector";

/// Wait until `done(requests)` holds.
fn wait_for(w: &Worker, server: &HttpServer, what: &str, done: impl Fn(&[Recorded]) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let requests = server.requests();
        if done(&requests) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: never happened; {} requests: {:#?}\nlog:\n{}",
            requests.len(),
            requests.iter().take(20).collect::<Vec<_>>(),
            w.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Batches arrive framed as configured, grouped by key, every record once, URLs from the
/// topic and key; then the string format with raw separators.
#[test]
fn batches_arrive_with_the_configured_framing() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("http-frame");
    let text_topic = unique("http-text");
    super::s3::create_topic(&topic, 1);
    super::s3::create_topic(&text_topic, 1);
    let server = HttpServer::start(|_| Reply::status(200, "ok"));
    let keys = ["a", "b b", "c"];
    let records: Vec<_> = (0..25)
        .map(|i| rec(0, Some(keys[i % 3]), Some(json!({"n": i}).to_string())))
        .collect();
    produce(&topic, &records);
    let texts: Vec<_> = (0..7)
        .map(|i| rec(0, None, Some(format!("line {i}"))))
        .collect();
    produce(&text_topic, &texts);
    let json_sink = connector(
        "http-frame",
        CONFLUENT,
        &topic,
        &[
            ("http.api.url", &server.url("/in/${topic}/${key}")),
            ("request.body.format", "json"),
            ("batch.json.as.array", "true"),
            ("batch.max.size", "4"),
            ("batch.key.pattern", "${key}"),
            ("batch.prefix", "{\"records\":"),
            ("batch.suffix", "}"),
            ("headers", "X-Test: one|X-Other:two"),
        ],
    );
    let text_sink = connector(
        "http-text",
        CONFLUENT,
        &text_topic,
        &[
            ("http.api.url", &server.url("/text")),
            ("batch.max.size", "5"),
            ("batch.separator", "\n"),
            ("batch.prefix", "<<\n"),
            ("batch.suffix", "\n>>"),
            (
                "value.converter",
                "org.apache.kafka.connect.storage.StringConverter",
            ),
        ],
    );
    let w = Worker::start(
        dir.path(),
        "http-frame",
        JSON_WORKER,
        &[("json.json", json_sink), ("text.json", text_sink)],
    );
    let count = |rs: &[Recorded], path: &str| -> usize {
        rs.iter()
            .filter(|r| r.path().starts_with(path))
            .map(|r| {
                if path == "/text" {
                    r.body_text()
                        .lines()
                        .filter(|l| l.starts_with("line"))
                        .count()
                } else {
                    let v: Value = serde_json::from_slice(&r.body).unwrap();
                    v["records"].as_array().unwrap().len()
                }
            })
            .sum()
    };
    wait_for(&w, &server, "25 JSON and 7 text records", |rs| {
        count(rs, "/in/") >= 25 && count(rs, "/text") >= 7
    });
    std::thread::sleep(Duration::from_secs(1));
    let requests = server.requests();
    let mut seen: BTreeMap<i64, usize> = BTreeMap::new();
    for r in requests.iter().filter(|r| r.path().starts_with("/in/")) {
        assert_eq!(r.method, "POST");
        assert_eq!(r.header("x-test"), Some("one"));
        assert_eq!(r.header("x-other"), Some("two"));
        assert_eq!(r.header("content-type"), Some("application/json"));
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        let items = body["records"].as_array().unwrap();
        assert!(!items.is_empty() && items.len() <= 4, "{body}");
        // One key per request, and the URL names it (percent-encoded).
        let key_of = |n: i64| keys[n as usize % 3];
        let key = key_of(items[0]["n"].as_i64().unwrap());
        for item in items {
            let n = item["n"].as_i64().unwrap();
            assert_eq!(key_of(n), key, "one key per request: {body}");
            *seen.entry(n).or_default() += 1;
        }
        let want = format!("/in/{topic}/{}", key.replace(' ', "%20"));
        assert_eq!(r.path(), want);
    }
    assert_eq!(seen.len(), 25);
    assert!(seen.values().all(|&c| c == 1), "each record once: {seen:?}");
    let text: Vec<String> = requests
        .iter()
        .filter(|r| r.path() == "/text")
        .map(Recorded::body_text)
        .collect();
    let lines: Vec<String> = text
        .iter()
        .flat_map(|b| {
            assert!(b.starts_with("<<\n") && b.ends_with("\n>>"), "{b:?}");
            b.lines()
                .filter(|l| l.starts_with("line"))
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(
        lines,
        (0..7).map(|i| format!("line {i}")).collect::<Vec<_>>()
    );
    assert!(
        text.iter().all(|b| b.lines().count() <= 7),
        "at most 5 records a request"
    );
    w.stop();
}

/// 429 with Retry-After and 5xx bursts are retried within max.retries, then succeed.
#[test]
fn throttling_and_server_errors_are_retried() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("http-retry");
    super::s3::create_topic(&topic, 1);
    let calls = Arc::new(AtomicUsize::new(0));
    let accepted: Arc<Mutex<Vec<String>>> = Arc::default();
    let times: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let (c, a, t) = (calls.clone(), accepted.clone(), times.clone());
    let server = HttpServer::start(move |r| {
        t.lock().unwrap().push(Instant::now());
        match c.fetch_add(1, Ordering::SeqCst) {
            0 => Reply::status(429, "slow down").with_header("Retry-After", "1"),
            1 | 2 => Reply::status(503, "busy"),
            3 => Reply::status(502, "bad gateway"),
            _ => {
                a.lock().unwrap().push(r.body_text());
                Reply::status(200, "ok")
            }
        }
    });
    let records: Vec<_> = (0..6)
        .map(|i| rec(0, None, Some(format!("r{i}"))))
        .collect();
    produce(&topic, &records);
    let w = Worker::start(
        dir.path(),
        "http-retry",
        "",
        &[(
            "retry.json",
            connector(
                "http-retry",
                CONFLUENT,
                &topic,
                &[
                    ("http.api.url", &server.url("/in")),
                    ("batch.max.size", "100"),
                    ("max.retries", "5"),
                    ("retry.backoff.ms", "50"),
                    ("retry.on.status.codes", "429,500-"),
                ],
            ),
        )],
    );
    wait_for(&w, &server, "all six records accepted", |_| {
        accepted
            .lock()
            .unwrap()
            .iter()
            .flat_map(|b| b.split(','))
            .count()
            >= 6
    });
    std::thread::sleep(Duration::from_millis(500));
    let got: Vec<String> = accepted
        .lock()
        .unwrap()
        .iter()
        .flat_map(|b| b.split(',').map(str::to_string).collect::<Vec<_>>())
        .collect();
    assert_eq!(got, (0..6).map(|i| format!("r{i}")).collect::<Vec<_>>());
    let requests = server.requests();
    // The same body was tried again after each refusal (nothing was split: those were retried).
    assert!(requests[..5].iter().all(|r| r.body == requests[0].body));
    let (_, status) = w.get("/connectors/http-retry/status");
    assert_eq!(status["tasks"][0]["state"], "RUNNING", "{status}");
    // Retry-After: 1 was honoured (the jittered backoff alone is under 50 ms); the 5xx
    // retries followed the backoff.
    let times = times.lock().unwrap().clone();
    let gap = times[1] - times[0];
    assert!(gap >= Duration::from_millis(950), "{gap:?}");
    assert!(
        times[4] - times[1] < Duration::from_millis(900),
        "{:?}",
        times[4] - times[1]
    );
    w.stop();
}

/// OAuth2 client credentials: the token is fetched with HTTP Basic client authentication,
/// sent as a Bearer token, fetched again once it expires and after a 401.
#[test]
fn oauth2_tokens_are_fetched_sent_and_refreshed() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("http-oauth");
    super::s3::create_topic(&topic, 1);
    let issued = Arc::new(AtomicUsize::new(0));
    let accepted: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let refused_401 = Arc::new(AtomicUsize::new(0));
    let (iss, acc, refused) = (issued.clone(), accepted.clone(), refused_401.clone());
    let server = HttpServer::start(move |r| {
        if r.path() == "/token" {
            let n = iss.fetch_add(1, Ordering::SeqCst) + 1;
            // The first token expires at once (expires_in within the client's 30 s margin).
            let expires = if n == 1 { 32 } else { 3600 };
            return Reply::json(
                200,
                &json!({"access_token": format!("tok-{n}"), "token_type": "bearer", "expires_in": expires}),
            );
        }
        let auth = r.header("authorization").unwrap_or("").to_string();
        // Token 2 is revoked: the sink must fetch another after the 401.
        if auth == "Bearer tok-2" || !auth.starts_with("Bearer tok-") {
            refused.fetch_add(1, Ordering::SeqCst);
            return Reply::status(401, "token revoked");
        }
        acc.lock().unwrap().push((auth, r.body_text()));
        Reply::status(200, "ok")
    });
    produce(&topic, &[rec(0, None, Some("first".into()))]);
    let w = Worker::start(
        dir.path(),
        "http-oauth",
        "",
        &[(
            "oauth.json",
            connector(
                "http-oauth",
                CONFLUENT,
                &topic,
                &[
                    ("http.api.url", &server.url("/in")),
                    ("auth.type", "OAUTH2"),
                    ("oauth2.token.url", &server.url("/token")),
                    ("oauth2.client.id", "my-client"),
                    ("oauth2.client.secret", "s3cret"),
                    ("max.retries", "1"),
                    ("retry.backoff.ms", "50"),
                    ("retry.on.status.codes", "500-"),
                ],
            ),
        )],
    );
    wait_for(&w, &server, "the first record", |_| {
        !accepted.lock().unwrap().is_empty()
    });
    // Token 1 is stale after 2 s: the next record needs a new one (tok-2, revoked: 401, then tok-3).
    std::thread::sleep(Duration::from_secs(3));
    produce(&topic, &[rec(0, None, Some("second".into()))]);
    wait_for(&w, &server, "the second record", |_| {
        accepted.lock().unwrap().len() >= 2
    });
    let accepted = accepted.lock().unwrap().clone();
    assert_eq!(
        accepted,
        vec![
            ("Bearer tok-1".to_string(), "first".to_string()),
            ("Bearer tok-3".to_string(), "second".to_string()),
        ]
    );
    assert_eq!(issued.load(Ordering::SeqCst), 3);
    assert_eq!(refused_401.load(Ordering::SeqCst), 1);
    let token_request = server
        .requests()
        .into_iter()
        .find(|r| r.path() == "/token")
        .unwrap();
    // base64("my-client:s3cret")
    let basic = "bXktY2xpZW50OnMzY3JldA==";
    assert_eq!(
        token_request.header("authorization"),
        Some(format!("Basic {basic}").as_str())
    );
    assert!(
        token_request
            .body_text()
            .contains("grant_type=client_credentials"),
        "{}",
        token_request.body_text()
    );
    w.stop();
}

/// Records the endpoint refuses (400 for bodies with a marker) land in the DLQ with the status
/// and the server's reason; the other records of the same requests arrive, once each.
#[test]
fn refused_records_go_to_the_dlq_and_the_rest_arrive() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("http-dlq");
    let dlq = unique("http-dlq-dead");
    super::s3::create_topic(&topic, 1);
    let accepted: Arc<Mutex<Vec<String>>> = Arc::default();
    let acc = accepted.clone();
    let server = HttpServer::start(move |r| {
        let body = r.body_text();
        if body.contains("POISON") {
            return Reply::json(400, &json!({"error": "bad record: contains POISON"}));
        }
        acc.lock().unwrap().push(body);
        Reply::status(200, "ok")
    });
    let poison = [3usize, 11, 12, 28];
    let records: Vec<_> = (0..30)
        .map(|i| {
            let v = if poison.contains(&i) {
                format!("POISON-{i}")
            } else {
                format!("ok-{i}")
            };
            rec(0, None, Some(v))
        })
        .collect();
    produce(&topic, &records);
    let w = Worker::start(
        dir.path(),
        "http-dlq",
        "",
        &[(
            "dlq.json",
            connector(
                "http-dlq",
                CONFLUENT,
                &topic,
                &[
                    ("http.api.url", &server.url("/in")),
                    ("batch.max.size", "10"),
                    ("batch.separator", "\n"),
                    ("max.retries", "1"),
                    ("retry.backoff.ms", "10"),
                    ("errors.tolerance", "all"),
                    ("errors.deadletterqueue.topic.name", &dlq),
                    ("errors.deadletterqueue.topic.replication.factor", "1"),
                    ("errors.deadletterqueue.context.headers.enable", "true"),
                ],
            ),
        )],
    );
    wait_for(&w, &server, "the 26 good records", |_| {
        accepted
            .lock()
            .unwrap()
            .iter()
            .flat_map(|b| b.lines())
            .count()
            >= 26
    });
    std::thread::sleep(Duration::from_millis(500));
    let dead = consume(&dlq, poison.len(), |m| {
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
            m.payload().map(|p| String::from_utf8_lossy(p).to_string()),
            h,
        )
    });
    let mut values: Vec<String> = dead.iter().map(|d| d.0.clone().unwrap()).collect();
    values.sort();
    let mut want: Vec<String> = poison.iter().map(|i| format!("POISON-{i}")).collect();
    want.sort();
    assert_eq!(values, want);
    for (_, h) in &dead {
        let message = &h["__connect.errors.exception.message"];
        assert!(
            message.contains("HTTP 400") && message.contains("bad record: contains POISON"),
            "{message}"
        );
        assert_eq!(h["__connect.errors.topic"], topic);
    }
    let good: Vec<String> = accepted
        .lock()
        .unwrap()
        .iter()
        .flat_map(|b| b.lines().map(str::to_string).collect::<Vec<_>>())
        .collect();
    let want: Vec<String> = (0..30)
        .filter(|i| !poison.contains(i))
        .map(|i| format!("ok-{i}"))
        .collect();
    assert_eq!(good, want, "each good record once, in order");
    let (_, status) = w.get("/connectors/http-dlq/status");
    assert_eq!(status["tasks"][0]["state"], "RUNNING", "{status}");
    w.stop();
}

/// Aiven's class with its defaults: one POST per record with its text alone; with batching,
/// records joined by "\n" with a "\n" suffix; the static Authorization header and the
/// configured Content-Type; JSON objects as they are, JSON strings as their text.
#[test]
fn aiven_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let single = unique("http-aiven");
    let batched = unique("http-aiven-batch");
    super::s3::create_topic(&single, 1);
    super::s3::create_topic(&batched, 1);
    let server = HttpServer::start(|_| Reply::status(200, "ok"));
    let values = [r#"{"a":1}"#, r#""plain text""#, r#"{"b":[1,2]}"#];
    let records: Vec<_> = values
        .iter()
        .map(|v| rec(0, None, Some(v.to_string())))
        .collect();
    produce(&single, &records);
    produce(&batched, &records);
    let common = |url: String| -> Vec<(&'static str, String)> {
        vec![
            ("http.url", url),
            ("http.authorization.type", "static".into()),
            ("http.headers.authorization", "Bearer static-token".into()),
            ("http.headers.content.type", "application/json".into()),
        ]
    };
    let mut a: Vec<(&str, String)> = common(server.url("/single"));
    let one = connector(
        "http-aiven",
        AIVEN,
        &single,
        &a.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>(),
    );
    a = common(server.url("/batched"));
    a.push(("batching.enabled", "true".into()));
    let many = connector(
        "http-aiven-batch",
        AIVEN,
        &batched,
        &a.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>(),
    );
    let w = Worker::start(
        dir.path(),
        "http-aiven",
        JSON_WORKER,
        &[("one.json", one), ("many.json", many)],
    );
    wait_for(&w, &server, "both connectors' records", |rs| {
        rs.iter().filter(|r| r.path() == "/single").count() >= 3
            && rs.iter().any(|r| r.path() == "/batched")
    });
    std::thread::sleep(Duration::from_millis(500));
    let requests = server.requests();
    for r in &requests {
        assert_eq!(r.method, "POST");
        assert_eq!(r.header("authorization"), Some("Bearer static-token"));
        assert_eq!(r.header("content-type"), Some("application/json"));
    }
    let singles: Vec<String> = requests
        .iter()
        .filter(|r| r.path() == "/single")
        .map(Recorded::body_text)
        .collect();
    assert_eq!(singles, [r#"{"a":1}"#, "plain text", r#"{"b":[1,2]}"#]);
    let batched_bodies: Vec<String> = requests
        .iter()
        .filter(|r| r.path() == "/batched")
        .map(Recorded::body_text)
        .collect();
    assert_eq!(
        batched_bodies.concat(),
        "{\"a\":1}\nplain text\n{\"b\":[1,2]}\n",
        "{batched_bodies:?}"
    );
    w.stop();
}

/// behavior.on.error=fail (the default): a refused request fails the task, naming the status
/// and the server's answer.
#[test]
fn a_refused_request_fails_the_task_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("http-fail");
    super::s3::create_topic(&topic, 1);
    let server = HttpServer::start(|r| {
        if r.body_text().contains("bad") {
            Reply::status(422, "unprocessable: field x missing")
        } else {
            Reply::status(200, "ok")
        }
    });
    produce(
        &topic,
        &[
            rec(0, None, Some("good".into())),
            rec(0, None, Some("bad".into())),
        ],
    );
    let w = Worker::start(
        dir.path(),
        "http-fail",
        "",
        &[(
            "fail.json",
            connector(
                "http-fail",
                CONFLUENT,
                &topic,
                &[
                    ("http.api.url", &server.url("/in")),
                    ("max.retries", "2"),
                    ("retry.backoff.ms", "10"),
                ],
            ),
        )],
    );
    wait_rest(&w);
    let trace = wait_task_failed(&w, "http-fail");
    assert!(
        trace.contains("HTTP 422") && trace.contains("unprocessable: field x missing"),
        "{trace}"
    );
    // Retried max.retries times (400- is Confluent's default retry.on.status.codes).
    let bad = server
        .requests()
        .iter()
        .filter(|r| r.body_text() == "bad")
        .count();
    assert_eq!(bad, 3);
    w.stop();
}
