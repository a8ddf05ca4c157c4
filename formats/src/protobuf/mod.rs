//! Confluent's Connect <-> Protobuf mapping (`io.confluent.connect.protobuf.ProtobufData`, read
//! in schema-registry `protobuf-converter/src/main/java/io/confluent/connect/protobuf/`), the
//! data half of the ProtobufConverter ([`converter`]).
//!
//! - [`compile`]: the registry's `.proto` text with its references -> descriptors (pure Rust:
//!   `protox`; the well-known `google/protobuf/*` files are built into it, and Strait carries
//!   the other files Confluent treats as known: `google/type/date.proto`,
//!   `google/type/timeofday.proto`, `confluent/meta.proto`, `confluent/type/decimal.proto`, so a
//!   schema registered with `skip.known.types=true`, Confluent's default, still compiles),
//! - [`to_connect_schema`]: a message -> its Connect schema as `toConnectSchema` builds it,
//! - [`from_connect_schema`]: a Connect schema -> the `.proto` text `fromConnectSchema` makes,
//! - [`decode::ProtobufDecoder`]: Protobuf bodies -> one Arrow column, walking the wire format
//!   straight into the column builders (no per-record message object),
//! - [`encode`]: an Arrow column -> one message body per row.
//!
//! Where Strait differs from Confluent: recursive messages and groups are refused (an Arrow
//! column cannot nest without end); a root Connect schema that is not a struct is refused when
//! writing (Java writes it as a `google.protobuf.*Value` wrapper); a Connect map is written as
//! a `map<K, V>` field (its entry message is named after the field, as protoc names it, not
//! after the Connect map's name); the `ProtobufDataConfig` settings listed at
//! [`ProtobufDataConfig::refuse_unsupported`] are refused when not at their defaults.

pub mod converter;
pub mod decode;
pub mod encode;

use std::collections::HashMap;

use arrow::datatypes::Field;
use prost_reflect::{
    DescriptorPool, FieldDescriptor, Kind, MapKey, MessageDescriptor, OneofDescriptor, Value,
};
use strait_engine::declare_config;
use strait_engine::schema::logical;
use strait_engine::{Error, Result};

use crate::json::connect::{ConnectSchema, Type};
use crate::registry::ResolvedSchema;

pub use decode::ProtobufDecoder;

/// Name of the Arrow field [`to_connect_schema`] returns.
pub const FIELD_NAME: &str = "value";

pub(crate) const DEFAULT_SCHEMA_NAME: &str = "ConnectDefault";
pub(crate) const TYPE_ENUM: &str = "io.confluent.connect.protobuf.Enum";
pub(crate) const TYPE_UNION_PREFIX: &str = "io.confluent.connect.protobuf.Union.";
pub(crate) const TYPE_TAG: &str = "io.confluent.connect.protobuf.Tag";
pub(crate) const TYPE_PROP: &str = "io.confluent.connect.protobuf.Type";
pub(crate) const CONNECT_PRECISION_PROP: &str = "connect.decimal.precision";
pub(crate) const CONNECT_TYPE_PROP: &str = "connect.type";
pub(crate) const DECIMAL_TYPE: &str = "confluent.type.Decimal";
pub(crate) const DATE_TYPE: &str = "google.type.Date";
pub(crate) const TIME_TYPE: &str = "google.type.TimeOfDay";
pub(crate) const TIMESTAMP_TYPE: &str = "google.protobuf.Timestamp";
pub(crate) const DECIMAL_LOCATION: &str = "confluent/type/decimal.proto";
pub(crate) const DATE_LOCATION: &str = "google/type/date.proto";
pub(crate) const TIME_LOCATION: &str = "google/type/timeofday.proto";
pub(crate) const TIMESTAMP_LOCATION: &str = "google/protobuf/timestamp.proto";
pub(crate) const META_LOCATION: &str = "confluent/meta.proto";

declare_config! {
    /// Java's `ProtobufDataConfig` (with `AbstractDataConfig`'s keys), read in schema-registry
    /// `protobuf-converter/src/main/java/io/confluent/connect/protobuf/ProtobufDataConfig.java`.
    #[derive(Debug, Clone)]
    pub struct ProtobufDataConfig {
        /// Refused when true (Strait does not implement ConnectUnion/ConnectEnum).
        pub generalized_sum_type_support: bool {
            key: "generalized.sum.type.support",
            ty: Boolean,
            default: "false",
            importance: Medium,
            doc: "Toggle for enabling/disabling generalized sum type support: interoperability of enum/union with other schema formats",
        },
        /// Refused when true.
        pub ignore_default_for_nullables: bool {
            key: "ignore.default.for.nullables",
            ty: Boolean,
            default: "false",
            importance: Medium,
            doc: "Whether to ignore the default for nullable fields when the value is null",
        },
        /// Bounds the compiled schemas sources write (readers compile each writer schema once
        /// per decoder, cached by the registry converter).
        pub schemas_cache_size: i32 {
            key: "schemas.cache.config",
            ty: Int,
            default: "1000",
            importance: Low,
            doc: "Size of the converted schemas cache",
        },
        /// Honoured: full names for structs, enums and unions.
        pub enhanced_protobuf_schema_support: bool {
            key: "enhanced.protobuf.schema.support",
            ty: Boolean,
            default: "false",
            importance: Medium,
            doc: "Toggle for enabling/disabling enhanced protobuf schema support: package name preservation",
        },
        /// Refused when true.
        pub scrub_invalid_names: bool {
            key: "scrub.invalid.names",
            ty: Boolean,
            default: "false",
            importance: Medium,
            doc: "Whether to scrub invalid names by replacing invalid characters with valid ones",
        },
        /// Honoured when reading: enums become INT32 numbers.
        pub int_for_enums: bool {
            key: "int.for.enums",
            ty: Boolean,
            default: "false",
            importance: Medium,
            doc: "Whether to represent enums as integers",
        },
        /// Refused when true.
        pub optional_for_nullables: bool {
            key: "optional.for.nullables",
            ty: Boolean,
            default: "false",
            importance: Medium,
            doc: "Whether nullable fields should be specified with an optional label",
        },
        /// Honoured: proto2 `optional` fields not set are null (false: their default).
        pub optional_for_proto2: bool {
            key: "optional.for.proto2",
            ty: Boolean,
            default: "true",
            importance: Medium,
            doc: "Whether proto2 optionals are supported",
        },
        /// Refused when true.
        pub wrapper_for_nullables: bool {
            key: "wrapper.for.nullables",
            ty: Boolean,
            default: "false",
            importance: Medium,
            doc: "Whether nullable fields should use primitive wrapper messages",
        },
        /// Honoured when reading: a root `google.protobuf.*Value` message is its primitive.
        pub wrapper_for_raw_primitives: bool {
            key: "wrapper.for.raw.primitives",
            ty: Boolean,
            default: "true",
            importance: Medium,
            doc: "Whether a wrapper message should be interpreted as a raw primitive at the root level",
        },
        /// Refused when true.
        pub generate_struct_for_nulls: bool {
            key: "generate.struct.for.nulls",
            ty: Boolean,
            default: "false",
            importance: Medium,
            doc: "Whether to generate a default struct for null messages",
        },
        /// Honoured: a oneof's Connect field is `name_index` (true) or `name`.
        pub generate_index_for_unions: bool {
            key: "generate.index.for.unions",
            ty: Boolean,
            default: "true",
            importance: Low,
            doc: "Whether to suffix unionnames with an underscore followed by an index",
        },
        /// Refused when true.
        pub flatten_unions: bool {
            key: "flatten.unions",
            ty: Boolean,
            default: "false",
            importance: Low,
            doc: "Whether to flatten unions (oneofs)",
        },
    }
}

impl Default for ProtobufDataConfig {
    fn default() -> Self {
        ProtobufDataConfig {
            generalized_sum_type_support: false,
            ignore_default_for_nullables: false,
            schemas_cache_size: 1000,
            enhanced_protobuf_schema_support: false,
            scrub_invalid_names: false,
            int_for_enums: false,
            optional_for_nullables: false,
            optional_for_proto2: true,
            wrapper_for_nullables: false,
            wrapper_for_raw_primitives: true,
            generate_struct_for_nulls: false,
            generate_index_for_unions: true,
            flatten_unions: false,
        }
    }
}

impl ProtobufDataConfig {
    /// The settings Strait does not implement, refused at start rather than ignored:
    /// `generalized.sum.type.support`, `ignore.default.for.nullables`, `scrub.invalid.names`,
    /// `optional.for.nullables`, `wrapper.for.nullables`, `generate.struct.for.nulls` and
    /// `flatten.unions` set to true.
    pub fn refuse_unsupported(&self) -> Result<()> {
        let refused: Vec<&str> = [
            (
                self.generalized_sum_type_support,
                "generalized.sum.type.support",
            ),
            (
                self.ignore_default_for_nullables,
                "ignore.default.for.nullables",
            ),
            (self.scrub_invalid_names, "scrub.invalid.names"),
            (self.optional_for_nullables, "optional.for.nullables"),
            (self.wrapper_for_nullables, "wrapper.for.nullables"),
            (self.generate_struct_for_nulls, "generate.struct.for.nulls"),
            (self.flatten_unions, "flatten.unions"),
        ]
        .into_iter()
        .filter_map(|(on, key)| on.then_some(key))
        .collect();
        if refused.is_empty() {
            return Ok(());
        }
        Err(Error::config(format!(
            "{}=true is not supported by Strait's ProtobufConverter",
            refused.join("=true, ")
        )))
    }
}

// ---- compiling .proto text ----------------------------------------------------------------

