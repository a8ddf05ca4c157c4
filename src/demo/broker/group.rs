//! Consumer group coordinator: the classic (pre-KIP-848) rebalance protocol and committed offsets.
//!
//! State machine, as in Kafka's `GroupCoordinator`, trimmed to what clients need:
//!
//! ```text
//! Empty ──join──▶ PreparingRebalance ──all members joined / rebalance timeout──▶
//!     CompletingRebalance ──leader's SyncGroup──▶ Stable ──join / leave / session expiry──▶
//!     PreparingRebalance …
//! ```
//!
//! The broker does not assign partitions: the group leader (a client) does, from the members'
//! subscription metadata returned in its JoinGroup response, and sends the result in SyncGroup.
//! JoinGroup and SyncGroup park the caller on a oneshot channel until the round completes.
//!
//! Limits: no static membership (`group.instance.id` is accepted and ignored), no KIP-848
//! (`ConsumerGroupHeartbeat`), no initial rebalance delay, offsets live in memory only and never
//! expire.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use kafka_protocol::ResponseError;
use tokio::sync::oneshot;

/// What a JoinGroup call gets once its round completes.
#[derive(Debug, Clone)]
pub(crate) struct JoinOutcome {
    pub error: Option<ResponseError>,
    pub generation_id: i32,
    pub protocol_name: Option<String>,
    pub leader: String,
    pub member_id: String,
    /// Only for the leader: every member with its metadata for the chosen protocol.
    pub members: Vec<(String, Bytes)>,
}

impl JoinOutcome {
    fn error(error: ResponseError, member_id: &str) -> Self {
        Self {
            error: Some(error),
            generation_id: -1,
            protocol_name: None,
            leader: String::new(),
            member_id: member_id.to_owned(),
            members: Vec::new(),
        }
    }
}

/// What a SyncGroup call gets: this member's assignment, or an error.
pub(crate) type SyncOutcome = Result<Bytes, ResponseError>;

/// A reply that is either ready now or arrives when the rebalance round completes.
#[derive(Debug)]
pub(crate) enum Pending<T> {
    Ready(T),
    Wait(oneshot::Receiver<T>),
}

/// A committed offset.
#[derive(Debug, Clone)]
pub(crate) struct Committed {
    pub offset: i64,
    pub leader_epoch: i32,
    pub metadata: Option<String>,
}

/// The arguments of a JoinGroup request, version-independent.
#[derive(Debug)]
pub(crate) struct JoinRequest {
    pub member_id: String,
    pub client_id: String,
    pub protocol_type: String,
    pub protocols: Vec<(String, Bytes)>,
    pub session_timeout: Duration,
    pub rebalance_timeout: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
}

#[derive(Debug)]
struct Member {
    protocols: Vec<(String, Bytes)>,
    session_timeout: Duration,
    rebalance_timeout: Duration,
    last_seen: Instant,
    assignment: Bytes,
    join_tx: Option<oneshot::Sender<JoinOutcome>>,
    sync_tx: Option<oneshot::Sender<SyncOutcome>>,
}

#[derive(Debug)]
struct Group {
    state: State,
    generation_id: i32,
    protocol_type: Option<String>,
    protocol_name: Option<String>,
    leader: Option<String>,
    members: BTreeMap<String, Member>,
    /// When the current PreparingRebalance / CompletingRebalance phase gives up waiting.
    deadline: Option<Instant>,
    offsets: HashMap<(String, i32), Committed>,
}

impl Default for Group {
    fn default() -> Self {
        Self {
            state: State::Empty,
            generation_id: 0,
            protocol_type: None,
            protocol_name: None,
            leader: None,
            members: BTreeMap::new(),
            deadline: None,
            offsets: HashMap::new(),
        }
    }
}

