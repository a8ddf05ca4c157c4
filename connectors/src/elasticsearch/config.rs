//! The Elasticsearch sink's configuration: every key of Confluent's
//! `ElasticsearchSinkConnectorConfig` (15.x master) in Confluent's order, groups, types, defaults,
//! validators, importance, documentation and display names — the Connector, Data Conversion,
//! Proxy, Security (with Kafka's client SSL keys embedded under `elastic.https.`, as Confluent's
//! `ConfigDef.embed` does, ordered as Kafka's `sortedConfigs()` and numbered from 41) and
//! Kerberos groups — then the legacy 10.x keys and Strait's own keys.
//!
//! Cross-key rules are those of Confluent's `Validator` (credentials, external resources, data
//! streams, ignore lists, Kerberos, linger vs. flush timeout, buffered records vs. batches in
//! flight, proxy, SSL), with its messages, in its order, each reported by
//! [`ElasticsearchSinkConfig::validate`] on the keys Confluent attaches it to. Confluent checks
//! them only in REST validation; here they also make [`ElasticsearchSinkConfig::from_props`]
//! fail, so a task never starts with them. As in Confluent, they are checked only when every key
//! parses on its own.
//!
//! Not checked (they need I/O, and `validate` is pure): Confluent's connection test (ping, with
//! its "Could not connect to Elasticsearch…" / "Could not authenticate the user…" messages), the
//! server version checks (≥ 7.0.0 for the connector, ≥ 7.9.0 for data streams), the existence of
//! the resources of `topic.to.external.resource.mapping`, and the existence of the
//! `kerberos.keytab.path` file (`FilePathValidator`; its `.keytab` suffix rule is checked). The
//! task meets the same conditions when it connects.
//!
//! **Legacy keys** (removed in Confluent 11.0, accepted for configs written for 10.x, with
//! 10.x's types and defaults, in group "Legacy (Confluent 10.x)"):
//! - `type.name` (string; required in 10.x, optional here): sent nowhere — OpenSearch 2 and
//!   Elasticsearch 7+ take `_doc` only, and 11.x ignores the key too.
//! - `topic.index.map` (list of `topic:index`): 10.x's meaning, kept in effect: the topic is
//!   written to that index instead of its topic-derived name. Typed as pairs; a later pair for
//!   the same topic replaces an earlier one (10.x's `HashMap.put`); an entry that is not exactly
//!   `topic:index` with both sides non-empty is rejected (10.x failed at task start on one).
//! - `auto.create.indices.at.start` (boolean, default true): create the indices of the assigned
//!   topics when partitions are opened, as 10.x did.
//!
//! **Beyond Confluent** (group "Strait"):
//! - `index.name.format`: a template for index names (`%{topic}`, `%{field:<dotted.path>}`,
//!   `%{timestamp:<Joda pattern>}`); empty (the default) keeps Confluent's topic-derived names.
//!   Only its syntax is checked here.
//! - `index.name.timezone`: the zone of `%{timestamp:…}`, a Joda zone id as the S3 sink's
//!   `timezone` takes.
//! - `max.buffered.bytes`: the memory budget of the records a task holds (buffered or in
//!   flight); partitions pause above it.
//!
//! Where Strait differs from Confluent:
//! - Rejected at parse and by `validate`, on the key and naming it, rather than ignored or
//!   failing at run time: `kerberos.user.principal` / `kerberos.keytab.path` (no SPNEGO client;
//!   Confluent's own Kerberos rules are still reported first); key and trust stores other than
//!   `PEM` when their location is set (no Java keystore reader: convert JKS/PKCS12 with
//!   `keytool`/`openssl`); Kafka's rule that a PEM store has no store password (Kafka fails at
//!   task start); the inline PEM keys `ssl.keystore.key`, `ssl.keystore.certificate.chain`,
//!   `ssl.truststore.certificates` (Confluent drops the store type with an empty location, so
//!   these fail in Confluent too); `ssl.provider`, `ssl.engine.factory.class`,
//!   `ssl.cipher.suites`, key/trust manager algorithms other than the JVM's standard ones,
//!   `ssl.protocol` / `ssl.enabled.protocols` other than TLS 1.2/1.3; a `data.stream.type` other
//!   than LOGS, METRICS, NONE (Confluent only recommends these values); a `connection.url` with
//!   a scheme other than `http`/`https`, or no URL at all.
//! - `ssl.secure.random.implementation` is accepted and typed; it picks Java's PRNG and
//!   changes nothing Strait sends.
//! - `connection.url`: scheme-less URLs are `http`; if any URL is `https`, all connections use
//!   HTTPS ([`ElasticsearchSinkConfig::use_https`], Confluent's documented rule). URLs lose one
//!   trailing `/` and duplicates (Confluent's `connectionUrls()`).
//! - `data.stream.dataset` / `data.stream.namespace` / `proxy.*` are Confluent's, typed.

use std::collections::BTreeMap;

use strait_engine::config::{ConfigValue, CustomValidator, Props, Validator, Value};
use strait_engine::declare_config;
use strait_engine::error::{Error, Result};

use crate::s3::config::joda_zone_known;

/// Prefix of the Kafka client SSL keys (Confluent's `SSL_CONFIG_PREFIX`).
pub const SSL_PREFIX: &str = "elastic.https.";

/// `behavior.on.null.values` (Confluent's `BehaviorOnNullValues`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NullValueBehavior {
    Ignore,
    Delete,
    Fail,
}

/// `behavior.on.malformed.documents` (Confluent's `BehaviorOnMalformedDoc`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MalformedDocBehavior {
    Ignore,
    Warn,
    Fail,
}

/// `write.method` (Confluent's `WriteMethod`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMethod {
    Insert,
    Upsert,
}

/// `data.stream.type` (Confluent's `DataStreamType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataStreamType {
    None,
    Logs,
    Metrics,
}

impl DataStreamType {
    /// The lower-case name used in data stream names (`logs-…`).
    pub fn name(self) -> &'static str {
        match self {
            DataStreamType::None => "none",
            DataStreamType::Logs => "logs",
            DataStreamType::Metrics => "metrics",
        }
    }
}

/// `external.resource.usage` (Confluent's `ExternalResourceUsage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExternalResourceUsage {
    Disabled,
    Index,
    Datastream,
    AliasIndex,
    AliasDatastream,
}

impl ExternalResourceUsage {
    /// The lower-case name Confluent prints in its "does not exist" messages.
    pub fn name(self) -> &'static str {
        match self {
            ExternalResourceUsage::Disabled => "disabled",
            ExternalResourceUsage::Index => "index",
            ExternalResourceUsage::Datastream => "datastream",
            ExternalResourceUsage::AliasIndex => "alias_index",
            ExternalResourceUsage::AliasDatastream => "alias_datastream",
        }
    }
}

/// `elastic.security.protocol` (Confluent's `SecurityProtocol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityProtocol {
    Plaintext,
    Ssl,
}

/// The lower-case enum constants, in declaration order, as Confluent's `EnumRecommender` lists
/// them (its message and its recommended values).
const EXTERNAL_RESOURCE_USAGES: &[&str] = &[
    "index",
    "datastream",
    "alias_index",
    "alias_datastream",
    "disabled",
];
const DATA_STREAM_TYPES: &[&str] = &["logs", "metrics", "none"];
const NULL_VALUE_BEHAVIORS: &[&str] = &["ignore", "delete", "fail"];
const MALFORMED_DOC_BEHAVIORS: &[&str] = &["ignore", "warn", "fail"];
const WRITE_METHODS: &[&str] = &["insert", "upsert"];
const SECURITY_PROTOCOLS: &[&str] = &["plaintext", "ssl"];

/// The keys with an `EnumRecommender` and the values it recommends.
const RECOMMENDED: &[(&str, &[&str])] = &[
    ("external.resource.usage", EXTERNAL_RESOURCE_USAGES),
    ("data.stream.type", DATA_STREAM_TYPES),
    ("behavior.on.null.values", NULL_VALUE_BEHAVIORS),
    ("behavior.on.malformed.documents", MALFORMED_DOC_BEHAVIORS),
    ("write.method", WRITE_METHODS),
    ("elastic.security.protocol", SECURITY_PROTOCOLS),
];

/// Java's `ConfigException(name, value, message)` text.
fn invalid(name: &str, value: impl std::fmt::Display, message: &str) -> Error {
    strait_engine::config::config_exception(name, value, message)
}

/// A value as Java prints it in a `ConfigException`.
fn show(value: &Value) -> String {
    value.java_text()
}

// --- Confluent's validators -------------------------------------------------------------------

/// `EnumRecommender.ensureValid`: the value lower-cased must be one of the constants.
fn enum_check(name: &str, value: &Value, allowed: &[&str]) -> Result<()> {
    if let Value::Str(s) = value {
        if !allowed.contains(&s.to_lowercase().as_str()) {
            return Err(invalid(
                name,
                s,
                &format!("Value must be one of: [{}]", allowed.join(", ")),
            ));
        }
    }
    Ok(())
}

static EXTERNAL_RESOURCE_USAGE_VALIDATOR: CustomValidator = CustomValidator {
    describe: "[index, datastream, alias_index, alias_datastream, disabled]",
    check: |name, value| enum_check(name, value, EXTERNAL_RESOURCE_USAGES),
};

static NULL_VALUES_VALIDATOR: CustomValidator = CustomValidator {
    describe: "[ignore, delete, fail]",
    check: |name, value| enum_check(name, value, NULL_VALUE_BEHAVIORS),
};

static MALFORMED_DOCS_VALIDATOR: CustomValidator = CustomValidator {
    describe: "[ignore, warn, fail]",
    check: |name, value| enum_check(name, value, MALFORMED_DOC_BEHAVIORS),
};

static WRITE_METHOD_VALIDATOR: CustomValidator = CustomValidator {
    describe: "[insert, upsert]",
    check: |name, value| enum_check(name, value, WRITE_METHODS),
};

static SECURITY_PROTOCOL_VALIDATOR: CustomValidator = CustomValidator {
    describe: "[plaintext, ssl]",
    check: |name, value| enum_check(name, value, SECURITY_PROTOCOLS),
};

/// Confluent defines `data.stream.type` with a recommender only; Strait types it, so it
/// rejects what Confluent would only not recommend.
static DATA_STREAM_TYPE_VALIDATOR: CustomValidator = CustomValidator {
    describe: "[logs, metrics, none] (Strait)",
    check: |name, value| match value {
        Value::Str(s) if !DATA_STREAM_TYPES.contains(&s.to_lowercase().as_str()) => Err(invalid(
            name,
            s,
            "Value must be one of: [logs, metrics, none] (Strait supports only these data \
             stream types; Confluent recommends them but passes any other value through)",
        )),
        _ => Ok(()),
    },
};

/// Confluent's `UrlListValidator` (every URL must parse as a `java.net.URI`), then Strait's
/// rules: at least one URL, and only `http`/`https` schemes.
static URL_LIST_VALIDATOR: CustomValidator = CustomValidator {
    describe: "List of valid URIs.",
    check: |name, value| {
        let urls = match value {
            Value::Null => {
                return Err(invalid(
                    name,
                    "null",
                    "The config must be provided and non-null.",
                ))
            }
            Value::List(urls) => urls,
            _ => return Ok(()),
        };
        for url in urls {
            if !java_uri_valid(url) {
                return Err(invalid(
                    name,
                    show(value),
                    &format!("The provided url '{url}' is not a valid url."),
                ));
            }
        }
        if urls.is_empty() || urls.iter().any(String::is_empty) {
            return Err(invalid(
                name,
                show(value),
                "Strait needs one or more non-empty Elasticsearch URLs",
            ));
        }
        for url in urls {
            // Apache's `HttpHost.create` takes the scheme before "://"; anything else is a host.
            if let Some((scheme, _)) = url.split_once("://") {
                if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
                    return Err(invalid(
                        name,
                        show(value),
                        &format!(
                            "The provided url '{url}' has the scheme '{scheme}'; Strait connects \
                             only with http and https"
                        ),
                    ));
                }
            }
        }
        Ok(())
    },
};

/// Whether `java.net.URI(s)` parses `s`: the characters RFC 2396 allows (any non-ASCII
/// character is Java's "other" category and allowed), `%` followed by two hex digits, and a
/// well-formed scheme when the text starts with one.
fn java_uri_valid(s: &str) -> bool {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'%' => {
                let hex = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_hexdigit);
                if !(hex(i + 1) && hex(i + 2)) {
                    return false;
                }
                i += 3;
                continue;
            }
            b' ' | b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}' => return false,
            0..=0x1f | 0x7f => return false,
            _ => {}
        }
        i += 1;
    }
    // A ':' before any '/', '?' or '#' ends a scheme, which must be ALPHA *(ALPHA / DIGIT / "+" /
    // "-" / ".").
    let head_end = s.find(['/', '?', '#']).unwrap_or(s.len());
    if let Some(colon) = s[..head_end].find(':') {
        let scheme = &s[..colon];
        let mut chars = scheme.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
        if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) {
            return false;
        }
        // An absolute URI needs a scheme-specific part ("http:" alone is an error).
        if colon + 1 == s.len() {
            return false;
        }
    }
    // Brackets only around an IPv6 host.
    match (s.find('['), s.find(']')) {
        (None, None) => true,
        (Some(open), Some(close)) if open < close => {
            let host = &s[open + 1..close];
            !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || ":.".contains(c))
        }
        _ => false,
    }
}

/// `DataStreamDatasetValidator` / `DataStreamNamespaceValidator`.
fn data_stream_part_check(name: &str, value: &Value, what: &str) -> Result<()> {
    let Value::Str(s) = value else {
        return Ok(());
    };
    // Java's String.length(): UTF-16 code units.
    if s.encode_utf16().count() > 100 {
        return Err(invalid(
            name,
            s,
            &format!("The specified {what} must be no longer than 100 characters."),
        ));
    }
    if *s != s.to_lowercase() {
        return Err(invalid(
            name,
            s,
            &format!("The specified {what} must be in all lowercase."),
        ));
    }
    if s.chars().any(|c| "\\/*?\"<>| ,#-:".contains(c)) {
        return Err(invalid(
            name,
            s,
            &format!(
                "The specified {what} must not contain any spaces or invalid characters \\/*?\"<>|,#-:"
            ),
        ));
    }
    Ok(())
}

static DATASET_VALIDATOR: CustomValidator = CustomValidator {
    describe: "A valid dataset name that is all lowercase, less than 100 characters, and does not contain any spaces or invalid characters \\/*?\"<>|,#-:",
    check: |name, value| data_stream_part_check(name, value, "dataset"),
};

static NAMESPACE_VALIDATOR: CustomValidator = CustomValidator {
    describe: "A valid namespace name that is all lowercase, less than 100 characters, and does not contain any spaces or invalid characters \\/*?\"<>|,#-:",
    check: |name, value| data_stream_part_check(name, value, "namespace"),
};

/// `FilePathValidator("keytab")` without its I/O (whether the file exists).
static KEYTAB_VALIDATOR: CustomValidator = CustomValidator {
    describe: "Existing file with keytab extension.",
    check: |name, value| match value {
        Value::Str(path) if !path.ends_with("keytab") => Err(invalid(
            name,
            path,
            "The specified file must end with .keytab",
        )),
        _ => Ok(()),
    },
};

// --- Strait's validators ----------------------------------------------------------------------

/// `index.name.timezone`: a zone Joda's `DateTimeZone.forID` accepts (the S3 sink's rule).
static INDEX_TIMEZONE_VALIDATOR: CustomValidator = CustomValidator {
    describe: "Any timezone accepted by: class org.joda.time.DateTimeZone",
    check: |name, value| match value {
        Value::Str(tz) if !joda_zone_known(tz) => Err(invalid(
            name,
            tz,
            &format!("The datetime zone id '{tz}' is not recognised"),
        )),
        _ => Ok(()),
    },
};

static INDEX_NAME_FORMAT_VALIDATOR: CustomValidator = CustomValidator {
    describe: "A template of literal text and %{topic}, %{field:<dotted.path>}, %{timestamp:<Joda pattern>}",
    check: |name, value| match value {
        Value::Str(format) => {
            let _ = name;
            check_index_name_format(format)
        }
        _ => Ok(()),
    },
};

/// `index.name.format`'s syntax, checked by the renderer's own parser
/// ([`IndexNameFormat::parse`](super::naming::IndexNameFormat::parse)), which words the error.
fn check_index_name_format(format: &str) -> Result<()> {
    if format.trim().is_empty() {
        return Ok(());
    }
    super::naming::IndexNameFormat::parse(format.trim(), "UTC").map(|_| ())
}

