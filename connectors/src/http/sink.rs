//! The HTTP sink: Confluent's HTTP Sink V1 (`io.confluent.connect.http.HttpSinkConnector`) and
//! Aiven's (`io.aiven.kafka.connect.http.HttpSinkConnector`), two classes with their vendors'
//! keys and defaults ([`config`]) on one engine.
//!
//! **Requests.** Per `put`, records are grouped by the expanded `batch.key.pattern` (Confluent;
//! `${topic}` and `${key}`, the key as Java's `toString` prints it, "" for null), in the order
//! their groups first appear; a group is sent when it reaches `batch.max.size`, and every group
//! left is sent at the end of the `put` — a request never spans two puts (as both vendors). The
//! body is `batch.prefix` + the records' texts joined by `batch.separator` + `batch.suffix`
//! (with `batch.json.as.array`: `[a,b]` inside prefix and suffix). The URL is `http.api.url`
//! with `${topic}` / `${key}` of the group's first record (Confluent's rule), their values
//! percent-encoded. Records become text straight from the Arrow columns, whole columns at a time:
//! string and bytes values as they are; with `request.body.format=json` (and Aiven) JSON values
//! read through a schemaless `JsonConverter` are the payload's own JSON text, never parsed, and
//! other decoded values are encoded to JSON a column at a time; with `string`, decoded values are
//! printed as Java's `toString` would (`Struct{a=1}`, `{k=v}`; bytes nested in them as base64).
//! `regex.patterns` (Java syntax, Java's `replaceAll`) then rewrite each record's text.
//!
//! **Retries.** Each request is retried by the shared client ([`client`](super::client)) on
//! `retry.on.status.codes` and on transport errors, up to `max.retries`, after the server's
//! `Retry-After` when it sends one, else after `retry.backoff.ms` per `retry.backoff.policy`;
//! OAuth2 tokens are refreshed before they expire and once after a 401.
//!
//! **Per-record outcomes (beyond both vendors).** When a request is finally refused with an
//! HTTP status (one not retried, or retries spent), the sink finds the records the endpoint
//! refuses by splitting the request in halves and sending each (recursively, down to single
//! records; a half is not retried on the status that refused its parent, and other statuses and
//! transport errors are retried as usual). The records of the halves that pass are delivered;
//! each single record still refused goes, with `errors.tolerance=all`, to the errant record
//! reporter (the DLQ, when one is configured) with the HTTP status and the start of the response
//! body in its error message; without it `behavior.on.error` decides: `fail` (the default)
//! fails the task at once, without splitting, with the status and body excerpt in the error;
//! `log` logs the record and skips it; `ignore` skips it. 401, 403 and 407 (authentication,
//! never a record's fault) are not split: every record of the request is handled as refused.
//! Values that cannot become text (Aiven: values other than strings, structs and maps) and null
//! values under `behavior.on.null.values=fail` (Aiven: always) go to the reporter, or fail the
//! task.
//!
//! **Offsets and guarantee.** `put` returns once every request of the batch is answered, so the
//! runtime commits, at its interval, only offsets of records already delivered or handled
//! (at-least-once). A transport error that outlasts the retries (connection refused, timeouts)
//! never skips data: `put` fails as retriable and the runtime delivers the same batch again after
//! `retry.backoff.ms` (Aiven: `kafka.retry.backoff.ms` when set), skipping the records of that
//! batch already delivered or handled. A task that fails commits nothing past the records it
//! failed on.
//!
//! **Differences from Confluent (V1), on purpose.**
//! - Rejected with a clear error rather than ignored: `reporter.bootstrap.servers` (Confluent's
//!   result/error reporter topics are not implemented yet; use the DLQ), `auth.type=THIRD_PARTY`,
//!   `oauth2.client.headers`, `oauth2.jwt.enabled=true`, key/trust stores other than PEM (the
//!   store types default to Kafka's `JKS`, so a store location needs `…type=PEM`), key store and
//!   key passwords. Other `reporter.*`, `confluent.license` and `confluent.topic.*` keys are
//!   accepted and ignored (Strait needs no license topic).
//! - `auth.type=BEARER` with `bearer.token` is a Strait addition.
//! - Without a `Content-Type` in `headers`/`sensitive.headers`, requests carry
//!   `application/json` (json format) or `text/plain; charset=UTF-8` (string format).
//! - Headers split at their first `:` (a value may contain more); separators and
//!   `batch.prefix`/`suffix`/`separator` keep their whitespace; `regex.separator` is literal
//!   text (Java splits at a regular expression); `${topic}`/`${key}` values in the URL are
//!   percent-encoded; with `request.body.format=json`, a string value is sent as its text (a
//!   JSON document kept as a string stays one), bytes values as they are.
//! - `behavior.on.null.values=delete` sends one `DELETE` (no body) to the record's URL, after
//!   sending the requests of the records before it.
//!
//! **Differences from Aiven, on purpose.** `errors.tolerance=all` is allowed with batching
//! (Aiven refuses it): refused records of a batch reach the DLQ one by one, as above. Bytes
//! values are sent as they are (Aiven refuses them). Retries apply to every non-2xx answer and
//! to transport errors, with a constant `retry.backoff.ms`, as Aiven; a server's `Retry-After`
//! is honoured.

