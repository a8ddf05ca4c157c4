//! One TCP connection to a Kafka broker: size-prefixed frames, request headers with correlation
//! ids, responses matched back to their requests, and the API versions negotiated with
//! ApiVersions (what Java's `NetworkClient` + `ApiVersions` do for one node).
//!
//! Requests may be issued concurrently (the heartbeat task and the owner share the coordinator
//! connection); a reader task routes each response to its waiter by correlation id. Kafka answers
//! in order on one connection, but matching by id keeps a late answer to an abandoned request
//! (a cancelled `join`) from being taken for the next one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, RequestHeader, ResponseHeader,
};
use kafka_protocol::protocol::{encode_request_header_into_buffer, Decodable, Encodable, StrBytes};
use strait_engine::error::{Error, Result};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Frames larger than this are taken for a corrupt stream rather than allocated (a JoinGroup
/// response carrying every member's metadata stays far below it).
const MAX_FRAME: usize = 64 * 1024 * 1024;

/// The ApiVersions version we ask first; a broker that does not know it answers in v0 with the
/// versions it does know (KIP-511), and we ask again.
const API_VERSIONS_FIRST: i16 = 3;

type Waiters = HashMap<i32, oneshot::Sender<Result<Bytes>>>;

struct Pending {
    waiters: Waiters,
    /// Why the connection is unusable, once it is.
    closed: Option<String>,
}

/// A connection to one broker, after ApiVersions.
pub(crate) struct Connection {
    addr: String,
    client_id: StrBytes,
    writer: tokio::sync::Mutex<OwnedWriteHalf>,
    pending: Arc<Mutex<Pending>>,
    next_correlation: AtomicI32,
    reader: JoinHandle<()>,
    /// The broker's supported (min, max) version per API key.
    broker_versions: HashMap<i16, (i16, i16)>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

fn io_error(addr: &str, what: &str, e: impl std::fmt::Display) -> Error {
    Error::external(format!("Kafka broker {addr}: {what}: {e}"), true)
}

impl Connection {
    /// Connects to `addr` (host:port) and negotiates API versions.
    pub(crate) async fn connect(
        addr: &str,
        client_id: &str,
        timeout: Duration,
    ) -> Result<Arc<Connection>> {
        let stream = tokio::time::timeout(timeout, TcpStream::connect(addr))
            .await
            .map_err(|_| io_error(addr, "connect", "timed out"))?
            .map_err(|e| io_error(addr, "connect", e))?;
        stream
            .set_nodelay(true)
            .map_err(|e| io_error(addr, "set TCP_NODELAY", e))?;
        let mut conn = Self::from_stream(addr, client_id, stream);
        conn.broker_versions = conn.negotiate(timeout).await?;
        Ok(Arc::new(conn))
    }

    fn from_stream(addr: &str, client_id: &str, stream: TcpStream) -> Connection {
        let (read, write) = stream.into_split();
        let pending = Arc::new(Mutex::new(Pending {
            waiters: HashMap::new(),
            closed: None,
        }));
        let reader = tokio::spawn(read_loop(addr.to_string(), read, pending.clone()));
        Connection {
            addr: addr.to_string(),
            client_id: StrBytes::from_string(client_id.to_string()),
            writer: tokio::sync::Mutex::new(write),
            pending,
            next_correlation: AtomicI32::new(0),
            reader,
            broker_versions: HashMap::new(),
        }
    }

    /// The broker's address as given (host:port).
    pub(crate) fn addr(&self) -> &str {
        &self.addr
    }

    /// Whether the connection failed (a later request would fail at once).
    pub(crate) fn is_closed(&self) -> bool {
        self.pending
            .lock()
            .map(|p| p.closed.is_some())
            .unwrap_or(true)
    }

    /// The version to speak for `api`: the highest both the broker and kafka-protocol know.
    pub(crate) fn version(&self, api: ApiKey) -> Result<i16> {
        self.version_up_to(api, api.valid_versions().max)
    }

    /// The version to speak for `api` when this client's message type stops at `max` (below
    /// what `ApiKey::valid_versions` lists: kafka-protocol 0.18 lists InitProducerId up to v6,
    /// but its request type encodes only up to v5).
    pub(crate) fn version_up_to(&self, api: ApiKey, max: i16) -> Result<i16> {
        let mut ours = api.valid_versions();
        ours.max = ours.max.min(max);
        let Some(&(min, max)) = self.broker_versions.get(&(api as i16)) else {
            return Err(Error::external(
                format!("Kafka broker {} does not support {api:?}", self.addr),
                false,
            ));
        };
        let (lo, hi) = (min.max(ours.min), max.min(ours.max));
        if lo > hi {
            return Err(Error::external(
                format!(
                    "Kafka broker {} supports {api:?} versions {min}..{max}, this client {}..{}",
                    self.addr, ours.min, ours.max
                ),
                false,
            ));
        }
        Ok(hi)
    }

    /// Sends `request` as `api` at `version` and decodes the response at the same version.
    pub(crate) async fn request<Req: Encodable, Resp: Decodable>(
        &self,
        api: ApiKey,
        version: i16,
        request: &Req,
        timeout: Duration,
    ) -> Result<Resp> {
        let mut body = self.request_raw(api, version, request, timeout).await?;
        Resp::decode(&mut body, version).map_err(|e| {
            Error::external(
                format!(
                    "Kafka broker {}: bad {api:?} v{version} response: {e}",
                    self.addr
                ),
                false,
            )
        })
    }

    /// Sends one request and returns the response body (after its header).
    async fn request_raw<Req: Encodable>(
        &self,
        api: ApiKey,
        version: i16,
        request: &Req,
        timeout: Duration,
    ) -> Result<Bytes> {
        let correlation_id = self.next_correlation.fetch_add(1, Ordering::Relaxed);
        let frame = encode_frame(api, version, correlation_id, &self.client_id, request)
            .map_err(|e| Error::bug(format!("encoding {api:?} v{version}: {e}")))?;
        let (tx, rx) = oneshot::channel();
        {
            let mut pending = self
                .pending
                .lock()
                .map_err(|_| Error::bug("connection state poisoned"))?;
            if let Some(why) = &pending.closed {
                return Err(io_error(&self.addr, "connection closed", why));
            }
            pending.waiters.insert(correlation_id, tx);
        }
        let written = {
            let mut writer = self.writer.lock().await;
            writer.write_all(&frame).await
        };
        if let Err(e) = written {
            self.close(&format!("write failed: {e}"));
            return Err(io_error(&self.addr, "write", e));
        }
        let mut frame = match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(result)) => result?,
            Ok(Err(_)) => return Err(io_error(&self.addr, "connection closed", "no response")),
            Err(_) => {
                // Java's NetworkClient disconnects on a request timeout: the stream may be stuck.
                self.close(&format!("{api:?} request timed out after {timeout:?}"));
                return Err(io_error(
                    &self.addr,
                    &format!("{api:?} request"),
                    format!("timed out after {timeout:?}"),
                ));
            }
        };
        ResponseHeader::decode(&mut frame, api.response_header_version(version)).map_err(|e| {
            Error::external(
                format!("Kafka broker {}: bad response header: {e}", self.addr),
                false,
            )
        })?;
        Ok(frame)
    }

    /// Marks the connection failed and fails every waiting request.
    fn close(&self, why: &str) {
        fail_all(&self.pending, why);
    }

    async fn negotiate(&self, timeout: Duration) -> Result<HashMap<i16, (i16, i16)>> {
        let request = ApiVersionsRequest::default()
            .with_client_software_name(StrBytes::from_static_str("strait"))
            .with_client_software_version(StrBytes::from_static_str(env!("CARGO_PKG_VERSION")));
        let mut version = API_VERSIONS_FIRST.min(ApiKey::ApiVersions.valid_versions().max);
        for _ in 0..2 {
            let body = self
                .request_raw(ApiKey::ApiVersions, version, &request, timeout)
                .await?;
            let decoded = ApiVersionsResponse::decode(&mut body.clone(), version);
            let response = match decoded {
                Ok(r) if r.error_code == 0 => r,
                // UNSUPPORTED_VERSION: the body is v0, listing what the broker knows.
                _ => {
                    let v0 = ApiVersionsResponse::decode(&mut body.clone(), 0).map_err(|e| {
                        io_error(&self.addr, "bad ApiVersions response", e.to_string())
                    })?;
                    let theirs = v0
                        .api_keys
                        .iter()
                        .find(|k| k.api_key == ApiKey::ApiVersions as i16)
                        .map(|k| k.max_version);
                    match theirs {
                        Some(max) if v0.error_code == 35 && max < version => {
                            version = max;
                            continue;
                        }
                        _ => {
                            return Err(Error::external(
                                format!(
                                    "Kafka broker {}: ApiVersions failed with error code {}",
                                    self.addr, v0.error_code
                                ),
                                false,
                            ))
                        }
                    }
                }
            };
            return Ok(response
                .api_keys
                .iter()
                .map(|k| (k.api_key, (k.min_version, k.max_version)))
                .collect());
        }
        Err(Error::external(
            format!("Kafka broker {}: ApiVersions negotiation failed", self.addr),
            false,
        ))
    }
}