/// A key Strait rejects whenever it is set.
fn reject_when_set(name: &str, value: &Value, why: &str) -> Result<()> {
    match value {
        Value::Null => Ok(()),
        Value::List(l) if l.is_empty() => Ok(()),
        _ => Err(invalid(name, show(value), why)),
    }
}

static SSL_PROVIDER_VALIDATOR: CustomValidator = CustomValidator {
    describe: "unset (Strait)",
    check: |name, value| {
        reject_when_set(
            name,
            value,
            "Strait has no JCE security providers (it uses rustls); leave it unset",
        )
    },
};

static SSL_ENGINE_FACTORY_VALIDATOR: CustomValidator = CustomValidator {
    describe: "unset (Strait)",
    check: |name, value| {
        reject_when_set(
            name,
            value,
            "Strait cannot load an SslEngineFactory class; leave it unset",
        )
    },
};

static SSL_CIPHER_SUITES_VALIDATOR: CustomValidator = CustomValidator {
    describe: "unset (Strait)",
    check: |name, value| {
        reject_when_set(
            name,
            value,
            "Strait does not restrict TLS cipher suites; leave it unset (rustls offers only \
             modern suites)",
        )
    },
};

static SSL_INLINE_PEM_VALIDATOR: CustomValidator = CustomValidator {
    describe: "unset (Strait)",
    check: |name, value| {
        reject_when_set(
            name,
            value,
            "Strait reads certificates and keys from PEM files only (Confluent drops the store \
             type when the store location is empty, so inline PEM fails there too); put them in \
             a file and set the matching .location with .type=PEM",
        )
    },
};

fn one_of_strait(name: &str, value: &Value, allowed: &[&str], why: &str) -> Result<()> {
    match value {
        Value::Str(s) if !allowed.contains(&s.as_str()) => Err(invalid(
            name,
            s,
            &format!("{why} (one of: {})", allowed.join(", ")),
        )),
        _ => Ok(()),
    }
}

static SSL_KEYMANAGER_VALIDATOR: CustomValidator = CustomValidator {
    describe: "SunX509, NewSunX509 or PKIX (Strait)",
    check: |name, value| {
        one_of_strait(
            name,
            value,
            &["SunX509", "NewSunX509", "PKIX"],
            "Strait supports only the standard key manager algorithms",
        )
    },
};

static SSL_TRUSTMANAGER_VALIDATOR: CustomValidator = CustomValidator {
    describe: "PKIX or SunX509 (Strait)",
    check: |name, value| {
        one_of_strait(
            name,
            value,
            &["PKIX", "SunX509"],
            "Strait supports only the standard trust manager algorithms",
        )
    },
};

static SSL_PROTOCOL_VALIDATOR: CustomValidator = CustomValidator {
    describe: "TLSv1.3, TLSv1.2 or TLS (Strait)",
    check: |name, value| {
        one_of_strait(
            name,
            value,
            &["TLSv1.3", "TLSv1.2", "TLS"],
            "Strait speaks only TLS 1.2 and 1.3",
        )
    },
};

static SSL_ENABLED_PROTOCOLS_VALIDATOR: CustomValidator = CustomValidator {
    describe: "A non-empty list of TLSv1.2, TLSv1.3 (Strait)",
    check: |name, value| match value {
        Value::List(l)
            if l.is_empty()
                || l.iter()
                    .any(|p| !matches!(p.as_str(), "TLSv1.2" | "TLSv1.3")) =>
        {
            Err(invalid(
                name,
                show(value),
                "Strait speaks only TLS 1.2 and 1.3: list TLSv1.2, TLSv1.3 or both",
            ))
        }
        _ => Ok(()),
    },
};

// --- The definition ---------------------------------------------------------------------------

fn parse_enum<T: Copy>(name: &str, value: &str, table: &[(&str, T)]) -> Result<T> {
    let upper = value.to_uppercase();
    table
        .iter()
        .find(|(n, _)| *n == upper)
        .map(|(_, v)| *v)
        .ok_or_else(|| invalid(name, value, "unknown value"))
}

/// `topic.index.map` entries as 10.x read them, stricter on malformed entries (10.x failed at
/// task start with an `ArrayIndexOutOfBoundsException`, or silently dropped a third part).
fn parse_topic_index_map(entries: Vec<String>) -> Result<Vec<(String, String)>> {
    let mut map: Vec<(String, String)> = Vec::new();
    for entry in &entries {
        let pair = entry
            .split_once(':')
            .filter(|(t, i)| !t.is_empty() && !i.is_empty() && !i.contains(':'));
        let Some((topic, index)) = pair else {
            return Err(invalid(
                "topic.index.map",
                format!("[{}]", entries.join(", ")),
                &format!("The entry '{entry}' is not of the form topic:index"),
            ));
        };
        match map.iter_mut().find(|(t, _)| t == topic) {
            Some(existing) => existing.1 = index.to_string(),
            None => map.push((topic.to_string(), index.to_string())),
        }
    }
    Ok(map)
}

/// Confluent's `connectionUrls()`: one trailing `/` dropped, duplicates removed.
fn normalize_urls(urls: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for url in urls {
        let url = url.strip_suffix('/').unwrap_or(&url).to_string();
        if !out.contains(&url) {
            out.push(url);
        }
    }
    out
}

/// An empty location is no location (Confluent's `sslConfigs()` removes it).
fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|s| !s.is_empty())
}

