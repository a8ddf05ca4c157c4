//! Kafka Connect's worker REST API on axum: same paths, status codes, JSON shapes and error body
//! (`{"error_code": …, "message": …}`) everywhere, including unknown routes (404), wrong
//! methods (405), unsupported media types (415), unacceptable `Accept` headers (406) and
//! malformed bodies (500, as Jackson binding errors are in Java).
//!
//! * [`connectors`]: `/connectors/**`; [`plugins`]: `/connector-plugins/**`;
//!   [`admin`]: `/`, `/health`, `/admin/loggers/**`.
//! * [`forward`]: distributed mode's forwarding of a request to the worker that serves it.
//! * [`body`]: the pure body parsers (also the fuzz target's entry point).
//! * [`logging`]: the live, reloadable log levels behind `/admin/loggers`.
//! * [`security`]: HTTPS ([`tls`]), the basic auth extension ([`basic_auth`]), CORS
//!   ([`cors`]) and `admin.listeners`, configured by [`server_config`].
//!
//! [`serve_with`] serves the regular listener ([`router_with`]) and, when `admin.listeners` is
//! set, each admin listener ([`admin_router`]: `/admin/*` only, as Java's admin context).
//!
//! Like Jersey, the server ignores one trailing slash (`/connectors/` is `/connectors`).

pub mod admin;
pub mod basic_auth;
pub mod body;
pub mod connectors;
pub mod cors;
pub mod forward;
pub mod logging;
pub mod plugins;
pub mod security;
pub mod server_config;
pub mod tls;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router, ServiceExt};
use serde_json::json;
use tower::Layer;

use crate::error::Error;
use crate::herder::Herder;

/// Version reported by `GET /` and plugin listings.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub(crate) type Shared = Arc<dyn Herder>;

/// A REST error with Kafka Connect's body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestError {
    pub status: u16,
    pub message: String,
    /// Distributed mode: another worker serves this request (see [`forward`]).
    pub forward_to: Option<Option<String>>,
}

impl RestError {
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        RestError {
            status,
            message: message.into(),
            forward_to: None,
        }
    }
}

impl From<Error> for RestError {
    fn from(e: Error) -> Self {
        RestError {
            status: e.http_status(),
            message: e.message().to_string(),
            forward_to: e.request_target().map(|u| u.map(str::to_string)),
        }
    }
}

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut resp = (
            status,
            Json(json!({"error_code": self.status, "message": self.message})),
        )
            .into_response();
        if let Some(target) = self.forward_to {
            resp.extensions_mut().insert(forward::ForwardTo(target));
        }
        resp
    }
}

pub(crate) type RestResult<T> = Result<T, RestError>;

/// Every route: `(method, path template)`, in the router's syntax. The OpenAPI test checks
/// that each is documented.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/health"),
    ("GET", "/metrics"),
    ("GET", "/connectors"),
    ("POST", "/connectors"),
    ("GET", "/connectors/{name}"),
    ("DELETE", "/connectors/{name}"),
    ("GET", "/connectors/{name}/config"),
    ("PUT", "/connectors/{name}/config"),
    ("PATCH", "/connectors/{name}/config"),
    ("GET", "/connectors/{name}/status"),
    ("GET", "/connectors/{name}/tasks"),
    ("GET", "/connectors/{name}/tasks-config"),
    ("GET", "/connectors/{name}/tasks/{task}/status"),
    ("POST", "/connectors/{name}/tasks/{task}/restart"),
    ("POST", "/connectors/{name}/restart"),
    ("PUT", "/connectors/{name}/pause"),
    ("PUT", "/connectors/{name}/resume"),
    ("PUT", "/connectors/{name}/stop"),
    ("GET", "/connectors/{name}/topics"),
    ("PUT", "/connectors/{name}/topics/reset"),
    ("GET", "/connectors/{name}/offsets"),
    ("PATCH", "/connectors/{name}/offsets"),
    ("DELETE", "/connectors/{name}/offsets"),
    ("GET", "/connector-plugins"),
    ("GET", "/connector-plugins/{plugin}/config"),
    ("PUT", "/connector-plugins/{plugin}/config/validate"),
    ("GET", "/admin/loggers"),
    ("GET", "/admin/loggers/{logger}"),
    ("PUT", "/admin/loggers/{logger}"),
];