// The configuration lives beside this file (`sink_config.rs`), as a child module.
#[path = "sink_config.rs"]
pub mod config;

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BinaryArray, BinaryBuilder, Int32Array, Int64Array};
use arrow::datatypes::DataType;
use async_trait::async_trait;
use bytes::Bytes;
use reqwest::Method;

use strait_engine::batch::{columns, Batch, OffsetMap, TopicColumn};
use strait_engine::config::{ConfigDef, ConfigValue, Props};
use strait_engine::plugin::{
    Connector, Converter, ErrantRecordReporter, PluginInfo, PluginType, SinkInput, SinkTask,
    SinkTaskContext, TaskInstance,
};
use strait_engine::{Error, Result};
use strait_formats::java::{BytesText, JavaStringWriter};

use self::config::{
    aiven_def, confluent_def, parse_aiven, parse_confluent, validate_aiven, validate_confluent,
    BodyFormat, NullValues, OnError, SinkSettings,
};
use super::client::{excerpt, Failure, HttpClient, Request, Response};
use super::template::url_encode;

/// The Confluent release whose keys this mirrors.
pub const CONFLUENT_VERSION: &str = "1.7.6";
pub const CONFLUENT_CLASS: &str = "io.confluent.connect.http.HttpSinkConnector";
pub const CONFLUENT_TASK_CLASS: &str = "io.confluent.connect.http.sink.HttpSinkTask";
/// The Aiven release whose keys this mirrors.
pub const AIVEN_VERSION: &str = "0.9.0";
pub const AIVEN_CLASS: &str = "io.aiven.kafka.connect.http.HttpSinkConnector";
pub const AIVEN_TASK_CLASS: &str = "io.aiven.kafka.connect.http.HttpSinkTask";

/// `io.confluent.connect.http.HttpSinkConnector`.
#[derive(Debug)]
pub struct HttpSinkConnector;

/// `io.aiven.kafka.connect.http.HttpSinkConnector`.
#[derive(Debug)]
pub struct AivenHttpSinkConnector;

fn tolerate_all(props: &Props) -> bool {
    props
        .get("errors.tolerance")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("all"))
}

fn copies(props: &Props, max_tasks: usize) -> Vec<Props> {
    (0..max_tasks.max(1)).map(|_| props.clone()).collect()
}

impl Connector for HttpSinkConnector {
    type Config = SinkSettings;

    fn info() -> PluginInfo {
        PluginInfo {
            class: CONFLUENT_CLASS,
            extra_aliases: &[],
            kind: PluginType::Sink,
            version: CONFLUENT_VERSION,
        }
    }

    fn config_def() -> ConfigDef {
        confluent_def()
    }

    fn parse(props: &Props) -> Result<SinkSettings> {
        parse_confluent(props)
    }

    fn validate(props: &Props) -> Vec<ConfigValue> {
        validate_confluent(props)
    }

    fn task_class() -> &'static str {
        CONFLUENT_TASK_CLASS
    }

    fn task_configs(_: &SinkSettings, props: &Props, max_tasks: usize) -> Result<Vec<Props>> {
        Ok(copies(props, max_tasks))
    }

    /// Offsets live in the consumer group, as for any sink.
    fn alter_offsets(
        _props: &Props,
        _offsets: &[(
            strait_engine::batch::SourceMap,
            Option<strait_engine::batch::SourceMap>,
        )],
    ) -> Result<bool> {
        Ok(true)
    }

    fn create_task(task_props: &Props) -> Result<TaskInstance> {
        let settings = parse_confluent(task_props)?;
        Ok(TaskInstance::Sink(Box::new(HttpSinkTask::new(
            settings,
            tolerate_all(task_props),
        ))))
    }
}

impl Connector for AivenHttpSinkConnector {
    type Config = SinkSettings;

    fn info() -> PluginInfo {
        PluginInfo {
            class: AIVEN_CLASS,
            extra_aliases: &[],
            kind: PluginType::Sink,
            version: AIVEN_VERSION,
        }
    }

    fn config_def() -> ConfigDef {
        aiven_def()
    }

    fn parse(props: &Props) -> Result<SinkSettings> {
        parse_aiven(props)
    }

    fn validate(props: &Props) -> Vec<ConfigValue> {
        validate_aiven(props)
    }

    fn task_class() -> &'static str {
        AIVEN_TASK_CLASS
    }

    fn task_configs(_: &SinkSettings, props: &Props, max_tasks: usize) -> Result<Vec<Props>> {
        Ok(copies(props, max_tasks))
    }

    fn alter_offsets(
        _props: &Props,
        _offsets: &[(
            strait_engine::batch::SourceMap,
            Option<strait_engine::batch::SourceMap>,
        )],
    ) -> Result<bool> {
        Ok(true)
    }

    fn create_task(task_props: &Props) -> Result<TaskInstance> {
        let settings = parse_aiven(task_props)?;
        Ok(TaskInstance::Sink(Box::new(HttpSinkTask::new(
            settings,
            tolerate_all(task_props),
        ))))
    }
}

/// Which rows of a batch are delivered or handled, kept across a retriable failure so that
/// the redelivered batch does not send them twice.
#[derive(Debug)]
struct Progress {
    offsets: OffsetMap,
    done: Vec<bool>,
}

