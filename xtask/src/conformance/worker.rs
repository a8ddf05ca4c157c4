//! The workers under test that this command starts itself, as child processes: Strait
//! (standalone or distributed) and Apache Kafka Connect JVMs (`ConnectDistributed` for the
//! distributed scenario, `ConnectStandalone` on HTTPS for the secure one). Each is stopped when its guard is dropped (TERM, then KILL), so
//! an error or a panic half-way through leaves no process behind.

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::say;
use crate::services::kafka;
use crate::util::{self, Ctx};

/// A port nobody listens on right now (the OS picks it).
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// One worker process; stopped on drop.
pub struct Worker {
    pub label: &'static str,
    pub host_port: String,
    pub log: PathBuf,
    child: Option<Child>,
}

impl Worker {
    /// Spawn `cmd` with its output going to `log`.
    pub fn spawn(
        label: &'static str,
        mut cmd: Command,
        host_port: &str,
        log: PathBuf,
    ) -> Result<Worker> {
        if util::tcp_open(host_port) {
            bail!("{host_port} is already in use");
        }
        let out = fs::File::create(&log)?;
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .with_context(|| format!("start {label}: {}", util::describe(&cmd)))?;
        Ok(Worker {
            label,
            host_port: host_port.to_string(),
            log,
            child: Some(child),
        })
    }

    /// Wait until `GET /` (and `GET /health` when `health`: a distributed worker has read its
    /// internal topics and joined its group) answer 200; stops the worker if it never does.
    pub fn wait_ready(&mut self, timeout: Duration, health: bool) -> Result<()> {
        let host_port = self.host_port.clone();
        self.wait_for(timeout, move || {
            let answers = |path: &str| matches!(util::http_get(&host_port, path), Ok((200, _)));
            answers("/") && (!health || answers("/health"))
        })
    }

