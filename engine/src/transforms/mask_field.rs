//! `org.apache.kafka.connect.transforms.MaskField$Key` / `$Value`: replace the values of some
//! fields of the key or value struct by a "null value" of their type, or by a replacement.
//!
//! The kernel rebuilds only the masked children: each becomes one constant (or empty
//! containers) wherever it is not null, the other children are shared. As in Java:
//!
//! - a null key/value fails (`requireStruct` / `requireMap`, no null pass-through);
//! - with a schema, the output schema is the input's; every field is read with its default
//!   (`replace.null.with.default`), a null stays null; a name not in the schema is ignored;
//! - without a schema every masked name is put, so a missing one comes back as a `null` entry;
//! - the mask depends on the value's Java class: `false`, `0` (also `Date(0)` and
//!   `BigDecimal.ZERO`), `""`, an empty list or map; other classes (structs, bytes) fail with
//!   `Cannot mask value of type: <class>`;
//! - `replacement` is parsed into the value's class as Java's `Values.convertTo*` parse it
//!   (`new BigDecimal(text)`, then Java's narrowing casts: `300` into an `INT8` is `44`); strings
//!   take it as is; other classes fail with `Cannot mask value of type <class> with custom
//!   replacement.`.
//!
//! A decimal's mask keeps the scale of the `BigDecimal` Java makes (`0` for the default mask,
//! the text's own for a replacement); when that is not the schema's scale Java's record cannot
//! be written by JsonConverter (`Decimal value has mismatching scale for given Decimal
//! schema. …`), and Strait's decimal column (one scale) cannot hold it: the row fails here with
//! that error.

use std::sync::Arc;

use arrow::array::{
    new_empty_array, Array, ArrayRef, ListArray, MapArray, RecordBatch, Scalar, StringArray,
    StructArray,
};
use arrow::buffer::OffsetBuffer;
use arrow::compute::kernels::zip::zip;
use arrow::datatypes::{DataType, Field, Fields};

use super::util::{self, column, key_value_plugins, Side};
use super::{Applied, Transform};
use crate::config::{Props, Validator};
use crate::declare_config;
use crate::error::{Error, Result};
use crate::plugin::RowError;
use crate::schema;

const PURPOSE: &str = "mask fields";

declare_config! {
    /// `MaskField.CONFIG_DEF`.
    #[derive(Debug, Clone)]
    pub struct MaskFieldConfig {
        pub fields: Vec<String> {
            key: "fields",
            ty: List,
            default: required,
            validator: Validator::NonEmptyList,
            importance: High,
            doc: "Names of fields to mask.",
        },
        pub replacement: Option<String> {
            key: "replacement",
            ty: String,
            default: null,
            validator: Validator::NonEmptyString,
            importance: Low,
            doc: "Custom value replacement, that will be applied to all 'fields' values (numeric or non-empty string values only).",
        },
        pub replace_null_with_default: bool {
            key: "replace.null.with.default",
            ty: Boolean,
            default: "true",
            importance: Medium,
            doc: util::REPLACE_NULL_WITH_DEFAULT_DOC,
        },
    }
}

key_value_plugins!(
    "org.apache.kafka.connect.transforms.MaskField",
    MaskFieldConfig,
    MaskField
);

pub struct MaskField {
    side: Side,
    fields: Vec<String>,
    replacement: Option<String>,
    replace_null_with_default: bool,
}

/// What a non-null value of one Java class is masked with.
#[derive(Debug, Clone, PartialEq)]
enum Masked {
    /// This value, as canonical JSON.
    Json(String),
    /// An empty list or map (or, without a schema, an empty object).
    Empty,
}

/// A decimal string as `new BigDecimal(text)` reads it: sign, every digit, scale.
struct BigDecimal {
    negative: bool,
    digits: Vec<u8>,
    scale: i64,
}