/// The internal routes other workers call (not part of the documented API).
pub const INTERNAL_ROUTES: &[(&str, &str)] = &[
    ("POST", "/connectors/{name}/tasks"),
    ("PUT", "/connectors/{name}/fence"),
];

/// Build the router.
pub fn router(herder: Shared) -> Router {
    router_with(herder, &security::RestSecurity::default())
}

/// Build the regular listener's router with the worker's REST security settings (basic auth,
/// CORS, whether the admin routes are here; TLS is the listener's, see [`serve_with`]).
pub fn router_with(herder: Shared, security: &security::RestSecurity) -> Router {
    let (routes, which) = if security.admin_on_regular_listener() {
        (
            regular_routes().merge(admin_routes()),
            security::Routes::All,
        )
    } else {
        (regular_routes(), security::Routes::NoAdmin)
    };
    finish(
        routes,
        herder,
        security::Edge {
            cors: security.cors.clone(),
            basic_auth: security.basic_auth.clone(),
            routes: which,
        },
    )
}

/// Build an admin listener's router (`admin.listeners`): the `/admin/*` routes only, without
/// the REST extensions (basic auth) and CORS, as Java's admin context has neither.
pub fn admin_router(herder: Shared) -> Router {
    finish(
        admin_routes(),
        herder,
        security::Edge {
            cors: None,
            basic_auth: None,
            routes: security::Routes::AdminOnly,
        },
    )
}

/// Java's `LoggingResource` (`ConnectRestServer.adminResources()`).
fn admin_routes() -> Router<Shared> {
    Router::new()
        .route("/admin/loggers", get(admin::loggers))
        .route(
            "/admin/loggers/{logger}",
            get(admin::logger).put(admin::set_logger),
        )
}

/// Every other route (`ConnectRestServer.regularResources()`, plus Strait's `/metrics`).
fn regular_routes() -> Router<Shared> {
    use connectors as c;
    Router::new()
        .route("/", get(admin::server_info))
        .route("/health", get(admin::health))
        .route("/metrics", get(admin::metrics))
        .route("/connectors", get(c::list).post(c::create))
        .route("/connectors/{name}", get(c::info).delete(c::delete))
        .route(
            "/connectors/{name}/config",
            get(c::get_config).put(c::put_config).patch(c::patch_config),
        )
        .route("/connectors/{name}/status", get(c::status))
        .route(
            "/connectors/{name}/tasks",
            get(c::tasks).post(c::put_task_configs),
        )
        .route("/connectors/{name}/fence", put(c::fence))
        .route("/connectors/{name}/tasks-config", get(c::tasks_config))
        .route(
            "/connectors/{name}/tasks/{task}/status",
            get(c::task_status),
        )
        .route(
            "/connectors/{name}/tasks/{task}/restart",
            post(c::restart_task),
        )
        .route("/connectors/{name}/restart", post(c::restart))
        .route("/connectors/{name}/pause", put(c::pause))
        .route("/connectors/{name}/resume", put(c::resume))
        .route("/connectors/{name}/stop", put(c::stop))
        .route("/connectors/{name}/topics", get(c::topics))
        .route("/connectors/{name}/topics/reset", put(c::reset_topics))
        .route(
            "/connectors/{name}/offsets",
            get(c::get_offsets)
                .patch(c::patch_offsets)
                .delete(c::delete_offsets),
        )
        .route("/connector-plugins", get(plugins::list))
        .route("/connector-plugins/{plugin}/config", get(plugins::config))
        .route(
            "/connector-plugins/{plugin}/config/validate",
            put(plugins::validate),
        )
}

/// The layers every listener's routes get: basic auth when `edge` has it, Jersey's media type
/// checks, the error bodies, forwarding, the 404/405 fallbacks and the edge filter.
fn finish(routes: Router<Shared>, herder: Shared, edge: security::Edge) -> Router {
    // Inside the media type check: Jersey answers 415/406 while matching, before filters run.
    let routes = match &edge.basic_auth {
        Some(auth) => routes.route_layer(axum::middleware::from_fn_with_state(
            auth.clone(),
            security::basic_auth_filter,
        )),
        None => routes,
    };
    routes
        .route_layer(axum::middleware::from_fn(media_types))
        // Jetty buffers any request size; keep a bound, but far above real configs.
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::map_response(json_errors))
        .layer(axum::middleware::from_fn(forward::forward_requests))
        .fallback(|| async { RestError::new(404, "HTTP 404 Not Found") })
        .method_not_allowed_fallback(|| async {
            RestError::new(405, "HTTP 405 Method Not Allowed")
        })
        .with_state(herder)
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(edge),
            security::edge_filter,
        ))
}

