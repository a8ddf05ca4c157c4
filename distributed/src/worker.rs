//! The work assigned to this worker: connector instances and tasks that run here (Java's
//! `Worker`, as the distributed herder drives it).
//!
//! The herder tells it what to start and stop after each rebalance and config change; it
//! reports every status change through a [`StatusListener`] (the status topic, in distributed
//! mode). A Strait connector instance is its checked config plus the plugin that generates its
//! task configs; tasks are the engine's task drivers.
//!
//! Task drivers update their status in place (RUNNING, PAUSED, FAILED with a trace); the
//! herder calls [`LocalWork::poll_statuses`] on every tick to report the changes, so a status
//! reaches the topic within one tick of the change.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use strait_engine::config::Props;
use strait_engine::error::Error;
use strait_engine::herder::lifecycle;
use strait_engine::herder::topics::{TopicTracker, TrackedPlugin};
use strait_engine::herder::TargetState;
use strait_engine::plugin::ConnectorPlugin;
use strait_engine::runtime::{ExactlyOnceTask, State, Status, TaskHandle, WorkerContext};

/// What a task starts with besides its configs (see `herder::task_extras`).
pub struct TaskExtras {
    /// The worker context of its connector: the worker's, or one whose offset store is the
    /// connector's own offsets topic.
    pub worker: Arc<WorkerContext>,
    pub exactly_once: Option<ExactlyOnceTask>,
}

/// Where status changes go (the status topic in distributed mode).
pub trait StatusListener: Send + Sync {
    /// A connector's new status on this worker; `version` is its plugin's, when known.
    fn connector(&self, name: &str, status: &Status, version: Option<&str>);
    /// A task's new status on this worker.
    fn task(&self, connector: &str, task: u32, status: &Status, version: Option<&str>);
}

struct RunningConnector {
    config: Props,
    plugin: Arc<dyn ConnectorPlugin>,
    target: TargetState,
    status: Status,
}

struct RunningTask {
    handle: TaskHandle,
    /// The task config it was started with.
    config: Props,
    version: &'static str,
    /// What was last reported, to report changes only.
    reported: Option<Status>,
}

/// Connectors and tasks running on this worker.
pub struct LocalWork {
    worker: Arc<WorkerContext>,
    topics: Arc<TopicTracker>,
    listener: Arc<dyn StatusListener>,
    connectors: BTreeMap<String, RunningConnector>,
    tasks: BTreeMap<(String, u32), RunningTask>,
}

impl std::fmt::Debug for LocalWork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalWork")
            .field("connectors", &self.connectors.keys().collect::<Vec<_>>())
            .field("tasks", &self.tasks.keys().collect::<Vec<_>>())
            .finish()
    }
}

fn status_of(target: TargetState) -> Status {
    Status::new(match target {
        TargetState::Started => State::Running,
        TargetState::Paused => State::Paused,
        TargetState::Stopped => State::Stopped,
    })
}

impl LocalWork {
    pub fn new(
        worker: Arc<WorkerContext>,
        topics: Arc<TopicTracker>,
        listener: Arc<dyn StatusListener>,
    ) -> Self {
        LocalWork {
            worker,
            topics,
            listener,
            connectors: BTreeMap::new(),
            tasks: BTreeMap::new(),
        }
    }

    pub fn worker(&self) -> &Arc<WorkerContext> {
        &self.worker
    }

    fn shutdown_timeout(&self) -> Duration {
        self.worker
            .config
            .task_shutdown_graceful_timeout
            .max(Duration::from_secs(1))
    }

    /// Connectors running here.
    pub fn connector_names(&self) -> Vec<String> {
        self.connectors.keys().cloned().collect()
    }

    /// Tasks running here.
    pub fn task_ids(&self) -> Vec<(String, u32)> {
        self.tasks.keys().cloned().collect()
    }

    pub fn runs_connector(&self, name: &str) -> bool {
        self.connectors.contains_key(name)
    }

    /// The status of a connector that runs here.
    pub fn connector_status(&self, name: &str) -> Option<Status> {
        self.connectors.get(name).map(|c| c.status.clone())
    }

