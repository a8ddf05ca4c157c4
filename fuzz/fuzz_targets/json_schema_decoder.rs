//! The JsonSchemaConverter's columnar decoder: any bytes, as the JSON body of a record whose
//! JSON Schema has every kind of node Strait maps (optional oneOf, type array, enum, array, map
//! as object, map as key/value array, decimal, bytes, a local `$ref`, nested object, default),
//! must decode or give a row error, never panic, loop or allocate without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use strait_formats::jsonschema::{JsonSchemaDataConfig, JsonSchemaDecoder};
use strait_formats::registry::ResolvedSchema;

const SCHEMA: &str = r##"{"title":"F","type":"object","properties":{
 "id":{"type":"integer","connect.type":"int64","connect.index":0},
 "name":{"oneOf":[{"type":"null"},{"type":"string"}],"connect.index":1},
 "t":{"type":["number","null"],"connect.index":2},
 "e":{"enum":["A","B"],"connect.index":3},
 "tags":{"type":"array","items":{"type":"string"},"connect.index":4},
 "attrs":{"type":"object","additionalProperties":{"type":"number"},"connect.type":"map","connect.index":5},
 "m":{"type":"array","items":{"type":"object","properties":{"key":{"type":"integer","connect.type":"int32"},"value":{"type":"boolean"}}},"connect.type":"map","connect.index":6},
 "d":{"type":"number","title":"org.apache.kafka.connect.data.Decimal","connect.type":"bytes","connect.parameters":{"scale":"2"},"connect.index":7},
 "b":{"type":"string","connect.type":"bytes","default":"AA==","connect.index":8},
 "inner":{"$ref":"#/definitions/I","connect.index":9}},
 "definitions":{"I":{"type":"object","properties":{"x":{"type":"number","connect.type":"float32"}}}}}"##;

fuzz_target!(|data: &[u8]| {
    let Ok(mut decoder) = JsonSchemaDecoder::new(
        &ResolvedSchema::plain(SCHEMA),
        &JsonSchemaDataConfig::default(),
        None,
        "fuzz",
    ) else {
        return;
    };
    // The same body twice, and split at its middle: state from one row never leaks into the
    // next.
    let mid = data.len() / 2;
    let _ = decoder.decode(&[Some(data), None, Some(&data[..mid]), Some(&data[mid..])]);
});
