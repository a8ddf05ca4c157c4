//! The ProtobufConverter against Confluent's own Protobuf serde: confluent-kafka 2.16.1's
//! Python client (`confluent_kafka.schema_registry.protobuf`), installed by `cargo xtask
//! py-clients` (or `cargo xtask test`, which sets `STRAIT_TEST_PYTHON`), on the real broker and
//! the real registry (Apicurio's Confluent-compatible API).
//!
//! - Python → Strait: records of every kind of field Strait maps (int64, string, proto3
//!   `optional` string, double, bool, enum, repeated string, map, confluent Decimal,
//!   Timestamp, google.type Date and TimeOfDay, int32, float, bytes, sint32, uint32, a nested
//!   message with an `optional` field, a oneof), registered by `ProtobufSerializer` as a base64
//!   FileDescriptorProto with the known types skipped, reach Parquet on S3 field for field with
//!   `ProtobufData.toConnectData`'s values (proto3 defaults for unset scalars, null for unset
//!   messages and optionals, the oneof as a union struct).
//! - Strait → Python: Datagen through the ProtobufConverter is read back by
//!   `ProtobufDeserializer` (message indexes and all), equal to the same seed through the
//!   JsonConverter, and the registered schema is the `.proto` text `fromConnectSchema` makes
//!   (schema-registry `protobuf-converter/.../ProtobufData.java`: the Connect name's namespace is
//!   the package, its last part the message, tags from 1).
//! - Schema evolution: three versions of a subject under BACKWARD (a field added, one removed
//!   and reserved; a field type change refused); the S3 sink rotates files at each version.
//!
//! The Python side is `protobuf_interop.py` next to this file, written into each test's
//! temporary directory.

use std::collections::BTreeMap;

use arrow::array::AsArray;
use arrow::datatypes::DataType;
use serde_json::{json, Value};

use super::avro::registry_url;
use super::avro_interop::{json_rows, python_script, registry_s3_sink, wait_objects};
use super::s3::{create_topic, get, read_parquet};
use super::*;

const SCRIPT: &str = include_str!("protobuf_interop.py");
const CONVERTER: &str = "io.confluent.connect.protobuf.ProtobufConverter";

/// Run `protobuf_interop.py <args…>` with confluent-kafka's interpreter; its JSON output.
fn python(dir: &Path, args: &[&str]) -> Value {
    python_script(dir, "protobuf_interop.py", SCRIPT, args)
}

/// The S3 sink's properties for `topic` under `topics_dir`, values through the
/// ProtobufConverter, Parquet files.
fn s3_sink(name: &str, topic: &str, topics_dir: &str, flush_size: usize) -> String {
    registry_s3_sink(
        name,
        topic,
        topics_dir,
        CONVERTER,
        &format!(
            "flush.size={flush_size}\nformat.class=io.confluent.connect.s3.format.parquet.ParquetFormat"
        ),
    )
}

