//! Configuration: Java `.properties` parsing, connector config files, and typed config
//! definitions that validate without I/O and report every problem on its key, as Kafka's
//! `ConfigDef` does (same types, same error messages).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::error::{Error, Result};

pub mod declare;
#[doc(hidden)]
pub use declare::{apply, nullable, present};
pub use declare::{types, KeyType};

/// A raw configuration: string keys to string values, as Kafka Connect passes them around.
pub type Props = BTreeMap<String, String>;

/// Parse the text of a Java `.properties` file exactly as `java.util.Properties.load` does:
/// `#`/`!` comments, `=`, `:` or whitespace separators, backslash line continuations, escapes
/// (`\t`, `\n`, `\r`, `\f`, `\uXXXX`, `\x` = `x`); the last duplicate wins.
/// The only input Java rejects is a malformed `\u` escape, and so do we.
pub fn parse_properties(input: &str) -> Result<Props> {
    let mut props = Props::new();
    let mut lines = LogicalLines::new(input);
    while let Some((line_no, line)) = lines.next_line() {
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        // Key: up to the first unescaped separator.
        let mut key_end = chars.len();
        let mut value_start = chars.len();
        let mut escaped = false;
        while i < chars.len() {
            let c = chars[i];
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '=' || c == ':' {
                key_end = i;
                value_start = i + 1;
                break;
            } else if c == ' ' || c == '\t' || c == '\x0c' {
                key_end = i;
                let mut j = i;
                while j < chars.len() && matches!(chars[j], ' ' | '\t' | '\x0c') {
                    j += 1;
                }
                if j < chars.len() && (chars[j] == '=' || chars[j] == ':') {
                    j += 1;
                }
                value_start = j;
                break;
            }
            i += 1;
        }
        while value_start < chars.len() && matches!(chars[value_start], ' ' | '\t' | '\x0c') {
            value_start += 1;
        }
        let key = unescape(&chars[..key_end], line_no)?;
        let value = unescape(&chars[value_start.min(chars.len())..], line_no)?;
        props.insert(key, value);
    }
    Ok(props)
}

/// Splits input into logical lines: comments and blank lines dropped, continuations joined,
/// leading whitespace of every natural line removed.
struct LogicalLines<'a> {
    natural: std::iter::Peekable<std::iter::Enumerate<NaturalLines<'a>>>,
}

/// Natural lines terminated by `\n`, `\r` or `\r\n`.
struct NaturalLines<'a> {
    rest: &'a str,
}

impl<'a> Iterator for NaturalLines<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        if self.rest.is_empty() {
            return None;
        }
        match self.rest.find(['\n', '\r']) {
            Some(pos) => {
                let line = &self.rest[..pos];
                let skip = if self.rest[pos..].starts_with("\r\n") {
                    2
                } else {
                    1
                };
                self.rest = &self.rest[pos + skip..];
                Some(line)
            }
            None => {
                let line = self.rest;
                self.rest = "";
                Some(line)
            }
        }
    }
}

impl<'a> LogicalLines<'a> {
    fn new(input: &'a str) -> Self {
        LogicalLines {
            natural: NaturalLines { rest: input }.enumerate().peekable(),
        }
    }

    fn next_line(&mut self) -> Option<(usize, String)> {
        loop {
            let (no, raw) = self.natural.next()?;
            let line = raw.trim_start_matches([' ', '\t', '\x0c']);
            if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
                continue;
            }
            let mut out = String::new();
            let mut current = line;
            loop {
                let trailing = current.chars().rev().take_while(|&c| c == '\\').count();
                if trailing % 2 == 1 {
                    out.push_str(&current[..current.len() - 1]);
                    match self.natural.next() {
                        Some((_, next)) => current = next.trim_start_matches([' ', '\t', '\x0c']),
                        None => break,
                    }
                } else {
                    out.push_str(current);
                    break;
                }
            }
            return Some((no + 1, out));
        }
    }
}

