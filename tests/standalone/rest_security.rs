//! REST security end to end: a standalone worker on `listeners=https://…` with a PEM key store
//! signed by a test CA (made with the `openssl` CLI), Java's `BasicAuthSecurityRestExtension`
//! with its JAAS file named by `KAFKA_OPTS=-Djava.security.auth.login.config=…` as Kafka's
//! scripts pass it, and CORS; then a second worker demanding client certificates. Checked with a
//! real HTTPS client (reqwest on rustls) that trusts the test CA only.

use std::path::Path;

use super::pki::make_pki;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const EXTENSION: &str =
    "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension";
const LOGIN_MODULE: &str =
    "org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule";

/// Start `strait standalone` on an https listener (the shared `Worker::start` writes an http
/// one) with `extra` worker keys and `env`.
fn start_https(dir: &Path, name: &str, extra: &str, env: &[(&str, String)]) -> super::Worker {
    let port = super::free_port();
    let worker = dir.join(format!("{name}-worker.properties"));
    std::fs::write(
        &worker,
        format!(
            "bootstrap.servers={}\nkey.converter=org.apache.kafka.connect.storage.StringConverter\nvalue.converter=org.apache.kafka.connect.storage.StringConverter\noffset.storage.file.filename={}\nlisteners=https://127.0.0.1:{port}\n{extra}\n",
            super::bootstrap(),
            dir.join(format!("{name}.offsets")).display()
        ),
    )
    .unwrap();
    let log = dir.join(format!("{name}.log"));
    let child = Command::new(env!("CARGO_BIN_EXE_strait"))
        .arg("standalone")
        .arg(&worker)
        .env(
            "STRAIT_LOG",
            std::env::var("STRAIT_TEST_WORKER_LOG").unwrap_or_else(|_| "info".into()),
        )
        .env_remove("KAFKA_OPTS")
        .envs(env.iter().cloned())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let w = super::Worker { child, port, log };
    super::wait_rest(&w);
    w
}

