//! Golden vectors for transforms: Strait's transform chain must do to every record what Kafka's
//! own transforms do.
//!
//! The corpus is `tests/golden/transforms/<Name>.cases.jsonl`, one case per line:
//!
//! ```json
//! {"name":"…","converter":"schemas"|"schemaless","config":{"transforms":"a","transforms.a.type":"…",…},
//!  "converter_config":{…optional, extra key/value converter keys…},
//!  "records":[{"topic":"t","partition":0,"offset":0,"timestamp":1700000000000,
//!              "key":<json>,"value":<json>,"headers":[["h",<envelope>],…]}]}
//! ```
//!
//! `<Name>.java.jsonl` beside it is what Kafka 4.1.2 did (written by `cargo xtask golden`, Java
//! harness `xtask/golden/src/main/java/strait/golden/Transforms.java`): per case either
//! `{"config_error":{"class","message","stage"}}` or, per input record, one outcome: the output
//! record (`topic`, `partition`, `timestamp`, `key`, `value`, `headers` as JsonConverter writes
//! them), `{"dropped":true}`, `{"error":{"class","message"}}` (an exception from the chain) or
//! `{"encode_error":…}` (the output could not be written by the converter).
//!
//! Here each case runs as the sink runtime runs a batch: the records are one raw batch
//! (`RawBatchBuilder`), key and value are decoded with Strait's JsonConverter (`schemas.enable`
//! per the case), the batch is cut where a schema changes (`runtime::split`), the chain
//! (`registry::build_chain`, header converter = JsonConverter `schemas.enable=true`) runs over
//! each piece, and every input record's outcome is found through its offset (so offsets must
//! be unique within a case; they default to the record's index). Outputs are written back with
//! the same converters and compared with Java's as parsed JSON (object member order does not
//! matter, numbers compare as numbers). Header values on both sides go through the header
//! converter (decode, encode), as Java's harness does.
//!
//! Every difference of every case is reported (case name, record, a readable diff), then the
//! test fails. Error and config-error messages are compared too but listed in their own
//! section. A config error matches when Strait's message equals Java's or ends with
//! `": " + Java's message` (the registry adds the alias as context). A class Strait's registry
//! lacks fails the case, naming the class. A record the converters cannot decode is a bug of
//! the corpus and fails loudly.
//!
//! `STRAIT_GOLDEN_ONLY=Cast,Flatten` limits the run to those corpus files (`Cast` also selects
//! `Cast.<anything>.cases.jsonl`).
//!
//! Known converter differences the corpus must design around (they are not transform bugs):
//!
//! - Schemaless (`schemas.enable=false`): a batch's objects decode into one struct whose
//!   members are the union of all rows' members, and encoding writes every member, a missing
//!   one as `null`, where Java omits it. Cases give every schemaless object of a batch (at the
//!   same nesting level) the same members; a member may be `null` explicitly.
//!
//! Java's `Object.toString()` identity hashes (`…$InsertionSpec@7dc0f706`) change from run to
//! run: messages are compared without them.
//!
//! A few differences remain that Strait cannot remove with one schema per column; each is
//! listed in [`KNOWN`] by case and record, with its reason, and accepted only when the outcomes
//! differ exactly that way (anything else about the record must still match). A listed
//! difference that no longer occurs fails the run, so the list cannot go stale:
//!
//! - a transform's null value under a required schema (ExtractField of a field below a null
//!   struct): Java's record has the schema and no value, which JsonConverter refuses to write
//!   (`encode_error`); Strait's JsonConverter writes a null row of a required column as a
//!   null payload (a tombstone), as it writes the rows of a schemaless null column;
//! - a value Java's transform makes and its JsonConverter refuses (MaskField's `BigDecimal`
//!   mask at a scale other than the schema's): Strait's column cannot hold it, so the
//!   transform fails the row with the converter's exception;
//! - schemaless InsertField with a null record timestamp: Java's `Map` gets no timestamp entry,
//!   Strait's struct column has the member in every row, written as `null` (the converter
//!   difference above, which a corpus cannot avoid when timestamps differ within a batch).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BinaryArray, Int32Array, Int64Array, ListArray, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use serde_json::Value;
use strait_engine::batch::{columns, header_entries, topic_at, Batch, RawBatchBuilder};
use strait_engine::config::Props;
use strait_engine::plugin::{Converter, PluginType};
use strait_engine::runtime::split;
use strait_engine::transforms::registry::{self, build_chain};
use strait_engine::transforms::{Chain, TransformContext};
use strait_formats::json::JsonConverter;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/transforms");

