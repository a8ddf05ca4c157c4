//! The registry client against a real Confluent-compatible registry (`cargo xtask services up
//! schema-registry`: Apicurio Registry's `/apis/ccompat/v7`), at `STRAIT_TEST_SCHEMA_REGISTRY`.
//! Assertions stick to what Confluent's REST API documents (ids, versions, 404 for an unknown
//! id); error codes are not compared, since Apicurio's ccompat layer differs in corners.

use std::sync::Arc;

use strait_engine::config::props_from;
use strait_engine::error::Fault;
use strait_formats::registry::{RegistryClient, RegistryConfig, SchemaType};

pub(crate) fn registry_url() -> String {
    std::env::var("STRAIT_TEST_SCHEMA_REGISTRY").unwrap_or_else(|_| {
        panic!(
            "STRAIT_TEST_SCHEMA_REGISTRY is not set: run `cargo xtask services up schema-registry` \
             and export the variable it prints (http://127.0.0.1:8081/apis/ccompat/v7)"
        )
    })
}

/// `schema.registry.url` and `extra` as converter or client props.
fn props(url: &str, extra: &[(&str, &str)]) -> strait_engine::config::Props {
    let mut props = vec![("schema.registry.url", url)];
    props.extend_from_slice(extra);
    props_from(&props)
}

pub(crate) fn client(url: &str, extra: &[(&str, &str)]) -> RegistryClient {
    RegistryClient::new(&RegistryConfig::parse(&props(url, extra)).unwrap()).unwrap()
}

/// A value converter of `class` (from the plugin registry, as a worker builds it) for the
/// registry at `url`, with `extra` props.
pub(crate) fn converter(
    class: &str,
    url: &str,
    extra: &[(&str, &str)],
) -> Arc<dyn strait_engine::plugin::Converter> {
    strait_engine::registry::Registry::new()
        .with_converters(strait_formats::converters())
        .converter(
            strait_engine::plugin::ConverterRole::Value,
            class,
            &props(url, extra),
        )
        .unwrap()
}

/// A name no other run used (topics and subjects: the registry keeps state until it
/// restarts).
pub(crate) fn unique(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("strait-{name}-{}-{nanos}", std::process::id())
}

/// The topic column of `rows` records of `topic`.
pub(crate) fn topics(topic: &str, rows: usize) -> arrow::array::ArrayRef {
    Arc::new(arrow::array::StringArray::from(vec![topic; rows]))
}

/// Two rows of a named Connect struct {id: int64, name: optional string}.
pub(crate) fn orders() -> (arrow::datatypes::Field, arrow::array::ArrayRef) {
    use arrow::array::{Int64Array, StringArray, StructArray};
    use arrow::datatypes::{DataType, Field, Fields};
    let fields = Fields::from(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("name", DataType::Utf8, true),
    ]);
    let values = StructArray::try_new(
        fields.clone(),
        vec![
            Arc::new(Int64Array::from(vec![7, 8])),
            Arc::new(StringArray::from(vec![Some("ann"), None])),
        ],
        None,
    )
    .unwrap();
    let field = Field::new("value", DataType::Struct(fields), false).with_metadata(
        std::collections::HashMap::from([(
            strait_engine::schema::NAME.to_string(),
            "strait.test.Order".to_string(),
        )]),
    );
    (field, Arc::new(values))
}

fn fresh_subject(name: &str) -> String {
    format!("{}-value", unique(name))
}

