//! HTTPS for the REST server and client: the rustls `ServerConfig` an `https://` listener serves
//! with (Java's `SSLUtils.createServerSideSslContextFactory`) and the `ClientConfig` a worker
//! sends requests to the other workers with (`SSLUtils.createClientSideSslContextFactory`), both
//! built from the listener's [`SslConfig`]: the key store, the trust store, `ssl.client.auth`,
//! the enabled protocols and cipher suites, and (client side) the endpoint identification.
//!
//! Key and trust stores are read as Java's Jetty reads them:
//!
//! * `JKS` (Java's default `ssl.keystore.type`) and `PKCS12`: a file at `ssl.*store.location`
//!   opened with `ssl.*store.password`; the private key is recovered with `ssl.key.password`,
//!   else the store password (Jetty's key manager password). Either type reads either format,
//!   as Java's do (`keystore.type.compat`): JKS files (magic `0xFEEDFEED`, keys under Sun's
//!   SHA-1 key protector, checked with the store's SHA-1 integrity digest) are parsed here,
//!   PKCS#12 files (PBES2/AES-256 with HmacSHA256 MACs as JDK 17+ writes them, or the legacy
//!   3DES/RC2 with SHA-1) by the `p12-keystore` crate. A trust store's anchors are its trusted
//!   certificate entries and the first certificate of each key entry (Java's
//!   `TrustStoreUtil.getTrustedCerts`); a PKCS12 certificate without Java's trusted-usage
//!   attribute is ignored, as Java ignores it. With several key entries, the first alias in
//!   alphabetical order serves (a warning names the others).
//! * `PEM`: a file with the certificates and the unencrypted key, or the inline
//!   `ssl.keystore.key` + `ssl.keystore.certificate.chain` / `ssl.truststore.certificates`.
//!
//! Errors name the key and are the configuration's fault; a wrong password is Java's
//! `ConfigException` text, `Invalid value [hidden] for configuration ssl.keystore.password: …`.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, DigitallySignedStruct, ServerConfig, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};

use super::server_config::{Secret, SslConfig};
use crate::error::{Error, Result};

fn config_error(message: impl Into<String>) -> Error {
    Error::config(format!(
        "Invalid REST HTTPS configuration: {}",
        message.into()
    ))
}

/// Java's `ConfigException` text for a bad value (`[hidden]` for a password, as Java prints
/// one).
fn invalid(key: &str, value: &str, message: impl std::fmt::Display) -> Error {
    Error::config(format!(
        "Invalid value {value} for configuration {key}: {message}"
    ))
}

/// The certificates of a PEM text (`what` names it in errors).
fn pem_certs(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>> {
    let certs: Vec<_> = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| config_error(format!("{what}: not valid PEM: {e}")))?;
    if certs.is_empty() {
        return Err(config_error(format!("{what}: no CERTIFICATE block found")));
    }
    Ok(certs)
}

/// The private key of a PEM text; encrypted keys are refused.
fn pem_key(pem: &[u8], what: &str) -> Result<PrivateKeyDer<'static>> {
    if String::from_utf8_lossy(pem).contains("ENCRYPTED PRIVATE KEY") {
        return Err(config_error(format!(
            "{what}: the private key is encrypted; Strait reads unencrypted PEM keys only (decrypt it with `openssl pkcs8 -topk8 -nocrypt -in key.pem -out key-plain.pem` and keep the file readable by the worker only), or use a PKCS12 or JKS key store"
        )));
    }
    PrivateKeyDer::from_pem_slice(pem)
        .map_err(|e| config_error(format!("{what}: no usable PRIVATE KEY block: {e}")))
}

fn read(path: &str, key: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| config_error(format!("{key}={path}: cannot read: {e}")))
}

/// How a store of `ssl.keystore.type` / `ssl.truststore.type` is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StoreType {
    Pem,
    /// `JKS` or `PKCS12`: either file format (Java's `keystore.type.compat`).
    Java,
}

fn store_type(key: &str, ty: &str) -> Result<StoreType> {
    let ty = ty.trim();
    if ty.eq_ignore_ascii_case("PEM") {
        Ok(StoreType::Pem)
    } else if ty.eq_ignore_ascii_case("JKS") || ty.eq_ignore_ascii_case("PKCS12") {
        Ok(StoreType::Java)
    } else {
        Err(invalid(
            key,
            ty,
            "Strait reads JKS, PKCS12 and PEM stores (convert another type with `keytool -importkeystore -srcstoretype <type> -deststoretype PKCS12`)",
        ))
    }
}

/// A certificate chain (leaf first) and its private key.
type Identity = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

/// What a JKS or PKCS12 file holds: key entries (alias, chain, key once recovered) and trusted
/// certificate entries.
#[derive(Default)]
struct JavaStore {
    keys: Vec<(String, Vec<Vec<u8>>, Option<Vec<u8>>)>,
    trusted: Vec<Vec<u8>>,
}

/// Which store a [`JavaStore`] is read as (its keys name it in errors).
struct StoreKeys {
    location_key: &'static str,
    password_key: &'static str,
    path: String,
}

/// Why a Java store could not be read.
enum StoreError {
    /// Not a JKS or PKCS12 file (or a damaged one).
    Format(String),
    /// The store password does not open it (integrity digest or MAC mismatch).
    StorePassword,
    /// The key password does not recover a key (`pkcs12`: the file is PKCS12).
    KeyPassword { pkcs12: bool },
}

/// Read a JKS or PKCS12 file; keys are recovered when `key_password` is given.
fn read_java_store(
    data: &[u8],
    store_password: Option<&str>,
    key_password: Option<&str>,
) -> std::result::Result<JavaStore, StoreError> {
    match data.get(..4) {
        Some(m) if m == jks::MAGIC.to_be_bytes() => jks::read(data, store_password, key_password),
        Some(m) if m == jks::JCEKS_MAGIC.to_be_bytes() => Err(StoreError::Format(
            "a JCEKS store; Strait reads JKS and PKCS12 (convert it with `keytool -importkeystore -srcstoretype JCEKS -deststoretype PKCS12`)".into(),
        )),
        Some([0x30, ..]) => pkcs12(data, store_password.unwrap_or(""), key_password),
        _ => Err(StoreError::Format("neither a JKS nor a PKCS12 file".into())),
    }
}

