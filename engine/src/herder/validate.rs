//! Connector config validation, shared by every herder: the pipeline behind
//! `PUT /connector-plugins/{p}/config/validate` and the check before a create or update
//! (Java's `AbstractHerder.validateConnectorConfig`).
//!
//! Order of the result, as in Java: framework keys (in definition order, minus keys the
//! connector defines itself), then undeclared keys that carried a JSON `null`, then the
//! connector's own keys, then the client overrides the worker's override policy judged
//! (producer, consumer, admin). `error_count` is the number of error messages across all values.
//!
//! Config provider variables (`${env:NAME}`, `${file:path:key}`) are resolved first, with the
//! worker's providers ([`crate::config_provider`]); the values are validated resolved, and a
//! variable no provider resolves stays as written, as in Java.

use super::{enrich, ConfigInfo, ConfigInfos, ConfigKeyInfo, RawConfig};
use crate::config::{ConfigValue, Props, Validator};
use crate::connector_config::{framework_def, framework_rules};
use crate::error::{Error, Result};
use crate::kafka::{ClientOverridePolicy, ClientRole};
use crate::plugin::{
    ConnectorPlugin, ConnectorTransactionBoundaries, ConnectorType, ConverterRole,
    ExactlyOnceSupport,
};
use crate::registry::Registry;
use crate::worker_config::WorkerConfig;

/// Java's error for a null config value.
pub const NULL_VALUE_ERROR: &str = "Null value can not be supplied as the configuration value.";

/// Java's `Map.toString()` form, used in some error messages: `{a=1, b=2}`.
pub fn java_map(m: &RawConfig) -> String {
    let parts: Vec<String> = m
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_deref().unwrap_or("null")))
        .collect();
    format!("{{{}}}", parts.join(", "))
}

/// `Connector config {…} contains no connector type` (a 400 on create).
pub fn no_connector_type(config: &RawConfig) -> Error {
    Error::config(format!(
        "Connector config {} contains no connector type",
        java_map(config)
    ))
}

/// Find a connector plugin; the error is Kafka Connect 4.x's, listing every installed
/// connector the way Java prints its plugin descriptors (sorted by class).
pub fn find_connector(
    registry: &Registry,
    class: &str,
) -> Result<std::sync::Arc<dyn ConnectorPlugin>> {
    registry.connector(class).map_err(|_| {
        let mut descs: Vec<String> = registry
            .connectors()
            .iter()
            .map(|c| {
                let info = c.info();
                let t = info.kind.as_str();
                format!(
                    "PluginDesc{{klass=class {c}, name='{c}', version='{v}', encodedVersion={v}, type={t}, typeName='{t}', location='classpath'}}",
                    c = info.class,
                    v = info.version
                )
            })
            .collect();
        descs.sort();
        Error::config(format!(
            "Failed to find any class that implements Connector and which name matches {}, available connectors are: {}",
            class.trim(),
            descs.join(", ")
        ))
    })
}

/// What the worker offers exactly-once source connectors, for the preflight checks of
/// `exactly.once.support` and `transaction.boundary` (Java's `DistributedHerder`
/// `validateSourceConnectorConfig`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExactlyOncePreflight {
    /// The standalone worker: never exactly-once. Java's standalone worker skips the checks and
    /// accepts `exactly.once.support=required` silently; Strait rejects it (on purpose).
    Standalone,
    /// A distributed worker whose `exactly.once.source.support` is `disabled` or `preparing`.
    Disabled,
    /// A distributed worker with `exactly.once.source.support=enabled`.
    Enabled,
}

/// The error of `exactly.once.support=required` on a standalone worker.
pub const STANDALONE_EXACTLY_ONCE_ERROR: &str = "This worker does not have exactly-once source support enabled. Strait's standalone worker never runs source connectors exactly-once: use a distributed worker with exactly.once.source.support=enabled, or set exactly.once.support to \"requested\".";

