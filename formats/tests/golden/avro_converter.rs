//! `io.confluent.connect.avro.AvroConverter` against a real Confluent-compatible registry
//! (`cargo xtask services up schema-registry`, Apicurio's `/apis/ccompat/v7`): Connect data
//! written by the converter (schema registered under TopicNameStrategy's subject, Confluent's
//! wire format) decodes back to the same values and Connect schema, with the registry version on
//! it as Java's deserializer sets it; bad payloads are row errors naming what is wrong.

use std::sync::Arc;

use arrow::array::{AsArray, BinaryArray};
use strait_engine::config::props_from;
use strait_engine::plugin::Converter;
use strait_engine::schema as md;

use super::registry::{orders, registry_url, topics, unique as topic};

const CLASS: &str = "io.confluent.connect.avro.AvroConverter";

fn converter(url: &str) -> Arc<dyn Converter> {
    converter_with(url, &[])
}

fn converter_with(url: &str, extra: &[(&str, &str)]) -> Arc<dyn Converter> {
    super::registry::converter(CLASS, url, extra)
}

#[tokio::test]
async fn what_the_converter_writes_it_reads_back_with_the_registry_version() {
    let url = registry_url();
    let c = converter(&url);
    let topic = topic("avro-rt");
    let (field, values) = orders();
    let t = topics(&topic, 2);

    c.prepare_from_connect(std::slice::from_ref(&topic), &field)
        .await
        .unwrap();
    let payloads = c.from_connect_for(&t, &field, &values).unwrap();
    // Confluent's wire format: magic byte 0, then the 4-byte id the registry gave.
    let first = payloads.value(0);
    assert_eq!(first[0], 0);
    let id = i32::from_be_bytes([first[1], first[2], first[3], first[4]]);
    let registered = strait_formats::registry::RegistryClient::new(
        &strait_formats::registry::RegistryConfig::parse(&props_from(&[(
            "schema.registry.url",
            url.as_str(),
        )]))
        .unwrap(),
    )
    .unwrap()
    .latest(&format!("{topic}-value"))
    .await
    .unwrap();
    assert_eq!(
        registered.id, id,
        "registered under TopicNameStrategy's subject"
    );
    assert_eq!(registered.version, 1);

    // A fresh converter (no cache) reads the payloads back.
    let reader = converter(&url);
    reader.prepare_to_connect(&t, &payloads).await.unwrap();
    let decoded = reader.to_connect_for(&t, &payloads).unwrap();
    assert!(decoded.errors.is_empty(), "{:?}", decoded.errors);
    let segment = decoded.only().unwrap();
    assert_eq!(
        segment
            .field
            .metadata()
            .get(md::VERSION)
            .map(String::as_str),
        Some("1"),
        "the registry version goes on the Connect schema, as Java's deserializer sets it"
    );
    assert_eq!(
        segment.field.metadata().get(md::NAME).map(String::as_str),
        Some("strait.test.Order")
    );
    let back = segment.array.as_struct();
    assert_eq!(
        back.column(0).as_ref(),
        values.as_struct().column(0).as_ref()
    );
    assert_eq!(
        back.column(1).as_string::<i32>().iter().collect::<Vec<_>>(),
        vec![Some("ann"), None]
    );
}

