//! The HTTP sink's configuration: Confluent's V1 keys (`io.confluent.connect.http.HttpSinkConnector`,
//! [`ConfluentKeys`]) and Aiven's (`io.aiven.kafka.connect.http.HttpSinkConnector`,
//! [`AivenKeys`]), each with its vendor's names, types and defaults, both parsed into one
//! [`SinkSettings`] that the task runs on. Everything here is pure (no I/O): files named by
//! `https.ssl.*` are read when the task starts.
//!
//! Cross-key rules (auth credentials, store types, proxy, unsupported features) are checked by
//! [`parse_confluent`] / [`parse_aiven`], so a task never starts with them, and reported on
//! their keys by [`validate_confluent`] / [`validate_aiven`] for REST validation.
//!
//! **Separators keep their whitespace.** Kafka's `ConfigDef` trims STRING values, which would
//! turn a `batch.separator` of `"\n"` into nothing; as Aiven does (and as users of either vendor
//! expect), `batch.prefix`, `batch.suffix`, `batch.separator`, `header.separator` and
//! `regex.separator` are read from the raw value given.

use std::time::Duration;

use reqwest::Method;
use strait_engine::config::{ConfigDef, ConfigValue, Props, Validator};
use strait_engine::declare_config;
use strait_engine::transforms::java_regex::{JavaPattern, JavaReplacement};
use strait_engine::{Error, Result};

use crate::http::client::{Auth, BackoffPolicy, OAuth2, RetryPolicy, StatusCodes, Transport};
use crate::http::confluent_keys::{proxy_of, ConfluentConnectionKeys, Problem};
use crate::http::template::Template;

/// Variables the sink's templates know (`http.api.url`, `batch.key.pattern`,
/// `regex.replacements`).
pub const SINK_VARS: &[&str] = &["topic", "key"];

declare_config! {
    /// Confluent's HTTP Sink V1 keys, Confluent's defaults.
    #[derive(Debug, Clone)]
    pub struct ConfluentKeys {
        pub url: String {
            key: "http.api.url",
            ty: String,
            default: required,
            validator: Validator::NonEmptyString,
            importance: High,
            doc: "HTTP API URL. May use ${topic} and ${key}, replaced by the topic and the key (as text) of the first record of each request.",
            group: "Connection", order: 1,
        },
        pub method: String {
            key: "request.method",
            ty: String,
            default: "POST",
            validator: Validator::OneOfIgnoreCase(&["POST", "PUT", "PATCH", "DELETE"]),
            importance: High,
            doc: "HTTP Request Method. Valid options are POST, PUT, PATCH and DELETE.",
            group: "Connection", order: 2,
        },
        pub headers: String {
            key: "headers",
            ty: String,
            default: "",
            importance: High,
            doc: "HTTP headers to be included in all requests, 'Name:Value' pairs separated by header.separator.",
            group: "Connection", order: 3,
        },
        pub header_separator: String {
            key: "header.separator",
            ty: String,
            default: "|",
            importance: High,
            doc: "Separator character used in headers and sensitive.headers.",
            group: "Connection", order: 4,
        },
        pub sensitive_headers: String {
            key: "sensitive.headers",
            ty: Password,
            default: "",
            importance: High,
            doc: "Sensitive HTTP headers (eg: Authorization) to be included in all requests, separated by header.separator. Never logged.",
            group: "Connection", order: 5,
        },
        pub null_values: String {
            key: "behavior.on.null.values",
            ty: String,
            default: "ignore",
            validator: Validator::OneOfIgnoreCase(&["ignore", "log", "fail", "delete"]),
            importance: Low,
            doc: "How to handle records with a null value: ignore (skip), log (skip with a warning), fail (the record fails, see behavior.on.error), delete (send a DELETE request to the record's URL).",
            group: "Connection", order: 6,
        },
        pub on_error: String {
            key: "behavior.on.error",
            ty: String,
            default: "fail",
            validator: Validator::OneOfIgnoreCase(&["fail", "log", "ignore"]),
            importance: Low,
            doc: "Error handling behavior for error responses once retries are spent: fail (the task fails), log (log the records and skip them), ignore (skip them). With errors.tolerance=all the rejected records go to the errant record reporter (the DLQ) instead.",
            group: "Connection", order: 7,
        },
        pub report_errors_as: String {
            key: "report.errors.as",
            ty: String,
            default: "error_string",
            validator: Validator::OneOfIgnoreCase(&["error_string", "http_response"]),
            importance: Low,
            doc: "Content of the error topic's records (reporter.*). Accepted; Strait has no reporter topics yet.",
            group: "Reporter", order: 1,
        },
        pub reporter_bootstrap_servers: String {
            key: "reporter.bootstrap.servers",
            ty: String,
            default: "",
            importance: Low,
            doc: "Bootstrap servers of Confluent's result and error reporter topics. Not supported yet: must be empty (use errors.tolerance=all with errors.deadletterqueue.topic.name for rejected records).",
            group: "Reporter", order: 2,
        },
        pub body_format: String {
            key: "request.body.format",
            ty: String,
            default: "string",
            validator: Validator::OneOfIgnoreCase(&["string", "json"]),
            importance: Medium,
            doc: "The format of each record in the request body: string (the value's text, Java's toString) or json (the value as JSON).",
            group: "Batching", order: 1,
        },
        pub batch_max_size: i32 {
            key: "batch.max.size",
            ty: Int,
            default: "1",
            validator: Validator::at_least(1.0),
            importance: High,
            doc: "The number of records accumulated in a batch before the HTTP API is invoked.",
            group: "Batching", order: 2,
        },
        pub batch_key_pattern: String {
            key: "batch.key.pattern",
            ty: String,
            default: "someKey",
            importance: High,
            doc: "Pattern used to build the key for a given batch. ${key} and ${topic} can be used to include message attributes here; records with different keys never share a request.",
            group: "Batching", order: 3,
        },
        pub batch_prefix: String {
            key: "batch.prefix",
            ty: String,
            default: "",
            importance: High,
            doc: "Prefix added to record batches. This is applied once at the beginning of the batch of records.",
            group: "Batching", order: 4,
        },
        pub batch_suffix: String {
            key: "batch.suffix",
            ty: String,
            default: "",
            importance: High,
            doc: "Suffix added to record batches. This is applied once at the end of the batch of records.",
            group: "Batching", order: 5,
        },
        pub batch_separator: String {
            key: "batch.separator",
            ty: String,
            default: ",",
            importance: High,
            doc: "Separator for records in a batch.",
            group: "Batching", order: 6,
        },
        pub batch_json_as_array: bool {
            key: "batch.json.as.array",
            ty: Boolean,
            default: "false",
            importance: High,
            doc: "Whether or not to use an array to bundle json records ([a,b], inside batch.prefix and batch.suffix). Only used when request.body.format is set to json.",
            group: "Batching", order: 7,
        },
        pub regex_patterns: String {
            key: "regex.patterns",
            ty: String,
            default: "",
            importance: Low,
            doc: "Regular expressions (Java syntax) to match against each record's text, separated by regex.separator.",
            group: "Regex", order: 1,
        },
        pub regex_replacements: String {
            key: "regex.replacements",
            ty: String,
            default: "",
            importance: Low,
            doc: "Replacements for the matches of regex.patterns (Java's replaceAll syntax, may use ${key} and ${topic}), separated by regex.separator.",
            group: "Regex", order: 2,
        },
        pub regex_separator: String {
            key: "regex.separator",
            ty: String,
            default: "~",
            importance: Low,
            doc: "Separator character used in regex.patterns and regex.replacements.",
            group: "Regex", order: 3,
        },
        pub max_retries: i32 {
            key: "max.retries",
            ty: Int,
            default: "10",
            validator: Validator::at_least(0.0),
            importance: Medium,
            doc: "The maximum number of times to retry on errors before failing the task.",
            group: "Retry", order: 1,
        },
        pub retry_backoff_ms: i32 {
            key: "retry.backoff.ms",
            ty: Int,
            default: "3000",
            validator: Validator::at_least(0.0),
            importance: Medium,
            doc: "The initial duration in milliseconds to wait following an error before a retry attempt is made.",
            group: "Retry", order: 2,
        },
        pub retry_backoff_policy: String {
            key: "retry.backoff.policy",
            ty: String,
            default: "EXPONENTIAL_WITH_JITTER",
            validator: Validator::OneOfIgnoreCase(&["EXPONENTIAL_WITH_JITTER", "CONSTANT_VALUE"]),
            importance: Low,
            doc: "The backoff policy to use in terms of retry: EXPONENTIAL_WITH_JITTER or CONSTANT_VALUE.",
            group: "Retry", order: 3,
        },
        pub retry_on_status_codes: String {
            key: "retry.on.status.codes",
            ty: String,
            default: "400-",
            importance: Low,
            doc: "The HTTP error codes to retry on: codes and ranges separated by commas, e.g. 400-, 408,429,500-599.",
            group: "Retry", order: 4,
        },
        pub connect_timeout_ms: i32 {
            key: "http.connect.timeout.ms",
            ty: Int,
            default: "30000",
            validator: Validator::at_least(1.0),
            importance: Low,
            doc: "Time to wait for a connection to be established, in milliseconds.",
            group: "Connection", order: 8,
        },
        pub request_timeout_ms: i32 {
            key: "http.request.timeout.ms",
            ty: Int,
            default: "30000",
            validator: Validator::at_least(1.0),
            importance: Low,
            doc: "Time to wait for a request's response, in milliseconds.",
            group: "Connection", order: 9,
        },
        pub conn: ConfluentConnectionKeys { flatten },
    }
}

