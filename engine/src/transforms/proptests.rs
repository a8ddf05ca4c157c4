//! Property test of the whole transform machinery: random batches through random chains of
//! Kafka's transforms (with predicates and `negate`) give, row for row, what the same chain
//! gives each record alone — Java's record-at-a-time semantics, which the golden vectors pin
//! per record. Checks the batch paths (predicate masks merged by `zip` or split into runs,
//! filtered and failed rows, dictionary-encoded topics) against the simplest one. Batches are
//! built as the sink runtime builds them from JsonConverter envelopes: tombstones are runs of
//! their own (a schemaless `Null` value, Java's `SchemaAndValue.NULL`), and the batch is cut at
//! every run boundary by the runtime's `split`.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BinaryArray, Float64Array, Int64Array, NullArray, RecordBatch, StringArray,
    StructArray,
};
use arrow::datatypes::{DataType, Field, Fields};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use proptest::prelude::*;

use super::registry::build_chain;
use super::TransformContext;
use crate::batch::{columns, header_entries, Batch, Provenance, RawBatchBuilder};
use crate::config::Props;
use crate::error::Result;
use crate::plugin::{Converter, Decoded, Segment};
use crate::runtime::split;
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
    &[
        (
            "type",
            "org.apache.kafka.connect.transforms.HoistField$Value",
        ),
        ("field", "w"),
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

/// The pieces of a sink batch of `rows` (offsets 0..), each with the row it starts at: the value
/// decoded as a Connect struct `{id: optional int64, name: optional string, amount: float64}`,
/// tombstones as a schemaless `Null` column, cut where one gives way to the other (as the
/// JsonConverter's segments cut a batch).
fn pieces(rows: &[Row]) -> Vec<(usize, Batch)> {
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
    let mut value = Vec::new();
    let mut start = 0;
    while start < rows.len() {
        let tombstones = rows[start].value.is_none();
        let len = rows[start..]
            .iter()
            .take_while(|r| r.value.is_none() == tombstones)
            .count();
        let (field, array) = if tombstones {
            (
                schema::schemaless(Field::new(columns::VALUE, DataType::Null, true)),
                Arc::new(NullArray::new(len)) as ArrayRef,
            )
        } else {
            structs(&rows[start..start + len])
        };
        value.push(Segment {
            start_row: start,
            field,
            array,
        });
        start += len;
    }
    if value.is_empty() {
        let (field, array) = structs(&[]);
        value.push(Segment {
            start_row: 0,
            field,
            array,
        });
    }
    // The key stays raw (no stage reads it), one segment.
    let key_field = raw.field(columns::KEY).expect("raw key field");
    let key = [Segment {
        start_row: 0,
        field: (*key_field).clone(),
        array: raw.column(columns::KEY).expect("raw key").clone(),
    }];
    let starts: Vec<usize> = value.iter().map(|s| s.start_row).collect();
    let pieces = split::split(&raw, &key, &value).expect("split");
    assert_eq!(pieces.len(), starts.len(), "one piece per value run");
    starts.into_iter().zip(pieces).collect()
}

/// The value column of `rows`, none of them a tombstone.
fn structs(rows: &[Row]) -> (Field, ArrayRef) {
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
    let amounts: Float64Array = rows.iter().map(|r| r.value.as_ref().map(|v| v.2)).collect();
    let array = StructArray::new(
        fields.clone(),
        vec![Arc::new(ids), Arc::new(names), Arc::new(amounts)],
        None,
    );
    let field = schema::with_name(
        Field::new(columns::VALUE, DataType::Struct(fields), true),
        "test.Order",
    );
    (field, Arc::new(array))
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
            value_field: batch
                .field(columns::VALUE)
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
        let mut got = Vec::new();
        let mut got_errors: Vec<(usize, &str, String)> = Vec::new();
        // Each piece through the chain, as the sink runtime runs them.
        for (start, piece) in pieces(&rows) {
            let out = chain.apply(piece).expect("chain runs");
            got.extend(out.pieces.iter().flat_map(seen));
            got_errors.extend(
                out.errors
                    .iter()
                    .map(|e| (start + e.row, e.class, e.error.message().to_string())),
            );
        }
        got_errors.sort();
        let mut want = Vec::new();
        let mut want_errors = Vec::new();
        for (i, r) in rows.iter().enumerate() {
            let mut one = pieces(std::slice::from_ref(r)).remove(0).1;
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
                    .map(|e| (i, e.class, e.error.message().to_string())),
            );
        }
        prop_assert_eq!(got_errors, want_errors);
        prop_assert_eq!(got, want);
    }
}
