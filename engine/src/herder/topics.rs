//! KIP-558 active topics: the set of topics each connector's tasks have actually produced to
//! (sources) or consumed from (sinks) since the connector was created or its topics were reset.
//!
//! Java records a topic per record as it passes the worker. Here the herder wraps the
//! connector plugin it hands to the task drivers ([`TrackedPlugin`]), so every task it creates
//! reports the topics of its batches: a source from the `topic` column of each polled batch, a
//! sink from the provenance of each `put` batch (no per-row work, and nothing in the drivers
//! had to change).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use arrow::array::{Array, DictionaryArray, StringArray};
use arrow::datatypes::Int32Type;
use async_trait::async_trait;

use crate::batch::{columns, Batch, OffsetMap, Provenance, SourceMap, TopicPartition};
use crate::config::{ConfigDef, ConfigValue, Props};
use crate::error::Result;
use crate::plugin::{
    ConnectorPlugin, ConnectorTransactionBoundaries, ConnectorType, ExactlyOnceSupport, PluginInfo,
    SinkInput, SinkTask, SinkTaskContext, SourceTask, SourceTaskContext, TaskInstance,
};

/// Active topics per connector.
#[derive(Debug, Default)]
pub struct TopicTracker {
    topics: Mutex<BTreeMap<String, BTreeSet<String>>>,
}

impl TopicTracker {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sorted active topics of a connector (empty if none or unknown).
    pub fn topics(&self, connector: &str) -> Vec<String> {
        let map = self.topics.lock().expect("topics lock");
        map.get(connector)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Forget a connector's topics (reset, delete).
    pub fn clear(&self, connector: &str) {
        self.topics.lock().expect("topics lock").remove(connector);
    }

    /// Record topics; cheap when they are already known (the common case).
    fn record<'a>(&self, connector: &str, topics: impl IntoIterator<Item = &'a str>) {
        let mut map = self.topics.lock().expect("topics lock");
        let set = match map.get_mut(connector) {
            Some(s) => s,
            None => map.entry(connector.to_string()).or_default(),
        };
        for t in topics {
            if !set.contains(t) {
                set.insert(t.to_string());
            }
        }
    }

    /// The distinct topics of a source batch's `topic` column (Utf8 or dictionary).
    fn record_column(&self, connector: &str, batch: &Batch) {
        let Some(col) = batch.column(columns::TOPIC) else {
            return;
        };
        if let Some(dict) = col.as_any().downcast_ref::<DictionaryArray<Int32Type>>() {
            if let Some(values) = dict.values().as_any().downcast_ref::<StringArray>() {
                // Only dictionary entries some row refers to count.
                let mut used = vec![false; values.len()];
                for k in dict.keys().iter().flatten() {
                    if let Some(u) = used.get_mut(k as usize) {
                        *u = true;
                    }
                }
                self.record(
                    connector,
                    (0..values.len())
                        .filter(|&i| used[i] && values.is_valid(i))
                        .map(|i| values.value(i)),
                );
            }
        } else if let Some(s) = col.as_any().downcast_ref::<StringArray>() {
            let mut last: Option<&str> = None;
            let mut distinct: Vec<&str> = Vec::new();
            for t in s.iter().flatten() {
                if last != Some(t) && !distinct.contains(&t) {
                    distinct.push(t);
                }
                last = Some(t);
            }
            self.record(connector, distinct);
        }
    }
}

/// A connector plugin whose tasks report their topics to a [`TopicTracker`].
pub struct TrackedPlugin {
    pub inner: Arc<dyn ConnectorPlugin>,
    pub connector: String,
    pub tracker: Arc<TopicTracker>,
}

impl TrackedPlugin {
    pub fn wrap(
        inner: Arc<dyn ConnectorPlugin>,
        connector: &str,
        tracker: Arc<TopicTracker>,
    ) -> Arc<dyn ConnectorPlugin> {
        Arc::new(TrackedPlugin {
            inner,
            connector: connector.to_string(),
            tracker,
        })
    }
}

impl ConnectorPlugin for TrackedPlugin {
    fn info(&self) -> PluginInfo {
        self.inner.info()
    }
    fn connector_type(&self) -> ConnectorType {
        self.inner.connector_type()
    }
    fn config_def(&self) -> ConfigDef {
        self.inner.config_def()
    }
    fn validate(&self, props: &Props) -> Vec<ConfigValue> {
        self.inner.validate(props)
    }
    fn check(&self, props: &Props) -> Result<()> {
        self.inner.check(props)
    }
    fn task_class(&self) -> &'static str {
        self.inner.task_class()
    }
    fn task_configs(&self, props: &Props, max_tasks: usize) -> Result<Vec<Props>> {
        self.inner.task_configs(props, max_tasks)
    }
    fn create_task(&self, task_props: &Props) -> Result<TaskInstance> {
        let connector = self.connector.clone();
        let tracker = self.tracker.clone();
        Ok(match self.inner.create_task(task_props)? {
            TaskInstance::Source(inner) => TaskInstance::Source(Box::new(TrackedSource {
                inner,
                connector,
                tracker,
            })),
            TaskInstance::Sink(inner) => TaskInstance::Sink(Box::new(TrackedSink {
                inner,
                connector,
                tracker,
            })),
        })
    }
    fn alter_offsets(
        &self,
        props: &Props,
        offsets: &[(SourceMap, Option<SourceMap>)],
    ) -> Result<bool> {
        self.inner.alter_offsets(props, offsets)
    }
    fn exactly_once_support(&self, props: &Props) -> Result<Option<ExactlyOnceSupport>> {
        self.inner.exactly_once_support(props)
    }
    fn can_define_transaction_boundaries(
        &self,
        props: &Props,
    ) -> Result<Option<ConnectorTransactionBoundaries>> {
        self.inner.can_define_transaction_boundaries(props)
    }
}

