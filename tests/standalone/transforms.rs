//! Single Message Transforms end to end: sink and source chains on the real broker, with
//! predicates, offsets past filtered records, and a failing transform's record in the DLQ.

use super::*;

/// The committed offset of `group` on partition 0 of `topic`, once it reaches `want`.
fn wait_committed(group: &str, topic: &str, want: i64) {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", group)
        .create()
        .unwrap();
    let mut tpl = rdkafka::TopicPartitionList::new();
    tpl.add_partition(topic, 0);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let committed = consumer
            .committed_offsets(tpl.clone(), Duration::from_secs(10))
            .unwrap();
        let offset = committed.elements()[0].offset();
        if offset == rdkafka::Offset::Offset(want) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "group {group} committed {offset:?} on {topic}-0, want {want}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The values of the first `n` records of `topic`, as text.
fn consume_values(topic: &str, n: usize) -> Vec<String> {
    use rdkafka::message::Message;
    consume(topic, n, |message| {
        String::from_utf8(message.payload().unwrap_or_default().to_vec()).unwrap()
    })
}

const ORDER_SCHEMA: &str = r#"{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"},{"type":"string","optional":false,"field":"amount"}],"optional":false}"#;

/// RegexRouter → Filter (on HasHeaderKey) → InsertField (topic) → Cast, on a FileStreamSink:
/// the right records arrive with the routed topic and cast amounts, and the group commits past
/// the filtered records at the end of the topic.
#[test]
fn sink_chain_routes_filters_inserts_and_casts() {
    let dir = tempfile::tempdir().unwrap();
    let base = unique("smt-sink");
    let topic = format!("{base}-in");
    let skipped = [3, 7, 8, 9];
    let values: Vec<String> = (0..10)
        .map(|i| format!(r#"{{"schema":{ORDER_SCHEMA},"payload":{{"id":{i},"amount":"{i}.5"}}}}"#))
        .collect();
    let records: Vec<(&str, &[(&str, &[u8])])> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let headers: &[(&str, &[u8])] = if skipped.contains(&i) {
                &[("skip", b"yes")]
            } else {
                &[("other", b"1")]
            };
            (v.as_str(), headers)
        })
        .collect();
    produce_with_headers(&topic, &records);
    let out = dir.path().join("out.txt");
    let name = format!("{base}-sink");
    let sink = format!(
        "name={name}\nconnector.class=FileStreamSink\nfile={}\ntopics={topic}\n\
         value.converter=org.apache.kafka.connect.json.JsonConverter\nvalue.converter.schemas.enable=true\n\
         transforms=route,drop,insert,cast\n\
         transforms.route.type=org.apache.kafka.connect.transforms.RegexRouter\n\
         transforms.route.regex=(.*)-in\ntransforms.route.replacement=$1-out\n\
         transforms.drop.type=org.apache.kafka.connect.transforms.Filter\n\
         transforms.drop.predicate=hasSkip\n\
         transforms.insert.type=org.apache.kafka.connect.transforms.InsertField$Value\n\
         transforms.insert.topic.field=topic\n\
         transforms.cast.type=org.apache.kafka.connect.transforms.Cast$Value\n\
         transforms.cast.spec=amount:float64\n\
         predicates=hasSkip\n\
         predicates.hasSkip.type=org.apache.kafka.connect.transforms.predicates.HasHeaderKey\n\
         predicates.hasSkip.name=skip\n",
        out.display()
    );
    let w = Worker::start(dir.path(), "w", "", &[("sink.properties", sink)]);
    wait_rest(&w);
    let want: Vec<String> = (0..10)
        .filter(|i| !skipped.contains(i))
        .map(|i| format!("Struct{{id={i},amount={i}.5,topic={base}-out}}"))
        .collect();
    wait_lines(&w, &out, want.len(), Duration::from_secs(60));
    wait_committed(&format!("connect-{name}"), &topic, 10);
    let got = std::fs::read_to_string(&out).unwrap();
    assert_eq!(got.lines().collect::<Vec<_>>(), want);
    let (_, status) = w.get(&format!("/connectors/{name}/status"));
    assert_eq!(status["tasks"][0]["state"], "RUNNING", "{status}");
    w.stop();
}

/// FileStreamSource → HoistField → InsertField (static) → TimestampRouter: each line arrives,
/// wrapped and tagged, in the topic named after the record's date.
#[test]
fn source_chain_hoists_inserts_and_routes_by_timestamp() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("smt-source");
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "alpha\nbeta\ngamma\n").unwrap();
    let day = || {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        civil_date(secs.div_euclid(86_400))
    };
    let before = day();
    let source = format!(
        "name={topic}-src\nconnector.class=FileStreamSource\nfile={}\ntopic={topic}\n\
         value.converter=org.apache.kafka.connect.json.JsonConverter\nvalue.converter.schemas.enable=false\n\
         transforms=hoist,tag,route\n\
         transforms.hoist.type=org.apache.kafka.connect.transforms.HoistField$Value\n\
         transforms.hoist.field=line\n\
         transforms.tag.type=org.apache.kafka.connect.transforms.InsertField$Value\n\
         transforms.tag.static.field=origin\ntransforms.tag.static.value=file\n\
         transforms.route.type=org.apache.kafka.connect.transforms.TimestampRouter\n\
         transforms.route.topic.format=${{topic}}_${{timestamp}}\n\
         transforms.route.timestamp.format=yyyyMMdd\n",
        input.display()
    );
    let w = Worker::start(dir.path(), "w", "", &[("source.properties", source)]);
    wait_rest(&w);
    // The records carry the poll time; the day may turn while the test runs.
    let deadline = Instant::now() + Duration::from_secs(60);
    let routed = loop {
        let candidates = [format!("{topic}_{before}"), format!("{topic}_{}", day())];
        if let Some(t) = candidates.iter().find(|t| topic_exists(t)) {
            break t.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no routed topic among {candidates:?}; log:\n{}",
            w.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let got = consume_values(&routed, 3);
    assert_eq!(
        got,
        ["alpha", "beta", "gamma"]
            .map(|l| format!(r#"{{"line":"{l}","origin":"file"}}"#))
            .to_vec()
    );
    assert!(
        !topic_exists(&topic),
        "nothing is written to the unrouted topic"
    );
    w.stop();
}

fn topic_exists(topic: &str) -> bool {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let admin: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("allow.auto.create.topics", "false")
        .create()
        .unwrap();
    let metadata = admin.fetch_metadata(None, Duration::from_secs(10)).unwrap();
    metadata.topics().iter().any(|t| t.name() == topic)
}

/// `yyyyMMdd` of a day count since the epoch (UTC), by the civil-from-days algorithm.
fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}{m:02}{d:02}")
}

/// A Cast that fails on one record under `errors.tolerance=all`: that record lands in the DLQ,
/// unchanged, with the TRANSFORMATION context headers; the others are delivered.
#[test]
fn a_failing_cast_goes_to_the_dlq_and_the_rest_arrives() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("smt-dlq");
    let dlq = format!("{topic}-dlq");
    let schema = r#"{"type":"struct","fields":[{"type":"string","optional":false,"field":"id"}],"optional":false}"#;
    let values: Vec<String> = ["12", "abc", "34"]
        .iter()
        .map(|id| format!(r#"{{"schema":{schema},"payload":{{"id":"{id}"}}}}"#))
        .collect();
    let records: Vec<(&str, &[(&str, &[u8])])> =
        values.iter().map(|v| (v.as_str(), &[][..])).collect();
    produce_with_headers(&topic, &records);
    let out = dir.path().join("out.txt");
    let sink = format!(
        "name={topic}-sink\nconnector.class=FileStreamSink\nfile={}\ntopics={topic}\n\
         value.converter=org.apache.kafka.connect.json.JsonConverter\n\
         transforms=cast\ntransforms.cast.type=org.apache.kafka.connect.transforms.Cast$Value\ntransforms.cast.spec=id:int32\n\
         errors.tolerance=all\nerrors.deadletterqueue.topic.name={dlq}\n\
         errors.deadletterqueue.context.headers.enable=true\n\
         errors.deadletterqueue.topic.replication.factor=1\n",
        out.display()
    );
    let w = Worker::start(dir.path(), "w", "", &[("sink.properties", sink)]);
    wait_rest(&w);
    wait_lines(&w, &out, 2, Duration::from_secs(60));
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "Struct{id=12}\nStruct{id=34}\n"
    );
    assert_eq!(
        consume_values(&dlq, 1),
        vec![values[1].clone()],
        "the DLQ holds the original record"
    );
    let headers = consume_headers(&dlq, 1).remove(0);
    let header = |k: &str| {
        headers
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {k} header in {headers:?}"))
    };
    assert_eq!(header("__connect.errors.stage"), "TRANSFORMATION");
    assert_eq!(
        header("__connect.errors.class.name"),
        "org.apache.kafka.connect.transforms.Cast$Value"
    );
    assert_eq!(
        header("__connect.errors.exception.class.name"),
        "org.apache.kafka.connect.errors.DataException"
    );
    assert_eq!(header("__connect.errors.topic"), topic);
    assert_eq!(header("__connect.errors.offset"), "1");
    w.stop();
}

/// A chain of a router and a header filter on a sink that takes raw bytes never decodes the
/// payloads: records that are not JSON pass under `value.converter=JsonConverter` and
/// `errors.tolerance=none`, and the group commits past all of them.
#[test]
fn routers_and_header_filters_never_parse_payloads() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("smt-raw");
    let records: Vec<(&str, &[(&str, &[u8])])> = vec![
        ("not json", &[]),
        ("{\"also\": not json", &[("drop", b"1")]),
        ("plain text", &[]),
    ];
    produce_with_headers(&topic, &records);
    let name = format!("{topic}-sink");
    let sink = format!(
        "name={name}\nconnector.class=blackhole\ntopics={topic}\nerrors.tolerance=none\n\
         value.converter=org.apache.kafka.connect.json.JsonConverter\n\
         transforms=route,drop\n\
         transforms.route.type=org.apache.kafka.connect.transforms.RegexRouter\n\
         transforms.route.regex=.*\ntransforms.route.replacement=elsewhere\n\
         transforms.drop.type=org.apache.kafka.connect.transforms.Filter\n\
         transforms.drop.predicate=marked\n\
         predicates=marked\n\
         predicates.marked.type=org.apache.kafka.connect.transforms.predicates.HasHeaderKey\n\
         predicates.marked.name=drop\n"
    );
    let w = Worker::start(dir.path(), "w", "", &[("sink.properties", sink)]);
    wait_rest(&w);
    wait_committed(&format!("connect-{name}"), &topic, 3);
    let (_, status) = w.get(&format!("/connectors/{name}/status"));
    assert_eq!(status["tasks"][0]["state"], "RUNNING", "{status}");
    w.stop();
}
