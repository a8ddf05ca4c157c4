//! `org.apache.kafka.connect.transforms.Cast$Key` / `$Value`: cast fields, or the whole key or
//! value, to another primitive type, with Java's conversions column by column:
//!
//! - numbers narrow as Java's `Number.byteValue()` … `longValue()` do: integers wrap, floats
//!   truncate toward zero saturating at `int`/`long` (NaN → 0) before narrowing, decimals
//!   truncate and keep their low 32/64 bits; `boolean` is `longValue() != 0`;
//! - strings parse as `Byte.parseByte` … `Double.parseDouble` (a failure is the row's
//!   `DataException`, "Value (…) was out of range for requested data type"), and booleans as
//!   `Boolean.parseBoolean`;
//! - `string` prints as Java's `toString` (`Float.toString`, `BigDecimal.toString`), bytes as
//!   base64, and Date/Time/Timestamp as `Values.dateFormatFor` formats them (`HH:mm:ss.SSS'Z'`
//!   below one day, `yyyy-MM-dd` on whole days, else both joined by `T`, in UTC);
//! - other targets see Date/Time/Timestamp as their encoded `int`/`long` (days, millis).
//!
//! The output schema is Java's: a cast field gets a fresh schema (no name/doc), optional as the
//! original, its default cast; a whole-value cast keeps name, version, doc and parameters.

use std::sync::Arc;

use arrow::array::{
    new_null_array, Array, ArrayRef, AsArray, BooleanArray, Float32Array, Float64Array, Int64Array,
    RecordBatch, StringArray, StructArray,
};
use arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Field, Fields, Float32Type, Float64Type, Int16Type,
    Int32Type, Int64Type, Int8Type, Time32MillisecondType, TimeUnit, TimestampMillisecondType,
};

use super::registry::{Build, TransformPlugin};
use super::util::{self, RawKind, RowFailures, Side};
use super::{Applied, Needs, Transform, TransformContext};
use crate::config::{CustomValidator, Props, Validator, Value};
use crate::error::{Error, Result};
use crate::java_text::{write_big_decimal, write_double, write_float};
use crate::schema;

pub const KEY_CLASS: &str = "org.apache.kafka.connect.transforms.Cast$Key";
pub const VALUE_CLASS: &str = "org.apache.kafka.connect.transforms.Cast$Value";

const SUPPORTED_INPUT: &str =
    "[INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES]";
const SUPPORTED_OUTPUT: &str = "[INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]";
const PURPOSE: &str = "cast types";

