//! `cargo xtask conformance`: Strait's REST API side by side with Apache Kafka Connect.
//!
//! 1. Brings up Kafka and the reference Java Connect standalone worker (`connect-ref`), builds
//!    `strait` and starts it standalone on another port with an equivalent worker file
//!    (same converters, flush interval and root log level).
//! 2. Runs one scripted scenario ([`scenario`]) against both, with FileStream connectors.
//! 3. Normalises and diffs every answer ([`diff`]): status codes, JSON keys and their order,
//!    value types, and values where deterministic.
//! 4. Then the distributed scenario: one Java `ConnectDistributed` 4.1.2 worker (from the
//!    broker's `libs/`, small heap) and one `strait distributed` worker, each alone in its own
//!    group with its own internal topics and an equivalent worker file ([`worker`]), run the
//!    same scenario plus the distributed-only checks (internal endpoint signatures, the
//!    `forward` parameter, every `worker_id` being the answering worker); step ids get a
//!    `dist.` prefix. Both workers are stopped afterwards.
//! 5. Then the secure scenario ([`scenario::secure_steps`], step ids `secure.*`): a Java
//!    `ConnectStandalone` and a `strait standalone` worker, each listening on `https://` with a
//!    certificate of a CA made for the run (`openssl`), and each running Kafka's
//!    `BasicAuthSecurityRestExtension` with the same JAAS and credentials files (Java: the
//!    `connect-basic-auth-extension` jar on its classpath and
//!    `-Djava.security.auth.login.config`; Strait: the same property in `KAFKA_OPTS`). The
//!    client speaks TLS trusting that CA only.
//! 6. Prints every difference of all runs, marking those listed in
//!    `xtask/conformance-allowed.txt` ([`allow`], each with its reason) and exits non-zero on
//!    any other. `--mode` picks the scenarios; each one's time is printed.
//!
//! `--bench N` also measures create → RUNNING latency through REST on both workers
//! (N connectors each, interleaved), and `--bench-only` skips the scenario.

#[path = "conformance/allow.rs"]
mod allow;
#[path = "conformance/diff.rs"]
mod diff;
#[path = "conformance/http.rs"]
pub(crate) mod http;
#[path = "conformance/scenario.rs"]
mod scenario;
#[path = "conformance/secure.rs"]
mod secure;
#[path = "conformance/worker.rs"]
mod worker;

use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::say;
use crate::services::{self, Service};
use crate::util::{self, Ctx};
use diff::Diff;
use scenario::{Auth, Call, Step};

#[derive(clap::Args)]
pub struct Args {
    /// Strait's REST port.
    #[arg(long, default_value_t = 18084)]
    port: u16,
    /// Allow-list of intended differences.
    #[arg(long, default_value = "xtask/conformance-allowed.txt")]
    allow: PathBuf,
    /// Do not run `cargo build -p strait` first.
    #[arg(long)]
    no_build: bool,
    /// Leave services this command started running afterwards.
    #[arg(long)]
    keep: bool,
    /// Also measure create → RUNNING latency with this many connectors per worker.
    #[arg(long, default_value_t = 0)]
    bench: usize,
    /// Only run the latency benchmark (implies `--bench 20` unless given).
    #[arg(long)]
    bench_only: bool,
    /// List every allowed difference, not only a count per allow-list entry.
    #[arg(long, short)]
    verbose: bool,
    /// Which scenarios run: standalone (Java standalone vs `strait standalone`), distributed
    /// (Java `ConnectDistributed` vs `strait distributed`), secure (both standalone over HTTPS
    /// with basic authentication), both (standalone and distributed) or all three, in that
    /// order.
    #[arg(long, value_enum, default_value_t = Mode::All)]
    mode: Mode,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Standalone,
    Distributed,
    Secure,
    /// Standalone, then distributed.
    Both,
    /// Standalone, distributed, then secure.
    All,
}

impl Mode {
    fn standalone(self) -> bool {
        matches!(self, Mode::Standalone | Mode::Both | Mode::All)
    }
    fn distributed(self) -> bool {
        matches!(self, Mode::Distributed | Mode::Both | Mode::All)
    }
    fn secure(self) -> bool {
        matches!(self, Mode::Secure | Mode::All)
    }
}

