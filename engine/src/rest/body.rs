//! Request body parsers: pure functions from bytes to typed requests, failing exactly where
//! Kafka Connect's Jackson binding fails, with its status (500 for malformed or wrongly shaped
//! JSON, 400 only where the resource itself checks) and, up to the location suffix Jackson
//! appends (`\n at [Source: …]`), its message.
//!
//! Rules Jackson applies that matter here: typed bodies reject unknown properties;
//! `Map<String,String>` values accept any JSON scalar (numbers and booleans become their text,
//! `null` stays null) and reject objects and arrays; an empty body or JSON `null` is a null
//! entity, which the resource then dereferences (a 500 NullPointerException in Java).
//!
//! [`parse_body`] runs any of them on arbitrary bytes; the fuzz target uses it.

use serde_json::{Map, Value};

use super::RestError;
use crate::batch::SourceMap;
use crate::config::{json_scalar_to_string, InitialState};
use crate::herder::{OffsetEntry, RawConfig};

const CREATE_REQUEST: &str =
    "org.apache.kafka.connect.runtime.rest.entities.CreateConnectorRequest";
const OFFSETS: &str = "org.apache.kafka.connect.runtime.rest.entities.ConnectorOffsets";
const OFFSET: &str = "org.apache.kafka.connect.runtime.rest.entities.ConnectorOffset";
const STRING_MAP: &str = "java.util.LinkedHashMap<java.lang.String,java.lang.String>";

/// `POST /connectors` body.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateConnectorRequest {
    /// Trimmed; missing = empty.
    pub name: String,
    pub config: RawConfig,
    pub initial_state: Option<InitialState>,
}

/// Which parser to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    CreateConnector,
    ConfigMap,
    Offsets,
    LoggerLevel,
}

/// Run the parser for `kind` on `bytes`; only the outcome matters (for fuzzing: never panics,
/// and every error is a 4xx/5xx with Kafka Connect's body).
pub fn parse_body(kind: BodyKind, bytes: &[u8]) -> Result<(), RestError> {
    match kind {
        BodyKind::CreateConnector => parse_create(bytes).map(drop),
        BodyKind::ConfigMap => parse_config_map(bytes).map(drop),
        BodyKind::Offsets => parse_offsets(bytes).map(drop),
        BodyKind::LoggerLevel => parse_logger_level(bytes).map(drop),
    }
}

fn e500(msg: impl Into<String>) -> RestError {
    RestError::new(500, msg)
}

/// Jackson's name for the token a value starts with.
fn token(v: &Value) -> &'static str {
    match v {
        Value::Array(_) => "Array value (token `JsonToken.START_ARRAY`)",
        Value::Object(_) => "Object value (token `JsonToken.START_OBJECT`)",
        Value::String(_) => "String value (token `JsonToken.VALUE_STRING`)",
        Value::Number(n) if n.is_f64() => {
            "Floating-point value (token `JsonToken.VALUE_NUMBER_FLOAT`)"
        }
        Value::Number(_) => "Integer value (token `JsonToken.VALUE_NUMBER_INT`)",
        Value::Bool(true) => "Boolean value (token `JsonToken.VALUE_TRUE`)",
        Value::Bool(false) => "Boolean value (token `JsonToken.VALUE_FALSE`)",
        Value::Null => "Null value (token `JsonToken.VALUE_NULL`)",
    }
}

/// Jackson's error for binding a scalar to a bean or map type (`class` = raw class name).
fn cannot_construct(class: &str, v: &Value) -> RestError {
    let (kind, shown) = match v {
        Value::String(s) => ("String", format!("String value ('{s}')")),
        Value::Number(n) if n.is_f64() => ("double/Double", format!("Floating-point value ({n})")),
        Value::Number(n) => ("int/Int", format!("Number value ({n})")),
        Value::Bool(b) => ("boolean/Boolean", format!("Boolean value ({b})")),
        _ => {
            return e500(format!(
                "Cannot deserialize value of type `{class}` from {}",
                token(v)
            ))
        }
    };
    e500(format!(
        "Cannot construct instance of `{class}` (although at least one Creator exists): no {kind}-argument constructor/factory method to deserialize from {shown}"
    ))
}

