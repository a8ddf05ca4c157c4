//! Normalising and diffing two JSON responses.
//!
//! Normalisation removes what legitimately differs between two workers: worker ids, plugin and
//! build versions, stack traces, timestamps, and the per-side names a scenario had to give
//! each worker (its topic, its output file). What remains is compared structurally: status,
//! keys (and their order, for entities), value types, values; arrays that are sets in the API
//! are paired by an element id instead of by position.
//!
//! A difference is reported at a path: `$` is the body, `.key` an object member, `[3]` an
//! array element, `[id]` a set element, `{order}` an object's key order, `$status` the code.

use serde_json::{Map, Value};

/// One difference between the Java and the Strait answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diff {
    pub step: String,
    pub path: String,
    pub detail: String,
}

/// How one step's bodies are compared.
#[derive(Debug, Clone, Default)]
pub struct Cmp {
    /// Arrays (by path glob) compared as sets, elements paired by [`element_id`].
    pub sets: Vec<&'static str>,
    /// Objects (by path glob) whose key order is not part of the contract (maps).
    pub maps: Vec<&'static str>,
    /// Paths (globs) where only the JSON type is compared, not the value.
    pub types_only: Vec<&'static str>,
    /// Only these members of the root object are compared (e.g. `/admin/loggers`, where Java
    /// lists every JVM logger).
    pub only_keys: Option<Vec<String>>,
    /// Root-object members whose names must start with this prefix to be compared (lists and
    /// expansions of a shared worker that may hold other connectors).
    pub key_prefix: Option<String>,
}

/// Keys whose value differs by nature between two workers; compared by type only.
const VOLATILE: &[&str] = &["worker_id", "version", "commit", "last_modified"];

/// Map-valued members of Kafka Connect entities (key order unspecified).
const MAP_MEMBERS: &[&str] = &["config", "partition", "offset"];

/// `*` matches any run of characters (including none); everything else literally.
pub fn glob(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some((b'*', rest)) => (0..=t.len()).any(|i| go(rest, &t[i..])),
            Some((c, rest)) => t.first() == Some(c) && go(rest, &t[1..]),
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
}

