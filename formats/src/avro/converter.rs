//! `io.confluent.connect.avro.AvroConverter`: Confluent's wire format (magic byte 0, the
//! schema's registry id as 4 big-endian bytes, the Avro binary body) over a Confluent-compatible
//! schema registry, with [`AvroData`](super)'s Connect mapping.
//!
//! Decoding (sinks): `prepare_to_connect` reads the ids of a batch's payloads and fetches each
//! unknown writer schema once (and its version under the record's subject, which Java's
//! deserializer puts on the Connect schema), building one [`AvroDecoder`] per (topic, id); then
//! `to_connect_for` decodes each run of rows with one schema straight into Arrow, one segment per
//! run. The registry is asked once per schema, never per record.
//!
//! Encoding (sources): `prepare_from_connect` maps the batch's Connect schema to Avro
//! (`AvroData.fromConnectSchema`) and registers it (`auto.register.schemas=true`, the default)
//! or looks it up under each topic's subject; `from_connect_for` writes the header and body per
//! row.
//!
//! Where Strait differs from Confluent (refused at start, never ignored): `use.latest.version`,
//! the keys the registry config refuses (TLS, OAuth, …) and the AvroData settings the mapping
//! refuses (see the parent module). A payload whose schema cannot be fetched because it does not
//! exist is a row error naming the id; a registry that cannot be reached is retriable (the task
//! waits per `errors.retry.timeout`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arrow::array::{Array, ArrayRef, BinaryArray, BinaryBuilder};
use arrow::datatypes::{DataType, Field};
use async_trait::async_trait;
use strait_engine::batch::TopicColumn;
use strait_engine::declare_config;
use strait_engine::plugin::{
    Converter, ConverterPlugin, Decoded, PluginInfo, PluginType, RowError, Segment,
};
use strait_engine::{Error, Result};

use super::{AvroDataConfig, AvroDecoder};
use crate::registry::SubjectNameStrategy;
use crate::registry::{RegistryClient, RegistryConfig, SchemaType};
use crate::ConverterConfig;

/// Java's class name.
pub const CLASS: &str = "io.confluent.connect.avro.AvroConverter";

/// Confluent's wire format: magic byte, then the schema id.
const MAGIC_BYTE: u8 = 0;
const HEADER_LEN: usize = 5;

declare_config! {
    /// `AvroConverterConfig`: the registry keys (`AbstractKafkaSchemaSerDeConfig`) and
    /// `AvroDataConfig`'s.
    #[derive(Debug, Clone)]
    pub struct AvroConverterConfig {
        pub converter: ConverterConfig { flatten },
        pub registry: RegistryConfig { flatten },
        pub data: AvroDataConfig { flatten },
    }
}

/// The converter plugin for the registry.
pub fn plugin() -> ConverterPlugin {
    ConverterPlugin {
        info: PluginInfo {
            class: CLASS,
            extra_aliases: &[],
            kind: PluginType::Converter,
            version: env!("CARGO_PKG_VERSION"),
        },
        config_def: AvroConverterConfig::config_def,
        create: |props, is_key| Ok(Arc::new(AvroConverter::new(props, is_key)?)),
    }
}

/// A writer schema fetched for a (topic, id), ready to decode; or why it could not be had.
type DecoderSlot = std::result::Result<Arc<Mutex<AvroDecoder>>, String>;

/// Confluent's AvroConverter (see the module docs).
pub struct AvroConverter {
    is_key: bool,
    client: Arc<RegistryClient>,
    config: AvroConverterConfig,
    /// (topic, schema id) → decoder.
    decoders: Mutex<HashMap<(String, i32), DecoderSlot>>,
    /// (subject, Avro schema text) → registered id.
    ids: Mutex<HashMap<(String, String), i32>>,
}

impl std::fmt::Debug for AvroConverter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AvroConverter")
            .field("is_key", &self.is_key)
            .field("registry", &self.client.urls())
            .finish()
    }
}

impl AvroConverter {
    pub fn new(props: &strait_engine::config::Props, is_key: bool) -> Result<Self> {
        let props = crate::with_converter_type(props, is_key);
        let config = AvroConverterConfig::parse(&props)?;
        if config.registry.use_latest_version {
            return Err(Error::config(
                "use.latest.version=true is not supported by Strait's AvroConverter yet: it \
                 registers (auto.register.schemas=true) or looks up the schema of each record",
            ));
        }
        let client = RegistryClient::new(&config.registry)?;
        Ok(AvroConverter {
            is_key,
            client: Arc::new(client),
            config,
            decoders: Mutex::new(HashMap::new()),
            ids: Mutex::new(HashMap::new()),
        })
    }

