//! Sink task driver.
//!
//! A dedicated thread polls the consumer (group `connect-<connector>`, auto-commit off) and
//! appends records straight into Arrow builders; whole raw batches cross a bounded channel to the
//! async driver, so a slow sink slows the consumer and memory stays bounded. The driver decodes
//! key and value only when the sink asks for decoded input, routes undecodable records per
//! `errors.tolerance` (fail the task, or skip them and write the original bytes to the DLQ),
//! calls `put`, and every `offset.flush.interval.ms` asks the task (`pre_commit`) which offsets
//! are durable. Only those are committed, and never beyond what was consumed (at-least-once).
//! Partition revocation and stop commit synchronously after `pre_commit`.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arrow::array::{
    Array, ArrayRef, BinaryArray, BooleanArray, Int32Array, Int64Array, ListArray, StructArray,
};
use arrow::datatypes::Field;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use tokio::sync::mpsc;

use super::{Converters, DriverContext, State, TaskMetrics};
use crate::batch::{
    columns, header_entries, topic_at, Batch, OffsetMap, RawBatchBuilder, TopicPartition,
};
use crate::connector_config::Tolerance;
use crate::error::{Error, Result, Stage};
use crate::kafka::{client_config, create, ClientRole};
use crate::plugin::{Converter, RowError, SinkInput, SinkTask, SinkTaskContext};

/// Most records per batch handed to the task.
const MAX_BATCH_RECORDS: usize = 8192;
/// Most payload bytes per batch.
const MAX_BATCH_BYTES: usize = 8 << 20;
/// While messages stream in, the consumer thread runs the driver's commands (commits, pause) at
/// least this often (in messages); each check costs a lock.
const COMMAND_CHECK_EVERY: u32 = 256;

enum Event {
    Batch(Batch),
    Assigned(Vec<TopicPartition>),
    /// Partitions are being revoked; reply with the offsets safe to commit for them.
    Revoked(Vec<TopicPartition>, std::sync::mpsc::Sender<OffsetMap>),
    Error(Error),
}

enum Command {
    Commit(OffsetMap, Option<std::sync::mpsc::Sender<Result<()>>>),
    Pause(bool),
}

/// Consumer context: turns rebalances into events for the driver, flushes the batch being built
/// before partitions go away (so no record of a revoked partition is put after `close`), and
/// executes the driver's commands. While the channel to the driver is full it keeps executing
/// commands and watching the stop flag, so a final commit is never stuck behind a full channel.
struct SinkConsumerContext {
    events: mpsc::Sender<Event>,
    building: Mutex<RawBatchBuilder>,
    commands: Mutex<std::sync::mpsc::Receiver<Command>>,
    stop: Arc<AtomicBool>,
    paused: AtomicBool,
    closing: AtomicBool,
}

impl ClientContext for SinkConsumerContext {}

impl ConsumerContext for SinkConsumerContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if self.closing.load(Ordering::Acquire) {
            return;
        }
        if let Rebalance::Revoke(tpl) = rebalance {
            let tps = to_tps(tpl);
            if tps.is_empty() {
                return;
            }
            self.send_building(consumer);
            let (tx, rx) = std::sync::mpsc::channel();
            if !self.send(consumer, Event::Revoked(tps, tx)) {
                return;
            }
            if let Ok(offsets) = rx.recv_timeout(Duration::from_secs(60)) {
                if !offsets.is_empty() {
                    if let Err(e) = consumer.commit(&to_tpl(&offsets), CommitMode::Sync) {
                        tracing::warn!(error = %e, "offset commit on partition revocation failed");
                    }
                }
            }
        }
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if self.closing.load(Ordering::Acquire) {
            return;
        }
        if let Rebalance::Assign(tpl) = rebalance {
            if self.paused.load(Ordering::Acquire) {
                // Newly assigned partitions of a paused task stay paused.
                let _ = consumer.pause(tpl);
            }
            self.send(consumer, Event::Assigned(to_tps(tpl)));
        }
    }
}

