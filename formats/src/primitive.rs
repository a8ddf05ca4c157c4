//! Kafka Connect's primitive converters, `org.apache.kafka.connect.converters.BooleanConverter`,
//! `DoubleConverter`, `FloatConverter`, `IntegerConverter`, `LongConverter` and
//! `ShortConverter`: one fixed-width value per payload, in the byte layout of Kafka's own
//! serializers. Each is registered as a converter and as a header converter, as in Java.
//!
//! | class | payload | column (Connect schema) |
//! |---|---|---|
//! | `BooleanConverter` | 1 byte: `0x00` false, `0x01` true | Boolean (`OPTIONAL_BOOLEAN`) |
//! | `ShortConverter` | 2 bytes, big-endian two's complement | Int16 (`OPTIONAL_INT16`) |
//! | `IntegerConverter` | 4 bytes, big-endian two's complement | Int32 (`OPTIONAL_INT32`) |
//! | `LongConverter` | 8 bytes, big-endian two's complement | Int64 (`OPTIONAL_INT64`) |
//! | `FloatConverter` | 4 bytes, big-endian IEEE 754 | Float32 (`OPTIONAL_FLOAT32`) |
//! | `DoubleConverter` | 8 bytes, big-endian IEEE 754 | Float64 (`OPTIONAL_FLOAT64`) |
//!
//! Decoding fills the column's value buffer straight from the payloads. A null payload is a null
//! value. A payload of another size is a row error (null in the column, the other rows decoded)
//! with Java's message, the `DataException` text followed by its cause's: `Failed to deserialize
//! long: Size of data received by LongDeserializer is not 8` (Java's Float and Double
//! deserializers call themselves just `Deserializer`). So is a boolean byte other than 0 or 1:
//! `Failed to deserialize boolean: Unexpected byte received by BooleanDeserializer: -1` (a Java
//! byte is signed).
//!
//! Encoding writes null rows as null payloads. Floats keep their bits (Java's
//! `floatToRawIntBits`); doubles are written as Java's `doubleToLongBits` writes them, so every
//! NaN becomes `7F F8 00 00 00 00 00 00`.
//!
//! Java casts each value to the converter's class, so only a column of exactly the converter's
//! type is encoded: a LongConverter refuses an Int32 column (no widening) with Java's
//! `DataException` message, `Failed to serialize to long (was class java.lang.Integer): `. Java
//! never casts a null, so a column of the Null type, or one whose rows are all null, gives null
//! payloads whatever its type. BooleanConverter checks the schema first, as Java does: a
//! non-empty column that has a Connect schema of another type is refused (`Invalid schema type
//! for BooleanConverter: INT32`) even if all its rows are null; a schemaless one only when it
//! holds a value (`BooleanConverter is not compatible with objects of type class
//! java.lang.Integer`).
//!
//! Keys: only `converter.type`, as Java's `NumberConverterConfig` and `BooleanConverterConfig`.

use std::marker::PhantomData;
use std::sync::Arc;

use arrow::array::builder::NullBufferBuilder;
use arrow::array::{Array, ArrayRef, BinaryArray, BooleanArray, PrimitiveArray};
use arrow::buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::{
    ArrowPrimitiveType, DataType, Field, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type,
};
use strait_engine::config::Props;
use strait_engine::plugin::{
    Converter, ConverterPlugin, Decoded, PluginInfo, PluginType, RowError,
};
use strait_engine::schema::is_schemaless;
use strait_engine::{Error, Result};

use crate::java::{connect_type_name, java_class_name};
use crate::ConverterConfig;

