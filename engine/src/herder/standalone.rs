//! Standalone herder: connector configs in memory, source offsets in the offsets file, every
//! task on this worker (Kafka Connect's `StandaloneHerder`).
//!
//! Lifecycle, as Java's standalone herder runs it:
//! * the *connector instance* (here: the checked config) is started in its target state, which
//!   gives the connector status RUNNING, PAUSED or STOPPED, or FAILED with a trace;
//! * tasks are (re)generated only while the target state is STARTED, and replaced only when
//!   their configs changed (a config update or legacy restart that changes nothing leaves
//!   running tasks alone);
//! * a connector created PAUSED or STOPPED has no tasks until it is resumed; stop releases the
//!   tasks and empties the task set, which is what allows offsets to be modified.
//!
//! Offsets are committed by the task drivers (see [`runtime`](crate::runtime)); on stop, pause
//! and shutdown the drivers commit at their defined commit point before their tasks stop.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::Mutex;

use super::offsets;
use super::topics::{TopicTracker, TrackedPlugin};
use super::validate::{find_connector, validate_connector_config, ExactlyOncePreflight};
use super::{
    ConfigInfos, ConnectorInfo, ConnectorOffsets, ConnectorState, ConnectorStateInfo,
    ConnectorTaskId, Herder, OffsetEntry, RawConfig, TargetState, TaskInfo, TaskState,
};
use crate::config::{InitialState, Props};
use crate::connector_config::FrameworkConfig;
use crate::error::{Error, Result};
use crate::plugin::{ConnectorPlugin, ConnectorType};
use crate::registry::Registry;
use crate::runtime::{State, Status, TaskHandle, TaskSpec, WorkerContext};

struct Entry {
    config: Props,
    plugin: Arc<dyn ConnectorPlugin>,
    target: TargetState,
    /// Status of the connector instance.
    status: Status,
    /// The committed task set (empty while stopped, or before the first start).
    task_configs: Vec<Props>,
    tasks: Vec<TaskHandle>,
}

impl Entry {
    fn kind(&self) -> ConnectorType {
        self.plugin.connector_type()
    }
    fn version(&self) -> Option<String> {
        Some(self.plugin.info().version.to_string())
    }
}

/// The standalone herder.
pub struct StandaloneHerder {
    worker: Arc<WorkerContext>,
    connectors: Mutex<BTreeMap<String, Entry>>,
    topics: Arc<TopicTracker>,
    ready: AtomicBool,
    cluster_id: Option<String>,
}

impl std::fmt::Debug for StandaloneHerder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StandaloneHerder({})", self.worker.worker_id)
    }
}

fn not_found(name: &str) -> Error {
    Error::not_found(format!("Connector {name} not found"))
}

impl StandaloneHerder {
    pub fn new(worker: Arc<WorkerContext>, cluster_id: Option<String>) -> Self {
        StandaloneHerder {
            worker,
            connectors: Mutex::new(BTreeMap::new()),
            topics: Arc::new(TopicTracker::new()),
            ready: AtomicBool::new(false),
            cluster_id,
        }
    }

    /// Mark start-up complete (after the command-line connectors were submitted).
    pub fn set_ready(&self) {
        self.ready.store(true, Ordering::Release);
    }

    pub fn worker(&self) -> &Arc<WorkerContext> {
        &self.worker
    }

    /// Per-task metrics of a connector, for progress displays and benchmarks.
    pub async fn task_metrics(&self, name: &str) -> Vec<Arc<crate::runtime::TaskMetrics>> {
        let map = self.connectors.lock().await;
        map.get(name)
            .map(|e| e.tasks.iter().map(|t| t.metrics.clone()).collect())
            .unwrap_or_default()
    }

    fn info_of(name: &str, e: &Entry) -> ConnectorInfo {
        ConnectorInfo {
            name: name.to_string(),
            config: e.config.clone(),
            tasks: (0..e.task_configs.len() as u32)
                .map(|task| ConnectorTaskId {
                    connector: name.to_string(),
                    task,
                })
                .collect(),
            kind: Some(e.kind()).into(),
        }
    }

    fn shutdown_timeout(&self) -> std::time::Duration {
        self.worker
            .config
            .task_shutdown_graceful_timeout
            .max(std::time::Duration::from_secs(1))
    }

