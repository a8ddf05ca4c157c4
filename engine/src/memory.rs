//! The worker-wide budget for data sinks hold in memory before it is durable (open files of
//! storage sinks: Parquet row groups in progress, encoded bytes waiting for an upload part).
//!
//! Java's S3 sink holds one `s3.part.size` buffer (25 MiB) per open file, so memory grows with
//! partitions × encoded partitions until the JVM runs out of heap. Here every writer reports what
//! it holds through a [`BudgetShare`]; when the worker-wide total passes the limit
//! (`sink.buffer.memory.bytes` in the worker config), sinks flush their largest buffers early.
//! The budget is a limit sinks act on, not an allocator: it bounds memory by making sinks flush,
//! so a sink that ignores it is not stopped.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Default limit: 512 MiB.
pub const DEFAULT_LIMIT_BYTES: usize = 512 * 1024 * 1024;

/// A limit and the bytes currently held against it.
#[derive(Debug)]
pub struct BufferBudget {
    limit: AtomicUsize,
    used: AtomicUsize,
}

static WORKER: BufferBudget = BufferBudget::new(DEFAULT_LIMIT_BYTES);

impl BufferBudget {
    pub const fn new(limit: usize) -> Self {
        BufferBudget {
            limit: AtomicUsize::new(limit),
            used: AtomicUsize::new(0),
        }
    }

    /// The budget of this worker process (set from the worker config at start).
    pub fn worker() -> &'static BufferBudget {
        &WORKER
    }

    pub fn set_limit(&self, bytes: usize) {
        self.limit.store(bytes, Ordering::Relaxed);
    }

    pub fn limit(&self) -> usize {
        self.limit.load(Ordering::Relaxed)
    }

    /// Bytes held by every share right now.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    /// How far the holders are over the limit (0 when within it).
    pub fn excess(&self) -> usize {
        self.used().saturating_sub(self.limit())
    }

    /// A new holder, holding nothing yet.
    pub fn share(&'static self) -> BudgetShare {
        BudgetShare {
            budget: self,
            held: 0,
        }
    }
}

/// What one holder (e.g. one open file) has reported; released when dropped.
#[derive(Debug)]
pub struct BudgetShare {
    budget: &'static BufferBudget,
    held: usize,
}

impl BudgetShare {
    /// Report that this holder now holds `bytes`.
    pub fn set(&mut self, bytes: usize) {
        if bytes >= self.held {
            self.budget
                .used
                .fetch_add(bytes - self.held, Ordering::Relaxed);
        } else {
            self.budget
                .used
                .fetch_sub(self.held - bytes, Ordering::Relaxed);
        }
        self.held = bytes;
    }

    pub fn held(&self) -> usize {
        self.held
    }
}

impl Drop for BudgetShare {
    fn drop(&mut self) {
        self.set(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up_and_release_on_drop() {
        static BUDGET: BufferBudget = BufferBudget::new(100);
        let mut a = BUDGET.share();
        let mut b = BUDGET.share();
        a.set(60);
        b.set(70);
        assert_eq!(BUDGET.used(), 130);
        assert_eq!(BUDGET.excess(), 30);
        a.set(10);
        assert_eq!(BUDGET.used(), 80);
        assert_eq!(BUDGET.excess(), 0);
        drop(b);
        assert_eq!(BUDGET.used(), 10);
        drop(a);
        assert_eq!(BUDGET.used(), 0);
    }
}
