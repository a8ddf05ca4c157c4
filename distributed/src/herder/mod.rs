//! The distributed herder (Java's `DistributedHerder`): the REST API's [`Herder`] in
//! distributed mode.
//!
//! * Configs, target states and task configs live in the config topic ([`ConfigStore`]); every
//!   worker reads it continuously, so reads are answered from this worker's snapshot.
//! * Only the leader writes connector configs, task configs and stops; other workers answer
//!   with "not the leader", which the REST layer turns into a forwarded request, as Java's
//!   `HerderRequestHandler` does. Pause and resume may be written by any worker.
//! * Restarts go to the worker that runs the connector or task: a follower forwards to the
//!   leader, which knows every owner from its last assignment and forwards once more.
//! * Statuses come from the status topic ([`StatusWriter`]); source offsets from the offsets
//!   topic (a [`KafkaOffsetStore`]), sink offsets from the sink's consumer group.
//! * [`rebalance`] runs the group membership and starts and stops this worker's share of the
//!   work, and reacts to config changes.

pub mod exactly_once;
pub mod rebalance;
pub mod status;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use strait_engine::config::{InitialState, Props};
use strait_engine::error::{Error, Result};
use strait_engine::herder::topics::TopicTracker;
use strait_engine::herder::validate::{find_connector, validate_connector_config};
use strait_engine::herder::{lifecycle, offsets};
use strait_engine::herder::{
    ConfigInfos, ConnectorInfo, ConnectorOffsets, ConnectorStateInfo, ConnectorTypeName, Herder,
    InternalRequest, OffsetEntry, RawConfig, TargetState, TaskInfo, TaskState,
};
use strait_engine::plugin::ConnectorType;
use strait_engine::registry::Registry;
use strait_engine::runtime::{State, WorkerContext};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::config::DistributedConfig;
use crate::config_store::{ClusterConfigSnapshot, ConfigStore, RestartRequest, SessionKey};
use crate::connector_offsets::ConnectorOffsetTopics;
use crate::kafka_log::KafkaLog;
use crate::offset_store::KafkaOffsetStore;
use crate::protocol::{ConnectProtocolCompatibility, TaskId};
use crate::signing;
use crate::worker::{LocalWork, TaskExtras};
use status::StatusWriter;

/// How long a REST call waits for the worker to finish starting (Java's request timeout).
const STARTUP_WAIT: Duration = Duration::from_secs(90);

/// This worker's view of the group after its last rebalance.
#[derive(Debug, Clone, Default)]
pub struct GroupView {
    pub generation: i32,
    pub member_id: String,
    pub leader_url: Option<String>,
    pub is_leader: bool,
    /// The sub-protocol of the current generation.
    pub protocol: Option<ConnectProtocolCompatibility>,
    /// What this worker runs (after the last rebalance).
    pub connectors: BTreeSet<String>,
    pub tasks: BTreeSet<TaskId>,
    /// Leader only: the advertised URL of every connector's and task's owner.
    pub connector_owners: BTreeMap<String, String>,
    pub task_owners: BTreeMap<TaskId, String>,
}

/// Everything the herder and its rebalance loop share.
pub struct Core {
    pub config: DistributedConfig,
    pub worker: Arc<WorkerContext>,
    /// The advertised REST URL, with a trailing slash (what other workers forward to).
    pub url: String,
    pub cluster_id: Option<String>,
    pub configs: ConfigStore,
    pub statuses: Arc<StatusWriter>,
    pub status_log: Arc<KafkaLog>,
    pub offsets: Arc<KafkaOffsetStore>,
    pub offsets_log: Arc<KafkaLog>,
    /// Source connectors' own offsets topics (`offsets.storage.topic`).
    pub connector_offset_topics: ConnectorOffsetTopics,
    pub topics: Arc<TopicTracker>,
    pub group: RwLock<GroupView>,
    pub local: tokio::sync::Mutex<LocalWork>,
    /// The inter-worker key read from the config topic (KIP-507).
    pub session_key: Mutex<Option<SessionKey>>,
    /// Wakes the rebalance loop (a request needs it, e.g. a restart or a reconfiguration).
    pub wake: Notify,
    /// Connectors whose task configs the loop must regenerate (owned here).
    pub reconfigure: Mutex<BTreeSet<String>>,
    pub stop: CancellationToken,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Core({})", self.url)
    }
}

