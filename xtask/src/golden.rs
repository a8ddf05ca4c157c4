//! `cargo xtask golden`: regenerate the golden vectors from the Java reference.
//!
//! Builds the Maven harness in `xtask/golden/` and runs
//! - `strait.golden.Main`, which writes `formats/tests/golden/json_converter.jsonl`;
//! - `strait.golden.Transforms`, which runs Kafka's transforms over every
//!   `formats/tests/golden/transforms/<Name>.cases.jsonl` and writes `<Name>.java.jsonl` beside
//!   it (checked by `cargo test -p strait-formats --test golden transforms`);
//! - `strait.golden.Metrics`, which registers every metric template of Kafka Connect's
//!   `ConnectMetricsRegistry` with Kafka's `JmxReporter` (prefix `kafka.connect`) and scrapes
//!   them with the Prometheus JMX exporter's own collector (empty config, its default naming),
//!   writing `engine/tests/golden/connect_metrics.tsv`: per template its group, name, tags,
//!   Prometheus name and label names (both empty for the string-valued metrics, which the
//!   exporter does not export) and description.
//!
//! Review the diff before committing: a change means Kafka and our expectations differ.

use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Result};

use crate::say;
use crate::util::{self, fmt_dur, Ctx};

const OUTPUT: &str = "formats/tests/golden/json_converter.jsonl";
const TRANSFORMS_DIR: &str = "formats/tests/golden/transforms";
const METRICS_OUTPUT: &str = "engine/tests/golden/connect_metrics.tsv";
const CLASSPATH: &str = "xtask/golden/target/golden.jar:xtask/golden/target/lib/*";

#[derive(clap::Args)]
pub struct Args {}

pub fn run(ctx: &Ctx, _args: Args) -> Result<()> {
    let pom = ctx.root.join("xtask/golden/pom.xml");
    if !pom.exists() {
        bail!(
            "{} does not exist yet: the Java golden harness (Maven project, main class \
             strait.golden.Main) has not been written, so there is nothing to run",
            pom.display()
        );
    }
    util::require_tool(
        "java",
        "install a JDK 17+ (Debian: openjdk-17-jdk-headless)",
    )?;
    util::require_tool("mvn", "install Maven 3.x (Debian: maven)")?;

    let t0 = Instant::now();
    say!("golden: building the harness (mvn package)…");
    util::run_quiet(Command::new("mvn").current_dir(&ctx.root).args([
        "-B",
        "-q",
        "-f",
        "xtask/golden/pom.xml",
        "package",
    ]))?;
    say!(
        "golden: built in {}; generating {OUTPUT}",
        fmt_dur(t0.elapsed())
    );
    if let Some(parent) = ctx.root.join(OUTPUT).parent() {
        std::fs::create_dir_all(parent)?;
    }
    util::run_checked(Command::new("java").current_dir(&ctx.root).args([
        "-cp",
        CLASSPATH,
        "strait.golden.Main",
        OUTPUT,
    ]))?;
    say!("golden: wrote {OUTPUT} in {}", fmt_dur(t0.elapsed()));
    util::run_checked(Command::new("java").current_dir(&ctx.root).args([
        "-cp",
        CLASSPATH,
        "strait.golden.Transforms",
        TRANSFORMS_DIR,
    ]))?;
    say!(
        "golden: wrote {TRANSFORMS_DIR}/*.java.jsonl in {}",
        fmt_dur(t0.elapsed())
    );
    util::run_checked(Command::new("java").current_dir(&ctx.root).args([
        "-cp",
        CLASSPATH,
        "strait.golden.Metrics",
        METRICS_OUTPUT,
    ]))?;
    say!(
        "golden: wrote {METRICS_OUTPUT} in {}",
        fmt_dur(t0.elapsed())
    );
    Ok(())
}
