//! Avro decode throughput on D1 (issue 9): one column of 10,000 records per call, as a sink
//! task decodes a consumer batch, every decoder on the same records (seed 1: the values of
//! `d1_json(10_000, 1)`) in the same run.
//!
//! The Avro bodies (Confluent wire header already stripped, as `AvroConverter` hands them to
//! the decoder) are made by Strait's own writer: the JsonConverter envelope of D1 gives the
//! Connect schema and column, `avro::from_connect_schema` the writer schema
//! (`AvroData.fromConnectSchema`'s), `avro::encode` the bodies. Decoders in group
//! `avro_decode_d1`:
//!
//! - `strait_avro_decoder`: [`AvroDecoder`], straight into Arrow builders (columnar);
//! - `apache_avro_value`: the `apache-avro` crate's row decoder (`GenericDatumReader`, built
//!   once, `read_value` per record into `Value`, then dropped: the peer's floor);
//! - `apache_avro_to_arrow`: the same plus the values appended to Arrow builders, i.e. the same
//!   output as Strait's;
//! - `json_converter_schemaless` / `json_converter_envelope`: Strait's JsonConverter on the same
//!   records as plain JSON (`schemas.enable=false`) and in the schema envelope, as measured in
//!   `converters.rs`.
//!
//! Each decoder reports records/s and MB/s of its own input (Avro bodies are about 3× smaller
//! than D1's JSON): compare decoders by records/s. The target: the columnar Avro path
//! is ≥ 2× the JSON path in records/s.

use std::hint::black_box;
use std::sync::Arc;

use apache_avro::reader::datum::GenericDatumReader;
use apache_avro::types::Value;
use arrow::array::{
    Array, ArrayRef, AsArray, BinaryArray, Float64Builder, Int64Builder, StringBuilder, StructArray,
};
use arrow::datatypes::{DataType, Field};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use strait_bench::{binary_column, converter, d1_envelope, d1_json};
use strait_formats::avro::{self, AvroDataConfig, AvroDecoder};

const ROWS: usize = 10_000;
const SEED: u64 = 1;

fn bytes_of(col: &BinaryArray) -> u64 {
    col.value_data().len() as u64
}

/// D1 as Avro: the writer schema JSON, the bodies, and the Arrow column they came from.
fn d1_avro() -> (String, BinaryArray, ArrayRef) {
    let envelope = converter("org.apache.kafka.connect.json.JsonConverter", &[]);
    let decoded = envelope
        .to_connect(&binary_column(&d1_envelope(ROWS, SEED)))
        .expect("decode D1 envelopes");
    assert!(decoded.errors.is_empty(), "D1 envelopes decode");
    let segment = decoded.only().expect("one schema in the D1 column");
    let config = AvroDataConfig::default();
    let schema = avro::from_connect_schema(&segment.field, &config).expect("D1 Avro schema");
    let (bodies, errors) = avro::encode(&segment.field, &segment.array, &config).expect("encode");
    assert!(errors.is_empty(), "every D1 record encodes: {errors:?}");
    let bodies = BinaryArray::from_iter(bodies.iter().map(Option::as_deref));
    assert_eq!(bodies.null_count(), 0);
    (schema, bodies, segment.array.clone())
}

/// The peer's floor: each body read into an `apache_avro::types::Value`, nothing more.
fn apache_avro_value(reader: &GenericDatumReader<'_>, bodies: &BinaryArray) -> usize {
    let mut n = 0;
    for body in bodies.iter().flatten() {
        let mut input = body;
        let value = reader.read_value(&mut input).expect("valid Avro");
        n += matches!(value, Value::Record(_)) as usize;
    }
    n
}

/// The field's value with a `["null", T]` union unwrapped.
fn unwrap_union(v: &Value) -> &Value {
    match v {
        Value::Union(_, inner) => inner,
        other => other,
    }
}

fn long_of(v: &Value) -> Option<i64> {
    match unwrap_union(v) {
        Value::Long(x) | Value::TimestampMillis(x) => Some(*x),
        _ => None,
    }
}

fn str_of(v: &Value) -> Option<&str> {
    match unwrap_union(v) {
        Value::String(s) => Some(s),
        _ => None,
    }
}

/// The peer's row decoder feeding the same six Arrow columns Strait produces.
fn apache_avro_to_arrow(reader: &GenericDatumReader<'_>, bodies: &BinaryArray) -> StructArray {
    let mut id = Int64Builder::with_capacity(bodies.len());
    let mut ts = Int64Builder::with_capacity(bodies.len());
    let mut score = Float64Builder::with_capacity(bodies.len());
    let mut strings: [StringBuilder; 3] = Default::default();
    for body in bodies.iter().flatten() {
        let mut input = body;
        let Value::Record(fields) = reader.read_value(&mut input).expect("valid Avro") else {
            panic!("D1 is a record");
        };
        // Writer field order: id, name, email, city, score, ts.
        id.append_option(long_of(&fields[0].1));
        for (builder, (_, v)) in strings.iter_mut().zip(&fields[1..4]) {
            builder.append_option(str_of(v));
        }
        score.append_option(match unwrap_union(&fields[4].1) {
            Value::Double(x) => Some(*x),
            _ => None,
        });
        ts.append_option(long_of(&fields[5].1));
    }
    let [name, email, city] = &mut strings;
    let columns: [(&str, ArrayRef); 6] = [
        ("id", Arc::new(id.finish())),
        ("name", Arc::new(name.finish())),
        ("email", Arc::new(email.finish())),
        ("city", Arc::new(city.finish())),
        ("score", Arc::new(score.finish())),
        ("ts", Arc::new(ts.finish())),
    ];
    StructArray::from(
        columns
            .into_iter()
            .map(|(name, col)| {
                (
                    Arc::new(Field::new(name, col.data_type().clone(), true)),
                    col,
                )
            })
            .collect::<Vec<_>>(),
    )
}

