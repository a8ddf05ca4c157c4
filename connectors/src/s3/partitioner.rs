//! Confluent's partitioners (storage-common `io.confluent.connect.storage.partitioner`):
//! Default, Field, TimeBased, Daily, Hourly, and the timestamp extractors Wallclock, Record and
//! RecordField. Each computes, for a whole batch at once, every row's *encoded partition* (the
//! directory part of the object key, e.g. `partition=3`, `country=FR`,
//! `year=2026/month=11/day=30/hour=04`).
//!
//! [`build`] checks the settings as Confluent's `PartitionerConfig` validators and `configure`
//! methods do, with their messages. Per batch, the work is columnar: a time bucket is formatted
//! once (rows map to it through a bucket → index cache), and a field partition string is built in
//! a reused buffer, so rows whose partition was already seen allocate nothing.
//!
//! Where Strait differs from Confluent:
//! - `TimeBasedPartitioner` with none of `partition.duration.ms`, `path.format`, `locale` and
//!   `timezone` set (Confluent rejects this) gets hourly partitions: 3600000 ms,
//!   `'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH` (with `directory.delim`), locale `en`, timezone
//!   `UTC`, with a warning. If some but not all are set, the errors are Confluent's.
//! - `partition.duration.ms=0` is a config error (Confluent fails every record with `/ by zero`).
//! - Custom partitioner and extractor classes are config errors (Strait cannot load Java
//!   classes).
//! - FieldPartitioner, nested field whose parent is missing from the schema: Confluent throws a
//!   NullPointerException; Strait reports `Field '…' is not present in the schema.`.
//! - The `Record` extractor's null-timestamp message prints the record's headers as
//!   `<not read>`.
//! - Joda-Time differences are listed in [`joda`].

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, StructArray};
use arrow::datatypes::{
    DataType, Field, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, TimeUnit,
    TimestampMillisecondType,
};
use strait_engine::batch::{columns, Batch};
use strait_engine::plugin::RowError;
use strait_engine::schema;
use strait_engine::transforms::util::{self, Side};
use strait_engine::{Error, Result};

use super::joda;

use joda::{parse_iso_millis, JodaFormat, Zone};

/// Which partitioner, and its settings (the `PartitionerConfig` keys, already parsed).
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionerSettings {
    /// `partitioner.class`, as given (a Java class name).
    pub class: String,
    /// `partition.field.name`.
    pub field_names: Vec<String>,
    /// `partition.duration.ms` (-1 = unset).
    pub partition_duration_ms: i64,
    /// `path.format` (Joda-Time pattern; empty = unset).
    pub path_format: String,
    /// `locale` (empty = unset).
    pub locale: String,
    /// `timezone` (empty = unset).
    pub timezone: String,
    /// `timestamp.extractor` (`Wallclock`, `Record`, `RecordField` or a class name).
    pub timestamp_extractor: String,
    /// `timestamp.field`.
    pub timestamp_field: String,
    /// `directory.delim`.
    pub directory_delim: String,
}

/// Every row's encoded partition for one batch.
#[derive(Debug, Default)]
pub struct Partitioned {
    /// Distinct encoded partitions, in order of first appearance.
    pub encoded: Vec<String>,
    /// Per row: index into `encoded`, or `None` for a row that failed (its error is in
    /// `errors`).
    pub rows: Vec<Option<u32>>,
    /// Per row: the extractor's timestamp in epoch milliseconds; `None` for a partitioner that
    /// is not time-based (and for failed rows).
    pub timestamps: Option<Vec<Option<i64>>>,
    /// Rows that could not be partitioned (Java's `PartitionException` / `DataException`).
    pub errors: Vec<RowError>,
}

/// A partitioner over whole batches.
pub trait Partitioner: Send + Sync + std::fmt::Debug {
    /// Every row's encoded partition. `wallclock_ms` is the task's "now" for this `put`
    /// (the Wallclock extractor's timestamp).
    fn partition(&self, batch: &Batch, wallclock_ms: i64) -> Result<Partitioned>;
    /// Whether timestamps are extracted (TimeBased and its subclasses): `rotate.interval.ms`
    /// applies only then.
    fn is_time_based(&self) -> bool;
    /// Java's `generatePartitionedPath(topic, encodedPartition)`.
    fn generate_partitioned_path(&self, topic: &str, encoded: &str) -> String;
}

// ---------------------------------------------------------------------------------------------
// Implementations

const PACKAGE: &str = "io.confluent.connect.storage.partitioner.";
const EXTRACTOR_PREFIX: &str = "io.confluent.connect.storage.partitioner.TimeBasedPartitioner$";
/// Strait's defaults for a `TimeBasedPartitioner` configured with none of its four keys (see
/// the module doc).
pub const STRAIT_DEFAULT_DURATION_MS: i64 = 3_600_000;
pub const STRAIT_DEFAULT_PATH_FORMAT: &str = "'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH";
pub const STRAIT_DEFAULT_LOCALE: &str = "en";
pub const STRAIT_DEFAULT_TIMEZONE: &str = "UTC";

/// Kafka's `ConfigException(name, value, message)` text.
fn invalid(key: &str, value: impl std::fmt::Display, message: &str) -> Error {
    Error::config(format!(
        "Invalid value {value} for configuration {key}: {message}"
    ))
}

/// Apache Commons `StringUtils.isBlank`.
fn is_blank(s: &str) -> bool {
    s.chars().all(char::is_whitespace)
}

/// Java's `String.split("\\.")`: trailing empty strings dropped.
fn java_split_dots(s: &str) -> Vec<String> {
    let mut parts: Vec<String> = s.split('.').map(str::to_string).collect();
    while parts.len() > 1 && parts.last().is_some_and(String::is_empty) {
        parts.pop();
    }
    if parts.len() == 1 && parts[0].is_empty() && !s.is_empty() {
        parts.clear();
    }
    parts
}

