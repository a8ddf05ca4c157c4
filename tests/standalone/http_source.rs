//! The HTTP source against the real broker and a real HTTP server on loopback
//! ([`super::http_server`]): the seed's example through its alias keys, every offset mode and
//! pagination style delivering each upstream record exactly once across a worker restart and
//! after upstream appends, retries of 429 (with `Retry-After`), 5xx bursts and slow responses,
//! OAuth2 tokens refreshed after a 401, the V2 form with entities over two tasks, and a task
//! that fails with the server's answer once its retries are spent.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::http_server::{HttpServer, Recorded, Reply};
use super::pki::make_pki;
use super::s3::create_topic;
use super::{bootstrap, unique, wait_rest, wait_task_failed, Worker};

/// Items per page.
const PAGE: usize = 20;

fn item(id: usize) -> Value {
    json!({"id": id, "name": format!("item-{id}")})
}

/// An upstream API over items `0..total` (`total` grows when the test appends), paged four
/// ways: `/simple?offset=K`, `/chain?after=ID`, `/cursor?cursor=cK`, `/link?page=P`.
fn upstream(total: Arc<AtomicUsize>, delay: Duration) -> HttpServer {
    HttpServer::start(move |req: &Recorded| {
        let total = total.load(Ordering::SeqCst);
        let page = |from: usize| -> Vec<Value> {
            (from.min(total)..(from + PAGE).min(total))
                .map(item)
                .collect()
        };
        let int = |name: &str, default: i64| -> i64 {
            req.query(name)
                .filter(|v| !v.is_empty())
                .map_or(default, |v| v.parse().unwrap())
        };
        let reply = match req.path() {
            "/simple" => Reply::json(200, &json!({"data": page(int("offset", 0) as usize)})),
            "/chain" => Reply::json(200, &json!({"data": page((int("after", -1) + 1) as usize)})),
            "/cursor" => {
                let from: usize = req
                    .query("cursor")
                    .and_then(|c| c.strip_prefix('c').map(|n| n.parse().unwrap()))
                    .unwrap_or(0);
                let next = (from + PAGE < total).then(|| format!("c{}", from + PAGE));
                Reply::json(200, &json!({"data": page(from), "meta": {"next": next}}))
            }
            "/link" => {
                let p = int("page", 0) as usize;
                let reply = Reply::json(200, &json!({"data": page(p * PAGE)}));
                if (p + 1) * PAGE < total {
                    reply.with_header(
                        "link",
                        &format!(
                            "</link?page={}>; rel=\"next\", </link?page=0>; rel=\"first\"",
                            p + 1
                        ),
                    )
                } else {
                    reply
                }
            }
            other => Reply::status(404, &format!("no {other}")),
        };
        reply.delayed(delay)
    })
}

fn source_props(name: &str, topic: &str, extra: &str) -> String {
    format!(
        "name={name}\nconnector.class=io.confluent.connect.http.HttpSourceConnector\ntasks.max=1\n\
         topic.name.pattern={topic}\nvalue.converter=org.apache.kafka.connect.json.JsonConverter\n\
         value.converter.schemas.enable=false\nhttp.response.data.json.pointer=/data\n\
         request.interval.ms=300\nretry.backoff.ms=50\n{extra}"
    )
}

/// Every record in `topic` once at least `n` arrived and nothing more came for a second, as
/// parsed JSON values.
fn read_all(topic: &str, n: usize, w: &Worker) -> Vec<Value> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::Message;
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", unique("reader"))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut out = Vec::new();
    let mut quiet_since = Instant::now();
    loop {
        match consumer.poll(Duration::from_millis(200)) {
            Some(m) => {
                let m = m.unwrap();
                let v: Value = serde_json::from_slice(m.payload().unwrap()).unwrap();
                out.push(v);
                quiet_since = Instant::now();
            }
            None if out.len() >= n && quiet_since.elapsed() > Duration::from_secs(1) => return out,
            None => {}
        }
        assert!(
            Instant::now() < deadline,
            "read only {} of {n} records from {topic}; log:\n{}",
            out.len(),
            w.log()
        );
    }
}

fn ids(values: &[Value]) -> Vec<u64> {
    values.iter().map(|v| v["id"].as_u64().unwrap()).collect()
}