declare_config! {
    /// Aiven's HTTP sink keys, Aiven's defaults.
    #[derive(Debug, Clone)]
    pub struct AivenKeys {
        pub url: String {
            key: "http.url",
            ty: String,
            default: required,
            validator: Validator::NonEmptyString,
            importance: High,
            doc: "The URL to send data to.",
            group: "Connection", order: 0,
            width: Long,
        },
        pub auth_type: String {
            key: "http.authorization.type",
            ty: String,
            default: required,
            validator: Validator::OneOf(&["none", "oauth2", "static"]),
            importance: High,
            doc: "The HTTP authorization type.",
            group: "Connection", order: 1,
            width: Short,
        },
        pub authorization: Option<String> {
            key: "http.headers.authorization",
            ty: Password,
            default: null,
            importance: Medium,
            doc: "The static content of Authorization header. Must be set along with 'static' authorization type.",
            group: "Connection", order: 2,
            width: Medium,
        },
        pub content_type: Option<String> {
            key: "http.headers.content.type",
            ty: String,
            default: null,
            importance: Low,
            doc: "The value of Content-Type that will be send with each request. Must be non-blank.",
            group: "Connection", order: 3,
            width: Medium,
        },
        pub additional_headers: Vec<String> {
            key: "http.headers.additional",
            ty: List,
            default: "",
            importance: Low,
            doc: "Additional headers to forward in the http request in the format header:value separated by a comma, headers are case-insensitive and no duplicate headers are allowed.",
            group: "Connection", order: 4,
            width: Medium,
        },
        pub oauth2_token_url: Option<String> {
            key: "oauth2.access.token.url",
            ty: String,
            default: null,
            importance: High,
            doc: "The URL to be used for fetching an access token. Client Credentials is the only supported grant type.",
            group: "Connection", order: 5,
            width: Long,
        },
        pub oauth2_client_id: Option<String> {
            key: "oauth2.client.id",
            ty: String,
            default: null,
            importance: High,
            doc: "The client id used for fetching an access token.",
            group: "Connection", order: 6,
            width: Long,
        },
        pub oauth2_client_secret: Option<String> {
            key: "oauth2.client.secret",
            ty: Password,
            default: null,
            importance: High,
            doc: "The secret used for fetching an access token.",
            group: "Connection", order: 7,
            width: Long,
        },
        pub oauth2_auth_mode: String {
            key: "oauth2.client.authorization.mode",
            ty: String,
            default: "HEADER",
            validator: Validator::OneOfIgnoreCase(&["HEADER", "URL"]),
            importance: Medium,
            doc: "Specifies how to encode ``client_id`` and ``client_secret`` in the OAuth2 authorization request. If set to ``header``, the credentials are encoded as an ``Authorization: Basic <base-64 encoded client_id:client_secret>`` HTTP header. If set to ``url``, then ``client_id`` and ``client_secret`` are sent as URL encoded parameters. Default is ``header``.",
            group: "Connection", order: 8,
            width: Long,
        },
        pub oauth2_scope: Option<String> {
            key: "oauth2.client.scope",
            ty: String,
            default: null,
            importance: Low,
            doc: "The scope used for fetching an access token.",
            group: "Connection", order: 9,
            width: Long,
        },
        pub oauth2_token_property: String {
            key: "oauth2.response.token.property",
            ty: String,
            default: "access_token",
            validator: Validator::NonEmptyStringWithoutControlChars,
            importance: Low,
            doc: "The name of the JSON property containing the access token returned by the OAuth2 provider. Default value is ``access_token``.",
            group: "Connection", order: 10,
            width: Long,
        },
        pub oauth2_grant_type: String {
            key: "oauth2.grant.type",
            ty: String,
            default: "client_credentials",
            validator: Validator::NonEmptyStringWithoutControlChars,
            importance: Low,
            doc: "The grant type sent to the token URL.",
            group: "Connection", order: 11,
        },
        pub oauth2_grant_type_property: String {
            key: "oauth2.request.grant.type.property",
            ty: String,
            default: "grant_type",
            validator: Validator::NonEmptyStringWithoutControlChars,
            importance: Low,
            doc: "The form field carrying the grant type.",
            group: "Connection", order: 12,
        },
        pub oauth2_client_id_property: String {
            key: "oauth2.request.client.id.property",
            ty: String,
            default: "client_id",
            validator: Validator::NonEmptyStringWithoutControlChars,
            importance: Low,
            doc: "The form field carrying the client id (oauth2.client.authorization.mode=url).",
            group: "Connection", order: 13,
        },
        pub oauth2_client_secret_property: String {
            key: "oauth2.request.client.secret.property",
            ty: String,
            default: "client_secret",
            validator: Validator::NonEmptyStringWithoutControlChars,
            importance: Low,
            doc: "The form field carrying the client secret (oauth2.client.authorization.mode=url).",
            group: "Connection", order: 14,
        },
        pub proxy_host: Option<String> {
            key: "http.proxy.host",
            ty: String,
            default: null,
            importance: Low,
            doc: "Proxy host. Must be set together with http.proxy.port.",
            group: "Connection", order: 15,
        },
        pub proxy_port: i32 {
            key: "http.proxy.port",
            ty: Int,
            default: "-1",
            validator: Validator::between(-1.0, 65535.0),
            importance: Low,
            doc: "Proxy port. Must be set together with http.proxy.host.",
            group: "Connection", order: 16,
        },
        pub trust_all: bool {
            key: "http.ssl.trust.all.certs",
            ty: Boolean,
            default: "false",
            importance: Low,
            doc: "Disable hostname and certificate verification: trust any server certificate.",
            group: "Connection", order: 17,
        },
        pub batching: bool {
            key: "batching.enabled",
            ty: Boolean,
            default: "false",
            importance: High,
            doc: "Whether to enable batching multiple records in a single HTTP request.",
            group: "Batching", order: 0,
            width: Short,
        },
        pub batch_max_size: i32 {
            key: "batch.max.size",
            ty: Int,
            default: "500",
            validator: Validator::between(1.0, 1_000_000.0),
            importance: Medium,
            doc: "The maximum size of a record batch to be sent in a single HTTP request.",
            group: "Batching", order: 1,
            width: Medium,
        },
        pub batch_prefix: String {
            key: "batch.prefix",
            ty: String,
            default: "",
            importance: High,
            doc: "Prefix added to record batches. Written once before the first record of a batch. Defaults to \"\" and may contain escape sequences like ``\\n``.",
            group: "Batching", order: 2,
            width: Medium,
        },
        pub batch_suffix: Option<String> {
            key: "batch.suffix",
            ty: String,
            default: null,
            importance: High,
            doc: "Suffix added to record batches. Written once after the last record of a batch. Defaults to \"\\n\" (for backwards compatibility) and may contain escape sequences.",
            group: "Batching", order: 3,
            width: Medium,
        },
        pub batch_separator: Option<String> {
            key: "batch.separator",
            ty: String,
            default: null,
            importance: High,
            doc: "Separator for records in a batch. Defaults to \"\\n\" and may contain escape sequences.",
            group: "Batching", order: 4,
            width: Medium,
        },
        pub kafka_retry_backoff_ms: Option<i64> {
            key: "kafka.retry.backoff.ms",
            ty: Long,
            default: null,
            validator: Validator::between(0.0, 86_400_000.0),
            importance: Medium,
            doc: "The retry backoff in milliseconds. This config is used to notify Kafka Connect to retry delivering a message batch or performing recovery in case of transient failures.",
            group: "Delivery", order: 0,
        },
        pub max_retries: i32 {
            key: "max.retries",
            ty: Int,
            default: "1",
            validator: Validator::at_least(0.0),
            importance: Medium,
            doc: "The maximum number of times to retry on errors when sending a batch before failing the task.",
            group: "Delivery", order: 1,
            width: Short,
        },
        pub retry_backoff_ms: i32 {
            key: "retry.backoff.ms",
            ty: Int,
            default: "3000",
            validator: Validator::at_least(0.0),
            importance: Medium,
            doc: "The time in milliseconds to wait following an error before a retry attempt is made.",
            group: "Delivery", order: 2,
            width: Short,
        },
        pub timeout_s: i32 {
            key: "http.timeout",
            ty: Int,
            default: "30",
            validator: Validator::at_least(1.0),
            importance: Low,
            doc: "HTTP Response timeout (seconds). Default is 30 seconds.",
            group: "Timeout", order: 0,
            width: Short,
        },
    }
}

