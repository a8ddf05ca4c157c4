//! Test certificates made with the `openssl` CLI (Debian package openssl, installed by .ci/run):
//! shared by the HTTPS tests of the REST server and of the HTTP source.

use std::path::Path;
use std::process::Command;

/// Run `openssl` in `dir`, failing the test with its output when it fails.
fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the openssl command (Debian package openssl) is needed for the TLS tests");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A test CA, a server certificate for 127.0.0.1 (chain and key in `server-identity.pem`, what
/// `ssl.keystore.location` takes with `ssl.keystore.type=PEM`) and a client certificate (likewise
/// in `client-identity.pem`), all signed by the CA in `ca.pem`.
pub fn make_pki(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=strait-rest-test-ca",
        ],
    );
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .unwrap();
    // Extensions make X.509 v3 certificates (rustls refuses v1).
    std::fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\n").unwrap();
    for (name, ext) in [("server", "server.ext"), ("client", "client.ext")] {
        let key = format!("{name}.key");
        let csr = format!("{name}.csr");
        let pem = format!("{name}.pem");
        openssl(
            dir,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                &key,
                "-out",
                &csr,
                "-subj",
                &format!("/CN={name}"),
            ],
        );
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                &pem,
                "-days",
                "2",
                "-extfile",
                ext,
            ],
        );
        let identity = std::fs::read_to_string(dir.join(&pem)).unwrap()
            + &std::fs::read_to_string(dir.join(&key)).unwrap();
        std::fs::write(dir.join(format!("{name}-identity.pem")), identity).unwrap();
    }
}

/// Run the JDK's `keytool` in `dir`, failing the test with its output when it fails.
fn keytool(dir: &Path, args: &[&str]) {
    let out = Command::new("keytool")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the JDK's keytool (java 17+) is needed for the JKS/PKCS12 tests");
    assert!(
        out.status.success(),
        "keytool {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The store password of the stores [`make_java_stores`] writes.
pub const STORE_PASSWORD: &str = "storepass";
/// The private key's own password in `server.jks`.
pub const KEY_PASSWORD: &str = "keypass1";
/// The password of the trust stores.
pub const TRUST_PASSWORD: &str = "trustpass";

/// Java key and trust stores of [`make_pki`]'s server identity and CA (call it first), as
/// Jetty reads them: `server-openssl.p12` (`openssl pkcs12 -export`: PBES2/AES-256, SHA-256
/// MAC), `server.p12` (keytool's PKCS12, JDK 17+: PBES2/AES-256, HmacSHA256),
/// `server-legacy.p12` (keytool with `-J-Dkeystore.pkcs12.legacy`: 3DES and RC2, SHA-1 MAC),
/// `server.jks` (JKS, the key under its own password [`KEY_PASSWORD`]); store password
/// [`STORE_PASSWORD`], alias `server`, chain with the CA. `truststore.jks` and `truststore.p12`
/// hold the CA (`keytool -importcert`), password [`TRUST_PASSWORD`].
pub fn make_java_stores(dir: &Path) {
    let pass = format!("pass:{STORE_PASSWORD}");
    openssl(
        dir,
        &[
            "pkcs12",
            "-export",
            "-in",
            "server.pem",
            "-inkey",
            "server.key",
            "-certfile",
            "ca.pem",
            "-name",
            "server",
            "-out",
            "server-openssl.p12",
            "-passout",
            &pass,
        ],
    );
    let import = |to: &str, ty: &str, extra: &[&str]| {
        let mut args = vec![
            "-importkeystore",
            "-noprompt",
            "-srckeystore",
            "server-openssl.p12",
            "-srcstoretype",
            "PKCS12",
            "-srcstorepass",
            STORE_PASSWORD,
            "-srcalias",
            "server",
            "-destkeystore",
            to,
            "-deststoretype",
            ty,
            "-deststorepass",
            STORE_PASSWORD,
        ];
        args.extend_from_slice(extra);
        keytool(dir, &args);
    };
    import("server.p12", "PKCS12", &[]);
    import("server.jks", "JKS", &["-destkeypass", KEY_PASSWORD]);
    let mut legacy = vec!["-J-Dkeystore.pkcs12.legacy"];
    legacy.extend_from_slice(&[
        "-importkeystore",
        "-noprompt",
        "-srckeystore",
        "server-openssl.p12",
        "-srcstoretype",
        "PKCS12",
        "-srcstorepass",
        STORE_PASSWORD,
        "-destkeystore",
        "server-legacy.p12",
        "-deststoretype",
        "PKCS12",
        "-deststorepass",
        STORE_PASSWORD,
    ]);
    keytool(dir, &legacy);
    for (store, ty) in [("truststore.jks", "JKS"), ("truststore.p12", "PKCS12")] {
        keytool(
            dir,
            &[
                "-importcert",
                "-noprompt",
                "-alias",
                "ca",
                "-file",
                "ca.pem",
                "-keystore",
                store,
                "-storetype",
                ty,
                "-storepass",
                TRUST_PASSWORD,
            ],
        );
    }
}

/// An HTTPS client that trusts the test CA of `dir` only, presenting the PEM identity file
/// `identity` (chain and key) when given.
pub fn https_client(dir: &Path, identity: Option<&str>) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(&std::fs::read(dir.join("ca.pem")).unwrap()).unwrap();
    let mut b = reqwest::Client::builder()
        .tls_certs_only([ca])
        .timeout(std::time::Duration::from_secs(30));
    if let Some(file) = identity {
        let pem = std::fs::read(dir.join(file)).unwrap();
        b = b.identity(reqwest::Identity::from_pem(&pem).unwrap());
    }
    b.build().unwrap()
}