/// A `put`'s columns, resolved once.
struct PutCtx {
    batch: Batch,
    /// The records' texts (null for null values), after `regex.patterns`.
    texts: BinaryArray,
    /// Rows whose value cannot become text, with why.
    bad: HashMap<usize, Error>,
    /// Key texts (null for null keys), when a template reads them.
    keys: Option<BinaryArray>,
    topics: ArrayRef,
    partitions: Option<Int32Array>,
    offsets: Option<Int64Array>,
}

impl PutCtx {
    fn topic(&self, row: usize) -> &str {
        TopicColumn::new(&self.topics)
            .and_then(|t| t.get(row))
            .unwrap_or("")
    }

    fn key(&self, row: usize) -> std::borrow::Cow<'_, str> {
        match &self.keys {
            Some(k) if !k.is_null(row) => String::from_utf8_lossy(k.value(row)),
            _ => std::borrow::Cow::Borrowed(""),
        }
    }

    /// "topic t partition p offset o", for messages.
    fn describe(&self, row: usize) -> String {
        format!(
            "topic {} partition {} offset {}",
            self.topic(row),
            self.partitions.as_ref().map_or(-1, |p| p.value(row)),
            self.offsets.as_ref().map_or(-1, |o| o.value(row)),
        )
    }
}

/// The sink task (both classes).
pub struct HttpSinkTask {
    settings: SinkSettings,
    tolerate_all: bool,
    client: Option<HttpClient>,
    ctx: Option<SinkTaskContext>,
    reporter: Option<Arc<dyn ErrantRecordReporter>>,
    /// Encodes decoded values as schemaless JSON.
    json: Option<strait_formats::json::JsonConverter>,
    progress: Option<Progress>,
    /// The URL when it has no variables.
    fixed_url: Option<String>,
}

impl std::fmt::Debug for HttpSinkTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSinkTask").finish_non_exhaustive()
    }
}

/// Arrow types whose values are text or bytes the body takes as they are.
fn is_text_or_bytes(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Utf8View
            | DataType::Binary
            | DataType::LargeBinary
            | DataType::BinaryView
    )
}

/// A text or bytes column as Binary (a cast that reuses the buffers for Utf8).
fn as_binary(column: &ArrayRef) -> Result<BinaryArray> {
    let cast = arrow::compute::cast(column, &DataType::Binary).map_err(|e| {
        Error::bug(format!(
            "cannot read a {} column as bytes: {e}",
            column.data_type()
        ))
    })?;
    Ok(cast.as_binary::<i32>().clone())
}

/// Java's `toString` of each row (null stays null).
fn java_texts(column: &ArrayRef) -> Result<BinaryArray> {
    let writer = JavaStringWriter::new(column, BytesText::Base64)?;
    let mut out = BinaryBuilder::with_capacity(column.len(), column.len() * 16);
    let mut buf = Vec::new();
    for row in 0..column.len() {
        if column.is_null(row) {
            out.append_null();
        } else {
            buf.clear();
            writer.write(row, &mut buf);
            out.append_value(&buf);
        }
    }
    Ok(out.finish())
}

/// Is `row`'s status one that says nothing about the records (so splitting cannot help)?
fn not_about_records(status: u16) -> bool {
    matches!(status, 401 | 403 | 407)
}

impl HttpSinkTask {
    pub fn new(settings: SinkSettings, tolerate_all: bool) -> Self {
        let fixed_url = settings.url.is_constant().then(|| settings.url.render(&[]));
        HttpSinkTask {
            settings,
            tolerate_all,
            client: None,
            ctx: None,
            reporter: None,
            json: None,
            progress: None,
            fixed_url,
        }
    }

    fn client(&self) -> Result<&HttpClient> {
        self.client
            .as_ref()
            .ok_or_else(|| Error::bug("HTTP sink task used before start"))
    }

