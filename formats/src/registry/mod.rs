//! A client for registries that speak Confluent Schema Registry's REST API (Confluent's own,
//! Apicurio's `/apis/ccompat/v7`, Redpanda's, Karapace, …), for the Avro, Protobuf and JSON
//! Schema converters: [`RegistryConfig`] holds the keys those converters share (Java's
//! `AbstractKafkaSchemaSerDeConfig`), [`RegistryClient`] the calls they make (Java's
//! `CachedSchemaRegistryClient` over `RestService`), [`SubjectNameStrategy`] the subject names
//! (Java's `io.confluent.kafka.serializers.subject.*`).
//!
//! Schemas are cached by id and by (subject, schema text), so a converter asks the registry
//! once per schema, never once per record. Errors are classified for the runtime: a registry
//! that cannot be reached (or answers 5xx/408/429 through every retry and every URL) is a
//! retriable external error naming the URL, so the task waits and resumes; an unknown schema id
//! (or subject) is a data error naming it, so the record goes to the DLQ or fails the task per
//! `errors.tolerance`; rejected credentials (401/403) are a config error naming the auth keys.
//!
//! Where Strait differs from Confluent: plain `http` only (TLS refused at config time, see
//! [`config`]); caches are emptied when they reach their capacity instead of evicting the least
//! recently used entry; two tasks missing the same schema at the same moment may both fetch it
//! (Java serialises those fetches).

mod client;
pub mod config;
pub mod converter;
mod project;

pub use client::RegistryClient;
pub use config::{Auth, RegistryConfig};
pub use converter::{RegistryConverter, ResolvedSchema, SchemaDecoder, SchemaFormat};

use strait_engine::{Error, Result};

/// The format of a registered schema: the registry's `schemaType` (absent means Avro).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaType {
    Avro,
    Protobuf,
    Json,
}

impl SchemaType {
    /// The registry's name for it (`AVRO`, `PROTOBUF`, `JSON`).
    pub fn as_str(self) -> &'static str {
        match self {
            SchemaType::Avro => "AVRO",
            SchemaType::Protobuf => "PROTOBUF",
            SchemaType::Json => "JSON",
        }
    }

    /// From the registry's `schemaType` field; `None` (field absent) is Avro, as in Java.
    pub fn parse(name: Option<&str>) -> Result<Self> {
        match name {
            None | Some("AVRO") => Ok(SchemaType::Avro),
            Some("PROTOBUF") => Ok(SchemaType::Protobuf),
            Some("JSON") => Ok(SchemaType::Json),
            Some(other) => Err(Error::data(format!(
                "Schema registry returned an unknown schema type {other:?}"
            ))),
        }
    }
}

/// A schema another one imports (Protobuf imports, JSON Schema `$ref`s, Avro named types).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SchemaReference {
    pub name: String,
    pub subject: String,
    pub version: i32,
}

/// A schema as the registry stores it under a global id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredSchema {
    pub id: i32,
    pub schema_type: SchemaType,
    pub schema: String,
    pub references: Vec<SchemaReference>,
}

/// One version of a subject (`lookup` and `latest` answers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectVersion {
    pub subject: String,
    pub version: i32,
    pub id: i32,
    pub schema_type: SchemaType,
    pub schema: String,
    pub references: Vec<SchemaReference>,
}

/// `key.subject.name.strategy` / `value.subject.name.strategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectNameStrategy {
    /// `io.confluent.kafka.serializers.subject.TopicNameStrategy`: `<topic>-key|value`.
    TopicName,
    /// `io.confluent.kafka.serializers.subject.RecordNameStrategy`: the record's full name.
    RecordName,
    /// `io.confluent.kafka.serializers.subject.TopicRecordNameStrategy`:
    /// `<topic>-<record full name>`.
    TopicRecordName,
}

impl SubjectNameStrategy {
    /// The Java class name.
    pub fn class_name(self) -> &'static str {
        match self {
            SubjectNameStrategy::TopicName => {
                "io.confluent.kafka.serializers.subject.TopicNameStrategy"
            }
            SubjectNameStrategy::RecordName => {
                "io.confluent.kafka.serializers.subject.RecordNameStrategy"
            }
            SubjectNameStrategy::TopicRecordName => {
                "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy"
            }
        }
    }

    /// Whether the subject depends on the schema (Java's `usesSchema()`).
    pub fn uses_schema(self) -> bool {
        !matches!(self, SubjectNameStrategy::TopicName)
    }

    /// The subject for a key (`is_key`) or value schema of `topic`. `record_name` is the
    /// schema's full name when it is a record (Avro record, Protobuf message, JSON Schema
    /// title), `None` otherwise; the record strategies refuse a schema without one with Java's
    /// message, as a data error (Java's `SerializationException`).
    pub fn subject_name(
        self,
        topic: &str,
        is_key: bool,
        record_name: Option<&str>,
    ) -> Result<String> {
        match self {
            SubjectNameStrategy::TopicName => {
                Ok(format!("{topic}-{}", if is_key { "key" } else { "value" }))
            }
            SubjectNameStrategy::RecordName => self.record_name(is_key, record_name),
            SubjectNameStrategy::TopicRecordName => Ok(format!(
                "{topic}-{}",
                self.record_name(is_key, record_name)?
            )),
        }
    }

    fn record_name(self, is_key: bool, record_name: Option<&str>) -> Result<String> {
        record_name.map(str::to_string).ok_or_else(|| {
            let which = if is_key { "key" } else { "value" };
            Error::data(format!(
                "In configuration {which}.subject.name.strategy = {}, the message {which} must \
                 only be a record schema",
                self.class_name()
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected names read from TopicNameStrategy.java, RecordNameStrategy.java and
    // TopicRecordNameStrategy.java (schema-serializer, confluentinc/schema-registry master).
    #[test]
    fn subject_names_follow_the_java_strategies() {
        let s = SubjectNameStrategy::TopicName;
        assert_eq!(s.subject_name("orders", true, None).unwrap(), "orders-key");
        assert_eq!(
            s.subject_name("orders", false, Some("a.B")).unwrap(),
            "orders-value"
        );
        let s = SubjectNameStrategy::RecordName;
        assert_eq!(
            s.subject_name("orders", false, Some("com.acme.Order"))
                .unwrap(),
            "com.acme.Order"
        );
        let s = SubjectNameStrategy::TopicRecordName;
        assert_eq!(
            s.subject_name("orders", true, Some("com.acme.Key"))
                .unwrap(),
            "orders-com.acme.Key"
        );
        let err = s.subject_name("orders", false, None).unwrap_err();
        assert_eq!(
            err.message(),
            "In configuration value.subject.name.strategy = \
             io.confluent.kafka.serializers.subject.TopicRecordNameStrategy, the message value \
             must only be a record schema"
        );
        assert_eq!(err.fault(), strait_engine::error::Fault::Data);
        assert!(!SubjectNameStrategy::TopicName.uses_schema());
        assert!(SubjectNameStrategy::RecordName.uses_schema());
    }

    #[test]
    fn schema_type_absent_means_avro() {
        assert_eq!(SchemaType::parse(None).unwrap(), SchemaType::Avro);
        assert_eq!(
            SchemaType::parse(Some("PROTOBUF")).unwrap(),
            SchemaType::Protobuf
        );
        assert_eq!(SchemaType::parse(Some("JSON")).unwrap().as_str(), "JSON");
        assert!(SchemaType::parse(Some("XML")).is_err());
    }
}
