//! Framework keys of every connector config (`ConnectorConfig`, `SinkConnectorConfig`,
//! `SourceConnectorConfig`): same names, types, defaults, groups and messages as Kafka Connect.
//! Features not built yet (transforms, predicates, topic creation) are rejected with a clear
//! error instead of being ignored.

use regex::Regex;

use crate::config::{
    ConfigDef, ConfigType, ConfigValue, Default, Importance, Props, Validator, Width,
};
use crate::error::{Error, Result};
use crate::plugin::ConnectorType;

pub const COMMON: &str = "Common";
pub const TRANSFORMS: &str = "Transforms";
pub const PREDICATES: &str = "Predicates";
pub const ERROR_HANDLING: &str = "Error Handling";

/// `errors.tolerance`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tolerance {
    None,
    All,
}

/// Framework definition shared by sources and sinks.
pub fn base_def() -> ConfigDef {
    let c = Some(COMMON);
    let e = Some(ERROR_HANDLING);
    ConfigDef::new()
        .define("name", ConfigType::String, Default::Required, Validator::NonEmptyStringWithoutControlChars, Importance::High, "Globally unique name to use for this connector.", c, Width::Medium, "Connector name")
        .define("connector.class", ConfigType::String, Default::Required, Validator::None, Importance::High, "Name or alias of the class for this connector. Must be a subclass of org.apache.kafka.connect.connector.Connector. If the connector is org.apache.kafka.connect.file.FileStreamSinkConnector, you can either specify this full name,  or use \"FileStreamSink\" or \"FileStreamSinkConnector\" to make the configuration a bit shorter", c, Width::Long, "Connector class")
        .define("tasks.max", ConfigType::Int, Default::Value("1".into()), Validator::Range { min: Some(1.0), max: None }, Importance::High, "Maximum number of tasks to use for this connector.", c, Width::Short, "Tasks max")
        .define("tasks.max.enforce", ConfigType::Boolean, Default::Value("true".into()), Validator::None, Importance::Low, "(Deprecated) Whether to enforce that the tasks.max property is respected by the connector.", c, Width::Short, "Enforce tasks max")
        .define("key.converter", ConfigType::Class, Default::Null, Validator::None, Importance::Low, "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka. This controls the format of the keys in messages written to or read from Kafka, and since this is independent of connectors it allows any connector to work with any serialization format.", c, Width::Short, "Key converter class")
        .define("value.converter", ConfigType::Class, Default::Null, Validator::None, Importance::Low, "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka. This controls the format of the values in messages written to or read from Kafka, and since this is independent of connectors it allows any connector to work with any serialization format.", c, Width::Short, "Value converter class")
        .define("header.converter", ConfigType::Class, Default::Null, Validator::None, Importance::Low, "HeaderConverter class used to convert between Kafka Connect format and the serialized form that is written to Kafka.", c, Width::Short, "Header converter class")
        .define("config.action.reload", ConfigType::String, Default::Value("restart".into()), Validator::OneOfIgnoreCase(&["none", "restart"]), Importance::Low, "The action that Connect should take on the connector when changes in external configuration providers result in a change in the connector's configuration properties.", c, Width::Medium, "Reload Action")
        .define("transforms", ConfigType::List, Default::Value("".into()), Validator::None, Importance::Low, "Aliases for the transformations to be applied to records.", Some(TRANSFORMS), Width::Long, "Transforms")
        .define("predicates", ConfigType::List, Default::Value("".into()), Validator::None, Importance::Low, "Aliases for the predicates used by transformations.", Some(PREDICATES), Width::Long, "Predicates")
        .define("errors.retry.timeout", ConfigType::Long, Default::Value("0".into()), Validator::None, Importance::Medium, "The maximum duration in milliseconds that a failed operation will be reattempted. The default is 0, which means no retries will be attempted. Use -1 for infinite retries.", e, Width::Medium, "Retry Timeout for Errors")
        .define("errors.retry.delay.max.ms", ConfigType::Long, Default::Value("60000".into()), Validator::None, Importance::Medium, "The maximum duration in milliseconds between consecutive retry attempts. Jitter will be added to the delay once this limit is reached to prevent thundering herd issues.", e, Width::Medium, "Maximum Delay Between Retries for Errors")
        .define("errors.tolerance", ConfigType::String, Default::Value("none".into()), Validator::OneOfIgnoreCase(&["none", "all"]), Importance::Medium, "Behavior for tolerating errors during connector operation. 'none' is the default value and signals that any error will result in an immediate connector task failure; 'all' changes the behavior to skip over problematic records.", e, Width::Short, "Error Tolerance")
        .define("errors.log.enable", ConfigType::Boolean, Default::Value("false".into()), Validator::None, Importance::Medium, "If true, write each error and the details of the failed operation and problematic record to the Connect application log. This is 'false' by default, so that only errors that are not tolerated are reported.", e, Width::Short, "Log Errors")
        .define("errors.log.include.messages", ConfigType::Boolean, Default::Value("false".into()), Validator::None, Importance::Medium, "Whether to include in the log the Connect record that resulted in a failure. For sink records, the topic, partition, offset, and timestamp will be logged. For source records, the key and value (and their schemas), all headers, and the timestamp, Kafka topic, Kafka partition, source partition, and source offset will be logged. This is 'false' by default, which will prevent record keys, values, and headers from being written to log files.", e, Width::Short, "Log Error Details")
}

