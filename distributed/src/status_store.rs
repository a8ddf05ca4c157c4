//! The status topic (`status.storage.topic`): connector, task and active-topic statuses in the
//! keys and JSON of Java's `KafkaStatusBackingStore` (with `AbstractStatus`, `ConnectorStatus`,
//! `TaskStatus`, `TopicStatus`), and the cache they replay into.
//!
//! Nothing here does I/O. The integrator feeds every record read from the topic, in order per
//! partition, to [`StatusStore::apply`], and sends what [`StatusStore::prepare_connector`],
//! [`StatusStore::prepare_task`], [`encode_topic_status`] and [`delete_topic_status`] return.
//! A status written is not visible until it is read back, as in Java.
//!
//! Records (Kafka 4.1, with KIP-891's `version`):
//! * `status-connector-<c>` and `status-task-<c>-<n>`:
//!   `{"state":"RUNNING","trace":null,"worker_id":"host:8083","generation":7,"version":"1.0"}`;
//!   every field written, `trace` and `version` as `null` when absent; DESTROYED is a tombstone.
//! * `status-topic-<topic>:connector-<c>`:
//!   `{"topic":{"name":"<topic>","connector":"<c>","task":0,"discoverTimestamp":1700000000000}}`;
//!   a tombstone removes the active topic.
//!
//! Where Strait differs from Java: a status whose `worker_id` is missing or null, which Java
//! keeps (and then fails on when it compares worker ids), is ignored with a warning; Java never
//! writes one (`worker_id` is a required field of its schema).

use std::collections::BTreeMap;

use serde_json::Value;
use strait_engine::herder::{ConnectorState, TaskState};
use strait_engine::runtime::State;

use crate::offset_store::write_java_json_str;

/// Key prefix of connector statuses.
pub const CONNECTOR_STATUS_PREFIX: &str = "status-connector-";
/// Key prefix of task statuses.
pub const TASK_STATUS_PREFIX: &str = "status-task-";
/// Key prefix of active-topic records.
pub const TOPIC_STATUS_PREFIX: &str = "status-topic-";
/// Between the topic and the connector in an active-topic key.
pub const TOPIC_STATUS_SEPARATOR: &str = ":connector-";

/// Java's `AbstractStatus.State`: the engine's [`State`] plus DESTROYED, which is written as a
/// tombstone (but a record spelling it out is still read, as Java's `valueOf` accepts it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusState {
    Unassigned,
    Running,
    Paused,
    Failed,
    Destroyed,
    Restarting,
    Stopped,
}

impl StatusState {
    /// The enum constant's name, as written in the record.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusState::Unassigned => "UNASSIGNED",
            StatusState::Running => "RUNNING",
            StatusState::Paused => "PAUSED",
            StatusState::Failed => "FAILED",
            StatusState::Destroyed => "DESTROYED",
            StatusState::Restarting => "RESTARTING",
            StatusState::Stopped => "STOPPED",
        }
    }

    /// `State.valueOf`: exact, case-sensitive names only.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "UNASSIGNED" => StatusState::Unassigned,
            "RUNNING" => StatusState::Running,
            "PAUSED" => StatusState::Paused,
            "FAILED" => StatusState::Failed,
            "DESTROYED" => StatusState::Destroyed,
            "RESTARTING" => StatusState::Restarting,
            "STOPPED" => StatusState::Stopped,
            _ => return None,
        })
    }

    /// The engine's state; `None` for DESTROYED, which the engine has no state for.
    pub fn to_runtime(self) -> Option<State> {
        Some(match self {
            StatusState::Unassigned => State::Unassigned,
            StatusState::Running => State::Running,
            StatusState::Paused => State::Paused,
            StatusState::Failed => State::Failed,
            StatusState::Restarting => State::Restarting,
            StatusState::Stopped => State::Stopped,
            StatusState::Destroyed => return None,
        })
    }
}

impl From<State> for StatusState {
    fn from(s: State) -> Self {
        match s {
            State::Unassigned => StatusState::Unassigned,
            State::Running => StatusState::Running,
            State::Paused => StatusState::Paused,
            State::Failed => StatusState::Failed,
            State::Restarting => StatusState::Restarting,
            State::Stopped => StatusState::Stopped,
        }
    }
}