crate::declare_config! {
    /// `Cast.CONFIG_DEF`.
    #[derive(Debug)]
    pub struct CastConfig {
        pub spec: Spec {
            key: "spec",
            ty: List,
            default: required,
            validator: Validator::Custom(&SPEC_VALIDATOR),
            importance: High,
            doc: "List of fields and the type to cast them to of the form field1:type,field2:type to cast fields of Maps or Structs. A single type to cast the entire value. Valid types are int8, int16, int32, int64, float32, float64, boolean, and string. Note that binary fields can only be cast to string.",
            try_map: |list: Vec<String>| parse_spec(&list),
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

pub const PLUGINS: &[TransformPlugin] = &[
    TransformPlugin {
        class: KEY_CLASS,
        config_def: CastConfig::config_def,
        build: Build::Transform(build_key),
    },
    TransformPlugin {
        class: VALUE_CLASS,
        config_def: CastConfig::config_def,
        build: Build::Transform(build_value),
    },
];

fn build_key(props: &Props, _: &TransformContext) -> Result<Box<dyn Transform>> {
    Ok(Box::new(Cast::new(Side::Key, CastConfig::parse(props)?)))
}

fn build_value(props: &Props, _: &TransformContext) -> Result<Box<dyn Transform>> {
    Ok(Box::new(Cast::new(Side::Value, CastConfig::parse(props)?)))
}

/// A cast target (`SUPPORTED_CAST_OUTPUT_TYPES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Int8,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    Boolean,
    String,
}

impl Target {
    /// The Arrow type of a Connect schema of this type.
    pub fn data_type(self) -> DataType {
        match self {
            Target::Int8 => DataType::Int8,
            Target::Int16 => DataType::Int16,
            Target::Int32 => DataType::Int32,
            Target::Int64 => DataType::Int64,
            Target::Float32 => DataType::Float32,
            Target::Float64 => DataType::Float64,
            Target::Boolean => DataType::Boolean,
            Target::String => DataType::Utf8,
        }
    }
}

/// A parsed `spec`: one type for the whole value, or a type per field.
#[derive(Debug, Clone, PartialEq)]
pub enum Spec {
    Whole(Target),
    /// In the order Java's `HashMap` iterates them (which decides which failure a row reports
    /// when several schemaless fields fail).
    Fields(Vec<(String, Target)>),
}

/// Java's `LambdaValidator` of `spec`: its error is the `ConfigException` the lambda throws.
static SPEC_VALIDATOR: CustomValidator = CustomValidator {
    describe: "list of colon-delimited pairs, e.g. <code>foo:bar,abc:xyz</code>",
    check: |_name, value| check_spec(value),
};

fn check_spec(value: &Value) -> Result<()> {
    match value {
        Value::List(list) if !list.is_empty() => parse_spec(list).map(drop),
        _ => Err(Error::config("Must specify at least one field to cast.")),
    }
}

/// Java's `String.trim()`: strips every char up to U+0020.
fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

/// `Schema.Type.valueOf(name.trim().toUpperCase(Locale.ROOT))`, checked as a cast output.
fn target_type(name: &str) -> Result<Target> {
    let name = java_trim(name);
    Ok(match name.to_uppercase().as_str() {
        "INT8" => Target::Int8,
        "INT16" => Target::Int16,
        "INT32" => Target::Int32,
        "INT64" => Target::Int64,
        "FLOAT32" => Target::Float32,
        "FLOAT64" => Target::Float64,
        "BOOLEAN" => Target::Boolean,
        "STRING" => Target::String,
        other @ ("BYTES" | "ARRAY" | "MAP" | "STRUCT") => {
            return Err(Error::config(format!(
                "Cast transformation does not support casting to {other}; supported types are {SUPPORTED_OUTPUT}"
            )))
        }
        upper => {
            // Java passes (message, exception) to ConfigException(name, value): the message
            // lands where the key name goes, word for word as Connect reports it.
            return Err(Error::config(format!(
                "Invalid value java.lang.IllegalArgumentException: No enum constant org.apache.kafka.connect.data.Schema.Type.{upper} for configuration Invalid type found in casting spec: {name}"
            )))
        }
    })
}

/// `Cast.parseFieldTypes`, with its exceptions.
pub fn parse_spec(mappings: &[String]) -> Result<Spec> {
    let mut whole = None;
    let mut fields: Vec<(String, Target)> = Vec::new();
    for mapping in mappings {
        // Java's String.split drops trailing empty strings.
        let mut parts: Vec<&str> = mapping.split(':').collect();
        while parts.last() == Some(&"") {
            parts.pop();
        }
        match parts.len() {
            0 => {
                return Err(Error::config("Index 1 out of bounds for length 0")
                    .with_java_class("java.lang.ArrayIndexOutOfBoundsException"))
            }
            1 => whole = Some(target_type(parts[0])?),
            2 => {
                let target = target_type(parts[1])?;
                let name = java_trim(parts[0]);
                match fields.iter_mut().find(|(n, _)| n == name) {
                    Some(entry) => entry.1 = target,
                    None => fields.push((name.to_string(), target)),
                }
            }
            _ => {
                return Err(Error::config(format!(
                "Invalid value [{}] for configuration renames: Invalid rename mapping: {mapping}",
                mappings.join(", ")
            )))
            }
        }
    }
    if let Some(target) = whole {
        if mappings.len() > 1 {
            return Err(Error::config(
                "Cast transformations that specify a type to cast the entire value to may only specify a single cast in their spec",
            ));
        }
        return Ok(Spec::Whole(target));
    }
    Ok(Spec::Fields(crate::java_text::java_hash_map_order(fields)))
}

/// The configured kernel.
#[derive(Debug)]
pub struct Cast {
    side: Side,
    spec: Spec,
    replace_null_with_default: bool,
}

impl Cast {
    pub fn new(side: Side, config: CastConfig) -> Self {
        Cast {
            side,
            spec: config.spec,
            replace_null_with_default: config.replace_null_with_default,
        }
    }

    fn class(&self) -> &'static str {
        match self.side {
            Side::Key => KEY_CLASS,
            Side::Value => VALUE_CLASS,
        }
    }

    /// `applyWithSchema` / `applySchemaless` over a whole column.
    fn cast(
        &self,
        field: &Field,
        array: &ArrayRef,
        failures: &mut RowFailures,
    ) -> Result<(Field, ArrayRef)> {
        let schemaless = schema::is_schemaless(field);
        match (&self.spec, schemaless) {
            (Spec::Whole(target), true) => {
                let (out, errors) = if util::is_raw_json(field) {
                    cast_raw_json(array.as_string::<i32>(), *target)?
                } else {
                    cast_column(array, true, *target)?
                };
                failures.add_all(errors);
                let mut md = field.metadata().clone();
                md.remove(schema::RAW_JSON);
                Ok((
                    util::retyped(field, target.data_type()).with_metadata(md),
                    out,
                ))
            }
            (Spec::Whole(target), false) => {
                let mut out_field = util::retyped(field, target.data_type());
                let mut md = out_field.metadata().clone();
                md.remove(schema::DEFAULT);
                match cast_default(field, *target) {
                    Ok(Some(d)) => {
                        md.insert(schema::DEFAULT.to_string(), d.1);
                    }
                    Ok(None) => {}
                    Err(e) => {
                        failures.all_rows(array.as_ref(), e.message());
                        return Ok((field.clone(), array.clone()));
                    }
                }
                out_field = out_field.with_metadata(md);
                let (out, errors) = cast_column(array, false, *target)?;
                failures.add_all(errors);
                Ok((out_field, out))
            }
            (Spec::Fields(fields), true) => {
                self.cast_schemaless_fields(field, array, fields, failures)
            }
            (Spec::Fields(fields), false) => {
                self.cast_struct_fields(field, array, fields, failures)
            }
        }
    }

    fn cast_struct_fields(
        &self,
        field: &Field,
        array: &ArrayRef,
        spec: &[(String, Target)],
        failures: &mut RowFailures,
    ) -> Result<(Field, ArrayRef)> {
        let DataType::Struct(fields) = field.data_type() else {
            failures.all_rows(array.as_ref(), "Cannot list fields on non-struct type");
            return Ok((field.clone(), array.clone()));
        };
        if field.metadata().contains_key(schema::DEFAULT) {
            // Java casts the struct's own default to STRUCT, which no input type allows.
            failures.all_rows(array.as_ref(), &unsupported_input("STRUCT"));
            return Ok((field.clone(), array.clone()));
        }
        let st = array.as_struct();
        let mut out_fields = Vec::with_capacity(fields.len());
        let mut columns = Vec::with_capacity(fields.len());
        for (child_field, child) in fields.iter().zip(st.columns()) {
            let target = spec
                .iter()
                .find(|(n, _)| n == child_field.name())
                .map(|(_, t)| *t);
            let Some(target) = target else {
                let mut child = child.clone();
                if self.replace_null_with_default {
                    match util::default_array(child_field) {
                        Ok(Some(d)) => child = util::fill_nulls(&child, &d)?,
                        Ok(None) => {}
                        Err(e) => failures.add_all(null_rows(&child, st, e.message())),
                    }
                }
                out_fields.push(child_field.clone());
                columns.push(child);
                continue;
            };
            let mut md = std::collections::HashMap::new();
            let default = match cast_default(child_field, target) {
                Ok(d) => d,
                Err(e) => {
                    failures.all_rows(array.as_ref(), e.message());
                    return Ok((field.clone(), array.clone()));
                }
            };
            let (mut out, errors) = cast_column(child, false, target)?;
            // A failure of a field in a null struct is no failure: Java never sees that row.
            failures.add_all(errors.into_iter().filter(|(r, _)| st.is_valid(*r)));
            if let Some((d, json)) = default {
                if self.replace_null_with_default {
                    out = util::fill_nulls(&out, &d)?;
                }
                md.insert(schema::DEFAULT.to_string(), json);
            }
            out_fields.push(Arc::new(
                Field::new(
                    child_field.name(),
                    target.data_type(),
                    child_field.is_nullable(),
                )
                .with_metadata(md),
            ));
            columns.push(out);
        }
        rebuilt(field, st, out_fields, columns, failures)
    }

    fn cast_schemaless_fields(
        &self,
        field: &Field,
        array: &ArrayRef,
        spec: &[(String, Target)],
        failures: &mut RowFailures,
    ) -> Result<(Field, ArrayRef)> {
        let DataType::Struct(fields) = field.data_type() else {
            if let DataType::Map(_, _) = array.data_type() {
                // Keys there vary by row; a cast would give one key's values another type.
                failures.all_rows(
                    array.as_ref(),
                    "Strait does not cast fields of schemaless maps with more than 128 distinct keys",
                );
            } else {
                util::require_map_failures(
                    field,
                    array,
                    PURPOSE,
                    "Strait does not cast fields of schemaless values that are objects in some records and not in others",
                    failures,
                );
            }
            return Ok((field.clone(), array.clone()));
        };
        let st = array.as_struct();
        let mut out_fields: Vec<Arc<Field>> = fields.iter().cloned().collect();
        let mut columns: Vec<ArrayRef> = st.columns().to_vec();
        for (name, target) in spec {
            let dt = target.data_type();
            match fields.iter().position(|f| f.name() == name) {
                Some(i) => {
                    let (out, errors) = if util::is_raw_json(&fields[i]) {
                        cast_raw_json(columns[i].as_string::<i32>(), *target)?
                    } else {
                        cast_column(&columns[i], true, *target)?
                    };
                    failures.add_all(errors.into_iter().filter(|(r, _)| st.is_valid(*r)));
                    let mut md = out_fields[i].metadata().clone();
                    md.remove(schema::RAW_JSON);
                    out_fields[i] = Arc::new(Field::new(name, dt, true).with_metadata(md));
                    columns[i] = out;
                }
                // Java puts the key with a null value.
                None => {
                    out_fields.push(Arc::new(Field::new(name, dt.clone(), true)));
                    columns.push(new_null_array(&dt, st.len()));
                }
            }
        }
        rebuilt(field, st, out_fields, columns, failures)
    }
}

/// The struct column `field` with new children; failed rows are nulled (their children may hold
/// nulls where the schema forbids them).
fn rebuilt(
    field: &Field,
    st: &StructArray,
    children: Vec<Arc<Field>>,
    columns: Vec<ArrayRef>,
    failures: &RowFailures,
) -> Result<(Field, ArrayRef)> {
    let nulls = util::null_out(st.nulls(), st.len(), failures.rows());
    let children = Fields::from(children);
    let out = StructArray::try_new(children.clone(), columns, nulls)?;
    Ok((
        util::retyped(field, DataType::Struct(children)),
        Arc::new(out),
    ))
}

/// Rows where `child` is null inside a non-null struct: they fail with `error`.
fn null_rows(child: &ArrayRef, parent: &StructArray, message: &str) -> Vec<(usize, Error)> {
    (0..child.len())
        .filter(|&r| child.is_null(r) && parent.is_valid(r))
        .map(|r| (r, Error::data(message)))
        .collect()
}

impl Transform for Cast {
    fn class(&self) -> &'static str {
        Cast::class(self)
    }

    fn needs(&self) -> Needs {
        self.side.needs()
    }

    fn apply(&self, records: &RecordBatch) -> Result<Applied> {
        util::apply_to_side(records, self.side, |field, array, failures| {
            self.cast(field, array, failures)
        })
    }
}

