//! Smoke tests of the S3 sink's other object stores (`store.url=az://…`, a Strait extension, see
//! connectors/src/s3/store.rs) end to end: real Kafka, the real binary, and an emulator instead
//! of the cloud — Azurite for Azure Blob Storage (`cargo xtask services up azurite`).
//!
//! The worker reaches the emulator only through object_store's own environment, as a real
//! deployment would (`AZURE_STORAGE_USE_EMULATOR` + `AZURITE_BLOB_STORAGE_URL`). Each test writes
//! JSON lines and Parquet with `flush.size=3` and reads every object back through a separately
//! built object_store client, comparing the object list with Confluent's names and every file's
//! records with what was produced. Azurite also checks SharedKey signatures, which moto does
//! not, so the wrong-credentials case of the S3 sink is tested here.
//!
//! `gs://` has no such test: no Google Cloud Storage emulator from the package registries serves
//! the XML API object_store's GCS client uses for uploads and listings (details in the doc of
//! xtask/src/services/mod.rs).

use std::sync::Arc;

use object_store::ObjectStore;

use super::s3::{
    create_topic, envelope, expected_rows, get_in, list_in, model, model_commits, plain_json,
    produce, read_parquet, records, rows, wait_commits,
};
use super::*;

/// The container xtask creates when it starts Azurite.
const CONTAINER: &str = "strait-test";
/// Azurite's well-known development account (public, documented by Microsoft).
const AZURITE_ACCOUNT: &str = "devstoreaccount1";
const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

fn azurite_url() -> String {
    let url = std::env::var("STRAIT_TEST_AZURITE_URL").expect(
        "STRAIT_TEST_AZURITE_URL is not set: this test needs Azurite; run `cargo xtask test` \
         (or `cargo xtask services up azurite` and export STRAIT_TEST_AZURITE_URL=http://127.0.0.1:10000)",
    );
    // Fail at once, not after the sink's retries time out.
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    assert!(
        TcpStream::connect(addr).is_ok(),
        "STRAIT_TEST_AZURITE_URL={url}, but nothing answers there: start Azurite with \
         `cargo xtask services up azurite`"
    );
    url
}

/// Produces 3 partitions × 9 records, runs a JSON and a Parquet S3 sink (flush.size=3, so every
/// record lands in a committed file) against `store_url` with `env` for the worker, and checks
/// every object through `reader`.
fn round_trip(label: &str, store_url: &str, env: &[(&str, String)], reader: Arc<dyn ObjectStore>) {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique(&format!("{label}-orders"));
    let run = unique("run");
    create_topic(&topic, 3);
    let recs = records(3, 9);
    produce(&topic, &recs, envelope);

    let common = format!(
        "connector.class=io.confluent.connect.s3.S3SinkConnector\ntasks.max=2\ntopics={topic}\n\
         s3.bucket.name=unused-when-the-url-names-one\nstore.url={store_url}\nflush.size=3\n\
         value.converter=org.apache.kafka.connect.json.JsonConverter\n\
         value.converter.schemas.enable=true\n"
    );
    let connectors = vec![
        (
            "json.properties",
            // Default topics.dir ("topics") and partitioner: Confluent's plain layout.
            format!(
                "name={run}-json\n{common}format.class=io.confluent.connect.s3.format.json.JsonFormat\n"
            ),
        ),
        (
            "parquet.properties",
            format!(
                "name={run}-parquet\n{common}topics.dir={run}\n\
                 format.class=io.confluent.connect.s3.format.parquet.ParquetFormat\n"
            ),
        ),
    ];
    let w = Worker::start_with_env(dir.path(), label, "", &connectors, env);

    let partition = |r: &super::s3::Rec| format!("partition={}", r.partition);
    let json = model("topics", &topic, &recs, 3, partition);
    let parquet = model(&run, &topic, &recs, 3, partition);
    // 3 partitions × 3 files, and nothing left open.
    assert_eq!(json.len(), 9);
    assert_eq!(
        json.iter().map(|f| f.records.len()).sum::<usize>(),
        recs.len()
    );
    wait_commits(
        &format!("connect-{run}-json"),
        &topic,
        &model_commits(&recs, &json),
        &w,
    );
    wait_commits(
        &format!("connect-{run}-parquet"),
        &topic,
        &model_commits(&recs, &parquet),
        &w,
    );

    // topics/<topic>/partition=<p>/<topic>+<p>+<start offset, 10 digits>.json
    let want: Vec<String> = json.iter().map(|f| format!("{}.json", f.stem)).collect();
    assert_eq!(
        want[0],
        format!("topics/{topic}/partition=0/{topic}+0+0000000000.json")
    );
    assert_eq!(list_in(&*reader, &format!("topics/{topic}")), want);
    for f in &json {
        let text = String::from_utf8(get_in(&*reader, &format!("{}.json", f.stem))).unwrap();
        let want: String = f.records.iter().map(|r| plain_json(r) + "\n").collect();
        assert_eq!(text, want, "{}", f.stem);
    }

    let want: Vec<String> = parquet
        .iter()
        .map(|f| format!("{}.snappy.parquet", f.stem))
        .collect();
    assert_eq!(list_in(&*reader, &run), want);
    for f in &parquet {
        let got = rows(&read_parquet(get_in(
            &*reader,
            &format!("{}.snappy.parquet", f.stem),
        )));
        assert_eq!(got, expected_rows(&f.records), "{}", f.stem);
    }
    w.stop();
}