fn unescape(chars: &[char], line_no: usize) -> Result<String> {
    let mut out = String::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '\\' {
            out.push(c);
            i += 1;
            continue;
        }
        i += 1;
        let Some(&e) = chars.get(i) else { break };
        i += 1;
        match e {
            't' => out.push('\t'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            'f' => out.push('\x0c'),
            'u' => {
                let hex: String = chars
                    .get(i..i + 4)
                    .map(|s| s.iter().collect())
                    .unwrap_or_default();
                let code = (hex.len() == 4)
                    .then(|| u32::from_str_radix(&hex, 16).ok())
                    .flatten()
                    .ok_or_else(|| {
                        Error::config(format!("Malformed \\uxxxx encoding on line {line_no}"))
                    })?;
                i += 4;
                // Java strings are UTF-16: join surrogate pairs written as two escapes.
                if (0xD800..0xDC00).contains(&code)
                    && chars.get(i) == Some(&'\\')
                    && chars.get(i + 1) == Some(&'u')
                {
                    let low: String = chars
                        .get(i + 2..i + 6)
                        .map(|s| s.iter().collect())
                        .unwrap_or_default();
                    if let Ok(low) = u32::from_str_radix(&low, 16) {
                        if (0xDC00..0xE000).contains(&low) {
                            let combined = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                            out.extend(char::from_u32(combined));
                            i += 6;
                            continue;
                        }
                    }
                }
                out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

/// Decode a properties file's bytes. Java reads `.properties` as ISO-8859-1; we accept UTF-8
/// (what users write today) and fall back to ISO-8859-1 for bytes that are not valid UTF-8.
pub fn decode_properties_bytes(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => bytes.iter().map(|&b| b as char).collect(),
    }
}

/// Target state requested when a connector is created (KIP-980 `initial_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum InitialState {
    Running,
    Paused,
    Stopped,
}

impl InitialState {
    /// Parsed case-insensitively, like Java's `CreateConnectorRequest.InitialState.forValue`.
    pub fn parse(s: &str) -> Result<Self> {
        match s.to_ascii_uppercase().as_str() {
            "RUNNING" => Ok(InitialState::Running),
            "PAUSED" => Ok(InitialState::Paused),
            "STOPPED" => Ok(InitialState::Stopped),
            other => Err(Error::config(format!(
                "Cannot deserialize value of type `InitialState` from String \"{other}\": not one of the values accepted for Enum class: [PAUSED, STOPPED, RUNNING]"
            ))),
        }
    }
}

/// A connector submission read from a file or a POST body: name, config, optional initial state.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectorSubmission {
    pub name: String,
    pub config: Props,
    pub initial_state: Option<InitialState>,
}

/// Turn a JSON scalar into the string Kafka Connect's Jackson mapping would produce for a
/// `Map<String,String>` value. Objects and arrays are rejected.
pub fn json_scalar_to_string(v: &serde_json::Value) -> Option<Option<String>> {
    match v {
        serde_json::Value::Null => Some(None),
        serde_json::Value::String(s) => Some(Some(s.clone())),
        serde_json::Value::Bool(b) => Some(Some(b.to_string())),
        serde_json::Value::Number(n) => Some(Some(n.to_string())),
        _ => None,
    }
}

/// Parse a standalone connector config file, trying the three formats Kafka Connect tries, in
/// order (KIP-1030): a flat JSON object of strings (must contain `name`), a JSON object shaped
/// like the POST `/connectors` body, then a Java properties file (must contain `name`).
/// `origin` names the file in error messages.
pub fn parse_connector_file_at(text: &str, origin: &str) -> Result<ConnectorSubmission> {
    if let Ok(serde_json::Value::Object(obj)) = serde_json::from_str::<serde_json::Value>(text) {
        // Form 1: flat map of scalars.
        let flat: Option<Props> = obj
            .iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(_)
                | serde_json::Value::Number(_)
                | serde_json::Value::Bool(_) => {
                    json_scalar_to_string(v).flatten().map(|s| (k.clone(), s))
                }
                _ => None,
            })
            .collect();
        if let Some(config) = flat {
            let name = config.get("name").cloned().ok_or_else(|| {
                Error::config(format!(
                    "Connector configuration at '{origin}' is missing the mandatory 'name' configuration"
                ))
            })?;
            return Ok(ConnectorSubmission {
                name,
                config,
                initial_state: None,
            });
        }
        // Form 2: {"name":…, "config":{…}, "initial_state":…}; unknown fields ignored.
        if let Some(serde_json::Value::Object(cfg)) = obj.get("config") {
            let name = match obj.get("name") {
                Some(serde_json::Value::String(s)) => s.trim().to_string(),
                _ => String::new(),
            };
            let mut config = Props::new();
            for (k, v) in cfg {
                match json_scalar_to_string(v) {
                    Some(Some(s)) => {
                        config.insert(k.clone(), s);
                    }
                    Some(None) => {
                        return Err(Error::config(format!(
                            "Connector configuration at '{origin}' has a null value for '{k}'"
                        )))
                    }
                    None => {
                        return Err(Error::config(format!(
                            "Connector configuration at '{origin}' has a non-scalar value for '{k}'"
                        )))
                    }
                }
            }
            match config.get("name") {
                Some(n) if *n != name => {
                    return Err(Error::config(format!(
                        "Connector name configuration in 'config' doesn't match the one specified in 'name' at '{origin}'"
                    )))
                }
                Some(_) => {}
                None => {
                    config.insert("name".into(), name.clone());
                }
            }
            let initial_state = match obj.get("initial_state") {
                Some(serde_json::Value::String(s)) => Some(InitialState::parse(s)?),
                Some(serde_json::Value::Null) | None => None,
                Some(other) => {
                    return Err(Error::config(format!(
                        "Invalid initial_state {other} at '{origin}'"
                    )))
                }
            };
            return Ok(ConnectorSubmission {
                name,
                config,
                initial_state,
            });
        }
    }
    let config =
        parse_properties(text).map_err(|e| e.context(format!("Failed to read '{origin}'")))?;
    let name = config.get("name").cloned().ok_or_else(|| {
        Error::config(format!(
            "Connector configuration at '{origin}' is missing the mandatory 'name' configuration"
        ))
    })?;
    Ok(ConnectorSubmission {
        name,
        config,
        initial_state: None,
    })
}