/// One worker under test.
struct Side {
    name: &'static str,
    host_port: String,
    /// Placeholder → this side's value.
    vars: Vec<(String, String)>,
    /// Plugin and build versions this side reports (normalised away).
    versions: Vec<String>,
    /// HTTPS, trusting the run's CA (the secure scenario).
    tls: Option<http::Tls>,
    /// The `Authorization` this side's worker wants, sent unless a call says otherwise.
    auth: Option<String>,
}

impl Side {
    fn fill(&self, text: &str) -> String {
        let mut s = text.to_string();
        for (k, v) in &self.vars {
            s = s.replace(k.as_str(), v);
        }
        s
    }

    /// (actual, placeholder) pairs, longest actual first.
    fn tokens(&self) -> Vec<(String, String)> {
        let mut t: Vec<(String, String)> = self
            .vars
            .iter()
            .map(|(k, v)| (v.clone(), k.clone()))
            .collect();
        t.sort_by_key(|(a, _)| std::cmp::Reverse(a.len()));
        t
    }

    /// One request with this side's transport; `auth` is the `Authorization` value, if any.
    fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        auth: Option<&str>,
        body: Option<&str>,
    ) -> Result<http::Response> {
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        if let Some(a) = auth {
            all.push(("Authorization", a));
        }
        http::request_over(&self.host_port, self.tls.as_ref(), method, path, &all, body)
    }

    fn send(&self, c: &Call) -> Result<http::Response> {
        let path = self.fill(&c.path);
        let body = c.body.as_deref().map(|b| self.fill(b));
        let mut headers: Vec<(&str, &str)> = Vec::new();
        let ct = c.content_type.unwrap_or("application/json");
        if body.is_some() && !ct.is_empty() {
            headers.push(("Content-Type", ct));
        }
        if let Some(a) = c.accept {
            headers.push(("Accept", a));
        }
        headers.extend(c.headers.iter().copied());
        let auth = match &c.auth {
            Auth::Worker => self.auth.clone(),
            Auth::Without => None,
            Auth::Header(h) => Some(self.fill(h)),
        };
        let mut attempt = 0;
        loop {
            let r = self.request(c.method, &path, &headers, auth.as_deref(), body.as_deref())?;
            attempt += 1;
            if r.status == 500 && c.retry_500 && attempt < 20 {
                std::thread::sleep(Duration::from_millis(500));
                continue;
            }
            return Ok(r);
        }
    }

    fn get_json(&self, path: &str) -> Result<(u16, Value)> {
        let r = self.request("GET", &self.fill(path), &[], self.auth.as_deref(), None)?;
        Ok((r.status, parse_body(&r.body)))
    }
}

fn parse_body(text: &str) -> Value {
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
    }
}

pub fn run(ctx: &Ctx, args: Args) -> Result<()> {
    let kafka = services::find("kafka")?;
    let reference = services::find("connect-ref")?;
    // The standalone reference worker only when the standalone scenario (or the benchmark,
    // which runs on it) is wanted; the distributed scenario starts its own Java worker.
    let standalone = args.mode.standalone() || args.bench_only || args.bench > 0;
    let needed = if standalone { reference } else { kafka };
    // Services already up (the shared broker, a colleague's reference worker) are reused and
    // left running; only what this call launched is stopped afterwards.
    let mut started = Vec::new();
    let result = services::up_tracked(ctx, needed, &mut started)
        .and_then(|_| run_with_services(ctx, &args, kafka, reference));
    if !args.keep {
        for s in started.iter().rev() {
            if let Err(e) = services::down(ctx, *s) {
                say!("conformance: could not stop {}: {e:#}", s.name());
            }
        }
    }
    result
}

fn env_of(s: &dyn Service, key: &str) -> Result<String> {
    s.env()
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.to_string())
        .with_context(|| format!("{} has no {key}", s.name()))
}

/// Differences found and checks run, over every scenario run.
#[derive(Default)]
struct Findings {
    diffs: Vec<Diff>,
    checks: usize,
}

