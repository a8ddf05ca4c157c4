//! The HTTP source: Confluent's `io.confluent.connect.http.HttpSourceConnector` (V1 keys, plus
//! the seed's `http.url`, `http.method`, `http.headers`, `kafka.topic` and
//! `http.timer.interval.ms` as aliases) and `io.confluent.connect.http.source.GenericHttpSourceConnector`
//! (V2: `http.api.base.url`, `apis.num`, `api<N>.*`). Keys: [`super::source_config`].
//!
//! **What is polled.** Each (API, entity) pair is a *job* with its own offset; `entity.names`
//! are spread over the tasks round-robin (V2: every API × entity pair). A task asks each job in
//! turn: the URL, parameters, headers and body are rendered with the job's `${offset}` and
//! `${entityName}` (values are percent-encoded in the URL and parameters, sent as they are in
//! headers and the body; any other `${…}`, like the seed's `${token}`, stays literal).
//!
//! **Records.** The response is split at `http.response.data.json.pointer` (each element of an
//! array, an object by itself, `null` or a missing pointer: nothing) in one scan of the body
//! without building a tree; each record's JSON text goes to Kafka as the record value verbatim
//! (schemaless: with `JsonConverter` and `schemas.enable=false` the topic holds exactly the
//! upstream JSON). Records have no key; the topic is `topic.name.pattern` with the entity.
//!
//! **Offsets.** Each job's source partition is `{"entityName": <entity or "">}` (V2 adds
//! `"api": "api<N>"`); its offset `{"offset": <the next request's ${offset}>}`, plus
//! `"skip": <n>` when the next request asks for a page whose first n records were already
//! delivered. Every batch carries the offset that follows its records, so a restarted task
//! resumes with the request after the last committed response:
//!
//! - SIMPLE_INCREMENTING: `${offset}` starts at `http.initial.offset` (0) and grows by the
//!   number of records in each response.
//! - CHAINING: the value at `http.offset.json.pointer` in a response's last record.
//! - CURSOR_PAGINATION: the value at `http.next.page.json.pointer` in the response. A response
//!   without one (or with `null`, or the same cursor) is the last page for now: the same page is
//!   asked again after `request.interval.ms`, and the records already delivered from it are
//!   skipped, so an API that appends to its last page delivers each record once.
//! - LINK_HEADER (a Strait addition; neither vendor follows RFC 8288 links): the first request
//!   goes to the rendered `url`; each following one to the response's `Link: <…>; rel="next"`
//!   target (resolved against the request URL). Without a next link the same page is asked again
//!   later, with the delivered records skipped as for cursors.
//!
//! A page that delivered records is followed by the next request at once when the request
//! depends on `${offset}` (or follows a link); an empty page, the last page, or a request that
//! does not use `${offset}` (the seed's example) waits `request.interval.ms`. `http.requests.per.second` (Strait addition) caps the
//! request rate of each API in a task, retries included. Delivery is at-least-once (a crash
//! repeats the responses after the last offset commit); in distributed mode with
//! `exactly.once.source.support=enabled` the source declares exactly-once support (a Strait
//! addition): the records and their offset commit in one transaction.
//!
//! **Errors.** A status in `retry.on.status.codes` (default `400-`) or a connection failure is
//! retried `max.retries` times, after the server's `Retry-After` when it sends one, else after
//! the backoff; OAuth2 tokens are fetched again on a 401. A request that still fails, or a body
//! that is not JSON, fails the task (`behavior.on.error=FAIL`, the default) with the status and
//! the start of the body, or with `IGNORE` is logged and asked again after `request.interval.ms`
//! from the same offset. Nothing is skipped and no offset moves past a failed request.
//!
//! Differences from Confluent (closed source; checked against its documentation, not its code):
//! the record value is the upstream JSON verbatim (schemaless) and the key is null; the
//! partition and offset maps above are Strait's own (a connector created under Confluent's
//! plugin starts from `http.initial.offset` again); TLS stores are PEM files only.

