//! The HTTP side: one connection pool to the cluster's URLs (taken in turn, the next one after a
//! connection failure), the index / data stream / mapping calls Confluent's
//! `ElasticsearchClient` makes, the bulk call, and the retry policy.
//!
//! Requests are plain `application/json` / `application/x-ndjson` with no Elasticsearch 8
//! compatibility media types, so OpenSearch 2.x and Elasticsearch 7 and 8 all accept them.
//!
//! Retries follow Confluent's `RetryUtil`: `max.retries + 1` attempts, waiting a random time in
//! [0, `retry.backoff.ms` · 2^attempt) (capped at 24 h) between them. Beyond Confluent: a
//! failure that says the cluster is unreachable or overloaded (connection refused or reset, a
//! timeout, HTTP 429, 502, 503, 504) keeps being retried after `max.retries` while less than
//! `flush.timeout.ms` has passed since the first attempt, waiting at most 10 s between tries, so
//! a cluster restart or a burst of rejections slows the sink down (its partitions pause, see the
//! task) instead of failing it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use rand::Rng;
use reqwest::header::{HeaderValue, CONTENT_ENCODING, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use strait_engine::error::{Error, Result};

/// What the client needs from the connector's configuration.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    pub urls: Vec<String>,
    pub basic_auth: Option<(String, String)>,
    pub compression: bool,
    pub connection_timeout: Duration,
    pub read_timeout: Duration,
    pub idle_timeout: Duration,
    pub proxy: Option<(String, Option<(String, String)>)>,
    /// PEM files: trusted CA certificates, and the client's certificate chain and key.
    pub trust_pem: Option<String>,
    pub identity_pem: Option<String>,
    pub verify_hostname: bool,
    pub retry: RetryPolicy,
}

/// Confluent's retry policy plus Strait's patience for an unavailable cluster (module docs).
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub max_retries: u32,
    pub backoff_ms: u64,
    pub patience: Duration,
}

/// Longest wait between two tries once `max.retries` is spent.
const PATIENT_BACKOFF_CAP: Duration = Duration::from_secs(10);
/// Confluent's `RetryUtil.MAX_RETRY_TIME_MS`.
const MAX_RETRY_TIME_MS: u64 = 24 * 60 * 60 * 1000;

impl RetryPolicy {
    /// Confluent's `computeRetryWaitTimeInMillis`.
    pub fn max_wait_ms(&self, attempt: u32) -> u64 {
        if attempt == 0 {
            return self.backoff_ms;
        }
        if attempt > 32 {
            return MAX_RETRY_TIME_MS;
        }
        self.backoff_ms
            .checked_shl(attempt)
            .filter(|v| v >> attempt == self.backoff_ms)
            .map_or(MAX_RETRY_TIME_MS, |v| v.min(MAX_RETRY_TIME_MS))
    }

    /// How long to wait before try `attempt + 1` after `attempt` failed tries that began at
    /// `first`, or `None` to give up.
    pub fn next_wait(&self, attempt: u32, first: Instant, transient: bool) -> Option<Duration> {
        let max = self.max_wait_ms(attempt);
        let wait = Duration::from_millis(if max == 0 {
            0
        } else {
            rand::rng().random_range(0..max)
        });
        if attempt <= self.max_retries {
            return Some(wait);
        }
        (transient && first.elapsed() < self.patience).then(|| wait.min(PATIENT_BACKOFF_CAP))
    }
}

/// Why a call failed.
#[derive(Debug)]
pub struct CallError {
    pub message: String,
    /// The cluster is unreachable or overloaded: worth waiting for.
    pub transient: bool,
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

fn transient_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 502 | 503 | 504)
}

/// A response: status and body.
#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    pub body: Bytes,
}

#[derive(Debug)]
pub struct EsClient {
    http: reqwest::Client,
    urls: Vec<String>,
    next: AtomicUsize,
    auth: Option<(String, String)>,
    compression: bool,
    pub retry: RetryPolicy,
}