/// Column `i` of a struct column as text (Timestamp as its epoch millis), for comparing
/// decoders' output whatever Arrow field metadata and types they chose.
fn column_values(col: &ArrayRef, i: usize) -> Vec<String> {
    let mut col = col.as_struct().column(i).clone();
    if matches!(col.data_type(), DataType::Timestamp(..)) {
        col = arrow::compute::cast(&col, &DataType::Int64).expect("cast");
    }
    let col = arrow::compute::cast(&col, &DataType::Utf8).expect("cast");
    col.as_string::<i32>()
        .iter()
        .map(|v| v.unwrap_or("null").to_string())
        .collect()
}

/// Panics unless the two decoders' column `i` hold the same values (naming the first row
/// that differs rather than printing 10,000 of them).
fn assert_same_column(got: &ArrayRef, want: &ArrayRef, i: usize, who: &str) {
    let (got, want) = (column_values(got, i), column_values(want, i));
    assert_eq!(got.len(), want.len(), "{who}: column {i} length");
    if let Some(row) = (0..got.len()).find(|&r| got[r] != want[r]) {
        panic!(
            "{who}: column {i} row {row}: {} instead of {}",
            got[row], want[row]
        );
    }
}

fn avro_decode(c: &mut Criterion) {
    let (schema_json, bodies, expected) = d1_avro();
    let config = AvroDataConfig::default();
    let mut strait = AvroDecoder::new(&schema_json, &config).expect("Avro decoder");
    let peer_schema = apache_avro::Schema::parse_str(&schema_json).expect("peer parses schema");
    let peer = GenericDatumReader::builder(&peer_schema)
        .build()
        .expect("peer reader");
    let json_payloads = binary_column(&d1_json(ROWS, SEED));
    let schemaless = converter(
        "org.apache.kafka.connect.json.JsonConverter",
        &[("schemas.enable", "false")],
    );
    let envelope_payloads = binary_column(&d1_envelope(ROWS, SEED));
    let envelope = converter("org.apache.kafka.connect.json.JsonConverter", &[]);

    // Every decoder gives the same records before anything is timed.
    let (decoded, errors) = strait.decode(bodies.iter()).expect("Avro decode");
    assert!(errors.is_empty(), "Strait decodes every body: {errors:?}");
    assert_eq!(decoded.len(), ROWS);
    let peer_arrow: ArrayRef = Arc::new(apache_avro_to_arrow(&peer, &bodies));
    let from_json = schemaless.to_connect(&json_payloads).expect("JSON decode");
    let from_json = &from_json.only().expect("one schema").array;
    for i in 0..6 {
        assert_same_column(&decoded, &expected, i, "Strait Avro");
        assert_same_column(&peer_arrow, &expected, i, "apache-avro");
        // The schemaless JSON path orders its columns as D1's keys, the same order.
        assert_same_column(from_json, &expected, i, "schemaless JSON");
    }
    assert_eq!(apache_avro_value(&peer, &bodies), ROWS);
    envelope
        .to_connect(&envelope_payloads)
        .expect("warm-up decode");

    let through = |payloads: &BinaryArray| Throughput::ElementsAndBytes {
        elements: ROWS as u64,
        bytes: bytes_of(payloads),
    };
    let mut g = c.benchmark_group("avro_decode_d1");
    g.throughput(through(&bodies));
    g.bench_function("strait_avro_decoder", |b| {
        b.iter(|| black_box(strait.decode(black_box(&bodies).iter()).expect("decode")))
    });
    g.bench_function("apache_avro_value", |b| {
        b.iter(|| black_box(apache_avro_value(&peer, black_box(&bodies))))
    });
    g.bench_function("apache_avro_to_arrow", |b| {
        b.iter(|| black_box(apache_avro_to_arrow(&peer, black_box(&bodies))))
    });
    g.throughput(through(&json_payloads));
    g.bench_function("json_converter_schemaless", |b| {
        b.iter(|| {
            black_box(
                schemaless
                    .to_connect(black_box(&json_payloads))
                    .expect("decode"),
            )
        })
    });
    g.throughput(through(&envelope_payloads));
    g.bench_function("json_converter_envelope", |b| {
        b.iter(|| {
            black_box(
                envelope
                    .to_connect(black_box(&envelope_payloads))
                    .expect("decode"),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, avro_decode);
criterion_main!(benches);
