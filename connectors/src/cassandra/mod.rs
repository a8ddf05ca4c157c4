//! DataStax's Cassandra sink (`com.datastax.oss.kafka.sink.CassandraSinkConnector`, legacy
//! class `com.datastax.kafkaconnector.DseSinkConnector`, aliases `CassandraSinkConnector`,
//! `CassandraSink`), for Apache Cassandra 3+/4/5 (and DSE, ScyllaDB) over the CQL native
//! protocol through the ScyllaDB driver.
//!
//! **Data path.** At task start each mapped table's schema is read, the mapping checked against
//! it (DataStax's checks and messages) and DataStax's statements prepared ([`plan`]): an INSERT
//! `… USING TIMESTAMP :message_internal_timestamp [AND TTL …]`, an UPDATE for counter tables, a
//! DELETE when deletes apply, or the user's `query`. In `put`, each bound variable's source
//! column (`key`, `value`, a nested field, a header, `now()`) is resolved once per batch to a
//! typed Arrow reader, and every row's values are written straight into one byte arena in the
//! CQL wire form ([`bind`]); rows are grouped by table and partition key into UNLOGGED batches
//! of at most `maxNumberOfRecordsInBatch` statements (one statement alone is sent unbatched),
//! with up to `maxConcurrentRequests` requests in flight, routed token-aware to a replica.
//!
//! **Offsets and guarantee.** As DataStax's, `put` returns only when every row of its batch is
//! written or handled, so the consumed offsets are committed. Writes carry the Kafka record's
//! timestamp as their write time, so writing a record again (after a restart, or a
//! redelivery) leaves the table as if it was written once: at-least-once delivery, idempotent
//! rows. Counter updates are not idempotent; see the differences below.
//!
//! **Failures.** A row that cannot be bound (a type that does not convert, a null or missing
//! primary key column, a mapped field absent from the record) or that the server rejects (after
//! the driver's retries) is the record's fault: with `errors.tolerance=all` it goes to the dead
//! letter queue with the reason (DataStax has no DLQ); otherwise `ignoreErrors` decides as in
//! DataStax (`All` skips any failure, `Driver` skips server rejections), and a failure it does
//! not skip fails the task with the reason. When the cluster is unreachable, overloaded or
//! times out, `put` fails with a retriable error: the worker pauses the partitions and
//! redelivers the batch after a back-off until the cluster is back; the task does not die.
//!
//! **Differences from DataStax, on purpose.** Failures DataStax answers by rewinding to the
//! failed offset forever (`ignoreErrors=None`) fail the task with the record's reason instead
//! (or go to the DLQ under `errors.tolerance=all`), as Kafka Connect's own error handling does;
//! a transient outage is waited out (DataStax rewinds and retries too). A failed batch of
//! several statements is retried one statement at a time to find the failing records, so only
//! they are reported. Counter rows a redelivered batch already applied are skipped, so a
//! redelivery does not count twice. Field values that are null and fields absent from a
//! schemaless (JSON) record are the same thing here (DataStax rejects the absent ones).

pub mod bind;
pub mod config;
pub mod mapping;
pub mod plan;
pub mod session;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, ListArray, StringArray, TimestampMillisecondArray};
use async_trait::async_trait;
use futures::StreamExt;
use scylla::client::session::Session;
use scylla::frame::response::result::{ColumnType, NativeType};
use scylla::statement::batch::{Batch as CqlBatch, BatchType};

use strait_engine::batch::{columns, header_entries, Batch, TopicColumn, TopicPartition};
use strait_engine::config::{ConfigDef, Props};
use strait_engine::plugin::{
    Connector, ErrantRecordReporter, PluginInfo, PluginType, SinkTask, SinkTaskContext,
    TaskInstance,
};
use strait_engine::{Error, Result};

use self::bind::{Codec, ConvError, Reader, RowCells};
use self::config::{CassandraSinkConfig, IgnoreErrors, Source, TimeUnit};
use self::plan::{StatementPlan, TablePlan, VarSource};

/// The DataStax release whose behaviour this mirrors.
pub const VERSION: &str = "1.4.0";
pub const CONNECTOR_CLASS: &str = "com.datastax.oss.kafka.sink.CassandraSinkConnector";
pub const TASK_CLASS: &str = "com.datastax.oss.kafka.sink.CassandraSinkTask";

