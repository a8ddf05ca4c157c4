//! Apache Cassandra for the Cassandra sink's tests: 5.0.7, single node, CQL native transport on
//! 127.0.0.1:9042 (storage/gossip on 127.0.0.1:7000), run from the `org.apache.cassandra:
//! cassandra-all` jars on Maven Central (`CassandraDaemon`, foreground) on Java 17
//! (`../shared/reference/test-services.md` §3).
//!
//! Layout: `.test-services/cassandra/{pom.xml, libs/, conf/{cassandra.yaml, logback.xml,
//! jvm17.args, triggers/}, data/, tmp/, run/{cassandra.log, cassandra.pid, ctl.sh}}`. The jars
//! come with the same throwaway POM and pinned `maven-dependency-plugin` as Kafka's
//! ([`super::kafka::maven_fetch`]): `cassandra-all` declares every runtime library (netty, JNA,
//! jamm, logback, …) compile-scope, so its dependency closure is a complete classpath.
//! `libs/.complete` records the version, so a bump re-fetches. `-Dcassandra.storagedir=data/`
//! puts data, commit log, hints and saved caches under `data/`, which persists across
//! `down`/`up` (and across [`CTL_ENV`] restarts); `reset` deletes it.
//!
//! Configuration (`configure` rewrites it before each start):
//! - `conf/cassandra.yaml`: the required directives plus small caches and memtables, loopback
//!   only, one token at 0 (`num_tokens: 1`, `initial_token: 0`: a deterministic one-node ring),
//!   `auto_snapshot: false` (DROP/TRUNCATE without a snapshot each), the default
//!   `AllowAllAuthenticator` (no credentials). The cluster name is [`CLUSTER_NAME`]; the probe
//!   checks it, so a foreign server on 9042 is never mistaken for ours.
//! - `conf/jvm17.args`: the options of Cassandra 5.0's `conf/jvm17-server.options` (module
//!   exports/opens, G1) plus `-Xss256k` and IPv4 from `jvm-server.options`, one per line in the
//!   `=` form, the only one safe in a `java @argfile`. Heap 768 MB (`-Xms768m -Xmx768m`, see the
//!   measurements); `-XX:+ExitOnOutOfMemoryError` so an exhausted heap fails loudly.
//! - The jamm agent (`-javaagent:libs/jamm-0.4.0.jar`) as the stock scripts pass it.
//! - Start-up and shutdown shorteners, all read in 5.0.7's `CassandraRelevantProperties`:
//!   `cassandra.skip_wait_for_gossip_to_settle=0` (no wait for gossip to settle: there are no
//!   peers) and `cassandra.shutdown_announce_in_ms=0` (the shutdown announcement to peers sleeps
//!   2 s by default). `cassandra.ring_delay_ms` is not set: a seed that does not bootstrap never
//!   waits for it (the log of a start has no gap of that size). `cassandra.skip_sync=true`
//!   (what Cassandra's own unit tests run with) turns fsync into a no-op: schema changes, which
//!   tests make often, flush and fsync several system tables each, slow on a shared CI disk.
//!   Written data still survives a stop, even a SIGKILL (it is in the page cache); only a
//!   machine crash could lose it, which a test fixture does not care about.
//! - `logback.xml`: console only, INFO, into `run/cassandra.log`.
//! - `-Djava.io.tmpdir=tmp/` (emptied by `configure`): netty, lz4 and snappy unpack native
//!   libraries there, so a `noexec` `/tmp` cannot push them onto slower fallbacks.
//! - No JMX (`cassandra.jmx.local.port` unset), so no `nodetool`; tests use CQL.
//!
//! Readiness: `up` waits for the log line `Starting listening for CQL clients` (the native
//! transport starts last), then runs a real CQL exchange on a raw socket ([`super::cql`]:
//! protocol v4 STARTUP, then `SELECT cluster_name, release_version FROM system.local`) and
//! checks the cluster name and version. `status`/the "already up" check use the CQL exchange
//! alone; a node of another version (after a bump here) counts as unhealthy and is restarted.
//!
//! Cassandra locks its memory at start (`mlockall`, which succeeds as root), so the whole heap
//! is resident from the start: RSS is the heap plus ~450-550 MB, idle or not.
//!
//! Fault tests: while the service is up, [`CTL_ENV`] (`STRAIT_TEST_CASSANDRA_CTL`) names
//! `run/ctl.sh` ([`super::ctl`] states the contract): `ctl.sh stop` sends SIGTERM (Cassandra
//! drains: flushes memtables, then exits) and waits, SIGKILL after 60 s; `ctl.sh start`
//! launches the very command line `up` uses, detached, and waits (180 s at most) for the log
//! line and for port 9042 to accept (through `bash`'s `/dev/tcp`); `ctl.sh status` prints up or
//! down. A test should still retry its first query after `start`.
//!
//! ```text
//! let ctl = std::env::var("STRAIT_TEST_CASSANDRA_CTL")?;   // unset: skip the test
//! assert!(std::process::Command::new(&ctl).arg("stop").status()?.success());
//! ```
//!
//! Measured on this 2-core machine while a CI rehearsal kept both cores busy (load 4-8, so
//! these are upper-end numbers): the first install took 33.5 s through `services up` with the
//! `cassandra-all` jar already in `~/.m2`, and 52 s with the same POM and plugin from an empty
//! local Maven repository (100 jars, 67 MB in `libs/`, 92 MB into `~/.m2`). A start to a CQL
//! answer takes 16-26 s on an empty `data/` (it creates the system keyspaces) and 14-20 s with
//! data (up to 27 s at load 8), through `services up` or `ctl.sh start`; at load ~2 a fresh
//! start took 20 s.
//! RSS is ~1.2-1.3 GB idle at `-Xmx768m` (1.47 GB at `-Xmx1g`) and 1.36 GB at most after
//! 100,000 1 KiB inserts from 128 concurrent requests (59 s, none failed, no GC pause logged);
//! 768 MB is kept for that reason. `ctl.sh stop` or `services down` takes 2.6-3.1 s (the drain;
//! 2 s of it is the messaging service's quiesce, 6.4 s without `shutdown_announce_in_ms=0`).
//! After a SIGKILL the next start replays the commit log and the rows are all there.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use super::ctl::{self, ctl_path, CtlSpec};
use super::{cql, jvm, Service};
use crate::util::{self, Ctx};