/// What sets one primitive converter apart from the others. Implemented by the marker types
/// [`Boolean`], [`Double`], [`Float`], [`Integer`], [`Long`] and [`Short`].
pub trait Primitive: Send + Sync + 'static {
    /// Java class name.
    const CLASS: &'static str;
    /// The type as Java's messages name it (`long`, `integer`).
    const NAME: &'static str;
    /// The deserializer as its size message names it.
    const DESERIALIZER: &'static str;
    /// Payload size in bytes.
    const WIDTH: usize;
    /// Arrow type of the column; the Connect schema is its optional form.
    const DATA_TYPE: DataType;
    /// The typed column.
    type Array: Array + 'static;
    /// One value.
    type Native: Copy + Default;

    /// One non-null payload as a value; `Err` holds the deserializer's message.
    fn read(payload: &[u8]) -> Result<Self::Native, String>;
    /// Append the payload bytes of a non-null row.
    fn write(column: &Self::Array, row: usize, out: &mut Vec<u8>);
    /// The decoded column.
    fn build(values: Vec<Self::Native>, nulls: Option<NullBuffer>) -> ArrayRef;

    /// The error for a column of another type than [`Self::DATA_TYPE`] (not Null), or `None`
    /// when Java would only have written nulls. Numbers: Java ignores the schema and casts each
    /// non-null value.
    fn refuse(_field: &Field, column: &dyn Array) -> Option<Error> {
        if column.logical_null_count() == column.len() {
            return None;
        }
        let was = class_of(column.data_type());
        let target = class_of(&Self::DATA_TYPE);
        Some(
            Error::data(format!(
                "Failed to serialize to {} (was {was}): ",
                Self::NAME
            ))
            .with_source(Error::data(format!(
                "java.lang.ClassCastException: {was} cannot be cast to {target}"
            ))),
        )
    }
}

/// `class java.lang.Integer`, as Java prints `value.getClass()`.
fn class_of(dt: &DataType) -> String {
    match java_class_name(dt) {
        Some(class) => format!("class {class}"),
        None => format!("Arrow type {dt}"),
    }
}

/// The deserializers' message for a payload of the wrong size.
fn size_error<P: Primitive>() -> String {
    format!(
        "Size of data received by {} is not {}",
        P::DESERIALIZER,
        P::WIDTH
    )
}

/// `org.apache.kafka.connect.converters.BooleanConverter`.
#[derive(Debug)]
pub enum Boolean {}

impl Primitive for Boolean {
    const CLASS: &'static str = "org.apache.kafka.connect.converters.BooleanConverter";
    const NAME: &'static str = "boolean";
    const DESERIALIZER: &'static str = "BooleanDeserializer";
    const WIDTH: usize = 1;
    const DATA_TYPE: DataType = DataType::Boolean;
    type Array = BooleanArray;
    type Native = bool;

    fn read(payload: &[u8]) -> Result<bool, String> {
        match payload {
            [0] => Ok(false),
            [1] => Ok(true),
            [b] => Err(format!(
                "Unexpected byte received by BooleanDeserializer: {}",
                *b as i8
            )),
            _ => Err(size_error::<Self>()),
        }
    }

    fn write(column: &BooleanArray, row: usize, out: &mut Vec<u8>) {
        out.push(u8::from(column.value(row)));
    }

    fn build(values: Vec<bool>, nulls: Option<NullBuffer>) -> ArrayRef {
        Arc::new(BooleanArray::new(BooleanBuffer::from(values), nulls))
    }

    /// Java checks the schema type before the value (even a null one), and casts the value only
    /// when there is no schema.
    fn refuse(field: &Field, column: &dyn Array) -> Option<Error> {
        let dt = column.data_type();
        if column.is_empty() {
            None
        } else if !is_schemaless(field) {
            let ty =
                connect_type_name(dt).map_or_else(|| format!("Arrow type {dt}"), str::to_string);
            Some(Error::data(format!(
                "Invalid schema type for BooleanConverter: {ty}"
            )))
        } else if column.logical_null_count() == column.len() {
            None
        } else {
            Some(Error::data(format!(
                "BooleanConverter is not compatible with objects of type {}",
                class_of(dt)
            )))
        }
    }
}

