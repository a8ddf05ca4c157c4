//! Java's `java.util.regex` as the routers and `TopicNameMatches` use it: `Pattern.compile`,
//! `Matcher.matches()` (the whole string) and `Matcher.replaceFirst` with Java's replacement
//! syntax (`$1`, `${name}`, `\$` for a literal dollar).
//!
//! Patterns run on Rust's `regex` crate. The syntax both share means the same, except where
//! this module rewrites it to Java's meaning: `\d \D \w \W \s \S` are ASCII classes in Java
//! (Unicode in Rust), `\Q…\E` quotes literally, and `\<` / `\>` are the plain characters (word
//! boundaries in Rust). Constructs Rust lacks (backreferences, lookaround, possessive
//! quantifiers, atomic groups) fail to compile, and the configuration is rejected.

use regex::Regex;

/// A compiled Java pattern.
#[derive(Debug, Clone)]
pub struct JavaPattern {
    /// The pattern as given (Java's `Pattern.toString()`).
    source: String,
    /// The pattern anchored at both ends: `matches()`.
    whole: Regex,
    /// The pattern as is: `find()`, which `replaceFirst` uses.
    find: Regex,
}

impl JavaPattern {
    /// `Pattern.compile(pattern)`. The error is a description of why the pattern is refused.
    pub fn compile(pattern: &str) -> Result<Self, String> {
        let translated = translate(pattern)?;
        let find = Regex::new(&translated).map_err(|e| e.to_string())?;
        let whole = Regex::new(&format!(r"\A(?:{translated})\z")).map_err(|e| e.to_string())?;
        Ok(JavaPattern {
            source: pattern.to_string(),
            whole,
            find,
        })
    }

    /// The pattern as given.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// `pattern.matcher(text).matches()`.
    pub fn matches(&self, text: &str) -> bool {
        self.whole.is_match(text)
    }

    /// `pattern.matcher(text).replaceFirst(replacement)`: the first match (leftmost, found
    /// as `find()` finds it) replaced by the expanded replacement; `text` when nothing matches.
    pub fn replace_first(
        &self,
        text: &str,
        replacement: &JavaReplacement,
    ) -> Result<String, JavaRegexError> {
        let Some(caps) = self.find.captures(text) else {
            return Ok(text.to_string());
        };
        // Group 0 is the whole match: present whenever `captures` finds one.
        let Some(whole) = caps.get(0) else {
            return Ok(text.to_string());
        };
        let mut out = String::with_capacity(text.len() + 16);
        out.push_str(&text[..whole.start()]);
        for piece in &replacement.pieces {
            match piece {
                Piece::Literal(s) => out.push_str(s),
                Piece::Group(n) => {
                    if let Some(m) = caps.get(*n) {
                        out.push_str(m.as_str());
                    }
                }
                Piece::Fail(e) => return Err(e.clone()),
            }
        }
        out.push_str(&text[whole.end()..]);
        Ok(out)
    }

    /// `pattern.matcher(text).replaceAll(replacement)`: every match (left to right, not
    /// overlapping, as `find()` walks them) replaced by the expanded replacement. Borrowed when
    /// nothing matches. (Used by the HTTP sink's `regex.patterns`.)
    pub fn replace_all<'t>(
        &self,
        text: &'t str,
        replacement: &JavaReplacement,
    ) -> Result<std::borrow::Cow<'t, str>, JavaRegexError> {
        let mut out: Option<String> = None;
        let mut last = 0;
        for caps in self.find.captures_iter(text) {
            let Some(whole) = caps.get(0) else { continue };
            let buf = out.get_or_insert_with(|| String::with_capacity(text.len() + 16));
            buf.push_str(&text[last..whole.start()]);
            for piece in &replacement.pieces {
                match piece {
                    Piece::Literal(s) => buf.push_str(s),
                    Piece::Group(n) => {
                        if let Some(m) = caps.get(*n) {
                            buf.push_str(m.as_str());
                        }
                    }
                    Piece::Fail(e) => return Err(e.clone()),
                }
            }
            last = whole.end();
        }
        Ok(match out {
            None => std::borrow::Cow::Borrowed(text),
            Some(mut buf) => {
                buf.push_str(&text[last..]);
                std::borrow::Cow::Owned(buf)
            }
        })
    }

    /// Number of capturing groups (`Matcher.groupCount()`).
    fn group_count(&self) -> usize {
        self.find.captures_len() - 1
    }

    /// The group number of a named group.
    fn named_group(&self, name: &str) -> Option<usize> {
        self.find.capture_names().position(|n| n == Some(name))
    }
}