/// Builds the partitioner `settings.class` names, checking the settings as Confluent's
/// `PartitionerConfig` validators and `configure` do (same messages).
pub fn build(settings: &PartitionerSettings) -> Result<Box<dyn Partitioner>> {
    // PartitionerConfig.PartitionFieldNameValidator runs whatever the class.
    for name in &settings.field_names {
        if is_blank(name) {
            return Err(invalid(
                "partition.field.name",
                name,
                "Field name cannot be null or empty",
            ));
        }
        if java_split_dots(name).iter().any(|s| is_blank(s)) {
            return Err(invalid(
                "partition.field.name",
                name,
                "Field name cannot contain an empty or whitespace-only path segment",
            ));
        }
    }
    // PartitionerConfig.TimezoneValidator, also whatever the class.
    let tz_trimmed = settings.timezone.trim();
    if !tz_trimmed.is_empty() {
        if let Err(e) = Zone::for_id(tz_trimmed) {
            return Err(invalid("timezone", &settings.timezone, &e));
        }
    }
    let delim = settings.directory_delim.clone();
    let simple = settings.class.strip_prefix(PACKAGE).unwrap_or("");
    match simple {
        "DefaultPartitioner" => Ok(Box::new(DefaultPartitioner { delim })),
        "FieldPartitioner" => {
            if settings.field_names.is_empty() {
                return Err(Error::config(
                    "Partition field name cannot be null or empty when using FieldPartitioner.",
                ));
            }
            Ok(Box::new(FieldPartitioner {
                fields: settings
                    .field_names
                    .iter()
                    .map(|n| (n.clone(), java_split_dots(n)))
                    .collect(),
                delim,
            }))
        }
        "TimeBasedPartitioner" | "DailyPartitioner" | "HourlyPartitioner" => {
            Ok(Box::new(TimeBasedPartitioner::configure(simple, settings)?))
        }
        _ => Err(Error::config(format!(
            "Invalid value {} for configuration partitioner.class: Strait cannot load Java \
             classes; the supported partitioners are {PACKAGE}{{DefaultPartitioner, \
             FieldPartitioner, TimeBasedPartitioner, DailyPartitioner, HourlyPartitioner}}",
            settings.class
        ))),
    }
}

/// `partition=<kafkaPartition>`.
#[derive(Debug)]
struct DefaultPartitioner {
    delim: String,
}

impl Partitioner for DefaultPartitioner {
    fn partition(&self, batch: &Batch, _wallclock_ms: i64) -> Result<Partitioned> {
        let n = batch.num_rows();
        let col = batch
            .column(columns::PARTITION)
            .and_then(|c| c.as_primitive_opt::<Int32Type>())
            .ok_or_else(|| Error::data("the batch has no Int32 partition column"))?;
        let mut out = Partitioned {
            rows: Vec::with_capacity(n),
            ..Default::default()
        };
        // Few distinct partitions per batch (usually one): a linear scan of the seen ones.
        let mut seen: Vec<(Option<i32>, u32)> = Vec::new();
        for row in 0..n {
            let p = col.is_valid(row).then(|| col.value(row));
            let idx = match seen.iter().find(|(k, _)| *k == p) {
                Some((_, i)) => *i,
                None => {
                    let i = out.encoded.len() as u32;
                    out.encoded.push(match p {
                        Some(p) => format!("partition={p}"),
                        None => "partition=null".into(),
                    });
                    seen.push((p, i));
                    i
                }
            };
            out.rows.push(Some(idx));
        }
        Ok(out)
    }
    fn is_time_based(&self) -> bool {
        false
    }
    fn generate_partitioned_path(&self, topic: &str, encoded: &str) -> String {
        format!("{topic}{}{encoded}", self.delim)
    }
}

/// Interns encoded partitions built in a reused buffer: a row whose partition was already seen
/// allocates nothing.
#[derive(Default)]
struct Interner {
    map: HashMap<String, u32>,
}

impl Interner {
    fn intern(&mut self, s: &str, encoded: &mut Vec<String>) -> u32 {
        if let Some(i) = self.map.get(s) {
            return *i;
        }
        let i = encoded.len() as u32;
        encoded.push(s.to_string());
        self.map.insert(s.to_string(), i);
        i
    }
}

const ENCODING_ERROR: &str = "Error encoding partition.";

/// A record the partitioner cannot place, with the exception class Confluent throws for it:
/// `PartitionException` for its own messages, `ClassCastException` for a Date cast to Number,
/// `DataException` (the default of a data error) for field lookups, as `DataUtils` throws.
fn partition_error(message: impl Into<String>) -> Error {
    let message = message.into();
    let class = if message == ENCODING_ERROR
        || message.starts_with("Unable to determine timestamp using timestamp.extractor")
        || message.starts_with("Error extracting timestamp from record field")
    {
        Some("io.confluent.connect.storage.errors.PartitionException")
    } else if message == DATE_NOT_NUMBER {
        Some("java.lang.ClassCastException")
    } else {
        None
    };
    let error = Error::data(message);
    match class {
        Some(class) => error.with_java_class(class),
        None => error,
    }
}
/// Java's `ClassCastException` when Confluent casts a logical Date/Time/Timestamp value
/// (`java.util.Date`) to `Number`.
const DATE_NOT_NUMBER: &str = "class java.util.Date cannot be cast to class java.lang.Number \
     (java.util.Date and java.lang.Number are in module java.base of loader 'bootstrap')";

/// The value column, if it holds Connect structs with a schema (Java's `value instanceof
/// Struct`); schemaless values are Java `Map`s.
fn value_column(batch: &Batch) -> Option<(Arc<Field>, ArrayRef)> {
    let field = batch.field(columns::VALUE)?;
    let array = batch.column(columns::VALUE)?.clone();
    Some((field, array))
}

