//! Sink task driver.
//!
//! A dedicated thread polls the consumer (group `connect-<connector>`, auto-commit off) and
//! appends records straight into Arrow builders; whole raw batches cross a bounded channel to the
//! async driver. When the channel is full the thread pauses its partitions and keeps polling, so
//! a slow sink slows the consumer, memory stays bounded, and the group membership holds
//! (`max.poll.interval.ms` counts time between polls). The driver decodes key and value only
//! when the sink asks for decoded input, retries retriable converter failures per
//! `errors.retry.timeout`, routes records that still fail per `errors.tolerance` (fail the task,
//! or skip them and write the original record to the DLQ), and calls `put`.
//!
//! A retriable failure of `put` is what Java's `WorkerSinkTask` makes of a `RetriableException`:
//! every assigned partition is paused, the consumer keeps polling, and the same batch is
//! redelivered after the backoff the task asked for (`SinkTaskContext::timeout`, else the offset
//! commit interval), for as long as it stays retriable. Rebalances are served meanwhile.
//!
//! Offsets: every `offset.flush.interval.ms` (or when the task requests it, or is paused) the
//! task's `pre_commit` says which offsets are durable; only those are committed, never beyond
//! what was put, and only after the DLQ acknowledged every record reported before. A commit
//! counts as done only when the broker confirms it; a failed one is sent again at the next
//! interval. On revocation the task's `pre_commit` (with `SinkTaskContext::revoking` set) and a
//! synchronous commit run before the partitions go to another member, however long the final
//! flush takes; then `close`. At-least-once.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arrow::array::{
    Array, ArrayRef, BinaryArray, BooleanArray, Int32Array, Int64Array, ListArray, RecordBatch,
    StructArray, TimestampMillisecondArray,
};
use arrow::datatypes::{DataType, Field, Schema};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::commit_queue::CommitQueue;
use super::retry::RetryPolicy;
use super::split;
use super::{Converters, DriverContext, State, TaskMetrics};
use crate::batch::{
    columns, header_entries, topic_at, Batch, OffsetMap, Provenance, RawBatchBuilder,
    TopicPartition,
};
use crate::connector_config::Tolerance;
use crate::error::{Error, Result, Stage};
use crate::kafka::{client_config, create, is_queue_full, ClientRole};
use crate::plugin::{
    Converter, Decoded, ErrantRecordReporter, RowError, SinkContextShared, SinkInput, SinkTask,
    SinkTaskContext,
};
use crate::transforms::registry::build_chain;
use crate::transforms::{Chain, TransformContext};

/// Most records per batch handed to the task.
const MAX_BATCH_RECORDS: usize = 8192;
/// Most payload bytes per batch.
const MAX_BATCH_BYTES: usize = 8 << 20;
/// While messages stream in, the consumer thread runs the driver's commands (commits, pause) at
/// least this often (in messages); each check costs a lock.
const COMMAND_CHECK_EVERY: u32 = 256;
/// How long the consumer thread waits for room in the channel before it pauses its partitions
/// (and keeps polling, which keeps the group membership).
const HOLD_AFTER: Duration = Duration::from_millis(500);
/// The class Java names as executing when a task reports an errant record (`TASK_PUT`).
const SINK_TASK_CLASS: &str = "org.apache.kafka.connect.sink.SinkTask";

enum Event {
    Batch(Batch),
    Assigned(Vec<TopicPartition>),
    /// Partitions are being revoked; reply with the offsets safe to commit for them. The
    /// consumer thread waits for the reply (or for the driver to go away) before it lets them go.
    Revoked(Vec<TopicPartition>, std::sync::mpsc::Sender<OffsetMap>),
    /// A rewind was carried out: what is read from these partitions from now on starts at the
    /// requested offsets.
    Seeked(Vec<TopicPartition>),
    Error(Error),
}

/// Why the whole assignment is paused (each reason is set and cleared on its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PauseReason {
    /// The connector is paused.
    Connector,
    /// A batch waits for redelivery after a retriable `put` failure.
    Redelivery,
}

enum Command {
    /// Commit these offsets; with a reply channel synchronously, else asynchronously (the broker's
    /// answer arrives in the commit callback).
    Commit(OffsetMap, Option<std::sync::mpsc::Sender<Result<()>>>),
    Pause(PauseReason, bool),
    /// The task paused (true) or resumed (false) single partitions.
    PausePartitions(BTreeMap<TopicPartition, bool>),
    /// Rewind: the next record read from each partition is the one at the offset.
    Seek(OffsetMap),
}

/// Which partitions should be paused, for every reason at once.
#[derive(Debug, Default)]
struct PauseState {
    connector: bool,
    redelivery: bool,
    /// The channel to the driver is full.
    backpressure: bool,
    /// Paused by the task through its context.
    partitions: BTreeSet<TopicPartition>,
    /// What is paused in the consumer now.
    applied: BTreeSet<TopicPartition>,
}

impl PauseState {
    fn all(&self) -> bool {
        self.connector || self.redelivery || self.backpressure
    }

    /// Pause and resume partitions of the assignment until the consumer matches the state.
    fn apply(&mut self, consumer: &BaseConsumer<SinkConsumerContext>) {
        let Ok(assignment) = consumer.assignment() else {
            return;
        };
        let assigned = to_tps(&assignment);
        let want: BTreeSet<TopicPartition> = assigned
            .iter()
            .filter(|tp| self.all() || self.partitions.contains(tp))
            .cloned()
            .collect();
        let pause: Vec<&TopicPartition> = want.difference(&self.applied).collect();
        let resume: Vec<&TopicPartition> = self
            .applied
            .iter()
            .filter(|tp| !want.contains(tp) && assigned.contains(tp))
            .collect();
        if !pause.is_empty() {
            if let Err(e) = consumer.pause(&tpl_of(pause)) {
                tracing::warn!(error = %e, "pausing partitions failed");
            }
        }
        if !resume.is_empty() {
            if let Err(e) = consumer.resume(&tpl_of(resume)) {
                tracing::warn!(error = %e, "resuming partitions failed");
            }
        }
        self.applied = want;
    }
}

/// Consumer context: turns rebalances into events for the driver, flushes the batch being built
/// before partitions go away (so no record of a revoked partition is put after `close`), records
/// which commits the broker confirmed, and executes the driver's commands.
struct SinkConsumerContext {
    events: mpsc::Sender<Event>,
    building: Mutex<RawBatchBuilder>,
    /// A finished event the full channel did not take yet; it goes before anything else.
    held: Mutex<Option<Event>>,
    /// Whether `held` has an event: read on every poll, so the common case takes no lock.
    holding: AtomicBool,
    commands: Mutex<std::sync::mpsc::Receiver<Command>>,
    /// Rewinds received while an event waited for room in the channel: carried out by the poll
    /// loop itself, so that event (older records) reaches the driver before the seek's marker.
    deferred_seeks: Mutex<OffsetMap>,
    pause: Mutex<PauseState>,
    /// Offsets the broker confirmed as committed (shared with the driver).
    confirmed: Arc<Mutex<OffsetMap>>,
    /// Where asynchronous commits go and their results come back (set by the poll loop).
    commit_queue: Mutex<Option<CommitQueue>>,
    /// When each asynchronous commit in flight was sent, oldest first
    /// (`offset-commit-*-time-ms`).
    commits_in_flight: Mutex<VecDeque<std::time::Instant>>,
    metrics: Arc<TaskMetrics>,
    stop: Arc<AtomicBool>,
    closing: AtomicBool,
    /// See [`reads_headers`].
    read_headers: bool,
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
            tracing::debug!(partitions = ?tps, "partitions revoked");
            self.send_building(consumer, false);
            let (tx, rx) = std::sync::mpsc::channel();
            if !self.send(consumer, Event::Revoked(tps.clone(), tx), false) {
                return;
            }
            // No time limit: handing the partitions over while the task may still write them
            // would let two tasks write the same records. The driver always answers, or drops
            // the sender when it stops.
            if let Ok(offsets) = rx.recv() {
                if !offsets.is_empty() {
                    if let Err(e) = self.commit_sync(consumer, &offsets) {
                        tracing::warn!(error = %e, "offset commit on partition revocation failed")
                    }
                }
            }
            let mut pause = self.pause.lock().expect("pause lock");
            for tp in &tps {
                pause.applied.remove(tp);
            }
        }
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if self.closing.load(Ordering::Acquire) {
            return;
        }
        if let Rebalance::Assign(tpl) = rebalance {
            let tps = to_tps(tpl);
            {
                // Newly assigned partitions start unpaused in the consumer; pause what the
                // state says (a paused task's new partitions stay paused).
                let mut pause = self.pause.lock().expect("pause lock");
                for tp in &tps {
                    pause.applied.remove(tp);
                }
                pause.apply(consumer);
            }
            tracing::debug!(partitions = ?tps, "partitions assigned");
            self.send(consumer, Event::Assigned(tps), false);
        }
    }
}