/// What task `task` of `connector` starts with besides its configs: its connector's worker
/// context (its own offsets topic, if any) and its exactly-once settings.
pub async fn task_extras(
    core: &Arc<Core>,
    connector: &str,
    task: u32,
    connector_config: &Props,
) -> Result<TaskExtras> {
    Ok(TaskExtras {
        worker: connector_context(core, connector_config).await?,
        exactly_once: exactly_once::task_settings(core, connector, task, connector_config)?,
    })
}

/// The worker context of a connector: the worker's, or one whose offset store is the
/// connector's own offsets topic (`offsets.storage.topic`).
pub async fn connector_context(
    core: &Core,
    connector_config: &Props,
) -> Result<Arc<WorkerContext>> {
    // Only source connectors have offsets (a sink's `offsets.storage.topic` means nothing).
    let is_source = connector_config
        .get("connector.class")
        .and_then(|class| find_connector(&core.worker.registry, class).ok())
        .is_some_and(|p| p.connector_type() == ConnectorType::Source);
    if !is_source {
        return Ok(core.worker.clone());
    }
    core.connector_offset_topics
        .context_for(&core.worker, &core.offsets, connector_config)
        .await
}

impl Core {
    pub fn group(&self) -> GroupView {
        self.group.read().map(|g| g.clone()).unwrap_or_default()
    }

    /// "Only the leader may …": forwarded to the leader by the REST layer.
    fn require_leader(&self, message: &str) -> Result<()> {
        let g = self.group();
        if g.is_leader {
            Ok(())
        } else {
            Err(Error::not_target(message, g.leader_url))
        }
    }

    /// Ask the rebalance loop to regenerate a connector's task configs.
    pub fn request_reconfiguration(&self, connector: &str) {
        if let Ok(mut r) = self.reconfigure.lock() {
            r.insert(connector.to_string());
        }
        self.wake.notify_one();
    }
}

/// The distributed herder. REST calls made while the worker is still starting wait for it.
pub struct DistributedHerder {
    registry: Registry,
    worker_id: String,
    core: tokio::sync::watch::Receiver<Option<Arc<Core>>>,
    ready: AtomicBool,
}

impl std::fmt::Debug for DistributedHerder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DistributedHerder({})", self.worker_id)
    }
}

fn not_found(name: &str) -> Error {
    Error::not_found(format!("Connector {name} not found"))
}

fn unknown(name: &str) -> Error {
    Error::not_found(format!("Unknown connector: {name}"))
}

impl DistributedHerder {
    pub fn new(
        registry: Registry,
        worker_id: String,
        core: tokio::sync::watch::Receiver<Option<Arc<Core>>>,
    ) -> Self {
        DistributedHerder {
            registry,
            worker_id,
            core,
            ready: AtomicBool::new(false),
        }
    }

    /// Start-up is complete (topics read, first rebalance done): `/health` turns healthy.
    pub fn set_ready(&self) {
        self.ready.store(true, Ordering::Release);
    }

    /// The started core; waits for start-up like Java's queued herder requests do.
    pub async fn core(&self) -> Result<Arc<Core>> {
        let mut rx = self.core.clone();
        let waited = tokio::time::timeout(STARTUP_WAIT, rx.wait_for(|c| c.is_some())).await;
        match waited {
            Ok(Ok(c)) => c
                .clone()
                .ok_or_else(|| Error::bug("the herder core vanished")),
            Ok(Err(_)) => {
                Err(Error::external("The worker is shutting down", false).with_http_status(503))
            }
            Err(_) => Err(Error::external("Request timed out", true).with_http_status(500)),
        }
    }

    fn kind_of(&self, config: Option<&Props>) -> ConnectorTypeName {
        config
            .and_then(|c| c.get("connector.class"))
            .and_then(|class| find_connector(&self.registry, class).ok())
            .map(|p| p.connector_type())
            .into()
    }

    fn info(&self, name: &str, snapshot: &ClusterConfigSnapshot) -> Result<ConnectorInfo> {
        let config = snapshot
            .connector_config(name)
            .ok_or_else(|| not_found(name))?;
        Ok(ConnectorInfo {
            name: name.to_string(),
            config: config.clone(),
            tasks: snapshot.tasks(name),
            kind: self.kind_of(Some(config)),
        })
    }

