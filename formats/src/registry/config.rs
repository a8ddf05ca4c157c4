//! The schema-registry keys the Confluent converters share: Java's
//! `AbstractKafkaSchemaSerDeConfig` (schema-serializer module) with the client keys it takes
//! from `SchemaRegistryClientConfig` (client module), read in
//! `confluentinc/schema-registry` master (8.5.0-0): names, types, defaults and docs are Java's.
//!
//! Where Strait differs from Confluent:
//!
//! - `key.subject.name.strategy` / `value.subject.name.strategy` default to
//!   `TopicNameStrategy` (Confluent's default up to 8.x; 8.5 defaults to `AssociatedNameStrategy`,
//!   which asks the registry's subject-association API first and falls back to
//!   `TopicNameStrategy`). `AssociatedNameStrategy` is refused when named.
//! - Behaviour Strait does not implement is refused with a config error when a key asks for
//!   it, never ignored: TLS (`https://` URLs and every `schema.registry.ssl.*` key),
//!   `SASL_INHERIT` basic auth, bearer sources other than `STATIC_TOKEN`, `mock://` URLs, data
//!   contract rules, schema ids or GUIDs fixed by config, `use.latest.with.metadata`, schema
//!   tags, `schema.format`, context name strategies, custom schema-id (de)serializers and schema
//!   reflection (see [`UNSUPPORTED`]).
//! - Java's client reads `basic.auth.credentials.source` and `bearer.auth.credentials.source`
//!   from the keys as given, not from their documented defaults (`URL`, `STATIC_TOKEN`): with
//!   neither set, no `Authorization` header is sent even if a URL carries credentials. Strait
//!   does the same (see [`RegistryConfig::auth`]).

use std::time::Duration;

use strait_engine::config::{Props, Validator};
use strait_engine::declare_config;
use strait_engine::{Error, Result};

use super::SubjectNameStrategy;

pub const SCHEMA_REGISTRY_URL: &str = "schema.registry.url";
pub const BASIC_AUTH_CREDENTIALS_SOURCE: &str = "basic.auth.credentials.source";
pub const BASIC_AUTH_USER_INFO: &str = "basic.auth.user.info";
/// Deprecated name of [`BASIC_AUTH_USER_INFO`]; it wins when both are set, as in Java.
pub const SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: &str = "schema.registry.basic.auth.user.info";
pub const BEARER_AUTH_CREDENTIALS_SOURCE: &str = "bearer.auth.credentials.source";
pub const BEARER_AUTH_TOKEN: &str = "bearer.auth.token";
pub const LATEST_CACHE_TTL: &str = "latest.cache.ttl.sec";
/// The TTL Java's client uses when `latest.cache.ttl.sec` is not given
/// (`SchemaRegistryClientConfig.LATEST_CACHE_TTL_DEFAULT`; the serde config documents -1).
const LATEST_CACHE_TTL_UNSET_SECS: u64 = 60;

const TOPIC_NAME_STRATEGY: &str = "io.confluent.kafka.serializers.subject.TopicNameStrategy";
const RECORD_NAME_STRATEGY: &str = "io.confluent.kafka.serializers.subject.RecordNameStrategy";
const TOPIC_RECORD_NAME_STRATEGY: &str =
    "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy";
const ASSOCIATED_NAME_STRATEGY: &str =
    "io.confluent.kafka.serializers.subject.AssociatedNameStrategy";

