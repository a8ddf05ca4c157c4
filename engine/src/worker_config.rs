//! Worker configuration: the keys and defaults of Kafka Connect's `connect-standalone.properties`
//! / `connect-distributed.properties` (`WorkerConfig`, `StandaloneConfig`, `RestServerConfig`).
//! Java-only keys that mean nothing here (e.g. `plugin.path`) are accepted with a warning.

use std::time::Duration;

use crate::config::{
    with_prefix, ConfigDef, ConfigType, Default, Importance, Props, Validator, Width,
};
use crate::error::{Error, Result};
use crate::plugin::ConverterRole;

/// Keys accepted for compatibility that have no effect in Strait.
pub const IGNORED_KEYS: &[&str] = &[
    "plugin.path",
    "plugin.discovery",
    "metric.reporters",
    "metrics.sample.window.ms",
    "metrics.num.samples",
    "metrics.recording.level",
    "rest.extension.classes",
    "internal.key.converter",
    "internal.value.converter",
    "client.dns.lookup",
    "connector.client.config.override.policy",
];

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
        for key in IGNORED_KEYS {
            if props.contains_key(*key) {
                tracing::warn!(
                    key,
                    "worker configuration key has no effect in Strait and is ignored"
                );
            }
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
}
