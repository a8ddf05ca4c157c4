//! Topic creation for source connectors (KIP-158), as Kafka Connect's `SourceConnectorConfig`,
//! `TopicCreationConfig`, `TopicCreationGroup` and `TopicCreation` define it.
//!
//! A source connector config that has any `topic.creation.` key, on a worker with
//! `topic.creation.enable=true` (the default), creates the topics its tasks write to:
//!
//! - `topic.creation.default.replication.factor` and `topic.creation.default.partitions` are
//!   required (`-1` means the broker's default); the `default` group matches every topic (its
//!   `include` / `exclude` are ignored, as in Java);
//! - `topic.creation.groups` names further groups, tried in order before `default`; each has
//!   `include` / `exclude` regex lists (a topic matches a group when it fully matches one
//!   `include` regex and no `exclude` regex), and `replication.factor` / `partitions` that default
//!   to the `default` group's;
//! - every other `topic.creation.<group>.<key>` is a topic-level config (`cleanup.policy`, …) for
//!   the topics that group creates.
//!
//! As in Java, `PUT /connector-plugins/{p}/config/validate` checks only `topic.creation.groups`
//! (unique names); the group keys are parsed when the connector and its tasks start, and an
//! error there fails them with Java's message. On a worker with `topic.creation.enable=false` the
//! keys are ignored. The runtime side lives in [`crate::runtime::topic_creator`].

use std::collections::BTreeMap;
use std::fmt;

use regex::Regex;

use crate::config::Props;
use crate::error::{Error, Result};
use crate::worker_config::WorkerConfig;

/// Prefix of every topic creation key.
pub const TOPIC_CREATION_PREFIX: &str = "topic.creation.";
/// `topic.creation.groups`.
pub const TOPIC_CREATION_GROUPS_CONFIG: &str = "topic.creation.groups";
/// The group that always exists and comes last.
pub const DEFAULT_GROUP: &str = "default";

const INCLUDE: &str = "include";
const EXCLUDE: &str = "exclude";
const REPLICATION_FACTOR: &str = "replication.factor";
const PARTITIONS: &str = "partitions";

/// Java's `NO_PARTITIONS` / `NO_REPLICATION_FACTOR`: use the broker's default.
pub const BROKER_DEFAULT: i32 = -1;

/// Whether a connector config uses topic creation (Java's `SourceConnectorConfig
/// .usesTopicCreation`): any key starts with `topic.creation.`.
pub fn uses_topic_creation(props: &Props) -> bool {
    props.keys().any(|k| k.starts_with(TOPIC_CREATION_PREFIX))
}

/// One topic creation group (Java's `TopicCreationGroup`).
#[derive(Debug, Clone)]
pub struct TopicCreationGroup {
    pub name: String,
    /// `^(?:include1|include2|…)$`: Java's `Pattern.compile(join("|", include)).matches()`.
    include: Regex,
    exclude: Regex,
    /// `-1`: the broker's default.
    pub partitions: i32,
    /// `-1`: the broker's default.
    pub replication_factor: i16,
    /// Topic-level configs, e.g. `cleanup.policy` → `compact`.
    pub configs: BTreeMap<String, String>,
}

impl TopicCreationGroup {
    /// Whether this group creates `topic`: no `exclude` regex matches it and an `include` one
    /// does (whole-name matches, as Java's `Matcher.matches`).
    pub fn matches(&self, topic: &str) -> bool {
        !self.exclude.is_match(topic) && self.include.is_match(topic)
    }
}

/// Java's `NewTopic.toString`, used in log lines and in the failure message.
pub struct NewTopicDisplay<'a>(pub &'a str, pub &'a TopicCreationGroup);

impl fmt::Display for NewTopicDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let g = self.1;
        let configs: Vec<String> = g.configs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let partitions = if g.partitions == BROKER_DEFAULT {
            "default".to_string()
        } else {
            g.partitions.to_string()
        };
        let replication = if g.replication_factor as i32 == BROKER_DEFAULT {
            "default".to_string()
        } else {
            g.replication_factor.to_string()
        };
        write!(
            f,
            "(name={}, numPartitions={partitions}, replicationFactor={replication}, replicasAssignments=null, configs={{{}}})",
            self.0,
            configs.join(", ")
        )
    }
}

