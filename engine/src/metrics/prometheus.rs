//! The Prometheus text format (version 0.0.4) of [`Sample`]s, named as the Prometheus JMX
//! exporter (`io.prometheus.jmx`, no rules) names Kafka Connect's MBeans, so dashboards and
//! alerts written against a Java worker with the exporter keep working:
//!
//! - `kafka.connect:type=<group>,connector=<c>,task=<t>` attribute `<metric>` becomes
//!   `kafka_connect_<group>_<metric>{connector="<c>",task="<t>"}`, every character outside
//!   `[a-zA-Z0-9_:]` replaced by `_`;
//! - a trailing `_total` is dropped (`source-record-poll-total` is
//!   `kafka_connect_source_task_metrics_source_record_poll`): the exporter's series are
//!   untyped and its client library keeps that suffix for counters only;
//! - every family is `untyped`; Java's text-valued metrics (statuses, classes, versions) have no
//!   series, as with the exporter.
//!
//! These rules were observed on the real exporter, not assumed: `cargo xtask golden` writes
//! what it exposes for every metric of Java's registry to `engine/tests/golden/connect_metrics.tsv`,
//! and the integration tests compare Strait's page with it.
//!
//! Strait's own metrics (group `strait-task-metrics`) are `strait_task_<metric>`, with
//! Prometheus' usual `_total` suffix kept on counters.

use std::fmt::Write;

use super::Sample;

/// The Prometheus name of `metric` in `group`.
pub fn name(group: &str, metric: &str) -> String {
    if group == "strait-task-metrics" {
        return sanitize(&format!("strait_task_{metric}"));
    }
    let full = sanitize(&format!("kafka.connect_{group}_{metric}"));
    match full.strip_suffix("_total") {
        Some(stripped) => stripped.to_string(),
        None => full,
    }
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == ':' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        format!("{v:?}")
    }
}

/// The page: one family per metric name, families sorted by name, series by labels.
pub fn render(samples: &[Sample]) -> String {
    let mut rows: Vec<(String, String, &Sample)> = samples
        .iter()
        .map(|s| {
            let labels = if s.tags.is_empty() {
                String::new()
            } else {
                let inner: Vec<String> = s
                    .tags
                    .iter()
                    .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
                    .collect();
                format!("{{{}}}", inner.join(","))
            };
            (name(s.group, s.name), labels, s)
        })
        .collect();
    rows.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    let mut out = String::new();
    let mut family: Option<&str> = None;
    for (name, labels, sample) in &rows {
        if family != Some(name.as_str()) {
            let _ = writeln!(
                out,
                "# HELP {name} {} {} (Strait)",
                sample.group, sample.name
            );
            let _ = writeln!(out, "# TYPE {name} untyped");
            family = Some(name.as_str());
        }
        let _ = writeln!(out, "{name}{labels} {}", format_value(sample.value));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_jmx_exporter() {
        assert_eq!(
            name("connector-task-metrics", "batch-size-avg"),
            "kafka_connect_connector_task_metrics_batch_size_avg"
        );
        assert_eq!(
            name("source-task-metrics", "source-record-poll-total"),
            "kafka_connect_source_task_metrics_source_record_poll"
        );
        assert_eq!(
            name("task-error-metrics", "total-record-errors"),
            "kafka_connect_task_error_metrics_total_record_errors"
        );
        assert_eq!(
            name("strait-task-metrics", "bytes-total"),
            "strait_task_bytes_total"
        );
    }

    #[test]
    fn render_groups_families_and_escapes_labels() {
        let s = |name: &'static str, connector: &str, value: f64| Sample {
            group: "connect-worker-metrics",
            name,
            tags: vec![("connector", connector.to_string())],
            value,
        };
        let page = render(&[
            s("connector-running-task-count", "b", 1.0),
            s("connector-running-task-count", "a\"x", 2.0),
            s("connector-failed-task-count", "a", f64::NAN),
        ]);
        assert_eq!(
            page,
            "# HELP kafka_connect_connect_worker_metrics_connector_failed_task_count connect-worker-metrics connector-failed-task-count (Strait)\n\
             # TYPE kafka_connect_connect_worker_metrics_connector_failed_task_count untyped\n\
             kafka_connect_connect_worker_metrics_connector_failed_task_count{connector=\"a\"} NaN\n\
             # HELP kafka_connect_connect_worker_metrics_connector_running_task_count connect-worker-metrics connector-running-task-count (Strait)\n\
             # TYPE kafka_connect_connect_worker_metrics_connector_running_task_count untyped\n\
             kafka_connect_connect_worker_metrics_connector_running_task_count{connector=\"a\\\"x\"} 2.0\n\
             kafka_connect_connect_worker_metrics_connector_running_task_count{connector=\"b\"} 1.0\n"
        );
    }
}