impl SinkConsumerContext {
    /// Send an event to the driver after any held one. In the poll loop (`may_hold`), a full
    /// channel holds the event and pauses every partition, so the loop keeps polling; in a
    /// rebalance callback (no polling possible) it waits, running commands meanwhile. Returns
    /// false when the driver is gone or stopping.
    fn send(&self, consumer: &BaseConsumer<Self>, event: Event, may_hold: bool) -> bool {
        let mut held = self.held.lock().expect("held lock");
        if held.is_some() {
            if may_hold {
                // Only the poll loop builds batches, and it does not finish one while another
                // is held: this cannot happen, but keeping order matters more than the bound.
                drop(held);
                return self.send_blocking(consumer, event);
            }
            let first = held.take().expect("held event");
            self.holding.store(false, Ordering::Release);
            drop(held);
            if !self.send_blocking(consumer, first) {
                return false;
            }
            self.set_backpressure(consumer, false);
            return self.send_blocking(consumer, event);
        }
        match self.events.try_send(event) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Closed(_)) => false,
            Err(mpsc::error::TrySendError::Full(mut e)) if may_hold => {
                drop(held);
                // A driver busy for a moment is waited for: pausing drops what the client has
                // prefetched. Only a driver busy for longer gets the partitions paused, so the
                // loop can go on polling without reading.
                let deadline = std::time::Instant::now() + HOLD_AFTER;
                while std::time::Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(1));
                    self.run_commands(consumer, false);
                    match self.events.try_send(e) {
                        Ok(()) => return true,
                        Err(mpsc::error::TrySendError::Closed(_)) => return false,
                        Err(mpsc::error::TrySendError::Full(back)) => e = back,
                    }
                    if self.stop.load(Ordering::Acquire) {
                        return false;
                    }
                }
                *self.held.lock().expect("held lock") = Some(e);
                self.holding.store(true, Ordering::Release);
                self.set_backpressure(consumer, true);
                true
            }
            Err(mpsc::error::TrySendError::Full(e)) => {
                drop(held);
                self.send_blocking(consumer, e)
            }
        }
    }

    /// Wait until the channel takes the event, running commands meanwhile.
    fn send_blocking(&self, consumer: &BaseConsumer<Self>, mut event: Event) -> bool {
        loop {
            match self.events.try_send(event) {
                Ok(()) => return true,
                Err(mpsc::error::TrySendError::Closed(_)) => return false,
                Err(mpsc::error::TrySendError::Full(e)) => {
                    event = e;
                    self.run_commands(consumer, false);
                    if self.stop.load(Ordering::Acquire) {
                        return false;
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        }
    }

    /// Try to hand the held event over; true when nothing is held any more.
    fn release_held(&self, consumer: &BaseConsumer<Self>) -> bool {
        if !self.holding.load(Ordering::Acquire) {
            return true;
        }
        let mut held = self.held.lock().expect("held lock");
        let Some(event) = held.take() else {
            return true;
        };
        match self.events.try_send(event) {
            Ok(()) => {
                self.holding.store(false, Ordering::Release);
                drop(held);
                self.set_backpressure(consumer, false);
                true
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                self.holding.store(false, Ordering::Release);
                true
            }
            Err(mpsc::error::TrySendError::Full(e)) => {
                *held = Some(e);
                false
            }
        }
    }

    fn set_backpressure(&self, consumer: &BaseConsumer<Self>, on: bool) {
        let mut pause = self.pause.lock().expect("pause lock");
        if pause.backpressure != on {
            pause.backpressure = on;
            pause.apply(consumer);
        }
    }

    fn send_building(&self, consumer: &BaseConsumer<Self>, may_hold: bool) {
        let batch = {
            let mut b = self.building.lock().expect("builder lock");
            if b.is_empty() {
                return;
            }
            b.finish()
        };
        match batch {
            Ok(batch) => self.send(consumer, Event::Batch(batch), may_hold),
            Err(e) => self.send(consumer, Event::Error(e), may_hold),
        };
    }

    /// Commit and wait for the broker's answer (closing, revocation): confirmed offsets are
    /// recorded at once.
    fn commit_sync(&self, consumer: &BaseConsumer<Self>, offsets: &OffsetMap) -> Result<()> {
        let started = std::time::Instant::now();
        let result = consumer
            .commit(&to_tpl(offsets), CommitMode::Sync)
            .map_err(Error::from);
        self.metrics
            .record_commit(result.is_ok(), started.elapsed());
        if result.is_ok() {
            self.confirmed
                .lock()
                .expect("confirmed lock")
                .extend(offsets.iter().map(|(k, v)| (k.clone(), *v)));
        }
        result
    }

    /// Send a commit whose result [`SinkConsumerContext::take_commit_results`] picks up later.
    fn commit_async(&self, consumer: &BaseConsumer<Self>, offsets: &OffsetMap) -> Result<()> {
        let queue = self.commit_queue.lock().expect("commit queue lock");
        let result = match queue.as_ref() {
            Some(q) => q.commit(consumer, &to_tpl(offsets)),
            // Only before the poll loop set the queue up: no commit is due then.
            None => consumer.commit(&to_tpl(offsets), CommitMode::Sync),
        };
        match result {
            Ok(()) if queue.is_some() => {
                self.commits_in_flight
                    .lock()
                    .expect("commit times lock")
                    .push_back(std::time::Instant::now());
                Ok(())
            }
            Ok(()) => Ok(()),
            Err(e) => {
                self.metrics.record_commit(false, Duration::ZERO);
                Err(Error::from(e))
            }
        }
    }

    /// Results of asynchronous commits: confirmed offsets and the commit metrics.
    fn take_commit_results(&self) {
        let results = match self
            .commit_queue
            .lock()
            .expect("commit queue lock")
            .as_ref()
        {
            Some(q) => q.results(),
            None => return,
        };
        for result in results {
            let took = self
                .commits_in_flight
                .lock()
                .expect("commit times lock")
                .pop_front()
                .map_or(Duration::ZERO, |t| t.elapsed());
            self.metrics.record_commit(result.error.is_none(), took);
            match result.error {
                None => self
                    .confirmed
                    .lock()
                    .expect("confirmed lock")
                    .extend(result.offsets),
                Some(e) => {
                    tracing::warn!(error = %e, "offset commit failed; the next commit sends it again")
                }
            }
        }
    }

    /// Execute pending commands: commits, pauses and rewinds. Rewinds only run from the poll
    /// loop itself (`seek_now`); elsewhere (waiting for room in the channel, in a rebalance
    /// callback) they are deferred to it.
    fn run_commands(&self, consumer: &BaseConsumer<Self>, seek_now: bool) {
        // Taken out under the lock, run after it: a rewind sends events, and waiting for room
        // in the channel runs commands again.
        self.take_commit_results();
        let commands: Vec<Command> = self
            .commands
            .lock()
            .expect("commands lock")
            .try_iter()
            .collect();
        if seek_now {
            let deferred = std::mem::take(&mut *self.deferred_seeks.lock().expect("seek lock"));
            if !deferred.is_empty() {
                self.seek(consumer, deferred);
            }
        }
        for cmd in commands {
            match cmd {
                Command::Commit(offsets, reply) => {
                    let result = if offsets.is_empty() {
                        Ok(())
                    } else if reply.is_some() {
                        self.commit_sync(consumer, &offsets)
                    } else {
                        self.commit_async(consumer, &offsets)
                    };
                    if let Err(e) = &result {
                        tracing::warn!(error = %e, "offset commit failed; the next commit retries");
                    }
                    if let Some(r) = reply {
                        let _ = r.send(result);
                    }
                }
                Command::Pause(reason, on) => {
                    let mut pause = self.pause.lock().expect("pause lock");
                    match reason {
                        PauseReason::Connector => pause.connector = on,
                        PauseReason::Redelivery => pause.redelivery = on,
                    }
                    pause.apply(consumer);
                }
                Command::PausePartitions(changes) => {
                    let mut pause = self.pause.lock().expect("pause lock");
                    for (tp, on) in changes {
                        if on {
                            pause.partitions.insert(tp);
                        } else {
                            pause.partitions.remove(&tp);
                        }
                    }
                    pause.apply(consumer);
                }
                Command::Seek(offsets) if seek_now => self.seek(consumer, offsets),
                Command::Seek(offsets) => self
                    .deferred_seeks
                    .lock()
                    .expect("seek lock")
                    .extend(offsets),
            }
        }
    }

    /// Rewind partitions. What was read before the seek must not reach the task after it:
    /// the batch being built goes out first (the driver drops its rows of these partitions
    /// until it sees `Seeked`).
    fn seek(&self, consumer: &BaseConsumer<Self>, offsets: OffsetMap) {
        self.send_building(consumer, false);
        for (tp, offset) in &offsets {
            if let Err(e) = consumer.seek(
                &tp.topic,
                tp.partition,
                Offset::Offset(*offset),
                Duration::from_secs(10),
            ) {
                tracing::warn!(partition = %tp, offset, error = %e, "rewinding the partition failed");
            }
        }
        self.send(
            consumer,
            Event::Seeked(offsets.into_keys().collect()),
            false,
        );
    }
}

fn to_tps(tpl: &TopicPartitionList) -> Vec<TopicPartition> {
    tpl.elements()
        .iter()
        .map(|e| TopicPartition::new(e.topic(), e.partition()))
        .collect()
}

fn tpl_of<'a>(tps: impl IntoIterator<Item = &'a TopicPartition>) -> TopicPartitionList {
    let mut tpl = TopicPartitionList::new();
    for tp in tps {
        tpl.add_partition(&tp.topic, tp.partition);
    }
    tpl
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

/// The poll thread: owns the consumer, builds raw batches, executes commands. It polls at
/// least every 100 ms whatever the driver does, which keeps the group membership.
///
/// This loop runs once per message, so it touches shared state as little as it can: one
/// (uncontended) lock of the builder per message, commands checked when the consumer is idle,
/// after each batch, and at least every [`COMMAND_CHECK_EVERY`] messages.
fn poll_loop(consumer: BaseConsumer<SinkConsumerContext>) {
    let ctx = consumer.context();
    *ctx.commit_queue.lock().expect("commit queue lock") = Some(CommitQueue::new(&consumer));
    // Whether the builder may hold records. A rebalance callback inside `poll` can flush it
    // behind our back; then this is stale-true for one zero-timeout poll, which is harmless.
    let mut pending = false;
    let mut since_commands = 0u32;
    while !ctx.stop.load(Ordering::Acquire) {
        if !pending || since_commands >= COMMAND_CHECK_EVERY {
            ctx.run_commands(&consumer, true);
            since_commands = 0;
        }
        let free = ctx.release_held(&consumer);
        let timeout = if pending && free {
            Duration::ZERO
        } else {
            Duration::from_millis(100)
        };
        match consumer.poll(timeout) {
            Some(Ok(msg)) => {
                since_commands += 1;
                let full = {
                    let mut b = ctx.building.lock().expect("builder lock");
                    // librdkafka parses headers only when asked: skip them when nothing
                    // can observe them.
                    let headers = if ctx.read_headers {
                        msg.headers()
                    } else {
                        None
                    };
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
                pending = true;
                // While an event is held the partitions are paused: records still queued in the
                // client join the batch being built instead of making a second held one.
                if full && free {
                    ctx.send_building(&consumer, true);
                    pending = false;
                    ctx.run_commands(&consumer, true);
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
            None if free => {
                ctx.send_building(&consumer, true);
                pending = false;
            }
            None => {}
        }
    }
    // Closing: the driver already committed; run what it sent last, then leave the group.
    ctx.run_commands(&consumer, false);
    ctx.closing.store(true, Ordering::Release);
    consumer.unsubscribe();
    // Before the consumer goes: the queue belongs to its client.
    drop(ctx.commit_queue.lock().expect("commit queue lock").take());
}

/// Bytes of the raw key and value columns: what a batch read from Kafka weighs.
fn raw_payload_bytes(batch: &Batch) -> u64 {
    [columns::KEY, columns::VALUE]
        .iter()
        .filter_map(|c| batch.column(c))
        .filter_map(|a| a.as_any().downcast_ref::<BinaryArray>())
        .map(|b| {
            let offsets = b.value_offsets();
            (offsets[offsets.len() - 1] - offsets[0]) as u64
        })
        .sum()
}

/// Whether the consumer thread must read record headers: when the sink reads them, when the
/// header converter can reject one (Java runs it on every header), or when failed records go to
/// a DLQ (it gets the original headers). Otherwise nothing can observe them, and not parsing
/// them is about half of librdkafka's per-message cost (bench/RESULTS.md).
fn reads_headers(sink_needs: bool, header_converter_can_fail: bool, has_dlq: bool) -> bool {
    sink_needs || header_converter_can_fail || has_dlq
}

pub(crate) async fn run(ctx: DriverContext, mut task: Box<dyn SinkTask>) {
    let spec = ctx.spec.clone();
    let worker = spec.worker.clone();
    let input = task.input();
    let sink_needs_headers = task.needs_headers();
    let (events_tx, events) = mpsc::channel::<Event>(4);
    let (cmd_tx, cmd_rx) = std::sync::mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let confirmed: Arc<Mutex<OffsetMap>> = Arc::default();
    let mut cmd_rx = Some(cmd_rx);
    let mut setup = || -> Result<_> {
        let cfg = client_config(
            &worker.config.bootstrap_servers,
            ClientRole::Consumer,
            &consumer_base(&spec.connector, spec.task_id),
            &worker.config.originals,
            &spec.connector_props,
        )?;
        let all_converters = worker.converters(&spec.connector_props)?;
        let chain = build_chain(
            &spec.connector_props,
            &TransformContext {
                header_converter: all_converters.header.converter.clone(),
            },
        )?;
        let needs = chain.needs();
        // Java converts every record before its transforms; Strait decodes only when the sink
        // or a stage reads the key or value (a chain of routers over raw bytes never parses).
        let plan = DecodePlan::new(input, needs, all_converters.value.plain_json());
        let converters = plan.decodes().then_some(all_converters);
        let read_headers = reads_headers(
            sink_needs_headers || needs.headers,
            converters
                .as_ref()
                .is_some_and(|c| !c.header.decoding_never_fails()),
            spec.framework.dlq_topic.is_some(),
        );
        let context = SinkConsumerContext {
            read_headers,
            events: events_tx.clone(),
            building: Mutex::new(RawBatchBuilder::with_capacity(MAX_BATCH_RECORDS, 1 << 20)),
            held: Mutex::new(None),
            holding: AtomicBool::new(false),
            commands: Mutex::new(
                cmd_rx
                    .take()
                    .ok_or_else(|| Error::bug("consumer set up twice"))?,
            ),
            deferred_seeks: Mutex::default(),
            pause: Mutex::default(),
            confirmed: confirmed.clone(),
            commit_queue: Mutex::new(None),
            commits_in_flight: Mutex::default(),
            metrics: ctx.metrics.clone(),
            stop: stop.clone(),
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
                Some(DeadLetterQueue {
                    topic: topic.clone(),
                    producer: create::<FutureProducer>(&cfg, "dead letter queue producer")?,
                })
            }
            None => None,
        };
        Ok((consumer, converters, chain, dlq, plan))
    };
    let (consumer, converters, chain, dlq, plan) = match setup() {
        Ok(x) => x,
        Err(e) => return ctx.fail_start(&e),
    };
    if let Some(dlq) = &dlq {
        if let Err(e) = ensure_dlq_topic(&spec, &dlq.topic).await {
            return ctx.fail_start(&e);
        }
    }
    drop(events_tx);
    let errors = Arc::new(ErrorHandler {
        task: ctx.name(),
        connector: spec.connector.clone(),
        task_id: spec.task_id,
        tolerance: spec.framework.tolerance,
        log_errors: spec.framework.log_errors,
        log_include_messages: spec.framework.log_include_messages,
        context_headers: spec.framework.dlq_context_headers,
        has_dlq: dlq.is_some(),
        queue: Mutex::default(),
        metrics: ctx.metrics.clone(),
    });
    let shared = Arc::new(SinkContextShared {
        reporter: Some(errors.clone() as Arc<dyn ErrantRecordReporter>),
        plain_json_values: plan.value == ColumnPlan::PlainJson || plan.reencode_value,
        ..SinkContextShared::default()
    });
    if let Err(e) = task
        .start(SinkTaskContext::attached(
            spec.connector.clone(),
            spec.task_id,
            shared.clone(),
        ))
        .await
    {
        return ctx.fail_start(&e);
    }
    let poller = match std::thread::Builder::new()
        .name(format!("strait-consumer-{}", ctx.name()))
        .spawn(move || poll_loop(consumer))
    {
        Ok(poller) => poller,
        Err(e) => {
            return ctx.fail_start(&Error::from(e).context("starting the sink consumer thread"))
        }
    };
    ctx.started();
    tracing::info!(task = %ctx.name(), "sink task started");

    let flush_interval = worker
        .config
        .offset_flush_interval
        .max(Duration::from_millis(10));
    let mut driver = Driver {
        retry: RetryPolicy::from_framework(&spec.framework),
        ctx,
        task,
        commands: cmd_tx,
        confirmed,
        shared,
        converters,
        plan,
        chain,
        errors,
        dlq,
        consumed: OffsetMap::new(),
        first_read: OffsetMap::new(),
        assigned: BTreeSet::new(),
        redelivery: None,
        backlog: VecDeque::new(),
        seeking: BTreeSet::new(),
        flush_interval,
        next_commit: Instant::now() + flush_interval,
        commit_requested: false,
    };
    let mut events = events;
    let failure = driver.run(&mut events).await.err();
    let Driver {
        ctx,
        mut task,
        assigned,
        ..
    } = driver;

    let all: Vec<TopicPartition> = assigned.iter().cloned().collect();
    if let Err(e) = task.close(&all).await {
        tracing::warn!(task = %ctx.name(), error = %e, "error closing partitions");
    }
    if let Err(e) = task.stop().await {
        tracing::warn!(task = %ctx.name(), error = %e, "error stopping sink task");
    }
    stop.store(true, Ordering::Release);
    // Drain events so a poll thread blocked on a full channel (or waiting for a revocation
    // reply) can see the stop flag.
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

/// The driver's state between events.
struct Driver {
    ctx: DriverContext,
    task: Box<dyn SinkTask>,
    commands: std::sync::mpsc::Sender<Command>,
    /// Offsets the broker confirmed (written by the consumer's commit callback).
    confirmed: Arc<Mutex<OffsetMap>>,
    shared: Arc<SinkContextShared>,
    /// Set when batches are decoded (the sink or a transform reads keys or values).
    converters: Option<Converters>,
    /// What happens to the key and value columns before the transforms and the sink.
    plan: DecodePlan,
    /// The connector's transforms (`transforms=…`), empty when it has none.
    chain: Chain,
    errors: Arc<ErrorHandler>,
    dlq: Option<DeadLetterQueue>,
    retry: RetryPolicy,
    /// Per assigned partition, the next offset after everything `put` accepted.
    consumed: OffsetMap,
    /// Per assigned partition, the first offset read since it was assigned (the base of
    /// `sink-record-active-count` until something is committed).
    first_read: OffsetMap,
    assigned: BTreeSet<TopicPartition>,
    /// Decoded batches whose `put` failed retriably, and when to try again.
    redelivery: Option<(VecDeque<Batch>, Instant)>,
    /// Raw batches that arrived while a redelivery was pending.
    backlog: VecDeque<Batch>,
    /// Partitions rewound whose `Seeked` has not arrived: rows of theirs are stale.
    seeking: BTreeSet<TopicPartition>,
    flush_interval: Duration,
    next_commit: Instant,
    commit_requested: bool,
}

impl Driver {
    /// The event loop, until cancelled or failed; ends with the final commit when not failed.
    async fn run(&mut self, events: &mut mpsc::Receiver<Event>) -> Result<()> {
        let mut paused = *self.ctx.paused.borrow();
        if paused {
            self.command(Command::Pause(PauseReason::Connector, true))?;
            self.ctx.status.set(State::Paused);
        }
        loop {
            let redeliver_at = self.redelivery.as_ref().map(|(_, at)| *at);
            let commit_at = if self.commit_requested {
                Instant::now()
            } else {
                self.next_commit
            };
            tokio::select! {
                _ = self.ctx.cancel.cancelled() => break,
                changed = self.ctx.paused.changed() => {
                    if changed.is_err() { break; }
                    let now = *self.ctx.paused.borrow();
                    if now != paused {
                        paused = now;
                        self.command(Command::Pause(PauseReason::Connector, paused))?;
                        self.ctx.status.set(if paused { State::Paused } else { State::Running });
                        // Java requests a commit when a sink task is paused.
                        self.commit_requested |= paused;
                    }
                }
                _ = tokio::time::sleep_until(redeliver_at.unwrap_or_else(Instant::now)), if redeliver_at.is_some() => {
                    self.redeliver().await?;
                }
                ev = events.recv() => match ev {
                    Some(Event::Batch(batch)) => self.receive(batch).await?,
                    Some(Event::Assigned(tps)) => {
                        self.assigned.extend(tps.iter().cloned());
                        self.publish_assignment();
                        self.ctx.metrics.set_partition_count(self.assigned.len() as u64);
                        self.task.open(&tps).await?;
                        self.apply_requests().await?;
                    }
                    Some(Event::Revoked(tps, reply)) => self.revoke(tps, reply).await?,
                    Some(Event::Seeked(tps)) => {
                        for tp in &tps {
                            self.seeking.remove(tp);
                        }
                    }
                    Some(Event::Error(e)) => return Err(e),
                    None => break,
                },
                _ = self.shared.wake.notified() => {
                    if self.redelivery.is_none() {
                        self.task.tick().await?;
                        self.apply_requests().await?;
                    }
                }
                _ = tokio::time::sleep_until(commit_at) => {
                    if self.redelivery.is_none() {
                        self.task.tick().await?;
                        self.apply_requests().await?;
                    }
                    self.commit(false).await?;
                }
            }
        }
        // Defined commit point: what the task reports durable, committed synchronously.
        self.commit(true).await
    }

    fn command(&self, command: Command) -> Result<()> {
        self.commands
            .send(command)
            .map_err(|_| Error::bug("the sink consumer thread is gone"))
    }

    /// `sink-record-active-count`: records put since the last confirmed commit.
    fn publish_active(&self) {
        let confirmed = self.confirmed.lock().expect("confirmed lock");
        let active: i64 = self
            .consumed
            .iter()
            .map(|(tp, next)| {
                let base = confirmed
                    .get(tp)
                    .or_else(|| self.first_read.get(tp))
                    .copied()
                    .unwrap_or(*next);
                (next - base).max(0)
            })
            .sum();
        drop(confirmed);
        self.ctx.metrics.set_active(active);
    }

    fn publish_assignment(&self) {
        *self.shared.assignment.lock().expect("sink context lock") = self.assigned.clone();
    }

    /// A raw batch from the consumer: drop what is stale, then decode and put it, unless a
    /// redelivery is pending (then it waits behind it).
    async fn receive(&mut self, batch: Batch) -> Result<()> {
        let Some(batch) = retain_partitions(batch, |tp| {
            self.assigned.contains(tp) && !self.seeking.contains(tp)
        })?
        else {
            return Ok(());
        };
        if self.redelivery.is_some() {
            self.backlog.push_back(batch);
            return Ok(());
        }
        self.process(batch).await
    }

    async fn process(&mut self, batch: Batch) -> Result<()> {
        self.ctx
            .metrics
            .record_in(batch.num_rows() as u64, raw_payload_bytes(&batch));
        if let Provenance::Sink(ranges) = &batch.provenance {
            for (tp, range) in ranges {
                self.first_read.entry(tp.clone()).or_insert(range.first);
            }
        }
        let mut pieces = match &self.converters {
            None => VecDeque::from([batch]),
            Some(converters) => {
                let started = std::time::Instant::now();
                let decoded = decode(
                    &self.ctx,
                    &self.retry,
                    &self.errors,
                    batch,
                    converters,
                    &self.plan,
                )
                .await?;
                self.ctx.metrics.record_decode(started.elapsed());
                decoded
            }
        };
        if !self.chain.is_empty() {
            pieces = self.transform(pieces)?;
        }
        // Records that failed conversion or a transform are in the DLQ before anything else
        // happens.
        self.flush_errant().await?;
        self.put_all(pieces).await
    }

    /// Run the transform chain over decoded pieces. Records a transform rejects are handled per
    /// `errors.tolerance` (stage `TRANSFORMATION`, the transform's class) as the records they
    /// were when consumed; filtered ones just disappear, their offsets still committed with the
    /// piece's provenance. A raw sink gets its key and value encoded again.
    fn transform(&self, pieces: VecDeque<Batch>) -> Result<VecDeque<Batch>> {
        let mut out = VecDeque::with_capacity(pieces.len());
        for piece in pieces {
            let applied = self.chain.apply(piece.clone())?;
            for e in applied.errors {
                self.errors
                    .handle(&piece, e.row, Stage::Transformation, e.class, e.error)?;
            }
            for transformed in applied.pieces {
                out.push_back(match &self.converters {
                    Some(converters) if self.plan.reencode_key || self.plan.reencode_value => {
                        encode_back(transformed, converters, &self.plan)?
                    }
                    _ => transformed,
                });
            }
        }
        Ok(out)
    }

    /// Put batches in order; a retriable failure schedules the rest for redelivery.
    async fn put_all(&mut self, mut pieces: VecDeque<Batch>) -> Result<()> {
        while let Some(piece) = pieces.pop_front() {
            let rows = piece.num_rows() as u64;
            let next = piece.provenance.commit_offsets();
            let started = std::time::Instant::now();
            let result = self.task.put(piece.clone()).await;
            self.ctx.metrics.record_batch(rows, started.elapsed());
            // Records the task reported as errant during `put` go to the DLQ now, so no
            // commit can pass them before the DLQ has them.
            self.flush_errant().await?;
            match result {
                Ok(()) => {
                    for (tp, off) in next {
                        if self.assigned.contains(&tp) {
                            self.consumed.insert(tp, off);
                        }
                    }
                    self.ctx.metrics.record_out(rows);
                    self.publish_active();
                }
                Err(e) if e.is_retriable() => {
                    pieces.push_front(piece);
                    let requested = self
                        .shared
                        .requests
                        .lock()
                        .expect("sink context lock")
                        .timeout
                        .take();
                    // Java waits for the task's timeout, else until the next commit is due.
                    let backoff = requested.unwrap_or_else(|| {
                        self.next_commit
                            .saturating_duration_since(Instant::now())
                            .max(Duration::from_millis(100))
                    });
                    tracing::warn!(task = %self.ctx.name(), error = %e, ?backoff, "retriable error from put; pausing consumption and redelivering the batch");
                    // Idempotent: a redelivery that fails again pauses what is already paused.
                    self.command(Command::Pause(PauseReason::Redelivery, true))?;
                    self.redelivery = Some((pieces, Instant::now() + backoff));
                    return self.apply_requests().await;
                }
                Err(e) => return Err(e),
            }
            self.apply_requests().await?;
        }
        Ok(())
    }

    /// The redelivery backoff passed: put the pending batches again, then what queued behind.
    async fn redeliver(&mut self) -> Result<()> {
        let Some((pieces, _)) = self.redelivery.take() else {
            return Ok(());
        };
        self.put_all(pieces).await?;
        if self.redelivery.is_some() {
            return Ok(()); // Failed again: rescheduled, partitions still paused.
        }
        self.command(Command::Pause(PauseReason::Redelivery, false))?;
        while self.redelivery.is_none() {
            let Some(batch) = self.backlog.pop_front() else {
                break;
            };
            self.process(batch).await?;
        }
        Ok(())
    }

    /// Partitions are being revoked: drop their records not put yet (their new owner reads
    /// them again from the committed offset), let the task make them durable, reply with what
    /// is durable (committed synchronously by the consumer thread), then close them.
    async fn revoke(
        &mut self,
        tps: Vec<TopicPartition>,
        reply: std::sync::mpsc::Sender<OffsetMap>,
    ) -> Result<()> {
        let revoked: BTreeSet<TopicPartition> = tps.iter().cloned().collect();
        self.drop_pending(|tp| revoked.contains(tp))?;
        let mine: OffsetMap = self
            .consumed
            .iter()
            .filter(|(tp, _)| revoked.contains(tp))
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        *self.shared.revoking.lock().expect("sink context lock") = tps.clone();
        let durable = self.task.pre_commit(&mine).await;
        self.shared
            .revoking
            .lock()
            .expect("sink context lock")
            .clear();
        let durable = match durable {
            Ok(d) => match self.flush_errant().await {
                Ok(()) => clamp(d, &mine),
                Err(e) => {
                    let _ = reply.send(OffsetMap::new());
                    return Err(e);
                }
            },
            Err(e) => {
                tracing::warn!(task = %self.ctx.name(), error = %e, "pre_commit failed on revocation; not committing");
                OffsetMap::new()
            }
        };
        let _ = reply.send(durable);
        let closed = self.task.close(&tps).await;
        for tp in &tps {
            self.assigned.remove(tp);
            self.consumed.remove(tp);
            self.seeking.remove(tp);
            self.first_read.remove(tp);
        }
        self.ctx
            .metrics
            .set_partition_count(self.assigned.len() as u64);
        self.confirmed
            .lock()
            .expect("confirmed lock")
            .retain(|tp, _| !revoked.contains(tp));
        self.publish_assignment();
        closed
    }

    /// Drop rows of matching partitions from the redelivery and the backlog.
    fn drop_pending(&mut self, drop: impl Fn(&TopicPartition) -> bool) -> Result<()> {
        let keep = |tp: &TopicPartition| !drop(tp);
        if let Some((pieces, at)) = self.redelivery.take() {
            let mut kept = VecDeque::new();
            for piece in pieces {
                kept.extend(retain_partitions(piece, keep)?);
            }
            // Nothing left to redeliver: fire now, so the redelivery ends the usual way (resume,
            // then the backlog) instead of stranding the backlog.
            let at = if kept.is_empty() { Instant::now() } else { at };
            self.redelivery = Some((kept, at));
        }
        let mut kept = VecDeque::new();
        for batch in self.backlog.drain(..) {
            kept.extend(retain_partitions(batch, keep)?);
        }
        self.backlog = kept;
        Ok(())
    }

    /// Carry out what the task asked through its context.
    async fn apply_requests(&mut self) -> Result<()> {
        let (pause, rewind, commit) = {
            let mut r = self.shared.requests.lock().expect("sink context lock");
            (
                std::mem::take(&mut r.pause),
                std::mem::take(&mut r.rewind),
                std::mem::take(&mut r.commit),
            )
        };
        if !pause.is_empty() {
            self.command(Command::PausePartitions(pause))?;
        }
        let rewind: OffsetMap = rewind
            .into_iter()
            .filter(|(tp, _)| {
                let mine = self.assigned.contains(tp);
                if !mine {
                    tracing::warn!(task = %self.ctx.name(), partition = %tp, "cannot rewind a partition that is not assigned; ignored");
                }
                mine
            })
            .collect();
        if !rewind.is_empty() {
            self.drop_pending(|tp| rewind.contains_key(tp))?;
            for (tp, offset) in &rewind {
                self.seeking.insert(tp.clone());
                self.consumed.insert(tp.clone(), *offset);
            }
            self.command(Command::Seek(rewind))?;
        }
        self.commit_requested |= commit;
        Ok(())
    }

    /// Write the records reported as failed to the DLQ and wait for the acks.
    async fn flush_errant(&mut self) -> Result<()> {
        let records = std::mem::take(&mut *self.errors.queue.lock().expect("errant queue lock"));
        match &self.dlq {
            Some(dlq) if !records.is_empty() => dlq.write(&self.ctx, records).await,
            _ => Ok(()),
        }
    }

    /// Ask the task what is durable and commit it: asynchronously, or synchronously (`closing`).
    async fn commit(&mut self, closing: bool) -> Result<()> {
        self.commit_requested = false;
        self.next_commit = Instant::now() + self.flush_interval;
        self.flush_errant().await?;
        self.publish_active();
        let confirmed = self.confirmed.lock().expect("confirmed lock").clone();
        if !closing && pending_commit(&self.consumed, &confirmed).is_empty() {
            return Ok(());
        }
        let durable = clamp(self.task.pre_commit(&self.consumed).await?, &self.consumed);
        self.flush_errant().await?;
        let durable: OffsetMap = durable
            .into_iter()
            .filter(|(tp, _)| self.assigned.contains(tp))
            .collect();
        let changed = pending_commit(&durable, &confirmed);
        self.apply_requests().await?;
        if changed.is_empty() {
            return Ok(());
        }
        tracing::debug!(task = %self.ctx.name(), offsets = ?changed, closing, "committing offsets");
        if !closing {
            self.command(Command::Commit(changed, None))?;
            return Ok(());
        }
        let (tx, rx) = std::sync::mpsc::channel();
        self.command(Command::Commit(changed.clone(), Some(tx)))?;
        let timeout = self
            .ctx
            .spec
            .worker
            .config
            .offset_flush_timeout
            .max(Duration::from_secs(1));
        match tokio::task::spawn_blocking(move || rx.recv_timeout(timeout)).await {
            // `commit_sync` already recorded the confirmed offsets.
            Ok(Ok(Ok(()))) => self.publish_active(),
            Ok(Ok(Err(e))) => {
                tracing::warn!(task = %self.ctx.name(), error = %e, "final offset commit failed")
            }
            _ => tracing::warn!(task = %self.ctx.name(), "final offset commit timed out"),
        }
        Ok(())
    }
}

/// The offsets of `durable` the broker has not confirmed yet: what a commit must send. A commit
/// that failed (or is still in flight) was never confirmed, so it is sent again.
fn pending_commit(durable: &OffsetMap, confirmed: &OffsetMap) -> OffsetMap {
    durable
        .iter()
        .filter(|(tp, off)| confirmed.get(*tp) != Some(*off))
        .map(|(k, v)| (k.clone(), *v))
        .collect()
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

/// Keep only the rows of partitions `keep` accepts, with the provenance of those partitions;
/// `None` when nothing is left.
fn retain_partitions(
    batch: Batch,
    keep: impl Fn(&TopicPartition) -> bool,
) -> Result<Option<Batch>> {
    let Provenance::Sink(ranges) = &batch.provenance else {
        return Ok(Some(batch));
    };
    if ranges.keys().all(&keep) {
        return Ok(Some(batch));
    }
    if !ranges.keys().any(&keep) {
        return Ok(None);
    }
    let topics = batch
        .column(columns::TOPIC)
        .cloned()
        .ok_or_else(|| Error::bug("sink batch has no topic column"))?;
    let partitions = batch
        .column(columns::PARTITION)
        .and_then(|c| c.as_any().downcast_ref::<Int32Array>().cloned())
        .ok_or_else(|| Error::bug("sink batch has no partition column"))?;
    // Decide per partition once, not per row.
    let verdicts: BTreeMap<(&str, i32), bool> = ranges
        .keys()
        .map(|tp| ((tp.topic.as_str(), tp.partition), keep(tp)))
        .collect();
    let mask: BooleanArray = (0..batch.num_rows())
        .map(|i| {
            let topic = topic_at(&topics, i).unwrap_or_default();
            Some(
                verdicts
                    .get(&(topic, partitions.value(i)))
                    .copied()
                    .unwrap_or(false),
            )
        })
        .collect();
    let provenance = Provenance::Sink(
        ranges
            .iter()
            .filter(|(tp, _)| keep(tp))
            .map(|(tp, r)| (tp.clone(), *r))
            .collect(),
    );
    let mut kept = batch.filter(&mask)?;
    kept.provenance = provenance;
    Ok(Some(kept))
}

/// Decode key and value and check the header values, retrying retriable failures per
/// `errors.retry.timeout`; rows that still fail any of the three stages are handled per
/// `errors.tolerance` and removed. The result keeps the original payloads beside the decoded
/// columns (for the DLQ).
///
/// Header values stay raw bytes in the batch (no Strait sink reads typed headers yet), but they
/// go through the header converter as in Java's `WorkerSinkTask`, so a header the configured
/// converter cannot read (e.g. not JSON under `header.converter=JsonConverter`) is a
/// `HEADER_CONVERTER` error, tolerated or not like a key or value error.
async fn decode(
    ctx: &DriverContext,
    retry: &RetryPolicy,
    errors: &ErrorHandler,
    batch: Batch,
    converters: &Converters,
    plan: &DecodePlan,
) -> Result<VecDeque<Batch>> {
    let raw_key = raw_column(&batch, columns::KEY)?;
    let raw_value = raw_column(&batch, columns::VALUE)?;
    let topics = batch
        .column(columns::TOPIC)
        .cloned()
        .ok_or_else(|| Error::bug("raw batch has no topic column"))?;
    let key = match plan.key {
        ColumnPlan::Decode => convert(ctx, retry, &*converters.key, &topics, &raw_key).await?,
        _ => kept_raw(columns::KEY, &raw_key),
    };
    let value = match plan.value {
        ColumnPlan::Decode => convert(ctx, retry, &*converters.value, &topics, &raw_value).await?,
        ColumnPlan::PlainJson => {
            let (json, errors) = converters.value.normalize_plain_json(&raw_value)?;
            Decoded::single(
                Field::new(columns::VALUE, DataType::Binary, true),
                Arc::new(json),
                errors,
            )
        }
        ColumnPlan::Raw => kept_raw(columns::VALUE, &raw_value),
    };
    let header_errors = retry
        .run(
            &ctx.cancel,
            || header_errors(&batch, &*converters.header),
            |r| match r {
                Ok(errors) => errors.iter().any(|e| e.error.is_retriable()),
                Err(e) => e.is_retriable(),
            },
            || ctx.metrics.record_retry(),
        )
        .await?;
    let mut failed: Vec<(usize, Stage, &'static str, Error)> = Vec::new();
    failed.extend(
        key.errors
            .into_iter()
            .map(|RowError { row, error }| (row, Stage::KeyConverter, converters.key.class, error)),
    );
    failed.extend(value.errors.into_iter().map(|RowError { row, error }| {
        (row, Stage::ValueConverter, converters.value.class, error)
    }));
    failed.extend(header_errors.into_iter().map(|RowError { row, error }| {
        (row, Stage::HeaderConverter, converters.header.class, error)
    }));
    // Handle the first failure of each record, in record order.
    failed.sort_by_key(|(row, stage, _, _)| (*row, *stage as u8));
    let mut keep = vec![true; batch.num_rows()];
    for (row, stage, class, error) in failed {
        if !keep[row] {
            continue;
        }
        keep[row] = false;
        errors.handle(&batch, row, stage, class, error)?;
    }
    // The original payloads travel beside the decoded columns (the DLQ writes them); the batch
    // is cut where the key's or value's schema changes, one piece per schema, in order.
    let mut batch = batch;
    batch.original = Some(RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new(columns::KEY, DataType::Binary, true),
            Field::new(columns::VALUE, DataType::Binary, true),
        ])),
        vec![Arc::new(raw_key) as ArrayRef, Arc::new(raw_value)],
    )?);
    let pieces = split::split(&batch, &key.segments, &value.segments)?;
    Ok(split::keep_rows(pieces, &keep)?.into())
}

/// A column the plan leaves as payload bytes, as a decoding result (one segment, no errors).
fn kept_raw(name: &str, raw: &BinaryArray) -> Decoded {
    Decoded::single(
        Field::new(name, DataType::Binary, true),
        Arc::new(raw.clone()),
        Vec::new(),
    )
}

/// What the driver does with the key and value columns before the transforms and the sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DecodePlan {
    key: ColumnPlan,
    value: ColumnPlan,
    /// Encode the column back into payload bytes after the transforms (the sink wants bytes,
    /// a transform needed it decoded).
    reencode_key: bool,
    reencode_value: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ColumnPlan {
    /// Payload bytes as read.
    Raw,
    /// Decoded by the converter.
    Decode,
    /// Checked and normalised plain JSON text ([`Converter::normalize_plain_json`]).
    PlainJson,
}

impl DecodePlan {
    fn new(input: SinkInput, needs: crate::transforms::Needs, plain_json: bool) -> Self {
        use ColumnPlan::*;
        let transforms_read = needs.key || needs.value;
        match input {
            SinkInput::Decoded => DecodePlan {
                key: Decode,
                value: Decode,
                reencode_key: false,
                reencode_value: false,
            },
            SinkInput::Raw => {
                let plan = if transforms_read { Decode } else { Raw };
                DecodePlan {
                    key: plan,
                    value: plan,
                    reencode_key: transforms_read,
                    reencode_value: transforms_read,
                }
            }
            SinkInput::JsonValue { decode_key } => DecodePlan {
                key: if decode_key || transforms_read {
                    Decode
                } else {
                    Raw
                },
                value: match (plain_json, needs.value) {
                    (true, false) => PlainJson,
                    _ => Decode,
                },
                // The key goes back to bytes only for a sink that did not ask for it decoded.
                reencode_key: !decode_key && transforms_read,
                reencode_value: plain_json && needs.value,
            },
        }
    }

    /// Whether any column goes through a converter.
    fn decodes(&self) -> bool {
        self.key != ColumnPlan::Raw || self.value != ColumnPlan::Raw
    }
}

/// A transformed batch with its key and/or value (per `plan`) encoded back into payload bytes,
/// for a sink that takes them raw (its transforms needed them decoded).
fn encode_back(batch: Batch, converters: &Converters, plan: &DecodePlan) -> Result<Batch> {
    let mut replaced = Vec::with_capacity(2);
    for (name, converter, wanted) in [
        (columns::KEY, &converters.key, plan.reencode_key),
        (columns::VALUE, &converters.value, plan.reencode_value),
    ] {
        if !wanted {
            continue;
        }
        if let (Some(field), Some(column)) = (batch.field(name), batch.column(name)) {
            let bytes = converter.from_connect(&field, column)?;
            replaced.push((
                Arc::new(Field::new(name, DataType::Binary, true)),
                Arc::new(bytes) as ArrayRef,
            ));
        }
    }
    let records = crate::batch::with_columns(&batch.records, replaced)?;
    Ok(Batch { records, ..batch })
}

/// Run one converter over a column, again while it fails retriably and the policy allows.
/// One converter stage over a column: fetch what the payloads need (`prepare_to_connect`, a
/// registry's schemas), then decode; retried as a whole per the framework's retry policy.
/// A fetch that still fails when the policy gives up fails each record of the column, as Java's
/// converter would fail each `toConnectData`, so `errors.tolerance` decides (DLQ or FAILED).
async fn convert(
    ctx: &DriverContext,
    retry: &RetryPolicy,
    converter: &dyn Converter,
    topics: &ArrayRef,
    payloads: &BinaryArray,
) -> Result<Decoded> {
    let attempt = || async {
        converter.prepare_to_connect(topics, payloads).await?;
        converter.to_connect_for(topics, payloads)
    };
    let decoded = retry
        .run_async(
            &ctx.cancel,
            attempt,
            |r| match r {
                Ok(d) => d.errors.iter().any(|e| e.error.is_retriable()),
                Err(e) => e.is_retriable(),
            },
            || ctx.metrics.record_retry(),
        )
        .await;
    match decoded {
        Err(e) if e.is_retriable() => Ok(failed_rows(payloads.len(), &e)),
        other => other,
    }
}

/// Every row of a column failed with `error` (a stage that could not run at all).
fn failed_rows(rows: usize, error: &Error) -> Decoded {
    let errors = (0..rows)
        .map(|row| RowError {
            row,
            error: Error::external(error.message(), true).with_java_class(error.java_class()),
        })
        .collect();
    Decoded::single(
        Field::new("value", DataType::Null, true),
        arrow::array::new_null_array(&DataType::Null, rows),
        errors,
    )
}

fn raw_column(batch: &Batch, name: &str) -> Result<BinaryArray> {
    batch
        .column(name)
        .and_then(|c| c.as_any().downcast_ref::<BinaryArray>().cloned())
        .ok_or_else(|| Error::bug(format!("raw batch column {name} is not binary")))
}

/// Run every header value of the batch through the header converter in one call (the values
/// of all rows are one flat column) and map its errors back to their rows.
fn header_errors(batch: &Batch, converter: &dyn Converter) -> Result<Vec<RowError>> {
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

/// One failed record on its way to the dead letter queue: the original record and what failed.
#[derive(Debug, Clone, PartialEq)]
struct DlqRecord {
    key: Option<Vec<u8>>,
    value: Option<Vec<u8>>,
    timestamp: Option<i64>,
    headers: Vec<(String, Option<Vec<u8>>)>,
    /// `__connect.errors.*` context headers, when enabled.
    context: Vec<(&'static str, Option<String>)>,
}

/// `errors.tolerance`, `errors.log.*` and the DLQ queue of one task: where converter failures and
/// records the task reports as errant (`ErrantRecordReporter`) go.
struct ErrorHandler {
    task: String,
    connector: String,
    task_id: u32,
    tolerance: Tolerance,
    log_errors: bool,
    log_include_messages: bool,
    context_headers: bool,
    has_dlq: bool,
    /// Records waiting to be written to the DLQ (the driver writes them before it commits).
    queue: Mutex<Vec<DlqRecord>>,
    metrics: Arc<super::TaskMetrics>,
}

impl ErrorHandler {
    /// Row `row` of `batch` failed at `stage` (in plugin `class`): fail with Java's "Tolerance
    /// exceeded" under `errors.tolerance=none`; else log it if asked and queue it for the DLQ.
    fn handle(
        &self,
        batch: &Batch,
        row: usize,
        stage: Stage,
        class: &'static str,
        error: Error,
    ) -> Result<()> {
        let record = RecordCoordinates::of(batch, row);
        if self.tolerance == Tolerance::None {
            self.metrics.record_errors(1, false, false);
            return Err(Error::data(format!(
                "Tolerance exceeded in error handler: error in stage {} for record at offset {} of topic {}: {}",
                stage.as_str(),
                record.offset.unwrap_or(-1),
                record.topic,
                error.message()
            ))
            .with_source(error));
        }
        self.metrics.record_errors(1, true, self.log_errors);
        if self.log_errors {
            tracing::error!(error = %error.trace(), "{}", self.log_message(stage, class, &record));
        }
        if self.has_dlq {
            let dlq = self.dlq_record(batch, row, &record, stage, class, &error);
            self.queue.lock().expect("errant queue lock").push(dlq);
        }
        Ok(())
    }

    /// Java's `LogReporter` line.
    fn log_message(&self, stage: Stage, class: &str, record: &RecordCoordinates<'_>) -> String {
        let mut msg = format!(
            "Error encountered in task {}. Executing stage '{}' with class '{}'",
            self.task,
            stage.as_str(),
            class
        );
        if self.log_include_messages {
            msg.push_str(&format!(
                ", where consumed record is {{topic='{}', partition={}, offset={}, timestamp={}}}",
                record.topic,
                record.partition.map_or("null".into(), |p| p.to_string()),
                record.offset.map_or("null".into(), |o| o.to_string()),
                record.timestamp.unwrap_or(-1),
            ));
        }
        msg.push('.');
        msg
    }

    fn dlq_record(
        &self,
        batch: &Batch,
        row: usize,
        record: &RecordCoordinates<'_>,
        stage: Stage,
        class: &'static str,
        error: &Error,
    ) -> DlqRecord {
        // The original payloads: kept beside decoded columns, or the columns themselves.
        let source = batch.original.as_ref().unwrap_or(&batch.records);
        let bytes = |name: &str| {
            source
                .column_by_name(name)
                .and_then(|c| c.as_any().downcast_ref::<BinaryArray>())
                .filter(|c| !c.is_null(row))
                .map(|c| c.value(row).to_vec())
        };
        let headers = batch
            .column(columns::HEADERS)
            .and_then(|c| c.as_any().downcast_ref::<ListArray>())
            .map(|list| {
                header_entries(list, row)
                    .map(|(k, v)| (k.to_string(), v.map(<[u8]>::to_vec)))
                    .collect()
            })
            .unwrap_or_default();
        let context = if self.context_headers {
            vec![
                ("__connect.errors.topic", Some(record.topic.to_string())),
                (
                    "__connect.errors.partition",
                    record.partition.map(|p| p.to_string()),
                ),
                (
                    "__connect.errors.offset",
                    record.offset.map(|o| o.to_string()),
                ),
                (
                    "__connect.errors.connector.name",
                    Some(self.connector.clone()),
                ),
                ("__connect.errors.task.id", Some(self.task_id.to_string())),
                ("__connect.errors.stage", Some(stage.as_str().to_string())),
                ("__connect.errors.class.name", Some(class.to_string())),
                (
                    "__connect.errors.exception.class.name",
                    Some(error.java_class().to_string()),
                ),
                (
                    "__connect.errors.exception.message",
                    Some(error.message().to_string()),
                ),
                ("__connect.errors.exception.stacktrace", Some(error.trace())),
            ]
        } else {
            Vec::new()
        };
        DlqRecord {
            key: bytes(columns::KEY),
            value: bytes(columns::VALUE),
            timestamp: record.timestamp,
            headers,
            context,
        }
    }
}

impl ErrantRecordReporter for ErrorHandler {
    fn report(&self, batch: &Batch, row: usize, error: Error) -> Result<()> {
        if row >= batch.num_rows() {
            return Err(Error::bug(format!(
                "errant record reported at row {row} of a batch of {} rows",
                batch.num_rows()
            )));
        }
        self.handle(batch, row, Stage::TaskPut, SINK_TASK_CLASS, error)
    }
}

/// Where a record came from, read from a batch's columns.
struct RecordCoordinates<'a> {
    topic: &'a str,
    partition: Option<i32>,
    offset: Option<i64>,
    timestamp: Option<i64>,
}

impl<'a> RecordCoordinates<'a> {
    fn of(batch: &'a Batch, row: usize) -> Self {
        RecordCoordinates {
            topic: batch.topic_at(row).unwrap_or_default(),
            partition: batch
                .column(columns::PARTITION)
                .and_then(|c| c.as_any().downcast_ref::<Int32Array>())
                .filter(|c| !c.is_null(row))
                .map(|c| c.value(row)),
            offset: batch
                .column(columns::OFFSET)
                .and_then(|c| c.as_any().downcast_ref::<Int64Array>())
                .filter(|c| !c.is_null(row))
                .map(|c| c.value(row)),
            timestamp: batch
                .column(columns::TIMESTAMP)
                .and_then(|c| c.as_any().downcast_ref::<TimestampMillisecondArray>())
                .filter(|c| !c.is_null(row))
                .map(|c| c.value(row)),
        }
    }
}

/// The dead letter queue producer of a sink task.
struct DeadLetterQueue {
    topic: String,
    producer: FutureProducer,
}

impl DeadLetterQueue {
    /// Write records in one go (every send enqueued before any ack is awaited), then wait for
    /// every ack: the offsets covering them are committed only after the DLQ has them.
    async fn write(&self, ctx: &DriverContext, records: Vec<DlqRecord>) -> Result<()> {
        let mut acks = Vec::with_capacity(records.len());
        for r in &records {
            let mut headers = OwnedHeaders::new_with_capacity(r.headers.len() + r.context.len());
            for (key, value) in r.headers.iter() {
                headers = headers.insert(Header {
                    key: key.as_str(),
                    value: value.as_deref(),
                });
            }
            for (key, value) in &r.context {
                headers = headers.insert(Header {
                    key,
                    value: value.as_deref().map(str::as_bytes),
                });
            }
            let mut record: FutureRecord<'_, [u8], [u8]> =
                FutureRecord::to(&self.topic).headers(headers);
            if let Some(k) = &r.key {
                record = record.key(k.as_slice());
            }
            if let Some(v) = &r.value {
                record = record.payload(v.as_slice());
            }
            if let Some(t) = r.timestamp {
                record = record.timestamp(t);
            }
            loop {
                match self.producer.send_result(record) {
                    Ok(ack) => {
                        acks.push(ack);
                        break;
                    }
                    Err((e, r)) if is_queue_full(&e) => {
                        record = r;
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                    Err((e, _)) => {
                        return Err(Error::from(e)
                            .context(format!("writing to dead letter queue {}", self.topic)))
                    }
                }
            }
        }
        for ack in acks {
            match ack.await {
                Ok(Ok(_)) => {}
                Ok(Err((e, _))) => {
                    return Err(Error::from(e)
                        .context(format!("writing to dead letter queue {}", self.topic)))
                }
                Err(_) => {
                    return Err(Error::external(
                        format!("dead letter queue producer for {} went away", self.topic),
                        true,
                    ))
                }
            }
        }
        ctx.metrics.record_dlq(records.len() as u64, false);
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(p: i32) -> TopicPartition {
        TopicPartition::new("t", p)
    }

    fn offsets(pairs: &[(i32, i64)]) -> OffsetMap {
        pairs.iter().map(|(p, o)| (tp(*p), *o)).collect()
    }

    #[test]
    fn decode_plans_follow_the_sink_input_and_the_transforms() {
        use crate::transforms::Needs;
        use ColumnPlan::*;
        let none = Needs::NOTHING;
        let value = Needs {
            value: true,
            ..Needs::NOTHING
        };
        // A raw sink without transforms reading payloads decodes nothing.
        let raw = DecodePlan::new(SinkInput::Raw, none, true);
        assert!(!raw.decodes());
        let raw_t = DecodePlan::new(SinkInput::Raw, value, true);
        assert_eq!((raw_t.key, raw_t.value), (Decode, Decode));
        assert!(raw_t.reencode_key && raw_t.reencode_value);
        // JSON values from a plain-JSON converter: never decoded unless a transform reads them,
        // and then encoded back; the key only when asked for.
        let json = DecodePlan::new(SinkInput::JsonValue { decode_key: false }, none, true);
        assert_eq!((json.key, json.value), (Raw, PlainJson));
        assert!(!json.reencode_key && !json.reencode_value);
        let json_t = DecodePlan::new(SinkInput::JsonValue { decode_key: true }, value, true);
        assert_eq!((json_t.key, json_t.value), (Decode, Decode));
        assert!(!json_t.reencode_key && json_t.reencode_value);
        // Any other value converter: the value arrives decoded and stays so.
        let avro = DecodePlan::new(SinkInput::JsonValue { decode_key: true }, value, false);
        assert_eq!((avro.key, avro.value), (Decode, Decode));
        assert!(!avro.reencode_value);
        let decoded = DecodePlan::new(SinkInput::Decoded, none, true);
        assert_eq!((decoded.key, decoded.value), (Decode, Decode));
    }

    /// A raw batch of `rows` records alternating between partitions 0 and 1, offsets counting
    /// up per partition from `first`.
    fn raw_batch(rows: usize, first: i64) -> Batch {
        let mut b = RawBatchBuilder::with_capacity(rows, 64);
        for i in 0..rows {
            let v = format!("v{i}");
            b.append(
                "t",
                (i % 2) as i32,
                first + (i / 2) as i64,
                Some(1_700_000_000_000 + i as i64),
                Some(b"k".as_slice()),
                Some(v.as_bytes()),
                [("h", Some(b"x".as_slice()))],
            );
        }
        b.finish().unwrap()
    }

    #[test]
    fn headers_are_read_whenever_something_can_observe_them() {
        assert!(!reads_headers(false, false, false));
        assert!(reads_headers(true, false, false), "the sink reads them");
        assert!(
            reads_headers(false, true, false),
            "the header converter may reject one"
        );
        assert!(reads_headers(false, false, true), "the DLQ copies them");
    }

    #[test]
    fn a_failed_commit_is_sent_again() {
        let durable = offsets(&[(0, 10), (1, 7)]);
        let mut confirmed = OffsetMap::new();
        // First commit: everything is pending.
        assert_eq!(pending_commit(&durable, &confirmed), durable);
        // It failed: nothing was confirmed, so the same offsets are still pending.
        assert_eq!(pending_commit(&durable, &confirmed), durable);
        // The broker confirmed partition 0 only.
        confirmed.insert(tp(0), 10);
        assert_eq!(pending_commit(&durable, &confirmed), offsets(&[(1, 7)]));
        confirmed.insert(tp(1), 7);
        assert!(pending_commit(&durable, &confirmed).is_empty());
    }

    #[test]
    fn durable_offsets_are_clamped_to_what_was_consumed() {
        let consumed = offsets(&[(0, 10), (1, 7)]);
        let durable = offsets(&[(0, 11), (1, 5), (2, 3)]);
        assert_eq!(clamp(durable, &consumed), offsets(&[(1, 5)]));
    }

    #[test]
    fn retain_partitions_filters_rows_and_provenance() {
        let batch = raw_batch(6, 100);
        // All kept: unchanged.
        let all = retain_partitions(batch.clone(), |_| true).unwrap().unwrap();
        assert_eq!(all.num_rows(), 6);
        // None kept.
        assert!(retain_partitions(batch.clone(), |_| false)
            .unwrap()
            .is_none());
        // Partition 1 only: its three rows, its range, in order.
        let one = retain_partitions(batch, |tp| tp.partition == 1)
            .unwrap()
            .unwrap();
        assert_eq!(one.num_rows(), 3);
        let offs = one
            .column(columns::OFFSET)
            .unwrap()
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap()
            .values()
            .to_vec();
        assert_eq!(offs, vec![100, 101, 102]);
        assert_eq!(one.provenance.commit_offsets(), offsets(&[(1, 103)]));
    }

    fn handler(tolerance: Tolerance, include_messages: bool) -> ErrorHandler {
        ErrorHandler {
            task: "conn-0".into(),
            connector: "conn".into(),
            task_id: 0,
            tolerance,
            log_errors: true,
            log_include_messages: include_messages,
            context_headers: true,
            has_dlq: true,
            queue: Mutex::default(),
            metrics: Arc::default(),
        }
    }

    #[test]
    fn log_lines_follow_javas_log_reporter() {
        let batch = raw_batch(2, 399);
        let record = RecordCoordinates::of(&batch, 0);
        let h = handler(Tolerance::All, false);
        assert_eq!(
            h.log_message(
                Stage::ValueConverter,
                "org.apache.kafka.connect.json.JsonConverter",
                &record
            ),
            "Error encountered in task conn-0. Executing stage 'VALUE_CONVERTER' with class \
             'org.apache.kafka.connect.json.JsonConverter'."
        );
        let h = handler(Tolerance::All, true);
        assert_eq!(
            h.log_message(Stage::TaskPut, SINK_TASK_CLASS, &record),
            "Error encountered in task conn-0. Executing stage 'TASK_PUT' with class \
             'org.apache.kafka.connect.sink.SinkTask', where consumed record is {topic='t', \
             partition=0, offset=399, timestamp=1700000000000}."
        );
    }

    #[test]
    fn tolerated_errors_queue_the_original_record_with_context_headers() {
        let batch = raw_batch(4, 0);
        let h = handler(Tolerance::All, false);
        h.handle(
            &batch,
            3,
            Stage::KeyConverter,
            "org.example.KeyConv",
            Error::data("bad key"),
        )
        .unwrap();
        let queued = h.queue.lock().unwrap().clone();
        assert_eq!(queued.len(), 1);
        let r = &queued[0];
        assert_eq!(r.key.as_deref(), Some(b"k".as_slice()));
        assert_eq!(r.value.as_deref(), Some(b"v3".as_slice()));
        assert_eq!(r.timestamp, Some(1_700_000_000_003));
        assert_eq!(r.headers, vec![("h".to_string(), Some(b"x".to_vec()))]);
        let ctx: BTreeMap<&str, Option<String>> = r.context.iter().cloned().collect();
        let get = |k: &str| ctx[k].clone().unwrap();
        assert_eq!(get("__connect.errors.topic"), "t");
        assert_eq!(get("__connect.errors.partition"), "1");
        assert_eq!(get("__connect.errors.offset"), "1");
        assert_eq!(get("__connect.errors.connector.name"), "conn");
        assert_eq!(get("__connect.errors.task.id"), "0");
        assert_eq!(get("__connect.errors.stage"), "KEY_CONVERTER");
        assert_eq!(get("__connect.errors.class.name"), "org.example.KeyConv");
        assert_eq!(
            get("__connect.errors.exception.class.name"),
            "org.apache.kafka.connect.errors.DataException"
        );
        assert_eq!(get("__connect.errors.exception.message"), "bad key");
        assert!(get("__connect.errors.exception.stacktrace").contains("bad key"));
        assert_eq!(h.metrics.records_skipped.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn without_tolerance_the_first_error_fails_and_nothing_is_queued() {
        let batch = raw_batch(2, 5);
        let h = handler(Tolerance::None, false);
        let e = h
            .report(&batch, 1, Error::data("cannot write"))
            .unwrap_err();
        assert!(
            e.message().starts_with(
                "Tolerance exceeded in error handler: error in stage TASK_PUT for record at offset 5 of topic t"
            ),
            "{e}"
        );
        assert!(h.queue.lock().unwrap().is_empty());
        assert!(
            h.report(&batch, 2, Error::data("x")).is_err(),
            "row out of range"
        );
    }
}