fn client(dir: &Path, identity: Option<&str>) -> reqwest::Client {
    super::pki::https_client(dir, identity)
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

fn call(
    client: &reqwest::Client,
    method: &str,
    url: &str,
    auth: Option<(&str, &str)>,
    headers: &[(&str, &str)],
) -> Result<Answer, reqwest::Error> {
    super::s3::runtime().block_on(async {
        let mut req = client.request(method.parse().unwrap(), url);
        if let Some((user, password)) = auth {
            req = req.basic_auth(user, Some(password));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.text().await?;
        Ok(Answer {
            status,
            headers,
            body,
        })
    })
}

#[test]
fn https_listener_with_basic_auth_and_cors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    make_pki(d);
    std::fs::write(
        d.join("credentials.properties"),
        "# users\nalice: s3cret\nbob=builder\n",
    )
    .unwrap();
    let jaas = d.join("jaas.conf");
    std::fs::write(
        &jaas,
        format!(
            "KafkaConnect {{\n  {LOGIN_MODULE} required\n  file=\"{}\";\n}};\n",
            d.join("credentials.properties").display()
        ),
    )
    .unwrap();
    let w = start_https(
        d,
        "secure",
        &format!(
            "listeners.https.ssl.keystore.type=PEM\nlisteners.https.ssl.keystore.location={}\nrest.extension.classes={EXTENSION}\naccess.control.allow.origin=https://ui.example.com\naccess.control.allow.methods=GET,POST,PUT\n",
            d.join("server-identity.pem").display()
        ),
        &[(
            "KAFKA_OPTS",
            format!("-Xmx256m -Djava.security.auth.login.config={}", jaas.display()),
        )],
    );
    let base = format!("https://127.0.0.1:{}", w.port);
    let c = client(d, None);
    let deadline = Instant::now() + Duration::from_secs(60);
    // REST accepts connections before the worker answers; wait for a 200.
    loop {
        match call(
            &c,
            "GET",
            &format!("{base}/"),
            Some(("alice", "s3cret")),
            &[],
        ) {
            Ok(a) if a.status == 200 => break,
            other => assert!(
                Instant::now() < deadline,
                "no 200 from GET /: {:?}; log:\n{}",
                other.map(|a| (a.status, a.body)),
                w.log()
            ),
        }
        std::thread::sleep(Duration::from_millis(200));
    }

    // No credentials, wrong password, unknown user: Java's 401, plain-text body labelled JSON
    // (as Java's), no challenge.
    for auth in [None, Some(("alice", "wrong")), Some(("mallory", "s3cret"))] {
        let a = call(&c, "GET", &format!("{base}/connectors"), auth, &[]).unwrap();
        assert_eq!(a.status, 401, "{auth:?}: {}", a.body);
        assert_eq!(a.body, "User cannot access the resource.");
        assert_eq!(a.header("content-type"), Some("application/json"));
        assert_eq!(a.header("www-authenticate"), None);
    }
    // Right credentials: the API over TLS.
    let a = call(
        &c,
        "GET",
        &format!("{base}/"),
        Some(("alice", "s3cret")),
        &[],
    )
    .unwrap();
    assert_eq!(a.status, 200);
    let info = a.json();
    assert!(
        info["version"].is_string() && info["kafka_cluster_id"].is_string(),
        "{info}"
    );
    let a = call(
        &c,
        "GET",
        &format!("{base}/connectors"),
        Some(("bob", "builder")),
        &[],
    )
    .unwrap();
    assert_eq!((a.status, a.json()), (200, serde_json::json!([])));
    // Unknown paths and methods are 404 / 405 whatever the credentials (Jersey matches the
    // resource method before the filter runs).
    let a = call(&c, "GET", &format!("{base}/nope"), None, &[]).unwrap();
    assert_eq!(a.status, 404);
    let a = call(&c, "DELETE", &format!("{base}/connectors"), None, &[]).unwrap();
    assert_eq!(a.status, 405, "{}", a.body);
    // Internal requests from other workers skip authentication (standalone then refuses them).
    let a = call(
        &c,
        "POST",
        &format!("{base}/connectors/x/tasks"),
        None,
        &[("content-type", "application/json")],
    )
    .unwrap();
    assert_ne!(a.status, 401, "{}", a.body);
    // A malformed Base64 header is Java's uncaught IllegalArgumentException: 500.
    let a = call(
        &c,
        "GET",
        &format!("{base}/connectors"),
        None,
        &[("authorization", "Basic ab-c")],
    )
    .unwrap();
    assert_eq!(a.status, 500, "{}", a.body);

    // CORS: a simple request from the allowed origin gets it back, another origin nothing.
    let origin = "https://ui.example.com";
    let a = call(
        &c,
        "GET",
        &format!("{base}/connectors"),
        Some(("alice", "s3cret")),
        &[("origin", origin)],
    )
    .unwrap();
    assert_eq!(a.header("access-control-allow-origin"), Some(origin));
    assert_eq!(a.header("access-control-allow-credentials"), Some("true"));
    let a = call(
        &c,
        "GET",
        &format!("{base}/connectors"),
        Some(("alice", "s3cret")),
        &[("origin", "https://evil.example")],
    )
    .unwrap();
    assert_eq!(a.status, 200);
    assert_eq!(a.header("access-control-allow-origin"), None);
    // A preflight for an allowed method answers with the configured methods.
    let preflight = |method: &str, origin: &str| {
        call(
            &c,
            "OPTIONS",
            &format!("{base}/connectors/c/config"),
            Some(("alice", "s3cret")),
            &[
                ("origin", origin),
                ("access-control-request-method", method),
                ("access-control-request-headers", "content-type"),
            ],
        )
        .unwrap()
    };
    let a = preflight("PUT", origin);
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.header("access-control-allow-origin"), Some(origin));
    assert_eq!(
        a.header("access-control-allow-methods"),
        Some("GET,POST,PUT")
    );
    assert_eq!(a.header("access-control-max-age"), Some("1800"));
    assert!(
        a.header("allow").unwrap().contains("PUT"),
        "{:?}",
        a.headers
    );
    let a = preflight("DELETE", origin);
    assert_eq!(a.header("access-control-allow-origin"), None);
    let a = preflight("PUT", "https://evil.example");
    assert_eq!(a.header("access-control-allow-origin"), None);

    // A client that does not trust the test CA cannot connect; plain HTTP gets no answer.
    let untrusting = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    assert!(call(&untrusting, "GET", &format!("{base}/"), None, &[]).is_err());
    let plain = format!("http://127.0.0.1:{}/", w.port);
    assert!(!matches!(
        call(&c, "GET", &plain, None, &[]).map(|a| a.status),
        Ok(200)
    ));
    // Secrets never reach the log.
    let log = w.log();
    assert!(!log.contains("s3cret") && !log.contains("builder"), "{log}");
    w.stop();
}

