//! `GET /metrics` end to end: a FileStreamSource → Kafka → FileStreamSink pipeline on the real
//! broker, then the Prometheus page. Every `kafka_connect_*` series must carry a name and label
//! set that the Prometheus JMX exporter gives Java's metric of the same group and name
//! (`engine/tests/golden/connect_metrics.tsv`, written by `cargo xtask golden` from
//! `ConnectMetricsRegistry` and the real exporter), every numeric metric of the groups a
//! standalone worker has must be there, and the counts must equal the records each task handled.

use std::collections::{BTreeMap, BTreeSet};

use super::*;

/// One series of the page: its labels and value.
pub(crate) type Series = Vec<(BTreeMap<String, String>, f64)>;

pub(crate) fn get_text(port: u16, path: &str) -> (u16, String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let (head, body) = resp.split_once("\r\n\r\n").unwrap_or((&resp, ""));
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let content_type = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type:")
                .map(|v| v.trim().to_string())
        })
        .unwrap_or_default();
    (status, content_type, body.to_string())
}

/// The page's series by family name; panics on a line that is not the text format.
pub(crate) fn parse(page: &str) -> BTreeMap<String, Series> {
    let mut out: BTreeMap<String, Series> = BTreeMap::new();
    for line in page.lines() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("a sample line");
        let value: f64 = match value {
            "NaN" => f64::NAN,
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("bad value in {line}")),
        };
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => {
                let inner = rest.strip_suffix('}').expect("closed labels");
                let labels = inner
                    .split(',')
                    .filter(|kv| !kv.is_empty())
                    .map(|kv| {
                        let (k, v) = kv.split_once('=').expect("label=value");
                        (k.to_string(), v.trim_matches('"').to_string())
                    })
                    .collect();
                (name.to_string(), labels)
            }
            None => (series.to_string(), BTreeMap::new()),
        };
        out.entry(name).or_default().push((labels, value));
    }
    out
}

/// Golden rows with a Prometheus name: (group, metric, name, label names).
pub(crate) fn golden() -> Vec<(String, String, String, BTreeSet<String>)> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("engine/tests/golden/connect_metrics.tsv");
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            (!cols[3].is_empty()).then(|| {
                (
                    cols[0].to_string(),
                    cols[1].to_string(),
                    cols[3].to_string(),
                    cols[4]
                        .split(',')
                        .filter(|l| !l.is_empty())
                        .map(str::to_string)
                        .collect(),
                )
            })
        })
        .collect()
}

/// The value of `name` for the series whose labels include `labels`.
fn value(page: &BTreeMap<String, Series>, name: &str, labels: &[(&str, &str)]) -> f64 {
    let series = page
        .get(name)
        .unwrap_or_else(|| panic!("no {name} on the page"));
    series
        .iter()
        .find(|(l, _)| {
            labels
                .iter()
                .all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))
        })
        .unwrap_or_else(|| panic!("no {name} with {labels:?}: {series:?}"))
        .1
}