/// Confluent keys whose non-default values ask for behaviour Strait does not implement:
/// `(key, the value(s) that mean "off", why)`. A key given with any other value is refused.
pub const UNSUPPORTED: &[(&str, &[&str], &str)] = &[
    (
        "propagate.schema.tags",
        &["false"],
        "schema tags are not supported",
    ),
    (
        "use.schema.id",
        &["-1"],
        "a schema id fixed by config is not supported",
    ),
    (
        "use.schema.guid",
        &[""],
        "a schema GUID fixed by config is not supported",
    ),
    (
        "use.latest.with.metadata",
        &[""],
        "selecting the latest version by metadata is not supported",
    ),
    ("schema.format", &[""], "schema formats are not supported"),
    (
        "rule.executors",
        &[""],
        "data contract rules are not supported",
    ),
    (
        "rule.actions",
        &[""],
        "data contract rules are not supported",
    ),
    (
        "context.name.strategy",
        &["io.confluent.kafka.serializers.context.NullContextNameStrategy"],
        "schema contexts are not supported",
    ),
    (
        "key.schema.id.serializer",
        &["io.confluent.kafka.serializers.schema.id.PrefixSchemaIdSerializer"],
        "only the magic-byte prefix schema id is supported",
    ),
    (
        "value.schema.id.serializer",
        &["io.confluent.kafka.serializers.schema.id.PrefixSchemaIdSerializer"],
        "only the magic-byte prefix schema id is supported",
    ),
    (
        "key.schema.id.deserializer",
        &["io.confluent.kafka.serializers.schema.id.DualSchemaIdDeserializer"],
        "only the magic-byte prefix schema id is supported",
    ),
    (
        "value.schema.id.deserializer",
        &["io.confluent.kafka.serializers.schema.id.DualSchemaIdDeserializer"],
        "only the magic-byte prefix schema id is supported",
    ),
    (
        "schema.reflection",
        &["false"],
        "schema reflection is a Java-only feature",
    ),
];

