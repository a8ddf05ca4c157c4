//! The config topic (`config.storage.topic`): Java's `KafkaConfigBackingStore` and
//! `ClusterConfigState`.
//!
//! * The `encode_*` functions write every record kind byte for byte as Java's `JsonConverter`
//!   (`schemas.enable=false`) writes the store's schemas: compact JSON, struct fields in schema
//!   order, Jackson's string escaping.
//! * [`ConfigState`] replays records exactly as Java's `ConsumeCallback` does (key dispatch
//!   order, task configs buffered until their commit, inconsistent connectors, stale commits,
//!   target-state tombstones, task-config generations, applied connector configs) and reports
//!   what the herder must react to as [`ConfigEvent`]s once the initial read is done.
//! * [`ConfigStore`] glues that state to a [`KafkaLog`] on the topic, with the writes the herder
//!   makes and a broadcast of events.
//!
//! Where Strait differs from Java:
//! * Property maps are written in key order (Java writes its `HashMap`'s iteration order, which
//!   readers must not depend on, §3.1 of the contract).
//! * A property whose JSON value is `null` is dropped (with a warning) and a non-string value is
//!   kept as its JSON text: Java keeps both inside a `Map<String, String>` by unchecked cast.
//! * Records Java's callback would throw on (a commit without an integer `tasks`, a session key
//!   that is not base64) are logged and skipped; Java aborts the rest of that poll batch.
//! * An empty (non-null) value is a conversion error, like any invalid JSON: the record is
//!   skipped without moving the offset, as Java does for a `DataException`.
//! * Config providers (`${...}`) are not applied here: the snapshot holds raw configs, and
//!   [`ClusterConfigSnapshot::task_configs_changed`] compares raw configs.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use serde_json::Value;
use strait_engine::config::Props;
use strait_engine::error::{Error, Result};
use strait_engine::herder::{ConnectorTaskId, TargetState};
use tokio::sync::{broadcast, watch};

use rdkafka::producer::{FutureProducer, FutureRecord, Producer};

use crate::kafka_log::{
    ensure_internal_topic, kafka_error, InternalTopic, KafkaLog, KafkaLogSettings, LogRecord,
};

pub const TARGET_STATE_PREFIX: &str = "target-state-";
pub const CONNECTOR_PREFIX: &str = "connector-";
pub const TASK_PREFIX: &str = "task-";
pub const COMMIT_TASKS_PREFIX: &str = "commit-";
pub const TASK_COUNT_RECORD_PREFIX: &str = "tasks-fencing-";
pub const SESSION_KEY_KEY: &str = "session-key";
pub const RESTART_PREFIX: &str = "restart-connector-";
pub const LOGGER_CLUSTER_PREFIX: &str = "logger-cluster-";

/// The worker setting naming the config topic.
pub const CONFIG_TOPIC_CONFIG: &str = "config.storage.topic";
/// Java's `READ_WRITE_TOTAL_TIMEOUT_MS`: the budget of one write plus its read to the end.
pub const READ_WRITE_TOTAL_TIMEOUT: Duration = Duration::from_secs(30);

/// `connector-<name>`.
pub fn connector_key(connector: &str) -> String {
    format!("{CONNECTOR_PREFIX}{connector}")
}
/// `task-<name>-<n>`.
pub fn task_key(connector: &str, task: u32) -> String {
    format!("{TASK_PREFIX}{connector}-{task}")
}
/// `commit-<name>`.
pub fn commit_tasks_key(connector: &str) -> String {
    format!("{COMMIT_TASKS_PREFIX}{connector}")
}
/// `target-state-<name>`.
pub fn target_state_key(connector: &str) -> String {
    format!("{TARGET_STATE_PREFIX}{connector}")
}
/// `tasks-fencing-<name>`.
pub fn task_count_record_key(connector: &str) -> String {
    format!("{TASK_COUNT_RECORD_PREFIX}{connector}")
}
/// `restart-connector-<name>`.
pub fn restart_key(connector: &str) -> String {
    format!("{RESTART_PREFIX}{connector}")
}
/// `logger-cluster-<namespace>`.
pub fn logger_cluster_key(namespace: &str) -> String {
    format!("{LOGGER_CLUSTER_PREFIX}{namespace}")
}

/// A config-topic key, dispatched in Java's order (`target-state-` before `connector-` …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigKey {
    TargetState(String),
    Connector(String),
    /// `task-<name>-<n>`; `None` when the key does not parse as a task id.
    Task(Option<(String, u32)>),
    Commit(String),
    Restart(String),
    TaskCount(String),
    SessionKey,
    LoggerCluster(String),
    Unknown,
}

/// Classify a key with Java's prefix checks, in Java's order.
pub fn parse_key(key: &str) -> ConfigKey {
    let rest = |p: &str| key[p.len()..].to_string();
    if key.starts_with(TARGET_STATE_PREFIX) {
        ConfigKey::TargetState(rest(TARGET_STATE_PREFIX))
    } else if key.starts_with(CONNECTOR_PREFIX) {
        ConfigKey::Connector(rest(CONNECTOR_PREFIX))
    } else if key.starts_with(TASK_PREFIX) {
        ConfigKey::Task(parse_task_id(key))
    } else if key.starts_with(COMMIT_TASKS_PREFIX) {
        ConfigKey::Commit(rest(COMMIT_TASKS_PREFIX))
    } else if key.starts_with(RESTART_PREFIX) {
        ConfigKey::Restart(rest(RESTART_PREFIX))
    } else if key.starts_with(TASK_COUNT_RECORD_PREFIX) {
        ConfigKey::TaskCount(rest(TASK_COUNT_RECORD_PREFIX))
    } else if key == SESSION_KEY_KEY {
        ConfigKey::SessionKey
    } else if key.starts_with(LOGGER_CLUSTER_PREFIX) {
        ConfigKey::LoggerCluster(rest(LOGGER_CLUSTER_PREFIX))
    } else {
        ConfigKey::Unknown
    }
}

/// Java's `parseTaskId`: `String.split("-")` (trailing empty parts dropped), at least three
/// parts, the last an `Integer.parseInt` number, the name the parts between first and last.
fn parse_task_id(key: &str) -> Option<(String, u32)> {
    let mut parts: Vec<&str> = key.split('-').collect();
    while parts.last() == Some(&"") {
        parts.pop();
    }
    if parts.len() < 3 {
        return None;
    }
    let last = parts[parts.len() - 1];
    // Integer.parseInt takes an optional sign; '-' cannot occur here (it is the separator).
    let digits = last.strip_prefix('+').unwrap_or(last);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i32 = digits.parse().ok()?;
    Some((parts[1..parts.len() - 1].join("-"), n as u32))
}

/// The inter-worker request signing key (`session-key` record).
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKey {
    pub key: Vec<u8>,
    /// The `javax.crypto.Mac` algorithm name, e.g. `HmacSHA256`.
    pub algorithm: String,
    /// Epoch milliseconds.
    pub creation_timestamp: i64,
}

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret stays out of logs (Java prints `[hidden]`).
        f.debug_struct("SessionKey")
            .field("key", &"[hidden]")
            .field("algorithm", &self.algorithm)
            .field("creation_timestamp", &self.creation_timestamp)
            .finish()
    }
}

/// A KIP-745 restart request (`restart-connector-<name>` record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestartRequest {
    pub connector: String,
    pub only_failed: bool,
    pub include_tasks: bool,
}

/// What the herder must react to; emitted only for records read after the initial read to the
/// end (Java's `UpdateListener` callbacks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigEvent {
    ConnectorConfigUpdated(String),
    ConnectorConfigRemoved(String),
    TargetStateChanged(String),
    /// The tasks whose configs a commit applied (empty for an incomplete or empty commit).
    TaskConfigsUpdated(Vec<ConnectorTaskId>),
    RestartRequested(RestartRequest),
    SessionKeyUpdated(SessionKey),
    LoggerLevel {
        namespace: String,
        level: String,
    },
}

// ---------------------------------------------------------------------------------------------
// Encoding: Java's JsonConverter (schemas.enable=false) output for the store's schemas.

/// Jackson's string escaping (see [`strait_engine::java_json`]), into a `String`.
fn write_json_str(out: &mut String, s: &str) {
    let mut bytes = Vec::with_capacity(s.len() + 2);
    strait_engine::java_json::write_java_json_str(&mut bytes, s);
    out.push_str(&String::from_utf8_lossy(&bytes));
}

/// `{"properties":{...}}` (`CONNECTOR_CONFIGURATION_V0` = `TASK_CONFIGURATION_V0`).
pub fn encode_properties(props: &Props) -> Vec<u8> {
    let mut out = String::from("{\"properties\":{");
    for (i, (k, v)) in props.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_json_str(&mut out, k);
        out.push(':');
        write_json_str(&mut out, v);
    }
    out.push_str("}}");
    out.into_bytes()
}

