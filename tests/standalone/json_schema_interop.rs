//! The JsonSchemaConverter against Confluent's own JSON Schema serde: confluent-kafka 2.16.1's
//! Python client (`confluent_kafka.schema_registry.json_schema`, validating with `jsonschema`),
//! installed by `cargo xtask py-clients` (or `cargo xtask test`, which sets
//! `STRAIT_TEST_PYTHON`), on the real broker and the real registry (Apicurio's
//! Confluent-compatible API).
//!
//! - Python → Strait: records of every Connect type a JSON Schema can carry (integer, string,
//!   optional string, number, boolean, enum, array, map, base64 Decimal, Timestamp, Date,
//!   int32, float32, bytes, a nested object) reach Parquet on S3 field for field, typed as
//!   `JsonSchemaData.toConnectSchema` types them (schema-registry
//!   `json-schema-converter/src/main/java/io/confluent/connect/json/JsonSchemaData.java`).
//! - Strait → Python: Datagen through the JsonSchemaConverter is read back (and validated) by
//!   `JSONDeserializer`, equal to the same seed through the JsonConverter, and the registered
//!   schema is the one `JsonSchemaData.fromConnectSchema` writes.
//! - Schema evolution: three versions of a subject under BACKWARD (a property added with a
//!   default, one removed); the S3 sink rotates files at each version change, each file with
//!   its version's columns.
//!
//! The Python side is `json_schema_interop.py` next to this file.

use std::collections::BTreeMap;

use arrow::datatypes::{DataType, TimeUnit};
use serde_json::{json, Value};

use super::avro::registry_url;
use super::avro_interop::{json_rows, python_script, registry_s3_sink, wait_objects};
use super::s3::{create_topic, get, read_parquet};
use super::*;

const SCRIPT: &str = include_str!("json_schema_interop.py");

fn python(dir: &Path, args: &[&str]) -> Value {
    python_script(dir, "json_schema_interop.py", SCRIPT, args)
}

const CONVERTER: &str = "io.confluent.connect.json.JsonSchemaConverter";

/// The S3 sink's Parquet properties for `topic` under `topics_dir`.
fn s3_sink(name: &str, topic: &str, topics_dir: &str, flush: usize) -> String {
    registry_s3_sink(
        name,
        topic,
        topics_dir,
        CONVERTER,
        &format!(
            "flush.size={flush}\nformat.class=io.confluent.connect.s3.format.parquet.ParquetFormat"
        ),
    )
}

#[test]
fn python_json_schema_serializer_records_reach_parquet_field_for_field() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("py-js-to-strait");
    create_topic(&topic, 1);
    let n = 60;
    let produced = python(
        dir.path(),
        &[
            "produce",
            &bootstrap(),
            &registry_url(),
            &topic,
            &n.to_string(),
        ],
    );
    let written = produced["records"].as_array().unwrap();
    assert_eq!(written.len(), n);
    assert_eq!(
        produced["ids"].as_array().unwrap().len(),
        1,
        "one schema id for every record: {produced}"
    );

    let run = unique("py-js-to-strait-run");
    let conns = vec![(
        "s3.properties",
        s3_sink(&format!("{run}-s3"), &topic, &run, n),
    )];
    let w = Worker::start(dir.path(), "w", "", &conns);
    let objects = wait_objects(&w, &run, 1);
    assert_eq!(
        objects,
        [format!(
            "{run}/{topic}/partition=0/{topic}+0+0000000000.snappy.parquet"
        )]
    );
    let batches = read_parquet(get(&objects[0]));

    // JsonSchemaData's Connect types: `integer` INT64, `number` FLOAT64, the enum a string,
    // connect.type int32/float32/bytes/map as named, the titled logical types, and only the
    // oneOf-with-null properties optional.
    let schema = batches[0].schema();
    let types: Vec<(String, DataType, bool)> = schema
        .fields()
        .iter()
        .map(|f| (f.name().clone(), f.data_type().clone(), f.is_nullable()))
        .collect();
    let names: Vec<&str> = types.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "id", "name", "note", "amount", "active", "suit", "tags", "attrs", "price", "ts",
            "day", "count", "ratio", "blob", "address"
        ]
    );
    let ty = |name: &str| types.iter().find(|(n, _, _)| n == name).unwrap().1.clone();
    assert_eq!(ty("id"), DataType::Int64);
    assert_eq!(ty("name"), DataType::Utf8);
    assert_eq!(ty("note"), DataType::Utf8);
    assert_eq!(ty("amount"), DataType::Float64);
    assert_eq!(ty("active"), DataType::Boolean);
    assert_eq!(ty("suit"), DataType::Utf8);
    assert!(
        matches!(&ty("tags"), DataType::List(item) if *item.data_type() == DataType::Utf8),
        "{:?}",
        ty("tags")
    );
    match &ty("attrs") {
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(kv) => {
                assert_eq!(kv[0].data_type(), &DataType::Utf8);
                assert_eq!(kv[1].data_type(), &DataType::Int64);
            }
            other => panic!("map entries {other}"),
        },
        other => panic!("attrs is {other}, want a Parquet MAP"),
    }
    // A JSON Schema Decimal has no precision: the Parquet file takes AvroData's default (64
    // digits, no `connect.decimal.precision`), as Confluent's Parquet format does.
    assert_eq!(ty("price"), DataType::Decimal256(64, 2));
    assert!(
        matches!(&ty("ts"), DataType::Timestamp(TimeUnit::Millisecond, _)),
        "ts is {:?}",
        ty("ts")
    );
    assert_eq!(ty("day"), DataType::Date32);
    assert_eq!(ty("count"), DataType::Int32);
    assert_eq!(ty("ratio"), DataType::Float32);
    assert_eq!(ty("blob"), DataType::Binary);
    match &ty("address") {
        DataType::Struct(fields) => {
            let fields: Vec<(&str, &DataType, bool)> = fields
                .iter()
                .map(|f| (f.name().as_str(), f.data_type(), f.is_nullable()))
                .collect();
            assert_eq!(
                fields,
                [
                    ("city", &DataType::Utf8, false),
                    ("zip", &DataType::Int64, true)
                ]
            );
        }
        other => panic!("address is {other}, want a group"),
    }
    for (name, _, nullable) in &types {
        assert_eq!(*nullable, name == "note", "{name} nullability");
    }

    // Field for field, in offset order, what the Python serializer was handed.
    let read = json_rows(&batches);
    assert_eq!(read.len(), n);
    for (i, (got, want)) in read.iter().zip(written).enumerate() {
        assert_eq!(got, want, "record {i}");
    }
    w.stop();
}

