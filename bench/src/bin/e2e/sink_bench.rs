//! What the benchmarks of sinks writing into a server (`kafka_to_opensearch`,
//! `kafka_to_cassandra`, `kafka_to_http`) share: refusing a Strait build without the sink,
//! pre-loading D1 into a fresh topic, starting Strait or the JVM peer on one connector config,
//! removing the topics afterwards, and finding the server's process so its CPU can be read
//! beside the sink's.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use rdkafka::admin::{AdminClient, AdminOptions};
use rdkafka::client::DefaultClientContext;
use rdkafka::ClientConfig;

use super::kafka_to_s3::{create_topics, preload};
use super::{consumer, jvm_worker, strait_worker, topic_end, Args, JSON_CONVERTERS, PEER_HEAP};

/// Refuses a Strait build that does not provide `class` (`what`, e.g. "the HTTP sink"), before
/// the run loads anything: otherwise its worker would only fail at start with an unknown
/// connector class. The message says how to run `scenario`'s JVM peer alone.
pub(super) fn ensure_strait_has(
    strait: &Path,
    class: &str,
    what: &str,
    scenario: &str,
) -> Result<()> {
    let out = Command::new(strait)
        .arg("plugins")
        .output()
        .with_context(|| format!("running {} plugins", strait.display()))?;
    ensure!(
        out.status.success(),
        "{} plugins failed ({}): {}",
        strait.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    if !String::from_utf8_lossy(&out.stdout).contains(class) {
        bail!(
            "this Strait build ({}) has no {class}: {what} is not in it yet. \
             `cargo xtask bench {scenario} --no-strait` runs the JVM peer alone.",
            strait.display()
        );
    }
    Ok(())
}

/// Creates `topic` with `a.partitions` partitions and produces `a.records` D1 records into it
/// (round-robin: record `i` lands in partition `i % partitions` at offset `i / partitions`),
/// checks the topic's end, and prints what was loaded. Returns the JSON bytes produced.
pub(super) fn preload_d1(
    a: &Args,
    rt: &tokio::runtime::Runtime,
    topic: &str,
    stamp: u64,
) -> Result<u64> {
    create_topics(a, rt, &[(topic, a.partitions)])?;
    let t0 = Instant::now();
    let json_bytes = preload(a, rt, topic)?;
    let probe = consumer(&a.bootstrap, &format!("bench-probe-{stamp}"))?;
    let end = topic_end(&probe, topic, a.partitions)?;
    ensure!(
        end == a.records,
        "pre-load: topic end is {end}, {} records were sent",
        a.records
    );
    println!(
        "Pre-loaded {} D1 records ({:.1} MB of JSON, {:.0} B each) into {topic} ({} partitions) in {:.1} s",
        a.records,
        json_bytes as f64 / 1e6,
        json_bytes as f64 / a.records as f64,
        a.partitions,
        t0.elapsed().as_secs_f64()
    );
    Ok(json_bytes)
}

/// Deletes the run's topics (they hold hundreds of MB each), reporting rather than failing: the
/// run's own outcome matters more than the clean-up's.
pub(super) fn delete_topics(a: &Args, rt: &tokio::runtime::Runtime, topics: &[&str]) {
    let admin: Result<AdminClient<DefaultClientContext>, _> = ClientConfig::new()
        .set("bootstrap.servers", &a.bootstrap)
        .create();
    let result = match admin {
        Ok(admin) => rt
            .block_on(admin.delete_topics(topics, &AdminOptions::new()))
            .map(|_| ()),
        Err(e) => Err(e),
    };
    if let Err(e) = result {
        eprintln!("deleting topics {topics:?}: {e}");
    }
}

/// The JVM peer's worker: Kafka's `libs/` and the Connect plugin directory holding the peer.
#[derive(Clone, Copy)]
pub(super) struct Peer<'a> {
    pub libs: &'a Path,
    pub plugin: &'a Path,
}

impl<'a> Peer<'a> {
    /// The peer when both directories were given.
    pub fn from_args(libs: &'a Option<PathBuf>, plugin: &'a Option<PathBuf>) -> Option<Self> {
        match (libs, plugin) {
            (Some(libs), Some(plugin)) => Some(Peer { libs, plugin }),
            _ => None,
        }
    }
}

