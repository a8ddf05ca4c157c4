//! What a worker's REST server enforces besides the API itself, built once at start-up from the
//! worker config ([`RestSecurity::from_worker`], which reads the key, trust, JAAS and
//! credentials files): HTTPS ([`super::tls`]), the basic auth extension ([`super::basic_auth`]),
//! CORS ([`super::cors`]) and where `admin.listeners` puts the `/admin/*` endpoints
//! ([`AdminListeners`]), plus the middleware that applies them and the HTTPS accept loop.
//!
//! As Java's `RestServer`: the basic auth extension and CORS apply to the regular listener only;
//! separate admin listeners serve the admin resources bare (Java registers the REST extensions
//! and the `CrossOriginFilter` on the regular context only).
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
use super::server_config::{AdminEndpoints, ListenerUrl, ADMIN_LISTENERS_HTTPS_PREFIX};
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
    /// Where `/admin/*` is served (`admin.listeners`).
    pub admin: AdminListeners,
}

impl Default for RestSecurity {
    fn default() -> Self {
        RestSecurity {
            tls: None,
            basic_auth: None,
            cors: None,
            admin: AdminListeners::Regular,
        }
    }
}

/// Where the `/admin/*` endpoints are served, ready to bind.
#[derive(Clone, Debug, Default)]
pub enum AdminListeners {
    /// On the regular listener (`admin.listeners` unset).
    #[default]
    Regular,
    /// Nowhere (`admin.listeners=`).
    Disabled,
    /// On these listeners only; they serve nothing else.
    Separate(Vec<AdminListener>),
}

/// One `admin.listeners` entry.
#[derive(Clone, Debug)]
pub struct AdminListener {
    pub listener: ListenerUrl,
    /// `https`: the TLS config (`admin.listeners.https.ssl.*`, else `ssl.*`).
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

impl RestSecurity {
    /// Whether the regular listener serves `/admin/*`.
    pub fn admin_on_regular_listener(&self) -> bool {
        matches!(self.admin, AdminListeners::Regular)
    }
}

/// Which routes a listener serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Routes {
    /// The regular listener with the admin routes (`admin.listeners` unset).
    All,
    /// The regular listener without them.
    NoAdmin,
    /// An admin listener.
    AdminOnly,
}

impl Routes {
    fn serves(self, template: &str) -> bool {
        let admin = template == "/admin" || template.starts_with("/admin/");
        match self {
            Routes::All => true,
            Routes::NoAdmin => !admin,
            Routes::AdminOnly => admin,
        }
    }
}

