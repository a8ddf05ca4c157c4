//! `org.apache.kafka.connect.transforms.TimestampConverter$Key` / `$Value`: converts a
//! timestamp (the whole key/value, or one top-level field of it) between Unix epoch numbers,
//! formatted strings and Connect's `Date` / `Time` / `Timestamp` logical types.
//!
//! Java converts through a `java.util.Date` (epoch milliseconds). The kernel does the same a
//! column at a time: the input column becomes an `Int64` column of epoch milliseconds
//! ([`to_millis`](TimestampConverter::to_millis)), which becomes the target column ([`to_target`](TimestampConverter::to_target)). Java's source
//! representation comes from the schema (logical name first, then `STRING` / `INT64`); without
//! a schema, from each value's Java class (`String`, `Long`, `java.util.Date`).
//!
//! Strait's Arrow columns map onto Java's values as follows: `Timestamp(ms)`, `Date32` and
//! `Time32(ms)` are `java.util.Date`s; `Utf8` is a `String`; `Int64` a `Long`. A schemaless
//! `java.util.Date` (what Java produces for `Date`, `Time` and `Timestamp` targets without a
//! schema) is a schemaless `Timestamp(ms)` column holding the `Date`'s milliseconds: without a
//! schema Java cannot tell the three apart either. A schemaless column of values of mixed JSON
//! types (Utf8 of raw JSON text, flagged [`RAW_JSON`]) is classified row by row.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Date32Array, Int64Array, RecordBatch, StringArray, StringBuilder,
    StructArray, Time32MillisecondArray, TimestampMillisecondArray,
};
use arrow::datatypes::{
    DataType, Date32Type, Field, Fields, Int64Type, Time32MillisecondType, TimeUnit,
    TimestampMillisecondType,
};

use super::java_date::{FormatCache, JavaDateFormat, ParseError};
use super::registry::{Build, TransformPlugin};
use super::util::{self, Side};
use super::{Applied, Needs, Transform, TransformContext};
use crate::config::{Props, Validator};
use crate::error::{Error, Result};
use crate::plugin::RowError;
use crate::schema::{self, logical};

const KEY_CLASS: &str = "org.apache.kafka.connect.transforms.TimestampConverter$Key";
const VALUE_CLASS: &str = "org.apache.kafka.connect.transforms.TimestampConverter$Value";

/// Field metadata key the JsonConverter sets on a schemaless Utf8 column whose values are raw
/// JSON text (values of conflicting types); `strait_formats::json::RAW_JSON`, which the engine
/// cannot name.
const RAW_JSON: &str = "strait.json.raw";

/// Java's `PURPOSE`, quoted by `Requirements`.
const PURPOSE: &str = "converting timestamp formats";

const CONNECT_EXCEPTION: &str = "org.apache.kafka.connect.errors.ConnectException";
const NULL_POINTER_EXCEPTION: &str = "java.lang.NullPointerException";

const MILLIS_PER_DAY: i64 = 86_400_000;

pub const PLUGINS: &[TransformPlugin] = &[
    TransformPlugin {
        class: KEY_CLASS,
        config_def: TimestampConverterConfig::config_def,
        build: Build::Transform(build_key),
    },
    TransformPlugin {
        class: VALUE_CLASS,
        config_def: TimestampConverterConfig::config_def,
        build: Build::Transform(build_value),
    },
];

crate::declare_config! {
    /// `TimestampConverter.CONFIG_DEF`.
    #[derive(Debug)]
    pub struct TimestampConverterConfig {
        pub field: String {
            key: "field",
            ty: String,
            default: "",
            importance: High,
            doc: "The field containing the timestamp, or empty if the entire value is a timestamp",
        },
        pub target_type: Repr {
            key: "target.type",
            ty: String,
            default: required,
            validator: Validator::OneOf(&["string", "unix", "Date", "Time", "Timestamp"]),
            importance: High,
            doc: "The desired timestamp representation: string, unix, Date, Time, or Timestamp",
            try_map: |s: String| Repr::from_config(&s),
        },
        pub format: String {
            key: "format",
            ty: String,
            default: "",
            importance: Medium,
            doc: "A SimpleDateFormat-compatible format for the timestamp. Used to generate the output when type=string or used to parse the input if the input is a string.",
        },
        pub unix_precision: Precision {
            key: "unix.precision",
            ty: String,
            default: "milliseconds",
            validator: Validator::OneOf(&["nanoseconds", "microseconds", "milliseconds", "seconds"]),
            importance: Low,
            doc: "The desired Unix precision for the timestamp: seconds, milliseconds, microseconds, or nanoseconds. Used to generate the output when type=unix or used to parse the input if the input is a Long.Note: This SMT will cause precision loss during conversions from, and to, values with sub-millisecond components.",
            try_map: |s: String| Precision::from_config(&s),
        },
        pub replace_null_with_default: bool {
            key: "replace.null.with.default",
            ty: Boolean,
            default: "true",
            importance: Medium,
            doc: "Whether to replace fields that have a default value and that are null to the default value. When set to true, the default value is used, otherwise null is used.",
        },
    }
}

/// A timestamp representation (Java's `TYPE_*` translators).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repr {
    String,
    Unix,
    Date,
    Time,
    Timestamp,
}

impl Repr {
    fn from_config(s: &str) -> Result<Repr> {
        Ok(match s {
            "string" => Repr::String,
            "unix" => Repr::Unix,
            "Date" => Repr::Date,
            "Time" => Repr::Time,
            "Timestamp" => Repr::Timestamp,
            // The validator rejected anything else first.
            other => return Err(Error::bug(format!("unvalidated target.type {other}"))),
        })
    }

    /// How Java's `toRaw` names the expected input in its class-mismatch message.
    fn expected(self) -> &'static str {
        match self {
            Repr::String => "Expected string timestamp to be a String",
            Repr::Unix => "Expected Unix timestamp to be a Long",
            Repr::Date => "Expected Date to be a java.util.Date",
            Repr::Time => "Expected Time to be a java.util.Date",
            Repr::Timestamp => "Expected Timestamp to be a java.util.Date",
        }
    }
}