/// `{"tasks":N}` (`CONNECTOR_TASKS_COMMIT_V0`).
pub fn encode_commit(tasks: i32) -> Vec<u8> {
    format!("{{\"tasks\":{tasks}}}").into_bytes()
}

fn state_name(s: TargetState) -> &'static str {
    match s {
        TargetState::Started => "STARTED",
        TargetState::Paused => "PAUSED",
        TargetState::Stopped => "STOPPED",
    }
}

fn parse_state_name(s: &str) -> Option<TargetState> {
    // Java's TargetState.valueOf: exact, case-sensitive constant names.
    match s {
        "STARTED" => Some(TargetState::Started),
        "PAUSED" => Some(TargetState::Paused),
        "STOPPED" => Some(TargetState::Stopped),
        _ => None,
    }
}

/// `{"state":...,"state.v2":...}` (`TARGET_STATE_V1`); STOPPED is `PAUSED` in the old field
/// so that workers that only know `state` pause the connector.
pub fn encode_target_state(state: TargetState) -> Vec<u8> {
    let old = match state {
        TargetState::Stopped => TargetState::Paused,
        s => s,
    };
    format!(
        "{{\"state\":\"{}\",\"state.v2\":\"{}\"}}",
        state_name(old),
        state_name(state)
    )
    .into_bytes()
}

/// `{"task-count":N}` (`TASK_COUNT_RECORD_V0`).
pub fn encode_task_count(task_count: i32) -> Vec<u8> {
    format!("{{\"task-count\":{task_count}}}").into_bytes()
}

/// `{"key":<base64>,"algorithm":...,"creation-timestamp":...}` (`SESSION_KEY_V0`).
pub fn encode_session_key(key: &SessionKey) -> Vec<u8> {
    let mut out = String::from("{\"key\":");
    write_json_str(
        &mut out,
        &base64::engine::general_purpose::STANDARD.encode(&key.key),
    );
    out.push_str(",\"algorithm\":");
    write_json_str(&mut out, &key.algorithm);
    out.push_str(&format!(
        ",\"creation-timestamp\":{}}}",
        key.creation_timestamp
    ));
    out.into_bytes()
}

/// `{"include-tasks":...,"only-failed":...}` (`RESTART_REQUEST_V0`).
pub fn encode_restart_request(r: &RestartRequest) -> Vec<u8> {
    format!(
        "{{\"include-tasks\":{},\"only-failed\":{}}}",
        r.include_tasks, r.only_failed
    )
    .into_bytes()
}

/// `{"level":...}` (`LOGGER_LEVEL_V0`).
pub fn encode_logger_level(level: &str) -> Vec<u8> {
    let mut out = String::from("{\"level\":");
    write_json_str(&mut out, level);
    out.push('}');
    out.into_bytes()
}

// ---------------------------------------------------------------------------------------------
// Replay.

/// Java's `className(value)` for log messages.
fn json_type(v: Option<&Value>) -> &'static str {
    match v {
        None | Some(Value::Null) => "null",
        Some(Value::Bool(_)) => "java.lang.Boolean",
        Some(Value::Number(n)) if n.is_f64() => "java.lang.Double",
        Some(Value::Number(_)) => "java.lang.Long",
        Some(Value::String(_)) => "java.lang.String",
        Some(Value::Array(_)) => "java.util.ArrayList",
        Some(Value::Object(_)) => "java.util.HashMap",
    }
}

/// A `properties` map as `Map<String, String>`.
fn string_map(what: &str, map: &serde_json::Map<String, Value>) -> Props {
    let mut props = Props::new();
    for (k, v) in map {
        match v {
            Value::String(s) => {
                props.insert(k.clone(), s.clone());
            }
            Value::Null => {
                tracing::warn!("{what}: property {k} is null; dropped");
            }
            other => {
                tracing::warn!(
                    "{what}: property {k} is not a string ({other}); kept as its JSON text"
                );
                props.insert(k.clone(), other.to_string());
            }
        }
    }
    props
}

/// Java's `intValue`: a JSON integer (read as a long) cast to int.
fn int_value(v: Option<&Value>) -> Option<i32> {
    v.and_then(Value::as_i64).map(|n| n as i32)
}

/// The config topic's state, replayed record by record (Java's `KafkaConfigBackingStore`
/// fields and `ConsumeCallback`).
#[derive(Debug, Clone)]
pub struct ConfigState {
    offset: i64,
    session_key: Option<SessionKey>,
    connector_task_counts: BTreeMap<String, i32>,
    connector_configs: BTreeMap<String, Props>,
    task_configs: BTreeMap<(String, u32), Props>,
    inconsistent: BTreeSet<String>,
    /// Task configs seen since the connector's last commit. An entry, once created, stays (empty)
    /// after its commit until the connector is removed: Java's generation bump depends on it.
    deferred: HashMap<String, BTreeMap<u32, Props>>,
    target_states: BTreeMap<String, TargetState>,
    task_count_records: BTreeMap<String, i32>,
    task_config_generations: BTreeMap<String, i32>,
    applied_connector_configs: BTreeMap<String, Props>,
    pending_fencing: BTreeSet<String>,
}

impl Default for ConfigState {
    fn default() -> Self {
        ConfigState {
            offset: -1,
            session_key: None,
            connector_task_counts: BTreeMap::new(),
            connector_configs: BTreeMap::new(),
            task_configs: BTreeMap::new(),
            inconsistent: BTreeSet::new(),
            deferred: HashMap::new(),
            target_states: BTreeMap::new(),
            task_count_records: BTreeMap::new(),
            task_config_generations: BTreeMap::new(),
            applied_connector_configs: BTreeMap::new(),
            pending_fencing: BTreeSet::new(),
        }
    }
}

impl ConfigState {
    /// An empty state (offset -1).
    pub fn new() -> Self {
        Self::default()
    }

    /// The offset after the last record applied (-1 before any).
    pub fn offset(&self) -> i64 {
        self.offset
    }

    /// Apply one record. `started` says whether the initial read is done: events (and restart
    /// and logger records) only count then. Returns the events for the herder.
    pub fn apply(&mut self, record: &LogRecord, started: bool) -> Vec<ConfigEvent> {
        let value: Option<Value> = match &record.value {
            None => None,
            Some(bytes) => match serde_json::from_slice::<Value>(bytes) {
                Ok(Value::Null) => None,
                Ok(v) => Some(v),
                Err(e) => {
                    // Java: DataException from the converter, record dropped, offset unchanged.
                    tracing::error!("Failed to convert config data to Kafka Connect format: {e}");
                    return Vec::new();
                }
            },
        };
        // The offset of the *next* record, as consumer positions count.
        self.offset = record.offset + 1;
        let Some(key) = &record.key else {
            tracing::error!(
                offset = record.offset,
                "Discarding config update record without a key"
            );
            return Vec::new();
        };
        let key = String::from_utf8_lossy(key);
        let mut events = Vec::new();
        match parse_key(&key) {
            ConfigKey::TargetState(c) => self.target_state_record(c, value, started, &mut events),
            ConfigKey::Connector(c) => self.connector_config_record(c, value, started, &mut events),
            ConfigKey::Task(None) => tracing::error!(
                "Ignoring task configuration because {key} couldn't be parsed as a task config key"
            ),
            ConfigKey::Task(Some((c, t))) => self.task_config_record(c, t, value),
            ConfigKey::Commit(c) => self.commit_record(c, value, started, &mut events),
            ConfigKey::Restart(c) => {
                if let Some(r) = restart_request(c, value.as_ref()) {
                    if started {
                        events.push(ConfigEvent::RestartRequested(r));
                    }
                }
            }
            ConfigKey::TaskCount(c) => self.task_count_record(c, value),
            ConfigKey::SessionKey => {
                if let Some(k) = session_key(value.as_ref()) {
                    self.session_key = Some(k.clone());
                    if started {
                        events.push(ConfigEvent::SessionKeyUpdated(k));
                    }
                }
            }
            ConfigKey::LoggerCluster(ns) => {
                if let Some(level) = logger_level(&ns, value.as_ref()) {
                    if started {
                        events.push(ConfigEvent::LoggerLevel {
                            namespace: ns,
                            level,
                        });
                    } else {
                        tracing::trace!("Ignoring old logging level {level} for namespace {ns} that was written before this worker completed startup");
                    }
                }
            }
            ConfigKey::Unknown => {
                tracing::error!("Discarding config update record with invalid key: {key}")
            }
        }
        events
    }

