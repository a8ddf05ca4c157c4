//! The HTTP source's configuration: Confluent's V1 keys (`io.confluent.connect.http.HttpSourceConnector`),
//! the seed's spellings of five of them as aliases, and the V2 form
//! (`io.confluent.connect.http.source.GenericHttpSourceConnector`: a base URL and `apis.num`
//! APIs configured under `api<N>.`). Both parse into the same [`SourceConfig`]: a list of
//! [`ApiSpec`]s (one for V1) plus the connection settings they share.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use strait_engine::config::{ConfigDef, ConfigKey, Props, Validator};
use strait_engine::declare_config;
use strait_engine::{Error, Result};
use strait_formats::json::pointer::JsonPointer;

use super::client::{Auth, BackoffPolicy, RetryPolicy, StatusCodes, Transport};
use super::confluent_keys::ConfluentConnectionKeys;
use super::template::Template;

/// Variables the source's templates know.
pub const SOURCE_VARS: &[&str] = &["offset", "entityName"];
/// Most APIs the V2 form configures (Confluent's limit).
pub const MAX_APIS: i32 = 15;

/// The seed's key spellings, accepted as aliases of Confluent's V1 keys: (alias, key).
pub const V1_ALIASES: &[(&str, &str)] = &[
    ("http.url", "url"),
    ("http.method", "http.request.method"),
    ("http.headers", "http.request.headers"),
    ("kafka.topic", "topic.name.pattern"),
    ("http.timer.interval.ms", "request.interval.ms"),
];

const OFFSET_MODES: &[&str] = &[
    "SIMPLE_INCREMENTING",
    "CHAINING",
    "CURSOR_PAGINATION",
    "LINK_HEADER",
];