impl BigDecimal {
    /// Java's grammar: `[+-]digits[.digits][(e|E)[+-]digits]`, a digit on one side of the dot
    /// at least; `None` where Java throws `NumberFormatException`.
    fn parse(text: &str) -> Option<BigDecimal> {
        let (negative, rest) = match text.as_bytes().first()? {
            b'-' => (true, &text[1..]),
            b'+' => (false, &text[1..]),
            _ => (false, text),
        };
        let (mantissa, exponent) = match rest.find(['e', 'E']) {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int.len() + frac.len() == 0 || !all_digits(int) || !all_digits(frac) {
            return None;
        }
        let exponent: i64 = match exponent {
            None => 0,
            Some(e) => {
                let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
                if digits.is_empty() || !all_digits(digits) {
                    return None;
                }
                // Java's exponent is an int.
                i32::try_from(e.parse::<i64>().ok()?).ok()?.into()
            }
        };
        Some(BigDecimal {
            negative,
            digits: int.bytes().chain(frac.bytes()).map(|b| b - b'0').collect(),
            scale: frac.len() as i64 - exponent,
        })
    }

    /// `longValue()`: the integer part, its low 64 bits.
    fn long_value(&self) -> i64 {
        let keep = self.digits.len() as i64 - self.scale.max(0);
        let mut v: i64 = 0;
        for &d in &self.digits[..keep.max(0) as usize] {
            v = v.wrapping_mul(10).wrapping_add(d.into());
        }
        // 10^64 is a multiple of 2^64: more zeros change nothing.
        for _ in 0..(-self.scale).clamp(0, 64) {
            v = v.wrapping_mul(10);
        }
        if self.negative {
            v.wrapping_neg()
        } else {
            v
        }
    }

    /// `doubleValue()`, correctly rounded (BigDecimal has no negative zero).
    fn double_value(&self) -> f64 {
        if self.digits.iter().all(|&d| d == 0) {
            return 0.0;
        }
        let digits: String = self.digits.iter().map(|d| char::from(b'0' + d)).collect();
        let sign = if self.negative { "-" } else { "" };
        format!("{sign}{digits}e{}", -self.scale)
            .parse()
            .unwrap_or(f64::NAN)
    }

    /// The plain text of the value (digits with the point `scale` from the right).
    fn plain(&self) -> String {
        let mut digits: String = self.digits.iter().map(|d| char::from(b'0' + d)).collect();
        if self.scale < 0 {
            digits.extend(std::iter::repeat_n('0', (-self.scale) as usize));
        } else if self.scale > 0 {
            let scale = self.scale as usize;
            if digits.len() <= scale {
                digits = "0".repeat(scale + 1 - digits.len()) + &digits;
            }
            digits.insert(digits.len() - scale, '.');
        }
        if self.negative {
            format!("-{digits}")
        } else {
            digits
        }
    }
}

/// `Values.convertTo*`'s failure for a replacement that is no number.
fn not_a_number(replacement: &str) -> Error {
    Error::data(format!(
        "Unable to convert {replacement} (class java.lang.String) to a number"
    ))
}

/// Java's mask of a value of Java class `class`: `MaskField.masked`, with `decimal_scale` the
/// schema's scale of a decimal.
fn mask_of(class: &str, replacement: Option<&str>, decimal_scale: Option<i8>) -> Result<Masked> {
    let Some(r) = replacement else {
        return Ok(match class {
            "java.lang.Boolean" => Masked::Json("false".into()),
            "java.lang.Byte" | "java.lang.Short" | "java.lang.Integer" | "java.lang.Long"
            | "java.util.Date" => Masked::Json("0".into()),
            "java.lang.Float" | "java.lang.Double" => Masked::Json("0.0".into()),
            "java.lang.String" => Masked::Json("\"\"".into()),
            // `BigDecimal.ZERO`, scale 0.
            "java.math.BigDecimal" => decimal(
                &BigDecimal {
                    negative: false,
                    digits: vec![0],
                    scale: 0,
                },
                decimal_scale,
            )?,
            "java.util.ArrayList" | "java.util.HashMap" => Masked::Empty,
            _ => {
                return Err(Error::data(format!(
                    "Cannot mask value of type: class {class}"
                )))
            }
        });
    };
    let long = || {
        BigDecimal::parse(r)
            .map(|d| d.long_value())
            .ok_or_else(|| not_a_number(r))
    };
    let double = || {
        BigDecimal::parse(r)
            .map(|d| d.double_value())
            .ok_or_else(|| not_a_number(r))
    };
    Ok(Masked::Json(match class {
        // Java's narrowing casts of `asLong`.
        "java.lang.Byte" => (long()? as i8).to_string(),
        "java.lang.Short" => (long()? as i16).to_string(),
        "java.lang.Integer" => (long()? as i32).to_string(),
        "java.lang.Long" => long()?.to_string(),
        "java.lang.Float" => format!("{:?}", double()? as f32),
        "java.lang.Double" => format!("{:?}", double()?),
        "java.lang.String" => serde_json::Value::from(r).to_string(),
        "java.math.BigDecimal" => {
            let d = BigDecimal::parse(r).ok_or_else(|| {
                // `BigDecimal::new`'s NumberFormatException, caught by MaskField.
                Error::data(format!(
                    "Unable to convert {r} (class java.lang.String) to number"
                ))
            })?;
            return decimal(&d, decimal_scale);
        }
        _ => {
            return Err(Error::data(format!(
                "Cannot mask value of type class {class} with custom replacement."
            )))
        }
    }))
}

/// A decimal mask for a column of `scale`: Java's record holds the `BigDecimal` as it is, which
/// JsonConverter refuses to write at another scale.
fn decimal(d: &BigDecimal, scale: Option<i8>) -> Result<Masked> {
    let Some(scale) = scale else {
        return Err(Error::bug("decimal mask without a decimal column"));
    };
    if i64::from(scale) != d.scale {
        return Err(Error::data(format!(
            "Decimal value has mismatching scale for given Decimal schema. Schema has scale {scale}, value has scale {}.",
            d.scale
        )));
    }
    Ok(Masked::Json(d.plain()))
}

/// `values` with every non-null list, map or struct emptied (nulls stay null).
fn emptied(values: &ArrayRef) -> Result<ArrayRef> {
    let n = values.len();
    let nulls = values.logical_nulls();
    Ok(match values.data_type() {
        DataType::List(f) => Arc::new(ListArray::try_new(
            f.clone(),
            OffsetBuffer::new_zeroed(n),
            new_empty_array(f.data_type()),
            nulls,
        )?),
        DataType::Map(f, sorted) => {
            let entries = new_empty_array(f.data_type());
            let entries = entries
                .as_any()
                .downcast_ref::<StructArray>()
                .ok_or_else(|| Error::bug("map entries are not a struct"))?
                .clone();
            Arc::new(MapArray::try_new(
                f.clone(),
                OffsetBuffer::new_zeroed(n),
                entries,
                nulls,
                *sorted,
            )?)
        }
        DataType::Struct(_) => Arc::new(util::new_struct(Fields::empty(), vec![], nulls, n)?),
        other => return Err(Error::bug(format!("no empty {other} container"))),
    })
}

impl MaskField {
    fn new(props: &Props, side: Side) -> Result<Self> {
        let config = MaskFieldConfig::parse(props)?;
        Ok(MaskField {
            side,
            fields: config.fields,
            replacement: config.replacement,
            replace_null_with_default: config.replace_null_with_default,
        })
    }