    /// Start the connector instance in `target` state (Java's `Worker.startConnector`): a bad
    /// config or unknown class leaves it FAILED with the trace. Returns whether it runs.
    pub fn start_connector(&mut self, name: &str, config: &Props, target: TargetState) -> bool {
        let plugin = config
            .get("connector.class")
            .ok_or_else(|| Error::config("Connector config is missing connector.class"))
            .and_then(|class| {
                strait_engine::herder::validate::find_connector(&self.worker.registry, class)
            });
        // Checked with its variables resolved; `config` (raw) is what is kept.
        let checked = plugin.and_then(|p| {
            let resolved = lifecycle::resolved(&self.worker.config, config)?;
            lifecycle::check_connector(&*p, &resolved, &self.worker.config).map(|_| p)
        });
        self.worker.metrics.connector_startup(None);
        self.worker.metrics.connector_startup(Some(checked.is_ok()));
        let (plugin, status) = match checked {
            Ok(p) => (Some(p), status_of(target)),
            Err(e) => {
                tracing::error!(connector = name, error = %e, "connector failed to start");
                (
                    None,
                    Status {
                        state: State::Failed,
                        trace: Some(e.trace()),
                    },
                )
            }
        };
        let version = plugin.as_ref().map(|p| p.info().version);
        self.listener.connector(name, &status, version);
        let ok = plugin.is_some();
        if let Some(plugin) = plugin {
            self.connectors.insert(
                name.to_string(),
                RunningConnector {
                    config: config.clone(),
                    plugin,
                    target,
                    status,
                },
            );
        } else {
            self.connectors.remove(name);
        }
        ok
    }

    /// Stop a connector instance; reports UNASSIGNED (Java's `onShutdown`) unless it was
    /// deleted, which the herder reports.
    pub fn stop_connector(&mut self, name: &str, report: bool) {
        if let Some(c) = self.connectors.remove(name) {
            if report {
                let version = c.plugin.info().version;
                self.listener
                    .connector(name, &Status::new(State::Unassigned), Some(version));
            }
        }
    }

    /// The task configs of a connector running here, when its target state lets it have tasks
    /// (STARTED and RUNNING); `None` otherwise. A generation failure fails the connector.
    pub fn task_configs(&mut self, name: &str) -> Option<Vec<Props>> {
        let c = self.connectors.get_mut(name)?;
        if c.target != TargetState::Started || c.status.state != State::Running {
            return None;
        }
        // Raw (reverse-transformed) configs: they go to the config topic.
        match lifecycle::generate_task_configs(name, &*c.plugin, &c.config, &self.worker.config) {
            Ok(configs) => Some(configs),
            Err(e) => {
                tracing::error!(connector = name, error = %e, "connector failed to generate task configs");
                c.status = Status {
                    state: State::Failed,
                    trace: Some(e.trace()),
                };
                self.listener
                    .connector(name, &c.status, Some(c.plugin.info().version));
                None
            }
        }
    }

    /// Start task `id` with its committed config (Java's `Worker.startTask`). The connector
    /// config comes from the config snapshot: the connector instance may run elsewhere.
    pub fn start_task(
        &mut self,
        connector: &str,
        id: u32,
        connector_config: &Props,
        task_config: Props,
        target: TargetState,
        extras: TaskExtras,
    ) {
        let TaskExtras {
            worker,
            exactly_once,
        } = extras;
        let key = (connector.to_string(), id);
        let started_with = task_config.clone();
        let spec = connector_config
            .get("connector.class")
            .ok_or_else(|| Error::config("Connector config is missing connector.class"))
            .and_then(|class| {
                strait_engine::herder::validate::find_connector(&self.worker.registry, class)
            })
            .and_then(|plugin| {
                let tracked = TrackedPlugin::wrap(plugin, connector, self.topics.clone());
                // Both configs are stored raw; the task runs with their variables resolved.
                lifecycle::task_spec(
                    connector,
                    id,
                    tracked,
                    &lifecycle::resolved(&self.worker.config, connector_config)?,
                    lifecycle::resolved(&self.worker.config, &task_config)?,
                    worker,
                )
            });
        match spec {
            Ok(mut spec) => {
                spec.exactly_once = exactly_once;
                let version = spec.plugin.info().version;
                let handle = TaskHandle::spawn(spec, target == TargetState::Paused);
                self.tasks.insert(
                    key,
                    RunningTask {
                        handle,
                        config: started_with,
                        version,
                        reported: None,
                    },
                );
            }
            Err(e) => {
                tracing::error!(task = %format!("{connector}-{id}"), error = %e, "task failed to start");
                self.listener.task(
                    connector,
                    id,
                    &Status {
                        state: State::Failed,
                        trace: Some(e.trace()),
                    },
                    None,
                );
            }
        }
    }