    /// Wait until `ready` holds (polled every 200 ms); stops the worker if it exits first or
    /// the time runs out.
    pub fn wait_for(&mut self, timeout: Duration, mut ready: impl FnMut() -> bool) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(c) = self.child.as_mut() {
                if let Ok(Some(status)) = c.try_wait() {
                    self.child = None;
                    bail!(
                        "{} exited with {status} before it was ready\n{}",
                        self.label,
                        util::log_report(&self.log, 30)
                    );
                }
            }
            if ready() {
                say!(
                    "conformance: {} up on {} (log {})",
                    self.label,
                    self.host_port,
                    self.log.display()
                );
                return Ok(());
            }
            if Instant::now() > deadline {
                self.stop();
                bail!(
                    "{} did not answer on {} within {timeout:?}\n{}",
                    self.label,
                    self.host_port,
                    util::log_report(&self.log, 30)
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = util::signal(c.id(), "TERM");
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = c.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            say!(
                "conformance: {} did not stop on TERM; killing it",
                self.label
            );
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The `strait` binary `cargo build -p strait` made.
pub fn strait_bin(ctx: &Ctx) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| ctx.root.join("target"));
    target.join("debug").join("strait")
}

/// `strait <mode> <worker file>`, logging at the reference workers' root level (WARN).
pub fn strait(
    ctx: &Ctx,
    mode: &str,
    worker_file: &Path,
    host_port: &str,
    log: PathBuf,
) -> Result<Worker> {
    strait_with(ctx, mode, worker_file, host_port, log, &[])
}

/// [`strait`] with more environment variables (`KAFKA_OPTS`).
pub fn strait_with(
    ctx: &Ctx,
    mode: &str,
    worker_file: &Path,
    host_port: &str,
    log: PathBuf,
    env: &[(&str, String)],
) -> Result<Worker> {
    let mut cmd = Command::new(strait_bin(ctx));
    cmd.arg(mode).arg(worker_file).env("STRAIT_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let label = if mode == "standalone" {
        "strait"
    } else {
        "strait distributed"
    };
    Worker::spawn(label, cmd, host_port, log)
}

/// A distributed worker's properties: the same for Java and Strait but for the group, the
/// internal topics and the port. The converters, flush interval and JSON schemas are the
/// standalone reference worker's; one worker, so replication factor 1, and a departed
/// member's work need not wait the default 5 minutes.
pub fn distributed_properties(bootstrap: &str, group: &str, port: u16) -> String {
    format!(
        "# Written by `cargo xtask conformance`.\n\
         bootstrap.servers={bootstrap}\n\
         group.id={group}\n\
         config.storage.topic={group}-configs\n\
         config.storage.replication.factor=1\n\
         offset.storage.topic={group}-offsets\n\
         offset.storage.replication.factor=1\n\
         offset.storage.partitions=3\n\
         status.storage.topic={group}-status\n\
         status.storage.replication.factor=1\n\
         status.storage.partitions=2\n\
         key.converter=org.apache.kafka.connect.json.JsonConverter\n\
         value.converter=org.apache.kafka.connect.json.JsonConverter\n\
         key.converter.schemas.enable=true\n\
         value.converter.schemas.enable=true\n\
         listeners=http://127.0.0.1:{port}\n\
         rest.advertised.host.name=127.0.0.1\n\
         rest.advertised.port={port}\n\
         offset.flush.interval.ms=1000\n\
         scheduled.rebalance.max.delay.ms=2000\n\
         task.shutdown.graceful.timeout.ms=2000\n\
         # Kafka's own plugins all ship ServiceLoader manifests; skips the classpath scan.\n\
         plugin.discovery=service_load\n"
    )
}

/// One `ConnectDistributed` 4.1.2 JVM from the broker's `libs/`, with a small heap (the
/// machine running CI is small, and one worker with a few FileStream connectors needs little).
pub fn java_distributed(
    ctx: &Ctx,
    dir: &Path,
    worker_file: &Path,
    host_port: &str,
) -> Result<Worker> {
    java_worker(
        ctx,
        JavaWorker {
            label: "java distributed",
            main: "org.apache.kafka.connect.cli.ConnectDistributed",
            dir,
            worker_file,
            host_port,
            system_properties: &[],
            extra_jars: None,
        },
    )
}

/// A Java Connect worker to start: its main class, work directory, worker file and REST
/// address, more `-D` system properties, and a directory of jars to add to the classpath.
pub struct JavaWorker<'a> {
    pub label: &'static str,
    pub main: &'a str,
    pub dir: &'a Path,
    pub worker_file: &'a Path,
    pub host_port: &'a str,
    pub system_properties: &'a [(&'a str, String)],
    pub extra_jars: Option<&'a Path>,
}

/// A Connect 4.1.2 JVM (standalone or distributed) from the broker's `libs/` with a small heap,
/// logging as the standalone reference worker does (root WARN, which `/admin/loggers` reports).
pub fn java_worker(ctx: &Ctx, w: JavaWorker) -> Result<Worker> {
    let libs = kafka::home(ctx).join("libs");
    if !libs.join("connect-runtime-4.1.2.jar").is_file() {
        bail!(
            "Kafka 4.1.2 jars not found in {}: run `cargo xtask services up kafka`",
            libs.display()
        );
    }
    let log4j = w.dir.join("log4j2.properties");
    fs::write(&log4j, kafka::LOG4J2_PROPERTIES)?;
    let mut classpath = kafka::classpath(ctx);
    if let Some(extra) = w.extra_jars {
        classpath = format!("{classpath}:{}/*", extra.display());
    }
    let mut cmd = Command::new("java");
    cmd.args([
        "-Xms64m",
        "-Xmx256m",
        "-XX:+UseSerialGC",
        // C1 only: the worker runs for a minute, and starts noticeably faster without C2.
        "-XX:TieredStopAtLevel=1",
        "-Djava.awt.headless=true",
        // Messages of NullPointerExceptions stay the same once the JIT has compiled a hot path
        // (see services/connect_ref.rs).
        "-XX:-OmitStackTraceInFastThrow",
    ])
    .arg(format!("-Dlog4j2.configurationFile={}", log4j.display()));
    for (k, v) in w.system_properties {
        cmd.arg(format!("-D{k}={v}"));
    }
    cmd.arg("-cp")
        .arg(classpath)
        .arg(w.main)
        .arg(w.worker_file)
        .current_dir(w.dir);
    Worker::spawn(w.label, cmd, w.host_port, w.dir.join("connect.log"))
}
