//! The HTTP side: Java's `RestService` (URL fail-over, retries with jittered exponential
//! backoff, auth headers, error bodies `{"error_code": …, "message": …}`) under Java's
//! `CachedSchemaRegistryClient` (id → schema, (subject, schema) → id, latest-version caches).
//! Read in `client/src/main/java/io/confluent/kafka/schemaregistry/client/` of
//! confluentinc/schema-registry master: `rest/RestService.java` (`httpRequest`,
//! `isRestClientExceptionRetriable`, `buildRequestUrl`), `rest/RetryExecutor.java` (`retry`,
//! `computeDelayBeforeNextRetry`), `CachedSchemaRegistryClient.java`.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use rand::Rng as _;
use reqwest::{Method, StatusCode, Url};
use serde_json::{json, Value};
use strait_engine::{Error, Result};

use super::config::{
    Auth, RegistryConfig, BASIC_AUTH_CREDENTIALS_SOURCE, BASIC_AUTH_USER_INFO,
    BEARER_AUTH_CREDENTIALS_SOURCE, BEARER_AUTH_TOKEN,
};
use super::{RegisteredSchema, SchemaReference, SchemaType, SubjectVersion};

const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";
/// Java's `Versions.SCHEMA_REGISTRY_V1_JSON_WEIGHTED`.
const ACCEPT: &str = "application/vnd.schemaregistry.v1+json, \
                      application/vnd.schemaregistry+json; q=0.9, application/json; q=0.5";

/// One registry base URL: the request base without credentials (also what messages show) and
/// the `Authorization` value its `user:password@` gives under `basic.auth.credentials.source=URL`.
#[derive(Debug)]
struct Base {
    url: Url,
    url_auth: Option<String>,
}

/// A bounded map, emptied when full (Java evicts the least recently used entry; a converter's
/// working set is far below the default 1000, so a reset costs a few refetches at most).
struct Bounded<K, V> {
    map: HashMap<K, V>,
    capacity: usize,
}

impl<K: Eq + Hash, V: Clone> Bounded<K, V> {
    fn new(capacity: usize) -> Self {
        Bounded {
            map: HashMap::new(),
            capacity: capacity.max(1),
        }
    }
    fn get(&self, k: &K) -> Option<V> {
        self.map.get(k).cloned()
    }
    fn put(&mut self, k: K, v: V) {
        if self.map.len() >= self.capacity && !self.map.contains_key(&k) {
            self.map.clear();
        }
        self.map.insert(k, v);
    }
}

/// What identifies a schema registration: the same text under the same subject, type,
/// references and normalisation is the same id.
#[derive(Clone, PartialEq, Eq, Hash)]
struct SchemaKey {
    subject: String,
    schema_type: SchemaType,
    schema: String,
    references: Vec<SchemaReference>,
    normalize: bool,
}

/// Why one request failed, before it is classified for the operation.
#[derive(Debug)]
enum Failure {
    /// Connection refused, DNS, timeout, reset: the registry could not be reached.
    Io { url: String, error: String },
    /// The registry answered with an error status.
    Status {
        url: String,
        status: u16,
        error_code: i64,
        message: String,
    },
    /// A 2xx whose body is not what the API promises.
    Malformed { url: String, error: String },
}

/// Java's `isRestClientExceptionRetriable`: 408, 429, 500, 502, 503, 504.
fn retriable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

impl Failure {
    /// Worth trying again (same URL after a backoff, then the next URL)?
    fn retriable(&self) -> bool {
        match self {
            Failure::Io { .. } => true,
            Failure::Status { status, .. } => retriable_status(*status),
            Failure::Malformed { .. } => false,
        }
    }

