//! `cargo xtask`: Strait's developer CLI.
//!
//! One module per subcommand; to add one, write `src/<name>.rs` with an `Args` struct (clap
//! derive) and a `run(&Ctx, Args) -> Result<()>`, then add a variant to [`Command`] and a line
//! to `main`. Shared helpers (paths, processes, tiny TCP/HTTP probes) live in [`util`].
//!
//! The crate is deliberately small (clap + anyhow, std networking, shell-outs to `java`/`mvn`/
//! `cargo`) so that it compiles in seconds on a cold machine.

mod bench;
mod conformance;
mod deploy;
mod docs;
mod fuzz;
mod golden;
mod pyclients;
mod services;
mod test;
mod util;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Strait developer tasks", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start, stop and inspect the real services tests run against (Kafka, reference Connect, …).
    Services(services::Args),
    /// Start the services the tests need, run the whole workspace's tests, stop what was started.
    Test(test::Args),
    /// Run cargo-fuzz targets (`fuzz/`): one target, `--list`, or a `--smoke` pass over all.
    Fuzz(fuzz::Args),
    /// Regenerate the JsonConverter golden vectors with the Java harness in `xtask/golden/`.
    Golden(golden::Args),
    /// Run one REST scenario against Apache Kafka Connect and Strait side by side; diff them.
    Conformance(conformance::Args),
    /// End-to-end benchmark: Datagen → Kafka → blackhole / file sink, beside JVM Kafka Connect.
    Bench(bench::Args),
    /// Install the Python Kafka clients (confluent-kafka) the interop tests drive; print the
    /// `export STRAIT_TEST_PYTHON=…` line.
    PyClients(pyclients::Args),
    /// Regenerate docs/configuration.md from the code's config definitions (`--check`: fail
    /// if the committed file is out of date).
    Docs(docs::Args),
    /// Lint the shipping recipes under deploy/ (Kubernetes schemas, hadolint, shellcheck,
    /// systemd-analyze, the image entrypoint's CONNECT_* translation); `--build-image` builds it.
    LintDeploy(deploy::Args),
}

fn main() {
    let cli = Cli::parse();
    let ctx = match util::Ctx::new() {
        Ok(ctx) => ctx,
        Err(e) => fail(e),
    };
    let result: Result<()> = match cli.command {
        Command::Services(args) => services::run(&ctx, args),
        Command::Test(args) => test::run(&ctx, args),
        Command::Fuzz(args) => fuzz::run(&ctx, args),
        Command::Golden(args) => golden::run(&ctx, args),
        Command::Conformance(args) => conformance::run(&ctx, args),
        Command::Bench(args) => bench::run(&ctx, args),
        Command::Docs(args) => docs::run(&ctx, args),
        Command::PyClients(args) => pyclients::run(&ctx, args),
        Command::LintDeploy(args) => deploy::run(&ctx, args),
    };
    if let Err(e) = result {
        fail(e);
    }
}

fn fail(e: anyhow::Error) -> ! {
    eprintln!("xtask: error: {e:#}");
    std::process::exit(1);
}