declare_config! {
    /// `AbstractKafkaSchemaSerDeConfig`: the registry keys of the Avro, Protobuf and JSON Schema
    /// converters (flatten it into each converter's config). Call [`RegistryConfig::check`] (the
    /// client's constructor does) to refuse what Strait does not implement.
    #[derive(Debug, Clone)]
    pub struct RegistryConfig {
        pub urls: Vec<String> {
            key: SCHEMA_REGISTRY_URL,
            ty: List,
            default: required,
            importance: High,
            doc: "Comma-separated list of URLs for schema registry instances that can be used to \
                  register or look up schemas. If you wish to get a connection to a mocked schema \
                  registry for testing, you can specify a scope using the 'mock://' \
                  pseudo-protocol. For example, 'mock://my-scope-name' corresponds to \
                  'MockSchemaRegistry.getClientForScope(\"my-scope-name\")'.",
        },
        pub url_randomize: bool {
            key: "schema.registry.url.randomize",
            ty: Boolean,
            default: "false",
            importance: Low,
            doc: "Whether to randomize the starting index of the schema registry URL list. This \
                  can help with load balancing if many schema registry clients are using a shared \
                  configuration.",
        },
        pub max_schemas_per_subject: i32 {
            key: "max.schemas.per.subject",
            ty: Int,
            default: "1000",
            importance: Low,
            doc: "Maximum number of schemas to create or cache locally.",
        },
        pub normalize_schemas: bool {
            key: "normalize.schemas",
            ty: Boolean,
            default: "false",
            importance: Medium,
            doc: "Whether to normalize schemas, which generally ignores ordering when it is not \
                  significant",
        },
        pub auto_register_schemas: bool {
            key: "auto.register.schemas",
            ty: Boolean,
            default: "true",
            importance: Medium,
            doc: "Specify if the Serializer should attempt to register the Schema with Schema \
                  Registry",
        },
        pub use_latest_version: bool {
            key: "use.latest.version",
            ty: Boolean,
            default: "false",
            importance: Low,
            doc: "Specify if the Serializer should use the latest subject version for \
                  serialization",
        },
        pub latest_compatibility_strict: bool {
            key: "latest.compatibility.strict",
            ty: Boolean,
            default: "true",
            importance: Low,
            doc: "Whether to check for backward compatibility between the latest subject version \
                  and  the Schema of the object to be serialized",
        },
        pub latest_cache_size: i32 {
            key: "latest.cache.size",
            ty: Int,
            default: "1000",
            importance: Low,
            doc: "The maximum size for caches holding latest schemas",
        },
        pub latest_cache_ttl_sec: i32 {
            key: LATEST_CACHE_TTL,
            ty: Int,
            default: "-1",
            importance: Low,
            doc: "The TTL for caches holding latest schemas, or -1 for no TTL",
        },
        pub basic_auth_credentials_source: String {
            key: BASIC_AUTH_CREDENTIALS_SOURCE,
            ty: String,
            default: "URL",
            importance: Medium,
            doc: "Specify how to pick the credentials for Basic Auth header. The supported values \
                  are URL, USER_INFO and SASL_INHERIT",
        },
        pub bearer_auth_credentials_source: String {
            key: BEARER_AUTH_CREDENTIALS_SOURCE,
            ty: String,
            default: "STATIC_TOKEN",
            importance: Medium,
            doc: "Specify how to pick the credentials for Bearer Auth header. ",
        },
        pub deprecated_user_info: String {
            key: SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO,
            ty: Password,
            default: "",
            importance: Medium,
            doc: "Specify the user info for Basic Auth in the form of {username}:{password}",
        },
        pub user_info: String {
            key: BASIC_AUTH_USER_INFO,
            ty: Password,
            default: "",
            importance: Medium,
            doc: "Specify the user info for Basic Auth in the form of {username}:{password}",
        },
        pub bearer_auth_token: String {
            key: BEARER_AUTH_TOKEN,
            ty: Password,
            default: "",
            importance: Medium,
            doc: "Specify the Bearer token to be used for authentication",
        },
        pub bearer_auth_logical_cluster: Option<String> {
            key: "bearer.auth.logical.cluster",
            ty: String,
            default: null,
            importance: Medium,
            doc: "Additional property which can be used to specify Schema Registry logical \
                  cluster id",
        },
        pub bearer_auth_identity_pool_id: Option<String> {
            key: "bearer.auth.identity.pool.id",
            ty: String,
            default: null,
            importance: Medium,
            doc: "Additional property which can be used to specify identity pool id",
        },
        pub key_subject_name_strategy: SubjectNameStrategy {
            key: "key.subject.name.strategy",
            ty: Class,
            default: TOPIC_NAME_STRATEGY,
            importance: Medium,
            doc: "Determines how to construct the subject name under which the key schema is \
                  registered with the schema registry. By default, <topic>-key is used as \
                  subject.",
            try_map: |class: String| strategy("key.subject.name.strategy", &class),
        },
        pub value_subject_name_strategy: SubjectNameStrategy {
            key: "value.subject.name.strategy",
            ty: Class,
            default: TOPIC_NAME_STRATEGY,
            importance: Medium,
            doc: "Determines how to construct the subject name under which the value schema is \
                  registered with the schema registry. By default, <topic>-value is used as \
                  subject.",
            try_map: |class: String| strategy("value.subject.name.strategy", &class),
        },
        pub proxy_host: String {
            key: "proxy.host",
            ty: String,
            default: "",
            importance: Low,
            doc: "The hostname, or address, of the proxy server that will be used to connect to \
                  the schema registry instances.",
        },
        pub proxy_port: i32 {
            key: "proxy.port",
            ty: Int,
            default: "-1",
            importance: Low,
            doc: "The port number of the proxy server that will be used to connect to the schema \
                  registry instances.",
        },
        pub http_connect_timeout: Duration {
            key: "http.connect.timeout.ms",
            ty: Int,
            default: "60000",
            validator: Validator::at_least(0.0),
            importance: Low,
            doc: "Specify the http connection timeout in milliseconds for schema registry client",
            map: |ms: i32| Duration::from_millis(ms.max(0) as u64),
        },
        pub http_read_timeout: Duration {
            key: "http.read.timeout.ms",
            ty: Int,
            default: "60000",
            validator: Validator::at_least(0.0),
            importance: Low,
            doc: "Specify the http read timeout in milliseconds for schema registry client",
            map: |ms: i32| Duration::from_millis(ms.max(0) as u64),
        },
        pub max_retries: i32 {
            key: "max.retries",
            ty: Int,
            default: "3",
            validator: Validator::at_least(0.0),
            importance: Low,
            doc: "The maximum number of retries for a request",
        },
        pub retries_wait: Duration {
            key: "retries.wait.ms",
            ty: Int,
            default: "1000",
            validator: Validator::at_least(0.0),
            importance: Low,
            doc: "The maximum time to wait for the first retry. When jitter is applied, the \
                  actual wait may be less.",
            map: |ms: i32| Duration::from_millis(ms.max(0) as u64),
        },
        pub retries_max_wait: Duration {
            key: "retries.max.wait.ms",
            ty: Int,
            default: "20000",
            validator: Validator::at_least(0.0),
            importance: Low,
            doc: "The maximum time to wait for any retry.",
            map: |ms: i32| Duration::from_millis(ms.max(0) as u64),
        },
        /// Every key as given: which auth source was set explicitly, `request.header.*`, and the
        /// refused keys.
        pub originals: Props { originals },
    }
}