#[test]
fn seed_example_polls_with_its_alias_keys_and_a_literal_token() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("api-events");
    create_topic(&topic, 1);
    let server = HttpServer::start(|req| {
        if req.path() == "/events" {
            Reply::json(
                200,
                &json!([{"event": "a"}, {"event": "b", "n": [1, 2]}, {"event": "c"}]),
            )
        } else {
            Reply::status(404, "no")
        }
    });
    // The seed's config, word for word but for the URL and topic.
    let props = format!(
        "name=http-source\nconnector.class=io.confluent.connect.http.HttpSourceConnector\ntasks.max=1\n\
         http.url={}\nhttp.method=GET\nhttp.headers=Authorization: Bearer ${{token}}\n\
         kafka.topic={topic}\nhttp.timer.interval.ms=60000\n\
         value.converter=org.apache.kafka.connect.json.JsonConverter\nvalue.converter.schemas.enable=false\n",
        server.url("/events")
    );
    let w = Worker::start(dir.path(), "seed", "", &[("http.properties", props)]);
    let got = read_all(&topic, 3, &w);
    assert_eq!(
        got,
        vec![
            json!({"event": "a"}),
            json!({"event": "b", "n": [1, 2]}),
            json!({"event": "c"})
        ],
        "the upstream JSON verbatim"
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "one request per 60 s: {requests:?}");
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].header("authorization"), Some("Bearer ${token}"));
    w.stop();
}

/// Run one offset mode: half the data, a graceful restart, the rest, then an upstream append.
fn exactly_once_across_a_restart(mode_props: &str, path: &str) {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("http-src");
    create_topic(&topic, 1);
    let total = Arc::new(AtomicUsize::new(300));
    let server = upstream(total.clone(), Duration::from_millis(60));
    let props = source_props(
        "pages",
        &topic,
        &format!("url={}\n{mode_props}\n", server.url(path)),
    );
    let files = [("http.properties", props)];
    let w = Worker::start(dir.path(), "first", "", &files);
    // Stop somewhere in the middle (pages arrive every ~60 ms).
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.requests().len() < 5 {
        assert!(Instant::now() < deadline, "no requests; log:\n{}", w.log());
        std::thread::sleep(Duration::from_millis(20));
    }
    w.stop();
    let before = server.requests().len();
    let w = Worker::start(dir.path(), "second", "", &files);
    let got = read_all(&topic, 300, &w);
    assert_eq!(
        ids(&got),
        (0..300).collect::<Vec<u64>>(),
        "each item once, in order"
    );
    assert!(
        before < 300 / PAGE,
        "the first worker was stopped before the end ({before} requests)"
    );
    // Upstream appends: only the new items arrive.
    total.store(345, Ordering::SeqCst);
    let got = read_all(&topic, 345, &w);
    assert_eq!(
        ids(&got),
        (0..345).collect::<Vec<u64>>(),
        "each item once, in order"
    );
    w.stop();
}

#[test]
fn simple_incrementing_offsets_resume_exactly() {
    exactly_once_across_a_restart(
        "http.offset.mode=SIMPLE_INCREMENTING\nhttp.request.parameters=offset=${offset}",
        "/simple",
    );
}

#[test]
fn chaining_offsets_resume_exactly() {
    exactly_once_across_a_restart(
        "http.offset.mode=CHAINING\nhttp.offset.json.pointer=/id\nhttp.initial.offset=-1\n\
         http.request.parameters=after=${offset}",
        "/chain",
    );
}

#[test]
fn cursor_pagination_resumes_exactly() {
    exactly_once_across_a_restart(
        "http.offset.mode=CURSOR_PAGINATION\nhttp.next.page.json.pointer=/meta/next\n\
         http.request.parameters=cursor=${offset}",
        "/cursor",
    );
}

#[test]
fn link_header_pagination_resumes_exactly() {
    exactly_once_across_a_restart("http.offset.mode=LINK_HEADER", "/link?page=0");
}

