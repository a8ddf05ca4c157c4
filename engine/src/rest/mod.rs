//! Kafka Connect's worker REST API on axum: same paths, status codes, JSON shapes and error body
//! (`{"error_code": …, "message": …}`) everywhere, including unknown routes and malformed bodies.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::config::{json_scalar_to_string, InitialState, Props};
use crate::error::Error;
use crate::herder::{ConnectorOffset, Herder};
use crate::plugin::PluginType;

/// Version reported by `GET /` and plugin listings.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

type Shared = Arc<dyn Herder>;

/// A REST error with Kafka Connect's body.
#[derive(Debug)]
pub struct RestError {
    pub status: u16,
    pub message: String,
}

impl RestError {
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        RestError { status, message: message.into() }
    }
}

impl From<Error> for RestError {
    fn from(e: Error) -> Self {
        RestError { status: e.http_status(), message: e.message().to_string() }
    }
}

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(json!({"error_code": self.status, "message": self.message}))).into_response()
    }
}

type RestResult<T> = Result<T, RestError>;

/// Build the router.
pub fn router(herder: Shared) -> Router {
    Router::new()
        .route("/", get(server_info))
        .route("/health", get(health))
        .route("/connectors", get(list_connectors).post(create_connector))
        .route("/connectors/{name}", get(get_connector).delete(delete_connector))
        .route("/connectors/{name}/config", get(get_config).put(put_config).patch(patch_config))
        .route("/connectors/{name}/status", get(get_status))
        .route("/connectors/{name}/tasks", get(get_tasks))
        .route("/connectors/{name}/tasks-config", get(get_tasks_config))
        .route("/connectors/{name}/tasks/{task}/status", get(get_task_status))
        .route("/connectors/{name}/tasks/{task}/restart", post(restart_task))
        .route("/connectors/{name}/restart", post(restart_connector))
        .route("/connectors/{name}/pause", put(pause))
        .route("/connectors/{name}/resume", put(resume))
        .route("/connectors/{name}/stop", put(stop))
        .route("/connectors/{name}/offsets", get(get_offsets).patch(patch_offsets).delete(delete_offsets))
        .route("/connector-plugins", get(list_plugins))
        .route("/connector-plugins/{plugin}/config", get(plugin_config))
        .route("/connector-plugins/{plugin}/config/validate", put(validate))
        .fallback(|| async { RestError::new(404, "HTTP 404 Not Found") })
        .method_not_allowed_fallback(|| async { RestError::new(405, "HTTP 405 Method Not Allowed") })
        .with_state(herder)
}

/// Serve the API on `listener` until `shutdown` resolves.
pub async fn serve(
    herder: Shared,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> crate::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let bound = listener.local_addr()?;
    let app = router(herder);
    let join = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
            tracing::error!(error = %e, "REST server failed");
        }
    });
    tracing::info!(%bound, "REST server listening");
    Ok((bound, join))
}

/// Parse a JSON body the way Jackson would reject it: malformed → 500 with Jackson-like text.
fn parse_json(body: &Bytes) -> RestResult<Value> {
    if body.is_empty() {
        return Err(RestError::new(500, "No content to map due to end-of-input"));
    }
    serde_json::from_slice(body).map_err(|e| RestError::new(500, format!("Unexpected character or end-of-input: {e}")))
}

/// A `Map<String,String>` body: scalars coerced to strings, nulls kept, objects/arrays rejected.
fn parse_string_map(value: &Value) -> RestResult<BTreeMap<String, Option<String>>> {
    let obj = value.as_object().ok_or_else(|| {
        RestError::new(500, format!("Cannot deserialize value of type `java.util.HashMap<java.lang.String,java.lang.String>` from {}", json_kind(value)))
    })?;
    obj.iter()
        .map(|(k, v)| {
            json_scalar_to_string(v)
                .map(|s| (k.clone(), s))
                .ok_or_else(|| RestError::new(500, format!("Cannot deserialize value of type `java.lang.String` from {} (field \"{k}\")", json_kind(v))))
        })
        .collect()
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Array(_) => "Array value (token `JsonToken.START_ARRAY`)",
        Value::Object(_) => "Object value (token `JsonToken.START_OBJECT`)",
        Value::String(_) => "String value",
        Value::Number(_) => "Number value",
        Value::Bool(_) => "Boolean value",
        Value::Null => "null value",
    }
}