/// Java's `validateSourceConnectorExactlyOnceSupport` and
/// `validateSourceConnectorTransactionBoundary`: errors on the two keys' values, each added
/// only when the key has no error yet.
fn exactly_once_preflight(
    plugin: &dyn ConnectorPlugin,
    props: &Props,
    mode: ExactlyOncePreflight,
    values: &mut [ConfigInfo],
) {
    let value_of = |infos: &mut [ConfigInfo], key: &str| -> Option<usize> {
        infos.iter().position(|i| {
            i.value
                .as_ref()
                .is_some_and(|v| v.name == key && v.errors.is_empty())
        })
    };
    let unexpected = |e: &Error| {
        let msg = e.message().trim();
        if msg.is_empty() {
            "An unexpected error occurred during validation; please see the worker logs for more details.".to_string()
        } else {
            format!("An unexpected error occurred during validation: {msg}")
        }
    };
    let setting = |key: &str| props.get(key).map(|v| v.trim().to_ascii_lowercase());
    if let Some(i) = value_of(values, "exactly.once.support") {
        if setting("exactly.once.support").as_deref() == Some("required") {
            let mut errors = Vec::new();
            match mode {
                ExactlyOncePreflight::Enabled => {}
                ExactlyOncePreflight::Disabled => errors.push(
                    "This worker does not have exactly-once source support enabled.".to_string(),
                ),
                ExactlyOncePreflight::Standalone => {
                    errors.push(STANDALONE_EXACTLY_ONCE_ERROR.to_string())
                }
            }
            match plugin.exactly_once_support(props) {
                Ok(Some(ExactlyOnceSupport::Supported)) => {}
                Ok(Some(ExactlyOnceSupport::Unsupported)) => errors.push(
                    "The connector does not support exactly-once semantics with the provided configuration.".to_string(),
                ),
                Ok(None) => errors.push(
                    "The connector does not implement the API required for preflight validation of exactly-once source support. Please consult the documentation for the connector to determine whether it supports exactly-once semantics, and then consider reconfiguring the connector to use the value \"requested\" for this property (which will disable this preflight check and allow the connector to be created).".to_string(),
                ),
                Err(e) => {
                    tracing::error!(error = %e, "Failed while validating connector support for exactly-once semantics");
                    errors.push(unexpected(&e));
                }
            }
            if let Some(v) = values[i].value.as_mut() {
                v.errors.extend(errors);
            }
        }
    }
    if let Some(i) = value_of(values, "transaction.boundary") {
        if setting("transaction.boundary").as_deref() == Some("connector") {
            let error = match plugin.can_define_transaction_boundaries(props) {
                Ok(Some(ConnectorTransactionBoundaries::Supported)) => None,
                Ok(Some(ConnectorTransactionBoundaries::Unsupported)) => Some(
                    "The connector does not support connector-defined transaction boundaries with the given configuration. Please reconfigure it to use a different transaction boundary definition.".to_string(),
                ),
                Ok(None) => Some(
                    "This connector has returned a null value from its canDefineTransactionBoundaries method, which is not permitted. The connector will be treated as if it cannot define its own transaction boundaries, and cannot be configured with 'transaction.boundary' set to 'connector'.".to_string(),
                ),
                Err(e) => {
                    tracing::error!(error = %e, "Failed while validating connector support for defining its own transaction boundaries");
                    Some(unexpected(&e))
                }
            };
            if let (Some(error), Some(v)) = (error, values[i].value.as_mut()) {
                v.errors.push(error);
            }
        }
    }
}

