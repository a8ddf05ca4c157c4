//! Avro schema JSON -> Connect schema, as `AvroData.toConnectSchema` builds it (read in
//! schema-registry `avro-data/src/main/java/io/confluent/connect/avro/AvroData.java`).
//!
//! The Avro schema is parsed into a small tree ([`AvroNode`]) whose named types (records,
//! enums, fixed) live once in [`Parsed::named`] and are referenced by index, as Avro's Java
//! `Schema` objects are shared. The decoder walks the same tree.
//!
//! Differences from Confluent: recursive (cyclic) schemas, the Variant logical type,
//! `generalized.sum.type.support=true` and `discard.type.doc.default=true` are refused with an
//! error. Invalid defaults are dropped as Java drops them (it logs a warning).

use base64::Engine;
use serde_json::{Map, Value};
use strait_engine::{Error, Result};

use super::write::{
    DECIMAL_PRECISION, DECIMAL_PRECISION_DEFAULT, DEFAULT_NAME, FIELD_DEFAULT_FLAG,
    FIELD_DOC_PREFIX, MAP_ENTRY, NAMESPACE, RECORD_DOC,
};
use super::AvroDataConfig;
use crate::json::connect::{ConnectSchema, Type};
use crate::json::Opts;
use strait_engine::schema::logical;

pub(crate) const UNION: &str = "io.confluent.connect.avro.Union";
pub(crate) const ENUM: &str = "io.confluent.connect.avro.Enum";
pub(crate) const ENUM_DOC_PREFIX: &str = "io.confluent.connect.avro.enum.doc.";
pub(crate) const ENUM_DEFAULT_PREFIX: &str = "io.confluent.connect.avro.enum.default.";
const FIXED_SIZE: &str = "connect.fixed.size";
const CONNECT_INTERNAL_TYPE: &str = "connect.internal.type";

/// An Avro schema node: its type and its non-reserved properties (`logicalType`, `connect.*`,
/// …). Named types keep their properties on their definition in [`Parsed::named`].
#[derive(Debug, Clone)]
pub(crate) struct AvroNode {
    pub kind: Kind,
    pub props: Map<String, Value>,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    Array(Box<AvroNode>),
    Map(Box<AvroNode>),
    Union(Vec<AvroNode>),
    /// A record, enum or fixed: index into [`Parsed::named`].
    Named(usize),
}

#[derive(Debug, Clone)]
pub(crate) struct Named {
    pub full_name: String,
    pub name: String,
    pub namespace: Option<String>,
    pub doc: Option<String>,
    pub props: Map<String, Value>,
    pub body: Body,
}

#[derive(Debug, Clone)]
pub(crate) enum Body {
    Record(Vec<AvroField>),
    Enum {
        symbols: Vec<String>,
        default: Option<String>,
    },
    Fixed(usize),
}

#[derive(Debug, Clone)]
pub(crate) struct AvroField {
    pub name: String,
    pub doc: Option<String>,
    /// `Some(Value::Null)` for an explicit `"default": null`.
    pub default: Option<Value>,
    pub props: Map<String, Value>,
    pub schema: AvroNode,
}

/// A parsed Avro schema.
#[derive(Debug, Clone)]
pub(crate) struct Parsed {
    pub named: Vec<Named>,
    pub root: AvroNode,
}

impl Parsed {
    pub fn parse(text: &str) -> Result<Parsed> {
        let json: Value = serde_json::from_str(text)
            .map_err(|e| Error::data(format!("Invalid Avro schema JSON: {e}")))?;
        let mut named = Vec::new();
        let root = parse_node(&json, None, &mut named)?;
        Ok(Parsed { named, root })
    }

    /// The Avro schema's own properties (a named type's are on its definition).
    pub fn props<'a>(&'a self, node: &'a AvroNode) -> &'a Map<String, Value> {
        match node.kind {
            Kind::Named(i) => &self.named[i].props,
            _ => &node.props,
        }
    }