impl Group {
    /// Enters PreparingRebalance: every member must (re)join; parked SyncGroups are told so.
    fn prepare_rebalance(&mut self, now: Instant) {
        for m in self.members.values_mut() {
            if let Some(tx) = m.sync_tx.take() {
                let _ = tx.send(Err(ResponseError::RebalanceInProgress));
            }
        }
        if self.members.is_empty() {
            self.state = State::Empty;
            self.deadline = None;
            self.leader = None;
            return;
        }
        if self.state != State::PreparingRebalance {
            let timeout = self.members.values().map(|m| m.rebalance_timeout).max();
            self.deadline = Some(now + timeout.unwrap_or_default());
        }
        self.state = State::PreparingRebalance;
    }

    /// Completes the join phase once every member has rejoined (or, with `force`, drops the
    /// members that did not rejoin in time and completes with the rest).
    fn maybe_complete_join(&mut self, now: Instant, force: bool) {
        if self.state != State::PreparingRebalance {
            return;
        }
        let all_joined = self.members.values().all(|m| m.join_tx.is_some());
        if !all_joined && !force {
            return;
        }
        self.members.retain(|_, m| m.join_tx.is_some());
        if self.members.is_empty() {
            self.prepare_rebalance(now);
            return;
        }
        self.generation_id += 1;
        if !self
            .leader
            .as_ref()
            .is_some_and(|l| self.members.contains_key(l))
        {
            self.leader = self.members.keys().next().cloned();
        }
        let leader = self.leader.clone().unwrap_or_default();
        self.protocol_name = self.choose_protocol(&leader);
        let chosen = self.protocol_name.clone().unwrap_or_default();
        let member_metadata: Vec<(String, Bytes)> = self
            .members
            .iter()
            .map(|(id, m)| {
                let meta = m.protocols.iter().find(|(n, _)| *n == chosen);
                (id.clone(), meta.map(|(_, b)| b.clone()).unwrap_or_default())
            })
            .collect();
        self.state = State::CompletingRebalance;
        let timeout = self.members.values().map(|m| m.rebalance_timeout).max();
        self.deadline = Some(now + timeout.unwrap_or_default());
        for (id, m) in self.members.iter_mut() {
            m.assignment = Bytes::new();
            m.last_seen = now;
            if let Some(tx) = m.join_tx.take() {
                let _ = tx.send(JoinOutcome {
                    error: None,
                    generation_id: self.generation_id,
                    protocol_name: self.protocol_name.clone(),
                    leader: leader.clone(),
                    member_id: id.clone(),
                    members: if *id == leader {
                        member_metadata.clone()
                    } else {
                        Vec::new()
                    },
                });
            }
        }
    }

    /// The leader's most preferred protocol that every member supports.
    fn choose_protocol(&self, leader: &str) -> Option<String> {
        let leader = self.members.get(leader)?;
        leader
            .protocols
            .iter()
            .map(|(name, _)| name)
            .find(|name| {
                self.members
                    .values()
                    .all(|m| m.protocols.iter().any(|(n, _)| n == *name))
            })
            .cloned()
    }

    /// Whether a member with these protocols could join the current members.
    fn protocols_compatible(&self, protocol_type: &str, protocols: &[(String, Bytes)]) -> bool {
        if protocol_type.is_empty() || protocols.is_empty() {
            return false;
        }
        if self.members.is_empty() {
            return true;
        }
        self.protocol_type.as_deref() == Some(protocol_type)
            && protocols.iter().any(|(name, _)| {
                self.members
                    .values()
                    .all(|m| m.protocols.iter().any(|(n, _)| n == name))
            })
    }

    fn check_member(&self, member_id: &str, generation_id: i32) -> Result<(), ResponseError> {
        if !self.members.contains_key(member_id) {
            Err(ResponseError::UnknownMemberId)
        } else if generation_id != self.generation_id {
            Err(ResponseError::IllegalGeneration)
        } else {
            Ok(())
        }
    }

    fn remove_member(&mut self, member_id: &str, now: Instant) {
        if self.members.remove(member_id).is_some() {
            if self.leader.as_deref() == Some(member_id) {
                self.leader = None;
            }
            self.prepare_rebalance(now);
            self.maybe_complete_join(now, false);
        }
    }
}

