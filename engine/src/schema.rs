//! How Connect schemas travel on Arrow fields.
//!
//! Connect types map onto Arrow types one to one:
//!
//! | Connect | Arrow |
//! |---|---|
//! | INT8 / INT16 / INT32 / INT64 | Int8 / Int16 / Int32 / Int64 |
//! | FLOAT32 / FLOAT64 | Float32 / Float64 |
//! | BOOLEAN | Boolean |
//! | STRING | Utf8 |
//! | BYTES | Binary |
//! | ARRAY | List |
//! | MAP | Map (keys and values per the schema) |
//! | STRUCT | Struct |
//! | Decimal (logical, `scale` parameter) | Decimal128(38, scale) |
//! | Date (logical) | Date32 |
//! | Time (logical, millis) | Time32(Millisecond) |
//! | Timestamp (logical, millis) | Timestamp(Millisecond, none) |
//!
//! `optional` is Arrow nullability. Schema name, version, doc, parameters and default travel in
//! field metadata under the keys below, so a round trip through Arrow loses nothing. A value
//! without any Connect schema (schemaless JSON, raw bytes) carries [`SCHEMALESS`] = `"true"`.

use arrow::datatypes::Field;

/// Schema name (`Schema.name()`), e.g. `org.apache.kafka.connect.data.Decimal` or `ksql.users`.
pub const NAME: &str = "connect.name";
/// Schema version (`Schema.version()`), decimal string.
pub const VERSION: &str = "connect.version";
/// Schema doc (`Schema.doc()`).
pub const DOC: &str = "connect.doc";
/// Schema parameters as a compact JSON object of string → string, in insertion order.
pub const PARAMETERS: &str = "connect.parameters";
/// Default value as compact JSON, in JsonConverter's envelope encoding.
pub const DEFAULT: &str = "connect.default";
/// Present with value `"true"` when the column has no Connect schema (schemaless data).
pub const SCHEMALESS: &str = "connect.schemaless";
/// Connect's `optional` flag (`"true"`/`"false"`) where it differs from the Arrow nullability: a
/// top-level column with a required schema is still nullable (rows that failed to decode or
/// transform; tombstones have no schema, see [`SCHEMALESS`]), and Arrow map keys are never
/// nullable even when the key schema is optional.
pub const OPTIONAL: &str = "connect.optional";

/// Field metadata key marking a Utf8 column whose values are raw JSON text (schemaless values
/// whose types conflict: a number in one record, an object in another); the JSON encoder writes
/// them verbatim.
pub const RAW_JSON: &str = "strait.json.raw";

/// Logical type names, as Kafka Connect spells them.
pub mod logical {
    pub const DECIMAL: &str = "org.apache.kafka.connect.data.Decimal";
    pub const DATE: &str = "org.apache.kafka.connect.data.Date";
    pub const TIME: &str = "org.apache.kafka.connect.data.Time";
    pub const TIMESTAMP: &str = "org.apache.kafka.connect.data.Timestamp";
    /// Parameter carrying a Decimal's scale.
    pub const DECIMAL_SCALE: &str = "scale";
    /// Arrow precision used for Connect decimals (Connect has arbitrary precision).
    pub const DECIMAL_PRECISION: u8 = 38;
}

/// The Connect schema name of a field, if any.
pub fn schema_name(field: &Field) -> Option<&str> {
    field.metadata().get(NAME).map(String::as_str)
}

/// Whether a field carries schemaless data.
pub fn is_schemaless(field: &Field) -> bool {
    field.metadata().get(SCHEMALESS).map(String::as_str) == Some("true")
}

/// Mark a field as schemaless.
pub fn schemaless(field: Field) -> Field {
    let mut md = field.metadata().clone();
    md.insert(SCHEMALESS.to_string(), "true".to_string());
    field.with_metadata(md)
}

/// Set the Connect schema name of a field.
pub fn with_name(field: Field, name: &str) -> Field {
    let mut md = field.metadata().clone();
    md.insert(NAME.to_string(), name.to_string());
    field.with_metadata(md)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::DataType;

    #[test]
    fn metadata_helpers_round_trip() {
        let f = with_name(Field::new("value", DataType::Int32, true), logical::DATE);
        assert_eq!(schema_name(&f), Some(logical::DATE));
        assert!(!is_schemaless(&f));
        assert!(is_schemaless(&schemaless(f)));
    }
}
