//! Standalone herder: connector configs in memory, source offsets in the offsets file, every
//! task on this worker (Kafka Connect's `StandaloneHerder`).
//!
//! Offsets are committed by the task drivers (see [`runtime`](crate::runtime)); on stop, pause
//! and shutdown the drivers commit at their defined commit point before their tasks stop.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::Mutex;

use super::{
    ConfigInfo, ConfigInfos, ConfigKeyInfo, ConnectorInfo, ConnectorOffset, ConnectorOffsets, ConnectorState,
    ConnectorStateInfo, ConnectorTaskId, Herder, TargetState, TaskInfo, TaskState,
};
use crate::config::{ConfigValue, InitialState, Props};
use crate::connector_config::{framework_def, framework_rules, FrameworkConfig};
use crate::error::{Error, Result};
use crate::plugin::{ConnectorPlugin, ConnectorType};
use crate::registry::Registry;
use crate::runtime::{State, Status, TaskHandle, TaskSpec, WorkerContext};

struct Entry {
    config: Props,
    plugin: Option<Arc<dyn ConnectorPlugin>>,
    target: TargetState,
    status: Status,
    task_configs: Vec<Props>,
    tasks: Vec<TaskHandle>,
}

/// The standalone herder.
pub struct StandaloneHerder {
    worker: Arc<WorkerContext>,
    connectors: Mutex<BTreeMap<String, Entry>>,
    ready: AtomicBool,
    cluster_id: Option<String>,
}

impl std::fmt::Debug for StandaloneHerder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StandaloneHerder({})", self.worker.worker_id)
    }
}

impl StandaloneHerder {
    pub fn new(worker: Arc<WorkerContext>, cluster_id: Option<String>) -> Self {
        StandaloneHerder { worker, connectors: Mutex::new(BTreeMap::new()), ready: AtomicBool::new(false), cluster_id }
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
        map.get(name).map(|e| e.tasks.iter().map(|t| t.metrics.clone()).collect()).unwrap_or_default()
    }

    fn not_found(name: &str) -> Error {
        Error::not_found(format!("Connector {name} not found"))
    }

    fn info_of(name: &str, e: &Entry) -> ConnectorInfo {
        ConnectorInfo {
            name: name.to_string(),
            config: e.config.clone(),
            tasks: (0..e.task_configs.len() as u32).map(|task| ConnectorTaskId { connector: name.to_string(), task }).collect(),
            kind: e.plugin.as_ref().map(|p| p.connector_type()).into(),
        }
    }

    /// Start the connector per its target state: generate task configs and start tasks.
    /// Failures leave the connector FAILED with a trace, as Java does.
    fn start(&self, name: &str, e: &mut Entry) {
        e.tasks.clear();
        e.task_configs.clear();
        if e.target == TargetState::Stopped {
            e.status = Status::new(State::Stopped);
            return;
        }
        match self.generate_tasks(name, e) {
            Ok(specs) => {
                let paused = e.target == TargetState::Paused;
                e.tasks = specs.into_iter().map(|s| TaskHandle::spawn(s, paused)).collect();
                e.status = Status::new(if paused { State::Paused } else { State::Running });
                tracing::info!(connector = name, tasks = e.tasks.len(), "connector started");
            }
            Err(err) => {
                tracing::error!(connector = name, error = %err, "connector failed to start");
                e.status = Status { state: State::Failed, trace: Some(err.trace()) };
            }
        }
    }