declare_config! {
    /// Every key of Confluent's Elasticsearch sink, the legacy 10.x keys and Strait's own, parsed.
    /// [`ElasticsearchSinkConfig::from_props`] adds Confluent's cross-key rules.
    #[derive(Debug, Clone, PartialEq)]
    pub struct ElasticsearchSinkConfig {
        // --- Connector group ---
        /// `connection.url`, normalized as Confluent's `connectionUrls()`.
        pub connection_urls: Vec<String> {
            key: "connection.url",
            ty: List,
            default: required,
            validator: Validator::Custom(&URL_LIST_VALIDATOR),
            importance: High,
            doc: "The comma-separated list of one or more Elasticsearch URLs, such as ``http://eshost1:9200,http://eshost2:9200`` or ``https://eshost3:9200``. HTTPS is used for all connections if any of the URLs starts with ``https:``. A URL without a protocol is treated as ``http``.",
            group: "Connector", order: 1,
            width: Long,
            display: "Connection URLs",
            map: normalize_urls,
        },
        /// `connection.username`.
        pub connection_username: Option<String> {
            key: "connection.username",
            ty: String,
            default: null,
            importance: Medium,
            doc: "The username used to authenticate with Elasticsearch. The default is the null, and authentication will only be performed if  both the username and password are non-null.",
            group: "Connector", order: 2,
            width: Short,
            display: "Connection Username",
        },
        /// `connection.password`.
        pub connection_password: Option<String> {
            key: "connection.password",
            ty: Password,
            default: null,
            importance: Medium,
            doc: "The password used to authenticate with Elasticsearch. The default is the null, and authentication will only be performed if  both the username and password are non-null.",
            group: "Connector", order: 3,
            width: Short,
            display: "Connection Password",
        },
        /// `external.resource.usage`.
        pub external_resource_usage: ExternalResourceUsage {
            key: "external.resource.usage",
            ty: String,
            default: "DISABLED",
            validator: Validator::Custom(&EXTERNAL_RESOURCE_USAGE_VALIDATOR),
            importance: High,
            doc: "The type of resource the connector writes to, such as indices, datastreams or aliases. Valid options are INDEX, DATASTREAM, ALIAS_INDEX, ALIAS_DATASTREAM, and DISABLED. When set to DISABLED, the connector will auto-create indices or datastreams based on the topic name and datastream configurations",
            group: "Connector", order: 4,
            width: Short,
            display: "External Resource Usage",
            try_map: |s: String| parse_enum("external.resource.usage", &s, &[
                ("DISABLED", ExternalResourceUsage::Disabled),
                ("INDEX", ExternalResourceUsage::Index),
                ("DATASTREAM", ExternalResourceUsage::Datastream),
                ("ALIAS_INDEX", ExternalResourceUsage::AliasIndex),
                ("ALIAS_DATASTREAM", ExternalResourceUsage::AliasDatastream),
            ]),
        },
        /// `topic.to.external.resource.mapping` (parsed by
        /// [`ElasticsearchSinkConfig::topic_to_resource`]).
        pub topic_to_external_resource_mapping: Vec<String> {
            key: "topic.to.external.resource.mapping",
            ty: List,
            default: "",
            importance: High,
            doc: "A list of topic-to-resource mappings in the format 'topic:resource'. If specified, the connector will use the provided resource name (index, data stream, or alias) instead of the topic name for writing to Elasticsearch. The resource must exist in Elasticsearch before configuring the connector. The type of resource (index, data stream, or alias) is determined by the 'external.resource.usage' configuration.",
            group: "Connector", order: 5,
            width: Long,
            display: "Topic to External Resource Mapping",
        },
        /// `max.external.resource.mappings`.
        pub max_external_resource_mappings: i32 {
            key: "max.external.resource.mappings",
            ty: Int,
            default: "15",
            validator: Validator::at_least(1.0),
            importance: Medium,
            doc: "The maximum number of topic-to-external-resource mappings allowed.",
            group: "Connector", order: 6,
            width: Short,
            display: "Maximum External Resource Mappings",
        },
        /// `data.stream.type`.
        pub data_stream_type: DataStreamType {
            key: "data.stream.type",
            ty: String,
            default: "NONE",
            validator: Validator::Custom(&DATA_STREAM_TYPE_VALIDATOR),
            importance: Low,
            doc: "Generic type describing the data to be written to data stream. The default is NONE which indicates the connector will write to regular indices instead. If set, this configuration will be used alongside data.stream.dataset and data.stream.namespace to construct the data stream name in the form of {``data.stream.type``}-{``data.stream.dataset``}-{``data.stream.namespace``}. Custom index templates defined in the destination cluster are supported.",
            group: "Connector", order: 7,
            width: Short,
            display: "Data Stream Type",
            try_map: |s: String| parse_enum("data.stream.type", &s, &[
                ("NONE", DataStreamType::None),
                ("LOGS", DataStreamType::Logs),
                ("METRICS", DataStreamType::Metrics),
            ]),
        },
        /// `data.stream.dataset`.
        pub data_stream_dataset: String {
            key: "data.stream.dataset",
            ty: String,
            default: "",
            validator: Validator::Custom(&DATASET_VALIDATOR),
            importance: Low,
            doc: "Generic name describing data ingested and its structure to be written to a data stream. Can be any arbitrary string that is no longer than 100 characters, is in all lowercase, and does not contain spaces or any of these special characters ``/\\*\"<>|,#:-``. Otherwise, no value indicates the connector will write to regular indices instead. If set, this configuration will be used alongside ``data.stream.type`` and ``data.stream.namespace`` to construct the data stream name in the form of {``data.stream.type``}-{``data.stream.dataset``}-{``data.stream.namespace``}.",
            group: "Connector", order: 8,
            width: Medium,
            display: "Data Stream Dataset",
        },
        /// `data.stream.namespace` (`${topic}` stands for the topic).
        pub data_stream_namespace: String {
            key: "data.stream.namespace",
            ty: String,
            default: "${topic}",
            validator: Validator::Custom(&NAMESPACE_VALIDATOR),
            importance: Low,
            doc: "Generic name describing user-configurable arbitrary grouping to be written to a data stream. Can be any arbitrary string that is no longer than 100 characters,  is in all lowercase, and does not contain spaces or any of these special characters ``/\\*\"<>|,#:-``. Otherwise, no value indicates the connector will write to regular indices instead. If set, this configuration will be used alongside ``data.stream.type`` and ``data.stream.dataset`` to construct the data stream name inthe form of {``data.stream.type``}-{``data.stream.dataset``}-{``data.stream.namespace``}. Defaut value is ``${topic}``, that is to say the topic name.",
            group: "Connector", order: 9,
            width: Medium,
            display: "Data Stream Namespace",
        },
        /// `data.stream.timestamp.field`.
        pub data_stream_timestamp_field: Vec<String> {
            key: "data.stream.timestamp.field",
            ty: List,
            default: "",
            importance: Low,
            doc: "The Kafka record field to use as the timestamp for the ``@timestamp`` field in documents sent to a data stream.\n All documents sent to a data stream needs an ``@timestamp`` field with values of type ``date`` or ``data_nanos``. Otherwise, the document will not be sent. If multiple fields are provided, the first field listed that also appears in the record will be used. If this configuration is left empty, all of the documents will use the Kafka record timestamp as the ``@timestamp`` field value. Note that ``@timestamp`` still needs to be explicitly listed if records already contain this field. This configuration can only be set if ``data.stream.type`` and ``data.stream.dataset`` are set.",
            group: "Connector", order: 10,
            width: Long,
            display: "Data Stream Timestamp Field",
        },
        /// `batch.size`.
        pub batch_size: i32 {
            key: "batch.size",
            ty: Int,
            default: "2000",
            validator: Validator::between(1.0, 1_000_000.0),
            importance: Medium,
            doc: "The number of records to process as a batch when writing to Elasticsearch.",
            group: "Connector", order: 11,
            width: Short,
            display: "Batch Size",
        },
        /// `bulk.size.bytes` (-1 = no limit).
        pub bulk_size_bytes: i64 {
            key: "bulk.size.bytes",
            ty: Long,
            default: "5242880",
            validator: Validator::between(-1.0, 2_147_483_647.0),
            importance: Low,
            doc: "The maximum size (in bytes) to be process as a batch when writing records to Elasticsearch. Setting to '-1' will disable this configuration. If the condition set by 'batch.size' is met first, it will be used instead.",
            group: "Connector", order: 12,
            width: Short,
            display: "Bulk Size (bytes)",
        },
        /// `max.in.flight.requests`.
        pub max_in_flight_requests: i32 {
            key: "max.in.flight.requests",
            ty: Int,
            default: "5",
            validator: Validator::between(1.0, 1000.0),
            importance: Medium,
            doc: "The maximum number of indexing requests that can be in-flight to Elasticsearch before blocking further requests.",
            group: "Connector", order: 13,
            width: Short,
            display: "Max In-flight Requests",
        },
        /// `max.buffered.records`.
        pub max_buffered_records: i32 {
            key: "max.buffered.records",
            ty: Int,
            default: "20000",
            validator: Validator::between(1.0, 2_147_483_647.0),
            importance: Low,
            doc: "The maximum number of records each task will buffer before blocking acceptance of more records. This config can be used to limit the memory usage for each task.",
            group: "Connector", order: 14,
            width: Short,
            display: "Max Buffered Records",
        },
        /// `linger.ms`.
        pub linger_ms: i64 {
            key: "linger.ms",
            ty: Long,
            default: "1",
            validator: Validator::between(0.0, 604_800_000.0),
            importance: Low,
            doc: "Linger time in milliseconds for batching.\nRecords that arrive in between request transmissions are batched into a single bulk indexing request, based on the ``batch.size`` configuration. Normally this only occurs under load when records arrive faster than they can be sent out. However it may be desirable to reduce the number of requests even under light load and benefit from bulk indexing. This setting helps accomplish that - when a pending batch is not full, rather than immediately sending it out the task will wait up to the given delay to allow other records to be added so that they can be batched into a single request.",
            group: "Connector", order: 15,
            width: Short,
            display: "Linger (ms)",
        },
        /// `flush.timeout.ms`.
        pub flush_timeout_ms: i64 {
            key: "flush.timeout.ms",
            ty: Long,
            default: "180000",
            validator: Validator::between(1000.0, 604_800_000.0),
            importance: Low,
            doc: "The timeout in milliseconds to use for periodic flushing, and when waiting for buffer space to be made available by completed requests as records are added. If this timeout is exceeded the task will fail.",
            group: "Connector", order: 16,
            width: Short,
            display: "Flush Timeout (ms)",
        },
        /// `flush.synchronously`.
        pub flush_synchronously: bool {
            key: "flush.synchronously",
            ty: Boolean,
            default: "false",
            importance: Low,
            doc: "True if flushes should wait for background processing to finish. This has a throughput penalty and makes the connector less responsive but allows for topic-mutating SMTs (e.g. RegexRouter or TimestampRouter)",
            group: "Connector", order: 17,
            width: Short,
            display: "Flush synchronously",
        },
        /// `max.retries`.
        pub max_retries: i32 {
            key: "max.retries",
            ty: Int,
            default: "5",
            validator: Validator::between(0.0, 2_147_483_647.0),
            importance: Low,
            doc: "The maximum number of retries that are allowed for failed indexing requests. If the retry attempts are exhausted the task will fail.",
            group: "Connector", order: 18,
            width: Short,
            display: "Max Retries",
        },
        /// `retry.backoff.ms`.
        pub retry_backoff_ms: i64 {
            key: "retry.backoff.ms",
            ty: Long,
            default: "100",
            validator: Validator::between(0.0, 86_400_000.0),
            importance: Low,
            doc: "How long to wait in milliseconds before attempting the first retry of a failed indexing request. Upon a failure, this connector may wait up to twice as long as the previous wait, up to the maximum number of retries. This avoids retrying in a tight loop under failure scenarios.",
            group: "Connector", order: 19,
            width: Short,
            display: "Retry Backoff (ms)",
        },
        /// `connection.compression`.
        pub connection_compression: bool {
            key: "connection.compression",
            ty: Boolean,
            default: "false",
            importance: Low,
            doc: "Whether to use GZip compression on HTTP connection to ElasticSearch. Valid options are ``true`` and ``false``. Default is ``false``. To make this setting to work the ``http.compression`` setting also needs to be enabled at the Elasticsearch nodes or the load-balancer before using it.",
            group: "Connector", order: 20,
            width: Short,
            display: "Compression",
        },
        /// `max.connection.idle.time.ms`.
        pub max_connection_idle_time_ms: i32 {
            key: "max.connection.idle.time.ms",
            ty: Int,
            default: "60000",
            validator: Validator::between(-1.0, 86_400_000.0),
            importance: Low,
            doc: "How long to wait in milliseconds before dropping an idle connection to prevent a read timeout.",
            group: "Connector", order: 21,
            width: Short,
            display: "Max Connection Idle Time",
        },
        /// `connection.timeout.ms`.
        pub connection_timeout_ms: i32 {
            key: "connection.timeout.ms",
            ty: Int,
            default: "1000",
            validator: Validator::between(0.0, 43_200_000.0),
            importance: Low,
            doc: "How long to wait in milliseconds when establishing a connection to the Elasticsearch server. The task fails if the client fails to connect to the server in this interval, and will need to be restarted.",
            group: "Connector", order: 22,
            width: Short,
            display: "Connection Timeout",
        },
        /// `read.timeout.ms`.
        pub read_timeout_ms: i32 {
            key: "read.timeout.ms",
            ty: Int,
            default: "3000",
            validator: Validator::between(0.0, 604_800_000.0),
            importance: Low,
            doc: "How long to wait in milliseconds for the Elasticsearch server to send a response. The task fails if any read operation times out, and will need to be restarted to resume further operations.",
            group: "Connector", order: 23,
            width: Short,
            display: "Read Timeout",
        },
        // --- Data Conversion group ---
        /// `key.ignore`.
        pub key_ignore: bool {
            key: "key.ignore",
            ty: Boolean,
            default: "false",
            importance: High,
            doc: "Whether to ignore the record key for the purpose of forming the Elasticsearch document ID. When this is set to ``true``, document IDs will be generated as the record's ``topic+partition+offset``.\n Note that this is a global config that applies to all topics, use ``topic.key.ignore`` to override as ``true`` for specific topics.",
            group: "Data Conversion", order: 1,
            width: Short,
            display: "Ignore Key mode",
        },
        /// `schema.ignore`.
        pub schema_ignore: bool {
            key: "schema.ignore",
            ty: Boolean,
            default: "false",
            importance: Low,
            doc: "Whether to ignore schemas during indexing. When this is set to ``true``, the record schema will be ignored for the purpose of registering an Elasticsearch mapping. Elasticsearch will infer the mapping from the data (dynamic mapping needs to be enabled by the user).\n Note that this is a global config that applies to all topics, use ``topic.schema.ignore`` to override as ``true`` for specific topics.",
            group: "Data Conversion", order: 2,
            width: Short,
            display: "Ignore Schema mode",
        },
        /// `compact.map.entries`.
        pub compact_map_entries: bool {
            key: "compact.map.entries",
            ty: Boolean,
            default: "true",
            importance: Low,
            doc: "Defines how map entries with string keys within record values should be written to JSON. When this is set to ``true``, these entries are written compactly as ``\"entryKey\": \"entryValue\"``. Otherwise, map entries with string keys are written as a nested document ``{\"key\": \"entryKey\", \"value\": \"entryValue\"}``. All map entries with non-string keys are always written as nested documents. Prior to 3.3.0, this connector always wrote map entries as nested documents, so set this to ``false`` to use that older behavior.",
            group: "Data Conversion", order: 3,
            width: Short,
            display: "Compact Map Entries",
        },
        /// `topic.key.ignore`.
        pub topic_key_ignore: Vec<String> {
            key: "topic.key.ignore",
            ty: List,
            default: "",
            importance: Low,
            doc: "List of topics for which ``key.ignore`` should be ``true``.",
            group: "Data Conversion", order: 4,
            width: Long,
            display: "Topics for 'Ignore Key' mode",
        },
        /// `topic.schema.ignore`.
        pub topic_schema_ignore: Vec<String> {
            key: "topic.schema.ignore",
            ty: List,
            default: "",
            importance: Low,
            doc: "List of topics for which ``schema.ignore`` should be ``true``.",
            group: "Data Conversion", order: 5,
            width: Long,
            display: "Topics for 'Ignore Schema' mode",
        },
        /// `drop.invalid.message`.
        pub drop_invalid_message: bool {
            key: "drop.invalid.message",
            ty: Boolean,
            default: "false",
            importance: Low,
            doc: "Whether to drop kafka message when it cannot be converted to output message.",
            group: "Data Conversion", order: 6,
            width: Long,
            display: "Drop invalid messages",
        },
        /// `behavior.on.null.values`.
        pub behavior_on_null_values: NullValueBehavior {
            key: "behavior.on.null.values",
            ty: String,
            default: "FAIL",
            validator: Validator::Custom(&NULL_VALUES_VALIDATOR),
            importance: Low,
            doc: "How to handle records with a non-null key and a null value (i.e. Kafka tombstone records). Valid options are 'ignore', 'delete', and 'fail'.",
            group: "Data Conversion", order: 7,
            width: Short,
            display: "Behavior for null-valued records",
            try_map: |s: String| parse_enum("behavior.on.null.values", &s, &[
                ("IGNORE", NullValueBehavior::Ignore),
                ("DELETE", NullValueBehavior::Delete),
                ("FAIL", NullValueBehavior::Fail),
            ]),
        },
        /// `behavior.on.malformed.documents`.
        pub behavior_on_malformed_documents: MalformedDocBehavior {
            key: "behavior.on.malformed.documents",
            ty: String,
            default: "FAIL",
            validator: Validator::Custom(&MALFORMED_DOCS_VALIDATOR),
            importance: Low,
            doc: "How to handle records that Elasticsearch rejects due to some malformation of the document itself, such as an index mapping conflict, a field name containing illegal characters, or a record with a missing id. Valid options are ignore', 'warn', and 'fail'.",
            group: "Data Conversion", order: 8,
            width: Short,
            display: "Behavior on malformed documents",
            try_map: |s: String| parse_enum("behavior.on.malformed.documents", &s, &[
                ("IGNORE", MalformedDocBehavior::Ignore),
                ("WARN", MalformedDocBehavior::Warn),
                ("FAIL", MalformedDocBehavior::Fail),
            ]),
        },
        /// `external.version.header` (empty = the record offset is the version).
        pub external_version_header: String {
            key: "external.version.header",
            ty: String,
            default: "",
            importance: Low,
            doc: "Header name to pull value for external versioning, defaults to using the kafka record offset.  Must have a numeric value.",
            group: "Data Conversion", order: 9,
            width: Short,
            display: "External Version Header Name",
        },
        /// `write.method`.
        pub write_method: WriteMethod {
            key: "write.method",
            ty: String,
            default: "INSERT",
            validator: Validator::Custom(&WRITE_METHOD_VALIDATOR),
            importance: Low,
            doc: "Method used for writing data to Elasticsearch, and one of INSERT or UPSERT. The default method is INSERT, in which the connector constructs a document from the record value and inserts that document into Elasticsearch, completely replacing any existing document with the same ID; this matches previous behavior. The UPSERT method will create a new document if one with the specified ID does not yet exist, or will update an existing document with the same ID by adding/replacing only those fields present in the record value. The UPSERT method may require additional time and resources of Elasticsearch, so consider increasing the read.timeout.ms and decreasing the batch.size configuration properties.",
            group: "Data Conversion", order: 10,
            width: Short,
            display: "Write Method",
            try_map: |s: String| parse_enum("write.method", &s, &[
                ("INSERT", WriteMethod::Insert),
                ("UPSERT", WriteMethod::Upsert),
            ]),
        },
        /// `use.autogenerated.ids` (Confluent puts it in the Connector group, numbered after the
        /// Data Conversion keys).
        pub use_autogenerated_ids: bool {
            key: "use.autogenerated.ids",
            ty: Boolean,
            default: "false",
            importance: Medium,
            doc: "Whether to use auto-generated Elasticsearch document IDs for insertion requests. Note that this setting removes exactly once guarantees and message delivery will be at least once. Only applies if write.method is set to INSERT.When this is set to ``true``, ``key.ignore`` option will also be ignored when sending data to Elasticsearch",
            group: "Connector", order: 11,
            width: Short,
            display: "Elasticsearch Generated IDs",
        },
        // --- Proxy group (Confluent numbers it from 0) ---
        /// `proxy.host` (empty = no proxy).
        pub proxy_host: String {
            key: "proxy.host",
            ty: String,
            default: "",
            importance: Low,
            doc: "The address of the proxy host to connect through. Supports the basic authentication scheme only.",
            group: "Proxy", order: 0,
            width: Long,
            display: "Proxy Host",
        },
        /// `proxy.port`.
        pub proxy_port: i32 {
            key: "proxy.port",
            ty: Int,
            default: "8080",
            validator: Validator::between(1.0, 65535.0),
            importance: Low,
            doc: "The port of the proxy host to connect through.",
            group: "Proxy", order: 1,
            width: Long,
            display: "Proxy Port",
        },
        /// `proxy.username`.
        pub proxy_username: String {
            key: "proxy.username",
            ty: String,
            default: "",
            importance: Low,
            doc: "The username for the proxy host.",
            group: "Proxy", order: 2,
            width: Long,
            display: "Proxy Username",
        },
        /// `proxy.password`.
        pub proxy_password: Option<String> {
            key: "proxy.password",
            ty: Password,
            default: null,
            importance: Low,
            doc: "The password for the proxy host.",
            group: "Proxy", order: 3,
            width: Long,
            display: "Proxy Password",
        },
        // --- Security group ---
        /// `elastic.security.protocol`.
        pub security_protocol: SecurityProtocol {
            key: "elastic.security.protocol",
            ty: String,
            default: "PLAINTEXT",
            validator: Validator::Custom(&SECURITY_PROTOCOL_VALIDATOR),
            importance: Medium,
            doc: "The security protocol to use when connecting to Elasticsearch. Values can be `PLAINTEXT` or `SSL`. If `PLAINTEXT` is passed, all configs prefixed by elastic.https. will be ignored.",
            group: "Security", order: 1,
            width: Short,
            display: "Security protocol",
            try_map: |s: String| parse_enum("elastic.security.protocol", &s, &[
                ("PLAINTEXT", SecurityProtocol::Plaintext),
                ("SSL", SecurityProtocol::Ssl),
            ]),
        },
        // Kafka's `SslConfigs.addClientSslSupport` keys, embedded as `ConfigDef.embed` does: in
        // the child's sorted order (importance, then name), numbered from 39 keys + 2 = 41,
        // display name = the unprefixed key.
        /// `elastic.https.ssl.key.password` (the PEM key's password).
        pub ssl_key_password: Option<String> {
            key: "elastic.https.ssl.key.password",
            ty: Password,
            default: null,
            importance: High,
            doc: "The password of the private key in the key store file or the PEM key specified in 'ssl.keystore.key'.",
            group: "Security", order: 41,
            display: "ssl.key.password",
        },
        /// `elastic.https.ssl.keystore.certificate.chain` (rejected when set).
        pub ssl_keystore_certificate_chain: Option<String> {
            key: "elastic.https.ssl.keystore.certificate.chain",
            ty: Password,
            default: null,
            validator: Validator::Custom(&SSL_INLINE_PEM_VALIDATOR),
            importance: High,
            doc: "Certificate chain in the format specified by 'ssl.keystore.type'. Default SSL engine factory supports only PEM format with a list of X.509 certificates",
            group: "Security", order: 42,
            display: "ssl.keystore.certificate.chain",
        },
        /// `elastic.https.ssl.keystore.key` (rejected when set).
        pub ssl_keystore_key: Option<String> {
            key: "elastic.https.ssl.keystore.key",
            ty: Password,
            default: null,
            validator: Validator::Custom(&SSL_INLINE_PEM_VALIDATOR),
            importance: High,
            doc: "Private key in the format specified by 'ssl.keystore.type'. Default SSL engine factory supports only PEM format with PKCS#8 keys. If the key is encrypted, key password must be specified using 'ssl.key.password'",
            group: "Security", order: 43,
            display: "ssl.keystore.key",
        },
        /// `elastic.https.ssl.keystore.location` (a PEM file with the client certificate chain
        /// and key; `None` also when empty, as Confluent drops it).
        pub ssl_keystore_location: Option<String> {
            key: "elastic.https.ssl.keystore.location",
            ty: String,
            default: null,
            importance: High,
            doc: "The location of the key store file. This is optional for client and can be used for two-way authentication for client.",
            group: "Security", order: 44,
            display: "ssl.keystore.location",
            map: non_empty,
        },
        /// `elastic.https.ssl.keystore.password` (must be unset for PEM, as in Kafka).
        pub ssl_keystore_password: Option<String> {
            key: "elastic.https.ssl.keystore.password",
            ty: Password,
            default: null,
            importance: High,
            doc: "The store password for the key store file. This is optional for client and only needed if 'ssl.keystore.location' is configured. Key store password is not supported for PEM format.",
            group: "Security", order: 45,
            display: "ssl.keystore.password",
        },
        /// `elastic.https.ssl.truststore.certificates` (rejected when set).
        pub ssl_truststore_certificates: Option<String> {
            key: "elastic.https.ssl.truststore.certificates",
            ty: Password,
            default: null,
            validator: Validator::Custom(&SSL_INLINE_PEM_VALIDATOR),
            importance: High,
            doc: "Trusted certificates in the format specified by 'ssl.truststore.type'. Default SSL engine factory supports only PEM format with X.509 certificates.",
            group: "Security", order: 46,
            display: "ssl.truststore.certificates",
        },
        /// `elastic.https.ssl.truststore.location` (a PEM file of CA certificates; `None` also
        /// when empty).
        pub ssl_truststore_location: Option<String> {
            key: "elastic.https.ssl.truststore.location",
            ty: String,
            default: null,
            importance: High,
            doc: "The location of the trust store file.",
            group: "Security", order: 47,
            display: "ssl.truststore.location",
            map: non_empty,
        },
        /// `elastic.https.ssl.truststore.password` (must be unset for PEM, as in Kafka).
        pub ssl_truststore_password: Option<String> {
            key: "elastic.https.ssl.truststore.password",
            ty: Password,
            default: null,
            importance: High,
            doc: "The password for the trust store file. If a password is not set, trust store file configured will still be used, but integrity checking is disabled. Trust store password is not supported for PEM format.",
            group: "Security", order: 48,
            display: "ssl.truststore.password",
        },
        /// `elastic.https.ssl.enabled.protocols`.
        pub ssl_enabled_protocols: Vec<String> {
            key: "elastic.https.ssl.enabled.protocols",
            ty: List,
            default: "TLSv1.2,TLSv1.3",
            validator: Validator::Custom(&SSL_ENABLED_PROTOCOLS_VALIDATOR),
            importance: Medium,
            doc: "The list of protocols enabled for SSL connections. The default is 'TLSv1.2,TLSv1.3' when running with Java 11 or newer, 'TLSv1.2' otherwise. With the default value for Java 11, clients and servers will prefer TLSv1.3 if both support it and fallback to TLSv1.2 otherwise (assuming both support at least TLSv1.2). This default should be fine for most cases. Also see the config documentation for `ssl.protocol`.",
            group: "Security", order: 49,
            display: "ssl.enabled.protocols",
        },
        /// `elastic.https.ssl.keystore.type` (only `PEM` when a keystore is used).
        pub ssl_keystore_type: String {
            key: "elastic.https.ssl.keystore.type",
            ty: String,
            default: "JKS",
            importance: Medium,
            doc: "The file format of the key store file. This is optional for client. The values currently supported by the default `ssl.engine.factory.class` are [JKS, PKCS12, PEM].",
            group: "Security", order: 50,
            display: "ssl.keystore.type",
        },
        /// `elastic.https.ssl.protocol`.
        pub ssl_protocol: String {
            key: "elastic.https.ssl.protocol",
            ty: String,
            default: "TLSv1.3",
            validator: Validator::Custom(&SSL_PROTOCOL_VALIDATOR),
            importance: Medium,
            doc: "The SSL protocol used to generate the SSLContext. The default is 'TLSv1.3' when running with Java 11 or newer, 'TLSv1.2' otherwise. This value should be fine for most use cases. Allowed values in recent JVMs are 'TLSv1.2' and 'TLSv1.3'. 'TLS', 'TLSv1.1', 'SSL', 'SSLv2' and 'SSLv3' may be supported in older JVMs, but their usage is discouraged due to known security vulnerabilities. With the default value for this config and 'ssl.enabled.protocols', clients will downgrade to 'TLSv1.2' if the server does not support 'TLSv1.3'. If this config is set to 'TLSv1.2', clients will not use 'TLSv1.3' even if it is one of the values in ssl.enabled.protocols and the server only supports 'TLSv1.3'.",
            group: "Security", order: 51,
            display: "ssl.protocol",
        },
        /// `elastic.https.ssl.provider` (rejected when set).
        pub ssl_provider: Option<String> {
            key: "elastic.https.ssl.provider",
            ty: String,
            default: null,
            validator: Validator::Custom(&SSL_PROVIDER_VALIDATOR),
            importance: Medium,
            doc: "The name of the security provider used for SSL connections. Default value is the default security provider of the JVM.",
            group: "Security", order: 52,
            display: "ssl.provider",
        },
        /// `elastic.https.ssl.truststore.type` (only `PEM` when a truststore is used).
        pub ssl_truststore_type: String {
            key: "elastic.https.ssl.truststore.type",
            ty: String,
            default: "JKS",
            importance: Medium,
            doc: "The file format of the trust store file. The values currently supported by the default `ssl.engine.factory.class` are [JKS, PKCS12, PEM].",
            group: "Security", order: 53,
            display: "ssl.truststore.type",
        },
        /// `elastic.https.ssl.cipher.suites` (rejected when set).
        pub ssl_cipher_suites: Option<Vec<String>> {
            key: "elastic.https.ssl.cipher.suites",
            ty: List,
            default: null,
            validator: Validator::Custom(&SSL_CIPHER_SUITES_VALIDATOR),
            importance: Low,
            doc: "A list of cipher suites. This is a named combination of authentication, encryption, MAC and key exchange algorithm used to negotiate the security settings for a network connection using TLS or SSL network protocol. By default all the available cipher suites are supported.",
            group: "Security", order: 54,
            display: "ssl.cipher.suites",
        },
        /// `elastic.https.ssl.endpoint.identification.algorithm` (empty = no host name check).
        pub ssl_endpoint_identification_algorithm: String {
            key: "elastic.https.ssl.endpoint.identification.algorithm",
            ty: String,
            default: "https",
            importance: Low,
            doc: "The endpoint identification algorithm to validate server hostname using server certificate. ",
            group: "Security", order: 55,
            display: "ssl.endpoint.identification.algorithm",
        },
        /// `elastic.https.ssl.engine.factory.class` (rejected when set).
        pub ssl_engine_factory_class: Option<String> {
            key: "elastic.https.ssl.engine.factory.class",
            ty: Class,
            default: null,
            validator: Validator::Custom(&SSL_ENGINE_FACTORY_VALIDATOR),
            importance: Low,
            doc: "The class of type org.apache.kafka.common.security.auth.SslEngineFactory to provide SSLEngine objects. Default value is org.apache.kafka.common.security.ssl.DefaultSslEngineFactory. Alternatively, setting this to org.apache.kafka.common.security.ssl.CommonNameLoggingSslEngineFactory will log the common name of expired SSL certificates used by clients to authenticate at any of the brokers with log level INFO. Note that this will cause a tiny delay during establishment of new connections from mTLS clients to brokers due to the extra code for examining the certificate chain provided by the client. Note further that the implementation uses a custom truststore based on the standard Java truststore and thus might be considered a security risk due to not being as mature as the standard one.",
            group: "Security", order: 56,
            display: "ssl.engine.factory.class",
        },
        /// `elastic.https.ssl.keymanager.algorithm` (the JVM's default on OpenJDK).
        pub ssl_keymanager_algorithm: String {
            key: "elastic.https.ssl.keymanager.algorithm",
            ty: String,
            default: "SunX509",
            validator: Validator::Custom(&SSL_KEYMANAGER_VALIDATOR),
            importance: Low,
            doc: "The algorithm used by key manager factory for SSL connections. Default value is the key manager factory algorithm configured for the Java Virtual Machine.",
            group: "Security", order: 57,
            display: "ssl.keymanager.algorithm",
        },
        /// `elastic.https.ssl.secure.random.implementation` (accepted; Java's PRNG choice).
        pub ssl_secure_random_implementation: Option<String> {
            key: "elastic.https.ssl.secure.random.implementation",
            ty: String,
            default: null,
            importance: Low,
            doc: "The SecureRandom PRNG implementation to use for SSL cryptography operations. ",
            group: "Security", order: 58,
            display: "ssl.secure.random.implementation",
        },
        /// `elastic.https.ssl.trustmanager.algorithm` (the JVM's default on OpenJDK).
        pub ssl_trustmanager_algorithm: String {
            key: "elastic.https.ssl.trustmanager.algorithm",
            ty: String,
            default: "PKIX",
            validator: Validator::Custom(&SSL_TRUSTMANAGER_VALIDATOR),
            importance: Low,
            doc: "The algorithm used by trust manager factory for SSL connections. Default value is the trust manager factory algorithm configured for the Java Virtual Machine.",
            group: "Security", order: 59,
            display: "ssl.trustmanager.algorithm",
        },
        // --- Kerberos group (numbered from 0) ---
        /// `kerberos.user.principal` (rejected when set).
        pub kerberos_user_principal: Option<String> {
            key: "kerberos.user.principal",
            ty: String,
            default: null,
            importance: Low,
            doc: "The Kerberos user principal the connector may use to authenticate with Kerberos.",
            group: "Kerberos", order: 0,
            width: Long,
            display: "Kerberos User Principal",
        },
        /// `kerberos.keytab.path` (rejected when set).
        pub kerberos_keytab_path: Option<String> {
            key: "kerberos.keytab.path",
            ty: String,
            default: null,
            validator: Validator::Custom(&KEYTAB_VALIDATOR),
            importance: Low,
            doc: "The path to the keytab file to use for authentication with Kerberos.",
            group: "Kerberos", order: 1,
            width: Long,
            display: "Kerberos Keytab File Path",
        },
        // --- Legacy 10.x keys ---
        /// `type.name` (10.x; sent nowhere).
        pub type_name: Option<String> {
            key: "type.name",
            ty: String,
            default: null,
            importance: High,
            doc: "The Elasticsearch type name to use when indexing. (Removed in Confluent 11.0; accepted by Strait for configurations written for 10.x and sent nowhere: OpenSearch 2 and Elasticsearch 7+ only know the ``_doc`` type.)",
            group: "Legacy (Confluent 10.x)", order: 1,
            width: Short,
            display: "Type Name",
        },
        /// `topic.index.map` (10.x): topic → index, in effect.
        pub topic_index_map: Vec<(String, String)> {
            key: "topic.index.map",
            ty: List,
            default: "",
            importance: Low,
            doc: "This option is now deprecated. A future version may remove it completely. Please use single message transforms, such as RegexRouter, to map topic names to index names.\nA map from Kafka topic name to the destination Elasticsearch index, represented as a list of ``topic:index`` pairs. (Removed in Confluent 11.0; Strait still honours it.)",
            group: "Legacy (Confluent 10.x)", order: 2,
            width: Long,
            display: "Topic to Index Map",
            try_map: parse_topic_index_map,
        },
        /// `auto.create.indices.at.start` (10.x).
        pub auto_create_indices_at_start: bool {
            key: "auto.create.indices.at.start",
            ty: Boolean,
            default: "true",
            importance: Low,
            doc: "Auto create the Elasticsearch indices at startup. This is useful when the indices are a direct mapping  of the Kafka topics. (Removed in Confluent 11.0; Strait still honours it.)",
            group: "Legacy (Confluent 10.x)", order: 3,
            width: Short,
            display: "Create indices at startup",
        },
        // --- Strait ---
        /// `index.name.format` (empty = Confluent's topic-derived names).
        pub index_name_format: String {
            key: "index.name.format",
            ty: String,
            default: "",
            validator: Validator::Custom(&INDEX_NAME_FORMAT_VALIDATOR),
            importance: Medium,
            doc: "Strait (beyond Confluent): a template for the index name of each record. Literal text with the placeholders ``%{topic}`` (the record's topic), ``%{field:<dotted.path>}`` (a field of the record value; ``%{field:<path>:<Joda pattern>}`` formats a date) and ``%{timestamp:<Joda pattern>}`` (the record timestamp, formatted in ``index.name.timezone``), e.g. ``logs-%{field:service}-%{timestamp:yyyy.MM.dd}``. Logstash-style ``%{…}``, not ``${…}``, which Kafka Connect reserves for config providers. Empty (the default) keeps Confluent's naming: the topic, lower-cased.",
            group: "Strait", order: 1,
            width: Long,
            display: "Index Name Format",
        },
        /// `index.name.timezone`.
        pub index_name_timezone: String {
            key: "index.name.timezone",
            ty: String,
            default: "UTC",
            validator: Validator::Custom(&INDEX_TIMEZONE_VALIDATOR),
            importance: Low,
            doc: "Strait (beyond Confluent): the timezone of ``%{timestamp:…}`` in ``index.name.format``: ``UTC``, a tz database id such as ``Europe/Paris``, or a fixed offset ``[+-]hh:mm``.",
            group: "Strait", order: 2,
            width: Medium,
            display: "Index Name Timezone",
        },
        /// `max.buffered.bytes`.
        pub max_buffered_bytes: i64 {
            key: "max.buffered.bytes",
            ty: Long,
            default: "104857600",
            validator: Validator::at_least(1_048_576.0),
            importance: Low,
            doc: "Strait (beyond Confluent): the memory budget, in bytes, of the records a task holds, buffered or in flight to Elasticsearch. Above it the task pauses its partitions until requests complete. Default 100 MiB, at least 1 MiB.",
            group: "Strait", order: 3,
            width: Short,
            display: "Max Buffered Bytes",
        },
    }
}

