//! `io.confluent.connect.json.JsonSchemaConverter` against a real Confluent-compatible registry
//! (`cargo xtask services up schema-registry`, Apicurio's `/apis/ccompat/v7`): Connect data
//! written by the converter (its JSON Schema registered under TopicNameStrategy's subject,
//! Confluent's wire format with a JSON body) decodes back to the same values and Connect
//! schema, with the registry version on it as Java's deserializer sets it; a schema that
//! references another registered schema is resolved; bad payloads are row errors.

use std::sync::Arc;

use arrow::array::{Array, AsArray, BinaryArray};
use arrow::datatypes::{DataType, Int64Type};
use strait_engine::plugin::Converter;
use strait_engine::schema as md;
use strait_formats::registry::{RegistryClient, SchemaReference, SchemaType};

use super::registry::{orders, registry_url, topics, unique as topic};

const CLASS: &str = "io.confluent.connect.json.JsonSchemaConverter";

fn converter(url: &str) -> Arc<dyn Converter> {
    converter_with(url, &[])
}

fn converter_with(url: &str, extra: &[(&str, &str)]) -> Arc<dyn Converter> {
    super::registry::converter(CLASS, url, extra)
}

fn client(url: &str) -> RegistryClient {
    super::registry::client(url, &[])
}

#[tokio::test]
async fn what_the_json_schema_converter_writes_it_reads_back_with_the_registry_version() {
    let url = registry_url();
    let c = converter(&url);
    let topic = topic("jsonschema-rt");
    let (field, values) = orders();
    let t = topics(&topic, 2);

    c.prepare_from_connect(std::slice::from_ref(&topic), &field)
        .await
        .unwrap();
    let payloads = c.from_connect_for(&t, &field, &values).unwrap();
    let first = payloads.value(0);
    assert_eq!(first[0], 0);
    let id = i32::from_be_bytes([first[1], first[2], first[3], first[4]]);
    // The body is JSON, as JsonSchemaData.fromConnectData writes it.
    assert_eq!(&first[5..], br#"{"id":7,"name":"ann"}"#);
    assert_eq!(&payloads.value(1)[5..], br#"{"id":8,"name":null}"#);
    let registered = client(&url)
        .latest(&format!("{topic}-value"))
        .await
        .unwrap();
    assert_eq!(
        registered.id, id,
        "registered under TopicNameStrategy's subject"
    );
    assert_eq!(registered.version, 1);
    let schema: serde_json::Value = serde_json::from_str(&registered.schema).unwrap();
    assert_eq!(schema["title"], "strait.test.Order");
    assert_eq!(schema["properties"]["id"]["connect.type"], "int64");

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
async fn a_schema_with_a_registry_reference_is_resolved() {
    let url = registry_url();
    let registry = client(&url);
    let topic = topic("jsonschema-ref");
    let price_subject = format!("{topic}-price");
    let price = r#"{"title":"Price","type":"object","properties":{"amount":{"type":"integer"},"currency":{"type":"string"}}}"#;
    registry
        .register(&price_subject, SchemaType::Json, price, &[], false)
        .await
        .unwrap();
    let order = r#"{"title":"Order","type":"object","properties":{"id":{"type":"integer"},"price":{"$ref":"price.json"}}}"#;
    let id = registry
        .register(
            &format!("{topic}-value"),
            SchemaType::Json,
            order,
            &[SchemaReference {
                name: "price.json".into(),
                subject: price_subject,
                version: 1,
            }],
            false,
        )
        .await
        .unwrap();
    let mut payload = vec![0u8];
    payload.extend_from_slice(&id.to_be_bytes());
    payload.extend_from_slice(br#"{"id":3,"price":{"amount":250,"currency":"EUR"}}"#);
    let payloads: BinaryArray = vec![Some(&payload[..])].into_iter().collect();
    let t = topics(&topic, 1);
    let c = converter(&url);
    c.prepare_to_connect(&t, &payloads).await.unwrap();
    let decoded = c.to_connect_for(&t, &payloads).unwrap();
    assert!(decoded.errors.is_empty(), "{:?}", decoded.errors);
    let segment = decoded.only().unwrap();
    let back = segment.array.as_struct();
    assert_eq!(back.column(0).as_primitive::<Int64Type>().value(0), 3);
    let price = back.column(1).as_struct();
    assert_eq!(price.column(0).as_primitive::<Int64Type>().value(0), 250);
    assert_eq!(price.column(1).as_string::<i32>().value(0), "EUR");
    let DataType::Struct(fields) = segment.field.data_type() else {
        panic!("{:?}", segment.field)
    };
    assert_eq!(
        fields[1].metadata().get(md::NAME).map(String::as_str),
        Some("Price")
    );
}

#[tokio::test]
async fn bad_json_schema_payloads_are_row_errors_and_the_rest_decode() {
    let url = registry_url();
    let c = converter(&url);
    let topic = topic("jsonschema-bad");
    let (field, values) = orders();
    let t2 = topics(&topic, 2);
    c.prepare_from_connect(std::slice::from_ref(&topic), &field)
        .await
        .unwrap();
    let good = c.from_connect_for(&t2, &field, &values).unwrap();
    let header = &good.value(0)[..5];
    let with_body = |body: &[u8]| [header, body].concat();
    let malformed = with_body(br#"{"id":1,"na"#);
    let mismatched = with_body(br#"{"id":"one","name":"x"}"#);
    // Row 0 good, 1 no magic byte, 2 malformed JSON, 3 a value not of the schema, 4 null,
    // 5 good.
    let payloads: BinaryArray = vec![
        Some(good.value(0)),
        Some(&b"{\"json\":1}"[..]),
        Some(&malformed[..]),
        Some(&mismatched[..]),
        None,
        Some(good.value(1)),
    ]
    .into_iter()
    .collect();
    let t6 = topics(&topic, 6);
    c.prepare_to_connect(&t6, &payloads).await.unwrap();
    let decoded = c.to_connect_for(&t6, &payloads).unwrap();
    let errors: Vec<(usize, String)> = decoded
        .errors
        .iter()
        .map(|e| (e.row, e.error.message().to_string()))
        .collect();
    assert_eq!(
        errors.iter().map(|e| e.0).collect::<Vec<_>>(),
        [1, 2, 3],
        "{errors:?}"
    );
    assert!(errors[0].1.ends_with("Unknown magic byte!"), "{errors:?}");
    assert!(
        errors[1].1.starts_with(&format!(
            "Converting byte[] to Kafka Connect data failed due to serialization error of topic {topic}"
        )),
        "{errors:?}"
    );
    assert_eq!(decoded.num_rows(), 6);
    let ids: Vec<Option<i64>> = decoded
        .segments
        .iter()
        .flat_map(|s| {
            let st = s.array.as_struct();
            let col = st.column(0).as_primitive::<Int64Type>().clone();
            (0..st.len())
                .map(move |r| st.is_valid(r).then(|| col.value(r)))
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(ids, [Some(7), None, None, None, None, Some(8)]);
}

/// `use.latest.version` when reading: the JSON text is read with the latest version of the
/// subject's schema (JsonSchemaData.toConnectData fills a missing property with its schema's
/// default, schema-registry json-schema-converter/src/main/java/io/confluent/connect/json/
/// JsonSchemaData.java); a property removed since is not read.
#[tokio::test]
async fn use_latest_version_reads_old_text_with_the_latest_schema() {
    let url = registry_url();
    let registry = client(&url);
    let topic = topic("json-latest");
    let subject = format!("{topic}-value");
    let v1 = r#"{"title":"Reading","type":"object","properties":{
        "id":{"type":"integer","connect.index":0},
        "name":{"type":"string","connect.index":1}},"required":["id","name"]}"#;
    let v2 = r#"{"title":"Reading","type":"object","properties":{
        "id":{"type":"integer","connect.index":0},
        "score":{"type":"number","default":1.5,"connect.index":1}},"required":["id"]}"#;
    let id1 = registry
        .register(&subject, SchemaType::Json, v1, &[], false)
        .await
        .unwrap();
    registry
        .register(&subject, SchemaType::Json, v2, &[], false)
        .await
        .unwrap();
    let mut payload = vec![0u8];
    payload.extend_from_slice(&id1.to_be_bytes());
    payload.extend_from_slice(br#"{"id":7,"name":"a"}"#);
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
    assert_eq!(row.column(0).as_primitive::<Int64Type>().value(0), 7);
    assert_eq!(
        row.column(1)
            .as_primitive::<arrow::datatypes::Float64Type>()
            .value(0),
        1.5
    );

    let plain = converter(&url);
    plain.prepare_to_connect(&t, &payloads).await.unwrap();
    let decoded = plain.to_connect_for(&t, &payloads).unwrap();
    let row = decoded.only().unwrap().array.as_struct().clone();
    let names: Vec<&str> = row.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["id", "name"]);
}