use std::sync::Arc;
use std::time::Duration;

use arrow::array::{ArrayRef, RecordBatch, StringArray, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use async_trait::async_trait;
use bytes::Bytes;
use reqwest::header::{HeaderMap, LINK};
use serde_json::Value;
use tokio::time::Instant;

use strait_engine::batch::{columns, Batch, Provenance, SourceMap};
use strait_engine::config::{ConfigDef, Props};
use strait_engine::plugin::{
    Connector, ExactlyOnceSupport, PluginInfo, PluginType, SourceTask, SourceTaskContext,
    TaskInstance,
};
use strait_engine::schema;
use strait_engine::{Error, Result};
use strait_formats::json::pointer::{find, split, text_of};

use super::client::{HttpClient, Request};
use super::source_config::{v2_config_def, ApiSpec, OffsetMode, SourceConfig, V1Keys};
use super::template::url_encode;

pub const V1_CLASS: &str = "io.confluent.connect.http.HttpSourceConnector";
pub const V2_CLASS: &str = "io.confluent.connect.http.source.GenericHttpSourceConnector";
pub const TASK_CLASS: &str = "io.confluent.connect.http.HttpSourceTask";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Task config key: the jobs of this task, a JSON array of `[api index, entity or null]`.
pub const TASK_JOBS: &str = "strait.http.task.jobs";
const TASK_CLASS_KEY: &str = "task.class";
/// Offset map keys.
pub const OFFSET_KEY: &str = "offset";
pub const SKIP_KEY: &str = "skip";
/// Partition map keys.
pub const ENTITY_KEY: &str = "entityName";
pub const API_KEY: &str = "api";

/// Longest a `poll` waits for a job to come due before returning nothing (so the runtime can
/// stop the task promptly).
const MAX_IDLE_WAIT: Duration = Duration::from_secs(1);

/// Which form of the connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    V1,
    V2,
}

impl Form {
    fn parse(self, props: &Props) -> Result<SourceConfig> {
        match self {
            Form::V1 => SourceConfig::parse_v1(props),
            Form::V2 => SourceConfig::parse_v2(props),
        }
    }
}

fn task_configs(form: Form, config: &SourceConfig, props: &Props, max_tasks: usize) -> Vec<Props> {
    let jobs = config.jobs();
    let tasks = max_tasks.clamp(1, jobs.len().max(1));
    (0..tasks)
        .map(|t| {
            let mine: Vec<Value> = jobs
                .iter()
                .enumerate()
                .filter(|(i, _)| i % tasks == t)
                .map(|(_, (api, entity))| serde_json::json!([api, entity]))
                .collect();
            let mut task = props.clone();
            task.insert(TASK_JOBS.to_string(), Value::Array(mine).to_string());
            task.insert(
                TASK_CLASS_KEY.to_string(),
                match form {
                    Form::V1 | Form::V2 => TASK_CLASS.to_string(),
                },
            );
            task.insert("strait.http.form".into(), format!("{form:?}"));
            task
        })
        .collect()
}

fn create_task(form: Form, props: &Props) -> Result<TaskInstance> {
    let config = form.parse(props)?;
    let jobs: Vec<(usize, Option<String>)> = match props.get(TASK_JOBS) {
        Some(text) => serde_json::from_str(text).map_err(|e| {
            Error::config(format!("the task config's {TASK_JOBS} is not valid: {e}"))
        })?,
        None => config.jobs(),
    };
    if let Some(&(api, _)) = jobs.iter().find(|(api, _)| *api >= config.apis.len()) {
        return Err(Error::config(format!(
            "the task config names API {api}, the connector has {}",
            config.apis.len()
        )));
    }
    Ok(TaskInstance::Source(Box::new(HttpSourceTask::new(
        config, jobs,
    ))))
}

/// Confluent's HTTP Source V1.
#[derive(Debug)]
pub struct HttpSourceConnector;

impl Connector for HttpSourceConnector {
    type Config = SourceConfig;