/// A PKCS12 file: the MAC and the certificates under the store password; keys under the same
/// password (keytool and openssl write PKCS12 stores so), so a different `ssl.key.password`
/// fails as in Java.
fn pkcs12(
    data: &[u8],
    password: &str,
    key_password: Option<&str>,
) -> std::result::Result<JavaStore, StoreError> {
    use p12_keystore::error::Error as P12Error;
    use p12_keystore::{KeyStore, KeyStoreEntry, Pkcs12ImportPolicy};
    let store =
        KeyStore::from_pkcs12(data, password, Pkcs12ImportPolicy::Strict).map_err(|e| match e {
            P12Error::MacError(_) => StoreError::StorePassword,
            // Without a MAC, a wrong password shows when the bags are decrypted.
            P12Error::UnpadError | P12Error::Pkcs5Error(_) => StoreError::StorePassword,
            other => StoreError::Format(format!("not a readable PKCS12 file: {other}")),
        })?;
    let mut out = JavaStore::default();
    for (alias, entry) in store.entries() {
        match entry {
            KeyStoreEntry::PrivateKeyChain(chain) => {
                let key = match key_password {
                    Some(k) if k != password => {
                        return Err(StoreError::KeyPassword { pkcs12: true })
                    }
                    Some(_) => Some(chain.key().as_der().to_vec()),
                    None => None,
                };
                let certs = chain.certs().iter().map(|c| c.as_der().to_vec());
                out.keys.push((alias.clone(), certs.collect(), key));
            }
            KeyStoreEntry::Certificate(cert) => out.trusted.push(cert.as_der().to_vec()),
            KeyStoreEntry::Secret(_) => {}
        }
    }
    Ok(out)
}

/// Open the JKS or PKCS12 store of `keys`; `key_password` (the key naming it, its value):
/// recover the keys with it.
fn java_store(
    keys: &StoreKeys,
    password: Option<&Secret>,
    key_password: Option<(&str, &Secret)>,
) -> Result<JavaStore> {
    let data = read(&keys.path, keys.location_key)?;
    let password = password.map(|p| p.0.as_str());
    let recover_with = key_password.map(|(_, p)| p.0.as_str());
    read_java_store(&data, password, recover_with).map_err(|e| {
        let (path, location) = (&keys.path, keys.location_key);
        match e {
            StoreError::Format(why) => config_error(format!("{location}={path}: {why}")),
            StoreError::StorePassword => invalid(
                keys.password_key,
                if password.is_some() { "[hidden]" } else { "null" },
                format!(
                    "the store {location}={path} cannot be opened with this password (Java: Keystore was tampered with, or password was incorrect)"
                ),
            ),
            StoreError::KeyPassword { pkcs12 } => {
                let key = key_password.map(|(k, _)| k).unwrap_or("ssl.key.password");
                let hint = match (pkcs12, key == "ssl.key.password") {
                    (true, true) => "; a PKCS12 store protects its keys with the store password: leave ssl.key.password unset",
                    (false, false) => "; set ssl.key.password to the key's own password",
                    _ => "",
                };
                invalid(
                    key,
                    "[hidden]",
                    format!(
                        "the private key in {location}={path} cannot be recovered with this password (Java: Cannot recover key){hint}"
                    ),
                )
            }
        }
    })
}

/// The chain and key of the first key entry (alphabetical alias order) of a Java store.
fn java_identity(store: JavaStore, keys: &StoreKeys) -> Result<Identity> {
    let mut entries = store.keys;
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    if entries.len() > 1 {
        let aliases: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
        tracing::warn!(
            store = %keys.path,
            aliases = %aliases.join(", "),
            "the key store holds several keys; the REST server uses the first alias"
        );
    }
    let Some((alias, chain, Some(key))) = entries.into_iter().next() else {
        return Err(config_error(format!(
            "{}={}: the key store holds no private key entry (a trust store only?)",
            keys.location_key, keys.path
        )));
    };
    if chain.is_empty() {
        return Err(config_error(format!(
            "{}={}: the key entry {alias} has no certificate",
            keys.location_key, keys.path
        )));
    }
    Ok((
        chain.into_iter().map(CertificateDer::from).collect(),
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)),
    ))
}

/// The certificate chain and key of `ssl`'s key store, `None` when none is configured.
fn key_store(ssl: &SslConfig) -> Result<Option<Identity>> {
    let ty = store_type("ssl.keystore.type", &ssl.keystore_type)?;
    let location = ssl.keystore_location.as_deref();
    let inline = (&ssl.keystore_key, &ssl.keystore_certificate_chain);
    if ty == StoreType::Java {
        if inline.0.is_some() || inline.1.is_some() {
            return Err(invalid(
                "ssl.keystore.type",
                ssl.keystore_type.trim(),
                "ssl.keystore.key and ssl.keystore.certificate.chain need ssl.keystore.type=PEM",
            ));
        }
        let Some(path) = location else {
            return Ok(None);
        };
        let keys = StoreKeys {
            location_key: "ssl.keystore.location",
            password_key: "ssl.keystore.password",
            path: path.to_string(),
        };
        let Some(password) = ssl.keystore_password.as_ref() else {
            return Err(invalid(
                "ssl.keystore.password",
                "null",
                format!(
                    "the key store ssl.keystore.location={path} ({}) is opened with its password: set ssl.keystore.password",
                    ssl.keystore_type.trim()
                ),
            ));
        };
        // Jetty recovers the key with the key manager password, else the store password.
        let key_password = match &ssl.key_password {
            Some(k) => ("ssl.key.password", k),
            None => ("ssl.keystore.password", password),
        };
        let store = java_store(&keys, Some(password), Some(key_password))?;
        return java_identity(store, &keys).map(Some);
    }
    match (location, inline) {
        (Some(path), (None, None)) => {
            let pem = read(path, "ssl.keystore.location")?;
            let what = format!("ssl.keystore.location={path}");
            Ok(Some((pem_certs(&pem, &what)?, pem_key(&pem, &what)?)))
        }
        (None, (Some(key), Some(chain))) => Ok(Some((
            pem_certs(chain.0.as_bytes(), "ssl.keystore.certificate.chain")?,
            pem_key(key.0.as_bytes(), "ssl.keystore.key")?,
        ))),
        (Some(_), _) => Err(config_error(
            "ssl.keystore.location and the inline ssl.keystore.key / ssl.keystore.certificate.chain are both set; set one of them",
        )),
        (None, (None, None)) => Ok(None),
        (None, _) => Err(config_error(
            "ssl.keystore.key and ssl.keystore.certificate.chain must be set together",
        )),
    }
}