impl EsClient {
    pub fn new(s: &ClientSettings) -> Result<Self> {
        let mut b = reqwest::Client::builder()
            .connect_timeout(s.connection_timeout)
            .read_timeout(s.read_timeout)
            .pool_idle_timeout(s.idle_timeout)
            .tcp_nodelay(true);
        if let Some((url, auth)) = &s.proxy {
            let mut proxy = reqwest::Proxy::all(url.as_str())
                .map_err(|e| Error::config(format!("invalid proxy {url}: {e}")))?;
            if let Some((user, pass)) = auth {
                proxy = proxy.basic_auth(user, pass);
            }
            b = b.proxy(proxy);
        } else {
            b = b.no_proxy();
        }
        if let Some(path) = &s.trust_pem {
            let pem = std::fs::read(path).map_err(|e| {
                Error::config(format!(
                    "cannot read elastic.https.ssl.truststore.location {path}: {e}"
                ))
            })?;
            for cert in reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                Error::config(format!("elastic.https.ssl.truststore.location {path}: {e}"))
            })? {
                b = b.add_root_certificate(cert);
            }
        }
        if let Some(path) = &s.identity_pem {
            let pem = std::fs::read(path).map_err(|e| {
                Error::config(format!(
                    "cannot read elastic.https.ssl.keystore.location {path}: {e}"
                ))
            })?;
            let id = reqwest::Identity::from_pem(&pem).map_err(|e| {
                Error::config(format!("elastic.https.ssl.keystore.location {path}: {e}"))
            })?;
            b = b.identity(id);
        }
        if !s.verify_hostname {
            b = b.danger_accept_invalid_hostnames(true);
        }
        let http = b
            .build()
            .map_err(|e| Error::config(format!("cannot build the HTTP client: {e}")))?;
        Ok(EsClient {
            http,
            urls: s
                .urls
                .iter()
                .map(|u| u.trim_end_matches('/').to_string())
                .collect(),
            next: AtomicUsize::new(0),
            auth: s.basic_auth.clone(),
            compression: s.compression,
            retry: s.retry,
        })
    }

    /// One try against the next URL.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<(Bytes, &'static str)>,
    ) -> std::result::Result<Response, CallError> {
        let i = self.next.load(Ordering::Relaxed) % self.urls.len().max(1);
        let url = format!("{}{}", self.urls.get(i).map_or("", String::as_str), path);
        let mut req = self.http.request(method, &url);
        if let Some((user, pass)) = &self.auth {
            req = req.basic_auth(user, Some(pass));
        }
        if let Some((bytes, content_type)) = body {
            req = req.header(CONTENT_TYPE, HeaderValue::from_static(content_type));
            if self.compression {
                req = req
                    .header(CONTENT_ENCODING, HeaderValue::from_static("gzip"))
                    .body(gzip(&bytes));
            } else {
                req = req.body(bytes);
            }
        }
        let failed = |e: reqwest::Error| {
            // The next try goes to the next URL.
            self.next.fetch_add(1, Ordering::Relaxed);
            CallError {
                message: format!("{url}: {}", error_chain(&e)),
                transient: e.is_connect() || e.is_timeout() || e.is_request() || e.is_body(),
            }
        };
        let resp = req.send().await.map_err(failed)?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(failed)?;
        if transient_status(status) {
            self.next.fetch_add(1, Ordering::Relaxed);
            return Err(CallError {
                message: format!("{url}: HTTP {status}: {}", excerpt(&body)),
                transient: true,
            });
        }
        Ok(Response { status, body })
    }

    /// `call` with the retry policy; `what` names the call in errors (Confluent's wording:
    /// `Failed to <what> due to '…' after N attempt(s)`). Any answer that is not transient
    /// ends the retries and is returned, whatever its status.
    pub async fn call_with_retries(
        &self,
        what: &str,
        method: Method,
        path: &str,
        body: Option<(Bytes, &'static str)>,
    ) -> Result<Response> {
        let first = Instant::now();
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            match self.call(method.clone(), path, body.clone()).await {
                Ok(r) => return Ok(r),
                Err(e) => match self.retry.next_wait(attempt, first, e.transient) {
                    Some(wait) => {
                        tracing::warn!(error = %e, attempt, wait_ms = wait.as_millis() as u64, "failed to {what}; retrying");
                        tokio::time::sleep(wait).await;
                    }
                    None => {
                        return Err(Error::external(
                            format!(
                                "Failed to {what} due to '{}' after {attempt} attempt(s)",
                                e.message
                            ),
                            false,
                        ))
                    }
                },
            }
        }
    }

    /// The server's version number (`GET /`), or "Unknown" as Confluent logs it.
    pub async fn version(&self) -> String {
        match self.call(Method::GET, "/", None).await {
            Ok(r) if r.status.is_success() => serde_json::from_slice::<serde_json::Value>(&r.body)
                .ok()
                .and_then(|v| v["version"]["number"].as_str().map(str::to_string))
                .unwrap_or_else(|| "Unknown".into()),
            _ => "Unknown".into(),
        }
    }

    pub async fn index_exists(&self, index: &str) -> Result<bool> {
        let r = self
            .call_with_retries(
                &format!("check if index {index} exists"),
                Method::HEAD,
                &format!("/{}", encode_path(index)),
                None,
            )
            .await?;
        match r.status.as_u16() {
            200 => Ok(true),
            404 => Ok(false),
            _ => Err(status_error(&format!("check if index {index} exists"), &r)),
        }
    }

    /// Create an index, or a data stream; `false` when it already existed.
    pub async fn create(&self, name: &str, data_stream: bool) -> Result<bool> {
        let (what, path, body) = if data_stream {
            (
                format!("create data stream {name}"),
                format!("/_data_stream/{}", encode_path(name)),
                None,
            )
        } else {
            (
                format!("create index {name}"),
                format!("/{}", encode_path(name)),
                Some((Bytes::from_static(b"{}"), "application/json")),
            )
        };
        let r = self
            .call_with_retries(&what, Method::PUT, &path, body)
            .await?;
        if r.status.is_success() {
            return Ok(true);
        }
        if excerpt(&r.body).contains("resource_already_exists_exception") {
            return Ok(false);
        }
        Err(status_error(&what, &r))
    }

    /// Whether the index has a non-empty mapping (Confluent's `hasMapping`).
    pub async fn has_mapping(&self, index: &str) -> Result<bool> {
        let what = format!("get mapping for index {index}");
        let r = self
            .call_with_retries(
                &what,
                Method::GET,
                &format!("/{}/_mapping", encode_path(index)),
                None,
            )
            .await?;
        if r.status.as_u16() == 404 {
            return Ok(false);
        }
        if !r.status.is_success() {
            return Err(status_error(&what, &r));
        }
        let v: serde_json::Value = serde_json::from_slice(&r.body)
            .map_err(|e| Error::external(format!("{what}: unreadable answer: {e}"), false))?;
        // {"<index>": {"mappings": {...}}}; an alias answers with the index behind it.
        Ok(v.as_object().is_some_and(|o| {
            o.values()
                .any(|m| m["mappings"].as_object().is_some_and(|mm| !mm.is_empty()))
        }))
    }

    pub async fn put_mapping(&self, index: &str, mapping: &serde_json::Value) -> Result<()> {
        let what = format!("create mapping for resource {index}");
        let body = Bytes::from(serde_json::to_vec(mapping).map_err(|e| Error::bug(e.to_string()))?);
        let r = self
            .call_with_retries(
                &what,
                Method::PUT,
                &format!("/{}/_mapping", encode_path(index)),
                Some((body, "application/json")),
            )
            .await?;
        if r.status.is_success() {
            Ok(())
        } else {
            Err(status_error(&what, &r))
        }
    }

    /// One bulk call (no retries: the caller retries what failed).
    pub async fn bulk(&self, body: Bytes) -> std::result::Result<Response, CallError> {
        self.call(Method::POST, "/_bulk", Some((body, "application/x-ndjson")))
            .await
    }
}

