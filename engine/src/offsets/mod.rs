//! Source offsets: keyed by `[connector, source partition]` as compact JSON, valued by the
//! source offset map as JSON, exactly as Kafka Connect stores them. Standalone mode keeps them in
//! a file in Java's serialized form ([`java_serde`]); distributed mode will keep them in the
//! offsets topic with the same bytes.
//!
//! Offsets only ever reach the store after the records they cover were acknowledged by Kafka;
//! the store itself makes them durable on [`OffsetStore::flush`].

pub mod java_serde;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::batch::SourceMap;
use crate::error::{Error, Result};
use crate::plugin::OffsetReader;

/// The offsets-topic key for a source partition: `["<connector>",{…partition…}]`, compact,
/// byte for byte as Java's `JsonConverter` writes it (offsets are found by their exact key
/// bytes).
pub fn offset_key(connector: &str, partition: &SourceMap) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.push(b'[');
    crate::java_json::write_java_json_str(&mut out, connector);
    out.push(b',');
    crate::java_json::write_java_json_map(&mut out, partition);
    out.push(b']');
    out
}

/// Decode a key written by [`offset_key`] (or by a Java worker); `None` for keys of other shapes,
/// which readers ignore, as Java does.
pub fn parse_offset_key(key: &[u8]) -> Option<(String, SourceMap)> {
    let v: serde_json::Value = serde_json::from_slice(key).ok()?;
    let arr = v.as_array()?;
    match (arr.len(), arr.first()?, arr.get(1)?) {
        (2, serde_json::Value::String(c), serde_json::Value::Object(p)) => {
            Some((c.clone(), p.clone()))
        }
        _ => None,
    }
}

/// Storage of committed source offsets.
pub trait OffsetStore: Send + Sync {
    /// The committed offset of a source partition.
    fn get(&self, connector: &str, partition: &SourceMap) -> Option<SourceMap>;
    /// Stage offsets (`None` = tombstone); not durable until [`flush`](Self::flush).
    fn put(&self, connector: &str, offsets: Vec<(SourceMap, Option<SourceMap>)>);
    /// Make staged offsets durable.
    fn flush(&self) -> Result<()>;
    /// Every partition of a connector with a non-null offset.
    fn connector_offsets(&self, connector: &str) -> Vec<(SourceMap, SourceMap)>;
    /// The store's side of exactly-once source tasks, which write offsets into their own
    /// producer transactions; `None` when it is not a Kafka topic (standalone's file).
    fn transactional(&self) -> Option<&dyn TransactionalOffsets> {
        None
    }
}

/// One offsets-topic record: key bytes and value bytes (`None` = tombstone).
pub type OffsetRecordBytes = (Vec<u8>, Option<Vec<u8>>);

/// An offsets topic that exactly-once source tasks write to through their transactional
/// producers (Java's `ExactlyOnceWorkerSourceTask` flushing its `OffsetStorageWriter` into the
/// task's transaction).
pub trait TransactionalOffsets: Send + Sync {
    /// The topic the records go to.
    fn topic(&self) -> String;
    /// The records that write these offsets, validated and encoded exactly as a flush would
    /// (the key bytes this store already knows for a partition are reused).
    fn encode(
        &self,
        connector: &str,
        offsets: &[(SourceMap, Option<SourceMap>)],
    ) -> Result<Vec<OffsetRecordBytes>>;
    /// Records whose transaction committed: what `get` answers reflects them at once (reading
    /// them back from the topic applies the same bytes again).
    fn committed(&self, records: &[OffsetRecordBytes]);
}

/// Standalone offsets: in memory, persisted to `offset.storage.file.filename` on every flush
/// (atomically: write a temporary file, fsync, rename).
#[derive(Debug)]
pub struct FileOffsetStore {
    path: PathBuf,
    data: Mutex<Data>,
    /// Held for a whole flush (snapshot, write, rename): flushes of different tasks would
    /// otherwise share the temporary file, and an older snapshot could be renamed over a newer.
    writing: Mutex<()>,
}

#[derive(Debug, Default)]
struct Data {
    /// Key bytes → value bytes, the exact bytes Java keeps; insertion order kept for writing.
    entries: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    index: HashMap<Vec<u8>, usize>,
    dirty: bool,
}

impl Data {
    fn set(&mut self, key: Vec<u8>, value: Option<Vec<u8>>) {
        match self.index.get(&key) {
            Some(&i) => self.entries[i].1 = value,
            None => {
                self.index.insert(key.clone(), self.entries.len());
                self.entries.push((key, value));
            }
        }
        self.dirty = true;
    }
}