/// What happened to one input record.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Record(Output),
    Dropped,
    /// An exception from the chain: Java class and message.
    Error(String, String),
    /// The output could not be encoded: Java class and message.
    EncodeError(String, String),
}

/// An output record as the converters write it.
#[derive(Debug, Clone, PartialEq)]
struct Output {
    topic: Value,
    partition: Value,
    timestamp: Value,
    key: Value,
    value: Value,
    headers: Vec<(String, Value)>,
}

/// The differences found, split so message-only differences stay visible on their own.
#[derive(Default)]
struct Report {
    problems: Vec<String>,
    messages: Vec<String>,
    /// The [`KNOWN`] differences seen, by record id.
    known: Vec<String>,
    cases: usize,
}

/// How a known difference shows.
#[derive(Clone, Copy)]
enum KnownKind {
    /// Java fails to write a null value under a required schema; Strait writes a tombstone.
    RequiredNullWrittenAsTombstone,
    /// Java's schemaless value lacks this member; Strait's has it, null.
    AbsentMemberWrittenAsNull(&'static str),
    /// Java's transform makes a value its JsonConverter cannot write; Strait's column cannot
    /// hold it, so the transform fails the row with the converter's exception.
    FailsInTheTransform,
    /// Java keeps a null value's own schema (the transform passes it through); in Strait the
    /// null row has the schema the transform gave the batch's column, so the envelope differs
    /// while both carry no payload.
    NullValueKeepsItsSchema,
}

/// A difference Strait does not remove: record id (`<file>/<case> record <n>`), how it shows,
/// and why (see the module doc).
struct Known {
    record: &'static str,
    kind: KnownKind,
    reason: &'static str,
}

const TOMBSTONE_REASON: &str = "Strait writes a null row of a required column as a null \
     payload; Java's record keeps the schema and fails to be written";
const ABSENT_MEMBER_REASON: &str = "schemaless structs have every member in every row; \
     Java's Map gets no entry for a null timestamp";

const NULL_SCHEMA_REASON: &str = "Java passes a null value through with its own schema; a \
    batch column has one schema, the transformed one, which the null row shares";

/// The value of a record outcome (null otherwise).
fn g_value(outcome: &Outcome) -> Value {
    match outcome {
        Outcome::Record(r) => r.value.clone(),
        _ => Value::Null,
    }
}

const KNOWN: &[Known] = &[
    Known {
        record: "Cast/schemas-whole-optional-null record 0",
        kind: KnownKind::NullValueKeepsItsSchema,
        reason: NULL_SCHEMA_REASON,
    },
    Known {
        record: "Flatten/schemas-optional-null-struct record 0",
        kind: KnownKind::NullValueKeepsItsSchema,
        reason: NULL_SCHEMA_REASON,
    },
    Known {
        record: "MaskField/schemas-decimal-scale-default record 0",
        kind: KnownKind::FailsInTheTransform,
        reason: "Java's mask BigDecimal.ZERO has scale 0, which JsonConverter refuses for a \
                 scale-2 schema; Strait's decimal column has the schema's scale only",
    },
    Known {
        record: "ExtractField/schemas-nested-v2 record 1",
        kind: KnownKind::RequiredNullWrittenAsTombstone,
        reason: TOMBSTONE_REASON,
    },
    Known {
        record: "ExtractField/schemas-deep-v2 record 1",
        kind: KnownKind::RequiredNullWrittenAsTombstone,
        reason: TOMBSTONE_REASON,
    },
    Known {
        record: "ExtractField/schemas-v2-lowercase record 1",
        kind: KnownKind::RequiredNullWrittenAsTombstone,
        reason: TOMBSTONE_REASON,
    },
    Known {
        record: "ExtractField/schemas-optional-null-struct record 0",
        kind: KnownKind::RequiredNullWrittenAsTombstone,
        reason: TOMBSTONE_REASON,
    },
    Known {
        record: "InsertField/schemaless-all-optional record 1",
        kind: KnownKind::AbsentMemberWrittenAsNull("ts"),
        reason: ABSENT_MEMBER_REASON,
    },
    Known {
        record: "InsertField/schemaless-all-required record 1",
        kind: KnownKind::AbsentMemberWrittenAsNull("ts"),
        reason: ABSENT_MEMBER_REASON,
    },
    Known {
        record: "InsertField/schemaless-all-explicit-optional record 1",
        kind: KnownKind::AbsentMemberWrittenAsNull("ts"),
        reason: ABSENT_MEMBER_REASON,
    },
];

impl KnownKind {
    /// Whether `want` (Java) and `got` (Strait) differ exactly this way.
    fn matches(self, want: &Outcome, got: &Outcome) -> bool {
        match (self, want, got) {
            (
                KnownKind::RequiredNullWrittenAsTombstone,
                Outcome::EncodeError(class, message),
                Outcome::Record(g),
            ) => {
                class == "org.apache.kafka.connect.errors.DataException"
                    && message
                        == "Conversion error: null value for field that is required and has no default value"
                    && (g.value.is_null() || g.key.is_null())
            }
            (KnownKind::AbsentMemberWrittenAsNull(m), Outcome::Record(w), Outcome::Record(g)) => {
                let mut g = g.clone();
                let removed = g.value.as_object_mut().and_then(|o| o.remove(m));
                removed == Some(Value::Null) && w.value.get(m).is_none() && *w == g
            }
            (KnownKind::FailsInTheTransform, Outcome::EncodeError(wc, wm), Outcome::Error(gc, gm)) => {
                wc == gc && wm == gm
            }
            (KnownKind::NullValueKeepsItsSchema, Outcome::Record(w), Outcome::Record(g)) => {
                let no_payload = |v: &Value| v.is_null() || v["payload"].is_null();
                let mut g = g.clone();
                g.value = w.value.clone();
                no_payload(&w.value) && !w.value["schema"].is_null() && no_payload(&g_value(got)) && *w == g
            }
            _ => false,
        }
    }
}

/// One case's converters.
struct Converters {
    key: JsonConverter,
    value: JsonConverter,
    header: Arc<JsonConverter>,
}

impl Converters {
    fn new(schemas: bool, extra: &Props) -> Converters {
        let mut props = extra.clone();
        props.insert("schemas.enable".into(), schemas.to_string());
        let header = Props::from([
            ("schemas.enable".to_string(), "true".to_string()),
            ("converter.type".to_string(), "header".to_string()),
        ]);
        Converters {
            key: JsonConverter::new(&props, true).expect("key converter config"),
            value: JsonConverter::new(&props, false).expect("value converter config"),
            header: Arc::new(JsonConverter::new(&header, false).expect("header converter config")),
        }
    }
}

#[test]
fn every_corpus_matches_java() {
    let only: Option<Vec<String>> = std::env::var("STRAIT_GOLDEN_ONLY")
        .ok()
        .map(|v| v.split(',').map(|s| s.trim().to_string()).collect());
    let mut names: Vec<String> = std::fs::read_dir(DIR)
        .unwrap_or_else(|e| panic!("{DIR}: {e}"))
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".cases.jsonl").map(str::to_string)
        })
        .collect();
    names.sort();
    assert!(
        names.iter().any(|n| n == "Identity"),
        "Identity.cases.jsonl is missing from {DIR}"
    );
    if let Some(only) = &only {
        // `Cast` selects `Cast.cases.jsonl` and `Cast.<more>.cases.jsonl`.
        let selected = |n: &str, o: &str| n == o || n.starts_with(&format!("{o}."));
        for o in only {
            assert!(
                names.iter().any(|n| selected(n, o)),
                "STRAIT_GOLDEN_ONLY names {o}, which has no corpus file"
            );
        }
        names.retain(|n| only.iter().any(|o| selected(n, o)));
    }
    let mut out = String::new();
    let mut failed = false;
    let mut total = 0;
    for name in &names {
        let mut report = run_file(name);
        total += report.cases;
        for known in KNOWN.iter().filter(|k| {
            k.record
                .strip_prefix(name.as_str())
                .is_some_and(|r| r.starts_with('/'))
        }) {
            if report.known.iter().any(|r| r == known.record) {
                println!("known difference: {} ({})", known.record, known.reason);
            } else {
                report.problems.push(format!(
                    "{}: listed in KNOWN, but that difference no longer occurs: remove it",
                    known.record
                ));
            }
        }
        if report.problems.is_empty() && report.messages.is_empty() {
            continue;
        }
        failed = true;
        let _ = writeln!(out, "\n==== {name}: {} cases", report.cases);
        if !report.problems.is_empty() {
            let _ = writeln!(out, "-- {} differences:", report.problems.len());
            for p in &report.problems {
                let _ = writeln!(out, "{p}");
            }
        }
        if !report.messages.is_empty() {
            let _ = writeln!(out, "-- {} message differences:", report.messages.len());
            for p in &report.messages {
                let _ = writeln!(out, "{p}");
            }
        }
    }
    assert!(total > 0, "no golden transform cases ran");
    assert!(!failed, "golden transform vectors differ from Java:{out}");
}

