//! The REST server's security keys, as Java's `RestServerConfig` and `SslConfigs` define them:
//! CORS (`access.control.allow.*`), `admin.listeners` (KIP-495: the listeners that serve the
//! `/admin/*` endpoints, parsed as Java's `RestServer.createConnector` does), the HTTPS
//! listeners' TLS settings (`ssl.*`, or `listeners.https.ssl.*` / `admin.listeners.https.ssl.*`
//! which replace them all-or-nothing, as Java's `SSLUtils.createServerSideSslContextFactory`
//! reads them) and, Strait only, where the JAAS file
//! of the basic auth extension is (`java.security.auth.login.config`; Java reads the JVM system
//! property of that name, which `KAFKA_OPTS=-Djava.security.auth.login.config=…` sets, and
//! Strait reads that too, see [`super::basic_auth`]).
//!
//! Parsing is pure; the key and trust material is read when the server starts
//! ([`super::tls::server_config`]).

use crate::config::{config_exception, with_prefix, CustomValidator, Props, Validator, Value};
use crate::declare_config;
use crate::error::{Error, Result};

/// The prefix of the HTTPS listener's TLS keys (Java's `listeners.https.`).
pub const LISTENERS_HTTPS_PREFIX: &str = "listeners.https.";
/// The prefix of the HTTPS admin listeners' TLS keys (Java's
/// `RestServerConfig.ADMIN_LISTENERS_HTTPS_CONFIGS_PREFIX`).
pub const ADMIN_LISTENERS_HTTPS_PREFIX: &str = "admin.listeners.https.";
/// The key naming the admin listeners.
pub const ADMIN_LISTENERS_KEY: &str = "admin.listeners";
/// The Strait worker key naming the JAAS file (the JVM system property's name).
pub const JAAS_CONFIG_KEY: &str = "java.security.auth.login.config";

/// A secret (a `Password` key's value): never shown by `Debug`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[hidden]")
    }
}

fn secret(value: Option<String>) -> Option<Secret> {
    value.map(Secret)
}

/// `ssl.client.auth` values (Java's `SslClientAuth`).
pub const CLIENT_AUTH_VALUES: &[&str] = &["required", "requested", "none"];