#[test]
fn rate_limits_server_errors_and_slow_answers_are_retried() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("http-retry");
    create_topic(&topic, 1);
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    // 1: 429 with Retry-After: 1; 2-3: 503; 4: too slow for the 1 s timeout; 5: the data;
    // then empty pages.
    let server = HttpServer::start(move |_req| match c.fetch_add(1, Ordering::SeqCst) {
        0 => Reply::status(429, "slow down").with_header("retry-after", "1"),
        1 | 2 => Reply::status(503, "busy"),
        3 => Reply::json(200, &json!({"data": [item(99)]})).delayed(Duration::from_secs(3)),
        4 => Reply::json(200, &json!({"data": [item(0), item(1)]})),
        _ => Reply::json(200, &json!({"data": []})),
    });
    let props = source_props(
        "retries",
        &topic,
        &format!(
            "url={}\nhttp.request.parameters=offset=${{offset}}\nmax.retries=4\n\
             http.request.timeout.ms=1000\nretry.backoff.policy=CONSTANT_VALUE\n",
            server.url("/items")
        ),
    );
    let w = Worker::start(dir.path(), "retries", "", &[("http.properties", props)]);
    let got = read_all(&topic, 2, &w);
    assert_eq!(
        ids(&got),
        vec![0, 1],
        "the slow answer's record was not taken"
    );
    let r = server.requests();
    assert!(r.len() >= 5, "{r:?}");
    assert!(
        r[..5]
            .iter()
            .all(|q| q.query("offset").as_deref() == Some("0")),
        "every retry asks for the same offset: {r:?}"
    );
    wait_rest(&w);
    let (_, status) = w.get("/connectors/retries/status");
    assert_eq!(status["tasks"][0]["state"], "RUNNING", "{status}");
    w.stop();
}

#[test]
fn retries_spent_fail_the_task_with_the_servers_answer() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("http-fail");
    create_topic(&topic, 1);
    let server = HttpServer::start(|_req| Reply::status(502, "upstream is down for maintenance"));
    let props = source_props(
        "failing",
        &topic,
        &format!("url={}\nmax.retries=2\n", server.url("/items")),
    );
    let w = Worker::start(dir.path(), "failing", "", &[("http.properties", props)]);
    wait_rest(&w);
    let trace = wait_task_failed(&w, "failing");
    assert!(
        trace.contains("502") && trace.contains("upstream is down"),
        "{trace}"
    );
    assert_eq!(server.requests().len(), 3, "one try and two retries");
    w.stop();
}

#[test]
fn oauth2_tokens_are_fetched_and_refreshed_after_a_401() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("http-oauth");
    create_topic(&topic, 1);
    // The token endpoint issues t1, t2, …; the API takes only the newest, and revokes it after
    // two pages.
    let issued = Arc::new(AtomicUsize::new(0));
    let served = Arc::new(AtomicUsize::new(0));
    let token_requests = Arc::new(Mutex::new(Vec::<Recorded>::new()));
    let (i, s, t) = (issued.clone(), served.clone(), token_requests.clone());
    let server = HttpServer::start(move |req| {
        if req.path() == "/token" {
            t.lock().unwrap().push(req.clone());
            let n = i.fetch_add(1, Ordering::SeqCst) + 1;
            return Reply::json(
                200,
                &json!({"access_token": format!("t{n}"), "token_type": "bearer", "expires_in": 3600}),
            );
        }
        let current = format!("Bearer t{}", i.load(Ordering::SeqCst));
        if req.header("authorization") != Some(current.as_str()) {
            return Reply::status(401, "bad token");
        }
        let page = s.fetch_add(1, Ordering::SeqCst);
        if page % 2 == 1 {
            // Revoke after this page: the next request with this token is refused.
            i.fetch_add(1000, Ordering::SeqCst);
        }
        let from: usize = req.query("offset").unwrap().parse().unwrap();
        let items: Vec<Value> = (from..(from + 5).min(30)).map(item).collect();
        Reply::json(200, &json!({"data": items}))
    });
    let props = source_props(
        "oauth",
        &topic,
        &format!(
            "url={}\nhttp.request.parameters=offset=${{offset}}\nauth.type=OAUTH2\n\
             oauth2.token.url={}\noauth2.client.id=my-client\noauth2.client.secret=s3cret\n\
             oauth2.client.scope=read\nretry.on.status.codes=500-\n",
            server.url("/items"),
            server.url("/token"),
        ),
    );
    let w = Worker::start(dir.path(), "oauth", "", &[("http.properties", props)]);
    let got = read_all(&topic, 30, &w);
    assert_eq!(ids(&got), (0..30).collect::<Vec<u64>>());
    let tokens = token_requests.lock().unwrap().clone();
    assert!(
        tokens.len() >= 3,
        "a token, then new ones after revocations: {}",
        tokens.len()
    );
    let first = &tokens[0];
    assert_eq!(first.method, "POST");
    // my-client:s3cret in HTTP Basic (oauth2.client.auth.mode=header, the default).
    assert_eq!(
        first.header("authorization"),
        Some("Basic bXktY2xpZW50OnMzY3JldA==")
    );
    let form = first.body_text();
    assert!(
        form.contains("grant_type=client_credentials") && form.contains("scope=read"),
        "{form}"
    );
    w.stop();
}

