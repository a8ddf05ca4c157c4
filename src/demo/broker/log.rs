//! One partition's log: record batches kept as the raw bytes the producer sent.
//!
//! The broker never decodes records. A produced batch (magic v2) is checked (size, magic, CRC,
//! idempotent sequence), its header is patched with the assigned base offset and leader epoch,
//! and the bytes are stored as they are; a fetch hands the same bytes back. Patching the base
//! offset and leader epoch does not invalidate the batch CRC: the CRC covers the batch from its
//! `attributes` field onwards, and both patched fields come before it.
//!
//! Limits: memory only; retention is by size only (oldest batches are dropped once the
//! partition holds more than its byte budget); a timestamp lookup answers with the first batch
//! whose max timestamp is at or after the target, not the exact record.

use std::collections::{HashMap, VecDeque};

use bytes::{Buf, Bytes, BytesMut};
use kafka_protocol::ResponseError;

/// The leader epoch of every partition: there is one broker and it never changes leadership.
pub(crate) const LEADER_EPOCH: i32 = 0;

/// Fixed part of a v2 record batch header, in bytes (up to and including the record count).
const BATCH_HEADER_LEN: usize = 61;
/// Length of `baseOffset` + `batchLength`: the bytes that precede what `batchLength` counts.
const LOG_OVERHEAD: usize = 12;
/// How many recent batches per producer are remembered to recognise a retried (duplicate) batch.
/// Kafka keeps five, matching `max.in.flight.requests.per.connection` ≤ 5 for idempotence.
const PRODUCER_DEDUP_WINDOW: usize = 5;

// Byte offsets of the header fields we read or patch (Kafka's `DefaultRecordBatch`).
const OFF_BASE_OFFSET: usize = 0;
const OFF_LENGTH: usize = 8;
const OFF_LEADER_EPOCH: usize = 12;
const OFF_MAGIC: usize = 16;
const OFF_CRC: usize = 17;
const OFF_ATTRIBUTES: usize = 21;
const OFF_LAST_OFFSET_DELTA: usize = 23;
const OFF_MAX_TIMESTAMP: usize = 35;
const OFF_PRODUCER_ID: usize = 43;
const OFF_PRODUCER_EPOCH: usize = 51;
const OFF_BASE_SEQUENCE: usize = 53;

/// `attributes` bit 4: the batch belongs to a transaction.
const ATTR_TRANSACTIONAL: i16 = 0x10;

/// A stored batch, its offsets already assigned.
#[derive(Debug, Clone)]
struct StoredBatch {
    base_offset: i64,
    last_offset: i64,
    max_timestamp: i64,
    data: Bytes,
}

/// What an idempotent producer last wrote to this partition.
#[derive(Debug, Default)]
struct ProducerState {
    epoch: i16,
    last_sequence: i32,
    /// `(first sequence, last sequence, base offset)` of the most recent batches.
    recent: VecDeque<(i32, i32, i64)>,
}

/// The header fields of one incoming batch that the log needs.
#[derive(Debug, Clone, Copy)]
struct BatchHeader {
    len: usize,
    record_count: i64,
    max_timestamp: i64,
    producer_id: i64,
    producer_epoch: i16,
    base_sequence: i32,
}

impl BatchHeader {
    fn last_sequence(&self) -> i32 {
        // Sequences wrap around at i32::MAX, as in Kafka.
        self.base_sequence
            .wrapping_add((self.record_count - 1) as i32)
    }
}

/// Result of a successful append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Appended {
    /// Offset of the first record written (or, for a retried duplicate, first written earlier).
    pub base_offset: i64,
}

/// Result of a read.
#[derive(Debug, Clone)]
pub(crate) struct ReadResult {
    pub high_watermark: i64,
    pub log_start_offset: i64,
    /// Whole batches, concatenated; empty when nothing is past the fetch offset yet.
    pub records: Bytes,
}

/// A partition's log.
#[derive(Debug)]
pub(crate) struct PartitionLog {
    batches: VecDeque<StoredBatch>,
    log_start_offset: i64,
    next_offset: i64,
    size_bytes: usize,
    retention_bytes: usize,
    producers: HashMap<i64, ProducerState>,
}

impl PartitionLog {
    pub(crate) fn new(retention_bytes: usize) -> Self {
        Self {
            batches: VecDeque::new(),
            log_start_offset: 0,
            next_offset: 0,
            size_bytes: 0,
            retention_bytes,
            producers: HashMap::new(),
        }
    }

    /// Log end offset; with a single in-sync replica it is also the high watermark and the last
    /// stable offset (there are no transactions).
    pub(crate) fn high_watermark(&self) -> i64 {
        self.next_offset
    }

