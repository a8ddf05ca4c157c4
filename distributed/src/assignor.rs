//! The group leader's assignment of connectors and tasks to workers, as Java computes it.
//!
//! * [`eager_assignment`]: Java's `EagerAssignor` (protocol `default`): every rebalance revokes
//!   everything (members do that themselves before joining), then connectors and then tasks are
//!   dealt round robin over the members sorted by member id.
//! * [`IncrementalCooperativeAssignor`]: Java's `IncrementalCooperativeAssignor` (KIP-415,
//!   protocols `compatible` and `sessioned`). It keeps state between rebalances (the previous
//!   assignment, the scheduled rebalance, the revocation back-off), so the leader keeps one
//!   instance for as long as it is the leader; a new leader starts from a fresh one, as in Java.
//!
//! Both are pure: the caller passes the decoded member metadata, the leader's view of the config
//! topic and the clock, and gets one [`Assignment`] per member, to encode with
//! [`crate::protocol::encode_assignment`] for the group's protocol.
//!
//! Config topic check (`ensureLeaderConfig`): the leader must have read the config topic at least
//! as far as every member reports. The caller passes the snapshot it joined with and a closure
//! that reads its freshest snapshot, which is only called when the first is behind; if even that
//! is behind, every member gets a `CONFIG_MISMATCH` assignment (members then read to the end of
//! the config topic and rejoin).
//!
//! Java's orders are kept where they decide *which* connector or task moves: members are
//! iterated in `java.util.HashMap` order of their ids, candidate workers in `HashSet` order, sets
//! built with `new HashSet<>(..)` in that order (see `protocol::java_hash_set_order`), sorted sets
//! with `String.compareTo`. Where Strait differs from Java: nothing in the decisions; the
//! emulated hash orders share the caveats documented in [`crate::protocol`].

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::protocol::{
    java_hash_set_order, java_str_cmp, java_string_hash, Assignment, ConnectProtocolCompatibility,
    JavaSetSizing, TaskId, WorkerState, CONFIG_MISMATCH, NO_ERROR,
};

/// The leader's view of the config topic that assignments are computed from (the parts of Java's
/// `ClusterConfigState` the assignors read).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigSnapshot {
    /// The config topic offset the snapshot was taken at.
    pub offset: i64,
    /// Every configured connector with the number of tasks to run. A connector whose task
    /// configs are inconsistent must be given 0 tasks, as `ClusterConfigState.tasks()` does.
    pub connectors: BTreeMap<String, u32>,
}

impl ConfigSnapshot {
    fn sorted_connectors(&self) -> Vec<String> {
        let mut v: Vec<String> = self.connectors.keys().cloned().collect();
        v.sort_by(|a, b| java_str_cmp(a, b));
        v
    }

    fn tasks(&self, connector: &str) -> Vec<TaskId> {
        let n = self.connectors.get(connector).copied().unwrap_or(0);
        (0..n).map(|i| TaskId::new(connector, i)).collect()
    }
}

/// One group member as the JoinGroup response lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The member id the group coordinator gave it.
    pub member_id: String,
    /// Its decoded metadata ([`crate::protocol::decode_metadata`]).
    pub state: WorkerState,
}

/// Connectors and tasks, each without duplicates, in insertion order (Java's
/// `ConnectorsAndTasks` built on `LinkedHashSet`s).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectorsAndTasks {
    pub connectors: Vec<String>,
    pub tasks: Vec<TaskId>,
}

impl ConnectorsAndTasks {
    /// A value from possibly repeating lists (keeps the first of each).
    pub fn new(
        connectors: impl IntoIterator<Item = String>,
        tasks: impl IntoIterator<Item = TaskId>,
    ) -> Self {
        let mut c = ConnectorsAndTasks::default();
        c.add_connectors(connectors);
        c.add_tasks(tasks);
        c
    }

    /// Whether there is neither a connector nor a task.
    pub fn is_empty(&self) -> bool {
        self.connectors.is_empty() && self.tasks.is_empty()
    }

    fn add_connectors(&mut self, items: impl IntoIterator<Item = String>) {
        for c in items {
            if !self.connectors.contains(&c) {
                self.connectors.push(c);
            }
        }
    }

    fn add_tasks(&mut self, items: impl IntoIterator<Item = TaskId>) {
        for t in items {
            if !self.tasks.contains(&t) {
                self.tasks.push(t);
            }
        }
    }

    fn add_all(&mut self, other: &ConnectorsAndTasks) {
        self.add_connectors(other.connectors.iter().cloned());
        self.add_tasks(other.tasks.iter().cloned());
    }
}

/// The leader's result: each member's assignment plus who owns what (Java's `LeaderState`,
/// which the leader uses to forward REST requests to a connector's or task's owner).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaderAssignment {
    /// One assignment per member, in the JoinGroup response's member order.
    pub assignments: Vec<(String, Assignment)>,
    /// Connector name to the member id running it after this rebalance (empty on mismatch).
    pub connector_owners: BTreeMap<String, String>,
    /// Task to the member id running it after this rebalance (empty on mismatch).
    pub task_owners: BTreeMap<TaskId, String>,
    /// Whether the fresh snapshot was read (Java then replaces the coordinator's snapshot).
    pub used_fresh_snapshot: bool,
}

/// `ensureLeaderConfig`: `Ok((snapshot, offset))` to assign with, `Err(max_offset)` when the
/// leader is behind.
fn ensure_leader_config(
    members: &[Member],
    join_snapshot: &ConfigSnapshot,
    fresh_snapshot: impl FnOnce() -> ConfigSnapshot,
) -> (std::result::Result<(ConfigSnapshot, i64), i64>, bool) {
    let max_offset = members
        .iter()
        .map(|m| m.state.offset)
        .max()
        .unwrap_or(join_snapshot.offset);
    if join_snapshot.offset < max_offset {
        let fresh = fresh_snapshot();
        if fresh.offset < max_offset {
            (Err(max_offset), true)
        } else {
            let offset = fresh.offset;
            (Ok((fresh, offset)), true)
        }
    } else {
        (Ok((join_snapshot.clone(), max_offset)), false)
    }
}

fn leader_url(members: &[Member], leader_id: &str) -> String {
    members
        .iter()
        .find(|m| m.member_id == leader_id)
        .map(|m| m.state.url.clone())
        .unwrap_or_default()
}

#[allow(clippy::too_many_arguments)]
fn plain_assignment(
    version: i16,
    error: i16,
    leader_id: &str,
    leader_url: &str,
    offset: i64,
    connectors: Vec<String>,
    tasks: Vec<TaskId>,
    revoked: Option<&ConnectorsAndTasks>,
    delay: i32,
) -> Assignment {
    Assignment {
        version,
        error,
        leader: leader_id.to_string(),
        leader_url: leader_url.to_string(),
        offset,
        connectors,
        tasks,
        revoked_connectors: revoked.map(|r| r.connectors.clone()).unwrap_or_default(),
        revoked_tasks: revoked.map(|r| r.tasks.clone()).unwrap_or_default(),
        delay,
    }
}