declare_config! {
    /// The TLS settings of an HTTPS listener (Java's `SslConfigs` keys that `SSLUtils` reads,
    /// plus `ssl.client.auth`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct SslConfig {
        pub keystore_type: String {
            key: "ssl.keystore.type",
            ty: String,
            default: "JKS",
            importance: Medium,
            doc: "The file format of the key store file. Strait reads `JKS` and `PKCS12` files \
                  (either type reads either format, as Java's key stores do) and `PEM` (a file \
                  with the private key and certificate chain, or the inline `ssl.keystore.key` \
                  and `ssl.keystore.certificate.chain`); other types (JCEKS, …) are refused.",
        },
        pub keystore_location: Option<String> {
            key: "ssl.keystore.location",
            ty: String,
            default: null,
            importance: High,
            doc: "The location of the key store file.",
        },
        pub keystore_password: Option<Secret> {
            key: "ssl.keystore.password",
            ty: Password,
            default: null,
            importance: High,
            doc: "The store password for the key store file. Needed for JKS and PKCS12 (a wrong \
                  one stops start-up); not used for PEM.",
            map: secret,
        },
        pub key_password: Option<Secret> {
            key: "ssl.key.password",
            ty: Password,
            default: null,
            importance: High,
            doc: "The password of the private key in the key store file; defaults to the store \
                  password, as Jetty's. A PKCS12 store protects its keys with the store \
                  password. Strait reads unencrypted PEM keys only: an encrypted PEM key is \
                  refused at start-up.",
            map: secret,
        },
        pub keystore_key: Option<Secret> {
            key: "ssl.keystore.key",
            ty: Password,
            default: null,
            importance: High,
            doc: "Private key in the format specified by 'ssl.keystore.type' (PEM only: a \
                  PKCS#8 or PKCS#1 key, unencrypted).",
            map: secret,
        },
        pub keystore_certificate_chain: Option<Secret> {
            key: "ssl.keystore.certificate.chain",
            ty: Password,
            default: null,
            importance: High,
            doc: "Certificate chain in the format specified by 'ssl.keystore.type' (PEM only: \
                  a list of X.509 certificates).",
            map: secret,
        },
        pub truststore_type: String {
            key: "ssl.truststore.type",
            ty: String,
            default: "JKS",
            importance: Medium,
            doc: "The file format of the trust store file: `JKS`, `PKCS12` (either reads either \
                  format) or `PEM`. Used when ssl.client.auth is requested or required, and by \
                  the client that sends requests to the other workers' https listeners.",
        },
        pub truststore_location: Option<String> {
            key: "ssl.truststore.location",
            ty: String,
            default: null,
            importance: High,
            doc: "The location of the trust store file.",
        },
        pub truststore_password: Option<Secret> {
            key: "ssl.truststore.password",
            ty: Password,
            default: null,
            importance: High,
            doc: "The password for the trust store file. If a password is not set, a JKS trust \
                  store is still used, but integrity checking is disabled. Not used for PEM.",
            map: secret,
        },
        pub truststore_certificates: Option<Secret> {
            key: "ssl.truststore.certificates",
            ty: Password,
            default: null,
            importance: High,
            doc: "Trusted certificates in the format specified by 'ssl.truststore.type' (PEM).",
            map: secret,
        },
        pub enabled_protocols: Vec<String> {
            key: "ssl.enabled.protocols",
            ty: List,
            default: "TLSv1.2,TLSv1.3",
            importance: Medium,
            doc: "The list of protocols enabled for SSL connections. Strait speaks TLSv1.2 and \
                  TLSv1.3; older protocols in the list are ignored with a warning.",
        },
        pub cipher_suites: Option<Vec<String>> {
            key: "ssl.cipher.suites",
            ty: List,
            default: null,
            importance: Low,
            doc: "A list of cipher suites (IANA names, e.g. TLS_AES_128_GCM_SHA256). By \
                  default all the available cipher suites are supported; a suite Strait does \
                  not implement is refused at start-up.",
        },
        pub protocol: String {
            key: "ssl.protocol",
            ty: String,
            default: "TLSv1.3",
            importance: Medium,
            doc: "The SSL protocol used to generate the SSLContext. No effect in Strait (see \
                  ssl.enabled.protocols).",
        },
        pub provider: Option<String> {
            key: "ssl.provider",
            ty: String,
            default: null,
            importance: Medium,
            doc: "The name of the security provider used for SSL connections. No effect in \
                  Strait (rustls with aws-lc-rs).",
        },
        pub keymanager_algorithm: String {
            key: "ssl.keymanager.algorithm",
            ty: String,
            default: "SunX509",
            importance: Low,
            doc: "The algorithm used by key manager factory for SSL connections. No effect in \
                  Strait.",
        },
        pub trustmanager_algorithm: String {
            key: "ssl.trustmanager.algorithm",
            ty: String,
            default: "PKIX",
            importance: Low,
            doc: "The algorithm used by trust manager factory for SSL connections. No effect in \
                  Strait.",
        },
        pub secure_random_implementation: Option<String> {
            key: "ssl.secure.random.implementation",
            ty: String,
            default: null,
            importance: Low,
            doc: "The SecureRandom PRNG implementation to use for SSL cryptography operations. \
                  No effect in Strait.",
        },
        pub endpoint_identification_algorithm: String {
            key: "ssl.endpoint.identification.algorithm",
            ty: String,
            default: "https",
            importance: Low,
            doc: "The endpoint identification algorithm to validate server hostname using \
                  server certificate. Used by the client that sends requests to the other \
                  workers (distributed mode, https listeners); empty turns the host name check \
                  off. No effect on the REST server.",
        },
        pub client_auth: String {
            key: "ssl.client.auth",
            ty: String,
            default: "none",
            validator: Validator::OneOf(CLIENT_AUTH_VALUES),
            importance: Low,
            doc: "Configures kafka broker to request client authentication. The following \
                  settings are common: `ssl.client.auth=required` If set to required client \
                  authentication is required. `ssl.client.auth=requested` This means client \
                  authentication is optional. unlike required, if this option is set client can \
                  choose not to provide authentication information about itself \
                  `ssl.client.auth=none` This means client authentication is not needed.",
        },
    }
}