/// Scrape until `done` holds (metrics move per batch, commits every 500 ms).
fn scrape_until(
    w: &Worker,
    what: &str,
    done: impl Fn(&BTreeMap<String, Series>) -> bool,
) -> BTreeMap<String, Series> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, _, body) = get_text(w.port, "/metrics");
        assert_eq!(status, 200, "{body}");
        let page = parse(&body);
        if done(&page) {
            return page;
        }
        assert!(
            Instant::now() < deadline,
            "{what} never held; page:\n{body}\nlog:\n{}",
            w.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn has(page: &BTreeMap<String, Series>, name: &str, labels: &[(&str, &str)], v: f64) -> bool {
    page.get(name).is_some_and(|series| {
        series.iter().any(|(l, x)| {
            *x == v
                && labels
                    .iter()
                    .all(|(k, want)| l.get(*k).map(String::as_str) == Some(*want))
        })
    })
}

#[test]
fn metrics_count_every_record_in_javas_names_and_labels() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("metrics");
    let input = dir.path().join("in.txt");
    let output = dir.path().join("out.txt");
    let lines = 20_000;
    let text = make_lines(lines, 0);
    std::fs::write(&input, &text).unwrap();
    let source = format!("{topic}-source");
    let sink = format!("{topic}-sink");
    let w = Worker::start(dir.path(), "w", "", &file_pair(&topic, &input, &output));
    wait_lines(&w, &output, lines, Duration::from_secs(120));
    let n = lines as f64;
    let s = [("connector", source.as_str()), ("task", "0")];
    let k = [("connector", sink.as_str()), ("task", "0")];
    let page = scrape_until(&w, "counts equal the records and a sink commit", |p| {
        has(p, "kafka_connect_sink_task_metrics_sink_record_send", &k, n)
            && has(
                p,
                "kafka_connect_source_task_metrics_source_record_write",
                &s,
                n,
            )
            && p.get("kafka_connect_sink_task_metrics_offset_commit_completion")
                .is_some_and(|v| v.iter().any(|(_, x)| *x >= 1.0))
    });
    let (_, content_type, _) = get_text(w.port, "/metrics");
    assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");

    // Names and label sets are the exporter's for Java's metric of that group and name.
    let golden = golden();
    let by_name: BTreeMap<&str, &BTreeSet<String>> =
        golden.iter().map(|(_, _, n, l)| (n.as_str(), l)).collect();
    for (name, series) in &page {
        if name.starts_with("strait_") {
            continue;
        }
        let labels = by_name
            .get(name.as_str())
            .unwrap_or_else(|| panic!("{name} is not a metric of Java's registry"));
        for (l, _) in series {
            let got: BTreeSet<String> = l.keys().cloned().collect();
            assert_eq!(&got, *labels, "labels of {name}");
        }
    }
    // Every numeric metric of the groups a standalone worker registers is served.
    let standalone_groups = [
        "connect-worker-metrics",
        "connector-task-metrics",
        "source-task-metrics",
        "sink-task-metrics",
        "task-error-metrics",
    ];
    for (group, metric, name, _) in &golden {
        if standalone_groups.contains(&group.as_str()) {
            assert!(
                page.contains_key(name),
                "{group} {metric} ({name}) is missing"
            );
        }
    }
    // The rebalance group is distributed mode's, as in Java.
    assert!(!page
        .keys()
        .any(|n| n.starts_with("kafka_connect_connect_worker_rebalance_metrics")));

    // Counts equal what each task handled.
    assert_eq!(
        value(
            &page,
            "kafka_connect_source_task_metrics_source_record_poll",
            &s
        ),
        n
    );
    assert_eq!(
        value(
            &page,
            "kafka_connect_sink_task_metrics_sink_record_read",
            &k
        ),
        n
    );
    assert_eq!(
        value(
            &page,
            "kafka_connect_connect_worker_metrics_connector_count",
            &[]
        ),
        2.0
    );
    assert_eq!(
        value(
            &page,
            "kafka_connect_connect_worker_metrics_task_count",
            &[]
        ),
        2.0
    );
    assert_eq!(
        value(
            &page,
            "kafka_connect_connect_worker_metrics_task_startup_success",
            &[]
        ),
        2.0
    );
    assert_eq!(
        value(
            &page,
            "kafka_connect_connect_worker_metrics_connector_startup_attempts",
            &[]
        ),
        2.0
    );
    for c in [&source, &sink] {
        let tags = [("connector", c.as_str())];
        assert_eq!(
            value(
                &page,
                "kafka_connect_connect_worker_metrics_connector_running_task_count",
                &tags
            ),
            1.0
        );
        assert_eq!(
            value(
                &page,
                "kafka_connect_connect_worker_metrics_connector_total_task_count",
                &tags
            ),
            1.0
        );
    }
    assert_eq!(
        value(&page, "kafka_connect_sink_task_metrics_partition_count", &k),
        1.0
    );
    // Batches: every record arrived in some batch, none bigger than the whole input.
    for tags in [&s, &k] {
        let max = value(
            &page,
            "kafka_connect_connector_task_metrics_batch_size_max",
            tags,
        );
        let avg = value(
            &page,
            "kafka_connect_connector_task_metrics_batch_size_avg",
            tags,
        );
        assert!(
            max >= 1.0 && max <= n && avg > 0.0 && avg <= max,
            "{max} {avg}"
        );
        let batches = value(&page, "strait_task_batches_total", tags);
        assert!(batches >= n / max, "{batches} batches of at most {max}");
        assert!(
            value(
                &page,
                "kafka_connect_connector_task_metrics_running_ratio",
                tags
            ) > 0.5
        );
        assert_eq!(
            value(
                &page,
                "kafka_connect_task_error_metrics_total_record_errors",
                tags
            ),
            0.0
        );
    }
    // The sink read the values' bytes: every line without its newline.
    assert_eq!(
        value(&page, "strait_task_bytes_total", &k),
        (text.len() - lines) as f64
    );
    assert!(
        value(
            &page,
            "kafka_connect_connector_task_metrics_offset_commit_success_percentage",
            &k
        ) > 0.0
    );
    assert!(
        value(
            &page,
            "kafka_connect_sink_task_metrics_sink_record_read_rate",
            &k
        ) > 0.0
    );
    w.stop();
}