impl SinkConsumerContext {
    /// Send an event to the driver; while the channel is full, run commands. Returns false
    /// when the driver is gone or stopping.
    fn send(&self, consumer: &BaseConsumer<Self>, mut event: Event) -> bool {
        loop {
            match self.events.try_send(event) {
                Ok(()) => return true,
                Err(mpsc::error::TrySendError::Closed(_)) => return false,
                Err(mpsc::error::TrySendError::Full(e)) => {
                    event = e;
                    self.run_commands(consumer);
                    if self.stop.load(Ordering::Acquire) {
                        return false;
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        }
    }

    fn send_building(&self, consumer: &BaseConsumer<Self>) {
        let batch = {
            let mut b = self.building.lock().expect("builder lock");
            if b.is_empty() {
                return;
            }
            b.finish()
        };
        match batch {
            Ok(batch) => self.send(consumer, Event::Batch(batch)),
            Err(e) => self.send(consumer, Event::Error(e)),
        };
    }

    /// Execute pending commands: commits (async, or sync with a reply) and pause/resume.
    fn run_commands(&self, consumer: &BaseConsumer<Self>) {
        let commands = self.commands.lock().expect("commands lock");
        while let Ok(cmd) = commands.try_recv() {
            match cmd {
                Command::Commit(offsets, reply) => {
                    let result = if offsets.is_empty() {
                        Ok(())
                    } else {
                        let mode = if reply.is_some() {
                            CommitMode::Sync
                        } else {
                            CommitMode::Async
                        };
                        consumer
                            .commit(&to_tpl(&offsets), mode)
                            .map_err(Error::from)
                    };
                    if let Err(e) = &result {
                        tracing::warn!(error = %e, "offset commit failed; the next commit retries");
                    }
                    if let Some(r) = reply {
                        let _ = r.send(result);
                    }
                }
                Command::Pause(p) => {
                    if p != self.paused.swap(p, Ordering::AcqRel) {
                        if let Ok(assignment) = consumer.assignment() {
                            let r = if p {
                                consumer.pause(&assignment)
                            } else {
                                consumer.resume(&assignment)
                            };
                            if let Err(e) = r {
                                tracing::warn!(error = %e, "pausing/resuming partitions failed");
                            }
                        }
                    }
                }
            }
        }
    }
}

fn to_tps(tpl: &TopicPartitionList) -> Vec<TopicPartition> {
    tpl.elements()
        .iter()
        .map(|e| TopicPartition::new(e.topic(), e.partition()))
        .collect()
}

fn to_tpl(offsets: &OffsetMap) -> TopicPartitionList {
    let mut tpl = TopicPartitionList::new();
    for (tp, off) in offsets {
        let _ = tpl.add_partition_offset(&tp.topic, tp.partition, Offset::Offset(*off));
    }
    tpl
}

/// Framework consumer settings (`Worker.baseConsumerConfigs`).
fn consumer_base(connector: &str, task: u32) -> Vec<(&'static str, String)> {
    vec![
        ("group.id", format!("connect-{connector}")),
        (
            "client.id",
            format!("connector-consumer-{connector}-{task}"),
        ),
        ("enable.auto.commit", "false".into()),
        ("enable.auto.offset.store", "false".into()),
        ("auto.offset.reset", "earliest".into()),
        ("fetch.wait.max.ms", "100".into()),
        ("queued.max.messages.kbytes", "65536".into()),
    ]
}

/// The poll thread: owns the consumer, builds raw batches, executes commits.
///
/// This loop runs once per message, so it touches shared state as little as it can: one
/// (uncontended) lock of the builder per message, commands checked when the consumer is idle,
/// after each batch, and at least every [`COMMAND_CHECK_EVERY`] messages.
fn poll_loop(consumer: BaseConsumer<SinkConsumerContext>) {
    let ctx = consumer.context();
    // Whether the builder may hold records. A rebalance callback inside `poll` can flush it
    // behind our back; then this is stale-true for one zero-timeout poll, which is harmless.
    let mut pending = false;
    let mut since_commands = 0u32;
    while !ctx.stop.load(Ordering::Acquire) {
        if !pending || since_commands >= COMMAND_CHECK_EVERY {
            ctx.run_commands(&consumer);
            since_commands = 0;
        }
        let timeout = if pending {
            Duration::ZERO
        } else {
            Duration::from_millis(100)
        };
        match consumer.poll(timeout) {
            Some(Ok(msg)) => {
                since_commands += 1;
                let full = {
                    let mut b = ctx.building.lock().expect("builder lock");
                    let headers = msg.headers();
                    let header_iter = headers
                        .into_iter()
                        .flat_map(|h| h.iter())
                        .map(|h: Header<'_, &[u8]>| (h.key, h.value));
                    b.append(
                        msg.topic(),
                        msg.partition(),
                        msg.offset(),
                        msg.timestamp().to_millis(),
                        msg.key(),
                        msg.payload(),
                        header_iter,
                    );
                    b.len() >= MAX_BATCH_RECORDS || b.payload_bytes() >= MAX_BATCH_BYTES
                };
                pending = !full;
                if full {
                    ctx.send_building(&consumer);
                    ctx.run_commands(&consumer);
                    since_commands = 0;
                }
            }
            Some(Err(e)) => {
                let err = Error::from(e);
                if err.is_retriable() {
                    tracing::debug!(error = %err, "transient consumer error");
                } else {
                    tracing::warn!(error = %err, "consumer error");
                }
            }
            None => {
                ctx.send_building(&consumer);
                pending = false;
            }
        }
    }
    // Closing: the driver already committed; run what it sent last, then leave the group.
    ctx.run_commands(&consumer);
    ctx.closing.store(true, Ordering::Release);
    consumer.unsubscribe();
}

pub(crate) async fn run(mut ctx: DriverContext, mut task: Box<dyn SinkTask>) {
    let spec = ctx.spec.clone();
    let worker = spec.worker.clone();
    let input = task.input();
    let (events_tx, mut events) = mpsc::channel::<Event>(4);
    let (cmd_tx, cmd_rx) = std::sync::mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let mut cmd_rx = Some(cmd_rx);
    let mut setup = || -> Result<_> {
        let cfg = client_config(
            &worker.config.bootstrap_servers,
            ClientRole::Consumer,
            &consumer_base(&spec.connector, spec.task_id),
            &worker.config.originals,
            &spec.connector_props,
        )?;
        let context = SinkConsumerContext {
            events: events_tx.clone(),
            building: Mutex::new(RawBatchBuilder::with_capacity(MAX_BATCH_RECORDS, 1 << 20)),
            commands: Mutex::new(
                cmd_rx
                    .take()
                    .ok_or_else(|| Error::bug("consumer set up twice"))?,
            ),
            stop: stop.clone(),
            paused: AtomicBool::new(false),
            closing: AtomicBool::new(false),
        };
        let consumer: BaseConsumer<SinkConsumerContext> = {
            use rdkafka::config::FromClientConfigAndContext;
            BaseConsumer::from_config_and_context(&cfg, context)
                .map_err(|e| Error::from(e).context("creating sink task consumer"))?
        };
        match &spec.framework.topics_regex {
            Some(re) => consumer.subscribe(&[&format!("^{}", re.trim_start_matches('^'))])?,
            None => {
                let topics: Vec<&str> = spec.framework.topics.iter().map(String::as_str).collect();
                consumer.subscribe(&topics)?;
            }
        }
        let converters = match input {
            SinkInput::Raw => None,
            SinkInput::Decoded => Some(worker.converters(&spec.connector_props)?),
        };
        let dlq = match &spec.framework.dlq_topic {
            Some(topic) => {
                let cfg = client_config(
                    &worker.config.bootstrap_servers,
                    ClientRole::Producer,
                    &[
                        (
                            "client.id",
                            format!("connector-dlq-producer-{}-{}", spec.connector, spec.task_id),
                        ),
                        ("acks", "all".into()),
                    ],
                    &worker.config.originals,
                    &spec.connector_props,
                )?;
                Some((
                    topic.clone(),
                    create::<FutureProducer>(&cfg, "dead letter queue producer")?,
                ))
            }
            None => None,
        };
        Ok((consumer, converters, dlq))
    };
    let (consumer, converters, dlq) = match setup() {
        Ok(x) => x,
        Err(e) => return ctx.fail(&e),
    };
    if let Some((topic, _)) = &dlq {
        if let Err(e) = ensure_dlq_topic(&spec, topic).await {
            return ctx.fail(&e);
        }
    }
    drop(events_tx);
    if let Err(e) = task
        .start(SinkTaskContext {
            connector: spec.connector.clone(),
            task_id: spec.task_id,
        })
        .await
    {
        return ctx.fail(&e);
    }
    let poller = match std::thread::Builder::new()
        .name(format!("strait-consumer-{}", ctx.name()))
        .spawn(move || poll_loop(consumer))
    {
        Ok(poller) => poller,
        Err(e) => return ctx.fail(&Error::from(e).context("starting the sink consumer thread")),
    };
    ctx.status.set(State::Running);
    tracing::info!(task = %ctx.name(), "sink task started");

    let mut consumed = OffsetMap::new();
    let mut committed = OffsetMap::new();
    let mut assigned: BTreeSet<TopicPartition> = BTreeSet::new();
    let mut flush_tick = tokio::time::interval(
        worker
            .config
            .offset_flush_interval
            .max(Duration::from_millis(10)),
    );
    flush_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    flush_tick.tick().await;
    let mut failure: Option<Error> = None;
    let mut paused = *ctx.paused.borrow();
    if paused {
        let _ = cmd_tx.send(Command::Pause(true));
        ctx.status.set(State::Paused);
    }

    loop {
        tokio::select! {
            _ = ctx.cancel.cancelled() => break,
            changed = ctx.paused.changed() => {
                if changed.is_err() { break; }
                let now = *ctx.paused.borrow();
                if now != paused {
                    paused = now;
                    let _ = cmd_tx.send(Command::Pause(paused));
                    ctx.status.set(if paused { State::Paused } else { State::Running });
                    if paused {
                        // Java requests a commit when a sink task is paused.
                        if let Err(e) = commit(&ctx, &mut *task, &consumed, &mut committed, &assigned, &cmd_tx, false).await {
                            failure = Some(e);
                            break;
                        }
                    }
                }
            }
            ev = events.recv() => match ev {
                Some(Event::Batch(batch)) => {
                    let next = batch.provenance.commit_offsets();
                    match deliver(&ctx, &mut *task, batch, converters.as_ref(), dlq.as_ref()).await {
                        Ok(()) => {
                            for (tp, off) in next {
                                if assigned.contains(&tp) {
                                    consumed.insert(tp, off);
                                }
                            }
                        }
                        Err(e) => { failure = Some(e); break; }
                    }
                }
                Some(Event::Assigned(tps)) => {
                    assigned.extend(tps.iter().cloned());
                    if let Err(e) = task.open(&tps).await { failure = Some(e); break; }
                }
                Some(Event::Revoked(tps, reply)) => {
                    let mine: OffsetMap = consumed.iter().filter(|(tp, _)| tps.contains(tp)).map(|(k, v)| (k.clone(), *v)).collect();
                    let durable = match task.pre_commit(&mine).await {
                        Ok(d) => clamp(d, &mine),
                        Err(e) => { tracing::warn!(task = %ctx.name(), error = %e, "pre_commit failed on revocation; not committing"); OffsetMap::new() }
                    };
                    let _ = reply.send(durable);
                    if let Err(e) = task.close(&tps).await { failure = Some(e); break; }
                    for tp in &tps {
                        assigned.remove(tp);
                        consumed.remove(tp);
                        committed.remove(tp);
                    }
                }
                Some(Event::Error(e)) => { failure = Some(e); break; }
                None => break,
            },
            _ = flush_tick.tick() => {
                if let Err(e) = commit(&ctx, &mut *task, &consumed, &mut committed, &assigned, &cmd_tx, false).await {
                    failure = Some(e);
                    break;
                }
            }
        }
    }

    // Defined commit point: commit what the task reports durable (synchronously), then close.
    if failure.is_none() {
        if let Err(e) = commit(
            &ctx,
            &mut *task,
            &consumed,
            &mut committed,
            &assigned,
            &cmd_tx,
            true,
        )
        .await
        {
            failure = Some(e);
        }
    }
    let all: Vec<TopicPartition> = assigned.iter().cloned().collect();
    if let Err(e) = task.close(&all).await {
        tracing::warn!(task = %ctx.name(), error = %e, "error closing partitions");
    }
    if let Err(e) = task.stop().await {
        tracing::warn!(task = %ctx.name(), error = %e, "error stopping sink task");
    }
    stop.store(true, Ordering::Release);
    // Drain events so a poll thread blocked on a full channel can see the stop flag.
    events.close();
    while events.try_recv().is_ok() {}
    let _ = tokio::task::spawn_blocking(move || poller.join()).await;
    match failure {
        Some(e) => ctx.fail(&e),
        None => {
            ctx.status.set(State::Unassigned);
            tracing::info!(task = %ctx.name(), "sink task stopped");
        }
    }
}

/// Only offsets of consumed partitions, never beyond the consumed position (Java ignores others).
fn clamp(durable: OffsetMap, consumed: &OffsetMap) -> OffsetMap {
    durable
        .into_iter()
        .filter_map(|(tp, off)| match consumed.get(&tp) {
            Some(&c) if off <= c => Some((tp, off)),
            Some(_) => {
                tracing::warn!(partition = %tp, "task returned an offset beyond what was consumed; ignored");
                None
            }
            None => None,
        })
        .collect()
}

async fn commit(
    ctx: &DriverContext,
    task: &mut dyn SinkTask,
    consumed: &OffsetMap,
    committed: &mut OffsetMap,
    assigned: &BTreeSet<TopicPartition>,
    cmd_tx: &std::sync::mpsc::Sender<Command>,
    sync: bool,
) -> Result<()> {
    if consumed == committed && !sync {
        return Ok(());
    }
    let durable = clamp(task.pre_commit(consumed).await?, consumed);
    let durable: OffsetMap = durable
        .into_iter()
        .filter(|(tp, _)| assigned.contains(tp))
        .collect();
    let changed: OffsetMap = durable
        .iter()
        .filter(|(tp, off)| committed.get(*tp) != Some(off))
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    if sync {
        let (tx, rx) = std::sync::mpsc::channel();
        if cmd_tx
            .send(Command::Commit(changed.clone(), Some(tx)))
            .is_ok()
        {
            let timeout = ctx
                .spec
                .worker
                .config
                .offset_flush_timeout
                .max(Duration::from_secs(1));
            let r = tokio::task::spawn_blocking(move || rx.recv_timeout(timeout)).await;
            match r {
                Ok(Ok(Ok(()))) => {}
                Ok(Ok(Err(e))) => {
                    tracing::warn!(task = %ctx.name(), error = %e, "final offset commit failed")
                }
                _ => tracing::warn!(task = %ctx.name(), "final offset commit timed out"),
            }
        }
    } else if cmd_tx.send(Command::Commit(changed.clone(), None)).is_err() {
        return Err(Error::bug("consumer thread is gone"));
    }
    committed.extend(changed);
    TaskMetrics::add(&ctx.metrics.offset_commits, 1);
    Ok(())
}

/// Decode (if needed), route errors, and put one batch, retrying retriable put failures.
async fn deliver(
    ctx: &DriverContext,
    task: &mut dyn SinkTask,
    batch: Batch,
    converters: Option<&Converters>,
    dlq: Option<&(String, FutureProducer)>,
) -> Result<()> {
    let rows = batch.num_rows();
    TaskMetrics::add(&ctx.metrics.records_in, rows as u64);
    let batch = match converters {
        None => batch,
        Some(converters) => decode(ctx, batch, converters, dlq).await?,
    };
    let delivered = batch.num_rows() as u64;
    let mut delay = Duration::from_millis(300);
    let started = Instant::now();
    loop {
        match task.put(batch.clone()).await {
            Ok(()) => break,
            Err(e) if e.is_retriable() && started.elapsed() < Duration::from_secs(600) => {
                tracing::warn!(task = %ctx.name(), error = %e, "retriable error from put; retrying the batch");
                tokio::select! {
                    _ = ctx.cancel.cancelled() => return Err(e),
                    _ = tokio::time::sleep(delay) => {}
                }
                delay = (delay * 2).min(Duration::from_secs(10));
            }
            Err(e) => return Err(e),
        }
    }
    TaskMetrics::add(&ctx.metrics.records_out, delivered);
    Ok(())
}

/// Decode key and value and check the header values; rows that fail any of the three stages
/// are handled per `errors.tolerance` and removed.
///
/// Header values stay raw bytes in the batch (no Strait sink reads typed headers yet), but they
/// go through the header converter as in Java's `WorkerSinkTask`, so a header the configured
/// converter cannot read (e.g. not JSON under `header.converter=JsonConverter`) is a
/// `HEADER_CONVERTER` error, tolerated or not like a key or value error. A header converter
/// that cannot fail on any input (the default `SimpleHeaderConverter`) is not run at all.
async fn decode(
    ctx: &DriverContext,
    batch: Batch,
    converters: &Converters,
    dlq: Option<&(String, FutureProducer)>,
) -> Result<Batch> {
    let raw_col = |name: &str| -> Result<BinaryArray> {
        batch
            .column(name)
            .and_then(|c| c.as_any().downcast_ref::<BinaryArray>().cloned())
            .ok_or_else(|| Error::bug(format!("raw batch column {name} is not binary")))
    };
    let key = converters.key.to_connect(&raw_col(columns::KEY)?)?;
    let value = converters.value.to_connect(&raw_col(columns::VALUE)?)?;
    let header_errors = header_errors(&batch, &*converters.header)?;
    let mut failed: Vec<(usize, Stage, &Error)> = Vec::new();
    failed.extend(
        key.errors
            .iter()
            .map(|RowError { row, error }| (*row, Stage::KeyConverter, error)),
    );
    failed.extend(
        value
            .errors
            .iter()
            .map(|RowError { row, error }| (*row, Stage::ValueConverter, error)),
    );
    failed.extend(
        header_errors
            .iter()
            .map(|RowError { row, error }| (*row, Stage::HeaderConverter, error)),
    );
    // Report the first failing record, whichever stage it failed in.
    failed.sort_by_key(|(row, stage, _)| (*row, *stage as u8));
    if let Some((row, stage, error)) = failed.first() {
        if ctx.spec.framework.tolerance == Tolerance::None {
            let offset = batch.column(columns::OFFSET).and_then(|c| {
                c.as_any()
                    .downcast_ref::<Int64Array>()
                    .map(|o| o.value(*row))
            });
            return Err(Error::data(format!(
                "Tolerance exceeded in error handler: error in stage {} for record at offset {} of topic {}: {}",
                stage.as_str(),
                offset.unwrap_or(-1),
                batch.topic_at(*row).unwrap_or("?"),
                error.message()
            )));
        }
    }
    let mut keep = vec![true; batch.num_rows()];
    for (row, stage, error) in &failed {
        if !keep[*row] {
            continue;
        }
        keep[*row] = false;
        if ctx.spec.framework.log_errors {
            tracing::error!(task = %ctx.name(), stage = stage.as_str(), row, error = %error, "error processing record (tolerated)");
        }
        if let Some((topic, producer)) = dlq {
            send_to_dlq(ctx, &batch, *row, *stage, error, topic, producer).await?;
        }
    }
    TaskMetrics::add(
        &ctx.metrics.records_skipped,
        keep.iter().filter(|k| !**k).count() as u64,
    );
    let decoded = batch
        .with_column(Arc::new(rename(key.field, columns::KEY)), key.array)?
        .with_column(Arc::new(rename(value.field, columns::VALUE)), value.array)?;
    if keep.iter().all(|k| *k) {
        Ok(decoded)
    } else {
        decoded.filter(&BooleanArray::from(keep))
    }
}

/// Run every header value of the batch through the header converter in one call (the values
/// of all rows are one flat column) and map its errors back to their rows.
fn header_errors(batch: &Batch, converter: &dyn Converter) -> Result<Vec<RowError>> {
    if converter.decoding_never_fails() {
        // Nothing reads the decoded values, and no value can fail: decoding is pure cost.
        return Ok(Vec::new());
    }
    let Some(headers) = batch
        .column(columns::HEADERS)
        .and_then(|c| c.as_any().downcast_ref::<ListArray>())
    else {
        return Ok(Vec::new());
    };
    let Some(values) = headers
        .values()
        .as_any()
        .downcast_ref::<StructArray>()
        .and_then(|entries| entries.column(1).as_any().downcast_ref::<BinaryArray>())
    else {
        return Err(Error::bug(
            "headers column is not a list of key/value structs",
        ));
    };
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let decoded = converter.to_connect(values)?;
    let offsets = headers.value_offsets();
    Ok(decoded
        .errors
        .into_iter()
        .map(|RowError { row: entry, error }| {
            // The row whose header range holds this entry.
            let row = offsets.partition_point(|&start| start as usize <= entry) - 1;
            RowError { row, error }
        })
        .collect())
}

fn rename(field: Field, name: &str) -> Field {
    if field.name() == name {
        field
    } else {
        field.with_name(name)
    }
}

/// Create the dead letter queue topic when it does not exist, as Java's
/// `DeadLetterQueueReporter` does when the task starts: one partition, replication factor
/// `errors.deadletterqueue.topic.replication.factor` (default 3, so a single-broker cluster needs
/// it set to 1, as with Java). A failure fails the task before it reads anything.
async fn ensure_dlq_topic(spec: &super::TaskSpec, topic: &str) -> Result<()> {
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    use rdkafka::client::DefaultClientContext;
    use rdkafka::types::RDKafkaErrorCode;

    const TIMEOUT: Duration = Duration::from_secs(30);
    let worker = &spec.worker;
    let cfg = client_config(
        &worker.config.bootstrap_servers,
        ClientRole::Admin,
        &[(
            "client.id",
            format!("connector-dlq-adminclient-{}", spec.connector),
        )],
        &worker.config.originals,
        &spec.connector_props,
    )?;
    let admin: AdminClient<DefaultClientContext> = create(&cfg, "dead letter queue admin")?;
    let failed = |cause: String| {
        Error::external(
            format!("Could not initialize dead letter queue with topic={topic}"),
            false,
        )
        .with_source(std::io::Error::other(cause))
    };
    // List every topic (asking for one by name could auto-create it with broker defaults).
    // Metadata calls block, so the client visits a blocking thread and comes back.
    let wanted = topic.to_string();
    let (admin, listed) = tokio::task::spawn_blocking(move || {
        let listed = admin
            .inner()
            .fetch_metadata(None, TIMEOUT)
            .map(|m| m.topics().iter().any(|t| t.name() == wanted));
        (admin, listed)
    })
    .await
    .map_err(|e| Error::bug(format!("DLQ topic lookup panicked: {e}")))?;
    match listed {
        Ok(true) => return Ok(()),
        Ok(false) => {}
        Err(e) => return Err(failed(e.to_string())),
    }
    tracing::warn!(connector = %spec.connector, %topic, "dead letter queue topic does not exist; creating it");
    let new_topic = NewTopic::new(
        topic,
        1,
        TopicReplication::Fixed(spec.framework.dlq_replication_factor.into()),
    );
    let opts = AdminOptions::new().operation_timeout(Some(TIMEOUT));
    let results = admin
        .create_topics([&new_topic], &opts)
        .await
        .map_err(|e| failed(e.to_string()))?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((_, code)) => return Err(failed(code.to_string())),
        }
    }
    Ok(())
}

/// Write the original raw record to the dead letter queue, with context headers if enabled, and
/// wait for the broker's ack: the record's offset is committed only after the DLQ has it.
async fn send_to_dlq(
    ctx: &DriverContext,
    batch: &Batch,
    row: usize,
    stage: Stage,
    error: &Error,
    dlq_topic: &str,
    producer: &FutureProducer,
) -> Result<()> {
    let bin = |name: &str| {
        batch
            .column(name)
            .and_then(|c| c.as_any().downcast_ref::<BinaryArray>().cloned())
    };
    let key = bin(columns::KEY);
    let value = bin(columns::VALUE);
    let key = key
        .as_ref()
        .filter(|k| !k.is_null(row))
        .map(|k| k.value(row).to_vec());
    let value = value
        .as_ref()
        .filter(|v| !v.is_null(row))
        .map(|v| v.value(row).to_vec());
    let topic_col: ArrayRef = batch
        .column(columns::TOPIC)
        .cloned()
        .ok_or_else(|| Error::bug("no topic column"))?;
    let topic = topic_at(&topic_col, row).unwrap_or_default().to_string();
    let partition = batch.column(columns::PARTITION).and_then(|c| {
        c.as_any()
            .downcast_ref::<Int32Array>()
            .map(|a| a.value(row))
    });
    let offset = batch.column(columns::OFFSET).and_then(|c| {
        c.as_any()
            .downcast_ref::<Int64Array>()
            .map(|a| a.value(row))
    });
    let mut headers = OwnedHeaders::new();
    if let Some(list) = batch
        .column(columns::HEADERS)
        .and_then(|c| c.as_any().downcast_ref::<ListArray>())
    {
        for (key, value) in header_entries(list, row) {
            headers = headers.insert(Header { key, value });
        }
    }
    if ctx.spec.framework.dlq_context_headers {
        let p = partition.map(|p| p.to_string()).unwrap_or_default();
        let o = offset.map(|o| o.to_string()).unwrap_or_default();
        let task_id = ctx.spec.task_id.to_string();
        let trace = error.trace();
        let pairs: [(&str, Option<&str>); 10] = [
            ("__connect.errors.topic", Some(&topic)),
            ("__connect.errors.partition", Some(&p)),
            ("__connect.errors.offset", Some(&o)),
            ("__connect.errors.connector.name", Some(&ctx.spec.connector)),
            ("__connect.errors.task.id", Some(&task_id)),
            ("__connect.errors.stage", Some(stage.as_str())),
            ("__connect.errors.class.name", Some("io.strait.converter")),
            (
                "__connect.errors.exception.class.name",
                Some(error.java_class()),
            ),
            ("__connect.errors.exception.message", Some(error.message())),
            ("__connect.errors.exception.stacktrace", Some(&trace)),
        ];
        for (k, v) in pairs {
            headers = headers.insert(Header {
                key: k,
                value: v.map(str::as_bytes),
            });
        }
    }
    let mut record: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(dlq_topic).headers(headers);
    if let Some(k) = &key {
        record = record.key(k.as_slice());
    }
    if let Some(v) = &value {
        record = record.payload(v.as_slice());
    }
    producer
        .send(record, Duration::from_secs(30))
        .await
        .map_err(|(e, _)| {
            Error::from(e).context(format!("writing to dead letter queue {dlq_topic}"))
        })?;
    TaskMetrics::add(&ctx.metrics.dlq_records, 1);
    Ok(())
}