    /// Start the connector instance in its target state: check the config, set the status.
    /// Returns whether it started (a failure leaves it FAILED with a trace, as in Java).
    fn start_connector(&self, name: &str, e: &mut Entry) -> bool {
        let checked =
            super::lifecycle::resolved(&self.worker.config, &e.config).and_then(|config| {
                super::lifecycle::check_connector(&*e.plugin, &config, &self.worker.config)
            });
        self.worker.metrics.connector_startup(None);
        self.worker.metrics.connector_startup(Some(checked.is_ok()));
        match checked {
            Ok(()) => {
                e.status = Status::new(match e.target {
                    TargetState::Started => State::Running,
                    TargetState::Paused => State::Paused,
                    TargetState::Stopped => State::Stopped,
                });
                true
            }
            Err(err) => {
                tracing::error!(connector = name, error = %err, "connector failed to start");
                e.status = Status {
                    state: State::Failed,
                    trace: Some(err.trace()),
                };
                false
            }
        }
    }

    /// Java's `updateConnectorTasks`: while the connector runs with target STARTED, regenerate
    /// its task configs and replace the tasks if the configs changed (or tasks are missing).
    async fn update_tasks(&self, name: &str, e: &mut Entry) {
        if e.target != TargetState::Started || e.status.state != State::Running {
            return;
        }
        let configs = match self.generate_task_configs(name, e) {
            Ok(c) => c,
            Err(err) => {
                tracing::error!(connector = name, error = %err, "connector failed to generate task configs");
                e.status = Status {
                    state: State::Failed,
                    trace: Some(err.trace()),
                };
                return;
            }
        };
        if configs == e.task_configs && e.tasks.len() == configs.len() {
            return;
        }
        self.stop_tasks(e).await;
        e.task_configs = configs;
        let ids: Vec<u32> = (0..e.task_configs.len() as u32).collect();
        self.spawn_tasks(name, e, &ids);
        tracing::info!(
            connector = name,
            tasks = e.tasks.len(),
            "connector tasks started"
        );
    }

    fn generate_task_configs(&self, name: &str, e: &Entry) -> Result<Vec<Props>> {
        super::lifecycle::generate_task_configs(name, &*e.plugin, &e.config, &self.worker.config)
    }

    /// Start (or restart, replacing the handle) tasks `ids` from the committed task configs,
    /// paused if the target state says so.
    fn spawn_tasks(&self, name: &str, e: &mut Entry, ids: &[u32]) {
        let resolve = |raw: &Props| super::lifecycle::resolved(&self.worker.config, raw);
        let started = resolve(&e.config).and_then(|connector_props| {
            let framework = FrameworkConfig::parse(e.kind(), &connector_props)?;
            Ok((connector_props, framework))
        });
        let (connector_props, framework) = match started {
            Ok(f) => f,
            Err(err) => {
                e.status = Status {
                    state: State::Failed,
                    trace: Some(err.trace()),
                };
                return;
            }
        };
        let plugin = TrackedPlugin::wrap(e.plugin.clone(), name, self.topics.clone());
        let paused = e.target == TargetState::Paused;
        for &id in ids {
            let Some(raw_task_props) = e.task_configs.get(id as usize) else {
                continue;
            };
            let task_props = match resolve(raw_task_props) {
                Ok(p) => p,
                Err(err) => {
                    tracing::error!(connector = name, task = id, error = %err, "task failed to start");
                    e.status = Status {
                        state: State::Failed,
                        trace: Some(err.trace()),
                    };
                    return;
                }
            };
            let spec = TaskSpec {
                connector: name.to_string(),
                task_id: id,
                connector_props: connector_props.clone(),
                task_props,
                framework: framework.clone(),
                plugin: plugin.clone(),
                worker: self.worker.clone(),
                exactly_once: None,
            };
            let handle = TaskHandle::spawn(spec, paused);
            match e.tasks.iter().position(|t| t.id == id) {
                Some(i) => e.tasks[i] = handle,
                None => e.tasks.push(handle),
            }
        }
        e.tasks.sort_by_key(|t| t.id);
    }

    async fn stop_tasks(&self, e: &mut Entry) {
        let timeout = self.shutdown_timeout();
        let tasks = std::mem::take(&mut e.tasks);
        futures::future::join_all(tasks.into_iter().map(|t| t.stop(timeout))).await;
    }