/// A number converter: marker type and its [`Primitive`] impl. `to_java` maps a value to the
/// one whose bits Java's serializer writes.
macro_rules! number {
    ($(#[$doc:meta])* $marker:ident: $arrow:ty, $class:literal, $name:literal,
     $deserializer:literal, $to_java:expr) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub enum $marker {}

        impl Primitive for $marker {
            const CLASS: &'static str = concat!("org.apache.kafka.connect.converters.", $class);
            const NAME: &'static str = $name;
            const DESERIALIZER: &'static str = $deserializer;
            const WIDTH: usize = std::mem::size_of::<Self::Native>();
            const DATA_TYPE: DataType = <$arrow as ArrowPrimitiveType>::DATA_TYPE;
            type Array = PrimitiveArray<$arrow>;
            type Native = <$arrow as ArrowPrimitiveType>::Native;

            fn read(payload: &[u8]) -> Result<Self::Native, String> {
                payload
                    .try_into()
                    .map(<Self::Native>::from_be_bytes)
                    .map_err(|_| size_error::<Self>())
            }

            fn write(column: &Self::Array, row: usize, out: &mut Vec<u8>) {
                let to_java: fn(Self::Native) -> Self::Native = $to_java;
                out.extend_from_slice(&to_java(column.value(row)).to_be_bytes());
            }

            fn build(values: Vec<Self::Native>, nulls: Option<NullBuffer>) -> ArrayRef {
                Arc::new(Self::Array::new(ScalarBuffer::from(values), nulls))
            }
        }
    };
}

number!(
    /// `org.apache.kafka.connect.converters.DoubleConverter` (every NaN written as Java's
    /// canonical `0x7ff8000000000000`, as `doubleToLongBits` does).
    Double: Float64Type, "DoubleConverter", "double", "Deserializer",
    |v: f64| if v.is_nan() { JAVA_NAN } else { v }
);

/// The NaN Java's `doubleToLongBits` writes for every NaN.
const JAVA_NAN: f64 = f64::from_bits(0x7ff8_0000_0000_0000);
number!(
    /// `org.apache.kafka.connect.converters.FloatConverter` (bits kept, as
    /// `floatToRawIntBits`).
    Float: Float32Type, "FloatConverter", "float", "Deserializer", |v| v
);
number!(
    /// `org.apache.kafka.connect.converters.IntegerConverter`.
    Integer: Int32Type, "IntegerConverter", "integer", "IntegerDeserializer", |v| v
);
number!(
    /// `org.apache.kafka.connect.converters.LongConverter`.
    Long: Int64Type, "LongConverter", "long", "LongDeserializer", |v| v
);
number!(
    /// `org.apache.kafka.connect.converters.ShortConverter`.
    Short: Int16Type, "ShortConverter", "short", "ShortDeserializer", |v| v
);

/// Kafka Connect's BooleanConverter.
pub type BooleanConverter = PrimitiveConverter<Boolean>;
/// Kafka Connect's DoubleConverter.
pub type DoubleConverter = PrimitiveConverter<Double>;
/// Kafka Connect's FloatConverter.
pub type FloatConverter = PrimitiveConverter<Float>;
/// Kafka Connect's IntegerConverter.
pub type IntegerConverter = PrimitiveConverter<Integer>;
/// Kafka Connect's LongConverter.
pub type LongConverter = PrimitiveConverter<Long>;
/// Kafka Connect's ShortConverter.
pub type ShortConverter = PrimitiveConverter<Short>;

/// Registration entries of the six converters (as converters; the caller adds the header
/// converter entries).
pub fn plugins() -> Vec<ConverterPlugin> {
    vec![
        plugin::<Boolean>(),
        plugin::<Double>(),
        plugin::<Float>(),
        plugin::<Integer>(),
        plugin::<Long>(),
        plugin::<Short>(),
    ]
}

/// Registration entry of one primitive converter.
pub fn plugin<P: Primitive>() -> ConverterPlugin {
    ConverterPlugin {
        info: PluginInfo {
            class: P::CLASS,
            extra_aliases: &[],
            kind: PluginType::Converter,
            version: env!("CARGO_PKG_VERSION"),
        },
        config_def: ConverterConfig::config_def,
        create: create::<P>,
    }
}

