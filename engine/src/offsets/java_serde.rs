//! Reader and writer for the one Java-serialized shape Kafka Connect's standalone offsets file
//! uses: a `java.util.HashMap<byte[], byte[]>` written by `ObjectOutputStream.writeObject`
//! (`FileOffsetBackingStore`). Keeping this byte format means an offsets file moves between a
//! Java worker and Strait in both directions.

use crate::error::{Error, Result};

const STREAM_MAGIC: [u8; 2] = [0xAC, 0xED];
const STREAM_VERSION: [u8; 2] = [0x00, 0x05];
const TC_NULL: u8 = 0x70;
const TC_REFERENCE: u8 = 0x71;
const TC_CLASSDESC: u8 = 0x72;
const TC_OBJECT: u8 = 0x73;
const TC_STRING: u8 = 0x74;
const TC_ARRAY: u8 = 0x75;
const TC_BLOCKDATA: u8 = 0x77;
const TC_ENDBLOCKDATA: u8 = 0x78;
const BASE_HANDLE: u32 = 0x7E_0000;
const HASHMAP_SUID: i64 = 362_498_820_763_181_265;
const BYTE_ARRAY_SUID: i64 = -5_984_413_125_824_719_648;

/// Entries of the map, in file order; a `None` value is a Java `null`.
pub type Entries = Vec<(Vec<u8>, Option<Vec<u8>>)>;

/// Serialize entries as Java's `ObjectOutputStream` writes a `HashMap<byte[],byte[]>`.
pub fn write_hashmap(entries: &[(Vec<u8>, Option<Vec<u8>>)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        64 + entries
            .iter()
            .map(|(k, v)| k.len() + v.as_ref().map_or(0, Vec::len) + 16)
            .sum::<usize>(),
    );
    out.extend_from_slice(&STREAM_MAGIC);
    out.extend_from_slice(&STREAM_VERSION);
    out.push(TC_OBJECT);
    out.push(TC_CLASSDESC);
    write_utf(&mut out, "java.util.HashMap");
    out.extend_from_slice(&HASHMAP_SUID.to_be_bytes());
    out.push(0x03); // SC_SERIALIZABLE | SC_WRITE_METHOD
    out.extend_from_slice(&2u16.to_be_bytes());
    out.push(b'F');
    write_utf(&mut out, "loadFactor");
    out.push(b'I');
    write_utf(&mut out, "threshold");
    out.push(TC_ENDBLOCKDATA);
    out.push(TC_NULL); // no serializable superclass
                       // Same sizing as a HashMap filled by put(): table length a power of two >= 16 that keeps
                       // the load under 0.75.
    let mut capacity: u32 = 16;
    while (entries.len() as f64) > capacity as f64 * 0.75 {
        capacity *= 2;
    }
    out.extend_from_slice(&0.75f32.to_be_bytes());
    out.extend_from_slice(&((capacity as f64 * 0.75) as u32).to_be_bytes());
    out.push(TC_BLOCKDATA);
    out.push(8);
    out.extend_from_slice(&capacity.to_be_bytes());
    out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
    // Handles: 0 = HashMap class desc, 1 = the map, 2 = byte[] class desc (first array).
    let mut class_written = false;
    let mut write_array = |out: &mut Vec<u8>, bytes: &[u8]| {
        out.push(TC_ARRAY);
        if class_written {
            out.push(TC_REFERENCE);
            out.extend_from_slice(&(BASE_HANDLE + 2).to_be_bytes());
        } else {
            out.push(TC_CLASSDESC);
            write_utf(out, "[B");
            out.extend_from_slice(&BYTE_ARRAY_SUID.to_be_bytes());
            out.push(0x02); // SC_SERIALIZABLE
            out.extend_from_slice(&0u16.to_be_bytes());
            out.push(TC_ENDBLOCKDATA);
            out.push(TC_NULL);
            class_written = true;
        }
        out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        out.extend_from_slice(bytes);
    };
    for (k, v) in entries {
        write_array(&mut out, k);
        match v {
            Some(v) => write_array(&mut out, v),
            None => out.push(TC_NULL),
        }
    }
    out.push(TC_ENDBLOCKDATA);
    out
}

