//! Admin `fenceProducers` (KIP-730), as Java's `KafkaAdminClient#fenceProducers` runs it with
//! `FenceProducersHandler` and `CoordinatorStrategy`: for every transactional id, find its
//! transaction coordinator (FindCoordinator, key type TRANSACTION) and send it InitProducerId with
//! no producer id and no epoch. The coordinator then bumps the id's epoch (aborting an open
//! transaction first), so a producer still using the id is fenced on its next transactional call.
//! An exactly-once source connector's leader does this before its tasks start (KIP-618), so
//! that zombie tasks of an earlier generation can no longer commit.
//!
//! Differences from Java, none of which changes what reaches the broker:
//! * Coordinators are looked up on the bootstrap brokers (Java asks the least loaded broker it
//!   knows from metadata).
//! * Ids are fenced one after another after one batched lookup (Java fences them concurrently).
//! * Every retry waits [`RETRY_BACKOFF`] (Java's `retry.backoff.ms` default), within the deadline.
//! * Error messages name the transactional id as such where Java prints its `CoordinatorKey`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use kafka_protocol::messages::{
    ApiKey, FindCoordinatorRequest, FindCoordinatorResponse, InitProducerIdRequest,
    InitProducerIdResponse, ProducerId, TransactionalId,
};
use kafka_protocol::protocol::{Message, StrBytes};
use kafka_protocol::ResponseError;
use strait_engine::error::{Error, Result};
use tokio::time::Instant;

use crate::membership::conn::Connection;
use crate::membership::{format_addr, parse_bootstrap};

/// FindCoordinator's key type for transaction coordinators (Java's `CoordinatorType.TRANSACTION`).
const KEY_TYPE_TRANSACTION: i8 = 1;

/// FindCoordinator batches keys (`coordinator_keys`) from this version on (KIP-699).
const FIND_COORDINATOR_BATCHED: i16 = 4;

/// The wait before each retry (Java's `retry.backoff.ms` default).
const RETRY_BACKOFF: Duration = Duration::from_millis(100);

/// How to reach the cluster.
#[derive(Debug, Clone)]
pub struct FenceSettings {
    /// `bootstrap.servers`: a comma-separated list of `host:port`.
    pub bootstrap_servers: String,
    pub client_id: String,
    /// The longest one request (and one connection attempt) may take.
    pub request_timeout: Duration,
    /// Sent in InitProducerId: the coordinator uses it when it writes the bumped epoch to the
    /// transaction log (Java: `FenceProducersOptions.timeoutMs`, else `request.timeout.ms`).
    pub transaction_timeout_ms: i32,
}

/// Bumps the epoch of every transactional id (FindCoordinator key_type TRANSACTION (1), then
/// InitProducerId with producer_id -1, epoch -1), so any producer still using it gets
/// PRODUCER_FENCED / INVALID_PRODUCER_EPOCH on its next transactional call.
///
/// Retriable conditions (coordinator loading or moved, a concurrent transaction, a lost
/// connection) are retried until `deadline` has passed since the call; then the call fails with a
/// retriable error that names the last condition seen.
pub async fn fence_producers(
    settings: &FenceSettings,
    transactional_ids: &[String],
    deadline: Duration,
) -> Result<()> {
    let mut ids: Vec<&str> = Vec::with_capacity(transactional_ids.len());
    for id in transactional_ids {
        if !ids.contains(&id.as_str()) {
            ids.push(id);
        }
    }
    if ids.is_empty() {
        return Ok(());
    }
    let mut fencer = Fencer {
        settings,
        bootstrap: parse_bootstrap(&settings.bootstrap_servers)?,
        deadline,
        end: Instant::now() + deadline,
        connections: HashMap::new(),
        coordinators: HashMap::new(),
    };
    // One lookup for all ids up front (a single request from FindCoordinator v4 on); what it
    // leaves unmapped, each id's own loop looks up again.
    if let Lookup::Failed(e) = fencer.lookup(&ids).await {
        return Err(e);
    }
    for id in ids {
        fencer.fence(id).await?;
    }
    Ok(())
}

struct Fencer<'a> {
    settings: &'a FenceSettings,
    bootstrap: Vec<String>,
    deadline: Duration,
    end: Instant,
    /// Open connections by broker address, shared by the ids whose coordinator it is.
    connections: HashMap<String, Arc<Connection>>,
    /// The coordinator's address per transactional id, once found (Java's lookup map).
    coordinators: HashMap<String, String>,
}

