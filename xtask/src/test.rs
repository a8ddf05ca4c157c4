//! `cargo xtask test [-- extra args]`: the project's one test command.
//!
//! It runs in stages so that the machine (CI's has 2 cores) never carries a JVM that no running
//! test needs, and never compiles while services idle:
//!
//! 1. Optionally (`--fuzz-smoke`, or `CI=true`) runs every fuzz target for a few seconds; under
//!    CI, `cargo xtask lint-deploy` ([`crate::deploy`]) before it.
//! 2. Compiles every test binary (`cargo test --workspace --no-run`) with no service up.
//! 3. **Base stage**: starts Kafka (and, under CI or `--conformance`, runs the REST conformance
//!    scenario against Apache Kafka Connect, which brings its own reference worker up and down),
//!    then the other light services (S3, Azurite, the schema registry; with the registry, the
//!    Python clients of the interop tests, [`crate::pyclients`], and `STRAIT_TEST_PYTHON`), and
//!    runs the whole workspace's tests except those of the service stages below. The services
//!    this run started, but Kafka, are then stopped.
//! 4. **Service stages** ([`SERVICE_STAGES`]): for each heavy service (OpenSearch, Cassandra),
//!    start it, run the end-to-end tests that need it, stop it.
//!
//! Services already up are reused and left running; only the ones started here are stopped,
//! whatever the outcome. With extra arguments (`cargo xtask test -- <filter or cargo flags>`)
//! there is one stage: every requested service up, one `cargo test` with those arguments.
//! `cargo nextest run` replaces `cargo test` when cargo-nextest is installed (plus `cargo test
//! --doc`, which nextest does not run).
//!
//! The test runner's own summary is the last thing printed on success (teardown is silent
//! unless it fails), so a log's last test-summary line is the runner's.

use std::process::Command;
use std::time::Instant;

use anyhow::Result;

use crate::services::{self, Service};
use crate::util::{self, fmt_dur, Ctx};
use crate::{fuzz, say};

/// What the workspace's tests need today. Add names here as integration tests grow. Costs on a
/// fresh machine: `azurite` (the S3 sink's `az://` test) about 20 s of npm install and 1–2 s of
/// start-up; `schema-registry` (Apicurio, a JVM at -Xmx384m, ~250 MB RSS) about 8 s of Maven
/// download and 6–7 s of start-up; `opensearch` (OpenSearch 2.19.1, a JVM at -Xmx512m, ~400 MB
/// RSS) about 8 s of download and 5 s of start-up; `cassandra` (Apache Cassandra 5.0.7 from
/// `cassandra-all`, -Xmx768m, ~1.3 GB RSS) about 35 s of download and 15–25 s of start-up.
const DEFAULT_SERVICES: &[&str] = &[
    "kafka",
    "s3",
    "azurite",
    "schema-registry",
    "opensearch",
    "cassandra",
];

/// A heavy service whose tests run in a stage of their own, so that at most one JVM besides
/// Kafka's is up while tests run (a CI run once took 77 minutes with four JVMs idling through the
/// compile and every test).
pub struct ServiceStage {
    /// The service, started for the stage and stopped after it.
    pub service: &'static str,
    /// Module prefix of its tests in the `standalone` test binary (`tests/standalone.rs`); the
    /// base stage skips these. (A prefix no unit test's path contains: libtest's `--skip` is a
    /// substring match over every binary.)
    pub tests: &'static str,
}

pub const SERVICE_STAGES: &[ServiceStage] = &[
    ServiceStage {
        service: "opensearch",
        tests: "elasticsearch_sink::",
    },
    ServiceStage {
        service: "cassandra",
        tests: "cassandra_sink::",
    },
];

#[derive(clap::Args)]
pub struct Args {
    /// Services to start before the tests (comma separated); `none` starts nothing.
    #[arg(long, value_delimiter = ',', default_values_t = DEFAULT_SERVICES.iter().map(|s| s.to_string()))]
    services: Vec<String>,
    /// Also run the fuzz smoke pass first (implied when CI=true).
    #[arg(long)]
    fuzz_smoke: bool,
    /// Seconds per target for the fuzz smoke pass.
    #[arg(long, default_value_t = fuzz::DEFAULT_SMOKE_SECONDS)]
    fuzz_seconds: u64,
    /// Also run the REST conformance scenario against Apache Kafka Connect (implied when CI=true).
    #[arg(long)]
    conformance: bool,
    /// Use `cargo test` even when cargo-nextest is installed.
    #[arg(long)]
    no_nextest: bool,
    /// Extra arguments for the test runner (after `--`).
    #[arg(last = true)]
    extra: Vec<String>,
}

