//! The demo pipeline: datagen `pageviews` → topic → FileStreamSink under `./strait-demo/`,
//! through the embedded broker (or a real cluster with `--bootstrap-servers`), with the REST API
//! on :8083 while it runs. It writes the worker and connector files it uses next to the output,
//! so they double as a starting point for `strait standalone`.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use strait_engine::herder::Herder;
use strait_engine::registry::Registry;
use strait_engine::runtime::State;
use strait_engine::standalone::StandaloneWorker;

use super::broker::EmbeddedBroker;
use super::progress::{Progress, Summary};

/// `strait demo` flags.
#[derive(clap::Args, Debug, Clone)]
pub struct DemoArgs {
    /// Records to generate and deliver end to end.
    #[arg(long, default_value_t = 200_000)]
    pub records: u64,
    /// Keep the worker (and its REST API) running after the records are delivered, until Ctrl-C.
    #[arg(long)]
    pub keep_running: bool,
    /// Run against a real Kafka cluster instead of the embedded broker.
    #[arg(long)]
    pub bootstrap_servers: Option<String>,
    /// Where the sink writes (and where the demo's config files go).
    #[arg(long, default_value = "strait-demo")]
    pub output: PathBuf,
    /// REST API port (0 = any free port).
    #[arg(long, default_value_t = 8083)]
    pub rest_port: u16,
}

pub async fn run(args: DemoArgs, registry: Registry) -> anyhow::Result<()> {
    let started = Instant::now();
    if args.records == 0 {
        bail!("--records must be at least 1");
    }
    std::fs::create_dir_all(&args.output)
        .with_context(|| format!("creating {}", args.output.display()))?;
    let out_dir = args.output.canonicalize()?;
    let data_file = out_dir.join("pageviews.txt");
    let offsets_file = out_dir.join("connect.offsets");
    // A demo run starts from scratch: the embedded broker is empty, so old offsets would lie.
    for f in [&data_file, &offsets_file] {
        let _ = std::fs::remove_file(f);
    }

    let (broker, bootstrap, topic) = match &args.bootstrap_servers {
        Some(b) => {
            let stamp = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)?
                .as_secs();
            (None, b.clone(), format!("strait-demo-pageviews-{stamp}"))
        }
        None => {
            let broker = EmbeddedBroker::start("127.0.0.1:0".parse()?).await?;
            // Create the topic up front: a consumer that subscribes before the producer's first
            // record would otherwise wait a metadata refresh to see it.
            broker.create_topic("pageviews", 1)?;
            let bootstrap = broker.bootstrap_servers();
            (Some(broker), bootstrap, "pageviews".to_string())
        }
    };
    let rest_port = match std::net::TcpListener::bind(("127.0.0.1", args.rest_port)) {
        Ok(l) => l.local_addr()?.port(),
        Err(_) => {
            eprintln!(
                "port {} is busy; serving the REST API on a free port instead",
                args.rest_port
            );
            std::net::TcpListener::bind("127.0.0.1:0")?
                .local_addr()?
                .port()
        }
    };

    let worker_file = out_dir.join("worker.properties");
    std::fs::write(
        &worker_file,
        format!(
            "# Written by `strait demo`.\nbootstrap.servers={bootstrap}\nkey.converter=org.apache.kafka.connect.storage.StringConverter\nvalue.converter=org.apache.kafka.connect.json.JsonConverter\nvalue.converter.schemas.enable=false\noffset.storage.file.filename={}\noffset.flush.interval.ms=1000\nlisteners=http://127.0.0.1:{rest_port}\n",
            offsets_file.display()
        ),
    )?;
    let source_file = out_dir.join("datagen-pageviews.properties");
    std::fs::write(
        &source_file,
        format!(
            "name=demo-datagen\nconnector.class=DatagenConnector\ntasks.max=1\nkafka.topic={topic}\nquickstart=pageviews\nmax.interval=0\niterations={}\nrandom.seed=42\n",
            args.records
        ),
    )?;
    let sink_file = out_dir.join("file-sink.properties");
    std::fs::write(
        &sink_file,
        format!("name=demo-sink\nconnector.class=FileStreamSink\ntasks.max=1\ntopics={topic}\nfile={}\n", data_file.display()),
    )?;

    let props = strait_engine::standalone::read_worker_properties(&worker_file)?;
    let worker = StandaloneWorker::start(props, &[source_file, sink_file], registry).await?;
    match &broker {
        Some(_) => eprintln!(
            "Strait demo: embedded broker at {bootstrap}, REST API at http://{}",
            worker.rest_addr
        ),
        None => eprintln!(
            "Strait demo: Kafka at {bootstrap}, REST API at http://{}",
            worker.rest_addr
        ),
    }

    let herder = worker.herder.clone();
    let progress = Progress::new(Some(args.records));
    let records_out = |name: &'static str| {
        let herder = herder.clone();
        async move {
            herder
                .task_metrics(name)
                .await
                .iter()
                .map(|m| m.records_out.load(Ordering::Relaxed))
                .sum::<u64>()
        }
    };
    let result: anyhow::Result<u64> = async {
        loop {
            let produced = records_out("demo-datagen").await;
            let delivered = records_out("demo-sink").await;
            let bytes = std::fs::metadata(&data_file).map(|m| m.len()).unwrap_or(0);
            progress.update(produced, delivered, bytes);
            if delivered >= args.records {
                return Ok(delivered);
            }
            // Datagen's task fails by design once it has written its `iterations` (Java does the
            // same), so a FAILED datagen task that wrote every record is the expected end; any
            // other failure, or a failed sink, ends the demo with its trace.
            for name in ["demo-datagen", "demo-sink"] {
                let status = herder.connector_status(name).await?;
                for t in status
                    .tasks
                    .into_iter()
                    .filter(|t| t.state == State::Failed)
                {
                    // Counted after reading the state: what a task wrote precedes its failure.
                    let expected_end =
                        name == "demo-datagen" && records_out(name).await >= args.records;
                    if !expected_end {
                        bail!(
                            "task {name}-{} failed:\n{}",
                            t.id,
                            t.trace.unwrap_or_default()
                        );
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    .await;
    let delivered = match result {
        Ok(d) => d,
        Err(e) => {
            worker.shutdown().await;
            return Err(e);
        }
    };
    if args.keep_running {
        eprintln!(
            "\nAll {delivered} records delivered; the worker keeps running. Press Ctrl-C to stop."
        );
        strait_engine::standalone::shutdown_signal().await;
    }
    worker.shutdown().await;
    if let Some(b) = broker {
        b.shutdown().await?;
    }
    let bytes = std::fs::metadata(&data_file).map(|m| m.len()).unwrap_or(0);
    progress.finish(
        &Summary::new(delivered, 1, bytes, started.elapsed())
            .with_destination(out_dir.display().to_string()),
    );
    Ok(())
}
