//! `${name}` templates in URLs, headers, parameters and bodies.
//!
//! Only the variables a connector defines are replaced (`${offset}` and `${entityName}` in the
//! source, `${topic}` and `${key}` in the sink); any other `${…}` stays as written, as in Java,
//! where such text is left alone unless a worker config provider claims it (`${token}` in a
//! header is sent literally).

/// A template split once into literal text and variable references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Var(String),
}

impl Template {
    /// Split `text` at the `${name}` references whose name is in `vars`.
    pub fn parse(text: &str, vars: &[&str]) -> Self {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let after = &rest[start + 2..];
            match after.find('}') {
                Some(end) if vars.contains(&&after[..end]) => {
                    literal.push_str(&rest[..start]);
                    if !literal.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Var(after[..end].to_string()));
                    rest = &after[end + 1..];
                }
                _ => {
                    literal.push_str(&rest[..start + 2]);
                    rest = after;
                }
            }
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Template { parts }
    }

    /// Whether the template refers to `var`.
    pub fn uses(&self, var: &str) -> bool {
        self.parts
            .iter()
            .any(|p| matches!(p, Part::Var(v) if v == var))
    }

    /// The text with each variable replaced by `value(name)` (passed through `escape`).
    pub fn render_with(
        &self,
        value: impl Fn(&str) -> String,
        escape: impl Fn(&str) -> String,
    ) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Var(v) => out.push_str(&escape(&value(v))),
            }
        }
        out
    }

    /// Append the text to `out`, each variable replaced by what `value(name, out)` appends:
    /// the allocation-free form for per-record rendering (the HTTP sink's URLs and batch keys).
    pub fn render_into(&self, out: &mut String, mut value: impl FnMut(&str, &mut String)) {
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Var(v) => value(v, out),
            }
        }
    }

    /// Whether the template has no variables (it renders to the same text every time).
    pub fn is_constant(&self) -> bool {
        !self.parts.iter().any(|p| matches!(p, Part::Var(_)))
    }

    /// The text with each variable replaced by its value from `values` (missing ones by "").
    pub fn render(&self, values: &[(&str, &str)]) -> String {
        self.render_with(
            |name| {
                values
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map_or(String::new(), |(_, v)| v.to_string())
            },
            str::to_string,
        )
    }
}

/// Percent-encode for a URL path segment or query value (RFC 3986 unreserved kept).
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_variables_are_replaced_and_others_stay_literal() {
        let t = Template::parse(
            "https://h/${entityName}/x?o=${offset}&t=${token}&${",
            &["offset", "entityName"],
        );
        assert!(t.uses("offset"));
        assert!(!t.uses("token"));
        assert_eq!(
            t.render(&[("offset", "42"), ("entityName", "users")]),
            "https://h/users/x?o=42&t=${token}&${"
        );
    }

    #[test]
    fn escaping_applies_to_values_only() {
        let t = Template::parse("/a b/${offset}", &["offset"]);
        assert_eq!(
            t.render_with(|_| "x y/z".into(), url_encode),
            "/a b/x%20y%2Fz"
        );
    }

    #[test]
    fn render_into_appends() {
        let t = Template::parse("k-${topic}-${key}", &["topic", "key"]);
        assert!(!t.is_constant());
        assert!(Template::parse("someKey", &["topic", "key"]).is_constant());
        let mut out = String::from(">");
        t.render_into(&mut out, |name, out| out.push_str(name));
        assert_eq!(out, ">k-topic-key");
    }

    #[test]
    fn text_without_variables_is_unchanged() {
        for text in ["", "plain", "Bearer ${token}", "${unclosed", "$x {y}"] {
            assert_eq!(Template::parse(text, &["offset"]).render(&[]), text);
        }
    }
}
