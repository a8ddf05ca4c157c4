//! Task drivers: one tokio task per connector task, bounded channels, owned spawns.
//!
//! * [`source`]: `poll` → encode with converters → produce → commit offsets of acked batches.
//! * [`sink`]: consume (dedicated poll thread) → raw batch → decode what the sink needs →
//!   `put` → `pre_commit` → commit only what the task reports durable.
//!
//! Stop, pause and shutdown are cancellation with a defined commit point: a stopping driver
//! commits what is durable, then stops its task.

mod commit_queue;
mod exactly_once;
mod retry;
pub mod sink;
pub mod source;
pub mod split;
mod topic_creator;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::{with_prefix, Props};
use crate::connector_config::FrameworkConfig;
use crate::error::{Error, Result};
use crate::offsets::OffsetStore;
use crate::plugin::{ConnectorPlugin, Converter, ConverterRole};
use crate::registry::Registry;
use crate::worker_config::WorkerConfig;

/// Observed state of a connector or task, spelled as Kafka Connect spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum State {
    Unassigned,
    Running,
    Paused,
    Failed,
    Restarting,
    Stopped,
}

/// A state plus the failure trace, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub state: State,
    pub trace: Option<String>,
}

impl Status {
    pub fn new(state: State) -> Self {
        Status { state, trace: None }
    }
}

/// Shared, updatable status of one task, with how long it spent in each state (Java's
/// `StateTracker`, for `running-ratio` and `pause-ratio`).
#[derive(Debug, Clone)]
pub struct StatusCell(Arc<Mutex<StatusTimes>>);

#[derive(Debug)]
struct StatusTimes {
    status: Status,
    created: std::time::Instant,
    since: std::time::Instant,
    /// Time spent in each state before `since`, by state.
    spent: Vec<(State, Duration)>,
}

impl StatusTimes {
    fn change(&mut self, status: Status) {
        let now = std::time::Instant::now();
        let elapsed = now - self.since;
        match self.spent.iter_mut().find(|(s, _)| *s == self.status.state) {
            Some((_, d)) => *d += elapsed,
            None => self.spent.push((self.status.state, elapsed)),
        }
        self.since = now;
        self.status = status;
    }
}

impl StatusCell {
    pub fn new(state: State) -> Self {
        let now = std::time::Instant::now();
        StatusCell(Arc::new(Mutex::new(StatusTimes {
            status: Status::new(state),
            created: now,
            since: now,
            spent: Vec::new(),
        })))
    }
    fn lock(&self) -> std::sync::MutexGuard<'_, StatusTimes> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
    pub fn get(&self) -> Status {
        self.lock().status.clone()
    }
    pub fn set(&self, state: State) {
        let mut t = self.lock();
        if t.status.state != state || t.status.trace.is_some() {
            t.change(Status::new(state));
        }
    }
    pub fn fail(&self, error: &Error) {
        self.lock().change(Status {
            state: State::Failed,
            trace: Some(error.trace()),
        });
    }
    /// The share of its life so far this task spent in `state`, in [0, 1].
    pub fn time_ratio(&self, state: State) -> f64 {
        let t = self.lock();
        let now = std::time::Instant::now();
        let total = (now - t.created).as_secs_f64();
        if total <= 0.0 {
            return 0.0;
        }
        let mut spent: f64 = t
            .spent
            .iter()
            .filter(|(s, _)| *s == state)
            .map(|(_, d)| d.as_secs_f64())
            .sum();
        if t.status.state == state {
            spent += (now - t.since).as_secs_f64();
        }
        (spent / total).clamp(0.0, 1.0)
    }
}

pub use crate::metrics::TaskMetrics;

/// What every task driver shares: worker config, plugins, offsets, identity.
pub struct WorkerContext {
    pub config: WorkerConfig,
    pub registry: Registry,
    pub offsets: Arc<dyn OffsetStore>,
    pub worker_id: String,
    /// The worker's metrics (`GET /metrics`): every task registers there.
    pub metrics: Arc<crate::metrics::WorkerMetrics>,
}

impl std::fmt::Debug for WorkerContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WorkerContext({})", self.worker_id)
    }
}

impl WorkerContext {
    /// Build a connector's converter for `role`: the connector's override (with the connector's
    /// `<role key>.` options) or else the worker's (with the worker's options), as
    /// `Worker.startTask` does.
    pub fn converter(
        &self,
        connector_props: &Props,
        role: ConverterRole,
    ) -> Result<Arc<dyn Converter>> {
        self.named_converter(connector_props, role)
            .map(|c| c.converter)
    }