/// Pinned Apache Cassandra release (5.0.6 and 5.0.7 both resolve on Maven Central).
const CASSANDRA_VERSION: &str = "5.0.7";
/// The jamm (memory meter) that 5.0.7 depends on; its jar is the `-javaagent`.
const JAMM_VERSION: &str = "0.4.0";

/// CQL native transport; what tests connect to.
pub const ADDR: &str = "127.0.0.1:9042";
const NATIVE_PORT: u16 = 9042;
/// Internode storage/gossip port (a single node still binds it).
const STORAGE_ADDR: &str = "127.0.0.1:7000";
const STORAGE_PORT: u16 = 7000;
/// Distinguishes our node from any other answering on 9042.
const CLUSTER_NAME: &str = "strait-test";
const MAIN_CLASS: &str = "org.apache.cassandra.service.CassandraDaemon";
/// Logged by the native transport when it binds, the last step of a start.
const READY_LINE: &str = "Starting listening for CQL clients";
const HEAP: &str = "768m";
/// First start on a cold 2-core CI box creates every system keyspace; 20–40 s is usual.
const READY_SECS: u64 = 180;
/// SIGTERM drains (flushes memtables): seconds normally, more for big memtables.
const STOP_GRACE_SECS: u64 = 60;

/// Environment variable naming the stop/start script for fault tests.
pub const CTL_ENV: &str = "STRAIT_TEST_CASSANDRA_CTL";
/// `.test-services/cassandra/run/ctl.sh` (see [`super::ctl`]).
const CTL_PATH: &str = ctl_path!("cassandra");

