//! The HTTP side shared by the HTTP source and sink: one pooled client with the TLS, proxy and
//! timeout settings, authentication (none, basic, a static bearer token, OAuth2 client
//! credentials with a cached token refreshed before it expires and after a 401), and the retry
//! loop (`max.retries`, `retry.backoff.ms` with Confluent's EXPONENTIAL_WITH_JITTER or
//! CONSTANT_VALUE policy, `retry.on.status.codes` ranges, and a server's `Retry-After`).
//!
//! Everything here is validated when the connector's config is parsed (no I/O); the client
//! itself is built when a task starts.

use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use rand::Rng;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use strait_engine::error::{Error, Result};
use tokio::sync::Mutex;

/// Longest wait a server's `Retry-After` can impose on one try; a longer one is cut to this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(600);
/// Confluent's cap on one backoff (`RetryUtil.MAX_RETRY_TIME_MS`).
const MAX_BACKOFF_MS: u64 = 24 * 60 * 60 * 1000;
/// An OAuth2 token is fetched again this long before the `expires_in` the server gave.
const TOKEN_EXPIRY_MARGIN: Duration = Duration::from_secs(30);
/// How much of a failed response's body an error message quotes.
pub const BODY_EXCERPT: usize = 256;

/// A set of HTTP status codes, written as Confluent writes `retry.on.status.codes`: a comma
/// separated list of codes and ranges, `408`, `500-599`, or open-ended `500-` (every code from
/// 500 on).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatusCodes {
    ranges: Vec<(u16, u16)>,
}

impl StatusCodes {
    /// Parse `408, 429, 500-`; `key` names the config key in errors.
    pub fn parse(key: &str, text: &str) -> Result<Self> {
        let mut ranges = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let bad = || {
                Error::config(format!(
                    "Invalid value {text} for configuration {key}: '{part}' is not a status \
                     code (100-599), a range 'from-to' or an open range 'from-'"
                ))
            };
            let code = |s: &str| -> Result<u16> {
                s.trim()
                    .parse::<u16>()
                    .ok()
                    .filter(|c| (100..=599).contains(c))
                    .ok_or_else(bad)
            };
            let range = match part.split_once('-') {
                None => {
                    let c = code(part)?;
                    (c, c)
                }
                Some((from, to)) if to.trim().is_empty() => (code(from)?, 599),
                Some((from, to)) => (code(from)?, code(to)?),
            };
            if range.0 > range.1 {
                return Err(bad());
            }
            ranges.push(range);
        }
        Ok(StatusCodes { ranges })
    }

    pub fn contains(&self, status: u16) -> bool {
        self.ranges
            .iter()
            .any(|&(lo, hi)| (lo..=hi).contains(&status))
    }
}

/// `retry.backoff.policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackoffPolicy {
    /// A random wait in `[0, retry.backoff.ms · 2^attempt)` (Confluent's default).
    ExponentialWithJitter,
    /// `retry.backoff.ms` every time.
    ConstantValue,
}

impl BackoffPolicy {
    pub fn parse(key: &str, text: &str) -> Result<Self> {
        match text.trim().to_ascii_uppercase().as_str() {
            "EXPONENTIAL_WITH_JITTER" => Ok(BackoffPolicy::ExponentialWithJitter),
            "CONSTANT_VALUE" => Ok(BackoffPolicy::ConstantValue),
            _ => Err(Error::config(format!(
                "Invalid value {text} for configuration {key}: must be one of \
                 EXPONENTIAL_WITH_JITTER, CONSTANT_VALUE"
            ))),
        }
    }
}

/// When and how often a failed request is tried again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_retries: u32,
    pub backoff_ms: u64,
    pub policy: BackoffPolicy,
    /// Statuses worth another try. Connection errors and timeouts always are.
    pub on_status: StatusCodes,
}