/// `com.datastax.oss.kafka.sink.CassandraSinkConnector`.
#[derive(Debug)]
pub struct CassandraSinkConnector;

impl Connector for CassandraSinkConnector {
    type Config = CassandraSinkConfig;

    fn info() -> PluginInfo {
        PluginInfo {
            class: CONNECTOR_CLASS,
            extra_aliases: &["com.datastax.kafkaconnector.DseSinkConnector"],
            kind: PluginType::Sink,
            version: VERSION,
        }
    }

    fn config_def() -> ConfigDef {
        config::config_def()
    }

    fn parse(props: &Props) -> Result<Self::Config> {
        CassandraSinkConfig::from_props(props)
    }

    fn validate(props: &Props) -> Vec<strait_engine::config::ConfigValue> {
        CassandraSinkConfig::validate(props)
    }

    fn task_class() -> &'static str {
        TASK_CLASS
    }

    /// `max_tasks` copies of the connector's config, as DataStax's connector hands out.
    fn task_configs(_config: &Self::Config, props: &Props, max_tasks: usize) -> Result<Vec<Props>> {
        Ok(vec![props.clone(); max_tasks])
    }

    fn alter_offsets(
        _props: &Props,
        _offsets: &[(
            strait_engine::batch::SourceMap,
            Option<strait_engine::batch::SourceMap>,
        )],
    ) -> Result<bool> {
        Ok(true)
    }

    fn create_task(task_props: &Props) -> Result<TaskInstance> {
        let config = CassandraSinkConfig::from_props(task_props)?;
        Ok(TaskInstance::Sink(Box::new(CassandraSinkTask::new(config))))
    }
}

/// The tables of one topic and how its text becomes temporal values.
struct TopicPlan {
    tables: Vec<TablePlan>,
    codec: Codec,
}

/// `com.datastax.oss.kafka.sink.CassandraSinkTask`.
pub struct CassandraSinkTask {
    config: CassandraSinkConfig,
    session: Option<Arc<Session>>,
    topics: HashMap<String, TopicPlan>,
    reporter: Option<Arc<dyn ErrantRecordReporter>>,
    /// Node id of the time-based UUIDs `now()` makes.
    node_id: [u8; 6],
    /// Counter rows (partition, offset, table index) written by a `put` that then failed with
    /// a retriable error: the redelivered batch skips them, so they are not counted twice.
    counters_applied: HashMap<TopicPartition, BTreeSet<(i64, usize)>>,
}

impl std::fmt::Debug for CassandraSinkTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CassandraSinkTask").finish_non_exhaustive()
    }
}

/// A row the sink could not write, and whether the server (rather than binding) refused it.
#[derive(Debug)]
struct RowFailure {
    row: usize,
    message: String,
    driver: bool,
}

/// One request to send: a statement and the rows (indexes into its cells) it writes.
struct Request<'p> {
    plan: &'p StatementPlan,
    cells: usize,
    rows: Vec<usize>,
}

impl CassandraSinkTask {
    pub fn new(config: CassandraSinkConfig) -> Self {
        let node_id: [u8; 6] = rand::random();
        CassandraSinkTask {
            config,
            session: None,
            topics: HashMap::new(),
            reporter: None,
            node_id,
            counters_applied: HashMap::new(),
        }
    }

    fn codec(topic: &str, settings: &config::CodecSettings) -> Result<Codec> {
        let time_zone: chrono_tz::Tz = settings.time_zone.parse().map_err(|_| {
            Error::config(format!(
                "topic.{topic}.codec.timeZone: unknown time zone {:?}",
                settings.time_zone
            ))
        })?;
        let supported_ts = [
            "CQL_TIMESTAMP",
            "ISO_ZONED_DATE_TIME",
            "ISO_OFFSET_DATE_TIME",
            "ISO_LOCAL_DATE_TIME",
            "ISO_INSTANT",
            "ISO_DATE_TIME",
            "UNITS_SINCE_EPOCH",
        ];
        let unsupported = |key: &str, value: &str, allowed: &[&str]| {
            Error::unsupported(format!(
                "topic.{topic}.codec.{key}={value} is not supported by Strait's Cassandra sink \
                 (supported: {}); custom date/time patterns are not implemented",
                allowed.join(", ")
            ))
        };
        if !supported_ts.contains(&settings.timestamp.as_str()) {
            return Err(unsupported("timestamp", &settings.timestamp, &supported_ts));
        }
        if !["ISO_LOCAL_DATE", "ISO_DATE"].contains(&settings.date.as_str()) {
            return Err(unsupported(
                "date",
                &settings.date,
                &["ISO_LOCAL_DATE", "ISO_DATE"],
            ));
        }
        if !["ISO_LOCAL_TIME", "ISO_TIME"].contains(&settings.time.as_str()) {
            return Err(unsupported(
                "time",
                &settings.time,
                &["ISO_LOCAL_TIME", "ISO_TIME"],
            ));
        }
        Ok(Codec {
            time_zone,
            unit: settings.unit,
            timestamp_as_units: settings.timestamp == "UNITS_SINCE_EPOCH",
        })
    }