/// Cassandra 5.0's `conf/jvm17-server.options` (plus `-Xss256k` and IPv4 from
/// `jvm-server.options`), in the `--opt=value` form.
const JVM17_OPTIONS: &[&str] = &[
    "-Djdk.attach.allowAttachSelf=true",
    "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
    "--add-exports=java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED",
    "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
    "--add-exports=java.rmi/sun.rmi.server=ALL-UNNAMED",
    "--add-exports=java.sql/java.sql=ALL-UNNAMED",
    "--add-exports=java.base/java.lang.ref=ALL-UNNAMED",
    "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED",
    "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
    "--add-exports=jdk.attach/sun.tools.attach=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.module=ALL-UNNAMED",
    "--add-opens=java.base/jdk.internal.loader=ALL-UNNAMED",
    "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED",
    "--add-opens=java.base/jdk.internal.reflect=ALL-UNNAMED",
    "--add-opens=java.base/jdk.internal.math=ALL-UNNAMED",
    "--add-opens=java.base/jdk.internal.module=ALL-UNNAMED",
    "--add-opens=java.base/jdk.internal.util.jar=ALL-UNNAMED",
    "--add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
    "--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.util=ALL-UNNAMED",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dio.netty.allocator.useCacheForAllThreads=true",
    "-Dio.netty.allocator.maxOrder=11",
    "-XX:+UseG1GC",
    "-XX:+ParallelRefProcEnabled",
    "-XX:MaxGCPauseMillis=300",
    "-Xss256k",
    "-Djava.net.preferIPv4Stack=true",
];

/// Console only; the readiness line comes from `PipelineConfigurator` at INFO.
const LOGBACK_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by `cargo xtask services` (cassandra); rewritten before each start. -->
<configuration>
  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%-5level %date{ISO8601} %logger{0} - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="OUT"/></root>
</configuration>
"#;

pub struct Cassandra;

impl Cassandra {
    fn conf_dir(&self, ctx: &Ctx) -> PathBuf {
        self.real_dir(ctx).join("conf")
    }
    fn data_dir(&self, ctx: &Ctx) -> PathBuf {
        self.real_dir(ctx).join("data")
    }
    fn tmp_dir(&self, ctx: &Ctx) -> PathBuf {
        self.real_dir(ctx).join("tmp")
    }
    fn libs(&self, ctx: &Ctx) -> PathBuf {
        self.real_dir(ctx).join("libs")
    }
}

fn pom() -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by `cargo xtask services`; throwaway POM that only lists the jars to fetch. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.testsvc</groupId><artifactId>cassandra-libs</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.cassandra</groupId><artifactId>cassandra-all</artifactId><version>{CASSANDRA_VERSION}</version></dependency>
  </dependencies>
</project>
"#
    )
}

/// Cassandra 5.0 runs on Java 11 or 17; the options above are 17's.
fn find_java() -> Result<PathBuf> {
    jvm::find_java(
        &format!("Apache Cassandra {CASSANDRA_VERSION}"),
        17,
        17..=17,
    )
}

/// `cassandra.yaml`, 5.0 key names. Directories come from `-Dcassandra.storagedir`.
fn cassandra_yaml() -> String {
    format!(
        "\
# Generated by `cargo xtask services` (cassandra); rewritten before each start.
cluster_name: {CLUSTER_NAME}
num_tokens: 1
initial_token: 0
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: SimpleSnitch
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: \"127.0.0.1:{STORAGE_PORT}\"
listen_address: 127.0.0.1
rpc_address: 127.0.0.1
storage_port: {STORAGE_PORT}
native_transport_port: {NATIVE_PORT}
start_native_transport: true
commitlog_sync: periodic
commitlog_sync_period: 10000ms
commitlog_segment_size: 8MiB
concurrent_compactors: 1
memtable_heap_space: 64MiB
memtable_offheap_space: 64MiB
file_cache_size: 32MiB
key_cache_size: 8MiB
auto_snapshot: false
cdc_enabled: false
"
    )
}

/// The `java @file` argument file: one option per line, nothing else (no comments: the JDK's
/// argfile syntax is not assumed to have them).
fn jvm_args_file() -> String {
    let mut s = JVM17_OPTIONS.join("\n");
    s.push('\n');
    s
}

/// `file://` URL of an absolute path (`cassandra.config` is read as a URL; a bare path would be
/// looked up on the classpath), with everything but unreserved characters and `/`
/// percent-encoded.
fn file_url(path: &Path) -> String {
    let mut url = String::from("file://");
    for b in path.display().to_string().bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            url.push(b as char);
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url
}