impl RetryPolicy {
    /// The wait before try `attempt + 2` after try `attempt + 1` failed (`attempt` from 0).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let ms = match self.policy {
            BackoffPolicy::ConstantValue => self.backoff_ms,
            BackoffPolicy::ExponentialWithJitter => {
                let max = if attempt >= 32 {
                    MAX_BACKOFF_MS
                } else {
                    self.backoff_ms
                        .checked_shl(attempt)
                        .filter(|v| v >> attempt == self.backoff_ms)
                        .map_or(MAX_BACKOFF_MS, |v| v.min(MAX_BACKOFF_MS))
                };
                if max == 0 {
                    0
                } else {
                    rand::rng().random_range(0..max)
                }
            }
        };
        Duration::from_millis(ms)
    }
}

/// How the client authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    None,
    Basic {
        user: String,
        password: String,
    },
    /// A static `Authorization: Bearer <token>`.
    Bearer(String),
    OAuth2(OAuth2),
}

/// OAuth2 client-credentials settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuth2 {
    pub token_url: String,
    pub client_id: String,
    pub client_secret: String,
    /// The token response's property holding the token (`access_token`).
    pub token_property: String,
    /// Sent as `scope` unless empty.
    pub scope: String,
    /// Client credentials in an `Authorization: Basic` header (true) or in the form (false).
    pub credentials_in_header: bool,
    /// Form field names and the grant type (Aiven makes them configurable).
    pub grant_type: String,
    pub grant_type_property: String,
    pub client_id_property: String,
    pub client_secret_property: String,
}

impl OAuth2 {
    /// Confluent's field names and grant.
    pub fn new(token_url: String, client_id: String, client_secret: String) -> Self {
        OAuth2 {
            token_url,
            client_id,
            client_secret,
            token_property: "access_token".into(),
            scope: String::new(),
            credentials_in_header: true,
            grant_type: "client_credentials".into(),
            grant_type_property: "grant_type".into(),
            client_id_property: "client_id".into(),
            client_secret_property: "client_secret".into(),
        }
    }
}

/// TLS, proxy and timeouts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transport {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// PEM bundle of trusted CA certificates (added to the system's roots).
    pub trust_pem: Option<String>,
    /// PEM file with the client's certificate chain and private key.
    pub identity_pem: Option<String>,
    pub verify_hostname: bool,
    /// Accept any server certificate (Aiven's `http.ssl.trust.all.certs`).
    pub trust_all: bool,
    /// `http://host:port` and optional credentials.
    pub proxy: Option<(String, Option<(String, String)>)>,
}

impl Default for Transport {
    fn default() -> Self {
        Transport {
            connect_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(30),
            trust_pem: None,
            identity_pem: None,
            verify_hostname: true,
            trust_all: false,
            proxy: None,
        }
    }
}

/// Reject key-store types Strait cannot read, with what to do instead.
pub fn check_store_type(key: &str, value: &str) -> Result<()> {
    if value.trim().eq_ignore_ascii_case("PEM") {
        Ok(())
    } else {
        Err(Error::unsupported(format!(
            "{key}={value} is not supported: Strait reads PEM files only (convert a JKS or \
             PKCS12 store with keytool/openssl and set {key}=PEM)"
        )))
    }
}

/// One request: everything but authentication, which the client adds.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Bytes>,
}

/// A response the server sent.
#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Response {
    /// The start of the body, as text, for error messages.
    pub fn excerpt(&self) -> String {
        excerpt(&self.body)
    }
}

/// The start of a body as text, cut at [`BODY_EXCERPT`] bytes on a character boundary.
pub fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(BODY_EXCERPT + 4)]);
    let mut end = text.len().min(BODY_EXCERPT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = text[..end].to_string();
    if body.len() > BODY_EXCERPT {
        out.push('…');
    }
    out
}

/// The outcome of [`HttpClient::send`] once the retries are spent.
#[derive(Debug)]
pub enum Failure {
    /// The server answered with a status that is not 2xx (the last answer).
    Status(Response),
    /// No answer: connection refused or reset, a timeout, TLS.
    Transport(String),
}

