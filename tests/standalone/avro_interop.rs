//! The AvroConverter against Confluent's own Avro serde: confluent-kafka 2.16.1's Python client
//! (`confluent_kafka.schema_registry.avro`, over fastavro), installed by `cargo xtask py-clients`
//! (or `cargo xtask test`, which sets `STRAIT_TEST_PYTHON`), on the real broker and the real
//! registry (Apicurio's Confluent-compatible API).
//!
//! - Python → Strait: records of every Avro type the serializer writes (long, string, optional
//!   string, double, boolean, enum, array, map, decimal bytes, timestamp-millis, date, and also
//!   int, float, bytes, time-millis, a nested record) reach Parquet on S3 field for field, with
//!   Parquet's DECIMAL/TIMESTAMP/DATE/TIME types.
//! - Strait → Python: Datagen through the AvroConverter is read back by `AvroDeserializer`, equal
//!   to the same seed through the JsonConverter, and the registered schemas are the ones
//!   `AvroData.fromConnectSchema` writes (schema-registry
//!   `avro-data/src/main/java/io/confluent/connect/avro/AvroData.java`: a named struct becomes a
//!   record in the name's namespace with `connect.name`; an unnamed one is
//!   `io.confluent.connect.avro.ConnectDefault`, without `connect.name`).
//! - Schema evolution: three versions of a subject under BACKWARD; the S3 sink rotates files at
//!   each version change and its Avro files carry the registry version as `connect.version`.
//!
//! - Every compatibility level: three versions (a field added with a default, one with a
//!   default removed) under each of BACKWARD, FORWARD, FULL, their transitive forms and NONE;
//!   the registry judges two probe changes as the level says, and Strait reads every record
//!   of every level with its values and its subject version.
//!
//! The Python side is `avro_interop.py` next to this file, written into each test's temporary
//! directory.

use std::collections::BTreeMap;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, TimeUnit};
use serde_json::{json, Value};

use super::avro::registry_url;
use super::s3::{create_topic, get, list, read_parquet, s3_endpoint, BUCKET};
use super::*;

const SCRIPT: &str = include_str!("avro_interop.py");

/// Run `avro_interop.py <args…>` with confluent-kafka's interpreter; its JSON output.
fn python(dir: &Path, args: &[&str]) -> Value {
    python_script(dir, "avro_interop.py", SCRIPT, args)
}

