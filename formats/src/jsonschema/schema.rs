//! Confluent's `JsonSchemaData.toConnectSchema` and `fromConnectSchema`, read in schema-registry
//! `json-schema-converter/src/main/java/io/confluent/connect/json/JsonSchemaData.java`, over
//! the JsonConverter's in-memory Connect schema ([`ConnectSchema`]), so the decoder and the
//! writer of the JsonConverter serve JSON Schema too.
//!
//! JSON Schema → Connect follows the classes the everit library parses a schema into: a
//! `type` (or an array of types, which everit reads as `anyOf`), `enum`/`const`, `oneOf`/
//! `anyOf`/`allOf`, `$ref` (local pointers into the document, or a registry reference by
//! name). Refused with a data error, never guessed: general unions (a `oneOf`/`anyOf` that is
//! not "null or one schema"), the empty schema (Connect's variant), recursive schemas,
//! optional map keys, and array tuples.
//!
//! Connect → JSON Schema writes the schema Java's everit `Schema.toString()` prints: the
//! standard keys in everit's order (`title`, `description`, `default`, then the type's own
//! keys), then the `connect.*` keys (Java keeps those in a `HashMap`; Strait writes them in
//! alphabetical order, which the registry and every JSON Schema reader ignore).

use serde_json::{Map, Value};
use strait_engine::schema::logical;
use strait_engine::{Error, Result};

use super::JsonSchemaDataConfig;
use crate::json::connect::{ConnectSchema, Type};
use crate::json::Opts;

pub(crate) const CONNECT_TYPE_PROP: &str = "connect.type";
pub(crate) const CONNECT_VERSION_PROP: &str = "connect.version";
pub(crate) const CONNECT_PARAMETERS_PROP: &str = "connect.parameters";
pub(crate) const CONNECT_INDEX_PROP: &str = "connect.index";
/// Parameters under this prefix are JsonSchemaData's own and not written as
/// `connect.parameters`.
pub(crate) const NAMESPACE: &str = "io.confluent.connect.json";
pub(crate) const JSON_TYPE_ENUM: &str = "io.confluent.connect.json.Enum";
pub(crate) const JSON_TYPE_ONE_OF: &str = "io.confluent.connect.json.OneOf";
pub(crate) const NULL_MARKER: &str = "<NULL>";
const KEY_FIELD: &str = "key";
const VALUE_FIELD: &str = "value";

fn data(msg: impl Into<String>) -> Error {
    Error::data(msg.into())
}

/// A JSON Schema document with the schemas it references, for `$ref` resolution.
pub(crate) struct Document<'a> {
    pub root: &'a Value,
    /// Referenced schemas by reference name (the `$ref` text before any `#`).
    pub references: Vec<(&'a str, Value)>,
}

/// The walk of `toConnectSchema`: the `$ref`s being expanded (a repeat is a recursive schema).
struct ToConnect<'a> {
    doc: &'a Document<'a>,
    config: &'a JsonSchemaDataConfig,
    opts: Opts,
    refs: Vec<String>,
}

/// `JsonSchemaData.toConnectSchema(schema)` with the registry `version`.
pub(crate) fn to_connect(
    doc: &Document<'_>,
    config: &JsonSchemaDataConfig,
    version: Option<i32>,
) -> Result<ConnectSchema> {
    let mut cx = ToConnect {
        doc,
        config,
        opts: config.opts(),
        refs: Vec::new(),
    };
    cx.convert(doc.root, doc.root, version, false)
}

/// The everit schema class a JSON Schema object parses into.
enum Class<'v> {
    Boolean,
    Number {
        integer: bool,
    },
    String,
    Null,
    Array,
    Object,
    /// `enum`, or `const` (one permitted value).
    Enum(Vec<&'v Value>),
    Combined {
        criterion: &'static str,
        subs: Vec<Value>,
    },
    Ref(&'v str),
    Empty,
}

fn type_class(t: &str) -> Option<Class<'static>> {
    Some(match t {
        "boolean" => Class::Boolean,
        "integer" => Class::Number { integer: true },
        "number" => Class::Number { integer: false },
        "string" => Class::String,
        "null" => Class::Null,
        "array" => Class::Array,
        "object" => Class::Object,
        _ => return None,
    })
}