fn unrecognized(field: &str, class: &str, known: &str) -> RestError {
    e500(format!(
        "Unrecognized field \"{field}\" (class {class}), not marked as ignorable ({known})"
    ))
}

/// Parse JSON; an empty body is Jersey's null entity (`Ok(None)`), as is `null`. Like
/// Jackson's default binding, only the first value is read: trailing content is ignored.
pub fn parse_json(bytes: &[u8]) -> Result<Option<Value>, RestError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    match serde_json::Deserializer::from_slice(bytes)
        .into_iter::<Value>()
        .next()
    {
        Some(Ok(Value::Null)) | None => Ok(None),
        Some(Ok(v)) => Ok(Some(v)),
        Some(Err(e)) => Err(syntax_error(bytes, &e)),
    }
}

/// Jackson's wording for malformed JSON, with its location suffix.
fn syntax_error(bytes: &[u8], e: &serde_json::Error) -> RestError {
    let (line, column) = (e.line(), e.column());
    let text = String::from_utf8_lossy(bytes);
    let at = text.lines().nth(line.saturating_sub(1)).unwrap_or("");
    let ch = at.chars().nth(column.saturating_sub(1));
    let serde_msg = e.to_string();
    let serde_msg = serde_msg
        .split(" at line ")
        .next()
        .unwrap_or(&serde_msg)
        .to_string();
    let unexpected = |what: &str| match ch {
        Some(c) => format!("Unexpected character ('{c}' (code {})): {what}", c as u32),
        None => format!("Unexpected character: {what}"),
    };
    let head = match serde_msg.as_str() {
        _ if e.is_eof() => {
            let open = text.trim_start().chars().next();
            match open {
                Some('[') => "Unexpected end-of-input: expected close marker for Array".to_string(),
                Some('{') => "Unexpected end-of-input: expected close marker for Object".to_string(),
                _ => "Unexpected end-of-input".to_string(),
            }
        }
        "key must be a string" => unexpected("was expecting double-quote to start field name"),
        "expected `:`" => unexpected("was expecting a colon to separate field name and value"),
        "expected `,` or `}`" => unexpected("was expecting comma to separate Object entries"),
        "expected `,` or `]`" => unexpected("was expecting comma to separate Array entries"),
        "expected value" | "expected ident" if ch.is_some_and(|c| c.is_alphabetic()) => {
            let start = column.saturating_sub(1);
            let token: String = at.chars().skip(start).take_while(|c| c.is_alphanumeric()).collect();
            format!(
                "Unrecognized token '{token}': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
            )
        }
        "expected value" => unexpected("expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')"),
        m if m.starts_with("control character") => {
            let code = ch.map(|c| c as u32).unwrap_or(0);
            format!(
                "Illegal unquoted character ((CTRL-CHAR, code {code})): has to be escaped using backslash to be included in string value"
            )
        }
        other => unexpected(other),
    };
    e500(format!(
        "{head}\n at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: {line}, column: {column}]"
    ))
}

/// A `Map<String,String>` value: scalars as text, `null` kept, objects and arrays rejected.
fn string_map(obj: &Map<String, Value>) -> Result<RawConfig, RestError> {
    obj.iter()
        .map(|(k, v)| match json_scalar_to_string(v) {
            Some(s) => Ok((k.clone(), s)),
            None => Err(e500(format!(
                "Cannot deserialize value of type `java.lang.String` from {}",
                token(v)
            ))),
        })
        .collect()
}

