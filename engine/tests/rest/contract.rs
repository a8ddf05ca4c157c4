//! The REST contract without any broker: shapes, status codes and Java's messages for the
//! routes that need no running task, the error body everywhere (unknown routes, wrong methods,
//! media types, malformed bodies), KIP-980 initial states, validation, plugins, and loggers that
//! really change what is logged.

use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{json, Value};

use super::support::*;

fn source_config(topic: &str) -> Value {
    json!({"connector.class": SOURCE_CLASS, "topic": topic})
}

#[tokio::test]
async fn root_health_and_error_bodies_everywhere() {
    let w = OfflineWorker::start().await;
    let http = &w.http;
    let r = http.get("/").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["kafka_cluster_id"], "test-cluster");
    assert!(r.body["version"].is_string() && r.body["commit"].is_string());
    let r = http.get("/health").await;
    assert_eq!(
        (r.status, r.body),
        (
            200,
            json!({"status": "healthy", "message": "Worker has completed startup and is ready to handle requests."})
        )
    );

    let cases: &[(&str, &str, Option<&str>, u16, &str)] = &[
        ("GET", "/nope", None, 404, "HTTP 404 Not Found"),
        ("GET", "/connectors/a/tasks/x/status", None, 404, "HTTP 404 Not Found"),
        ("GET", "/connectors/%FF", None, 400, ""),
        ("DELETE", "/connectors", None, 405, "HTTP 405 Method Not Allowed"),
        ("POST", "/connectors", Some("{bad"), 500, "Unexpected character ('b' (code 98))"),
        ("POST", "/connectors", Some("[]"), 500, "Cannot deserialize value of type `org.apache.kafka.connect.runtime.rest.entities.CreateConnectorRequest` from Array value"),
        ("POST", "/connectors", Some(r#"{"name":"a","foo":1}"#), 500, "Unrecognized field \"foo\""),
        ("POST", "/connectors", Some(r#"{"name":"a","config":{}}"#), 400, "Connector config {name=a} contains no connector type"),
        ("PUT", "/connectors/a/config", Some("[]"), 500, "Cannot deserialize value of type `java.util.LinkedHashMap<java.lang.String,java.lang.String>`"),
        ("PATCH", "/connectors/a/offsets", Some(r#"{"offsets":[]}"#), 400, "Partitions / offsets need to be provided for an alter offsets request"),
        ("GET", "/connectors/nope", None, 404, "Connector nope not found"),
        ("GET", "/connectors/nope/status", None, 404, "No status found for connector nope"),
        ("GET", "/connectors/nope/tasks/0/status", None, 404, "No status found for task nope-0"),
        ("PUT", "/connectors/nope/pause", None, 404, "Unknown connector nope"),
        ("PUT", "/connectors/nope/resume", None, 404, "Unknown connector nope"),
        ("PUT", "/connectors/nope/stop", None, 500, "No connector `nope` configured"),
        ("POST", "/connectors/nope/restart?includeTasks=true", None, 404, "Unknown connector: nope"),
        ("GET", "/connectors/nope/offsets", None, 404, "Connector nope not found"),
        ("DELETE", "/connectors/nope", None, 404, "Connector nope not found"),
        ("GET", "/connector-plugins/Nope/config", None, 404, "Unknown plugin Nope."),
        ("GET", "/admin/loggers/no.such.logger", None, 404, "Logger no.such.logger not found."),
        ("PUT", "/admin/loggers/x", Some(r#"{"lvl":"INFO"}"#), 400, "Desired 'level' parameter was not specified in request."),
        ("PUT", "/admin/loggers/x", Some(r#"{"level":"loud"}"#), 404, "invalid log level 'loud'."),
    ];
    for (method, path, body, status, message) in cases {
        let r = http.call(method, path, *body).await;
        assert_eq!(r.status, *status, "{method} {path}: {}", r.body);
        assert_eq!(r.body["error_code"], json!(status), "{method} {path}");
        let m = r.body["message"].as_str().unwrap_or_default();
        assert!(
            m.starts_with(message),
            "{method} {path}: {m:?} should start with {message:?}"
        );
    }

    // Media types, as Jersey negotiates them.
    let r = http
        .send(
            http.request("POST", "/connectors")
                .header("Content-Type", "text/plain")
                .body("{}"),
        )
        .await;
    assert_eq!(
        (r.status, r.body["message"].as_str()),
        (415, Some("HTTP 415 Unsupported Media Type"))
    );
    let r = http
        .send(http.request("POST", "/connectors").body("{}"))
        .await;
    assert_eq!(r.status, 415, "a body needs a JSON content type");
    let r = http
        .send(
            http.request("GET", "/connectors")
                .header("Accept", "text/plain"),
        )
        .await;
    assert_eq!(
        (r.status, r.body["message"].as_str()),
        (406, Some("HTTP 406 Not Acceptable"))
    );
    let r = http
        .send(
            http.request("GET", "/connectors/")
                .header("Accept", "text/html, */*;q=0.8"),
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (200, json!([])),
        "trailing slash and browser Accept are fine"
    );
}

#[tokio::test]
async fn create_initial_states_and_conflicts() {
    let w = OfflineWorker::start().await;
    let http = &w.http;
    let body = json!({"name": "stopped", "config": source_config("t"), "initial_state": "stopped"});
    let r = http
        .call("POST", "/connectors", Some(&body.to_string()))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.headers["location"], "/connectors/stopped");
    assert_eq!(
        r.body,
        json!({"name": "stopped", "config": {"connector.class": SOURCE_CLASS, "name": "stopped", "topic": "t"}, "tasks": [], "type": "source"})
    );
    let r = http
        .call("POST", "/connectors", Some(&body.to_string()))
        .await;
    assert_eq!(
        (r.status, r.body["message"].as_str()),
        (409, Some("Connector stopped already exists"))
    );
    let status = http.get("/connectors/stopped/status").await.body;
    assert_eq!(status["connector"]["state"], "STOPPED");
    assert_eq!(status["connector"]["version"], "1.0");
    assert_eq!(status["tasks"], json!([]));
    assert!(status["connector"]["worker_id"]
        .as_str()
        .unwrap()
        .starts_with("127.0.0.1:"));

    let body = json!({"name": "paused", "config": source_config("t"), "initial_state": "PAUSED"});
    assert_eq!(
        http.call("POST", "/connectors", Some(&body.to_string()))
            .await
            .status,
        201
    );
    let status = http.get("/connectors/paused/status").await.body;
    assert_eq!(states(&status), ("PAUSED".into(), vec![]));
    assert_eq!(
        http.get("/connectors/paused").await.body["tasks"],
        json!([])
    );
    // STOPPED → PAUSED: a paused connector with no tasks.
    assert_eq!(
        http.call("PUT", "/connectors/stopped/pause", None)
            .await
            .status,
        202
    );
    assert_eq!(
        states(&http.get("/connectors/stopped/status").await.body),
        ("PAUSED".into(), vec![])
    );
    assert_eq!(
        http.call("PUT", "/connectors/stopped/stop", None)
            .await
            .status,
        204
    );

    // Offsets of a connector created STOPPED can be altered before its first run.
    let patch =
        json!({"offsets": [{"partition": {"task": "0"}, "offset": {"position": 7}}]}).to_string();
    let r = http
        .call("PATCH", "/connectors/stopped/offsets", Some(&patch))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        http.get("/connectors/stopped/offsets").await.body,
        json!({"offsets": [{"partition": {"task": "0"}, "offset": {"position": 7}}]})
    );
    let bad =
        json!({"offsets": [{"partition": {"task": "0"}, "offset": {"position": [1]}}]}).to_string();
    let r = http
        .call("PATCH", "/connectors/stopped/offsets", Some(&bad))
        .await;
    assert_eq!(
        (r.status, r.body["message"].as_str()),
        (500, Some("Offsets may only contain primitive types as values, but field position contains ARRAY"))
    );
    let r = http
        .call("PATCH", "/connectors/paused/offsets", Some(&patch))
        .await;
    assert_eq!(r.status, 400, "only STOPPED connectors");

    // Expand.
    let all = http.get("/connectors?expand=status&expand=info").await.body;
    assert_eq!(all["paused"]["status"]["connector"]["state"], "PAUSED");
    assert_eq!(all["stopped"]["info"]["type"], "source");
    assert_eq!(
        http.get("/connectors?expand=foo").await.body,
        json!({"paused": {}, "stopped": {}})
    );
    let mut names: Vec<String> =
        serde_json::from_value(http.get("/connectors").await.body).unwrap();
    names.sort();
    assert_eq!(names, vec!["paused", "stopped"]);

    // Name checks, nulls and validation errors give Java's 400 messages.
    let r = http
        .call(
            "POST",
            "/connectors",
            Some(
                &json!({"name": "a", "config": {"connector.class": SOURCE_CLASS, "name": "b"}})
                    .to_string(),
            ),
        )
        .await;
    assert_eq!(
        r.body["message"],
        "Connector name configuration (b) doesn't match connector name in the URL (a)"
    );
    let r = http
        .call("POST", "/connectors", Some(&json!({"name": "a", "config": {"connector.class": SOURCE_CLASS, "x": null, "tasks.max": "x"}}).to_string()))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body["message"],
        "Connector configuration is invalid and contains the following 4 error(s):\nInvalid value x for configuration tasks.max: Not a number of type INT\nInvalid value null for configuration tasks.max: Value must be non-null\nNull value can not be supplied as the configuration value.\nMissing required configuration \"topic\" which has no default value.\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`"
    );
    let r = http
        .call(
            "POST",
            "/connectors",
            Some(r#"{"name":"a","config":{"connector.class":"Nope"}}"#),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.body["message"].as_str().unwrap().starts_with("Failed to find any class that implements Connector and which name matches Nope, available connectors are: PluginDesc{klass=class io.strait.test."), "{}", r.body);

    // PUT creates (201) then updates (200); PATCH edits; restart plans on a stopped connector.
    let r = http
        .call(
            "PUT",
            "/connectors/put/config",
            Some(&json!({"connector.class": SOURCE_CLASS, "topic": "t"}).to_string()),
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(
        http.call("PUT", "/connectors/put/stop", None).await.status,
        204
    );
    let r = http
        .call(
            "PUT",
            "/connectors/put/config",
            Some(&json!({"connector.class": SOURCE_CLASS, "topic": "u"}).to_string()),
        )
        .await;
    assert_eq!(
        (r.status, r.body["config"]["topic"].as_str()),
        (200, Some("u"))
    );
    let r = http
        .call(
            "PATCH",
            "/connectors/put/config",
            Some(r#"{"topic":"v","tasks.max":null}"#),
        )
        .await;
    assert_eq!(
        (r.status, r.body["config"]["topic"].as_str()),
        (200, Some("v"))
    );
    assert_eq!(
        http.get("/connectors/put/config").await.body,
        json!({"connector.class": SOURCE_CLASS, "name": "put", "topic": "v"})
    );
    let r = http
        .call("POST", "/connectors/put/restart?includeTasks=true", None)
        .await;
    assert_eq!(
        (r.status, r.body["connector"]["state"].as_str()),
        (202, Some("RESTARTING"))
    );
    assert_eq!(
        http.call("POST", "/connectors/put/restart", None)
            .await
            .status,
        204
    );
    assert_eq!(
        http.get("/connectors/put/status").await.body["connector"]["state"],
        "STOPPED"
    );
    assert_eq!(
        http.call("DELETE", "/connectors/put", None).await.status,
        204
    );

    // Topics: unknown connectors have none; reset is accepted.
    assert_eq!(
        http.get("/connectors/nope/topics").await.body,
        json!({"nope": {"topics": []}})
    );
    assert_eq!(
        http.call("PUT", "/connectors/nope/topics/reset", None)
            .await
            .status,
        202
    );
    drop(w);
}

#[tokio::test]
async fn plugins_and_validation() {
    let w = OfflineWorker::start().await;
    let http = &w.http;
    let r = http.get("/connector-plugins").await;
    assert_eq!(
        r.body,
        json!([
            {"class": crate::sink_runtime::CONTROLLED_SINK, "type": "sink", "version": "1.0"},
            {"class": SINK_CLASS, "type": "sink", "version": "1.0"},
            {"class": SOURCE_CLASS, "type": "source", "version": "1.0"}
        ])
    );
    let all = http
        .get("/connector-plugins?connectorsOnly=false")
        .await
        .body;
    assert!(
        all.as_array()
            .unwrap()
            .contains(&json!({"class": STRING_CONVERTER, "type": "converter", "version": "1.0"})),
        "{all}"
    );
    let defs = http
        .get("/connector-plugins/CounterSource/config")
        .await
        .body;
    let names: Vec<&str> = defs
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(&names[..3], &["topic", "rows.per.poll", "max.rows"]);
    assert!(names.contains(&"tasks.max") && names.contains(&"errors.tolerance"));
    let keys: Vec<&String> = defs[0].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "name",
            "type",
            "required",
            "default_value",
            "importance",
            "documentation",
            "group",
            "width",
            "display_name",
            "dependents",
            "order"
        ]
    );

    let good = json!({"connector.class": SOURCE_CLASS, "name": "v", "topic": "t"}).to_string();
    let r = http
        .call(
            "PUT",
            "/connector-plugins/CounterSource/config/validate",
            Some(&good),
        )
        .await;
    assert_eq!((r.status, r.body["error_count"].as_u64()), (200, Some(0)));
    assert_eq!(r.body["name"], SOURCE_CLASS);
    assert_eq!(r.body["groups"][0], "Common");
    let bad =
        json!({"connector.class": "CounterSource", "tasks.max": "0", "key.converter": "Nope"})
            .to_string();
    let r = http
        .call(
            "PUT",
            "/connector-plugins/CounterSource/config/validate",
            Some(&bad),
        )
        .await;
    assert_eq!(r.status, 200, "errors are reported in the body");
    // name missing, tasks.max < 1, unknown converter class, topic missing.
    assert_eq!(r.body["error_count"], 4, "{}", r.body);
    let errors: Vec<(String, Value)> = r.body["configs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| !c["value"]["errors"].as_array().unwrap().is_empty())
        .map(|c| {
            (
                c["value"]["name"].as_str().unwrap().to_string(),
                c["value"]["errors"].clone(),
            )
        })
        .collect();
    assert_eq!(errors[2], ("key.converter".to_string(), json!(["Invalid value Nope for configuration key.converter: Class Nope could not be found."])));
    let r = http
        .call(
            "PUT",
            "/connector-plugins/Other/config/validate",
            Some(&good),
        )
        .await;
    assert_eq!(
        r.body["message"],
        format!("Included connector type {SOURCE_CLASS} does not match request type Other")
    );
    let r = http
        .call(
            "PUT",
            "/connector-plugins/CounterSource/config/validate",
            Some("{}"),
        )
        .await;
    assert_eq!(
        (r.status, r.body["message"].as_str()),
        (500, Some("org.apache.kafka.connect.runtime.rest.errors.BadRequestException: Connector config {} contains no connector type"))
    );
}

/// Transforms and predicates: listed, defined (by class and by the aliases Java keeps) and
/// validated with the keys each alias adds; a create with an invalid chain is a 400.
#[tokio::test]
async fn transforms_and_predicates_are_listed_defined_and_validated() {
    let w = OfflineWorker::start().await;
    let http = &w.http;
    let all = http
        .get("/connector-plugins?connectorsOnly=false")
        .await
        .body;
    let listed: Vec<Value> = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["type"] == "transformation" || p["type"] == "predicate")
        .cloned()
        .collect();
    // Java's order: transformations before predicates, each by class, with Kafka's version;
    // the shipped ones are listed too.
    let kinds: Vec<&str> = listed.iter().map(|p| p["type"].as_str().unwrap()).collect();
    let last_transformation = kinds.iter().rposition(|k| *k == "transformation");
    let first_predicate = kinds.iter().position(|k| *k == "predicate");
    assert!(last_transformation < first_predicate, "{kinds:?}");
    for kind in ["transformation", "predicate"] {
        let classes: Vec<&str> = listed
            .iter()
            .filter(|p| p["type"] == kind)
            .map(|p| p["class"].as_str().unwrap())
            .collect();
        assert!(classes.windows(2).all(|w| w[0] < w[1]), "{classes:?}");
    }
    assert!(listed.contains(
        &json!({"class": "org.apache.kafka.connect.transforms.Cast$Value", "type": "transformation", "version": "4.1.2"})
    ));
    assert!(listed.contains(
        &json!({"class": "org.apache.kafka.connect.transforms.predicates.HasHeaderKey", "type": "predicate", "version": "4.1.2"})
    ));
    let listed: Vec<Value> = listed
        .into_iter()
        .filter(|p| p["class"].as_str().unwrap().starts_with("io.strait.test."))
        .collect();
    assert_eq!(
        listed,
        [
            json!({"class": MARK_VALUE, "type": "transformation", "version": "4.1.2"}),
            json!({"class": TAG_KEY, "type": "transformation", "version": "4.1.2"}),
            json!({"class": TAG_VALUE, "type": "transformation", "version": "4.1.2"}),
            json!({"class": IS_TAGGED, "type": "predicate", "version": "4.1.2"}),
        ]
    );
    assert!(!http
        .get("/connector-plugins")
        .await
        .body
        .to_string()
        .contains("transformation"));

    let defs = http
        .get(&format!("/connector-plugins/{TAG_VALUE}/config"))
        .await;
    assert_eq!(defs.status, 200);
    let names: Vec<&str> = defs
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["tag", "times"], "the plugin's own keys only");
    let predicate = http.get("/connector-plugins/IsTagged/config").await;
    assert_eq!((predicate.status, predicate.body.clone()), (200, json!([])));
    // A nested class has no alias of its own; `Value` names two classes, so neither.
    for name in ["Tag$Value", "Value"] {
        let r = http.get(&format!("/connector-plugins/{name}/config")).await;
        assert_eq!(
            (r.status, r.body["message"].as_str()),
            (404, Some(format!("Unknown plugin {name}.").as_str()))
        );
    }

    let chain = json!({
        "connector.class": SOURCE_CLASS, "name": "v", "topic": "t",
        "transforms": "t1,t2", "transforms.t1.type": TAG_VALUE, "transforms.t1.times": "0",
        "transforms.t1.predicate": "p", "transforms.t2.type": "IsTagged",
        "predicates": "p", "predicates.p.type": "IsTaggedPredicate",
    });
    let r = http
        .call(
            "PUT",
            "/connector-plugins/CounterSource/config/validate",
            Some(&chain.to_string()),
        )
        .await;
    assert_eq!(r.status, 200);
    let groups: Vec<&str> = r.body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_str().unwrap())
        .collect();
    // After the framework's groups, one per alias, in list order.
    assert!(
        groups.windows(4).any(|w| w
            == [
                "offsets.topic",
                "Transforms: t1",
                "Transforms: t2",
                "Predicates: p"
            ]),
        "{groups:?}"
    );
    let configs = r.body["configs"].as_array().unwrap();
    let chain_keys: Vec<(&str, Value)> = configs
        .iter()
        .filter(|c| {
            let n = c["value"]["name"].as_str().unwrap();
            n.starts_with("transforms.") || n.starts_with("predicates.")
        })
        .map(|c| {
            (
                c["value"]["name"].as_str().unwrap(),
                c["value"]["errors"].clone(),
            )
        })
        .collect();
    assert_eq!(
        chain_keys,
        [
            ("transforms.t1.type", json!([])),
            ("transforms.t1.tag", json!(["Missing required configuration \"transforms.t1.tag\" which has no default value."])),
            ("transforms.t1.negate", json!([])),
            ("transforms.t1.predicate", json!([])),
            ("transforms.t1.times", json!(["Invalid value 0 for configuration times: Value must be at least 1"])),
            ("transforms.t2.type", json!(["Class class io.strait.test.IsTaggedPredicate does not implement the Transformation interface"])),
            ("predicates.p.type", json!([])),
        ]
    );
    assert_eq!(r.body["error_count"], 3);
    let t1 = configs
        .iter()
        .find(|c| c["value"]["name"] == "transforms.t1.type")
        .unwrap();
    assert_eq!(t1["definition"]["group"], "Transforms: t1");
    // Every installed transformation (the test's and the shipped ones), sorted.
    let recommended: Vec<&str> = t1["value"]["recommended_values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        recommended.windows(2).all(|w| w[0] < w[1]),
        "{recommended:?}"
    );
    for class in [
        MARK_VALUE,
        TAG_KEY,
        TAG_VALUE,
        "org.apache.kafka.connect.transforms.Cast$Value",
    ] {
        assert!(recommended.contains(&class), "{class} in {recommended:?}");
    }
    assert!(
        !recommended.contains(&IS_TAGGED),
        "predicates are not transformations"
    );

    let r = http
        .call(
            "POST",
            "/connectors",
            Some(&json!({"name": "v", "config": chain}).to_string()),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body["message"],
        "Connector configuration is invalid and contains the following 3 error(s):\nMissing required configuration \"transforms.t1.tag\" which has no default value.\nInvalid value 0 for configuration times: Value must be at least 1\nClass class io.strait.test.IsTaggedPredicate does not implement the Transformation interface\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`"
    );
    assert_eq!(http.get("/connectors/v").await.status, 404);
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

/// The process-wide subscriber of this test binary, writing into memory.
fn captured_logs() -> Capture {
    static CAPTURE: OnceLock<Capture> = OnceLock::new();
    CAPTURE
        .get_or_init(|| {
            let c = Capture::default();
            strait_engine::logging::init_with("info", c.clone());
            c
        })
        .clone()
}

#[tokio::test]
async fn loggers_change_what_is_logged() {
    let logs = captured_logs();
    let w = OfflineWorker::start().await;
    let http = &w.http;
    let seen = |marker: &str| String::from_utf8_lossy(&logs.0.lock().unwrap()).contains(marker);

    tracing::debug!(target: "strait_test_logger::child", "marker-before");
    assert!(!seen("marker-before"), "DEBUG is off at INFO");
    assert_eq!(
        http.get("/admin/loggers/strait_test_logger").await.status,
        404
    );

    let r = http
        .call(
            "PUT",
            "/admin/loggers/strait_test_logger",
            Some(r#"{"level":"debug"}"#),
        )
        .await;
    assert_eq!((r.status, r.body), (200, json!(["strait_test_logger"])));
    tracing::debug!(target: "strait_test_logger::child", "marker-after");
    assert!(seen("marker-after"), "DEBUG is on for the namespace");
    let level = http.get("/admin/loggers/strait_test_logger").await.body;
    assert_eq!(level["level"], "DEBUG");
    assert!(level["last_modified"].is_i64());

    // Cluster scope: 204, applied locally (standalone is the whole cluster).
    let r = http
        .call(
            "PUT",
            "/admin/loggers/strait_test_logger?scope=cluster",
            Some(r#"{"level":"ERROR"}"#),
        )
        .await;
    assert_eq!((r.status, &r.body), (204, &Value::Null));
    tracing::warn!(target: "strait_test_logger::child", "marker-warn");
    assert!(!seen("marker-warn"), "WARN is off at ERROR");

    let all = http.get("/admin/loggers").await.body;
    assert_eq!(all["strait_test_logger"]["level"], "ERROR");
    assert!(all["root"]["level"].is_string());
    assert!(
        all["org.apache.kafka.connect.runtime.WorkerSinkTask"].is_object(),
        "Java logger names are known"
    );
    assert_eq!(
        http.get("/admin/loggers/ROOT").await.body["level"],
        all["root"]["level"]
    );
}