    /// The records' texts and the rows that have none, per the body format (see the module
    /// docs), a column at a time.
    fn value_texts(&self, batch: &Batch) -> Result<(BinaryArray, HashMap<usize, Error>)> {
        let (Some(field), Some(column)) =
            (batch.field(columns::VALUE), batch.column(columns::VALUE))
        else {
            return Err(Error::bug("sink batch without a value column"));
        };
        let mut bad = HashMap::new();
        let plain = self.settings.format != BodyFormat::String
            && self.ctx.as_ref().is_some_and(|c| c.plain_json_values());
        if plain {
            let texts = as_binary(column)?;
            if self.settings.format != BodyFormat::Aiven {
                return Ok((texts, bad));
            }
            // Aiven takes what JsonConverter gives as a String or a Map: a JSON string is sent
            // as its text, an object as it is; anything else is refused.
            if (0..texts.len()).all(|r| texts.is_null(r) || texts.value(r).first() == Some(&b'{')) {
                return Ok((texts, bad));
            }
            let mut out = BinaryBuilder::with_capacity(texts.len(), texts.value_data().len());
            for r in 0..texts.len() {
                if texts.is_null(r) {
                    out.append_null();
                    continue;
                }
                let v = texts.value(r);
                match v.first() {
                    Some(b'{') => out.append_value(v),
                    Some(b'"') => match serde_json::from_slice::<String>(v) {
                        Ok(s) => out.append_value(s.as_bytes()),
                        Err(e) => {
                            bad.insert(
                                r,
                                Error::data(format!("cannot read the value's JSON string: {e}")),
                            );
                            out.append_null();
                        }
                    },
                    _ => {
                        let kind = match v.first() {
                            Some(b'[') => "java.util.ArrayList",
                            Some(b't' | b'f') => "java.lang.Boolean",
                            _ => "java.lang.Number",
                        };
                        bad.insert(r, Error::data(format!(
                            "Record value must be String, Schema Struct or HashMap, but class {kind} is given"
                        )));
                        out.append_null();
                    }
                }
            }
            return Ok((out.finish(), bad));
        }
        if is_text_or_bytes(column.data_type()) {
            return Ok((as_binary(column)?, bad));
        }
        if *column.data_type() == DataType::Null {
            return Ok((BinaryArray::new_null(column.len()), bad));
        }
        match self.settings.format {
            BodyFormat::String => Ok((java_texts(column)?, bad)),
            BodyFormat::Json => Ok((self.encode_json(&field, column)?, bad)),
            BodyFormat::Aiven => {
                if matches!(column.data_type(), DataType::Struct(_) | DataType::Map(..)) {
                    return Ok((self.encode_json(&field, column)?, bad));
                }
                let class = strait_engine::java_text::java_class(column.data_type());
                for r in (0..column.len()).filter(|&r| !column.is_null(r)) {
                    bad.insert(r, Error::data(format!(
                        "Record value must be String, Schema Struct or HashMap, but class {class} is given"
                    )));
                }
                Ok((BinaryArray::new_null(column.len()), bad))
            }
        }
    }

    fn encode_json(
        &self,
        field: &arrow::datatypes::Field,
        column: &ArrayRef,
    ) -> Result<BinaryArray> {
        let json = self
            .json
            .as_ref()
            .ok_or_else(|| Error::bug("HTTP sink JSON encoder missing"))?;
        json.from_connect(field, column)
    }

    /// Key texts as Java's `toString` prints them.
    fn key_texts(batch: &Batch) -> Result<Option<BinaryArray>> {
        let Some(column) = batch.column(columns::KEY) else {
            return Ok(None);
        };
        if is_text_or_bytes(column.data_type()) {
            return Ok(Some(as_binary(column)?));
        }
        if *column.data_type() == DataType::Null {
            return Ok(None);
        }
        Ok(Some(java_texts(column)?))
    }

    /// Apply `regex.patterns` to each text (a new column only when a rule is configured).
    fn apply_regex(&self, ctx: &mut PutCtx) -> Result<()> {
        if self.settings.regex.is_empty() {
            return Ok(());
        }
        let texts = &ctx.texts;
        let mut out = BinaryBuilder::with_capacity(texts.len(), texts.value_data().len());
        for row in 0..texts.len() {
            if texts.is_null(row) {
                out.append_null();
                continue;
            }
            let mut text: std::borrow::Cow<'_, str> = String::from_utf8_lossy(texts.value(row));
            for rule in &self.settings.regex {
                let rendered;
                let replacement = match &rule.fixed {
                    Some(r) => r,
                    None => {
                        let key = ctx.key(row);
                        let topic = ctx.topic(row);
                        let mut s = String::new();
                        rule.template.render_into(&mut s, |name, out| {
                            out.push_str(if name == "key" { &key } else { topic })
                        });
                        rendered = strait_engine::transforms::java_regex::JavaReplacement::parse(
                            &rule.pattern,
                            &s,
                        );
                        &rendered
                    }
                };
                let replaced = rule.pattern.replace_all(&text, replacement).map_err(|e| {
                    Error::config(format!(
                        "regex.replacements for pattern {}: {}: {}",
                        rule.pattern.as_str(),
                        e.class,
                        e.message
                    ))
                })?;
                if let std::borrow::Cow::Owned(s) = replaced {
                    text = std::borrow::Cow::Owned(s);
                }
            }
            out.append_value(text.as_bytes());
        }
        ctx.texts = out.finish();
        Ok(())
    }

    /// The URL of a request whose first record is `row`.
    fn url(&self, ctx: &PutCtx, row: usize) -> String {
        if let Some(u) = &self.fixed_url {
            return u.clone();
        }
        let mut out = String::new();
        let key = ctx.key(row);
        self.settings.url.render_into(&mut out, |name, out| {
            out.push_str(&url_encode(if name == "key" {
                &key
            } else {
                ctx.topic(row)
            }))
        });
        out
    }

    /// prefix + texts joined + suffix.
    fn body(&self, ctx: &PutCtx, rows: &[u32]) -> Vec<u8> {
        let s = &self.settings;
        let (open, sep, close): (&str, &str, &str) = if s.json_array {
            ("[", ",", "]")
        } else {
            ("", s.separator.as_str(), "")
        };
        let size: usize = rows
            .iter()
            .map(|&r| ctx.texts.value(r as usize).len())
            .sum::<usize>()
            + rows.len() * sep.len()
            + s.prefix.len()
            + s.suffix.len()
            + 2;
        let mut body = Vec::with_capacity(size);
        body.extend_from_slice(s.prefix.as_bytes());
        body.extend_from_slice(open.as_bytes());
        for (i, &r) in rows.iter().enumerate() {
            if i > 0 {
                body.extend_from_slice(sep.as_bytes());
            }
            body.extend_from_slice(ctx.texts.value(r as usize));
        }
        body.extend_from_slice(close.as_bytes());
        body.extend_from_slice(s.suffix.as_bytes());
        body
    }