    /// Whether an array's items are AvroData's key/value entry records (`isMapEntry`).
    pub fn map_entry(&self, items: &AvroNode) -> Option<usize> {
        let Kind::Named(i) = items.kind else {
            return None;
        };
        let n = &self.named[i];
        if !matches!(n.body, Body::Record(_)) {
            return None;
        }
        let by_name = n.namespace.as_deref() == Some(NAMESPACE) && n.name == MAP_ENTRY;
        let by_prop = n.props.get(CONNECT_INTERNAL_TYPE).and_then(Value::as_str) == Some(MAP_ENTRY);
        (by_name || by_prop).then_some(i)
    }
}

const RESERVED: &[&str] = &[
    "type",
    "name",
    "namespace",
    "fields",
    "items",
    "size",
    "symbols",
    "values",
    "aliases",
    "doc",
    "default",
];

fn primitive(name: &str) -> Option<Kind> {
    Some(match name {
        "null" => Kind::Null,
        "boolean" => Kind::Boolean,
        "int" => Kind::Int,
        "long" => Kind::Long,
        "float" => Kind::Float,
        "double" => Kind::Double,
        "bytes" => Kind::Bytes,
        "string" => Kind::String,
        _ => return None,
    })
}

fn bare(kind: Kind) -> AvroNode {
    AvroNode {
        kind,
        props: Map::new(),
    }
}

fn full_name(name: &str, space: Option<&str>) -> (String, String, Option<String>) {
    match name.rfind('.') {
        Some(i) => (
            name.to_string(),
            name[i + 1..].to_string(),
            Some(name[..i].to_string()),
        ),
        None => match space.filter(|s| !s.is_empty()) {
            Some(s) => (format!("{s}.{name}"), name.to_string(), Some(s.to_string())),
            None => (name.to_string(), name.to_string(), None),
        },
    }
}

fn lookup(name: &str, space: Option<&str>, named: &[Named]) -> Option<usize> {
    let (full, _, _) = full_name(name, space);
    named
        .iter()
        .position(|n| n.full_name == full)
        .or_else(|| named.iter().position(|n| n.full_name == name))
}

