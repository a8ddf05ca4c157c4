//! Shared data generators for Strait's benchmarks.
//!
//! Every generator is deterministic for a given seed, so runs (and Strait vs. the JVM peer) see
//! the same bytes.
//!
//! - **D1**: flat JSON objects of about 150 bytes with six fields: `id` (int64), `name`, `email`,
//!   `city` (strings), `score` (float64 with two decimals, printed the same by every JSON
//!   library and JVM), `ts` (int64 epoch millis). [`d1_json`] gives plain JSON (for
//!   `schemas.enable=false`), [`d1_envelope`] the same records in JsonConverter's
//!   schema envelope, [`d1_schema`] their Arrow schema.

use std::sync::Arc;

use arrow::array::BinaryArray;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

const FIRST: &[&str] = &[
    "ada", "alan", "barbara", "claude", "donald", "edsger", "frances", "grace", "john", "margaret",
];
const LAST: &[&str] = &[
    "lovelace", "turing", "liskov", "shannon", "knuth", "dijkstra", "allen", "hopper", "backus",
    "hamilton",
];
const CITIES: &[&str] = &[
    "Amsterdam",
    "Berlin",
    "Copenhagen",
    "Dublin",
    "Edinburgh",
    "Florence",
    "Geneva",
    "Helsinki",
];

/// One D1 record's fields.
struct D1 {
    id: i64,
    name: String,
    email: String,
    city: &'static str,
    score: f64,
    ts: i64,
}

fn d1_records(n: usize, seed: u64) -> impl Iterator<Item = D1> {
    let mut rng = SmallRng::seed_from_u64(seed);
    (0..n).map(move |i| {
        let first = FIRST[rng.random_range(0..FIRST.len())];
        let last = LAST[rng.random_range(0..LAST.len())];
        let id = 1_000_000_000 + i as i64 * 7 + rng.random_range(0..7);
        D1 {
            id,
            name: format!("{first} {last} {}", rng.random_range(0..10_000)),
            email: format!("{first}.{last}.{}@users.example.com", id % 100_000),
            city: CITIES[rng.random_range(0..CITIES.len())],
            score: rng.random_range(0..10_000_000) as f64 / 100.0,
            ts: 1_700_000_000_000 + i as i64 * 13 + rng.random_range(0..13),
        }
    })
}

fn d1_object(r: &D1) -> String {
    format!(
        r#"{{"id":{},"name":"{}","email":"{}","city":"{}","score":{:?},"ts":{}}}"#,
        r.id, r.name, r.email, r.city, r.score, r.ts
    )
}

/// `n` D1 records as plain JSON payloads.
pub fn d1_json(n: usize, seed: u64) -> Vec<Vec<u8>> {
    d1_json_iter(n, seed).map(String::into_bytes).collect()
}

/// The same records as [`d1_json`], one at a time: for pre-loading millions of them into Kafka
/// without holding them all in memory.
pub fn d1_json_iter(n: usize, seed: u64) -> impl Iterator<Item = String> {
    d1_records(n, seed).map(|r| d1_object(&r))
}

/// The JsonConverter envelope schema of D1 (as Java writes it).
pub const D1_ENVELOPE_SCHEMA: &str = concat!(
    r#"{"type":"struct","fields":["#,
    r#"{"type":"int64","optional":false,"field":"id"},"#,
    r#"{"type":"string","optional":false,"field":"name"},"#,
    r#"{"type":"string","optional":true,"field":"email"},"#,
    r#"{"type":"string","optional":true,"field":"city"},"#,
    r#"{"type":"double","optional":true,"field":"score"},"#,
    r#"{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"ts"}"#,
    r#"],"optional":false,"name":"bench.D1"}"#
);

/// `n` D1 records in JsonConverter's schema envelope.
pub fn d1_envelope(n: usize, seed: u64) -> Vec<Vec<u8>> {
    d1_records(n, seed)
        .map(|r| {
            format!(
                r#"{{"schema":{D1_ENVELOPE_SCHEMA},"payload":{}}}"#,
                d1_object(&r)
            )
            .into_bytes()
        })
        .collect()
}

/// The Arrow schema of a plain D1 object (what a decoder given the schema produces).
pub fn d1_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, true),
        Field::new("name", DataType::Utf8, true),
        Field::new("email", DataType::Utf8, true),
        Field::new("city", DataType::Utf8, true),
        Field::new("score", DataType::Float64, true),
        Field::new("ts", DataType::Int64, true),
    ]))
}

/// A converter of `strait_formats` by Java class name, configured with `props`.
pub fn converter(class: &str, props: &[(&str, &str)]) -> Arc<dyn strait_engine::plugin::Converter> {
    let plugin = strait_formats::converters()
        .into_iter()
        .find(|p| p.info.class == class)
        .expect("converter registered");
    let props: strait_engine::config::Props = props
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    (plugin.create)(&props, false).expect("converter builds")
}

/// Payloads as the raw `Binary` column converters decode.
pub fn binary_column(payloads: &[Vec<u8>]) -> BinaryArray {
    BinaryArray::from_iter_values(payloads.iter())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn d1_is_deterministic_and_about_150_bytes() {
        let a = d1_json(1000, 7);
        assert_eq!(a, d1_json(1000, 7));
        let avg = a.iter().map(Vec::len).sum::<usize>() / a.len();
        assert!(
            (130..=170).contains(&avg),
            "average D1 record is {avg} bytes"
        );
        for p in a.iter().take(20) {
            let v: serde_json::Value = serde_json::from_slice(p).unwrap();
            assert_eq!(v.as_object().unwrap().len(), 6);
        }
        let e: serde_json::Value = serde_json::from_slice(&d1_envelope(1, 7)[0]).unwrap();
        assert_eq!(
            e["payload"]["id"],
            serde_json::from_slice::<serde_json::Value>(&a[0]).unwrap()["id"]
        );
    }
}
