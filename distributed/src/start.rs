//! Starting and stopping a distributed worker (Java's `ConnectDistributed`): validate the
//! worker config, serve REST (unhealthy until start-up completes), create or check the
//! internal topics and read them to their ends, then join the group.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use strait_engine::config::Props;
use strait_engine::error::{Error, Result};
use strait_engine::herder::topics::TopicTracker;
use strait_engine::herder::Herder;
use strait_engine::plugin::ConverterRole;
use strait_engine::registry::Registry;
use strait_engine::runtime::WorkerContext;
use strait_engine::standalone::{bind_rest, lookup_cluster_id, StartError};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::config::{
    DistributedConfig, ExactlyOnceSourceSupport, CONFIG_STORAGE_PREFIX, OFFSET_STORAGE_PREFIX,
    STATUS_STORAGE_PREFIX,
};
use crate::config_store::{ConfigStore, ConfigStoreSettings};
use crate::connector_offsets::{open_offsets_topic, ConnectorOffsetTopics, OffsetTopicSettings};
use crate::herder::status::StatusWriter;
use crate::herder::{rebalance, Core, DistributedHerder, GroupView};
use crate::kafka_log::{
    ensure_internal_topic, InternalTopic, KafkaLog, KafkaLogSettings, LogClients, LogRecord,
    DELIVERY_TIMEOUT_MAX,
};
use crate::status_store::StatusStore;
use crate::worker::LocalWork;

/// The status producer's delivery timeout (Java's producer default, 2 minutes).
const STATUS_DELIVERY_TIMEOUT: Duration = Duration::from_secs(120);

/// A running distributed worker.
pub struct DistributedWorker {
    pub herder: Arc<DistributedHerder>,
    pub rest_addr: std::net::SocketAddr,
    core: Arc<Core>,
    rest_shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    rest_join: Option<tokio::task::JoinHandle<()>>,
    loop_join: Option<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for DistributedWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DistributedWorker({})", self.rest_addr)
    }
}

fn log_clients(config: &DistributedConfig, suffix: &str) -> Result<LogClients> {
    LogClients::from_worker(
        &config.worker.bootstrap_servers,
        &[],
        &config.worker.originals,
        &format!("{}{suffix}", config.client_id_base()),
    )
}

/// The scheme of the URL this worker gives out (Java's `RestServer.determineAdvertisedProtocol`):
/// `rest.advertised.listener` when set, else the listener's. Strait serves one listener, so an
/// advertised protocol it does not serve is refused.
fn advertised_scheme(worker: &strait_engine::worker_config::WorkerConfig) -> Result<&'static str> {
    let served = if worker.rest_listener_is_https()? {
        "https"
    } else {
        "http"
    };
    match worker.originals.get(ADVERTISED_LISTENER).map(|v| v.trim()) {
        None => Ok(served),
        Some(v) if v.eq_ignore_ascii_case(served) => Ok(served),
        Some(v) => Err(Error::config(format!(
            "Invalid value {v} for configuration {ADVERTISED_LISTENER}: the worker listens on {served} only (listeners={})",
            worker.listeners.join(",")
        ))),
    }
}

/// Java's `WorkerConfig.REST_ADVERTISED_LISTENER_CONFIG`.
const ADVERTISED_LISTENER: &str = "rest.advertised.listener";