    /// A masked child: its new field and values, and the rows (among `rows`) that fail.
    fn mask(
        &self,
        child: &Field,
        values: &ArrayRef,
        schemaless: bool,
        rows: &dyn Fn(usize) -> bool,
    ) -> Result<(Field, ArrayRef, Vec<RowError>)> {
        let as_value = if schemaless {
            schema::schemaless(child.clone())
        } else {
            child.clone()
        };
        let failing = |error: Error| {
            let message = error.message().to_string();
            (0..values.len())
                .filter(|&r| values.is_valid(r) && rows(r))
                .map(|row| RowError {
                    row,
                    error: Error::data(message.clone()),
                })
                .collect::<Vec<_>>()
        };
        let first = match values.data_type() {
            DataType::Null => None,
            _ => (0..values.len()).find(|&r| values.is_valid(r)),
        };
        let Some(first) = first else {
            // Nothing but nulls (a `Null` column without a schema): nulls stay null.
            return Ok((child.clone(), values.clone(), Vec::new()));
        };
        if schemaless && child.metadata().contains_key(util::RAW_JSON) {
            return self.mask_raw_json(child, values, rows);
        }
        let class = util::java_class(&as_value, values.as_ref(), first);
        let scale = match values.data_type() {
            DataType::Decimal128(_, s) => Some(*s),
            _ => None,
        };
        match mask_of(class, self.replacement.as_deref(), scale) {
            Err(e) => Ok((child.clone(), values.clone(), failing(e))),
            Ok(Masked::Empty) => {
                let out = emptied(values)?;
                let field = Field::new(child.name(), out.data_type().clone(), child.is_nullable())
                    .with_metadata(child.metadata().clone());
                Ok((field, out, Vec::new()))
            }
            Ok(Masked::Json(json)) => match util::default_scalar(child, &json) {
                Err(e) => Ok((child.clone(), values.clone(), failing(e))),
                Ok(one) => {
                    let mask = arrow::compute::is_not_null(values.as_ref())?;
                    let out = zip(&mask, &Scalar::new(one), values)?;
                    Ok((child.clone(), out, Vec::new()))
                }
            },
        }
    }