/// The files Confluent's deserializers know without a reference (`skip.known.types`), beyond
/// the `google/protobuf/*` files protox carries. Same packages, names and field numbers as
/// Google's and Confluent's files (the comments and Java options are left out).
const KNOWN_FILES: &[(&str, &str)] = &[
    (
        DATE_LOCATION,
        "syntax = \"proto3\";\npackage google.type;\n\
         message Date {\n  int32 year = 1;\n  int32 month = 2;\n  int32 day = 3;\n}\n",
    ),
    (
        TIME_LOCATION,
        "syntax = \"proto3\";\npackage google.type;\n\
         message TimeOfDay {\n  int32 hours = 1;\n  int32 minutes = 2;\n  int32 seconds = 3;\n  int32 nanos = 4;\n}\n",
    ),
    (
        DECIMAL_LOCATION,
        "syntax = \"proto3\";\npackage confluent.type;\n\
         message Decimal {\n  bytes value = 1;\n  uint32 precision = 2;\n  int32 scale = 3;\n}\n",
    ),
    (
        META_LOCATION,
        "syntax = \"proto3\";\npackage confluent;\nimport \"google/protobuf/descriptor.proto\";\n\
         message Meta {\n  string doc = 1;\n  map<string, string> params = 2;\n  repeated string tags = 3;\n  repeated Rule rules = 4;\n}\n\
         message Rule {\n  string name = 1;\n  string doc = 2;\n  string expr = 3;\n  string sql = 4;\n}\n\
         extend google.protobuf.FileOptions {\n  Meta file_meta = 1088;\n}\n\
         extend google.protobuf.MessageOptions {\n  Meta message_meta = 1088;\n}\n\
         extend google.protobuf.FieldOptions {\n  Meta field_meta = 1088;\n}\n\
         extend google.protobuf.EnumOptions {\n  Meta enum_meta = 1088;\n}\n\
         extend google.protobuf.EnumValueOptions {\n  Meta enum_value_meta = 1088;\n}\n",
    ),
];

/// The name the schema itself is compiled under (references keep their import names).
const ROOT_FILE: &str = "strait.registry.schema.proto";

struct Sources {
    files: HashMap<String, String>,
    google: protox::file::GoogleFileResolver,
}

impl protox::file::FileResolver for Sources {
    fn open_file(&self, name: &str) -> std::result::Result<protox::file::File, protox::Error> {
        if let Some(text) = self.files.get(name) {
            return match protox::file::File::from_source(name, text) {
                Ok(file) => Ok(file),
                // As Java's `ProtobufSchema.toProtoFile`: text that does not parse may be a
                // base64 `FileDescriptorProto` (what confluent-kafka's Python serializer
                // registers, and what registries that do not convert it hand back).
                Err(parse_error) => descriptor_file(name, text).ok_or(parse_error),
            };
        }
        if let Some((_, text)) = KNOWN_FILES.iter().find(|(n, _)| *n == name) {
            return protox::file::File::from_source(name, text);
        }
        self.google.open_file(name)
    }
}

/// A base64 `FileDescriptorProto` as the file `name`.
fn descriptor_file(name: &str, text: &str) -> Option<protox::file::File> {
    use base64::Engine as _;
    use prost_reflect::prost::Message as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .ok()?;
    let mut proto =
        prost_reflect::prost_types::FileDescriptorProto::decode(bytes.as_slice()).ok()?;
    proto.name = Some(name.to_string());
    Some(protox::file::File::from_file_descriptor_proto(proto))
}

/// A compiled schema: its descriptors and its file.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub pool: DescriptorPool,
    pub file: prost_reflect::FileDescriptor,
}

impl Compiled {
    /// The message the Confluent message indexes name (`[0]`: the first top-level message).
    pub fn message(&self, indexes: &[i32]) -> Option<MessageDescriptor> {
        let (first, rest) = indexes.split_first()?;
        let mut m = declared(self.file.messages()).nth(usize::try_from(*first).ok()?)?;
        for i in rest {
            let child = declared(m.child_messages()).nth(usize::try_from(*i).ok()?)?;
            m = child;
        }
        Some(m)
    }

    /// The message indexes of a message of this file (inverse of [`Compiled::message`]).
    pub fn indexes_of(&self, message: &MessageDescriptor) -> Option<Vec<i32>> {
        fn find(
            list: impl Iterator<Item = MessageDescriptor>,
            target: &str,
            path: &mut Vec<i32>,
        ) -> bool {
            for (i, m) in declared(list).enumerate() {
                path.push(i as i32);
                if m.full_name() == target || find(m.child_messages(), target, path) {
                    return true;
                }
                path.pop();
            }
            false
        }
        let mut path = Vec::new();
        find(self.file.messages(), message.full_name(), &mut path).then_some(path)
    }
}

/// The messages a .proto text declares: Confluent numbers messages in the text (Wire's
/// `ProtoFileElement`), where a `map<>` field declares no entry message, so the entry messages
/// descriptors carry are skipped.
fn declared(
    messages: impl Iterator<Item = MessageDescriptor>,
) -> impl Iterator<Item = MessageDescriptor> {
    messages.filter(|m| !m.is_map_entry())
}

/// Compile a registry schema (and its references) into descriptors.
pub fn compile(schema: &ResolvedSchema) -> Result<Compiled> {
    let mut files: HashMap<String, String> = schema.references.iter().cloned().collect();
    files.insert(ROOT_FILE.to_string(), schema.schema.clone());
    let mut compiler = protox::Compiler::with_file_resolver(Sources {
        files,
        google: protox::file::GoogleFileResolver::new(),
    });
    compiler.include_imports(true);
    compiler
        .open_file(ROOT_FILE)
        .map_err(|e| Error::data(format!("Invalid Protobuf schema: {e}")))?;
    let pool = compiler.descriptor_pool();
    let file = pool
        .get_file_by_name(ROOT_FILE)
        .ok_or_else(|| Error::bug("protobuf: the compiled schema has no root file"))?;
    Ok(Compiled { pool, file })
}

/// Java's `ProtobufSchema.name()`: the full name of the schema's first message (else its
/// first enum), `None` when the text does not compile or declares neither.
pub fn first_message_name(schema: &ResolvedSchema) -> Option<String> {
    let Ok(compiled) = compile(schema) else {
        // Imports that are not at hand (the registry converter asks with the text alone):
        // read the package and the first top-level message from the text.
        return first_message_in_text(&schema.schema);
    };
    let first = compiled.file.messages().next();
    match first {
        Some(m) => Some(m.full_name().to_string()),
        None => compiled
            .file
            .enums()
            .next()
            .map(|e| e.full_name().to_string()),
    }
}

/// The full name of the first top-level `message` of .proto text, skipping comments and
/// nested blocks; `None` when there is none.
fn first_message_in_text(text: &str) -> Option<String> {
    let mut cleaned = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("//") {
            rest = r.find('\n').map_or("", |i| &r[i..]);
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r.find("*/").map_or("", |i| &r[i + 2..]);
        } else {
            let c = rest.chars().next()?;
            cleaned.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    let spaced = cleaned
        .replace('{', " { ")
        .replace('}', " } ")
        .replace(';', " ; ");
    let mut package: Option<&str> = None;
    let mut depth = 0usize;
    let mut words = spaced.split_whitespace().peekable();
    while let Some(w) = words.next() {
        match w {
            "{" => depth += 1,
            "}" => depth = depth.saturating_sub(1),
            "package" if depth == 0 => package = words.next(),
            "message" if depth == 0 => {
                let name = words.next()?;
                return Some(match package {
                    Some(p) if !p.is_empty() => format!("{p}.{name}"),
                    _ => name.to_string(),
                });
            }
            _ => {}
        }
    }
    None
}

/// Confluent's message indexes (`MessageIndexes.readFrom`): a zig-zag varint count then as
/// many zig-zag varint indexes; a count of 0 means `[0]`. The indexes and the bytes read.
pub fn read_message_indexes(body: &[u8]) -> std::result::Result<(Vec<i32>, usize), String> {
    let mut pos = 0;
    let count = read_zigzag_int(body, &mut pos)?;
    if count == 0 {
        return Ok((vec![0], pos));
    }
    if count < 0 || count as usize > body.len() {
        return Err(format!("Invalid message indexes count: {count}"));
    }
    let mut out = Vec::with_capacity(count as usize);
    for _ in 0..count {
        out.push(read_zigzag_int(body, &mut pos)?);
    }
    Ok((out, pos))
}

/// `MessageIndexes.toByteArray`: `[0]` is the single byte 0.
pub fn write_message_indexes(indexes: &[i32], out: &mut Vec<u8>) {
    if indexes == [0] {
        out.push(0);
        return;
    }
    write_zigzag_int(indexes.len() as i32, out);
    for i in indexes {
        write_zigzag_int(*i, out);
    }
}

/// Kafka's `ByteUtils.readVarint` (zig-zag, at most 5 bytes).
fn read_zigzag_int(buf: &[u8], pos: &mut usize) -> std::result::Result<i32, String> {
    let mut v: u32 = 0;
    for i in 0..5 {
        let b = *buf
            .get(*pos)
            .ok_or("Malformed message indexes: unexpected end of data")?;
        *pos += 1;
        v |= ((b & 0x7f) as u32) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(((v >> 1) as i32) ^ -((v & 1) as i32));
        }
    }
    Err("Malformed message indexes: varint too long".into())
}

