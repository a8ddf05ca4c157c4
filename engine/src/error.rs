//! Errors that say who is at fault and whether a retry can help.
//!
//! Every failure in Strait is classified once, where it happens, so the runtime can map it onto
//! Kafka Connect's behaviour: `errors.tolerance`, retries (`errors.retry.timeout`), the dead
//! letter queue, task FAILED states with a trace, and REST status codes.

use std::fmt;

/// Who is at fault for an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// The user's configuration is wrong (missing key, bad value, unknown class).
    Config,
    /// One or more records cannot be processed (malformed payload, type mismatch).
    Data,
    /// An external system (Kafka, the file system, an HTTP endpoint) failed.
    External,
    /// The request is valid but refers to something that does not exist (REST 404).
    NotFound,
    /// The request conflicts with the current state (REST 409).
    Conflict,
    /// A feature that does not exist yet was asked for.
    Unsupported,
    /// A bug in Strait: an invariant did not hold.
    Bug,
}

/// Pipeline stage at which an error happened, named as Kafka Connect names them (KIP-298).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    TaskPoll,
    TaskPut,
    Transformation,
    KeyConverter,
    ValueConverter,
    HeaderConverter,
    KafkaProduce,
    KafkaConsume,
}

impl Stage {
    /// The enum name as Kafka Connect writes it in `__connect.errors.stage` headers.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::TaskPoll => "TASK_POLL",
            Stage::TaskPut => "TASK_PUT",
            Stage::Transformation => "TRANSFORMATION",
            Stage::KeyConverter => "KEY_CONVERTER",
            Stage::ValueConverter => "VALUE_CONVERTER",
            Stage::HeaderConverter => "HEADER_CONVERTER",
            Stage::KafkaProduce => "KAFKA_PRODUCE",
            Stage::KafkaConsume => "KAFKA_CONSUME",
        }
    }
}

/// A Strait error: a message, who is at fault, and whether retrying can help.
#[derive(Debug)]
pub struct Error {
    fault: Fault,
    retriable: bool,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    /// HTTP status to answer with when this error reaches the REST API, where Kafka Connect's
    /// mapping differs from what the fault implies (e.g. 500 for an unknown connector class).
    http_status: Option<u16>,
    /// The Java exception class to report, where it is not the one the fault implies (a
    /// transform that fails as Java's does with a `NumberFormatException`, say).
    java_class: Option<&'static str>,
    /// Distributed mode: this worker cannot serve the request, another can (Java's
    /// `RequestTargetException`/`NotLeaderException`): the REST layer forwards the request to
    /// this URL, or answers 409 when it is unknown (`Some(None)`, during a rebalance).
    request_target: Option<Option<String>>,
}