/// A request frame: int32 size, request header (version chosen by the API's rules), body.
pub(crate) fn encode_frame<Req: Encodable>(
    api: ApiKey,
    version: i16,
    correlation_id: i32,
    client_id: &StrBytes,
    request: &Req,
) -> std::result::Result<BytesMut, String> {
    let header = RequestHeader::default()
        .with_request_api_key(api as i16)
        .with_request_api_version(version)
        .with_correlation_id(correlation_id)
        .with_client_id(Some(client_id.clone()));
    let mut buf = BytesMut::with_capacity(128);
    buf.put_i32(0);
    encode_request_header_into_buffer(&mut buf, &header).map_err(|e| e.to_string())?;
    request
        .encode(&mut buf, version)
        .map_err(|e| e.to_string())?;
    let size = i32::try_from(buf.len() - 4).map_err(|_| "request too large".to_string())?;
    buf[..4].copy_from_slice(&size.to_be_bytes());
    Ok(buf)
}

fn fail_all(pending: &Mutex<Pending>, why: &str) {
    let waiters = match pending.lock() {
        Ok(mut p) => {
            if p.closed.is_none() {
                p.closed = Some(why.to_string());
            }
            std::mem::take(&mut p.waiters)
        }
        Err(_) => return,
    };
    for (_, waiter) in waiters {
        // The requester may have given up (timeout, cancelled join): nothing to tell it then.
        let _ = waiter.send(Err(Error::external(why.to_string(), true)));
    }
}

