//! The S3 sink's configuration: every key of Confluent's `S3SinkConnectorConfig.getConfig()`
//! (storage-common's `StorageSinkConnectorConfig` Connector and Schema groups, `parquet.codec`,
//! the S3 and "Keys and Headers" groups, then `StorageCommonConfig` and `PartitionerConfig`),
//! in Confluent's order, groups, types, defaults, validators, importance, documentation and
//! display names, plus the typed settings the task, the partitioners and the file formats read.
//!
//! Cross-key rules are Confluent's (`S3SinkConnectorConfig`'s constructor,
//! `S3SinkConnectorValidator`, storage-common's `FieldPartitionerValidator`), with their messages.
//!
//! Where Strait differs from Confluent:
//! - `storage.class` defaults to `io.confluent.connect.s3.storage.S3Storage` (Confluent requires
//!   it) so the seed configs, which leave it out, work unchanged; any other class is rejected.
//! - A key whose value Strait cannot honour yet is rejected at parse and by `validate` (on that
//!   key), naming the key, instead of being silently ignored: `s3.wan.mode=true`, `s3.proxy.*`,
//!   `s3.object.tagging=true`, `s3.acl.canned` (object_store cannot send `x-amz-acl`), a
//!   credentials provider other than the default chain, `s3.send.digest=true` (object_store
//!   cannot send `Content-MD5`), `s3.schema.partition.affix.type` other than `NONE`,
//!   `schema.compatibility` BACKWARD/FORWARD/FULL (projection needs versioned schemas, i.e. a
//!   schema registry), `parquet.codec=lzo` (no LZO in the Rust parquet crate), custom
//!   partitioner, format and timestamp-extractor classes, `partitioner.max.open.files` other
//!   than -1, and `headers.format.class` ByteArrayFormat
//!   while `store.kafka.headers=true` (Confluent accepts it and fails at run time).
//! - The cross-key checks Confluent makes only in REST validation (compression vs. format,
//!   tombstones need keys, accelerate vs. path style, FieldPartitioner needs a field) also make
//!   [`S3SinkConfig::from_props`] fail, so a task never starts with them; the timezone rule of
//!   Confluent's constructor is also reported by [`S3SinkConfig::validate`] (Confluent's REST
//!   validation swallows it and the task fails at start).
//! - `s3.http.send.expect.continue`, `s3.elastic.buffer.*`, `schema.cache.size`,
//!   `enhanced.avro.schema.support`, `connect.meta.data`, `allow.optional.map.keys` and the
//!   internal `max.files.scan.limit` are accepted and typed;
//!   they tune Java's client, buffers and AvroData and change no output that Strait writes
//!   differently.
//! - `s3.region` accepts any non-blank region id (the AWS SDK's `Region.of` does too; its
//!   recommender list is not reproduced).

use strait_engine::config::{ConfigValue, CustomValidator, Props, Validator, Value};
use strait_engine::declare_config;
use strait_engine::error::{Error, Result};
use strait_formats::storage::{FormatKind, FormatSettings};

use crate::s3::partitioner::PartitionerSettings;

/// The only storage class (Confluent's `S3Storage`).
pub const S3_STORAGE_CLASS: &str = "io.confluent.connect.s3.storage.S3Storage";
/// Confluent's format classes.
pub const PARQUET_FORMAT_CLASS: &str = "io.confluent.connect.s3.format.parquet.ParquetFormat";
pub const AVRO_FORMAT_CLASS: &str = "io.confluent.connect.s3.format.avro.AvroFormat";
pub const JSON_FORMAT_CLASS: &str = "io.confluent.connect.s3.format.json.JsonFormat";
pub const BYTEARRAY_FORMAT_CLASS: &str = "io.confluent.connect.s3.format.bytearray.ByteArrayFormat";
/// AWS SDK v2's default credential chain (the default of `s3.credentials.provider.class`).
pub const DEFAULT_CREDENTIALS_PROVIDER: &str =
    "software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider";
/// storage-common's partitioners.
pub const DEFAULT_PARTITIONER: &str = "io.confluent.connect.storage.partitioner.DefaultPartitioner";
pub const FIELD_PARTITIONER: &str = "io.confluent.connect.storage.partitioner.FieldPartitioner";
pub const TIME_BASED_PARTITIONER: &str =
    "io.confluent.connect.storage.partitioner.TimeBasedPartitioner";
pub const DAILY_PARTITIONER: &str = "io.confluent.connect.storage.partitioner.DailyPartitioner";
pub const HOURLY_PARTITIONER: &str = "io.confluent.connect.storage.partitioner.HourlyPartitioner";
const PARTITIONERS: &[&str] = &[
    DEFAULT_PARTITIONER,
    HOURLY_PARTITIONER,
    DAILY_PARTITIONER,
    TIME_BASED_PARTITIONER,
    FIELD_PARTITIONER,
];
const EXTRACTOR_PREFIX: &str = "io.confluent.connect.storage.partitioner.TimeBasedPartitioner$";

/// `behavior.on.null.values` (Confluent's `OutputWriteBehavior`, case-insensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NullValueBehavior {
    Ignore,
    Fail,
    Write,
}

/// `schema.compatibility` (storage-common's `StorageSchemaCompatibility.getCompatibility`: the
/// exact upper-case name, anything else is NONE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaCompatibility {
    None,
    Backward,
    Forward,
    Full,
}

impl SchemaCompatibility {
    fn of(name: &str) -> Self {
        match name {
            "BACKWARD" => Self::Backward,
            "FORWARD" => Self::Forward,
            "FULL" => Self::Full,
            _ => Self::None,
        }
    }
}

/// `s3.compression.type` (Confluent's `CompressionType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompressionType {
    None,
    Gzip,
}

impl CompressionType {
    /// Java's `CompressionType.extension`, appended to JSON and ByteArray file extensions.
    pub fn extension(self) -> &'static str {
        match self {
            CompressionType::None => "",
            CompressionType::Gzip => ".gz",
        }
    }
}

/// `s3.ssea.name` with the keys that go with it, resolved as Confluent's `S3OutputStream` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Encryption {
    /// No encryption header (also `aws:kms` without a key id, and `aws:kms:dsse`, for which
    /// Confluent sends nothing either).
    None,
    /// SSE-S3 (`AES256` without a customer key).
    SseS3,
    /// SSE-KMS with `s3.sse.kms.key.id`.
    SseKms(String),
    /// SSE-C: `AES256` with `s3.sse.customer.key` (base64 of the 256-bit key).
    SseC(String),
}

/// Java's `ConfigException(name, value, message)` text.
fn invalid(name: &str, value: impl std::fmt::Display, message: &str) -> Error {
    strait_engine::config::config_exception(name, value, message)
}

/// A value as Java prints it in a `ConfigException`.
fn show(value: &Value) -> String {
    value.java_text()
}

fn unsupported(name: &str, value: &Value, why: &str) -> Result<()> {
    Err(invalid(name, show(value), why))
}

// --- Confluent's validators -------------------------------------------------------------------

static PARQUET_CODEC_VALIDATOR: CustomValidator = CustomValidator {
    describe: "[none, gzip, snappy, lz4, brotli, lz4_raw, zstd, lzo]",
    check: |name, value| {
        let Value::Str(codec) = value else {
            return Ok(());
        };
        // Java's ALLOWED_VALUES: a HashMap's key order, reversed.
        const ALLOWED: &[&str] = &[
            "none", "gzip", "snappy", "lz4", "brotli", "lz4_raw", "zstd", "lzo",
        ];
        let codec = codec.trim();
        if !ALLOWED.contains(&codec) {
            return Err(invalid(
                name,
                codec,
                &format!("Value must be one of: [{}]", ALLOWED.join(", ")),
            ));
        }
        if codec == "lzo" {
            return unsupported(
                name,
                value,
                "Strait cannot write LZO-compressed Parquet (the Rust parquet writer has no LZO \
                 codec); use snappy, gzip, lz4, lz4_raw, zstd, brotli or none",
            );
        }
        Ok(())
    },
};

/// `IgnoreOrFailBehavior.VALIDATOR` / `OutputWriteBehavior.VALIDATOR`: lower-cased, then
/// `ValidString.in`.
fn enum_check(name: &str, value: &Value, allowed: &[&str]) -> Result<()> {
    if let Value::Str(s) = value {
        let lower = s.to_lowercase();
        if !allowed.contains(&lower.as_str()) {
            return Err(invalid(
                name,
                lower,
                &format!("String must be one of: {}", allowed.join(", ")),
            ));
        }
    }
    Ok(())
}

static TAGGING_ERROR_VALIDATOR: CustomValidator = CustomValidator {
    describe: "[ignore, fail]",
    check: |name, value| enum_check(name, value, &["ignore", "fail"]),
};

static NULL_VALUES_VALIDATOR: CustomValidator = CustomValidator {
    describe: "[ignore, fail, write]",
    check: |name, value| enum_check(name, value, &["ignore", "fail", "write"]),
};

static REGION_VALIDATOR: CustomValidator = CustomValidator {
    describe: "Any AWS region id",
    check: |name, value| match value {
        Value::Str(s) if s.trim().is_empty() => {
            Err(invalid(name, s, "region must not be blank or empty."))
        }
        _ => Ok(()),
    },
};

static PART_SIZE_VALIDATOR: CustomValidator = CustomValidator {
    describe: "[5242880,...,2147483647]",
    check: |name, value| match value {
        Value::Int(n) if i64::from(*n) < 5 * 1024 * 1024 => Err(invalid(
            name,
            n,
            "Part size must be at least: 5242880 bytes (5MB)",
        )),
        _ => Ok(()),
    },
};