fn run_with_services(
    ctx: &Ctx,
    args: &Args,
    kafka: &dyn Service,
    reference: &dyn Service,
) -> Result<()> {
    let bootstrap = env_of(kafka, "STRAIT_TEST_BOOTSTRAP")?;
    if !args.no_build {
        say!("conformance: building strait");
        util::run_checked(
            Command::new(env!("CARGO"))
                .args(["build", "-p", "strait"])
                .current_dir(&ctx.root),
        )?;
    }
    let dir = ctx.services_dir.join("conformance");
    fs::create_dir_all(&dir)?;
    let input = dir.join("in.txt");
    let lines: String = (1..=5).map(|i| format!("line-{i}\n")).collect();
    fs::write(&input, &lines)?;
    let run_id = format!(
        "{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis()
            % 100_000_000
    );
    let allowed = allow::load(&args.allow)?;
    let mut found = Findings::default();
    let mut timings: Vec<(&str, Duration)> = Vec::new();
    if args.mode.standalone() || args.bench_only || args.bench > 0 {
        let t0 = Instant::now();
        let java_url = env_of(reference, "STRAIT_TEST_CONNECT_REF")?;
        let java_host = java_url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let env = Env {
            input: &input,
            dir: &dir,
            run: &run_id,
        };
        standalone(
            ctx,
            args,
            &env,
            &bootstrap,
            &java_host,
            lines.len(),
            &mut found,
        )?;
        timings.push(("standalone", t0.elapsed()));
    }
    let env = Env {
        input: &input,
        dir: &dir,
        run: &run_id,
    };
    if args.mode.distributed() && !args.bench_only {
        let t0 = Instant::now();
        distributed(ctx, &env, &bootstrap, lines.len(), &mut found)?;
        timings.push(("distributed", t0.elapsed()));
    }
    if args.mode.secure() && !args.bench_only {
        let t0 = Instant::now();
        secure(ctx, &env, &bootstrap, &mut found)?;
        timings.push(("secure", t0.elapsed()));
    }
    for (mode, t) in &timings {
        println!("conformance: {mode} run took {}", util::fmt_dur(*t));
    }
    if found.checks == 0 {
        return Ok(());
    }
    if report(&found.diffs, &allowed, found.checks, args.verbose)? {
        Ok(())
    } else {
        bail!("conformance: differences not in {}", args.allow.display())
    }
}

/// What every scenario run shares: the source's input file, the work directory, the run id.
struct Env<'a> {
    input: &'a std::path::Path,
    dir: &'a std::path::Path,
    run: &'a str,
}

/// The standalone scenario (and the benchmark): the reference worker against `strait
/// standalone`.
fn standalone(
    ctx: &Ctx,
    args: &Args,
    env: &Env,
    bootstrap: &str,
    java_host: &str,
    in_len: usize,
    found: &mut Findings,
) -> Result<()> {
    let strait_host = format!("127.0.0.1:{}", args.port);
    let offsets = env.dir.join("strait.offsets");
    let _ = fs::remove_file(&offsets);
    // The reference worker's settings (see services/connect_ref.rs), on Strait's port.
    let worker = format!(
        "bootstrap.servers={bootstrap}\nlisteners=http://{strait_host}\n\
         key.converter=org.apache.kafka.connect.json.JsonConverter\n\
         value.converter=org.apache.kafka.connect.json.JsonConverter\n\
         key.converter.schemas.enable=true\nvalue.converter.schemas.enable=true\n\
         offset.storage.file.filename={}\noffset.flush.interval.ms=1000\n",
        offsets.display()
    );
    let worker_file = env.dir.join("strait-worker.properties");
    fs::write(&worker_file, worker)?;
    let mut strait = worker::strait(
        ctx,
        "standalone",
        &worker_file,
        &strait_host,
        env.dir.join("strait.log"),
    )
    .with_context(|| format!("{strait_host} is taken? pass --port"))?;
    strait.wait_ready(Duration::from_secs(60), false)?;
    let outcome = (|| -> Result<()> {
        let mut sides = [
            make_side("java", java_host, env)?,
            make_side("strait", &strait_host, env)?,
        ];
        for side in &mut sides {
            side.versions = versions(side)?;
            cleanup(side)?;
        }
        if !args.bench_only {
            let steps = scenario::steps(in_len, false);
            run_scenario(&sides, &steps, Run::Standalone, found)?;
        }
        let n = if args.bench_only && args.bench == 0 {
            20
        } else {
            args.bench
        };
        if n > 0 {
            bench(&sides, n)?;
        }
        Ok(())
    })();
    strait.stop();
    outcome.with_context(|| format!("strait log: {}", strait.log.display()))
}