/// Null values are a validation error in Kafka Connect.
fn non_null(map: BTreeMap<String, Option<String>>) -> RestResult<Props> {
    let mut out = Props::new();
    for (k, v) in map {
        match v {
            Some(v) => {
                out.insert(k, v);
            }
            None => return Err(RestError::new(400, "Null value can not be supplied as the configuration value.")),
        }
    }
    Ok(out)
}

fn json_response(status: StatusCode, value: impl serde::Serialize) -> Response {
    (status, Json(value)).into_response()
}

fn location(name: &str) -> HeaderValue {
    let encoded: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    HeaderValue::from_str(&format!("/connectors/{encoded}")).unwrap_or(HeaderValue::from_static("/connectors"))
}

async fn server_info(State(h): State<Shared>) -> Response {
    json_response(
        StatusCode::OK,
        json!({"version": VERSION, "commit": option_env!("STRAIT_GIT_COMMIT").unwrap_or("unknown"), "kafka_cluster_id": h.kafka_cluster_id()}),
    )
}

async fn health(State(h): State<Shared>) -> Response {
    if h.is_ready() {
        json_response(StatusCode::OK, json!({"status": "healthy", "message": "Worker has completed startup and is ready to handle requests."}))
    } else {
        json_response(StatusCode::SERVICE_UNAVAILABLE, json!({"status": "starting", "message": "Worker is still starting up."}))
    }
}

