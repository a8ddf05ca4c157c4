//! The herder's loop (Java's `DistributedHerder.tick`): membership of the worker group,
//! starting and stopping this worker's share of the work after each rebalance, reacting to
//! config-topic changes, and the leader's duties.
//!
//! * Joining: the member offers the sub-protocols `connect.protocol` allows, with its REST URL,
//!   its config-topic offset and (cooperative) its current allocation; the coordinator elects
//!   the leader, which computes every assignment with the [`assignor`](crate::assignor).
//! * Eager (`default`): everything this worker runs is stopped before it rejoins.
//!   Cooperative (`compatible`, `sessioned`): work keeps running through a rebalance; only what
//!   the leader revokes is stopped, then the worker rejoins at once so the leader can hand it
//!   to someone else. Departed workers' work is held back up to
//!   `scheduled.rebalance.max.delay.ms` (the assignment's `delay`), then a rebalance is due.
//! * After a rebalance the worker must have read the config topic exactly to the assignment's
//!   offset: behind, it reads for `worker.sync.timeout.ms` (and leaves the group for
//!   `worker.unsync.backoff.ms` if it cannot catch up); ahead, it rejoins.
//! * A new or deleted connector and new task configs need a rebalance; a changed connector
//!   config restarts the connector where it runs; a target-state change pauses, resumes or
//!   stops the connector and its tasks where they run.
//! * Task configs are generated where the connector runs and written by the leader (a follower
//!   sends them to the leader's internal `POST /connectors/{c}/tasks`, signed).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use strait_engine::config::Props;
use strait_engine::error::{Error, Result};
use strait_engine::herder::TargetState;
use strait_engine::runtime::State;
use tokio::sync::broadcast::error::TryRecvError;

use super::Core;
use crate::assignor::{self, ConfigSnapshot, IncrementalCooperativeAssignor, Member};
use crate::config_store::{ConfigEvent, RestartRequest, SessionKey};
use crate::membership::{GroupMember, LeaderInput, MemberSettings};
use crate::protocol::{
    decode_assignment, decode_metadata, encode_assignment, join_group_protocols, Assignment,
    ConnectProtocolCompatibility as Protocol, TaskId, WorkerState,
};
use crate::signing::{self, MacAlgorithm};

/// How often the loop wakes with nothing to do: task statuses are reported within this.
const IDLE_TICK: Duration = Duration::from_millis(50);
/// Pause before retrying a failed join or task-config write.
const RETRY_BACKOFF: Duration = Duration::from_millis(500);

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The group member's settings from the worker config.
pub fn member_settings(core: &Core) -> MemberSettings {
    let d = &core.config.distributed;
    let mut s = MemberSettings::new(
        core.config.worker.bootstrap_servers.clone(),
        d.group_id.clone(),
    );
    s.security_protocol = d.security_protocol.clone();
    s.client_id = if d.client_id.is_empty() {
        "connect-1".to_string()
    } else {
        d.client_id.clone()
    };
    s.session_timeout = d.session_timeout;
    s.heartbeat_interval = d.heartbeat_interval;
    s.rebalance_timeout = d.rebalance_timeout;
    s.request_timeout = d.request_timeout;
    s.retry_backoff = d.retry_backoff;
    s
}

/// The loop's own state between ticks.
struct Loop {
    core: Arc<Core>,
    member: GroupMember,
    assignor: IncrementalCooperativeAssignor,
    /// What this worker runs (the merged assignment), `None` before the first rebalance.
    assignment: Option<Assignment>,
    protocol: Option<Protocol>,
    need_join: bool,
    last_completed_generation: i32,
    /// When the assignment's delay runs out (a rebalance is due then).
    scheduled_rebalance: Option<Instant>,
    /// Connectors known from the config topic, to tell additions from updates.
    known: BTreeSet<String>,
    /// Topic statuses already written, per connector.
    written_topics: BTreeMap<String, BTreeSet<String>>,
    /// When the session key this leader distributed expires.
    key_expiration: Option<i64>,
    /// Since when the group has been unreachable (rebalances failing).
    lost_since: Option<Instant>,
    on_ready: Option<Box<dyn FnOnce() + Send + Sync>>,
}

