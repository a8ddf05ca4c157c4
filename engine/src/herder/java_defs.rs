//! How Kafka Connect 4.1 *presents* the framework keys in `/connector-plugins/{p}/config` and
//! in validation results: its `order` numbering (one counter across the "Common" definitions,
//! transforms and predicates included), widths and documentation texts.
//!
//! Behaviour (types, defaults, validators) stays in
//! [`connector_config`](crate::connector_config); this only aligns what REST clients and UIs
//! display. Keys Java 4.1 defines that Strait does not support (KIP-891 `*.plugin.version`,
//! `topic.creation.groups`, `transaction.boundary.interval.ms`) are not added: accepting them
//! would promise behaviour Strait does not have.

use crate::config::{ConfigDef, Width};
use crate::connector_config::framework_def;
use crate::plugin::ConnectorType;

/// `(name, order, width, documentation)`; `None` keeps Strait's value.
type Presentation = (&'static str, i32, Option<Width>, Option<&'static str>);

const KEYS: &[Presentation] = &[
    ("name", 1, None, None),
    ("connector.class", 2, None, None),
    ("tasks.max", 4, None, None),
    ("tasks.max.enforce", 5, None, Some("(Deprecated) Whether to enforce that the tasks.max property is respected by the connector. By default, connectors that generate too many tasks will fail, and existing sets of tasks that exceed the tasks.max property will also be failed. If this property is set to false, then connectors will be allowed to generate more than the maximum number of tasks, and existing sets of tasks that exceed the tasks.max property will be allowed to run. This property is deprecated and will be removed in an upcoming major release.")),
    ("key.converter", 6, None, Some("Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka. This controls the format of the keys in messages written to or read from Kafka, and since this is independent of connectors it allows any connector to work with any serialization format. Examples of common formats include JSON and Avro.")),
    ("value.converter", 8, None, Some("Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka. This controls the format of the values in messages written to or read from Kafka, and since this is independent of connectors it allows any connector to work with any serialization format. Examples of common formats include JSON and Avro.")),
    ("header.converter", 10, None, Some("HeaderConverter class used to convert between Kafka Connect format and the serialized form that is written to Kafka. This controls the format of the header values in messages written to or read from Kafka, and since this is independent of connectors it allows any connector to work with any serialization format. Examples of common formats include JSON and Avro. By default, the SimpleHeaderConverter is used to serialize header values to strings and deserialize them by inferring the schemas.")),
    ("transforms", 12, None, None),
    ("predicates", 13, None, None),
    ("config.action.reload", 14, None, Some("The action that Connect should take on the connector when changes in external configuration providers result in a change in the connector's configuration properties. A value of 'none' indicates that Connect will do nothing. A value of 'restart' indicates that Connect should restart/reload the connector with the updated configuration properties.The restart may actually be scheduled in the future if the external configuration provider indicates that a configuration value will expire in the future.")),
    ("topics", 4, None, None),
    ("topics.regex", 4, None, None),
    ("errors.retry.timeout", 1, None, None),
    ("errors.retry.delay.max.ms", 2, None, None),
    ("errors.tolerance", 3, None, None),
    ("errors.log.enable", 4, None, None),
    ("errors.log.include.messages", 5, None, None),
    ("errors.deadletterqueue.topic.name", 6, None, None),
    ("errors.deadletterqueue.topic.replication.factor", 7, None, None),
    ("errors.deadletterqueue.context.headers.enable", 8, None, None),
    ("exactly.once.support", 2, Some(Width::Short), Some("Permitted values are requested, required. If set to \"required\", forces a preflight check for the connector to ensure that it can provide exactly-once semantics with the given configuration. Some connectors may be capable of providing exactly-once semantics but not signal to Connect that they support this; in that case, documentation for the connector should be consulted carefully before creating it, and the value for this property should be set to \"requested\". Additionally, if the value is set to \"required\" but the worker that performs preflight validation does not have exactly-once support enabled for source connectors, requests to create or validate the connector will fail.")),
    ("transaction.boundary", 3, Some(Width::Short), Some("Permitted values are: poll, interval, connector. If set to 'poll', a new producer transaction will be started and committed for every batch of records that each task from this connector provides to Connect. If set to 'connector', relies on connector-defined transaction boundaries; note that not all connectors are capable of defining their own transaction boundaries, and in that case, attempts to instantiate a connector with this value will fail. Finally, if set to 'interval', commits transactions only after a user-defined time interval has passed.")),
    ("offsets.storage.topic", 1, None, Some("The name of a separate offsets topic to use for this connector. If empty or not specified, the worker\u{2019}s global offsets topic name will be used. If specified, the offsets topic will be created if it does not already exist on the Kafka cluster targeted by this connector (which may be different from the one used for the worker's global offsets topic if the bootstrap.servers property of the connector's producer has been overridden from the worker's). Only applicable in distributed mode; in standalone mode, setting this property will have no effect.")),
];

/// The framework definition of `kind`, presented as Kafka Connect 4.1 presents it.
pub fn framework_def_java(kind: ConnectorType) -> ConfigDef {
    let keys = framework_def(kind)
        .keys()
        .iter()
        .cloned()
        .map(|mut k| {
            if let Some((_, order, width, doc)) = KEYS.iter().find(|(n, ..)| *n == k.name) {
                k.order = *order;
                if let Some(w) = width {
                    k.width = *w;
                }
                if let Some(d) = doc {
                    k.documentation = d.to_string();
                }
            }
            k
        })
        .collect();
    ConfigDef::from_keys(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_follow_java() {
        let def = framework_def_java(ConnectorType::Sink);
        assert_eq!(def.key("tasks.max").unwrap().order, 4);
        assert_eq!(def.key("config.action.reload").unwrap().order, 14);
        assert_eq!(
            def.key("errors.deadletterqueue.context.headers.enable")
                .unwrap()
                .order,
            8
        );
        // Every presented key exists in one of the framework definitions.
        let src = framework_def(ConnectorType::Source);
        let sink = framework_def(ConnectorType::Sink);
        for (name, ..) in KEYS {
            assert!(
                src.key(name).is_some() || sink.key(name).is_some(),
                "{name}"
            );
        }
    }
}
