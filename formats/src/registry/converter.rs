//! The part of Confluent's registry converters (AvroConverter, ProtobufConverter,
//! JsonSchemaConverter) that does not depend on the schema format: the wire format (magic byte
//! 0, the schema's registry id as 4 big-endian bytes, the format's body), subject names, schema
//! fetching and registration, and decoding a batch in runs of one writer schema.
//!
//! Decoding (sinks): `prepare_to_connect` reads the ids of a batch's payloads and fetches each
//! unknown writer schema once, with its references (transitively) and its version under the
//! record's subject (which Java's deserializers put on the Connect schema), building one
//! [`SchemaDecoder`] per (topic, id); then `to_connect_for` decodes each run of rows with one
//! schema straight into Arrow, one segment per run. The registry is asked once per schema,
//! never per record.
//!
//! Encoding (sources): `prepare_from_connect` maps the batch's Connect schema to the format's
//! schema ([`SchemaFormat::schema_for`]) and registers it (`auto.register.schemas=true`, the
//! default; its references first, each under its own name as subject, as Java's
//! `DefaultReferenceSubjectNameStrategy` does) or looks it up under each topic's subject;
//! `from_connect_for` writes the header and body per row.
//!
//! `use.latest.version`: when decoding, rows are read as the latest version of their subject
//! (as Java's deserializers use it as the reader schema): fields matched by name, defaults
//! filled in, removed fields dropped, numbers widened (see [`project`](super::project)); the
//! latest version is asked per batch through the client's cache (`latest.cache.ttl.sec`).
//! When encoding with `auto.register.schemas=false`, records are written with the latest
//! version's id and shape; `latest.compatibility.strict` (default true) first refuses a latest
//! version that cannot read the record's schema, with Java's message. Where Java writes the
//! record's fields by position into the latest schema, Strait matches them by name.
//!
//! A payload whose schema does not exist is a row error naming the id; a registry that cannot
//! be reached is retriable (the task waits per `errors.retry.timeout`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arrow::array::{Array, ArrayRef, BinaryArray, BinaryBuilder};
use arrow::datatypes::{DataType, Field};
use async_trait::async_trait;
use strait_engine::batch::TopicColumn;
use strait_engine::plugin::{Converter, Decoded, RowError, Segment};
use strait_engine::{Error, Result};

use crate::json::connect::ConnectSchema;

use super::project::{self, check};
use super::{
    RegisteredSchema, RegistryClient, RegistryConfig, SchemaReference, SchemaType,
    SubjectNameStrategy,
};

/// Confluent's wire format: magic byte, then the schema id.
pub const MAGIC_BYTE: u8 = 0;
/// The magic byte and the schema id.
pub const HEADER_LEN: usize = 5;

/// The (schema id) of a payload in Confluent's wire format.
pub fn schema_id(payload: &[u8]) -> Option<i32> {
    match payload {
        [MAGIC_BYTE, a, b, c, d, ..] => Some(i32::from_be_bytes([*a, *b, *c, *d])),
        _ => None,
    }
}

/// A schema with every schema it references, transitively: what a format needs to parse it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ResolvedSchema {
    /// The schema's text as the registry holds it.
    pub schema: String,
    /// Each referenced schema (and the ones they reference) as (reference name, schema text),
    /// dependencies before the schemas that import them.
    pub references: Vec<(String, String)>,
}

impl ResolvedSchema {
    /// A schema that references nothing.
    pub fn plain(schema: impl Into<String>) -> Self {
        ResolvedSchema {
            schema: schema.into(),
            references: Vec::new(),
        }
    }
}