/// `PUT /connectors/{c}/config`, `PATCH …/config`, `PUT …/config/validate` bodies. `Ok(None)`
/// is the null entity.
pub fn parse_config_map(bytes: &[u8]) -> Result<Option<RawConfig>, RestError> {
    match parse_json(bytes)? {
        None => Ok(None),
        Some(Value::Object(obj)) => string_map(&obj).map(Some),
        Some(v @ Value::Array(_)) => Err(e500(format!(
            "Cannot deserialize value of type `{STRING_MAP}` from {}",
            token(&v)
        ))),
        Some(v) => Err(cannot_construct("java.util.LinkedHashMap", &v)),
    }
}

/// Internal `POST /connectors/{c}/tasks` body: a JSON array of task config maps (Java's
/// `List<Map<String, String>>`; a null value inside a map is dropped, as a task config cannot
/// hold one).
pub fn parse_task_configs(bytes: &[u8]) -> Result<Vec<crate::config::Props>, RestError> {
    match parse_json(bytes)? {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::Object(obj) => string_map(obj).map(|m| crate::herder::non_null(&m)),
                other => Err(cannot_construct("java.util.LinkedHashMap", other)),
            })
            .collect(),
        Some(v) => Err(e500(format!(
            "Cannot deserialize value of type `java.util.ArrayList<{STRING_MAP}>` from {}",
            token(&v)
        ))),
    }
}

/// `POST /connectors` body. The null entity is the NullPointerException Java answers with.
pub fn parse_create(bytes: &[u8]) -> Result<CreateConnectorRequest, RestError> {
    let obj = match parse_json(bytes)? {
        None => {
            return Err(e500(format!(
                "Cannot invoke \"{CREATE_REQUEST}.name()\" because \"createRequest\" is null"
            )))
        }
        Some(Value::Object(obj)) => obj,
        Some(v @ Value::Array(_)) => {
            return Err(e500(format!(
                "Cannot deserialize value of type `{CREATE_REQUEST}` from {}",
                token(&v)
            )))
        }
        Some(v) => return Err(cannot_construct(CREATE_REQUEST, &v)),
    };
    let mut name = None;
    let mut config = None;
    let mut initial_state = None;
    for (k, v) in &obj {
        match k.as_str() {
            "name" => {
                name = match json_scalar_to_string(v) {
                    Some(s) => s,
                    None => {
                        return Err(e500(format!(
                            "Cannot deserialize value of type `java.lang.String` from {}",
                            token(v)
                        )))
                    }
                }
            }
            "config" => {
                config = match v {
                    Value::Null => None,
                    Value::Object(o) => Some(string_map(o)?),
                    Value::Array(_) => {
                        return Err(e500(format!(
                            "Cannot deserialize value of type `{STRING_MAP}` from {}",
                            token(v)
                        )))
                    }
                    other => return Err(cannot_construct("java.util.LinkedHashMap", other)),
                }
            }
            "initial_state" => {
                initial_state = match v {
                    Value::Null => None,
                    Value::Object(_) | Value::Array(_) => {
                        return Err(e500(format!(
                            "Cannot deserialize value of type `java.lang.String` from {}",
                            token(v)
                        )))
                    }
                    other => {
                        let text = json_scalar_to_string(other).flatten().unwrap_or_default();
                        Some(InitialState::parse(&text).map_err(|_| {
                            e500(format!(
                                "Cannot construct instance of `{CREATE_REQUEST}$InitialState`, problem: No enum constant {}.InitialState.{}",
                                CREATE_REQUEST,
                                text.to_uppercase()
                            ))
                        })?)
                    }
                }
            }
            other => {
                return Err(unrecognized(
                    other,
                    CREATE_REQUEST,
                    "3 known properties: \"config\", \"name\", \"initial_state\"]",
                ))
            }
        }
    }
    let config = config.ok_or_else(|| {
        e500("Cannot invoke \"java.util.Map.get(Object)\" because \"connectorConfig\" is null")
    })?;
    Ok(CreateConnectorRequest {
        name: name.unwrap_or_default().trim().to_string(),
        config,
        initial_state,
    })
}