declare_config! {
    /// The keys of one API (V1: unprefixed; V2: under `api<N>.`).
    #[derive(Debug, Clone)]
    pub struct ApiKeys {
        pub method: String {
            key: "http.request.method",
            ty: String,
            default: "GET",
            validator: Validator::OneOfIgnoreCase(&["GET", "POST"]),
            importance: High,
            doc: "HTTP Request Method. Valid options are GET and POST.",
        },
        pub headers: String {
            key: "http.request.headers",
            ty: String,
            default: "",
            importance: High,
            doc: "HTTP headers to be included in each request, 'Name:Value' pairs separated by http.request.headers.separator. Values may use ${offset} and ${entityName}.",
        },
        pub headers_separator: String {
            key: "http.request.headers.separator",
            ty: String,
            default: "|",
            importance: Low,
            doc: "The character that separates the headers in http.request.headers.",
        },
        pub parameters: String {
            key: "http.request.parameters",
            ty: String,
            default: "",
            importance: High,
            doc: "HTTP query parameters added to each request, 'name=value' pairs separated by http.request.parameters.separator. Values may use ${offset} and ${entityName}.",
        },
        pub parameters_separator: String {
            key: "http.request.parameters.separator",
            ty: String,
            default: "&",
            importance: Low,
            doc: "The character that separates the parameters in http.request.parameters.",
        },
        pub body: String {
            key: "http.request.body",
            ty: String,
            default: "",
            importance: High,
            doc: "The body of a POST request; may use ${offset} and ${entityName}.",
        },
        pub offset_mode: String {
            key: "http.offset.mode",
            ty: String,
            default: "SIMPLE_INCREMENTING",
            validator: Validator::OneOfIgnoreCase(OFFSET_MODES),
            importance: High,
            doc: "How the next request's ${offset} is computed: SIMPLE_INCREMENTING (the initial offset plus the records received), CHAINING (the value at http.offset.json.pointer in the last record), CURSOR_PAGINATION (the value at http.next.page.json.pointer in the response) or, a Strait addition, LINK_HEADER (the URL in the response's RFC 8288 Link header with rel=\"next\").",
        },
        pub initial_offset: String {
            key: "http.initial.offset",
            ty: String,
            default: "",
            importance: High,
            doc: "The ${offset} of the first request (SIMPLE_INCREMENTING: 0 when empty).",
        },
        pub data_pointer: String {
            key: "http.response.data.json.pointer",
            ty: String,
            default: "",
            importance: High,
            doc: "JSON Pointer to the records in the response: each element of an array, or the object itself. Empty: the whole response.",
        },
        pub offset_pointer: String {
            key: "http.offset.json.pointer",
            ty: String,
            default: "",
            importance: Medium,
            doc: "CHAINING: JSON Pointer to the offset in each record; the last record's becomes the next ${offset}.",
        },
        pub next_page_pointer: String {
            key: "http.next.page.json.pointer",
            ty: String,
            default: "",
            importance: Medium,
            doc: "CURSOR_PAGINATION: JSON Pointer to the next page's cursor in the response.",
        },
        pub interval_ms: i64 {
            key: "request.interval.ms",
            ty: Long,
            default: "15000",
            validator: Validator::at_least(0.0),
            importance: Medium,
            doc: "How long to wait before asking again once an entity is caught up (an empty page, or no next page), in milliseconds. Pages that follow a non-empty one are requested without waiting.",
        },
        pub requests_per_second: f64 {
            key: "http.requests.per.second",
            ty: Double,
            default: "0",
            validator: Validator::at_least(0.0),
            importance: Low,
            doc: "Strait addition: most requests per second a task sends to this API, retries included (0: no limit).",
        },
        pub max_retries: i32 {
            key: "max.retries",
            ty: Int,
            default: "5",
            validator: Validator::at_least(0.0),
            importance: Medium,
            doc: "The maximum number of times to retry on errors before failing the task.",
        },
        pub retry_backoff_policy: String {
            key: "retry.backoff.policy",
            ty: String,
            default: "EXPONENTIAL_WITH_JITTER",
            validator: Validator::OneOfIgnoreCase(&["EXPONENTIAL_WITH_JITTER", "CONSTANT_VALUE"]),
            importance: Low,
            doc: "The backoff policy between retries: EXPONENTIAL_WITH_JITTER or CONSTANT_VALUE.",
        },
        pub retry_backoff_ms: i64 {
            key: "retry.backoff.ms",
            ty: Long,
            default: "3000",
            validator: Validator::at_least(0.0),
            importance: Medium,
            doc: "The initial duration in milliseconds to wait following an error before a retry attempt is made. A server's Retry-After header overrides it.",
        },
        pub retry_on_status_codes: String {
            key: "retry.on.status.codes",
            ty: String,
            default: "400-",
            importance: Medium,
            doc: "The HTTP error codes to retry on: codes and ranges separated by commas, e.g. '408,429,500-'.",
        },
        pub connect_timeout_ms: i32 {
            key: "http.connect.timeout.ms",
            ty: Int,
            default: "30000",
            validator: Validator::at_least(1.0),
            importance: Low,
            doc: "The time in milliseconds to wait for a connection to be established.",
        },
        pub request_timeout_ms: i32 {
            key: "http.request.timeout.ms",
            ty: Int,
            default: "30000",
            validator: Validator::at_least(1.0),
            importance: Low,
            doc: "The time in milliseconds to wait for a request response from the server.",
        },
    }
}

declare_config! {
    /// Settings every API shares: entities, errors, and Confluent's proxy, TLS and
    /// authentication keys.
    #[derive(Debug, Clone)]
    pub struct ConnectionKeys {
        pub entity_names: Vec<String> {
            key: "entity.names",
            ty: List,
            default: "",
            importance: High,
            doc: "A list of entities that should be polled. Entities are distributed among the connector tasks and replace ${entityName} in the topic, URL, parameters, headers and body.",
        },
        pub behavior_on_error: String {
            key: "behavior.on.error",
            ty: String,
            default: "FAIL",
            validator: Validator::OneOfIgnoreCase(&["FAIL", "IGNORE"]),
            importance: Low,
            doc: "What to do when a request still fails after its retries: FAIL the task, or IGNORE (log it and ask again after request.interval.ms from the same offset).",
        },
        pub conn: ConfluentConnectionKeys { flatten },
    }
}