fn mismatch(
    members: &[Member],
    leader_id: &str,
    version: i16,
    max_offset: i64,
) -> LeaderAssignment {
    let url = leader_url(members, leader_id);
    LeaderAssignment {
        assignments: members
            .iter()
            .map(|m| {
                let a = plain_assignment(
                    version,
                    CONFIG_MISMATCH,
                    leader_id,
                    &url,
                    max_offset,
                    vec![],
                    vec![],
                    None,
                    0,
                );
                (m.member_id.clone(), a)
            })
            .collect(),
        connector_owners: BTreeMap::new(),
        task_owners: BTreeMap::new(),
        used_fresh_snapshot: true,
    }
}

/// Java's `EagerAssignor.performAssignment`: connectors (sorted) and then each connector's tasks
/// (sorted) dealt round robin over the members sorted by id, one iterator for both.
pub fn eager_assignment(
    leader_id: &str,
    members: &[Member],
    join_snapshot: &ConfigSnapshot,
    fresh_snapshot: impl FnOnce() -> ConfigSnapshot,
) -> LeaderAssignment {
    let (checked, used_fresh) = ensure_leader_config(members, join_snapshot, fresh_snapshot);
    let (snapshot, offset) = match checked {
        Ok(s) => s,
        Err(max) => return mismatch(members, leader_id, 0, max),
    };
    let mut sorted_members: Vec<&str> = members.iter().map(|m| m.member_id.as_str()).collect();
    sorted_members.sort_by(|a, b| java_str_cmp(a, b));
    sorted_members.dedup();
    let mut connectors: HashMap<&str, Vec<String>> = HashMap::new();
    let mut tasks: HashMap<&str, Vec<TaskId>> = HashMap::new();
    let mut connector_owners = BTreeMap::new();
    let mut task_owners = BTreeMap::new();
    if !sorted_members.is_empty() {
        let mut next = sorted_members.iter().cycle();
        let sorted_connectors = snapshot.sorted_connectors();
        for c in &sorted_connectors {
            if let Some(m) = next.next() {
                connectors.entry(m).or_default().push(c.clone());
                connector_owners.insert(c.clone(), m.to_string());
            }
        }
        for c in &sorted_connectors {
            for t in snapshot.tasks(c) {
                if let Some(m) = next.next() {
                    task_owners.insert(t.clone(), m.to_string());
                    tasks.entry(m).or_default().push(t);
                }
            }
        }
    }
    let url = leader_url(members, leader_id);
    let assignments = members
        .iter()
        .map(|m| {
            let id = m.member_id.as_str();
            let a = plain_assignment(
                0,
                NO_ERROR,
                leader_id,
                &url,
                offset,
                connectors.get(id).cloned().unwrap_or_default(),
                tasks.get(id).cloned().unwrap_or_default(),
                None,
                0,
            );
            (m.member_id.clone(), a)
        })
        .collect();
    LeaderAssignment {
        assignments,
        connector_owners,
        task_owners,
        used_fresh_snapshot: used_fresh,
    }
}

/// A worker's load while the assignment is computed (Java's `WorkerLoad`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct WorkerLoad {
    worker: String,
    connectors: Vec<String>,
    tasks: Vec<TaskId>,
}

impl WorkerLoad {
    fn is_empty(&self) -> bool {
        self.connectors.is_empty() && self.tasks.is_empty()
    }
}

/// What one incremental cooperative round decided, per worker (Java's `ClusterAssignment`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterAssignment {
    /// What each worker starts this round.
    pub newly_assigned: BTreeMap<String, ConnectorsAndTasks>,
    /// What each worker stops this round.
    pub newly_revoked: BTreeMap<String, ConnectorsAndTasks>,
    /// What each worker runs once this round is applied.
    pub all_assigned: BTreeMap<String, ConnectorsAndTasks>,
}

/// Java's `ExponentialBackoff(maxDelay == 0 ? 0 : 1, 40, maxDelay, 0)` for successive revoking
/// rebalances (no jitter).
#[derive(Debug, Clone)]
struct RevocationBackoff {
    initial: i64,
    max: i64,
    exp_max: f64,
}

impl RevocationBackoff {
    fn new(max_delay: i32) -> Self {
        let max = i64::from(max_delay);
        let initial = if max_delay == 0 { 0 } else { 1 }.min(max);
        let exp_max = if max > initial {
            ((max as f64) / (initial.max(1) as f64)).ln() / 40f64.ln()
        } else {
            0.0
        };
        RevocationBackoff {
            initial,
            max,
            exp_max,
        }
    }

    fn backoff(&self, attempts: u32) -> i64 {
        if self.exp_max == 0.0 {
            return self.initial;
        }
        let exp = f64::from(attempts).min(self.exp_max);
        let term = self.initial as f64 * 40f64.powf(exp);
        (term as i64).min(self.max)
    }
}

/// Java's `IncrementalCooperativeAssignor`: the state a leader keeps across rebalances.
#[derive(Debug, Clone)]
pub struct IncrementalCooperativeAssignor {
    max_delay: i32,
    previous_assignment: ConnectorsAndTasks,
    previous_revocation: ConnectorsAndTasks,
    revoked_in_previous: bool,
    candidate_workers_for_reassignment: Vec<String>,
    scheduled_rebalance: i64,
    delay: i32,
    previous_generation_id: i32,
    previous_members: HashSet<String>,
    backoff: RevocationBackoff,
    num_successive_revoking_rebalances: u32,
}

impl IncrementalCooperativeAssignor {
    /// A fresh assignor; `max_delay_ms` is `scheduled.rebalance.max.delay.ms`.
    pub fn new(max_delay_ms: i32) -> Self {
        IncrementalCooperativeAssignor {
            max_delay: max_delay_ms,
            previous_assignment: ConnectorsAndTasks::default(),
            previous_revocation: ConnectorsAndTasks::default(),
            revoked_in_previous: false,
            candidate_workers_for_reassignment: Vec::new(),
            scheduled_rebalance: 0,
            delay: 0,
            previous_generation_id: -1,
            previous_members: HashSet::new(),
            backoff: RevocationBackoff::new(max_delay_ms),
            num_successive_revoking_rebalances: 0,
        }
    }

    /// The delay (ms) handed to members in the last round: when non-zero, members rejoin after
    /// it so that held-back work can be reassigned.
    pub fn delay(&self) -> i32 {
        self.delay
    }

