//! `admin.listeners` (KIP-495) end to end, as Java's `RestServer` serves it: a separate admin
//! listener serves `/admin/*` only (anything else is Jersey's 404) while the regular listener
//! answers 404 there; `admin.listeners=` turns the admin endpoints off; unset keeps them on the
//! regular listener. An `https` admin listener reads `admin.listeners.https.ssl.*` (all or
//! nothing) and, like Java's admin context, has neither the REST extensions (basic auth) nor
//! CORS. Malformed URLs fail start-up with `RestServer.createConnector`'s messages. A
//! distributed worker serves its admin listener the same way (cluster-scoped logger levels
//! included).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::pki::make_pki;
use super::{free_port, Worker};

const EXTENSION: &str =
    "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension";
const LOGIN_MODULE: &str =
    "org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule";

/// An HTTP/1.1 answer: status, lower-cased header lines, JSON body (null when not JSON).
struct Answer {
    status: u16,
    head: String,
    body: Value,
}

/// `method path` on 127.0.0.1:`port` with extra header lines and a JSON body.
fn request(port: u16, method: &str, path: &str, headers: &[&str], body: Option<&str>) -> Answer {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for h in headers {
        req.push_str(h);
        req.push_str("\r\n");
    }
    let body = body.unwrap_or("");
    if !body.is_empty() {
        req.push_str("Content-Type: application/json\r\n");
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    s.write_all(req.as_bytes()).unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let (head, body) = resp.split_once("\r\n\r\n").unwrap_or((&resp, ""));
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    Answer {
        status,
        head: head.to_ascii_lowercase(),
        body: serde_json::from_str(body).unwrap_or(Value::Null),
    }
}

fn not_found() -> Value {
    json!({"error_code": 404, "message": "HTTP 404 Not Found"})
}

/// Wait until `GET path` on `port` answers 200 (REST accepts connections before the worker
/// answers); fails at once, with the log, if the worker exits.
fn wait_ok(w: &mut Worker, port: u16, path: &str) {
    wait_status(w, port, path, 200)
}

/// [`wait_ok`] for another status.
fn wait_status(w: &mut Worker, port: u16, path: &str, expect: u16) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = w.child.try_wait().unwrap() {
            panic!("worker exited with {status}; log:\n{}", w.log());
        }
        if TcpStream::connect(("127.0.0.1", port)).is_ok()
            && request(port, "GET", path, &[], None).status == expect
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "GET {path} on {port} never answered {expect}; log:\n{}",
            w.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_separate_admin_listener_serves_only_the_admin_endpoints() {
    let dir = tempfile::tempdir().unwrap();
    let admin = free_port();
    let mut w = Worker::start(
        dir.path(),
        "admin-separate",
        &format!(
            "admin.listeners=http://127.0.0.1:{admin}\naccess.control.allow.origin=https://ui.example.com\n"
        ),
        &[],
    );
    let port = w.port;
    wait_ok(&mut w, port, "/connectors");
    wait_ok(&mut w, admin, "/admin/loggers");

    // The admin listener: the logger endpoints, with Java's bodies.
    let all = request(admin, "GET", "/admin/loggers", &[], None);
    assert_eq!(all.status, 200);
    assert!(
        all.head.contains("content-type: application/json"),
        "{}",
        all.head
    );
    assert!(all.body.is_object(), "{}", all.body);
    let set = request(
        admin,
        "PUT",
        "/admin/loggers/strait.admin.listener.test",
        &[],
        Some(r#"{"level":"DEBUG"}"#),
    );
    assert_eq!(set.status, 200, "{}", set.body);
    assert!(
        set.body
            .as_array()
            .unwrap()
            .contains(&json!("strait.admin.listener.test")),
        "{}",
        set.body
    );
    let one = request(
        admin,
        "GET",
        "/admin/loggers/strait.admin.listener.test",
        &[],
        None,
    );
    assert_eq!((one.status, &one.body["level"]), (200, &json!("DEBUG")));
    let missing = request(admin, "GET", "/admin/loggers/no.such.logger", &[], None);
    assert_eq!(
        (missing.status, missing.body),
        (
            404,
            json!({"error_code": 404, "message": "Logger no.such.logger not found."})
        )
    );
    let options = request(admin, "OPTIONS", "/admin/loggers/x", &[], None);
    assert_eq!(options.status, 200);
    assert!(
        options.head.contains("allow: get,head,options,put"),
        "{}",
        options.head
    );
    let wrong = request(admin, "DELETE", "/admin/loggers", &[], None);
    assert_eq!(
        (wrong.status, wrong.body),
        (
            405,
            json!({"error_code": 405, "message": "HTTP 405 Method Not Allowed"})
        )
    );
    // ...and nothing else: Jersey's 404 from the admin context.
    for path in [
        "/connectors",
        "/",
        "/health",
        "/metrics",
        "/connector-plugins",
    ] {
        let a = request(admin, "GET", path, &[], None);
        assert_eq!((a.status, a.body), (404, not_found()), "GET {path}");
    }
    assert_eq!(
        request(admin, "POST", "/connectors", &[], Some("{}")).status,
        404
    );
    assert_eq!(
        request(admin, "OPTIONS", "/connectors", &[], None).status,
        404
    );
    // Java's admin context has no CrossOriginFilter; the regular one has.
    let origin = ["Origin: https://ui.example.com"];
    let a = request(admin, "GET", "/admin/loggers", &origin, None);
    assert_eq!(a.status, 200);
    assert!(
        !a.head.contains("access-control-allow-origin"),
        "{}",
        a.head
    );
    let r = request(w.port, "GET", "/connectors", &origin, None);
    assert!(
        r.head
            .contains("access-control-allow-origin: https://ui.example.com"),
        "{}",
        r.head
    );

    // The regular listener: everything but /admin/*.
    let r = request(w.port, "GET", "/connectors", &[], None);
    assert_eq!((r.status, r.body), (200, json!([])));
    assert_eq!(request(w.port, "GET", "/", &[], None).status, 200);
    assert_no_admin_routes(
        w.port,
        &["/admin/loggers", "/admin/loggers/root", "/admin/loggers/"],
    );
    let log = w.log();
    assert!(log.contains("REST admin endpoints listening"), "{log}");
    w.stop();
    assert!(TcpStream::connect(("127.0.0.1", admin)).is_err());
}

/// Every admin route answers Java's 404 on `port`: GET of `paths`, a PUT and an OPTIONS.
fn assert_no_admin_routes(port: u16, paths: &[&str]) {
    for path in paths {
        let a = request(port, "GET", path, &[], None);
        assert_eq!((a.status, a.body), (404, not_found()), "GET {path}");
    }
    let put = request(
        port,
        "PUT",
        "/admin/loggers/x",
        &[],
        Some(r#"{"level":"INFO"}"#),
    );
    assert_eq!((put.status, put.body), (404, not_found()));
    assert_eq!(
        request(port, "OPTIONS", "/admin/loggers", &[], None).status,
        404
    );
}

#[test]
fn empty_admin_listeners_disable_the_admin_endpoints() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = Worker::start(dir.path(), "admin-off", "admin.listeners=\n", &[]);
    let port = w.port;
    wait_ok(&mut w, port, "/connectors");
    assert_no_admin_routes(w.port, &["/admin/loggers", "/admin/loggers/root"]);
    w.stop();
}

#[test]
fn unset_admin_listeners_keep_them_on_the_regular_listener() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = Worker::start(dir.path(), "admin-regular", "", &[]);
    let port = w.port;
    wait_ok(&mut w, port, "/admin/loggers");
    let a = request(w.port, "GET", "/admin/loggers", &[], None);
    assert!(a.body.is_object(), "{}", a.body);
    let r = request(w.port, "GET", "/connectors", &[], None);
    assert_eq!((r.status, r.body), (200, json!([])));
    let options = request(w.port, "OPTIONS", "/admin/loggers", &[], None);
    assert_eq!(options.status, 200);
    w.stop();
}

/// Run `strait standalone` on a worker file with `extra` keys until it exits; (code, stderr).
fn start_fails(dir: &Path, name: &str, bootstrap: &str, extra: &str) -> (Option<i32>, String) {
    let worker = dir.join(format!("{name}.properties"));
    std::fs::write(
        &worker,
        format!(
            "bootstrap.servers={bootstrap}\nkey.converter=org.apache.kafka.connect.storage.StringConverter\nvalue.converter=org.apache.kafka.connect.storage.StringConverter\noffset.storage.file.filename={}\nlisteners=http://127.0.0.1:0\n{extra}\n",
            dir.join(format!("{name}.offsets")).display()
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_strait"))
        .arg("standalone")
        .arg(&worker)
        .env_remove("KAFKA_OPTS")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn malformed_admin_listeners_fail_start_up_with_javas_messages() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Checked with the worker config, before Kafka is reached (nothing listens on port 1).
    for (name, value, expect) in [
        (
            "format",
            "localhost:8084",
            "Invalid value localhost:8084 for configuration admin.listeners: Listener doesn't have the right format (protocol://hostname:port).",
        ),
        (
            "protocol",
            "ftp://127.0.0.1:8084",
            "Invalid value ftp://127.0.0.1:8084 for configuration admin.listeners: Listener protocol must be either \"http\" or \"https\".",
        ),
        (
            "blank",
            "http://127.0.0.1:8084,",
            "Empty URL found when parsing admin.listeners list.",
        ),
    ] {
        let (code, stderr) = start_fails(d, name, "127.0.0.1:1", &format!("admin.listeners={value}"));
        assert_eq!(code, Some(2), "{name}: {stderr}");
        assert!(stderr.contains(expect), "{name}: {stderr}");
    }
}

#[test]
fn an_admin_listener_that_cannot_bind_fails_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A port in use fails start-up as Jetty's bind failure does (exit code 2).
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let (code, stderr) = start_fails(
        d,
        "taken",
        &super::bootstrap(),
        &format!("admin.listeners=http://127.0.0.1:{port}"),
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "REST admin listener could not bind 127.0.0.1:{port}"
        )),
        "{stderr}"
    );
}

