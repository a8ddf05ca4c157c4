//! The allow-list of intended differences (`xtask/conformance-allowed.txt`).
//!
//! One entry per line: `<step glob> | <path glob> | <reason>`; `#` starts a comment. Every
//! entry needs a reason: these lines are the README's compatibility table. Entries that no
//! longer match any difference are reported, so the list does not rot.

use std::path::Path;

use anyhow::{bail, Context, Result};

use super::diff::{glob, Diff};

#[derive(Debug, Clone)]
pub struct Entry {
    pub step: String,
    pub path: String,
    pub reason: String,
    pub line: usize,
}

pub fn load(path: &Path) -> Result<Vec<Entry>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("read {}", path.display())),
    };
    parse(&text).with_context(|| format!("in {}", path.display()))
}

pub fn parse(text: &str) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parts: Vec<&str> = line.splitn(3, " | ").map(str::trim).collect();
        match parts.as_slice() {
            [step, path, reason] if !reason.is_empty() => out.push(Entry {
                step: step.to_string(),
                path: path.to_string(),
                reason: reason.to_string(),
                line: i + 1,
            }),
            _ => bail!(
                "line {}: expected `<step glob> | <path glob> | <reason>`: {raw:?}",
                i + 1
            ),
        }
    }
    Ok(out)
}

/// The entry allowing `d`, if any.
pub fn allowed<'a>(entries: &'a [Entry], d: &Diff) -> Option<&'a Entry> {
    entries
        .iter()
        .find(|e| glob(&e.step, &d.step) && glob(&e.path, &d.path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_matches() {
        let e = parse("# c\nplugins.* | $[transformation:*] | no SMTs yet\n").unwrap();
        let d = Diff {
            step: "plugins.all".into(),
            path: "$[transformation:X]".into(),
            detail: String::new(),
        };
        assert_eq!(allowed(&e, &d).unwrap().reason, "no SMTs yet");
        assert!(parse("a | b |").is_err(), "a reason is required");
    }
}