    /// Java's `performAssignment` for the `compatible`/`sessioned` protocols: checks the config
    /// offsets, computes the round and returns each member's assignment (v1 or v2 per
    /// `protocol`). `last_completed_generation` is the generation of this worker's last
    /// successful join (-1 if none), `current_generation` the one being joined; `now_ms` is the
    /// wall clock in milliseconds.
    #[allow(clippy::too_many_arguments)]
    pub fn perform_assignment(
        &mut self,
        leader_id: &str,
        protocol: ConnectProtocolCompatibility,
        members: &[Member],
        join_snapshot: &ConfigSnapshot,
        fresh_snapshot: impl FnOnce() -> ConfigSnapshot,
        last_completed_generation: i32,
        current_generation: i32,
        now_ms: i64,
    ) -> LeaderAssignment {
        let version = protocol.version();
        let (checked, used_fresh) = ensure_leader_config(members, join_snapshot, fresh_snapshot);
        let (snapshot, offset) = match checked {
            Ok(s) => s,
            Err(max) => return mismatch(members, leader_id, version, max),
        };
        let member_assignments: Vec<(String, ConnectorsAndTasks)> = members
            .iter()
            .map(|m| {
                let current = m
                    .state
                    .assignment
                    .as_ref()
                    .map(|a| {
                        ConnectorsAndTasks::new(
                            a.connectors.iter().cloned(),
                            a.tasks.iter().cloned(),
                        )
                    })
                    .unwrap_or_default();
                (m.member_id.clone(), current)
            })
            .collect();
        let cluster = self.perform_task_assignment(
            &snapshot,
            last_completed_generation,
            current_generation,
            member_assignments,
            now_ms,
        );
        let url = leader_url(members, leader_id);
        let empty = ConnectorsAndTasks::default();
        let assignments = members
            .iter()
            .map(|m| {
                let id = &m.member_id;
                let new = cluster.newly_assigned.get(id).unwrap_or(&empty);
                let a = plain_assignment(
                    version,
                    NO_ERROR,
                    leader_id,
                    &url,
                    offset,
                    new.connectors.clone(),
                    new.tasks.clone(),
                    cluster.newly_revoked.get(id),
                    self.delay,
                );
                (id.clone(), a)
            })
            .collect();
        let mut connector_owners = BTreeMap::new();
        let mut task_owners = BTreeMap::new();
        for (worker, all) in &cluster.all_assigned {
            for c in &all.connectors {
                connector_owners.insert(c.clone(), worker.clone());
            }
            for t in &all.tasks {
                task_owners.insert(t.clone(), worker.clone());
            }
        }
        LeaderAssignment {
            assignments,
            connector_owners,
            task_owners,
            used_fresh_snapshot: used_fresh,
        }
    }

    /// The core of a round (Java's package-private `performTaskAssignment(ClusterConfigState,
    /// int, int, Map)`): `member_assignments` are what each member runs now, in the order the
    /// JoinGroup response lists them.
    pub fn perform_task_assignment(
        &mut self,
        config: &ConfigSnapshot,
        last_completed_generation: i32,
        current_generation: i32,
        member_assignments: Vec<(String, ConnectorsAndTasks)>,
        now_ms: i64,
    ) -> ClusterAssignment {
        // Java keeps the members in a HashMap; its iteration order decides which worker keeps an
        // extra connector or task when loads are balanced.
        let member_assignments: Vec<(String, ConnectorsAndTasks)> = {
            let order = java_hash_set_order(
                member_assignments.iter().map(|(id, _)| id.clone()),
                |s| java_string_hash(s),
                JavaSetSizing::Default,
            );
            let mut by_id: HashMap<String, ConnectorsAndTasks> =
                member_assignments.into_iter().collect();
            order
                .into_iter()
                .filter_map(|id| by_id.remove(&id).map(|a| (id, a)))
                .collect()
        };

        if self.previous_generation_id != last_completed_generation {
            // The leader did not complete the last round (or is new): its view is stale.
            self.previous_assignment = ConnectorsAndTasks::default();
        }

        let configured_connectors = config.sorted_connectors();
        let configured_tasks: Vec<TaskId> = configured_connectors
            .iter()
            .flat_map(|c| config.tasks(c))
            .collect();
        let configured = ConnectorsAndTasks {
            connectors: configured_connectors,
            tasks: configured_tasks,
        };

        let mut active = ConnectorsAndTasks::default();
        for (_, a) in &member_assignments {
            active.add_all(a);
        }

        // A revocation of the last round that some member did not apply: start over from what
        // the members actually run.
        if !self.previous_revocation.is_empty() {
            let not_applied = self
                .previous_revocation
                .connectors
                .iter()
                .any(|c| active.connectors.contains(c))
                || self
                    .previous_revocation
                    .tasks
                    .iter()
                    .any(|t| active.tasks.contains(t));
            if not_applied {
                self.previous_assignment = active.clone();
            }
            self.previous_revocation = ConnectorsAndTasks::default();
        }

        let deleted = diff(&self.previous_assignment, &[&configured]);
        let duplicated = duplicated_assignments(&member_assignments);
        let lost = diff(&self.previous_assignment, &[&active, &deleted]);
        let created = diff(&configured, &[&self.previous_assignment, &active]);

        // What each worker runs now, minus what was deleted (to compute what is new for it).
        let current: Vec<WorkerLoad> = member_assignments
            .iter()
            .map(|(w, a)| WorkerLoad {
                worker: w.clone(),
                connectors: a
                    .connectors
                    .iter()
                    .filter(|c| !deleted.connectors.contains(c))
                    .cloned()
                    .collect(),
                tasks: a
                    .tasks
                    .iter()
                    .filter(|t| !deleted.tasks.contains(t))
                    .cloned()
                    .collect(),
            })
            .collect();

        let mut to_revoke: BTreeMap<String, ConnectorsAndTasks> = BTreeMap::new();
        let deleted_to_revoke = intersection(&deleted, &member_assignments);
        add_all(&mut to_revoke, &deleted_to_revoke);
        let duplicated_to_revoke = intersection(&duplicated, &member_assignments);
        add_all(&mut to_revoke, &duplicated_to_revoke);

        let mut next: Vec<WorkerLoad> = member_assignments
            .iter()
            .map(|(w, a)| WorkerLoad {
                worker: w.clone(),
                connectors: a.connectors.clone(),
                tasks: a.tasks.clone(),
            })
            .collect();
        remove_all(&mut next, &deleted_to_revoke);
        remove_all(&mut next, &duplicated_to_revoke);

        let lost_to_reassign = self.handle_lost_assignments(&lost, &mut next, now_ms);

        if self.delay == 0 {
            let lb = perform_load_balancing_revocations(&configured, &next);
            if self.revoked_in_previous && !lb.is_empty() {
                self.num_successive_revoking_rebalances += 1;
                self.delay = i32::try_from(
                    self.backoff
                        .backoff(self.num_successive_revoking_rebalances),
                )
                .unwrap_or(i32::MAX);
                if self.delay != 0 {
                    self.scheduled_rebalance = now_ms + i64::from(self.delay);
                } else {
                    add_all(&mut to_revoke, &lb);
                    remove_all(&mut next, &lb);
                }
            } else if !lb.is_empty() {
                add_all(&mut to_revoke, &lb);
                remove_all(&mut next, &lb);
                self.revoked_in_previous = true;
            } else if self.revoked_in_previous {
                // Converged: reset the back-off.
                self.revoked_in_previous = false;
                self.num_successive_revoking_rebalances = 0;
            }
        } else {
            self.revoked_in_previous = false;
        }

        let mut to_assign = ConnectorsAndTasks::default();
        to_assign.add_all(&created);
        to_assign.add_all(&lost_to_reassign);
        assign_connectors(&mut next, &to_assign.connectors);
        assign_tasks(&mut next, &to_assign.tasks);

        let mut result = ClusterAssignment::default();
        let empty = ConnectorsAndTasks::default();
        for load in &next {
            let cur = current.iter().find(|c| c.worker == load.worker);
            let newly = ConnectorsAndTasks {
                connectors: load
                    .connectors
                    .iter()
                    .filter(|c| cur.is_none_or(|w| !w.connectors.contains(c)))
                    .cloned()
                    .collect(),
                tasks: load
                    .tasks
                    .iter()
                    .filter(|t| cur.is_none_or(|w| !w.tasks.contains(t)))
                    .cloned()
                    .collect(),
            };
            let revoked = to_revoke.get(&load.worker).unwrap_or(&empty);
            let all = ConnectorsAndTasks {
                connectors: load
                    .connectors
                    .iter()
                    .filter(|c| !revoked.connectors.contains(c))
                    .cloned()
                    .collect(),
                tasks: load
                    .tasks
                    .iter()
                    .filter(|t| !revoked.tasks.contains(t))
                    .cloned()
                    .collect(),
            };
            result.newly_assigned.insert(load.worker.clone(), newly);
            result.all_assigned.insert(load.worker.clone(), all);
        }
        result.newly_revoked = to_revoke;

        // computePreviousAssignment: what runs after this round, plus the lost work still held
        // back; remember the revocations to check next round that they were applied.
        let mut previous = ConnectorsAndTasks::default();
        for load in &next {
            previous.add_connectors(load.connectors.iter().cloned());
            previous.add_tasks(load.tasks.iter().cloned());
        }
        for revoked in result.newly_revoked.values() {
            previous
                .connectors
                .retain(|c| !revoked.connectors.contains(c));
            previous.tasks.retain(|t| !revoked.tasks.contains(t));
            self.previous_revocation.add_all(revoked);
        }
        previous.add_all(&lost);
        self.previous_assignment = previous;
        self.previous_generation_id = current_generation;
        self.previous_members = member_assignments.iter().map(|(w, _)| w.clone()).collect();
        result
    }