/// [`parse_connector_file_at`] without a file name.
pub fn parse_connector_file(text: &str) -> Result<ConnectorSubmission> {
    parse_connector_file_at(text, "<input>")
}

// ---------------------------------------------------------------------------------------------
// Config definitions
// ---------------------------------------------------------------------------------------------

/// ConfigDef types, named as Kafka names them in REST responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ConfigType {
    Boolean,
    String,
    Int,
    Short,
    Long,
    Double,
    List,
    Class,
    Password,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Importance {
    High,
    Medium,
    Low,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Width {
    None,
    Short,
    Medium,
    Long,
}

/// Default of a config key. Java distinguishes "no default" (required) from a `null` default.
#[derive(Debug, Clone, PartialEq)]
pub enum Default {
    Required,
    Null,
    Value(String),
}

/// Validators, with Java's `ConfigDef` messages.
#[derive(Debug, Clone, PartialEq)]
pub enum Validator {
    None,
    /// `ConfigDef.Range.atLeast` / `between` (inclusive).
    Range {
        min: Option<f64>,
        max: Option<f64>,
    },
    /// `ConfigDef.ValidString.in` (case-sensitive).
    OneOf(&'static [&'static str]),
    /// `ConfigDef.CaseInsensitiveValidString.in`.
    OneOfIgnoreCase(&'static [&'static str]),
    /// `ConfigDef.NonEmptyString`.
    NonEmptyString,
    /// `ConfigDef.NonEmptyStringWithoutControlChars`.
    NonEmptyStringWithoutControlChars,
    /// `ConfigDef.NonNullValidator` (a value given as text is never null: it only documents).
    NonNull,
    /// `org.apache.kafka.connect.transforms.util.NonEmptyListValidator`.
    NonEmptyList,
    /// `org.apache.kafka.connect.transforms.util.RegexValidator`: a Java regular expression.
    Regex,
    /// `ConfigDef.CompositeValidator.of(...)`: each in turn, the first failure is the error.
    Composite(&'static [Validator]),
    /// A plugin's own validator (Java's `ConfigDef.Validator` implementations and
    /// `LambdaValidator`s).
    Custom(&'static CustomValidator),
}

/// A validator defined by a plugin: `check(name, value)` returns the whole error message
/// (usually `Invalid value … for configuration …: …`, Java's `ConfigException` wording).
#[derive(Debug)]
pub struct CustomValidator {
    /// Java's `toString()` of the validator.
    pub describe: &'static str,
    pub check: fn(&str, &Value) -> Result<()>,
}

impl PartialEq for CustomValidator {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Validator {
    /// `ConfigDef.Range.atLeast(min)`.
    pub const fn at_least(min: f64) -> Self {
        Validator::Range {
            min: Some(min),
            max: None,
        }
    }

    /// `ConfigDef.Range.between(min, max)`, both inclusive.
    pub const fn between(min: f64, max: f64) -> Self {
        Validator::Range {
            min: Some(min),
            max: Some(max),
        }
    }
}

/// One configuration key definition.
#[derive(Debug, Clone)]
pub struct ConfigKey {
    pub name: String,
    pub ty: ConfigType,
    pub default: Default,
    pub validator: Validator,
    pub importance: Importance,
    pub documentation: String,
    pub group: Option<String>,
    pub order: i32,
    pub width: Width,
    pub display_name: String,
    pub dependents: Vec<String>,
    /// Length of the prefix [`ConfigDef::embed`] put before the name (0 for other keys). Java's
    /// embedded validators see the name without it, so their messages name the key as the
    /// plugin defines it (`spec`), while parse errors name it in full (`transforms.c.spec`).
    pub embedded_prefix: usize,
}

impl ConfigKey {
    /// The name the validator reports (see [`ConfigKey::embedded_prefix`]).
    fn validator_name(&self) -> &str {
        &self.name[self.embedded_prefix..]
    }
}

/// A set of key definitions: drives parsing, validation and the REST plugin config endpoints.
#[derive(Debug, Clone, Default)]
pub struct ConfigDef {
    keys: Vec<ConfigKey>,
}

/// Typed parsed value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i32),
    Short(i16),
    Long(i64),
    Double(f64),
    Str(String),
    List(Vec<String>),
    Class(String),
    Password(String),
}

impl Value {
    /// The value as Java prints it in a `ConfigException` (a list as `List.toString`, a
    /// password hidden).
    pub fn java_text(&self) -> String {
        match self {
            Value::Null => "null".to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Short(i) => i.to_string(),
            Value::Long(i) => i.to_string(),
            Value::Double(d) => d.to_string(),
            Value::Str(s) | Value::Class(s) => s.clone(),
            Value::List(l) => format!("[{}]", l.join(", ")),
            Value::Password(_) => "[hidden]".to_string(),
        }
    }
}

/// Java's `ConfigException(name, value, message)`: "Invalid value V for configuration K: M".
pub fn config_exception(name: &str, value: impl std::fmt::Display, message: &str) -> Error {
    Error::config(format!(
        "Invalid value {value} for configuration {name}: {message}"
    ))
}

/// Validation result for one key, shaped like Kafka's `ConfigValue`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfigValue {
    pub name: String,
    pub value: Option<String>,
    pub recommended_values: Vec<String>,
    pub errors: Vec<String>,
    pub visible: bool,
}

