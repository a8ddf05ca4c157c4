//! The one scripted scenario run against both workers, in order. Placeholders (`${SRC}`,
//! `${TOPIC}`, …) are filled per side before sending and put back into answers before
//! comparing, so each side can have its own topic and output file.
//!
//! Coverage: server info and health, plugin listing and definitions (connectors, converters,
//! transforms and predicates by class and alias), validation (good, bad, mismatched, classless,
//! transform chains valid and with each kind of error), create (and update) with a bad chain,
//! create / duplicate / list / expand, status, info, config get / put / patch, tasks, topics,
//! pause, resume, the restart matrix (legacy, `includeTasks`, `onlyFailed`, on a healthy and on
//! a failed connector), task restart, stop, source and sink offsets (get / patch / reset and
//! their errors), `initial_state`, unknown connectors, unknown routes and methods, media types,
//! malformed bodies, and loggers. Masking: PASSWORD-type values are `[hidden]` in validation
//! answers and raw in a connector's config.
//!
//! [`secure_steps`] is the HTTPS + basic authentication scenario (`--mode secure`).

use base64::Engine;
use serde_json::{json, Value};

use super::diff::Cmp;

/// A condition on a polled body.
pub type Pred = Box<dyn Fn(&Value) -> bool>;

pub enum Step {
    /// Send to both sides and compare the answers.
    Check(Call),
    /// Send to both sides; the answers are not compared (setup, cleanup).
    Do(Call),
    /// Poll `GET path` on each side until it answers `status` and the condition holds (a
    /// timeout is a difference).
    Wait {
        id: String,
        path: String,
        what: &'static str,
        status: u16,
        pred: Pred,
    },
}

pub struct Call {
    pub id: String,
    pub method: &'static str,
    pub path: String,
    pub body: Option<String>,
    /// `Content-Type` to send with the body (default `application/json`); `Some("")` = none.
    pub content_type: Option<&'static str>,
    pub accept: Option<&'static str>,
    /// More request headers (the internal endpoints' signature headers).
    pub headers: Vec<(&'static str, &'static str)>,
    /// The status both sides must answer (besides agreeing), where the contract fixes it.
    pub expect: Option<u16>,
    pub cmp: Cmp,
    /// Retry a side answering 500 (e.g. sink offsets while the stopped task's consumer is
    /// still leaving its group; Java's own message says to retry).
    pub retry_500: bool,
    /// The credentials sent.
    pub auth: Auth,
    /// Response headers (lower case) whose values are compared too.
    pub compare_headers: Vec<&'static str>,
}

/// The `Authorization` a call sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    /// The side's own credentials (none unless its worker requires them).
    Worker,
    /// None.
    Without,
    /// This header value.
    Header(String),
}

/// `Basic base64(user:password)`.
pub fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

fn call(id: &str, method: &'static str, path: &str, body: Option<Value>) -> Call {
    Call {
        id: id.to_string(),
        method,
        path: path.to_string(),
        body: body.map(|b| b.to_string()),
        content_type: None,
        accept: None,
        headers: Vec::new(),
        expect: None,
        cmp: Cmp::default(),
        retry_500: false,
        auth: Auth::Worker,
        compare_headers: Vec::new(),
    }
}

fn check(id: &str, method: &'static str, path: &str, body: Option<Value>) -> Step {
    Step::Check(call(id, method, path, body))
}

fn check_with(id: &str, method: &'static str, path: &str, body: Option<Value>, cmp: Cmp) -> Step {
    Step::Check(Call {
        cmp,
        ..call(id, method, path, body)
    })
}

fn raw(id: &str, method: &'static str, path: &str, body: &str) -> Step {
    Step::Check(Call {
        body: Some(body.to_string()),
        ..call(id, method, path, None)
    })
}

fn get(id: &str, path: &str) -> Step {
    check(id, "GET", path, None)
}

fn wait(id: &str, path: &str, what: &'static str, pred: impl Fn(&Value) -> bool + 'static) -> Step {
    Step::Wait {
        id: id.to_string(),
        path: path.to_string(),
        what,
        status: 200,
        pred: Box::new(pred),
    }
}

/// Wait until `GET path` answers 404. A distributed worker forgets a deleted connector's
/// status when it reads the tombstones back from the status topic, after the DELETE returned.
fn wait_gone(id: &str, path: &str) -> Step {
    Step::Wait {
        id: id.to_string(),
        path: path.to_string(),
        what: "404",
        status: 404,
        pred: Box::new(|_| true),
    }
}

/// Wait until the connector's status is STOPPED. A distributed worker writes it after it acts
/// on the new target state, which happens after the request returned. (Only the connector:
/// its task list is what the following check compares.)
fn wait_stopped(id: &str, status_path: &str) -> Step {
    wait(id, status_path, "connector STOPPED", |v| {
        v["connector"]["state"] == "STOPPED"
    })
}

