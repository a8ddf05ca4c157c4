//! What a task writes to one table, decided once at task start from the table's schema: the
//! CQL statements (DataStax's forms, prepared), and for each bound variable where its value
//! comes from. Also the schema checks DataStax makes at start (keyspace and table exist, mapped
//! columns exist, the primary key is mapped), with its messages.

use std::collections::BTreeSet;

use scylla::client::execution_profile::ExecutionProfileHandle;
use scylla::client::session::Session;
use scylla::cluster::metadata::Strategy;
use scylla::frame::response::result::{ColumnType, NativeType};
use scylla::statement::prepared::PreparedStatement;

use strait_engine::{Error, Result};

use super::config::{Identifier, Mapping, MappingEntry, Source, TableConfig, Target};

/// DataStax's bound variable for the write time (`SinkUtil.TIMESTAMP_VARNAME`).
pub const TIMESTAMP_VAR: &str = "message_internal_timestamp";
/// DataStax's bound variable for a mapped TTL (`SinkUtil.TTL_VARNAME`).
pub const TTL_VAR: &str = "message_internal_ttl";

/// The parts of a table's schema the sink needs.
#[derive(Debug, Clone)]
pub struct TableSchema {
    /// Every column, in the server's order, with its type.
    pub columns: Vec<(String, ColumnType<'static>)>,
    pub partition_key: Vec<String>,
    pub clustering_key: Vec<String>,
}

impl TableSchema {
    pub fn column(&self, name: &str) -> Option<&ColumnType<'static>> {
        self.columns.iter().find(|(n, _)| n == name).map(|(_, t)| t)
    }
    /// Partition key then clustering columns.
    pub fn primary_key(&self) -> impl Iterator<Item = &String> {
        self.partition_key.iter().chain(&self.clustering_key)
    }
    pub fn is_primary_key(&self, name: &str) -> bool {
        self.primary_key().any(|c| c == name)
    }
    pub fn is_counter_table(&self) -> bool {
        self.columns
            .iter()
            .any(|(_, t)| matches!(t, ColumnType::Native(NativeType::Counter)))
    }
}

/// A configuration problem found against the cluster's schema: the user's to fix, not
/// retriable (DataStax's `ConfigException` at task start).
fn schema_error(message: String) -> Error {
    Error::config(message)
}