    /// The runtime's classification. `not_found` words a 404 for this operation (a data
    /// error naming the id or subject); other statuses are classified the same for every call.
    fn into_error(self, what: &str, not_found: impl FnOnce(i64, &str) -> Error) -> Error {
        match self {
            Failure::Io { url, error } => Error::external(
                format!("{what}: schema registry {url} is unreachable: {error}"),
                true,
            ),
            Failure::Malformed { url, error } => Error::external(
                format!("{what}: schema registry {url} sent an unreadable answer: {error}"),
                false,
            ),
            Failure::Status {
                url,
                status,
                error_code,
                message,
            } => match status {
                404 => not_found(error_code, &message),
                401 | 403 => Error::config(format!(
                    "{what}: schema registry {url} refused the credentials (HTTP {status}: \
                     {message}; error code: {error_code}); check {BASIC_AUTH_CREDENTIALS_SOURCE} \
                     and {BASIC_AUTH_USER_INFO}, or {BEARER_AUTH_CREDENTIALS_SOURCE} and \
                     {BEARER_AUTH_TOKEN}"
                )),
                s if retriable_status(s) => Error::external(
                    format!(
                        "{what}: schema registry {url} answered HTTP {status}: {message}; error \
                         code: {error_code}"
                    ),
                    true,
                ),
                // 409 incompatible, 422 invalid schema, …: the record's schema is the problem.
                _ => Error::data(format!("{what}: {message}; error code: {error_code}")),
            },
        }
    }
}

/// A Confluent-compatible schema registry client, shared by the converters of a task (it is
/// `Send + Sync`; wrap it in an `Arc`). All calls are async and need a Tokio runtime.
pub struct RegistryClient {
    http: reqwest::Client,
    bases: Vec<Base>,
    /// Index of the URL requests go to first; a URL that fails moves it on (Java's `UrlList`).
    current: AtomicUsize,
    auth: Auth,
    headers: Vec<(String, String)>,
    max_retries: u32,
    retries_wait: Duration,
    retries_max_wait: Duration,
    latest_ttl: Option<Duration>,
    by_id: Mutex<Bounded<i32, Arc<RegisteredSchema>>>,
    registered: Mutex<Bounded<SchemaKey, i32>>,
    looked_up: Mutex<Bounded<SchemaKey, Arc<SubjectVersion>>>,
    latest: Mutex<Bounded<String, (Instant, Arc<SubjectVersion>)>>,
    versions: Mutex<Bounded<(String, i32), Arc<SubjectVersion>>>,
    requests: AtomicU64,
}

impl std::fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryClient")
            .field("urls", &self.urls())
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A poisoned cache is still a valid cache (entries are inserted whole).
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn basic(user_info: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(user_info.as_bytes())
    )
}

fn references_json(references: &[SchemaReference]) -> Value {
    Value::Array(
        references
            .iter()
            .map(|r| json!({"name": r.name, "subject": r.subject, "version": r.version}))
            .collect(),
    )
}

fn parse_references(v: &Value) -> Vec<SchemaReference> {
    v.get("references")
        .and_then(Value::as_array)
        .map(|refs| {
            refs.iter()
                .map(|r| SchemaReference {
                    name: r["name"].as_str().unwrap_or_default().to_string(),
                    subject: r["subject"].as_str().unwrap_or_default().to_string(),
                    version: r["version"].as_i64().unwrap_or_default() as i32,
                })
                .collect()
        })
        .unwrap_or_default()
}

fn field_i32(v: &Value, name: &str) -> std::result::Result<i32, String> {
    v.get(name)
        .and_then(Value::as_i64)
        .and_then(|n| i32::try_from(n).ok())
        .ok_or_else(|| format!("no integer \"{name}\" in {v}"))
}

fn field_str(v: &Value, name: &str) -> std::result::Result<String, String> {
    v.get(name)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| format!("no string \"{name}\" in {v}"))
}

fn subject_version(v: &Value) -> std::result::Result<SubjectVersion, String> {
    Ok(SubjectVersion {
        subject: field_str(v, "subject")?,
        version: field_i32(v, "version")?,
        id: field_i32(v, "id")?,
        schema_type: SchemaType::parse(v.get("schemaType").and_then(Value::as_str))
            .map_err(|e| e.message().to_string())?,
        schema: field_str(v, "schema")?,
        references: parse_references(v),
    })
}