    /// Create or update (leader only); `check_name` is off for patches, as in standalone.
    async fn put_config(
        &self,
        core: &Core,
        name: &str,
        config: Props,
        allow_replace: bool,
        initial_state: Option<InitialState>,
        check_name: bool,
    ) -> Result<(bool, ConnectorInfo)> {
        let config = lifecycle::checked_connector_config(
            &self.registry,
            &core.worker.config,
            name,
            config,
            check_name,
            exactly_once::preflight(core),
        )?;
        core.require_leader("Only the leader can set connector configs.")?;
        let exists = core.configs.contains(name);
        if exists && !allow_replace {
            return Err(Error::conflict(format!("Connector {name} already exists")));
        }
        if !exists {
            // The leader's policy decides (requests are forwarded to it).
            lifecycle::check_new_connector_name(&core.worker.config, name)?;
        }
        let target = if exists {
            None
        } else {
            initial_state.map(TargetState::from)
        };
        core.configs
            .put_connector_config(name, &config, target)
            .await
            .map_err(write_failed)?;
        let snapshot = core.configs.snapshot();
        Ok((!exists, self.info(name, &snapshot)?))
    }

    fn restart_plan(
        &self,
        core: &Core,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<ConnectorStateInfo> {
        let snapshot = core.configs.snapshot();
        let mut plan = self
            .status_info(core, name, &snapshot)
            .map_err(|_| Error::not_found(format!("Status for connector {name} not found")))?;
        if !only_failed || plan.connector.state == State::Failed {
            plan.connector.state = State::Restarting;
        }
        for t in &mut plan.tasks {
            if include_tasks && (!only_failed || t.state == State::Failed) {
                t.state = State::Restarting;
            }
        }
        Ok(plan)
    }

    fn status_info(
        &self,
        core: &Core,
        name: &str,
        snapshot: &ClusterConfigSnapshot,
    ) -> Result<ConnectorStateInfo> {
        let store = core
            .statuses
            .store
            .lock()
            .map_err(|_| Error::bug("status store lock poisoned"))?;
        let connector = store
            .connector_status(name)
            .and_then(|s| s.to_connector_state())
            .ok_or_else(|| Error::not_found(format!("No status found for connector {name}")))?;
        let tasks: Vec<TaskState> = store
            .tasks(name)
            .into_iter()
            .filter_map(|(id, s)| s.to_task_state(id))
            .collect();
        Ok(ConnectorStateInfo {
            name: name.to_string(),
            connector,
            tasks,
            kind: self.kind_of(snapshot.connector_config(name)),
        })
    }

    /// Pause and resume (Java's `AbstractHerder`): any worker writes the target state.
    async fn put_target_state(&self, name: &str, state: TargetState) -> Result<()> {
        let core = self.core().await?;
        if !core.configs.contains(name) {
            return Err(Error::not_found(format!("Unknown connector {name}")));
        }
        core.configs
            .put_target_state(name, state)
            .await
            .map_err(write_failed)
    }

    /// Whether offsets may be modified: target state STOPPED (Java's `isConnectorStopped`).
    fn stopped_connector(
        &self,
        core: &Core,
        name: &str,
    ) -> Result<(Props, Arc<dyn strait_engine::plugin::ConnectorPlugin>)> {
        core.require_leader("Only the leader can modify connector offsets.")?;
        let snapshot = core.configs.snapshot();
        let config = snapshot
            .connector_config(name)
            .cloned()
            .ok_or_else(|| not_found(name))?;
        if snapshot.target_state(name) != Some(TargetState::Stopped) {
            return Err(offsets::not_stopped(name));
        }
        // The offsets API works with the resolved config, as Java's `connectorConfig`.
        let config = lifecycle::resolved(&core.worker.config, &config)?;
        let plugin = find_connector(
            &self.registry,
            config
                .get("connector.class")
                .map(String::as_str)
                .unwrap_or(""),
        )?;
        Ok((config, plugin))
    }
}

/// A config-topic write that failed: the REST call fails with Java's message and may be
/// retried.
fn write_failed(e: Error) -> Error {
    tracing::error!(error = %e, "failed to write to the config topic");
    Error::external(
        "Failed to write to config topic; this may be due to a transient error and the request can be safely retried",
        true,
    )
    .with_source(e)
    .with_http_status(500)
}

#[async_trait]
impl Herder for DistributedHerder {
    fn worker_id(&self) -> String {
        self.worker_id.clone()
    }

    fn kafka_cluster_id(&self) -> Option<String> {
        self.core
            .borrow()
            .as_ref()
            .and_then(|c| c.cluster_id.clone())
    }

    fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    fn registry(&self) -> &Registry {
        &self.registry
    }