fn unsupported_input(ty: &str) -> String {
    format!(
        "Cast transformation does not support casting from {ty}; supported types are {SUPPORTED_INPUT}"
    )
}

/// The cast of a field's default: the one-row array and its JSON text; `Err` is the exception
/// Java throws building the schema.
fn cast_default(field: &Field, target: Target) -> Result<Option<(ArrayRef, String)>> {
    let Some(default) = util::default_array(field)? else {
        return Ok(None);
    };
    let (out, mut errors) = cast_column(&default, false, target)?;
    if let Some((_, e)) = errors.pop() {
        return Err(e);
    }
    let mut json = Vec::new();
    match target {
        Target::Int8 => json.extend(out.as_primitive::<Int8Type>().value(0).to_string().bytes()),
        Target::Int16 => json.extend(out.as_primitive::<Int16Type>().value(0).to_string().bytes()),
        Target::Int32 => json.extend(out.as_primitive::<Int32Type>().value(0).to_string().bytes()),
        Target::Int64 => json.extend(out.as_primitive::<Int64Type>().value(0).to_string().bytes()),
        Target::Float32 => write_float(&mut json, out.as_primitive::<Float32Type>().value(0)),
        Target::Float64 => write_double(&mut json, out.as_primitive::<Float64Type>().value(0)),
        Target::Boolean => json.extend(out.as_boolean().value(0).to_string().bytes()),
        Target::String => json.extend(
            serde_json::to_string(out.as_string::<i32>().value(0))
                .map_err(|e| Error::bug(e.to_string()))?
                .bytes(),
        ),
    }
    Ok(Some((out, String::from_utf8_lossy(&json).into_owned())))
}

