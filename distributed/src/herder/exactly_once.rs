//! Exactly-once source support on the herder's side (KIP-618; Java's `DistributedHerder`
//! fencing and `Worker.startExactlyOnceSourceTask`).
//!
//! * Each source task gets a transactional producer with the id `<group.id>-<connector>-<task>`
//!   ([`task_transactional_id`]).
//! * Before the tasks of a new task-config generation start, the previous generation's
//!   producers are fenced: the leader bumps the epoch of every transactional id of the previous
//!   task count ([`crate::fence::fence_producers`]) and records the new count in the config topic
//!   (`tasks-fencing-<connector>`). A follower asks the leader through the internal
//!   `PUT /connectors/{c}/fence`. Fencing is skipped when nothing is pending (the task-count
//!   record is newer than the task configs) or when both counts are 1 (the single task's own
//!   producer fences its predecessor when it initialises).
//! * After its producer initialised, a task checks that its generation is still the latest and
//!   that it is still assigned here; otherwise it does not start.

use std::sync::Arc;
use std::time::Duration;

use strait_engine::config::Props;
use strait_engine::error::{Error, Result};
use strait_engine::herder::validate::{find_connector, ExactlyOncePreflight};
use strait_engine::plugin::ConnectorType;
use strait_engine::runtime::{ExactlyOnceTask, TransactionBoundary};

use super::Core;
use crate::config::ExactlyOnceSourceSupport;
use crate::fence::{fence_producers, FenceSettings};

/// Java's `Worker.taskTransactionalId`.
pub fn task_transactional_id(group_id: &str, connector: &str, task: u32) -> String {
    format!("{group_id}-{connector}-{task}")
}

/// Source tasks run exactly-once only with `exactly.once.source.support=enabled`.
pub fn enabled(core: &Core) -> bool {
    core.config.distributed.exactly_once_source_support == ExactlyOnceSourceSupport::Enabled
}

/// What this worker offers the exactly-once preflight checks of `/config/validate`.
pub fn preflight(core: &Core) -> ExactlyOncePreflight {
    if enabled(core) {
        ExactlyOncePreflight::Enabled
    } else {
        ExactlyOncePreflight::Disabled
    }
}

/// The connector's `transaction.boundary` (validated when the config was accepted; an
/// unknown value here is a config error). `interval` uses `transaction.boundary.interval.ms`,
/// else the worker's `offset.flush.interval.ms`, as Java does.
pub fn boundary(core: &Core, connector_config: &Props) -> Result<TransactionBoundary> {
    let value = connector_config
        .get("transaction.boundary")
        .map(|s| s.trim().to_ascii_lowercase())
        .unwrap_or_else(|| "poll".into());
    match value.as_str() {
        "poll" => Ok(TransactionBoundary::Poll),
        "connector" => Ok(TransactionBoundary::Connector),
        "interval" => {
            let interval = match connector_config.get("transaction.boundary.interval.ms") {
                Some(ms) if !ms.trim().is_empty() => {
                    let ms: i64 = ms.trim().parse().map_err(|_| {
                        Error::config(format!(
                            "Invalid value {ms} for configuration transaction.boundary.interval.ms: Not a number of type LONG"
                        ))
                    })?;
                    Duration::from_millis(ms.max(0) as u64)
                }
                _ => core.worker.config.offset_flush_interval,
            };
            Ok(TransactionBoundary::Interval(interval))
        }
        other => Err(Error::config(format!(
            "Invalid value {other} for configuration transaction.boundary: String must be one of (case insensitive): POLL, INTERVAL, CONNECTOR"
        ))),
    }
}

/// The exactly-once settings of source task `task` of `connector`, or `None` when it runs
/// at-least-once (support not enabled, or a sink).
pub fn task_settings(
    core: &Arc<Core>,
    connector: &str,
    task: u32,
    connector_config: &Props,
) -> Result<Option<ExactlyOnceTask>> {
    if !enabled(core) {
        return Ok(None);
    }
    let is_source = connector_config
        .get("connector.class")
        .and_then(|class| find_connector(&core.worker.registry, class).ok())
        .is_some_and(|p| p.connector_type() == ConnectorType::Source);
    if !is_source {
        return Ok(None);
    }
    let boundary = boundary(core, connector_config)?;
    let generation = core.configs.snapshot().task_config_generation(connector);
    let fence = {
        let core = core.clone();
        let connector = connector.to_string();
        Arc::new(move || {
            let core = core.clone();
            let connector = connector.clone();
            Box::pin(async move { fence_if_pending(&core, &connector).await })
                as futures::future::BoxFuture<'static, Result<()>>
        })
    };
    let verify = {
        let core = core.clone();
        let connector = connector.to_string();
        Arc::new(move || {
            let core = core.clone();
            let connector = connector.clone();
            Box::pin(async move {
                verify_generation_and_ownership(&core, &connector, task, generation).await
            }) as futures::future::BoxFuture<'static, Result<()>>
        })
    };
    Ok(Some(ExactlyOnceTask {
        transactional_id: task_transactional_id(&core.config.distributed.group_id, connector, task),
        boundary,
        before_producer: Some(fence),
        before_start: Some(verify),
    }))
}