    fn mark(&mut self, rows: &[u32]) {
        if let Some(p) = &mut self.progress {
            for &r in rows {
                p.done[r as usize] = true;
            }
        }
    }

    /// A transport failure: never skip data, have the runtime deliver the batch again.
    fn retriable(&self, url: &str, message: &str) -> Error {
        if let Some(ctx) = &self.ctx {
            ctx.timeout(self.settings.redelivery_backoff);
        }
        Error::external(
            format!(
                "HTTP sink: {url}: {message} (after {} retries); the records will be delivered again",
                self.settings.retry.max_retries
            ),
            true,
        )
    }

    /// A record that cannot be delivered: to the reporter, else per `behavior.on.error`
    /// (`fail_anyway`: fail without a reporter whatever `behavior.on.error` says).
    fn record_failed(
        &mut self,
        ctx: &PutCtx,
        row: usize,
        error: Error,
        fail_anyway: bool,
    ) -> Result<()> {
        if let Some(r) = &self.reporter {
            r.report(&ctx.batch, row, error)?;
        } else {
            let what = ctx.describe(row);
            match self.settings.on_error {
                _ if fail_anyway => {
                    return Err(error.context(format!("HTTP sink, record at {what}")))
                }
                OnError::Fail => return Err(error.context(format!("HTTP sink, record at {what}"))),
                OnError::Log => {
                    tracing::warn!(record = %what, error = %error.message(), "HTTP sink: skipping a record the endpoint refused (behavior.on.error=log)")
                }
                OnError::Ignore => {
                    tracing::debug!(record = %what, error = %error.message(), "HTTP sink: skipping a refused record (behavior.on.error=ignore)")
                }
            }
        }
        self.mark(&[row as u32]);
        Ok(())
    }

    fn refused(url: &str, status: u16, body: &str) -> Error {
        let message = format!("{url} refused the record with HTTP {status}: {body}");
        if (400..500).contains(&status) {
            Error::data(message)
        } else {
            Error::external(message, false)
        }
    }