/// What a FindCoordinator round left behind.
enum Lookup {
    /// Every key asked for is mapped.
    Done,
    /// Some keys are still unmapped, for a retriable reason.
    Retry(Error),
    /// A key cannot be fenced (Java completes its future exceptionally).
    Failed(Error),
}

/// What one fencing attempt for one id ended with.
enum Step {
    Done,
    /// Try again after the backoff; the error says why.
    Retry(Error),
}

impl Fencer<'_> {
    /// Fences `id`, retrying within the deadline.
    async fn fence(&mut self, id: &str) -> Result<()> {
        loop {
            let why = match self.attempt(id).await? {
                Step::Done => return Ok(()),
                Step::Retry(why) => why,
            };
            let left = self.end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Error::external(
                    format!(
                        "Fencing producers for transactionalId `{id}` timed out after {} ms; \
                         last error: {}",
                        self.deadline.as_millis(),
                        why.message()
                    ),
                    true,
                ));
            }
            tracing::debug!(
                transactional_id = id,
                why = why.message(),
                "fencing producers: will retry"
            );
            tokio::time::sleep(RETRY_BACKOFF.min(left)).await;
        }
    }

    /// One InitProducerId for `id` (after a lookup, when its coordinator is unknown).
    async fn attempt(&mut self, id: &str) -> Result<Step> {
        if !self.coordinators.contains_key(id) {
            match self.lookup(&[id]).await {
                Lookup::Done => {}
                Lookup::Retry(why) => return Ok(Step::Retry(why)),
                Lookup::Failed(e) => return Err(e),
            }
        }
        let Some(addr) = self.coordinators.get(id).cloned() else {
            return Err(Error::bug(format!(
                "no coordinator for transactionalId `{id}` after a complete lookup"
            )));
        };
        let conn = match self.connection(&addr).await {
            Ok(conn) => conn,
            Err(e) => return self.transport_failure(id, e),
        };
        let version =
            conn.version_up_to(ApiKey::InitProducerId, InitProducerIdRequest::VERSIONS.max)?;
        let request = InitProducerIdRequest::default()
            .with_transactional_id(Some(TransactionalId(str_bytes(id))))
            .with_transaction_timeout_ms(self.settings.transaction_timeout_ms)
            // No producer id nor epoch: the coordinator bumps whatever epoch the id has. With
            // them absent, PRODUCER_FENCED and INVALID_PRODUCER_EPOCH cannot come back, and fall
            // under "unexpected" below, as in Java's handler.
            .with_producer_id(ProducerId(-1))
            .with_producer_epoch(-1);
        let timeout = self.request_timeout();
        let response: InitProducerIdResponse = match conn
            .request(ApiKey::InitProducerId, version, &request, timeout)
            .await
        {
            Ok(r) => r,
            Err(e) => return self.transport_failure(id, e),
        };
        let Some(error) = ResponseError::try_from_code(response.error_code) else {
            tracing::info!(
                transactional_id = id,
                producer_id = response.producer_id.0,
                producer_epoch = response.producer_epoch,
                "fenced producers"
            );
            return Ok(Step::Done);
        };
        let failed = |what: String, retriable: bool| {
            Err(Error::external(
                format!("InitProducerId request for transactionalId `{id}` failed due to {what}"),
                retriable,
            ))
        };
        match error {
            ResponseError::ClusterAuthorizationFailed => {
                failed("cluster authorization failure".into(), false)
            }
            ResponseError::TransactionalIdAuthorizationFailed => {
                failed("transactional ID authorization failure".into(), false)
            }
            ResponseError::CoordinatorLoadInProgress | ResponseError::ConcurrentTransactions => {
                Ok(Step::Retry(coordinator_error(id, &addr, error)))
            }
            ResponseError::NotCoordinator | ResponseError::CoordinatorNotAvailable => {
                // The coordinator moved or is unavailable: find it again (Java unmaps the key).
                self.coordinators.remove(id);
                Ok(Step::Retry(coordinator_error(id, &addr, error)))
            }
            // Java's `error.exception(...)`: the error's own class says whether it is retriable.
            e => failed(
                format!("unexpected error: {e} (error code {})", e.code()),
                e.is_retriable(),
            ),
        }
    }

    /// A request that got no answer: retriable ones look the coordinator up again (Java's driver
    /// unmaps the keys of a request whose node disconnected); others fail the call.
    fn transport_failure(&mut self, id: &str, e: Error) -> Result<Step> {
        if e.is_retriable() {
            self.coordinators.remove(id);
            Ok(Step::Retry(e))
        } else {
            Err(e)
        }
    }

    /// FindCoordinator for `ids` on the first bootstrap broker that answers.
    async fn lookup(&mut self, ids: &[&str]) -> Lookup {
        let mut last = None;
        for addr in self.bootstrap.clone() {
            match self.find_coordinators(&addr, ids).await {
                Ok(lookup) => return lookup,
                Err(e) if e.is_retriable() => last = Some(e),
                Err(e) => return Lookup::Failed(e),
            }
        }
        Lookup::Retry(last.unwrap_or_else(|| Error::external("no bootstrap server", true)))
    }

    async fn find_coordinators(&mut self, addr: &str, ids: &[&str]) -> Result<Lookup> {
        let conn = self.connection(addr).await?;
        let version = conn.version(ApiKey::FindCoordinator)?;
        if version < 1 {
            // v0 has no key type: it finds group coordinators only.
            return Err(Error::external(
                format!(
                    "Kafka broker {addr} supports FindCoordinator v0 only, which cannot find \
                     transaction coordinators"
                ),
                false,
            ));
        }
        let mut unmapped = None;
        if version >= FIND_COORDINATOR_BATCHED {
            let request = FindCoordinatorRequest::default()
                .with_key_type(KEY_TYPE_TRANSACTION)
                .with_coordinator_keys(ids.iter().map(|id| str_bytes(id)).collect());
            let timeout = self.request_timeout();
            let response: FindCoordinatorResponse = conn
                .request(ApiKey::FindCoordinator, version, &request, timeout)
                .await?;
            for c in &response.coordinators {
                let Some(&id) = ids.iter().find(|id| **id == c.key.as_str()) else {
                    continue; // not asked for: nothing to map
                };
                self.found(id, c.error_code, &c.host, c.port, &mut unmapped)?;
            }
        } else {
            for &id in ids {
                let request = FindCoordinatorRequest::default()
                    .with_key(str_bytes(id))
                    .with_key_type(KEY_TYPE_TRANSACTION);
                let timeout = self.request_timeout();
                let r: FindCoordinatorResponse = conn
                    .request(ApiKey::FindCoordinator, version, &request, timeout)
                    .await?;
                self.found(id, r.error_code, &r.host, r.port, &mut unmapped)?;
            }
        }
        if let Some(&missing) = ids.iter().find(|id| !self.coordinators.contains_key(**id)) {
            return Ok(Lookup::Retry(unmapped.unwrap_or_else(|| {
                Error::external(
                    format!(
                        "Kafka broker {addr}: FindCoordinator answered no coordinator for \
                         transactionalId `{missing}`"
                    ),
                    true,
                )
            })));
        }
        Ok(Lookup::Done)
    }

    /// One key's FindCoordinator answer, handled as `CoordinatorStrategy.handleError` does.
    fn found(
        &mut self,
        id: &str,
        error: i16,
        host: &StrBytes,
        port: i32,
        unmapped: &mut Option<Error>,
    ) -> Result<()> {
        match ResponseError::try_from_code(error) {
            None => {
                self.coordinators
                    .insert(id.to_string(), format_addr(host, port));
                Ok(())
            }
            Some(
                e @ (ResponseError::CoordinatorNotAvailable
                | ResponseError::CoordinatorLoadInProgress),
            ) => {
                *unmapped = Some(Error::external(
                    format!("FindCoordinator request for transactionalId `{id}` returned {e}"),
                    true,
                ));
                Ok(())
            }
            Some(ResponseError::TransactionalIdAuthorizationFailed) => Err(Error::external(
                format!(
                    "FindCoordinator request for transactionalId `{id}` failed due to \
                     authorization failure"
                ),
                false,
            )),
            Some(e) => Err(Error::external(
                format!(
                    "FindCoordinator request for transactionalId `{id}` failed due to an \
                     unexpected error: {e} (error code {})",
                    e.code()
                ),
                e.is_retriable(),
            )),
        }
    }

    /// The open connection to `addr`, or a new one.
    async fn connection(&mut self, addr: &str) -> Result<Arc<Connection>> {
        if let Some(conn) = self.connections.get(addr) {
            if !conn.is_closed() {
                return Ok(conn.clone());
            }
        }
        self.connections.remove(addr);
        let conn =
            Connection::connect(addr, &self.settings.client_id, self.request_timeout()).await?;
        self.connections.insert(addr.to_string(), conn.clone());
        Ok(conn)
    }

    /// A request's timeout: the configured one, cut short by the deadline.
    fn request_timeout(&self) -> Duration {
        let left = self.end.saturating_duration_since(Instant::now());
        // A request needs some time to be worth sending; below that it only times out.
        self.settings
            .request_timeout
            .min(left)
            .max(Duration::from_millis(10))
    }
}

