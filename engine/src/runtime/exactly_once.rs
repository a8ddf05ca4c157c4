//! Exactly-once source tasks (KIP-618; Java's `ExactlyOnceWorkerSourceTask`).
//!
//! The task's producer is transactional (`transactional.id` = `<group.id>-<connector>-<task>`).
//! Initialising it bumps the id's epoch, which fences any older producer of the same task (a
//! zombie); the worker's leader fences whole older generations before new tasks start. Records
//! of the batches polled since the transaction began are produced inside it; at the boundary
//! (`transaction.boundary`: every poll, an interval, or the connector's request) the batches'
//! source offsets are written *into the same transaction* to the offsets topic and the
//! transaction commits. A `read_committed` consumer therefore sees a record exactly when its
//! offset is committed: after a crash the task resumes from the last committed offsets and
//! nothing that was committed is produced again, nothing that was not is visible.
//!
//! Any failure to produce or commit aborts the transaction and fails the task (as Java does):
//! the aborted records stay invisible and their offsets uncommitted, so a restarted task reads
//! them again. `errors.tolerance` still skips records that cannot be transformed or converted
//! (their offsets commit), but not records the broker refused: those abort the transaction.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::error::KafkaError;
use rdkafka::producer::{BaseRecord, Producer, ThreadedProducer};

use super::source::{AckContext, BatchAck, Pending};
use super::{DriverContext, ExactlyOnceTask, TransactionBoundary};
use crate::batch::{columns, Batch, SourceMap, TopicColumn};
use crate::error::{Error, Result};
use crate::kafka::is_queue_full;
use crate::offsets::OffsetRecordBytes;
use crate::plugin::{SourceTask, TransactionContext, TransactionRequest};

/// How long one transactional call (init, begin, commit, abort) may block: librdkafka's
/// default `transaction.timeout.ms`, as Java bounds them by the producer's `max.block.ms`.
const TXN_CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// Force what an exactly-once task's producer needs (Java's
/// `Worker.exactlyOnceSourceTaskProducerConfigs`): idempotence on and the task's transactional
/// id, whatever the worker or connector configured (with a warning when they differ).
pub(super) fn force_producer_settings(cfg: &mut ClientConfig, transactional_id: &str, task: &str) {
    for (key, value) in [
        ("enable.idempotence", "true"),
        ("transactional.id", transactional_id),
    ] {
        if let Some(user) = cfg.get(key) {
            if user != value {
                tracing::warn!(
                    task,
                    "The value '{user}' for the '{key}' property will be overridden with '{value}' since exactly-once support is enabled for this task"
                );
            }
        }
        cfg.set(key, value);
    }
}

/// The transaction state of one exactly-once task.
pub(super) struct Transactions {
    producer: Arc<ThreadedProducer<AckContext>>,
    boundary: TransactionBoundary,
    context: Option<TransactionContext>,
    offsets_topic: String,
    /// A transaction is open (begun, not yet committed or aborted).
    open: bool,
    /// When the interval boundary last committed (Java's `lastCommit`, set at start too).
    last_commit: Instant,
}

/// Run a blocking transactional call of the producer off the async threads.
async fn blocking<T: Send + 'static>(
    producer: &Arc<ThreadedProducer<AckContext>>,
    what: &'static str,
    call: impl FnOnce(&ThreadedProducer<AckContext>) -> std::result::Result<T, KafkaError>
        + Send
        + 'static,
) -> Result<T> {
    let producer = producer.clone();
    tokio::task::spawn_blocking(move || call(&producer))
        .await
        .map_err(|e| Error::bug(format!("{what} panicked: {e}")))?
        .map_err(|e| transaction_error(what, e))
}

/// A transactional failure, retriable when librdkafka says so. A fenced producer (a newer
/// generation or instance of this task took over) is fatal and says so.
fn transaction_error(what: &str, e: KafkaError) -> Error {
    let (retriable, fenced) = match &e {
        KafkaError::Transaction(t) => (
            t.is_retriable(),
            matches!(
                t.code(),
                rdkafka::types::RDKafkaErrorCode::Fenced
                    | rdkafka::types::RDKafkaErrorCode::ProducerFenced
                    | rdkafka::types::RDKafkaErrorCode::InvalidProducerEpoch
            ),
        ),
        _ => (false, false),
    };
    if fenced {
        return Error::external(
            format!("{what} failed: this task's producer was fenced out by a newer instance or generation of the task (zombie fencing): {e}"),
            false,
        );
    }
    Error::external(format!("{what} failed: {e}"), retriable)
}

