//! A real Apache Kafka Connect 4.1.2 distributed worker (`ConnectDistributed`) for interop tests:
//! Java writes the internal topics and Strait reads them, or the other way round.
//!
//! The jars come from the broker's install (`<workspace>/.test-services/kafka/libs`, put there by
//! `cargo xtask services up kafka`; `STRAIT_TEST_KAFKA_LIBS` names another directory). That
//! directory holds connect-runtime, -json, -transforms and -file, so the FileStream connectors
//! are available. Every worker gets its own group, internal topics and REST port; one JVM is
//! enough for the tests, and the machine is small, so tests that start one take
//! [`java_test_lock`] first.
//!
//! Reusable by later tests: not every helper is used by every test file.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long a worker may take to answer `GET /` and `GET /health` with 200 (JVM start, internal
/// topics created and read, first rebalance).
const READY_TIMEOUT: Duration = Duration::from_secs(90);

static JAVA_LOCK: Mutex<()> = Mutex::new(());

/// Serialize the tests that run a JVM: hold the guard for the whole test. A test that panicked
/// while holding it does not poison the others.
pub fn java_test_lock() -> MutexGuard<'static, ()> {
    JAVA_LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// Kafka 4.1.2's `libs/` directory; panics with how to get it when missing.
pub fn kafka_libs() -> PathBuf {
    let dir = match std::env::var_os("STRAIT_TEST_KAFKA_LIBS") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join(".test-services/kafka/libs"),
    };
    assert!(
        dir.join("connect-runtime-4.1.2.jar").is_file(),
        "Kafka 4.1.2 jars not found in {}: run `cargo xtask services up kafka` (it installs them), \
         or set STRAIT_TEST_KAFKA_LIBS to a Kafka 4.1.2 libs directory",
        dir.display()
    );
    dir
}

/// Log4j2 config (properties format, built into log4j-core): warnings, plus the lines that say
/// what the worker and its herder are doing, which is what a failing test needs to show.
const LOG4J2_PROPERTIES: &str = "\
status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.out.ref = OUT
logger.connect.name = org.apache.kafka.connect.runtime.Connect
logger.connect.level = INFO
logger.herder.name = org.apache.kafka.connect.runtime.distributed
logger.herder.level = INFO
logger.rest.name = org.apache.kafka.connect.runtime.rest.RestServer
logger.rest.level = INFO
";

/// What a worker is configured with besides the fixed test settings.
#[derive(Debug, Clone)]
pub struct JavaWorkerSettings {
    /// `group.id`.
    pub group_id: String,
    /// `config.storage.topic` (one partition, as Connect requires).
    pub config_topic: String,
    /// `offset.storage.topic`.
    pub offset_topic: String,
    /// `status.storage.topic`.
    pub status_topic: String,
    /// `offset.storage.partitions` for a topic the worker creates.
    pub offset_partitions: u32,
    /// `status.storage.partitions` for a topic the worker creates.
    pub status_partitions: u32,
    /// More worker properties, written last: a key given here replaces a default.
    pub extra: Vec<(String, String)>,
}

impl JavaWorkerSettings {
    /// Unique group and topic names starting with `prefix` (the broker is shared).
    pub fn unique(prefix: &str) -> JavaWorkerSettings {
        let base = crate::unique(prefix);
        JavaWorkerSettings {
            group_id: format!("{base}-group"),
            config_topic: format!("{base}-configs"),
            offset_topic: format!("{base}-offsets"),
            status_topic: format!("{base}-status"),
            offset_partitions: 3,
            status_partitions: 2,
            extra: Vec::new(),
        }
    }

    /// Add (or replace) a worker property.
    pub fn with(mut self, key: &str, value: &str) -> JavaWorkerSettings {
        self.extra.retain(|(k, _)| k != key);
        self.extra.push((key.to_string(), value.to_string()));
        self
    }