/// `behavior.on.null.values`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NullValues {
    Ignore,
    Log,
    /// The record fails (Aiven: always).
    Fail,
    /// A DELETE request to the record's URL.
    Delete,
}

/// `behavior.on.error`: what happens to records the endpoint rejects when there is no errant
/// record reporter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnError {
    Fail,
    Log,
    Ignore,
}

/// How a record becomes text in the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    /// Confluent `string`: Java's `toString` of the value.
    String,
    /// Confluent `json`: the value as JSON (string values as their text).
    Json,
    /// Aiven: string values as they are, structs and maps as JSON, anything else refused.
    Aiven,
}

/// One `regex.patterns` entry with its replacement.
#[derive(Debug, Clone)]
pub struct RegexRule {
    pub pattern: JavaPattern,
    /// The replacement when it has no `${key}` / `${topic}`: parsed once.
    pub fixed: Option<JavaReplacement>,
    /// The replacement text, rendered per record when it uses `${key}` / `${topic}`.
    pub template: Template,
}

/// Everything the task needs, from either vendor's keys.
#[derive(Debug, Clone)]
pub struct SinkSettings {
    /// `http.api.url` / `http.url`.
    pub url: Template,
    pub method: Method,
    /// Headers sent with every request (the sensitive ones included).
    pub headers: Vec<(String, String)>,
    /// Names of headers never logged.
    pub sensitive: Vec<String>,
    pub null_values: NullValues,
    pub on_error: OnError,
    pub format: BodyFormat,
    pub batch_max: usize,
    /// `batch.key.pattern` (a constant for Aiven).
    pub batch_key: Template,
    pub prefix: String,
    pub suffix: String,
    pub separator: String,
    /// `batch.json.as.array` with `request.body.format=json`.
    pub json_array: bool,
    pub regex: Vec<RegexRule>,
    pub transport: Transport,
    pub auth: Auth,
    pub retry: RetryPolicy,
    /// How long the runtime waits before redelivering after a transport failure.
    pub redelivery_backoff: Duration,
}