impl Failure {
    /// The failure as an engine error: the server's fault, retriable when the last problem
    /// was one the retry policy retries.
    pub fn into_error(self, url: &str, retriable: bool) -> Error {
        match self {
            Failure::Status(r) => Error::external(
                format!("{url} answered HTTP {}: {}", r.status.as_u16(), r.excerpt()),
                retriable,
            ),
            Failure::Transport(m) => Error::external(format!("{url}: {m}"), retriable),
        }
    }
}

#[derive(Debug)]
struct Token {
    value: String,
    refresh_at: Option<Instant>,
}

/// A pooled client with authentication and retries.
#[derive(Debug)]
pub struct HttpClient {
    http: reqwest::Client,
    auth: Auth,
    pub retry: RetryPolicy,
    token: Mutex<Option<Token>>,
}

/// The chain of causes of a reqwest error (its own message hides the interesting part).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !out.contains(&s_text) {
            out.push_str(": ");
            out.push_str(&s_text);
        }
        source = s.source();
    }
    out
}

impl HttpClient {
    pub fn new(transport: &Transport, auth: Auth, retry: RetryPolicy) -> Result<Self> {
        let mut b = reqwest::Client::builder()
            .connect_timeout(transport.connect_timeout)
            .timeout(transport.request_timeout)
            .tcp_nodelay(true);
        if let Some((url, credentials)) = &transport.proxy {
            let mut proxy = reqwest::Proxy::all(url.as_str())
                .map_err(|e| Error::config(format!("invalid proxy {url}: {e}")))?;
            if let Some((user, pass)) = credentials {
                proxy = proxy.basic_auth(user, pass);
            }
            b = b.proxy(proxy);
        } else {
            b = b.no_proxy();
        }
        if let Some(path) = &transport.trust_pem {
            let pem = std::fs::read(path)
                .map_err(|e| Error::config(format!("cannot read the trust store {path}: {e}")))?;
            for cert in reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| Error::config(format!("trust store {path}: {e}")))?
            {
                b = b.add_root_certificate(cert);
            }
        }
        if let Some(path) = &transport.identity_pem {
            let pem = std::fs::read(path)
                .map_err(|e| Error::config(format!("cannot read the key store {path}: {e}")))?;
            let id = reqwest::Identity::from_pem(&pem)
                .map_err(|e| Error::config(format!("key store {path}: {e}")))?;
            b = b.identity(id);
        }
        if !transport.verify_hostname {
            b = b.danger_accept_invalid_hostnames(true);
        }
        if transport.trust_all {
            b = b.danger_accept_invalid_certs(true);
        }
        let http = b.build().map_err(|e| {
            Error::config(format!("cannot build the HTTP client: {}", error_chain(&e)))
        })?;
        Ok(HttpClient {
            http,
            auth,
            retry,
            token: Mutex::new(None),
        })
    }

    /// Send with retries: statuses in `retry.on.status.codes` and transport errors are tried
    /// again up to `max.retries` times, after the server's `Retry-After` when it sent one, else
    /// after the backoff. A 401 with OAuth2 fetches a new token and tries once more without
    /// counting against the retries. Returns the first 2xx answer, or the last failure.
    pub async fn send(&self, request: &Request) -> std::result::Result<Response, Failure> {
        self.send_with(request, |status| self.retry.on_status.contains(status))
            .await
    }

    /// [`send`](Self::send) with the statuses worth another try chosen by `retry_status`
    /// instead of `retry.on.status.codes` (the HTTP sink, splitting a rejected batch, does not
    /// retry the status that rejected it). Transport errors, `Retry-After`, backoff and the
    /// OAuth2 401 refresh are as in `send`.
    pub async fn send_with(
        &self,
        request: &Request,
        retry_status: impl Fn(u16) -> bool,
    ) -> std::result::Result<Response, Failure> {
        let mut attempt = 0u32;
        let mut refreshed = false;
        loop {
            let outcome = self.try_once(request).await;
            let wait = match &outcome {
                Ok(r) if r.status.is_success() => None,
                Ok(r)
                    if r.status == StatusCode::UNAUTHORIZED
                        && matches!(self.auth, Auth::OAuth2(_))
                        && !refreshed =>
                {
                    refreshed = true;
                    *self.token.lock().await = None;
                    continue;
                }
                Ok(r) if retry_status(r.status.as_u16()) => {
                    Some(retry_after(&r.headers).unwrap_or_else(|| self.retry.backoff(attempt)))
                }
                Ok(_) => None,
                Err(_) => Some(self.retry.backoff(attempt)),
            };
            let Some(wait) = wait.filter(|_| attempt < self.retry.max_retries) else {
                return match outcome {
                    Ok(r) if r.status.is_success() => Ok(r),
                    Ok(r) => Err(Failure::Status(r)),
                    Err(e) => Err(Failure::Transport(e)),
                };
            };
            match &outcome {
                Ok(r) => {
                    tracing::debug!(url = %request.url, status = r.status.as_u16(), ?wait, attempt, "retrying")
                }
                Err(e) => {
                    tracing::debug!(url = %request.url, error = %e, ?wait, attempt, "retrying")
                }
            }
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn try_once(&self, request: &Request) -> std::result::Result<Response, String> {
        let mut headers = HeaderMap::new();
        for (name, value) in &request.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| format!("invalid header name {name:?}: {e}"))?;
            let value = HeaderValue::from_str(value)
                .map_err(|e| format!("invalid value for header {name}: {e}"))?;
            headers.append(name, value);
        }
        if !headers.contains_key(AUTHORIZATION) {
            if let Some(value) = self.authorization().await? {
                headers.insert(AUTHORIZATION, value);
            }
        }
        let mut req = self
            .http
            .request(request.method.clone(), &request.url)
            .headers(headers);
        if let Some(body) = &request.body {
            req = req.body(body.clone());
        }
        let resp = req.send().await.map_err(|e| error_chain(&e))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.map_err(|e| error_chain(&e))?;
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    /// The `Authorization` header value, fetching an OAuth2 token when none is cached or the
    /// cached one is about to expire.
    async fn authorization(&self) -> std::result::Result<Option<HeaderValue>, String> {
        let value = match &self.auth {
            Auth::None => return Ok(None),
            Auth::Basic { user, password } => {
                use base64::Engine as _;
                let raw = format!("{user}:{password}");
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(raw)
                )
            }
            Auth::Bearer(token) => format!("Bearer {token}"),
            Auth::OAuth2(o) => {
                let mut slot = self.token.lock().await;
                let token = match slot.take() {
                    Some(t) if t.refresh_at.is_none_or(|at| Instant::now() < at) => t,
                    _ => self.fetch_token(o).await?,
                };
                let value = format!("Bearer {}", token.value);
                *slot = Some(token);
                value
            }
        };
        let mut v = HeaderValue::from_str(&value)
            .map_err(|e| format!("the Authorization header is not valid: {e}"))?;
        v.set_sensitive(true);
        Ok(Some(v))
    }

    async fn fetch_token(&self, o: &OAuth2) -> std::result::Result<Token, String> {
        let mut form: Vec<(&str, &str)> = vec![(&o.grant_type_property, &o.grant_type)];
        if !o.scope.is_empty() {
            form.push(("scope", &o.scope));
        }
        let mut req = self.http.post(&o.token_url);
        if o.credentials_in_header {
            req = req.basic_auth(&o.client_id, Some(&o.client_secret));
        } else {
            form.push((&o.client_id_property, &o.client_id));
            form.push((&o.client_secret_property, &o.client_secret));
        }
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let resp = req
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "OAuth2 token request to {}: {}",
                    o.token_url,
                    error_chain(&e)
                )
            })?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| {
            format!(
                "OAuth2 token request to {}: {}",
                o.token_url,
                error_chain(&e)
            )
        })?;
        if !status.is_success() {
            return Err(format!(
                "OAuth2 token endpoint {} answered HTTP {}: {}",
                o.token_url,
                status.as_u16(),
                excerpt(&bytes)
            ));
        }
        let json: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
            format!(
                "OAuth2 token endpoint {} sent no JSON object: {e}",
                o.token_url
            )
        })?;
        let value = json
            .get(&o.token_property)
            .and_then(|v| v.as_str())
            .ok_or_else(|| {
                format!(
                    "OAuth2 token endpoint {} answered without a string '{}'",
                    o.token_url, o.token_property
                )
            })?
            .to_string();
        let refresh_at = json
            .get("expires_in")
            .and_then(|v| v.as_u64())
            .map(|s| Instant::now() + Duration::from_secs(s).saturating_sub(TOKEN_EXPIRY_MARGIN));
        tracing::debug!(url = %o.token_url, ?refresh_at, "fetched an OAuth2 token");
        Ok(Token { value, refresh_at })
    }
}