/// What `JsonSchemaData.fromConnectSchema` writes for Datagen's `users` (a named struct: its
/// name as `title`; every property with its `connect.index`, integers with `connect.type`).
fn users_json_schema() -> Value {
    json!({"title": "ksql.users", "type": "object", "properties": {
        "registertime": {"type": "integer", "connect.index": 0, "connect.type": "int64"},
        "userid": {"type": "string", "connect.index": 1},
        "regionid": {"type": "string", "connect.index": 2},
        "gender": {"type": "string", "connect.index": 3}}})
}

/// `orders` under HoistField$Value's unnamed struct: no title on the outer object; the
/// nested structs keep theirs.
fn hoisted_orders_json_schema() -> Value {
    json!({"type": "object", "properties": {"order": {
        "title": "ksql.orders", "type": "object", "properties": {
            "ordertime": {"type": "integer", "connect.index": 0, "connect.type": "int64"},
            "orderid": {"type": "integer", "connect.index": 1, "connect.type": "int32"},
            "itemid": {"type": "string", "connect.index": 2},
            "orderunits": {"type": "number", "connect.index": 3, "connect.type": "float64"},
            "address": {"title": "ksql.address", "type": "object", "properties": {
                "city": {"type": "string", "connect.index": 0},
                "state": {"type": "string", "connect.index": 1},
                "zipcode": {"type": "integer", "connect.index": 2, "connect.type": "int64"}},
                "connect.index": 4}},
        "connect.index": 0}}})
}

