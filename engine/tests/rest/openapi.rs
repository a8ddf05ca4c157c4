//! `openapi/strait-connect.json` checked against the running server: every route of the router
//! is documented and nothing else is; every documented operation, sent its documented example,
//! answers with one of its documented statuses, and its body matches the documented schema.

use std::collections::BTreeSet;

use serde_json::Value;

use super::support::*;

fn load() -> Value {
    let path = repo_root().join("openapi/strait-connect.json");
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).expect("the OpenAPI file is JSON")
}

/// A small JSON-schema check covering what the document uses: `$ref`, `type`, `nullable`,
/// `required`, `properties`, `additionalProperties`, `items`, `enum`, `oneOf`, `allOf`.
fn conforms(doc: &Value, schema: &Value, v: &Value, path: &str, errors: &mut Vec<String>) {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/components/schemas/");
        return conforms(doc, &doc["components"]["schemas"][name], v, path, errors);
    }
    if v.is_null() && schema["nullable"].as_bool() == Some(true) {
        return;
    }
    if let Some(all) = schema["allOf"].as_array() {
        for s in all {
            conforms(doc, s, v, path, errors);
        }
        return;
    }
    if let Some(any) = schema["oneOf"].as_array() {
        let ok = any.iter().any(|s| {
            let mut e = Vec::new();
            conforms(doc, s, v, path, &mut e);
            e.is_empty()
        });
        if !ok {
            errors.push(format!("{path}: matches none of oneOf"));
        }
        return;
    }
    let ty = schema["type"].as_str();
    let type_ok = match ty {
        Some("object") => v.is_object(),
        Some("array") => v.is_array(),
        Some("string") => v.is_string(),
        Some("integer") => v.is_i64() || v.is_u64(),
        Some("number") => v.is_number(),
        Some("boolean") => v.is_boolean(),
        _ => true,
    };
    if !type_ok {
        errors.push(format!("{path}: expected {ty:?}, got {v}"));
        return;
    }
    if let Some(allowed) = schema["enum"].as_array() {
        if !allowed.contains(v) {
            errors.push(format!("{path}: {v} not in enum"));
        }
    }
    if let Some(obj) = v.as_object() {
        for r in schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !obj.contains_key(r) {
                errors.push(format!("{path}: missing required `{r}`"));
            }
        }
        for (k, val) in obj {
            match schema["properties"].get(k) {
                Some(s) => conforms(doc, s, val, &format!("{path}.{k}"), errors),
                None => match &schema["additionalProperties"] {
                    Value::Bool(false) => {
                        errors.push(format!("{path}: undocumented property `{k}`"))
                    }
                    s @ Value::Object(_) => conforms(doc, s, val, &format!("{path}.{k}"), errors),
                    _ => {}
                },
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), v.as_array()) {
        for (i, x) in arr.iter().enumerate() {
            conforms(doc, items, x, &format!("{path}[{i}]"), errors);
        }
    }
}

#[test]
fn every_route_is_documented_and_nothing_else() {
    let doc = load();
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(p, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.to_uppercase(), p.clone()))
        })
        .collect();
    let routed: BTreeSet<(String, String)> = strait_engine::rest::ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(
        documented, routed,
        "openapi/strait-connect.json and rest::ROUTES differ"
    );

    // The checker itself catches what it should.
    let mut errors = Vec::new();
    let info = serde_json::json!({"$ref": "#/components/schemas/ConnectorStateInfo"});
    let bad = serde_json::json!({"name": "c", "connector": {"state": "BOGUS"}, "tasks": [{"id": "x"}], "type": "source"});
    conforms(&doc, &info, &bad, "$", &mut errors);
    assert_eq!(errors.len(), 5, "{errors:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documented_operations_answer_as_documented() {
    let doc = load();
    let w = OfflineWorker::start().await;
    let http = &w.http;
    let mut failures = Vec::new();
    let mut ops: Vec<(String, String, Value)> = Vec::new();
    for (path, methods) in doc["paths"].as_object().unwrap() {
        for (method, op) in methods.as_object().unwrap() {
            ops.push((method.to_uppercase(), path.clone(), op.clone()));
        }
    }
    // Deletions last, so the other operations see the sample connector.
    ops.sort_by_key(|(m, ..)| m == "DELETE");
    for (method, template, op) in ops {
        // A sample connector, STOPPED so no task needs a broker.
        let seed = format!(
            r#"{{"name":"docs","config":{{"connector.class":"{SOURCE_CLASS}","topic":"t"}},"initial_state":"STOPPED"}}"#
        );
        http.call("POST", "/connectors", Some(&seed)).await;
        let path = template
            .replace("{name}", "docs")
            .replace("{task}", "0")
            .replace("{plugin}", "CounterSource")
            .replace("{logger}", "root");
        // The examples name Kafka's FileStream connectors; this worker has test plugins.
        let body = op["requestBody"]["content"]["application/json"]["example"]
            .as_object()
            .map(|_| {
                op["requestBody"]["content"]["application/json"]["example"]
                    .to_string()
                    .replace("FileStreamSource", "CounterSource")
            });
        let r = http.call(&method, &path, body.as_deref()).await;
        let what = format!("{method} {template} (sent {path})");
        let Some(documented) = op["responses"].get(r.status.to_string()) else {
            failures.push(format!(
                "{what}: undocumented status {} {}",
                r.status, r.body
            ));
            continue;
        };
        if matches!(
            r.body["message"].as_str(),
            Some("HTTP 404 Not Found" | "HTTP 405 Method Not Allowed")
        ) {
            failures.push(format!("{what}: not routed ({})", r.body));
        }
        if let Some(schema) = documented
            .get("content")
            .map(|c| &c["application/json"]["schema"])
        {
            let mut errors = Vec::new();
            conforms(&doc, schema, &r.body, "$", &mut errors);
            failures.extend(
                errors
                    .into_iter()
                    .map(|e| format!("{what} -> {}: {e}", r.status)),
            );
        } else if !r.body.is_null() {
            failures.push(format!(
                "{what}: {} is documented without a body but got {}",
                r.status, r.body
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "OpenAPI mismatches:\n{}",
        failures.join("\n")
    );
    drop(w);
}
