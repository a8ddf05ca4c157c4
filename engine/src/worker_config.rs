//! Worker configuration: the keys and defaults of Kafka Connect's `connect-standalone.properties`
//! / `connect-distributed.properties` (`WorkerConfig`, `StandaloneConfig`, `RestServerConfig`).
//! Java-only keys that mean nothing here (e.g. `plugin.path`) are accepted with a warning; keys
//! whose absence would weaken security (`rest.extension.classes`, `config.providers`) are refused
//! until Strait implements them; any other key Strait does not use gets Java's "not used" warning.

use std::time::Duration;

use crate::config::{
    with_prefix, ConfigDef, ConfigType, Default, Importance, Props, Validator, Width,
};
use crate::error::{Error, Result};
use crate::kafka::{ClientOverridePolicy, OVERRIDE_POLICY_CONFIG};
use crate::plugin::ConverterRole;

/// Keys accepted for compatibility that have no effect in Strait.
pub const IGNORED_KEYS: &[&str] = &[
    "plugin.path",
    "plugin.discovery",
    "metric.reporters",
    "metrics.sample.window.ms",
    "metrics.num.samples",
    "metrics.recording.level",
    "internal.key.converter",
    "internal.value.converter",
    "client.dns.lookup",
];

/// `rest.extension.classes`: refused when set, since the extensions (e.g. Java's
/// `BasicAuthSecurityRestExtension`) do not exist here and ignoring them would open the REST API.
pub const REST_EXTENSION_CLASSES_CONFIG: &str = "rest.extension.classes";
/// `config.providers`: refused when set, since ignoring it would leave `${provider:…}`
/// references literal (a file named `${env:OUT}`, a reference sent as a password).
pub const CONFIG_PROVIDERS_CONFIG: &str = "config.providers";

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
];

/// Keys read outside the definition: the pre-3.0 REST listener settings.
const LEGACY_KEYS: &[&str] = &["rest.host.name", "rest.port"];

/// Typed worker configuration.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub bootstrap_servers: String,
    pub key_converter: String,
    pub value_converter: String,
    pub header_converter: String,
    pub offset_flush_interval: Duration,
    pub offset_flush_timeout: Duration,
    pub task_shutdown_graceful_timeout: Duration,
    /// Standalone only: `offset.storage.file.filename`.
    pub offset_storage_file: Option<String>,
    pub listeners: Vec<String>,
    pub rest_advertised_host_name: Option<String>,
    pub rest_advertised_port: Option<u16>,
    pub topic_tracking_enable: bool,
    pub topic_tracking_allow_reset: bool,
    /// `connector.client.config.override.policy`: which client overrides connectors may set.
    pub client_override_policy: ClientOverridePolicy,
    /// Every key as given, for the `producer.`, `consumer.`, `admin.` and converter prefixes.
    pub originals: Props,
}