#[test]
fn azure_blob_storage_through_azurite() {
    let url = azurite_url();
    // An independent client: account key and endpoint given explicitly (path-style account
    // URL), not object_store's emulator mode the worker uses.
    let reader = object_store::azure::MicrosoftAzureBuilder::new()
        .with_account(AZURITE_ACCOUNT)
        .with_access_key(AZURITE_KEY)
        .with_endpoint(format!("{url}/{AZURITE_ACCOUNT}"))
        .with_allow_http(true)
        .with_container_name(CONTAINER)
        .build()
        .unwrap();
    round_trip(
        "az",
        &format!("az://{CONTAINER}"),
        &[
            ("AZURE_STORAGE_USE_EMULATOR", "true".to_string()),
            ("AZURITE_BLOB_STORAGE_URL", url),
        ],
        Arc::new(reader),
    );
}

#[test]
fn wrong_credentials_fail_the_task_and_commit_nothing() {
    let url = azurite_url();
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("az-denied");
    let run = unique("denied");
    create_topic(&topic, 1);
    produce(&topic, &records(1, 3), envelope);
    let props = format!(
        "name={run}
connector.class=io.confluent.connect.s3.S3SinkConnector
tasks.max=1
         topics={topic}
store.url=az://{CONTAINER}
s3.bucket.name={CONTAINER}
flush.size=1
         format.class=io.confluent.connect.s3.format.json.JsonFormat
         value.converter=org.apache.kafka.connect.json.JsonConverter
"
    );
    // Azurite checks SharedKey signatures (moto accepts any key, so S3 cannot show this): a
    // well-formed key that is not the account's.
    let wrong_key = "d3JvbmcgYWNjb3VudCBrZXkgZm9yIHRoZSBkZXZlbG9wbWVudCBhY2NvdW50IQ==";
    let w = Worker::start_with_env(
        dir.path(),
        "denied",
        "",
        &[("s3.properties", props)],
        &[
            ("AZURE_STORAGE_USE_EMULATOR", "true".to_string()),
            ("AZURITE_BLOB_STORAGE_URL", url),
            ("AZURE_STORAGE_ACCOUNT_KEY", wrong_key.to_string()),
        ],
    );
    wait_rest(&w);
    let trace = wait_task_failed(&w, &run);
    assert!(
        trace.contains(&format!("Access to bucket {CONTAINER} was refused"))
            && trace.contains("AZURE_*"),
        "{trace}"
    );
    // Nothing was consumed into a file, so nothing is committed.
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", format!("connect-{run}"))
        .create()
        .unwrap();
    let mut tpl = rdkafka::TopicPartitionList::new();
    tpl.add_partition(&topic, 0);
    let committed = consumer
        .committed_offsets(tpl, Duration::from_secs(10))
        .unwrap();
    assert_eq!(
        committed.elements()[0].offset(),
        rdkafka::Offset::Invalid,
        "no offset may be committed past records that are in no object"
    );
    w.stop();
}
