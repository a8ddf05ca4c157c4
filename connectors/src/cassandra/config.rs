//! The Cassandra sink's configuration: the keys of DataStax's `CassandraSinkConfig`,
//! `TopicConfig`, `TableConfig`, `AuthenticatorConfig` and `SslConfig`
//! (messaging-connectors-commons 1.0.15, the config layer of
//! `com.datastax.oss.kafka.sink.CassandraSinkConnector`), with DataStax's types, defaults,
//! order of checks and messages. Checking is pure: nothing here reads a file or connects.
//!
//! # Keys
//!
//! Global (DataStax's `GLOBAL_CONFIG_DEF`, in its order; [`config_def`] has them, then the
//! `ssl.*` and `auth.*` keys):
//!
//! | key | type | default | |
//! |---|---|---|---|
//! | `contactPoints` | list | empty | hosts without port; empty = the driver's default, `127.0.0.1:9042` |
//! | `port` | int 1–65535 | 9042 | appended to every `contactPoints` host |
//! | `loadBalancing.localDc` | string | "" | required when `contactPoints` is set |
//! | `maxConcurrentRequests` | int ≥ 1 | 500 | |
//! | `maxNumberOfRecordsInBatch` | int ≥ 1 | 32 | |
//! | `queryExecutionTimeout` | int ≥ 1 (s) | 30 | |
//! | `connectionPoolLocalSize` | int ≥ 1 | 4 | |
//! | `metricsHighestLatency` | int ≥ 1 (s) | 35 | typed only |
//! | `jmx` / `jmxConnectorDomain` | boolean / string | true / `com.datastax.oss.kafka.sink` | typed only |
//! | `compression` | None, LZ4, Snappy (any case) | None | |
//! | `ignoreErrors` | None, All, Driver (any case); legacy `false` = None, `true` = Driver | None | |
//! | `cloud.secureConnectBundle` | string | "" | rejected when set (see below) |
//! | `auth.provider` | None, PLAIN, GSSAPI | None | `auth.username`/`auth.password` given with no provider (or None) mean PLAIN, as in DataStax |
//! | `auth.username`, `auth.password` | string, password | "" | |
//! | `auth.gssapi.keyTab`, `auth.gssapi.principal`, `auth.gssapi.service` | string | "", "", `dse` | |
//! | `ssl.provider` | None, JDK, OpenSSL | None | |
//! | `ssl.hostnameValidation` | boolean | true | |
//! | `ssl.truststore.path` | string | "" | a PEM CA bundle here (see below) |
//! | `ssl.openssl.keyCertChain`, `ssl.openssl.privateKey` | string | "" | PEM client certificate chain and key |
//! | `ssl.cipherSuites`, `ssl.keystore.path`, `ssl.keystore.password`, `ssl.truststore.password` | | | rejected when set (see below) |
//! | `datastax-java-driver.*` | | | six are taken (see below), the rest rejected |
//!
//! Per topic and table, `topic.<topic>.<keyspace>.<table>.<setting>` (the topic may contain
//! `[a-zA-Z0-9._-]`, dots included: the last three dot-separated parts are keyspace, table and
//! setting; an unquoted keyspace or table is taken literally, case-sensitive, a quoted one is
//! CQL):
//!
//! | setting | type | default |
//! |---|---|---|
//! | `mapping` | the grammar of [`super::mapping`] | required |
//! | `consistencyLevel` | a driver consistency level (any case) | LOCAL_ONE |
//! | `ttl` | int ≥ -1, in `ttlTimeUnit` | -1 (none) |
//! | `ttlTimeUnit` | a `java.util.concurrent.TimeUnit` name | SECONDS |
//! | `timestampTimeUnit` | likewise | MICROSECONDS |
//! | `nullToUnset` | boolean | true |
//! | `deletesEnabled` | boolean | true; must be false with `query` |
//! | `query` | CQL | none |
//!
//! and per topic `topic.<topic>.codec.{locale (en_US), timeZone (UTC), timestamp (CQL_TIMESTAMP),
//! date (ISO_LOCAL_DATE), time (ISO_LOCAL_TIME), unit (MILLISECONDS)}`. Any other `topic.` key
//! is DataStax's "does not match" error. A topic with codec keys only is DataStax's "must have at
//! least one table configuration" error, and every topic of the framework's `topics` must have
//! keys (`topics.regex` users are on their own, as in DataStax).
//!
//! # Strait's shorthand
//!
//! `topic.<topic>.keyspace.table.mapping = <keyspace>.<table>` — the two middle parts literally
//! `keyspace` and `table`, and a value **without `=`** — maps every field of the record value
//! to the same-named column of `<keyspace>.<table>` ([`Mapping::ValueFieldsByName`], resolved
//! against the table at task start); `topic.<topic>.keyspace.table.consistencyLevel` and the
//! other table keys apply to that table. Each part of the value is unquoted (taken literally)
//! or double-quoted (CQL). With `query` the shorthand is refused (the query's variables need an
//! explicit mapping). DataStax has no shorthand: it reads such a key as keyspace `keyspace`,
//! table `table`, and fails on the value ("Could not be parsed at line 1:9: mismatched input
//! '.' expecting '='"). A DataStax mapping always has a `=`, so no DataStax config changes
//! meaning.
//!
//! # `datastax-java-driver.*`
//!
//! Strait has no Java driver to pass these to. It takes the six below, which have a Strait
//! setting; the connector's own key wins where both are given, as in DataStax:
//! - `basic.contact-points` (`host:port, …`): more contact points, each with its port;
//! - `basic.load-balancing-policy.local-datacenter` (= `loadBalancing.localDc`);
//! - `basic.request.timeout` (a HOCON duration, `10 seconds`, `500 ms`; = `queryExecutionTimeout`);
//! - `advanced.connection.pool.local.size` (= `connectionPoolLocalSize`);
//! - `advanced.protocol.compression` (= `compression`; DataStax's "valid values are none, snappy,
//!   lz4" check);
//! - `advanced.metrics.node.cql-messages.highest-latency` (= `metricsHighestLatency`).
//!
//! Any other key under the prefix is rejected, naming it.
//!
//! # Where Strait differs from DataStax
//!
//! - Rejected, naming the key, where DataStax would use it: `cloud.secureConnectBundle` (no
//!   DataStax Astra support), `auth.provider=GSSAPI` and non-empty `auth.gssapi.keyTab` /
//!   `auth.gssapi.principal` (no Kerberos client), `ssl.keystore.path` /
//!   `ssl.keystore.password` (no Java keystores: give the client certificate and key as PEM with
//!   `ssl.openssl.keyCertChain` / `ssl.openssl.privateKey`), `ssl.truststore.password` and a
//!   `ssl.truststore.path` named `*.jks`, `*.p12`, `*.pfx`, `*.pkcs12`, `*.keystore`,
//!   `*.truststore` (the truststore is read as a PEM CA bundle; convert a JKS one with `keytool
//!   -exportcert -rfc`), `ssl.cipherSuites` (rustls offers modern suites only), `base64:`
//!   inline files in `ssl.*` (DataStax decodes them to temporary files), and the
//!   `datastax-java-driver.*` keys above.
//! - PEM only: the truststore, client certificate chain and key are PEM files, whichever of JDK
//!   or OpenSSL `ssl.provider` names (DataStax reads a JKS truststore with both, and the PEM
//!   client pair only with OpenSSL). The chain and key go together with either provider
//!   (DataStax checks that only for OpenSSL). With `ssl.provider=None` the other `ssl.*` keys
//!   are ignored, as in DataStax.
//! - Whether the files exist is not checked here (DataStax checks at task start; `validate` is
//!   pure): the task fails when it cannot read them.
//! - Checked here rather than when the task starts (DataStax's task then fails): a bad
//!   `ignoreErrors` (DataStax's message), contact point names (DataStax's "Incorrect
//!   contactPoints", names in config order), `codec.unit`, a `port` above 65535, and a local
//!   datacenter for `datastax-java-driver.basic.contact-points` (the Java driver's rule).
//!   `codec.locale`, `codec.timeZone` and the codec patterns are the task's to interpret.
//! - DataStax's `IllegalArgumentException`s that do not name the key (a bad time unit, an
//!   unbalanced quoted keyspace) become "Invalid value V for configuration K: <DataStax's
//!   text>".
//! - The mapping: quoted path segments are accepted, empty path segments are not, and every
//!   mapping error carries its position (see [`super::mapping`]).
//! - `jmx`, `jmxConnectorDomain` and `metricsHighestLatency` are typed and checked but change
//!   nothing: Strait exposes no JMX (its metrics are on the REST server's Prometheus endpoint).
//! - Where DataStax's result depends on `HashMap` order (which of several errors comes first,
//!   the order of tables), Strait takes topics, tables and keys in sorted order.
//! - REST validation ([`CassandraSinkConfig::validate`]) reports every problem on its key,
//!   including the per-topic ones; DataStax's connector validates its global keys only and
//!   fails at task start on the rest.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use strait_engine::config::{
    config_exception, present, types, ConfigDef, ConfigKey, ConfigType, ConfigValue,
    CustomValidator, Default as KeyDefault, Importance, Props, Validator, Value, Width,
};
use strait_engine::declare_config;
use strait_engine::error::{Error, Result};

use super::mapping;

/// A CQL identifier (keyspace, table or column name) in its internal, case-sensitive form:
/// unquoted config text is taken literally (DataStax: `CqlIdentifier.fromInternal`), a
/// double-quoted one is parsed as CQL (`"My""Col"` → `My"Col`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Identifier(pub String);

impl Identifier {
    pub fn internal(&self) -> &str {
        &self.0
    }
    /// The identifier as CQL text: bare when it is lower-case `[a-z][a-z0-9_]*` (and so reads
    /// back as itself), else double-quoted with `"` doubled.
    pub fn cql(&self) -> String {
        let s = &self.0;
        let bare = s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if bare {
            s.clone()
        } else {
            format!("\"{}\"", s.replace('"', "\"\""))
        }
    }
}

impl std::fmt::Display for Identifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.cql())
    }
}

/// `compression`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Lz4,
    Snappy,
}

/// `ignoreErrors` (DataStax's `IgnoreErrorsPolicy`; legacy `false` = None, `true` = Driver).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IgnoreErrors {
    None,
    All,
    Driver,
}

/// `auth.provider` and its credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    None,
    /// `PLAIN`: `auth.username` / `auth.password`.
    Plain {
        username: String,
        password: String,
    },
}

/// `ssl.provider` and the `ssl.*` keys it uses. `None` = plain connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ssl {
    None,
    /// `JDK` / `OpenSSL`: TLS with these PEM files (Strait reads PEM only; see the module doc).
    Tls {
        hostname_validation: bool,
        /// PEM CA bundle to trust (`ssl.truststore.path` when PEM, or the system roots).
        trust_pem: Option<String>,
        /// Client certificate chain and key (`ssl.openssl.keyCertChain` / `ssl.openssl.privateKey`).
        client_cert_pem: Option<String>,
        client_key_pem: Option<String>,
    },
}

/// A driver consistency level (`ConsistencyLevel` names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consistency {
    Any,
    One,
    Two,
    Three,
    Quorum,
    All,
    LocalQuorum,
    EachQuorum,
    Serial,
    LocalSerial,
    LocalOne,
}

/// The levels in the order of the driver's `DefaultConsistencyLevel` (DataStax lists them so).
const CONSISTENCY_LEVELS: [(&str, Consistency); 11] = [
    ("ANY", Consistency::Any),
    ("ONE", Consistency::One),
    ("TWO", Consistency::Two),
    ("THREE", Consistency::Three),
    ("QUORUM", Consistency::Quorum),
    ("ALL", Consistency::All),
    ("LOCAL_ONE", Consistency::LocalOne),
    ("LOCAL_QUORUM", Consistency::LocalQuorum),
    ("EACH_QUORUM", Consistency::EachQuorum),
    ("SERIAL", Consistency::Serial),
    ("LOCAL_SERIAL", Consistency::LocalSerial),
];