impl Transactions {
    /// Initialise the transactional producer (fencing older producers with its id), then run
    /// the herder's check that this task may still start.
    pub(super) async fn start(
        ctx: &DriverContext,
        producer: Arc<ThreadedProducer<AckContext>>,
        eos: &ExactlyOnceTask,
    ) -> Result<Transactions> {
        let store = ctx.spec.worker.offsets.clone();
        let Some(offsets) = store.transactional() else {
            return Err(Error::config(
                "exactly-once source tasks need offsets in a Kafka topic (distributed mode)",
            ));
        };
        let offsets_topic = offsets.topic();
        blocking(
            &producer,
            "Initializing the task's transactional producer",
            |p| p.init_transactions(TXN_CALL_TIMEOUT),
        )
        .await?;
        if let Some(check) = &eos.before_start {
            check().await?;
        }
        let context =
            (eos.boundary == TransactionBoundary::Connector).then(TransactionContext::default);
        Ok(Transactions {
            producer,
            boundary: eos.boundary,
            context,
            offsets_topic,
            open: false,
            last_commit: Instant::now(),
        })
    }

    /// The context handed to the task (connector-defined boundaries only).
    pub(super) fn context(&self) -> Option<TransactionContext> {
        self.context.clone()
    }

    /// Begin a transaction unless one is open.
    pub(super) async fn begin(&mut self) -> Result<()> {
        if !self.open {
            blocking(&self.producer, "Beginning a transaction", |p| {
                p.begin_transaction()
            })
            .await?;
            self.open = true;
        }
        Ok(())
    }

    /// Refuse a (transformed) batch that writes to the offsets topic itself: Java fails such a
    /// task, as its records would deadlock its own offsets.
    pub(super) fn refuse_offsets_topic(&self, batch: &Batch) -> Result<()> {
        let Some(topics) = batch.column(columns::TOPIC).and_then(TopicColumn::new) else {
            return Ok(());
        };
        let hit = (0..batch.num_rows()).any(|i| topics.get(i) == Some(self.offsets_topic.as_str()));
        if hit {
            // Java's message; the offsets topic is named in the log.
            tracing::error!(offsets_topic = %self.offsets_topic, "a source task with exactly-once support produced to its own offsets topic");
            return Err(Error::config(
                "Source tasks may not produce to their own offsets topics when exactly-once support is enabled",
            ));
        }
        Ok(())
    }

    /// After each poll: commit (or abort) when the boundary says so.
    pub(super) async fn after_poll(
        &mut self,
        ctx: &DriverContext,
        got_batch: bool,
        pending: &mut VecDeque<Pending>,
        task: &mut dyn SourceTask,
    ) -> Result<()> {
        let action = match self.boundary {
            TransactionBoundary::Poll => got_batch.then_some(TransactionRequest::Commit),
            // Evaluated at every batch end (empty polls too), from the last commit.
            TransactionBoundary::Interval(every) => {
                if self.last_commit.elapsed() >= every {
                    self.last_commit = Instant::now();
                    Some(TransactionRequest::Commit)
                } else {
                    None
                }
            }
            // A request applies to the batch its poll returned; with no batch it waits.
            TransactionBoundary::Connector => match &self.context {
                Some(c) if got_batch => c.take(),
                _ => None,
            },
        };
        match action {
            Some(request) => self.end(ctx, request, pending, task).await,
            None => Ok(()),
        }
    }

