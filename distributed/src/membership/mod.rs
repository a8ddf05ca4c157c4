//! The worker group member: what Java's `WorkerGroupMember` / `AbstractCoordinator` /
//! `ConsumerNetworkClient` do for a Connect worker, on Kafka's wire protocol.
//!
//! A [`GroupMember`] finds the group coordinator (FindCoordinator, key type GROUP), joins the
//! group with protocol type `connect` (JoinGroup, with the KIP-394 MEMBER_ID_REQUIRED round
//! trip), and completes the rebalance with SyncGroup: the leader sends the assignments its
//! callback computed, followers send none, and every member receives its own assignment bytes.
//! Once joined, a background task heartbeats every `heartbeat.interval.ms`; when the coordinator
//! starts a rebalance or forgets the member, the task records a [`RejoinReason`] that the owner
//! sees through [`GroupMember::rejoin_needed`] or [`GroupMember::subscribe`], and the owner calls
//! [`GroupMember::join`] again when it is ready (Java's herder finishes its tick and revocations
//! first, within `rebalance.timeout.ms`). [`GroupMember::leave`] sends LeaveGroup.
//!
//! Metadata and assignment bytes are opaque here (see [`crate::protocol`]); the coordinator
//! elects the leader and picks the protocol, nothing here does.
//!
//! Where Strait differs from Java:
//! * Only `security.protocol=PLAINTEXT`; SSL and SASL are rejected when the member is built.
//! * No static membership (`group.instance.id`): Connect workers do not use it.
//! * Java's heartbeat thread also leaves the group when the owner has not polled within
//!   `rebalance.timeout.ms`; here the coordinator's own rebalance timeout expels a member that does
//!   not rejoin in time, and the owner learns it from the next heartbeat.
//! * `join` retries transient failures (unreachable brokers, coordinator moves, loading) without
//!   end, as Java's `ensureActiveGroup` does inside the herder's poll; callers bound it with
//!   `tokio::time::timeout` (cancelling it is safe: the next `join` starts over).

pub(crate) mod conn;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use kafka_protocol::messages::find_coordinator_response::FindCoordinatorResponse;
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::{
    ApiKey, FindCoordinatorRequest, GroupId, HeartbeatRequest, HeartbeatResponse, JoinGroupRequest,
    JoinGroupResponse, LeaveGroupRequest, LeaveGroupResponse, SyncGroupRequest, SyncGroupResponse,
};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;
use strait_engine::error::{Error, Result};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use conn::Connection;

/// The group protocol type of Kafka Connect workers (Java's `ConnectProtocol.PROTOCOL_TYPE`
/// via `GroupRebalanceConfig.ProtocolType.CONNECT`).
pub const PROTOCOL_TYPE: &str = "connect";

/// Java's `AbstractCoordinator.JOIN_GROUP_TIMEOUT_LAPSE`: a JoinGroup may take the whole
/// rebalance timeout, plus this margin, before the client gives up on it.
const JOIN_GROUP_TIMEOUT_LAPSE: Duration = Duration::from_millis(5000);

/// Java's `CoordinatorType.GROUP`.
const COORDINATOR_KEY_TYPE_GROUP: i8 = 0;

/// The reason Java sends with LeaveGroup when a member is closed.
const DEFAULT_LEAVE_REASON: &str = "the consumer is being closed";

/// Settings of a group member: the worker config keys Java's `WorkerGroupMember` reads
/// (the integrator maps `DistributedConfig` onto this).
#[derive(Debug, Clone)]
pub struct MemberSettings {
    /// `bootstrap.servers`: a comma-separated list of `host:port`.
    pub bootstrap_servers: String,
    /// `security.protocol`; only `PLAINTEXT` is supported.
    pub security_protocol: String,
    /// `group.id`.
    pub group_id: String,
    /// `client.id` sent in every request header (Java: `connect-<n>` when unset).
    pub client_id: String,
    /// `session.timeout.ms` (Connect default 10 s).
    pub session_timeout: Duration,
    /// `heartbeat.interval.ms` (Connect default 3 s).
    pub heartbeat_interval: Duration,
    /// `rebalance.timeout.ms` (Connect default 60 s).
    pub rebalance_timeout: Duration,
    /// `request.timeout.ms` (Connect default 40 s).
    pub request_timeout: Duration,
    /// `retry.backoff.ms` (default 100 ms).
    pub retry_backoff: Duration,
}

impl MemberSettings {
    /// Settings with Connect's defaults for everything but the brokers and the group.
    pub fn new(bootstrap_servers: impl Into<String>, group_id: impl Into<String>) -> Self {
        MemberSettings {
            bootstrap_servers: bootstrap_servers.into(),
            security_protocol: "PLAINTEXT".to_string(),
            group_id: group_id.into(),
            client_id: "connect-1".to_string(),
            session_timeout: Duration::from_millis(10_000),
            heartbeat_interval: Duration::from_millis(3_000),
            rebalance_timeout: Duration::from_millis(60_000),
            request_timeout: Duration::from_millis(40_000),
            retry_backoff: Duration::from_millis(100),
        }
    }
}

/// What the leader's callback gets: the coordinator's choice of protocol and every member's
/// metadata for it (the leader's own included).
#[derive(Debug, Clone)]
pub struct LeaderInput {
    /// The generation being formed.
    pub generation: i32,
    /// This member's (the leader's) member id.
    pub leader_id: String,
    /// The protocol the coordinator chose among those every member offered.
    pub protocol: String,
    /// Every member, in the coordinator's order.
    pub members: Vec<MemberMetadata>,
}

/// One member's metadata as the coordinator relays it to the leader.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberMetadata {
    /// The member id the coordinator gave it.
    pub member_id: String,
    /// Its static `group.instance.id`, if any (never set by Connect workers).
    pub group_instance_id: Option<String>,
    /// Its metadata for the chosen protocol.
    pub metadata: Bytes,
}

/// The outcome of a completed rebalance.
#[derive(Debug, Clone, PartialEq)]
pub struct Joined {
    /// The group generation.
    pub generation: i32,
    /// This member's id.
    pub member_id: String,
    /// The leader's member id.
    pub leader_id: String,
    /// The protocol the coordinator chose.
    pub protocol: String,
    /// This member's assignment bytes, as the leader computed them.
    pub assignment: Bytes,
    /// Whether this member is the leader.
    pub is_leader: bool,
}

/// Why the member must call [`GroupMember::join`] again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RejoinReason {
    /// A heartbeat answered REBALANCE_IN_PROGRESS: the coordinator waits for every member to
    /// rejoin within `rebalance.timeout.ms`. The member is still in the group (heartbeats go on).
    RebalanceInProgress,
    /// The coordinator no longer knows the member (UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID): it
    /// was expelled, e.g. after missing `session.timeout.ms`. Its member id was reset, so its
    /// assignment is gone; heartbeats stopped.
    Expelled(String),
    /// ILLEGAL_GENERATION: the group moved to a newer generation without this member; the
    /// member id is kept. Heartbeats stopped.
    StaleGeneration,
    /// No heartbeat succeeded within `session.timeout.ms` (coordinator unreachable): the
    /// coordinator has most likely expelled the member.
    SessionTimedOut,
    /// A heartbeat failed with an error Java treats as fatal (e.g. GROUP_AUTHORIZATION_FAILED).
    Failed(String),
}

/// The member id and generation of the current (or last) membership.
#[derive(Debug, Clone)]
struct Session {
    member_id: String,
    generation: i32,
}