/// What a registry converter needs from its schema format (Avro, Protobuf, JSON Schema).
pub trait SchemaFormat: Send + Sync + 'static {
    /// The registry's `schemaType` of the format's schemas.
    const SCHEMA_TYPE: SchemaType;
    /// The format's name in Confluent's messages (`Avro`, `Protobuf`, `JSON`).
    const NAME: &'static str;
    /// A decoder for one writer schema.
    type Decoder: SchemaDecoder;
    /// Whether a body written with one version of a subject's schema can be decoded with
    /// another (Protobuf reads by field tag, JSON by member name): `use.latest.version` then
    /// decodes with the latest version directly, as Java does. Avro bodies need their writer
    /// schema; they are decoded with it and projected onto the latest version.
    const READS_ANY_VERSION: bool = false;

    /// The name the record-name subject strategies use for this schema (an Avro record's full
    /// name, a Protobuf schema's first message's full name, a JSON Schema's `title`), `None`
    /// when it has none.
    fn record_name(&self, schema: &str) -> Option<String>;

    /// A decoder for a writer schema; `version` is its version under the record's subject (Java
    /// puts it on the Connect schema), `None` when it is not registered there. An error is a
    /// data error: the rows written with this schema fail.
    fn decoder(
        &self,
        writer: &ResolvedSchema,
        version: Option<i32>,
        topic: &str,
        id: i32,
    ) -> Result<Self::Decoder>;

    /// The Connect schema (as an Arrow field) the format's `toConnectSchema` makes of `schema`,
    /// with its registry `version`: the target of `use.latest.version`.
    fn connect_field(&self, schema: &ResolvedSchema, version: Option<i32>) -> Result<Field> {
        Ok(self.decoder(schema, version, "", -1)?.field().clone())
    }

    /// The schema the format's `fromConnectSchema` makes of a Connect field, to register
    /// (references, if any, are registered first under their names).
    fn schema_for(&self, field: &Field) -> Result<ResolvedSchema>;

    /// The body (what follows the 5-byte header) of every row of `column`, written under
    /// `schema` (= `schema_for(field)`); `None` where the format writes no payload (a
    /// tombstone: Avro and Protobuf for a null value; JSON Schema writes the body `null`, as
    /// Java does) and for a row that cannot be written, which is also a [`RowError`].
    fn encode(
        &self,
        field: &Field,
        schema: &ResolvedSchema,
        column: &ArrayRef,
    ) -> Result<(Vec<Option<Vec<u8>>>, Vec<RowError>)>;
}

/// Decodes the bodies written with one writer schema straight into Arrow.
pub trait SchemaDecoder: Send + 'static {
    /// The Arrow field (Connect schema) of what the last [`decode`](Self::decode) returned.
    fn field(&self) -> &Field;

    /// One row per body (`None` is a null row): the array, and the rows that could not be
    /// decoded (numbered from 0 within `bodies`; they are nulls in the array).
    fn decode(&mut self, bodies: &[Option<&[u8]>]) -> Result<(ArrayRef, Vec<RowError>)>;
}

/// A writer schema fetched for a (topic, id), ready to decode; or why it could not be had.
type DecoderSlot<D> = std::result::Result<Arc<Mutex<D>>, String>;

/// A Confluent registry converter for the format `F` (see the module docs).
pub struct RegistryConverter<F: SchemaFormat> {
    format: F,
    is_key: bool,
    client: Arc<RegistryClient>,
    strategy: SubjectNameStrategy,
    auto_register: bool,
    normalize: bool,
    /// `use.latest.version` and `latest.compatibility.strict`.
    use_latest: bool,
    latest_strict: bool,
    /// (topic, schema id) → decoder.
    decoders: Mutex<HashMap<(String, i32), DecoderSlot<F::Decoder>>>,
    /// `use.latest.version`, decoding: (topic, writer schema id) → the latest version of its
    /// subject the rows are read as (absent when the writer schema is the latest).
    read_as: Mutex<HashMap<(String, i32), ReadAs<F::Decoder>>>,
    /// (subject, schema) → registered id.
    ids: Mutex<HashMap<(String, ResolvedSchema), i32>>,
    /// `use.latest.version` (with `auto.register.schemas=false`), encoding: subject → the
    /// latest version records are written with.
    write_as: Mutex<HashMap<String, Arc<Latest<F::Decoder>>>>,
}