/// `Schema{name:TYPE}` as Kafka's `ConnectSchema.toString` prints a struct schema.
fn schema_text(field: &Field) -> String {
    match schema::schema_name(field) {
        Some(n) => format!("Schema{{{n}:STRUCT}}"),
        None => "Schema{STRUCT}".into(),
    }
}

/// `<field>=<value>` per `partition.field.name`.
#[derive(Debug)]
struct FieldPartitioner {
    /// (name as configured, its dotted path).
    fields: Vec<(String, Vec<String>)>,
    delim: String,
}

/// How one partition field is read from every row of a batch (resolved once per batch, since
/// the schema is the batch's).
enum FieldPlan {
    /// The arrays from the top struct's child down to the leaf (a null at any level is a null).
    Leaf(Vec<ArrayRef>),
    /// Every row fails with this message.
    Fail(String),
}

impl FieldPartitioner {
    fn plan(
        &self,
        value_field: &Field,
        value: &StructArray,
        name: &str,
        path: &[String],
    ) -> FieldPlan {
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(path.len());
        let mut current: &StructArray = value;
        for (i, seg) in path.iter().enumerate() {
            let Some(child) = current.column_by_name(seg) else {
                // Java: a missing last segment is `Field '…' is not present in the schema.`;
                // a missing parent is a NullPointerException in Confluent (reported the same
                // way here).
                return FieldPlan::Fail(format!("Field '{name}' is not present in the schema."));
            };
            arrays.push(child.clone());
            if i + 1 < path.len() {
                match child.as_struct_opt() {
                    Some(s) => current = s,
                    None => {
                        return FieldPlan::Fail(format!(
                            "Unable to get field '{name}' from schema {}.",
                            schema_text(value_field)
                        ))
                    }
                }
            }
        }
        let Some(leaf) = arrays.last_mut() else {
            return FieldPlan::Fail(format!("Field '{name}' is not present in the schema."));
        };
        match leaf.data_type() {
            DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => {}
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Boolean => {}
            DataType::Dictionary(_, v) if matches!(**v, DataType::Utf8 | DataType::LargeUtf8) => {
                match arrow::compute::cast(leaf, &DataType::Utf8) {
                    Ok(a) => *leaf = a,
                    Err(e) => return FieldPlan::Fail(e.to_string()),
                }
            }
            // Connect's logical Date/Time (INT32) and Timestamp (INT64) pass Confluent's type
            // switch and then fail the cast to Number.
            DataType::Date32 | DataType::Time32(_) | DataType::Timestamp(_, _) => {
                return FieldPlan::Fail(DATE_NOT_NUMBER.into())
            }
            _ => return FieldPlan::Fail(ENCODING_ERROR.into()),
        }
        FieldPlan::Leaf(arrays)
    }
}

/// Appends the Java text of a non-null INT*/STRING/BOOLEAN value.
fn push_value(out: &mut String, leaf: &ArrayRef, row: usize) {
    use std::fmt::Write as _;
    let _ = match leaf.data_type() {
        DataType::Int8 => write!(out, "{}", leaf.as_primitive::<Int8Type>().value(row)),
        DataType::Int16 => write!(out, "{}", leaf.as_primitive::<Int16Type>().value(row)),
        DataType::Int32 => write!(out, "{}", leaf.as_primitive::<Int32Type>().value(row)),
        DataType::Int64 => write!(out, "{}", leaf.as_primitive::<Int64Type>().value(row)),
        DataType::Boolean => write!(out, "{}", leaf.as_boolean().value(row)),
        DataType::Utf8 => {
            out.push_str(leaf.as_string::<i32>().value(row));
            Ok(())
        }
        DataType::LargeUtf8 => {
            out.push_str(leaf.as_string::<i64>().value(row));
            Ok(())
        }
        _ => Ok(()),
    };
}

impl Partitioner for FieldPartitioner {
    fn partition(&self, batch: &Batch, _wallclock_ms: i64) -> Result<Partitioned> {
        let n = batch.num_rows();
        let mut out = Partitioned {
            rows: Vec::with_capacity(n),
            ..Default::default()
        };
        let struct_value = value_column(batch).filter(|(f, a)| {
            !schema::is_schemaless(f) && matches!(a.data_type(), DataType::Struct(_))
        });
        let Some((field, array)) = struct_value else {
            // Schemaless values are Java Maps, other values are not Structs: Confluent's
            // FieldPartitioner rejects every record.
            for row in 0..n {
                out.rows.push(None);
                out.errors.push(RowError {
                    row,
                    error: partition_error(ENCODING_ERROR),
                });
            }
            return Ok(out);
        };
        let value = array.as_struct();
        let plans: Vec<FieldPlan> = self
            .fields
            .iter()
            .map(|(name, path)| self.plan(&field, value, name, path))
            .collect();
        let mut interner = Interner::default();
        let mut buf = String::new();
        'rows: for row in 0..n {
            if value.is_null(row) {
                out.rows.push(None);
                out.errors.push(RowError {
                    row,
                    error: partition_error(ENCODING_ERROR),
                });
                continue;
            }
            buf.clear();
            for ((name, _), plan) in self.fields.iter().zip(&plans) {
                if !buf.is_empty() {
                    buf.push_str(&self.delim);
                }
                let arrays = match plan {
                    FieldPlan::Leaf(arrays) => arrays,
                    FieldPlan::Fail(msg) => {
                        out.rows.push(None);
                        out.errors.push(RowError {
                            row,
                            error: partition_error(msg.clone()),
                        });
                        continue 'rows;
                    }
                };
                buf.push_str(name);
                buf.push('=');
                // Java: a null anywhere on the path reads as a null partition key.
                if arrays.iter().any(|a| a.is_null(row)) {
                    buf.push_str("null");
                } else if let Some(leaf) = arrays.last() {
                    push_value(&mut buf, leaf, row);
                }
            }
            out.rows.push(Some(interner.intern(&buf, &mut out.encoded)));
        }
        Ok(out)
    }
    fn is_time_based(&self) -> bool {
        false
    }
    fn generate_partitioned_path(&self, topic: &str, encoded: &str) -> String {
        format!("{topic}{}{encoded}", self.delim)
    }
}

