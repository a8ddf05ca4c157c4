//! JSON Pointers (RFC 6901) over a document's bytes, and the splitting of one document (an
//! HTTP response body) into records in a single scan.
//!
//! Confluent's HTTP source reads a response's records at `http.response.data.json.pointer`
//! (each element when it is an array, else the value itself), and its offsets at
//! `http.next.page.json.pointer` (in the body) or `http.offset.json.pointer` (in the last
//! record). [`split`] finds the records and any number of other pointers' values in one pass
//! of the JSON scanner, without building a tree or a value per record: each record comes back
//! as the byte range of its JSON text in the body, ready to be copied into one Arrow column.
//! Values off the pointers' paths are only checked for syntax.

use std::ops::Range;

use strait_engine::{Error, Result};

use super::scan::{Fail, Scanner};

/// A parsed JSON Pointer: `""` is the whole document, `/a/0/b~1c` is member `a`, element (or
/// member) `0`, member `b/c`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPointer {
    text: String,
    tokens: Vec<String>,
}

impl JsonPointer {
    /// The whole document (`""`).
    pub fn root() -> Self {
        JsonPointer {
            text: String::new(),
            tokens: Vec::new(),
        }
    }

    /// Parse RFC 6901's form; `~0` is `~` and `~1` is `/`, any other `~` is an error, and a
    /// non-empty pointer starts with `/`. A bad pointer is the configuration's fault.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |why: &str| Error::config(format!("Invalid JSON Pointer '{text}': {why}"));
        if text.is_empty() {
            return Ok(Self::root());
        }
        let Some(rest) = text.strip_prefix('/') else {
            return Err(bad("a non-empty pointer starts with '/'"));
        };
        let mut tokens = Vec::new();
        for raw in rest.split('/') {
            let mut token = String::with_capacity(raw.len());
            let mut chars = raw.chars();
            while let Some(c) = chars.next() {
                if c != '~' {
                    token.push(c);
                    continue;
                }
                match chars.next() {
                    Some('0') => token.push('~'),
                    Some('1') => token.push('/'),
                    _ => return Err(bad("'~' must be followed by '0' or '1'")),
                }
            }
            tokens.push(token);
        }
        Ok(JsonPointer {
            text: text.to_string(),
            tokens,
        })
    }

    /// The pointer as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Token `depth` as an array index: digits without a leading zero (RFC 6901 §4).
    fn index(&self, depth: usize) -> Option<usize> {
        let t = self.tokens[depth].as_bytes();
        let canonical =
            !t.is_empty() && t.iter().all(u8::is_ascii_digit) && (t == b"0" || t[0] != b'0');
        if canonical {
            self.tokens[depth].parse().ok()
        } else {
            None
        }
    }
}

impl std::fmt::Display for JsonPointer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// A document that is not JSON (Jackson's message where the scanner has one): the data's
/// fault (the server's), not the configuration's.
fn syntax(f: Fail) -> Error {
    Error::data(f.to_string())
}

/// What one scan of a document found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// The records: byte ranges of their JSON text in the document, in order. An array at the
    /// data pointer gives one per element, `null` none, anything else itself.
    pub records: Vec<Range<usize>>,
    /// Whether the data pointer exists in the document (a missing one gives no records).
    pub data_found: bool,
    /// Byte range of the value at each of the other pointers, `None` where it does not exist.
    pub found: Vec<Option<Range<usize>>>,
}

/// Split `doc` into the records at `data` and find the values at `others`, in one scan that
/// also checks the whole document's syntax (what follows the first value is ignored, as
/// Jackson's `readTree` ignores it).
pub fn split(doc: &[u8], data: &JsonPointer, others: &[&JsonPointer]) -> Result<Split> {
    let mut pointers = Vec::with_capacity(others.len() + 1);
    pointers.push(data);
    pointers.extend_from_slice(others);
    let mut walk = Walk {
        pointers: &pointers,
        found: vec![None; pointers.len()],
        records: None,
    };
    let active: Vec<(usize, usize)> = (0..pointers.len()).map(|p| (p, 0)).collect();
    let mut sc = Scanner::new(doc);
    walk.value(&mut sc, &active).map_err(syntax)?;
    let data_found = walk.found[0].is_some();
    Ok(Split {
        records: walk.records.unwrap_or_default(),
        data_found,
        found: walk.found.split_off(1),
    })
}

/// The byte range of the value at `pointer` in `doc` (checking the whole document's syntax).
pub fn find(doc: &[u8], pointer: &JsonPointer) -> Result<Option<Range<usize>>> {
    Ok(split(doc, &JsonPointer::root(), &[pointer])?
        .found
        .remove(0))
}