fn create<P: Primitive>(props: &Props, is_key: bool) -> Result<Arc<dyn Converter>> {
    Ok(Arc::new(PrimitiveConverter::<P>::new(props, is_key)?))
}

/// One of Kafka Connect's primitive converters (see the module docs and the aliases above).
#[derive(Debug)]
pub struct PrimitiveConverter<P> {
    column: &'static str,
    kind: PhantomData<P>,
}

impl<P: Primitive> PrimitiveConverter<P> {
    pub fn new(props: &Props, is_key: bool) -> Result<Self> {
        ConverterConfig::parse(&crate::with_converter_type(props, is_key))?;
        Ok(PrimitiveConverter {
            column: if is_key { "key" } else { "value" },
            kind: PhantomData,
        })
    }
}

impl<P: Primitive> Converter for PrimitiveConverter<P> {
    fn from_connect(&self, field: &Field, column: &ArrayRef) -> Result<BinaryArray> {
        if column.data_type() != &P::DATA_TYPE {
            if column.data_type() == &DataType::Null {
                return Ok(BinaryArray::new_null(column.len()));
            }
            return match P::refuse(field, column.as_ref()) {
                Some(err) => Err(err),
                None => Ok(BinaryArray::new_null(column.len())),
            };
        }
        let typed = column
            .as_any()
            .downcast_ref::<P::Array>()
            .ok_or_else(|| Error::bug(format!("{} column is not a {}", P::DATA_TYPE, P::NAME)))?;
        encode::<P>(typed)
    }

    fn to_connect(&self, payloads: &BinaryArray) -> Result<Decoded> {
        Ok(decode::<P>(payloads, self.column))
    }
}

/// Each non-null row as its `WIDTH` bytes, null rows as null payloads.
fn encode<P: Primitive>(column: &P::Array) -> Result<BinaryArray> {
    let rows = column.len();
    let nulls = column.nulls();
    let valid = |row: usize| nulls.is_none_or(|n| n.is_valid(row));
    let offsets =
        OffsetBuffer::<i32>::try_from_lengths(
            (0..rows).map(|row| if valid(row) { P::WIDTH } else { 0 }),
        )
        .map_err(|_| Error::data(format!("{} output exceeds 2 GiB", P::CLASS)))?;
    let mut out = Vec::with_capacity(rows * P::WIDTH);
    for row in (0..rows).filter(|&row| valid(row)) {
        P::write(column, row, &mut out);
    }
    Ok(BinaryArray::try_new(
        offsets,
        Buffer::from_vec(out),
        nulls.cloned(),
    )?)
}