/// A connector or task status (`AbstractStatus` without its id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub state: StatusState,
    pub trace: Option<String>,
    pub worker_id: String,
    /// The worker group generation at write time (0 in standalone).
    pub generation: i32,
    /// KIP-891: the connector or task plugin version, when known.
    pub version: Option<String>,
}

impl Status {
    /// The connector part of `GET /connectors/{c}/status`; `None` for DESTROYED.
    pub fn to_connector_state(&self) -> Option<ConnectorState> {
        Some(ConnectorState {
            state: self.state.to_runtime()?,
            worker_id: self.worker_id.clone(),
            version: self.version.clone(),
            trace: self.trace.clone(),
        })
    }

    /// A task element of `GET /connectors/{c}/status`; `None` for DESTROYED.
    pub fn to_task_state(&self, id: u32) -> Option<TaskState> {
        Some(TaskState {
            id,
            state: self.state.to_runtime()?,
            worker_id: self.worker_id.clone(),
            version: self.version.clone(),
            trace: self.trace.clone(),
        })
    }
}

/// `TopicStatus`: a topic a connector's task produced to or consumed from (KIP-558).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicStatus {
    pub topic: String,
    pub connector: String,
    pub task: i32,
    pub discover_timestamp: i64,
}

// ---------------------------------------------------------------------------------------------
// Codec
// ---------------------------------------------------------------------------------------------

/// `status-connector-<c>`.
pub fn connector_status_key(connector: &str) -> String {
    format!("{CONNECTOR_STATUS_PREFIX}{connector}")
}

/// `status-task-<c>-<n>`.
pub fn task_status_key(connector: &str, task: u32) -> String {
    format!("{TASK_STATUS_PREFIX}{connector}-{task}")
}

/// `status-topic-<topic>:connector-<c>`.
pub fn topic_status_key(topic: &str, connector: &str) -> String {
    format!("{TOPIC_STATUS_PREFIX}{topic}{TOPIC_STATUS_SEPARATOR}{connector}")
}

/// The value of a connector or task status; `None` (a tombstone) for DESTROYED.
pub fn encode_status(status: &Status) -> Option<Vec<u8>> {
    if status.state == StatusState::Destroyed {
        return None;
    }
    let mut out = Vec::with_capacity(96);
    out.extend_from_slice(b"{\"state\":\"");
    out.extend_from_slice(status.state.as_str().as_bytes());
    out.extend_from_slice(b"\",\"trace\":");
    write_opt_str(&mut out, status.trace.as_deref());
    out.extend_from_slice(b",\"worker_id\":");
    write_java_json_str(&mut out, &status.worker_id);
    out.extend_from_slice(b",\"generation\":");
    out.extend_from_slice(status.generation.to_string().as_bytes());
    out.extend_from_slice(b",\"version\":");
    write_opt_str(&mut out, status.version.as_deref());
    out.push(b'}');
    Some(out)
}

fn write_opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => write_java_json_str(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

/// The record announcing an active topic: key and value.
pub fn encode_topic_status(status: &TopicStatus) -> (String, Option<Vec<u8>>) {
    let mut out = Vec::with_capacity(128);
    out.extend_from_slice(b"{\"topic\":{\"name\":");
    write_java_json_str(&mut out, &status.topic);
    out.extend_from_slice(b",\"connector\":");
    write_java_json_str(&mut out, &status.connector);
    out.extend_from_slice(b",\"task\":");
    out.extend_from_slice(status.task.to_string().as_bytes());
    out.extend_from_slice(b",\"discoverTimestamp\":");
    out.extend_from_slice(status.discover_timestamp.to_string().as_bytes());
    out.extend_from_slice(b"}}");
    (
        topic_status_key(&status.topic, &status.connector),
        Some(out),
    )
}

/// The tombstone removing an active topic (`deleteTopic`).
pub fn delete_topic_status(connector: &str, topic: &str) -> (String, Option<Vec<u8>>) {
    (topic_status_key(topic, connector), None)
}

/// What a status key names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusKey {
    Connector(String),
    Task(String, u32),
    /// `(topic, connector)`.
    Topic(String, String),
}

