//! `org.apache.kafka.connect.transforms.TimestampRouter`: the topic becomes `topic.format` with
//! `${topic}` replaced by the topic and then `${timestamp}` by the record timestamp formatted
//! with `timestamp.format` (a `SimpleDateFormat` pattern, in UTC).
//!
//! Only the `topic` column changes. The `${topic}` substitution is done once per distinct topic
//! (dictionary value); each row then only formats its timestamp (reusing the previous row's
//! text when the timestamp repeats).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringBuilder, StringDictionaryBuilder};
use arrow::datatypes::{Field, Int32Type, TimestampMillisecondType};

use super::java_date::JavaDateFormat;
use super::registry::{Build, TransformPlugin};
use super::util::{self, column, replace, Side};
use super::{Applied, Needs, Transform, TransformContext};
use crate::batch::{columns, TopicColumn};
use crate::config::Props;
use crate::error::{Error, Result};
use crate::plugin::RowError;

pub const CLASS: &str = "org.apache.kafka.connect.transforms.TimestampRouter";

const TOPIC_PLACEHOLDER: &str = "${topic}";
const TIMESTAMP_PLACEHOLDER: &str = "${timestamp}";

crate::declare_config! {
    /// TimestampRouter's keys.
    #[derive(Debug)]
    pub struct TimestampRouterConfig {
        pub topic_format: String {
            key: "topic.format",
            ty: String,
            default: "${topic}-${timestamp}",
            importance: High,
            doc: "Format string which can contain <code>${topic}</code> and <code>${timestamp}</code> as placeholders for the topic and timestamp, respectively.",
        },
        pub timestamp_format: String {
            key: "timestamp.format",
            ty: String,
            default: "yyyyMMdd",
            importance: High,
            doc: "Format string for the timestamp that is compatible with <code>java.text.SimpleDateFormat</code>.",
        },
    }
}

pub const PLUGINS: &[TransformPlugin] = &[TransformPlugin {
    class: CLASS,
    config_def: TimestampRouterConfig::config_def,
    build: Build::Transform(build),
}];

fn build(props: &Props, ctx: &TransformContext) -> Result<Box<dyn Transform>> {
    Ok(Box::new(TimestampRouter::new(
        &TimestampRouterConfig::parse(props)?,
        ctx,
    )))
}

/// A configured TimestampRouter.
#[derive(Debug)]
pub struct TimestampRouter {
    topic_format: String,
    /// The compiled pattern, or Java's `IllegalArgumentException` message for a bad one.
    timestamp_format: std::result::Result<JavaDateFormat, String>,
    /// Decodes the headers a missing-timestamp message prints.
    ctx: TransformContext,
}

impl TimestampRouter {
    /// Java builds its `SimpleDateFormat` lazily (in `apply`), so a bad pattern is accepted
    /// here and fails every record that has a timestamp, as in Java.
    pub fn new(config: &TimestampRouterConfig, ctx: &TransformContext) -> Self {
        TimestampRouter {
            topic_format: config.topic_format.clone(),
            timestamp_format: JavaDateFormat::compile(&config.timestamp_format),
            ctx: ctx.clone(),
        }
    }

    /// `topic.format` with `${topic}` replaced, split at each `${timestamp}`.
    fn parts(&self, topic: &str) -> Vec<String> {
        self.topic_format
            .replace(TOPIC_PLACEHOLDER, topic)
            .split(TIMESTAMP_PLACEHOLDER)
            .map(str::to_string)
            .collect()
    }
}

