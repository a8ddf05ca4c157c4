//! A Confluent-compatible schema registry for the Avro/Protobuf/JSON Schema converters' tests:
//! Apicurio Registry 3.3.3 (its `/apis/ccompat/v7` API speaks Confluent's REST dialect), from
//! Maven Central, on 127.0.0.1:8081 (`../shared/reference/test-services.md` §6.3).
//!
//! Why not Confluent's own registry: it is not published on Maven Central. Apicurio's app module
//! attaches its Quarkus application as a `tar.gz` (classifier `all`); it is fetched once with
//! `maven-dependency-plugin:copy`, unpacked into `app/`, and `app/.complete` records the version
//! so a bump re-fetches. Storage is Apicurio's default, H2 in memory: every start is empty and
//! `reset` is a restart. Quarkus' management interface (default port 9000, which would collide
//! with MinIO-style services) is moved to 127.0.0.1:9091.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::jvm::release_major;
use super::Service;
use crate::say;
use crate::util::{self, fmt_dur, Ctx};

/// Pinned Apicurio Registry release (test-services.md §6.3 checked it on Maven Central).
const APICURIO_VERSION: &str = "3.3.3";
/// Pinned so the plugin version does not float (same as the Kafka service).
const DEPENDENCY_PLUGIN: &str = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1";

const ADDR: &str = "127.0.0.1:8081";
/// The Confluent-compatible API's base URL (what `schema.registry.url` names).
pub const URL: &str = "http://127.0.0.1:8081/apis/ccompat/v7";
const MANAGEMENT_ADDR: &str = "127.0.0.1:9091";
/// The Confluent-compatible API root; tests point their `schema.registry.url` at it.
const CCOMPAT: &str = "/apis/ccompat/v7";

pub struct SchemaRegistry;

impl SchemaRegistry {
    fn app_dir(&self, ctx: &Ctx) -> PathBuf {
        self.dir(ctx).join("app")
    }
}

/// Apicurio 3.3.3 is compiled for Java 21 (class file 65); the machine's default `java` may be 17.
const MIN_JAVA: u32 = 21;

/// A `java` of at least [`MIN_JAVA`]: `$JAVA_HOME`, then the one on `PATH`, then the newest
/// under `/usr/lib/jvm` (the polyglot machine has a Temurin JDK there beside Debian's 17).
fn find_java() -> Result<PathBuf> {
    let mut homes: Vec<PathBuf> = Vec::new();
    if let Some(h) = std::env::var_os("JAVA_HOME") {
        homes.push(PathBuf::from(h));
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let java = dir.join("java");
            // `<home>/bin/java`, usually behind alternatives symlinks.
            if let Ok(real) = fs::canonicalize(&java) {
                if let Some(home) = real.parent().and_then(Path::parent) {
                    homes.push(home.to_path_buf());
                }
            }
        }
    }
    let mut system: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/jvm")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| release_major(&e.path()).map(|v| (v, e.path())))
        .collect();
    system.sort();
    homes.extend(system.into_iter().rev().map(|(_, p)| p));
    for home in &homes {
        let java = home.join("bin/java");
        if release_major(home).is_some_and(|v| v >= MIN_JAVA) && java.exists() {
            return Ok(java);
        }
    }
    bail!(
        "Apicurio Registry {APICURIO_VERSION} needs Java {MIN_JAVA}+; none found in $JAVA_HOME, \
         on PATH or under /usr/lib/jvm (looked at: {})",
        homes
            .iter()
            .map(|h| h.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// The first `quarkus-run.jar` under `dir` (the archive nests it in a versioned folder).
fn find_run_jar(dir: &Path) -> Option<PathBuf> {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n == "quarkus-run.jar") {
                return Some(p);
            }
        }
    }
    None
}

