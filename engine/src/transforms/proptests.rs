//! Property test of the whole transform machinery: random batches through random chains of
//! Kafka's transforms (with predicates and `negate`) give, row for row, what the same chain
//! gives each record alone — Java's record-at-a-time semantics, which the golden vectors pin
//! per record. Checks the batch paths (predicate masks merged by `zip` or split into runs,
//! filtered and failed rows, dictionary-encoded topics) against the simplest one.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BinaryArray, Float64Array, Int64Array, RecordBatch, StringArray, StructArray,
};
use arrow::datatypes::{DataType, Field, Fields};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use proptest::prelude::*;

use super::registry::build_chain;
use super::TransformContext;
use crate::batch::{columns, header_entries, Batch, Provenance, RawBatchBuilder};
use crate::config::Props;
use crate::error::Result;
use crate::plugin::{Converter, Decoded};
use crate::schema;

/// Header values as their text, for the header transforms that write headers.
struct TextHeaders;

impl Converter for TextHeaders {
    fn from_connect(&self, _field: &Field, column: &ArrayRef) -> Result<BinaryArray> {
        let formatter = ArrayFormatter::try_new(column, &FormatOptions::default())?;
        Ok((0..column.len())
            .map(|r| (!column.is_null(r)).then(|| formatter.value(r).to_string()))
            .collect::<Vec<_>>()
            .iter()
            .map(|v| v.as_deref().map(str::as_bytes))
            .collect())
    }
    fn to_connect(&self, payloads: &BinaryArray) -> Result<Decoded> {
        Ok(Decoded::single(
            Field::new("value", DataType::Binary, true),
            Arc::new(payloads.clone()),
            Vec::new(),
        ))
    }
}

/// A stage the generator can pick: its keys under `transforms.<alias>.`.
const STAGES: &[&[(&str, &str)]] = &[
    &[
        ("type", "org.apache.kafka.connect.transforms.RegexRouter"),
        ("regex", "orders(.*)"),
        ("replacement", "o$1"),
    ],
    &[
        (
            "type",
            "org.apache.kafka.connect.transforms.InsertField$Value",
        ),
        ("static.field", "src"),
        ("static.value", "x"),
    ],
    &[
        (
            "type",
            "org.apache.kafka.connect.transforms.InsertField$Value",
        ),
        ("topic.field", "t"),
        ("offset.field", "o"),
    ],
    &[
        (
            "type",
            "org.apache.kafka.connect.transforms.ReplaceField$Value",
        ),
        ("exclude", "name"),
    ],
    &[
        (
            "type",
            "org.apache.kafka.connect.transforms.ReplaceField$Value",
        ),
        ("renames", "id:key_id"),
    ],
    &[
        ("type", "org.apache.kafka.connect.transforms.Cast$Value"),
        ("spec", "id:string"),
    ],
    &[
        ("type", "org.apache.kafka.connect.transforms.Cast$Value"),
        ("spec", "amount:int32"),
    ],
    &[
        (
            "type",
            "org.apache.kafka.connect.transforms.MaskField$Value",
        ),
        ("fields", "name"),
    ],
    &[("type", "org.apache.kafka.connect.transforms.Filter")],
    &[(
        "type",
        "org.apache.kafka.connect.transforms.TimestampRouter",
    )],
    &[
        ("type", "org.apache.kafka.connect.transforms.DropHeaders"),
        ("headers", "a"),
    ],
    &[
        ("type", "org.apache.kafka.connect.transforms.InsertHeader"),
        ("header", "b"),
        ("value.literal", "42"),
    ],
    &[
        (
            "type",
            "org.apache.kafka.connect.transforms.SetSchemaMetadata$Value",
        ),
        ("schema.name", "renamed"),
    ],
    &[
        (
            "type",
            "org.apache.kafka.connect.transforms.TimestampConverter$Value",
        ),
        ("field", "amount"),
        ("target.type", "string"),
        ("format", "yyyy-MM-dd"),
    ],
    &[
        (
            "type",
            "org.apache.kafka.connect.transforms.HeaderFrom$Value",
        ),
        ("fields", "id"),
        ("headers", "h"),
        ("operation", "move"),
    ],
    &[("type", "org.apache.kafka.connect.transforms.Flatten$Value")],
    &[
        (
            "type",
            "org.apache.kafka.connect.transforms.ExtractField$Value",
        ),
        ("field", "name"),
    ],
    &[
        ("type", "org.apache.kafka.connect.transforms.ValueToKey"),
        ("fields", "amount"),
    ],
];