declare_config! {
    /// Confluent's V1 keys (and the seed's aliases).
    #[derive(Debug, Clone)]
    pub struct V1Keys {
        pub url: Option<String> {
            key: "url",
            ty: String,
            default: null,
            importance: High,
            doc: "The service URL, templated with ${offset} and ${entityName}, e.g. http://example.com/api/v1/${entityName}/${offset}. Required (or its alias http.url).",
        },
        pub topic: Option<String> {
            key: "topic.name.pattern",
            ty: String,
            default: null,
            importance: High,
            doc: "The name of the Kafka topic to produce to, may use ${entityName}. Required (or its alias kafka.topic).",
        },
        pub api: ApiKeys { flatten },
        pub connection: ConnectionKeys { flatten },
        pub alias_url: Option<String> {
            key: "http.url",
            ty: String,
            default: null,
            importance: Low,
            doc: "Alias of url.",
        },
        pub alias_method: Option<String> {
            key: "http.method",
            ty: String,
            default: null,
            importance: Low,
            doc: "Alias of http.request.method.",
        },
        pub alias_headers: Option<String> {
            key: "http.headers",
            ty: String,
            default: null,
            importance: Low,
            doc: "Alias of http.request.headers.",
        },
        pub alias_topic: Option<String> {
            key: "kafka.topic",
            ty: String,
            default: null,
            importance: Low,
            doc: "Alias of topic.name.pattern.",
        },
        pub alias_interval: Option<String> {
            key: "http.timer.interval.ms",
            ty: String,
            default: null,
            importance: Low,
            doc: "Alias of request.interval.ms.",
        },
    }
}

declare_config! {
    /// Confluent's V2 global keys.
    #[derive(Debug, Clone)]
    pub struct V2Keys {
        pub base_url: String {
            key: "http.api.base.url",
            ty: String,
            default: required,
            validator: Validator::NonEmptyString,
            importance: High,
            doc: "The base URL the APIs' paths (api<N>.http.api.path) are appended to.",
        },
        pub apis: i32 {
            key: "apis.num",
            ty: Int,
            default: "1",
            validator: Validator::between(1.0, 15.0),
            importance: High,
            doc: "The number of APIs, configured as api1. … api<N>. keys.",
        },
        pub connection: ConnectionKeys { flatten },
    }
}

declare_config! {
    /// The V2 keys of one API beyond [`ApiKeys`].
    #[derive(Debug, Clone)]
    pub struct V2ApiKeys {
        pub path: String {
            key: "http.api.path",
            ty: String,
            default: "",
            importance: High,
            doc: "The API's path, appended to http.api.base.url; may use ${offset} and ${entityName}.",
        },
        pub topics: String {
            key: "topics",
            ty: String,
            default: required,
            validator: Validator::NonEmptyString,
            importance: High,
            doc: "The Kafka topic the API's records go to; may use ${entityName}.",
        },
        pub api: ApiKeys { flatten },
    }
}

/// How the next `${offset}` is found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OffsetMode {
    SimpleIncrementing,
    Chaining(JsonPointer),
    Cursor(JsonPointer),
    LinkHeader,
}

/// One API, parsed: templates, offsets, pacing and retries.
#[derive(Debug)]
pub struct ApiSpec {
    /// `api1` … for V2; empty for V1.
    pub name: String,
    pub method: Method,
    pub url: Template,
    pub headers: Vec<(String, Template)>,
    pub parameters: Vec<(String, Template)>,
    pub body: Option<Template>,
    pub topic: Template,
    pub mode: OffsetMode,
    pub initial_offset: String,
    pub data_pointer: JsonPointer,
    pub interval: Duration,
    /// Whether a request depends on `${offset}` (URL, parameters, headers or body). One that
    /// does not asks the same question every time, so it always waits `request.interval.ms`.
    pub uses_offset: bool,
    /// Shortest gap between two requests (from `http.requests.per.second`).
    pub min_gap: Duration,
    pub retry: RetryPolicy,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
}

/// The whole source configuration.
#[derive(Debug, Clone)]
pub struct SourceConfig {
    pub apis: Vec<Arc<ApiSpec>>,
    pub entities: Vec<String>,
    pub fail_on_error: bool,
    pub auth: Auth,
    pub transport: Transport,
    /// V2 partitions name their API.
    pub v2: bool,
}