/// Largest request body accepted (axum's default of 2 MiB is below what Java accepts).
pub const MAX_BODY_BYTES: usize = 64 << 20;

/// Errors raised by the HTTP stack itself (bad percent-encoding, body too large, …) get the
/// Kafka Connect error body too; their status is kept.
async fn json_errors(resp: Response) -> Response {
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|ct| ct.to_str().unwrap_or("").starts_with("application/json"));
    if resp.status().as_u16() < 400
        || is_json
        || resp.extensions().get::<security::RawErrorBody>().is_some()
    {
        return resp;
    }
    let status = resp.status().as_u16();
    let text = axum::body::to_bytes(resp.into_body(), 64 << 10)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let reason = StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    let message = if text.is_empty() {
        format!("HTTP {status} {reason}")
    } else {
        text
    };
    RestError::new(status, message).into_response()
}

/// Jersey's content negotiation for resources that consume and produce `application/json`:
/// any other request `Content-Type` is 415, an `Accept` that excludes JSON is 406.
async fn media_types(req: Request, next: Next) -> Response {
    if let Some(ct) = req.headers().get(header::CONTENT_TYPE) {
        if !is_json(ct) {
            return RestError::new(415, "HTTP 415 Unsupported Media Type").into_response();
        }
    }
    if let Some(accept) = req.headers().get(header::ACCEPT) {
        if !accepts_json(accept) {
            return RestError::new(406, "HTTP 406 Not Acceptable").into_response();
        }
    }
    next.run(req).await
}

fn is_json(v: &HeaderValue) -> bool {
    let s = v.to_str().unwrap_or("");
    s.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .eq_ignore_ascii_case("application/json")
}

fn accepts_json(v: &HeaderValue) -> bool {
    let s = v.to_str().unwrap_or("");
    s.split(',').any(|range| {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let refused = parts.any(|p| matches!(p.trim().split_once('='), Some(("q", q)) if q.trim().parse::<f32>().ok() == Some(0.0)));
        !refused && matches!(media.as_str(), "*/*" | "*" | "application/*" | "application/json")
    })
}

/// Handlers that bind a body need a JSON `Content-Type` (Jersey answers 415 without one).
pub(crate) fn require_json(headers: &HeaderMap) -> RestResult<()> {
    match headers.get(header::CONTENT_TYPE) {
        Some(ct) if is_json(ct) => Ok(()),
        _ => Err(RestError::new(415, "HTTP 415 Unsupported Media Type")),
    }
}

/// Drop one trailing slash, as Jersey matches `/connectors/` like `/connectors`.
fn trim_trailing_slash(mut req: Request) -> Request {
    let path = req.uri().path();
    if path.len() > 1 && path.ends_with('/') {
        let trimmed = &path[..path.len() - 1];
        let new = match req.uri().query() {
            Some(q) => format!("{trimmed}?{q}"),
            None => trimmed.to_string(),
        };
        if let Ok(uri) = new.parse::<Uri>() {
            *req.uri_mut() = uri;
        }
    }
    req
}

/// Serve the API on `listener` until `shutdown` resolves.
pub async fn serve(
    herder: Shared,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> crate::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    serve_with(
        herder,
        listener,
        security::RestSecurity::default(),
        shutdown,
    )
    .await
}

/// Serve the API on `listener` with the worker's REST security (HTTPS when `security.tls`),
/// and the admin endpoints on the admin listeners when `security.admin` has some (bound here,
/// before anything is served, so a listener that cannot bind fails start-up with nothing
/// running). Returns the regular listener's address and a handle that ends once `shutdown`
/// resolved and every listener stopped.
pub async fn serve_with(
    herder: Shared,
    listener: tokio::net::TcpListener,
    security: security::RestSecurity,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> crate::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let bound = listener.local_addr()?;
    let mut admin = Vec::new();
    if let security::AdminListeners::Separate(listeners) = &security.admin {
        for l in listeners {
            let tcp = bind(&l.listener.host, l.listener.port, "admin listener").await?;
            admin.push((tcp, l));
        }
    }
    let stop = tokio_util::sync::CancellationToken::new();
    let mut servers = vec![spawn_server(
        listener,
        router_with(herder.clone(), &security),
        security.tls.clone(),
        stop.clone().cancelled_owned(),
    )];
    match security.tls {
        Some(_) => tracing::info!(%bound, "REST server listening (HTTPS)"),
        None => tracing::info!(%bound, "REST server listening"),
    }
    for (tcp, l) in admin {
        let admin_bound = tcp.local_addr()?;
        servers.push(spawn_server(
            tcp,
            admin_router(herder.clone()),
            l.tls.clone(),
            stop.clone().cancelled_owned(),
        ));
        tracing::info!(bound = %admin_bound, listener = %l.listener.url, "REST admin endpoints listening");
    }
    let join = tokio::spawn(async move {
        shutdown.await;
        stop.cancel();
        for server in servers {
            let _ = server.await;
        }
    });
    Ok((bound, join))
}

