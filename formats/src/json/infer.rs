//! Type inference for schemaless JSON (`schemas.enable=false`).
//!
//! Java's JsonConverter gives schemaless values no schema at all (objects become `HashMap`s,
//! numbers `Long` or `Double`). A column needs one Arrow type, so Strait infers it from the
//! values, widening as it goes:
//!
//! | JSON values seen | Arrow type |
//! |---|---|
//! | only `null` | Null |
//! | `true`/`false` | Boolean |
//! | integers that fit 64 bits | Int64 |
//! | numbers, some with a fraction, an exponent or beyond 64 bits | Float64 |
//! | strings | Utf8 |
//! | arrays | List of the elements' type |
//! | objects | Struct of the members' types, in first-seen order |
//! | objects with more than [`MAX_STRUCT_FIELDS`] distinct member names | Map<Utf8, values' type> |
//! | anything else mixed (a string here, a number there) | Utf8 holding each value's raw JSON text, flagged with [`super::RAW_JSON`] |
//!
//! Every inferred field is nullable; a member missing from an object is null.

use std::collections::HashMap;

use super::decode::Node;
use super::scan::{num_str, Res, Scanner};

/// Objects with more distinct member names than this become maps: keys that vary that much are
/// data (ids, timestamps), not a record shape.
pub const MAX_STRUCT_FIELDS: usize = 128;

/// An inferred type.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) enum Ty {
    #[default]
    Null,
    Bool,
    Int,
    Float,
    Str,
    List(Box<Ty>),
    Object(Obj),
    Map(Box<Ty>),
    Json,
}

/// Members of an object type, in first-seen order.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Obj {
    fields: Vec<(Box<[u8]>, Ty)>,
    index: HashMap<Box<[u8]>, usize>,
}

impl Obj {
    fn member(&mut self, name: &[u8]) -> &mut Ty {
        let i = match self.index.get(name) {
            Some(&i) => i,
            None => {
                let i = self.fields.len();
                self.fields.push((Box::from(name), Ty::Null));
                self.index.insert(Box::from(name), i);
                i
            }
        };
        &mut self.fields[i].1
    }
}

/// Widen `ty` to also hold a scalar of type `t`.
fn widen_scalar(ty: &mut Ty, t: Ty) {
    *ty = match (std::mem::take(ty), t) {
        (Ty::Null, t) => t,
        (Ty::Int, Ty::Float) | (Ty::Float, Ty::Int) => Ty::Float,
        (a, b) if a == b => a,
        _ => Ty::Json,
    };
}

/// Widen `a` to also hold every value of `b`.
pub(crate) fn merge(a: &mut Ty, b: Ty) {
    *a = match (std::mem::take(a), b) {
        (Ty::Null, t) | (t, Ty::Null) => t,
        (Ty::List(mut x), Ty::List(y)) => {
            merge(&mut x, *y);
            Ty::List(x)
        }
        (Ty::Object(mut x), Ty::Object(y)) => {
            for (name, t) in y.fields {
                merge(x.member(&name), t);
            }
            object_or_map(x)
        }
        (Ty::Object(x), Ty::Map(v)) | (Ty::Map(v), Ty::Object(x)) => {
            let mut v = *v;
            for (_, t) in x.fields {
                merge(&mut v, t);
            }
            Ty::Map(Box::new(v))
        }
        (Ty::Map(mut x), Ty::Map(y)) => {
            merge(&mut x, *y);
            Ty::Map(x)
        }
        (x, y @ (Ty::Bool | Ty::Int | Ty::Float | Ty::Str)) => {
            let mut x = x;
            widen_scalar(&mut x, y);
            x
        }
        (x @ (Ty::Bool | Ty::Int | Ty::Float | Ty::Str), y) => {
            let mut y = y;
            widen_scalar(&mut y, x);
            y
        }
        _ => Ty::Json,
    };
}

fn object_or_map(obj: Obj) -> Ty {
    if obj.fields.len() <= MAX_STRUCT_FIELDS {
        return Ty::Object(obj);
    }
    let mut v = Ty::Null;
    for (_, t) in obj.fields {
        merge(&mut v, t);
    }
    Ty::Map(Box::new(v))
}