impl DistributedWorker {
    /// Start the worker; returns once REST is served and the internal topics are read (the
    /// group is joined in the background; `/health` turns healthy after the first rebalance).
    pub async fn start(props: Props, registry: Registry) -> Result<Self, StartError> {
        let config = DistributedConfig::from_props(&props)
            .and_then(|config| {
                for role in ConverterRole::ALL {
                    registry.converter_plugin(role, config.worker.converter_class(role))?;
                }
                Ok(config)
            })
            .map_err(StartError::InvalidWorkerConfig)?;
        strait_engine::memory::BufferBudget::worker()
            .set_limit(config.worker.sink_buffer_memory_bytes);
        let security = strait_engine::rest::security::RestSecurity::from_worker(&config.worker)
            .map_err(StartError::starting)?;
        // On an https listener the other workers are reached over HTTPS too, with the
        // listener's TLS settings (Java's `RestClient`: `listeners.https.ssl.*`, else `ssl.*`).
        let scheme = advertised_scheme(&config.worker).map_err(StartError::InvalidWorkerConfig)?;
        if scheme == "https" {
            let ssl = config
                .worker
                .rest
                .https_ssl(&config.worker.originals)
                .map_err(StartError::InvalidWorkerConfig)?;
            let tls = strait_engine::rest::tls::client_config(&ssl).map_err(|e| {
                StartError::starting(e.context("the REST client (requests to the other workers)"))
            })?;
            strait_engine::rest::forward::use_tls(tls).map_err(StartError::starting)?;
        }
        let (listener, host, port) = bind_rest(&config.worker)
            .await
            .map_err(StartError::starting)?;
        let worker_id = format!("{host}:{port}");
        let url = format!("{scheme}://{host}:{port}/");
        let (core_tx, core_rx) = tokio::sync::watch::channel(None);
        let herder = Arc::new(DistributedHerder::new(
            registry.clone(),
            worker_id.clone(),
            core_rx,
        ));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (rest_addr, rest_join) = strait_engine::rest::serve_with(
            herder.clone() as Arc<dyn Herder>,
            listener,
            security,
            async {
                let _ = rx.await;
            },
        )
        .await
        .map_err(StartError::starting)?;
        let core = match Self::open(config, registry, worker_id, url).await {
            Ok(core) => core,
            Err(e) => {
                let _ = tx.send(());
                return Err(StartError::starting(e));
            }
        };
        let _ = core_tx.send(Some(core.clone()));
        let ready = herder.clone();
        let loop_join = tokio::spawn(rebalance::run(
            core.clone(),
            Box::new(move || ready.set_ready()),
        ));
        tracing::info!(%rest_addr, url = %core.url, "Strait distributed worker started");
        Ok(DistributedWorker {
            herder,
            rest_addr,
            core,
            rest_shutdown: Some(tx),
            rest_join: Some(rest_join),
            loop_join: Some(loop_join),
        })
    }

