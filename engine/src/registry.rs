//! The plugin registry: one explicit table of connectors and converters, keyed by Java class
//! name and aliases. Filled by the binary from `connectors` and `formats`; the engine never
//! names a connector.

use std::sync::Arc;

use crate::config::Props;
use crate::error::{Error, Result};
use crate::plugin::{ConnectorPlugin, Converter, ConverterPlugin, PluginInfo};

#[derive(Clone, Default)]
pub struct Registry {
    connectors: Vec<Arc<dyn ConnectorPlugin>>,
    converters: Vec<ConverterPlugin>,
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

    /// Find a converter by class name or alias.
    pub fn converter_plugin(&self, name: &str) -> Result<&ConverterPlugin> {
        let name = name.trim();
        self.converters
            .iter()
            .find(|c| c.info.names().iter().any(|n| n == name))
            .ok_or_else(|| {
                Error::config(format!(
                "Invalid value {name} for configuration converter: Class {name} could not be found."
            ))
            })
    }

    /// Build a converter: `class` is the converter class, `props` its prefix-stripped options.
    pub fn converter(
        &self,
        class: &str,
        props: &Props,
        is_key: bool,
    ) -> Result<Arc<dyn Converter>> {
        let plugin = self.converter_plugin(class)?;
        (plugin.create)(props, is_key)
    }

    /// Every plugin description, for `/connector-plugins`.
    pub fn plugin_infos(&self) -> Vec<PluginInfo> {
        self.connectors
            .iter()
            .map(|c| c.info())
            .chain(self.converters.iter().map(|c| c.info.clone()))
            .collect()
    }
}
