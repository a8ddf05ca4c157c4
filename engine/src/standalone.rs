//! Standalone worker assembly (`connect-standalone.sh worker.properties [connector files…]`):
//! offsets file, herder, REST server, command-line connectors, graceful shutdown.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};

use crate::config::{decode_properties_bytes, parse_connector_file_at, parse_properties, Props};
use crate::error::{Error, Result};
use crate::herder::standalone::StandaloneHerder;
use crate::herder::Herder;
use crate::offsets::FileOffsetStore;
use crate::plugin::ConverterRole;
use crate::registry::Registry;
use crate::runtime::WorkerContext;
use crate::worker_config::WorkerConfig;

/// Read a worker properties file.
pub fn read_worker_properties(path: &std::path::Path) -> Result<Props> {
    if path.as_os_str().is_empty() {
        return Ok(Props::new());
    }
    let bytes = std::fs::read(path)
        .map_err(|e| Error::from(e).context(format!("reading worker config {}", path.display())))?;
    parse_properties(&decode_properties_bytes(&bytes))
        .map_err(|e| e.context(format!("worker config {}", path.display())))
}

/// Look up the Kafka cluster id, proving the cluster is reachable (Java fails start-up without it).
pub fn lookup_cluster_id(config: &WorkerConfig, timeout: Duration) -> Result<Option<String>> {
    let cfg = crate::kafka::client_config(
        &config.bootstrap_servers,
        crate::kafka::ClientRole::Admin,
        &[],
        &config.originals,
        &Props::new(),
    )?;
    let consumer: BaseConsumer = crate::kafka::create(&cfg, "admin")?;
    consumer.fetch_metadata(None, timeout).map_err(|e| {
        Error::external(
            format!(
                "Failed to connect to and describe Kafka cluster at {}: {e}",
                config.bootstrap_servers
            ),
            true,
        )
    })?;
    Ok(consumer.client().fetch_cluster_id(timeout))
}

/// Why a standalone worker did not start. Each kind is one of `ConnectStandalone`'s exit codes,
/// so the binary picks the code from the kind (see [`StartError::exit_code`]).
#[derive(Debug)]
pub enum StartError {
    /// The worker configuration is invalid (exit code 2).
    InvalidWorkerConfig(Error),
    /// The worker could not start, e.g. Kafka is unreachable (exit code 3); a configuration
    /// fault met while starting (an unbindable listener, …) counts as an invalid worker
    /// configuration instead.
    Failed(Error),
    /// A connector given on the command line could not be read or created (exit code 3).
    Connector { name: String, error: Error },
}

impl StartError {
    /// The process exit code `ConnectStandalone` uses for this failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            StartError::InvalidWorkerConfig(_) => 2,
            StartError::Failed(_) | StartError::Connector { .. } => 3,
        }
    }

    /// The underlying error.
    pub fn error(&self) -> &Error {
        match self {
            StartError::InvalidWorkerConfig(e) | StartError::Failed(e) => e,
            StartError::Connector { error, .. } => error,
        }
    }

    /// A failure while starting: configuration faults are the worker config's, others are not.
    pub fn starting(e: Error) -> Self {
        if e.fault() == crate::error::Fault::Config {
            StartError::InvalidWorkerConfig(e)
        } else {
            StartError::Failed(e)
        }
    }
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::InvalidWorkerConfig(e) | StartError::Failed(e) => write!(f, "{e}"),
            StartError::Connector { name, error } => {
                write!(f, "Failed to create connector {name}: {error}")
            }
        }
    }
}

impl std::error::Error for StartError {}

/// A running standalone worker.
pub struct StandaloneWorker {
    pub herder: Arc<StandaloneHerder>,
    pub rest_addr: SocketAddr,
    rest_shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    rest_join: Option<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for StandaloneWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StandaloneWorker({})", self.rest_addr)
    }
}