/// The table's schema from the driver's metadata, with DataStax's messages when the keyspace or
/// table is missing (including its hint when only the lower-case name exists).
pub async fn table_schema(session: &Session, table: &TableConfig) -> Result<TableSchema> {
    session
        .refresh_metadata()
        .await
        .map_err(|e| Error::external(format!("could not read the cluster's schema: {e}"), true))?;
    let state = session.get_cluster_state();
    let ks_name = table.keyspace.internal();
    let Some(keyspace) = state.get_keyspace(ks_name) else {
        let lower = ks_name.to_lowercase();
        return Err(schema_error(if state.get_keyspace(&lower).is_some() {
            format!(
                "Keyspace {ks_name} does not exist, however a keyspace {lower} was found. Update \
                 the config to use {lower} if desired."
            )
        } else {
            format!("Keyspace {ks_name} does not exist.")
        }));
    };
    let t_name = table.table.internal();
    let Some(meta) = keyspace.tables.get(t_name) else {
        let lower = t_name.to_lowercase();
        return Err(schema_error(if keyspace.tables.contains_key(&lower) {
            format!(
                "Table {t_name} does not exist, however a table {lower} was found. Update the \
                 config to use {lower} if desired."
            )
        } else {
            format!("Table {t_name} does not exist.")
        }));
    };
    let mut columns: Vec<(String, ColumnType<'static>)> = meta
        .columns
        .iter()
        .map(|(n, c)| (n.clone(), c.typ.clone()))
        .collect();
    // Primary key first (in key order), then the rest by name: a stable order for the
    // shorthand mapping and for messages.
    let pk: Vec<&String> = meta
        .partition_key
        .iter()
        .chain(&meta.clustering_key)
        .collect();
    columns.sort_by(|(a, _), (b, _)| {
        let ra = pk.iter().position(|c| *c == a).unwrap_or(usize::MAX);
        let rb = pk.iter().position(|c| *c == b).unwrap_or(usize::MAX);
        ra.cmp(&rb).then_with(|| a.cmp(b))
    });
    Ok(TableSchema {
        columns,
        partition_key: meta.partition_key.clone(),
        clustering_key: meta.clustering_key.clone(),
    })
}

/// The mapping with the shorthand resolved: every table column from the same-named value field.
pub fn resolved_entries(table: &TableConfig, schema: &TableSchema) -> Vec<MappingEntry> {
    match &table.mapping {
        Mapping::Explicit(entries) => entries.clone(),
        Mapping::ValueFieldsByName => schema
            .columns
            .iter()
            .map(|(name, _)| MappingEntry {
                target: Target::Column(Identifier(name.clone())),
                source: Source::ValueField(vec![name.clone()]),
            })
            .collect(),
    }
}

/// The `.mapping` setting's key, for messages.
fn mapping_key(topic: &str, table: &TableConfig) -> String {
    format!(
        "topic.{topic}.{}.{}.mapping",
        table.keyspace.internal(),
        table.table.internal()
    )
}

/// DataStax's `validateMappingColumns`: every mapped column exists and every primary-key column
/// is mapped. Returns whether every column of the table is mapped (deletes need that).
pub fn validate_mapping(
    topic: &str,
    table: &TableConfig,
    entries: &[MappingEntry],
    schema: &TableSchema,
) -> Result<bool> {
    let mapped: Vec<&str> = entries
        .iter()
        .filter_map(|e| match &e.target {
            Target::Column(c) => Some(c.internal()),
            _ => None,
        })
        .collect();
    let missing: Vec<String> = mapped
        .iter()
        .filter(|c| schema.column(c).is_none())
        .map(|c| Identifier(c.to_string()).cql())
        .collect();
    if !missing.is_empty() {
        return Err(schema_error(format!(
            "Invalid value for configuration {}: The following columns do not exist in table {}: {}",
            mapping_key(topic, table),
            table.table.internal(),
            missing.join(", ")
        )));
    }
    let unmapped_pk: Vec<&str> = schema
        .primary_key()
        .filter(|c| !mapped.contains(&c.as_str()))
        .map(String::as_str)
        .collect();
    if !unmapped_pk.is_empty() {
        return Err(schema_error(format!(
            "Invalid value for configuration {}: The following columns are part of the primary \
             key but are not mapped: {}",
            mapping_key(topic, table),
            unmapped_pk.join(", ")
        )));
    }
    let distinct: BTreeSet<&str> = mapped.iter().copied().collect();
    Ok(distinct.len() == schema.columns.len())
}

fn qualified(table: &TableConfig) -> String {
    format!("{}.{}", table.keyspace.cql(), table.table.cql())
}

fn has_ttl_mapping(entries: &[MappingEntry]) -> bool {
    entries.iter().any(|e| e.target == Target::Ttl)
}

fn mapped_columns(entries: &[MappingEntry]) -> impl Iterator<Item = &Identifier> {
    entries.iter().filter_map(|e| match &e.target {
        Target::Column(c) => Some(c),
        _ => None,
    })
}

/// DataStax's `makeInsertStatement`.
pub fn insert_statement(
    table: &TableConfig,
    entries: &[MappingEntry],
    ttl_seconds: Option<i64>,
) -> String {
    let cols: Vec<String> = mapped_columns(entries).map(Identifier::cql).collect();
    let vars: Vec<String> = cols.iter().map(|c| format!(":{c}")).collect();
    let mut q = format!(
        "INSERT INTO {}({}) VALUES ({}) USING TIMESTAMP :{TIMESTAMP_VAR}",
        qualified(table),
        cols.join(","),
        vars.join(",")
    );
    if has_ttl_mapping(entries) {
        q.push_str(&format!(" AND TTL :{TTL_VAR}"));
    } else if let Some(ttl) = ttl_seconds {
        q.push_str(&format!(" AND TTL {ttl}"));
    }
    q
}

/// DataStax's `makeUpdateCounterStatement`.
pub fn counter_statement(
    table: &TableConfig,
    entries: &[MappingEntry],
    schema: &TableSchema,
) -> Result<String> {
    if table.ttl.is_some() || has_ttl_mapping(entries) {
        return Err(schema_error(
            "Cannot set ttl when updating a counter table".to_string(),
        ));
    }
    let sets: Vec<String> = mapped_columns(entries)
        .filter(|c| !schema.is_primary_key(c.internal()))
        .map(|c| {
            let c = c.cql();
            format!("{c} = {c} + :{c}")
        })
        .collect();
    let wheres: Vec<String> = schema
        .primary_key()
        .map(|c| {
            let c = Identifier(c.clone()).cql();
            format!("{c} = :{c}")
        })
        .collect();
    Ok(format!(
        "UPDATE {} SET {} WHERE {}",
        qualified(table),
        sets.join(","),
        wheres.join(" AND ")
    ))
}

/// DataStax's `makeDeleteStatement`.
pub fn delete_statement(table: &TableConfig, schema: &TableSchema) -> String {
    let wheres: Vec<String> = schema
        .primary_key()
        .map(|c| {
            let c = Identifier(c.clone()).cql();
            format!("{c} = :{c}")
        })
        .collect();
    format!(
        "DELETE FROM {} WHERE {}",
        qualified(table),
        wheres.join(" AND ")
    )
}

/// Where a bound variable's value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum VarSource {
    /// A mapped field (or `now()`), into a column of this type.
    Field {
        source: Source,
        column: String,
        primary_key: bool,
    },
    /// The write time: `__timestamp` when mapped (in `timestampTimeUnit`), else the Kafka
    /// record's timestamp × 1000.
    WriteTime(Option<Source>),
    /// `__ttl` (in `ttlTimeUnit`).
    Ttl(Source),
    /// Nothing maps to it: left unset.
    Unbound,
}