#[test]
fn client_certificates_are_required_when_configured() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    make_pki(d);
    let w = start_https(
        d,
        "mtls",
        &format!(
            "ssl.keystore.type=PEM\nssl.keystore.location={}\nssl.truststore.type=PEM\nssl.truststore.location={}\nssl.client.auth=required\n",
            d.join("server-identity.pem").display(),
            d.join("ca.pem").display()
        ),
        &[],
    );
    let base = format!("https://127.0.0.1:{}/", w.port);
    let with_cert = client(d, Some("client-identity.pem"));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match call(&with_cert, "GET", &base, None, &[]) {
            Ok(a) if a.status == 200 => break,
            other => assert!(
                Instant::now() < deadline,
                "no 200 with a client certificate: {:?}; log:\n{}",
                other.map(|a| (a.status, a.body)),
                w.log()
            ),
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let without = client(d, None);
    assert!(call(&without, "GET", &base, None, &[]).is_err());
    w.stop();
}

#[test]
fn a_jks_or_missing_key_store_fails_start_up_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (name, extra, expect) in [
        (
            "jks",
            "ssl.keystore.location=/etc/ks.jks\nssl.keystore.password=changeit\n".to_string(),
            "ssl.keystore.location=/etc/ks.jks: cannot read",
        ),
        (
            "missing",
            "ssl.keystore.type=PEM\nssl.keystore.location=/nonexistent.pem\n".to_string(),
            "ssl.keystore.location=/nonexistent.pem",
        ),
    ] {
        let stderr = start_up_error(d, name, &extra);
        assert!(stderr.contains(expect), "{name}: {stderr}");
        assert!(!stderr.contains("changeit"), "{stderr}");
    }
}