impl SinkSettings {
    /// Whether any template or rule reads the record key.
    pub fn uses_key(&self) -> bool {
        self.url.uses("key")
            || self.batch_key.uses("key")
            || self.regex.iter().any(|r| r.template.uses("key"))
    }
}

/// The raw (untrimmed) value of a key, or the parsed one.
fn raw(props: &Props, key: &str, parsed: &str) -> String {
    props
        .get(key)
        .cloned()
        .unwrap_or_else(|| parsed.to_string())
}

/// `Name:Value` pairs separated by `separator`; the name is trimmed, the value loses its
/// leading whitespace (`Name: Value`). Split at the first ':' (the value may contain more).
fn header_pairs(
    key: &'static str,
    text: &str,
    separator: &str,
    problems: &mut Vec<Problem>,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if text.trim().is_empty() {
        return out;
    }
    let parts: Vec<&str> = if separator.is_empty() {
        vec![text]
    } else {
        text.split(separator).collect()
    };
    for part in parts.into_iter().filter(|p| !p.trim().is_empty()) {
        match part.split_once(':') {
            Some((name, value)) if !name.trim().is_empty() => {
                out.push((name.trim().to_string(), value.trim_start().to_string()))
            }
            _ => problems.push((
                format!(
                    "Invalid value for configuration {key}: '{}' is not a 'Name:Value' header",
                    if key == "sensitive.headers" {
                        "[hidden]"
                    } else {
                        part.trim()
                    }
                ),
                vec![key],
            )),
        }
    }
    out
}

fn check_url(key: &'static str, url: &str, problems: &mut Vec<Problem>) {
    let lower = url.trim().to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        problems.push((
            format!(
                "Invalid value {url} for configuration {key}: must be an http:// or https:// URL"
            ),
            vec![key],
        ));
    }
}

