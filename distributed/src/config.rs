//! Distributed worker configuration: the keys and defaults of Java's `DistributedConfig` (what
//! `connect-distributed.properties` holds beyond the common [`WorkerConfig`] keys).
//!
//! Every key Java defines is declared here with Java's default and documentation. A key whose
//! value Strait cannot honour is refused at start-up with the reason, never ignored:
//! `security.protocol` other than `PLAINTEXT` and `sasl.*` keys (the worker group
//! client speaks plaintext Kafka only), and MAC algorithms other than the `HmacSHA*` family.
//! The client keys `request.timeout.ms` and `retry.backoff.ms` apply to the group membership
//! client, as in Java; the other client tuning keys ([`MEMBERSHIP_KEYS_WITHOUT_EFFECT`]) are
//! accepted with a warning.

use std::time::Duration;

use strait_engine::config::{ConfigDef, CustomValidator, Props, Validator, Value};
use strait_engine::declare_config;
use strait_engine::error::{Error, Result};
use strait_engine::worker_config::WorkerConfig;

pub use crate::protocol::ConnectProtocolCompatibility as Protocol;

/// Java's group name for these keys in the generated documentation.
const DISTRIBUTED: &str = "Distributed";

/// Client tuning keys Java's group member reads and Strait's does not (its connection handling
/// is simpler): accepted, with a warning when set, since the defaults are what nearly everyone
/// runs and refusing them would refuse working `connect-distributed.properties` files.
pub const MEMBERSHIP_KEYS_WITHOUT_EFFECT: &[&str] = &[
    "metadata.max.age.ms",
    "send.buffer.bytes",
    "receive.buffer.bytes",
    "reconnect.backoff.ms",
    "reconnect.backoff.max.ms",
    "socket.connection.setup.timeout.ms",
    "socket.connection.setup.timeout.max.ms",
    "retry.backoff.max.ms",
    "connections.max.idle.ms",
    "metadata.recovery.strategy",
];

/// `config.storage.`, `offset.storage.`, `status.storage.`: prefixes of the internal topics'
/// settings; what follows `topic`/`partitions`/`replication.factor` is a topic config.
pub const CONFIG_STORAGE_PREFIX: &str = "config.storage.";
pub const OFFSET_STORAGE_PREFIX: &str = "offset.storage.";
pub const STATUS_STORAGE_PREFIX: &str = "status.storage.";

fn millis(ms: i32) -> Duration {
    Duration::from_millis(ms.max(0) as u64)
}

fn millis_long(ms: i64) -> Duration {
    Duration::from_millis(ms.max(0) as u64)
}

/// `TopicCreationConfig.PARTITIONS_VALIDATOR`.
static PARTITIONS_VALIDATOR: CustomValidator = CustomValidator {
    describe: "Positive number, or -1 to use the broker's default",
    check: |name, value| {
        match value {
        Value::Int(n) if *n != -1 && *n < 1 => Err(Error::config(format!(
            "Invalid value {n} for configuration {name}: Number of partitions must be positive, or -1 to use the broker's default"
        ))),
        _ => Ok(()),
    }
    },
};

/// `TopicCreationConfig.REPLICATION_FACTOR_VALIDATOR`.
static REPLICATION_FACTOR_VALIDATOR: CustomValidator = CustomValidator {
    describe: "Positive number not larger than the number of brokers in the Kafka cluster, or -1 to use the broker's default",
    check: |name, value| match value {
        Value::Short(n) if *n != -1 && *n < 1 => Err(Error::config(format!(
            "Invalid value {n} for configuration {name}: Replication factor must be positive and not larger than the number of brokers in the Kafka cluster, or -1 to use the broker's default"
        ))),
        _ => Ok(()),
    },
};

/// `connect.protocol`: `ConnectProtocolCompatibility.compatibility(value)` must succeed.
static PROTOCOL_VALIDATOR: CustomValidator = CustomValidator {
    describe: "[eager, compatible, sessioned]",
    check: |name, value| match value {
        Value::Str(s) if Protocol::from_config(s).is_ok() => Ok(()),
        other => Err(Error::config(format!(
            "Invalid value {} for configuration {name}: Invalid Connect protocol compatibility",
            display(other)
        ))),
    },
};