/// Copy the seed's alias keys to Confluent's (an alias and its key set to different values is
/// an error).
pub fn resolve_aliases(props: &Props) -> Result<Props> {
    let mut out = props.clone();
    for (alias, key) in V1_ALIASES {
        let Some(value) = props.get(*alias) else {
            continue;
        };
        match props.get(*key) {
            Some(v) if v.trim() != value.trim() => {
                return Err(Error::config(format!(
                    "Both {key}={v} and its alias {alias}={value} are set; set one of them"
                )))
            }
            _ => {
                out.insert(key.to_string(), value.clone());
            }
        }
    }
    Ok(out)
}

fn pairs(key: &str, text: &str, separator: &str, split: char) -> Result<Vec<(String, Template)>> {
    if separator.is_empty() {
        return Err(Error::config(format!("{key}: the separator is empty")));
    }
    text.split(separator)
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (name, value) = p.split_once(split).ok_or_else(|| {
                Error::config(format!(
                    "Invalid value {text} for configuration {key}: '{p}' has no '{split}'"
                ))
            })?;
            let name = name.trim();
            if name.is_empty() {
                return Err(Error::config(format!(
                    "Invalid value {text} for configuration {key}: '{p}' has no name"
                )));
            }
            Ok((name.to_string(), Template::parse(value.trim(), SOURCE_VARS)))
        })
        .collect()
}

fn pointer(key: &str, text: &str) -> Result<JsonPointer> {
    JsonPointer::parse(text.trim()).map_err(|e| Error::config(format!("{key}: {}", e.message())))
}

impl ApiSpec {
    /// `prefix` is `api<N>.` for V2 (for messages), empty for V1.
    fn new(name: &str, prefix: &str, url: &str, topic: &str, k: &ApiKeys) -> Result<Self> {
        let key = |k: &str| format!("{prefix}{k}");
        let parsed = reqwest::Url::parse(url.split("${").next().unwrap_or(url));
        if !(url.starts_with("http://") || url.starts_with("https://")) || parsed.is_err() {
            return Err(Error::config(format!(
                "Invalid value {url} for configuration {}: a URI with one of these schemes: \
                 http or https",
                if prefix.is_empty() {
                    "url".to_string()
                } else {
                    key("http.api.path")
                }
            )));
        }
        let mode = match k.offset_mode.trim().to_ascii_uppercase().as_str() {
            "SIMPLE_INCREMENTING" => {
                let initial = k.initial_offset.trim();
                if !initial.is_empty() && initial.parse::<i64>().is_err() {
                    return Err(Error::config(format!(
                        "Invalid value {initial} for configuration {}: SIMPLE_INCREMENTING \
                         needs an integer offset",
                        key("http.initial.offset")
                    )));
                }
                OffsetMode::SimpleIncrementing
            }
            "CHAINING" => {
                if k.offset_pointer.trim().is_empty() {
                    return Err(Error::config(format!(
                        "{} is required with http.offset.mode=CHAINING",
                        key("http.offset.json.pointer")
                    )));
                }
                OffsetMode::Chaining(pointer(
                    &key("http.offset.json.pointer"),
                    &k.offset_pointer,
                )?)
            }
            "CURSOR_PAGINATION" => {
                if k.next_page_pointer.trim().is_empty() {
                    return Err(Error::config(format!(
                        "{} is required with http.offset.mode=CURSOR_PAGINATION",
                        key("http.next.page.json.pointer")
                    )));
                }
                OffsetMode::Cursor(pointer(
                    &key("http.next.page.json.pointer"),
                    &k.next_page_pointer,
                )?)
            }
            _ => OffsetMode::LinkHeader,
        };
        let initial_offset = match (&mode, k.initial_offset.trim()) {
            (OffsetMode::SimpleIncrementing, "") => "0".to_string(),
            (_, v) => v.to_string(),
        };
        let method = if k.method.trim().eq_ignore_ascii_case("POST") {
            Method::POST
        } else {
            Method::GET
        };
        let min_gap = if k.requests_per_second > 0.0 {
            Duration::from_secs_f64(1.0 / k.requests_per_second)
        } else {
            Duration::ZERO
        };
        let url = Template::parse(url, SOURCE_VARS);
        let headers = pairs(
            &key("http.request.headers"),
            &k.headers,
            &k.headers_separator,
            ':',
        )?;
        let parameters = pairs(
            &key("http.request.parameters"),
            &k.parameters,
            &k.parameters_separator,
            '=',
        )?;
        let body = (!k.body.is_empty()).then(|| Template::parse(&k.body, SOURCE_VARS));
        let uses_offset = url.uses("offset")
            || headers.iter().any(|(_, t)| t.uses("offset"))
            || parameters.iter().any(|(_, t)| t.uses("offset"))
            || body.as_ref().is_some_and(|b| b.uses("offset"));
        Ok(ApiSpec {
            name: name.to_string(),
            method,
            url,
            headers,
            parameters,
            body,
            topic: Template::parse(topic, SOURCE_VARS),
            mode,
            initial_offset,
            data_pointer: pointer(&key("http.response.data.json.pointer"), &k.data_pointer)?,
            interval: Duration::from_millis(k.interval_ms as u64),
            uses_offset,
            min_gap,
            retry: RetryPolicy {
                max_retries: k.max_retries as u32,
                backoff_ms: k.retry_backoff_ms as u64,
                policy: BackoffPolicy::parse(
                    &key("retry.backoff.policy"),
                    &k.retry_backoff_policy,
                )?,
                on_status: StatusCodes::parse(
                    &key("retry.on.status.codes"),
                    &k.retry_on_status_codes,
                )?,
            },
            connect_timeout: Duration::from_millis(k.connect_timeout_ms as u64),
            request_timeout: Duration::from_millis(k.request_timeout_ms as u64),
        })
    }
}