/// What the owner and the heartbeat task share.
struct Shared {
    settings: MemberSettings,
    bootstrap: Vec<String>,
    /// The coordinator connection, discovered on demand. A tokio mutex: discovery runs under it
    /// so the owner and the heartbeat task do not discover twice.
    coordinator: tokio::sync::Mutex<Option<Arc<Connection>>>,
    session: Mutex<Session>,
    status: watch::Sender<Option<RejoinReason>>,
}

impl Shared {
    fn session(&self) -> Session {
        match self.session.lock() {
            Ok(s) => s.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    fn update_session(&self, f: impl FnOnce(&mut Session)) {
        match self.session.lock() {
            Ok(mut s) => f(&mut s),
            Err(p) => f(&mut p.into_inner()),
        }
    }

    /// Records that a rejoin is needed (the first reason stays unless a worse one comes).
    fn request_rejoin(&self, reason: RejoinReason) {
        self.status.send_if_modified(|current| {
            let replace = match current {
                None => true,
                Some(RejoinReason::RebalanceInProgress) => reason != RejoinReason::RebalanceInProgress,
                Some(_) => false,
            };
            if replace {
                tracing::info!(group = %self.settings.group_id, ?reason, "group member must rejoin");
                *current = Some(reason);
            }
            replace
        });
    }

    /// The coordinator connection, finding the coordinator first if it is unknown.
    async fn coordinator(&self) -> Result<Arc<Connection>> {
        let mut slot = self.coordinator.lock().await;
        if let Some(conn) = slot.as_ref() {
            if !conn.is_closed() {
                return Ok(conn.clone());
            }
        }
        *slot = None;
        let conn = self.discover().await?;
        *slot = Some(conn.clone());
        Ok(conn)
    }

    /// Forgets the coordinator (Java's `markCoordinatorUnknown`), unless it was already replaced.
    async fn coordinator_unknown(&self, conn: &Arc<Connection>, why: &str) {
        let mut slot = self.coordinator.lock().await;
        if slot.as_ref().is_some_and(|c| Arc::ptr_eq(c, conn)) {
            tracing::info!(
                coordinator = conn.addr(),
                why,
                "group coordinator marked unknown"
            );
            *slot = None;
        }
    }

    /// FindCoordinator on the bootstrap brokers, in order, then a connection to the coordinator.
    async fn discover(&self) -> Result<Arc<Connection>> {
        let s = &self.settings;
        let mut last = None;
        for addr in &self.bootstrap {
            match self.find_coordinator(addr).await {
                Ok(coordinator) => {
                    return Connection::connect(&coordinator, &s.client_id, s.request_timeout).await
                }
                Err(e) if e.is_retriable() => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| Error::config("bootstrap.servers is empty")))
    }

    async fn find_coordinator(&self, addr: &str) -> Result<String> {
        let s = &self.settings;
        let conn = Connection::connect(addr, &s.client_id, s.request_timeout).await?;
        let version = conn.version(ApiKey::FindCoordinator)?;
        let group = StrBytes::from_string(s.group_id.clone());
        let mut request = FindCoordinatorRequest::default();
        if version >= 4 {
            request.coordinator_keys = vec![group];
        } else {
            request.key = group;
        }
        if version >= 1 {
            request.key_type = COORDINATOR_KEY_TYPE_GROUP;
        }
        let response: FindCoordinatorResponse = conn
            .request(
                ApiKey::FindCoordinator,
                version,
                &request,
                s.request_timeout,
            )
            .await?;
        let (error, host, port) = if version >= 4 {
            let c = response.coordinators.first().ok_or_else(|| {
                Error::external(
                    format!("Kafka broker {addr}: FindCoordinator answered no coordinator"),
                    true,
                )
            })?;
            (c.error_code, c.host.to_string(), c.port)
        } else {
            (
                response.error_code,
                response.host.to_string(),
                response.port,
            )
        };
        match ResponseError::try_from_code(error) {
            None => Ok(format_addr(&host, port)),
            Some(e @ (ResponseError::CoordinatorNotAvailable | ResponseError::NotCoordinator)) => {
                Err(Error::external(
                    format!("FindCoordinator for group {}: {e}", s.group_id),
                    true,
                ))
            }
            Some(e) => Err(fatal("FindCoordinator", &s.group_id, e)),
        }
    }
}

pub(crate) fn format_addr(host: &str, port: i32) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

fn fatal(api: &str, group: &str, e: ResponseError) -> Error {
    let retriable = false; // what AbstractCoordinator raises to the caller instead of retrying
    Error::external(
        format!(
            "{api} for group {group} failed: {e} (error code {})",
            e.code()
        ),
        retriable,
    )
}

fn millis(d: Duration) -> i32 {
    i32::try_from(d.as_millis()).unwrap_or(i32::MAX)
}

fn str_bytes(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_string())
}

/// Parses `bootstrap.servers` (Java's `ClientUtils.parseAndValidateAddresses`, minus DNS).
pub(crate) fn parse_bootstrap(servers: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for entry in servers.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let valid = entry
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
        if !valid {
            return Err(Error::config(format!(
                "Invalid url in bootstrap.servers: {entry}"
            )));
        }
        out.push(entry.to_string());
    }
    if out.is_empty() {
        return Err(Error::config(
            "No resolvable bootstrap urls given in bootstrap.servers",
        ));
    }
    Ok(out)
}

/// What one JoinGroup + SyncGroup round ended with.
enum Round {
    Done(Joined),
    /// Join again (the member id was already reset where Java resets it): first forget the
    /// coordinator if `coordinator_lost`, then wait `retry.backoff.ms` if `backoff`.
    Retry {
        why: String,
        backoff: bool,
        coordinator_lost: bool,
    },
}

/// A member of a Kafka Connect worker group.
pub struct GroupMember {
    shared: Arc<Shared>,
    heartbeat: Option<JoinHandle<()>>,
    /// The reason sent with the next JoinGroup (Java's `rejoinReason`).
    rejoin_reason: String,
}

impl Drop for GroupMember {
    fn drop(&mut self) {
        if let Some(h) = self.heartbeat.take() {
            h.abort();
        }
    }
}

impl GroupMember {
    /// Validates the settings; connects lazily (on the first [`join`](Self::join)).
    pub fn new(settings: MemberSettings) -> Result<Self> {
        match settings.security_protocol.to_ascii_uppercase().as_str() {
            "PLAINTEXT" => {}
            "SSL" | "SASL_PLAINTEXT" | "SASL_SSL" => {
                return Err(Error::config(format!(
                    "security.protocol={} is not supported by Strait's distributed mode yet: only PLAINTEXT",
                    settings.security_protocol
                )))
            }
            other => {
                return Err(Error::config(format!(
                    "Invalid value {other} for configuration security.protocol: must be one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL"
                )))
            }
        }
        if settings.group_id.is_empty() {
            return Err(Error::config("group.id must not be empty"));
        }
        if settings.heartbeat_interval >= settings.session_timeout {
            // Java's GroupRebalanceConfig/ConsumerConfig rule.
            return Err(Error::config(
                "heartbeat.interval.ms must be lower than session.timeout.ms",
            ));
        }
        let bootstrap = parse_bootstrap(&settings.bootstrap_servers)?;
        let (status, _) = watch::channel(None);
        Ok(GroupMember {
            shared: Arc::new(Shared {
                settings,
                bootstrap,
                coordinator: tokio::sync::Mutex::new(None),
                session: Mutex::new(Session {
                    member_id: String::new(),
                    generation: -1,
                }),
                status,
            }),
            heartbeat: None,
            rejoin_reason: String::new(),
        })
    }