/// Write `script` as `dir/name` and run it with `args` under confluent-kafka's interpreter;
/// its JSON output (shared with the other registry converters' interop tests).
pub(crate) fn python_script(dir: &Path, name: &str, script: &str, args: &[&str]) -> Value {
    let interpreter = std::env::var("STRAIT_TEST_PYTHON").expect(
        "STRAIT_TEST_PYTHON is not set: this test needs Confluent's Python client; run `cargo \
         xtask test` (or `cargo xtask py-clients` and export the variable it prints)",
    );
    let path = dir.join(name);
    std::fs::write(&path, script).unwrap();
    let out = Command::new(interpreter)
        .arg(&path)
        .args(args)
        // authlib warns about httpx on import; keep stderr for real failures.
        .env("PYTHONWARNINGS", "ignore")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{name} {args:?} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{name} {args:?} printed no JSON ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// The S3 sink's properties for `topic` under `topics_dir`.
fn s3_sink(name: &str, topic: &str, topics_dir: &str, extra: &str) -> String {
    registry_s3_sink(
        name,
        topic,
        topics_dir,
        "io.confluent.connect.avro.AvroConverter",
        extra,
    )
}

/// The S3 sink's properties for `topic` under `topics_dir`, values read by the registry
/// converter `converter` (shared with the other registry converters' interop tests), then
/// `extra` lines.
pub(crate) fn registry_s3_sink(
    name: &str,
    topic: &str,
    topics_dir: &str,
    converter: &str,
    extra: &str,
) -> String {
    format!(
        "name={name}\nconnector.class=io.confluent.connect.s3.S3SinkConnector\ntasks.max=1\n\
         topics={topic}\ns3.bucket.name={BUCKET}\ns3.region=us-east-1\nstore.url={}\n\
         aws.access.key.id=testing\naws.secret.access.key=testing\ntopics.dir={topics_dir}\n\
         value.converter={converter}\nvalue.converter.schema.registry.url={}\n{extra}\n",
        s3_endpoint(),
        registry_url()
    )
}

/// The object keys under `prefix` once there are `n` of them.
pub(crate) fn wait_objects(w: &Worker, prefix: &str, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let objects = list(prefix);
        if objects.len() >= n {
            return objects;
        }
        assert!(
            Instant::now() < deadline,
            "only {objects:?} of {n} objects under {prefix}; log:\n{}",
            w.log()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Row `i` of an Arrow column as the Python script prints values: decimals as unscaled
/// integers, timestamps as epoch milliseconds, dates as epoch days, times as milliseconds of
/// the day, bytes as hex, maps and structs as objects.
pub(crate) fn cell(col: &dyn Array, i: usize) -> Value {
    use arrow::datatypes::*;
    if col.is_null(i) {
        return Value::Null;
    }
    match col.data_type() {
        DataType::Int32 => json!(col.as_primitive::<Int32Type>().value(i)),
        DataType::Int64 => json!(col.as_primitive::<Int64Type>().value(i)),
        DataType::Float32 => json!(f64::from(col.as_primitive::<Float32Type>().value(i))),
        DataType::Float64 => json!(col.as_primitive::<Float64Type>().value(i)),
        DataType::Binary => {
            let bytes = col.as_binary::<i32>().value(i);
            json!(bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
        }
        DataType::Time32(TimeUnit::Millisecond) => {
            json!(col.as_primitive::<Time32MillisecondType>().value(i))
        }
        DataType::Boolean => json!(col.as_boolean().value(i)),
        DataType::Utf8 => json!(col.as_string::<i32>().value(i)),
        DataType::Decimal128(_, _) => {
            let unscaled = col.as_primitive::<Decimal128Type>().value(i);
            json!(i64::try_from(unscaled).unwrap())
        }
        DataType::Decimal256(_, _) => {
            let unscaled = col.as_primitive::<Decimal256Type>().value(i);
            json!(i64::try_from(unscaled.to_i128().unwrap()).unwrap())
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            json!(col.as_primitive::<TimestampMillisecondType>().value(i))
        }
        DataType::Date32 => json!(col.as_primitive::<Date32Type>().value(i)),
        DataType::List(_) => {
            let items = col.as_list::<i32>().value(i);
            Value::Array((0..items.len()).map(|j| cell(&items, j)).collect())
        }
        DataType::Map(_, _) => {
            let entries = col.as_map().value(i);
            let (keys, values) = (entries.column(0), entries.column(1));
            Value::Object(
                (0..entries.len())
                    .map(|j| (cell(keys, j).as_str().unwrap().to_string(), cell(values, j)))
                    .collect(),
            )
        }
        DataType::Struct(_) => {
            let s = col.as_struct();
            Value::Object(
                s.column_names()
                    .iter()
                    .zip(s.columns())
                    .map(|(name, c)| (name.to_string(), cell(c, i)))
                    .collect(),
            )
        }
        other => panic!("no JSON form for {other} in this test"),
    }
}

/// Every row of `batches` as a JSON object of its columns.
pub(crate) fn json_rows(batches: &[RecordBatch]) -> Vec<Value> {
    let mut out = Vec::new();
    for b in batches {
        for i in 0..b.num_rows() {
            out.push(Value::Object(
                b.schema()
                    .fields()
                    .iter()
                    .zip(b.columns())
                    .map(|(f, c)| (f.name().clone(), cell(c, i)))
                    .collect(),
            ));
        }
    }
    out
}

/// The Parquet schema parquet-avro's `AvroSchemaConverter` makes of AvroData's schema for the
/// `Payment` record: the message named after the record, DECIMAL(10, 2) (here on INT64, arrow-rs
/// cannot write BINARY decimals), DATE, TIME(MILLIS) and TIMESTAMP(MILLIS), both UTC-adjusted
/// as parquet-avro writes Avro's time/timestamp-millis. (Not asserted: the
/// enum column. Confluent's S3 sink defaults to `enhanced.avro.schema.support=true`, so
/// AvroData turns the Connect string back into an Avro enum and parquet-avro writes
/// `binary (ENUM)`; Strait writes `binary (STRING)`.)
fn assert_parquet_logical_types(bytes: &[u8]) {
    use parquet::basic::{LogicalType, TimeUnit as Unit, Type as Physical};
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let reader = SerializedFileReader::new(bytes::Bytes::copy_from_slice(bytes)).unwrap();
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    assert_eq!(schema.root_schema().name(), "io.strait.interop.Payment");
    let column = |path: &str| {
        let c = schema
            .columns()
            .iter()
            .find(|c| c.path().string() == path)
            .unwrap_or_else(|| panic!("no column {path}"));
        (c.physical_type(), c.logical_type_ref().cloned())
    };
    assert_eq!(
        column("price"),
        (Physical::INT64, Some(LogicalType::decimal(2, 10)))
    );
    assert_eq!(
        column("ts"),
        (
            Physical::INT64,
            Some(LogicalType::timestamp(true, Unit::MILLIS))
        )
    );
    assert_eq!(column("day"), (Physical::INT32, Some(LogicalType::Date)));
    assert_eq!(
        column("at"),
        (Physical::INT32, Some(LogicalType::time(true, Unit::MILLIS)))
    );
    assert_eq!(column("blob"), (Physical::BYTE_ARRAY, None));
    assert_eq!(column("address.zip"), (Physical::INT32, None));
    assert_eq!(
        column("attrs.key_value.key"),
        (Physical::BYTE_ARRAY, Some(LogicalType::String))
    );
}

#[test]
fn python_avro_serializer_records_reach_parquet_field_for_field() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("py-to-strait");
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

    let run = unique("py-to-strait-run");
    let conns = vec![(
        "s3.properties",
        s3_sink(
            &format!("{run}-s3"),
            &topic,
            &run,
            &format!(
                "flush.size={n}\nformat.class=io.confluent.connect.s3.format.parquet.ParquetFormat"
            ),
        ),
    )];
    let w = Worker::start(dir.path(), "w", "", &conns);
    let objects = wait_objects(&w, &run, 1);
    assert_eq!(
        objects,
        [format!(
            "{run}/{topic}/partition=0/{topic}+0+0000000000.snappy.parquet"
        )]
    );
    let bytes = get(&objects[0]);
    assert_parquet_logical_types(&bytes);
    let batches = read_parquet(bytes);

    // AvroData's Connect types, written as parquet-avro writes them: the enum is a string, the
    // decimal keeps the Avro precision (connect.decimal.precision) and scale, timestamp-millis
    // and date stay logical, the optional string alone is nullable.
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
            "day", "count", "ratio", "blob", "at", "address"
        ]
    );
    let ty = |name: &str| types.iter().find(|(n, _, _)| n == name).unwrap();
    assert_eq!(ty("id").1, DataType::Int64);
    assert_eq!(ty("name").1, DataType::Utf8);
    assert_eq!((&ty("note").1, ty("note").2), (&DataType::Utf8, true));
    assert_eq!(ty("amount").1, DataType::Float64);
    assert_eq!(ty("active").1, DataType::Boolean);
    assert_eq!(ty("suit").1, DataType::Utf8);
    assert!(
        matches!(&ty("tags").1, DataType::List(item) if *item.data_type() == DataType::Utf8),
        "{:?}",
        ty("tags")
    );
    match &ty("attrs").1 {
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(kv) => {
                assert_eq!(kv[0].data_type(), &DataType::Utf8);
                assert_eq!(kv[1].data_type(), &DataType::Int64);
            }
            other => panic!("map entries {other}"),
        },
        other => panic!("attrs is {other}, want a Parquet MAP"),
    }
    assert_eq!(ty("price").1, DataType::Decimal128(10, 2));
    assert!(
        matches!(
            &ty("ts").1,
            DataType::Timestamp(TimeUnit::Millisecond, Some(_))
        ),
        "ts is {:?}, want TIMESTAMP(MILLIS, UTC-adjusted)",
        ty("ts").1
    );
    assert_eq!(ty("day").1, DataType::Date32);
    assert_eq!(ty("count").1, DataType::Int32);
    assert_eq!(ty("ratio").1, DataType::Float32);
    assert_eq!(ty("blob").1, DataType::Binary);
    assert_eq!(ty("at").1, DataType::Time32(TimeUnit::Millisecond));
    match &ty("address").1 {
        DataType::Struct(fields) => {
            let fields: Vec<(&str, &DataType, bool)> = fields
                .iter()
                .map(|f| (f.name().as_str(), f.data_type(), f.is_nullable()))
                .collect();
            assert_eq!(
                fields,
                [
                    ("city", &DataType::Utf8, false),
                    ("zip", &DataType::Int32, true)
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

/// What `AvroData.fromConnectSchema` writes for Datagen's `users` (a named struct: a record in
/// the name's namespace, `connect.name` = the Connect name).
fn users_avro_schema() -> Value {
    json!({"type": "record", "name": "users", "namespace": "ksql", "fields": [
        {"name": "registertime", "type": "long"},
        {"name": "userid", "type": "string"},
        {"name": "regionid", "type": "string"},
        {"name": "gender", "type": "string"}],
        "connect.name": "ksql.users"})
}

/// `orders` under HoistField$Value's unnamed struct: `ConnectDefault` in AvroData's namespace,
/// no `connect.name`; the nested records keep theirs (`address` shares `orders`' namespace, so
/// Avro leaves it out).
fn hoisted_orders_avro_schema() -> Value {
    json!({"type": "record", "name": "ConnectDefault", "namespace": "io.confluent.connect.avro",
        "fields": [{"name": "order", "type": {
            "type": "record", "name": "orders", "namespace": "ksql", "fields": [
                {"name": "ordertime", "type": "long"},
                {"name": "orderid", "type": "int"},
                {"name": "itemid", "type": "string"},
                {"name": "orderunits", "type": "double"},
                {"name": "address", "type": {"type": "record", "name": "address", "fields": [
                    {"name": "city", "type": "string"},
                    {"name": "state", "type": "string"},
                    {"name": "zipcode", "type": "long"}],
                    "connect.name": "ksql.address"}}],
            "connect.name": "ksql.orders"}}]})
}

#[test]
fn strait_avro_is_read_by_pythons_avro_deserializer() {
    let dir = tempfile::tempdir().unwrap();
    let run = unique("strait-to-py");
    let n = 150;
    let avro = format!(
        "value.converter=io.confluent.connect.avro.AvroConverter\n\
         value.converter.schema.registry.url={}\n",
        registry_url()
    );
    let json = "value.converter=org.apache.kafka.connect.json.JsonConverter\n\
                value.converter.schemas.enable=false\n";
    let hoist = "transforms=hoist\ntransforms.hoist.type=org.apache.kafka.connect.transforms.HoistField$Value\n\
                 transforms.hoist.field=order\n";
    // (quickstart, extra source config, expected registered schema)
    let cases = [
        ("users", "", users_avro_schema()),
        ("orders", hoist, hoisted_orders_avro_schema()),
    ];
    let mut conns = Vec::new();
    let mut topics = Vec::new();
    for (quickstart, extra, _) in &cases {
        let avro_topic = format!("{run}-{quickstart}-avro");
        let json_topic = format!("{run}-{quickstart}-json");
        for (topic, converter) in [(&avro_topic, avro.as_str()), (&json_topic, json)] {
            create_topic(topic, 1);
            conns.push((
                "gen.properties",
                format!(
                    "name={topic}-gen\nconnector.class=DatagenConnector\ntasks.max=1\n\
                     kafka.topic={topic}\nquickstart={quickstart}\nmax.interval=0\n\
                     iterations={n}\nrandom.seed=29\n{converter}{extra}"
                ),
            ));
        }
        topics.push((avro_topic, json_topic));
    }
    // Worker::start writes each connector to the file named in its pair: make them distinct.
    let conns: Vec<(String, String)> = conns
        .into_iter()
        .enumerate()
        .map(|(i, (_, c))| (format!("gen-{i}.properties"), c))
        .collect();
    let conns: Vec<(&str, String)> = conns.iter().map(|(f, c)| (f.as_str(), c.clone())).collect();
    let w = Worker::start(dir.path(), "w", "", &conns);
    wait_rest(&w);

    for ((avro_topic, json_topic), (quickstart, _, schema)) in topics.iter().zip(&cases) {
        let read = python(
            dir.path(),
            &[
                "consume",
                &bootstrap(),
                &registry_url(),
                avro_topic,
                &n.to_string(),
            ],
        );
        let records = read["records"].as_array().unwrap();
        assert_eq!(records.len(), n, "{quickstart}: {} records", records.len());
        // Every record under the one schema Strait registered under TopicNameStrategy's subject.
        assert_eq!(read["subject_versions"], json!([1]), "{quickstart}");
        assert_eq!(read["ids"], json!([read["latest_id"]]), "{quickstart}");
        assert_eq!(&read["schema"], schema, "{quickstart}: registered schema");
        // The same Connect records the JsonConverter wrote for the same seed.
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

/// What the S3 sink's AvroFormat writes for `Reading` version `version` (AvroData: the
/// `connect.version` the converter took from the registry, `connect.name` from the Avro full
/// name; `unit`'s default stays an Avro field default, and the `io.confluent.connect.avro.
/// field.default` flag toConnectSchema put on it keeps `connect.default`/`connect.parameters`
/// off the type, per `fromConnectSchema` and `parametersFromConnect`).
fn avro_file_schema(version: i64) -> Value {
    let mut fields = vec![
        json!({"name": "id", "type": "long"}),
        json!({"name": "sensor", "type": "string"}),
    ];
    if version < 3 {
        fields.push(json!({"name": "legacy", "type": "string"}));
    }
    if version >= 2 {
        fields.push(json!({"name": "unit", "type": "string", "default": "celsius"}));
    }
    json!({"type": "record", "name": "Reading", "namespace": "io.strait.interop",
        "fields": fields, "connect.version": version, "connect.name": "io.strait.interop.Reading"})
}

#[test]
fn schema_versions_rotate_files_and_reach_the_avro_header() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("py-evolve");
    create_topic(&topic, 1);
    let evolved = python(
        dir.path(),
        &["evolve", &bootstrap(), &registry_url(), &topic],
    );
    // The registry's side: three versions under BACKWARD, each with its id, and the change that
    // breaks BACKWARD (a field without a default) refused (with Apicurio's status and wording,
    // so only "refused" is asserted).
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
    let versions: Vec<i64> = records
        .iter()
        .map(|r| r["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 3]);

    // flush.size=5 over 7 v1, 4 v2 and 5 v3 records: the size closes +0 and +11, the schema
    // changes close +5 (2 rows) and +7 (4 rows) — Confluent's schema.compatibility=NONE.
    let run = unique("py-evolve-run");
    let parquet_dir = format!("{run}-parquet");
    let avro_dir = format!("{run}-avro");
    let conns = vec![
        (
            "parquet.properties",
            s3_sink(
                &format!("{run}-parquet"),
                &topic,
                &parquet_dir,
                "flush.size=5\nformat.class=io.confluent.connect.s3.format.parquet.ParquetFormat",
            ),
        ),
        (
            "avro.properties",
            s3_sink(
                &format!("{run}-avro"),
                &topic,
                &avro_dir,
                "flush.size=5\nformat.class=io.confluent.connect.s3.format.avro.AvroFormat",
            ),
        ),
    ];
    let w = Worker::start(dir.path(), "w", "", &conns);
    let starts = [0, 5, 7, 11];
    let key = |dir: &str, start: i64, ext: &str| {
        format!("{dir}/{topic}/partition=0/{topic}+0+{start:010}.{ext}")
    };
    let parquet = wait_objects(&w, &parquet_dir, 4);
    let avro = wait_objects(&w, &avro_dir, 4);
    assert_eq!(
        parquet,
        starts.map(|s| key(&parquet_dir, s, "snappy.parquet"))
    );
    assert_eq!(avro, starts.map(|s| key(&avro_dir, s, "avro")));

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
        // Parquet: the version's columns, the rows Python wrote.
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

        // Avro: AvroData writes the registry version the converter put on the Connect schema.
        let bytes = get(&avro[*file]);
        let reader = arrow_avro::reader::ReaderBuilder::new()
            .build(std::io::Cursor::new(bytes))
            .unwrap();
        let header: Value =
            serde_json::from_slice(reader.avro_header().get("avro.schema").unwrap()).unwrap();
        assert_eq!(header, avro_file_schema(version), "{}", avro[*file]);
        let avro_rows = json_rows(&reader.map(|b| b.unwrap()).collect::<Vec<_>>());
        assert_eq!(
            avro_rows.iter().collect::<Vec<_>>(),
            values,
            "{}",
            avro[*file]
        );
    }
    w.stop();
}

/// What each level must say of the two probes (Confluent's compatibility rules, schema-registry
/// `core/src/main/java/io/confluent/kafka/schemaregistry/CompatibilityLevel.java` and
/// `avro/AvroSchema.isCompatible`): (a new field without a default, `sensor` removed). A third
/// probe that fits only the latest version (`legacy` back as an int) would tell the transitive
/// levels apart, but Apicurio 3.3.3 judges it against every version under plain BACKWARD too
/// (Confluent compares with the latest only), so it is not asserted.
fn probe_verdicts(level: &str) -> (bool, bool) {
    match level {
        "BACKWARD" | "BACKWARD_TRANSITIVE" => (false, true),
        "FORWARD" | "FORWARD_TRANSITIVE" => (true, false),
        "FULL" | "FULL_TRANSITIVE" => (false, false),
        "NONE" => (true, true),
        other => panic!("unknown level {other}"),
    }
}

#[test]
fn evolution_flows_through_under_every_compatibility_level() {
    evolution_under_every_level(
        "avro_interop.py",
        SCRIPT,
        "io.confluent.connect.avro.AvroConverter",
        |level, report| {
            let verdicts = (
                report["add_required"].as_bool().unwrap(),
                report["remove_required"].as_bool().unwrap(),
            );
            assert_eq!(verdicts, probe_verdicts(level), "{level}: {report}");
        },
    );
}

/// The compatibility levels a subject can have.
const LEVELS: [&str; 7] = [
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
    "NONE",
];

/// Schema evolution under every compatibility level, for a registry converter (shared with the
/// other converters' interop tests): `script`'s `levels` command produces, per level, two
/// records of each of three versions (`id`, `sensor`, `legacy`; then `unit` added; then
/// `legacy` removed) to `<prefix>-<level>`, the level set on the subject after version 1, and
/// reports the registry's verdicts on breaking changes, which `check_verdicts` asserts. One S3
/// sink per level (Parquet, flush.size=2, values read by `converter`) must write one file per
/// version with that version's columns and the records' values.
pub(crate) fn evolution_under_every_level(
    script_name: &str,
    script: &str,
    converter: &str,
    check_verdicts: impl Fn(&str, &Value),
) {
    let dir = tempfile::tempdir().unwrap();
    let prefix = unique("py-levels");
    let level_topic = |level: &str| format!("{prefix}-{}", level.to_lowercase().replace('_', "-"));
    for level in LEVELS {
        create_topic(&level_topic(level), 1);
    }
    let out = python_script(
        dir.path(),
        script_name,
        script,
        &["levels", &bootstrap(), &registry_url(), &prefix],
    );
    let run = unique("py-levels-run");
    let sink_dir = |level: &str| format!("{run}-{}", level.to_lowercase());
    let mut conns = Vec::new();
    for level in LEVELS {
        let report = &out[level];
        assert_eq!(report["topic"], level_topic(level), "{report}");
        assert_eq!(report["compatibility"], level, "{report}");
        assert_eq!(report["versions"], json!([1, 2, 3]), "{level}: {report}");
        check_verdicts(level, report);
        conns.push((
            format!("{level}.properties"),
            registry_s3_sink(
                &sink_dir(level),
                &level_topic(level),
                &sink_dir(level),
                converter,
                "flush.size=2\nformat.class=io.confluent.connect.s3.format.parquet.ParquetFormat",
            ),
        ));
    }
    let conn_refs: Vec<(&str, String)> =
        conns.iter().map(|(n, c)| (n.as_str(), c.clone())).collect();
    let w = Worker::start(dir.path(), "w", "", &conn_refs);
    for level in LEVELS {
        let records = out[level]["records"].as_array().unwrap();
        let files = wait_objects(&w, &sink_dir(level), 3);
        for (n, file) in files.iter().enumerate() {
            let batches = read_parquet(get(file));
            let batch = &batches[0];
            let version = records[2 * n]["version"].as_i64().unwrap();
            let names: Vec<&str> = batch
                .schema_ref()
                .fields()
                .iter()
                .map(|f| f.name().as_str())
                .collect();
            let want_names: Vec<&str> = match version {
                1 => vec!["id", "sensor", "legacy"],
                2 => vec!["id", "sensor", "legacy", "unit"],
                _ => vec!["id", "sensor", "unit"],
            };
            assert_eq!(names, want_names, "{level} file {n}");
            assert_eq!(batch.num_rows(), 2);
            for row in 0..2 {
                let want = &records[2 * n + row]["value"];
                let sensor = batch
                    .column_by_name("sensor")
                    .unwrap()
                    .as_string::<i32>()
                    .value(row);
                assert_eq!(sensor, want["sensor"].as_str().unwrap(), "{level}");
                if let Some(unit) = batch.column_by_name("unit") {
                    assert_eq!(unit.as_string::<i32>().value(row), "kelvin", "{level}");
                }
            }
        }
    }
    w.stop();
}
