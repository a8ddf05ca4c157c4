//! Source task driver.
//!
//! `poll` → encode key and value columns with the converters → produce every row → remember the
//! batch's source offsets beside an ack counter. Every `offset.flush.interval.ms`, and once more
//! on stop or failure, the offsets of the longest prefix of fully acknowledged batches are written
//! to the offset store and flushed; only then is the task's `commit` called. So offsets never
//! pass data Kafka has not acknowledged (at-least-once; a crash re-sends at most what was
//! produced after the last flush).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arrow::array::{
    Array, BinaryArray, Int32Array, ListArray, StructArray, TimestampMillisecondArray,
};
use arrow::datatypes::{DataType, Field};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::ClientContext;

use super::exactly_once;
use super::retry::RetryPolicy;
use super::topic_creator::TopicCreator;
use super::{Converters, DriverContext, State, TaskMetrics};
use crate::batch::{
    columns, header_entries, with_columns, Batch, HeaderListBuilder, Provenance, SourceMap,
    TopicColumn,
};
use crate::connector_config::Tolerance;
use crate::error::{Error, Result, Stage};
use crate::kafka::{client_config, is_queue_full, ClientRole};
use crate::offsets::ConnectorOffsetReader;
use crate::plugin::{SourceTask, SourceTaskContext};
use crate::schema;
use crate::transforms::registry::build_chain;
use crate::transforms::{Chain, TransformContext};

/// Acknowledgement state of one produced batch.
#[derive(Debug, Default)]
pub(crate) struct BatchAck {
    pub(super) remaining: AtomicUsize,
    pub(super) failure: Mutex<Option<String>>,
}

impl BatchAck {
    fn done(&self) -> bool {
        self.remaining.load(Ordering::Acquire) == 0
    }
}

/// librdkafka delivery callbacks count down the batch's ack counter.
pub(crate) struct AckContext;

impl ClientContext for AckContext {}

impl ProducerContext for AckContext {
    type DeliveryOpaque = Arc<BatchAck>;
    fn delivery(&self, result: &DeliveryResult<'_>, ack: Self::DeliveryOpaque) {
        if let Err((e, _)) = result {
            let mut f = ack.failure.lock().expect("ack lock");
            if f.is_none() {
                *f = Some(e.to_string());
            }
        }
        ack.remaining.fetch_sub(1, Ordering::AcqRel);
    }
}

pub(super) struct Pending {
    pub(super) ack: Arc<BatchAck>,
    pub(super) offsets: Vec<(SourceMap, SourceMap)>,
    /// Records of the batch (for `transaction-size-*`).
    pub(super) rows: usize,
}

/// Records sent and not yet acknowledged by the broker (`source-record-active-count`).
fn active_records(pending: &VecDeque<Pending>) -> i64 {
    pending
        .iter()
        .map(|p| p.ack.remaining.load(Ordering::Relaxed) as i64)
        .sum()
}

/// Framework producer settings (`Worker.baseProducerConfigs`), tuned for librdkafka.
/// Deviation: idempotence is on (Java turns it off and uses one in-flight request instead);
/// both keep per-partition order, idempotence also avoids duplicates from internal retries.
/// `murmur2_random` is the Java producer's partitioner for keyed records (murmur2 of the key
/// bytes; librdkafka's default hashes with CRC32): a record lands on the partition a Java
/// worker would choose, so per-key order holds when tasks move between Java and Strait
/// workers, and exactly-once offset records share partitions with Java's.
fn producer_base(connector: &str, task: u32) -> Vec<(&'static str, String)> {
    vec![
        (
            "client.id",
            format!("connector-producer-{connector}-{task}"),
        ),
        ("acks", "all".into()),
        ("enable.idempotence", "true".into()),
        ("partitioner", "murmur2_random".into()),
        ("linger.ms", "5".into()),
        ("batch.num.messages", "10000".into()),
        ("queue.buffering.max.messages", "500000".into()),
        ("queue.buffering.max.kbytes", "262144".into()),
        ("message.timeout.ms", "2147483647".into()),
    ]
}