fn parse_node(json: &Value, space: Option<&str>, named: &mut Vec<Named>) -> Result<AvroNode> {
    match json {
        Value::String(s) => match primitive(s) {
            Some(k) => Ok(bare(k)),
            None => lookup(s, space, named)
                .map(|i| bare(Kind::Named(i)))
                .ok_or_else(|| Error::data(format!("Undefined name: \"{s}\""))),
        },
        Value::Array(branches) => Ok(bare(Kind::Union(
            branches
                .iter()
                .map(|b| parse_node(b, space, named))
                .collect::<Result<_>>()?,
        ))),
        Value::Object(obj) => {
            let props: Map<String, Value> = obj
                .iter()
                .filter(|(k, _)| !RESERVED.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let ty = obj
                .get("type")
                .ok_or_else(|| Error::data(format!("No type: {json}")))?;
            let ty = match ty {
                Value::String(t) => t.as_str(),
                // {"type": {...}} or {"type": [...]}: the nested schema (Avro ignores the
                // wrapper's properties here as well).
                other => return parse_node(other, space, named),
            };
            let doc = obj.get("doc").and_then(Value::as_str).map(str::to_string);
            let kind = match ty {
                "array" => {
                    let items = obj
                        .get("items")
                        .ok_or_else(|| Error::data("Array has no items type"))?;
                    Kind::Array(Box::new(parse_node(items, space, named)?))
                }
                "map" => {
                    let values = obj
                        .get("values")
                        .ok_or_else(|| Error::data("Map has no values type"))?;
                    Kind::Map(Box::new(parse_node(values, space, named)?))
                }
                "record" | "error" | "enum" | "fixed" => {
                    let name = obj
                        .get("name")
                        .and_then(Value::as_str)
                        .ok_or_else(|| Error::data(format!("No name in schema: {json}")))?;
                    let ns = match obj.get("namespace") {
                        Some(Value::String(s)) => Some(s.as_str()),
                        _ => space,
                    };
                    let (full, simple, namespace) = full_name(name, ns);
                    if named.iter().any(|n| n.full_name == full) {
                        return Err(Error::data(format!("Can't redefine: {full}")));
                    }
                    let index = named.len();
                    // Registered before the fields so a field can name it (recursion, refused
                    // later with a clear message).
                    named.push(Named {
                        full_name: full.clone(),
                        name: simple,
                        namespace: namespace.clone(),
                        doc,
                        props,
                        body: Body::Fixed(0),
                    });
                    let body = match ty {
                        "enum" => {
                            let symbols = obj
                                .get("symbols")
                                .and_then(Value::as_array)
                                .ok_or_else(|| Error::data("Enum has no symbols"))?
                                .iter()
                                .map(|s| {
                                    s.as_str().map(str::to_string).ok_or_else(|| {
                                        Error::data(format!("Enum symbol is not a string: {s}"))
                                    })
                                })
                                .collect::<Result<Vec<_>>>()?;
                            let default = obj
                                .get("default")
                                .and_then(Value::as_str)
                                .map(str::to_string);
                            Body::Enum { symbols, default }
                        }
                        "fixed" => {
                            let size = obj
                                .get("size")
                                .and_then(Value::as_u64)
                                .ok_or_else(|| Error::data("Invalid or no size: {json}"))?;
                            Body::Fixed(size as usize)
                        }
                        _ => {
                            let fields = obj
                                .get("fields")
                                .and_then(Value::as_array)
                                .ok_or_else(|| Error::data("Record has no fields"))?;
                            let mut out = Vec::with_capacity(fields.len());
                            for f in fields {
                                let fname = f
                                    .get("name")
                                    .and_then(Value::as_str)
                                    .ok_or_else(|| Error::data("No field name"))?;
                                if out.iter().any(|o: &AvroField| o.name == fname) {
                                    return Err(Error::data(format!(
                                        "Duplicate field {fname} in record {full}"
                                    )));
                                }
                                let fty = f
                                    .get("type")
                                    .ok_or_else(|| Error::data(format!("No field type: {f}")))?;
                                let schema = parse_node(fty, namespace.as_deref(), named)?;
                                let fprops = f
                                    .as_object()
                                    .map(|o| {
                                        o.iter()
                                            .filter(|(k, _)| !RESERVED.contains(&k.as_str()))
                                            .map(|(k, v)| (k.clone(), v.clone()))
                                            .collect()
                                    })
                                    .unwrap_or_default();
                                out.push(AvroField {
                                    name: fname.to_string(),
                                    doc: f.get("doc").and_then(Value::as_str).map(str::to_string),
                                    default: f.get("default").cloned(),
                                    props: fprops,
                                    schema,
                                });
                            }
                            Body::Record(out)
                        }
                    };
                    named[index].body = body;
                    return Ok(bare(Kind::Named(index)));
                }
                other => match primitive(other) {
                    Some(k) => k,
                    None => match lookup(other, space, named) {
                        Some(i) => Kind::Named(i),
                        None => return Err(Error::data(format!("Undefined name: \"{other}\""))),
                    },
                },
            };
            Ok(AvroNode { kind, props })
        }
        other => Err(Error::data(format!("Not a schema: {other}"))),
    }
}

// ---- Avro -> Connect ---------------------------------------------------------------------

pub(crate) struct ToConnect<'a> {
    pub parsed: &'a Parsed,
    pub config: &'a AvroDataConfig,
    /// Named records being converted (cycle detection).
    stack: Vec<usize>,
}

fn prop_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn set_param(params: &mut Option<Vec<(String, String)>>, k: &str, v: String) {
    let p = params.get_or_insert_with(Vec::new);
    match p.iter_mut().find(|(key, _)| key == k) {
        Some(entry) => entry.1 = v,
        None => p.push((k.to_string(), v)),
    }
}

fn schema(ty: Type) -> ConnectSchema {
    ConnectSchema {
        ty,
        optional: false,
        name: None,
        version: None,
        doc: None,
        parameters: None,
        default: None,
    }
}

fn logical_schema(ty: Type, name: &str) -> ConnectSchema {
    let mut s = schema(ty);
    s.name = Some(name.to_string());
    s.version = Some(1);
    s
}