/// `application/x-www-form-urlencoded` escaping.
pub fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A `Retry-After` header: delay-seconds or an HTTP date, capped at [`MAX_RETRY_AFTER`].
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    let wait = match text.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => {
            let at = chrono::DateTime::parse_from_rfc2822(text).ok()?;
            let at = SystemTime::UNIX_EPOCH
                + Duration::from_millis(u64::try_from(at.timestamp_millis()).ok()?);
            at.duration_since(SystemTime::now()).unwrap_or_default()
        }
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_code_lists_ranges_and_open_ranges() {
        let codes = StatusCodes::parse("retry.on.status.codes", "408, 429,500-502, 504-").unwrap();
        for c in [408, 429, 500, 501, 502, 504, 599] {
            assert!(codes.contains(c), "{c}");
        }
        for c in [200, 400, 407, 503] {
            assert!(!codes.contains(c), "{c}");
        }
        assert!(StatusCodes::parse("k", "").unwrap() == StatusCodes::default());
        for bad in ["abc", "600", "500-400", "-500", "99"] {
            let e = StatusCodes::parse("retry.on.status.codes", bad).unwrap_err();
            assert!(e.message().contains("retry.on.status.codes"), "{bad}: {e}");
        }
    }

    #[test]
    fn backoff_follows_the_policy() {
        let mut p = RetryPolicy {
            max_retries: 3,
            backoff_ms: 100,
            policy: BackoffPolicy::ConstantValue,
            on_status: StatusCodes::default(),
        };
        assert_eq!(p.backoff(5), Duration::from_millis(100));
        p.policy = BackoffPolicy::ExponentialWithJitter;
        for attempt in 0..4 {
            assert!(p.backoff(attempt) < Duration::from_millis(100 << attempt));
        }
        assert!(p.backoff(200) <= Duration::from_millis(MAX_BACKOFF_MS));
        assert!(BackoffPolicy::parse("k", "constant_value").is_ok());
        assert!(BackoffPolicy::parse("k", "linear").is_err());
    }

    #[test]
    fn retry_after_takes_seconds_or_a_date_and_is_capped() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(reqwest::header::RETRY_AFTER, HeaderValue::from_static("3"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        h.insert(
            reqwest::header::RETRY_AFTER,
            HeaderValue::from_static("99999"),
        );
        assert_eq!(retry_after(&h), Some(MAX_RETRY_AFTER));
        h.insert(
            reqwest::header::RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO), "a date in the past");
    }

    #[test]
    fn excerpts_are_cut_on_a_character_boundary() {
        assert_eq!(excerpt(b"short"), "short");
        let long = "é".repeat(BODY_EXCERPT);
        let e = excerpt(long.as_bytes());
        assert!(e.ends_with('…') && e.len() <= BODY_EXCERPT + '…'.len_utf8());
        assert_eq!(form_encode("a b&c=d"), "a+b%26c%3Dd");
        assert!(check_store_type("k", "pem").is_ok());
        assert!(check_store_type("k", "JKS").is_err());
    }
}
