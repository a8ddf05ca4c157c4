//! Worker configuration: the keys and defaults of Kafka Connect's `connect-standalone.properties`
//! / `connect-distributed.properties` (`WorkerConfig`, `StandaloneConfig`, `RestServerConfig`).
//! Java-only keys that mean nothing here (e.g. `plugin.path`) are accepted with a warning; keys
//! whose absence would weaken security (a REST extension other than the basic auth one, a
//! separate `admin.listeners`) are refused; any other key Strait does not use gets Java's "not
//! used" warning. The REST server's security keys are [`RestServerConfig`]'s.
//!
//! `${provider:[path:]key}` variables in the worker file are resolved with the providers the file
//! declares (`config.providers`, see [`crate::config_provider`]) before any key is parsed, as
//! Java's `AbstractConfig` does; that reads the files and environment they name.

use std::time::Duration;

use crate::config::{with_prefix, ConfigDef, Props, Validator};
use crate::config_provider::{resolve_worker_props, ConfigProviders};
use crate::declare_config;
use crate::error::{Error, Result};
use crate::kafka::{ClientOverridePolicy, OVERRIDE_POLICY_CONFIG};
use crate::naming_policy::{ConnectorNamePolicy, CONNECTOR_NAME_POLICY_CONFIG, POLICIES};
use crate::plugin::ConverterRole;
use crate::rest::server_config::RestServerConfig;

/// Keys accepted for compatibility that have no effect in Strait.
pub const IGNORED_KEYS: &[&str] = &[
    "plugin.path",
    "plugin.discovery",
    "metric.reporters",
    "metrics.recording.level",
    "internal.key.converter",
    "internal.value.converter",
    "client.dns.lookup",
];

/// `rest.extension.classes`: Java's `BasicAuthSecurityRestExtension` is implemented (see
/// [`crate::rest::basic_auth`]); any other extension is refused, since ignoring it could open
/// the REST API.
pub const REST_EXTENSION_CLASSES_CONFIG: &str = "rest.extension.classes";
/// `config.providers`: the names of the worker's config providers (KIP-297).
pub const CONFIG_PROVIDERS_CONFIG: &str = crate::config_provider::CONFIG_PROVIDERS_CONFIG;

/// Prefixes of keys that belong to other configs (clients, converters, the pre-3.0 REST
/// settings' successors), as Java's `WorkerConfig` passes them on with `originalsWithPrefix`;
/// they never get the "not used" warning.
const PASSED_ON_PREFIXES: &[&str] = &[
    "producer.",
    "consumer.",
    "admin.",
    "key.converter.",
    "value.converter.",
    "header.converter.",
    "listeners.https.",
    "admin.listeners.https.",
    // `config.providers.<name>.class` / `.param.*`, read by `crate::config_provider`.
    "config.providers.",
];

/// Keys read outside the definition: the pre-3.0 REST listener settings.
const LEGACY_KEYS: &[&str] = &["rest.host.name", "rest.port"];

/// The group every worker key is documented in.
const WORKER: &str = "Worker";

/// A non-negative millisecond count (the keys' validators guarantee it) as a `Duration`.
fn millis(ms: i64) -> Duration {
    Duration::from_millis(ms.max(0) as u64)
}

