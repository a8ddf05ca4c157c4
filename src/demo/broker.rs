//! An embedded, in-process Kafka-protocol broker, so that `strait demo` needs no external service.
//!
//! It speaks the Kafka wire protocol on a TCP port of its own (`127.0.0.1:<port>`, port 0 picks
//! a free one) and is driven by ordinary Kafka clients — librdkafka through `rdkafka` in Strait.
//! It implements exactly what librdkafka's idempotent producer, high-level (subscribing)
//! consumer and admin client need, and advertises only those APIs and versions (see
//! `handlers::SUPPORTED_APIS`): ApiVersions, Metadata (with topic auto-creation), Produce,
//! Fetch (long-polling on `min_bytes`/`max_wait_ms`), ListOffsets, OffsetForLeaderEpoch,
//! FindCoordinator, JoinGroup/SyncGroup/Heartbeat/LeaveGroup, OffsetCommit/OffsetFetch,
//! InitProducerId, CreateTopics and DescribeConfigs.
//!
//! Why it is fast: record batches are stored as the raw bytes the producer sent (only the base
//! offset in the header is patched) and fetched back as-is, so the broker never decodes or
//! re-encodes a record. The wire codec is the `kafka-protocol` crate.
//!
//! **Limits — a broker for demos and tests, not for production data:** memory only (everything
//! is lost when it stops; per-partition size retention); a single node, which leads every
//! partition with leader epoch 0; no replication, TLS, SASL, ACLs, quotas, compaction,
//! transactions (`transactional.id` is refused; idempotence works) or incremental fetch
//! sessions; the classic consumer group protocol only (no KIP-848, no static membership).
//!
//! Each connection is served by one task that handles its requests in order, like Kafka does
//! per connection; a JoinGroup or a long-polling Fetch parks only its own connection.

mod group;
mod handlers;
mod log;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use anyhow::{bail, Context};
use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{
    ApiKey, CreateTopicsRequest, DescribeConfigsRequest, FetchRequest, FindCoordinatorRequest,
    HeartbeatRequest, InitProducerIdRequest, JoinGroupRequest, LeaveGroupRequest,
    ListOffsetsRequest, MetadataRequest, OffsetCommitRequest, OffsetFetchRequest,
    OffsetForLeaderEpochRequest, ProduceRequest, RequestHeader, ResponseHeader, SyncGroupRequest,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion};
use kafka_protocol::ResponseError;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};
use uuid::Uuid;

use self::group::Coordinator;
use self::log::PartitionLog;

/// The broker's node id, in Metadata and FindCoordinator answers.
const NODE_ID: i32 = 1;
/// Largest request accepted. librdkafka's `message.max.bytes` defaults to 1 MB; this leaves room
/// for large batches without letting a garbage length allocate gigabytes.
const MAX_REQUEST_BYTES: usize = 128 * 1024 * 1024;
/// How often group deadlines (rebalance and session timeouts) are checked.
const GROUP_TICK: Duration = Duration::from_millis(250);

/// Settings of the embedded broker.
#[derive(Debug, Clone)]
pub struct BrokerConfig {
    /// Partitions of an auto-created topic, and of `CreateTopics` with `num_partitions = -1`.
    pub default_partitions: i32,
    /// Create a topic when a client asks for its metadata and allows it (Kafka's
    /// `auto.create.topics.enable`; librdkafka producers allow it, consumers do not by default).
    pub auto_create_topics: bool,
    /// Bytes kept per partition; the oldest batches are dropped beyond it.
    pub retention_bytes_per_partition: usize,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        Self {
            default_partitions: 1,
            auto_create_topics: true,
            retention_bytes_per_partition: 1 << 30,
        }
    }
}

/// An in-process Kafka-protocol broker. Serves until [`EmbeddedBroker::shutdown`] or drop.
#[derive(Debug)]
pub struct EmbeddedBroker {
    state: Arc<BrokerState>,
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl EmbeddedBroker {
    /// One line for the README and `--help`: what the embedded broker is.
    // API for the demo's callers; not every build of the binary prints it.
    #[allow(dead_code)]
    pub fn describe() -> &'static str {
        "an in-process, in-memory, single-node Kafka-protocol broker (Strait's own, on tokio and \
         the kafka-protocol codec): enough of Kafka for librdkafka producers and consumer \
         groups, for demos and tests — not a production broker"
    }