    pub(crate) fn log_start_offset(&self) -> i64 {
        self.log_start_offset
    }

    /// Appends the batches of one produce request for this partition.
    ///
    /// Everything is checked before anything is written, so a request is all-or-nothing.
    pub(crate) fn append(&mut self, records: &Bytes) -> Result<Appended, ResponseError> {
        let headers = parse_batches(records)?;
        if headers.is_empty() {
            return Err(ResponseError::CorruptMessage);
        }

        // Idempotence: a retry of a batch we already hold is acknowledged with its original
        // offset and not written again (librdkafka sends one batch per partition per request).
        if let [only] = headers.as_slice() {
            if let Some(base_offset) = self.duplicate_of(only) {
                return Ok(Appended { base_offset });
            }
        }
        let mut expected: HashMap<i64, (i16, Option<i32>)> = HashMap::new();
        for h in headers.iter().filter(|h| h.producer_id >= 0) {
            let (epoch, last) = *expected.entry(h.producer_id).or_insert_with(|| {
                match self.producers.get(&h.producer_id) {
                    Some(p) => (p.epoch, Some(p.last_sequence)),
                    None => (h.producer_epoch, None),
                }
            });
            let next = if h.producer_epoch < epoch {
                return Err(ResponseError::InvalidProducerEpoch);
            } else if h.producer_epoch > epoch {
                0 // a bumped epoch restarts the sequence
            } else {
                last.map_or(0, |s| s.wrapping_add(1))
            };
            if h.base_sequence != next {
                return Err(ResponseError::OutOfOrderSequenceNumber);
            }
            expected.insert(h.producer_id, (h.producer_epoch, Some(h.last_sequence())));
        }

        let base_offset = self.next_offset;
        let mut pos = 0;
        for h in &headers {
            let offset = self.next_offset;
            let last_offset = offset + h.record_count - 1;
            let data = restamp(&records[pos..pos + h.len], offset);
            pos += h.len;
            if h.producer_id >= 0 {
                let p = self.producers.entry(h.producer_id).or_default();
                if p.epoch != h.producer_epoch {
                    p.recent.clear();
                }
                p.epoch = h.producer_epoch;
                p.last_sequence = h.last_sequence();
                if p.recent.len() == PRODUCER_DEDUP_WINDOW {
                    p.recent.pop_front();
                }
                p.recent
                    .push_back((h.base_sequence, h.last_sequence(), offset));
            }
            self.size_bytes += data.len();
            self.batches.push_back(StoredBatch {
                base_offset: offset,
                last_offset,
                max_timestamp: h.max_timestamp,
                data,
            });
            self.next_offset = last_offset + 1;
        }
        self.enforce_retention();
        Ok(Appended { base_offset })
    }

    /// The base offset of an identical batch already written by the same producer, if any.
    fn duplicate_of(&self, h: &BatchHeader) -> Option<i64> {
        if h.producer_id < 0 {
            return None;
        }
        let p = self.producers.get(&h.producer_id)?;
        if p.epoch != h.producer_epoch {
            return None;
        }
        p.recent
            .iter()
            .find(|(first, last, _)| *first == h.base_sequence && *last == h.last_sequence())
            .map(|(_, _, base)| *base)
    }

    /// Drops the oldest batches while the partition is over its byte budget (keeps at least one).
    fn enforce_retention(&mut self) {
        while self.size_bytes > self.retention_bytes && self.batches.len() > 1 {
            if let Some(old) = self.batches.pop_front() {
                self.size_bytes -= old.data.len();
                self.log_start_offset = old.last_offset + 1;
            }
        }
    }

    /// Whole batches holding `fetch_offset` and after, at most `max_bytes` of them. With
    /// `oversized_first`, the first batch is returned however large it is, so a consumer always
    /// makes progress (KIP-74); without it, a first batch over the limit yields nothing.
    pub(crate) fn read(
        &self,
        fetch_offset: i64,
        max_bytes: usize,
        oversized_first: bool,
    ) -> Result<ReadResult, ResponseError> {
        if fetch_offset < self.log_start_offset || fetch_offset > self.next_offset {
            return Err(ResponseError::OffsetOutOfRange);
        }
        let first = self
            .batches
            .partition_point(|b| b.last_offset < fetch_offset);
        let mut taken = 0;
        let mut bytes = 0;
        for b in self.batches.range(first..) {
            if (taken > 0 || !oversized_first) && bytes + b.data.len() > max_bytes {
                break;
            }
            bytes += b.data.len();
            taken += 1;
        }
        let records = match taken {
            0 => Bytes::new(),
            // The common case with large producer batches: hand out the stored bytes, no copy.
            1 => self.batches[first].data.clone(),
            _ => {
                let mut buf = BytesMut::with_capacity(bytes);
                for b in self.batches.range(first..first + taken) {
                    buf.extend_from_slice(&b.data);
                }
                buf.freeze()
            }
        };
        Ok(ReadResult {
            high_watermark: self.next_offset,
            log_start_offset: self.log_start_offset,
            records,
        })
    }