/// `castValueToType` over a column: the cast values (null where a row failed) and the failures.
/// `schemaless`: Java sees the values without a schema (so no logical types, and structs are
/// `Map`s).
pub fn cast_column(
    array: &ArrayRef,
    schemaless: bool,
    target: Target,
) -> Result<(ArrayRef, Vec<(usize, Error)>)> {
    let fail_all = |message: String| {
        let errors = util::valid_rows(array.as_ref())
            .map(|r| (r, Error::data(message.as_str())))
            .collect();
        Ok((new_null_array(&target.data_type(), array.len()), errors))
    };
    let logical = |class: &str| -> Result<(ArrayRef, Vec<(usize, Error)>)> {
        fail_all(format!(
            "Cast transformation was passed a value of type class {class} which is not supported by Connect's data API"
        ))
    };
    let no_errors = |a: ArrayRef| Ok((a, Vec::new()));
    match array.data_type() {
        DataType::Null => no_errors(new_null_array(&target.data_type(), array.len())),
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => {
            let longs = arrow::compute::cast(array, &DataType::Int64)?;
            no_errors(from_long(longs.as_primitive::<Int64Type>(), target)?)
        }
        DataType::Float32 => {
            let a = array.as_primitive::<Float32Type>();
            if target == Target::String {
                return no_errors(Arc::new(texts(a.iter(), write_float)));
            }
            let doubles: Float64Array = a.unary(|v| v as f64);
            no_errors(from_double(&doubles, target))
        }
        DataType::Float64 => {
            let a = array.as_primitive::<Float64Type>();
            if target == Target::String {
                return no_errors(Arc::new(texts(a.iter(), write_double)));
            }
            no_errors(from_double(a, target))
        }
        DataType::Boolean => {
            let a = array.as_boolean();
            if target == Target::String {
                return no_errors(arrow::compute::cast(array, &DataType::Utf8)?);
            }
            let longs: Int64Array = a.iter().map(|v| v.map(i64::from)).collect();
            no_errors(from_long(&longs, target)?)
        }
        DataType::Utf8 => Ok(from_string(array.as_string::<i32>(), target)),
        DataType::Binary => {
            if target == Target::String {
                use base64::Engine as _;
                let a = array.as_binary::<i32>();
                let b64 = base64::engine::general_purpose::STANDARD;
                let out: StringArray = a.iter().map(|v| v.map(|b| b64.encode(b))).collect();
                return no_errors(Arc::new(out));
            }
            fail_all("Unexpected type in Cast transformation: class [B".into())
        }
        DataType::Decimal128(_, _) if schemaless => logical("java.math.BigDecimal"),
        DataType::Decimal128(_, scale) => {
            let scale = *scale as i32;
            let a = array.as_primitive::<Decimal128Type>();
            match target {
                Target::String => no_errors(Arc::new(texts(a.iter(), |out, v| {
                    write_big_decimal(out, v, scale)
                }))),
                Target::Float32 => no_errors(Arc::new(
                    a.iter()
                        .map(|v| {
                            v.map(|v| format!("{v}e{}", -scale).parse::<f32>().unwrap_or(f32::NAN))
                        })
                        .collect::<Float32Array>(),
                )),
                Target::Float64 => no_errors(Arc::new(
                    a.iter()
                        .map(|v| {
                            v.map(|v| format!("{v}e{}", -scale).parse::<f64>().unwrap_or(f64::NAN))
                        })
                        .collect::<Float64Array>(),
                )),
                // BigDecimal.intValue()/longValue(): the truncated integer's low bits.
                _ => {
                    let low: Int64Array = a.unary(|v| decimal_truncated(v, scale) as i64);
                    no_errors(from_long(&low, target)?)
                }
            }
        }
        DataType::Date32
        | DataType::Time32(TimeUnit::Millisecond)
        | DataType::Timestamp(TimeUnit::Millisecond, _)
            if schemaless =>
        {
            logical("java.util.Date")
        }
        DataType::Date32
        | DataType::Time32(TimeUnit::Millisecond)
        | DataType::Timestamp(TimeUnit::Millisecond, _) => {
            let millis: Int64Array = match array.data_type() {
                DataType::Date32 => array
                    .as_primitive::<Date32Type>()
                    .unary(|d| d as i64 * MILLIS_PER_DAY),
                DataType::Time32(_) => array
                    .as_primitive::<Time32MillisecondType>()
                    .unary(|t| t as i64),
                _ => array
                    .as_primitive::<TimestampMillisecondType>()
                    .unary(|t| t),
            };
            if target == Target::String {
                let mut errors = Vec::new();
                let out: StringArray = millis
                    .iter()
                    .enumerate()
                    .map(|(row, v)| {
                        let text = java_date_text(v?);
                        if text.is_none() {
                            errors.push((
                                row,
                                Error::data("Strait cannot print dates beyond year 262143"),
                            ));
                        }
                        text
                    })
                    .collect();
                return Ok((Arc::new(out), errors));
            }
            // Date.fromLogical / Time.fromLogical: days and millis as Integer; Timestamp as Long.
            let encoded: Int64Array = match array.data_type() {
                DataType::Date32 => array.as_primitive::<Date32Type>().unary(|d| d as i64),
                _ => millis,
            };
            no_errors(from_long(&encoded, target)?)
        }
        DataType::Struct(_) | DataType::Map(_, _) if schemaless => {
            fail_all(unsupported_input("MAP"))
        }
        DataType::Struct(_) => fail_all(unsupported_input("STRUCT")),
        DataType::Map(_, _) => fail_all(unsupported_input("MAP")),
        DataType::List(_) => fail_all(unsupported_input("ARRAY")),
        other => Err(Error::bug(format!(
            "Cast: column of Arrow type {other} has no Connect type"
        ))),
    }
}

const MILLIS_PER_DAY: i64 = 86_400_000;