    /// A schemaless child of mixed types (each row's JSON text): each row masked by its own
    /// class.
    fn mask_raw_json(
        &self,
        child: &Field,
        values: &ArrayRef,
        rows: &dyn Fn(usize) -> bool,
    ) -> Result<(Field, ArrayRef, Vec<RowError>)> {
        let as_value = schema::schemaless(child.clone());
        let mut errors = Vec::new();
        let mut out: Vec<Option<String>> = Vec::with_capacity(values.len());
        for row in 0..values.len() {
            if values.is_null(row) {
                out.push(None);
                continue;
            }
            let class = util::java_class(&as_value, values.as_ref(), row);
            match mask_of(class, self.replacement.as_deref(), None) {
                Ok(Masked::Json(j)) => out.push(Some(j)),
                Ok(Masked::Empty) => out.push(Some(
                    if class == "java.util.ArrayList" {
                        "[]"
                    } else {
                        "{}"
                    }
                    .to_string(),
                )),
                Err(error) => {
                    if rows(row) {
                        errors.push(RowError { row, error });
                    }
                    out.push(None);
                }
            }
        }
        Ok((child.clone(), Arc::new(StringArray::from(out)), errors))
    }
}

impl Transform for MaskField {
    util::side_transform_methods!();

    fn apply(&self, records: &RecordBatch) -> Result<Applied> {
        let (field, array) = column(records, self.side.column())?;
        let (input, mut errors) = util::struct_operand(&field, array, PURPOSE, "MaskField", true);
        let Some(input) = input else {
            return Ok(Applied {
                records: records.clone(),
                errors,
                keep: None,
            });
        };
        let schemaless = schema::is_schemaless(&field);
        let parent_valid = |r: usize| input.is_valid(r);
        let mut failed = vec![false; input.len()];
        let mut fields: Vec<Field> = Vec::with_capacity(input.num_columns() + 1);
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(fields.capacity());
        for (child, values) in input.fields().iter().zip(input.columns()) {
            // `Struct.get` applies defaults; a schemaless map has none.
            let values = if schemaless {
                values.clone()
            } else {
                util::with_default(child, values, self.replace_null_with_default)?
            };
            if !self.fields.contains(child.name()) {
                fields.push(child.as_ref().clone());
                arrays.push(values);
                continue;
            }
            let (f, a, errs) = self.mask(child, &values, schemaless, &parent_valid)?;
            // Java stops at a record's first failing field.
            for e in errs {
                if !failed[e.row] {
                    failed[e.row] = true;
                    errors.push(e);
                }
            }
            fields.push(f);
            arrays.push(a);
        }
        if schemaless {
            // `updatedValue.put(field, masked(value.get(field)))` puts a missing name as null.
            for name in &self.fields {
                if !fields.iter().any(|f| f.name() == name) {
                    fields.push(Field::new(name, DataType::Null, true));
                    arrays.push(arrow::array::new_null_array(&DataType::Null, input.len()));
                }
            }
        }
        let fields = Fields::from(fields);
        let out = util::new_struct(fields.clone(), arrays, input.nulls().cloned(), input.len())?;
        let top = Field::new(field.name(), DataType::Struct(fields), true)
            .with_metadata(field.metadata().clone());
        Ok(Applied {
            records: util::replace(records, self.side.column(), top, Arc::new(out))?,
            errors,
            keep: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::columns;
    use crate::transforms::util::test_support::*;
    use arrow::array::{BooleanArray, Decimal128Array, Float32Array, Int8Array};

    fn run(
        pairs: &[(&str, &str)],
        side: Side,
        column: (Field, ArrayRef),
    ) -> (Field, StructArray, Vec<RowError>) {
        let transform = MaskField::new(&props(pairs), side).unwrap();
        let (batch, name) = match side {
            Side::Key => (sink_batch_key(column), columns::KEY),
            Side::Value => (sink_batch(column), columns::VALUE),
        };
        let out = transform.apply(&batch).unwrap();
        let (f, s) = struct_of(&out.records, name);
        (f, s, out.errors)
    }

    /// `{b: boolean, i: int8, s: string (default "d"), f: float32, l: list<int64>}`, the
    /// second row's children null, the third row null.
    fn sample(schemaless: bool) -> (Field, ArrayRef) {
        let list = ListArray::from_iter_primitive::<arrow::datatypes::Int64Type, _, _>(vec![
            Some(vec![Some(1)]),
            None,
            Some(vec![]),
        ]);
        let column = struct_column(
            vec![
                (
                    "b",
                    Arc::new(BooleanArray::from(vec![Some(true), None, Some(true)])) as ArrayRef,
                    true,
                ),
                (
                    "i",
                    Arc::new(Int8Array::from(vec![Some(5), None, Some(6)])),
                    true,
                ),
                (
                    "s",
                    Arc::new(StringArray::from(vec![Some("x"), None, None])),
                    true,
                ),
                (
                    "f",
                    Arc::new(Float32Array::from(vec![Some(1.5), None, None])),
                    true,
                ),
                ("l", Arc::new(list), true),
            ],
            Some(vec![true, true, false]),
            &[(schema::NAME, "com.example.V")],
            schemaless,
        );
        if schemaless {
            column
        } else {
            with_child_default(column, 2, "\"d\"")
        }
    }

    #[test]
    fn default_masks_follow_javas_classes_and_keep_the_schema() {
        let (f, s, errors) = run(&[("fields", "b,i,s,f,l,nope")], Side::Value, sample(false));
        assert_eq!(rows_of(&errors), [2], "a null value fails: {errors:?}");
        assert_eq!(
            errors[0].error.message(),
            "Only Struct objects supported for [mask fields], found: null"
        );
        assert_eq!(f.metadata().get(schema::NAME).unwrap(), "com.example.V");
        assert_eq!(s.num_columns(), 5, "a name not in the schema is ignored");
        let b = s.column(0).as_any().downcast_ref::<BooleanArray>().unwrap();
        assert!(!b.value(0));
        assert!(b.is_null(1), "a null stays null");
        let i = s.column(1).as_any().downcast_ref::<Int8Array>().unwrap();
        assert_eq!(i.value(0), 0);
        // The default replaces the null, then is masked.
        let st = s.column(2).as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!((st.value(0), st.value(1)), ("", ""));
        let l = s.column(4).as_any().downcast_ref::<ListArray>().unwrap();
        assert_eq!(l.value_length(0), 0);
        assert!(l.is_null(1));
    }

    #[test]
    fn replacements_parse_as_javas_values_do() {
        let (_, s, errors) = run(
            &[("fields", "i,f,s"), ("replacement", "300.9")],
            Side::Key,
            sample(false),
        );
        assert_eq!(rows_of(&errors), [2]);
        let i = s.column(1).as_any().downcast_ref::<Int8Array>().unwrap();
        assert_eq!(i.value(0), 44, "(byte) 300");
        let f = s.column(3).as_any().downcast_ref::<Float32Array>().unwrap();
        assert_eq!(f.value(0), 300.9f32);
        let st = s.column(2).as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(st.value(0), "300.9");
        let (_, _, errors) = run(
            &[("fields", "i"), ("replacement", "abc")],
            Side::Value,
            sample(false),
        );
        assert_eq!(
            rows_of(&errors),
            [2, 0],
            "row 1's i is null: nothing to convert"
        );
        assert_eq!(
            errors[1].error.message(),
            "Unable to convert abc (class java.lang.String) to a number"
        );
        let (_, _, errors) = run(
            &[("fields", "b"), ("replacement", "1")],
            Side::Value,
            sample(false),
        );
        assert_eq!(
            errors[1].error.message(),
            "Cannot mask value of type class java.lang.Boolean with custom replacement."
        );
    }

    #[test]
    fn schemaless_puts_missing_names_and_empties_objects() {
        let (_, s, errors) = run(&[("fields", "l,nope")], Side::Value, sample(true));
        assert_eq!(
            errors[0].error.message(),
            "Only Map objects supported in absence of schema for [mask fields], found: null"
        );
        let nope = s.column_by_name("nope").unwrap();
        assert_eq!(nope.logical_null_count(), 3);
        let l = s.column_by_name("l").unwrap();
        assert_eq!(
            l.as_any()
                .downcast_ref::<ListArray>()
                .unwrap()
                .value_length(0),
            0
        );
    }

    #[test]
    fn decimals_keep_javas_scale_and_fail_on_another() {
        let dec = Decimal128Array::from(vec![Some(1234), None])
            .with_precision_and_scale(38, 2)
            .unwrap();
        let column = || {
            struct_column(
                vec![("d", Arc::new(dec.clone()) as ArrayRef, true)],
                None,
                &[],
                false,
            )
        };
        let (_, s, errors) = run(
            &[("fields", "d"), ("replacement", "-0.05")],
            Side::Value,
            column(),
        );
        assert!(errors.is_empty());
        let d = s
            .column(0)
            .as_any()
            .downcast_ref::<Decimal128Array>()
            .unwrap();
        assert_eq!(d.value(0), -5);
        let (_, _, errors) = run(&[("fields", "d")], Side::Value, column());
        assert_eq!(rows_of(&errors), [0]);
        assert_eq!(
            errors[0].error.message(),
            "Decimal value has mismatching scale for given Decimal schema. Schema has scale 2, value has scale 0."
        );
    }

    #[test]
    fn big_decimal_text_reads_as_java_reads_it() {
        let long = |t: &str| BigDecimal::parse(t).map(|d| d.long_value());
        assert_eq!(long("1e3"), Some(1000));
        assert_eq!(long("-7.9"), Some(-7));
        assert_eq!(long(".5"), Some(0));
        assert_eq!(long("18446744073709551617"), Some(1));
        assert_eq!(long("1e999"), Some(0));
        for bad in ["", "-", "1e", "1.2.3", "NaN", "0x10", "1e+"] {
            assert!(BigDecimal::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(BigDecimal::parse("-0").unwrap().double_value(), 0.0);
        assert_eq!(BigDecimal::parse("12.5e-1").unwrap().plain(), "1.25");
        assert_eq!(BigDecimal::parse("5E+2").unwrap().plain(), "500");
    }
}
