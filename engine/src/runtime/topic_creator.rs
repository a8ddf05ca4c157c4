//! Source topic creation at run time (Java's `AbstractWorkerSourceTask.maybeCreateTopic` with
//! `TopicAdmin.createOrFindTopics`): before a source task first produces to a topic, it checks
//! whether the topic exists and, when not, creates it with the first matching
//! [`TopicCreationGroup`](crate::topic_creation::TopicCreationGroup)'s partitions, replication
//! factor and topic configs. Topics found or created are remembered for the task's lifetime, so
//! a batch whose topics are all known costs a set lookup per distinct topic (one per batch for
//! a dictionary topic column), nothing per row.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use arrow::array::Array;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::types::RDKafkaErrorCode;

use super::TaskSpec;
use crate::batch::{columns, Batch, TopicColumn};
use crate::error::{Error, Result};
use crate::kafka::{client_config, create, ClientRole};
use crate::topic_creation::{NewTopicDisplay, TopicCreation};

const TIMEOUT: Duration = Duration::from_secs(30);

/// A source task's topic creation: its groups, an admin client, the topics known to exist.
pub(crate) struct TopicCreator {
    creation: TopicCreation,
    admin: Arc<AdminClient<DefaultClientContext>>,
    known: HashSet<String>,
    task: String,
}

impl TopicCreator {
    /// `None` when the task does not create topics (worker `topic.creation.enable=false`, or no
    /// `topic.creation.` key in the connector config). A config error fails the task.
    pub(crate) fn for_task(spec: &TaskSpec) -> Result<Option<Self>> {
        let Some(creation) = TopicCreation::for_worker(&spec.worker.config, &spec.connector_props)?
        else {
            return Ok(None);
        };
        let task = format!("{}-{}", spec.connector, spec.task_id);
        let cfg = client_config(
            &spec.worker.config.bootstrap_servers,
            ClientRole::Admin,
            &[("client.id", format!("connector-adminclient-{task}"))],
            &spec.worker.config.originals,
            &spec.connector_props,
        )?;
        let admin = Arc::new(create(&cfg, "source topic creation admin")?);
        Ok(Some(TopicCreator {
            creation,
            admin,
            known: HashSet::new(),
            task,
        }))
    }

    /// Make sure every topic `batch` writes to exists, creating the missing ones.
    pub(crate) async fn ensure_batch(&mut self, batch: &Batch) -> Result<()> {
        let Some(col) = batch.column(columns::TOPIC) else {
            return Ok(());
        };
        let Some(topics) = TopicColumn::new(col) else {
            return Ok(());
        };
        let mut missing: Vec<String> = Vec::new();
        match topics {
            TopicColumn::Dictionary { keys, values } => {
                // Usually one dictionary value, already known: no per-row work.
                let unknown: Vec<usize> = (0..values.len())
                    .filter(|&i| !values.is_null(i) && !self.known.contains(values.value(i)))
                    .collect();
                if !unknown.is_empty() {
                    // Only values some row uses (a filter may leave unused dictionary values).
                    let mut used = vec![false; values.len()];
                    for k in keys.iter().flatten() {
                        if let Some(u) = used.get_mut(k as usize) {
                            *u = true;
                        }
                    }
                    missing.extend(
                        unknown
                            .into_iter()
                            .filter(|&i| used[i])
                            .map(|i| values.value(i).to_string()),
                    );
                }
            }
            TopicColumn::Plain(_) => {
                let mut last: Option<&str> = None;
                for i in 0..batch.num_rows() {
                    let Some(t) = topics.get(i) else { continue };
                    if last == Some(t) {
                        continue;
                    }
                    last = Some(t);
                    if !self.known.contains(t) && !missing.iter().any(|m| m == t) {
                        missing.push(t.to_string());
                    }
                }
            }
        }
        for topic in missing {
            self.ensure(&topic).await?;
        }
        Ok(())
    }

    /// Java's `maybeCreateTopic` for one topic not known yet.
    async fn ensure(&mut self, topic: &str) -> Result<()> {
        tracing::info!(task = %self.task, %topic, "the task will send records to topic '{topic}' for the first time; checking whether the topic exists");
        if self.exists(topic).await? {
            tracing::info!(task = %self.task, %topic, "topic '{topic}' already exists");
            self.known.insert(topic.to_string());
            return Ok(());
        }
        let group = self.creation.find_first_group(topic);
        let shown = NewTopicDisplay(topic, group).to_string();
        tracing::info!(task = %self.task, %topic, group = %group.name, "creating topic '{topic}'");
        let mut new_topic = NewTopic::new(
            topic,
            group.partitions,
            TopicReplication::Fixed(group.replication_factor.into()),
        );
        for (k, v) in &group.configs {
            new_topic = new_topic.set(k, v);
        }
        let failed = |cause: String| {
            Error::external(
                format!(
                    "Task failed to create new topic {shown}. Ensure that the task is authorized to create topics or that the topic exists and restart the task"
                ),
                false,
            )
            .with_source(std::io::Error::other(cause))
        };
        let opts = AdminOptions::new().operation_timeout(Some(TIMEOUT));
        let results = self
            .admin
            .create_topics([&new_topic], &opts)
            .await
            .map_err(|e| failed(e.to_string()))?;
        for result in results {
            match result {
                Ok(_) => {
                    tracing::info!(task = %self.task, "created topic '{shown}' using creation group {}", group.name)
                }
                Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {
                    tracing::info!(task = %self.task, "found existing topic '{shown}'")
                }
                Err((_, code)) => {
                    tracing::warn!(task = %self.task, %topic, "request to create new topic failed: {code}");
                    return Err(failed(code.to_string()));
                }
            }
        }
        self.known.insert(topic.to_string());
        Ok(())
    }

    /// Whether `topic` exists. Lists every topic: asking for one by name could make a broker
    /// with `auto.create.topics.enable` create it with its defaults.
    async fn exists(&self, topic: &str) -> Result<bool> {
        let admin = self.admin.clone();
        let wanted = topic.to_string();
        tokio::task::spawn_blocking(move || {
            admin
                .inner()
                .fetch_metadata(None, TIMEOUT)
                .map(|m| m.topics().iter().any(|t| t.name() == wanted))
        })
        .await
        .map_err(|e| Error::bug(format!("topic lookup panicked: {e}")))?
        .map_err(|e| {
            Error::external(format!("Could not describe topic '{topic}'"), true).with_source(e)
        })
    }
}
