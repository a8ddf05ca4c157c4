//! End-to-end tests of the `strait` binary: `strait standalone` and `strait distributed`
//! against a real Apache Kafka broker, `strait demo`, and the drift check of the generated configuration reference
//! (`docs/configuration.md`, DESIGN §6 habit 1), which needs no service.
//!
//! The broker comes from `cargo xtask services up kafka` (or `cargo xtask test`, which starts it
//! and sets `STRAIT_TEST_BOOTSTRAP`). Each test runs the real binary as a child process, so
//! crash tests can `kill -9` it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "standalone/admin_listeners.rs"]
mod admin_listeners;
#[path = "standalone/avro.rs"]
mod avro;
#[path = "standalone/avro_interop.rs"]
mod avro_interop;
#[path = "standalone/cassandra.rs"]
mod cassandra_sink;
#[path = "standalone/config_providers.rs"]
mod config_providers;
#[path = "standalone/distributed.rs"]
mod distributed;
#[path = "standalone/elasticsearch.rs"]
mod elasticsearch_sink;
#[path = "standalone/exactly_once.rs"]
mod exactly_once;
#[path = "standalone/http_server.rs"]
mod http_server;
#[path = "standalone/http_sink.rs"]
mod http_sink;
#[path = "standalone/http_source.rs"]
mod http_source;
#[path = "standalone/internal_topics.rs"]
mod internal_topics;
#[path = "standalone/java_worker.rs"]
mod java_worker;
#[path = "standalone/json_schema_interop.rs"]
mod json_schema_interop;
#[path = "standalone/metrics.rs"]
mod metrics;
#[path = "standalone/mixed_cluster.rs"]
mod mixed_cluster;
#[path = "standalone/object_stores.rs"]
mod object_stores;
#[path = "standalone/pki.rs"]
mod pki;
#[path = "standalone/protobuf_interop.rs"]
mod protobuf_interop;
#[path = "standalone/rest_security.rs"]
mod rest_security;
#[path = "standalone/s3.rs"]
mod s3;
#[path = "standalone/topic_creation.rs"]
mod topic_creation;
#[path = "standalone/transforms.rs"]
mod transforms;