/// Confluent's keys into settings, plus every cross-key problem.
fn confluent(props: &Props, k: &ConfluentKeys) -> (SinkSettings, Vec<Problem>) {
    let mut problems: Vec<Problem> = Vec::new();
    check_url("http.api.url", &k.url, &mut problems);
    let auth = k.conn.auth(&mut problems);
    if !k.reporter_bootstrap_servers.trim().is_empty() {
        problems.push((
            "reporter.bootstrap.servers is not supported yet: Strait does not write Confluent's result and error reporter topics. Remove the reporter.* keys; for records the endpoint rejects, set errors.tolerance=all and errors.deadletterqueue.topic.name (the DLQ records carry the HTTP status and the response body).".into(),
            vec!["reporter.bootstrap.servers"],
        ));
    }
    problems.extend(k.conn.tls_problems());
    let header_separator = raw(props, "header.separator", &k.header_separator);
    let mut headers = header_pairs(
        "headers",
        &raw(props, "headers", &k.headers),
        &header_separator,
        &mut problems,
    );
    let sensitive_pairs = header_pairs(
        "sensitive.headers",
        &k.sensitive_headers,
        &header_separator,
        &mut problems,
    );
    let sensitive = sensitive_pairs.iter().map(|(n, _)| n.clone()).collect();
    headers.extend(sensitive_pairs);
    let format = if k.body_format.trim().eq_ignore_ascii_case("json") {
        BodyFormat::Json
    } else {
        BodyFormat::String
    };
    if !headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
    {
        // Strait's default: say what the body is (Java's HTTP client would send none).
        headers.push((
            "Content-Type".into(),
            match format {
                BodyFormat::Json => "application/json".into(),
                _ => "text/plain; charset=UTF-8".into(),
            },
        ));
    }
    let regex = regex_rules(props, k, &mut problems);
    let on_status = StatusCodes::parse("retry.on.status.codes", &k.retry_on_status_codes)
        .unwrap_or_else(|e| {
            problems.push((e.message().to_string(), vec!["retry.on.status.codes"]));
            StatusCodes::default()
        });
    let policy = BackoffPolicy::parse("retry.backoff.policy", &k.retry_backoff_policy)
        .unwrap_or(BackoffPolicy::ExponentialWithJitter);
    let ms = |v: i32| Duration::from_millis(u64::try_from(v.max(0)).unwrap_or(0));
    let settings = SinkSettings {
        url: Template::parse(k.url.trim(), SINK_VARS),
        method: match k.method.trim().to_ascii_uppercase().as_str() {
            "PUT" => Method::PUT,
            "PATCH" => Method::PATCH,
            "DELETE" => Method::DELETE,
            _ => Method::POST,
        },
        headers,
        sensitive,
        null_values: match k.null_values.trim().to_ascii_lowercase().as_str() {
            "log" => NullValues::Log,
            "fail" => NullValues::Fail,
            "delete" => NullValues::Delete,
            _ => NullValues::Ignore,
        },
        on_error: match k.on_error.trim().to_ascii_lowercase().as_str() {
            "log" => OnError::Log,
            "ignore" => OnError::Ignore,
            _ => OnError::Fail,
        },
        format,
        batch_max: usize::try_from(k.batch_max_size.max(1)).unwrap_or(1),
        batch_key: Template::parse(&k.batch_key_pattern, SINK_VARS),
        prefix: raw(props, "batch.prefix", &k.batch_prefix),
        suffix: raw(props, "batch.suffix", &k.batch_suffix),
        separator: raw(props, "batch.separator", &k.batch_separator),
        json_array: k.batch_json_as_array && format == BodyFormat::Json,
        regex,
        transport: k
            .conn
            .transport(ms(k.connect_timeout_ms), ms(k.request_timeout_ms)),
        auth,
        retry: RetryPolicy {
            max_retries: u32::try_from(k.max_retries.max(0)).unwrap_or(0),
            backoff_ms: u64::try_from(k.retry_backoff_ms.max(0)).unwrap_or(0),
            policy,
            on_status,
        },
        redelivery_backoff: ms(k.retry_backoff_ms),
    };
    (settings, problems)
}

fn regex_rules(props: &Props, k: &ConfluentKeys, problems: &mut Vec<Problem>) -> Vec<RegexRule> {
    let patterns_text = raw(props, "regex.patterns", &k.regex_patterns);
    if patterns_text.is_empty() {
        return Vec::new();
    }
    let separator = raw(props, "regex.separator", &k.regex_separator);
    let replacements_text = raw(props, "regex.replacements", &k.regex_replacements);
    let split = |t: &str| -> Vec<String> {
        if separator.is_empty() {
            vec![t.to_string()]
        } else {
            t.split(separator.as_str()).map(str::to_string).collect()
        }
    };
    let replacements = if replacements_text.is_empty() {
        Vec::new()
    } else {
        split(&replacements_text)
    };
    let mut rules = Vec::new();
    for (i, p) in split(&patterns_text).into_iter().enumerate() {
        let pattern = match JavaPattern::compile(&p) {
            Ok(pattern) => pattern,
            Err(e) => {
                problems.push((
                    format!("Invalid value {p} for configuration regex.patterns: {e}"),
                    vec!["regex.patterns"],
                ));
                continue;
            }
        };
        // Java: a pattern without a replacement is replaced by "".
        let text = replacements.get(i).cloned().unwrap_or_default();
        let template = Template::parse(&text, SINK_VARS);
        let fixed = template
            .is_constant()
            .then(|| JavaReplacement::parse(&pattern, &text));
        rules.push(RegexRule {
            pattern,
            fixed,
            template,
        });
    }
    rules
}