    fn strategy(&self) -> SubjectNameStrategy {
        if self.is_key {
            self.config.registry.key_subject_name_strategy
        } else {
            self.config.registry.value_subject_name_strategy
        }
    }

    fn which(&self) -> &'static str {
        if self.is_key {
            "key"
        } else {
            "value"
        }
    }

    /// The decoder for a (topic, id), fetching its writer schema if needed.
    async fn fetch_decoder(&self, topic: &str, id: i32) -> Result<DecoderSlot> {
        let registered = match self.client.schema_by_id(id).await {
            Ok(s) => s,
            Err(e) if e.is_retriable() => return Err(e),
            Err(e) => {
                return Ok(Err(format!(
                    "Error retrieving Avro {} schema for id {id}: {}",
                    self.which(),
                    e.message()
                )))
            }
        };
        if registered.schema_type != SchemaType::Avro {
            return Ok(Err(format!(
                "Schema {id} is a {} schema, not Avro",
                registered.schema_type.as_str()
            )));
        }
        // Java's deserializer looks the version up under the record's subject and puts it on
        // the Connect schema; a schema registered under another subject has none.
        let record = record_full_name(&registered.schema);
        let version = match self
            .strategy()
            .subject_name(topic, self.is_key, record.as_deref())
        {
            Ok(subject) => self
                .client
                .lookup(
                    &subject,
                    SchemaType::Avro,
                    &registered.schema,
                    &registered.references,
                    false,
                )
                .await
                .map(|found| found.map(|v| v.version))
                .or_else(|e| if e.is_retriable() { Err(e) } else { Ok(None) })?,
            Err(_) => None,
        };
        Ok(
            match AvroDecoder::with_version(&registered.schema, &self.config.data, version) {
                Ok(mut decoder) => {
                    decoder.set_context(topic, id);
                    Ok(Arc::new(Mutex::new(decoder)))
                }
                Err(e) => Err(format!(
                    "Failed to deserialize data for topic {topic} to Avro: {}",
                    e.message()
                )),
            },
        )
    }
}

/// The (schema id) of a payload in Confluent's wire format.
fn schema_id(payload: &[u8]) -> Option<i32> {
    match payload {
        [MAGIC_BYTE, a, b, c, d, ..] => Some(i32::from_be_bytes([*a, *b, *c, *d])),
        _ => None,
    }
}

/// The full name (`namespace.name`) of a record schema, for the record-name strategies.
fn record_full_name(avro_schema_json: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(avro_schema_json).ok()?;
    let name = value.get("name")?.as_str()?;
    if name.contains('.') {
        return Some(name.to_string());
    }
    match value.get("namespace").and_then(|n| n.as_str()) {
        Some(ns) if !ns.is_empty() => Some(format!("{ns}.{name}")),
        _ => Some(name.to_string()),
    }
}

/// Decode one run of rows (`bodies`, starting at row `start`) into a segment: with the run's
/// decoder, or as nulls when the run has none (only null or failed payloads: Java gives them a
/// null schema).
fn close_run(
    decoder: Option<Arc<Mutex<AvroDecoder>>>,
    start: usize,
    bodies: &mut Vec<Option<&[u8]>>,
    segments: &mut Vec<Segment>,
    errors: &mut Vec<RowError>,
) -> Result<()> {
    if bodies.is_empty() {
        return Ok(());
    }
    let rows = bodies.len();
    let (field, array) = match decoder {
        Some(decoder) => {
            let mut decoder = decoder.lock().map_err(|_| Error::bug("poisoned"))?;
            let (array, row_errors) = decoder.decode(bodies.iter().copied())?;
            bodies.clear();
            errors.extend(row_errors.into_iter().map(|e| RowError {
                row: start + e.row,
                error: e.error,
            }));
            (decoder.field().clone(), array)
        }
        None => {
            bodies.clear();
            (
                Field::new("value", DataType::Null, true),
                arrow::array::new_null_array(&DataType::Null, rows),
            )
        }
    };
    segments.push(Segment {
        start_row: start,
        field,
        array,
    });
    Ok(())
}

fn topics_of(topics: &ArrayRef) -> Result<TopicColumn<'_>> {
    TopicColumn::new(topics)
        .ok_or_else(|| Error::bug("AvroConverter: the topic column is not Utf8"))
}

#[async_trait]
impl Converter for AvroConverter {
    fn from_connect(&self, _field: &Field, _column: &ArrayRef) -> Result<BinaryArray> {
        Err(Error::bug(
            "AvroConverter needs the records' topics: the runtime calls from_connect_for",
        ))
    }