/// A source connector's topic creation settings (Java's `TopicCreation` with its groups).
#[derive(Debug, Clone)]
pub struct TopicCreation {
    /// The groups of `topic.creation.groups` besides `default`, in order, without repeats.
    pub groups: Vec<TopicCreationGroup>,
    pub default: TopicCreationGroup,
}

impl TopicCreation {
    /// The settings a source connector runs with on `worker`: `None` when the worker disables
    /// topic creation or the config has no `topic.creation.` key.
    pub fn for_worker(worker: &WorkerConfig, props: &Props) -> Result<Option<Self>> {
        if !worker.topic_creation_enable {
            if uses_topic_creation(props) {
                tracing::debug!(
                    "topic.creation.enable=false on this worker: the connector's topic.creation.* keys are ignored"
                );
            }
            return Ok(None);
        }
        Self::parse(props)
    }

    /// Parse the topic creation keys of a source connector config; `None` when it has none.
    /// Every problem is reported, each in Java's words (a validator error names the key without
    /// its group prefix, as Java's embedded config definitions do).
    pub fn parse(props: &Props) -> Result<Option<Self>> {
        if !uses_topic_creation(props) {
            return Ok(None);
        }
        let mut errors = Vec::new();
        let prefix = |group: &str| format!("{TOPIC_CREATION_PREFIX}{group}.");
        let default_prefix = prefix(DEFAULT_GROUP);
        let rf = parse_number::<i16>(
            props,
            &format!("{default_prefix}{REPLICATION_FACTOR}"),
            "SHORT",
            None,
            &mut errors,
        );
        let partitions = parse_number::<i32>(
            props,
            &format!("{default_prefix}{PARTITIONS}"),
            "INT",
            None,
            &mut errors,
        );
        let (rf, partitions) = (
            check_replication_factor(rf, &mut errors),
            check_partitions(partitions, &mut errors),
        );
        let default = TopicCreationGroup {
            name: DEFAULT_GROUP.to_string(),
            include: full_match(&[".*".to_string()]).expect("a valid regex"),
            exclude: full_match(&[]).expect("a valid regex"),
            partitions: partitions.unwrap_or(BROKER_DEFAULT),
            replication_factor: rf.unwrap_or(BROKER_DEFAULT as i16),
            configs: other_configs(props, &default_prefix),
        };
        let mut names: Vec<String> = java_list(props.get(TOPIC_CREATION_GROUPS_CONFIG));
        if let Some(e) =
            crate::transforms::registry::duplicate_alias(TOPIC_CREATION_GROUPS_CONFIG, &names)
        {
            errors.push(e);
        }
        if names.iter().any(|n| n == DEFAULT_GROUP) {
            tracing::warn!("'default' topic creation group always exists and does not need to be listed explicitly");
        }
        let mut seen = std::collections::HashSet::new();
        names.retain(|n| n != DEFAULT_GROUP && seen.insert(n.clone()));
        let mut groups = Vec::with_capacity(names.len());
        for name in names {
            let p = prefix(&name);
            let include = regex_list(props, &p, INCLUDE, &mut errors);
            let exclude = regex_list(props, &p, EXCLUDE, &mut errors);
            let rf = parse_number::<i16>(
                props,
                &format!("{p}{REPLICATION_FACTOR}"),
                "SHORT",
                Some(default.replication_factor),
                &mut errors,
            );
            let partitions = parse_number::<i32>(
                props,
                &format!("{p}{PARTITIONS}"),
                "INT",
                Some(default.partitions),
                &mut errors,
            );
            let (rf, partitions) = (
                check_replication_factor(rf, &mut errors),
                check_partitions(partitions, &mut errors),
            );
            if let (Some(include), Some(exclude), Some(rf), Some(partitions)) =
                (include, exclude, rf, partitions)
            {
                groups.push(TopicCreationGroup {
                    configs: other_configs(props, &p),
                    name,
                    include,
                    exclude,
                    partitions,
                    replication_factor: rf,
                });
            }
        }
        if !errors.is_empty() {
            return Err(Error::config(errors.join("\n")));
        }
        Ok(Some(TopicCreation { groups, default }))
    }

    /// The first group that matches `topic`, `default` when none does (Java's
    /// `TopicCreation.findFirstGroup`).
    pub fn find_first_group(&self, topic: &str) -> &TopicCreationGroup {
        self.groups
            .iter()
            .find(|g| g.matches(topic))
            .unwrap_or(&self.default)
    }
}

