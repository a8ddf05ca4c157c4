//! `cargo xtask bench distributed`: distributed mode's control plane, Strait beside Apache Kafka
//! Connect 4.1.2 (`ConnectDistributed` on the JVM). Not a test: it measures and prints, it
//! asserts nothing about the figures.
//!
//! Each run starts, for each implementation in turn (alternating which goes first, the machine
//! being small and noisy), a fresh cluster of three workers with identical worker properties
//! ([`worker_properties`]: unique group and internal topics, RF 1, `session.timeout.ms=10000`,
//! `heartbeat.interval.ms=3000`, `scheduled.rebalance.max.delay.ms=0`,
//! `offset.flush.interval.ms=10000`), and measures:
//!
//! 1. **POST /connectors → RUNNING**: [`CONNECTORS_PER_RUN`] FileStreamSource and as many
//!    FileStreamSink connectors, created one after the other (each POSTed to the next worker in
//!    turn); the time from sending the POST until `GET /connectors/<name>/status` on that worker
//!    shows the connector and all its tasks RUNNING, polled every 20 ms. This includes writing
//!    the config topic, the rebalance that assigns the connector, its task configs going round
//!    the config topic, the rebalance that assigns the task, and the statuses going round the
//!    status topic.
//! 2. **kill -9 → RUNNING elsewhere**: SIGKILL to the worker running the first source
//!    connector's task; the time until a survivor's status API shows that task, and then every
//!    connector and task the dead worker had, RUNNING on a survivor (polled every 20 ms). With
//!    these settings most of it is the group coordinator waiting `session.timeout.ms` to expire
//!    the dead member, then one rebalance.
//! 3. **Memory**: `VmHWM` and `VmRSS` from `/proc/<pid>/status` of every worker once the idle
//!    cluster has settled, and again after the connectors above were created.
//!
//! `scheduled.rebalance.max.delay.ms` is 0 because its default (300000) makes both
//! implementations hold a departed worker's connectors and tasks unassigned for up to five
//! minutes, waiting for it to come back (the incremental cooperative assignor's scheduled
//! rebalance, which Strait's assignor reproduces): the measurement would be that delay.
//!
//! The JVM runs with `services::kafka::jvm_opts` (`-Xms256m -Xmx512m`, G1, as
//! `kafka-run-class.sh` with a small production heap), log4j2 root level INFO like Kafka's
//! shipped `connect-log4j2`; Strait with its default log directives (info). Logs and worker
//! files go to `target/bench-distributed/<stamp>/`.

use std::collections::BTreeMap;
use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use crate::conformance::http;
use crate::say;
use crate::services::kafka;
use crate::util::{self, Ctx};

/// What `cargo xtask bench distributed` was given.
pub struct Options {
    pub bootstrap: String,
    /// Kafka 4.1.2's `libs/` (connect-runtime, -file, -json, log4j2) for the JVM workers.
    pub java_libs: PathBuf,
    pub runs: usize,
    /// Strait alone.
    pub no_peer: bool,
}

/// Workers per cluster.
const WORKERS: usize = 3;
/// FileStreamSource connectors created per cluster (and as many FileStreamSinks).
const CONNECTORS_PER_RUN: usize = 3;
/// Status polling interval.
const POLL: Duration = Duration::from_millis(20);
const SESSION_TIMEOUT_MS: u64 = 10_000;
const HEARTBEAT_INTERVAL_MS: u64 = 3_000;
const SCHEDULED_REBALANCE_MAX_DELAY_MS: u64 = 0;
const OFFSET_FLUSH_INTERVAL_MS: u64 = 10_000;
/// After every worker answers `/health`, wait this long before measuring: a member that joined
/// after another's first rebalance makes the others rejoin, which they learn from their next
/// heartbeat; two heartbeat intervals and a margin cover it.
const SETTLE: Duration = Duration::from_millis(2 * HEARTBEAT_INTERVAL_MS + 2_000);
const READY_TIMEOUT: Duration = Duration::from_secs(120);
const RUNNING_TIMEOUT: Duration = Duration::from_secs(60);
const FAILOVER_TIMEOUT: Duration = Duration::from_secs(120);

/// Kafka's shipped `config/connect-log4j2.yaml` logs at INFO; the same, to the worker's stdout
/// (redirected to its log file).
const JAVA_LOG4J2: &str = "\
status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = OUT
";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Impl {
    Java,
    Strait,
}