fn read_lines(path: &str) -> Vec<(usize, Value)> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{path}: {e} (regenerate with `cargo xtask golden`)"));
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let v = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{path}:{}: not JSON: {e}", i + 1));
            (i + 1, v)
        })
        .collect()
}

fn run_file(name: &str) -> Report {
    let cases_path = format!("{DIR}/{name}.cases.jsonl");
    let java_path = format!("{DIR}/{name}.java.jsonl");
    let cases = read_lines(&cases_path);
    let java: HashMap<String, Value> = read_lines(&java_path)
        .into_iter()
        .map(|(_, v)| (str_of(&v, "name").to_string(), v))
        .collect();
    let mut report = Report::default();
    for (line, case) in &cases {
        let case_name = str_of(case, "name");
        let Some(expected) = java.get(case_name) else {
            panic!(
                "{cases_path}:{line}: case {case_name} has no Java outcome in {java_path}; \
                 regenerate with `cargo xtask golden`"
            );
        };
        report.cases += 1;
        run_case(&format!("{name}/{case_name}"), case, expected, &mut report);
    }
    assert_eq!(
        cases.len(),
        java.len(),
        "{java_path} has outcomes for cases {cases_path} no longer has; regenerate with `cargo xtask golden`"
    );
    report
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("\"{key}\" must be a string in {v}"))
}