/// Java's `ConfigDef.parseType(LIST)`: trimmed, empty means none, split on commas with the
/// items trimmed.
fn java_list(value: Option<&String>) -> Vec<String> {
    match value.map(|v| v.trim()) {
        None | Some("") => Vec::new(),
        Some(v) => v.split(',').map(|s| s.trim().to_string()).collect(),
    }
}

/// `^(?:a|b|…)$`.
fn full_match(list: &[String]) -> std::result::Result<Regex, regex::Error> {
    Regex::new(&format!("^(?:{})$", list.join("|")))
}

/// A group's `include` / `exclude`, each regex checked as Java's `REGEX_VALIDATOR`.
fn regex_list(props: &Props, prefix: &str, key: &str, errors: &mut Vec<String>) -> Option<Regex> {
    let list = java_list(props.get(&format!("{prefix}{key}")));
    for item in &list {
        if let Err(e) = Regex::new(item) {
            errors.push(format!(
                "Invalid value [{}] for configuration {key}: Syntax error in regular expression: {e}",
                list.join(", ")
            ));
            return None;
        }
    }
    match full_match(&list) {
        Ok(r) => Some(r),
        Err(e) => {
            errors.push(format!(
                "Invalid value [{}] for configuration {key}: Syntax error in regular expression: {e}",
                list.join(", ")
            ));
            None
        }
    }
}

/// A SHORT / INT key: its value, `default` when absent, Java's message when missing (no
/// default) or not a number.
fn parse_number<T: std::str::FromStr>(
    props: &Props,
    key: &str,
    java_type: &str,
    default: Option<T>,
    errors: &mut Vec<String>,
) -> Option<T> {
    match props.get(key) {
        None => {
            if default.is_none() {
                errors.push(format!(
                    "Missing required configuration \"{key}\" which has no default value."
                ));
            }
            default
        }
        Some(v) => match v.trim().parse::<T>() {
            Ok(n) => Some(n),
            Err(_) => {
                errors.push(format!(
                    "Invalid value {v} for configuration {key}: Not a number of type {java_type}"
                ));
                None
            }
        },
    }
}

/// Java's `REPLICATION_FACTOR_VALIDATOR`.
fn check_replication_factor(rf: Option<i16>, errors: &mut Vec<String>) -> Option<i16> {
    let rf = rf?;
    if rf as i32 != BROKER_DEFAULT && rf < 1 {
        errors.push(format!(
            "Invalid value {rf} for configuration {REPLICATION_FACTOR}: Replication factor must be positive and not larger than the number of brokers in the Kafka cluster, or -1 to use the broker's default"
        ));
        return None;
    }
    Some(rf)
}

/// Java's `PARTITIONS_VALIDATOR`.
fn check_partitions(partitions: Option<i32>, errors: &mut Vec<String>) -> Option<i32> {
    let partitions = partitions?;
    if partitions != BROKER_DEFAULT && partitions < 1 {
        errors.push(format!(
            "Invalid value {partitions} for configuration {PARTITIONS}: Number of partitions must be positive, or -1 to use the broker's default"
        ));
        return None;
    }
    Some(partitions)
}