/// A partition or offset map of an offsets request (`Map<String,Object>`).
fn object_map(v: &Value) -> Result<Option<SourceMap>, RestError> {
    match v {
        Value::Null => Ok(None),
        Value::Object(o) => Ok(Some(o.clone())),
        Value::Array(_) => Err(e500(format!(
            "Cannot deserialize value of type `java.util.LinkedHashMap<java.lang.String,java.lang.Object>` from {}",
            token(v)
        ))),
        other => Err(cannot_construct("java.util.LinkedHashMap", other)),
    }
}

/// `PATCH /connectors/{c}/offsets` body: the entries, or 400 when there are none (Java's
/// resource check, after binding succeeded).
pub fn parse_offsets(bytes: &[u8]) -> Result<Vec<OffsetEntry>, RestError> {
    let none = || {
        RestError::new(
            400,
            "Partitions / offsets need to be provided for an alter offsets request",
        )
    };
    let obj = match parse_json(bytes)? {
        None => {
            return Err(e500(format!(
                "Cannot invoke \"{OFFSETS}.offsets()\" because \"offsets\" is null"
            )))
        }
        Some(Value::Object(obj)) => obj,
        Some(v @ Value::Array(_)) => {
            return Err(e500(format!(
                "Cannot deserialize value of type `{OFFSETS}` from {}",
                token(&v)
            )))
        }
        Some(v) => return Err(cannot_construct(OFFSETS, &v)),
    };
    let mut list: Option<&Vec<Value>> = None;
    for (k, v) in &obj {
        match (k.as_str(), v) {
            ("offsets", Value::Null) => list = None,
            ("offsets", Value::Array(a)) => list = Some(a),
            ("offsets", other) => {
                return Err(e500(format!(
                    "Cannot deserialize value of type `java.util.ArrayList<{OFFSET}>` from {}",
                    token(other)
                )))
            }
            (other, _) => {
                return Err(unrecognized(
                    other,
                    OFFSETS,
                    "one known property: \"offsets\"]",
                ))
            }
        }
    }
    let list = list.ok_or_else(none)?;
    let mut out = Vec::with_capacity(list.len());
    for item in list {
        let o = match item {
            Value::Object(o) => o,
            // A null element is a null ConnectorOffset; Java then fails dereferencing it.
            Value::Null => {
                return Err(e500(format!(
                    "Cannot invoke \"{OFFSET}.partition()\" because \"offset\" is null"
                )))
            }
            Value::Array(_) => {
                return Err(e500(format!(
                    "Cannot deserialize value of type `{OFFSET}` from {}",
                    token(item)
                )))
            }
            other => return Err(cannot_construct(OFFSET, other)),
        };
        let mut partition = None;
        let mut offset = None;
        for (k, v) in o {
            match k.as_str() {
                "partition" => partition = object_map(v)?,
                "offset" => offset = object_map(v)?,
                other => {
                    return Err(unrecognized(
                        other,
                        OFFSET,
                        "2 known properties: \"partition\", \"offset\"]",
                    ))
                }
            }
        }
        out.push((partition, offset));
    }
    if out.is_empty() {
        return Err(none());
    }
    Ok(out)
}