/// All groups of the broker.
#[derive(Debug, Default)]
pub(crate) struct Coordinator {
    groups: Mutex<HashMap<String, Group>>,
    next_member: std::sync::atomic::AtomicU64,
}

impl Coordinator {
    fn with_group<R>(&self, group_id: &str, f: impl FnOnce(&mut Group) -> R) -> R {
        let mut groups = self.groups.lock().unwrap_or_else(|e| e.into_inner());
        f(groups.entry(group_id.to_owned()).or_default())
    }

    pub(crate) fn join(&self, group_id: &str, req: JoinRequest) -> Pending<JoinOutcome> {
        if group_id.is_empty() {
            return Pending::Ready(JoinOutcome::error(
                ResponseError::InvalidGroupId,
                &req.member_id,
            ));
        }
        let now = Instant::now();
        self.with_group(group_id, |g| {
            let known = g.members.contains_key(&req.member_id);
            if !req.member_id.is_empty() && !known {
                return Pending::Ready(JoinOutcome::error(
                    ResponseError::UnknownMemberId,
                    &req.member_id,
                ));
            }
            // A rejoining sole member may change its protocols; otherwise they must fit the rest.
            let sole_member = known && g.members.len() == 1;
            if !sole_member && !g.protocols_compatible(&req.protocol_type, &req.protocols) {
                return Pending::Ready(JoinOutcome::error(
                    ResponseError::InconsistentGroupProtocol,
                    &req.member_id,
                ));
            }
            let member_id = if known {
                req.member_id
            } else {
                let n = self
                    .next_member
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                format!(
                    "{}-{n}",
                    if req.client_id.is_empty() {
                        "member"
                    } else {
                        &req.client_id
                    }
                )
            };
            let (tx, rx) = oneshot::channel();
            let member = g.members.entry(member_id).or_insert_with(|| Member {
                protocols: Vec::new(),
                session_timeout: req.session_timeout,
                rebalance_timeout: req.rebalance_timeout,
                last_seen: now,
                assignment: Bytes::new(),
                join_tx: None,
                sync_tx: None,
            });
            member.protocols = req.protocols;
            member.session_timeout = req.session_timeout;
            member.rebalance_timeout = req.rebalance_timeout;
            member.last_seen = now;
            member.join_tx = Some(tx);
            g.protocol_type = Some(req.protocol_type);
            g.prepare_rebalance(now);
            g.maybe_complete_join(now, false);
            Pending::Wait(rx)
        })
    }

    pub(crate) fn sync(
        &self,
        group_id: &str,
        generation_id: i32,
        member_id: &str,
        assignments: Vec<(String, Bytes)>,
    ) -> Pending<SyncOutcome> {
        let now = Instant::now();
        self.with_group(group_id, |g| {
            if let Err(e) = g.check_member(member_id, generation_id) {
                return Pending::Ready(Err(e));
            }
            match g.state {
                State::Empty | State::PreparingRebalance => {
                    Pending::Ready(Err(ResponseError::RebalanceInProgress))
                }
                State::Stable => {
                    let m = &g.members[member_id];
                    Pending::Ready(Ok(m.assignment.clone()))
                }
                State::CompletingRebalance => {
                    let (tx, rx) = oneshot::channel();
                    if let Some(m) = g.members.get_mut(member_id) {
                        m.sync_tx = Some(tx);
                        m.last_seen = now;
                    }
                    if g.leader.as_deref() == Some(member_id) {
                        let mut assignments: HashMap<String, Bytes> =
                            assignments.into_iter().collect();
                        for (id, m) in g.members.iter_mut() {
                            m.assignment = assignments.remove(id).unwrap_or_default();
                        }
                        g.state = State::Stable;
                        g.deadline = None;
                        for m in g.members.values_mut() {
                            if let Some(tx) = m.sync_tx.take() {
                                let _ = tx.send(Ok(m.assignment.clone()));
                            }
                        }
                    }
                    Pending::Wait(rx)
                }
            }
        })
    }