impl StandaloneWorker {
    /// Start: validate config, open offsets, reach Kafka, serve REST, submit connectors.
    pub async fn start(
        worker_props: Props,
        connector_files: &[PathBuf],
        registry: Registry,
    ) -> Result<Self, StartError> {
        let config = WorkerConfig::from_props(&worker_props)
            .and_then(|config| {
                let file = config.offset_storage_file.clone().ok_or_else(|| {
                    Error::config("Missing required configuration \"offset.storage.file.filename\" which has no default value.")
                })?;
                for role in ConverterRole::ALL {
                    registry.converter_plugin(role, config.converter_class(role))?;
                }
                Ok((config, file))
            })
            .map_err(StartError::InvalidWorkerConfig);
        let (config, offsets_file) = config?;
        crate::memory::BufferBudget::worker().set_limit(config.sink_buffer_memory_bytes);
        // Parse every connector file before touching anything, so a bad file fails fast.
        let mut submissions = Vec::new();
        for path in connector_files {
            let parsed = std::fs::read(path)
                .map_err(|e| {
                    Error::from(e).context(format!("reading connector config {}", path.display()))
                })
                .and_then(|bytes| {
                    let text = decode_properties_bytes(&bytes);
                    parse_connector_file_at(&text, &path.display().to_string())
                });
            match parsed {
                Ok(s) => submissions.push(s),
                Err(error) => {
                    return Err(StartError::Connector {
                        name: path.display().to_string(),
                        error,
                    })
                }
            }
        }
        let (herder, rest_addr, tx, rest_join) = Self::serve(config, offsets_file, registry)
            .await
            .map_err(StartError::starting)?;
        for s in submissions {
            if let Err(error) = herder
                .put_connector_config(&s.name, s.config, false, s.initial_state)
                .await
            {
                herder.shutdown().await;
                return Err(StartError::Connector {
                    name: s.name,
                    error,
                });
            }
        }
        herder.set_ready();
        tracing::info!(%rest_addr, "Strait standalone worker started");
        Ok(StandaloneWorker {
            herder,
            rest_addr,
            rest_shutdown: Some(tx),
            rest_join: Some(rest_join),
        })
    }

    /// Open offsets, reach Kafka and serve the REST API: everything between a valid worker
    /// config and the command-line connectors.
    async fn serve(
        config: WorkerConfig,
        offsets_file: String,
        registry: Registry,
    ) -> Result<(
        Arc<StandaloneHerder>,
        SocketAddr,
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<()>,
    )> {
        // The key, trust, JAAS and credentials files are read first: a bad one fails fast.
        let security = crate::rest::security::RestSecurity::from_worker(&config)?;
        let offsets = Arc::new(FileOffsetStore::open(&offsets_file)?);
        let cluster_id = {
            let c = config.clone();
            tokio::task::spawn_blocking(move || lookup_cluster_id(&c, Duration::from_secs(30)))
                .await
                .map_err(|e| Error::bug(format!("cluster lookup panicked: {e}")))??
        };
        let (listener, advertised_host, advertised_port) = bind_rest(&config).await?;
        let metrics = Arc::new(crate::metrics::WorkerMetrics::from_config(&config));
        let worker = Arc::new(WorkerContext {
            config,
            registry,
            offsets,
            worker_id: format!("{advertised_host}:{advertised_port}"),
            metrics,
        });
        let herder = Arc::new(StandaloneHerder::new(worker, cluster_id));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (rest_addr, rest_join) = crate::rest::serve_with(
            herder.clone() as Arc<dyn Herder>,
            listener,
            security,
            async {
                let _ = rx.await;
            },
        )
        .await?;
        Ok((herder, rest_addr, tx, rest_join))
    }

    /// Stop every connector at its commit point, then the REST server.
    pub async fn shutdown(mut self) {
        self.herder.shutdown().await;
        if let Some(tx) = self.rest_shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(j) = self.rest_join.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), j).await;
        }
        tracing::info!("Strait standalone worker stopped");
    }
}

/// Bind the REST listener of `config` and work out the advertised host and port (Java's
/// `RestServer.advertisedUrl`: `rest.advertised.*`, else the listener's host, else this
/// machine's host name; the bound port). The admin listeners (`admin.listeners`) are bound by
/// [`crate::rest::serve_with`].
pub async fn bind_rest(config: &WorkerConfig) -> Result<(tokio::net::TcpListener, String, u16)> {
    let (host, port) = config.rest_listener()?;
    let listener = crate::rest::bind(&host, port, "listener").await?;
    let bound = listener.local_addr()?;
    let advertised_host = config.rest_advertised_host_name.clone().unwrap_or_else(|| {
        if host.is_empty() {
            local_hostname()
        } else {
            host.clone()
        }
    });
    let advertised_port = config.rest_advertised_port.unwrap_or(bound.port());
    Ok((listener, advertised_host, advertised_port))
}

fn local_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}

/// Resolve on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