    fn info() -> PluginInfo {
        PluginInfo {
            class: V1_CLASS,
            extra_aliases: &[],
            kind: PluginType::Source,
            version: VERSION,
        }
    }

    fn config_def() -> ConfigDef {
        V1Keys::config_def()
    }

    fn parse(props: &Props) -> Result<Self::Config> {
        SourceConfig::parse_v1(props)
    }

    fn task_class() -> &'static str {
        TASK_CLASS
    }

    /// One task per job at most; jobs spread round-robin.
    fn task_configs(config: &Self::Config, props: &Props, max_tasks: usize) -> Result<Vec<Props>> {
        Ok(task_configs(Form::V1, config, props, max_tasks))
    }

    fn create_task(task_props: &Props) -> Result<TaskInstance> {
        create_task(Form::V1, task_props)
    }

    /// Strait addition: each batch carries the offset of the request that follows it.
    fn exactly_once_support(props: &Props) -> Result<Option<ExactlyOnceSupport>> {
        SourceConfig::parse_v1(props).map(|_| Some(ExactlyOnceSupport::Supported))
    }
}

/// Confluent's HTTP Source V2 (`api<N>.` keys).
#[derive(Debug)]
pub struct GenericHttpSourceConnector;

impl Connector for GenericHttpSourceConnector {
    type Config = SourceConfig;

    fn info() -> PluginInfo {
        PluginInfo {
            class: V2_CLASS,
            extra_aliases: &[],
            kind: PluginType::Source,
            version: VERSION,
        }
    }

    fn config_def() -> ConfigDef {
        v2_config_def()
    }

    fn parse(props: &Props) -> Result<Self::Config> {
        SourceConfig::parse_v2(props)
    }

    fn task_class() -> &'static str {
        TASK_CLASS
    }

    fn task_configs(config: &Self::Config, props: &Props, max_tasks: usize) -> Result<Vec<Props>> {
        Ok(task_configs(Form::V2, config, props, max_tasks))
    }

    fn create_task(task_props: &Props) -> Result<TaskInstance> {
        create_task(Form::V2, task_props)
    }

    fn exactly_once_support(props: &Props) -> Result<Option<ExactlyOnceSupport>> {
        SourceConfig::parse_v2(props).map(|_| Some(ExactlyOnceSupport::Supported))
    }
}

/// Where a job is: the next request's `${offset}` (LINK_HEADER: its URL) and how many records
/// of that page were delivered already.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub offset: String,
    pub skip: u64,
}

impl Position {
    fn to_map(&self) -> SourceMap {
        let mut m = SourceMap::new();
        m.insert(OFFSET_KEY.into(), Value::String(self.offset.clone()));
        if self.skip > 0 {
            m.insert(SKIP_KEY.into(), Value::from(self.skip));
        }
        m
    }