impl Transform for TimestampRouter {
    fn class(&self) -> &'static str {
        CLASS
    }

    fn needs(&self) -> Needs {
        Needs::NOTHING
    }

    fn apply(&self, records: &RecordBatch) -> Result<Applied> {
        let (field, topic_col) = column(records, columns::TOPIC)?;
        let (_, ts_col) = column(records, columns::TIMESTAMP)?;
        let timestamps = ts_col
            .as_primitive_opt::<TimestampMillisecondType>()
            .ok_or_else(|| {
                Error::bug(format!("timestamp column of type {}", ts_col.data_type()))
            })?;
        let topics = TopicColumn::new(topic_col)
            .ok_or_else(|| Error::bug(format!("topic column of type {}", topic_col.data_type())))?;
        // Parts per dictionary value, or per row for a plain column (computed as rows come).
        let dictionary_parts: Vec<Option<Vec<String>>> = match topics {
            TopicColumn::Dictionary { values, .. } => (0..values.len())
                .map(|i| values.is_valid(i).then(|| self.parts(values.value(i))))
                .collect(),
            TopicColumn::Plain(_) => Vec::new(),
        };
        let mut errors = Vec::new();
        let mut formatted = String::new();
        let mut last_ts: Option<i64> = None;
        let mut topic = String::new();
        let mut route = |row: usize, errors: &mut Vec<RowError>| -> Option<String> {
            let name = topics.get(row)?;
            if timestamps.is_null(row) {
                errors.push(RowError {
                    row,
                    error: Error::data(format!(
                        "Timestamp missing on record: {}",
                        describe(records, row, name, &self.ctx)
                    )),
                });
                return Some(name.to_string());
            }
            let format = match &self.timestamp_format {
                Ok(format) => format,
                Err(message) => {
                    errors.push(RowError {
                        row,
                        error: Error::data(message.clone())
                            .with_java_class("java.lang.IllegalArgumentException"),
                    });
                    return Some(name.to_string());
                }
            };
            let ts = timestamps.value(row);
            if last_ts != Some(ts) {
                formatted.clear();
                format.format_into(ts, &mut formatted);
                last_ts = Some(ts);
            }
            let owned;
            let parts: &[String] = match topics {
                TopicColumn::Dictionary { keys, .. } => dictionary_parts[keys.value(row) as usize]
                    .as_deref()
                    .unwrap_or_default(),
                TopicColumn::Plain(_) => {
                    owned = self.parts(name);
                    &owned
                }
            };
            topic.clear();
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    topic.push_str(&formatted);
                }
                topic.push_str(part);
            }
            Some(topic.clone())
        };
        let array: ArrayRef = match topics {
            TopicColumn::Dictionary { .. } => {
                let mut b = StringDictionaryBuilder::<Int32Type>::new();
                for row in 0..records.num_rows() {
                    b.append_option(route(row, &mut errors));
                }
                Arc::new(b.finish())
            }
            TopicColumn::Plain(_) => {
                let mut b = StringBuilder::new();
                for row in 0..records.num_rows() {
                    b.append_option(route(row, &mut errors));
                }
                Arc::new(b.finish())
            }
        };
        let records = replace(records, columns::TOPIC, Field::clone(&field), array)?;
        Ok(Applied {
            records,
            errors,
            keep: None,
        })
    }
}

