//! Converter throughput on D1 (about 150-byte flat JSON objects, 6 fields), one column of
//! 10,000 records per call, as a sink task decodes a consumer batch:
//!
//! - `json_schemaless_d1`: Strait's JsonConverter (`schemas.enable=false`, steady state: the
//!   inferred type is cached) against arrow-json's raw `Decoder` given the schema, and against
//!   simd-json parsing each record (into a reused buffer) with its fields appended to Arrow
//!   builders, on the same bytes in the same run;
//! - `json_envelope_d1`: envelope decode and encode (Java-identical output);
//! - `json_schemaless_encode_d1`: plain JSON encode of the decoded column;
//! - `string_converter` and `byte_array_converter`: both directions.
//!
//! Each group reports bytes/s; the `_rows` groups report records/s for the same work.

use std::hint::black_box;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BinaryArray};
use arrow_json::ReaderBuilder;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use strait_bench::{binary_column, converter, d1_envelope, d1_json, d1_schema};

const ROWS: usize = 10_000;

fn bytes_of(col: &BinaryArray) -> u64 {
    col.value_data().len() as u64
}

fn arrow_json_decode(payloads: &BinaryArray) -> usize {
    let mut decoder = ReaderBuilder::new(d1_schema())
        .with_batch_size(ROWS)
        .build_decoder()
        .expect("decoder");
    for p in payloads.iter().flatten() {
        decoder.decode(p).expect("decode");
    }
    decoder.flush().expect("flush").map_or(0, |b| b.num_rows())
}

/// The simd-json peer: what decoding D1 into Arrow costs when simd-json does the parsing (the
/// record is copied first: simd-json parses in place and payloads are immutable Arrow buffers).
fn simd_json_decode(payloads: &BinaryArray) -> usize {
    use arrow::array::{Float64Builder, Int64Builder, StringBuilder};
    use simd_json::prelude::*;

    let mut id = Int64Builder::with_capacity(payloads.len());
    let mut ts = Int64Builder::with_capacity(payloads.len());
    let mut score = Float64Builder::with_capacity(payloads.len());
    let mut strings: [StringBuilder; 3] = Default::default();
    let mut scratch = Vec::new();
    let mut buffers = simd_json::Buffers::default();
    for p in payloads.iter().flatten() {
        scratch.clear();
        scratch.extend_from_slice(p);
        let value = simd_json::to_borrowed_value_with_buffers(&mut scratch, &mut buffers)
            .expect("valid JSON");
        id.append_option(value.get("id").and_then(|v| v.as_i64()));
        ts.append_option(value.get("ts").and_then(|v| v.as_i64()));
        score.append_option(value.get("score").and_then(|v| v.as_f64()));
        for (builder, key) in strings.iter_mut().zip(["name", "email", "city"]) {
            builder.append_option(value.get(key).and_then(|v| v.as_str()));
        }
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(strings[0].finish()),
        Arc::new(strings[1].finish()),
        Arc::new(strings[2].finish()),
        Arc::new(score.finish()),
        Arc::new(ts.finish()),
    ];
    columns[0].len()
}

fn json_schemaless(c: &mut Criterion) {
    let payloads = binary_column(&d1_json(ROWS, 1));
    let json = converter(
        "org.apache.kafka.connect.json.JsonConverter",
        &[("schemas.enable", "false")],
    );
    json.to_connect(&payloads).expect("warm-up decode");
    assert_eq!(arrow_json_decode(&payloads), ROWS, "peers decode every row");
    assert_eq!(simd_json_decode(&payloads), ROWS, "peers decode every row");
    for (name, throughput) in [
        ("json_schemaless_d1", Throughput::Bytes(bytes_of(&payloads))),
        ("json_schemaless_d1_rows", Throughput::Elements(ROWS as u64)),
    ] {
        let mut g = c.benchmark_group(name);
        g.throughput(throughput);
        g.bench_function("strait_json_converter", |b| {
            b.iter(|| black_box(json.to_connect(black_box(&payloads)).expect("decode")))
        });
        g.bench_function("arrow_json_decoder", |b| {
            b.iter(|| black_box(arrow_json_decode(black_box(&payloads))))
        });
        g.bench_function("simd_json_to_arrow", |b| {
            b.iter(|| black_box(simd_json_decode(black_box(&payloads))))
        });
        g.finish();
    }

    let decoded = json.to_connect(&payloads).expect("decode");
    let segment = decoded.only().expect("one schema in the bench column");
    let mut g = c.benchmark_group("json_schemaless_encode_d1");
    g.throughput(Throughput::Bytes(bytes_of(&payloads)));
    g.bench_function("from_connect", |b| {
        b.iter(|| {
            black_box(
                json.from_connect(&segment.field, black_box(&segment.array))
                    .expect("encode"),
            )
        })
    });
    g.finish();
}

fn json_envelope(c: &mut Criterion) {
    let payloads = binary_column(&d1_envelope(ROWS, 2));
    let json = converter("org.apache.kafka.connect.json.JsonConverter", &[]);
    let decoded = json.to_connect(&payloads).expect("decode");
    let segment = decoded.only().expect("one schema in the bench column");
    assert!(decoded.errors.is_empty());
    let encoded = json
        .from_connect(&segment.field, &segment.array)
        .expect("encode");
    assert_eq!(encoded, payloads, "envelope encode reproduces the input");
    for (name, throughput) in [
        ("json_envelope_d1", Throughput::Bytes(bytes_of(&payloads))),
        ("json_envelope_d1_rows", Throughput::Elements(ROWS as u64)),
    ] {
        let mut g = c.benchmark_group(name);
        g.throughput(throughput);
        g.bench_function("to_connect", |b| {
            b.iter(|| black_box(json.to_connect(black_box(&payloads)).expect("decode")))
        });
        g.bench_function("from_connect", |b| {
            b.iter(|| {
                black_box(
                    json.from_connect(&segment.field, black_box(&segment.array))
                        .expect("encode"),
                )
            })
        });
        g.finish();
    }
}

fn string_and_bytes(c: &mut Criterion) {
    let payloads = binary_column(&d1_json(ROWS, 3));
    for (group, class) in [
        (
            "string_converter",
            "org.apache.kafka.connect.storage.StringConverter",
        ),
        (
            "byte_array_converter",
            "org.apache.kafka.connect.converters.ByteArrayConverter",
        ),
    ] {
        let conv = converter(class, &[]);
        let decoded = conv.to_connect(&payloads).expect("decode");
        let segment = decoded.only().expect("one schema in the bench column");
        let column: ArrayRef = segment.array.clone();
        assert_eq!(column.len(), ROWS);
        let mut g = c.benchmark_group(group);
        g.throughput(Throughput::Bytes(bytes_of(&payloads)));
        g.bench_function("to_connect", |b| {
            b.iter(|| black_box(conv.to_connect(black_box(&payloads)).expect("decode")))
        });
        g.bench_function("from_connect", |b| {
            b.iter(|| {
                black_box(
                    conv.from_connect(&segment.field, black_box(&column))
                        .expect("encode"),
                )
            })
        });
        g.finish();
    }
}

criterion_group!(benches, json_schemaless, json_envelope, string_and_bytes);
criterion_main!(benches);