/// `PUT /admin/loggers/{name}` body (`Map<String,String>`): the `level` value, if any.
pub fn parse_logger_level(bytes: &[u8]) -> Result<Option<String>, RestError> {
    match parse_config_map(bytes)? {
        None => Err(e500(
            "Cannot invoke \"java.util.Map.get(Object)\" because \"levelMap\" is null",
        )),
        Some(map) => Ok(map.get("level").cloned().flatten()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(r: Result<impl std::fmt::Debug, RestError>) -> (u16, String) {
        let e = r.expect_err("expected an error");
        (
            e.status,
            e.message.split("\n at [Source").next().unwrap().to_string(),
        )
    }

    #[test]
    fn create_request_binding_matches_jackson() {
        let ok = parse_create(br#"{"name":" a ","config":{"tasks.max":1,"x":null,"b":true},"initial_state":"paused"}"#).unwrap();
        assert_eq!(ok.name, "a");
        assert_eq!(ok.config["tasks.max"].as_deref(), Some("1"));
        assert_eq!(ok.config["x"], None);
        assert_eq!(ok.initial_state, Some(InitialState::Paused));
        assert_eq!(
            msg(parse_create(b"[]")),
            (500, format!("Cannot deserialize value of type `{CREATE_REQUEST}` from Array value (token `JsonToken.START_ARRAY`)"))
        );
        assert!(msg(parse_create(br#"{"name":"a","foo":1}"#))
            .1
            .starts_with("Unrecognized field \"foo\""));
        assert_eq!(
            msg(parse_create(br#"{"name":"a","config":{"x":{"y":1}}}"#)).1,
            "Cannot deserialize value of type `java.lang.String` from Object value (token `JsonToken.START_OBJECT`)"
        );
        assert!(msg(parse_create(
            br#"{"name":"a","config":{},"initial_state":"foo"}"#
        ))
        .1
        .ends_with("InitialState.FOO"));
        assert!(msg(parse_create(b""))
            .1
            .contains("\"createRequest\" is null"));
        assert!(msg(parse_create(br#"{"name":"a"}"#))
            .1
            .contains("\"connectorConfig\" is null"));
        let (status, m) = msg(parse_create(b"{bad"));
        assert_eq!(status, 500);
        assert_eq!(
            m,
            "Unexpected character ('b' (code 98)): was expecting double-quote to start field name"
        );
        assert!(msg(parse_create(b"xyz"))
            .1
            .starts_with("Unrecognized token 'xyz'"));
        // Jackson reads the first value only.
        assert_eq!(
            parse_config_map(b"{\"a\":\"b\"} trailing")
                .unwrap()
                .unwrap()
                .len(),
            1
        );
        assert!(msg(parse_create(br#""x""#)).1.contains(
            "no String-argument constructor/factory method to deserialize from String value ('x')"
        ));
    }

    #[test]
    fn offsets_binding_and_resource_checks() {
        assert_eq!(msg(parse_offsets(b"{}")).0, 400);
        assert!(msg(parse_offsets(b""))
            .1
            .contains("because \"offsets\" is null"));
        assert_eq!(msg(parse_offsets(br#"{"offsets":[]}"#)).0, 400);
        assert_eq!(msg(parse_offsets(br#"{"offsets":null}"#)).0, 400);
        assert!(msg(parse_offsets(br#"{"key":[]}"#))
            .1
            .contains("(one known property: \"offsets\"])"));
        assert!(msg(parse_offsets(br#"{"offsets":[123]}"#))
            .1
            .contains("from Number value (123)"));
        assert!(msg(parse_offsets(br#"[]"#))
            .1
            .contains("ConnectorOffsets` from Array value"));
        let ok = parse_offsets(br#"{"offsets":[{},{"partition":{"a":1},"offset":null}]}"#).unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[0], (None, None));
        assert!(ok[1].0.is_some() && ok[1].1.is_none());
    }

    #[test]
    fn maps_and_logger_levels() {
        assert_eq!(parse_config_map(b"  ").unwrap(), None);
        assert!(msg(parse_config_map(b"[]")).1.contains(STRING_MAP));
        assert_eq!(
            parse_logger_level(br#"{"level":5,"x":"y"}"#)
                .unwrap()
                .as_deref(),
            Some("5")
        );
        assert_eq!(parse_logger_level(br#"{"lvl":"INFO"}"#).unwrap(), None);
        for kind in [
            BodyKind::CreateConnector,
            BodyKind::ConfigMap,
            BodyKind::Offsets,
            BodyKind::LoggerLevel,
        ] {
            for junk in [
                &b"\xff\xfe"[..],
                b"{\"a\":",
                b"[[[[",
                b"1e999999",
                b"\"\\ud800\"",
            ] {
                let _ = parse_body(kind, junk);
            }
        }
    }
}