/// Run the loop until `core.stop` is cancelled; then stop this worker's work and leave the
/// group. `on_ready` runs after the first completed rebalance.
pub async fn run(core: Arc<Core>, on_ready: Box<dyn FnOnce() + Send + Sync>) {
    let member = match GroupMember::new(member_settings(&core)) {
        Ok(m) => m,
        Err(e) => {
            tracing::error!(error = %e, "cannot create the group member");
            return;
        }
    };
    let known = core
        .configs
        .snapshot()
        .connectors()
        .map(str::to_string)
        .collect();
    let max_delay = core
        .config
        .distributed
        .scheduled_rebalance_max_delay
        .as_millis()
        .min(i32::MAX as u128) as i32;
    let mut l = Loop {
        assignor: IncrementalCooperativeAssignor::new(max_delay),
        core,
        member,
        assignment: None,
        protocol: None,
        need_join: true,
        last_completed_generation: -1,
        scheduled_rebalance: None,
        known,
        written_topics: BTreeMap::new(),
        key_expiration: None,
        lost_since: None,
        on_ready: Some(on_ready),
    };
    l.run().await;
}

impl Loop {
    async fn run(&mut self) {
        let mut events = self.core.configs.subscribe();
        let mut membership = self.member.subscribe();
        let stop = self.core.stop.clone();
        while !stop.is_cancelled() {
            if self.rebalance_due() {
                if let Err(e) = self.rebalance().await {
                    tracing::warn!(error = %e, "rebalance failed; retrying");
                    self.release_work_if_lost_too_long().await;
                    tokio::select! {
                        _ = stop.cancelled() => break,
                        _ = tokio::time::sleep(RETRY_BACKOFF) => {}
                    }
                    continue;
                }
                self.lost_since = None;
                membership = self.member.subscribe();
            }
            loop {
                match events.try_recv() {
                    Ok(event) => self.on_config_event(event).await,
                    Err(TryRecvError::Empty) | Err(TryRecvError::Closed) => break,
                    Err(TryRecvError::Lagged(n)) => {
                        // Missed events: a rebalance re-reads everything that matters.
                        tracing::warn!(missed = n, "config events were missed; rejoining");
                        self.need_join = true;
                    }
                }
            }
            if self.need_join {
                continue;
            }
            self.leader_duties().await;
            self.reconfigure_connectors().await;
            self.report().await;
            let sleep = self
                .scheduled_rebalance
                .map(|at| at.saturating_duration_since(Instant::now()).min(IDLE_TICK))
                .unwrap_or(IDLE_TICK);
            tokio::select! {
                _ = stop.cancelled() => break,
                ev = events.recv() => match ev {
                    Ok(event) => self.on_config_event(event).await,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => self.need_join = true,
                    Err(_) => {}
                },
                _ = membership.changed() => {}
                _ = self.core.wake.notified() => {}
                _ = tokio::time::sleep(sleep) => {}
            }
        }
        self.shutdown().await;
    }

    fn rebalance_due(&self) -> bool {
        self.need_join
            || self.member.rejoin_needed().is_some()
            || self
                .scheduled_rebalance
                .is_some_and(|at| Instant::now() >= at)
    }

    /// A worker cut off from the group for longer than `scheduled.rebalance.max.delay.ms`
    /// stops its work: by then the leader has handed it to others (Java's `WorkerCoordinator`
    /// revokes everything after that long without a coordinator).
    async fn release_work_if_lost_too_long(&mut self) {
        let since = *self.lost_since.get_or_insert_with(Instant::now);
        let delay = self.core.config.distributed.scheduled_rebalance_max_delay;
        if self.assignment.is_some() && since.elapsed() >= delay {
            tracing::warn!(?delay, "out of the group for longer than scheduled.rebalance.max.delay.ms; stopping this worker's connectors and tasks");
            self.core.local.lock().await.stop_all().await;
            self.assignment = None;
            self.set_running(&BTreeSet::new(), &BTreeSet::new());
        }
    }