    fn generate_tasks(&self, name: &str, e: &mut Entry) -> Result<Vec<TaskSpec>> {
        let plugin = e.plugin.clone().ok_or_else(|| Error::config("connector class is not available"))?;
        let framework = FrameworkConfig::parse(plugin.connector_type(), &e.config)?;
        plugin.check(&e.config)?;
        let mut configs = plugin.task_configs(&e.config, framework.tasks_max)?;
        let enforce = e.config.get("tasks.max.enforce").map(|v| v.trim() != "false").unwrap_or(true);
        if enforce && configs.len() > framework.tasks_max {
            return Err(Error::config(format!(
                "The connector {name} has generated {} tasks, which is greater than {}, the maximum number of tasks it is configured to create. This behaviour should be considered a bug and is disallowed. If necessary, it can be permitted by reconfiguring the connector with 'tasks.max.enforce' set to false; however, this option will be removed in a future release of Kafka Connect.",
                configs.len(),
                framework.tasks_max
            )));
        }
        for c in &mut configs {
            c.insert("task.class".into(), plugin.task_class().to_string());
            for k in ["topics", "topics.regex"] {
                if let Some(v) = e.config.get(k) {
                    c.insert(k.into(), v.clone());
                }
            }
        }
        e.task_configs = configs.clone();
        Ok(configs
            .into_iter()
            .enumerate()
            .map(|(i, task_props)| TaskSpec {
                connector: name.to_string(),
                task_id: i as u32,
                connector_props: e.config.clone(),
                task_props,
                framework: framework.clone(),
                plugin: plugin.clone(),
                worker: self.worker.clone(),
            })
            .collect())
    }

    async fn stop_tasks(&self, e: &mut Entry) {
        let timeout = self.worker.config.task_shutdown_graceful_timeout.max(std::time::Duration::from_secs(1));
        let tasks = std::mem::take(&mut e.tasks);
        futures::future::join_all(tasks.into_iter().map(|t| t.stop(timeout))).await;
    }

    /// The full validation pipeline; `Err` only for unknown classes and missing type.
    fn validate_config(&self, config: &Props) -> Result<ConfigInfos> {
        let class = config.get("connector.class").map(|s| s.trim().to_string()).ok_or_else(|| {
            Error::config(format!("Connector config {} contains no connector type", java_map(config)))
        })?;
        let plugin = self.worker.registry.connector(&class).map_err(|e| e.with_http_status(500))?;
        let kind = plugin.connector_type();
        let connector_def = plugin.config_def();
        // The plugin's own definition wins when a name is defined in both places.
        let def = framework_def(kind);
        let mut values: Vec<ConfigValue> = def.validate(config);
        framework_rules(kind, config, &mut values);
        let mut infos: Vec<ConfigInfo> = Vec::new();
        let mut groups = def.groups();
        for (key, value) in def.keys().iter().zip(values) {
            if connector_def.key(&key.name).is_some() {
                continue;
            }
            infos.push(ConfigInfo { definition: Some(ConfigKeyInfo::from(key)), value: Some(value) });
        }
        // Converter classes must exist.
        for key in ["key.converter", "value.converter"] {
            if let Some(cls) = config.get(key).map(|s| s.trim()).filter(|s| !s.is_empty()) {
                if self.worker.registry.converter_plugin(cls).is_err() {
                    if let Some(info) = infos.iter_mut().find(|i| i.value.as_ref().map(|v| v.name.as_str()) == Some(key)) {
                        if let Some(v) = info.value.as_mut() {
                            v.errors.push(format!("Invalid value {cls} for configuration {key}: Class {cls} could not be found."));
                        }
                    }
                }
            }
        }
        let connector_values = plugin.validate(config);
        for key in connector_def.keys() {
            let value = connector_values.iter().find(|v| v.name == key.name).cloned();
            infos.push(ConfigInfo { definition: Some(ConfigKeyInfo::from(key)), value });
            if let Some(g) = &key.group {
                if !groups.contains(g) {
                    groups.push(g.clone());
                }
            }
        }
        let error_count = infos.iter().filter_map(|i| i.value.as_ref()).map(|v| v.errors.len()).sum();
        Ok(ConfigInfos { name: class, error_count, groups, configs: infos })
    }
}

/// Java's `Map.toString()` form, used in some error messages: `{a=1, b=2}`.
fn java_map(m: &Props) -> String {
    let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", parts.join(", "))
}

fn invalid_config_message(infos: &ConfigInfos) -> String {
    let errors: Vec<String> = infos
        .configs
        .iter()
        .filter_map(|c| c.value.as_ref())
        .flat_map(|v| v.errors.iter().cloned())
        .collect();
    let mut msg = format!("Connector configuration is invalid and contains the following {} error(s):\n", errors.len());
    for e in &errors {
        msg.push_str(e);
        msg.push('\n');
    }
    msg.push_str("You can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`");
    msg
}