fn write_zigzag_int(v: i32, out: &mut Vec<u8>) {
    let mut z = ((v << 1) ^ (v >> 31)) as u32;
    while z >= 0x80 {
        out.push((z as u8) | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}

// ---- Protobuf -> Connect -------------------------------------------------------------------

/// The `confluent.field_meta` params of a field (`int8`/`int16` and Decimal precision/scale).
fn field_meta_params(field: &FieldDescriptor) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let pool = field.parent_pool();
    let Some(ext) = pool.get_extension_by_name("confluent.field_meta") else {
        return out;
    };
    let options = field.options();
    if !options.has_extension(&ext) {
        return out;
    }
    if let Value::Message(meta) = options.get_extension(&ext).as_ref() {
        if let Some(v) = meta.get_field_by_name("params") {
            if let Value::Map(map) = v.as_ref() {
                for (k, v) in map {
                    if let (MapKey::String(k), Value::String(v)) = (k, v) {
                        out.insert(k.clone(), v.clone());
                    }
                }
            }
        }
    }
    out
}

fn schema(ty: Type) -> ConnectSchema {
    ConnectSchema {
        ty,
        optional: false,
        name: None,
        version: None,
        doc: None,
        parameters: None,
        default: None,
    }
}

fn param(s: &mut ConnectSchema, k: &str, v: impl Into<String>) {
    let v = v.into();
    let params = s.parameters.get_or_insert_with(Vec::new);
    if let Some(e) = params.iter_mut().find(|(key, _)| key == k) {
        e.1 = v;
    } else {
        params.push((k.to_string(), v));
    }
}

/// The Connect primitive a `google.protobuf.*Value` wrapper stands for (`toUnwrappedSchema`).
pub(crate) fn unwrapped_type(full_name: &str) -> Option<Type> {
    Some(match full_name {
        "google.protobuf.DoubleValue" => Type::Float64,
        "google.protobuf.FloatValue" => Type::Float32,
        "google.protobuf.Int64Value" | "google.protobuf.UInt64Value" => Type::Int64,
        "google.protobuf.Int32Value" => Type::Int32,
        "google.protobuf.UInt32Value" => Type::Int64,
        "google.protobuf.BoolValue" => Type::Boolean,
        "google.protobuf.StringValue" => Type::String,
        "google.protobuf.BytesValue" => Type::Bytes,
        _ => return None,
    })
}

/// Whether a field is a map field as `isMapDescriptor` sees it.
pub(crate) fn is_map_field(field: &FieldDescriptor) -> bool {
    if !field.is_list() && !field.is_map() {
        return false;
    }
    let Kind::Message(m) = field.kind() else {
        return false;
    };
    let fields: Vec<FieldDescriptor> = m.fields().collect();
    m.name().ends_with("Entry")
        && fields.len() == 2
        && fields[0].name() == "key"
        && fields[1].name() == "value"
        && !fields[0].is_list()
        && !fields[1].is_list()
}

/// Whether an absent field reads as null (`isOptional`: proto3 `optional`, or proto2
/// `optional` with `optional.for.proto2`).
pub(crate) fn has_optional_keyword(field: &FieldDescriptor, config: &ProtobufDataConfig) -> bool {
    let proto = field.field_descriptor_proto();
    if proto.proto3_optional() {
        return true;
    }
    config.optional_for_proto2
        && field.parent_file().syntax() == prost_reflect::Syntax::Proto2
        && field.cardinality() == prost_reflect::Cardinality::Optional
        && field.containing_oneof().is_none()
}

/// The real (not synthetic) oneof of a field.
pub(crate) fn real_oneof(field: &FieldDescriptor) -> Option<OneofDescriptor> {
    field.containing_oneof().filter(|o| !o.is_synthetic())
}

pub(crate) struct ToConnect<'a> {
    pub config: &'a ProtobufDataConfig,
    /// Messages being converted (recursion is refused).
    stack: Vec<String>,
}

impl<'a> ToConnect<'a> {
    pub fn new(config: &'a ProtobufDataConfig) -> Self {
        ToConnect {
            config,
            stack: Vec::new(),
        }
    }

    pub fn union_field_name(&self, oneof: &OneofDescriptor) -> String {
        if self.config.generate_index_for_unions {
            // `OneofDescriptor.getIndex()`: its position among the message's oneofs.
            let index = oneof
                .parent_message()
                .oneofs()
                .position(|o| o.full_name() == oneof.full_name())
                .unwrap_or(0);
            format!("{}_{index}", oneof.name())
        } else {
            oneof.name().to_string()
        }
    }

    fn name_of<'n>(&self, full: &'n str, short: &'n str) -> &'n str {
        if self.config.enhanced_protobuf_schema_support {
            full
        } else {
            short
        }
    }

    /// `toConnectSchema(descriptor, version)`: the root message.
    pub fn root(&mut self, m: &MessageDescriptor, version: Option<i32>) -> Result<ConnectSchema> {
        let mut s = match unwrapped_type(m.full_name()) {
            Some(ty) if self.config.wrapper_for_raw_primitives => schema(ty),
            _ => self.message(m)?,
        };
        s.version = version;
        Ok(s)
    }

    fn message(&mut self, m: &MessageDescriptor) -> Result<ConnectSchema> {
        if self.stack.iter().any(|n| n == m.full_name()) {
            return Err(Error::data(format!(
                "Protobuf message {} is recursive, which Strait cannot hold in an Arrow column",
                m.full_name()
            )));
        }
        self.stack.push(m.full_name().to_string());
        let mut members = Vec::new();
        for oneof in m.oneofs().filter(|o| !o.is_synthetic()) {
            let mut u = schema(Type::Struct(
                oneof
                    .fields()
                    .map(|f| Ok((f.name().to_string(), self.field(&f, true)?)))
                    .collect::<Result<Vec<_>>>()?,
            ));
            u.name = Some(format!(
                "{TYPE_UNION_PREFIX}{}",
                self.name_of(oneof.full_name(), oneof.name())
            ));
            u.optional = true;
            members.push((self.union_field_name(&oneof), u));
        }
        for f in m.fields().filter(|f| real_oneof(f).is_none()) {
            members.push((f.name().to_string(), self.field(&f, false)?));
        }
        self.stack.pop();
        let mut s = schema(Type::Struct(members));
        s.name = Some(self.name_of(m.full_name(), m.name()).to_string());
        Ok(s)
    }

    /// `toConnectSchema(ctx, FieldDescriptor, oneofMember)`.
    pub fn field(&mut self, f: &FieldDescriptor, _oneof_member: bool) -> Result<ConnectSchema> {
        let kind = f.kind();
        let type_param = |s: &mut ConnectSchema, name: &str| param(s, TYPE_PROP, name);
        let mut s = match &kind {
            Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
                let meta = field_meta_params(f);
                match meta.get(CONNECT_TYPE_PROP).map(String::as_str) {
                    Some("int8") => schema(Type::Int8),
                    Some("int16") => schema(Type::Int16),
                    _ => {
                        let mut s = schema(Type::Int32);
                        match kind {
                            Kind::Sint32 => type_param(&mut s, "sint32"),
                            Kind::Sfixed32 => type_param(&mut s, "sfixed32"),
                            _ => {}
                        }
                        s
                    }
                }
            }
            Kind::Uint32
            | Kind::Fixed32
            | Kind::Int64
            | Kind::Uint64
            | Kind::Sint64
            | Kind::Fixed64
            | Kind::Sfixed64 => {
                let mut s = schema(Type::Int64);
                let name = match kind {
                    Kind::Uint32 => Some("uint32"),
                    Kind::Fixed32 => Some("fixed32"),
                    Kind::Uint64 => Some("uint64"),
                    Kind::Sint64 => Some("sint64"),
                    Kind::Fixed64 => Some("fixed64"),
                    Kind::Sfixed64 => Some("sfixed64"),
                    _ => None,
                };
                if let Some(n) = name {
                    type_param(&mut s, n);
                }
                s
            }
            Kind::Float => schema(Type::Float32),
            Kind::Double => schema(Type::Float64),
            Kind::Bool => schema(Type::Boolean),
            Kind::String => schema(Type::String),
            Kind::Bytes => schema(Type::Bytes),
            Kind::Enum(e) => {
                let mut s = schema(if self.config.int_for_enums {
                    Type::Int32
                } else {
                    Type::String
                });
                s.name = Some(self.name_of(e.full_name(), e.name()).to_string());
                param(&mut s, TYPE_ENUM, e.name());
                for v in e.values() {
                    param(
                        &mut s,
                        &format!("{TYPE_ENUM}.{}", v.name()),
                        v.number().to_string(),
                    );
                }
                s.optional = true;
                s
            }
            Kind::Message(m) => {
                if f.is_group() {
                    return Err(Error::data(format!(
                        "Protobuf group field {} is not supported by Strait",
                        f.full_name()
                    )));
                }
                let mut s = match m.full_name() {
                    DECIMAL_TYPE => {
                        let meta = field_meta_params(f);
                        let scale = meta
                            .get("scale")
                            .and_then(|s| s.parse::<i32>().ok())
                            .unwrap_or(0);
                        let mut s = logical_schema(Type::Bytes, logical::DECIMAL);
                        param(&mut s, logical::DECIMAL_SCALE, scale.to_string());
                        if let Some(p) = meta.get("precision").and_then(|p| p.parse::<i32>().ok()) {
                            param(&mut s, CONNECT_PRECISION_PROP, p.to_string());
                        }
                        s
                    }
                    DATE_TYPE => logical_schema(Type::Int32, logical::DATE),
                    TIME_TYPE => logical_schema(Type::Int32, logical::TIME),
                    TIMESTAMP_TYPE => logical_schema(Type::Int64, logical::TIMESTAMP),
                    _ if is_map_field(f) => {
                        let key = m.fields().next();
                        let value = m.fields().nth(1);
                        let (Some(key), Some(value)) = (key, value) else {
                            return Err(Error::bug("protobuf: a map entry without two fields"));
                        };
                        let mut s = schema(Type::Map(
                            Box::new(self.field(&key, false)?),
                            Box::new(self.field(&value, false)?),
                        ));
                        s.name = Some(to_map_field(self.name_of(m.full_name(), m.name())));
                        s
                    }
                    _ => self.message(m)?,
                };
                s.optional = true;
                s
            }
        };
        if (f.is_list() || f.is_map()) && !matches!(s.ty, Type::Map(..)) {
            s.optional = true;
            s = schema(Type::Array(Box::new(s)));
        }
        // Default config: every field is optional (`optional.for.nullables` and
        // `wrapper.for.nullables` are refused).
        s.optional = true;
        param(&mut s, TYPE_TAG, f.number().to_string());
        Ok(s)
    }
}

fn logical_schema(ty: Type, name: &str) -> ConnectSchema {
    let mut s = schema(ty);
    s.name = Some(name.to_string());
    s.version = Some(1);
    s
}