impl Consistency {
    /// The driver's name of the level (`LOCAL_QUORUM`).
    pub fn name(self) -> &'static str {
        CONSISTENCY_LEVELS
            .iter()
            .find(|(_, c)| *c == self)
            .map(|(n, _)| *n)
            .expect("every level is listed")
    }

    /// DataStax's `DefaultConsistencyLevel.valueOf(s.toUpperCase())`.
    pub fn parse(s: &str) -> Option<Self> {
        let upper = s.to_uppercase();
        CONSISTENCY_LEVELS
            .iter()
            .find(|(n, _)| *n == upper)
            .map(|(_, c)| *c)
    }
}

/// A `java.util.concurrent.TimeUnit` (`ttlTimeUnit`, `timestampTimeUnit`, `codec.unit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Nanoseconds,
    Microseconds,
    Milliseconds,
    Seconds,
    Minutes,
    Hours,
    Days,
}

const TIME_UNITS: [(&str, TimeUnit); 7] = [
    ("NANOSECONDS", TimeUnit::Nanoseconds),
    ("MICROSECONDS", TimeUnit::Microseconds),
    ("MILLISECONDS", TimeUnit::Milliseconds),
    ("SECONDS", TimeUnit::Seconds),
    ("MINUTES", TimeUnit::Minutes),
    ("HOURS", TimeUnit::Hours),
    ("DAYS", TimeUnit::Days),
];

impl TimeUnit {
    /// Java's constant name (`SECONDS`).
    pub fn name(self) -> &'static str {
        TIME_UNITS
            .iter()
            .find(|(_, u)| *u == self)
            .map(|(n, _)| *n)
            .expect("every unit is listed")
    }

    /// Java's `TimeUnit.valueOf`: the exact constant name, case-sensitive.
    pub fn parse(s: &str) -> Option<Self> {
        TIME_UNITS.iter().find(|(n, _)| *n == s).map(|(_, u)| *u)
    }
}

/// Where a mapped column's value comes from (the right-hand side of `col = …`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `key`: the whole record key.
    Key,
    /// `value`: the whole record value.
    Value,
    /// `key.a.b`: a (nested) field of the key.
    KeyField(Vec<String>),
    /// `value.a.b`: a (nested) field of the value.
    ValueField(Vec<String>),
    /// `header.name`: a record header's value.
    Header(String),
    /// `now()`: a fresh time-based UUID per record.
    Now,
}

/// What a mapped column is: a table column, or one of DataStax's two special targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Column(Identifier),
    /// `__ttl`: the row's TTL from the field, in `ttlTimeUnit`.
    Ttl,
    /// `__timestamp`: the row's write time from the field, in `timestampTimeUnit`.
    Timestamp,
}

/// One `target = source` pair of a mapping, in config order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingEntry {
    pub target: Target,
    pub source: Source,
}

/// How a table's columns are filled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mapping {
    /// DataStax's `topic.<t>.<ks>.<table>.mapping`: explicit pairs.
    Explicit(Vec<MappingEntry>),
    /// Strait's shorthand (`topic.<t>.keyspace.table.mapping = <ks>.<table>`): every value field
    /// goes to the same-named column; resolved against the table's schema at task start.
    ValueFieldsByName,
}

/// `topic.<topic>.<keyspace>.<table>.*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableConfig {
    pub keyspace: Identifier,
    pub table: Identifier,
    pub mapping: Mapping,
    pub consistency: Consistency,
    /// Static TTL in `ttl_unit`; `None` = no TTL (`ttl = -1`).
    pub ttl: Option<i64>,
    pub ttl_unit: TimeUnit,
    pub timestamp_unit: TimeUnit,
    pub null_to_unset: bool,
    pub deletes_enabled: bool,
    /// Custom CQL (`query`); the mapping then binds its named variables.
    pub query: Option<String>,
}

/// `topic.<topic>.codec.*`: how text is parsed into CQL temporal types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodecSettings {
    pub locale: String,
    pub time_zone: String,
    pub timestamp: String,
    pub date: String,
    pub time: String,
    pub unit: TimeUnit,
}

/// Everything configured for one topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicConfig {
    /// In the sorted order of the keys' `<keyspace>.<table>` parts.
    pub tables: Vec<TableConfig>,
    pub codec: CodecSettings,
}

/// The parsed, validated connector configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CassandraSinkConfig {
    /// Host names or addresses, without port.
    pub contact_points: Vec<String>,
    pub port: u16,
    /// `loadBalancing.localDc`, else `datastax-java-driver.basic.load-balancing-policy.
    /// local-datacenter`; `None` when both are unset or empty (then it is learnt from the
    /// first node reached, as the driver does with its default contact point).
    pub local_dc: Option<String>,
    pub max_concurrent_requests: usize,
    pub max_records_in_batch: usize,
    pub query_execution_timeout: Duration,
    pub connection_pool_local_size: usize,
    pub compression: Compression,
    pub ignore_errors: IgnoreErrors,
    pub auth: Auth,
    pub ssl: Ssl,
    /// Per topic, in topic-name order.
    pub topics: BTreeMap<String, TopicConfig>,
    /// `datastax-java-driver.basic.contact-points`: `host:port` pairs, used besides
    /// `contact_points` (the driver merges both). (Added with the parser.)
    pub driver_contact_points: Vec<(String, u16)>,
    /// `metricsHighestLatency` (or its driver key): typed only. (Added with the parser.)
    pub metrics_highest_latency: Duration,
    /// `jmx`: typed only, Strait exposes no JMX. (Added with the parser.)
    pub jmx: bool,
    /// `jmxConnectorDomain`: typed only. (Added with the parser.)
    pub jmx_connector_domain: String,
}

// --- Enum texts ---------------------------------------------------------------------------------

fn parse_compression(s: &str) -> Option<Compression> {
    match s.to_ascii_lowercase().as_str() {
        "none" => Some(Compression::None),
        "lz4" => Some(Compression::Lz4),
        "snappy" => Some(Compression::Snappy),
        _ => None,
    }
}

/// DataStax's `getIgnoreErrors()`, with its legacy booleans.
fn parse_ignore_errors(s: &str) -> Option<IgnoreErrors> {
    match s.to_ascii_lowercase().as_str() {
        "none" | "false" => Some(IgnoreErrors::None),
        "all" => Some(IgnoreErrors::All),
        "driver" | "true" => Some(IgnoreErrors::Driver),
        _ => None,
    }
}

fn unreachable_value(name: &str, value: &str) -> Error {
    Error::bug(format!(
        "{name}={value} passed its validator but has no meaning"
    ))
}

// --- Validators ---------------------------------------------------------------------------------

/// DataStax checks `ignoreErrors` when the task starts (an `IllegalArgumentException` with this
/// message); Strait checks it with the other keys.
static IGNORE_ERRORS_VALIDATOR: CustomValidator = CustomValidator {
    describe: "None, All, Driver (or the legacy true/false), any case",
    check: |name, value| match value {
        Value::Str(s) if parse_ignore_errors(s).is_none() => Err(Error::config(format!(
            "Invalid value for setting {name}, expecting either All, None or Driver, got: {s}"
        ))),
        _ => Ok(()),
    },
};

/// A key Strait refuses whenever it has a non-empty value.
fn reject_non_empty(name: &str, value: &Value, why: &str) -> Result<()> {
    let shown = match value {
        Value::Str(s) | Value::Password(s) if s.is_empty() => return Ok(()),
        Value::List(l) if l.is_empty() => return Ok(()),
        Value::Null => return Ok(()),
        other => other.java_text(),
    };
    Err(config_exception(name, shown, why))
}

/// DataStax (for Pulsar) decodes `base64:<data>` file values into temporary files; Strait
/// reads files only.
fn reject_inline(name: &str, value: &Value) -> Result<()> {
    match value {
        Value::Str(s) if s.starts_with("base64:") => Err(config_exception(
            name,
            "base64:…",
            "Strait reads this file from a path only; write the decoded file and give its path",
        )),
        _ => Ok(()),
    }
}

static SECURE_CONNECT_BUNDLE_VALIDATOR: CustomValidator = CustomValidator {
    describe: "empty (Strait)",
    check: |name, value| {
        reject_non_empty(
            name,
            value,
            "Strait cannot connect to DataStax Astra (no secure connect bundle support); connect \
             to the cluster's nodes with contactPoints, loadBalancing.localDc and ssl.* instead",
        )
    },
};

static CIPHER_SUITES_VALIDATOR: CustomValidator = CustomValidator {
    describe: "empty (Strait)",
    check: |name, value| {
        reject_non_empty(
            name,
            value,
            "Strait does not restrict TLS cipher suites (rustls offers only modern suites); \
             leave it unset",
        )
    },
};

static KEYSTORE_PATH_VALIDATOR: CustomValidator = CustomValidator {
    describe: "empty (Strait)",
    check: |name, value| {
        reject_non_empty(
            name,
            value,
            "Strait cannot read Java keystores; give the client certificate chain and its key \
             as PEM files in ssl.openssl.keyCertChain and ssl.openssl.privateKey (keytool and \
             openssl convert a JKS or PKCS12 store)",
        )
    },
};

static KEYSTORE_PASSWORD_VALIDATOR: CustomValidator = CustomValidator {
    describe: "empty (Strait)",
    check: |name, value| {
        reject_non_empty(
            name,
            value,
            "Strait cannot read Java keystores, so a keystore password means nothing; give the \
             client certificate and an unencrypted PEM key in ssl.openssl.keyCertChain and \
             ssl.openssl.privateKey, and leave it unset",
        )
    },
};

static TRUSTSTORE_PASSWORD_VALIDATOR: CustomValidator = CustomValidator {
    describe: "empty (Strait)",
    check: |name, value| {
        reject_non_empty(
            name,
            value,
            "Strait reads ssl.truststore.path as a PEM CA bundle, which has no password; \
             convert a JKS truststore to PEM (keytool -exportcert -rfc) and leave it unset",
        )
    },
};

/// Extensions of Java keystore files, refused by name (the content is not read here).
const KEYSTORE_EXTENSIONS: [&str; 6] = [
    ".jks",
    ".p12",
    ".pfx",
    ".pkcs12",
    ".keystore",
    ".truststore",
];

static TRUSTSTORE_PATH_VALIDATOR: CustomValidator = CustomValidator {
    describe: "a PEM CA bundle (Strait)",
    check: |name, value| {
        reject_inline(name, value)?;
        match value {
            Value::Str(s)
                if KEYSTORE_EXTENSIONS
                    .iter()
                    .any(|e| s.to_ascii_lowercase().ends_with(e)) =>
            {
                Err(config_exception(
                    name,
                    s,
                    "Strait reads the truststore as a PEM CA bundle, not a Java keystore; \
                     convert it (keytool -exportcert -rfc) and give the PEM file",
                ))
            }
            _ => Ok(()),
        }
    },
};

static PEM_FILE_VALIDATOR: CustomValidator = CustomValidator {
    describe: "a PEM file (Strait)",
    check: reject_inline,
};

static KERBEROS_VALIDATOR: CustomValidator = CustomValidator {
    describe: "empty (Strait)",
    check: |name, value| {
        reject_non_empty(
            name,
            value,
            "Strait has no Kerberos (GSSAPI) client; authenticate with auth.provider=PLAIN",
        )
    },
};

// --- The global keys ----------------------------------------------------------------------------