    /// Report a task that could not be started (Java's `onFailure` from `startTask`).
    pub fn report_task_failure(&self, connector: &str, id: u32, error: &Error) {
        tracing::error!(task = %format!("{connector}-{id}"), error = %error, "task failed to start");
        self.listener.task(
            connector,
            id,
            &Status {
                state: State::Failed,
                trace: Some(error.trace()),
            },
            None,
        );
    }

    /// Stop tasks gracefully (each commits at its commit point), in parallel; reports
    /// UNASSIGNED for each when `report`.
    pub async fn stop_tasks(&mut self, ids: &[(String, u32)], report: bool) {
        let timeout = self.shutdown_timeout();
        let stopping: Vec<_> = ids
            .iter()
            .filter_map(|k| self.tasks.remove(k).map(|t| (k.clone(), t)))
            .collect();
        let stopped = futures::future::join_all(stopping.into_iter().map(|(k, t)| async move {
            let version = t.version;
            t.handle.stop(timeout).await;
            (k, version)
        }))
        .await;
        if report {
            for ((c, t), version) in stopped {
                self.listener
                    .task(&c, t, &Status::new(State::Unassigned), Some(version));
            }
        }
    }

    /// Tasks of `connector` running here.
    pub fn tasks_of(&self, connector: &str) -> Vec<(String, u32)> {
        self.tasks
            .keys()
            .filter(|(c, _)| c == connector)
            .cloned()
            .collect()
    }

    /// Move a connector's instance and local tasks to `target` (Java's
    /// `Worker.setTargetState`). STOPPED stops the tasks too.
    pub async fn set_target_state(&mut self, connector: &str, target: TargetState) {
        if let Some(c) = self.connectors.get_mut(connector) {
            c.target = target;
            if c.status.state != State::Failed {
                c.status = status_of(target);
                self.listener
                    .connector(connector, &c.status, Some(c.plugin.info().version));
            }
        }
        let tasks = self.tasks_of(connector);
        match target {
            TargetState::Stopped => self.stop_tasks(&tasks, true).await,
            TargetState::Paused => tasks.iter().for_each(|k| {
                if let Some(t) = self.tasks.get(k) {
                    t.handle.pause();
                }
            }),
            TargetState::Started => tasks.iter().for_each(|k| {
                if let Some(t) = self.tasks.get(k) {
                    t.handle.resume();
                }
            }),
        }
    }

    /// Report task status changes since the last call (drivers update their status in place).
    pub fn poll_statuses(&mut self) {
        for ((connector, id), t) in &mut self.tasks {
            let now = t.handle.status.get();
            // A task driver starts UNASSIGNED until its task is created; Java reports RUNNING
            // from `onStartup`, so UNASSIGNED is not reported from here.
            if now.state == State::Unassigned || t.reported.as_ref() == Some(&now) {
                continue;
            }
            self.listener.task(connector, *id, &now, Some(t.version));
            t.reported = Some(now);
        }
    }

    /// The config a task running here was started with.
    pub fn task_config(&self, connector: &str, id: u32) -> Option<&Props> {
        self.tasks
            .get(&(connector.to_string(), id))
            .map(|t| &t.config)
    }

    /// The live status of a task running here.
    pub fn task_status(&self, connector: &str, id: u32) -> Option<Status> {
        self.tasks
            .get(&(connector.to_string(), id))
            .map(|t| t.handle.status.get())
    }

    /// Stop everything (worker shutdown), reporting UNASSIGNED as Java's workers do.
    pub async fn stop_all(&mut self) {
        let tasks = self.task_ids();
        self.stop_tasks(&tasks, true).await;
        for name in self.connector_names() {
            self.stop_connector(&name, true);
        }
    }
}