    /// The member id the coordinator gave this member ("" before the first join or after
    /// being expelled).
    pub fn member_id(&self) -> String {
        self.shared.session().member_id
    }

    /// Why a rejoin is needed, if it is.
    pub fn rejoin_needed(&self) -> Option<RejoinReason> {
        self.shared.status.borrow().clone()
    }

    /// A receiver that changes whenever a rejoin becomes needed (and back to `None` after a
    /// successful join); for `select!` loops.
    pub fn subscribe(&self) -> watch::Receiver<Option<RejoinReason>> {
        self.shared.status.subscribe()
    }

    /// Joins (or rejoins) the group offering `protocols` (name, metadata) in order of preference,
    /// and completes the rebalance. When the coordinator elects this member leader, `leader`
    /// computes every member's assignment (member id → bytes; members left out get empty bytes).
    ///
    /// Retries what Java's `AbstractCoordinator` retries; returns an error on what it treats as
    /// fatal (INCONSISTENT_GROUP_PROTOCOL, INVALID_SESSION_TIMEOUT, GROUP_AUTHORIZATION_FAILED, …)
    /// or when `leader` fails.
    pub async fn join(
        &mut self,
        protocols: Vec<(String, Bytes)>,
        leader: &mut (dyn FnMut(LeaderInput) -> Result<HashMap<String, Bytes>> + Send),
    ) -> Result<Joined> {
        if protocols.is_empty() {
            return Err(Error::bug(
                "a group member must offer at least one protocol",
            ));
        }
        // Java disables the heartbeat thread while (re)joining; the old generation is over.
        if let Some(h) = self.heartbeat.take() {
            h.abort();
        }
        let protocols: Vec<JoinGroupRequestProtocol> = protocols
            .into_iter()
            .map(|(name, metadata)| {
                JoinGroupRequestProtocol::default()
                    .with_name(StrBytes::from_string(name))
                    .with_metadata(metadata)
            })
            .collect();
        loop {
            let conn = match self.shared.coordinator().await {
                Ok(c) => c,
                Err(e) if e.is_retriable() => {
                    tracing::warn!(group = %self.shared.settings.group_id, "group coordinator lookup failed: {}", e.message());
                    tokio::time::sleep(self.shared.settings.retry_backoff).await;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let round = match self.round(&conn, &protocols, leader).await {
                Ok(round) => round,
                Err(e) if e.is_retriable() => Round::Retry {
                    why: e.message().to_string(),
                    backoff: true,
                    coordinator_lost: true,
                },
                Err(e) => return Err(e),
            };
            match round {
                Round::Done(joined) => {
                    self.rejoin_reason.clear();
                    self.shared.status.send_replace(None);
                    self.heartbeat = Some(tokio::spawn(heartbeat_loop(
                        self.shared.clone(),
                        joined.generation,
                        joined.member_id.clone(),
                    )));
                    return Ok(joined);
                }
                Round::Retry {
                    why,
                    backoff,
                    coordinator_lost,
                } => {
                    tracing::info!(group = %self.shared.settings.group_id, "rejoining: {why}");
                    self.rejoin_reason = why;
                    if coordinator_lost {
                        self.shared
                            .coordinator_unknown(&conn, &self.rejoin_reason)
                            .await;
                    }
                    if backoff {
                        tokio::time::sleep(self.shared.settings.retry_backoff).await;
                    }
                }
            }
        }
    }

    /// One JoinGroup and, when it succeeds, one SyncGroup.
    async fn round(
        &mut self,
        conn: &Connection,
        protocols: &[JoinGroupRequestProtocol],
        leader: &mut (dyn FnMut(LeaderInput) -> Result<HashMap<String, Bytes>> + Send),
    ) -> Result<Round> {
        let s = &self.shared.settings;
        let group = &s.group_id;
        let sent = self.shared.session();
        let version = conn.version(ApiKey::JoinGroup)?;
        let request = join_request(s, &sent.member_id, protocols, &self.rejoin_reason);
        let timeout = s
            .request_timeout
            .max(s.rebalance_timeout + JOIN_GROUP_TIMEOUT_LAPSE);
        let response: JoinGroupResponse = conn
            .request(ApiKey::JoinGroup, version, &request, timeout)
            .await?;
        let retry = |why: String, backoff: bool, coordinator_lost: bool| {
            Ok(Round::Retry {
                why,
                backoff,
                coordinator_lost,
            })
        };
        match ResponseError::try_from_code(response.error_code) {
            None => {}
            Some(ResponseError::MemberIdRequired) => {
                // KIP-394: the coordinator assigned an id; join again with it, at once.
                let member_id = response.member_id.to_string();
                self.shared
                    .update_session(|s| s.member_id = member_id.clone());
                return retry(
                    format!("need to re-join with the given member-id: {member_id}"),
                    false,
                    false,
                );
            }
            Some(ResponseError::UnknownMemberId) => {
                self.shared.update_session(|s| {
                    if s.member_id == sent.member_id {
                        s.member_id.clear();
                        s.generation = -1;
                    }
                });
                return retry(
                    "encountered UNKNOWN_MEMBER_ID from JOIN_GROUP response".into(),
                    false,
                    false,
                );
            }
            Some(e @ ResponseError::RebalanceInProgress) => {
                return retry(format!("JoinGroup failed: {e}"), false, false)
            }
            Some(e @ ResponseError::CoordinatorLoadInProgress) => {
                return retry(format!("JoinGroup failed: {e}"), true, false)
            }
            Some(e @ (ResponseError::CoordinatorNotAvailable | ResponseError::NotCoordinator)) => {
                return retry(format!("JoinGroup failed: {e}"), true, true)
            }
            Some(e) => return Err(fatal("JoinGroup", group, e)),
        }
        // Java's isProtocolTypeInconsistent: v7+ responses name the protocol type.
        if let Some(t) = &response.protocol_type {
            if t.as_str() != PROTOCOL_TYPE {
                return Err(fatal(
                    "JoinGroup",
                    group,
                    ResponseError::InconsistentGroupProtocol,
                ));
            }
        }
        let member_id = response.member_id.to_string();
        let generation = response.generation_id;
        let protocol = response
            .protocol_name
            .as_ref()
            .map(|p| p.to_string())
            .unwrap_or_default();
        let leader_id = response.leader.to_string();
        self.shared.update_session(|s| {
            s.member_id = member_id.clone();
            s.generation = generation;
        });
        let is_leader = member_id == leader_id;
        let mut assignments = Vec::new();
        if is_leader {
            let input = LeaderInput {
                generation,
                leader_id: leader_id.clone(),
                protocol: protocol.clone(),
                members: response
                    .members
                    .iter()
                    .map(|m| MemberMetadata {
                        member_id: m.member_id.to_string(),
                        group_instance_id: m.group_instance_id.as_ref().map(|i| i.to_string()),
                        metadata: m.metadata.clone(),
                    })
                    .collect(),
            };
            let mut computed: Vec<(String, Bytes)> = leader(input)?.into_iter().collect();
            computed.sort_by(|a, b| a.0.cmp(&b.0));
            assignments = computed
                .into_iter()
                .map(|(member, bytes)| {
                    SyncGroupRequestAssignment::default()
                        .with_member_id(StrBytes::from_string(member))
                        .with_assignment(bytes)
                })
                .collect();
        }
        let version = conn.version(ApiKey::SyncGroup)?;
        let request = sync_request(
            group,
            generation,
            &member_id,
            &protocol,
            assignments,
            version,
        );
        let response: SyncGroupResponse = conn
            .request(ApiKey::SyncGroup, version, &request, s.request_timeout)
            .await?;
        match ResponseError::try_from_code(response.error_code) {
            None => {}
            Some(e @ ResponseError::RebalanceInProgress) => {
                return retry(format!("SyncGroup failed: {e}"), false, false)
            }
            Some(e @ (ResponseError::UnknownMemberId | ResponseError::IllegalGeneration)) => {
                // Java keeps the member id on ILLEGAL_GENERATION (it is still valid).
                let reset_member = e == ResponseError::UnknownMemberId;
                self.shared.update_session(|s| {
                    if s.generation == generation {
                        s.generation = -1;
                        if reset_member {
                            s.member_id.clear();
                        }
                    }
                });
                return retry(
                    format!("encountered {e} from SYNC_GROUP response"),
                    false,
                    false,
                );
            }
            Some(e @ (ResponseError::CoordinatorNotAvailable | ResponseError::NotCoordinator)) => {
                return retry(format!("SyncGroup failed: {e}"), true, true)
            }
            Some(e) => return Err(fatal("SyncGroup", group, e)),
        }
        // Java's SyncGroupResponseHandler: v5+ responses name the protocol type and name.
        let type_ok = response
            .protocol_type
            .as_ref()
            .is_none_or(|t| t.as_str() == PROTOCOL_TYPE);
        let name_ok = response
            .protocol_name
            .as_ref()
            .is_none_or(|n| n.as_str() == protocol);
        if !type_ok || !name_ok {
            return Err(fatal(
                "SyncGroup",
                group,
                ResponseError::InconsistentGroupProtocol,
            ));
        }
        tracing::info!(
            group,
            generation,
            member_id,
            leader_id,
            protocol,
            "joined the worker group"
        );
        Ok(Round::Done(Joined {
            generation,
            member_id,
            leader_id,
            protocol,
            assignment: response.assignment,
            is_leader,
        }))
    }

    /// Leaves the group (LeaveGroup with Java's reason), stopping heartbeats. Best effort, as in
    /// Java: an error is returned for the caller to log, the member is gone either way.
    pub async fn leave(mut self) -> Result<()> {
        if let Some(h) = self.heartbeat.take() {
            h.abort();
        }
        let session = self.shared.session();
        if session.member_id.is_empty() {
            return Ok(());
        }
        let s = &self.shared.settings;
        let conn = self.shared.coordinator.lock().await.clone();
        let Some(conn) = conn.filter(|c| !c.is_closed()) else {
            return Err(Error::external(
                format!("group {}: no coordinator to send LeaveGroup to", s.group_id),
                true,
            ));
        };
        let version = conn.version(ApiKey::LeaveGroup)?;
        let request = leave_request(&s.group_id, &session.member_id, version);
        let response: LeaveGroupResponse = conn
            .request(ApiKey::LeaveGroup, version, &request, s.request_timeout)
            .await?;
        self.shared.update_session(|s| {
            s.member_id.clear();
            s.generation = -1;
        });
        let member_error = response
            .members
            .iter()
            .map(|m| m.error_code)
            .find(|&c| c != 0);
        match ResponseError::try_from_code(member_error.unwrap_or(response.error_code)) {
            None => Ok(()),
            Some(e) => Err(Error::external(
                format!("LeaveGroup for group {} failed: {e}", s.group_id),
                e.is_retriable(),
            )),
        }
    }
}

/// The JoinGroup request `AbstractCoordinator.sendJoinGroupRequest` builds (no static
/// membership; the protocols in the caller's order of preference).
fn join_request(
    s: &MemberSettings,
    member_id: &str,
    protocols: &[JoinGroupRequestProtocol],
    reason: &str,
) -> JoinGroupRequest {
    JoinGroupRequest::default()
        .with_group_id(GroupId(str_bytes(&s.group_id)))
        .with_session_timeout_ms(millis(s.session_timeout))
        .with_rebalance_timeout_ms(millis(s.rebalance_timeout))
        .with_member_id(str_bytes(member_id))
        .with_group_instance_id(None)
        .with_protocol_type(StrBytes::from_static_str(PROTOCOL_TYPE))
        .with_protocols(protocols.to_vec())
        .with_reason(Some(str_bytes(&truncate_reason(reason))))
}

/// The SyncGroup request of `AbstractCoordinator.onLeaderElected` / `onJoinFollower`
/// (followers send no assignments). Protocol type and name exist from v5 on.
fn sync_request(
    group: &str,
    generation: i32,
    member_id: &str,
    protocol: &str,
    assignments: Vec<SyncGroupRequestAssignment>,
    version: i16,
) -> SyncGroupRequest {
    let mut request = SyncGroupRequest::default()
        .with_group_id(GroupId(str_bytes(group)))
        .with_generation_id(generation)
        .with_member_id(str_bytes(member_id))
        .with_group_instance_id(None)
        .with_assignments(assignments);
    if version >= 5 {
        request.protocol_type = Some(StrBytes::from_static_str(PROTOCOL_TYPE));
        request.protocol_name = Some(str_bytes(protocol));
    }
    request
}

/// The Heartbeat request of `AbstractCoordinator.sendHeartbeatRequest`.
fn heartbeat_request(group: &str, generation: i32, member_id: &str) -> HeartbeatRequest {
    HeartbeatRequest::default()
        .with_group_id(GroupId(str_bytes(group)))
        .with_generation_id(generation)
        .with_member_id(str_bytes(member_id))
        .with_group_instance_id(None)
}

/// The LeaveGroup request of `AbstractCoordinator.maybeLeaveGroup` (a member list from v3 on).
fn leave_request(group: &str, member_id: &str, version: i16) -> LeaveGroupRequest {
    let mut request = LeaveGroupRequest::default().with_group_id(GroupId(str_bytes(group)));
    if version >= 3 {
        request.members = vec![MemberIdentity::default()
            .with_member_id(str_bytes(member_id))
            .with_reason(Some(StrBytes::from_static_str(DEFAULT_LEAVE_REASON)))];
    } else {
        request.member_id = str_bytes(member_id);
    }
    request
}

/// Java's `JoinGroupRequest.maybeTruncateReason`: reasons are cut to 255 characters.
fn truncate_reason(reason: &str) -> String {
    reason.chars().take(255).collect()
}

/// Heartbeats for one generation until the coordinator says the membership is over (or the
/// task is aborted by the next `join`, `leave` or drop).
async fn heartbeat_loop(shared: Arc<Shared>, generation: i32, member_id: String) {
    let s = &shared.settings;
    let mut last_ok = Instant::now();
    let mut wait = s.heartbeat_interval;
    loop {
        tokio::time::sleep(wait).await;
        wait = s.heartbeat_interval;
        if last_ok.elapsed() > s.session_timeout {
            // Java's heartbeat thread: "session timed out without receiving a heartbeat response".
            shared.request_rejoin(RejoinReason::SessionTimedOut);
        }
        let conn = match shared.coordinator().await {
            Ok(c) => c,
            Err(e) => {
                tracing::debug!("heartbeat: coordinator lookup failed: {}", e.message());
                wait = s.retry_backoff;
                continue;
            }
        };
        let request = heartbeat_request(&s.group_id, generation, &member_id);
        let response: Result<HeartbeatResponse> = match conn.version(ApiKey::Heartbeat) {
            Ok(v) => {
                conn.request(ApiKey::Heartbeat, v, &request, s.request_timeout)
                    .await
            }
            Err(e) => Err(e),
        };
        let response = match response {
            Ok(r) => r,
            Err(e) if e.is_retriable() => {
                shared.coordinator_unknown(&conn, e.message()).await;
                wait = s.retry_backoff;
                continue;
            }
            Err(e) => {
                shared.request_rejoin(RejoinReason::Failed(e.message().to_string()));
                return;
            }
        };
        match ResponseError::try_from_code(response.error_code) {
            None => last_ok = Instant::now(),
            Some(ResponseError::RebalanceInProgress) => {
                // Still a member: keep heartbeating until the owner rejoins.
                last_ok = Instant::now();
                shared.request_rejoin(RejoinReason::RebalanceInProgress);
            }
            Some(e @ (ResponseError::CoordinatorNotAvailable | ResponseError::NotCoordinator)) => {
                shared.coordinator_unknown(&conn, &e.to_string()).await;
                wait = s.retry_backoff;
            }
            Some(e @ (ResponseError::UnknownMemberId | ResponseError::FencedInstanceId)) => {
                shared.update_session(|s| {
                    if s.generation == generation {
                        s.member_id.clear();
                        s.generation = -1;
                    }
                });
                shared.request_rejoin(RejoinReason::Expelled(e.to_string()));
                return;
            }
            Some(ResponseError::IllegalGeneration) => {
                shared.update_session(|s| {
                    if s.generation == generation {
                        s.generation = -1;
                    }
                });
                shared.request_rejoin(RejoinReason::StaleGeneration);
                return;
            }
            Some(e) => {
                shared.request_rejoin(RejoinReason::Failed(format!(
                    "Heartbeat for group {} failed: {e}",
                    s.group_id
                )));
                return;
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod fake;

#[cfg(test)]
mod tests {
    use super::fake::{Fake, Req, Resp};
    use super::*;

    fn settings(addr: &str, group: &str) -> MemberSettings {
        let mut s = MemberSettings::new(addr, group);
        s.client_id = "strait-test".into();
        s.session_timeout = Duration::from_millis(1000);
        s.heartbeat_interval = Duration::from_millis(20);
        s.rebalance_timeout = Duration::from_millis(2000);
        s.request_timeout = Duration::from_millis(2000);
        s.retry_backoff = Duration::from_millis(10);
        s
    }

    fn protocols() -> Vec<(String, Bytes)> {
        // Java's WorkerCoordinator offers sessioned, compatible, default (most preferred first).
        vec![
            ("sessioned".to_string(), Bytes::from_static(b"md-v2")),
            ("compatible".to_string(), Bytes::from_static(b"md-v1")),
            ("default".to_string(), Bytes::from_static(b"md-v0")),
        ]
    }

    fn ok_join(generation: i32, member: &str, leader: &str, members: &[&str]) -> Resp {
        Resp::Join {
            error: 0,
            generation,
            protocol: "sessioned".into(),
            leader: leader.into(),
            member_id: member.into(),
            members: members
                .iter()
                .map(|m| (m.to_string(), Bytes::from(format!("meta-{m}"))))
                .collect(),
        }
    }

    fn join_error(error: i16, member: &str) -> Resp {
        Resp::Join {
            error,
            generation: -1,
            protocol: String::new(),
            leader: String::new(),
            member_id: member.into(),
            members: vec![],
        }
    }

    fn no_leader() -> impl FnMut(LeaderInput) -> Result<HashMap<String, Bytes>> + Send {
        |_| Err(Error::bug("this member must not be the leader"))
    }

    fn join_member_ids(fake: &Fake) -> Vec<String> {
        fake.requests()
            .into_iter()
            .filter_map(|r| match r {
                Req::Join { member_id, .. } => Some(member_id),
                _ => None,
            })
            .collect()
    }

    #[tokio::test]
    async fn leader_rejoins_with_required_member_id_and_sends_the_computed_assignments() {
        let fake = Fake::start(Box::new(|req| match req {
            Req::Join { member_id, .. } if member_id.is_empty() => join_error(79, "m-1"),
            Req::Join { .. } => ok_join(1, "m-1", "m-1", &["m-1", "m-2"]),
            Req::Sync { assignments, .. } => Resp::Sync {
                error: 0,
                assignment: assignments
                    .iter()
                    .find(|(m, _)| m == "m-1")
                    .map(|(_, a)| a.clone())
                    .unwrap_or_default(),
            },
            other => panic!("unexpected {other:?}"),
        }))
        .await;
        let mut member = GroupMember::new(settings(&fake.addr, "g1")).unwrap();
        let mut seen = None;
        let joined = member
            .join(protocols(), &mut |input: LeaderInput| {
                let out = input
                    .members
                    .iter()
                    .map(|m| {
                        (
                            m.member_id.clone(),
                            Bytes::from(format!("assign-{}", m.member_id)),
                        )
                    })
                    .collect();
                seen = Some(input);
                Ok(out)
            })
            .await
            .unwrap();
        assert_eq!(
            joined,
            Joined {
                generation: 1,
                member_id: "m-1".into(),
                leader_id: "m-1".into(),
                protocol: "sessioned".into(),
                assignment: Bytes::from_static(b"assign-m-1"),
                is_leader: true,
            }
        );
        let seen = seen.expect("leader callback ran");
        assert_eq!(seen.protocol, "sessioned");
        assert_eq!(seen.generation, 1);
        assert_eq!(
            seen.members,
            vec![
                MemberMetadata {
                    member_id: "m-1".into(),
                    group_instance_id: None,
                    metadata: Bytes::from_static(b"meta-m-1"),
                },
                MemberMetadata {
                    member_id: "m-2".into(),
                    group_instance_id: None,
                    metadata: Bytes::from_static(b"meta-m-2"),
                },
            ]
        );
        let requests = fake.requests();
        assert_eq!(
            requests[0],
            Req::FindCoordinator {
                key: "g1".into(),
                key_type: 0
            }
        );
        // The JoinGroup fields Java's AbstractCoordinator/WorkerCoordinator send.
        assert_eq!(
            requests[1],
            Req::Join {
                client_id: Some("strait-test".into()),
                group: "g1".into(),
                session_timeout: 1000,
                rebalance_timeout: 2000,
                member_id: String::new(),
                instance_id: None,
                protocol_type: "connect".into(),
                protocols: protocols(),
            }
        );
        assert_eq!(
            join_member_ids(&fake),
            vec!["".to_string(), "m-1".to_string()]
        );
        assert_eq!(
            requests[3],
            Req::Sync {
                group: "g1".into(),
                generation: 1,
                member_id: "m-1".into(),
                assignments: vec![
                    ("m-1".into(), Bytes::from_static(b"assign-m-1")),
                    ("m-2".into(), Bytes::from_static(b"assign-m-2")),
                ],
            }
        );
        assert_eq!(member.member_id(), "m-1");
        assert_eq!(member.rejoin_needed(), None);
    }

    #[tokio::test]
    async fn follower_sends_no_assignments_and_receives_its_own() {
        let fake = Fake::start(Box::new(|req| match req {
            Req::Join { .. } => ok_join(7, "m-2", "m-1", &[]),
            Req::Sync { assignments, .. } => {
                assert!(assignments.is_empty(), "a follower sends no assignments");
                Resp::Sync {
                    error: 0,
                    assignment: Bytes::from_static(b"yours"),
                }
            }
            other => panic!("unexpected {other:?}"),
        }))
        .await;
        let mut member = GroupMember::new(settings(&fake.addr, "g2")).unwrap();
        let joined = member.join(protocols(), &mut no_leader()).await.unwrap();
        assert!(!joined.is_leader);
        assert_eq!(joined.leader_id, "m-1");
        assert_eq!(joined.generation, 7);
        assert_eq!(joined.assignment, Bytes::from_static(b"yours"));
    }

    #[tokio::test]
    async fn join_and_sync_errors_are_handled_as_abstract_coordinator_does() {
        let mut joins = 0;
        let mut syncs = 0;
        let fake = Fake::start(Box::new(move |req| match req {
            Req::Join { .. } => {
                joins += 1;
                match joins {
                    1 => join_error(14, ""), // COORDINATOR_LOAD_IN_PROGRESS: back off, retry
                    2 => join_error(16, ""), // NOT_COORDINATOR: find the coordinator again
                    3 => join_error(27, ""), // REBALANCE_IN_PROGRESS: rejoin
                    n => ok_join(n, "m-1", "m-0", &[]),
                }
            }
            Req::Sync { .. } => {
                syncs += 1;
                let error = match syncs {
                    1 => 25, // UNKNOWN_MEMBER_ID: reset the member id, rejoin
                    2 => 22, // ILLEGAL_GENERATION: keep the member id, rejoin
                    3 => 27, // REBALANCE_IN_PROGRESS: rejoin
                    _ => 0,
                };
                Resp::Sync {
                    error,
                    assignment: Bytes::from_static(b"a"),
                }
            }
            other => panic!("unexpected {other:?}"),
        }))
        .await;
        let mut member = GroupMember::new(settings(&fake.addr, "g3")).unwrap();
        let joined = member.join(protocols(), &mut no_leader()).await.unwrap();
        assert_eq!(joined.generation, 7);
        assert_eq!(
            join_member_ids(&fake),
            vec!["", "", "", "", "", "m-1", "m-1"],
            "member id reset after UNKNOWN_MEMBER_ID, kept after ILLEGAL_GENERATION"
        );
        let finds = fake
            .requests()
            .iter()
            .filter(|r| matches!(r, Req::FindCoordinator { .. }))
            .count();
        assert_eq!(
            finds, 2,
            "NOT_COORDINATOR makes the member find the coordinator again"
        );
    }

    #[tokio::test]
    async fn fatal_join_error_is_returned() {
        let fake = Fake::start(Box::new(|req| match req {
            Req::Join { .. } => join_error(23, ""), // INCONSISTENT_GROUP_PROTOCOL
            other => panic!("unexpected {other:?}"),
        }))
        .await;
        let mut member = GroupMember::new(settings(&fake.addr, "g4")).unwrap();
        let err = member
            .join(protocols(), &mut no_leader())
            .await
            .unwrap_err();
        assert!(!err.is_retriable());
        assert!(
            err.message().contains("InconsistentGroupProtocol"),
            "{}",
            err.message()
        );
    }

    #[tokio::test]
    async fn leader_callback_error_is_returned() {
        let fake = Fake::start(Box::new(|req| match req {
            Req::Join { .. } => ok_join(1, "m-1", "m-1", &["m-1"]),
            other => panic!("unexpected {other:?}"),
        }))
        .await;
        let mut member = GroupMember::new(settings(&fake.addr, "g5")).unwrap();
        let err = member
            .join(protocols(), &mut |_| Err(Error::data("cannot assign")))
            .await
            .unwrap_err();
        assert_eq!(err.message(), "cannot assign");
    }

    async fn wait_rejoin(member: &GroupMember) -> RejoinReason {
        let mut rx = member.subscribe();
        let reason = tokio::time::timeout(Duration::from_secs(20), rx.wait_for(|r| r.is_some()))
            .await
            .expect("rejoin needed in time")
            .expect("member alive")
            .clone();
        reason.expect("some")
    }

    #[tokio::test]
    async fn heartbeat_rebalance_in_progress_asks_for_a_rejoin_and_keeps_heartbeating() {
        let mut heartbeats = 0;
        let fake = Fake::start(Box::new(move |req| match req {
            Req::Join { .. } => ok_join(1, "m-1", "m-0", &[]),
            Req::Sync { .. } => Resp::Sync {
                error: 0,
                assignment: Bytes::new(),
            },
            Req::Heartbeat {
                generation,
                member_id,
                group,
            } => {
                assert_eq!(
                    (group.as_str(), *generation, member_id.as_str()),
                    ("g6", 1, "m-1")
                );
                heartbeats += 1;
                Resp::Error(if heartbeats < 3 { 0 } else { 27 })
            }
            other => panic!("unexpected {other:?}"),
        }))
        .await;
        let mut member = GroupMember::new(settings(&fake.addr, "g6")).unwrap();
        member.join(protocols(), &mut no_leader()).await.unwrap();
        assert_eq!(
            wait_rejoin(&member).await,
            RejoinReason::RebalanceInProgress
        );
        let count = || {
            fake.requests()
                .iter()
                .filter(|r| matches!(r, Req::Heartbeat { .. }))
                .count()
        };
        let before = count();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(count() > before, "heartbeats go on until the owner rejoins");
        assert_eq!(member.member_id(), "m-1");
        member.join(protocols(), &mut no_leader()).await.unwrap();
        assert_eq!(
            member.rejoin_needed(),
            None,
            "a completed join clears the request"
        );
    }

    #[tokio::test]
    async fn heartbeat_not_coordinator_rediscovers_the_coordinator_without_a_rebalance() {
        let mut heartbeats = 0;
        let fake = Fake::start(Box::new(move |req| match req {
            Req::Join { .. } => ok_join(1, "m-1", "m-0", &[]),
            Req::Sync { .. } => Resp::Sync {
                error: 0,
                assignment: Bytes::new(),
            },
            Req::Heartbeat { .. } => {
                heartbeats += 1;
                Resp::Error(if heartbeats == 2 { 16 } else { 0 })
            }
            other => panic!("unexpected {other:?}"),
        }))
        .await;
        let mut member = GroupMember::new(settings(&fake.addr, "g10")).unwrap();
        member.join(protocols(), &mut no_leader()).await.unwrap();
        let count = |want: fn(&Req) -> bool| fake.requests().iter().filter(|r| want(r)).count();
        tokio::time::timeout(Duration::from_secs(10), async {
            while count(|r| matches!(r, Req::Heartbeat { .. })) < 5 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .expect("heartbeats go on");
        assert_eq!(
            count(|r| matches!(r, Req::FindCoordinator { .. })),
            2,
            "NOT_COORDINATOR in a heartbeat makes the member find the coordinator again"
        );
        assert_eq!(
            member.rejoin_needed(),
            None,
            "a coordinator move is no rebalance"
        );
    }

    #[tokio::test]
    async fn heartbeat_unknown_member_id_expels_the_member() {
        let fake = Fake::start(Box::new(move |req| match req {
            Req::Join { .. } => ok_join(1, "m-1", "m-0", &[]),
            Req::Sync { .. } => Resp::Sync {
                error: 0,
                assignment: Bytes::new(),
            },
            Req::Heartbeat { .. } => Resp::Error(25),
            other => panic!("unexpected {other:?}"),
        }))
        .await;
        let mut member = GroupMember::new(settings(&fake.addr, "g7")).unwrap();
        member.join(protocols(), &mut no_leader()).await.unwrap();
        assert!(matches!(
            wait_rejoin(&member).await,
            RejoinReason::Expelled(_)
        ));
        assert_eq!(member.member_id(), "", "an expelled member forgets its id");
        let heartbeats = fake
            .requests()
            .iter()
            .filter(|r| matches!(r, Req::Heartbeat { .. }))
            .count();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let after = fake
            .requests()
            .iter()
            .filter(|r| matches!(r, Req::Heartbeat { .. }))
            .count();
        assert_eq!(
            heartbeats, after,
            "heartbeats stop once the member is expelled"
        );
    }

    #[tokio::test]
    async fn unanswered_heartbeats_time_the_session_out() {
        let fake = Fake::start(Box::new(move |req| match req {
            Req::Join { .. } => ok_join(1, "m-1", "m-0", &[]),
            Req::Sync { .. } => Resp::Sync {
                error: 0,
                assignment: Bytes::new(),
            },
            Req::Heartbeat { .. } => Resp::Silence,
            other => panic!("unexpected {other:?}"),
        }))
        .await;
        let mut s = settings(&fake.addr, "g8");
        s.request_timeout = Duration::from_millis(100);
        s.session_timeout = Duration::from_millis(300);
        let mut member = GroupMember::new(s).unwrap();
        member.join(protocols(), &mut no_leader()).await.unwrap();
        assert_eq!(wait_rejoin(&member).await, RejoinReason::SessionTimedOut);
    }

    #[tokio::test]
    async fn leave_sends_leave_group_with_the_member_id() {
        let fake = Fake::start(Box::new(move |req| match req {
            Req::Join { .. } => ok_join(1, "m-1", "m-0", &[]),
            Req::Sync { .. } => Resp::Sync {
                error: 0,
                assignment: Bytes::new(),
            },
            Req::Heartbeat { .. } => Resp::Error(0),
            Req::Leave { .. } => Resp::Error(0),
            other => panic!("unexpected {other:?}"),
        }))
        .await;
        let mut member = GroupMember::new(settings(&fake.addr, "g9")).unwrap();
        member.join(protocols(), &mut no_leader()).await.unwrap();
        member.leave().await.unwrap();
        let leaves: Vec<Req> = fake
            .requests()
            .into_iter()
            .filter(|r| matches!(r, Req::Leave { .. }))
            .collect();
        assert_eq!(
            leaves,
            vec![Req::Leave {
                group: "g9".into(),
                members: vec!["m-1".into()]
            }]
        );
    }

    /// Java's bytes for one request (header + body), from `tests/golden/membership/Gen.java`
    /// (rerun: `java -cp '/work/main/.test-services/kafka/libs/*' distributed/tests/golden/membership/Gen.java distributed/tests/golden/membership`).
    fn golden(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/tests/golden/membership/{name}.bin",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// Strait's bytes for the same request, framed as Java framed it (client id "connect-1",
    /// correlation id 7), without the size prefix.
    fn ours(
        api: ApiKey,
        version: i16,
        request: &impl kafka_protocol::protocol::Encodable,
    ) -> Vec<u8> {
        let frame = conn::encode_frame(
            api,
            version,
            7,
            &StrBytes::from_static_str("connect-1"),
            request,
        )
        .unwrap();
        frame[4..].to_vec()
    }

    const GOLDEN_MEMBER: &str = "connect-1-0f3c2a9e-1b7d-4d7e-9a43-2c1e8f6b5a10";

    /// The protocols Java's WorkerCoordinator offers (sessioned, compatible, default), as
    /// recorded; the metadata bytes come from Java and are opaque here.
    fn java_protocols() -> Vec<JoinGroupRequestProtocol> {
        let path = format!(
            "{}/tests/golden/membership/protocols.txt",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|line| {
                let (name, hex) = line.split_once(' ').unwrap();
                let metadata: Vec<u8> = (0..hex.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                    .collect();
                JoinGroupRequestProtocol::default()
                    .with_name(str_bytes(name))
                    .with_metadata(Bytes::from(metadata))
            })
            .collect()
    }

    #[test]
    fn requests_match_the_bytes_a_java_worker_sends() {
        let protocols = java_protocols();
        let names: Vec<&str> = protocols.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["sessioned", "compatible", "default"]);
        let mut s = MemberSettings::new("localhost:9092", "connect-cluster");
        s.client_id = "connect-1".into();
        assert_eq!(
            ours(ApiKey::JoinGroup, 9, &join_request(&s, "", &protocols, "")),
            golden("join-first-v9")
        );
        let reason = format!("need to re-join with the given member-id: {GOLDEN_MEMBER}");
        assert_eq!(
            ours(
                ApiKey::JoinGroup,
                9,
                &join_request(&s, GOLDEN_MEMBER, &protocols, &reason)
            ),
            golden("join-member-id-v9")
        );
        let follower = sync_request("connect-cluster", 3, GOLDEN_MEMBER, "sessioned", vec![], 5);
        assert_eq!(
            ours(ApiKey::SyncGroup, 5, &follower),
            golden("sync-follower-v5")
        );
        let assignment = SyncGroupRequestAssignment::default()
            .with_member_id(str_bytes(GOLDEN_MEMBER))
            .with_assignment(Bytes::from_static(&[0, 1, 2, 3]));
        let leader = sync_request(
            "connect-cluster",
            3,
            GOLDEN_MEMBER,
            "sessioned",
            vec![assignment],
            5,
        );
        assert_eq!(
            ours(ApiKey::SyncGroup, 5, &leader),
            golden("sync-leader-v5")
        );
        let heartbeat = heartbeat_request("connect-cluster", 3, GOLDEN_MEMBER);
        assert_eq!(
            ours(ApiKey::Heartbeat, 4, &heartbeat),
            golden("heartbeat-v4")
        );
        let leave = leave_request("connect-cluster", GOLDEN_MEMBER, 5);
        assert_eq!(ours(ApiKey::LeaveGroup, 5, &leave), golden("leave-v5"));
    }

    #[test]
    fn only_plaintext_and_valid_bootstrap_servers_are_accepted() {
        for protocol in ["SSL", "sasl_ssl", "SASL_PLAINTEXT"] {
            let mut s = MemberSettings::new("localhost:9092", "g");
            s.security_protocol = protocol.into();
            let err = GroupMember::new(s).err().expect("rejected");
            assert!(
                err.message().contains("only PLAINTEXT"),
                "{}",
                err.message()
            );
        }
        let mut s = MemberSettings::new("localhost:9092", "g");
        s.security_protocol = "plaintext".into();
        assert!(GroupMember::new(s).is_ok());
        for servers in ["", "localhost", "host:port", ":9092"] {
            assert!(
                GroupMember::new(MemberSettings::new(servers, "g")).is_err(),
                "{servers}"
            );
        }
        let mut s = MemberSettings::new("a:1, b:2", "g");
        s.heartbeat_interval = s.session_timeout;
        assert!(GroupMember::new(s).is_err());
        assert_eq!(parse_bootstrap("a:1, b:2,").unwrap(), vec!["a:1", "b:2"]);
    }

    /// Tests against the shared real broker (STRAIT_TEST_BOOTSTRAP); skipped when it is unset.
    mod broker {
        use super::*;

        fn bootstrap() -> Option<String> {
            let b = std::env::var("STRAIT_TEST_BOOTSTRAP").ok();
            if b.is_none() {
                eprintln!("skipped: STRAIT_TEST_BOOTSTRAP is not set");
            }
            b
        }

        fn group() -> String {
            format!("strait-member-test-{:016x}", rand::random::<u64>())
        }

        fn member(bootstrap: &str, group: &str, n: usize) -> GroupMember {
            let mut s = MemberSettings::new(bootstrap, group);
            s.client_id = format!("strait-test-{n}");
            // The broker's group.min.session.timeout.ms is 6 s by default.
            s.session_timeout = Duration::from_millis(6000);
            s.heartbeat_interval = Duration::from_millis(300);
            s.rebalance_timeout = Duration::from_millis(15000);
            GroupMember::new(s).unwrap()
        }

        /// Opaque metadata that says which member offered it.
        fn offer(n: usize) -> Vec<(String, Bytes)> {
            vec![
                ("sessioned".into(), Bytes::from(format!("worker-{n}-v2"))),
                ("default".into(), Bytes::from(format!("worker-{n}-v0"))),
            ]
        }

        /// The leader assigns each member bytes derived from its metadata and id.
        fn assign(input: &LeaderInput) -> HashMap<String, Bytes> {
            input
                .members
                .iter()
                .map(|m| {
                    let md = String::from_utf8_lossy(&m.metadata);
                    (
                        m.member_id.clone(),
                        Bytes::from(format!("gen{}:{}:{md}", input.generation, m.member_id)),
                    )
                })
                .collect()
        }

        type Outcome = (GroupMember, Joined, Option<LeaderInput>);

        fn spawn_join(mut m: GroupMember, n: usize) -> tokio::task::JoinHandle<Outcome> {
            tokio::spawn(async move {
                let mut seen = None;
                let joined = tokio::time::timeout(
                    Duration::from_secs(60),
                    m.join(offer(n), &mut |input: LeaderInput| {
                        let out = assign(&input);
                        seen = Some(input);
                        Ok(out)
                    }),
                )
                .await
                .expect("join in time")
                .expect("join");
                (m, joined, seen)
            })
        }

        async fn join_all(members: Vec<(usize, GroupMember)>) -> Vec<(usize, Outcome)> {
            let handles: Vec<_> = members
                .into_iter()
                .map(|(n, m)| (n, spawn_join(m, n)))
                .collect();
            let mut out = Vec::new();
            for (n, h) in handles {
                out.push((n, h.await.unwrap()));
            }
            out
        }

        /// Exactly one leader, everybody on one generation, and every member holds the bytes
        /// the leader computed for it from its own metadata.
        fn check_round(outcomes: &[(usize, Outcome)]) -> (i32, LeaderInput) {
            let leaders: Vec<_> = outcomes.iter().filter(|(_, o)| o.1.is_leader).collect();
            assert_eq!(leaders.len(), 1, "exactly one leader");
            let input = leaders[0].1 .2.clone().expect("the leader's callback ran");
            let generation = outcomes[0].1 .1.generation;
            assert_eq!(input.members.len(), outcomes.len());
            assert_eq!(input.protocol, "sessioned");
            for (n, (_, joined, seen)) in outcomes {
                assert_eq!(joined.generation, generation);
                assert_eq!(joined.protocol, "sessioned");
                assert_eq!(joined.leader_id, input.leader_id);
                assert_eq!(seen.is_some(), joined.is_leader);
                let expected = format!("gen{generation}:{}:worker-{n}-v2", joined.member_id);
                assert_eq!(joined.assignment, Bytes::from(expected));
            }
            (generation, input)
        }

        async fn wait_for(m: &GroupMember, within: Duration) -> RejoinReason {
            let mut rx = m.subscribe();
            let reason = tokio::time::timeout(within, rx.wait_for(|r| r.is_some()))
                .await
                .expect("the member learns of the rebalance in time")
                .expect("alive")
                .clone();
            reason.expect("some")
        }

        #[tokio::test]
        async fn members_join_one_group_with_one_leader_and_a_newcomer_rebalances_them() {
            let Some(b) = bootstrap() else { return };
            let g = group();
            let first = join_all(vec![(1, member(&b, &g, 1)), (2, member(&b, &g, 2))]).await;
            let (generation, _) = check_round(&first);
            let mut members: Vec<(usize, GroupMember)> =
                first.into_iter().map(|(n, o)| (n, o.0)).collect();

            // A third member's JoinGroup starts a rebalance the others learn of by heartbeat.
            let third = spawn_join(member(&b, &g, 3), 3);
            for (_, m) in &members {
                assert_eq!(
                    wait_for(m, Duration::from_secs(20)).await,
                    RejoinReason::RebalanceInProgress
                );
            }
            let mut handles: Vec<_> = members
                .drain(..)
                .map(|(n, m)| (n, spawn_join(m, n)))
                .collect();
            handles.push((3, third));
            let mut second = Vec::new();
            for (n, h) in handles {
                second.push((n, h.await.unwrap()));
            }
            let (generation2, input) = check_round(&second);
            assert!(generation2 > generation);
            assert_eq!(input.members.len(), 3);
            for (_, (m, _, _)) in second {
                assert_eq!(m.rejoin_needed(), None);
                m.leave().await.unwrap();
            }
        }

        #[tokio::test]
        async fn a_member_that_stops_heartbeating_is_expelled_after_the_session_timeout() {
            let Some(b) = bootstrap() else { return };
            let g = group();
            let round = join_all(vec![(1, member(&b, &g, 1)), (2, member(&b, &g, 2))]).await;
            check_round(&round);
            let mut it = round.into_iter();
            let (_, (survivor, _, _)) = it.next().unwrap();
            let (_, (silent, _, _)) = it.next().unwrap();
            let started = Instant::now();
            drop(silent); // no LeaveGroup, no more heartbeats
            assert_eq!(
                wait_for(&survivor, Duration::from_secs(30)).await,
                RejoinReason::RebalanceInProgress
            );
            assert!(
                started.elapsed() >= Duration::from_millis(4000),
                "the rebalance waited for the session timeout ({:?})",
                started.elapsed()
            );
            let again = join_all(vec![(1, survivor)]).await;
            let (_, input) = check_round(&again);
            assert_eq!(input.members.len(), 1, "the silent member was expelled");
            for (_, (m, _, _)) in again {
                m.leave().await.unwrap();
            }
        }

        #[tokio::test]
        async fn leave_makes_the_others_rebalance_at_once() {
            let Some(b) = bootstrap() else { return };
            let g = group();
            let round = join_all(vec![(1, member(&b, &g, 1)), (2, member(&b, &g, 2))]).await;
            check_round(&round);
            let mut it = round.into_iter();
            let (_, (stays, _, _)) = it.next().unwrap();
            let (_, (leaves, _, _)) = it.next().unwrap();
            let started = Instant::now();
            leaves.leave().await.unwrap();
            assert_eq!(
                wait_for(&stays, Duration::from_secs(5)).await,
                RejoinReason::RebalanceInProgress
            );
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "well before the session timeout"
            );
            let again = join_all(vec![(1, stays)]).await;
            let (_, input) = check_round(&again);
            assert_eq!(input.members.len(), 1);
            for (_, (m, _, _)) in again {
                m.leave().await.unwrap();
            }
        }
    }
}