/// `unix.precision`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    Seconds,
    Milliseconds,
    Microseconds,
    Nanoseconds,
}

impl Precision {
    fn from_config(s: &str) -> Result<Precision> {
        Ok(match s {
            "seconds" => Precision::Seconds,
            "milliseconds" => Precision::Milliseconds,
            "microseconds" => Precision::Microseconds,
            "nanoseconds" => Precision::Nanoseconds,
            other => return Err(Error::bug(format!("unvalidated unix.precision {other}"))),
        })
    }

    /// Java's `TimeUnit.X.toMillis`: truncation toward zero, saturating on overflow.
    fn to_millis(self, v: i64) -> i64 {
        match self {
            Precision::Seconds => v.saturating_mul(1000),
            Precision::Milliseconds => v,
            Precision::Microseconds => v / 1000,
            Precision::Nanoseconds => v / 1_000_000,
        }
    }

    /// Java's `TimeUnit.MILLISECONDS.toX`: truncation toward zero, saturating on overflow.
    fn of_millis(self, ms: i64) -> i64 {
        match self {
            Precision::Seconds => ms / 1000,
            Precision::Milliseconds => ms,
            Precision::Microseconds => ms.saturating_mul(1000),
            Precision::Nanoseconds => ms.saturating_mul(1_000_000),
        }
    }
}

fn build_key(props: &Props, _ctx: &TransformContext) -> Result<Box<dyn Transform>> {
    Ok(Box::new(TimestampConverter::new(props, Side::Key)?))
}

fn build_value(props: &Props, _ctx: &TransformContext) -> Result<Box<dyn Transform>> {
    Ok(Box::new(TimestampConverter::new(props, Side::Value)?))
}

/// The configured transform (Java's `Config` plus `replaceNullWithDefault`).
#[derive(Debug)]
pub struct TimestampConverter {
    side: Side,
    /// Empty: the whole key/value is the timestamp.
    field: String,
    target: Repr,
    /// `None` when `format` is blank (allowed unless the target is `string`).
    format: Option<JavaDateFormat>,
    precision: Precision,
    replace_null_with_default: bool,
    /// Texts of recently formatted time spans, kept across batches.
    texts: std::sync::Mutex<FormatCache>,
}

impl TimestampConverter {
    /// Java's `configure`.
    pub fn new(props: &Props, side: Side) -> Result<Self> {
        let config = TimestampConverterConfig::parse(props)?;
        // Java's `Utils.isBlank`: null or only whitespace.
        let blank = config.format.trim().is_empty();
        if config.target_type == Repr::String && blank {
            return Err(Error::config(
                "TimestampConverter requires format option to be specified when using string timestamps",
            ));
        }
        let format = if blank {
            None
        } else {
            Some(JavaDateFormat::compile(&config.format).map_err(|e| {
                // Java passes the IllegalArgumentException as the *value* of
                // `ConfigException(name, value)`, and its own message as the name.
                Error::config(format!(
                    "Invalid value java.lang.IllegalArgumentException: {e} for configuration TimestampConverter requires a SimpleDateFormat-compatible pattern for string timestamps: {}",
                    config.format
                ))
            })?)
        };
        Ok(TimestampConverter {
            side,
            field: config.field,
            target: config.target_type,
            format,
            precision: config.unix_precision,
            replace_null_with_default: config.replace_null_with_default,
            texts: Default::default(),
        })
    }
}

impl Transform for TimestampConverter {
    fn class(&self) -> &'static str {
        match self.side {
            Side::Key => KEY_CLASS,
            Side::Value => VALUE_CLASS,
        }
    }

    fn needs(&self) -> Needs {
        self.side.needs()
    }

    fn apply(&self, records: &RecordBatch) -> Result<Applied> {
        let name = self.side.column();
        let (field, array) = util::column(records, name)?;
        let mut errors = Errors::default();
        let out = if schema::is_schemaless(&field) {
            self.schemaless(&field, array, &mut errors)?
        } else {
            self.with_schema(&field, array, &mut errors)?
        };
        let records = match out {
            Some((field, array)) => util::replace(records, name, field, array)?,
            None => records.clone(),
        };
        Ok(Applied {
            records,
            errors: errors.into_row_errors(),
            keep: None,
        })
    }
}

/// Row errors, at most one per row (the first a row meets, as Java throws it).
#[derive(Default)]
struct Errors(Vec<RowError>);

impl Errors {
    fn push(&mut self, row: usize, error: Error) {
        self.0.push(RowError { row, error });
    }

    fn into_row_errors(self) -> Vec<RowError> {
        let mut errors = self.0;
        errors.sort_by_key(|e| e.row);
        errors.dedup_by_key(|e| e.row);
        errors
    }
}

/// Whether a top-level field's Connect schema is optional (a top-level column is always
/// nullable in Arrow; `connect.optional` says when the schema is required).
fn top_optional(field: &Field) -> bool {
    match field.metadata().get(schema::OPTIONAL).map(String::as_str) {
        Some("true") => true,
        Some("false") => false,
        _ => field.is_nullable(),
    }
}

/// The logical name a column of this type carries even without `connect.name` (the encoder
/// adds it, so Java sees it).
fn logical_name(field: &Field) -> Option<&str> {
    schema::schema_name(field).or(match field.data_type() {
        DataType::Date32 => Some(logical::DATE),
        DataType::Time32(_) => Some(logical::TIME),
        DataType::Timestamp(..) => Some(logical::TIMESTAMP),
        DataType::Decimal128(..) => Some(logical::DECIMAL),
        _ => None,
    })
}

