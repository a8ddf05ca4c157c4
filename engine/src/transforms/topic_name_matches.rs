//! `org.apache.kafka.connect.transforms.predicates.TopicNameMatches`: true when the topic
//! matches `pattern` as a whole (`Matcher.matches()`), evaluated once per distinct topic.

use arrow::array::{BooleanArray, RecordBatch};

use super::java_regex::JavaPattern;
use super::registry::{Build, TransformPlugin};
use super::util::topic_mask;
use super::{Needs, Predicate};
use crate::config::{Props, Validator};
use crate::error::{Error, Result};

pub const CLASS: &str = "org.apache.kafka.connect.transforms.predicates.TopicNameMatches";

crate::declare_config! {
    /// TopicNameMatches's keys.
    #[derive(Debug)]
    pub struct TopicNameMatchesConfig {
        pub pattern: String {
            key: "pattern",
            ty: String,
            default: required,
            validator: Validator::Composite(&[Validator::NonEmptyString, Validator::Regex]),
            importance: Medium,
            doc: "A Java regular expression for matching against the name of a record's topic.",
        },
    }
}

pub const PLUGINS: &[TransformPlugin] = &[TransformPlugin {
    class: CLASS,
    config_def: TopicNameMatchesConfig::config_def,
    build: Build::Predicate(build),
}];

fn build(props: &Props) -> Result<Box<dyn Predicate>> {
    Ok(Box::new(TopicNameMatches::new(
        &TopicNameMatchesConfig::parse(props)?,
    )?))
}

/// A configured TopicNameMatches.
#[derive(Debug)]
pub struct TopicNameMatches {
    pattern: JavaPattern,
}

impl TopicNameMatches {
    pub fn new(config: &TopicNameMatchesConfig) -> Result<Self> {
        let pattern = JavaPattern::compile(&config.pattern).map_err(|e| {
            Error::config(format!(
                "Invalid value {} for configuration pattern: entry must be a Java-compatible regular expression: {e}",
                config.pattern
            ))
        })?;
        Ok(TopicNameMatches { pattern })
    }
}

impl Predicate for TopicNameMatches {
    fn class(&self) -> &'static str {
        CLASS
    }

    fn needs(&self) -> Needs {
        Needs::NOTHING
    }

    fn test(&self, records: &RecordBatch) -> Result<BooleanArray> {
        topic_mask(records, |topic| self.pattern.matches(topic))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::RawBatchBuilder;
    use crate::transforms::chain::{Chain, ChainStage};
    use crate::transforms::filter::Filter;
    use std::sync::Arc;

    fn predicate(pattern: &str) -> Result<TopicNameMatches> {
        let props: Props = [("pattern".to_string(), pattern.to_string())].into();
        TopicNameMatches::new(&TopicNameMatchesConfig::parse(&props)?)
    }

    fn batch(topics: &[&str]) -> crate::batch::Batch {
        let mut b = RawBatchBuilder::with_capacity(topics.len(), 8);
        for (i, t) in topics.iter().enumerate() {
            b.append(t, 0, i as i64, Some(1), None, Some(b"v"), []);
        }
        b.finish().unwrap()
    }

    #[test]
    fn whole_topic_matches() {
        let p = predicate("orders-.*").unwrap();
        let mask = p
            .test(&batch(&["orders-1", "xorders-1", "orders-2", "orders"]).records)
            .unwrap();
        assert_eq!(mask, BooleanArray::from(vec![true, false, true, false]));
    }

    #[test]
    fn filter_with_the_predicate_and_negate() {
        for (negate, kept) in [(false, vec!["keep"]), (true, vec!["drop-1", "drop-2"])] {
            let chain = Chain::new(vec![ChainStage {
                alias: "f".into(),
                transform: Box::new(Filter),
                predicate: Some((Arc::new(predicate("drop-.*").unwrap()), negate)),
            }]);
            let out = chain.apply(batch(&["drop-1", "keep", "drop-2"])).unwrap();
            let b = &out.pieces[0];
            let topics: Vec<&str> = (0..b.num_rows()).map(|i| b.topic_at(i).unwrap()).collect();
            assert_eq!(topics, kept, "negate={negate}");
        }
    }

    #[test]
    fn config_errors_are_javas() {
        assert_eq!(
            predicate("").unwrap_err().message(),
            "Invalid value  for configuration pattern: String must be non-empty"
        );
        assert!(predicate("[")
            .unwrap_err()
            .message()
            .starts_with("Invalid value [ for configuration pattern: Invalid regex: "));
    }
}