impl RegistryClient {
    /// A client for `config` (checked first: see [`RegistryConfig::check`]).
    pub fn new(config: &RegistryConfig) -> Result<Self> {
        config.check()?;
        let auth = config.auth()?;
        let mut bases = Vec::with_capacity(config.urls.len());
        for raw in &config.urls {
            let mut url = Url::parse(raw.trim()).map_err(|e| {
                Error::config(format!(
                    "Invalid value {raw} for configuration schema.registry.url: {e}"
                ))
            })?;
            let url_auth = if url.username().is_empty() {
                None
            } else {
                let user = percent_decode(url.username());
                let password = url.password().map(percent_decode).unwrap_or_default();
                Some(basic(&format!("{user}:{password}")))
            };
            // Credentials never go on the wire in the URL, nor into messages.
            let _ = url.set_username("");
            let _ = url.set_password(None);
            bases.push(Base { url, url_auth });
        }
        let mut builder = reqwest::Client::builder()
            .connect_timeout(config.http_connect_timeout)
            .read_timeout(config.http_read_timeout);
        if config.proxy_host.is_empty() {
            builder = builder.no_proxy();
        } else {
            let proxy = reqwest::Proxy::all(format!(
                "http://{}:{}",
                config.proxy_host, config.proxy_port
            ))
            .map_err(|e| Error::config(format!("Invalid value for proxy.host/proxy.port: {e}")))?;
            builder = builder.proxy(proxy);
        }
        let http = builder.build().map_err(|e| {
            Error::config(format!("cannot build the schema registry HTTP client: {e}"))
        })?;
        let start = if config.url_randomize {
            rand::rng().random_range(0..bases.len())
        } else {
            0
        };
        let capacity = config.max_schemas_per_subject.max(1) as usize;
        Ok(RegistryClient {
            http,
            bases,
            current: AtomicUsize::new(start),
            auth,
            headers: config.request_headers(),
            max_retries: config.max_retries.max(0) as u32,
            retries_wait: config.retries_wait,
            retries_max_wait: config.retries_max_wait,
            latest_ttl: config.latest_ttl(),
            by_id: Mutex::new(Bounded::new(capacity)),
            registered: Mutex::new(Bounded::new(capacity)),
            looked_up: Mutex::new(Bounded::new(capacity)),
            latest: Mutex::new(Bounded::new(config.latest_cache_size.max(1) as usize)),
            versions: Mutex::new(Bounded::new(capacity)),
            requests: AtomicU64::new(0),
        })
    }

    /// The configured base URLs, without credentials.
    pub fn urls(&self) -> Vec<String> {
        self.bases.iter().map(|b| b.url.to_string()).collect()
    }

    /// HTTP requests sent so far (every attempt, retries included): lets tests prove a cached
    /// answer made no call.
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// `GET /schemas/ids/{id}`, cached: the schema with this global id. Unknown id → a data
    /// error `Schema <id> not found; error code: 40403` (Java's `RestClientException` text).
    pub async fn schema_by_id(&self, id: i32) -> Result<Arc<RegisteredSchema>> {
        if let Some(hit) = lock(&self.by_id).get(&id) {
            return Ok(hit);
        }
        let id_text = id.to_string();
        let body = self
            .call(Method::GET, &["schemas", "ids", &id_text], &[], None)
            .await
            .map_err(|f| {
                f.into_error(
                    &format!("Error retrieving schema for id {id}"),
                    |code, _| {
                        let code = if code == 0 { 40403 } else { code };
                        Error::data(format!("Schema {id} not found; error code: {code}"))
                    },
                )
            })?;
        let schema = (|| -> std::result::Result<RegisteredSchema, String> {
            Ok(RegisteredSchema {
                id,
                schema_type: SchemaType::parse(body.1.get("schemaType").and_then(Value::as_str))
                    .map_err(|e| e.message().to_string())?,
                schema: field_str(&body.1, "schema")?,
                references: parse_references(&body.1),
            })
        })()
        .map_err(|e| {
            Error::external(
                format!("Error retrieving schema for id {id}: schema registry {} sent an unreadable answer: {e}", body.0),
                false,
            )
        })?;
        let schema = Arc::new(schema);
        lock(&self.by_id).put(id, schema.clone());
        Ok(schema)
    }