/// The distributed scenario: one Java `ConnectDistributed` worker against one `strait
/// distributed` worker, each alone in its own group with its own internal topics, started
/// together (the JVM takes longest) and stopped when done.
fn distributed(
    ctx: &Ctx,
    env: &Env,
    bootstrap: &str,
    in_len: usize,
    found: &mut Findings,
) -> Result<()> {
    let mut workers = Vec::new();
    for (label, name) in [("java", "java-dist"), ("strait", "strait-dist")] {
        let wdir = env.dir.join(name);
        fs::create_dir_all(&wdir)?;
        let port = worker::free_port()?;
        let host = format!("127.0.0.1:{port}");
        let group = format!("conf-dist-{label}-{}", env.run);
        let file = wdir.join("worker.properties");
        fs::write(
            &file,
            worker::distributed_properties(bootstrap, &group, port),
        )?;
        let w = if label == "java" {
            worker::java_distributed(ctx, &wdir, &file, &host)?
        } else {
            worker::strait(ctx, "distributed", &file, &host, wdir.join("strait.log"))?
        };
        workers.push((name, w));
    }
    say!("conformance: waiting for the distributed workers (JVM start, internal topics, group)");
    for (_, w) in &mut workers {
        w.wait_ready(Duration::from_secs(150), true)?;
    }
    let outcome = (|| -> Result<()> {
        let mut sides = [
            make_side(workers[0].0, &workers[0].1.host_port, env)?,
            make_side(workers[1].0, &workers[1].1.host_port, env)?,
        ];
        for side in &mut sides {
            // Statuses name the worker running each connector and task: its advertised
            // `host:port`, which is this side's listener.
            side.vars
                .push(("${WORKER}".to_string(), side.host_port.clone()));
            side.versions = versions(side)?;
        }
        let steps = scenario::steps(in_len, true);
        run_scenario(&sides, &steps, Run::Distributed, found)
    })();
    let logs: Vec<String> = workers
        .iter()
        .map(|(_, w)| format!("{}: {}", w.label, w.log.display()))
        .collect();
    // Strait first: it leaves its group at once; the JVM takes a few seconds to shut down.
    for (_, w) in workers.iter_mut().rev() {
        w.stop();
    }
    outcome.with_context(|| format!("logs: {}", logs.join(", ")))
}