/// `ProtobufSchema.toMapField`: `AttrsEntry` -> `attrs`.
fn to_map_field(name: &str) -> String {
    let (prefix, last) = match name.rfind('.') {
        Some(i) => (&name[..=i], &name[i + 1..]),
        None => ("", name),
    };
    match last.strip_suffix("Entry") {
        Some(stem) => format!("{prefix}{}", upper_camel_to_lower_underscore(stem)),
        None => name.to_string(),
    }
}

/// Guava's `UPPER_CAMEL.to(LOWER_UNDERSCORE, s)`.
fn upper_camel_to_lower_underscore(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    for (i, c) in s.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The Connect schema of a message, as the Arrow field of the converter's column.
pub fn to_connect_schema(
    message: &MessageDescriptor,
    config: &ProtobufDataConfig,
    version: Option<i32>,
) -> Result<Field> {
    let s = ToConnect::new(config).root(message, version)?;
    let node =
        crate::json::decode::Node::for_schema(&s, FIELD_NAME, true, false).map_err(Error::data)?;
    Ok(node.field.as_ref().clone())
}

// ---- Connect -> Protobuf -------------------------------------------------------------------

/// `fromConnectSchema`: the `.proto` text (and the non-well-known references: none, since
/// every file it imports is one Confluent knows) Strait registers for a Connect schema.
pub fn from_connect_schema(field: &Field, config: &ProtobufDataConfig) -> Result<ResolvedSchema> {
    config.refuse_unsupported()?;
    let s = connect_schema(field)?;
    let mut cx = FromConnect::default();
    let full = cx.name_or_default(s.name.as_deref());
    let (package, name) = match full.rfind('.') {
        Some(i) => (Some(full[..i].to_string()), full[i + 1..].to_string()),
        None => (None, full.clone()),
    };
    if !matches!(s.ty, Type::Struct(_)) {
        return Err(Error::data(format!(
            "Strait's ProtobufConverter writes only struct values (Connect {} schemas are written by Java as google.protobuf wrapper messages)",
            s.type_name()
        )));
    }
    let mut body = String::new();
    cx.message(&mut body, &name, &s, 0)?;
    let mut out = String::from("syntax = \"proto3\";\n");
    if let Some(p) = package {
        out.push_str(&format!("package {p};\n"));
    }
    out.push('\n');
    let mut imports: Vec<&str> = cx.imports.iter().map(String::as_str).collect();
    imports.sort_unstable();
    imports.dedup();
    for i in &imports {
        out.push_str(&format!("import \"{i}\";\n"));
    }
    if !imports.is_empty() {
        out.push('\n');
    }
    out.push_str(&body);
    Ok(ResolvedSchema::plain(out))
}

pub(crate) fn connect_schema(field: &Field) -> Result<ConnectSchema> {
    if strait_engine::schema::is_schemaless(field) {
        return Err(Error::data(
            "Protobuf needs a Connect schema: Strait does not write schemaless values as Protobuf",
        ));
    }
    ConnectSchema::from_field(field, &crate::json::Opts::default()).map_err(Error::data)
}

#[derive(Default)]
struct FromConnect {
    name_index: usize,
    imports: Vec<String>,
}

fn get_param<'s>(s: &'s ConnectSchema, key: &str) -> Option<&'s str> {
    s.parameters
        .as_ref()?
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

impl FromConnect {
    /// `getNameOrDefault`: `ConnectDefault1`, `ConnectDefault2`, … for unnamed schemas.
    fn name_or_default(&mut self, name: Option<&str>) -> String {
        match name {
            Some(n) if !n.is_empty() => n.to_string(),
            _ => {
                self.name_index += 1;
                format!("{DEFAULT_SCHEMA_NAME}{}", self.name_index)
            }
        }
    }

    /// `getUnqualifiedName`.
    fn unqualified(&mut self, name: Option<&str>) -> String {
        let full = self.name_or_default(name);
        match full.rfind('.') {
            Some(i) => full[i + 1..].to_string(),
            None => full,
        }
    }

    /// `messageDefinitionFromConnectSchema`, as text at `depth`.
    fn message(
        &mut self,
        out: &mut String,
        name: &str,
        s: &ConnectSchema,
        depth: usize,
    ) -> Result<()> {
        let Type::Struct(members) = &s.ty else {
            return Err(Error::bug("protobuf: message of a non-struct schema"));
        };
        let pad = "  ".repeat(depth);
        let inner = "  ".repeat(depth + 1);
        let mut fields = String::new();
        let mut nested = String::new();
        let mut nested_names: Vec<String> = Vec::new();
        let mut index = 1;
        for (fname, fs) in members {
            let tag = match get_param(fs, TYPE_TAG) {
                Some(t) => t.parse::<i32>().map_err(|_| {
                    Error::data(format!(
                        "Invalid {TYPE_TAG} parameter on field {fname}: {t}"
                    ))
                })?,
                None => {
                    let t = index;
                    index += 1;
                    t
                }
            };
            let is_union = matches!(fs.ty, Type::Struct(_))
                && fs
                    .name
                    .as_deref()
                    .is_some_and(|n| n.starts_with(TYPE_UNION_PREFIX));
            if is_union {
                let Type::Struct(branches) = &fs.ty else {
                    continue;
                };
                let union_name =
                    self.unqualified(fs.name.as_deref().map(|n| &n[TYPE_UNION_PREFIX.len()..]));
                fields.push_str(&format!("{inner}oneof {union_name} {{\n"));
                for (bname, bs) in branches {
                    let btag = get_param(bs, TYPE_TAG)
                        .and_then(|t| t.parse::<i32>().ok())
                        .ok_or_else(|| {
                            Error::data(format!(
                                "union member {bname} has no {TYPE_TAG} parameter, which a oneof field needs"
                            ))
                        })?;
                    let line = self.field_line(
                        bname,
                        bs,
                        btag,
                        true,
                        &mut nested,
                        &mut nested_names,
                        depth + 1,
                    )?;
                    fields.push_str(&format!("{inner}  {line}\n"));
                }
                fields.push_str(&format!("{inner}}}\n"));
                continue;
            }
            let line =
                self.field_line(fname, fs, tag, false, &mut nested, &mut nested_names, depth)?;
            fields.push_str(&format!("{inner}{line}\n"));
        }
        out.push_str(&format!(
            "{pad}message {name} {{\n{fields}{nested}{pad}}}\n"
        ));
        Ok(())
    }

    /// One field declaration (`fieldDefinitionFromConnectSchema`); nested messages and enums
    /// it needs go to `nested`.
    fn field_line(
        &mut self,
        name: &str,
        s: &ConnectSchema,
        tag: i32,
        oneof_member: bool,
        nested: &mut String,
        nested_names: &mut Vec<String>,
        depth: usize,
    ) -> Result<String> {
        let (label, item) = match &s.ty {
            Type::Array(item) => {
                if oneof_member {
                    return Err(Error::data(format!(
                        "oneof member {name} cannot be an array in Protobuf"
                    )));
                }
                ("repeated ", item.as_ref())
            }
            _ => ("", s),
        };
        let mut meta: Vec<(String, String)> = Vec::new();
        let ty = self.data_type(item, name, &mut meta, nested, nested_names, depth)?;
        let mut line = format!("{label}{ty} {name} = {tag}");
        if !meta.is_empty() {
            self.imports.push(META_LOCATION.to_string());
            let params = meta
                .iter()
                .map(|(k, v)| format!("{{key: \"{k}\", value: \"{v}\"}}"))
                .collect::<Vec<_>>()
                .join(", ");
            line.push_str(&format!(
                " [(confluent.field_meta) = {{params: [{params}]}}]"
            ));
        }
        line.push(';');
        Ok(line)
    }

    /// `dataTypeFromConnectSchema`, defining the message/enum/map types it names.
    fn data_type(
        &mut self,
        s: &ConnectSchema,
        field_name: &str,
        meta: &mut Vec<(String, String)>,
        nested: &mut String,
        nested_names: &mut Vec<String>,
        depth: usize,
    ) -> Result<String> {
        let import = |cx: &mut Self, loc: &str| cx.imports.push(loc.to_string());
        match (s.name.as_deref(), &s.ty) {
            (Some(logical::DECIMAL), Type::Bytes) => {
                if let Some(p) = get_param(s, CONNECT_PRECISION_PROP) {
                    meta.push(("precision".into(), p.into()));
                }
                if let Some(sc) = get_param(s, logical::DECIMAL_SCALE) {
                    meta.push(("scale".into(), sc.into()));
                }
                import(self, DECIMAL_LOCATION);
                return Ok(DECIMAL_TYPE.into());
            }
            (Some(logical::DATE), Type::Int32) => {
                import(self, DATE_LOCATION);
                return Ok(DATE_TYPE.into());
            }
            (Some(logical::TIME), Type::Int32) => {
                import(self, TIME_LOCATION);
                return Ok(TIME_TYPE.into());
            }
            (Some(logical::TIMESTAMP), Type::Int64) => {
                import(self, TIMESTAMP_LOCATION);
                return Ok(TIMESTAMP_TYPE.into());
            }
            _ => {}
        }
        let enum_type = get_param(s, TYPE_ENUM).map(str::to_string);
        Ok(match &s.ty {
            Type::Int8 | Type::Int16 => {
                let t = if matches!(s.ty, Type::Int8) {
                    "int8"
                } else {
                    "int16"
                };
                meta.push((CONNECT_TYPE_PROP.into(), t.into()));
                "int32".into()
            }
            Type::Int32 | Type::String if enum_type.is_some() => {
                let enum_name = self.unqualified(s.name.as_deref());
                if !nested_names.contains(&enum_name) {
                    nested_names.push(enum_name.clone());
                    let pad = "  ".repeat(depth + 1);
                    nested.push_str(&format!("{pad}enum {enum_name} {{\n"));
                    for (k, v) in s.parameters.iter().flatten() {
                        if let Some(sym) = k.strip_prefix(&format!("{TYPE_ENUM}.")) {
                            nested.push_str(&format!("{pad}  {sym} = {v};\n"));
                        }
                    }
                    nested.push_str(&format!("{pad}}}\n"));
                }
                enum_type.unwrap_or(enum_name)
            }
            Type::Int32 => get_param(s, TYPE_PROP).unwrap_or("int32").to_string(),
            Type::Int64 => get_param(s, TYPE_PROP).unwrap_or("int64").to_string(),
            Type::Float32 => "float".into(),
            Type::Float64 => "double".into(),
            Type::Boolean => "bool".into(),
            Type::String => "string".into(),
            Type::Bytes => "bytes".into(),
            Type::Array(_) => return Err(Error::data("Array cannot be nested")),
            Type::Map(k, v) => {
                // Written as a `map<K, V>` field: Protobuf only allows scalar keys and no
                // repeated values there.
                let key = self.map_part(k, "key")?;
                let mut vmeta = Vec::new();
                let value = match &v.ty {
                    Type::Array(_) | Type::Map(..) => {
                        return Err(Error::data(format!(
                            "map field {field_name}: a map value cannot be an array or a map in Protobuf"
                        )))
                    }
                    _ => self.data_type(v, "value", &mut vmeta, nested, nested_names, depth)?,
                };
                if !vmeta.is_empty() {
                    return Err(Error::data(format!(
                        "map field {field_name}: INT8/INT16/Decimal map values are not supported by Strait's ProtobufConverter"
                    )));
                }
                format!("map<{key}, {value}>")
            }
            Type::Struct(_) => {
                let mut name = self.unqualified(s.name.as_deref());
                if name == field_name {
                    name.push_str("Message");
                }
                if !nested_names.contains(&name) {
                    nested_names.push(name.clone());
                    self.message(nested, &name, s, depth + 1)?;
                }
                name
            }
        })
    }

