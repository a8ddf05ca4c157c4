//! Connect schemas as JsonConverter reads and writes them, and how they sit on Arrow fields.
//!
//! [`ConnectSchema`] is the in-memory form of one envelope `"schema"`: parsed from JSON with
//! JsonConverter's rules (`asConnectSchema`), written back in exactly the object layout and key
//! order of `asJsonSchema`, and mapped to and from Arrow fields per
//! [`strait_engine::schema`] (type mapping, metadata keys). Defaults are kept as the canonical
//! JSON JsonConverter would write for them, which is also what the `connect.default` metadata
//! holds.

use std::collections::HashMap;

use arrow::datatypes::{DataType, Field, TimeUnit};
use strait_engine::schema::{self as md, logical};

use super::scan::{java_long, Fail, Res, Scanner};
use super::write::write_str;
use super::Opts;

/// A Connect schema type, with its children.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Type {
    Int8,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    Boolean,
    String,
    Bytes,
    Array(Box<ConnectSchema>),
    Map(Box<ConnectSchema>, Box<ConnectSchema>),
    Struct(Vec<(String, ConnectSchema)>),
}

/// The logical types JsonConverter converts specially (only on their base type, as Connect's
/// own `Decimal`, `Date`, `Time` and `Timestamp` schemas are built).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Logical {
    None,
    Decimal(i32),
    Date,
    Time,
    Timestamp,
}

/// One Connect schema.
#[derive(Debug, Clone)]
pub(crate) struct ConnectSchema {
    pub ty: Type,
    pub optional: bool,
    pub name: Option<String>,
    pub version: Option<i32>,
    pub doc: Option<String>,
    /// In insertion order (Connect keeps a `LinkedHashMap`).
    pub parameters: Option<Vec<(String, String)>>,
    /// Canonical JSON of the default value, as JsonConverter writes it.
    pub default: Option<Vec<u8>>,
}

/// Java's `ConnectSchema.equals`: every attribute and child schema, parameters compared as a
/// map (order does not matter, as for Java's `LinkedHashMap`), struct fields in order. Records
/// whose schemas are equal in this sense decode into one segment.
impl PartialEq for ConnectSchema {
    fn eq(&self, other: &Self) -> bool {
        let same_params = match (&self.parameters, &other.parameters) {
            (None, None) => true,
            // Keys are unique (`parse_params` keeps the last of duplicates).
            (Some(a), Some(b)) => a.len() == b.len() && a.iter().all(|entry| b.contains(entry)),
            _ => false,
        };
        self.optional == other.optional
            && self.ty == other.ty
            && self.default == other.default
            && self.name == other.name
            && self.version == other.version
            && self.doc == other.doc
            && same_params
    }
}