/// `castValueToType` over raw JSON values: each kind of value is split into its own typed
/// column, cast there, and the results merged back row by row.
fn cast_raw_json(raw: &StringArray, target: Target) -> Result<(ArrayRef, Vec<(usize, Error)>)> {
    let kinds: Vec<RawKind> = raw
        .iter()
        .map(|v| v.map_or(RawKind::Null, RawKind::of))
        .collect();
    let text = |row: usize| raw.value(row).trim();
    let pick = |k: RawKind| {
        kinds
            .iter()
            .enumerate()
            .map(move |(r, kind)| (*kind == k).then_some(r))
    };
    let longs: Int64Array = pick(RawKind::Long)
        .map(|r| r.and_then(|r| text(r).parse().ok()))
        .collect();
    let doubles: Float64Array = pick(RawKind::Double)
        .map(|r| r.and_then(|r| text(r).parse().ok()))
        .collect();
    let strings: StringArray = pick(RawKind::String)
        .map(|r| r.and_then(|r| serde_json::from_str::<String>(text(r)).ok()))
        .collect();
    let bools: BooleanArray = pick(RawKind::Boolean)
        .map(|r| r.map(|r| text(r) == "true"))
        .collect();
    let mut errors = Vec::new();
    let mut out = new_null_array(&target.data_type(), raw.len());
    for source in [
        Arc::new(longs) as ArrayRef,
        Arc::new(doubles),
        Arc::new(strings),
        Arc::new(bools),
    ] {
        let (cast, e) = cast_column(&source, true, target)?;
        errors.extend(e);
        let mask = arrow::compute::is_not_null(&source)?;
        out = arrow::compute::kernels::zip::zip(&mask, &cast, &out)?;
    }
    for (row, kind) in kinds.iter().enumerate() {
        match kind {
            RawKind::List => errors.push((row, Error::data(unsupported_input("ARRAY")))),
            RawKind::Map => errors.push((row, Error::data(unsupported_input("MAP")))),
            _ => {}
        }
    }
    errors.sort_by_key(|(r, _)| *r);
    Ok((out, errors))
}

/// `BigDecimal.toBigInteger()` (truncated toward zero), modulo 2^128: its low 64 bits are
/// `longValue()`'s.
fn decimal_truncated(unscaled: i128, scale: i32) -> i128 {
    if scale >= 0 {
        match 10i128.checked_pow(scale as u32) {
            Some(p) => unscaled / p,
            None => 0,
        }
    } else {
        unscaled.wrapping_mul(10i128.wrapping_pow(scale.unsigned_abs()))
    }
}

/// A string column from values printed by `write`.
fn texts<T>(
    values: impl Iterator<Item = Option<T>>,
    write: impl Fn(&mut Vec<u8>, T),
) -> StringArray {
    let (rows, _) = values.size_hint();
    let mut builder = arrow::array::StringBuilder::with_capacity(rows, rows * 8);
    let mut buf = Vec::new();
    for v in values {
        match v {
            Some(v) => {
                buf.clear();
                write(&mut buf, v);
                match std::str::from_utf8(&buf) {
                    Ok(text) => builder.append_value(text),
                    Err(_) => builder.append_value(String::from_utf8_lossy(&buf)),
                }
            }
            None => builder.append_null(),
        }
    }
    builder.finish()
}

/// Casts from a Java integer (`Byte` … `Long`, or what Java turned a value into before).
fn from_long(a: &Int64Array, target: Target) -> Result<ArrayRef> {
    Ok(match target {
        Target::Int8 => Arc::new(a.unary::<_, Int8Type>(|v| v as i8)),
        Target::Int16 => Arc::new(a.unary::<_, Int16Type>(|v| v as i16)),
        Target::Int32 => Arc::new(a.unary::<_, Int32Type>(|v| v as i32)),
        Target::Int64 => Arc::new(a.clone()),
        Target::Float32 => Arc::new(a.unary::<_, Float32Type>(|v| v as f32)),
        Target::Float64 => Arc::new(a.unary::<_, Float64Type>(|v| v as f64)),
        Target::Boolean => Arc::new(
            a.iter()
                .map(|v| v.map(|v| v != 0))
                .collect::<BooleanArray>(),
        ),
        // `Long.toString`: plain decimal digits.
        Target::String => {
            let mut builder = arrow::array::StringBuilder::with_capacity(a.len(), a.len() * 20);
            let mut digits = itoa::Buffer::new();
            for v in a.iter() {
                match v {
                    Some(v) => builder.append_value(digits.format(v)),
                    None => builder.append_null(),
                }
            }
            Arc::new(builder.finish())
        }
    })
}

/// Casts from a Java `Float`/`Double` (not to string): Java's narrowing goes through `int`
/// (or `long`), which Rust's saturating `as` (NaN → 0) matches.
fn from_double(a: &Float64Array, target: Target) -> ArrayRef {
    match target {
        Target::Int8 => Arc::new(a.unary::<_, Int8Type>(|v| v as i32 as i8)),
        Target::Int16 => Arc::new(a.unary::<_, Int16Type>(|v| v as i32 as i16)),
        Target::Int32 => Arc::new(a.unary::<_, Int32Type>(|v| v as i32)),
        Target::Int64 => Arc::new(a.unary::<_, Int64Type>(|v| v as i64)),
        Target::Float32 => Arc::new(a.unary::<_, Float32Type>(|v| v as f32)),
        Target::Float64 => Arc::new(a.clone()),
        Target::Boolean => Arc::new(
            a.iter()
                .map(|v| v.map(|v| v as i64 != 0))
                .collect::<BooleanArray>(),
        ),
        Target::String => Arc::new(texts(a.iter(), write_double)),
    }
}