fn ci() -> bool {
    std::env::var("CI")
        .map(|v| !v.is_empty() && v != "false" && v != "0")
        .unwrap_or(false)
}

pub fn run(ctx: &Ctx, args: Args) -> Result<()> {
    let t_all = Instant::now();
    let wanted: Vec<&'static dyn Service> = if args.services.iter().any(|s| s == "none") {
        Vec::new()
    } else {
        args.services
            .iter()
            .map(|n| services::find(n))
            .collect::<Result<_>>()?
    };
    // With extra arguments the developer chose what runs: one stage, everything up.
    let stages: Vec<&ServiceStage> = if args.extra.is_empty() {
        SERVICE_STAGES
            .iter()
            .filter(|st| wanted.iter().any(|s| s.name() == st.service))
            .collect()
    } else {
        Vec::new()
    };
    let base: Vec<&'static dyn Service> = wanted
        .iter()
        .copied()
        .filter(|s| !stages.iter().any(|st| st.service == s.name()))
        .collect();

    // Stop exactly the services this run launched (dependencies included), never ones that
    // were already up (a developer's, or a colleague's concurrent run).
    let mut guard = Teardown {
        ctx,
        started: Vec::new(),
    };

    // Under CI, the shipping recipes' offline lints first (`cargo xtask lint-deploy`, ~25 s fresh, 1 s after).
    let mut lint_deploy_failed = false;
    if ci() {
        if let Err(e) = crate::deploy::run(ctx, crate::deploy::Args::default()) {
            say!("lint-deploy FAILED: {e:#}");
            lint_deploy_failed = true;
        }
    }

    report_free_disk(ctx, "before the fuzz smoke");
    let mut fuzz_failed = false;
    if args.fuzz_smoke || ci() {
        if let Err(e) = fuzz::smoke(ctx, args.fuzz_seconds) {
            say!("fuzz smoke FAILED: {e:#}");
            fuzz_failed = true;
        }
        if ci() {
            free_fuzz_build_if_disk_is_short(ctx);
        }
    }

    report_free_disk(ctx, "before the workspace tests");
    let nextest =
        !args.no_nextest && util::succeeds(Command::new("cargo").args(["nextest", "--version"]));
    let runner: &[&str] = if nextest {
        &["nextest", "run", "--no-fail-fast"]
    } else {
        &["test", "--no-fail-fast"]
    };
    let mut ok = true;
    let mut tally = Tally::default();

    // Compile before any service starts: the compile is most of a fresh run and needs both cores.
    let t_build = Instant::now();
    let mut build = Command::new("cargo");
    build.args(runner).args(["--workspace", "--no-run"]);
    build.args(args.extra.iter().take_while(|a| *a != "--"));
    say!("compiling the tests: {}", util::describe(&build));
    ok &= run_tests(ctx, &mut build, &[], &mut tally)?;
    say!("test build took {}", fmt_dur(t_build.elapsed()));

    // Kafka first, alone, for the conformance scenario (it adds its Java reference worker).
    if let Some(kafka) = base.iter().find(|s| s.name() == "kafka") {
        services::up_tracked(ctx, *kafka, &mut guard.started)?;
    }
    let mut conformance_failed = false;
    if args.conformance || ci() {
        use clap::Parser;
        #[derive(Parser)]
        struct Wrapper {
            #[command(flatten)]
            args: crate::conformance::Args,
        }
        let conf = Wrapper::parse_from(["conformance"]).args;
        if let Err(e) = crate::conformance::run(ctx, conf) {
            say!("conformance FAILED: {e:#}");
            conformance_failed = true;
        }
    }

    for s in &base {
        services::up_tracked(ctx, *s, &mut guard.started)?;
    }
    let mut env = running_services_env(ctx);
    // The Python clients of the interop tests (confluent-kafka's Avro serde) talk to the
    // registry: install them (cached) when it is up.
    if services::running_pid(ctx, services::find("schema-registry")?).is_some() {
        let python = crate::pyclients::install(ctx)?.display().to_string();
        env.push((crate::pyclients::ENV, python));
    }
    for (k, v) in &env {
        say!("{k}={v}");
    }

    if nextest {
        // nextest does not run doctests; run them first so nextest's summary comes last.
        let mut doc = Command::new("cargo");
        doc.args(["test", "--workspace", "--doc", "--no-fail-fast"]);
        ok &= run_tests(ctx, &mut doc, &env, &mut tally)?;
    }
    let mut cmd = Command::new("cargo");
    cmd.args(runner).arg("--workspace").args(&args.extra);
    skip_stage_tests(&mut cmd, nextest, &stages, &args.extra);
    say!(
        "running {} (services + setup took {})",
        util::describe(&cmd),
        fmt_dur(t_all.elapsed())
    );
    ok &= run_tests(ctx, &mut cmd, &env, &mut tally)?;

    for stage in &stages {
        // Leave Kafka and this stage's service the machine: stop what the base stage started.
        guard.stop_all_but(&["kafka"]);
        let service = services::find(stage.service)?;
        let t_stage = Instant::now();
        if let Err(e) = services::up_tracked(ctx, service, &mut guard.started) {
            say!("{}: could not start, its tests fail: {e:#}", stage.service);
            ok = false;
            continue;
        }
        let env = running_services_env(ctx);
        let mut cmd = Command::new("cargo");
        cmd.args(runner)
            .args(["-p", "strait", "--test", "standalone"]);
        if nextest {
            cmd.args(["-E", &format!("test(/^{}/)", stage.tests)]);
        } else {
            cmd.args(["--", stage.tests]);
        }
        say!("stage {}: running {}", stage.service, util::describe(&cmd));
        ok &= run_tests(ctx, &mut cmd, &env, &mut tally)?;
        say!(
            "stage {} took {}",
            stage.service,
            fmt_dur(t_stage.elapsed())
        );
    }

    // Stop what we started before deciding the exit code (quietly: keep the summary last).
    drop(guard);
    if fuzz_failed {
        say!("fuzz smoke failed (see above)");
    }
    if conformance_failed {
        say!("conformance failed (see above)");
    }
    if lint_deploy_failed {
        say!("lint-deploy failed (see above)");
    }
    // The closing line: what the whole run did, in the plain form any reader understands.
    // (nextest prints its own closing summary, per stage.)
    if !nextest {
        println!(
            "summary: {} passed, {} failed, {} skipped",
            tally.passed, tally.failed, tally.ignored
        );
    }
    if !ok || fuzz_failed || conformance_failed || lint_deploy_failed {
        std::process::exit(1);
    }
    Ok(())
}

