//! Connector-specific offsets topics (KIP-618's `offsets.storage.topic`; Java's
//! `ConnectorOffsetBackingStore` with a connector store and the worker's store).
//!
//! A source connector whose config names its own offsets topic (other than the worker's)
//! reads and writes offsets there: the topic is created like the worker's (compacted, the
//! worker's `offset.storage.partitions` and replication factor) and read by a log of its own.
//! The worker's topic stays the secondary store, as in Java:
//!
//! * a read asks the connector's topic, whose answer wins even when it has no offset for the
//!   partition (Java overlays the connector store's result, nulls included, on the worker's);
//! * a commit writes tombstones to the worker's topic first (a failure fails the commit, so a
//!   reset is never undone by an old copy), then everything to the connector's topic, then
//!   (best effort, logged) the non-tombstones to the worker's topic (KAFKA-15018);
//! * an exactly-once task writes its offsets into its transaction on the connector's topic; once
//!   the transaction committed, the non-tombstones are copied to the worker's topic (best
//!   effort; Java copies them as soon as the sends are acknowledged);
//! * the REST offsets endpoints list the union of both topics' partitions.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use strait_engine::batch::SourceMap;
use strait_engine::config::Props;
use strait_engine::error::{Error, Result};
use strait_engine::offsets::{OffsetRecordBytes, OffsetStore, TransactionalOffsets};
use strait_engine::runtime::WorkerContext;

use crate::kafka_log::{
    ensure_internal_topic, InternalTopic, KafkaLog, KafkaLogSettings, LogClients, LogRecord,
    DELIVERY_TIMEOUT_MAX,
};
use crate::offset_store::{get_with_primary, partitions_of_both, KafkaOffsetStore};

/// What creating a connector's offsets topic needs (from the worker's settings).
#[derive(Clone)]
pub struct OffsetTopicSettings {
    pub clients: LogClients,
    /// The worker's `offset.storage.topic` (a connector naming it has no topic of its own).
    pub worker_topic: String,
    pub partitions: i32,
    pub replication_factor: i16,
    pub topic_configs: Props,
    /// Exactly-once support enabled: read committed data only, tasks write transactionally.
    pub exactly_once: bool,
}

/// One connector offsets topic: its log and the store it feeds.
struct OffsetTopic {
    store: Arc<KafkaOffsetStore>,
    log: Arc<KafkaLog>,
}

/// The connector offsets topics this worker has opened, by topic name.
pub struct ConnectorOffsetTopics {
    settings: OffsetTopicSettings,
    topics: tokio::sync::Mutex<BTreeMap<String, Arc<OffsetTopic>>>,
}

impl ConnectorOffsetTopics {
    pub fn new(settings: OffsetTopicSettings) -> Self {
        ConnectorOffsetTopics {
            settings,
            topics: tokio::sync::Mutex::new(BTreeMap::new()),
        }
    }

    /// The connector's own offsets topic, when its config names one other than the worker's.
    pub fn own_topic(&self, connector_config: &Props) -> Option<String> {
        connector_config
            .get("offsets.storage.topic")
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty() && *t != self.settings.worker_topic)
    }

    /// The worker context a connector's tasks and offsets requests use: `worker` itself, or,
    /// for a connector with its own offsets topic, a copy whose offset store is that topic
    /// with the worker's as secondary (opened on first use, then read to its end).
    pub async fn context_for(
        &self,
        worker: &Arc<WorkerContext>,
        worker_store: &Arc<KafkaOffsetStore>,
        connector_config: &Props,
    ) -> Result<Arc<WorkerContext>> {
        let Some(topic) = self.own_topic(connector_config) else {
            return Ok(worker.clone());
        };
        let opened = self.open(&topic).await?;
        opened.log.read_to_end().await?;
        let store = CombinedOffsetStore {
            primary: opened.store.clone(),
            secondary: worker_store.clone(),
            topic,
            exactly_once: self.settings.exactly_once,
            staged: Mutex::new(Vec::new()),
        };
        Ok(Arc::new(WorkerContext {
            config: worker.config.clone(),
            registry: worker.registry.clone(),
            offsets: Arc::new(store),
            worker_id: worker.worker_id.clone(),
            metrics: worker.metrics.clone(),
        }))
    }

    async fn open(&self, topic: &str) -> Result<Arc<OffsetTopic>> {
        let mut topics = self.topics.lock().await;
        if let Some(t) = topics.get(topic) {
            return Ok(t.clone());
        }
        let s = &self.settings;
        let (store, log) = open_offsets_topic(
            &InternalTopic {
                name: topic.to_string(),
                partitions: s.partitions,
                replication_factor: s.replication_factor,
                configs: s.topic_configs.clone(),
                worker_setting: "offsets.storage.topic".into(),
                purpose: "a connector's source offsets".into(),
            },
            s.clients.clone(),
            s.exactly_once,
        )
        .await?;
        tracing::info!(topic, "opened a connector offsets topic");
        let opened = Arc::new(OffsetTopic { store, log });
        topics.insert(topic.to_string(), opened.clone());
        Ok(opened)
    }
}