fn classify(obj: &Map<String, Value>) -> Result<Class<'_>> {
    if let Some(r) = obj.get("$ref") {
        return r
            .as_str()
            .map(Class::Ref)
            .ok_or_else(|| data("$ref must be a string"));
    }
    for criterion in ["oneOf", "anyOf", "allOf"] {
        if let Some(subs) = obj.get(criterion) {
            let subs = subs
                .as_array()
                .ok_or_else(|| data(format!("{criterion} must be an array")))?;
            // everit reads a combined keyword next to other keywords as allOf(the rest, the
            // combined schema), which allOfToConnectSchema then merges.
            const BASE: [&str; 7] = [
                "type",
                "properties",
                "items",
                "enum",
                "const",
                "additionalProperties",
                "required",
            ];
            if BASE.iter().any(|k| obj.contains_key(*k)) {
                let mut rest = obj.clone();
                rest.remove(criterion);
                let mut inner = Map::new();
                inner.insert(criterion.to_string(), Value::Array(subs.clone()));
                return Ok(Class::Combined {
                    criterion: "allOf",
                    subs: vec![Value::Object(rest), Value::Object(inner)],
                });
            }
            return Ok(Class::Combined {
                criterion,
                subs: subs.clone(),
            });
        }
    }
    let ty = obj.get("type");
    if let Some(values) = obj.get("enum").and_then(Value::as_array) {
        // everit reads `enum` with a numeric `type` as allOf(number, enum), which
        // JsonSchemaData makes the number; with a string type (or none) a string enum.
        return Ok(match ty.and_then(Value::as_str) {
            Some(t @ ("integer" | "number")) => type_class(t).unwrap_or(Class::Empty),
            _ => Class::Enum(values.iter().collect()),
        });
    }
    if let Some(value) = obj.get("const") {
        return Ok(match ty.and_then(Value::as_str) {
            Some(t @ ("integer" | "number" | "string")) => type_class(t).unwrap_or(Class::Empty),
            _ => Class::Enum(vec![value]),
        });
    }
    match ty {
        Some(Value::String(t)) => {
            type_class(t).ok_or_else(|| data(format!("Unsupported schema type {t}")))
        }
        // everit reads an array of types as anyOf of one schema per type.
        Some(Value::Array(types)) => {
            let mut subs = Vec::with_capacity(types.len());
            for t in types {
                let mut sub = obj.clone();
                sub.insert("type".into(), t.clone());
                // The keywords that are not the type's stay on the outer schema (title...).
                for k in ["title", "description", "default", CONNECT_VERSION_PROP] {
                    sub.remove(k);
                }
                subs.push(Value::Object(sub));
            }
            Ok(Class::Combined {
                criterion: "anyOf",
                subs,
            })
        }
        Some(other) => Err(data(format!("invalid type {other}"))),
        None if obj.contains_key("properties") || obj.contains_key("additionalProperties") => {
            Ok(Class::Object)
        }
        None if obj.contains_key("items") => Ok(Class::Array),
        None => Ok(Class::Empty),
    }
}