declare_config! {
    /// The REST server keys of the worker besides `listeners` / `rest.advertised.*` /
    /// `rest.extension.classes` (which [`crate::worker_config::WorkerConfig`] declares).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct RestServerConfig {
        pub allowed_origins: String {
            key: "access.control.allow.origin",
            ty: String,
            default: "",
            importance: Low,
            doc: "Value to set the Access-Control-Allow-Origin header to for REST API \
                  requests.To enable cross origin access, set this to the domain of the \
                  application that should be permitted to access the API, or '*' to allow \
                  access from any domain. The default value only allows access from the domain \
                  of the REST API.",
        },
        pub allowed_methods: String {
            key: "access.control.allow.methods",
            ty: String,
            default: "",
            importance: Low,
            doc: "Sets the methods supported for cross origin requests by setting the \
                  Access-Control-Allow-Methods header. The default value of the \
                  Access-Control-Allow-Methods header allows cross origin requests for GET, \
                  POST and HEAD.",
        },
        pub admin_listeners: Option<Vec<String>> {
            key: ADMIN_LISTENERS_KEY,
            ty: List,
            default: null,
            validator: Validator::Custom(&ADMIN_LISTENERS_VALIDATOR),
            importance: Low,
            doc: "List of comma-separated URIs the Admin REST API will listen on. The \
                  supported protocols are HTTP and HTTPS. An empty or blank string will disable \
                  this feature. The default behavior is to use the regular listener (specified \
                  by the 'listeners' property). As in Java, admin listeners serve /admin/* \
                  only (the regular listeners then answer 404 there), without the REST \
                  extensions and CORS headers of the regular listeners; an https admin \
                  listener takes its TLS settings from admin.listeners.https.ssl.* (all or \
                  nothing), else from ssl.*.",
        },
        pub jaas_config: Option<String> {
            key: JAAS_CONFIG_KEY,
            ty: String,
            default: null,
            importance: Low,
            doc: "Strait only. The JAAS file BasicAuthSecurityRestExtension reads (Java takes \
                  it from the JVM system property of this name). When unset, Strait reads \
                  `-Djava.security.auth.login.config=<path>` from the KAFKA_OPTS environment \
                  variable, as Kafka's start scripts pass it to the JVM.",
        },
        /// The unprefixed `ssl.*` keys.
        pub ssl: SslConfig { flatten },
    }
}

/// Java's `RestServerConfig.AdminListenersValidator`: null and the empty list pass, a blank
/// item does not.
static ADMIN_LISTENERS_VALIDATOR: CustomValidator = CustomValidator {
    describe: "List of comma-separated URLs, ex: http://localhost:8080,https://localhost:8443.",
    check: |_name, value| match value {
        Value::List(items) if items.iter().any(|i| i.trim().is_empty()) => Err(Error::config(
            "Empty URL found when parsing admin.listeners list.",
        )),
        _ => Ok(()),
    },
};

/// Where the `/admin/*` endpoints are served (Java's `RestServerConfig.adminListeners()`:
/// null, empty, or a list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminEndpoints {
    /// `admin.listeners` unset: on the regular listener, with the regular resources.
    Regular,
    /// `admin.listeners=` (empty or blank): nowhere.
    Disabled,
    /// On these listeners only, which serve nothing else.
    Separate(Vec<ListenerUrl>),
}

/// One `protocol://host:port` listener, as Java's `RestServer.createConnector` reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerUrl {
    /// The listener as configured.
    pub url: String,
    /// `https` (else `http`).
    pub https: bool,
    /// Empty: every interface.
    pub host: String,
    /// 0: any free port.
    pub port: u16,
}

impl ListenerUrl {
    /// Parse `url` as Java's `LISTENER_PATTERN`
    /// (`^(.*)://\[?([0-9a-zA-Z\-%._:]*)\]?:(-?[0-9]+)`, whole string) and protocol check do,
    /// with their messages; `key` names the configuration in the error.
    pub fn parse(key: &str, url: &str) -> Result<Self> {
        let format = || {
            config_exception(
                key,
                url,
                "Listener doesn't have the right format (protocol://hostname:port).",
            )
        };
        // The host class has no '/', so only the last "://" can start a match.
        let (protocol, rest) = url.rsplit_once("://").ok_or_else(format)?;
        let (host, port) = rest.rsplit_once(':').ok_or_else(format)?;
        let digits = port.strip_prefix('-').unwrap_or(port);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format());
        }
        let host = host.strip_prefix('[').unwrap_or(host);
        let host = host.strip_suffix(']').unwrap_or(host);
        let host_char = |c: char| c.is_ascii_alphanumeric() || "-%._:".contains(c);
        if !host.chars().all(host_char) {
            return Err(format());
        }
        let protocol = protocol.to_ascii_lowercase();
        if protocol != "http" && protocol != "https" {
            return Err(config_exception(
                key,
                url,
                "Listener protocol must be either \"http\" or \"https\".",
            ));
        }
        // Jetty refuses a port outside 0..=65535 when it binds; Strait says so up front.
        let port = port
            .parse::<u16>()
            .map_err(|_| config_exception(key, url, &format!("port out of range: {port}")))?;
        Ok(ListenerUrl {
            url: url.to_string(),
            https: protocol == "https",
            host: host.to_string(),
            port,
        })
    }
}