    /// Reach Kafka, create or check the internal topics and read them to their ends.
    async fn open(
        config: DistributedConfig,
        registry: Registry,
        worker_id: String,
        url: String,
    ) -> Result<Arc<Core>> {
        let cluster_id = {
            let c = config.worker.clone();
            tokio::task::spawn_blocking(move || lookup_cluster_id(&c, Duration::from_secs(30)))
                .await
                .map_err(|e| Error::bug(format!("cluster lookup panicked: {e}")))??
        };
        let d = &config.distributed;
        // With exactly-once support enabled, source tasks write offsets in transactions and the
        // config topic holds the leader's transactional writes: read only committed data.
        let read_committed = d.exactly_once_source_support == ExactlyOnceSourceSupport::Enabled;
        // Offsets topic: every record read feeds the offset store, whose flushes write back.
        let (offsets, offsets_log) = open_offsets_topic(
            &InternalTopic {
                name: d.offset_storage_topic.clone(),
                partitions: d.offset_storage_partitions,
                replication_factor: d.offset_storage_replication_factor,
                configs: config.topic_settings(OFFSET_STORAGE_PREFIX),
                worker_setting: "offset.storage.topic".into(),
                purpose: "source connector offsets".into(),
            },
            log_clients(&config, "offsets")?,
            read_committed,
        )
        .await?;
        let connector_offset_topics = ConnectorOffsetTopics::new(OffsetTopicSettings {
            clients: log_clients(&config, "offsets")?,
            worker_topic: d.offset_storage_topic.clone(),
            partitions: d.offset_storage_partitions,
            replication_factor: d.offset_storage_replication_factor,
            topic_configs: config.topic_settings(OFFSET_STORAGE_PREFIX),
            exactly_once: read_committed,
        });

        // Status topic.
        let mut status_clients = log_clients(&config, "statuses")?;
        status_clients.producer.set("retries", "0");
        ensure_internal_topic(
            &status_clients.admin,
            &InternalTopic {
                name: d.status_storage_topic.clone(),
                partitions: d.status_storage_partitions,
                replication_factor: d.status_storage_replication_factor,
                configs: config.topic_settings(STATUS_STORAGE_PREFIX),
                worker_setting: "status.storage.topic".into(),
                purpose: "connector and task statuses".into(),
            },
        )
        .await?;
        let status_store = Arc::new(Mutex::new(StatusStore::new()));
        let feed = status_store.clone();
        let status_log = Arc::new(
            KafkaLog::start(
                KafkaLogSettings {
                    topic: d.status_storage_topic.clone(),
                    clients: status_clients,
                    delivery_timeout: STATUS_DELIVERY_TIMEOUT,
                    read_committed: false,
                    read_only: false,
                },
                Box::new(move |r: LogRecord| {
                    if let Ok(mut s) = feed.lock() {
                        s.apply(r.key.as_deref(), r.value.as_deref());
                    }
                }),
            )
            .await?,
        );
        let statuses = Arc::new(StatusWriter::new(status_store, worker_id.clone()));
        statuses.attach(status_log.clone());

        // Config topic last, as Java starts it: the herder acts on it.
        let configs = ConfigStore::start(ConfigStoreSettings {
            log: KafkaLogSettings {
                topic: d.config_storage_topic.clone(),
                clients: log_clients(&config, "configs")?,
                delivery_timeout: DELIVERY_TIMEOUT_MAX,
                read_committed,
                read_only: false,
            },
            replication_factor: d.config_storage_replication_factor,
            topic_configs: config.topic_settings(CONFIG_STORAGE_PREFIX),
            privileged_writes: d.exactly_once_source_support != ExactlyOnceSourceSupport::Disabled,
        })
        .await?;
        let session_key = configs.snapshot().session_key;

        let worker = Arc::new(WorkerContext {
            config: config.worker.clone(),
            registry,
            offsets: offsets.clone(),
            worker_id,
            metrics: Arc::new(strait_engine::metrics::WorkerMetrics::from_config(
                &config.worker,
            )),
        });
        let topics = Arc::new(TopicTracker::new());
        let local = LocalWork::new(worker.clone(), topics.clone(), statuses.clone());
        Ok(Arc::new(Core {
            config,
            worker,
            url,
            cluster_id,
            configs,
            statuses,
            status_log,
            offsets,
            offsets_log,
            connector_offset_topics,
            topics,
            group: std::sync::RwLock::new(GroupView::default()),
            local: tokio::sync::Mutex::new(local),
            session_key: Mutex::new(session_key),
            wake: Notify::new(),
            reconfigure: Mutex::new(Default::default()),
            stop: CancellationToken::new(),
        }))
    }

    /// Stop this worker's connectors and tasks at their commit points, leave the group, stop
    /// REST.
    pub async fn shutdown(mut self) {
        self.core.stop.cancel();
        if let Some(j) = self.loop_join.take() {
            let _ = tokio::time::timeout(Duration::from_secs(60), j).await;
        }
        if let Some(tx) = self.rest_shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(j) = self.rest_join.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), j).await;
        }
        tracing::info!("Strait distributed worker stopped");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strait_engine::config::props_from;
    use strait_engine::worker_config::WorkerConfig;

    fn worker(pairs: &[(&str, &str)]) -> WorkerConfig {
        let mut all = vec![
            ("bootstrap.servers", "localhost:9092"),
            (
                "key.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            (
                "value.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
        ];
        all.extend_from_slice(pairs);
        WorkerConfig::from_props(&props_from(&all)).unwrap()
    }

    #[test]
    fn the_advertised_url_has_the_listeners_scheme() {
        assert_eq!(advertised_scheme(&worker(&[])).unwrap(), "http");
        let https = [("listeners", "https://127.0.0.1:8443")];
        assert_eq!(advertised_scheme(&worker(&https)).unwrap(), "https");
        let mut named = https.to_vec();
        named.push(("rest.advertised.listener", "HTTPS"));
        assert_eq!(advertised_scheme(&worker(&named)).unwrap(), "https");
        named[1].1 = "http";
        let err = advertised_scheme(&worker(&named)).unwrap_err();
        assert!(
            err.message()
                .starts_with("Invalid value http for configuration rest.advertised.listener"),
            "{err}"
        );
    }
}