fn bootstrap() -> String {
    std::env::var("STRAIT_TEST_BOOTSTRAP").expect(
        "STRAIT_TEST_BOOTSTRAP is not set: these tests need a real Kafka broker; run `cargo xtask test` \
         (or `cargo xtask services up kafka` and export STRAIT_TEST_BOOTSTRAP=127.0.0.1:9092)",
    )
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Worker {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Worker {
    fn start(dir: &Path, name: &str, worker_extra: &str, connectors: &[(&str, String)]) -> Worker {
        Worker::start_with_env(dir, name, worker_extra, connectors, &[])
    }

    /// [`Worker::start`] with extra environment variables for the worker process (e.g. an
    /// object store emulator's endpoint and credentials).
    fn start_with_env(
        dir: &Path,
        name: &str,
        worker_extra: &str,
        connectors: &[(&str, String)],
        env: &[(&str, String)],
    ) -> Worker {
        let port = free_port();
        let worker = dir.join(format!("{name}-worker.properties"));
        std::fs::write(
            &worker,
            format!(
                "bootstrap.servers={}\nkey.converter=org.apache.kafka.connect.storage.StringConverter\nvalue.converter=org.apache.kafka.connect.storage.StringConverter\noffset.storage.file.filename={}\noffset.flush.interval.ms=500\nlisteners=http://127.0.0.1:{port}\nproducer.message.max.bytes=2000000\n{worker_extra}\n",
                bootstrap(),
                dir.join("connect.offsets").display()
            ),
        )
        .unwrap();
        let mut args = vec![worker.display().to_string()];
        for (file, content) in connectors {
            let path = dir.join(file);
            std::fs::write(&path, content).unwrap();
            args.push(path.display().to_string());
        }
        let log = dir.join(format!("{name}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_strait"))
            .arg("standalone")
            .args(&args)
            // STRAIT_TEST_WORKER_LOG raises the workers' log level when chasing a failure; an
            // `env` entry STRAIT_LOG wins over both.
            .env(
                "STRAIT_LOG",
                std::env::var("STRAIT_TEST_WORKER_LOG").unwrap_or_else(|_| "info".into()),
            )
            .envs(env.iter().cloned())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Worker { child, port, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM and wait for a clean exit.
    fn stop(mut self) {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                assert!(s.success(), "worker exited with {s}; log:\n{}", self.log());
                return;
            }
            assert!(
                Instant::now() < deadline,
                "worker did not stop; log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn get(&self, path: &str) -> (u16, serde_json::Value) {
        http(self.port, "GET", path)
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Minimal HTTP/1.1 client (keeps the test free of an HTTP client dependency).
fn http(port: u16, method: &str, path: &str) -> (u16, serde_json::Value) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status: u16 = resp.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = resp.split("\r\n\r\n").nth(1).unwrap_or("");
    // Bodies are small JSON; tolerate chunked encoding by taking the JSON between the first
    // '{'/'[' and the last '}'/']'.
    let start = body.find(['{', '[']).unwrap_or(0);
    let end = body.rfind(['}', ']']).map(|e| e + 1).unwrap_or(body.len());
    (
        status,
        serde_json::from_str(&body[start..end]).unwrap_or(serde_json::Value::Null),
    )
}

fn wait_rest(w: &Worker) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", w.port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "REST never came up; log:\n{}",
            w.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Wait until task 0 of `connector` is FAILED and return its trace.
fn wait_task_failed(w: &Worker, connector: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, status) = w.get(&format!("/connectors/{connector}/status"));
        if status["tasks"][0]["state"] == "FAILED" {
            return status["tasks"][0]["trace"].as_str().unwrap().to_string();
        }
        assert!(
            Instant::now() < deadline,
            "{connector} never failed: {status}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn line_count(path: &Path) -> usize {
    std::fs::read(path)
        .map(|b| b.iter().filter(|&&c| c == b'\n').count())
        .unwrap_or(0)
}

fn wait_lines(w: &Worker, path: &Path, at_least: usize, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let n = line_count(path);
        if n >= at_least {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "only {n} of {at_least} lines arrived; log:\n{}",
            w.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn file_pair(topic: &str, input: &Path, output: &Path) -> Vec<(&'static str, String)> {
    vec![
        (
            "source.properties",
            format!(
                "name={topic}-source\nconnector.class=FileStreamSource\ntasks.max=1\nfile={}\ntopic={topic}\n",
                input.display()
            ),
        ),
        (
            "sink.json",
            serde_json::json!({"name": format!("{topic}-sink"), "config": {
                "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
                "tasks.max": "1", "file": output.display().to_string(), "topics": topic}})
            .to_string(),
        ),
    ]
}

/// Unique, varied lines: multi-byte UTF-8, empty lines, long lines.
fn make_lines(n: usize, from: usize) -> String {
    let mut out = String::new();
    for i in from..from + n {
        match i % 10 {
            0 => out.push_str(&format!("{i:07} héllo wörld — 日本語 🚀 {i}")),
            3 => {} // an empty line carries no id; counted by position only
            7 => out.push_str(&format!("{i:07} {}", "x".repeat(300))),
            _ => out.push_str(&format!("{i:07} line {i}")),
        }
        out.push('\n');
    }
    out
}

#[test]
fn file_to_kafka_to_file_round_trip_is_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("roundtrip");
    let input = dir.path().join("in.txt");
    let output = dir.path().join("out.txt");
    let mut text = make_lines(100_000, 0);
    text.push_str(&format!("{}\n", "M".repeat(1_000_000)));
    text.push('\n');
    text.push_str(&make_lines(100_000, 100_000));
    std::fs::write(&input, &text).unwrap();
    let expected_lines = text.matches('\n').count();
    assert!(expected_lines >= 200_000);
    let w = Worker::start(dir.path(), "w", "", &file_pair(&topic, &input, &output));
    wait_lines(&w, &output, expected_lines, Duration::from_secs(180));
    std::thread::sleep(Duration::from_millis(500));
    let got = std::fs::read(&output).unwrap();
    assert_eq!(got.len(), text.len(), "output size differs");
    assert!(
        got == text.as_bytes(),
        "output is not byte-identical to input"
    );
    let (code, status) = w.get(&format!("/connectors/{topic}-source/status"));
    assert_eq!(code, 200);
    assert_eq!(status["connector"]["state"], "RUNNING");
    assert_eq!(status["tasks"][0]["state"], "RUNNING");
    w.stop();
}

#[test]
fn kill_9_mid_stream_then_restart_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("crash");
    let input = dir.path().join("in.txt");
    let output = dir.path().join("out.txt");
    let total = 300_000;
    let text: String = (0..total).map(|i| format!("record-{i:07}\n")).collect();
    std::fs::write(&input, &text).unwrap();
    let conns = file_pair(&topic, &input, &output);
    let w = Worker::start(dir.path(), "w1", "", &conns);
    wait_lines(&w, &output, 20_000, Duration::from_secs(120));
    let before = line_count(&output);
    w.kill9();
    assert!(
        before < total,
        "the pipeline finished before the crash; make the input larger"
    );
    let w = Worker::start(dir.path(), "w2", "", &conns);
    // At-least-once: the replay after the crash writes duplicates, so the line count reaches
    // `total` before the last records arrive. Wait for every record number instead.
    let missing = |out: &str| -> Vec<usize> {
        let mut seen = vec![false; total];
        for line in out.lines() {
            let i: usize = line.strip_prefix("record-").unwrap().parse().unwrap();
            seen[i] = true;
        }
        seen.iter()
            .enumerate()
            .filter(|(_, s)| !**s)
            .map(|(i, _)| i)
            .take(5)
            .collect()
    };
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        // Only whole lines: the sink may be mid-write.
        let out = std::fs::read_to_string(&output).unwrap_or_default();
        let complete = out.rfind('\n').map_or("", |end| &out[..=end]);
        let lost = missing(complete);
        if lost.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "records lost after kill -9: first missing {lost:?}\n{}",
            w.log()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    w.stop();
}

#[test]
fn graceful_stop_then_restart_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("graceful");
    let input = dir.path().join("in.txt");
    let output = dir.path().join("out.txt");
    let first: String = (0..50_000).map(|i| format!("r{i}\n")).collect();
    std::fs::write(&input, &first).unwrap();
    let conns = file_pair(&topic, &input, &output);
    let w = Worker::start(dir.path(), "w1", "", &conns);
    wait_lines(&w, &output, 50_000, Duration::from_secs(120));
    w.stop();
    let second: String = (50_000..60_000).map(|i| format!("r{i}\n")).collect();
    std::fs::OpenOptions::new()
        .append(true)
        .open(&input)
        .unwrap()
        .write_all(second.as_bytes())
        .unwrap();
    let w = Worker::start(dir.path(), "w2", "", &conns);
    wait_lines(&w, &output, 60_000, Duration::from_secs(120));
    std::thread::sleep(Duration::from_secs(2));
    let out = std::fs::read_to_string(&output).unwrap();
    assert_eq!(
        out,
        format!("{first}{second}"),
        "duplicates or gaps after a graceful restart"
    );
    w.stop();
}

#[test]
fn datagen_iterations_are_honoured_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("datagen");
    let output = dir.path().join("out.txt");
    let conns = vec![
        (
            "datagen.properties",
            format!("name={topic}-gen\nconnector.class=DatagenConnector\ntasks.max=2\nkafka.topic={topic}\nquickstart=users\nmax.interval=0\niterations=1500\nrandom.seed=7\nvalue.converter=org.apache.kafka.connect.json.JsonConverter\nvalue.converter.schemas.enable=false\n"),
        ),
        (
            "sink.properties",
            format!("name={topic}-sink\nconnector.class=FileStreamSink\nfile={}\ntopics={topic}\n", output.display()),
        ),
    ];
    let w = Worker::start(dir.path(), "w", "", &conns);
    wait_rest(&w);
    wait_lines(&w, &output, 3000, Duration::from_secs(120));
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        line_count(&output),
        3000,
        "datagen produced more than iterations × tasks"
    );
    let out = std::fs::read_to_string(&output).unwrap();
    assert!(
        out.lines().all(|l| l.contains("userid")),
        "users records carry userid"
    );
    // Every record carries Java Datagen's int64 headers, as SimpleHeaderConverter text.
    let mut iterations: Vec<Vec<i64>> = vec![Vec::new(); 2];
    for headers in consume_headers(&topic, 3000) {
        let keys: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["task.generation", "task.id", "current.iteration"]);
        let number = |i: usize| -> i64 { headers[i].1.parse().unwrap() };
        assert_eq!(number(0), 0, "first generation");
        iterations[number(1) as usize].push(number(2));
    }
    for mut per_task in iterations {
        per_task.sort_unstable();
        assert_eq!(per_task, (0..1500).collect::<Vec<i64>>());
    }
    let (code, status) = w.get(&format!("/connectors/{topic}-gen/status"));
    assert_eq!(code, 200);
    for t in status["tasks"].as_array().unwrap() {
        assert_eq!(
            t["state"], "FAILED",
            "Java's datagen fails the task after its iterations: {status}"
        );
        assert!(t["trace"]
            .as_str()
            .unwrap()
            .contains("generated the configured 1500 number of messages"));
    }
    w.stop();
}

fn run_to_exit(dir: &Path, worker_props: &str, connectors: &[(&str, &str)]) -> (i32, String) {
    let worker = dir.join("worker.properties");
    std::fs::write(&worker, worker_props).unwrap();
    let mut args = vec![worker.display().to_string()];
    for (file, content) in connectors {
        let p = dir.join(file);
        std::fs::write(&p, content).unwrap();
        args.push(p.display().to_string());
    }
    let out = Command::new(env!("CARGO_BIN_EXE_strait"))
        .arg("standalone")
        .args(&args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Worker properties with String converters, offsets in `dir`, and a free REST port.
fn string_worker(dir: &Path) -> String {
    format!(
        "bootstrap.servers={}\nkey.converter=org.apache.kafka.connect.storage.StringConverter\nvalue.converter=org.apache.kafka.connect.storage.StringConverter\noffset.storage.file.filename={}\nlisteners=http://127.0.0.1:{}\n",
        bootstrap(),
        dir.join("o").display(),
        free_port()
    )
}

#[test]
fn bad_configs_fail_start_up_with_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let base = string_worker(dir.path());
    let (code, err) = run_to_exit(
        dir.path(),
        &base,
        &[("c.properties", "name=c\nconnector.class=FileStreamSource\n")],
    );
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("Missing required configuration \\\"topic\\\"")
            || err.contains("Missing required configuration \"topic\""),
        "{err}"
    );

    // Standalone never runs exactly-once: `required` is refused, not accepted silently.
    let (code, err) = run_to_exit(
        dir.path(),
        &base,
        &[(
            "c.properties",
            "name=c\nconnector.class=FileStreamSource\ntopic=t\nfile=/tmp/x\nexactly.once.support=required\n",
        )],
    );
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("Strait's standalone worker never runs source connectors exactly-once"),
        "{err}"
    );

    let (code, err) = run_to_exit(
        dir.path(),
        &base,
        &[("c.properties", "name=c\nconnector.class=com.example.Nope\n")],
    );
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("Failed to find any class that implements Connector and which name matches com.example.Nope"), "{err}");

    let (code, err) = run_to_exit(
        dir.path(),
        &base,
        &[(
            "c.properties",
            "name=c\nconnector.class=FileStreamSource\ntopic=t\nheader.converter=com.example.NopeConverter\n",
        )],
    );
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("Class com.example.NopeConverter could not be found"),
        "{err}"
    );

    // SimpleHeaderConverter is a header converter only, as in Java.
    let (code, err) = run_to_exit(
        dir.path(),
        &base,
        &[(
            "c.properties",
            "name=c\nconnector.class=FileStreamSource\ntopic=t\nvalue.converter=SimpleHeaderConverter\n",
        )],
    );
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("does not implement"), "{err}");

    let (code, err) = run_to_exit(
        dir.path(),
        &base,
        &[(
            "c.properties",
            "name=c\nconnector.class=FileStreamSource\ntopic=\\u00zz\n",
        )],
    );
    assert_ne!(code, 0, "{err}");
    assert!(err.contains("Malformed \\uxxxx encoding"), "{err}");

    let (code, err) = run_to_exit(dir.path(), "bootstrap.servers=x:1\n", &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("\"key.converter\""), "{err}");
}

