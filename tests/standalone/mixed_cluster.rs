//! One Connect cluster of Apache Kafka Connect 4.1.2 workers (`ConnectDistributed` JVMs) and
//! Strait workers (`strait distributed`): same group, same internal topics, the very same worker
//! properties apart from the REST listener. The REST API is served (or forwarded to the leader)
//! by every worker whichever kind leads, work is shared across kinds, FileStream data flows end to
//! end, and a Java cluster can be replaced by Strait workers one worker at a time.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::distributed::{append, balanced, lines_of, starts, Appender, Node};
use super::java_worker::{http_json, java_test_lock, JavaWorker, JavaWorkerSettings};
use super::{bootstrap, free_port};

/// Worker properties shared by every worker of a test cluster, Java or Strait. The settings of
/// `cluster_properties` (StringConverter, fast failure detection, a short scheduled rebalance
/// delay, a frequent offset flush), a short graceful task shutdown, and sink consumers whose
/// session times out in 10 s rather than 45 s: a sink task that moves from a worker that died
/// must not wait for its predecessor's consumer to expire.
fn shared_settings(prefix: &str) -> JavaWorkerSettings {
    let string = "org.apache.kafka.connect.storage.StringConverter";
    let mut settings = JavaWorkerSettings::unique(prefix);
    settings.offset_partitions = 5;
    settings.status_partitions = 3;
    [
        ("key.converter", string),
        ("value.converter", string),
        ("offset.flush.interval.ms", "500"),
        ("session.timeout.ms", "6000"),
        ("heartbeat.interval.ms", "1000"),
        ("scheduled.rebalance.max.delay.ms", "3000"),
        ("task.shutdown.graceful.timeout.ms", "2000"),
        ("consumer.session.timeout.ms", "10000"),
        ("consumer.heartbeat.interval.ms", "1000"),
    ]
    .into_iter()
    .fold(settings, |s, (k, v)| s.with(k, v))
}

/// A Java worker in its own directory `<dir>/<name>` (it writes its properties and log there).
fn start_java(dir: &Path, name: &str, settings: &JavaWorkerSettings) -> JavaWorker {
    let home = dir.join(name);
    std::fs::create_dir_all(&home).unwrap();
    JavaWorker::start(&home, settings)
}

/// A Strait worker whose properties file is exactly what a Java worker on the same port gets.
fn start_strait(dir: &Path, name: &str, settings: &JavaWorkerSettings) -> Node {
    let port = free_port();
    let text: String = settings
        .properties(&bootstrap(), port)
        .into_iter()
        .map(|(k, v)| format!("{k}={v}\n"))
        .collect();
    let node = Node::start_with_properties(dir, name, port, &text);
    node.wait_healthy();
    node
}

/// The workers of a test, for calls by port and for logs when something times out.
struct Members<'a> {
    java: Vec<&'a JavaWorker>,
    strait: Vec<&'a Node>,
}