/// One prepared statement and what to bind to each of its variables, in order.
#[derive(Debug, Clone)]
pub struct StatementPlan {
    pub prepared: PreparedStatement,
    pub vars: Vec<(VarSource, ColumnType<'static>)>,
    /// Indexes into `vars` of the partition key's variables, in partition-key order (the
    /// grouping key of batches).
    pub partition_key_vars: Vec<usize>,
}

impl StatementPlan {
    /// Bind each variable of a prepared statement by name: the special variables, else the
    /// mapping entry of the same-named column.
    pub fn new(
        prepared: PreparedStatement,
        entries: &[MappingEntry],
        schema: &TableSchema,
    ) -> Self {
        let timestamp_source = entries
            .iter()
            .find(|e| e.target == Target::Timestamp)
            .map(|e| e.source.clone());
        let mut vars = Vec::new();
        for spec in prepared.get_variable_col_specs().iter() {
            let name = spec.name();
            let typ = spec.typ().clone().into_owned();
            let source = if name == TIMESTAMP_VAR {
                VarSource::WriteTime(timestamp_source.clone())
            } else if name == TTL_VAR {
                match entries.iter().find(|e| e.target == Target::Ttl) {
                    Some(e) => VarSource::Ttl(e.source.clone()),
                    None => VarSource::Unbound,
                }
            } else {
                match entries
                    .iter()
                    .find(|e| matches!(&e.target, Target::Column(c) if c.internal() == name))
                {
                    Some(e) => VarSource::Field {
                        source: e.source.clone(),
                        column: name.to_string(),
                        primary_key: schema.is_primary_key(name),
                    },
                    None => VarSource::Unbound,
                }
            };
            vars.push((source, typ));
        }
        let mut pk: Vec<(u16, usize)> = prepared
            .get_variable_pk_indexes()
            .iter()
            .map(|p| (p.sequence, p.index as usize))
            .collect();
        pk.sort();
        StatementPlan {
            prepared,
            vars,
            partition_key_vars: pk.into_iter().map(|(_, i)| i).collect(),
        }
    }
}

/// Everything a task writes to one table.
#[derive(Debug, Clone)]
pub struct TablePlan {
    pub config: TableConfig,
    pub schema: TableSchema,
    pub entries: Vec<MappingEntry>,
    /// INSERT, counter UPDATE or the custom query.
    pub write: StatementPlan,
    /// Present when deletes are enabled and every column is mapped (DataStax's rule).
    pub delete: Option<StatementPlan>,
    /// Whether the write is the user's own query (no write time, no primary key checks).
    pub custom_query: bool,
    pub counter: bool,
}

/// `ttl` in `ttlTimeUnit` as seconds, as DataStax's `convertTtlToSeconds`.
pub fn ttl_seconds(table: &TableConfig) -> Option<i64> {
    table.ttl.and_then(|t| {
        super::bind::convert_units(t, table.ttl_unit, super::config::TimeUnit::Seconds)
    })
}

/// Read the schema, check the mapping, prepare the statements.
///
/// `simple_strategy`: with `loadBalancing.localDc` set, that data centre and the execution
/// profile that replaces the session's for a table whose keyspace uses `SimpleStrategy` (see
/// [`super::session::execution_profile`]).
pub async fn plan_table(
    session: &Session,
    topic: &str,
    table: &TableConfig,
    simple_strategy: Option<(&str, &ExecutionProfileHandle)>,
) -> Result<TablePlan> {
    let schema = table_schema(session, table).await?;
    let state = session.get_cluster_state();
    let ks_name = table.keyspace.internal();
    let simple = simple_strategy.filter(|_| {
        state
            .get_keyspace(ks_name)
            .is_some_and(|ks| matches!(ks.strategy, Strategy::SimpleStrategy { .. }))
    });
    if let Some((local_dc, _)) = simple {
        let remote = state
            .get_nodes_info()
            .iter()
            .filter_map(|n| n.datacenter.as_deref())
            .find(|dc| *dc != local_dc);
        if let Some(dc) = remote {
            tracing::warn!(
                "keyspace {ks_name} uses SimpleStrategy, whose replicas ignore data centres, in \
                 a cluster with nodes outside {local_dc} (e.g. {dc}): a write whose replicas \
                 are all remote goes to a remote node; NetworkTopologyStrategy avoids that"
            );
        }
    }
    let profile = simple.map(|(_, handle)| handle);
    let entries = resolved_entries(table, &schema);
    let custom_query = table.query.is_some();
    let all_mapped = if custom_query {
        false
    } else {
        validate_mapping(topic, table, &entries, &schema)?
    };
    let counter = schema.is_counter_table();
    let write_cql = match &table.query {
        Some(q) => q.clone(),
        None if counter => counter_statement(table, &entries, &schema)?,
        None => insert_statement(table, &entries, ttl_seconds(table)),
    };
    let consistency = super::session::consistency(table.consistency);
    let prepare = |cql: String| async move {
        let mut p = session.prepare(cql.clone()).await.map_err(|e| {
            let retriable = super::session::prepare_error_is_transient(&e);
            Error::new(
                if retriable {
                    strait_engine::error::Fault::External
                } else {
                    strait_engine::error::Fault::Config
                },
                format!("Prepare failed for statement: {cql}: {e}"),
            )
        })?;
        p.set_consistency(consistency);
        if let Some(handle) = profile {
            p.set_execution_profile_handle(Some(handle.clone()));
        }
        Ok::<_, Error>(p)
    };
    let write = StatementPlan::new(prepare(write_cql).await?, &entries, &schema);
    let delete = if table.deletes_enabled && all_mapped && !counter {
        Some(StatementPlan::new(
            prepare(delete_statement(table, &schema)).await?,
            &entries,
            &schema,
        ))
    } else {
        None
    };
    Ok(TablePlan {
        config: table.clone(),
        schema,
        entries,
        write,
        delete,
        custom_query,
        counter,
    })
}

#[cfg(test)]
mod tests {
    use super::super::config::{Consistency, TimeUnit};
    use super::*;