    pub(crate) fn heartbeat(
        &self,
        group_id: &str,
        generation_id: i32,
        member_id: &str,
    ) -> Option<ResponseError> {
        let now = Instant::now();
        self.with_group(group_id, |g| {
            if let Err(e) = g.check_member(member_id, generation_id) {
                return Some(e);
            }
            if let Some(m) = g.members.get_mut(member_id) {
                m.last_seen = now;
            }
            match g.state {
                State::PreparingRebalance => Some(ResponseError::RebalanceInProgress),
                _ => None,
            }
        })
    }

    pub(crate) fn leave(&self, group_id: &str, member_id: &str) -> Option<ResponseError> {
        let now = Instant::now();
        self.with_group(group_id, |g| {
            if !g.members.contains_key(member_id) {
                return Some(ResponseError::UnknownMemberId);
            }
            g.remove_member(member_id, now);
            None
        })
    }

    /// Stores offsets. A commit from outside the group (generation `-1`, no member id) is
    /// accepted as Kafka accepts it for a group without active members.
    pub(crate) fn commit(
        &self,
        group_id: &str,
        generation_id: i32,
        member_id: &str,
        offsets: impl IntoIterator<Item = ((String, i32), Committed)>,
    ) -> Option<ResponseError> {
        let now = Instant::now();
        self.with_group(group_id, |g| {
            let standalone = generation_id < 0 && member_id.is_empty();
            if standalone {
                if !g.members.is_empty() {
                    return Some(ResponseError::UnknownMemberId);
                }
            } else {
                if let Err(e) = g.check_member(member_id, generation_id) {
                    return Some(e);
                }
                if g.state == State::CompletingRebalance {
                    return Some(ResponseError::RebalanceInProgress);
                }
                if let Some(m) = g.members.get_mut(member_id) {
                    m.last_seen = now;
                }
            }
            g.offsets.extend(offsets);
            None
        })
    }

    /// Committed offsets of a group: those asked for, or all of them when `partitions` is None.
    pub(crate) fn committed(
        &self,
        group_id: &str,
        partitions: Option<&[(String, Vec<i32>)]>,
    ) -> Vec<(String, Vec<(i32, Option<Committed>)>)> {
        let groups = self.groups.lock().unwrap_or_else(|e| e.into_inner());
        let offsets = groups.get(group_id).map(|g| &g.offsets);
        match partitions {
            Some(wanted) => wanted
                .iter()
                .map(|(topic, parts)| {
                    let found = parts
                        .iter()
                        .map(|p| {
                            (
                                *p,
                                offsets.and_then(|o| o.get(&(topic.clone(), *p)).cloned()),
                            )
                        })
                        .collect();
                    (topic.clone(), found)
                })
                .collect(),
            None => {
                let mut by_topic: BTreeMap<String, Vec<(i32, Option<Committed>)>> = BTreeMap::new();
                for ((topic, p), c) in offsets.into_iter().flatten() {
                    by_topic
                        .entry(topic.clone())
                        .or_default()
                        .push((*p, Some(c.clone())));
                }
                by_topic.into_iter().collect()
            }
        }
    }