/// Java's `timestampTypeFromSchema`, with its `ConnectException` for other schemas.
fn repr_of_schema(field: &Field) -> std::result::Result<Repr, Error> {
    let name = logical_name(field);
    match name {
        Some(logical::TIMESTAMP) => return Ok(Repr::Timestamp),
        Some(logical::DATE) => return Ok(Repr::Date),
        Some(logical::TIME) => return Ok(Repr::Time),
        _ => {}
    }
    let ty = util::connect_type_name(field.data_type());
    match ty {
        "STRING" => Ok(Repr::String),
        "INT64" => Ok(Repr::Unix),
        _ => {
            // `ConnectSchema.toString`.
            let schema = match name {
                Some(n) => format!("Schema{{{n}:{ty}}}"),
                None => format!("Schema{{{ty}}}"),
            };
            Err(Error::data(format!(
                "Schema {schema} does not correspond to a known timestamp type format"
            ))
            .with_java_class(CONNECT_EXCEPTION))
        }
    }
}

/// `class X` as Java's `Object.getClass()` prints in the translators' messages.
fn found(data_type: &DataType, schemaless: bool) -> String {
    format!(
        "class {}",
        crate::java_text::java_value_class(data_type, schemaless)
    )
}

/// One Java value of a schemaless raw-JSON row, classified as JsonConverter would build it.
enum RawValue {
    Null,
    String(String),
    Long(i64),
    /// Anything else, by Java class name.
    Other(&'static str),
}

/// Classify the raw JSON text of one schemaless value (no parse beyond its first byte, except
/// for strings and integers, which Java would convert).
fn classify_raw(json: &str) -> RawValue {
    let json = json.trim();
    match json.as_bytes().first() {
        None => RawValue::Null,
        Some(b'"') => match serde_json::from_str::<String>(json) {
            Ok(s) => RawValue::String(s),
            Err(_) => RawValue::Other("java.lang.String"),
        },
        Some(b'{') => RawValue::Other("java.util.HashMap"),
        Some(b'[') => RawValue::Other("java.util.ArrayList"),
        Some(b't' | b'f') => RawValue::Other("java.lang.Boolean"),
        Some(b'n') => RawValue::Null,
        Some(_) => match json.parse::<i64>() {
            Ok(v) => RawValue::Long(v),
            // Fractions, exponents and integers beyond 64 bits: Strait infers Double for all.
            Err(_) => RawValue::Other("java.lang.Double"),
        },
    }
}

impl TimestampConverter {
    /// Java's `toRaw` of representation `repr` over a column: epoch milliseconds, null where
    /// the input is null or the row failed. Rows where `live` is false are not looked at.
    fn to_millis(
        &self,
        array: &ArrayRef,
        repr: Repr,
        schemaless: bool,
        live: &dyn Fn(usize) -> bool,
        errors: &mut Errors,
    ) -> Int64Array {
        let millis = match (repr, array.data_type()) {
            (
                Repr::Date | Repr::Time | Repr::Timestamp,
                DataType::Timestamp(TimeUnit::Millisecond, _),
            ) => Some(
                array
                    .as_primitive::<TimestampMillisecondType>()
                    .reinterpret_cast::<Int64Type>(),
            ),
            (Repr::Date | Repr::Time | Repr::Timestamp, DataType::Date32) => Some(
                array
                    .as_primitive::<Date32Type>()
                    .unary(|d| i64::from(d) * MILLIS_PER_DAY),
            ),
            (
                Repr::Date | Repr::Time | Repr::Timestamp,
                DataType::Time32(TimeUnit::Millisecond),
            ) => Some(
                array
                    .as_primitive::<Time32MillisecondType>()
                    .unary(i64::from),
            ),
            (Repr::Unix, DataType::Int64) => {
                let precision = self.precision;
                Some(
                    array
                        .as_primitive::<Int64Type>()
                        .unary(|v| precision.to_millis(v)),
                )
            }
            (Repr::String, DataType::Utf8) => {
                Some(self.parse_strings(array.as_string::<i32>(), live, errors))
            }
            _ => None,
        };
        millis.unwrap_or_else(|| {
            let message = format!(
                "{}, but found {}",
                repr.expected(),
                found(array.data_type(), schemaless)
            );
            for i in (0..array.len()).filter(|&i| array.is_valid(i) && live(i)) {
                errors.push(i, Error::data(message.clone()));
            }
            Int64Array::new_null(array.len())
        })
    }

