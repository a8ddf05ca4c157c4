//! Kafka Connect's worker, connector and task metrics, kept per batch and served on
//! `GET /metrics` in the Prometheus text format.
//!
//! Names, groups and tags are Java's (`ConnectMetricsRegistry`): `connect-worker-metrics`,
//! `connect-worker-rebalance-metrics`, `connector-metrics`, `connector-task-metrics`,
//! `source-task-metrics`, `sink-task-metrics`, `task-error-metrics`. They are exposed as a
//! Prometheus JMX exporter without rules exposes Java's MBeans (`kafka.connect:type=<group>,
//! connector=…,task=…`): `kafka_connect_<group>_<metric>` with `-` made `_`, the other key
//! properties as labels (see [`prometheus`]). Strait's own batch-level metrics are
//! `strait_task_*` (rows and bytes per batch, decode time).
//!
//! Task drivers record once per batch (a poll, a put, a commit), never per record: totals are
//! atomics, windowed statistics (rates, averages, maxima over `metrics.sample.window.ms` ×
//! `metrics.num.samples`, see [`stats`]) sit behind one uncontended lock per task.
//! `strait.metrics.enabled=false` (worker) stops recording the windowed statistics; the totals
//! stay, as they feed the CLI's progress lines.

pub mod prometheus;
pub mod stats;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use stats::{Distribution, Outcomes, Rate, WindowConfig};

use crate::runtime::{State, StatusCell};

/// Milliseconds since the Unix epoch (Kafka's `Time.milliseconds()`).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Whether a task sources or sinks records (which task group its metrics belong to).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    Source,
    Sink,
}

/// Windowed statistics of one task; see [`TaskMetrics`].
#[derive(Debug, Default)]
struct TaskWindows {
    /// `source-record-poll-rate` / `sink-record-read-rate`.
    in_rate: Rate,
    /// `source-record-write-rate` / `sink-record-send-rate`.
    out_rate: Rate,
    /// `batch-size-avg` / `-max`: records per poll (sources) or per put (sinks).
    batch_size: Distribution,
    /// `poll-batch-*-time-ms` / `put-batch-*-time-ms`.
    batch_time: Distribution,
    /// `offset-commit-*-time-ms`.
    commit_time: Distribution,
    /// `offset-commit-success-percentage` / `-failure-percentage`.
    commit_outcomes: Outcomes,
    /// `offset-commit-completion-rate`.
    commit_rate: Rate,
    /// `source-record-active-count`, and its `-max` / `-avg`.
    active: i64,
    active_stats: Distribution,
    /// `transaction-size-min` / `-max` / `-avg`.
    transaction_size: Distribution,
    /// `partition-count`.
    partitions: u64,
    /// `offset-commit-seq-no`.
    commit_seq_no: u64,
    /// `last-error-timestamp`.
    last_error_ms: u64,
    /// `strait_task_decode_time_ms_*`.
    decode_time: Distribution,
}

/// Counters and statistics of one task, named after Kafka Connect's task metrics.
#[derive(Debug)]
pub struct TaskMetrics {
    /// `source-record-poll-total` / `sink-record-read-total`.
    pub records_in: AtomicU64,
    /// `source-record-write-total` / `sink-record-send-total`.
    pub records_out: AtomicU64,
    /// Payload bytes written (sources) or read (sinks).
    pub bytes: AtomicU64,
    /// Records sent to the dead letter queue (`deadletterqueue-produce-requests`).
    pub dlq_records: AtomicU64,
    /// Records skipped under `errors.tolerance=all` (`total-records-skipped`).
    pub records_skipped: AtomicU64,
    /// `offset-commit-completion-total`.
    pub offset_commits: AtomicU64,
    /// `total-record-failures`: failed attempts, retried ones included.
    pub record_failures: AtomicU64,
    /// `total-record-errors`: records that failed for good.
    pub record_errors: AtomicU64,
    /// `total-retries`.
    pub retries: AtomicU64,
    /// `total-errors-logged`.
    pub errors_logged: AtomicU64,
    /// `deadletterqueue-produce-failures`.
    pub dlq_failures: AtomicU64,
    /// `strait_task_batches_total`: batches the task took in.
    pub batches: AtomicU64,
    config: WindowConfig,
    enabled: bool,
    windows: Mutex<TaskWindows>,
}