/// Confluent's built-in timestamp extractors.
#[derive(Debug, Clone, PartialEq)]
enum Extractor {
    Wallclock,
    Record,
    RecordField { name: String, path: Vec<String> },
}

impl Extractor {
    fn class_name(&self) -> &'static str {
        match self {
            Extractor::Wallclock => {
                "io.confluent.connect.storage.partitioner.TimeBasedPartitioner$WallclockTimestampExtractor"
            }
            Extractor::Record => {
                "io.confluent.connect.storage.partitioner.TimeBasedPartitioner$RecordTimestampExtractor"
            }
            Extractor::RecordField { .. } => {
                "io.confluent.connect.storage.partitioner.TimeBasedPartitioner$RecordFieldTimestampExtractor"
            }
        }
    }
}

/// TimeBased, Daily and Hourly.
#[derive(Debug)]
struct TimeBasedPartitioner {
    delim: String,
    duration_ms: i64,
    format: JodaFormat,
    extractor: Extractor,
}

impl TimeBasedPartitioner {
    fn configure(class: &str, s: &PartitionerSettings) -> Result<Self> {
        let delim = s.directory_delim.clone();
        let (mut duration_ms, mut path_format, mut locale, mut timezone) = (
            s.partition_duration_ms,
            s.path_format.clone(),
            s.locale.clone(),
            s.timezone.clone(),
        );
        match class {
            "DailyPartitioner" => {
                duration_ms = 86_400_000;
                path_format = format!("'year'=YYYY{delim}'month'=MM{delim}'day'=dd");
            }
            "HourlyPartitioner" => {
                duration_ms = 3_600_000;
                path_format =
                    format!("'year'=YYYY{delim}'month'=MM{delim}'day'=dd{delim}'hour'=HH");
            }
            _ if duration_ms == -1
                && path_format.is_empty()
                && locale.is_empty()
                && timezone.is_empty() =>
            {
                tracing::warn!(
                    "TimeBasedPartitioner without partition.duration.ms, path.format, locale and \
                     timezone: Confluent's connector would reject this configuration; Strait \
                     uses hourly partitions ({STRAIT_DEFAULT_DURATION_MS} ms, path.format \
                     {STRAIT_DEFAULT_PATH_FORMAT}, locale {STRAIT_DEFAULT_LOCALE}, timezone \
                     {STRAIT_DEFAULT_TIMEZONE})"
                );
                duration_ms = STRAIT_DEFAULT_DURATION_MS;
                path_format = STRAIT_DEFAULT_PATH_FORMAT.replace('/', &delim);
                locale = STRAIT_DEFAULT_LOCALE.into();
                timezone = STRAIT_DEFAULT_TIMEZONE.into();
            }
            _ => {}
        }
        if duration_ms < 0 {
            return Err(invalid(
                "partition.duration.ms",
                duration_ms,
                "Partition duration needs to be a positive.",
            ));
        }
        if is_blank(&path_format) || path_format == delim {
            return Err(invalid(
                "path.format",
                &path_format,
                "Path format cannot be empty.",
            ));
        }
        if !is_blank(&delim) && path_format.ends_with(delim.as_str()) {
            path_format.truncate(path_format.len() - delim.len());
        }
        if is_blank(&locale) {
            return Err(invalid("locale", &locale, "Locale cannot be empty."));
        }
        if is_blank(&timezone) {
            return Err(invalid("timezone", &timezone, "Timezone cannot be empty."));
        }
        let zone = Zone::for_id(&timezone).map_err(|e| invalid("timezone", &timezone, &e))?;
        // Confluent accepts 0 and then fails every record with `/ by zero`; Strait rejects it.
        if duration_ms == 0 {
            return Err(invalid(
                "partition.duration.ms",
                0,
                "Strait rejects a partition duration of 0 (Confluent's partitioner divides by it \
                 and fails every record with ArithmeticException: / by zero)",
            ));
        }
        let format = JodaFormat::compile(&path_format, zone, &locale)
            .map_err(|e| invalid("path.format", &path_format, &e))?;
        let extractor_name = s
            .timestamp_extractor
            .strip_prefix(EXTRACTOR_PREFIX)
            .and_then(|c| c.strip_suffix("TimestampExtractor"))
            .unwrap_or(&s.timestamp_extractor);
        let extractor = match extractor_name {
            "Wallclock" => Extractor::Wallclock,
            "Record" => Extractor::Record,
            "RecordField" => Extractor::RecordField {
                name: s.timestamp_field.clone(),
                path: java_split_dots(&s.timestamp_field),
            },
            _ => {
                return Err(Error::config(format!(
                    "Invalid timestamp extractor: {} (Strait cannot load Java classes; use \
                     Wallclock, Record or RecordField)",
                    s.timestamp_extractor
                )))
            }
        };
        Ok(TimeBasedPartitioner {
            delim,
            duration_ms,
            format,
            extractor,
        })
    }

    /// `TimeBasedPartitioner.getPartition`'s local bucket start (the cache key) of a timestamp.
    fn local_bucket(&self, ts: i64) -> std::result::Result<i64, String> {
        let local = self.format.zone().utc_to_local(ts)?;
        // Java's `/` truncates toward zero, as Rust's does: negative local times round up.
        Ok((local / self.duration_ms) * self.duration_ms)
    }