/// Parse a status key with Java's rules; `Err` carries Java's warning.
///
/// * Prefixes are tried in the order connector, task, topic.
/// * Task keys are split on `-` (Java's `String.split`, which drops trailing empty parts): the
///   last part is the task number, the parts from the third to the one before the last,
///   rejoined with `-`, the connector name.
/// * Topic keys are split at the first `:`; the connector name starts 11 characters (the
///   length of `:connector-`) after it, whatever those characters are, as in Java.
pub fn parse_status_key(key: &str) -> Result<StatusKey, String> {
    if let Some(connector) = key.strip_prefix(CONNECTOR_STATUS_PREFIX) {
        if connector.is_empty() {
            return Err(format!(
                "Discarding record with invalid connector status key {key}"
            ));
        }
        return Ok(StatusKey::Connector(connector.to_string()));
    }
    if key.starts_with(TASK_STATUS_PREFIX) {
        let mut parts: Vec<&str> = key.split('-').collect();
        while parts.last() == Some(&"") {
            parts.pop();
        }
        let invalid = || format!("Discarding record with invalid task status key {key}");
        if parts.len() < 4 {
            return Err(invalid());
        }
        let task = parse_java_int(parts[parts.len() - 1])
            .filter(|t| *t >= 0)
            .ok_or_else(invalid)?;
        let connector = parts[2..parts.len() - 1].join("-");
        return Ok(StatusKey::Task(connector, task as u32));
    }
    if key.starts_with(TOPIC_STATUS_PREFIX) {
        let invalid = || format!("Discarding record with invalid topic status key {key}");
        let Some(delim) = key.find(':') else {
            return Err(invalid());
        };
        if delim < TOPIC_STATUS_PREFIX.len() {
            return Err(invalid());
        }
        let topic = &key[TOPIC_STATUS_PREFIX.len()..delim];
        if topic.is_empty() {
            return Err(format!(
                "Discarding record with invalid topic status key containing empty topic {key}"
            ));
        }
        // Skip `:connector-`'s length in UTF-16 units, as Java's substring does.
        let mut units = 0;
        let mut start = None;
        for (i, c) in key[delim..].char_indices() {
            if units >= TOPIC_STATUS_SEPARATOR.len() {
                start = Some(delim + i);
                break;
            }
            units += c.len_utf16();
        }
        let connector = match start {
            Some(s) => &key[s..],
            None if units == TOPIC_STATUS_SEPARATOR.len() => "",
            None => return Err(invalid()),
        };
        if connector.is_empty() {
            return Err(format!(
                "Discarding record with invalid topic status key containing empty connector {key}"
            ));
        }
        return Ok(StatusKey::Topic(topic.to_string(), connector.to_string()));
    }
    Err(format!("Discarding record with invalid key {key}"))
}

/// `Integer.parseInt` for ASCII digits: an optional sign, at least one digit, in range.
fn parse_java_int(s: &str) -> Option<i32> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The value of an integral JSON number as `JsonConverter` reads it (a `Long`), or `None` for
/// anything else (Java's cast to `Long` fails).
fn json_long(v: Option<&Value>) -> Option<i64> {
    let n = match v? {
        Value::Number(n) => n,
        _ => return None,
    };
    n.as_i64().or_else(|| n.as_u64().map(|u| u as i64))
}

/// A field cast to `String` as Java does: absent or null is `None`, a non-string fails.
fn json_opt_str(v: Option<&Value>) -> Result<Option<String>, ()> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(()),
    }
}

