//! `cargo xtask bench`: the end-to-end benchmark. Brings Kafka up, builds Strait and the driver
//! in release mode, and runs `bench/src/bin/e2e.rs`: Datagen → Kafka (source), then draining the
//! topic with the blackhole sink and with FileStreamSink to /dev/null, beside Apache Kafka Connect
//! (JVM) doing the same on the same broker and topic. Prints records per CPU-second and peak RSS
//! of each measured worker; paste the table into `bench/RESULTS.md` with the machine and date.

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
}

pub fn run(ctx: &Ctx, args: Args) -> Result<()> {
    let kafka = services::find("kafka")?;
    let outcome = services::up(ctx, kafka)?;
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
    if !args.no_peer {
        cmd.arg("--java-libs")
            .arg(ctx.services_dir.join("kafka/libs"));
    }
    let result = util::run_checked(&mut cmd);
    if args.stop_services && outcome == services::Outcome::Started {
        services::down(ctx, kafka)?;
    }
    result
}