    async fn stop_task_ids(&self, e: &mut Entry, ids: &[u32]) {
        let timeout = self.shutdown_timeout();
        let (stopping, keep): (Vec<TaskHandle>, Vec<TaskHandle>) = std::mem::take(&mut e.tasks)
            .into_iter()
            .partition(|t| ids.contains(&t.id));
        e.tasks = keep;
        futures::future::join_all(stopping.into_iter().map(|t| t.stop(timeout))).await;
    }

    /// Move to a new target state (Java's `onConnectorTargetStateChange`).
    async fn set_target(&self, name: &str, e: &mut Entry, target: TargetState) {
        let was = e.target;
        e.target = target;
        match target {
            TargetState::Stopped => {
                self.stop_tasks(e).await;
                e.task_configs.clear();
                e.status = Status::new(State::Stopped);
            }
            TargetState::Paused => {
                for t in &e.tasks {
                    t.pause();
                }
                if was == TargetState::Stopped {
                    self.start_connector(name, e);
                } else if e.status.state != State::Failed {
                    e.status = Status::new(State::Paused);
                }
            }
            TargetState::Started => {
                for t in &e.tasks {
                    t.resume();
                }
                if was == TargetState::Stopped {
                    self.start_connector(name, e);
                } else if e.status.state != State::Failed {
                    e.status = Status::new(State::Running);
                }
                self.update_tasks(name, e).await;
            }
        }
    }

    fn state_info(&self, name: &str, e: &Entry) -> ConnectorStateInfo {
        let worker_id = self.worker.worker_id.clone();
        ConnectorStateInfo {
            name: name.to_string(),
            connector: ConnectorState {
                state: e.status.state,
                worker_id: worker_id.clone(),
                version: e.version(),
                trace: e.status.trace.clone(),
            },
            tasks: e
                .tasks
                .iter()
                .map(|t| {
                    let s = t.status.get();
                    TaskState {
                        id: t.id,
                        state: s.state,
                        worker_id: worker_id.clone(),
                        version: e.version(),
                        trace: s.trace,
                    }
                })
                .collect(),
            kind: Some(e.kind()).into(),
        }
    }

    /// Config (resolved, as Java's offsets API reads it) and plugin of a connector whose offsets
    /// may be modified now, for the offsets API (which then talks to Kafka without holding the
    /// herder lock).
    async fn stopped_connector(&self, name: &str) -> Result<(Props, Arc<dyn ConnectorPlugin>)> {
        let map = self.connectors.lock().await;
        let e = map.get(name).ok_or_else(|| not_found(name))?;
        if e.target != TargetState::Stopped || !e.task_configs.is_empty() || !e.tasks.is_empty() {
            return Err(offsets::not_stopped(name));
        }
        let config = super::lifecycle::resolved(&self.worker.config, &e.config)?;
        Ok((config, e.plugin.clone()))
    }

    /// Create or update; `check_name` is off for patches (see `patch_connector_config`).
    async fn put_config(
        &self,
        name: &str,
        config: Props,
        allow_replace: bool,
        initial_state: Option<InitialState>,
        check_name: bool,
    ) -> Result<(bool, ConnectorInfo)> {
        let config = super::lifecycle::checked_connector_config(
            &self.worker.registry,
            &self.worker.config,
            name,
            config,
            check_name,
            ExactlyOncePreflight::Standalone,
        )?;
        let plugin = find_connector(&self.worker.registry, &config["connector.class"])?;
        let mut map = self.connectors.lock().await;
        let created = match map.get_mut(name) {
            Some(e) => {
                if !allow_replace {
                    return Err(Error::conflict(format!("Connector {name} already exists")));
                }
                e.config = config;
                e.plugin = plugin;
                // Restart the connector instance in its current target state (a STOPPED one
                // stays STOPPED), then regenerate tasks if it runs.
                self.start_connector(name, e);
                self.update_tasks(name, e).await;
                false
            }
            None => {
                super::lifecycle::check_new_connector_name(&self.worker.config, name)?;
                let target = initial_state
                    .map(TargetState::from)
                    .unwrap_or(TargetState::Started);
                let mut e = Entry {
                    config,
                    plugin,
                    target,
                    status: Status::new(State::Unassigned),
                    task_configs: Vec::new(),
                    tasks: Vec::new(),
                };
                // A connector created PAUSED or STOPPED has no tasks until resumed (KIP-980).
                self.start_connector(name, &mut e);
                self.update_tasks(name, &mut e).await;
                tracing::info!(connector = name, state = ?e.status.state, "connector created");
                map.insert(name.to_string(), e);
                true
            }
        };
        Ok((created, Self::info_of(name, &map[name])))
    }
}