/// The secure scenario: a Java `ConnectStandalone` and a `strait standalone` worker on
/// `https://` listeners with the basic auth extension ([`secure`] makes their files), started
/// together and stopped when done.
fn secure(ctx: &Ctx, env: &Env, bootstrap: &str, found: &mut Findings) -> Result<()> {
    let dir = env.dir.join("secure");
    let material = secure::material(&dir)?;
    let jars = secure::install_basic_auth(ctx)?;
    let jaas = material.jaas.display().to_string();
    let mut workers = Vec::new();
    for name in ["java-secure", "strait-secure"] {
        let wdir = dir.join(name);
        fs::create_dir_all(&wdir)?;
        let port = worker::free_port()?;
        let host = format!("127.0.0.1:{port}");
        let offsets = wdir.join("connect.offsets");
        let _ = fs::remove_file(&offsets);
        let file = wdir.join("worker.properties");
        let java = name.starts_with("java");
        let store = if java {
            secure::KeyStore::Pkcs12
        } else {
            secure::KeyStore::Pem
        };
        fs::write(
            &file,
            secure::worker_properties(bootstrap, port, &offsets, &material, store),
        )?;
        let w = if java {
            worker::java_worker(
                ctx,
                worker::JavaWorker {
                    label: "java secure",
                    main: "org.apache.kafka.connect.cli.ConnectStandalone",
                    dir: &wdir,
                    worker_file: &file,
                    host_port: &host,
                    system_properties: &[("java.security.auth.login.config", jaas.clone())],
                    extra_jars: Some(&jars),
                },
            )?
        } else {
            // As Kafka's scripts pass it to the JVM.
            let opts = format!("-Djava.security.auth.login.config={jaas}");
            worker::strait_with(
                ctx,
                "standalone",
                &file,
                &host,
                wdir.join("strait.log"),
                &[("KAFKA_OPTS", opts)],
            )?
        };
        workers.push((name, w));
    }
    let tls = http::Tls::trusting(&material.ca)?;
    let auth = scenario::basic(scenario::SECURE_USER.0, scenario::SECURE_USER.1);
    say!("conformance: waiting for the secure workers (HTTPS, basic auth)");
    for (_, w) in &mut workers {
        let host = w.host_port.clone();
        let headers = [("Authorization", auth.as_str())];
        // Java answers 404 until its REST resources are up; both 401 without credentials.
        w.wait_for(Duration::from_secs(120), || {
            http::request_over(&host, Some(&tls), "GET", "/", &headers, None)
                .is_ok_and(|r| r.status == 200)
        })?;
    }
    let outcome = (|| -> Result<()> {
        let mut sides = [
            make_side(workers[0].0, &workers[0].1.host_port, env)?,
            make_side(workers[1].0, &workers[1].1.host_port, env)?,
        ];
        for side in &mut sides {
            side.tls = Some(tls.clone());
            side.auth = Some(auth.clone());
            side.versions = versions(side)?;
        }
        run_scenario(&sides, &scenario::secure_steps(), Run::Secure, found)
    })();
    let logs: Vec<String> = workers
        .iter()
        .map(|(_, w)| format!("{}: {}", w.label, w.log.display()))
        .collect();
    for (_, w) in workers.iter_mut().rev() {
        w.stop();
    }
    outcome.with_context(|| format!("logs: {}", logs.join(", ")))
}

fn make_side(name: &'static str, host: &str, env: &Env) -> Result<Side> {
    let (run, input, dir) = (env.run, env.input, env.dir);
    let vars = vec![
        // Per-side names: both workers share the broker, and a sink's consumer group is
        // named after its connector.
        ("${SRC}".to_string(), format!("conf-src-{name}-{run}")),
        ("${SNK}".to_string(), format!("conf-sink-{name}-{run}")),
        ("${BAD}".to_string(), format!("conf-bad-{name}-{run}")),
        ("${PW}".to_string(), format!("conf-pw-{name}-{run}")),
        ("${TOPIC}".to_string(), format!("conformance-{name}-{run}")),
        (
            "${OUT}".to_string(),
            dir.join(format!("out-{name}-{run}.txt"))
                .display()
                .to_string(),
        ),
        ("${IN}".to_string(), input.display().to_string()),
        ("${RUN}".to_string(), run.to_string()),
    ];
    Ok(Side {
        name,
        host_port: host.to_string(),
        vars,
        versions: Vec::new(),
        tls: None,
        auth: None,
    })
}

/// Versions a side reports for itself and its plugins.
fn versions(side: &Side) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let (_, root) = side.get_json("/")?;
    if let Some(v) = root["version"].as_str() {
        out.push(v.to_string());
    }
    let (_, plugins) = side.get_json("/connector-plugins?connectorsOnly=false")?;
    for p in plugins.as_array().into_iter().flatten() {
        if let Some(v) = p["version"].as_str() {
            if !out.iter().any(|x| x == v) {
                out.push(v.to_string());
            }
        }
    }
    Ok(out)
}

/// Remove connectors left by an earlier, interrupted run.
fn cleanup(side: &Side) -> Result<()> {
    let (_, names) = side.get_json("/connectors")?;
    for n in names
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if n.starts_with("conf-") {
            side.request(
                "DELETE",
                &format!("/connectors/{n}"),
                &[],
                side.auth.as_deref(),
                None,
            )?;
        }
    }
    Ok(())
}

