//! The HTTP response splitter (`strait_formats::json::pointer`): any bytes as a response body,
//! with pointers that do and do not exist, go through arrays, hit scalars, use escapes and
//! array indices, must split or give a syntax error, never panic, loop or recurse without
//! bound (malformed JSON, huge arrays, wrong pointers). Every record it returns is a range of
//! the body that is itself one complete JSON value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use strait_formats::json::pointer::{find, split, text_of, JsonPointer};

const POINTERS: &[&str] = &[
    "", "/data", "/data/0", "/data/0/id", "/items", "/a~1b", "/m~0n/1", "/next", "/0", "/-",
    "/data/01", "/",
];

fuzz_target!(|input: &[u8]| {
    let (choice, body) = match input.split_first() {
        Some((c, rest)) => (*c as usize, rest),
        None => return,
    };
    let data = JsonPointer::parse(POINTERS[choice % POINTERS.len()]).expect("valid pointer");
    let next = JsonPointer::parse(POINTERS[(choice / POINTERS.len()) % POINTERS.len()])
        .expect("valid pointer");
    let Ok(s) = split(body, &data, &[&next]) else {
        return;
    };
    let root = JsonPointer::root();
    let mut last_end = 0;
    for r in &s.records {
        assert!(r.start >= last_end && r.end <= body.len() && r.start < r.end);
        last_end = r.end;
        // A record's text is one whole value: found whole at the root of itself.
        let whole = find(&body[r.clone()], &root).expect("a record parses alone");
        assert_eq!(whole, Some(0..r.len()));
    }
    if let Some(r) = &s.found[0] {
        assert!(r.end <= body.len());
        let _ = text_of(&body[r.clone()]);
    }
});