declare_config! {
    /// Typed worker configuration. Its declaration is also the worker's `ConfigDef`
    /// ([`WorkerConfig::config_def`]), which `docs/configuration.md` is generated from.
    #[derive(Debug, Clone)]
    pub struct WorkerConfig {
        pub bootstrap_servers: String {
            key: "bootstrap.servers",
            ty: List,
            default: "localhost:9092",
            importance: High,
            doc: "A list of host/port pairs used to establish the initial connection to the \
                  Kafka cluster.",
            group: WORKER, order: 1,
            width: Long,
            display: "Bootstrap servers",
            map: |servers: Vec<String>| servers.join(","),
        },
        pub key_converter: String {
            key: "key.converter",
            ty: Class,
            default: required,
            importance: High,
            doc: "Converter class used to convert between Kafka Connect format and the \
                  serialized form that is written to Kafka (record keys).",
            group: WORKER, order: 2,
            width: Long,
            display: "Key converter",
        },
        pub value_converter: String {
            key: "value.converter",
            ty: Class,
            default: required,
            importance: High,
            doc: "Converter class used to convert between Kafka Connect format and the \
                  serialized form that is written to Kafka (record values).",
            group: WORKER, order: 3,
            width: Long,
            display: "Value converter",
        },
        pub header_converter: String {
            key: "header.converter",
            ty: Class,
            default: "org.apache.kafka.connect.storage.SimpleHeaderConverter",
            importance: Low,
            doc: "HeaderConverter class used to convert between Kafka Connect format and the \
                  serialized form that is written to Kafka.",
            group: WORKER, order: 4,
            width: Long,
            display: "Header converter",
        },
        pub offset_flush_interval: Duration {
            key: "offset.flush.interval.ms",
            ty: Long,
            default: "60000",
            validator: Validator::at_least(0.0),
            importance: Low,
            doc: "Interval at which to try committing offsets for tasks.",
            group: WORKER, order: 5,
            width: Short,
            display: "Offset flush interval",
            map: millis,
        },
        pub offset_flush_timeout: Duration {
            key: "offset.flush.timeout.ms",
            ty: Long,
            default: "5000",
            validator: Validator::at_least(0.0),
            importance: Low,
            doc: "Maximum number of milliseconds to wait for records to flush and partition \
                  offset data to be committed to offset storage before cancelling the process.",
            group: WORKER, order: 6,
            width: Short,
            display: "Offset flush timeout",
            map: millis,
        },
        pub task_shutdown_graceful_timeout: Duration {
            key: "task.shutdown.graceful.timeout.ms",
            ty: Long,
            default: "5000",
            validator: Validator::at_least(0.0),
            importance: Low,
            doc: "Amount of time to wait for tasks to shutdown gracefully.",
            group: WORKER, order: 7,
            width: Short,
            display: "Task shutdown timeout",
            map: millis,
        },
        /// Standalone only: `offset.storage.file.filename`.
        pub offset_storage_file: Option<String> {
            key: "offset.storage.file.filename",
            ty: String,
            default: null,
            importance: High,
            doc: "File to store source connector offsets (standalone mode).",
            group: WORKER, order: 8,
            width: Long,
            display: "Offsets file",
        },
        pub listeners: Vec<String> {
            key: "listeners",
            ty: List,
            default: "http://:8083",
            importance: Low,
            doc: "List of comma-separated URIs the REST API will listen on.",
            group: WORKER, order: 9,
            width: Long,
            display: "REST listeners",
        },
        pub rest_advertised_host_name: Option<String> {
            key: "rest.advertised.host.name",
            ty: String,
            default: null,
            importance: Low,
            doc: "Hostname given out to other workers to connect to.",
            group: WORKER, order: 10,
            width: Medium,
            display: "Advertised host",
        },
        pub rest_advertised_port: Option<u16> {
            key: "rest.advertised.port",
            ty: Int,
            default: null,
            importance: Low,
            doc: "Port given out to other workers to connect to.",
            group: WORKER, order: 11,
            width: Short,
            display: "Advertised port",
            map: |port: Option<i32>| port.map(|p| p as u16),
        },
        pub topic_tracking_enable: bool {
            key: "topic.tracking.enable",
            ty: Boolean,
            default: "true",
            importance: Low,
            doc: "Enable tracking the set of active topics per connector during runtime.",
            group: WORKER, order: 12,
            width: Short,
            display: "Topic tracking",
        },
        pub topic_tracking_allow_reset: bool {
            key: "topic.tracking.allow.reset",
            ty: Boolean,
            default: "true",
            importance: Low,
            doc: "If set to true, it allows user requests to reset the set of active topics per \
                  connector.",
            group: WORKER, order: 13,
            width: Short,
            display: "Topic tracking reset",
        },
        /// `connector.client.config.override.policy`: which client overrides connectors may
        /// set. Java's plugin loader resolves the class when the worker starts, so an unknown
        /// one fails start-up.
        pub client_override_policy: ClientOverridePolicy {
            key: OVERRIDE_POLICY_CONFIG,
            ty: String,
            default: "All",
            importance: Medium,
            doc: "Class name or alias of implementation of ConnectorClientConfigOverridePolicy. \
                  Defines what client configurations can be overridden by the connector. The \
                  default implementation is `All`, meaning connector configurations can override \
                  all client properties. The other possible policies in the framework include \
                  `None` to disallow connectors from overriding client properties, and \
                  `Principal` to allow connectors to override only client principals.",
            group: WORKER, order: 14,
            width: Medium,
            display: "Client override policy",
            try_map: |class: String| ClientOverridePolicy::from_class(&class),
        },
        /// REST extensions: only Java's basic auth extension (checked in `from_props_with`).
        pub rest_extension_classes: Vec<String> {
            key: REST_EXTENSION_CLASSES_CONFIG,
            ty: List,
            default: "",
            importance: Low,
            doc: "Comma-separated names of ConnectRestExtension classes, loaded and called in \
                  the order specified. Strait implements \
                  org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension \
                  (HTTP basic authentication against the KafkaConnect entry of the JAAS file, \
                  see java.security.auth.login.config); any other class is refused at \
                  start-up.",
            group: WORKER, order: 15,
            width: Long,
            display: "REST extensions",
        },
        /// `config.providers`: provider names; each one's class and parameters are
        /// `config.providers.<name>.class` / `.param.*` (see [`crate::config_provider`]).
        pub config_provider_names: Vec<String> {
            key: CONFIG_PROVIDERS_CONFIG,
            ty: List,
            default: "",
            importance: Low,
            doc: "Comma-separated names of ConfigProvider classes, loaded and used in the order \
                  specified. Implementing the interface  ConfigProvider allows you to replace \
                  variable references in connector configurations, such as for externalized \
                  secrets. ",
            group: WORKER, order: 16,
            width: Long,
            display: "Config providers",
        },
        /// Strait's worker-wide budget for sink data held in memory (see [`crate::memory`]).
        pub sink_buffer_memory_bytes: usize {
            key: SINK_BUFFER_MEMORY_BYTES_CONFIG,
            ty: Long,
            default: "536870912",
            validator: Validator::at_least(1048576.0),
            importance: Medium,
            doc: "Strait only. Upper bound, in bytes, on the data all sink tasks of this worker \
                  hold in memory before it is durable (open files of storage sinks such as the \
                  S3 sink: Parquet row groups in progress, encoded bytes waiting for an upload \
                  part). When the total passes it, sinks flush their largest buffers early: the \
                  S3 sink commits those files before flush.size or a rotation would, which \
                  breaks the one-name-per-record-set exactly-once property for those files. \
                  Kafka Connect has no such bound (each open S3 file holds an s3.part.size \
                  buffer).",
            group: WORKER, order: 17,
            width: Long,
            display: "Sink buffer memory",
            map: |n: i64| n as usize,
        },
        /// Strait's connector naming policy, checked when a connector is created (see
        /// [`crate::naming_policy`]).
        pub connector_name_policy: ConnectorNamePolicy {
            key: CONNECTOR_NAME_POLICY_CONFIG,
            ty: String,
            default: "none",
            validator: Validator::OneOf(POLICIES),
            importance: Low,
            doc: "Strait only. The names a connector may be created with. `none` (the default, \
                  as Kafka Connect): any name. `dedicated`: \
                  `{business_unit}-{stage}-{id}-connector`, e.g. \
                  `sales-dev-analytics-snowflake-connector`. `shared`: \
                  `{landing_zone}-{business_unit}-{stage}-{id}-connector`, e.g. \
                  `edh-shared-scada-dev-analytics-snowflake-connector`. Words are lowercase \
                  letters and digits; landing_zone and id are one or more words joined by `-`, \
                  business_unit is one word, stage is `dev`, `qas` or `run`. Creating a \
                  connector with another name (POST /connectors, PUT \
                  /connectors/{name}/config, a standalone connector file) is refused with 400; \
                  existing connectors can still be updated.",
            group: WORKER, order: 18,
            width: Short,
            display: "Connector naming policy",
            try_map: |policy: String| ConnectorNamePolicy::from_config(&policy),
        },
        /// Whether source connectors with `topic.creation.*` keys create their topics (see
        /// [`crate::topic_creation`]); when off those keys are ignored.
        pub topic_creation_enable: bool {
            key: "topic.creation.enable",
            ty: Boolean,
            default: "true",
            importance: Low,
            doc: "Whether to allow automatic creation of topics used by source connectors, when \
                  source connectors are configured with `topic.creation.` properties. Each task \
                  will use an admin client to create its topics and will not depend on the Kafka \
                  brokers to create topics automatically.",
            group: WORKER, order: 19,
            width: Short,
            display: "Topic creation",
        },
        /// The window of the windowed metrics (rates, averages, maxima) on `GET /metrics`.
        pub metrics_sample_window_ms: u64 {
            key: "metrics.sample.window.ms",
            ty: Long,
            default: "30000",
            validator: Validator::at_least(1.0),
            importance: Low,
            doc: "The window of time a metrics sample is computed over.",
            group: WORKER, order: 20,
            width: Short,
            display: "Metrics sample window",
            map: |n: i64| n as u64,
        },
        /// How many windows the windowed metrics keep.
        pub metrics_num_samples: usize {
            key: "metrics.num.samples",
            ty: Int,
            default: "2",
            validator: Validator::at_least(1.0),
            importance: Low,
            doc: "The number of samples maintained to compute metrics.",
            group: WORKER, order: 21,
            width: Short,
            display: "Metrics samples",
            map: |n: i32| n as usize,
        },
        /// Whether tasks record the windowed metrics (see [`crate::metrics`]).
        pub strait_metrics_enabled: bool {
            key: "strait.metrics.enabled",
            ty: Boolean,
            default: "true",
            importance: Low,
            doc: "Strait only. Whether tasks record the windowed metrics served on GET /metrics \
                  (rates, averages, maxima, ratios). When false, only the totals are kept (e.g. \
                  sink-record-read-total) and the windowed metrics read NaN or 0; recording \
                  costs one uncontended lock per batch.",
            group: WORKER, order: 22,
            width: Short,
            display: "Metrics",
        },
        /// Every key as given (variables resolved), for the `producer.`, `consumer.`, `admin.`
        /// and converter prefixes.
        pub originals: Props { originals },
        /// The providers that resolve variables in connector configs (Java's
        /// `WorkerConfigTransformer`).
        pub config_providers: ConfigProviders { derived },
        /// The REST server's security keys (CORS, `admin.listeners`, `ssl.*`, the JAAS file).
        pub rest: RestServerConfig { derived },
    }
}

