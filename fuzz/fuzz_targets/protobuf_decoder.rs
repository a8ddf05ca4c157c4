//! The ProtobufConverter's columnar decoder: any bytes, as the body (message indexes, then the
//! message) of a record whose schema has every kind of Protobuf field Strait maps (scalars of
//! each wire type, packed and unpacked repeated fields, an enum, a oneof, a map, a nested
//! message, Timestamp, Date, TimeOfDay and Decimal), must decode or give a row error, never
//! panic, loop or allocate without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use strait_formats::protobuf::{compile, ProtobufDataConfig, ProtobufDecoder};
use strait_formats::registry::ResolvedSchema;

const SCHEMA: &str = r#"syntax = "proto3";
package fuzz;
import "google/protobuf/timestamp.proto";
import "google/type/date.proto";
import "google/type/timeofday.proto";
import "confluent/type/decimal.proto";
message F {
  int64 id = 1;
  optional string name = 2;
  oneof u { int32 i = 3; string s = 4; bytes b = 5; }
  E e = 6;
  repeated string tags = 7;
  map<string, double> attrs = 8;
  repeated sint32 packed = 9;
  repeated fixed64 fixed = 10 [packed = false];
  Inner inner = 11;
  google.protobuf.Timestamp ts = 12;
  google.type.Date day = 13;
  google.type.TimeOfDay time = 14;
  confluent.type.Decimal d = 15;
  uint32 u32 = 16;
  float f = 17;
  bool ok = 18;
  message Inner { float x = 1; repeated Inner2 more = 2; }
  message Inner2 { map<int32, Inner3> m = 1; }
  message Inner3 { sfixed32 y = 1; }
}
enum E { A = 0; B = 1; }
"#;

fuzz_target!(|data: &[u8]| {
    let Ok(compiled) = compile(&ResolvedSchema::plain(SCHEMA)) else {
        return;
    };
    let Ok(mut decoder) = ProtobufDecoder::new(compiled, &ProtobufDataConfig::default(), None)
    else {
        return;
    };
    // The same body twice, and split at its middle: state from one row never leaks into the
    // next.
    let mid = data.len() / 2;
    let _ = decoder.decode(&[Some(data), None, Some(&data[..mid]), Some(&data[mid..])]);
});