/// Create or check an offsets topic and open it: a [`KafkaOffsetStore`] fed by a [`KafkaLog`]
/// of the topic (read to its end before this returns), whose flushes write back to that log.
/// With `exactly_once` the log reads committed data only and exactly-once tasks write their
/// offsets to the topic in their own transactions.
pub async fn open_offsets_topic(
    topic: &InternalTopic,
    clients: LogClients,
    exactly_once: bool,
) -> Result<(Arc<KafkaOffsetStore>, Arc<KafkaLog>)> {
    ensure_internal_topic(&clients.admin, topic).await?;
    let cell: Arc<std::sync::OnceLock<Arc<KafkaLog>>> = Arc::new(std::sync::OnceLock::new());
    let writer_log = cell.clone();
    let store = KafkaOffsetStore::new(Box::new(
        move |records: Vec<OffsetRecordBytes>| -> Result<()> {
            let log = writer_log
                .get()
                .ok_or_else(|| Error::bug("offsets written before the offsets topic opened"))?;
            let sends: Vec<_> = records
                .iter()
                .map(|(k, v)| log.send(k, v.as_deref()))
                .collect();
            futures::executor::block_on(futures::future::try_join_all(sends)).map(drop)
        },
    ));
    let store = Arc::new(if exactly_once {
        store.for_exactly_once(topic.name.clone())
    } else {
        store
    });
    let feed = store.clone();
    let log = Arc::new(
        KafkaLog::start(
            KafkaLogSettings {
                topic: topic.name.clone(),
                clients,
                delivery_timeout: DELIVERY_TIMEOUT_MAX,
                read_committed: exactly_once,
                read_only: false,
            },
            Box::new(move |r: LogRecord| feed.apply(r.key.as_deref(), r.value.as_deref())),
        )
        .await?,
    );
    let _ = cell.set(log.clone());
    Ok((store, log))
}

/// A connector's offsets: its own topic (primary) over the worker's (secondary).
struct CombinedOffsetStore {
    primary: Arc<KafkaOffsetStore>,
    secondary: Arc<KafkaOffsetStore>,
    topic: String,
    exactly_once: bool,
    /// Offsets `put` since the last flush, in order; flushed to both stores (tombstones first to
    /// the secondary).
    staged: Mutex<Vec<(String, SourceMap, Option<SourceMap>)>>,
}

impl CombinedOffsetStore {
    fn take_staged(&self, connector: &str) -> Vec<(SourceMap, Option<SourceMap>)> {
        let mut staged = self.staged.lock().unwrap_or_else(|p| p.into_inner());
        let (mine, rest): (Vec<_>, Vec<_>) = staged.drain(..).partition(|(c, _, _)| c == connector);
        *staged = rest;
        mine.into_iter().map(|(_, p, o)| (p, o)).collect()
    }
}

impl OffsetStore for CombinedOffsetStore {
    fn get(&self, connector: &str, partition: &SourceMap) -> Option<SourceMap> {
        let primary = self.primary.snapshot().ok();
        get_with_primary(None, primary.as_ref(), connector, partition)
    }

    fn put(&self, connector: &str, offsets: Vec<(SourceMap, Option<SourceMap>)>) {
        let mut staged = self.staged.lock().unwrap_or_else(|p| p.into_inner());
        for (p, o) in offsets {
            staged.retain(|(c, q, _)| !(c == connector && *q == p));
            staged.push((connector.to_string(), p, o));
        }
    }

    fn flush(&self) -> Result<()> {
        let connectors: Vec<String> = {
            let staged = self.staged.lock().unwrap_or_else(|p| p.into_inner());
            let mut names: Vec<String> = staged.iter().map(|(c, _, _)| c.clone()).collect();
            names.dedup();
            names
        };
        for connector in connectors {
            let offsets = self.take_staged(&connector);
            let tombstones: Vec<_> = offsets
                .iter()
                .filter(|(_, o)| o.is_none())
                .cloned()
                .collect();
            let regular: Vec<_> = offsets
                .iter()
                .filter(|(_, o)| o.is_some())
                .cloned()
                .collect();
            if !tombstones.is_empty() {
                self.secondary.put(&connector, tombstones);
                self.secondary.flush()?;
            }
            self.primary.put(&connector, offsets);
            self.primary.flush()?;
            if !regular.is_empty() {
                self.secondary.put(&connector, regular);
                if let Err(e) = self.secondary.flush() {
                    tracing::warn!(connector, error = %e, "Failed to write offsets to secondary backing store");
                }
            }
        }
        Ok(())
    }

    fn connector_offsets(&self, connector: &str) -> Vec<(SourceMap, SourceMap)> {
        // Java lists the union of both stores' partitions, each with the offset a read gives
        // (the connector's topic's, which wins even when it has none: such a partition shows
        // no offset, and is left out here).
        let primary = self.primary.snapshot().ok();
        let secondary = self.secondary.snapshot().ok();
        partitions_of_both(secondary.as_ref(), primary.as_ref(), connector)
            .into_iter()
            .filter_map(|p| self.get(connector, &p).map(|o| (p, o)))
            .collect()
    }

    fn transactional(&self) -> Option<&dyn TransactionalOffsets> {
        self.exactly_once.then_some(self as _)
    }
}

impl TransactionalOffsets for CombinedOffsetStore {
    fn topic(&self) -> String {
        self.topic.clone()
    }

    fn encode(
        &self,
        connector: &str,
        offsets: &[(SourceMap, Option<SourceMap>)],
    ) -> Result<Vec<OffsetRecordBytes>> {
        TransactionalOffsets::encode(&*self.primary, connector, offsets)
    }

    fn committed(&self, records: &[OffsetRecordBytes]) {
        self.primary.committed(records);
        let copies: Vec<OffsetRecordBytes> = records
            .iter()
            .filter(|(_, v)| v.is_some())
            .cloned()
            .collect();
        if copies.is_empty() {
            return;
        }
        // Best effort, off the task's path (Java fires this write and only logs a failure).
        let secondary = self.secondary.clone();
        std::thread::spawn(move || {
            if let Err(e) = secondary.write_records(copies) {
                tracing::warn!(error = %e, "Failed to write offsets to secondary backing store");
            }
        });
    }
}