fn required(value: Option<String>, key: &str, alias: &str) -> Result<String> {
    value.filter(|v| !v.trim().is_empty()).ok_or_else(|| {
        Error::config(format!(
            "Missing required configuration \"{key}\" which has no default value (or its \
             alias {alias})"
        ))
    })
}

fn connection(c: &ConnectionKeys) -> Result<(Auth, Transport, bool)> {
    let mut problems = Vec::new();
    let auth = c.conn.auth(&mut problems);
    problems.extend(c.conn.tls_problems());
    if let Some((message, _)) = problems.into_iter().next() {
        return Err(Error::config(message));
    }
    // Timeouts are per API (set when a task builds its clients).
    let transport = c
        .conn
        .transport(Duration::from_secs(30), Duration::from_secs(30));
    let fail = c.behavior_on_error.trim().eq_ignore_ascii_case("FAIL");
    Ok((auth, transport, fail))
}

impl SourceConfig {
    /// Parse Confluent's V1 keys (after the seed's aliases).
    pub fn parse_v1(props: &Props) -> Result<Self> {
        let props = resolve_aliases(props)?;
        let k = V1Keys::parse(&props)?;
        let url = required(k.url, "url", "http.url")?;
        let topic = required(k.topic, "topic.name.pattern", "kafka.topic")?;
        let api = ApiSpec::new("", "", url.trim(), topic.trim(), &k.api)?;
        Self::finish(vec![api], &k.connection, false)
    }

    /// Parse the V2 form: global keys plus `api<N>.` keys for N in 1..=apis.num.
    pub fn parse_v2(props: &Props) -> Result<Self> {
        let k = V2Keys::parse(props)?;
        let base = k.base_url.trim().trim_end_matches('/').to_string();
        let mut apis = Vec::new();
        for n in 1..=k.apis {
            let prefix = format!("api{n}.");
            let sub: Props = props
                .iter()
                .filter_map(|(key, v)| {
                    key.strip_prefix(&prefix)
                        .map(|k| (k.to_string(), v.clone()))
                })
                .collect();
            let a = V2ApiKeys::parse(&sub)
                .map_err(|e| Error::config(format!("{prefix}…: {}", e.message())))?;
            let path = a.path.trim();
            let url = if path.is_empty() || path.starts_with('/') {
                format!("{base}{path}")
            } else {
                format!("{base}/{path}")
            };
            apis.push(ApiSpec::new(
                &format!("api{n}"),
                &prefix,
                &url,
                a.topics.trim(),
                &a.api,
            )?);
        }
        Self::finish(apis, &k.connection, true)
    }