    fn target_state_record(
        &mut self,
        connector: String,
        value: Option<Value>,
        started: bool,
        events: &mut Vec<ConfigEvent>,
    ) {
        let Some(value) = value else {
            // The delete of a connector writes this tombstone too. A connector that still has a
            // config falls back to STARTED so every connector always has a target state.
            self.target_states.remove(&connector);
            if self.connector_configs.contains_key(&connector) {
                self.target_states
                    .insert(connector.clone(), TargetState::Started);
            }
            return;
        };
        let Value::Object(map) = &value else {
            tracing::error!("Ignoring target state for connector '{connector}' because it is in the wrong format: {}", json_type(Some(&value)));
            return;
        };
        let mut name = match map.get("state.v2") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.as_str()),
            Some(other) => {
                tracing::error!("Invalid data for target state for connector '{connector}': 'state.v2' field should be a String but is {}", json_type(Some(other)));
                None
            }
        };
        if name.is_none() {
            // Written by an older worker: only the `state` field.
            match map.get("state") {
                Some(Value::String(s)) => name = Some(s.as_str()),
                other => {
                    tracing::error!("Invalid data for target state for connector '{connector}': 'state' field should be a String but is {}", json_type(other));
                    return;
                }
            }
        }
        let Some(name) = name else { return };
        let Some(state) = parse_state_name(name) else {
            tracing::error!("Invalid target state for connector '{connector}': {name}");
            return;
        };
        let previous = self.target_states.insert(connector.clone(), state);
        // No event when the connector does not exist yet: a create with an initial state
        // writes the target state first.
        if started && previous != Some(state) && self.connector_configs.contains_key(&connector) {
            events.push(ConfigEvent::TargetStateChanged(connector));
        }
    }

    fn connector_config_record(
        &mut self,
        connector: String,
        value: Option<Value>,
        started: bool,
        events: &mut Vec<ConfigEvent>,
    ) {
        let Some(value) = value else {
            self.remove_connector(&connector);
            tracing::info!("Successfully processed removal of connector '{connector}'");
            if started {
                events.push(ConfigEvent::ConnectorConfigRemoved(connector));
            }
            return;
        };
        let Value::Object(map) = &value else {
            tracing::error!("Ignoring configuration for connector '{connector}' because it is in the wrong format: {}", json_type(Some(&value)));
            return;
        };
        let Some(Value::Object(props)) = map.get("properties") else {
            tracing::error!("Invalid data for config for connector '{connector}': 'properties' field should be a Map but is {}", json_type(map.get("properties")));
            return;
        };
        let props = string_map(&format!("connector {connector}"), props);
        self.connector_configs.insert(connector.clone(), props);
        // Connectors created before target states existed start STARTED.
        self.target_states
            .entry(connector.clone())
            .or_insert(TargetState::Started);
        if started {
            events.push(ConfigEvent::ConnectorConfigUpdated(connector));
        }
    }

    fn task_config_record(&mut self, connector: String, task: u32, value: Option<Value>) {
        let Some(value) = value else {
            tracing::error!("Ignoring task configuration for task {connector}-{task} because it is unexpectedly null");
            return;
        };
        let Value::Object(map) = &value else {
            tracing::error!("Ignoring task configuration for task {connector}-{task} because the value is not a Map but is {}", json_type(Some(&value)));
            return;
        };
        let Some(Value::Object(props)) = map.get("properties") else {
            tracing::error!("Invalid data for config of task {connector}-{task} 'properties' field should be a Map but is {}", json_type(map.get("properties")));
            return;
        };
        let props = string_map(&format!("task {connector}-{task}"), props);
        self.deferred
            .entry(connector)
            .or_default()
            .insert(task, props);
    }

    fn commit_record(
        &mut self,
        connector: String,
        value: Option<Value>,
        started: bool,
        events: &mut Vec<ConfigEvent>,
    ) {
        // A commit for a connector without a config: it was deleted and compaction removed its
        // config and tombstone. Its task configs must not come back with a re-created connector.
        let Some(applied) = self.connector_configs.get(&connector).cloned() else {
            self.remove_connector(&connector);
            tracing::debug!("Ignoring task configs for connector {connector}; it appears that the connector was deleted previously and that log compaction has since removed any trace of its previous configurations from the config topic");
            return;
        };
        let Some(Value::Object(map)) = &value else {
            tracing::error!("Ignoring connector tasks configuration commit for connector '{connector}' because it is in the wrong format: {}", json_type(value.as_ref()));
            return;
        };
        let Some(count) = int_value(map.get("tasks")) else {
            // Java throws "Expected integer value to be either Integer or Long" here.
            tracing::error!("Ignoring connector tasks configuration commit for connector '{connector}': Expected integer value to be either Integer or Long");
            return;
        };
        let mut updated = Vec::new();
        let deferred = self.deferred.get_mut(&connector);
        // Java's completeTaskIdSet: ids 0..count-1 all present (extra ids are fine: compaction
        // can leave configs of tasks from a larger earlier generation).
        let complete = (0..count.max(0)).all(|i| {
            deferred
                .as_ref()
                .is_some_and(|d| d.contains_key(&(i as u32)))
        });
        if !complete {
            tracing::debug!("We have an incomplete set of task configs for connector '{connector}' probably due to compaction. So we are not doing anything with the new configuration.");
            self.inconsistent.insert(connector.clone());
        } else {
            if let Some(d) = &deferred {
                for (t, props) in d.iter() {
                    self.task_configs
                        .insert((connector.clone(), *t), props.clone());
                    updated.push(ConnectorTaskId {
                        connector: connector.clone(),
                        task: *t,
                    });
                }
                self.task_config_generations
                    .entry(connector.clone())
                    .and_modify(|g| *g += 1)
                    .or_insert(0);
            }
            self.inconsistent.remove(&connector);
            self.applied_connector_configs
                .insert(connector.clone(), applied);
        }
        // Applied or not, the buffered configs are spent: a fresh full set must follow.
        if let Some(d) = self.deferred.get_mut(&connector) {
            d.clear();
        }
        self.connector_task_counts.insert(connector.clone(), count);
        // New task configs after the latest task-count record need a round of zombie fencing.
        self.pending_fencing.insert(connector);
        if started {
            events.push(ConfigEvent::TaskConfigsUpdated(updated));
        }
    }

    fn task_count_record(&mut self, connector: String, value: Option<Value>) {
        let Some(Value::Object(map)) = &value else {
            tracing::error!("Ignoring task count record for connector '{connector}' because it is in the wrong format: {}", json_type(value.as_ref()));
            return;
        };
        let Some(count) = int_value(map.get("task-count")) else {
            tracing::error!("Ignoring task count record for connector '{connector}': Expected integer value to be either Integer or Long");
            return;
        };
        self.task_count_records.insert(connector.clone(), count);
        self.pending_fencing.remove(&connector);
    }

    /// Java's `processConnectorRemoval`: target state, generation, task-count record and the
    /// inconsistent flag stay.
    fn remove_connector(&mut self, connector: &str) {
        self.connector_configs.remove(connector);
        self.connector_task_counts.remove(connector);
        self.task_configs.retain(|(c, _), _| c != connector);
        self.deferred.remove(connector);
        self.applied_connector_configs.remove(connector);
    }

    /// A copy of the state for the herder (Java's `snapshot()`).
    pub fn snapshot(&self) -> ClusterConfigSnapshot {
        ClusterConfigSnapshot {
            offset: self.offset,
            session_key: self.session_key.clone(),
            connector_task_counts: self.connector_task_counts.clone(),
            connector_configs: self.connector_configs.clone(),
            target_states: self.target_states.clone(),
            task_configs: self.task_configs.clone(),
            task_count_records: self.task_count_records.clone(),
            task_config_generations: self.task_config_generations.clone(),
            applied_connector_configs: self.applied_connector_configs.clone(),
            pending_fencing: self.pending_fencing.clone(),
            inconsistent: self.inconsistent.clone(),
        }
    }
}

fn restart_request(connector: String, value: Option<&Value>) -> Option<RestartRequest> {
    let Some(Value::Object(map)) = value else {
        tracing::error!(
            "Ignoring restart request because the value is not a Map but is {}",
            json_type(value)
        );
        return None;
    };
    // Java defaults a field that is not a boolean to false, with a warning.
    let flag = |name: &str| match map.get(name) {
        Some(Value::Bool(b)) => *b,
        other => {
            tracing::warn!("Invalid data for restart request '{name}' field should be a Boolean but is {}, defaulting to false", json_type(other));
            false
        }
    };
    Some(RestartRequest {
        only_failed: flag("only-failed"),
        include_tasks: flag("include-tasks"),
        connector,
    })
}