    /// Periodic housekeeping: completes rebalances whose deadline passed and expires members
    /// whose session timed out.
    pub(crate) fn tick(&self) {
        let now = Instant::now();
        let mut groups = self.groups.lock().unwrap_or_else(|e| e.into_inner());
        for g in groups.values_mut() {
            let overdue = g.deadline.is_some_and(|d| now >= d);
            match g.state {
                State::PreparingRebalance if overdue => g.maybe_complete_join(now, true),
                // The leader never sent its assignment: start over.
                State::CompletingRebalance if overdue => g.prepare_rebalance(now),
                _ => {}
            }
            let expired: Vec<String> = g
                .members
                .iter()
                .filter(|(_, m)| {
                    m.join_tx.is_none() && now.duration_since(m.last_seen) > m.session_timeout
                })
                .map(|(id, _)| id.clone())
                .collect();
            for id in expired {
                tracing::debug!(member = %id, "group member session expired");
                g.remove_member(&id, now);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn join_req(member_id: &str) -> JoinRequest {
        JoinRequest {
            member_id: member_id.to_owned(),
            client_id: "c".to_owned(),
            protocol_type: "consumer".to_owned(),
            protocols: vec![("range".to_owned(), Bytes::from_static(b"meta"))],
            session_timeout: Duration::from_secs(10),
            rebalance_timeout: Duration::from_secs(10),
        }
    }

    async fn ready<T>(p: Pending<T>) -> T {
        match p {
            Pending::Ready(v) => v,
            Pending::Wait(rx) => rx.await.expect("round completed"),
        }
    }

    #[tokio::test]
    async fn single_member_joins_syncs_commits_and_leaves() {
        let c = Coordinator::default();
        let j = ready(c.join("g", join_req(""))).await;
        assert!(j.error.is_none());
        assert_eq!(j.generation_id, 1);
        assert_eq!(j.leader, j.member_id);
        assert_eq!(j.members.len(), 1);
        let a = ready(c.sync(
            "g",
            1,
            &j.member_id,
            vec![(j.member_id.clone(), Bytes::from_static(b"A"))],
        ))
        .await;
        assert_eq!(a.unwrap(), Bytes::from_static(b"A"));
        assert_eq!(c.heartbeat("g", 1, &j.member_id), None);
        assert_eq!(
            c.heartbeat("g", 0, &j.member_id),
            Some(ResponseError::IllegalGeneration)
        );
        let committed = Committed {
            offset: 42,
            leader_epoch: 0,
            metadata: None,
        };
        assert_eq!(
            c.commit("g", 1, &j.member_id, [(("t".to_owned(), 0), committed)]),
            None
        );
        assert_eq!(c.leave("g", &j.member_id), None);
        let got = c.committed("g", Some(&[("t".to_owned(), vec![0, 1])]));
        assert_eq!(got[0].1[0].1.as_ref().map(|c| c.offset), Some(42));
        assert!(got[0].1[1].1.is_none());
    }

    #[tokio::test]
    async fn second_member_triggers_rebalance_and_gets_assignment_from_leader() {
        let c = Coordinator::default();
        let a = ready(c.join("g", join_req(""))).await;
        ready(c.sync("g", 1, &a.member_id, vec![])).await.unwrap();
        // B joins: the round waits for A to rejoin, which A learns from its heartbeat.
        let b_pending = c.join("g", join_req(""));
        assert_eq!(
            c.heartbeat("g", 1, &a.member_id),
            Some(ResponseError::RebalanceInProgress)
        );
        let a2 = ready(c.join("g", join_req(&a.member_id))).await;
        let b = ready(b_pending).await;
        assert_eq!((a2.generation_id, b.generation_id), (2, 2));
        assert_eq!(a2.leader, a.member_id);
        assert_eq!(a2.members.len(), 2);
        assert!(b.members.is_empty());
        let b_sync = c.sync("g", 2, &b.member_id, vec![]);
        let assignments = vec![
            (a.member_id.clone(), Bytes::from_static(b"a")),
            (b.member_id.clone(), Bytes::from_static(b"b")),
        ];
        assert_eq!(
            ready(c.sync("g", 2, &a.member_id, assignments))
                .await
                .unwrap(),
            "a"
        );
        assert_eq!(ready(b_sync).await.unwrap(), "b");
    }

    #[tokio::test]
    async fn unknown_member_and_inconsistent_protocol_are_rejected() {
        let c = Coordinator::default();
        let j = ready(c.join("g", join_req("nobody"))).await;
        assert_eq!(j.error, Some(ResponseError::UnknownMemberId));
        ready(c.join("g", join_req(""))).await;
        let mut other = join_req("");
        other.protocols = vec![("sticky".to_owned(), Bytes::new())];
        let j = ready(c.join("g", other)).await;
        assert_eq!(j.error, Some(ResponseError::InconsistentGroupProtocol));
    }
}