fn coordinator_error(id: &str, addr: &str, e: ResponseError) -> Error {
    Error::external(
        format!("InitProducerId request for transactionalId `{id}` to {addr} returned {e}"),
        true,
    )
}

fn str_bytes(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use fake::{Fake, Req, Resp};

    /// A scripted cluster of brokers on local ports: every broker answers ApiVersions,
    /// FindCoordinator and InitProducerId, as a script says.
    ///
    /// Like `membership::fake`, its codec is written by hand (kafka-protocol's request decoders
    /// need the `broker` feature), so it also checks the bytes the client puts on the wire. It
    /// advertises flexible versions only (FindCoordinator v3 or v4, InitProducerId v4), whose
    /// compact encodings the client must use.
    mod fake {
        use std::sync::{Arc, Mutex};

        use bytes::{Buf, BufMut, Bytes, BytesMut};
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        use tokio::net::{TcpListener, TcpStream};

        #[derive(Debug, Clone, PartialEq)]
        pub enum Req {
            Find {
                broker: usize,
                key_type: i8,
                keys: Vec<String>,
            },
            Init {
                broker: usize,
                client_id: Option<String>,
                transactional_id: Option<String>,
                transaction_timeout_ms: i32,
                producer_id: i64,
                producer_epoch: i16,
            },
        }

        #[derive(Debug, Clone)]
        pub enum Resp {
            /// Per key asked for, in order: (error code, index of the coordinator broker).
            Find(Vec<(i16, usize)>),
            /// InitProducerId's error code (the producer id is 1000 + the broker index, epoch 7).
            Init(i16),
            /// The connection is closed without an answer.
            Close,
        }

        pub type Script = Box<dyn FnMut(&Req) -> Resp + Send>;

        pub struct Fake {
            pub addrs: Vec<String>,
            pub log: Arc<Mutex<Vec<Req>>>,
        }

        impl Fake {
            /// `brokers` brokers advertising FindCoordinator up to `find_version`.
            pub async fn start(brokers: usize, find_version: i16, script: Script) -> Fake {
                let mut listeners = Vec::new();
                for _ in 0..brokers {
                    listeners.push(TcpListener::bind("127.0.0.1:0").await.expect("bind"));
                }
                let addrs: Vec<String> = listeners
                    .iter()
                    .map(|l| l.local_addr().expect("addr").to_string())
                    .collect();
                let log = Arc::new(Mutex::new(Vec::new()));
                let script = Arc::new(Mutex::new(script));
                for (broker, listener) in listeners.into_iter().enumerate() {
                    let (log, script, addrs) = (log.clone(), script.clone(), addrs.clone());
                    tokio::spawn(async move {
                        while let Ok((stream, _)) = listener.accept().await {
                            tokio::spawn(serve(
                                stream,
                                broker,
                                find_version,
                                addrs.clone(),
                                log.clone(),
                                script.clone(),
                            ));
                        }
                    });
                }
                Fake { addrs, log }
            }

            pub fn requests(&self) -> Vec<Req> {
                self.log.lock().expect("log").clone()
            }
        }

        async fn serve(
            mut stream: TcpStream,
            broker: usize,
            find_version: i16,
            addrs: Vec<String>,
            log: Arc<Mutex<Vec<Req>>>,
            script: Arc<Mutex<Script>>,
        ) {
            let advertised = [(18, 0), (10, find_version), (22, 4)];
            loop {
                let Ok(size) = stream.read_i32().await else {
                    return;
                };
                let mut frame = vec![0u8; size as usize];
                if stream.read_exact(&mut frame).await.is_err() {
                    return;
                }
                let mut b = Bytes::from(frame);
                let (api, version, correlation) = (b.get_i16(), b.get_i16(), b.get_i32());
                let mut out = BytesMut::new();
                out.put_i32(correlation);
                if api == 18 {
                    crate::membership::fake::api_versions_answer(&mut out, version, &advertised);
                    send(&mut stream, out).await;
                    continue;
                }
                let max = advertised.iter().find(|(k, _)| *k == api).map(|(_, m)| *m);
                assert_eq!(Some(version), max, "highest common version of api {api}");
                // Request header v2: nullable (non-compact) client id, then tagged fields.
                let client_id = nullable_string(&mut b);
                assert_eq!(varint(&mut b), 0, "no tagged fields in the header");
                let req = match (api, version) {
                    (10, 4) => Req::Find {
                        broker,
                        key_type: b.get_i8(),
                        keys: (0..varint(&mut b) - 1)
                            .map(|_| compact_string(&mut b).expect("key"))
                            .collect(),
                    },
                    (10, 3) => {
                        let key = compact_string(&mut b).expect("key");
                        Req::Find {
                            broker,
                            key_type: b.get_i8(),
                            keys: vec![key],
                        }
                    }
                    (22, 4) => Req::Init {
                        broker,
                        client_id,
                        transactional_id: compact_string(&mut b),
                        transaction_timeout_ms: b.get_i32(),
                        producer_id: b.get_i64(),
                        producer_epoch: b.get_i16(),
                    },
                    other => panic!("fake broker: unexpected api/version {other:?}"),
                };
                assert_eq!(varint(&mut b), 0, "no tagged fields in {req:?}");
                assert!(!b.has_remaining(), "request {req:?} has trailing bytes");
                log.lock().expect("log").push(req.clone());
                let resp = (script.lock().expect("script"))(&req);
                // Response header v1: the correlation id, then tagged fields.
                out.put_u8(0);
                out.put_i32(0); // throttle
                match (resp, &req) {
                    (Resp::Close, _) => return,
                    (Resp::Find(answers), Req::Find { keys, .. }) => {
                        assert_eq!(answers.len(), keys.len(), "one answer per key");
                        let coordinator = |i: usize| {
                            let (host, port) = addrs[i].rsplit_once(':').expect("addr");
                            (host.to_string(), port.parse::<i32>().expect("port"))
                        };
                        if version >= 4 {
                            out.put_u8(keys.len() as u8 + 1);
                            for (key, (error, i)) in keys.iter().zip(answers) {
                                let (host, port) = coordinator(i);
                                put_compact_string(&mut out, key);
                                out.put_i32(i as i32);
                                put_compact_string(&mut out, &host);
                                out.put_i32(port);
                                out.put_i16(error);
                                out.put_u8(0); // null error message
                                out.put_u8(0); // tagged fields
                            }
                        } else {
                            let (error, i) = answers[0];
                            let (host, port) = coordinator(i);
                            out.put_i16(error);
                            out.put_u8(0); // null error message
                            out.put_i32(i as i32);
                            put_compact_string(&mut out, &host);
                            out.put_i32(port);
                        }
                    }
                    (Resp::Init(error), Req::Init { .. }) => {
                        out.put_i16(error);
                        out.put_i64(if error == 0 { 1000 + broker as i64 } else { -1 });
                        out.put_i16(if error == 0 { 7 } else { -1 });
                    }
                    (resp, req) => panic!("fake broker: {resp:?} does not answer {req:?}"),
                }
                out.put_u8(0); // tagged fields
                send(&mut stream, out).await;
            }
        }

        async fn send(stream: &mut TcpStream, body: BytesMut) {
            let mut frame = BytesMut::new();
            frame.put_i32(body.len() as i32);
            frame.put_slice(&body);
            let _ = stream.write_all(&frame).await;
        }

        fn varint(b: &mut Bytes) -> u32 {
            let (mut value, mut shift) = (0u32, 0);
            loop {
                let byte = b.get_u8();
                value |= u32::from(byte & 0x7f) << shift;
                if byte & 0x80 == 0 {
                    return value;
                }
                shift += 7;
            }
        }

        fn nullable_string(b: &mut Bytes) -> Option<String> {
            let n = b.get_i16();
            (n >= 0).then(|| String::from_utf8(b.split_to(n as usize).to_vec()).expect("utf8"))
        }

        fn compact_string(b: &mut Bytes) -> Option<String> {
            let n = varint(b);
            (n > 0).then(|| String::from_utf8(b.split_to(n as usize - 1).to_vec()).expect("utf8"))
        }

        fn put_compact_string(out: &mut BytesMut, s: &str) {
            assert!(s.len() < 127, "one-byte varint lengths only");
            out.put_u8(s.len() as u8 + 1);
            out.put_slice(s.as_bytes());
        }
    }

    const NONE: i16 = 0;
    const COORDINATOR_LOAD_IN_PROGRESS: i16 = 14;
    const COORDINATOR_NOT_AVAILABLE: i16 = 15;
    const NOT_COORDINATOR: i16 = 16;
    const CLUSTER_AUTHORIZATION_FAILED: i16 = 31;
    const INVALID_TXN_STATE: i16 = 48;
    const CONCURRENT_TRANSACTIONS: i16 = 51;
    const TRANSACTIONAL_ID_AUTHORIZATION_FAILED: i16 = 53;

    fn settings(fake: &Fake) -> FenceSettings {
        FenceSettings {
            bootstrap_servers: fake.addrs[0].clone(),
            client_id: "strait-fence-test".into(),
            request_timeout: Duration::from_secs(5),
            transaction_timeout_ms: 12345,
        }
    }

    fn ids(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    async fn fence(fake: &Fake, transactional_ids: &[&str]) -> Result<()> {
        fence_producers(
            &settings(fake),
            &ids(transactional_ids),
            Duration::from_secs(10),
        )
        .await
    }

    fn init(broker: usize, id: &str) -> Req {
        Req::Init {
            broker,
            client_id: Some("strait-fence-test".into()),
            transactional_id: Some(id.into()),
            transaction_timeout_ms: 12345,
            producer_id: -1,
            producer_epoch: -1,
        }
    }

    fn find(broker: usize, keys: &[&str]) -> Req {
        Req::Find {
            broker,
            key_type: 1,
            keys: ids(keys),
        }
    }

    /// Answers FindCoordinator with `coordinator(key)` (no error), InitProducerId with `init`.
    fn script(
        coordinator: impl Fn(&str) -> usize + Send + 'static,
        mut init: impl FnMut(&str, usize) -> Resp + Send + 'static,
    ) -> fake::Script {
        Box::new(move |req| match req {
            Req::Find { keys, .. } => {
                Resp::Find(keys.iter().map(|k| (NONE, coordinator(k))).collect())
            }
            Req::Init {
                transactional_id,
                broker,
                ..
            } => init(transactional_id.as_deref().unwrap_or_default(), *broker),
        })
    }

    #[tokio::test]
    async fn one_batched_lookup_then_init_producer_id_without_producer_id_or_epoch_per_id() {
        let fake = Fake::start(
            3,
            4,
            script(|k| if k == "a" { 1 } else { 2 }, |_, _| Resp::Init(NONE)),
        )
        .await;
        fence(&fake, &["a", "b", "a"]).await.unwrap();
        assert_eq!(
            fake.requests(),
            vec![find(0, &["a", "b"]), init(1, "a"), init(2, "b")]
        );
    }

    #[tokio::test]
    async fn below_find_coordinator_v4_each_id_is_looked_up_on_its_own() {
        let fake = Fake::start(2, 3, script(|_| 1, |_, _| Resp::Init(NONE))).await;
        fence(&fake, &["a", "b"]).await.unwrap();
        assert_eq!(
            fake.requests(),
            vec![find(0, &["a"]), find(0, &["b"]), init(1, "a"), init(1, "b")]
        );
    }

    #[tokio::test]
    async fn no_ids_sends_nothing() {
        let fake = Fake::start(1, 4, script(|_| 0, |_, _| Resp::Init(NONE))).await;
        fence(&fake, &[]).await.unwrap();
        assert!(fake.requests().is_empty());
    }

    #[tokio::test]
    async fn concurrent_transactions_and_loading_are_retried_on_the_same_coordinator() {
        let mut answers = vec![
            CONCURRENT_TRANSACTIONS,
            COORDINATOR_LOAD_IN_PROGRESS,
            CONCURRENT_TRANSACTIONS,
            NONE,
        ]
        .into_iter();
        let fake = Fake::start(
            2,
            4,
            script(
                |_| 1,
                move |_, _| Resp::Init(answers.next().expect("no more than 4 attempts")),
            ),
        )
        .await;
        fence(&fake, &["a"]).await.unwrap();
        assert_eq!(
            fake.requests(),
            vec![
                find(0, &["a"]),
                init(1, "a"),
                init(1, "a"),
                init(1, "a"),
                init(1, "a")
            ]
        );
    }

    #[tokio::test]
    async fn a_moved_or_unavailable_coordinator_is_looked_up_again() {
        // Broker 1 no longer coordinates `a`, broker 2 is unavailable, broker 0 fences it.
        let lookups = std::sync::atomic::AtomicUsize::new(0);
        let fake = Fake::start(
            3,
            4,
            script(
                move |_| [1, 2, 0][lookups.fetch_add(1, std::sync::atomic::Ordering::SeqCst)],
                |_, broker| {
                    Resp::Init(match broker {
                        1 => NOT_COORDINATOR,
                        2 => COORDINATOR_NOT_AVAILABLE,
                        _ => NONE,
                    })
                },
            ),
        )
        .await;
        fence(&fake, &["a"]).await.unwrap();
        assert_eq!(
            fake.requests(),
            vec![
                find(0, &["a"]),
                init(1, "a"),
                find(0, &["a"]),
                init(2, "a"),
                find(0, &["a"]),
                init(0, "a"),
            ]
        );
    }

    #[tokio::test]
    async fn a_closed_connection_looks_the_coordinator_up_again() {
        let mut first = true;
        let fake = Fake::start(
            2,
            4,
            script(
                |_| 1,
                move |_, _| {
                    if std::mem::take(&mut first) {
                        Resp::Close
                    } else {
                        Resp::Init(NONE)
                    }
                },
            ),
        )
        .await;
        fence(&fake, &["a"]).await.unwrap();
        assert_eq!(
            fake.requests(),
            vec![find(0, &["a"]), init(1, "a"), find(0, &["a"]), init(1, "a")]
        );
    }

    #[tokio::test]
    async fn coordinator_lookup_errors_are_retried_or_fail_as_in_coordinator_strategy() {
        // Loading, then found.
        let mut answers = vec![
            COORDINATOR_LOAD_IN_PROGRESS,
            COORDINATOR_NOT_AVAILABLE,
            NONE,
        ]
        .into_iter();
        let fake = Fake::start(
            1,
            4,
            Box::new(move |req| match req {
                Req::Find { .. } => Resp::Find(vec![(answers.next().expect("3 lookups"), 0)]),
                Req::Init { .. } => Resp::Init(NONE),
            }),
        )
        .await;
        fence(&fake, &["a"]).await.unwrap();
        assert_eq!(
            fake.requests(),
            vec![
                find(0, &["a"]),
                find(0, &["a"]),
                find(0, &["a"]),
                init(0, "a")
            ]
        );

        let fake = Fake::start(
            1,
            4,
            Box::new(|_| Resp::Find(vec![(TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 0)])),
        )
        .await;
        let e = fence(&fake, &["a"]).await.unwrap_err();
        assert_eq!(
            e.message(),
            "FindCoordinator request for transactionalId `a` failed due to authorization failure"
        );
        assert!(!e.is_retriable());
        assert_eq!(fake.requests(), vec![find(0, &["a"])]);
    }

    #[tokio::test]
    async fn authorization_failures_fail_at_once_with_javas_messages() {
        for (error, cause) in [
            (
                CLUSTER_AUTHORIZATION_FAILED,
                "cluster authorization failure",
            ),
            (
                TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
                "transactional ID authorization failure",
            ),
        ] {
            let fake = Fake::start(
                1,
                4,
                script(
                    |_| 0,
                    move |id, _| Resp::Init(if id == "b" { error } else { NONE }),
                ),
            )
            .await;
            let e = fence(&fake, &["a", "b", "c"]).await.unwrap_err();
            assert_eq!(
                e.message(),
                format!("InitProducerId request for transactionalId `b` failed due to {cause}")
            );
            assert!(!e.is_retriable());
            assert_eq!(
                fake.requests(),
                vec![find(0, &["a", "b", "c"]), init(0, "a"), init(0, "b")],
                "no retry, and the ids after the failed one are not fenced"
            );
        }
    }

    #[tokio::test]
    async fn unexpected_errors_fail_with_the_error() {
        let fake = Fake::start(1, 4, script(|_| 0, |_, _| Resp::Init(INVALID_TXN_STATE))).await;
        let e = fence(&fake, &["a"]).await.unwrap_err();
        assert_eq!(
            e.message(),
            "InitProducerId request for transactionalId `a` failed due to unexpected error: \
             InvalidTxnState (error code 48)"
        );
        assert!(!e.is_retriable());
        assert_eq!(fake.requests(), vec![find(0, &["a"]), init(0, "a")]);
    }

    #[tokio::test]
    async fn retries_stop_at_the_deadline_with_the_last_error() {
        let fake = Fake::start(
            1,
            4,
            script(|_| 0, |_, _| Resp::Init(CONCURRENT_TRANSACTIONS)),
        )
        .await;
        let e = fence_producers(&settings(&fake), &ids(&["a"]), Duration::from_millis(500))
            .await
            .unwrap_err();
        assert!(e.is_retriable());
        assert!(
            e.message().starts_with(
                "Fencing producers for transactionalId `a` timed out after 500 ms; last error: "
            ) && e.message().ends_with("returned ConcurrentTransactions"),
            "{}",
            e.message()
        );
        let inits = fake
            .requests()
            .iter()
            .filter(|r| matches!(r, Req::Init { .. }))
            .count();
        assert!(inits > 1, "retried until the deadline: {inits} attempts");
    }

    #[tokio::test]
    async fn unreachable_bootstrap_servers_time_out_retriably() {
        // A port nobody listens on: bind one, then free it.
        let addr = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().to_string()
        };
        let s = FenceSettings {
            bootstrap_servers: addr,
            client_id: "t".into(),
            request_timeout: Duration::from_secs(1),
            transaction_timeout_ms: 1000,
        };
        let e = fence_producers(&s, &ids(&["a"]), Duration::from_millis(300))
            .await
            .unwrap_err();
        assert!(e.is_retriable());
        assert!(
            e.message().contains("timed out after 300 ms"),
            "{}",
            e.message()
        );
        assert!(e.message().contains("connect"), "{}", e.message());
    }

    #[tokio::test]
    async fn bad_bootstrap_servers_are_rejected() {
        let s = FenceSettings {
            bootstrap_servers: "no-port".into(),
            client_id: "t".into(),
            request_timeout: Duration::from_secs(1),
            transaction_timeout_ms: 1000,
        };
        let e = fence_producers(&s, &ids(&["a"]), Duration::from_secs(1))
            .await
            .unwrap_err();
        assert_eq!(e.message(), "Invalid url in bootstrap.servers: no-port");
    }

    /// Against the shared real broker (STRAIT_TEST_BOOTSTRAP); skipped when it is unset.
    mod broker {
        use super::*;
        use crate::kafka_log::tests::{create_topic, test_bootstrap, test_clients, unique};
        use rdkafka::error::{KafkaError, RDKafkaErrorCode};
        use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};

        type TxnProducer = ThreadedProducer<DefaultProducerContext>;

        /// A transactional producer with an open transaction holding one record of `topic`.
        async fn open_transaction(bootstrap: &str, id: &str, topic: &str) -> TxnProducer {
            let mut cfg = test_clients(bootstrap).producer;
            cfg.set("transactional.id", id);
            let topic = topic.to_string();
            tokio::task::spawn_blocking(move || {
                let p: TxnProducer = cfg.create().expect("producer");
                p.init_transactions(Duration::from_secs(30))
                    .expect("init_transactions");
                p.begin_transaction().expect("begin_transaction");
                p.send(BaseRecord::to(&topic).key("k").payload("v"))
                    .map_err(|(e, _)| e)
                    .expect("send");
                // Delivered: the partition is in the transaction on the coordinator's side.
                p.flush(Duration::from_secs(30)).expect("flush");
                p
            })
            .await
            .expect("producer task")
        }

        async fn commit(p: TxnProducer) -> std::result::Result<(), KafkaError> {
            tokio::task::spawn_blocking(move || p.commit_transaction(Duration::from_secs(30)))
                .await
                .expect("commit task")
        }

        #[tokio::test]
        async fn broker_a_fenced_producer_cannot_commit_and_a_new_one_with_its_id_can() {
            let Some(bootstrap) = test_bootstrap() else {
                return;
            };
            let topic = unique("strait-fence");
            create_topic(&bootstrap, &topic, 1, "delete").await;
            let id = unique("strait-fence-txn");
            let zombie = open_transaction(&bootstrap, &id, &topic).await;

            let settings = FenceSettings {
                bootstrap_servers: bootstrap.clone(),
                client_id: "strait-fence-test".into(),
                request_timeout: Duration::from_secs(30),
                transaction_timeout_ms: 60_000,
            };
            fence_producers(
                &settings,
                std::slice::from_ref(&id),
                Duration::from_secs(60),
            )
            .await
            .expect("fence_producers");

            let err = commit(zombie)
                .await
                .expect_err("a fenced producer must not commit");
            let KafkaError::Transaction(e) = &err else {
                panic!("expected a transaction error, got {err:?}");
            };
            assert!(
                e.is_fatal()
                    && matches!(
                        e.code(),
                        RDKafkaErrorCode::ProducerFenced
                            | RDKafkaErrorCode::InvalidProducerEpoch
                            | RDKafkaErrorCode::Fenced
                    ),
                "expected a fatal fencing error, got {:?} (fatal: {}): {e}",
                e.code(),
                e.is_fatal()
            );

            // Fencing bumps the epoch only: the id itself stays usable by a new producer.
            let successor = open_transaction(&bootstrap, &id, &topic).await;
            commit(successor)
                .await
                .expect("a new producer with the fenced id commits");
        }
    }
}