    fn finish(apis: Vec<ApiSpec>, c: &ConnectionKeys, v2: bool) -> Result<Self> {
        let (auth, transport, fail_on_error) = connection(c)?;
        let entities: Vec<String> = c
            .entity_names
            .iter()
            .map(|e| e.trim().to_string())
            .filter(|e| !e.is_empty())
            .collect();
        let uses_entity = apis.iter().any(|a| {
            a.url.uses("entityName")
                || a.topic.uses("entityName")
                || a.body.as_ref().is_some_and(|b| b.uses("entityName"))
                || a.parameters.iter().any(|(_, t)| t.uses("entityName"))
                || a.headers.iter().any(|(_, t)| t.uses("entityName"))
        });
        if uses_entity && entities.is_empty() {
            return Err(Error::config(
                "entity.names is required: the templates use ${entityName}",
            ));
        }
        Ok(SourceConfig {
            apis: apis.into_iter().map(Arc::new).collect(),
            entities,
            fail_on_error,
            auth,
            transport,
            v2,
        })
    }

    /// Every (API index, entity) pair a connector polls, in a stable order.
    pub fn jobs(&self) -> Vec<(usize, Option<String>)> {
        let entities: Vec<Option<String>> = if self.entities.is_empty() {
            vec![None]
        } else {
            self.entities.iter().cloned().map(Some).collect()
        };
        (0..self.apis.len())
            .flat_map(|a| entities.iter().map(move |e| (a, e.clone())))
            .collect()
    }
}