    /// Send one request for `rows` (their texts, or none with DELETE) and settle every row.
    async fn deliver(&mut self, ctx: &PutCtx, rows: &[u32], method: Method) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let url = self.url(ctx, rows[0] as usize);
        let body = (method != Method::DELETE).then(|| Bytes::from(self.body(ctx, rows)));
        let request = Request {
            method,
            url,
            headers: self.settings.headers.clone(),
            body,
        };
        let outcome = self.client()?.send(&request).await;
        match outcome {
            Ok(r) => {
                tracing::debug!(url = %request.url, records = rows.len(), status = r.status.as_u16(), "HTTP sink request delivered");
                self.mark(rows);
                Ok(())
            }
            Err(Failure::Transport(m)) => Err(self.retriable(&request.url, &m)),
            Err(Failure::Status(r)) => self.split(ctx, rows, request, r).await,
        }
    }

    /// A request was refused: find the records the endpoint refuses (see the module docs).
    async fn split(
        &mut self,
        ctx: &PutCtx,
        rows: &[u32],
        request: Request,
        first: Response,
    ) -> Result<()> {
        let status = first.status.as_u16();
        let text = excerpt(&first.body);
        if rows.len() == 1 || not_about_records(status) {
            for &row in rows {
                self.record_failed(
                    ctx,
                    row as usize,
                    Self::refused(&request.url, status, &text),
                    false,
                )?;
            }
            return Ok(());
        }
        if self.reporter.is_none() && self.settings.on_error == OnError::Fail {
            return Err(Self::refused(&request.url, status, &text).context(format!(
                "HTTP sink: a request of {} records (from {}) was refused",
                rows.len(),
                ctx.describe(rows[0] as usize)
            )));
        }
        tracing::info!(url = %request.url, status, records = rows.len(), "HTTP sink: request refused; splitting it to find the records the endpoint refuses");
        // Depth first, first half first, so records are delivered in their order.
        let mut stack: Vec<(Vec<u32>, u16)> = Vec::new();
        let half = rows.len() / 2;
        stack.push((rows[half..].to_vec(), status));
        stack.push((rows[..half].to_vec(), status));
        while let Some((part, parent)) = stack.pop() {
            let url = self.url(ctx, part[0] as usize);
            let req = Request {
                method: request.method.clone(),
                url,
                headers: request.headers.clone(),
                body: Some(Bytes::from(self.body(ctx, &part))),
            };
            let retry = self.settings.retry.on_status.clone();
            let outcome = self
                .client()?
                .send_with(&req, |s| s != parent && retry.contains(s))
                .await;
            match outcome {
                Ok(_) => self.mark(&part),
                Err(Failure::Transport(m)) => return Err(self.retriable(&req.url, &m)),
                Err(Failure::Status(r)) => {
                    let s = r.status.as_u16();
                    if part.len() == 1 || not_about_records(s) {
                        let text = excerpt(&r.body);
                        for &row in &part {
                            self.record_failed(
                                ctx,
                                row as usize,
                                Self::refused(&req.url, s, &text),
                                false,
                            )?;
                        }
                    } else {
                        let half = part.len() / 2;
                        stack.push((part[half..].to_vec(), s));
                        stack.push((part[..half].to_vec(), s));
                    }
                }
            }
        }
        Ok(())
    }

    async fn put_rows(&mut self, ctx: &PutCtx) -> Result<()> {
        let rows = ctx.batch.num_rows();
        let max = self.settings.batch_max;
        let constant_key = self.settings.batch_key.is_constant();
        let mut groups: Vec<Vec<u32>> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut scratch = String::new();
        let method = self.settings.method.clone();
        for row in 0..rows {
            if self.progress.as_ref().is_some_and(|p| p.done[row]) {
                continue;
            }
            if let Some(e) = (!ctx.bad.is_empty()).then(|| ctx.bad.get(&row)).flatten() {
                let e = Error::new(e.fault(), e.message());
                self.record_failed(ctx, row, e, true)?;
                continue;
            }
            if ctx.texts.is_null(row) {
                match self.settings.null_values {
                    NullValues::Ignore => {
                        tracing::trace!(record = %ctx.describe(row), "HTTP sink: ignoring a null value");
                        self.mark(&[row as u32]);
                    }
                    NullValues::Log => {
                        tracing::warn!(record = %ctx.describe(row), "HTTP sink: ignoring a record with a null value (behavior.on.null.values=log)");
                        self.mark(&[row as u32]);
                    }
                    NullValues::Fail => {
                        let message = if self.settings.format == BodyFormat::Aiven {
                            "Record value must not be null"
                        } else {
                            "Record value must not be null (behavior.on.null.values=fail)"
                        };
                        self.record_failed(ctx, row, Error::data(message), true)?;
                    }
                    NullValues::Delete => {
                        // Earlier records first, so a delete follows the writes before it.
                        for g in std::mem::take(&mut groups) {
                            self.deliver(ctx, &g, method.clone()).await?;
                        }
                        index.clear();
                        self.deliver(ctx, &[row as u32], Method::DELETE).await?;
                    }
                }
                continue;
            }
            let g = if constant_key {
                if groups.is_empty() {
                    groups.push(Vec::with_capacity(max.min(rows)));
                }
                0
            } else {
                scratch.clear();
                let key = ctx.key(row);
                let topic = ctx.topic(row);
                self.settings
                    .batch_key
                    .render_into(&mut scratch, |name, out| {
                        out.push_str(if name == "key" { &key } else { topic })
                    });
                match index.get(scratch.as_str()) {
                    Some(&g) => g,
                    None => {
                        groups.push(Vec::new());
                        index.insert(scratch.clone(), groups.len() - 1);
                        groups.len() - 1
                    }
                }
            };
            groups[g].push(row as u32);
            if groups[g].len() >= max {
                let full = std::mem::take(&mut groups[g]);
                self.deliver(ctx, &full, method.clone()).await?;
            }
        }
        for g in groups {
            self.deliver(ctx, &g, method.clone()).await?;
        }
        Ok(())
    }
}

#[async_trait]
impl SinkTask for HttpSinkTask {
    fn input(&self) -> SinkInput {
        match self.settings.format {
            BodyFormat::String => SinkInput::Decoded,
            _ => SinkInput::JsonValue {
                decode_key: self.settings.uses_key(),
            },
        }
    }

    /// Record headers are not sent (the DLQ still gets them: the runtime reads them for it).
    fn needs_headers(&self) -> bool {
        false
    }

    async fn start(&mut self, ctx: SinkTaskContext) -> Result<()> {
        let s = &self.settings;
        self.client = Some(HttpClient::new(
            &s.transport,
            s.auth.clone(),
            s.retry.clone(),
        )?);
        if s.format != BodyFormat::String {
            let mut props = Props::new();
            props.insert("schemas.enable".into(), "false".into());
            self.json = Some(strait_formats::json::JsonConverter::new(&props, false)?);
        }
        self.reporter = if self.tolerate_all {
            ctx.errant_record_reporter()
        } else {
            None
        };
        let sensitive = &s.sensitive;
        let shown: Vec<String> = s
            .headers
            .iter()
            .map(|(n, v)| {
                if sensitive.iter().any(|x| x.eq_ignore_ascii_case(n))
                    || n.eq_ignore_ascii_case("authorization")
                {
                    format!("{n}: [hidden]")
                } else {
                    format!("{n}: {v}")
                }
            })
            .collect();
        tracing::info!(task = ctx.task_id, url = %s.url.render(&[]), method = %s.method, headers = ?shown, batch_max = s.batch_max, "HTTP sink task started");
        self.ctx = Some(ctx);
        Ok(())
    }