impl ToConnect<'_> {
    /// Resolve `$ref` against the document (`base` is the document the ref sits in).
    fn resolve<'v>(&'v self, base: &'v Value, reference: &str) -> Result<(&'v Value, &'v Value)> {
        let (doc, pointer) = match reference.split_once('#') {
            Some(("", p)) => (base, p),
            Some((name, p)) => (self.named(name)?, p),
            None => (self.named(reference)?, ""),
        };
        let target = if pointer.is_empty() {
            doc
        } else {
            doc.pointer(pointer)
                .ok_or_else(|| data(format!("$ref {reference} does not point into the schema")))?
        };
        Ok((doc, target))
    }

    fn named(&self, name: &str) -> Result<&Value> {
        self.doc
            .references
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
            .ok_or_else(|| data(format!("$ref {name} is not one of the schema's references")))
    }

    fn convert(
        &mut self,
        base: &Value,
        schema: &Value,
        version: Option<i32>,
        force_optional: bool,
    ) -> Result<ConnectSchema> {
        let obj = match schema {
            Value::Object(o) => o,
            Value::Bool(_) => {
                return Err(data(
                    "a boolean schema (Connect's variant) is not supported by Strait's \
                     JsonSchemaConverter",
                ))
            }
            other => {
                return Err(data(format!(
                    "a JSON Schema must be an object, not {other}"
                )))
            }
        };
        let ty = match classify(obj)? {
            Class::Ref(reference) => {
                let key = reference.to_string();
                if self.refs.contains(&key) || reference == "#" {
                    return Err(data(format!(
                        "recursive schemas ($ref {reference}) are not supported by Strait's \
                         JsonSchemaConverter"
                    )));
                }
                let (doc, target) = self.resolve(base, reference)?;
                // Borrow-free copies: the walk below needs `self` mutably.
                let (doc, target) = (doc.clone(), target.clone());
                self.refs.push(key);
                let result = self.convert(&doc, &target, version, force_optional);
                self.refs.pop();
                return result;
            }
            Class::Combined { criterion, subs } => {
                return self.combined(base, obj, criterion, &subs, version, force_optional)
            }
            Class::Empty => {
                return Err(data(
                    "the empty schema (Connect's variant) is not supported by Strait's \
                     JsonSchemaConverter",
                ))
            }
            Class::Null => {
                return Err(data(
                    "a null schema outside a oneOf with one other schema has no Connect type",
                ))
            }
            Class::Boolean => Type::Boolean,
            Class::Number { integer } => match obj.get(CONNECT_TYPE_PROP).and_then(Value::as_str) {
                None if integer => Type::Int64,
                None => Type::Float64,
                Some("int8") => Type::Int8,
                Some("int16") => Type::Int16,
                Some("int32") => Type::Int32,
                Some("int64") => Type::Int64,
                Some("float32") => Type::Float32,
                Some("float64") => Type::Float64,
                Some("bytes") => Type::Bytes,
                Some(other) => return Err(data(format!("Unsupported type {other}"))),
            },
            Class::String => match obj.get(CONNECT_TYPE_PROP).and_then(Value::as_str) {
                Some("bytes") => Type::Bytes,
                _ => Type::String,
            },
            Class::Enum(values) => {
                let mut params = vec![(JSON_TYPE_ENUM.to_string(), String::new())];
                for v in values {
                    let symbol = match v {
                        Value::Null => NULL_MARKER.to_string(),
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    params.push((format!("{JSON_TYPE_ENUM}.{symbol}"), symbol));
                }
                let mut s = self.finish(obj, Type::String, version, force_optional)?;
                let mut all = params;
                for (k, v) in s.parameters.take().unwrap_or_default() {
                    match all.iter_mut().find(|(n, _)| *n == k) {
                        Some(entry) => entry.1 = v,
                        None => all.push((k, v)),
                    }
                }
                s.parameters = Some(all);
                return Ok(s);
            }
            Class::Array => {
                let items = match obj.get("items") {
                    Some(items @ (Value::Object(_) | Value::Bool(_))) => items,
                    _ => return Err(data("Array schema did not specify the items type")),
                };
                let map = obj.get(CONNECT_TYPE_PROP).and_then(Value::as_str) == Some("map");
                match items.as_object().and_then(|i| i.get("properties")) {
                    Some(Value::Object(props)) if map => {
                        let field = |name: &str| {
                            props
                                .get(name)
                                .ok_or_else(|| data(format!("map entry schema has no {name}")))
                        };
                        let k = self.convert(base, field(KEY_FIELD)?, None, false)?;
                        if k.optional {
                            return Err(data(
                                "optional map keys are not supported by Strait (Arrow map keys \
                                 are never null)",
                            ));
                        }
                        let v = self.convert(base, field(VALUE_FIELD)?, None, false)?;
                        Type::Map(Box::new(k), Box::new(v))
                    }
                    _ => Type::Array(Box::new(self.convert(base, items, None, false)?)),
                }
            }
            Class::Object => {
                if obj.get(CONNECT_TYPE_PROP).and_then(Value::as_str) == Some("map") {
                    let values =
                        match obj.get("additionalProperties") {
                            Some(v @ Value::Object(_)) => v,
                            _ => return Err(data(
                                "a connect.type map object schema needs an additionalProperties \
                                 schema",
                            )),
                        };
                    let v = self.convert(base, values, None, false)?;
                    Type::Map(Box::new(string_schema()), Box::new(v))
                } else {
                    Type::Struct(self.properties(base, obj)?)
                }
            }
        };
        self.finish(obj, ty, version, force_optional)
    }

    /// Struct members in `connect.index` order (Java sorts them in a `TreeMap`; a property
    /// without an index takes the number of properties placed so far, replacing one already
    /// there, as Java's `put` does).
    fn properties(
        &mut self,
        base: &Value,
        obj: &Map<String, Value>,
    ) -> Result<Vec<(String, ConnectSchema)>> {
        let required: Vec<&str> = obj
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut sorted: std::collections::BTreeMap<i64, (&String, &Value)> =
            std::collections::BTreeMap::new();
        if let Some(props) = obj.get("properties") {
            let props = props
                .as_object()
                .ok_or_else(|| data("properties must be an object"))?;
            for (name, sub) in props {
                let index = sub
                    .get(CONNECT_INDEX_PROP)
                    .and_then(Value::as_i64)
                    .unwrap_or(sorted.len() as i64);
                sorted.insert(index, (name, sub));
            }
        }
        let mut fields = Vec::with_capacity(sorted.len());
        for (name, sub) in sorted.into_values() {
            let optional = self.config.use_optional_for_nonrequired && !required.contains(&&**name);
            fields.push((name.clone(), self.convert(base, sub, None, optional)?));
        }
        Ok(fields)
    }

    /// `oneOf`/`anyOf`/`allOf`.
    fn combined(
        &mut self,
        base: &Value,
        obj: &Map<String, Value>,
        criterion: &str,
        subs: &[Value],
        version: Option<i32>,
        force_optional: bool,
    ) -> Result<ConnectSchema> {
        if subs.len() == 1 && self.config.flatten_singleton_unions {
            // Java drops the version and the forced optionality here.
            return self.convert(base, &subs[0], None, false);
        }
        if criterion == "allOf" {
            return self.all_of(base, subs, version, force_optional);
        }
        let is_null = |s: &Value| s.get("type").and_then(Value::as_str) == Some("null");
        if subs.len() == 2 {
            if let Some(other) = subs.iter().find(|s| !is_null(s)) {
                if subs.iter().any(is_null) {
                    let mut s = self.convert(base, other, version, true)?;
                    // A type array keeps title and description on the outer schema.
                    apply_outer(&mut s, obj);
                    return Ok(s);
                }
            }
        }
        Err(data(format!(
            "a {criterion} of {} schemas (a {JSON_TYPE_ONE_OF} union struct in Java) is not \
             supported by Strait's JsonSchemaConverter; only a {criterion} of null and one schema \
             (an optional value) is",
            subs.len()
        )))
    }

    /// `allOfToConnectSchema`: the properties of every object subschema as one struct, else the
    /// one meaningful primitive subschema.
    fn all_of(
        &mut self,
        base: &Value,
        subs: &[Value],
        version: Option<i32>,
        force_optional: bool,
    ) -> Result<ConnectSchema> {
        let mut properties: Vec<(String, Value, bool)> = Vec::new();
        self.collect_properties(base, subs, &mut properties, 0)?;
        if !properties.is_empty() {
            let mut fields = Vec::with_capacity(properties.len());
            for (name, sub, required) in properties {
                let optional = self.config.use_optional_for_nonrequired && !required;
                fields.push((name, self.convert(base, &sub, None, optional)?));
            }
            return Ok(ConnectSchema {
                ty: Type::Struct(fields),
                optional: force_optional,
                name: None,
                version: None,
                doc: None,
                parameters: None,
                default: None,
            });
        }
        let has = |k: &str| subs.iter().find(|s| s.get(k).is_some());
        let typed = |t: &[&str]| {
            subs.iter().find(|s| {
                s.get("type")
                    .and_then(Value::as_str)
                    .is_some_and(|x| t.contains(&x))
            })
        };
        let combined = subs
            .iter()
            .find(|s| s.get("oneOf").is_some() || s.get("anyOf").is_some());
        let string = typed(&["string"]);
        let number = typed(&["integer", "number"]);
        let pick = if combined.is_some() {
            combined
        } else if has("const").is_some() {
            string.or(number)
        } else if let Some(e) = has("enum") {
            if string.is_some() {
                Some(e)
            } else {
                number
            }
        } else if string.is_some_and(|s| s.get("format").is_some()) {
            number.or(string)
        } else {
            has("$ref")
        };
        match pick {
            Some(s) => self.convert(base, s, version, force_optional),
            None => Err(data("Unsupported criterion allOf for this schema")),
        }
    }

    fn collect_properties(
        &self,
        base: &Value,
        subs: &[Value],
        out: &mut Vec<(String, Value, bool)>,
        depth: usize,
    ) -> Result<()> {
        if depth > 64 {
            return Err(data(
                "recursive schemas are not supported by Strait's JsonSchemaConverter",
            ));
        }
        for sub in subs {
            if let Some(all) = sub.get("allOf").and_then(Value::as_array) {
                self.collect_properties(base, all, out, depth + 1)?;
            } else if let Some(r) = sub.get("$ref").and_then(Value::as_str) {
                let (_, target) = self.resolve(base, r)?;
                self.collect_properties(base, std::slice::from_ref(target), out, depth + 1)?;
            } else if let Some(props) = sub.get("properties").and_then(Value::as_object) {
                let required: Vec<&str> = sub
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                for (name, s) in props {
                    let req = required.contains(&name.as_str());
                    match out.iter_mut().find(|(n, _, _)| n == name) {
                        Some(entry) => *entry = (name.clone(), s.clone(), req),
                        None => out.push((name.clone(), s.clone(), req)),
                    }
                }
            }
        }
        Ok(())
    }

    /// The common tail of `toConnectSchema`: title, version, description, parameters,
    /// default, optional.
    fn finish(
        &self,
        obj: &Map<String, Value>,
        ty: Type,
        version: Option<i32>,
        force_optional: bool,
    ) -> Result<ConnectSchema> {
        let connect_version = match obj.get(CONNECT_VERSION_PROP) {
            Some(v) => Some(
                v.as_i64()
                    .and_then(|v| i32::try_from(v).ok())
                    .ok_or_else(|| data(format!("{CONNECT_VERSION_PROP} must be an int: {v}")))?,
            ),
            None => None,
        };
        let parameters = match obj.get(CONNECT_PARAMETERS_PROP) {
            Some(Value::Object(p)) => Some(
                p.iter()
                    .map(|(k, v)| match v {
                        Value::String(s) => Ok((k.clone(), s.clone())),
                        other => Err(data(format!(
                            "{CONNECT_PARAMETERS_PROP} values must be strings, not {other}"
                        ))),
                    })
                    .collect::<Result<Vec<_>>>()?,
            ),
            Some(other) => {
                return Err(data(format!(
                    "{CONNECT_PARAMETERS_PROP} must be an object of strings, not {other}"
                )))
            }
            None => None,
        };
        let mut s = ConnectSchema {
            ty,
            optional: force_optional,
            name: obj.get("title").and_then(Value::as_str).map(str::to_string),
            version: connect_version.or(version),
            doc: obj
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_string),
            parameters,
            default: None,
        };
        if let Some(d) = obj.get("default") {
            let raw = d.to_string();
            s.default = crate::json::canonical_default(&s, raw.as_bytes(), &self.opts)
                .map_err(|e| data(format!("Invalid default value {raw}: {e}")))?;
        }
        Ok(s)
    }
}