    /// Java's `handleLostAssignments`: decides whether the work of departed workers is
    /// reassigned now (returned, or put directly on the candidate workers in `next`) or held back
    /// until the scheduled rebalance.
    fn handle_lost_assignments(
        &mut self,
        lost: &ConnectorsAndTasks,
        next: &mut [WorkerLoad],
        now: i64,
    ) -> ConnectorsAndTasks {
        let mut to_reassign = ConnectorsAndTasks::default();
        if lost.is_empty() && !self.revoked_in_previous {
            self.reset_delay();
            return to_reassign;
        }
        let active: HashSet<&str> = next.iter().map(|w| w.worker.as_str()).collect();
        let all_previous_present = self
            .previous_members
            .iter()
            .all(|m| active.contains(m.as_str()));
        if self.scheduled_rebalance <= 0 && all_previous_present {
            // Nobody left: the lost work is probably from members that missed the last
            // assignment; reassign it as new.
            to_reassign.add_all(lost);
            return to_reassign;
        } else if self.max_delay == 0 {
            to_reassign.add_all(lost);
            return to_reassign;
        }

        if self.scheduled_rebalance > 0 && now >= self.scheduled_rebalance {
            // The delay expired: give the lost work to the workers that were empty meanwhile
            // (round robin), or treat it as new if there are none.
            let candidates: Vec<usize> = self
                .candidate_workers_for_reassignment
                .iter()
                .filter_map(|c| next.iter().position(|w| &w.worker == c))
                .collect();
            if !candidates.is_empty() {
                for (i, c) in lost.connectors.iter().enumerate() {
                    next[candidates[i % candidates.len()]]
                        .connectors
                        .push(c.clone());
                }
                for (i, t) in lost.tasks.iter().enumerate() {
                    next[candidates[i % candidates.len()]].tasks.push(t.clone());
                }
            } else {
                to_reassign.add_all(lost);
            }
            self.reset_delay();
            self.revoked_in_previous = false;
        } else {
            let empty_workers = java_hash_set_order(
                next.iter()
                    .filter(|w| w.is_empty())
                    .map(|w| w.worker.clone()),
                |s| java_string_hash(s),
                JavaSetSizing::Default,
            );
            for w in empty_workers {
                if !self.candidate_workers_for_reassignment.contains(&w) {
                    self.candidate_workers_for_reassignment.push(w);
                }
            }
            if now < self.scheduled_rebalance {
                let diff = self.scheduled_rebalance - now;
                self.delay = if diff > 0 {
                    i32::try_from(diff.min(i64::from(self.max_delay))).unwrap_or(self.max_delay)
                } else {
                    0
                };
            } else {
                self.delay = self.max_delay;
            }
            self.scheduled_rebalance = now + i64::from(self.delay);
        }
        to_reassign
    }

    fn reset_delay(&mut self) {
        self.candidate_workers_for_reassignment.clear();
        self.scheduled_rebalance = 0;
        self.delay = 0;
    }
}

/// `diff(base, toSubtract...)`: sorted (Java's `TreeSet`) set difference.
fn diff(base: &ConnectorsAndTasks, subtract: &[&ConnectorsAndTasks]) -> ConnectorsAndTasks {
    let mut connectors: Vec<String> = base
        .connectors
        .iter()
        .filter(|c| !subtract.iter().any(|s| s.connectors.contains(c)))
        .cloned()
        .collect();
    connectors.sort_by(|a, b| java_str_cmp(a, b));
    connectors.dedup();
    let mut tasks: Vec<TaskId> = base
        .tasks
        .iter()
        .filter(|t| !subtract.iter().any(|s| s.tasks.contains(t)))
        .cloned()
        .collect();
    tasks.sort();
    tasks.dedup();
    ConnectorsAndTasks { connectors, tasks }
}

/// Connectors and tasks that more than one member runs.
fn duplicated_assignments(members: &[(String, ConnectorsAndTasks)]) -> ConnectorsAndTasks {
    let mut connector_counts: HashMap<&String, usize> = HashMap::new();
    let mut task_counts: HashMap<&TaskId, usize> = HashMap::new();
    for (_, a) in members {
        for c in &a.connectors {
            *connector_counts.entry(c).or_default() += 1;
        }
        for t in &a.tasks {
            *task_counts.entry(t).or_default() += 1;
        }
    }
    let mut connectors: Vec<String> = connector_counts
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(c, _)| c.clone())
        .collect();
    connectors.sort();
    let mut tasks: Vec<TaskId> = task_counts
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(t, _)| t.clone())
        .collect();
    tasks.sort();
    ConnectorsAndTasks { connectors, tasks }
}

/// `intersection`: for every member, which of `of` it runs, in the order of Java's
/// `new HashSet<>(memberAssignment)`.
fn intersection(
    of: &ConnectorsAndTasks,
    members: &[(String, ConnectorsAndTasks)],
) -> BTreeMap<String, ConnectorsAndTasks> {
    members
        .iter()
        .map(|(w, a)| {
            let connectors = java_hash_set_order(
                a.connectors.iter().cloned(),
                |s| java_string_hash(s),
                JavaSetSizing::FromCollection(a.connectors.len()),
            )
            .into_iter()
            .filter(|c| of.connectors.contains(c))
            .collect();
            let tasks = java_hash_set_order(
                a.tasks.iter().cloned(),
                TaskId::java_hash,
                JavaSetSizing::FromCollection(a.tasks.len()),
            )
            .into_iter()
            .filter(|t| of.tasks.contains(t))
            .collect();
            (w.clone(), ConnectorsAndTasks { connectors, tasks })
        })
        .collect()
}

fn add_all(
    base: &mut BTreeMap<String, ConnectorsAndTasks>,
    add: &BTreeMap<String, ConnectorsAndTasks>,
) {
    for (w, a) in add {
        base.entry(w.clone()).or_default().add_all(a);
    }
}

fn remove_all(loads: &mut [WorkerLoad], remove: &BTreeMap<String, ConnectorsAndTasks>) {
    for load in loads {
        if let Some(r) = remove.get(&load.worker) {
            load.connectors.retain(|c| !r.connectors.contains(c));
            load.tasks.retain(|t| !r.tasks.contains(t));
        }
    }
}