// --- Confluent's `Validator` messages ---------------------------------------------------------

/// `Validator.EXTERNAL_RESOURCE_CONFIG_TOGETHER_ERROR`.
pub const EXTERNAL_RESOURCE_CONFIG_TOGETHER_ERROR: &str = "Invalid configuration: \
     external.resource.usage and topic.to.external.resource.mapping must be configured together. \
     Either both must be set, or both must be empty.";
/// `Validator.EXTERNAL_RESOURCE_DATA_STREAM_MUTUAL_EXCLUSIVITY_ERROR`.
pub const EXTERNAL_RESOURCE_DATA_STREAM_MUTUAL_EXCLUSIVITY_ERROR: &str = "Resource mapping mode \
     and data stream configs are mutually exclusive. When using \
     topic.to.external.resource.mapping, data stream configs (data.stream.type, \
     data.stream.dataset) must not be set.";
/// `Validator.TIMESTAMP_FIELD_NOT_ALLOWED_ERROR`.
pub const TIMESTAMP_FIELD_NOT_ALLOWED_ERROR: &str = "Mapping a field to the '@timestamp' field \
     is only necessary when working with data streams. 'data.stream.timestamp.field' must not be \
     set when not using data streams.";
/// `Validator.UPSERT_NOT_ALLOWED_WITH_DATASTREAM_ERROR`.
pub const UPSERT_NOT_ALLOWED_WITH_DATASTREAM_ERROR: &str = "Upserts are not supported with data \
     streams. write.method must not be UPSERT when using data streams.";
/// `Validator.DELETE_NOT_ALLOWED_WITH_DATASTREAM_ERROR`.
pub const DELETE_NOT_ALLOWED_WITH_DATASTREAM_ERROR: &str = "Deletes are not supported with data \
     streams. behavior.on.null.values must not be DELETE when using data streams.";
/// `ElasticsearchSinkConnectorConfig.INVALID_MAPPING_FORMAT_ERROR`.
pub const INVALID_MAPPING_FORMAT_ERROR: &str =
    "Invalid topic-to-resource mapping format. The expected format: topic:resource";

const MAPPING_KEY: &str = "topic.to.external.resource.mapping";

