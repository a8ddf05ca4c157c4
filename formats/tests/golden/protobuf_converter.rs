//! `io.confluent.connect.protobuf.ProtobufConverter` against a real Confluent-compatible
//! registry (Apicurio's `/apis/ccompat/v7`): Connect data written by the converter (the
//! `.proto` text `fromConnectSchema` makes, registered under TopicNameStrategy's subject;
//! Confluent's wire format with message indexes) decodes back to the same values, with the
//! Connect schema `toConnectSchema` gives (every field optional, tags as parameters) and the
//! registry version on it; a schema importing another registered schema (a reference) decodes
//! through the reference; bad payloads are row errors.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BinaryArray, Int64Array, Int8Array, StringArray, StructArray,
    TimestampMillisecondArray,
};
use arrow::datatypes::{DataType, Field, Fields, TimeUnit};
use strait_engine::plugin::Converter;
use strait_engine::schema as md;
use strait_formats::registry::{RegistryClient, SchemaReference, SchemaType};

use super::registry::{registry_url, topics, unique as topic};

const CLASS: &str = "io.confluent.connect.protobuf.ProtobufConverter";

fn converter(url: &str) -> Arc<dyn Converter> {
    converter_with(url, &[])
}

fn converter_with(url: &str, extra: &[(&str, &str)]) -> Arc<dyn Converter> {
    super::registry::converter(CLASS, url, extra)
}

fn client(url: &str) -> RegistryClient {
    super::registry::client(url, &[])
}

/// Two rows of a named Connect struct {id: int64, name: optional string, small: int8,
/// at: optional Timestamp}.
fn orders() -> (Field, ArrayRef) {
    let ts = Field::new("at", DataType::Timestamp(TimeUnit::Millisecond, None), true);
    let fields = Fields::from(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("name", DataType::Utf8, true),
        Field::new("small", DataType::Int8, false),
        ts,
    ]);
    let values = StructArray::try_new(
        fields.clone(),
        vec![
            Arc::new(Int64Array::from(vec![7, 8])),
            Arc::new(StringArray::from(vec![Some("ann"), None])),
            Arc::new(Int8Array::from(vec![-3, 0])),
            Arc::new(TimestampMillisecondArray::from(vec![
                Some(1_514_678_400_123),
                None,
            ])),
        ],
        None,
    )
    .unwrap();
    let field = Field::new("value", DataType::Struct(fields), false).with_metadata(
        std::collections::HashMap::from([(md::NAME.to_string(), "strait.test.Order".to_string())]),
    );
    (field, Arc::new(values))
}

#[tokio::test]
async fn what_the_converter_writes_it_reads_back_with_the_registry_version() {
    let url = registry_url();
    let c = converter(&url);
    let topic = topic("proto-rt");
    let (field, values) = orders();
    let t = topics(&topic, 2);

    c.prepare_from_connect(std::slice::from_ref(&topic), &field)
        .await
        .unwrap();
    let payloads = c.from_connect_for(&t, &field, &values).unwrap();
    // Magic byte 0, the 4-byte id, then the message indexes of the first message: 0.
    let first = payloads.value(0);
    assert_eq!((first[0], first[5]), (0, 0));
    let id = i32::from_be_bytes([first[1], first[2], first[3], first[4]]);
    let registered = client(&url)
        .latest(&format!("{topic}-value"))
        .await
        .unwrap();
    assert_eq!(
        registered.id, id,
        "registered under TopicNameStrategy's subject"
    );
    assert!(
        registered.schema.contains("message Order"),
        "{}",
        registered.schema
    );

    let reader = converter(&url);
    reader.prepare_to_connect(&t, &payloads).await.unwrap();
    let decoded = reader.to_connect_for(&t, &payloads).unwrap();
    assert!(decoded.errors.is_empty(), "{:?}", decoded.errors);
    let segment = decoded.only().unwrap();
    let meta = segment.field.metadata();
    assert_eq!(meta.get(md::VERSION).map(String::as_str), Some("1"));
    assert_eq!(
        meta.get(md::NAME).map(String::as_str),
        Some("Order"),
        "toConnectSchema names the struct after the message (no package by default)"
    );
    let back = segment.array.as_struct();
    assert_eq!(
        back.column(0)
            .as_primitive::<arrow::datatypes::Int64Type>()
            .values(),
        &[7, 8]
    );
    // A null string is not on the wire: proto3 reads it back as "" (as Java does).
    assert_eq!(
        back.column(1).as_string::<i32>().iter().collect::<Vec<_>>(),
        vec![Some("ann"), Some("")]
    );
    assert_eq!(
        back.column(2).data_type(),
        &DataType::Int8,
        "connect.type int8"
    );
    assert_eq!(
        back.column(2)
            .as_primitive::<arrow::datatypes::Int8Type>()
            .values(),
        &[-3, 0]
    );
    // A null message field stays null.
    let at = back
        .column(3)
        .as_primitive::<arrow::datatypes::TimestampMillisecondType>();
    assert_eq!((at.value(0), at.is_null(1)), (1_514_678_400_123, true));
}