/// Parse a connector or task status value as `parseConnectorStatus`/`parseTaskStatus` do.
pub fn parse_status(value: &[u8]) -> Result<Status, String> {
    let fail = |why: &str| format!("Failed to deserialize status: {why}");
    let v: Value = serde_json::from_slice(value).map_err(|e| fail(&e.to_string()))?;
    let Value::Object(m) = v else {
        return Err(fail("not a JSON object"));
    };
    let state = match m.get("state") {
        Some(Value::String(s)) => {
            StatusState::parse(s).ok_or_else(|| fail(&format!("unknown state {s}")))?
        }
        _ => return Err(fail("state is not a string")),
    };
    let trace = json_opt_str(m.get("trace")).map_err(|_| fail("trace is not a string"))?;
    let worker_id = json_opt_str(m.get("worker_id"))
        .map_err(|_| fail("worker_id is not a string"))?
        .ok_or_else(|| fail("worker_id is missing"))?;
    let generation =
        json_long(m.get("generation")).ok_or_else(|| fail("generation is not an integer"))? as i32;
    let version = json_opt_str(m.get("version")).map_err(|_| fail("version is not a string"))?;
    Ok(Status {
        state,
        trace,
        worker_id,
        generation,
        version,
    })
}

/// Parse an active-topic value as `parseTopicStatus` does.
pub fn parse_topic_status(value: &[u8]) -> Result<TopicStatus, String> {
    let fail = |why: &str| format!("Failed to deserialize topic status: {why}");
    let v: Value = serde_json::from_slice(value).map_err(|e| fail(&e.to_string()))?;
    let Value::Object(m) = v else {
        return Err(format!("Invalid topic status value {v}"));
    };
    let Some(Value::Object(inner)) = m.get("topic") else {
        return Err(format!(
            "Invalid topic status value {:?} for field topic",
            m.get("topic")
        ));
    };
    let req_str = |k: &str| match inner.get(k) {
        Some(Value::String(s)) => Ok(s.clone()),
        _ => Err(fail(&format!("{k} is not a string"))),
    };
    Ok(TopicStatus {
        topic: req_str("name")?,
        connector: req_str("connector")?,
        task: json_long(inner.get("task")).ok_or_else(|| fail("task is not an integer"))? as i32,
        discover_timestamp: json_long(inner.get("discoverTimestamp"))
            .ok_or_else(|| fail("discoverTimestamp is not an integer"))?,
    })
}

// ---------------------------------------------------------------------------------------------
// The cache
// ---------------------------------------------------------------------------------------------

/// Java's `CacheEntry`: the latest status read, a write sequence and a deleted flag. Entries
/// are created by writes as well as reads; `id` tells a re-created entry from the one a
/// pending write was prepared against (Java compares object identity).
#[derive(Debug, Clone)]
struct CacheEntry {
    value: Option<Status>,
    sequence: u32,
    id: u64,
}

impl CacheEntry {
    fn new(id: u64) -> Self {
        CacheEntry {
            value: None,
            sequence: 0,
            id,
        }
    }

    /// `canWriteSafely`: no status yet, or written by the same worker, or from an older or
    /// equal generation.
    fn can_write_safely(&self, status: &Status) -> bool {
        match &self.value {
            None => true,
            Some(v) => v.worker_id == status.worker_id || v.generation <= status.generation,
        }
    }
}

/// What a status write targets.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Connector(String),
    Task(String, u32),
}

/// A connector or task status write to send: the record, and what
/// [`StatusStore::should_retry`] needs to decide about a retriable failure.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingStatusWrite {
    /// `status-connector-<c>` or `status-task-<c>-<n>`.
    pub key: String,
    /// The status JSON; `None` (tombstone) for DESTROYED.
    pub value: Option<Vec<u8>>,
    target: Target,
    status: Status,
    safe: bool,
    sequence: u32,
    entry_id: u64,
}

/// The status topic replayed (Java's `KafkaStatusBackingStore` caches).
#[derive(Debug, Default, Clone)]
pub struct StatusStore {
    connectors: BTreeMap<String, CacheEntry>,
    tasks: BTreeMap<String, BTreeMap<u32, CacheEntry>>,
    topics: BTreeMap<String, BTreeMap<String, TopicStatus>>,
    /// The generation of the latest status this worker sent (Java's `generation` field).
    generation: i32,
    next_entry_id: u64,
}

impl StatusStore {
    /// An empty store (nothing read yet).
    pub fn new() -> Self {
        Self::default()
    }

    fn connector_entry(&mut self, connector: &str) -> &mut CacheEntry {
        let fresh = self.next_entry_id + 1;
        let entry = self
            .connectors
            .entry(connector.to_string())
            .or_insert_with(|| CacheEntry::new(fresh));
        if entry.id == fresh {
            self.next_entry_id = fresh;
        }
        entry
    }