static CREDENTIALS_PROVIDER_VALIDATOR: CustomValidator = CustomValidator {
    describe: "Any class implementing: interface software.amazon.awssdk.auth.credentials.AwsCredentialsProvider",
    check: |name, value| match value {
        Value::Class(c) if c != DEFAULT_CREDENTIALS_PROVIDER => unsupported(
            name,
            value,
            "Strait supports only the default AWS credential chain \
             (software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider: environment, \
             shared profile files, web identity, ECS/EKS container and EC2 instance credentials) \
             and static keys in aws.access.key.id / aws.secret.access.key",
        ),
        _ => Ok(()),
    },
};

/// `ObjectCannedACL.knownValues()`.
const CANNED_ACLS: &[&str] = &[
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "aws-exec-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
];

static CANNED_ACL_VALIDATOR: CustomValidator = CustomValidator {
    describe: "[[private, public-read, public-read-write, authenticated-read, aws-exec-read, bucket-owner-read, bucket-owner-full-control]]",
    check: |name, value| {
        let Value::Str(acl) = value else {
            return Ok(());
        };
        if !CANNED_ACLS.contains(&acl.trim()) {
            return Err(invalid(
                name,
                acl,
                &format!("Value must be one of: [{}]", CANNED_ACLS.join(", ")),
            ));
        }
        unsupported(
            name,
            value,
            "Strait cannot send canned ACLs yet (its object store client has no x-amz-acl \
             header); leave s3.acl.canned unset and use the bucket's ACL or policy",
        )
    },
};

static COMPRESSION_TYPE_VALIDATOR: CustomValidator = CustomValidator {
    describe: "[[none, gzip]]",
    check: |name, value| match value {
        Value::Str(s) if !matches!(s.trim(), "none" | "gzip") => {
            Err(invalid(name, s, "Value must be one of: [none, gzip]"))
        }
        _ => Ok(()),
    },
};

static WAN_MODE_VALIDATOR: CustomValidator = CustomValidator {
    describe: "false (Strait)",
    check: |name, value| match value {
        Value::Bool(true) => unsupported(
            name,
            value,
            "Strait does not support the S3 Transfer Acceleration endpoint yet",
        ),
        _ => Ok(()),
    },
};

static MAX_OPEN_FILES_VALIDATOR: CustomValidator = CustomValidator {
    describe: "-1 (Strait)",
    check: |name, value| match value {
        Value::Int(n) if *n != -1 => unsupported(
            name,
            value,
            "Strait does not rotate on a maximum number of open files yet; leave it at -1 \
             (unlimited) and bound memory with the worker's sink.buffer.memory.bytes",
        ),
        _ => Ok(()),
    },
};

static TAGGING_VALIDATOR: CustomValidator = CustomValidator {
    describe: "false (Strait)",
    check: |name, value| match value {
        Value::Bool(true) => unsupported(name, value, "Strait does not tag S3 objects yet"),
        _ => Ok(()),
    },
};

static SEND_DIGEST_VALIDATOR: CustomValidator = CustomValidator {
    describe: "false (Strait)",
    check: |name, value| match value {
        Value::Bool(true) => unsupported(
            name,
            value,
            "Strait cannot send Content-MD5 digests on uploads yet",
        ),
        _ => Ok(()),
    },
};

/// `s3.proxy.url` (empty = none), `s3.proxy.user` and `s3.proxy.password` (null = none).
static PROXY_VALIDATOR: CustomValidator = CustomValidator {
    describe: "unset (Strait)",
    check: |name, value| match value {
        Value::Str(s) | Value::Password(s) if s.trim().is_empty() => Ok(()),
        Value::Null => Ok(()),
        _ => unsupported(
            name,
            value,
            "Strait does not support an S3 proxy yet; leave the s3.proxy.* keys unset",
        ),
    },
};

static AFFIX_VALIDATOR: CustomValidator = CustomValidator {
    describe: "[SUFFIX, PREFIX, NONE]",
    check: |name, value| match value {
        Value::Str(s) if !["SUFFIX", "PREFIX", "NONE"].contains(&s.as_str()) => Err(invalid(
            name,
            s,
            "String must be one of: SUFFIX, PREFIX, NONE",
        )),
        Value::Str(s) if s != "NONE" => unsupported(
            name,
            value,
            "Strait does not put schema names into object paths yet; use NONE",
        ),
        _ => Ok(()),
    },
};

static SCHEMA_COMPATIBILITY_VALIDATOR: CustomValidator = CustomValidator {
    describe: "NONE (Strait; any unknown value is NONE)",
    check: |name, value| match value {
        Value::Str(s) if SchemaCompatibility::of(s) != SchemaCompatibility::None => unsupported(
            name,
            value,
            "Strait supports only NONE: projecting records to a newer or older schema needs \
             versioned schemas from a schema registry, which Strait does not read yet",
        ),
        _ => Ok(()),
    },
};

static STORAGE_CLASS_VALIDATOR: CustomValidator = CustomValidator {
    describe: "io.confluent.connect.s3.storage.S3Storage",
    check: |name, value| match value {
        Value::Class(c) if c != S3_STORAGE_CLASS => unsupported(
            name,
            value,
            "Strait supports only io.confluent.connect.s3.storage.S3Storage",
        ),
        _ => Ok(()),
    },
};

static PARTITIONER_CLASS_VALIDATOR: CustomValidator = CustomValidator {
    describe: "DefaultPartitioner, HourlyPartitioner, DailyPartitioner, TimeBasedPartitioner, FieldPartitioner",
    check: |name, value| match value {
        Value::Class(c) if !PARTITIONERS.contains(&c.as_str()) => unsupported(
            name,
            value,
            "Strait supports only storage-common's partitioners \
             (io.confluent.connect.storage.partitioner.DefaultPartitioner, HourlyPartitioner, \
             DailyPartitioner, TimeBasedPartitioner, FieldPartitioner); custom partitioner \
             classes are not supported",
        ),
        _ => Ok(()),
    },
};

/// storage-common's `PartitionFieldNameValidator`.
static PARTITION_FIELD_NAME_VALIDATOR: CustomValidator = CustomValidator {
    describe: "Validate partition field names is not null or empty",
    check: |name, value| {
        let Value::List(fields) = value else {
            return Ok(());
        };
        for field in fields {
            if field.trim().is_empty() {
                return Err(invalid(name, field, "Field name cannot be null or empty"));
            }
            // Java's String.split drops trailing empty strings.
            let segments: Vec<&str> = field.split('.').collect();
            let end = segments
                .iter()
                .rposition(|s| !s.is_empty())
                .map_or(0, |i| i + 1);
            if segments[..end].iter().any(|s| s.trim().is_empty()) {
                return Err(invalid(
                    name,
                    field,
                    "Field name cannot contain an empty or whitespace-only path segment",
                ));
            }
        }
        Ok(())
    },
};

/// storage-common's `TimezoneValidator`: Joda's `DateTimeZone.forID`.
static TIMEZONE_VALIDATOR: CustomValidator = CustomValidator {
    describe: "Any timezone accepted by: class org.joda.time.DateTimeZone",
    check: |name, value| {
        let Value::Str(tz) = value else {
            return Ok(());
        };
        let tz = tz.trim();
        if tz.is_empty() || joda_zone_known(tz) {
            return Ok(());
        }
        Err(invalid(
            name,
            tz,
            &format!("The datetime zone id '{tz}' is not recognised"),
        ))
    },
};

/// Whether Joda's `DateTimeZone.forID` accepts `id`: `UTC`, a tz database id, or a fixed offset
/// `[+-]hh`, `[+-]hh:mm`, `[+-]hhmm`, `[+-]hh:mm:ss[.SSS]`.
pub fn joda_zone_known(id: &str) -> bool {
    if id == "UTC" || id.parse::<chrono_tz::Tz>().is_ok() {
        return true;
    }
    let Some(rest) = id.strip_prefix(['+', '-']) else {
        return false;
    };
    let digits = |s: &str, max: u32| {
        s.len() == 2
            && s.bytes().all(|b| b.is_ascii_digit())
            && s.parse::<u32>().is_ok_and(|n| n <= max)
    };
    let parts: Vec<&str> = rest.split(':').collect();
    match parts.as_slice() {
        [h] if h.len() == 4 => digits(&h[..2], 23) && digits(&h[2..], 59),
        [h] => digits(h, 23),
        [h, m] => digits(h, 23) && digits(m, 59),
        [h, m, s] => {
            let (sec, frac) = s.split_once('.').unwrap_or((s, ""));
            digits(h, 23)
                && digits(m, 59)
                && digits(sec, 59)
                && frac.len() <= 3
                && frac.bytes().all(|b| b.is_ascii_digit())
        }
        _ => false,
    }
}

/// Java's `Class.forName` failure in `ConfigDef.parseType`, for a format class that is not one
/// of Confluent's four (Strait also takes their simple names).
fn format_kind(name: &str, class: &str) -> Result<FormatKind> {
    match class {
        PARQUET_FORMAT_CLASS | "ParquetFormat" => Ok(FormatKind::Parquet),
        AVRO_FORMAT_CLASS | "AvroFormat" => Ok(FormatKind::Avro),
        JSON_FORMAT_CLASS | "JsonFormat" => Ok(FormatKind::Json),
        BYTEARRAY_FORMAT_CLASS | "ByteArrayFormat" => Ok(FormatKind::ByteArray),
        _ => Err(invalid(
            name,
            class,
            &format!(
                "Class {class} could not be found. Strait supports \
                 io.confluent.connect.s3.format.{{parquet.ParquetFormat, avro.AvroFormat, \
                 json.JsonFormat, bytearray.ByteArrayFormat}}"
            ),
        )),
    }
}