/// A found value as offset text: a string's content (unescaped), else the value's JSON text
/// (a number as written, `true`, an object's text).
pub fn text_of(json: &[u8]) -> Result<String> {
    let mut sc = Scanner::new(json);
    let text = if sc.peek() == Some(b'"') {
        let mut out = Vec::new();
        sc.string_into(&mut out).map_err(syntax)?;
        out
    } else {
        let start = sc.pos;
        sc.skip_value().map_err(syntax)?;
        json[start..sc.pos].to_vec()
    };
    String::from_utf8(text).map_err(|e| Error::data(format!("Invalid UTF-8 in a JSON value: {e}")))
}

struct Walk<'p> {
    /// Pointer 0 is the data pointer.
    pointers: &'p [&'p JsonPointer],
    found: Vec<Option<Range<usize>>>,
    records: Option<Vec<Range<usize>>>,
}

impl Walk<'_> {
    /// Scan one value. `active`: the pointers whose path leads here, with how many of their
    /// tokens the path has matched.
    fn value(&mut self, sc: &mut Scanner<'_>, active: &[(usize, usize)]) -> Result<(), Fail> {
        sc.ws();
        let start = sc.pos;
        let split_here = active
            .iter()
            .any(|&(p, d)| p == 0 && d == self.pointers[0].tokens.len());
        let deeper: Vec<(usize, usize)> = active
            .iter()
            .copied()
            .filter(|&(p, d)| d < self.pointers[p].tokens.len())
            .collect();
        match sc.peek() {
            Some(b'{') if !deeper.is_empty() => {
                sc.pos += 1;
                sc.enter()?;
                if sc.peek() == Some(b'}') {
                    sc.pos += 1;
                } else {
                    let mut scratch = Vec::new();
                    loop {
                        if sc.peek() != Some(b'"') {
                            return Err(sc.unexpected("a field name (double-quote)"));
                        }
                        let key = sc.string(&mut scratch)?;
                        let children: Vec<(usize, usize)> = deeper
                            .iter()
                            .filter(|&&(p, d)| self.pointers[p].tokens[d].as_bytes() == key)
                            .map(|&(p, d)| (p, d + 1))
                            .collect();
                        sc.expect(b':', "':' after a field name")?;
                        if children.is_empty() {
                            sc.skip_value()?;
                        } else {
                            self.value(sc, &children)?;
                        }
                        if !sc.next_or_close(b'}')? {
                            break;
                        }
                    }
                }
                sc.leave();
            }
            Some(b'[') if split_here || !deeper.is_empty() => {
                sc.pos += 1;
                sc.enter()?;
                let mut records = Vec::new();
                if sc.peek() == Some(b']') {
                    sc.pos += 1;
                } else {
                    let mut i = 0usize;
                    loop {
                        sc.ws();
                        let element = sc.pos;
                        let children: Vec<(usize, usize)> = deeper
                            .iter()
                            .filter(|&&(p, d)| self.pointers[p].index(d) == Some(i))
                            .map(|&(p, d)| (p, d + 1))
                            .collect();
                        if children.is_empty() {
                            sc.skip_value()?;
                        } else {
                            self.value(sc, &children)?;
                        }
                        if split_here {
                            records.push(element..sc.pos);
                        }
                        i += 1;
                        if !sc.next_or_close(b']')? {
                            break;
                        }
                    }
                }
                sc.leave();
                if split_here {
                    self.records = Some(records);
                }
            }
            Some(b'n') if split_here => {
                sc.skip_value()?;
                self.records = Some(Vec::new());
            }
            _ => sc.skip_value()?,
        }
        let end = sc.pos;
        if split_here && self.records.is_none() {
            self.records = Some(std::iter::once(start..end).collect());
        }
        for &(p, d) in active {
            if d == self.pointers[p].tokens.len() {
                self.found[p] = Some(start..end);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> JsonPointer {
        JsonPointer::parse(s).unwrap()
    }

    fn texts<'a>(doc: &'a str, ranges: &[Range<usize>]) -> Vec<&'a str> {
        ranges.iter().map(|r| &doc[r.clone()]).collect()
    }

    #[test]
    fn pointers_follow_rfc_6901() {
        assert_eq!(p("").tokens, Vec::<String>::new());
        assert_eq!(p("/").tokens, vec![""]);
        assert_eq!(p("/a~1b/m~0n/0").tokens, vec!["a/b", "m~n", "0"]);
        assert!(JsonPointer::parse("data")
            .unwrap_err()
            .message()
            .contains("starts with '/'"));
        assert!(JsonPointer::parse("/a~2")
            .unwrap_err()
            .message()
            .contains("'~'"));
        assert!(JsonPointer::parse("/a~").is_err());
        let q = p("/x/01/10");
        assert_eq!((q.index(1), q.index(2)), (None, Some(10)));
    }

    #[test]
    fn an_array_gives_one_record_per_element_with_its_exact_text() {
        let doc =
            r#"{"meta": {"next": "c2"}, "data": [ {"id": 1, "s": "a,]"} ,2, "x\"y" , [3], null ]}"#;
        let s = split(
            doc.as_bytes(),
            &p("/data"),
            &[&p("/meta/next"), &p("/missing")],
        )
        .unwrap();
        assert!(s.data_found);
        assert_eq!(
            texts(doc, &s.records),
            vec![r#"{"id": 1, "s": "a,]"}"#, "2", r#""x\"y""#, "[3]", "null"]
        );
        assert_eq!(&doc[s.found[0].clone().unwrap()], r#""c2""#);
        assert_eq!(s.found[1], None);
        assert_eq!(
            text_of(doc[s.found[0].clone().unwrap()].as_bytes()).unwrap(),
            "c2"
        );
    }

    #[test]
    fn an_object_or_scalar_is_one_record_null_and_missing_are_none() {
        let doc = r#"{"item": {"id": 7}, "n": null, "k": 5}"#;
        let one = split(doc.as_bytes(), &p("/item"), &[]).unwrap();
        assert_eq!(texts(doc, &one.records), vec![r#"{"id": 7}"#]);
        let scalar = split(doc.as_bytes(), &p("/k"), &[]).unwrap();
        assert_eq!(texts(doc, &scalar.records), vec!["5"]);
        let null = split(doc.as_bytes(), &p("/n"), &[]).unwrap();
        assert!(null.data_found && null.records.is_empty());
        let missing = split(doc.as_bytes(), &p("/data"), &[]).unwrap();
        assert!(!missing.data_found && missing.records.is_empty());
        // The whole document, a top-level array.
        let arr = " [1, {\"a\": [2]}]\n";
        let all = split(arr.as_bytes(), &p(""), &[&p("/1/a/0")]).unwrap();
        assert_eq!(texts(arr, &all.records), vec!["1", r#"{"a": [2]}"#]);
        assert_eq!(&arr[all.found[0].clone().unwrap()], "2");
    }

    #[test]
    fn pointers_through_the_data_array_are_found_in_the_same_scan() {
        let doc = r#"{"data": [{"id": 1}, {"id": 2}], "x": {"a/b": {"~": true}}}"#;
        let s = split(
            doc.as_bytes(),
            &p("/data"),
            &[&p("/data/1/id"), &p("/x/a~1b/~0"), &p("/data/2")],
        )
        .unwrap();
        assert_eq!(s.records.len(), 2);
        assert_eq!(&doc[s.found[0].clone().unwrap()], "2");
        assert_eq!(&doc[s.found[1].clone().unwrap()], "true");
        assert_eq!(s.found[2], None);
        // An offset read from the last record, as CHAINING does.
        let last = &doc[s.records[1].clone()];
        let id = find(last.as_bytes(), &p("/id")).unwrap().unwrap();
        assert_eq!(text_of(last[id].as_bytes()).unwrap(), "2");
    }

    #[test]
    fn malformed_documents_are_syntax_errors_anywhere_in_them() {
        for bad in [
            "",
            "{",
            r#"{"data": [1, 2}"#,
            r#"{"data": [1], "other": [tru]}"#,
            r#"{"data": "unterminated}"#,
            r#"{data: []}"#,
        ] {
            assert!(split(bad.as_bytes(), &p("/data"), &[]).is_err(), "{bad}");
        }
        let deep = "[".repeat(600) + &"]".repeat(600);
        let err = split(deep.as_bytes(), &p("/data"), &[]).unwrap_err();
        assert!(err.message().contains("nesting depth"), "{err}");
        // What follows the first value is ignored, as Jackson's readTree ignores it.
        assert_eq!(
            split(br#"{"data": [1]} trailing"#, &p("/data"), &[])
                .unwrap()
                .records
                .len(),
            1
        );
    }

    #[test]
    fn a_large_array_is_split_without_a_value_per_record() {
        let doc = format!(
            "{{\"data\": [{}]}}",
            vec![r#"{"id": 1, "v": "x"}"#; 100_000].join(",")
        );
        let s = split(doc.as_bytes(), &p("/data"), &[]).unwrap();
        assert_eq!(s.records.len(), 100_000);
        assert!(s
            .records
            .iter()
            .all(|r| &doc[r.clone()] == r#"{"id": 1, "v": "x"}"#));
    }
}
