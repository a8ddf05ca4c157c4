//! The driver session from the connector's settings, and which driver errors a retry can fix.
//!
//! The settings map onto the ScyllaDB driver as DataStax maps them onto the Java driver:
//! `contactPoints` + `port` (default `localhost`), `loadBalancing.localDc` (the preferred data
//! center, no failover to others, token-aware routing), `connectionPoolLocalSize` (connections
//! per node), `queryExecutionTimeout` (per request), `compression`, `auth.*` (PLAIN) and
//! `ssl.*` (TLS through rustls, PEM files).

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;

use scylla::client::execution_profile::ExecutionProfile;
use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
use scylla::client::PoolSize;
use scylla::errors::{DbError, ExecutionError, PrepareError, RequestAttemptError};
use scylla::policies::load_balancing::DefaultPolicy;
use scylla::statement::Consistency as DriverConsistency;

use strait_engine::{Error, Result};

use super::config::{Auth, CassandraSinkConfig, Compression, Consistency, Ssl};

pub fn consistency(c: Consistency) -> DriverConsistency {
    match c {
        Consistency::Any => DriverConsistency::Any,
        Consistency::One => DriverConsistency::One,
        Consistency::Two => DriverConsistency::Two,
        Consistency::Three => DriverConsistency::Three,
        Consistency::Quorum => DriverConsistency::Quorum,
        Consistency::All => DriverConsistency::All,
        Consistency::LocalQuorum => DriverConsistency::LocalQuorum,
        Consistency::EachQuorum => DriverConsistency::EachQuorum,
        Consistency::Serial => DriverConsistency::Serial,
        Consistency::LocalSerial => DriverConsistency::LocalSerial,
        Consistency::LocalOne => DriverConsistency::LocalOne,
    }
}

/// `host:port` for each node to contact ([`CassandraSinkConfig::endpoints`]), IPv6 addresses
/// bracketed.
pub fn known_nodes(config: &CassandraSinkConfig) -> Vec<String> {
    config
        .endpoints()
        .into_iter()
        .map(|(h, port)| {
            if h.contains(':') && !h.starts_with('[') {
                format!("[{h}]:{port}")
            } else {
                format!("{h}:{port}")
            }
        })
        .collect()
}

/// Connect. An unreachable cluster is retriable (the task start is retried by the worker's
/// restart policy only when the user asks; the message says what failed).
pub async fn connect(config: &CassandraSinkConfig) -> Result<Session> {
    let profile = execution_profile(config, false);
    let pool = NonZeroUsize::new(config.connection_pool_local_size.max(1)).expect("max(1)");
    let mut builder = SessionBuilder::new()
        .known_nodes(known_nodes(config))
        .default_execution_profile_handle(profile.into_handle())
        .pool_size(PoolSize::PerHost(pool))
        .connection_timeout(Duration::from_secs(5))
        .compression(match config.compression {
            Compression::None => None,
            Compression::Lz4 => Some(scylla::frame::Compression::Lz4),
            Compression::Snappy => Some(scylla::frame::Compression::Snappy),
        });
    if let Auth::Plain { username, password } = &config.auth {
        builder = builder.user(username.clone(), password.clone());
    }
    if let Ssl::Tls { .. } = &config.ssl {
        builder = builder.tls_context(Some(tls_config(&config.ssl)?));
    }
    builder.build().await.map_err(|e| {
        Error::external(
            format!(
                "could not connect to Cassandra at {}: {e}",
                known_nodes(config).join(", ")
            ),
            true,
        )
    })
}

/// Token-aware routing, to `loadBalancing.localDc`'s nodes only (DataStax's driver never
/// sends to a remote data centre unless told to) unless `permit_dc_failover`.
///
/// `permit_dc_failover` is for tables in a `SimpleStrategy` keyspace: its replicas ignore data
/// centres, and the driver logs a warning on every request that prefers a data centre without
/// a failover (a million log lines for a million rows). Their profile appends the other data
/// centres' nodes at the end of the plan instead: where every node is in the local data centre
/// (the usual case for `SimpleStrategy`) the plan is the same.
pub fn execution_profile(
    config: &CassandraSinkConfig,
    permit_dc_failover: bool,
) -> ExecutionProfile {
    let mut policy = DefaultPolicy::builder().token_aware(true);
    if let Some(dc) = &config.local_dc {
        policy = policy
            .prefer_datacenter(dc.clone())
            .permit_dc_failover(permit_dc_failover);
    }
    ExecutionProfile::builder()
        .request_timeout(Some(config.query_execution_timeout))
        .load_balancing_policy(policy.build())
        .build()
}

fn read_pem(path: &str, what: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::config(format!("could not read the {what} {path}: {e}")))
}