#[test]
fn strait_json_schema_is_read_by_pythons_json_deserializer() {
    let dir = tempfile::tempdir().unwrap();
    let run = unique("strait-js-to-py");
    let n = 150;
    let converter = format!(
        "value.converter={CONVERTER}\nvalue.converter.schema.registry.url={}\n",
        registry_url()
    );
    let json = "value.converter=org.apache.kafka.connect.json.JsonConverter\n\
                value.converter.schemas.enable=false\n";
    let hoist = "transforms=hoist\ntransforms.hoist.type=org.apache.kafka.connect.transforms.HoistField$Value\n\
                 transforms.hoist.field=order\n";
    let cases = [
        ("users", "", users_json_schema()),
        ("orders", hoist, hoisted_orders_json_schema()),
    ];
    let mut conns = Vec::new();
    let mut topics = Vec::new();
    for (quickstart, extra, _) in &cases {
        let js_topic = format!("{run}-{quickstart}-js");
        let json_topic = format!("{run}-{quickstart}-json");
        for (topic, converter) in [(&js_topic, converter.as_str()), (&json_topic, json)] {
            create_topic(topic, 1);
            conns.push(format!(
                "name={topic}-gen\nconnector.class=DatagenConnector\ntasks.max=1\n\
                 kafka.topic={topic}\nquickstart={quickstart}\nmax.interval=0\n\
                 iterations={n}\nrandom.seed=29\n{converter}{extra}"
            ));
        }
        topics.push((js_topic, json_topic));
    }
    let files: Vec<String> = (0..conns.len())
        .map(|i| format!("gen-{i}.properties"))
        .collect();
    let conns: Vec<(&str, String)> = files.iter().map(String::as_str).zip(conns).collect();
    let w = Worker::start(dir.path(), "w", "", &conns);
    wait_rest(&w);

    for ((js_topic, json_topic), (quickstart, _, schema)) in topics.iter().zip(&cases) {
        let read = python(
            dir.path(),
            &[
                "consume",
                &bootstrap(),
                &registry_url(),
                js_topic,
                &n.to_string(),
            ],
        );
        let records = read["records"].as_array().unwrap();
        assert_eq!(records.len(), n, "{quickstart}: {} records", records.len());
        assert_eq!(read["subject_versions"], json!([1]), "{quickstart}");
        assert_eq!(read["ids"], json!([read["latest_id"]]), "{quickstart}");
        assert_eq!(&read["schema"], schema, "{quickstart}: registered schema");
        let via_json = consume(json_topic, n, |m| {
            use rdkafka::Message;
            serde_json::from_slice::<Value>(m.payload().unwrap()).unwrap()
        });
        for (i, (got, want)) in records.iter().zip(&via_json).enumerate() {
            assert_eq!(got, want, "{quickstart} record {i}");
        }
    }
    w.stop();
}

#[test]
fn json_schema_versions_rotate_parquet_files() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("py-js-evolve");
    create_topic(&topic, 1);
    let evolved = python(
        dir.path(),
        &["evolve", &bootstrap(), &registry_url(), &topic],
    );
    // The registry's side: three versions under BACKWARD, each with its id, and the change that
    // breaks BACKWARD (a new required property) refused.
    assert_eq!(evolved["compatibility"], "BACKWARD");
    assert_eq!(evolved["subject_versions"], json!([1, 2, 3]));
    let ids = &evolved["ids"];
    assert_eq!(
        evolved["version_ids"],
        json!([ids["1"], ids["2"], ids["3"]]),
        "{evolved}"
    );
    assert!(
        evolved["refused"].is_object(),
        "incompatible schema accepted: {evolved}"
    );
    let records = evolved["records"].as_array().unwrap();

    // flush.size=5 over 7 v1, 4 v2 and 5 v3 records: the size closes +0 and +11, the schema
    // changes (the registry version is on the Connect schema) close +5 (2 rows) and +7.
    let run = unique("py-js-evolve-run");
    let conns = vec![(
        "parquet.properties",
        s3_sink(&format!("{run}-parquet"), &topic, &run, 5),
    )];
    let w = Worker::start(dir.path(), "w", "", &conns);
    let starts = [0, 5, 7, 11];
    let parquet = wait_objects(&w, &run, 4);
    assert_eq!(
        parquet,
        starts.map(|s| format!("{run}/{topic}/partition=0/{topic}+0+{s:010}.snappy.parquet"))
    );
    let columns = |version: i64| -> Vec<&str> {
        match version {
            1 => vec!["id", "sensor", "legacy"],
            2 => vec!["id", "sensor", "legacy", "unit"],
            _ => vec!["id", "sensor", "unit"],
        }
    };
    let mut by_file: BTreeMap<usize, Vec<&Value>> = BTreeMap::new();
    for (offset, r) in records.iter().enumerate() {
        let file = starts.iter().rposition(|&s| s <= offset as i64).unwrap();
        by_file.entry(file).or_default().push(r);
    }
    for (file, want) in &by_file {
        let version = want[0]["version"].as_i64().unwrap();
        assert!(want.iter().all(|r| r["version"] == version));
        let batches = read_parquet(get(&parquet[*file]));
        let names: Vec<String> = batches[0]
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(names, columns(version), "{}", parquet[*file]);
        let rows = json_rows(&batches);
        let values: Vec<&Value> = want.iter().map(|r| &r["value"]).collect();
        assert_eq!(
            rows.iter().collect::<Vec<_>>(),
            values,
            "{}",
            parquet[*file]
        );
    }
    w.stop();
}