impl Impl {
    fn label(self) -> &'static str {
        match self {
            Impl::Java => "java",
            Impl::Strait => "strait",
        }
    }
}

/// Everything measured for one implementation, across runs.
#[derive(Default)]
struct Samples {
    /// Cluster start: the three processes spawned → all answer `/health` (s).
    start: Vec<f64>,
    create_source: Vec<f64>,
    create_sink: Vec<f64>,
    /// kill -9 → the source task RUNNING on a survivor (ms).
    failover_task: Vec<f64>,
    /// kill -9 → every connector and task of the dead worker RUNNING on survivors (ms).
    failover_all: Vec<f64>,
    /// Per worker, MB.
    idle_hwm: Vec<f64>,
    idle_rss: Vec<f64>,
    loaded_hwm: Vec<f64>,
    loaded_rss: Vec<f64>,
}

pub fn run(ctx: &Ctx, opts: Options) -> Result<()> {
    if opts.runs == 0 {
        bail!("--runs must be at least 1");
    }
    util::run_checked(Command::new("cargo").current_dir(&ctx.root).args([
        "build",
        "--release",
        "-p",
        "strait",
        "--bin",
        "strait",
    ]))?;
    let strait = ctx.root.join("target/release/strait");
    // Absolute: the workers run in their own directories.
    let java_libs = fs::canonicalize(&opts.java_libs).unwrap_or_else(|_| opts.java_libs.clone());
    if !opts.no_peer {
        util::require_tool("java", "install a JDK (17) for the Kafka Connect peer")?;
        let runtime = java_libs.join("connect-runtime-4.1.2.jar");
        if !runtime.is_file() {
            bail!(
                "{} not found: pass --java-libs <Kafka 4.1.2 libs dir> or --no-peer",
                runtime.display()
            );
        }
    }
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .context("clock before 1970")?
        .as_millis()
        % 100_000_000;
    let base = ctx
        .root
        .join("target/bench-distributed")
        .join(stamp.to_string());
    fs::create_dir_all(&base).with_context(|| format!("mkdir {}", base.display()))?;
    say!(
        "bench distributed: {} run(s), {WORKERS} workers per cluster, logs in {}",
        opts.runs,
        base.display()
    );
    let began = Instant::now();
    let mut java = Samples::default();
    let mut ours = Samples::default();
    for run in 0..opts.runs {
        // Alternate which side goes first, so drift in the machine's load is shared.
        let order = if run % 2 == 0 {
            [Impl::Java, Impl::Strait]
        } else {
            [Impl::Strait, Impl::Java]
        };
        for imp in order {
            if imp == Impl::Java && opts.no_peer {
                continue;
            }
            let samples = match imp {
                Impl::Java => &mut java,
                Impl::Strait => &mut ours,
            };
            let dir = base.join(format!("{}-{run}", imp.label()));
            fs::create_dir_all(&dir)?;
            let spec = ClusterSpec {
                imp,
                group: format!("bench-dist-{stamp}-{run}-{}", imp.label()),
                bootstrap: &opts.bootstrap,
                strait: &strait,
                java_libs: &java_libs,
                dir: &dir,
            };
            one_run(&spec, samples).with_context(|| {
                format!("run {run}, {} (logs in {})", imp.label(), dir.display())
            })?;
        }
    }
    say!(
        "bench distributed: done in {}",
        util::fmt_dur(began.elapsed())
    );
    print_table(&opts, &java, &ours);
    Ok(())
}

struct ClusterSpec<'a> {
    imp: Impl,
    group: String,
    bootstrap: &'a str,
    strait: &'a Path,
    java_libs: &'a Path,
    dir: &'a Path,
}

