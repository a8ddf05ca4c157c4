//! The Cassandra sink's configuration: DataStax's `CassandraSinkConfig` / `TopicConfig` /
//! `TableConfig` keys (messaging-connectors-commons), their types, defaults and validation.
//!
//! INTERFACE STUB: the types below are what the task runtime reads. Parsing and validation
//! ([`CassandraSinkConfig::from_props`], [`CassandraSinkConfig::validate`], [`config_def`]) are
//! being written; until then `from_props` refuses every config.

use std::collections::BTreeMap;
use std::time::Duration;

use strait_engine::config::{ConfigDef, ConfigValue, Props};
use strait_engine::error::{Error, Result};

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
    pub tables: Vec<TableConfig>,
    pub codec: CodecSettings,
}

/// The parsed, validated connector configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CassandraSinkConfig {
    /// Host names or addresses, without port.
    pub contact_points: Vec<String>,
    pub port: u16,
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
}

impl CassandraSinkConfig {
    /// Parse and validate (pure: nothing here connects).
    pub fn from_props(_props: &Props) -> Result<Self> {
        Err(Error::config(
            "the Cassandra sink's configuration parser is not written yet",
        ))
    }

    /// Per-key results for `PUT /connector-plugins/…/config/validate`.
    pub fn validate(_props: &Props) -> Vec<ConfigValue> {
        Vec::new()
    }
}

/// The connector's `ConfigDef` (the global keys; per-topic keys are dynamic).
pub fn config_def() -> ConfigDef {
    ConfigDef::default()
}