/// The trusted certificates of `ssl`'s trust store, or `None` when none is configured.
fn trust_store(ssl: &SslConfig) -> Result<Option<Vec<CertificateDer<'static>>>> {
    let location = ssl.truststore_location.as_deref();
    let inline = ssl.truststore_certificates.as_ref();
    if location.is_none() && inline.is_none() {
        return Ok(None);
    }
    let certs = match (
        store_type("ssl.truststore.type", &ssl.truststore_type)?,
        location,
        inline,
    ) {
        (StoreType::Java, Some(path), None) => {
            let keys = StoreKeys {
                location_key: "ssl.truststore.location",
                password_key: "ssl.truststore.password",
                path: path.to_string(),
            };
            // Without a password a JKS store is read unchecked, as Java reads it.
            let store = java_store(&keys, ssl.truststore_password.as_ref(), None)?;
            let mut certs = store.trusted;
            certs.extend(
                store
                    .keys
                    .into_iter()
                    .filter_map(|(_, chain, _)| chain.into_iter().next()),
            );
            if certs.is_empty() {
                return Err(config_error(format!(
                    "ssl.truststore.location={path}: no trusted certificate entry (Java ignores the certificates of a PKCS12 file written without its trusted-usage attribute, as `openssl pkcs12 -export -nokeys` writes them: import them with `keytool -importcert -keystore {path} -storetype PKCS12 -alias ca -file ca.pem`)"
                )));
            }
            certs.into_iter().map(CertificateDer::from).collect()
        }
        (StoreType::Java, None, Some(_)) => {
            return Err(invalid(
                "ssl.truststore.type",
                ssl.truststore_type.trim(),
                "ssl.truststore.certificates needs ssl.truststore.type=PEM",
            ))
        }
        (StoreType::Pem, Some(path), None) => {
            let pem = read(path, "ssl.truststore.location")?;
            pem_certs(&pem, &format!("ssl.truststore.location={path}"))?
        }
        (StoreType::Pem, None, Some(certs)) => {
            pem_certs(certs.0.as_bytes(), "ssl.truststore.certificates")?
        }
        _ => return Err(config_error(
            "ssl.truststore.location and ssl.truststore.certificates are both set; set one of them",
        )),
    };
    Ok(Some(certs))
}

/// A root store of `certs` (`what` names them in errors).
fn root_store(certs: Vec<CertificateDer<'static>>, what: &str) -> Result<rustls::RootCertStore> {
    let mut store = rustls::RootCertStore::empty();
    for cert in certs {
        store
            .add(cert)
            .map_err(|e| config_error(format!("{what}: a certificate is not usable: {e}")))?;
    }
    Ok(store)
}

/// The rustls protocol versions of `ssl.enabled.protocols`.
fn versions(ssl: &SslConfig) -> Result<Vec<&'static rustls::SupportedProtocolVersion>> {
    let mut out = Vec::new();
    for p in &ssl.enabled_protocols {
        match p.trim() {
            "TLSv1.3" => out.push(&rustls::version::TLS13),
            "TLSv1.2" => out.push(&rustls::version::TLS12),
            other => tracing::warn!(
                protocol = other,
                "ssl.enabled.protocols: Strait's REST server speaks TLSv1.2 and TLSv1.3 only; ignoring this protocol"
            ),
        }
    }
    if out.is_empty() {
        return Err(config_error(format!(
            "ssl.enabled.protocols={} enables neither TLSv1.2 nor TLSv1.3",
            ssl.enabled_protocols.join(",")
        )));
    }
    Ok(out)
}

/// The IANA name of a rustls suite (Java's names: TLS 1.3 suites without rustls' `TLS13_`).
fn iana_name(suite: rustls::SupportedCipherSuite) -> String {
    let name = format!("{:?}", suite.suite());
    match name.strip_prefix("TLS13_") {
        Some(rest) => format!("TLS_{rest}"),
        None => name,
    }
}

fn provider(ssl: &SslConfig) -> Result<rustls::crypto::CryptoProvider> {
    let mut provider = rustls::crypto::aws_lc_rs::default_provider();
    if let Some(wanted) = &ssl.cipher_suites {
        let wanted: Vec<&str> = wanted
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect();
        if !wanted.is_empty() {
            let unknown: Vec<&str> = wanted
                .iter()
                .copied()
                .filter(|w| !provider.cipher_suites.iter().any(|s| iana_name(*s) == *w))
                .collect();
            if !unknown.is_empty() {
                let known: Vec<String> = provider
                    .cipher_suites
                    .iter()
                    .map(|s| iana_name(*s))
                    .collect();
                return Err(config_error(format!(
                    "ssl.cipher.suites: not supported by Strait: {}; supported: {}",
                    unknown.join(", "),
                    known.join(", ")
                )));
            }
            provider
                .cipher_suites
                .retain(|s| wanted.contains(&iana_name(*s).as_str()));
        }
    }
    Ok(provider)
}

/// The rustls server config of an HTTPS listener with the settings `ssl` (reads the key and
/// trust material).
pub fn server_config(ssl: &SslConfig) -> Result<Arc<ServerConfig>> {
    if ssl.provider.is_some() {
        tracing::warn!("ssl.provider has no effect in Strait (rustls with aws-lc-rs)");
    }
    let (certs, key) = key_store(ssl)?.ok_or_else(|| {
        config_error(format!(
            "an https listener needs a key store: set ssl.keystore.location (ssl.keystore.type JKS, the default, PKCS12 or PEM), or ssl.keystore.type=PEM with ssl.keystore.key and ssl.keystore.certificate.chain, prefixed with listeners.https. or not (ssl.keystore.type is {})",
            ssl.keystore_type.trim()
        ))
    })?;
    let provider = Arc::new(provider(ssl)?);
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions(ssl)?)
        .map_err(|e| config_error(format!("ssl.enabled.protocols / ssl.cipher.suites: {e}")))?;
    let client_auth = ssl.client_auth.trim();
    let builder = match client_auth {
        "required" | "requested" => {
            let roots = trust_store(ssl)?.ok_or_else(|| {
                config_error(format!(
                    "ssl.client.auth={client_auth} needs a trust store with the client certificates' authorities: set ssl.truststore.location (and ssl.truststore.password; ssl.truststore.type JKS, the default, PKCS12 or PEM) or ssl.truststore.type=PEM with ssl.truststore.certificates"
                ))
            })?;
            let store = root_store(roots, "trust store")?;
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(store), provider);
            let verifier = if client_auth == "requested" {
                verifier.allow_unauthenticated()
            } else {
                verifier
            };
            let verifier = verifier
                .build()
                .map_err(|e| config_error(format!("ssl.client.auth: {e}")))?;
            builder.with_client_cert_verifier(verifier)
        }
        _ => builder.with_no_client_auth(),
    };
    let mut config = builder.with_single_cert(certs, key).map_err(|e| {
        config_error(format!(
            "the key store's key does not fit its certificate: {e}"
        ))
    })?;
    // Jetty's default HTTPS connector speaks HTTP/1.1 only.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The rustls client config a worker sends requests to other workers' `https` listeners with