/// The predicates every chain declares (a stage may use one).
const PREDICATES: &[(&str, &[(&str, &str)])] = &[
    (
        "isOrders",
        &[
            (
                "type",
                "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
            ),
            ("pattern", "orders.*"),
        ],
    ),
    (
        "hasA",
        &[
            (
                "type",
                "org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
            ),
            ("name", "a"),
        ],
    ),
    (
        "tombstone",
        &[(
            "type",
            "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
        )],
    ),
];

/// One generated record.
#[derive(Debug, Clone)]
struct Row {
    topic: usize,
    timestamp: Option<i64>,
    /// None: a tombstone.
    value: Option<(Option<i64>, Option<String>, f64)>,
    header_a: bool,
}

const TOPICS: &[&str] = &["orders", "orders-eu", "users"];

fn row() -> impl Strategy<Value = Row> {
    (
        0..TOPICS.len(),
        proptest::option::weighted(0.9, 0i64..4_000_000_000_000),
        proptest::option::weighted(
            0.85,
            (
                proptest::option::weighted(0.8, -1000i64..1000),
                proptest::option::weighted(0.8, "[a-z]{0,6}"),
                -1e6f64..1e6,
            ),
        ),
        any::<bool>(),
    )
        .prop_map(|(topic, timestamp, value, header_a)| Row {
            topic,
            timestamp,
            value,
            header_a,
        })
}

/// A sink batch of `rows` (offsets 0..), the value decoded as a Connect struct
/// `{id: optional int64, name: optional string, amount: float64}`.
fn batch(rows: &[Row]) -> Batch {
    let mut b = RawBatchBuilder::with_capacity(rows.len(), 64);
    for (i, r) in rows.iter().enumerate() {
        let headers: Vec<(&str, Option<&[u8]>)> = if r.header_a {
            vec![("a", Some(b"1".as_slice()))]
        } else {
            vec![]
        };
        b.append(
            TOPICS[r.topic],
            0,
            i as i64,
            r.timestamp,
            None,
            None,
            headers,
        );
    }
    let raw = b.finish().expect("raw batch");
    let fields = Fields::from(vec![
        Field::new("id", DataType::Int64, true),
        Field::new("name", DataType::Utf8, true),
        Field::new("amount", DataType::Float64, false),
    ]);
    let ids: Int64Array = rows
        .iter()
        .map(|r| r.value.as_ref().and_then(|v| v.0))
        .collect();
    let names: StringArray = rows
        .iter()
        .map(|r| r.value.as_ref().and_then(|v| v.1.clone()))
        .collect();
    let amounts: Float64Array = rows
        .iter()
        .map(|r| Some(r.value.as_ref().map_or(0.0, |v| v.2)))
        .collect();
    let nulls =
        arrow::buffer::NullBuffer::from(rows.iter().map(|r| r.value.is_some()).collect::<Vec<_>>());
    let array = StructArray::new(
        fields.clone(),
        vec![Arc::new(ids), Arc::new(names), Arc::new(amounts)],
        Some(nulls),
    );
    let field = schema::with_name(
        Field::new(columns::VALUE, DataType::Struct(fields), true),
        "test.Order",
    );
    raw.with_column(Arc::new(field), Arc::new(array))
        .expect("decoded batch")
}

/// Everything about an output row that a sink could see, comparable.
#[derive(Debug, PartialEq)]
struct Seen {
    topic: String,
    timestamp: String,
    value_field: Field,
    value: String,
    key: String,
    headers: Vec<(String, Option<Vec<u8>>)>,
}