/// `performLoadBalancingRevocations`: revoke from each worker what it runs beyond its fair share.
fn perform_load_balancing_revocations(
    configured: &ConnectorsAndTasks,
    workers: &[WorkerLoad],
) -> BTreeMap<String, ConnectorsAndTasks> {
    let mut result: BTreeMap<String, ConnectorsAndTasks> = BTreeMap::new();
    if workers.iter().all(WorkerLoad::is_empty) || configured.is_empty() {
        return result;
    }
    let connector_revocations =
        load_balancing_revocations(configured.connectors.len(), workers, |w| &w.connectors);
    let task_revocations =
        load_balancing_revocations(configured.tasks.len(), workers, |w| &w.tasks);
    for (w, revoked) in connector_revocations {
        result.entry(w).or_default().add_connectors(revoked);
    }
    for (w, revoked) in task_revocations {
        result.entry(w).or_default().add_tasks(revoked);
    }
    result
}

/// `loadBalancingRevocations` for one kind of resource: `total / workers` each, the first
/// `total % workers` workers (in iteration order) holding more than that may keep one extra;
/// the revoked ones are the first in each worker's list.
fn load_balancing_revocations<E: Clone>(
    total: usize,
    workers: &[WorkerLoad],
    allocation: impl Fn(&WorkerLoad) -> &Vec<E>,
) -> Vec<(String, Vec<E>)> {
    let n = workers.len();
    let min_per_worker = total / n;
    let extra = total % n;
    let at_min = workers
        .iter()
        .filter(|w| allocation(w).len() == min_per_worker)
        .count();
    let at_extra = workers
        .iter()
        .filter(|w| allocation(w).len() == min_per_worker + 1)
        .count();
    if at_extra == extra && at_min + at_extra == n {
        return Vec::new();
    }
    let mut result = Vec::new();
    let mut allocated_extras = 0;
    for w in workers {
        let size = allocation(w).len();
        if size <= min_per_worker {
            continue;
        }
        let max_for_worker = if allocated_extras < extra {
            allocated_extras += 1;
            if size == min_per_worker + 1 {
                continue;
            }
            min_per_worker + 1
        } else {
            min_per_worker
        };
        let revoked: Vec<E> = allocation(w)
            .iter()
            .take(size - max_for_worker)
            .cloned()
            .collect();
        result.push((w.worker.clone(), revoked));
    }
    result
}

/// `assignConnectors`: fill the least loaded workers first, round robin among equals (sorted by
/// load, then member id).
fn assign_connectors(workers: &mut [WorkerLoad], connectors: &[String]) {
    if workers.is_empty() {
        return;
    }
    workers.sort_by(|a, b| {
        a.connectors
            .len()
            .cmp(&b.connectors.len())
            .then_with(|| java_str_cmp(&a.worker, &b.worker))
    });
    let mut load = connectors.iter().peekable();
    while load.peek().is_some() {
        let first_load = workers[0].connectors.len();
        let up_to = workers
            .iter()
            .position(|w| w.connectors.len() > first_load)
            .unwrap_or(workers.len());
        for w in workers[..up_to].iter_mut() {
            match load.next() {
                Some(c) => w.connectors.push(c.clone()),
                None => break,
            }
        }
    }
}