struct TrackedSource {
    inner: Box<dyn SourceTask>,
    connector: String,
    tracker: Arc<TopicTracker>,
}

#[async_trait]
impl SourceTask for TrackedSource {
    async fn start(&mut self, ctx: SourceTaskContext) -> Result<()> {
        self.inner.start(ctx).await
    }
    async fn poll(&mut self) -> Result<Option<Batch>> {
        let batch = self.inner.poll().await?;
        if let Some(b) = &batch {
            self.tracker.record_column(&self.connector, b);
        }
        Ok(batch)
    }
    async fn commit(&mut self) -> Result<()> {
        self.inner.commit().await
    }
    async fn stop(&mut self) -> Result<()> {
        self.inner.stop().await
    }
}

struct TrackedSink {
    inner: Box<dyn SinkTask>,
    connector: String,
    tracker: Arc<TopicTracker>,
}

#[async_trait]
impl SinkTask for TrackedSink {
    fn input(&self) -> SinkInput {
        self.inner.input()
    }
    fn needs_headers(&self) -> bool {
        self.inner.needs_headers()
    }
    async fn start(&mut self, ctx: SinkTaskContext) -> Result<()> {
        self.inner.start(ctx).await
    }
    async fn open(&mut self, partitions: &[TopicPartition]) -> Result<()> {
        self.inner.open(partitions).await
    }
    async fn close(&mut self, partitions: &[TopicPartition]) -> Result<()> {
        self.inner.close(partitions).await
    }
    async fn put(&mut self, batch: Batch) -> Result<()> {
        if let Provenance::Sink(ranges) = &batch.provenance {
            self.tracker
                .record(&self.connector, ranges.keys().map(|tp| tp.topic.as_str()));
        } else if batch.num_rows() > 0 {
            self.tracker.record_column(&self.connector, &batch);
        }
        self.inner.put(batch).await
    }
    async fn pre_commit(&mut self, consumed: &OffsetMap) -> Result<OffsetMap> {
        self.inner.pre_commit(consumed).await
    }
    async fn flush(&mut self, consumed: &OffsetMap) -> Result<()> {
        self.inner.flush(consumed).await
    }
    async fn tick(&mut self) -> Result<()> {
        self.inner.tick().await
    }
    async fn stop(&mut self) -> Result<()> {
        self.inner.stop().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::RecordBatch;
    use arrow::datatypes::{DataType, Field, Schema};

    struct Headless;

    #[async_trait]
    impl SinkTask for Headless {
        fn input(&self) -> SinkInput {
            SinkInput::Raw
        }
        fn needs_headers(&self) -> bool {
            false
        }
        async fn start(&mut self, _ctx: SinkTaskContext) -> Result<()> {
            Ok(())
        }
        async fn put(&mut self, _batch: Batch) -> Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_tracking_wrapper_answers_for_the_task_it_wraps() {
        let tracked = TrackedSink {
            inner: Box::new(Headless),
            connector: "c".into(),
            tracker: Arc::new(TopicTracker::new()),
        };
        assert_eq!(tracked.input(), SinkInput::Raw);
        assert!(
            !tracked.needs_headers(),
            "a wrapper must not read headers its sink ignores"
        );
    }

    #[test]
    fn records_distinct_topics_of_utf8_and_dictionary_columns() {
        let t = TopicTracker::new();
        let schema = Arc::new(Schema::new(vec![Field::new(
            columns::TOPIC,
            DataType::Utf8,
            false,
        )]));
        let rb = RecordBatch::try_new(
            schema,
            vec![Arc::new(StringArray::from(vec!["b", "b", "a"]))],
        )
        .unwrap();
        t.record_column("c", &Batch::new(rb, Provenance::None));
        let dict: DictionaryArray<Int32Type> = vec!["z", "z"].into_iter().collect();
        let schema = Arc::new(Schema::new(vec![Field::new(
            columns::TOPIC,
            dict.data_type().clone(),
            false,
        )]));
        let rb = RecordBatch::try_new(schema, vec![Arc::new(dict)]).unwrap();
        t.record_column("c", &Batch::new(rb, Provenance::None));
        assert_eq!(t.topics("c"), vec!["a", "b", "z"]);
        assert!(t.topics("other").is_empty());
        t.clear("c");
        assert!(t.topics("c").is_empty());
    }
}