    fn map_part(&mut self, s: &ConnectSchema, what: &str) -> Result<String> {
        Ok(match (&s.ty, get_param(s, TYPE_PROP)) {
            (Type::Int32 | Type::Int64, Some(t)) => t.to_string(),
            (Type::Int8 | Type::Int16 | Type::Int32, None) if s.name.is_none() => "int32".into(),
            (Type::Int64, None) if s.name.is_none() => "int64".into(),
            (Type::Boolean, _) => "bool".into(),
            (Type::String, _) if get_param(s, TYPE_ENUM).is_none() => "string".into(),
            _ => {
                return Err(Error::data(format!(
                    "a Protobuf map {what} must be an integer, a boolean or a string, not {}",
                    s.type_name()
                )))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    //! Golden tests after Confluent's `ProtobufDataTest.java` (schema-registry
    //! `protobuf-converter/src/test/java/io/confluent/connect/protobuf/ProtobufDataTest.java`,
    //! with its `.proto` files from `protobuf-serializer/src/test/proto/`); each test names the
    //! Java test it follows. Expected Connect schemas are written as JsonConverter schema JSON
    //! (the same Connect schema, another spelling) and compared as Arrow fields.
    use super::*;
    use crate::json::decode::Node;
    use crate::json::scan::Scanner;
    use arrow::array::{Array, ArrayRef, RecordBatch, StructArray};
    use prost_reflect::prost::Message;
    use prost_reflect::DynamicMessage;

    /// `NestedTestProto.proto` without its comments.
    pub(crate) const NESTED_TEST_PROTO: &str = r#"syntax = "proto3";
import "google/protobuf/timestamp.proto";
package io.confluent.kafka.serializers.protobuf.test;
message UserId {
    oneof user_id {
        string kafka_user_id = 1;
        int32 other_user_id = 2;
        MessageId another_id = 3;
    }
}
message MessageId {
    string id = 1;
}
enum Status {
    ACTIVE = 0;
    INACTIVE = 1;
}
message ComplexType {
    oneof some_val {
        string one_id = 1;
        int32 other_id = 2;
    }
    bool is_active = 3;
}
message NestedMessage {
    UserId user_id = 1;
    bool is_active = 2;
    repeated string experiments_active = 3;
    google.protobuf.Timestamp updated_at = 4;
    Status status = 5;
    ComplexType complex_type = 6;
    map<string, string> map_type = 7;
    InnerMessage inner = 8;
    message InnerMessage {
        string id = 1 [json_name="id"];
        repeated int32 ids = 2 [packed=true];
    }
    enum InnerEnum {
        option allow_alias = true;
        ZERO = 0;
        ALSO_ZERO = 0;
    }
    reserved 14, 15, 9 to 11;
    reserved "foo", "bar";
}
"#;

    fn expected_field(connect_schema_json: &str) -> Field {
        let s = ConnectSchema::parse(
            &mut Scanner::new(connect_schema_json.as_bytes()),
            &crate::json::Opts::default(),
        )
        .map_err(|_| "bad expected schema")
        .unwrap()
        .unwrap();
        Node::for_schema(&s, FIELD_NAME, true, false)
            .unwrap()
            .field
            .as_ref()
            .clone()
    }

    /// Java's `ConnectSchema.equals`: parameters compared as maps (Java's builder order and
    /// the test's may differ).
    #[track_caller]
    fn assert_schema_eq(actual: &Field, expected: &Field) {
        let opts = crate::json::Opts::default();
        assert_eq!(
            ConnectSchema::from_field(actual, &opts).unwrap(),
            ConnectSchema::from_field(expected, &opts).unwrap(),
            "{actual:#?}"
        );
    }

    fn compiled(text: &str, refs: &[(&str, &str)]) -> Compiled {
        compile(&ResolvedSchema {
            schema: text.to_string(),
            references: refs
                .iter()
                .map(|(n, t)| (n.to_string(), t.to_string()))
                .collect(),
        })
        .unwrap()
    }

    fn message(c: &Compiled, name: &str) -> MessageDescriptor {
        c.pool.get_message_by_name(name).unwrap()
    }

    /// A body in Confluent's layout (indexes, then the message) from text format.
    fn body(c: &Compiled, name: &str, text: &str) -> Vec<u8> {
        let m = message(c, name);
        let indexes = c.indexes_of(&m).unwrap();
        let mut out = Vec::new();
        write_message_indexes(&indexes, &mut out);
        DynamicMessage::parse_text_format(m, text)
            .unwrap()
            .encode(&mut out)
            .unwrap();
        out
    }

    fn decode_rows(
        c: &Compiled,
        config: &ProtobufDataConfig,
        bodies: &[Option<&[u8]>],
    ) -> (Field, ArrayRef, Vec<RowError>) {
        let mut d = ProtobufDecoder::new(c.clone(), config, None).unwrap();
        let (array, errors) = d.decode(bodies).unwrap();
        (d.field().clone(), array, errors)
    }

    use strait_engine::plugin::RowError;

    /// The rows as JSON lines (arrow-json), to compare values.
    fn json_rows(array: &ArrayRef) -> Vec<String> {
        let st = array.as_any().downcast_ref::<StructArray>().unwrap();
        // Row nulls dropped (RecordBatch has none): a null row prints as `{}`.
        let (fields, columns, _) = st.clone().into_parts();
        let batch = RecordBatch::from(StructArray::new(fields, columns, None));
        let mut w = arrow::json::LineDelimitedWriter::new(Vec::new());
        w.write(&batch).unwrap();
        w.finish().unwrap();
        String::from_utf8(w.into_inner())
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    const COMPLEX_TYPE: &str = r#"{"field":"complex_type","type":"struct","name":"ComplexType","optional":true,"fields":[
        {"field":"some_val_0","type":"struct","name":"io.confluent.connect.protobuf.Union.some_val","optional":true,"fields":[
            {"field":"one_id","type":"string","optional":true,"parameters":{"io.confluent.connect.protobuf.Tag":"1"}},
            {"field":"other_id","type":"int32","optional":true,"parameters":{"io.confluent.connect.protobuf.Tag":"2"}}]},
        {"field":"is_active","type":"boolean","optional":true,"parameters":{"io.confluent.connect.protobuf.Tag":"3"}}],
        "parameters":{"io.confluent.connect.protobuf.Tag":"6"}}"#;

    fn nested_message_schema(int_for_enums: bool) -> String {
        let status_type = if int_for_enums { "int32" } else { "string" };
        format!(
            r#"{{"type":"struct","name":"NestedMessage","optional":false,"fields":[
            {{"field":"user_id","type":"struct","name":"UserId","optional":true,"fields":[
                {{"field":"user_id_0","type":"struct","name":"io.confluent.connect.protobuf.Union.user_id","optional":true,"fields":[
                    {{"field":"kafka_user_id","type":"string","optional":true,"parameters":{{"io.confluent.connect.protobuf.Tag":"1"}}}},
                    {{"field":"other_user_id","type":"int32","optional":true,"parameters":{{"io.confluent.connect.protobuf.Tag":"2"}}}},
                    {{"field":"another_id","type":"struct","name":"MessageId","optional":true,"fields":[
                        {{"field":"id","type":"string","optional":true,"parameters":{{"io.confluent.connect.protobuf.Tag":"1"}}}}],
                        "parameters":{{"io.confluent.connect.protobuf.Tag":"3"}}}}]}}],
                "parameters":{{"io.confluent.connect.protobuf.Tag":"1"}}}},
            {{"field":"is_active","type":"boolean","optional":true,"parameters":{{"io.confluent.connect.protobuf.Tag":"2"}}}},
            {{"field":"experiments_active","type":"array","optional":true,"items":{{"type":"string","optional":true}},
                "parameters":{{"io.confluent.connect.protobuf.Tag":"3"}}}},
            {{"field":"updated_at","type":"int64","name":"org.apache.kafka.connect.data.Timestamp","version":1,"optional":true,
                "parameters":{{"io.confluent.connect.protobuf.Tag":"4"}}}},
            {{"field":"status","type":"{status_type}","name":"Status","optional":true,"parameters":{{
                "io.confluent.connect.protobuf.Tag":"5","io.confluent.connect.protobuf.Enum":"Status",
                "io.confluent.connect.protobuf.Enum.ACTIVE":"0","io.confluent.connect.protobuf.Enum.INACTIVE":"1"}}}},
            {COMPLEX_TYPE},
            {{"field":"map_type","type":"map","name":"map_type","optional":true,
                "keys":{{"type":"string","optional":true,"parameters":{{"io.confluent.connect.protobuf.Tag":"1"}}}},
                "values":{{"type":"string","optional":true,"parameters":{{"io.confluent.connect.protobuf.Tag":"2"}}}},
                "parameters":{{"io.confluent.connect.protobuf.Tag":"7"}}}},
            {{"field":"inner","type":"struct","name":"InnerMessage","optional":true,"fields":[
                {{"field":"id","type":"string","optional":true,"parameters":{{"io.confluent.connect.protobuf.Tag":"1"}}}},
                {{"field":"ids","type":"array","optional":true,"items":{{"type":"int32","optional":true}},
                    "parameters":{{"io.confluent.connect.protobuf.Tag":"2"}}}}],
                "parameters":{{"io.confluent.connect.protobuf.Tag":"8"}}}}]}}"#
        )
    }

