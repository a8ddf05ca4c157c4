//! Java's text forms of Connect values, so converters print what Kafka Connect on the JVM prints.
//!
//! - [`write_double`], [`write_float`], [`write_big_decimal`], [`java_class`],
//!   [`java_class_name`], [`connect_type_name`], and [`JavaStringWriter`] (`String.valueOf` of
//!   any Connect value in an Arrow column, used by the `StringConverter` and the
//!   `FileStreamSink`): defined in the engine ([`strait_engine::java_text`], where transforms use
//!   them too) and re-exported here.

pub use strait_engine::java_text::{
    connect_type_name, java_class, java_class_name, write_big_decimal, write_date, write_double,
    write_float, BytesText, JavaStringWriter,
};