impl ConnectSchema {
    /// `Schema.Type` name, as Java's messages spell it.
    pub fn type_name(&self) -> &'static str {
        match self.ty {
            Type::Int8 => "INT8",
            Type::Int16 => "INT16",
            Type::Int32 => "INT32",
            Type::Int64 => "INT64",
            Type::Float32 => "FLOAT32",
            Type::Float64 => "FLOAT64",
            Type::Boolean => "BOOLEAN",
            Type::String => "STRING",
            Type::Bytes => "BYTES",
            Type::Array(_) => "ARRAY",
            Type::Map(_, _) => "MAP",
            Type::Struct(_) => "STRUCT",
        }
    }

    /// The envelope's `"type"` value.
    fn json_type(&self) -> &'static str {
        match self.ty {
            Type::Int8 => "int8",
            Type::Int16 => "int16",
            Type::Int32 => "int32",
            Type::Int64 => "int64",
            Type::Float32 => "float",
            Type::Float64 => "double",
            Type::Boolean => "boolean",
            Type::String => "string",
            Type::Bytes => "bytes",
            Type::Array(_) => "array",
            Type::Map(_, _) => "map",
            Type::Struct(_) => "struct",
        }
    }

    /// The logical type, if this schema is one JsonConverter converts.
    pub fn logical(&self) -> Result<Logical, String> {
        let Some(name) = self.name.as_deref() else {
            return Ok(Logical::None);
        };
        Ok(match (name, &self.ty) {
            (logical::DECIMAL, Type::Bytes) => {
                let scale = self
                    .parameters
                    .as_ref()
                    .and_then(|p| p.iter().find(|(k, _)| k == logical::DECIMAL_SCALE))
                    .ok_or("Invalid Decimal schema: scale parameter not found.")?;
                let scale = scale.1.trim().parse::<i32>().map_err(|_| {
                    format!(
                        "Invalid scale parameter found in Decimal schema: {}",
                        scale.1
                    )
                })?;
                Logical::Decimal(scale)
            }
            (logical::DATE, Type::Int32) => Logical::Date,
            (logical::TIME, Type::Int32) => Logical::Time,
            (logical::TIMESTAMP, Type::Int64) => Logical::Timestamp,
            _ => Logical::None,
        })
    }

    // ---- JSON -----------------------------------------------------------------------------

    /// Parse a schema (or `null`) at the scanner, with `asConnectSchema`'s rules and messages.
    pub fn parse(sc: &mut Scanner<'_>, opts: &Opts) -> Res<Option<ConnectSchema>> {
        match sc.peek() {
            Some(b'n') => {
                sc.literal(b"null")?;
                Ok(None)
            }
            Some(b'{') => Ok(Some(parse_object(sc, opts)?.0)),
            _ => {
                sc.skip_value()?;
                Err(Fail::Data("Schema must contain 'type' field".into()))
            }
        }
    }

    /// Append the schema JSON exactly as `asJsonSchema` builds it; `field` is the struct field
    /// name JsonConverter appends (last) to a struct member's schema.
    pub fn write_json(&self, out: &mut Vec<u8>, field: Option<&str>) {
        out.extend_from_slice(b"{\"type\":\"");
        out.extend_from_slice(self.json_type().as_bytes());
        out.push(b'"');
        match &self.ty {
            Type::Array(items) => {
                out.extend_from_slice(b",\"items\":");
                items.write_json(out, None);
            }
            Type::Map(k, v) => {
                out.extend_from_slice(b",\"keys\":");
                k.write_json(out, None);
                out.extend_from_slice(b",\"values\":");
                v.write_json(out, None);
            }
            Type::Struct(fields) => {
                out.extend_from_slice(b",\"fields\":[");
                for (i, (name, s)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    s.write_json(out, Some(name));
                }
                out.push(b']');
            }
            _ => {}
        }
        out.extend_from_slice(if self.optional {
            b",\"optional\":true"
        } else {
            b",\"optional\":false"
        });
        if let Some(name) = &self.name {
            out.extend_from_slice(b",\"name\":");
            write_str(out, name.as_bytes());
        }
        if let Some(v) = self.version {
            out.extend_from_slice(b",\"version\":");
            super::write::write_int(out, v as i64);
        }
        if let Some(doc) = &self.doc {
            out.extend_from_slice(b",\"doc\":");
            write_str(out, doc.as_bytes());
        }
        if let Some(params) = &self.parameters {
            out.extend_from_slice(b",\"parameters\":");
            write_params(out, params);
        }
        if let Some(d) = &self.default {
            out.extend_from_slice(b",\"default\":");
            out.extend_from_slice(d);
        }
        if let Some(f) = field {
            out.extend_from_slice(b",\"field\":");
            write_str(out, f.as_bytes());
        }
        out.push(b'}');
    }

    // ---- Arrow ----------------------------------------------------------------------------

    /// Field metadata carrying name, version, doc, parameters, default, and `optional` where
    /// Arrow nullability cannot say it (`top`: a top-level column is always nullable; `map_key`:
    /// Arrow map keys never are).
    pub fn metadata(&self, top: bool, map_key: bool) -> HashMap<String, String> {
        let mut m = HashMap::new();
        if let Some(n) = &self.name {
            m.insert(md::NAME.to_string(), n.clone());
        }
        if let Some(v) = self.version {
            m.insert(md::VERSION.to_string(), v.to_string());
        }
        if let Some(d) = &self.doc {
            m.insert(md::DOC.to_string(), d.clone());
        }
        if let Some(p) = &self.parameters {
            let mut out = Vec::new();
            write_params(&mut out, p);
            m.insert(
                md::PARAMETERS.to_string(),
                String::from_utf8_lossy(&out).into_owned(),
            );
        }
        if let Some(d) = &self.default {
            m.insert(
                md::DEFAULT.to_string(),
                String::from_utf8_lossy(d).into_owned(),
            );
        }
        if (top && !self.optional) || (map_key && self.optional) {
            m.insert(md::OPTIONAL.to_string(), self.optional.to_string());
        }
        m
    }

    /// The Connect schema of an Arrow field (the encoding side). `opts` decides how a default
    /// found in the metadata is re-canonicalized (decimal format).
    pub fn from_field(field: &Field, opts: &Opts) -> Result<ConnectSchema, String> {
        let meta = field.metadata();
        let optional = match meta.get(md::OPTIONAL).map(String::as_str) {
            Some("true") => true,
            Some("false") => false,
            _ => field.is_nullable(),
        };
        let mut name = meta.get(md::NAME).cloned();
        let mut version = match meta.get(md::VERSION) {
            Some(v) => Some(v.trim().parse::<i32>().map_err(|_| {
                format!(
                    "field {}: metadata {} is not an integer: {v}",
                    field.name(),
                    md::VERSION
                )
            })?),
            None => None,
        };
        let mut parameters = match meta.get(md::PARAMETERS) {
            Some(p) => Some(parse_params(p.as_bytes()).map_err(|e| {
                format!(
                    "field {}: metadata {} is not a JSON object of strings: {e}",
                    field.name(),
                    md::PARAMETERS
                )
            })?),
            None => None,
        };
        let doc = meta.get(md::DOC).cloned();
        // Logical types carry their Connect name and version even when the column came from
        // somewhere that never heard of Connect.
        let mut logical_name = |n: &str| {
            if name.is_none() {
                name = Some(n.to_string());
                version = version.or(Some(1));
            }
        };
        let ty = match field.data_type() {
            DataType::Int8 => Type::Int8,
            DataType::Int16 => Type::Int16,
            DataType::Int32 => Type::Int32,
            DataType::Int64 => Type::Int64,
            DataType::Float32 => Type::Float32,
            DataType::Float64 => Type::Float64,
            DataType::Boolean => Type::Boolean,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Type::String,
            DataType::Binary
            | DataType::LargeBinary
            | DataType::BinaryView
            | DataType::FixedSizeBinary(_) => Type::Bytes,
            DataType::Dictionary(_, v) if matches!(**v, DataType::Utf8 | DataType::LargeUtf8) => {
                Type::String
            }
            DataType::Decimal128(_, scale) => {
                logical_name(logical::DECIMAL);
                let scale = scale.to_string();
                let p = parameters.get_or_insert_with(Vec::new);
                match p.iter_mut().find(|(k, _)| k == logical::DECIMAL_SCALE) {
                    Some(entry) => entry.1 = scale,
                    None => p.push((logical::DECIMAL_SCALE.to_string(), scale)),
                }
                Type::Bytes
            }
            DataType::Date32 | DataType::Date64 => {
                logical_name(logical::DATE);
                Type::Int32
            }
            DataType::Time32(_) | DataType::Time64(_) => {
                logical_name(logical::TIME);
                Type::Int32
            }
            DataType::Timestamp(_, _) => {
                logical_name(logical::TIMESTAMP);
                Type::Int64
            }
            DataType::List(item) | DataType::LargeList(item) | DataType::FixedSizeList(item, _) => {
                Type::Array(Box::new(ConnectSchema::from_field(item, opts)?))
            }
            DataType::Map(entries, _) => match entries.data_type() {
                DataType::Struct(kv) if kv.len() == 2 => Type::Map(
                    Box::new(ConnectSchema::from_field(&kv[0], opts)?),
                    Box::new(ConnectSchema::from_field(&kv[1], opts)?),
                ),
                other => {
                    return Err(format!(
                        "field {}: unexpected map entries type {other}",
                        field.name()
                    ))
                }
            },
            DataType::Struct(children) => Type::Struct(
                children
                    .iter()
                    .map(|c| Ok((c.name().clone(), ConnectSchema::from_field(c, opts)?)))
                    .collect::<Result<_, String>>()?,
            ),
            other => {
                return Err(format!(
                    "field {}: Arrow type {other} has no Kafka Connect schema type",
                    field.name()
                ))
            }
        };
        let mut schema = ConnectSchema {
            ty,
            optional,
            name,
            version,
            doc,
            parameters,
            default: None,
        };
        if let Some(d) = meta.get(md::DEFAULT) {
            schema.default = super::canonical_default(&schema, d.as_bytes(), opts)
                .map_err(|e| format!("field {}: invalid default {d}: {e}", field.name()))?;
        }
        Ok(schema)
    }
}