/// §2.7 of issue 6: security-relevant keys are enforced, never accepted and ignored.
#[test]
fn security_keys_are_enforced_not_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let base = string_worker(dir.path());

    // A worker that turns on REST basic auth without saying where its users are must not start
    // with an open REST API (tests/standalone/rest_security.rs covers the working extension).
    let (code, err) = run_to_exit(
        dir.path(),
        &format!("{base}rest.extension.classes=org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension\n"),
        &[],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("BasicAuthSecurityRestExtension"), "{err}");
    assert!(err.contains("no JAAS file"), "{err}");

    // override.policy=None: the connector's consumer override is refused with Java's message.
    let topic = unique("sec-policy");
    let sink = format!(
        "name={topic}-sink\nconnector.class=FileStreamSink\ntopics={topic}\nfile={}\nconsumer.override.max.poll.records=10\n",
        dir.path().join("policy.out").display()
    );
    let (code, err) = run_to_exit(
        dir.path(),
        &format!("{base}connector.client.config.override.policy=None\n"),
        &[("sink.properties", &sink)],
    );
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("Connector configuration is invalid and contains the following 1 error(s)"),
        "{err}"
    );
    assert!(
        err.contains("The 'None' policy does not allow 'max.poll.records' to be overridden in the connector configuration."),
        "{err}"
    );

    // Config providers (`config.providers`) are implemented: tests/standalone/config_providers.rs.

    // Principal lets the principal keys through to a client that really connects.
    let w = Worker::start(
        dir.path(),
        "principal",
        "connector.client.config.override.policy=org.apache.kafka.connect.connector.policy.PrincipalConnectorClientConfigOverridePolicy",
        &[(
            "ok.properties",
            format!(
                "name={topic}-ok\nconnector.class=FileStreamSink\ntopics={topic}\nfile={}\nconsumer.override.security.protocol=PLAINTEXT\n",
                dir.path().join("ok.out").display()
            ),
        )],
    );
    wait_rest(&w);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, status) = w.get(&format!("/connectors/{topic}-ok/status"));
        if status["tasks"][0]["state"] == "RUNNING" {
            break;
        }
        assert_ne!(status["tasks"][0]["state"], "FAILED", "{status}");
        assert!(
            Instant::now() < deadline,
            "never RUNNING: {status}; log:\n{}",
            w.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    w.stop();
}