    fn from_map(m: &SourceMap) -> Option<Position> {
        let offset = match m.get(OFFSET_KEY)? {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let skip = m.get(SKIP_KEY).and_then(Value::as_u64).unwrap_or(0);
        Some(Position { offset, skip })
    }
}

struct Job {
    api: Arc<ApiSpec>,
    /// Index of `api` in the config (its client and rate limit).
    api_index: usize,
    entity: Option<String>,
    partition: SourceMap,
    topic: String,
    position: Position,
    due: Instant,
}

/// What a response means for a job: the records to deliver (byte ranges of the body), where
/// the job goes next, and whether it asks again at once.
#[derive(Debug, PartialEq, Eq)]
pub struct Step {
    pub records: Vec<std::ops::Range<usize>>,
    pub next: Position,
    pub more: bool,
}

/// Work out a response (pure: no I/O, so every mode is unit-tested).
pub fn step(
    api: &ApiSpec,
    at: &Position,
    request_url: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Step> {
    let others: Vec<&strait_formats::json::pointer::JsonPointer> = match &api.mode {
        OffsetMode::Cursor(p) => vec![p],
        _ => vec![],
    };
    let found = split(body, &api.data_pointer, &others)
        .map_err(|e| Error::data(format!("the response is not valid JSON: {}", e.message())))?;
    let all = found.records;
    let n = all.len() as u64;
    // Records of a page asked again that were delivered before.
    let fresh = |skip: u64| all.iter().skip(skip as usize).cloned().collect::<Vec<_>>();
    let mut step = match &api.mode {
        OffsetMode::SimpleIncrementing => {
            let current: i64 = at.offset.trim().parse().map_err(|_| {
                Error::config(format!(
                    "the stored offset {:?} is not an integer (SIMPLE_INCREMENTING)",
                    at.offset
                ))
            })?;
            Step {
                records: all,
                next: Position {
                    offset: (current + n as i64).to_string(),
                    skip: 0,
                },
                more: n > 0,
            }
        }
        OffsetMode::Chaining(pointer) => match all.last() {
            None => Step {
                records: all,
                next: at.clone(),
                more: false,
            },
            Some(last) => {
                let record = &body[last.clone()];
                let value = find(record, pointer)?.ok_or_else(|| {
                    Error::data(format!(
                        "the last record of the response has no value at \
                         http.offset.json.pointer {}: {}",
                        pointer.as_str(),
                        super::client::excerpt(record)
                    ))
                })?;
                let offset = text_of(&record[value])?;
                Step {
                    records: all,
                    next: Position { offset, skip: 0 },
                    more: true,
                }
            }
        },
        OffsetMode::Cursor(_) => {
            let cursor = match &found.found[0] {
                Some(range) if &body[range.clone()] != b"null" => {
                    Some(text_of(&body[range.clone()])?)
                }
                _ => None,
            }
            .filter(|c| !c.is_empty() && *c != at.offset);
            match cursor {
                Some(offset) => Step {
                    records: fresh(at.skip),
                    next: Position { offset, skip: 0 },
                    more: true,
                },
                None => {
                    let records = fresh(at.skip);
                    Step {
                        next: Position {
                            offset: at.offset.clone(),
                            skip: at.skip.max(n),
                        },
                        records,
                        more: false,
                    }
                }
            }
        }
        OffsetMode::LinkHeader => match next_link(headers, request_url) {
            Some(url) if url != request_url => Step {
                records: fresh(at.skip),
                next: Position {
                    offset: url,
                    skip: 0,
                },
                more: true,
            },
            _ => {
                let records = fresh(at.skip);
                Step {
                    next: Position {
                        offset: request_url.to_string(),
                        skip: at.skip.max(n),
                    },
                    records,
                    more: false,
                }
            }
        },
    };
    // A request that does not depend on the offset would ask the same question again: it
    // waits for the interval (the seed's example polls one URL every 60 s). A link is a new
    // question whatever the templates say.
    if !api.uses_offset && api.mode != OffsetMode::LinkHeader {
        step.more = false;
    }
    Ok(step)
}

/// The target of the first `rel="next"` link in the `Link` headers (RFC 8288), resolved
/// against the request's URL.
pub fn next_link(headers: &HeaderMap, base: &str) -> Option<String> {
    for value in headers.get_all(LINK) {
        let Ok(text) = value.to_str() else { continue };
        for link in split_links(text) {
            let link = link.trim();
            let Some(end) = link.find('>') else { continue };
            let Some(target) = link.strip_prefix('<').map(|l| &l[..end - 1]) else {
                continue;
            };
            let is_next = link[end + 1..].split(';').any(|param| {
                let Some((name, value)) = param.split_once('=') else {
                    return false;
                };
                name.trim().eq_ignore_ascii_case("rel")
                    && value
                        .trim()
                        .trim_matches('"')
                        .split_ascii_whitespace()
                        .any(|r| r.eq_ignore_ascii_case("next"))
            });
            if is_next {
                let base = reqwest::Url::parse(base).ok()?;
                return base.join(target.trim()).ok().map(String::from);
            }
        }
    }
    None
}

/// Split a `Link` header at the commas between links (not those inside `<…>` or quotes).
fn split_links(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut in_uri, mut in_quote) = (0, false, false);
    for (i, c) in text.char_indices() {
        match c {
            '<' if !in_quote => in_uri = true,
            '>' if !in_quote => in_uri = false,
            '"' if !in_uri => in_quote = !in_quote,
            ',' if !in_uri && !in_quote => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}

/// The HTTP source task.
pub struct HttpSourceTask {
    config: SourceConfig,
    job_specs: Vec<(usize, Option<String>)>,
    jobs: Vec<Job>,
    /// One client per API (their timeouts and retries differ).
    clients: Vec<Arc<HttpClient>>,
    /// When each API may be asked next (`http.requests.per.second`).
    next_request: Vec<Instant>,
    schema: SchemaRef,
}

impl std::fmt::Debug for HttpSourceTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HttpSourceTask({} jobs)", self.job_specs.len())
    }
}

impl HttpSourceTask {
    pub fn new(config: SourceConfig, job_specs: Vec<(usize, Option<String>)>) -> Self {
        let mut value_field = schema::schemaless(Field::new(columns::VALUE, DataType::Utf8, true));
        let mut md = value_field.metadata().clone();
        md.insert(schema::RAW_JSON.to_string(), "true".to_string());
        value_field = value_field.with_metadata(md);
        let schema = Arc::new(Schema::new(vec![
            Field::new(columns::TOPIC, DataType::Utf8, false),
            schema::schemaless(Field::new(columns::KEY, DataType::Utf8, true)),
            value_field,
        ]));
        HttpSourceTask {
            config,
            job_specs,
            jobs: Vec::new(),
            clients: Vec::new(),
            next_request: Vec::new(),
            schema,
        }
    }