    fn table(mapping: Vec<(&str, Source)>) -> TableConfig {
        TableConfig {
            keyspace: Identifier("ks".into()),
            table: Identifier("Events".into()),
            mapping: Mapping::Explicit(
                mapping
                    .into_iter()
                    .map(|(c, s)| MappingEntry {
                        target: match c {
                            "__ttl" => Target::Ttl,
                            "__timestamp" => Target::Timestamp,
                            c => Target::Column(Identifier(c.into())),
                        },
                        source: s,
                    })
                    .collect(),
            ),
            consistency: Consistency::LocalOne,
            ttl: None,
            ttl_unit: TimeUnit::Seconds,
            timestamp_unit: TimeUnit::Microseconds,
            null_to_unset: true,
            deletes_enabled: true,
            query: None,
        }
    }

    fn schema() -> TableSchema {
        TableSchema {
            columns: vec![
                ("id".into(), ColumnType::Native(NativeType::Int)),
                ("ts".into(), ColumnType::Native(NativeType::Timestamp)),
                ("Name".into(), ColumnType::Native(NativeType::Text)),
            ],
            partition_key: vec!["id".into()],
            clustering_key: vec!["ts".into()],
        }
    }

    fn entries(t: &TableConfig) -> Vec<MappingEntry> {
        match &t.mapping {
            Mapping::Explicit(e) => e.clone(),
            _ => unreachable!(),
        }
    }

