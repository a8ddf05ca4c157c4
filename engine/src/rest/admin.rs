//! Worker-level handlers: `GET /` (server info), `GET /health` (KIP-1017) and the logger admin
//! endpoints `/admin/loggers/**` (KIP-495, KIP-976 scope), backed by [`super::logging`].

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::connectors::{query_pairs, query_param};
use super::logging::{self, Level};
use super::{body, json_response, require_json, RestError, RestResult, Shared, VERSION};

pub async fn server_info(State(h): State<Shared>) -> Response {
    json_response(
        StatusCode::OK,
        json!({
            "version": VERSION,
            "commit": option_env!("STRAIT_GIT_COMMIT").unwrap_or("unknown"),
            "kafka_cluster_id": h.kafka_cluster_id(),
        }),
    )
}

pub async fn health(State(h): State<Shared>) -> Response {
    if h.is_ready() {
        json_response(
            StatusCode::OK,
            json!({"status": "healthy", "message": "Worker has completed startup and is ready to handle requests."}),
        )
    } else {
        json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"status": "starting", "message": "Worker is still starting up."}),
        )
    }
}

/// `GET /metrics` (Strait): every Kafka Connect metric of this worker in the Prometheus text
/// format (see [`crate::metrics`]). Connectors count as this worker's when it runs them.
pub async fn metrics(State(h): State<Shared>) -> Response {
    use crate::metrics;
    let mut samples = Vec::new();
    if let Some(m) = h.worker_metrics() {
        let me = h.worker_id();
        let mut local = Vec::new();
        for name in h.connectors().await {
            if let Ok(status) = h.connector_status(&name).await {
                if status.connector.worker_id == me {
                    local.push(name);
                }
            }
        }
        metrics::worker_samples(&m, &local, &mut samples);
        metrics::rebalance_samples(&m, &mut samples);
        for ((connector, task), entry) in m.tasks() {
            metrics::task_samples(&connector, task, &entry, &mut samples);
        }
    }
    (
        StatusCode::OK,
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        metrics::prometheus::render(&samples),
    )
        .into_response()
}

pub async fn loggers() -> Response {
    json_response(StatusCode::OK, logging::global().all())
}

pub async fn logger(Path(name): Path<String>) -> RestResult<Response> {
    let level = logging::global()
        .get(&name)
        .ok_or_else(|| RestError::new(404, format!("Logger {name} not found.")))?;
    Ok(json_response(StatusCode::OK, level))
}

pub async fn set_logger(
    State(h): State<Shared>,
    Path(namespace): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    bytes: Bytes,
) -> RestResult<Response> {
    require_json(&headers)?;
    let requested = body::parse_logger_level(&bytes)?.ok_or_else(|| {
        RestError::new(
            400,
            "Desired 'level' parameter was not specified in request.",
        )
    })?;
    let level = Level::parse(&requested)
        .ok_or_else(|| RestError::new(404, format!("invalid log level '{requested}'.")))?;
    let pairs = query_pairs(q.as_deref());
    let scope = query_param(&pairs, "scope")
        .unwrap_or("worker")
        .to_ascii_lowercase();
    if scope == "cluster" {
        h.set_cluster_logger_level(&namespace, level).await?;
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    if scope != "worker" {
        tracing::warn!(
            scope,
            "Received invalid scope in request to adjust logging level; will default to worker"
        );
    }
    Ok(json_response(
        StatusCode::OK,
        logging::global().set_level(&namespace, level),
    ))
}