    /// The `string` translator's `toRaw`: `format.parse`, null where it fails.
    fn parse_strings(
        &self,
        strings: &StringArray,
        live: &dyn Fn(usize) -> bool,
        errors: &mut Errors,
    ) -> Int64Array {
        strings
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let s = s?;
                if !live(i) {
                    return None;
                }
                match self.parse(s) {
                    Ok(ms) => Some(ms),
                    Err(e) => {
                        errors.push(i, e);
                        None
                    }
                }
            })
            .collect()
    }

    /// One string through the configured format, failing as Java's translator does.
    fn parse(&self, s: &str) -> std::result::Result<i64, Error> {
        let Some(format) = &self.format else {
            // Java calls `config.format.parse` on a null format.
            return Err(Error::data(
                "Cannot invoke \"java.text.SimpleDateFormat.parse(String)\" because \"config.format\" is null",
            )
            .with_java_class(NULL_POINTER_EXCEPTION));
        };
        format.parse(s).map_err(|e| match e {
            ParseError::Unparseable => Error::data(format!(
                "Could not parse timestamp: value ({s}) does not match pattern ({})",
                format.pattern()
            )),
            ParseError::Unsupported(what) => Error::data(format!(
                "Strait cannot parse timestamp value ({s}) with pattern ({}): {what} is not supported",
                format.pattern()
            )),
        })
    }

    /// Java's `inferTimestampType` + `toRaw` for a schemaless column (values by Java class).
    fn infer_to_millis(
        &self,
        field: &Field,
        array: &ArrayRef,
        live: &dyn Fn(usize) -> bool,
        errors: &mut Errors,
    ) -> Int64Array {
        let unsupported = |class: &str| {
            Error::data(format!(
                "TimestampConverter does not support class {class} objects as timestamps"
            ))
        };
        match array.data_type() {
            // Every value is null.
            DataType::Null => Int64Array::new_null(array.len()),
            DataType::Utf8
                if field.metadata().get(RAW_JSON).map(String::as_str) == Some("true") =>
            {
                self.raw_json_to_millis(array.as_string::<i32>(), live, errors)
            }
            DataType::Utf8 => self.to_millis(array, Repr::String, true, live, errors),
            DataType::Int64 => self.to_millis(array, Repr::Unix, true, live, errors),
            DataType::Timestamp(TimeUnit::Millisecond, _)
            | DataType::Date32
            | DataType::Time32(TimeUnit::Millisecond) => {
                self.to_millis(array, Repr::Timestamp, true, live, errors)
            }
            other => {
                let class = crate::java_text::java_value_class(other, true);
                for i in (0..array.len()).filter(|&i| array.is_valid(i) && live(i)) {
                    errors.push(i, unsupported(class));
                }
                Int64Array::new_null(array.len())
            }
        }
    }

    /// Schemaless values of mixed JSON types: strings parse, integers are Unix times, the rest
    /// fail as Java's `inferTimestampType` does.
    fn raw_json_to_millis(
        &self,
        raw: &StringArray,
        live: &dyn Fn(usize) -> bool,
        errors: &mut Errors,
    ) -> Int64Array {
        raw.iter()
            .enumerate()
            .map(|(i, json)| {
                let json = json?;
                if !live(i) {
                    return None;
                }
                let result = match classify_raw(json) {
                    RawValue::Null => return None,
                    RawValue::String(s) => self.parse(&s),
                    RawValue::Long(v) => Ok(self.precision.to_millis(v)),
                    RawValue::Other(class) => Err(Error::data(format!(
                        "TimestampConverter does not support class {class} objects as timestamps"
                    ))),
                };
                result.map_err(|e| errors.push(i, e)).ok()
            })
            .collect()
    }

    /// Java's `toType` of the target representation: the output column. Without a schema a
    /// `Date`, `Time` or `Timestamp` is a `java.util.Date`, kept as `Timestamp(ms)`.
    fn to_target(&self, millis: &Int64Array, schemaless: bool) -> Result<ArrayRef> {
        let timestamp = |a: Int64Array| -> ArrayRef {
            Arc::new(a.reinterpret_cast::<TimestampMillisecondType>())
        };
        Ok(match self.target {
            Repr::String => {
                let Some(format) = self.format.as_ref() else {
                    return Err(Error::bug(
                        "TimestampConverter to string without a format (configure requires one)",
                    ));
                };
                // Instants repeat time spans (the days of a year, the seconds of a batch): each
                // span is formatted once and its text reused (`FormatCache`).
                let span = format.granularity_millis();
                let mut texts = self.texts.lock().unwrap_or_else(|e| e.into_inner());
                let mut builder = StringBuilder::with_capacity(millis.len(), millis.len() * 16);
                let (mut last, mut text) = (None, String::new());
                for ms in millis.iter() {
                    match ms {
                        Some(ms) => {
                            let bucket = ms.div_euclid(span);
                            if last != Some(bucket) {
                                text.clear();
                                text.push_str(texts.format(format, span, ms));
                                last = Some(bucket);
                            }
                            builder.append_value(&text);
                        }
                        None => builder.append_null(),
                    }
                }
                Arc::new(builder.finish())
            }
            Repr::Unix => {
                let precision = self.precision;
                Arc::new(millis.unary::<_, Int64Type>(|ms| precision.of_millis(ms)))
            }
            Repr::Timestamp => timestamp(millis.clone()),
            // Midnight UTC of the day.
            Repr::Date if schemaless => {
                timestamp(millis.unary(|ms| ms - ms.rem_euclid(MILLIS_PER_DAY)))
            }
            // `Date.fromLogical` keeps `(int) (millis / MILLIS_PER_DAY)`.
            Repr::Date => {
                Arc::new(millis.unary::<_, Date32Type>(|ms| ms.div_euclid(MILLIS_PER_DAY) as i32))
            }
            // The time of day on 1970-01-01.
            Repr::Time if schemaless => timestamp(millis.unary(|ms| ms.rem_euclid(MILLIS_PER_DAY))),
            Repr::Time => Arc::new(
                millis.unary::<_, Time32MillisecondType>(|ms| ms.rem_euclid(MILLIS_PER_DAY) as i32),
            ),
        })
    }

    /// The field of a converted value with a schema: Java's `typeSchema(optional)`, a fresh
    /// schema (no doc, no default), logical types named, version 1.
    fn target_field(&self, name: &str, data_type: DataType, optional: bool, top: bool) -> Field {
        let mut metadata = std::collections::HashMap::new();
        let logical = match self.target {
            Repr::Date => Some(logical::DATE),
            Repr::Time => Some(logical::TIME),
            Repr::Timestamp => Some(logical::TIMESTAMP),
            Repr::String | Repr::Unix => None,
        };
        if let Some(n) = logical {
            metadata.insert(schema::NAME.to_string(), n.to_string());
            metadata.insert(schema::VERSION.to_string(), "1".to_string());
        }
        if top && !optional {
            metadata.insert(schema::OPTIONAL.to_string(), "false".to_string());
        }
        Field::new(name, data_type, top || optional).with_metadata(metadata)
    }
}