/// A subject name strategy class name → the strategy (Java's `Type.CLASS` resolution).
fn strategy(key: &str, class: &str) -> Result<SubjectNameStrategy> {
    match class {
        TOPIC_NAME_STRATEGY => Ok(SubjectNameStrategy::TopicName),
        RECORD_NAME_STRATEGY => Ok(SubjectNameStrategy::RecordName),
        TOPIC_RECORD_NAME_STRATEGY => Ok(SubjectNameStrategy::TopicRecordName),
        ASSOCIATED_NAME_STRATEGY => Err(Error::config(format!(
            "Invalid value {class} for configuration {key}: AssociatedNameStrategy (subject \
             associations) is not supported yet; use {TOPIC_NAME_STRATEGY}, \
             {RECORD_NAME_STRATEGY} or {TOPIC_RECORD_NAME_STRATEGY}"
        ))),
        _ => Err(Error::config(format!(
            "Invalid value {class} for configuration {key}: Class {class} could not be found."
        ))),
    }
}

/// How requests authenticate (Java's `BasicAuthCredentialProvider` /
/// `BearerAuthCredentialProvider` as `RestService.configure` picks them).
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    None,
    /// `basic.auth.credentials.source=URL`: each URL's own `user:password@`, if any.
    BasicFromUrl,
    /// `basic.auth.credentials.source=USER_INFO`: this `user:password`.
    Basic(String),
    /// `bearer.auth.credentials.source=STATIC_TOKEN`, with the optional target headers.
    Bearer {
        token: String,
        logical_cluster: Option<String>,
        identity_pool_id: Option<String>,
    },
}

impl std::fmt::Debug for Auth {
    // Never print secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::BasicFromUrl => f.write_str("BasicFromUrl"),
            Auth::Basic(_) => f.write_str("Basic([hidden])"),
            Auth::Bearer { .. } => f.write_str("Bearer([hidden])"),
        }
    }
}

impl RegistryConfig {
    /// Refuse what Strait does not implement (see the module docs), with a config error naming
    /// the key. [`RegistryClient::new`](super::RegistryClient::new) calls it.
    pub fn check(&self) -> Result<()> {
        if self.urls.is_empty() {
            return Err(Error::config(format!(
                "Missing required configuration \"{SCHEMA_REGISTRY_URL}\" which has no default value."
            )));
        }
        for url in &self.urls {
            let parsed = reqwest::Url::parse(url).map_err(|e| {
                Error::config(format!(
                    "Invalid value {url} for configuration {SCHEMA_REGISTRY_URL}: {e}"
                ))
            })?;
            match parsed.scheme() {
                "http" => {}
                "https" => {
                    return Err(Error::config(format!(
                        "Invalid value {url} for configuration {SCHEMA_REGISTRY_URL}: https \
                         (TLS) schema registry URLs are not supported yet; use http"
                    )))
                }
                "mock" => {
                    return Err(Error::config(format!(
                        "Invalid value {url} for configuration {SCHEMA_REGISTRY_URL}: mock:// \
                         (Java's in-process MockSchemaRegistry) is not supported"
                    )))
                }
                other => {
                    return Err(Error::config(format!(
                        "Invalid value {url} for configuration {SCHEMA_REGISTRY_URL}: \
                         unsupported scheme {other:?}"
                    )))
                }
            }
        }
        for (key, value) in &self.originals {
            if key.starts_with("schema.registry.ssl.") && !value.trim().is_empty() {
                return Err(Error::config(format!(
                    "{key} is not supported yet: Strait's schema registry client speaks plain \
                     http only (no TLS)"
                )));
            }
        }
        for (key, off, why) in UNSUPPORTED {
            if let Some(value) = self.originals.get(*key) {
                let v = value.trim();
                if !off.iter().any(|o| o.eq_ignore_ascii_case(v)) {
                    return Err(Error::config(format!(
                        "Invalid value {value} for configuration {key}: {why} in Strait"
                    )));
                }
            }
        }
        if self.max_schemas_per_subject < 1 {
            return Err(Error::config(format!(
                "Invalid value {} for configuration max.schemas.per.subject: must be at least 1",
                self.max_schemas_per_subject
            )));
        }
        if !self.proxy_host.is_empty() && self.proxy_port <= 0 {
            return Err(Error::config(format!(
                "Invalid value {} for configuration proxy.port: proxy.host is set, so proxy.port \
                 must be a port number",
                self.proxy_port
            )));
        }
        self.auth().map(|_| ())
    }