    /// Stop everything here and leave the group (graceful shutdown).
    async fn shutdown(&mut self) {
        self.core.local.lock().await.stop_all().await;
        let member = std::mem::replace(
            &mut self.member,
            match GroupMember::new(member_settings(&self.core)) {
                Ok(m) => m,
                Err(_) => return,
            },
        );
        if let Err(e) = member.leave().await {
            tracing::warn!(error = %e, "leaving the group failed");
        }
    }

    /// One JoinGroup + SyncGroup round and what follows it (Java's `ensureActive` and
    /// `handleRebalanceCompleted`).
    async fn rebalance(&mut self) -> Result<()> {
        self.core.worker.metrics.rebalance_started();
        let mode = self.core.config.distributed.connect_protocol;
        if self.protocol == Some(Protocol::Eager) {
            // Eager: everything is given back before rejoining.
            self.core.local.lock().await.stop_all().await;
            self.assignment = None;
            self.set_running(&BTreeSet::new(), &BTreeSet::new());
        }
        let snapshot = self.core.configs.snapshot();
        let state = WorkerState {
            url: self.core.url.clone(),
            offset: snapshot.offset,
            assignment: self.assignment.clone(),
        };
        let protocols: Vec<(String, Bytes)> = join_group_protocols(&state, mode)?
            .into_iter()
            .map(|(name, bytes)| (name.to_string(), Bytes::from(bytes)))
            .collect();
        let core = self.core.clone();
        let assignor = &mut self.assignor;
        let last_completed = self.last_completed_generation;
        let mut owners: Option<(BTreeMap<String, String>, BTreeMap<TaskId, String>)> = None;
        let mut leader = |input: LeaderInput| -> Result<HashMap<String, Bytes>> {
            let (map, conn_owners, task_owners) =
                leader_assign(&core, assignor, input, last_completed)?;
            owners = Some((conn_owners, task_owners));
            Ok(map)
        };
        // `join` retries transient failures for as long as it takes (Java's
        // `ensureActiveGroup`); bounded here so a worker cut off from the coordinator notices,
        // and so shutdown does not wait for it.
        let timeout = self.core.config.distributed.rebalance_timeout;
        let stop = self.core.stop.clone();
        let joined = tokio::select! {
            _ = stop.cancelled() => return Err(Error::external("shutting down", false)),
            joined = tokio::time::timeout(timeout, self.member.join(protocols, &mut leader)) => {
                joined.map_err(|_| Error::external(format!("no rebalance completed within rebalance.timeout.ms ({timeout:?})"), true))??
            }
        };
        let protocol = Protocol::from_protocol(&joined.protocol)?;
        let received = decode_assignment(&joined.assignment)?;
        self.need_join = false;
        self.protocol = Some(protocol);
        self.core.statuses.set_generation(joined.generation);
        {
            let mut g = self
                .core
                .group
                .write()
                .map_err(|_| Error::bug("group view lock poisoned"))?;
            g.generation = joined.generation;
            g.member_id = joined.member_id.clone();
            g.is_leader = joined.is_leader;
            g.leader_url = Some(received.leader_url.clone()).filter(|u| !u.is_empty());
            g.protocol = Some(protocol);
            if let Some((c, t)) = owners {
                g.connector_owners = c;
                g.task_owners = t;
            } else if !joined.is_leader {
                g.connector_owners.clear();
                g.task_owners.clear();
            }
        }
        // Java's `onAssigned`: a new leader claims the config topic's fencable writer before it
        // acts (a failure is retried on the next tick, see `leader_duties`).
        self.claim_or_release_write_privileges(joined.is_leader)
            .await;
        tracing::info!(
            generation = joined.generation,
            leader = joined.is_leader,
            protocol = protocol.protocol(),
            connectors = ?received.connectors,
            tasks = received.tasks.len(),
            revoked_connectors = ?received.revoked_connectors,
            revoked_tasks = received.revoked_tasks.len(),
            delay = received.delay,
            "joined the group"
        );
        self.core
            .worker
            .metrics
            .rebalance_completed(i64::from(joined.generation));
        if received.failed() {
            tracing::warn!("assignment failed (config mismatch); reading the config topic to its end and rejoining");
            self.read_config_to_end().await;
            self.need_join = true;
            return Ok(());
        }
        if self.core.configs.snapshot().offset < received.offset && !self.read_config_to_end().await
        {
            self.need_join = true;
            return Ok(());
        }
        let offset = self.core.configs.snapshot().offset;
        if offset != received.offset {
            tracing::info!(
                offset,
                assignment = received.offset,
                "config state offset does not match the group assignment; forcing a rebalance"
            );
            self.need_join = true;
            return Ok(());
        }
        let full = if protocol == Protocol::Eager {
            received.clone()
        } else {
            received.merged_with_previous(self.assignment.as_ref())
        };
        self.apply_assignment(&received, &full).await;
        if joined.is_leader {
            // After the rebalance, so no worker of the previous generation writes them back.
            self.core.statuses.clean_up(&self.core.configs.snapshot());
        }
        self.assignment = Some(full);
        self.last_completed_generation = joined.generation;
        self.scheduled_rebalance = (received.delay > 0)
            .then(|| Instant::now() + Duration::from_millis(received.delay as u64));
        if !received.revoked_connectors.is_empty() || !received.revoked_tasks.is_empty() {
            // Give the revoked work back at once, so the leader can hand it on.
            self.need_join = true;
        }
        if let Some(ready) = self.on_ready.take() {
            ready();
        }
        Ok(())
    }

