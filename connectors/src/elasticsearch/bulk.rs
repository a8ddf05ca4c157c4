//! The bulk API's wire format: action lines written straight into the request body, and the
//! response read back item by item.
//!
//! A request body is NDJSON: per document an action line (`{"index":{"_index":…,"_id":…}}`,
//! `create`, `update` or `delete`) and, except for deletes, the document on the next line.
//! Each item remembers where its lines are in the body, so the items a response says may be
//! retried are sent again by copying their bytes, with nothing encoded twice.

use std::sync::Arc;
use std::time::Instant;

use serde::Deserialize;
use strait_engine::batch::Batch;

use super::tracker::Ticket;

/// The bulk operation of one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Index,
    Create,
    Update { retry_on_conflict: u32 },
    Delete,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Index => "index",
            Op::Create => "create",
            Op::Update { .. } => "update",
            Op::Delete => "delete",
        }
    }
}

/// One record in a request: where it came from and where its lines are.
#[derive(Debug, Clone)]
pub struct Item {
    /// Index into the request's `batches`.
    pub batch: u32,
    pub row: u32,
    pub ticket: Ticket,
    pub start: usize,
    pub end: usize,
    /// Sent with `version_type=external`: a version conflict means a newer (or the same)
    /// record is already there, which counts as success.
    pub external_version: bool,
}

/// A bulk request being filled, then sent.
#[derive(Debug)]
pub struct BulkRequest {
    pub body: Vec<u8>,
    pub items: Vec<Item>,
    pub batches: Vec<Arc<Batch>>,
    /// When its first item was added (for `linger.ms`).
    pub opened: Option<Instant>,
}

impl BulkRequest {
    pub fn new(capacity: usize) -> Self {
        BulkRequest {
            body: Vec::with_capacity(capacity),
            items: Vec::new(),
            batches: Vec::new(),
            opened: None,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The slot of `batch` in this request, adding it on first use.
    pub fn batch_slot(&mut self, batch: &Arc<Batch>) -> u32 {
        match self.batches.last() {
            Some(last) if Arc::ptr_eq(last, batch) => (self.batches.len() - 1) as u32,
            _ => {
                self.batches.push(batch.clone());
                (self.batches.len() - 1) as u32
            }
        }
    }

    /// Append one record's lines.
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        batch: u32,
        row: u32,
        ticket: Ticket,
        op: Op,
        index: &str,
        id: Option<&str>,
        version: Option<i64>,
        document: Option<&[u8]>,
    ) {
        if self.opened.is_none() {
            self.opened = Some(Instant::now());
        }
        let start = self.body.len();
        write_action(&mut self.body, op, index, id, version);
        if let Some(doc) = document {
            match op {
                // Confluent's UpdateRequest: the document is both the partial update and the
                // document to create when there is none.
                Op::Update { .. } => {
                    self.body.extend_from_slice(b"{\"doc\":");
                    self.body.extend_from_slice(doc);
                    self.body.extend_from_slice(b",\"upsert\":");
                    self.body.extend_from_slice(doc);
                    self.body.extend_from_slice(b"}\n");
                }
                _ => {
                    self.body.extend_from_slice(doc);
                    self.body.push(b'\n');
                }
            }
        }
        self.items.push(Item {
            batch,
            row,
            ticket,
            start,
            end: self.body.len(),
            external_version: version.is_some(),
        });
    }

    /// A body holding only the given items' lines, in order.
    pub fn body_of(&self, items: &[usize]) -> Vec<u8> {
        let len = items
            .iter()
            .map(|&i| self.items[i].end - self.items[i].start)
            .sum();
        let mut out = Vec::with_capacity(len);
        for &i in items {
            out.extend_from_slice(&self.body[self.items[i].start..self.items[i].end]);
        }
        out
    }
}

/// `{"<op>":{"_index":"…","_id":"…","version":N,"version_type":"external"[,"retry_on_conflict":N]}}\n`
pub fn write_action(
    out: &mut Vec<u8>,
    op: Op,
    index: &str,
    id: Option<&str>,
    version: Option<i64>,
) {
    out.extend_from_slice(b"{\"");
    out.extend_from_slice(op.name().as_bytes());
    out.extend_from_slice(b"\":{\"_index\":");
    write_json_string(out, index);
    if let Some(id) = id {
        out.extend_from_slice(b",\"_id\":");
        write_json_string(out, id);
    }
    if let Some(v) = version {
        out.extend_from_slice(b",\"version\":");
        out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
        out.extend_from_slice(b",\"version_type\":\"external\"");
    }
    if let Op::Update { retry_on_conflict } = op {
        out.extend_from_slice(b",\"retry_on_conflict\":");
        out.extend_from_slice(itoa::Buffer::new().format(retry_on_conflict).as_bytes());
    }
    out.extend_from_slice(b"}}\n");
}

/// A JSON string literal.
pub fn write_json_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut from = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: Option<&[u8]> = match b {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            b'\n' => Some(b"\\n"),
            b'\r' => Some(b"\\r"),
            b'\t' => Some(b"\\t"),
            0..=0x1f => None,
            _ => continue,
        };
        out.extend_from_slice(&bytes[from..i]);
        match escape {
            Some(e) => out.extend_from_slice(e),
            None => out.extend_from_slice(format!("\\u{b:04x}").as_bytes()),
        }
        from = i + 1;
    }
    out.extend_from_slice(&bytes[from..]);
    out.push(b'"');
}