#[async_trait]
impl Herder for StandaloneHerder {
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
        map.get(name).map(|e| Self::info_of(name, e)).ok_or_else(|| Self::not_found(name))
    }

    async fn connector_config(&self, name: &str) -> Result<Props> {
        let map = self.connectors.lock().await;
        map.get(name).map(|e| e.config.clone()).ok_or_else(|| Self::not_found(name))
    }

    async fn put_connector_config(
        &self,
        name: &str,
        mut config: Props,
        allow_replace: bool,
        initial_state: Option<InitialState>,
    ) -> Result<(bool, ConnectorInfo)> {
        match config.get("name") {
            Some(n) if n != name => {
                return Err(Error::config(format!(
                    "Connector name configuration ({n}) doesn't match connector name in the URL ({name})"
                )))
            }
            Some(_) => {}
            None => {
                config.insert("name".into(), name.to_string());
            }
        }
        let infos = self.validate_config(&config)?;
        if infos.error_count > 0 {
            return Err(Error::config(invalid_config_message(&infos)));
        }
        let plugin = self.worker.registry.connector(&config["connector.class"])?;
        let mut map = self.connectors.lock().await;
        let created = match map.get_mut(name) {
            Some(existing) => {
                if !allow_replace {
                    return Err(Error::conflict(format!("Connector {name} already exists")));
                }
                self.stop_tasks(existing).await;
                existing.config = config;
                existing.plugin = Some(plugin);
                let mut e = std::mem::replace(existing, placeholder());
                self.start(name, &mut e);
                *existing = e;
                false
            }
            None => {
                let target = initial_state.map(TargetState::from).unwrap_or(TargetState::Started);
                let mut e = Entry {
                    config,
                    plugin: Some(plugin),
                    target,
                    status: Status::new(State::Unassigned),
                    task_configs: Vec::new(),
                    tasks: Vec::new(),
                };
                // A connector created PAUSED has no tasks until it is resumed (KIP-980).
                if target == TargetState::Paused {
                    e.status = Status::new(State::Paused);
                } else {
                    self.start(name, &mut e);
                }
                map.insert(name.to_string(), e);
                true
            }
        };
        let info = Self::info_of(name, &map[name]);
        Ok((created, info))
    }

    async fn patch_connector_config(&self, name: &str, patch: BTreeMap<String, Option<String>>) -> Result<ConnectorInfo> {
        let mut config = self.connector_config(name).await?;
        for (k, v) in patch {
            match v {
                Some(v) => {
                    config.insert(k, v);
                }
                None => {
                    config.remove(&k);
                }
            }
        }
        // The resource does not re-check `name` (Java quirk), but our store is keyed by the URL
        // name, which stays authoritative.
        config.insert("name".into(), name.to_string());
        Ok(self.put_connector_config(name, config, true, None).await?.1)
    }

    async fn delete_connector(&self, name: &str) -> Result<()> {
        let mut map = self.connectors.lock().await;
        let mut e = map.remove(name).ok_or_else(|| Self::not_found(name))?;
        self.stop_tasks(&mut e).await;
        tracing::info!(connector = name, "connector deleted");
        Ok(())
    }

    async fn connector_status(&self, name: &str) -> Result<ConnectorStateInfo> {
        let map = self.connectors.lock().await;
        let e = map.get(name).ok_or_else(|| Error::not_found(format!("No status found for connector {name}")))?;
        let worker_id = self.worker.worker_id.clone();
        Ok(ConnectorStateInfo {
            name: name.to_string(),
            connector: ConnectorState { state: e.status.state, worker_id: worker_id.clone(), trace: e.status.trace.clone() },
            tasks: e
                .tasks
                .iter()
                .map(|t| {
                    let s = t.status.get();
                    TaskState { id: t.id, state: s.state, worker_id: worker_id.clone(), trace: s.trace }
                })
                .collect(),
            kind: e.plugin.as_ref().map(|p| p.connector_type()).into(),
        })
    }

    async fn task_status(&self, name: &str, task: u32) -> Result<TaskState> {
        let status = self.connector_status(name).await.map_err(|_| Error::not_found(format!("No status found for task {name}-{task}")))?;
        status
            .tasks
            .into_iter()
            .find(|t| t.id == task)
            .ok_or_else(|| Error::not_found(format!("No status found for task {name}-{task}")))
    }

    async fn task_configs(&self, name: &str) -> Result<Vec<TaskInfo>> {
        let map = self.connectors.lock().await;
        let e = map.get(name).ok_or_else(|| Self::not_found(name))?;
        Ok(e.task_configs
            .iter()
            .enumerate()
            .map(|(i, c)| TaskInfo { id: ConnectorTaskId { connector: name.to_string(), task: i as u32 }, config: c.clone() })
            .collect())
    }

    async fn pause_connector(&self, name: &str) -> Result<()> {
        let mut map = self.connectors.lock().await;
        let e = map.get_mut(name).ok_or_else(|| Error::not_found(format!("Unknown connector {name}")))?;
        e.target = TargetState::Paused;
        for t in &e.tasks {
            t.pause();
        }
        if e.status.state != State::Failed {
            e.status = Status::new(State::Paused);
        }
        Ok(())
    }

    async fn resume_connector(&self, name: &str) -> Result<()> {
        let mut map = self.connectors.lock().await;
        let e = map.get_mut(name).ok_or_else(|| Error::not_found(format!("Unknown connector {name}")))?;
        let was = e.target;
        e.target = TargetState::Started;
        if was == TargetState::Stopped || e.tasks.is_empty() {
            let mut entry = std::mem::replace(e, placeholder());
            self.start(name, &mut entry);
            *e = entry;
        } else {
            for t in &e.tasks {
                t.resume();
            }
            if e.status.state != State::Failed {
                e.status = Status::new(State::Running);
            }
        }
        Ok(())
    }

    async fn stop_connector(&self, name: &str) -> Result<()> {
        let mut map = self.connectors.lock().await;
        let e = map
            .get_mut(name)
            .ok_or_else(|| Error::config(format!("No connector `{name}` configured")).with_http_status(500))?;
        e.target = TargetState::Stopped;
        self.stop_tasks(e).await;
        e.task_configs.clear();
        e.status = Status::new(State::Stopped);
        Ok(())
    }

    async fn restart_connector(&self, name: &str, include_tasks: bool, only_failed: bool) -> Result<Option<ConnectorStateInfo>> {
        let mut map = self.connectors.lock().await;
        let e = map.get_mut(name).ok_or_else(|| Error::not_found(format!("Unknown connector: {name}")))?;
        if !include_tasks && !only_failed {
            // Legacy restart: only the Connector instance; regenerate task configs and, if they
            // changed, restart the tasks.
            if e.target != TargetState::Stopped && e.status.state == State::Failed || e.tasks.is_empty() && e.target == TargetState::Started {
                let mut entry = std::mem::replace(e, placeholder());
                self.stop_tasks(&mut entry).await;
                self.start(name, &mut entry);
                *e = entry;
            }
            return Ok(None);
        }
        let restart_connector = !only_failed || e.status.state == State::Failed;
        let worker_id = self.worker.worker_id.clone();
        let mut plan_tasks = Vec::new();
        let mut to_restart = Vec::new();
        for t in &e.tasks {
            let s = t.status.get();
            let restart = include_tasks && (!only_failed || s.state == State::Failed);
            if restart {
                to_restart.push(t.id);
            }
            plan_tasks.push(TaskState {
                id: t.id,
                state: if restart { State::Restarting } else { s.state },
                worker_id: worker_id.clone(),
                trace: if restart { None } else { s.trace },
            });
        }
        let plan = ConnectorStateInfo {
            name: name.to_string(),
            connector: ConnectorState {
                state: if restart_connector { State::Restarting } else { e.status.state },
                worker_id: worker_id.clone(),
                trace: if restart_connector { None } else { e.status.trace.clone() },
            },
            tasks: plan_tasks,
            kind: e.plugin.as_ref().map(|p| p.connector_type()).into(),
        };
        if e.target == TargetState::Stopped {
            return Ok(Some(plan));
        }
        if restart_connector && e.status.state == State::Failed {
            let mut entry = std::mem::replace(e, placeholder());
            self.stop_tasks(&mut entry).await;
            self.start(name, &mut entry);
            *e = entry;
        } else if !to_restart.is_empty() {
            self.restart_tasks(name, e, &to_restart).await?;
        }
        Ok(Some(plan))
    }

    async fn restart_task(&self, name: &str, task: u32) -> Result<()> {
        let mut map = self.connectors.lock().await;
        let e = map.get_mut(name).ok_or_else(|| Error::not_found(format!("Unknown connector: {name}")))?;
        if (task as usize) >= e.tasks.len() {
            return Err(Error::not_found(format!("Unknown task: {name}-{task}")));
        }
        self.restart_tasks(name, e, &[task]).await
    }

    async fn validate(&self, config: &Props) -> Result<ConfigInfos> {
        self.validate_config(config)
    }

    async fn connector_offsets(&self, name: &str) -> Result<ConnectorOffsets> {
        let map = self.connectors.lock().await;
        let e = map.get(name).ok_or_else(|| Self::not_found(name))?;
        match e.plugin.as_ref().map(|p| p.connector_type()) {
            Some(ConnectorType::Source) => Ok(ConnectorOffsets {
                offsets: self
                    .worker
                    .offsets
                    .connector_offsets(name)
                    .into_iter()
                    .map(|(partition, offset)| ConnectorOffset { partition, offset: Some(offset) })
                    .collect(),
            }),
            _ => Err(Error::unsupported("Reading sink connector offsets through the REST API is not supported by Strait yet")),
        }
    }

    async fn alter_offsets(&self, _name: &str, _offsets: Vec<ConnectorOffset>) -> Result<String> {
        Err(Error::unsupported("Altering connector offsets is not supported by Strait yet"))
    }

    async fn reset_offsets(&self, _name: &str) -> Result<String> {
        Err(Error::unsupported("Resetting connector offsets is not supported by Strait yet"))
    }

    async fn shutdown(&self) {
        let mut map = self.connectors.lock().await;
        let entries: Vec<&mut Entry> = map.values_mut().collect();
        let timeout = self.worker.config.task_shutdown_graceful_timeout.max(std::time::Duration::from_secs(1));
        let mut stops = Vec::new();
        for e in entries {
            for t in std::mem::take(&mut e.tasks) {
                stops.push(t.stop(timeout));
            }
        }
        futures::future::join_all(stops).await;
        tracing::info!("all connectors stopped");
    }
}