impl Members<'_> {
    fn ports(&self) -> Vec<u16> {
        let java = self.java.iter().map(|j| j.port());
        java.chain(self.strait.iter().map(|n| n.port)).collect()
    }

    fn logs(&self) -> String {
        let tail = |log: String| {
            let lines: Vec<&str> = log.lines().collect();
            lines[lines.len().saturating_sub(25)..].join("\n")
        };
        let java = self
            .java
            .iter()
            .map(|j| format!("--- Java {}:\n{}\n", j.worker_id(), tail(j.log())));
        let strait = self
            .strait
            .iter()
            .map(|n| format!("--- Strait {}:\n{}\n", n.worker_id(), tail(n.log())));
        java.chain(strait).collect()
    }

    /// Poll `f` until it returns `Some`; panic with `what` and every worker's log tail.
    fn wait<T>(&self, what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(v) = f() {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// The status of `connector` as every worker reports it, once they all agree.
    fn agreed_status(&self, connector: &str) -> Option<Value> {
        let mut seen: Option<Value> = None;
        for port in self.ports() {
            let (code, status) = http_json(
                port,
                "GET",
                &format!("/connectors/{connector}/status"),
                None,
            );
            if code != 200 || seen.as_ref().is_some_and(|s| *s != status) {
                return None;
            }
            seen = Some(status);
        }
        seen
    }

    /// Every connector's and task's (state, worker) once all workers report the same statuses,
    /// every task count is as expected and every state is `want` (RUNNING or PAUSED).
    fn placements(&self, connectors: &[(&str, usize)], want: &[&str]) -> Option<Placements> {
        let mut out = BTreeMap::new();
        for (c, task_count) in connectors {
            let s = self.agreed_status(c)?;
            let connector = &s["connector"];
            out.insert(
                c.to_string(),
                (
                    connector["state"].as_str()?.to_string(),
                    connector["worker_id"].as_str()?.to_string(),
                ),
            );
            let tasks = s["tasks"].as_array()?;
            if tasks.len() != *task_count {
                return None;
            }
            for t in tasks {
                out.insert(
                    format!("{c}/{}", t["id"]),
                    (
                        t["state"].as_str()?.to_string(),
                        t["worker_id"].as_str()?.to_string(),
                    ),
                );
            }
        }
        out.values()
            .all(|(s, _)| want.contains(&s.as_str()))
            .then_some(out)
    }
}

/// Connector name or `<connector>/<task id>` → (state, worker id).
type Placements = BTreeMap<String, (String, String)>;

/// Per worker, how many connectors and how many tasks it runs.
fn load(p: &Placements, workers: &[String]) -> Vec<(usize, usize)> {
    workers
        .iter()
        .map(|w| {
            let on = |task: bool| {
                p.iter()
                    .filter(|(id, (_, at))| at == w && id.contains('/') == task)
                    .count()
            };
            (on(false), on(true))
        })
        .collect()
}

/// The workers running tasks of `connector`.
fn task_workers(p: &Placements, connector: &str) -> BTreeSet<String> {
    let prefix = format!("{connector}/");
    p.iter()
        .filter(|(id, _)| id.starts_with(&prefix))
        .map(|(_, (_, w))| w.clone())
        .collect()
}

/// The leader URL of the Java worker's latest assignment ("... leaderUrl='http://h:p/' ...").
fn java_leader_url(java: &JavaWorker) -> Option<String> {
    let log = java.log();
    let line = log.lines().rev().find(|l| l.contains("leaderUrl='"))?;
    let rest = &line[line.find("leaderUrl='")? + "leaderUrl='".len()..];
    Some(rest[..rest.find('\'')?].to_string())
}

/// Whether the Strait worker's latest "joined the group" line says it leads.
fn strait_leads(node: &Node) -> bool {
    node.log()
        .lines()
        .rev()
        .find(|l| l.contains("joined the group"))
        .is_some_and(|l| l.contains("leader=true"))
}

/// Every line `line-000000 .. line-<expected>` is in `out` (at least once), in input order apart
/// from replays; returns the number of duplicate lines.
fn delivered(out: &Path, expected: usize) -> Option<usize> {
    let lines = lines_of(out);
    let distinct: BTreeSet<&String> = lines.iter().collect();
    if distinct.len() < expected {
        return None;
    }
    let wanted: BTreeSet<String> = (0..expected).map(|i| format!("line-{i:06}")).collect();
    let got: BTreeSet<String> = lines.iter().cloned().collect();
    assert_eq!(got, wanted, "the output holds exactly the input's lines");
    Some(lines.len() - expected)
}

/// Every line `line-000000 .. line-<n>` is in `out`, while more lines may still be arriving (the
/// input keeps growing).
fn delivered_prefix(out: &Path, n: usize) -> Option<()> {
    let lines = lines_of(out);
    let got: BTreeSet<&str> = lines.iter().map(String::as_str).collect();
    (0..n)
        .all(|i| got.contains(format!("line-{i:06}").as_str()))
        .then_some(())
}

fn file_source(file: &Path, topic: &str) -> Value {
    json!({"connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
           "file": file.display().to_string(), "topic": topic, "tasks.max": "1"})
}

fn file_sink(file: &Path, topic: &str, tasks: usize) -> Value {
    json!({"connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
           "file": file.display().to_string(), "topics": topic, "tasks.max": tasks.to_string()})
}

/// POST /connectors through `port`: 201 and the body Java answers with.
fn create(m: &Members, port: u16, name: &str, config: &Value, kind: &str) {
    let (code, body) = http_json(
        port,
        "POST",
        "/connectors",
        Some(&json!({"name": name, "config": config})),
    );
    let mut expected_config = config.clone();
    expected_config["name"] = json!(name);
    assert_eq!(code, 201, "POST {name} via {port}: {body}\n{}", m.logs());
    assert_eq!(
        body,
        json!({"name": name, "config": expected_config, "tasks": [], "type": kind}),
        "POST {name} via {port}"
    );
}

#[test]
fn mixed_cluster_java_leader_serves_forwards_and_runs_file_pipelines() {
    mixed_cluster(true);
}

#[test]
fn mixed_cluster_strait_leader_serves_forwards_and_runs_file_pipelines() {
    mixed_cluster(false);
}

/// One Java worker and two Strait workers in one group; `java_first`: the Java worker starts
/// first and so leads, otherwise the first Strait worker leads.
fn mixed_cluster(java_first: bool) {
    let _jvm = java_test_lock();
    let dir = tempfile::tempdir().unwrap();
    let settings = shared_settings(if java_first { "mixed-jl" } else { "mixed-sl" });
    let (java, s1, s2) = if java_first {
        let java = start_java(dir.path(), "java", &settings);
        let s1 = start_strait(dir.path(), "s1", &settings);
        (java, s1, start_strait(dir.path(), "s2", &settings))
    } else {
        let s1 = start_strait(dir.path(), "s1", &settings);
        let java = start_java(dir.path(), "java", &settings);
        (java, s1, start_strait(dir.path(), "s2", &settings))
    };
    let m = Members {
        java: vec![&java],
        strait: vec![&s1, &s2],
    };
    let (leader_id, leader_kind) = if java_first {
        (java.worker_id(), "Java")
    } else {
        (s1.worker_id(), "Strait")
    };
    // Both kinds agree on who leads: the Java worker's assignment names the leader's URL, a
    // Strait worker logs whether it leads.
    let java_view = m.wait(
        "the Java worker's view of the leader",
        Duration::from_secs(30),
        || java_leader_url(&java).filter(|u| u.contains(&leader_id)),
    );
    assert_eq!(strait_leads(&s1), !java_first, "{java_view}");
    assert!(!strait_leads(&s2));
    eprintln!("{leader_kind} leader {leader_id} ({java_view})");

    let base = settings.group_id.trim_end_matches("-group").to_string();
    let name = |n: &str| format!("{base}-{n}");
    let (src1, src2, sink1, sink2) = (name("src1"), name("src2"), name("sink1"), name("sink2"));
    let (t1, t2) = (name("t1"), name("t2"));
    let path = |f: &str| dir.path().join(f);
    let (in1, in2, out1, out2) = (
        path("in1.txt"),
        path("in2.txt"),
        path("out1.txt"),
        path("out2.txt"),
    );
    append(&in1, 0, 500);
    append(&in2, 0, 500);

    // Created one after the other through different kinds of worker (s2 is always a follower,
    // the Java worker and s1 lead in turn). Each sink has three tasks and is created while the
    // task loads are equal, so Java's assignor gives every worker one of them.
    let sink1_config = file_sink(&out1, &t1, 3);
    create(&m, s2.port, &sink1, &sink1_config, "sink");
    m.wait("sink1 RUNNING", Duration::from_secs(60), || {
        m.placements(&[(&sink1, 3)], &["RUNNING"])
    });
    create(&m, java.port(), &sink2, &file_sink(&out2, &t2, 3), "sink");
    m.wait("sink2 RUNNING", Duration::from_secs(60), || {
        m.placements(&[(&sink2, 3)], &["RUNNING"])
    });
    create(&m, java.port(), &src1, &file_source(&in1, &t1), "source");
    let src2_config = file_source(&in2, &t2);
    create(&m, s1.port, &src2, &src2_config, "source");
    // A second create conflicts, whichever worker receives it, with the same body.
    let conflicts: Vec<(u16, Value)> = m
        .ports()
        .into_iter()
        .map(|p| {
            let body = json!({"name": src1, "config": file_source(&in1, &t1)});
            http_json(p, "POST", "/connectors", Some(&body))
        })
        .collect();
    for c in &conflicts {
        assert_eq!(c, &conflicts[0], "409 bodies differ: {conflicts:?}");
    }
    assert_eq!(conflicts[0].0, 409, "{conflicts:?}");

    let all = [
        (src1.as_str(), 1),
        (src2.as_str(), 1),
        (sink1.as_str(), 3),
        (sink2.as_str(), 3),
    ];
    let placed = m.wait(
        "every connector and task RUNNING",
        Duration::from_secs(60),
        || m.placements(&all, &["RUNNING"]),
    );
    let workers = vec![java.worker_id(), s1.worker_id(), s2.worker_id()];
    let per_worker = load(&placed, &workers);
    assert!(balanced(&per_worker), "{per_worker:?} {placed:?}");
    // Tasks of the connector created through a Strait worker run on the Java worker, and the
    // other way round.
    assert!(
        task_workers(&placed, &sink1).contains(&java.worker_id()),
        "{placed:?}"
    );
    assert!(
        task_workers(&placed, &sink2)
            .iter()
            .any(|w| *w == s1.worker_id() || *w == s2.worker_id()),
        "{placed:?}"
    );
    for p in m.ports() {
        // Java lists its connectors in hash order: compare as sets.
        let (code, list) = http_json(p, "GET", "/connectors", None);
        let got: BTreeSet<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let want: BTreeSet<&str> = [&sink1, &sink2, &src1, &src2]
            .iter()
            .map(|s| s.as_str())
            .collect();
        assert_eq!((code, got), (200, want), "GET /connectors via {p}");
    }
    m.wait(
        "the first 500 lines in both outputs",
        Duration::from_secs(60),
        || delivered(&out1, 500).and(delivered(&out2, 500)),
    );

    // PUT /config through the other kind of worker than the one that created the connector:
    // 200 (an update), the same body shape from both kinds, and every worker serves the new
    // config.
    for (port, connector, config) in [
        (s2.port, &src1, file_source(&in1, &t1)),
        (java.port(), &src2, src2_config.clone()),
    ] {
        let mut config = config;
        config["batch.size"] = json!("50");
        let (code, body) = http_json(
            port,
            "PUT",
            &format!("/connectors/{connector}/config"),
            Some(&config),
        );
        assert_eq!(code, 200, "PUT config of {connector} via {port}: {body}");
        assert_eq!(body["name"], json!(connector));
        assert_eq!(body["type"], "source");
        assert_eq!(body["config"]["batch.size"], "50", "{body}");
        let keys: BTreeSet<&String> = body.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            ["config", "name", "tasks", "type"]
                .iter()
                .map(|k| k.to_string())
                .collect::<Vec<_>>()
                .iter()
                .collect(),
            "{body}"
        );
        m.wait(
            "the new config on every worker",
            Duration::from_secs(30),
            || {
                m.ports()
                    .into_iter()
                    .all(|p| {
                        let (code, c) =
                            http_json(p, "GET", &format!("/connectors/{connector}/config"), None);
                        code == 200 && c["batch.size"] == "50"
                    })
                    .then_some(())
            },
        );
    }
    append(&in1, 500, 500);
    append(&in2, 500, 500);

    // Pause through one kind, resume through the other; every worker sees the states.
    for (pause_via, resume_via, connector, tasks) in [
        (s1.port, java.port(), &src1, 1),
        (java.port(), s2.port, &sink2, 3),
    ] {
        let (code, body) = http_json(
            pause_via,
            "PUT",
            &format!("/connectors/{connector}/pause"),
            None,
        );
        assert_eq!(code, 202, "pause {connector} via {pause_via}: {body}");
        m.wait(
            &format!("{connector} PAUSED everywhere"),
            Duration::from_secs(30),
            || m.placements(&[(connector, tasks)], &["PAUSED"]),
        );
        let (code, body) = http_json(
            resume_via,
            "PUT",
            &format!("/connectors/{connector}/resume"),
            None,
        );
        assert_eq!(code, 202, "resume {connector} via {resume_via}: {body}");
        m.wait(
            &format!("{connector} RUNNING everywhere"),
            Duration::from_secs(30),
            || m.placements(&[(connector, tasks)], &["RUNNING"]),
        );
    }

    // Restart with includeTasks through each kind: 202 and the RESTARTING status (Java's
    // body), handled by the leader; the Strait-run tasks really start again.
    let placed = m.wait(
        "every connector and task RUNNING",
        Duration::from_secs(60),
        || m.placements(&all, &["RUNNING"]),
    );
    let mut restart_bodies = Vec::new();
    for (via, connector) in [(java.port(), &sink1), (s2.port, &sink2), (s1.port, &src2)] {
        let strait_tasks: Vec<(&Node, String)> = placed
            .iter()
            .filter(|(id, _)| id.starts_with(&format!("{connector}/")))
            .filter_map(|(id, (_, w))| {
                let task = id.replace('/', "-");
                [&s1, &s2]
                    .into_iter()
                    .find(|n| n.worker_id() == *w)
                    .map(|n| (n, task))
            })
            .collect();
        let before: Vec<usize> = strait_tasks.iter().map(|(n, t)| starts(n, t)).collect();
        let (code, body) = http_json(
            via,
            "POST",
            &format!("/connectors/{connector}/restart?includeTasks=true"),
            None,
        );
        assert_eq!(code, 202, "restart {connector} via {via}: {body}");
        assert_eq!(body["name"], json!(connector), "{body}");
        assert_eq!(body["connector"]["state"], "RESTARTING", "{body}");
        assert!(
            body["tasks"]
                .as_array()
                .is_some_and(|t| !t.is_empty() && t.iter().all(|t| t["state"] == "RESTARTING")),
            "{body}"
        );
        restart_bodies.push((via, body));
        m.wait(
            &format!("{connector}'s Strait tasks restarted"),
            Duration::from_secs(30),
            || {
                strait_tasks
                    .iter()
                    .zip(&before)
                    .all(|((n, t), b)| starts(n, t) > *b)
                    .then_some(())
            },
        );
        // Without includeTasks/onlyFailed: only the connector, 204 as in Java.
        let (code, body) = http_json(
            via,
            "POST",
            &format!("/connectors/{connector}/restart"),
            None,
        );
        assert_eq!(code, 204, "plain restart of {connector} via {via}: {body}");
    }
    eprintln!("restart bodies: {restart_bodies:?}");

    append(&in1, 1000, 500);
    append(&in2, 1000, 500);
    let placed = m.wait(
        "every connector and task RUNNING after the restarts",
        Duration::from_secs(60),
        || m.placements(&all, &["RUNNING"]),
    );
    let duplicates = m.wait(
        "all 1500 lines in both outputs",
        Duration::from_secs(90),
        || Some((delivered(&out1, 1500)?, delivered(&out2, 1500)?)),
    );
    eprintln!("{leader_kind} leader: duplicates (at-least-once, after config changes and restarts) {duplicates:?}; placements {placed:?}");

    // The same FileStream plugins, with the same versions, on both kinds of worker.
    let file_plugins = |port: u16| -> Vec<Value> {
        let (code, plugins) = http_json(port, "GET", "/connector-plugins", None);
        assert_eq!(code, 200);
        let mut v: Vec<Value> = plugins
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| {
                p["class"]
                    .as_str()
                    .is_some_and(|c| c.contains(".file.FileStream"))
            })
            .cloned()
            .collect();
        v.sort_by_key(|p| p["class"].to_string());
        v
    };
    // The same FileStream plugins on both kinds of worker. Their versions differ on purpose:
    // Strait reports 4.1.0 (connectors/src/file.rs: the release whose behaviour it mirrors),
    // Java its own release; statuses carry the version of whichever worker runs the task.
    let java_plugins = file_plugins(java.port());
    let strait_plugins = file_plugins(s1.port);
    assert_eq!(java_plugins.len(), 2, "{java_plugins:?}");
    let without_version = |v: &[Value]| -> Vec<(Value, Value)> {
        v.iter()
            .map(|p| (p["class"].clone(), p["type"].clone()))
            .collect()
    };
    assert_eq!(
        without_version(&strait_plugins),
        without_version(&java_plugins)
    );
    eprintln!(
        "FileStream plugin versions: Java {:?}, Strait {:?}",
        java_plugins
            .iter()
            .map(|p| p["version"].clone())
            .collect::<Vec<_>>(),
        strait_plugins
            .iter()
            .map(|p| p["version"].clone())
            .collect::<Vec<_>>()
    );

    drop(m);
    s2.stop();
    s1.stop();
    let status = java.stop();
    eprintln!("Java worker exited with {status}");
}