    #[test]
    fn statements_have_datastax_forms() {
        let t = table(vec![
            ("id", Source::KeyField(vec!["id".into()])),
            ("ts", Source::ValueField(vec!["ts".into()])),
            ("Name", Source::ValueField(vec!["name".into()])),
        ]);
        assert_eq!(
            insert_statement(&t, &entries(&t), None),
            "INSERT INTO ks.\"Events\"(id,ts,\"Name\") VALUES (:id,:ts,:\"Name\") USING TIMESTAMP \
             :message_internal_timestamp"
        );
        assert_eq!(
            insert_statement(&t, &entries(&t), Some(60)),
            "INSERT INTO ks.\"Events\"(id,ts,\"Name\") VALUES (:id,:ts,:\"Name\") USING TIMESTAMP \
             :message_internal_timestamp AND TTL 60"
        );
        assert_eq!(
            delete_statement(&t, &schema()),
            "DELETE FROM ks.\"Events\" WHERE id = :id AND ts = :ts"
        );
        assert_eq!(
            counter_statement(&t, &entries(&t), &schema()).unwrap(),
            "UPDATE ks.\"Events\" SET \"Name\" = \"Name\" + :\"Name\" WHERE id = :id AND ts = :ts"
        );
        let with_ttl = table(vec![
            ("id", Source::KeyField(vec!["id".into()])),
            ("__ttl", Source::ValueField(vec!["ttl".into()])),
        ]);
        assert!(insert_statement(&with_ttl, &entries(&with_ttl), Some(5))
            .ends_with("AND TTL :message_internal_ttl"));
        assert_eq!(
            counter_statement(&with_ttl, &entries(&with_ttl), &schema())
                .unwrap_err()
                .message(),
            "Cannot set ttl when updating a counter table"
        );
    }

    #[test]
    fn mapping_is_checked_against_the_schema_with_datastax_messages() {
        let t = table(vec![
            ("id", Source::Key),
            ("nope", Source::Value),
            ("Other", Source::Value),
        ]);
        let e = validate_mapping("events", &t, &entries(&t), &schema()).unwrap_err();
        assert_eq!(
            e.message(),
            "Invalid value for configuration topic.events.ks.Events.mapping: The following \
             columns do not exist in table Events: nope, \"Other\""
        );
        let t = table(vec![("id", Source::Key), ("Name", Source::Value)]);
        let e = validate_mapping("events", &t, &entries(&t), &schema()).unwrap_err();
        assert!(
            e.message()
                .ends_with("are part of the primary key but are not mapped: ts"),
            "{}",
            e.message()
        );
        let t = table(vec![("id", Source::Key), ("ts", Source::Value)]);
        assert!(!validate_mapping("events", &t, &entries(&t), &schema()).unwrap());
        let t = table(vec![
            ("id", Source::Key),
            ("ts", Source::Value),
            ("Name", Source::Value),
            ("__ttl", Source::Value),
        ]);
        assert!(validate_mapping("events", &t, &entries(&t), &schema()).unwrap());
    }

    #[test]
    fn shorthand_maps_every_column_from_the_same_named_value_field() {
        let mut t = table(vec![]);
        t.mapping = Mapping::ValueFieldsByName;
        let e = resolved_entries(&t, &schema());
        assert_eq!(e.len(), 3);
        assert_eq!(e[2].target, Target::Column(Identifier("Name".into())));
        assert_eq!(e[2].source, Source::ValueField(vec!["Name".into()]));
    }

    #[test]
    fn ttl_converts_to_seconds() {
        let mut t = table(vec![]);
        t.ttl = Some(2);
        t.ttl_unit = TimeUnit::Hours;
        assert_eq!(ttl_seconds(&t), Some(7200));
        t.ttl = None;
        assert_eq!(ttl_seconds(&t), None);
    }
}