    /// Read the config topic to its end within `worker.sync.timeout.ms`; if that fails, leave
    /// the group and wait `worker.unsync.backoff.ms` (Java's `readConfigToEnd`).
    async fn read_config_to_end(&mut self) -> bool {
        let d = &self.core.config.distributed;
        match self.core.configs.refresh(d.worker_sync_timeout).await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, backoff = ?d.worker_unsync_backoff, "could not read the config topic to its end; leaving the group");
                if let Ok(fresh) = GroupMember::new(member_settings(&self.core)) {
                    let old = std::mem::replace(&mut self.member, fresh);
                    let _ = old.leave().await;
                }
                tokio::select! {
                    _ = self.core.stop.cancelled() => {}
                    _ = tokio::time::sleep(d.worker_unsync_backoff) => {}
                }
                false
            }
        }
    }

    fn set_running(&self, connectors: &BTreeSet<String>, tasks: &BTreeSet<TaskId>) {
        if let Ok(mut g) = self.core.group.write() {
            g.connectors = connectors.clone();
            g.tasks = tasks.clone();
        }
    }

    /// Stop what was revoked, start what is assigned and not running here.
    async fn apply_assignment(&mut self, received: &Assignment, full: &Assignment) {
        let snapshot = self.core.configs.snapshot();
        let mut local = self.core.local.lock().await;
        let revoked_tasks: Vec<(String, u32)> = received
            .revoked_tasks
            .iter()
            .map(|t| (t.connector.clone(), t.task))
            .collect();
        local.stop_tasks(&revoked_tasks, true).await;
        for c in &received.revoked_connectors {
            local.stop_connector(c, true);
        }
        // Anything running here that the assignment does not list (a task whose config
        // changed and was stopped, work of a deleted connector) is stopped too.
        let assigned_tasks: BTreeSet<(String, u32)> = full
            .tasks
            .iter()
            .map(|t| (t.connector.clone(), t.task))
            .collect();
        let stray: Vec<(String, u32)> = local
            .task_ids()
            .into_iter()
            .filter(|t| !assigned_tasks.contains(t))
            .collect();
        local.stop_tasks(&stray, true).await;
        for c in local.connector_names() {
            if !full.connectors.contains(&c) {
                local.stop_connector(&c, true);
            }
        }
        let mut reconfigure = Vec::new();
        for c in &full.connectors {
            if local.runs_connector(c) {
                continue;
            }
            let Some(config) = snapshot.connector_config(c) else {
                continue;
            };
            let target = snapshot.target_state(c).unwrap_or(TargetState::Started);
            if local.start_connector(c, config, target) {
                reconfigure.push(c.clone());
            }
        }
        // Published before any task starts: an exactly-once task checks it is still assigned
        // here (after its producer initialised), which must not race this bookkeeping.
        self.set_running(
            &full.connectors.iter().cloned().collect(),
            &full.tasks.iter().cloned().collect(),
        );
        let running: BTreeSet<(String, u32)> = local.task_ids().into_iter().collect();
        for t in &full.tasks {
            if running.contains(&(t.connector.clone(), t.task)) {
                continue;
            }
            let (Some(config), Some(task_config)) = (
                snapshot.connector_config(&t.connector),
                snapshot.task_config(&t.connector, t.task),
            ) else {
                tracing::warn!(task = %t, "assigned a task without a committed config; not starting it");
                continue;
            };
            let target = snapshot
                .target_state(&t.connector)
                .unwrap_or(TargetState::Started);
            if target == TargetState::Stopped {
                continue;
            }
            match super::task_extras(&self.core, &t.connector, t.task, config).await {
                Ok(extras) => local.start_task(
                    &t.connector,
                    t.task,
                    config,
                    task_config.clone(),
                    target,
                    extras,
                ),
                Err(e) => local.report_task_failure(&t.connector, t.task, &e),
            }
        }
        drop(local);
        for c in reconfigure {
            self.core.request_reconfiguration(&c);
        }
    }

    /// React to one config-topic change (Java's `ConfigUpdateListener` and the tick's
    /// processing of what it recorded).
    async fn on_config_event(&mut self, event: ConfigEvent) {
        let snapshot = self.core.configs.snapshot();
        match event {
            ConfigEvent::ConnectorConfigUpdated(c) => {
                if self.known.insert(c.clone()) {
                    // A new connector: work to distribute.
                    self.need_join = true;
                    return;
                }
                let mut local = self.core.local.lock().await;
                if local.runs_connector(&c) {
                    if let Some(config) = snapshot.connector_config(&c) {
                        tracing::info!(connector = %c, "restarting the connector for its new config");
                        let target = snapshot.target_state(&c).unwrap_or(TargetState::Started);
                        local.stop_connector(&c, false);
                        local.start_connector(&c, config, target);
                        drop(local);
                        self.core.request_reconfiguration(&c);
                    }
                }
            }
            ConfigEvent::ConnectorConfigRemoved(c) => {
                if self.known.remove(&c) {
                    self.need_join = true;
                }
                let mut local = self.core.local.lock().await;
                let ran_connector = local.runs_connector(&c);
                local.stop_connector(&c, false);
                let tasks = local.tasks_of(&c);
                local.stop_tasks(&tasks, false).await;
                drop(local);
                if ran_connector {
                    // Java's `onDeletion`: the connector's and its tasks' statuses go away.
                    let ids: Vec<u32> = self
                        .core
                        .statuses
                        .store
                        .lock()
                        .map(|s| s.tasks(&c).into_iter().map(|(id, _)| id).collect())
                        .unwrap_or_default();
                    self.core.statuses.destroyed(&c, &ids);
                }
                self.core.topics.clear(&c);
                self.written_topics.remove(&c);
            }
            ConfigEvent::TargetStateChanged(c) => {
                let Some(target) = snapshot.target_state(&c) else {
                    return;
                };
                if !snapshot.contains(&c) {
                    return;
                }
                self.core
                    .local
                    .lock()
                    .await
                    .set_target_state(&c, target)
                    .await;
                if target == TargetState::Started {
                    self.core.request_reconfiguration(&c);
                    // Tasks stopped while STOPPED come back through the assignment.
                    self.need_join = self.need_join || self.missing_tasks(&c).await;
                }
            }
            ConfigEvent::TaskConfigsUpdated(ids) => {
                // New task configs need a rebalance; with cooperative rebalancing the tasks
                // running here with an outdated config stop now and start again once assigned
                // (tasks already started with the new config keep running).
                self.need_join = true;
                if self.protocol != Some(Protocol::Eager) {
                    let connectors: BTreeSet<String> =
                        ids.iter().map(|t| t.connector.clone()).collect();
                    let mut local = self.core.local.lock().await;
                    let stale: Vec<(String, u32)> = local
                        .task_ids()
                        .into_iter()
                        .filter(|(c, t)| {
                            connectors.contains(c)
                                && local.task_config(c, *t) != snapshot.task_config(c, *t)
                        })
                        .collect();
                    local.stop_tasks(&stale, true).await;
                }
            }
            ConfigEvent::RestartRequested(r) => self.restart(&r).await,
            ConfigEvent::SessionKeyUpdated(key) => {
                self.key_expiration = Some(
                    key.creation_timestamp
                        + self
                            .core
                            .config
                            .distributed
                            .inter_worker_key_ttl
                            .as_millis() as i64,
                );
                if let Ok(mut k) = self.core.session_key.lock() {
                    *k = Some(key);
                }
            }
            ConfigEvent::LoggerLevel { namespace, level } => {
                match strait_engine::rest::logging::Level::parse(&level) {
                    Some(l) => {
                        strait_engine::rest::logging::global().set_level(&namespace, l);
                    }
                    None => {
                        tracing::warn!(%namespace, %level, "ignoring an unknown cluster log level")
                    }
                }
            }
        }
    }

    /// Whether tasks of `connector` assigned here are not running (stopped while STOPPED).
    async fn missing_tasks(&self, connector: &str) -> bool {
        let Some(a) = &self.assignment else {
            return false;
        };
        let local = self.core.local.lock().await;
        a.tasks
            .iter()
            .filter(|t| t.connector == connector)
            .any(|t| local.task_status(&t.connector, t.task).is_none())
    }

    /// KIP-745: restart what this worker runs of the connector, as the request says.
    async fn restart(&mut self, r: &RestartRequest) {
        let snapshot = self.core.configs.snapshot();
        let Some(config) = snapshot.connector_config(&r.connector).cloned() else {
            return;
        };
        let target = snapshot
            .target_state(&r.connector)
            .unwrap_or(TargetState::Started);
        let failed = |state: Option<State>| state == Some(State::Failed);
        let mut local = self.core.local.lock().await;
        if local.runs_connector(&r.connector)
            && (!r.only_failed || failed(local.connector_status(&r.connector).map(|s| s.state)))
        {
            local.stop_connector(&r.connector, false);
            local.start_connector(&r.connector, &config, target);
            drop(local);
            self.core.request_reconfiguration(&r.connector);
            local = self.core.local.lock().await;
        }
        if r.include_tasks {
            for (c, t) in local.tasks_of(&r.connector) {
                if r.only_failed && !failed(local.task_status(&c, t).map(|s| s.state)) {
                    continue;
                }
                let Some(task_config) = snapshot.task_config(&c, t).cloned() else {
                    continue;
                };
                local.stop_tasks(&[(c.clone(), t)], false).await;
                match super::task_extras(&self.core, &c, t, &config).await {
                    Ok(extras) => local.start_task(&c, t, &config, task_config, target, extras),
                    Err(e) => local.report_task_failure(&c, t, &e),
                }
            }
        }
    }

    /// The leader distributes a session key when the group speaks `sessioned` and there is
    /// none, or it expired, or it is of another algorithm (Java's `checkForKeyRotation`).
    /// KIP-618: the leader writes configs through the fencable writer; claiming it fences the
    /// writer of any earlier leader. A worker that is no longer leader gives it up.
    async fn claim_or_release_write_privileges(&self, is_leader: bool) {
        if is_leader && self.core.configs.needs_write_privileges().await {
            if let Err(e) = self
                .core
                .configs
                .claim_write_privileges(&self.core.config.distributed.group_id)
                .await
            {
                tracing::warn!(error = %e, "could not claim write privileges on the config topic; retrying on the next tick");
            }
        } else if !is_leader {
            self.core.configs.release_write_privileges().await;
        }
    }

    async fn leader_duties(&mut self) {
        let g = self.core.group();
        self.claim_or_release_write_privileges(g.is_leader).await;
        if !g.is_leader || g.protocol != Some(Protocol::Sessioned) {
            return;
        }
        let d = &self.core.config.distributed;
        let now = now_ms();
        let current = self.core.configs.snapshot().session_key;
        let Some(alg) = MacAlgorithm::parse(&d.inter_worker_key_generation_algorithm) else {
            return;
        };
        let expected_len = d
            .inter_worker_key_size
            .map(|bits| (bits / 8) as usize)
            .unwrap_or(alg.default_key_len());
        let rotate = match &current {
            None => true,
            Some(k) => {
                let expires = k.creation_timestamp + d.inter_worker_key_ttl.as_millis() as i64;
                expires <= now
                    || !k.algorithm.eq_ignore_ascii_case(alg.java_name())
                    || k.key.len() != expected_len
            }
        };
        if !rotate {
            return;
        }
        let key = SessionKey {
            key: alg.generate_key(d.inter_worker_key_size),
            algorithm: alg.java_name().to_string(),
            creation_timestamp: now,
        };
        tracing::debug!("distributing a new session key");
        if let Err(e) = self.core.configs.put_session_key(&key).await {
            tracing::warn!(error = %e, "failed to write a new session key");
        }
    }

    /// Regenerate the task configs of connectors running here that asked for it; write them
    /// when they changed (Java's `reconfigureConnector`).
    async fn reconfigure_connectors(&mut self) {
        let pending: Vec<String> = match self.core.reconfigure.lock() {
            Ok(mut r) => std::mem::take(&mut *r).into_iter().collect(),
            Err(_) => return,
        };
        for c in pending {
            let configs = self.core.local.lock().await.task_configs(&c);
            let Some(configs) = configs else {
                continue;
            };
            let snapshot = self.core.configs.snapshot();
            if !snapshot.contains(&c) || !snapshot.task_configs_changed(&c, &configs) {
                continue;
            }
            let written = if self.core.group().is_leader {
                self.core.configs.put_task_configs(&c, &configs).await
            } else {
                self.send_task_configs_to_leader(&c, &configs).await
            };
            if let Err(e) = written {
                tracing::warn!(connector = %c, error = %e, "writing task configs failed; retrying");
                self.core.request_reconfiguration(&c);
                tokio::time::sleep(RETRY_BACKOFF).await;
            }
        }
    }

    /// A follower's task configs go to the leader's internal endpoint, signed with the session
    /// key when the group speaks `sessioned`.
    async fn send_task_configs_to_leader(&self, connector: &str, configs: &[Props]) -> Result<()> {
        let body = serde_json::to_vec(configs)
            .map_err(|e| Error::bug(format!("task configs as JSON: {e}")))?;
        let path = format!(
            "connectors/{}/tasks?forward=true",
            encode_path_segment(connector)
        );
        signed_request_to_leader(&self.core, reqwest::Method::POST, &path, body)
            .await
            .map_err(|e| {
                Error::external(
                    format!(
                        "the leader refused task configs for {connector}: {}",
                        e.message()
                    ),
                    e.is_retriable(),
                )
            })
    }

    /// Report task status changes and newly seen topics.
    async fn report(&mut self) {
        self.core.local.lock().await.poll_statuses();
        if !self.core.worker.config.topic_tracking_enable {
            return;
        }
        let local_connectors: BTreeSet<String> = {
            let local = self.core.local.lock().await;
            local.task_ids().into_iter().map(|(c, _)| c).collect()
        };
        for c in local_connectors {
            let seen = self.core.topics.topics(&c);
            let written = self.written_topics.entry(c.clone()).or_default();
            for topic in seen {
                if written.contains(&topic) {
                    continue;
                }
                let known = self
                    .core
                    .statuses
                    .store
                    .lock()
                    .map(|s| s.topic(&c, &topic).is_some())
                    .unwrap_or(false);
                if !known {
                    let (key, value) = crate::status_store::encode_topic_status(
                        &crate::status_store::TopicStatus {
                            topic: topic.clone(),
                            connector: c.clone(),
                            task: 0,
                            discover_timestamp: now_ms(),
                        },
                    );
                    let send = self.core.status_log.send(key.as_bytes(), value.as_deref());
                    tokio::spawn(async move {
                        if let Err(e) = send.await {
                            tracing::warn!(error = %e, "writing a topic status failed");
                        }
                    });
                }
                written.insert(topic);
            }
        }
    }
}