#[test]
fn migration_java_to_strait_one_worker_at_a_time() {
    let _jvm = java_test_lock();
    let dir = tempfile::tempdir().unwrap();
    let settings = shared_settings("migrate");
    let base = settings.group_id.trim_end_matches("-group").to_string();
    let (src, sink, topic) = (
        format!("{base}-src"),
        format!("{base}-sink"),
        format!("{base}-t"),
    );
    let (input, output) = (dir.path().join("in.txt"), dir.path().join("out.txt"));
    append(&input, 0, 1000);
    let j1 = start_java(dir.path(), "j1", &settings);
    let j2 = start_java(dir.path(), "j2", &settings);
    let m = Members {
        java: vec![&j1, &j2],
        strait: vec![],
    };
    create(&m, j1.port(), &src, &file_source(&input, &topic), "source");
    create(&m, j2.port(), &sink, &file_sink(&output, &topic, 1), "sink");
    let all = [(src.as_str(), 1), (sink.as_str(), 1)];
    let java_ids = [j1.worker_id(), j2.worker_id()];
    let placed = m.wait(
        "the Java cluster RUNNING, balanced",
        Duration::from_secs(60),
        || {
            m.placements(&all, &["RUNNING"])
                .filter(|p| balanced(&load(p, &java_ids)))
        },
    );
    eprintln!("Java cluster: {placed:?}");
    let appender = Appender::start(&input, 1000, 10);
    m.wait("the first lines delivered", Duration::from_secs(60), || {
        delivered_prefix(&output, 1000)
    });

    // Worker 1: stop the JVM gracefully, start a Strait worker in its place.
    let moves_start = appender.appended();
    let exit = j1.stop();
    let n1 = start_strait(dir.path(), "n1", &settings);
    let m = Members {
        java: vec![&j2],
        strait: vec![&n1],
    };
    let ids = [j2.worker_id(), n1.worker_id()];
    let placed = m.wait(
        "work shared by the Java and the Strait worker",
        Duration::from_secs(60),
        || {
            m.placements(&all, &["RUNNING"])
                .filter(|p| p.values().all(|(_, w)| ids.contains(w)) && balanced(&load(p, &ids)))
        },
    );
    eprintln!("Java worker 1 exited with {exit}; then {placed:?}");
    // Data keeps flowing: what was appended by now arrives.
    let now = appender.appended();
    m.wait(
        "lines appended after the first move",
        Duration::from_secs(60),
        || delivered_prefix(&output, now),
    );

    // Worker 2 likewise.
    let exit = j2.stop();
    let n2 = start_strait(dir.path(), "n2", &settings);
    let m = Members {
        java: vec![],
        strait: vec![&n1, &n2],
    };
    let ids = [n1.worker_id(), n2.worker_id()];
    let placed = m.wait(
        "the work on the Strait workers only",
        Duration::from_secs(60),
        || {
            m.placements(&all, &["RUNNING"])
                .filter(|p| p.values().all(|(_, w)| ids.contains(w)) && balanced(&load(p, &ids)))
        },
    );
    eprintln!("Java worker 2 exited with {exit}; then {placed:?}");
    let moves_end = appender.appended();
    m.wait(
        "lines appended after the second move",
        Duration::from_secs(60),
        || delivered_prefix(&output, moves_end),
    );
    std::thread::sleep(Duration::from_secs(1));
    let total = appender.finish();
    let duplicates = m.wait("every line delivered", Duration::from_secs(60), || {
        delivered(&output, total)
    });
    let during_moves = moves_end - moves_start;
    eprintln!(
        "migration: {total} lines, {duplicates} duplicates, {during_moves} lines appended during the moves"
    );
    assert!(
        duplicates < during_moves,
        "{duplicates} duplicates: more than re-reading the moves' lines"
    );
    // Duplicates are replays of a range, never reordering within the first delivery: the
    // output's first occurrences are in input order.
    let mut seen = BTreeSet::new();
    let firsts: Vec<String> = lines_of(&output)
        .into_iter()
        .filter(|l| seen.insert(l.clone()))
        .collect();
    let expected: Vec<String> = (0..total).map(|i| format!("line-{i:06}")).collect();
    assert!(firsts == expected, "first deliveries out of order");
    drop(m);
    n1.stop();
    n2.stop();
}