declare_config! {
    /// DataStax's `GLOBAL_CONFIG_DEF`, in its order, with its documentation.
    #[derive(Debug, Clone, PartialEq)]
    struct GlobalKeys {
        contact_points: Vec<String> {
            key: "contactPoints",
            ty: List,
            default: "",
            importance: High,
            doc: "Initial contact points",
        },
        /// DataStax: at least 1 (a port above 65535 fails when the task starts).
        port: u16 {
            key: "port",
            ty: Int,
            default: "9042",
            validator: Validator::between(1.0, 65535.0),
            importance: High,
            doc: "Port to connect to nodes",
            map: |p: i32| p as u16,
        },
        local_dc: String {
            key: "loadBalancing.localDc",
            ty: String,
            default: "",
            importance: High,
            doc: "The datacenter name (commonly dc1, dc2, etc.) local to the machine on which the connector is running",
        },
        max_concurrent_requests: usize {
            key: "maxConcurrentRequests",
            ty: Int,
            default: "500",
            validator: Validator::at_least(1.0),
            importance: High,
            doc: "The maximum number of requests to send at once",
            map: |n: i32| n as usize,
        },
        jmx: bool {
            key: "jmx",
            ty: Boolean,
            default: "true",
            importance: High,
            doc: "Whether to enable JMX reporting",
        },
        jmx_connector_domain: String {
            key: "jmxConnectorDomain",
            ty: String,
            default: "com.datastax.oss.kafka.sink",
            importance: Low,
            doc: "Domain for JMX reporting",
        },
        compression: Compression {
            key: "compression",
            ty: String,
            default: "None",
            validator: Validator::OneOfIgnoreCase(&["NONE", "LZ4", "SNAPPY"]),
            importance: High,
            doc: "Compression algorithm to use when issuing requests to the database server",
            try_map: |s: String| parse_compression(&s).ok_or_else(|| unreachable_value("compression", &s)),
        },
        query_execution_timeout: i32 {
            key: "queryExecutionTimeout",
            ty: Int,
            default: "30",
            validator: Validator::at_least(1.0),
            importance: High,
            doc: "CQL statement execution timeout, in seconds",
        },
        metrics_highest_latency: i32 {
            key: "metricsHighestLatency",
            ty: Int,
            default: "35",
            validator: Validator::at_least(1.0),
            importance: High,
            doc: "This is used to scale internal data structures for gathering metrics. It should be higher than queryExecutionTimeout. This parameter should be expressed in seconds.",
        },
        max_records_in_batch: usize {
            key: "maxNumberOfRecordsInBatch",
            ty: Int,
            default: "32",
            validator: Validator::at_least(1.0),
            importance: High,
            doc: "Maximum number of records that could be send in one batch request",
            map: |n: i32| n as usize,
        },
        connection_pool_local_size: i32 {
            key: "connectionPoolLocalSize",
            ty: Int,
            default: "4",
            validator: Validator::at_least(1.0),
            importance: High,
            doc: "Number of connections that driver maintains within a connection pool to each node in local dc",
        },
        ignore_errors: IgnoreErrors {
            key: "ignoreErrors",
            ty: String,
            default: "None",
            validator: Validator::Custom(&IGNORE_ERRORS_VALIDATOR),
            importance: High,
            doc: "Specifies which errors the connector should ignore when processing the record. Valid values are: None (never ignore errors), All (ignore all errors), Driver (ignore driver errors only, i.e. errors when writing to the database).",
            try_map: |s: String| parse_ignore_errors(&s).ok_or_else(|| unreachable_value("ignoreErrors", &s)),
        },
        secure_connect_bundle: String {
            key: "cloud.secureConnectBundle",
            ty: String,
            default: "",
            validator: Validator::Custom(&SECURE_CONNECT_BUNDLE_VALIDATOR),
            importance: High,
            doc: "The location of the cloud secure bundle used to connect to Datastax Apache Cassandra as a service.",
        },
    }
}

declare_config! {
    /// DataStax's `SslConfig.CONFIG_DEF`, in its order, with Strait's limits.
    #[derive(Debug, Clone, PartialEq)]
    struct SslKeys {
        provider: String {
            key: "ssl.provider",
            ty: String,
            default: "None",
            validator: Validator::OneOf(&["None", "JDK", "OpenSSL"]),
            importance: High,
            doc: "SSL/TLS provider",
        },
        cipher_suites: Vec<String> {
            key: "ssl.cipherSuites",
            ty: List,
            default: "",
            validator: Validator::Custom(&CIPHER_SUITES_VALIDATOR),
            importance: High,
            doc: "The cipher suites to enable",
        },
        hostname_validation: bool {
            key: "ssl.hostnameValidation",
            ty: Boolean,
            default: "true",
            importance: High,
            doc: "Whether or not to validate node hostnames when using SSL",
        },
        keystore_password: String {
            key: "ssl.keystore.password",
            ty: Password,
            default: "",
            validator: Validator::Custom(&KEYSTORE_PASSWORD_VALIDATOR),
            importance: High,
            doc: "Keystore password",
        },
        keystore_path: String {
            key: "ssl.keystore.path",
            ty: String,
            default: "",
            validator: Validator::Custom(&KEYSTORE_PATH_VALIDATOR),
            importance: High,
            doc: "The path to the keystore file",
        },
        key_cert_chain: String {
            key: "ssl.openssl.keyCertChain",
            ty: String,
            default: "",
            validator: Validator::Custom(&PEM_FILE_VALIDATOR),
            importance: High,
            doc: "The path to the certificate chain file",
        },
        private_key: String {
            key: "ssl.openssl.privateKey",
            ty: String,
            default: "",
            validator: Validator::Custom(&PEM_FILE_VALIDATOR),
            importance: High,
            doc: "The path to the private key file",
        },
        truststore_password: String {
            key: "ssl.truststore.password",
            ty: Password,
            default: "",
            validator: Validator::Custom(&TRUSTSTORE_PASSWORD_VALIDATOR),
            importance: High,
            doc: "Truststore password",
        },
        truststore_path: String {
            key: "ssl.truststore.path",
            ty: String,
            default: "",
            validator: Validator::Custom(&TRUSTSTORE_PATH_VALIDATOR),
            importance: High,
            doc: "The path to the truststore file",
        },
    }
}

declare_config! {
    /// DataStax's `AuthenticatorConfig.CONFIG_DEF`, in its order.
    #[derive(Debug, Clone, PartialEq)]
    struct AuthKeys {
        provider: String {
            key: "auth.provider",
            ty: String,
            default: "None",
            validator: Validator::OneOf(&["None", "PLAIN", "GSSAPI"]),
            importance: High,
            doc: "Authentication provider",
        },
        username: String {
            key: "auth.username",
            ty: String,
            default: "",
            importance: High,
            doc: "Username for PLAIN (username/password) provider authentication",
        },
        password: String {
            key: "auth.password",
            ty: Password,
            default: "",
            importance: High,
            doc: "Password for PLAIN (username/password) provider authentication",
            // Kafka's ConfigDef trims a PASSWORD as it trims a STRING (DataStax sees " p " as
            // "p"); the engine's parser keeps it as given.
            map: |p: String| p.trim().to_string(),
        },
        keytab: String {
            key: "auth.gssapi.keyTab",
            ty: String,
            default: "",
            validator: Validator::Custom(&KERBEROS_VALIDATOR),
            importance: High,
            doc: "Kerberos keytab file for GSSAPI provider authentication",
        },
        principal: String {
            key: "auth.gssapi.principal",
            ty: String,
            default: "",
            validator: Validator::Custom(&KERBEROS_VALIDATOR),
            importance: High,
            doc: "Kerberos principal for GSSAPI provider authentication",
        },
        service: String {
            key: "auth.gssapi.service",
            ty: String,
            default: "dse",
            importance: High,
            doc: "SASL service name to use for GSSAPI provider authentication",
        },
    }
}

/// The connector's `ConfigDef`: DataStax's global keys (what its connector's `config()`
/// returns), then the `ssl.*` and `auth.*` keys. Per-topic keys are dynamic: see
/// [`table_config_def`] and [`codec_config_def`].
pub fn config_def() -> ConfigDef {
    GlobalKeys::config_def()
        .extend(SslKeys::config_def())
        .extend(AuthKeys::config_def())
}

// --- The per-topic keys -------------------------------------------------------------------------

const TABLE_SETTINGS: [&str; 8] = [
    "mapping",
    "consistencyLevel",
    "ttl",
    "nullToUnset",
    "deletesEnabled",
    "ttlTimeUnit",
    "timestampTimeUnit",
    "query",
];

const CODEC_SETTINGS: [&str; 6] = ["locale", "timeZone", "timestamp", "date", "time", "unit"];

fn dynamic_key(
    name: String,
    ty: ConfigType,
    default: KeyDefault,
    validator: Validator,
    doc: &str,
) -> ConfigKey {
    ConfigKey {
        display_name: name.clone(),
        name,
        ty,
        default,
        validator,
        importance: Importance::High,
        documentation: doc.to_string(),
        group: None,
        order: -1,
        width: Width::None,
        dependents: Vec::new(),
        embedded_prefix: 0,
    }
}

fn text(v: &str) -> KeyDefault {
    KeyDefault::Value(v.to_string())
}

/// DataStax's `TableConfig` definition for the keys starting with `prefix`
/// (`topic.<topic>.<keyspace>.<table>.`), in its order.
pub fn table_config_def(prefix: &str) -> ConfigDef {
    let key = |setting: &str, ty, default, validator, doc: &str| {
        dynamic_key(format!("{prefix}{setting}"), ty, default, validator, doc)
    };
    ConfigDef::new()
        .with_key(key(
            "mapping",
            ConfigType::String,
            KeyDefault::Required,
            Validator::None,
            "Mapping of record fields to dse columns, in the form of 'col1=value.f1, col2=key.f1'",
        ))
        .with_key(key(
            "deletesEnabled",
            ConfigType::Boolean,
            text("true"),
            Validator::None,
            "Whether to delete rows where only the primary key is non-null",
        ))
        .with_key(key(
            "consistencyLevel",
            ConfigType::String,
            text("LOCAL_ONE"),
            Validator::None,
            "Query consistency level",
        ))
        .with_key(key(
            "ttl",
            ConfigType::Int,
            text("-1"),
            Validator::at_least(-1.0),
            "TTL of rows inserted in the database",
        ))
        .with_key(key(
            "nullToUnset",
            ConfigType::Boolean,
            text("true"),
            Validator::None,
            "Whether nulls in Kafka should be treated as UNSET in the database",
        ))
        .with_key(key(
            "ttlTimeUnit",
            ConfigType::String,
            text("SECONDS"),
            Validator::None,
            "TimeUnit of provided ttl mapping field.",
        ))
        .with_key(key(
            "timestampTimeUnit",
            ConfigType::String,
            text("MICROSECONDS"),
            Validator::None,
            "TimeUnit of provided timestamp mapping field.",
        ))
        .with_key(key(
            "query",
            ConfigType::String,
            KeyDefault::Null,
            Validator::None,
            "Custom query to use as a Prepared Statement for insert to this table.",
        ))
}

/// DataStax's `TopicConfig` definition (`topic.<topic>.codec.*`), in its order.
pub fn codec_config_def(topic: &str) -> ConfigDef {
    let key = |setting: &str, default: &str, doc: &str| {
        dynamic_key(
            format!("topic.{topic}.codec.{setting}"),
            ConfigType::String,
            text(default),
            Validator::None,
            doc,
        )
    };
    ConfigDef::new()
        .with_key(key("locale", "en_US", "The locale to use for locale-sensitive conversions."))
        .with_key(key("timeZone", "UTC", "The time zone to use for temporal conversions that do not convey any explicit time zone information"))
        .with_key(key("timestamp", "CQL_TIMESTAMP", "The temporal pattern to use for `String` to CQL `timestamp` conversion"))
        .with_key(key("date", "ISO_LOCAL_DATE", "The temporal pattern to use for `String` to CQL `date` conversion"))
        .with_key(key("time", "ISO_LOCAL_TIME", "The temporal pattern to use for `String` to CQL `time` conversion"))
        .with_key(key("unit", "MILLISECONDS", "If the input is a string containing only digits that cannot be parsed using the `codec.timestamp` format, the specified time unit is applied to the parsed value. All `TimeUnit` enum constants are valid choices."))
}

/// What a `topic.` key is, by DataStax's two patterns: `topic.<topic>.<ks>.<table>.<setting>`
/// (`<ks>` and `<table>` without dots) or `topic.<topic>.codec.<setting>`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum TopicKey {
    Table {
        topic: String,
        keyspace: String,
        table: String,
    },
    Codec {
        topic: String,
    },
}

