//! The offsets topic (`offset.storage.topic`, or a connector's own `offsets.storage.topic`):
//! source offsets keyed by `[connector, partition]` JSON, valued by the offset map as JSON, as
//! Java's `KafkaOffsetBackingStore`, `OffsetUtils` and `ConnectorOffsetBackingStore` keep them.
//!
//! Nothing here does I/O. [`OffsetLogState`] is the state the topic replays into: the
//! integrator feeds every record read from the topic, in order per partition, to
//! [`OffsetLogState::apply`]. [`KafkaOffsetStore`] implements the engine's
//! [`OffsetStore`] on top of it; its `flush` hands the staged records to an
//! [`OffsetRecordWriter`] that the integrator supplies (the producer).
//!
//! Encoding ([`java_offset_key`], [`java_json`]): the bytes Java's `JsonConverter`
//! (`schemas.enable=false`, Jackson compact output) writes for the same maps, which
//! `engine::offsets::offset_key` (serde_json) does not always match: serde_json escapes control
//! characters with lower-case hex (`\u001f`, Jackson `\u001F`), writes characters outside the
//! BMP raw (Jackson: a `\uD83D\uDE00` surrogate pair escape) and writes doubles in its own form
//! (`10000000000.0`, Java `1.0E10`). The golden tests (`tests/golden/stores/`) pin these bytes
//! against the real 4.1.2 classes.
//!
//! Where Strait differs from Java, on purpose:
//! * **Lookups are by logical key, not only by exact bytes.** Java looks offsets up by the exact
//!   key bytes, so an offset written by a worker that iterated a multi-entry partition map in a
//!   different order is invisible to it. Strait indexes every key also by a canonical form
//!   (the connector plus the partition map with its entries sorted by key; values compared as
//!   Java's `Map.equals` compares them, so `1` and `1.0` stay different) and answers with the
//!   value of the latest record read for that logical key, whatever its byte form.
//! * **Writes reuse the byte form already in the topic.** When a logical key was already read
//!   (for example written by a Java worker, whose multi-entry maps come out in Java `HashMap`
//!   order), Strait writes its offsets under those same key bytes, so Java workers see them and
//!   compaction removes the older records; otherwise it writes [`java_offset_key`].
//! * Records with a null key, which Java stores under a `null` map key nobody reads, are
//!   ignored with a warning.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use serde_json::Value;
use strait_engine::batch::SourceMap;
use strait_engine::error::{Error, Result};
use strait_engine::offsets::{OffsetRecordBytes, OffsetStore, TransactionalOffsets};

pub use strait_engine::java_json::{
    java_json, write_java_json, write_java_json_map, write_java_json_str,
};

/// The offsets-topic key `["<connector>",{…partition…}]` byte for byte as Java's key
/// `JsonConverter` writes it for a partition map iterated in this map's order.
pub fn java_offset_key(connector: &str, partition: &SourceMap) -> Vec<u8> {
    strait_engine::offsets::offset_key(connector, partition)
}

/// The offsets-topic value for an offset map (Java's value `JsonConverter`).
pub fn java_offset_value(offset: &SourceMap) -> Vec<u8> {
    let mut out = Vec::with_capacity(32);
    write_java_json_map(&mut out, offset);
    out
}

/// Java's `OffsetUtils.validateFormat` for a partition or offset map about to be written:
/// values must be null or primitive. (JSON object keys are always strings, so the
/// `Offsets may only use String keys` case cannot arise from a [`SourceMap`].)
pub fn validate_format(map: &SourceMap) -> Result<()> {
    for (k, v) in map {
        let kind = match v {
            Value::Array(_) => "ARRAY",
            Value::Object(_) => "MAP",
            _ => continue,
        };
        return Err(Error::data(format!(
            "Offsets may only contain primitive types as values, but field {k} contains {kind}"
        )));
    }
    Ok(())
}

/// The canonical form of a key: the connector plus the partition with its object entries
/// sorted by key (recursively), so two byte forms of one logical key compare equal. Numbers
/// keep their integer/float kind, as `Long.equals(Double)` is false in Java.
fn canonical_key(connector: &str, partition: &SourceMap) -> Vec<u8> {
    fn canon(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut entries: Vec<(&String, &Value)> = m.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                Value::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k.clone(), canon(v)))
                        .collect(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(canon).collect()),
            other => other.clone(),
        }
    }
    let mut out = Vec::new();
    write_java_json_str(&mut out, connector);
    out.push(b',');
    write_java_json(&mut out, &canon(&Value::Object(partition.clone())));
    out
}

/// Decode an offsets-topic key as `OffsetUtils.processPartitionKey` does: `Some` for
/// `[string, object]`; `Ok(None)` for `[string, null]`, which Java skips silently; `Err` with
/// Java's warning text for anything else.
pub fn parse_partition_key(key: &[u8]) -> std::result::Result<Option<(String, SourceMap)>, String> {
    let v: Value = serde_json::from_slice(key).map_err(|_| {
        "Ignoring offset partition key with unknown serialization. Expected json.".to_string()
    })?;
    let Value::Array(items) = v else {
        return Err(format!(
            "Ignoring offset partition key with an unexpected format. Expected type: java.util.List, actual type: {}",
            java_class_of(&v)
        ));
    };
    if items.len() != 2 {
        return Err(format!(
            "Ignoring offset partition key with an unexpected number of elements. Expected: 2, actual: {}",
            items.len()
        ));
    }
    let mut items = items.into_iter();
    let (first, second) = match (items.next(), items.next()) {
        (Some(a), Some(b)) => (a, b),
        _ => {
            return Err(
                "Ignoring offset partition key with an unexpected number of elements".into(),
            )
        }
    };
    let Value::String(connector) = first else {
        return Err(format!(
            "Ignoring offset partition key with an unexpected format for the first element in the partition key list. Expected type: java.lang.String, actual type: {}",
            java_class_of(&first)
        ));
    };
    match second {
        Value::Object(p) => Ok(Some((connector, p))),
        Value::Null => Ok(None),
        other => Err(format!(
            "Ignoring offset partition key with an unexpected format for the second element in the partition key list. Expected type: java.util.Map, actual type: {}",
            java_class_of(&other)
        )),
    }
}