/// Casts from a Java `String`: the parsers of `Byte` … `Double` and `Boolean.parseBoolean`.
fn from_string(a: &arrow::array::StringArray, target: Target) -> (ArrayRef, Vec<(usize, Error)>) {
    let mut errors = Vec::new();
    let out_of_range = |s: &str| {
        Error::data(format!(
            "Value ({s}) was out of range for requested data type"
        ))
    };
    macro_rules! parse_int {
        ($ty:ty, $arr:ty) => {{
            let out: $arr = a
                .iter()
                .enumerate()
                .map(|(row, v)| {
                    v.and_then(
                        |s| match java_parse_long(s).and_then(|n| <$ty>::try_from(n).ok()) {
                            Some(n) => Some(n),
                            None => {
                                errors.push((row, out_of_range(s)));
                                None
                            }
                        },
                    )
                })
                .collect();
            Arc::new(out) as ArrayRef
        }};
    }
    macro_rules! parse_float {
        ($ty:ty, $arr:ty) => {{
            let out: $arr = a
                .iter()
                .enumerate()
                .map(|(row, v)| {
                    v.and_then(|s| match java_parse_float::<$ty>(s) {
                        Ok(n) => Some(n),
                        Err(e) => {
                            errors.push((row, e.unwrap_or_else(|| out_of_range(s))));
                            None
                        }
                    })
                })
                .collect();
            Arc::new(out) as ArrayRef
        }};
    }
    let out = match target {
        Target::Int8 => parse_int!(i8, arrow::array::Int8Array),
        Target::Int16 => parse_int!(i16, arrow::array::Int16Array),
        Target::Int32 => parse_int!(i32, arrow::array::Int32Array),
        Target::Int64 => parse_int!(i64, Int64Array),
        Target::Float32 => parse_float!(f32, Float32Array),
        Target::Float64 => parse_float!(f64, Float64Array),
        Target::Boolean => Arc::new(
            a.iter()
                .map(|v| v.map(|s| s.eq_ignore_ascii_case("true")))
                .collect::<BooleanArray>(),
        ),
        Target::String => Arc::new(a.clone()),
    };
    (out, errors)
}

/// Code points of the Unicode decimal digit zeros in the Basic Multilingual Plane (each starts
/// a run of ten): `Character.digit(c, 10)` accepts all of them, and Java's integer parsers work
/// on UTF-16 units, so digits beyond the BMP are not digits there.
const BMP_DIGIT_ZEROS: &[u32] = &[
    0x0030, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6,
    0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80,
    0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0,
    0xFF10,
];

fn java_digit(c: char) -> Option<i128> {
    let c = c as u32;
    BMP_DIGIT_ZEROS
        .iter()
        .find(|&&z| (z..z + 10).contains(&c))
        .map(|z| (c - z) as i128)
}

/// `Long.parseLong(s)`: an optional sign, then at least one decimal digit; `None` on what Java
/// rejects (including overflow).
pub fn java_parse_long(s: &str) -> Option<i64> {
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    let mut n: i128 = 0;
    for c in digits.chars() {
        n = n * 10 + java_digit(c)?;
        if n > 1 << 63 {
            return None;
        }
    }
    i64::try_from(if negative { -n } else { n }).ok()
}

/// `Float.parseFloat` / `Double.parseDouble`: trimmed, an optional sign, `NaN`, `Infinity` or a
/// decimal number with optional exponent and one optional `f`/`F`/`d`/`D` suffix. `Err(None)`
/// is Java's `NumberFormatException`; `Err(Some(_))` a form Strait does not parse (hexadecimal).
pub fn java_parse_float<T: std::str::FromStr + From<f32>>(
    s: &str,
) -> std::result::Result<T, Option<Error>> {
    let t = java_trim(s);
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    let negative = t.starts_with('-');
    match unsigned {
        "NaN" => return Ok(T::from(f32::NAN)),
        "Infinity" => {
            return Ok(T::from(if negative {
                f32::NEG_INFINITY
            } else {
                f32::INFINITY
            }))
        }
        _ => {}
    }
    if unsigned.starts_with("0x") || unsigned.starts_with("0X") {
        return Err(Some(Error::data(format!(
            "Strait does not parse hexadecimal floating-point strings as Java does: {s}"
        ))));
    }
    let number = t.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(t);
    // Rust's grammar for these characters is Java's; other letters (inf, nan) are not Java's.
    if !number
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return Err(None);
    }
    number.parse::<T>().map_err(|_| None)
}