/// What happened to one item of a bulk request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemResult {
    Ok,
    /// Failed with this status and the server's error, worded as Java's
    /// `BulkItemResponse.getFailureMessage()`.
    Failed {
        status: u16,
        message: String,
    },
}

/// Confluent's `MALFORMED_DOC_ERRORS`: item failures no retry can fix, about the document.
pub const MALFORMED_DOC_ERRORS: &[&str] = &[
    "strict_dynamic_mapping_exception",
    "mapper_parsing_exception",
    "illegal_argument_exception",
    "action_request_validation_exception",
    "document_parsing_exception",
];
pub const VERSION_CONFLICT_EXCEPTION: &str = "version_conflict_engine_exception";

/// An item failure that may succeed when sent again: the node was overloaded (429,
/// `es_rejected_execution_exception`) or a shard was not there yet (503).
pub fn retriable_item(status: u16, message: &str) -> bool {
    status == 429
        || status == 503
        || message.contains("es_rejected_execution_exception")
        || message.contains("unavailable_shards_exception")
}

#[derive(Deserialize)]
struct RawResponse {
    #[serde(default)]
    errors: bool,
    #[serde(default)]
    items: Vec<std::collections::HashMap<String, RawItem>>,
}

#[derive(Deserialize)]
struct RawItem {
    #[serde(default)]
    status: u16,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

/// Read a bulk response for `expected` items. `Ok(None)` = every item succeeded (read without
/// parsing the items when the response says `"errors":false` up front, as Elasticsearch and
/// OpenSearch write it).
pub fn parse_response(body: &[u8], expected: usize) -> Result<Option<Vec<ItemResult>>, String> {
    let head = &body[..body.len().min(64)];
    if memchr::memmem::find(head, b"\"errors\":false").is_some() {
        return Ok(None);
    }
    let raw: RawResponse =
        serde_json::from_slice(body).map_err(|e| format!("unreadable bulk response: {e}"))?;
    if !raw.errors {
        return Ok(None);
    }
    if raw.items.len() != expected {
        return Err(format!(
            "the bulk response has {} items for {expected} requests",
            raw.items.len()
        ));
    }
    Ok(Some(
        raw.items
            .into_iter()
            .map(|m| match m.into_values().next() {
                Some(RawItem {
                    status,
                    error: Some(e),
                }) => ItemResult::Failed {
                    status,
                    message: failure_message(&e),
                },
                Some(RawItem {
                    status,
                    error: None,
                }) if status >= 300 => ItemResult::Failed {
                    status,
                    message: format!("HTTP {status}"),
                },
                _ => ItemResult::Ok,
            })
            .collect(),
    ))
}

/// The error object of an item, as the Elasticsearch client words an `ElasticsearchException`
/// built from it: its type and reason, then each `caused_by`.
pub fn failure_message(error: &serde_json::Value) -> String {
    let one = |e: &serde_json::Value| match e {
        serde_json::Value::Object(_) => format!(
            "ElasticsearchException[Elasticsearch exception [type={}, reason={}]]",
            e["type"].as_str().unwrap_or("unknown"),
            e["reason"].as_str().unwrap_or("")
        ),
        other => other.to_string(),
    };
    let mut out = one(error);
    let mut cause = error.get("caused_by");
    let mut depth = 0;
    while let (Some(c), true) = (cause, depth < 10) {
        out.push_str("; nested: ");
        out.push_str(&one(c));
        cause = c.get("caused_by");
        depth += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elasticsearch::tracker::OffsetTracker;

    #[test]
    fn action_lines_are_what_the_bulk_api_reads() {
        let mut out = Vec::new();
        write_action(&mut out, Op::Index, "events", Some("events+0+7"), Some(7));
        assert_eq!(
            out,
            b"{\"index\":{\"_index\":\"events\",\"_id\":\"events+0+7\",\"version\":7,\"version_type\":\"external\"}}\n"
        );
        out.clear();
        write_action(
            &mut out,
            Op::Update {
                retry_on_conflict: 5,
            },
            "i",
            Some("k\"1"),
            None,
        );
        let line: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(line["update"]["_id"], "k\"1");
        assert_eq!(line["update"]["retry_on_conflict"], 5);
        out.clear();
        write_json_string(&mut out, "a\u{1}\n\\é");
        let back: String = serde_json::from_slice(&out).unwrap();
        assert_eq!(back, "a\u{1}\n\\é");
    }

    #[test]
    fn retried_items_are_resent_byte_for_byte() {
        let mut t = OffsetTracker::new();
        let ticket = t.add_batch(&Default::default(), 3);
        let mut r = BulkRequest::new(0);
        let batch = Arc::new(Batch::new(
            arrow::array::RecordBatch::new_empty(Arc::new(arrow::datatypes::Schema::empty())),
            strait_engine::batch::Provenance::None,
        ));
        let slot = r.batch_slot(&batch);
        for (row, doc) in [b"{\"a\":1}", b"{\"a\":2}", b"{\"a\":3}"]
            .iter()
            .enumerate()
        {
            r.push(
                slot,
                row as u32,
                ticket,
                Op::Index,
                "t",
                Some(&row.to_string()),
                None,
                Some(&doc[..]),
            );
        }
        r.push(
            slot,
            3,
            ticket,
            Op::Update {
                retry_on_conflict: 1,
            },
            "t",
            Some("u"),
            None,
            Some(b"{}"),
        );
        r.push(slot, 4, ticket, Op::Delete, "t", Some("d"), Some(9), None);
        let again = r.body_of(&[1, 3, 4]);
        let text = String::from_utf8(again).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5);
        assert!(lines[0].contains("\"_id\":\"1\"") && lines[1] == "{\"a\":2}");
        assert_eq!(lines[3], "{\"doc\":{},\"upsert\":{}}");
        assert!(lines[4].contains("\"delete\"") && r.items[4].external_version);
    }

    #[test]
    fn responses_are_read_item_by_item_only_when_something_failed() {
        assert_eq!(
            parse_response(b"{\"took\":3,\"errors\":false,\"items\":[]}", 2),
            Ok(None)
        );
        let body = br#"{"took":3,"errors":true,"items":[
            {"index":{"_index":"t","_id":"1","status":201}},
            {"index":{"_index":"t","_id":"2","status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse field [a]","caused_by":{"type":"illegal_argument_exception","reason":"For input string: \"x\""}}}},
            {"index":{"_index":"t","_id":"3","status":429,"error":{"type":"es_rejected_execution_exception","reason":"rejected"}}}]}"#;
        let items = parse_response(body, 3).unwrap().unwrap();
        assert_eq!(items[0], ItemResult::Ok);
        let ItemResult::Failed { status, message } = &items[1] else {
            panic!("{items:?}")
        };
        assert_eq!(*status, 400);
        assert!(message.contains("type=mapper_parsing_exception, reason=failed to parse field [a]"));
        assert!(message.contains("nested: ElasticsearchException[Elasticsearch exception [type=illegal_argument_exception"));
        assert!(MALFORMED_DOC_ERRORS.iter().any(|e| message.contains(e)));
        let ItemResult::Failed { status, message } = &items[2] else {
            panic!()
        };
        assert!(retriable_item(*status, message));
        assert!(parse_response(body, 2).is_err());
    }
}