#[test]
fn v2_spreads_apis_and_entities_over_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let users = unique("v2-users");
    let orders = unique("v2-orders");
    for t in [&users, &orders] {
        for e in ["a", "b"] {
            create_topic(&format!("{t}-{e}"), 1);
        }
    }
    let seen = Arc::new(Mutex::new(BTreeMap::<String, usize>::new()));
    let s = seen.clone();
    let server = HttpServer::start(move |req| {
        // /api/<kind>/<entity>?offset=K: 7 items per entity, 3 per page.
        let parts: Vec<&str> = req.path().split('/').collect();
        let (kind, entity) = (parts[2].to_string(), parts[3].to_string());
        *s.lock()
            .unwrap()
            .entry(format!("{kind}/{entity}"))
            .or_default() += 1;
        let from: usize = req.query("offset").unwrap().parse().unwrap();
        let items: Vec<Value> = (from..(from + 3).min(7))
            .map(|id| json!({"id": id, "kind": kind, "entity": entity}))
            .collect();
        Reply::json(200, &json!({"items": items}))
    });
    let props = format!(
        "name=v2\nconnector.class=io.confluent.connect.http.source.GenericHttpSourceConnector\n\
         tasks.max=2\nhttp.api.base.url={}\napis.num=2\nentity.names=a,b\n\
         value.converter=org.apache.kafka.connect.json.JsonConverter\nvalue.converter.schemas.enable=false\n\
         api1.http.api.path=/api/users/${{entityName}}\napi1.topics={users}-${{entityName}}\n\
         api1.http.request.parameters=offset=${{offset}}\napi1.http.response.data.json.pointer=/items\n\
         api1.request.interval.ms=500\n\
         api2.http.api.path=/api/orders/${{entityName}}\napi2.topics={orders}-${{entityName}}\n\
         api2.http.request.parameters=offset=${{offset}}\napi2.http.response.data.json.pointer=/items\n\
         api2.request.interval.ms=500\n",
        server.url("")
    );
    let w = Worker::start(dir.path(), "v2", "", &[("v2.properties", props)]);
    for (t, kind) in [(&users, "users"), (&orders, "orders")] {
        for e in ["a", "b"] {
            let got = read_all(&format!("{t}-{e}"), 7, &w);
            assert_eq!(ids(&got), (0..7).collect::<Vec<u64>>(), "{kind}/{e}");
            assert!(got.iter().all(|v| v["kind"] == kind && v["entity"] == e));
        }
    }
    let (_, status) = w.get("/connectors/v2/status");
    assert_eq!(status["tasks"].as_array().unwrap().len(), 2, "{status}");
    assert_eq!(seen.lock().unwrap().len(), 4);
    w.stop();
}

/// `openssl s_server -WWW` serving the files of its directory over TLS 1.2/1.3, demanding a
/// client certificate signed by the test CA: a real TLS HTTP server from a Debian package.
struct TlsFileServer {
    child: std::process::Child,
    port: u16,
}