fn props_of(v: &Value, key: &str, case: &str) -> Props {
    match &v[key] {
        Value::Null => Props::new(),
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| {
                let v = v
                    .as_str()
                    .unwrap_or_else(|| panic!("{case}: {key}.{k} must be a string"));
                (k.clone(), v.to_string())
            })
            .collect(),
        other => panic!("{case}: {key} must be an object, not {other}"),
    }
}

fn run_case(id: &str, case: &Value, java: &Value, report: &mut Report) {
    let schemas = match str_of(case, "converter") {
        "schemas" => true,
        "schemaless" => false,
        other => panic!("{id}: converter must be schemas or schemaless, not {other}"),
    };
    let config = props_of(case, "config", id);
    let conv = Converters::new(schemas, &props_of(case, "converter_config", id));
    let ctx = TransformContext {
        header_converter: conv.header.clone(),
    };
    // Every class the config names must be in Strait's registry (unless Java could not load
    // it either).
    let java_config_error = java["config_error"]["message"].as_str().unwrap_or("");
    let mut missing = false;
    for (list, kind) in [
        ("transforms", PluginType::Transformation),
        ("predicates", PluginType::Predicate),
    ] {
        let aliases = config.get(list).map(String::as_str).unwrap_or("");
        for alias in aliases.split(',').map(str::trim).filter(|a| !a.is_empty()) {
            let key = format!("{list}.{alias}.type");
            let Some(class) = config.get(&key).map(|c| c.trim()) else {
                continue;
            };
            let not_in_java =
                java_config_error.contains(&format!("Class {class} could not be found."));
            if registry::find(kind, class).is_none() && !not_in_java {
                missing = true;
                report.problems.push(format!(
                    "{id}: {class} ({key}) is not in Strait's transform registry"
                ));
            }
        }
    }
    if missing {
        return;
    }
    let built = build_chain(&config, &ctx);
    if let Some(err) = java.get("config_error") {
        let (class, message) = (str_of(err, "class"), err["message"].as_str().unwrap_or(""));
        match built {
            Ok(_) => report.problems.push(format!(
                "{id}: Java rejects the config ({class}: {message}), Strait accepts it"
            )),
            Err(e) => {
                if e.java_class() != class {
                    report.problems.push(format!(
                        "{id}: config error class: java {class}, strait {} ({})",
                        e.java_class(),
                        e.message()
                    ));
                }
                let message = without_identity_hashes(message);
                if e.message() != message && !e.message().ends_with(&format!(": {message}")) {
                    report.messages.push(format!(
                        "{id}: config error message:\n    java:   {message}\n    strait: {}",
                        e.message()
                    ));
                }
            }
        }
        return;
    }
    let chain = match built {
        Ok(chain) => chain,
        Err(e) => {
            report.problems.push(format!(
                "{id}: Java accepts the config, Strait rejects it: {}: {}",
                e.java_class(),
                e.message()
            ));
            return;
        }
    };
    let records = case["records"]
        .as_array()
        .unwrap_or_else(|| panic!("{id}: records must be an array"));
    let expected: Vec<Outcome> = java["records"]
        .as_array()
        .unwrap_or_else(|| panic!("{id}: Java outcome has no records"))
        .iter()
        .map(java_outcome)
        .collect();
    assert_eq!(
        expected.len(),
        records.len(),
        "{id}: Java has {} outcomes for {} records; regenerate with `cargo xtask golden`",
        expected.len(),
        records.len()
    );
    let got = match run_records(id, records, &conv, &chain) {
        Ok(got) => got,
        Err(e) => {
            report
                .problems
                .push(format!("{id}: the chain failed the whole batch: {e}"));
            return;
        }
    };
    for (row, (want, got)) in expected.iter().zip(&got).enumerate() {
        compare(&format!("{id} record {row}"), want, got, report);
    }
}

