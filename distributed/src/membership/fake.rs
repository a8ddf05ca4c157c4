//! A scripted group coordinator on a local TCP port, for the membership tests.
//!
//! It speaks Kafka's framing and advertises only old, non-flexible API versions (ApiVersions v0,
//! FindCoordinator v2, JoinGroup v5, SyncGroup v3, Heartbeat v3, LeaveGroup v3), so the client
//! must negotiate down, and the fake can read requests and write responses by hand: its codec
//! is independent of kafka-protocol's (whose request decoders need the `broker` feature this
//! crate does not enable), so it also checks the bytes the client puts on the wire.

use std::sync::{Arc, Mutex};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A request as the fake read it.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Req {
    FindCoordinator {
        key: String,
        key_type: i8,
    },
    Join {
        client_id: Option<String>,
        group: String,
        session_timeout: i32,
        rebalance_timeout: i32,
        member_id: String,
        instance_id: Option<String>,
        protocol_type: String,
        protocols: Vec<(String, Bytes)>,
    },
    Sync {
        group: String,
        generation: i32,
        member_id: String,
        assignments: Vec<(String, Bytes)>,
    },
    Heartbeat {
        group: String,
        generation: i32,
        member_id: String,
    },
    Leave {
        group: String,
        members: Vec<String>,
    },
}

/// A scripted answer.
#[derive(Debug, Clone)]
pub(super) enum Resp {
    Join {
        error: i16,
        generation: i32,
        protocol: String,
        leader: String,
        member_id: String,
        members: Vec<(String, Bytes)>,
    },
    Sync {
        error: i16,
        assignment: Bytes,
    },
    /// Heartbeat or LeaveGroup answer.
    Error(i16),
    /// No answer at all (the request times out).
    Silence,
}

pub(super) type Script = Box<dyn FnMut(&Req) -> Resp + Send>;

/// The running fake: its address and every request it read (ApiVersions aside).
pub(super) struct Fake {
    pub addr: String,
    pub log: Arc<Mutex<Vec<Req>>>,
}

impl Fake {
    pub async fn start(script: Script) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        let log = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(script));
        let (l, a) = (log.clone(), addr.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, a.clone(), l.clone(), script.clone()));
            }
        });
        Fake { addr, log }
    }

    pub fn requests(&self) -> Vec<Req> {
        self.log.lock().expect("log").clone()
    }
}

/// The body of a fake broker's ApiVersions answer advertising `(api key, max version)` pairs: a
/// request above v0 gets UNSUPPORTED_VERSION in v0 form, as real brokers answer (KIP-511).
pub(crate) fn api_versions_answer(out: &mut BytesMut, version: i16, advertised: &[(i16, i16)]) {
    out.put_i16(if version > 0 { 35 } else { 0 });
    out.put_i32(advertised.len() as i32);
    for &(key, max) in advertised {
        out.put_i16(key);
        out.put_i16(0);
        out.put_i16(max);
    }
}

const ADVERTISED: [(i16, i16); 6] = [(18, 0), (10, 2), (11, 5), (14, 3), (12, 3), (13, 3)];