fn sets(globs: &[&'static str]) -> Cmp {
    Cmp {
        sets: globs.to_vec(),
        ..Cmp::default()
    }
}

fn ours() -> Cmp {
    Cmp {
        key_prefix: Some("${".into()),
        sets: vec!["$"],
        ..Cmp::default()
    }
}

/// The body is a map (key order unspecified).
fn map() -> Cmp {
    Cmp {
        maps: vec!["$"],
        ..Cmp::default()
    }
}

fn states(v: &Value) -> (String, Vec<String>) {
    let c = v["connector"]["state"].as_str().unwrap_or("").to_string();
    let t = v["tasks"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|t| t["state"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default();
    (c, t)
}

fn is(connector: &'static str, tasks: &'static [&'static str]) -> impl Fn(&Value) -> bool {
    move |v| {
        let (c, t) = states(v);
        c == connector && t == tasks
    }
}

/// Validate a FileStreamSink config with `chain` (transforms and predicates) added.
fn validate_chain(id: &str, chain: Value) -> Step {
    let mut config = json!({"connector.class": "FileStreamSink", "name": "${SNK}", "file": "${OUT}", "topics": "${TOPIC}"});
    if let (Some(c), Value::Object(extra)) = (config.as_object_mut(), chain) {
        c.extend(extra);
    }
    check_with(
        id,
        "PUT",
        "/connector-plugins/FileStreamSink/config/validate",
        Some(config),
        sets(&["$.configs", "$.configs[*].value.recommended_values"]),
    )
}

/// Distributed-only checks, run on the source connector while it is RUNNING with its
/// original config: the internal task-config endpoint's request signatures (KIP-507: the
/// single worker leads a `sessioned` group, so every internal request must be signed with
/// the session key) and the `forward` query parameter a worker adds when it forwards a
/// request to the leader or to a connector's owner (here the worker is both, so the request
/// is served where it arrives).
fn distributed_checks(src: &str, src_config: &Value) -> Vec<Step> {
    let task_configs = json!([{"task.class": "org.apache.kafka.connect.file.FileStreamSourceTask", "file": "${IN}", "topic": "${TOPIC}"}]);
    let signed = |id: &str, status: u16, headers: Vec<(&'static str, &'static str)>| {
        Step::Check(Call {
            headers,
            expect: Some(status),
            ..call(
                id,
                "POST",
                &format!("{src}/tasks"),
                Some(task_configs.clone()),
            )
        })
    };
    let expect = |status: u16, c: Call| {
        Step::Check(Call {
            expect: Some(status),
            ..c
        })
    };
    let running = |id: &str| {
        wait(
            id,
            &format!("{src}/status"),
            "RUNNING",
            is("RUNNING", &["RUNNING"]),
        )
    };
    vec![
        signed("internal.unsigned", 400, Vec::new()),
        signed(
            "internal.wrong-signature",
            403,
            vec![
                // A well-formed HMAC-SHA256 (32 bytes, base64) made with another key.
                (
                    "X-Connect-Authorization",
                    "c2lnbmVkIHdpdGggYSBrZXkgbm8gd29ya2VyIGhhcyE=",
                ),
                ("X-Connect-Request-Signature-Algorithm", "HmacSHA256"),
            ],
        ),
        signed(
            "internal.unsupported-algorithm",
            400,
            vec![
                (
                    "X-Connect-Authorization",
                    "c2lnbmVkIHdpdGggYSBrZXkgbm8gd29ya2VyIGhhcyE=",
                ),
                ("X-Connect-Request-Signature-Algorithm", "HmacMD5"),
            ],
        ),
        get("internal.tasks.unchanged", &format!("{src}/tasks")),
        expect(
            200,
            call(
                "forward.config",
                "PUT",
                &format!("{src}/config?forward=true"),
                Some(src_config.clone()),
            ),
        ),
        running("wait.forward.config"),
        expect(
            204,
            call(
                "forward.restart",
                "POST",
                &format!("{src}/restart?forward=false"),
                None,
            ),
        ),
        running("wait.forward.restart"),
        expect(
            202,
            call(
                "forward.restart-plan",
                "POST",
                &format!("{src}/restart?includeTasks=true&forward=true"),
                None,
            ),
        ),
        running("wait.forward.restart-plan"),
        expect(
            204,
            call(
                "forward.task-restart",
                "POST",
                &format!("{src}/tasks/0/restart?forward=false"),
                None,
            ),
        ),
        running("wait.forward.task-restart"),
        get("forward.status", &format!("{src}/status")),
    ]
}

/// Where Java hides PASSWORD-type values, and where it does not. Kafka's FileStream connectors,
/// converters and transforms define no PASSWORD key; the client overrides do: validation types
/// `<client>.override.<key>` with the client's own definition (`ProducerConfig`,
/// `ConsumerConfig`, `AdminClientConfig`), so a password there is answered `[hidden]` while a
/// LONG or INT override is shown as given. A connector's stored config (`GET
/// /connectors/{c}/config`, its info, `?expand=info`) is returned raw.
fn masking_steps() -> Vec<Step> {
    let pw = "/connectors/${PW}";
    let validate = || sets(&["$.configs", "$.configs[*].value.recommended_values"]);
    vec![
        check_with(
            "validate.masking.source",
            "PUT",
            "/connector-plugins/FileStreamSource/config/validate",
            Some(json!({
                "connector.class": "FileStreamSource", "name": "${PW}", "file": "${IN}", "topic": "${TOPIC}",
                "producer.override.ssl.key.password": "conformance-secret-1",
                "producer.override.sasl.jaas.config": "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"conformance-secret-2\";",
                "producer.override.linger.ms": "7",
            })),
            validate(),
        ),
        // A sink with a dead letter queue: its consumer's, producer's and admin's overrides.
        check_with(
            "validate.masking.sink",
            "PUT",
            "/connector-plugins/FileStreamSink/config/validate",
            Some(json!({
                "connector.class": "FileStreamSink", "name": "${PW}", "file": "${OUT}", "topics": "${TOPIC}",
                "errors.tolerance": "all", "errors.deadletterqueue.topic.name": "${TOPIC}-dlq",
                "consumer.override.ssl.truststore.password": "conformance-secret-3",
                "consumer.override.max.poll.records": "10",
                "producer.override.ssl.keystore.password": "conformance-secret-4",
                "admin.override.ssl.key.password": "conformance-secret-5",
            })),
            validate(),
        ),
        // Created STOPPED: the checks are about the stored config, and no client is built with
        // TLS settings for a plaintext broker.
        check(
            "masking.create",
            "POST",
            "/connectors",
            Some(json!({"name": "${PW}", "config": {
                "connector.class": "FileStreamSource", "file": "${IN}", "topic": "${TOPIC}",
                "producer.override.ssl.key.password": "conformance-secret-1",
            }, "initial_state": "STOPPED"})),
        ),
        check_with(
            "masking.config",
            "GET",
            &format!("{pw}/config"),
            None,
            map(),
        ),
        get("masking.info", pw),
        check_with(
            "masking.expand",
            "GET",
            "/connectors?expand=info",
            None,
            ours(),
        ),
        check("masking.delete", "DELETE", pw, None),
        wait_gone("wait.masking.deleted", pw),
    ]
}

/// The user the secure workers' credentials file has as `user: password`; the side's own
/// credentials.
pub const SECURE_USER: (&str, &str) = ("connect", "conformance-secret");
/// A second user, written `user=password` (Java's `Properties` takes both forms).
pub const SECURE_USER2: (&str, &str) = ("operator", "conformance-other");

/// The HTTPS + basic authentication scenario (`--mode secure`): both workers listen on
/// `https://` with a certificate of the run's own CA and run Kafka's
/// `BasicAuthSecurityRestExtension` with the same credentials file. Every request goes over
/// TLS; refusals (no credentials, a wrong password, an unknown user, another scheme, a user
/// without a password) are 401 with Java's body and headers, an undecodable header is Java's
/// 500, the right credentials (either user) are let through, and the internal endpoints and
/// unknown routes are not authenticated.
pub fn secure_steps() -> Vec<Step> {
    let src = "/connectors/${SRC}";
    let create = json!({"name": "${SRC}", "config": {"connector.class": "FileStreamSource", "file": "${IN}", "topic": "${TOPIC}"}});
    let (user, password) = SECURE_USER;
    let headers = || vec!["content-type", "www-authenticate"];
    let refused = |id: &str, method: &'static str, path: &str, body: Option<Value>, auth: Auth| {
        Step::Check(Call {
            auth,
            expect: Some(401),
            compare_headers: headers(),
            ..call(id, method, path, body)
        })
    };
    let expect = |status: u16, auth: Auth, cmp: Cmp, c: Call| {
        Step::Check(Call {
            auth,
            expect: Some(status),
            compare_headers: headers(),
            cmp,
            ..c
        })
    };
    let header = |v: String| Auth::Header(v);
    vec![
        refused(
            "secure.root.no-credentials",
            "GET",
            "/",
            None,
            Auth::Without,
        ),
        refused(
            "secure.connectors.no-credentials",
            "GET",
            "/connectors",
            None,
            Auth::Without,
        ),
        refused(
            "secure.root.wrong-password",
            "GET",
            "/",
            None,
            header(basic(user, "wrong")),
        ),
        refused(
            "secure.connectors.wrong-password",
            "GET",
            "/connectors",
            None,
            header(basic(user, "wrong")),
        ),
        refused(
            "secure.connectors.other-users-password",
            "GET",
            "/connectors",
            None,
            header(basic(user, SECURE_USER2.1)),
        ),
        refused(
            "secure.connectors.unknown-user",
            "GET",
            "/connectors",
            None,
            header(basic("nobody", password)),
        ),
        refused(
            "secure.connectors.no-colon",
            "GET",
            "/connectors",
            None,
            header(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(user)
            )),
        ),
        refused(
            "secure.connectors.bearer",
            "GET",
            "/connectors",
            None,
            header(format!("Bearer {password}")),
        ),
        expect(
            500,
            header("Basic !!!".into()),
            Cmp::default(),
            call("secure.connectors.bad-base64", "GET", "/connectors", None),
        ),
        expect(
            200,
            Auth::Worker,
            Cmp::default(),
            call("secure.root", "GET", "/", None),
        ),
        expect(
            200,
            Auth::Worker,
            ours(),
            call("secure.connectors", "GET", "/connectors", None),
        ),
        expect(
            200,
            Auth::Worker,
            sets(&["$"]),
            call(
                "secure.plugins.connectors",
                "GET",
                "/connector-plugins",
                None,
            ),
        ),
        refused(
            "secure.plugins.no-credentials",
            "GET",
            "/connector-plugins",
            None,
            Auth::Without,
        ),
        refused(
            "secure.create.no-credentials",
            "POST",
            "/connectors",
            Some(create.clone()),
            Auth::Without,
        ),
        refused(
            "secure.create.wrong-password",
            "POST",
            "/connectors",
            Some(create.clone()),
            header(basic(user, "wrong")),
        ),
        expect(
            200,
            Auth::Worker,
            ours(),
            call(
                "secure.connectors.after-refused",
                "GET",
                "/connectors",
                None,
            ),
        ),
        expect(
            201,
            Auth::Worker,
            Cmp::default(),
            call("secure.create", "POST", "/connectors", Some(create)),
        ),
        expect(
            200,
            header(basic(SECURE_USER2.0, SECURE_USER2.1)),
            Cmp::default(),
            call("secure.info.second-user", "GET", src, None),
        ),
        wait(
            "wait.secure.running",
            &format!("{src}/status"),
            "source RUNNING",
            is("RUNNING", &["RUNNING"]),
        ),
        expect(
            200,
            Auth::Worker,
            Cmp::default(),
            call("secure.status", "GET", &format!("{src}/status"), None),
        ),
        // Java's filter lets the internal requests through unauthenticated (their session-key
        // signature is checked instead); a standalone worker then refuses them itself.
        expect(
            500,
            Auth::Without,
            Cmp::default(),
            call(
                "secure.internal.tasks.no-credentials",
                "POST",
                &format!("{src}/tasks"),
                Some(json!([])),
            ),
        ),
        expect(
            500,
            Auth::Without,
            Cmp::default(),
            call(
                "secure.internal.fence.no-credentials",
                "PUT",
                &format!("{src}/fence"),
                None,
            ),
        ),
        Step::Check(Call {
            auth: Auth::Without,
            expect: Some(404),
            ..call("secure.route.unknown.no-credentials", "GET", "/nope", None)
        }),
        refused(
            "secure.delete.no-credentials",
            "DELETE",
            src,
            None,
            Auth::Without,
        ),
        expect(
            204,
            Auth::Worker,
            Cmp::default(),
            call("secure.delete", "DELETE", src, None),
        ),
        wait_gone("wait.secure.deleted", src),
        expect(
            200,
            Auth::Worker,
            ours(),
            call("secure.connectors.final", "GET", "/connectors", None),
        ),
    ]
}

/// The scenario. `in_len` is the byte length of the source input file; `distributed` adds the
/// checks that only a distributed worker answers ([`distributed_checks`]).
pub fn steps(in_len: usize, distributed: bool) -> Vec<Step> {
    let src = "/connectors/${SRC}";
    let snk = "/connectors/${SNK}";
    let bad = "/connectors/${BAD}";
    let src_config = json!({"connector.class": "FileStreamSource", "file": "${IN}", "topic": "${TOPIC}", "tasks.max": "1"});
    let offsets_of =
        move |v: &Value| v["offsets"][0]["offset"]["position"].as_u64() == Some(in_len as u64);
    let mut s = vec![
        // Worker and plugins.
        get("root", "/"),
        get("health", "/health"),
        check_with(
            "plugins.connectors",
            "GET",
            "/connector-plugins",
            None,
            sets(&["$"]),
        ),
        check_with(
            "plugins.all",
            "GET",
            "/connector-plugins?connectorsOnly=false",
            None,
            sets(&["$"]),
        ),
        check_with(
            "plugins.config.source",
            "GET",
            "/connector-plugins/FileStreamSource/config",
            None,
            sets(&["$"]),
        ),
        check_with(
            "plugins.config.sink",
            "GET",
            "/connector-plugins/org.apache.kafka.connect.file.FileStreamSinkConnector/config",
            None,
            sets(&["$"]),
        ),
        check_with(
            "plugins.config.converter",
            "GET",
            "/connector-plugins/JsonConverter/config",
            None,
            sets(&["$"]),
        ),
        check_with(
            "plugins.config.string-converter",
            "GET",
            "/connector-plugins/StringConverter/config",
            None,
            sets(&["$"]),
        ),
        check_with(
            "plugins.config.header-converter",
            "GET",
            "/connector-plugins/org.apache.kafka.connect.storage.SimpleHeaderConverter/config",
            None,
            sets(&["$"]),
        ),
        get("plugins.config.unknown", "/connector-plugins/Nope/config"),
        // Validation.
        check_with(
            "validate.good",
            "PUT",
            "/connector-plugins/FileStreamSource/config/validate",
            Some(
                json!({"connector.class": "FileStreamSource", "name": "${SRC}", "file": "${IN}", "topic": "${TOPIC}"}),
            ),
            sets(&["$.configs", "$.configs[*].value.recommended_values"]),
        ),
        check_with(
            "validate.bad",
            "PUT",
            "/connector-plugins/FileStreamSource/config/validate",
            Some(
                json!({"connector.class": "FileStreamSource", "tasks.max": "0", "key.converter": "Nope", "batch.size": "x"}),
            ),
            sets(&["$.configs", "$.configs[*].value.recommended_values"]),
        ),
        // Topic creation (KIP-158): validation checks `topic.creation.groups` only; the group
        // keys (here a missing default replication factor, partitions 0, a broken regex) are
        // read when the source starts.
        check_with(
            "validate.topic-creation",
            "PUT",
            "/connector-plugins/FileStreamSource/config/validate",
            Some(json!({
                "connector.class": "FileStreamSource", "name": "${SRC}", "file": "${IN}", "topic": "${TOPIC}",
                "topic.creation.groups": "a, b,a", "topic.creation.default.partitions": "0",
                "topic.creation.a.include": "[", "topic.creation.b.cleanup.policy": "compact",
            })),
            sets(&["$.configs", "$.configs[*].value.recommended_values"]),
        ),
        check_with(
            "validate.sink-topics",
            "PUT",
            "/connector-plugins/FileStreamSink/config/validate",
            Some(
                json!({"connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector", "name": "x"}),
            ),
            sets(&["$.configs", "$.configs[*].value.recommended_values"]),
        ),
        check(
            "validate.mismatch",
            "PUT",
            "/connector-plugins/FileStreamSink/config/validate",
            Some(json!({"connector.class": "FileStreamSource"})),
        ),
        check(
            "validate.no-class",
            "PUT",
            "/connector-plugins/FileStreamSource/config/validate",
            Some(json!({})),
        ),
    ];
    s.extend(masking_steps());
    s.extend([
        // Transforms and predicates: definitions by class name and by the aliases Java keeps
        // (nested `$Key`/`$Value` classes have none: `Cast$Value` is unknown, `Value` ambiguous).
        check_with(
            "plugins.config.transform.class",
            "GET",
            "/connector-plugins/org.apache.kafka.connect.transforms.RegexRouter/config",
            None,
            sets(&["$"]),
        ),
        check_with(
            "plugins.config.transform.alias",
            "GET",
            "/connector-plugins/TimestampRouter/config",
            None,
            sets(&["$"]),
        ),
        check_with(
            "plugins.config.transform.nested",
            "GET",
            "/connector-plugins/org.apache.kafka.connect.transforms.InsertField$Value/config",
            None,
            sets(&["$"]),
        ),
        check_with(
            "plugins.config.transform.no-keys",
            "GET",
            "/connector-plugins/Filter/config",
            None,
            sets(&["$"]),
        ),
        get(
            "plugins.config.transform.nested-simple",
            "/connector-plugins/Cast$Value/config",
        ),
        get("plugins.config.transform.ambiguous", "/connector-plugins/Value/config"),
        check_with(
            "plugins.config.predicate.class",
            "GET",
            "/connector-plugins/org.apache.kafka.connect.transforms.predicates.TopicNameMatches/config",
            None,
            sets(&["$"]),
        ),
        check_with(
            "plugins.config.predicate.alias",
            "GET",
            "/connector-plugins/HasHeaderKey/config",
            None,
            sets(&["$"]),
        ),
        // Validation of chains: enriched keys per alias, and each kind of error Java reports.
        validate_chain(
            "validate.chain.good",
            json!({
                "transforms": "route,cast, drop",
                "transforms.route.type": "RegexRouter",
                "transforms.route.regex": "(.*)",
                "transforms.route.replacement": "$1-x",
                "transforms.route.predicate": "isTopic",
                "transforms.route.negate": "true",
                "transforms.cast.type": "org.apache.kafka.connect.transforms.Cast$Value",
                "transforms.cast.spec": "int32",
                "transforms.drop.type": "org.apache.kafka.connect.transforms.Filter",
                "transforms.drop.predicate": "tomb",
                "predicates": "isTopic,tomb",
                "predicates.isTopic.type": "TopicNameMatches",
                "predicates.isTopic.pattern": "t.*",
                "predicates.tomb.type": "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
            }),
        ),
        validate_chain(
            "validate.chain.unknown-class",
            json!({"transforms": "a", "transforms.a.type": "com.example.Nope", "transforms.a.x": "1"}),
        ),
        validate_chain(
            "validate.chain.missing-type",
            json!({"transforms": "a", "transforms.a.regex": "x"}),
        ),
        validate_chain(
            "validate.chain.duplicate",
            json!({"transforms": "a, b,a", "transforms.a.type": "Filter", "transforms.b.type": "Filter", "predicates": "p,p", "predicates.p.type": "RecordIsTombstone"}),
        ),
        validate_chain(
            "validate.chain.undefined-predicate",
            json!({"transforms": "a", "transforms.a.type": "Filter", "transforms.a.predicate": "nope"}),
        ),
        validate_chain(
            "validate.chain.negate-without-predicate",
            json!({"transforms": "a,b", "transforms.a.type": "Filter", "transforms.a.negate": "true", "transforms.b.type": "com.example.Nope", "transforms.b.negate": "false"}),
        ),
        validate_chain(
            "validate.chain.wrong-type",
            json!({
                "transforms": "a,b,c",
                "transforms.a.type": "HasHeaderKey",
                "transforms.b.type": "JsonConverter",
                "transforms.c.type": "org.apache.kafka.connect.file.FileStreamSinkConnector",
                "predicates": "p",
                "predicates.p.type": "org.apache.kafka.connect.transforms.RegexRouter",
            }),
        ),
        validate_chain(
            "validate.chain.config-errors",
            json!({
                "transforms": "route,cast,ts",
                "transforms.route.type": "RegexRouter",
                "transforms.cast.type": "org.apache.kafka.connect.transforms.Cast$Value",
                "transforms.cast.spec": "f:nope",
                "transforms.cast.negate": "maybe",
                "transforms.cast.predicate": "p",
                "transforms.ts.type": "org.apache.kafka.connect.transforms.TimestampConverter$Value",
                "transforms.ts.target.type": "Nope",
                "transforms.ts.unix.precision": "days",
                "predicates": "p",
                "predicates.p.type": "HasHeaderKey",
            }),
        ),
        validate_chain(
            "validate.chain.nested-names",
            json!({"transforms": "a,b,c", "transforms.a.type": "Cast$Value", "transforms.b.type": "Value", "transforms.c.type": " ValueToKey ", "transforms.c.fields": "f"}),
        ),
        // A create with an invalid chain is a 400 with Java's message (nothing is created).
        check(
            "create.bad-chain",
            "POST",
            "/connectors",
            Some(json!({"name": "${BAD}", "config": {
                "connector.class": "FileStreamSource", "file": "${IN}", "topic": "${TOPIC}",
                "transforms": "a,b", "transforms.a.type": "com.example.Nope",
                "transforms.b.type": "RegexRouter", "transforms.b.regex": "x",
            }})),
        ),
        get("create.bad-chain.absent", bad),
        // Create, list, status.
        check(
            "create.source",
            "POST",
            "/connectors",
            Some(json!({"name": "${SRC}", "config": src_config})),
        ),
        check(
            "create.duplicate",
            "POST",
            "/connectors",
            Some(json!({"name": "${SRC}", "config": src_config})),
        ),
        check_with("list", "GET", "/connectors", None, ours()),
        wait(
            "wait.running",
            &format!("{src}/status"),
            "source RUNNING",
            is("RUNNING", &["RUNNING"]),
        ),
        get("status", &format!("{src}/status")),
    ]);
    if distributed {
        s.extend(distributed_checks(src, &src_config));
    }
    s.extend([
        check_with(
            "expand",
            "GET",
            "/connectors?expand=status&expand=info",
            None,
            ours(),
        ),
        check_with(
            "expand.unknown",
            "GET",
            "/connectors?expand=foo",
            None,
            ours(),
        ),
        get("info", src),
        check_with("config.get", "GET", &format!("{src}/config"), None, map()),
        get("tasks", &format!("{src}/tasks")),
        get("task.status", &format!("{src}/tasks/0/status")),
        get("task.status.unknown", &format!("{src}/tasks/5/status")),
        get("task.status.not-a-number", &format!("{src}/tasks/x/status")),
        get("tasks-config", &format!("{src}/tasks-config")),
        wait(
            "wait.topics",
            &format!("{src}/topics"),
            "active topics",
            |v| {
                v.as_object()
                    .and_then(|o| o.values().next())
                    .is_some_and(|t| t["topics"].as_array().is_some_and(|a| !a.is_empty()))
            },
        ),
        get("topics", &format!("{src}/topics")),
        wait(
            "wait.offsets",
            &format!("{src}/offsets"),
            "whole file committed",
            offsets_of,
        ),
        get("offsets.get", &format!("{src}/offsets")),
        // Config updates.
        check(
            "config.put",
            "PUT",
            &format!("{src}/config"),
            Some(
                json!({"connector.class": "FileStreamSource", "file": "${IN}", "topic": "${TOPIC}", "tasks.max": "1", "batch.size": "100"}),
            ),
        ),
        check(
            "config.patch",
            "PATCH",
            &format!("{src}/config"),
            Some(json!({"batch.size": 50, "tasks.max": null})),
        ),
        check_with(
            "config.get.patched",
            "GET",
            &format!("{src}/config"),
            None,
            map(),
        ),
        check(
            "config.put.bad-chain",
            "PUT",
            &format!("{src}/config"),
            Some(
                json!({"connector.class": "FileStreamSource", "file": "${IN}", "topic": "${TOPIC}", "predicates": "p", "predicates.p.type": "TopicNameMatches"}),
            ),
        ),
        check(
            "config.put.name-mismatch",
            "PUT",
            &format!("{src}/config"),
            Some(json!({"connector.class": "FileStreamSource", "name": "other"})),
        ),
        wait(
            "wait.running.patched",
            &format!("{src}/status"),
            "source RUNNING",
            is("RUNNING", &["RUNNING"]),
        ),
        // A connector whose task fails at start: FAILED with a trace, and the restart matrix.
        check(
            "create.failing",
            "PUT",
            &format!("{bad}/config"),
            Some(
                json!({"connector.class": "FileStreamSink", "topics": "${TOPIC}", "file": "/nonexistent/conformance/dir/out.txt"}),
            ),
        ),
        wait(
            "wait.failed",
            &format!("{bad}/status"),
            "task FAILED",
            is("RUNNING", &["FAILED"]),
        ),
        get("failed.status", &format!("{bad}/status")),
        get("failed.task.status", &format!("{bad}/tasks/0/status")),
        check(
            "restart.failed.only-failed",
            "POST",
            &format!("{bad}/restart?onlyFailed=true"),
            None,
        ),
        check(
            "restart.failed.tasks-only-failed",
            "POST",
            &format!("{bad}/restart?includeTasks=true&onlyFailed=true"),
            None,
        ),
        wait(
            "wait.failed.again",
            &format!("{bad}/status"),
            "task FAILED",
            is("RUNNING", &["FAILED"]),
        ),
        check(
            "task.restart.failed",
            "POST",
            &format!("{bad}/tasks/0/restart"),
            None,
        ),
        wait(
            "wait.failed.third",
            &format!("{bad}/status"),
            "task FAILED",
            is("RUNNING", &["FAILED"]),
        ),
        check("stop.failed", "PUT", &format!("{bad}/stop"), None),
        wait_stopped("wait.failed-stopped", &format!("{bad}/status")),
        get("status.failed-stopped", &format!("{bad}/status")),
        // Java's standalone herder answers 404 here but then starts a phantom task 9 (FAILED
        // with a NullPointerException), so this runs on the connector about to be deleted.
        check(
            "task.restart.unknown",
            "POST",
            &format!("{bad}/tasks/9/restart"),
            None,
        ),
        check("delete.failed", "DELETE", bad, None),
        // Pause, resume, restarts on a healthy connector.
        check("pause", "PUT", &format!("{src}/pause"), None),
        check("pause.again", "PUT", &format!("{src}/pause"), None),
        wait(
            "wait.paused",
            &format!("{src}/status"),
            "PAUSED",
            is("PAUSED", &["PAUSED"]),
        ),
        get("status.paused", &format!("{src}/status")),
        check(
            "restart.legacy.paused",
            "POST",
            &format!("{src}/restart"),
            None,
        ),
        check(
            "restart.all.paused",
            "POST",
            &format!("{src}/restart?includeTasks=true"),
            None,
        ),
        wait(
            "wait.paused.after-restart",
            &format!("{src}/status"),
            "PAUSED",
            is("PAUSED", &["PAUSED"]),
        ),
        check("resume", "PUT", &format!("{src}/resume"), None),
        check("resume.again", "PUT", &format!("{src}/resume"), None),
        wait(
            "wait.resumed",
            &format!("{src}/status"),
            "RUNNING",
            is("RUNNING", &["RUNNING"]),
        ),
        check(
            "restart.only-failed.none",
            "POST",
            &format!("{src}/restart?onlyFailed=true"),
            None,
        ),
        check(
            "restart.tasks-only-failed.none",
            "POST",
            &format!("{src}/restart?includeTasks=true&onlyFailed=true"),
            None,
        ),
        check(
            "restart.all",
            "POST",
            &format!("{src}/restart?includeTasks=true"),
            None,
        ),
        wait(
            "wait.restarted",
            &format!("{src}/status"),
            "RUNNING",
            is("RUNNING", &["RUNNING"]),
        ),
        check("restart.legacy", "POST", &format!("{src}/restart"), None),
        check(
            "restart.lenient-bool",
            "POST",
            &format!("{src}/restart?includeTasks=yes"),
            None,
        ),
        check(
            "task.restart",
            "POST",
            &format!("{src}/tasks/0/restart"),
            None,
        ),
        wait(
            "wait.task-restarted",
            &format!("{src}/status"),
            "RUNNING",
            is("RUNNING", &["RUNNING"]),
        ),
        // Source offsets.
        wait(
            "wait.offsets.again",
            &format!("{src}/offsets"),
            "whole file committed",
            offsets_of,
        ),
        check(
            "offsets.patch.running",
            "PATCH",
            &format!("{src}/offsets"),
            Some(
                json!({"offsets": [{"partition": {"filename": "${IN}"}, "offset": {"position": 6}}]}),
            ),
        ),
        check(
            "offsets.reset.running",
            "DELETE",
            &format!("{src}/offsets"),
            None,
        ),
        check("stop", "PUT", &format!("{src}/stop"), None),
        check("stop.again", "PUT", &format!("{src}/stop"), None),
        wait_stopped("wait.stopped", &format!("{src}/status")),
        get("status.stopped", &format!("{src}/status")),
        get("info.stopped", src),
        get("tasks.stopped", &format!("{src}/tasks")),
        get("offsets.get.stopped", &format!("{src}/offsets")),
        check(
            "offsets.patch",
            "PATCH",
            &format!("{src}/offsets"),
            Some(
                json!({"offsets": [{"partition": {"filename": "${IN}"}, "offset": {"position": 6}}]}),
            ),
        ),
        get("offsets.get.patched", &format!("{src}/offsets")),
        check(
            "offsets.patch.not-primitive",
            "PATCH",
            &format!("{src}/offsets"),
            Some(
                json!({"offsets": [{"partition": {"filename": "${IN}"}, "offset": {"position": [1]}}]}),
            ),
        ),
        check(
            "offsets.patch.connector-check",
            "PATCH",
            &format!("{src}/offsets"),
            Some(json!({"offsets": [{"partition": {"file": "${IN}"}, "offset": {"position": 1}}]})),
        ),
        check(
            "offsets.patch.empty",
            "PATCH",
            &format!("{src}/offsets"),
            Some(json!({})),
        ),
        check(
            "offsets.patch.null-list",
            "PATCH",
            &format!("{src}/offsets"),
            Some(json!({"offsets": null})),
        ),
        raw(
            "offsets.patch.array",
            "PATCH",
            &format!("{src}/offsets"),
            "[]",
        ),
        raw(
            "offsets.patch.unknown-field",
            "PATCH",
            &format!("{src}/offsets"),
            r#"{"key":[]}"#,
        ),
        raw(
            "offsets.patch.number-element",
            "PATCH",
            &format!("{src}/offsets"),
            r#"{"offsets":[123]}"#,
        ),
        check("offsets.reset", "DELETE", &format!("{src}/offsets"), None),
        get("offsets.get.reset", &format!("{src}/offsets")),
        check(
            "offsets.reset.again",
            "DELETE",
            &format!("{src}/offsets"),
            None,
        ),
        check("resume.from-stopped", "PUT", &format!("{src}/resume"), None),
        wait(
            "wait.running.from-stopped",
            &format!("{src}/status"),
            "RUNNING",
            is("RUNNING", &["RUNNING"]),
        ),
        // Sink created STOPPED (KIP-980): offsets before its first run, then run it.
        check(
            "sink.create.stopped",
            "POST",
            "/connectors",
            Some(
                json!({"name": "${SNK}", "config": {"connector.class": "FileStreamSink", "topics": "${TOPIC}", "file": "${OUT}"}, "initial_state": "STOPPED"}),
            ),
        ),
        wait_stopped("wait.sink.stopped", &format!("{snk}/status")),
        get("sink.status.stopped", &format!("{snk}/status")),
        get("sink.info.stopped", snk),
        get("sink.offsets.empty", &format!("{snk}/offsets")),
        check(
            "sink.offsets.patch",
            "PATCH",
            &format!("{snk}/offsets"),
            Some(
                json!({"offsets": [{"partition": {"kafka_topic": "${TOPIC}", "kafka_partition": 0}, "offset": {"kafka_offset": 2}}]}),
            ),
        ),
        check_with(
            "sink.offsets.get",
            "GET",
            &format!("{snk}/offsets"),
            None,
            sets(&["$.offsets"]),
        ),
        check(
            "sink.offsets.bad-partition",
            "PATCH",
            &format!("{snk}/offsets"),
            Some(
                json!({"offsets": [{"partition": {"kafka_topic": "${TOPIC}", "kafka_partition": "x"}, "offset": {"kafka_offset": 2}}]}),
            ),
        ),
        check(
            "sink.offsets.missing-keys",
            "PATCH",
            &format!("{snk}/offsets"),
            Some(
                json!({"offsets": [{"partition": {"kafka_topic": "${TOPIC}"}, "offset": {"kafka_offset": 2}}]}),
            ),
        ),
        check(
            "sink.offsets.bad-offset",
            "PATCH",
            &format!("{snk}/offsets"),
            Some(
                json!({"offsets": [{"partition": {"kafka_topic": "${TOPIC}", "kafka_partition": "0"}, "offset": {"kafka_offset": "2.5"}}]}),
            ),
        ),
        check(
            "sink.offsets.null-partition",
            "PATCH",
            &format!("{snk}/offsets"),
            Some(json!({"offsets": [{"offset": {"kafka_offset": 1}}]})),
        ),
        check(
            "sink.offsets.reset-partition",
            "PATCH",
            &format!("{snk}/offsets"),
            Some(
                json!({"offsets": [{"partition": {"kafka_topic": "${TOPIC}", "kafka_partition": 0}, "offset": null}]}),
            ),
        ),
        get(
            "sink.offsets.after-partition-reset",
            &format!("{snk}/offsets"),
        ),
        check(
            "sink.pause.from-stopped",
            "PUT",
            &format!("{snk}/pause"),
            None,
        ),
        // Java writes the PAUSED status asynchronously after the 202; compare once it shows.
        wait(
            "wait.sink.paused",
            &format!("{snk}/status"),
            "sink PAUSED",
            // Paused from STOPPED: no tasks until it is resumed.
            is("PAUSED", &[]),
        ),
        get("sink.status.paused", &format!("{snk}/status")),
        check("sink.resume", "PUT", &format!("{snk}/resume"), None),
        wait(
            "wait.sink.running",
            &format!("{snk}/status"),
            "sink RUNNING",
            is("RUNNING", &["RUNNING"]),
        ),
        wait(
            "wait.sink.offsets",
            &format!("{snk}/offsets"),
            "sink committed",
            |v| v["offsets"].as_array().is_some_and(|a| !a.is_empty()),
        ),
        wait(
            "wait.sink.topics",
            &format!("{snk}/topics"),
            "sink active topics",
            |v| {
                v.as_object()
                    .and_then(|o| o.values().next())
                    .is_some_and(|t| t["topics"].as_array().is_some_and(|a| !a.is_empty()))
            },
        ),
        get("sink.topics", &format!("{snk}/topics")),
        check("sink.stop", "PUT", &format!("{snk}/stop"), None),
        Step::Check(Call {
            retry_500: true,
            ..call(
                "sink.offsets.reset",
                "DELETE",
                &format!("{snk}/offsets"),
                None,
            )
        }),
        get("sink.offsets.reset.get", &format!("{snk}/offsets")),
        check("sink.delete", "DELETE", snk, None),
    ]);
    // Unknown connector, every route.
    let nope = "/connectors/nope-${RUN}";
    for (id, method, path, body) in [
        ("unknown.info", "GET", nope.to_string(), None),
        ("unknown.status", "GET", format!("{nope}/status"), None),
        ("unknown.config", "GET", format!("{nope}/config"), None),
        (
            "unknown.patch",
            "PATCH",
            format!("{nope}/config"),
            Some(json!({"a": "b"})),
        ),
        ("unknown.tasks", "GET", format!("{nope}/tasks"), None),
        (
            "unknown.task-status",
            "GET",
            format!("{nope}/tasks/0/status"),
            None,
        ),
        ("unknown.pause", "PUT", format!("{nope}/pause"), None),
        ("unknown.resume", "PUT", format!("{nope}/resume"), None),
        ("unknown.stop", "PUT", format!("{nope}/stop"), None),
        ("unknown.restart", "POST", format!("{nope}/restart"), None),
        (
            "unknown.restart-plan",
            "POST",
            format!("{nope}/restart?includeTasks=true"),
            None,
        ),
        (
            "unknown.task-restart",
            "POST",
            format!("{nope}/tasks/0/restart"),
            None,
        ),
        ("unknown.offsets", "GET", format!("{nope}/offsets"), None),
        (
            "unknown.offsets-reset",
            "DELETE",
            format!("{nope}/offsets"),
            None,
        ),
        ("unknown.topics", "GET", format!("{nope}/topics"), None),
        (
            "unknown.topics-reset",
            "PUT",
            format!("{nope}/topics/reset"),
            None,
        ),
        ("unknown.delete", "DELETE", nope.to_string(), None),
    ] {
        s.push(check(id, method, &path, body));
    }
    s.extend([
        // Routing, media types, malformed bodies.
        get("route.unknown", "/nope"),
        get("route.unknown.nested", &format!("{src}/tasks/0")),
        check("route.method", "DELETE", "/connectors", None),
        check_with("route.trailing-slash", "GET", "/connectors/", None, ours()),
        Step::Check(Call { content_type: Some("text/plain"), ..call("media.unsupported", "POST", "/connectors", Some(json!({}))) }),
        Step::Check(Call { accept: Some("text/plain"), ..call("media.not-acceptable", "GET", "/connectors", None) }),
        raw("body.malformed", "POST", "/connectors", "{bad"),
        raw("body.array", "POST", "/connectors", "[]"),
        raw("body.string", "POST", "/connectors", "\"x\""),
        raw("body.empty", "POST", "/connectors", ""),
        raw("body.unknown-field", "POST", "/connectors", r#"{"name":"conf-x","foo":1}"#),
        raw("body.nested-value", "POST", "/connectors", r#"{"name":"conf-x","config":{"a":{"b":1}}}"#),
        raw("body.no-config", "POST", "/connectors", r#"{"name":"conf-x"}"#),
        raw("body.bad-initial-state", "POST", "/connectors", r#"{"name":"conf-x","config":{"connector.class":"FileStreamSource"},"initial_state":"foo"}"#),
        check("body.name-mismatch", "POST", "/connectors", Some(json!({"name": "conf-x", "config": {"connector.class": "FileStreamSource", "name": "conf-y"}}))),
        check("body.null-value", "POST", "/connectors", Some(json!({"name": "conf-x", "config": {"connector.class": "FileStreamSource", "topic": "t", "x": null}}))),
        check("body.no-class", "POST", "/connectors", Some(json!({"name": "conf-x", "config": {}}))),
        check("body.unknown-class", "POST", "/connectors", Some(json!({"name": "conf-x", "config": {"connector.class": "Nope"}}))),
        check("body.invalid-config", "POST", "/connectors", Some(json!({"name": "conf-x", "config": {"connector.class": "FileStreamSource", "tasks.max": "x"}}))),
        check("body.empty-name", "POST", "/connectors", Some(json!({"name": "", "config": {"connector.class": "FileStreamSource", "topic": "t"}}))),
        raw("body.put-config-array", "PUT", &format!("{src}/config"), "[]"),
        raw("body.put-config-empty", "PUT", &format!("{src}/config"), ""),
        // Loggers.
        check("loggers.set", "PUT", "/admin/loggers/org.apache.kafka.connect.runtime.WorkerSourceTask", Some(json!({"level": "DEBUG"}))),
        get("loggers.get", "/admin/loggers/org.apache.kafka.connect.runtime.WorkerSourceTask"),
        check("loggers.set.same", "PUT", "/admin/loggers/org.apache.kafka.connect.runtime.WorkerSourceTask", Some(json!({"level": "debug"}))),
        check("loggers.set.cluster", "PUT", "/admin/loggers/org.apache.kafka.connect.runtime.WorkerSourceTask?scope=cluster", Some(json!({"level": "INFO"}))),
        get("loggers.get.after-cluster", "/admin/loggers/org.apache.kafka.connect.runtime.WorkerSourceTask"),
        check("loggers.set.new", "PUT", "/admin/loggers/conformance.logger.${RUN}", Some(json!({"level": "ERROR"}))),
        get("loggers.get.new", "/admin/loggers/conformance.logger.${RUN}"),
        check("loggers.invalid-level", "PUT", "/admin/loggers/conformance.logger.${RUN}", Some(json!({"level": "LOUD"}))),
        check("loggers.missing-level", "PUT", "/admin/loggers/conformance.logger.${RUN}", Some(json!({"lvl": "INFO"}))),
        raw("loggers.array", "PUT", "/admin/loggers/conformance.logger.${RUN}", "[]"),
        get("loggers.root", "/admin/loggers/root"),
        get("loggers.root.case", "/admin/loggers/ROOT"),
        get("loggers.unknown", "/admin/loggers/conformance.unknown.${RUN}"),
        check_with(
            "loggers.all",
            "GET",
            "/admin/loggers",
            None,
            Cmp {
                only_keys: Some(vec!["root".into(), "org.apache.kafka.connect.runtime.WorkerSourceTask".into(), "conformance.logger.${RUN}".into()]),
                maps: vec!["$"],
                ..Cmp::default()
            },
        ),
        Step::Do(call("loggers.restore", "PUT", "/admin/loggers/org.apache.kafka.connect.runtime.WorkerSourceTask", Some(json!({"level": "WARN"})))),
        // Delete stops and forgets.
        check("delete", "DELETE", src, None),
        get("deleted.info", src),
        wait_gone("wait.deleted.status", &format!("{src}/status")),
        get("deleted.status", &format!("{src}/status")),
        check_with("list.final", "GET", "/connectors", None, ours()),
    ]);
    s
}