fn topic_name_ok(topic: &str) -> bool {
    !topic.is_empty()
        && topic
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn classify_topic_key(key: &str) -> Option<TopicKey> {
    let rest = key.strip_prefix("topic.")?;
    let parts: Vec<&str> = rest.rsplitn(4, '.').collect();
    if let [setting, table, keyspace, topic] = parts[..] {
        if TABLE_SETTINGS.contains(&setting)
            && !table.is_empty()
            && !keyspace.is_empty()
            && topic_name_ok(topic)
        {
            return Some(TopicKey::Table {
                topic: topic.to_string(),
                keyspace: keyspace.to_string(),
                table: table.to_string(),
            });
        }
    }
    let parts: Vec<&str> = rest.rsplitn(3, '.').collect();
    if let [setting, "codec", topic] = parts[..] {
        if CODEC_SETTINGS.contains(&setting) && topic_name_ok(topic) {
            return Some(TopicKey::Codec {
                topic: topic.to_string(),
            });
        }
    }
    None
}

/// DataStax's `parseLoosely`: unquoted is literal, quoted is CQL. A text that opens a quote it
/// does not close is the driver's "Invalid CQL form" error.
fn parse_loosely(s: &str) -> std::result::Result<Identifier, String> {
    if !s.starts_with('"') {
        return Ok(Identifier(s.to_string()));
    }
    if s.len() > 1 && s.ends_with('"') {
        Ok(Identifier(mapping::unquote(s)))
    } else {
        Err(format!("Invalid CQL form [{s}]: needs double quotes"))
    }
}

/// Strait's shorthand value: `<keyspace>.<table>`, each part unquoted (literal) or quoted (CQL).
fn parse_shorthand(value: &str) -> Option<(Identifier, Identifier)> {
    fn part(s: &str) -> Option<(Identifier, &str)> {
        let s = s.trim_start();
        if s.starts_with('"') {
            let chars: Vec<(usize, char)> = s.char_indices().collect();
            let mut i = 1;
            while i < chars.len() {
                if chars[i].1 == '"' {
                    if chars.get(i + 1).is_some_and(|(_, c)| *c == '"') {
                        i += 2;
                        continue;
                    }
                    let end = chars[i].0 + 1;
                    return (end > 2).then(|| (Identifier(mapping::unquote(&s[..end])), &s[end..]));
                }
                i += 1;
            }
            None
        } else {
            let end = s
                .find(|c: char| c == '.' || c == '"' || c.is_whitespace())
                .unwrap_or(s.len());
            (end > 0).then(|| (Identifier(s[..end].to_string()), &s[end..]))
        }
    }
    let (keyspace, rest) = part(value)?;
    let rest = rest.trim_start().strip_prefix('.')?;
    let (table, rest) = part(rest)?;
    rest.trim().is_empty().then_some((keyspace, table))
}

// --- datastax-java-driver.* ---------------------------------------------------------------------

const DRIVER_PREFIX: &str = "datastax-java-driver";
const DRIVER_CONTACT_POINTS: &str = "datastax-java-driver.basic.contact-points";
const DRIVER_LOCAL_DC: &str = "datastax-java-driver.basic.load-balancing-policy.local-datacenter";
const DRIVER_REQUEST_TIMEOUT: &str = "datastax-java-driver.basic.request.timeout";
const DRIVER_POOL_SIZE: &str = "datastax-java-driver.advanced.connection.pool.local.size";
const DRIVER_COMPRESSION: &str = "datastax-java-driver.advanced.protocol.compression";
const DRIVER_HIGHEST_LATENCY: &str =
    "datastax-java-driver.advanced.metrics.node.cql-messages.highest-latency";

/// The driver keys Strait takes, each with the connector key that wins over it.
const DRIVER_KEYS: [(&str, Option<&str>); 6] = [
    (DRIVER_CONTACT_POINTS, None),
    (DRIVER_LOCAL_DC, Some("loadBalancing.localDc")),
    (DRIVER_REQUEST_TIMEOUT, Some("queryExecutionTimeout")),
    (DRIVER_POOL_SIZE, Some("connectionPoolLocalSize")),
    (DRIVER_COMPRESSION, Some("compression")),
    (DRIVER_HIGHEST_LATENCY, Some("metricsHighestLatency")),
];

/// A HOCON duration as the driver's config reads it (`30 seconds`, `500ms`, `1.5 s`; a bare
/// number is milliseconds).
fn hocon_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = (&s[..split], s[split..].trim());
    let nanos_per: f64 = match unit {
        "ns" | "nano" | "nanos" | "nanosecond" | "nanoseconds" => 1.0,
        "us" | "micro" | "micros" | "microsecond" | "microseconds" => 1e3,
        "" | "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => 1e6,
        "s" | "second" | "seconds" => 1e9,
        "m" | "minute" | "minutes" => 60e9,
        "h" | "hour" | "hours" => 3600e9,
        "d" | "day" | "days" => 86400e9,
        _ => return None,
    };
    let n: f64 = number.parse().ok()?;
    let nanos = n * nanos_per;
    (1.0..1e21)
        .contains(&nanos)
        .then(|| Duration::from_nanos(nanos as u64))
}

/// `host:port, …` (the driver splits at the last `:`; `[v6]:port` loses its brackets).
fn driver_contact_points(value: &str) -> Option<Vec<(String, u16)>> {
    value
        .split(',')
        .map(|entry| {
            let (host, port) = entry.trim().rsplit_once(':')?;
            let host = host
                .strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .unwrap_or(host);
            let port: u16 = port.trim().parse().ok().filter(|p| *p > 0)?;
            (!host.is_empty()).then(|| (host.to_string(), port))
        })
        .collect()
}

// --- Contact point names (DataStax's ContactPointsValidator) ------------------------------------

/// Guava's `InternetDomainName.isValid`: at most 253 characters (a final dot aside), at most
/// 127 parts of 1–63 characters, ASCII characters letters, digits, `-` or `_` (others allowed),
/// no part starting or ending with `-`/`_`, the last part not starting with a digit.
fn valid_domain_name(name: &str) -> bool {
    let normalized: String = name
        .chars()
        .map(|c| match c {
            '\u{3002}' | '\u{FF0E}' | '\u{FF61}' => '.',
            c => c,
        })
        .collect();
    let name = normalized.strip_suffix('.').unwrap_or(&normalized);
    if name.chars().count() > 253 {
        return false;
    }
    let parts: Vec<&str> = name.split('.').collect();
    if parts.len() > 127 {
        return false;
    }
    let last = parts.len() - 1;
    parts.iter().enumerate().all(|(i, part)| {
        let n = part.chars().count();
        let first = part.chars().next();
        let end = part.chars().last();
        let dash = |c: Option<char>| matches!(c, Some('-' | '_'));
        (1..=63).contains(&n)
            && part
                .chars()
                .all(|c| !c.is_ascii() || c.is_ascii_alphanumeric() || c == '-' || c == '_')
            && !dash(first)
            && !dash(end)
            && !(i == last && first.is_some_and(|c| c.is_ascii_digit()))
    })
}

fn valid_contact_point(host: &str) -> bool {
    host.parse::<std::net::IpAddr>().is_ok() || valid_domain_name(host)
}

// --- Checking -----------------------------------------------------------------------------------

/// One problem: the key it is reported on and its message. `defined`: reported by
/// [`config_def`]'s own validation already.
#[derive(Debug, Clone)]
struct Problem {
    key: String,
    message: String,
    defined: bool,
}

#[derive(Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn add(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem {
            key: key.into(),
            message: message.into(),
            defined: false,
        });
    }

    /// Every error `def` reports for `props`; whether there was none.
    fn add_def_errors(&mut self, def: &ConfigDef, props: &Props, defined: bool) -> bool {
        let before = self.0.len();
        for value in def.validate(props) {
            for message in value.errors {
                self.0.push(Problem {
                    key: value.name.clone(),
                    message,
                    defined,
                });
            }
        }
        self.0.len() == before
    }

    fn count(&self) -> usize {
        self.0.len()
    }
}

/// The keys of one table section, by their raw `<keyspace>` and `<table>` parts.
type TableSections = BTreeMap<(String, String), Vec<String>>;

#[derive(Default)]
struct TopicSection {
    tables: TableSections,
    codec_keys: Vec<String>,
}

/// Check everything, in DataStax's order (see [`CassandraSinkConfig::from_props`]), and build
/// the config when nothing is wrong.
fn analyze(props: &Props) -> (Vec<Problem>, Option<CassandraSinkConfig>) {
    let mut problems = Problems::default();

    // DataStax's first pass sorts the keys: a `topic.` key of neither pattern stops it.
    let mut sections: BTreeMap<String, TopicSection> = BTreeMap::new();
    for key in props.keys().filter(|k| k.starts_with("topic.")) {
        match classify_topic_key(key) {
            Some(TopicKey::Table {
                topic,
                keyspace,
                table,
            }) => sections
                .entry(topic)
                .or_default()
                .tables
                .entry((keyspace, table))
                .or_default()
                .push(key.clone()),
            Some(TopicKey::Codec { topic }) => sections
                .entry(topic)
                .or_default()
                .codec_keys
                .push(key.clone()),
            None => problems.add(
                key.clone(),
                format!(
                    "The setting: {key} does not match topic.keyspace.table nor topic.codec \
                     regular expression pattern"
                ),
            ),
        }
    }

    let global = problems
        .add_def_errors(&GlobalKeys::config_def(), props, true)
        .then(|| GlobalKeys::parse(props).ok())
        .flatten();

    let driver = check_driver_keys(props, &mut problems);

    let ssl = problems
        .add_def_errors(&SslKeys::config_def(), props, true)
        .then(|| SslKeys::parse(props).ok())
        .flatten()
        .map(|keys| check_ssl(keys, &mut problems));

    let auth = check_auth(props, &mut problems);

    let before_topics = problems.count();
    let topics: BTreeMap<String, TopicConfig> = sections
        .iter()
        .filter_map(|(topic, section)| {
            check_topic(topic, section, props, &mut problems).map(|t| (topic.clone(), t))
        })
        .collect();
    let topics_ok = problems.count() == before_topics;

    // DataStax's compression check reads the driver setting the connector key was copied to.
    if !props.contains_key("compression") {
        if let Some(value) = props.get(DRIVER_COMPRESSION) {
            if parse_compression(value.trim()).is_none() {
                problems.add(
                    DRIVER_COMPRESSION,
                    config_exception("compression", value, "valid values are none, snappy, lz4")
                        .message()
                        .to_string(),
                );
            }
        }
    }

    if let Some(raw) = props.get("topics") {
        // Guava's `Splitter.on(",").trimResults()`: empty names are kept, and are missing.
        for topic in raw.split(',').map(str::trim) {
            if !sections.contains_key(topic) {
                problems.add(
                    "topics",
                    config_exception(
                        "topics",
                        raw,
                        &format!("Missing topic settings (topic.{topic}.*) for topic {topic}"),
                    )
                    .message()
                    .to_string(),
                );
            }
        }
    }

    if let Some(g) = &global {
        if !g.secure_connect_bundle.is_empty() {
            let bundle = "cloud.secureConnectBundle";
            let clash = |what: &str| {
                format!("When {bundle} parameter is specified you should not provide {what}.")
            };
            if !g.contact_points.is_empty() {
                problems.add(bundle, clash("contactPoints"));
            }
            if !g.local_dc.is_empty() {
                problems.add(bundle, clash("loadBalancing.localDc"));
            }
            if props.keys().any(|k| k.starts_with("ssl.")) {
                problems.add(bundle, clash("any setting under ssl."));
            }
        }
    }

    let local_dc = global.as_ref().and_then(|g| {
        let dc = if props.contains_key("loadBalancing.localDc") {
            g.local_dc.clone()
        } else {
            props
                .get(DRIVER_LOCAL_DC)
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        };
        (!dc.is_empty()).then_some(dc)
    });
    if let Some(g) = &global {
        if !g.contact_points.is_empty() {
            if local_dc.is_none() {
                problems.add(
                    "contactPoints",
                    config_exception(
                        "contactPoints",
                        Value::List(g.contact_points.clone()).java_text(),
                        "When contact points is provided, loadBalancing.localDc must also be specified",
                    )
                    .message()
                    .to_string(),
                );
            }
            // DataStax checks the names when the task starts.
            let mut invalid: Vec<&str> = Vec::new();
            for host in &g.contact_points {
                if !valid_contact_point(host) && !invalid.contains(&host.as_str()) {
                    invalid.push(host);
                }
            }
            if !invalid.is_empty() {
                problems.add(
                    "contactPoints",
                    format!("Incorrect contactPoints: {}", invalid.join(",")),
                );
            }
        } else if local_dc.is_none()
            && driver
                .as_ref()
                .is_some_and(|d| !d.contact_points.is_empty())
        {
            // The Java driver's own rule, met when the session starts.
            problems.add(
                DRIVER_CONTACT_POINTS,
                config_exception(
                    DRIVER_CONTACT_POINTS,
                    &props[DRIVER_CONTACT_POINTS],
                    "When contact points is provided, loadBalancing.localDc must also be specified",
                )
                .message()
                .to_string(),
            );
        }
    }

    let problems = problems.0;
    if !problems.is_empty() || !topics_ok {
        return (problems, None);
    }
    let (Some(g), Some(driver), Some(ssl), Some(auth)) = (global, driver, ssl, auth) else {
        return (problems, None);
    };
    let seconds = |s: i32| Duration::from_secs(s as u64);
    let config = CassandraSinkConfig {
        contact_points: g.contact_points,
        port: g.port,
        local_dc,
        max_concurrent_requests: g.max_concurrent_requests,
        max_records_in_batch: g.max_records_in_batch,
        query_execution_timeout: if props.contains_key("queryExecutionTimeout") {
            seconds(g.query_execution_timeout)
        } else {
            driver
                .request_timeout
                .unwrap_or(seconds(g.query_execution_timeout))
        },
        connection_pool_local_size: if props.contains_key("connectionPoolLocalSize") {
            g.connection_pool_local_size as usize
        } else {
            driver
                .pool_size
                .unwrap_or(g.connection_pool_local_size as usize)
        },
        compression: if props.contains_key("compression") {
            g.compression
        } else {
            driver.compression.unwrap_or(g.compression)
        },
        ignore_errors: g.ignore_errors,
        auth,
        ssl,
        topics,
        driver_contact_points: driver.contact_points,
        metrics_highest_latency: if props.contains_key("metricsHighestLatency") {
            seconds(g.metrics_highest_latency)
        } else {
            driver
                .highest_latency
                .unwrap_or(seconds(g.metrics_highest_latency))
        },
        jmx: g.jmx,
        jmx_connector_domain: g.jmx_connector_domain,
    };
    (problems, Some(config))
}