#[tokio::test]
async fn bad_payloads_are_row_errors_and_the_rest_decode() {
    let url = registry_url();
    let c = converter(&url);
    let topic = topic("avro-bad");
    let (field, values) = orders();
    let t2 = topics(&topic, 2);
    c.prepare_from_connect(std::slice::from_ref(&topic), &field)
        .await
        .unwrap();
    let good = c.from_connect_for(&t2, &field, &values).unwrap();
    // Row 0 good, 1 no magic byte, 2 an id no registry has, 3 null (a tombstone), 4 good
    // header with a truncated body.
    let truncated = &good.value(1)[..6];
    let payloads: BinaryArray = vec![
        Some(good.value(0)),
        Some(&b"{\"json\":1}"[..]),
        Some(&[0u8, 0x7f, 0xff, 0xff, 0xf0, 2][..]),
        None,
        Some(truncated),
    ]
    .into_iter()
    .collect();
    let t5 = topics(&topic, 5);
    c.prepare_to_connect(&t5, &payloads).await.unwrap();
    let decoded = c.to_connect_for(&t5, &payloads).unwrap();
    let errors: Vec<(usize, String)> = decoded
        .errors
        .iter()
        .map(|e| (e.row, e.error.message().to_string()))
        .collect();
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert_eq!(errors[0].0, 1);
    assert!(errors[0].1.ends_with("Unknown magic byte!"), "{errors:?}");
    assert_eq!(errors[1].0, 2);
    assert!(
        errors[1]
            .1
            .contains(&format!("schema for id {}", 0x7fff_fff0)),
        "{errors:?}"
    );
    assert_eq!(errors[2].0, 4);
    assert!(
        errors[2].1.starts_with(&format!(
            "Failed to deserialize data for topic {topic} to Avro"
        )),
        "{errors:?}"
    );
    assert_eq!(decoded.num_rows(), 5);
    let row0 = decoded.segments.iter().find(|s| s.start_row == 0).unwrap();
    assert_eq!(
        row0.array
            .as_struct()
            .column(0)
            .as_primitive::<arrow::datatypes::Int64Type>()
            .value(0),
        7
    );
}

#[tokio::test]
async fn an_unreachable_registry_is_retriable() {
    let c = converter("http://127.0.0.1:9");
    let topic = topic("avro-away");
    let (field, _) = orders();
    let e = c
        .prepare_from_connect(std::slice::from_ref(&topic), &field)
        .await
        .unwrap_err();
    assert!(e.is_retriable(), "{e}");
    let payloads: BinaryArray = vec![Some(&[0u8, 0, 0, 0, 1, 2][..])].into_iter().collect();
    let e = c
        .prepare_to_connect(&topics(&topic, 1), &payloads)
        .await
        .unwrap_err();
    assert!(e.is_retriable(), "{e}");
}

/// Register `schema` (Avro JSON) under `subject` straight through the registry client.
async fn register(url: &str, subject: &str, schema: &str) -> i32 {
    let client = strait_formats::registry::RegistryClient::new(
        &strait_formats::registry::RegistryConfig::parse(&props_from(&[(
            "schema.registry.url",
            url,
        )]))
        .unwrap(),
    )
    .unwrap();
    client
        .register(
            subject,
            strait_formats::registry::SchemaType::Avro,
            schema,
            &[],
            false,
        )
        .await
        .unwrap()
}

/// Version 2 of `strait.test.Order` (BACKWARD compatible with what `orders()` registers):
/// `name` removed, `score` added with a default.
const ORDER_V2: &str = r#"{"type":"record","name":"Order","namespace":"strait.test","fields":[
    {"name":"id","type":"long"},
    {"name":"score","type":"double","default":1.5}],"connect.name":"strait.test.Order"}"#;

/// `use.latest.version` when reading (Java's AbstractKafkaAvroDeserializer reads with the
/// latest version of the subject as reader schema, schema-registry
/// avro-serializer/src/main/java/io/confluent/kafka/serializers/AbstractKafkaAvroDeserializer.java):
/// records written with version 1 come out shaped as version 2, defaults filled, removed
/// fields dropped; without it they keep their writer's shape.
#[tokio::test]
async fn use_latest_version_reads_old_records_as_the_latest_schema() {
    let url = registry_url();
    let topic = topic("avro-latest-read");
    let (field, values) = orders();
    let t = topics(&topic, 2);
    let writer = converter(&url);
    writer
        .prepare_from_connect(std::slice::from_ref(&topic), &field)
        .await
        .unwrap();
    let payloads = writer.from_connect_for(&t, &field, &values).unwrap();
    register(&url, &format!("{topic}-value"), ORDER_V2).await;

    let latest = converter_with(&url, &[("use.latest.version", "true")]);
    latest.prepare_to_connect(&t, &payloads).await.unwrap();
    let decoded = latest.to_connect_for(&t, &payloads).unwrap();
    assert!(decoded.errors.is_empty(), "{:?}", decoded.errors);
    let segment = decoded.only().unwrap();
    let rows = segment.array.as_struct();
    let names: Vec<&str> = rows.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["id", "score"]);
    assert_eq!(
        rows.column(0)
            .as_primitive::<arrow::datatypes::Int64Type>()
            .values(),
        &[7, 8]
    );
    assert_eq!(
        rows.column(1)
            .as_primitive::<arrow::datatypes::Float64Type>()
            .values(),
        &[1.5, 1.5]
    );
    assert_eq!(
        segment
            .field
            .metadata()
            .get(md::VERSION)
            .map(String::as_str),
        Some("2")
    );

    let plain = converter(&url);
    plain.prepare_to_connect(&t, &payloads).await.unwrap();
    let decoded = plain.to_connect_for(&t, &payloads).unwrap();
    let rows = decoded.only().unwrap().array.as_struct().clone();
    let names: Vec<&str> = rows.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["id", "name"]);
}