/// Check a `system.local` answer: our cluster, the pinned version.
fn local_ok(rows: &[cql::Row]) -> Result<()> {
    let Some(row) = rows.first() else {
        bail!("system.local returned no row");
    };
    let text = |col: &str| -> String {
        row.iter()
            .find(|(name, _)| name == col)
            .and_then(|(_, v)| v.as_deref())
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default()
    };
    let (cluster, version) = (text("cluster_name"), text("release_version"));
    if cluster != CLUSTER_NAME {
        bail!("{ADDR} answers CQL, but as cluster {cluster:?}, not {CLUSTER_NAME:?} (another server?)");
    }
    if version != CASSANDRA_VERSION {
        bail!("{ADDR} runs Cassandra {version:?}, expected {CASSANDRA_VERSION} (a stale node?)");
    }
    Ok(())
}

/// The CQL half of readiness (see the module doc).
fn cql_check() -> Result<()> {
    let rows = cql::query(
        ADDR,
        "SELECT cluster_name, release_version FROM system.local",
    )?;
    local_ok(&rows)
}

/// What Cassandra's `run/ctl.sh` differs in (see [`super::ctl`]).
fn ctl_spec(ready: &str) -> CtlSpec<'_> {
    CtlSpec {
        service: "cassandra",
        env_var: CTL_ENV,
        marker: MAIN_CLASS,
        ready,
        requires: &["bash"],
        ready_secs: READY_SECS,
        stop_grace_secs: STOP_GRACE_SECS,
    }
}

/// `ctl.sh`'s readiness check: this run's log has the readiness line and 9042 accepts (plain
/// `sh` has no TCP client; `bash`'s `/dev/tcp` is one, and Debian always has bash).
fn ctl_ready() -> String {
    let (host, port) = ADDR.split_once(':').expect("ADDR is host:port");
    format!(
        "grep -qF {line} \"$LOG\" 2>/dev/null &&\n    \
         bash -c {probe} 2>/dev/null",
        line = ctl::sh_quote(READY_LINE),
        probe = ctl::sh_quote(&format!("exec 3<>/dev/tcp/{host}/{port}")),
    )
}