/// `STRAIT_TEST_*` variables of every service running now.
fn running_services_env(ctx: &Ctx) -> Vec<(&'static str, String)> {
    let mut env = Vec::new();
    for s in services::registry() {
        if services::running_pid(ctx, *s).is_some() {
            env.extend(s.env().iter().map(|(k, v)| (*k, v.to_string())));
        }
    }
    env
}

/// Keep the service stages' tests out of the base stage's run.
fn skip_stage_tests(cmd: &mut Command, nextest: bool, stages: &[&ServiceStage], extra: &[String]) {
    if stages.is_empty() {
        return;
    }
    if nextest {
        let any: Vec<String> = stages
            .iter()
            .map(|st| format!("test(/^{}/)", st.tests))
            .collect();
        cmd.args(["-E", &format!("not ({})", any.join(" | "))]);
        return;
    }
    if !extra.iter().any(|a| a == "--") {
        cmd.arg("--");
    }
    for st in stages {
        cmd.args(["--skip", st.tests]);
    }
}

/// Free disk below which a CI run deletes the fuzz smoke's build before compiling the workspace's
/// tests. The sanitizer-instrumented dev build of the fuzz targets is a second copy of the whole
/// dependency tree (several GiB), and the workspace's test binaries (each linking arrow, parquet,
/// rdkafka, tokio, reqwest, …) need more than that again: a CI machine with a small disk once
/// failed its test compile with "No space left on device" while keeping both. With plenty of
/// room the fuzz build stays, so a re-run on the same machine is incremental.
const MIN_FREE_FOR_TESTS: u64 = 24 << 30;