/// A MAC algorithm Strait can compute (`inter.worker.signature.algorithm`).
static MAC_VALIDATOR: CustomValidator = CustomValidator {
    describe: "Any MAC algorithm supported by the worker JVM",
    check: |name, value| match value {
        Value::Str(s) => check_mac(name, s),
        _ => Ok(()),
    },
};

/// `inter.worker.key.generation.algorithm`: keys for the same `Hmac*` family.
static KEY_ALGORITHM_VALIDATOR: CustomValidator = CustomValidator {
    describe: "Any KeyGenerator algorithm supported by the worker JVM",
    check: |name, value| match value {
        Value::Str(s) => check_mac(name, s),
        _ => Ok(()),
    },
};

/// `inter.worker.verification.algorithms`: one or more MAC algorithms.
static VERIFICATION_VALIDATOR: CustomValidator = CustomValidator {
    describe: "A list of one or more MAC algorithms, each supported by the worker JVM",
    check: |name, value| {
        match value {
        Value::List(list) if list.is_empty() => Err(Error::config(format!(
            "Invalid value [] for configuration {name}: At least one signature verification algorithm must be provided"
        ))),
        Value::List(list) => list.iter().try_for_each(|alg| check_mac(name, alg)),
        _ => Ok(()),
    }
    },
};

fn display(v: &Value) -> String {
    match v {
        Value::Str(s) | Value::Class(s) | Value::Password(s) => s.clone(),
        Value::List(l) => l.join(","),
        other => format!("{other:?}"),
    }
}

fn check_mac(name: &str, alg: &str) -> Result<()> {
    if crate::signing::MacAlgorithm::parse(alg).is_some() {
        Ok(())
    } else {
        Err(Error::config(format!(
            "Invalid value {alg} for configuration {name}: Strait supports the MAC algorithms {}",
            crate::signing::MacAlgorithm::NAMES.join(", ")
        )))
    }
}

/// `exactly.once.source.support`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExactlyOnceSourceSupport {
    Disabled,
    Preparing,
    Enabled,
}