fn class_name(kind: FormatKind) -> &'static str {
    match kind {
        FormatKind::Parquet => PARQUET_FORMAT_CLASS,
        FormatKind::Avro => AVRO_FORMAT_CLASS,
        FormatKind::Json => JSON_FORMAT_CLASS,
        FormatKind::ByteArray => BYTEARRAY_FORMAT_CLASS,
    }
}

declare_config! {
    /// Every key of Confluent's S3 sink (`S3SinkConnectorConfig.getConfig()`), parsed.
    /// [`S3SinkConfig::from_props`] adds the cross-key rules; the settings the partitioners and
    /// file formats take come from [`S3SinkConfig::partitioner_settings`] and
    /// [`S3SinkConfig::format_settings`].
    #[derive(Debug, Clone, PartialEq)]
    pub struct S3SinkConfig {
        // --- StorageSinkConnectorConfig: Connector group ---
        /// `format.class`: the value format.
        pub format: FormatKind {
            key: "format.class",
            ty: Class,
            default: required,
            importance: High,
            doc: "The format class to use when writing data to the store.",
            group: "Connector", order: 1,
            width: None,
            display: "Format class",
            try_map: |c: String| format_kind("format.class", &c),
        },
        /// `flush.size`.
        pub flush_size: i32 {
            key: "flush.size",
            ty: Int,
            default: required,
            importance: High,
            doc: "Number of records written to store before invoking file commits.",
            group: "Connector", order: 2,
            width: Long,
            display: "Flush Size",
        },
        /// `rotate.interval.ms` (-1 = off).
        pub rotate_interval_ms: i64 {
            key: "rotate.interval.ms",
            ty: Long,
            default: "-1",
            importance: High,
            doc: "The time interval in milliseconds to invoke file commits. You can configure this parameter so that the time interval is determined by using a timestamp extractor (for example, Kafka Record Time, Record Field, or Wall Clock extractor). When the first record is processed, a timestamp is set as the base time. This is useful if you require exactly-once-semantics. This configuration ensures that file commits are invoked at every configured interval. The default value ``-1`` indicates that this feature is disabled.",
            group: "Connector", order: 3,
            width: Medium,
            display: "Rotate Interval (ms)",
        },
        /// `rotate.schedule.interval.ms` (-1 = off).
        pub rotate_schedule_interval_ms: i64 {
            key: "rotate.schedule.interval.ms",
            ty: Long,
            default: "-1",
            importance: Medium,
            doc: "The time interval in milliseconds to periodically invoke file commits. This configuration ensures that file commits are invoked at every configured interval. Time of commit will be adjusted to 00:00 of selected timezone. The commit will be performed at the scheduled time, regardless of the previous commit time or number of messages. This configuration is useful when you have to commit your data based on current server time, for example at the beginning of every hour. The default value ``-1`` means that this feature is disabled.",
            group: "Connector", order: 4,
            width: Medium,
            display: "Rotate Schedule Interval (ms)",
        },
        /// `schema.cache.size` (AvroData).
        pub schema_cache_size: i32 {
            key: "schema.cache.size",
            ty: Int,
            default: "1000",
            importance: Low,
            doc: "The size of the schema cache used in the Avro converter.",
            group: "Connector", order: 5,
            width: Long,
            display: "Schema Cache Size",
        },
        /// `enhanced.avro.schema.support` (AvroData).
        pub enhanced_avro_schema_support: bool {
            key: "enhanced.avro.schema.support",
            ty: Boolean,
            default: "true",
            importance: Low,
            doc: "Enable enhanced avro schema support in AvroConverter: Enum symbol preservation and Package Name awareness",
            group: "Connector", order: 6,
            width: Short,
            display: "Enhanced Avro Support",
        },
        /// `connect.meta.data` (AvroData).
        pub connect_meta_data: bool {
            key: "connect.meta.data",
            ty: Boolean,
            default: "true",
            importance: Low,
            doc: "Allow connect converter to add its metadata to the output schema",
            group: "Connector", order: 7,
            width: Short,
            display: "Connect Metadata",
        },
        /// `retry.backoff.ms`: the back-off handed to the framework after a retriable failure.
        pub retry_backoff_ms: i64 {
            key: "retry.backoff.ms",
            ty: Long,
            default: "5000",
            importance: Low,
            doc: "The retry backoff in milliseconds. This config is used to notify Kafka connect to retry delivering a message batch or performing recovery in case of transient exceptions.",
            group: "Connector", order: 8,
            width: Medium,
            display: "Retry Backoff (ms)",
        },
        // shutdown.timeout.ms (order 9) is skipped by getConfig().
        /// `filename.offset.zero.pad.width`.
        pub filename_offset_zero_pad_width: i32 {
            key: "filename.offset.zero.pad.width",
            ty: Int,
            default: "10",
            validator: Validator::at_least(0.0),
            importance: Low,
            doc: "Width to zero pad offsets in store's filenames if offsets are too short in order to provide fixed width filenames that can be ordered by simple lexicographic sorting.",
            group: "Connector", order: 10,
            width: Long,
            display: "Filename Offset Zero Pad Width",
        },
        /// `avro.codec`.
        pub avro_codec: String {
            key: "avro.codec",
            ty: String,
            default: "null",
            validator: Validator::OneOf(&["null", "deflate", "snappy", "bzip2"]),
            importance: Low,
            doc: "The Avro compression codec to be used for output  files. Available values: null, deflate, snappy and bzip2 (CodecSource is org.apache.avro.file.CodecFactory)",
            group: "Connector", order: 11,
            width: Medium,
            display: "Avro Compression Codec",
        },
        /// `allow.optional.map.keys` (AvroData).
        pub allow_optional_map_keys: bool {
            key: "allow.optional.map.keys",
            ty: Boolean,
            default: "false",
            importance: Low,
            doc: "Allow optional string map key when converting from Connect Schema to Avro Schema.",
            group: "Connector", order: 12,
            width: Short,
            display: "Allow Optional Map Keys",
        },
        // --- Schema group ---
        /// `schema.compatibility` (only NONE is accepted by Strait).
        pub schema_compatibility: SchemaCompatibility {
            key: "schema.compatibility",
            ty: String,
            default: "NONE",
            validator: Validator::Custom(&SCHEMA_COMPATIBILITY_VALIDATOR),
            importance: High,
            doc: "The schema compatibility rule to use when the connector is observing schema changes. The supported configurations are NONE, BACKWARD, FORWARD and FULL.",
            group: "Schema", order: 1,
            width: Short,
            display: "Schema Compatibility",
            map: |s: String| SchemaCompatibility::of(&s),
        },
        // --- enableParquetConfig: Connector group, after the last Connector key ---
        /// `parquet.codec` (trimmed; `none` = uncompressed).
        pub parquet_codec: String {
            key: "parquet.codec",
            ty: String,
            default: "snappy",
            validator: Validator::Custom(&PARQUET_CODEC_VALIDATOR),
            importance: Low,
            doc: "The Parquet compression codec to be used for output files.",
            group: "Connector", order: 13,
            width: Medium,
            display: "Parquet Compression Codec",
            map: |s: String| s.trim().to_string(),
        },
        // --- S3 group ---
        /// `s3.bucket.name`.
        pub bucket: String {
            key: "s3.bucket.name",
            ty: String,
            default: required,
            importance: High,
            doc: "The S3 Bucket.",
            group: "S3", order: 1,
            width: Long,
            display: "S3 Bucket",
        },
        /// `s3.object.tagging` (only false).
        pub object_tagging: bool {
            key: "s3.object.tagging",
            ty: Boolean,
            default: "false",
            validator: Validator::Custom(&TAGGING_VALIDATOR),
            importance: Low,
            doc: "Tag S3 objects with start and end offsets, as well as record count.",
            group: "S3", order: 2,
            width: Long,
            display: "S3 Object Tagging",
        },
        /// `s3.object.tagging.key.value.pairs` (used only with tagging).
        pub object_tagging_extra: Vec<String> {
            key: "s3.object.tagging.key.value.pairs",
            ty: List,
            default: "",
            importance: Low,
            doc: "Additional S3 tag key value pairs",
            group: "S3", order: 3,
            width: Long,
            display: "S3 Object Tagging Extra Key Value pairs",
        },
        /// `s3.object.behavior.on.tagging.error` (lower-cased).
        pub behavior_on_tagging_error: String {
            key: "s3.object.behavior.on.tagging.error",
            ty: String,
            default: "ignore",
            validator: Validator::Custom(&TAGGING_ERROR_VALIDATOR),
            importance: Low,
            doc: "How to handle S3 object tagging error. Valid options are 'ignore' and 'fail'.",
            group: "S3", order: 4,
            width: Short,
            display: "Behavior for S3 object tagging error",
            map: |s: String| s.to_lowercase(),
        },
        /// `s3.region` (trimmed).
        pub region: String {
            key: "s3.region",
            ty: String,
            default: "us-west-2",
            validator: Validator::Custom(&REGION_VALIDATOR),
            importance: Medium,
            doc: "The AWS region to be used the connector.",
            group: "S3", order: 5,
            width: Long,
            display: "AWS region",
            map: |s: String| s.trim().to_string(),
        },
        /// `s3.part.size`.
        pub part_size: i32 {
            key: "s3.part.size",
            ty: Int,
            default: "26214400",
            validator: Validator::Custom(&PART_SIZE_VALIDATOR),
            importance: High,
            doc: "The Part Size in S3 Multi-part Uploads.",
            group: "S3", order: 6,
            width: Long,
            display: "S3 Part Size",
        },
        /// `s3.credentials.provider.class` (only the default chain).
        pub credentials_provider_class: String {
            key: "s3.credentials.provider.class",
            ty: Class,
            default: DEFAULT_CREDENTIALS_PROVIDER,
            validator: Validator::Custom(&CREDENTIALS_PROVIDER_VALIDATOR),
            importance: Low,
            doc: "Credentials provider or provider chain to use for authentication to AWS. By default the connector uses ``DefaultCredentialsProvider``.",
            group: "S3", order: 7,
            width: Long,
            display: "AWS Credentials Provider Class",
        },
        /// `aws.access.key.id` (empty = none).
        pub aws_access_key_id: String {
            key: "aws.access.key.id",
            ty: String,
            default: "",
            importance: High,
            doc: "The AWS access key ID used to authenticate personal AWS credentials such as IAM credentials. Use only if you do not wish to authenticate by using a credentials provider class via ``s3.credentials.provider.class``",
            group: "S3", order: 8,
            width: Long,
            display: "AWS Access Key ID",
        },
        /// `aws.secret.access.key`.
        pub aws_secret_access_key: Option<String> {
            key: "aws.secret.access.key",
            ty: Password,
            default: null,
            importance: High,
            doc: "The secret access key used to authenticate personal AWS credentials such as IAM credentials. Use only if you do not wish to authenticate by using a credentials provider class via ``s3.credentials.provider.class``",
            group: "S3", order: 9,
            width: Long,
            display: "AWS Secret Access Key",
        },
        /// `s3.ssea.name` (see [`S3SinkConfig::encryption`]).
        pub ssea: String {
            key: "s3.ssea.name",
            ty: String,
            default: "",
            validator: Validator::OneOf(&["", "AES256", "aws:kms", "aws:kms:dsse"]),
            importance: Low,
            doc: "The S3 Server Side Encryption Algorithm.",
            group: "S3", order: 10,
            width: Long,
            display: "S3 Server Side Encryption Algorithm",
        },
        /// `s3.sse.customer.key`.
        pub sse_customer_key: Option<String> {
            key: "s3.sse.customer.key",
            ty: Password,
            default: null,
            importance: Low,
            doc: "The S3 Server Side Encryption Customer-Provided Key (SSE-C).",
            group: "S3", order: 11,
            width: Long,
            display: "S3 Server Side Encryption Customer-Provided Key (SSE-C)",
        },
        /// `s3.sse.kms.key.id`.
        pub sse_kms_key_id: String {
            key: "s3.sse.kms.key.id",
            ty: String,
            default: "",
            importance: Low,
            doc: "The name of the AWS Key Management Service (AWS-KMS) key to be used for server side encryption of the S3 objects. No encryption is used when no key is provided, but it is enabled when ``aws:kms`` is specified as encryption algorithm with a valid key name.",
            group: "S3", order: 12,
            width: Long,
            display: "S3 Server Side Encryption Key",
        },
        /// `s3.acl.canned` (only unset).
        pub acl_canned: Option<String> {
            key: "s3.acl.canned",
            ty: String,
            default: null,
            validator: Validator::Custom(&CANNED_ACL_VALIDATOR),
            importance: Low,
            doc: "An S3 canned ACL header value to apply when writing objects.",
            group: "S3", order: 13,
            width: Long,
            display: "S3 Canned ACL",
        },
        /// `s3.wan.mode` (only false).
        pub wan_mode: bool {
            key: "s3.wan.mode",
            ty: Boolean,
            default: "false",
            validator: Validator::Custom(&WAN_MODE_VALIDATOR),
            importance: Medium,
            doc: "Use S3 accelerated endpoint.",
            group: "S3", order: 14,
            width: Long,
            display: "S3 accelerated endpoint enabled",
        },
        /// `s3.compression.type`.
        pub compression_type: CompressionType {
            key: "s3.compression.type",
            ty: String,
            default: "none",
            validator: Validator::Custom(&COMPRESSION_TYPE_VALIDATOR),
            importance: Low,
            doc: "Compression type for files written to S3. Applied when using JsonFormat or ByteArrayFormat. Available values: none, gzip.",
            group: "S3", order: 15,
            width: Long,
            display: "Compression type",
            map: |s: String| if s.trim() == "gzip" { CompressionType::Gzip } else { CompressionType::None },
        },
        /// `s3.compression.level` (-1 = zlib's default).
        pub compression_level: i32 {
            key: "s3.compression.level",
            ty: Int,
            default: "-1",
            validator: Validator::between(-1.0, 9.0),
            importance: Low,
            doc: "Compression level for files written to S3. Applied when using JsonFormat or ByteArrayFormat. ",
            group: "S3", order: 16,
            width: Long,
            display: "Compression Level",
        },
        /// `json.decimal.format` = NUMERIC (case-insensitive).
        pub json_decimal_numeric: bool {
            key: "json.decimal.format",
            ty: String,
            default: "BASE64",
            validator: Validator::OneOfIgnoreCase(&["BASE64", "NUMERIC"]),
            importance: Medium,
            doc: "Controls which format json converter will serialize decimals in. This value is case insensitive and can be either 'BASE64' (default) or 'NUMERIC'",
            group: "S3", order: 17,
            width: Medium,
            display: "Decimal Format",
            map: |s: String| s.eq_ignore_ascii_case("NUMERIC"),
        },
        /// `s3.part.retries`: object_store's `max_retries`.
        pub part_retries: i32 {
            key: "s3.part.retries",
            ty: Int,
            default: "3",
            validator: Validator::at_least(0.0),
            importance: Medium,
            doc: "Maximum number of retry attempts for failed requests. Zero means no retries. The actual number of attempts is determined by the S3 client based on multiple factors including, but not limited to: the value of this parameter, type of exception occurred, and throttling settings of the underlying S3 client.",
            group: "S3", order: 18,
            width: Long,
            display: "S3 Part Upload Retries",
        },
        /// `s3.retry.backoff.ms`: the first retry's back-off.
        pub s3_retry_backoff_ms: i64 {
            key: "s3.retry.backoff.ms",
            ty: Long,
            default: "200",
            validator: Validator::at_least(0.0),
            importance: Low,
            doc: "How long to wait in milliseconds before attempting the first retry of a failed S3 request. Upon a failure, this connector may wait up to twice as long as the previous wait, up to the maximum number of retries. This avoids retrying in a tight loop under failure scenarios.",
            group: "S3", order: 19,
            width: Short,
            display: "Retry Backoff (ms)",
        },
        /// `format.bytearray.extension`.
        pub bytearray_extension: String {
            key: "format.bytearray.extension",
            ty: String,
            default: ".bin",
            importance: Low,
            doc: "Output file extension for ByteArrayFormat. Defaults to ``.bin``.",
            group: "S3", order: 20,
            width: Long,
            display: "Output file extension for ByteArrayFormat",
        },
        /// `format.bytearray.separator` as parsed (trimmed); the separator itself is the raw
        /// value, see [`S3SinkConfig::bytearray_separator`].
        pub bytearray_separator_parsed: Option<String> {
            key: "format.bytearray.separator",
            ty: String,
            default: null,
            importance: Low,
            doc: "String inserted between records for ByteArrayFormat. Defaults to ``System.lineSeparator()`` and may contain escape sequences like ``\\n``. An input record that contains the line separator will look like multiple records in the output S3 object.",
            group: "S3", order: 21,
            width: Long,
            display: "Line separator ByteArrayFormat",
        },
        /// `s3.proxy.url` (only empty).
        pub proxy_url: String {
            key: "s3.proxy.url",
            ty: String,
            default: "",
            validator: Validator::Custom(&PROXY_VALIDATOR),
            importance: Low,
            doc: "S3 Proxy settings encoded in URL syntax. This property is meant to be used only if you need to access S3 through a proxy.",
            group: "S3", order: 22,
            width: Long,
            display: "S3 Proxy Settings",
        },
        /// `s3.proxy.user` (only unset).
        pub proxy_user: Option<String> {
            key: "s3.proxy.user",
            ty: String,
            default: null,
            validator: Validator::Custom(&PROXY_VALIDATOR),
            importance: Low,
            doc: "S3 Proxy User. This property is meant to be used only if you need to access S3 through a proxy. Using ``s3.proxy.user`` instead of embedding the username and password in ``s3.proxy.url`` allows the password to be hidden in the logs.",
            group: "S3", order: 23,
            width: Long,
            display: "S3 Proxy User",
        },
        /// `s3.proxy.password` (only unset).
        pub proxy_password: Option<String> {
            key: "s3.proxy.password",
            ty: Password,
            default: null,
            validator: Validator::Custom(&PROXY_VALIDATOR),
            importance: Low,
            doc: "S3 Proxy Password. This property is meant to be used only if you need to access S3 through a proxy. Using ``s3.proxy.password`` instead of embedding the username and password in ``s3.proxy.url`` allows the password to be hidden in the logs.",
            group: "S3", order: 24,
            width: Long,
            display: "S3 Proxy Password",
        },
        /// `s3.http.send.expect.continue` (a transport detail of Java's HTTP client).
        pub expect_continue: bool {
            key: "s3.http.send.expect.continue",
            ty: Boolean,
            default: "true",
            importance: Low,
            doc: "Enable or disable use of the HTTP/1.1 handshake using EXPECT: 100-CONTINUE during multi-part upload. If true, the client will wait for a 100 (CONTINUE) response before sending the request body. Else, the client uploads the entire request body without checking if the server is willing to accept the request.",
            group: "S3", order: 25,
            width: Short,
            display: "S3 HTTP Send Uses Expect Continue",
        },
        /// `behavior.on.null.values`.
        pub behavior_on_null_values: NullValueBehavior {
            key: "behavior.on.null.values",
            ty: String,
            default: "fail",
            validator: Validator::Custom(&NULL_VALUES_VALIDATOR),
            importance: Low,
            doc: "How to handle records with a null value (i.e. Kafka tombstone records). Valid options are 'ignore', 'fail' and 'write'. Ignore would skip the tombstone record and fail would cause the connector task to throw an exception. In case of the write tombstone option, the connector redirects tombstone records to a separate directory mentioned in the config tombstone.encoded.partition. The storage of Kafka record keys is mandatory when this option is selected and the file for values is not generated for tombstone records.",
            group: "S3", order: 26,
            width: Short,
            display: "Behavior for null-valued records",
            map: |s: String| match s.to_lowercase().as_str() {
                "ignore" => NullValueBehavior::Ignore,
                "write" => NullValueBehavior::Write,
                _ => NullValueBehavior::Fail,
            },
        },
        /// `report.null.values.to.dlq`.
        pub report_null_values_to_dlq: bool {
            key: "report.null.values.to.dlq",
            ty: Boolean,
            default: "true",
            importance: Low,
            doc: "Determine whether to log records with null values to dlq. `errors.tolerance` should be set to 'all' for successfully writing into dlq",
            group: "S3", order: 27,
            width: Short,
            display: "Report null value to dlq",
        },
        /// `max.write.duration.ms`.
        pub max_write_duration_ms: i64 {
            key: "max.write.duration.ms",
            ty: Long,
            default: "9223372036854775807",
            importance: Low,
            doc: "The maximum duration that a task will spend in batching and writing to S3. If the write operation takes longer than this the task will voluntarily return from the put method. This prevents the consumer from being revoked from the group. It also mitigates (but does not eliminate) the risk of a zombie task to continue writing to S3 after it has been revoked.",
            group: "S3", order: 28,
            width: Short,
            display: "Maximum write duration",
        },
        /// `rotate.file.on.partition.change`.
        pub rotate_file_on_partition_change: bool {
            key: "rotate.file.on.partition.change",
            ty: Boolean,
            default: "true",
            importance: Low,
            doc: "Flag to determine whether we want to rotate existing files when the record belongs to a new file. This flag will be honored when rotate.interval.ms is set and timestamp.extractor is configured",
            group: "S3", order: 29,
            width: Short,
            display: "Rotate files on partition change",
        },
        /// `tombstone.encoded.partition`.
        pub tombstone_encoded_partition: String {
            key: "tombstone.encoded.partition",
            ty: String,
            default: "tombstone",
            importance: Low,
            doc: "Output s3 folder to write the tombstone records to. The configured partitioner would map tombstone records to this output folder.",
            group: "S3", order: 30,
            width: Short,
            display: "Tombstone Encoded Partition",
        },
        /// `s3.schema.partition.affix.type` (only NONE).
        pub schema_partition_affix_type: String {
            key: "s3.schema.partition.affix.type",
            ty: String,
            default: "NONE",
            validator: Validator::Custom(&AFFIX_VALIDATOR),
            importance: Low,
            doc: "Append the record schema name to prefix or suffix in the s3 path after the topic name. None will not append the schema name in the s3 path.",
            group: "S3", order: 31,
            width: Long,
            display: "Schema Partition Affix Type",
        },
        /// `s3.send.digest` (only false).
        pub send_digest: bool {
            key: "s3.send.digest",
            ty: Boolean,
            default: "false",
            validator: Validator::Custom(&SEND_DIGEST_VALIDATOR),
            importance: Low,
            doc: "Enable or disable sending MD5 digest with S3 multipart upload request.",
            group: "S3", order: 32,
            width: Short,
            display: "S3 Send Upload Message Digest",
        },
        /// `enable.conditional.writes` (see [`S3SinkConfig::conditional_writes`]).
        pub enable_conditional_writes: bool {
            key: "enable.conditional.writes",
            ty: Boolean,
            default: "true",
            importance: Low,
            doc: "Flag to control whether to enable conditional writes during multipart upload. The config will be ignored if scheduled rotation is disabled by setting `rotate.schedule.interval.ms` to -1 or the connector is configured to write kafka keys or headers to S3",
            group: "S3", order: 33,
            width: Short,
            display: "Enable conditional writes during multipart upload",
        },
        /// `max.files.scan.limit` (internal).
        pub max_files_scan_limit: i32 {
            key: "max.files.scan.limit",
            ty: Int,
            default: "100",
            importance: Low,
            doc: "",
        },
        // --- Keys and Headers group ---
        /// `store.kafka.keys`.
        pub store_kafka_keys: bool {
            key: "store.kafka.keys",
            ty: Boolean,
            default: "false",
            importance: Low,
            doc: "Enable or disable writing keys to storage. This config is mandatory when the writing of tombstone records is enabled.",
            group: "Keys and Headers", order: 1,
            width: Short,
            display: "Store kafka keys",
        },
        /// `store.kafka.headers`.
        pub store_kafka_headers: bool {
            key: "store.kafka.headers",
            ty: Boolean,
            default: "false",
            importance: Low,
            doc: "Enable or disable writing headers to storage.",
            group: "Keys and Headers", order: 2,
            width: Short,
            display: "Store kafka headers",
        },
        /// `keys.format.class`.
        pub keys_format: FormatKind {
            key: "keys.format.class",
            ty: Class,
            default: AVRO_FORMAT_CLASS,
            importance: Low,
            doc: "The format class to use when writing keys to the store.",
            group: "Keys and Headers", order: 3,
            width: None,
            display: "Keys format class",
            try_map: |c: String| format_kind("keys.format.class", &c),
        },
        /// `headers.format.class`.
        pub headers_format: FormatKind {
            key: "headers.format.class",
            ty: Class,
            default: AVRO_FORMAT_CLASS,
            importance: Low,
            doc: "The format class to use when writing headers to the store.",
            group: "Keys and Headers", order: 4,
            width: None,
            display: "Headers format class",
            try_map: |c: String| format_kind("headers.format.class", &c),
        },
        /// `s3.path.style.access.enabled`.
        pub path_style_access: bool {
            key: "s3.path.style.access.enabled",
            ty: Boolean,
            default: "true",
            importance: Low,
            doc: "Specifies whether or not to enable path style access to the bucket used by the connector",
            group: "Keys and Headers", order: 5,
            width: Short,
            display: "Enable Path Style Access to S3",
        },
        /// `s3.elastic.buffer.enable`.
        pub elastic_buffer_enable: bool {
            key: "s3.elastic.buffer.enable",
            ty: Boolean,
            default: "false",
            importance: Low,
            doc: "Specifies whether or not to allocate elastic buffer for staging s3-part to save memory. Note that this may cause decreased performance or increased CPU usage",
            group: "Keys and Headers", order: 6,
            width: Long,
            display: "Enable elastic buffer to staging s3-part",
        },
        /// `s3.elastic.buffer.init.capacity`.
        pub elastic_buffer_init_capacity: i32 {
            key: "s3.elastic.buffer.init.capacity",
            ty: Int,
            default: "131072",
            validator: Validator::at_least(4096.0),
            importance: Low,
            doc: "Elastic buffer initial capacity.",
            group: "Keys and Headers", order: 7,
            width: Long,
            display: "Elastic buffer initial capacity",
        },
        /// `partitioner.max.open.files` (internal; -1 = unlimited).
        pub partitioner_max_open_files: i32 {
            key: "partitioner.max.open.files",
            ty: Int,
            default: "-1",
            validator: Validator::Custom(&MAX_OPEN_FILES_VALIDATOR),
            importance: Low,
            doc: "",
        },
        // --- StorageCommonConfig: Storage group ---
        /// `storage.class` (Strait: defaults to S3Storage, the only one).
        pub storage_class: String {
            key: "storage.class",
            ty: Class,
            default: S3_STORAGE_CLASS,
            validator: Validator::Custom(&STORAGE_CLASS_VALIDATOR),
            importance: High,
            doc: "The underlying storage layer.",
            group: "Storage", order: 1,
            width: None,
            display: "Storage Class",
        },
        /// `topics.dir`.
        pub topics_dir: String {
            key: "topics.dir",
            ty: String,
            default: "topics",
            importance: High,
            doc: "Top level directory to store the data ingested from Kafka.",
            group: "Storage", order: 2,
            width: None,
            display: "Topics directory",
        },
        /// `store.url` (see [`crate::s3::store`] for the schemes Strait adds).
        pub store_url: Option<String> {
            key: "store.url",
            ty: String,
            default: null,
            importance: High,
            doc: "Store's connection URL, if applicable.",
            group: "Storage", order: 3,
            width: None,
            display: "Store URL",
        },
        /// `directory.delim`.
        pub directory_delim: String {
            key: "directory.delim",
            ty: String,
            default: "/",
            importance: Medium,
            doc: "Directory delimiter pattern",
            group: "Storage", order: 4,
            width: Long,
            display: "Directory Delimiter",
        },
        /// `file.delim`.
        pub file_delim: String {
            key: "file.delim",
            ty: String,
            default: "+",
            importance: Medium,
            doc: "File delimiter pattern",
            group: "Storage", order: 5,
            width: Long,
            display: "File Delimiter",
        },
        // --- PartitionerConfig: Partitioner group ---
        /// `partitioner.class`.
        pub partitioner_class: String {
            key: "partitioner.class",
            ty: Class,
            default: DEFAULT_PARTITIONER,
            validator: Validator::Custom(&PARTITIONER_CLASS_VALIDATOR),
            importance: High,
            doc: "The partitioner to use when writing data to the store. You can use ``DefaultPartitioner``, which preserves the Kafka partitions; ``FieldPartitioner``, which partitions the data to different directories according to the value of the partitioning field specified in ``partition.field.name``; ``TimeBasedPartitioner``, which partitions data according to ingestion time.",
            group: "Partitioner", order: 1,
            width: Long,
            display: "Partitioner Class",
        },
        /// `partition.field.name`.
        pub partition_field_name: Vec<String> {
            key: "partition.field.name",
            ty: List,
            default: "",
            validator: Validator::Custom(&PARTITION_FIELD_NAME_VALIDATOR),
            importance: Medium,
            doc: "The name of the partitioning field when FieldPartitioner is used.",
            group: "Partitioner", order: 2,
            width: None,
            display: "Partition Field Name",
        },
        /// `partition.duration.ms` (-1 = unset).
        pub partition_duration_ms: i64 {
            key: "partition.duration.ms",
            ty: Long,
            default: "-1",
            importance: Medium,
            doc: "The duration of a partition milliseconds used by ``TimeBasedPartitioner``. The default value -1 means that we are not using ``TimeBasedPartitioner``.",
            group: "Partitioner", order: 3,
            width: Long,
            display: "Partition Duration (ms)",
        },
        /// `path.format`.
        pub path_format: String {
            key: "path.format",
            ty: String,
            default: "",
            importance: Medium,
            doc: "This configuration is used to set the format of the data directories when partitioning with ``TimeBasedPartitioner``. The format set in this configuration converts the Unix timestamp to proper directories strings. For example, if you set ``path.format='year'=YYYY/'month'=MM/'day'=dd/'hour'=HH``, the data directories will have the format ``/year=2015/month=12/day=07/hour=15/``.",
            group: "Partitioner", order: 4,
            width: Long,
            display: "Path Format",
        },
        /// `locale`.
        pub locale: String {
            key: "locale",
            ty: String,
            default: "",
            importance: Medium,
            doc: "The locale to use when partitioning with ``TimeBasedPartitioner``. Used to format dates and times. For example, use ``en-US`` for US English, ``en-GB`` for UK English, or ``fr-FR`` for French (in France). These may vary by Java version. See the `available locales <http://www.localeplanet.com/java/>`__.",
            group: "Partitioner", order: 5,
            width: Long,
            display: "Locale",
        },
        /// `timezone`.
        pub timezone: String {
            key: "timezone",
            ty: String,
            default: "",
            validator: Validator::Custom(&TIMEZONE_VALIDATOR),
            importance: Medium,
            doc: "The timezone to use when partitioning with ``TimeBasedPartitioner``. Used to format and compute dates and times. All timezone IDs must be specified in the long format, such as ``America/Los_Angeles``, ``America/New_York``, and ``Europe/Paris``, or ``UTC``. Alternatively a locale independent, fixed offset, datetime zone can be specified in form ``[+-]hh:mm``. Support for these timezones may vary by Java version. See the `available timezones within each locale <http://www.localeplanet.com/java/>`__, such as `those within the US English locale <http://www.localeplanet.com/java/en-US/index.html>`__.",
            group: "Partitioner", order: 6,
            width: Long,
            display: "Timezone",
        },
        /// `timestamp.extractor`.
        pub timestamp_extractor: String {
            key: "timestamp.extractor",
            ty: String,
            default: "Wallclock",
            importance: Medium,
            doc: "The extractor that gets the timestamp for records when partitioning with ``TimeBasedPartitioner``. It can be set to ``Wallclock``, ``Record`` or ``RecordField`` in order to use one of the built-in timestamp extractors or be given the fully-qualified class name of a user-defined class that extends the ``TimestampExtractor`` interface.",
            group: "Partitioner", order: 7,
            width: Long,
            display: "Timestamp Extractor",
        },
        /// `timestamp.field`.
        pub timestamp_field: String {
            key: "timestamp.field",
            ty: String,
            default: "timestamp",
            importance: Medium,
            doc: "The record field to be used as timestamp by the timestamp extractor.",
            group: "Partitioner", order: 8,
            width: Long,
            display: "Record Field for Timestamp Extractor",
        },
        /// Every key as given: `format.bytearray.separator` is read untrimmed from here, as
        /// Confluent reads it from `originalsStrings()`.
        pub originals: Props { originals },
    }
}

