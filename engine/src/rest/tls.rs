//! HTTPS for the REST server: the rustls `ServerConfig` an `https://` listener serves with, built
//! from the listener's [`SslConfig`] (Java's `SSLUtils.createServerSideSslContextFactory`):
//! the key store (PEM: `ssl.keystore.location`, or inline `ssl.keystore.key` +
//! `ssl.keystore.certificate.chain`), `ssl.client.auth` with the trust store, the enabled
//! protocols and cipher suites.
//!
//! Java's Jetty reads JKS and PKCS12 key stores; Strait reads PEM and refuses the others with
//! the command that converts them (`JKS` is Java's default type, so a PEM key store needs
//! `ssl.keystore.type=PEM`). Errors name the key and are the configuration's fault.

use std::sync::Arc;

use rustls::server::WebPkiClientVerifier;
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::server_config::SslConfig;
use crate::error::{Error, Result};

fn config_error(message: impl Into<String>) -> Error {
    Error::config(format!(
        "Invalid REST HTTPS configuration: {}",
        message.into()
    ))
}

/// Why a JKS or PKCS12 store cannot be read, and how to convert it.
fn not_pem(kind: &str, key: &str, ty: &str, location: Option<&str>) -> Error {
    let file = location.unwrap_or("<store>");
    let how = if kind == "key store" {
        format!(
            "convert it with `keytool -importkeystore -srckeystore {file} -destkeystore store.p12 -deststoretype PKCS12` (JKS only) and `openssl pkcs12 -in store.p12 -nodes -out store.pem`, then set {key}=PEM"
        )
    } else {
        format!(
            "export the certificates with `keytool -exportcert -rfc -keystore {file} -alias <alias>` (JKS) or `openssl pkcs12 -in {file} -nokeys -out trust.pem` (PKCS12), then set {key}=PEM"
        )
    };
    config_error(format!("{key}={ty}: Strait reads PEM {kind}s only; {how}"))
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
            "{what}: the private key is encrypted; Strait reads unencrypted PEM keys only (decrypt it with `openssl pkcs8 -topk8 -nocrypt -in key.pem -out key-plain.pem` and keep the file readable by the worker only)"
        )));
    }
    PrivateKeyDer::from_pem_slice(pem)
        .map_err(|e| config_error(format!("{what}: no usable PRIVATE KEY block: {e}")))
}

fn read(path: &str, key: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| config_error(format!("{key}={path}: cannot read: {e}")))
}

/// The server certificate chain and key of `ssl`.
fn key_store(ssl: &SslConfig) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let ty = ssl.keystore_type.trim();
    let location = ssl.keystore_location.as_deref();
    if !ty.eq_ignore_ascii_case("PEM") {
        if location.is_none() {
            return Err(config_error(format!(
                "an https listener needs a key store: set ssl.keystore.type=PEM and ssl.keystore.location (or ssl.keystore.key and ssl.keystore.certificate.chain), prefixed with listeners.https. or not (ssl.keystore.type is {ty})"
            )));
        }
        return Err(not_pem("key store", "ssl.keystore.type", ty, location));
    }
    let inline = (&ssl.keystore_key, &ssl.keystore_certificate_chain);
    match (location, inline) {
        (Some(path), (None, None)) => {
            let pem = read(path, "ssl.keystore.location")?;
            let what = format!("ssl.keystore.location={path}");
            Ok((pem_certs(&pem, &what)?, pem_key(&pem, &what)?))
        }
        (None, (Some(key), Some(chain))) => Ok((
            pem_certs(chain.0.as_bytes(), "ssl.keystore.certificate.chain")?,
            pem_key(key.0.as_bytes(), "ssl.keystore.key")?,
        )),
        (Some(_), _) => Err(config_error(
            "ssl.keystore.location and the inline ssl.keystore.key / ssl.keystore.certificate.chain are both set; set one of them",
        )),
        (None, (None, None)) => Err(config_error(
            "ssl.keystore.type=PEM needs ssl.keystore.location, or ssl.keystore.key and ssl.keystore.certificate.chain",
        )),
        (None, _) => Err(config_error(
            "ssl.keystore.key and ssl.keystore.certificate.chain must be set together",
        )),
    }
}

/// The trusted client certificate authorities of `ssl`, or `None` when none is configured.
fn trust_store(ssl: &SslConfig) -> Result<Option<Vec<CertificateDer<'static>>>> {
    let ty = ssl.truststore_type.trim();
    let location = ssl.truststore_location.as_deref();
    let inline = ssl.truststore_certificates.as_ref();
    if location.is_none() && inline.is_none() {
        return Ok(None);
    }
    if !ty.eq_ignore_ascii_case("PEM") {
        return Err(not_pem("trust store", "ssl.truststore.type", ty, location));
    }
    match (location, inline) {
        (Some(path), None) => {
            let pem = read(path, "ssl.truststore.location")?;
            pem_certs(&pem, &format!("ssl.truststore.location={path}")).map(Some)
        }
        (None, Some(certs)) => {
            pem_certs(certs.0.as_bytes(), "ssl.truststore.certificates").map(Some)
        }
        _ => Err(config_error(
            "ssl.truststore.location and ssl.truststore.certificates are both set; set one of them",
        )),
    }
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
    let (certs, key) = key_store(ssl)?;
    let provider = Arc::new(provider(ssl)?);
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions(ssl)?)
        .map_err(|e| config_error(format!("ssl.enabled.protocols / ssl.cipher.suites: {e}")))?;
    let client_auth = ssl.client_auth.trim();
    let builder = match client_auth {
        "required" | "requested" => {
            let roots = trust_store(ssl)?.ok_or_else(|| {
                config_error(format!(
                    "ssl.client.auth={client_auth} needs a trust store with the client certificates' authorities: set ssl.truststore.type=PEM and ssl.truststore.location (or ssl.truststore.certificates)"
                ))
            })?;
            let mut store = rustls::RootCertStore::empty();
            for cert in roots {
                store.add(cert).map_err(|e| {
                    config_error(format!("trust store: a certificate is not usable: {e}"))
                })?;
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::props_from;

    fn ssl(pairs: &[(&str, &str)]) -> SslConfig {
        SslConfig::parse(&props_from(pairs)).unwrap()
    }

    #[test]
    fn non_pem_stores_are_refused_with_the_conversion() {
        let err = server_config(&ssl(&[("ssl.keystore.location", "/ks.jks")])).unwrap_err();
        assert_eq!(err.fault(), crate::error::Fault::Config);
        assert!(err.message().contains("ssl.keystore.type=JKS"), "{err}");
        assert!(err.message().contains("keytool -importkeystore"), "{err}");
        let err = server_config(&ssl(&[])).unwrap_err();
        assert!(err.message().contains("needs a key store"), "{err}");
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