    /// `POST /subjects/{subject}/versions?normalize=…`, cached: register (or find) the schema
    /// under `subject`; its global id.
    pub async fn register(
        &self,
        subject: &str,
        schema_type: SchemaType,
        schema: &str,
        references: &[SchemaReference],
        normalize: bool,
    ) -> Result<i32> {
        let key = SchemaKey {
            subject: subject.to_string(),
            schema_type,
            schema: schema.to_string(),
            references: references.to_vec(),
            normalize,
        };
        if let Some(id) = lock(&self.registered).get(&key) {
            return Ok(id);
        }
        let what = format!("Error registering schema for subject {subject}");
        let (url, body) = self
            .call(
                Method::POST,
                &["subjects", subject, "versions"],
                &[("normalize", if normalize { "true" } else { "false" })],
                Some(request_body(schema_type, schema, references)),
            )
            .await
            .map_err(|f| {
                f.into_error(&what, |code, message| {
                    Error::data(format!("{what}: {message}; error code: {code}"))
                })
            })?;
        let id = field_i32(&body, "id").map_err(|e| {
            Error::external(
                format!("{what}: schema registry {url} sent an unreadable answer: {e}"),
                false,
            )
        })?;
        lock(&self.registered).put(key, id);
        // The id now names this schema: a later `schema_by_id` needs no call (as Java primes
        // its id cache on register).
        lock(&self.by_id).put(
            id,
            Arc::new(RegisteredSchema {
                id,
                schema_type,
                schema: schema.to_string(),
                references: references.to_vec(),
            }),
        );
        Ok(id)
    }

    /// `POST /subjects/{subject}?normalize=…&deleted=false`, cached: the version of `subject`
    /// holding this schema, `None` when the subject or the schema under it is unknown.
    pub async fn lookup(
        &self,
        subject: &str,
        schema_type: SchemaType,
        schema: &str,
        references: &[SchemaReference],
        normalize: bool,
    ) -> Result<Option<Arc<SubjectVersion>>> {
        let key = SchemaKey {
            subject: subject.to_string(),
            schema_type,
            schema: schema.to_string(),
            references: references.to_vec(),
            normalize,
        };
        if let Some(hit) = lock(&self.looked_up).get(&key) {
            return Ok(Some(hit));
        }
        let what = format!("Error looking up schema under subject {subject}");
        let reply = self
            .call(
                Method::POST,
                &["subjects", subject],
                &[
                    ("normalize", if normalize { "true" } else { "false" }),
                    ("deleted", "false"),
                ],
                Some(request_body(schema_type, schema, references)),
            )
            .await;
        let (url, body) = match reply {
            Ok(ok) => ok,
            // 40401 subject not found, 40403 schema not found: simply not registered.
            Err(Failure::Status { status: 404, .. }) => return Ok(None),
            Err(f) => return Err(f.into_error(&what, |_, _| Error::bug("404 handled above"))),
        };
        let found = Arc::new(subject_version(&body).map_err(|e| {
            Error::external(
                format!("{what}: schema registry {url} sent an unreadable answer: {e}"),
                false,
            )
        })?);
        lock(&self.looked_up).put(key, found.clone());
        Ok(Some(found))
    }

    /// `GET /subjects/{subject}/versions/latest`, cached for `latest.cache.ttl.sec`. Unknown
    /// subject → a data error naming it.
    pub async fn latest(&self, subject: &str) -> Result<Arc<SubjectVersion>> {
        if let Some((at, hit)) = lock(&self.latest).get(&subject.to_string()) {
            if self.latest_ttl.is_none_or(|ttl| at.elapsed() < ttl) {
                return Ok(hit);
            }
        }
        let found = self.fetch_version(subject, "latest").await?;
        lock(&self.latest).put(subject.to_string(), (Instant::now(), found.clone()));
        Ok(found)
    }

    /// `GET /subjects/{subject}/versions/{version}`, cached by id: one version of a subject
    /// (what a schema reference names). Unknown subject or version → a data error naming them.
    pub async fn version(&self, subject: &str, version: i32) -> Result<Arc<SubjectVersion>> {
        let key = (subject.to_string(), version);
        if let Some(hit) = lock(&self.versions).get(&key) {
            return Ok(hit);
        }
        let found = self.fetch_version(subject, &version.to_string()).await?;
        lock(&self.versions).put(key, found.clone());
        Ok(found)
    }