/// Append schema parameters as a JSON object of strings.
fn write_params(out: &mut Vec<u8>, params: &[(String, String)]) {
    out.push(b'{');
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(out, k.as_bytes());
        out.push(b':');
        write_str(out, v.as_bytes());
    }
    out.push(b'}');
}

/// Parse a JSON object of strings (schema parameters), keeping its order.
pub(crate) fn parse_params(text: &[u8]) -> Res<Vec<(String, String)>> {
    let mut sc = Scanner::new(text);
    parse_params_at(&mut sc)
}

fn parse_params_at(sc: &mut Scanner<'_>) -> Res<Vec<(String, String)>> {
    let mut scratch = Vec::new();
    let mut out: Vec<(String, String)> = Vec::new();
    sc.expect(b'{', "'{'")?;
    sc.enter()?;
    if sc.peek() == Some(b'}') {
        sc.pos += 1;
    } else {
        loop {
            if sc.peek() != Some(b'"') {
                return Err(sc.unexpected("a field name (double-quote)"));
            }
            let key = String::from_utf8_lossy(sc.string(&mut scratch)?).into_owned();
            sc.expect(b':', "':'")?;
            if sc.peek() != Some(b'"') {
                sc.skip_value()?;
                return Err(Fail::Data(
                    "Schema parameters must have string values.".into(),
                ));
            }
            let value = String::from_utf8_lossy(sc.string(&mut scratch)?).into_owned();
            // Later duplicates replace earlier ones in place, as a LinkedHashMap put does.
            match out.iter_mut().find(|(k, _)| *k == key) {
                Some(entry) => entry.1 = value,
                None => out.push((key, value)),
            }
            if !sc.next_or_close(b'}')? {
                break;
            }
        }
    }
    sc.leave();
    Ok(out)
}

