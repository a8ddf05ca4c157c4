//! Herders own connector and task lifecycle, configs and assignment. The [`Herder`] trait is what
//! the REST API talks to; standalone mode implements it in memory ([`standalone`]), distributed
//! mode will implement it on Kafka's internal topics and group coordinator.
//!
//! The entity types here serialize to Kafka Connect's REST JSON shapes (field names, order,
//! omitted-when-empty rules).

pub mod enrich;
pub mod lifecycle;
pub mod offsets;
pub mod standalone;
pub mod topics;
pub mod validate;

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::Serialize;

use crate::batch::SourceMap;
use crate::config::{ConfigKey, ConfigValue, InitialState, Props};
use crate::error::{Error, Result};
use crate::plugin::ConnectorType;
use crate::registry::Registry;
use crate::runtime::State;

/// Desired state of a connector (persisted in distributed mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TargetState {
    Started,
    Paused,
    Stopped,
}

impl From<InitialState> for TargetState {
    fn from(s: InitialState) -> Self {
        match s {
            InitialState::Running => TargetState::Started,
            InitialState::Paused => TargetState::Paused,
            InitialState::Stopped => TargetState::Stopped,
        }
    }
}

/// `{"connector": "<name>", "task": <n>}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectorTaskId {
    pub connector: String,
    pub task: u32,
}

/// `GET /connectors/{c}` and create/update responses.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectorInfo {
    pub name: String,
    pub config: Props,
    pub tasks: Vec<ConnectorTaskId>,
    #[serde(rename = "type")]
    pub kind: ConnectorTypeName,
}

/// `source` | `sink` | `unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConnectorTypeName {
    Source,
    Sink,
    Unknown,
}

impl From<Option<ConnectorType>> for ConnectorTypeName {
    fn from(t: Option<ConnectorType>) -> Self {
        match t {
            Some(ConnectorType::Source) => ConnectorTypeName::Source,
            Some(ConnectorType::Sink) => ConnectorTypeName::Sink,
            None => ConnectorTypeName::Unknown,
        }
    }
}

/// Connector part of a status: `{"state", "worker_id", "version"?, "trace"?}`. Kafka Connect
/// 4.x (KIP-891) reports the plugin version; `trace` is omitted when empty.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectorState {
    pub state: State,
    pub worker_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "is_empty_trace")]
    pub trace: Option<String>,
}

/// Task part of a status: `{"id", "state", "worker_id", "version"?, "trace"?}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskState {
    pub id: u32,
    pub state: State,
    pub worker_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "is_empty_trace")]
    pub trace: Option<String>,
}

/// Java's `@JsonInclude(NON_EMPTY)` on `trace`: absent when null or empty.
fn is_empty_trace(t: &Option<String>) -> bool {
    t.as_deref().is_none_or(str::is_empty)
}

/// `GET /connectors/{c}/status`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectorStateInfo {
    pub name: String,
    pub connector: ConnectorState,
    pub tasks: Vec<TaskState>,
    #[serde(rename = "type")]
    pub kind: ConnectorTypeName,
}

/// `GET /connectors/{c}/tasks` element.
#[derive(Debug, Clone, Serialize)]
pub struct TaskInfo {
    pub id: ConnectorTaskId,
    pub config: Props,
}

/// One element of `ConnectorOffsets.offsets`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectorOffset {
    pub partition: SourceMap,
    pub offset: Option<SourceMap>,
}

/// `GET /connectors/{c}/offsets`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectorOffsets {
    pub offsets: Vec<ConnectorOffset>,
}

/// `definition` of a ConfigInfo (also the element of `/connector-plugins/{p}/config`). Field
/// order is Java's serialization order (`order` comes last).
#[derive(Debug, Clone, Serialize)]
pub struct ConfigKeyInfo {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: crate::config::ConfigType,
    pub required: bool,
    pub default_value: Option<String>,
    pub importance: crate::config::Importance,
    pub documentation: String,
    pub group: Option<String>,
    pub width: crate::config::Width,
    pub display_name: String,
    pub dependents: Vec<String>,
    pub order: i32,
}

impl From<&ConfigKey> for ConfigKeyInfo {
    fn from(k: &ConfigKey) -> Self {
        use crate::config::Default;
        ConfigKeyInfo {
            name: k.name.clone(),
            ty: k.ty,
            required: k.default == Default::Required,
            default_value: match &k.default {
                Default::Value(v) => Some(v.clone()),
                _ => None,
            },
            importance: k.importance,
            documentation: k.documentation.clone(),
            group: k.group.clone(),
            width: k.width,
            display_name: k.display_name.clone(),
            dependents: k.dependents.clone(),
            order: k.order,
        }
    }
}

/// One entry of `ConfigInfos.configs`.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigInfo {
    pub definition: Option<ConfigKeyInfo>,
    pub value: Option<ConfigValue>,
}

/// Validation response.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigInfos {
    pub name: String,
    pub error_count: usize,
    pub groups: Vec<String>,
    pub configs: Vec<ConfigInfo>,
}

/// A connector config as a request carries it: JSON `null` values are kept (and rejected by
/// validation with Java's message).
pub type RawConfig = BTreeMap<String, Option<String>>;

/// One requested offset change: source partition → new offset (`None` = reset).
pub type OffsetEntry = (Option<SourceMap>, Option<SourceMap>);