/// Run the whole pipeline. `Err` only when there is no `connector.class` or it is unknown.
/// The worker's converters default the connector's (Java 4.1 shows them as the defaults).
pub fn validate_connector_config(
    registry: &Registry,
    worker: &WorkerConfig,
    config: &RawConfig,
    exactly_once: ExactlyOncePreflight,
) -> Result<ConfigInfos> {
    // Java's first step: resolve `${provider:…}` variables; the rest validates resolved values.
    let config = &worker.config_providers.transform_raw(config)?;
    let class = match config.get("connector.class") {
        Some(Some(c)) => c.trim().to_string(),
        _ => return Err(no_connector_type(config)),
    };
    let plugin = find_connector(registry, &class)?;
    let kind = plugin.connector_type();
    let props: Props = super::non_null(config);
    let connector_def = plugin.config_def();

    // Java's `ConnectorConfig.enrich`: the framework keys, then those of each transform and
    // predicate alias.
    let def = framework_def(kind).extend(enrich::enriched_keys(registry, &props));
    let mut values: Vec<ConfigValue> = def.validate(&props);
    framework_rules(kind, &props, &mut values);
    enrich::type_rules(registry, &props, &mut values);
    let mut infos: Vec<ConfigInfo> = Vec::new();
    let mut groups = def.groups();
    for (key, mut value) in def.keys().iter().zip(values) {
        // The plugin's own definition wins when a name is defined in both places.
        if connector_def.key(&key.name).is_some() {
            continue;
        }
        let mut definition = ConfigKeyInfo::from(key);
        if let Some(role) = ConverterRole::from_config_key(&key.name) {
            let class = worker.converter_class(role);
            definition.default_value = Some(class.to_string());
            if value.value.is_none() {
                value.value = Some(class.to_string());
            }
            check_converter(registry, role, &props, &mut value);
        }
        infos.push(ConfigInfo {
            definition: Some(definition),
            value: Some(value),
        });
    }
    // Null values: an error on the key's own entry, or an entry without definition.
    for (name, _) in config.iter().filter(|(_, v)| v.is_none()) {
        match infos
            .iter_mut()
            .find(|i| i.value.as_ref().is_some_and(|v| v.name == *name))
        {
            Some(i) => {
                let errors = &mut i.value.as_mut().expect("value present").errors;
                // Java validates the null itself first, and a range rejects it.
                let ranged = def
                    .key(name)
                    .is_some_and(|k| matches!(k.validator, Validator::Range { .. }));
                if ranged {
                    errors.push(format!(
                        "Invalid value null for configuration {name}: Value must be non-null"
                    ));
                }
                errors.push(NULL_VALUE_ERROR.into());
            }
            None if connector_def.key(name).is_none() => infos.push(ConfigInfo {
                definition: None,
                value: Some(ConfigValue {
                    name: name.clone(),
                    value: None,
                    recommended_values: Vec::new(),
                    errors: vec![NULL_VALUE_ERROR.into()],
                    visible: true,
                }),
            }),
            None => {}
        }
    }
    if kind == ConnectorType::Source {
        exactly_once_preflight(&*plugin, &props, exactly_once, &mut infos);
    }
    let connector_values = plugin.validate(&props);
    for key in connector_def.keys() {
        let mut value = connector_values
            .iter()
            .find(|v| v.name == key.name)
            .cloned();
        if matches!(config.get(&key.name), Some(None)) {
            if let Some(v) = value.as_mut() {
                v.errors.push(NULL_VALUE_ERROR.into());
            }
        }
        infos.push(ConfigInfo {
            definition: Some(ConfigKeyInfo::from(key)),
            value,
        });
        if let Some(g) = &key.group {
            if !groups.contains(g) {
                groups.push(g.clone());
            }
        }
    }
    for role in override_roles(kind, &props) {
        infos.extend(client_overrides(
            worker.client_override_policy,
            role,
            &props,
        ));
    }
    let error_count = infos
        .iter()
        .filter_map(|i| i.value.as_ref())
        .map(|v| v.errors.len())
        .sum();
    Ok(ConfigInfos {
        name: class,
        error_count,
        groups,
        configs: infos,
    })
}

/// The clients whose overrides Java validates for a connector (`AbstractHerder`'s
/// `connectorUsesProducer` / `connectorUsesConsumer` / `connectorUsesAdmin`), in Java's order:
/// a source's producer (and admin when it uses topic creation), a sink's consumer, and a sink's
/// producer and admin when it has a dead letter queue.
fn override_roles(kind: ConnectorType, props: &Props) -> Vec<ClientRole> {
    let has_dlq = props
        .get("errors.deadletterqueue.topic.name")
        .is_some_and(|t| !t.trim().is_empty());
    let uses_topic_creation = props.keys().any(|k| k.starts_with("topic.creation."));
    let (producer, consumer, admin) = match kind {
        ConnectorType::Source => (true, false, uses_topic_creation),
        ConnectorType::Sink => (has_dlq, true, has_dlq),
    };
    [
        (producer, ClientRole::Producer),
        (consumer, ClientRole::Consumer),
        (admin, ClientRole::Admin),
    ]
    .into_iter()
    .filter_map(|(uses, role)| uses.then_some(role))
    .collect()
}

