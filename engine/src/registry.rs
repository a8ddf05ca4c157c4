//! The plugin registry: one explicit table of connectors and converters, keyed by Java class
//! name and aliases. Filled by the binary from `connectors` and `formats`; the engine never
//! names a connector.

use std::sync::Arc;

use crate::config::Props;
use crate::error::{Error, Result};
use crate::plugin::{
    resolve_by_name, ConnectorPlugin, Converter, ConverterPlugin, ConverterRole, PluginInfo,
};
use crate::transforms::{self, registry::TransformPlugin};

#[derive(Clone, Default)]
pub struct Registry {
    connectors: Vec<Arc<dyn ConnectorPlugin>>,
    converters: Vec<ConverterPlugin>,
    /// Transforms and predicates besides the ones Strait ships (tests register their own).
    transforms: Vec<TransformPlugin>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field(
                "connectors",
                &self
                    .connectors
                    .iter()
                    .map(|c| c.info().class)
                    .collect::<Vec<_>>(),
            )
            .field("converters", &self.converters)
            .finish()
    }
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_connectors(
        mut self,
        connectors: impl IntoIterator<Item = Arc<dyn ConnectorPlugin>>,
    ) -> Self {
        self.connectors.extend(connectors);
        self
    }

    pub fn with_converters(
        mut self,
        converters: impl IntoIterator<Item = ConverterPlugin>,
    ) -> Self {
        self.converters.extend(converters);
        self
    }

    /// Add transforms or predicates to the ones Strait ships (the engine's table in
    /// [`transforms::registry`]).
    pub fn with_transforms(mut self, plugins: impl IntoIterator<Item = TransformPlugin>) -> Self {
        self.transforms.extend(plugins);
        self
    }

    /// Every transform and predicate: the shipped ones and those added, sorted by class.
    pub fn transforms(&self) -> Vec<&TransformPlugin> {
        let mut all: Vec<&TransformPlugin> = transforms::registry::plugins()
            .iter()
            .chain(&self.transforms)
            .collect();
        all.sort_by_key(|p| p.class);
        all
    }

    /// The transform or predicate of class `class` (a class name, not an alias: see
    /// [`resolve`](Self::resolve)).
    pub fn transform(&self, class: &str) -> Option<&TransformPlugin> {
        self.transforms().into_iter().find(|p| p.class == class)
    }

    pub fn connectors(&self) -> &[Arc<dyn ConnectorPlugin>] {
        &self.connectors
    }

    pub fn converters(&self) -> &[ConverterPlugin] {
        &self.converters
    }

    /// Find a connector by class name or alias. The error text is Kafka Connect's.
    pub fn connector(&self, name: &str) -> Result<Arc<dyn ConnectorPlugin>> {
        let name = name.trim();
        self.connectors
            .iter()
            .find(|c| c.info().names().iter().any(|n| n == name))
            .cloned()
            .ok_or_else(|| {
                let available: Vec<String> = self.connectors.iter().map(|c| c.info().class.to_string()).collect();
                Error::config(format!(
                    "Failed to find any class that implements Connector and which name matches {name}, available connectors are: {}",
                    available.join(", ")
                ))
            })
    }

    /// The converter class (name or alias) configured for `role`; errors name the role's key.
    ///
    /// Java resolves an alias to a class whatever the plugin type the alias came from (`Json`
    /// names JsonConverter as a header converter too), then checks the class implements the
    /// interface the role needs.
    pub fn converter_plugin(&self, role: ConverterRole, name: &str) -> Result<&ConverterPlugin> {
        let name = name.trim();
        let key = role.config_key();
        let class = self
            .converters
            .iter()
            .find(|c| c.info.names().iter().any(|n| n == name))
            .map(|c| c.info.class)
            .ok_or_else(|| {
                Error::config(format!(
                    "Invalid value {name} for configuration {key}: Class {name} could not be found."
                ))
            })?;
        self.converters
            .iter()
            .find(|c| c.info.class == class && c.info.kind == role.plugin_type())
            .ok_or_else(|| {
                let interface = match role {
                    ConverterRole::Header => "org.apache.kafka.connect.storage.HeaderConverter",
                    _ => "org.apache.kafka.connect.storage.Converter",
                };
                Error::config(format!(
                    "Invalid value {class} for configuration {key}: Class {class} does not implement {interface}."
                ))
            })
    }

    /// Build the converter `class` for `role` from its prefix-stripped options, with
    /// `converter.type` set for the role as Java's worker sets it.
    pub fn converter(
        &self,
        role: ConverterRole,
        class: &str,
        props: &Props,
    ) -> Result<Arc<dyn Converter>> {
        let plugin = self.converter_plugin(role, class)?;
        let mut props = props.clone();
        props.insert("converter.type".into(), role.converter_type().into());
        (plugin.create)(&props, role == ConverterRole::Key)
    }

    /// Every plugin description, for `/connector-plugins`.
    pub fn plugin_infos(&self) -> Vec<PluginInfo> {
        self.connectors
            .iter()
            .map(|c| c.info())
            .chain(self.converters.iter().map(|c| c.info.clone()))
            .chain(self.transforms().into_iter().map(TransformPlugin::info))
            .collect()
    }

    /// The plugin a class name or alias names, whatever its type, as Java's plugin class loader
    /// resolves it: an alias shared by several classes names none of them
    /// ([`ambiguous_aliases`]). Used where Java loads a class first and checks its type after
    /// (`transforms.<alias>.type`, `/connector-plugins/{p}/config`). `name` is taken as it is:
    /// Java trims a CLASS config value but not every name it loads.
    pub fn resolve(&self, name: &str) -> Option<PluginInfo> {
        let infos = self.plugin_infos();
        let refs: Vec<&PluginInfo> = infos.iter().collect();
        resolve_by_name(&refs, PluginInfo::clone, name).cloned()
    }
}