/// Serve `router` on `listener` (over TLS when `tls`) until `shutdown` resolves.
fn spawn_server(
    listener: tokio::net::TcpListener,
    router: Router,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    let app = tower::util::MapRequestLayer::new(trim_trailing_slash).layer(router);
    if let Some(tls) = tls {
        return tokio::spawn(security::serve_tls(listener, app, tls, shutdown));
    }
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, ServiceExt::<Request>::into_make_service(app))
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!(error = %e, "REST server failed");
        }
    })
}

/// Bind a REST listener on `host` (empty: every interface) and `port` (0: any free port);
/// `what` names it in errors ("listener", "admin listener"), which are the configuration's.
pub async fn bind(host: &str, port: u16, what: &str) -> crate::Result<tokio::net::TcpListener> {
    use std::net::{IpAddr, Ipv4Addr};
    let bind_ip: IpAddr = if host.is_empty() {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    } else {
        tokio::net::lookup_host((host, 0))
            .await
            .ok()
            .and_then(|mut a| a.next())
            .map(|a| a.ip())
            .ok_or_else(|| Error::config(format!("Could not resolve {what} host {host}")))?
    };
    tokio::net::TcpListener::bind(SocketAddr::new(bind_ip, port))
        .await
        .map_err(|e| Error::config(format!("REST {what} could not bind {bind_ip}:{port}: {e}")))
}

pub(crate) fn json_response(status: StatusCode, value: impl serde::Serialize) -> Response {
    (status, Json(value)).into_response()
}

/// `Location: /connectors/<url-encoded name>` of a created connector.
pub(crate) fn location(name: &str) -> HeaderValue {
    let encoded: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    HeaderValue::from_str(&format!("/connectors/{encoded}"))
        .unwrap_or(HeaderValue::from_static("/connectors"))
}

/// Java's lenient boolean query parameter: only `true` (any case) is true.
pub(crate) fn query_bool(v: Option<&str>) -> bool {
    v.is_some_and(|s| s.eq_ignore_ascii_case("true"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_type_rules() {
        assert!(is_json(&HeaderValue::from_static(
            "application/json; charset=utf-8"
        )));
        assert!(!is_json(&HeaderValue::from_static("application/*")));
        assert!(!is_json(&HeaderValue::from_static("text/plain")));
        assert!(accepts_json(&HeaderValue::from_static(
            "text/html, */*;q=0.8"
        )));
        assert!(!accepts_json(&HeaderValue::from_static("text/plain")));
        assert!(!accepts_json(&HeaderValue::from_static(
            "application/json;q=0"
        )));
    }

    #[test]
    fn trailing_slash_is_trimmed_keeping_the_query() {
        let req = Request::builder()
            .uri("/connectors/?expand=info")
            .body(axum::body::Body::empty())
            .unwrap();
        assert_eq!(trim_trailing_slash(req).uri(), "/connectors?expand=info");
        let req = Request::builder()
            .uri("/")
            .body(axum::body::Body::empty())
            .unwrap();
        assert_eq!(trim_trailing_slash(req).uri(), "/");
    }

    #[tokio::test]
    async fn stack_errors_get_the_error_body() {
        let plain = (StatusCode::PAYLOAD_TOO_LARGE, "too big").into_response();
        let resp = json_errors(plain).await;
        assert_eq!(resp.status(), 413);
        let body = axum::body::to_bytes(resp.into_body(), 1024).await.unwrap();
        assert_eq!(&body[..], br#"{"error_code":413,"message":"too big"}"#);
    }
}