/// The class `JsonConverter` (schemaless) gives a JSON value, as Java's warnings name it.
fn java_class_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "java.lang.Boolean",
        Value::Number(n) if n.is_f64() => "java.lang.Double",
        Value::Number(_) => "java.lang.Long",
        Value::String(_) => "java.lang.String",
        Value::Array(_) => "java.util.ArrayList",
        Value::Object(_) => "java.util.HashMap",
    }
}

// ---------------------------------------------------------------------------------------------
// Replayed state
// ---------------------------------------------------------------------------------------------

/// One offsets topic replayed: Java's `KafkaOffsetBackingStore.data` (key bytes → value bytes)
/// and `connectorPartitions`, plus Strait's canonical index (see the module docs).
#[derive(Debug, Default, Clone)]
pub struct OffsetLogState {
    /// Exact key bytes → value bytes; a tombstone removes the key.
    data: HashMap<Vec<u8>, Vec<u8>>,
    /// Canonical key → the key bytes of the latest record read for it (value or tombstone).
    canonical: HashMap<Vec<u8>, Vec<u8>>,
    /// Connector → canonical partition form → partition, as `OffsetUtils.processPartitionKey`
    /// maintains Java's `Set<Map<String, Object>>` (added on a value, removed on a tombstone).
    partitions: BTreeMap<String, BTreeMap<Vec<u8>, SourceMap>>,
}

impl OffsetLogState {
    /// An empty state (nothing read yet).
    pub fn new() -> Self {
        Self::default()
    }

    /// Apply one record read from the topic (records in order per topic partition).
    pub fn apply(&mut self, key: Option<&[u8]>, value: Option<&[u8]>) {
        let Some(key) = key else {
            tracing::warn!("Ignoring offset partition key with an unexpected null value");
            return;
        };
        match parse_partition_key(key) {
            Ok(Some((connector, partition))) => {
                let canon = canonical_key(&connector, &partition);
                let part_canon = canonical_key("", &partition);
                let set = self.partitions.entry(connector).or_default();
                if value.is_some() {
                    set.insert(part_canon, partition);
                } else {
                    set.remove(&part_canon);
                }
                self.canonical.insert(canon, key.to_vec());
            }
            Ok(None) => {}
            Err(warning) => tracing::warn!("{warning}"),
        }
        match value {
            Some(v) => {
                self.data.insert(key.to_vec(), v.to_vec());
            }
            None => {
                self.data.remove(key);
            }
        }
    }

    /// The value stored under exactly these key bytes (Java's lookup).
    pub fn get_exact(&self, key: &[u8]) -> Option<&[u8]> {
        self.data.get(key).map(Vec::as_slice)
    }

    /// The key bytes under which a logical key was last read, if any.
    pub fn known_key(&self, connector: &str, partition: &SourceMap) -> Option<&[u8]> {
        self.canonical
            .get(&canonical_key(connector, partition))
            .map(Vec::as_slice)
    }

    /// The key bytes to write an offset of this partition under: the byte form already in the
    /// topic if there is one, else [`java_offset_key`].
    pub fn key_for_write(&self, connector: &str, partition: &SourceMap) -> Vec<u8> {
        self.known_key(connector, partition)
            .map(<[u8]>::to_vec)
            .unwrap_or_else(|| java_offset_key(connector, partition))
    }

    /// The value bytes of the latest record read for this logical key, whatever the byte
    /// order of its partition map (`None` if absent or deleted).
    pub fn get_raw(&self, connector: &str, partition: &SourceMap) -> Option<&[u8]> {
        match self.known_key(connector, partition) {
            Some(key) => self.get_exact(key),
            None => self.get_exact(&java_offset_key(connector, partition)),
        }
    }

    /// The offset map of a partition; a value that is not a JSON object is treated as absent
    /// with a warning (Java's reader fails the lookup for it).
    pub fn get(&self, connector: &str, partition: &SourceMap) -> Option<SourceMap> {
        let raw = self.get_raw(connector, partition)?;
        match serde_json::from_slice(raw) {
            Ok(Value::Object(m)) => Some(m),
            Ok(Value::Null) => None,
            _ => {
                tracing::warn!(
                    connector,
                    "Ignoring offset that is not a JSON object: {}",
                    String::from_utf8_lossy(raw)
                );
                None
            }
        }
    }