    fn task_entry(&mut self, connector: &str, task: u32) -> &mut CacheEntry {
        let fresh = self.next_entry_id + 1;
        let entry = self
            .tasks
            .entry(connector.to_string())
            .or_default()
            .entry(task)
            .or_insert_with(|| CacheEntry::new(fresh));
        if entry.id == fresh {
            self.next_entry_id = fresh;
        }
        entry
    }

    fn entry(&self, target: &Target) -> Option<&CacheEntry> {
        match target {
            Target::Connector(c) => self.connectors.get(c),
            Target::Task(c, t) => self.tasks.get(c)?.get(t),
        }
    }

    /// Apply one record read from the topic (Java's `read`). Malformed records are ignored
    /// with a warning, as Java does.
    pub fn apply(&mut self, key: Option<&[u8]>, value: Option<&[u8]>) {
        let Some(key) = key else {
            tracing::warn!("Discarding status record with a null key");
            return;
        };
        // StringDeserializer: invalid UTF-8 becomes U+FFFD.
        let key = String::from_utf8_lossy(key);
        let parsed = match parse_status_key(&key) {
            Ok(k) => k,
            Err(warning) => {
                tracing::warn!("{warning}");
                return;
            }
        };
        match parsed {
            StatusKey::Connector(c) => match value {
                None => {
                    // Java's remove(connector): the connector's and all its tasks' entries go.
                    self.connectors.remove(&c);
                    self.tasks.remove(&c);
                }
                Some(v) => match parse_status(v) {
                    Ok(status) => self.connector_entry(&c).value = Some(status),
                    Err(e) => tracing::error!("{e}"),
                },
            },
            StatusKey::Task(c, t) => match value {
                None => {
                    if let Some(tasks) = self.tasks.get_mut(&c) {
                        tasks.remove(&t);
                        if tasks.is_empty() {
                            self.tasks.remove(&c);
                        }
                    }
                }
                Some(v) => match parse_status(v) {
                    Ok(status) => {
                        let entry = self.task_entry(&c, t);
                        // readTaskStatus: an UNASSIGNED from the same or an older generation
                        // does not replace a RUNNING (a worker that had not yet read the
                        // RUNNING status sent it during a rebalance).
                        let stale = status.state == StatusState::Unassigned
                            && entry.value.as_ref().is_some_and(|cur| {
                                cur.state == StatusState::Running
                                    && cur.generation >= status.generation
                            });
                        if !stale {
                            entry.value = Some(status);
                        }
                    }
                    Err(e) => {
                        tracing::error!("{e}");
                        tracing::warn!("Failed to parse task status with key {key}");
                    }
                },
            },
            StatusKey::Topic(topic, c) => match value {
                None => {
                    if let Some(active) = self.topics.get_mut(&c) {
                        active.remove(&topic);
                    }
                }
                Some(v) => match parse_topic_status(v) {
                    // Java files the status under the key's names, not the value's.
                    Ok(status) => {
                        self.topics.entry(c).or_default().insert(topic, status);
                    }
                    Err(e) => {
                        tracing::error!("{e}");
                        tracing::warn!("Failed to parse topic status with key {key}");
                    }
                },
            },
        }
    }

    fn prepare(
        &mut self,
        target: Target,
        status: &Status,
        safe: bool,
    ) -> Option<PendingStatusWrite> {
        self.generation = status.generation;
        let entry = match &target {
            Target::Connector(c) => self.connector_entry(c),
            Target::Task(c, t) => self.task_entry(c, *t),
        };
        if safe && !entry.can_write_safely(status) {
            return None;
        }
        entry.sequence += 1;
        let (sequence, entry_id) = (entry.sequence, entry.id);
        let key = match &target {
            Target::Connector(c) => connector_status_key(c),
            Target::Task(c, t) => task_status_key(c, *t),
        };
        Some(PendingStatusWrite {
            key,
            value: encode_status(status),
            target,
            status: status.clone(),
            safe,
            sequence,
            entry_id,
        })
    }