/// Java's `record.toString()` of a sink record without timestamp: the `SinkRecord{…}` part (a
/// sink record has no timestamp only with `NoTimestampType`), then `ConnectRecord{…}` with the
/// key, value, schemas and headers as Java prints them (parts Strait did not read, because no
/// stage needed them, print as `<not read>`).
fn describe(records: &RecordBatch, row: usize, topic: &str, ctx: &TransformContext) -> String {
    let partition = records
        .column_by_name(columns::PARTITION)
        .and_then(|c| c.as_primitive_opt::<Int32Type>())
        .filter(|c| c.is_valid(row))
        .map(|c| c.value(row).to_string())
        .unwrap_or_else(|| "null".into());
    let offset = records
        .column_by_name(columns::OFFSET)
        .and_then(|c| c.as_primitive_opt::<arrow::datatypes::Int64Type>())
        .filter(|c| c.is_valid(row))
        .map(|c| {
            let offset = c.value(row);
            format!(
                "SinkRecord{{kafkaOffset={offset}, timestampType=NoTimestampType, originalTopic={topic}, \
                 originalKafkaPartition={partition}, originalKafkaOffset={offset}}} "
            )
        })
        .unwrap_or_default();
    format!(
        "{offset}ConnectRecord{{topic='{topic}', kafkaPartition={partition}, {}, {}, timestamp=null, headers={}}}",
        util::java_side_string(records, Side::Key, row),
        util::java_side_string(records, Side::Value, row),
        util::java_headers_string(records, row, ctx.header_converter.as_ref()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::{Batch, RawBatchBuilder};
    use crate::transforms::chain::{Chain, ChainStage};

    fn router(pairs: &[(&str, &str)]) -> Result<TimestampRouter> {
        let props: Props = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Ok(TimestampRouter::new(
            &TimestampRouterConfig::parse(&props)?,
            &crate::transforms::util::tests_context(),
        ))
    }

    // 2024-02-29T13:05:09.007Z and 2024-03-01T00:00:00Z.
    const LEAP_DAY: i64 = 1_709_211_909_007;
    const MARCH: i64 = 1_709_251_200_000;

    fn batch(rows: &[(&str, Option<i64>)]) -> Batch {
        let mut b = RawBatchBuilder::with_capacity(rows.len(), 16);
        for (i, (t, ts)) in rows.iter().enumerate() {
            b.append(t, 2, 40 + i as i64, *ts, None, Some(b"v"), []);
        }
        b.finish().unwrap()
    }

    fn topics(records: &RecordBatch) -> Vec<String> {
        let col = records.column_by_name(columns::TOPIC).unwrap();
        (0..col.len())
            .map(|i| crate::batch::topic_at(col, i).unwrap().to_string())
            .collect()
    }

    #[test]
    fn defaults_route_by_day() {
        let r = router(&[]).unwrap();
        let input = batch(&[
            ("a", Some(LEAP_DAY)),
            ("b", Some(MARCH)),
            ("a", Some(MARCH)),
        ]);
        let out = r.apply(&input.records).unwrap();
        assert!(out.errors.is_empty());
        assert_eq!(
            topics(&out.records),
            ["a-20240229", "b-20240301", "a-20240301"]
        );
        // The column stays dictionary-encoded, so a predicate's zip keeps the schema.
        assert_eq!(out.records.schema(), input.records.schema());
    }

    #[test]
    fn placeholders_repeat_and_topic_is_replaced_first() {
        let r = router(&[
            (
                "topic.format",
                "${timestamp}/${topic}/${timestamp}/${topic}",
            ),
            ("timestamp.format", "yyyy-MM-dd'T'HH"),
        ])
        .unwrap();
        let out = r.apply(&batch(&[("t", Some(LEAP_DAY))]).records).unwrap();
        assert_eq!(topics(&out.records), ["2024-02-29T13/t/2024-02-29T13/t"]);
    }

    #[test]
    fn a_missing_timestamp_is_a_data_exception() {
        let r = router(&[]).unwrap();
        let out = r
            .apply(&batch(&[("a", Some(LEAP_DAY)), ("a", None)]).records)
            .unwrap();
        assert_eq!(out.errors.len(), 1);
        assert_eq!(out.errors[0].row, 1);
        let e = &out.errors[0].error;
        assert!(e.message().starts_with("Timestamp missing on record: "));
        assert!(e.message().contains("topic='a', kafkaPartition=2"));
        assert_eq!(
            e.java_class(),
            "org.apache.kafka.connect.errors.DataException"
        );
        // Through the chain, the failed row is removed and reported.
        let chain = Chain::new(vec![ChainStage {
            alias: "r".into(),
            transform: Box::new(r),
            predicate: None,
        }]);
        let out = chain
            .apply(batch(&[("a", Some(LEAP_DAY)), ("a", None)]))
            .unwrap();
        assert_eq!(topics(&out.pieces[0].records), ["a-20240229"]);
        assert_eq!(out.errors[0].row, 1);
    }

    #[test]
    fn bad_patterns_fail_the_records_with_timestamps() {
        let r = router(&[("timestamp.format", "yyyy-bb")]).unwrap();
        let out = r
            .apply(&batch(&[("a", None), ("a", Some(LEAP_DAY))]).records)
            .unwrap();
        assert_eq!(out.errors.len(), 2);
        // The timestamp check comes first, as in Java.
        assert!(out.errors[0]
            .error
            .message()
            .starts_with("Timestamp missing"));
        assert_eq!(out.errors[1].row, 1);
        assert_eq!(
            out.errors[1].error.message(),
            "Illegal pattern character 'b'"
        );
        assert_eq!(
            out.errors[1].error.java_class(),
            "java.lang.IllegalArgumentException"
        );
        let def = TimestampRouterConfig::config_def();
        assert_eq!(
            def.key("topic.format").unwrap().default,
            crate::config::Default::Value("${topic}-${timestamp}".into())
        );
    }
}