impl<'a> ToConnect<'a> {
    pub fn new(parsed: &'a Parsed, config: &'a AvroDataConfig) -> Result<Self> {
        if config.generalized_sum_type_support {
            return Err(Error::config(
                "generalized.sum.type.support=true is not supported by Strait's AvroConverter",
            ));
        }
        if config.discard_type_doc_default {
            return Err(Error::config(
                "discard.type.doc.default=true is not supported by Strait's AvroConverter",
            ));
        }
        Ok(ToConnect {
            parsed,
            config,
            stack: Vec::new(),
        })
    }

    /// `unionMemberFieldName(avroSchema, index)`.
    pub fn member_name(&self, node: &AvroNode) -> String {
        match &node.kind {
            Kind::Named(i) => {
                let n = &self.parsed.named[*i];
                if self.config.enhanced_avro_schema_support {
                    n.full_name.clone()
                } else {
                    n.name.clone()
                }
            }
            Kind::Null => "null".into(),
            Kind::Boolean => "boolean".into(),
            Kind::Int => "int".into(),
            Kind::Long => "long".into(),
            Kind::Float => "float".into(),
            Kind::Double => "double".into(),
            Kind::Bytes => "bytes".into(),
            Kind::String => "string".into(),
            Kind::Array(_) => "array".into(),
            Kind::Map(_) => "map".into(),
            Kind::Union(_) => "union".into(),
        }
    }