/// One cross-key error: the message and the keys it is reported on.
pub type CrossKeyError = (String, Vec<&'static str>);

impl ElasticsearchSinkConfig {
    /// Parse and check: the per-key rules of [`ElasticsearchSinkConfig::parse`] (first failing
    /// key in definition order), then the cross-key rules (first in Confluent's order). What the
    /// connector and the task call.
    pub fn from_props(props: &Props) -> Result<Self> {
        let mut config = Self::parse(props)?;
        if let Some((message, _)) = config.cross_key_errors(props).into_iter().next() {
            return Err(Error::config(message));
        }
        // Confluent's `sslConfigs()`: without a store location, its password (and type) are
        // dropped, so a password given alone means nothing.
        if config.ssl_keystore_location.is_none() {
            config.ssl_keystore_password = None;
            config.ssl_key_password = None;
        }
        if config.ssl_truststore_location.is_none() {
            config.ssl_truststore_password = None;
        }
        Ok(config)
    }

    /// REST validation: every key's result as `config_def().validate` gives it, the
    /// `EnumRecommender` values Confluent recommends, and the cross-key errors on the keys
    /// Confluent attaches them to (only when every key parses, as Confluent's `Validator`).
    pub fn validate(props: &Props) -> Vec<ConfigValue> {
        let mut values = Self::config_def().validate(props);
        for v in &mut values {
            if let Some((_, recommended)) = RECOMMENDED.iter().find(|(k, _)| *k == v.name) {
                v.recommended_values = recommended.iter().map(|s| s.to_string()).collect();
            }
        }
        if let Ok(config) = Self::parse(props) {
            for (message, keys) in config.cross_key_errors(props) {
                for key in keys {
                    if let Some(v) = values.iter_mut().find(|v| v.name == key) {
                        v.errors.push(message.clone());
                    }
                }
            }
        }
        values
    }

    /// The cross-key rules: Confluent's `Validator.validate` (without its I/O), in its order,
    /// then Strait's limits that depend on several keys. `props` gives the framework's `topics`
    /// and the raw `elastic.https.` keys, which Confluent reads from the originals.
    pub fn cross_key_errors(&self, props: &Props) -> Vec<CrossKeyError> {
        let mut errors: Vec<CrossKeyError> = Vec::new();
        let mut add =
            |message: String, keys: &[&'static str]| errors.push((message, keys.to_vec()));

        // validateCredentials.
        if self.connection_username.is_some() != self.connection_password.is_some() {
            add(
                "Both 'connection.username' and 'connection.password' must be set.".to_string(),
                &["connection.username", "connection.password"],
            );
        }

        // validateResourceConfigs.
        self.resource_config_errors(props, &mut add);

        // validateDataStreamConfigs.
        if (self.data_stream_type == DataStreamType::None) != self.data_stream_dataset.is_empty() {
            add(
                "Either both or neither 'data.stream.dataset' and 'data.stream.type' must be set."
                    .to_string(),
                &["data.stream.type", "data.stream.dataset"],
            );
        }

        // validateDataStreamCompatibility.
        if !self.is_data_stream() {
            if !self.data_stream_timestamp_field.is_empty() {
                add(
                    TIMESTAMP_FIELD_NOT_ALLOWED_ERROR.to_string(),
                    &["data.stream.timestamp.field"],
                );
            }
        } else if self.write_method == WriteMethod::Upsert {
            add(
                UPSERT_NOT_ALLOWED_WITH_DATASTREAM_ERROR.to_string(),
                &["write.method"],
            );
        } else if self.behavior_on_null_values == NullValueBehavior::Delete {
            add(
                DELETE_NOT_ALLOWED_WITH_DATASTREAM_ERROR.to_string(),
                &["behavior.on.null.values"],
            );
        }

        // validateIgnoreConfigs.
        if self.key_ignore && !self.topic_key_ignore.is_empty() {
            add(
                "'topic.key.ignore' can not be set if 'key.ignore' is true.".to_string(),
                &["key.ignore", "topic.key.ignore"],
            );
        }
        if self.schema_ignore && !self.topic_schema_ignore.is_empty() {
            add(
                "'topic.schema.ignore' can not be set if 'schema.ignore' is true.".to_string(),
                &["schema.ignore", "topic.schema.ignore"],
            );
        }

        // validateKerberos, then Strait's refusal of Kerberos on each key that is set.
        let principal = self.kerberos_user_principal.is_some();
        let keytab = self.kerberos_keytab_path.is_some();
        if principal != keytab {
            add(
                "Either both or neither 'kerberos.user.principal' and 'kerberos.keytab.path' must \
                 be set."
                    .to_string(),
                &["kerberos.user.principal", "kerberos.keytab.path"],
            );
        }
        if principal || keytab {
            if self.basic_auth().is_some() {
                add(
                    "Either only Kerberos (kerberos.user.principal, kerberos.keytab.path) or \
                     connection credentials (connection.username, connection.password) must be \
                     set."
                        .to_string(),
                    &[
                        "kerberos.user.principal",
                        "kerberos.keytab.path",
                        "connection.username",
                        "connection.password",
                    ],
                );
            }
            if self.proxy_configured() {
                add(
                    "Kerberos (kerberos.user.principal, kerberos.keytab.path) is not supported \
                     with proxy settings (proxy.host)."
                        .to_string(),
                    &[
                        "kerberos.user.principal",
                        "kerberos.keytab.path",
                        "proxy.host",
                    ],
                );
            }
            for (key, value) in [
                ("kerberos.user.principal", &self.kerberos_user_principal),
                ("kerberos.keytab.path", &self.kerberos_keytab_path),
            ] {
                if let Some(value) = value {
                    add(
                        format!(
                            "Invalid value {value} for configuration {key}: Strait does not \
                             support Kerberos (SPNEGO) authentication; use connection.username \
                             and connection.password, or a TLS client certificate"
                        ),
                        &[key],
                    );
                }
            }
        }

        // validateLingerMs.
        if self.linger_ms > self.flush_timeout_ms {
            add(
                format!(
                    "'linger.ms' ({}) can not be larger than 'flush.timeout.ms' ({}).",
                    self.linger_ms, self.flush_timeout_ms
                ),
                &["linger.ms", "flush.timeout.ms"],
            );
        }

        // validateMaxBufferedRecords (the product fits an int: 10^6 x 1000).
        if i64::from(self.max_buffered_records)
            < i64::from(self.batch_size) * i64::from(self.max_in_flight_requests)
        {
            add(
                format!(
                    "'max.buffered.records' ({}) must be larger than or equal to 'batch.size' ({}) \
                     x max.in.flight.requests ({}).",
                    self.max_buffered_records, self.batch_size, self.max_in_flight_requests
                ),
                &[
                    "max.buffered.records",
                    "batch.size",
                    "max.in.flight.requests",
                ],
            );
        }

        // validateProxy.
        if !self.proxy_configured() {
            if !self.proxy_username.is_empty() {
                add(
                    "'proxy.host' must be set to use 'proxy.username'.".to_string(),
                    &["proxy.username", "proxy.host"],
                );
            }
            if self.proxy_password.is_some() {
                add(
                    "'proxy.host' must be set to use 'proxy.password'.".to_string(),
                    &["proxy.password", "proxy.host"],
                );
            }
        } else if self.proxy_username.is_empty() != self.proxy_password.is_none() {
            add(
                "Either both or neither 'proxy.username' and 'proxy.password' can be set."
                    .to_string(),
                &["proxy.username", "proxy.password"],
            );
        }

        // validateSsl: any `elastic.https.` key given, even empty, counts.
        let any_ssl_key = props.keys().any(|k| k.starts_with(SSL_PREFIX));
        match self.security_protocol {
            SecurityProtocol::Plaintext if any_ssl_key => add(
                "'elastic.security.protocol' must be set to 'SSL' to use SSL configs.".to_string(),
                &["elastic.security.protocol"],
            ),
            SecurityProtocol::Ssl if !any_ssl_key => add(
                "At least these SSL configs ('elastic.https.ssl.keystore.location', \
                 'elastic.https.ssl.keystore.password', 'elastic.https.ssl.truststore.location', \
                 and 'elastic.https.ssl.truststore.password') must be present for SSL support. \
                 Otherwise set 'elastic.security.protocol' to 'PLAINTEXT'."
                    .to_string(),
                &["elastic.security.protocol"],
            ),
            _ => {}
        }

        // Strait: the stores Confluent would hand to Kafka's SslFactory must be PEM files, and
        // Kafka refuses a store password on a PEM store (at task start; here at parse).
        if self.security_protocol == SecurityProtocol::Ssl {
            self.pem_store_errors(&mut add);
        }
        errors
    }

    fn pem_store_errors(&self, add: &mut impl FnMut(String, &[&'static str])) {
        if self.ssl_truststore_location.is_some() {
            if self.ssl_truststore_type != "PEM" {
                add(
                    format!(
                        "Invalid value {} for configuration elastic.https.ssl.truststore.type: \
                         Strait reads only PEM trust stores (a file of PEM certificates); set \
                         elastic.https.ssl.truststore.type=PEM and convert the store, e.g. with \
                         keytool -exportcert -rfc",
                        self.ssl_truststore_type
                    ),
                    &["elastic.https.ssl.truststore.type"],
                );
            } else if self.ssl_truststore_password.is_some() {
                add(
                    "Invalid value [hidden] for configuration \
                     elastic.https.ssl.truststore.password: SSL trust store password cannot be \
                     specified for PEM format."
                        .to_string(),
                    &["elastic.https.ssl.truststore.password"],
                );
            }
        }
        if self.ssl_keystore_location.is_some() {
            if self.ssl_keystore_type != "PEM" {
                add(
                    format!(
                        "Invalid value {} for configuration elastic.https.ssl.keystore.type: \
                         Strait reads only PEM key stores (a file with the PKCS#8 private key and \
                         the certificate chain); set elastic.https.ssl.keystore.type=PEM and \
                         convert the store, e.g. with openssl pkcs12 -nodes",
                        self.ssl_keystore_type
                    ),
                    &["elastic.https.ssl.keystore.type"],
                );
            } else if self.ssl_keystore_password.is_some() {
                add(
                    "Invalid value [hidden] for configuration \
                     elastic.https.ssl.keystore.password: SSL key store password cannot be \
                     specified with PEM format, only key password may be specified"
                        .to_string(),
                    &["elastic.https.ssl.keystore.password"],
                );
            }
        }
    }

    /// Confluent's `validateResourceConfigs` and `validateAllTopicsMapped`.
    fn resource_config_errors(&self, props: &Props, add: &mut impl FnMut(String, &[&'static str])) {
        let has_mappings = !self.topic_to_external_resource_mapping.is_empty();
        if self.external_resource_enabled() != has_mappings {
            add(
                EXTERNAL_RESOURCE_CONFIG_TOGETHER_ERROR.to_string(),
                &["external.resource.usage", MAPPING_KEY],
            );
            return;
        }
        if !has_mappings {
            return;
        }
        if self.data_stream_type != DataStreamType::None || !self.data_stream_dataset.is_empty() {
            add(
                EXTERNAL_RESOURCE_DATA_STREAM_MUTUAL_EXCLUSIVITY_ERROR.to_string(),
                &[MAPPING_KEY, "data.stream.type", "data.stream.dataset"],
            );
            return;
        }
        let map = match self.topic_to_resource() {
            Ok(map) => map,
            Err(e) => {
                add(e.message().to_string(), &[MAPPING_KEY]);
                return;
            }
        };
        // Confluent walks HashSets: the first problem reported is the first in their order.
        let configured = java_hash_set_order(&configured_topics(props));
        if let Some(topic) = configured.iter().find(|t| !map.contains_key(*t)) {
            add(
                format!(
                    "Topic '{topic}' is not mapped to any resource. All configured topics must \
                     be mapped to a resource."
                ),
                &[MAPPING_KEY],
            );
            return;
        }
        let mapped = java_hash_set_order(&map.keys().cloned().collect::<Vec<_>>());
        if let Some(topic) = mapped.iter().find(|t| !configured.contains(t)) {
            add(
                format!(
                    "Topic '{topic}' is mapped but not configured. All mapped topics must be \
                     configured topics."
                ),
                &[MAPPING_KEY],
            );
        }
    }

    /// Confluent's `getTopicToExternalResourceMap`: `topic:resource` pairs (trimmed), one
    /// resource per topic and one topic per resource, at most `max.external.resource.mappings`.
    pub fn topic_to_resource(&self) -> Result<BTreeMap<String, String>> {
        let mut map = BTreeMap::new();
        let mut resources: Vec<String> = Vec::new();
        for mapping in &self.topic_to_external_resource_mapping {
            let parts = java_split_colon(mapping);
            let [topic, resource] = parts.as_slice() else {
                return Err(invalid(MAPPING_KEY, mapping, INVALID_MAPPING_FORMAT_ERROR));
            };
            let (topic, resource) = (topic.trim().to_string(), resource.trim().to_string());
            if map.contains_key(&topic) {
                return Err(invalid(
                    MAPPING_KEY,
                    mapping,
                    &format!(
                        "Topic '{topic}' is mapped to multiple resources. Each topic must be \
                         mapped to exactly one resource."
                    ),
                ));
            }
            if resources.contains(&resource) {
                return Err(invalid(
                    MAPPING_KEY,
                    mapping,
                    &format!(
                        "Resource '{resource}' is mapped from multiple topics. Each resource \
                         must be mapped to exactly one topic."
                    ),
                ));
            }
            resources.push(resource.clone());
            map.insert(topic, resource);
        }
        let max = usize::try_from(self.max_external_resource_mappings).unwrap_or(0);
        if map.len() > max {
            return Err(invalid(
                MAPPING_KEY,
                format!("[{}]", self.topic_to_external_resource_mapping.join(", ")),
                &format!(
                    "Too many topic-to-external-resource mappings are configured ({}). Maximum \
                     allowed limit is {}.",
                    map.len(),
                    self.max_external_resource_mappings
                ),
            ));
        }
        Ok(map)
    }

    /// Confluent's `shouldIgnoreKey`: globally, for this topic, or because Elasticsearch
    /// generates the ids (`use.autogenerated.ids` with INSERT).
    pub fn ignore_key(&self, topic: &str) -> bool {
        self.key_ignore
            || self.topic_key_ignore.iter().any(|t| t == topic)
            || (self.write_method == WriteMethod::Insert && self.use_autogenerated_ids)
    }

    /// Confluent's `shouldIgnoreSchema`.
    pub fn ignore_schema(&self, topic: &str) -> bool {
        self.schema_ignore || self.topic_schema_ignore.iter().any(|t| t == topic)
    }

    /// Confluent's `isExternalResourceUsageEnabled`.
    pub fn external_resource_enabled(&self) -> bool {
        self.external_resource_usage != ExternalResourceUsage::Disabled
    }

    /// Confluent's `isDataStream`: the external resource usage decides when enabled, else a data
    /// stream type and a dataset.
    pub fn is_data_stream(&self) -> bool {
        if self.external_resource_enabled() {
            return matches!(
                self.external_resource_usage,
                ExternalResourceUsage::Datastream | ExternalResourceUsage::AliasDatastream
            );
        }
        self.data_stream_type != DataStreamType::None && !self.data_stream_dataset.is_empty()
    }

    /// HTTPS for all connections when any URL starts with `https:` (Confluent's documented
    /// rule); scheme-less URLs are `http`.
    pub fn use_https(&self) -> bool {
        self.connection_urls
            .iter()
            .any(|u| u.get(..6).is_some_and(|s| s.eq_ignore_ascii_case("https:")))
    }

    /// The connection URLs with their scheme: `https://` for all when [`use_https`] holds (a
    /// URL's own `http://` replaced), `http://` before scheme-less ones otherwise.
    ///
    /// [`use_https`]: ElasticsearchSinkConfig::use_https
    pub fn urls_with_scheme(&self) -> Vec<String> {
        let scheme = if self.use_https() { "https" } else { "http" };
        self.connection_urls
            .iter()
            .map(|u| {
                let rest = u.split_once("://").map_or(u.as_str(), |(_, rest)| rest);
                format!("{scheme}://{rest}")
            })
            .collect()
    }

    /// Basic credentials when both `connection.username` and `connection.password` are set
    /// (Confluent's `isAuthenticatedConnection`).
    pub fn basic_auth(&self) -> Option<(String, String)> {
        match (&self.connection_username, &self.connection_password) {
            (Some(user), Some(password)) => Some((user.clone(), password.clone())),
            _ => None,
        }
    }

    /// Confluent's `isBasicProxyConfigured`.
    pub fn proxy_configured(&self) -> bool {
        !self.proxy_host.is_empty()
    }

    /// Proxy credentials (Confluent's `isProxyWithAuthenticationConfigured`).
    pub fn proxy_auth(&self) -> Option<(String, String)> {
        match &self.proxy_password {
            Some(password) if self.proxy_configured() && !self.proxy_username.is_empty() => {
                Some((self.proxy_username.clone(), password.clone()))
            }
            _ => None,
        }
    }

    /// Confluent's `isSslEnabled`.
    pub fn ssl_enabled(&self) -> bool {
        self.security_protocol == SecurityProtocol::Ssl
    }

    /// Confluent's `shouldDisableHostnameVerification`: an empty endpoint identification
    /// algorithm turns the host name check off.
    pub fn verify_hostname(&self) -> bool {
        !self.ssl_endpoint_identification_algorithm.is_empty()
    }

    /// The TLS versions allowed (`"TLSv1.2"`, `"TLSv1.3"`): `ssl.enabled.protocols`, without
    /// 1.3 when `ssl.protocol=TLSv1.2` (Kafka's documented rule).
    pub fn tls_versions(&self) -> Vec<&'static str> {
        ["TLSv1.2", "TLSv1.3"]
            .into_iter()
            .filter(|v| self.ssl_enabled_protocols.iter().any(|p| p == v))
            .filter(|v| !(self.ssl_protocol == "TLSv1.2" && *v == "TLSv1.3"))
            .collect()
    }

    /// The index for `topic` from the legacy `topic.index.map`, if any.
    pub fn legacy_index_for(&self, topic: &str) -> Option<&str> {
        self.topic_index_map
            .iter()
            .find(|(t, _)| t == topic)
            .map(|(_, index)| index.as_str())
    }
}

/// Confluent's `getTopicArray`: `topics` trimmed and split on commas with the whitespace around
/// them (Java's `split`: trailing empty strings dropped, but `""` gives one empty topic); no
/// topics with `topics.regex`.
fn configured_topics(props: &Props) -> Vec<String> {
    let Some(topics) = props.get("topics") else {
        return Vec::new();
    };
    let topics = topics.trim();
    if topics.is_empty() {
        return vec![String::new()];
    }
    let mut parts: Vec<String> = topics.split(',').map(|t| t.trim().to_string()).collect();
    while parts.last().is_some_and(String::is_empty) {
        parts.pop();
    }
    parts
}

/// Java's `s.split(":")`: trailing empty strings dropped (an input without `:` is itself).
fn java_split_colon(s: &str) -> Vec<&str> {
    if !s.contains(':') {
        return vec![s];
    }
    let mut parts: Vec<&str> = s.split(':').collect();
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts
}

/// The iteration order of `new HashSet<>(collection)` in Java: duplicates dropped (first kept),
/// elements by bucket of their spread `String.hashCode` in a table sized for the collection
/// (`max(n / .75 + 1, 16)` rounded up to a power of two), insertion order within a bucket.
fn java_hash_set_order(items: &[String]) -> Vec<String> {
    let wanted = ((items.len() as f32 / 0.75) as usize + 1).max(16);
    let capacity = wanted.next_power_of_two();
    let bucket = |key: &str| {
        let h = key
            .encode_utf16()
            .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)));
        let spread = h ^ ((h as u32) >> 16) as i32;
        (spread as u32 as usize) & (capacity - 1)
    };
    let mut unique: Vec<&String> = Vec::new();
    for item in items {
        if !unique.contains(&item) {
            unique.push(item);
        }
    }
    let mut indexed: Vec<(usize, usize, &String)> = unique
        .into_iter()
        .enumerate()
        .map(|(i, s)| (bucket(s), i, s))
        .collect();
    indexed.sort_by_key(|(b, i, _)| (*b, *i));
    indexed.into_iter().map(|(_, _, s)| s.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use strait_engine::config::{ConfigDef, ConfigKey, ConfigType, Default, Importance, Width};

    fn props(pairs: &[(&str, &str)]) -> Props {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// The issue's seed config (connector.class, tasks.max and topics are framework keys).
    fn seed() -> Vec<(&'static str, &'static str)> {
        vec![
            (
                "connector.class",
                "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector",
            ),
            ("tasks.max", "3"),
            ("topics", "events"),
            ("connection.url", "http://elasticsearch:9200"),
            ("type.name", "_doc"),
            ("key.ignore", "true"),
            ("schema.ignore", "true"),
        ]
    }

    fn with(extra: &[(&'static str, &'static str)]) -> Props {
        let mut p = seed();
        p.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
        p.extend_from_slice(extra);
        props(&p)
    }

    fn parse(extra: &[(&'static str, &'static str)]) -> ElasticsearchSinkConfig {
        ElasticsearchSinkConfig::from_props(&with(extra)).expect("config must parse")
    }

    fn err(extra: &[(&'static str, &'static str)]) -> String {
        ElasticsearchSinkConfig::from_props(&with(extra))
            .expect_err("config must be rejected")
            .message()
            .to_string()
    }

    /// The errors `validate` reports on `key`.
    fn errors_on(extra: &[(&'static str, &'static str)], key: &str) -> Vec<String> {
        ElasticsearchSinkConfig::validate(&with(extra))
            .into_iter()
            .find(|v| v.name == key)
            .unwrap_or_else(|| panic!("no key {key}"))
            .errors
    }

    /// Every key that has errors, with them.
    fn all_errors(extra: &[(&'static str, &'static str)]) -> Vec<(String, Vec<String>)> {
        ElasticsearchSinkConfig::validate(&with(extra))
            .into_iter()
            .filter(|v| !v.errors.is_empty())
            .map(|v| (v.name, v.errors))
            .collect()
    }

    use ConfigType as T;
    use Importance::{High as H, Low as L, Medium as M};

    fn d(v: &str) -> Default {
        Default::Value(v.to_string())
    }

    /// Confluent's keys as `ElasticsearchSinkConnectorConfig.baseConfigDef()` defines them
    /// (without the embedded SSL keys): name, type, default, importance, group, order, width,
    /// display name.
    #[allow(clippy::type_complexity)]
    fn confluent_table() -> Vec<(
        &'static str,
        T,
        Default,
        Importance,
        &'static str,
        i32,
        Width,
        &'static str,
    )> {
        use Width::{Long as WL, Medium as WM, Short as WS};
        let c = "Connector";
        let dc = "Data Conversion";
        vec![
            (
                "connection.url",
                T::List,
                Default::Required,
                H,
                c,
                1,
                WL,
                "Connection URLs",
            ),
            (
                "connection.username",
                T::String,
                Default::Null,
                M,
                c,
                2,
                WS,
                "Connection Username",
            ),
            (
                "connection.password",
                T::Password,
                Default::Null,
                M,
                c,
                3,
                WS,
                "Connection Password",
            ),
            (
                "external.resource.usage",
                T::String,
                d("DISABLED"),
                H,
                c,
                4,
                WS,
                "External Resource Usage",
            ),
            (
                "topic.to.external.resource.mapping",
                T::List,
                d(""),
                H,
                c,
                5,
                WL,
                "Topic to External Resource Mapping",
            ),
            (
                "max.external.resource.mappings",
                T::Int,
                d("15"),
                M,
                c,
                6,
                WS,
                "Maximum External Resource Mappings",
            ),
            (
                "data.stream.type",
                T::String,
                d("NONE"),
                L,
                c,
                7,
                WS,
                "Data Stream Type",
            ),
            (
                "data.stream.dataset",
                T::String,
                d(""),
                L,
                c,
                8,
                WM,
                "Data Stream Dataset",
            ),
            (
                "data.stream.namespace",
                T::String,
                d("${topic}"),
                L,
                c,
                9,
                WM,
                "Data Stream Namespace",
            ),
            (
                "data.stream.timestamp.field",
                T::List,
                d(""),
                L,
                c,
                10,
                WL,
                "Data Stream Timestamp Field",
            ),
            ("batch.size", T::Int, d("2000"), M, c, 11, WS, "Batch Size"),
            (
                "bulk.size.bytes",
                T::Long,
                d("5242880"),
                L,
                c,
                12,
                WS,
                "Bulk Size (bytes)",
            ),
            (
                "max.in.flight.requests",
                T::Int,
                d("5"),
                M,
                c,
                13,
                WS,
                "Max In-flight Requests",
            ),
            (
                "max.buffered.records",
                T::Int,
                d("20000"),
                L,
                c,
                14,
                WS,
                "Max Buffered Records",
            ),
            ("linger.ms", T::Long, d("1"), L, c, 15, WS, "Linger (ms)"),
            (
                "flush.timeout.ms",
                T::Long,
                d("180000"),
                L,
                c,
                16,
                WS,
                "Flush Timeout (ms)",
            ),
            (
                "flush.synchronously",
                T::Boolean,
                d("false"),
                L,
                c,
                17,
                WS,
                "Flush synchronously",
            ),
            ("max.retries", T::Int, d("5"), L, c, 18, WS, "Max Retries"),
            (
                "retry.backoff.ms",
                T::Long,
                d("100"),
                L,
                c,
                19,
                WS,
                "Retry Backoff (ms)",
            ),
            (
                "connection.compression",
                T::Boolean,
                d("false"),
                L,
                c,
                20,
                WS,
                "Compression",
            ),
            (
                "max.connection.idle.time.ms",
                T::Int,
                d("60000"),
                L,
                c,
                21,
                WS,
                "Max Connection Idle Time",
            ),
            (
                "connection.timeout.ms",
                T::Int,
                d("1000"),
                L,
                c,
                22,
                WS,
                "Connection Timeout",
            ),
            (
                "read.timeout.ms",
                T::Int,
                d("3000"),
                L,
                c,
                23,
                WS,
                "Read Timeout",
            ),
            (
                "key.ignore",
                T::Boolean,
                d("false"),
                H,
                dc,
                1,
                WS,
                "Ignore Key mode",
            ),
            (
                "schema.ignore",
                T::Boolean,
                d("false"),
                L,
                dc,
                2,
                WS,
                "Ignore Schema mode",
            ),
            (
                "compact.map.entries",
                T::Boolean,
                d("true"),
                L,
                dc,
                3,
                WS,
                "Compact Map Entries",
            ),
            (
                "topic.key.ignore",
                T::List,
                d(""),
                L,
                dc,
                4,
                WL,
                "Topics for 'Ignore Key' mode",
            ),
            (
                "topic.schema.ignore",
                T::List,
                d(""),
                L,
                dc,
                5,
                WL,
                "Topics for 'Ignore Schema' mode",
            ),
            (
                "drop.invalid.message",
                T::Boolean,
                d("false"),
                L,
                dc,
                6,
                WL,
                "Drop invalid messages",
            ),
            (
                "behavior.on.null.values",
                T::String,
                d("FAIL"),
                L,
                dc,
                7,
                WS,
                "Behavior for null-valued records",
            ),
            (
                "behavior.on.malformed.documents",
                T::String,
                d("FAIL"),
                L,
                dc,
                8,
                WS,
                "Behavior on malformed documents",
            ),
            (
                "external.version.header",
                T::String,
                d(""),
                L,
                dc,
                9,
                WS,
                "External Version Header Name",
            ),
            (
                "write.method",
                T::String,
                d("INSERT"),
                L,
                dc,
                10,
                WS,
                "Write Method",
            ),
            (
                "use.autogenerated.ids",
                T::Boolean,
                d("false"),
                M,
                c,
                11,
                WS,
                "Elasticsearch Generated IDs",
            ),
            (
                "proxy.host",
                T::String,
                d(""),
                L,
                "Proxy",
                0,
                WL,
                "Proxy Host",
            ),
            (
                "proxy.port",
                T::Int,
                d("8080"),
                L,
                "Proxy",
                1,
                WL,
                "Proxy Port",
            ),
            (
                "proxy.username",
                T::String,
                d(""),
                L,
                "Proxy",
                2,
                WL,
                "Proxy Username",
            ),
            (
                "proxy.password",
                T::Password,
                Default::Null,
                L,
                "Proxy",
                3,
                WL,
                "Proxy Password",
            ),
            (
                "elastic.security.protocol",
                T::String,
                d("PLAINTEXT"),
                M,
                "Security",
                1,
                WS,
                "Security protocol",
            ),
            (
                "kerberos.user.principal",
                T::String,
                Default::Null,
                L,
                "Kerberos",
                0,
                WL,
                "Kerberos User Principal",
            ),
            (
                "kerberos.keytab.path",
                T::String,
                Default::Null,
                L,
                "Kerberos",
                1,
                WL,
                "Kerberos Keytab File Path",
            ),
        ]
    }

    /// Kafka 3.9's `SslConfigs.addClientSslSupport`, in definition order: name, type, default,
    /// importance.
    fn kafka_ssl_table() -> Vec<(&'static str, T, Default, Importance)> {
        vec![
            ("ssl.protocol", T::String, d("TLSv1.3"), M),
            ("ssl.provider", T::String, Default::Null, M),
            ("ssl.cipher.suites", T::List, Default::Null, L),
            ("ssl.enabled.protocols", T::List, d("TLSv1.2,TLSv1.3"), M),
            ("ssl.keystore.type", T::String, d("JKS"), M),
            ("ssl.keystore.location", T::String, Default::Null, H),
            ("ssl.keystore.password", T::Password, Default::Null, H),
            ("ssl.key.password", T::Password, Default::Null, H),
            ("ssl.keystore.key", T::Password, Default::Null, H),
            (
                "ssl.keystore.certificate.chain",
                T::Password,
                Default::Null,
                H,
            ),
            ("ssl.truststore.certificates", T::Password, Default::Null, H),
            ("ssl.truststore.type", T::String, d("JKS"), M),
            ("ssl.truststore.location", T::String, Default::Null, H),
            ("ssl.truststore.password", T::Password, Default::Null, H),
            // The JVM defaults (KeyManagerFactory / TrustManagerFactory.getDefaultAlgorithm()).
            ("ssl.keymanager.algorithm", T::String, d("SunX509"), L),
            ("ssl.trustmanager.algorithm", T::String, d("PKIX"), L),
            (
                "ssl.endpoint.identification.algorithm",
                T::String,
                d("https"),
                L,
            ),
            (
                "ssl.secure.random.implementation",
                T::String,
                Default::Null,
                L,
            ),
            ("ssl.engine.factory.class", T::Class, Default::Null, L),
        ]
    }

    #[test]
    fn config_def_equals_confluents_keys_in_order() {
        let def = ElasticsearchSinkConfig::config_def();
        let table = confluent_table();
        let ssl_count = kafka_ssl_table().len();
        // 39 keys before the SSL ones, the 19 SSL keys, 2 Kerberos, 3 legacy, 3 Strait.
        assert_eq!(def.keys().len(), 39 + ssl_count + 2 + 3 + 3);
        let confluent: Vec<&ConfigKey> = def.keys()[..39]
            .iter()
            .chain(&def.keys()[39 + ssl_count..39 + ssl_count + 2])
            .collect();
        assert_eq!(confluent.len(), table.len());
        for (key, (name, ty, default, importance, group, order, width, display)) in
            confluent.iter().zip(table)
        {
            assert_eq!(key.name, name);
            assert_eq!(key.ty, ty, "{name}");
            assert_eq!(key.default, default, "{name}");
            assert_eq!(key.importance, importance, "{name}");
            assert_eq!(key.group.as_deref(), Some(group), "{name}");
            assert_eq!(key.order, order, "{name}");
            assert_eq!(key.width, width, "{name}");
            assert_eq!(key.display_name, display, "{name}");
        }
        let tail: Vec<&str> = def.keys()[39 + ssl_count + 2..]
            .iter()
            .map(|k| k.name.as_str())
            .collect();
        assert_eq!(
            tail,
            [
                "type.name",
                "topic.index.map",
                "auto.create.indices.at.start",
                "index.name.format",
                "index.name.timezone",
                "max.buffered.bytes"
            ]
        );
        for k in &def.keys()[39 + ssl_count + 2..39 + ssl_count + 5] {
            assert_eq!(k.group.as_deref(), Some("Legacy (Confluent 10.x)"));
        }
        for k in &def.keys()[39 + ssl_count + 5..] {
            assert_eq!(k.group.as_deref(), Some("Strait"));
            assert!(k.documentation.starts_with("Strait (beyond Confluent)"));
        }
        assert_eq!(
            def.key("auto.create.indices.at.start").unwrap().default,
            d("true")
        );
        assert_eq!(def.key("type.name").unwrap().default, Default::Null);
        assert_eq!(
            def.key("max.buffered.bytes").unwrap().default,
            d("104857600")
        );
        assert_eq!(def.key("index.name.timezone").unwrap().default, d("UTC"));
        assert_eq!(def.key("index.name.format").unwrap().default, d(""));
        // Ranges as Confluent's `between` / `atLeast`.
        let range = |name: &str| def.key(name).unwrap().validator.clone();
        assert_eq!(range("batch.size"), Validator::between(1.0, 1_000_000.0));
        assert_eq!(
            range("bulk.size.bytes"),
            Validator::between(-1.0, 2_147_483_647.0)
        );
        assert_eq!(range("linger.ms"), Validator::between(0.0, 604_800_000.0));
        assert_eq!(
            range("flush.timeout.ms"),
            Validator::between(1000.0, 604_800_000.0)
        );
        assert_eq!(
            range("retry.backoff.ms"),
            Validator::between(0.0, 86_400_000.0)
        );
        assert_eq!(
            range("max.connection.idle.time.ms"),
            Validator::between(-1.0, 86_400_000.0)
        );
        assert_eq!(
            range("connection.timeout.ms"),
            Validator::between(0.0, 43_200_000.0)
        );
        assert_eq!(
            range("max.external.resource.mappings"),
            Validator::at_least(1.0)
        );
        assert_eq!(range("proxy.port"), Validator::between(1.0, 65535.0));
        assert_eq!(
            range("max.buffered.bytes"),
            Validator::at_least(1_048_576.0)
        );
        // Documentation word for word (a few with Java's quirks: double spaces, "inthe").
        assert_eq!(
            def.key("connection.username").unwrap().documentation,
            "The username used to authenticate with Elasticsearch. The default is the null, and \
             authentication will only be performed if  both the username and password are \
             non-null."
        );
        assert!(def
            .key("data.stream.namespace")
            .unwrap()
            .documentation
            .contains("100 characters,  is in all lowercase, and does not contain spaces or any of these special characters ``/\\*\"<>|,#:-``. "));
        assert!(def
            .key("data.stream.namespace")
            .unwrap()
            .documentation
            .contains("name inthe form"));
        assert!(def
            .key("use.autogenerated.ids")
            .unwrap()
            .documentation
            .contains("set to INSERT.When this"));
        assert_eq!(
            def.key("external.version.header").unwrap().documentation,
            "Header name to pull value for external versioning, defaults to using the kafka \
             record offset.  Must have a numeric value."
        );
    }

    #[test]
    fn ssl_keys_are_kafkas_embedded_as_confluent_embeds_them() {
        let mut child = ConfigDef::new();
        for (name, ty, default, importance) in kafka_ssl_table() {
            child = child.with_key(ConfigKey {
                name: name.to_string(),
                ty,
                default,
                validator: Validator::None,
                importance,
                documentation: String::new(),
                group: None,
                order: -1,
                width: Width::None,
                display_name: name.to_string(),
                dependents: Vec::new(),
                embedded_prefix: 0,
            });
        }
        // Confluent: configDef.embed(SSL_CONFIG_PREFIX, SSL_GROUP, configKeys().size() + 2, …)
        // with 39 keys defined before.
        let expected = ConfigDef::new().embed("elastic.https.", "Security", 41, &child);
        let def = ElasticsearchSinkConfig::config_def();
        let ours = &def.keys()[39..39 + expected.keys().len()];
        for (ours, want) in ours.iter().zip(expected.keys()) {
            assert_eq!(ours.name, want.name);
            assert_eq!(
                (ours.ty, &ours.default, ours.importance),
                (want.ty, &want.default, want.importance),
                "{}",
                want.name
            );
            assert_eq!(
                (ours.group.as_deref(), ours.order, ours.width),
                (want.group.as_deref(), want.order, want.width),
                "{}",
                want.name
            );
            assert_eq!(ours.display_name, want.display_name);
        }
        assert_eq!(ours.first().unwrap().name, "elastic.https.ssl.key.password");
        assert_eq!(
            ours.last().unwrap().name,
            "elastic.https.ssl.trustmanager.algorithm"
        );
    }

    #[test]
    fn seed_config_parses_with_confluent_defaults() {
        let c = ElasticsearchSinkConfig::from_props(&props(&seed())).unwrap();
        assert_eq!(c.connection_urls, ["http://elasticsearch:9200"]);
        assert_eq!(c.type_name.as_deref(), Some("_doc"));
        assert!(c.key_ignore && c.schema_ignore);
        assert!(c.ignore_key("events") && c.ignore_schema("events"));
        assert_eq!(c.connection_username, None);
        assert_eq!(c.basic_auth(), None);
        assert_eq!(c.batch_size, 2000);
        assert_eq!(c.bulk_size_bytes, 5 * 1024 * 1024);
        assert_eq!(c.max_in_flight_requests, 5);
        assert_eq!(c.max_buffered_records, 20000);
        assert_eq!(c.linger_ms, 1);
        assert_eq!(c.flush_timeout_ms, 180_000);
        assert!(!c.flush_synchronously);
        assert_eq!(c.max_retries, 5);
        assert_eq!(c.retry_backoff_ms, 100);
        assert!(!c.connection_compression);
        assert_eq!(c.max_connection_idle_time_ms, 60_000);
        assert_eq!(c.connection_timeout_ms, 1000);
        assert_eq!(c.read_timeout_ms, 3000);
        assert!(c.compact_map_entries);
        assert!(c.topic_key_ignore.is_empty() && c.topic_schema_ignore.is_empty());
        assert!(!c.drop_invalid_message);
        assert_eq!(c.behavior_on_null_values, NullValueBehavior::Fail);
        assert_eq!(
            c.behavior_on_malformed_documents,
            MalformedDocBehavior::Fail
        );
        assert_eq!(c.write_method, WriteMethod::Insert);
        assert!(!c.use_autogenerated_ids);
        assert_eq!(c.external_version_header, "");
        assert_eq!(c.data_stream_type, DataStreamType::None);
        assert_eq!(c.data_stream_dataset, "");
        assert_eq!(c.data_stream_namespace, "${topic}");
        assert!(c.data_stream_timestamp_field.is_empty());
        assert!(!c.is_data_stream());
        assert_eq!(c.external_resource_usage, ExternalResourceUsage::Disabled);
        assert!(!c.external_resource_enabled());
        assert!(c.topic_to_resource().unwrap().is_empty());
        assert_eq!(c.max_external_resource_mappings, 15);
        assert_eq!((c.proxy_host.as_str(), c.proxy_port), ("", 8080));
        assert!(!c.proxy_configured() && c.proxy_auth().is_none());
        assert_eq!(c.security_protocol, SecurityProtocol::Plaintext);
        assert!(!c.ssl_enabled() && !c.use_https());
        assert_eq!(c.ssl_truststore_type, "JKS");
        assert_eq!(c.ssl_keystore_type, "JKS");
        assert_eq!(c.ssl_endpoint_identification_algorithm, "https");
        assert!(c.verify_hostname());
        assert_eq!(c.tls_versions(), ["TLSv1.2", "TLSv1.3"]);
        assert_eq!(c.kerberos_user_principal, None);
        assert!(c.topic_index_map.is_empty());
        assert!(c.auto_create_indices_at_start);
        assert_eq!(c.index_name_format, "");
        assert_eq!(c.index_name_timezone, "UTC");
        assert_eq!(c.max_buffered_bytes, 104_857_600);
        // And validate reports nothing on it.
        assert_eq!(all_errors(&[]), Vec::<(String, Vec<String>)>::new());
    }

    #[test]
    fn connection_url_is_required_with_javas_messages() {
        let mut p = with(&[]);
        p.remove("connection.url");
        assert_eq!(
            ElasticsearchSinkConfig::from_props(&p)
                .unwrap_err()
                .message(),
            "Missing required configuration \"connection.url\" which has no default value."
        );
        let v = ElasticsearchSinkConfig::validate(&p);
        let url = v.iter().find(|v| v.name == "connection.url").unwrap();
        assert_eq!(
            url.errors,
            [
                "Missing required configuration \"connection.url\" which has no default value.",
                "Invalid value null for configuration connection.url: The config must be provided \
                 and non-null."
            ]
        );
    }

    #[test]
    fn per_key_validators_have_confluents_messages() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "connection.url",
                "http://a:9200,http://b c:9200",
                "Invalid value [http://a:9200, http://b c:9200] for configuration connection.url: \
                 The provided url 'http://b c:9200' is not a valid url.",
            ),
            (
                "connection.url",
                "http://a/%zz",
                "Invalid value [http://a/%zz] for configuration connection.url: The provided url \
                 'http://a/%zz' is not a valid url.",
            ),
            (
                "write.method",
                "merge",
                "Invalid value merge for configuration write.method: Value must be one of: \
                 [insert, upsert]",
            ),
            (
                "behavior.on.null.values",
                "drop",
                "Invalid value drop for configuration behavior.on.null.values: Value must be one \
                 of: [ignore, delete, fail]",
            ),
            (
                "behavior.on.malformed.documents",
                "skip",
                "Invalid value skip for configuration behavior.on.malformed.documents: Value must \
                 be one of: [ignore, warn, fail]",
            ),
            (
                "external.resource.usage",
                "alias",
                "Invalid value alias for configuration external.resource.usage: Value must be one \
                 of: [index, datastream, alias_index, alias_datastream, disabled]",
            ),
            (
                "elastic.security.protocol",
                "TLS",
                "Invalid value TLS for configuration elastic.security.protocol: Value must be one \
                 of: [plaintext, ssl]",
            ),
            (
                "batch.size",
                "0",
                "Invalid value 0 for configuration batch.size: Value must be at least 1",
            ),
            (
                "batch.size",
                "1000001",
                "Invalid value 1000001 for configuration batch.size: Value must be no more than \
                 1000000",
            ),
            (
                "max.in.flight.requests",
                "1001",
                "Invalid value 1001 for configuration max.in.flight.requests: Value must be no \
                 more than 1000",
            ),
            (
                "flush.timeout.ms",
                "999",
                "Invalid value 999 for configuration flush.timeout.ms: Value must be at least 1000",
            ),
            (
                "bulk.size.bytes",
                "-2",
                "Invalid value -2 for configuration bulk.size.bytes: Value must be at least -1",
            ),
            (
                "proxy.port",
                "0",
                "Invalid value 0 for configuration proxy.port: Value must be at least 1",
            ),
            (
                "max.external.resource.mappings",
                "0",
                "Invalid value 0 for configuration max.external.resource.mappings: Value must be \
                 at least 1",
            ),
            (
                "data.stream.dataset",
                "Logs",
                "Invalid value Logs for configuration data.stream.dataset: The specified dataset \
                 must be in all lowercase.",
            ),
            (
                "data.stream.dataset",
                "a-b",
                "Invalid value a-b for configuration data.stream.dataset: The specified dataset \
                 must not contain any spaces or invalid characters \\/*?\"<>|,#-:",
            ),
            (
                "data.stream.namespace",
                "a:b",
                "Invalid value a:b for configuration data.stream.namespace: The specified \
                 namespace must not contain any spaces or invalid characters \\/*?\"<>|,#-:",
            ),
            (
                "kerberos.keytab.path",
                "/etc/krb5.conf",
                "Invalid value /etc/krb5.conf for configuration kerberos.keytab.path: The \
                 specified file must end with .keytab",
            ),
            (
                "linger.ms",
                "x",
                "Invalid value x for configuration linger.ms: Not a number of type LONG",
            ),
            (
                "max.buffered.bytes",
                "1048575",
                "Invalid value 1048575 for configuration max.buffered.bytes: Value must be at \
                 least 1048576",
            ),
            (
                "index.name.timezone",
                "Mars/Olympus",
                "Invalid value Mars/Olympus for configuration index.name.timezone: The datetime \
                 zone id 'Mars/Olympus' is not recognised",
            ),
        ];
        for (key, value, message) in cases {
            assert_eq!(err(&[(key, value)]), *message, "{key}={value}");
            let on_key = errors_on(&[(key, value)], key);
            // A value that does not parse is null to Java, whose range then refuses it too.
            let expected: Vec<String> = if value == &"x" {
                vec![
                    message.to_string(),
                    format!("Invalid value null for configuration {key}: Value must be non-null"),
                ]
            } else {
                vec![message.to_string()]
            };
            assert_eq!(on_key, expected, "{key}={value}");
        }
        let long = "a".repeat(101);
        let mut p = with(&[]);
        p.insert("data.stream.namespace".into(), long.clone());
        assert_eq!(
            ElasticsearchSinkConfig::from_props(&p)
                .unwrap_err()
                .message(),
            format!(
                "Invalid value {long} for configuration data.stream.namespace: The specified \
                 namespace must be no longer than 100 characters."
            )
        );
    }

    #[test]
    fn enums_are_case_insensitive_and_recommended_as_confluent() {
        let c = parse(&[
            ("write.method", "Upsert"),
            ("behavior.on.null.values", "delete"),
            ("behavior.on.malformed.documents", "wArN"),
            ("elastic.security.protocol", "ssl"),
            ("elastic.https.ssl.truststore.location", "/etc/ca.pem"),
            ("elastic.https.ssl.truststore.type", "PEM"),
            ("key.ignore", "false"),
        ]);
        assert_eq!(c.write_method, WriteMethod::Upsert);
        assert_eq!(c.behavior_on_null_values, NullValueBehavior::Delete);
        assert_eq!(
            c.behavior_on_malformed_documents,
            MalformedDocBehavior::Warn
        );
        assert!(c.ssl_enabled());
        let c = parse(&[("data.stream.type", "Logs"), ("data.stream.dataset", "app")]);
        assert_eq!(c.data_stream_type, DataStreamType::Logs);
        assert!(c.is_data_stream());
        let values = ElasticsearchSinkConfig::validate(&with(&[]));
        let recommended = |k: &str| {
            values
                .iter()
                .find(|v| v.name == k)
                .unwrap()
                .recommended_values
                .clone()
        };
        assert_eq!(recommended("write.method"), ["insert", "upsert"]);
        assert_eq!(recommended("data.stream.type"), ["logs", "metrics", "none"]);
        assert_eq!(
            recommended("external.resource.usage"),
            [
                "index",
                "datastream",
                "alias_index",
                "alias_datastream",
                "disabled"
            ]
        );
        assert!(recommended("batch.size").is_empty());
    }

    #[test]
    fn credentials_rule() {
        let m = "Both 'connection.username' and 'connection.password' must be set.";
        assert_eq!(err(&[("connection.username", "elastic")]), m);
        assert_eq!(
            errors_on(&[("connection.password", "x")], "connection.username"),
            [m]
        );
        assert_eq!(
            errors_on(&[("connection.password", "x")], "connection.password"),
            [m]
        );
        let c = parse(&[
            ("connection.username", "elastic"),
            ("connection.password", " pw "),
        ]);
        assert_eq!(
            c.basic_auth(),
            Some(("elastic".to_string(), " pw ".to_string()))
        );
    }

    #[test]
    fn external_resource_rules() {
        let together = [
            (
                "external.resource.usage",
                EXTERNAL_RESOURCE_CONFIG_TOGETHER_ERROR,
            ),
            (MAPPING_KEY, EXTERNAL_RESOURCE_CONFIG_TOGETHER_ERROR),
        ];
        for extra in [
            &[("external.resource.usage", "INDEX")][..],
            &[(MAPPING_KEY, "events:idx")][..],
        ] {
            assert_eq!(err(extra), EXTERNAL_RESOURCE_CONFIG_TOGETHER_ERROR);
            for (key, m) in together {
                assert_eq!(errors_on(extra, key), [m]);
            }
        }
        let exclusive = &[
            ("external.resource.usage", "index"),
            (MAPPING_KEY, "events:idx"),
            ("data.stream.type", "logs"),
            ("data.stream.dataset", "app"),
        ][..];
        assert_eq!(
            err(exclusive),
            EXTERNAL_RESOURCE_DATA_STREAM_MUTUAL_EXCLUSIVITY_ERROR
        );
        for key in [MAPPING_KEY, "data.stream.type", "data.stream.dataset"] {
            assert_eq!(
                errors_on(exclusive, key),
                [EXTERNAL_RESOURCE_DATA_STREAM_MUTUAL_EXCLUSIVITY_ERROR]
            );
        }
        assert_eq!(
            err(&[
                ("external.resource.usage", "index"),
                (MAPPING_KEY, "events")
            ]),
            "Invalid value events for configuration topic.to.external.resource.mapping: Invalid \
             topic-to-resource mapping format. The expected format: topic:resource"
        );
        assert_eq!(
            err(&[
                ("external.resource.usage", "index"),
                (MAPPING_KEY, "events:a,events:b")
            ]),
            "Invalid value events:b for configuration topic.to.external.resource.mapping: Topic \
             'events' is mapped to multiple resources. Each topic must be mapped to exactly one \
             resource."
        );
        assert_eq!(
            err(&[
                ("topics", "events,other"),
                ("external.resource.usage", "index"),
                (MAPPING_KEY, "events:a, other : a")
            ]),
            "Invalid value other : a for configuration topic.to.external.resource.mapping: \
             Resource 'a' is mapped from multiple topics. Each resource must be mapped to \
             exactly one topic."
        );
        assert_eq!(
            err(&[
                ("topics", "events,other"),
                ("external.resource.usage", "index"),
                ("max.external.resource.mappings", "1"),
                (MAPPING_KEY, "events:a,other:b")
            ]),
            "Invalid value [events:a, other:b] for configuration \
             topic.to.external.resource.mapping: Too many topic-to-external-resource mappings \
             are configured (2). Maximum allowed limit is 1."
        );
        // Every configured topic mapped; the first missing one in Java's HashSet order ("a"
        // hashes to bucket 1, "b" to 2).
        assert_eq!(
            errors_on(
                &[
                    ("topics", "b,a,events"),
                    ("external.resource.usage", "index"),
                    (MAPPING_KEY, "events:idx")
                ],
                MAPPING_KEY
            ),
            ["Topic 'a' is not mapped to any resource. All configured topics must be mapped to a \
              resource."]
        );
        assert_eq!(
            err(&[
                ("external.resource.usage", "alias_index"),
                (MAPPING_KEY, "events:idx,old:idx2")
            ]),
            "Topic 'old' is mapped but not configured. All mapped topics must be configured \
             topics."
        );
        let c = parse(&[
            ("topics", "events, clicks"),
            ("external.resource.usage", "ALIAS_DATASTREAM"),
            (MAPPING_KEY, "events:logs-a-b, clicks : logs-c-d"),
        ]);
        assert!(c.external_resource_enabled() && c.is_data_stream());
        assert_eq!(
            c.topic_to_resource().unwrap(),
            BTreeMap::from([
                ("clicks".to_string(), "logs-c-d".to_string()),
                ("events".to_string(), "logs-a-b".to_string())
            ])
        );
        let index = parse(&[
            ("external.resource.usage", "index"),
            (MAPPING_KEY, "events:i"),
        ]);
        assert!(!index.is_data_stream());
    }

    #[test]
    fn data_stream_rules() {
        let both =
            "Either both or neither 'data.stream.dataset' and 'data.stream.type' must be set.";
        assert_eq!(err(&[("data.stream.type", "LOGS")]), both);
        assert_eq!(
            errors_on(&[("data.stream.dataset", "app")], "data.stream.type"),
            [both]
        );
        assert_eq!(
            errors_on(&[("data.stream.dataset", "app")], "data.stream.dataset"),
            [both]
        );
        assert_eq!(
            err(&[("data.stream.timestamp.field", "ts")]),
            TIMESTAMP_FIELD_NOT_ALLOWED_ERROR
        );
        let ds = [
            ("data.stream.type", "metrics"),
            ("data.stream.dataset", "app"),
        ];
        let with_ds = |extra: (&'static str, &'static str)| {
            let mut v = ds.to_vec();
            v.push(extra);
            v
        };
        assert_eq!(
            errors_on(&with_ds(("write.method", "upsert")), "write.method"),
            [UPSERT_NOT_ALLOWED_WITH_DATASTREAM_ERROR]
        );
        assert_eq!(
            err(&with_ds(("behavior.on.null.values", "DELETE"))),
            DELETE_NOT_ALLOWED_WITH_DATASTREAM_ERROR
        );
        let c = parse(&with_ds(("data.stream.timestamp.field", "ts, @timestamp")));
        assert_eq!(c.data_stream_timestamp_field, ["ts", "@timestamp"]);
        assert_eq!(c.data_stream_type.name(), "metrics");
    }

    #[test]
    fn ignore_rules_and_accessors() {
        let m = "'topic.key.ignore' can not be set if 'key.ignore' is true.";
        assert_eq!(err(&[("topic.key.ignore", "events")]), m);
        assert_eq!(errors_on(&[("topic.key.ignore", "a")], "key.ignore"), [m]);
        assert_eq!(
            errors_on(&[("topic.key.ignore", "a")], "topic.key.ignore"),
            [m]
        );
        let m = "'topic.schema.ignore' can not be set if 'schema.ignore' is true.";
        assert_eq!(err(&[("topic.schema.ignore", "events")]), m);
        let c = parse(&[
            ("key.ignore", "false"),
            ("schema.ignore", "false"),
            ("topic.key.ignore", "a, b"),
            ("topic.schema.ignore", "b"),
        ]);
        assert!(c.ignore_key("a") && c.ignore_key("b") && !c.ignore_key("events"));
        assert!(c.ignore_schema("b") && !c.ignore_schema("a"));
        // Autogenerated ids ignore keys, with INSERT only.
        let auto = parse(&[("key.ignore", "false"), ("use.autogenerated.ids", "true")]);
        assert!(auto.ignore_key("events"));
        let upsert = parse(&[
            ("key.ignore", "false"),
            ("use.autogenerated.ids", "true"),
            ("write.method", "upsert"),
        ]);
        assert!(!upsert.ignore_key("events"));
    }

    #[test]
    fn linger_and_buffer_rules() {
        let m = "'linger.ms' (200000) can not be larger than 'flush.timeout.ms' (180000).";
        assert_eq!(err(&[("linger.ms", "200000")]), m);
        assert_eq!(
            errors_on(&[("linger.ms", "200000")], "flush.timeout.ms"),
            [m]
        );
        let m = "'max.buffered.records' (9999) must be larger than or equal to 'batch.size' \
                 (2000) x max.in.flight.requests (5).";
        assert_eq!(err(&[("max.buffered.records", "9999")]), m);
        for key in [
            "max.buffered.records",
            "batch.size",
            "max.in.flight.requests",
        ] {
            assert_eq!(errors_on(&[("max.buffered.records", "9999")], key), [m]);
        }
        assert_eq!(
            parse(&[("max.buffered.records", "10000")]).max_buffered_records,
            10000
        );
    }

    #[test]
    fn proxy_rules_and_typed_proxy() {
        assert_eq!(
            err(&[("proxy.username", "u")]),
            "'proxy.host' must be set to use 'proxy.username'."
        );
        let m = "'proxy.host' must be set to use 'proxy.password'.";
        assert_eq!(errors_on(&[("proxy.password", "p")], "proxy.host"), [m]);
        assert_eq!(errors_on(&[("proxy.password", "p")], "proxy.password"), [m]);
        let m = "Either both or neither 'proxy.username' and 'proxy.password' can be set.";
        assert_eq!(err(&[("proxy.host", "proxy"), ("proxy.username", "u")]), m);
        let c = parse(&[
            ("proxy.host", "proxy.local"),
            ("proxy.port", "3128"),
            ("proxy.username", "u"),
            ("proxy.password", "p"),
        ]);
        assert!(c.proxy_configured());
        assert_eq!((c.proxy_host.as_str(), c.proxy_port), ("proxy.local", 3128));
        assert_eq!(c.proxy_auth(), Some(("u".to_string(), "p".to_string())));
        assert_eq!(parse(&[("proxy.host", "proxy.local")]).proxy_auth(), None);
    }

    #[test]
    fn ssl_rules() {
        assert_eq!(
            err(&[("elastic.https.ssl.truststore.location", "/ca.pem")]),
            "'elastic.security.protocol' must be set to 'SSL' to use SSL configs."
        );
        // Even an empty SSL key counts, as in Confluent's originalsWithPrefix.
        assert_eq!(
            errors_on(
                &[("elastic.https.ssl.keystore.location", "")],
                "elastic.security.protocol"
            ),
            ["'elastic.security.protocol' must be set to 'SSL' to use SSL configs."]
        );
        assert_eq!(
            err(&[("elastic.security.protocol", "SSL")]),
            "At least these SSL configs ('elastic.https.ssl.keystore.location', \
             'elastic.https.ssl.keystore.password', 'elastic.https.ssl.truststore.location', and \
             'elastic.https.ssl.truststore.password') must be present for SSL support. Otherwise \
             set 'elastic.security.protocol' to 'PLAINTEXT'."
        );
        let c = parse(&[
            ("connection.url", "https://es1:9200/,es2:9200"),
            ("elastic.security.protocol", "SSL"),
            ("elastic.https.ssl.truststore.location", "/etc/ca.pem"),
            ("elastic.https.ssl.truststore.type", "PEM"),
            ("elastic.https.ssl.keystore.location", "/etc/client.pem"),
            ("elastic.https.ssl.keystore.type", "PEM"),
            ("elastic.https.ssl.key.password", "kp"),
            ("elastic.https.ssl.endpoint.identification.algorithm", ""),
            ("elastic.https.ssl.protocol", "TLSv1.2"),
            ("elastic.https.ssl.secure.random.implementation", "SHA1PRNG"),
        ]);
        assert_eq!(c.ssl_truststore_location.as_deref(), Some("/etc/ca.pem"));
        assert_eq!(c.ssl_keystore_location.as_deref(), Some("/etc/client.pem"));
        assert_eq!(c.ssl_key_password.as_deref(), Some("kp"));
        assert!(!c.verify_hostname());
        assert_eq!(c.tls_versions(), ["TLSv1.2"]);
        assert!(c.use_https());
        assert_eq!(c.connection_urls, ["https://es1:9200", "es2:9200"]);
        assert_eq!(
            c.urls_with_scheme(),
            ["https://es1:9200", "https://es2:9200"]
        );
        // An empty location is no store: its password is dropped, as in Confluent.
        let c = parse(&[
            ("elastic.security.protocol", "SSL"),
            ("elastic.https.ssl.truststore.location", ""),
            ("elastic.https.ssl.truststore.password", "changeit"),
        ]);
        assert_eq!(c.ssl_truststore_location, None);
        assert_eq!(c.ssl_truststore_password, None);
    }

    #[test]
    fn urls_scheme_rules() {
        let c = parse(&[(
            "connection.url",
            "es1:9200, http://es2:9200, http://es2:9200/",
        )]);
        assert_eq!(c.connection_urls, ["es1:9200", "http://es2:9200"]);
        assert!(!c.use_https());
        assert_eq!(c.urls_with_scheme(), ["http://es1:9200", "http://es2:9200"]);
        assert!(parse(&[("connection.url", "HTTPS://es:9200")]).use_https());
        assert!(
            parse(&[("connection.url", "http://[::1]:9200")])
                .connection_urls
                .len()
                == 1
        );
    }

    #[test]
    fn legacy_keys_are_accepted() {
        let c = parse(&[
            ("topics", "Events,clicks"),
            (
                "topic.index.map",
                "Events:events-index, clicks:c1, clicks:c2",
            ),
            ("auto.create.indices.at.start", "false"),
        ]);
        assert_eq!(
            c.topic_index_map,
            [
                ("Events".to_string(), "events-index".to_string()),
                ("clicks".to_string(), "c2".to_string())
            ]
        );
        assert_eq!(c.legacy_index_for("Events"), Some("events-index"));
        assert_eq!(c.legacy_index_for("other"), None);
        assert!(!c.auto_create_indices_at_start);
        let mut p = with(&[]);
        p.remove("type.name");
        assert_eq!(
            ElasticsearchSinkConfig::from_props(&p).unwrap().type_name,
            None
        );
        for bad in ["events", "events:", ":idx", "a:b:c"] {
            let message = err(&[("topic.index.map", bad)]);
            assert_eq!(
                message,
                format!(
                    "Invalid value [{bad}] for configuration topic.index.map: The entry '{bad}' \
                     is not of the form topic:index"
                )
            );
        }
    }

    #[test]
    fn index_name_format_syntax_is_checked_by_the_renderer() {
        assert!(parse(&[(
            "index.name.format",
            "logs-%{topic}-%{field:meta.service}-%{timestamp:yyyy.MM.dd}"
        )])
        .index_name_format
        .starts_with("logs-"));
        let message = err(&[("index.name.format", "logs-%{nope}")]);
        assert!(
            message.contains("index.name.format") && message.contains("unknown placeholder"),
            "{message}"
        );
        assert_eq!(
            errors_on(
                &[("index.name.format", "%{timestamp:yyyy")],
                "index.name.format"
            )
            .len(),
            1
        );
    }

    #[test]
    fn keys_strait_cannot_honour_are_rejected_on_the_key() {
        for (extra, key) in [
            (&[("data.stream.type", "traces")][..], "data.stream.type"),
            (&[("connection.url", "ftp://es:21")][..], "connection.url"),
            (
                &[("connection.url", "http://a:9200,")][..],
                "connection.url",
            ),
            (
                &[("elastic.https.ssl.provider", "BCFIPS")][..],
                "elastic.https.ssl.provider",
            ),
            (
                &[("elastic.https.ssl.engine.factory.class", "com.example.F")][..],
                "elastic.https.ssl.engine.factory.class",
            ),
            (
                &[("elastic.https.ssl.cipher.suites", "TLS_AES_128_GCM_SHA256")][..],
                "elastic.https.ssl.cipher.suites",
            ),
            (
                &[("elastic.https.ssl.keystore.key", "-----BEGIN")][..],
                "elastic.https.ssl.keystore.key",
            ),
            (
                &[("elastic.https.ssl.truststore.certificates", "-----BEGIN")][..],
                "elastic.https.ssl.truststore.certificates",
            ),
            (
                &[("elastic.https.ssl.keymanager.algorithm", "IbmX509")][..],
                "elastic.https.ssl.keymanager.algorithm",
            ),
            (
                &[("elastic.https.ssl.trustmanager.algorithm", "IbmPKIX")][..],
                "elastic.https.ssl.trustmanager.algorithm",
            ),
            (
                &[("elastic.https.ssl.protocol", "TLSv1.1")][..],
                "elastic.https.ssl.protocol",
            ),
            (
                &[("elastic.https.ssl.enabled.protocols", "TLSv1.1,TLSv1.2")][..],
                "elastic.https.ssl.enabled.protocols",
            ),
            (
                &[
                    ("elastic.security.protocol", "SSL"),
                    (
                        "elastic.https.ssl.truststore.location",
                        "/etc/truststore.jks",
                    ),
                ][..],
                "elastic.https.ssl.truststore.type",
            ),
            (
                &[
                    ("elastic.security.protocol", "SSL"),
                    ("elastic.https.ssl.keystore.location", "/etc/ks.p12"),
                    ("elastic.https.ssl.keystore.type", "PKCS12"),
                ][..],
                "elastic.https.ssl.keystore.type",
            ),
            (
                &[
                    ("elastic.security.protocol", "SSL"),
                    ("elastic.https.ssl.truststore.location", "/etc/ca.pem"),
                    ("elastic.https.ssl.truststore.type", "PEM"),
                    ("elastic.https.ssl.truststore.password", "changeit"),
                ][..],
                "elastic.https.ssl.truststore.password",
            ),
            (
                &[
                    ("elastic.security.protocol", "SSL"),
                    ("elastic.https.ssl.keystore.location", "/etc/client.pem"),
                    ("elastic.https.ssl.keystore.type", "PEM"),
                    ("elastic.https.ssl.keystore.password", "changeit"),
                ][..],
                "elastic.https.ssl.keystore.password",
            ),
            (
                &[
                    ("kerberos.user.principal", "connect@EXAMPLE.COM"),
                    ("kerberos.keytab.path", "/etc/connect.keytab"),
                ][..],
                "kerberos.user.principal",
            ),
        ] {
            let message = err(extra);
            assert!(
                message.starts_with("Invalid value ") && message.contains(key),
                "{extra:?}: {message}"
            );
            let on_key = errors_on(extra, key);
            assert!(
                on_key
                    .iter()
                    .any(|e| e.contains(key) && e.contains("Strait")
                        || e.contains("cannot be specified")),
                "{extra:?}: {on_key:?}"
            );
        }
    }

    #[test]
    fn kerberos_rules_of_confluent_come_first() {
        let both = "Either both or neither 'kerberos.user.principal' and 'kerberos.keytab.path' \
                    must be set.";
        assert_eq!(err(&[("kerberos.user.principal", "p@R")]), both);
        let principal = errors_on(
            &[("kerberos.user.principal", "p@R")],
            "kerberos.user.principal",
        );
        assert_eq!(principal[0], both);
        assert!(principal[1].contains("Strait does not support Kerberos"));
        assert_eq!(
            errors_on(
                &[("kerberos.user.principal", "p@R")],
                "kerberos.keytab.path"
            ),
            [both]
        );
        let kerberos = [
            ("kerberos.user.principal", "p@R"),
            ("kerberos.keytab.path", "/k.keytab"),
        ];
        let mut with_auth = kerberos.to_vec();
        with_auth.extend([("connection.username", "u"), ("connection.password", "p")]);
        let m = "Either only Kerberos (kerberos.user.principal, kerberos.keytab.path) or \
                 connection credentials (connection.username, connection.password) must be set.";
        assert_eq!(err(&with_auth), m);
        for key in [
            "connection.username",
            "connection.password",
            "kerberos.keytab.path",
        ] {
            assert!(errors_on(&with_auth, key).contains(&m.to_string()), "{key}");
        }
        let mut with_proxy = kerberos.to_vec();
        with_proxy.push(("proxy.host", "proxy"));
        let m = "Kerberos (kerberos.user.principal, kerberos.keytab.path) is not supported with \
                 proxy settings (proxy.host).";
        assert_eq!(err(&with_proxy), m);
        assert_eq!(errors_on(&with_proxy, "proxy.host"), [m]);
    }

    #[test]
    fn cross_key_errors_wait_for_every_key_to_parse() {
        // As Confluent's Validator: a key that does not parse stops the cross-key checks.
        let extra = [("batch.size", "0"), ("connection.username", "u")];
        let errors = all_errors(&extra);
        assert_eq!(
            errors,
            [(
                "batch.size".to_string(),
                vec![
                    "Invalid value 0 for configuration batch.size: Value must be at least 1"
                        .to_string()
                ]
            )]
        );
    }

    #[test]
    fn java_orders_and_splits() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(java_hash_set_order(&s(&["b", "a", "b"])), ["a", "b"]);
        // "events" and "clicks": String.hashCode spread into 16 buckets.
        let h = |t: &str| {
            let h = t
                .encode_utf16()
                .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)));
            ((h ^ ((h as u32) >> 16) as i32) as u32 & 15) as usize
        };
        let order = java_hash_set_order(&s(&["events", "clicks"]));
        assert!(h(&order[0]) <= h(&order[1]));
        assert_eq!(java_split_colon("a:b"), ["a", "b"]);
        assert_eq!(java_split_colon("a:"), ["a"]);
        assert_eq!(java_split_colon(":b"), ["", "b"]);
        assert_eq!(java_split_colon("ab"), ["ab"]);
        assert_eq!(
            configured_topics(&props(&[("topics", " a , b ,")])),
            ["a", "b"]
        );
        assert!(configured_topics(&props(&[("topics.regex", "a.*")])).is_empty());
        assert!(java_uri_valid("http://es:9200/path?x=1#f"));
        assert!(java_uri_valid("es1:9200"));
        assert!(!java_uri_valid("1http://es"));
        assert!(!java_uri_valid("http:"));
        assert!(!java_uri_valid("http://es|1"));
    }
}
