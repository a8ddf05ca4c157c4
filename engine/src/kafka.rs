//! Kafka clients for tasks, configured the way Kafka Connect configures them
//! (`Worker.baseProducerConfigs` / `baseConsumerConfigs`): framework defaults, then the worker's
//! `producer.*` / `consumer.*` keys, then the connector's `producer.override.*` /
//! `consumer.override.*` keys. Java client keys are mostly librdkafka keys too; the few that are
//! Java-only (serializers, `max.poll.records`, …) are dropped with a debug log because the
//! runtime handles them itself.
//!
//! Which connector overrides are allowed is the worker's
//! `connector.client.config.override.policy` ([`ClientOverridePolicy`]). The herder checks it when
//! it validates a connector config; [`client_config`] checks it again, so a disallowed override
//! never reaches a client even if a config got past validation.

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

impl ClientRole {
    /// Worker-level prefix of this client's settings (`producer.`).
    pub fn worker_prefix(self) -> &'static str {
        match self {
            ClientRole::Producer => "producer.",
            ClientRole::Consumer => "consumer.",
            ClientRole::Admin => "admin.",
        }
    }

    /// Connector-level prefix of this client's overrides (`producer.override.`).
    pub fn override_prefix(self) -> &'static str {
        match self {
            ClientRole::Producer => "producer.override.",
            ClientRole::Consumer => "consumer.override.",
            ClientRole::Admin => "admin.override.",
        }
    }
}

/// The worker key naming the override policy.
/// The Java clients' `PASSWORD` keys (`SslConfigs`, `SaslConfigs`): shown as `[hidden]` in
/// validation answers and error messages, as Java shows them.
pub const PASSWORD_KEYS: &[&str] = &[
    "ssl.key.password",
    "ssl.keystore.password",
    "ssl.keystore.key",
    "ssl.keystore.certificate.chain",
    "ssl.truststore.password",
    "ssl.truststore.certificates",
    "sasl.jaas.config",
    "sasl.oauthbearer.client.credentials.client.secret",
    "sasl.oauthbearer.assertion.private.key.passphrase",
];

/// Whether a client key (without its `producer.` / `….override.` prefix) holds a secret.
pub fn is_password_key(key: &str) -> bool {
    PASSWORD_KEYS.contains(&key)
}

/// `value`, or `[hidden]` when `key` holds a secret.
pub fn shown(key: &str, value: &str) -> String {
    if is_password_key(key) {
        "[hidden]".into()
    } else {
        value.to_string()
    }
}

pub const OVERRIDE_POLICY_CONFIG: &str = "connector.client.config.override.policy";

/// Java's `ConnectorClientConfigOverridePolicy` implementations: which client settings a
/// connector may override with `producer.override.*`, `consumer.override.*` and
/// `admin.override.*`. Java's default is `All` (Kafka 4.x `WorkerConfig`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientOverridePolicy {
    /// Every client setting may be overridden.
    #[default]
    All,
    /// Only the client principal: `sasl.jaas.config`, `sasl.mechanism`, `security.protocol`.
    Principal,
    /// No client setting may be overridden.
    None,
}

const POLICY_PACKAGE: &str = "org.apache.kafka.connect.connector.policy.";
const POLICY_SUFFIX: &str = "ConnectorClientConfigOverridePolicy";

impl ClientOverridePolicy {
    const ALL: [ClientOverridePolicy; 3] = [Self::All, Self::Principal, Self::None];

    /// The keys `Principal` lets a connector override (Java's `ALLOWED_CONFIG`).
    pub const PRINCIPAL_KEYS: [&'static str; 3] =
        ["sasl.jaas.config", "sasl.mechanism", "security.protocol"];

    /// The policy's name as Java's `policyName()` returns it, which is also its plugin alias.
    pub fn name(self) -> &'static str {
        match self {
            ClientOverridePolicy::All => "All",
            ClientOverridePolicy::Principal => "Principal",
            ClientOverridePolicy::None => "None",
        }
    }

    /// Resolve a class name or alias the way Java's plugin loader does: the full class name
    /// (`org.apache.kafka.connect.connector.policy.NoneConnectorClientConfigOverridePolicy`), the
    /// simple name (`NoneConnectorClientConfigOverridePolicy`) or the pruned alias (`None`).
    pub fn from_class(class: &str) -> Result<Self> {
        let class = class.trim();
        Self::ALL
            .into_iter()
            .find(|p| {
                let simple = format!("{}{POLICY_SUFFIX}", p.name());
                class == p.name()
                    || class == simple
                    || class.strip_prefix(POLICY_PACKAGE) == Some(simple.as_str())
            })
            .ok_or_else(|| {
                Error::config(format!(
                    "Failed to find any class that implements interface {POLICY_PACKAGE}{POLICY_SUFFIX} and which name matches {class}"
                ))
            })
    }