/// The start-up refusal of a key Strait cannot honour safely, or `None` when it is unset/empty.
/// Strait's worker-wide sink memory budget key.
pub const SINK_BUFFER_MEMORY_BYTES_CONFIG: &str = "sink.buffer.memory.bytes";

fn refused(key: &str, value: &str) -> Option<Error> {
    let unknown: Vec<&str> = value
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty() && *v != crate::rest::basic_auth::EXTENSION_CLASS)
        .collect();
    if unknown.is_empty() {
        return None;
    }
    let why = format!(
        "Strait implements only the REST extension {}, and starting without the others would leave the REST API unprotected",
        crate::rest::basic_auth::EXTENSION_CLASS
    );
    Some(Error::unsupported(format!(
        "Invalid worker configuration: {key}: {}: {why}",
        unknown.join(", ")
    )))
}

/// Keys Strait does not use: neither defined, nor compatibility keys with their own warning,
/// nor legacy REST keys, nor passed on to clients or converters (sorted).
fn unused_keys<'a>(def: &ConfigDef, props: &'a Props) -> Vec<&'a str> {
    props
        .keys()
        .map(String::as_str)
        .filter(|k| {
            def.key(k).is_none()
                && RestServerConfig::config_def().key(k).is_none()
                && !IGNORED_KEYS.contains(k)
                && !LEGACY_KEYS.contains(k)
                && !PASSED_ON_PREFIXES.iter().any(|p| k.starts_with(p))
        })
        .collect()
}