    fn to_connect(&self, _payloads: &BinaryArray) -> Result<Decoded> {
        Err(Error::bug(
            "AvroConverter needs the records' topics: the runtime calls to_connect_for",
        ))
    }

    async fn prepare_to_connect(&self, topics: &ArrayRef, payloads: &BinaryArray) -> Result<()> {
        let topic_column = topics_of(topics)?;
        let mut wanted: Vec<(String, i32)> = Vec::new();
        {
            let known = self.decoders.lock().map_err(|_| Error::bug("poisoned"))?;
            let mut last: Option<(&str, i32)> = None;
            for row in 0..payloads.len() {
                if payloads.is_null(row) {
                    continue;
                }
                let Some(id) = schema_id(payloads.value(row)) else {
                    continue;
                };
                let topic = topic_column.get(row).unwrap_or_default();
                if last == Some((topic, id)) {
                    continue;
                }
                last = Some((topic, id));
                let key = (topic.to_string(), id);
                if !known.contains_key(&key) && !wanted.contains(&key) {
                    wanted.push(key);
                }
            }
        }
        for (topic, id) in wanted {
            let slot = self.fetch_decoder(&topic, id).await?;
            // A schema that does not exist is not cached: it is asked again per batch (not
            // per record), in case the payloads were written against a registry being filled.
            if slot.is_ok() {
                self.decoders
                    .lock()
                    .map_err(|_| Error::bug("poisoned"))?
                    .insert((topic, id), slot);
            } else if let Err(message) = slot {
                tracing::debug!(id, %message, "Avro schema not available");
            }
        }
        Ok(())
    }

    fn to_connect_for(&self, topics: &ArrayRef, payloads: &BinaryArray) -> Result<Decoded> {
        let topic_column = topics_of(topics)?;
        let decoders = self
            .decoders
            .lock()
            .map_err(|_| Error::bug("poisoned"))?
            .clone();
        let mut segments: Vec<Segment> = Vec::new();
        let mut errors: Vec<RowError> = Vec::new();
        // Rows are decoded in runs of one decoder; null payloads and failed rows are nulls of
        // the run they fall in.
        let mut current: Option<Arc<Mutex<AvroDecoder>>> = None;
        let mut start = 0;
        let mut bodies: Vec<Option<&[u8]>> = Vec::new();
        for row in 0..payloads.len() {
            if payloads.is_null(row) {
                bodies.push(None);
                continue;
            }
            let payload = payloads.value(row);
            let topic = topic_column.get(row).unwrap_or_default();
            let decoder = match schema_id(payload) {
                None => Err(format!(
                    "Failed to deserialize data for topic {topic} to Avro: Unknown magic byte!"
                )),
                Some(id) => match decoders.get(&(topic.to_string(), id)) {
                    Some(Ok(decoder)) => Ok(decoder.clone()),
                    _ => Err(format!(
                        "Failed to deserialize data for topic {topic} to Avro: Error retrieving \
                         Avro {} schema for id {id}",
                        self.which()
                    )),
                },
            };
            match decoder {
                Err(message) => {
                    errors.push(RowError {
                        row,
                        error: Error::data(message),
                    });
                    bodies.push(None);
                }
                Ok(decoder) => {
                    if current.as_ref().is_some_and(|c| !Arc::ptr_eq(c, &decoder)) {
                        close_run(
                            current.take(),
                            start,
                            &mut bodies,
                            &mut segments,
                            &mut errors,
                        )?;
                        start = row;
                    }
                    current.get_or_insert(decoder);
                    bodies.push(Some(&payload[HEADER_LEN..]));
                }
            }
        }
        close_run(current, start, &mut bodies, &mut segments, &mut errors)?;
        if segments.is_empty() {
            segments.push(Segment {
                start_row: 0,
                field: Field::new("value", DataType::Null, true),
                array: arrow::array::new_null_array(&DataType::Null, 0),
            });
        }
        errors.sort_by_key(|e| e.row);
        Ok(Decoded { segments, errors })
    }

    async fn prepare_from_connect(&self, topics: &[String], field: &Field) -> Result<()> {
        let schema = super::from_connect_schema(field, &self.config.data)?;
        let record = record_full_name(&schema);
        for topic in topics {
            let subject = self
                .strategy()
                .subject_name(topic, self.is_key, record.as_deref())?;
            let key = (subject.clone(), schema.clone());
            if self
                .ids
                .lock()
                .map_err(|_| Error::bug("poisoned"))?
                .contains_key(&key)
            {
                continue;
            }
            let normalize = self.config.registry.normalize_schemas;
            let id = if self.config.registry.auto_register_schemas {
                self.client
                    .register(&subject, SchemaType::Avro, &schema, &[], normalize)
                    .await?
            } else {
                match self
                    .client
                    .lookup(&subject, SchemaType::Avro, &schema, &[], normalize)
                    .await?
                {
                    Some(found) => found.id,
                    None => {
                        return Err(Error::data(format!(
                            "Failed to serialize Avro data from topic {topic}: schema not found \
                             under subject {subject} and auto.register.schemas=false"
                        )))
                    }
                }
            };
            self.ids
                .lock()
                .map_err(|_| Error::bug("poisoned"))?
                .insert(key, id);
        }
        Ok(())
    }

