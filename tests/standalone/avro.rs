//! The AvroConverter end to end: real Kafka, the real schema registry (`cargo xtask services up
//! schema-registry`), the real binary. A Datagen source writes Avro through the converter
//! (registering the schema under TopicNameStrategy's subject) and, with the same seed, JSON with
//! schemas to a second topic; FileStreamSinks read both back, and the two files must be
//! identical (the Avro round trip loses nothing the JSON one keeps); an S3 sink writes the Avro
//! topic to Parquet, read back row for row.

use super::s3::{create_topic, get_in, list_in, read_parquet};
use super::*;

pub(crate) fn registry_url() -> String {
    std::env::var("STRAIT_TEST_SCHEMA_REGISTRY").expect(
        "STRAIT_TEST_SCHEMA_REGISTRY is not set: this test needs a schema registry; run `cargo \
         xtask test` (or `cargo xtask services up schema-registry` and export the variable it \
         prints)",
    )
}

/// Raw values of the first `n` records of partition 0 of `topic`.
fn raw_values(topic: &str, n: usize) -> Vec<Vec<u8>> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::Message;
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", unique("raw"))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while out.len() < n && Instant::now() < deadline {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
            out.push(m.payload().unwrap_or_default().to_vec());
        }
    }
    out
}

#[test]
fn datagen_avro_to_file_and_parquet_matches_the_json_path() {
    let url = registry_url();
    let dir = tempfile::tempdir().unwrap();
    let avro_topic = unique("avro-users");
    let json_topic = unique("json-users");
    create_topic(&avro_topic, 1);
    create_topic(&json_topic, 1);
    let avro_file = dir.path().join("avro.txt");
    let json_file = dir.path().join("json.txt");
    let run = unique("avro-run");
    let avro = format!(
        "value.converter=io.confluent.connect.avro.AvroConverter\nvalue.converter.schema.registry.url={url}\n"
    );
    let json = "value.converter=org.apache.kafka.connect.json.JsonConverter\nvalue.converter.schemas.enable=true\n";
    let datagen = |name: &str, topic: &str, converter: &str| {
        format!(
            "name={name}\nconnector.class=DatagenConnector\ntasks.max=1\nkafka.topic={topic}\n\
             quickstart=users\nmax.interval=0\niterations=200\nrandom.seed=11\n{converter}"
        )
    };
    let file_sink = |name: &str, topic: &str, file: &Path, converter: &str| {
        format!(
            "name={name}\nconnector.class=FileStreamSink\ntopics={topic}\nfile={}\n{converter}",
            file.display()
        )
    };
    let conns = vec![
        ("gen-avro.properties", datagen(&format!("{run}-gen-avro"), &avro_topic, &avro)),
        ("gen-json.properties", datagen(&format!("{run}-gen-json"), &json_topic, json)),
        (
            "sink-avro.properties",
            file_sink(&format!("{run}-file-avro"), &avro_topic, &avro_file, &avro),
        ),
        (
            "sink-json.properties",
            file_sink(&format!("{run}-file-json"), &json_topic, &json_file, json),
        ),
        (
            "s3.properties",
            format!(
                "name={run}-s3\nconnector.class=io.confluent.connect.s3.S3SinkConnector\n\
                 tasks.max=1\ntopics={avro_topic}\ns3.bucket.name=strait-test\ns3.region=us-east-1\n\
                 store.url={}\naws.access.key.id=testing\naws.secret.access.key=testing\n\
                 topics.dir={run}\nflush.size=100\n\
                 format.class=io.confluent.connect.s3.format.parquet.ParquetFormat\n{avro}",
                std::env::var("STRAIT_TEST_S3_ENDPOINT").expect("STRAIT_TEST_S3_ENDPOINT")
            ),
        ),
    ];
    let w = Worker::start(dir.path(), "avro", "", &conns);
    wait_rest(&w);
    wait_lines(&w, &avro_file, 200, Duration::from_secs(120));
    wait_lines(&w, &json_file, 200, Duration::from_secs(120));

    // The same Connect records through Avro + the registry as through JSON with schemas.
    let avro_lines = std::fs::read_to_string(&avro_file).unwrap();
    let json_lines = std::fs::read_to_string(&json_file).unwrap();
    assert_eq!(avro_lines, json_lines);
    assert!(
        avro_lines.lines().all(|l| l.contains("userid=User_")),
        "{avro_lines}"
    );

    // Confluent's wire format in Kafka: magic byte 0 and one schema id for every record.
    let raw = raw_values(&avro_topic, 200);
    assert_eq!(raw.len(), 200);
    let id = &raw[0][1..5];
    assert!(raw.iter().all(|v| v[0] == 0 && &v[1..5] == id));

    // Parquet on S3: two files of 100 rows with the users' columns.
    let s3 = super::s3::runtime().block_on(async {
        object_store::aws::AmazonS3Builder::new()
            .with_endpoint(std::env::var("STRAIT_TEST_S3_ENDPOINT").unwrap())
            .with_allow_http(true)
            .with_bucket_name("strait-test")
            .with_region("us-east-1")
            .with_access_key_id("testing")
            .with_secret_access_key("testing")
            .build()
            .unwrap()
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let objects = loop {
        let objects = list_in(&s3, &run);
        if objects.len() >= 2 || Instant::now() > deadline {
            break objects;
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    assert_eq!(
        objects,
        vec![
            format!("{run}/{avro_topic}/partition=0/{avro_topic}+0+0000000000.snappy.parquet"),
            format!("{run}/{avro_topic}/partition=0/{avro_topic}+0+0000000100.snappy.parquet"),
        ]
    );
    let mut userids = Vec::new();
    for o in &objects {
        for batch in read_parquet(get_in(&s3, o)) {
            let names: Vec<String> = batch
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect();
            assert_eq!(names, ["registertime", "userid", "regionid", "gender"]);
            let col = batch.column_by_name("userid").unwrap();
            let col = arrow::array::AsArray::as_string::<i32>(col);
            userids.extend(col.iter().map(|v| v.unwrap().to_string()));
        }
    }
    assert_eq!(userids.len(), 200);
    // In record order, as the file sink saw them.
    let from_file: Vec<String> = avro_lines
        .lines()
        .map(|l| {
            let start = l.find("userid=").unwrap() + "userid=".len();
            l[start..].split([',', '}']).next().unwrap().to_string()
        })
        .collect();
    assert_eq!(userids, from_file);
    w.stop();
}