/// The worker config definition (shared keys plus standalone's offsets file).
pub fn worker_config_def() -> ConfigDef {
    let g = Some("Worker");
    ConfigDef::new()
        .define("bootstrap.servers", ConfigType::List, Default::Value("localhost:9092".into()), Validator::None, Importance::High, "A list of host/port pairs used to establish the initial connection to the Kafka cluster.", g, Width::Long, "Bootstrap servers")
        .define("key.converter", ConfigType::Class, Default::Required, Validator::None, Importance::High, "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka (record keys).", g, Width::Long, "Key converter")
        .define("value.converter", ConfigType::Class, Default::Required, Validator::None, Importance::High, "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka (record values).", g, Width::Long, "Value converter")
        .define("header.converter", ConfigType::Class, Default::Value("org.apache.kafka.connect.storage.SimpleHeaderConverter".into()), Validator::None, Importance::Low, "HeaderConverter class used to convert between Kafka Connect format and the serialized form that is written to Kafka.", g, Width::Long, "Header converter")
        .define("offset.flush.interval.ms", ConfigType::Long, Default::Value("60000".into()), Validator::Range { min: Some(0.0), max: None }, Importance::Low, "Interval at which to try committing offsets for tasks.", g, Width::Short, "Offset flush interval")
        .define("offset.flush.timeout.ms", ConfigType::Long, Default::Value("5000".into()), Validator::Range { min: Some(0.0), max: None }, Importance::Low, "Maximum number of milliseconds to wait for records to flush and partition offset data to be committed to offset storage before cancelling the process.", g, Width::Short, "Offset flush timeout")
        .define("task.shutdown.graceful.timeout.ms", ConfigType::Long, Default::Value("5000".into()), Validator::Range { min: Some(0.0), max: None }, Importance::Low, "Amount of time to wait for tasks to shutdown gracefully.", g, Width::Short, "Task shutdown timeout")
        .define("offset.storage.file.filename", ConfigType::String, Default::Null, Validator::None, Importance::High, "File to store source connector offsets (standalone mode).", g, Width::Long, "Offsets file")
        .define("listeners", ConfigType::List, Default::Value("http://:8083".into()), Validator::None, Importance::Low, "List of comma-separated URIs the REST API will listen on.", g, Width::Long, "REST listeners")
        .define("rest.advertised.host.name", ConfigType::String, Default::Null, Validator::None, Importance::Low, "Hostname given out to other workers to connect to.", g, Width::Medium, "Advertised host")
        .define("rest.advertised.port", ConfigType::Int, Default::Null, Validator::None, Importance::Low, "Port given out to other workers to connect to.", g, Width::Short, "Advertised port")
        .define("topic.tracking.enable", ConfigType::Boolean, Default::Value("true".into()), Validator::None, Importance::Low, "Enable tracking the set of active topics per connector during runtime.", g, Width::Short, "Topic tracking")
        .define("topic.tracking.allow.reset", ConfigType::Boolean, Default::Value("true".into()), Validator::None, Importance::Low, "If set to true, it allows user requests to reset the set of active topics per connector.", g, Width::Short, "Topic tracking reset")
        .define(OVERRIDE_POLICY_CONFIG, ConfigType::String, Default::Value("All".into()), Validator::None, Importance::Medium, "Class name or alias of implementation of ConnectorClientConfigOverridePolicy. Defines what client configurations can be overridden by the connector. The default implementation is `All`, meaning connector configurations can override all client properties. The other possible policies in the framework include `None` to disallow connectors from overriding client properties, and `Principal` to allow connectors to override only client principals.", g, Width::Medium, "Client override policy")
        .define(REST_EXTENSION_CLASSES_CONFIG, ConfigType::List, Default::Value("".into()), Validator::None, Importance::Low, "Comma-separated names of ConnectRestExtension classes. Not supported by Strait yet: a non-empty value is refused at start-up, because running without the extensions (e.g. BasicAuthSecurityRestExtension) would leave the REST API open.", g, Width::Long, "REST extensions")
        .define(CONFIG_PROVIDERS_CONFIG, ConfigType::List, Default::Value("".into()), Validator::None, Importance::Low, "Comma-separated names of ConfigProvider classes. Not supported by Strait yet: a non-empty value is refused at start-up, and connector configs with ${provider:path:key} references are rejected, instead of passing the references on unresolved.", g, Width::Long, "Config providers")
}