async fn list_connectors(State(h): State<Shared>, Query(q): Query<Vec<(String, String)>>) -> RestResult<Response> {
    let names = h.connectors().await;
    let expands: Vec<&str> = q.iter().filter(|(k, _)| k == "expand").map(|(_, v)| v.as_str()).collect();
    if q.iter().all(|(k, _)| k != "expand") {
        return Ok(json_response(StatusCode::OK, names));
    }
    let mut out = serde_json::Map::new();
    for name in names {
        let mut entry = serde_json::Map::new();
        for e in &expands {
            match *e {
                "status" => {
                    if let Ok(s) = h.connector_status(&name).await {
                        entry.insert("status".into(), serde_json::to_value(s).unwrap_or(Value::Null));
                    }
                }
                "info" => {
                    if let Ok(i) = h.connector_info(&name).await {
                        entry.insert("info".into(), serde_json::to_value(i).unwrap_or(Value::Null));
                    }
                }
                other => tracing::info!(expand = other, "Ignoring unknown expansion type"),
            }
        }
        out.insert(name, Value::Object(entry));
    }
    Ok(json_response(StatusCode::OK, Value::Object(out)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateRequest {
    name: Option<String>,
    config: Option<Value>,
    initial_state: Option<String>,
}

async fn create_connector(State(h): State<Shared>, body: Bytes) -> RestResult<Response> {
    let value = parse_json(&body)?;
    let req: CreateRequest = serde_json::from_value(value).map_err(|e| {
        let msg = e.to_string();
        if msg.contains("unknown field") {
            RestError::new(500, format!("Unrecognized field {msg}"))
        } else {
            RestError::new(500, format!("Cannot deserialize value: {msg}"))
        }
    })?;
    let name = req.name.unwrap_or_default().trim().to_string();
    let config = match &req.config {
        Some(c) => non_null(parse_string_map(c)?)?,
        None => Props::new(),
    };
    let initial = req.initial_state.as_deref().map(InitialState::parse).transpose().map_err(|e| RestError::new(500, e.message()))?;
    if let Some(n) = config.get("name") {
        if *n != name {
            return Err(RestError::new(400, format!("Connector name configuration ({n}) doesn't match connector name in the URL ({name})")));
        }
    }
    let (_, info) = h.put_connector_config(&name, config, false, initial).await?;
    let mut resp = json_response(StatusCode::CREATED, info);
    resp.headers_mut().insert(header::LOCATION, location(&name));
    Ok(resp)
}

async fn get_connector(State(h): State<Shared>, Path(name): Path<String>) -> RestResult<Response> {
    Ok(json_response(StatusCode::OK, h.connector_info(&name).await?))
}

async fn delete_connector(State(h): State<Shared>, Path(name): Path<String>) -> RestResult<StatusCode> {
    h.delete_connector(&name).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn get_config(State(h): State<Shared>, Path(name): Path<String>) -> RestResult<Response> {
    Ok(json_response(StatusCode::OK, h.connector_config(&name).await?))
}

async fn put_config(State(h): State<Shared>, Path(name): Path<String>, body: Bytes) -> RestResult<Response> {
    let config = non_null(parse_string_map(&parse_json(&body)?)?)?;
    let (created, info) = h.put_connector_config(&name, config, true, None).await?;
    if created {
        let mut resp = json_response(StatusCode::CREATED, info);
        resp.headers_mut().insert(header::LOCATION, location(&name));
        Ok(resp)
    } else {
        Ok(json_response(StatusCode::OK, info))
    }
}

async fn patch_config(State(h): State<Shared>, Path(name): Path<String>, body: Bytes) -> RestResult<Response> {
    let patch = parse_string_map(&parse_json(&body)?)?;
    Ok(json_response(StatusCode::OK, h.patch_connector_config(&name, patch).await?))
}

async fn get_status(State(h): State<Shared>, Path(name): Path<String>) -> RestResult<Response> {
    Ok(json_response(StatusCode::OK, h.connector_status(&name).await?))
}

async fn get_tasks(State(h): State<Shared>, Path(name): Path<String>) -> RestResult<Response> {
    Ok(json_response(StatusCode::OK, h.task_configs(&name).await?))
}

async fn get_tasks_config(State(h): State<Shared>, Path(name): Path<String>) -> RestResult<Response> {
    tracing::warn!("The 'GET /connectors/{{connector}}/tasks-config' endpoint is deprecated and will be removed in the next major release.");
    let tasks = h.task_configs(&name).await?;
    if tasks.is_empty() {
        return Err(RestError::new(404, format!("Connector {name} not found")));
    }
    let map: serde_json::Map<String, Value> =
        tasks.into_iter().map(|t| (format!("{}-{}", t.id.connector, t.id.task), serde_json::to_value(t.config).unwrap_or(Value::Null))).collect();
    Ok(json_response(StatusCode::OK, Value::Object(map)))
}

fn task_id(name: &str, raw: &str) -> RestResult<u32> {
    raw.parse().map_err(|_| RestError::new(404, format!("No status found for task {name}-{raw}")))
}

async fn get_task_status(State(h): State<Shared>, Path((name, task)): Path<(String, String)>) -> RestResult<Response> {
    let t = task_id(&name, &task)?;
    Ok(json_response(StatusCode::OK, h.task_status(&name, t).await?))
}

async fn restart_task(State(h): State<Shared>, Path((name, task)): Path<(String, String)>) -> RestResult<StatusCode> {
    let t: u32 = task.parse().map_err(|_| RestError::new(404, format!("Unknown task: {name}-{task}")))?;
    h.restart_task(&name, t).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RestartQuery {
    include_tasks: Option<String>,
    only_failed: Option<String>,
}

fn query_bool(v: &Option<String>) -> bool {
    v.as_deref().map(|s| s.eq_ignore_ascii_case("true")).unwrap_or(false)
}

async fn restart_connector(State(h): State<Shared>, Path(name): Path<String>, Query(q): Query<RestartQuery>) -> RestResult<Response> {
    match h.restart_connector(&name, query_bool(&q.include_tasks), query_bool(&q.only_failed)).await? {
        None => Ok(StatusCode::NO_CONTENT.into_response()),
        Some(plan) => Ok(json_response(StatusCode::ACCEPTED, plan)),
    }
}

async fn pause(State(h): State<Shared>, Path(name): Path<String>) -> RestResult<StatusCode> {
    h.pause_connector(&name).await?;
    Ok(StatusCode::ACCEPTED)
}

async fn resume(State(h): State<Shared>, Path(name): Path<String>) -> RestResult<StatusCode> {
    h.resume_connector(&name).await?;
    Ok(StatusCode::ACCEPTED)
}

async fn stop(State(h): State<Shared>, Path(name): Path<String>) -> RestResult<StatusCode> {
    h.stop_connector(&name).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn get_offsets(State(h): State<Shared>, Path(name): Path<String>) -> RestResult<Response> {
    Ok(json_response(StatusCode::OK, h.connector_offsets(&name).await?))
}

async fn patch_offsets(State(h): State<Shared>, Path(name): Path<String>, body: Bytes) -> RestResult<Response> {
    let value = parse_json(&body)?;
    let obj = value.as_object().ok_or_else(|| RestError::new(500, format!("Cannot deserialize value of type `ConnectorOffsets` from {}", json_kind(&value))))?;
    if let Some(k) = obj.keys().find(|k| *k != "offsets") {
        return Err(RestError::new(500, format!("Unrecognized field \"{k}\" (class org.apache.kafka.connect.runtime.rest.entities.ConnectorOffsets), not marked as ignorable")));
    }
    let list = match obj.get("offsets") {
        Some(Value::Array(a)) if !a.is_empty() => a,
        _ => return Err(RestError::new(400, "Partitions / offsets need to be provided for an alter offsets request")),
    };
    let mut offsets = Vec::new();
    for item in list {
        let o = item.as_object().ok_or_else(|| RestError::new(500, format!("Cannot construct instance of `ConnectorOffset` from {}", json_kind(item))))?;
        let partition = o.get("partition").and_then(Value::as_object).cloned().unwrap_or_default();
        let offset = match o.get("offset") {
            Some(Value::Object(m)) => Some(m.clone()),
            _ => None,
        };
        offsets.push(ConnectorOffset { partition, offset });
    }
    let message = h.alter_offsets(&name, offsets).await?;
    Ok(json_response(StatusCode::OK, json!({"message": message})))
}

async fn delete_offsets(State(h): State<Shared>, Path(name): Path<String>) -> RestResult<Response> {
    let message = h.reset_offsets(&name).await?;
    Ok(json_response(StatusCode::OK, json!({"message": message})))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct PluginQuery {
    connectors_only: Option<String>,
}

async fn list_plugins(State(h): State<Shared>, Query(q): Query<PluginQuery>) -> Response {
    let connectors_only = q.connectors_only.as_deref().map(|s| !s.eq_ignore_ascii_case("false")).unwrap_or(true);
    let order = [PluginType::Sink, PluginType::Source, PluginType::Transformation, PluginType::Predicate, PluginType::Converter, PluginType::HeaderConverter];
    let mut infos = h.registry().plugin_infos();
    infos.retain(|i| !connectors_only || matches!(i.kind, PluginType::Sink | PluginType::Source));
    infos.sort_by_key(|i| (order.iter().position(|k| *k == i.kind).unwrap_or(9), i.class));
    let out: Vec<Value> = infos.into_iter().map(|i| json!({"class": i.class, "type": i.kind.as_str(), "version": i.version})).collect();
    json_response(StatusCode::OK, out)
}

async fn plugin_config(State(h): State<Shared>, Path(plugin): Path<String>) -> RestResult<Response> {
    let registry = h.registry();
    if let Ok(c) = registry.connector(&plugin) {
        let def = c.config_def().merge(&crate::connector_config::framework_def(c.connector_type()));
        let keys: Vec<crate::herder::ConfigKeyInfo> = def.keys().iter().map(Into::into).collect();
        return Ok(json_response(StatusCode::OK, keys));
    }
    if let Ok(c) = registry.converter_plugin(&plugin) {
        let keys: Vec<crate::herder::ConfigKeyInfo> = (c.config_def)().keys().iter().map(Into::into).collect();
        return Ok(json_response(StatusCode::OK, keys));
    }
    Err(RestError::new(404, format!("Unknown plugin {plugin}.")))
}

async fn validate(State(h): State<Shared>, Path(plugin): Path<String>, _headers: HeaderMap, body: Bytes) -> RestResult<Response> {
    let config = non_null(parse_string_map(&parse_json(&body)?)?)?;
    let strip = |s: &str| s.trim().strip_suffix("Connector").unwrap_or(s.trim()).to_string();
    match config.get("connector.class") {
        Some(class) if !strip(class).ends_with(&strip(&plugin)) => {
            return Err(RestError::new(400, format!("Included connector type {class} does not match request type {plugin}")));
        }
        Some(_) => {}
        None => {
            let parts: Vec<String> = config.iter().map(|(k, v)| format!("{k}={v}")).collect();
            return Err(RestError::new(400, format!("Connector config {{{}}} contains no connector type", parts.join(", "))));
        }
    }
    Ok(json_response(StatusCode::OK, h.validate(&config).await?))
}