    /// ListOffsets: `-2` earliest, `-1` latest, `-3` the batch with the largest timestamp,
    /// otherwise the first batch whose max timestamp is at or after `timestamp`.
    /// Returns `(timestamp, offset)`, offset `-1` when no batch qualifies.
    pub(crate) fn offset_for_timestamp(&self, timestamp: i64) -> (i64, i64) {
        match timestamp {
            -2 => (-1, self.log_start_offset),
            -1 => (-1, self.next_offset),
            -3 => self
                .batches
                .iter()
                .max_by_key(|b| b.max_timestamp)
                .map_or((-1, -1), |b| (b.max_timestamp, b.last_offset)),
            ts => self
                .batches
                .iter()
                .find(|b| b.max_timestamp >= ts)
                .map_or((-1, -1), |b| (b.max_timestamp, b.base_offset)),
        }
    }
}

/// Splits a produce payload into batch headers, validating each batch.
fn parse_batches(records: &Bytes) -> Result<Vec<BatchHeader>, ResponseError> {
    let mut out = Vec::with_capacity(1);
    let mut rest: &[u8] = records;
    while !rest.is_empty() {
        if rest.len() < BATCH_HEADER_LEN {
            return Err(ResponseError::CorruptMessage);
        }
        let length = (&rest[OFF_LENGTH..]).get_i32();
        let len = LOG_OVERHEAD as i64 + i64::from(length);
        if len < BATCH_HEADER_LEN as i64 || len > rest.len() as i64 {
            return Err(ResponseError::CorruptMessage);
        }
        let len = len as usize;
        let batch = &rest[..len];
        if batch[OFF_MAGIC] != 2 {
            // Message formats v0/v1 predate idempotence and headers; librdkafka ≥ 1.0 sends v2.
            return Err(ResponseError::UnsupportedForMessageFormat);
        }
        if (&batch[OFF_CRC..]).get_u32() != crc32c::crc32c(&batch[OFF_ATTRIBUTES..]) {
            return Err(ResponseError::CorruptMessage);
        }
        if (&batch[OFF_ATTRIBUTES..]).get_i16() & ATTR_TRANSACTIONAL != 0 {
            // No transaction coordinator here; see the module docs of `broker`.
            return Err(ResponseError::InvalidTxnState);
        }
        let last_offset_delta = (&batch[OFF_LAST_OFFSET_DELTA..]).get_i32();
        if last_offset_delta < 0 {
            return Err(ResponseError::CorruptMessage);
        }
        out.push(BatchHeader {
            len,
            record_count: i64::from(last_offset_delta) + 1,
            max_timestamp: (&batch[OFF_MAX_TIMESTAMP..]).get_i64(),
            producer_id: (&batch[OFF_PRODUCER_ID..]).get_i64(),
            producer_epoch: (&batch[OFF_PRODUCER_EPOCH..]).get_i16(),
            base_sequence: (&batch[OFF_BASE_SEQUENCE..]).get_i32(),
        });
        rest = &rest[len..];
    }
    Ok(out)
}