/// Result alias used across Strait.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(fault: Fault, message: impl Into<String>) -> Self {
        Error {
            fault,
            retriable: false,
            message: message.into(),
            source: None,
            http_status: None,
            java_class: None,
            request_target: None,
        }
    }
    /// The request must be served by another worker: the leader, or the owner of a connector
    /// or task, at `url` (its advertised REST URL), unknown while the group rebalances.
    pub fn not_target(message: impl Into<String>, url: Option<String>) -> Self {
        Error {
            request_target: Some(url),
            ..Self::new(Fault::Conflict, message)
        }
        .with_java_class("org.apache.kafka.connect.runtime.distributed.NotLeaderException")
    }
    /// Where to forward the request, if this error means "another worker serves it"
    /// (`Some(None)`: that worker is not known right now).
    pub fn request_target(&self) -> Option<Option<&str>> {
        self.request_target.as_ref().map(|u| u.as_deref())
    }
    /// The user's configuration is wrong.
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(Fault::Config, message)
    }
    /// A record (or batch of records) cannot be processed.
    pub fn data(message: impl Into<String>) -> Self {
        Self::new(Fault::Data, message)
    }
    /// An external system failed; `retriable` says whether trying again can help.
    pub fn external(message: impl Into<String>, retriable: bool) -> Self {
        Error {
            retriable,
            ..Self::new(Fault::External, message)
        }
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(Fault::NotFound, message)
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(Fault::Conflict, message)
    }
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(Fault::Unsupported, message)
    }
    pub fn bug(message: impl Into<String>) -> Self {
        Self::new(Fault::Bug, message)
    }
    /// Attach the underlying cause.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }
    /// Prefix the message with context, keeping fault and retriability.
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }
    /// Report this Java exception class (traces, `__connect.errors.exception.class.name`)
    /// instead of the one the fault implies.
    pub fn with_java_class(mut self, class: &'static str) -> Self {
        self.java_class = Some(class);
        self
    }
    /// Answer with this HTTP status in the REST API.
    pub fn with_http_status(mut self, status: u16) -> Self {
        self.http_status = Some(status);
        self
    }
    /// The HTTP status for the REST API: explicit, else derived from the fault.
    pub fn http_status(&self) -> u16 {
        self.http_status.unwrap_or(match self.fault {
            Fault::Config => 400,
            Fault::NotFound => 404,
            Fault::Conflict => 409,
            _ => 500,
        })
    }
    pub fn fault(&self) -> Fault {
        self.fault
    }
    pub fn is_retriable(&self) -> bool {
        self.retriable
    }
    pub fn message(&self) -> &str {
        &self.message
    }
    /// A multi-line trace in the spirit of Java's `printStackTrace`: the error, then each cause.
    /// This is what task and connector statuses show in their `trace` field.
    pub fn trace(&self) -> String {
        let mut out = format!("{}: {}", self.java_class(), self.message);
        let mut cause: Option<&(dyn std::error::Error + 'static)> =
            self.source.as_deref().map(|e| e as _);
        while let Some(c) = cause {
            out.push_str(&format!("\nCaused by: {c}"));
            cause = c.source();
        }
        out
    }
    /// The Java exception class Kafka Connect would have used for this kind of failure; used in
    /// traces and DLQ headers so tooling that greps for them keeps working.
    pub fn java_class(&self) -> &'static str {
        if let Some(class) = self.java_class {
            return class;
        }
        match (self.fault, self.retriable) {
            (_, true) => "org.apache.kafka.connect.errors.RetriableException",
            (Fault::Config, _) => "org.apache.kafka.common.config.ConfigException",
            (Fault::Data, _) => "org.apache.kafka.connect.errors.DataException",
            (Fault::NotFound, _) => "org.apache.kafka.connect.errors.NotFoundException",
            (Fault::Conflict, _) => "org.apache.kafka.connect.errors.AlreadyExistsException",
            (Fault::Unsupported, _) => "java.lang.UnsupportedOperationException",
            _ => "org.apache.kafka.connect.errors.ConnectException",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as _)
    }
}

impl From<arrow::error::ArrowError> for Error {
    fn from(e: arrow::error::ArrowError) -> Self {
        Error::bug(format!("arrow: {e}")).with_source(e)
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        let retriable = matches!(
            e.kind(),
            std::io::ErrorKind::Interrupted
                | std::io::ErrorKind::WouldBlock
                | std::io::ErrorKind::TimedOut
        );
        Error::external(e.to_string(), retriable).with_source(e)
    }
}

impl From<rdkafka::error::KafkaError> for Error {
    fn from(e: rdkafka::error::KafkaError) -> Self {
        let retriable = e
            .rdkafka_error_code()
            .map(is_retriable_kafka_code)
            .unwrap_or(false);
        Error::external(format!("kafka: {e}"), retriable).with_source(e)
    }
}

fn is_retriable_kafka_code(code: rdkafka::types::RDKafkaErrorCode) -> bool {
    use rdkafka::types::RDKafkaErrorCode as C;
    matches!(
        code,
        C::QueueFull
            | C::RequestTimedOut
            | C::NotEnoughReplicas
            | C::NotEnoughReplicasAfterAppend
            | C::LeaderNotAvailable
            | C::NotLeaderForPartition
            | C::BrokerTransportFailure
            | C::AllBrokersDown
            | C::OperationTimedOut
            | C::UnknownTopicOrPartition
            | C::CoordinatorLoadInProgress
            | C::CoordinatorNotAvailable
            | C::NotCoordinator
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_includes_class_message_and_causes() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let e = Error::config("file missing").with_source(io);
        let t = e.trace();
        assert!(t.starts_with("org.apache.kafka.common.config.ConfigException: file missing"));
        assert!(t.contains("Caused by: no such file"));
        assert_eq!(e.fault(), Fault::Config);
        assert!(!e.is_retriable());
    }

    #[test]
    fn retriable_external_maps_to_retriable_exception() {
        let e = Error::external("broker down", true);
        assert_eq!(
            e.java_class(),
            "org.apache.kafka.connect.errors.RetriableException"
        );
        assert_eq!(e.context("producing").message(), "producing: broker down");
    }
}