/// Parse one schema object; also returns its `"field"` member (struct member name), if any.
fn parse_object(sc: &mut Scanner<'_>, opts: &Opts) -> Res<(ConnectSchema, Option<String>)> {
    let mut scratch = Vec::new();
    let mut type_name: Option<Vec<u8>> = None;
    let mut optional = false;
    let mut name = None;
    let mut version = None;
    let mut doc = None;
    let mut parameters = None;
    let mut default: Option<(usize, usize)> = None;
    let mut items: Option<Option<ConnectSchema>> = None;
    let mut keys: Option<Option<ConnectSchema>> = None;
    let mut values: Option<Option<ConnectSchema>> = None;
    let mut fields: Option<Result<Vec<(String, ConnectSchema)>, ()>> = None;
    let mut field = None;

    sc.expect(b'{', "'{'")?;
    sc.enter()?;
    if sc.peek() == Some(b'}') {
        sc.pos += 1;
    } else {
        loop {
            if sc.peek() != Some(b'"') {
                return Err(sc.unexpected("a field name (double-quote)"));
            }
            let key = sc.string(&mut scratch)?.to_vec();
            sc.expect(b':', "':'")?;
            let c = sc.peek();
            let text = |sc: &mut Scanner<'_>, scratch: &mut Vec<u8>| -> Res<Option<String>> {
                if sc.peek() == Some(b'"') {
                    Ok(Some(
                        String::from_utf8_lossy(sc.string(scratch)?).into_owned(),
                    ))
                } else {
                    sc.skip_value()?;
                    Ok(None)
                }
            };
            match key.as_slice() {
                b"type" => {
                    type_name = if c == Some(b'"') {
                        Some(sc.string(&mut scratch)?.to_vec())
                    } else {
                        sc.skip_value()?;
                        None
                    }
                }
                b"optional" => {
                    optional = c == Some(b't');
                    sc.skip_value()?;
                }
                b"name" => name = text(sc, &mut scratch)?,
                b"doc" => doc = text(sc, &mut scratch)?,
                b"field" => field = text(sc, &mut scratch)?,
                b"version" => {
                    version = match c {
                        Some(b'-' | b'0'..=b'9') => {
                            let num = sc.number()?;
                            num.int.then(|| java_long(&num) as i32)
                        }
                        _ => {
                            sc.skip_value()?;
                            None
                        }
                    }
                }
                b"parameters" => {
                    parameters = if c == Some(b'{') {
                        // Java's builder only creates the map on the first parameter: `{}`
                        // leaves a schema without parameters.
                        Some(parse_params_at(sc)?).filter(|p| !p.is_empty())
                    } else {
                        sc.skip_value()?;
                        None
                    }
                }
                b"default" => {
                    sc.ws();
                    let start = sc.pos;
                    sc.skip_value()?;
                    default = Some((start, sc.pos));
                }
                b"items" => items = Some(ConnectSchema::parse(sc, opts)?),
                b"keys" => keys = Some(ConnectSchema::parse(sc, opts)?),
                b"values" => values = Some(ConnectSchema::parse(sc, opts)?),
                b"fields" => {
                    fields = Some(if c == Some(b'[') {
                        Ok(parse_fields(sc, opts)?)
                    } else {
                        sc.skip_value()?;
                        Err(())
                    })
                }
                _ => sc.skip_value()?,
            }
            if !sc.next_or_close(b'}')? {
                break;
            }
        }
    }
    sc.leave();

    let data = |m: &str| Fail::Data(m.to_string());
    let type_name = type_name.ok_or_else(|| data("Schema must contain 'type' field"))?;
    let ty = match type_name.as_slice() {
        b"boolean" => Type::Boolean,
        b"int8" => Type::Int8,
        b"int16" => Type::Int16,
        b"int32" => Type::Int32,
        b"int64" => Type::Int64,
        b"float" => Type::Float32,
        b"double" => Type::Float64,
        b"bytes" => Type::Bytes,
        b"string" => Type::String,
        b"array" => match items {
            Some(Some(s)) => Type::Array(Box::new(s)),
            _ => return Err(data("Array schema did not specify the element type")),
        },
        b"map" => {
            let k = keys.ok_or_else(|| data("Map schema did not specify the key type"))?;
            let v = values.ok_or_else(|| data("Map schema did not specify the value type"))?;
            match (k, v) {
                (Some(k), Some(v)) => Type::Map(Box::new(k), Box::new(v)),
                (None, _) => return Err(data("Map schema key schema must not be null")),
                (_, None) => return Err(data("Map schema value schema must not be null")),
            }
        }
        b"struct" => match fields {
            Some(Ok(f)) => Type::Struct(f),
            _ => return Err(data("Struct schema's \"fields\" argument is not an array.")),
        },
        other => {
            return Err(Fail::Data(format!(
                "Unknown schema type: {}",
                String::from_utf8_lossy(other)
            )));
        }
    };
    let mut schema = ConnectSchema {
        ty,
        optional,
        name,
        version,
        doc,
        parameters,
        default: None,
    };
    if let Some((start, end)) = default {
        let raw = &sc.buf[start..end];
        if raw == b"null" {
            if !schema.optional {
                return Err(Fail::Data(format!(
                    "Invalid null value for required {} field",
                    schema.type_name()
                )));
            }
        } else {
            schema.default = super::canonical_default(&schema, raw, opts).map_err(Fail::Data)?;
        }
    }
    Ok((schema, field))
}

