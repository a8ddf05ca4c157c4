//! `/connector-plugins/**` handlers (Java's `ConnectorPluginsResource`): plugin listing, config
//! definitions, and config validation.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use super::connectors::{query_pairs, query_param};
use super::{body, json_response, require_json, RestError, RestResult, Shared};
use crate::connector_config::framework_def;
use crate::herder::ConfigKeyInfo;
use crate::plugin::{ConverterRole, PluginType};

/// Listing order when `connectorsOnly=false`; within a type, by class name.
const ORDER: [PluginType; 6] = [
    PluginType::Sink,
    PluginType::Source,
    PluginType::Transformation,
    PluginType::Predicate,
    PluginType::Converter,
    PluginType::HeaderConverter,
];

pub async fn list(State(h): State<Shared>, RawQuery(q): RawQuery) -> Response {
    let pairs = query_pairs(q.as_deref());
    // A Java `boolean` query parameter defaulting to true: only "true" (any case) is true.
    let connectors_only =
        query_param(&pairs, "connectorsOnly").is_none_or(|v| v.eq_ignore_ascii_case("true"));
    let mut infos = h.registry().plugin_infos();
    infos.retain(|i| !connectors_only || matches!(i.kind, PluginType::Sink | PluginType::Source));
    infos.sort_by_key(|i| {
        (
            ORDER
                .iter()
                .position(|k| *k == i.kind)
                .unwrap_or(ORDER.len()),
            i.class,
        )
    });
    infos.dedup_by(|a, b| a.kind == b.kind && a.class == b.class);
    let out: Vec<Value> = infos
        .into_iter()
        .map(|i| {
            let mut v = json!({"class": i.class, "type": i.kind.as_str()});
            // Java omits the version of plugins that are not `Versioned`.
            if i.version != "undefined" {
                v["version"] = json!(i.version);
            }
            v
        })
        .collect();
    json_response(StatusCode::OK, out)
}

pub async fn config(State(h): State<Shared>, Path(plugin): Path<String>) -> RestResult<Response> {
    let registry = h.registry();
    if let Ok(c) = registry.connector(&plugin) {
        let def = c.config_def().merge(&framework_def(c.connector_type()));
        let keys: Vec<ConfigKeyInfo> = def.keys().iter().map(Into::into).collect();
        return Ok(json_response(StatusCode::OK, keys));
    }
    let converter = registry
        .converter_plugin(ConverterRole::Value, &plugin)
        .or_else(|_| registry.converter_plugin(ConverterRole::Header, &plugin));
    if let Ok(c) = converter {
        let keys: Vec<ConfigKeyInfo> = (c.config_def)().keys().iter().map(Into::into).collect();
        return Ok(json_response(StatusCode::OK, keys));
    }
    // Transforms and predicates: by class name or an alias Java keeps (not `Cast$Value`, not
    // the shared `Value`).
    let transform = registry
        .resolve(&plugin)
        .and_then(|info| registry.transform(info.class));
    if let Some(t) = transform {
        let keys: Vec<ConfigKeyInfo> = (t.config_def)().keys().iter().map(Into::into).collect();
        return Ok(json_response(StatusCode::OK, keys));
    }
    Err(RestError::new(404, format!("Unknown plugin {plugin}.")))
}

/// Java's normalisation for the type check: trimmed, a trailing `Connector` dropped.
fn normalized(name: &str) -> &str {
    let t = name.trim();
    t.strip_suffix("Connector").unwrap_or(t)
}

pub async fn validate(
    State(h): State<Shared>,
    Path(plugin): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> RestResult<Response> {
    require_json(&headers)?;
    let config = body::parse_config_map(&bytes)?.ok_or_else(|| {
        RestError::new(
            500,
            "Cannot invoke \"java.util.Map.get(Object)\" because \"connectorConfig\" is null",
        )
    })?;
    if let Some(Some(class)) = config.get("connector.class") {
        if !normalized(class).ends_with(normalized(&plugin)) {
            return Err(RestError::new(
                400,
                format!("Included connector type {class} does not match request type {plugin}"),
            ));
        }
    }
    // Java validates asynchronously and rethrows failures wrapped, so they surface as 500s
    // whose message is the wrapped exception's `toString()`.
    let infos = h.validate(&config).await.map_err(|e| {
        let inner = if e.message().starts_with("Failed to find any class") {
            format!(
                "org.apache.kafka.connect.errors.ConnectException: {}",
                e.message()
            )
        } else {
            e.message().to_string()
        };
        RestError::new(
            500,
            format!("org.apache.kafka.connect.runtime.rest.errors.BadRequestException: {inner}"),
        )
    })?;
    Ok(json_response(StatusCode::OK, infos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_check_normalisation() {
        assert!(
            normalized("org.apache.kafka.connect.file.FileStreamSourceConnector")
                .ends_with(normalized("FileStreamSource"))
        );
        assert!(normalized("FileStreamSource").ends_with(normalized("FileStreamSourceConnector")));
        assert!(!normalized("FileStreamSink").ends_with(normalized("FileStreamSource")));
    }
}
