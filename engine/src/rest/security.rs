//! What a worker's REST server enforces besides the API itself, built once at start-up from the
//! worker config ([`RestSecurity::from_worker`], which reads the key, trust, JAAS and
//! credentials files): HTTPS ([`super::tls`]), the basic auth extension ([`super::basic_auth`]),
//! CORS ([`super::cors`]) and `admin.listeners=` (empty: no `/admin/loggers`), plus the
//! middleware that applies them and the HTTPS accept loop.
//!
//! Like Jersey, every matched route answers `OPTIONS` (200, `Allow`, empty body); the basic
//! auth filter checks those too, as Java's filter runs for Jersey's generated OPTIONS methods.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::basic_auth::{BasicAuth, Decision, UNAUTHORIZED_BODY};
use super::cors::Cors;
use super::RestError;
use crate::error::{Error, Result};
use crate::worker_config::WorkerConfig;

/// The REST server's security settings, ready to serve.
#[derive(Clone, Debug)]
pub struct RestSecurity {
    /// `https` listener: the TLS config it serves with.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// `BasicAuthSecurityRestExtension`.
    pub basic_auth: Option<Arc<BasicAuth>>,
    /// `access.control.allow.origin` set.
    pub cors: Option<Cors>,
    /// `/admin/loggers` served (false when `admin.listeners` is empty).
    pub admin_enabled: bool,
}

impl Default for RestSecurity {
    fn default() -> Self {
        RestSecurity {
            tls: None,
            basic_auth: None,
            cors: None,
            admin_enabled: true,
        }
    }
}

/// Marks a response whose body is not Kafka Connect's JSON error body (the 401 of the basic
/// auth filter), so the JSON error mapping leaves it alone.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RawErrorBody;

impl RestSecurity {
    /// The settings of `config`'s REST server; reads the files they name (errors name the key
    /// or file and are the configuration's fault).
    pub fn from_worker(config: &WorkerConfig) -> Result<Self> {
        let rest = &config.rest;
        let tls = if config.rest_listener_is_https()? {
            let ssl = rest.https_ssl(&config.originals)?;
            Some(super::tls::server_config(&ssl)?)
        } else {
            None
        };
        let basic_auth = if config.rest_extension_classes.is_empty() {
            None
        } else {
            let path = match &rest.jaas_config {
                Some(path) => path.clone(),
                None => std::env::var("KAFKA_OPTS")
                    .ok()
                    .and_then(|opts| super::basic_auth::jaas_path_from_kafka_opts(&opts))
                    .ok_or_else(|| {
                        Error::config(format!(
                            "{}: no JAAS file: set the worker key {} or pass -D{}=<path> in the KAFKA_OPTS environment variable",
                            super::basic_auth::EXTENSION_CLASS,
                            super::server_config::JAAS_CONFIG_KEY,
                            super::server_config::JAAS_CONFIG_KEY,
                        ))
                    })?,
            };
            let auth = BasicAuth::load(&path)?;
            tracing::info!(jaas = %path, "REST basic authentication enabled");
            Some(Arc::new(auth))
        };
        Ok(RestSecurity {
            tls,
            basic_auth,
            cors: Cors::new(&rest.allowed_origins, &rest.allowed_methods),
            admin_enabled: rest.admin_listeners.as_ref().is_none_or(|l| !l.is_empty()),
        })
    }
}

