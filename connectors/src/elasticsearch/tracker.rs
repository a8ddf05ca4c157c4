//! Which offsets may be committed: the contiguous prefix of each partition's records whose bulk
//! requests completed (Confluent's `AsyncOffsetTracker`), kept per batch rather than per
//! record.
//!
//! Every `put` registers its batch once: how many records the sink sends for it, and from the
//! batch's provenance the offset after its last record in each partition (so records a
//! transform filtered out or the sink skipped still move the offset, and a topic router that
//! renamed the rows' topics does not confuse the bookkeeping). Bulk requests complete out of
//! order and one batch may be spread over several of them; a batch is done when all its records
//! are, and a partition may commit up to the end of its oldest run of done batches. Closed
//! (revoked) partitions are forgotten; completions that arrive for them later change nothing.

use std::collections::{BTreeMap, HashMap, VecDeque};

use strait_engine::batch::{OffsetMap, TopicPartition};

/// A registered batch, to count its records' completions against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ticket(u64);

#[derive(Debug, Default)]
struct PartitionState {
    /// (batch, offset after the batch's last record of this partition), oldest first.
    pending: VecDeque<(Ticket, i64)>,
    /// The next offset to commit: after the last record of the done prefix.
    committable: Option<i64>,
}

/// Offsets per partition, as in the module docs.
#[derive(Debug, Default)]
pub struct OffsetTracker {
    partitions: HashMap<TopicPartition, PartitionState>,
    /// Records not yet acknowledged, per batch still pending somewhere.
    batches: BTreeMap<Ticket, usize>,
    next: u64,
    /// Records registered and not yet acknowledged, over all batches.
    outstanding: usize,
}

impl OffsetTracker {
    pub fn new() -> Self {
        Self::default()
    }

    /// Register a batch covering `offsets` (next offset per partition, from its provenance)
    /// whose `records` records are being sent; with zero records it is done at once.
    pub fn add_batch(&mut self, offsets: &OffsetMap, records: usize) -> Ticket {
        let ticket = Ticket(self.next);
        self.next += 1;
        self.batches.insert(ticket, records);
        self.outstanding += records;
        for (tp, &next) in offsets {
            self.partitions
                .entry(tp.clone())
                .or_default()
                .pending
                .push_back((ticket, next));
        }
        self.advance();
        ticket
    }

    /// `records` records of the batch were acknowledged (written, or handled as failed in a way
    /// that lets the offset move: skipped, reported to the DLQ).
    pub fn complete(&mut self, ticket: Ticket, records: usize) {
        let Some(left) = self.batches.get_mut(&ticket) else {
            return;
        };
        let n = records.min(*left);
        *left -= n;
        self.outstanding -= n;
        if *left == 0 {
            self.advance();
        }
    }

    fn advance(&mut self) {
        let batches = &self.batches;
        for state in self.partitions.values_mut() {
            while let Some(&(ticket, next)) = state.pending.front() {
                if batches.get(&ticket).copied().unwrap_or(0) != 0 {
                    break;
                }
                state.committable = Some(next);
                state.pending.pop_front();
            }
        }
        // Batches no partition waits for any more are done with.
        let waited: std::collections::BTreeSet<Ticket> = self
            .partitions
            .values()
            .flat_map(|s| s.pending.iter().map(|(t, _)| *t))
            .collect();
        self.batches
            .retain(|t, left| *left != 0 || waited.contains(t));
    }

    /// Records registered and not yet acknowledged.
    pub fn outstanding(&self) -> usize {
        self.outstanding
    }

    /// Per partition among `consumed`, the offset it may commit (never more than `consumed`
    /// says).
    pub fn offsets(&self, consumed: &OffsetMap) -> OffsetMap {
        consumed
            .iter()
            .filter_map(|(tp, &up_to)| {
                let off = self.partitions.get(tp)?.committable?;
                Some((tp.clone(), off.min(up_to)))
            })
            .collect()
    }

    /// Forget the partitions (revoked or closed): what they wait for no longer matters to
    /// them. Records of their batches still count as outstanding until they complete (they
    /// are in flight and hold memory).
    pub fn close(&mut self, partitions: &[TopicPartition]) {
        for tp in partitions {
            self.partitions.remove(tp);
        }
    }
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
    fn only_the_contiguous_done_prefix_is_committable() {
        let mut t = OffsetTracker::new();
        let a = t.add_batch(&offsets(&[(0, 10)]), 10);
        let b = t.add_batch(&offsets(&[(0, 20)]), 10);
        let c = t.add_batch(&offsets(&[(0, 30)]), 10);
        assert_eq!(t.outstanding(), 30);
        // The middle one finishing first commits nothing.
        t.complete(b, 10);
        assert!(t.offsets(&offsets(&[(0, 30)])).is_empty());
        // Half of the first: still nothing.
        t.complete(a, 5);
        assert!(t.offsets(&offsets(&[(0, 30)])).is_empty());
        t.complete(a, 5);
        assert_eq!(t.offsets(&offsets(&[(0, 30)])), offsets(&[(0, 20)]));
        t.complete(c, 10);
        assert_eq!(t.offsets(&offsets(&[(0, 30)])), offsets(&[(0, 30)]));
        assert_eq!(t.outstanding(), 0);
    }

    #[test]
    fn a_batch_spans_partitions_and_empty_batches_are_done() {
        let mut t = OffsetTracker::new();
        let a = t.add_batch(&offsets(&[(1, 7), (2, 3)]), 4);
        t.add_batch(&offsets(&[(2, 9)]), 0);
        // Partition 2's empty batch waits behind the first one.
        assert!(t.offsets(&offsets(&[(1, 7), (2, 9)])).is_empty());
        t.complete(a, 4);
        assert_eq!(
            t.offsets(&offsets(&[(1, 7), (2, 9)])),
            offsets(&[(1, 7), (2, 9)])
        );
        // Never beyond what the runtime says was consumed.
        assert_eq!(t.offsets(&offsets(&[(1, 5)])), offsets(&[(1, 5)]));
    }

    #[test]
    fn closed_partitions_are_forgotten() {
        let mut t = OffsetTracker::new();
        let a = t.add_batch(&offsets(&[(0, 10)]), 10);
        t.close(&[tp(0)]);
        assert!(t.offsets(&offsets(&[(0, 10)])).is_empty());
        t.complete(a, 10);
        assert_eq!(t.outstanding(), 0);
        assert!(t.offsets(&offsets(&[(0, 10)])).is_empty());
        // Assigned again: counts afresh.
        let b = t.add_batch(&offsets(&[(0, 15)]), 5);
        t.complete(b, 5);
        assert_eq!(t.offsets(&offsets(&[(0, 15)])), offsets(&[(0, 15)]));
    }
}