/// Replace per-side tokens with placeholders, versions with `<version>`, traces with
/// `<trace>`, and cut Jackson's location suffix off messages.
pub fn normalize(v: &mut Value, tokens: &[(String, String)], versions: &[String]) {
    match v {
        Value::String(s) => {
            for (actual, placeholder) in tokens {
                if !actual.is_empty() && s.contains(actual.as_str()) {
                    *s = s.replace(actual.as_str(), placeholder);
                }
            }
            for ver in versions {
                if !ver.is_empty() && s.contains(ver.as_str()) {
                    *s = s.replace(ver.as_str(), "<version>");
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| normalize(x, tokens, versions)),
        Value::Object(o) => {
            // Keys can carry per-side names too (expand maps, tasks-config, topics).
            let entries: Vec<(String, Value)> = std::mem::take(o).into_iter().collect();
            for (mut k, mut val) in entries {
                for (actual, placeholder) in tokens {
                    if !actual.is_empty() && k.contains(actual.as_str()) {
                        k = k.replace(actual.as_str(), placeholder);
                    }
                }
                match (k.as_str(), &mut val) {
                    ("trace", Value::String(t)) if !t.is_empty() => *t = "<trace>".into(),
                    ("message", Value::String(m)) => {
                        if let Some(i) = m.find("\n at [Source") {
                            m.truncate(i);
                        }
                        normalize(&mut val, tokens, versions);
                    }
                    _ => normalize(&mut val, tokens, versions),
                }
                o.insert(k, val);
            }
        }
        _ => {}
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 160 {
        format!("{}…", s.chars().take(160).collect::<String>())
    } else {
        s
    }
}

/// The id pairing elements of a set-like array: a name, plugin type and class, task id, or
/// the element itself.
pub fn element_id(v: &Value) -> String {
    if let Value::Object(o) = v {
        if let (Some(Value::String(c)), Some(Value::String(t))) = (o.get("class"), o.get("type")) {
            return format!("{t}:{c}");
        }
        for k in ["name", "id"] {
            if let Some(x) = o.get(k) {
                return match x {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
            }
        }
        for k in ["definition", "value", "partition"] {
            if let Some(Value::Object(inner)) = o.get(k) {
                if let Some(Value::String(n)) = inner.get("name") {
                    return n.clone();
                }
                if k == "partition" {
                    let mut pairs: Vec<String> =
                        inner.iter().map(|(a, b)| format!("{a}={b}")).collect();
                    pairs.sort();
                    return pairs.join(",");
                }
            }
        }
    }
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Compare two normalised bodies.
pub fn diff(step: &str, java: &Value, strait: &Value, cmp: &Cmp, out: &mut Vec<Diff>) {
    let mut d = Differ { step, cmp, out };
    match (java, strait) {
        (Value::Object(j), Value::Object(s))
            if cmp.only_keys.is_some() || cmp.key_prefix.is_some() =>
        {
            let keep = |k: &String| {
                cmp.only_keys.as_ref().is_none_or(|only| only.contains(k))
                    && cmp
                        .key_prefix
                        .as_ref()
                        .is_none_or(|p| k.starts_with(p.as_str()))
            };
            let filter = |m: &Map<String, Value>| -> Map<String, Value> {
                m.iter()
                    .filter(|(k, _)| keep(k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            };
            d.value("$", &Value::Object(filter(j)), &Value::Object(filter(s)));
        }
        (Value::Array(j), Value::Array(s)) if cmp.key_prefix.is_some() => {
            let p = cmp.key_prefix.as_deref().unwrap_or("");
            let keep = |a: &Vec<Value>| -> Vec<Value> {
                a.iter()
                    .filter(|v| v.as_str().is_none_or(|s| s.starts_with(p)))
                    .cloned()
                    .collect()
            };
            d.value("$", &Value::Array(keep(j)), &Value::Array(keep(s)));
        }
        _ => d.value("$", java, strait),
    }
}

struct Differ<'a> {
    step: &'a str,
    cmp: &'a Cmp,
    out: &'a mut Vec<Diff>,
}

impl Differ<'_> {
    fn push(&mut self, path: &str, detail: String) {
        self.out.push(Diff {
            step: self.step.to_string(),
            path: path.to_string(),
            detail,
        });
    }

    fn matches(globs: &[&str], path: &str) -> bool {
        globs.iter().any(|g| glob(g, path))
    }

    fn value(&mut self, path: &str, j: &Value, s: &Value) {
        let last = path.rsplit(['.', '[']).next().unwrap_or("");
        if kind(j) != kind(s) {
            // An integer where Java has a float (or back) is still a type difference.
            self.push(
                path,
                format!(
                    "type: java {} {} / strait {} {}",
                    kind(j),
                    short(j),
                    kind(s),
                    short(s)
                ),
            );
            return;
        }
        match (j, s) {
            (Value::Object(jo), Value::Object(so)) => self.object(path, jo, so),
            (Value::Array(ja), Value::Array(sa)) => self.array(path, ja, sa),
            _ => {
                let volatile = VOLATILE.contains(&last);
                if !volatile && !Self::matches(&self.cmp.types_only, path) && j != s {
                    self.push(
                        path,
                        format!("value: java {} / strait {}", short(j), short(s)),
                    );
                }
            }
        }
    }

    fn object(&mut self, path: &str, j: &Map<String, Value>, s: &Map<String, Value>) {
        for (k, jv) in j {
            let p = format!("{path}.{k}");
            match s.get(k) {
                Some(sv) => self.value(&p, jv, sv),
                None => self.push(&p, format!("missing in strait (java: {})", short(jv))),
            }
        }
        for (k, sv) in s {
            if !j.contains_key(k) {
                self.push(
                    &format!("{path}.{k}"),
                    format!("extra in strait ({})", short(sv)),
                );
            }
        }
        let last = path.rsplit('.').next().unwrap_or("");
        let is_map = MAP_MEMBERS.contains(&last) || Self::matches(&self.cmp.maps, path);
        if !is_map {
            let jk: Vec<&String> = j.keys().filter(|k| s.contains_key(*k)).collect();
            let sk: Vec<&String> = s.keys().filter(|k| j.contains_key(*k)).collect();
            if jk != sk {
                self.push(
                    &format!("{path}{{order}}"),
                    format!("key order: java {jk:?} / strait {sk:?}"),
                );
            }
        }
    }

    fn array(&mut self, path: &str, j: &[Value], s: &[Value]) {
        if Self::matches(&self.cmp.sets, path) {
            let mut used = vec![false; s.len()];
            for jv in j {
                let id = element_id(jv);
                match s
                    .iter()
                    .enumerate()
                    .position(|(i, sv)| !used[i] && element_id(sv) == id)
                {
                    Some(i) => {
                        used[i] = true;
                        self.value(&format!("{path}[{id}]"), jv, &s[i]);
                    }
                    None => self.push(
                        &format!("{path}[{id}]"),
                        format!("missing in strait (java: {})", short(jv)),
                    ),
                }
            }
            for (i, sv) in s.iter().enumerate().filter(|(i, _)| !used[*i]) {
                let _ = i;
                self.push(
                    &format!("{path}[{}]", element_id(sv)),
                    format!("extra in strait ({})", short(sv)),
                );
            }
            return;
        }
        if j.len() != s.len() {
            self.push(
                path,
                format!("length: java {} / strait {}", j.len(), s.len()),
            );
        }
        for (i, (jv, sv)) in j.iter().zip(s).enumerate() {
            self.value(&format!("{path}[{i}]"), jv, sv);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn globs() {
        assert!(glob("$.configs[*]", "$.configs[tasks.max]"));
        assert!(glob("*", ""));
        assert!(!glob("a*c", "abd"));
    }

    #[test]
    fn normalises_and_finds_differences() {
        let mut j = json!({"name": "x", "connector": {"state": "RUNNING", "worker_id": "a:1", "version": "4.1.2"},
                           "tasks": [{"id": 0, "trace": "boom\n at"}], "type": "source", "topic": "t-java"});
        let mut s = json!({"name": "x", "connector": {"worker_id": "b:2", "state": "RUNNING", "version": "4.1.0"},
                           "tasks": [{"id": 0, "trace": "other"}], "type": "sink", "topic": "t-strait", "extra": 1});
        normalize(
            &mut j,
            &[("t-java".into(), "${TOPIC}".into())],
            &["4.1.2".into()],
        );
        normalize(
            &mut s,
            &[("t-strait".into(), "${TOPIC}".into())],
            &["4.1.0".into()],
        );
        let mut out = Vec::new();
        diff("step", &j, &s, &Cmp::default(), &mut out);
        let paths: Vec<&str> = out.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(
            paths,
            vec!["$.connector{order}", "$.type", "$.extra"],
            "{out:#?}"
        );
    }

    #[test]
    fn sets_pair_elements_by_id() {
        let j = json!([{"class": "A", "type": "sink"}, {"class": "B", "type": "source"}]);
        let s = json!([{"class": "B", "type": "source"}, {"class": "C", "type": "converter"}]);
        let mut out = Vec::new();
        diff(
            "p",
            &j,
            &s,
            &Cmp {
                sets: vec!["$"],
                ..Cmp::default()
            },
            &mut out,
        );
        let paths: Vec<&str> = out.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(paths, vec!["$[sink:A]", "$[converter:C]"]);
    }
}