impl ConfigDef {
    pub fn new() -> Self {
        ConfigDef { keys: Vec::new() }
    }

    /// Add one key as it is (orders included).
    pub fn with_key(mut self, key: ConfigKey) -> Self {
        self.keys.push(key);
        self
    }

    /// Add every key of `other` after this def's keys, as they are.
    pub fn extend(mut self, other: ConfigDef) -> Self {
        self.keys.extend(other.keys);
        self
    }

    /// Add every key of `other` that this def does not define yet (this def wins on clashes).
    pub fn merge(mut self, other: &ConfigDef) -> Self {
        for k in &other.keys {
            if !self.keys.iter().any(|m| m.name == k.name) {
                self.keys.push(k.clone());
            }
        }
        self
    }

    pub fn keys(&self) -> &[ConfigKey] {
        &self.keys
    }

    /// The keys in Java's `ConfigDef.sortedConfigs()` order: by group (keys without a group
    /// first, then groups in first-appearance order), order in group, required keys first,
    /// importance (high first), name.
    pub fn sorted_keys(&self) -> Vec<&ConfigKey> {
        let groups = self.groups();
        let group_rank = |k: &ConfigKey| {
            k.group
                .as_ref()
                .map(|g| groups.iter().position(|x| x == g).unwrap_or(0) + 1)
                .unwrap_or(0)
        };
        let mut keys: Vec<&ConfigKey> = self.keys.iter().collect();
        keys.sort_by(|a, b| {
            group_rank(a)
                .cmp(&group_rank(b))
                .then(a.order.cmp(&b.order))
                .then((a.default != Default::Required).cmp(&(b.default != Default::Required)))
                .then(a.importance.cmp(&b.importance))
                .then(a.name.cmp(&b.name))
        });
        keys
    }