#[test]
fn non_json_records_fail_the_task_or_go_to_the_dlq() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("badjson");
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "{\"a\":1}\nnot json\n{\"a\":2}\n").unwrap();
    let strict_out = dir.path().join("strict.txt");
    let tolerant_out = dir.path().join("tolerant.txt");
    let dlq_out = dir.path().join("dlq.txt");
    let dlq = format!("{topic}-dlq");
    let json = "value.converter=org.apache.kafka.connect.json.JsonConverter\nvalue.converter.schemas.enable=false\n";
    let conns = vec![
        ("src.properties", format!("name={topic}-src\nconnector.class=FileStreamSource\nfile={}\ntopic={topic}\n", input.display())),
        ("strict.properties", format!("name={topic}-strict\nconnector.class=FileStreamSink\nfile={}\ntopics={topic}\n{json}", strict_out.display())),
        (
            "tolerant.properties",
            format!("name={topic}-tolerant\nconnector.class=FileStreamSink\nfile={}\ntopics={topic}\n{json}errors.tolerance=all\nerrors.deadletterqueue.topic.name={dlq}\nerrors.deadletterqueue.context.headers.enable=true\nerrors.deadletterqueue.topic.replication.factor=1\n", tolerant_out.display()),
        ),
        ("dlq.properties", format!("name={topic}-dlqreader\nconnector.class=FileStreamSink\nfile={}\ntopics={dlq}\n", dlq_out.display())),
        // Java's default DLQ replication factor (3) cannot be met by a one-broker cluster.
        ("rf3.properties", format!("name={topic}-rf3\nconnector.class=FileStreamSink\nfile={}\ntopics={topic}\n{json}errors.tolerance=all\nerrors.deadletterqueue.topic.name={dlq}-rf3\n", dir.path().join("rf3.txt").display())),
    ];
    let w = Worker::start(dir.path(), "w", "", &conns);
    wait_rest(&w);
    wait_lines(&w, &tolerant_out, 2, Duration::from_secs(90));
    wait_lines(&w, &dlq_out, 1, Duration::from_secs(90));
    assert_eq!(
        std::fs::read_to_string(&dlq_out).unwrap(),
        "not json\n",
        "the DLQ holds the original bytes"
    );
    let tolerant = std::fs::read_to_string(&tolerant_out).unwrap();
    assert_eq!(
        tolerant.lines().count(),
        2,
        "good records still delivered: {tolerant}"
    );
    // The worker created the DLQ topic as Java does: one partition.
    use rdkafka::consumer::Consumer;
    let admin: rdkafka::consumer::BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
        .unwrap();
    let metadata = admin
        .fetch_metadata(Some(&dlq), Duration::from_secs(10))
        .unwrap();
    assert_eq!(metadata.topics()[0].partitions().len(), 1);
    let trace = wait_task_failed(&w, &format!("{topic}-rf3"));
    assert!(
        trace.contains(&format!(
            "Could not initialize dead letter queue with topic={dlq}-rf3"
        )),
        "{trace}"
    );
    let trace = wait_task_failed(&w, &format!("{topic}-strict"));
    assert!(
        trace.contains("Tolerance exceeded in error handler"),
        "{trace}"
    );
    // Nothing after the bad record was written by the strict sink.
    let strict = std::fs::read_to_string(&strict_out).unwrap_or_default();
    assert!(
        strict.lines().count() <= 1,
        "strict sink wrote past the bad record: {strict}"
    );
    w.stop();
}

