//! `/connectors/**` handlers (Java's `ConnectorsResource`): thin adapters from HTTP to the
//! [`Herder`](crate::herder::Herder), with Java's status codes and the checks Java makes in
//! the resource itself (name matching, body presence).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::body::{self, CreateConnectorRequest};
use super::{json_response, location, query_bool, require_json, RestError, RestResult, Shared};
use crate::herder::validate::invalid_config_message;
use crate::herder::{non_null, InternalRequest, RawConfig};

/// Decoded `key=value` pairs of a query string (repeated keys kept, in order).
pub(crate) fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    fn decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => {
                    match u8::from_str_radix(
                        std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"),
                        16,
                    ) {
                        Ok(b) => {
                            out.push(b);
                            i += 2;
                        }
                        Err(_) => out.push(b'%'),
                    }
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    raw.unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

/// The first value of a query parameter.
pub(crate) fn query_param<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

pub async fn list(State(h): State<Shared>, RawQuery(q): RawQuery) -> RestResult<Response> {
    let pairs = query_pairs(q.as_deref());
    let names = h.connectors().await;
    // The mere presence of `expand` switches to the object form (`?expand=foo` → `{"c": {}}`).
    if pairs.iter().all(|(k, _)| k != "expand") {
        return Ok(json_response(StatusCode::OK, names));
    }
    let expands: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "expand")
        .map(|(_, v)| v.as_str())
        .collect();
    let mut out = serde_json::Map::new();
    for name in names {
        let mut entry = serde_json::Map::new();
        for e in &expands {
            match *e {
                "status" => {
                    if let Ok(s) = h.connector_status(&name).await {
                        entry.insert(
                            "status".into(),
                            serde_json::to_value(s).unwrap_or(Value::Null),
                        );
                    }
                }
                "info" => {
                    if let Ok(i) = h.connector_info(&name).await {
                        entry.insert(
                            "info".into(),
                            serde_json::to_value(i).unwrap_or(Value::Null),
                        );
                    }
                }
                other => tracing::info!(expand = other, "Ignoring unknown expansion type"),
            }
        }
        out.insert(name, Value::Object(entry));
    }
    Ok(json_response(StatusCode::OK, Value::Object(out)))
}

/// Java's `checkAndPutConnectorConfigName`: a `name` in the config must match the URL/request
/// name; a missing one is inserted.
fn check_and_put_name(name: &str, config: &mut RawConfig) -> RestResult<()> {
    match config.get("name") {
        Some(Some(n)) if n != name => Err(RestError::new(
            400,
            format!("Connector name configuration ({n}) doesn't match connector name in the URL ({name})"),
        )),
        Some(_) => Ok(()),
        None => {
            config.insert("name".into(), Some(name.to_string()));
            Ok(())
        }
    }
}

/// Null values fail validation, reported with every other validation error (400).
async fn reject_nulls(h: &Shared, config: &RawConfig) -> RestResult<()> {
    if config.values().all(Option::is_some) {
        return Ok(());
    }
    let infos = h.validate(config).await?;
    Err(RestError::new(400, invalid_config_message(&infos)))
}

fn created(name: &str, info: impl serde::Serialize) -> Response {
    let mut resp = json_response(StatusCode::CREATED, info);
    resp.headers_mut().insert(header::LOCATION, location(name));
    resp
}