    /// Binds `bind` (port 0 = any free port) and starts serving on the current tokio runtime,
    /// with default settings.
    pub async fn start(bind: SocketAddr) -> anyhow::Result<Self> {
        Self::start_with(bind, BrokerConfig::default()).await
    }

    /// Like [`EmbeddedBroker::start`], with explicit settings.
    pub async fn start_with(bind: SocketAddr, config: BrokerConfig) -> anyhow::Result<Self> {
        if config.default_partitions <= 0 {
            bail!(
                "default_partitions must be at least 1, got {}",
                config.default_partitions
            );
        }
        let listener = TcpListener::bind(bind)
            .await
            .with_context(|| format!("embedded broker: cannot listen on {bind}"))?;
        let local = listener.local_addr()?;
        // Clients connect to what Metadata advertises, so a wildcard bind advertises loopback.
        let host = if local.ip().is_unspecified() {
            "127.0.0.1".to_owned()
        } else {
            local.ip().to_string()
        };
        let addr = SocketAddr::new(host.parse()?, local.port());
        let state = Arc::new(BrokerState {
            config,
            host,
            port: i32::from(local.port()),
            cluster_id: format!("strait-embedded-{}", local.port()),
            topics: RwLock::new(HashMap::new()),
            groups: Coordinator::default(),
            next_producer_id: AtomicI64::new(1000),
            next_topic_id: AtomicU64::new(1),
            data_arrived: Notify::new(),
        });
        let task = tokio::spawn(serve(listener, state.clone()));
        tracing::debug!(%addr, "embedded Kafka-protocol broker listening");
        Ok(Self { state, addr, task })
    }

    /// The `bootstrap.servers` value for clients, e.g. `127.0.0.1:40123`.
    pub fn bootstrap_servers(&self) -> String {
        self.local_addr().to_string()
    }

    /// The address clients connect to.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Creates a topic up front (an existing topic with the same name is left as it is).
    /// Useful so a consumer can subscribe before anything was produced (librdkafka consumers do
    /// not auto-create topics; without this they report UNKNOWN_TOPIC_OR_PART until the
    /// producer's first metadata request creates it).
    #[allow(dead_code)] // API for the demo pipeline; used by the tests
    pub fn create_topic(&self, name: &str, partitions: i32) -> anyhow::Result<()> {
        match self.state.get_or_create_topic(name, partitions) {
            Ok(_) => Ok(()),
            Err(e) => bail!("cannot create topic {name:?}: {e}"),
        }
    }

    /// Stops accepting, closes every connection and drops all data.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        self.task.abort();
        match (&mut self.task).await {
            Err(e) if e.is_panic() => bail!("embedded broker task panicked: {e}"),
            _ => Ok(()),
        }
    }
}

impl Drop for EmbeddedBroker {
    fn drop(&mut self) {
        // Aborting the accept task drops its JoinSet, which aborts every connection task.
        self.task.abort();
    }
}

/// A topic: its partitions' logs.
#[derive(Debug)]
pub(crate) struct Topic {
    name: String,
    id: Uuid,
    partitions: Vec<Mutex<PartitionLog>>,
}

impl Topic {
    fn partition(&self, index: i32) -> Option<&Mutex<PartitionLog>> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.partitions.get(i))
    }
}

/// Everything the connections share.
#[derive(Debug)]
pub(crate) struct BrokerState {
    config: BrokerConfig,
    host: String,
    port: i32,
    cluster_id: String,
    topics: RwLock<HashMap<String, Arc<Topic>>>,
    groups: Coordinator,
    next_producer_id: AtomicI64,
    next_topic_id: AtomicU64,
    /// Woken on every successful produce, so long-polling fetches re-check.
    data_arrived: Notify,
}

impl BrokerState {
    fn topic(&self, name: &str) -> Option<Arc<Topic>> {
        self.topics
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned()
    }

    fn topic_by_id(&self, id: Uuid) -> Option<Arc<Topic>> {
        let topics = self.topics.read().unwrap_or_else(|e| e.into_inner());
        topics.values().find(|t| t.id == id).cloned()
    }