impl Service for Cassandra {
    fn name(&self) -> &'static str {
        "cassandra"
    }
    fn addrs(&self) -> &'static [&'static str] {
        &[ADDR, STORAGE_ADDR]
    }
    fn env(&self) -> &'static [(&'static str, &'static str)] {
        &[("STRAIT_TEST_CASSANDRA", ADDR), (CTL_ENV, CTL_PATH)]
    }
    fn process_marker(&self) -> &'static str {
        MAIN_CLASS
    }
    fn ready_timeout(&self) -> Duration {
        Duration::from_secs(READY_SECS)
    }
    fn stop_grace(&self) -> Duration {
        Duration::from_secs(STOP_GRACE_SECS)
    }

    fn install(&self, ctx: &Ctx) -> Result<()> {
        find_java()?;
        super::kafka::maven_fetch(
            &self.dir(ctx),
            &pom(),
            "libs",
            &format!("cassandra-all={CASSANDRA_VERSION}\n"),
            &[
                format!("cassandra-all-{CASSANDRA_VERSION}.jar"),
                format!("jamm-{JAMM_VERSION}.jar"),
            ],
            &format!("Apache Cassandra {CASSANDRA_VERSION}"),
        )
    }

    fn configure(&self, ctx: &Ctx) -> Result<()> {
        let conf = self.conf_dir(ctx);
        util::write_if_changed(&conf.join("cassandra.yaml"), &cassandra_yaml())?;
        util::write_if_changed(&conf.join("logback.xml"), LOGBACK_XML)?;
        util::write_if_changed(&conf.join("jvm17.args"), &jvm_args_file())?;
        // An empty triggers directory: without one, every CREATE TABLE logs a warning.
        for dir in [conf.join("triggers"), self.data_dir(ctx)] {
            fs::create_dir_all(&dir).with_context(|| format!("mkdir {}", dir.display()))?;
        }
        // Native libraries a killed JVM left unpacked; nothing runs from here while it is down.
        let tmp = self.tmp_dir(ctx);
        if tmp.exists() {
            fs::remove_dir_all(&tmp).with_context(|| format!("rm -r {}", tmp.display()))?;
        }
        fs::create_dir_all(&tmp).with_context(|| format!("mkdir {}", tmp.display()))?;
        let cmd = self.command(ctx)?;
        ctl::write(self, ctx, &ctl_spec(&ctl_ready()), &cmd)
    }

    fn command(&self, ctx: &Ctx) -> Result<Command> {
        let conf = self.conf_dir(ctx);
        let libs = self.libs(ctx);
        let mut cmd = Command::new(find_java()?);
        cmd.arg(format!("-Xms{HEAP}"))
            .arg(format!("-Xmx{HEAP}"))
            .arg(format!("@{}", conf.join("jvm17.args").display()))
            .arg(format!(
                "-javaagent:{}",
                libs.join(format!("jamm-{JAMM_VERSION}.jar")).display()
            ))
            .args([
                "-XX:+ExitOnOutOfMemoryError",
                // No memory-mapped hsperfdata file in /tmp (stock `jvm-server.options` too).
                "-XX:+PerfDisableSharedMem",
                "-Dcassandra-foreground=yes",
                "-Dcassandra.skip_wait_for_gossip_to_settle=0",
                "-Dcassandra.shutdown_announce_in_ms=0",
                "-Dcassandra.skip_sync=true",
            ])
            .arg(format!(
                "-Dcassandra.config={}",
                file_url(&conf.join("cassandra.yaml"))
            ))
            .arg(format!(
                "-Dcassandra.storagedir={}",
                self.data_dir(ctx).display()
            ))
            .arg(format!(
                "-Dcassandra.triggers_dir={}",
                conf.join("triggers").display()
            ))
            .arg(format!(
                "-Dlogback.configurationFile={}",
                conf.join("logback.xml").display()
            ))
            .arg(format!("-Djava.io.tmpdir={}", self.tmp_dir(ctx).display()))
            .arg("-cp")
            .arg(format!("{}/*", libs.display()))
            .arg(MAIN_CLASS)
            .current_dir(self.real_dir(ctx));
        Ok(cmd)
    }

    fn probe(&self, ctx: &Ctx) -> Result<bool> {
        if !util::file_contains(&self.log_file(ctx), READY_LINE) {
            bail!("log line '{READY_LINE}' not seen yet");
        }
        cql_check().context("CQL query of system.local")?;
        Ok(true)
    }

    fn healthy(&self, _ctx: &Ctx) -> bool {
        cql_check().is_ok()
    }

    fn data_dirs(&self, ctx: &Ctx) -> Vec<PathBuf> {
        vec![self.data_dir(ctx)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::cql::tests::{response, rows_body, serve_once};

    #[test]
    fn ctl_path_is_the_services_dir_one() {
        let ctx = Ctx::new().unwrap();
        let spelled = CTL_PATH.replace("/xtask/../", "/");
        assert_eq!(PathBuf::from(spelled), ctl::ctl_file(&Cassandra, &ctx));
    }

    #[test]
    fn yaml_names_our_ports_and_cluster_once_each() {
        let y = cassandra_yaml();
        assert!(!y.contains('\t'), "YAML forbids tabs");
        let keys: Vec<&str> = y
            .lines()
            .filter(|l| !l.starts_with([' ', '#', '-']) && !l.is_empty())
            .map(|l| l.split(':').next().unwrap())
            .collect();
        let mut unique = keys.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), keys.len(), "duplicate key in {keys:?}");
        // Every directive Cassandra refuses to start without.
        for k in [
            "commitlog_sync",
            "partitioner",
            "endpoint_snitch",
            "seed_provider",
        ] {
            assert!(keys.contains(&k), "{k} missing");
        }
        assert!(ADDR.ends_with(&format!(":{NATIVE_PORT}")));
        assert!(STORAGE_ADDR.ends_with(&format!(":{STORAGE_PORT}")));
        assert!(y.contains(&format!("native_transport_port: {NATIVE_PORT}\n")));
        assert!(y.contains(&format!("seeds: \"127.0.0.1:{STORAGE_PORT}\"")));
        assert!(y.contains(&format!("cluster_name: {CLUSTER_NAME}\n")));
    }

    #[test]
    fn argfile_is_one_plain_option_per_line() {
        let f = jvm_args_file();
        assert!(f.ends_with('\n'));
        for line in f.lines() {
            assert!(line.starts_with('-'), "{line:?}");
            // Whitespace would split an option; quotes and `#` are argfile syntax.
            assert!(!line.contains([' ', '\t', '"', '\'', '#']), "{line:?}");
            if line.starts_with("--add-") {
                assert!(line.contains('='), "{line:?} needs the = form");
            }
        }
        assert_eq!(f.lines().count(), JVM17_OPTIONS.len());
    }

    #[test]
    fn config_url_is_percent_encoded() {
        assert_eq!(
            file_url(Path::new("/a b/c%d/cassandra.yaml")),
            "file:///a%20b/c%25d/cassandra.yaml"
        );
        assert_eq!(file_url(Path::new("/x/y_z-1.yaml")), "file:///x/y_z-1.yaml");
    }

    #[test]
    fn command_line_points_at_the_generated_files() {
        let ctx = Ctx::new().unwrap();
        let Ok(cmd) = Cassandra.command(&ctx) else {
            return; // No Java 17 on this machine: nothing to check.
        };
        let args: Vec<String> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let conf = Cassandra.conf_dir(&ctx);
        assert!(args.contains(&format!("@{}", conf.join("jvm17.args").display())));
        assert!(args.contains(&format!(
            "-Dcassandra.config={}",
            file_url(&conf.join("cassandra.yaml"))
        )));
        assert_eq!(args.last().map(String::as_str), Some(MAIN_CLASS));
        // Options before the main class; the heap flags before the argfile.
        assert!(args[0].starts_with("-Xms") && args[1].starts_with("-Xmx"));
    }

    #[test]
    fn local_row_must_be_our_cluster_and_version() {
        let row = |cluster: Option<&str>, version: Option<&str>| -> Vec<cql::Row> {
            vec![vec![
                (
                    "cluster_name".into(),
                    cluster.map(|c| c.as_bytes().to_vec()),
                ),
                (
                    "release_version".into(),
                    version.map(|v| v.as_bytes().to_vec()),
                ),
            ]]
        };
        assert!(local_ok(&row(Some(CLUSTER_NAME), Some(CASSANDRA_VERSION))).is_ok());
        assert!(local_ok(&row(Some("Test Cluster"), Some(CASSANDRA_VERSION))).is_err());
        assert!(local_ok(&row(Some(CLUSTER_NAME), Some("5.0.6"))).is_err());
        assert!(local_ok(&row(None, Some(CASSANDRA_VERSION))).is_err());
        assert!(local_ok(&[]).is_err());
    }

    #[test]
    fn system_local_query_through_a_socket_double() {
        let addr = serve_once(response(
            0,
            0x08,
            &rows_body(
                &["cluster_name", "release_version"],
                &[&[Some(CLUSTER_NAME), Some(CASSANDRA_VERSION)]],
            ),
        ));
        let rows = cql::query(
            &addr,
            "SELECT cluster_name, release_version FROM system.local",
        )
        .unwrap();
        assert!(local_ok(&rows).is_ok());
    }

    #[test]
    fn ctl_script_waits_for_the_log_line_and_the_port() {
        let mut cmd = Command::new("/usr/bin/java");
        cmd.args(["-cp", "/x/libs/*", MAIN_CLASS]).current_dir("/x");
        let ready = ctl_ready();
        let s = ctl::script(
            &ctl_spec(&ready),
            &cmd,
            Path::new("/x/run"),
            Path::new("/x/run/cassandra.pid"),
            Path::new("/x/run/cassandra.log"),
        );
        assert!(s.contains("grep -qF 'Starting listening for CQL clients' \"$LOG\""));
        assert!(s.contains("bash -c 'exec 3<>/dev/tcp/127.0.0.1/9042'"));
        assert!(s.contains("($STRAIT_TEST_CASSANDRA_CTL)"));
        let st = Command::new("sh").args(["-n", "-c", &s]).status().unwrap();
        assert!(st.success());
    }
}