/// `Values.dateFormatFor(date).format(date)` in UTC (the JVM's default time zone on a Connect
/// worker is expected to be UTC; Java formats in it). `None` beyond chrono's calendar.
fn java_date_text(millis: i64) -> Option<String> {
    let time = |ms: i64| {
        let ms = ms.rem_euclid(MILLIS_PER_DAY);
        format!(
            "{:02}:{:02}:{:02}.{:03}Z",
            ms / 3_600_000,
            ms / 60_000 % 60,
            ms / 1000 % 60,
            ms % 1000
        )
    };
    if millis < MILLIS_PER_DAY {
        return Some(time(millis));
    }
    use chrono::Datelike as _;
    let days = millis / MILLIS_PER_DAY;
    let d = chrono::NaiveDate::from_num_days_from_ce_opt(i32::try_from(days + 719_163).ok()?)?;
    let date = format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day());
    Some(if millis % MILLIS_PER_DAY == 0 {
        date
    } else {
        format!("{date}T{}", time(millis))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{
        BinaryArray, Date32Array, Decimal128Array, Float64Array, Int32Array,
        TimestampMillisecondArray,
    };

    fn config(spec: &str, replace: bool) -> CastConfig {
        let props: Props = [
            ("spec".to_string(), spec.to_string()),
            ("replace.null.with.default".to_string(), replace.to_string()),
        ]
        .into();
        CastConfig::parse(&props).unwrap()
    }

    fn run(spec: &str, field: Field, array: ArrayRef) -> (Field, ArrayRef, Vec<(usize, String)>) {
        let cast = Cast::new(Side::Value, config(spec, true));
        let schema = Arc::new(arrow::datatypes::Schema::new(vec![field]));
        let records = RecordBatch::try_new(schema, vec![array]).unwrap();
        let applied = cast.apply(&records).unwrap();
        let out = applied.records;
        (
            out.schema().field(0).clone(),
            out.column(0).clone(),
            applied
                .errors
                .into_iter()
                .map(|e| (e.row, e.error.message().to_string()))
                .collect(),
        )
    }

    fn strings(a: &ArrayRef) -> Vec<Option<String>> {
        a.as_string::<i32>()
            .iter()
            .map(|v| v.map(String::from))
            .collect()
    }

    #[test]
    fn spec_errors_are_javas() {
        let err = |s: &[&str]| {
            parse_spec(&s.iter().map(|x| x.to_string()).collect::<Vec<_>>())
                .unwrap_err()
                .message()
                .to_string()
        };
        assert_eq!(
            err(&["a:bytes"]),
            "Cast transformation does not support casting to BYTES; supported types are [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]"
        );
        assert_eq!(
            err(&["a:foo"]),
            "Invalid value java.lang.IllegalArgumentException: No enum constant org.apache.kafka.connect.data.Schema.Type.FOO for configuration Invalid type found in casting spec: foo"
        );
        assert_eq!(
            err(&["a:int8:x", "b"]),
            "Invalid value [a:int8:x, b] for configuration renames: Invalid rename mapping: a:int8:x"
        );
        assert_eq!(
            err(&["int8", "a:int8"]),
            "Cast transformations that specify a type to cast the entire value to may only specify a single cast in their spec"
        );
        assert_eq!(
            parse_spec(&[" Int16 ".into()]).unwrap(),
            Spec::Whole(Target::Int16)
        );
        let props: Props = [("spec".to_string(), String::new())].into();
        assert_eq!(
            CastConfig::parse(&props).unwrap_err().message(),
            "Must specify at least one field to cast."
        );
        assert_eq!(CastConfig::config_def().keys().len(), 2);
    }

    #[test]
    fn fields_follow_java_hash_map_order() {
        // "a".hashCode() = 97 lands in bucket 1 of 16, "b" = 98 in bucket 2: Java iterates
        // a before b whatever order the spec gives.
        let Spec::Fields(f) = parse_spec(&["b:int8".into(), "a:int8".into()]).unwrap() else {
            panic!("fields expected");
        };
        assert_eq!(
            f.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
    }

    #[test]
    fn numbers_narrow_as_java() {
        let longs: ArrayRef = Arc::new(Int64Array::from(vec![Some(300), Some(-129), None]));
        let field = Field::new("value", DataType::Int64, true);
        let (f, out, errors) = run("int8", field.clone(), longs.clone());
        assert!(errors.is_empty());
        assert_eq!(f.data_type(), &DataType::Int8);
        let out = out.as_primitive::<Int8Type>();
        assert_eq!(out.iter().collect::<Vec<_>>(), [Some(44), Some(127), None]);

        let doubles: ArrayRef =
            Arc::new(Float64Array::from(vec![3.9, -3.9, f64::NAN, 1e20, 300.7]));
        let field = Field::new("value", DataType::Float64, true);
        let (_, out, _) = run("int8", field.clone(), doubles.clone());
        assert_eq!(
            out.as_primitive::<Int8Type>().values().to_vec(),
            [3, -3, 0, -1, 44]
        );
        let (_, out, _) = run("int64", field.clone(), doubles.clone());
        assert_eq!(out.as_primitive::<Int64Type>().value(3), i64::MAX);
        let (_, out, _) = run("boolean", field.clone(), doubles.clone());
        assert_eq!(
            out.as_boolean().iter().collect::<Vec<_>>(),
            [Some(true), Some(true), Some(false), Some(true), Some(true)]
        );
        let (_, out, _) = run("string", field, doubles);
        assert_eq!(strings(&out)[3].as_deref(), Some("1.0E20"));
    }

    #[test]
    fn decimals_truncate_and_print_as_java() {
        let dt = DataType::Decimal128(38, 3);
        let dec: ArrayRef = Arc::new(
            Decimal128Array::from(vec![123456, -987654321987, 1i128 << 70, 5])
                .with_data_type(dt.clone()),
        );
        let field = schema::with_name(Field::new("value", dt, true), schema::logical::DECIMAL);
        let (f, out, _) = run("string", field.clone(), dec.clone());
        assert_eq!(schema::schema_name(&f), Some(schema::logical::DECIMAL));
        assert_eq!(
            strings(&out),
            [
                "123.456",
                "-987654321.987",
                "1180591620717411303.424",
                "0.005"
            ]
            .map(|s| Some(s.to_string()))
        );
        let (_, out, _) = run("int32", field.clone(), dec.clone());
        // 2^70 / 1000 keeps its low 32 bits.
        let expected = ((1i128 << 70) / 1000) as i32;
        assert_eq!(
            out.as_primitive::<Int32Type>().values().to_vec(),
            [123, -987654321, expected, 0]
        );
        let (_, out, _) = run("boolean", field, dec);
        assert!(!out.as_boolean().value(3));
    }

    #[test]
    fn dates_print_as_values_date_format_for() {
        let dates: ArrayRef = Arc::new(Date32Array::from(vec![0, 1, 19000]));
        let field = schema::with_name(
            Field::new("value", DataType::Date32, true),
            schema::logical::DATE,
        );
        let (_, out, _) = run("string", field.clone(), dates.clone());
        assert_eq!(
            strings(&out),
            ["00:00:00.000Z", "1970-01-02", "2022-01-08"].map(|s| Some(s.to_string()))
        );
        let (_, out, _) = run("int64", field, dates);
        assert_eq!(
            out.as_primitive::<Int64Type>().values().to_vec(),
            [0, 1, 19000]
        );
        let ts: ArrayRef = Arc::new(TimestampMillisecondArray::from(vec![1700000000123, -1]));
        let field = Field::new("value", ts.data_type().clone(), true);
        let (_, out, _) = run("string", field, ts);
        assert_eq!(
            strings(&out),
            ["2023-11-14T22:13:20.123Z", "23:59:59.999Z"].map(|s| Some(s.to_string()))
        );
    }

    #[test]
    fn strings_parse_as_java_or_fail_the_row() {
        let s: ArrayRef = Arc::new(StringArray::from(vec![
            Some("\u{0664}2"),
            Some("+7"),
            Some(" 3"),
            Some("128"),
            None,
        ]));
        let field = Field::new("value", DataType::Utf8, true);
        let (_, out, errors) = run("int8", field.clone(), s);
        assert_eq!(out.as_primitive::<Int8Type>().value(0), 42);
        assert_eq!(out.as_primitive::<Int8Type>().value(1), 7);
        assert_eq!(
            errors,
            [
                (
                    2,
                    "Value ( 3) was out of range for requested data type".to_string()
                ),
                (
                    3,
                    "Value (128) was out of range for requested data type".to_string()
                )
            ]
        );
        let f: ArrayRef = Arc::new(StringArray::from(vec![
            " 2.5 ", "1.5f", "NaN", "inf", ".5", "1e400",
        ]));
        let (_, out, errors) = run("float64", field, f);
        let out = out.as_primitive::<Float64Type>();
        assert_eq!(out.value(0), 2.5);
        assert_eq!(out.value(1), 1.5);
        assert!(out.value(2).is_nan());
        assert_eq!(out.value(4), 0.5);
        assert_eq!(out.value(5), f64::INFINITY);
        assert_eq!(errors.iter().map(|(r, _)| *r).collect::<Vec<_>>(), [3]);
    }

    #[test]
    fn bytes_cast_to_base64_only() {
        let b: ArrayRef = Arc::new(BinaryArray::from_vec(vec![b"\x00\xffhi"]));
        let field = Field::new("value", DataType::Binary, true);
        let (_, out, _) = run("string", field.clone(), b.clone());
        assert_eq!(strings(&out), [Some("AP9oaQ==".to_string())]);
        let (_, _, errors) = run("int32", field, b);
        assert_eq!(
            errors[0].1,
            "Unexpected type in Cast transformation: class [B"
        );
    }

    fn struct_field(children: Vec<Field>) -> Field {
        Field::new("value", DataType::Struct(children.into()), true)
    }

    #[test]
    fn struct_fields_cast_with_java_schema_and_first_failure() {
        let mut md = std::collections::HashMap::new();
        md.insert(schema::DEFAULT.to_string(), "300".to_string());
        let x = Field::new("x", DataType::Int32, true).with_metadata(md);
        let s = Field::new("s", DataType::Utf8, false);
        let keep = Field::new("keep", DataType::Int32, true);
        let field = schema::with_name(
            struct_field(vec![x.clone(), s.clone(), keep.clone()]),
            "com.example.R",
        );
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int32Array::from(vec![Some(5), None, Some(1)])),
            Arc::new(StringArray::from(vec!["1", "2", "x"])),
            Arc::new(Int32Array::from(vec![7, 8, 9])),
        ];
        let DataType::Struct(fields) = field.data_type().clone() else {
            unreachable!()
        };
        let array: ArrayRef = Arc::new(StructArray::new(fields, columns, None));
        let (f, out, errors) = run("x:int8,s:int64", field, array);
        assert_eq!(schema::schema_name(&f), Some("com.example.R"));
        let DataType::Struct(out_fields) = f.data_type() else {
            panic!("struct expected")
        };
        assert_eq!(out_fields[0].data_type(), &DataType::Int8);
        assert!(out_fields[0].is_nullable());
        // The default is cast with the field: (byte) 300 = 44.
        assert_eq!(
            out_fields[0]
                .metadata()
                .get(schema::DEFAULT)
                .map(String::as_str),
            Some("44")
        );
        assert!(!out_fields[1].is_nullable());
        assert_eq!(out_fields[2].as_ref(), &keep);
        let st = out.as_struct();
        // replace.null.with.default: the null reads as the default, cast.
        assert_eq!(st.column(0).as_primitive::<Int8Type>().value(1), 44);
        assert_eq!(
            errors,
            [(
                2,
                "Value (x) was out of range for requested data type".to_string()
            )]
        );
        assert!(st.is_null(2));
    }

    #[test]
    fn schemaless_maps_gain_missing_fields_and_non_maps_fail() {
        let v = Field::new("v", DataType::Int64, true);
        let field = schema::schemaless(struct_field(vec![v.clone()]));
        let array: ArrayRef = Arc::new(StructArray::new(
            vec![v].into(),
            vec![Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef],
            None,
        ));
        let (f, out, errors) = run("v:string,nope:int32", field, array);
        assert!(errors.is_empty());
        assert!(schema::is_schemaless(&f));
        let st = out.as_struct();
        assert_eq!(strings(st.column(0)), [Some("1".into()), Some("2".into())]);
        assert_eq!(st.column_names(), ["v", "nope"]);
        assert_eq!(st.column(1).null_count(), 2);

        let field = schema::schemaless(Field::new("value", DataType::Int64, true));
        let (_, _, errors) = run(
            "v:string",
            field,
            Arc::new(Int64Array::from(vec![Some(1), None])),
        );
        assert_eq!(
            errors,
            [(0, "Only Map objects supported in absence of schema for [cast types], found: java.lang.Long".to_string())]
        );
    }

    #[test]
    fn tombstones_pass_through_untouched() {
        let field = Field::new("value", DataType::Int32, true);
        let (f, out, errors) = run(
            "string",
            field.clone(),
            Arc::new(Int32Array::from(vec![None, None])),
        );
        assert_eq!(f, field);
        assert_eq!(out.data_type(), &DataType::Int32);
        assert!(errors.is_empty());
    }

    #[test]
    fn raw_json_values_cast_by_their_kind() {
        let raw = StringArray::from(vec!["1", "\"12\"", "2.5", "true", "\"bad\"", "[1]"]);
        let (out, errors) = cast_raw_json(&raw, Target::Int16).unwrap();
        let out = out.as_primitive::<Int16Type>();
        assert_eq!(&out.values()[..4], &[1, 12, 2, 1]);
        assert_eq!(errors.iter().map(|(r, _)| *r).collect::<Vec<_>>(), [4, 5]);
    }
}