    /// Every row's extracted timestamp (or error message).
    fn extract(&self, batch: &Batch, wallclock_ms: i64) -> Vec<std::result::Result<i64, String>> {
        let n = batch.num_rows();
        match &self.extractor {
            Extractor::Wallclock => vec![Ok(wallclock_ms); n],
            Extractor::Record => {
                let col = batch.column(columns::TIMESTAMP);
                let values: Option<Vec<Option<i64>>> = col.and_then(|c| match c.data_type() {
                    DataType::Timestamp(TimeUnit::Millisecond, _) => Some(
                        c.as_primitive::<TimestampMillisecondType>()
                            .iter()
                            .collect(),
                    ),
                    DataType::Int64 => Some(c.as_primitive::<Int64Type>().iter().collect()),
                    _ => None,
                });
                (0..n)
                    .map(|row| match values.as_ref().and_then(|v| v[row]) {
                        Some(ts) => Ok(ts),
                        None => Err(format!(
                            "Unable to determine timestamp using timestamp.extractor {} for \
                             record: {}",
                            self.extractor.class_name(),
                            describe(batch, row)
                        )),
                    })
                    .collect()
            }
            Extractor::RecordField { name, path } => {
                let Some((field, array)) = value_column(batch) else {
                    return vec![Err(ENCODING_ERROR.into()); n];
                };
                let schemaless = schema::is_schemaless(&field);
                (0..n)
                    .map(|row| record_field(&array, row, name, path, schemaless))
                    .collect()
            }
        }
    }
}

/// `RecordFieldTimestampExtractor.extract` for one row.
fn record_field(
    value: &ArrayRef,
    row: usize,
    name: &str,
    path: &[String],
    schemaless: bool,
) -> std::result::Result<i64, String> {
    let is_map = matches!(value.data_type(), DataType::Map(_, _));
    let is_struct = matches!(value.data_type(), DataType::Struct(_));
    if value.is_null(row) || !(is_map || is_struct) {
        return Err(ENCODING_ERROR.into());
    }
    if path.is_empty() {
        return Err("The field to extract cannot be null or empty.".into());
    }
    let missing = || format!("The field '{name}' does not exist.");
    let mut array = value.clone();
    let mut i = row;
    for seg in path {
        if array.is_null(i) {
            return Err(missing());
        }
        match array.data_type() {
            DataType::Struct(_) => {
                let child = array
                    .as_struct()
                    .column_by_name(seg)
                    .ok_or_else(missing)?
                    .clone();
                array = child;
            }
            DataType::Map(_, _) => {
                let map = array.as_map();
                let keys = map.keys();
                let range = map.value_offsets()[i] as usize..map.value_offsets()[i + 1] as usize;
                let keys = keys.as_string_opt::<i32>().ok_or_else(missing)?;
                let found = range.into_iter().find(|&k| keys.value(k) == seg);
                let k = found.ok_or_else(missing)?;
                let values = map.values().clone();
                array = values;
                i = k;
            }
            _ => return Err(missing()),
        }
    }
    if array.is_null(i) {
        return Err(missing());
    }
    let unsupported = || format!("Error extracting timestamp from record field: {name}");
    let field_is_map = schemaless || is_map;
    match array.data_type() {
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            Ok(array.as_primitive::<TimestampMillisecondType>().value(i))
        }
        DataType::Int32 => Ok(array.as_primitive::<Int32Type>().value(i) as i64),
        DataType::Int64 => Ok(array.as_primitive::<Int64Type>().value(i)),
        // A Java Map holds any Number; a Struct only passes INT32/INT64.
        DataType::Int8 if field_is_map => Ok(array.as_primitive::<Int8Type>().value(i) as i64),
        DataType::Int16 if field_is_map => Ok(array.as_primitive::<Int16Type>().value(i) as i64),
        // `Number.longValue()` of a Double: Java's saturating cast, as Rust's `as`.
        DataType::Float64 if field_is_map => {
            Ok(array.as_primitive::<Float64Type>().value(i) as i64)
        }
        DataType::Float32 if field_is_map => {
            Ok(array.as_primitive::<Float32Type>().value(i) as i64)
        }
        DataType::Utf8 => timestamp_from_string(array.as_string::<i32>().value(i)),
        DataType::LargeUtf8 => timestamp_from_string(array.as_string::<i64>().value(i)),
        DataType::Date32 | DataType::Time32(_) if !field_is_map => Err(DATE_NOT_NUMBER.into()),
        _ => Err(unsupported()),
    }
}

/// `extractTimestampFromString`: `^-?[0-9]{1,19}$` that fits a long is epoch millis, anything
/// else goes to Joda's ISO parser.
fn timestamp_from_string(s: &str) -> std::result::Result<i64, String> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if (1..=19).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(v) = s.parse::<i64>() {
            return Ok(v);
        }
    }
    parse_iso_millis(s)
}

/// Java's `SinkRecord.toString()` for a record without timestamp (see TimestampRouter).
fn describe(batch: &Batch, row: usize) -> String {
    let records = &batch.records;
    let topic = batch.topic_at(row).unwrap_or("null").to_string();
    let partition = records
        .column_by_name(columns::PARTITION)
        .and_then(|c| c.as_primitive_opt::<Int32Type>())
        .filter(|c| c.is_valid(row))
        .map(|c| c.value(row).to_string())
        .unwrap_or_else(|| "null".into());
    let offset = records
        .column_by_name(columns::OFFSET)
        .and_then(|c| c.as_primitive_opt::<Int64Type>())
        .filter(|c| c.is_valid(row))
        .map(|c| c.value(row).to_string())
        .unwrap_or_else(|| "null".into());
    format!(
        "SinkRecord{{kafkaOffset={offset}, timestampType=NoTimestampType, originalTopic={topic}, \
         originalKafkaPartition={partition}, originalKafkaOffset={offset}}} \
         ConnectRecord{{topic='{topic}', kafkaPartition={partition}, {}, {}, timestamp=null, \
         headers=ConnectHeaders(headers={})}}",
        util::java_side_string(records, Side::Key, row),
        util::java_side_string(records, Side::Value, row),
        util::NOT_READ,
    )
}