    fn all_topics(&self) -> Vec<Arc<Topic>> {
        let topics = self.topics.read().unwrap_or_else(|e| e.into_inner());
        let mut all: Vec<_> = topics.values().cloned().collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        all
    }

    fn get_or_create_topic(
        &self,
        name: &str,
        partitions: i32,
    ) -> Result<Arc<Topic>, ResponseError> {
        if let Some(t) = self.topic(name) {
            return Ok(t);
        }
        self.create_topic(name, partitions)
    }

    /// Creates a topic; if another connection created it first, returns that one.
    fn create_topic(&self, name: &str, partitions: i32) -> Result<Arc<Topic>, ResponseError> {
        handlers::validate_topic_name(name)?;
        if partitions <= 0 {
            return Err(ResponseError::InvalidPartitions);
        }
        let mut topics = self.topics.write().unwrap_or_else(|e| e.into_inner());
        let topic = topics.entry(name.to_owned()).or_insert_with(|| {
            // Unique within this broker, which is all clients need; the high half tells
            // brokers (ports) apart should ids ever be compared across runs.
            let n = self.next_topic_id.fetch_add(1, Ordering::Relaxed);
            let id = Uuid::from_u128((u128::from(self.port as u32) << 64) | u128::from(n));
            tracing::debug!(topic = name, partitions, "embedded broker: topic created");
            Arc::new(Topic {
                name: name.to_owned(),
                id,
                partitions: (0..partitions)
                    .map(|_| {
                        Mutex::new(PartitionLog::new(self.config.retention_bytes_per_partition))
                    })
                    .collect(),
            })
        });
        Ok(topic.clone())
    }
}

/// Accepts connections, reaps finished ones and drives group timeouts, until aborted.
async fn serve(listener: TcpListener, state: Arc<BrokerState>) {
    let mut connections = JoinSet::new();
    let mut tick = tokio::time::interval(GROUP_TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    // Small responses (acks, heartbeats) must not wait for Nagle.
                    let _ = stream.set_nodelay(true);
                    let state = state.clone();
                    connections.spawn(async move {
                        if let Err(e) = serve_connection(stream, &state).await {
                            tracing::debug!(%peer, "embedded broker: connection closed: {e:#}");
                        }
                    });
                }
                Err(e) => {
                    // E.g. out of file descriptors: back off instead of spinning.
                    tracing::warn!("embedded broker: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = tick.tick() => state.groups.tick(),
        }
    }
}

