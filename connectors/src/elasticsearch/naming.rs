//! Index and data stream names.
//!
//! - [`index_name`]: Confluent's `convertTopicToIndexName` (ElasticsearchSinkTask.java).
//! - [`data_stream_name`]: Confluent's `convertTopicToDataStreamName`.
//! - [`IndexNameFormat`]: Strait's `index.name.format`, routing records to indices by a
//!   template instead of a topic-renaming SMT.
//!
//! ## `index.name.format`
//!
//! A template of literal text and placeholders, rendered per record:
//!
//! | Placeholder | Renders |
//! |---|---|
//! | `%{topic}` | the record's topic |
//! | `%{field:a.b.c}` | a field of the record value (dotted path through structs and string-keyed maps) |
//! | `%{field:a.b.c:<pattern>}` | a date-ish field formatted with a Joda-Time pattern |
//! | `%{timestamp:<pattern>}` | the Kafka record timestamp formatted with a Joda-Time `DateTimeFormat` pattern |
//!
//! e.g. `logs-%{field:service}-%{timestamp:yyyy.MM.dd}`. A `%` not followed by `{` is literal
//! text. Patterns are Joda's (as the S3 sink's `path.format`, see [`crate::s3::joda`]), printed
//! in the configured timezone with English names; a `}` inside a pattern must be quoted (`'}'`).
//!
//! Fields render as text: strings as they are, integers in decimal, booleans as `true`/`false`,
//! a Connect Date as `yyyy-MM-dd`, a Time as `HH:mm:ss.SSS` (both UTC, as Connect defines them)
//! and a Timestamp as `yyyy-MM-dd'T'HH:mm:ss.SSSZ` in the configured timezone (Elasticsearch 8
//! rejects `:` in index names: give Timestamp fields a pattern). With a pattern,
//! the field is read as an instant: a Date, Time or Timestamp, an integer (epoch milliseconds)
//! or a string (epoch milliseconds or ISO-8601, as the S3 sink's `RecordField` extractor reads
//! strings); a Date or Time is formatted in UTC, anything else in the configured timezone.
//! Floats, decimals, bytes, arrays, maps and structs are not rendered: such a record fails, as
//! does one where the field is missing or null, or where the record has no timestamp for a
//! `%{timestamp:…}` (each failure is that record's error, for `errors.tolerance` and the DLQ).
//!
//! The rendered text then goes through [`index_name`] (lower case, at most 255 characters, no
//! leading `-`/`_`, `.`/`..` → `dot`), as a topic does.

use arrow::array::{Array, ArrayRef, AsArray, StringArray, StringBuilder};
use arrow::datatypes::{
    DataType, Date32Type, Date64Type, Field, Int16Type, Int32Type, Int64Type, Int8Type,
    Time32MillisecondType, Time32SecondType, TimeUnit, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt16Type, UInt32Type,
    UInt64Type, UInt8Type,
};
use strait_engine::batch::TopicColumn;
use strait_engine::{Error, Result};

use crate::s3::joda::{parse_iso_millis, JodaFormat, Zone};

/// The configuration key of the template, for messages.
pub const INDEX_NAME_FORMAT: &str = "index.name.format";

const MILLIS_PER_DAY: i64 = 86_400_000;
/// Elasticsearch's index name limit as Confluent counts it (Java `String.length()`).
const MAX_INDEX_NAME: usize = 255;
/// Confluent's data stream namespace limit.
const MAX_NAMESPACE: usize = 100;

/// `convertTopicToIndexName`: lower case, truncated to 255 characters, one leading `-` or `_`
/// dropped, `.` and `..` spelled `dot` and `dotdot`.
pub fn index_name(topic: &str) -> String {
    let mut index = java_truncate(&topic.to_lowercase(), MAX_INDEX_NAME);
    if index.starts_with('-') || index.starts_with('_') {
        index.remove(0);
    }
    if index == "." || index == ".." {
        index = index.replace('.', "dot");
    }
    index
}

/// `convertTopicToDataStreamName`: `<type>-<dataset>-<namespace>`, where `${topic}` in the
/// namespace is the lower-cased topic and the namespace is cut to 100 characters.
pub fn data_stream_name(
    type_lowercase: &str,
    dataset: &str,
    namespace_template: &str,
    topic: &str,
) -> String {
    let namespace = namespace_template.replace("${topic}", &topic.to_lowercase());
    let namespace = java_truncate(&namespace, MAX_NAMESPACE);
    format!("{}-{dataset}-{namespace}", type_lowercase.to_lowercase())
}

