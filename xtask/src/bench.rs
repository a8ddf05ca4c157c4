//! `cargo xtask bench`: the end-to-end benchmark. Brings Kafka up, builds Strait and the driver
//! in release mode, and runs `bench/src/bin/e2e.rs`: Datagen → Kafka (source), then draining the
//! topic with the blackhole sink, with FileStreamSink to /dev/null, and with FileStreamSink behind
//! JSON decoding and a chain of five SMTs, beside Apache Kafka Connect (JVM) doing the same on the
//! same broker and topic, and a raw librdkafka consume of that topic
//! as the baseline the drains are compared with. Prints records per CPU-second and peak RSS of
//! each measured process and the ratio lines of the targets; paste the table into
//! `bench/RESULTS.md` with the machine and date.
//!
//! `--bootstrap` points the run at a broker that is already running (a shared one, or one
//! started from another checkout): then no service is started or stopped, and `--java-libs`
//! says where the Kafka jars for the JVM peer are.

use std::path::PathBuf;
use std::process::Command;

use anyhow::Result;

use crate::services;
use crate::util::{self, Ctx};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Records to pre-load and drain.
    #[arg(long, default_value_t = 2_000_000)]
    records: u64,
    /// Partitions of the benchmark topic.
    #[arg(long, default_value_t = 16)]
    partitions: i32,
    /// Skip the JVM Kafka Connect peer.
    #[arg(long)]
    no_peer: bool,
    /// Stop Kafka afterwards if this run started it.
    #[arg(long)]
    stop_services: bool,
    /// Use the broker already running at this address instead of starting the test service.
    #[arg(long)]
    bootstrap: Option<String>,
    /// Kafka's `libs/` directory for the JVM peer (default: this checkout's test service).
    #[arg(long)]
    java_libs: Option<PathBuf>,
}

pub fn run(ctx: &Ctx, args: Args) -> Result<()> {
    let kafka = services::find("kafka")?;
    let outcome = match &args.bootstrap {
        // Someone else's broker: neither start nor stop it.
        Some(_) => services::Outcome::AlreadyUp,
        None => services::up(ctx, kafka)?,
    };
    util::run_checked(Command::new("cargo").current_dir(&ctx.root).args([
        "build",
        "--release",
        "-p",
        "strait",
        "-p",
        "strait-bench",
        "--bin",
        "strait",
        "--bin",
        "e2e",
    ]))?;
    let mut cmd = Command::new(ctx.root.join("target/release/e2e"));
    cmd.current_dir(&ctx.root)
        .arg("--records")
        .arg(args.records.to_string())
        .arg("--partitions")
        .arg(args.partitions.to_string())
        .arg("--strait")
        .arg(ctx.root.join("target/release/strait"));
    if let Some(bootstrap) = &args.bootstrap {
        cmd.arg("--bootstrap").arg(bootstrap);
    }
    if !args.no_peer {
        let libs = args
            .java_libs
            .clone()
            .unwrap_or_else(|| ctx.services_dir.join("kafka/libs"));
        cmd.arg("--java-libs").arg(libs);
    }
    let result = util::run_checked(&mut cmd);
    if args.stop_services && outcome == services::Outcome::Started {
        services::down(ctx, kafka)?;
    }
    result
}
