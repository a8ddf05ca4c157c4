//! `org.apache.kafka.connect.transforms.RegexRouter`: a topic that matches `regex` as a whole
//! (`Matcher.matches()`) becomes `Matcher.replaceFirst(replacement)`; other topics are kept.
//!
//! Only the `topic` column changes, and on a dictionary-encoded column only its dictionary:
//! each distinct topic is matched once, whatever the number of rows.

use super::java_regex::{JavaPattern, JavaReplacement};
use super::registry::{Build, TransformPlugin};
use super::util::{rename_topics, JavaException};
use super::{Applied, Needs, Transform, TransformContext};
use crate::config::{Props, Validator};
use crate::error::{Error, Result};
use arrow::array::RecordBatch;

pub const CLASS: &str = "org.apache.kafka.connect.transforms.RegexRouter";

crate::declare_config! {
    /// RegexRouter's keys.
    #[derive(Debug)]
    pub struct RegexRouterConfig {
        pub regex: String {
            key: "regex",
            ty: String,
            default: required,
            validator: Validator::Regex,
            importance: High,
            doc: "Regular expression to use for matching.",
        },
        pub replacement: String {
            key: "replacement",
            ty: String,
            default: required,
            importance: High,
            doc: "Replacement string.",
        },
    }
}

pub const PLUGINS: &[TransformPlugin] = &[TransformPlugin {
    class: CLASS,
    config_def: RegexRouterConfig::config_def,
    build: Build::Transform(build),
}];

fn build(props: &Props, _ctx: &TransformContext) -> Result<Box<dyn Transform>> {
    let config = RegexRouterConfig::parse(props)?;
    Ok(Box::new(RegexRouter::new(&config)?))
}

/// A configured RegexRouter.
#[derive(Debug)]
pub struct RegexRouter {
    regex: JavaPattern,
    replacement: JavaReplacement,
}

impl RegexRouter {
    pub fn new(config: &RegexRouterConfig) -> Result<Self> {
        let regex = JavaPattern::compile(&config.regex).map_err(|e| {
            Error::config(format!(
                "Invalid value {} for configuration regex: Invalid regex: {e}",
                config.regex
            ))
        })?;
        let replacement = JavaReplacement::parse(&regex, &config.replacement);
        Ok(RegexRouter { regex, replacement })
    }
}

impl Transform for RegexRouter {
    fn class(&self) -> &'static str {
        CLASS
    }

    fn needs(&self) -> Needs {
        Needs::NOTHING
    }

    fn apply(&self, records: &RecordBatch) -> Result<Applied> {
        let (records, errors) = rename_topics(records, |topic| {
            if !self.regex.matches(topic) {
                return Ok(None);
            }
            self.regex
                .replace_first(topic, &self.replacement)
                .map(Some)
                .map_err(|e| JavaException {
                    class: Some(e.class),
                    message: e.message,
                })
        })?;
        Ok(Applied {
            records,
            errors,
            keep: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::{columns, Batch, RawBatchBuilder};
    use crate::transforms::chain::{Chain, ChainStage};
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::Int32Type;

    fn router(regex: &str, replacement: &str) -> Result<RegexRouter> {
        let props: Props = [("regex", regex), ("replacement", replacement)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        RegexRouter::new(&RegexRouterConfig::parse(&props)?)
    }

    fn batch(topics: &[&str]) -> Batch {
        let mut b = RawBatchBuilder::with_capacity(topics.len(), 16);
        for (i, t) in topics.iter().enumerate() {
            b.append(t, 0, i as i64, Some(1), None, Some(b"v"), []);
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
    fn rewrites_the_dictionary_not_the_rows() {
        let r = router("(.*)-(\\d+)", "$2.$1").unwrap();
        let input = batch(&["orders-1", "other", "orders-1", "users-22"]);
        let out = r.apply(&input.records).unwrap();
        assert!(out.errors.is_empty());
        assert_eq!(
            topics(&out.records),
            ["1.orders", "other", "1.orders", "22.users"]
        );
        let before = input.records.column_by_name(columns::TOPIC).unwrap();
        let after = out.records.column_by_name(columns::TOPIC).unwrap();
        // Same keys, one dictionary entry per distinct input topic.
        assert_eq!(
            before.as_dictionary::<Int32Type>().keys(),
            after.as_dictionary::<Int32Type>().keys()
        );
        assert_eq!(after.as_dictionary::<Int32Type>().values().len(), 3);
        // Every other column is untouched.
        assert_eq!(
            out.records.column_by_name(columns::VALUE).unwrap(),
            input.records.column_by_name(columns::VALUE).unwrap()
        );
    }

    #[test]
    fn only_whole_matches_are_rerouted() {
        let r = router("order", "x").unwrap();
        let out = r.apply(&batch(&["orders", "order"]).records).unwrap();
        assert_eq!(topics(&out.records), ["orders", "x"]);
    }

    #[test]
    fn replacement_errors_fail_only_matching_rows() {
        let r = router("a(.*)", "$2").unwrap();
        let out = r.apply(&batch(&["b", "ax", "ay", "b"]).records).unwrap();
        let rows: Vec<usize> = out.errors.iter().map(|e| e.row).collect();
        assert_eq!(rows, [1, 2]);
        assert_eq!(out.errors[0].error.message(), "No group 2");
        assert_eq!(
            out.errors[0].error.java_class(),
            "java.lang.IndexOutOfBoundsException"
        );
    }

    #[test]
    fn config_errors_are_javas() {
        let e = router("(", "x").unwrap_err();
        assert!(e
            .message()
            .starts_with("Invalid value ( for configuration regex: Invalid regex: "));
        let props: Props = [("regex".to_string(), "a".to_string())].into();
        assert_eq!(
            RegexRouterConfig::parse(&props).unwrap_err().message(),
            "Missing required configuration \"replacement\" which has no default value."
        );
        let def = RegexRouterConfig::config_def();
        assert_eq!(def.key("regex").unwrap().validator, Validator::Regex);
    }

    #[test]
    fn plain_utf8_topics_and_a_chain_stage() {
        let r = router("t(.)", "topic-$1").unwrap();
        let input = batch(&["t1", "t2", "zz"]);
        let plain: arrow::array::ArrayRef = arrow::compute::cast(
            input.records.column_by_name(columns::TOPIC).unwrap(),
            &arrow::datatypes::DataType::Utf8,
        )
        .unwrap();
        let field = arrow::datatypes::Field::new(columns::TOPIC, plain.data_type().clone(), false);
        let records =
            crate::transforms::util::replace(&input.records, columns::TOPIC, field, plain).unwrap();
        let out = r.apply(&records).unwrap();
        assert_eq!(topics(&out.records), ["topic-1", "topic-2", "zz"]);
        let chain = Chain::new(vec![ChainStage {
            alias: "route".into(),
            transform: Box::new(r),
            predicate: None,
        }]);
        let out = chain.apply(input).unwrap();
        assert_eq!(topics(&out.pieces[0].records), ["topic-1", "topic-2", "zz"]);
    }
}