    /// Java's `ConfigDef.embed(prefix, group, startingOrd, child)`: the child's keys in
    /// [`sorted_keys`](Self::sorted_keys) order, named `<prefix><name>`, in group `<group>` (or
    /// `<group>: <child's group>`), numbered from `start_order`.
    pub fn embed(mut self, prefix: &str, group: &str, start_order: i32, child: &ConfigDef) -> Self {
        for (i, k) in child.sorted_keys().into_iter().enumerate() {
            let mut key = k.clone();
            key.name = format!("{prefix}{}", k.name);
            key.embedded_prefix = prefix.len() + k.embedded_prefix;
            key.group = Some(match &k.group {
                Some(g) => format!("{group}: {g}"),
                None => group.to_string(),
            });
            key.order = start_order + i as i32;
            key.dependents = k
                .dependents
                .iter()
                .map(|d| format!("{prefix}{d}"))
                .collect();
            self.keys.push(key);
        }
        self
    }

    pub fn key(&self, name: &str) -> Option<&ConfigKey> {
        self.keys.iter().find(|k| k.name == name)
    }

    /// Groups in first-appearance order.
    pub fn groups(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for k in &self.keys {
            if let Some(g) = &k.group {
                if !out.contains(g) {
                    out.push(g.clone());
                }
            }
        }
        out
    }

    /// Validate every defined key; never stops at the first problem. Pure: no I/O.
    pub fn validate(&self, props: &Props) -> Vec<ConfigValue> {
        self.keys
            .iter()
            .map(|k| {
                let raw = props.get(&k.name);
                let mut cv = ConfigValue {
                    name: k.name.clone(),
                    value: raw.cloned().or_else(|| match &k.default {
                        Default::Value(v) => Some(v.clone()),
                        _ => None,
                    }),
                    recommended_values: Vec::new(),
                    errors: Vec::new(),
                    visible: true,
                };
                if k.ty == ConfigType::Password && cv.value.is_some() {
                    cv.value = Some("[hidden]".into());
                }
                // Java reports a list as its parsed items joined with "," (`a, b` → `a,b`).
                if let Some(Ok(Value::List(items))) = raw.map(|t| parse_type(k, t)) {
                    cv.value = Some(items.join(","));
                }
                if let Err(e) = parse_key(k, raw) {
                    cv.errors.push(e.message().to_string());
                    // A value Java cannot parse, or a required key that is missing, is null,
                    // and Java then runs the validator on that null (so `tasks.max=x` has two
                    // errors).
                    let unparsed = raw.is_some_and(|t| parse_type(k, t).is_err());
                    if unparsed || raw.is_none() {
                        cv.value = None;
                        cv.errors.extend(null_validator_error(k));
                    }
                }
                cv
            })
            .collect()
    }

    /// The error Java's `AbstractConfig` throws parsing `props` with this definition: the first,
    /// in key order, with its exception class kept.
    pub fn first_error(&self, props: &Props) -> Option<Error> {
        self.keys
            .iter()
            .find_map(|k| parse_key(k, props.get(&k.name)).err())
    }

    /// Every validation error, one line each, as `key: message` (for CLI start-up errors).
    pub fn errors(&self, props: &Props) -> Vec<String> {
        self.validate(props)
            .into_iter()
            .flat_map(|v| v.errors)
            .collect()
    }
}

/// `ConfigDef.CaseInsensitiveValidString`'s message: the valid strings upper-cased, in the
/// order of the `HashSet` Java keeps them in.
fn case_insensitive_one_of(allowed: &[&str]) -> String {
    let upper = allowed
        .iter()
        .map(|a| (a.to_ascii_uppercase(), ()))
        .collect::<Vec<_>>();
    let ordered: Vec<String> = crate::java_text::java_hash_map_order(upper)
        .into_iter()
        .map(|(s, ())| s)
        .collect();
    format!(
        "String must be one of (case insensitive): {}",
        ordered.join(", ")
    )
}

fn invalid(value: &str, name: &str, message: &str) -> Error {
    config_exception(name, value, message)
}

/// What the key's validator says of a null value, as Java's validators do: a range and a list
/// of valid strings reject it, the others let it pass.
fn null_validator_error(k: &ConfigKey) -> Option<String> {
    null_error(&k.validator, k.validator_name())
}