impl Default for TaskMetrics {
    fn default() -> Self {
        TaskMetrics::new(WindowConfig::default(), true)
    }
}

impl TaskMetrics {
    pub fn new(config: WindowConfig, enabled: bool) -> Self {
        TaskMetrics {
            records_in: AtomicU64::new(0),
            records_out: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            dlq_records: AtomicU64::new(0),
            records_skipped: AtomicU64::new(0),
            offset_commits: AtomicU64::new(0),
            record_failures: AtomicU64::new(0),
            record_errors: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            errors_logged: AtomicU64::new(0),
            dlq_failures: AtomicU64::new(0),
            batches: AtomicU64::new(0),
            config,
            enabled,
            windows: Mutex::default(),
        }
    }

    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    fn windows(&self, f: impl FnOnce(&mut TaskWindows, WindowConfig, u64)) {
        if !self.enabled {
            return;
        }
        // A poisoned lock only means a panic elsewhere mid-update: the numbers are still fine.
        let mut w = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut w, self.config, now_ms());
    }

    /// A batch came in: `rows` records of `bytes` payload bytes (polled or read).
    pub fn record_in(&self, rows: u64, bytes: u64) {
        Self::add(&self.records_in, rows);
        Self::add(&self.bytes, bytes);
        Self::add(&self.batches, 1);
        self.windows(|w, c, now| w.in_rate.record(c, rows as f64, now));
    }

    /// The task handled a batch of `rows` records (a `poll` or a `put`) in `took`.
    pub fn record_batch(&self, rows: u64, took: Duration) {
        self.windows(|w, c, now| {
            w.batch_size.record(c, rows as f64, now);
            w.batch_time.record(c, millis(took), now);
        });
    }

    /// `rows` records went out (written to Kafka, or put into the sink task).
    pub fn record_out(&self, rows: u64) {
        Self::add(&self.records_out, rows);
        self.windows(|w, c, now| w.out_rate.record(c, rows as f64, now));
    }

    /// Converters decoded a batch in `took` (Strait's own metric).
    pub fn record_decode(&self, took: Duration) {
        self.windows(|w, c, now| w.decode_time.record(c, millis(took), now));
    }

    /// An offset commit ended (`ok` or failed) after `took`.
    pub fn record_commit(&self, ok: bool, took: Duration) {
        if ok {
            Self::add(&self.offset_commits, 1);
        }
        self.windows(|w, c, now| {
            w.commit_time.record(c, millis(took), now);
            w.commit_outcomes.record(c, ok, now);
            if ok {
                w.commit_seq_no += 1;
                w.commit_rate.record(c, 1.0, now);
            }
        });
    }

    /// Records polled or read and not yet committed.
    pub fn set_active(&self, count: i64) {
        self.windows(|w, c, now| {
            w.active = count;
            w.active_stats.record(c, count as f64, now);
        });
    }

    /// An exactly-once transaction committed `records` records.
    pub fn record_transaction(&self, records: u64) {
        self.windows(|w, c, now| w.transaction_size.record(c, records as f64, now));
    }

    pub fn set_partition_count(&self, partitions: u64) {
        self.windows(|w, _, _| w.partitions = partitions);
    }

    /// `records` failed for good: `skipped` when tolerated, `logged` when written to the log.
    pub fn record_errors(&self, records: u64, skipped: bool, logged: bool) {
        Self::add(&self.record_failures, records);
        Self::add(&self.record_errors, records);
        if skipped {
            Self::add(&self.records_skipped, records);
        }
        if logged {
            Self::add(&self.errors_logged, records);
        }
        self.windows(|w, _, now| w.last_error_ms = now);
    }

    /// A retriable failure that will be retried.
    pub fn record_retry(&self) {
        Self::add(&self.record_failures, 1);
        Self::add(&self.retries, 1);
        self.windows(|w, _, now| w.last_error_ms = now);
    }

    /// `records` went to the dead letter queue (`failed`: and it did not take them).
    pub fn record_dlq(&self, records: u64, failed: bool) {
        Self::add(&self.dlq_records, records);
        if failed {
            Self::add(&self.dlq_failures, records);
        }
    }
}

/// Counts of startups and their outcomes (`connector-startup-*`, `task-startup-*`).
#[derive(Debug, Default)]
struct Startups {
    attempts: u64,
    successes: u64,
    failures: u64,
    outcomes: Outcomes,
}