/// What the outer layer of one listener applies.
#[derive(Clone, Debug)]
pub(crate) struct Edge {
    pub cors: Option<Cors>,
    pub basic_auth: Option<Arc<BasicAuth>>,
    pub routes: Routes,
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
        let admin = match rest.admin_endpoints()? {
            AdminEndpoints::Regular => AdminListeners::Regular,
            AdminEndpoints::Disabled => AdminListeners::Disabled,
            AdminEndpoints::Separate(listeners) => {
                // One TLS config serves every https admin listener: they share the keys.
                let tls = if listeners.iter().any(|l| l.https) {
                    let ssl = rest.admin_https_ssl(&config.originals)?;
                    Some(super::tls::server_config(&ssl).map_err(|e| {
                        e.context(format!(
                            "https admin listener ({ADMIN_LISTENERS_HTTPS_PREFIX}ssl.* keys, else ssl.*)"
                        ))
                    })?)
                } else {
                    None
                };
                AdminListeners::Separate(
                    listeners
                        .into_iter()
                        .map(|listener| AdminListener {
                            tls: tls.clone().filter(|_| listener.https),
                            listener,
                        })
                        .collect(),
                )
            }
        };
        Ok(RestSecurity {
            tls,
            basic_auth,
            cors: Cors::new(&rest.allowed_origins, &rest.allowed_methods),
            admin,
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
            // Java's JAX-RS response keeps the request's negotiated JSON media type for this
            // plain-text body: `Content-Type: application/json` (seen by `cargo xtask
            // conformance --mode secure`).
            let mut resp = (
                StatusCode::UNAUTHORIZED,
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
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

/// The methods a route template serves, if `path` matches one of [`super::ROUTES`] that
/// `routes` has.
fn route_methods(path: &str, routes: Routes) -> Option<Vec<&'static str>> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let mut methods: Vec<&'static str> = super::ROUTES
        .iter()
        .chain(super::INTERNAL_ROUTES)
        .filter(|(_, template)| routes.serves(template))
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

/// Outer layer: Jersey's OPTIONS answers (for the routes this listener serves) and the CORS
/// headers on every response.
pub(crate) async fn edge_filter(
    State(security): State<Arc<Edge>>,
    req: Request,
    next: Next,
) -> Response {
    let cors_headers = security
        .cors
        .as_ref()
        .map(|c| c.response_headers(req.method(), req.headers()))
        .unwrap_or_default();
    let mut resp = if req.method() == Method::OPTIONS {
        match route_methods(req.uri().path(), security.routes) {
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
            route_methods("/connectors", Routes::All).unwrap(),
            ["GET", "HEAD", "OPTIONS", "POST"]
        );
        assert_eq!(
            route_methods("/connectors/c/tasks", Routes::NoAdmin).unwrap(),
            ["GET", "HEAD", "OPTIONS", "POST"]
        );
        assert_eq!(
            route_methods("/connectors/c/pause", Routes::All).unwrap(),
            ["OPTIONS", "PUT"]
        );
        assert_eq!(route_methods("/nope", Routes::All), None);
    }

    #[test]
    fn options_answers_only_the_routes_a_listener_serves() {
        assert_eq!(
            route_methods("/admin/loggers/x", Routes::All).unwrap(),
            ["GET", "HEAD", "OPTIONS", "PUT"]
        );
        assert_eq!(
            route_methods("/admin/loggers/x", Routes::AdminOnly).unwrap(),
            ["GET", "HEAD", "OPTIONS", "PUT"]
        );
        assert_eq!(route_methods("/admin/loggers", Routes::NoAdmin), None);
        assert_eq!(route_methods("/connectors", Routes::AdminOnly), None);
        assert_eq!(route_methods("/", Routes::AdminOnly), None);
    }

    fn worker(pairs: &[(&str, &str)]) -> crate::Result<WorkerConfig> {
        let mut props = crate::config::props_from(&[
            ("bootstrap.servers", "localhost:9092"),
            (
                "key.converter",
                "org.apache.kafka.connect.storage.StringConverter",
            ),
            (
                "value.converter",
                "org.apache.kafka.connect.storage.StringConverter",
            ),
        ]);
        for (k, v) in pairs {
            props.insert(k.to_string(), v.to_string());
        }
        WorkerConfig::from_props(&props)
    }

    #[test]
    fn admin_listeners_decide_where_admin_routes_are_served() {
        let security = RestSecurity::from_worker(&worker(&[]).unwrap()).unwrap();
        assert!(matches!(security.admin, AdminListeners::Regular));
        assert!(security.admin_on_regular_listener());
        let security =
            RestSecurity::from_worker(&worker(&[("admin.listeners", " ")]).unwrap()).unwrap();
        assert!(matches!(security.admin, AdminListeners::Disabled));
        assert!(!security.admin_on_regular_listener());
        let config = worker(&[("admin.listeners", "http://127.0.0.1:0, http://[::1]:8084")]);
        let security = RestSecurity::from_worker(&config.unwrap()).unwrap();
        let AdminListeners::Separate(listeners) = &security.admin else {
            panic!("{:?}", security.admin)
        };
        assert_eq!(listeners.len(), 2);
        assert_eq!(listeners[1].listener.host, "::1");
        assert_eq!(listeners[1].listener.port, 8084);
        assert!(listeners.iter().all(|l| l.tls.is_none()));
        assert!(!security.admin_on_regular_listener());
    }

    #[test]
    fn an_https_admin_listener_reads_its_own_keys_first() {
        // Unprefixed keys: read as the regular https listener reads them.
        let config = worker(&[
            ("admin.listeners", "https://127.0.0.1:0"),
            ("ssl.keystore.type", "PEM"),
            ("ssl.keystore.location", "/nonexistent/plain.pem"),
        ])
        .unwrap();
        let err = RestSecurity::from_worker(&config).unwrap_err();
        assert_eq!(err.fault(), crate::error::Fault::Config);
        assert!(err.message().contains("https admin listener"), "{err}");
        assert!(err.message().contains("/nonexistent/plain.pem"), "{err}");
        // admin.listeners.https.* replaces them all-or-nothing.
        let config = worker(&[
            ("admin.listeners", "https://127.0.0.1:0"),
            ("ssl.keystore.type", "PEM"),
            ("ssl.keystore.location", "/nonexistent/plain.pem"),
            ("admin.listeners.https.ssl.keystore.type", "PEM"),
            (
                "admin.listeners.https.ssl.keystore.location",
                "/nonexistent/admin.pem",
            ),
        ])
        .unwrap();
        let err = RestSecurity::from_worker(&config).unwrap_err();
        assert!(
            err.message()
                .contains("ssl.keystore.location=/nonexistent/admin.pem"),
            "{err}"
        );
        // The regular listener's prefix is not the admin listener's.
        let config = worker(&[
            ("admin.listeners", "http://127.0.0.1:0"),
            ("admin.listeners.https.ssl.keystore.location", "/unused.pem"),
        ])
        .unwrap();
        let security = RestSecurity::from_worker(&config).unwrap();
        assert!(security.tls.is_none());
    }
}