/// Confluent's `S3SinkConnectorValidator.FORMAT_CONFIG_ERROR_MESSAGE`.
fn compression_error(kind: &str, class: &str) -> String {
    format!("Compression Type gzip not valid for {kind} format class: ( {class} ).")
}

/// Confluent's `ACCESS_MODE_ERROR_MESSAGE`.
const ACCESS_MODE_ERROR: &str = "Both accelerate mode and path style access are being enabled. \
     These options are mutually exclusive and cannot be enabled together. Please disable one of \
     them";

/// Confluent's `validateTombstoneWriter` message.
pub const TOMBSTONE_NEEDS_KEYS: &str =
    "Writing Kafka record keys to storage is mandatory when tombstone writing is enabled.";

impl S3SinkConfig {
    /// Parse and check: the per-key rules of [`S3SinkConfig::parse`] (first failing key in
    /// Confluent's order), then the cross-key rules. What the connector's `parse` and the task
    /// call.
    pub fn from_props(props: &Props) -> Result<Self> {
        let config = Self::parse(props)?;
        if let Some((message, _)) = config.cross_key_errors().into_iter().next() {
            return Err(Error::config(message));
        }
        Ok(config)
    }

    /// REST validation: every key's result as `config_def().validate` gives it, plus the
    /// cross-key errors on the keys Confluent attaches them to.
    pub fn validate(props: &Props) -> Vec<ConfigValue> {
        let mut values = Self::config_def().validate(props);
        if let Ok(config) = Self::parse(props) {
            for (message, keys) in config.cross_key_errors() {
                for key in keys {
                    if let Some(v) = values.iter_mut().find(|v| v.name == key) {
                        v.errors.push(message.clone());
                    }
                }
            }
        }
        values
    }

