//! `cargo xtask conformance`: Strait's REST API side by side with Apache Kafka Connect.
//!
//! 1. Brings up Kafka and the reference Java Connect standalone worker (`connect-ref`), builds
//!    `strait` and starts it standalone on another port with an equivalent worker file
//!    (same converters, flush interval and root log level).
//! 2. Runs one scripted scenario ([`scenario`]) against both, with FileStream connectors.
//! 3. Normalises and diffs every answer ([`diff`]): status codes, JSON keys and their order,
//!    value types, and values where deterministic.
//! 4. Prints every difference, marking those listed in `xtask/conformance-allowed.txt`
//!    ([`allow`], each with its reason) and exits non-zero on any other.
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

use std::fs;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::say;
use crate::services::{self, Service};
use crate::util::{self, Ctx};
use diff::Diff;
use scenario::{Call, Step};

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
}

/// One worker under test.
struct Side {
    name: &'static str,
    host_port: String,
    /// Placeholder → this side's value.
    vars: Vec<(String, String)>,
    /// Plugin and build versions this side reports (normalised away).
    versions: Vec<String>,
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
        let mut attempt = 0;
        loop {
            let r = http::request(&self.host_port, c.method, &path, &headers, body.as_deref())?;
            attempt += 1;
            if r.status == 500 && c.retry_500 && attempt < 20 {
                std::thread::sleep(Duration::from_millis(500));
                continue;
            }
            return Ok(r);
        }
    }

    fn get_json(&self, path: &str) -> Result<(u16, Value)> {
        let r = http::request(&self.host_port, "GET", &self.fill(path), &[], None)?;
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
    let was_up: Vec<&str> = [kafka, reference]
        .iter()
        .filter(|s| services::running_pid(ctx, **s).is_some())
        .map(|s| s.name())
        .collect();
    services::up(ctx, reference)?;
    let result = run_with_services(ctx, &args, kafka, reference);
    if !args.keep {
        for s in [reference, kafka] {
            if !was_up.contains(&s.name()) {
                if let Err(e) = services::down(ctx, s) {
                    say!("conformance: could not stop {}: {e:#}", s.name());
                }
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

fn run_with_services(
    ctx: &Ctx,
    args: &Args,
    kafka: &dyn Service,
    reference: &dyn Service,
) -> Result<()> {
    let bootstrap = env_of(kafka, "STRAIT_TEST_BOOTSTRAP")?;
    let java_url = env_of(reference, "STRAIT_TEST_CONNECT_REF")?;
    let java_host = java_url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
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
    let strait_host = format!("127.0.0.1:{}", args.port);
    let mut strait = StraitProcess::start(ctx, &dir, &bootstrap, &strait_host)?;
    let outcome = (|| -> Result<bool> {
        let run_id = format!(
            "{}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)?
                .as_millis()
                % 100_000_000
        );
        let mut sides = [
            make_side("java", &java_host, &run_id, &input, &dir)?,
            make_side("strait", &strait_host, &run_id, &input, &dir)?,
        ];
        for side in &mut sides {
            side.versions = versions(side)?;
            cleanup(side)?;
        }
        let mut clean = true;
        if !args.bench_only {
            clean = run_scenario(args, &sides, lines.len())?;
        }
        let n = if args.bench_only && args.bench == 0 {
            20
        } else {
            args.bench
        };
        if n > 0 {
            bench(&sides, n)?;
        }
        Ok(clean)
    })();
    strait.stop();
    match outcome {
        Ok(true) => Ok(()),
        Ok(false) => bail!("conformance: differences not in {}", args.allow.display()),
        Err(e) => Err(e.context(format!("strait log: {}", strait.log.display()))),
    }
}

fn make_side(
    name: &'static str,
    host: &str,
    run: &str,
    input: &std::path::Path,
    dir: &std::path::Path,
) -> Result<Side> {
    let vars = vec![
        // Per-side names: both workers share the broker, and a sink's consumer group is
        // named after its connector.
        ("${SRC}".to_string(), format!("conf-src-{name}-{run}")),
        ("${SNK}".to_string(), format!("conf-sink-{name}-{run}")),
        ("${BAD}".to_string(), format!("conf-bad-{name}-{run}")),
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
            http::request(
                &side.host_port,
                "DELETE",
                &format!("/connectors/{n}"),
                &[],
                None,
            )?;
        }
    }
    Ok(())
}

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

fn run_scenario(args: &Args, sides: &[Side; 2], in_len: usize) -> Result<bool> {
    let allowed = allow::load(&args.allow)?;
    let mut diffs: Vec<Diff> = Vec::new();
    let steps = scenario::steps(in_len);
    let total = steps.iter().filter(|s| matches!(s, Step::Check(_))).count();
    say!(
        "conformance: {total} checks against {} and {}",
        sides[0].host_port,
        sides[1].host_port
    );
    for step in &steps {
        match step {
            Step::Do(c) => {
                for side in sides {
                    side.send(c)?;
                }
            }
            Step::Check(c) => {
                let j = answer(&sides[0], &sides[0].send(c)?);
                let s = answer(&sides[1], &sides[1].send(c)?);
                if j.0 != s.0 {
                    diffs.push(Diff {
                        step: c.id.clone(),
                        path: "$status".into(),
                        detail: format!("status: java {} / strait {}", j.0, s.0),
                    });
                }
                if j.2 != s.2 {
                    diffs.push(Diff {
                        step: c.id.clone(),
                        path: "$header.location".into(),
                        detail: format!("Location: java {:?} / strait {:?}", j.2, s.2),
                    });
                }
                diff::diff(&c.id, &j.1, &s.1, &c.cmp, &mut diffs);
            }
            Step::Wait {
                id,
                path,
                what,
                pred,
            } => {
                for side in sides {
                    let deadline = Instant::now() + Duration::from_secs(45);
                    loop {
                        let (status, body) = side.get_json(path)?;
                        if status == 200 && pred(&body) {
                            break;
                        }
                        if Instant::now() > deadline {
                            diffs.push(Diff {
                                step: id.clone(),
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
    report(&diffs, &allowed, total, args.verbose)
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

/// The Strait worker under test, as a child process.
struct StraitProcess {
    child: Option<Child>,
    log: PathBuf,
}

impl StraitProcess {
    fn start(
        ctx: &Ctx,
        dir: &std::path::Path,
        bootstrap: &str,
        host_port: &str,
    ) -> Result<StraitProcess> {
        if util::tcp_open(host_port) {
            bail!("{host_port} is already in use; pass --port");
        }
        let offsets = dir.join("strait.offsets");
        let _ = fs::remove_file(&offsets);
        // The reference worker's settings (see services/connect_ref.rs), on Strait's port.
        let worker = format!(
            "bootstrap.servers={bootstrap}\nlisteners=http://{host_port}\n\
             key.converter=org.apache.kafka.connect.json.JsonConverter\n\
             value.converter=org.apache.kafka.connect.json.JsonConverter\n\
             key.converter.schemas.enable=true\nvalue.converter.schemas.enable=true\n\
             offset.storage.file.filename={}\noffset.flush.interval.ms=1000\n",
            offsets.display()
        );
        let worker_file = dir.join("strait-worker.properties");
        fs::write(&worker_file, worker)?;
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| ctx.root.join("target"));
        let bin = target.join("debug").join("strait");
        let log = dir.join("strait.log");
        let out = fs::File::create(&log)?;
        let child = Command::new(&bin)
            .arg("standalone")
            .arg(&worker_file)
            // The reference worker's log4j2 root level is WARN.
            .env("STRAIT_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .with_context(|| format!("start {}", bin.display()))?;
        let mut p = StraitProcess {
            child: Some(child),
            log,
        };
        let ready = util::wait_until(Duration::from_secs(60), Duration::from_millis(100), || {
            matches!(util::http_get(host_port, "/"), Ok((200, _)))
        });
        if !ready {
            p.stop();
            bail!(
                "strait did not answer on {host_port}\n{}",
                util::log_report(&p.log, 30)
            );
        }
        say!(
            "conformance: strait up on {host_port} (log {})",
            p.log.display()
        );
        Ok(p)
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = util::signal(c.id(), "TERM");
            let deadline = Instant::now() + Duration::from_secs(15);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = c.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for StraitProcess {
    fn drop(&mut self) {
        self.stop();
    }
}
