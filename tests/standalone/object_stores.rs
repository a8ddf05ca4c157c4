//! Smoke tests of the S3 sink's other object stores (`store.url=az://…`, a Strait extension, see
//! connectors/src/s3/store.rs) end to end: real Kafka, the real binary, and an emulator instead
//! of the cloud — Azurite for Azure Blob Storage (`cargo xtask services up azurite`).
//!
//! The worker reaches the emulator only through object_store's own environment, as a real
//! deployment would (`AZURE_STORAGE_USE_EMULATOR` + `AZURITE_BLOB_STORAGE_URL`). Each test writes
//! JSON lines and Parquet with `flush.size=3` and reads every object back through a separately
//! built object_store client, comparing the object list with Confluent's names and every file's
//! records with what was produced.
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