impl WorkerConfig {
    /// Parse and validate a worker config; every problem is reported at once.
    pub fn from_props(props: &Props) -> Result<Self> {
        Self::from_props_with(props, &ConfigDef::new())
    }

    /// As [`from_props`](Self::from_props), for a mode that defines more keys (`extra`, e.g.
    /// distributed mode's): those are validated by the caller and not reported as unused.
    pub fn from_props_with(props: &Props, extra: &ConfigDef) -> Result<Self> {
        // Java's `AbstractConfig` resolves the variables first; the keys are parsed from (and
        // `originals` keeps) the resolved values.
        let props = &resolve_worker_props(props)?;
        let def = Self::config_def();
        let errors = def.errors(props);
        if !errors.is_empty() {
            return Err(Error::config(format!(
                "Invalid worker configuration:\n  {}",
                errors.join("\n  ")
            )));
        }
        // `rest.host.name` / `rest.port` predate `listeners` (Kafka removed them in 3.0). Old
        // worker files still carry them, so they are honoured when `listeners` is absent.
        let mut props = props.clone();
        if props.contains_key("rest.port") || props.contains_key("rest.host.name") {
            if props.contains_key("listeners") {
                tracing::warn!("rest.host.name / rest.port are ignored because listeners is set");
            } else {
                let port = props
                    .get("rest.port")
                    .map(|p| p.trim().to_string())
                    .unwrap_or_else(|| "8083".into());
                if port.parse::<u16>().is_err() {
                    return Err(Error::config(format!(
                        "Invalid value {port} for configuration rest.port: Not a number of type INT"
                    )));
                }
                let host = props
                    .get("rest.host.name")
                    .map(|h| h.trim().to_string())
                    .unwrap_or_default();
                tracing::warn!(
                    "rest.host.name / rest.port are deprecated (removed from Kafka Connect in 3.0); using listeners=http://{host}:{port}"
                );
                props.insert("listeners".into(), format!("http://{host}:{port}"));
            }
        }
        let props = &props;
        if let Some(e) = props
            .get(REST_EXTENSION_CLASSES_CONFIG)
            .and_then(|v| refused(REST_EXTENSION_CLASSES_CONFIG, v))
        {
            return Err(e);
        }
        // Every `ConfigDef` check passed above; what can still fail is the override policy's
        // class, which Java resolves when the worker starts, and the providers' classes.
        let mut config = Self::parse(props)?;
        config.config_providers = ConfigProviders::from_worker_props(props)?;
        config.rest = RestServerConfig::from_worker_props(props)?;
        config.rest_listener_is_https()?;
        for key in IGNORED_KEYS {
            if props.contains_key(*key) {
                tracing::warn!(
                    key,
                    "worker configuration key has no effect in Strait and is ignored"
                );
            }
        }
        let unused: Vec<&str> = unused_keys(&def, props)
            .into_iter()
            .filter(|k| extra.key(k).is_none())
            .collect();
        if !unused.is_empty() {
            // Kafka 4.x's `AbstractConfig.logUnused` text (a Java `Set` printed as `[a, b]`).
            tracing::warn!(
                "These configurations '[{}]' were supplied but are not used yet.",
                unused.join(", ")
            );
        }
        Ok(config)
    }