/// The latest version of a subject as a Connect schema.
struct Latest<D> {
    id: i32,
    schema: ResolvedSchema,
    field: Field,
    connect: ConnectSchema,
    /// For formats whose bodies any version of the schema reads ([`SchemaFormat::
    /// READS_ANY_VERSION`]): a decoder of the latest version, which reads them directly.
    decoder: Option<Arc<Mutex<D>>>,
}

/// The reading target of a writer schema under `use.latest.version`: the latest version, or
/// why it cannot be had (the rows fail with that message).
type ReadAs<D> = std::result::Result<Arc<Latest<D>>, String>;

impl<F: SchemaFormat> std::fmt::Debug for RegistryConverter<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct(&format!("{}Converter", F::NAME))
            .field("is_key", &self.is_key)
            .field("registry", &self.client.urls())
            .finish()
    }
}

fn poisoned() -> Error {
    Error::bug("a registry converter's cache lock was poisoned")
}

impl<F: SchemaFormat> RegistryConverter<F> {
    /// A converter speaking `format` to the registry `config` names. The settings no format
    /// supports yet are refused here.
    pub fn with_format(format: F, config: &RegistryConfig, is_key: bool) -> Result<Self> {
        Ok(RegistryConverter {
            format,
            is_key,
            client: Arc::new(RegistryClient::new(config)?),
            strategy: if is_key {
                config.key_subject_name_strategy
            } else {
                config.value_subject_name_strategy
            },
            auto_register: config.auto_register_schemas,
            normalize: config.normalize_schemas,
            use_latest: config.use_latest_version,
            latest_strict: config.latest_compatibility_strict,
            decoders: Mutex::new(HashMap::new()),
            read_as: Mutex::new(HashMap::new()),
            ids: Mutex::new(HashMap::new()),
            write_as: Mutex::new(HashMap::new()),
        })
    }

    /// The format.
    pub fn format(&self) -> &F {
        &self.format
    }