impl Partitioner for TimeBasedPartitioner {
    fn partition(&self, batch: &Batch, wallclock_ms: i64) -> Result<Partitioned> {
        let n = batch.num_rows();
        let extracted = self.extract(batch, wallclock_ms);
        let mut out = Partitioned {
            rows: Vec::with_capacity(n),
            timestamps: Some(Vec::with_capacity(n)),
            ..Default::default()
        };
        let mut timestamps = Vec::with_capacity(n);
        let mut buckets: HashMap<i64, u32> = HashMap::new();
        let mut last: Option<(i64, u32)> = None;
        for (row, ts) in extracted.into_iter().enumerate() {
            let result = ts.and_then(|ts| {
                let key = self.local_bucket(ts)?;
                if let Some((k, i)) = last {
                    if k == key {
                        return Ok((ts, i));
                    }
                }
                let idx = match buckets.get(&key) {
                    Some(i) => *i,
                    None => {
                        let utc = self.format.zone().local_to_utc(key)?;
                        let text = self.format.format(utc)?;
                        let i = out.encoded.len() as u32;
                        out.encoded.push(text);
                        buckets.insert(key, i);
                        i
                    }
                };
                last = Some((key, idx));
                Ok((ts, idx))
            });
            match result {
                Ok((ts, idx)) => {
                    out.rows.push(Some(idx));
                    timestamps.push(Some(ts));
                }
                Err(msg) => {
                    out.rows.push(None);
                    timestamps.push(None);
                    out.errors.push(RowError {
                        row,
                        error: partition_error(msg),
                    });
                }
            }
        }
        out.timestamps = Some(timestamps);
        Ok(out)
    }
    fn is_time_based(&self) -> bool {
        true
    }
    fn generate_partitioned_path(&self, topic: &str, encoded: &str) -> String {
        format!("{topic}{}{encoded}", self.delim)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{BooleanArray, Int32Array, Int64Array, StringArray};
    use arrow::datatypes::Fields;
    use strait_engine::batch::RawBatchBuilder;

    fn settings(class: &str) -> PartitionerSettings {
        PartitionerSettings {
            class: format!("{PACKAGE}{class}"),
            field_names: vec![],
            partition_duration_ms: -1,
            path_format: String::new(),
            locale: String::new(),
            timezone: String::new(),
            timestamp_extractor: "Wallclock".into(),
            timestamp_field: "timestamp".into(),
            directory_delim: "/".into(),
        }
    }

    /// Rows (partition, timestamp); values are raw bytes.
    fn raw(rows: &[(i32, Option<i64>)]) -> Batch {
        let mut b = RawBatchBuilder::with_capacity(rows.len(), 16);
        for (i, (p, ts)) in rows.iter().enumerate() {
            b.append("events", *p, i as i64, *ts, None, Some(b"v"), []);
        }
        b.finish().unwrap()
    }

    fn with_value(batch: &Batch, field: Field, array: ArrayRef) -> Batch {
        let field = Arc::new(
            Field::new(columns::VALUE, array.data_type().clone(), true)
                .with_metadata(field.metadata().clone()),
        );
        batch.with_column(field, array).unwrap()
    }

    fn encoded(p: &Partitioned) -> Vec<Option<&str>> {
        p.rows
            .iter()
            .map(|r| r.map(|i| p.encoded[i as usize].as_str()))
            .collect()
    }

    fn errors(p: &Partitioned) -> Vec<(usize, String)> {
        p.errors
            .iter()
            .map(|e| (e.row, e.error.to_string()))
            .collect()
    }

    #[test]
    fn default_partitioner() {
        let p = build(&settings("DefaultPartitioner")).unwrap();
        let out = p
            .partition(&raw(&[(3, None), (0, None), (3, None)]), 0)
            .unwrap();
        assert_eq!(
            encoded(&out),
            [
                Some("partition=3"),
                Some("partition=0"),
                Some("partition=3")
            ]
        );
        assert_eq!(out.encoded.len(), 2);
        assert!(out.timestamps.is_none());
        assert!(!p.is_time_based());
        assert_eq!(
            p.generate_partitioned_path("orders", "partition=3"),
            "orders/partition=3"
        );
    }

    fn user_struct() -> (Field, ArrayRef) {
        // value {string, int, bool, user: {city}} with nulls.
        let city: ArrayRef = Arc::new(StringArray::from(vec![Some("NYC"), None, Some("LA")]));
        let user = StructArray::new(
            Fields::from(vec![Field::new("city", DataType::Utf8, true)]),
            vec![city],
            Some(vec![true, true, false].into()),
        );
        let fields = Fields::from(vec![
            Field::new("string", DataType::Utf8, true),
            Field::new("int", DataType::Int32, true),
            Field::new("bool", DataType::Boolean, true),
            Field::new("user", user.data_type().clone(), true),
            Field::new("f", DataType::Float64, true),
        ]);
        let arr = StructArray::new(
            fields,
            vec![
                Arc::new(StringArray::from(vec![Some("def"), None, Some("abc")])),
                Arc::new(Int32Array::from(vec![12, -5, 12])),
                Arc::new(BooleanArray::from(vec![true, false, true])),
                Arc::new(user),
                Arc::new(arrow::array::Float64Array::from(vec![1.0, 2.0, 3.0])),
            ],
            None,
        );
        let f = Field::new("value", arr.data_type().clone(), true);
        (f, Arc::new(arr))
    }

    fn field_partitioner(names: &[&str], delim: &str) -> Box<dyn Partitioner> {
        let mut s = settings("FieldPartitioner");
        s.field_names = names.iter().map(|s| s.to_string()).collect();
        s.directory_delim = delim.into();
        build(&s).unwrap()
    }

    #[test]
    fn field_partitioner_values_nulls_and_nesting() {
        let (f, a) = user_struct();
        let batch = with_value(&raw(&[(0, None), (0, None), (0, None)]), f, a);
        // FieldPartitionerTest: custom delimiter "string=def|int=12".
        let out = field_partitioner(&["string", "int"], "|")
            .partition(&batch, 0)
            .unwrap();
        assert_eq!(
            encoded(&out),
            [
                Some("string=def|int=12"),
                Some("string=null|int=-5"),
                Some("string=abc|int=12")
            ]
        );
        let out = field_partitioner(&["user.city", "bool"], "/")
            .partition(&batch, 0)
            .unwrap();
        // "user.address.city=null" in Confluent's tests: a null leaf or parent reads as null.
        assert_eq!(
            encoded(&out),
            [
                Some("user.city=NYC/bool=true"),
                Some("user.city=null/bool=false"),
                Some("user.city=null/bool=true")
            ]
        );
    }

    #[test]
    fn field_partitioner_errors() {
        let (f, a) = user_struct();
        let batch = with_value(
            &raw(&[(0, None), (0, None), (0, None)]),
            f.clone(),
            a.clone(),
        );
        let out = field_partitioner(&["f"], "/").partition(&batch, 0).unwrap();
        assert_eq!(errors(&out)[0].1, "Error encoding partition.");
        assert_eq!(out.rows, [None, None, None]);
        let out = field_partitioner(&["nope"], "/")
            .partition(&batch, 0)
            .unwrap();
        assert_eq!(
            errors(&out)[1].1,
            "Field 'nope' is not present in the schema."
        );
        let out = field_partitioner(&["string.x"], "/")
            .partition(&batch, 0)
            .unwrap();
        assert_eq!(
            errors(&out)[2].1,
            "Unable to get field 'string.x' from schema Schema{STRUCT}."
        );
        // Schemaless values are Java Maps: not a Struct.
        let schemaless = with_value(&raw(&[(0, None)]), schema::schemaless(f), a.slice(0, 1));
        let out = field_partitioner(&["string"], "/")
            .partition(&schemaless, 0)
            .unwrap();
        assert_eq!(errors(&out), [(0, "Error encoding partition.".to_string())]);
        // Raw (undecoded) values too.
        let out = field_partitioner(&["string"], "/")
            .partition(&raw(&[(0, None)]), 0)
            .unwrap();
        assert_eq!(errors(&out), [(0, "Error encoding partition.".to_string())]);
    }

    fn time_based(path: &str, dur: i64, tz: &str, extractor: &str) -> Box<dyn Partitioner> {
        let mut s = settings("TimeBasedPartitioner");
        s.path_format = path.into();
        s.partition_duration_ms = dur;
        s.locale = "en".into();
        s.timezone = tz.into();
        s.timestamp_extractor = extractor.into();
        build(&s).unwrap()
    }

    #[test]
    fn time_based_confluent_expectations() {
        // TimeBasedPartitionerTest: 2015-04-02T01:00 America/Los_Angeles, trailing '/' removed.
        let p = time_based(
            "'year'=YYYY/'month'=M/'day'=d/'hour'=H/",
            7_200_000,
            "America/Los_Angeles",
            "Record",
        );
        let t = 1_427_961_600_000; // 2015-04-02T08:00Z
        let out = p
            .partition(&raw(&[(0, Some(t)), (0, Some(t + 3_599_999))]), 0)
            .unwrap();
        assert_eq!(encoded(&out), [Some("year=2015/month=4/day=2/hour=0"); 2]);
        assert_eq!(out.encoded.len(), 1);
        assert_eq!(out.timestamps, Some(vec![Some(t), Some(t + 3_599_999)]));
        assert_eq!(
            p.generate_partitioned_path("topic", &out.encoded[0]),
            "topic/year=2015/month=4/day=2/hour=0"
        );
        // HourlyPartitionerTest.testHourlyPartionerWithDaylightSavings.
        let mut s = settings("HourlyPartitioner");
        s.timezone = "America/Santiago".into();
        s.locale = "es_CL".into();
        s.timestamp_extractor = "Record".into();
        let p = build(&s).unwrap();
        let out = p
            .partition(
                &raw(&[(0, Some(1_715_224_653_000)), (0, Some(1_706_411_853_000))]),
                0,
            )
            .unwrap();
        assert_eq!(
            encoded(&out),
            [
                Some("year=2024/month=05/day=08/hour=23"),
                Some("year=2024/month=01/day=28/hour=00")
            ]
        );
        // Daily, Wallclock.
        let mut s = settings("DailyPartitioner");
        s.timezone = "UTC".into();
        s.locale = "en_US".into();
        let p = build(&s).unwrap();
        let out = p.partition(&raw(&[(0, None)]), 1_391_223_600_000).unwrap();
        assert_eq!(encoded(&out), [Some("year=2014/month=02/day=01")]);
    }

    #[test]
    fn time_based_negative_timestamps_and_dst_days() {
        // Java's division truncates toward zero: before 1970 the bucket rounds up.
        let p = time_based("yyyy-MM-dd'T'HH", 3_600_000, "UTC", "Record");
        let out = p
            .partition(&raw(&[(0, Some(-1)), (0, Some(-3_600_001))]), 0)
            .unwrap();
        assert_eq!(
            encoded(&out),
            [Some("1970-01-01T00"), Some("1969-12-31T23")]
        );
        // A daily bucket in New York on the fall-back day (25 hours long).
        let p = time_based(
            "yyyy-MM-dd HH:mm Z",
            86_400_000,
            "America/New_York",
            "Record",
        );
        let t = 1_730_619_000_000; // 2024-11-03T07:30Z = 02:30 EST
        let out = p.partition(&raw(&[(0, Some(t))]), 0).unwrap();
        assert_eq!(encoded(&out), [Some("2024-11-03 00:00 -0400")]);
    }

    #[test]
    fn record_extractor_null_timestamp() {
        let p = time_based("YYYY", 3_600_000, "UTC", "Record");
        let out = p.partition(&raw(&[(0, None)]), 0).unwrap();
        assert!(out.errors[0].error.to_string().starts_with(
            "Unable to determine timestamp using timestamp.extractor \
             io.confluent.connect.storage.partitioner.TimeBasedPartitioner$RecordTimestampExtractor \
             for record: SinkRecord{kafkaOffset=0"
        ));
        assert_eq!(out.timestamps, Some(vec![None]));
    }

    #[test]
    fn record_field_extractor() {
        let mut s = settings("TimeBasedPartitioner");
        s.path_format = "yyyy-MM-dd".into();
        s.partition_duration_ms = 86_400_000;
        s.locale = "en".into();
        s.timezone = "UTC".into();
        s.timestamp_extractor = "RecordField".into();
        s.timestamp_field = "ts".into();
        let p = build(&s).unwrap();
        let fields = Fields::from(vec![
            Field::new("ts", DataType::Utf8, true),
            Field::new("n", DataType::Int64, true),
        ]);
        let arr: ArrayRef = Arc::new(StructArray::new(
            fields,
            vec![
                Arc::new(StringArray::from(vec![
                    Some("1715224653000"),
                    Some("2024-05-09T23:00:00-02:00"),
                    None,
                    Some("def"),
                ])),
                Arc::new(Int64Array::from(vec![1, 2, 3, 4])),
            ],
            None,
        ));
        let f = Field::new("value", arr.data_type().clone(), true);
        let batch = with_value(&raw(&[(0, None); 4]), f.clone(), arr.clone());
        let out = p.partition(&batch, 0).unwrap();
        assert_eq!(encoded(&out)[..2], [Some("2024-05-09"), Some("2024-05-10")]);
        assert_eq!(
            errors(&out),
            [
                (2, "The field 'ts' does not exist.".to_string()),
                (
                    3,
                    "Invalid format: \"def\" is malformed at \"def\"".to_string()
                )
            ]
        );
        // A Struct field that is not INT32/INT64/STRING/Timestamp.
        s.timestamp_field = "n".into();
        let p = build(&s).unwrap();
        let bool_arr: ArrayRef = Arc::new(StructArray::new(
            Fields::from(vec![Field::new("n", DataType::Boolean, true)]),
            vec![Arc::new(BooleanArray::from(vec![true]))],
            None,
        ));
        let batch = with_value(
            &raw(&[(0, None)]),
            Field::new("value", bool_arr.data_type().clone(), true),
            bool_arr,
        );
        let out = p.partition(&batch, 0).unwrap();
        assert_eq!(
            errors(&out)[0].1,
            "Error extracting timestamp from record field: n"
        );
        let partition_exception = "io.confluent.connect.storage.errors.PartitionException";
        assert_eq!(out.errors[0].error.java_class(), partition_exception);
        // Not a Struct or Map.
        let out = p.partition(&raw(&[(0, None)]), 0).unwrap();
        assert_eq!(errors(&out)[0].1, "Error encoding partition.");
        assert_eq!(out.errors[0].error.java_class(), partition_exception);
    }

    #[test]
    fn partition_errors_carry_confluents_exception_classes() {
        assert_eq!(
            partition_error("The field 'x' does not exist.").java_class(),
            "org.apache.kafka.connect.errors.DataException"
        );
        assert_eq!(
            partition_error(DATE_NOT_NUMBER).java_class(),
            "java.lang.ClassCastException"
        );
        assert_eq!(
            partition_error(ENCODING_ERROR).java_class(),
            "io.confluent.connect.storage.errors.PartitionException"
        );
    }

    #[test]
    fn config_errors() {
        let err = |s: &PartitionerSettings| build(s).unwrap_err().to_string();
        let mut s = settings("TimeBasedPartitioner");
        s.partition_duration_ms = -1;
        s.path_format = "YYYY".into();
        s.locale = "en".into();
        s.timezone = "UTC".into();
        assert!(err(&s).contains(
            "Invalid value -1 for configuration partition.duration.ms: Partition duration needs to be a positive."
        ));
        s.partition_duration_ms = 1000;
        s.path_format = "/".into();
        assert!(err(&s).contains(
            "Invalid value / for configuration path.format: Path format cannot be empty."
        ));
        s.path_format = "year='YYYY'/month='MM'".into();
        assert!(err(&s).contains(
            "Invalid value year='YYYY'/month='MM' for configuration path.format: Illegal pattern component: r"
        ));
        s.path_format = "YYYY".into();
        s.locale = " ".into();
        assert!(
            err(&s).contains("Invalid value   for configuration locale: Locale cannot be empty.")
        );
        s.locale = "en".into();
        s.timezone = "Mars/Base".into();
        assert!(err(&s).contains(
            "Invalid value Mars/Base for configuration timezone: The datetime zone id 'Mars/Base' is not recognised"
        ));
        s.timezone = "".into();
        assert!(err(&s)
            .contains("Invalid value  for configuration timezone: Timezone cannot be empty."));
        s.timezone = "UTC".into();
        s.timestamp_extractor = "com.example.Mine".into();
        assert!(err(&s).contains("Invalid timestamp extractor: com.example.Mine"));
        let mut f = settings("FieldPartitioner");
        assert!(err(&f)
            .contains("Partition field name cannot be null or empty when using FieldPartitioner."));
        f.field_names = vec!["a..b".into()];
        assert!(
            err(&f).contains("Field name cannot contain an empty or whitespace-only path segment")
        );
        assert!(err(&settings("Custom")).contains("Strait cannot load Java classes"));
    }

    #[test]
    fn time_based_strait_defaults_only_when_all_unset() {
        // Issue 8's seed config: no path.format, duration, locale or timezone.
        let p = build(&settings("TimeBasedPartitioner")).unwrap();
        assert!(p.is_time_based());
        let out = p.partition(&raw(&[(0, None)]), 1_715_224_653_000).unwrap();
        assert_eq!(encoded(&out), [Some("year=2024/month=05/day=09/hour=03")]);
        let mut s = settings("TimeBasedPartitioner");
        s.timezone = "UTC".into();
        assert!(build(&s)
            .unwrap_err()
            .to_string()
            .contains("partition.duration.ms"));
    }
}