    /// `GET /subjects/{subject}/versions/{version}` (a number or `latest`), uncached; primes
    /// the id cache.
    async fn fetch_version(&self, subject: &str, version: &str) -> Result<Arc<SubjectVersion>> {
        let what = format!("Error retrieving version {version} of subject {subject}");
        let (url, body) = self
            .call(
                Method::GET,
                &["subjects", subject, "versions", version],
                &[],
                None,
            )
            .await
            .map_err(|f| {
                f.into_error(&what, |code, message| {
                    Error::data(format!("{what}: {message}; error code: {code}"))
                })
            })?;
        let found = Arc::new(subject_version(&body).map_err(|e| {
            Error::external(
                format!("{what}: schema registry {url} sent an unreadable answer: {e}"),
                false,
            )
        })?);
        lock(&self.by_id).put(
            found.id,
            Arc::new(RegisteredSchema {
                id: found.id,
                schema_type: found.schema_type,
                schema: found.schema.clone(),
                references: found.references.clone(),
            }),
        );
        Ok(found)
    }

    /// Java's `RestService.httpRequest`: each URL in turn from the current one, each with
    /// `max.retries` retries on connection errors and retriable statuses; a non-retriable
    /// answer ends the call at once; a URL that keeps failing moves `current` on.
    /// The answer is (base URL it came from, JSON body).
    async fn call(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> std::result::Result<(String, Value), Failure> {
        let n = self.bases.len();
        let mut last = None;
        for _ in 0..n {
            let index = self.current.load(Ordering::Relaxed) % n;
            let base = &self.bases[index];
            match self
                .with_retries(base, &method, segments, query, &body)
                .await
            {
                Ok(v) => return Ok((base.url.to_string(), v)),
                Err(f) if !f.retriable() => return Err(f),
                Err(f) => {
                    // Fail over: the next caller starts at the next URL.
                    let _ = self.current.compare_exchange(
                        index,
                        (index + 1) % n,
                        Ordering::Relaxed,
                        Ordering::Relaxed,
                    );
                    last = Some(f);
                }
            }
        }
        Err(last.unwrap_or(Failure::Io {
            url: String::new(),
            error: "no schema registry URL".into(),
        }))
    }

    async fn with_retries(
        &self,
        base: &Base,
        method: &Method,
        segments: &[&str],
        query: &[(&str, &str)],
        body: &Option<Value>,
    ) -> std::result::Result<Value, Failure> {
        let mut attempt = 0u32;
        loop {
            match self.send(base, method, segments, query, body).await {
                Ok(v) => return Ok(v),
                Err(f) if !f.retriable() || attempt >= self.max_retries => return Err(f),
                Err(_) => {
                    tokio::time::sleep(backoff(attempt, self.retries_wait, self.retries_max_wait))
                        .await;
                    attempt += 1;
                }
            }
        }
    }

    async fn send(
        &self,
        base: &Base,
        method: &Method,
        segments: &[&str],
        query: &[(&str, &str)],
        body: &Option<Value>,
    ) -> std::result::Result<Value, Failure> {
        let shown = base.url.to_string();
        let url = request_url(&base.url, segments, query);
        let mut req = self
            .http
            .request(method.clone(), url)
            .header(reqwest::header::ACCEPT, ACCEPT);
        if let Some(body) = body {
            req = req
                .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE)
                .body(body.to_string());
        }
        match &self.auth {
            Auth::None => {}
            Auth::BasicFromUrl => {
                if let Some(h) = &base.url_auth {
                    req = req.header(reqwest::header::AUTHORIZATION, h);
                }
            }
            Auth::Basic(info) => req = req.header(reqwest::header::AUTHORIZATION, basic(info)),
            Auth::Bearer {
                token,
                logical_cluster,
                identity_pool_id,
            } => {
                req = req.header(reqwest::header::AUTHORIZATION, format!("Bearer {token}"));
                if let Some(c) = logical_cluster {
                    req = req.header("target-sr-cluster", c);
                }
                if let Some(p) = identity_pool_id {
                    req = req.header("Confluent-Identity-Pool-Id", p);
                }
            }
        }
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        let resp = req.send().await.map_err(|e| Failure::Io {
            url: shown.clone(),
            error: error_chain(&e),
        })?;
        let status = resp.status();
        let text = resp.text().await.map_err(|e| Failure::Io {
            url: shown.clone(),
            error: error_chain(&e),
        })?;
        if status.is_success() {
            if status == StatusCode::NO_CONTENT {
                return Ok(Value::Null);
            }
            return serde_json::from_str(&text).map_err(|e| Failure::Malformed {
                url: shown,
                error: format!("{e} in {text:?}"),
            });
        }
        Err(status_failure(shown, status.as_u16(), &text))
    }
}