    /// The cross-key rules, in the order Confluent checks them, each with the keys its error
    /// is reported on.
    pub fn cross_key_errors(&self) -> Vec<(String, Vec<&'static str>)> {
        let mut errors = Vec::new();
        // S3SinkConnectorConfig.validateTimezone (constructor).
        if self.rotate_schedule_interval_ms > 0 && self.timezone.is_empty() {
            errors.push((
                "timezone configuration must be set when using rotate.schedule.interval.ms"
                    .to_string(),
                vec!["timezone", "rotate.schedule.interval.ms"],
            ));
        }
        // FieldPartitionerValidator.
        if self.partitioner_class == FIELD_PARTITIONER
            && self
                .originals
                .get("partition.field.name")
                .is_none_or(|f| f.trim().is_empty())
        {
            errors.push((
                "Partition field name cannot be null or empty when using FieldPartitioner."
                    .to_string(),
                vec!["partition.field.name"],
            ));
        }
        // S3SinkConnectorValidator.validateCompression: gzip only for JSON and ByteArray.
        if self.compression_type == CompressionType::Gzip {
            let gzip_ok = |k: FormatKind| matches!(k, FormatKind::Json | FormatKind::ByteArray);
            if !gzip_ok(self.format) {
                errors.push((
                    compression_error("data", class_name(self.format)),
                    vec!["format.class", "s3.compression.type"],
                ));
            }
            if self.store_kafka_keys && !gzip_ok(self.keys_format) {
                errors.push((
                    compression_error("keys", class_name(self.keys_format)),
                    vec![
                        "store.kafka.keys",
                        "keys.format.class",
                        "s3.compression.type",
                    ],
                ));
            }
            if self.store_kafka_headers && !gzip_ok(self.headers_format) {
                errors.push((
                    compression_error("headers", class_name(self.headers_format)),
                    vec![
                        "store.kafka.headers",
                        "headers.format.class",
                        "s3.compression.type",
                    ],
                ));
            }
        }
        // validateTombstoneWriter.
        if self.behavior_on_null_values == NullValueBehavior::Write && !self.store_kafka_keys {
            errors.push((
                TOMBSTONE_NEEDS_KEYS.to_string(),
                vec!["store.kafka.keys", "behavior.on.null.values"],
            ));
        }
        // validateWanModeAndPathStyleCompatibility.
        if self.wan_mode && self.path_style_access {
            errors.push((
                ACCESS_MODE_ERROR.to_string(),
                vec!["s3.wan.mode", "s3.path.style.access.enabled"],
            ));
        }
        // Strait: Confluent accepts these and fails (or misbehaves) at run time.
        if self.store_kafka_headers && self.headers_format == FormatKind::ByteArray {
            errors.push((
                format!(
                    "Invalid value {BYTEARRAY_FORMAT_CLASS} for configuration \
                     headers.format.class: ByteArrayFormat cannot write headers (Confluent does \
                     not support it either); use AvroFormat, JsonFormat or ParquetFormat"
                ),
                vec!["headers.format.class"],
            ));
        }
        if self.is_time_based() && self.timestamp_extractor_kind().is_none() {
            errors.push((
                format!(
                    "Invalid value {} for configuration timestamp.extractor: Strait supports only \
                     the built-in extractors Wallclock, Record and RecordField; custom \
                     TimestampExtractor classes are not supported",
                    self.timestamp_extractor
                ),
                vec!["timestamp.extractor"],
            ));
        }
        errors
    }