/// `connect-worker-rebalance-metrics` (distributed mode only, as in Java).
#[derive(Debug)]
pub struct RebalanceMetrics {
    pub epoch: i64,
    completed: u64,
    rebalancing: bool,
    started: Option<Instant>,
    last_completed_ms: Option<u64>,
    time: Distribution,
}

impl RebalanceMetrics {
    fn new() -> Self {
        RebalanceMetrics {
            epoch: -1,
            completed: 0,
            rebalancing: false,
            started: None,
            last_completed_ms: None,
            time: Distribution::default(),
        }
    }
}

/// A registered task: what `/metrics` reads.
#[derive(Debug, Clone)]
pub struct TaskEntry {
    pub kind: TaskKind,
    pub metrics: Arc<TaskMetrics>,
    pub status: StatusCell,
    registration: u64,
}

/// Every metric of one worker: its tasks' and its own.
#[derive(Debug)]
pub struct WorkerMetrics {
    config: WindowConfig,
    enabled: bool,
    next_registration: AtomicU64,
    tasks: Mutex<BTreeMap<(String, u32), TaskEntry>>,
    connector_startups: Mutex<Startups>,
    task_startups: Mutex<Startups>,
    rebalance: Mutex<Option<RebalanceMetrics>>,
}

impl Default for WorkerMetrics {
    fn default() -> Self {
        WorkerMetrics::new(WindowConfig::default(), true)
    }
}

impl WorkerMetrics {
    /// The metrics of a worker with this config (`metrics.sample.window.ms`,
    /// `metrics.num.samples`, `strait.metrics.enabled`).
    pub fn from_config(config: &crate::worker_config::WorkerConfig) -> Self {
        WorkerMetrics::new(
            WindowConfig {
                window_ms: config.metrics_sample_window_ms,
                samples: config.metrics_num_samples,
            },
            config.strait_metrics_enabled,
        )
    }

    pub fn new(config: WindowConfig, enabled: bool) -> Self {
        WorkerMetrics {
            config,
            enabled,
            next_registration: AtomicU64::new(0),
            tasks: Mutex::default(),
            connector_startups: Mutex::default(),
            task_startups: Mutex::default(),
            rebalance: Mutex::new(None),
        }
    }

    fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
        m.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The metrics a new task records into.
    pub fn new_task_metrics(&self) -> TaskMetrics {
        TaskMetrics::new(self.config, self.enabled)
    }

    /// Register a task's metrics; the returned number deregisters exactly this registration
    /// (a restarted task registers again before its predecessor is gone).
    pub fn register_task(
        &self,
        connector: &str,
        task: u32,
        kind: TaskKind,
        metrics: Arc<TaskMetrics>,
        status: StatusCell,
    ) -> u64 {
        let registration = self.next_registration.fetch_add(1, Ordering::Relaxed);
        Self::lock(&self.tasks).insert(
            (connector.to_string(), task),
            TaskEntry {
                kind,
                metrics,
                status,
                registration,
            },
        );
        registration
    }

    pub fn deregister_task(&self, connector: &str, task: u32, registration: u64) {
        let mut tasks = Self::lock(&self.tasks);
        let key = (connector.to_string(), task);
        if tasks
            .get(&key)
            .is_some_and(|e| e.registration == registration)
        {
            tasks.remove(&key);
        }
    }

    /// The tasks running on this worker, by connector and task number.
    pub fn tasks(&self) -> BTreeMap<(String, u32), TaskEntry> {
        Self::lock(&self.tasks).clone()
    }

    fn record_startup(&self, startups: &Mutex<Startups>, ok: Option<bool>) {
        let mut s = Self::lock(startups);
        match ok {
            None => s.attempts += 1,
            Some(ok) => {
                if ok {
                    s.successes += 1;
                } else {
                    s.failures += 1;
                }
                s.outcomes.record(self.config, ok, now_ms());
            }
        }
    }

    /// A connector start was attempted (`None`), or ended (`Some(succeeded)`).
    pub fn connector_startup(&self, ok: Option<bool>) {
        self.record_startup(&self.connector_startups, ok);
    }