impl TimestampConverter {
    /// Java's `applyWithSchema`. `None`: the column is unchanged.
    fn with_schema(
        &self,
        field: &Field,
        array: &ArrayRef,
        errors: &mut Errors,
    ) -> Result<Option<(Field, ArrayRef)>> {
        // Every row has the column's schema (tombstones come as a schemaless column).
        let live = |_: usize| true;
        if self.field.is_empty() {
            // Java asks the schema for the source type before looking at the value, so a
            // schema of another type fails even for a null value.
            let millis = match repr_of_schema(field) {
                Ok(repr) => self.to_millis(array, repr, false, &live, errors),
                Err(e) => fail_rows(array.len(), &live, &e, errors),
            };
            let out = self.to_target(&millis, false)?;
            let out_field = self.target_field(
                field.name(),
                out.data_type().clone(),
                top_optional(field),
                true,
            );
            return Ok(Some((out_field, out)));
        }
        let DataType::Struct(children) = field.data_type() else {
            for i in (0..array.len()).filter(|&i| live(i)) {
                let error = if array.is_valid(i) {
                    Error::data(format!(
                        "Only Struct objects supported for [{PURPOSE}], found: {}",
                        crate::java_text::java_value_class(field.data_type(), false)
                    ))
                } else {
                    // A null value still has its schema's fields listed.
                    Error::data("Cannot list fields on non-struct type")
                };
                errors.push(i, error);
            }
            return Ok(None);
        };
        let Some(index) = children.iter().position(|c| c.name() == &self.field) else {
            // Java rebuilds the same schema and copies every field.
            return Ok(None);
        };
        let child_field = children[index].as_ref();
        let mut metadata = field.metadata().clone();
        if let Some(default) = field.metadata().get(schema::DEFAULT) {
            match self.convert_default(default, child_field) {
                Ok(converted) => {
                    metadata.insert(schema::DEFAULT.to_string(), converted);
                }
                Err(e) => {
                    // Java fails building the schema, before it looks at the value.
                    fail_rows(array.len(), &live, &e, errors);
                    return Ok(None);
                }
            }
        }
        let structs = array.as_struct();
        let struct_live = |i: usize| structs.is_valid(i);
        let child = self.with_default(structs.column(index), child_field)?;
        let millis = match repr_of_schema(child_field) {
            Ok(repr) => self.to_millis(&child, repr, false, &struct_live, errors),
            Err(e) => fail_rows(array.len(), &struct_live, &e, errors),
        };
        // A required child holds a value in every row of a present struct (failed rows too:
        // the chain drops them), as Arrow requires of a non-nullable child.
        let millis = if child_field.is_nullable() {
            millis
        } else {
            Int64Array::new(millis.values().clone(), structs.nulls().cloned())
        };
        let out = self.to_target(&millis, false)?;
        let out_child = self.target_field(
            child_field.name(),
            out.data_type().clone(),
            child_field.is_nullable(),
            false,
        );
        let (fields, columns) = replace_child(children, structs, index, out_child, out);
        let array = StructArray::try_new(fields.clone(), columns, structs.nulls().cloned())?;
        let out_field = Field::new(field.name(), DataType::Struct(fields), field.is_nullable())
            .with_metadata(metadata);
        Ok(Some((out_field, Arc::new(array))))
    }

    /// The child with its schema's default in place of nulls, as Java's `Struct.get` reads it
    /// when `replace.null.with.default` is set.
    fn with_default(&self, child: &ArrayRef, child_field: &Field) -> Result<ArrayRef> {
        let default = child_field.metadata().get(schema::DEFAULT);
        let (true, Some(default)) = (self.replace_null_with_default, default) else {
            return Ok(child.clone());
        };
        if child.null_count() == 0 {
            return Ok(child.clone());
        }
        let Some(scalar) = json_scalar(default, child.data_type()) else {
            // Not a timestamp type: the row fails on the schema before the value matters.
            return Ok(child.clone());
        };
        let nulls = arrow::compute::is_null(child)?;
        Ok(arrow::compute::kernels::zip::zip(
            &nulls,
            &arrow::array::Scalar::new(scalar),
            child,
        )?)
    }

    /// A struct schema's default (compact JSON) with the converted field, as Java's
    /// `applyValueWithSchema` converts it when it builds the new schema.
    fn convert_default(
        &self,
        json: &str,
        child_field: &Field,
    ) -> std::result::Result<String, Error> {
        let mut value: serde_json::Value = serde_json::from_str(json)
            .map_err(|e| Error::bug(format!("struct default is not JSON: {e}")))?;
        let Some(object) = value.as_object_mut() else {
            return Ok(json.to_string());
        };
        let mut member = object
            .get(&self.field)
            .cloned()
            .unwrap_or(serde_json::Value::Null);
        if member.is_null() && self.replace_null_with_default {
            if let Some(d) = child_field.metadata().get(schema::DEFAULT) {
                member = serde_json::from_str(d)
                    .map_err(|e| Error::bug(format!("field default is not JSON: {e}")))?;
            }
        }
        let repr = repr_of_schema(child_field)?;
        let converted = if member.is_null() {
            serde_json::Value::Null
        } else {
            let input = json_scalar(&member.to_string(), child_field.data_type())
                .ok_or_else(|| Error::bug(format!("default {member} does not fit its schema")))?;
            let mut errors = Errors::default();
            let millis = self.to_millis(&input, repr, false, &|_| true, &mut errors);
            if let Some(e) = errors.0.pop() {
                return Err(e.error);
            }
            scalar_json(self.to_target(&millis, false)?.as_ref())
        };
        object.insert(self.field.clone(), converted);
        Ok(value.to_string())
    }

