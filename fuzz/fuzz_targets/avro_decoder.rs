//! The AvroConverter's columnar decoder: any bytes, as the Avro body of a record whose schema
//! has every kind of Avro node (optional union, general union, enum, array, map, MapEntry array,
//! decimal, fixed, nested record), must decode or give a row error, never panic, loop or
//! allocate without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use strait_formats::avro::{AvroDataConfig, AvroDecoder};

const SCHEMA: &str = r#"{"type":"record","name":"F","namespace":"fuzz","fields":[
 {"name":"id","type":"long"},
 {"name":"name","type":["null","string"]},
 {"name":"u","type":["int","string","bytes"]},
 {"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"]}},
 {"name":"tags","type":{"type":"array","items":"string"}},
 {"name":"attrs","type":{"type":"map","values":"double"}},
 {"name":"m","type":{"type":"array","items":{"type":"record","name":"MapEntry","namespace":"io.confluent.connect.avro","fields":[{"name":"key","type":"int"},{"name":"value","type":"boolean"}]}}},
 {"name":"d","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},
 {"name":"f","type":{"type":"fixed","name":"Fx","size":3}},
 {"name":"inner","type":{"type":"record","name":"I","fields":[{"name":"x","type":"float"}]}}
]}"#;

fuzz_target!(|data: &[u8]| {
    let Ok(mut decoder) = AvroDecoder::new(SCHEMA, &AvroDataConfig::default()) else {
        return;
    };
    // The same body twice, and split at its middle: state from one row never leaks into the
    // next.
    let mid = data.len() / 2;
    let _ = decoder.decode([Some(data), None, Some(&data[..mid]), Some(&data[mid..])]);
});