/// What `read` makes of each of the first `n` records of `topic` (all partitions).
fn consume<T>(
    topic: &str,
    n: usize,
    read: impl Fn(&rdkafka::message::BorrowedMessage<'_>) -> T,
) -> Vec<T> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
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
    while out.len() < n {
        assert!(
            Instant::now() < deadline,
            "read only {} of {n} records from {topic}",
            out.len()
        );
        if let Some(message) = consumer.poll(Duration::from_millis(500)) {
            out.push(read(&message.unwrap()));
        }
    }
    out
}

/// The headers of the first `n` records of `topic` (all partitions), as UTF-8 text.
fn consume_headers(topic: &str, n: usize) -> Vec<Vec<(String, String)>> {
    use rdkafka::message::{Headers, Message};
    consume(topic, n, |message| {
        message.headers().map_or_else(Vec::new, |h| {
            h.iter()
                .map(|h| {
                    let value = String::from_utf8(h.value.unwrap_or_default().to_vec()).unwrap();
                    (h.key.to_string(), value)
                })
                .collect()
        })
    })
}

/// Produce `(value, headers)` records to `topic` with a real Kafka producer, waiting for acks.
fn produce_with_headers(topic: &str, records: &[(&str, &[(&str, &[u8])])]) {
    use rdkafka::message::{Header, OwnedHeaders};
    use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
    let producer: BaseProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
        .unwrap();
    for (value, headers) in records {
        let headers = headers
            .iter()
            .fold(OwnedHeaders::new(), |acc, (key, value)| {
                acc.insert(Header {
                    key,
                    value: Some(*value),
                })
            });
        producer
            .send(
                BaseRecord::<(), str>::to(topic)
                    .payload(*value)
                    .headers(headers),
            )
            .map_err(|(e, _)| e)
            .unwrap();
    }
    producer.flush(Duration::from_secs(30)).unwrap();
}