/// `assignTasks`: as [`assign_connectors`], for tasks.
fn assign_tasks(workers: &mut [WorkerLoad], tasks: &[TaskId]) {
    if workers.is_empty() {
        return;
    }
    workers.sort_by(|a, b| {
        a.tasks
            .len()
            .cmp(&b.tasks.len())
            .then_with(|| java_str_cmp(&a.worker, &b.worker))
    });
    let mut load = tasks.iter().peekable();
    while load.peek().is_some() {
        let first_load = workers[0].tasks.len();
        let up_to = workers
            .iter()
            .position(|w| w.tasks.len() > first_load)
            .unwrap_or(workers.len());
        for w in workers[..up_to].iter_mut() {
            match load.next() {
                Some(t) => w.tasks.push(t.clone()),
                None => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DEFAULT_DELAY: i32 = 300_000;

    /// Mirrors the harness of Java's `IncrementalCooperativeAssignorTest`.
    struct Harness {
        connectors: BTreeMap<String, u32>,
        now: i64,
        max_delay: i32,
        assignor: IncrementalCooperativeAssignor,
        generation: i32,
        returned: ClusterAssignment,
        members: BTreeMap<String, ConnectorsAndTasks>,
    }

    impl Harness {
        /// `setup()`: connector1 and connector2 with 4 tasks each, an empty worker1.
        fn new(max_delay: i32) -> Self {
            let mut h = Harness {
                connectors: BTreeMap::new(),
                now: 1_700_000_000_000,
                max_delay,
                assignor: IncrementalCooperativeAssignor::new(max_delay),
                generation: 1000,
                returned: ClusterAssignment::default(),
                members: BTreeMap::new(),
            };
            h.add_connector("connector1", 4);
            h.add_connector("connector2", 4);
            h.add_empty_workers(&["worker1"]);
            h.init_assignor();
            h
        }

        fn init_assignor(&mut self) {
            self.assignor = IncrementalCooperativeAssignor::new(self.max_delay);
            self.assignor.previous_generation_id = self.generation;
        }

        fn add_connector(&mut self, name: &str, tasks: u32) {
            assert!(self.connectors.insert(name.into(), tasks).is_none());
        }

        fn remove_connector(&mut self, name: &str) {
            assert!(self.connectors.remove(name).is_some());
        }

        fn add_empty_workers(&mut self, names: &[&str]) {
            for n in names {
                self.add_worker(n, vec![], vec![]);
            }
        }

        fn add_worker(&mut self, name: &str, connectors: Vec<String>, tasks: Vec<TaskId>) {
            let prev = self
                .members
                .insert(name.into(), ConnectorsAndTasks::new(connectors, tasks));
            assert!(prev.is_none());
        }

        fn remove_workers(&mut self, names: &[&str]) {
            for n in names {
                assert!(self.members.remove(*n).is_some());
            }
        }

        fn config(&self) -> ConfigSnapshot {
            ConfigSnapshot {
                offset: 618,
                connectors: self.connectors.clone(),
            }
        }

        fn rebalance(&mut self, failure: bool, generation_mismatch: bool) {
            self.generation += 1;
            let last = if generation_mismatch {
                self.generation - 2
            } else {
                self.generation - 1
            };
            let members: Vec<(String, ConnectorsAndTasks)> = self
                .members
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            self.returned = self.assignor.perform_task_assignment(
                &self.config(),
                last,
                self.generation,
                members,
                self.now,
            );
            self.assert_no_redundant_assignments();
            if !failure {
                self.apply();
            }
        }

        fn standard(&mut self) {
            self.rebalance(false, false);
        }

        fn apply(&mut self) {
            let empty = ConnectorsAndTasks::default();
            let workers: HashSet<String> = self
                .returned
                .newly_assigned
                .keys()
                .chain(self.returned.newly_revoked.keys())
                .chain(self.returned.all_assigned.keys())
                .cloned()
                .collect();
            for w in workers {
                let revoked = self
                    .returned
                    .newly_revoked
                    .get(&w)
                    .unwrap_or(&empty)
                    .clone();
                let new = self
                    .returned
                    .newly_assigned
                    .get(&w)
                    .unwrap_or(&empty)
                    .clone();
                let m = self.members.entry(w.clone()).or_default();
                m.connectors.retain(|c| !revoked.connectors.contains(c));
                m.tasks.retain(|t| !revoked.tasks.contains(t));
                m.add_connectors(new.connectors);
                m.add_tasks(new.tasks);
                let all = &self.returned.all_assigned[&w];
                let set = |v: &[String]| v.iter().cloned().collect::<HashSet<_>>();
                let tset = |v: &[TaskId]| v.iter().cloned().collect::<HashSet<_>>();
                assert_eq!(
                    set(&m.connectors),
                    set(&all.connectors),
                    "connectors of {w}"
                );
                assert_eq!(tset(&m.tasks), tset(&all.tasks), "tasks of {w}");
            }
        }

        fn allocations(&self, tasks: bool) -> Vec<usize> {
            let mut v: Vec<usize> = self
                .members
                .values()
                .map(|m| {
                    if tasks {
                        m.tasks.len()
                    } else {
                        m.connectors.len()
                    }
                })
                .collect();
            v.sort();
            v
        }

        fn assert_connectors(&self, want: &[usize]) {
            let mut want = want.to_vec();
            want.sort();
            assert_eq!(self.allocations(false), want, "connector allocations");
        }

        fn assert_tasks(&self, want: &[usize]) {
            let mut want = want.to_vec();
            want.sort();
            assert_eq!(self.allocations(true), want, "task allocations");
        }

        fn assert_workers(&self, want: &[&str]) {
            let got: HashSet<&str> = self
                .returned
                .all_assigned
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(got, want.iter().copied().collect::<HashSet<_>>());
        }

        fn assert_delay(&self, want: i32) {
            assert_eq!(self.assignor.delay, want, "delay");
        }

        fn assert_no_revocations(&self) {
            for (w, r) in &self.returned.newly_revoked {
                assert!(r.is_empty(), "revocations for {w}: {r:?}");
            }
        }

        fn assert_empty_assignment(&self) {
            self.assert_no_revocations();
            for (w, a) in &self.returned.newly_assigned {
                assert!(a.is_empty(), "new assignments for {w}: {a:?}");
            }
        }

        fn assert_no_redundant_assignments(&self) {
            let mut new_connectors = Vec::new();
            let mut new_tasks = Vec::new();
            for a in self.returned.newly_assigned.values() {
                new_connectors.extend(a.connectors.iter().cloned());
                new_tasks.extend(a.tasks.iter().cloned());
            }
            let distinct: HashSet<_> = new_connectors.iter().collect();
            assert_eq!(
                distinct.len(),
                new_connectors.len(),
                "duplicate new connectors"
            );
            let distinct: HashSet<_> = new_tasks.iter().collect();
            assert_eq!(distinct.len(), new_tasks.len(), "duplicate new tasks");
            for m in self.members.values() {
                assert!(m.connectors.iter().all(|c| !new_connectors.contains(c)));
                assert!(m.tasks.iter().all(|t| !new_tasks.contains(t)));
            }
        }

        fn assert_balanced_and_complete(&self) {
            let c = self.allocations(false);
            let t = self.allocations(true);
            assert!(c[c.len() - 1] - c[0] <= 1, "connectors imbalanced: {c:?}");
            assert!(t[t.len() - 1] - t[0] <= 1, "tasks imbalanced: {t:?}");
            let mut all_c: Vec<&String> =
                self.members.values().flat_map(|m| &m.connectors).collect();
            all_c.sort();
            assert_eq!(all_c, self.connectors.keys().collect::<Vec<_>>());
            let mut all_t: Vec<TaskId> = self
                .members
                .values()
                .flat_map(|m| m.tasks.clone())
                .collect();
            all_t.sort();
            let want: Vec<TaskId> = self
                .connectors
                .iter()
                .flat_map(|(c, n)| (0..*n).map(move |i| TaskId::new(c.clone(), i)))
                .collect();
            assert_eq!(all_t, want);
        }
    }

    #[test]
    fn test_task_assignment_when_worker_joins() {
        let mut h = Harness::new(DEFAULT_DELAY);
        h.standard();
        h.assert_delay(0);
        h.assert_workers(&["worker1"]);
        h.assert_connectors(&[2]);
        h.assert_tasks(&[8]);
        h.assert_balanced_and_complete();

        h.add_empty_workers(&["worker2"]);
        h.standard();
        h.assert_delay(0);
        h.assert_workers(&["worker1", "worker2"]);
        h.assert_connectors(&[0, 1]);
        h.assert_tasks(&[0, 4]);

        h.standard();
        h.assert_no_revocations();
        h.assert_delay(0);
        h.assert_connectors(&[1, 1]);
        h.assert_tasks(&[4, 4]);
        h.assert_balanced_and_complete();

        h.now += i64::from(h.assignor.delay);
        h.standard();
        h.assert_delay(0);
        h.assert_empty_assignment();
    }

    #[test]
    fn test_assignments_when_workers_join_after_revocations() {
        let mut h = Harness::new(DEFAULT_DELAY);
        h.add_connector("connector3", 4);
        h.standard();
        h.assert_connectors(&[3]);
        h.assert_tasks(&[12]);

        h.add_empty_workers(&["worker2"]);
        h.standard();
        h.assert_connectors(&[0, 2]);
        h.assert_tasks(&[0, 6]);

        h.add_empty_workers(&["worker3"]);
        h.standard();
        assert!(h.assignor.delay > 0);
        h.assert_connectors(&[0, 1, 2]);
        h.assert_tasks(&[3, 3, 6]);

        h.now += i64::from(h.assignor.delay);
        h.add_empty_workers(&["worker4"]);
        h.standard();
        h.assert_connectors(&[0, 0, 1, 1]);
        h.assert_tasks(&[0, 3, 3, 3]);

        h.add_empty_workers(&["worker5"]);
        h.standard();
        assert!(h.assignor.delay > 40);
        h.assert_connectors(&[0, 0, 1, 1, 1]);
        h.assert_tasks(&[1, 2, 3, 3, 3]);

        h.now += i64::from(h.assignor.delay);
        h.add_empty_workers(&["worker6"]);
        h.standard();
        h.assert_delay(0);
        h.assert_connectors(&[0, 0, 0, 1, 1, 1]);
        h.assert_tasks(&[0, 1, 2, 2, 2, 2]);

        h.standard();
        h.assert_connectors(&[0, 0, 0, 1, 1, 1]);
        h.assert_tasks(&[2, 2, 2, 2, 2, 2]);
        h.assert_balanced_and_complete();
    }

    #[test]
    fn test_immediate_revocations_when_max_delay_is0() {
        let mut h = Harness::new(0);
        h.add_connector("connector3", 4);
        h.standard();
        h.add_empty_workers(&["worker2"]);
        h.standard();
        h.assert_connectors(&[0, 2]);
        h.assert_tasks(&[0, 6]);
        h.add_empty_workers(&["worker3"]);
        h.standard();
        h.assert_delay(0);
        h.assert_connectors(&[0, 1, 1]);
        h.assert_tasks(&[3, 3, 4]);
        h.standard();
        h.assert_no_revocations();
        h.assert_connectors(&[1, 1, 1]);
        h.assert_tasks(&[4, 4, 4]);
        h.assert_balanced_and_complete();
    }

    #[test]
    fn test_successive_revocations_when_max_delay_is_equal_to_exp_back_off_initial_interval() {
        let mut h = Harness::new(1);
        h.add_connector("connector3", 4);
        h.standard();
        h.add_empty_workers(&["worker2"]);
        h.standard();
        h.add_empty_workers(&["worker3"]);
        h.standard();
        h.assert_delay(1);
        h.assert_connectors(&[0, 1, 2]);
        h.assert_tasks(&[3, 3, 6]);
    }

    #[test]
    fn test_worker_joining_during_delayed_rebalance() {
        let mut h = Harness::new(DEFAULT_DELAY);
        h.add_connector("connector3", 4);
        h.standard();
        h.add_empty_workers(&["worker2"]);
        h.standard();
        h.add_empty_workers(&["worker3"]);
        h.standard();
        assert!(h.assignor.delay > 0);
        h.assert_no_revocations();
        h.assert_connectors(&[0, 1, 2]);
        h.assert_tasks(&[3, 3, 6]);

        h.now += i64::from(h.assignor.delay / 2);
        h.add_empty_workers(&["worker4"]);
        h.standard();
        assert!(h.assignor.delay > 0);
        h.assert_no_revocations();
        h.assert_connectors(&[0, 0, 1, 2]);
        h.assert_tasks(&[0, 3, 3, 6]);

        h.now += i64::from(h.assignor.delay);
        h.add_empty_workers(&["worker5"]);
        h.standard();
        h.assert_delay(0);
        h.assert_connectors(&[0, 0, 0, 1, 1]);
        h.assert_tasks(&[0, 0, 2, 3, 3]);

        h.standard();
        h.assert_delay(0);
        h.assert_no_revocations();
        h.assert_connectors(&[0, 0, 1, 1, 1]);
        h.assert_tasks(&[2, 2, 2, 3, 3]);
        h.assert_balanced_and_complete();
    }

    #[test]
    fn test_task_assignment_when_worker_leaves_permanently() {
        let mut h = Harness::new(DEFAULT_DELAY);
        h.add_empty_workers(&["worker2"]);
        h.standard();
        h.assert_connectors(&[1, 1]);
        h.assert_tasks(&[4, 4]);

        h.remove_workers(&["worker2"]);
        h.standard();
        h.assert_delay(DEFAULT_DELAY);
        h.assert_workers(&["worker1"]);
        h.assert_empty_assignment();

        h.now += i64::from(DEFAULT_DELAY / 2);
        h.standard();
        h.assert_delay(DEFAULT_DELAY / 2);
        h.assert_empty_assignment();

        h.now += i64::from(DEFAULT_DELAY / 2 + 1);
        h.standard();
        h.assert_delay(0);
        h.assert_connectors(&[2]);
        h.assert_tasks(&[8]);
        h.assert_balanced_and_complete();
    }

    #[test]
    fn test_task_assignment_when_worker_bounces() {
        let mut h = Harness::new(DEFAULT_DELAY);
        h.add_empty_workers(&["worker2"]);
        h.standard();
        h.remove_workers(&["worker2"]);
        h.standard();
        h.assert_delay(DEFAULT_DELAY);
        h.assert_empty_assignment();

        h.now += i64::from(DEFAULT_DELAY / 2);
        h.standard();
        h.assert_delay(DEFAULT_DELAY / 2);
        h.assert_empty_assignment();

        h.now += i64::from(DEFAULT_DELAY / 4);
        h.add_empty_workers(&["worker2"]);
        h.standard();
        h.assert_delay(DEFAULT_DELAY / 4);
        h.assert_workers(&["worker1", "worker2"]);
        h.assert_empty_assignment();

        h.now += i64::from(DEFAULT_DELAY / 4);
        h.standard();
        h.assert_delay(0);
        h.assert_no_revocations();
        h.assert_connectors(&[1, 1]);
        h.assert_tasks(&[4, 4]);
        h.assert_balanced_and_complete();
    }

    #[test]
    fn test_task_assignment_when_leader_bounces() {
        let mut h = Harness::new(DEFAULT_DELAY);
        h.add_empty_workers(&["worker2", "worker3"]);
        h.standard();
        h.assert_connectors(&[0, 1, 1]);
        h.assert_tasks(&[2, 3, 3]);

        h.remove_workers(&["worker1"]);
        h.init_assignor();
        h.standard();
        h.assert_delay(0);
        h.assert_workers(&["worker2", "worker3"]);
        h.assert_connectors(&[1, 1]);
        h.assert_tasks(&[4, 4]);
        h.assert_balanced_and_complete();

        h.add_empty_workers(&["worker1"]);
        h.standard();
        h.assert_delay(0);
        h.assert_connectors(&[0, 1, 1]);
        h.assert_tasks(&[0, 3, 3]);

        h.standard();
        h.assert_no_revocations();
        h.assert_connectors(&[0, 1, 1]);
        h.assert_tasks(&[2, 3, 3]);
        h.assert_balanced_and_complete();
    }

    #[test]
    fn test_task_assignment_when_first_assignment_attempt_fails() {
        let mut h = Harness::new(DEFAULT_DELAY);
        h.add_empty_workers(&["worker2"]);
        h.rebalance(true, false);
        h.assert_delay(0);
        h.assert_workers(&["worker1", "worker2"]);
        h.assert_connectors(&[0, 0]);
        h.assert_tasks(&[0, 0]);
        h.standard();
        h.assert_delay(0);
        h.assert_connectors(&[1, 1]);
        h.assert_tasks(&[4, 4]);
        h.assert_balanced_and_complete();
    }

    #[test]
    fn test_task_assignment_when_subsequent_assignment_attempt_fails_outside_the_assignor() {
        let mut h = Harness::new(DEFAULT_DELAY);
        h.add_empty_workers(&["worker2"]);
        h.standard();
        h.add_empty_workers(&["worker3"]);
        h.rebalance(true, false);
        h.assert_delay(0);
        h.assert_connectors(&[0, 1, 1]);
        h.assert_tasks(&[0, 4, 4]);

        h.rebalance(false, true);
        assert!(h.assignor.delay > 0);
        h.assert_connectors(&[0, 1, 1]);
        h.assert_tasks(&[0, 4, 4]);

        h.now += i64::from(h.assignor.delay);
        h.standard();
        h.assert_connectors(&[0, 1, 1]);
        h.assert_tasks(&[0, 3, 3]);

        h.standard();
        h.assert_connectors(&[0, 1, 1]);
        h.assert_tasks(&[2, 3, 3]);
        h.assert_balanced_and_complete();
    }

    #[test]
    fn test_task_assignment_when_connectors_are_deleted() {
        let mut h = Harness::new(DEFAULT_DELAY);
        h.add_connector("connector3", 4);
        h.add_empty_workers(&["worker2"]);
        h.standard();
        h.assert_connectors(&[1, 2]);
        h.assert_tasks(&[6, 6]);
        h.remove_connector("connector3");
        h.standard();
        h.assert_delay(0);
        h.assert_connectors(&[1, 1]);
        h.assert_tasks(&[4, 4]);
        h.assert_balanced_and_complete();
    }

    #[test]
    fn test_task_assignment_when_tasks_duplicated_in_worker_assignment() {
        let mut h = Harness::new(DEFAULT_DELAY);
        h.standard();
        h.add_worker(
            "worker2",
            vec!["connector1".into()],
            (0..4).map(|i| TaskId::new("connector1", i)).collect(),
        );
        h.standard();
        h.assert_delay(0);
        h.assert_connectors(&[0, 1]);
        h.assert_tasks(&[0, 4]);
        h.standard();
        h.assert_no_revocations();
        h.assert_connectors(&[1, 1]);
        h.assert_tasks(&[4, 4]);
        h.assert_balanced_and_complete();
        h.standard();
        h.assert_empty_assignment();
    }

    #[test]
    fn test_duplicated_assignment_handle_when_the_duplicated_assignments_deleted() {
        let mut h = Harness::new(DEFAULT_DELAY);
        h.standard();
        h.remove_connector("connector1");
        h.add_worker(
            "worker2",
            vec!["connector1".into()],
            (0..4).map(|i| TaskId::new("connector1", i)).collect(),
        );
        h.standard();
        h.assert_delay(0);
        h.assert_connectors(&[0, 1]);
        h.assert_tasks(&[0, 2]);
        h.standard();
        h.assert_no_revocations();
        h.assert_connectors(&[0, 1]);
        h.assert_tasks(&[2, 2]);
        h.assert_balanced_and_complete();
        h.standard();
        h.assert_empty_assignment();
    }

    #[test]
    fn test_assign_connectors_when_imbalanced() {
        // Java's testAssignConnectorsWhenImbalanced: loads 0, 1, 2, 3 then 6 new connectors.
        let mut workers: Vec<WorkerLoad> = (0..4)
            .map(|i| WorkerLoad {
                worker: format!("worker{i}"),
                connectors: (0..i).map(|j| format!("c{i}-{j}")).collect(),
                tasks: vec![],
            })
            .collect();
        let new: Vec<String> = (0..6).map(|i| format!("new{i}")).collect();
        assign_connectors(&mut workers, &new);
        let mut sizes: Vec<usize> = workers.iter().map(|w| w.connectors.len()).collect();
        sizes.sort();
        assert_eq!(sizes, [3, 3, 3, 3]);
    }

    fn member(id: &str, offset: i64, assignment: Option<Assignment>) -> Member {
        Member {
            member_id: id.into(),
            state: WorkerState {
                url: format!("http://{id}:8083/"),
                offset,
                assignment,
            },
        }
    }

    #[test]
    fn eager_deals_connectors_then_tasks_round_robin_over_sorted_members() {
        let config = ConfigSnapshot {
            offset: 10,
            connectors: [("b".to_string(), 2), ("a".to_string(), 1)]
                .into_iter()
                .collect(),
        };
        let members = [member("m2", 10, None), member("m1", 10, None)];
        let out = eager_assignment("m2", &members, &config, || panic!("not behind"));
        let by: BTreeMap<_, _> = out.assignments.iter().cloned().collect();
        // Sorted members m1, m2: a→m1, b→m2, then a-0→m1, b-0→m2, b-1→m1.
        assert_eq!(by["m1"].connectors, ["a"]);
        assert_eq!(by["m2"].connectors, ["b"]);
        assert_eq!(by["m1"].tasks, [TaskId::new("a", 0), TaskId::new("b", 1)]);
        assert_eq!(by["m2"].tasks, [TaskId::new("b", 0)]);
        assert_eq!(
            (by["m1"].leader.as_str(), by["m1"].leader_url.as_str()),
            ("m2", "http://m2:8083/")
        );
        assert_eq!(out.task_owners[&TaskId::new("b", 1)], "m1");
        assert!(!out.used_fresh_snapshot);
    }

    #[test]
    fn leader_behind_the_config_topic_returns_config_mismatch_unless_fresh_snapshot_catches_up() {
        let stale = ConfigSnapshot {
            offset: 5,
            connectors: BTreeMap::new(),
        };
        let members = [member("m1", 5, None), member("m2", 9, None)];
        let mut a = IncrementalCooperativeAssignor::new(DEFAULT_DELAY);
        let out = a.perform_assignment(
            "m1",
            ConnectProtocolCompatibility::Sessioned,
            &members,
            &stale,
            || stale.clone(),
            -1,
            1,
            0,
        );
        assert!(out
            .assignments
            .iter()
            .all(|(_, a)| a.error == CONFIG_MISMATCH && a.offset == 9 && a.version == 2));

        let fresh = ConfigSnapshot {
            offset: 11,
            connectors: [("c".to_string(), 1)].into_iter().collect(),
        };
        let out = a.perform_assignment(
            "m1",
            ConnectProtocolCompatibility::Compatible,
            &members,
            &stale,
            || fresh.clone(),
            -1,
            2,
            0,
        );
        assert!(out.used_fresh_snapshot);
        let all: Vec<_> = out
            .assignments
            .iter()
            .filter(|(_, a)| !a.connectors.is_empty() || !a.tasks.is_empty())
            .collect();
        assert!(out
            .assignments
            .iter()
            .all(|(_, a)| a.error == NO_ERROR && a.offset == 11 && a.version == 1));
        assert_eq!(
            all.iter()
                .map(|(_, a)| a.connectors.len() + a.tasks.len())
                .sum::<usize>(),
            2
        );
        assert_eq!(out.connector_owners.len(), 1);
    }

    #[derive(Debug, Clone)]
    enum Step {
        Join(u8),
        Leave(u8),
        AddConnector(u8, u8),
        RemoveConnector(u8),
        Rebalance,
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            (0u8..6).prop_map(Step::Join),
            (0u8..6).prop_map(Step::Leave),
            ((0u8..6), (0u8..6)).prop_map(|(c, n)| Step::AddConnector(c, n)),
            (0u8..6).prop_map(Step::RemoveConnector),
            Just(Step::Rebalance),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Random joins, leaves and config changes, each followed by a rebalance: nothing is ever
        /// run twice, and once the changes stop and the delays run out the cluster converges to
        /// a complete allocation with max - min <= 1.
        #[test]
        fn random_changes_converge_to_balanced_without_duplicates(steps in proptest::collection::vec(step(), 1..25)) {
            let mut h = Harness::new(DEFAULT_DELAY);
            for s in steps {
                match s {
                    Step::Join(w) => { h.members.entry(format!("w{w}")).or_default(); }
                    Step::Leave(w) => {
                        if h.members.len() > 1 { h.members.remove(&format!("w{w}")); }
                    }
                    Step::AddConnector(c, n) => { h.connectors.insert(format!("c{c}"), u32::from(n)); }
                    Step::RemoveConnector(c) => { h.connectors.remove(&format!("c{c}")); }
                    Step::Rebalance => {}
                }
                h.now += 1000;
                h.standard();
                let mut seen_c = HashSet::new();
                let mut seen_t = HashSet::new();
                for m in h.members.values() {
                    for c in &m.connectors { prop_assert!(seen_c.insert(c.clone()), "connector {} twice", c); }
                    for t in &m.tasks { prop_assert!(seen_t.insert(t.clone()), "task {} twice", t); }
                }
            }
            // Quiet period: rebalance (members rejoin after each delay) until nothing changes.
            for _ in 0..12 {
                h.now += i64::from(h.assignor.delay) + 1;
                h.standard();
            }
            h.assert_balanced_and_complete();
        }
    }
}