/// Java's `fenceZombieSourceTasks` as a task start runs it: nothing when no fencing is
/// pending; the leader fences itself; a follower asks the leader. A retriable failure (the
/// leader is changing, a rebalance is under way) is retried for up to a minute before the task
/// fails.
async fn fence_if_pending(core: &Arc<Core>, connector: &str) -> Result<()> {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        match fence_once(core, connector).await {
            Err(e) if e.is_retriable() && std::time::Instant::now() < deadline => {
                tracing::warn!(connector, error = %e, "zombie fencing failed; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            other => return other,
        }
    }
}

async fn fence_once(core: &Arc<Core>, connector: &str) -> Result<()> {
    if !core.configs.snapshot().pending_fencing(connector) {
        return Ok(());
    }
    if core.group().is_leader {
        fence_zombies_as_leader(core, connector).await
    } else {
        let path = format!(
            "connectors/{}/fence",
            super::rebalance::encode_path_segment(connector)
        );
        super::rebalance::signed_request_to_leader(core, reqwest::Method::PUT, &path, Vec::new())
            .await
            .map_err(|e| {
                Error::external(
                    format!(
                        "Failed to perform zombie fencing for source connector {connector}: {e}"
                    ),
                    e.is_retriable(),
                )
            })
    }
}

/// The leader's zombie-fencing round for a connector (Java's
/// `DistributedHerder.fenceZombieSourceTasks` on the leader): fence the transactional ids of
/// the previous task count, check that no newer task configs appeared meanwhile, then write the
/// task-count record for the current generation.
pub async fn fence_zombies_as_leader(core: &Arc<Core>, connector: &str) -> Result<()> {
    core.configs.refresh(Duration::from_secs(30)).await?;
    let snapshot = core.configs.snapshot();
    if !snapshot.pending_fencing(connector) {
        return Ok(());
    }
    let generation = snapshot.task_config_generation(connector);
    let task_count = snapshot.task_count(connector);
    if let Some(previous) = snapshot.task_count_record(connector) {
        if !(previous == 1 && task_count == 1) {
            let ids: Vec<String> = (0..previous.max(0) as u32)
                .map(|t| task_transactional_id(&core.config.distributed.group_id, connector, t))
                .collect();
            tracing::info!(
                connector,
                tasks = previous,
                "fencing out zombie source tasks of the previous generation"
            );
            fence_producers(&fence_settings(core), &ids, Duration::from_secs(90)).await?;
            core.configs.refresh(Duration::from_secs(30)).await?;
            if core.configs.snapshot().task_config_generation(connector) != generation {
                return Err(Error::conflict(
                    "Fencing failed because new task configurations were generated for the connector",
                ));
            }
        }
    }
    core.configs
        .put_task_count_record(connector, task_count)
        .await
}

fn fence_settings(core: &Core) -> FenceSettings {
    FenceSettings {
        bootstrap_servers: core.worker.config.bootstrap_servers.clone(),
        client_id: format!("{}-fencing", core.config.distributed.group_id),
        request_timeout: Duration::from_secs(30),
        transaction_timeout_ms: 60_000,
    }
}

/// Java's `verifyTaskGenerationAndOwnership`: after the task's producer initialised (fencing
/// its own predecessors), the task starts only if its task configs are still the latest and
/// it is still assigned to this worker.
async fn verify_generation_and_ownership(
    core: &Arc<Core>,
    connector: &str,
    task: u32,
    generation: Option<i32>,
) -> Result<()> {
    core.configs.refresh(Duration::from_secs(30)).await?;
    let current = core.configs.snapshot().task_config_generation(connector);
    if current != generation {
        return Err(Error::conflict(format!(
            "Cannot start source task {connector}-{task} with exactly-once support as the connector has already generated a new set of task configs"
        )));
    }
    let assigned = core
        .group()
        .tasks
        .iter()
        .any(|t| t.connector == connector && t.task == task);
    if !assigned {
        return Err(Error::conflict(format!(
            "Cannot start source task {connector}-{task} as it has already been revoked from this worker"
        )));
    }
    // Java's `offsetStore.start()`: the task reads its offsets only after the offsets topic
    // was read to its end (with read_committed: up to the last stable offset, which the
    // producer's initialisation just moved past any transaction its predecessor left open).
    core.offsets_log.read_to_end().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transactional_ids_are_formed_as_java_forms_them() {
        assert_eq!(
            task_transactional_id("connect-cluster", "orders-src", 3),
            "connect-cluster-orders-src-3"
        );
    }
}