fn report_free_disk(ctx: &Ctx, when: &str) {
    if let Some(free) = util::free_bytes(&ctx.root) {
        say!("disk: {} free {when}", util::fmt_gib(free));
    }
}

fn free_fuzz_build_if_disk_is_short(ctx: &Ctx) {
    let Some(free) = util::free_bytes(&ctx.root) else {
        return;
    };
    let fuzz_target = ctx.root.join("fuzz/target");
    if free >= MIN_FREE_FOR_TESTS || !fuzz_target.exists() {
        return;
    }
    match std::fs::remove_dir_all(&fuzz_target) {
        Ok(()) => say!(
            "disk: {} free, under {}: removed the fuzz build ({}) to make room for the tests",
            util::fmt_gib(free),
            util::fmt_gib(MIN_FREE_FOR_TESTS),
            fuzz_target.display()
        ),
        Err(e) => say!("disk: could not remove {}: {e}", fuzz_target.display()),
    }
}

/// Totals over every test binary of a run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub passed: u64,
    pub failed: u64,
    pub ignored: u64,
}

impl Tally {
    /// Add the counts of one `test result: …` line from libtest.
    fn add_line(&mut self, line: &str) {
        let Some(rest) = line.trim().strip_prefix("test result: ") else {
            return;
        };
        for part in rest.split(';') {
            let mut words = part.split_whitespace().rev();
            let (Some(what), Some(n)) = (words.next(), words.next()) else {
                continue;
            };
            let Ok(n) = n.parse::<u64>() else { continue };
            match what {
                "passed" => self.passed += n,
                "failed" => self.failed += n,
                "ignored" => self.ignored += n,
                _ => {}
            }
        }
    }
}

/// Run a test command, echoing its output live while totalling libtest's result lines (the
/// per-binary lines end with doc-tests of the last crate, often `0 passed`; the closing total
/// line printed by [`run`] says what the whole run did).
fn run_tests(
    ctx: &Ctx,
    cmd: &mut Command,
    env: &[(&str, String)],
    tally: &mut Tally,
) -> Result<bool> {
    use std::io::{BufRead, BufReader, Write};
    cmd.current_dir(&ctx.root);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| anyhow::anyhow!("cannot run {}: {e}", util::describe(cmd)))?;
    let stdout = child.stdout.take().expect("piped stdout");
    let mut out = std::io::stdout().lock();
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        tally.add_line(&line);
        writeln!(out, "{line}")?;
    }
    Ok(child.wait()?.success())
}

/// Stops the services this run started, on every exit path (including `?` and panics).
struct Teardown<'a> {
    ctx: &'a Ctx,
    started: Vec<&'static dyn Service>,
}

impl Teardown<'_> {
    /// Stop the services started so far, except those named.
    fn stop_all_but(&mut self, keep: &[&str]) {
        let (kept, stop): (Vec<_>, Vec<_>) = self
            .started
            .drain(..)
            .partition(|s| keep.contains(&s.name()));
        self.started = stop;
        self.stop_started();
        self.started = kept;
    }

    fn stop_started(&mut self) {
        for s in self.started.drain(..).rev() {
            if let Some(pid) = services::running_pid(self.ctx, s) {
                if let Err(e) = util::terminate(pid, s.process_marker(), s.stop_grace()) {
                    say!("{}: could not stop pid {pid}: {e:#}", s.name());
                }
                let _ = std::fs::remove_file(s.pid_file(self.ctx));
            }
        }
    }
}

impl Drop for Teardown<'_> {
    fn drop(&mut self) {
        self.stop_started();
    }
}

#[cfg(test)]
mod tests {
    use super::Tally;

    #[test]
    fn tally_sums_libtest_result_lines() {
        let mut t = Tally::default();
        t.add_line("test result: ok. 16 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 10.32s");
        t.add_line("test result: FAILED. 3 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1s");
        t.add_line("running 3 tests");
        assert_eq!(
            t,
            Tally {
                passed: 19,
                failed: 2,
                ignored: 1
            }
        );
    }
}