fn write_utf(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u16).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// Parse a file written by Java's `FileOffsetBackingStore` (or by [`write_hashmap`]). An empty
/// or truncated file reads as empty, as in Java; any other shape is an error.
pub fn read_hashmap(bytes: &[u8]) -> Result<Entries> {
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    let mut r = Reader {
        b: bytes,
        pos: 0,
        handles: Vec::new(),
    };
    match r.read_map() {
        Ok(entries) => Ok(entries),
        Err(ReadError::Eof) => Ok(Vec::new()),
        Err(ReadError::Bad(msg)) => Err(Error::config(format!(
            "offsets file is not a Java-serialized HashMap<byte[],byte[]>: {msg}"
        ))),
    }
}

enum ReadError {
    Eof,
    Bad(String),
}

#[derive(Clone)]
enum Handle {
    Class(String),
    Other,
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
    handles: Vec<Handle>,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ReadError> {
        if self.pos + n > self.b.len() {
            return Err(ReadError::Eof);
        }
        let s = &self.b[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, ReadError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, ReadError> {
        let s = self.take(2)?;
        Ok(u16::from_be_bytes([s[0], s[1]]))
    }
    fn u32(&mut self) -> Result<u32, ReadError> {
        let s = self.take(4)?;
        Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn utf(&mut self) -> Result<String, ReadError> {
        let n = self.u16()? as usize;
        let s = self.take(n)?;
        String::from_utf8(s.to_vec()).map_err(|_| ReadError::Bad("class name is not UTF-8".into()))
    }
    fn bad<T>(&self, what: &str) -> Result<T, ReadError> {
        Err(ReadError::Bad(format!("{what} at byte {}", self.pos)))
    }

    /// Reads a class descriptor (new or by reference) and returns the class name.
    fn class_desc(&mut self) -> Result<String, ReadError> {
        match self.u8()? {
            TC_CLASSDESC => {
                let name = self.utf()?;
                self.take(8)?; // serialVersionUID
                let handle = self.handles.len();
                self.handles.push(Handle::Class(name.clone()));
                let _flags = self.u8()?;
                let fields = self.u16()?;
                for _ in 0..fields {
                    let code = self.u8()?;
                    self.utf()?;
                    if code == b'L' || code == b'[' {
                        // Field type as a string object (new or reference).
                        match self.u8()? {
                            TC_STRING => {
                                self.utf()?;
                                self.handles.push(Handle::Other);
                            }
                            TC_REFERENCE => {
                                self.u32()?;
                            }
                            _ => return self.bad("field type"),
                        }
                    }
                }
                if self.u8()? != TC_ENDBLOCKDATA {
                    return self.bad("class annotation");
                }
                match self.u8()? {
                    TC_NULL => {}
                    _ => return self.bad("unexpected superclass"),
                }
                let _ = handle;
                Ok(name)
            }
            TC_REFERENCE => {
                let h = self.u32()?.wrapping_sub(BASE_HANDLE) as usize;
                match self.handles.get(h) {
                    Some(Handle::Class(name)) => Ok(name.clone()),
                    _ => self.bad("bad class reference"),
                }
            }
            _ => self.bad("expected class descriptor"),
        }
    }

    fn byte_array_or_null(&mut self) -> Result<Option<Vec<u8>>, ReadError> {
        match self.u8()? {
            TC_NULL => Ok(None),
            TC_ARRAY => {
                let class = self.class_desc()?;
                if class != "[B" {
                    return self.bad(&format!("expected byte[] but found {class}"));
                }
                self.handles.push(Handle::Other);
                let n = self.u32()? as usize;
                Ok(Some(self.take(n)?.to_vec()))
            }
            _ => self.bad("expected byte[] or null"),
        }
    }

    fn read_map(&mut self) -> Result<Entries, ReadError> {
        if self.take(2)? != STREAM_MAGIC || self.take(2)? != STREAM_VERSION {
            return self.bad("bad stream header");
        }
        if self.u8()? != TC_OBJECT {
            return self.bad("expected object");
        }
        let class = self.class_desc()?;
        if class != "java.util.HashMap" {
            return self.bad(&format!("expected java.util.HashMap but found {class}"));
        }
        self.handles.push(Handle::Other); // the map object
        self.take(8)?; // loadFactor, threshold
        if self.u8()? != TC_BLOCKDATA || self.u8()? != 8 {
            return self.bad("expected HashMap block data");
        }
        let _capacity = self.u32()?;
        let size = self.u32()? as usize;
        let mut entries = Vec::with_capacity(size.min(1 << 16));
        for _ in 0..size {
            let key = match self.byte_array_or_null()? {
                Some(k) => k,
                None => return self.bad("null key"),
            };
            let value = self.byte_array_or_null()?;
            entries.push((key, value));
        }
        Ok(entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes of `new HashMap<byte[],byte[]>() {{ put("k".getBytes(), "v".getBytes()); }}` as
    /// written by Java 17's ObjectOutputStream (hand-assembled from the serialization spec and
    /// checked against a real Java run).
    const JAVA_ONE_ENTRY: &[u8] = &[
        0xAC, 0xED, 0x00, 0x05, 0x73, 0x72, 0x00, 0x11, b'j', b'a', b'v', b'a', b'.', b'u', b't',
        b'i', b'l', b'.', b'H', b'a', b's', b'h', b'M', b'a', b'p', 0x05, 0x07, 0xDA, 0xC1, 0xC3,
        0x16, 0x60, 0xD1, 0x03, 0x00, 0x02, 0x46, 0x00, 0x0A, b'l', b'o', b'a', b'd', b'F', b'a',
        b'c', b't', b'o', b'r', 0x49, 0x00, 0x09, b't', b'h', b'r', b'e', b's', b'h', b'o', b'l',
        b'd', 0x78, 0x70, 0x3F, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x77, 0x08, 0x00, 0x00,
        0x00, 0x10, 0x00, 0x00, 0x00, 0x01, 0x75, 0x72, 0x00, 0x02, b'[', b'B', 0xAC, 0xF3, 0x17,
        0xF8, 0x06, 0x08, 0x54, 0xE0, 0x02, 0x00, 0x00, 0x78, 0x70, 0x00, 0x00, 0x00, 0x01, b'k',
        0x75, 0x71, 0x00, 0x7E, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, b'v', 0x78,
    ];

    #[test]
    fn writes_javas_exact_bytes() {
        assert_eq!(
            write_hashmap(&[(b"k".to_vec(), Some(b"v".to_vec()))]),
            JAVA_ONE_ENTRY
        );
    }

    #[test]
    fn round_trips_entries_and_nulls() {
        let entries = vec![
            (
                br#"["c",{"filename":"a"}]"#.to_vec(),
                Some(br#"{"position":30}"#.to_vec()),
            ),
            (b"k2".to_vec(), None),
            (b"k3".to_vec(), Some(vec![])),
        ];
        assert_eq!(read_hashmap(&write_hashmap(&entries)).unwrap(), entries);
    }

    #[test]
    fn empty_and_truncated_files_read_as_empty_garbage_is_an_error() {
        assert!(read_hashmap(&[]).unwrap().is_empty());
        let full = write_hashmap(&[(b"k".to_vec(), Some(b"v".to_vec()))]);
        assert!(read_hashmap(&full[..full.len() - 5]).unwrap().is_empty());
        let err = read_hashmap(b"not java at all").unwrap_err();
        assert!(err.message().contains("not a Java-serialized"), "{err}");
    }

    #[test]
    fn many_entries_grow_capacity_like_java() {
        let entries: Vec<_> = (0..13)
            .map(|i| (vec![i as u8], Some(vec![i as u8])))
            .collect();
        let bytes = write_hashmap(&entries);
        // capacity 32 for 13 entries (13 > 16 * 0.75)
        let pos = bytes
            .windows(2)
            .position(|w| w == [TC_BLOCKDATA, 8])
            .unwrap();
        assert_eq!(&bytes[pos + 2..pos + 6], &32u32.to_be_bytes());
        assert_eq!(read_hashmap(&bytes).unwrap(), entries);
    }
}