    /// Java's `applySchemaless`. `None`: the column is unchanged.
    fn schemaless(
        &self,
        field: &Field,
        array: &ArrayRef,
        errors: &mut Errors,
    ) -> Result<Option<(Field, ArrayRef)>> {
        if array.data_type() == &DataType::Null {
            // Every value is null, and Java maps null to null.
            return Ok(None);
        }
        if self.field.is_empty() {
            let millis = self.infer_to_millis(field, array, &|_| true, errors);
            let out = self.to_target(&millis, true)?;
            let out_field =
                schema::schemaless(Field::new(field.name(), out.data_type().clone(), true));
            return Ok(Some((out_field, out)));
        }
        let not_a_map = |class: &str| {
            Error::data(format!(
                "Only Map objects supported in absence of schema for [{PURPOSE}], found: {class}"
            ))
        };
        match array.data_type() {
            DataType::Struct(children) => {
                let structs = array.as_struct();
                let live = |i: usize| structs.is_valid(i);
                let (fields, columns) = match children.iter().position(|c| c.name() == &self.field)
                {
                    Some(index) => {
                        let millis = self.infer_to_millis(
                            &children[index],
                            structs.column(index),
                            &live,
                            errors,
                        );
                        let out = self.to_target(&millis, true)?;
                        let out_child = Field::new(&self.field, out.data_type().clone(), true);
                        replace_child(children, structs, index, out_child, out)
                    }
                    None => {
                        // Java's `put(field, convert(null))` adds the key with a null value.
                        let mut fields: Vec<Arc<Field>> = children.iter().cloned().collect();
                        let mut columns = structs.columns().to_vec();
                        fields.push(Arc::new(Field::new(&self.field, DataType::Null, true)));
                        columns.push(arrow::array::new_null_array(&DataType::Null, array.len()));
                        (Fields::from(fields), columns)
                    }
                };
                let array =
                    StructArray::try_new(fields.clone(), columns, structs.nulls().cloned())?;
                let out_field = field.clone().with_data_type(DataType::Struct(fields));
                Ok(Some((out_field, Arc::new(array))))
            }
            DataType::Utf8
                if field.metadata().get(RAW_JSON).map(String::as_str) == Some("true") =>
            {
                for (i, json) in array.as_string::<i32>().iter().enumerate() {
                    let class = match json.map(classify_raw) {
                        None | Some(RawValue::Null) => continue,
                        Some(RawValue::String(_)) => "java.lang.String",
                        Some(RawValue::Long(_)) => "java.lang.Long",
                        Some(RawValue::Other("java.util.HashMap")) => {
                            errors.push(i, Error::data(format!(
                                "Strait cannot convert field {} of a schemaless map whose values have conflicting JSON types",
                                self.field
                            )));
                            continue;
                        }
                        Some(RawValue::Other(class)) => class,
                    };
                    errors.push(i, not_a_map(class));
                }
                Ok(None)
            }
            DataType::Map(..) => {
                for i in (0..array.len()).filter(|&i| array.is_valid(i)) {
                    errors.push(i, Error::data(format!(
                        "Strait cannot convert field {} of a schemaless map with more than 128 distinct keys",
                        self.field
                    )));
                }
                Ok(None)
            }
            other => {
                let class = crate::java_text::java_value_class(other, true);
                for i in (0..array.len()).filter(|&i| array.is_valid(i)) {
                    errors.push(i, not_a_map(class));
                }
                Ok(None)
            }
        }
    }
}

/// Fail every row `live` selects with `error` (Java throws it for each record); the result is
/// the all-null column of milliseconds those rows leave.
fn fail_rows(
    len: usize,
    live: &dyn Fn(usize) -> bool,
    error: &Error,
    errors: &mut Errors,
) -> Int64Array {
    for i in (0..len).filter(|&i| live(i)) {
        errors.push(i, copy_error(error));
    }
    Int64Array::new_null(len)
}

/// A copy of a data error with its Java class (errors are not `Clone`: they may hold a source).
fn copy_error(error: &Error) -> Error {
    Error::data(error.message()).with_java_class(error.java_class())
}

/// The children of `structs` with child `index` replaced.
fn replace_child(
    children: &Fields,
    structs: &StructArray,
    index: usize,
    field: Field,
    column: ArrayRef,
) -> (Fields, Vec<ArrayRef>) {
    let mut fields: Vec<Arc<Field>> = children.iter().cloned().collect();
    fields[index] = Arc::new(field);
    let mut columns = structs.columns().to_vec();
    columns[index] = column;
    (Fields::from(fields), columns)
}

/// A one-row column of `data_type` holding a JSON value in JsonConverter's encoding (strings,
/// and integers for Unix times and the logical types), or `None` for other types.
fn json_scalar(json: &str, data_type: &DataType) -> Option<ArrayRef> {
    let int = || serde_json::from_str::<i64>(json).ok();
    Some(match data_type {
        DataType::Utf8 => Arc::new(StringArray::from(vec![serde_json::from_str::<String>(
            json,
        )
        .ok()?])),
        DataType::Int64 => Arc::new(Int64Array::from(vec![int()?])),
        DataType::Timestamp(TimeUnit::Millisecond, tz) => {
            Arc::new(TimestampMillisecondArray::from(vec![int()?]).with_timezone_opt(tz.clone()))
        }
        DataType::Date32 => Arc::new(Date32Array::from(vec![i32::try_from(int()?).ok()?])),
        DataType::Time32(TimeUnit::Millisecond) => Arc::new(Time32MillisecondArray::from(vec![
            i32::try_from(int()?).ok()?,
        ])),
        _ => return None,
    })
}