/// Title and description of a `type: [t, "null"]` schema, which sit on the outer object.
fn apply_outer(s: &mut ConnectSchema, obj: &Map<String, Value>) {
    if obj.contains_key("type") {
        if let Some(t) = obj.get("title").and_then(Value::as_str) {
            s.name = Some(t.to_string());
        }
        if let Some(d) = obj.get("description").and_then(Value::as_str) {
            s.doc = Some(d.to_string());
        }
    }
}

fn string_schema() -> ConnectSchema {
    ConnectSchema {
        ty: Type::String,
        optional: false,
        name: None,
        version: None,
        doc: None,
        parameters: None,
        default: None,
    }
}

// ---- Connect -> JSON Schema ----------------------------------------------------------------

/// `JsonSchemaData.fromConnectSchema`: the JSON Schema of a Connect schema.
pub(crate) fn from_connect(s: &ConnectSchema, config: &JsonSchemaDataConfig) -> Result<Value> {
    FromConnect { config }.convert(s, None, false)
}

struct FromConnect<'a> {
    config: &'a JsonSchemaDataConfig,
}

fn null_schema() -> Value {
    let mut m = Map::new();
    m.insert("type".into(), "null".into());
    Value::Object(m)
}

fn one_of_null(inner: Value) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("oneOf".into(), Value::Array(vec![null_schema(), inner]));
    m
}

