//! `strait distributed`: a cluster of Strait workers on a real broker, each a child process
//! (so a crash is a real `kill -9`). The group, its internal topics and the data topics have
//! unique names per test.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{bootstrap, free_port, unique};

/// One `strait distributed` worker process.
pub struct Node {
    child: Child,
    pub port: u16,
    log: PathBuf,
}

/// Worker properties of a test cluster: fast failure detection, a short scheduled rebalance
/// delay, small internal topics.
pub fn cluster_properties(group: &str, port: u16, extra: &str) -> String {
    format!(
        "bootstrap.servers={}\ngroup.id={group}\nkey.converter=org.apache.kafka.connect.storage.StringConverter\nvalue.converter=org.apache.kafka.connect.storage.StringConverter\noffset.storage.topic={group}-offsets\nconfig.storage.topic={group}-configs\nstatus.storage.topic={group}-status\noffset.storage.replication.factor=1\nconfig.storage.replication.factor=1\nstatus.storage.replication.factor=1\noffset.storage.partitions=5\nstatus.storage.partitions=3\nlisteners=http://127.0.0.1:{port}\nrest.advertised.host.name=127.0.0.1\noffset.flush.interval.ms=500\nsession.timeout.ms=6000\nheartbeat.interval.ms=1000\nscheduled.rebalance.max.delay.ms=3000\n{extra}\n",
        bootstrap()
    )
}

impl Node {
    pub fn start(dir: &Path, name: &str, group: &str, extra: &str) -> Node {
        let port = free_port();
        Node::start_with_properties(dir, name, port, &cluster_properties(group, port, extra))
    }

