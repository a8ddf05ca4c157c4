//! Asynchronous offset commits whose results come back.
//!
//! rust-rdkafka's `Consumer::commit(…, CommitMode::Async)` calls `rd_kafka_commit` without a
//! reply queue, and librdkafka then reports the result of a manual commit nowhere (its
//! `RD_KAFKA_EVENT_OFFSET_COMMIT` events are only for auto-commits, and rust-rdkafka registers no
//! `offset_commit_cb`), so `ConsumerContext::commit_callback` never hears of it. A sink driver
//! must know: only offsets the broker confirmed count as committed, and
//! `offset-commit-completion-total`, `offset-commit-*-time-ms` and the success percentage are
//! made of those results. Java's `commitAsync` gives its callback the same.
//!
//! This module calls `rd_kafka_commit_queue` with a queue of its own and reads the results from
//! it without blocking, in the consumer's poll thread. A synchronous commit would do without any
//! of this but could block the poll thread for as long as the group coordinator is away.
//!
//! The only `unsafe` of the engine: four librdkafka calls whose contracts are stated at each.
#![allow(unsafe_code)]

use std::ffi::CStr;

use rdkafka::bindings as rd;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::TopicPartitionList;

use crate::batch::{OffsetMap, TopicPartition};

/// A librdkafka queue that receives the results of the commits sent through it.
pub(super) struct CommitQueue {
    queue: *mut rd::rd_kafka_queue_t,
}

// SAFETY: librdkafka queues are internally locked and may be used from any thread.
unsafe impl Send for CommitQueue {}
// SAFETY: as above; `&self` methods only pass the pointer to thread-safe librdkafka calls.
unsafe impl Sync for CommitQueue {}

/// The outcome of one commit: the offsets, and the error if the commit failed.
#[derive(Debug)]
pub(super) struct CommitResult {
    pub error: Option<KafkaError>,
    pub offsets: OffsetMap,
}

impl CommitQueue {
    /// A queue on `consumer`'s client. It must be dropped before the consumer.
    pub fn new<C: ConsumerContext>(consumer: &BaseConsumer<C>) -> Self {
        // SAFETY: the client pointer is valid for the consumer's lifetime; the queue is
        // destroyed in `Drop`, which callers run before the consumer is dropped.
        let queue = unsafe { rd::rd_kafka_queue_new(consumer.client().native_ptr()) };
        CommitQueue { queue }
    }

    /// Send an asynchronous commit of `offsets`; its result arrives in [`CommitQueue::results`].
    pub fn commit<C: ConsumerContext>(
        &self,
        consumer: &BaseConsumer<C>,
        offsets: &TopicPartitionList,
    ) -> Result<(), KafkaError> {
        // SAFETY: all three pointers are valid for the call; librdkafka copies the list and,
        // with no callback, posts the result to the queue as an OFFSET_COMMIT event.
        let err = unsafe {
            rd::rd_kafka_commit_queue(
                consumer.client().native_ptr(),
                offsets.ptr(),
                self.queue,
                None,
                std::ptr::null_mut(),
            )
        };
        if err == rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            Ok(())
        } else {
            Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::from(err)))
        }
    }

    /// The results that arrived since the last call; never waits.
    pub fn results(&self) -> Vec<CommitResult> {
        let mut out = Vec::new();
        loop {
            // SAFETY: the queue is valid; a null return means nothing is queued.
            let event = unsafe { rd::rd_kafka_queue_poll(self.queue, 0) };
            if event.is_null() {
                return out;
            }
            // SAFETY: `event` is a valid event until destroyed below; the partition list it
            // returns is owned by the event and only read before that.
            unsafe {
                if rd::rd_kafka_event_type(event) == rd::RD_KAFKA_EVENT_OFFSET_COMMIT {
                    let err = rd::rd_kafka_event_error(event);
                    let error = (err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR)
                        .then(|| KafkaError::ConsumerCommit(RDKafkaErrorCode::from(err)));
                    let mut offsets = OffsetMap::new();
                    let list = rd::rd_kafka_event_topic_partition_list(event);
                    let mut partition_error = None;
                    if !list.is_null() {
                        let count = (*list).cnt.max(0) as usize;
                        for i in 0..count {
                            let e = &*(*list).elems.add(i);
                            if e.err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
                                partition_error.get_or_insert(e.err);
                                continue;
                            }
                            if e.topic.is_null() || e.offset < 0 {
                                continue;
                            }
                            let topic = CStr::from_ptr(e.topic).to_string_lossy().into_owned();
                            offsets.insert(TopicPartition::new(topic, e.partition), e.offset);
                        }
                    }
                    let error = error.or_else(|| {
                        partition_error
                            .map(|e| KafkaError::ConsumerCommit(RDKafkaErrorCode::from(e)))
                    });
                    out.push(CommitResult { error, offsets });
                }
                rd::rd_kafka_event_destroy(event);
            }
        }
    }
}

impl Drop for CommitQueue {
    fn drop(&mut self) {
        // SAFETY: created by `rd_kafka_queue_new`, destroyed once, before the consumer.
        unsafe { rd::rd_kafka_queue_destroy(self.queue) };
    }
}