    /// The task pauses or stops cleanly: `poll` and `interval` commit what is open (Java's
    /// `maybeCommitFinalTransaction`); with connector-defined boundaries only a pending request
    /// of the connector commits, anything else is aborted, so its records are read again by
    /// the next task (Java leaves it to the broker to abort; aborting at once keeps
    /// `read_committed` readers from waiting for the transaction timeout).
    pub(super) async fn end_before_pause_or_stop(
        &mut self,
        ctx: &DriverContext,
        pending: &mut VecDeque<Pending>,
        task: &mut dyn SourceTask,
    ) -> Result<()> {
        let request = match self.boundary {
            TransactionBoundary::Poll | TransactionBoundary::Interval(_) => {
                Some(TransactionRequest::Commit)
            }
            TransactionBoundary::Connector => self.context.as_ref().and_then(|c| c.take()),
        };
        match request {
            Some(request) => self.end(ctx, request, pending, task).await,
            None => {
                if self.open {
                    tracing::info!(task = %ctx.name(), "aborting the open transaction: the connector did not ask to commit it before the task stopped");
                    pending.clear();
                    self.abort().await;
                }
                Ok(())
            }
        }
    }

    /// The task stops: a clean stop ends the transaction as a pause does; a failed task's
    /// open transaction is aborted (Java skips the final commit of a failed task).
    pub(super) async fn finish(
        &mut self,
        ctx: &DriverContext,
        failed: bool,
        pending: &mut VecDeque<Pending>,
        task: &mut dyn SourceTask,
    ) -> Result<()> {
        if failed {
            pending.clear();
            if self.open {
                self.abort().await;
            }
            return Ok(());
        }
        self.end_before_pause_or_stop(ctx, pending, task).await
    }

    /// Abort the open transaction, logging (not raising) a failure: the task is failing
    /// already, and an unfinished transaction is aborted by the broker at its timeout or by
    /// the next producer with this id.
    async fn abort(&mut self) {
        self.open = false;
        if let Err(e) = blocking(&self.producer, "Aborting the transaction", |p| {
            p.abort_transaction(TXN_CALL_TIMEOUT)
        })
        .await
        {
            tracing::warn!(error = %e, "could not abort the transaction");
        }
    }

    /// End the transaction: write the offsets of every batch produced in it, then commit. An
    /// abort requested by the connector discards the records, then commits their offsets in a
    /// transaction of their own so they are not read again (Java's semantics).
    async fn end(
        &mut self,
        ctx: &DriverContext,
        request: TransactionRequest,
        pending: &mut VecDeque<Pending>,
        task: &mut dyn SourceTask,
    ) -> Result<()> {
        let rows: usize = pending.iter().map(|p| p.rows).sum();
        let offsets = latest_offsets(pending.drain(..));
        let store = ctx.spec.worker.offsets.clone();
        let transactional = store
            .transactional()
            .ok_or_else(|| Error::bug("exactly-once task without a transactional offset store"))?;
        let records = transactional.encode(&ctx.spec.connector, &offsets)?;
        if request == TransactionRequest::Abort {
            if self.open {
                tracing::info!(task = %ctx.name(), "Aborting transaction for batch as requested by connector");
                self.abort().await;
            } else {
                tracing::warn!(task = %ctx.name(), "Ignoring request by task to abort transaction as the current transaction is empty");
            }
        }
        if !self.open && records.is_empty() {
            // Nothing to write (Java's empty commit): the task still hears of the commit.
            return task.commit().await;
        }
        // Offsets of an aborted transaction commit in a transaction of their own.
        self.begin().await?;
        let started = Instant::now();
        let result = self.commit_with(&records).await.map_err(|e| {
            Error::external(
                format!(
                    "Failed to flush offsets and/or records for task {}: {}",
                    ctx.name(),
                    e.message()
                ),
                false,
            )
        });
        self.open = false;
        ctx.metrics.record_commit(result.is_ok(), started.elapsed());
        if let Err(e) = result {
            // The records and offsets of this transaction are aborted together: a restarted
            // task reads them again.
            self.open = true;
            self.abort().await;
            return Err(e);
        }
        transactional.committed(&records);
        ctx.metrics.record_transaction(rows as u64);
        task.commit().await
    }