/// DESIGN §2 "one batch, one Arrow schema": records whose JsonConverter envelope schemas
/// interleave in one topic (so in one consumer batch) are split where the schema changes, not
/// failed. With `errors.tolerance=none`, every record reaches the FileStreamSink, in order, and
/// the task keeps running.
#[test]
fn interleaved_json_schemas_are_delivered_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("schemas");
    let a = r#"{"type":"struct","fields":[{"type":"int32","optional":false,"field":"a"}],"optional":false}"#;
    let b = r#"{"type":"struct","fields":[{"type":"string","optional":false,"field":"b"},{"type":"int64","optional":false,"field":"c"}],"optional":false}"#;
    // Runs of one and two records of each schema: A A B A B, A A B A B, …
    let (mut values, mut want) = (Vec::new(), Vec::new());
    for i in 0..40 {
        if matches!(i % 5, 0 | 1 | 3) {
            values.push(format!(r#"{{"schema":{a},"payload":{{"a":{i}}}}}"#));
            want.push(format!("Struct{{a={i}}}"));
        } else {
            values.push(format!(
                r#"{{"schema":{b},"payload":{{"b":"s{i}","c":{}}}}}"#,
                i * 1000
            ));
            want.push(format!("Struct{{b=s{i},c={}}}", i * 1000));
        }
    }
    // Produced before the worker starts, so the sink reads them in one batch.
    let records: Vec<(&str, &[(&str, &[u8])])> =
        values.iter().map(|v| (v.as_str(), &[][..])).collect();
    produce_with_headers(&topic, &records);
    let out = dir.path().join("out.txt");
    let sink = format!(
        "name={topic}-sink\nconnector.class=FileStreamSink\nfile={}\ntopics={topic}\nerrors.tolerance=none\n\
         value.converter=org.apache.kafka.connect.json.JsonConverter\nvalue.converter.schemas.enable=true\n",
        out.display()
    );
    let w = Worker::start(dir.path(), "w", "", &[("sink.properties", sink)]);
    wait_rest(&w);
    wait_lines(&w, &out, want.len(), Duration::from_secs(60));
    let got = std::fs::read_to_string(&out).unwrap();
    assert_eq!(got.lines().collect::<Vec<_>>(), want);
    let (_, status) = w.get(&format!("/connectors/{topic}-sink/status"));
    assert_eq!(status["tasks"][0]["state"], "RUNNING", "{status}");
    w.stop();
}

#[test]
fn header_converter_errors_fail_the_task_or_go_to_the_dlq() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("badheader");
    produce_with_headers(
        &topic,
        &[
            ("one", &[("h", b"{\"n\":1}")]),
            ("two", &[("ok", b"2"), ("h", b"not json")]),
            ("three", &[]),
        ],
    );
    let out = |name: &str| dir.path().join(format!("{name}.txt"));
    let dlq = format!("{topic}-dlq");
    let json_headers = "header.converter=org.apache.kafka.connect.json.JsonConverter\nheader.converter.schemas.enable=false\n";
    let sink = |name: &str, extra: &str| {
        (
            "",
            format!(
                "name={topic}-{name}\nconnector.class=FileStreamSink\nfile={}\ntopics={topic}\n{extra}",
                out(name).display()
            ),
        )
    };
    let mut conns = vec![
        sink("default", ""),
        sink("strict", json_headers),
        sink(
            "tolerant",
            &format!("{json_headers}errors.tolerance=all\nerrors.deadletterqueue.topic.name={dlq}\nerrors.deadletterqueue.context.headers.enable=true\nerrors.deadletterqueue.topic.replication.factor=1\n"),
        ),
        (
            "",
            format!(
                "name={topic}-dlqreader\nconnector.class=FileStreamSink\nfile={}\ntopics={dlq}\n",
                out("dlq").display()
            ),
        ),
    ];
    let files = [
        "default.properties",
        "strict.properties",
        "tolerant.properties",
        "dlq.properties",
    ];
    for (conn, file) in conns.iter_mut().zip(files) {
        conn.0 = file;
    }
    let w = Worker::start(dir.path(), "w", "", &conns);
    wait_rest(&w);
    // The default SimpleHeaderConverter reads any bytes: every record is delivered.
    wait_lines(&w, &out("default"), 3, Duration::from_secs(90));
    wait_lines(&w, &out("tolerant"), 2, Duration::from_secs(90));
    wait_lines(&w, &out("dlq"), 1, Duration::from_secs(90));
    assert_eq!(
        std::fs::read_to_string(out("tolerant")).unwrap(),
        "one\nthree\n"
    );
    assert_eq!(std::fs::read_to_string(out("dlq")).unwrap(), "two\n");
    let trace = wait_task_failed(&w, &format!("{topic}-strict"));
    assert!(trace.contains("error in stage HEADER_CONVERTER"), "{trace}");
    let strict = std::fs::read_to_string(out("strict")).unwrap_or_default();
    assert!(
        strict.lines().count() <= 1,
        "strict sink wrote past the bad record: {strict}"
    );
    w.stop();
}