fn seen(batch: &Batch) -> Vec<Seen> {
    let text = |name: &str, row: usize| {
        batch.column(name).map_or(String::new(), |c| {
            ArrayFormatter::try_new(c, &FormatOptions::default().with_null("null"))
                .expect("formatter")
                .value(row)
                .to_string()
        })
    };
    (0..batch.num_rows())
        .map(|row| Seen {
            topic: batch.topic_at(row).unwrap_or_default().to_string(),
            timestamp: text(columns::TIMESTAMP, row),
            // A null value has no schema of its own in a column (Java keeps a tombstone's
            // schema per record; a batch has one per column, documented in the README), so the
            // schema is compared for values only.
            value_field: batch
                .field(columns::VALUE)
                .filter(|_| {
                    batch
                        .column(columns::VALUE)
                        .is_some_and(|c| c.is_valid(row))
                })
                .map_or(Field::new("none", DataType::Null, true), |f| (*f).clone()),
            value: text(columns::VALUE, row),
            key: text(columns::KEY, row),
            headers: batch
                .column(columns::HEADERS)
                .and_then(|c| c.as_any().downcast_ref::<arrow::array::ListArray>())
                .map(|l| {
                    header_entries(l, row)
                        .map(|(k, v)| (k.to_string(), v.map(<[u8]>::to_vec)))
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect()
}

/// The config of a chain of `stages` (index into [`STAGES`], predicate index, negate).
fn config(stages: &[(usize, Option<usize>, bool)]) -> Props {
    let mut props = Props::new();
    let aliases: Vec<String> = (0..stages.len()).map(|i| format!("s{i}")).collect();
    props.insert("transforms".into(), aliases.join(","));
    props.insert(
        "predicates".into(),
        PREDICATES
            .iter()
            .map(|(a, _)| *a)
            .collect::<Vec<_>>()
            .join(","),
    );
    for (alias, keys) in PREDICATES {
        for (k, v) in *keys {
            props.insert(format!("predicates.{alias}.{k}"), v.to_string());
        }
    }
    for (alias, &(stage, predicate, negate)) in aliases.iter().zip(stages) {
        for (k, v) in STAGES[stage] {
            props.insert(format!("transforms.{alias}.{k}"), v.to_string());
        }
        if let Some(p) = predicate {
            props.insert(
                format!("transforms.{alias}.predicate"),
                PREDICATES[p].0.into(),
            );
            props.insert(format!("transforms.{alias}.negate"), negate.to_string());
        }
    }
    props
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]
    #[test]
    fn a_batch_gives_what_its_records_give_one_at_a_time(
        rows in proptest::collection::vec(row(), 0..24),
        stages in proptest::collection::vec(
            (0..STAGES.len(), proptest::option::of(0..PREDICATES.len()), any::<bool>()),
            0..5,
        ),
    ) {
        let ctx = TransformContext { header_converter: Arc::new(TextHeaders) };
        let chain = build_chain(&config(&stages), &ctx).expect("chain builds");
        let whole = chain.apply(batch(&rows)).expect("chain runs");
        let got: Vec<Seen> = whole.pieces.iter().flat_map(seen).collect();
        // A tombstone's message may name the schema its column has (`Only Struct objects…` or
        // `Only Map objects…`), which for a null row depends on its batch (see `Seen`): for
        // tombstones the failing class is compared, not the message.
        let message = |row: usize, e: &super::ChainError| match rows[row].value {
            Some(_) => e.error.message().to_string(),
            None => String::new(),
        };
        let mut got_errors: Vec<(usize, &str, String)> = whole
            .errors
            .iter()
            .map(|e| (e.row, e.class, message(e.row, e)))
            .collect();
        got_errors.sort();
        let mut want = Vec::new();
        let mut want_errors = Vec::new();
        for (i, r) in rows.iter().enumerate() {
            let mut one = batch(std::slice::from_ref(r));
            // The same record, at its own offset.
            one = Batch::new(
                RecordBatch::try_new(
                    one.records.schema(),
                    one.records
                        .columns()
                        .iter()
                        .zip(one.records.schema().fields())
                        .map(|(c, f)| {
                            if f.name() == columns::OFFSET {
                                Arc::new(Int64Array::from(vec![i as i64])) as ArrayRef
                            } else {
                                c.clone()
                            }
                        })
                        .collect(),
                )
                .expect("one-row batch"),
                Provenance::None,
            );
            let out = chain.apply(one).expect("chain runs");
            want.extend(out.pieces.iter().flat_map(seen));
            want_errors.extend(
                out.errors
                    .iter()
                    .map(|e| (i, e.class, message(i, e))),
            );
        }
        prop_assert_eq!(got_errors, want_errors);
        prop_assert_eq!(got, want);
    }
}