    const NESTED: &str = "io.confluent.kafka.serializers.protobuf.test.NestedMessage";

    const NESTED_VALUE: &str = r#"user_id { kafka_user_id: "my_user" } is_active: true
        experiments_active: "first experiment" experiments_active: "second experiment"
        status: INACTIVE inner { id: "" } updated_at { seconds: 1505692800 }
        map_type { key: "Hello" value: "World" }"#;

    /// `testToConnectDataWithNestedProtobufMessageAndStringUserId`.
    #[test]
    fn nested_message_with_a_string_user_id() {
        let c = compiled(NESTED_TEST_PROTO, &[]);
        let config = ProtobufDataConfig::default();
        let b = body(&c, NESTED, NESTED_VALUE);
        let (field, array, errors) = decode_rows(&c, &config, &[Some(&b)]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_schema_eq(&field, &expected_field(&nested_message_schema(false)));
        assert_eq!(
            json_rows(&array),
            [
                r#"{"user_id":{"user_id_0":{"kafka_user_id":"my_user"}},"is_active":true,"experiments_active":["first experiment","second experiment"],"updated_at":"2017-09-18T00:00:00","status":"INACTIVE","map_type":{"Hello":"World"},"inner":{"id":"","ids":[]}}"#
            ]
        );
    }

    /// `testToConnectDataWithNestedProtobufMessageAndIntUserIdWithIntEnums`.
    #[test]
    fn nested_message_with_an_int_user_id_and_int_enums() {
        let c = compiled(NESTED_TEST_PROTO, &[]);
        let config = ProtobufDataConfig {
            int_for_enums: true,
            ..Default::default()
        };
        let b = body(&c, NESTED, "user_id { other_user_id: 5 } status: INACTIVE");
        let (field, array, errors) = decode_rows(&c, &config, &[Some(&b)]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_schema_eq(&field, &expected_field(&nested_message_schema(true)));
        assert_eq!(
            json_rows(&array),
            [
                r#"{"user_id":{"user_id_0":{"other_user_id":5}},"is_active":false,"experiments_active":[],"status":1,"map_type":{}}"#
            ]
        );
    }

    /// `testToConnectDataWithEmptyNestedProtobufMessage`: proto3 scalars read as their
    /// defaults, messages as null, repeated fields and maps as empty.
    #[test]
    fn empty_nested_message() {
        let c = compiled(NESTED_TEST_PROTO, &[]);
        let b = body(&c, NESTED, "");
        // NestedMessage is the fourth message: indexes [3] (count 1, then 3, zig-zag).
        assert_eq!(b, [2, 6]);
        let (_, array, errors) = decode_rows(&c, &ProtobufDataConfig::default(), &[Some(&b)]);
        assert!(errors.is_empty());
        assert_eq!(
            json_rows(&array),
            [r#"{"is_active":false,"experiments_active":[],"status":"ACTIVE","map_type":{}}"#]
        );
    }

    /// `testToConnectDataDefaultOneOfCannotHaveTwoOneOfsSet`: the member set last wins.
    #[test]
    fn the_oneof_member_set_last_wins() {
        let c = compiled(NESTED_TEST_PROTO, &[]);
        let m = message(
            &c,
            "io.confluent.kafka.serializers.protobuf.test.ComplexType",
        );
        // other_id (2) then one_id (1) on the wire: one_id is the value.
        let mut b = Vec::new();
        write_message_indexes(&c.indexes_of(&m).unwrap(), &mut b);
        b.extend_from_slice(&[0x10, 0x05, 0x0a, 0x01, b'x']);
        let (_, array, errors) = decode_rows(&c, &ProtobufDataConfig::default(), &[Some(&b)]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            json_rows(&array),
            [r#"{"some_val_0":{"one_id":"x"},"is_active":false}"#]
        );
    }

    /// `testToConnectEnumUnionWithString` and `testToConnectEnumUnionWithStringWithoutIndex`:
    /// an enum in a oneof, the enum from a referenced file.
    #[test]
    fn enum_union_from_a_referenced_schema() {
        let enum_union = r#"syntax = "proto3";
import "NestedTestProto.proto";
package io.confluent.kafka.serializers.protobuf.test;
message EnumUnion {
    oneof some_val {
        string one_id = 1;
        int32 other_id = 2;
        Status some_status = 3;
    }
    Status status = 4;
}
"#;
        let c = compiled(enum_union, &[("NestedTestProto.proto", NESTED_TEST_PROTO)]);
        let status = |tag: u32| {
            format!(
                r#"{{"type":"string","name":"Status","optional":true,"parameters":{{"io.confluent.connect.protobuf.Tag":"{tag}","io.confluent.connect.protobuf.Enum":"Status","io.confluent.connect.protobuf.Enum.ACTIVE":"0","io.confluent.connect.protobuf.Enum.INACTIVE":"1"}}}}"#
            )
        };
        for (index, union_field) in [(true, "some_val_0"), (false, "some_val")] {
            let config = ProtobufDataConfig {
                generate_index_for_unions: index,
                ..Default::default()
            };
            let b = body(
                &c,
                "io.confluent.kafka.serializers.protobuf.test.EnumUnion",
                r#"one_id: "ID" status: INACTIVE"#,
            );
            let (field, array, errors) = decode_rows(&c, &config, &[Some(&b)]);
            assert!(errors.is_empty(), "{errors:?}");
            let expected = format!(
                r#"{{"type":"struct","name":"EnumUnion","optional":false,"fields":[
                {{"field":"{union_field}","type":"struct","name":"io.confluent.connect.protobuf.Union.some_val","optional":true,"fields":[
                    {{"field":"one_id","type":"string","optional":true,"parameters":{{"io.confluent.connect.protobuf.Tag":"1"}}}},
                    {{"field":"other_id","type":"int32","optional":true,"parameters":{{"io.confluent.connect.protobuf.Tag":"2"}}}},
                    {s3}]}},
                {s4}]}}"#,
                s3 = status(3).replacen('{', r#"{"field":"some_status","#, 1),
                s4 = status(4).replacen('{', r#"{"field":"status","#, 1),
            );
            assert_schema_eq(&field, &expected_field(&expected));
            assert_eq!(
                json_rows(&array),
                [format!(
                    r#"{{"{union_field}":{{"one_id":"ID"}},"status":"INACTIVE"}}"#
                )]
            );
        }
    }

    /// `testToConnectInt32StructWithSint32`, `testToConnectInt32StructWithUInt32`,
    /// `testToConnectSInt64Struct` and `testRoundTripConnectUInt32Fixed32`: the signed and
    /// fixed types keep their Protobuf type in a parameter; uint32 is unsigned in INT64.
    #[test]
    fn signed_unsigned_and_fixed_integers() {
        let text = r#"syntax = "proto3";
message M {
  sint32 a = 1; uint32 b = 2; sint64 c = 3; fixed32 d = 4; sfixed64 e = 5; uint64 f = 6;
}"#;
        let c = compiled(text, &[]);
        let b = body(
            &c,
            "M",
            "a: -12 b: 4294967295 c: -5 d: 4000000000 e: -7 f: 18446744073709551615",
        );
        let (field, array, errors) = decode_rows(&c, &ProtobufDataConfig::default(), &[Some(&b)]);
        assert!(errors.is_empty());
        let f = |name: &str, ty: &str, tag: u32, proto: &str| {
            format!(
                r#"{{"field":"{name}","type":"{ty}","optional":true,"parameters":{{"io.confluent.connect.protobuf.Type":"{proto}","io.confluent.connect.protobuf.Tag":"{tag}"}}}}"#
            )
        };
        let expected = format!(
            r#"{{"type":"struct","name":"M","optional":false,"fields":[{},{},{},{},{},{}]}}"#,
            f("a", "int32", 1, "sint32"),
            f("b", "int64", 2, "uint32"),
            f("c", "int64", 3, "sint64"),
            f("d", "int64", 4, "fixed32"),
            f("e", "int64", 5, "sfixed64"),
            f("f", "int64", 6, "uint64"),
        );
        assert_schema_eq(&field, &expected_field(&expected));
        assert_eq!(
            json_rows(&array),
            [r#"{"a":-12,"b":4294967295,"c":-5,"d":4000000000,"e":-7,"f":-1}"#]
        );
        // Connect -> Protobuf keeps each type (testRoundTripConnectPreserveSignedAndFixed).
        let text = from_connect_schema(&field, &ProtobufDataConfig::default()).unwrap();
        for decl in [
            "sint32 a = 1;",
            "uint32 b = 2;",
            "sint64 c = 3;",
            "fixed32 d = 4;",
            "sfixed64 e = 5;",
            "uint64 f = 6;",
        ] {
            assert!(text.schema.contains(decl), "{decl} in {}", text.schema);
        }
    }

    /// `testToConnectDecimal`, `testToConnectDate`, `testToConnectTime` and
    /// `testToConnectTimestamp`.
    #[test]
    fn logical_types() {
        let text = r#"syntax = "proto3";
import "confluent/meta.proto";
import "confluent/type/decimal.proto";
import "google/type/date.proto";
import "google/type/timeofday.proto";
import "google/protobuf/timestamp.proto";
message L {
  confluent.type.Decimal d = 1 [(confluent.field_meta) = { params: [ { key: "precision", value: "8" }, { key: "scale", value: "3" } ] }];
  google.type.Date day = 2;
  google.type.TimeOfDay time = 3;
  google.protobuf.Timestamp ts = 4;
}"#;
        let c = compiled(text, &[]);
        // 12345678 unscaled = 0x00bc614e (`BigInteger.toByteArray`).
        let b = body(
            &c,
            "L",
            r#"d { value: "\x00\xbc\x61\x4e" precision: 8 scale: 3 } day { year: 2017 month: 12 day: 31 }
               time { hours: 11 minutes: 12 seconds: 13 nanos: 14000000 } ts { seconds: 1514678400 }"#,
        );
        let (field, array, errors) = decode_rows(&c, &ProtobufDataConfig::default(), &[Some(&b)]);
        assert!(errors.is_empty(), "{errors:?}");
        let expected = r#"{"type":"struct","name":"L","optional":false,"fields":[
            {"field":"d","type":"bytes","name":"org.apache.kafka.connect.data.Decimal","version":1,"optional":true,
             "parameters":{"scale":"3","connect.decimal.precision":"8","io.confluent.connect.protobuf.Tag":"1"}},
            {"field":"day","type":"int32","name":"org.apache.kafka.connect.data.Date","version":1,"optional":true,
             "parameters":{"io.confluent.connect.protobuf.Tag":"2"}},
            {"field":"time","type":"int32","name":"org.apache.kafka.connect.data.Time","version":1,"optional":true,
             "parameters":{"io.confluent.connect.protobuf.Tag":"3"}},
            {"field":"ts","type":"int64","name":"org.apache.kafka.connect.data.Timestamp","version":1,"optional":true,
             "parameters":{"io.confluent.connect.protobuf.Tag":"4"}}]}"#;
        assert_schema_eq(&field, &expected_field(expected));
        let st = array.as_any().downcast_ref::<StructArray>().unwrap();
        use arrow::array::AsArray;
        use arrow::datatypes::*;
        assert_eq!(
            st.column(0).as_primitive::<Decimal128Type>().value(0),
            12_345_678
        );
        // 2017-12-31 is day 17531 since the epoch.
        assert_eq!(st.column(1).as_primitive::<Date32Type>().value(0), 17_531);
        assert_eq!(
            st.column(2)
                .as_primitive::<Time32MillisecondType>()
                .value(0),
            ((11 * 60 + 12) * 60 + 13) * 1000 + 14
        );
        assert_eq!(
            st.column(3)
                .as_primitive::<TimestampMillisecondType>()
                .value(0),
            1_514_678_400_000
        );
        // And back: the same logical types, the Decimal's precision and scale as field meta.
        let text = from_connect_schema(&field, &ProtobufDataConfig::default()).unwrap();
        let again = compile(&text).unwrap();
        let back = to_connect_schema(
            &again.message(&[0]).unwrap(),
            &ProtobufDataConfig::default(),
            None,
        )
        .unwrap();
        assert_eq!(back, field, "{}", text.schema);
        let (bodies, errors) =
            encode::encode(&field, &text, &array, &ProtobufDataConfig::default()).unwrap();
        assert!(errors.is_empty());
        let row = bodies[0].as_deref().unwrap();
        let mut d = ProtobufDecoder::new(again, &ProtobufDataConfig::default(), None).unwrap();
        let (round, errors) = d.decode(&[Some(row)]).unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(json_rows(&round), json_rows(&array));
    }

    /// `testFromConnectEnumUnionWithString` and `testFromConnectDataWithNestedProtobufMessage*`:
    /// Connect -> Protobuf -> Connect keeps enums (declared in the message), oneofs, nested
    /// messages, repeated fields, maps and Timestamps, and the values written read back.
    #[test]
    fn connect_to_protobuf_and_back() {
        let c = compiled(NESTED_TEST_PROTO, &[]);
        let b = body(&c, NESTED, NESTED_VALUE);
        let config = ProtobufDataConfig::default();
        let (field, array, _) = decode_rows(&c, &config, &[Some(&b), None]);
        let text = from_connect_schema(&field, &config).unwrap();
        assert!(text.schema.contains("oneof user_id {"), "{}", text.schema);
        assert!(text.schema.contains("enum Status {"), "{}", text.schema);
        assert!(
            text.schema.contains("map<string, string> map_type = 7;"),
            "{}",
            text.schema
        );
        let again = compile(&text).unwrap();
        let back = to_connect_schema(&again.message(&[0]).unwrap(), &config, None).unwrap();
        assert_schema_eq(&back, &field);
        let (bodies, errors) = encode::encode(&field, &text, &array, &config).unwrap();
        assert!(errors.is_empty());
        assert!(bodies[1].is_none(), "a null row is a tombstone");
        let rows: Vec<Option<&[u8]>> = bodies.iter().map(|b| b.as_deref()).collect();
        let mut d = ProtobufDecoder::new(again, &config, None).unwrap();
        let (round, errors) = d.decode(&rows).unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(json_rows(&round), json_rows(&array));
    }

    /// `testToConnectOptionalProto2` and `testToConnectOptionalProto2Disabled`
    /// (`keyvalueproto2.proto`).
    #[test]
    fn proto2_optionals() {
        let text = r#"syntax = "proto2";
package io.confluent.connect.protobuf.test;
message KeyValueMessage2 {
  required int32 key = 1;
  optional string value = 2;
}"#;
        let c = compiled(text, &[]);
        let b = body(
            &c,
            "io.confluent.connect.protobuf.test.KeyValueMessage2",
            "key: 123",
        );
        let (_, array, _) = decode_rows(&c, &ProtobufDataConfig::default(), &[Some(&b)]);
        assert_eq!(json_rows(&array), [r#"{"key":123}"#]);
        let config = ProtobufDataConfig {
            optional_for_proto2: false,
            ..Default::default()
        };
        let (_, array, _) = decode_rows(&c, &config, &[Some(&b)]);
        assert_eq!(json_rows(&array), [r#"{"key":123,"value":""}"#]);
    }

    /// `ProtobufSchema.toProtoFile`: a base64 `FileDescriptorProto` (as confluent-kafka's
    /// Python serializer registers schemas) is a schema too.
    #[test]
    fn a_base64_file_descriptor_is_a_schema() {
        use base64::Engine as _;
        let c = compiled(NESTED_TEST_PROTO, &[]);
        let mut proto = c.file.file_descriptor_proto().clone();
        proto.name = Some("whatever.proto".into());
        let text = base64::engine::general_purpose::STANDARD.encode(proto.encode_to_vec());
        let schema = ResolvedSchema::plain(text);
        assert_eq!(
            first_message_name(&schema).as_deref(),
            Some("io.confluent.kafka.serializers.protobuf.test.UserId")
        );
        let again = compile(&schema).unwrap();
        let b = body(&c, NESTED, NESTED_VALUE);
        let (_, expected, _) = decode_rows(&c, &ProtobufDataConfig::default(), &[Some(&b)]);
        let mut d = ProtobufDecoder::new(again, &ProtobufDataConfig::default(), None).unwrap();
        let (array, errors) = d.decode(&[Some(&b)]).unwrap();
        assert!(errors.is_empty());
        assert_eq!(json_rows(&array), json_rows(&expected));
        assert!(compile(&ResolvedSchema::plain("not a schema")).is_err());
    }

    #[test]
    fn record_names_of_text_whose_imports_are_not_at_hand() {
        let text = "// c\nsyntax = \"proto3\";\n/* block */ package a.b;\nimport \"other.proto\";\n\
                    enum E { X = 0; }\nmessage First { other.T t = 1; message Inner {} }\nmessage Second {}";
        assert_eq!(
            first_message_name(&ResolvedSchema::plain(text)).as_deref(),
            Some("a.b.First")
        );
        // Java's `name()`: no message, then the first enum.
        assert_eq!(
            first_message_name(&ResolvedSchema::plain(
                "syntax = \"proto3\";\nenum E { X = 0; }"
            ))
            .as_deref(),
            Some("E")
        );
        assert_eq!(first_message_in_text("enum E { X = 0; }"), None);
    }

    /// protobuf-java's map fields: a key met twice keeps its last value.
    #[test]
    fn a_map_key_met_twice_keeps_its_last_value() {
        let c = compiled(NESTED_TEST_PROTO, &[]);
        // NestedMessage ([3]), field 7 three times: a=1, b=2, a=3.
        let mut b = vec![2, 6];
        for (k, v) in [(b'a', b'1'), (b'b', b'2'), (b'a', b'3')] {
            b.extend_from_slice(&[0x3a, 6, 0x0a, 1, k, 0x12, 1, v]);
        }
        let (_, array, errors) = decode_rows(&c, &ProtobufDataConfig::default(), &[Some(&b)]);
        assert!(errors.is_empty());
        let row = &json_rows(&array)[0];
        assert!(row.contains(r#""map_type":{"b":"2","a":"3"}"#), "{row}");
    }

    /// protobuf-java's enums: an undeclared number is `UNKNOWN_ENUM_VALUE_<Enum>_<n>` in an
    /// open (proto3) enum and an unknown field in a closed (proto2) one.
    #[test]
    fn undeclared_enum_numbers() {
        let open = compiled(
            "syntax = \"proto3\";\nenum E { A = 0; B = 1; }\nmessage M { E e = 1; repeated E es = 2; }",
            &[],
        );
        // e = 7, es = [1, 9] packed.
        let body = [0, 0x08, 7, 0x12, 2, 1, 9];
        let (_, array, errors) = decode_rows(&open, &ProtobufDataConfig::default(), &[Some(&body)]);
        assert!(errors.is_empty());
        assert_eq!(
            json_rows(&array),
            [r#"{"e":"UNKNOWN_ENUM_VALUE_E_7","es":["B","UNKNOWN_ENUM_VALUE_E_9"]}"#]
        );
        let closed = compiled(
            "syntax = \"proto2\";\nenum E { A = 0; B = 1; }\nmessage M { optional E e = 1; repeated E es = 2; }",
            &[],
        );
        // e = 1 then e = 7 (dropped: e stays B), es = [1, 9] packed (9 dropped).
        let body = [0, 0x08, 1, 0x08, 7, 0x12, 2, 1, 9];
        let (_, array, errors) =
            decode_rows(&closed, &ProtobufDataConfig::default(), &[Some(&body)]);
        assert!(errors.is_empty());
        assert_eq!(json_rows(&array), [r#"{"e":"B","es":["B"]}"#]);
    }

    /// `testToConnectRecursiveSchema`: Java builds a cyclic Connect schema; Strait refuses it.
    #[test]
    fn recursive_messages_are_refused() {
        let c = compiled(
            "syntax = \"proto3\";\nmessage R { R next = 1; int32 v = 2; }",
            &[],
        );
        let err = ProtobufDecoder::new(c, &ProtobufDataConfig::default(), None).unwrap_err();
        assert!(err.message().contains("recursive"), "{err}");
    }

    /// `testFromConnectInt8Struct`, `testFromConnectInt16Struct` and the `ConnectDefault`
    /// naming of `testFromConnectComplex`: INT8/INT16 go as int32 with `connect.type` meta,
    /// unnamed structs are `ConnectDefault1`, `ConnectDefault2`, …, tags count from 1.
    #[test]
    fn from_connect_names_and_narrow_integers() {
        let field = expected_field(
            r#"{"type":"struct","optional":false,"fields":[
            {"field":"a","type":"int8","optional":false},
            {"field":"b","type":"int16","optional":true},
            {"field":"inner","type":"struct","optional":true,"fields":[{"field":"x","type":"string","optional":true}]},
            {"field":"tags","type":"array","optional":true,"items":{"type":"double","optional":false}},
            {"field":"attrs","type":"map","optional":true,"keys":{"type":"string","optional":false},"values":{"type":"int64","optional":true}}]}"#,
        );
        let text = from_connect_schema(&field, &ProtobufDataConfig::default())
            .unwrap()
            .schema;
        assert_eq!(
            text,
            r#"syntax = "proto3";

import "confluent/meta.proto";

message ConnectDefault1 {
  int32 a = 1 [(confluent.field_meta) = {params: [{key: "connect.type", value: "int8"}]}];
  int32 b = 2 [(confluent.field_meta) = {params: [{key: "connect.type", value: "int16"}]}];
  ConnectDefault2 inner = 3;
  repeated double tags = 4;
  map<string, int64> attrs = 5;
  message ConnectDefault2 {
    string x = 1;
  }
}
"#
        );
        let c = compile(&ResolvedSchema::plain(text.clone())).unwrap();
        assert_eq!(
            first_message_name(&ResolvedSchema::plain(text)).as_deref(),
            Some("ConnectDefault1")
        );
        let back = to_connect_schema(
            &c.message(&[0]).unwrap(),
            &ProtobufDataConfig::default(),
            None,
        )
        .unwrap();
        // Every field comes back optional with its tag; INT8/INT16 keep their type.
        assert_eq!(
            back,
            expected_field(
                r#"{"type":"struct","name":"ConnectDefault1","optional":false,"fields":[
                {"field":"a","type":"int8","optional":true,"parameters":{"io.confluent.connect.protobuf.Tag":"1"}},
                {"field":"b","type":"int16","optional":true,"parameters":{"io.confluent.connect.protobuf.Tag":"2"}},
                {"field":"inner","type":"struct","name":"ConnectDefault2","optional":true,"fields":[
                    {"field":"x","type":"string","optional":true,"parameters":{"io.confluent.connect.protobuf.Tag":"1"}}],
                    "parameters":{"io.confluent.connect.protobuf.Tag":"3"}},
                {"field":"tags","type":"array","optional":true,"items":{"type":"double","optional":true},
                    "parameters":{"io.confluent.connect.protobuf.Tag":"4"}},
                {"field":"attrs","type":"map","name":"attrs","optional":true,
                    "keys":{"type":"string","optional":true,"parameters":{"io.confluent.connect.protobuf.Tag":"1"}},
                    "values":{"type":"int64","optional":true,"parameters":{"io.confluent.connect.protobuf.Tag":"2"}},
                    "parameters":{"io.confluent.connect.protobuf.Tag":"5"}}]}"#
            )
        );
    }

    /// `testFromConnectNameCollision`: a struct named like its field gets `Message` appended.
    #[test]
    fn from_connect_name_collision() {
        let field = expected_field(
            r#"{"type":"struct","name":"a.b.Outer","optional":false,"fields":[
            {"field":"inner","type":"struct","name":"inner","optional":true,"fields":[{"field":"x","type":"int32","optional":true}]}]}"#,
        );
        let text = from_connect_schema(&field, &ProtobufDataConfig::default())
            .unwrap()
            .schema;
        assert!(text.contains("package a.b;"), "{text}");
        assert!(text.contains("innerMessage inner = 1;"), "{text}");
        assert!(text.contains("message innerMessage {"), "{text}");
    }

    #[test]
    fn message_indexes_round_trip_and_nested_messages_decode() {
        for indexes in [vec![0], vec![1], vec![3, 0, 2], vec![-1]] {
            let mut out = Vec::new();
            write_message_indexes(&indexes, &mut out);
            assert_eq!(read_message_indexes(&out).unwrap(), (indexes, out.len()));
        }
        // MessageIndexes: [1, 0] is count 2 then 1, 0 (zig-zag: 4, 2, 0).
        let mut out = Vec::new();
        write_message_indexes(&[1, 0], &mut out);
        assert_eq!(out, [4, 2, 0]);
        assert!(read_message_indexes(&[0x80]).is_err());
        // NestedMessage.InnerMessage is [3, 0]: the run decodes it, not the first message.
        let c = compiled(NESTED_TEST_PROTO, &[]);
        let name = "io.confluent.kafka.serializers.protobuf.test.NestedMessage.InnerMessage";
        // Its map field's entry message is not counted: Confluent numbers the messages of the
        // .proto text, where `map<>` declares none.
        assert_eq!(c.indexes_of(&message(&c, name)).unwrap(), [3, 0]);
        let inner = body(&c, name, r#"id: "i" ids: 1 ids: 2"#);
        let other = body(&c, NESTED, "is_active: true");
        let (field, array, errors) = decode_rows(
            &c,
            &ProtobufDataConfig::default(),
            &[Some(&inner), Some(&other), None],
        );
        assert_eq!(schema_name(&field), Some("InnerMessage"));
        assert_eq!(json_rows(&array)[0], r#"{"id":"i","ids":[1,2]}"#);
        assert_eq!(
            errors.len(),
            1,
            "another message than the run's is a row error"
        );
        assert_eq!(errors[0].row, 1);
        assert!(array.is_null(1) && array.is_null(2));
    }

    fn schema_name(field: &Field) -> Option<&str> {
        strait_engine::schema::schema_name(field)
    }

    #[test]
    fn malformed_bodies_are_row_errors() {
        let c = compiled(NESTED_TEST_PROTO, &[]);
        let good = body(&c, NESTED, NESTED_VALUE);
        let mut rows: Vec<Vec<u8>> = vec![
            vec![],
            vec![0, 0x0a, 0x05, b'a'],       // length past the end
            vec![0, 0x80],                   // truncated key
            vec![0, 0x1a, 0x02, 0xff, 0xfe], // invalid UTF-8 in a string
            vec![0, 0x0f],                   // wire type 7
            vec![2, 0x7f],                   // indexes naming no message
        ];
        for cut in 1..good.len() {
            rows.push(good[..cut].to_vec());
        }
        let bodies: Vec<Option<&[u8]>> = std::iter::once(Some(good.as_slice()))
            .chain(rows.iter().map(|r| Some(r.as_slice())))
            .collect();
        let (_, array, errors) = decode_rows(&c, &ProtobufDataConfig::default(), &bodies);
        assert_eq!(array.len(), bodies.len());
        assert!(!array.is_null(0));
        for r in 1..=6 {
            assert!(errors.iter().any(|e| e.row == r), "row {r}: {errors:?}");
        }
        for e in &errors {
            assert!(array.is_null(e.row));
        }
    }

    #[test]
    fn unsupported_settings_are_refused() {
        let config = ProtobufDataConfig {
            flatten_unions: true,
            wrapper_for_nullables: true,
            ..Default::default()
        };
        let err = config.refuse_unsupported().unwrap_err();
        assert!(err.message().contains("wrapper.for.nullables"), "{err}");
        assert!(err.message().contains("flatten.unions"), "{err}");
        assert_eq!(
            ProtobufDataConfig::parse(&Default::default())
                .unwrap()
                .optional_for_proto2,
            ProtobufDataConfig::default().optional_for_proto2
        );
    }

    /// `wrapper.for.raw.primitives` (Java's default): a root `google.protobuf.StringValue` is
    /// a STRING.
    #[test]
    fn a_root_wrapper_is_its_primitive() {
        let c = compiled(
            "syntax = \"proto3\";\nimport \"google/protobuf/wrappers.proto\";\nmessage Unused { int32 x = 1; }",
            &[],
        );
        let m = c
            .pool
            .get_message_by_name("google.protobuf.StringValue")
            .unwrap();
        let f = to_connect_schema(&m, &ProtobufDataConfig::default(), Some(3)).unwrap();
        assert_eq!(f.data_type(), &arrow::datatypes::DataType::Utf8);
        assert_eq!(
            f.metadata()
                .get(strait_engine::schema::VERSION)
                .map(String::as_str),
            Some("3")
        );
    }
}