fn record(name: &str, fields: &[&str]) -> String {
    let fields: Vec<String> = fields
        .iter()
        .map(|f| format!(r#"{{"name":"{f}","type":"long"}}"#))
        .collect();
    format!(
        r#"{{"type":"record","name":"{name}","namespace":"strait.test","fields":[{}]}}"#,
        fields.join(",")
    )
}

#[tokio::test]
async fn registers_fetches_looks_up_and_caches_against_a_real_registry() {
    let url = registry_url();
    let c = client(&url, &[]);
    let subject = fresh_subject("reg");
    let v1 = record("Order", &["id"]);

    assert_eq!(
        c.lookup(&subject, SchemaType::Avro, &v1, &[], false)
            .await
            .unwrap(),
        None,
        "unknown subject: not registered"
    );
    let id = c
        .register(&subject, SchemaType::Avro, &v1, &[], false)
        .await
        .unwrap();
    let calls = c.request_count();
    // Cached: the same registration and the id it gave need no further call.
    assert_eq!(
        c.register(&subject, SchemaType::Avro, &v1, &[], false)
            .await
            .unwrap(),
        id
    );
    assert_eq!(c.schema_by_id(id).await.unwrap().schema, v1);
    assert_eq!(c.request_count(), calls);

    // A second client (a fresh cache) reads it from the registry, once.
    let other = client(&url, &[]);
    let fetched = other.schema_by_id(id).await.unwrap();
    assert_eq!(fetched.id, id);
    assert_eq!(fetched.schema_type, SchemaType::Avro);
    let parsed: serde_json::Value = serde_json::from_str(&fetched.schema).unwrap();
    assert_eq!(parsed["name"], "Order");
    let again = other.schema_by_id(id).await.unwrap();
    assert!(Arc::ptr_eq(&fetched, &again));
    assert_eq!(other.request_count(), 1, "second get served from the cache");

    let found = other
        .lookup(&subject, SchemaType::Avro, &v1, &[], false)
        .await
        .unwrap()
        .expect("registered schema is found");
    assert_eq!((found.id, found.version), (id, 1));
    assert_eq!(found.subject, subject);
    let v2 = record("Order", &["id", "qty"]);
    assert_eq!(
        other
            .lookup(&subject, SchemaType::Avro, &v2, &[], false)
            .await
            .unwrap(),
        None,
        "known subject, unknown schema"
    );

    // A new version becomes the latest (compatibility aside: Apicurio's default is NONE).
    let id2 = c
        .register(&subject, SchemaType::Avro, &v2, &[], false)
        .await
        .unwrap();
    assert_ne!(id2, id);
    let fresh = client(&url, &[]);
    let latest = fresh.latest(&subject).await.unwrap();
    assert_eq!((latest.id, latest.version), (id2, 2));
    assert_eq!(fresh.schema_by_id(id2).await.unwrap().schema, latest.schema);
    assert_eq!(fresh.request_count(), 1, "latest primes the id cache");
}

#[tokio::test]
async fn unknown_id_and_subject_are_data_errors_naming_them() {
    let c = client(&registry_url(), &[]);
    let err = c.schema_by_id(987_654_321).await.unwrap_err();
    assert_eq!(err.fault(), Fault::Data, "{err}");
    assert!(!err.is_retriable());
    assert!(
        err.message().contains("Schema 987654321 not found"),
        "{err}"
    );
    let subject = fresh_subject("missing");
    let err = c.latest(&subject).await.unwrap_err();
    assert_eq!(err.fault(), Fault::Data, "{err}");
    assert!(err.message().contains(&subject), "{err}");
}

#[tokio::test]
async fn unreachable_registry_is_a_retriable_external_error_naming_the_url() {
    // Port 1 on loopback refuses connections.
    let c = client(
        "http://127.0.0.1:1",
        &[("max.retries", "2"), ("retries.wait.ms", "10")],
    );
    let err = c.schema_by_id(1).await.unwrap_err();
    assert_eq!(err.fault(), Fault::External, "{err}");
    assert!(err.is_retriable());
    assert!(err.message().contains("http://127.0.0.1:1/"), "{err}");
    assert_eq!(c.request_count(), 3, "one try and two retries");

    // With the real registry second in the list, the call fails over to it.
    let url = registry_url();
    let both = client(
        &format!("http://127.0.0.1:1,{url}"),
        &[("max.retries", "0")],
    );
    let subject = fresh_subject("failover");
    let id = both
        .register(&subject, SchemaType::Avro, &record("F", &["a"]), &[], false)
        .await
        .unwrap();
    assert_eq!(both.request_count(), 2, "refused once, then answered");
    let stored = client(&url, &[]).schema_by_id(id).await.unwrap();
    assert!(stored.schema.contains(r#""name":"F""#), "{}", stored.schema);
}