fn null_error(validator: &Validator, name: &str) -> Option<String> {
    let message = match validator {
        Validator::Range { .. } => "Value must be non-null".to_string(),
        Validator::OneOf(allowed) => format!("String must be one of: {}", allowed.join(", ")),
        Validator::OneOfIgnoreCase(allowed) => case_insensitive_one_of(allowed),
        Validator::NonNull => "entry must be non null".to_string(),
        Validator::NonEmptyList => "Empty list".to_string(),
        // `Pattern.compile(null)`'s NullPointerException, as JDK 17 words it.
        Validator::Regex => {
            "Invalid regex: Cannot invoke \"String.isEmpty()\" because \"this.pattern\" is null"
                .to_string()
        }
        Validator::Composite(all) => return all.iter().find_map(|v| null_error(v, name)),
        Validator::Custom(custom) => {
            return (custom.check)(name, &Value::Null)
                .err()
                .map(|e| e.message().to_string())
        }
        Validator::None
        | Validator::NonEmptyString
        | Validator::NonEmptyStringWithoutControlChars => return None,
    };
    Some(format!(
        "Invalid value null for configuration {name}: {message}"
    ))
}

fn parse_key(k: &ConfigKey, raw: Option<&String>) -> Result<Value> {
    let text = match (raw, &k.default) {
        (Some(v), _) => v.clone(),
        (None, Default::Value(d)) => d.clone(),
        (None, Default::Null) => return Ok(Value::Null),
        (None, Default::Required) => {
            return Err(Error::config(format!(
                "Missing required configuration \"{}\" which has no default value.",
                k.name
            )))
        }
    };
    let value = parse_type(k, &text)?;
    validate_value(k, &value, &text)?;
    Ok(value)
}

fn parse_type(k: &ConfigKey, text: &str) -> Result<Value> {
    let t = text.trim();
    Ok(match k.ty {
        ConfigType::Boolean => match t.to_ascii_lowercase().as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => {
                return Err(invalid(
                    t,
                    &k.name,
                    "Expected value to be either true or false",
                ))
            }
        },
        ConfigType::Int => Value::Int(
            t.parse()
                .map_err(|_| invalid(t, &k.name, "Not a number of type INT"))?,
        ),
        ConfigType::Short => Value::Short(
            t.parse()
                .map_err(|_| invalid(t, &k.name, "Not a number of type SHORT"))?,
        ),
        ConfigType::Long => Value::Long(
            t.parse()
                .map_err(|_| invalid(t, &k.name, "Not a number of type LONG"))?,
        ),
        ConfigType::Double => Value::Double(
            t.parse()
                .map_err(|_| invalid(t, &k.name, "Not a number of type DOUBLE"))?,
        ),
        ConfigType::String => Value::Str(t.to_string()),
        ConfigType::Password => Value::Password(text.to_string()),
        ConfigType::Class => Value::Class(t.to_string()),
        ConfigType::List => {
            if t.is_empty() {
                Value::List(Vec::new())
            } else {
                Value::List(t.split(',').map(|s| s.trim().to_string()).collect())
            }
        }
    })
}

/// A range bound as Java prints it: whole numbers without a fraction (`0`, not `0.0`).
pub fn format_bound(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{}", x as i64)
    } else {
        x.to_string()
    }
}

fn validate_value(k: &ConfigKey, v: &Value, text: &str) -> Result<()> {
    check_validator(&k.validator, k, v, text)
}