    fn which(&self) -> &'static str {
        if self.is_key {
            "key"
        } else {
            "value"
        }
    }

    /// `schema` with its references resolved from the registry, transitively.
    async fn resolve(
        &self,
        schema: &str,
        references: &[SchemaReference],
    ) -> Result<ResolvedSchema> {
        let mut resolved = ResolvedSchema::plain(schema);
        // Depth-first, dependencies first; a reference met twice is kept once.
        let mut stack: Vec<(SchemaReference, bool)> = references
            .iter()
            .rev()
            .map(|r| (r.clone(), false))
            .collect();
        while let Some((reference, expanded)) = stack.pop() {
            if resolved
                .references
                .iter()
                .any(|(n, _)| *n == reference.name)
            {
                continue;
            }
            let found = self
                .client
                .version(&reference.subject, reference.version)
                .await?;
            if expanded || found.references.is_empty() {
                resolved
                    .references
                    .push((reference.name.clone(), found.schema.clone()));
                continue;
            }
            if stack.len() > 10_000 {
                return Err(Error::data(format!(
                    "schema references under {} do not end",
                    reference.subject
                )));
            }
            stack.push((reference, true));
            stack.extend(found.references.iter().rev().map(|r| (r.clone(), false)));
        }
        Ok(resolved)
    }

    /// The decoder for a (topic, id), fetching its writer schema if needed.
    async fn fetch_decoder(&self, topic: &str, id: i32) -> Result<DecoderSlot<F::Decoder>> {
        let name = F::NAME;
        let registered: Arc<RegisteredSchema> = match self.client.schema_by_id(id).await {
            Ok(s) => s,
            Err(e) if e.is_retriable() => return Err(e),
            Err(e) => {
                return Ok(Err(format!(
                    "Error retrieving {name} {} schema for id {id}: {}",
                    self.which(),
                    e.message()
                )))
            }
        };
        if registered.schema_type != F::SCHEMA_TYPE {
            return Ok(Err(format!(
                "Schema {id} is a {} schema, not {}",
                registered.schema_type.as_str(),
                F::SCHEMA_TYPE.as_str()
            )));
        }
        let writer = match self
            .resolve(&registered.schema, &registered.references)
            .await
        {
            Ok(w) => w,
            Err(e) if e.is_retriable() => return Err(e),
            Err(e) => {
                return Ok(Err(format!(
                    "Error retrieving the references of {name} schema {id}: {}",
                    e.message()
                )))
            }
        };
        // Java's deserializers look the version up under the record's subject and put it on
        // the Connect schema; a schema registered under another subject has none.
        let record = self.format.record_name(&registered.schema);
        let version = match self
            .strategy
            .subject_name(topic, self.is_key, record.as_deref())
        {
            Ok(subject) => self
                .client
                .lookup(
                    &subject,
                    F::SCHEMA_TYPE,
                    &registered.schema,
                    &registered.references,
                    false,
                )
                .await
                .map(|found| found.map(|v| v.version))
                .or_else(|e| if e.is_retriable() { Err(e) } else { Ok(None) })?,
            Err(_) => None,
        };
        Ok(match self.format.decoder(&writer, version, topic, id) {
            Ok(decoder) => Ok(Arc::new(Mutex::new(decoder))),
            Err(e) => Err(format!(
                "Failed to deserialize data for topic {topic} to {name}: {}",
                e.message()
            )),
        })
    }

    /// The latest version of `subject` as a Connect schema; `previous` is reused while the
    /// latest id is unchanged (the registry client caches the latest version per
    /// `latest.cache.ttl.sec`).
    async fn latest(
        &self,
        topic: &str,
        subject: &str,
        previous: Option<Arc<Latest<F::Decoder>>>,
    ) -> Result<Arc<Latest<F::Decoder>>> {
        let found = self.client.latest(subject).await?;
        if let Some(previous) = previous.filter(|p| p.id == found.id) {
            return Ok(previous);
        }
        let schema = self.resolve(&found.schema, &found.references).await?;
        let field = self.format.connect_field(&schema, Some(found.version))?;
        let connect = project::connect_schema(&field).map_err(Error::data)?;
        let decoder = if F::READS_ANY_VERSION {
            let decoder = self
                .format
                .decoder(&schema, Some(found.version), topic, found.id)?;
            Some(Arc::new(Mutex::new(decoder)))
        } else {
            None
        };
        Ok(Arc::new(Latest {
            id: found.id,
            schema,
            field,
            connect,
            decoder,
        }))
    }

    /// `use.latest.version` applies to writing only with `auto.register.schemas=false`, as in
    /// Java's serializers.
    fn writes_latest(&self) -> bool {
        self.use_latest && !self.auto_register
    }

    /// `use.latest.version`, encoding: fetch the latest version of `subject` records of
    /// `field` are written with; with `latest.compatibility.strict`, refuse it unless it can
    /// read them (Java's `isBackwardCompatible` check).
    async fn prepare_write_as(&self, topic: &str, field: &Field, subject: String) -> Result<()> {
        let previous = self
            .write_as
            .lock()
            .map_err(|_| poisoned())?
            .get(&subject)
            .cloned();
        let latest = self.latest(topic, &subject, previous).await?;
        if self.latest_strict {
            let record = project::connect_schema(field).map_err(Error::data)?;
            let problems = check(&record, &latest.connect);
            if !problems.is_empty() {
                tracing::error!(
                    %subject,
                    problems = %problems.join("; "),
                    "the latest schema cannot read the record's schema"
                );
                return Err(Error::data(format!(
                    "Incompatible schema of type '{}'. Set latest.compatibility.strict=false to \
                     disable this check. See log file for more details. ({})",
                    F::SCHEMA_TYPE.as_str(),
                    problems.join("; ")
                )));
            }
        }
        self.write_as
            .lock()
            .map_err(|_| poisoned())?
            .insert(subject, latest);
        Ok(())
    }

    /// `use.latest.version`, decoding: what rows of `topic` written with schema `id` are read
    /// as (Java's deserializer reads them with the latest version of their subject).
    async fn refresh_read_as(&self, topic: String, id: i32) -> Result<()> {
        let key = (topic, id);
        if !matches!(
            self.decoders.lock().map_err(|_| poisoned())?.get(&key),
            Some(Ok(_))
        ) {
            return Ok(());
        }
        let writer = self.client.schema_by_id(id).await?;
        let record = self.format.record_name(&writer.schema);
        let previous = match self.read_as.lock().map_err(|_| poisoned())?.get(&key) {
            Some(Ok(latest)) => Some(latest.clone()),
            _ => None,
        };
        let read_as = match self
            .strategy
            .subject_name(&key.0, self.is_key, record.as_deref())
        {
            Err(e) => Some(Err(e.message().to_string())),
            Ok(subject) => match self.latest(&key.0, &subject, previous).await {
                Ok(latest) if latest.id == id => None,
                Ok(latest) => Some(Ok(latest)),
                Err(e) if e.is_retriable() => return Err(e),
                Err(e) => Some(Err(format!(
                    "Error retrieving the latest version of subject {subject}: {}",
                    e.message()
                ))),
            },
        };
        let mut map = self.read_as.lock().map_err(|_| poisoned())?;
        match read_as {
            None => map.remove(&key),
            Some(r) => map.insert(key, r),
        };
        Ok(())
    }

    /// Register (or, with `auto.register.schemas=false`, look up) `schema` under `subject`:
    /// its id. References are registered first, each under its name as subject.
    async fn schema_id_for(
        &self,
        topic: &str,
        subject: &str,
        schema: &ResolvedSchema,
    ) -> Result<i32> {
        let mut references = Vec::with_capacity(schema.references.len());
        for (name, text) in &schema.references {
            if self.auto_register {
                self.client
                    .register(name, F::SCHEMA_TYPE, text, &[], self.normalize)
                    .await?;
            }
            // A reference names a version, which registering does not answer.
            let found = self.find(topic, name, text, &[]).await?;
            references.push(SchemaReference {
                name: name.clone(),
                subject: name.clone(),
                version: found.version,
            });
        }
        if self.auto_register {
            return self
                .client
                .register(
                    subject,
                    F::SCHEMA_TYPE,
                    &schema.schema,
                    &references,
                    self.normalize,
                )
                .await;
        }
        Ok(self
            .find(topic, subject, &schema.schema, &references)
            .await?
            .id)
    }

    /// The version of `subject` holding `schema`; not there is a data error.
    async fn find(
        &self,
        topic: &str,
        subject: &str,
        schema: &str,
        references: &[SchemaReference],
    ) -> Result<Arc<super::SubjectVersion>> {
        self.client
            .lookup(subject, F::SCHEMA_TYPE, schema, references, self.normalize)
            .await?
            .ok_or_else(|| {
                Error::data(format!(
                    "Failed to serialize {} data from topic {topic}: schema not found under \
                     subject {subject} and auto.register.schemas=false",
                    F::NAME
                ))
            })
    }
}