/// The `datastax-java-driver.*` values Strait takes (each only where the connector's own key
/// does not override it, as in DataStax).
#[derive(Default)]
struct DriverValues {
    contact_points: Vec<(String, u16)>,
    request_timeout: Option<Duration>,
    pool_size: Option<usize>,
    compression: Option<Compression>,
    highest_latency: Option<Duration>,
}

fn check_driver_keys(props: &Props, problems: &mut Problems) -> Option<DriverValues> {
    let before = problems.count();
    let mut values = DriverValues::default();
    let taken: Vec<&str> = DRIVER_KEYS
        .iter()
        .map(|(k, _)| &k[DRIVER_PREFIX.len() + 1..])
        .collect();
    for (key, value) in props.iter().filter(|(k, _)| k.starts_with(DRIVER_PREFIX)) {
        let Some((_, overridden_by)) = DRIVER_KEYS.iter().find(|(k, _)| *k == key.as_str()) else {
            problems.add(
                key.clone(),
                config_exception(
                    key,
                    value,
                    &format!(
                        "Strait does not embed the DataStax Java driver: of its settings it takes \
                         only {} (each mapped onto Strait's own); remove this one",
                        taken.join(", ")
                    ),
                )
                .message()
                .to_string(),
            );
            continue;
        };
        if overridden_by.is_some_and(|k| props.contains_key(k)) {
            continue;
        }
        let bad = |problems: &mut Problems, what: &str| {
            problems.add(
                key.clone(),
                config_exception(key, value, what).message().to_string(),
            )
        };
        match key.as_str() {
            DRIVER_CONTACT_POINTS => match driver_contact_points(value) {
                Some(points) => values.contact_points = points,
                None => bad(problems, "expected host:port pairs separated by commas"),
            },
            DRIVER_REQUEST_TIMEOUT => match hocon_duration(value) {
                Some(d) => values.request_timeout = Some(d),
                None => bad(
                    problems,
                    "expected a positive duration such as '30 seconds' or '500 ms'",
                ),
            },
            DRIVER_HIGHEST_LATENCY => match hocon_duration(value) {
                Some(d) => values.highest_latency = Some(d),
                None => bad(
                    problems,
                    "expected a positive duration such as '35 seconds'",
                ),
            },
            DRIVER_POOL_SIZE => match value.trim().parse::<usize>() {
                Ok(n) if n >= 1 => values.pool_size = Some(n),
                _ => bad(problems, "expected a number of connections, at least 1"),
            },
            // Checked with DataStax's message after the topics, where DataStax checks it.
            DRIVER_COMPRESSION => values.compression = parse_compression(value.trim()),
            _ => {} // the local datacenter is any text
        }
    }
    (problems.count() == before).then_some(values)
}

/// DataStax's `SslConfig` rules beyond its definition (no file is read here).
fn check_ssl(keys: SslKeys, problems: &mut Problems) -> Ssl {
    if keys.provider == "None" {
        return Ssl::None;
    }
    let (chain, key) = (&keys.key_cert_chain, &keys.private_key);
    if chain.is_empty() != key.is_empty() {
        let (missing, set) = if chain.is_empty() {
            ("ssl.openssl.keyCertChain", "ssl.openssl.privateKey")
        } else {
            ("ssl.openssl.privateKey", "ssl.openssl.keyCertChain")
        };
        problems.add(
            set,
            format!(
                "ssl.openssl.keyCertChain cannot be set without ssl.openssl.privateKey and \
                 vice-versa: {missing} is not set"
            ),
        );
    }
    let non_empty = |s: &String| (!s.is_empty()).then(|| s.clone());
    Ssl::Tls {
        hostname_validation: keys.hostname_validation,
        trust_pem: non_empty(&keys.truststore_path),
        client_cert_pem: non_empty(&keys.key_cert_chain),
        client_key_pem: non_empty(&keys.private_key),
    }
}

/// DataStax's `AuthenticatorConfig`: credentials without a provider mean PLAIN; a password
/// needs a user name; GSSAPI needs a service (and Strait refuses GSSAPI).
fn check_auth(props: &Props, problems: &mut Problems) -> Option<Auth> {
    if !problems.add_def_errors(&AuthKeys::config_def(), props, true) {
        return None;
    }
    let keys = AuthKeys::parse(props).ok()?;
    let before = problems.count();
    let raw_provider = props.get("auth.provider").map(String::as_str);
    let credentials = props.contains_key("auth.username") || props.contains_key("auth.password");
    let provider = if credentials && matches!(raw_provider, None | Some("None")) {
        "PLAIN"
    } else {
        keys.provider.as_str()
    };
    match provider {
        "PLAIN" if !keys.password.is_empty() && keys.username.is_empty() => {
            problems.add(
                "auth.password",
                "auth.password was specified without auth.username",
            );
        }
        "GSSAPI" => {
            if keys.service.is_empty() {
                problems.add(
                    "auth.gssapi.service",
                    config_exception("auth.gssapi.service", "<empty>", "is required")
                        .message()
                        .to_string(),
                );
            }
            problems.add(
                "auth.provider",
                config_exception(
                    "auth.provider",
                    "GSSAPI",
                    "Strait has no Kerberos (GSSAPI) client; authenticate with PLAIN",
                )
                .message()
                .to_string(),
            );
        }
        _ => {}
    }
    let auth = match provider {
        "PLAIN" => Auth::Plain {
            username: keys.username,
            password: keys.password,
        },
        _ => Auth::None,
    };
    (problems.count() == before).then_some(auth)
}

/// One topic: its codec keys, then each table section (DataStax's `TopicConfig`).
fn check_topic(
    topic: &str,
    section: &TopicSection,
    props: &Props,
    problems: &mut Problems,
) -> Option<TopicConfig> {
    let before = problems.count();
    if section.tables.is_empty() {
        let key = section.codec_keys.first().cloned().unwrap_or_default();
        problems.add(
            key,
            format!("Topic {topic} must have at least one table configuration"),
        );
        return None;
    }
    let tables: Vec<TableConfig> = section
        .tables
        .keys()
        .filter_map(|(keyspace, table)| check_table(topic, keyspace, table, props, problems))
        .collect();
    // DataStax reads the codec settings when the task starts.
    let codec_key = |setting: &str| format!("topic.{topic}.codec.{setting}");
    let codec_text = |setting: &str| {
        present::<types::String>(
            codec_config_def(topic)
                .key(&codec_key(setting))
                .expect("codec keys are defined"),
            props,
        )
        .expect("codec keys are strings with defaults")
    };
    let unit_text = codec_text("unit");
    let unit = TimeUnit::parse(&unit_text);
    if unit.is_none() {
        problems.add(
            codec_key("unit"),
            time_unit_error(&codec_key("unit"), &unit_text),
        );
    }
    if problems.count() != before {
        return None;
    }
    Some(TopicConfig {
        tables,
        codec: CodecSettings {
            locale: codec_text("locale"),
            time_zone: codec_text("timeZone"),
            timestamp: codec_text("timestamp"),
            date: codec_text("date"),
            time: codec_text("time"),
            unit: unit?,
        },
    })
}

fn time_unit_error(key: &str, value: &str) -> String {
    config_exception(
        key,
        value,
        &format!("No enum constant java.util.concurrent.TimeUnit.{value}"),
    )
    .message()
    .to_string()
}

/// One `topic.<topic>.<keyspace>.<table>.*` section (DataStax's `TableConfig`), every problem
/// in DataStax's order.
fn check_table(
    topic: &str,
    keyspace_raw: &str,
    table_raw: &str,
    props: &Props,
    problems: &mut Problems,
) -> Option<TableConfig> {
    let prefix = format!("topic.{topic}.{keyspace_raw}.{table_raw}.");
    let def = table_config_def(&prefix);
    if !problems.add_def_errors(&def, props, false) {
        return None;
    }
    let before = problems.count();
    let name = |setting: &str| format!("{prefix}{setting}");
    let key = |setting: &str| def.key(&name(setting)).expect("table keys are defined");
    // The definition accepted every value, so each reads as its type.
    let string = |setting: &str| present::<types::String>(key(setting), props).unwrap_or_default();
    let boolean = |setting: &str| present::<types::Boolean>(key(setting), props).unwrap_or(true);
    let mapping_key = name("mapping");
    let mapping_text = string("mapping");

    let mut keyspace = Identifier(String::new());
    let mut table = Identifier(String::new());
    match (parse_loosely(keyspace_raw), parse_loosely(table_raw)) {
        (Ok(k), Ok(t)) => (keyspace, table) = (k, t),
        (Err(e), _) => problems.add(
            mapping_key.clone(),
            config_exception(&format!("{prefix}*"), keyspace_raw, &e)
                .message()
                .to_string(),
        ),
        (_, Err(e)) => problems.add(
            mapping_key.clone(),
            config_exception(&format!("{prefix}*"), table_raw, &e)
                .message()
                .to_string(),
        ),
    }

    let shorthand =
        keyspace_raw == "keyspace" && table_raw == "table" && !mapping_text.contains('=');
    let mapping = if shorthand {
        match parse_shorthand(&mapping_text) {
            Some((k, t)) => {
                (keyspace, table) = (k, t);
                Some(Mapping::ValueFieldsByName)
            }
            None => {
                problems.add(
                    mapping_key.clone(),
                    config_exception(
                        &mapping_key,
                        format!("'{mapping_text}'"),
                        "Strait's shorthand mapping is <keyspace>.<table> (a value without '=', \
                         each part unquoted or double-quoted); a DataStax mapping has the form \
                         'col1=value.f1, col2=key.f1'",
                    )
                    .message()
                    .to_string(),
                );
                None
            }
        }
    } else {
        match mapping::parse(&mapping_text) {
            Ok(entries) => Some(Mapping::Explicit(entries)),
            Err(failure) => {
                problems.add(
                    mapping_key.clone(),
                    failure.message(&mapping_key, &mapping_text),
                );
                None
            }
        }
    };

    let cl_text = string("consistencyLevel");
    let consistency = Consistency::parse(&cl_text);
    if consistency.is_none() {
        let valid: Vec<&str> = CONSISTENCY_LEVELS.iter().map(|(n, _)| *n).collect();
        problems.add(
            name("consistencyLevel"),
            config_exception(
                &name("consistencyLevel"),
                format!("'{cl_text}'"),
                &format!("valid values include: {}", valid.join(", ")),
            )
            .message()
            .to_string(),
        );
    }
    let ttl = present::<types::Int>(key("ttl"), props).unwrap_or(-1);
    let unit = |setting: &str, problems: &mut Problems| {
        let text = string(setting);
        let unit = TimeUnit::parse(&text);
        if unit.is_none() {
            problems.add(name(setting), time_unit_error(&name(setting), &text));
        }
        unit
    };
    let ttl_unit = unit("ttlTimeUnit", problems);
    let timestamp_unit = unit("timestampTimeUnit", problems);
    let null_to_unset = boolean("nullToUnset");
    let deletes_enabled = boolean("deletesEnabled");
    let query = strait_engine::config::nullable::<types::String>(key("query"), props)
        .ok()
        .flatten();
    if let Some(q) = &query {
        if deletes_enabled {
            problems.add(
                name("query"),
                format!(
                    "You cannot provide both {} and {}. If you want to provide own query, set \
                     the deletesEnabled to false.",
                    name("query"),
                    name("deletesEnabled")
                ),
            );
        } else if q.is_empty() {
            problems.add(
                name("query"),
                config_exception(&name("query"), "", "the query is empty (Strait)")
                    .message()
                    .to_string(),
            );
        } else if shorthand {
            problems.add(
                mapping_key.clone(),
                config_exception(
                    &mapping_key,
                    format!("'{mapping_text}'"),
                    "Strait's shorthand mapping cannot be used with a query: map the query's \
                     variables explicitly ('var1=value.f1, …')",
                )
                .message()
                .to_string(),
            );
        }
    }
    if problems.count() != before {
        return None;
    }
    Some(TableConfig {
        keyspace,
        table,
        mapping: mapping?,
        consistency: consistency?,
        ttl: (ttl >= 0).then_some(ttl as i64),
        ttl_unit: ttl_unit?,
        timestamp_unit: timestamp_unit?,
        null_to_unset,
        deletes_enabled,
        query,
    })
}