impl Service for SchemaRegistry {
    fn name(&self) -> &'static str {
        "schema-registry"
    }
    fn addrs(&self) -> &'static [&'static str] {
        &[ADDR, MANAGEMENT_ADDR]
    }
    fn env(&self) -> &'static [(&'static str, &'static str)] {
        &[("STRAIT_TEST_SCHEMA_REGISTRY", URL)]
    }
    fn process_marker(&self) -> &'static str {
        "schema-registry/app/"
    }
    fn ready_timeout(&self) -> Duration {
        Duration::from_secs(90)
    }

    fn install(&self, ctx: &Ctx) -> Result<()> {
        let home = self.dir(ctx);
        let app = self.app_dir(ctx);
        let marker = format!("apicurio-registry-app={APICURIO_VERSION}\n");
        let marker_file = app.join(".complete");
        if fs::read_to_string(&marker_file).ok().as_deref() == Some(marker.as_str())
            && find_run_jar(&app).is_some()
        {
            return Ok(());
        }
        find_java()?;
        util::require_tool("mvn", "install Maven 3.x (Debian: maven)")?;
        util::require_tool("tar", "install tar")?;
        fs::create_dir_all(&home)?;
        // Fetch and unpack into a scratch folder, then swap it in whole: an interrupted
        // install never leaves a half-unpacked app behind a valid marker.
        let tmp = home.join("app.tmp");
        if tmp.exists() {
            fs::remove_dir_all(&tmp)?;
        }
        fs::create_dir_all(&tmp)?;
        say!("schema-registry: fetching Apicurio Registry {APICURIO_VERSION} with Maven (first run only, ~160 MB)…");
        let t0 = Instant::now();
        util::run_quiet(
            Command::new("mvn")
                .current_dir(&home)
                .args(["-B", "-q"])
                .arg(format!("{DEPENDENCY_PLUGIN}:copy"))
                .arg(format!(
                    "-Dartifact=io.apicurio:apicurio-registry-app:{APICURIO_VERSION}:tar.gz:all"
                ))
                .arg("-DoutputDirectory=app.tmp"),
        )?;
        let tarball = tmp.join(format!(
            "apicurio-registry-app-{APICURIO_VERSION}-all.tar.gz"
        ));
        if !tarball.exists() {
            bail!("Maven finished but {} is missing", tarball.display());
        }
        util::run_quiet(
            Command::new("tar")
                .arg("-xzf")
                .arg(&tarball)
                .arg("-C")
                .arg(&tmp),
        )?;
        // Maven's local repository keeps a copy; this one would only double the disk use.
        fs::remove_file(&tarball)?;
        if find_run_jar(&tmp).is_none() {
            bail!("no quarkus-run.jar in the unpacked {}", tarball.display());
        }
        if app.exists() {
            fs::remove_dir_all(&app)?;
        }
        fs::rename(&tmp, &app)?;
        util::write_if_changed(&marker_file, &marker)?;
        say!(
            "schema-registry: Apicurio Registry {APICURIO_VERSION} installed in {}",
            fmt_dur(t0.elapsed())
        );
        Ok(())
    }

    fn configure(&self, _ctx: &Ctx) -> Result<()> {
        // Everything is set through environment variables in `command`; storage is in memory.
        Ok(())
    }

    fn command(&self, ctx: &Ctx) -> Result<Command> {
        let app = self.app_dir(ctx);
        let jar = find_run_jar(&app)
            .with_context(|| format!("no quarkus-run.jar under {}", app.display()))?;
        let mut cmd = Command::new(find_java()?);
        cmd.args(["-Xms64m", "-Xmx384m", "-Djava.awt.headless=true", "-jar"])
            .arg(&jar)
            .current_dir(self.dir(ctx))
            // Quarkus maps `quarkus.http.host` etc. to these upper-snake-case variables.
            .env("QUARKUS_HTTP_HOST", "127.0.0.1")
            .env("QUARKUS_HTTP_PORT", "8081")
            .env("QUARKUS_MANAGEMENT_HOST", "127.0.0.1")
            .env("QUARKUS_MANAGEMENT_PORT", "9091");
        Ok(cmd)
    }

    fn probe(&self, _ctx: &Ctx) -> Result<bool> {
        if !util::tcp_open(ADDR) {
            bail!("{ADDR} not accepting connections yet");
        }
        let path = format!("{CCOMPAT}/subjects");
        let (code, body) = util::http_get(ADDR, &path)?;
        if code != 200 {
            bail!("GET {path} returned {code}: {body}");
        }
        Ok(true)
    }

    fn healthy(&self, _ctx: &Ctx) -> bool {
        matches!(
            util::http_get(ADDR, &format!("{CCOMPAT}/subjects")),
            Ok((200, _))
        )
    }

    fn data_dirs(&self, _ctx: &Ctx) -> Vec<PathBuf> {
        // H2 in memory: a restart is a clean slate, nothing on disk to delete.
        Vec::new()
    }

    fn stop_grace(&self) -> Duration {
        Duration::from_secs(10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_nested_run_jar() {
        let dir = std::env::temp_dir().join(format!("strait-xtask-sr-{}", std::process::id()));
        let nested = dir.join("apicurio-registry-app-3.3.3").join("quarkus-app");
        fs::create_dir_all(&nested).unwrap();
        assert_eq!(find_run_jar(&dir), None);
        fs::write(nested.join("quarkus-run.jar"), b"").unwrap();
        assert_eq!(find_run_jar(&dir), Some(nested.join("quarkus-run.jar")));
        fs::remove_dir_all(&dir).unwrap();
    }
}