async fn serve(
    mut stream: TcpStream,
    addr: String,
    log: Arc<Mutex<Vec<Req>>>,
    script: Arc<Mutex<Script>>,
) {
    loop {
        let Ok(size) = stream.read_i32().await else {
            return;
        };
        let mut frame = vec![0u8; size as usize];
        if stream.read_exact(&mut frame).await.is_err() {
            return;
        }
        let mut b = Bytes::from(frame);
        let api = b.get_i16();
        let version = b.get_i16();
        let correlation = b.get_i32();
        let mut out = BytesMut::new();
        out.put_i32(correlation);
        if api == 18 {
            api_versions_answer(&mut out, version, &ADVERTISED);
            send(&mut stream, out).await;
            continue;
        }
        let max = ADVERTISED.iter().find(|(k, _)| *k == api).map(|(_, m)| *m);
        assert_eq!(
            Some(version),
            max,
            "client must use the highest common version of api {api}"
        );
        let client_id = nullable_string(&mut b);
        let req = match api {
            10 => Req::FindCoordinator {
                key: string(&mut b),
                key_type: b.get_i8(),
            },
            11 => Req::Join {
                client_id,
                group: string(&mut b),
                session_timeout: b.get_i32(),
                rebalance_timeout: b.get_i32(),
                member_id: string(&mut b),
                instance_id: nullable_string(&mut b),
                protocol_type: string(&mut b),
                protocols: (0..b.get_i32())
                    .map(|_| (string(&mut b), bytes(&mut b)))
                    .collect(),
            },
            14 => Req::Sync {
                group: string(&mut b),
                generation: b.get_i32(),
                member_id: string(&mut b),
                assignments: {
                    let _instance = nullable_string(&mut b);
                    (0..b.get_i32())
                        .map(|_| (string(&mut b), bytes(&mut b)))
                        .collect()
                },
            },
            12 => {
                let req = Req::Heartbeat {
                    group: string(&mut b),
                    generation: b.get_i32(),
                    member_id: string(&mut b),
                };
                assert_eq!(nullable_string(&mut b), None, "no static membership");
                req
            }
            13 => Req::Leave {
                group: string(&mut b),
                members: (0..b.get_i32())
                    .map(|_| {
                        let m = string(&mut b);
                        let _instance = nullable_string(&mut b);
                        m
                    })
                    .collect(),
            },
            other => panic!("fake coordinator: unexpected api {other}"),
        };
        assert!(!b.has_remaining(), "request {req:?} has trailing bytes");
        log.lock().expect("log").push(req.clone());
        if let Req::FindCoordinator { .. } = req {
            let (host, port) = addr.rsplit_once(':').expect("addr");
            out.put_i32(0); // throttle
            out.put_i16(0);
            put_nullable_string(&mut out, None);
            out.put_i32(1); // node id
            put_string(&mut out, host);
            out.put_i32(port.parse().expect("port"));
            send(&mut stream, out).await;
            continue;
        }
        let resp = (script.lock().expect("script"))(&req);
        match resp {
            Resp::Silence => continue,
            Resp::Join {
                error,
                generation,
                protocol,
                leader,
                member_id,
                members,
            } => {
                out.put_i32(0);
                out.put_i16(error);
                out.put_i32(generation);
                put_string(&mut out, &protocol);
                put_string(&mut out, &leader);
                put_string(&mut out, &member_id);
                out.put_i32(members.len() as i32);
                for (id, metadata) in members {
                    put_string(&mut out, &id);
                    put_nullable_string(&mut out, None);
                    out.put_i32(metadata.len() as i32);
                    out.put_slice(&metadata);
                }
            }
            Resp::Sync { error, assignment } => {
                out.put_i32(0);
                out.put_i16(error);
                out.put_i32(assignment.len() as i32);
                out.put_slice(&assignment);
            }
            Resp::Error(error) => {
                out.put_i32(0);
                out.put_i16(error);
                if let Req::Leave { members, .. } = &req {
                    out.put_i32(members.len() as i32);
                    for m in members {
                        put_string(&mut out, m);
                        put_nullable_string(&mut out, None);
                        out.put_i16(0);
                    }
                }
            }
        }
        send(&mut stream, out).await;
    }
}

async fn send(stream: &mut TcpStream, body: BytesMut) {
    let mut frame = BytesMut::new();
    frame.put_i32(body.len() as i32);
    frame.put_slice(&body);
    let _ = stream.write_all(&frame).await;
}

fn string(b: &mut Bytes) -> String {
    let n = b.get_i16() as usize;
    String::from_utf8(b.split_to(n).to_vec()).expect("utf8")
}

fn nullable_string(b: &mut Bytes) -> Option<String> {
    let n = b.get_i16();
    (n >= 0).then(|| String::from_utf8(b.split_to(n as usize).to_vec()).expect("utf8"))
}

fn bytes(b: &mut Bytes) -> Bytes {
    let n = b.get_i32() as usize;
    b.split_to(n)
}

fn put_string(out: &mut BytesMut, s: &str) {
    out.put_i16(s.len() as i16);
    out.put_slice(s.as_bytes());
}

fn put_nullable_string(out: &mut BytesMut, s: Option<&str>) {
    match s {
        Some(s) => put_string(out, s),
        None => out.put_i16(-1),
    }
}