    /// A task start was attempted (`None`), or ended (`Some(succeeded)`).
    pub fn task_startup(&self, ok: Option<bool>) {
        self.record_startup(&self.task_startups, ok);
    }

    /// Distributed mode: a rebalance began.
    pub fn rebalance_started(&self) {
        let mut r = Self::lock(&self.rebalance);
        let r = r.get_or_insert_with(RebalanceMetrics::new);
        r.rebalancing = true;
        r.started = Some(Instant::now());
    }

    /// Distributed mode: a rebalance completed in generation `epoch` (Java's text-valued
    /// `connect-protocol` and `leader-name` have no series, see [`prometheus`]).
    pub fn rebalance_completed(&self, epoch: i64) {
        let mut r = Self::lock(&self.rebalance);
        let r = r.get_or_insert_with(RebalanceMetrics::new);
        let now = now_ms();
        if let Some(started) = r.started.take() {
            r.time.record(self.config, millis(started.elapsed()), now);
        }
        r.rebalancing = false;
        r.completed += 1;
        r.last_completed_ms = Some(now);
        r.epoch = epoch;
    }
}

/// One value of one metric, with its tags: what the Prometheus page prints.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub group: &'static str,
    pub name: &'static str,
    /// Tag names and values, in Java's order (`connector`, then `task`).
    pub tags: Vec<(&'static str, String)>,
    pub value: f64,
}

/// The task groups' samples of one task.
pub fn task_samples(connector: &str, task: u32, entry: &TaskEntry, out: &mut Vec<Sample>) {
    let m = &entry.metrics;
    let tags = || {
        vec![
            ("connector", connector.to_string()),
            ("task", task.to_string()),
        ]
    };
    let mut push = |group: &'static str, name: &'static str, value: f64| {
        out.push(Sample {
            group,
            name,
            tags: tags(),
            value,
        });
    };
    let total = |c: &AtomicU64| c.load(Ordering::Relaxed) as f64;
    let config = m.config;
    let now = now_ms();
    let mut w = m.windows.lock().unwrap_or_else(|p| p.into_inner());

    const TASK: &str = "connector-task-metrics";
    push(
        TASK,
        "running-ratio",
        entry.status.time_ratio(State::Running),
    );
    push(TASK, "pause-ratio", entry.status.time_ratio(State::Paused));
    push(
        TASK,
        "offset-commit-max-time-ms",
        w.commit_time.max.measure(config, now),
    );
    push(
        TASK,
        "offset-commit-avg-time-ms",
        w.commit_time.avg.measure(config, now),
    );
    push(
        TASK,
        "batch-size-max",
        w.batch_size.max.measure(config, now),
    );
    push(
        TASK,
        "batch-size-avg",
        w.batch_size.avg.measure(config, now),
    );
    let (succeeded, failed) = w.commit_outcomes.measure(config, now);
    push(TASK, "offset-commit-failure-percentage", failed);
    push(TASK, "offset-commit-success-percentage", succeeded);

    let in_rate = w.in_rate.measure(config, now);
    let out_rate = w.out_rate.measure(config, now);
    let batch_max = w.batch_time.max.measure(config, now);
    let batch_avg = w.batch_time.avg.measure(config, now);
    let active = w.active as f64;
    let active_max = w.active_stats.max.measure(config, now);
    let active_avg = w.active_stats.avg.measure(config, now);
    match entry.kind {
        TaskKind::Source => {
            const G: &str = "source-task-metrics";
            push(G, "source-record-poll-rate", in_rate);
            push(G, "source-record-poll-total", total(&m.records_in));
            push(G, "source-record-write-rate", out_rate);
            push(G, "source-record-write-total", total(&m.records_out));
            push(G, "poll-batch-max-time-ms", batch_max);
            push(G, "poll-batch-avg-time-ms", batch_avg);
            push(G, "source-record-active-count", active);
            push(G, "source-record-active-count-max", active_max);
            push(G, "source-record-active-count-avg", active_avg);
            push(
                G,
                "transaction-size-min",
                w.transaction_size.min.measure(config, now),
            );
            push(
                G,
                "transaction-size-max",
                w.transaction_size.max.measure(config, now),
            );
            push(
                G,
                "transaction-size-avg",
                w.transaction_size.avg.measure(config, now),
            );
        }
        TaskKind::Sink => {
            const G: &str = "sink-task-metrics";
            push(G, "sink-record-read-rate", in_rate);
            push(G, "sink-record-read-total", total(&m.records_in));
            push(G, "sink-record-send-rate", out_rate);
            push(G, "sink-record-send-total", total(&m.records_out));
            // Declared by Java's registry but never recorded by its sink tasks: NaN there too.
            push(G, "sink-record-lag-max", f64::NAN);
            push(G, "partition-count", w.partitions as f64);
            push(G, "offset-commit-seq-no", w.commit_seq_no as f64);
            push(
                G,
                "offset-commit-completion-rate",
                w.commit_rate.measure(config, now),
            );
            push(
                G,
                "offset-commit-completion-total",
                total(&m.offset_commits),
            );
            // Java counts commit completions that arrived too late to use; Strait has none.
            push(G, "offset-commit-skip-rate", 0.0);
            push(G, "offset-commit-skip-total", 0.0);
            push(G, "put-batch-max-time-ms", batch_max);
            push(G, "put-batch-avg-time-ms", batch_avg);
            push(G, "sink-record-active-count", active);
            push(G, "sink-record-active-count-max", active_max);
            push(G, "sink-record-active-count-avg", active_avg);
        }
    }

    const ERR: &str = "task-error-metrics";
    push(ERR, "total-record-failures", total(&m.record_failures));
    push(ERR, "total-record-errors", total(&m.record_errors));
    push(ERR, "total-records-skipped", total(&m.records_skipped));
    push(ERR, "total-retries", total(&m.retries));
    push(ERR, "total-errors-logged", total(&m.errors_logged));
    push(
        ERR,
        "deadletterqueue-produce-requests",
        total(&m.dlq_records),
    );
    push(
        ERR,
        "deadletterqueue-produce-failures",
        total(&m.dlq_failures),
    );
    push(ERR, "last-error-timestamp", w.last_error_ms as f64);

    const STRAIT: &str = "strait-task-metrics";
    push(STRAIT, "batches-total", total(&m.batches));
    push(STRAIT, "bytes-total", total(&m.bytes));
    push(
        STRAIT,
        "decode-time-ms-avg",
        w.decode_time.avg.measure(config, now),
    );
    push(
        STRAIT,
        "decode-time-ms-max",
        w.decode_time.max.measure(config, now),
    );
}