/// Aiven's keys into settings, plus every cross-key problem.
fn aiven(props: &Props, k: &AivenKeys) -> (SinkSettings, Vec<Problem>) {
    let mut problems: Vec<Problem> = Vec::new();
    check_url("http.url", &k.url, &mut problems);
    let blank = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut sensitive = Vec::new();
    let auth = match k.auth_type.as_str() {
        "static" => {
            if blank(&k.authorization) {
                problems.push((
                    "Invalid value [hidden] for configuration http.headers.authorization: Must be present when http.headers.content.type = STATIC".into(),
                    vec!["http.headers.authorization"],
                ));
            }
            headers.push((
                "Authorization".into(),
                k.authorization.clone().unwrap_or_default(),
            ));
            sensitive.push("Authorization".to_string());
            Auth::None
        }
        "oauth2" => {
            for (key, v) in [
                ("oauth2.access.token.url", &k.oauth2_token_url),
                ("oauth2.client.id", &k.oauth2_client_id),
                ("oauth2.client.secret", &k.oauth2_client_secret),
            ] {
                if blank(v) {
                    problems.push((
                        format!("Invalid value null for configuration {key}: Must be present when http.headers.content.type = OAUTH2"),
                        vec![key],
                    ));
                }
            }
            if let Some(u) = &k.oauth2_token_url {
                check_url("oauth2.access.token.url", u, &mut problems);
            }
            let mut o = OAuth2::new(
                k.oauth2_token_url.clone().unwrap_or_default(),
                k.oauth2_client_id.clone().unwrap_or_default(),
                k.oauth2_client_secret.clone().unwrap_or_default(),
            );
            o.token_property = k.oauth2_token_property.clone();
            o.scope = k.oauth2_scope.clone().unwrap_or_default();
            o.credentials_in_header = k.oauth2_auth_mode.trim().eq_ignore_ascii_case("HEADER");
            o.grant_type = k.oauth2_grant_type.clone();
            o.grant_type_property = k.oauth2_grant_type_property.clone();
            o.client_id_property = k.oauth2_client_id_property.clone();
            o.client_secret_property = k.oauth2_client_secret_property.clone();
            Auth::OAuth2(o)
        }
        _ => {
            if !blank(&k.authorization) {
                problems.push((
                    "Invalid value [hidden] for configuration http.headers.authorization: Must not be present when http.headers.content.type != STATIC".into(),
                    vec!["http.headers.authorization"],
                ));
            }
            Auth::None
        }
    };
    if let Some(ct) = &k.content_type {
        if ct.trim().is_empty() {
            problems.push((
                "Invalid value for configuration http.headers.content.type: Must be non-blank"
                    .into(),
                vec!["http.headers.content.type"],
            ));
        }
        headers.push(("Content-Type".into(), ct.clone()));
    }
    for entry in &k.additional_headers {
        match entry.split_once(':') {
            Some((name, value)) if !name.trim().is_empty() => {
                let name = name.trim();
                if headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
                    problems.push((
                        format!("Invalid value {} for configuration http.headers.additional: duplicate keys are not allowed (case-insensitive)", k.additional_headers.join(",")),
                        vec!["http.headers.additional"],
                    ));
                }
                headers.push((name.to_string(), value.trim().to_string()));
            }
            _ => problems.push((
                format!("Invalid value {} for configuration http.headers.additional: all values must be 'key:value' pairs", k.additional_headers.join(",")),
                vec!["http.headers.additional"],
            )),
        }
    }
    let proxy = match (&k.proxy_host, k.proxy_port) {
        (None, -1) => None,
        (Some(h), p) if !h.trim().is_empty() && p > 0 => proxy_of(h, p, "", ""),
        _ => {
            problems.push((
                "http.proxy.host and http.proxy.port must be set together".into(),
                vec!["http.proxy.host", "http.proxy.port"],
            ));
            None
        }
    };
    let batch_max = if k.batching {
        usize::try_from(k.batch_max_size.max(1)).unwrap_or(1)
    } else {
        1
    };
    let retry_ms = u64::try_from(k.retry_backoff_ms.max(0)).unwrap_or(0);
    let settings = SinkSettings {
        url: Template::parse(k.url.trim(), &[]),
        method: Method::POST,
        headers,
        sensitive,
        null_values: NullValues::Fail,
        on_error: OnError::Fail,
        format: BodyFormat::Aiven,
        batch_max,
        batch_key: Template::parse("", &[]),
        // Without batching Aiven sends each record's text alone, with no framing.
        prefix: if k.batching {
            raw(props, "batch.prefix", &k.batch_prefix)
        } else {
            String::new()
        },
        suffix: if k.batching {
            props
                .get("batch.suffix")
                .cloned()
                .unwrap_or_else(|| "\n".into())
        } else {
            String::new()
        },
        separator: props
            .get("batch.separator")
            .cloned()
            .unwrap_or_else(|| "\n".into()),
        json_array: false,
        regex: Vec::new(),
        transport: Transport {
            connect_timeout: Duration::from_secs(u64::try_from(k.timeout_s.max(1)).unwrap_or(30)),
            request_timeout: Duration::from_secs(u64::try_from(k.timeout_s.max(1)).unwrap_or(30)),
            trust_pem: None,
            identity_pem: None,
            verify_hostname: !k.trust_all,
            trust_all: k.trust_all,
            proxy,
        },
        auth,
        retry: RetryPolicy {
            max_retries: u32::try_from(k.max_retries.max(0)).unwrap_or(0),
            backoff_ms: retry_ms,
            policy: BackoffPolicy::ConstantValue,
            // Aiven retries every answer that is not 2xx.
            on_status: StatusCodes::parse("retry.on.status.codes", "100-199,300-")
                .unwrap_or_default(),
        },
        redelivery_backoff: Duration::from_millis(
            k.kafka_retry_backoff_ms
                .map_or(retry_ms, |v| u64::try_from(v.max(0)).unwrap_or(0)),
        ),
    };
    (settings, problems)
}

fn first_problem(problems: Vec<Problem>) -> Result<()> {
    match problems.into_iter().next() {
        Some((message, keys)) => Err(if message.contains("not supported") {
            Error::unsupported(message)
        } else {
            Error::config(message)
        }
        .context(format!("HTTP sink ({})", keys.join(", ")))),
        None => Ok(()),
    }
}

fn add_problems(values: &mut [ConfigValue], problems: Vec<Problem>) {
    for (message, keys) in problems {
        for key in keys {
            if let Some(v) = values.iter_mut().find(|v| v.name == key) {
                v.errors.push(message.clone());
            }
        }
    }
}

/// Parse Confluent's keys; the first problem is the error.
pub fn parse_confluent(props: &Props) -> Result<SinkSettings> {
    let k = ConfluentKeys::parse(props)?;
    let (settings, problems) = confluent(props, &k);
    first_problem(problems)?;
    Ok(settings)
}

/// Parse Aiven's keys; the first problem is the error.
pub fn parse_aiven(props: &Props) -> Result<SinkSettings> {
    let k = AivenKeys::parse(props)?;
    let (settings, problems) = aiven(props, &k);
    first_problem(problems)?;
    Ok(settings)
}