impl FileOffsetStore {
    /// Open (or start) the offsets file. A missing or truncated file is empty, as in Java.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let mut data = Data::default();
        match std::fs::read(&path) {
            Ok(bytes) => {
                for (k, v) in java_serde::read_hashmap(&bytes)
                    .map_err(|e| e.context(format!("reading offsets file {}", path.display())))?
                {
                    data.set(k, v);
                }
                data.dirty = false;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(
                    Error::from(e).context(format!("reading offsets file {}", path.display()))
                );
            }
        }
        Ok(FileOffsetStore {
            path,
            data: Mutex::new(data),
            writing: Mutex::new(()),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl OffsetStore for FileOffsetStore {
    fn get(&self, connector: &str, partition: &SourceMap) -> Option<SourceMap> {
        let key = offset_key(connector, partition);
        let data = self.data.lock().expect("offsets lock");
        let value = data
            .index
            .get(&key)
            .and_then(|&i| data.entries[i].1.as_ref())?;
        match serde_json::from_slice(value) {
            Ok(serde_json::Value::Object(m)) => Some(m),
            _ => None,
        }
    }

    fn put(&self, connector: &str, offsets: Vec<(SourceMap, Option<SourceMap>)>) {
        let mut data = self.data.lock().expect("offsets lock");
        for (partition, offset) in offsets {
            let value = offset.map(|o| serde_json::to_vec(&o).expect("JSON map"));
            data.set(offset_key(connector, &partition), value);
        }
    }

    fn flush(&self) -> Result<()> {
        let _writing = self.writing.lock().expect("offsets write lock");
        let bytes = {
            let mut data = self.data.lock().expect("offsets lock");
            if !data.dirty {
                return Ok(());
            }
            data.dirty = false;
            java_serde::write_hashmap(&data.entries)
        };
        let write = || -> std::io::Result<()> {
            if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            let tmp = self.path.with_extension("tmp");
            {
                use std::io::Write;
                let mut f = std::fs::File::create(&tmp)?;
                f.write_all(&bytes)?;
                f.sync_all()?;
            }
            std::fs::rename(&tmp, &self.path)
        };
        write().map_err(|e| {
            self.data.lock().expect("offsets lock").dirty = true;
            Error::from(e).context(format!("writing offsets file {}", self.path.display()))
        })
    }

    fn connector_offsets(&self, connector: &str) -> Vec<(SourceMap, SourceMap)> {
        let data = self.data.lock().expect("offsets lock");
        data.entries
            .iter()
            .filter_map(|(k, v)| {
                let (c, p) = parse_offset_key(k)?;
                if c != connector {
                    return None;
                }
                match serde_json::from_slice(v.as_ref()?) {
                    Ok(serde_json::Value::Object(o)) => Some((p, o)),
                    _ => None,
                }
            })
            .collect()
    }
}

/// Read view of one connector's offsets, handed to its source tasks.
pub struct ConnectorOffsetReader {
    pub connector: String,
    pub store: Arc<dyn OffsetStore>,
}

impl OffsetReader for ConnectorOffsetReader {
    fn offset(&self, partition: &SourceMap) -> Option<SourceMap> {
        self.store.get(&self.connector, partition)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(v: serde_json::Value) -> SourceMap {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn concurrent_flushes_of_many_tasks_all_succeed_and_keep_the_newest_offsets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("connect.offsets");
        let store = Arc::new(FileOffsetStore::open(&path).unwrap());
        let threads: Vec<_> = (0..4)
            .map(|task| {
                let store = store.clone();
                std::thread::spawn(move || {
                    for n in 0..200 {
                        store.put(
                            "c",
                            vec![(
                                map(serde_json::json!({ "task": task })),
                                Some(map(serde_json::json!({ "n": n }))),
                            )],
                        );
                        store.flush().expect("no flush fails for another's");
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let reopened = FileOffsetStore::open(&path).unwrap();
        let mut offsets = reopened.connector_offsets("c");
        offsets.sort_by_key(|(p, _)| p["task"].as_i64());
        let last: Vec<i64> = offsets
            .iter()
            .map(|(_, o)| o["n"].as_i64().unwrap())
            .collect();
        assert_eq!(
            last,
            vec![199; 4],
            "the file holds every task's newest offset"
        );
    }

    #[test]
    fn key_is_javas_compact_json() {
        let k = offset_key(
            "local-file-source",
            &map(serde_json::json!({"filename": "test.txt"})),
        );
        assert_eq!(k, br#"["local-file-source",{"filename":"test.txt"}]"#);
        assert_eq!(parse_offset_key(&k).unwrap().0, "local-file-source");
        assert!(parse_offset_key(b"[1,2]").is_none());
    }

    #[test]
    fn offsets_survive_reopen_and_unflushed_ones_do_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("connect.offsets");
        let p = map(serde_json::json!({"filename": "a.txt"}));
        {
            let store = FileOffsetStore::open(&path).unwrap();
            store.put(
                "c",
                vec![(p.clone(), Some(map(serde_json::json!({"position": 30}))))],
            );
            store.flush().unwrap();
            store.put(
                "c",
                vec![(p.clone(), Some(map(serde_json::json!({"position": 99}))))],
            );
        }
        let store = FileOffsetStore::open(&path).unwrap();
        assert_eq!(store.get("c", &p).unwrap()["position"], 30);
        assert_eq!(store.connector_offsets("c").len(), 1);
        assert!(store.connector_offsets("other").is_empty());
        store.put("c", vec![(p.clone(), None)]);
        store.flush().unwrap();
        assert!(FileOffsetStore::open(&path).unwrap().get("c", &p).is_none());
    }
}