/// An internal request to the leader (`path` relative to its REST root), signed with the
/// session key once the group speaks `sessioned` (KIP-507), as Java's `RestClient` sends it.
pub(crate) async fn signed_request_to_leader(
    core: &Core,
    method: reqwest::Method,
    path: &str,
    body: Vec<u8>,
) -> Result<()> {
    let g = core.group();
    let leader = g
        .leader_url
        .ok_or_else(|| Error::external("no known leader to send the request to", true))?;
    let url = format!("{}/{path}", leader.trim_end_matches('/'));
    // The worker's client: over HTTPS with the listener's TLS settings (rest::forward::use_tls).
    let client = strait_engine::rest::forward::client();
    let mut req = client
        .request(method, &url)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json")
        .header("User-Agent", "kafka-connect");
    if g.protocol == Some(Protocol::Sessioned) {
        let key = core
            .session_key
            .lock()
            .ok()
            .and_then(|k| k.clone())
            .ok_or_else(|| Error::external("no session key read yet", true))?;
        let alg = MacAlgorithm::parse(&core.config.distributed.inter_worker_signature_algorithm)
            .ok_or_else(|| Error::bug("signature algorithm validated at start-up"))?;
        req = req
            .header(
                signing::SIGNATURE_HEADER,
                alg.signature_header(&key.key, &body),
            )
            .header(signing::SIGNATURE_ALGORITHM_HEADER, alg.java_name());
    }
    let resp = req
        .body(body)
        .send()
        .await
        .map_err(|e| Error::external(format!("sending a request to {url}: {e}"), true))?;
    if resp.status().is_success() {
        Ok(())
    } else {
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        // A 409 (rebalance, or a leader that changed) is worth retrying; anything else is not.
        Err(Error::external(
            format!("{url} answered {status} {text}"),
            status == reqwest::StatusCode::CONFLICT || status.is_server_error(),
        ))
    }
}