pub(crate) async fn run(mut ctx: DriverContext, mut task: Box<dyn SourceTask>) {
    let spec = ctx.spec.clone();
    let worker = spec.worker.clone();
    let eos = spec.exactly_once.clone();
    if let Some(check) = eos.as_ref().and_then(|e| e.before_producer.clone()) {
        if let Err(e) = check().await {
            return ctx.fail_start(&e);
        }
    }
    let setup = || -> Result<_> {
        let mut base = producer_base(&spec.connector, spec.task_id);
        if eos.is_some() {
            // librdkafka refuses a transactional producer whose message timeout exceeds the
            // transaction timeout; left unset it follows `transaction.timeout.ms`.
            base.retain(|(k, _)| *k != "message.timeout.ms");
        }
        let mut cfg = client_config(
            &worker.config.bootstrap_servers,
            ClientRole::Producer,
            &base,
            &worker.config.originals,
            &spec.connector_props,
        )?;
        if let Some(eos) = &eos {
            exactly_once::force_producer_settings(&mut cfg, &eos.transactional_id, &ctx.name());
        }
        let producer: ThreadedProducer<AckContext> = {
            use rdkafka::config::FromClientConfigAndContext;
            ThreadedProducer::from_config_and_context(&cfg, AckContext)
                .map_err(|e| Error::from(e).context("creating source task producer"))?
        };
        let converters = worker.converters(&spec.connector_props)?;
        let chain = build_chain(
            &spec.connector_props,
            &TransformContext {
                header_converter: converters.header.converter.clone(),
            },
        )?;
        Ok((producer, converters, chain))
    };
    let (producer, converters, chain) = match setup() {
        Ok(x) => x,
        Err(e) => return ctx.fail_start(&e),
    };
    // Topic creation (KIP-158): missing topics are created before the first record to them.
    let mut topic_creator = match TopicCreator::for_task(&spec) {
        Ok(c) => c,
        Err(e) => return ctx.fail_start(&e),
    };
    let producer = Arc::new(producer);
    let mut txn = match &eos {
        Some(eos) => match exactly_once::Transactions::start(&ctx, producer.clone(), eos).await {
            Ok(t) => Some(t),
            Err(e) => return ctx.fail_start(&e),
        },
        None => None,
    };
    let start_ctx = SourceTaskContext {
        connector: spec.connector.clone(),
        task_id: spec.task_id,
        offsets: Arc::new(ConnectorOffsetReader {
            connector: spec.connector.clone(),
            store: worker.offsets.clone(),
        }),
        transactions: txn.as_ref().and_then(|t| t.context()),
    };
    if let Err(e) = task.start(start_ctx).await {
        return ctx.fail_start(&e);
    }
    ctx.started();
    tracing::info!(task = %ctx.name(), "source task started");

    let flush_interval = worker.config.offset_flush_interval;
    let mut pending: VecDeque<Pending> = VecDeque::new();
    let mut last_commit = Instant::now();
    let mut failure: Option<Error> = None;

    loop {
        if ctx.cancel.is_cancelled() {
            break;
        }
        if let Some(t) = txn.as_mut().filter(|_| *ctx.paused.borrow()) {
            // Java commits before pausing, so no transaction hangs while the task waits.
            if let Err(e) = t
                .end_before_pause_or_stop(&ctx, &mut pending, &mut *task)
                .await
            {
                failure = Some(e);
                break;
            }
        }
        if !ctx.wait_while_paused().await {
            break;
        }
        let poll_started = Instant::now();
        let polled = tokio::select! {
            _ = ctx.cancel.cancelled() => break,
            r = task.poll() => r,
        };
        let got_batch = matches!(polled, Ok(Some(_)));
        if let Ok(Some(batch)) = &polled {
            let rows = batch.num_rows() as u64;
            ctx.metrics.record_in(rows, 0);
            ctx.metrics.record_batch(rows, poll_started.elapsed());
        }
        match polled {
            Ok(Some(batch)) => {
                let produced = async {
                    if let Some(t) = txn.as_mut() {
                        t.begin().await?;
                    }
                    for piece in transform(&ctx, &chain, &converters, batch)? {
                        if let Some(t) = txn.as_ref() {
                            t.refuse_offsets_topic(&piece)?;
                        }
                        if let Some(c) = topic_creator.as_mut() {
                            c.ensure_batch(&piece).await?;
                        }
                        produce_batch(&ctx, &producer, &converters, piece, &mut pending).await?;
                    }
                    Ok::<_, Error>(())
                };
                if let Err(e) = produced.await {
                    failure = Some(e);
                    break;
                }
            }
            Ok(None) => {}
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
        if let Some(t) = txn.as_mut() {
            // Exactly-once: offsets commit inside the transaction, at its boundaries.
            if let Err(e) = t
                .after_poll(&ctx, got_batch, &mut pending, &mut *task)
                .await
            {
                failure = Some(e);
                break;
            }
            continue;
        }
        if last_commit.elapsed() >= flush_interval {
            if let Err(e) = commit_acked(&ctx, &mut pending, &mut *task).await {
                failure = Some(e);
                break;
            }
            last_commit = Instant::now();
        }
    }

    if let Some(t) = txn.as_mut() {
        // Exactly-once: the open transaction commits on a clean stop and aborts on failure.
        if let Err(e) = t
            .finish(&ctx, failure.is_some(), &mut pending, &mut *task)
            .await
        {
            failure.get_or_insert(e);
        }
    }
    // Defined commit point: wait (bounded) for outstanding acks, commit what is acknowledged.
    let deadline = Instant::now()
        + worker
            .config
            .offset_flush_timeout
            .max(Duration::from_millis(100));
    while pending.iter().any(|p| !p.ack.done()) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    if txn.is_none() {
        if let Err(e) = commit_acked(&ctx, &mut pending, &mut *task).await {
            failure.get_or_insert(e);
        }
    }
    if !pending.is_empty() {
        tracing::warn!(task = %ctx.name(), batches = pending.len(), "stopping with unacknowledged batches; their offsets are not committed");
    }
    if let Err(e) = task.stop().await {
        tracing::warn!(task = %ctx.name(), error = %e, "error stopping source task");
    }
    let _ = producer.flush(Duration::from_secs(1));
    match failure {
        Some(e) => ctx.fail(&e),
        None => {
            ctx.status.set(State::Unassigned);
            tracing::info!(task = %ctx.name(), "source task stopped");
        }
    }
}

/// Run the connector's transforms over a polled batch, before the converters (as Java's
/// `AbstractWorkerSourceTask` does). A record a transform rejects is skipped under
/// `errors.tolerance=all` (logged when `errors.log.enable`; sources have no dead letter queue)
/// and fails the task otherwise; filtered and skipped records' source offsets still commit with
/// the batch's provenance.
fn transform(
    ctx: &DriverContext,
    chain: &Chain,
    converters: &Converters,
    batch: Batch,
) -> Result<Vec<Batch>> {
    if chain.is_empty() {
        return Ok(vec![batch]);
    }
    let needs = chain.needs();
    let mut batch = batch;
    if needs.headers {
        batch = serialize_typed_headers(batch, converters)?;
    }
    if needs.key && batch.column(columns::KEY).is_none() {
        // A source record without a key has a null key and no key schema.
        let rows = batch.num_rows();
        let field = schema::schemaless(Field::new(columns::KEY, DataType::Null, true));
        batch = Batch {
            records: with_columns(
                &batch.records,
                [(
                    Arc::new(field),
                    arrow::array::new_null_array(&DataType::Null, rows),
                )],
            )?,
            ..batch
        };
    }
    let output = chain.apply(batch.clone())?;
    let framework = &ctx.spec.framework;
    for e in output.errors {
        let topic = batch.topic_at(e.row).unwrap_or_default().to_string();
        if framework.tolerance == Tolerance::None {
            return Err(Error::data(format!(
                "Tolerance exceeded in error handler: error in stage {} for source record to topic {topic}: {}",
                Stage::Transformation.as_str(),
                e.error.message()
            ))
            .with_source(e.error));
        }
        ctx.metrics.record_errors(1, true, framework.log_errors);
        if framework.log_errors {
            tracing::error!(error = %e.error.trace(), "Error encountered in task {}. Executing stage '{}' with class '{}'.", ctx.name(), Stage::Transformation.as_str(), e.class);
        }
    }
    Ok(output.pieces)
}

/// A batch whose typed headers (a struct with one child per header key) are serialized with
/// the header converter into the `List<Struct<key, value>>` form header transforms work on. A
/// null child is a header with a null value.
fn serialize_typed_headers(batch: Batch, converters: &Converters) -> Result<Batch> {
    let rows = batch.num_rows();
    let typed = batch
        .column(columns::HEADERS)
        .is_some_and(|c| c.as_any().is::<StructArray>());
    if !typed && batch.column(columns::HEADERS).is_some() {
        return Ok(batch); // Already serialized.
    }
    let encoded = encode_typed_headers(&batch, converters)?;
    let mut builder = HeaderListBuilder::with_capacity(rows, encoded.len());
    for row in 0..rows {
        for (key, values) in &encoded {
            builder.push(key, (!values.is_null(row)).then(|| values.value(row)));
        }
        builder.end_row();
    }
    let (field, list) = builder.finish()?;
    Ok(Batch {
        records: with_columns(&batch.records, [(field, list)])?,
        ..batch
    })
}

/// Encode and produce one batch, recording its offsets as pending.
async fn produce_batch(
    ctx: &DriverContext,
    producer: &ThreadedProducer<AckContext>,
    converters: &Converters,
    batch: Batch,
    pending: &mut VecDeque<Pending>,
) -> Result<()> {
    let rows = batch.num_rows();
    let offsets = match &batch.provenance {
        Provenance::Source(o) => o.clone(),
        _ => Vec::new(),
    };
    let ack = Arc::new(BatchAck::default());
    if rows > 0 {
        // Retriable converter failures (e.g. a schema registry that is briefly away) are
        // retried per `errors.retry.timeout` before tolerance applies.
        let policy = RetryPolicy::from_framework(&ctx.spec.framework);
        let encoded = match policy
            .run_async(
                &ctx.cancel,
                || prepare_encode(&batch, converters),
                |r| r.as_ref().is_err_and(Error::is_retriable),
                || ctx.metrics.record_retry(),
            )
            .await
        {
            Ok(()) => {
                policy
                    .run(
                        &ctx.cancel,
                        || encode(&batch, converters),
                        |r| r.as_ref().is_err_and(Error::is_retriable),
                        || ctx.metrics.record_retry(),
                    )
                    .await
            }
            Err(e) => Err(e),
        };
        let (keys, values, typed_headers) = match encoded {
            Ok(kv) => kv,
            Err(e) if ctx.spec.framework.tolerance == Tolerance::All => {
                // Converter stage errors are tolerable (KIP-298): skip the batch's records.
                tracing::warn!(task = %ctx.name(), error = %e, rows, "skipping records that could not be converted");
                ctx.metrics.record_errors(rows as u64, true, false);
                pending.push_back(Pending { ack, offsets, rows });
                return Ok(());
            }
            Err(e) => {
                return Err(Error::data(format!(
                    "Tolerance exceeded in error handler: {e}"
                )))
            }
        };
        let topic_col = batch
            .column(columns::TOPIC)
            .ok_or_else(|| Error::bug("source batch has no topic column"))?;
        let topics = TopicColumn::new(topic_col).ok_or_else(|| {
            Error::bug(format!(
                "source batch topic column is {}, not Utf8",
                topic_col.data_type()
            ))
        })?;
        let partitions = batch
            .column(columns::PARTITION)
            .and_then(|c| c.as_any().downcast_ref::<Int32Array>().cloned());
        let timestamps = batch.column(columns::TIMESTAMP).and_then(|c| {
            c.as_any()
                .downcast_ref::<TimestampMillisecondArray>()
                .cloned()
        });
        // Headers arrive serialized (a list of key/value pairs) or typed (encoded above).
        let headers = batch
            .column(columns::HEADERS)
            .and_then(|c| c.as_any().downcast_ref::<ListArray>().cloned());
        ack.remaining.store(rows, Ordering::Release);
        let mut bytes = 0u64;
        for i in 0..rows {
            let topic = topics
                .get(i)
                .ok_or_else(|| Error::data(format!("record {i} has no topic")))?;
            let key = (!keys.is_null(i)).then(|| keys.value(i));
            let value = (!values.is_null(i)).then(|| values.value(i));
            bytes += key.map_or(0, <[u8]>::len) as u64 + value.map_or(0, <[u8]>::len) as u64;
            let mut record: BaseRecord<'_, [u8], [u8], Arc<BatchAck>> =
                BaseRecord::with_opaque_to(topic, ack.clone());
            if let Some(k) = key {
                record = record.key(k);
            }
            if let Some(v) = value {
                record = record.payload(v);
            }
            if let Some(p) = partitions.as_ref().filter(|p| !p.is_null(i)) {
                record = record.partition(p.value(i));
            }
            if let Some(t) = timestamps.as_ref().filter(|t| !t.is_null(i)) {
                record = record.timestamp(t.value(i));
            }
            if let Some(h) = headers.as_ref().filter(|h| !h.is_null(i)) {
                let owned = header_entries(h, i).fold(OwnedHeaders::new(), |acc, (key, value)| {
                    acc.insert(Header { key, value })
                });
                record = record.headers(owned);
            } else if !typed_headers.is_empty() {
                let owned = typed_headers.iter().fold(
                    OwnedHeaders::new_with_capacity(typed_headers.len()),
                    |acc, (key, values)| {
                        acc.insert(Header {
                            key: key.as_str(),
                            value: (!values.is_null(i)).then(|| values.value(i)),
                        })
                    },
                );
                record = record.headers(owned);
            }
            loop {
                match producer.send(record) {
                    Ok(()) => break,
                    Err((e, r)) if is_queue_full(&e) => {
                        // Back-pressure: librdkafka's queue is full; let the I/O thread drain it.
                        record = r;
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                    Err((e, _)) => {
                        ack.remaining.fetch_sub(rows - i, Ordering::AcqRel);
                        return Err(Error::from(e).context("producing source record"));
                    }
                }
            }
        }
        ctx.metrics.record_out(rows as u64);
        TaskMetrics::add(&ctx.metrics.bytes, bytes);
    }
    pending.push_back(Pending { ack, offsets, rows });
    ctx.metrics.set_active(active_records(pending));
    Ok(())
}

/// Encoded key and value columns, and the typed headers encoded per header key.
type Encoded = (BinaryArray, BinaryArray, Vec<(String, BinaryArray)>);

/// Run the key and value columns through their converters (a batch without a key column gets
/// null keys), and typed headers (a `headers`
/// column that is a struct with one typed child per header key, see
/// [`columns::HEADERS`](crate::batch::columns::HEADERS)) through the header converter, one
/// column per header key.
fn encode(batch: &Batch, converters: &Converters) -> Result<Encoded> {
    let rows = batch.num_rows();
    let topics = batch
        .column(columns::TOPIC)
        .ok_or_else(|| Error::bug("source batch has no topic column"))?;
    let keys = match (batch.field(columns::KEY), batch.column(columns::KEY)) {
        (Some(f), Some(c)) => converters.key.from_connect_for(topics, &f, c)?,
        _ => BinaryArray::from(vec![None::<&[u8]>; rows]),
    };
    let values = match (batch.field(columns::VALUE), batch.column(columns::VALUE)) {
        (Some(f), Some(c)) => converters.value.from_connect_for(topics, &f, c)?,
        _ => BinaryArray::from(vec![None::<&[u8]>; rows]),
    };
    let headers = encode_typed_headers(batch, converters)?;
    if keys.len() != rows || values.len() != rows || headers.iter().any(|(_, h)| h.len() != rows) {
        return Err(Error::bug(
            "converter returned a column of the wrong length",
        ));
    }
    Ok((keys, values, headers))
}

/// What the key and value converters must fetch or register before [`encode`] (a registry's
/// schema per topic): asked once per batch and distinct topic, never per record.
async fn prepare_encode(batch: &Batch, converters: &Converters) -> Result<()> {
    let topics = batch
        .column(columns::TOPIC)
        .and_then(TopicColumn::new)
        .ok_or_else(|| Error::bug("source batch has no topic column"))?;
    let mut distinct: Vec<String> = Vec::new();
    for row in 0..batch.num_rows() {
        let topic = topics.get(row).unwrap_or_default();
        // Rows come in runs of one topic: compare with the last one first.
        if distinct.last().is_some_and(|t| t == topic) {
            continue;
        }
        if !distinct.iter().any(|t| t == topic) {
            distinct.push(topic.to_string());
        }
    }
    if let Some(field) = batch.field(columns::KEY) {
        converters
            .key
            .prepare_from_connect(&distinct, &field)
            .await?;
    }
    if let Some(field) = batch.field(columns::VALUE) {
        converters
            .value
            .prepare_from_connect(&distinct, &field)
            .await?;
    }
    Ok(())
}

/// Typed headers (a `headers` struct with one child per header key) serialized with the header
/// converter, one column per header key; nothing when the headers are not typed.
fn encode_typed_headers(
    batch: &Batch,
    converters: &Converters,
) -> Result<Vec<(String, BinaryArray)>> {
    let mut headers = Vec::new();
    if let (Some(field), Some(column)) = (
        batch.field(columns::HEADERS),
        batch.column(columns::HEADERS),
    ) {
        if let (DataType::Struct(fields), Some(typed)) = (
            field.data_type(),
            column.as_any().downcast_ref::<StructArray>(),
        ) {
            for (field, column) in fields.iter().zip(typed.columns()) {
                let encoded = converters.header.from_connect(field, column)?;
                headers.push((field.name().clone(), encoded));
            }
        }
    }
    Ok(headers)
}

/// What the longest prefix of fully acknowledged batches allows to commit.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Acked {
    /// The latest source offset per source partition, in first-seen order.
    pub(super) offsets: Vec<(SourceMap, SourceMap)>,
    /// Send failures of those batches' records (first one per batch).
    pub(super) failures: Vec<String>,
}

/// Pop the longest prefix of fully acknowledged batches (a batch still waiting for acks stops
/// it, even if later batches are complete: offsets commit in poll order). `None` when the first
/// batch is not complete.
pub(super) fn take_acked(pending: &mut VecDeque<Pending>) -> Option<Acked> {
    let mut acked: Option<Acked> = None;
    while pending.front().is_some_and(|p| p.ack.done()) {
        let p = pending.pop_front().expect("front exists");
        let a = acked.get_or_insert_with(Acked::default);
        if let Some(msg) = p.ack.failure.lock().expect("ack lock").take() {
            a.failures.push(msg);
        }
        merge_latest(&mut a.offsets, p.offsets);
    }
    acked
}

/// Add a batch's source offsets to `into`: a partition already there takes the newer offset,
/// a new one is appended (first-seen order).
pub(super) fn merge_latest(
    into: &mut Vec<(SourceMap, SourceMap)>,
    offsets: Vec<(SourceMap, SourceMap)>,
) {
    for (partition, offset) in offsets {
        match into.iter_mut().find(|(p, _)| *p == partition) {
            Some(entry) => entry.1 = offset,
            None => into.push((partition, offset)),
        }
    }
}

/// Commit the offsets of the longest prefix of fully acknowledged batches.
async fn commit_acked(
    ctx: &DriverContext,
    pending: &mut VecDeque<Pending>,
    task: &mut dyn SourceTask,
) -> Result<()> {
    let Some(acked) = take_acked(pending) else {
        return Ok(());
    };
    if let Some(msg) = acked.failures.first() {
        if ctx.spec.framework.tolerance == Tolerance::None {
            return Err(Error::external(
                format!("Unrecoverable exception from producer send callback: {msg}"),
                false,
            ));
        }
        tracing::warn!(task = %ctx.name(), error = %msg, failed_batches = acked.failures.len(), "skipping records whose send failed (errors.tolerance=all)");
    }
    if !acked.offsets.is_empty() {
        let store = ctx.spec.worker.offsets.clone();
        store.put(
            &ctx.spec.connector,
            acked
                .offsets
                .into_iter()
                .map(|(p, o)| (p, Some(o)))
                .collect(),
        );
        let started = Instant::now();
        let flushed = tokio::task::spawn_blocking(move || store.flush())
            .await
            .map_err(|e| Error::bug(format!("offset flush panicked: {e}")))
            .and_then(|r| r);
        ctx.metrics
            .record_commit(flushed.is_ok(), started.elapsed());
        flushed?;
    }
    ctx.metrics.set_active(active_records(pending));
    task.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(key: &str, n: i64) -> SourceMap {
        serde_json::json!({ key: n }).as_object().cloned().unwrap()
    }

    /// A pending batch with `remaining` unacknowledged records and offsets for `(file, pos)`.
    fn pending(remaining: usize, offsets: &[(i64, i64)], failure: Option<&str>) -> Pending {
        let ack = Arc::new(BatchAck::default());
        ack.remaining.store(remaining, Ordering::Release);
        *ack.failure.lock().unwrap() = failure.map(str::to_string);
        Pending {
            ack,
            offsets: offsets
                .iter()
                .map(|(file, pos)| (map("file", *file), map("position", *pos)))
                .collect(),
            rows: offsets.len(),
        }
    }

    #[test]
    fn only_the_acknowledged_prefix_commits_with_the_latest_offset_per_partition() {
        let mut q: VecDeque<Pending> = VecDeque::from([
            pending(0, &[(1, 10), (2, 5)], None),
            pending(0, &[(1, 20)], None),
            pending(3, &[(1, 30)], None),
            pending(0, &[(2, 40)], None),
        ]);
        let acked = take_acked(&mut q).unwrap();
        assert_eq!(
            acked.offsets,
            vec![
                (map("file", 1), map("position", 20)),
                (map("file", 2), map("position", 5)),
            ],
            "the third batch is not acknowledged, so the fourth's offset waits too"
        );
        assert_eq!(q.len(), 2);
        assert!(take_acked(&mut q).is_none(), "nothing new is complete");
        q[0].ack.remaining.store(0, Ordering::Release);
        let acked = take_acked(&mut q).unwrap();
        assert_eq!(
            acked.offsets,
            vec![
                (map("file", 1), map("position", 30)),
                (map("file", 2), map("position", 40)),
            ]
        );
        assert!(q.is_empty());
    }

    #[test]
    fn send_failures_are_reported_with_the_batches_they_belong_to() {
        let mut q: VecDeque<Pending> = VecDeque::from([
            pending(0, &[(1, 1)], Some("broker said no")),
            pending(0, &[], None),
        ]);
        let acked = take_acked(&mut q).unwrap();
        assert_eq!(acked.failures, vec!["broker said no".to_string()]);
        assert_eq!(acked.offsets.len(), 1);
        // A batch without offsets (a source that tracks none) still counts as acknowledged.
        assert!(q.is_empty());
    }
}