/// A normalised answer: status, body, the `Location` path.
fn answer(side: &Side, r: &http::Response) -> (u16, Value, Option<String>) {
    let mut body = parse_body(&r.body);
    diff::normalize(&mut body, &side.tokens(), &side.versions);
    let mut location = r.header("location").map(|l| {
        // Jetty answers with an absolute URI, axum with the path; compare the path.
        let path = l.find("/connectors").map(|i| &l[i..]).unwrap_or(l);
        Value::String(path.to_string())
    });
    if let Some(l) = location.as_mut() {
        diff::normalize(l, &side.tokens(), &side.versions);
    }
    (
        r.status,
        body,
        location.and_then(|l| l.as_str().map(str::to_string)),
    )
}

/// Every `worker_id` in a normalised body that is not `${WORKER}` (the worker answering).
fn foreign_worker_ids(v: &Value, path: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                let p = format!("{path}.{k}");
                match x {
                    Value::String(id) if k == "worker_id" && id != "${WORKER}" => {
                        out.push((p, id.clone()))
                    }
                    _ => foreign_worker_ids(x, &p, out),
                }
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                foreign_worker_ids(x, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// Which run a scenario is: its step-id prefix and name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Run {
    Standalone,
    Distributed,
    Secure,
}

impl Run {
    fn name(self) -> &'static str {
        match self {
            Run::Standalone => "standalone",
            Run::Distributed => "distributed",
            Run::Secure => "secure",
        }
    }
}

