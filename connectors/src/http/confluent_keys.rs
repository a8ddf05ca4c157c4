//! Confluent's connection keys, shared by its HTTP source and HTTP sink: `http.proxy.*`,
//! `https.ssl.*` (PEM files only), `auth.type` with `connection.*`, `oauth2.*` and Strait's
//! `bearer.token`. One declaration, so both connectors document, validate and parse them alike.

use std::time::Duration;

use strait_engine::config::Validator;
use strait_engine::declare_config;

use super::client::{check_store_type, Auth, OAuth2, Transport};

/// A cross-key problem: the message and the keys it is reported on (REST validation).
pub type Problem = (String, Vec<&'static str>);

declare_config! {
    /// Proxy, TLS and authentication keys, Confluent's names and defaults.
    #[derive(Debug, Clone)]
    pub struct ConfluentConnectionKeys {
        pub proxy_host: String {
            key: "http.proxy.host",
            ty: String,
            default: "",
            importance: Low,
            doc: "The host or IP of the HTTP proxy; empty: no proxy.",
            group: "Proxy", order: 1,
        },
        pub proxy_port: i32 {
            key: "http.proxy.port",
            ty: Int,
            default: "0",
            validator: Validator::between(0.0, 65535.0),
            importance: Low,
            doc: "The port of the HTTP proxy.",
            group: "Proxy", order: 2,
        },
        pub proxy_user: String {
            key: "http.proxy.user",
            ty: String,
            default: "",
            importance: Low,
            doc: "The username to be used when authenticating with the HTTP proxy.",
            group: "Proxy", order: 3,
        },
        pub proxy_password: String {
            key: "http.proxy.password",
            ty: Password,
            default: "",
            importance: Low,
            doc: "The password to be used when authenticating with the HTTP proxy.",
            group: "Proxy", order: 4,
        },
        pub ssl_enabled: bool {
            key: "ssl.enabled",
            ty: Boolean,
            default: "false",
            importance: Low,
            doc: "Legacy key, accepted: TLS is used whenever http.api.url is https.",
            group: "Security", order: 1,
        },
        pub truststore_location: Option<String> {
            key: "https.ssl.truststore.location",
            ty: String,
            default: null,
            importance: Medium,
            doc: "A PEM file of trusted CA certificates, added to the system's (https.ssl.truststore.type=PEM).",
            group: "Security", order: 2,
        },
        pub truststore_type: String {
            key: "https.ssl.truststore.type",
            ty: String,
            default: "JKS",
            importance: Medium,
            doc: "The format of the trust store file. Strait reads PEM only: set PEM (convert JKS/PKCS12 stores with keytool/openssl).",
            group: "Security", order: 3,
        },
        pub truststore_password: Option<String> {
            key: "https.ssl.truststore.password",
            ty: Password,
            default: null,
            importance: Low,
            doc: "The password of the trust store. A PEM trust store has none; accepted and unused.",
            group: "Security", order: 4,
        },
        pub keystore_location: Option<String> {
            key: "https.ssl.keystore.location",
            ty: String,
            default: null,
            importance: Medium,
            doc: "A PEM file with the client's certificate chain and unencrypted private key, for mutual TLS (https.ssl.keystore.type=PEM).",
            group: "Security", order: 5,
        },
        pub keystore_type: String {
            key: "https.ssl.keystore.type",
            ty: String,
            default: "JKS",
            importance: Medium,
            doc: "The format of the key store file. Strait reads PEM only: set PEM.",
            group: "Security", order: 6,
        },
        pub keystore_password: Option<String> {
            key: "https.ssl.keystore.password",
            ty: Password,
            default: null,
            importance: Low,
            doc: "The password of the key store. Must be unset: Strait reads unencrypted PEM keys.",
            group: "Security", order: 7,
        },
        pub key_password: Option<String> {
            key: "https.ssl.key.password",
            ty: Password,
            default: null,
            importance: Low,
            doc: "The password of the private key. Must be unset: Strait reads unencrypted PEM keys.",
            group: "Security", order: 8,
        },
        pub verify_hostname: bool {
            key: "https.host.verifier.enabled",
            ty: Boolean,
            default: "true",
            importance: Low,
            doc: "Whether the server's certificate must name the host.",
            group: "Security", order: 9,
        },
        pub auth_type: String {
            key: "auth.type",
            ty: String,
            default: "NONE",
            validator: Validator::OneOfIgnoreCase(&["NONE", "BASIC", "OAUTH2", "BEARER", "THIRD_PARTY"]),
            importance: High,
            doc: "Authentication type of the endpoint: NONE, BASIC, OAUTH2 (client credentials) or BEARER (Strait: a static token from bearer.token). THIRD_PARTY is not supported.",
            group: "Authentication", order: 1,
        },
        pub user: Option<String> {
            key: "connection.user",
            ty: String,
            default: null,
            importance: High,
            doc: "The username to be used with an endpoint requiring basic authentication.",
            group: "Authentication", order: 2,
        },
        pub password: Option<String> {
            key: "connection.password",
            ty: Password,
            default: null,
            importance: High,
            doc: "The password to be used with an endpoint requiring basic authentication.",
            group: "Authentication", order: 3,
        },
        pub bearer_token: Option<String> {
            key: "bearer.token",
            ty: Password,
            default: null,
            importance: High,
            doc: "Strait: the token sent as 'Authorization: Bearer <token>' with auth.type=BEARER.",
            group: "Authentication", order: 4,
        },
        pub oauth2_token_url: Option<String> {
            key: "oauth2.token.url",
            ty: String,
            default: null,
            importance: High,
            doc: "The URL to be used for fetching the OAuth2 token (client credentials grant).",
            group: "Authentication", order: 5,
        },
        pub oauth2_client_id: Option<String> {
            key: "oauth2.client.id",
            ty: String,
            default: null,
            importance: High,
            doc: "The client id used when fetching the OAuth2 token.",
            group: "Authentication", order: 6,
        },
        pub oauth2_client_secret: Option<String> {
            key: "oauth2.client.secret",
            ty: Password,
            default: null,
            importance: High,
            doc: "The secret used when fetching the OAuth2 token.",
            group: "Authentication", order: 7,
        },
        pub oauth2_token_property: String {
            key: "oauth2.token.property",
            ty: String,
            default: "access_token",
            importance: Low,
            doc: "The name of the property containing the OAuth2 token returned by the token URL.",
            group: "Authentication", order: 8,
        },
        pub oauth2_scope: String {
            key: "oauth2.client.scope",
            ty: String,
            default: "any",
            importance: Low,
            doc: "The scope parameter sent to the token URL.",
            group: "Authentication", order: 9,
        },
        pub oauth2_auth_mode: String {
            key: "oauth2.client.auth.mode",
            ty: String,
            default: "header",
            validator: Validator::OneOfIgnoreCase(&["header", "url"]),
            importance: Low,
            doc: "How the client credentials reach the token URL: header (HTTP Basic) or url (form fields).",
            group: "Authentication", order: 10,
        },
        pub oauth2_client_headers: String {
            key: "oauth2.client.headers",
            ty: Password,
            default: "",
            importance: Low,
            doc: "Headers for the token request. Not supported yet: must be empty.",
            group: "Authentication", order: 11,
        },
        pub oauth2_jwt_enabled: bool {
            key: "oauth2.jwt.enabled",
            ty: Boolean,
            default: "false",
            importance: Low,
            doc: "The JWT bearer grant. Not supported: must be false.",
            group: "Authentication", order: 12,
        },
    }
}

impl ConfluentConnectionKeys {
    /// The authentication, with a problem for each missing credential or unsupported feature.
    pub fn auth(&self, problems: &mut Vec<Problem>) -> Auth {
        let k = self;
        let need =
            |v: &Option<String>, key: &'static str, ty: &str, problems: &mut Vec<Problem>| {
                let value = v.clone().filter(|s| !s.is_empty());
                if value.is_none() {
                    problems.push((
                        format!("{key} is required with auth.type={ty}"),
                        vec![key, "auth.type"],
                    ));
                }
                value.unwrap_or_default()
            };
        let auth = match k.auth_type.trim().to_ascii_uppercase().as_str() {
            "BASIC" => Auth::Basic {
                user: need(&k.user, "connection.user", "BASIC", problems),
                password: k.password.clone().unwrap_or_default(),
            },
            "BEARER" => Auth::Bearer(need(&k.bearer_token, "bearer.token", "BEARER", problems)),
            "OAUTH2" => {
                let mut o = OAuth2::new(
                    need(&k.oauth2_token_url, "oauth2.token.url", "OAUTH2", problems),
                    need(&k.oauth2_client_id, "oauth2.client.id", "OAUTH2", problems),
                    need(
                        &k.oauth2_client_secret,
                        "oauth2.client.secret",
                        "OAUTH2",
                        problems,
                    ),
                );
                o.token_property = k.oauth2_token_property.clone();
                o.scope = k.oauth2_scope.clone();
                o.credentials_in_header = k.oauth2_auth_mode.trim().eq_ignore_ascii_case("header");
                Auth::OAuth2(o)
            }
            "THIRD_PARTY" => {
                problems.push((
                    "auth.type=THIRD_PARTY is not supported by Strait: use OAUTH2 (client credentials), BASIC or BEARER".into(),
                    vec!["auth.type"],
                ));
                Auth::None
            }
            _ => Auth::None,
        };
        if !k.oauth2_client_headers.trim().is_empty() {
            problems.push((
                "oauth2.client.headers is not supported yet: the token request carries only the client credentials".into(),
                vec!["oauth2.client.headers"],
            ));
        }
        if k.oauth2_jwt_enabled {
            problems.push((
                "oauth2.jwt.enabled=true is not supported: Strait's OAuth2 is the client credentials grant".into(),
                vec!["oauth2.jwt.enabled"],
            ));
        }
        auth
    }

    /// Store types Strait cannot read, and key passwords it cannot use.
    pub fn tls_problems(&self) -> Vec<Problem> {
        let mut out: Vec<Problem> = Vec::new();
        let set = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
        if set(&self.truststore_location) {
            if let Err(e) = check_store_type("https.ssl.truststore.type", &self.truststore_type) {
                out.push((e.message().to_string(), vec!["https.ssl.truststore.type"]));
            }
        }
        if set(&self.keystore_location) {
            if let Err(e) = check_store_type("https.ssl.keystore.type", &self.keystore_type) {
                out.push((e.message().to_string(), vec!["https.ssl.keystore.type"]));
            }
            for (key, v) in [
                ("https.ssl.keystore.password", &self.keystore_password),
                ("https.ssl.key.password", &self.key_password),
            ] {
                if set(v) {
                    out.push((
                        format!("{key} is not supported: Strait reads unencrypted PEM keys (decrypt the key with openssl and leave {key} unset)"),
                        vec![key],
                    ));
                }
            }
        }
        out
    }

    /// TLS and proxy settings with the given timeouts.
    pub fn transport(&self, connect_timeout: Duration, request_timeout: Duration) -> Transport {
        let set = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        Transport {
            connect_timeout,
            request_timeout,
            trust_pem: set(&self.truststore_location),
            identity_pem: set(&self.keystore_location),
            verify_hostname: self.verify_hostname,
            trust_all: false,
            proxy: proxy_of(
                &self.proxy_host,
                self.proxy_port,
                &self.proxy_user,
                &self.proxy_password,
            ),
        }
    }
}

/// `http.proxy.*` as a proxy URL and credentials; `None` without a host.
pub fn proxy_of(
    host: &str,
    port: i32,
    user: &str,
    password: &str,
) -> Option<(String, Option<(String, String)>)> {
    let host = host.trim();
    if host.is_empty() {
        return None;
    }
    let url = if host.contains("://") {
        format!("{host}:{port}")
    } else {
        format!("http://{host}:{port}")
    };
    let credentials = (!user.is_empty()).then(|| (user.to_string(), password.to_string()));
    Some((url, credentials))
}