/// Drop null-valued keys (after validation proved there are none, or for display).
pub fn non_null(raw: &RawConfig) -> Props {
    raw.iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k.clone(), v.clone())))
        .collect()
}

/// Every value present (`Some`), for validating a config that cannot hold nulls.
pub fn to_raw(props: &Props) -> RawConfig {
    props
        .iter()
        .map(|(k, v)| (k.clone(), Some(v.clone())))
        .collect()
}

/// An internal request between workers (`POST /connectors/{c}/tasks`, `PUT
/// /connectors/{c}/fence`) with its KIP-507 signature headers and the raw body they sign.
#[derive(Debug, Clone, Default)]
pub struct InternalRequest {
    /// `X-Connect-Authorization`.
    pub signature: Option<String>,
    /// `X-Connect-Request-Signature-Algorithm`.
    pub algorithm: Option<String>,
    pub body: Vec<u8>,
}

/// The control-plane operations of a worker, as the REST API needs them.
#[async_trait]
pub trait Herder: Send + Sync {
    /// `<advertised host>:<port>`, shown as `worker_id` in statuses.
    fn worker_id(&self) -> String;
    /// The Kafka cluster id, if it could be looked up.
    fn kafka_cluster_id(&self) -> Option<String>;
    /// Whether start-up is complete (standalone: all command-line connectors submitted).
    fn is_ready(&self) -> bool;
    fn registry(&self) -> &Registry;
    /// This worker's metrics (`GET /metrics`); `None` while a distributed worker starts.
    fn worker_metrics(&self) -> Option<std::sync::Arc<crate::metrics::WorkerMetrics>>;

    async fn connectors(&self) -> Vec<String>;
    async fn connector_info(&self, name: &str) -> Result<ConnectorInfo>;
    async fn connector_config(&self, name: &str) -> Result<Props>;
    /// Create (or, with `allow_replace`, update) a connector. Returns whether it was created.
    async fn put_connector_config(
        &self,
        name: &str,
        config: Props,
        allow_replace: bool,
        initial_state: Option<InitialState>,
    ) -> Result<(bool, ConnectorInfo)>;
    /// KIP-477: set keys with values, remove keys with `None`.
    async fn patch_connector_config(
        &self,
        name: &str,
        patch: BTreeMap<String, Option<String>>,
    ) -> Result<ConnectorInfo>;
    async fn delete_connector(&self, name: &str) -> Result<()>;
    async fn connector_status(&self, name: &str) -> Result<ConnectorStateInfo>;
    async fn task_status(&self, name: &str, task: u32) -> Result<TaskState>;
    async fn task_configs(&self, name: &str) -> Result<Vec<TaskInfo>>;
    async fn pause_connector(&self, name: &str) -> Result<()>;
    async fn resume_connector(&self, name: &str) -> Result<()>;
    async fn stop_connector(&self, name: &str) -> Result<()>;
    /// Legacy restart (both flags false) returns `None`; otherwise the KIP-745 plan.
    async fn restart_connector(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<Option<ConnectorStateInfo>>;
    async fn restart_task(&self, name: &str, task: u32) -> Result<()>;
    /// Validate a connector config, like `PUT /connector-plugins/{p}/config/validate`. Null
    /// values are reported as errors on their keys, as Java does.
    async fn validate(&self, config: &RawConfig) -> Result<ConfigInfos>;
    async fn connector_offsets(&self, name: &str) -> Result<ConnectorOffsets>;
    /// Alter offsets of a STOPPED connector (`None` offset = reset that partition); returns the
    /// success message. Partitions may be `None` as in a Java request body.
    async fn alter_offsets(&self, name: &str, offsets: Vec<OffsetEntry>) -> Result<String>;
    async fn reset_offsets(&self, name: &str) -> Result<String>;
    /// KIP-558 active topics of a connector (empty for unknown connectors).
    async fn connector_active_topics(&self, name: &str) -> Result<Vec<String>>;
    /// Forget a connector's active topics (no-op for unknown connectors).
    async fn reset_connector_active_topics(&self, name: &str) -> Result<()>;
    /// `PUT /admin/loggers/{ns}?scope=cluster`. Standalone: this worker is the whole cluster.
    async fn set_cluster_logger_level(
        &self,
        namespace: &str,
        level: crate::rest::logging::Level,
    ) -> Result<()> {
        crate::rest::logging::global().set_level(namespace, level);
        Ok(())
    }
    /// Internal `POST /connectors/{c}/tasks`: a follower hands the leader the task configs its
    /// connector generated. Standalone mode has no such thing (Java: 500).
    async fn put_task_configs(
        &self,
        _name: &str,
        _configs: Vec<Props>,
        _request: InternalRequest,
    ) -> Result<()> {
        Err(Error::bug(
            "Kafka Connect in standalone mode does not support externally setting task configurations.",
        )
        .with_java_class("java.lang.UnsupportedOperationException"))
    }
    /// Internal `PUT /connectors/{c}/fence`: a zombie-fencing round for an exactly-once source.
    async fn fence_zombies(&self, _name: &str, _request: InternalRequest) -> Result<()> {
        Err(Error::bug(
            "Kafka Connect in standalone mode does not support exactly-once source connectors.",
        )
        .with_java_class("java.lang.UnsupportedOperationException"))
    }
    /// Stop every connector gracefully (final offset commits).
    async fn shutdown(&self);
}
