//! Kafka clients for tasks, configured the way Kafka Connect configures them
//! (`Worker.baseProducerConfigs` / `baseConsumerConfigs`): framework defaults, then the worker's
//! `producer.*` / `consumer.*` keys, then the connector's `producer.override.*` /
//! `consumer.override.*` keys. Java client keys are mostly librdkafka keys too; the few that are
//! Java-only (serializers, `max.poll.records`, …) are dropped with a debug log because the
//! runtime handles them itself.

use rdkafka::config::ClientConfig;

use crate::config::{with_prefix, Props};
use crate::error::{Error, Result};

/// Java client keys without a librdkafka equivalent; the runtime covers their meaning itself.
const JAVA_ONLY: &[&str] = &[
    "key.serializer",
    "value.serializer",
    "key.deserializer",
    "value.deserializer",
    "max.poll.records",
    "max.poll.interval.ms.ignored",
    "buffer.memory",
    "max.block.ms",
    "interceptor.classes",
    "partitioner.class",
    "client.dns.lookup",
    "default.api.timeout.ms",
    "metric.reporters",
    "metrics.num.samples",
    "metrics.sample.window.ms",
    "metrics.recording.level",
    "auto.include.jmx.reporter",
    "delivery.timeout.ms.ignored",
    "retry.backoff.max.ms",
    "exclude.internal.topics",
];

/// Which client a config is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientRole {
    Producer,
    Consumer,
    Admin,
}

/// Build a librdkafka config: `base` first, then worker-level `<role>.` keys, then connector-level
/// `<role>.override.` keys.
pub fn client_config(
    bootstrap: &str,
    role: ClientRole,
    base: &[(&str, String)],
    worker: &Props,
    connector: &Props,
) -> Result<ClientConfig> {
    let prefix = match role {
        ClientRole::Producer => "producer.",
        ClientRole::Consumer => "consumer.",
        ClientRole::Admin => "admin.",
    };
    let mut cfg = ClientConfig::new();
    cfg.set("bootstrap.servers", bootstrap);
    for (k, v) in base {
        cfg.set(*k, v.as_str());
    }
    let worker_keys = with_prefix(worker, prefix);
    let connector_keys = with_prefix(connector, &format!("{prefix}override."));
    for (k, v) in worker_keys.iter().chain(connector_keys.iter()) {
        if JAVA_ONLY.contains(&k.as_str()) {
            tracing::debug!(key = %k, "Java-only client setting has no librdkafka equivalent; ignored");
            continue;
        }
        // Java's batch.size is bytes per partition batch; librdkafka's batch.size means the same.
        // Java's delivery.timeout.ms maps to librdkafka's (message.timeout.ms alias).
        cfg.set(k.as_str(), v.as_str());
    }
    Ok(cfg)
}

/// Create a client, turning librdkafka's config errors into config errors naming the key.
pub fn create<T: rdkafka::config::FromClientConfig>(cfg: &ClientConfig, what: &str) -> Result<T> {
    cfg.create().map_err(|e| match e {
        rdkafka::error::KafkaError::ClientConfig(_, ref desc, ref key, ref value) => Error::config(
            format!("Invalid {what} client setting {key}={value}: {desc}"),
        ),
        other => Error::from(other).context(format!("creating {what}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layering_and_java_only_keys() {
        let mut worker = Props::new();
        worker.insert("producer.linger.ms".into(), "5".into());
        worker.insert("producer.key.serializer".into(), "x".into());
        let mut conn = Props::new();
        conn.insert("producer.override.linger.ms".into(), "7".into());
        let cfg = client_config(
            "b:1",
            ClientRole::Producer,
            &[("acks", "all".into())],
            &worker,
            &conn,
        )
        .unwrap();
        assert_eq!(cfg.get("linger.ms"), Some("7"));
        assert_eq!(cfg.get("acks"), Some("all"));
        assert_eq!(cfg.get("key.serializer"), None);
        assert_eq!(cfg.get("bootstrap.servers"), Some("b:1"));
    }

    #[test]
    fn unknown_librdkafka_key_is_a_config_error_naming_it() {
        let mut conn = Props::new();
        conn.insert("producer.override.no.such.setting".into(), "1".into());
        let cfg = client_config(
            "127.0.0.1:1",
            ClientRole::Producer,
            &[],
            &Props::new(),
            &conn,
        )
        .unwrap();
        let Err(err) = create::<rdkafka::producer::BaseProducer>(&cfg, "producer") else {
            panic!("librdkafka accepted an unknown setting");
        };
        assert!(err.message().contains("no.such.setting"), "{err}");
    }
}