    async fn put(&mut self, batch: Batch) -> Result<()> {
        let rows = batch.num_rows();
        if rows == 0 {
            return Ok(());
        }
        let offsets = batch.provenance.commit_offsets();
        let resumed = self
            .progress
            .take()
            .filter(|p| p.offsets == offsets && p.done.len() == rows);
        self.progress = Some(resumed.unwrap_or(Progress {
            offsets,
            done: vec![false; rows],
        }));
        let (texts, bad) = self.value_texts(&batch)?;
        let keys = if self.settings.uses_key() {
            Self::key_texts(&batch)?
        } else {
            None
        };
        let topics = batch
            .column(columns::TOPIC)
            .cloned()
            .ok_or_else(|| Error::bug("sink batch without a topic column"))?;
        let partitions = batch
            .column(columns::PARTITION)
            .and_then(|c| c.as_any().downcast_ref::<Int32Array>())
            .cloned();
        let offsets = batch
            .column(columns::OFFSET)
            .and_then(|c| c.as_any().downcast_ref::<Int64Array>())
            .cloned();
        let mut ctx = PutCtx {
            batch,
            texts,
            bad,
            keys,
            topics,
            partitions,
            offsets,
        };
        self.apply_regex(&mut ctx)?;
        let result = self.put_rows(&ctx).await;
        match &result {
            // Kept for the redelivery of this batch.
            Err(e) if e.is_retriable() => {}
            _ => self.progress = None,
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    use arrow::array::{RecordBatch, StringArray};
    use arrow::datatypes::{Field, Schema};
    use strait_engine::batch::{OffsetRange, Provenance, TopicPartition};

    use super::config::parse_confluent;

    fn batch(values: &[Option<&str>], keys: &[Option<&str>]) -> Batch {
        let n = values.len();
        let schema = Arc::new(Schema::new(vec![
            Field::new(columns::TOPIC, DataType::Utf8, false),
            Field::new(columns::PARTITION, DataType::Int32, false),
            Field::new(columns::OFFSET, DataType::Int64, false),
            Field::new(columns::KEY, DataType::Utf8, true),
            Field::new(columns::VALUE, DataType::Utf8, true),
        ]));
        let records = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(vec!["t"; n])),
                Arc::new(Int32Array::from(vec![0; n])),
                Arc::new(Int64Array::from((0..n as i64).collect::<Vec<_>>())),
                Arc::new(StringArray::from(keys.to_vec())),
                Arc::new(StringArray::from(values.to_vec())),
            ],
        )
        .unwrap();
        let mut ranges = std::collections::BTreeMap::new();
        ranges.insert(
            TopicPartition::new("t", 0),
            OffsetRange {
                first: 0,
                last: n as i64 - 1,
            },
        );
        Batch::new(records, Provenance::Sink(ranges))
    }

    fn task(extra: &[(&str, &str)]) -> HttpSinkTask {
        let mut p: Props = [(
            "http.api.url".to_string(),
            "http://h/${topic}/${key}".to_string(),
        )]
        .into();
        for (k, v) in extra {
            p.insert(k.to_string(), v.to_string());
        }
        HttpSinkTask::new(parse_confluent(&p).unwrap(), false)
    }

    fn ctx_of(t: &HttpSinkTask, b: Batch) -> PutCtx {
        let (texts, bad) = t.value_texts(&b).unwrap();
        let keys = HttpSinkTask::key_texts(&b).unwrap();
        let topics = b.column(columns::TOPIC).cloned().unwrap();
        let mut c = PutCtx {
            batch: b,
            texts,
            bad,
            keys,
            topics,
            partitions: None,
            offsets: None,
        };
        t.apply_regex(&mut c).unwrap();
        c
    }

    #[test]
    fn bodies_have_the_configured_framing() {
        let t = task(&[
            ("batch.prefix", "<"),
            ("batch.suffix", ">\n"),
            ("batch.separator", " | "),
        ]);
        let c = ctx_of(
            &t,
            batch(&[Some("a"), Some("b"), Some("c")], &[None, None, None]),
        );
        assert_eq!(t.body(&c, &[0, 1, 2]), b"<a | b | c>\n");
        assert_eq!(t.body(&c, &[1]), b"<b>\n");
        let t = task(&[
            ("request.body.format", "json"),
            ("batch.json.as.array", "true"),
        ]);
        let c = ctx_of(&t, batch(&[Some("{\"a\":1}"), Some("2")], &[None, None]));
        assert_eq!(t.body(&c, &[0, 1]), b"[{\"a\":1},2]");
    }

    #[test]
    fn urls_are_templated_and_encoded() {
        let t = task(&[]);
        let c = ctx_of(&t, batch(&[Some("a"), Some("b")], &[Some("k 1/x"), None]));
        assert_eq!(t.url(&c, 0), "http://h/t/k%201%2Fx");
        assert_eq!(t.url(&c, 1), "http://h/t/", "a null key is empty");
    }

    #[test]
    fn regexes_rewrite_each_record() {
        let t = task(&[
            ("regex.patterns", "(\\d+)~x"),
            ("regex.replacements", "<$1>~${key}"),
        ]);
        let c = ctx_of(
            &t,
            batch(&[Some("a1b22x"), Some("none")], &[Some("K"), Some("L")]),
        );
        assert_eq!(c.texts.value(0), b"a<1>b<22>K");
        assert_eq!(c.texts.value(1), b"none");
    }

    #[test]
    fn decoded_values_print_as_java_or_json() {
        let schema = Arc::new(Schema::new(vec![
            Field::new(columns::TOPIC, DataType::Utf8, false),
            Field::new(columns::VALUE, DataType::Int64, true),
        ]));
        let records = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(vec!["t", "t"])),
                Arc::new(Int64Array::from(vec![Some(7), None])),
            ],
        )
        .unwrap();
        let b = Batch::new(records, Provenance::None);
        let t = task(&[]);
        let (texts, bad) = t.value_texts(&b).unwrap();
        assert!(bad.is_empty());
        assert_eq!(texts.value(0), b"7");
        assert!(texts.is_null(1));
        // Aiven refuses numbers, row by row.
        let p: Props = [
            ("http.url".to_string(), "http://h".to_string()),
            ("http.authorization.type".to_string(), "none".to_string()),
        ]
        .into();
        let a = HttpSinkTask::new(super::config::parse_aiven(&p).unwrap(), false);
        let (_, bad) = a.value_texts(&b).unwrap();
        assert_eq!(bad.len(), 1);
        assert!(bad[&0]
            .message()
            .contains("must be String, Schema Struct or HashMap"));
    }

    /// An in-process double of the endpoint for the splitting logic: a server that refuses
    /// every body containing "bad".
    #[tokio::test]
    async fn splitting_finds_the_refused_records() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let bodies: Arc<Mutex<Vec<String>>> = Arc::default();
        let seen = bodies.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut s, _)) = listener.accept().await else {
                    return;
                };
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    loop {
                        let n = s.read(&mut chunk).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        let text = String::from_utf8_lossy(&buf).to_string();
                        let Some(end) = text.find("\r\n\r\n") else {
                            continue;
                        };
                        let len: usize = text[..end]
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse().unwrap())
                            })
                            .unwrap_or(0);
                        if buf.len() < end + 4 + len {
                            continue;
                        }
                        let body =
                            String::from_utf8_lossy(&buf[end + 4..end + 4 + len]).to_string();
                        buf.drain(..end + 4 + len);
                        let (status, reply) = if body.contains("bad") {
                            ("400 Bad Request", "no bad please")
                        } else {
                            ("200 OK", "ok")
                        };
                        seen.lock().unwrap().push(body);
                        let resp = format!(
                            "HTTP/1.1 {status}\r\ncontent-length: {}\r\n\r\n{reply}",
                            reply.len()
                        );
                        if s.write_all(resp.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        let url = format!("http://127.0.0.1:{port}/in");
        let p: Props = [
            ("http.api.url".to_string(), url),
            ("batch.max.size".to_string(), "8".to_string()),
            ("behavior.on.error".to_string(), "log".to_string()),
            ("max.retries".to_string(), "0".to_string()),
        ]
        .into();
        let mut t = HttpSinkTask::new(parse_confluent(&p).unwrap(), false);
        t.start(SinkTaskContext::new("c", 0)).await.unwrap();
        let values = ["a", "b", "bad1", "c", "d", "e", "bad2", "f"];
        let b = batch(
            &values.iter().map(|v| Some(*v)).collect::<Vec<_>>(),
            &[None; 8],
        );
        t.put(b).await.unwrap();
        let bodies = bodies.lock().unwrap().clone();
        // Every good record delivered exactly once, in order.
        let delivered: Vec<String> = bodies
            .iter()
            .filter(|b| !b.contains("bad"))
            .flat_map(|b| b.split(',').map(str::to_string).collect::<Vec<_>>())
            .collect();
        assert_eq!(delivered, ["a", "b", "c", "d", "e", "f"], "{bodies:?}");
        // The whole batch, then halves and quarters, then the two single records.
        assert!(bodies.contains(&"bad1".to_string()) && bodies.contains(&"bad2".to_string()));
        assert!(bodies.len() <= 12, "{bodies:?}");

        // behavior.on.error=fail: no splitting, the task fails naming status and body.
        let p: Props = [
            (
                "http.api.url".to_string(),
                format!("http://127.0.0.1:{port}/in"),
            ),
            ("batch.max.size".to_string(), "8".to_string()),
            ("max.retries".to_string(), "0".to_string()),
        ]
        .into();
        let mut t = HttpSinkTask::new(parse_confluent(&p).unwrap(), false);
        t.start(SinkTaskContext::new("c", 0)).await.unwrap();
        let b = batch(
            &values.iter().map(|v| Some(*v)).collect::<Vec<_>>(),
            &[None; 8],
        );
        let e = t.put(b).await.unwrap_err();
        assert!(!e.is_retriable());
        assert!(
            e.message().contains("HTTP 400") && e.message().contains("no bad please"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn transport_failures_are_retriable_and_redelivery_skips_what_was_done() {
        // Nothing listens on this port.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let p: Props = [
            (
                "http.api.url".to_string(),
                format!("http://127.0.0.1:{port}/x"),
            ),
            ("max.retries".to_string(), "0".to_string()),
        ]
        .into();
        let mut t = HttpSinkTask::new(parse_confluent(&p).unwrap(), false);
        t.start(SinkTaskContext::new("c", 0)).await.unwrap();
        let e = t.put(batch(&[Some("a")], &[None])).await.unwrap_err();
        assert!(e.is_retriable(), "{e}");
        assert!(t.progress.is_some(), "kept for the redelivery");
        // The same batch again (a redelivery): its done row is not sent again.
        t.progress.as_mut().unwrap().done[0] = true;
        let b = batch(&[Some("a")], &[None]);
        t.put(b).await.unwrap();
        assert!(
            t.progress.is_none(),
            "the done row was skipped, nothing sent"
        );
    }
}