    fn render_request(&self, job: &Job) -> Request {
        let api = &job.api;
        let entity = job.entity.as_deref().unwrap_or("");
        let values = |name: &str| match name {
            "offset" => job.position.offset.clone(),
            _ => entity.to_string(),
        };
        let mut url = match api.mode {
            // After the first page, a link is followed as given.
            OffsetMode::LinkHeader if job.position.offset.contains("://") => {
                job.position.offset.clone()
            }
            _ => api.url.render_with(values, url_encode),
        };
        if !api.parameters.is_empty() {
            let query = api
                .parameters
                .iter()
                .map(|(name, value)| {
                    format!(
                        "{}={}",
                        url_encode(name),
                        value.render_with(values, url_encode)
                    )
                })
                .collect::<Vec<_>>()
                .join("&");
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&query);
        }
        let headers = api
            .headers
            .iter()
            .map(|(name, value)| (name.clone(), value.render_with(values, str::to_string)))
            .collect();
        let body = api
            .body
            .as_ref()
            .map(|b| Bytes::from(b.render_with(values, str::to_string)));
        Request {
            method: api.method.clone(),
            url,
            headers,
            body,
        }
    }

    fn build_batch(
        &self,
        job: &Job,
        body: &[u8],
        records: &[std::ops::Range<usize>],
    ) -> Result<RecordBatch> {
        let n = records.len();
        let mut values = StringBuilder::with_capacity(n, records.iter().map(|r| r.len()).sum());
        for r in records {
            let text = std::str::from_utf8(&body[r.clone()])
                .map_err(|e| Error::data(format!("the response is not UTF-8: {e}")))?;
            values.append_value(text);
        }
        let topic: ArrayRef = Arc::new(StringArray::from_iter_values(std::iter::repeat_n(
            job.topic.as_str(),
            n,
        )));
        let key = arrow::array::new_null_array(&DataType::Utf8, n);
        Ok(RecordBatch::try_new(
            self.schema.clone(),
            vec![topic, key, Arc::new(values.finish())],
        )?)
    }
}