    /// The authentication `RestService.configure` would pick: only from sources given
    /// explicitly, both at once refused with Java's message.
    pub fn auth(&self) -> Result<Auth> {
        let given = |key: &str| {
            self.originals
                .get(key)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let basic = given(BASIC_AUTH_CREDENTIALS_SOURCE);
        let bearer = given(BEARER_AUTH_CREDENTIALS_SOURCE);
        match (basic, bearer) {
            (Some(_), Some(_)) => Err(Error::config(format!(
                "Only one of '{BASIC_AUTH_CREDENTIALS_SOURCE}' and \
                 '{BEARER_AUTH_CREDENTIALS_SOURCE}' may be specified"
            ))),
            (Some(source), None) => match source.as_str() {
                "URL" => Ok(Auth::BasicFromUrl),
                "USER_INFO" => {
                    let info = if !self.deprecated_user_info.is_empty() {
                        &self.deprecated_user_info
                    } else {
                        &self.user_info
                    };
                    if info.is_empty() {
                        return Err(Error::config(format!(
                            "UserInfo must be provided when {BASIC_AUTH_CREDENTIALS_SOURCE} is \
                             set to USER_INFO"
                        )));
                    }
                    Ok(Auth::Basic(info.clone()))
                }
                "SASL_INHERIT" => Err(Error::config(format!(
                    "Invalid value SASL_INHERIT for configuration \
                     {BASIC_AUTH_CREDENTIALS_SOURCE}: inheriting the Kafka client's SASL \
                     credentials is not supported yet; use USER_INFO with \
                     {BASIC_AUTH_USER_INFO}"
                ))),
                // Java's factory finds no provider and silently sends no credentials.
                other => Err(Error::config(format!(
                    "Invalid value {other} for configuration {BASIC_AUTH_CREDENTIALS_SOURCE}: \
                     the supported values are URL and USER_INFO"
                ))),
            },
            (None, Some(source)) => match source.as_str() {
                "STATIC_TOKEN" => {
                    if self.bearer_auth_token.is_empty() {
                        return Err(Error::config(format!(
                            "Token must be provided via {BEARER_AUTH_TOKEN} config when \
                             {BEARER_AUTH_CREDENTIALS_SOURCE} is set to STATIC_TOKEN"
                        )));
                    }
                    Ok(Auth::Bearer {
                        token: self.bearer_auth_token.clone(),
                        logical_cluster: self.bearer_auth_logical_cluster.clone(),
                        identity_pool_id: self.bearer_auth_identity_pool_id.clone(),
                    })
                }
                other => Err(Error::config(format!(
                    "Invalid value {other} for configuration {BEARER_AUTH_CREDENTIALS_SOURCE}: \
                     only STATIC_TOKEN (with {BEARER_AUTH_TOKEN}) is supported yet"
                ))),
            },
            (None, None) => Ok(Auth::None),
        }
    }

    /// `request.header.<name>=<value>` keys: extra headers on every request.
    pub fn request_headers(&self) -> Vec<(String, String)> {
        self.originals
            .iter()
            .filter_map(|(k, v)| {
                k.strip_prefix("request.header.")
                    .map(|name| (name.to_string(), v.clone()))
            })
            .collect()
    }

    /// How long a `latest` answer is reused: Java's client reads `latest.cache.ttl.sec` as
    /// given (-1 = forever) and uses 60 s when it is absent. `None` = never expires.
    pub fn latest_ttl(&self) -> Option<Duration> {
        if !self.originals.contains_key(LATEST_CACHE_TTL) {
            return Some(Duration::from_secs(LATEST_CACHE_TTL_UNSET_SECS));
        }
        u64::try_from(self.latest_cache_ttl_sec)
            .ok()
            .map(Duration::from_secs)
    }

    /// Parse and [`check`](Self::check) in one go.
    pub fn parse_checked(props: &Props) -> Result<Self> {
        let config = Self::parse(props)?;
        config.check()?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strait_engine::config::props_from;

    fn parse(pairs: &[(&str, &str)]) -> Result<RegistryConfig> {
        let mut all = vec![(SCHEMA_REGISTRY_URL, "http://a:8081, http://b:8081")];
        all.extend_from_slice(pairs);
        RegistryConfig::parse_checked(&props_from(&all))
    }

    #[test]
    fn defaults_are_confluents() {
        let c = parse(&[]).unwrap();
        assert_eq!(c.urls, ["http://a:8081", "http://b:8081"]);
        assert!(c.auto_register_schemas);
        assert!(!c.use_latest_version);
        assert!(c.latest_compatibility_strict);
        assert!(!c.normalize_schemas);
        assert_eq!(c.max_schemas_per_subject, 1000);
        assert_eq!(c.key_subject_name_strategy, SubjectNameStrategy::TopicName);
        assert_eq!(
            c.value_subject_name_strategy,
            SubjectNameStrategy::TopicName
        );
        assert_eq!(c.max_retries, 3);
        assert_eq!(c.retries_wait, Duration::from_secs(1));
        assert_eq!(c.retries_max_wait, Duration::from_secs(20));
        assert_eq!(c.http_read_timeout, Duration::from_secs(60));
        assert_eq!(c.auth().unwrap(), Auth::None);
        // Java's client: 60 s when the key is absent, -1 (no expiry) when given as -1.
        assert_eq!(c.latest_ttl(), Some(Duration::from_secs(60)));
        assert_eq!(
            parse(&[(LATEST_CACHE_TTL, "-1")]).unwrap().latest_ttl(),
            None
        );
        let def = RegistryConfig::config_def();
        assert_eq!(
            def.key("basic.auth.credentials.source").unwrap().default,
            strait_engine::config::Default::Value("URL".into())
        );
    }

    #[test]
    fn url_is_required() {
        let err = RegistryConfig::parse_checked(&Props::new()).unwrap_err();
        assert!(err.message().contains("schema.registry.url"), "{err}");
    }

    #[test]
    fn strategies_by_java_class_name() {
        let c = parse(&[
            (
                "key.subject.name.strategy",
                "io.confluent.kafka.serializers.subject.RecordNameStrategy",
            ),
            (
                "value.subject.name.strategy",
                "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy",
            ),
        ])
        .unwrap();
        assert_eq!(c.key_subject_name_strategy, SubjectNameStrategy::RecordName);
        assert_eq!(
            c.value_subject_name_strategy,
            SubjectNameStrategy::TopicRecordName
        );
        let err = parse(&[("value.subject.name.strategy", "com.example.Mine")]).unwrap_err();
        assert_eq!(
            err.message(),
            "Invalid value com.example.Mine for configuration value.subject.name.strategy: \
             Class com.example.Mine could not be found."
        );
        let err = parse(&[("key.subject.name.strategy", ASSOCIATED_NAME_STRATEGY)]).unwrap_err();
        assert!(err.message().contains("not supported yet"), "{err}");
    }

    #[test]
    fn auth_sources_follow_rest_service() {
        let c = parse(&[
            (BASIC_AUTH_CREDENTIALS_SOURCE, "USER_INFO"),
            (BASIC_AUTH_USER_INFO, "u:p"),
        ])
        .unwrap();
        assert_eq!(c.auth().unwrap(), Auth::Basic("u:p".into()));
        // The deprecated key wins, as in UserInfoCredentialProvider.
        let c = parse(&[
            (BASIC_AUTH_CREDENTIALS_SOURCE, "USER_INFO"),
            (BASIC_AUTH_USER_INFO, "u:p"),
            (SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO, "old:pw"),
        ])
        .unwrap();
        assert_eq!(c.auth().unwrap(), Auth::Basic("old:pw".into()));
        let err = parse(&[(BASIC_AUTH_CREDENTIALS_SOURCE, "USER_INFO")]).unwrap_err();
        assert_eq!(
            err.message(),
            "UserInfo must be provided when basic.auth.credentials.source is set to USER_INFO"
        );
        let c = parse(&[(BASIC_AUTH_CREDENTIALS_SOURCE, "URL")]).unwrap();
        assert_eq!(c.auth().unwrap(), Auth::BasicFromUrl);
        let err = parse(&[
            (BASIC_AUTH_CREDENTIALS_SOURCE, "URL"),
            (BEARER_AUTH_CREDENTIALS_SOURCE, "STATIC_TOKEN"),
        ])
        .unwrap_err();
        assert_eq!(
            err.message(),
            "Only one of 'basic.auth.credentials.source' and 'bearer.auth.credentials.source' \
             may be specified"
        );
        let err = parse(&[(BEARER_AUTH_CREDENTIALS_SOURCE, "STATIC_TOKEN")]).unwrap_err();
        assert_eq!(
            err.message(),
            "Token must be provided via bearer.auth.token config when \
             bearer.auth.credentials.source is set to STATIC_TOKEN"
        );
        let c = parse(&[
            (BEARER_AUTH_CREDENTIALS_SOURCE, "STATIC_TOKEN"),
            (BEARER_AUTH_TOKEN, "tok"),
            ("bearer.auth.logical.cluster", "lsrc-1"),
        ])
        .unwrap();
        assert_eq!(
            c.auth().unwrap(),
            Auth::Bearer {
                token: "tok".into(),
                logical_cluster: Some("lsrc-1".into()),
                identity_pool_id: None
            }
        );
        for (key, value) in [
            (BASIC_AUTH_CREDENTIALS_SOURCE, "SASL_INHERIT"),
            (BASIC_AUTH_CREDENTIALS_SOURCE, "NOPE"),
            (BEARER_AUTH_CREDENTIALS_SOURCE, "OAUTHBEARER"),
            (BEARER_AUTH_CREDENTIALS_SOURCE, "SASL_OAUTHBEARER_INHERIT"),
        ] {
            let err = parse(&[(key, value)]).unwrap_err();
            assert!(
                err.message().contains(key) && err.message().contains(value),
                "{err}"
            );
            assert_eq!(err.fault(), strait_engine::error::Fault::Config);
        }
        // Secrets never reach Debug output.
        let dbg = format!("{:?}", Auth::Basic("u:secret".into()));
        assert!(!dbg.contains("secret"), "{dbg}");
    }

    #[test]
    fn unsupported_behaviour_is_refused_not_ignored() {
        for (key, value) in [
            ("schema.registry.ssl.truststore.location", "/tmp/t.jks"),
            ("use.schema.id", "5"),
            ("use.latest.with.metadata", "app=1"),
            ("rule.executors", "checker"),
            ("propagate.schema.tags", "true"),
            ("schema.reflection", "true"),
            (
                "value.schema.id.serializer",
                "io.confluent.kafka.serializers.schema.id.HeaderSchemaIdSerializer",
            ),
        ] {
            let err = parse(&[(key, value)]).unwrap_err();
            assert!(err.message().contains(key), "{key}: {err}");
        }
        // Their "off" values are accepted.
        parse(&[
            ("use.schema.id", "-1"),
            ("propagate.schema.tags", "false"),
            ("schema.registry.ssl.truststore.location", ""),
        ])
        .unwrap();
        for url in ["https://sr:8081", "mock://scope", "ftp://x"] {
            let err = RegistryConfig::parse_checked(&props_from(&[(SCHEMA_REGISTRY_URL, url)]))
                .unwrap_err();
            assert!(err.message().contains(url), "{err}");
        }
    }

    #[test]
    fn request_headers_come_from_prefixed_keys() {
        let c = parse(&[("request.header.X-Team", "data")]).unwrap();
        assert_eq!(
            c.request_headers(),
            vec![("X-Team".to_string(), "data".to_string())]
        );
    }
}