/// Java's `s.substring(0, n)` when `s.length() > n`: lengths count UTF-16 code units. A
/// surrogate pair cut in half leaves Java a lone surrogate, which its UTF-8 encoder (the bulk
/// request body) writes as `?`; so does this.
fn java_truncate(s: &str, n: usize) -> String {
    let mut units = 0;
    let mut out = String::with_capacity(s.len().min(n * 4));
    for c in s.chars() {
        let w = c.len_utf16();
        if units + w > n {
            if units < n {
                out.push('?');
            }
            break;
        }
        units += w;
        out.push(c);
    }
    out
}

/// A parsed `index.name.format` template (see the module docs).
#[derive(Debug, Clone)]
pub struct IndexNameFormat {
    parts: Vec<Part>,
    /// Joda formats for fields rendered without a pattern.
    date_text: JodaFormat,
    time_text: JodaFormat,
    timestamp_text: JodaFormat,
}

#[derive(Debug, Clone)]
enum Part {
    Literal(String),
    Topic,
    Field {
        /// As written, for messages.
        name: String,
        path: Vec<String>,
        /// With a pattern: in the configured zone, and in UTC for Dates and Times.
        format: Option<(JodaFormat, JodaFormat)>,
    },
    Timestamp(JodaFormat),
}

fn invalid(template: &str, reason: impl std::fmt::Display) -> Error {
    Error::config(format!(
        "Invalid value {template} for configuration {INDEX_NAME_FORMAT}: {reason}"
    ))
}

/// The text of a pattern up to its closing `}` (quotes respected, `''` is a quote): the pattern
/// and the index just after the `}`.
fn pattern_end(chars: &[char], start: usize) -> Option<(String, usize)> {
    let mut quoted = false;
    let mut i = start;
    while i < chars.len() {
        match chars[i] {
            '\'' => quoted = !quoted,
            '}' if !quoted => return Some((chars[start..i].iter().collect(), i + 1)),
            _ => {}
        }
        i += 1;
    }
    None
}