/// An exactly-once FileStreamSource in a cluster of one Java and one Strait worker, both with
/// `exactly.once.source.support=enabled`: its task is moved by `kill -9` of the worker running it
/// (so it runs on both kinds), and a `read_committed` consumer still sees every line exactly
/// once, in order, with the committed offset at the end of the file.
#[test]
fn mixed_cluster_exactly_once_source_moves_between_java_and_strait_without_duplicates() {
    use super::exactly_once::read_committed;
    let _jvm = java_test_lock();
    let dir = tempfile::tempdir().unwrap();
    let settings = shared_settings("eos-mixed").with("exactly.once.source.support", "enabled");
    let mut java = Some(start_java(dir.path(), "java0", &settings));
    let mut strait = Some(start_strait(dir.path(), "strait0", &settings));
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "").unwrap();
    let topic = format!("{}-lines", settings.group_id);
    let mut config = file_source(&input, &topic);
    config["exactly.once.support"] = json!("required");
    {
        let m = Members {
            java: java.iter().collect(),
            strait: strait.iter().collect(),
        };
        create(&m, m.ports()[0], "lines", &config, "source");
    }
    let appender = Appender::start(&input, 0, 10);
    let mut runners: Vec<&'static str> = Vec::new();
    for round in 1..=2 {
        let m = Members {
            java: java.iter().collect(),
            strait: strait.iter().collect(),
        };
        let p = m.wait("the source task RUNNING", Duration::from_secs(120), || {
            m.placements(&[("lines", 1)], &["RUNNING"])
        });
        let runner = p["lines/0"].1.clone();
        std::thread::sleep(Duration::from_secs(3));
        let on_java = java.as_ref().is_some_and(|j| j.worker_id() == runner);
        runners.push(if on_java { "java" } else { "strait" });
        drop(m);
        if on_java {
            java.take().unwrap().kill9();
        } else {
            strait.take().unwrap().kill9();
        }
        // The survivor, the only worker left and of the other kind, takes the task over before
        // a replacement joins: every round moves the task between Java and Strait.
        let m = Members {
            java: java.iter().collect(),
            strait: strait.iter().collect(),
        };
        m.wait(
            "the task RUNNING on the survivor",
            Duration::from_secs(120),
            || {
                m.placements(&[("lines", 1)], &["RUNNING"])
                    .filter(|p| p["lines/0"].1 != runner)
            },
        );
        drop(m);
        if on_java {
            java = Some(start_java(dir.path(), &format!("java{round}"), &settings));
        } else {
            strait = Some(start_strait(
                dir.path(),
                &format!("strait{round}"),
                &settings,
            ));
        }
    }
    let lines = appender.finish();
    let m = Members {
        java: java.iter().collect(),
        strait: strait.iter().collect(),
    };
    let port = m.ports()[0];
    let expected: Vec<String> = (0..lines).map(|i| format!("line-{i:06}")).collect();
    let _ = read_committed(&topic, lines, Duration::from_millis(500));
    let (code, body) = http_json(port, "PUT", "/connectors/lines/stop", None);
    assert_eq!(code, 204, "{body}");
    m.wait("the connector STOPPED", Duration::from_secs(60), || {
        m.agreed_status("lines")
            .filter(|s| s["connector"]["state"] == "STOPPED")
    });
    let got: Vec<String> = read_committed(&topic, lines, Duration::from_secs(3))
        .into_iter()
        .map(|(v, _)| v)
        .collect();
    assert_eq!(
        got.len(),
        lines,
        "each line exactly once (tasks ran on {runners:?})"
    );
    assert_eq!(got, expected, "the lines in file order");
    let (code, offsets) = http_json(port, "GET", "/connectors/lines/offsets", None);
    assert_eq!(code, 200, "{offsets}");
    let size = std::fs::metadata(&input).unwrap().len() as i64;
    assert_eq!(
        offsets["offsets"][0]["offset"]["position"].as_i64(),
        Some(size),
        "the committed position is the end of the file: {offsets}"
    );
    drop(m);
    if let Some(s) = strait {
        s.stop();
    }
    if let Some(j) = java {
        let _ = j.stop();
    }
}