declare_config! {
    /// The distributed-only keys of a worker config (Java's `DistributedConfig` minus
    /// `WorkerConfig`).
    #[derive(Debug, Clone)]
    pub struct DistributedKeys {
        pub group_id: String {
            key: "group.id",
            ty: String,
            default: required,
            importance: High,
            doc: "A unique string that identifies the Connect cluster group this worker belongs to.",
            group: DISTRIBUTED, order: 1,
        },
        pub session_timeout: Duration {
            key: "session.timeout.ms",
            ty: Int,
            default: "10000",
            importance: High,
            doc: "The timeout used to detect worker failures. The worker sends periodic heartbeats to indicate its liveness to the broker. If no heartbeats are received by the broker before the expiration of this session timeout, then the broker will remove the worker from the group and initiate a rebalance. Note that the value must be in the allowable range as configured in the broker configuration by <code>group.min.session.timeout.ms</code> and <code>group.max.session.timeout.ms</code>.",
            group: DISTRIBUTED, order: 2,
            map: millis,
        },
        pub rebalance_timeout: Duration {
            key: "rebalance.timeout.ms",
            ty: Int,
            default: "60000",
            importance: High,
            doc: "The maximum allowed time for each worker to join the group once a rebalance has begun. This is basically a limit on the amount of time needed for all tasks to flush any pending data and commit offsets. If the timeout is exceeded, then the worker will be removed from the group, which will cause offset commit failures.",
            group: DISTRIBUTED, order: 3,
            map: millis,
        },
        pub heartbeat_interval: Duration {
            key: "heartbeat.interval.ms",
            ty: Int,
            default: "3000",
            importance: High,
            doc: "The expected time between heartbeats to the group coordinator when using Kafka's group management facilities. Heartbeats are used to ensure that the worker's session stays active and to facilitate rebalancing when new members join or leave the group. The value must be set lower than <code>session.timeout.ms</code>, but typically should be set no higher than 1/3 of that value. It can be adjusted even lower to control the expected time for normal rebalances.",
            group: DISTRIBUTED, order: 4,
            map: millis,
        },
        pub exactly_once_source_support: ExactlyOnceSourceSupport {
            key: "exactly.once.source.support",
            ty: String,
            default: "disabled",
            validator: Validator::OneOfIgnoreCase(&["disabled", "preparing", "enabled"]),
            importance: High,
            doc: "Whether to enable exactly-once support for source connectors in the cluster by using transactions to write source records and their source offsets, and by proactively fencing out old task generations before bringing up new ones.\nTo enable exactly-once source support on a new cluster, set this property to 'enabled'. To enable support on an existing cluster, first set to 'preparing' on every worker in the cluster, then set to 'enabled'. A rolling upgrade may be used for both changes. For more information on this feature, see the <a href=\"https://kafka.apache.org/documentation.html#connect_exactlyoncesource\">exactly-once source support documentation</a>.",
            group: DISTRIBUTED, order: 5,
            map: |s: String| match s.to_ascii_lowercase().as_str() {
                "preparing" => ExactlyOnceSourceSupport::Preparing,
                "enabled" => ExactlyOnceSourceSupport::Enabled,
                _ => ExactlyOnceSourceSupport::Disabled,
            },
        },
        pub metadata_max_age: Duration {
            key: "metadata.max.age.ms",
            ty: Long,
            default: "300000",
            validator: Validator::at_least(0.0),
            importance: Low,
            doc: "The period of time in milliseconds after which we force a refresh of metadata even if we haven't seen any partition leadership changes to proactively discover any new brokers or partitions.",
            group: DISTRIBUTED, order: 6,
            map: millis_long,
        },
        pub client_id: String {
            key: "client.id",
            ty: String,
            default: "",
            importance: Low,
            doc: "An id string to pass to the server when making requests. The purpose of this is to be able to track the source of requests beyond just ip/port by allowing a logical application name to be included in server-side request logging.",
            group: DISTRIBUTED, order: 7,
        },
        _send_buffer: i32 {
            key: "send.buffer.bytes",
            ty: Int,
            default: "131072",
            validator: Validator::at_least(-1.0),
            importance: Medium,
            doc: "The size of the TCP send buffer (SO_SNDBUF) to use when sending data. If the value is -1, the OS default will be used.",
            group: DISTRIBUTED, order: 8,
        },
        _receive_buffer: i32 {
            key: "receive.buffer.bytes",
            ty: Int,
            default: "32768",
            validator: Validator::at_least(-1.0),
            importance: Medium,
            doc: "The size of the TCP receive buffer (SO_RCVBUF) to use when reading data. If the value is -1, the OS default will be used.",
            group: DISTRIBUTED, order: 9,
        },
        pub reconnect_backoff: Duration {
            key: "reconnect.backoff.ms",
            ty: Long,
            default: "50",
            validator: Validator::at_least(0.0),
            importance: Low,
            doc: "The base amount of time to wait before attempting to reconnect to a given host. This avoids repeatedly connecting to a host in a tight loop. This backoff applies to all connection attempts by the client to a broker.",
            group: DISTRIBUTED, order: 10,
            map: millis_long,
        },
        pub reconnect_backoff_max: Duration {
            key: "reconnect.backoff.max.ms",
            ty: Long,
            default: "1000",
            validator: Validator::at_least(0.0),
            importance: Low,
            doc: "The maximum amount of time in milliseconds to wait when reconnecting to a broker that has repeatedly failed to connect.",
            group: DISTRIBUTED, order: 11,
            map: millis_long,
        },
        pub socket_connection_setup_timeout: Duration {
            key: "socket.connection.setup.timeout.ms",
            ty: Long,
            default: "10000",
            validator: Validator::at_least(0.0),
            importance: Low,
            doc: "The amount of time the client will wait for the socket connection to be established.",
            group: DISTRIBUTED, order: 12,
            map: millis_long,
        },
        _socket_connection_setup_timeout_max: i64 {
            key: "socket.connection.setup.timeout.max.ms",
            ty: Long,
            default: "30000",
            validator: Validator::at_least(0.0),
            importance: Low,
            doc: "The maximum amount of time the client will wait for the socket connection to be established.",
            group: DISTRIBUTED, order: 13,
        },
        pub retry_backoff: Duration {
            key: "retry.backoff.ms",
            ty: Long,
            default: "100",
            validator: Validator::at_least(0.0),
            importance: Low,
            doc: "The amount of time to wait before attempting to retry a failed request to a given topic partition.",
            group: DISTRIBUTED, order: 14,
            map: millis_long,
        },
        pub retry_backoff_max: Duration {
            key: "retry.backoff.max.ms",
            ty: Long,
            default: "1000",
            validator: Validator::at_least(0.0),
            importance: Low,
            doc: "The maximum amount of time in milliseconds to wait when retrying a request to the broker that has repeatedly failed.",
            group: DISTRIBUTED, order: 15,
            map: millis_long,
        },
        pub request_timeout: Duration {
            key: "request.timeout.ms",
            ty: Int,
            default: "40000",
            validator: Validator::at_least(0.0),
            importance: Medium,
            doc: "The configuration controls the maximum amount of time the client will wait for the response of a request. If the response is not received before the timeout elapses the client will resend the request if necessary or fail the request if retries are exhausted.",
            group: DISTRIBUTED, order: 16,
            map: millis,
        },
        _connections_max_idle: i64 {
            key: "connections.max.idle.ms",
            ty: Long,
            default: "540000",
            importance: Medium,
            doc: "Close idle connections after the number of milliseconds specified by this config.",
            group: DISTRIBUTED, order: 17,
        },
        pub security_protocol: String {
            key: "security.protocol",
            ty: String,
            default: "PLAINTEXT",
            validator: Validator::OneOfIgnoreCase(&["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]),
            importance: Medium,
            doc: "Protocol used to communicate with brokers. Strait's distributed mode supports PLAINTEXT only so far; the other protocols are refused at start-up.",
            group: DISTRIBUTED, order: 18,
        },
        pub worker_sync_timeout: Duration {
            key: "worker.sync.timeout.ms",
            ty: Int,
            default: "3000",
            importance: Medium,
            doc: "When the worker is out of sync with other workers and needs to resynchronize configurations, wait up to this amount of time before giving up, leaving the group, and waiting a backoff period before rejoining.",
            group: DISTRIBUTED, order: 19,
            map: millis,
        },
        pub worker_unsync_backoff: Duration {
            key: "worker.unsync.backoff.ms",
            ty: Int,
            default: "300000",
            importance: Medium,
            doc: "When the worker is out of sync with other workers and  fails to catch up within worker.sync.timeout.ms, leave the Connect cluster for this long before rejoining.",
            group: DISTRIBUTED, order: 20,
            map: millis,
        },
        pub offset_storage_topic: String {
            key: "offset.storage.topic",
            ty: String,
            default: required,
            importance: High,
            doc: "The name of the Kafka topic where source connector offsets are stored",
            group: DISTRIBUTED, order: 21,
        },
        pub offset_storage_partitions: i32 {
            key: "offset.storage.partitions",
            ty: Int,
            default: "25",
            validator: Validator::Custom(&PARTITIONS_VALIDATOR),
            importance: Low,
            doc: "The number of partitions used when creating the offset storage topic",
            group: DISTRIBUTED, order: 22,
        },
        pub offset_storage_replication_factor: i16 {
            key: "offset.storage.replication.factor",
            ty: Short,
            default: "3",
            validator: Validator::Custom(&REPLICATION_FACTOR_VALIDATOR),
            importance: Low,
            doc: "Replication factor used when creating the offset storage topic",
            group: DISTRIBUTED, order: 23,
        },
        pub config_storage_topic: String {
            key: "config.storage.topic",
            ty: String,
            default: required,
            importance: High,
            doc: "The name of the Kafka topic where connector configurations are stored",
            group: DISTRIBUTED, order: 24,
        },
        pub config_storage_replication_factor: i16 {
            key: "config.storage.replication.factor",
            ty: Short,
            default: "3",
            validator: Validator::Custom(&REPLICATION_FACTOR_VALIDATOR),
            importance: Low,
            doc: "Replication factor used when creating the configuration storage topic",
            group: DISTRIBUTED, order: 25,
        },
        pub status_storage_topic: String {
            key: "status.storage.topic",
            ty: String,
            default: required,
            importance: High,
            doc: "The name of the Kafka topic where connector and task status are stored",
            group: DISTRIBUTED, order: 26,
        },
        pub status_storage_partitions: i32 {
            key: "status.storage.partitions",
            ty: Int,
            default: "5",
            validator: Validator::Custom(&PARTITIONS_VALIDATOR),
            importance: Low,
            doc: "The number of partitions used when creating the status storage topic",
            group: DISTRIBUTED, order: 27,
        },
        pub status_storage_replication_factor: i16 {
            key: "status.storage.replication.factor",
            ty: Short,
            default: "3",
            validator: Validator::Custom(&REPLICATION_FACTOR_VALIDATOR),
            importance: Low,
            doc: "Replication factor used when creating the status storage topic",
            group: DISTRIBUTED, order: 28,
        },
        pub connect_protocol: Protocol {
            key: "connect.protocol",
            ty: String,
            default: "sessioned",
            validator: Validator::Custom(&PROTOCOL_VALIDATOR),
            importance: Low,
            doc: "Compatibility mode for Kafka Connect Protocol",
            group: DISTRIBUTED, order: 29,
            map: |s: String| Protocol::from_config(&s).unwrap_or(Protocol::Sessioned),
        },
        pub scheduled_rebalance_max_delay: Duration {
            key: "scheduled.rebalance.max.delay.ms",
            ty: Int,
            default: "300000",
            validator: Validator::between(0.0, 2147483647.0),
            importance: Low,
            doc: "The maximum delay that is scheduled in order to wait for the return of one or more departed workers before rebalancing and reassigning their connectors and tasks to the group. During this period the connectors and tasks of the departed workers remain unassigned",
            group: DISTRIBUTED, order: 30,
            map: millis,
        },
        pub inter_worker_key_ttl: Duration {
            key: "inter.worker.key.ttl.ms",
            ty: Int,
            default: "3600000",
            validator: Validator::between(0.0, 2147483647.0),
            importance: Low,
            doc: "The TTL of generated session keys used for internal request validation (in milliseconds)",
            group: DISTRIBUTED, order: 31,
            map: millis,
        },
        pub inter_worker_key_generation_algorithm: String {
            key: "inter.worker.key.generation.algorithm",
            ty: String,
            default: "HmacSHA256",
            validator: Validator::Custom(&KEY_ALGORITHM_VALIDATOR),
            importance: Low,
            doc: "The algorithm to use for generating internal request keys. The algorithm 'HmacSHA256' will be used as a default on JVMs that support it; on other JVMs, no default is used and a value for this property must be manually specified in the worker config.",
            group: DISTRIBUTED, order: 32,
        },
        pub inter_worker_key_size: Option<i32> {
            key: "inter.worker.key.size",
            ty: Int,
            default: null,
            importance: Low,
            doc: "The size of the key to use for signing internal requests, in bits. If null, the default key size for the key generation algorithm will be used.",
            group: DISTRIBUTED, order: 33,
        },
        pub inter_worker_signature_algorithm: String {
            key: "inter.worker.signature.algorithm",
            ty: String,
            default: "HmacSHA256",
            validator: Validator::Custom(&MAC_VALIDATOR),
            importance: Low,
            doc: "The algorithm used to sign internal requestsThe algorithm 'inter.worker.signature.algorithm' will be used as a default on JVMs that support it; on other JVMs, no default is used and a value for this property must be manually specified in the worker config.",
            group: DISTRIBUTED, order: 34,
        },
        pub inter_worker_verification_algorithms: Vec<String> {
            key: "inter.worker.verification.algorithms",
            ty: List,
            default: "HmacSHA256",
            validator: Validator::Custom(&VERIFICATION_VALIDATOR),
            importance: Low,
            doc: "A list of permitted algorithms for verifying internal requests, which must include the algorithm used for the inter.worker.signature.algorithm property. The algorithm(s) '[HmacSHA256]' will be used as a default on JVMs that provide them; on other JVMs, no default is used and a value for this property must be manually specified in the worker config.",
            group: DISTRIBUTED, order: 35,
        },
        _metadata_recovery_strategy: String {
            key: "metadata.recovery.strategy",
            ty: String,
            default: "none",
            validator: Validator::OneOfIgnoreCase(&["none", "rebootstrap"]),
            importance: Low,
            doc: "Controls how the client recovers when none of the brokers known to it is available. If set to <code>none</code>, the client fails. If set to <code>rebootstrap</code>, the client repeats the bootstrap process using <code>bootstrap.servers</code>.",
            group: DISTRIBUTED, order: 36,
        },
        pub originals: Props { originals },
    }
}

/// A distributed worker's whole configuration: the common worker keys and the distributed ones.
#[derive(Debug, Clone)]
pub struct DistributedConfig {
    pub worker: WorkerConfig,
    pub distributed: DistributedKeys,
}

impl DistributedConfig {
    /// Every key a distributed worker defines: the common ones, then the distributed ones.
    pub fn config_def() -> ConfigDef {
        WorkerConfig::config_def().extend(DistributedKeys::config_def())
    }

    /// Parse and validate; every `ConfigDef` problem is reported at once, then the checks Java
    /// makes in `DistributedConfig`'s constructor and the refusals of what Strait cannot honour.
    pub fn from_props(props: &Props) -> Result<Self> {
        let extra = DistributedKeys::config_def();
        let worker = WorkerConfig::from_props_with(props, &extra)?;
        // The distributed keys are read with their `${provider:…}` variables resolved too
        // (`originals` holds the resolved values).
        let resolved = worker.originals.clone();
        let props = &resolved;
        let errors = extra.errors(props);
        if !errors.is_empty() {
            return Err(Error::config(format!(
                "Invalid worker configuration:\n  {}",
                errors.join("\n  ")
            )));
        }
        let distributed = DistributedKeys::parse(props)?;
        let d = &distributed;
        // `DistributedConfig.validateInterWorkerKeyConfigs`.
        if !d
            .inter_worker_verification_algorithms
            .contains(&d.inter_worker_signature_algorithm)
        {
            return Err(Error::config(format!(
                "Signature algorithm '{}' must be present in {} list",
                d.inter_worker_signature_algorithm,
                d.inter_worker_verification_algorithms.join(",")
            )));
        }
        if let Some(bits) = d.inter_worker_key_size {
            if bits <= 0 || bits % 8 != 0 {
                return Err(Error::config(format!(
                    "Unable to create key generator with algorithm {} and key size {bits}: Strait generates keys of a positive whole number of bytes",
                    d.inter_worker_key_generation_algorithm
                )));
            }
        }
        if !d.security_protocol.eq_ignore_ascii_case("PLAINTEXT") {
            return Err(Error::unsupported(format!(
                "Invalid worker configuration: security.protocol={}: Strait's distributed mode speaks PLAINTEXT to Kafka only so far",
                d.security_protocol
            )));
        }
        if let Some(key) = props.keys().find(|k| k.starts_with("sasl.")) {
            return Err(Error::unsupported(format!(
                "Invalid worker configuration: {key}: SASL is not supported by Strait's distributed mode yet"
            )));
        }
        for key in MEMBERSHIP_KEYS_WITHOUT_EFFECT {
            if props.contains_key(*key) {
                tracing::warn!(
                    key,
                    "worker configuration key has no effect on Strait's group membership client and is ignored"
                );
            }
        }
        if props.contains_key("config.storage.partitions") {
            tracing::warn!(
                "Ignoring 'config.storage.partitions' setting, since config topic partitions is always 1"
            );
        }
        Ok(DistributedConfig {
            worker,
            distributed,
        })
    }

    /// Extra topic configs for an internal topic from its prefix (`DistributedConfig.topicSettings`):
    /// `cleanup.policy` is dropped with a warning (compaction is always used), as are the
    /// `topic`, `partitions` and `replication.factor` keys themselves.
    pub fn topic_settings(&self, prefix: &str) -> Props {
        let mut settings = strait_engine::config::with_prefix(&self.distributed.originals, prefix);
        if let Some(policy) = settings.remove("cleanup.policy") {
            tracing::warn!(
                "Ignoring '{prefix}cleanup.policy={policy}' setting, since compaction is always used"
            );
        }
        for key in ["topic", "replication.factor", "partitions"] {
            settings.remove(key);
        }
        settings
    }

    /// The client-id base of the internal-topic clients: `<group.id>[-<client.id>]-`.
    pub fn client_id_base(&self) -> String {
        let d = &self.distributed;
        if d.client_id.is_empty() {
            format!("{}-", d.group_id)
        } else {
            format!("{}-{}-", d.group_id, d.client_id)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strait_engine::config::props_from;

    fn base() -> Vec<(&'static str, &'static str)> {
        vec![
            ("bootstrap.servers", "localhost:9092"),
            ("group.id", "connect-cluster"),
            (
                "key.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            (
                "value.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            ("offset.storage.topic", "connect-offsets"),
            ("config.storage.topic", "connect-configs"),
            ("status.storage.topic", "connect-status"),
        ]
    }

    fn with(extra: &[(&'static str, &'static str)]) -> Props {
        let mut pairs = base();
        pairs.extend_from_slice(extra);
        props_from(&pairs)
    }

    #[test]
    fn defaults_are_javas() {
        let c = DistributedConfig::from_props(&with(&[])).unwrap();
        let d = &c.distributed;
        assert_eq!(d.session_timeout, Duration::from_secs(10));
        assert_eq!(d.heartbeat_interval, Duration::from_secs(3));
        assert_eq!(d.rebalance_timeout, Duration::from_secs(60));
        assert_eq!(d.offset_storage_partitions, 25);
        assert_eq!(d.status_storage_partitions, 5);
        assert_eq!(d.config_storage_replication_factor, 3);
        assert_eq!(d.connect_protocol, Protocol::Sessioned);
        assert_eq!(d.scheduled_rebalance_max_delay, Duration::from_secs(300));
        assert_eq!(d.worker_unsync_backoff, Duration::from_secs(300));
        assert_eq!(d.inter_worker_verification_algorithms, vec!["HmacSHA256"]);
        assert_eq!(c.client_id_base(), "connect-cluster-");
    }

    #[test]
    fn the_example_connect_distributed_properties_parse() {
        // Apache Kafka's config/connect-distributed.properties, as shipped.
        let text = "bootstrap.servers=localhost:9092\ngroup.id=connect-cluster\nkey.converter=org.apache.kafka.connect.json.JsonConverter\nvalue.converter=org.apache.kafka.connect.json.JsonConverter\nkey.converter.schemas.enable=true\nvalue.converter.schemas.enable=true\noffset.storage.topic=connect-offsets\noffset.storage.replication.factor=1\nconfig.storage.topic=connect-configs\nconfig.storage.replication.factor=1\nstatus.storage.topic=connect-status\nstatus.storage.replication.factor=1\noffset.flush.interval.ms=10000\nplugin.path=/usr/share/java\n";
        let props = strait_engine::config::parse_properties(text).unwrap();
        let c = DistributedConfig::from_props(&props).unwrap();
        assert_eq!(c.distributed.offset_storage_replication_factor, 1);
        assert_eq!(c.distributed.group_id, "connect-cluster");
    }

    #[test]
    fn required_keys_are_all_reported() {
        let props = props_from(&[
            (
                "key.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            (
                "value.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
        ]);
        let e = DistributedConfig::from_props(&props)
            .unwrap_err()
            .to_string();
        for key in [
            "group.id",
            "offset.storage.topic",
            "config.storage.topic",
            "status.storage.topic",
        ] {
            assert!(e.contains(key), "{key} missing from: {e}");
        }
    }

    #[test]
    fn invalid_values_get_javas_messages() {
        let e = DistributedConfig::from_props(&with(&[("connect.protocol", "chatty")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("Invalid Connect protocol compatibility"), "{e}");
        let e = DistributedConfig::from_props(&with(&[("offset.storage.partitions", "0")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("Number of partitions must be positive"), "{e}");
        let e = DistributedConfig::from_props(&with(&[(
            "inter.worker.signature.algorithm",
            "HmacSHA512",
        )]))
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("Signature algorithm 'HmacSHA512' must be present in"),
            "{e}"
        );
        assert_eq!(
            DistributedConfig::from_props(&with(&[("connect.protocol", "EAGER")]))
                .unwrap()
                .distributed
                .connect_protocol,
            Protocol::Eager
        );
    }

    #[test]
    fn what_strait_cannot_honour_is_refused() {
        for (key, value, needle) in [
            ("security.protocol", "SASL_SSL", "PLAINTEXT"),
            ("sasl.mechanism", "PLAIN", "SASL"),
            (
                "inter.worker.key.generation.algorithm",
                "DES",
                "MAC algorithms",
            ),
        ] {
            let e = DistributedConfig::from_props(&with(&[(key, value)]))
                .unwrap_err()
                .to_string();
            assert!(e.contains(needle), "{key}={value}: {e}");
        }
    }

    #[test]
    fn topic_settings_drop_cleanup_policy_and_the_topics_own_keys() {
        let c = DistributedConfig::from_props(&with(&[
            ("config.storage.min.insync.replicas", "2"),
            ("config.storage.cleanup.policy", "delete"),
            ("status.storage.segment.ms", "1000"),
        ]))
        .unwrap();
        let s = c.topic_settings(CONFIG_STORAGE_PREFIX);
        assert_eq!(s.len(), 1, "{s:?}");
        assert_eq!(s["min.insync.replicas"], "2");
        assert_eq!(
            c.topic_settings(STATUS_STORAGE_PREFIX)["segment.ms"],
            "1000"
        );
    }
}