/// A call answered with an unexpected status: the server's error, as Confluent reports it.
pub fn status_error(what: &str, r: &Response) -> Error {
    Error::external(
        format!("Failed to {what}: HTTP {}: {}", r.status, excerpt(&r.body)),
        false,
    )
}

/// At most 2000 characters of a body, for messages.
pub fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    match text.char_indices().nth(2000) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.into_owned(),
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 4),
        flate2::Compression::fast(),
    );
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
}

/// Percent-encode an index or data stream name for a URL path (names may hold `+`, `#`, …).
pub fn encode_path(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_confluents_with_patience_for_transient_failures() {
        let p = RetryPolicy {
            max_retries: 2,
            backoff_ms: 100,
            patience: Duration::from_secs(60),
        };
        assert_eq!(p.max_wait_ms(0), 100);
        assert_eq!(p.max_wait_ms(1), 200);
        assert_eq!(p.max_wait_ms(3), 800);
        assert_eq!(p.max_wait_ms(40), MAX_RETRY_TIME_MS);
        let now = Instant::now();
        for attempt in 1..=2 {
            let w = p
                .next_wait(attempt, now, false)
                .expect("within max.retries");
            assert!(w < Duration::from_millis(p.max_wait_ms(attempt)));
        }
        // Spent: only a transient failure within the patience goes on, capped at 10 s.
        assert!(p.next_wait(3, now, false).is_none());
        let w = p.next_wait(30, now, true).expect("patient");
        assert!(w <= PATIENT_BACKOFF_CAP);
        let long_ago = Instant::now() - Duration::from_secs(61);
        assert!(p.next_wait(3, long_ago, true).is_none());
    }

    #[test]
    fn paths_are_percent_encoded() {
        assert_eq!(encode_path("logs-a.b_c"), "logs-a.b_c");
        assert_eq!(encode_path("a+b#c"), "a%2Bb%23c");
    }

    #[test]
    fn gzip_round_trips() {
        use std::io::Read;
        let body = b"{\"index\":{}}\n{\"a\":1}\n".repeat(100);
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&gzip(&body)[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, body);
    }
}