    /// The worker's converter class for `role`.
    pub fn converter_class(&self, role: ConverterRole) -> &str {
        match role {
            ConverterRole::Key => &self.key_converter,
            ConverterRole::Value => &self.value_converter,
            ConverterRole::Header => &self.header_converter,
        }
    }

    /// Worker-level client overrides: `producer.*`, `consumer.*`, `admin.*` with prefix stripped.
    pub fn client_props(&self, prefix: &str) -> Props {
        with_prefix(&self.originals, prefix)
    }

    /// Whether the first listener is `https` (its TLS settings: [`RestServerConfig::https_ssl`]).
    pub fn rest_listener_is_https(&self) -> Result<bool> {
        let first = self
            .listeners
            .first()
            .map(String::as_str)
            .unwrap_or("http://:8083");
        self.rest_listener()?;
        Ok(first
            .split_once("://")
            .is_some_and(|(proto, _)| proto.eq_ignore_ascii_case("https")))
    }

    /// The first listener as (host, port). Kafka's form is `protocol://host:port`, protocol
    /// `http` or `https`; an empty host binds every interface.
    pub fn rest_listener(&self) -> Result<(String, u16)> {
        let first = self
            .listeners
            .first()
            .map(String::as_str)
            .unwrap_or("http://:8083");
        let (proto, rest) = first
            .split_once("://")
            .ok_or_else(|| Error::config(format!("Could not parse listener URL {first}")))?;
        if !proto.eq_ignore_ascii_case("http") && !proto.eq_ignore_ascii_case("https") {
            return Err(Error::config(
                "Listener protocol must be either \"http\" or \"https\".",
            ));
        }
        let (host, port) = rest
            .rsplit_once(':')
            .ok_or_else(|| Error::config(format!("Could not parse listener URL {first}")))?;
        let port: u16 = port
            .parse()
            .map_err(|_| Error::config(format!("Invalid port in listener {first}")))?;
        Ok((host.trim_matches(['[', ']']).to_string(), port))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_properties;

    #[test]
    fn stock_standalone_file_parses_with_defaults() {
        let props = parse_properties(
            "bootstrap.servers=localhost:9092\nkey.converter=org.apache.kafka.connect.json.JsonConverter\nvalue.converter=org.apache.kafka.connect.json.JsonConverter\nkey.converter.schemas.enable=true\noffset.storage.file.filename=/tmp/connect.offsets\noffset.flush.interval.ms=10000\nplugin.path=/usr/share/java\nproducer.linger.ms=5\n",
        )
        .unwrap();
        let w = WorkerConfig::from_props(&props).unwrap();
        assert_eq!(w.offset_flush_interval, Duration::from_secs(10));
        assert_eq!(w.offset_flush_timeout, Duration::from_secs(5));
        assert_eq!(w.rest_listener().unwrap(), ("".to_string(), 8083));
        assert_eq!(w.client_props("producer.")["linger.ms"], "5");
        assert_eq!(
            w.header_converter,
            "org.apache.kafka.connect.storage.SimpleHeaderConverter"
        );
    }

    #[test]
    fn every_key_lands_in_its_typed_field() {
        let mut p = base();
        for (k, v) in [
            ("bootstrap.servers", "a:1, b:2"),
            ("offset.flush.timeout.ms", "250"),
            ("task.shutdown.graceful.timeout.ms", "0"),
            ("offset.storage.file.filename", " /tmp/o "),
            ("listeners", "http://h:1,http://h:2"),
            ("rest.advertised.host.name", "w1"),
            ("rest.advertised.port", "9000"),
            ("topic.tracking.enable", "false"),
            ("topic.tracking.allow.reset", "FALSE"),
            ("header.converter", "c"),
        ] {
            p.insert(k.into(), v.into());
        }
        let w = WorkerConfig::from_props(&p).unwrap();
        assert_eq!(w.bootstrap_servers, "a:1,b:2");
        assert_eq!(
            (w.key_converter.as_str(), w.value_converter.as_str()),
            ("a", "b")
        );
        assert_eq!(w.converter_class(ConverterRole::Header), "c");
        assert_eq!(w.offset_flush_interval, Duration::from_secs(60));
        assert_eq!(w.offset_flush_timeout, Duration::from_millis(250));
        assert_eq!(w.task_shutdown_graceful_timeout, Duration::ZERO);
        assert_eq!(w.offset_storage_file.as_deref(), Some("/tmp/o"));
        assert_eq!(w.listeners, ["http://h:1", "http://h:2"]);
        assert_eq!(w.rest_advertised_host_name.as_deref(), Some("w1"));
        assert_eq!(w.rest_advertised_port, Some(9000));
        assert!(!w.topic_tracking_enable && !w.topic_tracking_allow_reset);
        assert_eq!(w.originals, p);
        let defaults = WorkerConfig::from_props(&base()).unwrap();
        assert_eq!(defaults.bootstrap_servers, "localhost:9092");
        assert_eq!(defaults.rest_advertised_port, None);
        assert!(defaults.topic_tracking_enable && defaults.topic_tracking_allow_reset);
        assert_eq!(
            defaults.sink_buffer_memory_bytes,
            crate::memory::DEFAULT_LIMIT_BYTES
        );
        let mut small = base();
        small.insert(SINK_BUFFER_MEMORY_BYTES_CONFIG.into(), "1000".into());
        let err = WorkerConfig::from_props(&small).unwrap_err();
        assert!(
            err.message().contains(SINK_BUFFER_MEMORY_BYTES_CONFIG),
            "{err}"
        );
        // The declaration numbers the keys of its one group in declaration order.
        let def = WorkerConfig::config_def();
        let orders: Vec<i32> = def.keys().iter().map(|k| k.order).collect();
        assert_eq!(orders, (1..=22).collect::<Vec<_>>());
        assert!(defaults.topic_creation_enable);
        assert_eq!(
            (
                defaults.metrics_sample_window_ms,
                defaults.metrics_num_samples,
                defaults.strait_metrics_enabled
            ),
            (30_000, 2, true)
        );
        let mut no_samples = base();
        no_samples.insert("metrics.num.samples".into(), "0".into());
        let err = WorkerConfig::from_props(&no_samples).unwrap_err();
        assert!(err.message().contains("metrics.num.samples"), "{err}");
        assert_eq!(defaults.connector_name_policy, ConnectorNamePolicy::None);
        let mut shared = base();
        shared.insert(CONNECTOR_NAME_POLICY_CONFIG.into(), "shared".into());
        assert_eq!(
            WorkerConfig::from_props(&shared)
                .unwrap()
                .connector_name_policy,
            ConnectorNamePolicy::Shared
        );
        shared.insert(CONNECTOR_NAME_POLICY_CONFIG.into(), "strict".into());
        let err = WorkerConfig::from_props(&shared).unwrap_err();
        assert!(
            err.message().contains(CONNECTOR_NAME_POLICY_CONFIG),
            "{err}"
        );
        assert_eq!(def.groups(), ["Worker"]);
    }

    #[test]
    fn missing_converters_are_reported_together() {
        let err = WorkerConfig::from_props(&Props::new()).unwrap_err();
        assert!(err.message().contains("\"key.converter\""), "{err}");
        assert!(err.message().contains("\"value.converter\""), "{err}");
    }

    #[test]
    fn legacy_rest_port_is_honoured_without_listeners() {
        let mut p = parse_properties(
            "key.converter=a\nvalue.converter=b\nrest.port=9999\nrest.host.name=127.0.0.1",
        )
        .unwrap();
        assert_eq!(
            WorkerConfig::from_props(&p)
                .unwrap()
                .rest_listener()
                .unwrap(),
            ("127.0.0.1".to_string(), 9999)
        );
        p.insert("listeners".into(), "http://:8084".into());
        assert_eq!(
            WorkerConfig::from_props(&p)
                .unwrap()
                .rest_listener()
                .unwrap(),
            ("".to_string(), 8084)
        );
        p.insert("rest.port".into(), "x".into());
        p.remove("listeners");
        assert!(WorkerConfig::from_props(&p)
            .unwrap_err()
            .message()
            .contains("rest.port"));
        p.remove("rest.port");
        p.insert("listeners".into(), "https://:8443".into());
        let w = WorkerConfig::from_props(&p).unwrap();
        assert_eq!(w.rest_listener().unwrap(), ("".to_string(), 8443));
        assert!(w.rest_listener_is_https().unwrap());
        p.insert("listeners".into(), "ftp://:21".into());
        assert!(WorkerConfig::from_props(&p).is_err());
    }

    fn base() -> Props {
        parse_properties("key.converter=a\nvalue.converter=b\n").unwrap()
    }

    #[test]
    fn only_the_basic_auth_rest_extension_is_accepted() {
        let key = "rest.extension.classes";
        let mut p = base();
        p.insert(key.into(), crate::rest::basic_auth::EXTENSION_CLASS.into());
        let w = WorkerConfig::from_props(&p).unwrap();
        assert_eq!(
            w.rest_extension_classes,
            [crate::rest::basic_auth::EXTENSION_CLASS]
        );
        p.insert(
            key.into(),
            format!(
                "{}, com.example.Audit",
                crate::rest::basic_auth::EXTENSION_CLASS
            ),
        );
        let err = WorkerConfig::from_props(&p).unwrap_err();
        assert!(err.message().contains("com.example.Audit"), "{err}");
        assert!(err.message().contains("REST API unprotected"), "{err}");
        // Empty means "none", as in Java.
        p.insert(key.into(), " ".into());
        WorkerConfig::from_props(&p).unwrap();
    }

    #[test]
    fn variables_resolve_before_parsing_and_providers_serve_connectors() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("worker-secrets.properties");
        std::fs::write(&file, "port=9999\nlinger=7\n").unwrap();
        let mut p = base();
        for (k, v) in [
            ("config.providers", "file"),
            (
                "config.providers.file.class",
                crate::config_provider::FILE_CONFIG_PROVIDER,
            ),
            (
                "config.providers.file.param.allowed.paths",
                &dir.path().display().to_string(),
            ),
            (
                "offset.flush.timeout.ms",
                &format!("${{file:{}:port}}", file.display()),
            ),
            (
                "producer.linger.ms",
                &format!("${{file:{}:linger}}", file.display()),
            ),
        ] {
            p.insert(k.into(), v.to_string());
        }
        let w = WorkerConfig::from_props(&p).unwrap();
        assert_eq!(w.offset_flush_timeout, Duration::from_millis(9999));
        assert_eq!(w.client_props("producer.")["linger.ms"], "7");
        assert_eq!(w.config_provider_names, ["file"]);
        let connector =
            crate::config::props_from(&[("topic", &format!("${{file:{}:port}}", file.display()))]);
        assert_eq!(
            w.config_providers.transform(&connector).unwrap()["topic"],
            "9999"
        );
        // `config.providers.*` keys are the providers', not unused.
        assert!(unused_keys(&WorkerConfig::config_def(), &p).is_empty());
        // No providers: nothing resolves.
        assert!(WorkerConfig::from_props(&base())
            .unwrap()
            .config_providers
            .is_empty());
    }