#[test]
fn demo_with_the_file_sink_writes_text_lines() {
    // No STRAIT_TEST_BOOTSTRAP here: the demo brings its own embedded broker.
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("demo");
    let out = Command::new(env!("CARGO_BIN_EXE_strait"))
        .args([
            "demo",
            "--records",
            "20000",
            "--rest-port",
            "0",
            "--sink",
            "file",
            "--output",
        ])
        .arg(&out_dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "demo failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("20,000 records"),
        "summary missing: {stdout}"
    );
    let data = std::fs::read_to_string(out_dir.join("pageviews.txt")).unwrap();
    assert_eq!(data.lines().count(), 20_000);
    assert!(data
        .lines()
        .all(|l| l.starts_with("Struct{viewtime=") && l.contains("userid=User_")));
    for f in [
        "worker.properties",
        "datagen-pageviews.properties",
        "file-sink.properties",
    ] {
        assert!(out_dir.join(f).exists(), "{f} not written");
    }
}

#[test]
fn demo_writes_parquet_through_the_s3_sink_by_default() {
    // No STRAIT_TEST_BOOTSTRAP here: the demo brings its own embedded broker and a local store.
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("demo");
    let out = Command::new(env!("CARGO_BIN_EXE_strait"))
        .args([
            "demo",
            "--records",
            "120000",
            "--rest-port",
            "0",
            "--output",
        ])
        .arg(&out_dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "demo failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("120,000 records"),
        "summary missing: {stdout}"
    );
    assert!(stderr.contains("duckdb"), "no reading hint: {stderr}");
    let files = out_dir.join("lake/demo/topics/pageviews/partition=0");
    let mut names: Vec<String> = std::fs::read_dir(&files)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    // Files of at most flush.size records (the one-second scheduled rotation may cut one
    // short), each named after its first offset, together covering every offset once.
    assert!(names.len() >= 3, "{names:?}");
    let mut rows = 0;
    let mut next_viewtime = None;
    for name in &names {
        assert_eq!(
            name,
            &format!("pageviews+0+{rows:010}.snappy.parquet"),
            "{names:?}"
        );
        let file_start = rows;
        let bytes = std::fs::read(files.join(name)).unwrap();
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
            bytes::Bytes::from(bytes),
        )
        .unwrap()
        .build()
        .unwrap();
        for batch in reader {
            let batch = batch.unwrap();
            use arrow::array::AsArray;
            let userid = batch.column_by_name("userid").unwrap().as_string::<i32>();
            assert!(userid.iter().all(|u| u.unwrap().starts_with("User_")));
            let viewtime = batch
                .column_by_name("viewtime")
                .unwrap()
                .as_primitive::<arrow::datatypes::Int64Type>();
            // Records are in order and none is lost or repeated across files.
            for v in viewtime.values() {
                if let Some(prev) = next_viewtime {
                    assert!(*v > prev, "viewtime {v} after {prev}");
                }
                next_viewtime = Some(*v);
            }
            rows += batch.num_rows();
        }
        assert!(
            rows - file_start <= 50_000,
            "{name} holds {}",
            rows - file_start
        );
    }
    assert_eq!(rows, 120_000);
    assert!(out_dir.join("s3-sink.properties").exists());
}

/// The committed configuration reference must be exactly what `strait docs config` generates
/// from the config definitions in the code.
#[test]
fn committed_configuration_reference_matches_the_code() {
    let out = Command::new(env!("CARGO_BIN_EXE_strait"))
        .args(["docs", "config"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "strait docs config failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let generated = String::from_utf8(out.stdout).unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/configuration.md");
    let committed = std::fs::read_to_string(&path)
        .unwrap_or_default()
        .replace("\r\n", "\n");
    if committed != generated {
        let line = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()))
            + 1;
        panic!(
            "docs/configuration.md is out of date with the config definitions in the code \
             (first difference at line {line}): run `cargo xtask docs` to regenerate it, then \
             commit it"
        );
    }
}