impl CassandraSinkConfig {
    /// Parse and validate (pure: nothing here connects). The error is the first problem in
    /// DataStax's order: a `topic.` key of neither pattern; the global keys (in definition
    /// order); the `datastax-java-driver.*` keys; the `ssl.*` keys; the `auth.*` keys; each
    /// topic (sorted) and its tables (sorted by `<keyspace>.<table>`): definition errors,
    /// mapping, consistency level, time units, query vs. deletes; the driver compression
    /// value; every topic of `topics` mapped; the cloud bundle's clashes; contact points and
    /// their local datacenter.
    pub fn from_props(props: &Props) -> Result<Self> {
        let (problems, config) = analyze(props);
        match (problems.into_iter().next(), config) {
            (Some(p), _) => Err(Error::config(p.message)),
            (None, Some(config)) => Ok(config),
            (None, None) => Err(Error::bug(
                "the Cassandra sink's configuration failed without saying why",
            )),
        }
    }

    /// Per-key results for `PUT /connector-plugins/…/config/validate`: [`config_def`]'s keys as
    /// its definition validates them, with the cross-key problems added on the key they concern;
    /// then every `topic.` and `datastax-java-driver.` key given (with its problems, if any),
    /// a missing `mapping` of a table section, and `topics` when a topic has no settings.
    pub fn validate(props: &Props) -> Vec<ConfigValue> {
        let mut values = config_def().validate(props);
        let mut extra: Vec<ConfigValue> = props
            .iter()
            .filter(|(k, _)| k.starts_with("topic.") || k.starts_with(DRIVER_PREFIX))
            .map(|(k, v)| ConfigValue {
                name: k.clone(),
                value: Some(v.clone()),
                recommended_values: Vec::new(),
                errors: Vec::new(),
                visible: true,
            })
            .collect();
        let (problems, _) = analyze(props);
        for p in problems.into_iter().filter(|p| !p.defined) {
            if let Some(v) = values.iter_mut().find(|v| v.name == p.key) {
                v.errors.push(p.message);
            } else if let Some(v) = extra.iter_mut().find(|v| v.name == p.key) {
                v.errors.push(p.message);
            } else {
                extra.push(ConfigValue {
                    value: props.get(&p.key).cloned(),
                    name: p.key,
                    recommended_values: Vec::new(),
                    errors: vec![p.message],
                    visible: true,
                });
            }
        }
        values.extend(extra);
        values
    }