/// The start-up refusal of a key Strait cannot honour safely, or `None` when it is unset/empty.
fn refused(key: &str, value: &str) -> Option<Error> {
    if value.split(',').all(|v| v.trim().is_empty()) {
        return None;
    }
    let why = match key {
        REST_EXTENSION_CLASSES_CONFIG => "REST extensions are not supported by Strait yet, and starting without them (e.g. without BasicAuthSecurityRestExtension) would leave the REST API unprotected. Remove the key to run without REST extensions",
        _ => "config providers are not supported by Strait yet, and ${provider:path:key} references would be passed on unresolved. Remove the key and put the values in the configurations themselves",
    };
    Some(Error::unsupported(format!(
        "Invalid worker configuration: {key}={}: {why}",
        value.trim()
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
                && !IGNORED_KEYS.contains(k)
                && !LEGACY_KEYS.contains(k)
                && !PASSED_ON_PREFIXES.iter().any(|p| k.starts_with(p))
        })
        .collect()
}

impl WorkerConfig {
    /// Parse and validate a worker config; every problem is reported at once.
    pub fn from_props(props: &Props) -> Result<Self> {
        let def = worker_config_def();
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
        for key in [REST_EXTENSION_CLASSES_CONFIG, CONFIG_PROVIDERS_CONFIG] {
            if let Some(e) = props.get(key).and_then(|v| refused(key, v)) {
                return Err(e);
            }
        }
        let client_override_policy = ClientOverridePolicy::of_worker(props)?;
        for key in IGNORED_KEYS {
            if props.contains_key(*key) {
                tracing::warn!(
                    key,
                    "worker configuration key has no effect in Strait and is ignored"
                );
            }
        }
        let unused = unused_keys(&def, props);
        if !unused.is_empty() {
            // Kafka 4.x's `AbstractConfig.logUnused` text (a Java `Set` printed as `[a, b]`).
            tracing::warn!(
                "These configurations '[{}]' were supplied but are not used yet.",
                unused.join(", ")
            );
        }
        let c = def.parse(props)?;
        let ms = |k: &str| Duration::from_millis(c.long(k).unwrap_or(0).max(0) as u64);
        Ok(WorkerConfig {
            bootstrap_servers: c.list("bootstrap.servers").join(","),
            key_converter: c.string("key.converter").unwrap_or_default().to_string(),
            value_converter: c.string("value.converter").unwrap_or_default().to_string(),
            header_converter: c.string("header.converter").unwrap_or_default().to_string(),
            offset_flush_interval: ms("offset.flush.interval.ms"),
            offset_flush_timeout: ms("offset.flush.timeout.ms"),
            task_shutdown_graceful_timeout: ms("task.shutdown.graceful.timeout.ms"),
            offset_storage_file: c.string("offset.storage.file.filename").map(str::to_string),
            listeners: c.list("listeners"),
            rest_advertised_host_name: c.string("rest.advertised.host.name").map(str::to_string),
            rest_advertised_port: c.int("rest.advertised.port").map(|p| p as u16),
            topic_tracking_enable: c.bool("topic.tracking.enable").unwrap_or(true),
            topic_tracking_allow_reset: c.bool("topic.tracking.allow.reset").unwrap_or(true),
            client_override_policy,
            originals: props.clone(),
        })
    }

    /// Worker-level client overrides: `producer.*`, `consumer.*`, `admin.*` with prefix stripped.
    /// The worker's converter class for `role`.
    pub fn converter_class(&self, role: ConverterRole) -> &str {
        match role {
            ConverterRole::Key => &self.key_converter,
            ConverterRole::Value => &self.value_converter,
            ConverterRole::Header => &self.header_converter,
        }
    }

    pub fn client_props(&self, prefix: &str) -> Props {
        with_prefix(&self.originals, prefix)
    }

    /// The first listener as (host, port). Kafka's form is `protocol://host:port`; an empty host
    /// binds every interface. Only `http` is supported for now (TLS listeners are rejected).
    pub fn rest_listener(&self) -> Result<(String, u16)> {
        let first = self
            .listeners
            .first()
            .map(String::as_str)
            .unwrap_or("http://:8083");
        let (proto, rest) = first
            .split_once("://")
            .ok_or_else(|| Error::config(format!("Could not parse listener URL {first}")))?;
        if !proto.eq_ignore_ascii_case("http") {
            return Err(Error::unsupported(format!(
                "Listener protocol {proto} is not supported yet (only http)"
            )));
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
        assert!(WorkerConfig::from_props(&p)
            .unwrap()
            .rest_listener()
            .is_err());
    }

    fn base() -> Props {
        parse_properties("key.converter=a\nvalue.converter=b\n").unwrap()
    }

    #[test]
    fn rest_extensions_and_config_providers_are_refused_when_set() {
        for (key, value, says) in [
            (
                "rest.extension.classes",
                "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension",
                "REST API unprotected",
            ),
            ("config.providers", "env", "unresolved"),
        ] {
            let mut p = base();
            p.insert(key.into(), value.into());
            let err = WorkerConfig::from_props(&p).unwrap_err();
            assert!(err.message().contains(&format!("{key}={value}")), "{err}");
            assert!(err.message().contains(says), "{err}");
            // Empty means "none", as in Java.
            p.insert(key.into(), " ".into());
            WorkerConfig::from_props(&p).unwrap();
        }
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
            unused_keys(&worker_config_def(), &p),
            vec!["group.id", "ssl.keystore.location"]
        );
    }
}
