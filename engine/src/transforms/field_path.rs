//! Java's `org.apache.kafka.connect.transforms.field.{FieldSyntaxVersion, SingleFieldPath}`
//! (KIP-821): the `field.syntax.version` key and the parsing of one field path, shared by the
//! transforms that accept nested paths (ExtractField, and in 4.1 also Cast, HeaderFrom, …).
//!
//! With `V1` a path is one step, the whole text. With `V2` a path is split at dots; a step may be
//! wrapped in backticks to hold dots (`` `foo.bar`.baz ``), and a backtick preceded by a
//! backslash inside such a step is a literal backtick. The rules below are Java's character for
//! character, quirks included (a trailing dot adds an empty step; an empty path has no step).

use crate::config::{Props, Validator};
use crate::declare_config;
use crate::error::{Error, Result};

/// `FieldSyntaxVersion.FIELD_SYNTAX_VERSION_CONFIG`.
pub const FIELD_SYNTAX_VERSION_CONFIG: &str = "field.syntax.version";

/// `FieldSyntaxVersion.FIELD_SYNTAX_VERSION_DOC`, word for word.
pub const FIELD_SYNTAX_VERSION_DOC: &str = "Defines the version of the syntax to access fields. \
If set to `V1`, then the field paths are limited to access the elements at the root level of the struct or map. \
If set to `V2`, the syntax will support accessing nested elements. \
To access nested elements, dotted notation is used. \
If dots are already included in the field name, \
then backtick pairs can be used to wrap field names containing dots. \
E.g. to access the subfield `baz` from a field named \"foo.bar\" in a struct/map \
the following format can be used to access its elements: \"`foo.bar`.baz\".";

/// Which path syntax a transform uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldSyntaxVersion {
    /// Only fields at the root; the path is the field name.
    V1,
    /// Dotted paths to nested fields, backticks around names that hold dots.
    V2,
}

declare_config! {
    /// `FieldSyntaxVersion.appendConfigTo`: the key a transform appends (flatten it last, as Java
    /// appends it after the transform's own keys).
    #[derive(Debug, Clone, Copy)]
    pub struct FieldSyntaxVersionConfig {
        pub version: FieldSyntaxVersion {
            key: FIELD_SYNTAX_VERSION_CONFIG,
            ty: String,
            default: "V1",
            validator: Validator::OneOfIgnoreCase(&["V1", "V2"]),
            importance: High,
            doc: FIELD_SYNTAX_VERSION_DOC,
            // The validator admitted only V1 or V2 in any case (`fromConfig` upper-cases).
            map: |v: String| if v.eq_ignore_ascii_case("V2") {
                FieldSyntaxVersion::V2
            } else {
                FieldSyntaxVersion::V1
            },
        },
    }
}

impl FieldSyntaxVersion {
    /// `FieldSyntaxVersion.fromConfig`.
    pub fn from_props(props: &Props) -> Result<Self> {
        Ok(FieldSyntaxVersionConfig::parse(props)?.version)
    }
}

/// One parsed field path: one or more steps (Java's invariant; an empty `V2` path has none,
/// which [`SingleFieldPath::last`] reports as Java's failure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SingleFieldPath {
    steps: Vec<String>,
}

const BACKTICK: u8 = b'`';
const DOT: u8 = b'.';
const BACKSLASH: u8 = b'\\';

impl SingleFieldPath {
    /// `new SingleFieldPath(pathText, version)`; a `V2` path with an unclosed backtick is Java's
    /// `ConfigException`.
    pub fn new(path: &str, version: FieldSyntaxVersion) -> Result<Self> {
        let steps = match version {
            FieldSyntaxVersion::V1 => vec![path.to_string()],
            FieldSyntaxVersion::V2 => steps_v2(path)?,
        };
        Ok(SingleFieldPath { steps })
    }

    /// Every step, outermost first.
    pub fn steps(&self) -> &[String] {
        &self.steps
    }

    /// The steps leading to the last one (the containers to walk through).
    pub fn parents(&self) -> &[String] {
        &self.steps[..self.steps.len().saturating_sub(1)]
    }

    /// The last step. For the empty `V2` path Java's accessors fail first on
    /// `steps.subList(0, -1)` (the steps before the last), with `IllegalArgumentException`;
    /// that error, with Java's message, is returned here.
    pub fn last(&self) -> Result<&str> {
        self.steps.last().map(String::as_str).ok_or_else(|| {
            Error::data("fromIndex(0) > toIndex(-1)")
                .with_java_class("java.lang.IllegalArgumentException")
        })
    }
}

impl std::fmt::Display for SingleFieldPath {
    /// Java's `toString` lists the steps joined with dots; transforms quote the original text.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.steps.join("."))
    }
}