/// Percent-decode a URI path (Jersey's `UriInfo.getPath()`), lossily.
fn decode_path(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The basic auth check of one request: `None` to go on, or the response to send.
fn authenticate(auth: &BasicAuth, req: &Request) -> Option<Response> {
    if super::basic_auth::is_internal_request(req.method().as_str(), &decode_path(req.uri().path()))
    {
        tracing::trace!("Skipping authentication for internal request");
        return None;
    }
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.as_bytes());
    match auth.check(header) {
        Decision::Allow => None,
        Decision::Unauthorized => {
            let mut resp = (
                StatusCode::UNAUTHORIZED,
                [(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"))],
                UNAUTHORIZED_BODY,
            )
                .into_response();
            resp.extensions_mut().insert(RawErrorBody);
            Some(resp)
        }
        Decision::Malformed(message) => Some(RestError::new(500, message).into_response()),
    }
}

/// Route layer: Java's `JaasBasicAuthFilter` (runs for matched routes only).
pub(crate) async fn basic_auth_filter(
    State(auth): State<Arc<BasicAuth>>,
    req: Request,
    next: Next,
) -> Response {
    match authenticate(&auth, &req) {
        Some(resp) => resp,
        None => next.run(req).await,
    }
}

/// The methods a route template serves, if `path` matches one of [`super::ROUTES`].
fn route_methods(path: &str) -> Option<Vec<&'static str>> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let mut methods: Vec<&'static str> = super::ROUTES
        .iter()
        .chain(super::INTERNAL_ROUTES)
        .filter(|(_, template)| {
            let t: Vec<&str> = template.trim_end_matches('/').split('/').collect();
            t.len() == segments.len()
                && t.iter()
                    .zip(&segments)
                    .all(|(t, s)| (t.starts_with('{') && !s.is_empty()) || t == s)
        })
        .map(|(m, _)| *m)
        .collect();
    if methods.is_empty() {
        return None;
    }
    if methods.contains(&"GET") {
        methods.push("HEAD");
    }
    methods.push("OPTIONS");
    methods.sort_unstable();
    methods.dedup();
    Some(methods)
}

/// Outer layer: `admin.listeners=` (no admin routes), Jersey's OPTIONS answers and the CORS
/// headers on every response.
pub(crate) async fn edge_filter(
    State(security): State<Arc<RestSecurity>>,
    req: Request,
    next: Next,
) -> Response {
    let cors_headers = security
        .cors
        .as_ref()
        .map(|c| c.response_headers(req.method(), req.headers()))
        .unwrap_or_default();
    let admin =
        req.uri().path() == "/admin/loggers" || req.uri().path().starts_with("/admin/loggers/");
    let mut resp = if admin && !security.admin_enabled {
        RestError::new(404, "HTTP 404 Not Found").into_response()
    } else if req.method() == Method::OPTIONS {
        match route_methods(req.uri().path()) {
            Some(methods) => match security
                .basic_auth
                .as_ref()
                .and_then(|a| authenticate(a, &req))
            {
                Some(denied) => denied,
                None => {
                    let allow = HeaderValue::from_str(&methods.join(","))
                        .unwrap_or(HeaderValue::from_static("OPTIONS"));
                    (StatusCode::OK, [(header::ALLOW, allow)]).into_response()
                }
            },
            None => next.run(req).await,
        }
    } else {
        next.run(req).await
    };
    for (name, value) in cors_headers {
        if name == header::VARY {
            resp.headers_mut().append(name, value);
        } else {
            resp.headers_mut().insert(name, value);
        }
    }
    resp
}

/// Serve `app` over TLS on `listener` until `shutdown` resolves (HTTP/1.1, as Jetty's default
/// HTTPS connector). Open connections are closed when it returns.
pub(crate) async fn serve_tls<S>(
    listener: tokio::net::TcpListener,
    app: S,
    tls: Arc<rustls::ServerConfig>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) where
    S: tower::Service<Request, Response = Response, Error = std::convert::Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    use tower::ServiceExt;
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    let mut connections = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "REST listener could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        while connections.try_join_next().is_some() {}
        let acceptor = acceptor.clone();
        let app = app.clone();
        connections.spawn(async move {
            let stream =
                match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => stream,
                    Ok(Err(e)) => {
                        tracing::debug!(%peer, error = %e, "TLS handshake failed");
                        return;
                    }
                    Err(_) => {
                        tracing::debug!(%peer, "TLS handshake timed out");
                        return;
                    }
                };
            let service =
                hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    app.clone().oneshot(req.map(axum::body::Body::new))
                });
            // The timer enables hyper's header read timeout (30 s) against idle half-requests.
            if let Err(e) = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(%peer, error = %e, "REST connection ended with an error");
            }
        });
    }
    connections.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_decode_as_jersey_reads_them() {
        assert_eq!(
            decode_path("/connectors/a%20b/tasks"),
            "/connectors/a b/tasks"
        );
        assert_eq!(
            decode_path("/connectors/a%2Fb/tasks"),
            "/connectors/a/b/tasks"
        );
        assert_eq!(decode_path("/x%zz%2"), "/x%zz%2");
    }

    #[test]
    fn options_lists_the_route_methods() {
        assert_eq!(
            route_methods("/connectors").unwrap(),
            ["GET", "HEAD", "OPTIONS", "POST"]
        );
        assert_eq!(
            route_methods("/connectors/c/tasks").unwrap(),
            ["GET", "HEAD", "OPTIONS", "POST"]
        );
        assert_eq!(
            route_methods("/connectors/c/pause").unwrap(),
            ["OPTIONS", "PUT"]
        );
        assert_eq!(route_methods("/nope"), None);
    }
}