    /// The policy a worker config asks for (`All` when the key is absent).
    pub fn of_worker(worker: &Props) -> Result<Self> {
        worker
            .get(OVERRIDE_POLICY_CONFIG)
            .map_or(Ok(Self::default()), |c| Self::from_class(c))
    }

    /// Java's `isAllowed`: may a connector override client setting `key` (without its prefix)?
    pub fn allows(self, key: &str) -> bool {
        match self {
            ClientOverridePolicy::All => true,
            ClientOverridePolicy::Principal => Self::PRINCIPAL_KEYS.contains(&key),
            ClientOverridePolicy::None => false,
        }
    }

    /// Java's error message for a disallowed override of `key` (without its prefix), as
    /// `AbstractConnectorClientConfigOverridePolicy.validate` adds it to the key's value.
    pub fn violation(self, key: &str) -> Option<String> {
        (!self.allows(key)).then(|| {
            format!(
                "The '{}' policy does not allow '{key}' to be overridden in the connector configuration.",
                self.name()
            )
        })
    }
}

/// Build a librdkafka config: `base` first, then worker-level `<role>.` keys, then connector-level
/// `<role>.override.` keys. `worker` is the worker config as given: its
/// `connector.client.config.override.policy` decides which connector overrides are allowed, and
/// a disallowed one fails with Java's `Worker` message instead of being applied.
pub fn client_config(
    bootstrap: &str,
    role: ClientRole,
    base: &[(&str, String)],
    worker: &Props,
    connector: &Props,
) -> Result<ClientConfig> {
    let mut cfg = ClientConfig::new();
    cfg.set("bootstrap.servers", bootstrap);
    for (k, v) in base {
        cfg.set(*k, v.as_str());
    }
    let mut worker_keys = with_prefix(worker, role.worker_prefix());
    if role == ClientRole::Admin {
        // `admin.listeners` and `admin.listeners.https.*` are the REST server's keys (Java's
        // `RestServerConfig`): Java's `Worker.adminConfigs` hands them to its AdminClient, which
        // ignores unknown keys with a warning; librdkafka would refuse them.
        worker_keys.retain(|k, _| k != "listeners" && !k.starts_with("listeners.https."));
    }
    let connector_keys = with_prefix(connector, role.override_prefix());
    let policy = ClientOverridePolicy::of_worker(worker)?;
    // Java's `ConfigValue.toString()` per rejected key: `[name,value,[],[message],true]`.
    let denied: Vec<String> = connector_keys
        .iter()
        .filter_map(|(k, v)| {
            policy
                .violation(k)
                .map(|m| format!("[{k},{},[],[{m}],true]", shown(k, v)))
        })
        .collect();
    if !denied.is_empty() {
        // Validation rejects these configs first; this guards every client built later.
        return Err(Error::config(format!(
            "Client Config Overrides not allowed [{}]",
            denied.join(", ")
        )));
    }
    // Java's clients read `ssl.*` only when the protocol is SSL or SASL_SSL; librdkafka refuses
    // them outright in a build without TLS, so they are left out otherwise, as Java ignores them.
    let protocol = connector_keys
        .get("security.protocol")
        .or_else(|| worker_keys.get("security.protocol"))
        .or_else(|| {
            base.iter()
                .find(|(k, _)| *k == "security.protocol")
                .map(|(_, v)| v)
        })
        .map(|p| p.trim().to_ascii_lowercase())
        .unwrap_or_else(|| "plaintext".into());
    let uses_tls = protocol == "ssl" || protocol == "sasl_ssl";
    for (k, v) in worker_keys.iter().chain(connector_keys.iter()) {
        if k.starts_with("ssl.") && !uses_tls {
            tracing::debug!(key = %k, %protocol, "TLS client setting unused with this security.protocol; ignored");
            continue;
        }
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
/// librdkafka's local produce queue is full: back-pressure, not a failure; the send can be
/// tried again once its I/O thread has drained some.
pub(crate) fn is_queue_full(e: &rdkafka::error::KafkaError) -> bool {
    matches!(
        e,
        rdkafka::error::KafkaError::MessageProduction(rdkafka::types::RDKafkaErrorCode::QueueFull)
    )
}

pub fn create<T: rdkafka::config::FromClientConfig>(cfg: &ClientConfig, what: &str) -> Result<T> {
    cfg.create().map_err(|e| match e {
        rdkafka::error::KafkaError::ClientConfig(_, ref desc, ref key, ref value) => {
            // librdkafka's description repeats the value: a secret is left out entirely.
            let desc = if is_password_key(key) {
                "refused by librdkafka".to_string()
            } else {
                desc.clone()
            };
            Error::config(format!(
                "Invalid {what} client setting {key}={}: {desc}",
                shown(key, value)
            ))
        }
        other => Error::from(other).context(format!("creating {what}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_keys_only_with_a_tls_protocol_and_secrets_never_in_errors() {
        let mut conn = Props::new();
        conn.insert("producer.override.ssl.key.password".into(), "s3cret".into());
        conn.insert("producer.override.linger.ms".into(), "3".into());
        let plain = client_config("b:1", ClientRole::Producer, &[], &Props::new(), &conn).unwrap();
        assert_eq!(plain.get("ssl.key.password"), None);
        assert_eq!(plain.get("linger.ms"), Some("3"));
        conn.insert("producer.override.security.protocol".into(), "SSL".into());
        let tls = client_config("b:1", ClientRole::Producer, &[], &Props::new(), &conn).unwrap();
        assert_eq!(tls.get("ssl.key.password"), Some("s3cret"));
        let mut bad = ClientConfig::new();
        bad.set("sasl.jaas.config", "secret-jaas");
        let err = create::<rdkafka::producer::BaseProducer>(&bad, "producer")
            .err()
            .map(|e| e.message().to_string())
            .expect("librdkafka has no sasl.jaas.config");
        assert!(err.contains("sasl.jaas.config=[hidden]"), "{err}");
        assert!(!err.contains("secret-jaas"), "{err}");
        let mut worker = Props::new();
        worker.insert(OVERRIDE_POLICY_CONFIG.into(), "None".into());
        let mut secret = Props::new();
        secret.insert(
            "producer.override.sasl.jaas.config".into(),
            "secret-jaas".into(),
        );
        let err = client_config("b:1", ClientRole::Producer, &[], &worker, &secret)
            .unwrap_err()
            .message()
            .to_string();
        assert!(err.contains("[sasl.jaas.config,[hidden],"), "{err}");
    }

    #[test]
    fn admin_listener_keys_are_not_admin_client_keys() {
        let worker = crate::config::props_from(&[
            ("admin.listeners", "http://:8084"),
            ("admin.listeners.https.ssl.keystore.location", "/admin.pem"),
            ("admin.retries", "3"),
        ]);
        let cfg = client_config("b:1", ClientRole::Admin, &[], &worker, &Props::new()).unwrap();
        assert_eq!(cfg.get("listeners"), None);
        assert_eq!(cfg.get("listeners.https.ssl.keystore.location"), None);
        assert_eq!(cfg.get("retries"), Some("3"));
    }

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
    fn policies_resolve_like_java_plugin_aliases() {
        for (class, policy) in [
            ("All", ClientOverridePolicy::All),
            (
                "PrincipalConnectorClientConfigOverridePolicy",
                ClientOverridePolicy::Principal,
            ),
            (
                "org.apache.kafka.connect.connector.policy.NoneConnectorClientConfigOverridePolicy",
                ClientOverridePolicy::None,
            ),
            (" None ", ClientOverridePolicy::None),
        ] {
            assert_eq!(
                ClientOverridePolicy::from_class(class).unwrap(),
                policy,
                "{class}"
            );
        }
        let err = ClientOverridePolicy::from_class("none").unwrap_err();
        assert_eq!(
            err.message(),
            "Failed to find any class that implements interface org.apache.kafka.connect.connector.policy.ConnectorClientConfigOverridePolicy and which name matches none"
        );
        assert_eq!(
            ClientOverridePolicy::of_worker(&Props::new()).unwrap(),
            ClientOverridePolicy::All,
            "Kafka 4.x's default"
        );
    }

    #[test]
    fn principal_allows_only_the_principal_keys() {
        let p = ClientOverridePolicy::Principal;
        assert!(p.allows("sasl.jaas.config") && p.allows("sasl.mechanism"));
        assert!(p.allows("security.protocol"));
        assert_eq!(
            p.violation("linger.ms").as_deref(),
            Some("The 'Principal' policy does not allow 'linger.ms' to be overridden in the connector configuration.")
        );
        assert!(ClientOverridePolicy::All.violation("linger.ms").is_none());
        assert!(ClientOverridePolicy::None
            .violation("sasl.mechanism")
            .is_some());
    }

    #[test]
    fn a_disallowed_override_is_never_applied() {
        let mut worker = Props::new();
        worker.insert(OVERRIDE_POLICY_CONFIG.into(), "Principal".into());
        worker.insert("consumer.fetch.min.bytes".into(), "10".into());
        let mut conn = Props::new();
        conn.insert("consumer.override.sasl.mechanism".into(), "PLAIN".into());
        // Another client's overrides do not concern the consumer.
        conn.insert("producer.override.linger.ms".into(), "5".into());
        let cfg = client_config("b:1", ClientRole::Consumer, &[], &worker, &conn).unwrap();
        assert_eq!(cfg.get("sasl.mechanism"), Some("PLAIN"));
        assert_eq!(cfg.get("fetch.min.bytes"), Some("10"));
        let err = client_config("b:1", ClientRole::Producer, &[], &worker, &conn).unwrap_err();
        assert_eq!(
            err.message(),
            "Client Config Overrides not allowed [[linger.ms,5,[],[The 'Principal' policy does not allow 'linger.ms' to be overridden in the connector configuration.],true]]"
        );
        assert_eq!(err.fault(), crate::error::Fault::Config);
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