/// The worker group's samples: counts of connectors (`connectors`: those running here) and
/// tasks on this worker, startups, and per connector with tasks here those tasks by state.
pub fn worker_samples(metrics: &WorkerMetrics, connectors: &[String], out: &mut Vec<Sample>) {
    const G: &str = "connect-worker-metrics";
    let tasks = metrics.tasks();
    let mut push = |name: &'static str, tags: Vec<(&'static str, String)>, value: f64| {
        out.push(Sample {
            group: G,
            name,
            tags,
            value,
        });
    };
    push("connector-count", vec![], connectors.len() as f64);
    push("task-count", vec![], tasks.len() as f64);
    let now = now_ms();
    for (prefix, startups) in [
        ("connector", &metrics.connector_startups),
        ("task", &metrics.task_startups),
    ] {
        let mut s = WorkerMetrics::lock(startups);
        let (ok, failed) = s.outcomes.measure(metrics.config, now);
        let names: [&'static str; 5] = if prefix == "connector" {
            [
                "connector-startup-attempts-total",
                "connector-startup-success-total",
                "connector-startup-success-percentage",
                "connector-startup-failure-total",
                "connector-startup-failure-percentage",
            ]
        } else {
            [
                "task-startup-attempts-total",
                "task-startup-success-total",
                "task-startup-success-percentage",
                "task-startup-failure-total",
                "task-startup-failure-percentage",
            ]
        };
        push(names[0], vec![], s.attempts as f64);
        push(names[1], vec![], s.successes as f64);
        push(names[2], vec![], ok);
        push(names[3], vec![], s.failures as f64);
        push(names[4], vec![], failed);
    }
    // Java's `ConnectorStatusMetricsGroup`: a connector has these series on every worker that
    // runs one of its tasks, whether or not the connector itself runs there.
    let with_tasks: std::collections::BTreeSet<&String> = tasks.keys().map(|(c, _)| c).collect();
    for connector in with_tasks {
        let states: Vec<State> = tasks
            .iter()
            .filter(|((c, _), _)| c == connector)
            .map(|(_, e)| e.status.get().state)
            .collect();
        let count = |s: State| states.iter().filter(|x| **x == s).count() as f64;
        let tags = || vec![("connector", connector.clone())];
        push("connector-total-task-count", tags(), states.len() as f64);
        push(
            "connector-running-task-count",
            tags(),
            count(State::Running),
        );
        push("connector-paused-task-count", tags(), count(State::Paused));
        push("connector-failed-task-count", tags(), count(State::Failed));
        push(
            "connector-unassigned-task-count",
            tags(),
            count(State::Unassigned),
        );
        push(
            "connector-destroyed-task-count",
            tags(),
            count(State::Stopped),
        );
        push(
            "connector-restarting-task-count",
            tags(),
            count(State::Restarting),
        );
    }
}