fn java_outcome(v: &Value) -> Outcome {
    let err = |e: &Value| {
        (
            str_of(e, "class").to_string(),
            e["message"].as_str().unwrap_or("").to_string(),
        )
    };
    if v.get("dropped").is_some() {
        Outcome::Dropped
    } else if let Some(e) = v.get("error") {
        let (c, m) = err(e);
        Outcome::Error(c, m)
    } else if let Some(e) = v.get("encode_error") {
        let (c, m) = err(e);
        Outcome::EncodeError(c, m)
    } else {
        let headers = v["headers"]
            .as_array()
            .expect("headers")
            .iter()
            .map(|h| (h[0].as_str().expect("header key").to_string(), h[1].clone()))
            .collect();
        Outcome::Record(Output {
            topic: v["topic"].clone(),
            partition: v["partition"].clone(),
            timestamp: v["timestamp"].clone(),
            key: v["key"].clone(),
            value: v["value"].clone(),
            headers,
        })
    }
}

fn payload(v: &Value) -> Option<Vec<u8>> {
    (!v.is_null()).then(|| serde_json::to_vec(v).expect("JSON serializes"))
}

/// Run the records as one sink batch; the outcome of each, in input order.
fn run_records(
    id: &str,
    records: &[Value],
    conv: &Converters,
    chain: &Chain,
) -> strait_engine::Result<Vec<Outcome>> {
    let mut builder = RawBatchBuilder::with_capacity(records.len(), 1024);
    let mut row_of_offset: BTreeMap<i64, usize> = BTreeMap::new();
    for (i, r) in records.iter().enumerate() {
        let offset = r["offset"].as_i64().unwrap_or(i as i64);
        assert!(
            row_of_offset.insert(offset, i).is_none(),
            "{id}: offset {offset} is used twice; offsets identify records and must be unique in a case"
        );
        let headers: Vec<(String, Option<Vec<u8>>)> = match &r["headers"] {
            Value::Null => Vec::new(),
            Value::Array(hs) => hs
                .iter()
                .map(|h| {
                    let key = h[0]
                        .as_str()
                        .unwrap_or_else(|| panic!("{id}: header {h} is not [key, value]"));
                    (key.to_string(), payload(&h[1]))
                })
                .collect(),
            other => panic!("{id}: headers must be an array, not {other}"),
        };
        builder.append(
            r["topic"]
                .as_str()
                .unwrap_or_else(|| panic!("{id}: record {i} has no topic")),
            r["partition"].as_i64().unwrap_or(0) as i32,
            offset,
            r["timestamp"].as_i64(),
            payload(&r["key"]).as_deref(),
            payload(&r["value"]).as_deref(),
            headers.iter().map(|(k, v)| (k.as_str(), v.as_deref())),
        );
    }
    let mut batch = builder.finish()?;
    let raw_key = binary(&batch.records, columns::KEY).clone();
    let raw_value = binary(&batch.records, columns::VALUE).clone();
    let key = conv.key.to_connect(&raw_key)?;
    let value = conv.value.to_connect(&raw_value)?;
    for (column, errors) in [("key", &key.errors), ("value", &value.errors)] {
        if let Some(e) = errors.first() {
            panic!(
                "{id}: corpus bug: record {} {column} does not decode: {}",
                e.row, e.error
            );
        }
    }
    let headers = list(&batch.records, columns::HEADERS);
    for row in 0..batch.num_rows() {
        for (k, v) in header_entries(headers, row) {
            if let Err(e) = header_json(&conv.header, v) {
                panic!("{id}: corpus bug: record {row} header {k} does not decode: {e}");
            }
        }
    }
    batch.original = Some(RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new(columns::KEY, DataType::Binary, true),
            Field::new(columns::VALUE, DataType::Binary, true),
        ])),
        vec![Arc::new(raw_key) as ArrayRef, Arc::new(raw_value)],
    )?);
    let mut outcomes: Vec<Option<Outcome>> = vec![None; records.len()];
    let mut place = |offset: i64, outcome: Outcome| {
        let row = row_of_offset[&offset];
        assert!(
            outcomes[row].is_none(),
            "{id}: record {row} came out of the chain twice"
        );
        outcomes[row] = Some(outcome);
    };
    for piece in split::split(&batch, &key.segments, &value.segments)? {
        let offsets = int64(&piece.records, columns::OFFSET).clone();
        let out = chain.apply(piece)?;
        for e in out.errors {
            place(
                offsets.value(e.row),
                Outcome::Error(
                    e.error.java_class().to_string(),
                    e.error.message().to_string(),
                ),
            );
        }
        for piece in &out.pieces {
            for (offset, outcome) in encode(piece, conv)? {
                place(offset, outcome);
            }
        }
    }
    Ok(outcomes
        .into_iter()
        .map(|o| o.unwrap_or(Outcome::Dropped))
        .collect())
}