    /// The worker properties for a REST listener on `port`, in file order.
    pub fn properties(&self, bootstrap: &str, port: u16) -> Vec<(String, String)> {
        let json = "org.apache.kafka.connect.json.JsonConverter";
        let mut props: Vec<(String, String)> = [
            ("bootstrap.servers", bootstrap.to_string()),
            ("group.id", self.group_id.clone()),
            ("config.storage.topic", self.config_topic.clone()),
            ("config.storage.replication.factor", "1".into()),
            ("offset.storage.topic", self.offset_topic.clone()),
            ("offset.storage.replication.factor", "1".into()),
            (
                "offset.storage.partitions",
                self.offset_partitions.to_string(),
            ),
            ("status.storage.topic", self.status_topic.clone()),
            ("status.storage.replication.factor", "1".into()),
            (
                "status.storage.partitions",
                self.status_partitions.to_string(),
            ),
            ("key.converter", json.into()),
            ("value.converter", json.into()),
            ("listeners", format!("http://127.0.0.1:{port}")),
            ("rest.advertised.host.name", "127.0.0.1".into()),
            ("rest.advertised.port", port.to_string()),
            ("offset.flush.interval.ms", "1000".into()),
            // Kafka's own plugins all ship ServiceLoader manifests; skips the classpath scan.
            ("plugin.discovery", "service_load".into()),
            // One worker: a departed member's work need not wait the default 5 minutes.
            ("scheduled.rebalance.max.delay.ms", "2000".into()),
            ("task.shutdown.graceful.timeout.ms", "2000".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        for (k, v) in &self.extra {
            match props.iter_mut().find(|(pk, _)| pk == k) {
                Some(p) => p.1 = v.clone(),
                None => props.push((k.clone(), v.clone())),
            }
        }
        props
    }
}

/// One running `ConnectDistributed` JVM; killed on drop.
pub struct JavaWorker {
    child: Child,
    port: u16,
    log: PathBuf,
    settings: JavaWorkerSettings,
}

impl JavaWorker {
    /// Write `<dir>/connect-distributed.properties` and `<dir>/log4j2.properties`, start the
    /// worker (output to `<dir>/connect.log`) and wait until its REST API answers `GET /` and
    /// `GET /health` with 200 (the herder has started: internal topics read, group joined).
    pub fn start(dir: &Path, settings: &JavaWorkerSettings) -> JavaWorker {
        let libs = kafka_libs();
        let port = crate::free_port();
        let props_path = dir.join("connect-distributed.properties");
        let mut text = String::from("# Written by tests/standalone/java_worker.rs\n");
        for (k, v) in settings.properties(&crate::bootstrap(), port) {
            // Properties files treat `\` as an escape; the values here are names and paths.
            text.push_str(&format!("{k}={}\n", v.replace('\\', "\\\\")));
        }
        std::fs::write(&props_path, text).unwrap();
        let log4j = dir.join("log4j2.properties");
        std::fs::write(&log4j, LOG4J2_PROPERTIES).unwrap();
        let log = dir.join("connect.log");
        let out = std::fs::File::create(&log).unwrap();
        let err = out.try_clone().unwrap();
        let child = Command::new("java")
            .args([
                "-Xms64m",
                "-Xmx256m",
                "-XX:+UseSerialGC",
                // C1 only: the worker runs for seconds, and starts noticeably faster without C2.
                "-XX:TieredStopAtLevel=1",
                "-Djava.awt.headless=true",
            ])
            .arg(format!("-Dlog4j2.configurationFile={}", log4j.display()))
            .arg("-cp")
            .arg(format!("{}/*", libs.display()))
            .arg("org.apache.kafka.connect.cli.ConnectDistributed")
            .arg(&props_path)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run `java` (JDK 17 needed): {e}"));
        let mut worker = JavaWorker {
            child,
            port,
            log,
            settings: settings.clone(),
        };
        worker.wait_ready();
        worker
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "the Java worker exited with {status} before it was ready; log:\n{}",
                    self.log()
                );
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok()
                && self.get("/").0 == 200
                && self.get("/health").0 == 200
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the Java worker was not ready within {READY_TIMEOUT:?}; log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// The REST port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The worker id it writes into statuses (`rest.advertised.host.name:port`).
    pub fn worker_id(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The settings it was started with.
    pub fn settings(&self) -> &JavaWorkerSettings {
        &self.settings
    }

    /// Everything the worker printed so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The last 200 lines the worker printed (for panic messages: at DEBUG the log is long).
    pub fn log_tail(&self) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(200)..].join("\n")
    }

    /// A REST call: status code and JSON body (`Null` for an empty body, a JSON string holding
    /// the text for a body that is not JSON).
    pub fn rest(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        http_json(self.port, method, path, body)
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        self.rest("GET", path, None)
    }

    pub fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        self.rest("POST", path, Some(body))
    }