/// REST validation of Confluent's keys: each key's own result, then the cross-key problems on
/// their keys (only once every key parses).
pub fn validate_confluent(props: &Props) -> Vec<ConfigValue> {
    let mut values = ConfluentKeys::config_def().validate(props);
    if let Ok(k) = ConfluentKeys::parse(props) {
        add_problems(&mut values, confluent(props, &k).1);
    }
    values
}

/// REST validation of Aiven's keys.
pub fn validate_aiven(props: &Props) -> Vec<ConfigValue> {
    let mut values = AivenKeys::config_def().validate(props);
    if let Ok(k) = AivenKeys::parse(props) {
        add_problems(&mut values, aiven(props, &k).1);
    }
    values
}

/// The definitions, for the connectors' `config_def`.
pub fn confluent_def() -> ConfigDef {
    ConfluentKeys::config_def()
}

pub fn aiven_def() -> ConfigDef {
    AivenKeys::config_def()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Props {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn confluent_with(extra: &[(&str, &str)]) -> Result<SinkSettings> {
        let mut p = props(&[("http.api.url", "http://h/api/${topic}")]);
        p.extend(props(extra));
        parse_confluent(&p)
    }

    fn aiven_with(extra: &[(&str, &str)]) -> Result<SinkSettings> {
        let mut p = props(&[
            ("http.url", "http://h/x"),
            ("http.authorization.type", "none"),
        ]);
        p.extend(props(extra));
        parse_aiven(&p)
    }

    #[test]
    fn confluent_defaults() {
        let s = confluent_with(&[]).unwrap();
        assert_eq!(s.method, Method::POST);
        assert_eq!(s.batch_max, 1);
        assert_eq!(s.separator, ",");
        assert_eq!((s.prefix.as_str(), s.suffix.as_str()), ("", ""));
        assert!(s.batch_key.is_constant());
        assert_eq!(s.null_values, NullValues::Ignore);
        assert_eq!(s.on_error, OnError::Fail);
        assert_eq!(s.format, BodyFormat::String);
        assert_eq!(s.retry.max_retries, 10);
        assert_eq!(s.retry.backoff_ms, 3000);
        assert_eq!(s.retry.policy, BackoffPolicy::ExponentialWithJitter);
        assert!(s.retry.on_status.contains(400) && s.retry.on_status.contains(503));
        assert!(!s.retry.on_status.contains(302));
        assert_eq!(s.transport.request_timeout, Duration::from_secs(30));
        assert_eq!(s.auth, Auth::None);
        assert!(s.url.uses("topic") && !s.uses_key());
        assert!(s.headers.contains(&(
            "Content-Type".to_string(),
            "text/plain; charset=UTF-8".to_string()
        )));
        assert!(
            parse_confluent(&props(&[])).is_err(),
            "http.api.url is required"
        );
    }

    #[test]
    fn confluent_headers_separators_and_raw_values() {
        let s = confluent_with(&[
            (
                "headers",
                "X-A: 1|Content-Type:application/x-ndjson|X-Url:http://x",
            ),
            ("sensitive.headers", "Authorization:Bearer ${token}"),
            ("batch.separator", "\n"),
            ("batch.prefix", " ["),
            ("request.body.format", "JSON"),
            ("batch.json.as.array", "true"),
            ("batch.key.pattern", "${topic}-${key}"),
            ("request.method", "put"),
        ])
        .unwrap();
        assert_eq!(
            s.headers,
            vec![
                ("X-A".to_string(), "1".to_string()),
                ("Content-Type".into(), "application/x-ndjson".into()),
                ("X-Url".into(), "http://x".into()),
                ("Authorization".into(), "Bearer ${token}".into()),
            ]
        );
        assert_eq!(s.sensitive, ["Authorization"]);
        assert_eq!(s.separator, "\n", "not trimmed");
        assert_eq!(s.prefix, " [");
        assert!(s.json_array);
        assert_eq!(s.method, Method::PUT);
        assert!(s.uses_key());
        let e = confluent_with(&[("headers", "nocolon")]).unwrap_err();
        assert!(
            e.message()
                .contains("'nocolon' is not a 'Name:Value' header"),
            "{e}"
        );
        let e = confluent_with(&[("sensitive.headers", "secret")]).unwrap_err();
        assert!(!e.message().contains("secret"), "never shown: {e}");
    }

    #[test]
    fn confluent_auth_and_tls_rules() {
        let basic = confluent_with(&[
            ("auth.type", "basic"),
            ("connection.user", "u"),
            ("connection.password", "p"),
        ])
        .unwrap();
        assert_eq!(
            basic.auth,
            Auth::Basic {
                user: "u".into(),
                password: "p".into()
            }
        );
        let e = confluent_with(&[("auth.type", "OAUTH2"), ("oauth2.token.url", "http://t")])
            .unwrap_err();
        assert!(e.message().contains("oauth2.client.id is required"), "{e}");
        let o = confluent_with(&[
            ("auth.type", "OAUTH2"),
            ("oauth2.token.url", "http://t"),
            ("oauth2.client.id", "id"),
            ("oauth2.client.secret", "s"),
            ("oauth2.client.auth.mode", "url"),
        ])
        .unwrap();
        let Auth::OAuth2(o) = o.auth else { panic!() };
        assert_eq!((o.scope.as_str(), o.credentials_in_header), ("any", false));
        let b = confluent_with(&[("auth.type", "BEARER"), ("bearer.token", "t")]).unwrap();
        assert_eq!(b.auth, Auth::Bearer("t".into()));
        let e = confluent_with(&[("https.ssl.truststore.location", "/x.jks")]).unwrap_err();
        assert!(
            e.message().contains("PEM"),
            "JKS is Kafka's default type: {e}"
        );
        assert!(confluent_with(&[
            ("https.ssl.truststore.location", "/x.pem"),
            ("https.ssl.truststore.type", "PEM"),
        ])
        .is_ok());
        let e = confluent_with(&[("auth.type", "THIRD_PARTY")]).unwrap_err();
        assert!(e.message().contains("not supported"));
        let e = confluent_with(&[("reporter.bootstrap.servers", "k:9092")]).unwrap_err();
        assert!(e.message().contains("not supported yet"), "{e}");
        assert_eq!(e.fault(), strait_engine::error::Fault::Unsupported);
        let e = confluent_with(&[("http.api.url", "ftp://x")]).unwrap_err();
        assert!(e.message().contains("http.api.url"), "{e}");
        let p =
            confluent_with(&[("http.proxy.host", "proxy"), ("http.proxy.port", "3128")]).unwrap();
        assert_eq!(p.transport.proxy, Some(("http://proxy:3128".into(), None)));
    }

    #[test]
    fn validate_reports_cross_key_problems_on_their_keys() {
        let values = validate_confluent(&props(&[
            ("http.api.url", "http://h"),
            ("auth.type", "BASIC"),
            ("reporter.bootstrap.servers", "k:9092"),
        ]));
        let errors = |key: &str| {
            values
                .iter()
                .find(|v| v.name == key)
                .unwrap()
                .errors
                .clone()
        };
        assert!(errors("connection.user")[0].contains("required"));
        assert!(errors("reporter.bootstrap.servers")[0].contains("not supported yet"));
        assert!(errors("http.api.url").is_empty());
        let values = validate_aiven(&props(&[
            ("http.url", "http://h"),
            ("http.authorization.type", "static"),
        ]));
        let auth = values
            .iter()
            .find(|v| v.name == "http.headers.authorization")
            .unwrap();
        assert!(
            auth.errors[0].contains("Must be present"),
            "{:?}",
            auth.errors
        );
    }

    #[test]
    fn regex_rules_parse_with_java_syntax() {
        let s = confluent_with(&[
            ("regex.patterns", "a(\\d)~^x"),
            ("regex.replacements", "b$1~${topic}"),
        ])
        .unwrap();
        assert_eq!(s.regex.len(), 2);
        assert!(s.regex[0].fixed.is_some());
        assert!(s.regex[1].fixed.is_none() && s.regex[1].template.uses("topic"));
        let only = confluent_with(&[("regex.patterns", "z")]).unwrap();
        assert_eq!(
            only.regex.len(),
            1,
            "a pattern without a replacement removes matches"
        );
        let e = confluent_with(&[("regex.patterns", "(?<=a)b")]).unwrap_err();
        assert!(e.message().contains("regex.patterns"), "{e}");
    }

    #[test]
    fn aiven_defaults_and_rules() {
        let s = aiven_with(&[]).unwrap();
        assert_eq!(s.batch_max, 1, "batching is off by default");
        assert_eq!((s.prefix.as_str(), s.suffix.as_str()), ("", ""));
        assert_eq!(s.retry.max_retries, 1);
        assert_eq!(s.retry.backoff_ms, 3000);
        assert_eq!(s.retry.policy, BackoffPolicy::ConstantValue);
        assert!(s.retry.on_status.contains(400) && s.retry.on_status.contains(500));
        assert!(!s.retry.on_status.contains(200));
        assert_eq!(s.transport.request_timeout, Duration::from_secs(30));
        assert_eq!(s.format, BodyFormat::Aiven);
        assert_eq!(s.null_values, NullValues::Fail);
        assert!(s.headers.is_empty(), "no Content-Type unless configured");
        let b = aiven_with(&[("batching.enabled", "true")]).unwrap();
        assert_eq!(b.batch_max, 500);
        assert_eq!(
            (b.prefix.as_str(), b.suffix.as_str(), b.separator.as_str()),
            ("", "\n", "\n")
        );
        let b = aiven_with(&[
            ("batching.enabled", "true"),
            ("batch.suffix", " ]\n"),
            ("batch.separator", ", "),
        ])
        .unwrap();
        assert_eq!((b.suffix.as_str(), b.separator.as_str()), (" ]\n", ", "));
        let st = aiven_with(&[
            ("http.authorization.type", "static"),
            ("http.headers.authorization", "Bearer x"),
            ("http.headers.content.type", "application/json"),
            ("http.headers.additional", "X-A:1,X-B:2"),
        ])
        .unwrap();
        assert_eq!(st.headers.len(), 4);
        assert!(aiven_with(&[("http.headers.authorization", "x")]).is_err());
        assert!(aiven_with(&[("http.authorization.type", "static")]).is_err());
        assert!(
            aiven_with(&[("http.authorization.type", "NONE")]).is_err(),
            "lower case only"
        );
        assert!(aiven_with(&[("http.headers.additional", "X-A:1,x-a:2")]).is_err());
        assert!(aiven_with(&[("http.proxy.host", "p")]).is_err());
        assert!(aiven_with(&[("batch.max.size", "0")]).is_err());
        let o = aiven_with(&[
            ("http.authorization.type", "oauth2"),
            ("oauth2.access.token.url", "http://t/token"),
            ("oauth2.client.id", "id"),
            ("oauth2.client.secret", "s"),
            ("oauth2.client.authorization.mode", "url"),
            ("oauth2.response.token.property", "tok"),
        ])
        .unwrap();
        let Auth::OAuth2(o) = o.auth else { panic!() };
        assert_eq!(
            (o.token_property.as_str(), o.credentials_in_header),
            ("tok", false)
        );
        assert_eq!(o.scope, "");
        let k = aiven_with(&[("kafka.retry.backoff.ms", "250")]).unwrap();
        assert_eq!(k.redelivery_backoff, Duration::from_millis(250));
    }
}