fn binary<'a>(records: &'a RecordBatch, name: &str) -> &'a BinaryArray {
    records
        .column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref())
        .unwrap_or_else(|| panic!("{name} is not a Binary column"))
}

fn int64<'a>(records: &'a RecordBatch, name: &str) -> &'a Int64Array {
    records
        .column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref())
        .unwrap_or_else(|| panic!("{name} is not an Int64 column"))
}

fn list<'a>(records: &'a RecordBatch, name: &str) -> &'a ListArray {
    records
        .column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref())
        .unwrap_or_else(|| panic!("{name} is not a List column"))
}

fn json(bytes: Option<&[u8]>) -> Value {
    bytes.map_or(Value::Null, |b| {
        serde_json::from_slice(b).unwrap_or_else(|e| {
            panic!(
                "converter output is not JSON ({e}): {}",
                String::from_utf8_lossy(b)
            )
        })
    })
}

/// A header value as the header converter reads and writes it back.
fn header_json(conv: &JsonConverter, bytes: Option<&[u8]>) -> strait_engine::Result<Value> {
    let Some(bytes) = bytes else {
        return Ok(Value::Null);
    };
    let decoded = conv.to_connect(&BinaryArray::from(vec![Some(bytes)]))?;
    if let Some(e) = decoded.errors.into_iter().next() {
        return Err(e.error);
    }
    let segment = &decoded.segments[0];
    let out = conv.from_connect(&segment.field, &segment.array)?;
    Ok(json((!out.is_null(0)).then(|| out.value(0))))
}