#[tokio::test]
async fn a_schema_with_a_reference_decodes_through_it() {
    let url = registry_url();
    let registry = client(&url);
    let topic = topic("proto-ref");
    let dep_subject = format!("{topic}-common.proto");
    let dep = "syntax = \"proto3\";\npackage common;\nmessage Money { string currency = 1; int64 units = 2; }\n";
    registry
        .register(&dep_subject, SchemaType::Protobuf, dep, &[], false)
        .await
        .unwrap();
    let main = "syntax = \"proto3\";\npackage shop;\nimport \"common.proto\";\n\
                message Price { common.Money amount = 1; repeated string tags = 2; }\n";
    let id = registry
        .register(
            &format!("{topic}-value"),
            SchemaType::Protobuf,
            main,
            &[SchemaReference {
                name: "common.proto".into(),
                subject: dep_subject,
                version: 1,
            }],
            false,
        )
        .await
        .unwrap();
    // Price { amount { currency: "EUR" units: 5 } tags: "a" }, indexes [0].
    let mut payload = vec![0u8];
    payload.extend_from_slice(&id.to_be_bytes());
    payload.extend_from_slice(&[
        0, 0x0a, 0x07, 0x0a, 0x03, b'E', b'U', b'R', 0x10, 0x05, 0x12, 0x01, b'a',
    ]);
    let payloads: BinaryArray = vec![Some(payload.as_slice())].into_iter().collect();
    let t = topics(&topic, 1);
    let c = converter(&url);
    c.prepare_to_connect(&t, &payloads).await.unwrap();
    let decoded = c.to_connect_for(&t, &payloads).unwrap();
    assert!(decoded.errors.is_empty(), "{:?}", decoded.errors);
    let row = decoded.only().unwrap().array.as_struct().clone();
    let amount = row.column(0).as_struct();
    assert_eq!(amount.column(0).as_string::<i32>().value(0), "EUR");
    assert_eq!(
        amount
            .column(1)
            .as_primitive::<arrow::datatypes::Int64Type>()
            .value(0),
        5
    );
    assert_eq!(
        row.column(1)
            .as_list::<i32>()
            .value(0)
            .as_string::<i32>()
            .value(0),
        "a"
    );
}

#[tokio::test]
async fn bad_payloads_are_row_errors_and_the_rest_decode() {
    let url = registry_url();
    let c = converter(&url);
    let topic = topic("proto-bad");
    let (field, values) = orders();
    let t2 = topics(&topic, 2);
    c.prepare_from_connect(std::slice::from_ref(&topic), &field)
        .await
        .unwrap();
    let good = c.from_connect_for(&t2, &field, &values).unwrap();
    let truncated = &good.value(0)[..good.value(0).len() - 2];
    let payloads: BinaryArray = vec![
        Some(good.value(0)),
        Some(&b"{\"json\":1}"[..]),
        None,
        Some(truncated),
    ]
    .into_iter()
    .collect();
    let t4 = topics(&topic, 4);
    c.prepare_to_connect(&t4, &payloads).await.unwrap();
    let decoded = c.to_connect_for(&t4, &payloads).unwrap();
    let rows: Vec<usize> = decoded.errors.iter().map(|e| e.row).collect();
    assert_eq!(rows, [1, 3], "{:?}", decoded.errors);
    assert!(decoded.errors[0]
        .error
        .message()
        .ends_with("Unknown magic byte!"));
    assert_eq!(decoded.num_rows(), 4);
}

/// `use.latest.version` when reading (Java's KafkaProtobufDeserializer parses the bytes with the
/// latest version of the subject's schema, schema-registry
/// protobuf-serializer/src/main/java/io/confluent/kafka/serializers/protobuf/
/// AbstractKafkaProtobufDeserializer.java): a field removed since is skipped by its tag, one
/// added reads as its proto3 default, and the Connect schema is the latest version's.
#[tokio::test]
async fn use_latest_version_reads_old_bytes_with_the_latest_schema() {
    let url = registry_url();
    let registry = client(&url);
    let topic = topic("proto-latest");
    let subject = format!("{topic}-value");
    let v1 =
        "syntax = \"proto3\";\npackage shop;\nmessage Reading { int64 id = 1; string name = 2; }\n";
    let v2 = "syntax = \"proto3\";\npackage shop;\nmessage Reading { int64 id = 1; double score = 3; }\n";
    let id1 = registry
        .register(&subject, SchemaType::Protobuf, v1, &[], false)
        .await
        .unwrap();
    registry
        .register(&subject, SchemaType::Protobuf, v2, &[], false)
        .await
        .unwrap();
    // Reading { id: 7 name: "a" } written with version 1, indexes [0].
    let mut payload = vec![0u8];
    payload.extend_from_slice(&id1.to_be_bytes());
    payload.extend_from_slice(&[0, 0x08, 0x07, 0x12, 0x01, b'a']);
    let payloads: BinaryArray = vec![Some(payload.as_slice())].into_iter().collect();
    let t = topics(&topic, 1);

    let latest = converter_with(&url, &[("use.latest.version", "true")]);
    latest.prepare_to_connect(&t, &payloads).await.unwrap();
    let decoded = latest.to_connect_for(&t, &payloads).unwrap();
    assert!(decoded.errors.is_empty(), "{:?}", decoded.errors);
    let segment = decoded.only().unwrap();
    let row = segment.array.as_struct();
    let names: Vec<&str> = row.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["id", "score"]);
    assert_eq!(
        row.column(0)
            .as_primitive::<arrow::datatypes::Int64Type>()
            .value(0),
        7
    );
    assert_eq!(
        row.column(1)
            .as_primitive::<arrow::datatypes::Float64Type>()
            .value(0),
        0.0
    );
    assert_eq!(
        segment
            .field
            .metadata()
            .get(md::VERSION)
            .map(String::as_str),
        Some("2")
    );

    // Without it, the writer's schema.
    let plain = converter(&url);
    plain.prepare_to_connect(&t, &payloads).await.unwrap();
    let decoded = plain.to_connect_for(&t, &payloads).unwrap();
    let row = decoded.only().unwrap().array.as_struct().clone();
    let names: Vec<&str> = row.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["id", "name"]);
}