    /// `toConnectSchema(schema, forceOptional, fieldDefaultVal, docDefaultVal, version)`.
    pub fn convert(
        &mut self,
        node: &AvroNode,
        force_optional: bool,
        field_default: Option<&Value>,
        version: Option<i32>,
    ) -> Result<ConnectSchema> {
        let parsed = self.parsed;
        let meta = self.config.connect_meta_data;
        let props = parsed.props(node);
        let logical_type = props.get("logicalType").and_then(Value::as_str);
        let connect_type = props.get("connect.type").and_then(Value::as_str);
        let mut s = match &node.kind {
            Kind::Boolean => schema(Type::Boolean),
            Kind::Bytes => self.bytes_schema(props, logical_type, None)?,
            Kind::Double => schema(Type::Float64),
            Kind::Float => schema(Type::Float32),
            Kind::Int => match (connect_type, logical_type) {
                (None, None) => schema(Type::Int32),
                (_, Some(l)) if l.eq_ignore_ascii_case("date") => {
                    logical_schema(Type::Int32, logical::DATE)
                }
                (_, Some(l)) if l.eq_ignore_ascii_case("time-millis") => {
                    logical_schema(Type::Int32, logical::TIME)
                }
                (_, Some(_)) => schema(Type::Int32),
                (Some("int8"), None) => schema(Type::Int8),
                (Some("int16"), None) => schema(Type::Int16),
                (Some(_), None) => {
                    return Err(Error::data(
                        "Connect type annotation for Avro int field is null",
                    ))
                }
            },
            Kind::Long => match logical_type {
                Some(l) if l.eq_ignore_ascii_case("timestamp-millis") => {
                    logical_schema(Type::Int64, logical::TIMESTAMP)
                }
                _ => schema(Type::Int64),
            },
            Kind::String => schema(Type::String),
            Kind::Array(items) => match parsed.map_entry(items) {
                Some(i) => {
                    let Body::Record(fields) = &parsed.named[i].body else {
                        return Err(Error::bug("map entry is not a record"));
                    };
                    let key = fields.iter().find(|f| f.name == "key");
                    let value = fields.iter().find(|f| f.name == "value");
                    let (Some(key), Some(value), 2) = (key, value, fields.len()) else {
                        return Err(Error::data(
                            "Found map encoded as array of key-value pairs, but array elements do not match the expected format.",
                        ));
                    };
                    let k = self.convert(&key.schema, false, None, None)?;
                    let v = self.convert(&value.schema, false, None, None)?;
                    schema(Type::Map(Box::new(k), Box::new(v)))
                }
                None => schema(Type::Array(Box::new(
                    self.convert(items, false, None, None)?,
                ))),
            },
            Kind::Map(values) => schema(Type::Map(
                Box::new(schema(Type::String)),
                Box::new(self.convert(values, false, None, None)?),
            )),
            Kind::Named(i) => {
                let n = &parsed.named[*i];
                match &n.body {
                    Body::Fixed(size) => self.bytes_schema(props, logical_type, Some(*size))?,
                    Body::Enum { symbols, default } => {
                        let mut s = schema(Type::String);
                        if meta {
                            if let Some(doc) = &n.doc {
                                set_param(
                                    &mut s.parameters,
                                    &format!("{ENUM_DOC_PREFIX}{}", n.name),
                                    doc.clone(),
                                );
                            }
                            if let Some(d) = default {
                                set_param(
                                    &mut s.parameters,
                                    &format!("{ENUM_DEFAULT_PREFIX}{}", n.name),
                                    d.clone(),
                                );
                            }
                        }
                        set_param(&mut s.parameters, ENUM, n.full_name.clone());
                        for sym in symbols {
                            set_param(&mut s.parameters, &format!("{ENUM}.{sym}"), sym.clone());
                        }
                        s
                    }
                    Body::Record(fields) => {
                        if props.get("logicalType").and_then(Value::as_str) == Some("variant") {
                            return Err(Error::data(
                                "Strait does not support the Avro variant logical type",
                            ));
                        }
                        if self.stack.contains(i) {
                            return Err(Error::data(format!(
                                "Strait does not support recursive Avro schemas (record {} refers to itself)",
                                n.full_name
                            )));
                        }
                        self.stack.push(*i);
                        let mut s = schema(Type::Struct(Vec::new()));
                        if meta {
                            if let Some(doc) = &n.doc {
                                set_param(&mut s.parameters, RECORD_DOC, doc.clone());
                            }
                        }
                        let mut members = Vec::with_capacity(fields.len());
                        for f in fields {
                            if meta {
                                if let Some(doc) = &f.doc {
                                    set_param(
                                        &mut s.parameters,
                                        &format!("{FIELD_DOC_PREFIX}{}", f.name),
                                        doc.clone(),
                                    );
                                }
                            }
                            let mut fs =
                                self.convert(&f.schema, false, f.default.as_ref(), None)?;
                            if meta {
                                if let Some(Value::Object(fp)) = f.props.get("connect.parameters") {
                                    apply_field_params(&mut fs, fp);
                                }
                            }
                            members.push((f.name.clone(), fs));
                        }
                        self.stack.pop();
                        s.ty = Type::Struct(members);
                        s
                    }
                }
            }
            Kind::Union(branches) => {
                if branches.len() == 1 && self.config.flatten_singleton_unions {
                    return self.convert(&branches[0], false, None, None);
                }
                if branches.len() == 2 {
                    if let Some(other) = branches.iter().find(|b| !matches!(b.kind, Kind::Null)) {
                        if branches.iter().any(|b| matches!(b.kind, Kind::Null)) {
                            return self.convert(other, true, None, None);
                        }
                    }
                }
                let mut s = schema(Type::Struct(Vec::new()));
                s.name = Some(UNION.to_string());
                let mut members: Vec<(String, ConnectSchema)> = Vec::new();
                for b in branches {
                    if matches!(b.kind, Kind::Null) {
                        s.optional = true;
                        continue;
                    }
                    let name = self.member_name(b);
                    if members.iter().any(|(n, _)| *n == name) {
                        return Err(Error::data(
                            "Multiple union schemas map to the Connect union field name",
                        ));
                    }
                    let m = self.convert(b, true, None, None)?;
                    members.push((name, m));
                }
                s.ty = Type::Struct(members);
                s
            }
            Kind::Null => {
                return Err(Error::data(
                    "Standalone null schemas are not supported by this converter",
                ))
            }
        };

        if meta {
            if let Some(doc) = props.get("connect.doc").and_then(Value::as_str) {
                s.doc = Some(doc.to_string());
            }
        }
        let version = match props.get("connect.version") {
            Some(Value::Number(n)) => Some(n.as_i64().unwrap_or(0) as i32),
            Some(other) => {
                return Err(Error::data(format!(
                    "Invalid Connect version found: {}",
                    prop_str(other)
                )))
            }
            None => version,
        };
        if let Some(v) = version.filter(|v| *v >= 0) {
            match s.version {
                Some(existing) if existing != v => {
                    return Err(Error::data(format!(
                        "Mismatched versions: version already added to SchemaBuilder ({existing}) differs from version in source schema ({v})"
                    )))
                }
                _ => s.version = Some(v),
            }
        }
        if meta {
            match props.get("connect.parameters") {
                Some(Value::Object(p)) => {
                    for (k, v) in p {
                        let Value::String(v) = v else {
                            return Err(Error::data(format!(
                                "Expected schema parameter values to be strings but found: {v}"
                            )));
                        };
                        set_param(&mut s.parameters, k, v.clone());
                    }
                }
                Some(other) => {
                    return Err(Error::data(format!(
                        "Expected JSON object for schema parameters but found: {other}"
                    )))
                }
                None => {}
            }
        }
        for (k, v) in props {
            if k.starts_with("avro") {
                set_param(&mut s.parameters, k, prop_str(v));
            }
        }
        let connect_default = props.get("connect.default");
        let default = match field_default {
            None => connect_default,
            Some(d) => {
                if meta && connect_default.is_none() {
                    set_param(&mut s.parameters, FIELD_DEFAULT_FLAG, "true".to_string());
                }
                Some(d)
            }
        };
        if let Some(d) = default {
            // Java logs and ignores a default it cannot convert.
            if let Some(json) = self.default_json(node, &s, d) {
                if let Ok(bytes) = serde_json::to_vec(&json) {
                    s.default = crate::json::canonical_default(&s, &bytes, &Opts::default())
                        .unwrap_or(None);
                }
            }
        }
        let name = match props.get("connect.name") {
            Some(Value::String(n)) => Some(n.clone()),
            Some(other) => return Err(Error::data(format!("Invalid schema name: {other}"))),
            None => match &node.kind {
                Kind::Named(i) => {
                    let n = &parsed.named[*i];
                    match n.body {
                        Body::Fixed(_) if s.name.as_deref() == Some(logical::DECIMAL) => None,
                        _ => Some(n.full_name.clone()),
                    }
                }
                _ => None,
            },
        };
        if let Some(name) = name.filter(|n| !n.starts_with(&format!("{NAMESPACE}.{DEFAULT_NAME}")))
        {
            match &s.name {
                Some(existing) if *existing != name => {
                    return Err(Error::data(format!(
                        "Mismatched names: name already added to SchemaBuilder ({existing}) differs from name in source schema ({name})"
                    )))
                }
                _ => s.name = Some(name),
            }
        }
        if force_optional {
            s.optional = true;
        }
        Ok(s)
    }

