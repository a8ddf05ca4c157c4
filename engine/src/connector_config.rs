//! Framework keys of every connector config (`ConnectorConfig`, `SinkConnectorConfig`,
//! `SourceConnectorConfig`): same names, types, defaults, groups and messages as Kafka Connect.
//! The per-group topic creation keys (`topic.creation.<group>.*`) are parsed by
//! [`topic_creation`](crate::topic_creation) when a source starts, as Java does. The keys each
//! transform and predicate alias adds are defined and validated by
//! [`herder::enrich`](crate::herder::enrich), which needs the plugin registry.

use std::time::Duration;

use regex::Regex;

use crate::config::{ConfigDef, ConfigValue, Props, Validator};
use crate::declare_config;
use crate::error::{Error, Result};
use crate::plugin::ConnectorType;
use crate::transforms::registry::{alias_list, duplicate_alias};

pub const COMMON: &str = "Common";
pub const TRANSFORMS: &str = "Transforms";
pub const PREDICATES: &str = "Predicates";
pub const ERROR_HANDLING: &str = "Error Handling";
pub const TOPIC_CREATION: &str = "Topic Creation";
pub const EXACTLY_ONCE_SUPPORT: &str = "Exactly Once Support";
pub const OFFSETS_TOPIC: &str = "offsets.topic";

/// `errors.tolerance`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tolerance {
    None,
    All,
}

impl Tolerance {
    /// The validated value of `errors.tolerance` (case-insensitive, as Java's validator).
    fn parse(value: String) -> Self {
        if value.eq_ignore_ascii_case("all") {
            Tolerance::All
        } else {
            Tolerance::None
        }
    }
}

