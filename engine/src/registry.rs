//! The plugin registry: one explicit table of connectors and converters, keyed by Java class
//! name and aliases. Filled by the binary from `connectors` and `formats`; the engine never
//! names a connector.

use std::sync::Arc;

use crate::config::Props;
use crate::error::{Error, Result};
use crate::plugin::{ConnectorPlugin, Converter, ConverterPlugin, PluginInfo, PluginType};

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

    /// Find a key/value converter by class name or alias.
    pub fn converter_plugin(&self, name: &str) -> Result<&ConverterPlugin> {
        self.converter_of_kind(name, PluginType::Converter, "converter")
    }

    /// Find a header converter by class name or alias.
    pub fn header_converter_plugin(&self, name: &str) -> Result<&ConverterPlugin> {
        self.converter_of_kind(name, PluginType::HeaderConverter, "header.converter")
    }

    /// The converter a config key (`key.converter`, `value.converter`, `header.converter`)
    /// names; errors name that key.
    pub fn converter_for_key(&self, key: &str, name: &str) -> Result<&ConverterPlugin> {
        let kind = if key == "header.converter" {
            PluginType::HeaderConverter
        } else {
            PluginType::Converter
        };
        self.converter_of_kind(name, kind, key)
    }

    /// Java resolves an alias to a class whatever the plugin type the alias came from (`Json`
    /// names JsonConverter as a header converter too), then checks the class implements the
    /// interface the key asks for.
    fn converter_of_kind(
        &self,
        name: &str,
        kind: PluginType,
        key: &str,
    ) -> Result<&ConverterPlugin> {
        let name = name.trim();
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
            .find(|c| c.info.class == class && c.info.kind == kind)
            .ok_or_else(|| {
                let interface = match kind {
                    PluginType::HeaderConverter => "org.apache.kafka.connect.storage.HeaderConverter",
                    _ => "org.apache.kafka.connect.storage.Converter",
                };
                Error::config(format!(
                    "Invalid value {class} for configuration {key}: Class {class} does not implement {interface}."
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

    /// Build a header converter: `props` are its prefix-stripped options; `converter.type` is
    /// set to `header` as Java's worker does.
    pub fn header_converter(&self, class: &str, props: &Props) -> Result<Arc<dyn Converter>> {
        let plugin = self.header_converter_plugin(class)?;
        let mut props = props.clone();
        props.insert("converter.type".into(), "header".into());
        (plugin.create)(&props, false)
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