impl StandaloneHerder {
    async fn restart_tasks(&self, name: &str, e: &mut Entry, ids: &[u32]) -> Result<()> {
        let plugin = e.plugin.clone().ok_or_else(|| Error::config("connector class is not available"))?;
        let framework = FrameworkConfig::parse(plugin.connector_type(), &e.config)?;
        let timeout = self.worker.config.task_shutdown_graceful_timeout.max(std::time::Duration::from_secs(1));
        let paused = e.target == TargetState::Paused;
        for &id in ids {
            let idx = e.tasks.iter().position(|t| t.id == id).ok_or_else(|| Error::not_found(format!("Unknown task: {name}-{id}")))?;
            let old = e.tasks.remove(idx);
            old.stop(timeout).await;
            let spec = TaskSpec {
                connector: name.to_string(),
                task_id: id,
                connector_props: e.config.clone(),
                task_props: e.task_configs[id as usize].clone(),
                framework: framework.clone(),
                plugin: plugin.clone(),
                worker: self.worker.clone(),
            };
            e.tasks.insert(idx, TaskHandle::spawn(spec, paused));
        }
        Ok(())
    }
}

fn placeholder() -> Entry {
    Entry {
        config: Props::new(),
        plugin: None,
        target: TargetState::Stopped,
        status: Status::new(State::Unassigned),
        task_configs: Vec::new(),
        tasks: Vec::new(),
    }
}