    /// Write the rows of `rows` (all of one topic) to one table. Bind failures and server
    /// rejections are returned per row; a transient failure of the cluster is the `Err`.
    async fn write_table(
        &self,
        session: &Session,
        batch: &Batch,
        rows: &[usize],
        plan: &TablePlan,
        codec: &Codec,
        skip: &(dyn Fn(usize) -> bool + Sync),
        applied: &mut Vec<usize>,
    ) -> std::result::Result<Vec<RowFailure>, Error> {
        let mut failures = Vec::new();
        let reader = |name: &str| -> Result<Option<Reader<'_>>> {
            match (batch.field(name), batch.column(name)) {
                (Some(f), Some(c)) => Reader::for_field(&f, c.as_ref())
                    .map(Some)
                    .map_err(Error::data),
                _ => Ok(None),
            }
        };
        let key_reader = reader(columns::KEY)?;
        let value_reader = reader(columns::VALUE)?;
        let timestamps = batch
            .column(columns::TIMESTAMP)
            .and_then(|c| c.as_any().downcast_ref::<TimestampMillisecondArray>());
        let headers = batch
            .column(columns::HEADERS)
            .and_then(|c| c.as_any().downcast_ref::<ListArray>());
        let header_columns = HeaderColumns::build(plan, headers, batch.num_rows());
        let ctx = BindContext {
            key: key_reader.as_ref(),
            value: value_reader.as_ref(),
            timestamps,
            headers: &header_columns,
            codec,
            table: plan,
            node_id: self.node_id,
        };
        let write_vars = ctx.resolve(&plan.write);
        let delete_vars = plan.delete.as_ref().map(|d| ctx.resolve(d));