    /// Every node to contact: each `contactPoints` host on `port`, then the driver's
    /// `host:port` contact points; the driver's default `127.0.0.1:9042` when there are none.
    pub fn endpoints(&self) -> Vec<(String, u16)> {
        let mut all: Vec<(String, u16)> = self
            .contact_points
            .iter()
            .map(|h| (h.clone(), self.port))
            .collect();
        all.extend(self.driver_contact_points.iter().cloned());
        if all.is_empty() {
            all.push(("127.0.0.1".to_string(), 9042));
        }
        let mut seen = BTreeSet::new();
        all.retain(|e| seen.insert(e.clone()));
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value as Json;
    use strait_engine::config::props_from;

    fn parse(pairs: &[(&str, &str)]) -> Result<CassandraSinkConfig> {
        CassandraSinkConfig::from_props(&props_from(pairs))
    }

    fn error(pairs: &[(&str, &str)]) -> String {
        match parse(pairs) {
            Ok(c) => panic!("expected an error for {pairs:?}, got {c:?}"),
            Err(e) => e.message().to_string(),
        }
    }

    const TABLE: (&str, &str) = ("topic.t.ks.tb.mapping", "a=key");

    // --- The seed config and the shorthand ---------------------------------------------------

    #[test]
    fn the_seed_config_parses_unchanged() {
        let config = parse(&[
            (
                "connector.class",
                "com.datastax.oss.kafka.sink.CassandraSinkConnector",
            ),
            ("tasks.max", "3"),
            ("topics", "events"),
            ("contactPoints", "cassandra1,cassandra2,cassandra3"),
            ("loadBalancing.localDc", "datacenter1"),
            ("topic.events.keyspace.table.mapping", "analytics.events"),
            (
                "topic.events.keyspace.table.consistencyLevel",
                "LOCAL_QUORUM",
            ),
        ])
        .unwrap();
        assert_eq!(
            config.contact_points,
            vec!["cassandra1", "cassandra2", "cassandra3"]
        );
        assert_eq!(config.local_dc.as_deref(), Some("datacenter1"));
        assert_eq!(
            config.endpoints(),
            vec![
                ("cassandra1".to_string(), 9042),
                ("cassandra2".to_string(), 9042),
                ("cassandra3".to_string(), 9042)
            ]
        );
        let topic = &config.topics["events"];
        assert_eq!(config.topics.len(), 1);
        assert_eq!(
            topic.tables,
            vec![TableConfig {
                keyspace: Identifier("analytics".into()),
                table: Identifier("events".into()),
                mapping: Mapping::ValueFieldsByName,
                consistency: Consistency::LocalQuorum,
                ttl: None,
                ttl_unit: TimeUnit::Seconds,
                timestamp_unit: TimeUnit::Microseconds,
                null_to_unset: true,
                deletes_enabled: true,
                query: None,
            }]
        );
    }

    #[test]
    fn shorthand_rule() {
        let table = |value: &str, extra: &[(&str, &str)]| {
            let mut pairs = vec![("topics", "e"), ("topic.e.keyspace.table.mapping", value)];
            pairs.extend_from_slice(extra);
            parse(&pairs).map(|c| c.topics["e"].tables[0].clone())
        };
        let t = table(
            " \"My Ks\" . \"T\"\"b\" ",
            &[("topic.e.keyspace.table.ttl", "60")],
        )
        .unwrap();
        assert_eq!(
            (t.keyspace.internal(), t.table.internal()),
            ("My Ks", "T\"b")
        );
        assert_eq!((t.mapping, t.ttl), (Mapping::ValueFieldsByName, Some(60)));
        let t = table("MyKs.MyTable", &[]).unwrap();
        assert_eq!(
            (t.keyspace.internal(), t.table.internal()),
            ("MyKs", "MyTable")
        );
        // With a '=' it is DataStax's meaning: keyspace `keyspace`, table `table`.
        let t = table("id=value.id", &[]).unwrap();
        assert_eq!(
            (t.keyspace.internal(), t.table.internal()),
            ("keyspace", "table")
        );
        assert!(matches!(t.mapping, Mapping::Explicit(ref e) if e.len() == 1));
        // Only the literal `keyspace`.`table` parts make a shorthand.
        assert!(table("a.b", &[]).is_ok());
        let err = parse(&[("topics", "e"), ("topic.e.ks.table.mapping", "a.b")]).unwrap_err();
        assert!(
            err.message()
                .ends_with("mismatched input '.' expecting '='"),
            "{err}"
        );
        for bad in ["analytics", "a.b.c", "a.", "\"a.b", "a b.c"] {
            let e = table(bad, &[]).unwrap_err();
            assert!(
                e.message().starts_with(&format!(
                    "Invalid value '{bad}' for configuration topic.e.keyspace.table.mapping: \
                     Strait's shorthand mapping is <keyspace>.<table>"
                )),
                "{bad}: {e}"
            );
        }
        let e = table(
            "a.b",
            &[
                (
                    "topic.e.keyspace.table.query",
                    "INSERT INTO a.b (x) VALUES (:x)",
                ),
                ("topic.e.keyspace.table.deletesEnabled", "false"),
            ],
        )
        .unwrap_err();
        assert!(e.message().contains("cannot be used with a query"), "{e}");
    }

    // --- Defaults and typed values ------------------------------------------------------------

    #[test]
    fn datastax_defaults() {
        let c = parse(&[("topics", "t"), TABLE]).unwrap();
        assert!(c.contact_points.is_empty() && c.driver_contact_points.is_empty());
        assert_eq!(c.endpoints(), vec![("127.0.0.1".to_string(), 9042)]);
        assert_eq!((c.port, c.local_dc.clone()), (9042, None));
        assert_eq!(
            (c.max_concurrent_requests, c.max_records_in_batch),
            (500, 32)
        );
        assert_eq!(c.query_execution_timeout, Duration::from_secs(30));
        assert_eq!(c.connection_pool_local_size, 4);
        assert_eq!(c.metrics_highest_latency, Duration::from_secs(35));
        assert_eq!(
            (c.jmx, c.jmx_connector_domain.as_str()),
            (true, "com.datastax.oss.kafka.sink")
        );
        assert_eq!(
            (c.compression, c.ignore_errors),
            (Compression::None, IgnoreErrors::None)
        );
        assert_eq!((c.auth.clone(), c.ssl.clone()), (Auth::None, Ssl::None));
        let t = &c.topics["t"];
        assert_eq!(
            t.codec,
            CodecSettings {
                locale: "en_US".into(),
                time_zone: "UTC".into(),
                timestamp: "CQL_TIMESTAMP".into(),
                date: "ISO_LOCAL_DATE".into(),
                time: "ISO_LOCAL_TIME".into(),
                unit: TimeUnit::Milliseconds,
            }
        );
        let table = &t.tables[0];
        assert_eq!(table.consistency, Consistency::LocalOne);
        assert_eq!(
            (table.ttl, table.ttl_unit, table.timestamp_unit),
            (None, TimeUnit::Seconds, TimeUnit::Microseconds)
        );
        assert_eq!(
            (
                table.null_to_unset,
                table.deletes_enabled,
                table.query.clone()
            ),
            (true, true, None)
        );
    }

    #[test]
    fn legacy_ignore_errors_booleans() {
        for (value, expected) in [
            ("true", IgnoreErrors::Driver),
            ("TRUE", IgnoreErrors::Driver),
            ("false", IgnoreErrors::None),
            ("All", IgnoreErrors::All),
            (" driver ", IgnoreErrors::Driver),
            ("none", IgnoreErrors::None),
        ] {
            let c = parse(&[("topics", "t"), TABLE, ("ignoreErrors", value)]).unwrap();
            assert_eq!(c.ignore_errors, expected, "{value}");
        }
        assert_eq!(
            error(&[("topics", "t"), TABLE, ("ignoreErrors", "yes")]),
            "Invalid value for setting ignoreErrors, expecting either All, None or Driver, got: yes"
        );
    }

    #[test]
    fn credentials_alone_mean_plain_and_tls_reads_pem_files() {
        let c = parse(&[TABLE, ("auth.username", "u"), ("auth.password", "p")]).unwrap();
        assert_eq!(
            c.auth,
            Auth::Plain {
                username: "u".into(),
                password: "p".into()
            }
        );
        let c = parse(&[
            TABLE,
            ("ssl.provider", "OpenSSL"),
            ("ssl.hostnameValidation", "false"),
            ("ssl.truststore.path", "/etc/ca.pem"),
            ("ssl.openssl.keyCertChain", "/etc/client.crt"),
            ("ssl.openssl.privateKey", "/etc/client.key"),
        ])
        .unwrap();
        assert_eq!(
            c.ssl,
            Ssl::Tls {
                hostname_validation: false,
                trust_pem: Some("/etc/ca.pem".into()),
                client_cert_pem: Some("/etc/client.crt".into()),
                client_key_pem: Some("/etc/client.key".into()),
            }
        );
        // The pair rule holds for JDK too (Strait uses the pair with either provider).
        assert_eq!(
            error(&[
                TABLE,
                ("ssl.provider", "JDK"),
                ("ssl.openssl.privateKey", "/k.pem")
            ]),
            "ssl.openssl.keyCertChain cannot be set without ssl.openssl.privateKey and \
             vice-versa: ssl.openssl.keyCertChain is not set"
        );
        // With no provider the other ssl keys are ignored, as in DataStax.
        assert_eq!(
            parse(&[TABLE, ("ssl.truststore.path", "/ca.pem")])
                .unwrap()
                .ssl,
            Ssl::None
        );
    }

    #[test]
    fn driver_keys_strait_maps_and_their_precedence() {
        let c = parse(&[
            TABLE,
            (
                "datastax-java-driver.basic.contact-points",
                "h1:9043, [::1]:9044",
            ),
            (
                "datastax-java-driver.basic.load-balancing-policy.local-datacenter",
                "dc9",
            ),
            ("datastax-java-driver.basic.request.timeout", "1500 ms"),
            (
                "datastax-java-driver.advanced.connection.pool.local.size",
                "8",
            ),
            ("datastax-java-driver.advanced.protocol.compression", "LZ4"),
            (
                "datastax-java-driver.advanced.metrics.node.cql-messages.highest-latency",
                "2 minutes",
            ),
        ])
        .unwrap();
        assert_eq!(
            c.driver_contact_points,
            vec![("h1".to_string(), 9043), ("::1".to_string(), 9044)]
        );
        assert_eq!(c.endpoints().len(), 2);
        assert_eq!(c.local_dc.as_deref(), Some("dc9"));
        assert_eq!(c.query_execution_timeout, Duration::from_millis(1500));
        assert_eq!(
            (c.connection_pool_local_size, c.compression),
            (8, Compression::Lz4)
        );
        assert_eq!(c.metrics_highest_latency, Duration::from_secs(120));
        // The connector's keys win, and then the driver's value is not even read (DataStax).
        let c = parse(&[
            TABLE,
            ("queryExecutionTimeout", "7"),
            (
                "datastax-java-driver.basic.request.timeout",
                "not a duration",
            ),
            ("loadBalancing.localDc", ""),
            (
                "datastax-java-driver.basic.load-balancing-policy.local-datacenter",
                "dc9",
            ),
        ])
        .unwrap();
        assert_eq!(
            (c.query_execution_timeout, c.local_dc),
            (Duration::from_secs(7), None)
        );
        let e = error(&[
            TABLE,
            ("datastax-java-driver.basic.request.timeout", "soon"),
        ]);
        assert_eq!(
            e,
            "Invalid value soon for configuration datastax-java-driver.basic.request.timeout: \
             expected a positive duration such as '30 seconds' or '500 ms'"
        );
        let e = error(&[TABLE, ("datastax-java-driver.basic.contact-points", "h1")]);
        assert!(
            e.ends_with("expected host:port pairs separated by commas"),
            "{e}"
        );
        assert_eq!(hocon_duration("30"), Some(Duration::from_millis(30)));
        assert_eq!(hocon_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(hocon_duration("0 seconds"), None);
        assert_eq!(hocon_duration("3 fortnights"), None);
    }

    #[test]
    fn keys_strait_cannot_honour_are_refused_by_name() {
        let cases: [(&str, &str); 12] = [
            ("cloud.secureConnectBundle", "/b.zip"),
            ("auth.provider", "GSSAPI"),
            ("auth.gssapi.keyTab", "/k.keytab"),
            ("auth.gssapi.principal", "p@R"),
            ("ssl.keystore.path", "/k.jks"),
            ("ssl.keystore.password", "secret"),
            ("ssl.truststore.password", "secret"),
            ("ssl.truststore.path", "/t.JKS"),
            ("ssl.truststore.path", "base64:AAAA"),
            ("ssl.openssl.privateKey", "base64:AAAA"),
            ("ssl.cipherSuites", "TLS_AES_128_GCM_SHA256"),
            (
                "datastax-java-driver.advanced.heartbeat.interval",
                "10 seconds",
            ),
        ];
        for (key, value) in cases {
            let e = error(&[TABLE, (key, value)]);
            assert!(
                e.contains(&format!("for configuration {key}: ")),
                "{key}: {e}"
            );
            assert!(e.contains("Strait"), "{key}: {e}");
            let values = CassandraSinkConfig::validate(&props_from(&[TABLE, (key, value)]));
            let on_key = values.iter().find(|v| v.name == key).expect("reported");
            assert_eq!(on_key.errors, vec![e.clone()], "{key}");
            // A secret is not shown.
            assert!(!e.contains("secret"), "{e}");
        }
        // Empty values are unset, and so accepted.
        assert!(parse(&[
            TABLE,
            ("ssl.keystore.path", ""),
            ("cloud.secureConnectBundle", "")
        ])
        .is_ok());
    }

    #[test]
    fn contact_point_names() {
        for ok in [
            "localhost",
            "cassandra_1",
            "a-b.example.com",
            "127.0.0.1",
            "::1",
            "2001:db8::1",
            "example.com.",
            "3com.com",
        ] {
            assert!(valid_contact_point(ok), "{ok}");
        }
        for bad in [
            "",
            "1.2.3",
            "01.2.3.4",
            "-x",
            "bad_",
            "host:9042",
            "a..b",
            "x.1a",
            &"a".repeat(64),
        ] {
            assert!(!valid_contact_point(bad), "{bad}");
        }
        assert_eq!(
            error(&[
                TABLE,
                ("contactPoints", "ok, -x, -x, 1.2.3"),
                ("loadBalancing.localDc", "d")
            ]),
            "Incorrect contactPoints: -x,1.2.3"
        );
    }

    #[test]
    fn config_def_is_datastax_s_keys_in_its_order() {
        let def = config_def();
        let names: Vec<&str> = def.keys().iter().map(|k| k.name.as_str()).collect();
        assert_eq!(
            names[..13],
            [
                "contactPoints",
                "port",
                "loadBalancing.localDc",
                "maxConcurrentRequests",
                "jmx",
                "jmxConnectorDomain",
                "compression",
                "queryExecutionTimeout",
                "metricsHighestLatency",
                "maxNumberOfRecordsInBatch",
                "connectionPoolLocalSize",
                "ignoreErrors",
                "cloud.secureConnectBundle",
            ]
        );
        assert_eq!(names.len(), 13 + 9 + 6);
        assert!(names[13..22].iter().all(|n| n.starts_with("ssl.")));
        assert!(names[22..].iter().all(|n| n.starts_with("auth.")));
        let table = table_config_def("topic.t.ks.tb.");
        assert_eq!(
            table.key("topic.t.ks.tb.mapping").unwrap().default,
            KeyDefault::Required
        );
        assert_eq!(
            table.key("topic.t.ks.tb.query").unwrap().default,
            KeyDefault::Null
        );
        assert_eq!(codec_config_def("t").keys().len(), 6);
    }

    #[test]
    fn validate_reports_each_problem_on_its_key() {
        let props = props_from(&[
            ("topics", "t,u"),
            ("maxConcurrentRequests", "0"),
            ("contactPoints", "c1"),
            ("topic.t.ks.tb.mapping", "a = foo"),
            ("topic.t.ks.tb.ttl", "-5"),
            ("topic.t.ks.tb2.consistencyLevel", "FEW"),
            ("topic.t.ks.tb3.mapping", "a = value.x"),
            ("topic.t.bogus", "1"),
        ]);
        let values = CassandraSinkConfig::validate(&props);
        let errors = |key: &str| -> Vec<String> {
            values
                .iter()
                .find(|v| v.name == key)
                .unwrap_or_else(|| panic!("{key} not reported"))
                .errors
                .clone()
        };
        assert_eq!(
            errors("maxConcurrentRequests"),
            vec![
                "Invalid value 0 for configuration maxConcurrentRequests: Value must be at least 1"
            ]
        );
        // Rules across global keys are checked only when the global keys parse (DataStax stops
        // at the first).
        assert!(errors("contactPoints").is_empty());
        let mut fixed = props.clone();
        fixed.remove("maxConcurrentRequests");
        let values = CassandraSinkConfig::validate(&fixed);
        assert_eq!(
            values.iter().find(|v| v.name == "contactPoints").unwrap().errors,
            vec!["Invalid value [c1] for configuration contactPoints: When contact points is provided, loadBalancing.localDc must also be specified"]
        );
        assert_eq!(
            errors("topic.t.ks.tb.ttl"),
            vec!["Invalid value -5 for configuration topic.t.ks.tb.ttl: Value must be at least -1"]
        );
        // The mapping of a section that failed its definition is not parsed (DataStax stops).
        assert!(errors("topic.t.ks.tb.mapping").is_empty());
        assert_eq!(
            errors("topic.t.ks.tb2.mapping"),
            vec!["Missing required configuration \"topic.t.ks.tb2.mapping\" which has no default value."]
        );
        let missing = values
            .iter()
            .find(|v| v.name == "topic.t.ks.tb2.mapping")
            .unwrap();
        assert_eq!(missing.value, None);
        assert!(errors("topic.t.ks.tb3.mapping").is_empty());
        assert_eq!(
            errors("topic.t.bogus"),
            vec!["The setting: topic.t.bogus does not match topic.keyspace.table nor topic.codec regular expression pattern"]
        );
        assert_eq!(
            errors("topics"),
            vec!["Invalid value t,u for configuration topics: Missing topic settings (topic.u.*) for topic u"]
        );
        // from_props stops at the first, in DataStax's order.
        assert_eq!(
            CassandraSinkConfig::from_props(&props).unwrap_err().message(),
            "The setting: topic.t.bogus does not match topic.keyspace.table nor topic.codec regular expression pattern"
        );
        // A good config validates clean.
        let clean = CassandraSinkConfig::validate(&props_from(&[("topics", "t"), TABLE]));
        assert!(clean.iter().all(|v| v.errors.is_empty()), "{clean:?}");
        assert!(clean.iter().any(|v| v.name == "topic.t.ks.tb.mapping"));
    }

    // --- The golden cases: what DataStax's own parser says ------------------------------------
    //
    // connectors/tests/golden/cassandra_config.json is the output of
    // bench/jvm/cassandra-config-oracle (DataStax's `new CassandraSinkConfig(props)` from
    // messaging-connectors-commons-core 1.0.15, run on that directory's cases.json; see its
    // README). Each case holds the props and what DataStax said: the exception, or the parsed
    // values, plus its REST validation errors and the checks it makes when a task starts.

    const GOLDEN: &str = include_str!("../../tests/golden/cassandra_config.json");

    /// How Strait's answer relates to DataStax's, where it is not the same.
    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Expect {
        /// The same error message, or the same parsed values.
        Same,
        /// DataStax's mapping errors, each with Strait's ` (at line L:C)`.
        WithPositions,
        /// DataStax's `IllegalArgumentException` text inside "Invalid value … for configuration
        /// <key>: …" (DataStax at config or task start).
        Wrapped(&'static str),
        /// DataStax fails when the task starts with this error (`parsed.<field>`); Strait now.
        AtTaskStart,
        /// As [`Expect::AtTaskStart`] for contact point names: the same names, in config order.
        SameNames,
        /// Strait refuses (DataStax accepts, or refuses for another reason); the message has this.
        StraitRefuses(&'static str),
        /// Strait accepts what DataStax refuses, or does not check (its extensions).
        StraitAccepts,
    }

    fn expectation(name: &str) -> Expect {
        use Expect::*;
        match name {
            "seed" | "map_quoted_segment" | "codec_bad_zone" => StraitAccepts,
            "codec_bad_unit" => Wrapped("topic.t.codec.unit"),
            "bad_ttl_unit" | "lowercase_ttl_unit" => Wrapped("topic.t.ks.tb.ttlTimeUnit"),
            "bad_timestamp_unit" => Wrapped("topic.t.ks.tb.timestampTimeUnit"),
            "keyspace_unbalanced_quote" => Wrapped("topic.t.\"ab.tb.*"),
            "ignore_errors_sometimes" => AtTaskStart,
            "contact_points_bad_names"
            | "contact_points_ip_forms"
            | "contact_points_one_bad"
            | "contact_point_with_port"
            | "contact_points_empty_entry" => SameNames,
            "port_too_big" => StraitRefuses("Value must be no more than 65535"),
            "driver_other_key" => StraitRefuses("Strait does not embed the DataStax Java driver"),
            "driver_contact_points_no_dc" => {
                StraitRefuses("loadBalancing.localDc must also be specified")
            }
            "auth_gssapi" | "auth_gssapi_missing_keytab" => {
                StraitRefuses("no Kerberos (GSSAPI) client")
            }
            "ssl_missing_truststore" => StraitRefuses("ssl.truststore.password"),
            "ssl_cipher_suites" => StraitRefuses("does not restrict TLS cipher suites"),
            "cloud_with_contact_points" | "cloud_alone" | "cloud_with_ssl" => {
                StraitRefuses("DataStax Astra")
            }
            "map_key_trailing_dot" | "map_double_dot" => {
                StraitRefuses("the path has an empty segment")
            }
            "map_quoted_segment_then_more" => StraitRefuses("(at line 1:24)"),
            // DataStax's mapping errors get positions (told apart by their text, below).
            _ => Same,
        }
    }

    /// Drop Strait's positions from its mapping errors.
    fn without_positions(message: &str) -> String {
        let mut out = String::new();
        for (i, line) in message.split('\n').enumerate() {
            if i > 0 {
                out.push('\n');
            }
            match line.rfind(" (at line ") {
                Some(at) if line.ends_with(')') => out.push_str(&line[..at]),
                _ => out.push_str(line),
            }
        }
        out
    }

    fn seconds_text(d: Duration) -> String {
        if d.subsec_nanos() == 0 {
            format!("{} seconds", d.as_secs())
        } else {
            format!("{} ms", d.as_millis())
        }
    }

    /// Strait's parsed config, written as DataStax's oracle writes its own.
    fn as_datastax(c: &CassandraSinkConfig) -> Json {
        let tables = |t: &TopicConfig| -> Vec<Json> {
            let mut tables: Vec<Json> = t
                .tables
                .iter()
                .map(|tb| {
                    let mapping: Vec<Json> = match &tb.mapping {
                        Mapping::Explicit(entries) => entries
                            .iter()
                            .map(|e| {
                                let (c, f) = mapping::datastax_names(e);
                                serde_json::json!([c, f])
                            })
                            .collect(),
                        Mapping::ValueFieldsByName => Vec::new(),
                    };
                    serde_json::json!({
                        "keyspace": tb.keyspace.internal(),
                        "table": tb.table.internal(),
                        "mapping": mapping,
                        "consistencyLevel": tb.consistency.name(),
                        "ttl": tb.ttl.unwrap_or(-1),
                        "ttlTimeUnit": tb.ttl_unit.name(),
                        "timestampTimeUnit": tb.timestamp_unit.name(),
                        "nullToUnset": tb.null_to_unset,
                        "deletesEnabled": tb.deletes_enabled,
                        "query": tb.query,
                    })
                })
                .collect();
            tables.sort_by_key(|t| (t["keyspace"].to_string(), t["table"].to_string()));
            tables
        };
        let topics: serde_json::Map<String, Json> = c
            .topics
            .iter()
            .map(|(name, t)| {
                (
                    name.clone(),
                    serde_json::json!({
                        "codec": {
                            "locale": t.codec.locale, "timeZone": t.codec.time_zone,
                            "timestamp": t.codec.timestamp, "date": t.codec.date,
                            "time": t.codec.time, "unit": t.codec.unit.name(),
                        },
                        "tables": tables(t),
                    }),
                )
            })
            .collect();
        let auth = match &c.auth {
            Auth::None => serde_json::json!("None"),
            Auth::Plain { username, password } => serde_json::json!({
                "provider": "PLAIN", "username": username, "password": password,
            }),
        };
        let ssl = match &c.ssl {
            Ssl::None => serde_json::json!("None"),
            Ssl::Tls {
                hostname_validation,
                ..
            } => serde_json::json!({
                "hostnameValidation": hostname_validation,
            }),
        };
        let ignore = match c.ignore_errors {
            IgnoreErrors::None => "NONE",
            IgnoreErrors::All => "ALL",
            IgnoreErrors::Driver => "DRIVER",
        };
        let driver_points: Vec<String> = c
            .driver_contact_points
            .iter()
            .map(|(h, p)| format!("{h}:{p}"))
            .collect();
        serde_json::json!({
            "contactPoints": c.contact_points,
            "port": c.port,
            "localDc": c.local_dc,
            "maxConcurrentRequests": c.max_concurrent_requests,
            "maxNumberOfRecordsInBatch": c.max_records_in_batch,
            "jmx": c.jmx,
            "jmxConnectorDomain": c.jmx_connector_domain,
            "ignoreErrors": ignore,
            "auth": auth,
            "ssl": ssl,
            "timeout": seconds_text(c.query_execution_timeout),
            "pool": c.connection_pool_local_size.to_string(),
            "compression": format!("{:?}", c.compression).to_lowercase(),
            "latency": seconds_text(c.metrics_highest_latency),
            "driverContactPoints": driver_points,
            "topics": topics,
        })
    }

    /// DataStax's parsed values, reduced to what [`as_datastax`] writes.
    fn datastax_view(parsed: &Json) -> Json {
        let mut view = parsed.clone();
        let obj = view.as_object_mut().unwrap();
        let driver = obj.remove("driver").unwrap();
        let d = |k: &str| {
            driver[format!("datastax-java-driver.{k}")]
                .as_str()
                .unwrap_or_default()
                .to_string()
        };
        obj.insert("timeout".into(), d("basic.request.timeout").into());
        obj.insert(
            "pool".into(),
            d("advanced.connection.pool.local.size").into(),
        );
        obj.insert(
            "compression".into(),
            d("advanced.protocol.compression").to_lowercase().into(),
        );
        obj.insert(
            "latency".into(),
            d("advanced.metrics.node.cql-messages.highest-latency").into(),
        );
        let points: Vec<Json> = (0..)
            .map_while(|i| {
                driver
                    .get(format!("datastax-java-driver.basic.contact-points.{i}"))
                    .cloned()
            })
            .collect();
        obj.insert("driverContactPoints".into(), points.into());
        obj.remove("contactPointsCheck");
        if let Some(ssl) = obj.get_mut("ssl").and_then(Json::as_object_mut) {
            ssl.retain(|k, _| k == "hostnameValidation");
        }
        for topic in obj["topics"].as_object_mut().unwrap().values_mut() {
            topic.as_object_mut().unwrap().remove("codecCheck");
            let tables = topic["tables"].as_array_mut().unwrap();
            tables.sort_by_key(|t| (t["keyspace"].to_string(), t["table"].to_string()));
        }
        view
    }

    #[test]
    fn golden_cases_from_datastax_s_parser() {
        let cases: Vec<Json> = serde_json::from_str(GOLDEN).unwrap();
        assert!(cases.len() > 150, "{}", cases.len());
        for case in &cases {
            let name = case["name"].as_str().unwrap();
            let props: Props = case["props"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect();
            let java = &case["java"];
            let strait = CassandraSinkConfig::from_props(&props);
            let mut expect = expectation(name);
            let java_error = java["error"].as_str();
            if expect == Expect::Same
                && java_error.is_some_and(|e| e.contains("Encountered the following errors"))
            {
                expect = Expect::WithPositions;
            }
            let task_start = java["parsed"]["ignoreErrors"]
                .as_str()
                .and_then(|s| s.strip_prefix("error: IllegalArgumentException: "))
                .map(str::to_string)
                .or_else(|| {
                    java["parsed"]["contactPointsCheck"]
                        .as_str()
                        .map(str::to_string)
                })
                .or_else(|| {
                    java["parsed"]["topics"].as_object().and_then(|t| {
                        t.values().find_map(|t| {
                            t["codecCheck"]
                                .as_str()
                                .map(|s| s.split_once(": ").unwrap().1.to_string())
                        })
                    })
                });
            let context = format!("case {name}: java {java}\nstrait {strait:?}");
            match expect {
                Expect::Same => match (java_error, &strait) {
                    (Some(j), Err(s)) => assert_eq!(s.message(), j, "{context}"),
                    (None, Ok(c)) => {
                        assert!(task_start.is_none(), "{context}");
                        assert_eq!(as_datastax(c), datastax_view(&java["parsed"]), "{context}");
                    }
                    _ => panic!("{context}"),
                },
                Expect::WithPositions => {
                    let s = strait.as_ref().expect_err(&context).message();
                    assert_eq!(without_positions(s), java_error.unwrap(), "{context}");
                    assert!(s.contains(" (at line 1:"), "{context}");
                }
                Expect::Wrapped(key) => {
                    let s = strait.as_ref().expect_err(&context).message();
                    let j = java_error
                        .map(str::to_string)
                        .or(task_start.clone())
                        .unwrap();
                    assert!(s.starts_with("Invalid value "), "{context}");
                    assert!(
                        s.ends_with(&format!(" for configuration {key}: {j}")),
                        "{context}"
                    );
                }
                Expect::AtTaskStart => {
                    let s = strait.as_ref().expect_err(&context).message();
                    assert_eq!(Some(s.to_string()), task_start, "{context}");
                }
                Expect::SameNames => {
                    let s = strait.as_ref().expect_err(&context).message();
                    let names = |m: &str| -> BTreeSet<String> {
                        m.strip_prefix("Incorrect contactPoints: ")
                            .unwrap_or_else(|| panic!("{context}"))
                            .split(',')
                            .map(str::to_string)
                            .collect()
                    };
                    assert_eq!(names(s), names(task_start.as_deref().unwrap()), "{context}");
                }
                Expect::StraitRefuses(text) => {
                    let s = strait.as_ref().expect_err(&context).message();
                    assert!(s.contains(text), "{context}");
                    assert_ne!(Some(s), java_error, "{context}");
                }
                Expect::StraitAccepts => assert!(strait.is_ok(), "{context}"),
            }
            // REST validation: DataStax's connector reports its global keys' errors, and so
            // does Strait (with more, elsewhere).
            let values = CassandraSinkConfig::validate(&props);
            if matches!(expect, Expect::Same | Expect::WithPositions) {
                for (key, errors) in java["rest_validate_errors"].as_object().unwrap() {
                    let strait_errors = &values.iter().find(|v| v.name == *key).unwrap().errors;
                    let java_errors: Vec<&str> = errors
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|e| e.as_str().unwrap())
                        .collect();
                    assert_eq!(strait_errors, &java_errors, "{context}");
                }
            }
            // Whatever stops from_props is reported by validate, on some key.
            if let Err(e) = &strait {
                assert!(
                    values
                        .iter()
                        .any(|v| v.errors.iter().any(|m| m == e.message())),
                    "{context}: validate lacks {e}"
                );
            } else {
                assert!(
                    values.iter().all(|v| v.errors.is_empty()),
                    "{context}: {values:?}"
                );
            }
        }
    }
}