/// Wait until `GET url` answers 200 with `c` (REST accepts connections before the worker
/// answers).
fn wait_ok(c: &reqwest::Client, url: &str, w: &super::Worker) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match call(c, "GET", url, None, &[]) {
            Ok(a) if a.status == 200 => return,
            other => assert!(
                Instant::now() < deadline,
                "no 200 from GET {url}: {:?}; log:\n{}",
                other.map(|a| (a.status, a.body)),
                w.log()
            ),
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Java's key and trust stores as keytool and openssl write them (JKS with its own key
/// password, PKCS12 of JDK 17+ and of openssl, legacy 3DES/RC2 PKCS12), on `https` listeners
/// with and without client certificates.
#[test]
fn https_listener_with_jks_and_pkcs12_stores() {
    use super::pki::{make_java_stores, KEY_PASSWORD, STORE_PASSWORD, TRUST_PASSWORD};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    make_pki(d);
    make_java_stores(d);
    let at = |file: &str| d.join(file).display().to_string();
    let variants = [
        // JKS, Java's default type; the key under its own password; a PKCS12 trust store.
        (
            "jks",
            format!(
                "ssl.keystore.location={}\nssl.keystore.password={STORE_PASSWORD}\nssl.key.password={KEY_PASSWORD}\nssl.truststore.type=PKCS12\nssl.truststore.location={}\nssl.truststore.password={TRUST_PASSWORD}\nssl.client.auth=required\n",
                at("server.jks"),
                at("truststore.p12")
            ),
            true,
        ),
        // keytool's PKCS12 under listeners.https.*, a JKS trust store.
        (
            "p12",
            format!(
                "listeners.https.ssl.keystore.type=PKCS12\nlisteners.https.ssl.keystore.location={}\nlisteners.https.ssl.keystore.password={STORE_PASSWORD}\nlisteners.https.ssl.truststore.location={}\nlisteners.https.ssl.truststore.password={TRUST_PASSWORD}\nlisteners.https.ssl.client.auth=required\n",
                at("server.p12"),
                at("truststore.jks")
            ),
            true,
        ),
        // openssl's PKCS12 with the default type JKS (Java reads either format either way).
        (
            "openssl-p12",
            format!(
                "ssl.keystore.location={}\nssl.keystore.password={STORE_PASSWORD}\n",
                at("server-openssl.p12")
            ),
            false,
        ),
        (
            "legacy-p12",
            format!(
                "ssl.keystore.type=PKCS12\nssl.keystore.location={}\nssl.keystore.password={STORE_PASSWORD}\n",
                at("server-legacy.p12")
            ),
            false,
        ),
    ];
    let workers: Vec<_> = variants
        .iter()
        .map(|(name, extra, mtls)| (*name, start_https(d, name, extra, &[]), *mtls))
        .collect();
    let with_cert = client(d, Some("client-identity.pem"));
    let without = client(d, None);
    for (name, w, mtls) in workers {
        let url = format!("https://127.0.0.1:{}/", w.port);
        wait_ok(if mtls { &with_cert } else { &without }, &url, &w);
        if mtls {
            assert!(
                call(&without, "GET", &url, None, &[]).is_err(),
                "{name}: a client without a certificate was let in"
            );
        }
        let log = w.log();
        assert!(
            !log.contains(STORE_PASSWORD) && !log.contains(KEY_PASSWORD),
            "{name}: {log}"
        );
        w.stop();
    }
}

/// What `strait standalone` prints when it refuses to start with the worker keys `extra`.
fn start_up_error(dir: &Path, name: &str, extra: &str) -> String {
    let worker = dir.join(format!("{name}.properties"));
    std::fs::write(
        &worker,
        format!(
            "bootstrap.servers=127.0.0.1:1\nkey.converter=org.apache.kafka.connect.storage.StringConverter\nvalue.converter=org.apache.kafka.connect.storage.StringConverter\noffset.storage.file.filename={}\nlisteners=https://127.0.0.1:0\n{extra}",
            dir.join("o").display()
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_strait"))
        .arg("standalone")
        .arg(&worker)
        .env_remove("KAFKA_OPTS")
        .output()
        .unwrap();
    assert!(!out.status.success(), "{name} started");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_wrong_store_password_fails_start_up_naming_the_key() {
    use super::pki::{make_java_stores, KEY_PASSWORD, STORE_PASSWORD, TRUST_PASSWORD};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    make_pki(d);
    make_java_stores(d);
    let at = |file: &str| d.join(file).display().to_string();
    let wrong = "Wr0ngPassw0rd";
    for (name, extra, expect) in [
        (
            "p12-store",
            format!(
                "ssl.keystore.type=PKCS12\nssl.keystore.location={}\nssl.keystore.password={wrong}\n",
                at("server.p12")
            ),
            "Invalid value [hidden] for configuration ssl.keystore.password: ",
        ),
        (
            "jks-store",
            format!(
                "ssl.keystore.location={}\nssl.keystore.password={wrong}\nssl.key.password={KEY_PASSWORD}\n",
                at("server.jks")
            ),
            "Invalid value [hidden] for configuration ssl.keystore.password: ",
        ),
        (
            "jks-key",
            format!(
                "ssl.keystore.location={}\nssl.keystore.password={STORE_PASSWORD}\nssl.key.password={wrong}\n",
                at("server.jks")
            ),
            "Invalid value [hidden] for configuration ssl.key.password: ",
        ),
        (
            "trust",
            format!(
                "ssl.keystore.location={}\nssl.keystore.password={STORE_PASSWORD}\nssl.truststore.location={}\nssl.truststore.password={wrong}\nssl.client.auth=required\n",
                at("server-openssl.p12"),
                at("truststore.jks")
            ),
            "Invalid value [hidden] for configuration ssl.truststore.password: ",
        ),
        (
            "no-password",
            format!("ssl.keystore.location={}\n", at("server.p12")),
            "Invalid value null for configuration ssl.keystore.password: ",
        ),
        (
            "type",
            format!(
                "ssl.keystore.type=JCEKS\nssl.keystore.location={}\nssl.keystore.password={STORE_PASSWORD}\n",
                at("server.p12")
            ),
            "Invalid value JCEKS for configuration ssl.keystore.type: ",
        ),
    ] {
        let stderr = start_up_error(d, name, &extra);
        assert!(stderr.contains(expect), "{name}: {stderr}");
        for secret in [wrong, STORE_PASSWORD, KEY_PASSWORD, TRUST_PASSWORD] {
            assert!(!stderr.contains(secret), "{name}: {stderr}");
        }
    }
}