fn session_key(value: Option<&Value>) -> Option<SessionKey> {
    let Some(Value::Object(map)) = value else {
        tracing::error!(
            "Ignoring session key because the value is not a Map but is {}",
            json_type(value)
        );
        return None;
    };
    let Some(Value::String(key)) = map.get("key") else {
        tracing::error!(
            "Invalid data for session key 'key' field should be a String but is {}",
            json_type(map.get("key"))
        );
        return None;
    };
    // Java's Base64.getDecoder(): standard alphabet, padding optional.
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let key = match engine.decode(key) {
        Ok(k) => k,
        Err(e) => {
            tracing::error!("Ignoring session key: 'key' is not base64: {e}");
            return None;
        }
    };
    let Some(Value::String(algorithm)) = map.get("algorithm") else {
        tracing::error!(
            "Invalid data for session key 'algorithm' field should be a String but it is {}",
            json_type(map.get("algorithm"))
        );
        return None;
    };
    let Some(creation_timestamp) = map.get("creation-timestamp").and_then(Value::as_i64) else {
        tracing::error!(
            "Invalid data for session key 'creation-timestamp' field should be a long but it is {}",
            json_type(map.get("creation-timestamp"))
        );
        return None;
    };
    Some(SessionKey {
        key,
        algorithm: algorithm.clone(),
        creation_timestamp,
    })
}

fn logger_level(namespace: &str, value: Option<&Value>) -> Option<String> {
    let Some(Value::Object(map)) = value else {
        tracing::error!(
            "Ignoring logging level for namespace {namespace} because the value is not a Map but is {}",
            json_type(value)
        );
        return None;
    };
    match map.get("level") {
        Some(Value::String(l)) => Some(l.clone()),
        other => {
            tracing::error!("Invalid data for logging level key 'level' field with namespace {namespace}; should be a String but it is {}", json_type(other));
            None
        }
    }
}

/// The herder's view of the config topic (Java's `ClusterConfigState`), with raw configs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterConfigSnapshot {
    /// The config-topic offset after the last record read (-1 before any): what the worker
    /// reports as its `config-offset` in the group protocol.
    pub offset: i64,
    pub session_key: Option<SessionKey>,
    pub connector_task_counts: BTreeMap<String, i32>,
    pub connector_configs: BTreeMap<String, Props>,
    pub target_states: BTreeMap<String, TargetState>,
    /// Committed task configs by (connector, task).
    pub task_configs: BTreeMap<(String, u32), Props>,
    pub task_count_records: BTreeMap<String, i32>,
    pub task_config_generations: BTreeMap<String, i32>,
    /// The connector config in force when the connector's last complete commit was applied.
    pub applied_connector_configs: BTreeMap<String, Props>,
    pub pending_fencing: BTreeSet<String>,
    pub inconsistent: BTreeSet<String>,
}

impl ClusterConfigSnapshot {
    /// Does the connector exist (has a config)?
    pub fn contains(&self, connector: &str) -> bool {
        self.connector_configs.contains_key(connector)
    }

    /// The connectors' names, sorted.
    pub fn connectors(&self) -> impl Iterator<Item = &str> {
        self.connector_configs.keys().map(String::as_str)
    }

    /// The connector's raw config.
    pub fn connector_config(&self, connector: &str) -> Option<&Props> {
        self.connector_configs.get(connector)
    }

    /// The connector config of the last applied task commit.
    pub fn applied_connector_config(&self, connector: &str) -> Option<&Props> {
        self.applied_connector_configs.get(connector)
    }

    pub fn target_state(&self, connector: &str) -> Option<TargetState> {
        self.target_states.get(connector).copied()
    }

    /// The task's raw committed config.
    pub fn task_config(&self, connector: &str, task: u32) -> Option<&Props> {
        self.task_configs.get(&(connector.to_string(), task))
    }

    /// The committed task count (0 when none).
    pub fn task_count(&self, connector: &str) -> i32 {
        self.connector_task_counts
            .get(connector)
            .copied()
            .unwrap_or(0)
    }

    /// The connector's tasks 0..count-1; none while it is inconsistent (Java's `tasks`).
    pub fn tasks(&self, connector: &str) -> Vec<ConnectorTaskId> {
        if self.inconsistent.contains(connector) {
            return Vec::new();
        }
        (0..self
            .connector_task_counts
            .get(connector)
            .copied()
            .unwrap_or(0)
            .max(0))
            .map(|t| ConnectorTaskId {
                connector: connector.to_string(),
                task: t as u32,
            })
            .collect()
    }

    pub fn pending_fencing(&self, connector: &str) -> bool {
        self.pending_fencing.contains(connector)
    }

    pub fn task_count_record(&self, connector: &str) -> Option<i32> {
        self.task_count_records.get(connector).copied()
    }

    pub fn task_config_generation(&self, connector: &str) -> Option<i32> {
        self.task_config_generations.get(connector).copied()
    }

    /// Java's `AbstractHerder.taskConfigsChanged`, the leader's reconfiguration skip rule: the
    /// tasks must be rewritten when their count or any map changed, or when the connector config
    /// differs from the one in force at the last commit. (Java compares configs after config
    /// providers; this compares raw configs.)
    pub fn task_configs_changed(&self, connector: &str, raw_task_props: &[Props]) -> bool {
        let count = self.task_count(connector);
        if raw_task_props.len() as i64 != i64::from(count) {
            return true;
        }
        let changed = raw_task_props
            .iter()
            .enumerate()
            .any(|(i, p)| self.task_config(connector, i as u32) != Some(p));
        changed || self.applied_connector_config(connector) != self.connector_config(connector)
    }
}

// ---------------------------------------------------------------------------------------------
// The store.

/// What [`ConfigStore::start`] needs.
#[derive(Clone)]
pub struct ConfigStoreSettings {
    /// The log settings; use [`crate::kafka_log::DELIVERY_TIMEOUT_MAX`] as delivery timeout
    /// and `read_committed` when exactly-once source support is enabled.
    pub log: KafkaLogSettings,
    /// Replication factor for a new topic (`config.storage.replication.factor`, -1 = broker
    /// default).
    pub replication_factor: i16,
    /// Extra topic configs (`config.storage.*` minus the known keys).
    pub topic_configs: Props,
    /// Java's "fencable writer": with `exactly.once.source.support` other than `disabled`, the
    /// leader's writes of connector configs, task configs, task-count records and session keys
    /// go through a transactional producer (`connect-cluster-<group.id>`), claimed with
    /// [`ConfigStore::claim_write_privileges`] so a zombie leader's writes are fenced.
    pub privileged_writes: bool,
}

struct Shared {
    state: ConfigState,
    started: bool,
}

/// The config topic store: a [`KafkaLog`] whose records feed a [`ConfigState`].
pub struct ConfigStore {
    log: KafkaLog,
    shared: Arc<Mutex<Shared>>,
    events: broadcast::Sender<ConfigEvent>,
    offsets: watch::Receiver<i64>,
    /// The producer settings of the log, for the fencable writer.
    producer_config: rdkafka::ClientConfig,
    privileged_writes: bool,
    /// The claimed transactional producer (leader only), see [`ConfigStoreSettings`].
    fencable: tokio::sync::Mutex<Option<Arc<FutureProducer>>>,
}

/// How long the fencable writer's transactional calls may block.
const FENCABLE_CALL_TIMEOUT: Duration = Duration::from_secs(30);

impl ConfigStore {
    /// Create or validate the topic (compacted, exactly one partition), read it to the end, and
    /// keep reading in the background. Records read before this returns make no events.
    pub async fn start(settings: ConfigStoreSettings) -> Result<ConfigStore> {
        let topic_name = settings.log.topic.trim().to_string();
        if topic_name.is_empty() {
            return Err(Error::config(
                "Must specify topic for connector configuration.",
            ));
        }
        let topic = InternalTopic {
            name: topic_name.clone(),
            partitions: 1,
            replication_factor: settings.replication_factor,
            configs: settings.topic_configs.clone(),
            worker_setting: CONFIG_TOPIC_CONFIG.into(),
            purpose: "connector configurations".into(),
        };
        ensure_internal_topic(&settings.log.clients.admin, &topic).await?;

        let shared = Arc::new(Mutex::new(Shared {
            state: ConfigState::new(),
            started: false,
        }));
        let (events, _) = broadcast::channel(1024);
        let (offset_tx, offsets) = watch::channel(-1i64);
        let callback = {
            let shared = shared.clone();
            let events = events.clone();
            Box::new(move |record: LogRecord| {
                let (evs, offset) = match shared.lock() {
                    Ok(mut s) => {
                        let started = s.started;
                        let evs = s.state.apply(&record, started);
                        (evs, s.state.offset())
                    }
                    Err(_) => return,
                };
                offset_tx.send_replace(offset);
                for e in evs {
                    // No subscriber is fine: the herder also reads snapshots.
                    let _ = events.send(e);
                }
            })
        };
        let producer_config = settings.log.clients.producer.clone();
        let mut log = KafkaLog::start(settings.log, callback).await?;
        if log.partition_count() > 1 {
            let n = log.partition_count();
            log.stop();
            return Err(Error::config(format!(
                "Topic '{topic_name}' supplied via the '{CONFIG_TOPIC_CONFIG}' property is required to have a single partition in order to guarantee consistency of connector configurations, but found {n} partitions."
            )));
        }
        if let Ok(mut s) = shared.lock() {
            s.started = true;
        }
        Ok(ConfigStore {
            log,
            shared,
            events,
            offsets,
            producer_config,
            privileged_writes: settings.privileged_writes,
            fencable: tokio::sync::Mutex::new(None),
        })
    }