    /// `put`/`putSafe(ConnectorStatus)`: the record to send, or `None` when a safe write must
    /// not be sent (a different worker wrote the cached status in a newer generation).
    pub fn prepare_connector(
        &mut self,
        connector: &str,
        status: &Status,
        safe: bool,
    ) -> Option<PendingStatusWrite> {
        self.prepare(Target::Connector(connector.to_string()), status, safe)
    }

    /// `put`/`putSafe(TaskStatus)`, as [`prepare_connector`](Self::prepare_connector).
    pub fn prepare_task(
        &mut self,
        connector: &str,
        task: u32,
        status: &Status,
        safe: bool,
    ) -> Option<PendingStatusWrite> {
        self.prepare(Target::Task(connector.to_string(), task), status, safe)
    }

    /// After a retriable send failure: whether to send the same record again. Not if the
    /// entry was deleted (a tombstone was read) since, this worker has since sent a status of
    /// another generation, or, for a safe write, the write is no longer safe or a newer write
    /// of the entry was prepared. Non-retriable failures are only logged, as in Java; failed
    /// topic-status writes are always retried.
    pub fn should_retry(&self, write: &PendingStatusWrite) -> bool {
        let Some(entry) = self.entry(&write.target).filter(|e| e.id == write.entry_id) else {
            return false;
        };
        if write.status.generation != self.generation {
            return false;
        }
        !write.safe || (entry.can_write_safely(&write.status) && entry.sequence == write.sequence)
    }

    /// The latest status read for a connector.
    pub fn connector_status(&self, connector: &str) -> Option<&Status> {
        self.connectors.get(connector)?.value.as_ref()
    }

    /// The latest status read for a task.
    pub fn task_status(&self, connector: &str, task: u32) -> Option<&Status> {
        self.tasks.get(connector)?.get(&task)?.value.as_ref()
    }