/// (Java's `RestClient` with `SSLUtils.createClientSideSslContextFactory`): the servers are
/// checked against the trust store (without one, the system's CA certificates, as Java falls
/// back to its `cacerts`), their host name too unless `ssl.endpoint.identification.algorithm`
/// is empty; the key store's certificate is presented when a server asks for one.
pub fn client_config(ssl: &SslConfig) -> Result<Arc<ClientConfig>> {
    let provider = Arc::new(provider(ssl)?);
    let roots = match trust_store(ssl)? {
        Some(certs) => root_store(certs, "trust store")?,
        None => {
            let found = rustls_native_certs::load_native_certs();
            for e in &found.errors {
                tracing::warn!(error = %e, "reading the system's CA certificates");
            }
            let mut store = rustls::RootCertStore::empty();
            store.add_parsable_certificates(found.certs);
            store
        }
    };
    let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| {
            config_error(format!(
                "no trusted certificate for the REST client (set ssl.truststore.location): {e}"
            ))
        })?;
    let verifier: Arc<dyn ServerCertVerifier> =
        if ssl.endpoint_identification_algorithm.trim().is_empty() {
            Arc::new(AnyHostName(verifier))
        } else {
            verifier
        };
    let builder = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&versions(ssl)?)
        .map_err(|e| config_error(format!("ssl.enabled.protocols / ssl.cipher.suites: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match key_store(ssl)? {
        Some((certs, key)) => builder.with_client_auth_cert(certs, key).map_err(|e| {
            config_error(format!(
                "the key store's key does not fit its certificate: {e}"
            ))
        })?,
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// `ssl.endpoint.identification.algorithm=` (empty): the chain is checked, not the host name.
#[derive(Debug)]
struct AnyHostName(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for AnyHostName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                | rustls::CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// Java's JKS format (`sun.security.provider.JavaKeyStore`): magic `0xFEEDFEED`, version 1 or
/// 2, entries (a private key under Sun's key protector with its certificate chain, or a
/// trusted certificate), then a SHA-1 digest of the password (UTF-16BE), the text
/// `Mighty Aphrodite` and everything before it.
mod jks {
    use sha1::{Digest, Sha1};

    use super::{JavaStore, StoreError};

    pub const MAGIC: u32 = 0xFEED_FEED;
    pub const JCEKS_MAGIC: u32 = 0xCECE_CECE;
    /// The algorithm of Sun's key protector (`1.3.6.1.4.1.42.2.17.1.1`), DER-encoded.
    const KEY_PROTECTOR_OID: &[u8] = &[0x2B, 0x06, 0x01, 0x04, 0x01, 0x2A, 0x02, 0x11, 0x01, 0x01];
    const DIGEST_LEN: usize = 20;

    fn format(why: &str) -> StoreError {
        StoreError::Format(format!("not a readable JKS file: {why}"))
    }

    /// A Java `char[]` password as the JKS code hashes it: UTF-16 code units, big-endian.
    fn password_bytes(password: &str) -> Vec<u8> {
        password.encode_utf16().flat_map(u16::to_be_bytes).collect()
    }

    struct Reader<'a> {
        data: &'a [u8],
        pos: usize,
    }

    impl<'a> Reader<'a> {
        fn bytes(&mut self, n: usize) -> Result<&'a [u8], StoreError> {
            let end = self
                .pos
                .checked_add(n)
                .filter(|&e| e <= self.data.len())
                .ok_or_else(|| format("truncated"))?;
            let out = &self.data[self.pos..end];
            self.pos = end;
            Ok(out)
        }
        fn u16(&mut self) -> Result<u16, StoreError> {
            let b = self.bytes(2)?;
            Ok(u16::from_be_bytes([b[0], b[1]]))
        }
        fn u32(&mut self) -> Result<u32, StoreError> {
            let b = self.bytes(4)?;
            Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        }
        /// `DataInput.readUTF`: a length and (modified) UTF-8.
        fn utf(&mut self) -> Result<String, StoreError> {
            let n = self.u16()? as usize;
            Ok(String::from_utf8_lossy(self.bytes(n)?).into_owned())
        }
        /// A length-prefixed byte string.
        fn blob(&mut self) -> Result<Vec<u8>, StoreError> {
            let n = self.u32()? as usize;
            Ok(self.bytes(n)?.to_vec())
        }
    }

    /// Read a JKS file: the integrity digest is checked when `password` is given (Java skips
    /// it without one); keys are recovered when `key_password` is given.
    pub fn read(
        data: &[u8],
        password: Option<&str>,
        key_password: Option<&str>,
    ) -> Result<JavaStore, StoreError> {
        if data.len() < 12 + DIGEST_LEN {
            return Err(format("truncated"));
        }
        let (body, digest) = data.split_at(data.len() - DIGEST_LEN);
        if let Some(password) = password {
            let mut md = Sha1::new();
            md.update(password_bytes(password));
            md.update(b"Mighty Aphrodite");
            md.update(body);
            if md.finalize().as_slice() != digest {
                return Err(StoreError::StorePassword);
            }
        }
        let mut r = Reader { data: body, pos: 0 };
        if r.u32()? != MAGIC {
            return Err(format("bad magic number"));
        }
        let version = r.u32()?;
        if version != 1 && version != 2 {
            return Err(format(&std::format!("unknown version {version}")));
        }
        let mut out = JavaStore::default();
        for _ in 0..r.u32()? {
            let tag = r.u32()?;
            let alias = r.utf()?;
            r.bytes(8)?; // creation date
            let cert = |r: &mut Reader<'_>| -> Result<Vec<u8>, StoreError> {
                if version == 2 {
                    let ty = r.utf()?;
                    if ty != "X.509" {
                        return Err(format(&std::format!("{ty} certificate in entry {alias}")));
                    }
                }
                r.blob()
            };
            match tag {
                1 => {
                    let protected = r.blob()?;
                    let n = r.u32()?;
                    let chain = (0..n)
                        .map(|_| cert(&mut r))
                        .collect::<Result<Vec<_>, _>>()?;
                    let key = key_password
                        .map(|p| recover_key(&protected, p))
                        .transpose()?;
                    out.keys.push((alias, chain, key));
                }
                2 => out.trusted.push(cert(&mut r)?),
                other => return Err(format(&std::format!("unknown entry type {other}"))),
            }
        }
        Ok(out)
    }

    /// One DER element at the start of `data`: (tag, contents, the rest).
    fn der(data: &[u8]) -> Result<(u8, &[u8], &[u8]), StoreError> {
        let bad = || format("bad protected key encoding");
        let (&tag, rest) = data.split_first().ok_or_else(bad)?;
        let (&first, mut rest) = rest.split_first().ok_or_else(bad)?;
        let len = if first < 0x80 {
            first as usize
        } else {
            let n = (first & 0x7F) as usize;
            if n == 0 || n > 4 || rest.len() < n {
                return Err(bad());
            }
            let len = rest[..n].iter().fold(0usize, |l, b| (l << 8) | *b as usize);
            rest = &rest[n..];
            len
        };
        if rest.len() < len {
            return Err(bad());
        }
        Ok((tag, &rest[..len], &rest[len..]))
    }

    /// The PKCS#8 key of a protected key entry (`EncryptedPrivateKeyInfo` with Sun's key
    /// protector: salt, the key XORed with a SHA-1 stream of the password, a SHA-1 check).
    pub fn recover_key(protected: &[u8], password: &str) -> Result<Vec<u8>, StoreError> {
        let (tag, info, _) = der(protected)?;
        let (alg_tag, alg, rest) = der(info)?;
        let (oid_tag, oid, _) = der(alg)?;
        let (data_tag, encrypted, _) = der(rest)?;
        if tag != 0x30 || alg_tag != 0x30 || oid_tag != 0x06 || data_tag != 0x04 {
            return Err(format("bad protected key encoding"));
        }
        if oid != KEY_PROTECTOR_OID {
            return Err(format(
                "a private key protected by an algorithm other than Sun's JKS key protector",
            ));
        }
        if encrypted.len() < 2 * DIGEST_LEN {
            return Err(format("protected key too short"));
        }
        let (salt, rest) = encrypted.split_at(DIGEST_LEN);
        let (encrypted, check) = rest.split_at(rest.len() - DIGEST_LEN);
        let password = password_bytes(password);
        let mut digest = salt.to_vec();
        let mut key = Vec::with_capacity(encrypted.len());
        for chunk in encrypted.chunks(DIGEST_LEN) {
            let mut md = Sha1::new();
            md.update(&password);
            md.update(&digest);
            digest = md.finalize().to_vec();
            key.extend(chunk.iter().zip(&digest).map(|(c, d)| c ^ d));
        }
        let mut md = Sha1::new();
        md.update(&password);
        md.update(&key);
        if md.finalize().as_slice() != check {
            return Err(StoreError::KeyPassword { pkcs12: false });
        }
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::props_from;

    fn ssl(pairs: &[(&str, &str)]) -> SslConfig {
        SslConfig::parse(&props_from(pairs)).unwrap()
    }

    // Stores keytool (JDK 17) wrote: an EC P-256 key with a self-signed certificate for
    // localhost / 127.0.0.1 valid for a century, store password `storepass`. `ks.jks`: the key
    // under its own password `keypass1`; `ks.p12`: JDK 17's default PKCS12 (PBES2 AES-256,
    // HmacSHA256 MAC); `legacy.p12`: `-J-Dkeystore.pkcs12.legacy` (3DES key, RC2 certificates,
    // SHA-1 MAC); `trust.*`: the certificate imported with `keytool -importcert`, store
    // password `trustpass`.
    const KS_JKS: &str =
        "/u3+7QAAAAIAAAABAAAAAQAGc2VydmVyAAABojJvw6gAAAB/MH0wDgYKKwYBBAEqAhEBAQUABGv9i9GJ76UMuyXX\
        hBJUoomuFNrPEDs+/RaHRBqubxhfHFVGhC48btit+RSj7ZArSz+o5RNCy58zAOzyx+f6ccGEhctqHse4YrFaUYBk\
        UwZ+XySvO0YQGhuMJhkQftIH5UQHeVagcV+jYCdxJwAAAAEABVguNTA5AAABYjCCAV4wggEEoAMCAQICCQCxR1jY\
        9STobDAKBggqhkjOPQQDAjAUMRIwEAYDVQQDEwlsb2NhbGhvc3QwIBcNMjYxMjAxMTYyODM1WhgPMjEyNjExMDcx\
        NjI4MzVaMBQxEjAQBgNVBAMTCWxvY2FsaG9zdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABPYvxNQCdn7lDazY\
        jOstQhWh5kaOAIVv8vstK5WmSxgpJEsBrOG7mvAhP7duUAbGuqBK05kWZ5CUy/SSktaNNsyjPTA7MB0GA1UdDgQW\
        BBSkJRL4iyQ0pgGZPp9nEgL2YiotwTAaBgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEwCgYIKoZIzj0EAwIDSAAw\
        RQIgNziJ6UU0KsaUJGB8sSDa+mG5wEGpnmLDeDRqVso3ii0CIQCfTuiEVyMPCck6n2IjjskPchGHIcFH/QhOiUc6\
        GUx92vvbMbhSlUlJN/tyRlSiy/yUQZlb";
    const KS_P12: &str =
        "MIIEEAIBAzCCA7oGCSqGSIb3DQEHAaCCA6sEggOnMIIDozCCASoGCSqGSIb3DQEHAaCCARsEggEXMIIBEzCCAQ8G\
        CyqGSIb3DQEMCgECoIG9MIG6MGYGCSqGSIb3DQEFDTBZMDgGCSqGSIb3DQEFDDArBBRyTqsuLo78Adf8Cw2iYPsN\
        DCjZFgICJxACASAwDAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEEB+BFIsszS3MQ/SD0DEz1h0EUFulTIrErbGa\
        bGXrg/f6NduayO0n/CYhbAXkvfiFOlEH4reGEUPSXifG+2OOnYm+JFE9HLJTIMAa5js+Azkv0PbjZN0ItiD2xm3C\
        +CgM9/mEMUAwGwYJKoZIhvcNAQkUMQ4eDABzAGUAcgB2AGUAcjAhBgkqhkiG9w0BCRUxFAQSVGltZSAxNzk2MTQy\
        NTE1MzcxMIICcQYJKoZIhvcNAQcGoIICYjCCAl4CAQAwggJXBgkqhkiG9w0BBwEwZgYJKoZIhvcNAQUNMFkwOAYJ\
        KoZIhvcNAQUMMCsEFGWhO4+rvcPTOawWlt30DNw+ZJgkAgInEAIBIDAMBggqhkiG9w0CCQUAMB0GCWCGSAFlAwQB\
        KgQQnMF955J7VTCECjlhLByCgoCCAeBVx2uvDepHE9hhTPEK5WLzYylZ6R3roEa6qHQa/zxBSsa+yN8baN5nQzvs\
        0F+hRcMgBd6hmtTuxyiwA0dfUW71bkv6+1X6Ju7UROlyv975MQUDRgdOfmw4/ob+FF86Cwaqvj2UwysOKM/wOdlt\
        x4vsMeWci5e0hPaZEB/c8is92hL+emaucGj7yXVTewS/fb8CNWIJ3eMKMJ20DY+psDtT/jaN4lQ6Gt+rtZXf630y\
        aR+gmJQEeXiSniT9Yq1FelFd1sVCxR2s4BHnwCUFdI6Dv4Xxb6lNWg1dNfogwOwEkM6Eck1Ky0wlGudvDLDIZS5J\
        jpj4Lc1kUkQJW6ZuOO3sTShsmd2ROJFrcGe7oWAwo66R0/ldAOUQ6S3HelssD2YEBC1rVqU/VnIB4DhlUC+Eq6dl\
        gu43DG+oE8rVnP7/YQ6K2di0vxJkSMtowzoK/u6vEZwhIpOKgaAhU8TlTlkj/pCDtaaUqCnDPZEgi077TTEB0jg/\
        VjaZXdscqLOa6QAFkaf1CrXsKOVKs8bMacd2Vz9OTiqIWmjQG7wN6lTJnUftC4vKav4DP4aCwC8kj3rlu5vjIQFl\
        r4lZcwxBzqC76Ce2uiAo6+xczsLKb0PeEJmvZ8JoweZlYylLzBx3w5MwTTAxMA0GCWCGSAFlAwQCAQUABCB3X1EI\
        EYlv2c1cR3ZVxPfk1p3bMKxLcgi3dYk9MPttzAQU0dQkuQ80cWaZBk6VuDToAu5BvssCAicQ";
    const KS_P12_LEGACY: &str =
        "MIIDcAIBAzCCAykGCSqGSIb3DQEHAaCCAxoEggMWMIIDEjCB3wYJKoZIhvcNAQcBoIHRBIHOMIHLMIHIBgsqhkiG\
        9w0BDAoBAqB3MHUwKQYKKoZIhvcNAQwBAzAbBBQ5YdePyNP9qzEdap5nKuo2weZ3dAIDAMNQBEg6CsG7CyP15CeH\
        OabVuw/FVcd13DKKcK8btpp0T3FZ36+t/3F3KkGDS/lRqpNRfDWLN3tOMEml9cDILdxVvvV8uQt6x4OzY4QxQDAb\
        BgkqhkiG9w0BCRQxDh4MAHMAZQByAHYAZQByMCEGCSqGSIb3DQEJFTEUBBJUaW1lIDE3OTYxNDI1MTYxNzQwggIs\
        BgkqhkiG9w0BBwagggIdMIICGQIBADCCAhIGCSqGSIb3DQEHATApBgoqhkiG9w0BDAEGMBsEFOwrxKOlIj9fb34D\
        sngwNJOgmZ8uAgMAw1CAggHYTSSng1nYFdHYAzc0+TlBGn7qEoOgtwQTwhSlufoF4+20gs9oizczdP3NKpYWNQOV\
        5Dl0aO62Ij4pAQYv3cvxSuWBwoIhEnUFhCZ44jwJHGzNCgz9my8bXFs8wpfI+HQCeBfc0Ocl8RPupWYyWvYdPLci\
        mdVZA7H0GmVlye38Tp3DB5WjemJdGTC72JgBfvBgkfIk3npw/LChIwkxVsyFA+6+NJ3Cn8XYixYQf04j0OpSwYbs\
        7gorQXO12OE1CFVuKq1n5i2HUG0hxHH2Sk3dAh4tLLv7SQVpfN+KOzhSK1PoT67c3DCHRABjA7kc71lMHzwzpgXO\
        zdlA6u4SThs1TjztRZHMBRgYTm0aJCX+8HOKLQ/6HN9g20zsOkkFbLLGkwWee1YgAOueTjzzT/qUdyiDbSIhEfUw\
        711yTiovjxZR/5GFVgPKbpG9uthNbSFXtYcDIEFgDv//nMbb1SIEqL1Kz1D+xCb8lmWceO9dk6wVaI1wsE0bp9K0\
        8nrcq71gXrOgw7QrhzSwEf9qs7Vz4tIwTr7B75+FFfIueFtrB4JTL0QYsA4vY690woXBedd6xHEWyM6x3R7yxQzc\
        hY2xaA1IN0Ahj19iOCzuk45hSsNKRL8KbxMz+zA+MCEwCQYFKw4DAhoFAAQUB4GB/Ywz87MC8X7Hu9NGCLt4FNYE\
        FKnu8Q4kEtpLwd6Lu/pdoMg66i0FAgMBhqA=";
    const TRUST_JKS: &str =
        "/u3+7QAAAAIAAAABAAAAAgACY2EAAAGiMm/LlAAFWC41MDkAAAFiMIIBXjCCAQSgAwIBAgIJALFHWNj1JOhsMAoG\
        CCqGSM49BAMCMBQxEjAQBgNVBAMTCWxvY2FsaG9zdDAgFw0yNjEyMDExNjI4MzVaGA8yMTI2MTEwNzE2MjgzNVow\
        FDESMBAGA1UEAxMJbG9jYWxob3N0MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE9i/E1AJ2fuUNrNiM6y1CFaHm\
        Ro4AhW/y+y0rlaZLGCkkSwGs4bua8CE/t25QBsa6oErTmRZnkJTL9JKS1o02zKM9MDswHQYDVR0OBBYEFKQlEviL\
        JDSmAZk+n2cSAvZiKi3BMBoGA1UdEQQTMBGCCWxvY2FsaG9zdIcEfwAAATAKBggqhkjOPQQDAgNIADBFAiA3OInp\
        RTQqxpQkYHyxINr6YbnAQameYsN4NGpWyjeKLQIhAJ9O6IRXIw8JyTqfYiOOyQ9yEYchwUf9CE6JRzoZTH3aU4Ah\
        5S+P4q06FMIsz/sbf523PBA=";
    const TRUST_P12: &str =
        "MIIC0gIBAzCCAnwGCSqGSIb3DQEHAaCCAm0EggJpMIICZTCCAmEGCSqGSIb3DQEHBqCCAlIwggJOAgEAMIICRwYJ\
        KoZIhvcNAQcBMGYGCSqGSIb3DQEFDTBZMDgGCSqGSIb3DQEFDDArBBQjGeKsl/JwxLvbREzkhNgSQDVDxwICJxAC\
        ASAwDAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEENvIv675EMJSt1Gqz2nm0JKAggHQe7AburAm+OPoUNEkEidu\
        vbBLnvyeCnRMZBqMArwdV1KntRioGM4koGg/pON2mnDeozRBmdnDQG2PZjWhl6CGUbtG+qczc6GAIXrbghhCbZ1R\
        K1ugAIWXL70Ni6iFoMhXOb1TfFKLHisUdLO1dZ2a60PY3La9zb74chay7Zzv7t8TW0X3qTYlMYYXmy5XO9br1C4i\
        rAyn+gKWnYGU9sM7n9lZCWvTZh3wTZ+Zg8nkytnGRMXXn6RsOq9gd/4j01KmrMZ5gebnKTkUv3UeUBBHcX3tgCgj\
        3Y3FKRMx6rCT7/2r/ufi/RGuh3OfydFz/9EjbVJ1w+vFLZzBwnCq/YlbnkYHFUNpyD1nELhXFICjf0p9WyHXbLvg\
        3EqS5aKWllDLv0844hC5i/ZlUd+KYHHVkvtlPZVLyMQVpEUs43VAsUhGdd1KnwAs2ors+Ouf2M0WSSnfTV6kUOf8\
        mQiQVj3rG/ifixWVV8C9MFbkcY5l4vehbUxQDJ4bmFAxu/cP65EEuvCAMm8qFgTfRqrze9sReuXLqXaDzCA5gWhd\
        0Ln8lkbBDR5ru6eq8efrG93ycc9xJaaUiZX9yZgkJBuSCpSatrhWsVJyU5RYTQ74ujr6AIQwTTAxMA0GCWCGSAFl\
        AwQCAQUABCCnqzYc70dgfUr9tfjJRbBq3hH+AhQhVhfiFB9n7F/fiQQUWHb0Qprkl22PGGoNiXd0VRhrZEUCAicQ";
    /// Write the base64 store `b64` into `dir` as `name`; its path.
    fn store(dir: &std::path::Path, name: &str, b64: &str) -> String {
        use base64::Engine;
        let path = dir.join(name);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        std::fs::write(&path, bytes).unwrap();
        path.display().to_string()
    }

    /// Drive a TLS handshake between `client` and `server` in memory.
    fn handshake(
        client: Arc<ClientConfig>,
        server: Arc<ServerConfig>,
        name: &str,
    ) -> std::result::Result<(), rustls::Error> {
        let name = ServerName::try_from(name.to_string()).unwrap();
        let mut c = rustls::ClientConnection::new(client, name)?;
        let mut s = rustls::ServerConnection::new(server)?;
        fn pump(
            from: &mut dyn FnMut(&mut Vec<u8>) -> bool,
            to: &mut dyn FnMut(&[u8]) -> std::result::Result<(), rustls::Error>,
        ) -> std::result::Result<(), rustls::Error> {
            let mut buf = Vec::new();
            while from(&mut buf) {}
            if buf.is_empty() {
                Ok(())
            } else {
                to(&buf)
            }
        }
        for _ in 0..10 {
            pump(
                &mut |buf| c.wants_write() && c.write_tls(buf).is_ok(),
                &mut |mut data| {
                    while !data.is_empty() {
                        s.read_tls(&mut data).unwrap();
                        s.process_new_packets()?;
                    }
                    Ok(())
                },
            )?;
            pump(
                &mut |buf| s.wants_write() && s.write_tls(buf).is_ok(),
                &mut |mut data| {
                    while !data.is_empty() {
                        c.read_tls(&mut data).unwrap();
                        c.process_new_packets()?;
                    }
                    Ok(())
                },
            )?;
            if !c.is_handshaking() && !s.is_handshaking() {
                return Ok(());
            }
        }
        Err(rustls::Error::General(
            "the handshake did not finish".into(),
        ))
    }

    #[test]
    fn keytool_stores_give_the_key_and_chain_whatever_their_type() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let jks = store(d, "ks.jks", KS_JKS);
        let p12 = store(d, "ks.p12", KS_P12);
        let legacy = store(d, "legacy.p12", KS_P12_LEGACY);
        let mut certs = Vec::new();
        for (ty, path, key_password) in [
            ("JKS", &jks, Some("keypass1")),
            ("PKCS12", &jks, Some("keypass1")),
            ("PKCS12", &p12, None),
            ("JKS", &p12, None),
            ("pkcs12", &legacy, Some("storepass")),
        ] {
            let mut pairs = vec![
                ("ssl.keystore.type", ty),
                ("ssl.keystore.location", path.as_str()),
                ("ssl.keystore.password", "storepass"),
            ];
            if let Some(k) = key_password {
                pairs.push(("ssl.key.password", k));
            }
            let s = ssl(&pairs);
            let (chain, _) = key_store(&s).unwrap().unwrap();
            assert_eq!(chain.len(), 1, "{ty} {path}");
            certs.push(chain[0].clone());
            server_config(&s).unwrap_or_else(|e| panic!("{ty} {path}: {e}"));
        }
        assert!(certs.windows(2).all(|w| w[0] == w[1]));
        // The trust stores hold the same certificate.
        for (path, password) in [
            (store(d, "trust.jks", TRUST_JKS), Some("trustpass")),
            (store(d, "trust.p12", TRUST_P12), Some("trustpass")),
            // Java reads a JKS trust store without its password, unchecked.
            (store(d, "trust2.jks", TRUST_JKS), None),
            // A key store is a trust store of its keys' certificates.
            (jks.clone(), Some("storepass")),
        ] {
            let mut pairs = vec![("ssl.truststore.location", path.as_str())];
            if let Some(p) = password {
                pairs.push(("ssl.truststore.password", p));
            }
            let trusted = trust_store(&ssl(&pairs)).unwrap().unwrap();
            assert_eq!(trusted, vec![certs[0].clone()], "{path}");
        }
    }

    #[test]
    fn java_stores_serve_and_authenticate_both_sides() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let jks = store(d, "ks.jks", KS_JKS);
        let p12 = store(d, "ks.p12", KS_P12);
        let trust_jks = store(d, "trust.jks", TRUST_JKS);
        let trust_p12 = store(d, "trust.p12", TRUST_P12);
        let server = server_config(&ssl(&[
            ("ssl.keystore.location", &jks),
            ("ssl.keystore.password", "storepass"),
            ("ssl.key.password", "keypass1"),
            ("ssl.truststore.type", "PKCS12"),
            ("ssl.truststore.location", &trust_p12),
            ("ssl.truststore.password", "trustpass"),
            ("ssl.client.auth", "required"),
        ]))
        .unwrap();
        let client_keys = [
            ("ssl.keystore.type", "PKCS12"),
            ("ssl.keystore.location", p12.as_str()),
            ("ssl.keystore.password", "storepass"),
            ("ssl.truststore.location", trust_jks.as_str()),
            ("ssl.truststore.password", "trustpass"),
        ];
        let client = client_config(&ssl(&client_keys)).unwrap();
        handshake(client.clone(), server.clone(), "localhost").unwrap();
        // The host name is checked (ssl.endpoint.identification.algorithm=https, the default)…
        let err = handshake(client, server.clone(), "example.com").unwrap_err();
        assert!(
            matches!(err, rustls::Error::InvalidCertificate(_)),
            "{err:?}"
        );
        // … unless the algorithm is empty.
        let mut keys = client_keys.to_vec();
        keys.push(("ssl.endpoint.identification.algorithm", ""));
        handshake(
            client_config(&ssl(&keys)).unwrap(),
            server.clone(),
            "example.com",
        )
        .unwrap();
        // Without a key store the client has no certificate to present.
        let anonymous = client_config(&ssl(&client_keys[3..])).unwrap();
        assert!(handshake(anonymous.clone(), server, "localhost").is_err());
        // A server that asks for none accepts it.
        let open = server_config(&ssl(&client_keys[..3])).unwrap();
        handshake(anonymous, open, "localhost").unwrap();
    }

    #[test]
    fn wrong_passwords_and_types_name_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let jks = store(d, "ks.jks", KS_JKS);
        let p12 = store(d, "ks.p12", KS_P12);
        let legacy = store(d, "legacy.p12", KS_P12_LEGACY);
        let err = |pairs: &[(&str, &str)]| {
            let e = server_config(&ssl(pairs)).unwrap_err();
            assert_eq!(e.fault(), crate::error::Fault::Config, "{e}");
            e.message().to_string()
        };
        for path in [&jks, &p12, &legacy] {
            let m = err(&[
                ("ssl.keystore.location", path),
                ("ssl.keystore.password", "wrong"),
                ("ssl.key.password", "keypass1"),
            ]);
            assert!(
                m.starts_with("Invalid value [hidden] for configuration ssl.keystore.password: ")
                    && m.contains(path.as_str())
                    && !m.contains("wrong"),
                "{m}"
            );
            let m = err(&[("ssl.keystore.location", path)]);
            assert!(
                m.starts_with("Invalid value null for configuration ssl.keystore.password"),
                "{m}"
            );
        }
        // The JKS key has its own password: the store password does not recover it.
        let m = err(&[
            ("ssl.keystore.location", &jks),
            ("ssl.keystore.password", "storepass"),
        ]);
        assert!(
            m.starts_with(
                "Invalid value [hidden] for configuration ssl.keystore.password: the private key"
            ) && m.contains("set ssl.key.password"),
            "{m}"
        );
        let m = err(&[
            ("ssl.keystore.location", &jks),
            ("ssl.keystore.password", "storepass"),
            ("ssl.key.password", "nope"),
        ]);
        assert!(
            m.starts_with(
                "Invalid value [hidden] for configuration ssl.key.password: the private key"
            ),
            "{m}"
        );
        // PKCS12 keys are under the store password, as in Java.
        let m = err(&[
            ("ssl.keystore.location", &p12),
            ("ssl.keystore.password", "storepass"),
            ("ssl.key.password", "keypass1"),
        ]);
        assert!(
            m.starts_with("Invalid value [hidden] for configuration ssl.key.password")
                && m.contains("leave ssl.key.password unset"),
            "{m}"
        );
        let m = err(&[
            ("ssl.keystore.type", "JCEKS"),
            ("ssl.keystore.location", &p12),
        ]);
        assert!(
            m.starts_with("Invalid value JCEKS for configuration ssl.keystore.type"),
            "{m}"
        );
        let garbage = d.join("garbage.jks");
        std::fs::write(&garbage, b"not a store at all").unwrap();
        let m = err(&[
            ("ssl.keystore.location", garbage.to_str().unwrap()),
            ("ssl.keystore.password", "x"),
        ]);
        assert!(m.contains("neither a JKS nor a PKCS12 file"), "{m}");
        let m = err(&[
            ("ssl.keystore.type", "PEM"),
            ("ssl.keystore.location", &p12),
        ]);
        assert!(
            m.contains("not valid PEM") || m.contains("no CERTIFICATE"),
            "{m}"
        );
        // Trust stores: the password opens the store.
        let trust = store(d, "trust.p12", TRUST_P12);
        let m = err(&[
            ("ssl.keystore.location", &p12),
            ("ssl.keystore.password", "storepass"),
            ("ssl.truststore.type", "PKCS12"),
            ("ssl.truststore.location", &trust),
            ("ssl.truststore.password", "storepass"),
            ("ssl.client.auth", "required"),
        ]);
        assert!(
            m.starts_with("Invalid value [hidden] for configuration ssl.truststore.password"),
            "{m}"
        );
        // No key store at all.
        let m = err(&[]);
        assert!(m.contains("needs a key store"), "{m}");
    }

    #[test]
    fn pem_key_store_errors_name_the_key() {
        let err = server_config(&ssl(&[
            ("ssl.keystore.type", "PEM"),
            ("ssl.keystore.location", "/nonexistent/ks.pem"),
        ]))
        .unwrap_err();
        assert!(
            err.message()
                .contains("ssl.keystore.location=/nonexistent/ks.pem"),
            "{err}"
        );
        let err = server_config(&ssl(&[
            ("ssl.keystore.type", "PEM"),
            ("ssl.keystore.key", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"),
            ("ssl.keystore.certificate.chain", "x"),
        ]))
        .unwrap_err();
        assert!(
            err.message().contains("no CERTIFICATE") || err.message().contains("encrypted"),
            "{err}"
        );
        let err = server_config(&ssl(&[
            ("ssl.keystore.type", "PEM"),
            ("ssl.keystore.key", "k"),
        ]))
        .unwrap_err();
        assert!(err.message().contains("set together"), "{err}");
    }

    #[test]
    fn protocols_and_suites_map_to_rustls() {
        let s = ssl(&[("ssl.enabled.protocols", "TLSv1.1")]);
        assert!(versions(&s).is_err());
        let s = ssl(&[("ssl.enabled.protocols", "TLSv1.3, TLSv1")]);
        assert_eq!(versions(&s).unwrap().len(), 1);
        let s = ssl(&[("ssl.cipher.suites", "TLS_AES_128_GCM_SHA256")]);
        let p = provider(&s).unwrap();
        assert_eq!(p.cipher_suites.len(), 1);
        assert_eq!(iana_name(p.cipher_suites[0]), "TLS_AES_128_GCM_SHA256");
        let s = ssl(&[("ssl.cipher.suites", "TLS_RSA_WITH_RC4_128_MD5")]);
        assert!(provider(&s)
            .unwrap_err()
            .message()
            .contains("TLS_RSA_WITH_RC4_128_MD5"));
    }
}