    /// Whether the partitioner is TimeBased or one of its subclasses (Daily, Hourly).
    pub fn is_time_based(&self) -> bool {
        [
            TIME_BASED_PARTITIONER,
            DAILY_PARTITIONER,
            HOURLY_PARTITIONER,
        ]
        .contains(&self.partitioner_class.as_str())
    }

    /// `timestamp.extractor` as one of the built-in names (`Wallclock`, `Record`,
    /// `RecordField`), also given by their class names
    /// (`...TimeBasedPartitioner$RecordTimestampExtractor`); `None` for anything else.
    pub fn timestamp_extractor_kind(&self) -> Option<&'static str> {
        let name = self.timestamp_extractor.trim();
        let name = name
            .strip_prefix(EXTRACTOR_PREFIX)
            .and_then(|n| n.strip_suffix("TimestampExtractor"))
            .unwrap_or(name);
        ["Wallclock", "Record", "RecordField"]
            .into_iter()
            .find(|k| *k == name)
    }

    /// The partitioner's settings. `timestamp.extractor` is given by its built-in name.
    pub fn partitioner_settings(&self) -> PartitionerSettings {
        PartitionerSettings {
            class: self.partitioner_class.clone(),
            field_names: self.partition_field_name.clone(),
            partition_duration_ms: self.partition_duration_ms,
            path_format: self.path_format.clone(),
            locale: self.locale.clone(),
            timezone: self.timezone.clone(),
            timestamp_extractor: self
                .timestamp_extractor_kind()
                .map_or_else(|| self.timestamp_extractor.clone(), str::to_string),
            timestamp_field: self.timestamp_field.clone(),
            directory_delim: self.directory_delim.clone(),
        }
    }

    fn settings(&self, kind: FormatKind) -> FormatSettings {
        FormatSettings {
            kind,
            parquet_codec: self.parquet_codec.clone(),
            avro_codec: self.avro_codec.clone(),
            gzip_level: (self.compression_type == CompressionType::Gzip)
                .then_some(self.compression_level),
            json_decimal_numeric: self.json_decimal_numeric,
            bytearray_extension: self.bytearray_extension.clone(),
            bytearray_separator: self.bytearray_separator(),
            avro_enhanced: self.enhanced_avro_schema_support,
        }
    }

    /// The value files' format (`format.class`). `gzip_level` is `Some` when
    /// `s3.compression.type=gzip`, with `s3.compression.level` as given (-1 = zlib's default).
    pub fn format_settings(&self) -> FormatSettings {
        self.settings(self.format)
    }

    /// The key files' format (`keys.format.class`), used when `store.kafka.keys=true`.
    pub fn keys_format_settings(&self) -> FormatSettings {
        self.settings(self.keys_format)
    }

    /// The header files' format (`headers.format.class`), used when `store.kafka.headers=true`.
    pub fn headers_format_settings(&self) -> FormatSettings {
        self.settings(self.headers_format)
    }

    /// `format.bytearray.separator`: the raw value as given, untrimmed and with no escapes
    /// resolved (Confluent's `getFormatByteArrayLineSeparator` reads `originalsStrings()`), or
    /// `System.lineSeparator()` (`\n` on the Linux hosts Connect runs on) when unset.
    pub fn bytearray_separator(&self) -> Vec<u8> {
        self.originals
            .get("format.bytearray.separator")
            .map_or_else(|| b"\n".to_vec(), |s| s.as_bytes().to_vec())
    }

    /// Server-side encryption as Confluent's `S3OutputStream.newMultipartUpload` decides it.
    pub fn encryption(&self) -> Encryption {
        let customer_key = self
            .sse_customer_key
            .as_deref()
            .filter(|k| !k.trim().is_empty());
        let aes = self.ssea.eq_ignore_ascii_case("AES256");
        if aes {
            return match customer_key {
                Some(key) => Encryption::SseC(key.to_string()),
                None => Encryption::SseS3,
            };
        }
        if self.ssea.eq_ignore_ascii_case("aws:kms") && !self.sse_kms_key_id.trim().is_empty() {
            return Encryption::SseKms(self.sse_kms_key_id.clone());
        }
        Encryption::None
    }

    /// Static credentials when both keys are non-blank (Confluent's rule), else `None` (the
    /// default chain).
    pub fn static_credentials(&self) -> Option<(String, String)> {
        let id = self.aws_access_key_id.trim();
        let secret = self.aws_secret_access_key.as_deref().unwrap_or("").trim();
        (!id.is_empty() && !secret.is_empty())
            .then(|| (self.aws_access_key_id.clone(), secret.to_string()))
    }

    /// Confluent's `shouldEnableConditionalWrites`.
    pub fn conditional_writes(&self) -> bool {
        self.enable_conditional_writes
            && self.rotate_schedule_interval_ms != -1
            && !self.store_kafka_headers
            && !self.store_kafka_keys
    }

    /// Confluent's `isTombstoneWriteEnabled`.
    pub fn tombstone_write_enabled(&self) -> bool {
        self.behavior_on_null_values == NullValueBehavior::Write
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strait_engine::config::{Default, Importance};

    fn props(pairs: &[(&str, &str)]) -> Props {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// The seed config (connector.class, tasks.max and topics are framework keys).
    fn seed() -> Vec<(&'static str, &'static str)> {
        vec![
            ("connector.class", "io.confluent.connect.s3.S3SinkConnector"),
            ("tasks.max", "3"),
            ("topics", "events"),
            ("s3.bucket.name", "data-lake"),
            ("s3.region", "us-east-1"),
            ("format.class", PARQUET_FORMAT_CLASS),
            ("partitioner.class", TIME_BASED_PARTITIONER),
            ("flush.size", "10000"),
        ]
    }

    fn with(extra: &[(&'static str, &'static str)]) -> Props {
        let mut p = seed();
        p.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
        p.extend_from_slice(extra);
        props(&p)
    }

    fn err(extra: &[(&'static str, &'static str)]) -> String {
        S3SinkConfig::from_props(&with(extra))
            .expect_err("config must be rejected")
            .message()
            .to_string()
    }

    #[test]
    fn seed_config_parses_with_confluent_defaults() {
        let c = S3SinkConfig::from_props(&props(&seed())).unwrap();
        assert_eq!(c.format, FormatKind::Parquet);
        assert_eq!(c.flush_size, 10000);
        assert_eq!(c.bucket, "data-lake");
        assert_eq!(c.region, "us-east-1");
        assert_eq!(c.storage_class, S3_STORAGE_CLASS);
        assert_eq!(c.rotate_interval_ms, -1);
        assert_eq!(c.rotate_schedule_interval_ms, -1);
        assert_eq!(c.topics_dir, "topics");
        assert_eq!(c.directory_delim, "/");
        assert_eq!(c.file_delim, "+");
        assert_eq!(c.filename_offset_zero_pad_width, 10);
        assert_eq!(c.parquet_codec, "snappy");
        assert_eq!(c.avro_codec, "null");
        assert_eq!(c.part_size, 26_214_400);
        assert_eq!(c.part_retries, 3);
        assert_eq!(c.s3_retry_backoff_ms, 200);
        assert_eq!(c.retry_backoff_ms, 5000);
        assert!(c.path_style_access);
        assert_eq!(c.behavior_on_null_values, NullValueBehavior::Fail);
        assert!(c.report_null_values_to_dlq);
        assert!(!c.store_kafka_keys && !c.store_kafka_headers);
        assert_eq!(c.keys_format, FormatKind::Avro);
        assert_eq!(c.headers_format, FormatKind::Avro);
        assert_eq!(c.schema_compatibility, SchemaCompatibility::None);
        assert_eq!(c.tombstone_encoded_partition, "tombstone");
        assert_eq!(c.max_write_duration_ms, i64::MAX);
        assert_eq!(c.compression_type, CompressionType::None);
        assert_eq!(c.encryption(), Encryption::None);
        assert_eq!(c.static_credentials(), None);
        assert!(!c.conditional_writes());
        // TimeBased without path.format etc. is accepted: the partitioner fills Strait's defaults.
        let p = c.partitioner_settings();
        assert_eq!(p.class, TIME_BASED_PARTITIONER);
        assert_eq!(p.partition_duration_ms, -1);
        assert_eq!(p.path_format, "");
        assert_eq!(p.timestamp_extractor, "Wallclock");
        assert_eq!(p.timestamp_field, "timestamp");
        let f = c.format_settings();
        assert_eq!(f.kind, FormatKind::Parquet);
        assert_eq!(f.gzip_level, None);
        assert_eq!(f.bytearray_separator, b"\n");
        assert_eq!(f.bytearray_extension, ".bin");
    }

    #[test]
    fn config_def_follows_confluent_order_groups_and_metadata() {
        let def = S3SinkConfig::config_def();
        let names: Vec<&str> = def.keys().iter().map(|k| k.name.as_str()).collect();
        // 13 Connector/Schema, 34 S3, 8 Keys and Headers, 5 Storage, 8 Partitioner.
        assert_eq!(names.len(), 68);
        assert_eq!(
            &names[..3],
            &["format.class", "flush.size", "rotate.interval.ms"]
        );
        assert!(!names.contains(&"shutdown.timeout.ms"));
        let pos = |n: &str| names.iter().position(|x| *x == n).unwrap();
        assert!(pos("schema.compatibility") < pos("parquet.codec"));
        assert!(pos("parquet.codec") < pos("s3.bucket.name"));
        assert!(pos("max.files.scan.limit") < pos("store.kafka.keys"));
        assert!(pos("partitioner.max.open.files") < pos("storage.class"));
        assert_eq!(names.last(), Some(&"timestamp.field"));
        let parquet = def.key("parquet.codec").unwrap();
        assert_eq!(parquet.group.as_deref(), Some("Connector"));
        assert_eq!(parquet.order, 13);
        let bucket = def.key("s3.bucket.name").unwrap();
        assert_eq!(bucket.default, Default::Required);
        assert_eq!(bucket.importance, Importance::High);
        assert_eq!(bucket.display_name, "S3 Bucket");
        assert_eq!(
            def.key("s3.part.size").unwrap().default,
            Default::Value("26214400".into())
        );
        assert_eq!(
            def.key("s3.credentials.provider.class")
                .unwrap()
                .documentation,
            "Credentials provider or provider chain to use for authentication to AWS. By default \
             the connector uses ``DefaultCredentialsProvider``."
        );
    }

    #[test]
    fn required_keys_have_javas_message() {
        let mut p = with(&[]);
        p.remove("flush.size");
        assert_eq!(
            S3SinkConfig::from_props(&p).unwrap_err().message(),
            "Missing required configuration \"flush.size\" which has no default value."
        );
    }

    #[test]
    fn confluent_validator_messages() {
        assert_eq!(
            err(&[("s3.part.size", "1000")]),
            "Invalid value 1000 for configuration s3.part.size: Part size must be at least: \
             5242880 bytes (5MB)"
        );
        assert_eq!(
            err(&[("s3.compression.type", "zip")]),
            "Invalid value zip for configuration s3.compression.type: Value must be one of: \
             [none, gzip]"
        );
        assert_eq!(
            err(&[("behavior.on.null.values", "Drop")]),
            "Invalid value drop for configuration behavior.on.null.values: String must be one \
             of: ignore, fail, write"
        );
        assert_eq!(
            err(&[("parquet.codec", "foo")]),
            "Invalid value foo for configuration parquet.codec: Value must be one of: [none, \
             gzip, snappy, lz4, brotli, lz4_raw, zstd, lzo]"
        );
        assert_eq!(
            err(&[("timezone", "Mars/Olympus")]),
            "Invalid value Mars/Olympus for configuration timezone: The datetime zone id \
             'Mars/Olympus' is not recognised"
        );
        assert_eq!(
            err(&[("partition.field.name", "a..b")]),
            "Invalid value a..b for configuration partition.field.name: Field name cannot \
             contain an empty or whitespace-only path segment"
        );
        assert!(err(&[("format.class", "com.example.Csv")])
            .starts_with("Invalid value com.example.Csv for configuration format.class: Class com.example.Csv could not be found."));
    }

    #[test]
    fn cross_key_rules_have_confluents_messages() {
        assert_eq!(
            err(&[("rotate.schedule.interval.ms", "60000")]),
            "timezone configuration must be set when using rotate.schedule.interval.ms"
        );
        assert!(S3SinkConfig::from_props(&with(&[
            ("rotate.schedule.interval.ms", "60000"),
            ("timezone", "UTC")
        ]))
        .is_ok());
        assert_eq!(
            err(&[("behavior.on.null.values", "WRITE")]),
            TOMBSTONE_NEEDS_KEYS
        );
        let c = S3SinkConfig::from_props(&with(&[
            ("behavior.on.null.values", "Write"),
            ("store.kafka.keys", "true"),
        ]))
        .unwrap();
        assert!(c.tombstone_write_enabled());
        assert_eq!(
            err(&[("s3.compression.type", "gzip")]),
            "Compression Type gzip not valid for data format class: ( \
             io.confluent.connect.s3.format.parquet.ParquetFormat )."
        );
        assert_eq!(
            err(&[("partitioner.class", FIELD_PARTITIONER)]),
            "Partition field name cannot be null or empty when using FieldPartitioner."
        );
        assert!(err(&[
            ("store.kafka.headers", "true"),
            ("headers.format.class", BYTEARRAY_FORMAT_CLASS)
        ])
        .contains("headers.format.class: ByteArrayFormat cannot write headers"));
        // Not storing headers: the headers format is unused and not checked.
        assert!(S3SinkConfig::from_props(&with(&[(
            "headers.format.class",
            BYTEARRAY_FORMAT_CLASS
        )]))
        .is_ok());
    }

    #[test]
    fn validate_reports_cross_key_errors_on_confluents_keys() {
        let values = S3SinkConfig::validate(&with(&[("behavior.on.null.values", "write")]));
        for key in ["store.kafka.keys", "behavior.on.null.values"] {
            let v = values.iter().find(|v| v.name == key).unwrap();
            assert_eq!(v.errors, vec![TOMBSTONE_NEEDS_KEYS.to_string()], "{key}");
        }
        let v = values.iter().find(|v| v.name == "flush.size").unwrap();
        assert!(v.errors.is_empty());
    }

    #[test]
    fn keys_strait_cannot_honour_are_rejected_by_name() {
        for (key, value) in [
            ("s3.wan.mode", "true"),
            ("partitioner.max.open.files", "10"),
            ("s3.object.tagging", "true"),
            ("s3.proxy.url", "http://proxy:3128"),
            ("s3.proxy.user", "u"),
            ("s3.proxy.password", "p"),
            ("s3.acl.canned", "bucket-owner-full-control"),
            ("s3.credentials.provider.class", "com.example.Creds"),
            ("schema.compatibility", "BACKWARD"),
            ("s3.send.digest", "true"),
            ("s3.schema.partition.affix.type", "PREFIX"),
            ("parquet.codec", "lzo"),
            ("storage.class", "com.example.Storage"),
            ("partitioner.class", "com.example.MyPartitioner"),
            ("timestamp.extractor", "com.example.MyExtractor"),
        ] {
            let message = err(&[(key, value)]);
            assert!(
                message.starts_with("Invalid value ") && message.contains(key),
                "{key}={value}: {message}"
            );
        }
        // Confluent's own message for an unknown ACL.
        assert!(err(&[("s3.acl.canned", "everyone")]).contains("Value must be one of: [private,"));
    }

    #[test]
    fn schema_compatibility_unknown_value_is_none() {
        let c = S3SinkConfig::from_props(&with(&[("schema.compatibility", "backward")])).unwrap();
        assert_eq!(c.schema_compatibility, SchemaCompatibility::None);
    }

    #[test]
    fn typed_settings() {
        let c = S3SinkConfig::from_props(&with(&[
            ("format.class", "JsonFormat"),
            ("s3.compression.type", "gzip"),
            ("s3.compression.level", "9"),
            ("json.decimal.format", "numeric"),
            ("format.bytearray.separator", " | "),
            ("store.kafka.keys", "true"),
            ("keys.format.class", BYTEARRAY_FORMAT_CLASS),
            ("timestamp.extractor", "io.confluent.connect.storage.partitioner.TimeBasedPartitioner$RecordTimestampExtractor"),
            ("s3.ssea.name", "AES256"),
            ("s3.sse.customer.key", "a2V5"),
            ("aws.access.key.id", "AKIA"),
            ("aws.secret.access.key", "secret"),
        ]))
        .unwrap();
        let f = c.format_settings();
        assert_eq!(f.kind, FormatKind::Json);
        assert_eq!(f.gzip_level, Some(9));
        assert!(f.json_decimal_numeric);
        assert_eq!(f.bytearray_separator, b" | ");
        assert_eq!(c.keys_format_settings().kind, FormatKind::ByteArray);
        assert_eq!(c.partitioner_settings().timestamp_extractor, "Record");
        assert_eq!(c.encryption(), Encryption::SseC("a2V5".into()));
        assert_eq!(
            c.static_credentials(),
            Some(("AKIA".to_string(), "secret".to_string()))
        );
        let kms = S3SinkConfig::from_props(&with(&[
            ("s3.ssea.name", "aws:kms"),
            ("s3.sse.kms.key.id", "k1"),
        ]))
        .unwrap();
        assert_eq!(kms.encryption(), Encryption::SseKms("k1".into()));
        let s3 = S3SinkConfig::from_props(&with(&[("s3.ssea.name", "AES256")])).unwrap();
        assert_eq!(s3.encryption(), Encryption::SseS3);
    }

    #[test]
    fn joda_zones() {
        for ok in [
            "UTC",
            "Europe/Paris",
            "+02:00",
            "-0530",
            "+05",
            "+01:02:03.456",
        ] {
            assert!(joda_zone_known(ok), "{ok}");
        }
        for bad in ["Paris", "+25:00", "+1", "UTC+1"] {
            assert!(!joda_zone_known(bad), "{bad}");
        }
    }
}
