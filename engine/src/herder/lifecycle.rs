//! Connector and task lifecycle steps both herders take the same way (Java's `Worker`):
//! checking a connector config, generating its task configs, building a task's spec.

use std::sync::Arc;

use std::collections::BTreeMap;

use crate::config::Props;
use crate::connector_config::FrameworkConfig;
use crate::error::{Error, Result};
use crate::plugin::ConnectorPlugin;
use crate::registry::Registry;
use crate::runtime::{TaskSpec, WorkerContext};
use crate::worker_config::WorkerConfig;

/// Start a connector instance's checks: the framework keys, a source's topic creation keys
/// when the worker creates topics, then the connector's own validation (Java's
/// `Worker.startConnector` up to `connector.start`).
pub fn check_connector(
    plugin: &dyn ConnectorPlugin,
    config: &Props,
    worker: &WorkerConfig,
) -> Result<()> {
    FrameworkConfig::parse(plugin.connector_type(), config)?;
    if plugin.connector_type() == crate::plugin::ConnectorType::Source {
        crate::topic_creation::TopicCreation::for_worker(worker, config)?;
    }
    plugin.check(config)
}

/// A stored (raw) connector or task config with its `${provider:…}` variables resolved by the
/// worker's config providers (Java's `ClusterConfigState.connectorConfig` / `taskConfig`): what
/// connectors and tasks are started with. The raw form stays what is stored and shown.
pub fn resolved(worker: &WorkerConfig, raw: &Props) -> Result<Props> {
    worker.config_providers.transform(raw)
}

/// Java's `Worker.connectorTaskConfigs`: the connector's task configs, at most `tasks.max`
/// unless `tasks.max.enforce=false`, each with `task.class` and the sink's `topics` /
/// `topics.regex`. The connector sees its config resolved; the task configs come back in raw
/// form (`AbstractHerder.reverseTransform`), ready to store and compare with stored ones.
pub fn generate_task_configs(
    name: &str,
    plugin: &dyn ConnectorPlugin,
    raw_config: &Props,
    worker: &WorkerConfig,
) -> Result<Vec<Props>> {
    let config = &resolved(worker, raw_config)?;
    let framework = FrameworkConfig::parse(plugin.connector_type(), config)?;
    let mut configs = plugin.task_configs(config, framework.tasks_max)?;
    let enforce = config
        .get("tasks.max.enforce")
        .map(|v| v.trim() != "false")
        .unwrap_or(true);
    if enforce && configs.len() > framework.tasks_max {
        return Err(Error::config(format!(
                "The connector {name} has generated {} tasks, which is greater than {}, the maximum number of tasks it is configured to create. This behaviour should be considered a bug and is disallowed. If necessary, it can be permitted by reconfiguring the connector with 'tasks.max.enforce' set to false; however, this option will be removed in a future release of Kafka Connect.",
                configs.len(),
                framework.tasks_max
            )));
    }
    for c in &mut configs {
        c.insert("task.class".into(), plugin.task_class().to_string());
        for k in ["topics", "topics.regex"] {
            if let Some(v) = config.get(k) {
                c.insert(k.into(), v.clone());
            }
        }
    }
    Ok(crate::config_provider::reverse_transform(
        raw_config, configs,
    ))
}

/// The spec of task `task_id` of connector `name`.
pub fn task_spec(
    name: &str,
    task_id: u32,
    plugin: Arc<dyn ConnectorPlugin>,
    connector_props: &Props,
    task_props: Props,
    worker: Arc<WorkerContext>,
) -> Result<TaskSpec> {
    let framework = FrameworkConfig::parse(plugin.connector_type(), connector_props)?;
    Ok(TaskSpec {
        connector: name.to_string(),
        task_id,
        connector_props: connector_props.clone(),
        task_props,
        framework,
        plugin,
        worker,
        exactly_once: None,
    })
}

/// The checks of a create or update before anything is stored: the URL's name must match
/// `name` in the config (unless `check_name` is off, as for a patch, whose stored `name` Java
/// does not re-check), `name` is filled in when absent, and the config must validate.
pub fn checked_connector_config(
    registry: &Registry,
    worker: &WorkerConfig,
    name: &str,
    mut config: Props,
    check_name: bool,
    exactly_once: super::validate::ExactlyOncePreflight,
) -> Result<Props> {
    match config.get("name") {
        Some(n) if check_name && n != name => {
            return Err(Error::config(format!(
            "Connector name configuration ({n}) doesn't match connector name in the URL ({name})"
        )))
        }
        Some(_) => {}
        None => {
            config.insert("name".into(), name.to_string());
        }
    }
    let infos = super::validate::validate_connector_config(
        registry,
        worker,
        &super::to_raw(&config),
        exactly_once,
    )?;
    if infos.error_count > 0 {
        return Err(Error::config(super::validate::invalid_config_message(
            &infos,
        )));
    }
    Ok(config)
}

/// The worker's connector naming policy, for a connector about to be created (updates of
/// existing connectors are not checked).
pub fn check_new_connector_name(worker: &WorkerConfig, name: &str) -> Result<()> {
    worker.connector_name_policy.check(name)
}

/// KIP-477 `PATCH /connectors/{c}/config`: keys with a value are set, keys with `null` removed.
pub fn apply_patch(config: &mut Props, patch: BTreeMap<String, Option<String>>) {
    for (k, v) in patch {
        match v {
            Some(v) => {
                config.insert(k, v);
            }
            None => {
                config.remove(&k);
            }
        }
    }
}
