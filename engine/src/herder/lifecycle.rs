//! Connector and task lifecycle steps both herders take the same way (Java's `Worker`):
//! checking a connector config, generating its task configs, building a task's spec.

use std::sync::Arc;

use crate::config::Props;
use crate::connector_config::FrameworkConfig;
use crate::error::{Error, Result};
use crate::plugin::ConnectorPlugin;
use crate::runtime::{TaskSpec, WorkerContext};

/// Start a connector instance's checks: the framework keys, then the connector's own
/// validation (Java's `Worker.startConnector` up to `connector.start`).
pub fn check_connector(plugin: &dyn ConnectorPlugin, config: &Props) -> Result<()> {
    FrameworkConfig::parse(plugin.connector_type(), config).and_then(|_| plugin.check(config))
}

/// Java's `Worker.connectorTaskConfigs`: the connector's task configs, at most `tasks.max`
/// unless `tasks.max.enforce=false`, each with `task.class` and the sink's `topics` /
/// `topics.regex`.
pub fn generate_task_configs(
    name: &str,
    plugin: &dyn ConnectorPlugin,
    config: &Props,
) -> Result<Vec<Props>> {
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
    Ok(configs)
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
    })
}