/// An error answer: Confluent's `{"error_code": …, "message": …}`, or Java's fallbacks
/// (`RestService`: code 50005 when the body is not that JSON).
fn status_failure(url: String, status: u16, text: &str) -> Failure {
    let parsed: Option<Value> = serde_json::from_str(text).ok();
    let (error_code, message) = match parsed {
        Some(v) if v.get("message").is_some() || v.get("error_code").is_some() => (
            v["error_code"].as_i64().unwrap_or(i64::from(status)),
            v["message"].as_str().unwrap_or("Error").to_string(),
        ),
        _ if text.is_empty() => (50005, "Error".to_string()),
        _ => (
            50005,
            format!("Unable to parse error message from schema registry: '({text})'"),
        ),
    };
    Failure::Status {
        url,
        status,
        error_code,
        message,
    }
}

/// The body of register and lookup requests; `schemaType` is left out for Avro, as Java does.
fn request_body(schema_type: SchemaType, schema: &str, references: &[SchemaReference]) -> Value {
    let mut body = json!({ "schema": schema });
    if schema_type != SchemaType::Avro {
        body["schemaType"] = json!(schema_type.as_str());
    }
    if !references.is_empty() {
        body["references"] = references_json(references);
    }
    body
}

/// `base` + path segments (each percent-encoded, so a subject with `/` or spaces stays one
/// segment) + query. Java's `buildRequestUrl` joins with one `/` whatever the base ends with.
fn request_url(base: &Url, segments: &[&str], query: &[(&str, &str)]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query);
    }
    url
}