        let mut cells = [
            RowCells::new(plan.write.vars.len()),
            RowCells::new(plan.delete.as_ref().map_or(0, |d| d.vars.len())),
        ];
        // Per statement, the batch rows of its cell rows.
        let mut origin: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
        // The shorthand maps every value field to its column: a field without one is refused.
        let extraneous: Vec<(&str, &Reader<'_>)> =
            match (&plan.config.mapping, value_reader.as_ref()) {
                (config::Mapping::ValueFieldsByName, Some(Reader::Struct(_, children))) => children
                    .iter()
                    .filter(|(name, _)| plan.schema.column(name).is_none())
                    .map(|(name, r)| (*name, r))
                    .collect(),
                _ => Vec::new(),
            };
        for &row in rows {
            if skip(row) {
                continue;
            }
            if let Some((name, _)) = extraneous.iter().find(|(_, r)| !r.is_null(row)) {
                failures.push(RowFailure {
                    row,
                    message: format!(
                        "Extraneous field 'value.{name}' was found in record: table {}.{} has no \
                         column {} (the mapping maps every value field to the same-named column)",
                        plan.config.keyspace,
                        plan.config.table,
                        config::Identifier(name.to_string()).cql()
                    ),
                    driver: false,
                });
                continue;
            }
            let which = match &delete_vars {
                Some(_) if !ctx.is_insert(row) => 1,
                _ => 0,
            };
            let (stmt, vars) = if which == 0 {
                (&plan.write, &write_vars)
            } else {
                (
                    plan.delete.as_ref().expect("delete plan"),
                    delete_vars.as_ref().expect("delete vars"),
                )
            };
            let target = &mut cells[which];
            let (cells_len, bytes_len) = (target.cells.len(), target.bytes.len());
            match ctx.bind_row(row, stmt, vars, target) {
                Ok(()) => origin[which].push(row),
                Err(e) => {
                    target.truncate(cells_len, bytes_len);
                    failures.push(RowFailure {
                        row,
                        message: e.0,
                        driver: false,
                    });
                }
            }
        }

        // Group by partition key, in first-seen order, and cut into batches.
        let max = self.config.max_records_in_batch.max(1);
        let mut requests: Vec<Request<'_>> = Vec::new();
        for (which, stmt) in [(0usize, Some(&plan.write)), (1, plan.delete.as_ref())] {
            let Some(stmt) = stmt else { continue };
            let c = &cells[which];
            let mut groups: HashMap<Vec<u8>, usize> = HashMap::new();
            let mut grouped: Vec<Vec<usize>> = Vec::new();
            for i in 0..c.rows() {
                let r = c.row(i);
                let mut k = Vec::new();
                for &v in &stmt.partition_key_vars {
                    if let Some(b) = r.cell(v) {
                        k.extend_from_slice(&(b.len() as u32).to_be_bytes());
                        k.extend_from_slice(b);
                    }
                }
                let g = *groups.entry(k).or_insert_with(|| {
                    grouped.push(Vec::new());
                    grouped.len() - 1
                });
                grouped[g].push(i);
            }
            for g in grouped {
                for chunk in g.chunks(max) {
                    requests.push(Request {
                        plan: stmt,
                        cells: which,
                        rows: chunk.to_vec(),
                    });
                }
            }
        }

        let consistency = session::consistency(plan.config.consistency);
        let cells = &cells;
        // Futures made as slots free up, each a small box around the driver's large one:
        // moving the driver's future by value (into a Vec, then into the set in flight) was
        // 14 % of the task's CPU (memcpy), one row per request.
        let results: Vec<(
            usize,
            std::result::Result<(), scylla::errors::ExecutionError>,
        )> = futures::stream::iter(0..requests.len())
            .map(|i| execute_indexed(session, i, &requests[i], cells, consistency))
            .buffer_unordered(self.config.max_concurrent_requests.max(1))
            .collect()
            .await;

        let mut transient: Option<String> = None;
        for (i, result) in results {
            let req = &requests[i];
            match result {
                Ok(()) => applied.extend(req.rows.iter().map(|&r| origin[req.cells][r])),
                Err(e) if session::execution_error_is_transient(&e) => {
                    transient.get_or_insert_with(|| e.to_string());
                }
                Err(e) if req.rows.len() > 1 => {
                    // Find the statements the server refuses: each alone.
                    for &r in &req.rows {
                        let single = Request {
                            plan: req.plan,
                            cells: req.cells,
                            rows: vec![r],
                        };
                        match execute(session, &single, cells, consistency).await {
                            Ok(()) => applied.push(origin[req.cells][r]),
                            Err(e2) if session::execution_error_is_transient(&e2) => {
                                transient.get_or_insert_with(|| e2.to_string());
                            }
                            Err(e2) => failures.push(RowFailure {
                                row: origin[req.cells][r],
                                message: format!("{}: {e2}", req.plan.prepared.get_statement()),
                                driver: true,
                            }),
                        }
                    }
                    tracing::debug!(error = %e, "batch refused; statements retried one by one");
                }
                Err(e) => failures.push(RowFailure {
                    row: origin[req.cells][req.rows[0]],
                    message: format!("{}: {e}", req.plan.prepared.get_statement()),
                    driver: true,
                }),
            }
        }
        match transient {
            Some(e) => Err(Error::external(
                format!(
                    "writing to {}.{} failed, the cluster is unavailable or overloaded (the batch \
                     will be delivered again): {e}",
                    plan.config.keyspace, plan.config.table
                ),
                true,
            )),
            None => Ok(failures),
        }
    }

    /// Report, skip or fail on failed rows, per `errors.tolerance` and `ignoreErrors`.
    fn handle_failures(&self, batch: &Batch, failures: Vec<RowFailure>) -> Result<()> {
        for f in failures {
            if let Some(reporter) = &self.reporter {
                reporter.report(batch, f.row, Error::data(f.message))?;
                continue;
            }
            let skip = match self.config.ignore_errors {
                IgnoreErrors::All => true,
                IgnoreErrors::Driver => f.driver,
                IgnoreErrors::None => false,
            };
            if skip {
                tracing::warn!(row = f.row, error = %f.message, "Cassandra sink: record skipped (ignoreErrors)");
            } else {
                return Err(Error::data(format!(
                    "Cassandra sink: a record could not be written: {}",
                    f.message
                )));
            }
        }
        Ok(())
    }
}