/// `SingleFieldPath.buildFieldPathV2`, ported over bytes (the delimiters are ASCII, so byte
/// indices cut UTF-8 text only at character boundaries).
fn steps_v2(path: &str) -> Result<Vec<String>> {
    let bytes = path.as_bytes();
    let find = |from: usize, c: u8| bytes[from..].iter().position(|&b| b == c).map(|i| i + from);
    let mut steps = Vec::new();
    let mut idx = 0;
    while idx < bytes.len() {
        if bytes[idx] != BACKTICK {
            let start = idx;
            match find(idx, DOT) {
                Some(dot) => {
                    steps.push(path[start..dot].to_string());
                    idx = dot + 1;
                }
                None => {
                    steps.push(path[start..].to_string());
                    break;
                }
            }
        } else {
            let backtick_at = idx;
            idx += 1;
            let mut field = String::new();
            let mut start = idx;
            loop {
                let Some(found) = find(idx, BACKTICK) else {
                    return Err(incomplete_backtick_pair(path, backtick_at));
                };
                idx = found;
                // A backtick right after a backslash is escaped.
                let escaped = bytes[idx - 1] == BACKSLASH;
                if idx >= bytes.len() - 1 {
                    // The last character of the path.
                    if escaped {
                        return Err(incomplete_backtick_pair(path, backtick_at));
                    }
                    field.push_str(&path[start..idx]);
                    steps.push(field);
                    idx += 1;
                    break;
                }
                if bytes[idx + 1] != DOT {
                    // Not followed by a dot: part of the name; look for the closing one.
                    idx += 1;
                    continue;
                }
                if escaped {
                    // Escaped: a literal backtick (without its backslash); keep looking.
                    field.push_str(&path[start..idx - 1]);
                    field.push('`');
                    idx += 1;
                    start = idx;
                    continue;
                }
                field.push_str(&path[start..idx]);
                steps.push(field);
                idx += 2; // the backtick and the dot after it
                break;
            }
        }
    }
    if path.as_bytes().last() == Some(&DOT) {
        steps.push(String::new());
    }
    Ok(steps)
}

fn incomplete_backtick_pair(path: &str, backtick_at: usize) -> Error {
    // Java reports the position as a UTF-16 index.
    let position = path[..backtick_at].encode_utf16().count();
    Error::config(format!(
        "Incomplete backtick pair in path: [{path}], consider adding a backslash before backtick at position {position} to escape it"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v2(path: &str) -> Vec<String> {
        SingleFieldPath::new(path, FieldSyntaxVersion::V2)
            .unwrap()
            .steps()
            .to_vec()
    }

    // Cases from Kafka's SingleFieldPathTest.
    #[test]
    fn v2_splits_at_dots_and_honours_backticks() {
        assert_eq!(v2("foo"), ["foo"]);
        assert_eq!(v2("foo.bar"), ["foo", "bar"]);
        assert_eq!(v2("foo.bar.baz"), ["foo", "bar", "baz"]);
        assert_eq!(v2("foo."), ["foo", ""]);
        assert_eq!(v2(".foo"), ["", "foo"]);
        assert_eq!(v2("foo..bar"), ["foo", "", "bar"]);
        assert_eq!(v2("`foo.bar`"), ["foo.bar"]);
        assert_eq!(v2("`foo.bar`.baz"), ["foo.bar", "baz"]);
        assert_eq!(v2("baz.`foo.bar`"), ["baz", "foo.bar"]);
        assert_eq!(v2("`foo.bar`."), ["foo.bar", ""]);
        assert_eq!(v2("``"), [""]);
        assert_eq!(v2("``.``"), ["", ""]);
        // Backticks inside a name that are not followed by a dot stay (with their backslash).
        assert_eq!(v2("`fo`o.bar`"), ["fo`o.bar"]);
        assert_eq!(v2("`foo\\`.bar`"), ["foo`.bar"]);
        assert_eq!(v2("`foo\\`.bar`.baz"), ["foo`.bar", "baz"]);
        assert_eq!(v2("foo`bar"), ["foo`bar"]);
    }

    #[test]
    fn v2_trailing_backtick_without_pair_fails_as_java() {
        // `bar has no closing backtick.
        let err = SingleFieldPath::new("foo.`bar", FieldSyntaxVersion::V2).unwrap_err();
        assert_eq!(
            err.message(),
            "Incomplete backtick pair in path: [foo.`bar], consider adding a backslash before backtick at position 4 to escape it"
        );
        let err = SingleFieldPath::new("`foo\\`", FieldSyntaxVersion::V2).unwrap_err();
        assert!(err.message().contains("at position 0"), "{}", err.message());
    }

    #[test]
    fn v1_keeps_the_whole_text_and_empty_v2_has_no_last_step() {
        let p = SingleFieldPath::new("a.`b`", FieldSyntaxVersion::V1).unwrap();
        assert_eq!(p.steps(), ["a.`b`"]);
        assert_eq!(p.last().unwrap(), "a.`b`");
        assert!(p.parents().is_empty());
        let empty = SingleFieldPath::new("", FieldSyntaxVersion::V2).unwrap();
        assert!(empty.steps().is_empty());
        assert_eq!(
            empty.last().unwrap_err().java_class(),
            "java.lang.IllegalArgumentException"
        );
    }

    #[test]
    fn the_version_key_is_case_insensitive_with_java_errors() {
        let props =
            |v: &str| Props::from([(FIELD_SYNTAX_VERSION_CONFIG.to_string(), v.to_string())]);
        assert_eq!(
            FieldSyntaxVersion::from_props(&props("v2")).unwrap(),
            FieldSyntaxVersion::V2
        );
        assert_eq!(
            FieldSyntaxVersion::from_props(&Props::new()).unwrap(),
            FieldSyntaxVersion::V1
        );
        assert_eq!(
            FieldSyntaxVersion::from_props(&props("V3")).unwrap_err().message(),
            "Invalid value V3 for configuration field.syntax.version: String must be one of (case insensitive): V1, V2"
        );
    }
}