async fn read_loop(addr: String, mut read: OwnedReadHalf, pending: Arc<Mutex<Pending>>) {
    let why = loop {
        let size = match read.read_i32().await {
            Ok(n) => n,
            Err(e) => break format!("Kafka broker {addr}: connection lost: {e}"),
        };
        let size = match usize::try_from(size) {
            Ok(n) if (4..=MAX_FRAME).contains(&n) => n,
            _ => break format!("Kafka broker {addr}: bad response frame size {size}"),
        };
        let mut frame = vec![0u8; size];
        if let Err(e) = read.read_exact(&mut frame).await {
            break format!("Kafka broker {addr}: connection lost: {e}");
        }
        let frame = Bytes::from(frame);
        // Every response header starts with the int32 correlation id.
        let correlation_id = (&frame[..4]).get_i32();
        let waiter = match pending.lock() {
            Ok(mut p) => p.waiters.remove(&correlation_id),
            Err(_) => break "connection state poisoned".to_string(),
        };
        match waiter {
            Some(w) => {
                let _ = w.send(Ok(frame));
            }
            None => {
                // A response to a request nobody sent breaks the stream's framing guarantees.
                break format!(
                    "Kafka broker {addr}: response with unknown correlation id {correlation_id}"
                );
            }
        }
    };
    tracing::debug!("{why}");
    fail_all(&pending, &why);
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::{HeartbeatRequest, HeartbeatResponse};
    use tokio::net::TcpListener;

    /// Reads one request frame and returns its correlation id.
    async fn read_request(stream: &mut TcpStream) -> i32 {
        let size = stream.read_i32().await.unwrap();
        let mut frame = vec![0u8; size as usize];
        stream.read_exact(&mut frame).await.unwrap();
        let mut b = &frame[..];
        assert_eq!(b.get_i16(), ApiKey::Heartbeat as i16);
        assert_eq!(b.get_i16(), 0);
        b.get_i32()
    }

    /// A Heartbeat v0 response: header (correlation id), error code.
    fn response(correlation_id: i32, error: i16) -> Vec<u8> {
        let mut out = Vec::new();
        out.put_i32(6);
        out.put_i32(correlation_id);
        out.put_i16(error);
        out
    }

    async fn pair() -> (Connection, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let client = TcpStream::connect(&addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        (Connection::from_stream(&addr, "t", client), server)
    }

    fn heartbeat(member: &str) -> HeartbeatRequest {
        HeartbeatRequest::default().with_member_id(StrBytes::from_string(member.to_string()))
    }

    #[tokio::test]
    async fn responses_reach_their_requests_by_correlation_id_even_split_and_reordered() {
        let (conn, mut server) = pair().await;
        let t = Duration::from_secs(5);
        let server = tokio::spawn(async move {
            let a = read_request(&mut server).await;
            let b = read_request(&mut server).await;
            assert_ne!(a, b);
            // Answer in reverse order, one byte per write, error code = 100 + correlation id.
            let mut bytes = response(b, 100 + b as i16);
            bytes.extend(response(a, 100 + a as i16));
            for byte in bytes {
                server.write_all(&[byte]).await.unwrap();
                server.flush().await.unwrap();
            }
            server
        });
        let (a, b) = (heartbeat("a"), heartbeat("b"));
        let first = conn.request::<_, HeartbeatResponse>(ApiKey::Heartbeat, 0, &a, t);
        let second = conn.request::<_, HeartbeatResponse>(ApiKey::Heartbeat, 0, &b, t);
        let (first, second) = tokio::join!(first, second);
        let _server = server.await.unwrap();
        let (first, second) = (first.unwrap(), second.unwrap());
        assert_ne!(first.error_code, second.error_code);
        // Correlation ids are handed out in order from 0, whoever wrote first.
        let mut codes = [first.error_code, second.error_code];
        codes.sort_unstable();
        assert_eq!(codes, [100, 101]);
        assert!(!conn.is_closed());
    }

    #[tokio::test]
    async fn request_frame_has_size_header_and_client_id() {
        let frame = encode_frame(
            ApiKey::Heartbeat,
            0,
            42,
            &StrBytes::from_static_str("cid"),
            &heartbeat("m"),
        )
        .unwrap();
        let mut b = &frame[..];
        assert_eq!(b.get_i32() as usize, frame.len() - 4);
        assert_eq!(b.get_i16(), 12);
        assert_eq!(b.get_i16(), 0);
        assert_eq!(b.get_i32(), 42);
        assert_eq!(b.get_i16(), 3);
        assert_eq!(&b[..3], b"cid");
    }

    #[tokio::test]
    async fn an_unknown_correlation_id_closes_the_connection() {
        let (conn, mut server) = pair().await;
        let server = tokio::spawn(async move {
            let id = read_request(&mut server).await;
            server.write_all(&response(id + 1000, 0)).await.unwrap();
            server
        });
        let result = conn
            .request::<_, HeartbeatResponse>(
                ApiKey::Heartbeat,
                0,
                &heartbeat("a"),
                Duration::from_secs(5),
            )
            .await;
        let _server = server.await.unwrap();
        let err = result.unwrap_err();
        assert!(
            err.message().contains("unknown correlation id"),
            "{}",
            err.message()
        );
        assert!(conn.is_closed());
        let again = conn
            .request::<_, HeartbeatResponse>(
                ApiKey::Heartbeat,
                0,
                &heartbeat("a"),
                Duration::from_secs(5),
            )
            .await;
        assert!(again.is_err(), "a closed connection fails at once");
    }

    #[tokio::test]
    async fn a_request_without_answer_times_out() {
        let (conn, server) = pair().await;
        let err = conn
            .request::<_, HeartbeatResponse>(
                ApiKey::Heartbeat,
                0,
                &heartbeat("a"),
                Duration::from_millis(50),
            )
            .await
            .unwrap_err();
        drop(server);
        assert!(err.is_retriable());
        assert!(err.message().contains("timed out"), "{}", err.message());
    }

    #[test]
    fn version_is_the_highest_common_one() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let (mut conn, _server) = pair().await;
            conn.broker_versions
                .insert(ApiKey::JoinGroup as i16, (2, 100));
            conn.broker_versions
                .insert(ApiKey::SyncGroup as i16, (0, 3));
            conn.broker_versions
                .insert(ApiKey::Heartbeat as i16, (50, 60));
            assert_eq!(
                conn.version(ApiKey::JoinGroup).unwrap(),
                ApiKey::JoinGroup.valid_versions().max
            );
            assert_eq!(conn.version(ApiKey::SyncGroup).unwrap(), 3);
            assert!(conn.version(ApiKey::Heartbeat).is_err());
            assert!(conn.version(ApiKey::LeaveGroup).is_err());
        });
    }
}