/// A string key whose empty value means "unset".
fn non_empty(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

// The keys below are declared as Kafka Connect 4.1 presents them in `/connector-plugins/{p}/config`
// and validation results: its documentation texts, widths and `order` numbers. Java numbers the
// "Common" group with one counter that also runs through the transforms and predicates keys and
// the KIP-891 `*.plugin.version` keys Strait does not define (orders 3, 7, 9, 11); accepting
// those would promise behaviour Strait does not have.

declare_config! {
    /// Keys every connector config takes (Java's `ConnectorConfig`), typed.
    #[derive(Debug, Clone)]
    pub struct ConnectorKeys {
        pub name: String {
            key: "name",
            ty: String,
            default: required,
            validator: Validator::NonEmptyStringWithoutControlChars,
            importance: High,
            doc: "Globally unique name to use for this connector.",
            group: COMMON, order: 1,
            width: Medium,
            display: "Connector name",
        },
        pub connector_class: String {
            key: "connector.class",
            ty: String,
            default: required,
            importance: High,
            doc: "Name or alias of the class for this connector. Must be a subclass of \
                  org.apache.kafka.connect.connector.Connector. If the connector is \
                  org.apache.kafka.connect.file.FileStreamSinkConnector, you can either specify \
                  this full name,  or use \"FileStreamSink\" or \"FileStreamSinkConnector\" to \
                  make the configuration a bit shorter",
            group: COMMON, order: 2,
            width: Long,
            display: "Connector class",
        },
        /// At least 1.
        pub tasks_max: usize {
            key: "tasks.max",
            ty: Int,
            default: "1",
            validator: Validator::at_least(1.0),
            importance: High,
            doc: "Maximum number of tasks to use for this connector.",
            group: COMMON, order: 4,
            width: Short,
            display: "Tasks max",
            map: |n: i32| n.max(1) as usize,
        },
        pub tasks_max_enforce: bool {
            key: "tasks.max.enforce",
            ty: Boolean,
            default: "true",
            importance: Low,
            doc: "(Deprecated) Whether to enforce that the tasks.max property is respected by the \
                  connector. By default, connectors that generate too many tasks will fail, and \
                  existing sets of tasks that exceed the tasks.max property will also be failed. If \
                  this property is set to false, then connectors will be allowed to generate more \
                  than the maximum number of tasks, and existing sets of tasks that exceed the \
                  tasks.max property will be allowed to run. This property is deprecated and will be \
                  removed in an upcoming major release.",
            group: COMMON, order: 5,
            width: Short,
            display: "Enforce tasks max",
        },
        /// `None` (unset or empty): the worker's.
        pub key_converter: Option<String> {
            key: "key.converter",
            ty: Class,
            default: null,
            importance: Low,
            doc: "Converter class used to convert between Kafka Connect format and the serialized \
                  form that is written to Kafka. This controls the format of the keys in messages \
                  written to or read from Kafka, and since this is independent of connectors it \
                  allows any connector to work with any serialization format. Examples of common \
                  formats include JSON and Avro.",
            group: COMMON, order: 6,
            width: Short,
            display: "Key converter class",
            map: |class: Option<String>| class.and_then(non_empty),
        },
        /// `None` (unset or empty): the worker's.
        pub value_converter: Option<String> {
            key: "value.converter",
            ty: Class,
            default: null,
            importance: Low,
            doc: "Converter class used to convert between Kafka Connect format and the serialized \
                  form that is written to Kafka. This controls the format of the values in messages \
                  written to or read from Kafka, and since this is independent of connectors it \
                  allows any connector to work with any serialization format. Examples of common \
                  formats include JSON and Avro.",
            group: COMMON, order: 8,
            width: Short,
            display: "Value converter class",
            map: |class: Option<String>| class.and_then(non_empty),
        },
        /// `None` (unset or empty): the worker's.
        pub header_converter: Option<String> {
            key: "header.converter",
            ty: Class,
            default: null,
            importance: Low,
            doc: "HeaderConverter class used to convert between Kafka Connect format and the \
                  serialized form that is written to Kafka. This controls the format of the header \
                  values in messages written to or read from Kafka, and since this is independent \
                  of connectors it allows any connector to work with any serialization format. \
                  Examples of common formats include JSON and Avro. By default, the \
                  SimpleHeaderConverter is used to serialize header values to strings and \
                  deserialize them by inferring the schemas.",
            group: COMMON, order: 10,
            width: Short,
            display: "Header converter class",
            map: |class: Option<String>| class.and_then(non_empty),
        },
        pub config_action_reload: String {
            key: "config.action.reload",
            ty: String,
            default: "restart",
            validator: Validator::OneOf(&["none", "restart"]),
            importance: Low,
            doc: "The action that Connect should take on the connector when changes in external \
                  configuration providers result in a change in the connector's configuration \
                  properties. A value of 'none' indicates that Connect will do nothing. A value of \
                  'restart' indicates that Connect should restart/reload the connector with the \
                  updated configuration properties.The restart may actually be scheduled in the \
                  future if the external configuration provider indicates that a configuration \
                  value will expire in the future.",
            group: COMMON, order: 14,
            width: Medium,
            display: "Reload Action",
        },
        /// Transform aliases; each adds its keys (see [`crate::herder::enrich`]).
        pub transforms: Vec<String> {
            key: "transforms",
            ty: List,
            default: "",
            importance: Low,
            doc: "Aliases for the transformations to be applied to records.",
            group: TRANSFORMS, order: 12,
            width: Long,
            display: "Transforms",
        },
        /// Predicate aliases; each adds its keys (see [`crate::herder::enrich`]).
        pub predicates: Vec<String> {
            key: "predicates",
            ty: List,
            default: "",
            importance: Low,
            doc: "Aliases for the predicates used by transformations.",
            group: PREDICATES, order: 13,
            width: Long,
            display: "Predicates",
        },
        /// `errors.retry.timeout`: how long a retriable failure in the converter and
        /// transformation stages is retried; `None` retries forever (-1), zero never retries.
        pub retry_timeout: Option<Duration> {
            key: "errors.retry.timeout",
            ty: Long,
            default: "0",
            importance: Medium,
            doc: "The maximum duration in milliseconds that a failed operation will be \
                  reattempted. The default is 0, which means no retries will be attempted. Use -1 \
                  for infinite retries.",
            group: ERROR_HANDLING, order: 1,
            width: Medium,
            display: "Retry Timeout for Errors",
            map: |ms: i64| (ms >= 0).then(|| Duration::from_millis(ms as u64)),
        },
        /// `errors.retry.delay.max.ms`: cap of the exponential backoff between retries.
        pub retry_delay_max: Duration {
            key: "errors.retry.delay.max.ms",
            ty: Long,
            default: "60000",
            importance: Medium,
            doc: "The maximum duration in milliseconds between consecutive retry attempts. Jitter \
                  will be added to the delay once this limit is reached to prevent thundering herd \
                  issues.",
            group: ERROR_HANDLING, order: 2,
            width: Medium,
            display: "Maximum Delay Between Retries for Errors",
            map: |ms: i64| Duration::from_millis(ms.max(0) as u64),
        },
        pub tolerance: Tolerance {
            key: "errors.tolerance",
            ty: String,
            default: "none",
            validator: Validator::OneOf(&["none", "all"]),
            importance: Medium,
            doc: "Behavior for tolerating errors during connector operation. 'none' is the default \
                  value and signals that any error will result in an immediate connector task \
                  failure; 'all' changes the behavior to skip over problematic records.",
            group: ERROR_HANDLING, order: 3,
            width: Short,
            display: "Error Tolerance",
            map: Tolerance::parse,
        },
        pub log_errors: bool {
            key: "errors.log.enable",
            ty: Boolean,
            default: "false",
            importance: Medium,
            doc: "If true, write each error and the details of the failed operation and \
                  problematic record to the Connect application log. This is 'false' by default, \
                  so that only errors that are not tolerated are reported.",
            group: ERROR_HANDLING, order: 4,
            width: Short,
            display: "Log Errors",
        },
        pub log_include_messages: bool {
            key: "errors.log.include.messages",
            ty: Boolean,
            default: "false",
            importance: Medium,
            doc: "Whether to include in the log the Connect record that resulted in a failure. \
                  For sink records, the topic, partition, offset, and timestamp will be logged. For \
                  source records, the key and value (and their schemas), all headers, and the \
                  timestamp, Kafka topic, Kafka partition, source partition, and source offset will \
                  be logged. This is 'false' by default, which will prevent record keys, values, \
                  and headers from being written to log files.",
            group: ERROR_HANDLING, order: 5,
            width: Short,
            display: "Log Error Details",
        },
    }
}

declare_config! {
    /// Keys of every sink connector config (Java's `SinkConnectorConfig`), typed.
    #[derive(Debug, Clone)]
    pub struct SinkKeys {
        pub connector: ConnectorKeys { flatten },
        /// Empty names dropped.
        pub topics: Vec<String> {
            key: "topics",
            ty: List,
            default: "",
            importance: High,
            doc: "List of topics to consume, separated by commas",
            group: COMMON, order: 4,
            width: Long,
            display: "Topics",
            map: |topics: Vec<String>| topics.into_iter().filter(|t| !t.is_empty()).collect(),
        },
        /// `None` when empty.
        pub topics_regex: Option<String> {
            key: "topics.regex",
            ty: String,
            default: "",
            importance: High,
            doc: "Regular expression giving topics to consume. Under the hood, the regex is \
                  compiled to a <code>java.util.regex.Pattern</code>. Only one of topics or \
                  topics.regex should be specified.",
            group: COMMON, order: 4,
            width: Long,
            display: "Topics regex",
            map: non_empty,
        },
        /// `None` when empty: no DLQ.
        pub dlq_topic: Option<String> {
            key: "errors.deadletterqueue.topic.name",
            ty: String,
            default: "",
            importance: Medium,
            doc: "The name of the topic to be used as the dead letter queue (DLQ) for messages that \
                  result in an error when processed by this sink connector, or its transformations \
                  or converters. The topic name is blank by default, which means that no messages \
                  are to be recorded in the DLQ.",
            group: ERROR_HANDLING, order: 6,
            width: Medium,
            display: "Dead Letter Queue Topic Name",
            map: non_empty,
        },
        pub dlq_replication_factor: i16 {
            key: "errors.deadletterqueue.topic.replication.factor",
            ty: Short,
            default: "3",
            importance: Medium,
            doc: "Replication factor used to create the dead letter queue topic when it doesn't \
                  already exist.",
            group: ERROR_HANDLING, order: 7,
            width: Medium,
            display: "Dead Letter Queue Topic Replication Factor",
        },
        pub dlq_context_headers: bool {
            key: "errors.deadletterqueue.context.headers.enable",
            ty: Boolean,
            default: "false",
            importance: Medium,
            doc: "If true, add headers containing error context to the messages written to the \
                  dead letter queue. To avoid clashing with headers from the original record, all \
                  error context header keys, all error context header keys will start with \
                  <code>__connect.errors.</code>",
            group: ERROR_HANDLING, order: 8,
            width: Medium,
            display: "Enable Error Context Headers",
        },
    }
}

declare_config! {
    /// Keys of every source connector config (Java's `SourceConnectorConfig`), typed.
    #[derive(Debug, Clone)]
    pub struct SourceKeys {
        pub connector: ConnectorKeys { flatten },
        /// Topic creation groups besides `default`, in matching order; unique.
        pub topic_creation_groups: Vec<String> {
            key: "topic.creation.groups",
            ty: List,
            default: "",
            importance: Low,
            doc: "Groups of configurations for topics created by source connectors",
            group: TOPIC_CREATION, order: 1,
            width: Long,
            display: "Topic Creation Groups",
        },
        pub exactly_once_support: String {
            key: "exactly.once.support",
            ty: String,
            default: "requested",
            validator: Validator::OneOfIgnoreCase(&["requested", "required"]),
            importance: Medium,
            doc: "Permitted values are requested, required. If set to \"required\", forces a \
                  preflight check for the connector to ensure that it can provide exactly-once \
                  semantics with the given configuration. Some connectors may be capable of \
                  providing exactly-once semantics but not signal to Connect that they support \
                  this; in that case, documentation for the connector should be consulted carefully \
                  before creating it, and the value for this property should be set to \
                  \"requested\". Additionally, if the value is set to \"required\" but the worker \
                  that performs preflight validation does not have exactly-once support enabled for \
                  source connectors, requests to create or validate the connector will fail.",
            group: EXACTLY_ONCE_SUPPORT, order: 2,
            width: Short,
            display: "Exactly once support",
        },
        pub transaction_boundary: String {
            key: "transaction.boundary",
            ty: String,
            default: "poll",
            validator: Validator::OneOfIgnoreCase(&["poll", "interval", "connector"]),
            importance: Medium,
            doc: "Permitted values are: poll, interval, connector. If set to 'poll', a new \
                  producer transaction will be started and committed for every batch of records \
                  that each task from this connector provides to Connect. If set to 'connector', \
                  relies on connector-defined transaction boundaries; note that not all connectors \
                  are capable of defining their own transaction boundaries, and in that case, \
                  attempts to instantiate a connector with this value will fail. Finally, if set \
                  to 'interval', commits transactions only after a user-defined time interval has \
                  passed.",
            group: EXACTLY_ONCE_SUPPORT, order: 3,
            width: Short,
            display: "Transaction Boundary",
        },
        pub transaction_boundary_interval_ms: Option<i64> {
            key: "transaction.boundary.interval.ms",
            ty: Long,
            default: null,
            validator: Validator::at_least(0.0),
            importance: Low,
            doc: "If 'transaction.boundary' is set to 'interval', determines the interval for \
                  producer transaction commits by connector tasks. If unset, defaults to the value \
                  of the worker-level 'offset.flush.interval.ms' property. It has no effect if a \
                  different transaction.boundary is specified.",
            group: EXACTLY_ONCE_SUPPORT, order: 4,
            width: Short,
            display: "Transaction boundary interval",
        },
        pub offsets_storage_topic: Option<String> {
            key: "offsets.storage.topic",
            ty: String,
            default: null,
            validator: Validator::NonEmptyString,
            importance: Low,
            doc: "The name of a separate offsets topic to use for this connector. If empty or not \
                  specified, the worker\u{2019}s global offsets topic name will be used. If \
                  specified, the offsets topic will be created if it does not already exist on the \
                  Kafka cluster targeted by this connector (which may be different from the one \
                  used for the worker's global offsets topic if the bootstrap.servers property of \
                  the connector's producer has been overridden from the worker's). Only applicable \
                  in distributed mode; in standalone mode, setting this property will have no \
                  effect.",
            group: OFFSETS_TOPIC, order: 1,
            width: Long,
            display: "Offsets topic",
        },
    }
}

/// Framework definition for a connector type, as Kafka Connect 4.1 presents it.
pub fn framework_def(kind: ConnectorType) -> ConfigDef {
    match kind {
        ConnectorType::Sink => SinkKeys::config_def(),
        ConnectorType::Source => SourceKeys::config_def(),
    }
}

/// Cross-key framework rules, added as errors on the keys they concern (like Java's
/// `SinkConnectorConfig.validate` and the unsupported-feature checks).
pub fn framework_rules(kind: ConnectorType, props: &Props, values: &mut [ConfigValue]) {
    let mut add = |key: &str, msg: String| {
        if let Some(v) = values.iter_mut().find(|v| v.name == key) {
            v.errors.push(msg);
        }
    };
    let non_empty = |k: &str| props.get(k).map(|v| !v.trim().is_empty()).unwrap_or(false);
    // Java's `aliasValidator` on `transforms` and `predicates`, and the unique-groups validator
    // of a source's `topic.creation.groups` (same message).
    let alias_keys: &[&str] = match kind {
        ConnectorType::Sink => &["transforms", "predicates"],
        ConnectorType::Source => &["transforms", "predicates", "topic.creation.groups"],
    };
    for &key in alias_keys {
        if let Some(e) = duplicate_alias(key, &alias_list(props, key)) {
            add(key, e);
        }
    }
    if kind == ConnectorType::Sink {
        let has_topics = non_empty("topics");
        let has_regex = non_empty("topics.regex");
        if has_topics && has_regex {
            let msg = "topics and topics.regex are mutually exclusive options, but both are set."
                .to_string();
            add("topics", msg.clone());
            add("topics.regex", msg);
        } else if !has_topics && !has_regex {
            let msg = "Must configure one of topics or topics.regex".to_string();
            add("topics", msg.clone());
            add("topics.regex", msg);
        }
        if has_regex {
            if let Err(e) = Regex::new(props["topics.regex"].trim()) {
                add("topics.regex", format!("Invalid regex: {e}"));
            }
        }
        let dlq = props
            .get("errors.deadletterqueue.topic.name")
            .map(|s| s.trim())
            .unwrap_or("");
        if !dlq.is_empty() && has_topics {
            let topics: Vec<&str> = props["topics"].split(',').map(str::trim).collect();
            if topics.contains(&dlq) {
                add(
                    "errors.deadletterqueue.topic.name",
                    format!(
                        "The DLQ topic '{dlq}' may not be included in the list of topics ('topics=[{}]') consumed by the connector",
                        topics.join(", ")
                    ),
                );
            }
        }
    }
}

/// Typed framework settings the runtime needs.
#[derive(Debug, Clone)]
pub struct FrameworkConfig {
    pub name: String,
    pub tasks_max: usize,
    pub key_converter: Option<String>,
    pub value_converter: Option<String>,
    pub tolerance: Tolerance,
    /// `errors.retry.timeout`: how long a retriable failure in the converter and transformation
    /// stages is retried; `None` retries forever (-1), zero never retries.
    pub retry_timeout: Option<Duration>,
    /// `errors.retry.delay.max.ms`: cap of the exponential backoff between retries.
    pub retry_delay_max: Duration,
    pub log_errors: bool,
    pub log_include_messages: bool,
    pub topics: Vec<String>,
    pub topics_regex: Option<String>,
    pub dlq_topic: Option<String>,
    pub dlq_replication_factor: i16,
    pub dlq_context_headers: bool,
}

impl FrameworkConfig {
    /// Parse framework keys; every framework error is reported together.
    pub fn parse(kind: ConnectorType, props: &Props) -> Result<Self> {
        let def = framework_def(kind);
        let mut values = def.validate(props);
        framework_rules(kind, props, &mut values);
        let errors: Vec<String> = values.into_iter().flat_map(|v| v.errors).collect();
        if !errors.is_empty() {
            return Err(Error::config(errors.join("\n")));
        }
        Ok(match kind {
            ConnectorType::Sink => {
                let sink = SinkKeys::parse(props)?;
                FrameworkConfig {
                    topics: sink.topics,
                    topics_regex: sink.topics_regex,
                    dlq_topic: sink.dlq_topic,
                    dlq_replication_factor: sink.dlq_replication_factor,
                    dlq_context_headers: sink.dlq_context_headers,
                    ..FrameworkConfig::common(sink.connector)
                }
            }
            ConnectorType::Source => FrameworkConfig::common(SourceKeys::parse(props)?.connector),
        })
    }

    /// The keys every connector has; the sink-only fields as a source has them (no topics, no
    /// DLQ).
    fn common(connector: ConnectorKeys) -> Self {
        FrameworkConfig {
            name: connector.name,
            tasks_max: connector.tasks_max,
            key_converter: connector.key_converter,
            value_converter: connector.value_converter,
            tolerance: connector.tolerance,
            retry_timeout: connector.retry_timeout,
            retry_delay_max: connector.retry_delay_max,
            log_errors: connector.log_errors,
            log_include_messages: connector.log_include_messages,
            topics: Vec::new(),
            topics_regex: None,
            dlq_topic: None,
            dlq_replication_factor: 3,
            dlq_context_headers: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::config::props_from as props;

    #[test]
    fn sink_requires_exactly_one_of_topics_or_regex() {
        let e = FrameworkConfig::parse(
            ConnectorType::Sink,
            &props(&[("name", "s"), ("connector.class", "X")]),
        )
        .unwrap_err();
        assert!(e
            .message()
            .contains("Must configure one of topics or topics.regex"));
        let e = FrameworkConfig::parse(
            ConnectorType::Sink,
            &props(&[
                ("name", "s"),
                ("connector.class", "X"),
                ("topics", "a"),
                ("topics.regex", "a.*"),
            ]),
        )
        .unwrap_err();
        assert!(e.message().contains("mutually exclusive"));
    }

    #[test]
    fn dlq_may_not_be_a_consumed_topic() {
        let e = FrameworkConfig::parse(
            ConnectorType::Sink,
            &props(&[
                ("name", "s"),
                ("connector.class", "X"),
                ("topics", "a, dlq"),
                ("errors.deadletterqueue.topic.name", "dlq"),
            ]),
        )
        .unwrap_err();
        assert!(
            e.message()
                .contains("The DLQ topic 'dlq' may not be included"),
            "{e}"
        );
    }

    #[test]
    fn duplicate_aliases_are_javas_error() {
        let p = props(&[
            ("name", "s"),
            ("connector.class", "X"),
            ("transforms", "a, b,a"),
            ("predicates", "p"),
        ]);
        let def = framework_def(ConnectorType::Source);
        let mut values = def.validate(&p);
        framework_rules(ConnectorType::Source, &p, &mut values);
        let errors = |k: &str| values.iter().find(|v| v.name == k).unwrap().errors.clone();
        assert_eq!(
            errors("transforms"),
            vec!["Invalid value [a, b, a] for configuration transforms: Duplicate alias provided."]
        );
        assert!(errors("predicates").is_empty());
    }

    #[test]
    fn sources_define_topic_creation_groups_as_java() {
        let source = framework_def(ConnectorType::Source);
        let k = source.key("topic.creation.groups").unwrap();
        assert_eq!((k.group.as_deref(), k.order), (Some(TOPIC_CREATION), 1));
        assert!(framework_def(ConnectorType::Sink)
            .key("topic.creation.groups")
            .is_none());
        let p = props(&[
            ("name", "s"),
            ("connector.class", "X"),
            ("topic.creation.groups", "a,b, a"),
            ("topic.creation.default.partitions", "0"),
        ]);
        let mut values = source.validate(&p);
        framework_rules(ConnectorType::Source, &p, &mut values);
        let errors: Vec<String> = values.into_iter().flat_map(|v| v.errors).collect();
        // Only the groups list is checked here; the group keys are read when the source starts.
        assert_eq!(
            errors,
            vec!["Invalid value [a, b, a] for configuration topic.creation.groups: Duplicate alias provided."]
        );
    }

    #[test]
    fn parses_typed_values() {
        let c = FrameworkConfig::parse(
            ConnectorType::Sink,
            &props(&[
                ("name", "s"),
                ("connector.class", "X"),
                ("topics", "a,b"),
                ("tasks.max", "3"),
                ("errors.tolerance", "all"),
            ]),
        )
        .unwrap();
        assert_eq!(c.tasks_max, 3);
        assert_eq!(c.topics, vec!["a", "b"]);
        assert_eq!(c.tolerance, Tolerance::All);
        let e = FrameworkConfig::parse(
            ConnectorType::Source,
            &props(&[("name", ""), ("connector.class", "X"), ("tasks.max", "0")]),
        )
        .unwrap_err();
        assert!(
            e.message()
                .contains("Invalid value  for configuration name: String may not be empty"),
            "{e}"
        );
        assert!(
            e.message()
                .contains("Invalid value 0 for configuration tasks.max: Value must be at least 1"),
            "{e}"
        );
    }

    #[test]
    fn orders_widths_and_docs_are_javas() {
        let sink = framework_def(ConnectorType::Sink);
        let order = |name: &str| sink.key(name).unwrap().order;
        assert_eq!(order("tasks.max"), 4);
        assert_eq!(order("key.converter"), 6);
        assert_eq!(order("transforms"), 12);
        assert_eq!(order("config.action.reload"), 14);
        assert_eq!(order("topics.regex"), 4);
        assert_eq!(order("errors.deadletterqueue.context.headers.enable"), 8);
        let source = framework_def(ConnectorType::Source);
        let eos = source.key("exactly.once.support").unwrap();
        assert_eq!((eos.order, eos.width), (2, crate::config::Width::Short));
        assert!(source
            .key("offsets.storage.topic")
            .unwrap()
            .documentation
            .ends_with("in standalone mode, setting this property will have no effect."));
        // Both definitions start with every common key, in the same order.
        let common = ConnectorKeys::config_def();
        for def in [&sink, &source] {
            let names: Vec<&str> = def.keys().iter().map(|k| k.name.as_str()).collect();
            let base: Vec<&str> = common.keys().iter().map(|k| k.name.as_str()).collect();
            assert_eq!(names[..base.len()], base[..]);
        }
        assert!(source.key("topics").is_none() && sink.key("exactly.once.support").is_none());
    }

    #[test]
    fn retry_and_dlq_settings_are_typed() {
        let c = FrameworkConfig::parse(
            ConnectorType::Sink,
            &props(&[
                ("name", "s"),
                ("connector.class", "X"),
                ("topics.regex", "a.*"),
                ("key.converter", " "),
                ("errors.retry.timeout", "-1"),
                ("errors.retry.delay.max.ms", "250"),
                ("errors.deadletterqueue.topic.name", "dlq"),
                ("errors.deadletterqueue.topic.replication.factor", "1"),
            ]),
        )
        .unwrap();
        assert_eq!(c.retry_timeout, None);
        assert_eq!(c.retry_delay_max, Duration::from_millis(250));
        assert_eq!(c.key_converter, None);
        assert!(c.topics.is_empty());
        assert_eq!(c.topics_regex.as_deref(), Some("a.*"));
        assert_eq!(c.dlq_topic.as_deref(), Some("dlq"));
        assert_eq!(c.dlq_replication_factor, 1);
        let c = FrameworkConfig::parse(
            ConnectorType::Source,
            &props(&[
                ("name", "s"),
                ("connector.class", "X"),
                ("errors.retry.timeout", "1500"),
                ("value.converter", "JsonConverter"),
            ]),
        )
        .unwrap();
        assert_eq!(c.retry_timeout, Some(Duration::from_millis(1500)));
        assert_eq!(c.retry_delay_max, Duration::from_secs(60));
        assert_eq!(c.value_converter.as_deref(), Some("JsonConverter"));
        assert_eq!((c.dlq_topic, c.dlq_replication_factor), (None, 3));
    }
}