fn check_validator(validator: &Validator, k: &ConfigKey, v: &Value, text: &str) -> Result<()> {
    match validator {
        Validator::None => Ok(()),
        Validator::Range { min, max } => {
            let n = match v {
                Value::Int(i) => *i as f64,
                Value::Short(i) => *i as f64,
                Value::Long(i) => *i as f64,
                Value::Double(d) => *d,
                _ => return Ok(()),
            };
            if let Some(min) = min {
                if n < *min {
                    return Err(invalid(
                        text.trim(),
                        k.validator_name(),
                        &format!("Value must be at least {}", format_bound(*min)),
                    ));
                }
            }
            if let Some(max) = max {
                if n > *max {
                    return Err(invalid(
                        text.trim(),
                        k.validator_name(),
                        &format!("Value must be no more than {}", format_bound(*max)),
                    ));
                }
            }
            Ok(())
        }
        Validator::OneOf(allowed) | Validator::OneOfIgnoreCase(allowed) => {
            let Value::Str(s) = v else { return Ok(()) };
            let ok = match &k.validator {
                Validator::OneOf(_) => allowed.contains(&s.as_str()),
                _ => allowed.iter().any(|a| a.eq_ignore_ascii_case(s)),
            };
            if ok {
                Ok(())
            } else {
                let message = match &k.validator {
                    Validator::OneOf(_) => format!("String must be one of: {}", allowed.join(", ")),
                    _ => case_insensitive_one_of(allowed),
                };
                Err(invalid(s, k.validator_name(), &message))
            }
        }
        Validator::Custom(c) => (c.check)(k.validator_name(), v),
        Validator::NonEmptyString => match v {
            Value::Str(s) if s.is_empty() => {
                Err(invalid(s, k.validator_name(), "String must be non-empty"))
            }
            _ => Ok(()),
        },
        Validator::NonEmptyStringWithoutControlChars => match v {
            Value::Str(s) if s.is_empty() => {
                Err(invalid(s, k.validator_name(), "String may not be empty"))
            }
            Value::Str(s) if s.chars().any(char::is_control) => {
                let mut codes = String::new();
                for c in s.chars().filter(|c| c.is_control()) {
                    if !codes.is_empty() {
                        codes.push_str(", ");
                    }
                    let _ = write!(codes, "{}", c as u32);
                }
                Err(invalid(
                    s,
                    k.validator_name(),
                    &format!("String may not contain control sequences but had the following ASCII chars: {codes}"),
                ))
            }
            _ => Ok(()),
        },
        Validator::NonNull => Ok(()),
        Validator::NonEmptyList => match v {
            // Java prints the empty list as `[]`.
            Value::List(l) if l.is_empty() => Err(invalid("[]", k.validator_name(), "Empty list")),
            _ => Ok(()),
        },
        Validator::Regex => match v {
            Value::Str(s) => crate::transforms::java_regex::JavaPattern::compile(s)
                .map(|_| ())
                .map_err(|e| invalid(s, k.validator_name(), &format!("Invalid regex: {e}"))),
            _ => Ok(()),
        },
        Validator::Composite(all) => all
            .iter()
            .try_for_each(|one| check_validator(one, k, v, text)),
    }
}