#[async_trait]
impl SourceTask for HttpSourceTask {
    async fn start(&mut self, ctx: SourceTaskContext) -> Result<()> {
        for api in &self.config.apis {
            let mut transport = self.config.transport.clone();
            transport.connect_timeout = api.connect_timeout;
            transport.request_timeout = api.request_timeout;
            self.clients.push(Arc::new(HttpClient::new(
                &transport,
                self.config.auth.clone(),
                api.retry.clone(),
            )?));
            self.next_request.push(Instant::now());
        }
        let now = Instant::now();
        for (api_index, entity) in &self.job_specs {
            let api = self.config.apis[*api_index].clone();
            let mut partition = SourceMap::new();
            if self.config.v2 {
                partition.insert(API_KEY.into(), Value::String(api.name.clone()));
            }
            partition.insert(
                ENTITY_KEY.into(),
                Value::String(entity.clone().unwrap_or_default()),
            );
            let position = ctx
                .offsets
                .offset(&partition)
                .and_then(|m| Position::from_map(&m))
                .unwrap_or_else(|| Position {
                    offset: api.initial_offset.clone(),
                    skip: 0,
                });
            tracing::info!(connector = %ctx.connector, task = ctx.task_id, partition = ?partition, offset = %position.offset, skip = position.skip, "HTTP source job starts");
            let topic = api
                .topic
                .render(&[("entityName", entity.as_deref().unwrap_or(""))]);
            self.jobs.push(Job {
                api,
                api_index: *api_index,
                entity: entity.clone(),
                partition,
                topic,
                position,
                due: now,
            });
        }
        Ok(())
    }