    fn worker_metrics(&self) -> Option<Arc<strait_engine::metrics::WorkerMetrics>> {
        self.core
            .borrow()
            .as_ref()
            .map(|c| c.worker.metrics.clone())
    }

    async fn connectors(&self) -> Vec<String> {
        match self.core().await {
            Ok(core) => core
                .configs
                .snapshot()
                .connectors()
                .map(str::to_string)
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    async fn connector_info(&self, name: &str) -> Result<ConnectorInfo> {
        let core = self.core().await?;
        self.info(name, &core.configs.snapshot())
    }

    async fn connector_config(&self, name: &str) -> Result<Props> {
        let core = self.core().await?;
        core.configs
            .snapshot()
            .connector_config(name)
            .cloned()
            .ok_or_else(|| not_found(name))
    }

    async fn put_connector_config(
        &self,
        name: &str,
        config: Props,
        allow_replace: bool,
        initial_state: Option<InitialState>,
    ) -> Result<(bool, ConnectorInfo)> {
        let core = self.core().await?;
        self.put_config(&core, name, config, allow_replace, initial_state, true)
            .await
    }

    async fn patch_connector_config(
        &self,
        name: &str,
        patch: BTreeMap<String, Option<String>>,
    ) -> Result<ConnectorInfo> {
        let core = self.core().await?;
        let mut config = core
            .configs
            .snapshot()
            .connector_config(name)
            .cloned()
            .ok_or_else(|| not_found(name))?;
        lifecycle::apply_patch(&mut config, patch);
        Ok(self
            .put_config(&core, name, config, true, None, false)
            .await?
            .1)
    }

    async fn delete_connector(&self, name: &str) -> Result<()> {
        let core = self.core().await?;
        core.require_leader("Only the leader can delete connector configs.")?;
        if !core.configs.contains(name) {
            return Err(not_found(name));
        }
        core.configs
            .remove_connector_config(name)
            .await
            .map_err(write_failed)
    }

    async fn connector_status(&self, name: &str) -> Result<ConnectorStateInfo> {
        let core = self.core().await?;
        let snapshot = core.configs.snapshot();
        self.status_info(&core, name, &snapshot)
    }

    async fn task_status(&self, name: &str, task: u32) -> Result<TaskState> {
        let core = self.core().await?;
        let store = core
            .statuses
            .store
            .lock()
            .map_err(|_| Error::bug("status store lock poisoned"))?;
        store
            .task_status(name, task)
            .and_then(|s| s.to_task_state(task))
            .ok_or_else(|| Error::not_found(format!("No status found for task {name}-{task}")))
    }

    async fn task_configs(&self, name: &str) -> Result<Vec<TaskInfo>> {
        let core = self.core().await?;
        let snapshot = core.configs.snapshot();
        if !snapshot.contains(name) {
            return Err(not_found(name));
        }
        Ok(snapshot
            .tasks(name)
            .into_iter()
            .map(|id| TaskInfo {
                config: snapshot
                    .task_config(&id.connector, id.task)
                    .cloned()
                    .unwrap_or_default(),
                id,
            })
            .collect())
    }

    async fn pause_connector(&self, name: &str) -> Result<()> {
        self.put_target_state(name, TargetState::Paused).await
    }

    async fn resume_connector(&self, name: &str) -> Result<()> {
        self.put_target_state(name, TargetState::Started).await
    }

    async fn stop_connector(&self, name: &str) -> Result<()> {
        let core = self.core().await?;
        if !core.configs.contains(name) {
            return Err(Error::not_found(format!("Unknown connector {name}")));
        }
        core.require_leader("Only the leader can transition connectors to the STOPPED state.")?;
        // Java's order: an empty task set first, then the target state, so no worker restarts
        // tasks of a connector that is about to stop.
        core.configs
            .put_task_configs(name, &[])
            .await
            .map_err(write_failed)?;
        core.configs
            .put_target_state(name, TargetState::Stopped)
            .await
            .map_err(write_failed)
    }

    async fn restart_connector(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<Option<ConnectorStateInfo>> {
        let core = self.core().await?;
        if include_tasks || only_failed {
            // KIP-745: the leader records the request; every worker restarts what it runs.
            core.require_leader("Only the leader can process restart requests.")?;
            if !core.configs.contains(name) {
                return Err(unknown(name));
            }
            let plan = self.restart_plan(&core, name, include_tasks, only_failed)?;
            core.configs
                .put_restart_request(&RestartRequest {
                    connector: name.to_string(),
                    only_failed,
                    include_tasks,
                })
                .await
                .map_err(write_failed)?;
            return Ok(Some(plan));
        }
        let snapshot = core.configs.snapshot();
        let config = snapshot
            .connector_config(name)
            .cloned()
            .ok_or_else(|| unknown(name))?;
        let g = core.group();
        if g.connectors.contains(name) {
            let target = snapshot.target_state(name).unwrap_or(TargetState::Started);
            let mut local = core.local.lock().await;
            local.stop_connector(name, false);
            local.start_connector(name, &config, target);
            drop(local);
            core.request_reconfiguration(name);
            return Ok(None);
        }
        let message = "Cannot restart connector since it is not assigned to this member";
        if g.is_leader {
            Err(Error::not_target(
                message,
                g.connector_owners.get(name).cloned(),
            ))
        } else {
            Err(Error::not_target(message, g.leader_url))
        }
    }

    async fn restart_task(&self, name: &str, task: u32) -> Result<()> {
        let core = self.core().await?;
        let snapshot = core.configs.snapshot();
        let config = snapshot
            .connector_config(name)
            .cloned()
            .ok_or_else(|| unknown(name))?;
        let task_config = snapshot
            .task_config(name, task)
            .cloned()
            .ok_or_else(|| Error::not_found(format!("Unknown task: {name}-{task}")))?;
        let id = TaskId::new(name, task);
        let g = core.group();
        if g.tasks.contains(&id) {
            let target = snapshot.target_state(name).unwrap_or(TargetState::Started);
            let mut local = core.local.lock().await;
            local.stop_tasks(&[(name.to_string(), task)], false).await;
            match task_extras(&core, name, task, &config).await {
                Ok(extras) => local.start_task(name, task, &config, task_config, target, extras),
                Err(e) => local.report_task_failure(name, task, &e),
            }
            return Ok(());
        }
        let message = "Cannot restart task since it is not assigned to this member";
        if g.is_leader {
            Err(Error::not_target(message, g.task_owners.get(&id).cloned()))
        } else {
            Err(Error::not_target(message, g.leader_url))
        }
    }

    async fn validate(&self, config: &RawConfig) -> Result<ConfigInfos> {
        let core = self.core().await?;
        validate_connector_config(
            &self.registry,
            &core.worker.config,
            config,
            exactly_once::preflight(&core),
        )
    }

    async fn connector_offsets(&self, name: &str) -> Result<ConnectorOffsets> {
        let core = self.core().await?;
        let config = core
            .configs
            .snapshot()
            .connector_config(name)
            .cloned()
            .ok_or_else(|| not_found(name))?;
        let plugin = find_connector(
            &self.registry,
            config
                .get("connector.class")
                .map(String::as_str)
                .unwrap_or(""),
        )?;
        if plugin.connector_type() == ConnectorType::Source {
            // Java reads the offsets topic to its end before answering.
            core.offsets_log
                .read_to_end()
                .await
                .map_err(|e| e.with_http_status(500))?;
        }
        let worker = connector_context(&core, &config).await?;
        offsets::connector_offsets(&worker, name, plugin.connector_type(), &config).await
    }

    async fn alter_offsets(&self, name: &str, entries: Vec<OffsetEntry>) -> Result<String> {
        let core = self.core().await?;
        let (config, plugin) = self.stopped_connector(&core, name)?;
        fence_before_modifying_offsets(&core, name, &*plugin).await?;
        let worker = connector_context(&core, &config).await?;
        offsets::alter_offsets(&worker, name, &config, &*plugin, entries).await
    }

    async fn reset_offsets(&self, name: &str) -> Result<String> {
        let core = self.core().await?;
        let (config, plugin) = self.stopped_connector(&core, name)?;
        fence_before_modifying_offsets(&core, name, &*plugin).await?;
        if plugin.connector_type() == ConnectorType::Source {
            core.offsets_log
                .read_to_end()
                .await
                .map_err(|e| e.with_http_status(500))?;
        }
        let worker = connector_context(&core, &config).await?;
        offsets::reset_offsets(&worker, name, &config, &*plugin).await
    }

    async fn connector_active_topics(&self, name: &str) -> Result<Vec<String>> {
        let core = self.core().await?;
        if !core.worker.config.topic_tracking_enable {
            return Err(Error::config("Topic tracking is disabled.").with_http_status(403));
        }
        let store = core
            .statuses
            .store
            .lock()
            .map_err(|_| Error::bug("status store lock poisoned"))?;
        let mut topics: Vec<String> = store
            .topics(name)
            .into_iter()
            .map(|t| t.topic.clone())
            .collect();
        topics.sort();
        Ok(topics)
    }

    async fn reset_connector_active_topics(&self, name: &str) -> Result<()> {
        let core = self.core().await?;
        if !core.worker.config.topic_tracking_enable {
            return Err(Error::config("Topic tracking is disabled.").with_http_status(403));
        }
        if !core.worker.config.topic_tracking_allow_reset {
            return Err(Error::config("Topic tracking reset is disabled.").with_http_status(403));
        }
        let topics: Vec<String> = core
            .statuses
            .store
            .lock()
            .map(|s| {
                s.topics(name)
                    .into_iter()
                    .map(|t| t.topic.clone())
                    .collect()
            })
            .unwrap_or_default();
        for topic in topics {
            let (key, value) = crate::status_store::delete_topic_status(name, &topic);
            core.status_log
                .send(key.as_bytes(), value.as_deref())
                .await?;
        }
        core.topics.clear(name);
        Ok(())
    }

    async fn set_cluster_logger_level(
        &self,
        namespace: &str,
        level: strait_engine::rest::logging::Level,
    ) -> Result<()> {
        let core = self.core().await?;
        core.configs
            .put_logger_level(namespace, level.as_str())
            .await
            .map_err(write_failed)
    }

    async fn put_task_configs(
        &self,
        name: &str,
        configs: Vec<Props>,
        request: InternalRequest,
    ) -> Result<()> {
        let core = self.core().await?;
        verify_internal_request(&core, &request)?;
        core.require_leader("Only the leader may write task configurations.")?;
        if !core.configs.contains(name) {
            return Err(not_found(name));
        }
        core.configs
            .put_task_configs(name, &configs)
            .await
            .map_err(write_failed)
    }

    async fn fence_zombies(&self, name: &str, request: InternalRequest) -> Result<()> {
        let core = self.core().await?;
        verify_internal_request(&core, &request)?;
        if !core.configs.contains(name) {
            return Err(not_found(name));
        }
        if !exactly_once::enabled(&core) {
            return Err(Error::config(format!(
                "Exactly-once source support is not enabled on this worker (exactly.once.source.support is not 'enabled'); cannot fence zombie tasks of connector {name}"
            )));
        }
        core.require_leader("Only the leader may perform zombie fencing")?;
        exactly_once::fence_zombies_as_leader(&core, name).await
    }

    async fn shutdown(&self) {
        if let Ok(core) = self.core().await {
            core.stop.cancel();
        }
    }
}

/// Java's `modifyConnectorOffsets` for an exactly-once source connector: a zombie-fencing
/// round first, so no task of an earlier generation can still commit offsets over the new ones.
async fn fence_before_modifying_offsets(
    core: &Arc<Core>,
    name: &str,
    plugin: &dyn strait_engine::plugin::ConnectorPlugin,
) -> Result<()> {
    if plugin.connector_type() != ConnectorType::Source || !exactly_once::enabled(core) {
        return Ok(());
    }
    tracing::debug!(connector = name, "Performing a round of zombie fencing before modifying offsets for source connector {name} with exactly-once support enabled.");
    exactly_once::fence_zombies_as_leader(core, name)
        .await
        .map_err(|e| {
            Error::external(
                format!(
                    "Failed to perform zombie fencing for source connector prior to modifying offsets: {}",
                    e.message()
                ),
                e.is_retriable(),
            )
            .with_http_status(500)
        })
}

/// KIP-507: internal requests carry a signature once the group speaks `sessioned`.
fn verify_internal_request(core: &Core, request: &InternalRequest) -> Result<()> {
    let sessioned = core
        .group()
        .protocol
        .is_some_and(|p| p >= ConnectProtocolCompatibility::Sessioned);
    if !sessioned {
        return Ok(());
    }
    let key = core
        .session_key
        .lock()
        .ok()
        .and_then(|k| k.as_ref().map(|k| k.key.clone()));
    signing::verify(
        request.signature.as_deref(),
        request.algorithm.as_deref(),
        &request.body,
        &core.config.distributed.inter_worker_verification_algorithms,
        key.as_deref(),
    )
    .map_err(|e| {
        let kind = if e.status() == 503 {
            Error::external(e.message(), true)
        } else {
            Error::config(e.message())
        };
        kind.with_http_status(e.status())
    })
}