/// One worker process; SIGKILLed on drop if still running.
struct Worker {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Worker {
    /// `rest.advertised.host.name:port`, the id statuses carry.
    fn id(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The identical worker properties of every worker of both clusters (only the REST port
/// differs between members).
fn worker_properties(spec: &ClusterSpec, port: u16) -> String {
    let g = &spec.group;
    let json = "org.apache.kafka.connect.json.JsonConverter";
    format!(
        "# Written by `cargo xtask bench distributed`; identical for Strait and Kafka Connect.\n\
         bootstrap.servers={}\n\
         group.id={g}\n\
         config.storage.topic={g}-configs\n\
         offset.storage.topic={g}-offsets\n\
         status.storage.topic={g}-status\n\
         config.storage.replication.factor=1\n\
         offset.storage.replication.factor=1\n\
         status.storage.replication.factor=1\n\
         key.converter={json}\n\
         value.converter={json}\n\
         listeners=http://127.0.0.1:{port}\n\
         rest.advertised.host.name=127.0.0.1\n\
         rest.advertised.port={port}\n\
         session.timeout.ms={SESSION_TIMEOUT_MS}\n\
         heartbeat.interval.ms={HEARTBEAT_INTERVAL_MS}\n\
         scheduled.rebalance.max.delay.ms={SCHEDULED_REBALANCE_MAX_DELAY_MS}\n\
         offset.flush.interval.ms={OFFSET_FLUSH_INTERVAL_MS}\n\
         # Kafka's own plugins ship ServiceLoader manifests: the JVM skips the class-path scan\n\
         # (faster start, less metaspace); Strait accepts and ignores the key.\n\
         plugin.discovery=service_load\n",
        spec.bootstrap
    )
}

/// A port nothing listens on now. The listeners of one cluster are bound together before any
/// is released, so the ports differ.
fn free_ports(n: usize) -> Result<Vec<u16>> {
    let listeners = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<std::io::Result<Vec<_>>>()
        .context("bind a free port")?;
    listeners
        .iter()
        .map(|l| Ok(l.local_addr()?.port()))
        .collect()
}

fn spawn_worker(spec: &ClusterSpec, index: usize, port: u16) -> Result<Worker> {
    let props = spec.dir.join(format!("worker-{index}.properties"));
    fs::write(&props, worker_properties(spec, port))?;
    let log = spec.dir.join(format!("worker-{index}.log"));
    let out = fs::File::create(&log)?;
    let mut cmd = match spec.imp {
        Impl::Java => {
            let log4j = spec.dir.join("log4j2.properties");
            fs::write(&log4j, JAVA_LOG4J2)?;
            let mut c = Command::new("java");
            c.args(kafka::jvm_opts(&log4j))
                .arg("-cp")
                .arg(format!("{}/*", spec.java_libs.display()))
                .arg("org.apache.kafka.connect.cli.ConnectDistributed")
                .arg(&props);
            c
        }
        Impl::Strait => {
            let mut c = Command::new(spec.strait);
            // Strait's default directives (info), not whatever this shell exports.
            c.arg("distributed")
                .arg(&props)
                .env_remove("STRAIT_LOG")
                .env_remove("RUST_LOG");
            c
        }
    };
    let child = cmd
        .current_dir(spec.dir)
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out)
        .spawn()
        .with_context(|| format!("start {}", util::describe(&cmd)))?;
    Ok(Worker { child, port, log })
}

/// Wait until the worker answers `GET /` and `GET /health` with 200 (herder started: internal
/// topics read, first rebalance done).
fn wait_ready(w: &mut Worker, deadline: Instant) -> Result<()> {
    let host = w.id();
    loop {
        if let Some(status) = w.child.try_wait()? {
            bail!(
                "worker {host} exited ({status}) before it was ready\n{}",
                util::log_report(&w.log, 40)
            );
        }
        if get(&host, "/").is_some_and(|(c, _)| c == 200)
            && get(&host, "/health").is_some_and(|(c, _)| c == 200)
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!(
                "worker {host} not ready within {}\n{}",
                util::fmt_dur(READY_TIMEOUT),
                util::log_report(&w.log, 40)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `GET`; `None` when the worker does not answer (yet, or any more).
fn get(host: &str, path: &str) -> Option<(u16, Value)> {
    let r = http::request(host, "GET", path, &[], None).ok()?;
    Some((
        r.status,
        serde_json::from_str(&r.body).unwrap_or(Value::Null),
    ))
}

/// The connector's status as `host` sees it, when it answers 200.
fn status(host: &str, name: &str) -> Option<Value> {
    match get(host, &format!("/connectors/{name}/status")) {
        Some((200, v)) => Some(v),
        _ => None,
    }
}

fn all_running(v: &Value) -> bool {
    v["connector"]["state"] == "RUNNING"
        && v["tasks"]
            .as_array()
            .is_some_and(|t| !t.is_empty() && t.iter().all(|t| t["state"] == "RUNNING"))
}

/// POST the connector to `host`, then poll its status there until the connector and all its
/// tasks are RUNNING; the time from sending the POST.
fn create_until_running(host: &str, name: &str, config: Value) -> Result<Duration> {
    let body = json!({ "name": name, "config": config }).to_string();
    let t0 = Instant::now();
    loop {
        let r = http::request(
            host,
            "POST",
            "/connectors",
            &[("Content-Type", "application/json")],
            Some(&body),
        )?;
        match r.status {
            201 => break,
            // Both implementations answer 409 while a rebalance is in progress; a client
            // retries, and the wait is part of what it sees.
            409 if t0.elapsed() < RUNNING_TIMEOUT => {
                say!(
                    "bench distributed: POST {name} answered 409 ({}); retrying",
                    r.body
                );
                std::thread::sleep(POLL);
            }
            code => bail!("POST /connectors {name} on {host}: {code} {}", r.body),
        }
    }
    loop {
        if status(host, name).is_some_and(|v| all_running(&v)) {
            return Ok(t0.elapsed());
        }
        if t0.elapsed() > RUNNING_TIMEOUT {
            bail!(
                "{name} not RUNNING on {host} within {}: {:?}",
                util::fmt_dur(RUNNING_TIMEOUT),
                status(host, name)
            );
        }
        std::thread::sleep(POLL);
    }
}

/// Every connector (`name`) and task (`name/id`) of `names` as `host` sees them: (state,
/// worker id). Missing entries (no answer, no status yet) are left out.
fn placements(host: &str, names: &[String]) -> BTreeMap<String, (String, String)> {
    let mut out = BTreeMap::new();
    for name in names {
        let Some(v) = status(host, name) else {
            continue;
        };
        let entry = |x: &Value| {
            (
                x["state"].as_str().unwrap_or("").to_string(),
                x["worker_id"].as_str().unwrap_or("").to_string(),
            )
        };
        out.insert(name.clone(), entry(&v["connector"]));
        for t in v["tasks"].as_array().into_iter().flatten() {
            out.insert(format!("{name}/{}", t["id"]), entry(t));
        }
    }
    out
}

/// (`VmHWM`, `VmRSS`) of a process in MB (10^6 bytes, as the rest of RESULTS.md).
fn memory_mb(pid: u32) -> Result<(f64, f64)> {
    let path = format!("/proc/{pid}/status");
    let text = fs::read_to_string(&path).with_context(|| format!("read {path}"))?;
    let field = |key: &str| -> Result<f64> {
        let line = text
            .lines()
            .find(|l| l.starts_with(key))
            .with_context(|| format!("{path} has no {key}"))?;
        let kb: f64 = line
            .split_whitespace()
            .nth(1)
            .and_then(|n| n.parse().ok())
            .with_context(|| format!("bad line {line:?} in {path}"))?;
        Ok(kb * 1024.0 / 1e6)
    };
    Ok((field("VmHWM:")?, field("VmRSS:")?))
}

/// Start a cluster, create the connectors, kill -9 the source's worker, stop the rest.
fn one_run(spec: &ClusterSpec, samples: &mut Samples) -> Result<()> {
    let label = spec.imp.label();
    let ports = free_ports(WORKERS)?;
    let t0 = Instant::now();
    let mut workers = ports
        .iter()
        .enumerate()
        .map(|(i, &port)| spawn_worker(spec, i, port))
        .collect::<Result<Vec<_>>>()?;
    let deadline = t0 + READY_TIMEOUT;
    for w in &mut workers {
        wait_ready(w, deadline)?;
    }
    let started = t0.elapsed();
    samples.start.push(started.as_secs_f64());
    std::thread::sleep(SETTLE);
    for w in &workers {
        let (hwm, rss) = memory_mb(w.pid())?;
        samples.idle_hwm.push(hwm);
        samples.idle_rss.push(rss);
    }

    let input = spec.dir.join("in.txt");
    let lines: String = (1..=10).map(|i| format!("line-{i}\n")).collect();
    fs::write(&input, lines)?;
    let topic = format!("{}-data", spec.group);
    let mut names = Vec::new();
    let mut created = Vec::new();
    for i in 0..CONNECTORS_PER_RUN {
        let src = format!("{}-src-{i}", spec.group);
        let host = workers[(2 * i) % WORKERS].id();
        let d = create_until_running(
            &host,
            &src,
            json!({
                "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
                "tasks.max": "1",
                "file": input.display().to_string(),
                "topic": topic,
            }),
        )?;
        samples.create_source.push(ms(d));
        created.push(format!("src {:.0}", ms(d)));
        names.push(src);
        // A sink's consumer group is connect-<name>: unique with the group name.
        let sink = format!("{}-sink-{i}", spec.group);
        let host = workers[(2 * i + 1) % WORKERS].id();
        let d = create_until_running(
            &host,
            &sink,
            json!({
                "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
                "tasks.max": "1",
                "file": spec.dir.join(format!("out-{i}.txt")).display().to_string(),
                "topics": topic,
            }),
        )?;
        samples.create_sink.push(ms(d));
        created.push(format!("sink {:.0}", ms(d)));
        names.push(sink);
    }
    for w in &workers {
        let (hwm, rss) = memory_mb(w.pid())?;
        samples.loaded_hwm.push(hwm);
        samples.loaded_rss.push(rss);
    }

    // kill -9 the worker running the first source's task.
    let observer = workers[0].id();
    let before = placements(&observer, &names);
    let task_key = format!("{}/0", names[0]);
    let victim_id = before
        .get(&task_key)
        .map(|(_, w)| w.clone())
        .with_context(|| format!("no status for {task_key} on {observer}"))?;
    let victim_index = workers
        .iter()
        .position(|w| w.id() == victim_id)
        .with_context(|| format!("{task_key} runs on {victim_id}, not a worker of this run"))?;
    let lost: Vec<String> = before
        .iter()
        .filter(|(_, (_, w))| *w == victim_id)
        .map(|(k, _)| k.clone())
        .collect();
    // Poll only the connectors that had something on the victim: fewer requests per round,
    // so the 20 ms polling interval is what bounds the resolution.
    let watched: Vec<String> = names
        .iter()
        .filter(|n| {
            lost.iter()
                .any(|k| k == *n || k.starts_with(&format!("{n}/")))
        })
        .cloned()
        .collect();
    let mut victim = workers.remove(victim_index);
    let survivor = workers[0].id();
    let moved = |now: &BTreeMap<String, (String, String)>, key: &String| {
        now.get(key)
            .is_some_and(|(s, w)| s == "RUNNING" && *w != victim_id && !w.is_empty())
    };
    let t_kill = Instant::now();
    victim.child.kill().context("kill -9 the worker")?;
    let _ = victim.child.wait();
    let mut task_moved = None;
    let all_moved = loop {
        let now = placements(&survivor, &watched);
        if task_moved.is_none() && moved(&now, &task_key) {
            task_moved = Some(t_kill.elapsed());
        }
        if lost.iter().all(|k| moved(&now, k)) {
            break t_kill.elapsed();
        }
        if t_kill.elapsed() > FAILOVER_TIMEOUT {
            bail!(
                "after kill -9 of {victim_id}, not all of {lost:?} RUNNING elsewhere within {}: {now:?}",
                util::fmt_dur(FAILOVER_TIMEOUT)
            );
        }
        std::thread::sleep(POLL);
    };
    let task_moved = task_moved.unwrap_or(all_moved);
    samples.failover_task.push(ms(task_moved));
    samples.failover_all.push(ms(all_moved));
    say!(
        "bench distributed: {label}: cluster up in {}, created (ms) [{}], kill -9 {victim_id} ({} connectors+tasks) → source task RUNNING elsewhere {:.0} ms, all {:.0} ms",
        util::fmt_dur(started),
        created.join(", "),
        lost.len(),
        ms(task_moved),
        ms(all_moved)
    );
    drop(victim);
    stop_all(workers);
    Ok(())
}

/// SIGTERM every survivor at once, then wait (up to 30 s each) for them to leave the group;
/// the rest are SIGKILLed by `Worker`'s drop.
fn stop_all(mut workers: Vec<Worker>) {
    for w in &workers {
        let _ = util::signal(w.pid(), "TERM");
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    for w in &mut workers {
        while Instant::now() < deadline {
            if !matches!(w.child.try_wait(), Ok(None)) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// (median, min, max); `None` for no samples.
fn summary(v: &[f64]) -> Option<(f64, f64, f64)> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    let median = if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    };
    Some((median, s[0], s[n - 1]))
}

fn print_table(opts: &Options, java: &Samples, ours: &Samples) {
    println!(
        "\n== distributed mode: {WORKERS}-worker clusters, {} run(s) alternating, median (min–max) ==",
        opts.runs
    );
    println!(
        "session.timeout.ms={SESSION_TIMEOUT_MS} heartbeat.interval.ms={HEARTBEAT_INTERVAL_MS} \
         scheduled.rebalance.max.delay.ms={SCHEDULED_REBALANCE_MAX_DELAY_MS} \
         offset.flush.interval.ms={OFFSET_FLUSH_INTERVAL_MS}, RF 1; JVM {}\n",
        kafka::jvm_opts(Path::new("…"))[..2].join(" ")
    );
    println!("| metric | Kafka Connect 4.1.2 (JVM) | Strait | Strait / Java |");
    println!("|---|---|---|---|");
    let rows: [(&str, &dyn Fn(&Samples) -> &Vec<f64>, &str, usize); 9] = [
        (
            "3 workers started → all answer /health",
            &|s| &s.start,
            "s",
            1,
        ),
        (
            "POST /connectors → RUNNING, FileStreamSource",
            &|s| &s.create_source,
            "ms",
            0,
        ),
        (
            "POST /connectors → RUNNING, FileStreamSink",
            &|s| &s.create_sink,
            "ms",
            0,
        ),
        (
            "kill -9 → its source task RUNNING on a survivor",
            &|s| &s.failover_task,
            "ms",
            0,
        ),
        (
            "kill -9 → all its connectors and tasks RUNNING on survivors",
            &|s| &s.failover_all,
            "ms",
            0,
        ),
        (
            "idle worker after start-up: VmHWM",
            &|s| &s.idle_hwm,
            "MB",
            0,
        ),
        (
            "idle worker after start-up: VmRSS",
            &|s| &s.idle_rss,
            "MB",
            0,
        ),
        (
            "worker after the connectors: VmHWM",
            &|s| &s.loaded_hwm,
            "MB",
            0,
        ),
        (
            "worker after the connectors: VmRSS",
            &|s| &s.loaded_rss,
            "MB",
            0,
        ),
    ];
    for (label, pick, unit, digits) in rows {
        let cell = |s: &Samples| match summary(pick(s)) {
            Some((m, lo, hi)) => format!("{m:.digits$} {unit} ({lo:.digits$}–{hi:.digits$})"),
            None => "—".to_string(),
        };
        let ratio = match (summary(pick(java)), summary(pick(ours))) {
            (Some((j, _, _)), Some((s, _, _))) if j > 0.0 => format!("{:.2}×", s / j),
            _ => "—".to_string(),
        };
        println!("| {label} | {} | {} | {ratio} |", cell(java), cell(ours));
    }
    println!(
        "\nSamples: create → RUNNING {CONNECTORS_PER_RUN} of each kind per run; kill -9 one per run; \
         memory every worker of every run."
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_is_median_min_max() {
        assert_eq!(summary(&[]), None);
        assert_eq!(summary(&[3.0, 1.0, 2.0]), Some((2.0, 1.0, 3.0)));
        assert_eq!(summary(&[4.0, 1.0, 2.0, 3.0]), Some((2.5, 1.0, 4.0)));
    }

    #[test]
    fn memory_of_this_process() {
        let (hwm, rss) = memory_mb(std::process::id()).unwrap();
        assert!(rss > 0.0 && hwm >= rss, "VmHWM {hwm} MB, VmRSS {rss} MB");
    }

    #[test]
    fn both_sides_get_the_same_worker_file() {
        let dir = Path::new("/nonexistent");
        let spec = |imp| ClusterSpec {
            imp,
            group: "g".into(),
            bootstrap: "127.0.0.1:9092",
            strait: dir,
            java_libs: dir,
            dir,
        };
        let java = worker_properties(&spec(Impl::Java), 8083);
        assert_eq!(java, worker_properties(&spec(Impl::Strait), 8083));
        for line in [
            "session.timeout.ms=10000",
            "heartbeat.interval.ms=3000",
            "scheduled.rebalance.max.delay.ms=0",
            "config.storage.replication.factor=1",
            "listeners=http://127.0.0.1:8083",
        ] {
            assert!(java.lines().any(|l| l == line), "{line} missing:\n{java}");
        }
    }
}