    async fn poll(&mut self) -> Result<Option<Batch>> {
        let Some(i) = (0..self.jobs.len()).min_by_key(|&i| {
            let job = &self.jobs[i];
            job.due.max(self.next_request[job.api_index])
        }) else {
            tokio::time::sleep(MAX_IDLE_WAIT).await;
            return Ok(None);
        };
        let api_index = self.jobs[i].api_index;
        let due = self.jobs[i].due.max(self.next_request[api_index]);
        let now = Instant::now();
        if due > now {
            tokio::time::sleep((due - now).min(MAX_IDLE_WAIT)).await;
            if due > Instant::now() {
                return Ok(None);
            }
        }
        let request = self.render_request(&self.jobs[i]);
        let api = self.jobs[i].api.clone();
        self.next_request[api_index] = Instant::now() + api.min_gap;
        let client = self.clients[api_index].clone();
        let outcome = client.send(&request).await;
        // Retries inside `send` also count against the rate.
        self.next_request[api_index] = Instant::now() + api.min_gap;
        let failure = |e: Error| -> Result<Option<Batch>> {
            if self.config.fail_on_error {
                Err(e)
            } else {
                tracing::warn!(url = %request.url, error = %e, "HTTP source request failed; asking again after request.interval.ms (behavior.on.error=IGNORE)");
                Ok(None)
            }
        };
        let response = match outcome {
            Ok(r) => r,
            Err(f) => {
                self.jobs[i].due = Instant::now() + api.interval;
                return failure(f.into_error(&request.url, false));
            }
        };
        let job = &self.jobs[i];
        let step = match step(
            &api,
            &job.position,
            &request.url,
            &response.headers,
            &response.body,
        ) {
            Ok(s) => s,
            Err(e) => {
                self.jobs[i].due = Instant::now() + api.interval;
                return failure(e.context(format!("HTTP source response from {}", request.url)));
            }
        };
        let batch = if step.records.is_empty() && step.next == job.position {
            None
        } else {
            let records = self.build_batch(job, &response.body, &step.records)?;
            Some(Batch::new(
                records,
                Provenance::Source(vec![(job.partition.clone(), step.next.to_map())]),
            ))
        };
        tracing::debug!(url = %request.url, records = step.records.len(), next = %step.next.offset, skip = step.next.skip, more = step.more, "HTTP source response");
        let job = &mut self.jobs[i];
        job.position = step.next;
        job.due = if step.more {
            Instant::now()
        } else {
            Instant::now() + api.interval
        };
        Ok(batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn api(mode: &str, extra: &[(&str, &str)]) -> Arc<ApiSpec> {
        let mut p: Props = [
            ("url", "http://h/items?o=${offset}"),
            ("topic.name.pattern", "t"),
            ("http.offset.mode", mode),
            ("http.response.data.json.pointer", "/data"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in extra {
            p.insert(k.to_string(), v.to_string());
        }
        SourceConfig::parse_v1(&p).unwrap().apis[0].clone()
    }

    fn at(offset: &str, skip: u64) -> Position {
        Position {
            offset: offset.into(),
            skip,
        }
    }

    fn texts(body: &[u8], s: &Step) -> Vec<String> {
        s.records
            .iter()
            .map(|r| String::from_utf8(body[r.clone()].to_vec()).unwrap())
            .collect()
    }

    #[test]
    fn simple_incrementing_counts_records() {
        let a = api("SIMPLE_INCREMENTING", &[]);
        let body = br#"{"data":[{"id":1},{"id":2}]}"#;
        let s = step(&a, &at("10", 0), "u", &HeaderMap::new(), body).unwrap();
        assert_eq!(texts(body, &s), [r#"{"id":1}"#, r#"{"id":2}"#]);
        assert_eq!(s.next, at("12", 0));
        assert!(s.more);
        let s = step(&a, &at("12", 0), "u", &HeaderMap::new(), br#"{"data":[]}"#).unwrap();
        assert_eq!(
            (s.records.len(), s.next.clone(), s.more),
            (0, at("12", 0), false)
        );
        // The same URL every time: the offset still counts, but the next request waits.
        let a = api("SIMPLE_INCREMENTING", &[("url", "http://h/items")]);
        let s = step(&a, &at("10", 0), "u", &HeaderMap::new(), body).unwrap();
        assert_eq!(
            (s.records.len(), s.next.clone(), s.more),
            (2, at("12", 0), false)
        );
        let e = step(&a, &at("12", 0), "u", &HeaderMap::new(), b"{\"data\":[1,").unwrap_err();
        assert!(e.message().contains("not valid JSON"), "{e}");
    }

    #[test]
    fn chaining_takes_the_last_records_value() {
        let a = api("CHAINING", &[("http.offset.json.pointer", "/ts")]);
        let body = br#"{"data":[{"ts":"2024-01-01"},{"ts":"2024-01-02"}]}"#;
        let s = step(&a, &at("", 0), "u", &HeaderMap::new(), body).unwrap();
        assert_eq!(s.next, at("2024-01-02", 0));
        let e = step(
            &a,
            &at("", 0),
            "u",
            &HeaderMap::new(),
            br#"{"data":[{"x":1}]}"#,
        )
        .unwrap_err();
        assert!(e.message().contains("/ts"), "{e}");
        let s = step(&a, &at("7", 0), "u", &HeaderMap::new(), br#"{"data":[]}"#).unwrap();
        assert_eq!((s.next, s.more), (at("7", 0), false));
    }

    #[test]
    fn cursors_advance_and_the_last_page_is_asked_again_without_repeats() {
        let a = api(
            "CURSOR_PAGINATION",
            &[("http.next.page.json.pointer", "/next")],
        );
        let body = br#"{"data":[{"id":1},{"id":2}],"next":"c2"}"#;
        let s = step(&a, &at("", 0), "u", &HeaderMap::new(), body).unwrap();
        assert_eq!(
            (s.records.len(), s.next.clone(), s.more),
            (2, at("c2", 0), true)
        );
        // The last page (no cursor): delivered, then the same page again with more records.
        let body = br#"{"data":[{"id":3}],"next":null}"#;
        let s = step(&a, &at("c2", 0), "u", &HeaderMap::new(), body).unwrap();
        assert_eq!(
            (s.records.len(), s.next.clone(), s.more),
            (1, at("c2", 1), false)
        );
        let body = br#"{"data":[{"id":3},{"id":4}]}"#;
        let s = step(&a, &at("c2", 1), "u", &HeaderMap::new(), body).unwrap();
        assert_eq!(texts(body, &s), [r#"{"id":4}"#]);
        assert_eq!(s.next, at("c2", 2));
        // Then the page gets a cursor: only its new records, then on.
        let body = br#"{"data":[{"id":3},{"id":4},{"id":5}],"next":"c3"}"#;
        let s = step(&a, &at("c2", 2), "u", &HeaderMap::new(), body).unwrap();
        assert_eq!(texts(body, &s), [r#"{"id":5}"#]);
        assert_eq!(s.next, at("c3", 0));
    }

    #[test]
    fn link_headers_are_followed_and_resolved() {
        let a = api("LINK_HEADER", &[]);
        let mut h = HeaderMap::new();
        h.insert(
            LINK,
            HeaderValue::from_static(
                r#"<https://h/items?page=1>; rel="prev", </items?page=3&a=b,c>; rel="next last""#,
            ),
        );
        assert_eq!(
            next_link(&h, "https://h/items?page=2").as_deref(),
            Some("https://h/items?page=3&a=b,c")
        );
        let body = br#"{"data":[{"id":1}]}"#;
        let s = step(&a, &at("0", 0), "https://h/items?page=2", &h, body).unwrap();
        assert_eq!(s.next, at("https://h/items?page=3&a=b,c", 0));
        let s = step(
            &a,
            &at("x", 0),
            "https://h/items?page=3",
            &HeaderMap::new(),
            body,
        )
        .unwrap();
        assert_eq!((s.next, s.more), (at("https://h/items?page=3", 1), false));
        assert_eq!(next_link(&HeaderMap::new(), "http://h/"), None);
    }

    #[test]
    fn requests_render_offsets_entities_and_literal_placeholders() {
        let p: Props = [
            ("url", "http://h/${entityName}/items"),
            ("topic.name.pattern", "t-${entityName}"),
            ("entity.names", "a b,c"),
            ("http.request.parameters", "since=${offset}&tag=x y"),
            (
                "http.request.headers",
                "Authorization: Bearer ${token}|X-Entity:${entityName}",
            ),
            ("http.request.method", "POST"),
            ("http.request.body", "{\"from\":\"${offset}\"}"),
            ("http.initial.offset", "5"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let config = SourceConfig::parse_v1(&p).unwrap();
        let task = HttpSourceTask::new(config.clone(), config.jobs());
        let job = Job {
            api: config.apis[0].clone(),
            api_index: 0,
            entity: Some("a b".into()),
            partition: SourceMap::new(),
            topic: "t-a b".into(),
            position: at("5", 0),
            due: Instant::now(),
        };
        let r = task.render_request(&job);
        // Literal text is sent as written (reqwest encodes its spaces); values are encoded.
        assert_eq!(r.url, "http://h/a%20b/items?since=5&tag=x y");
        assert_eq!(
            r.headers,
            vec![
                ("Authorization".to_string(), "Bearer ${token}".to_string()),
                ("X-Entity".to_string(), "a b".to_string())
            ]
        );
        assert_eq!(r.body.as_deref(), Some(&b"{\"from\":\"5\"}"[..]));
        assert_eq!(r.method, reqwest::Method::POST);
        let tasks = task_configs(Form::V1, &config, &p, 5);
        assert_eq!(tasks.len(), 2, "one task per entity at most");
        assert_eq!(tasks[1][TASK_JOBS], r#"[[0,"c"]]"#);
    }

    #[test]
    fn positions_round_trip_through_offset_maps() {
        for p in [at("12", 0), at("c2", 3)] {
            assert_eq!(Position::from_map(&p.to_map()), Some(p));
        }
        let mut m = SourceMap::new();
        m.insert(OFFSET_KEY.into(), Value::from(7));
        assert_eq!(Position::from_map(&m), Some(at("7", 0)));
    }
}