impl RestServerConfig {
    /// Parse the REST server keys of a worker file: Java's checks, the admin listeners' URLs
    /// and the `listeners.https.*` / `admin.listeners.https.*` keys.
    pub fn from_worker_props(props: &Props) -> Result<Self> {
        let config = Self::parse(props)?;
        config.https_ssl(props)?;
        if let AdminEndpoints::Separate(listeners) = config.admin_endpoints()? {
            if listeners.iter().any(|l| l.https) {
                config.admin_https_ssl(props)?;
            }
        }
        Ok(config)
    }

    /// Where the admin endpoints are served, the URLs checked (errors name `admin.listeners`).
    pub fn admin_endpoints(&self) -> Result<AdminEndpoints> {
        match &self.admin_listeners {
            None => Ok(AdminEndpoints::Regular),
            Some(list) if list.is_empty() => Ok(AdminEndpoints::Disabled),
            Some(list) => list
                .iter()
                .map(|url| ListenerUrl::parse(ADMIN_LISTENERS_KEY, url))
                .collect::<Result<_>>()
                .map(AdminEndpoints::Separate),
        }
    }

    /// The TLS settings of `https` listeners: the `listeners.https.*` keys when any is given
    /// (all-or-nothing: the unprefixed ones are then ignored), else the unprefixed `ssl.*`.
    pub fn https_ssl(&self, originals: &Props) -> Result<SslConfig> {
        self.ssl_with_prefix(originals, LISTENERS_HTTPS_PREFIX)
    }

    /// The TLS settings of `https` admin listeners: `admin.listeners.https.*` all-or-nothing,
    /// else the unprefixed `ssl.*` (Java's `SSLUtils.createServerSideSslContextFactory(config,
    /// ADMIN_LISTENERS_HTTPS_CONFIGS_PREFIX)`).
    pub fn admin_https_ssl(&self, originals: &Props) -> Result<SslConfig> {
        self.ssl_with_prefix(originals, ADMIN_LISTENERS_HTTPS_PREFIX)
    }