fn parse_fields(sc: &mut Scanner<'_>, opts: &Opts) -> Res<Vec<(String, ConnectSchema)>> {
    let mut out: Vec<(String, ConnectSchema)> = Vec::new();
    sc.expect(b'[', "'['")?;
    sc.enter()?;
    if sc.peek() == Some(b']') {
        sc.pos += 1;
    } else {
        loop {
            if sc.peek() != Some(b'{') {
                sc.skip_value()?;
                return Err(Fail::Data(
                    "Struct schema's field name not specified properly".into(),
                ));
            }
            let (schema, name) = parse_object(sc, opts)?;
            let name = name.ok_or_else(|| {
                Fail::Data("Struct schema's field name not specified properly".into())
            })?;
            if out.iter().any(|(n, _)| *n == name) {
                return Err(Fail::Data(format!(
                    "Cannot create field because of field name duplication {name}"
                )));
            }
            out.push((name, schema));
            if !sc.next_or_close(b']')? {
                break;
            }
        }
    }
    sc.leave();
    Ok(out)
}

/// The Arrow type of a logical or primitive schema (containers are built by the decoder).
pub(crate) fn leaf_type(schema: &ConnectSchema) -> Result<DataType, String> {
    Ok(match (schema.logical()?, &schema.ty) {
        (Logical::Decimal(scale), _) => {
            let scale = i8::try_from(scale).map_err(|_| {
                format!(
                    "Decimal scale {scale} is outside what Arrow Decimal128 supports (-128..=127)"
                )
            })?;
            DataType::Decimal128(logical::DECIMAL_PRECISION, scale)
        }
        (Logical::Date, _) => DataType::Date32,
        (Logical::Time, _) => DataType::Time32(TimeUnit::Millisecond),
        (Logical::Timestamp, _) => DataType::Timestamp(TimeUnit::Millisecond, None),
        (_, Type::Int8) => DataType::Int8,
        (_, Type::Int16) => DataType::Int16,
        (_, Type::Int32) => DataType::Int32,
        (_, Type::Int64) => DataType::Int64,
        (_, Type::Float32) => DataType::Float32,
        (_, Type::Float64) => DataType::Float64,
        (_, Type::Boolean) => DataType::Boolean,
        (_, Type::String) => DataType::Utf8,
        (_, Type::Bytes) => DataType::Binary,
        (_, other) => return Err(format!("{other:?} is not a leaf type")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Option<ConnectSchema>, String> {
        let mut sc = Scanner::new(text.as_bytes());
        ConnectSchema::parse(&mut sc, &Opts::default()).map_err(|e| match e {
            Fail::Syntax(m) | Fail::Data(m) => m,
            Fail::Mismatch => "mismatch".into(),
        })
    }

    fn round_trip(text: &str) -> String {
        let s = parse(text).unwrap().unwrap();
        let mut out = Vec::new();
        s.write_json(&mut out, None);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn schemas_round_trip_in_java_key_order() {
        let text = r#"{"type":"struct","fields":[{"type":"int32","optional":false,"default":42,"field":"a"},{"type":"array","items":{"type":"string","optional":true},"optional":true,"field":"b"}],"optional":false,"name":"n","version":2,"doc":"d","parameters":{"x":"1","y":"2"}}"#;
        assert_eq!(round_trip(text), text);
        // Key order and whitespace of the input do not matter; Java's order comes out.
        assert_eq!(
            round_trip(r#"{ "optional" : true, "name":"x", "type" : "int64" }"#),
            r#"{"type":"int64","optional":true,"name":"x"}"#
        );
        // Defaults come out canonical.
        assert_eq!(
            round_trip(r#"{"type":"double","optional":false,"default":1.50}"#),
            r#"{"type":"double","optional":false,"default":1.5}"#
        );
    }

    #[test]
    fn equality_is_javas() {
        let eq = |a: &str, b: &str| parse(a).unwrap().unwrap() == parse(b).unwrap().unwrap();
        // Parameters are a map in Java: their order does not matter.
        assert!(eq(
            r#"{"type":"string","parameters":{"a":"1","b":"2"}}"#,
            r#"{"type":"string","parameters":{"b":"2","a":"1"}}"#
        ));
        // Omitted attributes take Java's defaults; defaults compare by value.
        assert!(eq(
            r#"{"type":"int32"}"#,
            r#"{"type":"int32","optional":false}"#
        ));
        assert!(eq(
            r#"{"type":"string"}"#,
            r#"{"type":"string","parameters":{}}"#
        ));
        assert!(eq(
            r#"{"type":"double","default":1.50}"#,
            r#"{"type":"double","default":1.5}"#
        ));
        for (a, b) in [
            (r#"{"type":"int32"}"#, r#"{"type":"int64"}"#),
            (r#"{"type":"int32"}"#, r#"{"type":"int32","optional":true}"#),
            (r#"{"type":"int32"}"#, r#"{"type":"int32","doc":"d"}"#),
            (r#"{"type":"int32"}"#, r#"{"type":"int32","version":1}"#),
            (r#"{"type":"int32"}"#, r#"{"type":"int32","name":"n"}"#),
            (r#"{"type":"int32"}"#, r#"{"type":"int32","default":1}"#),
            (
                r#"{"type":"string","parameters":{"a":"1"}}"#,
                r#"{"type":"string","parameters":{"a":"2"}}"#,
            ),
            (
                r#"{"type":"string","parameters":{"a":"1"}}"#,
                r#"{"type":"string","parameters":{"a":"1","b":"2"}}"#,
            ),
            // Struct fields compare in order, by name and schema.
            (
                r#"{"type":"struct","fields":[{"type":"int32","field":"a"},{"type":"int32","field":"b"}]}"#,
                r#"{"type":"struct","fields":[{"type":"int32","field":"b"},{"type":"int32","field":"a"}]}"#,
            ),
            (
                r#"{"type":"array","items":{"type":"int32"}}"#,
                r#"{"type":"array","items":{"type":"int32","optional":true}}"#,
            ),
        ] {
            assert!(!eq(a, b), "{a} == {b}");
        }
    }

    #[test]
    fn schema_errors_have_java_messages() {
        assert_eq!(
            parse(r#"{"optional":true}"#).unwrap_err(),
            "Schema must contain 'type' field"
        );
        assert_eq!(
            parse(r#"{"type":"nope"}"#).unwrap_err(),
            "Unknown schema type: nope"
        );
        assert_eq!(
            parse(r#"{"type":"array"}"#).unwrap_err(),
            "Array schema did not specify the element type"
        );
        assert_eq!(
            parse(r#"{"type":"map","keys":{"type":"string"}}"#).unwrap_err(),
            "Map schema did not specify the value type"
        );
        assert_eq!(
            parse(r#"{"type":"struct","fields":{}}"#).unwrap_err(),
            "Struct schema's \"fields\" argument is not an array."
        );
        assert_eq!(
            parse(r#"{"type":"struct","fields":[{"type":"int8"}]}"#).unwrap_err(),
            "Struct schema's field name not specified properly"
        );
        assert_eq!(
            parse(r#"{"type":"int8","parameters":{"a":1}}"#).unwrap_err(),
            "Schema parameters must have string values."
        );
        assert_eq!(
            parse(r#"{"type":"int8","default":null}"#).unwrap_err(),
            "Invalid null value for required INT8 field"
        );
        assert!(parse("null").unwrap().is_none());
    }

    #[test]
    fn logical_types_need_their_base_type() {
        let d = parse(r#"{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"3"}}"#)
            .unwrap()
            .unwrap();
        assert_eq!(d.logical(), Ok(Logical::Decimal(3)));
        assert_eq!(leaf_type(&d), Ok(DataType::Decimal128(38, 3)));
        let no_scale = parse(r#"{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal"}"#)
            .unwrap()
            .unwrap();
        assert!(no_scale.logical().is_err());
        let not_date = parse(r#"{"type":"int64","name":"org.apache.kafka.connect.data.Date"}"#)
            .unwrap()
            .unwrap();
        assert_eq!(not_date.logical(), Ok(Logical::None));
    }
}