/// A run of rows decoded with one writer schema: its decoder (none when the run holds only
/// null or failed payloads: Java gives them a null schema), and under `use.latest.version` the
/// version it is read as.
struct Run<D> {
    /// The writer schema's decoder: what the run's rows share.
    writer: Arc<Mutex<D>>,
    /// What decodes them: the writer's, or the latest version's.
    decoder: Arc<Mutex<D>>,
    read_as: Option<ReadAs<D>>,
}

/// Decode one run of rows (`bodies`, starting at row `start`) into a segment.
fn close_run<D: SchemaDecoder>(
    run: Option<Run<D>>,
    start: usize,
    bodies: &mut Vec<Option<&[u8]>>,
    segments: &mut Vec<Segment>,
    errors: &mut Vec<RowError>,
) -> Result<()> {
    if bodies.is_empty() {
        return Ok(());
    }
    let rows = bodies.len();
    let (field, array) = match run {
        Some(run) => {
            let mut decoder = run.decoder.lock().map_err(|_| poisoned())?;
            let (array, row_errors) = decoder.decode(bodies)?;
            let failed: Vec<usize> = row_errors.iter().map(|e| e.row).collect();
            errors.extend(row_errors.into_iter().map(|e| RowError {
                row: start + e.row,
                error: e.error,
            }));
            let read = match run.read_as {
                None => Ok((decoder.field().clone(), array)),
                Some(Ok(latest)) => project::connect_schema(decoder.field())
                    .and_then(|from| {
                        project::project(&array, &from, &latest.connect, latest.field.data_type())
                    })
                    .map(|array| (latest.field.clone(), array))
                    .map_err(|problem| {
                        (
                            latest.field.clone(),
                            format!(
                                "cannot read the record as the latest version of its subject \
                                 (schema id {}): {problem}",
                                latest.id
                            ),
                        )
                    }),
                Some(Err(message)) => Err((decoder.field().clone(), message)),
            };
            match read {
                Ok(read) => read,
                Err((field, message)) => {
                    // Every row of the run that decoded fails with the reason.
                    for (i, body) in bodies.iter().enumerate() {
                        if body.is_some() && !failed.contains(&i) {
                            errors.push(RowError {
                                row: start + i,
                                error: Error::data(message.clone()),
                            });
                        }
                    }
                    let array = arrow::array::new_null_array(field.data_type(), rows);
                    (field, array)
                }
            }
        }
        None => (
            Field::new("value", DataType::Null, true),
            arrow::array::new_null_array(&DataType::Null, rows),
        ),
    };
    bodies.clear();
    segments.push(Segment {
        start_row: start,
        field,
        array,
    });
    Ok(())
}

