//! A sink that discards everything, for benchmarks: `io.strait.connect.blackhole.BlackholeSinkConnector`
//! (aliases `BlackholeSink`, `blackhole`). It takes raw batches ([`SinkInput::Raw`]), so no
//! converter ever runs, and counts records and payload bytes (key + value) in process-wide
//! counters read with [`blackhole_stats`].
//!
//! **Offsets and guarantee.** Nothing is stored, so everything consumed is "durable": `pre_commit`
//! returns the consumed offsets and the runtime commits them at every offset flush. Records
//! consumed after the last commit are consumed (and counted) again after a crash.
//!
//! There is no Java counterpart; the version is the crate version.

use std::sync::atomic::{AtomicU64, Ordering};

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::DataType;
use async_trait::async_trait;

use strait_engine::batch::{columns, Batch, OffsetMap};
use strait_engine::config::{ConfigDef, Props};
use strait_engine::declare_config;
use strait_engine::plugin::{
    Connector, PluginInfo, PluginType, SinkInput, SinkTask, SinkTaskContext, TaskInstance,
};
use strait_engine::Result;

pub const CONNECTOR_CLASS: &str = "io.strait.connect.blackhole.BlackholeSinkConnector";
pub const TASK_CLASS: &str = "io.strait.connect.blackhole.BlackholeSinkTask";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

static RECORDS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

/// Records and payload bytes (key + value) every blackhole task in this process has swallowed.
pub fn blackhole_stats() -> (u64, u64) {
    (
        RECORDS.load(Ordering::Relaxed),
        BYTES.load(Ordering::Relaxed),
    )
}

/// Reset the process-wide counters (between benchmark runs).
pub fn reset_blackhole_stats() {
    RECORDS.store(0, Ordering::Relaxed);
    BYTES.store(0, Ordering::Relaxed);
}

/// `io.strait.connect.blackhole.BlackholeSinkConnector`.
#[derive(Debug)]
pub struct BlackholeSinkConnector;

declare_config! {
    /// The blackhole has no keys of its own (only the framework's).
    #[derive(Debug, Clone, PartialEq)]
    pub struct BlackholeConfig {}
}

impl Connector for BlackholeSinkConnector {
    type Config = BlackholeConfig;

    fn info() -> PluginInfo {
        PluginInfo {
            class: CONNECTOR_CLASS,
            extra_aliases: &["blackhole"],
            kind: PluginType::Sink,
            version: VERSION,
        }
    }

    fn config_def() -> ConfigDef {
        BlackholeConfig::config_def()
    }

    fn parse(props: &Props) -> Result<Self::Config> {
        BlackholeConfig::parse(props)
    }

    fn task_class() -> &'static str {
        TASK_CLASS
    }

    fn task_configs(_config: &Self::Config, props: &Props, max_tasks: usize) -> Result<Vec<Props>> {
        let mut task = props.clone();
        task.insert("task.class".to_string(), TASK_CLASS.to_string());
        Ok(vec![task; max_tasks])
    }

    fn create_task(_task_props: &Props) -> Result<TaskInstance> {
        Ok(TaskInstance::Sink(Box::new(BlackholeSinkTask::default())))
    }
}

/// Counts and drops every batch.
#[derive(Debug, Default)]
pub struct BlackholeSinkTask {
    records: u64,
    bytes: u64,
}

impl BlackholeSinkTask {
    /// Records and bytes this task has swallowed.
    pub fn stats(&self) -> (u64, u64) {
        (self.records, self.bytes)
    }
}