/// rustls client settings from PEM files: the trusted CAs (else the platform's roots are not
/// consulted: a CA file is required), and an optional client certificate and key.
fn tls_config(ssl: &Ssl) -> Result<Arc<rustls::ClientConfig>> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let Ssl::Tls {
        hostname_validation,
        trust_pem,
        client_cert_pem,
        client_key_pem,
    } = ssl
    else {
        return Err(Error::bug("tls_config without TLS settings"));
    };
    let mut roots = rustls::RootCertStore::empty();
    let Some(trust) = trust_pem else {
        return Err(Error::config(
            "ssl.provider is set but no trusted certificates are: set ssl.truststore.path to a \
             PEM file of CA certificates",
        ));
    };
    let pem = read_pem(trust, "trust store")?;
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| Error::config(format!("bad PEM in {trust}: {e}")))?;
        roots
            .add(cert)
            .map_err(|e| Error::config(format!("bad CA certificate in {trust}: {e}")))?;
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::config(format!("TLS set-up failed: {e}")))?
        .with_root_certificates(roots);
    let mut config = match (client_cert_pem, client_key_pem) {
        (Some(cert_path), Some(key_path)) => {
            let pem = read_pem(cert_path, "certificate chain")?;
            let chain = CertificateDer::pem_slice_iter(&pem)
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| Error::config(format!("bad PEM in {cert_path}: {e}")))?;
            let key_pem = read_pem(key_path, "private key")?;
            let key = PrivateKeyDer::from_pem_slice(&key_pem)
                .map_err(|e| Error::config(format!("bad private key in {key_path}: {e}")))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| Error::config(format!("client certificate rejected: {e}")))?
        }
        _ => builder.with_no_client_auth(),
    };
    if !hostname_validation {
        config
            .dangerous()
            .set_certificate_verifier(Arc::new(NoHostnameVerifier::new(
                config_roots(&pem)?,
                provider,
            )?));
    }
    Ok(Arc::new(config))
}

fn config_roots(pem: &[u8]) -> Result<rustls::RootCertStore> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem) {
        let cert = cert.map_err(|e| Error::config(format!("bad PEM: {e}")))?;
        roots
            .add(cert)
            .map_err(|e| Error::config(format!("bad CA certificate: {e}")))?;
    }
    Ok(roots)
}

/// `ssl.hostnameValidation=false`: the chain must still lead to a trusted CA; only the name
/// check is skipped (what the Java driver's option does).
#[derive(Debug)]
struct NoHostnameVerifier {
    inner: Arc<rustls::client::WebPkiServerVerifier>,
}

impl NoHostnameVerifier {
    fn new(
        roots: rustls::RootCertStore,
        provider: Arc<rustls::crypto::CryptoProvider>,
    ) -> Result<Self> {
        let inner =
            rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| Error::config(format!("TLS set-up failed: {e}")))?;
        Ok(NoHostnameVerifier { inner })
    }
}

impl rustls::client::danger::ServerCertVerifier for NoHostnameVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        intermediates: &[rustls::pki_types::CertificateDer<'_>],
        server_name: &rustls::pki_types::ServerName<'_>,
        ocsp_response: &[u8],
        now: rustls::pki_types::UnixTime,
    ) -> std::result::Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName))
            | Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForNameContext { .. },
            )) => Ok(rustls::client::danger::ServerCertVerified::assertion()),
            other => other,
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Whether a failed write may succeed if sent again unchanged: the cluster (or the way to it)
/// was unavailable, overloaded or slow. Anything else is the statement's or the data's fault
/// (the server rejected it), and sending it again would fail again.
pub fn execution_error_is_transient(e: &ExecutionError) -> bool {
    match e {
        ExecutionError::EmptyPlan
        | ExecutionError::ConnectionPoolError(_)
        | ExecutionError::RequestTimeout(_)
        | ExecutionError::SchemaAgreementError(_) => true,
        ExecutionError::PrepareError(p) => prepare_error_is_transient(p),
        ExecutionError::LastAttemptError(a) => attempt_error_is_transient(a),
        _ => false,
    }
}

pub fn prepare_error_is_transient(e: &PrepareError) -> bool {
    match e {
        PrepareError::ConnectionPoolError(_) => true,
        PrepareError::AllAttemptsFailed { first_attempt } => {
            attempt_error_is_transient(first_attempt)
        }
        _ => false,
    }
}

fn attempt_error_is_transient(e: &RequestAttemptError) -> bool {
    match e {
        RequestAttemptError::DbError(db, _) => matches!(
            db,
            DbError::Unavailable { .. }
                | DbError::Overloaded
                | DbError::IsBootstrapping
                | DbError::ReadTimeout { .. }
                | DbError::WriteTimeout { .. }
                | DbError::WriteFailure { .. }
                | DbError::RateLimitReached { .. }
                | DbError::TruncateError
                | DbError::Unprepared { .. }
                | DbError::ServerError
        ),
        RequestAttemptError::UnableToAllocStreamId
        | RequestAttemptError::BrokenConnectionError(_) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_points_get_the_port() {
        let props = strait_engine::config::props_from(&[
            ("topics", "t"),
            ("contactPoints", "cassandra1,::1"),
            ("loadBalancing.localDc", "dc1"),
            ("port", "9043"),
            ("topic.t.ks.tb.mapping", "a=key"),
        ]);
        let c = CassandraSinkConfig::from_props(&props).unwrap();
        assert_eq!(known_nodes(&c), vec!["cassandra1:9043", "[::1]:9043"]);
        let c = CassandraSinkConfig::from_props(&strait_engine::config::props_from(&[
            ("topics", "t"),
            ("topic.t.ks.tb.mapping", "a=key"),
        ]))
        .unwrap();
        assert_eq!(known_nodes(&c), vec!["127.0.0.1:9042"]);
    }

    #[test]
    fn server_rejections_are_not_transient_but_outages_are() {
        let invalid = ExecutionError::LastAttemptError(RequestAttemptError::DbError(
            DbError::Invalid,
            "bad".into(),
        ));
        assert!(!execution_error_is_transient(&invalid));
        let overloaded = ExecutionError::LastAttemptError(RequestAttemptError::DbError(
            DbError::Overloaded,
            "busy".into(),
        ));
        assert!(execution_error_is_transient(&overloaded));
        assert!(execution_error_is_transient(
            &ExecutionError::RequestTimeout(Duration::from_secs(1))
        ));
    }
}