    /// Whether the leader's writes need the fencable writer (and it is not claimed yet).
    pub async fn needs_write_privileges(&self) -> bool {
        self.privileged_writes && self.fencable.lock().await.is_none()
    }

    /// Java's `claimWritePrivileges`: create the transactional producer
    /// `connect-cluster-<group.id>` and initialise it, which fences the producer of any earlier
    /// leader (a zombie leader's config writes then fail).
    pub async fn claim_write_privileges(&self, group_id: &str) -> Result<()> {
        if !self.privileged_writes {
            return Ok(());
        }
        let mut cfg = self.producer_config.clone();
        cfg.set("transactional.id", format!("connect-cluster-{group_id}"))
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("partitioner", "murmur2_random");
        let producer: FutureProducer = cfg
            .create()
            .map_err(|e| kafka_error(e, "creating the config topic's transactional producer"))?;
        let producer = Arc::new(producer);
        let p = producer.clone();
        tokio::task::spawn_blocking(move || p.init_transactions(FENCABLE_CALL_TIMEOUT))
            .await
            .map_err(|e| Error::bug(format!("init_transactions panicked: {e}")))?
            .map_err(|e| kafka_error(e, "claiming write privileges on the config topic"))?;
        *self.fencable.lock().await = Some(producer);
        tracing::info!(group_id, "claimed write privileges on the config topic");
        Ok(())
    }

    /// Give up the fencable writer (this worker is no longer the leader).
    pub async fn release_write_privileges(&self) {
        self.fencable.lock().await.take();
    }

    /// Write `records` in one transaction of the fencable writer. Any failure drops the
    /// producer (Java closes it): a fenced leader must claim again before it writes again.
    async fn write_privileged(&self, records: &[(String, Option<Vec<u8>>)]) -> Result<()> {
        let mut slot = self.fencable.lock().await;
        let producer = slot.clone().ok_or_else(|| {
            Error::external(
                "Cannot write to the config topic without write privileges (this worker is not the leader, or lost its privileges)",
                true,
            )
        })?;
        let topic = self.log.topic().to_string();
        let records = records.to_vec();
        let result = tokio::task::spawn_blocking(move || -> Result<()> {
            let txn = |e, what: &str| kafka_error(e, what);
            producer
                .begin_transaction()
                .map_err(|e| txn(e, "beginning a config topic transaction"))?;
            let mut deliveries = Vec::with_capacity(records.len());
            for (k, v) in &records {
                let mut record = FutureRecord::<[u8], [u8]>::to(&topic).key(k.as_bytes());
                if let Some(v) = v {
                    record = record.payload(v);
                }
                deliveries.push(
                    producer
                        .send_result(record)
                        .map_err(|(e, _)| txn(e, "writing to the config topic"))?,
                );
            }
            producer
                .commit_transaction(FENCABLE_CALL_TIMEOUT)
                .map_err(|e| txn(e, "committing a config topic transaction"))?;
            for d in deliveries {
                if let Ok(Err((e, _))) = futures::executor::block_on(d) {
                    return Err(txn(e, "writing to the config topic"));
                }
            }
            Ok(())
        })
        .await
        .map_err(|e| Error::bug(format!("config topic transaction panicked: {e}")))?;
        if result.is_err() {
            slot.take();
        }
        result
    }

    /// A copy of the current state.
    pub fn snapshot(&self) -> ClusterConfigSnapshot {
        match self.shared.lock() {
            Ok(s) => s.state.snapshot(),
            Err(p) => p.into_inner().state.snapshot(),
        }
    }

    /// Does the connector exist?
    pub fn contains(&self, connector: &str) -> bool {
        self.snapshot().contains(connector)
    }

    /// Events for records read from now on. A receiver that lags (`RecvError::Lagged`) should
    /// resynchronize from [`ConfigStore::snapshot`].
    pub fn subscribe(&self) -> broadcast::Receiver<ConfigEvent> {
        self.events.subscribe()
    }

    /// The config-topic offset after the last record read, updated as records arrive.
    pub fn watch_offset(&self) -> watch::Receiver<i64> {
        self.offsets.clone()
    }

    /// Read to the end of the topic within `timeout` (Java's `refresh`).
    pub async fn refresh(&self, timeout: Duration) -> Result<()> {
        tokio::time::timeout(timeout, self.log.read_to_end())
            .await
            .map_err(|_| {
                Error::external("Timed out reading to the end of the config topic", true)
            })?
    }

    /// Send records in order, wait for all acknowledgements, then (if asked) read to the end;
    /// all within Java's 30 s budget. Errors carry `what` as Java's messages do.
    async fn write(
        &self,
        records: Vec<(String, Option<Vec<u8>>)>,
        read: bool,
        what: &str,
    ) -> Result<()> {
        self.write_as(records, read, what, false).await
    }

