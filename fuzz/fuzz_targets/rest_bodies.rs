//! REST request bodies (`strait_engine::rest::body`): the first byte picks the parser (create
//! request, config map, offsets, logger level), the rest is the body. Properties: never panic;
//! every rejection is Kafka Connect's 400 (a resource check) or 500 (a Jackson binding error)
//! with a message; an accepted config map survives a JSON round trip unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use strait_engine::rest::body::{parse_body, parse_config_map, BodyKind};

const KINDS: [BodyKind; 4] = [
    BodyKind::CreateConnector,
    BodyKind::ConfigMap,
    BodyKind::Offsets,
    BodyKind::LoggerLevel,
];

fuzz_target!(|data: &[u8]| {
    let Some((selector, body)) = data.split_first() else {
        return;
    };
    let kind = KINDS[*selector as usize % KINDS.len()];
    if let Err(e) = parse_body(kind, body) {
        assert!(
            matches!(e.status, 400 | 500),
            "unexpected status {} for {kind:?}",
            e.status
        );
        assert!(!e.message.is_empty());
    }
    if kind == BodyKind::ConfigMap {
        if let Ok(Some(map)) = parse_config_map(body) {
            let again = to_json(&map);
            assert_eq!(
                parse_config_map(again.as_bytes()).expect("round trip parses"),
                Some(map)
            );
        }
    }
});

/// JSON text of a config map (the fuzz crate keeps its dependencies to the code under test).
fn to_json(map: &std::collections::BTreeMap<String, Option<String>>) -> String {
    fn quote(s: &str) -> String {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }
    let parts: Vec<String> = map
        .iter()
        .map(|(k, v)| {
            format!(
                "{}:{}",
                quote(k),
                v.as_deref().map(quote).unwrap_or_else(|| "null".into())
            )
        })
        .collect();
    format!("{{{}}}", parts.join(","))
}