/// Widen `ty` with the value at the scanner (consumed).
pub(crate) fn observe(ty: &mut Ty, sc: &mut Scanner<'_>, scratch: &mut Vec<u8>) -> Res<()> {
    let Some(c) = sc.peek() else {
        return Err(sc.unexpected("a value"));
    };
    match c {
        b'n' => sc.literal(b"null"),
        b't' => {
            sc.literal(b"true")?;
            widen_scalar(ty, Ty::Bool);
            Ok(())
        }
        b'f' => {
            sc.literal(b"false")?;
            widen_scalar(ty, Ty::Bool);
            Ok(())
        }
        b'"' => {
            sc.string(scratch)?;
            widen_scalar(ty, Ty::Str);
            Ok(())
        }
        b'-' | b'0'..=b'9' => {
            let num = sc.number()?;
            let int = num.small.is_some() || (num.int && num_str(&num).parse::<i64>().is_ok());
            widen_scalar(ty, if int { Ty::Int } else { Ty::Float });
            Ok(())
        }
        b'[' => {
            if *ty == Ty::Null {
                *ty = Ty::List(Box::new(Ty::Null));
            }
            let Ty::List(item) = ty else {
                *ty = Ty::Json;
                return sc.skip_value();
            };
            sc.pos += 1;
            sc.enter()?;
            if sc.peek() == Some(b']') {
                sc.pos += 1;
            } else {
                loop {
                    observe(item, sc, scratch)?;
                    if !sc.next_or_close(b']')? {
                        break;
                    }
                }
            }
            sc.leave();
            Ok(())
        }
        b'{' => {
            if *ty == Ty::Null {
                *ty = Ty::Object(Obj::default());
            }
            if !matches!(ty, Ty::Object(_) | Ty::Map(_)) {
                *ty = Ty::Json;
                return sc.skip_value();
            }
            sc.pos += 1;
            sc.enter()?;
            if sc.peek() == Some(b'}') {
                sc.pos += 1;
            } else {
                loop {
                    if sc.peek() != Some(b'"') {
                        return Err(sc.unexpected("a field name (double-quote)"));
                    }
                    let member: &mut Ty = match ty {
                        Ty::Object(obj) => {
                            let key = sc.string(scratch)?;
                            obj.member(key)
                        }
                        Ty::Map(v) => {
                            sc.string(scratch)?;
                            v
                        }
                        _ => unreachable!("checked above"),
                    };
                    sc.expect(b':', "':' after a field name")?;
                    observe(member, sc, scratch)?;
                    if !sc.next_or_close(b'}')? {
                        break;
                    }
                }
            }
            sc.leave();
            if let Ty::Object(obj) = ty {
                if obj.fields.len() > MAX_STRUCT_FIELDS {
                    *ty = object_or_map(std::mem::take(obj));
                }
            }
            Ok(())
        }
        _ => Err(sc.unexpected("a value")),
    }
}

/// The column builder for an inferred type.
pub(crate) fn node(ty: &Ty, name: &str) -> Node {
    match ty {
        Ty::Null => Node::null_kind(name),
        Ty::Bool => Node::bool_kind(name),
        Ty::Int => Node::int64_kind(name),
        Ty::Float => Node::float64_kind(name),
        Ty::Str => Node::string_kind(name, true),
        Ty::Json => Node::json_kind(name),
        Ty::List(item) => Node::list_kind(name, node(item, "item")),
        Ty::Map(v) => Node::map_kind(name, node(v, "value")),
        Ty::Object(obj) => Node::struct_kind(
            name,
            obj.fields
                .iter()
                .map(|(n, t)| node(t, &String::from_utf8_lossy(n)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn infer(values: &[&str]) -> Ty {
        let mut ty = Ty::Null;
        let mut scratch = Vec::new();
        for v in values {
            observe(&mut ty, &mut Scanner::new(v.as_bytes()), &mut scratch).unwrap();
        }
        ty
    }

    #[test]
    fn scalars_widen() {
        assert_eq!(infer(&["null"]), Ty::Null);
        assert_eq!(infer(&["1", "null", "2"]), Ty::Int);
        assert_eq!(infer(&["1", "2.5"]), Ty::Float);
        assert_eq!(infer(&["99999999999999999999"]), Ty::Float);
        assert_eq!(infer(&["1", "\"a\""]), Ty::Json);
        assert_eq!(
            infer(&["[1]", "[2.0, null]"]),
            Ty::List(Box::new(Ty::Float))
        );
        assert_eq!(infer(&["[1]", "{}"]), Ty::Json);
    }

    #[test]
    fn objects_union_members_and_turn_into_maps_when_wide() {
        let Ty::Object(obj) = infer(&[r#"{"a":1,"b":"x"}"#, r#"{"c":true,"a":2.5}"#]) else {
            panic!()
        };
        let names: Vec<_> = obj
            .fields
            .iter()
            .map(|(n, t)| (String::from_utf8_lossy(n).into_owned(), t.clone()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("a".into(), Ty::Float),
                ("b".into(), Ty::Str),
                ("c".into(), Ty::Bool)
            ]
        );
        let wide: String = format!(
            "{{{}}}",
            (0..=MAX_STRUCT_FIELDS)
                .map(|i| format!("\"k{i}\":{i}"))
                .collect::<Vec<_>>()
                .join(",")
        );
        assert_eq!(infer(&[&wide]), Ty::Map(Box::new(Ty::Int)));
    }

    #[test]
    fn merge_matches_observing_everything() {
        let a = infer(&[r#"{"a":1}"#]);
        let b = infer(&[r#"{"a":"s","b":[1]}"#]);
        let mut m = a.clone();
        merge(&mut m, b);
        assert_eq!(m, infer(&[r#"{"a":1}"#, r#"{"a":"s","b":[1]}"#]));
    }
}