    /// Java's `connectorPartitions(connector)`: every partition with a live offset record.
    pub fn connector_partitions(&self, connector: &str) -> Vec<SourceMap> {
        self.partitions
            .get(connector)
            .map(|s| s.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Every partition of a connector with its (non-null, object) offset.
    pub fn connector_offsets(&self, connector: &str) -> Vec<(SourceMap, SourceMap)> {
        self.connector_partitions(connector)
            .into_iter()
            .filter_map(|p| {
                let o = self.get(connector, &p)?;
                Some((p, o))
            })
            .collect()
    }

    /// Every live record: exact key bytes and value bytes, in no particular order.
    pub fn entries(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.data.iter().map(|(k, v)| (k.as_slice(), v.as_slice()))
    }

    /// Every connector with at least one live partition, sorted.
    pub fn connectors(&self) -> Vec<String> {
        self.partitions
            .iter()
            .filter(|(_, p)| !p.is_empty())
            .map(|(c, _)| c.clone())
            .collect()
    }

    /// Number of live keys (exact byte forms).
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether no live key is stored.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

// ---------------------------------------------------------------------------------------------
// The engine's OffsetStore on the topic
// ---------------------------------------------------------------------------------------------

/// One offsets-topic record: key bytes, value bytes (`None` = tombstone).
pub type OffsetRecord = (Vec<u8>, Option<Vec<u8>>);

/// Where flushed offsets go: the integrator's producer. `write` returns once every record is
/// acknowledged (or fails); it is called from [`OffsetStore::flush`], a blocking context.
pub trait OffsetRecordWriter: Send + Sync {
    /// Send these records, in order, to the offsets topic.
    fn write(&self, records: Vec<OffsetRecord>) -> Result<()>;
}

impl<F> OffsetRecordWriter for F
where
    F: Fn(Vec<OffsetRecord>) -> Result<()> + Send + Sync,
{
    fn write(&self, records: Vec<OffsetRecord>) -> Result<()> {
        self(records)
    }
}

/// The engine's [`OffsetStore`] on an offsets topic: reads from the replayed
/// [`OffsetLogState`], stages `put`s, and on `flush` validates and encodes them (Java's
/// `OffsetStorageWriter.doFlush`) and hands them to the [`OffsetRecordWriter`].
///
/// After a successful write the records are also applied to the local state, so the writer
/// reads its own offsets at once; reading them back from the topic applies the same bytes again
/// in topic order, so the state converges to the topic's. A failed flush puts its records back
/// in front of anything staged since (newer offsets for a partition win), as Java's
/// `cancelFlush` does.
pub struct KafkaOffsetStore {
    state: Mutex<OffsetLogState>,
    /// Staged offsets per connector, in put order; a later put of a partition replaces it.
    staged: Mutex<Vec<(String, SourceMap, Option<SourceMap>)>>,
    /// Held for a whole flush so concurrent flushes do not interleave their records.
    flushing: Mutex<()>,
    writer: Box<dyn OffsetRecordWriter>,
    /// The offsets topic, when exactly-once source tasks write into it through their own
    /// transactions ([`KafkaOffsetStore::for_exactly_once`]).
    transactional_topic: Option<String>,
}

impl std::fmt::Debug for KafkaOffsetStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaOffsetStore").finish_non_exhaustive()
    }
}

fn poisoned() -> Error {
    Error::external("offset store lock poisoned", false)
}

impl KafkaOffsetStore {
    /// A store writing through `writer`, with nothing read yet.
    pub fn new(writer: Box<dyn OffsetRecordWriter>) -> Self {
        KafkaOffsetStore {
            state: Mutex::new(OffsetLogState::new()),
            staged: Mutex::new(Vec::new()),
            flushing: Mutex::new(()),
            writer,
            transactional_topic: None,
        }
    }

    /// Write already-encoded records to the topic and apply them here once written (the
    /// secondary copy of a connector-specific offsets topic's records).
    pub fn write_records(&self, records: Vec<OffsetRecord>) -> Result<()> {
        self.writer.write(records.clone())?;
        let mut state = self.state.lock().map_err(|_| poisoned())?;
        for (k, v) in &records {
            state.apply(Some(k), v.as_deref());
        }
        Ok(())
    }

    /// Let exactly-once source tasks write offsets to `topic` inside their own transactions
    /// (see [`TransactionalOffsets`]).
    pub fn for_exactly_once(mut self, topic: impl Into<String>) -> Self {
        self.transactional_topic = Some(topic.into());
        self
    }

    /// Apply one record read from the topic (see [`OffsetLogState::apply`]).
    pub fn apply(&self, key: Option<&[u8]>, value: Option<&[u8]>) {
        match self.state.lock() {
            Ok(mut s) => s.apply(key, value),
            Err(_) => tracing::error!("offset store lock poisoned; record dropped"),
        }
    }

    /// A copy of the replayed state (for the REST offsets endpoints and tests).
    pub fn snapshot(&self) -> Result<OffsetLogState> {
        self.state.lock().map(|s| s.clone()).map_err(|_| poisoned())
    }

    /// Encode staged offsets into records, validating them as Java does before a flush.
    fn encode(
        &self,
        staged: &[(String, SourceMap, Option<SourceMap>)],
    ) -> Result<Vec<OffsetRecord>> {
        let state = self.state.lock().map_err(|_| poisoned())?;
        let mut records = Vec::with_capacity(staged.len());
        for (connector, partition, offset) in staged {
            let check = validate_format(partition)
                .and_then(|_| offset.as_ref().map_or(Ok(()), validate_format));
            if let Err(e) = check {
                tracing::error!(
                    connector = connector.as_str(),
                    "CRITICAL: Failed to serialize offset data, making it impossible to commit offsets under namespace {connector}. This likely won't recover unless the unserializable partition or offset information is overwritten."
                );
                return Err(e);
            }
            records.push((
                state.key_for_write(connector, partition),
                offset.as_ref().map(java_offset_value),
            ));
        }
        Ok(records)
    }
}

fn stage(
    staged: &mut Vec<(String, SourceMap, Option<SourceMap>)>,
    connector: &str,
    partition: SourceMap,
    offset: Option<SourceMap>,
) {
    let canon = canonical_key(connector, &partition);
    if let Some(slot) = staged
        .iter_mut()
        .find(|(c, p, _)| c == connector && canonical_key(c, p) == canon)
    {
        slot.2 = offset;
    } else {
        staged.push((connector.to_string(), partition, offset));
    }
}

impl OffsetStore for KafkaOffsetStore {
    fn get(&self, connector: &str, partition: &SourceMap) -> Option<SourceMap> {
        self.state.lock().ok()?.get(connector, partition)
    }