/// Payload bytes of a key or value column, without touching the values.
fn payload_bytes(array: &ArrayRef) -> u64 {
    let offsets_span = |first: i64, last: i64| (last - first).max(0) as u64;
    match array.data_type() {
        DataType::Binary => {
            let o = array.as_binary::<i32>().value_offsets();
            offsets_span(o[0] as i64, o[o.len() - 1] as i64)
        }
        DataType::LargeBinary => {
            let o = array.as_binary::<i64>().value_offsets();
            offsets_span(o[0], o[o.len() - 1])
        }
        DataType::Utf8 => {
            let o = array.as_string::<i32>().value_offsets();
            offsets_span(o[0] as i64, o[o.len() - 1] as i64)
        }
        DataType::LargeUtf8 => {
            let o = array.as_string::<i64>().value_offsets();
            offsets_span(o[0], o[o.len() - 1])
        }
        // Views: the low 32 bits of each view are the value's length.
        DataType::BinaryView => array
            .as_binary_view()
            .views()
            .iter()
            .map(|v| *v as u32 as u64)
            .sum(),
        DataType::Utf8View => array
            .as_string_view()
            .views()
            .iter()
            .map(|v| *v as u32 as u64)
            .sum(),
        // Decoded columns (not expected with raw input): their in-memory size.
        _ => array.to_data().get_slice_memory_size().unwrap_or(0) as u64,
    }
}

#[async_trait]
impl SinkTask for BlackholeSinkTask {
    fn input(&self) -> SinkInput {
        SinkInput::Raw
    }

    /// Discards records unread.
    fn needs_headers(&self) -> bool {
        false
    }

    async fn start(&mut self, _ctx: SinkTaskContext) -> Result<()> {
        Ok(())
    }

    async fn put(&mut self, batch: Batch) -> Result<()> {
        let records = batch.num_rows() as u64;
        let bytes = [columns::KEY, columns::VALUE]
            .iter()
            .filter_map(|c| batch.column(c))
            .map(payload_bytes)
            .sum();
        self.records += records;
        self.bytes += bytes;
        RECORDS.fetch_add(records, Ordering::Relaxed);
        BYTES.fetch_add(bytes, Ordering::Relaxed);
        Ok(())
    }

    async fn pre_commit(&mut self, consumed: &OffsetMap) -> Result<OffsetMap> {
        Ok(consumed.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strait_engine::batch::{RawBatchBuilder, TopicPartition};

    #[tokio::test]
    async fn counts_records_and_payload_bytes_and_commits_everything() {
        let mut task = BlackholeSinkTask::default();
        assert_eq!(task.input(), SinkInput::Raw);
        task.start(SinkTaskContext::new("bh", 0)).await.unwrap();
        let before = blackhole_stats();
        let mut b = RawBatchBuilder::with_capacity(3, 64);
        b.append("t", 0, 0, None, Some(b"key"), Some(b"value"), []);
        b.append("t", 0, 1, None, None, Some(b"vv"), []);
        b.append("t", 1, 9, None, None, None, []);
        let batch = b.finish().unwrap();
        let consumed = batch.provenance.commit_offsets();
        task.put(batch).await.unwrap();
        assert_eq!(task.stats(), (3, 3 + 5 + 2));
        let after = blackhole_stats();
        assert!(after.0 >= before.0 + 3 && after.1 >= before.1 + 10);
        assert_eq!(
            task.pre_commit(&consumed).await.unwrap()[&TopicPartition::new("t", 1)],
            10
        );
        // A sliced batch counts only its own payloads.
        let mut b = RawBatchBuilder::with_capacity(2, 8);
        b.append("t", 0, 2, None, None, Some(b"aaaa"), []);
        b.append("t", 0, 3, None, None, Some(b"bb"), []);
        let sliced = b.finish().unwrap();
        let sliced = Batch::new(sliced.records.slice(1, 1), sliced.provenance);
        task.put(sliced).await.unwrap();
        assert_eq!(task.stats(), (4, 12));
    }

    #[test]
    fn names_include_blackhole_alias() {
        let names = BlackholeSinkConnector::info().names();
        assert!(names.contains(&"blackhole".to_string()));
        assert!(names.contains(&"BlackholeSink".to_string()));
    }
}