pub async fn create(
    State(h): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> RestResult<Response> {
    require_json(&headers)?;
    let CreateConnectorRequest {
        name,
        mut config,
        initial_state,
    } = body::parse_create(&bytes)?;
    check_and_put_name(&name, &mut config)?;
    reject_nulls(&h, &config).await?;
    let (_, info) = h
        .put_connector_config(&name, non_null(&config), false, initial_state)
        .await?;
    Ok(created(&name, info))
}

pub async fn info(State(h): State<Shared>, Path(name): Path<String>) -> RestResult<Response> {
    Ok(json_response(
        StatusCode::OK,
        h.connector_info(&name).await?,
    ))
}

pub async fn delete(State(h): State<Shared>, Path(name): Path<String>) -> RestResult<StatusCode> {
    h.delete_connector(&name).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn get_config(State(h): State<Shared>, Path(name): Path<String>) -> RestResult<Response> {
    Ok(json_response(
        StatusCode::OK,
        h.connector_config(&name).await?,
    ))
}

pub async fn put_config(
    State(h): State<Shared>,
    Path(name): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> RestResult<Response> {
    require_json(&headers)?;
    let mut config = body::parse_config_map(&bytes)?.ok_or_else(|| {
        RestError::new(
            500,
            "Cannot invoke \"java.util.Map.get(Object)\" because \"connectorConfig\" is null",
        )
    })?;
    check_and_put_name(&name, &mut config)?;
    reject_nulls(&h, &config).await?;
    let (was_created, info) = h
        .put_connector_config(&name, non_null(&config), true, None)
        .await?;
    Ok(if was_created {
        created(&name, info)
    } else {
        json_response(StatusCode::OK, info)
    })
}

pub async fn patch_config(
    State(h): State<Shared>,
    Path(name): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> RestResult<Response> {
    require_json(&headers)?;
    let Some(patch) = body::parse_config_map(&bytes)? else {
        // Java looks the connector up before it dereferences the (null) patch.
        h.connector_info(&name).await?;
        return Err(RestError::new(
            500,
            "Cannot invoke \"java.util.Map.forEach(java.util.function.BiConsumer)\" because \"patch\" is null",
        ));
    };
    Ok(json_response(
        StatusCode::OK,
        h.patch_connector_config(&name, patch).await?,
    ))
}

pub async fn status(State(h): State<Shared>, Path(name): Path<String>) -> RestResult<Response> {
    Ok(json_response(
        StatusCode::OK,
        h.connector_status(&name).await?,
    ))
}

pub async fn tasks(State(h): State<Shared>, Path(name): Path<String>) -> RestResult<Response> {
    Ok(json_response(StatusCode::OK, h.task_configs(&name).await?))
}

/// The signature headers and raw body of an internal request.
fn internal_request(headers: &HeaderMap, body: &[u8]) -> InternalRequest {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    InternalRequest {
        signature: text("X-Connect-Authorization"),
        algorithm: text("X-Connect-Request-Signature-Algorithm"),
        body: body.to_vec(),
    }
}

/// Internal (hidden) `POST /connectors/{c}/tasks`: a JSON array of task config maps.
pub async fn put_task_configs(
    State(h): State<Shared>,
    Path(name): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> RestResult<Response> {
    let configs = body::parse_task_configs(&bytes)?;
    h.put_task_configs(&name, configs, internal_request(&headers, &bytes))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Internal (hidden) `PUT /connectors/{c}/fence`.
pub async fn fence(
    State(h): State<Shared>,
    Path(name): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> RestResult<Response> {
    h.fence_zombies(&name, internal_request(&headers, &bytes))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Deprecated by KIP-970 and removed in Kafka 4.0; kept so 3.x scripts keep working.
pub async fn tasks_config(
    State(h): State<Shared>,
    Path(name): Path<String>,
) -> RestResult<Response> {
    tracing::warn!("The 'GET /connectors/{{connector}}/tasks-config' endpoint is deprecated and will be removed in the next major release.");
    let tasks = h.task_configs(&name).await?;
    if tasks.is_empty() {
        // Java's standalone quirk: a connector without tasks is "not found" here.
        return Err(RestError::new(404, format!("Connector {name} not found")));
    }
    let map: serde_json::Map<String, Value> = tasks
        .into_iter()
        .map(|t| {
            (
                format!("{}-{}", t.id.connector, t.id.task),
                serde_json::to_value(t.config).unwrap_or(Value::Null),
            )
        })
        .collect();
    Ok(json_response(StatusCode::OK, Value::Object(map)))
}

/// `{task}` is a Java `int` path parameter: anything else does not match the route (404).
fn task_number(raw: &str) -> RestResult<i32> {
    raw.parse()
        .map_err(|_| RestError::new(404, "HTTP 404 Not Found"))
}

pub async fn task_status(
    State(h): State<Shared>,
    Path((name, task)): Path<(String, String)>,
) -> RestResult<Response> {
    let t = task_number(&task)?;
    let t = u32::try_from(t)
        .map_err(|_| RestError::new(404, format!("No status found for task {name}-{t}")))?;
    Ok(json_response(
        StatusCode::OK,
        h.task_status(&name, t).await?,
    ))
}

pub async fn restart_task(
    State(h): State<Shared>,
    Path((name, task)): Path<(String, String)>,
) -> RestResult<StatusCode> {
    let t = task_number(&task)?;
    match u32::try_from(t) {
        Ok(t) => h.restart_task(&name, t).await?,
        Err(_) => {
            h.connector_info(&name).await?;
            return Err(RestError::new(404, format!("Task {name}-{t} not found")));
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

pub async fn restart(
    State(h): State<Shared>,
    Path(name): Path<String>,
    RawQuery(q): RawQuery,
) -> RestResult<Response> {
    let pairs = query_pairs(q.as_deref());
    let include_tasks = query_bool(query_param(&pairs, "includeTasks"));
    let only_failed = query_bool(query_param(&pairs, "onlyFailed"));
    match h
        .restart_connector(&name, include_tasks, only_failed)
        .await?
    {
        None => Ok(StatusCode::NO_CONTENT.into_response()),
        Some(plan) => Ok(json_response(StatusCode::ACCEPTED, plan)),
    }
}

pub async fn pause(State(h): State<Shared>, Path(name): Path<String>) -> RestResult<StatusCode> {
    h.pause_connector(&name).await?;
    Ok(StatusCode::ACCEPTED)
}

pub async fn resume(State(h): State<Shared>, Path(name): Path<String>) -> RestResult<StatusCode> {
    h.resume_connector(&name).await?;
    Ok(StatusCode::ACCEPTED)
}

pub async fn stop(State(h): State<Shared>, Path(name): Path<String>) -> RestResult<StatusCode> {
    h.stop_connector(&name).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn topics(State(h): State<Shared>, Path(name): Path<String>) -> RestResult<Response> {
    let topics = h.connector_active_topics(&name).await?;
    Ok(json_response(
        StatusCode::OK,
        json!({ name: {"topics": topics} }),
    ))
}

pub async fn reset_topics(
    State(h): State<Shared>,
    Path(name): Path<String>,
) -> RestResult<StatusCode> {
    h.reset_connector_active_topics(&name).await?;
    Ok(StatusCode::ACCEPTED)
}

pub async fn get_offsets(
    State(h): State<Shared>,
    Path(name): Path<String>,
) -> RestResult<Response> {
    Ok(json_response(
        StatusCode::OK,
        h.connector_offsets(&name).await?,
    ))
}

pub async fn patch_offsets(
    State(h): State<Shared>,
    Path(name): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> RestResult<Response> {
    require_json(&headers)?;
    let offsets = body::parse_offsets(&bytes)?;
    let message = h.alter_offsets(&name, offsets).await?;
    Ok(json_response(StatusCode::OK, json!({"message": message})))
}

pub async fn delete_offsets(
    State(h): State<Shared>,
    Path(name): Path<String>,
) -> RestResult<Response> {
    let message = h.reset_offsets(&name).await?;
    Ok(json_response(StatusCode::OK, json!({"message": message})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_decode_like_jersey() {
        let p = query_pairs(Some("expand=status&expand=info&x=a%20b+c&flag&bad=%zz%"));
        assert_eq!(query_param(&p, "expand"), Some("status"));
        assert_eq!(p.iter().filter(|(k, _)| k == "expand").count(), 2);
        assert_eq!(query_param(&p, "x"), Some("a b c"));
        assert_eq!(query_param(&p, "flag"), Some(""));
        assert_eq!(query_param(&p, "bad"), Some("%zz%"));
        assert!(query_pairs(None).is_empty());
    }

    #[test]
    fn name_check() {
        let mut c = RawConfig::new();
        check_and_put_name("a", &mut c).unwrap();
        assert_eq!(c["name"].as_deref(), Some("a"));
        c.insert("name".into(), Some("b".into()));
        assert_eq!(check_and_put_name("a", &mut c).unwrap_err().status, 400);
    }
}