/// The JSON (JsonConverter's encoding) of row 0 of a converted column.
fn scalar_json(array: &dyn Array) -> serde_json::Value {
    if array.is_null(0) {
        return serde_json::Value::Null;
    }
    match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().value(0).into(),
        DataType::Date32 => array.as_primitive::<Date32Type>().value(0).into(),
        DataType::Time32(_) => array
            .as_primitive::<Time32MillisecondType>()
            .value(0)
            .into(),
        DataType::Timestamp(..) => array
            .as_primitive::<TimestampMillisecondType>()
            .value(0)
            .into(),
        _ => array.as_primitive::<Int64Type>().value(0).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::Schema;

    fn converter(side: Side, pairs: &[(&str, &str)]) -> Result<TimestampConverter> {
        let props: Props = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        TimestampConverter::new(&props, side)
    }

    fn meta(pairs: &[(&str, &str)]) -> std::collections::HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn batch(field: Field, array: ArrayRef) -> RecordBatch {
        RecordBatch::try_new(Arc::new(Schema::new(vec![field])), vec![array]).unwrap()
    }

    fn logical_field(name: &str, data_type: DataType, logical: &str) -> Field {
        schema::with_name(Field::new(name, data_type, true), logical)
    }

    /// (output field, output column, errors as (row, class, message)).
    fn run(
        t: &TimestampConverter,
        input: RecordBatch,
    ) -> (Field, ArrayRef, Vec<(usize, String, String)>) {
        let applied = t.apply(&input).unwrap();
        let (field, array) = util::column(&applied.records, t.side.column()).unwrap();
        let errors = applied
            .errors
            .iter()
            .map(|e| {
                (
                    e.row,
                    e.error.java_class().to_string(),
                    e.error.message().to_string(),
                )
            })
            .collect();
        (field.as_ref().clone(), array.clone(), errors)
    }

    const TS: i64 = 1_700_000_000_123; // 2023-11-14T22:13:20.123Z

    #[test]
    fn config_def_and_config_errors() {
        let def = TimestampConverterConfig::config_def();
        let names: Vec<&str> = def.keys().iter().map(|k| k.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "field",
                "target.type",
                "format",
                "unix.precision",
                "replace.null.with.default"
            ]
        );
        let err = converter(Side::Value, &[("target.type", "string")]).unwrap_err();
        assert_eq!(
            err.message(),
            "TimestampConverter requires format option to be specified when using string timestamps"
        );
        let err = converter(
            Side::Value,
            &[("target.type", "unix"), ("format", "yyyy-bb")],
        )
        .unwrap_err();
        assert!(err.message().starts_with(
            "Invalid value java.lang.IllegalArgumentException: Illegal pattern character 'b' for configuration"
        ));
        let err = converter(Side::Value, &[("target.type", "datetime")]).unwrap_err();
        assert!(err
            .message()
            .contains("String must be one of: string, unix, Date, Time, Timestamp"));
        // A blank format is allowed for non-string targets.
        assert!(converter(Side::Value, &[("target.type", "unix"), ("format", "  ")]).is_ok());
    }

    #[test]
    fn whole_timestamp_to_every_target() {
        let input = || {
            batch(
                logical_field(
                    "value",
                    DataType::Timestamp(TimeUnit::Millisecond, None),
                    logical::TIMESTAMP,
                ),
                Arc::new(TimestampMillisecondArray::from(vec![
                    Some(TS),
                    Some(-1),
                    None,
                ])),
            )
        };
        let t = converter(
            Side::Value,
            &[
                ("target.type", "string"),
                ("format", "yyyy-MM-dd HH:mm:ss.SSS"),
            ],
        )
        .unwrap();
        let (f, a, e) = run(&t, input());
        assert!(e.is_empty());
        assert_eq!(f.data_type(), &DataType::Utf8);
        let s = a.as_string::<i32>();
        assert_eq!(s.value(0), "2023-11-14 22:13:20.123");
        assert_eq!(s.value(1), "1969-12-31 23:59:59.999");
        assert!(s.is_null(2));

        let t = converter(
            Side::Value,
            &[("target.type", "unix"), ("unix.precision", "seconds")],
        )
        .unwrap();
        let (f, a, _) = run(&t, input());
        assert_eq!(schema::schema_name(&f), None);
        let v = a.as_primitive::<Int64Type>();
        // TimeUnit.MILLISECONDS.toSeconds truncates toward zero.
        assert_eq!((v.value(0), v.value(1)), (1_700_000_000, 0));

        let t = converter(Side::Value, &[("target.type", "Date")]).unwrap();
        let (f, a, _) = run(&t, input());
        assert_eq!(schema::schema_name(&f), Some(logical::DATE));
        assert_eq!(
            f.metadata().get(schema::VERSION).map(String::as_str),
            Some("1")
        );
        let d = a.as_primitive::<Date32Type>();
        assert_eq!((d.value(0), d.value(1)), (19675, -1));

        let t = converter(Side::Value, &[("target.type", "Time")]).unwrap();
        let (f, a, _) = run(&t, input());
        assert_eq!(schema::schema_name(&f), Some(logical::TIME));
        let d = a.as_primitive::<Time32MillisecondType>();
        assert_eq!((d.value(0), d.value(1)), (80_000_123, 86_399_999));
    }

    #[test]
    fn unix_precisions_in_and_out() {
        let input = batch(
            Field::new("key", DataType::Int64, true),
            Arc::new(Int64Array::from(vec![TS * 1000 + 999, -1, i64::MAX])),
        );
        let t = converter(
            Side::Key,
            &[
                ("target.type", "Timestamp"),
                ("unix.precision", "microseconds"),
            ],
        )
        .unwrap();
        let (f, a, _) = run(&t, input);
        assert_eq!(schema::schema_name(&f), Some(logical::TIMESTAMP));
        let v = a.as_primitive::<TimestampMillisecondType>();
        assert_eq!(
            (v.value(0), v.value(1), v.value(2)),
            (TS, 0, i64::MAX / 1000)
        );
        let t = converter(
            Side::Key,
            &[("target.type", "unix"), ("unix.precision", "nanoseconds")],
        )
        .unwrap();
        let input = batch(
            logical_field("key", DataType::Date32, logical::DATE),
            Arc::new(Date32Array::from(vec![1, i32::MAX])),
        );
        let (_, a, _) = run(&t, input);
        let v = a.as_primitive::<Int64Type>();
        // TimeUnit.MILLISECONDS.toNanos saturates.
        assert_eq!((v.value(0), v.value(1)), (86_400_000_000_000, i64::MAX));
    }

    #[test]
    fn strings_parse_or_fail_as_java() {
        let input = || {
            batch(
                Field::new("value", DataType::Utf8, true),
                Arc::new(StringArray::from(vec![
                    Some("2023-11-14T22:13:20.123+01:00"),
                    Some("nope"),
                    None,
                ])),
            )
        };
        let t = converter(
            Side::Value,
            &[
                ("target.type", "unix"),
                ("format", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"),
            ],
        )
        .unwrap();
        let (_, a, e) = run(&t, input());
        assert_eq!(a.as_primitive::<Int64Type>().value(0), TS - 3_600_000);
        assert_eq!(
            e,
            [(
                1,
                "org.apache.kafka.connect.errors.DataException".to_string(),
                "Could not parse timestamp: value (nope) does not match pattern (yyyy-MM-dd'T'HH:mm:ss.SSSXXX)".to_string()
            )]
        );
        // No format: Java dereferences a null SimpleDateFormat.
        let t = converter(Side::Value, &[("target.type", "unix")]).unwrap();
        let (_, _, e) = run(&t, input());
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].1, NULL_POINTER_EXCEPTION);
    }

    #[test]
    fn non_timestamp_schemas_fail_with_connect_exception() {
        let t = converter(Side::Value, &[("target.type", "unix")]).unwrap();
        let input = batch(
            Field::new("value", DataType::Int32, true),
            Arc::new(arrow::array::Int32Array::from(vec![Some(5), None])),
        );
        let (_, _, e) = run(&t, input);
        // The optional schema's null value fails too: Java asks the schema first.
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].1, CONNECT_EXCEPTION);
        assert_eq!(
            e[0].2,
            "Schema Schema{INT32} does not correspond to a known timestamp type format"
        );
        // A tombstone comes without a schema (a schemaless Null column): null in, null out.
        let input = batch(
            schema::schemaless(Field::new("value", DataType::Null, true)),
            Arc::new(arrow::array::NullArray::new(2)),
        );
        let (f, a, e) = run(&t, input);
        assert!(e.is_empty());
        assert!(schema::is_schemaless(&f));
        assert_eq!(a.logical_null_count(), 2);
    }

    #[test]
    fn struct_field_with_default_and_other_fields_kept() {
        let ts = Field::new("ts", DataType::Int64, true)
            .with_metadata(meta(&[(schema::DEFAULT, "86400000")]));
        let other = Field::new("o", DataType::Utf8, false);
        let fields = Fields::from(vec![ts, other]);
        let structs = StructArray::new(
            fields.clone(),
            vec![
                Arc::new(Int64Array::from(vec![Some(TS), None, None])),
                Arc::new(StringArray::from(vec!["a", "b", "c"])),
            ],
            Some(NullBufferFrom::from(vec![true, true, false])),
        );
        let input = || {
            batch(
                Field::new("value", DataType::Struct(fields.clone()), true),
                Arc::new(structs.clone()) as ArrayRef,
            )
        };
        let t = converter(Side::Value, &[("target.type", "Date"), ("field", "ts")]).unwrap();
        let (f, a, e) = run(&t, input());
        assert!(e.is_empty());
        let DataType::Struct(out_fields) = f.data_type() else {
            panic!("{f:?}")
        };
        assert_eq!(out_fields[0].data_type(), &DataType::Date32);
        assert_eq!(schema::schema_name(&out_fields[0]), Some(logical::DATE));
        // Java's typeSchema is fresh: the default does not carry over.
        assert!(out_fields[0].metadata().get(schema::DEFAULT).is_none());
        let s = a.as_struct();
        let d = s.column(0).as_primitive::<Date32Type>();
        assert_eq!((d.value(0), d.value(1)), (19675, 1)); // null read as its default
        assert!(s.is_null(2));
        assert_eq!(s.column(1).as_string::<i32>().value(1), "b");

        let t = converter(
            Side::Value,
            &[
                ("target.type", "Date"),
                ("field", "ts"),
                ("replace.null.with.default", "false"),
            ],
        )
        .unwrap();
        let (_, a, _) = run(&t, input());
        assert!(a.as_struct().column(0).is_null(1));
    }

    #[test]
    fn schemaless_values_by_java_class() {
        let t = converter(Side::Value, &[("target.type", "unix"), ("format", "yyyy")]).unwrap();
        let raw = schema::schemaless(Field::new("value", DataType::Utf8, true))
            .with_metadata(meta(&[(schema::SCHEMALESS, "true"), (RAW_JSON, "true")]));
        let input = batch(
            raw,
            Arc::new(StringArray::from(vec![
                Some("\"2023\""),
                Some("5"),
                Some("1.5"),
                Some("null"),
                None,
            ])),
        );
        let (f, a, e) = run(&t, input);
        assert!(schema::is_schemaless(&f) && f.metadata().get(RAW_JSON).is_none());
        let v = a.as_primitive::<Int64Type>();
        assert_eq!((v.value(0), v.value(1)), (1_672_531_200_000, 5));
        assert_eq!(
            e,
            [(
                2,
                "org.apache.kafka.connect.errors.DataException".to_string(),
                "TimestampConverter does not support class java.lang.Double objects as timestamps"
                    .to_string()
            )]
        );
        // Field mode on a schemaless non-map.
        let t = converter(Side::Value, &[("target.type", "unix"), ("field", "f")]).unwrap();
        let input = batch(
            schema::schemaless(Field::new("value", DataType::Int64, true)),
            Arc::new(Int64Array::from(vec![Some(1), None])),
        );
        let (_, _, e) = run(&t, input);
        assert_eq!(
            e.iter().map(|e| (e.0, e.2.as_str())).collect::<Vec<_>>(),
            [(0, "Only Map objects supported in absence of schema for [converting timestamp formats], found: java.lang.Long")]
        );
        // A missing member is added with a null value.
        let fields = Fields::from(vec![Field::new("o", DataType::Int64, true)]);
        let input = batch(
            schema::schemaless(Field::new("value", DataType::Struct(fields.clone()), true)),
            Arc::new(StructArray::new(
                fields,
                vec![Arc::new(Int64Array::from(vec![1]))],
                None,
            )),
        );
        let (f, _, e) = run(&t, input);
        assert!(e.is_empty());
        let DataType::Struct(out) = f.data_type() else {
            panic!()
        };
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].name(), "f");
    }

    use arrow::buffer::NullBuffer as NullBufferFrom;
}