#[test]
fn error_metrics_count_skipped_and_dead_lettered_records() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("metricserr");
    let input = dir.path().join("in.txt");
    std::fs::write(
        &input,
        "{\"a\":1}\nnot json\n{\"a\":2}\nnor this\n{\"a\":3}\n",
    )
    .unwrap();
    let tolerant_out = dir.path().join("tolerant.txt");
    let strict_out = dir.path().join("strict.txt");
    let dlq = format!("{topic}-dlq");
    let json = "value.converter=org.apache.kafka.connect.json.JsonConverter\nvalue.converter.schemas.enable=false\n";
    let tolerant = format!("{topic}-tolerant");
    let strict = format!("{topic}-strict");
    let conns = vec![
        ("src.properties", format!("name={topic}-src\nconnector.class=FileStreamSource\nfile={}\ntopic={topic}\n", input.display())),
        (
            "tolerant.properties",
            format!("name={tolerant}\nconnector.class=FileStreamSink\nfile={}\ntopics={topic}\n{json}errors.tolerance=all\nerrors.log.enable=true\nerrors.deadletterqueue.topic.name={dlq}\nerrors.deadletterqueue.topic.replication.factor=1\n", tolerant_out.display()),
        ),
        ("strict.properties", format!("name={strict}\nconnector.class=FileStreamSink\nfile={}\ntopics={topic}\n{json}", strict_out.display())),
    ];
    let w = Worker::start(dir.path(), "w", "", &conns);
    wait_rest(&w);
    wait_lines(&w, &tolerant_out, 3, Duration::from_secs(90));
    wait_task_failed(&w, &strict);
    let t = [("connector", tolerant.as_str()), ("task", "0")];
    let page = scrape_until(&w, "two records dead-lettered", |p| {
        has(
            p,
            "kafka_connect_task_error_metrics_deadletterqueue_produce_requests",
            &t,
            2.0,
        )
    });
    assert_eq!(
        value(
            &page,
            "kafka_connect_task_error_metrics_total_record_errors",
            &t
        ),
        2.0
    );
    assert_eq!(
        value(
            &page,
            "kafka_connect_task_error_metrics_total_records_skipped",
            &t
        ),
        2.0
    );
    assert_eq!(
        value(
            &page,
            "kafka_connect_task_error_metrics_total_errors_logged",
            &t
        ),
        2.0
    );
    assert_eq!(
        value(
            &page,
            "kafka_connect_task_error_metrics_deadletterqueue_produce_failures",
            &t
        ),
        0.0
    );
    assert!(
        value(
            &page,
            "kafka_connect_task_error_metrics_last_error_timestamp",
            &t
        ) > 0.0
    );
    assert_eq!(
        value(
            &page,
            "kafka_connect_sink_task_metrics_sink_record_read",
            &t
        ),
        5.0
    );
    assert_eq!(
        value(
            &page,
            "kafka_connect_sink_task_metrics_sink_record_send",
            &t
        ),
        3.0
    );
    // The strict sink failed on its first bad record: one error, nothing skipped, and the
    // worker counts its task as failed.
    let k = [("connector", strict.as_str()), ("task", "0")];
    assert_eq!(
        value(
            &page,
            "kafka_connect_task_error_metrics_total_record_errors",
            &k
        ),
        1.0
    );
    assert_eq!(
        value(
            &page,
            "kafka_connect_task_error_metrics_total_records_skipped",
            &k
        ),
        0.0
    );
    assert_eq!(
        value(
            &page,
            "kafka_connect_connect_worker_metrics_connector_failed_task_count",
            &[("connector", strict.as_str())]
        ),
        1.0
    );
    w.stop();
}
