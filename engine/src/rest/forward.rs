//! Forwarding between workers (distributed mode), as Java's `HerderRequestHandler` does it.
//!
//! A herder that cannot serve a request itself (only the leader writes configs; a restart goes
//! to the worker that runs the connector or task) fails it with [`Error::not_target`]. This
//! layer then re-sends the request to that worker:
//!
//! * a user request (no `forward` query parameter) goes to `<target URL><path>?forward=true`
//!   with the other query parameters; a request that arrived with `forward=true` may hop once
//!   more, with `forward=false`; one that arrived with `forward=false` is answered 409, since
//!   two hops not finding the target means the group is rebalancing;
//! * an unknown target URL (a rebalance is under way) is answered 409;
//! * only `Authorization` is copied from the original request; the forwarded one carries
//!   `Accept: application/json` and `User-Agent: kafka-connect`;
//! * the remote status, body and `Location` come back unchanged, so `PUT /config` keeps its
//!   201-versus-200 answer.
//!
//! The HTTP client ([`client`]) is the worker's (Java's `RestClient`): the distributed herder's
//! internal requests to the leader use it too. A worker on an `https` listener installs the TLS
//! settings of its listener with [`use_tls`] (the worker's trust store, and its key store for
//! peers that ask for a client certificate), so it reaches the other workers' `https` URLs.
//! One client serves the process: a process runs one distributed worker.
//!
//! [`Error::not_target`]: crate::error::Error::not_target

use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::connectors::query_pairs;
use super::{RestError, MAX_BODY_BYTES};

/// Response extension set by a [`RestError`] that names another worker.
#[derive(Debug, Clone)]
pub struct ForwardTo(pub Option<String>);

/// Java's `RestClient` waits this long for a forwarded request (`RestServer.DEFAULT_REST_REQUEST_TIMEOUT_MS`).
const FORWARD_TIMEOUT: Duration = Duration::from_secs(90);

fn slot() -> &'static RwLock<reqwest::Client> {
    static CLIENT: OnceLock<RwLock<reqwest::Client>> = OnceLock::new();
    CLIENT.get_or_init(|| {
        RwLock::new(
            reqwest::Client::builder()
                .timeout(FORWARD_TIMEOUT)
                .build()
                .unwrap_or_default(),
        )
    })
}

/// The HTTP client requests to other workers go out with (cheap to clone).
pub fn client() -> reqwest::Client {
    slot().read().map(|c| c.clone()).unwrap_or_default()
}

/// Send requests to other workers with `tls` (from [`super::tls::client_config`]) from now on.
pub fn use_tls(tls: Arc<rustls::ClientConfig>) -> crate::Result<()> {
    let client = reqwest::Client::builder()
        .timeout(FORWARD_TIMEOUT)
        .tls_backend_preconfigured((*tls).clone())
        .build()
        .map_err(|e| crate::error::Error::bug(format!("the REST client's TLS settings: {e}")))?;
    if let Ok(mut slot) = slot().write() {
        *slot = client;
    }
    Ok(())
}

/// How a request arrived: the `forward` query parameter (`None` = from a user).
fn forward_flag(query: Option<&str>) -> Option<bool> {
    query_pairs(query)
        .into_iter()
        .find(|(k, _)| k == "forward")
        .map(|(_, v)| v.eq_ignore_ascii_case("true"))
}

/// The URL of the next hop: target + path, `forward=<whether it may hop again>`, then the
/// request's other query parameters.
pub fn forward_url(target: &str, path: &str, query: Option<&str>, recursive: bool) -> String {
    let mut url = format!("{}{}", target.trim_end_matches('/'), path);
    url.push_str(if recursive {
        "?forward=true"
    } else {
        "?forward=false"
    });
    for part in query.unwrap_or("").split('&') {
        let name = part.split('=').next().unwrap_or("");
        if !part.is_empty() && name != "forward" {
            url.push('&');
            url.push_str(part);
        }
    }
    url
}

/// The middleware: run the handler; forward when it names another worker.
pub async fn forward_requests(req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(e) => return RestError::new(413, e.to_string()).into_response(),
    };
    let method = parts.method.clone();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().map(str::to_string);
    let authorization = parts.headers.get(header::AUTHORIZATION).cloned();
    let resp = next
        .run(Request::from_parts(parts, Body::from(body.clone())))
        .await;
    let Some(ForwardTo(target)) = resp.extensions().get::<ForwardTo>().cloned() else {
        return resp;
    };
    let flag = forward_flag(query.as_deref());
    if flag == Some(false) {
        tracing::error!(%method, %path, "request failed: the target Connect worker was not found within two hops (between workers)");
        return RestError::new(
            409,
            "Cannot complete request because of a conflicting operation (e.g. worker rebalance)",
        )
        .into_response();
    }
    let Some(target) = target else {
        return RestError::new(
            409,
            "Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway.",
        )
        .into_response();
    };
    let url = forward_url(&target, &path, query.as_deref(), flag.is_none());
    tracing::debug!(%url, %method, "forwarding request");
    send(method, &url, authorization, body).await
}

async fn send(
    method: Method,
    url: &str,
    authorization: Option<HeaderValue>,
    body: Bytes,
) -> Response {
    let mut req = client()
        .request(method, url)
        .header(header::ACCEPT, "application/json")
        .header(header::USER_AGENT, "kafka-connect");
    if let Some(auth) = authorization {
        req = req.header(header::AUTHORIZATION, auth);
    }
    if !body.is_empty() {
        req = req
            .header(header::CONTENT_TYPE, "application/json")
            .body(body);
    }
    match req.send().await {
        Ok(remote) => {
            let status = remote.status();
            let mut out = Response::builder().status(status);
            for name in [header::CONTENT_TYPE, header::LOCATION] {
                if let Some(v) = remote.headers().get(&name) {
                    out = out.header(name, v.clone());
                }
            }
            match remote.bytes().await {
                Ok(bytes) => out
                    .body(Body::from(bytes))
                    .unwrap_or_else(|e| RestError::new(500, e.to_string()).into_response()),
                Err(e) => io_error(url, e),
            }
        }
        Err(e) => io_error(url, e),
    }
}

/// Java's `RestClient`: an I/O failure is a 500 naming the URL.
fn io_error(url: &str, e: reqwest::Error) -> Response {
    RestError::new(
        500,
        format!("IO Error trying to forward REST request: {url}: {e}"),
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_hop_may_hop_again_and_keeps_the_other_parameters() {
        assert_eq!(
            forward_url(
                "http://w2:8083/",
                "/connectors/c/restart",
                Some("includeTasks=true&onlyFailed=false"),
                true
            ),
            "http://w2:8083/connectors/c/restart?forward=true&includeTasks=true&onlyFailed=false"
        );
        assert_eq!(
            forward_url("http://w2:8083", "/connectors", Some("forward=true"), false),
            "http://w2:8083/connectors?forward=false"
        );
        assert_eq!(forward_flag(Some("forward=TRUE")), Some(true));
        assert_eq!(forward_flag(Some("forward=false&x=1")), Some(false));
        assert_eq!(forward_flag(None), None);
    }
}