/// One entry per `<client>.override.<key>`, with the policy's error when it is not allowed
/// (Java's `validateClientOverrides`). Java attaches the client's own definition of the key
/// when it has one; Strait has no Java client `ConfigDef`s, so the definition is left out.
fn client_overrides(
    policy: ClientOverridePolicy,
    role: ClientRole,
    props: &Props,
) -> Vec<ConfigInfo> {
    crate::config::with_prefix(props, role.override_prefix())
        .into_iter()
        .map(|(key, value)| ConfigInfo {
            definition: None,
            value: Some(ConfigValue {
                name: format!("{}{key}", role.override_prefix()),
                // Java validates overrides with the client's own definitions and hides its
                // PASSWORD values.
                value: Some(crate::kafka::shown(&key, &value)),
                recommended_values: Vec::new(),
                errors: policy.violation(&key).into_iter().collect(),
                visible: true,
            }),
        })
        .collect()
}

/// Converter keys: the class must be installed; recommended values list what is installed.
fn check_converter(
    registry: &Registry,
    role: ConverterRole,
    props: &Props,
    value: &mut ConfigValue,
) {
    let mut classes: Vec<String> = registry
        .plugin_infos()
        .into_iter()
        .filter(|i| i.kind == role.plugin_type())
        .map(|i| i.class.to_string())
        .collect();
    classes.sort();
    classes.dedup();
    value.recommended_values = classes;
    let configured = props.get(role.config_key()).map(|s| s.trim());
    if let Some(cls) = configured.filter(|s| !s.is_empty()) {
        if let Err(e) = registry.converter_plugin(role, cls) {
            // A class Java cannot load is reported with a null value.
            value.value = None;
            value.errors.push(e.message().to_string());
        }
    }
}

/// The 400 message of a create/update with an invalid config (Java's exact layout).
pub fn invalid_config_message(infos: &ConfigInfos) -> String {
    let errors: Vec<&String> = infos
        .configs
        .iter()
        .filter_map(|c| c.value.as_ref())
        .flat_map(|v| v.errors.iter())
        .collect();
    let mut msg = format!(
        "Connector configuration is invalid and contains the following {} error(s):\n",
        errors.len()
    );
    for e in errors {
        msg.push_str(e);
        msg.push('\n');
    }
    msg.push_str("You can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`");
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_map_prints_nulls() {
        let mut m = RawConfig::new();
        m.insert("a".into(), Some("1".into()));
        m.insert("b".into(), None);
        assert_eq!(java_map(&m), "{a=1, b=null}");
        assert_eq!(
            no_connector_type(&RawConfig::new()).message(),
            "Connector config {} contains no connector type"
        );
    }

    #[test]
    fn overrides_are_validated_per_client_the_connector_uses() {
        let mut props = Props::new();
        props.insert("consumer.override.max.poll.records".into(), "10".into());
        props.insert("producer.override.linger.ms".into(), "5".into());
        assert_eq!(
            override_roles(ConnectorType::Sink, &props),
            vec![ClientRole::Consumer]
        );
        assert_eq!(
            override_roles(ConnectorType::Source, &props),
            vec![ClientRole::Producer]
        );
        props.insert("errors.deadletterqueue.topic.name".into(), "dlq".into());
        assert_eq!(
            override_roles(ConnectorType::Sink, &props),
            vec![
                ClientRole::Producer,
                ClientRole::Consumer,
                ClientRole::Admin
            ]
        );
        let infos = client_overrides(ClientOverridePolicy::None, ClientRole::Consumer, &props);
        assert_eq!(infos.len(), 1);
        let v = infos[0].value.as_ref().unwrap();
        assert_eq!(v.name, "consumer.override.max.poll.records");
        assert_eq!(v.value.as_deref(), Some("10"));
        assert_eq!(
            v.errors,
            vec!["The 'None' policy does not allow 'max.poll.records' to be overridden in the connector configuration."]
        );
        let all = client_overrides(ClientOverridePolicy::All, ClientRole::Consumer, &props);
        assert!(all[0].value.as_ref().unwrap().errors.is_empty());
    }

    #[test]
    fn unknown_class_lists_installed_connectors() {
        let err = find_connector(&Registry::new(), " Nope ")
            .err()
            .expect("empty registry");
        assert_eq!(
            err.message(),
            "Failed to find any class that implements Connector and which name matches Nope, available connectors are: "
        );
    }
}
