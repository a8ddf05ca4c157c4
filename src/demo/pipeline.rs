//! The demo pipeline: datagen `pageviews` → topic → the S3 sink writing Parquet into a local
//! `file://` object store under `./strait-demo/lake/` (or, with `--sink file`, FileStreamSink
//! writing text lines), through the embedded broker (or a real cluster with
//! `--bootstrap-servers`), with the REST API on :8083 while it runs. It writes the worker and
//! connector files it uses next to the output, so they double as a starting point for
//! `strait standalone`.

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
    /// Where the records go: `parquet` (the S3 sink, Parquet files in a local `file://` store)
    /// or `file` (FileStreamSink, one text line per record).
    #[arg(long, value_enum, default_value_t = DemoSink::Parquet)]
    pub sink: DemoSink,
}

/// The demo's sink.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoSink {
    Parquet,
    File,
}

/// Bucket of the demo's local object store: `<output>/lake/<bucket>/…`.
const DEMO_BUCKET: &str = "demo";
/// Records per Parquet file in the demo.
const DEMO_FLUSH_SIZE: u64 = 50_000;

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
    let lake = out_dir.join("lake");
    let _ = std::fs::remove_dir_all(&lake);
    let (sink_file, sink_config) = match args.sink {
        DemoSink::File => (
            out_dir.join("file-sink.properties"),
            format!("name=demo-sink\nconnector.class=FileStreamSink\ntasks.max=1\ntopics={topic}\nfile={}\n", data_file.display()),
        ),
        // Schemaless JSON to Parquet (the schema is inferred); files of DEMO_FLUSH_SIZE
        // records, and whatever is left committed by the one-second scheduled rotation.
        DemoSink::Parquet => (
            out_dir.join("s3-sink.properties"),
            format!(
                "name=demo-sink\nconnector.class=io.confluent.connect.s3.S3SinkConnector\ntasks.max=1\ntopics={topic}\n\
                 store.url=file://{}\ns3.bucket.name={DEMO_BUCKET}\n\
                 format.class=io.confluent.connect.s3.format.parquet.ParquetFormat\nflush.size={DEMO_FLUSH_SIZE}\n\
                 rotate.schedule.interval.ms=1000\ntimezone=UTC\n",
                lake.display()
            ),
        ),
    };
    std::fs::create_dir_all(lake.join(DEMO_BUCKET))?;
    std::fs::write(&sink_file, sink_config)?;

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
    let mut lake_files = ParquetFiles::default();
    let result: anyhow::Result<u64> = async {
        loop {
            let produced = records_out("demo-datagen").await;
            let (delivered, bytes) = match args.sink {
                DemoSink::File => (
                    records_out("demo-sink").await,
                    std::fs::metadata(&data_file).map(|m| m.len()).unwrap_or(0),
                ),
                DemoSink::Parquet => lake_files.scan(&lake),
            };
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
    let (files, bytes, destination) = match args.sink {
        DemoSink::File => (
            1,
            std::fs::metadata(&data_file).map(|m| m.len()).unwrap_or(0),
            out_dir.display().to_string(),
        ),
        DemoSink::Parquet => {
            let bytes = lake_files.scan(&lake).1;
            (
                lake_files.files.len() as u64,
                bytes,
                lake.display().to_string(),
            )
        }
    };
    progress.finish(
        &Summary::new(delivered, files, bytes, started.elapsed()).with_destination(destination),
    );
    if args.sink == DemoSink::Parquet {
        let files = lake.join(DEMO_BUCKET).join("topics").join(&topic);
        eprintln!(
            "\n{} Parquet files under {}. Read them with, for example:\n  duckdb -c \"SELECT * FROM '{}/*/*.parquet' LIMIT 5\"\n  python3 -c \"import pyarrow.dataset as ds; print(ds.dataset('{}', format='parquet', partitioning='hive').to_table())\"",
            lake_files.files.len(),
            files.display(),
            files.display(),
            files.display()
        );
    }
    Ok(())
}

/// Rows and bytes of the Parquet files under a directory, read from their footers (each file
/// once: objects are complete when they appear, and never change).
#[derive(Default)]
struct ParquetFiles {
    files: std::collections::BTreeMap<PathBuf, (u64, u64)>,
}

impl ParquetFiles {
    fn scan(&mut self, dir: &std::path::Path) -> (u64, u64) {
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in entries.flatten() {
                let path = e.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|x| x == "parquet")
                    && !self.files.contains_key(&path)
                {
                    if let Some(stats) = parquet_stats(&path) {
                        self.files.insert(path, stats);
                    }
                }
            }
        }
        self.files
            .values()
            .fold((0, 0), |(r, b), (rows, bytes)| (r + rows, b + bytes))
    }
}

fn parquet_stats(path: &std::path::Path) -> Option<(u64, u64)> {
    let file = std::fs::File::open(path).ok()?;
    let bytes = file.metadata().ok()?.len();
    let reader = parquet::file::reader::SerializedFileReader::new(file).ok()?;
    use parquet::file::reader::FileReader as _;
    Some((reader.metadata().file_metadata().num_rows() as u64, bytes))
}