/// Java's `topicCreationOtherConfigs`: every `<prefix><key>` but the four group keys.
fn other_configs(props: &Props, prefix: &str) -> BTreeMap<String, String> {
    props
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(prefix)?, v)))
        .filter(|(k, _)| ![INCLUDE, EXCLUDE, REPLICATION_FACTOR, PARTITIONS].contains(k))
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::config::props_from as props;

    fn base(extra: &[(&str, &str)]) -> Props {
        let mut p = props(&[("name", "s"), ("connector.class", "X")]);
        p.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        p
    }

    #[test]
    fn no_topic_creation_keys_means_none() {
        assert!(TopicCreation::parse(&base(&[])).unwrap().is_none());
        let worker = WorkerConfig::from_props(&props(&[
            (
                "key.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            (
                "value.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            ("topic.creation.enable", "false"),
        ]))
        .unwrap();
        let p = base(&[("topic.creation.default.partitions", "0")]);
        assert!(TopicCreation::for_worker(&worker, &p).unwrap().is_none());
    }

    #[test]
    fn default_group_needs_both_keys_with_javas_messages() {
        let e =
            TopicCreation::parse(&base(&[("topic.creation.default.partitions", "0")])).unwrap_err();
        assert_eq!(
            e.message(),
            "Missing required configuration \"topic.creation.default.replication.factor\" which has no default value.\n\
             Invalid value 0 for configuration partitions: Number of partitions must be positive, or -1 to use the broker's default"
        );
        let e = TopicCreation::parse(&base(&[
            ("topic.creation.default.partitions", "x"),
            ("topic.creation.default.replication.factor", "-2"),
        ]))
        .unwrap_err();
        assert!(e.message().contains("Invalid value -2 for configuration replication.factor: Replication factor must be positive and not larger than the number of brokers in the Kafka cluster, or -1 to use the broker's default"), "{e}");
        assert!(e.message().contains("Invalid value x for configuration topic.creation.default.partitions: Not a number of type INT"), "{e}");
    }

    #[test]
    fn groups_default_to_the_default_group_and_keep_their_order() {
        let tc = TopicCreation::parse(&base(&[
            ("topic.creation.groups", "compacted, default, logs"),
            ("topic.creation.default.partitions", "3"),
            ("topic.creation.default.replication.factor", "-1"),
            ("topic.creation.default.include", "nothing"),
            ("topic.creation.default.retention.ms", "1000"),
            ("topic.creation.compacted.include", "state-.*, .*-changelog"),
            ("topic.creation.compacted.exclude", "state-tmp"),
            ("topic.creation.compacted.partitions", "5"),
            ("topic.creation.compacted.cleanup.policy", "compact"),
            ("topic.creation.logs.include", "logs"),
            ("topic.creation.logs.replication.factor", "2"),
        ]))
        .unwrap()
        .unwrap();
        let names: Vec<&str> = tc.groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["compacted", "logs"]);
        let g = tc.find_first_group("state-a");
        assert_eq!(
            (g.name.as_str(), g.partitions, g.replication_factor),
            ("compacted", 5, -1)
        );
        assert_eq!(
            g.configs,
            BTreeMap::from([("cleanup.policy".to_string(), "compact".to_string())])
        );
        assert_eq!(tc.find_first_group("a-changelog").name, "compacted");
        // Exclusion wins; a partial match is no match; `default`'s include is ignored.
        assert_eq!(tc.find_first_group("state-tmp").name, "default");
        assert_eq!(tc.find_first_group("xstate-a").name, "default");
        let logs = tc.find_first_group("logs");
        assert_eq!((logs.partitions, logs.replication_factor), (3, 2));
        assert!(logs.configs.is_empty());
        let d = tc.find_first_group("anything");
        assert_eq!(
            (d.name.as_str(), d.partitions, d.replication_factor),
            ("default", 3, -1)
        );
        assert_eq!(
            d.configs,
            BTreeMap::from([("retention.ms".to_string(), "1000".to_string())])
        );
        assert_eq!(
            NewTopicDisplay("x", d).to_string(),
            "(name=x, numPartitions=3, replicationFactor=default, replicasAssignments=null, configs={retention.ms=1000})"
        );
    }

    #[test]
    fn a_group_without_include_matches_nothing() {
        let tc = TopicCreation::parse(&base(&[
            ("topic.creation.groups", "g"),
            ("topic.creation.default.partitions", "1"),
            ("topic.creation.default.replication.factor", "1"),
            ("topic.creation.g.partitions", "7"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(tc.find_first_group("t").name, "default");
    }

    #[test]
    fn group_errors_are_javas() {
        let e = TopicCreation::parse(&base(&[
            ("topic.creation.groups", "g, h, g"),
            ("topic.creation.default.partitions", "1"),
            ("topic.creation.default.replication.factor", "1"),
            ("topic.creation.g.include", "a, ["),
            ("topic.creation.h.partitions", "-5"),
            ("topic.creation.h.replication.factor", "40000"),
        ]))
        .unwrap_err();
        let m = e.message();
        assert!(m.contains("Invalid value [g, h, g] for configuration topic.creation.groups: Duplicate alias provided."), "{m}");
        assert!(m.contains("Invalid value [a, [] for configuration include: Syntax error in regular expression: "), "{m}");
        assert!(m.contains("Invalid value -5 for configuration partitions: Number of partitions must be positive, or -1 to use the broker's default"), "{m}");
        assert!(m.contains("Invalid value 40000 for configuration topic.creation.h.replication.factor: Not a number of type SHORT"), "{m}");
    }
}