/// The outcome of every row of an output piece, by offset.
fn encode(piece: &Batch, conv: &Converters) -> strait_engine::Result<Vec<(i64, Outcome)>> {
    let records = &piece.records;
    let rows = records.num_rows();
    let offsets = int64(records, columns::OFFSET);
    let column = |name: &str| {
        let schema = records.schema();
        let field = schema
            .field_with_name(name)
            .unwrap_or_else(|_| panic!("output has no {name} column"))
            .clone();
        (field, records.column_by_name(name).unwrap().clone())
    };
    let (kf, ka) = column(columns::KEY);
    let (vf, va) = column(columns::VALUE);
    let encode_error = |e: strait_engine::Error| {
        Outcome::EncodeError(e.java_class().to_string(), e.message().to_string())
    };
    let (keys, values) = match (
        conv.key.from_connect(&kf, &ka),
        conv.value.from_connect(&vf, &va),
    ) {
        (Ok(k), Ok(v)) => (k, v),
        (Err(e), _) | (_, Err(e)) if rows == 1 => {
            return Ok(vec![(offsets.value(0), encode_error(e))]);
        }
        // Java writes record by record, so one unwritable record fails alone: the encoder
        // fails a whole column, so find the rows it fails on one by one.
        _ => {
            let mut out = Vec::with_capacity(rows);
            for r in 0..rows {
                let one = Batch {
                    records: records.slice(r, 1),
                    ..piece.clone()
                };
                out.extend(encode(&one, conv)?);
            }
            return Ok(out);
        }
    };
    let topics = records.column_by_name(columns::TOPIC).expect("topic");
    let partitions = records
        .column_by_name(columns::PARTITION)
        .and_then(|c| c.as_any().downcast_ref::<Int32Array>())
        .expect("partition is Int32");
    let timestamps = arrow::compute::cast(
        records
            .column_by_name(columns::TIMESTAMP)
            .expect("timestamp"),
        &DataType::Int64,
    )?;
    let timestamps = timestamps.as_any().downcast_ref::<Int64Array>().unwrap();
    let headers = list(records, columns::HEADERS);
    let mut out = Vec::with_capacity(rows);
    for r in 0..rows {
        let mut hs = Vec::new();
        let mut failed = None;
        for (k, v) in header_entries(headers, r) {
            match header_json(&conv.header, v) {
                Ok(j) => hs.push((k.to_string(), j)),
                Err(e) => failed = Some(e),
            }
        }
        let outcome = match failed {
            Some(e) => encode_error(e),
            None => Outcome::Record(Output {
                topic: Value::from(topic_at(topics, r)),
                partition: Value::from((!partitions.is_null(r)).then(|| partitions.value(r))),
                timestamp: Value::from((!timestamps.is_null(r)).then(|| timestamps.value(r))),
                key: json((!keys.is_null(r)).then(|| keys.value(r))),
                value: json((!values.is_null(r)).then(|| values.value(r))),
                headers: hs,
            }),
        };
        out.push((offsets.value(r), outcome));
    }
    Ok(out)
}

fn describe(o: &Outcome) -> String {
    match o {
        Outcome::Record(_) => "an output record".into(),
        Outcome::Dropped => "dropped".into(),
        Outcome::Error(c, m) => format!("error {c}: {m}"),
        Outcome::EncodeError(c, m) => format!("encode error {c}: {m}"),
    }
}