/// Starts a standalone worker running `connector`, with schemaless JSON as the worker's
/// converters: Strait's when `peer` is None, else Apache Kafka Connect with the peer's plugin
/// directory on its `plugin.path` and the default peers' heap.
pub(super) fn start_worker(
    a: &Args,
    name: &str,
    connector: &str,
    peer: Option<Peer>,
) -> Result<(Child, PathBuf)> {
    match peer {
        None => strait_worker(a, name, connector, JSON_CONVERTERS),
        Some(p) => jvm_worker(
            a,
            p.libs,
            name,
            connector,
            &format!("{JSON_CONVERTERS}\nplugin.path={}", p.plugin.display()),
            PEER_HEAP,
        ),
    }
}

/// The server's pid: `explicit` if given, else the process listening on `port` on this
/// machine (None when it cannot be seen).
pub(super) fn server_pid(explicit: Option<u32>, port: Option<u16>) -> Option<u32> {
    explicit.or_else(|| port.and_then(listener_pid))
}

/// Waits (at most `limit`) until the process `pid` uses less than a fifth of a core over two
/// seconds, and returns how long that took. A server still flushing or compacting after the
/// previous drain would otherwise charge that work to the next one.
pub(super) fn settle(pid: u32, limit: Duration) -> Result<Duration> {
    const WINDOW: Duration = Duration::from_secs(2);
    let t0 = Instant::now();
    loop {
        let (before, _) = super::proc_usage(pid)?;
        std::thread::sleep(WINDOW);
        let (after, _) = super::proc_usage(pid)?;
        if (after - before) / WINDOW.as_secs_f64() < 0.2 || t0.elapsed() >= limit {
            return Ok(t0.elapsed());
        }
    }
}

/// The port of an `http://host:port[/…]` URL (80 or 443 when none is given).
pub(super) fn url_port(url: &str) -> Option<u16> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split('/').next()?;
    match authority.rsplit_once(':') {
        Some((_, port)) => port.parse().ok(),
        None => match scheme {
            "http" => Some(80),
            "https" => Some(443),
            _ => None,
        },
    }
}

/// The process listening on TCP `port` on this machine, from /proc/net/tcp{,6} (the socket's
/// inode) and /proc/<pid>/fd (who holds it). Only this user's processes can be seen.
pub(super) fn listener_pid(port: u16) -> Option<u32> {
    let mut inodes = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        inodes.extend(listening_inodes(&text, port));
    }
    if inodes.is_empty() {
        return None;
    }
    let wanted: Vec<String> = inodes.iter().map(|i| format!("socket:[{i}]")).collect();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            if let Ok(target) = std::fs::read_link(fd.path()) {
                if wanted.iter().any(|w| target.as_os_str() == w.as_str()) {
                    return Some(pid);
                }
            }
        }
    }
    None
}

/// Inodes of the sockets in LISTEN state (`0A`) on `port` in a /proc/net/tcp table.
fn listening_inodes(table: &str, port: u16) -> Vec<u64> {
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let local_port = f.get(1)?.rsplit_once(':')?.1;
            let listening = *f.get(3)? == "0A";
            (listening && u16::from_str_radix(local_port, 16).ok()? == port)
                .then(|| f.get(9)?.parse().ok())
                .flatten()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_ports() {
        assert_eq!(url_port("http://127.0.0.1:9240"), Some(9240));
        assert_eq!(url_port("http://localhost:9200/"), Some(9200));
        assert_eq!(url_port("https://search.example/x"), Some(443));
        assert_eq!(url_port("http://h"), Some(80));
        assert_eq!(url_port("127.0.0.1:9200"), None);
    }

    #[test]
    fn finds_listening_sockets_on_a_port() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:2398 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0000000000000000 100 0 0 10 0
   1: 0100007F:2398 0100007F:D1C2 01 00000000:00000000 00:00000000 00000000  1000        0 4343 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:2384 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4444 1 0000000000000000 100 0 0 10 0";
        // 0x2398 = 9112: the listener, not the established connection on the same port.
        assert_eq!(listening_inodes(table, 9112), vec![4242]);
        assert_eq!(listening_inodes(table, 0x2384), vec![4444]);
        assert!(listening_inodes(table, 9200).is_empty());
    }

    #[test]
    fn finds_this_process_listening() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        assert_eq!(listener_pid(port), Some(std::process::id()));
        assert_eq!(server_pid(None, Some(port)), Some(std::process::id()));
        assert_eq!(server_pid(Some(1), Some(port)), Some(1));
    }

    #[test]
    fn settles_at_once_for_an_idle_process() {
        // A sleeping child uses no CPU: the first window is quiet enough.
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let waited = settle(child.id(), Duration::from_secs(30)).unwrap();
        let _ = child.kill();
        let _ = child.wait();
        assert!(waited < Duration::from_secs(10), "waited {waited:?}");
    }
}