/// Sink framework definition: base + topics/regex + DLQ keys.
pub fn sink_def() -> ConfigDef {
    let c = Some(COMMON);
    let e = Some(ERROR_HANDLING);
    base_def()
        .define("topics", ConfigType::List, Default::Value("".into()), Validator::None, Importance::High, "List of topics to consume, separated by commas", c, Width::Long, "Topics")
        .define("topics.regex", ConfigType::String, Default::Value("".into()), Validator::None, Importance::High, "Regular expression giving topics to consume. Under the hood, the regex is compiled to a <code>java.util.regex.Pattern</code>. Only one of topics or topics.regex should be specified.", c, Width::Long, "Topics regex")
        .define("errors.deadletterqueue.topic.name", ConfigType::String, Default::Value("".into()), Validator::None, Importance::Medium, "The name of the topic to be used as the dead letter queue (DLQ) for messages that result in an error when processed by this sink connector, or its transformations or converters. The topic name is blank by default, which means that no messages are to be recorded in the DLQ.", e, Width::Medium, "Dead Letter Queue Topic Name")
        .define("errors.deadletterqueue.topic.replication.factor", ConfigType::Short, Default::Value("3".into()), Validator::None, Importance::Medium, "Replication factor used to create the dead letter queue topic when it doesn't already exist.", e, Width::Medium, "Dead Letter Queue Topic Replication Factor")
        .define("errors.deadletterqueue.context.headers.enable", ConfigType::Boolean, Default::Value("false".into()), Validator::None, Importance::Medium, "If true, add headers containing error context to the messages written to the dead letter queue. To avoid clashing with headers from the original record, all error context header keys, all error context header keys will start with <code>__connect.errors.</code>", e, Width::Medium, "Enable Error Context Headers")
}

/// Source framework definition.
pub fn source_def() -> ConfigDef {
    base_def()
        .define("exactly.once.support", ConfigType::String, Default::Value("requested".into()), Validator::OneOfIgnoreCase(&["requested", "required"]), Importance::Medium, "Permitted values are requested, required. If set to \"required\", forces a preflight check for the connector to ensure that it can provide exactly-once semantics with the given configuration.", Some("Exactly Once Support"), Width::None, "Exactly once support")
        .define("transaction.boundary", ConfigType::String, Default::Value("poll".into()), Validator::OneOfIgnoreCase(&["poll", "interval", "connector"]), Importance::Medium, "Permitted values are: poll, interval, connector.", Some("Exactly Once Support"), Width::None, "Transaction Boundary")
        .define("offsets.storage.topic", ConfigType::String, Default::Null, Validator::None, Importance::Low, "The name of a separate offsets topic to use for this connector.", Some("offsets.topic"), Width::Long, "Offsets topic")
}

/// Framework definition for a connector type.
pub fn framework_def(kind: ConnectorType) -> ConfigDef {
    match kind {
        ConnectorType::Sink => sink_def(),
        ConnectorType::Source => source_def(),
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
    if non_empty("transforms") {
        add(
            "transforms",
            "Single Message Transforms are not supported by Strait yet".into(),
        );
    }
    if non_empty("predicates") {
        add(
            "predicates",
            "Predicates are not supported by Strait yet".into(),
        );
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
    } else if props.keys().any(|k| k.starts_with("topic.creation.")) {
        add(
            "connector.class",
            "Topic creation (topic.creation.*) is not supported by Strait yet".into(),
        );
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
    pub retry_timeout: Option<std::time::Duration>,
    /// `errors.retry.delay.max.ms`: cap of the exponential backoff between retries.
    pub retry_delay_max: std::time::Duration,
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
        let c = def.parse(props)?;
        let non_empty = |s: Option<&str>| {
            s.map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        Ok(FrameworkConfig {
            name: c.string("name").unwrap_or_default().to_string(),
            tasks_max: c.int("tasks.max").unwrap_or(1).max(1) as usize,
            key_converter: non_empty(c.string("key.converter")),
            value_converter: non_empty(c.string("value.converter")),
            tolerance: if c
                .string("errors.tolerance")
                .unwrap_or("none")
                .eq_ignore_ascii_case("all")
            {
                Tolerance::All
            } else {
                Tolerance::None
            },
            retry_timeout: match c.long("errors.retry.timeout").unwrap_or(0) {
                ms if ms < 0 => None,
                ms => Some(std::time::Duration::from_millis(ms as u64)),
            },
            retry_delay_max: std::time::Duration::from_millis(
                c.long("errors.retry.delay.max.ms").unwrap_or(60_000).max(0) as u64,
            ),
            log_errors: c.bool("errors.log.enable").unwrap_or(false),
            log_include_messages: c.bool("errors.log.include.messages").unwrap_or(false),
            topics: c
                .list("topics")
                .into_iter()
                .filter(|t| !t.is_empty())
                .collect(),
            topics_regex: non_empty(c.string("topics.regex")),
            dlq_topic: non_empty(c.string("errors.deadletterqueue.topic.name")),
            dlq_replication_factor: c
                .short("errors.deadletterqueue.topic.replication.factor")
                .unwrap_or(3),
            dlq_context_headers: c
                .bool("errors.deadletterqueue.context.headers.enable")
                .unwrap_or(false),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Props {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

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
    fn unsupported_transforms_are_rejected_not_ignored() {
        let e = FrameworkConfig::parse(
            ConnectorType::Source,
            &props(&[("name", "s"), ("connector.class", "X"), ("transforms", "a")]),
        )
        .unwrap_err();
        assert!(e.message().contains("not supported"));
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
                ("errors.tolerance", "ALL"),
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
}