/// Props from `(key, value)` pairs (tests, examples).
pub fn props_from(pairs: &[(&str, &str)]) -> Props {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Keys of `props` that start with `prefix`, with the prefix stripped (`key.converter.` → …).
pub fn with_prefix(props: &Props, prefix: &str) -> Props {
    props
        .iter()
        .filter_map(|(k, v)| k.strip_prefix(prefix).map(|s| (s.to_string(), v.clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_follow_java_rules() {
        let text = "# comment\n! also comment\n  a=1\nb : 2\nc 3\nd\\ e=f\\tg\nlong=one \\\n    two\nempty=\nu=\\u00e9\\u0041\nbare\n";
        let p = parse_properties(text).unwrap();
        assert_eq!(p["a"], "1");
        assert_eq!(p["b"], "2");
        assert_eq!(p["c"], "3");
        assert_eq!(p["d e"], "f\tg");
        assert_eq!(p["long"], "one two");
        assert_eq!(p["empty"], "");
        assert_eq!(p["u"], "éA");
        assert_eq!(p["bare"], "");
        assert_eq!(p.len(), 8);
    }

    #[test]
    fn crlf_and_cr_line_endings_and_duplicates() {
        let p = parse_properties("a=1\r\nb=2\rc=3\r\na=4").unwrap();
        assert_eq!(p["a"], "4");
        assert_eq!(p["b"], "2");
        assert_eq!(p["c"], "3");
    }

    #[test]
    fn malformed_unicode_escape_is_an_error_naming_the_line() {
        let err = parse_properties("ok=1\nbad=\\u12G4\n").unwrap_err();
        assert!(
            err.message()
                .contains("Malformed \\uxxxx encoding on line 2"),
            "{err}"
        );
    }

    #[test]
    fn connector_file_three_forms() {
        let flat = parse_connector_file(
            r#"{"name":"a","connector.class":"FileStreamSource","tasks.max":1}"#,
        )
        .unwrap();
        assert_eq!(flat.name, "a");
        assert_eq!(flat.config["tasks.max"], "1");
        let nested = parse_connector_file(
            r#"{"name":" b ","config":{"connector.class":"X"},"initial_state":"paused","extra":1}"#,
        )
        .unwrap();
        assert_eq!(nested.name, "b");
        assert_eq!(nested.config["name"], "b");
        assert_eq!(nested.initial_state, Some(InitialState::Paused));
        let props = parse_connector_file("name=c\nconnector.class=Y\n").unwrap();
        assert_eq!(props.config["connector.class"], "Y");
    }

    #[test]
    fn connector_file_errors_are_clear() {
        let e = parse_connector_file_at("connector.class=Y\n", "c.properties").unwrap_err();
        assert_eq!(
            e.message(),
            "Connector configuration at 'c.properties' is missing the mandatory 'name' configuration"
        );
        let e =
            parse_connector_file_at(r#"{"name":"a","config":{"name":"b"}}"#, "c.json").unwrap_err();
        assert!(e.message().contains("doesn't match"));
    }

    crate::declare_config! {
        #[derive(Debug, PartialEq)]
        struct Example {
            file: String {
                key: "file",
                ty: String,
                default: required,
                validator: Validator::NonEmptyString,
                importance: High,
                doc: "f",
            },
            batch_size: i32 {
                key: "batch.size",
                ty: Int,
                default: "2000",
                validator: Validator::at_least(1.0),
                importance: Low,
                doc: "b",
            },
            mode: String {
                key: "mode",
                ty: String,
                default: "a",
                validator: Validator::OneOf(&["a", "b"]),
                importance: Low,
                doc: "m",
            },
            flag: bool {
                key: "flag",
                ty: Boolean,
                default: "false",
                importance: Low,
                doc: "x",
            },
            topics: Vec<String> {
                key: "topics",
                ty: List,
                default: "",
                importance: Low,
                doc: "t",
            },
        }
    }

    fn def() -> ConfigDef {
        Example::config_def()
    }

    #[test]
    fn a_list_value_is_reported_as_java_joins_it() {
        let mut p = Props::new();
        p.insert("topics".into(), " a, b ,c".into());
        let values = def().validate(&p);
        let topics = values.iter().find(|v| v.name == "topics").unwrap();
        assert_eq!(topics.value.as_deref(), Some("a,b,c"));
    }

    #[test]
    fn sorted_keys_follow_java_sorted_configs() {
        let def = def();
        let sorted: Vec<&str> = def.sorted_keys().iter().map(|k| k.name.as_str()).collect();
        let mut expected: Vec<&ConfigKey> = def.keys().iter().collect();
        // No groups here: required keys first, then by importance, then by name.
        expected.sort_by_key(|k| (k.default != Default::Required, k.importance, k.name.clone()));
        let expected: Vec<&str> = expected.iter().map(|k| k.name.as_str()).collect();
        assert_eq!(sorted, expected);
        assert!(def.keys().iter().all(|k| k.group.is_none()));
    }

    #[test]
    fn validate_reports_every_problem_with_java_messages() {
        let mut p = Props::new();
        p.insert("batch.size".into(), "0".into());
        p.insert("mode".into(), "c".into());
        p.insert("flag".into(), "yes".into());
        let errs = def().errors(&p);
        assert_eq!(
            errs,
            vec![
                "Missing required configuration \"file\" which has no default value.".to_string(),
                "Invalid value 0 for configuration batch.size: Value must be at least 1".to_string(),
                "Invalid value c for configuration mode: String must be one of: a, b".to_string(),
                "Invalid value yes for configuration flag: Expected value to be either true or false".to_string(),
            ]
        );
    }

    #[test]
    fn parse_gives_typed_values_and_defaults() {
        let mut p = Props::new();
        p.insert("file".into(), " x.txt ".into());
        p.insert("topics".into(), "a, b ,c".into());
        assert_eq!(
            Example::parse(&p).unwrap(),
            Example {
                file: "x.txt".into(),
                batch_size: 2000,
                mode: "a".into(),
                flag: false,
                topics: vec!["a".into(), "b".into(), "c".into()],
            }
        );
    }

    #[test]
    fn prefix_strips() {
        let mut p = Props::new();
        p.insert("key.converter.schemas.enable".into(), "false".into());
        p.insert("value.converter".into(), "x".into());
        assert_eq!(with_prefix(&p, "key.converter.")["schemas.enable"], "false");
    }
}