    pub fn put(&self, path: &str, body: &Value) -> (u16, Value) {
        self.rest("PUT", path, Some(body))
    }

    pub fn patch(&self, path: &str, body: &Value) -> (u16, Value) {
        self.rest("PATCH", path, Some(body))
    }

    pub fn delete(&self, path: &str) -> (u16, Value) {
        self.rest("DELETE", path, None)
    }

    /// A REST call that must answer with `expected`; panics with the body and the log otherwise.
    pub fn expect(&self, method: &str, path: &str, body: Option<&Value>, expected: u16) -> Value {
        let (code, value) = self.rest(method, path, body);
        assert_eq!(
            code,
            expected,
            "{method} {path} answered {code}: {value}; log:\n{}",
            self.log_tail()
        );
        value
    }

    /// Poll `GET path` until `done` accepts the body; panics after `timeout` with the last body.
    pub fn wait_for(&self, path: &str, timeout: Duration, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let (code, value) = self.get(path);
            if code == 200 && done(&value) {
                return value;
            }
            assert!(
                Instant::now() < deadline,
                "GET {path} did not reach the expected state within {timeout:?}; last answer \
                 {code}: {value}; log:\n{}",
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// SIGKILL and reap.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM and wait (up to 60 s) for the JVM to exit; its exit status (143 is a clean
    /// SIGTERM shutdown). A JVM still running after that is killed (its log tail goes to
    /// stderr) rather than failing the test: no caller asserts on how the JVM left, and a
    /// herder that was mid-rebalance when its last peer left can spend most of a minute in
    /// its shutdown timeouts on a loaded two-core machine (CI's stop 23).
    pub fn stop(mut self) -> ExitStatus {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success(), "kill -TERM failed");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            if Instant::now() >= deadline {
                eprintln!(
                    "the Java worker did not stop within 60 s of SIGTERM; killing it. Log:\n{}",
                    self.log_tail()
                );
                let _ = self.child.kill();
                return self.child.wait().unwrap();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for JavaWorker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Blocking HTTP/1.1 request with an optional JSON body (no HTTP client dependency). Reads to
/// the end of the connection (`Connection: close`) and decodes a chunked body.
pub fn http_json(port: u16, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let payload = body.map(Value::to_string).unwrap_or_default();
    let mut s = match TcpStream::connect(("127.0.0.1", port)) {
        Ok(s) => s,
        // Not listening (yet, or any more): a status no server sends.
        Err(_) => return (0, Value::Null),
    };
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nAccept: application/json\r\nContent-Length: {}\r\n",
        payload.len()
    );
    if body.is_some() {
        request.push_str("Content-Type: application/json\r\n");
    }
    request.push_str("\r\n");
    request.push_str(&payload);
    if s.write_all(request.as_bytes()).is_err() {
        return (0, Value::Null);
    }
    let mut raw = Vec::new();
    if s.read_to_end(&mut raw).is_err() && raw.is_empty() {
        return (0, Value::Null);
    }
    let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return (0, Value::Null);
    };
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut body = raw[split + 4..].to_vec();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let chunked = head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    if chunked {
        body = dechunk(&body);
    }
    let text = String::from_utf8_lossy(&body);
    let value = if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.to_string()))
    };
    (status, value)
}

/// Decode a `Transfer-Encoding: chunked` body (extensions and trailers ignored).
fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = data.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&data[..eol]);
        let size_text = size_text.split(';').next().unwrap_or("").trim().to_string();
        let Ok(size) = usize::from_str_radix(&size_text, 16) else {
            break;
        };
        data = &data[eol + 2..];
        if size == 0 || data.len() < size {
            out.extend_from_slice(&data[..size.min(data.len())]);
            break;
        }
        out.extend_from_slice(&data[..size]);
        data = data.get(size + 2..).unwrap_or(&[]);
    }
    out
}

#[test]
fn chunked_bodies_are_decoded() {
    assert_eq!(
        dechunk(b"4\r\nWiki\r\n5;x=y\r\npedia\r\n0\r\n\r\n"),
        b"Wikipedia"
    );
    assert_eq!(dechunk(b"0\r\n\r\n"), b"");
}