#[test]
fn an_https_admin_listener_reads_its_own_keys_and_has_no_basic_auth() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    make_pki(d);
    std::fs::write(d.join("credentials.properties"), "alice: s3cret\n").unwrap();
    let jaas = d.join("jaas.conf");
    std::fs::write(
        &jaas,
        format!(
            "KafkaConnect {{\n  {LOGIN_MODULE} required\n  file=\"{}\";\n}};\n",
            d.join("credentials.properties").display()
        ),
    )
    .unwrap();
    let admin = free_port();
    // The unprefixed ssl.* keys name no file: admin.listeners.https.* replaces them all.
    let mut w = Worker::start_with_env(
        d,
        "admin-https",
        &format!(
            "admin.listeners=https://127.0.0.1:{admin}\nadmin.listeners.https.ssl.keystore.type=PEM\nadmin.listeners.https.ssl.keystore.location={}\nssl.keystore.type=PEM\nssl.keystore.location=/nonexistent/unused.pem\nrest.extension.classes={EXTENSION}\n",
            d.join("server-identity.pem").display()
        ),
        &[],
        &[(
            "KAFKA_OPTS",
            format!("-Djava.security.auth.login.config={}", jaas.display()),
        )],
    );
    // Basic auth: 401 without credentials once the worker answers.
    let port = w.port;
    wait_status(&mut w, port, "/connectors", 401);
    let ca = reqwest::Certificate::from_pem(&std::fs::read(d.join("ca.pem")).unwrap()).unwrap();
    let client = reqwest::Client::builder()
        .tls_certs_only([ca])
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let rt = super::s3::runtime();
    let get = |url: String| {
        rt.block_on(async {
            let resp = client.get(&url).send().await?;
            let status = resp.status().as_u16();
            let text = resp.text().await?;
            Ok::<_, reqwest::Error>((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
        })
    };
    let url = format!("https://127.0.0.1:{admin}/admin/loggers");
    let deadline = Instant::now() + Duration::from_secs(60);
    // Java registers the REST extensions on the regular resources only: no credentials needed.
    let (status, body) = loop {
        match get(url.clone()) {
            Ok((200, body)) => break (200, body),
            other => assert!(
                Instant::now() < deadline,
                "no 200 from {url}: {other:?}; log:\n{}",
                w.log()
            ),
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(status, 200);
    assert!(body.is_object(), "{body}");
    let (status, body) = get(format!("https://127.0.0.1:{admin}/connectors")).unwrap();
    assert_eq!((status, body), (404, not_found()));
    // Plain HTTP on the admin port gets no answer.
    let plain = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let plain_answer = rt.block_on(async {
        plain
            .get(format!("http://127.0.0.1:{admin}/admin/loggers"))
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    assert!(!matches!(plain_answer, Ok(200)), "{plain_answer:?}");
    // The regular (http) listener keeps basic auth and has no /admin/*.
    assert_eq!(request(w.port, "GET", "/connectors", &[], None).status, 401);
    let auth = ["Authorization: Basic YWxpY2U6czNjcmV0"]; // alice:s3cret
    let r = request(w.port, "GET", "/connectors", &auth, None);
    assert_eq!((r.status, r.body), (200, json!([])));
    let a = request(w.port, "GET", "/admin/loggers", &auth, None);
    assert_eq!((a.status, a.body), (404, not_found()));
    w.stop();
}

#[test]
fn a_distributed_worker_serves_its_admin_listener() {
    let dir = tempfile::tempdir().unwrap();
    let admin = free_port();
    let node = super::distributed::Node::start(
        dir.path(),
        "admin-distributed",
        &super::unique("admin-listeners"),
        &format!("admin.listeners=http://127.0.0.1:{admin}"),
    );
    node.wait_healthy();
    let a = request(admin, "GET", "/admin/loggers", &[], None);
    assert_eq!(a.status, 200, "{}", node.log());
    assert!(a.body.is_object(), "{}", a.body);
    for path in ["/connectors", "/health"] {
        let a = request(admin, "GET", path, &[], None);
        assert_eq!((a.status, a.body), (404, not_found()), "GET {path}");
    }
    let r = request(node.port, "GET", "/admin/loggers", &[], None);
    assert_eq!((r.status, r.body), (404, not_found()));
    // Cluster scope goes through the config topic: 204, then every worker applies it.
    let logger = "strait.admin.listener.cluster";
    let put = request(
        admin,
        "PUT",
        &format!("/admin/loggers/{logger}?scope=cluster"),
        &[],
        Some(r#"{"level":"DEBUG"}"#),
    );
    assert_eq!(put.status, 204, "{}", put.body);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let a = request(admin, "GET", &format!("/admin/loggers/{logger}"), &[], None);
        if a.status == 200 && a.body["level"] == "DEBUG" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{logger} never turned DEBUG: {}; log:\n{}",
            a.body,
            node.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    node.stop();
}
