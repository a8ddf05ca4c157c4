//! The table of transforms and predicates Strait ships, keyed by Java class name (the engine's
//! SMT registry, DESIGN §3), and the construction of a connector's [`Chain`] from its
//! `transforms` / `predicates` keys.
//!
//! Each transform file declares its entries (a `$Key` / `$Value` pair is two entries); this
//! module concatenates them into one table.

use std::sync::{Arc, LazyLock};

use super::chain::{Chain, ChainStage};
use super::{Predicate, Transform, TransformContext};
use crate::config::{with_prefix, ConfigDef, Props};
use crate::error::{Error, Result};
use crate::plugin::{PluginInfo, PluginType};

/// Kafka's version, which Java reports for the transforms and predicates it ships.
pub const KAFKA_VERSION: &str = "4.1.2";

/// How an entry builds its kernel from its own keys (`transforms.<alias>.` stripped, as Java's
/// `configure` receives them).
#[derive(Clone, Copy)]
pub enum Build {
    Transform(fn(&Props, &TransformContext) -> Result<Box<dyn Transform>>),
    Predicate(fn(&Props) -> Result<Box<dyn Predicate>>),
}

/// One transform or predicate class.
#[derive(Clone, Copy)]
pub struct TransformPlugin {
    /// Java class name, with `$Key` / `$Value` for the nested variants.
    pub class: &'static str,
    /// Its `ConfigDef`, as Java's `config()` returns it.
    pub config_def: fn() -> ConfigDef,
    pub build: Build,
}

impl TransformPlugin {
    pub fn kind(&self) -> PluginType {
        match self.build {
            Build::Transform(_) => PluginType::Transformation,
            Build::Predicate(_) => PluginType::Predicate,
        }
    }

    pub fn info(&self) -> PluginInfo {
        PluginInfo {
            class: self.class,
            extra_aliases: &[],
            kind: self.kind(),
            version: KAFKA_VERSION,
        }
    }
}

impl std::fmt::Debug for TransformPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransformPlugin")
            .field("class", &self.class)
            .finish_non_exhaustive()
    }
}

static PLUGINS: LazyLock<Vec<TransformPlugin>> = LazyLock::new(|| {
    let tables: &[&[TransformPlugin]] = &[
        // One line per transform file (kept sorted).
        super::drop_headers::PLUGINS,
        super::extract_field::PLUGINS,
        super::filter::PLUGINS,
        super::has_header_key::PLUGINS,
        super::header_from::PLUGINS,
        super::hoist_field::PLUGINS,
        super::insert_field::PLUGINS,
        super::insert_header::PLUGINS,
        super::record_is_tombstone::PLUGINS,
        super::regex_router::PLUGINS,
        super::replace_field::PLUGINS,
        super::set_schema_metadata::PLUGINS,
        super::timestamp_converter::PLUGINS,
        super::timestamp_router::PLUGINS,
        super::topic_name_matches::PLUGINS,
        super::value_to_key::PLUGINS,
    ];
    let mut all: Vec<TransformPlugin> = tables.concat();
    all.sort_by_key(|p| p.class);
    all
});

/// Every transform and predicate, sorted by class name.
pub fn plugins() -> &'static [TransformPlugin] {
    &PLUGINS
}

/// The plugin of `kind` named `name` (class name or alias).
pub fn find(kind: PluginType, name: &str) -> Option<&'static TransformPlugin> {
    let name = name.trim();
    plugins()
        .iter()
        .filter(|p| p.kind() == kind)
        .find(|p| p.info().names().iter().any(|n| n == name))
}

/// Build the chain of a connector config (`transforms=a,b`, `transforms.a.type=…`,
/// `predicates=p`, `predicates.p.type=…`, `transforms.a.predicate=p`, `transforms.a.negate`).
/// Errors are config errors worded as Java's `ConnectorConfig` words them.
pub fn build_chain(props: &Props, ctx: &TransformContext) -> Result<Chain> {
    let predicates = aliases(props, "predicates")?;
    let mut built_predicates: Vec<(String, Arc<dyn Predicate>)> = Vec::new();
    for alias in &predicates {
        let prefix = format!("predicates.{alias}.");
        let class = type_of(props, &prefix)?;
        let plugin = find(PluginType::Predicate, &class).ok_or_else(|| {
            Error::config(format!(
                "Invalid value {class} for configuration {prefix}type: Class {class} could not be found."
            ))
        })?;
        let Build::Predicate(build) = plugin.build else {
            return Err(Error::bug("predicate entry builds a transform"));
        };
        let predicate = build(&with_prefix(props, &prefix))
            .map_err(|e| e.context(format!("Invalid configuration of predicate {alias}")))?;
        built_predicates.push((alias.clone(), Arc::from(predicate)));
    }
    let mut stages = Vec::new();
    for alias in aliases(props, "transforms")? {
        let prefix = format!("transforms.{alias}.");
        let class = type_of(props, &prefix)?;
        let plugin = find(PluginType::Transformation, &class).ok_or_else(|| {
            Error::config(format!(
                "Invalid value {class} for configuration {prefix}type: Class {class} could not be found."
            ))
        })?;
        let Build::Transform(build) = plugin.build else {
            return Err(Error::bug("transform entry builds a predicate"));
        };
        let own = with_prefix(props, &prefix);
        let transform = build(&own, ctx)
            .map_err(|e| e.context(format!("Invalid configuration of transform {alias}")))?;
        let negate = match own.get("negate").map(|v| v.trim().to_ascii_lowercase()) {
            None => false,
            Some(v) if v == "true" => true,
            Some(v) if v == "false" => false,
            Some(v) => {
                return Err(Error::config(format!(
                    "Invalid value {v} for configuration {prefix}negate: Expected value to be either true or false"
                )))
            }
        };
        let predicate = match own.get("predicate").map(|p| p.trim()) {
            None | Some("") => None,
            Some(name) => {
                let found = built_predicates
                    .iter()
                    .find(|(a, _)| a == name)
                    .map(|(_, p)| p.clone())
                    .ok_or_else(|| {
                        Error::config(format!(
                            "Invalid value {name} for configuration {prefix}predicate: Predicate alias '{name}' is not defined in predicates"
                        ))
                    })?;
                Some((found, negate))
            }
        };
        stages.push(ChainStage {
            alias,
            transform,
            predicate,
        });
    }
    Ok(Chain::new(stages))
}

/// The aliases listed under `key`, trimmed, without empties; duplicates are Java's error.
fn aliases(props: &Props, key: &str) -> Result<Vec<String>> {
    let list: Vec<String> = props
        .get(key)
        .map(|v| {
            v.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let mut seen = std::collections::HashSet::new();
    if list.iter().any(|a| !seen.insert(a.as_str())) {
        return Err(Error::config(format!(
            "Invalid value {} for configuration {key}: Duplicate alias provided.",
            list.join(",")
        )));
    }
    Ok(list)
}

fn type_of(props: &Props, prefix: &str) -> Result<String> {
    match props.get(&format!("{prefix}type")).map(|s| s.trim()) {
        Some(c) if !c.is_empty() => Ok(c.to_string()),
        _ => Err(Error::config(format!(
            "Missing required configuration \"{prefix}type\" which has no default value."
        ))),
    }
}