/// V2's definition: the global keys and API 1's keys under `api1.` (APIs 2 to 15 take the same
/// keys under their own prefix).
pub fn v2_config_def() -> ConfigDef {
    let api1 = V2ApiKeys::config_def();
    let prefixed = api1.keys().iter().map(|k| ConfigKey {
        name: format!("api1.{}", k.name),
        display_name: format!("api1.{}", k.display_name),
        ..k.clone()
    });
    let mut def = V2Keys::config_def();
    for key in prefixed {
        def = def.with_key(key);
    }
    def
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

    #[test]
    fn the_seed_example_parses_through_its_aliases() {
        let c = SourceConfig::parse_v1(&props(&[
            ("http.url", "https://api.example.com/events"),
            ("http.method", "GET"),
            ("http.headers", "Authorization: Bearer ${token}"),
            ("kafka.topic", "api-events"),
            ("http.timer.interval.ms", "60000"),
        ]))
        .unwrap();
        let api = &c.apis[0];
        assert_eq!(api.url.render(&[]), "https://api.example.com/events");
        assert_eq!(api.method, Method::GET);
        assert_eq!(api.headers.len(), 1);
        assert_eq!(api.headers[0].0, "Authorization");
        assert_eq!(
            api.headers[0].1.render(&[]),
            "Bearer ${token}",
            "stays literal"
        );
        assert_eq!(api.topic.render(&[]), "api-events");
        assert_eq!(api.interval, Duration::from_secs(60));
        assert_eq!(api.mode, OffsetMode::SimpleIncrementing);
        assert_eq!(api.initial_offset, "0");
        assert_eq!(api.retry.max_retries, 5);
        assert!(c.fail_on_error);
        assert_eq!(c.jobs(), vec![(0, None)]);
    }

    #[test]
    fn an_alias_and_its_key_must_agree() {
        let e = SourceConfig::parse_v1(&props(&[
            ("url", "http://a/"),
            ("http.url", "http://b/"),
            ("topic.name.pattern", "t"),
        ]))
        .unwrap_err();
        assert!(e.message().contains("alias http.url"), "{e}");
        let e = SourceConfig::parse_v1(&props(&[("topic.name.pattern", "t")])).unwrap_err();
        assert!(e.message().contains("\"url\""), "{e}");
    }

    #[test]
    fn modes_need_their_pointers_and_entities_are_required_when_used() {
        let base = [
            ("url", "http://h/${entityName}?o=${offset}"),
            ("topic.name.pattern", "t-${entityName}"),
        ];
        let e = SourceConfig::parse_v1(&props(&base)).unwrap_err();
        assert!(e.message().contains("entity.names"), "{e}");
        let mut p = props(&base);
        p.insert("entity.names".into(), "a, b".into());
        p.insert("http.offset.mode".into(), "CHAINING".into());
        let e = SourceConfig::parse_v1(&p).unwrap_err();
        assert!(e.message().contains("http.offset.json.pointer"), "{e}");
        p.insert("http.offset.json.pointer".into(), "/id".into());
        let c = SourceConfig::parse_v1(&p).unwrap();
        assert_eq!(c.jobs(), vec![(0, Some("a".into())), (0, Some("b".into()))]);
        p.insert("http.offset.mode".into(), "CURSOR_PAGINATION".into());
        assert!(SourceConfig::parse_v1(&p).is_err());
        p.insert("http.next.page.json.pointer".into(), "next".into());
        let e = SourceConfig::parse_v1(&p).unwrap_err();
        assert!(e.message().contains("JSON Pointer"), "{e}");
        p.insert("http.offset.mode".into(), "SIMPLE_INCREMENTING".into());
        p.insert("http.initial.offset".into(), "abc".into());
        assert!(SourceConfig::parse_v1(&p).is_err());
    }

    #[test]
    fn auth_and_tls_are_checked_without_io() {
        let mut p = props(&[("url", "http://h/"), ("topic.name.pattern", "t")]);
        p.insert("auth.type".into(), "OAUTH2".into());
        let e = SourceConfig::parse_v1(&p).unwrap_err();
        assert!(e.message().contains("oauth2.token.url"), "{e}");
        p.insert("auth.type".into(), "BEARER".into());
        p.insert("bearer.token".into(), "tok".into());
        assert_eq!(
            SourceConfig::parse_v1(&p).unwrap().auth,
            Auth::Bearer("tok".into())
        );
        p.insert("https.ssl.truststore.location".into(), "/x.jks".into());
        p.insert("https.ssl.truststore.type".into(), "JKS".into());
        let e = SourceConfig::parse_v1(&p).unwrap_err();
        assert!(e.message().contains("PEM"), "{e}");
        p.insert("url".into(), "ftp://h/".into());
        assert!(SourceConfig::parse_v1(&p).is_err());
    }

    #[test]
    fn v2_configures_each_api_under_its_prefix() {
        let c = SourceConfig::parse_v2(&props(&[
            ("http.api.base.url", "http://h:1/base/"),
            ("apis.num", "2"),
            ("api1.http.api.path", "/users"),
            ("api1.topics", "users"),
            ("api2.http.api.path", "orders/${offset}"),
            ("api2.topics", "orders"),
            ("api2.http.offset.mode", "CHAINING"),
            ("api2.http.offset.json.pointer", "/id"),
            ("api2.request.interval.ms", "10"),
        ]))
        .unwrap();
        assert_eq!(c.apis.len(), 2);
        assert_eq!(c.apis[0].url.render(&[]), "http://h:1/base/users");
        assert_eq!(
            c.apis[1].url.render(&[("offset", "7")]),
            "http://h:1/base/orders/7"
        );
        assert_eq!(c.apis[1].interval, Duration::from_millis(10));
        assert_eq!(c.apis[0].interval, Duration::from_millis(15000));
        let e = SourceConfig::parse_v2(&props(&[
            ("http.api.base.url", "http://h/"),
            ("apis.num", "2"),
            ("api1.topics", "a"),
        ]))
        .unwrap_err();
        assert!(e.message().contains("api2."), "{e}");
        assert!(v2_config_def()
            .keys()
            .iter()
            .any(|k| k.name == "api1.http.offset.mode"));
    }
}
