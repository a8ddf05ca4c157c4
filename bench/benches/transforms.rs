//! Transform chain throughput on D1 (about 150-byte records, 6 fields, JsonConverter envelope),
//! 10,000 records per batch, as a sink task runs its chain on a decoded consumer batch.
//!
//! The chain is five stages, as production configs combine them: InsertField (the topic),
//! ReplaceField (drop `email`), Cast (`score` to float32, `id` to string), Filter with a
//! HasHeaderKey predicate (one record in ten carries the header), TimestampConverter (`ts` to
//! a `yyyy-MM-dd` string). The target is that the chain costs at most 15% of the CPU of
//! decoding the same rows from JSON, so both run in one group: `decode` and `chain` report
//! records/s for the same rows and their ratio is the chain's share.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use strait_bench::{converter, d1_envelope};
use strait_engine::batch::{Batch, RawBatchBuilder};
use strait_engine::config::Props;
use strait_engine::plugin::Converter;
use strait_engine::transforms::registry::build_chain;
use strait_engine::transforms::{Chain, TransformContext};

const ROWS: usize = 10_000;

/// The five-stage chain of the module doc.
pub fn d1_chain() -> Chain {
    chain_of(&["insert", "replace", "cast", "filter", "ts"])
}

/// The chain of the named stages of [`d1_chain`] only.
fn chain_of(stages: &[&str]) -> Chain {
    let mut props: Props = [
        ("transforms", "insert,replace,cast,filter,ts"),
        (
            "transforms.insert.type",
            "org.apache.kafka.connect.transforms.InsertField$Value",
        ),
        ("transforms.insert.topic.field", "topic"),
        (
            "transforms.replace.type",
            "org.apache.kafka.connect.transforms.ReplaceField$Value",
        ),
        ("transforms.replace.exclude", "email"),
        (
            "transforms.cast.type",
            "org.apache.kafka.connect.transforms.Cast$Value",
        ),
        ("transforms.cast.spec", "score:float32,id:string"),
        (
            "transforms.filter.type",
            "org.apache.kafka.connect.transforms.Filter",
        ),
        ("transforms.filter.predicate", "skip"),
        (
            "transforms.ts.type",
            "org.apache.kafka.connect.transforms.TimestampConverter$Value",
        ),
        ("transforms.ts.field", "ts"),
        ("transforms.ts.target.type", "string"),
        ("transforms.ts.format", "yyyy-MM-dd"),
        ("predicates", "skip"),
        (
            "predicates.skip.type",
            "org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
        ),
        ("predicates.skip.name", "skip"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    props.insert("transforms".into(), stages.join(","));
    let ctx = TransformContext {
        header_converter: converter(
            "org.apache.kafka.connect.storage.SimpleHeaderConverter",
            &[],
        ),
    };
    build_chain(&props, &ctx).expect("the bench chain builds")
}

/// A raw consumer batch of D1 envelopes; one record in ten carries a `skip` header.
fn raw_batch() -> Batch {
    let payloads = d1_envelope(ROWS, 3);
    let mut b = RawBatchBuilder::with_capacity(ROWS, payloads.iter().map(Vec::len).sum());
    for (i, p) in payloads.iter().enumerate() {
        let skip: &[(&str, Option<&[u8]>)] = if i % 10 == 0 {
            &[("skip", Some(b"1"))]
        } else {
            &[]
        };
        b.append(
            "orders",
            0,
            i as i64,
            Some(1_700_000_000_000),
            None,
            Some(p),
            skip.iter().copied(),
        );
    }
    b.finish().expect("raw batch")
}

fn decode(json: &dyn Converter, raw: &Batch) -> Batch {
    let values = raw
        .column("value")
        .and_then(|c| c.as_any().downcast_ref::<arrow::array::BinaryArray>())
        .expect("raw value column");
    let decoded = json.to_connect(values).expect("decode");
    let segment = decoded.only().expect("one schema");
    raw.with_column(
        Arc::new(segment.field.clone().with_name("value")),
        segment.array.clone(),
    )
    .expect("decoded batch")
}

fn chain(c: &mut Criterion) {
    let json = converter("org.apache.kafka.connect.json.JsonConverter", &[]);
    let raw = raw_batch();
    let decoded = decode(&*json, &raw);
    let chain = d1_chain();
    let out = chain.apply(decoded.clone()).expect("chain");
    assert!(
        out.errors.is_empty(),
        "no row fails: {:?}",
        out.errors.first()
    );
    assert_eq!(
        out.pieces.iter().map(Batch::num_rows).sum::<usize>(),
        ROWS - ROWS / 10,
        "the filter drops the records with the header"
    );
    let mut g = c.benchmark_group("transform_chain_d1");
    g.throughput(Throughput::Elements(ROWS as u64));
    g.bench_function("decode_envelope", |b| {
        b.iter(|| black_box(decode(&*json, black_box(&raw))))
    });
    g.bench_function("chain_of_5", |b| {
        b.iter(|| black_box(chain.apply(black_box(decoded.clone())).expect("chain")))
    });
    g.finish();

    // Each stage alone on the same rows: where the chain's time goes.
    let mut g = c.benchmark_group("transform_stage_d1");
    g.throughput(Throughput::Elements(ROWS as u64));
    for stage in ["insert", "replace", "cast", "filter", "ts"] {
        let one = chain_of(&[stage]);
        g.bench_function(stage, |b| {
            b.iter(|| black_box(one.apply(black_box(decoded.clone())).expect("stage")))
        });
    }
    g.finish();
}

criterion_group!(benches, chain);
criterion_main!(benches);