    #[test]
    fn override_policy_is_typed_and_defaults_to_all() {
        let mut p = base();
        assert_eq!(
            WorkerConfig::from_props(&p).unwrap().client_override_policy,
            ClientOverridePolicy::All
        );
        p.insert(OVERRIDE_POLICY_CONFIG.into(), "Principal".into());
        assert_eq!(
            WorkerConfig::from_props(&p).unwrap().client_override_policy,
            ClientOverridePolicy::Principal
        );
        p.insert(OVERRIDE_POLICY_CONFIG.into(), "com.example.Mine".into());
        let err = WorkerConfig::from_props(&p).unwrap_err();
        assert_eq!(err.fault(), crate::error::Fault::Config);
        assert!(err.message().contains("com.example.Mine"), "{err}");
    }

    #[test]
    fn only_keys_strait_does_not_use_are_reported_unused() {
        let p = parse_properties(
            "key.converter=a\nvalue.converter=b\nvalue.converter.schemas.enable=false\nproducer.linger.ms=5\nconsumer.x=1\nadmin.y=2\nlisteners.https.ssl.key.password=p\nplugin.path=/x\nrest.port=8083\ngroup.id=connect-cluster\nssl.keystore.location=/k\n",
        )
        .unwrap();
        assert_eq!(
            unused_keys(&WorkerConfig::config_def(), &p),
            vec!["group.id"]
        );
    }
}
