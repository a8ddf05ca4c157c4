//! Scenario `exactly_once` (`cargo xtask bench exactly_once`): what exactly-once source support
//! (KIP-618) costs, for Strait and for Apache Kafka Connect 4.1.2 in the same run.
//!
//! Four single-worker distributed clusters, one after the other, on the same broker and the same
//! input: {Strait, Java} × {at-least-once (`exactly.once.source.support=disabled`),
//! exactly-once (`enabled`, `transaction.boundary=poll`)}. Each runs one FileStreamSource task
//! (the source connector both ship) reading a pre-written file of `--records` lines
//! (~100 bytes each) into a fresh one-partition topic, StringConverter values.
//!
//! 1. **Throughput**: from the POST of the connector until a `read_committed` consumer (this
//!    driver, not measured) has seen every line; the worker process's CPU time over that span
//!    (utime + stime from `/proc`, sampled just before the POST and at the end, so JVM start-up
//!    and the group join are not counted). Records per CPU-second and per wall second.
//! 2. **Latency**: then [`LATENCY_SAMPLES`] single lines appended one by one, 200 ms apart; for
//!    each, the time from the append until the `read_committed` consumer sees it. This includes
//!    the source's end-of-file wait (Java's FileStreamSource sleeps 1 s at end of file; Strait's
//!    waits less), the produce, and for exactly-once the transaction commit.
//!
//! The figures go to `bench/RESULTS.md` with the machine and the command.

use std::io::{Read, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{ClientConfig, Message};

use super::{free_port, proc_usage, tail, Args, Guard};

/// Lines read by default.
pub(crate) const DEFAULT_RECORDS: u64 = 1_000_000;
/// Single-line appends timed for the latency figure.
const LATENCY_SAMPLES: usize = 30;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Impl {
    Strait,
    Java,
}

struct Outcome {
    label: String,
    records: u64,
    wall: Duration,
    cpu: f64,
    latencies_ms: Vec<f64>,
}

pub(crate) fn run(a: &Args, stamp: u64) -> Result<()> {
    let input = a.work.join("input.txt");
    write_input(&input, a.records)?;
    let mut outcomes = Vec::new();
    let impls: Vec<Impl> = if a.java_libs.is_some() {
        vec![Impl::Strait, Impl::Java]
    } else {
        vec![Impl::Strait]
    };
    for imp in impls {
        for eos in [false, true] {
            outcomes.push(one(a, stamp, imp, eos, &input)?);
        }
    }
    println!();
    println!("| run | records | wall | worker CPU | records/CPU-s | records/s | latency p50 | latency p95 |");
    println!("|---|---|---|---|---|---|---|---|");
    for o in &outcomes {
        let (p50, p95) = percentiles(&o.latencies_ms);
        println!(
            "| {} | {} | {:.2} s | {:.2} s | {:.0} | {:.0} | {p50:.0} ms | {p95:.0} ms |",
            o.label,
            o.records,
            o.wall.as_secs_f64(),
            o.cpu,
            o.records as f64 / o.cpu.max(1e-9),
            o.records as f64 / o.wall.as_secs_f64().max(1e-9)
        );
    }
    let rate = |label: &str| {
        outcomes
            .iter()
            .find(|o| o.label == label)
            .map(|o| o.records as f64 / o.cpu.max(1e-9))
    };
    for imp in ["Strait", "Java"] {
        if let (Some(alo), Some(eos)) = (
            rate(&format!("{imp} at-least-once")),
            rate(&format!("{imp} exactly-once")),
        ) {
            println!(
                "{imp}: exactly-once runs at {:.2}× its at-least-once records/CPU-s",
                eos / alo
            );
        }
    }
    if let (Some(ours), Some(java)) = (rate("Strait exactly-once"), rate("Java exactly-once")) {
        println!(
            "exactly-once: Strait / Java records per CPU-second = {:.2}×",
            ours / java
        );
    }
    Ok(())
}

/// `records` lines of 100 bytes (99 characters and a newline), numbered.
fn write_input(path: &Path, records: u64) -> Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for i in 0..records {
        writeln!(out, "line-{i:010} {}", "x".repeat(83))?;
    }
    out.flush()?;
    Ok(())
}