    /// Produce the offset records into the open transaction and commit it, retrying a
    /// retriable commit failure within the call timeout.
    async fn commit_with(&self, records: &[OffsetRecordBytes]) -> Result<()> {
        let ack = Arc::new(BatchAck::default());
        ack.remaining.store(records.len(), Ordering::Release);
        for (key, value) in records {
            let mut record: BaseRecord<'_, [u8], [u8], Arc<BatchAck>> =
                BaseRecord::with_opaque_to(&self.offsets_topic, ack.clone()).key(key.as_slice());
            if let Some(v) = value {
                record = record.payload(v.as_slice());
            }
            loop {
                match self.producer.send(record) {
                    Ok(()) => break,
                    Err((e, r)) if is_queue_full(&e) => {
                        record = r;
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                    Err((e, _)) => {
                        return Err(Error::from(e).context("producing source offsets"));
                    }
                }
            }
        }
        let deadline = Instant::now() + TXN_CALL_TIMEOUT;
        // rdkafka's `commit_transaction` first flushes, polling in 100 ms steps, while the
        // ThreadedProducer's own thread serves the delivery reports: every commit waited one
        // whole step (10 poll-boundary commits a second at most). Wait for the deliveries here
        // in 1 ms steps instead; the commit's flush then finds nothing outstanding.
        while self.producer.in_flight_count() > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let committing = Instant::now();
        loop {
            match blocking(&self.producer, "Committing the transaction", |p| {
                p.commit_transaction(TXN_CALL_TIMEOUT)
            })
            .await
            {
                Ok(()) => break,
                Err(e) if e.is_retriable() && Instant::now() < deadline => {
                    tracing::warn!(error = %e, "retrying the transaction commit");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => return Err(e),
            }
        }
        tracing::debug!(took = ?committing.elapsed(), offsets = records.len(), "transaction committed");
        // A committed transaction delivered every record in it; a failure here is a bug.
        if let Some(msg) = ack.failure.lock().ok().and_then(|f| f.clone()) {
            return Err(Error::bug(format!(
                "offsets of a committed transaction report a failed delivery: {msg}"
            )));
        }
        Ok(())
    }
}

/// The latest offset per source partition over batches, in first-seen order; every batch of
/// the transaction counts, acknowledged or not (the commit delivers them all or none).
fn latest_offsets(batches: impl Iterator<Item = Pending>) -> Vec<(SourceMap, Option<SourceMap>)> {
    let mut out: Vec<(SourceMap, SourceMap)> = Vec::new();
    for p in batches {
        super::source::merge_latest(&mut out, p.offsets);
    }
    out.into_iter().map(|(p, o)| (p, Some(o))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(offsets: &[(i64, i64)]) -> Pending {
        let map = |k: &str, n: i64| serde_json::json!({ k: n }).as_object().cloned().unwrap();
        Pending {
            ack: Arc::new(BatchAck::default()),
            offsets: offsets
                .iter()
                .map(|(f, p)| (map("file", *f), map("position", *p)))
                .collect(),
            rows: offsets.len(),
        }
    }

    #[test]
    fn the_transaction_commits_the_latest_offset_of_every_partition() {
        let got = latest_offsets(
            vec![
                pending(&[(1, 10), (2, 5)]),
                pending(&[(1, 20)]),
                pending(&[]),
            ]
            .into_iter(),
        );
        let positions: Vec<(i64, i64)> = got
            .iter()
            .map(|(p, o)| {
                (
                    p["file"].as_i64().unwrap(),
                    o.as_ref().unwrap()["position"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(positions, vec![(1, 20), (2, 5)]);
    }

    #[test]
    fn user_transactional_settings_are_overridden() {
        let mut cfg = ClientConfig::new();
        cfg.set("transactional.id", "mine");
        cfg.set("enable.idempotence", "false");
        force_producer_settings(&mut cfg, "connect-cluster-c-0", "c-0");
        assert_eq!(cfg.get("transactional.id"), Some("connect-cluster-c-0"));
        assert_eq!(cfg.get("enable.idempotence"), Some("true"));
    }

    #[test]
    fn an_abort_request_wins_over_a_commit_request_for_the_same_batch() {
        let c = TransactionContext::default();
        c.abort_transaction();
        c.commit_transaction();
        assert_eq!(c.take(), Some(TransactionRequest::Abort));
        assert_eq!(c.take(), None, "a request applies to one batch");
        c.commit_transaction();
        assert_eq!(c.take(), Some(TransactionRequest::Commit));
    }
}