/// An exception Java throws while expanding a replacement string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JavaRegexError {
    /// Java's exception class.
    pub class: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Literal(String),
    Group(usize),
    /// Java throws when its expansion reaches this point (it expands left to right).
    Fail(JavaRegexError),
}

/// A replacement string parsed for one pattern, as `Matcher.appendExpandedReplacement` reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JavaReplacement {
    pieces: Vec<Piece>,
}

impl JavaReplacement {
    /// Parse `replacement` against `pattern`'s groups. Java only reads the replacement when a
    /// match is replaced, so its errors are kept and returned by
    /// [`JavaPattern::replace_first`], not here.
    pub fn parse(pattern: &JavaPattern, replacement: &str) -> Self {
        const IAE: &str = "java.lang.IllegalArgumentException";
        let fail =
            |class: &'static str, message: String| Piece::Fail(JavaRegexError { class, message });
        let chars: Vec<char> = replacement.chars().collect();
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut i = 0;
        let flush = |literal: &mut String, pieces: &mut Vec<Piece>| {
            if !literal.is_empty() {
                pieces.push(Piece::Literal(std::mem::take(literal)));
            }
        };
        while i < chars.len() {
            match chars[i] {
                '\\' => {
                    i += 1;
                    let Some(c) = chars.get(i) else {
                        flush(&mut literal, &mut pieces);
                        pieces.push(fail(IAE, "character to be escaped is missing".into()));
                        break;
                    };
                    literal.push(*c);
                    i += 1;
                }
                '$' => {
                    flush(&mut literal, &mut pieces);
                    i += 1;
                    let Some(&c) = chars.get(i) else {
                        pieces.push(fail(
                            IAE,
                            "Illegal group reference: group index is missing".into(),
                        ));
                        break;
                    };
                    if c == '{' {
                        i += 1;
                        let start = i;
                        while i < chars.len() && chars[i].is_ascii_alphanumeric() {
                            i += 1;
                        }
                        let name: String = chars[start..i].iter().collect();
                        let piece = if name.is_empty() {
                            fail(IAE, "named capturing group has 0 length name".into())
                        } else if chars.get(i) != Some(&'}') {
                            fail(IAE, "named capturing group is missing trailing '}'".into())
                        } else if name.starts_with(|c: char| c.is_ascii_digit()) {
                            fail(
                                IAE,
                                format!(
                                    "capturing group name {{{name}}} starts with digit character"
                                ),
                            )
                        } else {
                            match pattern.named_group(&name) {
                                Some(n) => Piece::Group(n),
                                None => fail(IAE, format!("No group with name {{{name}}}")),
                            }
                        };
                        let failed = matches!(piece, Piece::Fail(_));
                        pieces.push(piece);
                        if failed {
                            break;
                        }
                        i += 1;
                    } else {
                        let Some(first) = c.to_digit(10) else {
                            pieces.push(fail(IAE, "Illegal group reference".into()));
                            break;
                        };
                        let mut group = first as usize;
                        i += 1;
                        // The longest group number that exists.
                        while let Some(d) = chars.get(i).and_then(|c| c.to_digit(10)) {
                            let longer = group * 10 + d as usize;
                            if longer > pattern.group_count() {
                                break;
                            }
                            group = longer;
                            i += 1;
                        }
                        if group > pattern.group_count() {
                            pieces.push(fail(
                                "java.lang.IndexOutOfBoundsException",
                                format!("No group {group}"),
                            ));
                            break;
                        }
                        pieces.push(Piece::Group(group));
                    }
                }
                c => {
                    literal.push(c);
                    i += 1;
                }
            }
        }
        flush(&mut literal, &mut pieces);
        JavaReplacement { pieces }
    }
}