    fn put(&self, connector: &str, offsets: Vec<(SourceMap, Option<SourceMap>)>) {
        let Ok(mut staged) = self.staged.lock() else {
            tracing::error!("offset store lock poisoned; offsets not staged");
            return;
        };
        for (partition, offset) in offsets {
            stage(&mut staged, connector, partition, offset);
        }
    }

    fn flush(&self) -> Result<()> {
        let _flushing = self.flushing.lock().map_err(|_| poisoned())?;
        let batch = std::mem::take(&mut *self.staged.lock().map_err(|_| poisoned())?);
        if batch.is_empty() {
            return Ok(());
        }
        let restage = |batch: Vec<(String, SourceMap, Option<SourceMap>)>| {
            if let Ok(mut staged) = self.staged.lock() {
                let newer = std::mem::take(&mut *staged);
                *staged = batch;
                for (c, p, o) in newer {
                    stage(&mut staged, &c, p, o);
                }
            }
        };
        let records = match self.encode(&batch) {
            Ok(r) => r,
            Err(e) => {
                restage(batch);
                return Err(e);
            }
        };
        match self.writer.write(records.clone()) {
            Ok(()) => {
                let mut state = self.state.lock().map_err(|_| poisoned())?;
                for (k, v) in &records {
                    state.apply(Some(k), v.as_deref());
                }
                Ok(())
            }
            Err(e) => {
                restage(batch);
                Err(e)
            }
        }
    }

    fn connector_offsets(&self, connector: &str) -> Vec<(SourceMap, SourceMap)> {
        self.state
            .lock()
            .map(|s| s.connector_offsets(connector))
            .unwrap_or_default()
    }

    fn transactional(&self) -> Option<&dyn TransactionalOffsets> {
        self.transactional_topic.is_some().then_some(self as _)
    }
}

impl TransactionalOffsets for KafkaOffsetStore {
    fn topic(&self) -> String {
        self.transactional_topic.clone().unwrap_or_default()
    }

    fn encode(
        &self,
        connector: &str,
        offsets: &[(SourceMap, Option<SourceMap>)],
    ) -> Result<Vec<OffsetRecordBytes>> {
        let staged: Vec<_> = offsets
            .iter()
            .map(|(p, o)| (connector.to_string(), p.clone(), o.clone()))
            .collect();
        KafkaOffsetStore::encode(self, &staged)
    }