/// [`execute`], tagged with the request's index.
async fn execute_indexed(
    session: &Session,
    index: usize,
    req: &Request<'_>,
    cells: &[RowCells; 2],
    consistency: scylla::statement::Consistency,
) -> (
    usize,
    std::result::Result<(), scylla::errors::ExecutionError>,
) {
    (
        index,
        Box::pin(execute(session, req, cells, consistency)).await,
    )
}

/// Send one request: a lone statement, or an UNLOGGED batch of them.
async fn execute(
    session: &Session,
    req: &Request<'_>,
    cells: &[RowCells; 2],
    consistency: scylla::statement::Consistency,
) -> std::result::Result<(), scylla::errors::ExecutionError> {
    let c = &cells[req.cells];
    if let [one] = req.rows.as_slice() {
        session
            .execute_unpaged(&req.plan.prepared, c.row(*one))
            .await
            .map(|_| ())
    } else {
        let mut b = CqlBatch::new(BatchType::Unlogged);
        for _ in &req.rows {
            b.append_statement(req.plan.prepared.clone());
        }
        b.set_consistency(consistency);
        // The statement's profile (a SimpleStrategy keyspace's) routes its batches too.
        b.set_execution_profile_handle(req.plan.prepared.get_execution_profile_handle().cloned());
        let values: Vec<_> = req.rows.iter().map(|&r| c.row(r)).collect();
        session.batch(&b, values).await.map(|_| ())
    }
}

/// The header values a table's mapping reads, one text column per header name.
struct HeaderColumns {
    columns: Vec<(String, StringArray)>,
}

impl HeaderColumns {
    fn build(plan: &TablePlan, headers: Option<&ListArray>, rows: usize) -> Self {
        let mut names: Vec<&str> = Vec::new();
        for e in &plan.entries {
            if let Source::Header(h) = &e.source {
                if !names.contains(&h.as_str()) {
                    names.push(h);
                }
            }
        }
        let columns = names
            .into_iter()
            .map(|name| {
                let values: StringArray = (0..rows)
                    .map(|row| {
                        headers.and_then(|h| {
                            // The last header of that name wins, as `Headers.lastWithName`.
                            header_entries(h, row)
                                .filter(|(k, _)| *k == name)
                                .last()
                                .and_then(|(_, v)| v)
                                .map(|v| String::from_utf8_lossy(v).into_owned())
                        })
                    })
                    .collect();
                (name.to_string(), values)
            })
            .collect();
        HeaderColumns { columns }
    }

    fn get(&self, name: &str) -> Option<&StringArray> {
        self.columns.iter().find(|(n, _)| n == name).map(|(_, c)| c)
    }
}

/// A bound variable's source, resolved against this batch's columns.
enum VarReader<'a> {
    /// A field that exists in the record's schema (or `key` / `value` themselves).
    Field {
        reader: &'a Reader<'a>,
        /// For value fields: the whole value (null → the field binds null, not "missing").
        of_value: bool,
        name: String,
        column: String,
        primary_key: bool,
    },
    /// A field the record's schema does not have.
    Missing {
        of_value: bool,
        name: String,
        column: String,
        primary_key: bool,
    },
    Header {
        values: Reader<'a>,
        column: String,
        primary_key: bool,
    },
    Now,
    WriteTime(Option<Box<VarReader<'a>>>),
    Ttl(Box<VarReader<'a>>),
    Unbound,
}

struct BindContext<'a> {
    key: Option<&'a Reader<'a>>,
    value: Option<&'a Reader<'a>>,
    timestamps: Option<&'a TimestampMillisecondArray>,
    headers: &'a HeaderColumns,
    codec: &'a Codec,
    table: &'a TablePlan,
    node_id: [u8; 6],
}

fn source_name(source: &Source) -> String {
    match source {
        Source::Key => "key".into(),
        Source::Value => "value".into(),
        Source::KeyField(p) => format!("key.{}", p.join(".")),
        Source::ValueField(p) => format!("value.{}", p.join(".")),
        Source::Header(h) => format!("header.{h}"),
        Source::Now => "now()".into(),
    }
}