fn percentiles(v: &[f64]) -> (f64, f64) {
    if v.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let at = |q: f64| s[((s.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.95))
}

fn one(a: &Args, stamp: u64, imp: Impl, eos: bool, input: &Path) -> Result<Outcome> {
    let kind = if eos { "exactly-once" } else { "at-least-once" };
    let name = match imp {
        Impl::Strait => "Strait",
        Impl::Java => "Java",
    };
    let label = format!("{name} {kind}");
    let tag = format!(
        "{}-{}",
        name.to_lowercase(),
        if eos { "eos" } else { "alo" }
    );
    let dir = a.work.join(&tag);
    std::fs::create_dir_all(&dir)?;
    let group = format!("bench-eos-{stamp}-{tag}");
    let topic = format!("{group}-lines");
    let port = free_port();
    let props = dir.join("worker.properties");
    std::fs::write(
        &props,
        format!(
            "bootstrap.servers={}\ngroup.id={group}\nconfig.storage.topic={group}-configs\noffset.storage.topic={group}-offsets\nstatus.storage.topic={group}-status\nconfig.storage.replication.factor=1\noffset.storage.replication.factor=1\nstatus.storage.replication.factor=1\nkey.converter=org.apache.kafka.connect.storage.StringConverter\nvalue.converter=org.apache.kafka.connect.storage.StringConverter\nlisteners=http://127.0.0.1:{port}\nrest.advertised.host.name=127.0.0.1\noffset.flush.interval.ms=1000\nscheduled.rebalance.max.delay.ms=0\nexactly.once.source.support={}\nplugin.discovery=service_load\n",
            a.bootstrap,
            if eos { "enabled" } else { "disabled" }
        ),
    )?;
    let log = dir.join("worker.log");
    let child = spawn(a, imp, &props, &log)?;
    let mut guard = Guard(child);
    let pid = guard.0.id();
    wait_ready(&mut guard.0, port, &log)?;
    // A reader that starts before the connector, so it sees every committed line.
    let reader: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &a.bootstrap)
        .set("group.id", format!("{group}-reader"))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
        .set("topic.metadata.refresh.interval.ms", "500")
        .create()?;
    reader.subscribe(&[topic.as_str()])?;
    let (cpu_before, _) = proc_usage(pid)?;
    let started = Instant::now();
    let body = format!(
        r#"{{"name":"lines","config":{{"connector.class":"org.apache.kafka.connect.file.FileStreamSourceConnector","file":"{}","topic":"{topic}","tasks.max":"1"}}}}"#,
        input.display()
    );
    let (code, resp) = http(port, "POST", "/connectors", &body)?;
    if code != 201 {
        bail!("{label}: POST /connectors answered {code}: {resp}");
    }
    let mut seen = 0u64;
    while seen < a.records {
        if let Some(status) = guard.0.try_wait()? {
            bail!("{label}: the worker exited ({status}):\n{}", tail(&log));
        }
        if started.elapsed() > Duration::from_secs(900) {
            bail!(
                "{label}: only {seen} of {} lines in 15 minutes:\n{}",
                a.records,
                tail(&log)
            );
        }
        // Errors before the connector created the topic (unknown topic) are expected.
        if let Some(Ok(_)) = reader.poll(Duration::from_millis(100)) {
            seen += 1;
        }
    }
    let wall = started.elapsed();
    let (cpu_after, _) = proc_usage(pid)?;

    // Latency: single lines, one at a time.
    let mut latencies_ms = Vec::with_capacity(LATENCY_SAMPLES);
    for i in 0..LATENCY_SAMPLES {
        std::thread::sleep(Duration::from_millis(200));
        let marker = format!("latency-{i:04}");
        let appended = Instant::now();
        {
            let mut f = std::fs::OpenOptions::new().append(true).open(input)?;
            writeln!(f, "{marker}")?;
        }
        let deadline = appended + Duration::from_secs(30);
        loop {
            if Instant::now() > deadline {
                bail!("{label}: line {marker} not seen in 30 s:\n{}", tail(&log));
            }
            if let Some(Ok(m)) = reader.poll(Duration::from_millis(5)) {
                if m.payload() == Some(marker.as_bytes()) {
                    latencies_ms.push(appended.elapsed().as_secs_f64() * 1000.0);
                    break;
                }
            }
        }
    }
    // Leave the input as it was for the next run: the latency lines go.
    truncate_to_lines(input, a.records)?;
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status();
    let deadline = Instant::now() + Duration::from_secs(30);
    while guard.0.try_wait()?.is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!(
        "{label}: {seen} lines in {wall:?}, {:.2} CPU-s",
        cpu_after - cpu_before
    );
    Ok(Outcome {
        label,
        records: a.records,
        wall,
        cpu: cpu_after - cpu_before,
        latencies_ms,
    })
}

fn truncate_to_lines(input: &Path, records: u64) -> Result<()> {
    let f = std::fs::OpenOptions::new().write(true).open(input)?;
    f.set_len(records * 100)?;
    Ok(())
}

fn spawn(a: &Args, imp: Impl, props: &Path, log: &Path) -> Result<Child> {
    let out = std::fs::File::create(log)?;
    let mut cmd = match imp {
        Impl::Strait => {
            let mut c = Command::new(&a.strait);
            c.arg("distributed").arg(props).env("STRAIT_LOG", "warn");
            c
        }
        Impl::Java => {
            let libs: &PathBuf = a.java_libs.as_ref().context("no --java-libs")?;
            let mut c = Command::new("java");
            c.args(["-Xms256m", "-Xmx512m", "-cp"])
                .arg(format!("{}/*", libs.display()))
                .arg("org.apache.kafka.connect.cli.ConnectDistributed")
                .arg(props);
            c
        }
    };
    cmd.stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out)
        .spawn()
        .context("starting a worker")
}

/// Until `GET /health` answers 200 (the herder joined its group).
fn wait_ready(child: &mut Child, port: u16, log: &Path) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait()? {
            bail!(
                "the worker exited ({status}) before it was ready:\n{}",
                tail(log)
            );
        }
        if matches!(http(port, "GET", "/health", ""), Ok((200, _))) {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the worker was not ready in 120 s:\n{}", tail(log));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A plain HTTP/1.1 request with a JSON body; the status code and the body text.
fn http(port: u16, method: &str, path: &str, body: &str) -> Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut resp = String::new();
    s.read_to_string(&mut resp)?;
    let code = resp
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .context("no HTTP status")?;
    Ok((
        code,
        resp.split("\r\n\r\n").nth(1).unwrap_or("").to_string(),
    ))
}