/// The rebalance group's samples, when this worker is in a group (distributed mode).
pub fn rebalance_samples(metrics: &WorkerMetrics, out: &mut Vec<Sample>) {
    const G: &str = "connect-worker-rebalance-metrics";
    let mut guard = WorkerMetrics::lock(&metrics.rebalance);
    let Some(r) = guard.as_mut() else {
        return;
    };
    let now = now_ms();
    let mut push = |name: &'static str, value: f64| {
        out.push(Sample {
            group: G,
            name,
            tags: vec![],
            value,
        });
    };
    push("epoch", r.epoch as f64);
    push("completed-rebalances-total", r.completed as f64);
    push("rebalancing", if r.rebalancing { 1.0 } else { 0.0 });
    push(
        "rebalance-max-time-ms",
        r.time.max.measure(metrics.config, now),
    );
    push(
        "rebalance-avg-time-ms",
        r.time.avg.measure(metrics.config, now),
    );
    // Java: +Inf until the first rebalance completed.
    push(
        "time-since-last-rebalance-ms",
        r.last_completed_ms
            .map_or(f64::INFINITY, |t| now.saturating_sub(t) as f64),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: TaskKind) -> TaskEntry {
        TaskEntry {
            kind,
            metrics: Arc::new(TaskMetrics::default()),
            status: StatusCell::new(State::Running),
            registration: 0,
        }
    }

    fn value(samples: &[Sample], group: &str, name: &str) -> f64 {
        samples
            .iter()
            .find(|s| s.group == group && s.name == name)
            .unwrap_or_else(|| panic!("no {group} {name}"))
            .value
    }

    #[test]
    fn a_sink_task_reports_its_batches_in_javas_names() {
        let e = entry(TaskKind::Sink);
        e.metrics.record_in(500, 50_000);
        e.metrics.record_batch(500, Duration::from_millis(4));
        e.metrics.record_out(500);
        e.metrics.record_in(300, 30_000);
        e.metrics.record_batch(300, Duration::from_millis(2));
        e.metrics.record_out(300);
        e.metrics.record_commit(true, Duration::from_millis(10));
        e.metrics.record_commit(false, Duration::from_millis(30));
        let mut out = Vec::new();
        task_samples("c1", 0, &e, &mut out);
        assert_eq!(
            value(&out, "sink-task-metrics", "sink-record-read-total"),
            800.0
        );
        assert_eq!(
            value(&out, "sink-task-metrics", "sink-record-send-total"),
            800.0
        );
        assert_eq!(
            value(&out, "connector-task-metrics", "batch-size-max"),
            500.0
        );
        assert_eq!(
            value(&out, "connector-task-metrics", "batch-size-avg"),
            400.0
        );
        assert_eq!(
            value(&out, "sink-task-metrics", "put-batch-max-time-ms"),
            4.0
        );
        assert_eq!(
            value(&out, "connector-task-metrics", "offset-commit-max-time-ms"),
            30.0
        );
        assert_eq!(
            value(
                &out,
                "connector-task-metrics",
                "offset-commit-success-percentage"
            ),
            0.5
        );
        assert_eq!(
            value(&out, "sink-task-metrics", "offset-commit-completion-total"),
            1.0
        );
        assert_eq!(value(&out, "strait-task-metrics", "bytes-total"), 80_000.0);
        assert_eq!(value(&out, "strait-task-metrics", "batches-total"), 2.0);
        assert!(value(&out, "sink-task-metrics", "sink-record-read-rate") > 0.0);
        assert!(out.iter().all(|s| s.group != "source-task-metrics"));
        assert!(out
            .iter()
            .all(|s| s.tags == vec![("connector", "c1".into()), ("task", "0".into())]));
    }

    #[test]
    fn disabled_metrics_keep_totals_only() {
        let m = TaskMetrics::new(WindowConfig::default(), false);
        m.record_in(10, 100);
        m.record_batch(10, Duration::from_millis(1));
        let e = TaskEntry {
            kind: TaskKind::Source,
            metrics: Arc::new(m),
            status: StatusCell::new(State::Running),
            registration: 0,
        };
        let mut out = Vec::new();
        task_samples("c", 1, &e, &mut out);
        assert_eq!(
            value(&out, "source-task-metrics", "source-record-poll-total"),
            10.0
        );
        assert!(value(&out, "connector-task-metrics", "batch-size-max").is_nan());
    }

    #[test]
    fn errors_count_as_java_counts_them() {
        let m = TaskMetrics::default();
        m.record_retry();
        m.record_errors(1, true, true);
        m.record_dlq(1, false);
        let e = TaskEntry {
            kind: TaskKind::Sink,
            metrics: Arc::new(m),
            status: StatusCell::new(State::Running),
            registration: 0,
        };
        let mut out = Vec::new();
        task_samples("c", 0, &e, &mut out);
        assert_eq!(
            value(&out, "task-error-metrics", "total-record-failures"),
            2.0
        );
        assert_eq!(
            value(&out, "task-error-metrics", "total-record-errors"),
            1.0
        );
        assert_eq!(value(&out, "task-error-metrics", "total-retries"), 1.0);
        assert_eq!(
            value(&out, "task-error-metrics", "total-records-skipped"),
            1.0
        );
        assert_eq!(
            value(&out, "task-error-metrics", "total-errors-logged"),
            1.0
        );
        assert_eq!(
            value(
                &out,
                "task-error-metrics",
                "deadletterqueue-produce-requests"
            ),
            1.0
        );
        assert!(value(&out, "task-error-metrics", "last-error-timestamp") > 0.0);
    }

    #[test]
    fn registrations_of_a_restarted_task_do_not_remove_each_other() {
        let w = WorkerMetrics::default();
        let status = StatusCell::new(State::Running);
        let first = w.register_task("c", 0, TaskKind::Sink, Arc::default(), status.clone());
        let second = w.register_task("c", 0, TaskKind::Sink, Arc::default(), status.clone());
        w.deregister_task("c", 0, first);
        assert_eq!(w.tasks().len(), 1);
        w.deregister_task("c", 0, second);
        assert!(w.tasks().is_empty());
    }

    #[test]
    fn worker_counts_tasks_by_state_per_connector() {
        let w = WorkerMetrics::default();
        w.register_task(
            "a",
            0,
            TaskKind::Sink,
            Arc::default(),
            StatusCell::new(State::Running),
        );
        w.register_task(
            "a",
            1,
            TaskKind::Sink,
            Arc::default(),
            StatusCell::new(State::Failed),
        );
        w.register_task(
            "b",
            0,
            TaskKind::Source,
            Arc::default(),
            StatusCell::new(State::Paused),
        );
        w.connector_startup(None);
        w.connector_startup(Some(true));
        let mut out = Vec::new();
        // "b" runs on another worker; its task here still counts, as in Java.
        worker_samples(&w, &["a".into()], &mut out);
        let tagged = |name: &str, connector: &str| {
            out.iter()
                .find(|s| s.name == name && s.tags == vec![("connector", connector.to_string())])
                .unwrap()
                .value
        };
        assert_eq!(
            value(&out, "connect-worker-metrics", "connector-count"),
            1.0
        );
        assert_eq!(value(&out, "connect-worker-metrics", "task-count"), 3.0);
        assert_eq!(tagged("connector-total-task-count", "a"), 2.0);
        assert_eq!(tagged("connector-running-task-count", "a"), 1.0);
        assert_eq!(tagged("connector-failed-task-count", "a"), 1.0);
        assert_eq!(tagged("connector-paused-task-count", "b"), 1.0);
        assert_eq!(
            value(
                &out,
                "connect-worker-metrics",
                "connector-startup-success-percentage"
            ),
            1.0
        );
    }
}