    fn committed(&self, records: &[OffsetRecordBytes]) {
        for (k, v) in records {
            self.apply(Some(k), v.as_deref());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// KIP-618: a connector's own offsets topic (primary) and the worker's (secondary)
// ---------------------------------------------------------------------------------------------

/// Which of a connector's two offset stores a write step goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreRole {
    /// The connector's own `offsets.storage.topic` (or the only store when it has none).
    Primary,
    /// The worker's global offsets topic when the connector has its own topic.
    Secondary,
}

/// One step of an offset commit across the two stores.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteStep {
    /// The store written in this step.
    pub store: StoreRole,
    /// The records of this step.
    pub records: Vec<OffsetRecord>,
    /// Whether a failure of this step fails the commit (and stops the remaining steps).
    /// A failed best-effort step is only logged as a warning, as in Java.
    pub fails_commit: bool,
}

/// The write sequence of Java's `ConnectorOffsetBackingStore.set` (KAFKA-15018).
///
/// * Without a secondary store: one step, everything to the primary.
/// * With a secondary store and no tombstones: everything to the primary, then (best effort)
///   everything to the secondary.
/// * With a secondary store and tombstones: the tombstones to the secondary first (a failure
///   fails the commit, so a reset is never lost), then everything to the primary, then (best
///   effort) the non-tombstone records to the secondary.
///
/// The integrator runs the steps in order and stops at the first failure of a `fails_commit`
/// step. Whether there is a secondary store: a connector with its own offsets topic has the
/// worker's topic as secondary, unless both are the same topic on the same cluster (then only
/// one store is used); with exactly-once support a connector without its own topic uses the
/// worker's topic as its only (primary) store.
pub fn plan_offset_write(records: Vec<OffsetRecord>, has_secondary: bool) -> Vec<WriteStep> {
    if !has_secondary {
        return vec![WriteStep {
            store: StoreRole::Primary,
            records,
            fails_commit: true,
        }];
    }
    let tombstones: Vec<OffsetRecord> = records.iter().filter(|r| r.1.is_none()).cloned().collect();
    let regular: Vec<OffsetRecord> = records.iter().filter(|r| r.1.is_some()).cloned().collect();
    let mut steps = Vec::with_capacity(3);
    if !tombstones.is_empty() {
        steps.push(WriteStep {
            store: StoreRole::Secondary,
            records: tombstones,
            fails_commit: true,
        });
    }
    steps.push(WriteStep {
        store: StoreRole::Primary,
        records,
        fails_commit: true,
    });
    if !regular.is_empty() {
        steps.push(WriteStep {
            store: StoreRole::Secondary,
            records: regular,
            fails_commit: false,
        });
    }
    steps
}

/// Java's `ConnectorOffsetBackingStore.get` for one partition: when the connector has its own
/// store, that store's answer wins **even when it has no offset** (Java merges the worker
/// store's result with the connector store's, and the connector store answers `null` for a key
/// it lacks); otherwise the worker store answers.
pub fn get_with_primary(
    worker: Option<&OffsetLogState>,
    connector_store: Option<&OffsetLogState>,
    connector: &str,
    partition: &SourceMap,
) -> Option<SourceMap> {
    match (connector_store, worker) {
        (Some(c), _) => c.get(connector, partition),
        (None, Some(w)) => w.get(connector, partition),
        (None, None) => None,
    }
}

/// Java's `ConnectorOffsetBackingStore.connectorPartitions`: the union of both stores'.
pub fn partitions_of_both(
    worker: Option<&OffsetLogState>,
    connector_store: Option<&OffsetLogState>,
    connector: &str,
) -> Vec<SourceMap> {
    let mut seen: BTreeMap<Vec<u8>, SourceMap> = BTreeMap::new();
    for s in [worker, connector_store].into_iter().flatten() {
        for p in s.connector_partitions(connector) {
            seen.entry(canonical_key("", &p)).or_insert(p);
        }
    }
    seen.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> SourceMap {
        match v {
            Value::Object(m) => m,
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn keys_are_jacksons_bytes() {
        let p = map(
            json!({"filename": "a\"b\\c/\u{1f}\n\u{e9}\u{1F600}", "n": 5, "neg": -3, "f": 1e10, "g": 0.5, "b": true, "z": null}),
        );
        let key = java_offset_key("conn", &p);
        assert_eq!(
            String::from_utf8(key).unwrap(),
            "[\"conn\",{\"filename\":\"a\\\"b\\\\c/\\u001F\\n\u{e9}\\uD83D\\uDE00\",\"n\":5,\"neg\":-3,\"f\":1.0E10,\"g\":0.5,\"b\":true,\"z\":null}]"
        );
        // Single-entry maps of strings and integers are where serde_json and Jackson agree.
        let simple = map(json!({"filename": "test.txt"}));
        assert_eq!(
            java_offset_key("local-file-source", &simple),
            strait_engine::offsets::offset_key("local-file-source", &simple)
        );
    }

    #[test]
    fn validation_rejects_nested_values_with_javas_message() {
        let e = validate_format(&map(json!({"ok": 1, "bad": [1]}))).unwrap_err();
        assert!(e.to_string().contains(
            "Offsets may only contain primitive types as values, but field bad contains ARRAY"
        ));
        let e = validate_format(&map(json!({"m": {"a": 1}}))).unwrap_err();
        assert!(e.to_string().contains("field m contains MAP"));
        assert!(validate_format(&map(json!({"a": null, "b": "x", "c": 1.5, "d": false}))).is_ok());
    }

    #[test]
    fn malformed_keys_are_ignored_and_the_index_follows_values_and_tombstones() {
        let mut s = OffsetLogState::new();
        s.apply(Some(b"not json"), Some(b"{}"));
        s.apply(Some(b"{\"a\":1}"), Some(b"{}"));
        s.apply(Some(b"[\"c\"]"), Some(b"{}"));
        s.apply(Some(b"[1,{}]"), Some(b"{}"));
        s.apply(Some(b"[\"c\",5]"), Some(b"{}"));
        s.apply(Some(b"[\"c\",null]"), Some(b"{}"));
        s.apply(None, Some(b"{}"));
        assert!(s.connector_partitions("c").is_empty());
        // Java still keeps the raw bytes of well-formed-JSON-but-wrong-shape keys in `data`.
        assert_eq!(s.get_exact(b"[\"c\",5]"), Some(&b"{}"[..]));

        let k = java_offset_key("c", &map(json!({"f": "x"})));
        s.apply(Some(&k), Some(b"{\"pos\":1}"));
        assert_eq!(s.connector_partitions("c"), vec![map(json!({"f": "x"}))]);
        assert_eq!(
            s.get("c", &map(json!({"f": "x"}))),
            Some(map(json!({"pos": 1})))
        );
        s.apply(Some(&k), None);
        assert!(s.connector_partitions("c").is_empty());
        assert_eq!(s.get("c", &map(json!({"f": "x"}))), None);
    }

    #[test]
    fn lookup_finds_offsets_written_with_another_entry_order_and_writes_reuse_their_key() {
        let mut s = OffsetLogState::new();
        // As a Java worker would write it, with HashMap order `b` before `a`.
        s.apply(Some(br#"["c",{"b":2,"a":"x"}]"#), Some(br#"{"pos":7}"#));
        let ours = map(json!({"a": "x", "b": 2}));
        assert_eq!(s.get_exact(&java_offset_key("c", &ours)), None);
        assert_eq!(s.get("c", &ours), Some(map(json!({"pos": 7}))));
        assert_eq!(
            s.key_for_write("c", &ours),
            br#"["c",{"b":2,"a":"x"}]"#.to_vec()
        );
        // 2 and 2.0 are different keys, as Long and Double are in Java.
        assert_eq!(s.get("c", &map(json!({"a": "x", "b": 2.0}))), None);
        // The latest record of the logical key wins, whatever its byte form.
        s.apply(Some(&java_offset_key("c", &ours)), Some(br#"{"pos":9}"#));
        assert_eq!(s.get("c", &ours), Some(map(json!({"pos": 9}))));
        assert_eq!(s.connector_partitions("c").len(), 1);
    }

    #[test]
    fn flush_writes_staged_offsets_and_restages_them_on_failure() {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::Arc;
        let fail = Arc::new(AtomicBool::new(true));
        let written: Arc<Mutex<Vec<OffsetRecord>>> = Arc::default();
        let (f, w) = (fail.clone(), written.clone());
        let store = KafkaOffsetStore::new(Box::new(move |recs: Vec<OffsetRecord>| {
            if f.load(Ordering::SeqCst) {
                return Err(Error::external("broker down", true));
            }
            w.lock().unwrap().extend(recs);
            Ok(())
        }));
        let p = map(json!({"f": "x"}));
        store.put("c", vec![(p.clone(), Some(map(json!({"pos": 1}))))]);
        assert!(store.flush().is_err());
        assert_eq!(store.get("c", &p), None);
        // A newer put of the same partition wins over the restaged one.
        store.put("c", vec![(p.clone(), Some(map(json!({"pos": 2}))))]);
        fail.store(false, Ordering::SeqCst);
        store.flush().unwrap();
        assert_eq!(
            *written.lock().unwrap(),
            vec![(
                br#"["c",{"f":"x"}]"#.to_vec(),
                Some(br#"{"pos":2}"#.to_vec())
            )]
        );
        assert_eq!(store.get("c", &p), Some(map(json!({"pos": 2}))));
        assert_eq!(
            store.connector_offsets("c"),
            vec![(p.clone(), map(json!({"pos": 2})))]
        );
        // Invalid offsets fail the flush with Java's message.
        store.put("c", vec![(p, Some(map(json!({"pos": [1]}))))]);
        let e = store.flush().unwrap_err();
        assert!(e.to_string().contains("field pos contains ARRAY"));
    }

    #[test]
    fn kip618_write_plan_and_reads() {
        let v = |s: &str| Some(s.as_bytes().to_vec());
        let recs = vec![(b"k1".to_vec(), v("{}")), (b"k2".to_vec(), None)];
        let plan = plan_offset_write(recs.clone(), true);
        assert_eq!(plan.len(), 3);
        assert_eq!(
            (plan[0].store, plan[0].fails_commit),
            (StoreRole::Secondary, true)
        );
        assert_eq!(plan[0].records, vec![(b"k2".to_vec(), None)]);
        assert_eq!(
            (plan[1].store, plan[1].fails_commit),
            (StoreRole::Primary, true)
        );
        assert_eq!(plan[1].records, recs);
        assert_eq!(
            (plan[2].store, plan[2].fails_commit),
            (StoreRole::Secondary, false)
        );
        assert_eq!(plan[2].records, vec![(b"k1".to_vec(), v("{}"))]);
        let plan = plan_offset_write(vec![(b"k1".to_vec(), v("{}"))], true);
        assert_eq!(
            plan.iter().map(|s| s.store).collect::<Vec<_>>(),
            vec![StoreRole::Primary, StoreRole::Secondary]
        );
        assert_eq!(plan_offset_write(recs, false).len(), 1);

        let p = map(json!({"f": "x"}));
        let mut worker = OffsetLogState::new();
        worker.apply(Some(&java_offset_key("c", &p)), Some(b"{\"pos\":1}"));
        let own = OffsetLogState::new();
        assert_eq!(
            get_with_primary(Some(&worker), None, "c", &p),
            Some(map(json!({"pos": 1})))
        );
        assert_eq!(get_with_primary(Some(&worker), Some(&own), "c", &p), None);
        assert_eq!(partitions_of_both(Some(&worker), Some(&own), "c"), vec![p]);
    }

    /// Golden records of both stores against the real Kafka 4.1.2 classes
    /// (`tests/golden/stores/Gen.java`). To regenerate:
    /// `cd distributed/tests/golden/stores && java -cp '<kafka>/libs/*' Gen.java gen .`, then
    /// `java -cp '<kafka>/libs/*' Gen.java read rust_records.hex java_read_of_rust.jsonl`.
    /// With `STRAIT_TEST_JAVA_LIBS=<kafka>/libs` the Java reading of Strait's records is rerun.
    mod golden {
        use super::*;
        use crate::status_store::{self as ss, Status, StatusState, StatusStore, TopicStatus};
        use std::path::PathBuf;

        fn dir() -> PathBuf {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/stores")
        }

        fn hex(b: Option<&[u8]>) -> String {
            match b {
                None => "-".into(),
                Some(b) => b.iter().map(|x| format!("{x:02x}")).collect(),
            }
        }

        fn unhex(s: &str) -> Option<Vec<u8>> {
            if s == "-" {
                return None;
            }
            Some(
                (0..s.len() / 2)
                    .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
                    .collect(),
            )
        }

        type Line = (char, Option<Vec<u8>>, Option<Vec<u8>>);

        fn parse_records(text: &str) -> Vec<Line> {
            text.lines()
                .map(|l| {
                    let p: Vec<&str> = l.split(' ').collect();
                    (p[0].chars().next().unwrap(), unhex(p[1]), unhex(p[2]))
                })
                .collect()
        }

        fn replay(lines: &[Line]) -> (StatusStore, OffsetLogState) {
            let mut st = StatusStore::new();
            let mut os = OffsetLogState::new();
            for (kind, k, v) in lines {
                match kind {
                    'S' => st.apply(k.as_deref(), v.as_deref()),
                    _ => os.apply(k.as_deref(), v.as_deref()),
                }
            }
            (st, os)
        }

        /// Recursively sorted keys, so maps compare and print independently of order.
        fn sorted(v: &Value) -> Value {
            match v {
                Value::Object(m) => {
                    let mut e: Vec<_> = m.iter().collect();
                    e.sort_by(|a, b| a.0.cmp(b.0));
                    Value::Object(e.into_iter().map(|(k, v)| (k.clone(), sorted(v))).collect())
                }
                Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
                o => o.clone(),
            }
        }

        fn status_line(kind: &str, id: Value, s: &Status) -> Value {
            json!({kind: id, "state": s.state.as_str(), "trace": s.trace, "worker_id": s.worker_id,
                   "generation": s.generation, "version": s.version})
        }

        /// Strait's state in the shape of Gen.java's dump (partition sets as sorted JSON).
        fn dump(st: &StatusStore, os: &OffsetLogState) -> Vec<Value> {
            let mut out = Vec::new();
            for c in st.connectors() {
                if let Some(s) = st.connector_status(&c) {
                    out.push(status_line("connector", json!(c), s));
                }
            }
            out.push(json!({"connectors": st.connectors()}));
            let with_tasks = st.known_connectors();
            for c in &with_tasks {
                for (n, s) in st.tasks(c) {
                    out.push(status_line("task", json!([c, n]), s));
                }
                for t in st.topics(c) {
                    out.push(
                        json!({"topic": [c, t.topic], "name": t.topic, "connector": t.connector,
                                    "task": t.task, "discoverTimestamp": t.discover_timestamp}),
                    );
                }
            }
            for (k, v) in os.entries() {
                out.push(json!({"offset_key": hex(Some(k)), "offset_value": hex(Some(v))}));
            }
            for c in os.connectors() {
                let mut ps: Vec<String> = os
                    .connector_partitions(&c)
                    .iter()
                    .map(|p| sorted(&Value::Object(p.clone())).to_string())
                    .collect();
                ps.sort();
                out.push(json!({"partitions_of": c, "partitions": ps}));
            }
            normalize(out)
        }

        /// Order-independent form: partition strings re-parsed and re-printed sorted, lines
        /// sorted by their sorted-key text.
        fn normalize(lines: Vec<Value>) -> Vec<Value> {
            let mut out: Vec<Value> = lines
                .into_iter()
                .map(|mut l| {
                    if let Some(Value::Array(ps)) = l.get_mut("partitions") {
                        let mut v: Vec<String> = ps
                            .iter()
                            .map(|p| {
                                sorted(&serde_json::from_str(p.as_str().unwrap()).unwrap())
                                    .to_string()
                            })
                            .collect();
                        v.sort();
                        *ps = v.into_iter().map(Value::String).collect();
                    }
                    sorted(&l)
                })
                .collect();
            out.sort_by_key(|v| v.to_string());
            out
        }

        fn read_jsonl(text: &str) -> Vec<Value> {
            normalize(
                text.lines()
                    .map(|l| serde_json::from_str(l).unwrap())
                    .collect(),
            )
        }

        fn assert_same(rust: &[Value], java: &[Value]) {
            for l in java {
                assert!(rust.contains(l), "Java has, Strait lacks: {l}");
            }
            for l in rust {
                assert!(java.contains(l), "Strait has, Java lacks: {l}");
            }
        }

        #[test]
        fn java_records_replay_to_javas_state_and_reencode_to_the_same_bytes() {
            let lines =
                parse_records(&std::fs::read_to_string(dir().join("java_records.hex")).unwrap());
            let (st, os) = replay(&lines);
            let java =
                read_jsonl(&std::fs::read_to_string(dir().join("java_state.jsonl")).unwrap());
            assert_same(&dump(&st, &os), &java);

            let mut checked = 0;
            for (kind, k, v) in &lines {
                let (Some(k), Some(v)) = (k, v) else { continue };
                if *kind == 'S' {
                    if let Ok(s) = ss::parse_status(v) {
                        if std::str::from_utf8(v).unwrap().contains("\"version\":") {
                            assert_eq!(ss::encode_status(&s).as_deref(), Some(&v[..]));
                            checked += 1;
                        }
                    } else if let Ok(t) = ss::parse_topic_status(v) {
                        let (key, value) = ss::encode_topic_status(&t);
                        if ss::parse_status_key(std::str::from_utf8(k).unwrap()).is_ok() {
                            assert_eq!(key.as_bytes(), &k[..]);
                        }
                        assert_eq!(value.as_deref(), Some(&v[..]));
                        checked += 1;
                    }
                } else if let Ok(Some((c, p))) = parse_partition_key(k) {
                    assert_eq!(
                        java_offset_key(&c, &p),
                        *k,
                        "{}",
                        String::from_utf8_lossy(k)
                    );
                    let Value::Object(o) = serde_json::from_slice(v).unwrap() else {
                        panic!()
                    };
                    assert_eq!(java_offset_value(&o), *v, "{}", String::from_utf8_lossy(v));
                    checked += 1;
                }
            }
            assert!(checked >= 20, "only {checked} records re-encoded");
        }

        #[test]
        fn multi_entry_partitions_follow_java_hash_map_order() {
            let lines =
                parse_records(&std::fs::read_to_string(dir().join("java_records.hex")).unwrap());
            let key = lines
                .iter()
                .filter_map(|(_, k, _)| k.clone())
                .find(|k| k.starts_with(br#"["c2",{"zeta""#))
                .expect("the five-entry partition of c2");
            let (c, p) = parse_partition_key(&key).unwrap().unwrap();
            // Gen.java filled its HashMap in this order; "partition" and "file" share a bucket,
            // so Java's iteration order depends on insertion order too, not only on the keys.
            let inserted = ["topic", "partition", "file", "zeta", "alpha"];
            let entries: Vec<(String, Value)> = inserted
                .iter()
                .map(|k| (k.to_string(), p[*k].clone()))
                .collect();
            let ordered: SourceMap = strait_engine::java_text::java_hash_map_order(entries)
                .into_iter()
                .collect();
            assert_eq!(java_offset_key(&c, &ordered), key);
        }

        #[test]
        fn validation_messages_are_javas() {
            let text = std::fs::read_to_string(dir().join("validate.txt")).unwrap();
            let java: Vec<&str> = text.lines().collect();
            let e1 = validate_format(&map(json!({"ok": 1, "bad": [1]}))).unwrap_err();
            let e2 = validate_format(&map(json!({"m": {"a": 1}}))).unwrap_err();
            assert!(e1.to_string().contains(java[0]), "{e1} vs {}", java[0]);
            assert!(e2.to_string().contains(java[1]), "{e2} vs {}", java[1]);
        }

        /// The records Strait writes for the Java reading test.
        fn rust_records() -> Vec<String> {
            let weird = "tr\"a\\ce/\n\t\u{1}\u{1f}\u{7f} h\u{e9} \u{2713} \u{1F600}";
            let mut out = Vec::new();
            let mut s = |k: &str, v: Option<Vec<u8>>| {
                out.push(format!(
                    "S {} {}",
                    hex(Some(k.as_bytes())),
                    hex(v.as_deref())
                ))
            };
            let status =
                |state, trace: Option<&str>, worker: &str, generation, version: Option<&str>| {
                    Status {
                        state,
                        trace: trace.map(str::to_string),
                        worker_id: worker.into(),
                        generation,
                        version: version.map(str::to_string),
                    }
                };
            use StatusState::*;
            s(
                &ss::connector_status_key("rs-conn"),
                ss::encode_status(&status(Running, None, "127.0.0.1:8083", 4, Some("0.1.0"))),
            );
            s(
                &ss::connector_status_key("rs-failed"),
                ss::encode_status(&status(Failed, Some(weird), "w\u{e9}:1", 2, None)),
            );
            s(
                &ss::task_status_key("rs-conn", 0),
                ss::encode_status(&status(Running, None, "127.0.0.1:8083", 4, Some("0.1.0"))),
            );
            s(
                &ss::task_status_key("rs-conn", 1),
                ss::encode_status(&status(Paused, None, "127.0.0.1:8083", 4, None)),
            );
            s(
                &ss::task_status_key("rs-conn", 2),
                ss::encode_status(&status(Stopped, None, "x", 4, None)),
            );
            s(
                &ss::task_status_key("rs-conn", 2),
                ss::encode_status(&status(Destroyed, None, "x", 4, None)),
            );
            s(
                &ss::task_status_key("rs-failed", 12),
                ss::encode_status(&status(Failed, Some(weird), "w", i32::MIN, None)),
            );
            s(
                &ss::task_status_key("rs-failed", 13),
                ss::encode_status(&status(Restarting, None, "w", i32::MAX, None)),
            );
            s(
                &ss::task_status_key("rs-failed", 14),
                ss::encode_status(&status(Unassigned, None, "w", 0, None)),
            );
            let (k, v) = ss::encode_topic_status(&TopicStatus {
                topic: "orders".into(),
                connector: "rs-conn".into(),
                task: 1,
                discover_timestamp: 1_754_000_000_123,
            });
            s(&k, v);
            let (k, v) = ss::encode_topic_status(&TopicStatus {
                topic: "gone".into(),
                connector: "rs-conn".into(),
                task: 0,
                discover_timestamp: 1,
            });
            s(&k, v);
            let (k, v) = ss::delete_topic_status("rs-conn", "gone");
            s(&k, v);

            let mut o = |c: &str, p: Value, v: Option<Value>| {
                let p = map(p);
                out.push(format!(
                    "O {} {}",
                    hex(Some(&java_offset_key(c, &p))),
                    hex(v.map(|v| java_offset_value(&map(v))).as_deref())
                ))
            };
            o(
                "rs-src",
                json!({"filename": "in.txt"}),
                Some(json!({"position": 1234})),
            );
            o(
                "rs-src",
                json!({"s": weird}),
                Some(json!({"d": 1e10, "e": 0.1, "f": 1e-7, "g": 123.0, "h": -0.0, "i": i64::MIN})),
            );
            o(
                "rs-src",
                json!({"b": false, "n": null}),
                Some(json!({"t": true, "z": null})),
            );
            o("rs-src", json!({"gone": 1}), Some(json!({"pos": 1})));
            o("rs-src", json!({"gone": 1}), None);
            o(
                "rs \"q\u{e9}\u{1F600}",
                json!({"k": "v"}),
                Some(json!({"p": 1})),
            );
            let entries: Vec<(String, Value)> = ["topic", "partition", "file", "zeta", "alpha"]
                .iter()
                .enumerate()
                .map(|(i, k)| (k.to_string(), json!(i)))
                .collect();
            let p: SourceMap = strait_engine::java_text::java_hash_map_order(entries)
                .into_iter()
                .collect();
            o("rs-multi", Value::Object(p), Some(json!({"pos": 5})));
            out
        }

        #[test]
        fn strait_records_read_back_by_java_give_the_same_state() {
            let records = rust_records();
            let committed = std::fs::read_to_string(dir().join("rust_records.hex")).unwrap();
            assert_eq!(
                committed.lines().collect::<Vec<_>>(),
                records,
                "Strait's records changed: regenerate rust_records.hex and java_read_of_rust.jsonl (see this module's docs)"
            );
            let (st, os) = replay(&parse_records(&committed));
            let rust = dump(&st, &os);
            let java = read_jsonl(
                &std::fs::read_to_string(dir().join("java_read_of_rust.jsonl")).unwrap(),
            );
            assert_same(&rust, &java);

            let Ok(libs) = std::env::var("STRAIT_TEST_JAVA_LIBS") else {
                eprintln!("STRAIT_TEST_JAVA_LIBS unset: using the committed Java reading of Strait's records");
                return;
            };
            let tmp = tempfile::tempdir().unwrap();
            let (input, output) = (
                tmp.path().join("records.hex"),
                tmp.path().join("state.jsonl"),
            );
            std::fs::write(&input, records.join("\n") + "\n").unwrap();
            let status = std::process::Command::new("java")
                .arg("-cp")
                .arg(format!("{libs}/*"))
                .arg(dir().join("Gen.java"))
                .arg("read")
                .arg(&input)
                .arg(&output)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .unwrap();
            assert!(status.success());
            let java = read_jsonl(&std::fs::read_to_string(&output).unwrap());
            assert_same(&rust, &java);
        }

        /// Writes `rust_records.hex` when `STRAIT_WRITE_GOLDEN` is set (then run Gen.java read).
        #[test]
        fn write_rust_records_when_asked() {
            let records = rust_records();
            assert!(records.len() > 15);
            if std::env::var_os("STRAIT_WRITE_GOLDEN").is_some() {
                std::fs::write(dir().join("rust_records.hex"), records.join("\n") + "\n").unwrap();
            }
        }
    }
}