    fn from_connect_for(
        &self,
        topics: &ArrayRef,
        field: &Field,
        column: &ArrayRef,
    ) -> Result<BinaryArray> {
        let topic_column = topics_of(topics)?;
        let schema = super::from_connect_schema(field, &self.config.data)?;
        let record = record_full_name(&schema);
        let (bodies, row_errors) = super::encode(field, column, &self.config.data)?;
        if let Some(e) = row_errors.into_iter().next() {
            let topic = topic_column.get(e.row).unwrap_or_default();
            return Err(Error::data(format!(
                "Failed to serialize Avro data from topic {topic}: {}",
                e.error.message()
            )));
        }
        let ids = self.ids.lock().map_err(|_| Error::bug("poisoned"))?;
        let mut out = BinaryBuilder::with_capacity(
            bodies.len(),
            bodies.iter().flatten().map(|b| b.len() + HEADER_LEN).sum(),
        );
        let mut last: Option<(&str, i32)> = None;
        for (row, body) in bodies.iter().enumerate() {
            let Some(body) = body else {
                out.append_null();
                continue;
            };
            let topic = topic_column.get(row).unwrap_or_default();
            let id = match last {
                Some((t, id)) if t == topic => id,
                _ => {
                    let subject =
                        self.strategy()
                            .subject_name(topic, self.is_key, record.as_deref())?;
                    let id = *ids.get(&(subject, schema.clone())).ok_or_else(|| {
                        Error::bug("AvroConverter: the schema was not registered before encoding")
                    })?;
                    last = Some((topic, id));
                    id
                }
            };
            let mut payload = Vec::with_capacity(HEADER_LEN + body.len());
            payload.push(MAGIC_BYTE);
            payload.extend_from_slice(&id.to_be_bytes());
            payload.extend_from_slice(body);
            out.append_value(&payload);
        }
        Ok(out.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strait_engine::config::props_from;

    #[test]
    fn wire_format_header() {
        assert_eq!(schema_id(&[0, 0, 0, 1, 2, 9]), Some(258));
        assert_eq!(schema_id(&[0, 0x7f, 0xff, 0xff, 0xff]), Some(i32::MAX));
        // Wrong magic byte, or too short for an id.
        assert_eq!(schema_id(&[1, 0, 0, 0, 1]), None);
        assert_eq!(schema_id(&[0, 0, 0, 1]), None);
    }

    #[test]
    fn record_names_for_the_record_strategies() {
        assert_eq!(
            record_full_name(r#"{"type":"record","name":"Order","namespace":"shop"}"#).as_deref(),
            Some("shop.Order")
        );
        assert_eq!(
            record_full_name(r#"{"type":"record","name":"a.b.C","namespace":"ignored"}"#)
                .as_deref(),
            Some("a.b.C")
        );
        assert_eq!(record_full_name(r#""string""#), None);
    }

    #[test]
    fn unsupported_settings_are_refused_at_start() {
        let err = AvroConverter::new(
            &props_from(&[
                ("schema.registry.url", "http://127.0.0.1:8081"),
                ("use.latest.version", "true"),
            ]),
            false,
        )
        .unwrap_err();
        assert!(err.message().contains("use.latest.version"), "{err}");
        let err = AvroConverter::new(&props_from(&[]), false).unwrap_err();
        assert!(err.message().contains("schema.registry.url"), "{err}");
    }

    /// The fuzz target's schema (fuzz/fuzz_targets/avro_decoder.rs) must be one the decoder
    /// accepts, or the target would test nothing.
    #[test]
    fn the_fuzz_targets_schema_is_accepted() {
        let schema = include_str!("../../../fuzz/fuzz_targets/avro_decoder.rs");
        let start = schema.find("r#\"").unwrap() + 3;
        let end = schema[start..].find("\"#").unwrap() + start;
        let mut decoder =
            AvroDecoder::new(&schema[start..end], &AvroDataConfig::default()).unwrap();
        let (array, errors) = decoder.decode([Some(&[0u8][..])]).unwrap();
        assert_eq!(array.len(), 1);
        assert_eq!(errors.len(), 1, "a one-byte body is truncated");
    }
}