/// Copies a batch and writes its assigned base offset and our leader epoch into the header.
fn restamp(batch: &[u8], base_offset: i64) -> Bytes {
    let mut buf = BytesMut::from(batch);
    buf[OFF_BASE_OFFSET..OFF_BASE_OFFSET + 8].copy_from_slice(&base_offset.to_be_bytes());
    buf[OFF_LEADER_EPOCH..OFF_LEADER_EPOCH + 4].copy_from_slice(&LEADER_EPOCH.to_be_bytes());
    buf.freeze()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use bytes::BufMut;

    /// Builds a minimal, valid v2 batch of `count` empty records (the log never looks inside).
    pub(crate) fn batch(count: i32, producer_id: i64, epoch: i16, base_sequence: i32) -> Bytes {
        let mut records = BytesMut::new();
        for i in 0..count {
            // length, attributes, timestampDelta, offsetDelta(i), keyLen -1, valueLen 0, headers 0
            let body = [0u8, 0, zigzag(i), 1, 0, 0];
            records.put_u8(zigzag(body.len() as i32));
            records.put_slice(&body);
        }
        let mut after_crc = BytesMut::new();
        after_crc.put_i16(0); // attributes
        after_crc.put_i32(count - 1); // lastOffsetDelta
        after_crc.put_i64(1_000); // baseTimestamp
        after_crc.put_i64(1_000 + i64::from(count)); // maxTimestamp
        after_crc.put_i64(producer_id);
        after_crc.put_i16(epoch);
        after_crc.put_i32(base_sequence);
        after_crc.put_i32(count);
        after_crc.put_slice(&records);
        let mut b = BytesMut::new();
        b.put_i64(0);
        b.put_i32((4 + 1 + 4 + after_crc.len()) as i32);
        b.put_i32(-1);
        b.put_u8(2);
        b.put_u32(crc32c::crc32c(&after_crc));
        b.put_slice(&after_crc);
        b.freeze()
    }

    fn zigzag(v: i32) -> u8 {
        ((v << 1) ^ (v >> 31)) as u8
    }

    fn base_offset_of(records: &Bytes) -> i64 {
        (&records[..8]).get_i64()
    }

    #[test]
    fn assigns_offsets_and_patches_header_without_breaking_crc() {
        let mut log = PartitionLog::new(usize::MAX);
        assert_eq!(log.append(&batch(3, -1, 0, -1)).unwrap().base_offset, 0);
        assert_eq!(log.append(&batch(2, -1, 0, -1)).unwrap().base_offset, 3);
        assert_eq!(log.high_watermark(), 5);
        let read = log.read(4, 1 << 20, true).unwrap();
        assert_eq!(base_offset_of(&read.records), 3);
        // The stored batch still parses (CRC intact) after patching.
        assert_eq!(parse_batches(&read.records).unwrap().len(), 1);
        let all = log.read(0, 1 << 20, true).unwrap();
        assert_eq!(parse_batches(&all.records).unwrap().len(), 2);
        assert!(log.read(5, 1 << 20, true).unwrap().records.is_empty());
        assert_eq!(
            log.read(6, 1 << 20, true).unwrap_err(),
            ResponseError::OffsetOutOfRange
        );
    }

    #[test]
    fn read_respects_max_bytes_but_returns_at_least_one_batch() {
        let mut log = PartitionLog::new(usize::MAX);
        let b = batch(10, -1, 0, -1);
        for _ in 0..3 {
            log.append(&b).unwrap();
        }
        assert_eq!(log.read(0, 1, true).unwrap().records.len(), b.len());
        assert_eq!(
            log.read(0, 2 * b.len(), true).unwrap().records.len(),
            2 * b.len()
        );
        assert!(log.read(0, 1, false).unwrap().records.is_empty());
    }

    #[test]
    fn idempotent_producer_dedups_and_rejects_gaps() {
        let mut log = PartitionLog::new(usize::MAX);
        assert_eq!(log.append(&batch(5, 7, 0, 0)).unwrap().base_offset, 0);
        assert_eq!(log.append(&batch(5, 7, 0, 5)).unwrap().base_offset, 5);
        // A retry of the first batch: acknowledged with its original offset, not written again.
        assert_eq!(log.append(&batch(5, 7, 0, 0)).unwrap().base_offset, 0);
        assert_eq!(log.high_watermark(), 10);
        assert_eq!(
            log.append(&batch(1, 7, 0, 42)).unwrap_err(),
            ResponseError::OutOfOrderSequenceNumber
        );
        // A new epoch starts again at sequence 0; the old epoch is fenced.
        assert_eq!(log.append(&batch(1, 7, 1, 0)).unwrap().base_offset, 10);
        assert_eq!(
            log.append(&batch(1, 7, 0, 10)).unwrap_err(),
            ResponseError::InvalidProducerEpoch
        );
    }

    #[test]
    fn rejects_corrupt_batches() {
        let mut log = PartitionLog::new(usize::MAX);
        let mut bad = BytesMut::from(&batch(1, -1, 0, -1)[..]);
        let last = bad.len() - 1;
        bad[last] ^= 0xff;
        assert_eq!(
            log.append(&bad.freeze()).unwrap_err(),
            ResponseError::CorruptMessage
        );
        assert_eq!(
            log.append(&Bytes::from_static(b"short")).unwrap_err(),
            ResponseError::CorruptMessage
        );
    }

    #[test]
    fn retention_drops_oldest_batches() {
        let b = batch(4, -1, 0, -1);
        let mut log = PartitionLog::new(2 * b.len());
        for _ in 0..5 {
            log.append(&b).unwrap();
        }
        assert_eq!(log.log_start_offset(), 12);
        assert_eq!(log.offset_for_timestamp(-2), (-1, 12));
        assert_eq!(
            log.read(0, 100, true).unwrap_err(),
            ResponseError::OffsetOutOfRange
        );
    }
}