impl TlsFileServer {
    fn start(dir: &std::path::Path) -> TlsFileServer {
        let port = super::free_port();
        let child = std::process::Command::new("openssl")
            .args([
                "s_server",
                "-quiet",
                "-WWW",
                "-accept",
                &port.to_string(),
                "-cert",
                "server.pem",
                "-key",
                "server.key",
                "-Verify",
                "1",
                "-CAfile",
                "ca.pem",
            ])
            .current_dir(dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "openssl s_server did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        TlsFileServer { child, port }
    }
}

impl Drop for TlsFileServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn https_with_a_pem_trust_store_and_a_client_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let pki = dir.path().join("pki");
    std::fs::create_dir(&pki).unwrap();
    make_pki(&pki);
    std::fs::write(
        pki.join("events.json"),
        r#"{"data":[{"id":0},{"id":1},{"id":2}]}"#,
    )
    .unwrap();
    let server = TlsFileServer::start(&pki);
    let url = format!("https://127.0.0.1:{}/events.json", server.port);
    let trusted = unique("https-ok");
    let untrusted = unique("https-untrusted");
    create_topic(&trusted, 1);
    create_topic(&untrusted, 1);
    let tls = format!(
        "https.ssl.truststore.location={}\nhttps.ssl.truststore.type=PEM\n\
         https.ssl.keystore.location={}\nhttps.ssl.keystore.type=PEM\n",
        pki.join("ca.pem").display(),
        pki.join("client-identity.pem").display()
    );
    let good = source_props(
        "tls-good",
        &trusted,
        &format!("url={url}\nrequest.interval.ms=60000\n{tls}"),
    );
    // The system's roots do not know the test CA.
    let bad = source_props(
        "tls-bad",
        &untrusted,
        &format!("url={url}\nmax.retries=1\n"),
    );
    let no_cert = source_props(
        "tls-no-client-cert",
        &untrusted,
        &format!(
            "url={url}\nmax.retries=1\nhttps.ssl.truststore.location={}\nhttps.ssl.truststore.type=PEM\n",
            pki.join("ca.pem").display()
        ),
    );
    let w = Worker::start(
        dir.path(),
        "tls",
        "",
        &[
            ("good.properties", good),
            ("bad.properties", bad),
            ("no-cert.properties", no_cert),
        ],
    );
    let got = read_all(&trusted, 3, &w);
    assert_eq!(ids(&got), vec![0, 1, 2]);
    wait_rest(&w);
    let trace = wait_task_failed(&w, "tls-bad");
    assert!(
        trace.to_lowercase().contains("certificate"),
        "an untrusted server certificate fails the task, saying why: {trace}"
    );
    // The server demands a client certificate: trusting it is not enough.
    let trace = wait_task_failed(&w, "tls-no-client-cert");
    assert!(!trace.is_empty());
    assert_eq!(
        task_state(&w, "tls-good"),
        "RUNNING",
        "the connector with both stores keeps running"
    );
    w.stop();
}

/// The state of task 0 of `connector`.
fn task_state(w: &Worker, connector: &str) -> String {
    let (_, status) = w.get(&format!("/connectors/{connector}/status"));
    status["tasks"][0]["state"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

#[test]
fn the_request_rate_limit_spaces_requests() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("http-rate");
    create_topic(&topic, 1);
    let arrivals = Arc::new(Mutex::new(Vec::<Instant>::new()));
    let a = arrivals.clone();
    // 100 items, 20 a page: without a limit the five pages come back to back.
    let server = HttpServer::start(move |req| {
        a.lock().unwrap().push(Instant::now());
        let from: usize = req.query("offset").unwrap().parse().unwrap();
        Reply::json(
            200,
            &json!({"data": (from.min(100)..(from + PAGE).min(100)).map(item).collect::<Vec<_>>()}),
        )
    });
    let props = source_props(
        "rate",
        &topic,
        &format!(
            "url={}\nhttp.request.parameters=offset=${{offset}}\nhttp.requests.per.second=4\n",
            server.url("/items")
        ),
    );
    let w = Worker::start(dir.path(), "rate", "", &[("http.properties", props)]);
    let got = read_all(&topic, 100, &w);
    assert_eq!(ids(&got), (0..100).collect::<Vec<u64>>());
    let times = arrivals.lock().unwrap().clone();
    assert!(
        times.len() >= 6,
        "five pages and an empty one: {}",
        times.len()
    );
    for pair in times.windows(2) {
        let gap = pair[1] - pair[0];
        // 4 per second: 250 ms apart (a little less for clock granularity).
        assert!(gap >= Duration::from_millis(240), "requests {gap:?} apart");
    }
    w.stop();
}