/// Reads size-prefixed requests and writes their responses, one at a time, in order.
async fn serve_connection(stream: TcpStream, state: &BrokerState) -> anyhow::Result<()> {
    let (mut rd, mut wr) = stream.into_split();
    let mut out = BytesMut::with_capacity(64 * 1024);
    loop {
        let len = match rd.read_i32().await {
            Ok(len) => len,
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        // api key (2) + api version (2) + correlation id (4) at least.
        let len = usize::try_from(len).unwrap_or(0);
        if !(8..=MAX_REQUEST_BYTES).contains(&len) {
            bail!("invalid request size {len}");
        }
        let mut frame = BytesMut::zeroed(len);
        rd.read_exact(&mut frame).await?;
        out.clear();
        handle_request(state, frame.freeze(), &mut out).await?;
        if !out.is_empty() {
            wr.write_all(&out).await?;
        }
    }
}

/// Decodes one request, runs its handler and appends the framed response to `out` (nothing for
/// `acks=0` produce). An error closes the connection, as Kafka does for requests it cannot
/// parse or versions it does not support.
async fn handle_request(
    state: &BrokerState,
    mut frame: Bytes,
    out: &mut BytesMut,
) -> anyhow::Result<()> {
    let raw_key = (&frame[0..2]).get_i16();
    let version = (&frame[2..4]).get_i16();
    let correlation_id = (&frame[4..8]).get_i32();
    let Some((key, (min, max))) = ApiKey::try_from(raw_key)
        .ok()
        .and_then(|k| handlers::supported_versions(k).map(|v| (k, v)))
    else {
        bail!("unsupported API key {raw_key}");
    };
    if !(min..=max).contains(&version) {
        if key == ApiKey::ApiVersions {
            // KIP-511: answer an ApiVersions we do not know with a v0 response carrying
            // UNSUPPORTED_VERSION and our ranges, so the client retries with one we support.
            let resp = handlers::api_versions(Some(ResponseError::UnsupportedVersion));
            return respond(out, correlation_id, 0, &resp);
        }
        bail!("unsupported version {version} of {key:?} (we implement {min}..={max})");
    }
    let header = RequestHeader::decode(&mut frame, key.request_header_version(version))
        .context("malformed request header")?;
    let client_id = header.client_id.as_deref().unwrap_or("");
    let body = &mut frame;
    let c = correlation_id;
    let v = version;
    match key {
        ApiKey::ApiVersions => respond(out, c, v, &handlers::api_versions(None)),
        ApiKey::Metadata => respond(
            out,
            c,
            v,
            &state.metadata(MetadataRequest::decode(body, v)?, v),
        ),
        ApiKey::Produce => match state.produce(ProduceRequest::decode(body, v)?) {
            Some(resp) => respond(out, c, v, &resp),
            None => Ok(()),
        },
        ApiKey::Fetch => respond(
            out,
            c,
            v,
            &state.fetch(FetchRequest::decode(body, v)?).await,
        ),
        ApiKey::ListOffsets => respond(
            out,
            c,
            v,
            &state.list_offsets(ListOffsetsRequest::decode(body, v)?),
        ),
        ApiKey::OffsetForLeaderEpoch => {
            let req = OffsetForLeaderEpochRequest::decode(body, v)?;
            respond(out, c, v, &state.offset_for_leader_epoch(req))
        }
        ApiKey::FindCoordinator => respond(
            out,
            c,
            v,
            &state.find_coordinator(FindCoordinatorRequest::decode(body, v)?),
        ),
        ApiKey::JoinGroup => {
            let req = JoinGroupRequest::decode(body, v)?;
            respond(out, c, v, &state.join_group(req, v, client_id).await)
        }
        ApiKey::SyncGroup => respond(
            out,
            c,
            v,
            &state.sync_group(SyncGroupRequest::decode(body, v)?).await,
        ),
        ApiKey::Heartbeat => respond(
            out,
            c,
            v,
            &state.heartbeat(HeartbeatRequest::decode(body, v)?),
        ),
        ApiKey::LeaveGroup => respond(
            out,
            c,
            v,
            &state.leave_group(LeaveGroupRequest::decode(body, v)?),
        ),
        ApiKey::OffsetCommit => respond(
            out,
            c,
            v,
            &state.offset_commit(OffsetCommitRequest::decode(body, v)?, v),
        ),
        ApiKey::OffsetFetch => respond(
            out,
            c,
            v,
            &state.offset_fetch(OffsetFetchRequest::decode(body, v)?),
        ),
        ApiKey::InitProducerId => respond(
            out,
            c,
            v,
            &state.init_producer_id(InitProducerIdRequest::decode(body, v)?, v),
        ),
        ApiKey::CreateTopics => respond(
            out,
            c,
            v,
            &state.create_topics(CreateTopicsRequest::decode(body, v)?),
        ),
        ApiKey::DescribeConfigs => respond(
            out,
            c,
            v,
            &state.describe_configs(DescribeConfigsRequest::decode(body, v)?),
        ),
        other => bail!("{other:?} is advertised but has no handler"),
    }
}

/// Appends `size | response header | body` to `out`.
fn respond<R: Encodable + HeaderVersion>(
    out: &mut BytesMut,
    correlation_id: i32,
    version: i16,
    body: &R,
) -> anyhow::Result<()> {
    let start = out.len();
    out.put_i32(0); // size, patched below
    ResponseHeader::default()
        .with_correlation_id(correlation_id)
        .encode(out, R::header_version(version))?;
    body.encode(out, version)?;
    let size = i32::try_from(out.len() - start - 4).context("response too large")?;
    out[start..start + 4].copy_from_slice(&size.to_be_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    use rdkafka::client::DefaultClientContext;
    use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
    use rdkafka::message::Message;
    use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
    use rdkafka::ClientConfig;
    use std::collections::BTreeMap;
    use std::time::Instant;

    fn any_port() -> SocketAddr {
        "127.0.0.1:0".parse().unwrap()
    }

    fn producer(bootstrap: &str) -> FutureProducer {
        ClientConfig::new()
            .set("bootstrap.servers", bootstrap)
            .set("enable.idempotence", "true")
            .set("linger.ms", "5")
            .create()
            .expect("producer")
    }

    fn consumer(bootstrap: &str, group: &str) -> StreamConsumer {
        ClientConfig::new()
            .set("bootstrap.servers", bootstrap)
            .set("group.id", group)
            .set("auto.offset.reset", "earliest")
            .set("enable.auto.commit", "false")
            .create()
            .expect("consumer")
    }

    /// Sends `count` records `(key, value)` without awaiting each one, then awaits all acks.
    async fn produce_all(
        producer: &FutureProducer,
        topic: &str,
        count: usize,
        record: impl Fn(usize) -> (String, Vec<u8>),
    ) {
        let mut acks = Vec::with_capacity(count);
        for i in 0..count {
            let (key, value) = record(i);
            loop {
                let r = FutureRecord::to(topic).key(&key).payload(&value);
                match producer.send_result(r) {
                    Ok(ack) => {
                        acks.push(ack);
                        break;
                    }
                    // The local queue is full: let librdkafka drain it.
                    Err((e, _)) => {
                        assert!(
                            matches!(
                                e,
                                rdkafka::error::KafkaError::MessageProduction(
                                    rdkafka::types::RDKafkaErrorCode::QueueFull
                                )
                            ),
                            "{e}"
                        );
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                }
            }
        }
        for ack in acks {
            ack.await.expect("not cancelled").expect("delivered");
        }
    }

    /// Receives exactly `count` messages: `(partition, offset, key, value)`.
    async fn consume(consumer: &StreamConsumer, count: usize) -> Vec<(i32, i64, String, Vec<u8>)> {
        let mut got = Vec::with_capacity(count);
        while got.len() < count {
            let m = tokio::time::timeout(Duration::from_secs(30), consumer.recv())
                .await
                .expect("message within 30 s")
                .expect("no consumer error");
            let key = String::from_utf8(m.key().unwrap_or_default().to_vec()).unwrap();
            got.push((
                m.partition(),
                m.offset(),
                key,
                m.payload().unwrap_or_default().to_vec(),
            ));
        }
        got
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn produce_consume_commit_and_resume_in_group() {
        let broker = EmbeddedBroker::start(any_port()).await.unwrap();
        let bootstrap = broker.bootstrap_servers();
        assert!(bootstrap.starts_with("127.0.0.1:"));
        const N: usize = 50_000;
        let p = producer(&bootstrap);
        produce_all(&p, "t1", N, |i| {
            (format!("k{i}"), format!("value-{i}").into_bytes())
        })
        .await;

        let c = consumer(&bootstrap, "g1");
        c.subscribe(&["t1"]).unwrap();
        let got = consume(&c, N).await;
        // One partition (the default): every record, in order, with consecutive offsets.
        for (i, (partition, offset, key, value)) in got.iter().enumerate() {
            assert_eq!((*partition, *offset), (0, i as i64));
            assert_eq!(key, &format!("k{i}"));
            assert_eq!(value, format!("value-{i}").as_bytes());
        }
        tokio::task::block_in_place(|| c.commit_consumer_state(CommitMode::Sync)).unwrap();
        drop(c); // leaves the group

        // Same group again: resumes from the committed offset, so only new records arrive.
        let c2 = consumer(&bootstrap, "g1");
        c2.subscribe(&["t1"]).unwrap();
        let nothing = tokio::time::timeout(Duration::from_secs(3), c2.recv()).await;
        assert!(
            nothing.is_err(),
            "nothing new to read, got {:?}",
            nothing.map(|m| m.map(|m| m.offset()))
        );
        produce_all(&p, "t1", 1, |_| ("late".to_owned(), b"late".to_vec())).await;
        let late = consume(&c2, 1).await;
        assert_eq!((late[0].1, late[0].2.as_str()), (N as i64, "late"));
        drop(c2);
        broker.shutdown().await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn four_partitions_distribute_by_key_and_keep_order_per_partition() {
        let broker = EmbeddedBroker::start(any_port()).await.unwrap();
        let bootstrap = broker.bootstrap_servers();
        let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .create()
            .unwrap();
        let created = admin
            .create_topics(
                &[NewTopic::new("t4", 4, TopicReplication::Fixed(1))],
                &AdminOptions::new(),
            )
            .await
            .unwrap();
        assert!(created[0].is_ok(), "{created:?}");
        let again = admin
            .create_topics(
                &[NewTopic::new("t4", 4, TopicReplication::Fixed(1))],
                &AdminOptions::new(),
            )
            .await
            .unwrap();
        assert!(
            again[0].is_err(),
            "second create must report TopicAlreadyExists"
        );

        const N: usize = 10_000;
        let p = producer(&bootstrap);
        // 20 keys; the value carries the sequence number.
        produce_all(&p, "t4", N, |i| {
            (format!("key-{}", i % 20), i.to_string().into_bytes())
        })
        .await;
        let c = consumer(&bootstrap, "g4");
        c.subscribe(&["t4"]).unwrap();
        let got = consume(&c, N).await;

        let mut partition_of_key: BTreeMap<String, i32> = BTreeMap::new();
        let mut last_seq: BTreeMap<i32, i64> = BTreeMap::new();
        for (partition, _, key, value) in &got {
            assert_eq!(
                *partition_of_key.entry(key.clone()).or_insert(*partition),
                *partition
            );
            let seq: i64 = String::from_utf8_lossy(value).parse().unwrap();
            let last = last_seq.entry(*partition).or_insert(-1);
            assert!(seq > *last, "order within partition {partition}");
            *last = seq;
        }
        assert_eq!(partition_of_key.len(), 20);
        assert_eq!(last_seq.len(), 4, "all four partitions used: {last_seq:?}");
        let meta = p
            .client()
            .fetch_metadata(Some("t4"), Duration::from_secs(5))
            .unwrap();
        assert_eq!(meta.topics()[0].partitions().len(), 4);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_group_members_split_the_partitions() {
        let broker = EmbeddedBroker::start(any_port()).await.unwrap();
        let bootstrap = broker.bootstrap_servers();
        broker.create_topic("shared", 4).unwrap();
        let members: Vec<Arc<StreamConsumer>> = (0..2)
            .map(|_| {
                let c = consumer(&bootstrap, "g2");
                c.subscribe(&["shared"]).unwrap();
                Arc::new(c)
            })
            .collect();
        // Each member polls in its own task (rebalances are served while polling).
        let received: Vec<_> = members
            .iter()
            .map(|c| {
                let c = c.clone();
                tokio::spawn(async move {
                    let mut got = Vec::new();
                    while let Ok(Ok(m)) =
                        tokio::time::timeout(Duration::from_secs(8), c.recv()).await
                    {
                        got.push((m.partition(), m.offset()));
                    }
                    got
                })
            })
            .collect();
        // Wait until the second member's join has been through a full rebalance.
        let deadline = Instant::now() + Duration::from_secs(30);
        while members
            .iter()
            .any(|c| c.assignment().map_or(0, |a| a.count()) != 2)
        {
            assert!(Instant::now() < deadline, "partitions never split 2/2");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        const N: usize = 4_000;
        let p = producer(&bootstrap);
        produce_all(&p, "shared", N, |i| (format!("k{i}"), vec![0; 10])).await;
        let mut all = Vec::new();
        for r in received {
            let got = r.await.unwrap();
            assert!(!got.is_empty(), "each member consumes its share");
            all.extend(got);
        }
        let total = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(
            (total, all.len()),
            (N, N),
            "every record exactly once across the group"
        );
    }

    /// Writes one raw request frame.
    async fn send_raw(s: &mut TcpStream, key: i16, version: i16, correlation_id: i32) {
        let mut b = BytesMut::new();
        b.put_i16(key);
        b.put_i16(version);
        b.put_i32(correlation_id);
        b.put_i16(-1); // null client id
        let mut framed = BytesMut::new();
        framed.put_i32(b.len() as i32);
        framed.put_slice(&b);
        s.write_all(&framed).await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn unknown_api_versions_do_not_crash_the_broker() {
        let broker = EmbeddedBroker::start(any_port()).await.unwrap();

        // ApiVersions at a version from the future: a v0 answer with UNSUPPORTED_VERSION.
        let mut s = TcpStream::connect(broker.local_addr()).await.unwrap();
        send_raw(&mut s, ApiKey::ApiVersions as i16, 99, 7).await;
        let len = s.read_i32().await.unwrap();
        let mut resp = vec![0u8; len as usize];
        s.read_exact(&mut resp).await.unwrap();
        let mut resp = &resp[..];
        assert_eq!(resp.get_i32(), 7, "correlation id");
        assert_eq!(resp.get_i16(), ResponseError::UnsupportedVersion.code());

        // Another API at an unsupported version, and an unknown API key: connection closed.
        for (key, version) in [
            (ApiKey::Metadata as i16, 999),
            (9_999, 0),
            (ApiKey::Produce as i16, 0),
        ] {
            let mut s = TcpStream::connect(broker.local_addr()).await.unwrap();
            send_raw(&mut s, key, version, 1).await;
            let mut buf = [0u8; 1];
            assert_eq!(
                s.read(&mut buf).await.unwrap(),
                0,
                "closed after api {key} v{version}"
            );
        }
        // Garbage sizes: closed too.
        let mut s = TcpStream::connect(broker.local_addr()).await.unwrap();
        s.write_all(&[0xff, 0xff, 0xff, 0xff, 1, 2, 3])
            .await
            .unwrap();
        let mut buf = [0u8; 1];
        assert_eq!(s.read(&mut buf).await.unwrap(), 0);

        // The broker still serves real clients.
        let p = producer(&broker.bootstrap_servers());
        produce_all(&p, "still-alive", 10, |i| (i.to_string(), vec![1])).await;
    }

    #[tokio::test]
    async fn stops_listening_on_shutdown() {
        let broker = EmbeddedBroker::start(any_port()).await.unwrap();
        let addr = broker.local_addr();
        broker.create_topic("pre", 3).unwrap();
        assert!(broker.create_topic("bad/name", 1).is_err());
        assert!(TcpStream::connect(addr).await.is_ok());
        broker.shutdown().await.unwrap();
        assert!(TcpStream::connect(addr).await.is_err());
    }

    /// Throughput through librdkafka: `cargo test -p strait --release -- --ignored --nocapture
    /// throughput`. 200k records of 200 B: produced (idempotent) then consumed by a group
    /// member; then again with producer and consumer running at the same time, as in the demo.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "measurement; run with --release --ignored --nocapture"]
    async fn throughput_200k() {
        const N: usize = 200_000;
        const SIZE: usize = 200;
        let broker = EmbeddedBroker::start(any_port()).await.unwrap();
        let bootstrap = broker.bootstrap_servers();
        let rate = |d: Duration| N as f64 / d.as_secs_f64();
        let mb = |d: Duration| (N * SIZE) as f64 / d.as_secs_f64() / 1e6;
        let payload = vec![b'x'; SIZE];

        let p = producer(&bootstrap);
        let t = Instant::now();
        produce_all(&p, "bench", N, |i| (i.to_string(), payload.clone())).await;
        let produced_in = t.elapsed();
        let c = consumer(&bootstrap, "bench");
        c.subscribe(&["bench"]).unwrap();
        let t = Instant::now();
        assert_eq!(consume(&c, N).await.len(), N);
        let consumed_in = t.elapsed();
        println!(
            "embedded broker, {N} x {SIZE} B: produce {:.0} msg/s ({:.1} MB/s, {produced_in:.2?}); \
             consume {:.0} msg/s ({:.1} MB/s, {consumed_in:.2?}, incl. group join)",
            rate(produced_in),
            mb(produced_in),
            rate(consumed_in),
            mb(consumed_in)
        );

        // Both at once: the consumer long-polls while the producer appends.
        broker.create_topic("bench2", 1).unwrap();
        let c = consumer(&bootstrap, "bench2");
        c.subscribe(&["bench2"]).unwrap();
        let t = Instant::now();
        let consumer_task = tokio::spawn(async move { consume(&c, N).await.len() });
        produce_all(&p, "bench2", N, |i| (i.to_string(), payload.clone())).await;
        assert_eq!(consumer_task.await.unwrap(), N);
        let both = t.elapsed();
        println!(
            "embedded broker, {N} x {SIZE} B, produce and consume concurrently: \
             {:.0} msg/s end to end ({both:.2?})",
            rate(both)
        );
    }
}
