//! What task metrics cost per batch: the calls a sink driver makes for every batch it handles
//! (`record_in`, `record_decode`, `record_batch`, `record_out`, `set_active`), with
//! `strait.metrics.enabled` on and off. Throughput is in records of a typical drained batch
//! (8,192 records: the average batch of the default end-to-end blackhole drain, read from its
//! `batch-size-avg`), so the figure compares directly with a pipeline's records per second: the
//! issue's limit is 2 % of the pipeline's CPU.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use strait_engine::metrics::stats::WindowConfig;
use strait_engine::metrics::TaskMetrics;

/// Records per batch of the end-to-end drains (their `batch-size-avg`).
const BATCH_RECORDS: u64 = 8_192;

fn per_batch(m: &TaskMetrics, active: i64) {
    m.record_in(BATCH_RECORDS, BATCH_RECORDS * 150);
    m.record_decode(Duration::from_micros(800));
    m.record_batch(BATCH_RECORDS, Duration::from_micros(30));
    m.record_out(BATCH_RECORDS);
    m.set_active(active);
}

fn metrics(c: &mut Criterion) {
    let mut group = c.benchmark_group("task_metrics_per_batch");
    group.throughput(Throughput::Elements(BATCH_RECORDS));
    for (name, enabled) in [("enabled", true), ("disabled", false)] {
        let m = TaskMetrics::new(WindowConfig::default(), enabled);
        let mut active = 0i64;
        group.bench_function(name, |b| {
            b.iter(|| {
                active = (active + 8_192) % 1_000_000;
                per_batch(black_box(&m), black_box(active));
            })
        });
    }
    group.finish();
}

criterion_group!(benches, metrics);
criterion_main!(benches);