    /// [`ConfigStore::write`], through the fencable writer when `privileged` and the worker
    /// uses one (Java's `sendPrivileged`).
    async fn write_as(
        &self,
        records: Vec<(String, Option<Vec<u8>>)>,
        read: bool,
        what: &str,
        privileged: bool,
    ) -> Result<()> {
        let fut = async {
            if privileged && self.privileged_writes && !records.is_empty() {
                self.write_privileged(&records).await?;
            } else {
                let pending: Vec<_> = records
                    .iter()
                    .map(|(k, v)| self.log.send(k.as_bytes(), v.as_deref()))
                    .collect();
                for p in pending {
                    p.await?;
                }
            }
            if read {
                self.log.read_to_end().await?;
            }
            Ok::<(), Error>(())
        };
        match tokio::time::timeout(READ_WRITE_TOTAL_TIMEOUT, fut).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => {
                Err(Error::external(format!("{what}: {}", e.message()), true).with_source(e))
            }
            Err(_) => Err(Error::external(format!("{what}: timed out"), true)),
        }
    }

    /// Write a connector config, preceded by its target state when given (Java's
    /// `putConnectorConfig`), and read it back.
    pub async fn put_connector_config(
        &self,
        connector: &str,
        config: &Props,
        target_state: Option<TargetState>,
    ) -> Result<()> {
        let mut records = Vec::new();
        if let Some(s) = target_state {
            records.push((target_state_key(connector), Some(encode_target_state(s))));
        }
        records.push((connector_key(connector), Some(encode_properties(config))));
        self.write_as(
            records,
            true,
            "Error writing connector configuration to Kafka",
            true,
        )
        .await
    }

    /// Delete a connector: tombstones for its config and target state (task and commit records
    /// stay, as in Java), then read back.
    pub async fn remove_connector_config(&self, connector: &str) -> Result<()> {
        self.write_as(
            vec![
                (connector_key(connector), None),
                (target_state_key(connector), None),
            ],
            true,
            "Error removing connector configuration from Kafka",
            true,
        )
        .await
    }

    /// Java's `putTaskConfigs`: read to the end, write every task config, read to the end (when
    /// there are any), write the commit record, read to the end.
    pub async fn put_task_configs(&self, connector: &str, configs: &[Props]) -> Result<()> {
        let what = "Error writing task configurations to Kafka";
        self.write(
            Vec::new(),
            true,
            "Error writing root configuration to Kafka",
        )
        .await?;
        let tasks: Vec<_> = configs
            .iter()
            .enumerate()
            .map(|(i, c)| (task_key(connector, i as u32), Some(encode_properties(c))))
            .collect();
        let count = tasks.len();
        self.write_as(tasks, count > 0, what, true).await?;
        self.write_as(
            vec![(
                commit_tasks_key(connector),
                Some(encode_commit(count as i32)),
            )],
            true,
            "Error writing root configuration to Kafka",
            true,
        )
        .await
    }

    /// Write a target state (any worker may; Java does not read back here).
    pub async fn put_target_state(&self, connector: &str, state: TargetState) -> Result<()> {
        self.write(
            vec![(
                target_state_key(connector),
                Some(encode_target_state(state)),
            )],
            false,
            "Error writing target state to Kafka",
        )
        .await
    }

    /// Write an exactly-once task-count record and read back.
    pub async fn put_task_count_record(&self, connector: &str, task_count: i32) -> Result<()> {
        self.write_as(
            vec![(
                task_count_record_key(connector),
                Some(encode_task_count(task_count)),
            )],
            true,
            "Error writing task count record to Kafka",
            true,
        )
        .await
    }

    /// Distribute a new session key and read back.
    pub async fn put_session_key(&self, key: &SessionKey) -> Result<()> {
        self.write_as(
            vec![(SESSION_KEY_KEY.to_string(), Some(encode_session_key(key)))],
            true,
            "Error writing session key to Kafka",
            true,
        )
        .await
    }

    /// Write a restart request and read back.
    pub async fn put_restart_request(&self, request: &RestartRequest) -> Result<()> {
        self.write_as(
            vec![(
                restart_key(&request.connector),
                Some(encode_restart_request(request)),
            )],
            true,
            &format!("Error writing {request:?} to Kafka"),
            true,
        )
        .await
    }

    /// Write a cluster-wide logger level (not read back, as in Java).
    pub async fn put_logger_level(&self, namespace: &str, level: &str) -> Result<()> {
        self.write(
            vec![(
                logger_cluster_key(namespace),
                Some(encode_logger_level(level)),
            )],
            false,
            "Error writing logger level to Kafka",
        )
        .await
    }

    /// Stop reading.
    pub fn stop(&mut self) {
        self.log.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use serde_json::json;

    fn props(kv: &[(&str, &str)]) -> Props {
        kv.iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    /// Feed (key, value) records at consecutive offsets.
    struct Feed {
        state: ConfigState,
        next: i64,
        events: Vec<ConfigEvent>,
    }

    impl Feed {
        fn new() -> Self {
            Feed {
                state: ConfigState::new(),
                next: 0,
                events: Vec::new(),
            }
        }
        fn push(&mut self, key: &str, value: Option<Vec<u8>>, started: bool) {
            let r = LogRecord {
                partition: 0,
                offset: self.next,
                key: Some(Bytes::copy_from_slice(key.as_bytes())),
                value: value.map(Bytes::from),
            };
            self.next += 1;
            self.events.extend(self.state.apply(&r, started));
        }
    }

    #[test]
    fn keys_dispatch_in_java_order() {
        assert_eq!(
            parse_key("target-state-connector-x"),
            ConfigKey::TargetState("connector-x".into())
        );
        assert_eq!(parse_key("connector-a"), ConfigKey::Connector("a".into()));
        assert_eq!(
            parse_key("task-my-conn-3"),
            ConfigKey::Task(Some(("my-conn".into(), 3)))
        );
        assert_eq!(parse_key("task-c-"), ConfigKey::Task(None));
        assert_eq!(parse_key("task-x"), ConfigKey::Task(None));
        assert_eq!(
            parse_key("task--0"),
            ConfigKey::Task(Some((String::new(), 0)))
        );
        assert_eq!(
            parse_key("task-a-+1"),
            ConfigKey::Task(Some(("a".into(), 1)))
        );
        assert_eq!(parse_key("task-a-2147483648"), ConfigKey::Task(None));
        assert_eq!(
            parse_key("task-c--1"),
            ConfigKey::Task(Some(("c-".into(), 1)))
        );
        assert_eq!(
            parse_key("tasks-fencing-a"),
            ConfigKey::TaskCount("a".into())
        );
        assert_eq!(parse_key("commit-a"), ConfigKey::Commit("a".into()));
        assert_eq!(
            parse_key("restart-connector-a"),
            ConfigKey::Restart("a".into())
        );
        assert_eq!(parse_key("session-key"), ConfigKey::SessionKey);
        assert_eq!(parse_key("session-key-2"), ConfigKey::Unknown);
        assert_eq!(
            parse_key("logger-cluster-org.foo"),
            ConfigKey::LoggerCluster("org.foo".into())
        );
        assert_eq!(task_key("a-b", 7), "task-a-b-7");
    }

    #[test]
    fn encodings_match_the_contract_examples() {
        let cfg = props(&[
            ("connector.class", "FileStreamSink"),
            ("file", "out.txt"),
            ("name", "my-sink"),
            ("tasks.max", "1"),
            ("topics", "t1"),
        ]);
        assert_eq!(
            String::from_utf8(encode_properties(&cfg)).unwrap(),
            r#"{"properties":{"connector.class":"FileStreamSink","file":"out.txt","name":"my-sink","tasks.max":"1","topics":"t1"}}"#
        );
        assert_eq!(encode_commit(1), br#"{"tasks":1}"#);
        assert_eq!(
            encode_target_state(TargetState::Stopped),
            br#"{"state":"PAUSED","state.v2":"STOPPED"}"#
        );
        assert_eq!(
            encode_target_state(TargetState::Started),
            br#"{"state":"STARTED","state.v2":"STARTED"}"#
        );
        assert_eq!(encode_task_count(3), br#"{"task-count":3}"#);
        assert_eq!(
            encode_restart_request(&RestartRequest {
                connector: "a".into(),
                only_failed: true,
                include_tasks: false
            }),
            br#"{"include-tasks":false,"only-failed":true}"#
        );
        assert_eq!(encode_logger_level("DEBUG"), br#"{"level":"DEBUG"}"#);
        let mut s = String::new();
        write_json_str(&mut s, "q\"\\/\u{1}\u{1f}\u{7f}\t é😀");
        assert_eq!(s, "\"q\\\"\\\\/\\u0001\\u001F\u{7f}\\t é\\uD83D\\uDE00\"");
    }

    #[test]
    fn partial_commit_marks_inconsistent_until_a_complete_one() {
        let mut f = Feed::new();
        f.push(
            "connector-a",
            Some(encode_properties(&props(&[("n", "a")]))),
            false,
        );
        f.push(
            "task-a-1",
            Some(encode_properties(&props(&[("t", "1")]))),
            false,
        );
        f.push("commit-a", Some(encode_commit(2)), false);
        let s = f.state.snapshot();
        assert!(s.inconsistent.contains("a"));
        assert!(s.tasks("a").is_empty());
        assert_eq!(s.task_count("a"), 2);
        assert_eq!(s.task_config_generation("a"), None);
        assert_eq!(s.applied_connector_config("a"), None);
        // The buffered task 1 is spent: a commit needs a fresh full set.
        f.push(
            "task-a-0",
            Some(encode_properties(&props(&[("t", "0")]))),
            true,
        );
        f.push("commit-a", Some(encode_commit(2)), true);
        assert!(f.state.snapshot().inconsistent.contains("a"));
        f.push(
            "task-a-0",
            Some(encode_properties(&props(&[("t", "0")]))),
            true,
        );
        f.push(
            "task-a-1",
            Some(encode_properties(&props(&[("t", "1")]))),
            true,
        );
        f.push("commit-a", Some(encode_commit(2)), true);
        let s = f.state.snapshot();
        assert!(s.inconsistent.is_empty());
        assert_eq!(s.tasks("a").len(), 2);
        assert_eq!(s.task_config_generation("a"), Some(0));
        assert_eq!(s.offset, 8);
        assert!(!s.task_configs_changed("a", &[props(&[("t", "0")]), props(&[("t", "1")])]));
        assert!(s.task_configs_changed("a", &[props(&[("t", "0")])]));
    }

    #[test]
    fn reconfiguration_skip_rule_sees_connector_config_changes() {
        let mut f = Feed::new();
        f.push(
            "connector-a",
            Some(encode_properties(&props(&[("v", "1")]))),
            false,
        );
        f.push(
            "task-a-0",
            Some(encode_properties(&props(&[("t", "0")]))),
            false,
        );
        f.push("commit-a", Some(encode_commit(1)), false);
        let tasks = [props(&[("t", "0")])];
        assert!(!f.state.snapshot().task_configs_changed("a", &tasks));
        f.push(
            "connector-a",
            Some(encode_properties(&props(&[("v", "2")]))),
            true,
        );
        assert!(f.state.snapshot().task_configs_changed("a", &tasks));
        assert_eq!(
            f.events,
            vec![ConfigEvent::ConnectorConfigUpdated("a".into())]
        );
    }

    #[test]
    fn stale_commit_and_tombstones() {
        let mut f = Feed::new();
        f.push(
            "task-gone-0",
            Some(encode_properties(&props(&[("t", "0")]))),
            false,
        );
        f.push("commit-gone", Some(encode_commit(1)), false);
        let s = f.state.snapshot();
        assert!(!s.contains("gone"));
        assert!(s.task_configs.is_empty());
        assert_eq!(s.task_count("gone"), 0);
        // A re-created connector does not pick up the stale tasks.
        f.push("connector-gone", Some(encode_properties(&props(&[]))), true);
        f.push("commit-gone", Some(encode_commit(1)), true);
        assert!(f.state.snapshot().inconsistent.contains("gone"));
        // Target-state tombstone of a live connector: back to STARTED, no event.
        f.push(
            "target-state-gone",
            Some(encode_target_state(TargetState::Paused)),
            true,
        );
        f.push("target-state-gone", None, true);
        assert_eq!(
            f.state.snapshot().target_state("gone"),
            Some(TargetState::Started)
        );
        f.push("connector-gone", None, true);
        f.push("target-state-gone", None, true);
        let s = f.state.snapshot();
        assert!(!s.contains("gone"));
        assert_eq!(s.target_state("gone"), None);
        assert_eq!(
            f.events,
            vec![
                ConfigEvent::ConnectorConfigUpdated("gone".into()),
                ConfigEvent::TaskConfigsUpdated(vec![]),
                ConfigEvent::TargetStateChanged("gone".into()),
                ConfigEvent::ConnectorConfigRemoved("gone".into()),
            ]
        );
    }

    // ------------------------------------------------------------------------------------------
    // Golden: records written and replayed by Java's KafkaConfigBackingStore
    // (tests/golden/config/Gen.java; rerun command in its header).

    const RECORDS: &str = include_str!("../tests/golden/config/records.txt");
    const EXPECTED: &str = include_str!("../tests/golden/config/expected.json");
    const RUST_RECORDS: &str = include_str!("../tests/golden/config/rust_records.txt");
    const RUST_EXPECTED: &str = include_str!("../tests/golden/config/rust_expected.json");

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len() / 2)
            .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
            .collect()
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    /// `(phase, key, value)` lines.
    fn parse_records(text: &str) -> Vec<(u8, String, Option<Vec<u8>>)> {
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let p: Vec<&str> = l.split(' ').collect();
                let value = (p[2] != "-").then(|| unhex(p[2]));
                (
                    p[0].parse().unwrap(),
                    String::from_utf8(unhex(p[1])).unwrap(),
                    value,
                )
            })
            .collect()
    }

    fn session_key_json(k: &SessionKey) -> Value {
        json!({
            "key": base64::engine::general_purpose::STANDARD.encode(&k.key),
            "algorithm": k.algorithm,
            "creation_timestamp": k.creation_timestamp,
        })
    }

    /// The replay result in the shape Gen.java writes.
    fn replay_json(records: &[(u8, String, Option<Vec<u8>>)]) -> Value {
        let mut f = Feed::new();
        for (phase, key, value) in records {
            f.push(key, value.clone(), *phase == 1);
        }
        let s = f.state.snapshot();
        let events: Vec<Value> = f
            .events
            .iter()
            .map(|e| match e {
                ConfigEvent::ConnectorConfigUpdated(c) => {
                    json!({"event": "onConnectorConfigUpdate", "connector": c})
                }
                ConfigEvent::ConnectorConfigRemoved(c) => {
                    json!({"event": "onConnectorConfigRemove", "connector": c})
                }
                ConfigEvent::TargetStateChanged(c) => {
                    json!({"event": "onConnectorTargetStateChange", "connector": c})
                }
                ConfigEvent::TaskConfigsUpdated(ids) => {
                    let mut ids: Vec<String> = ids
                        .iter()
                        .map(|i| format!("{}-{}", i.connector, i.task))
                        .collect();
                    ids.sort();
                    json!({"event": "onTaskConfigUpdate", "tasks": ids})
                }
                ConfigEvent::RestartRequested(r) => json!({"event": "onRestartRequest",
                    "connector": r.connector, "include_tasks": r.include_tasks, "only_failed": r.only_failed}),
                ConfigEvent::SessionKeyUpdated(k) => {
                    json!({"event": "onSessionKeyUpdate", "key": session_key_json(k)})
                }
                ConfigEvent::LoggerLevel { namespace, level } => {
                    json!({"event": "onLoggingLevelUpdate", "namespace": namespace, "level": level})
                }
            })
            .collect();
        let states: BTreeMap<&String, &str> = s
            .target_states
            .iter()
            .map(|(c, t)| (c, state_name(*t)))
            .collect();
        let tasks: BTreeMap<String, &Props> = s
            .task_configs
            .iter()
            .map(|((c, t), p)| (format!("{c}-{t}"), p))
            .collect();
        json!({
            "offset": s.offset,
            "session_key": s.session_key.as_ref().map(session_key_json),
            "connector_task_counts": s.connector_task_counts,
            "connector_configs": s.connector_configs,
            "target_states": states,
            "task_configs": tasks,
            "task_count_records": s.task_count_records,
            "task_config_generations": s.task_config_generations,
            "applied_connector_configs": s.applied_connector_configs,
            "pending_fencing": s.pending_fencing,
            "inconsistent": s.inconsistent,
            "events": events,
        })
    }

    #[test]
    fn golden_java_records_replay_to_java_state() {
        let records = parse_records(RECORDS);
        assert!(records.len() > 40);
        let expected: Value = serde_json::from_str(EXPECTED).unwrap();
        assert_eq!(replay_json(&records), expected);
    }

    /// Decode a Java-written value with the replay's readers and write it again: the bytes must
    /// be Java's (so Java reads Strait's records as its own).
    fn reencode(key: &str, value: &[u8]) -> Option<Vec<u8>> {
        let v: Value = serde_json::from_slice(value).ok()?;
        let map = v.as_object()?;
        Some(match parse_key(key) {
            ConfigKey::Connector(_) | ConfigKey::Task(Some(_)) => {
                encode_properties(&string_map("t", map.get("properties")?.as_object()?))
            }
            ConfigKey::Commit(_) => encode_commit(int_value(map.get("tasks"))?),
            ConfigKey::TargetState(_) => {
                // Only the v1 form is written by current workers.
                encode_target_state(parse_state_name(map.get("state.v2")?.as_str()?)?)
            }
            ConfigKey::TaskCount(_) => encode_task_count(int_value(map.get("task-count"))?),
            ConfigKey::SessionKey => encode_session_key(&session_key(Some(&v))?),
            ConfigKey::Restart(c) => encode_restart_request(&restart_request(c, Some(&v))?),
            ConfigKey::LoggerCluster(ns) => encode_logger_level(&logger_level(&ns, Some(&v))?),
            _ => return None,
        })
    }

    #[test]
    fn golden_java_bytes_are_reproduced() {
        let mut checked = 0;
        for (_, key, value) in parse_records(RECORDS) {
            let Some(value) = value else { continue };
            if let Some(ours) = reencode(&key, &value) {
                assert_eq!(
                    String::from_utf8_lossy(&ours),
                    String::from_utf8_lossy(&value),
                    "record {key}"
                );
                checked += 1;
            }
        }
        // All 42 but the 3 tombstones, the v0 target state, the unknown key and the two broken
        // records.
        assert_eq!(checked, 35);
    }

    /// Strait-written records of every kind; Gen.java replays `rust_records.txt` through
    /// Java's store into `rust_expected.json`.
    fn rust_records() -> Vec<(u8, String, Option<Vec<u8>>)> {
        let weird = props(&[
            ("name", "x"),
            (
                "quote\"key",
                "back\\slash/ctl\u{1}\u{1f}\u{7f}\ttab é 😀 \u{2028}",
            ),
        ]);
        let key = SessionKey {
            key: (0u8..32).collect(),
            algorithm: "HmacSHA256".into(),
            creation_timestamp: 1_732_000_000_000,
        };
        let mut r: Vec<(u8, String, Option<Vec<u8>>)> = vec![
            (
                0,
                target_state_key("x"),
                Some(encode_target_state(TargetState::Stopped)),
            ),
            (0, connector_key("x"), Some(encode_properties(&weird))),
            (0, task_key("x", 0), Some(encode_properties(&weird))),
            (
                0,
                task_key("x", 1),
                Some(encode_properties(&props(&[("t", "1")]))),
            ),
            (0, commit_tasks_key("x"), Some(encode_commit(2))),
            (0, task_count_record_key("x"), Some(encode_task_count(2))),
            (0, SESSION_KEY_KEY.into(), Some(encode_session_key(&key))),
            (
                0,
                connector_key("y-z"),
                Some(encode_properties(&props(&[("name", "y-z")]))),
            ),
            (
                0,
                task_key("y-z", 1),
                Some(encode_properties(&props(&[("t", "1")]))),
            ),
            (0, commit_tasks_key("y-z"), Some(encode_commit(2))),
        ];
        r.extend([
            (
                1,
                target_state_key("x"),
                Some(encode_target_state(TargetState::Paused)),
            ),
            (
                1,
                restart_key("x"),
                Some(encode_restart_request(&RestartRequest {
                    connector: "x".into(),
                    only_failed: true,
                    include_tasks: true,
                })),
            ),
            (
                1,
                logger_cluster_key("org.apache"),
                Some(encode_logger_level("WARN")),
            ),
            (1, connector_key("y-z"), None),
            (1, target_state_key("y-z"), None),
            (
                1,
                target_state_key("x"),
                Some(encode_target_state(TargetState::Started)),
            ),
            (
                1,
                task_key("x", 0),
                Some(encode_properties(&props(&[("t", "0")]))),
            ),
            (1, commit_tasks_key("x"), Some(encode_commit(1))),
        ]);
        r
    }

    fn rust_records_text() -> String {
        rust_records()
            .iter()
            .map(|(p, k, v)| {
                format!(
                    "{p} {} {}\n",
                    hex(k.as_bytes()),
                    v.as_deref().map_or_else(|| "-".to_string(), hex)
                )
            })
            .collect()
    }

    /// The committed `rust_records.txt` is what the encoders write now (so `rust_expected.json`,
    /// Java's reading of it, applies to this code). After changing the encoders: run this test
    /// with STRAIT_WRITE_GOLDEN=1, then rerun Gen.java, and commit both files.
    #[test]
    fn rust_records_file_is_current() {
        let text = rust_records_text();
        if std::env::var_os("STRAIT_WRITE_GOLDEN").is_some() {
            let path = concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/golden/config/rust_records.txt"
            );
            std::fs::write(path, &text).unwrap();
        }
        assert_eq!(RUST_RECORDS, text);
    }

    #[test]
    fn java_reads_rust_records_as_rust_does() {
        let expected: Value = serde_json::from_str(RUST_EXPECTED).unwrap();
        let ours = replay_json(&rust_records());
        assert_eq!(ours, expected);
        // Java kept the escaped property byte for byte.
        assert_eq!(
            expected["connector_configs"]["x"]["quote\"key"],
            "back\\slash/ctl\u{1}\u{1f}\u{7f}\ttab é 😀 \u{2028}"
        );
    }

    // ------------------------------------------------------------------------------------------
    // Against a broker (STRAIT_TEST_BOOTSTRAP).

    use crate::kafka_log::tests::{create_topic, test_bootstrap, test_clients, unique};
    use crate::kafka_log::DELIVERY_TIMEOUT_MAX;

    fn store_settings(bootstrap: &str, topic: &str) -> ConfigStoreSettings {
        ConfigStoreSettings {
            log: KafkaLogSettings {
                topic: topic.to_string(),
                clients: test_clients(bootstrap),
                delivery_timeout: DELIVERY_TIMEOUT_MAX,
                read_committed: false,
                read_only: false,
            },
            replication_factor: -1,
            topic_configs: Props::new(),
            privileged_writes: false,
        }
    }

    async fn next_event(rx: &mut broadcast::Receiver<ConfigEvent>) -> ConfigEvent {
        tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .expect("no event within 20 s")
            .unwrap()
    }

    #[tokio::test]
    async fn broker_store_round_trip_through_a_second_instance() {
        let Some(bootstrap) = test_bootstrap() else {
            return;
        };
        let topic = unique("strait-configs");
        let a = ConfigStore::start(store_settings(&bootstrap, &topic))
            .await
            .unwrap();
        assert_eq!(a.snapshot().offset, -1);
        let cfg = props(&[("connector.class", "X"), ("name", "c1"), ("tasks.max", "2")]);
        a.put_connector_config("c1", &cfg, Some(TargetState::Paused))
            .await
            .unwrap();
        let tasks = [props(&[("t", "0")]), props(&[("t", "1")])];
        a.put_task_configs("c1", &tasks).await.unwrap();
        let key = SessionKey {
            key: vec![7; 32],
            algorithm: "HmacSHA256".into(),
            creation_timestamp: 1_700_000_000_000,
        };
        a.put_session_key(&key).await.unwrap();
        a.put_target_state("c1", TargetState::Stopped)
            .await
            .unwrap();
        a.refresh(Duration::from_secs(20)).await.unwrap();
        let snap = a.snapshot();
        // target state, connector, 2 tasks, commit, session key, target state.
        assert_eq!(snap.offset, 7);
        assert_eq!(*a.watch_offset().borrow(), 7);
        assert_eq!(snap.connector_config("c1"), Some(&cfg));
        assert_eq!(snap.target_state("c1"), Some(TargetState::Stopped));
        assert_eq!(snap.tasks("c1").len(), 2);
        assert_eq!(snap.task_config("c1", 1), Some(&tasks[1]));
        assert_eq!(snap.task_config_generation("c1"), Some(0));
        assert_eq!(snap.session_key.as_ref(), Some(&key));
        assert!(!snap.task_configs_changed("c1", &tasks));

        let b = ConfigStore::start(store_settings(&bootstrap, &topic))
            .await
            .unwrap();
        assert_eq!(b.snapshot(), snap);

        let mut events = b.subscribe();
        a.put_restart_request(&RestartRequest {
            connector: "c1".into(),
            only_failed: true,
            include_tasks: false,
        })
        .await
        .unwrap();
        assert_eq!(
            next_event(&mut events).await,
            ConfigEvent::RestartRequested(RestartRequest {
                connector: "c1".into(),
                only_failed: true,
                include_tasks: false,
            })
        );
        a.remove_connector_config("c1").await.unwrap();
        assert_eq!(
            next_event(&mut events).await,
            ConfigEvent::ConnectorConfigRemoved("c1".into())
        );
        b.refresh(Duration::from_secs(20)).await.unwrap();
        let snap = b.snapshot();
        assert!(!snap.contains("c1"));
        assert_eq!(snap.target_state("c1"), None);
        assert!(snap.task_configs.is_empty());
        assert_eq!(snap.offset, 10);
    }

    #[tokio::test]
    async fn broker_partial_task_commit_is_inconsistent() {
        let Some(bootstrap) = test_bootstrap() else {
            return;
        };
        let topic = unique("strait-configs-partial");
        let a = ConfigStore::start(store_settings(&bootstrap, &topic))
            .await
            .unwrap();
        a.put_connector_config("p", &props(&[("name", "p")]), None)
            .await
            .unwrap();
        // A leader that died between task records: only task 0 of 2, then the commit.
        a.log
            .send(
                task_key("p", 0).as_bytes(),
                Some(&encode_properties(&props(&[("t", "0")]))),
            )
            .await
            .unwrap();
        a.log
            .send(commit_tasks_key("p").as_bytes(), Some(&encode_commit(2)))
            .await
            .unwrap();
        a.refresh(Duration::from_secs(20)).await.unwrap();
        assert!(a.snapshot().inconsistent.contains("p"));
        let b = ConfigStore::start(store_settings(&bootstrap, &topic))
            .await
            .unwrap();
        let snap = b.snapshot();
        assert!(snap.inconsistent.contains("p"));
        assert!(snap.tasks("p").is_empty());
        assert_eq!(snap.target_state("p"), Some(TargetState::Started));
        // The leader's rewrite repairs it.
        b.put_task_configs("p", &[props(&[("t", "0")]), props(&[("t", "1")])])
            .await
            .unwrap();
        a.refresh(Duration::from_secs(20)).await.unwrap();
        assert!(a.snapshot().inconsistent.is_empty());
        assert_eq!(a.snapshot().tasks("p").len(), 2);
    }

    #[tokio::test]
    async fn broker_refuses_a_delete_policy_topic() {
        let Some(bootstrap) = test_bootstrap() else {
            return;
        };
        let topic = unique("strait-configs-delete");
        create_topic(&bootstrap, &topic, 1, "delete").await;
        let e = ConfigStore::start(store_settings(&bootstrap, &topic))
            .await
            .err()
            .expect("a delete-policy config topic must be refused");
        assert_eq!(e.fault(), strait_engine::error::Fault::Config);
        assert!(e.message().starts_with(&format!("Topic '{topic}' supplied via the 'config.storage.topic' property is required to have 'cleanup.policy=compact' to guarantee consistency and durability of connector configurations, but found the topic currently has 'cleanup.policy=delete'.")), "{}", e.message());
    }

    #[tokio::test]
    async fn broker_refuses_a_two_partition_config_topic() {
        let Some(bootstrap) = test_bootstrap() else {
            return;
        };
        let topic = unique("strait-configs-2p");
        create_topic(&bootstrap, &topic, 2, "compact").await;
        let e = ConfigStore::start(store_settings(&bootstrap, &topic))
            .await
            .err()
            .expect("a 2-partition config topic must be refused");
        assert_eq!(e.fault(), strait_engine::error::Fault::Config);
        assert_eq!(e.message(), format!("Topic '{topic}' supplied via the 'config.storage.topic' property is required to have a single partition in order to guarantee consistency of connector configurations, but found 2 partitions."));
    }
}