/// The values of a payload column, with a row error (and a null) where a payload does not read.
fn decode<P: Primitive>(payloads: &BinaryArray, column: &'static str) -> Decoded {
    let mut values = Vec::with_capacity(payloads.len());
    let mut nulls = NullBufferBuilder::new(payloads.len());
    let mut errors = Vec::new();
    for (row, payload) in payloads.iter().enumerate() {
        let value = match payload.map(P::read) {
            None => None,
            Some(Ok(value)) => Some(value),
            Some(Err(cause)) => {
                errors.push(RowError {
                    row,
                    error: Error::data(format!("Failed to deserialize {}: {cause}", P::NAME)),
                });
                None
            }
        };
        values.push(value.unwrap_or_default());
        nulls.append(value.is_some());
    }
    Decoded::single(
        Field::new(column, P::DATA_TYPE, true),
        P::build(values, nulls.finish()),
        errors,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{
        AsArray, Date32Array, Float32Array, Float64Array, Int16Array, Int32Array, Int64Array,
        NullArray, StringArray,
    };
    use arrow::datatypes::{Int8Type, UInt8Type};
    use strait_engine::Fault;

    fn conv<P: Primitive>() -> PrimitiveConverter<P> {
        PrimitiveConverter::new(&Props::new(), false).unwrap()
    }

    /// Encode a column through the converter, as payload bytes per row.
    fn encode_column<P: Primitive>(column: ArrayRef) -> Vec<Option<Vec<u8>>> {
        let field = Field::new("value", column.data_type().clone(), true);
        let out = conv::<P>().from_connect(&field, &column).unwrap();
        out.iter().map(|p| p.map(<[u8]>::to_vec)).collect()
    }

    fn payloads(rows: &[Option<&[u8]>]) -> BinaryArray {
        rows.iter().copied().collect()
    }

    /// Decode, then encode again: the payloads come back (valid payloads only).
    fn round_trip<P: Primitive>(rows: &[Option<&[u8]>]) -> Decoded {
        let input = payloads(rows);
        let decoded = conv::<P>().to_connect(&input).unwrap();
        assert!(decoded.errors.is_empty(), "{:?}", decoded.errors);
        assert_eq!(decoded.only().unwrap().array.len(), rows.len());
        assert_eq!(decoded.only().unwrap().field.data_type(), &P::DATA_TYPE);
        assert!(decoded.only().unwrap().field.is_nullable());
        let back = conv::<P>()
            .from_connect(
                &decoded.only().unwrap().field,
                &decoded.only().unwrap().array,
            )
            .unwrap();
        assert_eq!(back, input);
        decoded
    }

    #[test]
    fn known_values_have_java_bytes() {
        assert_eq!(
            encode_column::<Long>(Arc::new(Int64Array::from(vec![Some(1), None, Some(-1)]))),
            vec![
                Some(vec![0, 0, 0, 0, 0, 0, 0, 1]),
                None,
                Some(vec![0xFF; 8])
            ]
        );
        assert_eq!(
            encode_column::<Double>(Arc::new(Float64Array::from(vec![1.5]))),
            vec![Some(vec![0x3F, 0xF8, 0, 0, 0, 0, 0, 0])]
        );
        assert_eq!(
            encode_column::<Float>(Arc::new(Float32Array::from(vec![1.5]))),
            vec![Some(vec![0x3F, 0xC0, 0, 0])]
        );
        assert_eq!(
            encode_column::<Short>(Arc::new(Int16Array::from(vec![-2, 258]))),
            vec![Some(vec![0xFF, 0xFE]), Some(vec![0x01, 0x02])]
        );
        assert_eq!(
            encode_column::<Integer>(Arc::new(Int32Array::from(vec![i32::MIN, 0x01020304]))),
            vec![Some(vec![0x80, 0, 0, 0]), Some(vec![1, 2, 3, 4])]
        );
        assert_eq!(
            encode_column::<Boolean>(Arc::new(BooleanArray::from(vec![
                Some(true),
                Some(false),
                None
            ]))),
            vec![Some(vec![0x01]), Some(vec![0x00]), None]
        );
    }

    #[test]
    fn values_round_trip_with_nulls() {
        let d = round_trip::<Long>(&[
            Some(&[0, 0, 0, 0, 0, 0, 0, 1]),
            None,
            Some(&[0x80, 0, 0, 0, 0, 0, 0, 0]),
        ]);
        let longs = d.only().unwrap().array.as_primitive::<Int64Type>();
        assert_eq!((longs.value(0), longs.value(2)), (1, i64::MIN));
        assert!(longs.is_null(1));

        let d = round_trip::<Integer>(&[None, Some(&[0xFF, 0xFF, 0xFF, 0xFE])]);
        assert_eq!(
            d.only().unwrap().array.as_primitive::<Int32Type>().value(1),
            -2
        );

        let d = round_trip::<Short>(&[Some(&[0x7F, 0xFF]), None]);
        assert_eq!(
            d.only().unwrap().array.as_primitive::<Int16Type>().value(0),
            i16::MAX
        );

        let d = round_trip::<Boolean>(&[Some(&[1]), Some(&[0]), None]);
        let b = d.only().unwrap().array.as_boolean();
        assert!(b.value(0) && !b.value(1) && b.is_null(2));

        let d = round_trip::<Double>(&[Some(&[0xC0, 0x09, 0x21, 0xFB, 0x54, 0x44, 0x2D, 0x18])]);
        assert_eq!(
            d.only()
                .unwrap()
                .array
                .as_primitive::<Float64Type>()
                .value(0),
            -std::f64::consts::PI
        );

        // No rows, and only nulls.
        round_trip::<Float>(&[]);
        round_trip::<Float>(&[None, None]);
    }

    #[test]
    fn nan_and_infinities() {
        let inf = f64::INFINITY.to_be_bytes();
        let ninf = f64::NEG_INFINITY.to_be_bytes();
        let nan = [0x7F, 0xF8, 0, 0, 0, 0, 0, 0];
        let d = round_trip::<Double>(&[Some(&inf), Some(&ninf), Some(&nan)]);
        let doubles = d.only().unwrap().array.as_primitive::<Float64Type>();
        assert_eq!(doubles.value(0), f64::INFINITY);
        assert_eq!(doubles.value(1), f64::NEG_INFINITY);
        assert!(doubles.value(2).is_nan());
        // Java's doubleToLongBits writes every NaN as the canonical one.
        let odd_nan = f64::from_bits(0xFFF0_0000_0000_0001);
        assert!(odd_nan.is_nan());
        assert_eq!(
            encode_column::<Double>(Arc::new(Float64Array::from(vec![odd_nan]))),
            vec![Some(nan.to_vec())]
        );

        // Floats keep their bits (floatToRawIntBits), NaN payloads included.
        let odd_nan = [0xFF, 0x80, 0x00, 0x01];
        let d = round_trip::<Float>(&[
            Some(&[0x7F, 0x80, 0, 0]),
            Some(&[0xFF, 0x80, 0, 0]),
            Some(&odd_nan),
            Some(&[0x80, 0, 0, 0]),
        ]);
        let floats = d.only().unwrap().array.as_primitive::<Float32Type>();
        assert_eq!(floats.value(0), f32::INFINITY);
        assert_eq!(floats.value(1), f32::NEG_INFINITY);
        assert!(floats.value(2).is_nan());
        assert!(floats.value(3) == 0.0 && floats.value(3).is_sign_negative());
    }

    #[test]
    fn wrong_sizes_are_row_errors() {
        let input = payloads(&[
            Some(&[0, 0, 0, 0, 0, 0, 0, 7]),
            Some(&[0, 0, 0, 7]),
            None,
            Some(&[]),
            Some(&[0, 0, 0, 0, 0, 0, 0, 0, 9]),
            Some(&[0, 0, 0, 0, 0, 0, 0, 9]),
        ]);
        let decoded = conv::<Long>().to_connect(&input).unwrap();
        let rows: Vec<usize> = decoded.errors.iter().map(|e| e.row).collect();
        assert_eq!(rows, vec![1, 3, 4]);
        for e in &decoded.errors {
            assert_eq!(e.error.fault(), Fault::Data);
            assert_eq!(
                e.error.message(),
                "Failed to deserialize long: Size of data received by LongDeserializer is not 8"
            );
        }
        let longs = decoded.only().unwrap().array.as_primitive::<Int64Type>();
        assert_eq!(longs.len(), 6);
        assert_eq!((longs.value(0), longs.value(5)), (7, 9));
        for row in [1, 2, 3, 4] {
            assert!(longs.is_null(row), "{row}");
        }

        let one_byte: &[Option<&[u8]>] = &[Some(&[1])];
        let size = |message: &str| vec![(0, message.to_string())];
        assert_eq!(
            row_errors::<Double>(one_byte),
            size("Failed to deserialize double: Size of data received by Deserializer is not 8")
        );
        assert_eq!(
            row_errors::<Float>(one_byte),
            size("Failed to deserialize float: Size of data received by Deserializer is not 4")
        );
        assert_eq!(
            row_errors::<Integer>(one_byte),
            size("Failed to deserialize integer: Size of data received by IntegerDeserializer is not 4")
        );
        assert_eq!(
            row_errors::<Short>(one_byte),
            size(
                "Failed to deserialize short: Size of data received by ShortDeserializer is not 2"
            )
        );
        assert_eq!(
            row_errors::<Boolean>(&[Some(&[1, 0])]),
            size("Failed to deserialize boolean: Size of data received by BooleanDeserializer is not 1")
        );
    }

    /// The row errors of decoding these payloads, as (row, message).
    fn row_errors<P: Primitive>(rows: &[Option<&[u8]>]) -> Vec<(usize, String)> {
        let decoded = conv::<P>().to_connect(&payloads(rows)).unwrap();
        for e in &decoded.errors {
            assert_eq!(e.error.fault(), Fault::Data);
            assert!(decoded.only().unwrap().array.is_null(e.row));
        }
        decoded
            .errors
            .into_iter()
            .map(|e| (e.row, e.error.message().to_string()))
            .collect()
    }

    #[test]
    fn bad_boolean_bytes_are_row_errors() {
        let rows: &[Option<&[u8]>] = &[Some(&[2]), Some(&[1]), Some(&[0xFF]), Some(&[0])];
        assert_eq!(
            row_errors::<Boolean>(rows),
            [
                (0, "Failed to deserialize boolean: Unexpected byte received by BooleanDeserializer: 2".to_string()),
                (2, "Failed to deserialize boolean: Unexpected byte received by BooleanDeserializer: -1".to_string()),
            ]
        );
        let decoded = conv::<Boolean>().to_connect(&payloads(rows)).unwrap();
        let b = decoded.only().unwrap().array.as_boolean();
        assert!(b.is_null(0) && b.value(1) && b.is_null(2) && !b.value(3));
    }

    /// The error a converter refuses a column with; its field has the column's type and, unless
    /// `schemaless`, a Connect schema.
    fn refusal<P: Primitive>(column: ArrayRef, schemaless: bool) -> Error {
        let field = Field::new("value", column.data_type().clone(), true);
        let field = if schemaless {
            strait_engine::schema::schemaless(field)
        } else {
            field
        };
        match conv::<P>().from_connect(&field, &column) {
            Err(err) => err,
            Ok(_) => panic!("{} encoded a {} column", P::CLASS, column.data_type()),
        }
    }

    /// Each refusal has Java's message, and is a data error.
    fn assert_refusals(cases: Vec<(Error, &str)>) {
        for (err, message) in cases {
            assert_eq!(err.fault(), Fault::Data, "{err}");
            assert_eq!(err.message(), message);
        }
    }

    #[test]
    fn only_the_converters_own_type_is_encoded() {
        let ints = || -> ArrayRef { Arc::new(Int32Array::from(vec![Some(1), None])) };
        let err = refusal::<Long>(ints(), false);
        assert!(
            err.trace().contains("java.lang.ClassCastException: class java.lang.Integer cannot be cast to class java.lang.Long"),
            "{}",
            err.trace()
        );
        assert_refusals(vec![
            (
                err,
                "Failed to serialize to long (was class java.lang.Integer): ",
            ),
            (
                refusal::<Integer>(Arc::new(Int64Array::from(vec![1])), false),
                "Failed to serialize to integer (was class java.lang.Long): ",
            ),
            (
                refusal::<Double>(Arc::new(Float32Array::from(vec![1.0])), false),
                "Failed to serialize to double (was class java.lang.Float): ",
            ),
            (
                refusal::<Integer>(Arc::new(Date32Array::from(vec![0])), true),
                "Failed to serialize to integer (was class java.util.Date): ",
            ),
            (
                refusal::<Short>(Arc::new(StringArray::from(vec!["1"])), false),
                "Failed to serialize to short (was class java.lang.String): ",
            ),
            (
                refusal::<Short>(Arc::new(PrimitiveArray::<Int8Type>::from(vec![1])), false),
                "Failed to serialize to short (was class java.lang.Byte): ",
            ),
            (
                refusal::<Float>(Arc::new(PrimitiveArray::<UInt8Type>::from(vec![1])), false),
                "Failed to serialize to float (was Arrow type UInt8): ",
            ),
        ]);

        // Java never casts a null: a column without values encodes as nulls whatever its type.
        let nulls: ArrayRef = Arc::new(Int32Array::from(vec![None, None]));
        assert_eq!(encode_column::<Long>(nulls), vec![None, None]);
        assert_eq!(
            encode_column::<Boolean>(Arc::new(NullArray::new(3))),
            vec![None, None, None]
        );
    }

    #[test]
    fn boolean_checks_the_schema_before_the_value() {
        let ints = || -> ArrayRef { Arc::new(Int32Array::from(vec![Some(1)])) };
        assert_refusals(vec![
            (
                refusal::<Boolean>(ints(), false),
                "Invalid schema type for BooleanConverter: INT32",
            ),
            // With a schema, even null values are refused, as in Java.
            (
                refusal::<Boolean>(Arc::new(StringArray::from(vec![None::<&str>])), false),
                "Invalid schema type for BooleanConverter: STRING",
            ),
            (
                refusal::<Boolean>(Arc::new(Date32Array::from(vec![0])), false),
                "Invalid schema type for BooleanConverter: INT32",
            ),
            // Without a schema, Java casts the value.
            (
                refusal::<Boolean>(ints(), true),
                "BooleanConverter is not compatible with objects of type class java.lang.Integer",
            ),
        ]);
        let schemaless =
            strait_engine::schema::schemaless(Field::new("value", DataType::Int32, true));
        let nulls: ArrayRef = Arc::new(Int32Array::from(vec![None]));
        let out = conv::<Boolean>().from_connect(&schemaless, &nulls).unwrap();
        assert_eq!(out.null_count(), 1);
        // No rows, no records to refuse.
        let empty: ArrayRef = Arc::new(Int32Array::from(Vec::<i32>::new()));
        assert_eq!(encode_column::<Boolean>(empty), vec![]);
    }

    #[test]
    fn sliced_columns_encode_their_own_rows() {
        let longs = Int64Array::from(vec![Some(1), None, Some(3), Some(4)]).slice(1, 2);
        assert_eq!(
            encode_column::<Long>(Arc::new(longs)),
            vec![None, Some(vec![0, 0, 0, 0, 0, 0, 0, 3])]
        );
        let bools = BooleanArray::from(vec![true, false, true]).slice(1, 2);
        assert_eq!(
            encode_column::<Boolean>(Arc::new(bools)),
            vec![Some(vec![0]), Some(vec![1])]
        );
    }

    #[test]
    fn plugins_are_named_and_configured_like_java() {
        let classes: Vec<&str> = plugins().iter().map(|p| p.info.class).collect();
        assert_eq!(
            classes,
            [
                "org.apache.kafka.connect.converters.BooleanConverter",
                "org.apache.kafka.connect.converters.DoubleConverter",
                "org.apache.kafka.connect.converters.FloatConverter",
                "org.apache.kafka.connect.converters.IntegerConverter",
                "org.apache.kafka.connect.converters.LongConverter",
                "org.apache.kafka.connect.converters.ShortConverter",
            ]
        );
        for plugin in plugins() {
            let def = (plugin.config_def)();
            let keys: Vec<&str> = def.keys().iter().map(|k| k.name.as_str()).collect();
            assert_eq!(keys, ["converter.type"], "{}", plugin.info.class);
            assert_eq!(plugin.info.version, env!("CARGO_PKG_VERSION"));
            let props = Props::from([("converter.type".to_string(), "sideways".to_string())]);
            let Err(err) = (plugin.create)(&props, false) else {
                panic!("{} accepted a bad converter.type", plugin.info.class)
            };
            assert_eq!(err.fault(), Fault::Config);
            assert!(err.message().contains("converter.type"), "{err}");
            let header = Props::from([("converter.type".to_string(), "header".to_string())]);
            assert!((plugin.create)(&header, false).is_ok());
        }
        let decoded = LongConverter::new(&Props::new(), true)
            .unwrap()
            .to_connect(&payloads(&[None]))
            .unwrap();
        assert_eq!(decoded.only().unwrap().field.name(), "key");
    }
}