#[async_trait]
impl Herder for StandaloneHerder {
    fn worker_metrics(&self) -> Option<Arc<crate::metrics::WorkerMetrics>> {
        Some(self.worker.metrics.clone())
    }

    fn worker_id(&self) -> String {
        self.worker.worker_id.clone()
    }

    fn kafka_cluster_id(&self) -> Option<String> {
        self.cluster_id.clone()
    }

    fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    fn registry(&self) -> &Registry {
        &self.worker.registry
    }

    async fn connectors(&self) -> Vec<String> {
        self.connectors.lock().await.keys().cloned().collect()
    }

    async fn connector_info(&self, name: &str) -> Result<ConnectorInfo> {
        let map = self.connectors.lock().await;
        map.get(name)
            .map(|e| Self::info_of(name, e))
            .ok_or_else(|| not_found(name))
    }

    async fn connector_config(&self, name: &str) -> Result<Props> {
        let map = self.connectors.lock().await;
        map.get(name)
            .map(|e| e.config.clone())
            .ok_or_else(|| not_found(name))
    }

    async fn put_connector_config(
        &self,
        name: &str,
        config: Props,
        allow_replace: bool,
        initial_state: Option<InitialState>,
    ) -> Result<(bool, ConnectorInfo)> {
        self.put_config(name, config, allow_replace, initial_state, true)
            .await
    }

    async fn patch_connector_config(
        &self,
        name: &str,
        patch: BTreeMap<String, Option<String>>,
    ) -> Result<ConnectorInfo> {
        let mut config = self.connector_config(name).await?;
        super::lifecycle::apply_patch(&mut config, patch);
        // Java does not re-check `name` on a patch (quirk kept: the stored `name` may then
        // differ from the connector's name, which stays the URL's).
        Ok(self.put_config(name, config, true, None, false).await?.1)
    }

    async fn delete_connector(&self, name: &str) -> Result<()> {
        let mut map = self.connectors.lock().await;
        let mut e = map.remove(name).ok_or_else(|| not_found(name))?;
        self.stop_tasks(&mut e).await;
        self.topics.clear(name);
        tracing::info!(connector = name, "connector deleted");
        Ok(())
    }

    async fn connector_status(&self, name: &str) -> Result<ConnectorStateInfo> {
        let map = self.connectors.lock().await;
        let e = map
            .get(name)
            .ok_or_else(|| Error::not_found(format!("No status found for connector {name}")))?;
        Ok(self.state_info(name, e))
    }

    async fn task_status(&self, name: &str, task: u32) -> Result<TaskState> {
        let status = self
            .connector_status(name)
            .await
            .map_err(|_| Error::not_found(format!("No status found for task {name}-{task}")))?;
        status
            .tasks
            .into_iter()
            .find(|t| t.id == task)
            .ok_or_else(|| Error::not_found(format!("No status found for task {name}-{task}")))
    }

    async fn task_configs(&self, name: &str) -> Result<Vec<TaskInfo>> {
        let map = self.connectors.lock().await;
        let e = map.get(name).ok_or_else(|| not_found(name))?;
        Ok(e.task_configs
            .iter()
            .enumerate()
            .map(|(i, c)| TaskInfo {
                id: ConnectorTaskId {
                    connector: name.to_string(),
                    task: i as u32,
                },
                config: c.clone(),
            })
            .collect())
    }

    async fn pause_connector(&self, name: &str) -> Result<()> {
        let mut map = self.connectors.lock().await;
        let e = map
            .get_mut(name)
            .ok_or_else(|| Error::not_found(format!("Unknown connector {name}")))?;
        self.set_target(name, e, TargetState::Paused).await;
        Ok(())
    }

    async fn resume_connector(&self, name: &str) -> Result<()> {
        let mut map = self.connectors.lock().await;
        let e = map
            .get_mut(name)
            .ok_or_else(|| Error::not_found(format!("Unknown connector {name}")))?;
        self.set_target(name, e, TargetState::Started).await;
        Ok(())
    }

    async fn stop_connector(&self, name: &str) -> Result<()> {
        let mut map = self.connectors.lock().await;
        // Java's standalone herder fails here with an IllegalArgumentException (a 500).
        let e = map
            .get_mut(name)
            .ok_or_else(|| Error::bug(format!("No connector `{name}` configured")))?;
        self.set_target(name, e, TargetState::Stopped).await;
        Ok(())
    }

