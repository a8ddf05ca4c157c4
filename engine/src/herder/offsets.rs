//! The offsets REST API (KIP-875) behind every herder: request validation with Kafka Connect's
//! messages, and the two stores offsets live in.
//!
//! * Source connectors: the worker's [`OffsetStore`](crate::offsets::OffsetStore) (standalone:
//!   the offsets file), written with `put` + `flush`; a reset writes a tombstone per partition.
//! * Sink connectors: the committed offsets of the connector's consumer group (`connect-<name>`
//!   unless overridden). Reading asks the group coordinator for every partition of every topic;
//!   altering commits as a group-less ("simple") consumer, which the broker accepts only while
//!   the group has no members, i.e. while the connector is stopped; resetting deletes the group
//!   (a missing group counts as success). librdkafka has no "delete one partition's committed
//!   offset" call, so a request that resets some partitions rewrites the group: delete it, then
//!   commit what remains.

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};
use serde_json::Value;

use std::sync::Arc;

use super::{ConnectorOffset, ConnectorOffsets, OffsetEntry};
use crate::batch::{SourceMap, TopicPartition};
use crate::config::Props;
use crate::error::{Error, Result};
use crate::kafka::{client_config, create, ClientRole};
use crate::plugin::{ConnectorPlugin, ConnectorType};
use crate::runtime::WorkerContext;
use crate::worker_config::WorkerConfig;

pub const KAFKA_TOPIC_KEY: &str = "kafka_topic";
pub const KAFKA_PARTITION_KEY: &str = "kafka_partition";
pub const KAFKA_OFFSET_KEY: &str = "kafka_offset";

/// How long one Kafka round of the offsets API may take.
const KAFKA_TIMEOUT: Duration = Duration::from_secs(30);

/// The success message, from whether the connector altered the offsets itself and whether
/// this was a reset (Java's `completeModifyOffsetsCallback`).
pub fn success_message(connector_managed: bool, reset: bool) -> String {
    let what = if reset { "reset" } else { "altered" };
    if connector_managed {
        format!("The offsets for this connector have been {what} successfully")
    } else {
        format!(
            "The Connect framework-managed offsets for this connector have been {what} successfully. However, if this connector manages offsets externally, they will need to be manually {what} in the system that the connector uses."
        )
    }
}

/// 400 when offsets are modified outside the STOPPED state.
pub fn not_stopped(name: &str) -> Error {
    Error::config(format!(
        "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/{name}/stop' endpoint"
    ))
}

/// 500 when the connector's `alter_offsets` hook refuses external modification.
pub fn hook_error(name: &str, e: Error) -> Error {
    if e.fault() == crate::error::Fault::Unsupported {
        Error::external(
            format!("Failed to modify offsets for connector {name} because it doesn't support external modification of offsets"),
            false,
        )
        .with_http_status(500)
    } else {
        e.with_http_status(500)
    }
}