    /// Java's `AbstractConfig.valuesWithPrefixAllOrNothing(prefix)` over the `ssl.*` keys.
    fn ssl_with_prefix(&self, originals: &Props, prefix: &str) -> Result<SslConfig> {
        let prefixed = with_prefix(originals, prefix);
        if prefixed.is_empty() {
            Ok(self.ssl.clone())
        } else {
            SslConfig::parse(&prefixed).map_err(|e| e.context(format!("{prefix}*")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::props_from;

    #[test]
    fn prefixed_ssl_keys_replace_the_unprefixed_ones_all_or_nothing() {
        let props = props_from(&[
            ("ssl.keystore.location", "/plain.pem"),
            ("ssl.keystore.type", "PEM"),
            ("ssl.key.password", "s3cret"),
        ]);
        let rest = RestServerConfig::parse(&props).unwrap();
        let ssl = rest.https_ssl(&props).unwrap();
        assert_eq!(ssl.keystore_location.as_deref(), Some("/plain.pem"));
        assert_eq!(ssl.keystore_type, "PEM");
        assert_eq!(ssl.client_auth, "none");
        // Secrets never show in Debug output.
        assert!(!format!("{rest:?}").contains("s3cret"));
        let mut props = props;
        props.insert(
            "listeners.https.ssl.keystore.location".into(),
            "/https.pem".into(),
        );
        let ssl = rest.https_ssl(&props).unwrap();
        assert_eq!(ssl.keystore_location.as_deref(), Some("/https.pem"));
        // Not inherited from the unprefixed keys: Java's default.
        assert_eq!(ssl.keystore_type, "JKS");
        assert_eq!(ssl.key_password, None);
        props.insert("listeners.https.ssl.client.auth".into(), "maybe".into());
        let err = rest.https_ssl(&props).unwrap_err();
        assert!(err.message().contains("ssl.client.auth"), "{err}");
    }

    #[test]
    fn defaults_are_javas() {
        let rest = RestServerConfig::parse(&Props::new()).unwrap();
        assert_eq!(rest.allowed_origins, "");
        assert_eq!(rest.admin_listeners, None);
        assert_eq!(rest.ssl.enabled_protocols, ["TLSv1.2", "TLSv1.3"]);
        assert_eq!(rest.ssl.keystore_type, "JKS");
        let empty = RestServerConfig::parse(&props_from(&[("admin.listeners", "")])).unwrap();
        assert_eq!(empty.admin_listeners, Some(vec![]));
    }

    fn admin(value: &str) -> Result<AdminEndpoints> {
        RestServerConfig::from_worker_props(&props_from(&[("admin.listeners", value)]))?
            .admin_endpoints()
    }

    #[test]
    fn admin_listeners_as_javas_rest_server_config_test() {
        assert_eq!(
            RestServerConfig::from_worker_props(&Props::new())
                .unwrap()
                .admin_endpoints()
                .unwrap(),
            AdminEndpoints::Regular
        );
        assert_eq!(admin("").unwrap(), AdminEndpoints::Disabled);
        assert_eq!(admin("  ").unwrap(), AdminEndpoints::Disabled);
        let AdminEndpoints::Separate(list) = admin("http://a.b:9999, https://a.b:7812").unwrap()
        else {
            panic!()
        };
        let urls: Vec<_> = list.iter().map(|l| l.url.as_str()).collect();
        assert_eq!(urls, ["http://a.b:9999", "https://a.b:7812"]);
        assert_eq!((list[0].https, list[1].https), (false, true));
        assert_eq!((list[0].host.as_str(), list[0].port), ("a.b", 9999));
        // AdminListenersValidator: a trailing comma or a blank item is an empty URL.
        for value in ["http://a.b:9999,", "http://a.b:9999, ,https://a.b:9999"] {
            let err = admin(value).unwrap_err();
            assert_eq!(
                err.message(),
                "Empty URL found when parsing admin.listeners list.",
                "{value}"
            );
            assert!(err.message().contains(" admin.listeners"));
        }
    }

    #[test]
    fn listener_urls_parse_as_javas_listener_pattern() {
        let ok = |url: &str| ListenerUrl::parse("admin.listeners", url).unwrap();
        let l = ok("http://:8083");
        assert_eq!((l.host.as_str(), l.port, l.https), ("", 8083, false));
        let l = ok("HTTPS://[::1]:0");
        assert_eq!((l.host.as_str(), l.port, l.https), ("::1", 0, true));
        assert_eq!(ok("http://fe80::1%eth0:80").host, "fe80::1%eth0");
        assert_eq!(ok("http://my-host.example_1:1").host, "my-host.example_1");
        let format = "Listener doesn't have the right format (protocol://hostname:port).";
        for bad in [
            "localhost:8083",
            "http://localhost",
            "http://localhost:",
            "http://localhost:80/",
            "http://local host:80",
            "http://localhost:8o",
        ] {
            let err = ListenerUrl::parse("admin.listeners", bad).unwrap_err();
            assert_eq!(err.fault(), crate::error::Fault::Config);
            assert_eq!(
                err.message(),
                format!("Invalid value {bad} for configuration admin.listeners: {format}")
            );
        }
        let err = ListenerUrl::parse("admin.listeners", "ftp://h:21").unwrap_err();
        assert!(
            err.message()
                .ends_with("Listener protocol must be either \"http\" or \"https\"."),
            "{err}"
        );
        let err = ListenerUrl::parse("admin.listeners", "http://h:-1").unwrap_err();
        assert!(err.message().contains("port out of range: -1"), "{err}");
        let err = ListenerUrl::parse("admin.listeners", "http://h:65536").unwrap_err();
        assert!(err.message().contains("port out of range"), "{err}");
        // from_worker_props checks every URL.
        let err = admin("http://ok:1,nope").unwrap_err();
        assert!(err.message().contains("Invalid value nope"), "{err}");
    }

    #[test]
    fn admin_https_keys_replace_ssl_all_or_nothing() {
        let props = props_from(&[
            ("admin.listeners", "https://:8084"),
            ("ssl.keystore.location", "/plain.pem"),
            ("listeners.https.ssl.keystore.location", "/https.pem"),
        ]);
        let rest = RestServerConfig::from_worker_props(&props).unwrap();
        // No admin.listeners.https.* key: the unprefixed ones, not listeners.https.*.
        let ssl = rest.admin_https_ssl(&props).unwrap();
        assert_eq!(ssl.keystore_location.as_deref(), Some("/plain.pem"));
        let mut props = props;
        props.insert(
            "admin.listeners.https.ssl.keystore.location".into(),
            "/admin.pem".into(),
        );
        let ssl = rest.admin_https_ssl(&props).unwrap();
        assert_eq!(ssl.keystore_location.as_deref(), Some("/admin.pem"));
        assert_eq!(
            rest.https_ssl(&props).unwrap().keystore_location.as_deref(),
            Some("/https.pem")
        );
        // A bad admin TLS key fails the worker config when an admin listener is https.
        props.insert(
            "admin.listeners.https.ssl.client.auth".into(),
            "maybe".into(),
        );
        let err = RestServerConfig::from_worker_props(&props).unwrap_err();
        assert!(
            err.message().starts_with("admin.listeners.https.*: "),
            "{err}"
        );
        assert!(err.message().contains("ssl.client.auth"), "{err}");
    }
}