fn topics_of(topics: &ArrayRef) -> Result<TopicColumn<'_>> {
    TopicColumn::new(topics)
        .ok_or_else(|| Error::bug("registry converter: the topic column is not Utf8"))
}

#[async_trait]
impl<F: SchemaFormat> Converter for RegistryConverter<F> {
    fn from_connect(&self, _field: &Field, _column: &ArrayRef) -> Result<BinaryArray> {
        Err(Error::bug(
            "registry converters need the records' topics: the runtime calls from_connect_for",
        ))
    }

    fn to_connect(&self, _payloads: &BinaryArray) -> Result<Decoded> {
        Err(Error::bug(
            "registry converters need the records' topics: the runtime calls to_connect_for",
        ))
    }

    async fn prepare_to_connect(&self, topics: &ArrayRef, payloads: &BinaryArray) -> Result<()> {
        let topic_column = topics_of(topics)?;
        let mut wanted: Vec<(String, i32)> = Vec::new();
        let mut seen: Vec<(String, i32)> = Vec::new();
        {
            let known = self.decoders.lock().map_err(|_| poisoned())?;
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
                if seen.contains(&key) {
                    continue;
                }
                if !known.contains_key(&key) {
                    wanted.push(key.clone());
                }
                seen.push(key);
            }
        }
        for (topic, id) in wanted {
            match self.fetch_decoder(&topic, id).await? {
                Ok(decoder) => {
                    self.decoders
                        .lock()
                        .map_err(|_| poisoned())?
                        .insert((topic, id), Ok(decoder));
                }
                // A schema that does not exist is not cached: it is asked again per batch (not
                // per record), in case the payloads were written against a registry being
                // filled.
                Err(message) => tracing::debug!(id, %message, "schema not available"),
            }
        }
        if self.use_latest {
            for (topic, id) in seen {
                self.refresh_read_as(topic, id).await?;
            }
        }
        Ok(())
    }

    fn to_connect_for(&self, topics: &ArrayRef, payloads: &BinaryArray) -> Result<Decoded> {
        let name = F::NAME;
        let topic_column = topics_of(topics)?;
        // Held for the batch (nothing here awaits): `prepare_to_connect` filled them.
        let decoders = self.decoders.lock().map_err(|_| poisoned())?;
        let read_as = if self.use_latest {
            Some(self.read_as.lock().map_err(|_| poisoned())?)
        } else {
            None
        };
        let mut segments: Vec<Segment> = Vec::new();
        let mut errors: Vec<RowError> = Vec::new();
        // Rows are decoded in runs of one decoder; null payloads and failed rows are nulls of
        // the run they fall in.
        let mut current: Option<Run<F::Decoder>> = None;
        let mut start = 0;
        let mut bodies: Vec<Option<&[u8]>> = Vec::with_capacity(payloads.len());
        // The previous row's (topic, id) and decoder: consecutive rows mostly share them, so
        // the map is asked (and a key built) only when they change.
        let mut last: Option<(&str, i32, &Arc<Mutex<F::Decoder>>)> = None;
        for row in 0..payloads.len() {
            if payloads.is_null(row) {
                bodies.push(None);
                continue;
            }
            let payload = payloads.value(row);
            let topic = topic_column.get(row).unwrap_or_default();
            let decoder = match schema_id(payload) {
                None => Err(format!(
                    "Failed to deserialize data for topic {topic} to {name}: Unknown magic byte!"
                )),
                Some(id) => match last {
                    Some((t, i, decoder)) if i == id && t == topic => Ok((decoder, id)),
                    _ => match decoders.get(&(topic.to_string(), id)) {
                        Some(Ok(decoder)) => {
                            last = Some((topic, id, decoder));
                            Ok((decoder, id))
                        }
                        _ => Err(format!(
                            "Failed to deserialize data for topic {topic} to {name}: Error \
                             retrieving {name} {} schema for id {id}",
                            self.which()
                        )),
                    },
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
                Ok((decoder, id)) => {
                    if current
                        .as_ref()
                        .is_some_and(|c| !Arc::ptr_eq(&c.writer, decoder))
                    {
                        close_run(
                            current.take(),
                            start,
                            &mut bodies,
                            &mut segments,
                            &mut errors,
                        )?;
                        start = row;
                    }
                    if current.is_none() {
                        let latest = read_as
                            .as_deref()
                            .and_then(|m| m.get(&(topic.to_string(), id)));
                        current = Some(match latest {
                            // Read with the latest version's own decoder.
                            Some(Ok(latest)) if latest.decoder.is_some() => Run {
                                writer: decoder.clone(),
                                decoder: latest.decoder.clone().unwrap_or_else(|| decoder.clone()),
                                read_as: None,
                            },
                            other => Run {
                                writer: decoder.clone(),
                                decoder: decoder.clone(),
                                read_as: other.cloned(),
                            },
                        });
                    }
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
        let schema = self.format.schema_for(field)?;
        let record = self.format.record_name(&schema.schema);
        for topic in topics {
            let subject = self
                .strategy
                .subject_name(topic, self.is_key, record.as_deref())?;
            if self.writes_latest() {
                self.prepare_write_as(topic, field, subject).await?;
                continue;
            }
            let key = (subject, schema.clone());
            if self.ids.lock().map_err(|_| poisoned())?.contains_key(&key) {
                continue;
            }
            let id = self.schema_id_for(topic, &key.0, &schema).await?;
            self.ids.lock().map_err(|_| poisoned())?.insert(key, id);
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
        let fail = |row: usize, message: &str| {
            let topic = topic_column.get(row).unwrap_or_default();
            Error::data(format!(
                "Failed to serialize {} data from topic {topic}: {message}",
                F::NAME
            ))
        };
        let schema = self.format.schema_for(field)?;
        let record = self.format.record_name(&schema.schema);
        // Each run of rows of one topic goes to one subject: (first row, body per row, id).
        let mut runs: Vec<(usize, Vec<Option<Vec<u8>>>, i32)> = Vec::new();
        if self.writes_latest() {
            // Written as the subject's latest version, prepared by `prepare_from_connect`.
            let record_connect = project::connect_schema(field).map_err(Error::data)?;
            let write_as = self.write_as.lock().map_err(|_| poisoned())?.clone();
            let mut start = 0;
            while start < column.len() {
                let topic = topic_column.get(start).unwrap_or_default();
                let mut end = start + 1;
                while end < column.len() && topic_column.get(end).unwrap_or_default() == topic {
                    end += 1;
                }
                let subject = self
                    .strategy
                    .subject_name(topic, self.is_key, record.as_deref())?;
                let latest = write_as.get(&subject).ok_or_else(|| {
                    Error::bug(
                        "registry converter: the latest version was not fetched before encoding",
                    )
                })?;
                let projected = project::project(
                    &column.slice(start, end - start),
                    &record_connect,
                    &latest.connect,
                    latest.field.data_type(),
                )
                .map_err(|problem| fail(start, &problem))?;
                let (bodies, row_errors) =
                    self.format
                        .encode(&latest.field, &latest.schema, &projected)?;
                if let Some(e) = row_errors.into_iter().next() {
                    return Err(fail(start + e.row, e.error.message()));
                }
                runs.push((start, bodies, latest.id));
                start = end;
            }
        } else {
            let (bodies, row_errors) = self.format.encode(field, &schema, column)?;
            if let Some(e) = row_errors.into_iter().next() {
                return Err(fail(e.row, e.error.message()));
            }
            let ids = self.ids.lock().map_err(|_| poisoned())?;
            let mut key = (String::new(), schema);
            let mut start = 0;
            let mut run_id = None;
            for row in 0..bodies.len() {
                let topic = topic_column.get(row).unwrap_or_default();
                if row > 0 && topic_column.get(row - 1).unwrap_or_default() == topic {
                    continue;
                }
                key.0 = self
                    .strategy
                    .subject_name(topic, self.is_key, record.as_deref())?;
                let id = *ids.get(&key).ok_or_else(|| {
                    Error::bug("registry converter: the schema was not registered before encoding")
                })?;
                if let Some(previous) = run_id.replace(id) {
                    runs.push((start, Vec::new(), previous));
                }
                start = row;
            }
            if let Some(id) = run_id {
                runs.push((start, Vec::new(), id));
            }
            // One body vector for every run: split it at the runs' starts.
            let mut rest = bodies;
            for run in runs.iter_mut().rev() {
                run.1 = rest.split_off(run.0);
            }
        }
        let total: usize = runs
            .iter()
            .flat_map(|r| r.1.iter().flatten())
            .map(|b| b.len() + HEADER_LEN)
            .sum();
        let mut out = BinaryBuilder::with_capacity(column.len(), total);
        for (_, bodies, id) in runs {
            for body in bodies {
                let Some(body) = body else {
                    out.append_null();
                    continue;
                };
                let mut payload = Vec::with_capacity(HEADER_LEN + body.len());
                payload.push(MAGIC_BYTE);
                payload.extend_from_slice(&id.to_be_bytes());
                payload.extend_from_slice(&body);
                out.append_value(&payload);
            }
        }
        Ok(out.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_format_header() {
        assert_eq!(schema_id(&[0, 0, 0, 1, 2, 9]), Some(258));
        assert_eq!(schema_id(&[0, 0x7f, 0xff, 0xff, 0xff]), Some(i32::MAX));
        // Wrong magic byte, or too short for an id.
        assert_eq!(schema_id(&[1, 0, 0, 0, 1]), None);
        assert_eq!(schema_id(&[0, 0, 0, 1]), None);
    }
}