/// Java's `RetryExecutor`: full jitter over `min(wait * 2^attempt, max_wait)`.
fn backoff(attempt: u32, wait: Duration, max_wait: Duration) -> Duration {
    let ceil = wait
        .saturating_mul(1u32 << attempt.min(30))
        .min(max_wait)
        .as_millis() as u64;
    if ceil == 0 {
        return Duration::ZERO;
    }
    Duration::from_millis(rand::rng().random_range(1..=ceil))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The error and its causes (reqwest's top-level text alone says only "error sending request").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use strait_engine::config::props_from;
    use strait_engine::error::Fault;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// A tiny HTTP server answering each connection with the next of `replies`
    /// (`(status, body)`), recording request heads. Stops after the replies run out.
    async fn serve(replies: Vec<(u16, &'static str)>) -> (String, Arc<Mutex<Vec<String>>>) {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = format!("http://{}", l.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            for (status, body) in replies {
                let (mut s, _) = l.accept().await.unwrap();
                let mut buf = vec![0u8; 65536];
                let mut got = Vec::new();
                // Read the head, then the body its Content-Length announces.
                loop {
                    let n = s.read(&mut buf).await.unwrap();
                    got.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&got).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let len = text
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap())
                            })
                            .unwrap_or(0);
                        if got.len() >= end + 4 + len || n == 0 {
                            break;
                        }
                    }
                    if n == 0 {
                        break;
                    }
                }
                log.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&got).to_string());
                let reply = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                s.write_all(reply.as_bytes()).await.unwrap();
                let _ = s.shutdown().await;
            }
        });
        (addr, seen)
    }

    fn client(urls: &str, extra: &[(&str, &str)]) -> RegistryClient {
        let mut props = vec![
            ("schema.registry.url", urls),
            ("retries.wait.ms", "1"),
            ("retries.max.wait.ms", "2"),
        ];
        props.extend_from_slice(extra);
        RegistryClient::new(&RegistryConfig::parse(&props_from(&props)).unwrap()).unwrap()
    }

    #[tokio::test]
    async fn fetches_a_schema_once_then_serves_it_from_the_cache() {
        let (url, seen) = serve(vec![(
            200,
            r#"{"schema":"{\"type\":\"string\"}","schemaType":"AVRO"}"#,
        )])
        .await;
        let c = client(&format!("{url}/apis/ccompat/v7/"), &[]);
        let s = c.schema_by_id(7).await.unwrap();
        assert_eq!(s.schema, r#"{"type":"string"}"#);
        assert_eq!(s.schema_type, SchemaType::Avro);
        let again = c.schema_by_id(7).await.unwrap();
        assert!(Arc::ptr_eq(&s, &again));
        assert_eq!(c.request_count(), 1);
        let head = seen.lock().unwrap()[0].clone();
        assert!(
            head.starts_with("GET /apis/ccompat/v7/schemas/ids/7 HTTP/1.1"),
            "{head}"
        );
    }

    #[tokio::test]
    async fn unknown_id_is_a_data_error_naming_it() {
        let (url, _) = serve(vec![(
            404,
            r#"{"error_code":40403,"message":"Schema 999 not found"}"#,
        )])
        .await;
        let err = client(&url, &[]).schema_by_id(999).await.unwrap_err();
        assert_eq!(err.fault(), Fault::Data);
        assert!(
            err.message()
                .contains("Schema 999 not found; error code: 40403"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn server_errors_are_retried_then_retriable() {
        let (url, seen) = serve(vec![
            (503, r#"{"error_code":50003,"message":"busy"}"#),
            (503, "oops"),
        ])
        .await;
        let err = client(&url, &[("max.retries", "1")])
            .schema_by_id(1)
            .await
            .unwrap_err();
        assert_eq!(err.fault(), Fault::External);
        assert!(err.is_retriable());
        assert!(err.message().contains(&url), "{err}");
        assert_eq!(seen.lock().unwrap().len(), 2, "one try and one retry");
        // A retry that succeeds hides the failure.
        let (url, _) = serve(vec![(500, ""), (200, r#"{"schema":"\"int\""}"#)]).await;
        let c = client(&url, &[]);
        assert_eq!(c.schema_by_id(3).await.unwrap().schema, "\"int\"");
        assert_eq!(c.request_count(), 2);
    }

    #[tokio::test]
    async fn fails_over_to_the_next_url_and_stays_there() {
        let (good, _) = serve(vec![
            (200, r#"{"schema":"\"int\""}"#),
            (200, r#"{"schema":"\"long\""}"#),
        ])
        .await;
        // Port 1 on loopback refuses connections.
        let c = client(
            &format!("http://127.0.0.1:1,{good}"),
            &[("max.retries", "0")],
        );
        assert_eq!(c.schema_by_id(1).await.unwrap().schema, "\"int\"");
        assert_eq!(c.request_count(), 2);
        assert_eq!(c.schema_by_id(2).await.unwrap().schema, "\"long\"");
        assert_eq!(
            c.request_count(),
            3,
            "the failed URL is not tried first again"
        );
    }

    #[tokio::test]
    async fn rejected_credentials_are_a_config_error_naming_the_keys() {
        let (url, seen) = serve(vec![(
            401,
            r#"{"error_code":401,"message":"Unauthorized"}"#,
        )])
        .await;
        let c = client(
            &url,
            &[
                ("basic.auth.credentials.source", "USER_INFO"),
                ("basic.auth.user.info", "alice:secret"),
            ],
        );
        let err = c.schema_by_id(1).await.unwrap_err();
        assert_eq!(err.fault(), Fault::Config);
        assert!(err.message().contains("basic.auth.user.info"), "{err}");
        assert!(!err.message().contains("secret"), "{err}");
        let head = seen.lock().unwrap()[0].to_ascii_lowercase();
        assert!(
            head.contains("authorization: basic ywxpy2u6c2vjcmv0"),
            "alice:secret in base64: {head}"
        );
        assert_eq!(c.request_count(), 1, "401 is not retried");
    }

    #[tokio::test]
    async fn url_credentials_are_sent_only_with_the_url_source() {
        let (url, seen) = serve(vec![
            (200, r#"{"schema":"\"int\""}"#),
            (200, r#"{"schema":"\"int\""}"#),
        ])
        .await;
        let with_creds = url.replace("http://", "http://bob:pw@");
        client(&with_creds, &[("basic.auth.credentials.source", "URL")])
            .schema_by_id(1)
            .await
            .unwrap();
        let c = client(&with_creds, &[]);
        assert!(!c.urls()[0].contains("bob"), "{:?}", c.urls());
        c.schema_by_id(1).await.unwrap();
        let heads = seen.lock().unwrap().clone();
        assert!(
            heads[0]
                .to_ascii_lowercase()
                .contains("authorization: basic ym9ionb3"),
            "{}",
            heads[0]
        );
        assert!(
            !heads[1].to_ascii_lowercase().contains("authorization"),
            "no source set, no header (as RestService): {}",
            heads[1]
        );
    }

    #[tokio::test]
    async fn register_sends_confluents_body_and_caches_the_id() {
        let (url, seen) = serve(vec![(200, r#"{"id":42}"#)]).await;
        let c = client(&url, &[]);
        let refs = [SchemaReference {
            name: "other.proto".into(),
            subject: "other".into(),
            version: 1,
        }];
        let id = c
            .register(
                "t a/b-value",
                SchemaType::Protobuf,
                "syntax = \"proto3\";",
                &refs,
                false,
            )
            .await
            .unwrap();
        assert_eq!(id, 42);
        assert_eq!(
            c.register(
                "t a/b-value",
                SchemaType::Protobuf,
                "syntax = \"proto3\";",
                &refs,
                false
            )
            .await
            .unwrap(),
            42
        );
        assert_eq!(
            c.schema_by_id(42).await.unwrap().schema_type,
            SchemaType::Protobuf
        );
        assert_eq!(c.request_count(), 1);
        let req = seen.lock().unwrap()[0].clone();
        assert!(
            req.starts_with("POST /subjects/t%20a%2Fb-value/versions?normalize=false "),
            "{req}"
        );
        assert!(req.contains(CONTENT_TYPE), "{req}");
        let body: Value = serde_json::from_str(&req[req.find("\r\n\r\n").unwrap() + 4..]).unwrap();
        assert_eq!(body["schemaType"], "PROTOBUF");
        assert_eq!(body["references"][0]["subject"], "other");
    }

    #[tokio::test]
    async fn incompatible_schema_is_a_data_error() {
        let (url, _) = serve(vec![(
            409,
            r#"{"error_code":409,"message":"Schema being registered is incompatible"}"#,
        )])
        .await;
        let err = client(&url, &[])
            .register("s", SchemaType::Avro, "\"int\"", &[], false)
            .await
            .unwrap_err();
        assert_eq!(err.fault(), Fault::Data);
        assert!(err.message().contains("subject s"), "{err}");
        assert!(
            err.message().contains("incompatible; error code: 409"),
            "{err}"
        );
    }

    #[test]
    fn error_bodies_and_retriable_statuses_follow_rest_service() {
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(retriable_status(s), "{s}");
        }
        for s in [400, 401, 403, 404, 409, 422, 501] {
            assert!(!retriable_status(s), "{s}");
        }
        match status_failure("u".into(), 502, "<html>bad gateway</html>") {
            Failure::Status {
                error_code,
                message,
                ..
            } => {
                assert_eq!(error_code, 50005);
                assert_eq!(
                    message,
                    "Unable to parse error message from schema registry: '(<html>bad gateway</html>)'"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn backoff_is_jittered_and_capped() {
        let wait = Duration::from_millis(100);
        let max = Duration::from_millis(250);
        for attempt in 0..40 {
            let d = backoff(attempt, wait, max);
            let ceil = (100u64 << attempt.min(30)).min(250);
            assert!(
                d >= Duration::from_millis(1) && d <= Duration::from_millis(ceil),
                "{d:?}"
            );
        }
        assert_eq!(backoff(3, Duration::ZERO, max), Duration::ZERO);
    }

    #[test]
    fn request_urls_join_like_build_request_url() {
        let base = Url::parse("http://h:1/apis/ccompat/v7/").unwrap();
        assert_eq!(
            request_url(&base, &["subjects", "x"], &[("deleted", "false")]).as_str(),
            "http://h:1/apis/ccompat/v7/subjects/x?deleted=false"
        );
        let base = Url::parse("http://h:1").unwrap();
        assert_eq!(
            request_url(&base, &["schemas", "ids", "1"], &[]).as_str(),
            "http://h:1/schemas/ids/1"
        );
        assert_eq!(percent_decode("a%40b%3Ac"), "a@b:c");
    }
}