    /// Start a worker from the complete properties file text `properties`, whose `listeners`
    /// must be `http://127.0.0.1:<port>` (the mixed-cluster tests write the very same
    /// properties for Java and Strait workers).
    pub fn start_with_properties(dir: &Path, name: &str, port: u16, properties: &str) -> Node {
        let props = dir.join(format!("{name}.properties"));
        std::fs::write(&props, properties).unwrap();
        let log = dir.join(format!("{name}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_strait"))
            .arg("distributed")
            .arg(&props)
            .env(
                "STRAIT_LOG",
                std::env::var("STRAIT_TEST_WORKER_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Node { child, port, log }
    }

    pub fn worker_id(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Wait until `/health` says healthy (start-up done, first rebalance completed).
    pub fn wait_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok()
                && rest(self.port, "GET", "/health", None).0 == 200
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "worker never became healthy; log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM and wait for a clean exit.
    pub fn stop(mut self) {
        Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
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

    pub fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        rest(self.port, method, path, body)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A JSON request over plain HTTP/1.1 (keeps the tests free of an HTTP client dependency).
pub fn rest(port: u16, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let content_type = if body.is_empty() {
        ""
    } else {
        "Content-Type: application/json\r\n"
    };
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{content_type}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status: u16 = resp.split_whitespace().nth(1).unwrap().parse().unwrap();
    let text = resp.split("\r\n\r\n").nth(1).unwrap_or("");
    (status, serde_json::from_str(text).unwrap_or(Value::Null))
}

/// Poll `f` until it returns `Some`, or fail with `what` and the cluster's logs.
fn wait_for<T>(
    what: &str,
    timeout: Duration,
    nodes: &[&Node],
    mut f: impl FnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        if Instant::now() >= deadline {
            // The whole logs outlive the test's temporary directory.
            let keep = std::env::temp_dir().join("strait-distributed-failures");
            std::fs::create_dir_all(&keep).unwrap();
            let logs: String = nodes
                .iter()
                .map(|n| {
                    let path = keep.join(format!("{}-{}.log", unique("w"), n.port));
                    std::fs::write(&path, n.log()).unwrap();
                    format!(
                        "--- {} ({}):\n{}\n",
                        n.worker_id(),
                        path.display(),
                        tail(&n.log(), 15)
                    )
                })
                .collect();
            panic!("timed out waiting for {what}\n{logs}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Every connector's and task's state and worker, or `None` until all are RUNNING/PAUSED
/// (`connectors`: name and task count).
fn placements(
    node: &Node,
    connectors: &[(&str, usize)],
) -> Option<BTreeMap<String, (String, String)>> {
    let mut out = BTreeMap::new();
    for (c, task_count) in connectors {
        let (code, s) = node.call("GET", &format!("/connectors/{c}/status"), None);
        if code != 200 {
            return None;
        }
        let state = s["connector"]["state"].as_str()?.to_string();
        out.insert(
            c.to_string(),
            (state, s["connector"]["worker_id"].as_str()?.to_string()),
        );
        let tasks = s["tasks"].as_array()?;
        if tasks.len() != *task_count {
            return None;
        }
        for t in tasks {
            out.insert(
                format!("{c}-{}", t["id"]),
                (
                    t["state"].as_str()?.to_string(),
                    t["worker_id"].as_str()?.to_string(),
                ),
            );
        }
    }
    out.values()
        .all(|(s, _)| s == "RUNNING" || s == "PAUSED")
        .then_some(out)
}

pub(crate) fn lines_of(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

pub(crate) fn append(path: &Path, from: usize, n: usize) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    for i in from..from + n {
        writeln!(f, "line-{i:06}").unwrap();
    }
}

/// Lines appended to `file` by a background thread, `step` lines every 50 ms, until stopped.
pub(crate) struct Appender {
    count: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Appender {
    pub(crate) fn start(file: &Path, from: usize, step: usize) -> Appender {
        let count = Arc::new(AtomicUsize::new(from));
        let stop = Arc::new(AtomicBool::new(false));
        let file = file.to_path_buf();
        let thread = {
            let (count, stop) = (count.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let n = count.load(Ordering::SeqCst);
                    append(&file, n, step);
                    count.store(n + step, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(50));
                }
            })
        };
        Appender {
            count,
            stop,
            thread: Some(thread),
        }
    }

    pub(crate) fn appended(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    /// Stop appending; the number of lines the file holds.
    pub(crate) fn finish(mut self) -> usize {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
        self.appended()
    }
}

impl Drop for Appender {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Every input line reached the output (at least once); returns the number of duplicates.
fn wait_delivered(out: &Path, expected: usize, nodes: &[&Node]) -> usize {
    wait_for(
        "every line in the sink's file",
        Duration::from_secs(90),
        nodes,
        || {
            let lines = lines_of(out);
            let distinct: BTreeSet<&String> = lines.iter().collect();
            (distinct.len() >= expected).then(|| {
                let wanted: BTreeSet<String> =
                    (0..expected).map(|i| format!("line-{i:06}")).collect();
                let got: BTreeSet<String> = lines.iter().cloned().collect();
                assert_eq!(got, wanted, "the output holds exactly the input's lines");
                lines.len() - expected
            })
        },
    )
}

fn connector(name: &str, config: Value) -> Value {
    json!({"name": name, "config": config})
}

/// Per worker, how many connectors and how many tasks it runs.
fn load(p: &BTreeMap<String, (String, String)>, workers: &[String]) -> Vec<(usize, usize)> {
    workers
        .iter()
        .map(|w| {
            let on = |task: bool| {
                p.iter()
                    .filter(|(id, (_, at))| at == w && is_task(id) == task)
                    .count()
            };
            (on(false), on(true))
        })
        .collect()
}

/// Task ids end with `-<n>`; connector names in these tests do not.
fn is_task(id: &str) -> bool {
    id.rsplit_once('-')
        .is_some_and(|(_, n)| n.chars().all(|c| c.is_ascii_digit()))
}

/// How many times the worker's log says it started `task`.
pub(crate) fn starts(node: &Node, task: &str) -> usize {
    let suffix = format!("task started task={task}");
    node.log().lines().filter(|l| l.ends_with(&suffix)).count()
}

/// Java's assignor balances connectors and tasks separately: for each, max − min ≤ 1.
pub(crate) fn balanced(load: &[(usize, usize)]) -> bool {
    let spread = |f: fn(&(usize, usize)) -> usize| {
        load.iter().map(f).max().unwrap_or(0) - load.iter().map(f).min().unwrap_or(0)
    };
    spread(|l| l.0) <= 1 && spread(|l| l.1) <= 1
}

#[test]
fn three_workers_share_work_survive_kill_9_scale_out_and_a_full_restart() {
    let dir = tempfile::tempdir().unwrap();
    let group = unique("dist");
    // Connector names are unique too: a sink's consumer group is `connect-<name>`.
    let src = format!("{group}-src");
    let sink = format!("{group}-sink");
    let sink2 = format!("{group}-sink2");
    let topic = format!("{group}-lines");
    let input = dir.path().join("in.txt");
    let out = dir.path().join("out.txt");
    let out2 = dir.path().join("out2.txt");
    append(&input, 0, 2000);
    let nodes: Vec<Node> = (0..3)
        .map(|i| Node::start(dir.path(), &format!("w{i}"), &group, ""))
        .collect();
    nodes.iter().for_each(Node::wait_healthy);

    // Created through different workers: followers forward to the leader.
    let source = connector(
        &src,
        json!({"connector.class": "FileStreamSource", "file": input.display().to_string(),
               "topic": topic, "tasks.max": "1"}),
    );
    let (code, body) = nodes[1].call("POST", "/connectors", Some(source.clone()));
    assert_eq!(code, 201, "{body}");
    assert_eq!(body["name"], src.as_str());
    let (code, body) = nodes[2].call("POST", "/connectors", Some(source));
    assert_eq!(code, 409, "a second create conflicts: {body}");
    for (i, (name, file)) in [(&sink, &out), (&sink2, &out2)].into_iter().enumerate() {
        let (code, body) = nodes[i].call(
            "POST",
            "/connectors",
            Some(connector(
                name,
                json!({"connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
                       "file": file.display().to_string(), "topics": topic, "tasks.max": "2"}),
            )),
        );
        assert_eq!(code, 201, "{body}");
    }
    let all = [(src.as_str(), 1), (sink.as_str(), 2), (sink2.as_str(), 2)];
    let refs: Vec<&Node> = nodes.iter().collect();
    let placed = wait_for(
        "every connector and task RUNNING",
        Duration::from_secs(60),
        &refs,
        || placements(&nodes[0], &all),
    );
    let workers: Vec<String> = nodes.iter().map(Node::worker_id).collect();
    let per_worker = load(&placed, &workers);
    assert_eq!(placed.len(), 8, "{placed:?}");
    assert!(
        balanced(&per_worker),
        "connectors and tasks are balanced: {per_worker:?} {placed:?}"
    );
    // Every worker answers with the same view.
    for n in &nodes {
        let (code, list) = n.call("GET", "/connectors", None);
        assert_eq!((code, list), (200, json!([sink, sink2, src])));
    }
    assert_eq!(
        wait_delivered(&out, 2000, &refs),
        0,
        "no duplicates without failures"
    );

    // kill -9 the worker running the source task: the task moves and nothing is lost.
    let source_worker = placed[&format!("{src}-0")].1.clone();
    let victim = workers.iter().position(|w| *w == source_worker).unwrap();
    let mut nodes = nodes;
    let killed = nodes.remove(victim);
    killed.kill9();
    append(&input, 2000, 1000);
    let refs: Vec<&Node> = nodes.iter().collect();
    let survivors: Vec<String> = nodes.iter().map(Node::worker_id).collect();
    // Moved once the scheduled delay ran out, then balanced again (a revocation round).
    let moved = wait_for(
        "the killed worker's work RUNNING elsewhere, balanced",
        Duration::from_secs(60),
        &refs,
        || {
            placements(&nodes[0], &all).filter(|p| {
                p.values().all(|(_, w)| *w != source_worker) && balanced(&load(p, &survivors))
            })
        },
    );
    let duplicates = wait_delivered(&out, 3000, &refs);
    eprintln!("kill -9: {duplicates} duplicate lines (at-least-once, where the source task moved)");

    // A new worker takes a share; work that does not move keeps running (no restart).
    let starts_before: Vec<BTreeMap<String, usize>> = nodes
        .iter()
        .map(|n| {
            moved
                .keys()
                .filter(|id| is_task(id))
                .map(|id| (id.clone(), starts(n, id)))
                .collect()
        })
        .collect();
    let newcomer = Node::start(dir.path(), "w3", &group, "");
    newcomer.wait_healthy();
    nodes.push(newcomer);
    let refs: Vec<&Node> = nodes.iter().collect();
    let workers: Vec<String> = nodes.iter().map(Node::worker_id).collect();
    let rebalanced = wait_for(
        "the new worker running a share",
        Duration::from_secs(60),
        &refs,
        || {
            placements(&nodes[0], &all).filter(|p| {
                let l = load(p, &workers);
                l.last().is_some_and(|n| n.0 + n.1 > 0) && balanced(&l)
            })
        },
    );
    for (n, before) in nodes[..2].iter().zip(&starts_before) {
        for (task, (_, w)) in &rebalanced {
            if *w == n.worker_id()
                && is_task(task)
                && moved.get(task).map(|(_, was)| was) == Some(w)
            {
                assert_eq!(
                    starts(n, task),
                    before.get(task).copied().unwrap_or(0),
                    "{task} stayed on {w} and was not restarted"
                );
            }
        }
    }
    append(&input, 3000, 500);
    wait_delivered(&out, 3500, &refs);

    // Pause the second sink, then restart the whole cluster: everything comes back from the
    // internal topics (configs, target states, offsets, statuses).
    let (code, _) = nodes[0].call("PUT", &format!("/connectors/{sink2}/pause"), None);
    assert_eq!(code, 202);
    wait_for("sink2 PAUSED", Duration::from_secs(30), &refs, || {
        let (_, s) = nodes[1].call("GET", &format!("/connectors/{sink2}/status"), None);
        (s["connector"]["state"] == "PAUSED"
            && s["tasks"]
                .as_array()?
                .iter()
                .all(|t| t["state"] == "PAUSED"))
        .then_some(())
    });
    let (_, configs_before) = nodes[2].call("GET", "/connectors?expand=info", None);
    let (_, offsets_before) = nodes[0].call("GET", &format!("/connectors/{src}/offsets"), None);
    assert!(
        offsets_before["offsets"][0]["offset"]["position"]
            .as_i64()
            .unwrap_or(0)
            > 0,
        "source offsets are committed: {offsets_before}"
    );
    for n in nodes {
        n.stop();
    }
    let lines_before_restart = lines_of(&out).len();
    append(&input, 3500, 500);
    let nodes: Vec<Node> = (0..3)
        .map(|i| Node::start(dir.path(), &format!("r{i}"), &group, ""))
        .collect();
    nodes.iter().for_each(Node::wait_healthy);
    let refs: Vec<&Node> = nodes.iter().collect();
    let after = wait_for(
        "every connector back",
        Duration::from_secs(60),
        &refs,
        || placements(&nodes[2], &all),
    );
    let (_, configs_after) = nodes[1].call("GET", "/connectors?expand=info", None);
    let strip_tasks = |v: &Value| -> Value {
        let mut v = v.clone();
        for (_, c) in v.as_object_mut().unwrap() {
            c["info"].as_object_mut().unwrap().remove("tasks");
        }
        v
    };
    assert_eq!(strip_tasks(&configs_after), strip_tasks(&configs_before));
    assert_eq!(
        after[&sink2].0, "PAUSED",
        "the target state survived: {after:?}"
    );
    assert_eq!(after[&src].0, "RUNNING");
    wait_delivered(&out, 4000, &refs);
    let reread = lines_of(&out).len() - lines_before_restart;
    assert!(
        reread < 1000,
        "the source resumed from its committed offset instead of re-reading the file ({reread} lines written after the restart)"
    );
    let (_, offsets_after) = nodes[0].call("GET", &format!("/connectors/{src}/offsets"), None);
    assert!(
        offsets_after["offsets"][0]["offset"]["position"].as_i64()
            >= offsets_before["offsets"][0]["offset"]["position"].as_i64()
    );
}

#[test]
fn internal_endpoints_require_a_valid_signature_and_only_the_leader_writes() {
    let dir = tempfile::tempdir().unwrap();
    let group = unique("dist-sig");
    let a = Node::start(dir.path(), "a", &group, "");
    let b = Node::start(dir.path(), "b", &group, "");
    a.wait_healthy();
    b.wait_healthy();
    let (code, body) = b.call(
        "POST",
        "/connectors",
        Some(connector(
            "c",
            json!({"connector.class": "FileStreamSink", "file": dir.path().join("o").display().to_string(),
                   "topics": format!("{group}-t"), "tasks.max": "1"}),
        )),
    );
    assert_eq!(code, 201, "{body}");
    for n in [&a, &b] {
        // KIP-507 (`SessionedProtocolIntegrationTest`): unsigned → 400, wrong signature → 403,
        // whether or not the connector exists.
        for name in ["c", "nope"] {
            let (code, body) = n.call(
                "POST",
                &format!("/connectors/{name}/tasks"),
                Some(json!([])),
            );
            assert_eq!(code, 400, "{body}");
            assert_eq!(
                body["message"],
                "Internal request missing required signature"
            );
            let mut s = TcpStream::connect(("127.0.0.1", n.port)).unwrap();
            write!(s, "POST /connectors/{name}/tasks HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nX-Connect-Authorization: AAAA\r\nX-Connect-Request-Signature-Algorithm: HmacSHA256\r\nContent-Length: 2\r\n\r\n[]").unwrap();
            let mut resp = String::new();
            s.read_to_string(&mut resp).unwrap();
            assert!(resp.starts_with("HTTP/1.1 403"), "{resp}");
        }
    }
    // Health, root and plugins are served by every worker.
    assert_eq!(b.call("GET", "/", None).0, 200);
    assert_eq!(b.call("GET", "/connector-plugins", None).0, 200);
}

/// The older sub-protocols: `eager` (everything stops on every rebalance, v0 assignments) and
/// `compatible` (cooperative without request signing, v1). Two workers run a pipeline; the one
/// running the source is killed; the other takes everything over and nothing is lost.
fn older_protocol_cluster_fails_over(protocol: &str) {
    let dir = tempfile::tempdir().unwrap();
    let group = unique(&format!("dist-{protocol}"));
    let (src, sink) = (format!("{group}-src"), format!("{group}-sink"));
    let topic = format!("{group}-lines");
    let input = dir.path().join("in.txt");
    let out = dir.path().join("out.txt");
    append(&input, 0, 500);
    let extra = format!("connect.protocol={protocol}");
    let nodes: Vec<Node> = (0..2)
        .map(|i| Node::start(dir.path(), &format!("w{i}"), &group, &extra))
        .collect();
    nodes.iter().for_each(Node::wait_healthy);
    let (code, body) = nodes[1].call(
        "POST",
        "/connectors",
        Some(connector(
            &src,
            json!({"connector.class": "FileStreamSource", "file": input.display().to_string(),
                   "topic": topic, "tasks.max": "1"}),
        )),
    );
    assert_eq!(code, 201, "{body}");
    let (code, body) = nodes[0].call(
        "POST",
        "/connectors",
        Some(connector(
            &sink,
            json!({"connector.class": "FileStreamSink", "file": out.display().to_string(),
                   "topics": topic, "tasks.max": "1"}),
        )),
    );
    assert_eq!(code, 201, "{body}");
    let refs: Vec<&Node> = nodes.iter().collect();
    let all = [(src.as_str(), 1), (sink.as_str(), 1)];
    let placed = wait_for(
        "both connectors RUNNING",
        Duration::from_secs(60),
        &refs,
        || placements(&nodes[0], &all),
    );
    wait_delivered(&out, 500, &refs);
    let source_worker = placed[&format!("{src}-0")].1.clone();
    let mut nodes = nodes;
    let victim = nodes
        .iter()
        .position(|n| n.worker_id() == source_worker)
        .unwrap();
    nodes.remove(victim).kill9();
    append(&input, 500, 500);
    let refs: Vec<&Node> = nodes.iter().collect();
    wait_for(
        "everything RUNNING on the survivor",
        Duration::from_secs(60),
        &refs,
        || {
            placements(&nodes[0], &all)
                .filter(|p| p.values().all(|(_, w)| *w == nodes[0].worker_id()))
        },
    );
    wait_delivered(&out, 1000, &refs);
}

#[test]
fn eager_protocol_cluster_fails_over() {
    older_protocol_cluster_fails_over("eager");
}

#[test]
fn compatible_protocol_cluster_fails_over() {
    older_protocol_cluster_fails_over("compatible");
}

use super::metrics::{golden as golden_metrics, parse as parse_metrics, Series};

/// `GET /metrics` of a worker, parsed by family name.
fn metrics_page(port: u16) -> BTreeMap<String, Series> {
    let (status, _, body) = super::metrics::get_text(port, "/metrics");
    assert_eq!(status, 200, "{body}");
    parse_metrics(&body)
}

/// The values of `name` on a page whose labels include `labels` (none when absent).
fn series_values(page: &BTreeMap<String, Series>, name: &str, labels: &[(&str, &str)]) -> Vec<f64> {
    page.get(name)
        .map(|series| {
            series
                .iter()
                .filter(|(l, _)| {
                    labels
                        .iter()
                        .all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))
                })
                .map(|(_, v)| *v)
                .collect()
        })
        .unwrap_or_default()
}

/// `name`'s value (one unlabelled series) of the rebalance or worker group, `None` if absent.
fn gauge(page: &BTreeMap<String, Series>, name: &str) -> Option<f64> {
    match series_values(page, name, &[])[..] {
        [v] => Some(v),
        _ => None,
    }
}

/// Both workers out of rebalancing, in the same generation: `Some(epoch)`.
fn stable_epoch(pages: &[BTreeMap<String, Series>]) -> Option<f64> {
    const R: &str = "kafka_connect_connect_worker_rebalance_metrics_";
    let epochs: Vec<f64> = pages
        .iter()
        .map(|p| {
            (gauge(p, &format!("{R}rebalancing")) == Some(0.0)
                && gauge(p, &format!("{R}completed_rebalances")).is_some_and(|c| c >= 1.0))
            .then(|| gauge(p, &format!("{R}epoch")))
            .flatten()
        })
        .collect::<Option<_>>()?;
    (epochs.iter().all(|e| *e >= 1.0 && *e == epochs[0])).then_some(epochs[0])
}

#[test]
fn metrics_of_a_distributed_worker_name_the_rebalance_group_and_count_records() {
    const R: &str = "kafka_connect_connect_worker_rebalance_metrics_";
    const W: &str = "kafka_connect_connect_worker_metrics_";
    let began = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let group = unique("dist-metrics");
    let (src, sink) = (format!("{group}-src"), format!("{group}-sink"));
    let topic = format!("{group}-lines");
    let input = dir.path().join("in.txt");
    let out = dir.path().join("out.txt");
    let records = 1000;
    std::fs::write(&input, "").unwrap();
    let nodes: Vec<Node> = (0..2)
        .map(|i| Node::start(dir.path(), &format!("w{i}"), &group, ""))
        .collect();
    nodes.iter().for_each(Node::wait_healthy);
    let refs: Vec<&Node> = nodes.iter().collect();
    let scrape = || -> Vec<BTreeMap<String, Series>> {
        nodes.iter().map(|n| metrics_page(n.port)).collect()
    };
    // Both workers joined one generation before there is any work.
    wait_for(
        "both workers in one generation",
        Duration::from_secs(60),
        &refs,
        || stable_epoch(&scrape()),
    );

    let (code, body) = nodes[1].call(
        "POST",
        "/connectors",
        Some(connector(
            &src,
            json!({"connector.class": "FileStreamSource", "file": input.display().to_string(),
                   "topic": topic, "tasks.max": "1"}),
        )),
    );
    assert_eq!(code, 201, "{body}");
    let (code, body) = nodes[0].call(
        "POST",
        "/connectors",
        Some(connector(
            &sink,
            json!({"connector.class": "FileStreamSink", "file": out.display().to_string(),
                   "topics": topic, "tasks.max": "1"}),
        )),
    );
    assert_eq!(code, 201, "{body}");
    let all = [(src.as_str(), 1), (sink.as_str(), 1)];
    let workers: Vec<String> = nodes.iter().map(Node::worker_id).collect();
    // Every connector and task RUNNING, the group settled, and each worker's counts those of
    // what the status topic says it runs: no work moves once the records flow.
    let (placed, epoch) = wait_for(
        "both connectors RUNNING and the group settled",
        Duration::from_secs(60),
        &refs,
        || {
            let placed = placements(&nodes[0], &all)?;
            let pages = scrape();
            let epoch = stable_epoch(&pages)?;
            let per_worker = load(&placed, &workers);
            pages
                .iter()
                .zip(&per_worker)
                .all(|(p, (connectors, tasks))| {
                    gauge(p, &format!("{W}connector_count")) == Some(*connectors as f64)
                        && gauge(p, &format!("{W}task_count")) == Some(*tasks as f64)
                })
                .then_some((placed, epoch))
        },
    );
    append(&input, 0, records);
    assert_eq!(
        wait_delivered(&out, records, &refs),
        0,
        "no duplicates without failures"
    );

    // Metrics are per worker, as in Java: the counts summed over the cluster equal the records.
    let n = records as f64;
    let source_task = [("connector", src.as_str()), ("task", "0")];
    let sink_task = [("connector", sink.as_str()), ("task", "0")];
    let total = |pages: &[BTreeMap<String, Series>], name: &str, labels: &[(&str, &str)]| {
        pages
            .iter()
            .flat_map(|p| series_values(p, name, labels))
            .sum::<f64>()
    };
    let pages = wait_for(
        "the counts summed over both workers equal the records",
        Duration::from_secs(60),
        &refs,
        || {
            let pages = scrape();
            (stable_epoch(&pages).is_some()
                && total(
                    &pages,
                    "kafka_connect_source_task_metrics_source_record_write",
                    &source_task,
                ) == n
                && total(
                    &pages,
                    "kafka_connect_sink_task_metrics_sink_record_send",
                    &sink_task,
                ) == n)
                .then_some(pages)
        },
    );
    // Generations only grow (a rebalance under load may come, moving nothing).
    let final_epoch = stable_epoch(&pages).unwrap();
    assert!(final_epoch >= epoch, "{final_epoch} after {epoch}");
    assert_eq!(total(&pages, &format!("{W}connector_count"), &[]), 2.0);
    assert_eq!(total(&pages, &format!("{W}task_count"), &[]), 2.0);
    assert_eq!(
        total(
            &pages,
            "kafka_connect_source_task_metrics_source_record_poll",
            &source_task
        ),
        n
    );
    assert_eq!(
        total(
            &pages,
            "kafka_connect_sink_task_metrics_sink_record_read",
            &sink_task
        ),
        n
    );

    let golden = golden_metrics();
    let by_name: BTreeMap<&str, &BTreeSet<String>> =
        golden.iter().map(|(_, _, n, l)| (n.as_str(), l)).collect();
    for ((page, worker), node) in pages.iter().zip(&workers).zip(&nodes) {
        let log = || tail(&node.log(), 30);
        // A task's series are on the worker that runs it, and only there.
        for (task, labels) in [
            (format!("{src}-0"), &source_task),
            (format!("{sink}-0"), &sink_task),
        ] {
            let here = placed[&task].1 == *worker;
            assert_eq!(
                series_values(
                    page,
                    "kafka_connect_connector_task_metrics_batch_size_max",
                    labels
                )
                .len(),
                usize::from(here),
                "{task} runs on {}, page of {worker}",
                placed[&task].1
            );
        }
        // The rebalance group: this worker's generation, settled, its last rebalance done
        // during this test.
        assert_eq!(
            gauge(page, &format!("{R}epoch")),
            Some(final_epoch),
            "{worker}"
        );
        assert!(final_epoch >= 1.0);
        let completed = gauge(page, &format!("{R}completed_rebalances")).unwrap();
        assert!(completed >= 1.0, "{worker}: {completed} rebalances");
        assert_eq!(gauge(page, &format!("{R}rebalancing")), Some(0.0));
        let since = gauge(page, &format!("{R}time_since_last_rebalance_ms")).unwrap();
        assert!(
            since.is_finite() && since >= 0.0 && since <= began.elapsed().as_millis() as f64,
            "{worker}: time since the last rebalance {since} ms"
        );
        // Windowed: NaN once the window holds no rebalance, as Java's Max and Avg.
        let max = gauge(page, &format!("{R}rebalance_max_time_ms")).unwrap();
        let avg = gauge(page, &format!("{R}rebalance_avg_time_ms")).unwrap();
        assert!(
            (max.is_nan() && avg.is_nan()) || (avg >= 0.0 && avg <= max),
            "{worker}: rebalance time avg {avg} max {max}"
        );
        // Every series is one of Java's metrics with the exporter's labels, or Strait's own.
        for (name, series) in page {
            if name.starts_with("strait_") {
                continue;
            }
            assert!(
                name.starts_with("kafka_connect_"),
                "{worker}: {name} is neither Java's nor Strait's"
            );
            let labels = by_name.get(name.as_str()).unwrap_or_else(|| {
                panic!(
                    "{worker}: {name} is not a metric of Java's registry\n{}",
                    log()
                )
            });
            for (l, _) in series {
                let got: BTreeSet<String> = l.keys().cloned().collect();
                assert_eq!(&got, *labels, "{worker}: labels of {name}");
            }
        }
        // Every worker-wide metric of the worker and rebalance groups is served (per-connector
        // ones exist only for some connectors, so they are not required here).
        for (group, metric, name, labels) in &golden {
            if (group == "connect-worker-rebalance-metrics" || group == "connect-worker-metrics")
                && labels.is_empty()
            {
                assert!(
                    page.contains_key(name),
                    "{worker}: {group} {metric} ({name}) is missing"
                );
            }
        }
    }
    for n in nodes {
        n.stop();
    }
}

/// HTTPS between workers (Java's `RestClient` with the worker's `ssl.*`): two workers on
/// `https` listeners with the test CA's server certificate in a PKCS12 key store, the CA in a
/// JKS trust store, client certificates required. Connectors created on the worker that does
/// not lead are forwarded to the leader over TLS (presenting the worker's certificate), their
/// task configs reach the leader as signed internal requests over TLS, and the pipeline runs.
#[test]
fn https_workers_forward_to_the_leader_over_tls() {
    use super::pki::{https_client, make_java_stores, make_pki, STORE_PASSWORD, TRUST_PASSWORD};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    make_pki(d);
    make_java_stores(d);
    let group = unique("dist-https");
    let extra = format!(
        "ssl.keystore.type=PKCS12\nssl.keystore.location={}\nssl.keystore.password={STORE_PASSWORD}\nssl.truststore.location={}\nssl.truststore.password={TRUST_PASSWORD}\nssl.client.auth=required",
        d.join("server.p12").display(),
        d.join("truststore.jks").display()
    );
    let nodes: Vec<Node> = ["a", "b"]
        .iter()
        .map(|name| {
            let port = free_port();
            let props = cluster_properties(&group, port, &extra)
                .replace("listeners=http://", "listeners=https://");
            Node::start_with_properties(d, name, port, &props)
        })
        .collect();
    let rt = super::s3::runtime();
    let client = https_client(d, Some("client-identity.pem"));
    let call = |n: &Node, method: &str, path: &str, body: Option<Value>| -> Option<(u16, Value)> {
        rt.block_on(async {
            let url = format!("https://127.0.0.1:{}{path}", n.port);
            let mut req = client.request(method.parse().unwrap(), url);
            if let Some(b) = body {
                req = req
                    .header("content-type", "application/json")
                    .body(b.to_string());
            }
            let resp = req.send().await.ok()?;
            let status = resp.status().as_u16();
            let text = resp.text().await.ok()?;
            Some((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
        })
    };
    let refs: Vec<&Node> = nodes.iter().collect();
    wait_for(
        "both workers healthy over HTTPS",
        Duration::from_secs(90),
        &refs,
        || {
            nodes
                .iter()
                .all(|n| matches!(call(n, "GET", "/health", None), Some((200, _))))
                .then_some(())
        },
    );
    // The worker whose latest rebalance made it leader, and the other one.
    let leads = |n: &Node| {
        n.log()
            .lines()
            .rev()
            .find(|l| l.contains("joined the group"))
            .is_some_and(|l| l.contains("leader=true"))
    };
    let (leader, follower) = wait_for("one leader", Duration::from_secs(60), &refs, || {
        match (leads(&nodes[0]), leads(&nodes[1])) {
            (true, false) => Some((&nodes[0], &nodes[1])),
            (false, true) => Some((&nodes[1], &nodes[0])),
            _ => None,
        }
    });
    // The REST API refuses clients without a certificate.
    let anonymous = https_client(d, None);
    let url = format!("https://127.0.0.1:{}/", follower.port);
    assert!(rt
        .block_on(async { anonymous.get(url).send().await })
        .is_err());

    let topic = format!("{group}-lines");
    let input = d.join("in.txt");
    let out = d.join("out.txt");
    append(&input, 0, 200);
    for (name, config) in [
        (
            format!("{group}-src"),
            json!({"connector.class": "FileStreamSource", "file": input.display().to_string(),
                   "topic": topic, "tasks.max": "1"}),
        ),
        (
            format!("{group}-sink"),
            json!({"connector.class": "FileStreamSink", "file": out.display().to_string(),
                   "topics": topic, "tasks.max": "1"}),
        ),
    ] {
        // Only the leader writes configs: the follower forwards the request over TLS.
        let answer = call(
            follower,
            "POST",
            "/connectors",
            Some(connector(&name, config)),
        );
        assert!(
            matches!(answer, Some((201, _))),
            "creating {name} through the follower: {answer:?}; follower log:\n{}",
            tail(&follower.log(), 30)
        );
    }
    wait_for(
        "both connectors and their tasks RUNNING",
        Duration::from_secs(90),
        &refs,
        || {
            [format!("{group}-src"), format!("{group}-sink")]
                .iter()
                .all(|c| {
                    let Some((200, s)) =
                        call(leader, "GET", &format!("/connectors/{c}/status"), None)
                    else {
                        return false;
                    };
                    s["connector"]["state"] == "RUNNING" && s["tasks"][0]["state"] == "RUNNING"
                })
                .then_some(())
        },
    );
    wait_delivered(&out, 200, &refs);
    // The leader gives out an https URL: no request went over plain HTTP.
    for n in &nodes {
        let log = n.log();
        assert!(!log.contains("IO Error trying to forward"), "{log}");
        assert!(!log.contains(STORE_PASSWORD), "{log}");
    }
    for n in nodes {
        n.stop();
    }
}