fn compare(id: &str, want: &Outcome, got: &Outcome, report: &mut Report) {
    if let Some(known) = KNOWN.iter().find(|k| k.record == id) {
        if known.kind.matches(want, got) {
            report.known.push(id.to_string());
            return;
        }
    }
    match (want, got) {
        (Outcome::Record(w), Outcome::Record(g)) => {
            let mut diffs = Vec::new();
            for (what, a, b) in [
                ("topic", &w.topic, &g.topic),
                ("partition", &w.partition, &g.partition),
                ("timestamp", &w.timestamp, &g.timestamp),
                ("key", &w.key, &g.key),
                ("value", &w.value, &g.value),
            ] {
                json_diff(what, a, b, &mut diffs);
            }
            let wk: Vec<&str> = w.headers.iter().map(|h| h.0.as_str()).collect();
            let gk: Vec<&str> = g.headers.iter().map(|h| h.0.as_str()).collect();
            if wk != gk {
                diffs.push(format!(
                    "  header keys: java {wk:?}\n               strait {gk:?}"
                ));
            } else {
                for (i, (a, b)) in w.headers.iter().zip(&g.headers).enumerate() {
                    json_diff(&format!("headers[{i}] {}", a.0), &a.1, &b.1, &mut diffs);
                }
            }
            if !diffs.is_empty() {
                report
                    .problems
                    .push(format!("{id}: output differs:\n{}", diffs.join("\n")));
            }
        }
        (Outcome::Dropped, Outcome::Dropped) => {}
        (Outcome::Error(wc, wm), Outcome::Error(gc, gm))
        | (Outcome::EncodeError(wc, wm), Outcome::EncodeError(gc, gm)) => {
            if wc != gc {
                report.problems.push(format!(
                    "{id}: exception class: java {wc}, strait {gc} (strait message: {gm})"
                ));
            }
            if without_identity_hashes(wm) != *gm {
                report.messages.push(format!(
                    "{id}: message:\n    java:   {wm}\n    strait: {gm}"
                ));
            }
        }
        _ => report.problems.push(format!(
            "{id}: java: {}\n    strait: {}{}",
            describe(want),
            describe(got),
            match got {
                Outcome::Record(g) => format!(
                    "\n    strait value: {}",
                    serde_json::to_string(&g.value).unwrap()
                ),
                _ => String::new(),
            }
        )),
    }
}

/// The paths where `a` (Java) and `b` (Strait) differ, at most a few per value.
fn json_diff(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    const MAX: usize = 8;
    if a == b || out.len() >= MAX {
        return;
    }
    match (a, b) {
        // The harness reads Java's output with exact BigDecimals, which prints a double with an
        // integral value (`2.147483647E9`) as `2147483647`: a float on either side compares by
        // value (the schema, compared beside it, says whether the value is a float).
        (Value::Number(x), Value::Number(y))
            if (x.is_f64() || y.is_f64()) && x.as_f64() == y.as_f64() => {}
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                match y.get(k) {
                    Some(w) => json_diff(&format!("{path}.{k}"), v, w, out),
                    None => out.push(format!("  {path}.{k}: only in java: {v}")),
                }
            }
            for (k, w) in y {
                if !x.contains_key(k) {
                    out.push(format!("  {path}.{k}: only in strait: {w}"));
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                json_diff(&format!("{path}[{i}]"), v, w, out);
            }
        }
        _ => out.push(format!("  {path}:\n    java:   {a}\n    strait: {b}")),
    }
}

/// `message` without Java's identity hashes: `Class@1b2c3d` becomes `Class` (a hash follows a
/// class name, so an `@` after a letter or digit, then hex digits to the end of the word).
fn without_identity_hashes(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find('@') {
        let (before, after) = rest.split_at(at);
        out.push_str(before);
        let hex = after[1..]
            .find(|c: char| !c.is_ascii_hexdigit())
            .unwrap_or(after.len() - 1);
        let word_ends = after[1 + hex..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric());
        let after_name = before.chars().last().is_some_and(|c| c.is_alphanumeric());
        if hex > 0 && word_ends && after_name {
            rest = &after[1 + hex..];
        } else {
            out.push('@');
            rest = &after[1..];
        }
    }
    out.push_str(rest);
    out
}
