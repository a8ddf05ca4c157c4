//! The `strait` binary: a Kafka Connect worker with a columnar data plane.
//!
//! `strait standalone worker.properties [connector.properties|connector.json …]` behaves like
//! `connect-standalone.sh`; `strait distributed worker.properties` like `connect-distributed.sh`;
//! `strait demo` runs an embedded end-to-end pipeline with no external
//! service; `strait docs config` prints the configuration reference generated from the code.
//! This file only parses the command line and wires the plugin registry.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use strait_distributed::DistributedWorker;
use strait_engine::registry::Registry;
use strait_engine::standalone::{read_worker_properties, shutdown_signal, StandaloneWorker};

mod demo;
mod docs;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug)]
#[command(
    name = "strait",
    version,
    about = "A Kafka Connect worker with an Apache Arrow data plane"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a standalone worker, like connect-standalone.sh.
    Standalone {
        /// worker.properties, then connector configs (.properties or .json)
        files: Vec<PathBuf>,
    },
    /// Run a distributed worker, like connect-distributed.sh: a member of the Kafka Connect
    /// cluster named by `group.id`, on Kafka's group coordinator and internal topics.
    Distributed {
        /// worker.properties (connect-distributed.properties keys)
        worker: PathBuf,
    },
    /// Run the embedded demo: datagen → embedded Kafka-protocol broker → sink, no external service.
    Demo(demo::DemoArgs),
    /// List the connectors and converters this build provides.
    Plugins,
    /// Print reference documentation generated from this build's definitions.
    Docs {
        #[command(subcommand)]
        page: DocsPage,
    },
}

#[derive(Subcommand, Debug)]
enum DocsPage {
    /// The configuration reference (Markdown): worker, connector framework, connector and
    /// converter keys. `cargo xtask docs` writes it to docs/configuration.md.
    Config,
}

/// Every plugin this binary ships.
fn registry() -> Registry {
    Registry::new()
        .with_connectors(strait_connectors::connectors())
        .with_converters(strait_formats::converters())
}

/// Logs go to stderr through the engine's reloadable filter, so `/admin/loggers` changes what
/// is logged at run time. `STRAIT_LOG` (or `RUST_LOG`) overrides `default`.
fn init_logging(default: Option<&str>) {
    let overridden =
        std::env::var_os("STRAIT_LOG").is_some() || std::env::var_os("RUST_LOG").is_some();
    match default {
        Some(directives) if !overridden => {
            strait_engine::logging::init_with(directives, std::io::stderr);
        }
        _ => {
            strait_engine::logging::init();
        }
    }
}

/// Read the worker file, start a worker with `start`, run until SIGINT/SIGTERM, then stop it
/// with the future `start` returned. Exit codes: 2 for an unreadable worker file, the start
/// error's own code otherwise.
async fn run_until_signal<S, F>(worker_file: &std::path::Path, start: S) -> ExitCode
where
    S: FnOnce(strait_engine::config::Props) -> F,
    F: std::future::Future<
        Output = Result<
            std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>,
            strait_engine::standalone::StartError,
        >,
    >,
{
    let props = match read_worker_properties(worker_file) {
        Ok(p) => p,
        Err(e) => {
            tracing::error!("Stopping due to error: {e}");
            return ExitCode::from(2);
        }
    };
    let stop = match start(props).await {
        Ok(stop) => stop,
        Err(e) => {
            tracing::error!("Failed to start Strait: {e}");
            return ExitCode::from(e.exit_code());
        }
    };
    shutdown_signal().await;
    tracing::info!("Strait is shutting down");
    stop.await;
    ExitCode::SUCCESS
}

const USAGE: &str =
    "Usage: strait standalone worker.properties [connector1.properties connector2.json ...]";

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("could not start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match cli.command {
        Command::Standalone { files } => {
            init_logging(None);
            // Same exit codes as ConnectStandalone: usage 1, invalid worker configuration 2,
            // failure to start Connect or to create a command-line connector 3 (the kind of
            // `StartError` decides).
            let Some((worker_file, connector_files)) = files.split_first() else {
                eprintln!("{USAGE}");
                return ExitCode::from(1);
            };
            runtime.block_on(run_until_signal(worker_file, |props| async move {
                let w = StandaloneWorker::start(props, connector_files, registry()).await?;
                Ok(Box::pin(async move { w.shutdown().await }) as _)
            }))
        }
        Command::Distributed { worker } => {
            init_logging(None);
            // ConnectDistributed's exit codes: invalid worker configuration 2 (here, like
            // standalone), failure to start 3.
            runtime.block_on(run_until_signal(&worker, |props| async move {
                let w = DistributedWorker::start(props, registry()).await?;
                Ok(Box::pin(async move { w.shutdown().await }) as _)
            }))
        }
        Command::Demo(args) => {
            // The progress line is the demo's interface; failures come back with their trace.
            init_logging(Some("error,strait_engine::runtime=off"));
            match runtime.block_on(demo::run(args, registry())) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("demo failed: {e:#}");
                    ExitCode::from(1)
                }
            }
        }
        Command::Plugins => {
            use std::io::Write;
            // `strait plugins | head`: a reader that stops early ends the listing quietly
            // (`println!` panics on the broken pipe).
            let mut out = std::io::stdout().lock();
            for info in registry().plugin_infos() {
                if writeln!(out, "{:<18} {}", info.kind.as_str(), info.class).is_err() {
                    break;
                }
            }
            ExitCode::SUCCESS
        }
        Command::Docs {
            page: DocsPage::Config,
        } => {
            let text = docs::configuration_reference(&registry());
            match std::io::stdout().lock().write_all(text.as_bytes()) {
                Ok(()) => ExitCode::SUCCESS,
                // `strait docs config | head`: the reader has what it wanted.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("could not write the reference: {e}");
                    ExitCode::from(1)
                }
            }
        }
    }
}