    fn bytes_schema(
        &self,
        props: &Map<String, Value>,
        logical_type: Option<&str>,
        fixed: Option<usize>,
    ) -> Result<ConnectSchema> {
        let mut s = if logical_type.is_some_and(|l| l.eq_ignore_ascii_case("decimal")) {
            let scale = props.get("scale").and_then(Value::as_i64).unwrap_or(0);
            let mut s = logical_schema(Type::Bytes, logical::DECIMAL);
            set_param(&mut s.parameters, logical::DECIMAL_SCALE, scale.to_string());
            match props.get("precision") {
                Some(Value::Number(p)) => {
                    let p = p.as_i64().unwrap_or(0);
                    if p != DECIMAL_PRECISION_DEFAULT {
                        set_param(&mut s.parameters, DECIMAL_PRECISION, p.to_string());
                    }
                }
                Some(_) => {
                    return Err(Error::data(
                        "precision property must be a JSON Integer. https://avro.apache.org/docs/1.9.1/spec.html#Decimal",
                    ))
                }
                None => {}
            }
            s
        } else {
            schema(Type::Bytes)
        };
        if let Some(size) = fixed {
            set_param(&mut s.parameters, FIXED_SIZE, size.to_string());
        }
        Ok(s)
    }

    /// An Avro JSON default (`defaultValueFromAvro`) as JsonConverter's envelope JSON for the
    /// Connect schema `s`; `None` for null or a default that does not fit.
    fn default_json(&self, node: &AvroNode, s: &ConnectSchema, v: &Value) -> Option<Value> {
        if v.is_null() {
            return None;
        }
        let parsed = self.parsed;
        Some(match (&node.kind, &s.ty) {
            (Kind::Int | Kind::Long | Kind::Float | Kind::Double, _) if v.is_number() => v.clone(),
            (Kind::Boolean, _) if v.is_boolean() => v.clone(),
            (Kind::String, _) if v.is_string() => v.clone(),
            (Kind::Bytes, _) => latin1_base64(v)?,
            (Kind::Array(items), Type::Array(item_schema)) => Value::Array(
                v.as_array()?
                    .iter()
                    .map(|e| {
                        self.default_json(items, item_schema, e)
                            .unwrap_or(Value::Null)
                    })
                    .collect(),
            ),
            (Kind::Array(items), Type::Map(ks, vs)) => {
                let Kind::Named(i) = items.kind else {
                    return None;
                };
                let Body::Record(fields) = &parsed.named[i].body else {
                    return None;
                };
                let kf = fields.iter().find(|f| f.name == "key")?;
                let vf = fields.iter().find(|f| f.name == "value")?;
                Value::Array(
                    v.as_array()?
                        .iter()
                        .map(|e| {
                            let k = self.default_json(&kf.schema, ks, e.get("key")?)?;
                            let val = e
                                .get("value")
                                .and_then(|x| self.default_json(&vf.schema, vs, x))
                                .unwrap_or(Value::Null);
                            Some(Value::Array(vec![k, val]))
                        })
                        .collect::<Option<Vec<_>>>()?,
                )
            }
            (Kind::Map(values), Type::Map(_, vs)) => Value::Object(
                v.as_object()?
                    .iter()
                    .map(|(k, e)| {
                        (
                            k.clone(),
                            self.default_json(values, vs, e).unwrap_or(Value::Null),
                        )
                    })
                    .collect(),
            ),
            (Kind::Named(i), _) => match (&parsed.named[*i].body, &s.ty) {
                (Body::Fixed(_), _) => latin1_base64(v)?,
                (Body::Enum { .. }, _) if v.is_string() => v.clone(),
                (Body::Record(fields), Type::Struct(members)) => {
                    let obj = v.as_object()?;
                    let mut out = Map::new();
                    for (f, (_, ms)) in fields.iter().zip(members) {
                        let fv = obj
                            .get(&f.name)
                            .and_then(|x| self.default_json(&f.schema, ms, x))
                            .unwrap_or(Value::Null);
                        out.insert(f.name.clone(), fv);
                    }
                    Value::Object(out)
                }
                _ => return None,
            },
            (Kind::Union(branches), Type::Struct(members)) => {
                // Defaults of a union match its first branch.
                let first = branches.first()?;
                if matches!(first.kind, Kind::Null) {
                    return None;
                }
                let name = self.member_name(first);
                let (_, ms) = members.iter().find(|(n, _)| *n == name)?;
                let mut out = Map::new();
                out.insert(name, self.default_json(first, ms, v)?);
                Value::Object(out)
            }
            _ => return None,
        })
    }
}

/// Avro's JSON encoding of bytes (one char per byte, ISO-8859-1) as Connect's base64.
fn latin1_base64(v: &Value) -> Option<Value> {
    let text = v.as_str()?;
    let bytes = text
        .chars()
        .map(|c| u8::try_from(c as u32).ok())
        .collect::<Option<Vec<u8>>>()?;
    Some(Value::String(
        base64::engine::general_purpose::STANDARD.encode(bytes),
    ))
}

/// `applyFieldLevelParams`: the record field's own `connect.parameters` override the type's.
fn apply_field_params(s: &mut ConnectSchema, params: &Map<String, Value>) {
    for (k, v) in params {
        set_param(&mut s.parameters, k, prop_str(v));
    }
}