/// `use.latest.version` when writing, with `auto.register.schemas=false` (Java's
/// AbstractKafkaAvroSerializer, `lookupLatestVersion` in AbstractKafkaSchemaSerDe): records are
/// written with the latest version's id and shape; with `latest.compatibility.strict` (the
/// default) a latest version that cannot read the record's schema is refused with Java's
/// message, and without it the records that cannot be written fail.
#[tokio::test]
async fn use_latest_version_writes_with_the_latest_schema() {
    let url = registry_url();
    let topic = topic("avro-latest-write");
    let subject = format!("{topic}-value");
    let (field, values) = orders();
    let t = topics(&topic, 2);
    // Version 1 is what the record's schema would register; version 2 is the latest.
    converter(&url)
        .prepare_from_connect(std::slice::from_ref(&topic), &field)
        .await
        .unwrap();
    let v2 = register(&url, &subject, ORDER_V2).await;

    let writer = converter_with(
        &url,
        &[
            ("use.latest.version", "true"),
            ("auto.register.schemas", "false"),
        ],
    );
    writer
        .prepare_from_connect(std::slice::from_ref(&topic), &field)
        .await
        .unwrap();
    let payloads = writer.from_connect_for(&t, &field, &values).unwrap();
    let id = i32::from_be_bytes(payloads.value(0)[1..5].try_into().unwrap());
    assert_eq!(id, v2, "written with the latest version's id");
    let reader = converter(&url);
    reader.prepare_to_connect(&t, &payloads).await.unwrap();
    let decoded = reader.to_connect_for(&t, &payloads).unwrap();
    assert!(decoded.errors.is_empty(), "{:?}", decoded.errors);
    let rows = decoded.only().unwrap().array.as_struct().clone();
    assert_eq!(
        rows.column(1)
            .as_primitive::<arrow::datatypes::Float64Type>()
            .values(),
        &[1.5, 1.5]
    );

    // A latest version with a required field the record lacks (no default) cannot read it.
    let strict_topic = format!("{topic}-strict");
    register(
        &url,
        &format!("{strict_topic}-value"),
        r#"{"type":"record","name":"Order","namespace":"strait.test","fields":[
            {"name":"id","type":"long"},{"name":"must","type":"string"}]}"#,
    )
    .await;
    let err = writer
        .prepare_from_connect(std::slice::from_ref(&strict_topic), &field)
        .await
        .unwrap_err();
    assert!(
        err.message().starts_with(
            "Incompatible schema of type 'AVRO'. Set latest.compatibility.strict=false"
        ),
        "{err}"
    );
    assert!(err.message().contains("/must"), "{err}");
    let lenient = converter_with(
        &url,
        &[
            ("use.latest.version", "true"),
            ("auto.register.schemas", "false"),
            ("latest.compatibility.strict", "false"),
        ],
    );
    lenient
        .prepare_from_connect(std::slice::from_ref(&strict_topic), &field)
        .await
        .unwrap();
    let err = lenient
        .from_connect_for(&topics(&strict_topic, 2), &field, &values)
        .unwrap_err();
    assert!(err.message().contains("must"), "{err}");
}