impl IndexNameFormat {
    /// Parse a template; `timezone` is a Joda zone id (`UTC`, `Europe/Paris`, `+05:30`; empty
    /// means UTC) for `%{timestamp:…}` and Timestamp fields.
    pub fn parse(template: &str, timezone: &str) -> Result<Self> {
        if template.trim().is_empty() {
            return Err(invalid(template, "the template is empty"));
        }
        let zone = if timezone.trim().is_empty() {
            Zone::utc()
        } else {
            Zone::for_id(timezone.trim()).map_err(|e| {
                Error::config(format!(
                    "Invalid timezone {timezone} for {INDEX_NAME_FORMAT}: {e}"
                ))
            })?
        };
        let compile = |pattern: &str, zone: Zone| {
            JodaFormat::compile(pattern, zone, "en")
                .map_err(|e| invalid(template, format!("pattern '{pattern}': {e}")))
        };
        let chars: Vec<char> = template.chars().collect();
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut i = 0;
        while i < chars.len() {
            if !(chars[i] == '%' && chars.get(i + 1) == Some(&'{')) {
                literal.push(chars[i]);
                i += 1;
                continue;
            }
            if !literal.is_empty() {
                parts.push(Part::Literal(std::mem::take(&mut literal)));
            }
            let start = i + 2;
            let rest: String = chars[start..].iter().collect();
            if rest.starts_with("topic}") {
                parts.push(Part::Topic);
                i = start + "topic}".len();
            } else if rest.starts_with("timestamp:") {
                let p = start + "timestamp:".len();
                let (pattern, next) = pattern_end(&chars, p).ok_or_else(|| {
                    invalid(template, "a %{timestamp:…} placeholder has no closing '}'")
                })?;
                parts.push(Part::Timestamp(compile(&pattern, zone.clone())?));
                i = next;
            } else if rest.starts_with("field:") {
                let p = start + "field:".len();
                let stop = chars[p..]
                    .iter()
                    .position(|&c| c == ':' || c == '}')
                    .map(|k| p + k)
                    .ok_or_else(|| {
                        invalid(template, "a %{field:…} placeholder has no closing '}'")
                    })?;
                let name: String = chars[p..stop].iter().collect();
                let path: Vec<String> = name.split('.').map(str::to_string).collect();
                if path.iter().any(String::is_empty) {
                    return Err(invalid(
                        template,
                        format!("'{name}' is not a field path (names separated by dots)"),
                    ));
                }
                let (format, next) = if chars[stop] == ':' {
                    let (pattern, next) = pattern_end(&chars, stop + 1).ok_or_else(|| {
                        invalid(template, "a %{field:…} placeholder has no closing '}'")
                    })?;
                    (
                        Some((
                            compile(&pattern, zone.clone())?,
                            compile(&pattern, Zone::utc())?,
                        )),
                        next,
                    )
                } else {
                    (None, stop + 1)
                };
                parts.push(Part::Field { name, path, format });
                i = next;
            } else {
                let shown: String = rest.chars().take_while(|&c| c != '}').collect();
                return Err(invalid(
                    template,
                    format!(
                        "unknown placeholder %{{{shown}}} (use %{{topic}}, %{{field:<path>}} or \
                         %{{timestamp:<pattern>}})"
                    ),
                ));
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Ok(IndexNameFormat {
            parts,
            date_text: compile("yyyy-MM-dd", Zone::utc())?,
            time_text: compile("HH:mm:ss.SSS", Zone::utc())?,
            timestamp_text: compile("yyyy-MM-dd'T'HH:mm:ss.SSSZ", zone)?,
        })
    }

    /// Whether a `%{field:…}` reads the record value (which must then be decoded).
    pub fn needs_value(&self) -> bool {
        self.parts.iter().any(|p| matches!(p, Part::Field { .. }))
    }

    /// Whether a `%{timestamp:…}` reads the record timestamp.
    pub fn needs_timestamp(&self) -> bool {
        self.parts.iter().any(|p| matches!(p, Part::Timestamp(_)))
    }

    /// Every row's index name (null where the row failed) and the failures, by row.
    ///
    /// `topics` is the batch's topic column (Utf8 or a dictionary of Utf8), `timestamps` its
    /// timestamp column (`Timestamp(Millisecond)` or `Int64`), `value` the decoded value column
    /// with its field (only read when [`needs_value`](Self::needs_value)).
    pub fn render_column(
        &self,
        topics: &ArrayRef,
        timestamps: Option<&ArrayRef>,
        value: Option<(&Field, &ArrayRef)>,
    ) -> (StringArray, Vec<(usize, Error)>) {
        let n = topics.len();
        let mut out = StringBuilder::with_capacity(n, n * 16);
        let mut errors = Vec::new();
        let topic_column = TopicColumn::new(topics);
        let timestamps = timestamps.and_then(millis_column);
        // Only topics and literals: rows of the same topic as the row before share its name.
        let topic_only = !self.needs_value() && !self.needs_timestamp();
        let mut last: Option<(&str, String)> = None;
        let mut buf = String::new();
        for row in 0..n {
            let topic = topic_column.and_then(|t| t.get(row));
            if topic_only {
                if let (Some(t), Some((lt, name))) = (topic, &last) {
                    if t == *lt {
                        out.append_value(name);
                        continue;
                    }
                }
            }
            buf.clear();
            match self.render_row(row, topic, timestamps.as_ref(), value, &mut buf) {
                Ok(()) => {
                    let name = index_name(&buf);
                    out.append_value(&name);
                    if topic_only {
                        last = topic.map(|t| (t, name));
                    }
                }
                Err(msg) => {
                    out.append_null();
                    errors.push((row, Error::data(format!("{INDEX_NAME_FORMAT}: {msg}"))));
                }
            }
        }
        (out.finish(), errors)
    }

    fn render_row(
        &self,
        row: usize,
        topic: Option<&str>,
        timestamps: Option<&Millis<'_>>,
        value: Option<(&Field, &ArrayRef)>,
        buf: &mut String,
    ) -> std::result::Result<(), String> {
        for part in &self.parts {
            match part {
                Part::Literal(text) => buf.push_str(text),
                Part::Topic => buf.push_str(topic.ok_or("the record has no topic")?),
                Part::Timestamp(format) => {
                    let ts = timestamps
                        .and_then(|t| t.get(row))
                        .ok_or("the record has no timestamp")?;
                    format.format_into(ts, buf)?;
                }
                Part::Field { name, path, format } => {
                    let (_, array) = value.ok_or_else(|| {
                        format!("field '{name}': the record value was not decoded")
                    })?;
                    let (leaf, i) = lookup(array, row, path)
                        .ok_or_else(|| format!("field '{name}' is missing or null"))?;
                    match format {
                        None => self.push_text(leaf, i, buf),
                        Some((zoned, utc)) => push_instant(leaf, i, zoned, utc, buf),
                    }
                    .map_err(|e| format!("field '{name}': {e}"))?;
                }
            }
        }
        Ok(())
    }

    /// A field value as text.
    fn push_text(
        &self,
        leaf: &ArrayRef,
        i: usize,
        buf: &mut String,
    ) -> std::result::Result<(), String> {
        use std::fmt::Write as _;
        let _ = match leaf.data_type() {
            DataType::Int8 => write!(buf, "{}", leaf.as_primitive::<Int8Type>().value(i)),
            DataType::Int16 => write!(buf, "{}", leaf.as_primitive::<Int16Type>().value(i)),
            DataType::Int32 => write!(buf, "{}", leaf.as_primitive::<Int32Type>().value(i)),
            DataType::Int64 => write!(buf, "{}", leaf.as_primitive::<Int64Type>().value(i)),
            DataType::UInt8 => write!(buf, "{}", leaf.as_primitive::<UInt8Type>().value(i)),
            DataType::UInt16 => write!(buf, "{}", leaf.as_primitive::<UInt16Type>().value(i)),
            DataType::UInt32 => write!(buf, "{}", leaf.as_primitive::<UInt32Type>().value(i)),
            DataType::UInt64 => write!(buf, "{}", leaf.as_primitive::<UInt64Type>().value(i)),
            DataType::Boolean => write!(buf, "{}", leaf.as_boolean().value(i)),
            DataType::Date32 | DataType::Date64 | DataType::Time32(_) | DataType::Time64(_) => {
                let format = if matches!(leaf.data_type(), DataType::Date32 | DataType::Date64) {
                    &self.date_text
                } else {
                    &self.time_text
                };
                let ms = instant(leaf, i).ok_or_else(|| unsupported(leaf))?;
                return format.format_into(ms, buf);
            }
            DataType::Timestamp(_, _) => {
                let ms = instant(leaf, i).ok_or_else(|| unsupported(leaf))?;
                return self.timestamp_text.format_into(ms, buf);
            }
            _ => {
                let text = string_at(leaf, i).ok_or_else(|| unsupported(leaf))?;
                buf.push_str(text);
                Ok(())
            }
        };
        Ok(())
    }
}

fn unsupported(leaf: &ArrayRef) -> String {
    format!(
        "a value of Arrow type {} cannot be part of an index name (strings, integers, booleans, \
         dates, times and timestamps can)",
        leaf.data_type()
    )
}

/// A date-ish field formatted with its placeholder's pattern.
fn push_instant(
    leaf: &ArrayRef,
    i: usize,
    zoned: &JodaFormat,
    utc: &JodaFormat,
    buf: &mut String,
) -> std::result::Result<(), String> {
    match leaf.data_type() {
        // Connect Dates and Times are UTC days and times of day.
        DataType::Date32 | DataType::Date64 | DataType::Time32(_) | DataType::Time64(_) => {
            let ms = instant(leaf, i).ok_or_else(|| unsupported(leaf))?;
            utc.format_into(ms, buf)
        }
        DataType::Timestamp(_, _) | DataType::Int8 | DataType::Int16 | DataType::Int32 => {
            let ms = instant(leaf, i).ok_or_else(|| unsupported(leaf))?;
            zoned.format_into(ms, buf)
        }
        DataType::Int64 => zoned.format_into(leaf.as_primitive::<Int64Type>().value(i), buf),
        _ => {
            let text = string_at(leaf, i).ok_or_else(|| unsupported(leaf))?;
            // As the S3 sink's RecordField extractor: epoch millis, else ISO-8601.
            let ms = match text.parse::<i64>() {
                Ok(ms) => ms,
                Err(_) => parse_iso_millis(text)?,
            };
            zoned.format_into(ms, buf)
        }
    }
}

/// A date-ish (or small integer) value as epoch milliseconds.
fn instant(leaf: &ArrayRef, i: usize) -> Option<i64> {
    Some(match leaf.data_type() {
        DataType::Date32 => leaf.as_primitive::<Date32Type>().value(i) as i64 * MILLIS_PER_DAY,
        DataType::Date64 => leaf.as_primitive::<Date64Type>().value(i),
        DataType::Time32(TimeUnit::Millisecond) => {
            leaf.as_primitive::<Time32MillisecondType>().value(i) as i64
        }
        DataType::Time32(TimeUnit::Second) => {
            leaf.as_primitive::<Time32SecondType>().value(i) as i64 * 1000
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            leaf.as_primitive::<TimestampMillisecondType>().value(i)
        }
        DataType::Timestamp(TimeUnit::Second, _) => leaf
            .as_primitive::<TimestampSecondType>()
            .value(i)
            .checked_mul(1000)?,
        DataType::Timestamp(TimeUnit::Microsecond, _) => leaf
            .as_primitive::<TimestampMicrosecondType>()
            .value(i)
            .div_euclid(1000),
        DataType::Timestamp(TimeUnit::Nanosecond, _) => leaf
            .as_primitive::<TimestampNanosecondType>()
            .value(i)
            .div_euclid(1_000_000),
        DataType::Int8 => leaf.as_primitive::<Int8Type>().value(i) as i64,
        DataType::Int16 => leaf.as_primitive::<Int16Type>().value(i) as i64,
        DataType::Int32 => leaf.as_primitive::<Int32Type>().value(i) as i64,
        _ => return None,
    })
}

/// The string at row `i` of a string column (plain, large, view or dictionary of Utf8).
fn string_at(leaf: &ArrayRef, i: usize) -> Option<&str> {
    match leaf.data_type() {
        DataType::Utf8 => Some(leaf.as_string::<i32>().value(i)),
        DataType::LargeUtf8 => Some(leaf.as_string::<i64>().value(i)),
        DataType::Utf8View => Some(leaf.as_string_view().value(i)),
        DataType::Dictionary(_, _) => TopicColumn::new(leaf)?.get(i),
        _ => None,
    }
}

/// The leaf column and row of a dotted path in row `row` of the value; `None` when a step is
/// missing or null, or the value is not a struct or string-keyed map.
fn lookup<'a>(value: &'a ArrayRef, row: usize, path: &[String]) -> Option<(&'a ArrayRef, usize)> {
    let mut array = value;
    let mut i = row;
    for seg in path {
        if array.is_null(i) {
            return None;
        }
        match array.data_type() {
            DataType::Struct(_) => array = array.as_struct().column_by_name(seg)?,
            DataType::Map(_, _) => {
                let map = array.as_map();
                let offsets = map.value_offsets();
                let keys = map.keys();
                let found = (offsets[i] as usize..offsets[i + 1] as usize)
                    .find(|&k| !keys.is_null(k) && string_at(keys, k) == Some(seg.as_str()))?;
                array = map.values();
                i = found;
            }
            _ => return None,
        }
    }
    (!array.is_null(i)).then_some((array, i))
}

/// The timestamp column, resolved once.
enum Millis<'a> {
    Timestamp(&'a arrow::array::TimestampMillisecondArray),
    Int64(&'a arrow::array::Int64Array),
}

impl Millis<'_> {
    fn get(&self, i: usize) -> Option<i64> {
        match self {
            Millis::Timestamp(a) => (!a.is_null(i)).then(|| a.value(i)),
            Millis::Int64(a) => (!a.is_null(i)).then(|| a.value(i)),
        }
    }
}

fn millis_column(col: &ArrayRef) -> Option<Millis<'_>> {
    match col.data_type() {
        DataType::Timestamp(TimeUnit::Millisecond, _) => Some(Millis::Timestamp(
            col.as_primitive::<TimestampMillisecondType>(),
        )),
        DataType::Int64 => Some(Millis::Int64(col.as_primitive::<Int64Type>())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elasticsearch::mapping::json_converter;
    use arrow::array::{BinaryArray, DictionaryArray, Int64Array, TimestampMillisecondArray};
    use arrow::datatypes::Int32Type as DictKey;
    use std::sync::Arc;
    use strait_engine::plugin::Converter;

    /// convertTopicToIndexName (ElasticsearchSinkTask.java:175-195).
    #[test]
    fn index_names_follow_confluent() {
        assert_eq!(index_name("Orders.EU"), "orders.eu");
        assert_eq!(index_name("-events"), "events");
        assert_eq!(index_name("_events"), "events");
        // Only one leading character is dropped.
        assert_eq!(index_name("__events"), "_events");
        assert_eq!(index_name("."), "dot");
        assert_eq!(index_name(".."), "dotdot");
        assert_eq!(index_name("..."), "...");
        let long = "A".repeat(300);
        assert_eq!(index_name(&long), "a".repeat(255));
        // Truncation happens before the leading '-' is dropped: 254 characters remain.
        let dashed = format!("-{}", "b".repeat(300));
        assert_eq!(index_name(&dashed).len(), 254);
    }

    /// Java counts UTF-16 units; a pair cut in half is a lone surrogate, sent as '?'.
    #[test]
    fn truncation_counts_utf16_units() {
        let s = format!("{}😀x", "a".repeat(254));
        assert_eq!(index_name(&s), format!("{}?", "a".repeat(254)));
        let s = format!("{}😀x", "a".repeat(253));
        assert_eq!(index_name(&s), format!("{}😀", "a".repeat(253)));
        assert_eq!(java_truncate("é", 1), "é");
    }

    /// convertTopicToDataStreamName (ElasticsearchSinkTask.java:207-220).
    #[test]
    fn data_stream_names_follow_confluent() {
        assert_eq!(
            data_stream_name("logs", "app", "${topic}", "My-Topic"),
            "logs-app-my-topic"
        );
        assert_eq!(
            data_stream_name("METRICS", "ds", "ns-${topic}-${topic}", "T"),
            "metrics-ds-ns-t-t"
        );
        let ns = data_stream_name("logs", "d", "${topic}", &"x".repeat(150));
        assert_eq!(ns, format!("logs-d-{}", "x".repeat(100)));
        // The dataset is used as configured (Confluent's validator already requires lower case).
        assert_eq!(
            data_stream_name("logs", "Data", "static", "t"),
            "logs-Data-static"
        );
    }

    fn topics(names: &[&str]) -> ArrayRef {
        Arc::new(StringArray::from(names.to_vec()))
    }

    /// A decoded value column from envelope JSON records.
    fn values(schema: &str, payloads: &[&str]) -> (Field, ArrayRef) {
        let env: Vec<String> = payloads
            .iter()
            .map(|p| format!(r#"{{"schema":{schema},"payload":{p}}}"#))
            .collect();
        let bin = BinaryArray::from(env.iter().map(|e| Some(e.as_bytes())).collect::<Vec<_>>());
        let d = json_converter(true).unwrap().to_connect(&bin).unwrap();
        assert!(d.errors.is_empty());
        (d.segments[0].field.clone(), d.segments[0].array.clone())
    }

    fn names(a: &StringArray) -> Vec<Option<&str>> {
        a.iter().collect()
    }

    #[test]
    fn topic_and_literals() {
        let f = IndexNameFormat::parse("Archive-%{topic}-v2", "UTC").unwrap();
        assert!(!f.needs_value());
        assert!(!f.needs_timestamp());
        let (out, errors) = f.render_column(&topics(&["Orders", "Orders", "pay"]), None, None);
        assert!(errors.is_empty());
        assert_eq!(
            names(&out),
            [
                Some("archive-orders-v2"),
                Some("archive-orders-v2"),
                Some("archive-pay-v2")
            ]
        );
        // A literal `%` and a dictionary topic column.
        let f = IndexNameFormat::parse("a%b-%{topic}", "").unwrap();
        let dict: DictionaryArray<DictKey> = vec!["x", "y", "x"].into_iter().collect();
        let (out, _) = f.render_column(&(Arc::new(dict) as ArrayRef), None, None);
        assert_eq!(names(&out), [Some("a%b-x"), Some("a%b-y"), Some("a%b-x")]);
    }

    /// `%{timestamp:…}` in the configured zone; rows without a timestamp fail alone.
    #[test]
    fn timestamps_in_zone() {
        let f = IndexNameFormat::parse("logs-%{timestamp:yyyy.MM.dd-HH}", "Europe/Paris").unwrap();
        assert!(f.needs_timestamp());
        // 2024-03-31T00:30Z is 01:30 CET; 01:30Z is 03:30 CEST (after the switch).
        let ts: ArrayRef = Arc::new(TimestampMillisecondArray::from(vec![
            Some(1_711_845_000_000),
            Some(1_711_848_600_000),
            None,
        ]));
        let (out, errors) = f.render_column(&topics(&["t", "t", "t"]), Some(&ts), None);
        assert_eq!(
            names(&out),
            [Some("logs-2024.03.31-01"), Some("logs-2024.03.31-03"), None]
        );
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].0, 2);
        assert!(errors[0].1.message().contains("no timestamp"));
        assert_eq!(errors[0].1.fault(), strait_engine::Fault::Data);
        // Int64 timestamps, and no column at all.
        let ts: ArrayRef = Arc::new(Int64Array::from(vec![0]));
        let f = IndexNameFormat::parse("%{timestamp:YYYY}", "UTC").unwrap();
        assert_eq!(
            names(&f.render_column(&topics(&["t"]), Some(&ts), None).0),
            [Some("1970")]
        );
        let (out, errors) = f.render_column(&topics(&["t"]), None, None);
        assert!(out.is_null(0));
        assert_eq!(errors.len(), 1);
    }

    /// `%{field:…}` through nested structs and maps; text of each supported type; per-row
    /// errors for null, missing and unsupported values.
    #[test]
    fn fields_of_the_value() {
        let schema = r#"{"type":"struct","optional":false,"fields":[
            {"type":"string","optional":true,"field":"svc"},
            {"type":"struct","optional":true,"field":"meta","fields":[
                {"type":"int32","optional":true,"field":"shard"},
                {"type":"boolean","optional":true,"field":"hot"},
                {"type":"map","keys":{"type":"string","optional":false},"values":{"type":"string","optional":true},"optional":true,"field":"tags"}]},
            {"type":"int32","optional":true,"name":"org.apache.kafka.connect.data.Date","version":1,"field":"day"},
            {"type":"int64","optional":true,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"at"},
            {"type":"double","optional":true,"field":"score"}]}"#;
        let (vf, va) = values(
            schema,
            &[
                r#"{"svc":"Billing","meta":{"shard":3,"hot":true,"tags":{"env":"Prod"}},"day":19000,"at":1600000000123,"score":1.5}"#,
                r#"{"svc":null,"meta":{"shard":-1,"hot":false,"tags":{}},"day":null,"at":null,"score":null}"#,
            ],
        );
        let t = topics(&["t", "t"]);
        let render = |template: &str| {
            let f = IndexNameFormat::parse(template, "UTC").unwrap();
            assert!(f.needs_value());
            f.render_column(&t, None, Some((&vf, &va)))
        };
        let (out, errors) = render("%{field:svc}-%{field:meta.shard}-%{field:meta.hot}");
        assert_eq!(names(&out), [Some("billing-3-true"), None]);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].0, 1);
        assert!(
            errors[0].1.message().contains("'svc' is missing or null"),
            "{}",
            errors[0].1.message()
        );

        let (out, errors) = render("%{field:meta.shard}_%{field:meta.hot}");
        assert!(errors.is_empty());
        // The leading '-' of -1 goes, as index_name drops it from a topic.
        assert_eq!(names(&out), [Some("3_true"), Some("1_false")]);

        let (out, errors) = render("x-%{field:meta.tags.env}");
        assert_eq!(names(&out), [Some("x-prod"), None]);
        assert_eq!(errors[0].0, 1);

        let (out, _) = render("%{field:day}|%{field:at}");
        assert_eq!(
            names(&out)[0],
            Some("2022-01-08|2020-09-13t12:26:40.123+0000")
        );

        let (out, errors) = render("%{field:score}");
        assert!(out.is_null(0));
        assert!(
            errors[0].1.message().contains("Float64"),
            "{}",
            errors[0].1.message()
        );

        let (_, errors) = render("%{field:nope}");
        assert_eq!(errors.len(), 2);
        let (_, errors) = render("%{field:svc.deeper}");
        assert_eq!(errors.len(), 2);
    }

    /// `%{field:path:pattern}`: Dates in UTC, Timestamps, epoch-millis integers and ISO strings
    /// in the zone.
    #[test]
    fn fields_with_patterns() {
        let schema = r#"{"type":"struct","optional":false,"fields":[
            {"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","version":1,"field":"day"},
            {"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"at"},
            {"type":"int64","optional":false,"field":"ms"},
            {"type":"string","optional":false,"field":"iso"},
            {"type":"boolean","optional":false,"field":"b"}]}"#;
        let (vf, va) = values(
            schema,
            &[
                r#"{"day":19000,"at":1600000000123,"ms":1600000000123,"iso":"2020-09-13T23:30:00Z","b":true}"#,
            ],
        );
        let f = IndexNameFormat::parse(
            "%{field:day:yyyy.MM.dd}-%{field:at:yyyy.MM.dd'T'HH}-%{field:ms:HH}-%{field:iso:dd}",
            "Asia/Tokyo",
        )
        .unwrap();
        let (out, errors) = f.render_column(&topics(&["t"]), None, Some((&vf, &va)));
        assert!(errors.is_empty(), "{:?}", errors[0].1.message());
        // 1600000000123 is 2020-09-13T12:26:40Z, 21:26 in Tokyo; the ISO string is the 14th there.
        assert_eq!(names(&out), [Some("2022.01.08-2020.09.13t21-21-14")]);
        let f = IndexNameFormat::parse("%{field:b:yyyy}", "UTC").unwrap();
        let (_, errors) = f.render_column(&topics(&["t"]), None, Some((&vf, &va)));
        assert!(errors[0].1.message().contains("Boolean"));
    }

    /// A value that is not a struct or map, or not decoded, fails every row.
    #[test]
    fn value_must_be_a_struct_or_map() {
        let f = IndexNameFormat::parse("%{field:a}", "UTC").unwrap();
        let raw: ArrayRef = Arc::new(BinaryArray::from(vec![Some(b"{}".as_ref())]));
        let field = Field::new("value", DataType::Binary, true);
        let (out, errors) = f.render_column(&topics(&["t"]), None, Some((&field, &raw)));
        assert!(out.is_null(0));
        assert_eq!(errors.len(), 1);
        let (_, errors) = f.render_column(&topics(&["t"]), None, None);
        assert!(errors[0].1.message().contains("not decoded"));
    }

    /// The rendered text is sanitised as a topic is.
    #[test]
    fn rendered_names_are_sanitised() {
        let f = IndexNameFormat::parse("_%{topic}", "UTC").unwrap();
        let (out, _) = f.render_column(&topics(&["ABC"]), None, None);
        assert_eq!(names(&out), [Some("abc")]);
    }

    #[test]
    fn bad_templates_are_config_errors() {
        for (template, needle) in [
            ("", "empty"),
            ("%{topic", "unknown placeholder"),
            ("%{nope}", "unknown placeholder %{nope}"),
            ("%{field:}", "not a field path"),
            ("%{field:a..b}", "not a field path"),
            ("%{field:a", "no closing"),
            ("%{timestamp:yyyy", "no closing"),
            ("%{timestamp:}", "pattern ''"),
            ("%{timestamp:yyyy-MMMM}", ""),
        ] {
            match IndexNameFormat::parse(template, "UTC") {
                Err(e) => {
                    assert_eq!(e.fault(), strait_engine::Fault::Config, "{template}");
                    assert!(e.message().contains(INDEX_NAME_FORMAT), "{}", e.message());
                    assert!(e.message().contains(needle), "{template}: {}", e.message());
                }
                // An English month name is fine (locale en).
                Ok(_) if template == "%{timestamp:yyyy-MMMM}" => {}
                Ok(_) => panic!("{template} accepted"),
            }
        }
        let e = IndexNameFormat::parse("%{topic}", "Mars/Base").unwrap_err();
        assert!(e.message().contains("Mars/Base"));
        // A quoted '}' belongs to the pattern.
        let f = IndexNameFormat::parse("%{timestamp:yyyy'}'}", "UTC").unwrap();
        let ts: ArrayRef = Arc::new(Int64Array::from(vec![0]));
        assert_eq!(
            names(&f.render_column(&topics(&["t"]), Some(&ts), None).0),
            [Some("1970}")]
        );
    }
}