/// Rewrite a Java pattern into Rust `regex` syntax with the same meaning (see the module docs).
fn translate(pattern: &str) -> Result<String, String> {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars().peekable();
    // Depth of `[...]` nesting: escapes inside a class are written without their own brackets.
    let mut class_depth = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(e) = chars.next() else {
                    return Err("Unexpected internal error: trailing backslash".into());
                };
                let ascii = match e {
                    'd' => Some("digit"),
                    'D' => Some("^digit"),
                    'w' => Some("word"),
                    'W' => Some("^word"),
                    's' => Some("space"),
                    'S' => Some("^space"),
                    _ => None,
                };
                if let Some(class) = ascii {
                    if class_depth > 0 {
                        out.push_str(&format!("[:{class}:]"));
                    } else {
                        out.push_str(&format!("[[:{class}:]]"));
                    }
                } else if e == 'Q' {
                    // Literal text up to `\E` (or the end).
                    let mut quoted = String::new();
                    loop {
                        match chars.next() {
                            None => break,
                            Some('\\') if chars.peek() == Some(&'E') => {
                                chars.next();
                                break;
                            }
                            Some(q) => quoted.push(q),
                        }
                    }
                    out.push_str(&regex::escape(&quoted));
                } else if e == '<' || e == '>' {
                    out.push(e);
                } else {
                    out.push('\\');
                    out.push(e);
                }
            }
            '[' => {
                class_depth += 1;
                out.push('[');
                // `[^]…]` / `[]…]`: Java reads a leading `]` as a member too, as Rust does.
            }
            ']' if class_depth > 0 => {
                class_depth -= 1;
                out.push(']');
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replace(pattern: &str, replacement: &str, text: &str) -> Result<String, JavaRegexError> {
        let p = JavaPattern::compile(pattern).unwrap();
        let r = JavaReplacement::parse(&p, replacement);
        p.replace_first(text, &r)
    }

    #[test]
    fn replace_all_replaces_every_match() {
        let p = JavaPattern::compile("(\\d+)").unwrap();
        let r = JavaReplacement::parse(&p, "<$1>");
        assert_eq!(p.replace_all("a1b22c", &r).unwrap(), "a<1>b<22>c");
        assert!(matches!(
            p.replace_all("none", &r).unwrap(),
            std::borrow::Cow::Borrowed("none")
        ));
        let bad = JavaReplacement::parse(&p, "$2");
        assert!(p.replace_all("1", &bad).is_err());
        assert_eq!(
            p.replace_all("x", &bad).unwrap(),
            "x",
            "no match, no expansion"
        );
    }

    #[test]
    fn matches_is_whole_string() {
        let p = JavaPattern::compile("a|ab").unwrap();
        assert!(p.matches("ab"));
        assert!(p.matches("a"));
        assert!(!p.matches("abc"));
        assert!(!JavaPattern::compile("b").unwrap().matches("ab"));
        // replaceFirst then finds the first match on its own: "a", not "ab".
        assert_eq!(replace("a|ab", "x", "ab").unwrap(), "xb");
    }

    #[test]
    fn java_replacement_syntax() {
        assert_eq!(
            replace("(.*)-(\\d+)", "$2_$1", "orders-42").unwrap(),
            "42_orders"
        );
        assert_eq!(
            replace("(.*)", "\\$1 costs \\\\", "t").unwrap(),
            "$1 costs \\"
        );
        assert_eq!(
            replace("(?<name>[a-z]+)\\.x", "pre-${name}", "abc.x").unwrap(),
            "pre-abc"
        );
        // `$12` with one group: group 1, then the literal "2".
        assert_eq!(replace("(a)", "$12", "a").unwrap(), "a2");
        // A group that did not participate adds nothing.
        assert_eq!(replace("(a)|(b)", "[$2]", "a").unwrap(), "[]");
    }

    #[test]
    fn replacement_errors_are_javas() {
        let e = replace("(a)", "$2", "a").unwrap_err();
        assert_eq!(
            (e.class, e.message.as_str()),
            ("java.lang.IndexOutOfBoundsException", "No group 2")
        );
        let e = replace("a", "x$", "a").unwrap_err();
        assert_eq!(e.message, "Illegal group reference: group index is missing");
        let e = replace("a", "$x", "a").unwrap_err();
        assert_eq!(e.message, "Illegal group reference");
        let e = replace("a", "x\\", "a").unwrap_err();
        assert_eq!(e.message, "character to be escaped is missing");
        let e = replace("a", "${nope}", "a").unwrap_err();
        assert_eq!(e.message, "No group with name {nope}");
        assert_eq!(e.class, "java.lang.IllegalArgumentException");
        // Nothing matches: the replacement is never read, so no error.
        assert_eq!(replace("b", "$9", "a").unwrap(), "a");
    }

    #[test]
    fn java_meanings_of_shared_syntax() {
        // \d is ASCII in Java.
        let p = JavaPattern::compile("\\d+").unwrap();
        assert!(p.matches("123"));
        assert!(!p.matches("١٢٣"));
        let p = JavaPattern::compile("[\\w.]+").unwrap();
        assert!(p.matches("a_b.c"));
        assert!(!p.matches("é"));
        let p = JavaPattern::compile("\\Qa.b\\E.*").unwrap();
        assert!(p.matches("a.bzz"));
        assert!(!p.matches("axbzz"));
        assert!(JavaPattern::compile("\\<x\\>").unwrap().matches("<x>"));
        // Unsupported constructs are refused, not misread.
        assert!(JavaPattern::compile("(a)\\1").is_err());
        assert!(JavaPattern::compile("a(?=b)").is_err());
        assert!(JavaPattern::compile("(a").is_err());
    }
}