impl FromConnect<'_> {
    fn convert(
        &self,
        s: &ConnectSchema,
        index: Option<i32>,
        ignore_optional: bool,
    ) -> Result<Value> {
        // Standard keys first (everit's order), then the type's, then the connect.* ones.
        let mut body = Map::new();
        let mut props: Vec<(&str, Value)> = Vec::new();
        let connect_type = |t: &'static str| (CONNECT_TYPE_PROP, Value::from(t));
        match &s.ty {
            Type::Int8 | Type::Int16 | Type::Int32 | Type::Int64 => {
                body.insert("type".into(), "integer".into());
                props.push(connect_type(match s.ty {
                    Type::Int8 => "int8",
                    Type::Int16 => "int16",
                    Type::Int32 => "int32",
                    _ => "int64",
                }));
            }
            Type::Float32 | Type::Float64 => {
                body.insert("type".into(), "number".into());
                props.push(connect_type(if s.ty == Type::Float32 {
                    "float32"
                } else {
                    "float64"
                }));
            }
            Type::Boolean => {
                body.insert("type".into(), "boolean".into());
            }
            Type::String => {
                let params = s.parameters.as_deref().unwrap_or_default();
                if params.iter().any(|(k, _)| k == JSON_TYPE_ENUM) {
                    let prefix = format!("{JSON_TYPE_ENUM}.");
                    let symbols = params
                        .iter()
                        .filter_map(|(k, _)| k.strip_prefix(&prefix))
                        .map(|sym| {
                            if sym == NULL_MARKER {
                                Value::Null
                            } else {
                                Value::from(sym)
                            }
                        })
                        .collect();
                    body.insert("enum".into(), Value::Array(symbols));
                } else {
                    body.insert("type".into(), "string".into());
                }
            }
            Type::Bytes => {
                let numeric =
                    s.name.as_deref() == Some(logical::DECIMAL) && self.config.decimal_numeric;
                body.insert(
                    "type".into(),
                    if numeric { "number" } else { "string" }.into(),
                );
                props.push(connect_type("bytes"));
            }
            Type::Array(items) => {
                body.insert("type".into(), "array".into());
                body.insert("items".into(), self.convert(items, None, false)?);
            }
            Type::Map(k, v) => {
                if k.optional {
                    return Err(data(
                        "optional map keys are not supported by Strait's JsonSchemaConverter",
                    ));
                }
                if k.ty == Type::String {
                    body.insert("type".into(), "object".into());
                    body.insert("additionalProperties".into(), self.convert(v, None, false)?);
                } else {
                    let mut entry_props = Map::new();
                    entry_props.insert(KEY_FIELD.into(), self.convert(k, Some(0), false)?);
                    entry_props.insert(VALUE_FIELD.into(), self.convert(v, Some(1), false)?);
                    let mut entry = Map::new();
                    entry.insert("type".into(), "object".into());
                    entry.insert("properties".into(), Value::Object(entry_props));
                    body.insert("type".into(), "array".into());
                    body.insert("items".into(), Value::Object(entry));
                }
                props.push(connect_type("map"));
            }
            Type::Struct(fields) => {
                if s.name.as_deref() == Some(JSON_TYPE_ONE_OF) {
                    return Err(data(
                        "writing a io.confluent.connect.json.OneOf union struct is not supported \
                         by Strait's JsonSchemaConverter",
                    ));
                }
                if s.optional {
                    // Java wraps the required struct (without its index) in oneOf [null, it].
                    let mut inner = s.clone();
                    inner.optional = false;
                    let mut combined = one_of_null(self.convert(&inner, None, true)?);
                    if let Some(i) = index {
                        combined.insert(CONNECT_INDEX_PROP.into(), i.into());
                    }
                    return Ok(Value::Object(combined));
                }
                let mut properties = Map::new();
                for (i, (name, fs)) in fields.iter().enumerate() {
                    let i = i32::try_from(i).map_err(|_| data("too many struct fields"))?;
                    properties.insert(name.clone(), self.convert(fs, Some(i), false)?);
                }
                body.insert("type".into(), "object".into());
                body.insert("properties".into(), Value::Object(properties));
                if !self.config.object_additional_properties {
                    body.insert("additionalProperties".into(), false.into());
                }
            }
        }
        let mut out = Map::new();
        if let Some(name) = &s.name {
            out.insert("title".into(), name.clone().into());
        }
        if let Some(doc) = &s.doc {
            out.insert("description".into(), doc.clone().into());
        }
        if let Some(d) = &s.default {
            // The default as fromConnectData writes it: the canonical JSON the Connect schema
            // holds was written with this format's options.
            let value: Value = serde_json::from_slice(d)
                .map_err(|e| data(format!("Invalid default value: {e}")))?;
            out.insert("default".into(), value);
        }
        out.extend(body);
        if let Some(v) = s.version {
            props.push((CONNECT_VERSION_PROP, v.into()));
        }
        if let Some(params) = &s.parameters {
            let kept: Map<String, Value> = params
                .iter()
                .filter(|(k, _)| !k.starts_with(NAMESPACE))
                .map(|(k, v)| (k.clone(), Value::from(v.clone())))
                .collect();
            if !kept.is_empty() {
                props.push((CONNECT_PARAMETERS_PROP, Value::Object(kept)));
            }
        }
        if s.optional && !ignore_optional {
            props.sort_by_key(|(k, _)| *k);
            out.extend(props.into_iter().map(|(k, v)| (k.to_string(), v)));
            let mut combined = one_of_null(Value::Object(out));
            if let Some(i) = index {
                combined.insert(CONNECT_INDEX_PROP.into(), i.into());
            }
            return Ok(Value::Object(combined));
        }
        if let Some(i) = index {
            props.push((CONNECT_INDEX_PROP, i.into()));
        }
        props.sort_by_key(|(k, _)| *k);
        out.extend(props.into_iter().map(|(k, v)| (k.to_string(), v)));
        Ok(Value::Object(out))
    }
}