    /// `getAll(connector)`: the tasks with a status, by task number.
    pub fn tasks(&self, connector: &str) -> Vec<(u32, &Status)> {
        self.tasks
            .get(connector)
            .map(|t| {
                t.iter()
                    .filter_map(|(id, e)| Some((*id, e.value.as_ref()?)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `connectors()`: every connector with a cache entry, sorted. As in Java this includes
    /// connectors this worker wrote a status for that has not been read back yet.
    pub fn connectors(&self) -> Vec<String> {
        self.connectors.keys().cloned().collect()
    }

    /// Every connector named by any status read or written: connector entries, task
    /// statuses and active topics (a task status can outlive its connector's tombstone
    /// ordering across topic partitions), sorted.
    pub fn known_connectors(&self) -> Vec<String> {
        let mut all: std::collections::BTreeSet<&String> = self.connectors.keys().collect();
        all.extend(self.tasks.keys());
        all.extend(
            self.topics
                .iter()
                .filter(|(_, t)| !t.is_empty())
                .map(|(c, _)| c),
        );
        all.into_iter().cloned().collect()
    }

    /// `getTopic(connector, topic)`.
    pub fn topic(&self, connector: &str, topic: &str) -> Option<&TopicStatus> {
        self.topics.get(connector)?.get(topic)
    }

    /// `getAllTopics(connector)`: the connector's active topics, sorted by topic.
    pub fn topics(&self, connector: &str) -> Vec<&TopicStatus> {
        self.topics
            .get(connector)
            .map(|t| t.values().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(state: StatusState, worker: &str, generation: i32) -> Status {
        Status {
            state,
            trace: None,
            worker_id: worker.into(),
            generation,
            version: None,
        }
    }

    #[test]
    fn status_values_are_javas_bytes() {
        let mut s = st(StatusState::Running, "10.0.0.5:8083", 7);
        assert_eq!(
            String::from_utf8(encode_status(&s).unwrap()).unwrap(),
            r#"{"state":"RUNNING","trace":null,"worker_id":"10.0.0.5:8083","generation":7,"version":null}"#
        );
        s.state = StatusState::Failed;
        s.trace = Some("boom\n\tat X".into());
        s.version = Some("4.1.2".into());
        assert_eq!(
            String::from_utf8(encode_status(&s).unwrap()).unwrap(),
            r#"{"state":"FAILED","trace":"boom\n\tat X","worker_id":"10.0.0.5:8083","generation":7,"version":"4.1.2"}"#
        );
        s.state = StatusState::Destroyed;
        assert_eq!(encode_status(&s), None);
        let (k, v) = encode_topic_status(&TopicStatus {
            topic: "t1".into(),
            connector: "c".into(),
            task: 2,
            discover_timestamp: 1_700_000_000_000,
        });
        assert_eq!(k, "status-topic-t1:connector-c");
        assert_eq!(
            String::from_utf8(v.unwrap()).unwrap(),
            r#"{"topic":{"name":"t1","connector":"c","task":2,"discoverTimestamp":1700000000000}}"#
        );
    }

    #[test]
    fn keys_parse_as_java_splits_them() {
        use StatusKey::*;
        let p = |k: &str| parse_status_key(k);
        assert_eq!(
            p("status-connector-my-conn"),
            Ok(Connector("my-conn".into()))
        );
        assert!(p("status-connector-").is_err());
        assert_eq!(p("status-task-my-conn-3"), Ok(Task("my-conn".into(), 3)));
        assert_eq!(p("status-task--3"), Ok(Task("".into(), 3)));
        // String.split drops trailing empty parts.
        assert_eq!(p("status-task-a-3--"), Ok(Task("a".into(), 3)));
        assert_eq!(p("status-task-a-+3"), Ok(Task("a".into(), 3)));
        assert!(p("status-task-a").is_err());
        assert!(p("status-task-a-x").is_err());
        assert!(p("status-task-a-99999999999").is_err());
        assert_eq!(
            p("status-topic-t:connector-c:d"),
            Ok(Topic("t".into(), "c:d".into()))
        );
        // Java skips the separator's length without checking its text.
        assert_eq!(
            p("status-topic-t:xxxxxxxxxxc"),
            Ok(Topic("t".into(), "c".into()))
        );
        assert!(p("status-topic-:connector-c").is_err());
        assert!(p("status-topic-t:connector-").is_err());
        assert!(p("status-topic-t:conn").is_err());
        assert!(p("status-topic-t").is_err());
        assert!(p("other").is_err());
        assert_eq!(task_status_key("a-b", 4), "status-task-a-b-4");
    }

    #[test]
    fn malformed_values_are_ignored() {
        let mut s = StatusStore::new();
        for v in [
            &b"not json"[..],
            b"[1]",
            b"null",
            br#"{"state":"running","worker_id":"w","generation":1}"#,
            br#"{"state":"RUNNING","worker_id":"w","generation":1.0}"#,
            br#"{"state":"RUNNING","worker_id":"w"}"#,
            br#"{"state":"RUNNING","trace":5,"worker_id":"w","generation":1}"#,
        ] {
            s.apply(Some(b"status-connector-c"), Some(v));
        }
        assert_eq!(s.connector_status("c"), None);
        s.apply(
            Some(b"status-connector-c"),
            Some(br#"{"state":"PAUSED","worker_id":"w","generation":4294967297}"#),
        );
        // Long.intValue() wraps; missing trace/version read as null.
        assert_eq!(
            s.connector_status("c"),
            Some(&st(StatusState::Paused, "w", 1))
        );
    }

    #[test]
    fn stale_unassigned_does_not_replace_running_and_tombstones_remove() {
        let mut s = StatusStore::new();
        let put = |s: &mut StatusStore, k: &str, st: &Status| {
            s.apply(Some(k.as_bytes()), encode_status(st).as_deref())
        };
        put(
            &mut s,
            "status-task-c-0",
            &st(StatusState::Running, "w1", 5),
        );
        put(
            &mut s,
            "status-task-c-0",
            &st(StatusState::Unassigned, "w2", 5),
        );
        assert_eq!(s.task_status("c", 0).unwrap().state, StatusState::Running);
        put(
            &mut s,
            "status-task-c-0",
            &st(StatusState::Unassigned, "w2", 6),
        );
        assert_eq!(
            s.task_status("c", 0).unwrap().state,
            StatusState::Unassigned
        );
        put(&mut s, "status-task-c-1", &st(StatusState::Failed, "w2", 6));
        put(
            &mut s,
            "status-connector-c",
            &st(StatusState::Running, "w2", 6),
        );
        assert_eq!(s.tasks("c").len(), 2);
        assert_eq!(s.connectors(), vec!["c".to_string()]);
        s.apply(Some(b"status-task-c-1"), None);
        assert_eq!(
            s.tasks("c").iter().map(|t| t.0).collect::<Vec<_>>(),
            vec![0]
        );
        // A connector tombstone removes the connector and all its tasks.
        s.apply(Some(b"status-connector-c"), None);
        assert!(s.connectors().is_empty());
        assert!(s.tasks("c").is_empty());

        let (k, v) = encode_topic_status(&TopicStatus {
            topic: "t".into(),
            connector: "c".into(),
            task: 0,
            discover_timestamp: 1,
        });
        s.apply(Some(k.as_bytes()), v.as_deref());
        assert_eq!(s.topics("c").len(), 1);
        assert_eq!(s.topic("c", "t").unwrap().discover_timestamp, 1);
        let (k, v) = delete_topic_status("c", "t");
        s.apply(Some(k.as_bytes()), v.as_deref());
        assert!(s.topics("c").is_empty());
    }

    #[test]
    fn safe_writes_and_retries_follow_cache_entry_rules() {
        let mut s = StatusStore::new();
        let newer = st(StatusState::Running, "w1", 9);
        s.apply(
            Some(b"status-connector-c"),
            encode_status(&newer).as_deref(),
        );
        // Another worker, older generation: a safe write is not sent, a plain one is.
        let old = st(StatusState::Unassigned, "w2", 8);
        assert!(s.prepare_connector("c", &old, true).is_none());
        let w = s.prepare_connector("c", &old, false).unwrap();
        assert_eq!(w.key, "status-connector-c");
        assert!(s.should_retry(&w));
        // Same worker or same/newer generation: safe.
        assert!(s
            .prepare_connector("c", &st(StatusState::Paused, "w1", 1), true)
            .is_some());
        let safe = s
            .prepare_connector("c", &st(StatusState::Paused, "w2", 9), true)
            .unwrap();
        assert!(s.should_retry(&safe));
        // A newer write of the entry makes the older safe write's retry stale.
        let _ = s
            .prepare_connector("c", &st(StatusState::Running, "w2", 9), true)
            .unwrap();
        assert!(!s.should_retry(&safe));
        // A status of another generation sent since: no retry.
        let w9 = s
            .prepare_task("c", 0, &st(StatusState::Running, "w2", 9), false)
            .unwrap();
        let _ = s
            .prepare_task("c", 1, &st(StatusState::Running, "w2", 10), false)
            .unwrap();
        assert!(!s.should_retry(&w9));
        // A deleted entry: no retry, even once re-created.
        let w10 = s
            .prepare_task("c", 1, &st(StatusState::Running, "w2", 10), false)
            .unwrap();
        assert!(s.should_retry(&w10));
        s.apply(Some(b"status-task-c-1"), None);
        assert!(!s.should_retry(&w10));
        let _ = s.prepare_task("c", 1, &st(StatusState::Running, "w2", 10), false);
        assert!(!s.should_retry(&w10));
        // DESTROYED is a tombstone; connectors() lists entries created by writes.
        let d = s
            .prepare_connector("d", &st(StatusState::Destroyed, "w", 10), false)
            .unwrap();
        assert_eq!(d.value, None);
        assert_eq!(s.connectors(), vec!["c".to_string(), "d".to_string()]);
        assert_eq!(s.connector_status("d"), None);
    }

    #[test]
    fn states_map_to_the_engines() {
        for st in [
            State::Unassigned,
            State::Running,
            State::Paused,
            State::Failed,
            State::Restarting,
            State::Stopped,
        ] {
            let s = StatusState::from(st);
            assert_eq!(s.to_runtime(), Some(st));
            assert_eq!(StatusState::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_value(st).unwrap(),
                Value::String(s.as_str().into())
            );
        }
        assert_eq!(StatusState::Destroyed.to_runtime(), None);
    }
}