impl<'a> BindContext<'a> {
    fn field_reader(&self, source: &Source, column: &str, primary_key: bool) -> VarReader<'a> {
        let name = source_name(source);
        let (root, path, of_value) = match source {
            Source::Key => (self.key, &[][..], false),
            Source::Value => (self.value, &[][..], true),
            Source::KeyField(p) => (self.key, p.as_slice(), false),
            Source::ValueField(p) => (self.value, p.as_slice(), true),
            Source::Now => return VarReader::Now,
            Source::Header(h) => {
                return match self.headers.get(h) {
                    Some(values) => VarReader::Header {
                        values: Reader::Utf8(values),
                        column: column.to_string(),
                        primary_key,
                    },
                    None => VarReader::Unbound,
                }
            }
        };
        let mut reader = root;
        for segment in path {
            reader = reader.and_then(|r| r.field(segment));
        }
        match reader {
            Some(reader) => VarReader::Field {
                reader,
                of_value,
                name,
                column: column.to_string(),
                primary_key,
            },
            None => VarReader::Missing {
                of_value,
                name,
                column: column.to_string(),
                primary_key,
            },
        }
    }

    fn resolve(&self, plan: &StatementPlan) -> Vec<VarReader<'a>> {
        plan.vars
            .iter()
            .map(|(source, _)| match source {
                VarSource::Field {
                    source,
                    column,
                    primary_key,
                } => self.field_reader(source, column, *primary_key && !self.table.custom_query),
                VarSource::WriteTime(src) => VarReader::WriteTime(
                    src.as_ref()
                        .map(|s| Box::new(self.field_reader(s, "__timestamp", false))),
                ),
                VarSource::Ttl(src) => {
                    VarReader::Ttl(Box::new(self.field_reader(src, "__ttl", false)))
                }
                VarSource::Unbound => VarReader::Unbound,
            })
            .collect()
    }

    fn value_is_null(&self, row: usize) -> bool {
        self.value.is_none_or(|v| v.is_null(row))
    }

    /// DataStax's `isInsertUpdate`: an insert unless every mapped non-primary-key column's
    /// field is null (then the record deletes the row).
    fn is_insert(&self, row: usize) -> bool {
        let schema = &self.table.schema;
        let mapped: BTreeSet<&str> = self
            .table
            .entries
            .iter()
            .filter_map(|e| match &e.target {
                config::Target::Column(c) => Some(c.internal()),
                _ => None,
            })
            .collect();
        let pk: BTreeSet<&str> = schema.primary_key().map(String::as_str).collect();
        if mapped == pk {
            return true;
        }
        self.table.entries.iter().any(|e| {
            let non_pk = match &e.target {
                config::Target::Column(c) => !schema.is_primary_key(c.internal()),
                _ => true,
            };
            non_pk
                && !matches!(e.source, Source::Now)
                && match self.field_reader(&e.source, "", false) {
                    VarReader::Field { reader, .. } => !reader.is_null(row),
                    VarReader::Header { values, .. } => !values.is_null(row),
                    _ => false,
                }
        })
    }

    fn bind_row(
        &self,
        row: usize,
        stmt: &StatementPlan,
        vars: &[VarReader<'_>],
        cells: &mut RowCells,
    ) -> std::result::Result<(), ConvError> {
        let null_to_unset = self.table.config.null_to_unset;
        for ((_, typ), var) in stmt.vars.iter().zip(vars) {
            match var {
                VarReader::Field {
                    reader,
                    of_value,
                    name,
                    column,
                    primary_key,
                } => {
                    let _ = of_value;
                    self.bind_field(
                        row,
                        reader,
                        typ,
                        name,
                        column,
                        *primary_key,
                        null_to_unset,
                        cells,
                    )?;
                }
                VarReader::Header {
                    values,
                    column,
                    primary_key,
                } => {
                    self.bind_field(
                        row,
                        values,
                        typ,
                        "header",
                        column,
                        *primary_key,
                        null_to_unset,
                        cells,
                    )?;
                }
                VarReader::Missing {
                    of_value,
                    name,
                    column,
                    primary_key,
                } => {
                    if *of_value && self.value_is_null(row) {
                        if *primary_key {
                            return Err(pk_null(column));
                        }
                        cells.push_with(null_to_unset, |_| Ok(false))?;
                    } else {
                        return Err(ConvError(format!(
                            "Required field '{name}' (mapped to column {}) was missing from record \
                             (or may refer to an invalid function). Please remove it from the mapping.",
                            config::Identifier(column.clone()).cql()
                        )));
                    }
                }
                VarReader::Now => {
                    let uuid = uuid::Uuid::now_v1(&self.node_id);
                    cells.push(Some(uuid.as_bytes()));
                }
                VarReader::WriteTime(src) => {
                    let mapped = match src.as_deref() {
                        Some(VarReader::Field { reader, .. }) => reader
                            .integer(row)
                            .map_err(|e| not_a_number("Timestamp", "__timestamp", &e))?
                            .map(|v| {
                                bind::convert_units(
                                    v,
                                    self.table.config.timestamp_unit,
                                    TimeUnit::Microseconds,
                                )
                                .ok_or_else(|| ConvError(format!("write time {v} is out of range")))
                            })
                            .transpose()?,
                        _ => None,
                    };
                    let micros = mapped.or_else(|| {
                        self.timestamps
                            .filter(|t| !t.is_null(row))
                            .map(|t| t.value(row).saturating_mul(1000))
                    });
                    cells.push(micros.map(|m| m.to_be_bytes()).as_ref().map(|b| &b[..]));
                }
                VarReader::Ttl(src) => {
                    let seconds = match src.as_ref() {
                        VarReader::Field { reader, .. } => reader
                            .integer(row)
                            .map_err(|e| not_a_number("TTL", "__ttl", &e))?
                            .map(|v| {
                                bind::convert_units(
                                    v,
                                    self.table.config.ttl_unit,
                                    TimeUnit::Seconds,
                                )
                                .and_then(|s| i32::try_from(s).ok())
                                .ok_or_else(|| ConvError(format!("TTL {v} is out of range")))
                            })
                            .transpose()?,
                        _ => None,
                    };
                    cells.push(seconds.map(|s| s.to_be_bytes()).as_ref().map(|b| &b[..]));
                }
                VarReader::Unbound => cells.push(None),
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn bind_field(
        &self,
        row: usize,
        reader: &Reader<'_>,
        typ: &ColumnType<'static>,
        name: &str,
        column: &str,
        primary_key: bool,
        null_to_unset: bool,
        cells: &mut RowCells,
    ) -> std::result::Result<(), ConvError> {
        let codec = self.codec;
        let before = cells.cells.len();
        cells
            .push_with(null_to_unset, |out| {
                bind::write_value(reader, row, typ, codec, out)
            })
            .map_err(|e| {
                ConvError(format!(
                    "could not bind {name} to column {} ({}): {e}",
                    config::Identifier(column.to_string()).cql(),
                    bind::type_name(typ)
                ))
            })?;
        let written = cells.cells[before];
        if primary_key && !matches!(written, bind::Cell::Value { .. }) {
            return Err(pk_null(column));
        }
        // An empty value of a non-text type is null in CQL (DataStax's `isNull`).
        if let bind::Cell::Value { len: 0, .. } = written {
            if !matches!(
                typ,
                ColumnType::Native(NativeType::Text | NativeType::Ascii | NativeType::Blob)
            ) {
                cells.cells[before] = if null_to_unset {
                    bind::Cell::Unset
                } else {
                    bind::Cell::Null
                };
            }
        }
        Ok(())
    }
}

fn pk_null(column: &str) -> ConvError {
    ConvError(format!(
        "Primary key column {} cannot be mapped to null. Check that your mapping setting matches \
         your dataset contents.",
        config::Identifier(column.to_string()).cql()
    ))
}

fn not_a_number(what: &str, field: &str, e: &ConvError) -> ConvError {
    ConvError(format!(
        "The value for field: {field} used as a {what} is not a Number but should be ({e})"
    ))
}

#[async_trait]
impl SinkTask for CassandraSinkTask {
    async fn start(&mut self, ctx: SinkTaskContext) -> Result<()> {
        self.reporter = ctx.errant_record_reporter();
        let session = session::connect(&self.config).await?;
        let simple_strategy_profile = session::execution_profile(&self.config, true).into_handle();
        let simple_strategy = self
            .config
            .local_dc
            .as_deref()
            .map(|dc| (dc, &simple_strategy_profile));
        for (topic, topic_config) in &self.config.topics {
            let codec = Self::codec(topic, &topic_config.codec)?;
            let mut tables = Vec::new();
            for table in &topic_config.tables {
                tables.push(plan::plan_table(&session, topic, table, simple_strategy).await?);
            }
            self.topics
                .insert(topic.clone(), TopicPlan { tables, codec });
        }
        self.session = Some(Arc::new(session));
        Ok(())
    }

    async fn put(&mut self, batch: Batch) -> Result<()> {
        let n = batch.num_rows();
        if n == 0 {
            return Ok(());
        }
        let session = self
            .session
            .clone()
            .ok_or_else(|| Error::bug("put before start"))?;
        let topic_col: &ArrayRef = batch
            .column(columns::TOPIC)
            .ok_or_else(|| Error::bug("a sink batch without a topic column"))?;
        let topics = TopicColumn::new(topic_col).ok_or_else(|| Error::bug("bad topic column"))?;
        let partitions = batch
            .column(columns::PARTITION)
            .map(|c| c.as_primitive::<arrow::datatypes::Int32Type>().clone());
        let offsets = batch
            .column(columns::OFFSET)
            .map(|c| c.as_primitive::<arrow::datatypes::Int64Type>().clone());
        let mut by_topic: Vec<(&str, Vec<usize>)> = Vec::new();
        for row in 0..n {
            let t = topics.get(row).unwrap_or("");
            match by_topic.iter_mut().find(|(name, _)| *name == t) {
                Some((_, rows)) => rows.push(row),
                None => by_topic.push((t, vec![row])),
            }
        }
        let tp_offset = |row: usize| -> Option<(TopicPartition, i64)> {
            let p = partitions.as_ref()?.value(row);
            let o = offsets.as_ref()?.value(row);
            Some((TopicPartition::new(topics.get(row).unwrap_or(""), p), o))
        };
        let mut failures = Vec::new();
        let mut transient = None;
        let mut newly_applied: Vec<(TopicPartition, i64, usize)> = Vec::new();
        for (topic, rows) in &by_topic {
            let Some(topic_plan) = self.topics.get(*topic) else {
                return Err(Error::config(format!(
                    "Connector has no configuration for record topic '{topic}'. Please update the \
                     configuration and restart."
                )));
            };
            for (t_idx, table) in topic_plan.tables.iter().enumerate() {
                let applied_before = &self.counters_applied;
                let skip = |row: usize| {
                    table.counter
                        && tp_offset(row).is_some_and(|(tp, o)| {
                            applied_before
                                .get(&tp)
                                .is_some_and(|s| s.contains(&(o, t_idx)))
                        })
                };
                let mut applied = Vec::new();
                match self
                    .write_table(
                        &session,
                        &batch,
                        rows,
                        table,
                        &topic_plan.codec,
                        &skip,
                        &mut applied,
                    )
                    .await
                {
                    Ok(f) => failures.extend(f),
                    Err(e) => {
                        transient.get_or_insert(e);
                    }
                }
                if table.counter {
                    for row in applied {
                        if let Some((tp, o)) = tp_offset(row) {
                            newly_applied.push((tp, o, t_idx));
                        }
                    }
                }
            }
        }
        if let Some(e) = transient {
            // The batch comes back; remember which counter rows already counted.
            for (tp, o, t) in newly_applied {
                self.counters_applied.entry(tp).or_default().insert((o, t));
            }
            return Err(e);
        }
        // The batch is done: what it covered no longer needs remembering.
        if !self.counters_applied.is_empty() {
            for (tp, range) in batch_ranges(&batch) {
                if let Some(set) = self.counters_applied.get_mut(&tp) {
                    set.retain(|(o, _)| *o > range);
                }
            }
            self.counters_applied.retain(|_, s| !s.is_empty());
        }
        self.handle_failures(&batch, failures)
    }

    async fn stop(&mut self) -> Result<()> {
        self.session = None;
        Ok(())
    }
}

/// The last offset per partition a batch covers.
fn batch_ranges(batch: &Batch) -> Vec<(TopicPartition, i64)> {
    match &batch.provenance {
        strait_engine::batch::Provenance::Sink(ranges) => {
            ranges.iter().map(|(tp, r)| (tp.clone(), r.last)).collect()
        }
        _ => Vec::new(),
    }
}