/// Run `steps` against both sides and collect the differences. In the distributed run the
/// step ids get a `dist.` prefix (so the allow-list can tell the runs apart; the secure
/// scenario's ids start with `secure.` already) and every `worker_id` must be the answering
/// worker's own (each side is alone in its group, so it runs everything).
fn run_scenario(sides: &[Side; 2], steps: &[Step], run: Run, found: &mut Findings) -> Result<()> {
    let distributed = run == Run::Distributed;
    let prefix = if distributed { "dist." } else { "" };
    let diffs = &mut found.diffs;
    let total = steps.iter().filter(|s| matches!(s, Step::Check(_))).count();
    found.checks += total;
    say!(
        "conformance: {total} {} checks against {} and {}",
        run.name(),
        sides[0].host_port,
        sides[1].host_port
    );
    for step in steps {
        match step {
            Step::Do(c) => {
                for side in sides {
                    side.send(c)?;
                }
            }
            Step::Check(c) => {
                let id = format!("{prefix}{}", c.id);
                let (jr, sr) = (sides[0].send(c)?, sides[1].send(c)?);
                for name in &c.compare_headers {
                    let (jh, sh) = (jr.header(name), sr.header(name));
                    if jh != sh {
                        diffs.push(Diff {
                            step: id.clone(),
                            path: format!("$header.{name}"),
                            detail: format!("{name}: java {jh:?} / strait {sh:?}"),
                        });
                    }
                }
                let j = answer(&sides[0], &jr);
                let s = answer(&sides[1], &sr);
                if j.0 != s.0 {
                    diffs.push(Diff {
                        step: id.clone(),
                        path: "$status".into(),
                        detail: format!("status: java {} / strait {}", j.0, s.0),
                    });
                }
                if j.2 != s.2 {
                    diffs.push(Diff {
                        step: id.clone(),
                        path: "$header.location".into(),
                        detail: format!("Location: java {:?} / strait {:?}", j.2, s.2),
                    });
                }
                for (side, (status, _, _)) in sides.iter().zip([&j, &s]) {
                    if c.expect.is_some_and(|e| e != *status) {
                        diffs.push(Diff {
                            step: id.clone(),
                            path: "$status$expected".into(),
                            detail: format!(
                                "{} answered {status}, the contract says {:?}",
                                side.name, c.expect
                            ),
                        });
                    }
                }
                if distributed {
                    for (side, (_, body, _)) in sides.iter().zip([&j, &s]) {
                        let mut foreign = Vec::new();
                        foreign_worker_ids(body, "$", &mut foreign);
                        for (path, worker) in foreign {
                            diffs.push(Diff {
                                step: id.clone(),
                                path: format!("{path}$own"),
                                detail: format!(
                                    "{} names worker {worker:?}, not itself ({})",
                                    side.name, side.host_port
                                ),
                            });
                        }
                    }
                }
                diff::diff(&id, &j.1, &s.1, &c.cmp, diffs);
            }
            Step::Wait {
                id,
                path,
                what,
                status: want,
                pred,
            } => {
                for side in sides {
                    let deadline = Instant::now() + Duration::from_secs(45);
                    loop {
                        let (status, body) = side.get_json(path)?;
                        if status == *want && pred(&body) {
                            break;
                        }
                        if Instant::now() > deadline {
                            diffs.push(Diff {
                                step: format!("{prefix}{id}"),
                                path: "$wait".into(),
                                detail: format!(
                                    "{} never reached '{what}'; last answer {status} {body}",
                                    side.name
                                ),
                            });
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(100));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Print every difference: allowed ones grouped under their allow-list entry (each one listed
/// with `--verbose`), unexplained ones last, then the totals.
fn report(diffs: &[Diff], allowed: &[allow::Entry], total: usize, verbose: bool) -> Result<bool> {
    let mut by_entry: Vec<Vec<&Diff>> = vec![Vec::new(); allowed.len()];
    let mut unexplained: Vec<&Diff> = Vec::new();
    for d in diffs {
        match allow::allowed(allowed, d) {
            Some(e) => {
                let i = allowed.iter().position(|x| std::ptr::eq(x, e)).unwrap_or(0);
                by_entry[i].push(d);
            }
            None => unexplained.push(d),
        }
    }
    println!("\n== Allowed differences (xtask/conformance-allowed.txt) ==");
    for (e, ds) in allowed.iter().zip(&by_entry) {
        if ds.is_empty() {
            println!(
                "  note: line {} ({} | {}) matched nothing",
                e.line, e.step, e.path
            );
            continue;
        }
        println!(
            "  {:>3} x {} | {}\n        reason: {}",
            ds.len(),
            e.step,
            e.path,
            e.reason
        );
        if verbose {
            for d in ds {
                println!("          [{}] {}: {}", d.step, d.path, d.detail);
            }
        }
    }
    println!("\n== Unexplained differences (java vs strait) ==");
    for d in &unexplained {
        println!("  DIFF [{}] {}: {}", d.step, d.path, d.detail);
    }
    println!(
        "== {total} checks, {} differences: {} allowed, {} unexplained ==",
        diffs.len(),
        diffs.len() - unexplained.len(),
        unexplained.len()
    );
    Ok(unexplained.is_empty())
}

/// Create → RUNNING latency through REST: POST a FileStream source, poll its status until
/// the connector and its task are RUNNING, delete it. Interleaved between the two workers.
fn bench(sides: &[Side; 2], n: usize) -> Result<()> {
    let mut times: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    for i in 0..n {
        for (k, side) in sides.iter().enumerate() {
            let name = format!("conf-bench-{i}-{}", side.fill("${RUN}"));
            let body = side.fill(&format!(
                r#"{{"name":"{name}","config":{{"connector.class":"FileStreamSource","file":"${{IN}}","topic":"${{TOPIC}}-bench"}}}}"#
            ));
            let t0 = Instant::now();
            let r = http::request(
                &side.host_port,
                "POST",
                "/connectors",
                &[("Content-Type", "application/json")],
                Some(&body),
            )?;
            if r.status != 201 {
                bail!("{}: create failed: {} {}", side.name, r.status, r.body);
            }
            loop {
                let r = http::request(
                    &side.host_port,
                    "GET",
                    &format!("/connectors/{name}/status"),
                    &[],
                    None,
                )?;
                let v = parse_body(&r.body);
                let running = v["connector"]["state"] == "RUNNING"
                    && v["tasks"]
                        .as_array()
                        .is_some_and(|t| t.len() == 1 && t[0]["state"] == "RUNNING");
                if running {
                    break;
                }
                if t0.elapsed() > Duration::from_secs(60) {
                    bail!("{}: {name} not RUNNING after 60 s: {v}", side.name);
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            times[k].push(t0.elapsed().as_secs_f64() * 1000.0);
            http::request(
                &side.host_port,
                "DELETE",
                &format!("/connectors/{name}"),
                &[],
                None,
            )?;
        }
    }
    println!("\n== create -> RUNNING through REST ({n} connectors each, ms) ==");
    println!(
        "  {:<8} {:>8} {:>8} {:>8} {:>8}",
        "worker", "min", "median", "p90", "max"
    );
    for (k, side) in sides.iter().enumerate() {
        let t = &mut times[k];
        t.sort_by(|a, b| a.total_cmp(b));
        let pct = |p: f64| t[((t.len() - 1) as f64 * p).round() as usize];
        println!(
            "  {:<8} {:>8.1} {:>8.1} {:>8.1} {:>8.1}",
            side.name,
            t[0],
            pct(0.5),
            pct(0.9),
            t[t.len() - 1]
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_worker_ids_of_other_workers() {
        let body = json!({"connector": {"worker_id": "${WORKER}"},
                          "tasks": [{"id": 0, "worker_id": "${WORKER}"}, {"id": 1, "worker_id": "10.0.0.9:8083"}]});
        let mut out = Vec::new();
        foreign_worker_ids(&body, "$", &mut out);
        assert_eq!(
            out,
            vec![(
                "$.tasks[1].worker_id".to_string(),
                "10.0.0.9:8083".to_string()
            )]
        );
    }

    #[test]
    fn secure_scenario_refuses_bad_credentials_and_lets_the_right_ones_through() {
        // RFC 7617's example.
        assert_eq!(
            scenario::basic("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        let checks: Vec<(String, Option<u16>, Auth)> = scenario::secure_steps()
            .into_iter()
            .filter_map(|s| match s {
                Step::Check(c) => Some((c.id, c.expect, c.auth)),
                _ => None,
            })
            .collect();
        assert!(checks.iter().all(|(id, _, _)| id.starts_with("secure.")));
        for (id, expect, auth) in &checks {
            if id.ends_with(".no-credentials") {
                assert_eq!(*auth, Auth::Without, "{id}");
            }
            if *auth == Auth::Worker {
                assert!(
                    expect.is_some_and(|e| e < 400),
                    "{id} with credentials: {expect:?}"
                );
            }
        }
        let status = |want: &str| checks.iter().find(|(id, _, _)| id == want).map(|c| c.1);
        assert_eq!(status("secure.root.no-credentials"), Some(Some(401)));
        assert_eq!(status("secure.connectors.wrong-password"), Some(Some(401)));
        assert_eq!(status("secure.create"), Some(Some(201)));
        assert_eq!(
            status("secure.internal.tasks.no-credentials"),
            Some(Some(500))
        );
    }

    #[test]
    fn modes_pick_their_scenarios() {
        let picks = |m: Mode| (m.standalone(), m.distributed(), m.secure());
        assert_eq!(picks(Mode::All), (true, true, true));
        assert_eq!(picks(Mode::Both), (true, true, false));
        assert_eq!(picks(Mode::Secure), (false, false, true));
        assert_eq!(picks(Mode::Standalone), (true, false, false));
    }

    #[test]
    fn distributed_scenario_adds_signed_and_forwarded_checks() {
        let ids = |distributed: bool| -> Vec<String> {
            scenario::steps(10, distributed)
                .into_iter()
                .filter_map(|s| match s {
                    Step::Check(c) => Some(format!("{}={:?}", c.id, c.expect)),
                    _ => None,
                })
                .collect()
        };
        let (standalone, distributed) = (ids(false), ids(true));
        assert!(!standalone.iter().any(|i| i.starts_with("internal.")));
        for want in [
            "internal.unsigned=Some(400)",
            "internal.wrong-signature=Some(403)",
            "forward.restart-plan=Some(202)",
        ] {
            assert!(distributed.iter().any(|i| i == want), "{want} missing");
        }
    }
}