    async fn restart_connector(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<Option<ConnectorStateInfo>> {
        let mut map = self.connectors.lock().await;
        if !include_tasks && !only_failed {
            // Legacy restart: the connector instance only; tasks are replaced only if their
            // configs changed. (Java's standalone herder answers an unknown name with a 500
            // from a NullPointerException; we answer its intended 404.)
            let e = map.get_mut(name).ok_or_else(|| not_found(name))?;
            self.start_connector(name, e);
            self.update_tasks(name, e).await;
            return Ok(None);
        }
        let e = map
            .get_mut(name)
            .ok_or_else(|| Error::not_found(format!("Unknown connector: {name}")))?;
        let restart_connector = !only_failed || e.status.state == State::Failed;
        let mut plan = self.state_info(name, e);
        let mut task_ids = Vec::new();
        for t in &mut plan.tasks {
            if include_tasks && (!only_failed || t.state == State::Failed) {
                t.state = State::Restarting;
                task_ids.push(t.id);
            }
        }
        if restart_connector {
            plan.connector.state = State::Restarting;
        }
        tracing::info!(connector = name, restart_connector, tasks = ?task_ids, "restarting");
        if !task_ids.is_empty() {
            self.stop_task_ids(e, &task_ids).await;
        }
        if restart_connector {
            e.status = Status::new(State::Restarting);
            self.start_connector(name, e);
            if e.tasks.is_empty() && task_ids.is_empty() {
                self.update_tasks(name, e).await;
            }
        }
        if !task_ids.is_empty() {
            self.spawn_tasks(name, e, &task_ids);
        }
        Ok(Some(plan))
    }

    async fn restart_task(&self, name: &str, task: u32) -> Result<()> {
        let mut map = self.connectors.lock().await;
        // Java's standalone herder answers an unknown connector with a 500; we answer 404.
        let e = map.get_mut(name).ok_or_else(|| not_found(name))?;
        if (task as usize) >= e.task_configs.len() {
            return Err(Error::not_found(format!("Task {name}-{task} not found")));
        }
        self.stop_task_ids(e, &[task]).await;
        self.spawn_tasks(name, e, &[task]);
        Ok(())
    }

    async fn validate(&self, config: &RawConfig) -> Result<ConfigInfos> {
        validate_connector_config(
            &self.worker.registry,
            &self.worker.config,
            config,
            ExactlyOncePreflight::Standalone,
        )
    }

    async fn connector_offsets(&self, name: &str) -> Result<ConnectorOffsets> {
        let (kind, config) = {
            let map = self.connectors.lock().await;
            let e = map.get(name).ok_or_else(|| not_found(name))?;
            (e.kind(), e.config.clone())
        };
        offsets::connector_offsets(&self.worker, name, kind, &config).await
    }

    async fn alter_offsets(&self, name: &str, entries: Vec<OffsetEntry>) -> Result<String> {
        let (config, plugin) = self.stopped_connector(name).await?;
        offsets::alter_offsets(&self.worker, name, &config, &*plugin, entries).await
    }

    async fn reset_offsets(&self, name: &str) -> Result<String> {
        let (config, plugin) = self.stopped_connector(name).await?;
        offsets::reset_offsets(&self.worker, name, &config, &*plugin).await
    }

    async fn connector_active_topics(&self, name: &str) -> Result<Vec<String>> {
        if !self.worker.config.topic_tracking_enable {
            return Err(Error::config("Topic tracking is disabled.").with_http_status(403));
        }
        Ok(self.topics.topics(name))
    }

    async fn reset_connector_active_topics(&self, name: &str) -> Result<()> {
        if !self.worker.config.topic_tracking_enable {
            return Err(Error::config("Topic tracking is disabled.").with_http_status(403));
        }
        if !self.worker.config.topic_tracking_allow_reset {
            return Err(Error::config("Topic tracking reset is disabled.").with_http_status(403));
        }
        self.topics.clear(name);
        Ok(())
    }

    async fn shutdown(&self) {
        let mut map = self.connectors.lock().await;
        let timeout = self.shutdown_timeout();
        let mut stops = Vec::new();
        for e in map.values_mut() {
            for t in std::mem::take(&mut e.tasks) {
                stops.push(t.stop(timeout));
            }
        }
        futures::future::join_all(stops).await;
        tracing::info!("all connectors stopped");
    }
}