    /// [`converter`](Self::converter) with the Java class name it resolved to.
    fn named_converter(&self, connector_props: &Props, role: ConverterRole) -> Result<Named> {
        let key = role.config_key();
        let prefix = format!("{key}.");
        let (class, props) = match connector_props
            .get(key)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
        {
            Some(class) => (class, with_prefix(connector_props, &prefix)),
            None => (
                self.config.converter_class(role),
                with_prefix(&self.config.originals, &prefix),
            ),
        };
        Ok(Named {
            class: self.registry.converter_plugin(role, class)?.info.class,
            converter: self.registry.converter(role, class, &props)?,
        })
    }

    /// The key, value and header converters of a connector.
    pub(crate) fn converters(&self, connector_props: &Props) -> Result<Converters> {
        Ok(Converters {
            key: self.named_converter(connector_props, ConverterRole::Key)?,
            value: self.named_converter(connector_props, ConverterRole::Value)?,
            header: self.named_converter(connector_props, ConverterRole::Header)?,
        })
    }
}

/// A converter and the Java class it was configured as (Java writes that class into log lines
/// and `__connect.errors.class.name` DLQ headers when the converter fails).
pub(crate) struct Named {
    pub class: &'static str,
    pub converter: Arc<dyn Converter>,
}

impl std::ops::Deref for Named {
    type Target = dyn Converter;
    fn deref(&self) -> &Self::Target {
        &*self.converter
    }
}

/// The converters a task driver applies (built once per task).
pub(crate) struct Converters {
    pub key: Named,
    pub value: Named,
    pub header: Named,
}

/// Everything needed to run one task.
#[derive(Clone)]
pub struct TaskSpec {
    pub connector: String,
    pub task_id: u32,
    pub connector_props: Props,
    pub task_props: Props,
    pub framework: FrameworkConfig,
    pub plugin: Arc<dyn ConnectorPlugin>,
    pub worker: Arc<WorkerContext>,
    /// Set for a source task that runs exactly-once (distributed mode with
    /// `exactly.once.source.support=enabled`); `None` runs it at-least-once.
    pub exactly_once: Option<ExactlyOnceTask>,
}

/// How an exactly-once source task runs (Java's `ExactlyOnceWorkerSourceTask` settings).
#[derive(Clone)]
pub struct ExactlyOnceTask {
    /// `<group.id>-<connector>-<task>` (Java's `Worker.taskTransactionalId`).
    pub transactional_id: String,
    pub boundary: TransactionBoundary,
    /// Run before the task's producer is created: the zombie fencing of older task
    /// generations, when one is pending (Java's pre-producer check). An error fails the task.
    pub before_producer: Option<StartCheck>,
    /// Run after the task's transactional producer is initialised (which fences any older
    /// producer with the same id) and before the task starts: Java's check that the task's
    /// generation is still current and still assigned here. An error fails the task.
    pub before_start: Option<StartCheck>,
}

/// An asynchronous check run before an exactly-once task starts.
pub type StartCheck =
    Arc<dyn Fn() -> futures::future::BoxFuture<'static, Result<()>> + Send + Sync>;

impl std::fmt::Debug for ExactlyOnceTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExactlyOnceTask")
            .field("transactional_id", &self.transactional_id)
            .field("boundary", &self.boundary)
            .finish_non_exhaustive()
    }
}

/// When an exactly-once source task commits its transaction (`transaction.boundary`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionBoundary {
    /// After every batch a `poll` returns.
    Poll,
    /// When this long has passed since the transaction began.
    Interval(Duration),
    /// When the task asks, through its [`TransactionContext`](crate::plugin::TransactionContext).
    Connector,
}

impl std::fmt::Debug for TaskSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TaskSpec({}-{})", self.connector, self.task_id)
    }
}

/// Handle on a running task driver. Dropping it aborts the driver; [`TaskHandle::stop`] stops it
/// gracefully at its commit point.
#[derive(Debug)]
pub struct TaskHandle {
    pub id: u32,
    pub status: StatusCell,
    pub metrics: Arc<TaskMetrics>,
    cancel: CancellationToken,
    paused: watch::Sender<bool>,
    join: Option<JoinHandle<()>>,
    /// Where the metrics are registered, to take them out when the task goes.
    registered: (Arc<crate::metrics::WorkerMetrics>, String, u64),
}