#[test]
fn python_protobuf_serializer_records_reach_parquet_field_for_field() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("py-proto-to-strait");
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
    assert_eq!(produced["ids"].as_array().unwrap().len(), 1, "{produced}");
    assert_eq!(
        produced["index_byte"], 0,
        "the first message's indexes: [0]"
    );

    let run = unique("py-proto-to-strait-run");
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

    // ProtobufData's Connect types: oneofs first (`choice_0`), then the fields in declaration
    // order; uint32 widened to INT64; the logical types kept; every field optional.
    let schema = batches[0].schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(
        names,
        [
            "choice_0", "id", "name", "note", "amount", "active", "suit", "tags", "attrs", "price",
            "ts", "day", "count", "ratio", "blob", "at", "delta", "big", "address"
        ]
    );
    let ty = |name: &str| schema.field_with_name(name).unwrap().data_type().clone();
    assert_eq!(ty("id"), DataType::Int64);
    assert_eq!(ty("big"), DataType::Int64, "uint32 is an unsigned INT64");
    assert_eq!(ty("delta"), DataType::Int32);
    assert_eq!(ty("suit"), DataType::Utf8, "enums are their symbols");
    // A Decimal without `connect.decimal.precision` (Python cannot set Confluent's field
    // meta): the S3 sink writes it with AvroData's default precision 64, which reads back as
    // Decimal256.
    assert!(
        matches!(ty("price"), DataType::Decimal256(64, 0)),
        "{}",
        ty("price")
    );
    assert!(
        matches!(ty("ts"), DataType::Timestamp(_, _)),
        "{}",
        ty("ts")
    );
    assert_eq!(ty("day"), DataType::Date32);
    assert!(matches!(ty("at"), DataType::Time32(_)), "{}", ty("at"));
    // The map's key is optional (toConnectSchema makes every field optional), so the S3 sink
    // writes it as AvroData does such maps: an array of key/value records.
    assert!(
        matches!(&ty("attrs"), DataType::List(entry) if matches!(entry.data_type(), DataType::Struct(kv) if kv.len() == 2)),
        "{}",
        ty("attrs")
    );
    assert!(
        matches!(ty("choice_0"), DataType::Struct(_)),
        "{}",
        ty("choice_0")
    );
    assert!(schema.fields().iter().all(|f| f.is_nullable()));

    // Field for field, in offset order, what the Python serializer was handed (the Decimal256
    // price column, which `json_rows` does not print, on its own).
    let prices: Vec<i64> = batches
        .iter()
        .flat_map(|b| {
            let col = b.column_by_name("price").unwrap();
            let col = col.as_primitive::<arrow::datatypes::Decimal256Type>();
            (0..col.len())
                .map(|i| col.value(i).to_string().parse::<i64>().unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    let batches: Vec<arrow::array::RecordBatch> = batches
        .iter()
        .map(|b| {
            let mut b = b.clone();
            b.remove_column(b.schema().index_of("price").unwrap());
            b
        })
        .collect();
    let read = json_rows(&batches);
    assert_eq!(read.len(), n);
    for (i, (got, want)) in read.iter().zip(written).enumerate() {
        let mut want = want.clone();
        let price = want.as_object_mut().unwrap().remove("price").unwrap();
        let attrs: Vec<Value> = want["attrs"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| json!({"key": k, "value": v}))
            .collect();
        want["attrs"] = Value::Array(attrs);
        // Map entries go in the writer's order, which is no order (upb's hash order, Java's
        // HashMap): compare them sorted by key.
        let mut got = got.clone();
        for v in [&mut got, &mut want] {
            if let Some(entries) = v["attrs"].as_array_mut() {
                entries.sort_by_key(|e| e["key"].as_str().unwrap_or_default().to_string());
            }
        }
        assert_eq!(json!(prices[i]), price, "record {i} price");
        assert_eq!(got, want, "record {i}");
    }
    w.stop();
}

#[test]
fn strait_protobuf_is_read_by_pythons_protobuf_deserializer() {
    let dir = tempfile::tempdir().unwrap();
    let run = unique("strait-proto-to-py");
    let n = 150;
    let proto_topic = format!("{run}-users-proto");
    let json_topic = format!("{run}-users-json");
    let mut conns = Vec::new();
    for (i, (topic, converter)) in [
        (
            &proto_topic,
            format!(
                "value.converter={CONVERTER}\nvalue.converter.schema.registry.url={}\n",
                registry_url()
            ),
        ),
        (
            &json_topic,
            "value.converter=org.apache.kafka.connect.json.JsonConverter\n\
             value.converter.schemas.enable=false\n"
                .to_string(),
        ),
    ]
    .into_iter()
    .enumerate()
    {
        create_topic(topic, 1);
        conns.push((
            format!("gen-{i}.properties"),
            format!(
                "name={topic}-gen\nconnector.class=DatagenConnector\ntasks.max=1\n\
                 kafka.topic={topic}\nquickstart=users\nmax.interval=0\n\
                 iterations={n}\nrandom.seed=29\n{converter}"
            ),
        ));
    }
    let conns: Vec<(&str, String)> = conns.iter().map(|(f, c)| (f.as_str(), c.clone())).collect();
    let w = Worker::start(dir.path(), "w", "", &conns);
    wait_rest(&w);

    let read = python(
        dir.path(),
        &[
            "consume",
            &bootstrap(),
            &registry_url(),
            &proto_topic,
            &n.to_string(),
        ],
    );
    let records = read["records"].as_array().unwrap();
    assert_eq!(records.len(), n);
    assert_eq!(read["subject_versions"], json!([1]));
    assert_eq!(read["ids"], json!([read["latest_id"]]));
    assert_eq!(read["index_bytes"], json!([0]));
    // fromConnectSchema of Datagen's `ksql.users` struct.
    assert_eq!(
        read["schema"],
        "syntax = \"proto3\";\npackage ksql;\n\nmessage users {\n  int64 registertime = 1;\n  \
         string userid = 2;\n  string regionid = 3;\n  string gender = 4;\n}\n"
    );
    assert_eq!(read["message"], "ksql.users");
    let via_json = consume(&json_topic, n, |m| {
        use rdkafka::Message;
        serde_json::from_slice::<Value>(m.payload().unwrap()).unwrap()
    });
    for (i, (got, want)) in records.iter().zip(&via_json).enumerate() {
        assert_eq!(got, want, "record {i}");
    }
    w.stop();
}

#[test]
fn protobuf_schema_versions_rotate_files() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("py-proto-evolve");
    create_topic(&topic, 1);
    let evolved = python(
        dir.path(),
        &["evolve", &bootstrap(), &registry_url(), &topic],
    );
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
        "a field type change accepted under BACKWARD: {evolved}"
    );
    let records = evolved["records"].as_array().unwrap();

    // flush.size=5 over 7 v1, 4 v2 and 5 v3 records: the size closes +0 and +11, the schema
    // changes close +5 (2 rows) and +7 (4 rows).
    let run = unique("py-proto-evolve-run");
    let conns = vec![(
        "s3.properties",
        s3_sink(&format!("{run}-s3"), &topic, &run, 5),
    )];
    let w = Worker::start(dir.path(), "w", "", &conns);
    let starts = [0, 5, 7, 11];
    let objects = wait_objects(&w, &run, 4);
    assert_eq!(
        objects,
        starts.map(|s| format!("{run}/{topic}/partition=0/{topic}+0+{s:010}.snappy.parquet"))
    );
    let mut by_file: BTreeMap<usize, Vec<&Value>> = BTreeMap::new();
    for (offset, r) in records.iter().enumerate() {
        let file = starts.iter().rposition(|&s| s <= offset as i64).unwrap();
        by_file.entry(file).or_default().push(r);
    }
    for (file, want) in &by_file {
        let version = want[0]["version"].as_i64().unwrap();
        assert!(want.iter().all(|r| r["version"] == version));
        let batches = read_parquet(get(&objects[*file]));
        let names: Vec<String> = batches[0]
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        let expected: &[&str] = match version {
            1 => &["id", "sensor", "legacy"],
            2 => &["id", "sensor", "legacy", "unit"],
            _ => &["id", "sensor", "unit"],
        };
        assert_eq!(names, expected, "{}", objects[*file]);
        let values: Vec<&Value> = want.iter().map(|r| &r["value"]).collect();
        assert_eq!(json_rows(&batches).iter().collect::<Vec<_>>(), values);
    }
    w.stop();
}
