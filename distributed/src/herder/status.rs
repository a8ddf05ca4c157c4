//! The status topic as this worker uses it: every record read updates the [`StatusStore`]
//! (all workers' statuses, what `GET /connectors/{c}/status` answers from), and the statuses of
//! this worker's connectors and tasks are written to it (Java's `KafkaStatusBackingStore`).
//!
//! Writes are asynchronous, as Java's are: a status goes to the producer at once and a
//! retriable failure is sent again while [`StatusStore::should_retry`] says the write still
//! matters (no newer write or generation replaced it).

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use strait_engine::runtime::{State, Status as RuntimeStatus};

use crate::kafka_log::KafkaLog;
use crate::status_store::{PendingStatusWrite, Status, StatusState, StatusStore};
use crate::worker::StatusListener;

/// Pause between attempts of a failed status write (Java retries on its work thread).
const RETRY_BACKOFF: Duration = Duration::from_millis(200);
/// Attempts of one status write before it is given up (logged).
const MAX_ATTEMPTS: u32 = 20;

/// Writes this worker's statuses and keeps everyone's (fed by the status topic's reader).
pub struct StatusWriter {
    pub store: Arc<Mutex<StatusStore>>,
    log: std::sync::OnceLock<Arc<KafkaLog>>,
    worker_id: String,
    /// The group generation written with each status.
    generation: AtomicI32,
}

impl std::fmt::Debug for StatusWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StatusWriter({})", self.worker_id)
    }
}

impl StatusWriter {
    pub fn new(store: Arc<Mutex<StatusStore>>, worker_id: String) -> Self {
        StatusWriter {
            store,
            log: std::sync::OnceLock::new(),
            worker_id,
            generation: AtomicI32::new(-1),
        }
    }

    /// Attach the status topic's log (created after the store, whose records it feeds).
    pub fn attach(&self, log: Arc<KafkaLog>) {
        let _ = self.log.set(log);
    }

    pub fn set_generation(&self, generation: i32) {
        self.generation.store(generation, Ordering::Release);
    }

    fn status(&self, status: &RuntimeStatus, version: Option<&str>) -> Status {
        Status {
            state: StatusState::from(status.state),
            trace: status.trace.clone(),
            worker_id: self.worker_id.clone(),
            generation: self.generation.load(Ordering::Acquire),
            version: version.map(str::to_string),
        }
    }

    /// Java writes UNASSIGNED (shutdown) and FAILED with `putSafe`: a worker that lost the work
    /// in a newer generation must not overwrite its new owner's status.
    fn is_safe_write(state: State) -> bool {
        matches!(state, State::Unassigned | State::Failed)
    }

    fn send(&self, write: Option<PendingStatusWrite>) {
        let (Some(write), Some(log)) = (write, self.log.get().cloned()) else {
            return;
        };
        // Enqueued here, in call order: PAUSED then RUNNING must reach the topic in that order
        // (enqueuing from the spawned task could swap them, leaving a resumed task PAUSED).
        let first = log.send(write.key.as_bytes(), write.value.as_deref());
        let store = self.store.clone();
        tokio::spawn(async move {
            let mut pending = first;
            for attempt in 1..=MAX_ATTEMPTS {
                match pending.await {
                    Ok(_) => return,
                    Err(e) if e.is_retriable() && attempt < MAX_ATTEMPTS => {
                        let retry = store
                            .lock()
                            .map(|s| s.should_retry(&write))
                            .unwrap_or(false);
                        if !retry {
                            return;
                        }
                        tracing::warn!(key = %write.key, error = %e, "status write failed; retrying");
                        tokio::time::sleep(RETRY_BACKOFF).await;
                        pending = log.send(write.key.as_bytes(), write.value.as_deref());
                    }
                    Err(e) => {
                        tracing::error!(key = %write.key, error = %e, "status write failed");
                        return;
                    }
                }
            }
        });
    }

    /// DESTROYED (a tombstone) for a deleted connector and its tasks (Java's `onDeletion`).
    pub fn destroyed(&self, connector: &str, tasks: &[u32]) {
        self.destroy(connector, tasks, true);
    }

    /// DESTROYED for tasks that no longer exist (a connector's task set shrank or was emptied
    /// by a stop).
    pub fn destroyed_tasks(&self, connector: &str, tasks: &[u32]) {
        self.destroy(connector, tasks, false);
    }

    fn destroy(&self, connector: &str, tasks: &[u32], with_connector: bool) {
        let destroyed = Status {
            state: StatusState::Destroyed,
            trace: None,
            worker_id: self.worker_id.clone(),
            generation: self.generation.load(Ordering::Acquire),
            version: None,
        };
        let writes: Vec<_> = match self.store.lock() {
            Ok(mut s) => {
                let mut w: Vec<_> = tasks
                    .iter()
                    .map(|t| s.prepare_task(connector, *t, &destroyed, false))
                    .collect();
                if with_connector {
                    w.push(s.prepare_connector(connector, &destroyed, false));
                }
                w
            }
            Err(_) => Vec::new(),
        };
        for w in writes {
            self.send(w);
        }
    }

    /// The leader's clean-up after a rebalance (Java's `updateDeletedConnectorStatus` and
    /// `updateDeletedTaskStatus`): statuses of connectors that no longer exist, and of tasks
    /// beyond a connector's current task set, are removed.
    pub fn clean_up(&self, snapshot: &crate::config_store::ClusterConfigSnapshot) {
        let stale: Vec<(String, bool, Vec<u32>)> = match self.store.lock() {
            Ok(s) => s
                .connectors()
                .into_iter()
                .filter_map(|c| {
                    let exists = snapshot.contains(&c);
                    let remaining: Vec<u32> = snapshot.tasks(&c).iter().map(|t| t.task).collect();
                    let gone: Vec<u32> = s
                        .tasks(&c)
                        .into_iter()
                        .map(|(id, _)| id)
                        .filter(|id| !exists || !remaining.contains(id))
                        .collect();
                    (!exists || !gone.is_empty()).then_some((c, !exists, gone))
                })
                .collect(),
            Err(_) => return,
        };
        for (connector, deleted, tasks) in stale {
            tracing::debug!(%connector, ?tasks, deleted, "cleaning status information");
            self.destroy(&connector, &tasks, deleted);
        }
    }
}

impl StatusListener for StatusWriter {
    fn connector(&self, name: &str, status: &RuntimeStatus, version: Option<&str>) {
        let record = self.status(status, version);
        let write = self.store.lock().ok().and_then(|mut s| {
            s.prepare_connector(name, &record, Self::is_safe_write(status.state))
        });
        self.send(write);
    }

    fn task(&self, connector: &str, task: u32, status: &RuntimeStatus, version: Option<&str>) {
        let record = self.status(status, version);
        let write = self.store.lock().ok().and_then(|mut s| {
            s.prepare_task(connector, task, &record, Self::is_safe_write(status.state))
        });
        self.send(write);
    }
}