impl TaskHandle {
    /// Start a task driver; `paused` starts it in PAUSED state.
    pub fn spawn(spec: TaskSpec, paused: bool) -> TaskHandle {
        let status = StatusCell::new(State::Unassigned);
        let registry = spec.worker.metrics.clone();
        let metrics = Arc::new(registry.new_task_metrics());
        let kind = match spec.plugin.connector_type() {
            crate::plugin::ConnectorType::Source => crate::metrics::TaskKind::Source,
            crate::plugin::ConnectorType::Sink => crate::metrics::TaskKind::Sink,
        };
        let registration = registry.register_task(
            &spec.connector,
            spec.task_id,
            kind,
            metrics.clone(),
            status.clone(),
        );
        registry.task_startup(None);
        let connector = spec.connector.clone();
        let cancel = CancellationToken::new();
        let (paused_tx, paused_rx) = watch::channel(paused);
        let id = spec.task_id;
        let ctx = DriverContext {
            spec,
            status: status.clone(),
            metrics: metrics.clone(),
            cancel: cancel.clone(),
            paused: paused_rx,
        };
        let join = tokio::spawn(async move {
            let connector_type = ctx.spec.plugin.connector_type();
            let task = ctx.spec.plugin.create_task(&ctx.spec.task_props);
            match (task, connector_type) {
                (Ok(crate::plugin::TaskInstance::Source(t)), _) => source::run(ctx, t).await,
                (Ok(crate::plugin::TaskInstance::Sink(t)), _) => sink::run(ctx, t).await,
                (Err(e), _) => {
                    tracing::error!(task = %format!("{}-{}", ctx.spec.connector, ctx.spec.task_id), error = %e, "task could not be created");
                    ctx.spec.worker.metrics.task_startup(Some(false));
                    ctx.status.fail(&e);
                }
            }
        });
        TaskHandle {
            id,
            status,
            metrics,
            cancel,
            paused: paused_tx,
            join: Some(join),
            registered: (registry, connector, registration),
        }
    }

    pub fn pause(&self) {
        let _ = self.paused.send(true);
    }

    pub fn resume(&self) {
        let _ = self.paused.send(false);
    }

    /// Stop gracefully: the driver commits what is durable and stops its task. Waits at most
    /// `timeout`, then aborts.
    pub async fn stop(mut self, timeout: Duration) {
        self.cancel.cancel();
        if let Some(join) = self.join.take() {
            let abort = join.abort_handle();
            if tokio::time::timeout(timeout, join).await.is_err() {
                tracing::warn!(task = self.id, "task did not stop in time; aborting it");
                abort.abort();
            }
        }
    }

    pub fn is_finished(&self) -> bool {
        self.join.as_ref().map(|j| j.is_finished()).unwrap_or(true)
    }
}

impl Drop for TaskHandle {
    fn drop(&mut self) {
        let (registry, connector, registration) = &self.registered;
        registry.deregister_task(connector, self.id, *registration);
        if let Some(join) = self.join.take() {
            self.cancel.cancel();
            join.abort();
        }
    }
}

/// What a driver gets.
pub(crate) struct DriverContext {
    pub spec: TaskSpec,
    pub status: StatusCell,
    pub metrics: Arc<TaskMetrics>,
    pub cancel: CancellationToken,
    pub paused: watch::Receiver<bool>,
}

impl DriverContext {
    pub fn name(&self) -> String {
        format!("{}-{}", self.spec.connector, self.spec.task_id)
    }

    /// Record a failure: FAILED status with trace, logged once.
    pub fn fail(&self, error: &Error) {
        tracing::error!(task = %self.name(), error = %error, "task failed");
        self.status.fail(error);
    }

    /// A failure before the task started (`task-startup-failure-total`).
    pub fn fail_start(&self, error: &Error) {
        self.spec.worker.metrics.task_startup(Some(false));
        self.fail(error);
    }

    /// The task started (`task-startup-success-total`).
    pub fn started(&self) {
        self.spec.worker.metrics.task_startup(Some(true));
        self.status.set(State::Running);
    }

    /// Wait while paused; returns false if cancelled meanwhile.
    pub async fn wait_while_paused(&mut self) -> bool {
        if !*self.paused.borrow() {
            return true;
        }
        self.status.set(State::Paused);
        loop {
            tokio::select! {
                _ = self.cancel.cancelled() => return false,
                changed = self.paused.changed() => {
                    if changed.is_err() { return false; }
                    if !*self.paused.borrow() {
                        self.status.set(State::Running);
                        return true;
                    }
                }
            }
        }
    }
}