/// Percent-encode one URL path segment (connector names may hold anything).
pub(crate) fn encode_path_segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The leader's assignment for one JoinGroup round: every member's assignment bytes, and the
/// owners' URLs (for forwarding restarts).
fn leader_assign(
    core: &Core,
    assignor: &mut IncrementalCooperativeAssignor,
    input: LeaderInput,
    last_completed_generation: i32,
) -> Result<(
    HashMap<String, Bytes>,
    BTreeMap<String, String>,
    BTreeMap<TaskId, String>,
)> {
    let protocol = Protocol::from_protocol(&input.protocol)?;
    let members: Vec<Member> = input
        .members
        .iter()
        .map(|m| {
            Ok(Member {
                member_id: m.member_id.clone(),
                state: decode_metadata(&m.metadata)?,
            })
        })
        .collect::<Result<_>>()?;
    let urls: BTreeMap<String, String> = members
        .iter()
        .map(|m| (m.member_id.clone(), m.state.url.clone()))
        .collect();
    let snapshot = config_snapshot(core);
    let fresh = || config_snapshot(core);
    let result = if protocol == Protocol::Eager {
        assignor::eager_assignment(&input.leader_id, &members, &snapshot, fresh)
    } else {
        assignor.perform_assignment(
            &input.leader_id,
            protocol,
            &members,
            &snapshot,
            fresh,
            last_completed_generation,
            input.generation,
            now_ms(),
        )
    };
    let mut out = HashMap::new();
    for (member, assignment) in &result.assignments {
        out.insert(
            member.clone(),
            Bytes::from(encode_assignment(assignment, protocol)?),
        );
    }
    let url_of = |member: &String| urls.get(member).cloned().unwrap_or_default();
    let connector_owners = result
        .connector_owners
        .iter()
        .map(|(c, m)| (c.clone(), url_of(m)))
        .collect();
    let task_owners = result
        .task_owners
        .iter()
        .map(|(t, m)| (t.clone(), url_of(m)))
        .collect();
    Ok((out, connector_owners, task_owners))
}

/// The assignor's view of the config topic: every connector with its task count (0 while its
/// task configs are inconsistent).
fn config_snapshot(core: &Core) -> ConfigSnapshot {
    let s = core.configs.snapshot();
    let connectors = s
        .connectors()
        .map(|c| (c.to_string(), s.tasks(c).len() as u32))
        .collect();
    ConfigSnapshot {
        offset: s.offset,
        connectors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(encode_path_segment("my conn/1"), "my%20conn%2F1");
        assert_eq!(encode_path_segment("a-b_c.d~"), "a-b_c.d~");
    }
}