/// Java's `String.valueOf` of a deserialized JSON value, for error messages.
fn java_string(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::String(s) => s.clone(),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(java_string).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(o) => {
            format!(
                "{{{}}}",
                o.iter()
                    .map(|(k, v)| format!("{k}={}", java_string(v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
        other => other.to_string(),
    }
}

/// Sink request validation (Java's `SinkUtils.parseSinkConnectorOffsets`), all 400s. Numbers
/// may be JSON numbers or numeric strings. Later duplicates win, as in Java's map.
pub fn parse_sink_offsets(entries: &[OffsetEntry]) -> Result<Vec<(TopicPartition, Option<i64>)>> {
    let mut out: Vec<(TopicPartition, Option<i64>)> = Vec::new();
    for (partition, offset) in entries {
        let p = partition.as_ref().ok_or_else(|| {
            Error::config("The partition for a sink connector offset cannot be null or missing")
        })?;
        let (Some(topic), Some(part)) = (p.get(KAFKA_TOPIC_KEY), p.get(KAFKA_PARTITION_KEY)) else {
            return Err(Error::config(format!(
                "The partition for a sink connector offset must contain the keys '{KAFKA_TOPIC_KEY}' and '{KAFKA_PARTITION_KEY}'"
            )));
        };
        if topic.is_null() {
            return Err(Error::config(
                "Kafka topic names must be valid strings and may not be null",
            ));
        }
        if part.is_null() {
            return Err(Error::config(
                "Kafka partitions must be valid numbers and may not be null",
            ));
        }
        let partition: i32 = java_string(part).parse().map_err(|_| {
            Error::config(format!(
                "Failed to parse the following Kafka partition value in the provided offsets: '{}'. Partition values for sink connectors need to be integers.",
                java_string(part)
            ))
        })?;
        let tp = TopicPartition::new(java_string(topic), partition);
        let offset = match offset {
            None => None,
            Some(o) => {
                let v = o.get(KAFKA_OFFSET_KEY).ok_or_else(|| {
                    Error::config(format!(
                        "The offset for a sink connector should either be null or contain the key '{KAFKA_OFFSET_KEY}'"
                    ))
                })?;
                Some(java_string(v).parse::<i64>().map_err(|_| {
                    Error::config(format!(
                        "Failed to parse the following Kafka offset value in the provided offsets: '{}'. Offset values for sink connectors need to be integers.",
                        java_string(v)
                    ))
                })?)
            }
        };
        out.retain(|(t, _)| *t != tp);
        out.push((tp, offset));
    }
    Ok(out)
}

/// Source request validation (Java's `OffsetUtils.validateFormat`): partition and offset maps
/// hold only primitive values. A violation is a DataException, i.e. a 500.
pub fn validate_source_offsets(entries: &[OffsetEntry]) -> Result<()> {
    for map in entries.iter().flat_map(|(p, o)| [p, o]).flatten() {
        for (k, v) in map {
            let kind = match v {
                Value::Array(_) => "ARRAY",
                Value::Object(_) => "MAP",
                _ => continue,
            };
            return Err(Error::data(format!(
                "Offsets may only contain primitive types as values, but field {k} contains {kind}"
            ))
            .with_http_status(500));
        }
    }
    Ok(())
}

/// The partition/offset maps of a sink offset, in Java's JSON form.
pub fn sink_offset_maps(
    tp: &TopicPartition,
    offset: Option<i64>,
) -> (SourceMap, Option<SourceMap>) {
    let mut p = SourceMap::new();
    // Java builds this map as a HashMap, which iterates kafka_partition first.
    p.insert(KAFKA_PARTITION_KEY.into(), Value::from(tp.partition));
    p.insert(KAFKA_TOPIC_KEY.into(), Value::from(tp.topic.clone()));
    let o = offset.map(|o| {
        let mut m = SourceMap::new();
        m.insert(KAFKA_OFFSET_KEY.into(), Value::from(o));
        m
    });
    (p, o)
}

/// The consumer group of a sink connector: `connect-<name>`, unless the worker's
/// `consumer.group.id` or the connector's `consumer.override.group.id` says otherwise (the
/// same layering the sink task's consumer gets).
pub fn sink_group_id(worker: &WorkerConfig, connector: &str, props: &Props) -> String {
    props
        .get("consumer.override.group.id")
        .or_else(|| worker.originals.get("consumer.group.id"))
        .cloned()
        .unwrap_or_else(|| format!("connect-{connector}"))
}

/// Kafka access for one sink connector's consumer group.
pub struct SinkGroup {
    pub connector: String,
    pub group: String,
    bootstrap: String,
    worker_props: Props,
    connector_props: Props,
}

impl SinkGroup {
    pub fn new(worker: &WorkerConfig, connector: &str, props: &Props) -> Self {
        SinkGroup {
            connector: connector.to_string(),
            group: sink_group_id(worker, connector, props),
            bootstrap: worker.bootstrap_servers.clone(),
            worker_props: worker.originals.clone(),
            connector_props: props.clone(),
        }
    }

    fn consumer(&self) -> Result<BaseConsumer> {
        let base = [
            ("group.id", self.group.clone()),
            (
                "client.id",
                format!("connector-worker-adminclient-{}", self.connector),
            ),
            ("enable.auto.commit", "false".to_string()),
        ];
        let cfg = client_config(
            &self.bootstrap,
            ClientRole::Admin,
            &base,
            &self.worker_props,
            &self.connector_props,
        )?;
        create(&cfg, "offsets consumer")
    }

    /// Committed offsets of the group, for every partition of every topic (blocking).
    pub fn committed(&self) -> Result<Vec<(TopicPartition, i64)>> {
        let failed = |e: Error| {
            Error::external(
                format!(
                    "Failed to retrieve consumer group offsets for sink connector {}",
                    self.connector
                ),
                true,
            )
            .with_source(e)
        };
        let consumer = self.consumer().map_err(failed)?;
        let metadata = consumer
            .fetch_metadata(None, KAFKA_TIMEOUT)
            .map_err(|e| failed(e.into()))?;
        let mut tpl = TopicPartitionList::new();
        for t in metadata.topics() {
            for p in t.partitions() {
                tpl.add_partition(t.name(), p.id());
            }
        }
        if tpl.count() == 0 {
            return Ok(Vec::new());
        }
        let committed = consumer
            .committed_offsets(tpl, KAFKA_TIMEOUT)
            .map_err(|e| failed(e.into()))?;
        let mut out: Vec<(TopicPartition, i64)> = committed
            .elements()
            .iter()
            .filter_map(|e| match e.offset() {
                Offset::Offset(o) => Some((TopicPartition::new(e.topic(), e.partition()), o)),
                _ => None,
            })
            .collect();
        out.sort();
        Ok(out)
    }

    /// Commit offsets as a group-less consumer (blocking). Fails while tasks are members.
    pub fn commit(&self, offsets: &[(TopicPartition, i64)]) -> Result<()> {
        if offsets.is_empty() {
            return Ok(());
        }
        let consumer = self.consumer()?;
        let mut tpl = TopicPartitionList::new();
        for (tp, o) in offsets {
            tpl.add_partition_offset(&tp.topic, tp.partition, Offset::Offset(*o))
                .map_err(Error::from)?;
        }
        consumer.commit(&tpl, CommitMode::Sync).map_err(|e| {
            let zombie = matches!(
                e.rdkafka_error_code(),
                Some(
                    RDKafkaErrorCode::UnknownMemberId
                        | RDKafkaErrorCode::IllegalGeneration
                        | RDKafkaErrorCode::RebalanceInProgress
                        | RDKafkaErrorCode::GroupSubscribedToTopic
                )
            );
            let msg = if zombie {
                zombie_message(&self.connector, "alter")
            } else {
                format!(
                    "Failed to alter consumer group offsets for connector {}",
                    self.connector
                )
            };
            Error::external(msg, false)
                .with_source(e)
                .with_http_status(500)
        })
    }

    /// Delete the group; a group that does not exist counts as deleted.
    pub async fn delete(&self) -> Result<()> {
        let cfg = client_config(
            &self.bootstrap,
            ClientRole::Admin,
            &[(
                "client.id",
                format!("connector-worker-adminclient-{}", self.connector),
            )],
            &self.worker_props,
            &self.connector_props,
        )?;
        let admin: AdminClient<DefaultClientContext> = create(&cfg, "offsets admin")?;
        let opts = AdminOptions::new()
            .request_timeout(Some(KAFKA_TIMEOUT))
            .operation_timeout(Some(KAFKA_TIMEOUT));
        let failed = |cause: String| {
            Error::external(
                format!(
                    "Failed to reset consumer group offsets for sink connector {}",
                    self.connector
                ),
                true,
            )
            .with_source(std::io::Error::other(cause))
            .with_http_status(500)
        };
        let results = admin
            .delete_groups(&[&self.group], &opts)
            .await
            .map_err(|e: KafkaError| failed(e.to_string()))?;
        for r in results {
            match r {
                Ok(_) | Err((_, RDKafkaErrorCode::GroupIdNotFound)) => {}
                Err((_, RDKafkaErrorCode::NonEmptyGroup)) => {
                    return Err(
                        Error::external(zombie_message(&self.connector, "reset"), true)
                            .with_http_status(500),
                    )
                }
                Err((_, code)) => return Err(failed(code.to_string())),
            }
        }
        Ok(())
    }
}

/// Java's message when the group still has members (zombie sink tasks).
fn zombie_message(connector: &str, what: &str) -> String {
    format!(
        "Failed to {what} consumer group offsets for connector {connector} either because its tasks haven't stopped completely yet or the connector was resumed before the request to {what} its offsets could be successfully completed. If the connector is in a stopped state, this operation can be safely retried. If it doesn't eventually succeed, the Connect cluster may need to be restarted to get rid of the zombie sink tasks."
    )
}

/// `GET /connectors/{c}/offsets`: a source's committed offsets from the worker's offset store,
/// a sink's from its consumer group.
pub async fn connector_offsets(
    worker: &WorkerContext,
    name: &str,
    kind: ConnectorType,
    config: &Props,
) -> Result<ConnectorOffsets> {
    let offsets = match kind {
        ConnectorType::Source => worker
            .offsets
            .connector_offsets(name)
            .into_iter()
            .map(|(partition, offset)| ConnectorOffset {
                partition,
                offset: Some(offset),
            })
            .collect(),
        ConnectorType::Sink => {
            let group = SinkGroup::new(&worker.config, name, config);
            blocking(move || group.committed())
                .await
                .map_err(|e| e.with_http_status(500))?
                .into_iter()
                .map(|(tp, o)| {
                    let (partition, offset) = sink_offset_maps(&tp, Some(o));
                    ConnectorOffset { partition, offset }
                })
                .collect()
        }
    };
    Ok(ConnectorOffsets { offsets })
}

/// `PATCH /connectors/{c}/offsets` of a stopped connector (the caller checked that).
pub async fn alter_offsets(
    worker: &WorkerContext,
    name: &str,
    config: &Props,
    plugin: &dyn ConnectorPlugin,
    entries: Vec<OffsetEntry>,
) -> Result<String> {
    match plugin.connector_type() {
        ConnectorType::Sink => alter_sink_offsets(worker, name, config, plugin, &entries).await,
        ConnectorType::Source => {
            alter_source_offsets(worker, name, config, plugin, entries, false).await
        }
    }
}

/// `DELETE /connectors/{c}/offsets` of a stopped connector (the caller checked that).
pub async fn reset_offsets(
    worker: &WorkerContext,
    name: &str,
    config: &Props,
    plugin: &dyn ConnectorPlugin,
) -> Result<String> {
    match plugin.connector_type() {
        ConnectorType::Sink => {
            let group = Arc::new(SinkGroup::new(&worker.config, name, config));
            let g = group.clone();
            let current = blocking(move || g.committed()).await.map_err(|e| {
                Error::external(format!("Failed to list offsets prior to resetting offsets for sink connector {name}"), true)
                    .with_source(e)
                    .with_http_status(500)
            })?;
            let hook: Vec<(SourceMap, Option<SourceMap>)> = current
                .iter()
                .map(|(tp, _)| (sink_offset_maps(tp, None).0, None))
                .collect();
            let managed = plugin
                .alter_offsets(config, &hook)
                .map_err(|e| hook_error(name, e))?;
            group.delete().await?;
            Ok(success_message(managed, true))
        }
        ConnectorType::Source => {
            let entries: Vec<OffsetEntry> = worker
                .offsets
                .connector_offsets(name)
                .into_iter()
                .map(|(p, _)| (Some(p), None))
                .collect();
            alter_source_offsets(worker, name, config, plugin, entries, true).await
        }
    }
}

/// Run blocking Kafka client work off the async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::bug(format!("blocking task panicked: {e}")))?
}

async fn alter_sink_offsets(
    worker: &WorkerContext,
    name: &str,
    config: &Props,
    plugin: &dyn ConnectorPlugin,
    entries: &[OffsetEntry],
) -> Result<String> {
    let parsed = parse_sink_offsets(entries)?;
    let hook: Vec<(SourceMap, Option<SourceMap>)> = parsed
        .iter()
        .map(|(tp, o)| sink_offset_maps(tp, *o))
        .collect();
    let managed = plugin
        .alter_offsets(config, &hook)
        .map_err(|e| hook_error(name, e))?;
    let group = SinkGroup::new(&worker.config, name, config);
    let writes: Vec<(TopicPartition, i64)> = parsed
        .iter()
        .filter_map(|(tp, o)| o.map(|o| (tp.clone(), o)))
        .collect();
    let resets: Vec<&TopicPartition> = parsed
        .iter()
        .filter(|(_, o)| o.is_none())
        .map(|(tp, _)| tp)
        .collect();
    let group = Arc::new(group);
    let final_offsets = if resets.is_empty() {
        writes
    } else {
        // No per-partition delete in librdkafka: rewrite the (member-less) group without them.
        let g = group.clone();
        let mut current = blocking(move || g.committed()).await?;
        current.retain(|(tp, _)| !resets.contains(&tp) && !writes.iter().any(|(w, _)| w == tp));
        current.extend(writes);
        group.delete().await?;
        current
    };
    let g = group.clone();
    blocking(move || g.commit(&final_offsets)).await?;
    Ok(success_message(managed, false))
}

async fn alter_source_offsets(
    worker: &WorkerContext,
    name: &str,
    config: &Props,
    plugin: &dyn ConnectorPlugin,
    entries: Vec<OffsetEntry>,
    reset: bool,
) -> Result<String> {
    validate_source_offsets(&entries)?;
    // A null partition has nowhere to be stored; Java writes a meaningless key, we skip it.
    let writes: Vec<(SourceMap, Option<SourceMap>)> = entries
        .into_iter()
        .filter_map(|(p, o)| p.map(|p| (p, o)))
        .collect();
    let managed = plugin
        .alter_offsets(config, &writes)
        .map_err(|e| hook_error(name, e))?;
    if !writes.is_empty() {
        let store = worker.offsets.clone();
        store.put(name, writes);
        blocking(move || store.flush())
            .await
            .map_err(|e| e.with_http_status(500))?;
    }
    Ok(success_message(managed, reset))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(p: Value, o: Value) -> OffsetEntry {
        (p.as_object().cloned(), o.as_object().cloned())
    }

    #[test]
    fn sink_offsets_accept_numbers_and_numeric_strings() {
        let parsed = parse_sink_offsets(&[
            entry(
                json!({"kafka_topic": "t", "kafka_partition": "1"}),
                json!({"kafka_offset": 5}),
            ),
            entry(
                json!({"kafka_topic": "t", "kafka_partition": 2}),
                Value::Null,
            ),
        ])
        .unwrap();
        assert_eq!(
            parsed,
            vec![
                (TopicPartition::new("t", 1), Some(5)),
                (TopicPartition::new("t", 2), None)
            ]
        );
    }

    #[test]
    fn sink_offset_errors_are_javas() {
        let msg = |p: Value, o: Value| {
            parse_sink_offsets(&[entry(p, o)])
                .unwrap_err()
                .message()
                .to_string()
        };
        assert_eq!(
            msg(Value::Null, Value::Null),
            "The partition for a sink connector offset cannot be null or missing"
        );
        assert!(msg(json!({"kafka_topic": "t"}), Value::Null)
            .contains("must contain the keys 'kafka_topic' and 'kafka_partition'"));
        assert_eq!(
            msg(json!({"kafka_topic": "t", "kafka_partition": "x"}), Value::Null),
            "Failed to parse the following Kafka partition value in the provided offsets: 'x'. Partition values for sink connectors need to be integers."
        );
        assert_eq!(
            msg(json!({"kafka_topic": "t", "kafka_partition": 0}), json!({"kafka_offset": 2.5})),
            "Failed to parse the following Kafka offset value in the provided offsets: '2.5'. Offset values for sink connectors need to be integers."
        );
        assert_eq!(
            msg(
                json!({"kafka_topic": null, "kafka_partition": 0}),
                Value::Null
            ),
            "Kafka topic names must be valid strings and may not be null"
        );
        assert!(msg(
            json!({"kafka_topic": "t", "kafka_partition": 0}),
            json!({"x": 1})
        )
        .contains("should either be null"));
    }

    #[test]
    fn source_offsets_must_be_primitive() {
        let e = validate_source_offsets(&[entry(json!({"f": "a"}), json!({"position": [1]}))])
            .unwrap_err();
        assert_eq!(
            e.message(),
            "Offsets may only contain primitive types as values, but field position contains ARRAY"
        );
        assert_eq!(e.http_status(), 500);
        assert!(validate_source_offsets(&[entry(
            json!({"f": "a"}),
            json!({"position": 1, "x": null})
        )])
        .is_ok());
    }

    #[test]
    fn messages() {
        assert_eq!(
            success_message(true, true),
            "The offsets for this connector have been reset successfully"
        );
        assert!(success_message(false, false).contains("manually altered in the system"));
        assert_eq!(hook_error("c", Error::unsupported("x")).http_status(), 500);
    }
}
